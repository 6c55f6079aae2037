/* Transactions and savepoints: handles bound to one connection of a pool.
 *
 * pgorm_begin on a pool makes a root handle and reserves a connection for
 * it (the least loaded free one, or the first to become free): from then
 * on pool.c gives that connection nothing else. Its BEGIN is not sent
 * alone: the first op issued on the handle is queued behind a no_sync op
 * carrying BEGIN, so both go in one pipeline segment (if BEGIN fails, the
 * statement does not run). Savepoints do the same with SAVEPOINT, after
 * their parent's BEGIN if that was not sent yet. Commit and rollback are
 * deferred calls (pgorm_db_fail_later), so that work held for the end of
 * the turn on the handle (merged lazy loads) is queued before them; they
 * then queue COMMIT / RELEASE / ROLLBACK [TO SAVEPOINT] behind everything
 * the handle issued.
 *
 * Aborted state: the first server error of an op of the transaction marks
 * the root aborted (the server now refuses everything until ROLLBACK [TO
 * SAVEPOINT]); ops sent after it come back with 25P02 or PIPELINE_ABORTED
 * and are reported as PGORM_ERR_TX_ABORTED naming the first error; new ops
 * fail at once. A successful ROLLBACK TO SAVEPOINT clears it.
 *
 * Lifetime: a handle is freed when it has ended (its end callback ran) and
 * nothing refers to it any more (refs: ops and deferred calls made on it),
 * or at pool teardown.
 */
#include <stdio.h>
#include <string.h>

#include "runtime/core/conn.h"
#include "runtime/core/sync_wait.h"

typedef struct tx_run {
    pgorm_db *pool;
    pgorm_tx_options opts;
    void (*body)(pgorm_db *tx, int attempt, void *ud);
    pgorm_done_cb done;
    void *ud;
    int attempt;
    int max_retries;
    bool body_done;          /* pgorm_tx_done was called for this attempt */
    pgorm_error body_err;    /* the error the body ended with */
    char cause_state[6];     /* SQLSTATE that aborted the attempt, if any */
} tx_run;

/* ------------------------------------------------------------------ */
/* Handles.                                                            */

static pgorm_db *tx_new(pgorm_db *pool)
{
    pgorm_db *h = pgorm_calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->kind = H_TX;
    h->pool = pool;
    pgorm_hmap_init(&h->held, PGORM_HMAP_U64);
    h->tx.next_all = pool->tx_all;
    if (pool->tx_all)
        pool->tx_all->tx.prev_all = h;
    pool->tx_all = h;
    return h;
}

static void tx_destroy(pgorm_db *h)
{
    pgorm_db *pool = h->pool;
    if (h->tx.prev_all)
        h->tx.prev_all->tx.next_all = h->tx.next_all;
    else
        pool->tx_all = h->tx.next_all;
    if (h->tx.next_all)
        h->tx.next_all->tx.prev_all = h->tx.prev_all;
    pgorm_error_clear(&h->tx.abort_err);
    pgorm_hmap_free(&h->held);
    pgorm_free(h);
}

void tx_unref(pgorm_db *h)
{
    if (h->tx.refs)
        h->tx.refs--;
    if (h->tx.refs == 0 && h->tx.ended && !h->pool->tearing_down)
        tx_destroy(h);
}

void tx_teardown(pgorm_db *pool)
{
    while (pool->tx_all)
        tx_destroy(pool->tx_all);
}

/* ------------------------------------------------------------------ */
/* Binding a transaction to a connection.                              */

static void begin_later(pgorm_db *h, const pgorm_error *unused, pgorm_fn f1, pgorm_fn f2,
                        void *ud);

static pgorm_conn *free_conn(const pgorm_db *pool)
{
    pgorm_conn *best = NULL;
    for (int i = 0; i < pool->nconns; i++) {
        pgorm_conn *cn = pool->conns[i];
        if (cn->state == DB_READY && !cn->tx && (!best || conn_load(cn) < conn_load(best)))
            best = cn;
    }
    return best;
}

