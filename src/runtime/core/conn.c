/* One connection of a pool: lifecycle, event-loop hooks, connecting
 * without blocking, failing. Sending ops and reading results is
 * pipeline.c; the pool around it (queue, deferred completions, teardown)
 * is pool.c; the poll() driver is sync.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "runtime/core/conn.h"

/* libpq prints notices to stderr by default; a library must not. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* ------------------------------------------------------------------ */
/* Handle creation and hooks.                                          */

pgorm_conn *conn_new(pgorm_db *pool, int slot)
{
    pgorm_conn *cn = pgorm_calloc(1, sizeof *cn);
    if (!cn)
        return NULL;
    cn->pool = pool;
    cn->slot = slot;
    cn->state = DB_NEW;
    cn->fd = -1;
    cn->timer_at = -1;
    cn->connect_deadline = -1;
    cn->reconnect_at = -1;
    pgorm_hmap_init(&cn->stmts, PGORM_HMAP_BYTES);
    return cn;
}

static void hook_set_fd(pgorm_conn *cn, int fd)
{
    if (cn->has_hooks && cn->hooks.set_fd) {
        cn->in_hook++;
        cn->hooks.set_fd(cn->hooks.data, fd);
        cn->in_hook--;
    }
}

static void hook_call(pgorm_conn *cn, void (*fn)(void *))
{
    if (cn->has_hooks && fn) {
        cn->in_hook++;
        fn(cn->hooks.data);
        cn->in_hook--;
    }
}

static void hook_timer(pgorm_conn *cn, long ms)
{
    if (cn->has_hooks && cn->hooks.timer) {
        cn->in_hook++;
        cn->hooks.timer(cn->hooks.data, ms);
        cn->in_hook--;
    }
}

static void hooks_cleanup(pgorm_conn *cn)
{
    if (!cn->has_hooks)
        return;
    pgorm_loop_hooks h = cn->hooks;
    cn->has_hooks = false;
    memset(&cn->hooks, 0, sizeof cn->hooks);
    if (h.cleanup) {
        cn->in_hook++;
        h.cleanup(h.data);
        cn->in_hook--;
    }
}

void conn_hooks_cleanup(pgorm_conn *cn)
{
    hooks_cleanup(cn);
}

void pgorm_conn_set_hooks(pgorm_conn *cn, const pgorm_loop_hooks *hooks)
{
    if (!cn || cn->pool->tearing_down)
        return;
    hooks_cleanup(cn);
    if (!hooks)
        return;
    cn->hooks = *hooks;
    cn->has_hooks = true;
    /* Attached late: tell the new adapter what the old one knew. */
    cn->io_read = cn->io_write = false;
    cn->timer_at = -1;
    if (cn->fd >= 0)
        hook_set_fd(cn, cn->fd);
    conn_update_io(cn);
    conn_update_timer(cn);
}

void conn_attach_loop(pgorm_conn *cn)
{
    pgorm_db *pool = cn->pool;
    hooks_cleanup(cn);
    if (!pool->has_loop)
        return;
    if (pool->loop.attach(pool->loop.data, cn) != 0 && cn->hook_err_code == PGORM_OK)
        pgorm_conn_handle_error(cn, PGORM_ERR_IO,
                                "the event loop adapter could not attach to a connection");
}

static void deliver_hook_err(pgorm_conn *cn);

void pgorm_conn_handle_error(pgorm_conn *cn, pgorm_errcode code, const char *static_message)
{
    if (!cn || cn->pool->tearing_down || cn->hook_err_code != PGORM_OK)
        return;
    cn->hook_err_code = code ? code : PGORM_ERR_IO;
    cn->hook_err_msg = static_message;
    pgorm_db *pool = cn->pool;
    if (pool->depth == 0 && cn->in_hook == 0) {
        pool_enter(pool);
        deliver_hook_err(cn);
        pool_leave(pool);
    } else {
        conn_update_timer(cn);
    }
}

/* ------------------------------------------------------------------ */
/* Interest and timer, applied through the hooks (and read by sync.c).  */

void conn_update_io(pgorm_conn *cn)
{
    bool r = false, w = false;
    if (cn->conn && cn->fd >= 0) {
        if (cn->state == DB_CONNECTING) {
            r = cn->connect_poll == PGRES_POLLING_READING;
            w = cn->connect_poll == PGRES_POLLING_WRITING;
        } else if (cn->state == DB_READY) {
            /* Always read: results, and the server closing the socket. */
            r = true;
            w = cn->out_blocked || (cn->wait.head && pipe_can_send(cn));
        }
    }
    if (r != cn->io_read) {
        cn->io_read = r;
        hook_call(cn, r ? cn->hooks.add_read : cn->hooks.del_read);
    }
    if (w != cn->io_write) {
        cn->io_write = w;
        hook_call(cn, w ? cn->hooks.add_write : cn->hooks.del_write);
    }
}

