/* Internal: the connection handle, shared by the files of the connection
 * core (conn.c: lifecycle, hooks, connecting, delivery of deferred
 * completions; pipeline.c: sending ops and reading their results;
 * sync.c: the poll() driver). Nothing outside src/runtime/conn*.c,
 * pipeline.c and sync.c looks inside struct pgorm_db.
 *
 * Re-entrancy: every entry point that can run user callbacks (the three
 * handle_* functions, the sync driver, pgorm_db_free) brackets its work with
 * db_enter()/db_leave(). pgorm_db_free() inside that bracket only marks the
 * handle; db_leave() of the outermost entry tears it down. Code between
 * enter and leave re-reads db state after every callback, and stops
 * processing once free_requested is set.
 */
#ifndef PGORM_RUNTIME_CONN_H
#define PGORM_RUNTIME_CONN_H

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>
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

typedef enum db_state {
    DB_NEW,        /* no pgorm_db_connect yet: ops wait */
    DB_CONNECTING, /* PQconnectPoll in progress: ops wait */
    DB_READY,      /* pipeline mode, ops flow */
    DB_FAILED,     /* connect failed or connection lost: conn_err says why */
    DB_CLOSED,     /* being torn down */
} db_state;

typedef struct op_list {
    pgorm_op *head, *tail;
    size_t n;
} op_list;

/* A deferred call that needs no allocation beyond this record (see
   pgorm_db_fail_later in op.h). */
typedef struct later_call {
    pgorm_later_fn fn;
    pgorm_fn f1, f2;
    void *ud;
    pgorm_errcode code;
    const char *msg; /* static */
} later_call;

/* A prepared statement of this connection (key of db->stmts: its sql). */
typedef struct pgorm_stmt {
    enum { STMT_PENDING, STMT_READY, STMT_FAILED } state;
    bool in_map;      /* false once detached (failed or invalidated) */
    size_t users;     /* ops in flight that execute it */
    pgorm_error err;  /* why its Parse failed (STMT_FAILED) */
    size_t sql_len;
    char name[24];
    char sql[];
} pgorm_stmt;

struct pgorm_db {
    PGconn *conn;
    db_state state;
    int connect_timeout_ms;

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

    /* connection outcome */
    pgorm_connect_cb connect_cb; /* pending connect callback, or NULL */
    void *connect_ud;
    bool connect_cb_due; /* connect failed before any loop turn: deliver next turn */
    pgorm_error conn_err; /* why the connection failed / was lost */

    /* operations */
    op_list wait;  /* submitted, not sent */
    op_list fly;   /* sent, results pending (FIFO, matches libpq's queue) */
    op_list early; /* failed before running: complete on the next turn */
    size_t fly_bytes;
    bool out_blocked; /* PQflush returned 1: wait for writable */
    int null_streak;  /* consecutive NULL results (desync guard) */

    later_call *later;
    size_t nlater, later_cap;

    pgorm_hmap stmts; /* sql text -> pgorm_stmt */
    unsigned stmt_seq;

    /* work held until the end of the loop turn (conn_held.c): key -> state */
    pgorm_hmap held;

    /* an adapter could not watch the socket */
    pgorm_errcode hook_err_code;
    const char *hook_err_msg; /* static, from the adapter */

    /* re-entrancy */
    int depth;
    bool free_requested;
    bool tearing_down;
};

/* conn.c */
int64_t pgorm_now_ms(void);
void db_enter(pgorm_db *db);
/* Leave an entry; returns true when the handle was torn down (db is gone). */
bool db_leave(pgorm_db *db);
void db_update_io(pgorm_db *db);
void db_update_timer(pgorm_db *db);
/* Deliver what was deferred to "the next loop turn". */
void db_deliver_due(pgorm_db *db);
void db_on_readable(pgorm_db *db);
void db_on_writable(pgorm_db *db);
void db_on_timer(pgorm_db *db);
/* Stop watching the socket and close the libpq connection. */
void db_drop_conn(pgorm_db *db);
/* Complete an op (exactly once): with `use` when given, else its own
   core_err (NULL on success). */
void db_complete_op(pgorm_db *db, pgorm_op *op, const pgorm_error *use);
/* Queue an op to fail on the next turn with code and a message. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
void db_fail_op_later(pgorm_db *db, pgorm_op *op, pgorm_errcode code, const char *fmt, ...);
/* The connection failed: record err (taken), close it, complete every
   waiting and in-flight op with it. */
void db_fail_conn(pgorm_db *db, pgorm_error *err);
/* Complete early-failed ops and deferred calls now, until *done (done may
   be NULL: all of them). For waiters inside callbacks of a freed handle. */
void db_flush_early(pgorm_db *db, const bool *done);
/* Fail the waiting ops of a handle that was never connected. */
void db_fail_unconnected(pgorm_db *db);

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

/* pipeline.c */
/* Send what may be sent, hand out complete results, until no progress. */
void pipe_pump(pgorm_db *db);
void pipe_on_readable(pgorm_db *db);
void pipe_on_writable(pgorm_db *db);
bool pipe_can_send(const pgorm_db *db);
/* The connection broke: fail everything with PGORM_ERR_CONNECTION_LOST. */
void pipe_conn_lost(pgorm_db *db);
void pipe_stmt_release(pgorm_db *db, pgorm_op *op);
void pipe_stmts_free(pgorm_db *db);

/* error.c */
const char *pgorm_error_static_message(pgorm_errcode code);
void pgorm_error_set_static(pgorm_error *err, pgorm_errcode code);
void pgorm_error_vset(pgorm_error *err, pgorm_errcode code, const char *fmt, va_list ap);
/* Length of s without trailing newlines/spaces (libpq messages end in \n). */
int pgorm_trimmed_len(const char *s);

#endif
