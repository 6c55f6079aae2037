/* pgorm_insert: n rows in ONE statement, whatever n.
 *
 *   INSERT INTO "t" ("a", "b", "c")
 *   SELECT u.c1, COALESCE(u.c2, <default>), u.c3
 *   FROM unnest($1::text[], $2::int4[], $3::date[]) WITH ORDINALITY AS u(c1, c2, c3, ord)
 *   ORDER BY u.ord
 *   RETURNING <every column>
 *
 * One array parameter per column sent, so the 65,535-parameter limit of the
 * protocol never applies and the text is the same for every n (prepared
 * once). Generated columns (serial) are never sent; a column with a server
 * default whose value is unset is NULL in its array and COALESCE gives it
 * the default (so such a column cannot be inserted as NULL).
 *
 * RETURNING's order is not guaranteed, so returned rows are matched to the
 * inputs, as SQLAlchemy's insertmanyvalues does:
 *  - a generated integer column (serial; the key when it is one): sequence
 *    values are drawn in ORDER BY ord order, so the returned rows sorted by
 *    that column are in input order;
 *  - otherwise, when every input carries its whole key: by key value
 *    (compared in binary wire form);
 *  - otherwise (no key, or a key left to a server default), or when a key
 *    came back changed (a numeric key rounded to its scale): the order the
 *    server returned, which PostgreSQL in practice makes the input order.
 * Then the fixed-size values of every returned row (keys, defaults) are
 * written back into the caller's structs.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/query/insert.h"

#include "runtime/codec/codec.h"
#include "runtime/query/crud.h"
#include "runtime/query/keymap.h"

uint64_t pgorm_insert_sent(const pgorm_model_desc *m, uint64_t also)
{
    uint64_t send = 0;
    for (size_t i = 0; i < m->ncolumns; i++)
        if (!(m->columns[i].flags & PGORM_COL_GENERATED) || (also >> i & 1))
            send |= UINT64_C(1) << i;
    return send;
}

/* An array column of a multi-row insert: unnest cannot carry arrays of
   arrays (it would flatten them), so the rows' elements travel as one flat
   array beside the row number of each, and are regrouped on the server:
     LEFT JOIN (SELECT e.r, array_agg(e.v ORDER BY e.o) AS v
                FROM unnest($e::text[], $r::int8[]) WITH ORDINALITY AS e(v, r, o)
                GROUP BY e.r) AS aK ON aK.r = u.ord
   and a bool per row tells NULL (false) from an array (true; no elements
   joined: '{}'). */
static void array_present(pgorm_sqlb *b, const pgorm_column_desc *c, const char *rows, size_t n,
                          size_t stride)
{
    bool *present = pgorm_calloc(n ? n : 1, sizeof *present);
    if (!present) {
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory");
        return;
    }
    for (size_t r = 0; r < n; r++)
        present[r] = !pgorm_codec_is_null(c, rows + r * stride);
    pgorm_sqlb_array(b, PGORM_BOOL, present, NULL, n, sizeof *present, c->name);
    pgorm_sqlb_puts(b, "::bool[]");
    pgorm_free(present);
}

static void array_join(pgorm_sqlb *b, const pgorm_column_desc *c, size_t k, const char *rows,
                       size_t n, size_t stride)
{
    if (pgorm_sqlb_failed(b))
        return;
    pgorm_buf_printf(&b->sql,
                     " LEFT JOIN (SELECT e.r, array_agg(e.v ORDER BY e.o) AS v FROM unnest(");
    char why[160] = "";
    size_t off = b->vals->len, total = 0;
    int rc = pgorm_codec_encode_array_rows(c, rows, n, stride, &total, b->vals, why, sizeof why);
    pgorm_sqlb_param(b, pgorm_codec_array_oid(c->type), off, rc < 0 ? -1 : 1, why, c->name);
    pgorm_sqlb_puts(b, "::");
    pgorm_sqlb_puts(b, pgorm_codec_name(c->type));
    pgorm_sqlb_puts(b, "[], ");
    int64_t *rowno = pgorm_malloc((total ? total : 1) * sizeof *rowno);
    if (!rowno) {
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory");
        return;
    }
    size_t at = 0;
    for (size_t r = 0; r < n; r++) {
        size_t cnt = 0;
        const char *row = rows + r * stride;
        const void *ptr;
        memcpy(&ptr, row + c->offset, sizeof ptr);
        if (ptr)
            memcpy(&cnt, row + c->count_offset, sizeof cnt);
        for (size_t j = 0; j < cnt && at < total; j++)
            rowno[at++] = (int64_t)r + 1;
    }
    pgorm_sqlb_array(b, PGORM_INT8, rowno, NULL, total, sizeof *rowno, c->name);
    pgorm_free(rowno);
    pgorm_buf_printf(&b->sql,
                     "::int8[]) WITH ORDINALITY AS e(v, r, o) GROUP BY e.r) AS a%zu ON a%zu.r = "
                     "u.ord",
                     k, k);
}