static bool has_due(const pgorm_conn *cn)
{
    return cn->hook_err_code != PGORM_OK || (cn->slot == 0 && pool_has_due(cn->pool));
}

void conn_update_timer(pgorm_conn *cn)
{
    int64_t due = -1;
    if (has_due(cn))
        due = 0;
    else if (cn->state == DB_CONNECTING && cn->connect_deadline >= 0)
        due = cn->connect_deadline;
    else if (cn->state == DB_FAILED && cn->reconnect_at >= 0)
        due = cn->reconnect_at;
    else
        due = cancel_next_deadline(cn);
    if (due == cn->timer_at)
        return;
    cn->timer_at = due;
    if (due < 0) {
        hook_timer(cn, -1);
    } else if (due == 0) {
        hook_timer(cn, 0);
    } else {
        int64_t ms = due - pgorm_now_ms();
        hook_timer(cn, ms < 0 ? 0 : (long)ms);
    }
}

/* ------------------------------------------------------------------ */
/* Ops on this conn.                                                   */

void conn_complete_op(pgorm_conn *cn, pgorm_op *op, const pgorm_error *use)
{
    pipe_stmt_release(cn, op);
    pool_complete_op(cn->pool, op, use);
}

void conn_push(pgorm_conn *cn, pgorm_op *op)
{
    op_list_push(&cn->wait, op);
}

/* ------------------------------------------------------------------ */
/* Connecting.                                                         */

/* Re-read the socket after every connect step: libpq opens a new one for
   each address it tries, possibly under the same number (so the socket's
   inode is compared too). */
static void track_socket(pgorm_conn *cn)
{
    int fd = cn->conn ? PQsocket(cn->conn) : -1;
    ino_t ino = 0;
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0)
            ino = st.st_ino;
    }
    if (fd == cn->fd && ino == cn->fd_ino)
        return;
    cn->fd = fd;
    cn->fd_ino = ino;
    cn->io_read = cn->io_write = false; /* a new socket starts with no interest */
    hook_set_fd(cn, fd);
}

void conn_drop_conn(pgorm_conn *cn)
{
    if (cn->fd >= 0) {
        cn->fd = -1;
        cn->fd_ino = 0;
        cn->io_read = cn->io_write = false;
        hook_set_fd(cn, -1); /* the adapter stops watching before the socket closes */
    }
    if (cn->conn) {
        PQfinish(cn->conn);
        cn->conn = NULL;
    }
    cn->out_blocked = false;
    cn->connect_deadline = -1;
}

/* Connect failed inside pgorm_db_connect: no callback may run yet; the
   pool reports it on the next turn when no connection is left. */
static void fail_start(pgorm_conn *cn, pgorm_error *err)
{
    pgorm_error_clear(&cn->conn_err);
    cn->conn_err = *err;
    memset(err, 0, sizeof *err);
    conn_drop_conn(cn);
    cn->state = DB_FAILED;
}

const char *conn_conninfo(const pgorm_conn *cn)
{
    const pgorm_db *pool = cn->pool;
    return cn->slot == LISTEN_SLOT && pool->listen_conninfo ? pool->listen_conninfo
                                                            : pool->conninfo;
}

void conn_start(pgorm_conn *cn, const char *conninfo)
{
    pgorm_error err = {0};
    /* Earlier keywords are defaults the conninfo (expanded from dbname) may
       override. Text is UTF-8 everywhere in pgorm. */
    const char *const keys[] = {"client_encoding", "fallback_application_name", "dbname",
                                NULL};
    const char *const vals[] = {"UTF8", "pgorm", conninfo ? conninfo : "", NULL};
    cn->conn = PQconnectStartParams(keys, vals, 1);
    if (!cn->conn) {
        pgorm_error_set(&err, PGORM_ERR_NOMEM, "out of memory starting a connection");
        fail_start(cn, &err);
        return;
    }
    PQsetNoticeProcessor(cn->conn, quiet_notice, NULL);
    if (PQstatus(cn->conn) == CONNECTION_BAD) {
        const char *m = PQerrorMessage(cn->conn);
        pgorm_error_set(&err, PGORM_ERR_CONNECT, "could not connect to PostgreSQL: %.*s",
                        pgorm_trimmed_len(m), m);
        fail_start(cn, &err);
        return;
    }
    cn->state = DB_CONNECTING;
    /* Before the first PQconnectPoll, behave as if it returned WRITING. */
    cn->connect_poll = PGRES_POLLING_WRITING;
    cn->connect_deadline = pgorm_now_ms() + cn->pool->connect_timeout_ms;
    track_socket(cn);
    conn_update_io(cn);
    conn_update_timer(cn);
}

