/* Binary encoders and decoders for pgorm's value types (see codec.h).
 *
 * Wire forms (PostgreSQL's send and recv functions): integers and floats big-endian;
 * bool one byte; text, varchar and bytea their bytes; uuid 16 bytes; date
 * int32 days and timestamps int64 microseconds, both counted from
 * 2000-01-01 (pgorm counts from 1970-01-01), with INT32/INT64 MIN/MAX as
 * -infinity/infinity; jsonb a version byte 1 then the JSON text; numeric in
 * numeric.c. Loads and stores go through memcpy: fields may sit anywhere.
 */
#include <stdio.h>
#include <string.h>

#include "runtime/codec/codec.h"

/* 2000-01-01 - 1970-01-01 */
#define EPOCH_DAYS 10957
#define EPOCH_USECS (INT64_C(10957) * 86400 * 1000000)

typedef struct type_info {
    Oid oid;
    Oid array_oid;
    const char *name;
    size_t size;
} type_info;

static const type_info types[] = {
    [PGORM_BOOL] = {PGORM_OID_BOOL, 1000, "bool", sizeof(bool)},
    [PGORM_INT2] = {PGORM_OID_INT2, 1005, "int2", sizeof(int16_t)},
    [PGORM_INT4] = {PGORM_OID_INT4, 1007, "int4", sizeof(int32_t)},
    [PGORM_INT8] = {PGORM_OID_INT8, 1016, "int8", sizeof(int64_t)},
    [PGORM_FLOAT4] = {PGORM_OID_FLOAT4, 1021, "float4", sizeof(float)},
    [PGORM_FLOAT8] = {PGORM_OID_FLOAT8, 1022, "float8", sizeof(double)},
    [PGORM_NUMERIC] = {PGORM_OID_NUMERIC, 1231, "numeric", sizeof(char *)},
    [PGORM_TEXT] = {PGORM_OID_TEXT, 1009, "text", sizeof(char *)},
    [PGORM_BYTEA] = {PGORM_OID_BYTEA, 1001, "bytea", sizeof(pgorm_bytes)},
    [PGORM_UUID] = {PGORM_OID_UUID, 2951, "uuid", sizeof(pgorm_uuid)},
    [PGORM_DATE] = {PGORM_OID_DATE, 1182, "date", sizeof(pgorm_date)},
    [PGORM_TIMESTAMP] = {PGORM_OID_TIMESTAMP, 1115, "timestamp", sizeof(pgorm_timestamp)},
    [PGORM_TIMESTAMPTZ] = {PGORM_OID_TIMESTAMPTZ, 1185, "timestamptz", sizeof(pgorm_timestamp)},
    [PGORM_JSONB] = {PGORM_OID_JSONB, 3807, "jsonb", sizeof(char *)},
    /* sent as text, cast to the enum type by the SQL */
    [PGORM_ENUM] = {PGORM_OID_TEXT, 1009, "text", sizeof(int)},
    [PGORM_TIME] = {PGORM_OID_TIME, 1183, "time", sizeof(pgorm_time)},
    [PGORM_TIMETZ] = {PGORM_OID_TIMETZ, 1270, "timetz", sizeof(pgorm_timetz)},
    [PGORM_INTERVAL] = {PGORM_OID_INTERVAL, 1187, "interval", sizeof(pgorm_interval)},
    [PGORM_INET] = {PGORM_OID_INET, 1041, "inet", sizeof(pgorm_inet)},
    [PGORM_CIDR] = {PGORM_OID_CIDR, 651, "cidr", sizeof(pgorm_inet)},
    [PGORM_JSON] = {PGORM_OID_JSON, 199, "json", sizeof(char *)},
    [PGORM_CHAR] = {PGORM_OID_BPCHAR, 1014, "bpchar", sizeof(char *)},
    /* citext's OID is the database's own: sent as text, cast by the SQL */
    [PGORM_CITEXT] = {PGORM_OID_TEXT, 1009, "text", sizeof(char *)},
};

bool pgorm_codec_known(pgorm_type t)
{
    return t >= PGORM_BOOL && t <= PGORM_CITEXT;
}

