/* The _sync twins of the relationship calls: the same operation, driven
 * with poll() until its callback has run (sync_wait.h).
 */
#include "pgorm/pgorm.h"
#include "runtime/core/op.h"
#include "runtime/core/sync_wait.h"

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
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_load(db, m, rel, rows, n, sync_wait_on_rows, NULL, w);
    return sync_wait(db, w, out, NULL, err);
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
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_backref(db, m, rel, row, q, sync_wait_on_rows, NULL, w);
    return sync_wait(db, w, out, NULL, err);
}

int pgorm_backref_count_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel,
                             const void *row, const pgorm_pred *where, int64_t *count,
                             pgorm_error *err)
{
    if (count)
        *count = 0;
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_backref_count(db, m, rel, row, where, sync_wait_on_count, w);
    return sync_wait(db, w, NULL, count, err);
}

int pgorm_many_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *row,
                    const pgorm_query *q, pgorm_result **out, pgorm_error *err)
{
    if (out)
        *out = NULL;
    if (!out) {
        if (err)
            pgorm_error_set(err, PGORM_ERR_INVALID,
                            "pgorm_many_sync: out is NULL, but the rows (which the row's "
                            "ManyToMany points at) are returned there");
        return -1;
    }
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_many(db, m, rel, row, q, sync_wait_on_rows, NULL, w);
    return sync_wait(db, w, out, NULL, err);
}

int pgorm_many_count_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel, const void *row,
                          const pgorm_pred *where, int64_t *count, pgorm_error *err)
{
    if (count)
        *count = 0;
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_many_count(db, m, rel, row, where, sync_wait_on_count, w);
    return sync_wait(db, w, NULL, count, err);
}

int pgorm_many_add_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel, const void *row,
                        const void *keys, size_t n, int64_t *count, pgorm_error *err)
{
    if (count)
        *count = 0;
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_many_add(db, m, rel, row, keys, n, sync_wait_on_count, w);
    return sync_wait(db, w, NULL, count, err);
}

int pgorm_many_remove_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel,
                           const void *row, const void *keys, size_t n, int64_t *count,
                           pgorm_error *err)
{
    if (count)
        *count = 0;
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_many_remove(db, m, rel, row, keys, n, sync_wait_on_count, w);
    return sync_wait(db, w, NULL, count, err);
}

/* pgorm_find lives in links.c (it may fetch links), so its twin is here. */
int pgorm_find_sync(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                    pgorm_result **out, pgorm_error *err)
{
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_find(db, m, q, sync_wait_on_rows, NULL, w);
    return sync_wait(db, w, out, NULL, err);
}
