/* Generic CRUD over model descriptors: find, get, count, update, delete
 * (insert is in insert.c). Each call builds one statement with the SQL
 * builder (all values are binary parameters, the text depends only on the
 * shape, so every statement is prepared once per connection and reused),
 * submits it, and turns what comes back into rows or a count for the
 * caller's callback, which runs exactly once.
 *
 * pgorm_find reads its rows in single-row mode: libpq then never holds the
 * whole result, whose heap glibc gives back to the OS after each PQclear
 * and faults in again on the next query (for 1000 rows of 5 columns that
 * was most of the gap to hand-written libpq). The other calls return one
 * row or a count: whole results.
 */
#include "runtime/query/crud.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/codec/codec.h"

/* ---------------------------------------------------------------- */
/* The operation                                                     */

static int crud_result(pgorm_op *o, const PGresult *res, pgorm_error *err)
{
    crud_op *op = (crud_op *)o;
    switch (op->kind) {
    case CRUD_ROWS:
    case CRUD_INSERT:
        return pgorm_result_add_rows(op->res, res, err);
    case CRUD_COUNT: {
        if (PQntuples(res) == 0)
            return 0;
        char why[160];
        bool oom = false;
        if (PQnfields(res) != 1 || PQgetisnull(res, 0, 0) ||
            !pgorm_codec_accepts(PGORM_INT8, PQftype(res, 0)) ||
            pgorm_codec_decode(PGORM_INT8, PQftype(res, 0), PQgetvalue(res, 0, 0),
                               (size_t)PQgetlength(res, 0, 0), &op->count, NULL, &oom, why,
                               sizeof why)) {
            pgorm_error_set(err, PGORM_ERR_DECODE, "pgorm_count(%s): unexpected count(*) result",
                            op->m->name);
            return -1;
        }
        return 0;
    }
    case CRUD_AFFECTED: {
        const char *n = PQcmdTuples((PGresult *)res);
        op->count = *n ? strtoll(n, NULL, 10) : 0;
        return 0;
    }
    }
    return 0;
}

static void crud_complete(pgorm_op *o, const pgorm_error *err)
{
    crud_op *op = (crud_op *)o;
    pgorm_error local = {0};
    if (!err && op->kind == CRUD_INSERT && pgorm_insert_finish(op, &local))
        err = &local;
    if (op->kind == CRUD_ROWS || op->kind == CRUD_INSERT) {
        pgorm_result *res = err ? NULL : op->res;
        if (err)
            pgorm_result_free(op->res);
        op->res = NULL;
        if (op->rcb)
            op->rcb(res, err, op->fn, op->ud);
        else
            pgorm_result_free(res);
    } else if (op->ccb) {
        op->ccb(err ? 0 : op->count, err, op->ud);
    }
    /* err may live in the op (the core's record of it): free it last */
    pgorm_error_clear(&local);
    pgorm_op_release(&op->op);
    pgorm_free(op);
}

static const pgorm_op_vtbl crud_vtbl = {crud_result, crud_complete};

/* Deferred delivery of an out-of-memory error when not even the op could
   be allocated: f1 is the caller's callback, f2 its pgorm_fn. */
static void later_rows(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    (void)db;
    if (f1)
        ((pgorm_result_cb)f1)(NULL, err, f2, ud);
}

static void later_count(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2,
                        void *ud)
{
    (void)db;
    (void)f2;
    if (f1)
        ((pgorm_count_cb)f1)(0, err, ud);
}

crud_op *pgorm_crud_new(pgorm_db *db, crud_kind kind, const pgorm_model_desc *m,
                        pgorm_result_cb rcb, pgorm_count_cb ccb, pgorm_fn fn, void *ud)
{
    crud_op *op = db ? pgorm_calloc(1, sizeof *op) : NULL;
    if (op && (kind == CRUD_ROWS || kind == CRUD_INSERT)) {
        op->res = pgorm_result_new(m);
        if (!op->res) {
            pgorm_free(op);
            op = NULL;
        }
    }
    if (!op) {
        pgorm_errcode code = db ? PGORM_ERR_NOMEM : PGORM_ERR_INVALID;
        const char *msg = db ? NULL : "pgorm: the database handle is NULL";
        if (rcb || kind == CRUD_ROWS || kind == CRUD_INSERT)
            pgorm_db_fail_later(db, code, msg, later_rows, (pgorm_fn)rcb, fn, ud);
        else
            pgorm_db_fail_later(db, code, msg, later_count, (pgorm_fn)ccb, NULL, ud);
        return NULL;
    }
    pgorm_op_init(&op->op, &crud_vtbl);
    op->kind = kind;
    op->m = m;
    op->rcb = rcb;
    op->ccb = ccb;
    op->fn = fn;
    op->ud = ud;
    return op;
}

void pgorm_crud_submit(pgorm_db *db, crud_op *op, pgorm_sqlb *b)
{
    if (pgorm_sqlb_finish(b, &op->op)) {
        pgorm_error err = {0};
        pgorm_error_set(&err, b->code, "%s", b->message);
        pgorm_sqlb_free(b);
        pgorm_db_submit_done(db, &op->op, &err);
        pgorm_error_clear(&err);
        return;
    }
    pgorm_sqlb_free(b);
    op->op.prepare = true;
    pgorm_db_submit(db, &op->op);
}