Oid pgorm_codec_oid(pgorm_type t)
{
    return pgorm_codec_known(t) ? types[t].oid : 0;
}

Oid pgorm_codec_array_oid(pgorm_type t)
{
    return pgorm_codec_known(t) ? types[t].array_oid : 0;
}

const char *pgorm_codec_name(pgorm_type t)
{
    return pgorm_codec_known(t) ? types[t].name : NULL;
}

size_t pgorm_codec_size(pgorm_type t)
{
    return pgorm_codec_known(t) ? types[t].size : 0;
}

bool pgorm_codec_is_pointer(pgorm_type t)
{
    return t == PGORM_NUMERIC || t == PGORM_TEXT || t == PGORM_JSONB || t == PGORM_JSON ||
           t == PGORM_CHAR || t == PGORM_CITEXT;
}

bool pgorm_codec_is_text(pgorm_type t)
{
    return t == PGORM_TEXT || t == PGORM_CHAR || t == PGORM_CITEXT;
}

bool pgorm_codec_is_null(const pgorm_column_desc *c, const void *row)
{
    const char *base = row;
    if (pgorm_codec_is_pointer(c->type) || c->array) {
        const char *s;
        memcpy(&s, base + c->offset, sizeof s);
        return s == NULL;
    }
    if (c->type == PGORM_BYTEA) {
        pgorm_bytes b;
        memcpy(&b, base + c->offset, sizeof b);
        return b.data == NULL;
    }
    if (c->has_offset == PGORM_NO_OFFSET)
        return false;
    bool has;
    memcpy(&has, base + c->has_offset, sizeof has);
    return !has;
}

/* ---------------------------------------------------------------- */
/* Encoding                                                          */

static int too_big(size_t len, char *why, size_t whysz)
{
    snprintf(why, whysz, "a value of %zu bytes (the protocol's limit is 1 GiB)", len);
    return -1;
}

