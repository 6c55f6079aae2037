/* The handle a user holds: a pool of connections (conn.c) and what is not
 * tied to one socket: the queue of ops no connection has taken yet, the
 * deferred ("next loop turn") completions, the connect callback, the
 * re-entrancy bracket and teardown. Transactions are tx.c; the poll()
 * driver is sync.c.
 *
 * Dispatch: an op goes to the READY connection, not reserved by a
 * transaction, with the least work (unsent + in flight), as long as that
 * is under PGORM_MAX_INFLIGHT_OPS; otherwise it waits in pool->queue,
 * which is drained (FIFO) whenever a connection completes work, comes up,
 * or is released by a transaction. So a pool of one keeps issue order.
 *
 * The pool's deferred work rides on connection 0's timer (and the sync
 * driver): every connection exists from pgorm_db_new on, so there is one.
 */
#include <string.h>
#include <time.h>

#include "runtime/core/conn.h"

#define POOL_SIZE_MAX 256
#define MAX_QUEUE_DEFAULT 65536

int64_t pgorm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Creation.                                                           */

pgorm_db *pgorm_db_new(const pgorm_db_options *opts)
{
    int n = opts && opts->pool_size > 0 ? opts->pool_size : 1;
    if (n > POOL_SIZE_MAX)
        n = POOL_SIZE_MAX;
    pgorm_db *db = pgorm_calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->kind = H_POOL;
    db->pool = db;
    db->later_cap = 4;
    db->later = pgorm_malloc(db->later_cap * sizeof *db->later);
    /* one more slot: the listening connection, made on first pgorm_listen */
    db->conns = pgorm_calloc((size_t)n + 1, sizeof *db->conns);
    db->pfd = pgorm_calloc((size_t)n + 1, sizeof *db->pfd);
    db->pfd_which = pgorm_calloc((size_t)n + 1, sizeof *db->pfd_which);
    if (!db->later || !db->conns || !db->pfd || !db->pfd_which)
        goto fail;
    db->connect_timeout_ms = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
                                                                  : 10000;
    db->max_queue = opts && opts->max_queue > 0 ? opts->max_queue : MAX_QUEUE_DEFAULT;
    db->op_timeout_ms = opts && opts->op_timeout_ms > 0 ? opts->op_timeout_ms : 0;
    db->unnamed_statements = opts && opts->unnamed_statements;
    db->pipeline_depth = opts && opts->pipeline_depth > 0 ? opts->pipeline_depth : 0;
    if (opts && opts->listen_conninfo) {
        db->listen_conninfo = pgorm_strdup(opts->listen_conninfo);
        if (!db->listen_conninfo)
            goto fail;
    }
    pgorm_hmap_init(&db->held, PGORM_HMAP_U64);
    pgorm_hmap_init(&db->sql_cache, PGORM_HMAP_BYTES_COPY);
    for (int i = 0; i < n; i++) {
        db->conns[i] = conn_new(db, i);
        if (!db->conns[i])
            goto fail;
        db->nconns++;
    }
    db->nall = db->nconns;
    return db;
fail:
    for (int i = 0; i < db->nconns; i++)
        conn_free(db->conns[i]);
    pgorm_free(db->conns);
    pgorm_free(db->pfd);
    pgorm_free(db->pfd_which);
    pgorm_free(db->later);
    pgorm_free(db->listen_conninfo);
    pgorm_free(db);
    return NULL;
}

static pgorm_db *pool_of(const pgorm_db *db)
{
    return db ? db->pool : NULL;
}

/* ------------------------------------------------------------------ */
/* Event loops.                                                        */

void pgorm_db_set_loop(pgorm_db *db, const pgorm_loop *loop)
{
    pgorm_db *pool = pool_of(db);
    if (!pool || pool->tearing_down)
        return;
    pool->has_loop = loop && loop->attach;
    if (pool->has_loop)
        pool->loop = *loop;
    for (int i = 0; i < pool->nall; i++)
        conn_attach_loop(pool->conns[i]);
}

void pgorm_db_set_hooks(pgorm_db *db, const pgorm_loop_hooks *hooks)
{
    pgorm_db *pool = pool_of(db);
    if (!pool || pool->tearing_down)
        return;
    if (pool->nconns == 1) {
        pgorm_conn_set_hooks(pool->conns[0], hooks);
        return;
    }
    for (int i = 0; i < pool->nconns; i++)
        pgorm_conn_handle_error(pool->conns[i], PGORM_ERR_INVALID,
                                "pgorm_db_set_hooks drives a pool of one connection: for "
                                "pool_size > 1 use pgorm_db_set_loop (or an adapter)");
}

