#include "core/ids.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/clock.h"

#define TIME_BYTES 6
#define RAND_LEN 10
#define ULID_BYTES (TIME_BYTES + RAND_LEN)
#define TIME_CHARS 10
#define MAX_TIME_MS ((UINT64_C(1) << 48) - 1)

static const char alphabet[32] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static const char *const prefixes[HK_ID_KIND_COUNT] = {
    [HK_ID_WORKSPACE] = "w",
    [HK_ID_CUSTOMER] = "c",
    [HK_ID_CUSTOMER_GROUP] = "cg",
    [HK_ID_USER] = "u",
    [HK_ID_MACHINE_USER] = "mu",
    [HK_ID_EVENT] = "pEv",
    [HK_ID_WEBHOOK_TARGET] = "whTarget",
    [HK_ID_ATTEMPT] = "whAttempt",
    [HK_ID_API_KEY] = "apiKey",
    [HK_ID_DELIVERY] = "whDelivery",
};

/* The last ULID handed out by this process; every new one must sort after it. */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_ms;
static unsigned char last_rand[RAND_LEN];

const char *hk_id_prefix(hk_id_kind kind)
{
    if ((unsigned)kind >= HK_ID_KIND_COUNT)
        return "";
    return prefixes[kind];
}

hk_status hk_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    /* RAND_bytes takes an int. */
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        if (RAND_bytes(p, chunk) != 1)
            return HK_EINTERNAL;
        p += chunk;
        n -= (size_t)chunk;
    }
    return HK_OK;
}

/* Adds one to the big-endian counter; false when it wrapped to zero. */
static bool increment(unsigned char *b, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        if (++b[i] != 0)
            return true;
    }
    return false;
}

/*
 * Picks the (time, random) pair of the next ULID under the lock. A time at or
 * before the last one reuses the last time and bumps its random part, so that
 * ids stay strictly increasing even when the clock stands still or steps back.
 */
/* CSPRNG output is drawn in blocks: one RAND_bytes call per id cost more
 * than everything else an id needs. Guarded by last_lock. */
static unsigned char pool[4096];
static size_t pool_pos = sizeof pool;

static hk_status take_random(unsigned char out[RAND_LEN])
{
    if (pool_pos + RAND_LEN > sizeof pool) {
        hk_status st = hk_random_bytes(pool, sizeof pool);
        if (st)
            return st;
        pool_pos = 0;
    }
    memcpy(out, pool + pool_pos, RAND_LEN);
    memset(pool + pool_pos, 0, RAND_LEN); /* used bytes are not kept around */
    pool_pos += RAND_LEN;
    return HK_OK;
}

static hk_status next_ulid(uint64_t unix_ms, unsigned char ulid[ULID_BYTES])
{
    hk_status st = HK_OK;
    pthread_mutex_lock(&last_lock);
    if (unix_ms > last_ms) {
        st = take_random(last_rand);
        if (st)
            goto out;
        last_ms = unix_ms;
    } else if (!increment(last_rand, RAND_LEN)) {
        if (last_ms == MAX_TIME_MS) {
            st = HK_EINTERNAL;
            goto out;
        }
        last_ms++; /* last_rand wrapped to all zeros: the smallest value */
    }
    for (int i = 0; i < TIME_BYTES; i++)
        ulid[i] = (unsigned char)(last_ms >> (8 * (TIME_BYTES - 1 - i)));
    memcpy(ulid + TIME_BYTES, last_rand, RAND_LEN);
out:
    pthread_mutex_unlock(&last_lock);
    return st;
}

/* 128 bits into 26 characters, least significant first: 25 full groups of
 * five bits and a last group of the top three. */
