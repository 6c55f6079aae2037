/* Array columns (pgorm_column_desc.array): PostgreSQL's binary array form.
 *
 * array_send / array_recv: int32 ndim, int32 flags (1: some element is
 * NULL), uint32 element type OID, then per dimension int32 length and int32
 * lower bound, then each element as int32 length (-1 for NULL) and its
 * bytes in the element type's binary form. An empty array has ndim 0 and
 * nothing after the OID.
 *
 * In the struct an array column is a pointer to its elements (the
 * element's C type: `char **`, `int32_t *`, `pgorm_uuid *`) and a size_t
 * count. Decoding puts the elements and every string or byte string they
 * point to in one block of the result's arena, so an array costs one
 * allocation however many elements it has.
 */
#include <stdio.h>
#include <string.h>

#include "runtime/codec/codec.h"

/* Array type OID -> element type OID, for the built-in types pgorm reads. */
static Oid element_oid(Oid array)
{
    static const Oid map[][2] = {
        {1000, PGORM_OID_BOOL},   {1005, PGORM_OID_INT2},        {1007, PGORM_OID_INT4},
        {1016, PGORM_OID_INT8},   {1021, PGORM_OID_FLOAT4},      {1022, PGORM_OID_FLOAT8},
        {1231, PGORM_OID_NUMERIC}, {1009, PGORM_OID_TEXT},       {1015, PGORM_OID_VARCHAR},
        {1014, PGORM_OID_BPCHAR}, {1003, PGORM_OID_NAME},        {1001, PGORM_OID_BYTEA},
        {2951, PGORM_OID_UUID},   {1182, PGORM_OID_DATE},        {1115, PGORM_OID_TIMESTAMP},
        {1185, PGORM_OID_TIMESTAMPTZ}, {3807, PGORM_OID_JSONB},  {199, PGORM_OID_JSON},
        {1183, PGORM_OID_TIME},   {1270, PGORM_OID_TIMETZ},      {1187, PGORM_OID_INTERVAL},
        {1041, PGORM_OID_INET},   {651, PGORM_OID_CIDR},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i][0] == array)
            return map[i][1];
    return 0;
}

bool pgorm_codec_accepts_col(const pgorm_column_desc *c, Oid oid)
{
    if (!c->array)
        return pgorm_codec_accepts(c->type, oid);
    if (c->type == PGORM_CITEXT && oid >= 16384)
        return true; /* citext[]: the extension's OID; the elements' is checked on reading */
    Oid e = element_oid(oid);
    return e && c->type != PGORM_ENUM && pgorm_codec_accepts(c->type, e);
}

/* Elements whose bytes are their text (into the array's block). */
static bool copies_text(pgorm_type t)
{
    return t == PGORM_TEXT || t == PGORM_JSONB || t == PGORM_JSON || t == PGORM_CHAR ||
           t == PGORM_CITEXT;
}

static bool has_pointer_elements(pgorm_type t)
{
    return pgorm_codec_is_pointer(t) || t == PGORM_BYTEA;
}

int pgorm_codec_decode_array_column(const pgorm_column_desc *c, const char *v, size_t len,
                                    void *row, pgorm_arena *a, bool *oom, char *why,
                                    size_t whysz)
{
    const unsigned char *p = (const unsigned char *)v;
    const char *tn = pgorm_codec_name(c->type);
    size_t esize = pgorm_codec_size(c->type);
    if (!esize || c->type == PGORM_ENUM) {
        snprintf(why, whysz, "arrays of %s are not read", tn ? tn : "this type");
        return -1;
    }
    if (len < 12) {
        snprintf(why, whysz, "binary array of %zu bytes (at least 12 expected)", len);
        return -1;
    }
    int32_t ndim = (int32_t)pgorm_get_u32(p);
    Oid eoid = pgorm_get_u32(p + 8);
    if (ndim < 0 || ndim > 1) {
        snprintf(why, whysz,
                 "a %d-dimensional array; pgorm reads one-dimensional arrays only (%s[])",
                 (int)ndim, tn);
        return -1;
    }
    if (!pgorm_codec_accepts(c->type, eoid)) {
        snprintf(why, whysz, "an array of elements of type OID %u, not %s", (unsigned)eoid, tn);
        return -1;
    }
    size_t n = 0, at = 12;
    if (ndim == 1) {
        if (len < 20) {
            snprintf(why, whysz, "binary array of %zu bytes (its dimension is cut)", len);
            return -1;
        }
        int32_t dim = (int32_t)pgorm_get_u32(p + 12);
        if (dim < 0) {
            snprintf(why, whysz, "an array of %d elements", (int)dim);
            return -1;
        }
        n = (size_t)dim;
        at = 20; /* the lower bound is not kept: elements are counted from 0 */
    }
    /* First pass: check the lengths, and size the strings. */
    size_t extra = 0;
    for (size_t i = 0, q = at; i < n; i++) {
        if (len - q < 4) {
            snprintf(why, whysz, "binary array cut at element %zu of %zu", i, n);
            return -1;
        }
        int32_t el = (int32_t)pgorm_get_u32(p + q);
        q += 4;
        if (el < 0) {
            if (!has_pointer_elements(c->type)) {
                snprintf(why, whysz,
                         "element %zu is NULL: an array of %s is read without NULL elements "
                         "(only string and bytea elements can be NULL)",
                         i, tn);
                return -1;
            }
            continue;
        }
        if ((size_t)el > len - q) {
            snprintf(why, whysz, "binary array cut at element %zu of %zu", i, n);
            return -1;
        }
        q += (size_t)el;
        if (copies_text(c->type))
            extra += (size_t)el + 1;
        else if (c->type == PGORM_BYTEA)
            extra += (size_t)el;
    }
    char *block = pgorm_arena_alloc(a, n * esize + extra);
    if (!block) {
        *oom = true;
        snprintf(why, whysz, "out of memory");
        return -1;
    }
    char *strings = block + n * esize;
    for (size_t i = 0, q = at; i < n; i++) {
        int32_t el = (int32_t)pgorm_get_u32(p + q);
        q += 4;
        char *dst = block + i * esize;
        if (el < 0) {
            memset(dst, 0, esize);
            continue;
        }
        const char *ev = v + q;
        size_t elen = (size_t)el;
        q += elen;
        if (copies_text(c->type)) {
            if ((c->type == PGORM_JSONB || c->type == PGORM_JSON) && eoid == PGORM_OID_JSONB) {
                if (elen < 1 || ev[0] != 1) {
                    snprintf(why, whysz, "element %zu: binary jsonb of version %d (1 expected)",
                             i, elen ? ev[0] : -1);
                    return -1;
                }
                ev++;
                elen--;
            }
            memcpy(strings, ev, elen);
            strings[elen] = '\0';
            memcpy(dst, &strings, sizeof strings);
            strings += elen + 1;
        } else if (c->type == PGORM_BYTEA) {
            pgorm_bytes b = {(uint8_t *)strings, elen};
            if (elen)
                memcpy(strings, ev, elen);
            strings += elen;
            memcpy(dst, &b, sizeof b);
        } else if (pgorm_codec_decode(c->type, eoid, ev, elen, dst, a, oom, why, whysz)) {
            size_t w = strlen(why);
            if (w + 1 < whysz)
                snprintf(why + w, whysz - w, " (element %zu)", i);
            return -1;
        }
    }
    char *base = row;
    memcpy(base + c->offset, &block, sizeof block);
    memcpy(base + c->count_offset, &n, sizeof n);
    return 0;
}

