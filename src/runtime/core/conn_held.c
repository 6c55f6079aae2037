/* Work held until the end of the loop turn (op.h: pgorm_db_held_*): a map
 * per handle (a pool, or a transaction: loads merge only within one) from a caller's key to the caller's pending state, so
 * requests made in one turn can find each other and go out as one
 * statement (lazy loads, lazy.c). The core stores pointers only; the flush
 * itself is scheduled with pgorm_db_fail_later, which runs on the next turn
 * and at the latest during teardown.
 */
#include <stdint.h>
#include <string.h>

#include "runtime/core/conn.h"

void *pgorm_db_held_get(const pgorm_db *db, const void *key)
{
    return db ? pgorm_hmap_get_u64(&db->held, (uint64_t)(uintptr_t)key) : NULL;
}

int pgorm_db_held_put(pgorm_db *db, const void *key, void *state)
{
    if (!db || db->pool->tearing_down || (db->kind == H_TX && (db->tx.ending || db->tx.ended)))
        return -1;
    return pgorm_hmap_put_u64(&db->held, (uint64_t)(uintptr_t)key, state);
}

void pgorm_db_held_del(pgorm_db *db, const void *key, const void *state)
{
    if (db && pgorm_hmap_get_u64(&db->held, (uint64_t)(uintptr_t)key) == state)
        pgorm_hmap_del_u64(&db->held, (uint64_t)(uintptr_t)key);
}

/* The statement texts by shape (op.h): on the pool, shared by its
   transactions; freed with the pool (pool_sql_cache_free). */
const char *pgorm_db_sql_get(const pgorm_db *db, const void *key, size_t len)
{
    return db ? pgorm_hmap_get(&db->pool->sql_cache, key, len) : NULL;
}

void pgorm_db_sql_put(pgorm_db *db, const void *key, size_t len, const char *sql)
{
    if (!db || !sql)
        return;
    pgorm_hmap *m = &db->pool->sql_cache;
    if (pgorm_hmap_count(m) >= PGORM_SQL_CACHE_MAX || pgorm_hmap_get(m, key, len))
        return;
    size_t n = strlen(sql) + 1;
    char *copy = pgorm_malloc(n);
    if (!copy)
        return;
    memcpy(copy, sql, n);
    if (pgorm_hmap_put(m, key, len, copy) != 0)
        pgorm_free(copy);
}

void pool_sql_cache_free(pgorm_db *pool)
{
    size_t it = 0;
    const pgorm_hmap_entry *e;
    while ((e = pgorm_hmap_next(&pool->sql_cache, &it)))
        pgorm_free(e->value);
    pgorm_hmap_free(&pool->sql_cache);
}
