/* Work held until the end of the loop turn (op.h: pgorm_db_held_*): a map
 * per handle (a pool, or a transaction: loads merge only within one) from a caller's key to the caller's pending state, so
 * requests made in one turn can find each other and go out as one
 * statement (lazy loads, lazy.c). The core stores pointers only; the flush
 * itself is scheduled with pgorm_db_fail_later, which runs on the next turn
 * and at the latest during teardown.
 */
#include <stdint.h>

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
