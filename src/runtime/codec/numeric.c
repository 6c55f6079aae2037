/* numeric: exact decimal text <-> PostgreSQL's binary numeric.
 *
 * The binary form (numeric_send/numeric_recv) is
 *   int16 ndigits, int16 weight, uint16 sign, uint16 dscale, int16 digit[ndigits]
 * where the digits are base 10000, digit[0] has weight `weight` (its value
 * is digit[0] * 10000^weight), `sign` is one of the constants below, and
 * dscale is the number of decimal digits shown after the point. Zero has no
 * digits. The text side follows set_var_from_str and get_str_from_var in
 * PostgreSQL's numeric.c, so a value round-trips to the very text psql shows.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "runtime/codec/codec.h"

#define NUMERIC_POS 0x0000
#define NUMERIC_NEG 0x4000
#define NUMERIC_NAN 0xC000
#define NUMERIC_PINF 0xD000
#define NUMERIC_NINF 0xF000
#define NUMERIC_DSCALE_MAX 0x3FFF
#define NUMERIC_MAX_EXPONENT 1000 /* NUMERIC_MAX_PRECISION: PostgreSQL's limit */

static const int pow10_4[4] = {1, 10, 100, 1000};

/* The decimal digits of the input, as one virtual string over the integer
   part and the fraction part of the text. */
typedef struct digits {
    const char *ip; /* integer digits */
    size_t ni;
    const char *fp; /* fraction digits */
    size_t nf;
} digits;

static int digit_at(const digits *d, size_t k)
{
    return (k < d->ni ? d->ip[k] : d->fp[k - d->ni]) - '0';
}

static int64_t floordiv4(int64_t x)
{
    return x >= 0 ? x / 4 : -((-x + 3) / 4);
}

static void put_header(pgorm_buf *out, int ndigits, int weight, unsigned sign, int dscale)
{
    pgorm_buf_put_u16(out, (uint16_t)ndigits);
    pgorm_buf_put_u16(out, (uint16_t)(int16_t)weight);
    pgorm_buf_put_u16(out, (uint16_t)sign);
    pgorm_buf_put_u16(out, (uint16_t)dscale);
}

static bool word(const char **s, const char *w)
{
    size_t n = strlen(w);
    if (strncasecmp(*s, w, n) != 0)
        return false;
    *s += n;
    return true;
}

static void skip_blanks(const char **s)
{
    while (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r' || **s == '\f' ||
           **s == '\v')
        (*s)++;
}

static int bad(const char *text, char *why, size_t whysz)
{
    snprintf(why, whysz, "\"%.40s\" is not a number (numeric takes e.g. \"-12.50\", \"1e3\", "
                         "\"NaN\")",
             text);
    return -1;
}

int pgorm_numeric_encode(const char *text, pgorm_buf *out, char *why, size_t whysz)
{
    const char *s = text;
    skip_blanks(&s);
    unsigned special = 0;
    const char *t = s;
    if (word(&t, "nan"))
        special = NUMERIC_NAN;
    else {
        bool neg = *t == '-';
        if (*t == '-' || *t == '+')
            t++;
        if (word(&t, "infinity") || word(&t, "inf"))
            special = neg ? NUMERIC_NINF : NUMERIC_PINF;
    }
    if (special) {
        skip_blanks(&t);
        if (*t)
            return bad(text, why, whysz);
        put_header(out, 0, 0, special, 0);
        return 0;
    }

    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    digits d = {s, 0, NULL, 0};
    while (*s >= '0' && *s <= '9')
        s++;
    d.ni = (size_t)(s - d.ip);
    if (*s == '.') {
        d.fp = ++s;
        while (*s >= '0' && *s <= '9')
            s++;
        d.nf = (size_t)(s - d.fp);
    }
    if (d.ni + d.nf == 0)
        return bad(text, why, whysz);
    int64_t exponent = 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        bool eneg = *s == '-';
        if (*s == '-' || *s == '+')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return bad(text, why, whysz);
        while (*s >= '0' && *s <= '9') {
            exponent = exponent * 10 + (*s++ - '0');
            if (exponent > NUMERIC_MAX_EXPONENT) {
                snprintf(why, whysz, "numeric \"%.40s\": exponent beyond +-%d", text,
                         NUMERIC_MAX_EXPONENT);
                return -1;
            }
        }
        if (eneg)
            exponent = -exponent;
    }
    skip_blanks(&s);
    if (*s)
        return bad(text, why, whysz);

    int64_t dscale = (int64_t)d.nf - exponent;
    if (dscale < 0)
        dscale = 0;
    if (dscale > NUMERIC_DSCALE_MAX) {
        snprintf(why, whysz, "numeric \"%.40s\": more than %d digits after the point", text,
                 NUMERIC_DSCALE_MAX);
        return -1;
    }

    /* The decimal point sits after `point` digits of the digit string;
       leading and trailing zeros carry no information. */
    size_t nd = d.ni + d.nf;
    size_t first = 0;
    while (first < nd && digit_at(&d, first) == 0)
        first++;
    if (first == nd) { /* zero: no digits, positive */
        put_header(out, 0, 0, NUMERIC_POS, (int)dscale);
        return 0;
    }
    size_t last = nd; /* one past the last non-zero digit */
    while (digit_at(&d, last - 1) == 0)
        last--;
    int64_t point = (int64_t)d.ni + exponent;
    /* digit k has decimal exponent point-1-k; base-10000 digit g has
       weight `weight - g` */
    int64_t weight = floordiv4(point - 1 - (int64_t)first);
    int64_t lowest = floordiv4(point - 1 - (int64_t)(last - 1));
    int64_t ngroups = weight - lowest + 1;
    if (weight > INT16_MAX || lowest < INT16_MIN || ngroups > INT16_MAX) {
        snprintf(why, whysz, "numeric \"%.40s\" is out of range", text);
        return -1;
    }
    put_header(out, (int)ngroups, (int)weight, neg ? NUMERIC_NEG : NUMERIC_POS, (int)dscale);
    for (int64_t g = 0; g < ngroups; g++) {
        int64_t gw = weight - g;
        int v = 0;
        for (int e = 3; e >= 0; e--) {
            int64_t k = point - 1 - (gw * 4 + e);
            if (k >= (int64_t)first && k < (int64_t)last)
                v += digit_at(&d, (size_t)k) * pow10_4[e];
        }
        pgorm_buf_put_u16(out, (uint16_t)v);
    }
    return 0;
}