int pgorm_codec_encode(pgorm_type t, const void *v, pgorm_buf *out, char *why, size_t whysz)
{
    switch (t) {
    case PGORM_BOOL: {
        bool b;
        memcpy(&b, v, sizeof b);
        pgorm_buf_putc(out, b ? 1 : 0);
        return 1;
    }
    case PGORM_INT2: {
        int16_t x;
        memcpy(&x, v, sizeof x);
        pgorm_buf_put_u16(out, (uint16_t)x);
        return 1;
    }
    case PGORM_INT4: {
        int32_t x;
        memcpy(&x, v, sizeof x);
        pgorm_buf_put_u32(out, (uint32_t)x);
        return 1;
    }
    case PGORM_INT8: {
        int64_t x;
        memcpy(&x, v, sizeof x);
        pgorm_buf_put_u64(out, (uint64_t)x);
        return 1;
    }
    case PGORM_FLOAT4: {
        uint32_t x;
        memcpy(&x, v, sizeof x);
        pgorm_buf_put_u32(out, x);
        return 1;
    }
    case PGORM_FLOAT8: {
        uint64_t x;
        memcpy(&x, v, sizeof x);
        pgorm_buf_put_u64(out, x);
        return 1;
    }
    case PGORM_NUMERIC:
    case PGORM_TEXT:
    case PGORM_JSON:
    case PGORM_CHAR:
    case PGORM_CITEXT:
    case PGORM_JSONB: {
        const char *s;
        memcpy(&s, v, sizeof s);
        if (!s)
            return 0;
        if (t == PGORM_NUMERIC)
            return pgorm_numeric_encode(s, out, why, whysz) == 0 ? 1 : -1;
        size_t n = strlen(s);
        if (n >= (1u << 30))
            return too_big(n, why, whysz);
        if (t == PGORM_JSONB)
            pgorm_buf_putc(out, 1); /* jsonb binary format version */
        pgorm_buf_append(out, s, n);
        return 1;
    }
    case PGORM_ENUM:
        snprintf(why, whysz, "an enum value is sent through its column's labels");
        return -1;
    case PGORM_BYTEA: {
        pgorm_bytes b;
        memcpy(&b, v, sizeof b);
        if (!b.data)
            return 0;
        if (b.len >= (1u << 30))
            return too_big(b.len, why, whysz);
        pgorm_buf_append(out, b.data, b.len);
        return 1;
    }
    case PGORM_UUID:
        pgorm_buf_append(out, v, 16);
        return 1;
    case PGORM_DATE: {
        pgorm_date d;
        memcpy(&d, v, sizeof d);
        int64_t pg = d == PGORM_DATE_INFINITY       ? INT32_MAX
                     : d == PGORM_DATE_NEG_INFINITY ? INT32_MIN
                                                    : (int64_t)d - EPOCH_DAYS;
        if (pg <= INT32_MIN && d != PGORM_DATE_NEG_INFINITY) {
            snprintf(why, whysz, "date %d days from 1970 is out of range", (int)d);
            return -1;
        }
        pgorm_buf_put_u32(out, (uint32_t)(int32_t)pg);
        return 1;
    }
    case PGORM_TIMESTAMP:
    case PGORM_TIMESTAMPTZ: {
        pgorm_timestamp ts;
        memcpy(&ts, v, sizeof ts);
        int64_t pg;
        if (ts == PGORM_TIMESTAMP_INFINITY || ts == PGORM_TIMESTAMP_NEG_INFINITY)
            pg = ts;
        else if (ts < INT64_MIN + EPOCH_USECS + 1) {
            snprintf(why, whysz, "timestamp %lld µs from 1970 is out of range", (long long)ts);
            return -1;
        } else
            pg = ts - EPOCH_USECS;
        pgorm_buf_put_u64(out, (uint64_t)pg);
        return 1;
    }
    case PGORM_TIME: {
        pgorm_time x;
        memcpy(&x, v, sizeof x);
        pgorm_buf_put_u64(out, (uint64_t)x);
        return 1;
    }
    case PGORM_TIMETZ: {
        pgorm_timetz x;
        memcpy(&x, v, sizeof x);
        if (x.offset == INT32_MIN) {
            snprintf(why, whysz, "UTC offset %d s is out of range", (int)x.offset);
            return -1;
        }
        pgorm_buf_put_u64(out, (uint64_t)x.time);
        /* PostgreSQL counts the zone in seconds WEST of UTC */
        pgorm_buf_put_u32(out, (uint32_t)(int32_t)-x.offset);
        return 1;
    }
    case PGORM_INTERVAL: {
        pgorm_interval x;
        memcpy(&x, v, sizeof x);
        pgorm_buf_put_u64(out, (uint64_t)x.usec);
        pgorm_buf_put_u32(out, (uint32_t)x.days);
        pgorm_buf_put_u32(out, (uint32_t)x.months);
        return 1;
    }
    case PGORM_INET:
    case PGORM_CIDR: {
        pgorm_inet x;
        memcpy(&x, v, sizeof x);
        unsigned nb = x.family == PGORM_INET_V4 ? 4 : x.family == PGORM_INET_V6 ? 16 : 0;
        if (!nb || x.bits > nb * 8) {
            snprintf(why, whysz,
                     nb ? "netmask length %u is out of range for the address family (0-%u)"
                        : "address family %u is neither PGORM_INET_V4 nor PGORM_INET_V6",
                     nb ? x.bits : x.family, nb * 8);
            return -1;
        }
        /* family (PGSQL_AF_INET 2, PGSQL_AF_INET6 3), bits, is_cidr, size */
        unsigned char hdr[4] = {nb == 4 ? 2 : 3, x.bits, t == PGORM_CIDR, (unsigned char)nb};
        pgorm_buf_append(out, hdr, sizeof hdr);
        pgorm_buf_append(out, x.addr, nb);
        return 1;
    }
    }
    snprintf(why, whysz, "unknown pgorm_type %d", (int)t);
    return -1;
}

static int encode_array(pgorm_type t, const pgorm_column_desc *col, const void *vals,
                        const void *has, size_t n, size_t stride, pgorm_buf *out, char *why,
                        size_t whysz);

