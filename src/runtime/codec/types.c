/* Date, timestamp and uuid helpers of pgorm.h: pure functions, no time zone,
 * no allocation. The calendar is proleptic Gregorian with astronomical years,
 * as in PostgreSQL; the day arithmetic is Howard Hinnant's days_from_civil /
 * civil_from_days, exact for every int32 day count.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgorm/pgorm.h"

#define USECS_PER_DAY INT64_C(86400000000)

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;        /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

pgorm_date pgorm_date_from_ymd(int year, int month, int day)
{
    return (pgorm_date)days_from_civil(year, month, day);
}

void pgorm_date_to_ymd(pgorm_date d, int *year, int *month, int *day)
{
    civil_from_days(d, year, month, day);
}

pgorm_timestamp pgorm_timestamp_from_parts(int year, int month, int day, int hour, int min,
                                           int sec, int usec)
{
    int64_t days = days_from_civil(year, month, day);
    return days * USECS_PER_DAY +
           ((int64_t)hour * 3600 + (int64_t)min * 60 + sec) * INT64_C(1000000) + usec;
}

void pgorm_timestamp_to_parts(pgorm_timestamp t, int *year, int *month, int *day, int *hour,
                              int *min, int *sec, int *usec)
{
    int64_t days = t / USECS_PER_DAY;
    int64_t rem = t % USECS_PER_DAY;
    if (rem < 0) { /* floor division */
        rem += USECS_PER_DAY;
        days--;
    }
    civil_from_days(days, year, month, day);
    int64_t secs = rem / 1000000;
    *usec = (int)(rem % 1000000);
    *hour = (int)(secs / 3600);
    *min = (int)(secs / 60 % 60);
    *sec = (int)(secs % 60);
}

/* snprintf's result as our contract: the length, or -1 when it did not fit. */
static int fit(int n, size_t size)
{
    return n < 0 || (size_t)n >= size ? -1 : n;
}

/* Year as PostgreSQL prints it: at least 4 digits, "BC" for year <= 0. */
static const char *era_year(int year, int *shown)
{
    *shown = year > 0 ? year : 1 - year;
    return year > 0 ? "" : " BC";
}

int pgorm_date_format(pgorm_date d, char *buf, size_t size)
{
    if (d == PGORM_DATE_INFINITY)
        return fit(snprintf(buf, size, "infinity"), size);
    if (d == PGORM_DATE_NEG_INFINITY)
        return fit(snprintf(buf, size, "-infinity"), size);
    int y, m, day, shown;
    pgorm_date_to_ymd(d, &y, &m, &day);
    const char *bc = era_year(y, &shown);
    return fit(snprintf(buf, size, "%04d-%02d-%02d%s", shown, m, day, bc), size);
}

int pgorm_timestamp_format(pgorm_timestamp t, bool tz, char *buf, size_t size)
{
    if (t == PGORM_TIMESTAMP_INFINITY)
        return fit(snprintf(buf, size, "infinity"), size);
    if (t == PGORM_TIMESTAMP_NEG_INFINITY)
        return fit(snprintf(buf, size, "-infinity"), size);
    int y, mo, d, h, mi, s, us, shown;
    pgorm_timestamp_to_parts(t, &y, &mo, &d, &h, &mi, &s, &us);
    const char *bc = era_year(y, &shown);
    char frac[8] = "";
    if (us) {
        /* us is 1..999999, so the digits are not all zero: trim trailing ones */
        snprintf(frac, sizeof frac, ".%06d", us);
        size_t n = strlen(frac);
        while (n > 2 && frac[n - 1] == '0')
            n--;
        frac[n] = '\0';
    }
    return fit(snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d%s%s%s", shown, mo, d, h, mi, s,
                        frac, tz ? "Z" : "", bc),
               size);
}