static void bind(pgorm_db *root, pgorm_conn *cn)
{
    cn->tx = root;
    root->tx.cn = cn;
    /* The callback runs on the next turn, never inside pgorm_begin. */
    pgorm_db_fail_later(root, PGORM_OK, NULL, begin_later, NULL, NULL, NULL);
}

void tx_bind_waiting(pgorm_db *pool)
{
    while (pool->tx_wait_head && !pool->free_requested) {
        pgorm_conn *cn = free_conn(pool);
        if (!cn)
            return;
        pgorm_db *root = pool->tx_wait_head;
        pool->tx_wait_head = root->tx.next_waiting;
        if (!pool->tx_wait_head)
            pool->tx_wait_tail = NULL;
        root->tx.next_waiting = NULL;
        bind(root, cn);
    }
}

/* The handle ends without ever having been handed out. */
static void begin_failed(pgorm_db *h, const pgorm_error *err)
{
    void (*cb)(pgorm_db *, const pgorm_error *, void *) = h->tx.begin_cb;
    void *ud = h->tx.begin_ud;
    h->tx.begin_cb = NULL;
    h->tx.ended = true;
    h->tx.refs++;
    if (cb)
        cb(NULL, err, ud);
    tx_unref(h);
}

bool tx_fail_waiting(pgorm_db *pool, const pgorm_error *err)
{
    bool any = false;
    while (pool->tx_wait_head) {
        pgorm_db *root = pool->tx_wait_head;
        pool->tx_wait_head = root->tx.next_waiting;
        if (!pool->tx_wait_head)
            pool->tx_wait_tail = NULL;
        root->tx.next_waiting = NULL;
        begin_failed(root, err);
        any = true;
    }
    return any;
}

static void release_conn(pgorm_db *root)
{
    pgorm_conn *cn = root->tx.cn;
    root->tx.cn = NULL;
    if (!cn || cn->tx != root)
        return;
    cn->tx = NULL;
    pgorm_db *pool = root->pool;
    if (pool->free_requested)
        return;
    tx_bind_waiting(pool);
    pool_dispatch(pool);
    pool_touch(pool, cn);
}

void tx_conn_lost(pgorm_db *root)
{
    root->tx.lost = true;
}

/* ------------------------------------------------------------------ */
/* pgorm_begin.                                                        */

static void begin_later(pgorm_db *h, const pgorm_error *unused, pgorm_fn f1, pgorm_fn f2,
                        void *ud)
{
    (void)unused;
    (void)f1;
    (void)f2;
    (void)ud;
    if (h->pool->free_requested) {
        pgorm_error err = {0};
        pgorm_error_set(&err, PGORM_ERR_CLOSED,
                        "not started: pgorm_db_free() was called on the pool");
        if (h->tx.parent && h->tx.parent->tx.child == h)
            h->tx.parent->tx.child = NULL;
        if (h->tx.root == h)
            release_conn(h);
        begin_failed(h, &err);
        pgorm_error_clear(&err);
        return;
    }
    void (*cb)(pgorm_db *, const pgorm_error *, void *) = h->tx.begin_cb;
    h->tx.begin_cb = NULL;
    if (cb)
        cb(h, NULL, h->tx.begin_ud);
}

typedef void (*begin_cb_t)(pgorm_db *tx, const pgorm_error *err, void *ud);

static void begin_refused(pgorm_db *h, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2,
                          void *ud)
{
    (void)h;
    (void)f2;
    begin_cb_t cb = (begin_cb_t)f1;
    if (cb)
        cb(NULL, err, ud);
}

static void fail_begin(pgorm_db *db, pgorm_errcode code, const char *msg, begin_cb_t cb,
                       void *ud)
{
    pgorm_db_fail_later(db, code, msg, begin_refused, (pgorm_fn)cb, NULL, ud);
}

