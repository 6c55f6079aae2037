/* The synchronous driver: poll() over the same state machine the event-loop
 * hooks drive. Works whether or not hooks are attached (the hooks are still
 * told about interest changes; the adapter's loop just isn't running).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>

#include "runtime/core/conn.h"

static bool finished(const pgorm_db *pool, const bool *done)
{
    return done ? *done : pgorm_db_pending(pool) == 0;
}

static bool has_work(const pgorm_db *pool)
{
    if (pool_has_due(pool))
        return true;
    for (int i = 0; i < pool->nall; i++)
        if (pool->conns[i]->hook_err_code != PGORM_OK)
            return true;
    return false;
}

static bool any_state(const pgorm_db *pool, conn_state st)
{
    for (int i = 0; i < pool->nconns; i++)
        if (pool->conns[i]->state == st)
            return true;
    return false;
}

/* Work a connection still owes an answer for. The listening connection
   counts while it connects or has LISTENs in flight, and, in a timed
   drive, while it listens (notifications may come). */
static bool in_progress(const pgorm_db *pool, bool timed)
{
    if (pool->nall > pool->nconns) {
        const pgorm_conn *ln = pool->conns[pool->nconns];
        if (ln->state == DB_CONNECTING || (ln->state == DB_READY && (conn_load(ln) || timed)))
            return true;
    }
    for (int i = 0; i < pool->nconns; i++) {
        const pgorm_conn *cn = pool->conns[i];
        if (cn->state == DB_CONNECTING || (cn->state == DB_READY && conn_load(cn)) ||
            (cn->state == DB_FAILED && cn->reconnect_at >= 0))
            return true;
    }
    return false;
}

/* Nothing can make progress but someone waits: fail them rather than
   return with callbacks still owed to a caller's stack (or wait forever). */
static void unstick(pgorm_db *pool)
{
    if (!pool->connect_started || any_state(pool, DB_NEW)) {
        pool_fail_unconnected(pool);
        return;
    }
    pgorm_error err = {0};
    if (any_state(pool, DB_READY))
        pgorm_error_set(&err, PGORM_ERR_BUSY,
                        "not run: every connection of the pool (pool_size %d) is reserved by "
                        "an open transaction, and nothing is in flight that could end one: "
                        "end a transaction first, or raise pool_size",
                        pool->nconns);
    else
        pgorm_error_set(&err, PGORM_ERR_CLOSED, "not run: no connection of the pool is open");
    pool_fail_queue(pool, &err);
    tx_fail_waiting(pool, &err);
    pgorm_error_clear(&err);
}

/* Drive until finished(done), the pool is freed from a callback, or
   timeout_ms passes. 0 when finished. *failed (may be NULL) tells whether
   no connection was usable at the end. */