void pgorm_db_handle_read(pgorm_db *db)
{
    if (db && db->kind == H_POOL && db->nconns > 0)
        pgorm_conn_handle_read(db->conns[0]);
}

void pgorm_db_handle_write(pgorm_db *db)
{
    if (db && db->kind == H_POOL && db->nconns > 0)
        pgorm_conn_handle_write(db->conns[0]);
}

void pgorm_db_handle_timer(pgorm_db *db)
{
    if (db && db->kind == H_POOL && db->nconns > 0)
        pgorm_conn_handle_timer(db->conns[0]);
}

void pgorm_db_handle_error(pgorm_db *db, pgorm_errcode code, const char *static_message)
{
    if (db && db->kind == H_POOL && db->nconns > 0)
        pgorm_conn_handle_error(db->conns[0], code, static_message);
}

/* ------------------------------------------------------------------ */
/* Re-entrancy bracket.                                                */

static void teardown(pgorm_db *pool);

void pool_enter(pgorm_db *pool)
{
    pool->depth++;
}

bool pool_leave(pgorm_db *pool)
{
    if (--pool->depth > 0)
        return false;
    if (pool->free_requested) {
        teardown(pool);
        return true;
    }
    for (int i = 0; i < pool->nall; i++) {
        conn_update_io(pool->conns[i]);
        conn_update_timer(pool->conns[i]);
    }
    return false;
}

/* Outside any entry, interest changes are applied at once. */
void pool_touch(pgorm_db *pool, pgorm_conn *cn)
{
    if (pool->depth > 0)
        return;
    if (cn)
        conn_update_io(cn);
    conn_update_timer(pool->conns[0]);
}

/* ------------------------------------------------------------------ */
/* Completing ops.                                                     */

void pool_op_done(pgorm_db *pool)
{
    if (pool->npending)
        pool->npending--;
}

/* Complete an op exactly once (conn_complete_op adds the statement release). */
void pool_complete_op(pgorm_db *pool, pgorm_op *op, const pgorm_error *use)
{
    pgorm_error own = op->core_err;
    memset(&op->core_err, 0, sizeof op->core_err);
    const pgorm_error *e = use;
    if (!e && own.code != PGORM_OK) {
        if (!own.message)
            pgorm_error_set_static(&own, own.code);
        e = &own;
    }
    pgorm_db *tx = op->core_tx;
    op->core_tx = NULL;
    pgorm_error scratch = {0}, stopped = {0};
    e = cancel_op_result(op, e, &stopped);
    if (tx)
        e = tx_op_result(tx, e, &scratch);
    pool_op_done(pool);
    op->vt->complete(op, e); /* frees op */
    pgorm_error_clear(&own);
    pgorm_error_clear(&scratch);
    pgorm_error_clear(&stopped);
    if (tx)
        tx_unref(tx);
}

void pool_fail_op_later(pgorm_db *pool, pgorm_op *op, pgorm_errcode code, const char *fmt, ...)
{
    pgorm_error_clear(&op->core_err);
    va_list ap;
    va_start(ap, fmt);
    pgorm_error_vset(&op->core_err, code, fmt, ap);
    va_end(ap);
    op_list_push(&pool->early, op);
    pool_touch(pool, NULL);
}

static void run_later(pgorm_db *h, const later_call *c)
{
    pgorm_error err = {0};
    err.code = c->code;
    if (c->msg) {
        union {
            const char *c;
            char *m;
        } u = {.c = c->msg};
        err.message = u.m;
    } else {
        pgorm_error_set_static(&err, c->code);
    }
    c->fn(h, &err, c->f1, c->f2, c->ud);
    if (h && h->kind == H_TX)
        tx_unref(h);
}

void pgorm_db_fail_later(pgorm_db *db, pgorm_errcode code, const char *static_message,
                         pgorm_later_fn fn, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    if (!fn)
        return;
    later_call c = {fn, f1, f2, ud, db, code, static_message};
    if (!db) {
        run_later(NULL, &c);
        return;
    }
    pgorm_db *pool = db->pool;
    if (db->kind == H_TX)
        db->tx.refs++;
    if (pool->nlater == pool->later_cap) {
        size_t cap = pool->later_cap * 2;
        later_call *p = pgorm_realloc(pool->later, cap * sizeof *p);
        if (!p) {
            /* Out of memory twice over: the one case where the callback
               runs inside the call rather than on the next turn. */
            pool_enter(pool);
            run_later(db, &c);
            pool_leave(pool);
            return;
        }
        pool->later = p;
        pool->later_cap = cap;
    }
    pool->later[pool->nlater++] = c;
    pool_touch(pool, NULL);
}

