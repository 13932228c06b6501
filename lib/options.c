/*
 * options.c - defaults of hk_verify_options, the versions this library
 * knows, and the clock.
 */
#include <string.h>
#include <time.h>

#include "verify_int.h"

/* Oldest first; the customer parts of their schemas are identical. */
static const char *const known_versions[] = {
    "2024-09-18", "2025-08-06", "2026-02-27", "2026-03-13", "2026-04-21",
};

#define N_KNOWN (sizeof known_versions / sizeof known_versions[0])

size_t hk_verify_known_versions(const char *const **versions)
{
    if (versions)
        *versions = known_versions;
    return N_KNOWN;
}

void hk_verify_options_init(hk_verify_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->tolerance_ms = HK_VERIFY_DEFAULT_TOLERANCE_MS;
    o->max_body_bytes = HK_VERIFY_DEFAULT_MAX_BODY;
}

void hkv_options_resolve(const hk_verify_options *in, hk_verify_options *out)
{
    if (in)
        *out = *in;
    else
        hk_verify_options_init(out);
    if (out->max_body_bytes == 0)
        out->max_body_bytes = HK_VERIFY_DEFAULT_MAX_BODY;
    if (!out->versions) {
        out->versions = known_versions;
        out->n_versions = N_KNOWN;
    }
}

bool hkv_version_accepted(const hk_verify_options *o, const char *version)
{
    for (size_t i = 0; i < o->n_versions; i++)
        if (o->versions[i] && strcmp(o->versions[i], version) == 0)
            return true;
    return false;
}

int64_t hkv_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