int pgorm_codec_encode_array(pgorm_type t, const void *vals, const void *has, size_t n,
                             size_t stride, pgorm_buf *out, char *why, size_t whysz)
{
    return encode_array(t, NULL, vals, has, n, stride, out, why, whysz);
}

int pgorm_codec_encode_enum(const pgorm_column_desc *c, const void *v, pgorm_buf *out,
                            char *why, size_t whysz)
{
    int x;
    memcpy(&x, v, sizeof x);
    if (!c->enum_labels || x < 0 || (size_t)x >= c->nenum_labels || !c->enum_labels[x]) {
        snprintf(why, whysz, "%d is not a value of the enum (it has %zu)", x, c->nenum_labels);
        return -1;
    }
    pgorm_buf_puts(out, c->enum_labels[x]);
    return 1;
}

int pgorm_codec_encode_col(const pgorm_column_desc *c, const void *v, pgorm_buf *out, char *why,
                           size_t whysz)
{
    if (c->type == PGORM_ENUM)
        return pgorm_codec_encode_enum(c, v, out, why, whysz);
    return pgorm_codec_encode(c->type, v, out, why, whysz);
}

int pgorm_codec_encode_array_col(const pgorm_column_desc *c, const void *vals, const void *has,
                                 size_t n, size_t stride, pgorm_buf *out, char *why, size_t whysz)
{
    return encode_array(c->type, c, vals, has, n, stride, out, why, whysz);
}

static int encode_array(pgorm_type t, const pgorm_column_desc *col, const void *vals,
                        const void *has, size_t n, size_t stride, pgorm_buf *out, char *why,
                        size_t whysz)
{
    if (!pgorm_codec_known(t)) {
        snprintf(why, whysz, "unknown pgorm_type %d", (int)t);
        return -1;
    }
    if (n > INT32_MAX / 16) {
        snprintf(why, whysz, "an array of %zu elements is too large", n);
        return -1;
    }
    /* ndim, has-nulls flag, element type, then (length, lower bound) */
    pgorm_buf_put_u32(out, n ? 1 : 0);
    size_t flags_at = out->len;
    pgorm_buf_put_u32(out, 0);
    pgorm_buf_put_u32(out, types[t].oid);
    if (n == 0)
        return 0;
    pgorm_buf_put_u32(out, (uint32_t)n);
    pgorm_buf_put_u32(out, 1);
    /* each element: int32 length (-1 for NULL), then its bytes */
    pgorm_buf_reserve(out, n * (4 + types[t].size));
    bool nulls = false;
    const char *vp = vals;
    const char *hp = has;
    for (size_t i = 0; i < n; i++, vp += stride) {
        bool present = true;
        if (hp) {
            memcpy(&present, hp, sizeof present);
            hp += stride;
        }
        size_t len_at = out->len;
        pgorm_buf_put_u32(out, UINT32_MAX);
        int rc = !present ? 0
                 : col    ? pgorm_codec_encode_col(col, vp, out, why, whysz)
                          : pgorm_codec_encode(t, vp, out, why, whysz);
        if (rc < 0) {
            size_t w = strlen(why);
            if (w + 1 < whysz)
                snprintf(why + w, whysz - w, " (element %zu)", i);
            return -1;
        }
        if (rc == 0)
            nulls = true;
        else
            pgorm_buf_patch_u32(out, len_at, (uint32_t)(out->len - len_at - 4));
    }
    if (nulls)
        pgorm_buf_patch_u32(out, flags_at, 1);
    return 0;
}

/* ---------------------------------------------------------------- */
/* Decoding                                                          */

