/* The one "submit and drive until done" helper behind every _sync twin
 * (crud_sync.c, rel_sync.c, upsert.c's twin, the transaction twins in tx.c).
 *
 * A twin makes a waiter, queues its operation with sync_wait_on_rows or
 * sync_wait_on_count as the callback and the waiter as user data, then
 * calls sync_wait. The waiter lives on the heap, not the stack: should the
 * driver return before the callback ran (it promises not to, but a
 * caller's bug must not become a write into a dead stack frame), the
 * waiter is marked abandoned and the callback frees it when it runs.
 */
#ifndef PGORM_SYNC_WAIT_H
#define PGORM_SYNC_WAIT_H

#include "pgorm/pgorm.h"

typedef struct sync_waiter sync_waiter;

/* A new waiter, or NULL with *err (may be NULL) set to PGORM_ERR_NOMEM.
   *err is reset first, so it reads PGORM_OK after a success. */
sync_waiter *sync_waiter_new(pgorm_error *err);

/* The callbacks to queue the operation with; ud is the waiter. */
void sync_wait_on_rows(pgorm_result *res, const pgorm_error *err, pgorm_fn fn, void *ud);
void sync_wait_on_count(int64_t count, const pgorm_error *err, void *ud);
void sync_wait_on_done(const pgorm_error *err, void *ud);
void sync_wait_on_begun(pgorm_db *tx, const pgorm_error *err, void *ud);
/* The handle sync_wait_on_begun received (read it before sync_wait, which
   frees the waiter); NULL until then. */
pgorm_db *sync_wait_tx(const sync_waiter *w);
/* Its done flag, to drive until it is set before reading sync_wait_tx. */
const bool *sync_wait_done(const sync_waiter *w);

/* Drive db until the waiter's callback ran; 0, or -1 with *err filled
   (owned by the caller; err may be NULL). On success *out (may be NULL:
   the result is freed) receives the result, owned by the caller, and
   *count (may be NULL) the count. Takes the waiter (freed here, or by the
   callback when the driver stopped first). */
int sync_wait(pgorm_db *db, sync_waiter *w, pgorm_result **out, int64_t *count,
              pgorm_error *err);

#endif
