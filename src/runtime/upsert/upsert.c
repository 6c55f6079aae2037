/* pgorm_upsert_rows: insert-or-update n rows in one statement (pgorm.h).
 *
 * Before sending: the options are checked (upsert_sql.c), every input row
 * is indexed by its conflict key (keymap.h), and when two rows share a key
 * only the last one is sent: PostgreSQL refuses to touch one row twice in a
 * statement ("ON CONFLICT DO UPDATE command cannot affect row a second
 * time"), and "the later row wins" is what a sequence of single upserts
 * would have left in the table.
 *
 * After: each returned row carries a trailing flag (inserted, updated, or
 * NULL for an existing row); rows are matched to inputs by conflict key
 * through the same index, put in input order, and their fixed-size values
 * written back into every input with that key (dropped duplicates too).
 */
#include "runtime/upsert/upsert.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/codec/codec.h"
#include "runtime/query/insert.h"
#include "runtime/query/keymap.h"
#include "runtime/query/result.h"
#include "runtime/core/sync_wait.h"

typedef struct upsert_op {
    pgorm_op op; /* first: the core sees only this */
    const pgorm_model_desc *m;
    pgorm_result_cb cb;
    pgorm_fn fn;
    void *ud;
    pgorm_result *res;
    pgorm_buf outcomes; /* one pgorm_upsert_outcome byte per returned row */
    char *rows;         /* the caller's, written back on success */
    size_t n;
    pgorm_keymap km; /* every input row by conflict key (last wins) */
    bool km_built;
} upsert_op;

/* ---------------------------------------------------------------- */
/* Results                                                           */

static int upsert_result(pgorm_op *o, const PGresult *res, pgorm_error *err)
{
    upsert_op *op = (upsert_op *)o;
    const pgorm_model_desc *m = op->m;
    int n = PQntuples(res);
    if (n == 0)
        return 0;
    int col = (int)m->ncolumns;
    if (PQnfields(res) != col + 1 || PQftype(res, col) != PGORM_OID_BOOL ||
        PQfformat(res, col) != 1) {
        pgorm_error_set(err, PGORM_ERR_DECODE,
                        "pgorm_upsert(%s): the result does not end with the inserted flag",
                        m->name);
        return -1;
    }
    if (pgorm_result_add_rows(op->res, res, err))
        return -1;
    for (int i = 0; i < n; i++) {
        unsigned char o8 = PGORM_UPSERT_EXISTING;
        if (!PQgetisnull(res, i, col))
            o8 = PQgetlength(res, i, col) == 1 && PQgetvalue(res, i, col)[0]
                     ? PGORM_UPSERT_INSERTED
                     : PGORM_UPSERT_UPDATED;
        pgorm_buf_append(&op->outcomes, &o8, 1);
    }
    if (op->outcomes.oom) {
        pgorm_error_set(err, PGORM_ERR_NOMEM, "pgorm_upsert(%s): out of memory for %d rows",
                        m->name, n);
        return -1;
    }
    return 0;
}

typedef struct ranked {
    size_t input; /* SIZE_MAX: matched no input */
    size_t row;
} ranked;

static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->input != b->input)
        return a->input < b->input ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

