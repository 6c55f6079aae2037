/* Internal: the connection core.
 *
 * Two structs. struct pgorm_conn is ONE libpq connection: its socket and
 * hooks, its state machine, the ops waiting for it and in flight on it, its
 * prepared statements (conn.c: lifecycle, hooks, connecting; pipeline.c:
 * sending ops and reading their results). struct pgorm_db is what the user
 * holds (pool.c): a POOL of conns, or a TX, a transaction (or savepoint)
 * bound to one conn of its pool (tx.c). The pool owns what is not tied to
 * one socket: the ops not yet given to a conn, the deferred completions
 * ("next loop turn"), the held work of lazy loads, the connect callback,
 * and the re-entrancy bracket. Nothing outside src/runtime/core/ looks
 * inside either struct.
 *
 * Re-entrancy: every entry point that can run user callbacks (a conn's
 * handle_* functions, the sync driver, pgorm_db_free) brackets its work
 * with pool_enter()/pool_leave(). pgorm_db_free() inside that bracket only
 * marks the pool; pool_leave() of the outermost entry tears it down. Code
 * between enter and leave re-reads state after every callback, and stops
 * processing once free_requested is set.
 */
#ifndef PGORM_RUNTIME_CONN_H
#define PGORM_RUNTIME_CONN_H

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>
#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "pgorm/pgorm.h"
#include "runtime/core/op.h"
#include "util/hmap.h"

/* Flow control: how much may be sent and not yet answered. The first op
   always goes, whatever its size. */
#define PGORM_MAX_INFLIGHT_OPS 512
#define PGORM_MAX_INFLIGHT_BYTES (4u << 20)
/* Distinct SQL texts prepared per connection; past this, ops that ask for
   a prepared statement run as unnamed statements. */
#define PGORM_STMT_CACHE_MAX 1024

typedef enum conn_state {
    DB_NEW,        /* no pgorm_db_connect yet: ops wait */
    DB_CONNECTING, /* PQconnectPoll in progress: ops wait */
    DB_READY,      /* pipeline mode, ops flow */
    DB_FAILED,     /* connect failed or connection lost: conn_err says why */
    DB_CLOSED,     /* being torn down */
} conn_state;

typedef struct op_list {
    pgorm_op *head, *tail;
    size_t n;
} op_list;

/* A deferred call that needs no allocation beyond this record (see
   pgorm_db_fail_later in op.h). `h` is the handle it was made on. */
typedef struct later_call {
    pgorm_later_fn fn;
    pgorm_fn f1, f2;
    void *ud;
    pgorm_db *h;
    pgorm_errcode code;
    const char *msg; /* static */
} later_call;

/* A prepared statement of this connection (key of cn->stmts: its sql). */
typedef struct pgorm_stmt {
    enum { STMT_PENDING, STMT_READY, STMT_FAILED } state;
    bool in_map;      /* false once detached (failed or invalidated) */
    size_t users;     /* ops in flight that execute it */
    pgorm_error err;  /* why its Parse failed (STMT_FAILED) */
    size_t sql_len;
    char name[24];
    char sql[];
} pgorm_stmt;

struct pgorm_conn {
    pgorm_db *pool;
    int slot;      /* index in pool->conns */
    PGconn *conn;
    conn_state state;

    /* event loop */
    pgorm_loop_hooks hooks;
    bool has_hooks;
    int in_hook;        /* > 0 while a hook runs */
    int fd;             /* socket as last told to set_fd (-1: none) */
    ino_t fd_ino;       /* its identity: libpq may reopen a socket with the same number */
    bool io_read, io_write; /* interest as last applied */
    PostgresPollingStatusType connect_poll; /* what PQconnectPoll waits for */
    int64_t timer_at;   /* armed timer: -1 none, 0 next turn, else deadline (ms) */
    int64_t connect_deadline;

    pgorm_error conn_err; /* why the connection failed / was lost */

    /* operations */
    op_list wait;  /* given to this conn, not sent */
    op_list fly;   /* sent, results pending (FIFO, matches libpq's queue) */
    size_t fly_bytes;
    size_t fly_syncs; /* Syncs among them: pipeline segments in flight */
    bool out_blocked; /* PQflush returned 1: wait for writable */
    int null_streak;  /* consecutive NULL results (desync guard) */