static void begin_sql(char *buf, size_t size, const pgorm_tx_options *o)
{
    static const char *const iso[] = {"", " ISOLATION LEVEL READ COMMITTED",
                                      " ISOLATION LEVEL REPEATABLE READ",
                                      " ISOLATION LEVEL SERIALIZABLE"};
    unsigned i = o && (unsigned)o->isolation <= PGORM_SERIALIZABLE ? (unsigned)o->isolation : 0;
    snprintf(buf, size, "BEGIN%s%s%s", iso[i], o && o->read_only ? " READ ONLY" : "",
             o && o->deferrable ? " DEFERRABLE" : "");
}

void pgorm_begin(pgorm_db *db, const pgorm_tx_options *opts, begin_cb_t cb, void *ud)
{
    if (!db) {
        fail_begin(NULL, PGORM_ERR_INVALID, "pgorm_begin: db is NULL", cb, ud);
        return;
    }
    pgorm_db *pool = db->pool;
    if (pool->free_requested) {
        fail_begin(db, PGORM_ERR_CLOSED, "not started: pgorm_db_free() was called on the pool",
                   cb, ud);
        return;
    }
    if (opts && (unsigned)opts->isolation > PGORM_SERIALIZABLE) {
        fail_begin(db, PGORM_ERR_INVALID,
                   "pgorm_begin: opts->isolation is not a pgorm_isolation value", cb, ud);
        return;
    }
    if (db->kind == H_TX) {
        tx_state *t = &db->tx;
        pgorm_db *root = t->root;
        const char *why = t->ended    ? "pgorm_begin: this transaction has ended"
                          : t->ending ? "pgorm_begin: pgorm_commit or pgorm_rollback was "
                                        "already called on this transaction"
                          : t->child  ? "pgorm_begin: a savepoint of this handle is already "
                                        "open: begin the next one on its handle, or end it first"
                                      : NULL;
        if (why) {
            fail_begin(db, PGORM_ERR_INVALID, why, cb, ud);
            return;
        }
        if (root->tx.lost) {
            fail_begin(db, PGORM_ERR_CONNECTION_LOST,
                       "not started: the connection of this transaction was lost", cb, ud);
            return;
        }
        if (root->tx.aborted) {
            fail_begin(db, PGORM_ERR_TX_ABORTED,
                       "not started: the transaction is aborted by an earlier error; roll it "
                       "back (or roll back the savepoint that failed)",
                       cb, ud);
            return;
        }
        pgorm_db *sp = tx_new(pool);
        if (!sp) {
            fail_begin(db, PGORM_ERR_NOMEM, "out of memory starting a savepoint", cb, ud);
            return;
        }
        sp->tx.parent = db;
        sp->tx.root = root;
        sp->tx.level = t->level + 1;
        sp->tx.begin_cb = cb;
        sp->tx.begin_ud = ud;
        snprintf(sp->tx.sp_name, sizeof sp->tx.sp_name, "pgorm_sp_%u", ++pool->sp_seq);
        snprintf(sp->tx.begin_sql, sizeof sp->tx.begin_sql, "SAVEPOINT %s", sp->tx.sp_name);
        t->child = sp;
        pgorm_db_fail_later(sp, PGORM_OK, NULL, begin_later, NULL, NULL, NULL);
        return;
    }
    if (!pool->connect_started || !pool_alive(pool)) {
        fail_begin(db, PGORM_ERR_CLOSED,
                   !pool->connect_started
                       ? "not started: the pool is not connected (call pgorm_db_connect first)"
                       : "not started: every connection of the pool is closed",
                   cb, ud);
        return;
    }
    pgorm_db *root = tx_new(pool);
    if (!root) {
        fail_begin(db, PGORM_ERR_NOMEM, "out of memory starting a transaction", cb, ud);
        return;
    }
    root->tx.root = root;
    root->tx.begin_cb = cb;
    root->tx.begin_ud = ud;
    begin_sql(root->tx.begin_sql, sizeof root->tx.begin_sql, opts);
    root->tx.timeout_ms = opts ? opts->timeout_ms : 0;
    pgorm_conn *cn = free_conn(pool);
    if (cn && !pool->tx_wait_head) {
        bind(root, cn);
        return;
    }
    if (pool->tx_wait_tail)
        pool->tx_wait_tail->tx.next_waiting = root;
    else
        pool->tx_wait_head = root;
    pool->tx_wait_tail = root;
}