/* ---------------------------------------------------------------- */
/* Statement texts by shape                                          */

/* What names a statement's shape in the pool's cache (op.h): the call,
   its column mask, and the model: its address, plus what a different
   descriptor made later at the same address would likely change. Only
   words: no padding bytes. */
typedef struct shape_key {
    uintptr_t m, table, columns;
    uint64_t ncolumns, pk_mask, kind, mask;
} shape_key;

enum { SHAPE_GET = 1, SHAPE_UPDATE, SHAPE_DELETE };

/* The cached text of the shape (borrowed from the pool), or NULL; *k is
   filled for submit_shape. */
static const char *shape_text(pgorm_db *db, shape_key *k, const pgorm_model_desc *m, int kind,
                              uint64_t mask)
{
    memset(k, 0, sizeof *k);
    if (!m)
        return NULL;
    k->m = (uintptr_t)m;
    k->table = (uintptr_t)m->table;
    k->columns = (uintptr_t)m->columns;
    k->ncolumns = m->ncolumns;
    k->pk_mask = m->pk_mask;
    k->kind = (uint64_t)kind;
    k->mask = mask;
    return pgorm_db_sql_get(db, k, sizeof *k);
}

/* pgorm_crud_submit for a statement built with b.no_text = (cached !=
   NULL): the cached text, or the one built, which is then cached. */
static void submit_shape(pgorm_db *db, crud_op *op, pgorm_sqlb *b, const shape_key *k,
                         const char *cached)
{
    if (cached && !pgorm_sqlb_failed(b) && !(op->op.sql = pgorm_strdup(cached)))
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory building the statement");
    if (!cached && !pgorm_sqlb_failed(b) && !pgorm_sqlb_finish(b, &op->op)) {
        pgorm_db_sql_put(db, k, sizeof *k, op->op.sql);
        pgorm_sqlb_free(b);
        op->op.prepare = true;
        pgorm_db_submit(db, &op->op);
        return;
    }
    pgorm_crud_submit(db, op, b);
}

/* ---------------------------------------------------------------- */
/* Statements                                                        */

static uint64_t all_columns(const pgorm_model_desc *m)
{
    return m->ncolumns >= 64 ? UINT64_MAX : (UINT64_C(1) << m->ncolumns) - 1;
}

/* "SELECT <every column> FROM <table>" */
static void select_from(pgorm_sqlb *b)
{
    pgorm_sqlb_puts(b, "SELECT ");
    pgorm_sqlb_columns(b, all_columns(b->m));
    pgorm_sqlb_puts(b, " FROM ");
    pgorm_sqlb_table(b);
}

void pgorm_find_plain(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                      pgorm_result_cb cb, pgorm_fn fn, void *ud)
{
    crud_op *op = pgorm_crud_new(db, CRUD_ROWS, m, cb, NULL, fn, ud);
    if (!op)
        return;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_find");
    static const pgorm_query all = {0};
    if (!q)
        q = &all;
    if (q->limit < 0 || q->offset < 0)
        pgorm_sqlb_fail(&b, PGORM_ERR_INVALID, "limit %lld and offset %lld must not be negative",
                        (long long)q->limit, (long long)q->offset);
    if (q->link_opts && q->link_opts[0].path)
        pgorm_sqlb_fail(&b, PGORM_ERR_INVALID,
                        "link_opts[0] \"%s\": options for links, but .fetch_links is false "
                        "(nothing is fetched to apply them to)",
                        q->link_opts[0].path);
    uint64_t cols = pgorm_sqlb_read_mask(&b, q->columns);
    if (!pgorm_sqlb_failed(&b)) {
        op->res->columns = cols; /* what the decoder reads, and the caller is told */
        pgorm_sqlb_puts(&b, "SELECT ");
        pgorm_sqlb_columns(&b, cols);
        pgorm_sqlb_puts(&b, " FROM ");
        pgorm_sqlb_table(&b);
        pgorm_sqlb_where(&b, &q->where);
        pgorm_sqlb_order(&b, q->order, PGORM_MAX_ORDER);
        if (q->limit > 0) {
            pgorm_sqlb_puts(&b, " LIMIT ");
            pgorm_sqlb_int8(&b, q->limit);
        }
        if (q->offset > 0) {
            pgorm_sqlb_puts(&b, " OFFSET ");
            pgorm_sqlb_int8(&b, q->offset);
        }
    }
    op->op.single_row = true;
    op->op.read_only = true;
    pgorm_crud_submit(db, op, &b);
}