static int drive(pgorm_db *db, const bool *done, int timeout_ms, bool *failed)
{
    if (failed)
        *failed = true;
    if (!db)
        return done && *done ? 0 : -1;
    pgorm_db *pool = db->pool;
    if (pool->tearing_down || pool->free_requested) {
        /* called from a callback after pgorm_db_free: what it waits for
           failed early (CLOSED); deliver that now */
        pool_flush_early(pool, done);
        return done && *done ? 0 : -1;
    }
    if (done && *done) {
        if (failed)
            *failed = !any_state(pool, DB_READY);
        return 0;
    }
    int64_t deadline = timeout_ms >= 0 ? pgorm_now_ms() + timeout_ms : -1;
    int rc = -1;
    int stuck = 0;
    int n = pool->nall; /* the listening connection too */
    struct pollfd *pfd = pool->pfd; /* allocated with the pool: no OOM here */
    int *which = pool->pfd_which;
    pool_enter(pool);
    for (;;) {
        if (has_work(pool)) {
            for (int i = 0; i < n && !pool->free_requested; i++) {
                pgorm_conn *cn = pool->conns[i];
                if (cn->hook_err_code != PGORM_OK || i == 0)
                    conn_on_timer(cn); /* this is the "next loop turn" */
            }
        }
        if (pool->free_requested)
            break;
        if (finished(pool, done)) {
            rc = 0;
            break;
        }
        int64_t now = pgorm_now_ms();
        int64_t wait = -1; /* none */
        for (int i = 0; i < n && !pool->free_requested; i++) {
            pgorm_conn *cn = pool->conns[i];
            if (cn->state == DB_FAILED && cn->reconnect_at >= 0) {
                if (now >= cn->reconnect_at)
                    conn_on_timer(cn);
                else if (wait < 0 || cn->reconnect_at - now < wait)
                    wait = cn->reconnect_at - now;
            }
            if (cn->state == DB_CONNECTING && cn->connect_deadline >= 0) {
                if (now >= cn->connect_deadline)
                    conn_on_timer(cn);
                else if (wait < 0 || cn->connect_deadline - now < wait)
                    wait = cn->connect_deadline - now;
            }
            if (cn->state == DB_READY) {
                pipe_pump(cn);
                int64_t dl = cancel_next_deadline(cn);
                if (dl >= 0 && now >= dl)
                    cancel_check_deadlines(cn);
                else if (dl >= 0 && (wait < 0 || dl - now < wait))
                    wait = dl - now;
            }
        }
        if (has_work(pool) || pool->free_requested || finished(pool, done))
            continue;
        if (!in_progress(pool, deadline >= 0)) {
            /* nothing in flight or connecting: nobody will answer */
            if (stuck++)
                break;
            unstick(pool);
            continue;
        }
        int np = 0;
        for (int i = 0; i < n; i++) {
            pgorm_conn *cn = pool->conns[i];
            conn_update_io(cn);
            if (cn->fd < 0 || !(cn->io_read || cn->io_write))
                continue;
            pfd[np].fd = cn->fd;
            pfd[np].events = (short)((cn->io_read ? POLLIN : 0) | (cn->io_write ? POLLOUT : 0));
            pfd[np].revents = 0;
            which[np++] = i;
        }
        if (deadline >= 0) {
            int64_t w = deadline > now ? deadline - now : 0;
            if (wait < 0 || w < wait)
                wait = w;
        }
        if (np == 0 && wait < 0) {
            if (stuck++)
                break;
            pgorm_error err = {0};
            pgorm_error_set(&err, PGORM_ERR_IO,
                            "connection closed: nothing to wait for (no socket and no timer)");
            for (int i = 0; i < n; i++) {
                pgorm_conn *cn = pool->conns[i];
                if (cn->state == DB_CONNECTING || cn->state == DB_READY) {
                    pgorm_error e = {0};
                    (void)pgorm_error_copy(&e, &err);
                    conn_fail_conn(cn, &e);
                }
            }
            pgorm_error_clear(&err);
            continue;
        }
        stuck = 0;
        int got = poll(pfd, (nfds_t)np, wait > INT_MAX ? INT_MAX : (int)wait);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            pgorm_error err = {0};
            pgorm_error_set(&err, PGORM_ERR_IO, "connection closed: poll() failed: %s",
                            strerror(errno));
            for (int k = 0; k < np; k++) {
                pgorm_error e = {0};
                (void)pgorm_error_copy(&e, &err);
                conn_fail_conn(pool->conns[which[k]], &e);
            }
            pgorm_error_clear(&err);
            continue;
        }
        if (got == 0) {
            if (deadline >= 0 && pgorm_now_ms() >= deadline)
                break; /* the caller's timeout; connect timeouts are checked above */
            continue;
        }
        for (int k = 0; k < np && !pool->free_requested; k++) {
            pgorm_conn *cn = pool->conns[which[k]];
            short re = pfd[k].revents;
            if (!re || cn->fd != pfd[k].fd)
                continue;
            if (re & (POLLERR | POLLHUP | POLLNVAL))
                re |= pfd[k].events; /* let libpq find out what happened */
            int fd = cn->fd;
            if (re & POLLIN)
                conn_on_readable(cn);
            if ((re & POLLOUT) && !pool->free_requested && cn->fd == fd)
                conn_on_writable(cn);
        }
    }
    if (failed)
        *failed = !any_state(pool, DB_READY) || pool->free_requested;
    if (pool_leave(pool)) /* freed inside a callback: the pool is gone */
        return done && *done ? 0 : -1;
    return rc;
}

int pgorm_db_drive_until(pgorm_db *db, const bool *done, int timeout_ms)
{
    if (!done)
        return -1;
    return drive(db, done, timeout_ms, NULL);
}

int pgorm_db_run_sync(pgorm_db *db, int timeout_ms)
{
    bool failed = false;
    int rc = drive(db, NULL, timeout_ms, &failed);
    return rc == 0 && !failed ? 0 : -1;
}

typedef struct sync_connect {
    bool done;
    int rc;
    pgorm_error *err;
} sync_connect;

static void on_sync_connect(pgorm_db *db, const pgorm_error *err, void *ud)
{
    (void)db;
    sync_connect *s = ud;
    if (err) {
        s->rc = -1;
        if (s->err)
            pgorm_error_copy(s->err, err);
    }
    s->done = true;
}

int pgorm_db_connect_sync(pgorm_db *db, const char *conninfo, pgorm_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!db) {
        pgorm_error_set(err, PGORM_ERR_INVALID, "pgorm_db_connect_sync: db is NULL");
        return -1;
    }
    sync_connect s = {false, 0, err};
    pgorm_db_connect(db, conninfo, on_sync_connect, &s);
    drive(db, &s.done, -1, NULL);
    return s.done ? s.rc : -1;
}