bool pgorm_codec_accepts(pgorm_type t, Oid oid)
{
    switch (t) {
    case PGORM_INT2:
    case PGORM_INT4:
    case PGORM_INT8:
        return oid == PGORM_OID_INT2 || oid == PGORM_OID_INT4 || oid == PGORM_OID_INT8;
    case PGORM_FLOAT8:
        return oid == PGORM_OID_FLOAT8 || oid == PGORM_OID_FLOAT4;
    case PGORM_TEXT:
        return oid == PGORM_OID_TEXT || oid == PGORM_OID_VARCHAR || oid == PGORM_OID_BPCHAR ||
               oid == PGORM_OID_NAME;
    case PGORM_JSONB:
    case PGORM_JSON:
        return oid == PGORM_OID_JSONB || oid == PGORM_OID_JSON;
    case PGORM_CHAR:
        return oid == PGORM_OID_BPCHAR || oid == PGORM_OID_TEXT || oid == PGORM_OID_VARCHAR;
    case PGORM_INET:
    case PGORM_CIDR:
        return oid == PGORM_OID_INET || oid == PGORM_OID_CIDR;
    case PGORM_CITEXT: /* the extension's type (a database OID), or text */
        return oid >= 16384 || oid == PGORM_OID_TEXT || oid == PGORM_OID_VARCHAR;
    case PGORM_ENUM:
        /* an enum type is the database's own (an OID past the built-in
           ones), its binary form the label; text reads the same way */
        return oid >= 16384 || oid == PGORM_OID_TEXT || oid == PGORM_OID_VARCHAR ||
               oid == PGORM_OID_NAME;
    default:
        return pgorm_codec_known(t) && oid == types[t].oid;
    }
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)pgorm_get_u32(p) << 32 | pgorm_get_u32(p + 4);
}

static int bad_len(pgorm_type t, size_t len, size_t want, char *why, size_t whysz)
{
    snprintf(why, whysz, "binary %s of %zu bytes (%zu expected)", types[t].name, len, want);
    return -1;
}

static int copy_string(const char *v, size_t len, void *dst, pgorm_arena *a, bool *oom,
                       char *why, size_t whysz)
{
    char *s = pgorm_arena_strndup(a, v, len);
    if (!s) {
        *oom = true;
        snprintf(why, whysz, "out of memory");
        return -1;
    }
    memcpy(dst, &s, sizeof s);
    return 0;
}

static int decode_int(pgorm_type t, Oid oid, const unsigned char *p, size_t len, void *dst,
                      char *why, size_t whysz)
{
    int64_t x;
    size_t want = oid == PGORM_OID_INT2 ? 2 : oid == PGORM_OID_INT4 ? 4 : 8;
    if (len != want)
        return bad_len(t, len, want, why, whysz);
    if (want == 2)
        x = (int16_t)(uint16_t)(p[0] << 8 | p[1]);
    else if (want == 4)
        x = (int32_t)pgorm_get_u32(p);
    else
        x = (int64_t)get_u64(p);
    if (t == PGORM_INT2) {
        if (x < INT16_MIN || x > INT16_MAX)
            goto range;
        int16_t v = (int16_t)x;
        memcpy(dst, &v, sizeof v);
    } else if (t == PGORM_INT4) {
        if (x < INT32_MIN || x > INT32_MAX)
            goto range;
        int32_t v = (int32_t)x;
        memcpy(dst, &v, sizeof v);
    } else
        memcpy(dst, &x, sizeof x);
    return 0;
range:
    snprintf(why, whysz, "%lld does not fit in %s", (long long)x, types[t].name);
    return -1;
}