void pgorm_insert_select(pgorm_sqlb *b, const void *rows, size_t n, uint64_t send)
{
    const pgorm_model_desc *m = b->m;
    size_t nsent = 0;
    for (size_t i = 0; i < m->ncolumns; i++) {
        const pgorm_column_desc *c = &m->columns[i];
        if (!(send >> i & 1))
            continue;
        if ((c->flags & PGORM_COL_DEFAULT) && !c->default_sql) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "column %s is flagged PGORM_COL_DEFAULT but has no default_sql",
                            c->name);
            return;
        }
        nsent++;
    }
    if (nsent == 0) {
        /* every column is generated: n rows of defaults */
        pgorm_sqlb_puts(b, " SELECT FROM generate_series(1, ");
        pgorm_sqlb_int8(b, (int64_t)n);
        pgorm_sqlb_puts(b, ") AS u(ord) ORDER BY u.ord");
        return;
    }
    pgorm_sqlb_puts(b, " (");
    const char *alias = b->alias;
    b->alias = NULL; /* the insert's column list is never qualified */
    pgorm_sqlb_columns(b, send);
    b->alias = alias;
    pgorm_sqlb_puts(b, ") SELECT ");
    size_t k = 0;
    for (size_t i = 0; i < m->ncolumns; i++) {
        const pgorm_column_desc *c = &m->columns[i];
        if (!(send >> i & 1))
            continue;
        if (k++)
            pgorm_sqlb_puts(b, ", ");
        bool dflt = (c->flags & PGORM_COL_DEFAULT) != 0;
        if (c->array && n == 1) { /* one row: its array as a parameter of its own */
            pgorm_buf_printf(&b->sql, "%sCASE WHEN u.c%zu THEN ", dflt ? "COALESCE(" : "", k);
            char why[160] = "";
            size_t off = b->vals->len;
            int rc = pgorm_codec_encode_array_field(c, rows, b->vals, why, sizeof why);
            pgorm_sqlb_param(b, pgorm_codec_array_oid(c->type), off, rc, why, c->name);
            pgorm_buf_printf(&b->sql, "::%s[] END", pgorm_codec_name(c->type));
        } else if (c->array) /* regrouped from its elements: see array_join below */
            pgorm_buf_printf(&b->sql, "%sCASE WHEN u.c%zu THEN COALESCE(a%zu.v, '{}') END",
                             dflt ? "COALESCE(" : "", k, k);
        else
            pgorm_buf_printf(&b->sql, "%su.c%zu", dflt ? "COALESCE(" : "", k);
        if (dflt) {
            pgorm_sqlb_puts(b, ", ");
            pgorm_sqlb_puts(b, c->default_sql);
            pgorm_sqlb_puts(b, ")");
        }
    }
    pgorm_sqlb_puts(b, " FROM unnest(");
    k = 0;
    const char *base = rows;
    for (size_t i = 0; i < m->ncolumns; i++) {
        const pgorm_column_desc *c = &m->columns[i];
        if (!(send >> i & 1))
            continue;
        if (k++)
            pgorm_sqlb_puts(b, ", ");
        /* a has_ flag only means something for fixed-size values */
        const void *has = c->has_offset != PGORM_NO_OFFSET && !pgorm_codec_is_pointer(c->type) &&
                                  c->type != PGORM_BYTEA
                              ? base + c->has_offset
                              : NULL;
        if (c->array) { /* whether each row's array is there: $n::bool[] */
            array_present(b, c, base, n, m->struct_size);
            continue;
        }
        if (c->type == PGORM_ENUM) { /* $n::"status"[] */
            pgorm_sqlb_col_array(b, c, base + c->offset, has, n, m->struct_size, c->name);
            continue;
        }
        pgorm_sqlb_array(b, c->type, base + c->offset, has, n, m->struct_size, c->name);
        pgorm_sqlb_puts(b, "::");
        pgorm_sqlb_puts(b, pgorm_codec_name(c->type));
        pgorm_sqlb_puts(b, "[]");
    }
    pgorm_sqlb_puts(b, ") WITH ORDINALITY AS u(");
    for (size_t j = 1; j <= nsent; j++)
        pgorm_buf_printf(&b->sql, "c%zu, ", j);
    pgorm_sqlb_puts(b, "ord)");
    k = 0;
    for (size_t i = 0; i < m->ncolumns; i++) {
        if (!(send >> i & 1))
            continue;
        k++;
        if (m->columns[i].array && n != 1)
            array_join(b, &m->columns[i], k, base, n, m->struct_size);
    }
    pgorm_sqlb_puts(b, " ORDER BY u.ord");
}

