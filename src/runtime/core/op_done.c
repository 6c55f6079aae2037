/* pgorm_db_submit_done (op.h): an op that sends no statement completes on
 * the next turn of the loop. Built on pgorm_db_fail_later, which already
 * knows how to run something later (timer hook, sync driver, teardown) and
 * exactly once; the op itself carries the error until then.
 */
#include <string.h>

#include "runtime/core/op.h"

static void run_done(pgorm_db *db, const pgorm_error *unused, pgorm_fn f1, pgorm_fn f2,
                     void *ud)
{
    (void)db;
    (void)unused;
    (void)f1;
    (void)f2;
    pgorm_op *op = ud;
    pgorm_error err = op->core_err;
    memset(&op->core_err, 0, sizeof op->core_err);
    op->vt->complete(op, err.code != PGORM_OK ? &err : NULL); /* frees op */
    pgorm_error_clear(&err);
}

void pgorm_db_submit_done(pgorm_db *db, pgorm_op *op, const pgorm_error *err)
{
    if (!op)
        return;
    op->next = NULL;
    memset(&op->core_err, 0, sizeof op->core_err);
    if (err && err->code != PGORM_OK)
        (void)pgorm_error_copy(&op->core_err, err); /* on OOM: code + static message */
    pgorm_db_fail_later(db, err ? err->code : PGORM_OK, NULL, run_done, NULL, NULL, op);
}