/* ------------------------------------------------------------------ */
/* Ops on a transaction.                                               */

typedef struct internal_op {
    pgorm_op op;
    pgorm_db *tx;    /* end ops: the handle ending */
    bool commit;     /* end ops: pgorm_commit was called */
    bool rolled_back_instead; /* end ops: sent ROLLBACK for a commit (aborted) */
    char sql[];
} internal_op;

static void marker_complete(pgorm_op *op, const pgorm_error *err)
{
    (void)err; /* tx_op_result recorded it: the op after it reports it */
    pgorm_free(op);
}

static const pgorm_op_vtbl marker_vt = {NULL, marker_complete};

static internal_op *internal_new(const pgorm_op_vtbl *vt, const char *sql)
{
    size_t n = strlen(sql) + 1;
    internal_op *x = pgorm_malloc(sizeof *x + n);
    if (!x)
        return NULL;
    pgorm_op_init(&x->op, vt);
    memcpy(x->sql, sql, n);
    x->op.sql = x->sql;
    x->tx = NULL;
    x->commit = false;
    x->rolled_back_instead = false;
    return x;
}

/* Queue an op the runtime made itself on the transaction's conn. */
static void push_internal(pgorm_conn *cn, pgorm_op *op, pgorm_db *track)
{
    pgorm_db *pool = cn->pool;
    op->next = NULL;
    op->core_state = 0;
    op->core_results = 0;
    op->core_stmt_ref = NULL;
    op->core_bytes = 0;
    op->core_stmt[0] = '\0';
    memset(&op->core_err, 0, sizeof op->core_err);
    op->core_tx = track;
    op->core_deadline = 0;
    op->core_timeout_ms = 0;
    op->core_cancel = PGORM_OK;
    if (track)
        track->tx.refs++;
    pool->npending++;
    conn_push(cn, op);
}

/* Queue the BEGIN / SAVEPOINTs not yet sent, from the root down to h. */
static int start_chain(pgorm_db *h, pgorm_conn *cn)
{
    pgorm_op *first = NULL; /* built by prepending: ends up root first */
    for (pgorm_db *p = h; p && !p->tx.started; p = p->tx.parent) {
        internal_op *m = internal_new(&marker_vt, p->tx.begin_sql);
        if (!m) {
            while (first) {
                pgorm_op *next = first->next;
                pgorm_free(first);
                first = next;
            }
            return -1;
        }
        m->op.no_sync = true;
        m->tx = p;
        m->op.next = first;
        first = &m->op;
    }
    while (first) {
        pgorm_op *next = first->next;
        internal_op *m = (internal_op *)first;
        m->tx->tx.started = true;
        push_internal(cn, first, m->tx);
        first = next;
    }
    return 0;
}