void pgorm_get(pgorm_db *db, const pgorm_model_desc *m, const void *key, pgorm_result_cb cb,
               pgorm_fn fn, void *ud)
{
    crud_op *op = pgorm_crud_new(db, CRUD_ROWS, m, cb, NULL, fn, ud);
    if (!op)
        return;
    shape_key k;
    const char *cached = shape_text(db, &k, m, SHAPE_GET, 0);
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_get");
    b.no_text = cached != NULL;
    if (!pgorm_sqlb_failed(&b)) {
        select_from(&b);
        pgorm_sqlb_key(&b, key);
    }
    op->op.read_only = true;
    submit_shape(db, op, &b, &k, cached);
}

void pgorm_count(pgorm_db *db, const pgorm_model_desc *m, const pgorm_pred *where,
                 pgorm_count_cb cb, void *ud)
{
    crud_op *op = pgorm_crud_new(db, CRUD_COUNT, m, NULL, cb, NULL, ud);
    if (!op)
        return;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_count");
    if (!pgorm_sqlb_failed(&b)) {
        pgorm_sqlb_puts(&b, "SELECT count(*) FROM ");
        pgorm_sqlb_table(&b);
        pgorm_sqlb_where(&b, where);
    }
    op->op.read_only = true;
    pgorm_crud_submit(db, op, &b);
}

/* "UPDATE <table> SET c1 = $1, c2 = $2" with the values of `row`; checks
   the mask (not empty, known columns, and no key column when by_key). */
static void update_set(pgorm_sqlb *b, const void *row, uint64_t columns, bool by_key)
{
    const pgorm_model_desc *m = b->m;
    if (pgorm_sqlb_failed(b))
        return;
    if (!row) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "the row with the new values is NULL");
        return;
    }
    if (columns == 0) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "no columns to update (the mask is 0)");
        return;
    }
    if (columns & ~all_columns(m)) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "the mask 0x%llx names columns %s does not have",
                        (unsigned long long)columns, m->name);
        return;
    }
    if (by_key && (columns & m->pk_mask)) {
        size_t i = 0;
        while (!((columns & m->pk_mask) & (UINT64_C(1) << i)))
            i++;
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "the mask includes key column %s: the key says which row to update "
                        "(use pgorm_update_where to change a key)",
                        m->columns[i].name);
        return;
    }
    pgorm_sqlb_puts(b, "UPDATE ");
    pgorm_sqlb_table(b);
    pgorm_sqlb_puts(b, " SET ");
    bool first = true;
    for (size_t i = 0; i < m->ncolumns; i++) {
        if (!(columns & (UINT64_C(1) << i)))
            continue;
        if (!first)
            pgorm_sqlb_puts(b, ", ");
        first = false;
        pgorm_sqlb_column(b, i);
        pgorm_sqlb_puts(b, " = ");
        pgorm_sqlb_field(b, i, row);
    }
}

void pgorm_update(pgorm_db *db, const pgorm_model_desc *m, const void *row, uint64_t columns,
                  pgorm_count_cb cb, void *ud)
{
    crud_op *op = pgorm_crud_new(db, CRUD_AFFECTED, m, NULL, cb, NULL, ud);
    if (!op)
        return;
    shape_key k;
    const char *cached = shape_text(db, &k, m, SHAPE_UPDATE, columns);
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_update");
    b.no_text = cached != NULL;
    update_set(&b, row, columns, true);
    pgorm_sqlb_key(&b, row);
    submit_shape(db, op, &b, &k, cached);
}

void pgorm_update_where(pgorm_db *db, const pgorm_model_desc *m, const void *values,
                        uint64_t columns, const pgorm_pred *where, pgorm_count_cb cb, void *ud)
{
    crud_op *op = pgorm_crud_new(db, CRUD_AFFECTED, m, NULL, cb, NULL, ud);
    if (!op)
        return;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_update_where");
    update_set(&b, values, columns, false);
    if (!pgorm_sqlb_failed(&b))
        pgorm_sqlb_where(&b, where);
    pgorm_crud_submit(db, op, &b);
}

void pgorm_delete(pgorm_db *db, const pgorm_model_desc *m, const void *key, pgorm_count_cb cb,
                  void *ud)
{
    crud_op *op = pgorm_crud_new(db, CRUD_AFFECTED, m, NULL, cb, NULL, ud);
    if (!op)
        return;
    shape_key k;
    const char *cached = shape_text(db, &k, m, SHAPE_DELETE, 0);
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_delete");
    b.no_text = cached != NULL;
    if (!pgorm_sqlb_failed(&b)) {
        pgorm_sqlb_puts(&b, "DELETE FROM ");
        pgorm_sqlb_table(&b);
        pgorm_sqlb_key(&b, key);
    }
    submit_shape(db, op, &b, &k, cached);
}

void pgorm_delete_where(pgorm_db *db, const pgorm_model_desc *m, const pgorm_pred *where,
                        pgorm_count_cb cb, void *ud)
{
    crud_op *op = pgorm_crud_new(db, CRUD_AFFECTED, m, NULL, cb, NULL, ud);
    if (!op)
        return;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_delete_where");
    if (!pgorm_sqlb_failed(&b)) {
        pgorm_sqlb_puts(&b, "DELETE FROM ");
        pgorm_sqlb_table(&b);
        pgorm_sqlb_where(&b, where);
    }
    pgorm_crud_submit(db, op, &b);
}