    pgorm_hmap stmts; /* sql text -> pgorm_stmt */
    unsigned stmt_seq;

    /* reconnecting after a loss (conn.c): when to try again, -1 none */
    int64_t reconnect_at;
    int backoff_ms;

    /* the transaction this conn is reserved for (tx.c), or NULL */
    pgorm_db *tx;

    /* cancel requests (cancel.c): one helper thread at a time */
    struct conn_cancel *cancel;
    pgorm_op *cancel_sent_for; /* the head op the running request was for */

    /* an adapter could not watch the socket */
    pgorm_errcode hook_err_code;
    const char *hook_err_msg; /* static, from the adapter */
};

typedef enum handle_kind { H_POOL, H_TX } handle_kind;

/* A transaction or savepoint (tx.c). */
typedef struct tx_state {
    pgorm_db *parent;   /* the enclosing tx (savepoint), or NULL (the transaction) */
    pgorm_db *root;     /* the transaction (self for it) */
    pgorm_db *child;    /* the open savepoint of this handle, or NULL */
    pgorm_conn *cn;     /* root: the conn it is bound to (NULL: not yet / released) */
    int level;          /* 0 for the transaction, 1.. for savepoints */
    char begin_sql[96]; /* BEGIN ... / SAVEPOINT pgorm_sp_N */
    char sp_name[32];   /* savepoints: pgorm_sp_N */
    bool started;       /* begin_sql has been queued (with its first op) */
    bool ending;        /* commit / rollback called */
    bool ended;         /* their callback ran: only refs keep it alive */
    bool lost;          /* root: its connection was lost */
    bool aborted;       /* root: a statement failed, the server refuses the rest */
    int timeout_ms;     /* root: per-op timeout (-1 none, 0 the pool's) */
    pgorm_error abort_err; /* root: the first error that aborted it */
    size_t refs;        /* deferred calls and ops naming this handle */
    /* pgorm_begin's callback */
    void (*begin_cb)(pgorm_db *tx, const pgorm_error *err, void *ud);
    void *begin_ud;
    /* pgorm_commit / pgorm_rollback's */
    pgorm_done_cb end_cb;
    void *end_ud;
    bool end_commit;
    pgorm_db *next_waiting;        /* pool->tx_wait list */
    pgorm_db *prev_all, *next_all; /* pool->tx_all list */
    struct tx_run *run; /* pgorm_transaction driving it, or NULL */
} tx_state;

struct pgorm_db {
    handle_kind kind;
    pgorm_db *pool; /* the pool (self for it) */

    /* work held until the end of the loop turn (conn_held.c): key -> state */
    pgorm_hmap held;
    /* H_POOL only: statement texts by shape (conn_held.c): key -> char * */
    pgorm_hmap sql_cache;

    tx_state tx; /* H_TX only */

    /* --- H_POOL only --- */
    pgorm_conn **conns; /* nconns of the pool, then the listening one (nall) */
    int nconns;
    int nall;
    struct listen_sub *subs; /* pgorm_listen subscriptions (listen.c) */
    size_t nsubs, subs_cap;
    struct pollfd *pfd; /* the sync driver's, one per conn */
    int *pfd_which;
    int connect_timeout_ms;
    size_t max_queue;
    int op_timeout_ms;
    bool unnamed_statements;
    int pipeline_depth; /* most Syncs in flight per connection; 0: no limit */
    size_t npending; /* ops submitted and not completed */

    pgorm_loop loop;
    bool has_loop;

    bool connect_started;
    bool ever_ready;  /* some conn came up: lost ones are replaced from now on */
    char *conninfo;   /* for reconnecting */
    char *listen_conninfo; /* options.listen_conninfo, or NULL: conninfo */
    pgorm_connect_cb connect_cb; /* pending connect callback, or NULL */
    void *connect_ud;
    bool connect_cb_due; /* connect outcome known before any loop turn */
    pgorm_error connect_err; /* the outcome to report (code OK: success) */

    op_list queue; /* submitted, no conn free to take them yet */
    op_list early; /* failed before running: complete on the next turn */
    later_call *later;
    size_t nlater, later_cap;
    pgorm_db *tx_wait_head, *tx_wait_tail; /* pgorm_begin waiting for a free conn */
    pgorm_db *tx_all; /* every tx handle not yet freed */
    unsigned sp_seq;