void tx_submit(pgorm_db *tx, pgorm_op *op)
{
    pgorm_db *pool = tx->pool;
    if (!pool_admit(pool, op))
        return;
    tx_state *t = &tx->tx;
    if (t->ended) {
        pool_fail_op_later(pool, op, PGORM_ERR_INVALID,
                           "not run: this transaction has ended (its pgorm_commit / "
                           "pgorm_rollback callback ran): the handle is no longer valid");
        return;
    }
    if (t->ending) {
        pool_fail_op_later(pool, op, PGORM_ERR_INVALID,
                           "not run: pgorm_commit or pgorm_rollback was already called on this "
                           "transaction: nothing more may be issued on it");
        return;
    }
    if (t->child) {
        pool_fail_op_later(pool, op, PGORM_ERR_INVALID,
                           "not run: a savepoint of this transaction is open: issue calls on "
                           "the savepoint's handle, or end it (pgorm_commit / pgorm_rollback) "
                           "first");
        return;
    }
    pgorm_db *root = t->root;
    if (root->tx.lost || !root->tx.cn) {
        pool_fail_op_later(pool, op, PGORM_ERR_CONNECTION_LOST,
                           "not run: the connection of this transaction was lost (the server "
                           "rolled the transaction back): end it with pgorm_rollback");
        return;
    }
    if (root->tx.aborted) {
        const char *why = root->tx.abort_err.message ? root->tx.abort_err.message : "unknown";
        pool_fail_op_later(pool, op, PGORM_ERR_TX_ABORTED,
                           "not run: the transaction is aborted by an earlier error (%s): roll "
                           "it back with pgorm_rollback",
                           why);
        memcpy(op->core_err.sqlstate, root->tx.abort_err.sqlstate, sizeof op->core_err.sqlstate);
        return;
    }
    pgorm_conn *cn = root->tx.cn;
    if (start_chain(tx, cn) != 0) {
        pool_fail_op_later(pool, op, PGORM_ERR_NOMEM,
                           "out of memory queuing the transaction's BEGIN");
        return;
    }
    op->core_tx = tx;
    t->refs++;
    cancel_set_deadline(tx, op);
    conn_push(cn, op);
    pool_touch(pool, cn);
}