static void connect_failed(pgorm_conn *cn, pgorm_error *err)
{
    conn_fail_conn(cn, err);
}

static void connected(pgorm_conn *cn)
{
    pgorm_error err = {0};
    if (PQsetnonblocking(cn->conn, 1) != 0 || PQenterPipelineMode(cn->conn) != 1) {
        const char *m = PQerrorMessage(cn->conn);
        pgorm_error_set(&err, PGORM_ERR_CONNECT,
                        "connected, but could not enter non-blocking pipeline mode: %.*s",
                        pgorm_trimmed_len(m), m);
        connect_failed(cn, &err);
        return;
    }
    cn->state = DB_READY;
    cn->connect_deadline = -1;
    cn->connect_poll = PGRES_POLLING_OK;
    cn->backoff_ms = 0;
    pool_conn_ready(cn->pool, cn);
    if (!cn->pool->free_requested && cn->state == DB_READY)
        pipe_pump(cn);
}

static void connect_step(pgorm_conn *cn)
{
    PostgresPollingStatusType st = PQconnectPoll(cn->conn);
    track_socket(cn);
    switch (st) {
    case PGRES_POLLING_READING:
    case PGRES_POLLING_WRITING:
        cn->connect_poll = st;
        break;
    case PGRES_POLLING_OK:
        connected(cn);
        break;
    case PGRES_POLLING_FAILED:
    default: {
        pgorm_error err = {0};
        const char *m = PQerrorMessage(cn->conn);
        pgorm_error_set(&err, PGORM_ERR_CONNECT, "could not connect to PostgreSQL: %.*s",
                        pgorm_trimmed_len(m), m);
        connect_failed(cn, &err);
        break;
    }
    }
}

static void connect_timed_out(pgorm_conn *cn)
{
    pgorm_error err = {0};
    const char *host = PQhost(cn->conn), *port = PQport(cn->conn);
    pgorm_error_set(&err, PGORM_ERR_TIMEOUT,
                    "could not connect to PostgreSQL at host \"%s\" port %s within %d ms: the "
                    "server did not answer. Check that it is running and reachable, or raise "
                    "pgorm_db_options.connect_timeout_ms",
                    host && *host ? host : "(default)", port && *port ? port : "(default)",
                    cn->pool->connect_timeout_ms);
    connect_failed(cn, &err);
}

/* ------------------------------------------------------------------ */
/* The connection failed: deliver its error to everyone waiting.       */

static void fail_list(pgorm_conn *cn, op_list *l, const pgorm_error *err)
{
    op_list t = op_list_take(l);
    pgorm_op *op;
    while ((op = op_list_pop(&t)))
        conn_complete_op(cn, op, err);
}

void conn_fail_conn(pgorm_conn *cn, pgorm_error *err)
{
    pgorm_error_clear(&cn->conn_err);
    cn->conn_err = *err;
    memset(err, 0, sizeof *err);
    bool was_up = cn->state == DB_READY;
    conn_drop_conn(cn);
    cn->state = DB_FAILED;
    cn->fly_bytes = 0;
    cn->fly_syncs = 0;
    cn->cancel_sent_for = NULL;
    /* Decided before any callback runs, so that what they issue waits for
       the replacement instead of failing. */
    if (cn->pool->ever_ready)
        conn_schedule_reconnect(cn);
    if (cn->tx)
        tx_conn_lost(cn->tx);
    /* Unsent pool ops go back to the pool, in order, for another
       connection; those of a transaction cannot move. */
    op_list keep = {0}, back = {0};
    op_list t = op_list_take(&cn->wait);
    pgorm_op *op;
    while ((op = op_list_pop(&t)))
        op_list_push(op->core_tx || op->no_sync || cn->slot == LISTEN_SLOT ? &keep : &back, op);
    if (back.head) {
        back.tail->next = cn->pool->queue.head;
        if (!cn->pool->queue.head)
            cn->pool->queue.tail = back.tail;
        cn->pool->queue.head = back.head;
        cn->pool->queue.n += back.n;
    }
    /* Callbacks may submit more (not to this conn: it is FAILED) or call
       pgorm_db_free (only marked): both lists are drained regardless, so
       every op gets this error exactly once. */
    fail_list(cn, &cn->fly, &cn->conn_err);
    fail_list(cn, &keep, &cn->conn_err);
    /* A new session has none of the old one's prepared statements. */
    pipe_stmts_free(cn);
    pgorm_hmap_init(&cn->stmts, PGORM_HMAP_BYTES);
    pool_conn_failed(cn->pool, cn, was_up);
}