/* ------------------------------------------------------------------ */
/* Submitting and dispatch.                                            */

static bool validate_op(pgorm_db *pool, pgorm_op *op)
{
    if (!op->sql) {
        pool_fail_op_later(pool, op, PGORM_ERR_INVALID, "operation has no SQL text");
        return false;
    }
    if (op->nparams < 0 || op->nparams > 65535) {
        pool_fail_op_later(pool, op, PGORM_ERR_INVALID,
                           "%d parameters: a statement takes 0 to 65535 (split the work into "
                           "several statements)",
                           op->nparams);
        return false;
    }
    if (op->nparams > 0 && op->param_formats && !op->param_lengths) {
        for (int i = 0; i < op->nparams; i++) {
            if (op->param_formats[i] && op->param_values && op->param_values[i]) {
                pool_fail_op_later(pool, op, PGORM_ERR_INVALID,
                                   "binary parameter $%d has no length (param_lengths is NULL)",
                                   i + 1);
                return false;
            }
        }
    }
    return true;
}

/* A conn that may still be (or become) usable. */
static bool conn_alive(const pgorm_conn *cn)
{
    return cn->state == DB_NEW || cn->state == DB_CONNECTING || cn->state == DB_READY ||
           (cn->state == DB_FAILED && cn->reconnect_at >= 0);
}

bool pool_alive(const pgorm_db *pool)
{
    for (int i = 0; i < pool->nconns; i++)
        if (conn_alive(pool->conns[i]))
            return true;
    return false;
}

/* The conn a pool op should go to now, or NULL (it waits in the queue). */
/* Some conn is up or on its way up: queued work can wait for it. */
static bool pool_up(const pgorm_db *pool)
{
    for (int i = 0; i < pool->nconns; i++)
        if (pool->conns[i]->state == DB_READY || pool->conns[i]->state == DB_CONNECTING ||
            pool->conns[i]->state == DB_NEW)
            return true;
    return false;
}

static pgorm_conn *pick_conn(const pgorm_db *pool)
{
    pgorm_conn *best = NULL;
    size_t best_load = 0;
    for (int i = 0; i < pool->nconns; i++) {
        pgorm_conn *cn = pool->conns[i];
        if (cn->state != DB_READY || cn->tx)
            continue;
        size_t load = conn_load(cn);
        if (load >= PGORM_MAX_INFLIGHT_OPS)
            continue;
        if (!best || load < best_load) {
            best = cn;
            best_load = load;
            if (load == 0)
                break;
        }
    }
    return best;
}

void pool_dispatch(pgorm_db *pool)
{
    while (pool->queue.head && !pool->free_requested) {
        pgorm_conn *cn = pick_conn(pool);
        if (!cn)
            return;
        conn_push(cn, op_list_pop(&pool->queue)); /* an overdue one fails when sent */
    }
}

/* Checks common to pool and transaction submits: true when the op may go. */
bool pool_admit(pgorm_db *pool, pgorm_op *op)
{
    op->next = NULL;
    op->core_state = 0;
    op->core_results = 0;
    op->core_stmt_ref = NULL;
    op->core_bytes = 0;
    op->core_stmt[0] = '\0';
    op->core_tx = NULL;
    op->core_deadline = 0;
    op->core_timeout_ms = 0;
    op->core_cancel = PGORM_OK;
    op->core_grouped = op->core_nosync = op->core_retry = op->core_retried = false;
    memset(&op->core_err, 0, sizeof op->core_err);
    pool->npending++; /* from here on, it is completed through the pool */
    if (pool->free_requested || pool->tearing_down) {
        pool_fail_op_later(pool, op, PGORM_ERR_CLOSED,
                           "not run: pgorm_db_free() was called on this connection pool");
        return false;
    }
    if (!validate_op(pool, op))
        return false;
    if (pool->npending > pool->max_queue) {
        pool_fail_op_later(pool, op, PGORM_ERR_BUSY,
                           "not run: %zu operations are already outstanding on this pool "
                           "(pgorm_db_options.max_queue): wait for some to complete, or raise "
                           "max_queue",
                           pool->npending - 1);
        return false;
    }
    return true;
}

