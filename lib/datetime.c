/*
 * datetime.c - "date-time" strings as the SDK's validator (ajv-formats
 * 2.1.1, full mode) accepts them, and their value in ms since the epoch.
 *
 * That validator is looser than RFC 3339 in three ways the SDK lets through,
 * so this parser does too: any JavaScript whitespace may separate date and
 * time, the zone may be missing, and a zone's hours and minutes are not range
 * checked. Date.parse, which the SDK applies to the attempt timestamp only,
 * refuses some of these; *js_ok reports that separately.
 */
#include "verify_int.h"

#define MS_PER_DAY INT64_C(86400000)

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool leap_year(int y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_epoch(int y, int m, int d)
{
    /* Count years from March, so that the leap day is the last of a year. */
    int64_t yy = m <= 2 ? y - 1 : y;
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

typedef struct fields {
    int y, mo, d, h, mi, s, ms;
    int zone_sign, zone_h, zone_m;
    bool zone_minutes; /* the zone had minutes (+hhmm, +hh:mm) or was z */
    bool js_separator;
} fields;

static bool parse_date(const char *s, size_t len, fields *f)
{
    if (len < 10 || s[4] != '-' || s[7] != '-')
        return false;
    if (!digits(s, 4, &f->y) || !digits(s + 5, 2, &f->mo) || !digits(s + 8, 2, &f->d))
        return false;
    return f->mo >= 1 && f->mo <= 12 && f->d >= 1 && f->d <= days_in_month(f->y, f->mo);
}

/* Returns the separator's length in bytes, 0 when there is none. */
static size_t parse_separator(const char *s, size_t len, fields *f)
{
    uint32_t cp;
    if (len == 0)
        return 0;
    size_t n = hkv_utf8_next(s, len, &cp);
    if (cp != 't' && cp != 'T' && !hkv_js_space(cp))
        return 0;
    f->js_separator = cp != 0x2028 && cp != 0x2029;
    return n;
}

/* hh:mm:ss(.d+)? ; returns bytes used, 0 on no match */
static size_t parse_clock(const char *s, size_t len, fields *f)
{
    if (len < 8 || s[2] != ':' || s[5] != ':')
        return 0;
    if (!digits(s, 2, &f->h) || !digits(s + 3, 2, &f->mi) || !digits(s + 6, 2, &f->s))
        return 0;
    size_t i = 8;
    f->ms = 0;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (i - start < 3)
                f->ms = f->ms * 10 + (s[i] - '0');
            i++;
        }
        if (i == start)
            return 0;
        for (size_t k = i - start; k < 3; k++)
            f->ms *= 10;
    }
    bool normal = f->h <= 23 && f->mi <= 59 && f->s <= 59;
    bool leap = f->h == 23 && f->mi == 59 && f->s == 60;
    return normal || leap ? i : 0;
}

/* (z|[+-]\d\d(:?\d\d)?)? to the end of the string */
static bool parse_zone(const char *s, size_t len, fields *f)
{
    f->zone_sign = 0;
    f->zone_h = f->zone_m = 0;
    f->zone_minutes = true;
    if (len == 0)
        return true;
    if (s[0] == 'z' || s[0] == 'Z')
        return len == 1;
    if (s[0] != '+' && s[0] != '-')
        return false;
    f->zone_sign = s[0] == '-' ? -1 : 1;
    if (len < 3 || !digits(s + 1, 2, &f->zone_h))
        return false;
    if (len == 3) {
        f->zone_minutes = false;
        return true;
    }
    size_t m = s[3] == ':' ? 4 : 3;
    return len == m + 2 && digits(s + m, 2, &f->zone_m);
}

bool hkv_datetime_parse(const char *s, size_t len, int64_t *ms, bool *js_ok)
{
    fields f = {0};
    if (!parse_date(s, len, &f))
        return false;
    size_t i = 10;
    size_t n = parse_separator(s + i, len - i, &f);
    if (n == 0)
        return false;
    i += n;
    n = parse_clock(s + i, len - i, &f);
    if (n == 0)
        return false;
    i += n;
    if (!parse_zone(s + i, len - i, &f))
        return false;
    int64_t zone_min = (int64_t)f.zone_sign * (f.zone_h * 60 + f.zone_m);
    int64_t secs = ((int64_t)f.h * 60 + f.mi) * 60 + f.s - zone_min * 60;
    *ms = days_from_epoch(f.y, f.mo, f.d) * MS_PER_DAY + secs * 1000 + f.ms;
    *js_ok = f.js_separator && f.s != 60 && f.zone_minutes && f.zone_h <= 23 && f.zone_m <= 59;
    return true;
}