static unsigned get_u16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

char *pgorm_numeric_decode(const char *v, size_t len, pgorm_arena *a, bool *oom, char *why,
                           size_t whysz)
{
    const unsigned char *p = (const unsigned char *)v;
    if (len < 8) {
        snprintf(why, whysz, "binary numeric of %zu bytes (at least 8 expected)", len);
        return NULL;
    }
    int ndigits = (int16_t)get_u16(p);
    int weight = (int16_t)get_u16(p + 2);
    unsigned sign = get_u16(p + 4);
    int dscale = (int)get_u16(p + 6);
    if (ndigits < 0 || len != 8 + 2 * (size_t)ndigits) {
        snprintf(why, whysz, "binary numeric with %d digits in %zu bytes", ndigits, len);
        return NULL;
    }
    const char *special = sign == NUMERIC_NAN    ? "NaN"
                          : sign == NUMERIC_PINF ? "Infinity"
                          : sign == NUMERIC_NINF ? "-Infinity"
                                                 : NULL;
    if (special) {
        char *r = pgorm_arena_strndup(a, special, strlen(special));
        if (!r) {
            *oom = true;
            snprintf(why, whysz, "out of memory");
        }
        return r;
    }
    if ((sign != NUMERIC_POS && sign != NUMERIC_NEG) || dscale > NUMERIC_DSCALE_MAX) {
        snprintf(why, whysz, "binary numeric with sign 0x%04x and scale %d", sign, dscale);
        return NULL;
    }
    p += 8;
    for (int i = 0; i < ndigits; i++)
        if (get_u16(p + 2 * i) > 9999) {
            snprintf(why, whysz, "binary numeric digit %u out of range", get_u16(p + 2 * i));
            return NULL;
        }

    /* sign, integer part (at least "0"), point, dscale digits, NUL */
    size_t intdigits = weight >= 0 ? ((size_t)weight + 1) * 4 : 1;
    size_t cap = 1 + intdigits + 1 + (size_t)dscale + 4 + 1;
    char *buf = pgorm_arena_alloc(a, cap);
    if (!buf) {
        *oom = true;
        snprintf(why, whysz, "out of memory");
        return NULL;
    }
    char *cp = buf;
    if (sign == NUMERIC_NEG)
        *cp++ = '-';
    int d;
    if (weight < 0) {
        d = weight + 1;
        *cp++ = '0';
    } else {
        for (d = 0; d <= weight; d++) {
            int dig = d < ndigits ? (int)get_u16(p + 2 * d) : 0;
            bool put = d > 0; /* no leading zeros in the first group */
            for (int e = 3; e > 0; e--) {
                int q = dig / pow10_4[e];
                dig -= q * pow10_4[e];
                put |= q > 0;
                if (put)
                    *cp++ = (char)('0' + q);
            }
            *cp++ = (char)('0' + dig);
        }
    }
    if (dscale > 0) {
        *cp++ = '.';
        char *end = cp + dscale;
        for (int i = 0; i < dscale; d++, i += 4) {
            int dig = d >= 0 && d < ndigits ? (int)get_u16(p + 2 * d) : 0;
            for (int e = 3; e >= 0; e--) {
                int q = dig / pow10_4[e];
                dig -= q * pow10_4[e];
                *cp++ = (char)('0' + q);
            }
        }
        cp = end;
    }
    *cp = '\0';
    return buf;
}