/* The elements and count of column c in the struct at row. */
static const char *elements(const pgorm_column_desc *c, const void *row, size_t *count)
{
    const char *base = row;
    const char *ptr;
    memcpy(&ptr, base + c->offset, sizeof ptr);
    memcpy(count, base + c->count_offset, sizeof *count);
    return ptr;
}

static int encode_elements(const pgorm_column_desc *c, const char *vals, size_t n, size_t first,
                           pgorm_buf *out, bool *nulls, char *why, size_t whysz)
{
    size_t esize = pgorm_codec_size(c->type);
    for (size_t i = 0; i < n; i++) {
        size_t len_at = out->len;
        pgorm_buf_put_u32(out, UINT32_MAX);
        int rc = pgorm_codec_encode(c->type, vals + i * esize, out, why, whysz);
        if (rc < 0) {
            size_t w = strlen(why);
            if (w + 1 < whysz)
                snprintf(why + w, whysz - w, " (element %zu)", first + i);
            return -1;
        }
        if (rc == 0)
            *nulls = true;
        else
            pgorm_buf_patch_u32(out, len_at, (uint32_t)(out->len - len_at - 4));
    }
    return 0;
}

static int encode_header(const pgorm_column_desc *c, size_t n, pgorm_buf *out, size_t *flags_at,
                         char *why, size_t whysz)
{
    if (!pgorm_codec_known(c->type) || c->type == PGORM_ENUM) {
        snprintf(why, whysz, "arrays of this type (%d) are not sent", (int)c->type);
        return -1;
    }
    if (n > INT32_MAX / 16) {
        snprintf(why, whysz, "an array of %zu elements is too large", n);
        return -1;
    }
    pgorm_buf_put_u32(out, n ? 1 : 0);
    *flags_at = out->len;
    pgorm_buf_put_u32(out, 0);
    pgorm_buf_put_u32(out, pgorm_codec_oid(c->type));
    if (n) {
        pgorm_buf_put_u32(out, (uint32_t)n);
        pgorm_buf_put_u32(out, 1);
        pgorm_buf_reserve(out, n * (4 + pgorm_codec_size(c->type)));
    }
    return 0;
}

int pgorm_codec_encode_array_field(const pgorm_column_desc *c, const void *row, pgorm_buf *out,
                                   char *why, size_t whysz)
{
    size_t n, flags_at;
    const char *vals = elements(c, row, &n);
    if (!vals)
        return 0;
    bool nulls = false;
    if (encode_header(c, n, out, &flags_at, why, whysz) ||
        encode_elements(c, vals, n, 0, out, &nulls, why, whysz))
        return -1;
    if (nulls)
        pgorm_buf_patch_u32(out, flags_at, 1);
    return 1;
}

int pgorm_codec_encode_array_rows(const pgorm_column_desc *c, const void *rows, size_t n,
                                  size_t stride, size_t *total, pgorm_buf *out, char *why,
                                  size_t whysz)
{
    const char *base = rows;
    size_t all = 0, k, flags_at;
    for (size_t r = 0; r < n; r++)
        if (elements(c, base + r * stride, &k))
            all += k;
    *total = all;
    bool nulls = false;
    if (encode_header(c, all, out, &flags_at, why, whysz))
        return -1;
    for (size_t r = 0; r < n; r++) {
        const char *vals = elements(c, base + r * stride, &k);
        if (!vals)
            continue;
        if (encode_elements(c, vals, k, 0, out, &nulls, why, whysz)) {
            size_t w = strlen(why);
            if (w + 1 < whysz)
                snprintf(why + w, whysz - w, " of row %zu", r);
            return -1;
        }
    }
    if (nulls)
        pgorm_buf_patch_u32(out, flags_at, 1);
    return 0;
}