int pgorm_codec_decode(pgorm_type t, Oid oid, const char *v, size_t len, void *dst,
                       pgorm_arena *a, bool *oom, char *why, size_t whysz)
{
    const unsigned char *p = (const unsigned char *)v;
    switch (t) {
    case PGORM_BOOL: {
        if (len != 1)
            return bad_len(t, len, 1, why, whysz);
        bool b = p[0] != 0;
        memcpy(dst, &b, sizeof b);
        return 0;
    }
    case PGORM_INT2:
    case PGORM_INT4:
    case PGORM_INT8:
        return decode_int(t, oid, p, len, dst, why, whysz);
    case PGORM_FLOAT4:
    case PGORM_FLOAT8: {
        if (oid == PGORM_OID_FLOAT4) {
            if (len != 4)
                return bad_len(t, len, 4, why, whysz);
            uint32_t u = pgorm_get_u32(p);
            float f;
            memcpy(&f, &u, sizeof f);
            if (t == PGORM_FLOAT4)
                memcpy(dst, &f, sizeof f);
            else {
                double d = f;
                memcpy(dst, &d, sizeof d);
            }
            return 0;
        }
        if (len != 8)
            return bad_len(t, len, 8, why, whysz);
        uint64_t u = get_u64(p);
        memcpy(dst, &u, sizeof u);
        return 0;
    }
    case PGORM_NUMERIC: {
        char *s = pgorm_numeric_decode(v, len, a, oom, why, whysz);
        if (!s)
            return -1;
        memcpy(dst, &s, sizeof s);
        return 0;
    }
    case PGORM_ENUM:
        snprintf(why, whysz, "an enum value is read through its column's labels");
        return -1;
    case PGORM_TEXT:
    case PGORM_CHAR:
    case PGORM_CITEXT:
        return copy_string(v, len, dst, a, oom, why, whysz);
    case PGORM_JSONB:
    case PGORM_JSON:
        if (oid == PGORM_OID_JSONB) {
            if (len < 1 || p[0] != 1) {
                snprintf(why, whysz, "binary jsonb of version %d (1 expected)",
                         len ? p[0] : -1);
                return -1;
            }
            v++;
            len--;
        }
        return copy_string(v, len, dst, a, oom, why, whysz);
    case PGORM_BYTEA: {
        /* never NULL data for a value: an empty bytea is a valid pointer */
        pgorm_bytes b = {pgorm_arena_alloc(a, len), len};
        if (!b.data) {
            *oom = true;
            snprintf(why, whysz, "out of memory");
            return -1;
        }
        if (len)
            memcpy(b.data, v, len);
        memcpy(dst, &b, sizeof b);
        return 0;
    }
    case PGORM_UUID:
        if (len != 16)
            return bad_len(t, len, 16, why, whysz);
        memcpy(dst, v, 16);
        return 0;
    case PGORM_DATE: {
        if (len != 4)
            return bad_len(t, len, 4, why, whysz);
        int32_t pg = (int32_t)pgorm_get_u32(p);
        /* PostgreSQL's dates end in 5874897 AD: + EPOCH_DAYS never overflows */
        pgorm_date d = pg == INT32_MAX   ? PGORM_DATE_INFINITY
                       : pg == INT32_MIN ? PGORM_DATE_NEG_INFINITY
                                         : (pgorm_date)((int64_t)pg + EPOCH_DAYS);
        if (pg != INT32_MAX && (int64_t)pg + EPOCH_DAYS >= INT32_MAX) {
            snprintf(why, whysz, "date out of range");
            return -1;
        }
        memcpy(dst, &d, sizeof d);
        return 0;
    }
    case PGORM_TIMESTAMP:
    case PGORM_TIMESTAMPTZ: {
        if (len != 8)
            return bad_len(t, len, 8, why, whysz);
        int64_t pg = (int64_t)get_u64(p);
        pgorm_timestamp ts;
        if (pg == INT64_MAX || pg == INT64_MIN)
            ts = pg;
        else if (pg >= INT64_MAX - EPOCH_USECS) {
            snprintf(why, whysz, "timestamp after year 294246 does not fit pgorm_timestamp");
            return -1;
        } else
            ts = pg + EPOCH_USECS;
        memcpy(dst, &ts, sizeof ts);
        return 0;
    }
    case PGORM_TIME: {
        if (len != 8)
            return bad_len(t, len, 8, why, whysz);
        pgorm_time x = (pgorm_time)get_u64(p);
        memcpy(dst, &x, sizeof x);
        return 0;
    }
    case PGORM_TIMETZ: {
        if (len != 12)
            return bad_len(t, len, 12, why, whysz);
        int32_t west = (int32_t)pgorm_get_u32(p + 8);
        if (west == INT32_MIN) {
            snprintf(why, whysz, "timetz zone out of range");
            return -1;
        }
        pgorm_timetz x = {.time = (pgorm_time)get_u64(p), .offset = -west};
        memcpy(dst, &x, sizeof x);
        return 0;
    }
    case PGORM_INTERVAL: {
        if (len != 16)
            return bad_len(t, len, 16, why, whysz);
        pgorm_interval x = {.usec = (int64_t)get_u64(p),
                            .days = (int32_t)pgorm_get_u32(p + 8),
                            .months = (int32_t)pgorm_get_u32(p + 12)};
        memcpy(dst, &x, sizeof x);
        return 0;
    }
    case PGORM_INET:
    case PGORM_CIDR: {
        pgorm_inet x;
        memset(&x, 0, sizeof x);
        size_t nb = len >= 4 ? p[3] : 0;
        if (len < 4 || (p[0] != 2 && p[0] != 3) || nb != (p[0] == 2 ? 4u : 16u) ||
            len != 4 + nb || p[1] > nb * 8) {
            snprintf(why, whysz, "binary %s of %zu bytes is not an address", types[t].name,
                     len);
            return -1;
        }
        x.family = p[0] == 2 ? PGORM_INET_V4 : PGORM_INET_V6;
        x.bits = p[1];
        memcpy(x.addr, p + 4, nb);
        memcpy(dst, &x, sizeof x);
        return 0;
    }
    }
    snprintf(why, whysz, "unknown pgorm_type %d", (int)t);
    return -1;
}

