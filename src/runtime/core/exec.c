/* pgorm_exec: one SQL statement with text parameters, as an op.
 *
 * The op, its parameter array, the parameter strings and the SQL text are
 * one allocation (op.sql points inside it, so pgorm_op_release is not used).
 * The statement runs unnamed (no prepared-statement cache): raw statements
 * are often one-off DDL.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/core/conn.h"

typedef struct exec_op {
    pgorm_op op;
    pgorm_count_cb cb;
    void *ud;
    int64_t count;
    /* then: const char *values[nparams]; the parameter strings; the sql */
} exec_op;

static int exec_result(pgorm_op *op, const PGresult *res, pgorm_error *err)
{
    (void)err;
    exec_op *x = (exec_op *)op;
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE) {
        x->count += PQntuples(res);
    } else {
        const char *n = PQcmdTuples((PGresult *)res);
        if (n && *n)
            x->count += strtoll(n, NULL, 10);
    }
    return 0;
}

static void exec_complete(pgorm_op *op, const pgorm_error *err)
{
    exec_op *x = (exec_op *)op;
    pgorm_count_cb cb = x->cb;
    void *ud = x->ud;
    int64_t count = err ? 0 : x->count;
    pgorm_error_clear(&op->core_err);
    pgorm_free(x); /* before the callback: it may queue more */
    if (cb)
        cb(count, err, ud);
}

static const pgorm_op_vtbl exec_vt = {exec_result, exec_complete};

static void exec_later(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    (void)db;
    (void)f2;
    pgorm_count_cb cb = (pgorm_count_cb)f1;
    if (cb)
        cb(0, err, ud);
}

/* The first keyword of sql (after blanks and comments), upper-cased into
   kw (size bytes). */
static void first_keyword(const char *sql, char *kw, size_t size)
{
    const char *p = sql;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '(')
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
        } else {
            break;
        }
    }
    size_t n = 0;
    while (n + 1 < size && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
        kw[n++] = (char)(*p >= 'a' ? *p - 'a' + 'A' : *p);
        p++;
    }
    kw[n] = '\0';
}

/* Transaction control through pgorm_exec would capture whatever else the
   pool's connection carries: refused, pointing at pgorm_begin. */
bool pgorm_sql_is_tx_control(const char *sql)
{
    static const char *const words[] = {"BEGIN",    "START",   "COMMIT", "END", "ROLLBACK",
                                        "ABORT",    "SAVEPOINT", "RELEASE", "PREPARE"};
    char kw[16];
    first_keyword(sql, kw, sizeof kw);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcmp(kw, words[i]) != 0)
            continue;
        if (strcmp(kw, "PREPARE") == 0)
            return strstr(sql, "TRANSACTION") || strstr(sql, "transaction");
        return true;
    }
    return false;
}

void pgorm_exec(pgorm_db *db, const char *sql, int nparams, const char *const *params,
                pgorm_count_cb cb, void *ud)
{
    if (sql && pgorm_sql_is_tx_control(sql)) {
        pgorm_db_fail_later(db, PGORM_ERR_INVALID,
                            "pgorm_exec: transaction control (BEGIN, COMMIT, ROLLBACK, "
                            "SAVEPOINT...) is refused: on a pool it would take in other "
                            "operations. Use pgorm_begin and pgorm_commit / pgorm_rollback "
                            "(or pgorm_transaction); pgorm_begin on a transaction opens a "
                            "savepoint",
                            exec_later, (pgorm_fn)cb, NULL, ud);
        return;
    }
    if (!sql || nparams < 0 || nparams > 65535 || (nparams > 0 && !params)) {
        pgorm_db_fail_later(db, PGORM_ERR_INVALID,
                            !sql ? "pgorm_exec: sql is NULL"
                                 : "pgorm_exec: nparams must be 0..65535, with params non-NULL "
                                   "when nparams > 0",
                            exec_later, (pgorm_fn)cb, NULL, ud);
        return;
    }
    size_t head = sizeof(exec_op) + (size_t)nparams * sizeof(char *);
    size_t need = head;
    size_t sql_len = strlen(sql);
    for (int i = 0; i < nparams; i++)
        if (params[i])
            need += strlen(params[i]) + 1;
    need += sql_len + 1;

    exec_op *x = pgorm_malloc(need);
    if (!x) {
        pgorm_db_fail_later(db, PGORM_ERR_NOMEM, "out of memory queuing a statement (pgorm_exec)",
                            exec_later, (pgorm_fn)cb, NULL, ud);
        return;
    }
    pgorm_op_init(&x->op, &exec_vt);
    x->cb = cb;
    x->ud = ud;
    x->count = 0;
    const char **values = (const char **)(void *)((char *)x + sizeof(exec_op));
    char *p = (char *)x + head;
    for (int i = 0; i < nparams; i++) {
        if (!params[i]) {
            values[i] = NULL; /* SQL NULL */
            continue;
        }
        size_t n = strlen(params[i]) + 1;
        memcpy(p, params[i], n);
        values[i] = p;
        p += n;
    }
    memcpy(p, sql, sql_len + 1);
    x->op.sql = p;
    x->op.nparams = nparams;
    x->op.param_values = nparams ? values : NULL;
    x->op.result_format = 0;
    pgorm_db_submit(db, &x->op);
}

typedef struct exec_sync_state {
    bool done;
    int rc;
    int64_t count;
    pgorm_error *err;
} exec_sync_state;

static void exec_sync_cb(int64_t count, const pgorm_error *err, void *ud)
{
    exec_sync_state *s = ud;
    if (err) {
        s->rc = -1;
        if (s->err)
            pgorm_error_copy(s->err, err);
    }
    s->count = count;
    s->done = true;
}

int pgorm_exec_sync(pgorm_db *db, const char *sql, int nparams, const char *const *params,
                    int64_t *count, pgorm_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (count)
        *count = 0;
    if (!db) {
        pgorm_error_set(err, PGORM_ERR_INVALID, "pgorm_exec_sync: db is NULL");
        return -1;
    }
    exec_sync_state s = {false, 0, 0, err};
    pgorm_exec(db, sql, nparams, params, exec_sync_cb, &s);
    pgorm_db_drive_until(db, &s.done, -1);
    if (!s.done)
        return -1; /* not reached: an untimed drive returns with every op completed */
    if (count)
        *count = s.count;
    return s.rc;
}