static void encode_ulid(const unsigned char ulid[ULID_BYTES], char out[HK_ULID_LEN])
{
    unsigned bits = 0, nbits = 0;
    int pos = HK_ULID_LEN - 1;
    for (int i = ULID_BYTES - 1; i >= 0; i--) {
        bits |= (unsigned)ulid[i] << nbits;
        nbits += 8;
        while (nbits >= 5) {
            out[pos--] = alphabet[bits & 31];
            bits >>= 5;
            nbits -= 5;
        }
    }
    out[pos] = alphabet[bits & 31];
}

/* "<prefix>_<ULID>" into out. */
static void write_id(hk_id_kind kind, const unsigned char ulid[ULID_BYTES], char out[HK_ID_MAX])
{
    size_t plen = strlen(prefixes[kind]);
    memcpy(out, prefixes[kind], plen);
    out[plen] = '_';
    encode_ulid(ulid, out + plen + 1);
    out[plen + 1 + HK_ULID_LEN] = '\0';
}

hk_status hk_id_new_at(hk_id_kind kind, uint64_t unix_ms, char out[HK_ID_MAX])
{
    unsigned char ulid[ULID_BYTES];
    out[0] = '\0';
    if ((unsigned)kind >= HK_ID_KIND_COUNT || unix_ms > MAX_TIME_MS)
        return HK_EINVAL;
    hk_status st = next_ulid(unix_ms, ulid);
    if (!st)
        write_id(kind, ulid, out);
    return st;
}

hk_status hk_id_floor_at(hk_id_kind kind, uint64_t unix_ms, char out[HK_ID_MAX])
{
    unsigned char ulid[ULID_BYTES] = {0};
    out[0] = '\0';
    if ((unsigned)kind >= HK_ID_KIND_COUNT || unix_ms > MAX_TIME_MS)
        return HK_EINVAL;
    for (int i = TIME_BYTES - 1; i >= 0; i--, unix_ms >>= 8)
        ulid[i] = (unsigned char)(unix_ms & 0xff);
    write_id(kind, ulid, out);
    return HK_OK;
}

hk_status hk_id_new(hk_id_kind kind, char out[HK_ID_MAX])
{
    int64_t now = hk_now_ms();
    /* A clock before 1970 is broken; the monotonic rule still orders the id. */
    return hk_id_new_at(kind, now > 0 ? (uint64_t)now : 0, out);
}

/* Value of a Crockford character as ids spell it (upper case only), or -1. */
static int decode_char(char c)
{
    const char *p = c ? memchr(alphabet, c, sizeof alphabet) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of the prefix of a valid id, 0 when s is not one. */
static size_t valid_prefix_len(const char *s, size_t n)
{
    if (!s || n < HK_ULID_LEN + 2)
        return 0;
    size_t plen = n - HK_ULID_LEN - 1;
    if (s[plen] != '_')
        return 0;
    for (size_t i = 0; i < plen; i++) {
        if (!is_letter(s[i]))
            return 0;
    }
    const char *u = s + plen + 1;
    for (size_t i = 0; i < HK_ULID_LEN; i++) {
        if (decode_char(u[i]) < 0)
            return 0;
    }
    /* 26 characters hold 130 bits: the two above the 128 must be zero. */
    if (decode_char(u[0]) > 7)
        return 0;
    return plen;
}

bool hk_id_is_valid(const char *s, size_t n)
{
    return valid_prefix_len(s, n) > 0;
}

bool hk_id_is_kind(const char *s, size_t n, hk_id_kind kind)
{
    if ((unsigned)kind >= HK_ID_KIND_COUNT)
        return false;
    size_t plen = valid_prefix_len(s, n);
    return plen > 0 && plen == strlen(prefixes[kind]) && memcmp(s, prefixes[kind], plen) == 0;
}

uint64_t hk_id_time_ms(const char *s, size_t n)
{
    size_t plen = valid_prefix_len(s, n);
    if (plen == 0)
        return 0;
    uint64_t t = 0;
    for (size_t i = 0; i < TIME_CHARS; i++)
        t = t << 5 | (uint64_t)decode_char(s[plen + 1 + i]);
    return t;
}
