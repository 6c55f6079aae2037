/* The _sync twins of the relationship calls: the same operation, driven
 * with poll() until its callback has run. As in crud_sync.c, the waiting
 * state is on the heap: if the driver ever returned before the callback
 * ran, the state is marked abandoned and the callback frees it.
 */
#include "pgorm/pgorm.h"
#include "runtime/op.h"

typedef struct rel_waiter {
    bool done;
    bool abandoned;
    pgorm_result *res;
    int64_t count;
    pgorm_error err; /* a copy: the callback's error is borrowed */
} rel_waiter;

static void on_rows(pgorm_result *res, const pgorm_error *err, pgorm_fn fn, void *ud)
{
    (void)fn;
    rel_waiter *w = ud;
    if (w->abandoned) {
        pgorm_result_free(res);
        pgorm_free(w);
        return;
    }
    w->res = res;
    if (err)
        (void)pgorm_error_copy(&w->err, err);
    w->done = true;
}

static void on_count(int64_t count, const pgorm_error *err, void *ud)
{
    rel_waiter *w = ud;
    if (w->abandoned) {
        pgorm_free(w);
        return;
    }
    w->count = count;
    if (err)
        (void)pgorm_error_copy(&w->err, err);
    w->done = true;
}

static rel_waiter *waiter_new(pgorm_error *err)
{
    if (err)
        *err = (pgorm_error){0};
    rel_waiter *w = pgorm_calloc(1, sizeof *w);
    if (!w && err)
        pgorm_error_set(err, PGORM_ERR_NOMEM, "out of memory");
    return w;
}

static int wait_for(pgorm_db *db, rel_waiter *w, pgorm_result **out, int64_t *count,
                    pgorm_error *err)
{
    if (db)
        pgorm_db_drive_until(db, &w->done, -1);
    if (!w->done) {
        w->abandoned = true;
        if (err)
            pgorm_error_set(err, PGORM_ERR_CLOSED,
                            "the connection stopped before the operation completed");
        return -1;
    }
    int rc = 0;
    if (w->err.code != PGORM_OK) {
        rc = -1;
        if (err)
            *err = w->err;
        else
            pgorm_error_clear(&w->err);
        pgorm_result_free(w->res);
    } else {
        if (out)
            *out = w->res;
        else
            pgorm_result_free(w->res);
        if (count)
            *count = w->count;
    }
    pgorm_free(w);
    return rc;
}

int pgorm_load_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *rows, size_t n,
                    pgorm_result **out, pgorm_error *err)
{
    if (out)
        *out = NULL;
    if (!out) {
        /* the refs would point into a result nobody could free */
        if (err)
            pgorm_error_set(err, PGORM_ERR_INVALID,
                            "pgorm_load_sync: out is NULL, but the loaded rows (which each "
                            "ref points at) are returned there");
        return -1;
    }
    rel_waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_load(db, m, rel, rows, n, on_rows, NULL, w);
    return wait_for(db, w, out, NULL, err);
}

int pgorm_backref_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *row,
                       const pgorm_query *q, pgorm_result **out, pgorm_error *err)
{
    if (out)
        *out = NULL;
    if (!out) {
        if (err)
            pgorm_error_set(err, PGORM_ERR_INVALID,
                            "pgorm_backref_sync: out is NULL, but the rows (which the row's "
                            "BackReference points at) are returned there");
        return -1;
    }
    rel_waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_backref(db, m, rel, row, q, on_rows, NULL, w);
    return wait_for(db, w, out, NULL, err);
}

int pgorm_backref_count_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel,
                             const void *row, const pgorm_pred *where, int64_t *count,
                             pgorm_error *err)
{
    if (count)
        *count = 0;
    rel_waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_backref_count(db, m, rel, row, where, on_count, w);
    return wait_for(db, w, NULL, count, err);
}