static const char *pool_failure(const pgorm_db *pool)
{
    for (int i = 0; i < pool->nconns; i++)
        if (pool->conns[i]->conn_err.message)
            return pool->conns[i]->conn_err.message;
    return "no reason recorded";
}

void pgorm_db_submit(pgorm_db *db, pgorm_op *op)
{
    if (!op)
        return;
    if (!db) {
        /* No handle, no loop to defer to: a caller's bug, reported at once. */
        memset(&op->core_err, 0, sizeof op->core_err);
        op->core_tx = NULL;
        pgorm_error err = {0};
        pgorm_error_set(&err, PGORM_ERR_INVALID, "operation submitted to a NULL pgorm_db");
        op->vt->complete(op, &err);
        pgorm_error_clear(&err);
        return;
    }
    if (db->kind == H_TX) {
        tx_submit(db, op);
        return;
    }
    if (!pool_admit(db, op))
        return;
    if (!pool_alive(db)) {
        pool_fail_op_later(db, op, PGORM_ERR_CLOSED, "not run: the connection is closed (%s)",
                           pool_failure(db));
        return;
    }
    cancel_set_deadline(db, op);
    pgorm_conn *cn = db->queue.head ? NULL : pick_conn(db);
    if (cn) {
        conn_push(cn, op);
        pool_touch(db, cn);
    } else {
        op_list_push(&db->queue, op);
    }
}

/* Fail every queued op (and waiting begin) with err. */
void pool_fail_queue(pgorm_db *pool, const pgorm_error *err)
{
    op_list t = op_list_take(&pool->queue);
    pgorm_op *op;
    while ((op = op_list_pop(&t)))
        pool_complete_op(pool, op, err);
}

bool pgorm_db_connected(const pgorm_db *db)
{
    const pgorm_db *pool = pool_of(db);
    if (!pool || pool->free_requested)
        return false;
    if (db->kind == H_TX)
        return db->tx.root->tx.cn && db->tx.root->tx.cn->state == DB_READY;
    for (int i = 0; i < pool->nconns; i++)
        if (pool->conns[i]->state == DB_READY)
            return true;
    return false;
}

size_t pgorm_db_pending(const pgorm_db *db)
{
    const pgorm_db *pool = pool_of(db);
    return pool ? pool->npending + pool->nlater : 0;
}

/* ------------------------------------------------------------------ */
/* Connecting.                                                         */

static void connect_later_tramp(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2,
                                void *ud)
{
    (void)f2;
    pgorm_connect_cb cb = (pgorm_connect_cb)f1;
    if (cb)
        cb(db, err, ud);
}

/* The outcome is known before the loop ran: report it on the next turn. */
static void connect_outcome_later(pgorm_db *pool, const pgorm_error *err)
{
    pgorm_error_clear(&pool->connect_err);
    if (err)
        (void)pgorm_error_copy(&pool->connect_err, err);
    pool->connect_cb_due = true;
    pool_touch(pool, NULL);
}

/* A connection string libpq can parse (NULL and "" are: PG* variables);
   else false and *err says what is wrong with it. */
static bool conninfo_valid(const char *conninfo, const char *which, pgorm_error *err)
{
    if (!conninfo || !*conninfo)
        return true;
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
    if (opts) {
        PQconninfoFree(opts);
        return true;
    }
    if (msg)
        pgorm_error_set(err, PGORM_ERR_CONNECT,
                        "invalid connection string%s: %.*s (expected a libpq URI such as "
                        "postgresql://user@host:5432/db, or key=value pairs)",
                        which, pgorm_trimmed_len(msg), msg);
    else
        pgorm_error_set_static(err, PGORM_ERR_NOMEM);
    PQfreemem(msg);
    return false;
}