    /* re-entrancy */
    int depth;
    bool free_requested;
    bool tearing_down;
};

/* pool.c */
int64_t pgorm_now_ms(void);
void pool_enter(pgorm_db *pool);
/* Leave an entry; returns true when the pool was torn down (it is gone). */
bool pool_leave(pgorm_db *pool);
/* Deferred work is due: deliver it now (the "next loop turn"). */
bool pool_has_due(const pgorm_db *pool);
void pool_deliver_due(pgorm_db *pool);
/* Outside any entry, apply interest changes of cn (may be NULL) and the
   pool's timer at once (inside one, pool_leave does it). */
void pool_touch(pgorm_db *pool, pgorm_conn *cn);
/* Give ops waiting in the pool queue to conns that can take them. */
void pool_dispatch(pgorm_db *pool);
/* Free the pool's statement texts by shape (conn_held.c). */
void pool_sql_cache_free(pgorm_db *pool);
/* An op left the runtime (completed). */
void pool_op_done(pgorm_db *pool);
/* Complete an op exactly once: with `use` when given, else its own
   core_err (NULL on success); tracks its transaction and the pool's count. */
void pool_complete_op(pgorm_db *pool, pgorm_op *op, const pgorm_error *use);
/* Reset the core's fields of a new op and count it; false when it was
   refused (then it is queued to fail on the next turn). */
bool pool_admit(pgorm_db *pool, pgorm_op *op);
/* A conn became ready / failed: connect callback and dispatch. */
void pool_conn_ready(pgorm_db *pool, pgorm_conn *cn);
void pool_conn_failed(pgorm_db *pool, pgorm_conn *cn, bool was_up);
/* Queue an op to fail on the next turn with code and a message. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
void pool_fail_op_later(pgorm_db *pool, pgorm_op *op, pgorm_errcode code, const char *fmt, ...);
/* Complete early-failed ops and deferred calls now, until *done (done may
   be NULL: all of them). For waiters inside callbacks of a freed handle. */
void pool_flush_early(pgorm_db *pool, const bool *done);
/* Fail the queued ops of a pool that was never connected. */
void pool_fail_unconnected(pgorm_db *pool);
/* Some conn is up, on its way up, or to be replaced. */
bool pool_alive(const pgorm_db *pool);
/* Fail queued ops when no conn of the pool can ever take them. */
void pool_fail_queue(pgorm_db *pool, const pgorm_error *err);

/* conn.c */
pgorm_conn *conn_new(pgorm_db *pool, int slot);
void conn_free(pgorm_conn *cn); /* ops already completed; closes the socket */
/* Stop the hooks and close the socket (teardown); ops stay queued. */
void conn_close(pgorm_conn *cn);
void conn_start(pgorm_conn *cn, const char *conninfo);
/* Where cn connects: the pool's conninfo, or listen_conninfo for the
   listening connection when one was given. */
const char *conn_conninfo(const pgorm_conn *cn);
/* Try again later (backoff): a conn of a pool that has been up. */
void conn_schedule_reconnect(pgorm_conn *cn);
void conn_update_io(pgorm_conn *cn);
void conn_update_timer(pgorm_conn *cn);
void conn_on_readable(pgorm_conn *cn);
void conn_on_writable(pgorm_conn *cn);
void conn_on_timer(pgorm_conn *cn);
void conn_attach_loop(pgorm_conn *cn);
void conn_hooks_cleanup(pgorm_conn *cn);
/* Stop watching the socket and close the libpq connection. */
void conn_drop_conn(pgorm_conn *cn);
/* Give the conn an op (it sends it when it can). */
void conn_push(pgorm_conn *cn, pgorm_op *op);
/* Complete an op (exactly once): with `use` when given, else its own
   core_err (NULL on success). */
void conn_complete_op(pgorm_conn *cn, pgorm_op *op, const pgorm_error *use);
/* The connection failed: record err (taken), close it, complete every
   waiting and in-flight op with it. */
void conn_fail_conn(pgorm_conn *cn, pgorm_error *err);
/* Work on this conn: unsent plus in flight. */
static inline size_t conn_load(const pgorm_conn *cn);
static inline bool conn_alive_state(conn_state s)
{
    return s == DB_NEW || s == DB_CONNECTING || s == DB_READY;
}

