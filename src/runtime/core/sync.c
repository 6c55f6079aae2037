/* The synchronous driver: poll() over the same state machine the event-loop
 * hooks drive. Works whether or not hooks are attached (the hooks are still
 * told about interest changes; the adapter's loop just isn't running).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>

#include "runtime/core/conn.h"

static bool finished(const pgorm_db *db, const bool *done)
{
    return done ? *done : pgorm_db_pending(db) == 0;
}

static bool has_work(const pgorm_db *db)
{
    return db->early.head || db->nlater || db->connect_cb_due || db->hook_err_code != PGORM_OK;
}

/* Nothing can make progress (no socket, no timer) but someone waits: fail
   them rather than return with callbacks still owed to a caller's stack. */
static void unstick(pgorm_db *db)
{
    if (db->state == DB_NEW) {
        db_fail_unconnected(db);
    } else if (db->state == DB_CONNECTING || db->state == DB_READY) {
        pgorm_error err = {0};
        pgorm_error_set(&err, PGORM_ERR_IO,
                        "connection closed: nothing to wait for (no socket and no timer)");
        db_fail_conn(db, &err);
    }
}

/* Drive until finished(done), the handle is freed from a callback, or
   timeout_ms passes. 0 when finished. *failed (may be NULL) tells whether
   the connection was unusable at the end. */
static int drive(pgorm_db *db, const bool *done, int timeout_ms, bool *failed)
{
    if (failed)
        *failed = true;
    if (!db)
        return done && *done ? 0 : -1;
    if (db->tearing_down || db->free_requested) {
        /* called from a callback after pgorm_db_free: what it waits for
           failed early (CLOSED); deliver that now */
        db_flush_early(db, done);
        return done && *done ? 0 : -1;
    }
    if (done && *done) {
        if (failed)
            *failed = db->state != DB_READY;
        return 0;
    }
    int64_t deadline = timeout_ms >= 0 ? pgorm_now_ms() + timeout_ms : -1;
    int rc = -1;
    bool stuck = false;
    db_enter(db);
    for (;;) {
        if (has_work(db)) {
            db->timer_at = -1;
            db_deliver_due(db); /* this is the "next loop turn" */
        }
        if (db->free_requested)
            break;
        if (finished(db, done)) {
            rc = 0;
            break;
        }
        int64_t now = pgorm_now_ms();
        if (db->state == DB_CONNECTING && db->connect_deadline >= 0 &&
            now >= db->connect_deadline) {
            db_on_timer(db);
            continue;
        }
        if (db->state == DB_READY)
            pipe_pump(db);
        if (has_work(db) || db->free_requested || finished(db, done))
            continue;
        if (db->state == DB_NEW || db->state == DB_FAILED || db->state == DB_CLOSED) {
            if (stuck)
                break;
            stuck = true;
            unstick(db);
            continue;
        }
        db_update_io(db);
        struct pollfd p = {.fd = db->fd, .events = 0, .revents = 0};
        if (db->io_read)
            p.events |= POLLIN;
        if (db->io_write)
            p.events |= POLLOUT;
        int64_t wait = -1; /* none */
        if (db->state == DB_CONNECTING && db->connect_deadline >= 0)
            wait = db->connect_deadline > now ? db->connect_deadline - now : 0;
        if (deadline >= 0) {
            int64_t w = deadline > now ? deadline - now : 0;
            if (wait < 0 || w < wait)
                wait = w;
        }
        if ((p.fd < 0 || !p.events) && wait < 0) {
            if (stuck)
                break;
            stuck = true;
            unstick(db);
            continue;
        }
        int n = poll(&p, p.fd >= 0 && p.events ? 1 : 0, wait > INT_MAX ? INT_MAX : (int)wait);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            pgorm_error err = {0};
            pgorm_error_set(&err, PGORM_ERR_IO, "connection closed: poll() failed: %s",
                            strerror(errno));
            db_fail_conn(db, &err);
            continue;
        }
        if (n == 0) {
            if (deadline >= 0 && pgorm_now_ms() >= deadline)
                break; /* the caller's timeout; the connect timeout is checked above */
            continue;
        }
        short re = p.revents;
        if (re & (POLLERR | POLLHUP | POLLNVAL))
            re |= p.events; /* let libpq find out what happened */
        int fd = db->fd;
        if (re & POLLIN)
            db_on_readable(db);
        if ((re & POLLOUT) && !db->free_requested && db->fd == fd)
            db_on_writable(db);
    }
    if (failed)
        *failed = db->state != DB_READY || db->free_requested;
    if (db_leave(db)) /* freed inside a callback: db is gone */
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
