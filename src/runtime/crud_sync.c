/* The _sync twins of the CRUD calls: the same operation, driven with
 * poll() until its callback has run.
 *
 * The waiting state lives on the heap, not the stack: should the driver
 * return before the callback ran (it promises not to, but a caller's bug
 * must not become a write into a dead stack frame), the state is marked
 * abandoned and the callback frees it when it finally runs.
 */
#include "pgorm/pgorm.h"
#include "runtime/op.h"

typedef struct waiter {
    bool done;
    bool abandoned;
    pgorm_result *res;
    int64_t count;
    pgorm_error err; /* a copy: the callback's error is borrowed */
} waiter;

static void on_rows(pgorm_result *res, const pgorm_error *err, pgorm_fn fn, void *ud)
{
    (void)fn;
    waiter *w = ud;
    if (w->abandoned) {
        pgorm_result_free(res);
        pgorm_free(w);
        return;
    }
    w->res = res;
    if (err) /* on OOM the copy still holds the code and a static message */
        (void)pgorm_error_copy(&w->err, err);
    w->done = true;
}

static void on_count(int64_t count, const pgorm_error *err, void *ud)
{
    waiter *w = ud;
    if (w->abandoned) {
        pgorm_free(w);
        return;
    }
    w->count = count;
    if (err) /* on OOM the copy still holds the code and a static message */
        (void)pgorm_error_copy(&w->err, err);
    w->done = true;
}

static waiter *waiter_new(pgorm_error *err)
{
    waiter *w = pgorm_calloc(1, sizeof *w);
    if (!w && err)
        pgorm_error_set(err, PGORM_ERR_NOMEM, "out of memory");
    return w;
}

/* Drive until w is done; hand over its outcome. 0 or -1. */
static int wait_for(pgorm_db *db, waiter *w, pgorm_result **out, int64_t *count,
                    pgorm_error *err)
{
    if (db)
        pgorm_db_drive_until(db, &w->done, -1);
    if (!w->done) {
        w->abandoned = true; /* the callback frees it */
        if (err)
            pgorm_error_set(err, PGORM_ERR_CLOSED,
                            "the connection stopped before the operation completed");
        return -1;
    }
    int rc = 0;
    if (w->err.code != PGORM_OK) {
        rc = -1;
        if (err)
            *err = w->err; /* the caller now owns the strings */
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

int pgorm_insert_sync(pgorm_db *db, const pgorm_model_desc *m, void *rows, size_t n,
                      pgorm_result **out, pgorm_error *err)
{
    waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_insert(db, m, rows, n, on_rows, NULL, w);
    return wait_for(db, w, out, NULL, err);
}

int pgorm_find_sync(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                    pgorm_result **out, pgorm_error *err)
{
    waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_find(db, m, q, on_rows, NULL, w);
    return wait_for(db, w, out, NULL, err);
}

int pgorm_get_sync(pgorm_db *db, const pgorm_model_desc *m, const void *key,
                   pgorm_result **out, pgorm_error *err)
{
    waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_get(db, m, key, on_rows, NULL, w);
    return wait_for(db, w, out, NULL, err);
}

int pgorm_count_sync(pgorm_db *db, const pgorm_model_desc *m, const pgorm_pred *where,
                     int64_t *count, pgorm_error *err)
{
    waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_count(db, m, where, on_count, w);
    return wait_for(db, w, NULL, count, err);
}

int pgorm_update_sync(pgorm_db *db, const pgorm_model_desc *m, const void *row,
                      uint64_t columns, int64_t *count, pgorm_error *err)
{
    waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_update(db, m, row, columns, on_count, w);
    return wait_for(db, w, NULL, count, err);
}

int pgorm_update_where_sync(pgorm_db *db, const pgorm_model_desc *m, const void *values,
                            uint64_t columns, const pgorm_pred *where, int64_t *count,
                            pgorm_error *err)
{
    waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_update_where(db, m, values, columns, where, on_count, w);
    return wait_for(db, w, NULL, count, err);
}

int pgorm_delete_sync(pgorm_db *db, const pgorm_model_desc *m, const void *key, int64_t *count,
                      pgorm_error *err)
{
    waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_delete(db, m, key, on_count, w);
    return wait_for(db, w, NULL, count, err);
}

int pgorm_delete_where_sync(pgorm_db *db, const pgorm_model_desc *m, const pgorm_pred *where,
                            int64_t *count, pgorm_error *err)
{
    waiter *w = waiter_new(err);
    if (!w)
        return -1;
    pgorm_delete_where(db, m, where, on_count, w);
    return wait_for(db, w, NULL, count, err);
}
