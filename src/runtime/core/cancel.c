/* Timeouts and pgorm_cancel.
 *
 * Stopping a statement that runs on the server takes a cancel request, sent
 * on a connection of its own; libpq 15's PQcancel does that blocking
 * (connect, send, wait for the server to close). So it runs on a helper
 * thread, one per connection at a time, which touches nothing but its own
 * PGcancel object (PQcancel is documented as safe to call from another
 * thread). The loop thread never waits for it except at teardown, where
 * the thread is joined.
 *
 * A cancel request stops whatever the backend runs when it arrives, so it
 * is only sent for the op at the head of the connection's pipeline (the
 * one running); ops behind it that are also marked get theirs when they
 * become the head. While a request is on its way, nothing new is sent on
 * the connection: a request that lands late then finds the backend idle
 * (where PostgreSQL ignores it) rather than running the next statement. An op whose deadline passes before it is sent fails
 * without being sent.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "runtime/core/conn.h"

#define CANCEL_RETRY_MS 5

struct conn_cancel {
    pthread_t th;
    atomic_bool done;
    PGcancel *obj;
    int ok;
    char errbuf[256];
    int64_t retry_at; /* a request was wanted while one still ran */
};

static void *cancel_main(void *arg)
{
    struct conn_cancel *c = arg;
    c->ok = PQcancel(c->obj, c->errbuf, (int)sizeof c->errbuf);
    atomic_store(&c->done, true);
    return NULL;
}

/* Join a finished helper; true when none is running. */
static bool reap(pgorm_conn *cn, bool wait)
{
    struct conn_cancel *c = cn->cancel;
    if (!c)
        return true;
    if (!wait && !atomic_load(&c->done))
        return false;
    pthread_join(c->th, NULL);
    PQfreeCancel(c->obj);
    pgorm_free(c);
    cn->cancel = NULL;
    return true;
}

bool cancel_busy(pgorm_conn *cn)
{
    return !reap(cn, false);
}

void cancel_join(pgorm_conn *cn)
{
    reap(cn, true);
    cn->cancel_sent_for = NULL;
}

/* The op the server runs: the head of the pipeline, past a BEGIN /
   SAVEPOINT sent with it (their results come with its Sync). */
static pgorm_op *running_op(const pgorm_conn *cn)
{
    pgorm_op *op = cn->fly.head;
    while (op && op->no_sync)
        op = op->next;
    return op;
}

void cancel_head(pgorm_conn *cn)
{
    pgorm_op *op = running_op(cn);
    if (!op || !op->core_cancel || cn->state != DB_READY || !cn->conn ||
        cn->cancel_sent_for == op)
        return;
    if (!reap(cn, false)) {
        cn->cancel->retry_at = pgorm_now_ms() + CANCEL_RETRY_MS;
        return;
    }
    struct conn_cancel *c = pgorm_calloc(1, sizeof *c);
    if (!c)
        return; /* out of memory: the statement runs to its end */
    c->obj = PQgetCancel(cn->conn);
    atomic_init(&c->done, false);
    if (!c->obj || pthread_create(&c->th, NULL, cancel_main, c) != 0) {
        if (c->obj)
            PQfreeCancel(c->obj);
        pgorm_free(c);
        return;
    }
    cn->cancel = c;
    cn->cancel_sent_for = op;
}

int64_t cancel_next_deadline(const pgorm_conn *cn)
{
    int64_t due = -1;
    const pgorm_op *op = running_op(cn);
    if (cn->state == DB_READY && op && op->core_deadline && !op->core_cancel)
        due = op->core_deadline;
    if (cn->cancel && cn->cancel->retry_at && (due < 0 || cn->cancel->retry_at < due))
        due = cn->cancel->retry_at;
    if (cn->cancel && cn->wait.head) {
        /* sending waits for the request to be done: look again soon */
        int64_t soon = pgorm_now_ms() + CANCEL_RETRY_MS;
        if (due < 0 || soon < due)
            due = soon;
    }
    return due;
}

void cancel_check_deadlines(pgorm_conn *cn)
{
    if (cn->state != DB_READY)
        return;
    pgorm_op *op = running_op(cn);
    if (cn->cancel && cn->cancel->retry_at && pgorm_now_ms() >= cn->cancel->retry_at)
        cn->cancel->retry_at = 0;
    if (op && op->core_deadline && !op->core_cancel && pgorm_now_ms() >= op->core_deadline)
        op->core_cancel = PGORM_ERR_TIMEOUT;
    if (op && op->core_cancel)
        cancel_head(cn);
}

const pgorm_error *cancel_op_result(pgorm_op *op, const pgorm_error *err, pgorm_error *scratch)
{
    if (!op->core_cancel || !err || strcmp(err->sqlstate, "57014") != 0)
        return err;
    if (op->core_cancel == PGORM_ERR_TIMEOUT)
        pgorm_error_set(scratch, PGORM_ERR_TIMEOUT,
                        "timed out after %d ms: the statement was cancelled on the server (the "
                        "connection goes on)",
                        op->core_timeout_ms);
    else
        pgorm_error_set(scratch, PGORM_ERR_CANCELED,
                        "cancelled by pgorm_cancel: the statement was stopped on the server");
    memcpy(scratch->sqlstate, "57014", 6);
    return scratch;
}

void cancel_set_deadline(pgorm_db *h, pgorm_op *op)
{
    int ms = h->pool->op_timeout_ms;
    if (h->kind == H_TX) {
        int t = h->tx.root->tx.timeout_ms;
        ms = t > 0 ? t : t < 0 ? 0 : ms;
    }
    if (ms > 0) {
        op->core_timeout_ms = ms;
        op->core_deadline = pgorm_now_ms() + ms;
    }
}

/* Is op one of h's (h itself or a savepoint under it)? */
static bool belongs(const pgorm_op *op, const pgorm_db *h)
{
    if (h->kind == H_POOL)
        return op->core_tx == NULL;
    for (const pgorm_db *t = op->core_tx; t; t = t->tx.parent)
        if (t == h)
            return true;
    return false;
}

static void mark(pgorm_conn *cn, const pgorm_db *h)
{
    for (pgorm_op *op = cn->fly.head; op; op = op->next)
        if (!op->no_sync && !op->core_cancel && belongs(op, h))
            op->core_cancel = PGORM_ERR_CANCELED;
    for (pgorm_op *op = cn->wait.head; op; op = op->next)
        if (!op->no_sync && !op->core_cancel && belongs(op, h))
            op->core_cancel = PGORM_ERR_CANCELED; /* fails when its turn to be sent comes */
    cancel_head(cn);
    pool_touch(cn->pool, cn);
}

void pgorm_cancel(pgorm_db *db)
{
    if (!db || db->pool->tearing_down)
        return;
    pgorm_db *pool = db->pool;
    if (db->kind == H_TX) {
        pgorm_conn *cn = db->tx.root->tx.cn;
        if (cn)
            mark(cn, db);
        return;
    }
    op_list t = op_list_take(&pool->queue);
    pgorm_op *op;
    while ((op = op_list_pop(&t)))
        pool_fail_op_later(pool, op, PGORM_ERR_CANCELED,
                           "cancelled by pgorm_cancel before it was sent");
    for (int i = 0; i < pool->nconns; i++)
        mark(pool->conns[i], db);
}