void pgorm_db_connect(pgorm_db *db, const char *conninfo, pgorm_connect_cb cb, void *ud)
{
    if (!db) {
        pgorm_db_fail_later(NULL, PGORM_ERR_INVALID, "pgorm_db_connect: db is NULL",
                            connect_later_tramp, (pgorm_fn)cb, NULL, ud);
        return;
    }
    if (db->kind != H_POOL || db->connect_started || db->free_requested) {
        pgorm_db_fail_later(db, PGORM_ERR_INVALID,
                            db->kind != H_POOL
                                ? "pgorm_db_connect: this is a transaction handle (connect "
                                  "the pool it came from)"
                                : "pgorm_db_connect: this handle already has its connections "
                                  "(make another pool with pgorm_db_new)",
                            connect_later_tramp, (pgorm_fn)cb, NULL, ud);
        return;
    }
    db->connect_started = true;
    db->conninfo = pgorm_strdup(conninfo ? conninfo : "");
    db->connect_cb = cb;
    db->connect_ud = ud;
    pgorm_error err = {0};

    /* A bad string is a clear error up front, not a failed poll later. */
    if (!conninfo_valid(conninfo, "", &err) ||
        !conninfo_valid(db->listen_conninfo, " (options.listen_conninfo)", &err)) {
        for (int i = 0; i < db->nconns; i++) {
            pgorm_conn *cn = db->conns[i];
            cn->state = DB_FAILED;
            (void)pgorm_error_copy(&cn->conn_err, &err);
        }
        connect_outcome_later(db, &err);
        pgorm_error_clear(&err);
        return;
    }
    for (int i = 0; i < db->nall; i++)
        conn_start(db->conns[i], conn_conninfo(db->conns[i]));
    if (!pool_alive(db))
        connect_outcome_later(db, &db->conns[0]->conn_err);
}

void pool_conn_ready(pgorm_db *pool, pgorm_conn *cn)
{
    if (cn->slot == LISTEN_SLOT) {
        listen_ready(pool, cn);
        return;
    }
    if (!pool->ever_ready) {
        /* from now on, lost connections are replaced: also those that
           failed while the pool was opening */
        pool->ever_ready = true;
        for (int i = 0; i < pool->nconns; i++)
            conn_schedule_reconnect(pool->conns[i]);
    }
    pgorm_connect_cb cb = pool->connect_cb;
    if (cb && !pool->connect_cb_due) {
        pool->connect_cb = NULL;
        cb(pool, NULL, pool->connect_ud);
    }
    if (pool->free_requested)
        return;
    tx_bind_waiting(pool);
    pool_dispatch(pool);
}

void pool_conn_failed(pgorm_db *pool, pgorm_conn *cn, bool was_up)
{
    if (cn->slot == LISTEN_SLOT)
        return; /* the pool's work never goes there */
    if (pool_up(pool)) {
        pool_dispatch(pool);
        return;
    }
    /* A connection that was up is lost and will be replaced: what waits
       (it never ran) waits for the replacement. A failed attempt with no
       connection up means the server is unreachable: fail it. */
    if (was_up && cn->reconnect_at >= 0)
        return;
    pgorm_connect_cb cb = pool->connect_cb;
    if (cb && !pool->connect_cb_due) {
        pool->connect_cb = NULL;
        cb(pool, &cn->conn_err, pool->connect_ud);
    }
    /* No connection can take them any more. */
    pool_fail_queue(pool, &cn->conn_err);
    tx_fail_waiting(pool, &cn->conn_err);
}

/* ------------------------------------------------------------------ */
/* Deferred completions ("the next loop turn").                        */

bool pool_has_due(const pgorm_db *pool)
{
    return pool->early.head || pool->nlater || pool->connect_cb_due;
}

void pool_deliver_due(pgorm_db *pool)
{
    if (pool->connect_cb_due) {
        pool->connect_cb_due = false;
        pgorm_connect_cb cb = pool->connect_cb;
        pool->connect_cb = NULL;
        pgorm_error e = pool->connect_err;
        memset(&pool->connect_err, 0, sizeof pool->connect_err);
        if (cb)
            cb(pool, e.code != PGORM_OK ? &e : NULL, pool->connect_ud);
        if (e.code != PGORM_OK && !pool_alive(pool)) {
            pool_fail_queue(pool, &e);
            tx_fail_waiting(pool, &e);
        }
        pgorm_error_clear(&e);
    }
    /* Only what was due when this turn began: ops failed by the callbacks
       below wait for the next turn (no unbounded loop inside one turn). */
    op_list t = op_list_take(&pool->early);
    size_t n = pool->nlater;
    pgorm_op *op;
    while (!pool->free_requested && (op = op_list_pop(&t)))
        pool_complete_op(pool, op, NULL);
    if (t.head) {
        /* freed inside a callback: put the rest back for teardown */
        t.tail->next = pool->early.head;
        if (!pool->early.head)
            pool->early.tail = t.tail;
        pool->early.head = t.head;
        pool->early.n += t.n;
    }
    size_t i = 0;
    for (; i < n && !pool->free_requested; i++) {
        later_call c = pool->later[i];
        run_later(c.h, &c);
    }
    if (i) {
        memmove(pool->later, pool->later + i, (pool->nlater - i) * sizeof *pool->later);
        pool->nlater -= i;
    }
}

