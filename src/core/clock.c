#include "core/clock.h"

#include <stdbool.h>
#include <time.h>

#define MS_PER_DAY INT64_C(86400000)

/* 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z, the range the
 * four-digit year of the text form can express. */
#define MIN_FORMAT_MS INT64_C(-62167219200000)
#define MAX_FORMAT_MS INT64_C(253402300799999)

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    /* Cannot fail for these clock ids on Linux. */
    (void)clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t hk_now_ms(void)
{
    return clock_ns(CLOCK_REALTIME) / 1000000;
}

int64_t hk_mono_ms(void)
{
    return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

int64_t hk_mono_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

/* Floor division: C's `/` truncates toward zero, which is wrong for times
 * before the epoch. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Proleptic Gregorian calendar with years counted from March, so that the
 * leap day is the last day of the (shifted) year and every month length but
 * February's follows a fixed 5-month pattern of 153 days.
 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                         /* [0, 399] */
    int64_t mp = (m + 9) % 12;                           /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */
    return era * 146097 + doe - 719468;                  /* 719468: 0000-03-01 to 1970-01-01 */
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static void put_digits(char *p, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void hk_time_format(int64_t unix_ms, char out[HK_TIME_ISO_BUF])
{
    if (unix_ms < MIN_FORMAT_MS)
        unix_ms = MIN_FORMAT_MS;
    if (unix_ms > MAX_FORMAT_MS)
        unix_ms = MAX_FORMAT_MS;
    int64_t days = floor_div(unix_ms, MS_PER_DAY);
    int64_t ms_of_day = unix_ms - days * MS_PER_DAY;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);

    put_digits(out, y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = 'T';
    put_digits(out + 11, ms_of_day / 3600000, 2);
    out[13] = ':';
    put_digits(out + 14, ms_of_day / 60000 % 60, 2);
    out[16] = ':';
    put_digits(out + 17, ms_of_day / 1000 % 60, 2);
    out[19] = '.';
    put_digits(out + 20, ms_of_day % 1000, 3);
    out[23] = 'Z';
    out[24] = '\0';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly `width` digits at s[*pos]. */
static bool take_num(const char *s, size_t n, size_t *pos, int width, int *out)
{
    int v = 0;
    if (n - *pos < (size_t)width)
        return false;
    for (int i = 0; i < width; i++) {
        char c = s[*pos + (size_t)i];
        if (!is_digit(c))
            return false;
        v = v * 10 + (c - '0');
    }
    *pos += (size_t)width;
    *out = v;
    return true;
}

static bool take_char(const char *s, size_t n, size_t *pos, char c1, char c2)
{
    if (*pos >= n || (s[*pos] != c1 && s[*pos] != c2))
        return false;
    (*pos)++;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Milliseconds from an optional ".digits": only the first three count. */
static bool take_fraction(const char *s, size_t n, size_t *pos, int *ms)
{
    *ms = 0;
    if (*pos >= n || s[*pos] != '.')
        return true;
    (*pos)++;
    size_t start = *pos;
    int scale = 100;
    while (*pos < n && is_digit(s[*pos])) {
        *ms += (s[*pos] - '0') * scale;
        scale /= 10;
        (*pos)++;
    }
    return *pos > start;
}

/* Offset east of UTC in minutes, from "Z" or "±HH:MM". */
static bool take_offset(const char *s, size_t n, size_t *pos, int *minutes)
{
    *minutes = 0;
    if (take_char(s, n, pos, 'Z', 'z'))
        return true;
    if (*pos >= n || (s[*pos] != '+' && s[*pos] != '-'))
        return false;
    int sign = s[(*pos)++] == '-' ? -1 : 1;
    int hh, mm;
    if (!take_num(s, n, pos, 2, &hh) || !take_char(s, n, pos, ':', ':') ||
        !take_num(s, n, pos, 2, &mm) || hh > 23 || mm > 59)
        return false;
    *minutes = sign * (hh * 60 + mm);
    return true;
}

hk_status hk_time_parse(const char *s, size_t n, int64_t *out)
{
    *out = 0;
    if (!s)
        return HK_EPARSE;
    size_t pos = 0;
    int y, mo, d, h, mi, sec, ms, off;
    bool ok = take_num(s, n, &pos, 4, &y) && take_char(s, n, &pos, '-', '-') &&
              take_num(s, n, &pos, 2, &mo) && take_char(s, n, &pos, '-', '-') &&
              take_num(s, n, &pos, 2, &d) && take_char(s, n, &pos, 'T', 't') &&
              take_num(s, n, &pos, 2, &h) && take_char(s, n, &pos, ':', ':') &&
              take_num(s, n, &pos, 2, &mi) && take_char(s, n, &pos, ':', ':') &&
              take_num(s, n, &pos, 2, &sec) && take_fraction(s, n, &pos, &ms) &&
              take_offset(s, n, &pos, &off) && pos == n;
    if (!ok || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 60)
        return HK_EPARSE;
    /* A leap second (:60) has no Unix time of its own; plain arithmetic puts
     * it on the next minute's :00, as POSIX time does. */
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off * 60;
    *out = secs * 1000 + ms;
    return HK_OK;
}

static int64_t unit_ms(const char *u, size_t n)
{
    if (n == 2 && u[0] == 'm' && u[1] == 's')
        return 1;
    if (n != 1)
        return 0;
    switch (u[0]) {
    case 's':
        return 1000;
    case 'm':
        return 60000;
    case 'h':
        return 3600000;
    case 'd':
        return MS_PER_DAY;
    default:
        return 0;
    }
}

hk_status hk_duration_parse(const char *s, size_t n, int64_t *out_ms)
{
    *out_ms = 0;
    if (!s)
        return HK_EPARSE;
    size_t pos = 0;
    int64_t v = 0;
    while (pos < n && is_digit(s[pos])) {
        int digit = s[pos++] - '0';
        if (v > (INT64_MAX - digit) / 10)
            return HK_EPARSE;
        v = v * 10 + digit;
    }
    int64_t mult = unit_ms(s + pos, n - pos);
    if (pos == 0 || mult == 0 || v > INT64_MAX / mult)
        return HK_EPARSE;
    *out_ms = v * mult;
    return HK_OK;
}
