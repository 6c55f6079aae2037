/* pgorm_result and the decoding of rows into model structs (result.h). */
#include "runtime/query/result.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "runtime/codec/codec.h"
#include "runtime/core/op.h"

static uint64_t every_column(const pgorm_model_desc *m)
{
    return m->ncolumns >= 64 ? UINT64_MAX : (UINT64_C(1) << m->ncolumns) - 1;
}

pgorm_result *pgorm_result_new(const pgorm_model_desc *m)
{
    pgorm_result *r = pgorm_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->model = m;
    r->columns = m && m->ncolumns ? every_column(m) : 0;
    pgorm_arena_init(&r->arena, 0);
    return r;
}

pgorm_result *pgorm_result_new_in(pgorm_share *s, const pgorm_model_desc *m, size_t n,
                                  size_t block_size)
{
    size_t size = m ? m->struct_size : 0;
    const size_t align = alignof(max_align_t);
    size_t head = (sizeof(pgorm_result) + align - 1) & ~(align - 1);
    if (size && n > (SIZE_MAX - head) / size)
        return NULL;
    pgorm_result *r = pgorm_arena_calloc(&s->arena, 1, head + n * size);
    if (!r)
        return NULL;
    r->model = m;
    r->columns = m && m->ncolumns ? every_column(m) : 0;
    pgorm_arena_init(&r->arena, block_size);
    r->share = s;
    r->in_share = true;
    s->refs++;
    if (n && size) {
        r->items = (char *)r + head;
        r->items_inline = true;
        r->count = r->cap = n;
    }
    return r;
}

pgorm_share *pgorm_share_new(size_t block_size)
{
    pgorm_share *s = pgorm_malloc(sizeof *s);
    if (!s)
        return NULL;
    s->refs = 1;
    pgorm_arena_init(&s->arena, block_size);
    return s;
}

void pgorm_share_release(pgorm_share *s)
{
    if (s && --s->refs == 0) {
        pgorm_arena_free(&s->arena);
        pgorm_free(s);
    }
}

static void items_free(pgorm_result *r)
{
    if (!r->items_inline)
        pgorm_free(r->items);
    r->items = NULL;
    r->items_inline = false;
}

void *pgorm_result_items(const pgorm_result *r)
{
    return r && r->count ? r->items : NULL;
}

size_t pgorm_result_count(const pgorm_result *r)
{
    return r ? r->count : 0;
}

uint64_t pgorm_result_columns(const pgorm_result *r)
{
    return r ? r->columns : 0;
}

void *pgorm_result_alloc(pgorm_result *r, size_t size)
{
    if (!r->spare_used && size <= sizeof r->spare) {
        r->spare_used = true;
        return r->spare;
    }
    return pgorm_arena_alloc(&r->arena, size);
}

void pgorm_result_free(pgorm_result *r)
{
    if (!r)
        return;
    pgorm_arena_free(&r->arena);
    items_free(r);
    pgorm_share *share = r->share;
    if (!r->in_share)
        pgorm_free(r);
    pgorm_share_release(share); /* last: r may live in it */
}

void *pgorm_result_push(pgorm_result *r, size_t n)
{
    size_t size = r->model ? r->model->struct_size : 0;
    if (n > SIZE_MAX - r->count)
        return NULL;
    if (r->count + n > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        if (cap < r->count + n)
            cap = r->count + n;
        if (size && cap > SIZE_MAX / size)
            return NULL;
        char *items = r->items_inline ? pgorm_malloc(cap * size)
                                      : pgorm_realloc(r->items, cap * size);
        if (!items)
            return NULL;
        if (r->items_inline) {
            memcpy(items, r->items, r->count * size);
            r->items_inline = false;
        }
        r->items = items;
        r->cap = cap;
    }
    char *p = r->items + r->count * size;
    memset(p, 0, n * size);
    r->count += n;
    return p;
}