const pgorm_error *tx_op_result(pgorm_db *tx, const pgorm_error *err, pgorm_error *scratch)
{
    /* Anything the server refused aborts it (also a statement stopped by
       a timeout or pgorm_cancel: SQLSTATE 57014). */
    if (!err || err->code == PGORM_ERR_CONNECTION_LOST || err->code == PGORM_ERR_CLOSED ||
        (err->code != PGORM_ERR_PIPELINE_ABORTED && !err->sqlstate[0]))
        return err;
    pgorm_db *root = tx->tx.root;
    if (!root->tx.aborted) {
        root->tx.aborted = true;
        (void)pgorm_error_copy(&root->tx.abort_err, err);
        return err; /* the first error is reported as it is */
    }
    if (err->code == PGORM_ERR_PIPELINE_ABORTED || strcmp(err->sqlstate, "25P02") == 0) {
        const char *why = root->tx.abort_err.message ? root->tx.abort_err.message : "unknown";
        pgorm_error_set(scratch, PGORM_ERR_TX_ABORTED,
                        "not run: the transaction is aborted by an earlier error (%s): roll it "
                        "back with pgorm_rollback",
                        why);
        memcpy(scratch->sqlstate, root->tx.abort_err.sqlstate, sizeof scratch->sqlstate);
        return scratch;
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* Ending.                                                             */

static void finish(pgorm_db *h, const pgorm_error *err)
{
    tx_state *t = &h->tx;
    t->ended = true;
    if (t->parent && t->parent->tx.child == h)
        t->parent->tx.child = NULL;
    if (t->root == h)
        release_conn(h);
    if (t->run && t->root->tx.abort_err.code != PGORM_OK)
        memcpy(t->run->cause_state, t->root->tx.abort_err.sqlstate,
               sizeof t->run->cause_state);
    pgorm_done_cb cb = t->end_cb;
    t->end_cb = NULL;
    h->tx.refs++; /* the callback may drop the last other reference */
    if (cb)
        cb(err, t->end_ud);
    tx_unref(h);
}

static void end_complete(pgorm_op *op, const pgorm_error *err)
{
    internal_op *x = (internal_op *)op;
    pgorm_db *h = x->tx;
    bool commit = x->commit, instead = x->rolled_back_instead;
    pgorm_free(x);
    pgorm_db *root = h->tx.root;
    bool is_root = root == h;
    pgorm_error mine = {0};
    const pgorm_error *report = err;
    const char *why = root->tx.abort_err.message ? root->tx.abort_err.message : "unknown";
    if (err && err->code == PGORM_ERR_SERVER && root->tx.aborted &&
        strcmp(err->sqlstate, "25P02") == 0) {
        /* RELEASE SAVEPOINT in an aborted transaction */
        pgorm_error_set(&mine, PGORM_ERR_TX_ABORTED,
                        "savepoint not released: the transaction is aborted by an earlier "
                        "error (%s): roll it back",
                        why);
        memcpy(mine.sqlstate, root->tx.abort_err.sqlstate, sizeof mine.sqlstate);
        report = &mine;
    } else if (!err && commit && (instead || root->tx.aborted)) {
        pgorm_error_set(&mine, PGORM_ERR_TX_ABORTED,
                        is_root ? "not committed: the transaction was rolled back because an "
                                  "earlier statement failed (%s)"
                                : "not released: the savepoint was rolled back because an "
                                  "earlier statement failed (%s)",
                        why);
        memcpy(mine.sqlstate, root->tx.abort_err.sqlstate, sizeof mine.sqlstate);
        report = &mine;
    }
    if (!is_root && !err && (instead || !commit)) {
        /* ROLLBACK TO SAVEPOINT succeeded: the transaction goes on. Keep the
           cause for pgorm_transaction before clearing it. */
        if (h->tx.run && root->tx.abort_err.code != PGORM_OK)
            memcpy(h->tx.run->cause_state, root->tx.abort_err.sqlstate,
                   sizeof h->tx.run->cause_state);
        root->tx.aborted = false;
        pgorm_error_clear(&root->tx.abort_err);
    }
    finish(h, report);
    pgorm_error_clear(&mine);
    tx_unref(h);
}

static const pgorm_op_vtbl end_vt = {NULL, end_complete};

static void end_run(pgorm_db *h, const pgorm_error *unused, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    (void)unused;
    (void)f1;
    (void)f2;
    (void)ud;
    tx_state *t = &h->tx;
    pgorm_db *root = t->root;
    pgorm_error err = {0};
    if (h->pool->free_requested) {
        pgorm_error_set(&err, PGORM_ERR_CLOSED,
                        "not committed: pgorm_db_free() was called on the pool (the "
                        "transaction was rolled back)");
        finish(h, t->end_commit ? &err : NULL);
        pgorm_error_clear(&err);
        return;
    }
    if (root->tx.lost || !root->tx.cn) {
        pgorm_error_set(&err, PGORM_ERR_CONNECTION_LOST,
                        "not committed: the connection of this transaction was lost (the server "
                        "rolled the transaction back)");
        finish(h, t->end_commit ? &err : NULL);
        pgorm_error_clear(&err);
        return;
    }
    if (!t->started) {
        /* nothing was sent: nothing to end on the server */
        if (t->end_commit && root->tx.aborted) {
            pgorm_error_set(&err, PGORM_ERR_TX_ABORTED,
                            "not committed: the transaction is aborted by an earlier error "
                            "(%s)",
                            root->tx.abort_err.message ? root->tx.abort_err.message : "unknown");
            finish(h, &err);
            pgorm_error_clear(&err);
            return;
        }
        finish(h, NULL);
        return;
    }
    bool is_root = root == h;
    bool commit = t->end_commit && !root->tx.aborted;
    char sql[64];
    if (is_root)
        snprintf(sql, sizeof sql, "%s", commit ? "COMMIT" : "ROLLBACK");
    else
        snprintf(sql, sizeof sql, "%s SAVEPOINT %s", commit ? "RELEASE" : "ROLLBACK TO",
                 t->sp_name);
    internal_op *x = internal_new(&end_vt, sql);
    if (!x) {
        /* Cannot queue the statement: close the connection instead, which
           rolls the transaction back; its ops fail with the error. */
        pgorm_error_set(&err, PGORM_ERR_NOMEM,
                        "out of memory ending a transaction: its connection was closed (the "
                        "server rolled the transaction back)");
        pgorm_conn *cn = root->tx.cn;
        pgorm_error copy = {0};
        (void)pgorm_error_copy(&copy, &err);
        conn_fail_conn(cn, &copy);
        finish(h, t->end_commit || is_root ? &err : NULL);
        pgorm_error_clear(&err);
        return;
    }
    x->tx = h;
    x->commit = t->end_commit;
    x->rolled_back_instead = t->end_commit && !commit;
    h->tx.refs++;
    push_internal(root->tx.cn, &x->op, NULL);
    pool_touch(h->pool, root->tx.cn);
}

static void done_refused(pgorm_db *h, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2,
                         void *ud)
{
    (void)h;
    (void)f2;
    pgorm_done_cb cb = (pgorm_done_cb)f1;
    if (cb)
        cb(err, ud);
}

static void tx_end(pgorm_db *tx, bool commit, pgorm_done_cb cb, void *ud)
{
    if (!tx || tx->kind != H_TX) {
        pgorm_db_fail_later(tx, PGORM_ERR_INVALID,
                            commit ? "pgorm_commit: not a transaction handle (pass the handle "
                                     "pgorm_begin gave)"
                                   : "pgorm_rollback: not a transaction handle (pass the "
                                     "handle pgorm_begin gave)",
                            done_refused, (pgorm_fn)cb, NULL, ud);
        return;
    }
    tx_state *t = &tx->tx;
    if (t->ending || t->ended) {
        pgorm_db_fail_later(tx, PGORM_ERR_INVALID,
                            commit ? "pgorm_commit: this transaction is already ending"
                                   : "pgorm_rollback: this transaction is already ending",
                            done_refused, (pgorm_fn)cb, NULL, ud);
        return;
    }
    if (t->child) {
        pgorm_db_fail_later(tx, PGORM_ERR_INVALID,
                            commit ? "pgorm_commit: a savepoint of this transaction is still "
                                     "open: end it first"
                                   : "pgorm_rollback: a savepoint of this transaction is "
                                     "still open: end it first",
                            done_refused, (pgorm_fn)cb, NULL, ud);
        return;
    }
    t->ending = true;
    t->end_cb = cb;
    t->end_ud = ud;
    t->end_commit = commit;
    pgorm_db_fail_later(tx, PGORM_OK, NULL, end_run, NULL, NULL, NULL);
}

void pgorm_commit(pgorm_db *tx, pgorm_done_cb cb, void *ud)
{
    tx_end(tx, true, cb, ud);
}

void pgorm_rollback(pgorm_db *tx, pgorm_done_cb cb, void *ud)
{
    tx_end(tx, false, cb, ud);
}

void tx_free_handle(pgorm_db *tx)
{
    if (!tx->tx.ending && !tx->tx.ended && !tx->tx.child)
        tx_end(tx, false, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* _sync twins.                                                        */

int pgorm_begin_sync(pgorm_db *db, const pgorm_tx_options *opts, pgorm_db **tx,
                     pgorm_error *err)
{
    if (tx)
        *tx = NULL;
    if (!db || !tx) {
        if (err)
            memset(err, 0, sizeof *err);
        pgorm_error_set(err, PGORM_ERR_INVALID,
                        !db ? "pgorm_begin_sync: db is NULL" : "pgorm_begin_sync: tx is NULL");
        return -1;
    }
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_db *pool = db->pool;
    pgorm_begin(db, opts, sync_wait_on_begun, w);
    pgorm_db_drive_until(pool, sync_wait_done(w), -1);
    pgorm_db *got = sync_wait_tx(w); /* before sync_wait frees the waiter */
    int rc = sync_wait(pool, w, NULL, NULL, err);
    if (rc == 0)
        *tx = got;
    return rc;
}

static int end_sync(pgorm_db *tx, bool commit, pgorm_error *err)
{
    if (!tx || tx->kind != H_TX) {
        if (err)
            memset(err, 0, sizeof *err);
        pgorm_error_set(err, PGORM_ERR_INVALID,
                        commit ? "pgorm_commit_sync: not a transaction handle"
                               : "pgorm_rollback_sync: not a transaction handle");
        return -1;
    }
    sync_waiter *w = sync_waiter_new(err);
    if (!w)
        return -1;
    pgorm_db *pool = tx->pool; /* tx is gone after the callback */
    tx_end(tx, commit, sync_wait_on_done, w);
    return sync_wait(pool, w, NULL, NULL, err);
}

int pgorm_commit_sync(pgorm_db *tx, pgorm_error *err)
{
    return end_sync(tx, true, err);
}

int pgorm_rollback_sync(pgorm_db *tx, pgorm_error *err)
{
    return end_sync(tx, false, err);
}

/* ------------------------------------------------------------------ */
/* pgorm_transaction: body, commit, retry on 40001 / 40P01.            */

static void run_start(tx_run *run);

static bool retryable(const char *sqlstate)
{
    return strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0;
}

static void run_free(tx_run *run)
{
    pgorm_error_clear(&run->body_err);
    pgorm_free(run);
}

static void run_ended(const pgorm_error *err, void *ud)
{
    tx_run *run = ud;
    const pgorm_error *outcome = run->body_err.code != PGORM_OK ? &run->body_err : err;
    bool again = outcome && run->attempt < run->max_retries &&
                 (retryable(outcome->sqlstate) || retryable(run->cause_state)) &&
                 !run->pool->free_requested;
    if (again) {
        run->attempt++;
        pgorm_error_clear(&run->body_err);
        run->cause_state[0] = '\0';
        run->body_done = false;
        run_start(run);
        return;
    }
    pgorm_done_cb done = run->done;
    void *uud = run->ud;
    pgorm_error copy = {0};
    if (outcome)
        (void)pgorm_error_copy(&copy, outcome);
    run_free(run);
    if (done)
        done(outcome ? &copy : NULL, uud);
    pgorm_error_clear(&copy);
}

static void run_begun(pgorm_db *tx, const pgorm_error *err, void *ud)
{
    tx_run *run = ud;
    if (err) {
        pgorm_done_cb done = run->done;
        void *uud = run->ud;
        run_free(run);
        if (done)
            done(err, uud);
        return;
    }
    tx->tx.run = run;
    run->body(tx, run->attempt, run->ud);
}

static void run_start(tx_run *run)
{
    pgorm_begin(run->pool, &run->opts, run_begun, run);
}

void pgorm_transaction(pgorm_db *db, const pgorm_tx_options *opts,
                       void (*body)(pgorm_db *tx, int attempt, void *ud), pgorm_done_cb done,
                       void *ud)
{
    if (!db || !body) {
        pgorm_db_fail_later(db, PGORM_ERR_INVALID,
                            !db ? "pgorm_transaction: db is NULL"
                                : "pgorm_transaction: body is NULL",
                            done_refused, (pgorm_fn)done, NULL, ud);
        return;
    }
    tx_run *run = pgorm_calloc(1, sizeof *run);
    if (!run) {
        pgorm_db_fail_later(db, PGORM_ERR_NOMEM, "out of memory starting a transaction",
                            done_refused, (pgorm_fn)done, NULL, ud);
        return;
    }
    run->pool = db;
    if (opts)
        run->opts = *opts;
    run->body = body;
    run->done = done;
    run->ud = ud;
    /* Inside a transaction (a savepoint) a retry would see the same
       snapshot and fail again: only a whole transaction is re-run. */
    run->max_retries = db->kind == H_TX ? 0
                       : !opts || opts->max_retries == 0 ? 3
                       : opts->max_retries < 0 ? 0
                                               : opts->max_retries;
    run_start(run);
}

void pgorm_tx_done(pgorm_db *tx, const pgorm_error *err)
{
    if (!tx || tx->kind != H_TX)
        return;
    tx_run *run = tx->tx.run;
    if (!run) {
        /* not from pgorm_transaction: end it without a callback */
        if (err)
            pgorm_rollback(tx, NULL, NULL);
        else
            pgorm_commit(tx, NULL, NULL);
        return;
    }
    if (run->body_done)
        return; /* called twice: the first call decided */
    run->body_done = true;
    if (err) {
        (void)pgorm_error_copy(&run->body_err, err);
        tx_end(tx, false, run_ended, run);
    } else {
        tx_end(tx, true, run_ended, run);
    }
}