static void build_insert(pgorm_sqlb *b, const void *rows, size_t n)
{
    const pgorm_model_desc *m = b->m;
    pgorm_sqlb_puts(b, "INSERT INTO ");
    pgorm_sqlb_table(b);
    pgorm_insert_select(b, rows, n, pgorm_insert_sent(m, 0));
    pgorm_sqlb_puts(b, " RETURNING ");
    uint64_t all = m->ncolumns >= 64 ? UINT64_MAX : (UINT64_C(1) << m->ncolumns) - 1;
    pgorm_sqlb_columns(b, all);
}

void pgorm_insert(pgorm_db *db, const pgorm_model_desc *m, void *rows, size_t n,
                  pgorm_result_cb cb, pgorm_fn fn, void *ud)
{
    crud_op *op = pgorm_crud_new(db, CRUD_INSERT, m, cb, NULL, fn, ud);
    if (!op)
        return;
    op->rows = rows;
    op->n = n;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_insert");
    if (!pgorm_sqlb_failed(&b) && n > 0 && !rows)
        pgorm_sqlb_fail(&b, PGORM_ERR_INVALID, "%zu rows to insert but rows is NULL", n);
    if (!pgorm_sqlb_failed(&b) && n == 0) {
        /* nothing to do: an empty result, no statement */
        pgorm_sqlb_free(&b);
        pgorm_db_submit_done(db, &op->op, NULL);
        return;
    }
    if (!pgorm_sqlb_failed(&b))
        build_insert(&b, rows, n);
    pgorm_crud_submit(db, op, &b);
}

/* ---------------------------------------------------------------- */
/* Matching returned rows to inputs                                  */

typedef struct keyed {
    int64_t key;
    size_t idx;
} keyed;

