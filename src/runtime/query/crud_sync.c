/* The _sync twins of the CRUD calls: the same operation, driven with
 * poll() until its callback has run (sync_wait.h).
 */
#include "pgorm/pgorm.h"
#include "runtime/core/sync_wait.h"

int pgorm_insert_sync(pgorm_db *db, const pgorm_model_desc *m, void *rows, size_t n,
                      pgorm_result **out, pgorm_error *err)
{
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_insert(db, m, rows, n, sync_wait_on_rows, NULL, w);
    return sync_wait(db, w, out, NULL, err);
}

int pgorm_get_sync(pgorm_db *db, const pgorm_model_desc *m, const void *key,
                   pgorm_result **out, pgorm_error *err)
{
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_get(db, m, key, sync_wait_on_rows, NULL, w);
    return sync_wait(db, w, out, NULL, err);
}

int pgorm_count_sync(pgorm_db *db, const pgorm_model_desc *m, const pgorm_pred *where,
                     int64_t *count, pgorm_error *err)
{
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_count(db, m, where, sync_wait_on_count, w);
    return sync_wait(db, w, NULL, count, err);
}

int pgorm_update_sync(pgorm_db *db, const pgorm_model_desc *m, const void *row,
                      uint64_t columns, int64_t *count, pgorm_error *err)
{
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_update(db, m, row, columns, sync_wait_on_count, w);
    return sync_wait(db, w, NULL, count, err);
}

int pgorm_update_where_sync(pgorm_db *db, const pgorm_model_desc *m, const void *values,
                            uint64_t columns, const pgorm_pred *where, int64_t *count,
                            pgorm_error *err)
{
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_update_where(db, m, values, columns, where, sync_wait_on_count, w);
    return sync_wait(db, w, NULL, count, err);
}

int pgorm_delete_sync(pgorm_db *db, const pgorm_model_desc *m, const void *key, int64_t *count,
                      pgorm_error *err)
{
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_delete(db, m, key, sync_wait_on_count, w);
    return sync_wait(db, w, NULL, count, err);
}

int pgorm_delete_where_sync(pgorm_db *db, const pgorm_model_desc *m, const pgorm_pred *where,
                            int64_t *count, pgorm_error *err)
{
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_delete_where(db, m, where, sync_wait_on_count, w);
    return sync_wait(db, w, NULL, count, err);
}