void conn_schedule_reconnect(pgorm_conn *cn)
{
    pgorm_db *pool = cn->pool;
    if (pool->free_requested || pool->tearing_down || cn->state != DB_FAILED ||
        cn->reconnect_at >= 0 || !pool->conninfo)
        return;
    /* 100 ms, doubling, at most 2 s between attempts, for as long as the
       pool lives */
    cn->backoff_ms = cn->backoff_ms ? cn->backoff_ms * 2 : 100;
    if (cn->backoff_ms > 2000)
        cn->backoff_ms = 2000;
    cn->reconnect_at = pgorm_now_ms() + cn->backoff_ms;
    pool_touch(pool, cn);
}

static void reconnect(pgorm_conn *cn)
{
    cn->reconnect_at = -1;
    cn->null_streak = 0;
    cn->out_blocked = false;
    conn_start(cn, conn_conninfo(cn));
    if (cn->state == DB_FAILED) {
        /* could not even start (e.g. the server's socket is gone): a
           failed attempt like any other */
        conn_schedule_reconnect(cn);
        pool_conn_failed(cn->pool, cn, false);
    }
}

/* ------------------------------------------------------------------ */
/* Events (shared by the hooks' handle_* and the sync driver).         */

static void deliver_hook_err(pgorm_conn *cn)
{
    if (cn->hook_err_code == PGORM_OK)
        return;
    pgorm_error err = {0};
    if (cn->hook_err_msg)
        pgorm_error_set(&err, cn->hook_err_code, "event loop adapter: %s", cn->hook_err_msg);
    else
        pgorm_error_set_static(&err, cn->hook_err_code);
    cn->hook_err_code = PGORM_OK;
    cn->hook_err_msg = NULL;
    if (conn_alive_state(cn->state))
        conn_fail_conn(cn, &err);
    else
        pgorm_error_clear(&err);
}

void conn_on_readable(pgorm_conn *cn)
{
    if (cn->state == DB_CONNECTING) {
        if (cn->connect_poll == PGRES_POLLING_READING)
            connect_step(cn);
    } else if (cn->state == DB_READY) {
        pipe_on_readable(cn);
    }
}

void conn_on_writable(pgorm_conn *cn)
{
    if (cn->state == DB_CONNECTING) {
        if (cn->connect_poll == PGRES_POLLING_WRITING)
            connect_step(cn);
    } else if (cn->state == DB_READY) {
        pipe_on_writable(cn);
    }
}

void conn_on_timer(pgorm_conn *cn)
{
    pgorm_db *pool = cn->pool;
    cn->timer_at = -1; /* one-shot: consumed */
    deliver_hook_err(cn);
    if (cn->slot == 0 && !pool->free_requested)
        pool_deliver_due(pool);
    if (!pool->free_requested && cn->state == DB_CONNECTING && cn->connect_deadline >= 0 &&
        pgorm_now_ms() >= cn->connect_deadline)
        connect_timed_out(cn);
    if (!pool->free_requested)
        cancel_check_deadlines(cn);
    if (!pool->free_requested && cn->state == DB_FAILED && cn->reconnect_at >= 0 &&
        pgorm_now_ms() >= cn->reconnect_at)
        reconnect(cn);
}

void pgorm_conn_handle_read(pgorm_conn *cn)
{
    if (!cn || cn->pool->tearing_down)
        return;
    pgorm_db *pool = cn->pool;
    pool_enter(pool);
    conn_on_readable(cn);
    pool_leave(pool);
}

void pgorm_conn_handle_write(pgorm_conn *cn)
{
    if (!cn || cn->pool->tearing_down)
        return;
    pgorm_db *pool = cn->pool;
    pool_enter(pool);
    conn_on_writable(cn);
    pool_leave(pool);
}

void pgorm_conn_handle_timer(pgorm_conn *cn)
{
    if (!cn || cn->pool->tearing_down)
        return;
    pgorm_db *pool = cn->pool;
    pool_enter(pool);
    conn_on_timer(cn);
    pool_leave(pool);
}

/* ------------------------------------------------------------------ */
/* Closing and freeing.                                                */

void conn_close(pgorm_conn *cn)
{
    hooks_cleanup(cn); /* the adapter stops watching before the socket closes */
    cn->fd = -1;
    if (cn->conn) {
        PQfinish(cn->conn);
        cn->conn = NULL;
    }
    cn->state = DB_CLOSED;
}

void conn_free(pgorm_conn *cn)
{
    if (!cn)
        return;
    conn_close(cn);
    cancel_join(cn);
    pipe_stmts_free(cn);
    pgorm_error_clear(&cn->conn_err);
    pgorm_free(cn);
}