int pgorm_codec_decode_column(const pgorm_column_desc *c, Oid oid, int format, const char *v,
                              int len, bool isnull, void *row, pgorm_arena *a, bool *oom,
                              char *why, size_t whysz)
{
    char *base = row;
    if (c->array) {
        if (isnull) {
            memset(base + c->offset, 0, sizeof(void *));
            memset(base + c->count_offset, 0, sizeof(size_t));
            return 0;
        }
        if (format != 1 || len < 0) {
            snprintf(why, whysz, "an array in text format or of negative length");
            return -1;
        }
        return pgorm_codec_decode_array_column(c, v, (size_t)len, row, a, oom, why, whysz);
    }
    bool has_flag = c->has_offset != PGORM_NO_OFFSET && !pgorm_codec_is_pointer(c->type) &&
                    c->type != PGORM_BYTEA;
    if (isnull) {
        if (pgorm_codec_is_pointer(c->type) || c->type == PGORM_BYTEA || has_flag) {
            memset(base + c->offset, 0, types[c->type].size);
            if (has_flag)
                memset(base + c->has_offset, 0, sizeof(bool));
            return 0;
        }
        snprintf(why, whysz, "NULL, but the model has no has_%s flag (NOT NULL column)",
                 c->name);
        return -1;
    }
    if (format != 1) {
        snprintf(why, whysz, "text format results are not read yet (binary expected)");
        return -1;
    }
    if (len < 0) {
        snprintf(why, whysz, "negative length %d", len);
        return -1;
    }
    if (c->type == PGORM_ENUM) {
        if (pgorm_codec_decode_enum(c, v, (size_t)len, base + c->offset, why, whysz))
            return -1;
    } else if (pgorm_codec_decode(c->type, oid, v, (size_t)len, base + c->offset, a, oom, why,
                                  whysz)) {
        return -1;
    }
    if (has_flag) {
        bool t = true;
        memcpy(base + c->has_offset, &t, sizeof t);
    }
    return 0;
}

int pgorm_codec_decode_enum(const pgorm_column_desc *c, const char *v, size_t len, void *dst,
                            char *why, size_t whysz)
{
    for (size_t i = 0; c->enum_labels && i < c->nenum_labels; i++) {
        const char *l = c->enum_labels[i];
        if (l && strlen(l) == len && memcmp(l, v, len) == 0) {
            int x = (int)i;
            memcpy(dst, &x, sizeof x);
            return 0;
        }
    }
    snprintf(why, whysz,
             "'%.*s' is not a value of enum %s as generated (regenerate the code after the "
             "enum changed)",
             (int)(len > 64 ? 64 : len), v, c->sql_type ? c->sql_type : "?");
    return -1;
}