static int keyed_cmp(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int64_t int_value(const pgorm_column_desc *c, const char *row)
{
    const char *p = row + c->offset;
    if (c->type == PGORM_INT2) {
        int16_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    if (c->type == PGORM_INT4) {
        int32_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    int64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* A column a sequence fills (integer, generated), a key column first; -1
   when there is none. */
static int sequence_key(const pgorm_model_desc *m)
{
    int found = -1;
    for (size_t i = 0; i < m->ncolumns; i++) {
        const pgorm_column_desc *c = &m->columns[i];
        if (!(c->flags & PGORM_COL_GENERATED) ||
            !(c->type == PGORM_INT2 || c->type == PGORM_INT4 || c->type == PGORM_INT8))
            continue;
        if (m->pk_mask & (UINT64_C(1) << i))
            return (int)i;
        if (found < 0)
            found = (int)i;
    }
    return found;
}

/* from[i] = index of the returned row for input i, by sequence order.
   1 when the rows came in that order already (the usual case: from is
   left alone and nothing needs to move), 0 when from was filled, -1 out
   of memory. */
static int match_by_sequence(const pgorm_model_desc *m, int col, const pgorm_result *r,
                             size_t *from)
{
    const pgorm_column_desc *c = &m->columns[col];
    size_t up = 1;
    while (up < r->count && int_value(c, r->items + (up - 1) * m->struct_size) <
                                int_value(c, r->items + up * m->struct_size))
        up++;
    if (up >= r->count)
        return 1;
    keyed *k = pgorm_malloc(r->count * sizeof *k);
    if (!k)
        return -1;
    for (size_t i = 0; i < r->count; i++) {
        k[i].key = int_value(&m->columns[col], r->items + i * m->struct_size);
        k[i].idx = i;
    }
    qsort(k, r->count, sizeof *k, keyed_cmp);
    for (size_t i = 0; i < r->count; i++)
        from[i] = k[i].idx;
    pgorm_free(k);
    return 0;
}

/* from[i] by key values. 1 matched, 0 cannot match (keep the server's
   order), -1 out of memory. */
static int match_by_key(const pgorm_model_desc *m, const char *inputs, const pgorm_result *r,
                        size_t *from)
{
    size_t n = r->count;
    pgorm_keymap km;
    bool *used = pgorm_calloc(n, sizeof *used);
    int rc = used ? pgorm_keymap_build(&km, m, m->pk_mask, inputs, n, NULL) : -1;
    if (rc != 0) { /* 1: a key left to a server default cannot match */
        rc = rc > 0 ? 0 : -1;
        goto done;
    }
    if (pgorm_keymap_count(&km) != n) /* duplicate keys: cannot tell rows apart */
        goto done;
    for (size_t j = 0; j < n; j++) {
        size_t i = 0;
        int found = pgorm_keymap_find(&km, r->items + j * m->struct_size, &i);
        if (found < 0) {
            rc = -1;
            goto done;
        }
        if (!found || used[i]) /* a key the server changed */
            goto done;
        used[i] = true;
        from[i] = j;
    }
    rc = 1;
done:
    if (used)
        pgorm_keymap_free(&km);
    pgorm_free(used);
    return rc;
}

void pgorm_write_back(const pgorm_model_desc *m, void *dst_row, const void *src_row)
{
    char *dst = dst_row;
    const char *src = src_row;
    for (size_t i = 0; i < m->ncolumns; i++) {
        const pgorm_column_desc *c = &m->columns[i];
        if (pgorm_codec_is_pointer(c->type) || c->type == PGORM_BYTEA || c->array)
            continue; /* those live in the result's arena: the caller keeps its own */
        memcpy(dst + c->offset, src + c->offset, pgorm_codec_size(c->type));
        if (c->has_offset != PGORM_NO_OFFSET)
            memcpy(dst + c->has_offset, src + c->has_offset, sizeof(bool));
    }
}

int pgorm_insert_finish(crud_op *op, pgorm_error *err)
{
    const pgorm_model_desc *m = op->m;
    pgorm_result *r = op->res;
    if (op->n == 0)
        return 0;
    if (r->count != op->n) {
        pgorm_error_set(err, PGORM_ERR_DECODE,
                        "pgorm_insert(%s): the server returned %zu rows for %zu inserted",
                        m->name, r->count, op->n);
        return -1;
    }
    size_t n = op->n;
    size_t *from = n > 1 ? pgorm_malloc(n * sizeof *from) : NULL;
    if (n > 1 && !from)
        goto oom;
    int matched = 0;
    int seq = sequence_key(m);
    if (n > 1 && seq >= 0) {
        int in_order = match_by_sequence(m, seq, r, from);
        if (in_order < 0)
            goto oom;
        matched = !in_order;
    } else if (n > 1 && m->pk_mask) { /* the caller's key values */
        matched = match_by_key(m, op->rows, r, from);
        if (matched < 0)
            goto oom;
    }
    if (matched && pgorm_result_permute(r, from))
        goto oom;
    pgorm_free(from);
    from = NULL;
    for (size_t i = 0; i < n; i++)
        pgorm_write_back(m, (char *)op->rows + i * m->struct_size, r->items + i * m->struct_size);
    return 0;
oom:
    pgorm_free(from);
    pgorm_error_set(err, PGORM_ERR_NOMEM,
                    "pgorm_insert(%s): out of memory matching %zu returned rows (the rows were "
                    "inserted)",
                    m->name, n);
    return -1;
}