int pgorm_result_permute(pgorm_result *r, const size_t *from)
{
    size_t size = r->model ? r->model->struct_size : 0;
    if (r->count < 2 || size == 0)
        return 0;
    char *items = pgorm_malloc(r->cap * size);
    if (!items)
        return -1;
    for (size_t i = 0; i < r->count; i++)
        memcpy(items + i * size, r->items + from[i] * size, size);
    items_free(r);
    r->items = items;
    return 0;
}

static size_t count_bits(uint64_t v)
{
    size_t n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

int pgorm_decode_check_cols(const pgorm_model_desc *m, uint64_t cols, const PGresult *res,
                            int first, pgorm_error *err)
{
    int nf = PQnfields(res);
    size_t want = count_bits(cols & every_column(m));
    if (first < 0 || (size_t)nf < (size_t)first + want) {
        pgorm_error_set(err, PGORM_ERR_DECODE,
                        "decoding %s: the result has %d columns, %zu expected from column %d",
                        m->name, nf, want, first);
        return -1;
    }
    int col = first;
    for (size_t i = 0; i < m->ncolumns; i++) {
        if (!(cols & (UINT64_C(1) << i)))
            continue;
        const pgorm_column_desc *c = &m->columns[i];
        Oid oid = PQftype(res, col);
        if (!pgorm_codec_accepts_col(c, oid)) {
            const char *want_type = pgorm_codec_name(c->type);
            pgorm_error_set(err, PGORM_ERR_DECODE,
                            "decoding %s.%s (result column %d \"%s\"): the server sent type "
                            "OID %u, the model expects %s (is the database schema out of "
                            "date with the model?)",
                            m->name, c->name, col, PQfname(res, col), (unsigned)oid,
                            want_type ? want_type : "an unknown type");
            return -1;
        }
        col++;
    }
    return 0;
}

int pgorm_decode_check(const pgorm_model_desc *m, const PGresult *res, int first,
                       pgorm_error *err)
{
    return pgorm_decode_check_cols(m, every_column(m), res, first, err);
}

int pgorm_decode_row_cols(const pgorm_model_desc *m, uint64_t cols, const PGresult *res, int row,
                          int first, void *dst, pgorm_arena *a, pgorm_error *err)
{
    int col = first;
    for (size_t i = 0; i < m->ncolumns; i++) {
        if (!(cols & (UINT64_C(1) << i)))
            continue;
        const pgorm_column_desc *c = &m->columns[i];
        char why[160];
        bool oom = false;
        if (pgorm_codec_decode_column(c, PQftype(res, col), PQfformat(res, col),
                                      PQgetvalue(res, row, col), PQgetlength(res, row, col),
                                      PQgetisnull(res, row, col), dst, a, &oom, why,
                                      sizeof why)) {
            pgorm_error_set(err, oom ? PGORM_ERR_NOMEM : PGORM_ERR_DECODE,
                            "decoding %s.%s (row %d): %s", m->name, c->name, row, why);
            return -1;
        }
        col++;
    }
    return 0;
}

int pgorm_decode_row(const pgorm_model_desc *m, const PGresult *res, int row, int first,
                     void *dst, pgorm_arena *a, pgorm_error *err)
{
    return pgorm_decode_row_cols(m, every_column(m), res, row, first, dst, a, err);
}

int pgorm_result_add_rows(pgorm_result *r, const PGresult *res, pgorm_error *err)
{
    const pgorm_model_desc *m = r->model;
    int n = PQntuples(res);
    bool single = PQresultStatus(res) == PGRES_SINGLE_TUPLE;
    if (!single)
        r->row_checked = false; /* a whole result, or the end of a statement */
    if (n == 0)
        return 0;
    if (!(single && r->row_checked) && pgorm_decode_check_cols(m, r->columns, res, 0, err))
        return -1;
    r->row_checked = single;
    char *items = pgorm_result_push(r, (size_t)n);
    if (!items) {
        pgorm_error_set(err, PGORM_ERR_NOMEM, "out of memory for %d rows of %s", n, m->name);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (pgorm_decode_row_cols(m, r->columns, res, i, 0, items + (size_t)i * m->struct_size,
                                  &r->arena, err))
            return -1;
    return 0;
}