/* Match, order, record outcomes, write back. 0, or -1 with *err. */
static int upsert_finish(upsert_op *op, pgorm_error *err)
{
    const pgorm_model_desc *m = op->m;
    pgorm_result *r = op->res;
    size_t count = r->count, size = m->struct_size;
    if (count == 0)
        return 0;
    if (op->outcomes.len != count) {
        pgorm_error_set(err, PGORM_ERR_DECODE,
                        "pgorm_upsert(%s): %zu rows but %zu inserted flags", m->name, count,
                        op->outcomes.len);
        return -1;
    }
    ranked *rk = pgorm_malloc(count * sizeof *rk);
    size_t *from = pgorm_malloc(count * sizeof *from);
    size_t *row_of = pgorm_malloc(op->n * sizeof *row_of); /* input -> result row */
    unsigned char *outcome = pgorm_arena_alloc(&r->arena, count);
    bool *inserted = pgorm_arena_alloc(&r->arena, count * sizeof *inserted);
    size_t *input = pgorm_arena_alloc(&r->arena, count * sizeof *input);
    if (!rk || !from || !row_of || !outcome || !inserted || !input)
        goto oom;
    for (size_t i = 0; i < op->n; i++)
        row_of[i] = SIZE_MAX;
    for (size_t j = 0; j < count; j++) {
        size_t i = 0;
        int found = pgorm_keymap_find(&op->km, r->items + j * size, &i);
        if (found < 0)
            goto oom;
        /* a key that matches no input, or one already taken, stays unmatched */
        rk[j].input = found && row_of[i] == SIZE_MAX ? i : SIZE_MAX;
        rk[j].row = j;
        if (rk[j].input != SIZE_MAX)
            row_of[i] = 0;
    }
    qsort(rk, count, sizeof *rk, ranked_cmp);
    for (size_t j = 0; j < count; j++) {
        from[j] = rk[j].row;
        input[j] = rk[j].input;
        outcome[j] = (unsigned char)op->outcomes.data[rk[j].row];
        inserted[j] = outcome[j] == PGORM_UPSERT_INSERTED;
        if (input[j] != SIZE_MAX)
            row_of[input[j]] = j;
    }
    if (pgorm_result_permute(r, from))
        goto oom;
    r->outcome = outcome;
    r->inserted = inserted;
    r->input = input;
    for (size_t i = 0; i < op->n; i++) {
        size_t j = row_of[pgorm_keymap_last(&op->km, i)];
        if (j != SIZE_MAX)
            pgorm_write_back(m, op->rows + i * size, r->items + j * size);
    }
    pgorm_free(rk);
    pgorm_free(from);
    pgorm_free(row_of);
    return 0;
oom:
    pgorm_free(rk);
    pgorm_free(from);
    pgorm_free(row_of);
    pgorm_error_set(err, PGORM_ERR_NOMEM,
                    "pgorm_upsert(%s): out of memory matching %zu returned rows (the rows were "
                    "written)",
                    m->name, count);
    return -1;
}

static void upsert_complete(pgorm_op *o, const pgorm_error *err)
{
    upsert_op *op = (upsert_op *)o;
    pgorm_error local = {0};
    if (!err && upsert_finish(op, &local))
        err = &local;
    pgorm_result *res = err ? NULL : op->res;
    if (err)
        pgorm_result_free(op->res);
    op->res = NULL;
    if (op->cb)
        op->cb(res, err, op->fn, op->ud);
    else
        pgorm_result_free(res);
    /* err may live in the op (the core's record of it): free it last */
    pgorm_error_clear(&local);
    if (op->km_built)
        pgorm_keymap_free(&op->km);
    pgorm_buf_free(&op->outcomes);
    pgorm_op_release(&op->op);
    pgorm_free(op);
}

static const pgorm_op_vtbl upsert_vtbl = {upsert_result, upsert_complete};

/* ---------------------------------------------------------------- */
/* The call                                                          */

static void later_rows(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    (void)db;
    if (f1)
        ((pgorm_result_cb)f1)(NULL, err, f2, ud);
}

/* Index the rows by conflict key; when keys repeat, a new array of the
   last row of each key, in input order (*sent; else *sent = rows).
   Failures go to b. */
static void dedupe(pgorm_sqlb *b, upsert_op *op, uint64_t conflict, char **copy,
                   const char **sent, size_t *nsent)
{
    const pgorm_model_desc *m = op->m;
    size_t bad = 0;
    int rc = pgorm_keymap_build(&op->km, m, conflict, op->rows, op->n, &bad);
    op->km_built = true;
    *sent = op->rows;
    *nsent = op->n;
    if (rc < 0) {
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory indexing %zu rows", op->n);
        return;
    }
    if (rc > 0) {
        const pgorm_column_desc *c = m->columns;
        for (size_t i = 0; i < m->ncolumns; i++)
            if ((conflict >> i & 1) &&
                pgorm_codec_is_null(&m->columns[i], op->rows + bad * m->struct_size)) {
                c = &m->columns[i];
                break;
            }
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "row %zu: conflict column %s is NULL or unset (every row needs a value "
                        "for each column of the conflict target: NULL never conflicts, and a "
                        "default cannot be judged before sending)",
                        bad, c->name);
        return;
    }
    size_t distinct = pgorm_keymap_count(&op->km);
    if (distinct == op->n)
        return;
    *copy = pgorm_malloc(distinct * m->struct_size);
    if (!*copy) {
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory dropping duplicate keys");
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < op->n; i++)
        if (pgorm_keymap_last(&op->km, i) == i)
            memcpy(*copy + k++ * m->struct_size, op->rows + i * m->struct_size, m->struct_size);
    *sent = *copy;
    *nsent = k;
}