static bool run_one_due(pgorm_db *pool)
{
    pgorm_op *op = op_list_pop(&pool->early);
    if (op) {
        pool_complete_op(pool, op, NULL);
        return true;
    }
    if (!pool->nlater)
        return false;
    later_call c = pool->later[0];
    memmove(pool->later, pool->later + 1, (pool->nlater - 1) * sizeof *pool->later);
    pool->nlater--;
    run_later(c.h, &c);
    return true;
}

/* The pool is being freed and a callback waits on something it just
   submitted (a _sync call inside a callback): those can only have failed
   early, so complete them now instead of after the waiter returned. */
void pool_flush_early(pgorm_db *pool, const bool *done)
{
    while (!(done && *done) && run_one_due(pool)) {
    }
}

/* Used by sync.c when the pool never connected and nobody else can make
   progress: fail what waits so _sync callers return. */
void pool_fail_unconnected(pgorm_db *pool)
{
    pgorm_error err = {0};
    pgorm_error_set(&err, PGORM_ERR_CLOSED,
                    "not run: the connection was never opened (call pgorm_db_connect or "
                    "pgorm_db_connect_sync first)");
    pool_fail_queue(pool, &err);
    tx_fail_waiting(pool, &err);
    pgorm_error_clear(&err);
}

/* ------------------------------------------------------------------ */
/* Freeing.                                                            */

static void teardown(pgorm_db *pool)
{
    pool->tearing_down = true;
    pool->free_requested = true;
    pool->depth++; /* callbacks below may call pgorm_db_free: ignored */
    for (int i = 0; i < pool->nall; i++)
        conn_close(pool->conns[i]); /* adapters stop watching; the server rolls back */

    pgorm_error closed = {0};
    pgorm_error_set(&closed, PGORM_ERR_CLOSED,
                    "not completed: the connection was closed by pgorm_db_free()");
    /* Callbacks run here may submit more: loop until nothing is left. */
    for (;;) {
        if (pool->connect_cb) {
            pgorm_connect_cb cb = pool->connect_cb;
            pool->connect_cb = NULL;
            bool due = pool->connect_cb_due && pool->connect_err.code != PGORM_OK;
            pool->connect_cb_due = false;
            cb(pool, due ? &pool->connect_err : &closed, pool->connect_ud);
            continue;
        }
        if (tx_fail_waiting(pool, &closed))
            continue;
        /* In submission order as far as it is known: sent, waiting, then
           those that failed before they could wait. */
        bool any = false;
        for (int i = 0; i < pool->nall && !any; i++) {
            pgorm_conn *cn = pool->conns[i];
            pgorm_op *op = op_list_pop(&cn->fly);
            if (!op)
                op = op_list_pop(&cn->wait);
            if (op) {
                conn_complete_op(cn, op, &closed);
                any = true;
            }
        }
        if (any)
            continue;
        pgorm_op *op;
        if ((op = op_list_pop(&pool->queue))) {
            pool_complete_op(pool, op, &closed);
            continue;
        }
        if (run_one_due(pool))
            continue;
        break;
    }
    pgorm_error_clear(&closed);
    tx_teardown(pool);
    listen_teardown(pool);
    for (int i = 0; i < pool->nall; i++)
        conn_free(pool->conns[i]);
    pgorm_free(pool->conns);
    pgorm_free(pool->pfd);
    pgorm_free(pool->pfd_which);
    pgorm_hmap_free(&pool->held); /* empty: each entry's flush ran in the loop above */
    pool_sql_cache_free(pool);
    pgorm_error_clear(&pool->connect_err);
    pgorm_free(pool->conninfo);
    pgorm_free(pool->listen_conninfo);
    pgorm_free(pool->later);
    pgorm_free(pool);
}

void pgorm_db_free(pgorm_db *db)
{
    if (!db)
        return;
    if (db->kind == H_TX) {
        tx_free_handle(db);
        return;
    }
    if (db->tearing_down)
        return;
    if (db->depth > 0) {
        db->free_requested = true; /* torn down when the outermost entry returns */
        return;
    }
    teardown(db);
}
