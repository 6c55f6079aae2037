/* Submit and drive until done: the waiter behind every _sync twin (see
 * sync_wait.h for why it lives on the heap).
 */
#include "runtime/core/sync_wait.h"

#include "runtime/core/op.h"

struct sync_waiter {
    bool done;
    bool abandoned;
    pgorm_result *res;
    int64_t count;
    pgorm_db *tx; /* pgorm_begin's handle */
    pgorm_error err; /* a copy: the callback's error is borrowed */
};

sync_waiter *sync_waiter_new(pgorm_error *err)
{
    if (err)
        *err = (pgorm_error){0};
    sync_waiter *w = pgorm_calloc(1, sizeof *w);
    if (!w && err)
        pgorm_error_set(err, PGORM_ERR_NOMEM, "out of memory");
    return w;
}

void sync_wait_on_rows(pgorm_result *res, const pgorm_error *err, pgorm_fn fn, void *ud)
{
    (void)fn;
    sync_waiter *w = ud;
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

void sync_wait_on_count(int64_t count, const pgorm_error *err, void *ud)
{
    sync_waiter *w = ud;
    if (w->abandoned) {
        pgorm_free(w);
        return;
    }
    w->count = count;
    if (err) /* on OOM the copy still holds the code and a static message */
        (void)pgorm_error_copy(&w->err, err);
    w->done = true;
}

void sync_wait_on_done(const pgorm_error *err, void *ud)
{
    sync_wait_on_count(0, err, ud);
}

void sync_wait_on_begun(pgorm_db *tx, const pgorm_error *err, void *ud)
{
    sync_waiter *w = ud;
    if (w->abandoned && tx)
        pgorm_rollback(tx, NULL, NULL); /* nobody will get the handle */
    else
        w->tx = tx;
    sync_wait_on_count(0, err, ud);
}

const bool *sync_wait_done(const sync_waiter *w)
{
    return &w->done;
}

pgorm_db *sync_wait_tx(const sync_waiter *w)
{
    return w->done ? w->tx : NULL;
}

int sync_wait(pgorm_db *db, sync_waiter *w, pgorm_result **out, int64_t *count,
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
