/* Keys of rows and the index of input rows by key (keymap.h). */
#include "runtime/query/keymap.h"

#include <string.h>

#include "runtime/codec/codec.h"

static uint16_t get_u16(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint16_t)(u[0] << 8 | u[1]);
}

static void put_u16(char *p, uint16_t v)
{
    p[0] = (char)(v >> 8);
    p[1] = (char)(v & 0xff);
}

/* A binary numeric (header of four 16-bit words, then base-10000 digits)
   at p, len bytes, in one form per value: no leading or trailing zero
   digits, display scale 0. Returns the new length. */
static size_t numeric_canonical(char *p, size_t len)
{
    if (len < 8)
        return len;
    size_t nd = get_u16(p);
    int weight = (int16_t)get_u16(p + 2);
    if (len < 8 + 2 * nd)
        return len;
    char *d = p + 8;
    size_t lead = 0;
    while (lead < nd && get_u16(d + 2 * lead) == 0)
        lead++;
    while (nd > lead && get_u16(d + 2 * (nd - 1)) == 0)
        nd--;
    nd -= lead;
    weight -= (int)lead;
    memmove(d, d + 2 * lead, 2 * nd);
    uint16_t sign = get_u16(p + 4);
    if (nd == 0) {
        weight = 0;
        if (sign == 0x4000) /* -0 is 0 */
            sign = 0;
    }
    put_u16(p, (uint16_t)nd);
    put_u16(p + 2, (uint16_t)(int16_t)weight);
    put_u16(p + 4, sign);
    put_u16(p + 6, 0);
    return 8 + 2 * nd;
}

bool pgorm_key_bytes(const pgorm_model_desc *m, uint64_t mask, const void *row, pgorm_buf *out)
{
    char why[160];
    const char *base = row;
    for (size_t i = 0; i < m->ncolumns; i++) {
        const pgorm_column_desc *c = &m->columns[i];
        if (!(mask & (UINT64_C(1) << i)))
            continue;
        if (pgorm_codec_is_null(c, row))
            return false;
        size_t at = out->len;
        pgorm_buf_put_u32(out, 0);
        if (pgorm_codec_encode_col(c, base + c->offset, out, why, sizeof why) != 1)
            return false;
        if (out->oom)
            return false;
        uint32_t len = (uint32_t)(out->len - at - 4);
        if (c->type == PGORM_NUMERIC) {
            len = (uint32_t)numeric_canonical(out->data + at + 4, len);
            out->len = at + 4 + len;
        }
        memcpy(out->data + at, &len, sizeof len);
    }
    return !out->oom;
}

static const size_t *ends_of(const pgorm_keymap *km)
{
    return (const size_t *)(const void *)km->ends.data;
}

int pgorm_keymap_build(pgorm_keymap *km, const pgorm_model_desc *m, uint64_t mask,
                       const void *rows, size_t n, size_t *bad)
{
    memset(km, 0, sizeof *km);
    km->m = m;
    km->mask = mask;
    pgorm_hmap_init(&km->map, PGORM_HMAP_BYTES);
    /* ends[i]..ends[i + 1] is the key of row i in km->keys */
    size_t zero = 0;
    pgorm_buf_append(&km->ends, &zero, sizeof zero);
    const char *base = rows;
    for (size_t i = 0; i < n; i++) {
        if (!pgorm_key_bytes(m, mask, base + i * m->struct_size, &km->keys)) {
            if (km->keys.oom)
                return -1;
            if (bad)
                *bad = i;
            return 1;
        }
        pgorm_buf_append(&km->ends, &km->keys.len, sizeof km->keys.len);
    }
    if (km->ends.oom || km->keys.oom || !pgorm_hmap_reserve(&km->map, n))
        return -1;
    /* keys.data no longer moves: the map borrows slices of it */
    const size_t *e = ends_of(km);
    for (size_t i = 0; i < n; i++)
        if (pgorm_hmap_put(&km->map, km->keys.data + e[i], e[i + 1] - e[i],
                           (void *)(uintptr_t)(i + 1)))
            return -1;
    return 0;
}

size_t pgorm_keymap_count(const pgorm_keymap *km)
{
    return pgorm_hmap_count(&km->map);
}

size_t pgorm_keymap_last(const pgorm_keymap *km, size_t i)
{
    const size_t *e = ends_of(km);
    uintptr_t v = (uintptr_t)pgorm_hmap_get(&km->map, km->keys.data + e[i], e[i + 1] - e[i]);
    return (size_t)v - 1;
}

int pgorm_keymap_find(pgorm_keymap *km, const void *row, size_t *idx)
{
    pgorm_buf_reset(&km->probe);
    if (!pgorm_key_bytes(km->m, km->mask, row, &km->probe))
        return km->probe.oom ? -1 : 0;
    uintptr_t v = (uintptr_t)pgorm_hmap_get(&km->map, km->probe.data, km->probe.len);
    if (v == 0)
        return 0;
    *idx = (size_t)v - 1;
    return 1;
}

void pgorm_keymap_free(pgorm_keymap *km)
{
    pgorm_hmap_free(&km->map);
    pgorm_buf_free(&km->keys);
    pgorm_buf_free(&km->ends);
    pgorm_buf_free(&km->probe);
}