void pgorm_upsert_rows(pgorm_db *db, const pgorm_model_desc *m, void *rows, size_t n,
                       const pgorm_upsert *opts, pgorm_result_cb cb, pgorm_fn fn, void *ud)
{
    upsert_op *op = db ? pgorm_calloc(1, sizeof *op) : NULL;
    if (op && !(op->res = pgorm_result_new(m))) {
        pgorm_free(op);
        op = NULL;
    }
    if (!op) {
        pgorm_db_fail_later(db, db ? PGORM_ERR_NOMEM : PGORM_ERR_INVALID,
                            db ? NULL : "pgorm: the database handle is NULL", later_rows,
                            (pgorm_fn)cb, fn, ud);
        return;
    }
    pgorm_op_init(&op->op, &upsert_vtbl);
    op->m = m;
    op->cb = cb;
    op->fn = fn;
    op->ud = ud;
    op->rows = rows;
    op->n = n;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_upsert");
    upsert_target t;
    pgorm_upsert_target(&b, opts, &t);
    if (!pgorm_sqlb_failed(&b) && n > 0 && !rows)
        pgorm_sqlb_fail(&b, PGORM_ERR_INVALID, "%zu rows to upsert but rows is NULL", n);
    if (!pgorm_sqlb_failed(&b) && n == 0) {
        /* nothing to do: an empty result, no statement */
        pgorm_sqlb_free(&b);
        pgorm_db_submit_done(db, &op->op, NULL);
        return;
    }
    char *copy = NULL;
    const char *sent = NULL;
    size_t nsent = 0;
    if (!pgorm_sqlb_failed(&b))
        dedupe(&b, op, t.conflict, &copy, &sent, &nsent);
    if (!pgorm_sqlb_failed(&b))
        pgorm_upsert_build(&b, opts, &t, sent, nsent);
    pgorm_free(copy); /* its values are in the parameters now */
    if (pgorm_sqlb_finish(&b, &op->op)) {
        pgorm_error err = {0};
        pgorm_error_set(&err, b.code, "%s", b.message);
        pgorm_sqlb_free(&b);
        pgorm_db_submit_done(db, &op->op, &err);
        pgorm_error_clear(&err);
        return;
    }
    pgorm_sqlb_free(&b);
    op->op.prepare = true;
    pgorm_db_submit(db, &op->op);
}

/* ---------------------------------------------------------------- */
/* Rows of a result                                                  */

pgorm_upsert_outcome pgorm_result_outcome(const pgorm_result *r, size_t i)
{
    if (!r || !r->outcome || i >= r->count)
        return PGORM_UPSERT_NONE;
    return (pgorm_upsert_outcome)r->outcome[i];
}

bool pgorm_result_inserted(const pgorm_result *r, size_t i)
{
    return pgorm_result_outcome(r, i) == PGORM_UPSERT_INSERTED;
}

size_t pgorm_result_input(const pgorm_result *r, size_t i)
{
    if (!r || !r->input || i >= r->count)
        return SIZE_MAX;
    return r->input[i];
}

bool *pgorm_result_inserted_flags(const pgorm_result *r)
{
    return r && r->count ? r->inserted : NULL;
}

/* ---------------------------------------------------------------- */
/* The _sync twin                                                    */

int pgorm_upsert_rows_sync(pgorm_db *db, const pgorm_model_desc *m, void *rows, size_t n,
                           const pgorm_upsert *opts, pgorm_result **out, pgorm_error *err)
{
    if (out)
        *out = NULL;
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_upsert_rows(db, m, rows, n, opts, sync_wait_on_rows, NULL, w);
    return sync_wait(db, w, out, NULL, err);
}