/* listen.c */
#define LISTEN_SLOT (-1)
/* The listening conn is up (again): subscribe to every channel. */
void listen_ready(pgorm_db *pool, pgorm_conn *cn);
/* Notifications read on cn: hand them to the subscribers. */
void listen_deliver(pgorm_conn *cn);
void listen_teardown(pgorm_db *pool);

/* cancel.c */
/* The head op is marked (timeout / pgorm_cancel): send a cancel request
   for it unless one is on its way. */
void cancel_head(pgorm_conn *cn);
/* The earliest deadline of the conn's ops (fly head / waiting), or -1. */
int64_t cancel_next_deadline(const pgorm_conn *cn);
/* Act on expired deadlines of cn (mark, fail unsent, cancel the head). */
void cancel_check_deadlines(pgorm_conn *cn);
/* A cancel request is still on its way (nothing new may be sent). */
bool cancel_busy(pgorm_conn *cn);
/* Wait for the helper thread (teardown). */
void cancel_join(pgorm_conn *cn);
/* Rewrite the error of an op stopped by us (57014) as TIMEOUT / CANCELED. */
const pgorm_error *cancel_op_result(pgorm_op *op, const pgorm_error *err, pgorm_error *scratch);
/* Set the op's deadline from its handle's timeout. */
void cancel_set_deadline(pgorm_db *h, pgorm_op *op);

/* tx.c */
/* An op of a transaction completed with err (NULL: success): track the
   aborted state; may rewrite *err to say the transaction is aborted. */
const pgorm_error *tx_op_result(pgorm_db *tx, const pgorm_error *err, pgorm_error *scratch);
/* Submit on a tx handle. */
void tx_submit(pgorm_db *tx, pgorm_op *op);
/* A conn freed from its transaction, or newly ready: start waiting begins. */
void tx_bind_waiting(pgorm_db *pool);
/* Fail the begins waiting for a conn; true when there was one. */
bool tx_fail_waiting(pgorm_db *pool, const pgorm_error *err);
/* pgorm_db_free on a tx handle. */
void tx_free_handle(pgorm_db *tx);
/* The connection of tx's transaction was lost. */
void tx_conn_lost(pgorm_db *root);
/* Teardown: release every tx handle of the pool. */
void tx_teardown(pgorm_db *pool);
void tx_unref(pgorm_db *h);

/* op lists */
static inline void op_list_push(op_list *l, pgorm_op *op)
{
    op->next = NULL;
    if (l->tail)
        l->tail->next = op;
    else
        l->head = op;
    l->tail = op;
    l->n++;
}

static inline pgorm_op *op_list_pop(op_list *l)
{
    pgorm_op *op = l->head;
    if (op) {
        l->head = op->next;
        if (!l->head)
            l->tail = NULL;
        l->n--;
        op->next = NULL;
    }
    return op;
}

static inline op_list op_list_take(op_list *l)
{
    op_list t = *l;
    l->head = l->tail = NULL;
    l->n = 0;
    return t;
}

static inline size_t conn_load(const pgorm_conn *cn)
{
    return cn->wait.n + cn->fly.n;
}

/* pipeline.c */
/* Send what may be sent, hand out complete results, until no progress. */
void pipe_pump(pgorm_conn *cn);
void pipe_on_readable(pgorm_conn *cn);
void pipe_on_writable(pgorm_conn *cn);
bool pipe_can_send(pgorm_conn *cn);
/* The connection broke: fail everything with PGORM_ERR_CONNECTION_LOST. */
void pipe_conn_lost(pgorm_conn *cn);
void pipe_stmt_release(pgorm_conn *cn, pgorm_op *op);
void pipe_stmts_free(pgorm_conn *cn);

/* error.c */
const char *pgorm_error_static_message(pgorm_errcode code);
void pgorm_error_set_static(pgorm_error *err, pgorm_errcode code);
void pgorm_error_vset(pgorm_error *err, pgorm_errcode code, const char *fmt, va_list ap);
/* Length of s without trailing newlines/spaces (libpq messages end in \n). */
int pgorm_trimmed_len(const char *s);

#endif