int pgorm_uuid_format(const pgorm_uuid *u, char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    if (size < 37)
        return -1;
    char *p = buf;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[u->bytes[i] >> 4];
        *p++ = hex[u->bytes[i] & 15];
    }
    *p = '\0';
    return 36;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int pgorm_uuid_parse(const char *s, pgorm_uuid *out)
{
    pgorm_uuid u;
    bool braces = *s == '{';
    if (braces)
        s++;
    for (int i = 0; i < 16; i++) {
        int hi = hexval(s[0]);
        int lo = hi < 0 ? -1 : hexval(s[1]);
        if (lo < 0)
            return -1;
        u.bytes[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
        /* a hyphen may follow any group of four digits but the last */
        if (i % 2 == 1 && i < 15 && *s == '-')
            s++;
    }
    if (braces && *s++ != '}')
        return -1;
    if (*s)
        return -1;
    *out = u;
    return 0;
}

/* ------------------------------------------------------------------ */
/* time, timetz, interval                                              */

#define USECS_PER_HOUR INT64_C(3600000000)

pgorm_time pgorm_time_from_parts(int hour, int min, int sec, int usec)
{
    return ((int64_t)hour * 3600 + (int64_t)min * 60 + sec) * INT64_C(1000000) + usec;
}

void pgorm_time_to_parts(pgorm_time t, int *hour, int *min, int *sec, int *usec)
{
    int64_t secs = t / 1000000;
    *usec = (int)(t % 1000000);
    *hour = (int)(secs / 3600);
    *min = (int)(secs / 60 % 60);
    *sec = (int)(secs % 60);
}

/* ".5", ".000001": the fraction of |usec| (< 1e6) without trailing zeros,
   "" for none. */
static void fraction(int64_t usec, char frac[16])
{
    frac[0] = '\0';
    if (!usec)
        return;
    snprintf(frac, 16, ".%06d", (int)(usec < 0 ? -usec : usec) % 1000000);
    size_t n = strlen(frac);
    while (n > 2 && frac[n - 1] == '0')
        n--;
    frac[n] = '\0';
}

int pgorm_time_format(pgorm_time t, char *buf, size_t size)
{
    int h, m, s, us;
    pgorm_time_to_parts(t, &h, &m, &s, &us);
    char frac[16];
    fraction(us, frac);
    return fit(snprintf(buf, size, "%02d:%02d:%02d%s", h, m, s, frac), size);
}

int pgorm_timetz_format(pgorm_timetz t, char *buf, size_t size)
{
    char tm[32];
    if (pgorm_time_format(t.time, tm, sizeof tm) < 0)
        return -1;
    int64_t off = t.offset < 0 ? -(int64_t)t.offset : t.offset;
    int oh = (int)(off / 3600), om = (int)(off / 60 % 60), os = (int)(off % 60);
    char zone[24];
    /* as PostgreSQL: "+02", "+05:30", "-00:00:30" */
    if (os)
        snprintf(zone, sizeof zone, "%c%02d:%02d:%02d", t.offset < 0 ? '-' : '+', oh, om, os);
    else if (om)
        snprintf(zone, sizeof zone, "%c%02d:%02d", t.offset < 0 ? '-' : '+', oh, om);
    else
        snprintf(zone, sizeof zone, "%c%02d", t.offset < 0 ? '-' : '+', oh);
    return fit(snprintf(buf, size, "%s%s", tm, zone), size);
}

/* One "n unit(s)" part of PostgreSQL's interval output (IntervalStyle
   postgres): a '+' on a positive part after a negative one. */
static size_t interval_part(char *p, size_t room, int64_t v, const char *unit, bool *zero,
                            bool *before)
{
    if (!v)
        return 0;
    int n = snprintf(p, room, "%s%s%lld %s%s", *zero ? "" : " ", *before && v > 0 ? "+" : "",
                     (long long)v, unit, v != 1 ? "s" : "");
    *before = v < 0;
    *zero = false;
    return n < 0 ? room : (size_t)n;
}

int pgorm_interval_format(pgorm_interval v, char *buf, size_t size)
{
    char tmp[128];
    size_t n = 0;
    bool zero = true, before = false;
    n += interval_part(tmp + n, sizeof tmp - n, v.months / 12, "year", &zero, &before);
    n += interval_part(tmp + n, sizeof tmp - n, v.months % 12, "mon", &zero, &before);
    n += interval_part(tmp + n, sizeof tmp - n, v.days, "day", &zero, &before);
    if (zero || v.usec) {
        int64_t h = v.usec / USECS_PER_HOUR, rem = v.usec % USECS_PER_HOUR;
        int64_t mi = rem / 60000000, s = rem / 1000000 % 60, us = rem % 1000000;
        char frac[16];
        fraction(us, frac);
        snprintf(tmp + n, sizeof tmp - n, "%s%s%02lld:%02lld:%02lld%s", zero ? "" : " ",
                 v.usec < 0 ? "-" : before ? "+" : "", (long long)llabs(h),
                 (long long)llabs(mi), (long long)llabs(s), frac);
    }
    return fit(snprintf(buf, size, "%s", tmp), size);
}

/* ------------------------------------------------------------------ */
/* inet, cidr                                                          */

int pgorm_inet_format(const pgorm_inet *v, bool cidr, char *buf, size_t size)
{
    char a[INET6_ADDRSTRLEN];
    int af = v->family == PGORM_INET_V4 ? AF_INET : v->family == PGORM_INET_V6 ? AF_INET6 : -1;
    unsigned max = af == AF_INET ? 32 : 128;
    if (af < 0 || v->bits > max || !inet_ntop(af, v->addr, a, sizeof a))
        return -1;
    if (!cidr && v->bits == max)
        return fit(snprintf(buf, size, "%s", a), size);
    return fit(snprintf(buf, size, "%s/%u", a, (unsigned)v->bits), size);
}

int pgorm_inet_parse(const char *s, pgorm_inet *out)
{
    char a[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof a)
        return -1;
    memcpy(a, s, n);
    a[n] = '\0';
    pgorm_inet v;
    memset(&v, 0, sizeof v);
    unsigned max;
    if (inet_pton(AF_INET, a, v.addr) == 1) {
        v.family = PGORM_INET_V4;
        max = 32;
    } else if (inet_pton(AF_INET6, a, v.addr) == 1) {
        v.family = PGORM_INET_V6;
        max = 128;
    } else
        return -1;
    unsigned bits = max;
    if (slash) {
        const char *d = slash + 1;
        if (*d < '0' || *d > '9')
            return -1;
        bits = 0;
        for (; *d >= '0' && *d <= '9' && bits <= max; d++)
            bits = bits * 10 + (unsigned)(*d - '0');
        if (*d || bits > max)
            return -1;
    }
    v.bits = (uint8_t)bits;
    *out = v;
    return 0;
}
