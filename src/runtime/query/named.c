/* Named queries (pgorm_query_rows): the SQL of a schema's `query` block,
 * its typed parameters, and rows decoded into the generated row struct
 * through a descriptor of the result columns, like a model's rows.
 *
 * The statement's first row is checked against the descriptor: the same
 * number of columns, the same names, in order, and types the decoders
 * accept, so a database that drifted from the schema file gives an error
 * naming the column instead of values in the wrong members. Rows are read
 * in single-row mode, as pgorm_find's.
 */
#include <string.h>

#include "runtime/core/op.h"
#include "runtime/core/sync_wait.h"
#include "runtime/query/params.h"
#include "runtime/query/result.h"

typedef struct named_op {
    pgorm_op op; /* first: the core sees only this */
    const pgorm_model_desc *m;
    pgorm_result *res;
    pgorm_result_cb cb;
    pgorm_fn fn;
    void *ud;
    void *arrays; /* the parameters' libpq arrays */
    bool checked; /* the names of this statement's columns */
} named_op;

/* The result columns against the query's descriptor: count and names. */
static int check_names(const named_op *op, const PGresult *res, pgorm_error *err)
{
    const pgorm_model_desc *m = op->m;
    int nf = PQnfields(res);
    if ((size_t)nf != m->ncolumns) {
        pgorm_error_set(err, PGORM_ERR_DECODE,
                        "query %s: the statement returns %d columns, the generated code "
                        "expects %zu (is the schema file's returns out of date? pgorm check "
                        "--database compares them)",
                        m->name, nf, m->ncolumns);
        return -1;
    }
    for (int i = 0; i < nf; i++) {
        const char *got = PQfname(res, i);
        if (!got || strcmp(got, m->columns[i].name) != 0) {
            pgorm_error_set(err, PGORM_ERR_DECODE,
                            "query %s: result column %d is \"%s\", the generated code expects "
                            "\"%s\" (pgorm check --database compares them)",
                            m->name, i + 1, got ? got : "?", m->columns[i].name);
            return -1;
        }
    }
    return 0;
}

static int named_result(pgorm_op *o, const PGresult *res, pgorm_error *err)
{
    named_op *op = (named_op *)o;
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE) {
        pgorm_error_set(err, PGORM_ERR_DECODE,
                        "query %s: the statement is a command that returns no rows, the "
                        "generated code expects %zu columns (add RETURNING ...)",
                        op->m->name, op->m->ncolumns);
        return -1;
    }
    if (!op->checked && check_names(op, res, err))
        return -1;
    op->checked = st == PGRES_SINGLE_TUPLE; /* the end of the statement re-arms it */
    return pgorm_result_add_rows(op->res, res, err);
}

static void named_complete(pgorm_op *o, const pgorm_error *err)
{
    named_op *op = (named_op *)o;
    pgorm_result *res = err ? NULL : op->res;
    if (err)
        pgorm_result_free(op->res);
    op->res = NULL;
    /* err may live in the op (the core's record of it): call back first */
    if (op->cb)
        op->cb(res, err, op->fn, op->ud);
    else
        pgorm_result_free(res);
    pgorm_free(op->arrays);
    pgorm_op_release(&op->op);
    pgorm_free(op);
}

static const pgorm_op_vtbl named_vtbl = {named_result, named_complete};

static void named_later(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    (void)db;
    if (f1)
        ((pgorm_result_cb)f1)(NULL, err, f2, ud);
}

void pgorm_query_rows(pgorm_db *db, const pgorm_model_desc *m, const char *sql,
                      const pgorm_param *params, int nparams, pgorm_result_cb cb, pgorm_fn fn,
                      void *ud)
{
    const char *bad = NULL; /* static text: pgorm_db_fail_later keeps the pointer */
    if (!db)
        bad = "pgorm_query_rows: the database handle is NULL";
    else if (!m || !m->columns || m->ncolumns == 0)
        bad = "pgorm_query_rows: the query's descriptor is NULL or has no columns";
    else if (!sql)
        bad = "pgorm_query_rows: sql is NULL";
    else if (nparams < 0 || nparams > 65535 || (nparams > 0 && !params))
        bad = "pgorm_query_rows: nparams must be 0..65535, with params non-NULL when nparams > 0";
    else if (pgorm_sql_is_tx_control(sql))
        bad = "pgorm_query_rows: transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT...) is "
              "refused: use pgorm_begin and pgorm_commit / pgorm_rollback";
    named_op *op = bad ? NULL : pgorm_calloc(1, sizeof *op);
    if (op) {
        op->res = pgorm_result_new(m);
        if (op->res) {
            pgorm_op_init(&op->op, &named_vtbl);
            op->op.sql = pgorm_strdup(sql);
        }
        if (!op->res || !op->op.sql) {
            pgorm_result_free(op->res);
            pgorm_free(op->op.sql);
            pgorm_free(op);
            op = NULL;
        }
    }
    if (!op) {
        pgorm_db_fail_later(db, bad ? PGORM_ERR_INVALID : PGORM_ERR_NOMEM,
                            bad ? bad : "pgorm_query_rows: out of memory queuing the query",
                            named_later, (pgorm_fn)cb, fn, ud);
        return;
    }
    op->m = m;
    op->cb = cb;
    op->fn = fn;
    op->ud = ud;
    op->op.result_format = 1;
    op->op.single_row = true;
    op->op.prepare = true;
    pgorm_error err = {0};
    if (pgorm_params_encode(&op->op, &op->arrays, params, nparams, m->name, &err)) {
        pgorm_db_submit_done(db, &op->op, &err);
        pgorm_error_clear(&err);
        return;
    }
    pgorm_db_submit(db, &op->op);
}

int pgorm_query_rows_sync(pgorm_db *db, const pgorm_model_desc *m, const char *sql,
                          const pgorm_param *params, int nparams, pgorm_result **out,
                          pgorm_error *err)
{
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_query_rows(db, m, sql, params, nparams, sync_wait_on_rows, NULL, w);
    return sync_wait(db, w, out, NULL, err);
}
