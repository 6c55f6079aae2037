/* The connection handle: lifecycle, event-loop hooks, connecting without
 * blocking, deferred ("next loop turn") completions, and teardown.
 * Sending ops and reading results is pipeline.c; the poll() driver is sync.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "runtime/core/conn.h"

int64_t pgorm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libpq prints notices to stderr by default; a library must not. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* ------------------------------------------------------------------ */
/* Handle creation and hooks.                                          */

pgorm_db *pgorm_db_new(const pgorm_db_options *opts)
{
    pgorm_db *db = pgorm_calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->later_cap = 4;
    db->later = pgorm_malloc(db->later_cap * sizeof *db->later);
    if (!db->later) {
        pgorm_free(db);
        return NULL;
    }
    db->state = DB_NEW;
    db->fd = -1;
    db->timer_at = -1;
    db->connect_deadline = -1;
    db->connect_timeout_ms = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
                                                                  : 10000;
    pgorm_hmap_init(&db->stmts, PGORM_HMAP_BYTES);
    pgorm_hmap_init(&db->held, PGORM_HMAP_U64);
    return db;
}

static void hook_set_fd(pgorm_db *db, int fd)
{
    if (db->has_hooks && db->hooks.set_fd) {
        db->in_hook++;
        db->hooks.set_fd(db->hooks.data, fd);
        db->in_hook--;
    }
}

static void hook_call(pgorm_db *db, void (*fn)(void *))
{
    if (db->has_hooks && fn) {
        db->in_hook++;
        fn(db->hooks.data);
        db->in_hook--;
    }
}

static void hook_timer(pgorm_db *db, long ms)
{
    if (db->has_hooks && db->hooks.timer) {
        db->in_hook++;
        db->hooks.timer(db->hooks.data, ms);
        db->in_hook--;
    }
}

static void hooks_cleanup(pgorm_db *db)
{
    if (!db->has_hooks)
        return;
    pgorm_loop_hooks h = db->hooks;
    db->has_hooks = false;
    memset(&db->hooks, 0, sizeof db->hooks);
    if (h.cleanup) {
        db->in_hook++;
        h.cleanup(h.data);
        db->in_hook--;
    }
}

void pgorm_db_set_hooks(pgorm_db *db, const pgorm_loop_hooks *hooks)
{
    if (!db || db->tearing_down)
        return;
    hooks_cleanup(db);
    if (!hooks)
        return;
    db->hooks = *hooks;
    db->has_hooks = true;
    /* Attached late: tell the new adapter what the old one knew. */
    db->io_read = db->io_write = false;
    db->timer_at = -1;
    if (db->fd >= 0)
        hook_set_fd(db, db->fd);
    db_update_io(db);
    db_update_timer(db);
}

void pgorm_db_handle_error(pgorm_db *db, pgorm_errcode code, const char *static_message)
{
    if (!db || db->tearing_down || db->hook_err_code != PGORM_OK)
        return;
    db->hook_err_code = code ? code : PGORM_ERR_IO;
    db->hook_err_msg = static_message;
    if (db->depth == 0 && db->in_hook == 0) {
        db_enter(db);
        db_deliver_due(db);
        db_leave(db);
    } else {
        db_update_timer(db);
    }
}

/* ------------------------------------------------------------------ */
/* Interest and timer, applied through the hooks (and read by sync.c).  */

void db_update_io(pgorm_db *db)
{
    bool r = false, w = false;
    if (db->conn && db->fd >= 0) {
        if (db->state == DB_CONNECTING) {
            r = db->connect_poll == PGRES_POLLING_READING;
            w = db->connect_poll == PGRES_POLLING_WRITING;
        } else if (db->state == DB_READY) {
            /* Always read: results, and the server closing the socket. */
            r = true;
            w = db->out_blocked || (db->wait.head && pipe_can_send(db));
        }
    }
    if (r != db->io_read) {
        db->io_read = r;
        hook_call(db, r ? db->hooks.add_read : db->hooks.del_read);
    }
    if (w != db->io_write) {
        db->io_write = w;
        hook_call(db, w ? db->hooks.add_write : db->hooks.del_write);
    }
}

static bool has_due(const pgorm_db *db)
{
    return db->early.head || db->nlater || db->connect_cb_due ||
           db->hook_err_code != PGORM_OK;
}

void db_update_timer(pgorm_db *db)
{
    int64_t due = -1;
    if (has_due(db))
        due = 0;
    else if (db->state == DB_CONNECTING && db->connect_deadline >= 0)
        due = db->connect_deadline;
    if (due == db->timer_at)
        return;
    db->timer_at = due;
    if (due < 0) {
        hook_timer(db, -1);
    } else if (due == 0) {
        hook_timer(db, 0);
    } else {
        int64_t ms = due - pgorm_now_ms();
        hook_timer(db, ms < 0 ? 0 : (long)ms);
    }
}

/* ------------------------------------------------------------------ */
/* Re-entrancy bracket.                                                */

static void teardown(pgorm_db *db);

void db_enter(pgorm_db *db)
{
    db->depth++;
}

bool db_leave(pgorm_db *db)
{
    if (--db->depth > 0)
        return false;
    if (db->free_requested) {
        teardown(db);
        return true;
    }
    db_update_io(db);
    db_update_timer(db);
    return false;
}

/* ------------------------------------------------------------------ */
/* Completing ops.                                                     */

void db_complete_op(pgorm_db *db, pgorm_op *op, const pgorm_error *use)
{
    pgorm_error own = op->core_err;
    memset(&op->core_err, 0, sizeof op->core_err);
    pipe_stmt_release(db, op);
    const pgorm_error *e = use;
    if (!e && own.code != PGORM_OK) {
        if (!own.message)
            pgorm_error_set_static(&own, own.code);
        e = &own;
    }
    op->vt->complete(op, e); /* frees op */
    pgorm_error_clear(&own);
}

void db_fail_op_later(pgorm_db *db, pgorm_op *op, pgorm_errcode code, const char *fmt, ...)
{
    pgorm_error_clear(&op->core_err);
    va_list ap;
    va_start(ap, fmt);
    pgorm_error_vset(&op->core_err, code, fmt, ap);
    va_end(ap);
    op_list_push(&db->early, op);
    db_update_timer(db);
}

static void run_later(pgorm_db *db, const later_call *c)
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
    c->fn(db, &err, c->f1, c->f2, c->ud);
}

void pgorm_db_fail_later(pgorm_db *db, pgorm_errcode code, const char *static_message,
                         pgorm_later_fn fn, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    if (!fn)
        return;
    later_call c = {fn, f1, f2, ud, code, static_message};
    if (!db) {
        run_later(NULL, &c);
        return;
    }
    if (db->nlater == db->later_cap) {
        size_t cap = db->later_cap * 2;
        later_call *p = pgorm_realloc(db->later, cap * sizeof *p);
        if (!p) {
            /* Out of memory twice over: the one case where the callback
               runs inside the call rather than on the next turn. */
            db_enter(db);
            run_later(db, &c);
            db_leave(db);
            return;
        }
        db->later = p;
        db->later_cap = cap;
    }
    db->later[db->nlater++] = c;
    db_update_timer(db);
}

/* ------------------------------------------------------------------ */
/* Submitting.                                                         */

static bool validate_op(pgorm_db *db, pgorm_op *op)
{
    if (!op->sql) {
        db_fail_op_later(db, op, PGORM_ERR_INVALID, "operation has no SQL text");
        return false;
    }
    if (op->nparams < 0 || op->nparams > 65535) {
        db_fail_op_later(db, op, PGORM_ERR_INVALID,
                         "%d parameters: a statement takes 0 to 65535 (split the work into "
                         "several statements)",
                         op->nparams);
        return false;
    }
    if (op->nparams > 0 && op->param_formats && !op->param_lengths) {
        for (int i = 0; i < op->nparams; i++) {
            if (op->param_formats[i] && op->param_values && op->param_values[i]) {
                db_fail_op_later(db, op, PGORM_ERR_INVALID,
                                 "binary parameter $%d has no length (param_lengths is NULL)",
                                 i + 1);
                return false;
            }
        }
    }
    return true;
}

void pgorm_db_submit(pgorm_db *db, pgorm_op *op)
{
    if (!op)
        return;
    op->next = NULL;
    op->core_state = 0;
    op->core_results = 0;
    op->core_stmt_ref = NULL;
    op->core_bytes = 0;
    op->core_stmt[0] = '\0';
    memset(&op->core_err, 0, sizeof op->core_err);
    if (!db) {
        /* No handle, no loop to defer to: a caller's bug, reported at once. */
        pgorm_error err = {0};
        pgorm_error_set(&err, PGORM_ERR_INVALID, "operation submitted to a NULL pgorm_db");
        op->vt->complete(op, &err);
        pgorm_error_clear(&err);
        return;
    }
    if (db->free_requested || db->tearing_down) {
        db_fail_op_later(db, op, PGORM_ERR_CLOSED,
                         "not run: pgorm_db_free() was called on this connection");
        return;
    }
    if (!validate_op(db, op))
        return;
    switch (db->state) {
    case DB_NEW:
    case DB_CONNECTING:
    case DB_READY:
        op_list_push(&db->wait, op);
        break;
    case DB_FAILED:
    case DB_CLOSED:
        db_fail_op_later(db, op, PGORM_ERR_CLOSED, "not run: the connection is closed (%s)",
                         db->conn_err.message ? db->conn_err.message : "no reason recorded");
        return;
    }
    if (db->depth == 0)
        db_update_io(db); /* inside an entry, db_leave does it */
}

bool pgorm_db_connected(const pgorm_db *db)
{
    return db && db->state == DB_READY && !db->free_requested;
}

size_t pgorm_db_pending(const pgorm_db *db)
{
    return db ? db->wait.n + db->fly.n + db->early.n + db->nlater : 0;
}

/* ------------------------------------------------------------------ */
/* Connecting.                                                         */

/* Re-read the socket after every connect step: libpq opens a new one for
   each address it tries, possibly under the same number (so the socket's
   inode is compared too). */
static void track_socket(pgorm_db *db)
{
    int fd = db->conn ? PQsocket(db->conn) : -1;
    ino_t ino = 0;
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0)
            ino = st.st_ino;
    }
    if (fd == db->fd && ino == db->fd_ino)
        return;
    db->fd = fd;
    db->fd_ino = ino;
    db->io_read = db->io_write = false; /* a new socket starts with no interest */
    hook_set_fd(db, fd);
}

void db_drop_conn(pgorm_db *db)
{
    if (db->fd >= 0) {
        db->fd = -1;
        db->fd_ino = 0;
        db->io_read = db->io_write = false;
        hook_set_fd(db, -1); /* the adapter stops watching before the socket closes */
    }
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    db->out_blocked = false;
    db->connect_deadline = -1;
}

/* Connect failed before the first loop turn: report it on that turn. */
static void fail_connect_later(pgorm_db *db, pgorm_error *err)
{
    pgorm_error_clear(&db->conn_err);
    db->conn_err = *err;
    db_drop_conn(db);
    db->state = DB_FAILED;
    db->connect_cb_due = true;
    db_update_io(db);
    db_update_timer(db);
}

static void connect_later_tramp(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2,
                                void *ud)
{
    (void)f2;
    pgorm_connect_cb cb = (pgorm_connect_cb)f1;
    if (cb)
        cb(db, err, ud);
}

void pgorm_db_connect(pgorm_db *db, const char *conninfo, pgorm_connect_cb cb, void *ud)
{
    if (!db) {
        pgorm_db_fail_later(NULL, PGORM_ERR_INVALID, "pgorm_db_connect: db is NULL",
                            connect_later_tramp, (pgorm_fn)cb, NULL, ud);
        return;
    }
    if (db->state != DB_NEW || db->connect_cb || db->free_requested) {
        pgorm_db_fail_later(db, PGORM_ERR_INVALID,
                            "pgorm_db_connect: this handle already has a connection (one "
                            "connection per handle: make another with pgorm_db_new)",
                            connect_later_tramp, (pgorm_fn)cb, NULL, ud);
        return;
    }
    db->connect_cb = cb;
    db->connect_ud = ud;
    pgorm_error err = {0};

    /* A bad string is a clear error up front, not a failed poll later. */
    if (conninfo && *conninfo) {
        char *msg = NULL;
        PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
        if (!opts) {
            if (msg)
                pgorm_error_set(&err, PGORM_ERR_CONNECT,
                                "invalid connection string: %.*s (expected a libpq URI "
                                "such as postgresql://user@host:5432/db, or key=value pairs)",
                                pgorm_trimmed_len(msg), msg);
            else
                pgorm_error_set_static(&err, PGORM_ERR_NOMEM);
            PQfreemem(msg);
            fail_connect_later(db, &err);
            return;
        }
        PQconninfoFree(opts);
    }

    /* Earlier keywords are defaults the conninfo (expanded from dbname) may
       override. Text is UTF-8 everywhere in pgorm. */
    const char *const keys[] = {"client_encoding", "fallback_application_name", "dbname",
                                NULL};
    const char *const vals[] = {"UTF8", "pgorm", conninfo ? conninfo : "", NULL};
    db->conn = PQconnectStartParams(keys, vals, 1);
    if (!db->conn) {
        pgorm_error_set(&err, PGORM_ERR_NOMEM, "out of memory starting a connection");
        fail_connect_later(db, &err);
        return;
    }
    PQsetNoticeProcessor(db->conn, quiet_notice, NULL);
    if (PQstatus(db->conn) == CONNECTION_BAD) {
        const char *m = PQerrorMessage(db->conn);
        pgorm_error_set(&err, PGORM_ERR_CONNECT, "could not connect to PostgreSQL: %.*s",
                        pgorm_trimmed_len(m), m);
        fail_connect_later(db, &err);
        return;
    }
    db->state = DB_CONNECTING;
    /* Before the first PQconnectPoll, behave as if it returned WRITING. */
    db->connect_poll = PGRES_POLLING_WRITING;
    db->connect_deadline = pgorm_now_ms() + db->connect_timeout_ms;
    track_socket(db);
    db_update_io(db);
    db_update_timer(db);
}

static void connect_failed(pgorm_db *db, pgorm_error *err)
{
    db_fail_conn(db, err);
}

static void connected(pgorm_db *db)
{
    pgorm_error err = {0};
    if (PQsetnonblocking(db->conn, 1) != 0 || PQenterPipelineMode(db->conn) != 1) {
        const char *m = PQerrorMessage(db->conn);
        pgorm_error_set(&err, PGORM_ERR_CONNECT,
                        "connected, but could not enter non-blocking pipeline mode: %.*s",
                        pgorm_trimmed_len(m), m);
        connect_failed(db, &err);
        return;
    }
    db->state = DB_READY;
    db->connect_deadline = -1;
    db->connect_poll = PGRES_POLLING_OK;
    pgorm_connect_cb cb = db->connect_cb;
    db->connect_cb = NULL;
    if (cb)
        cb(db, NULL, db->connect_ud);
    if (!db->free_requested && db->state == DB_READY)
        pipe_pump(db);
}

static void connect_step(pgorm_db *db)
{
    PostgresPollingStatusType st = PQconnectPoll(db->conn);
    track_socket(db);
    switch (st) {
    case PGRES_POLLING_READING:
    case PGRES_POLLING_WRITING:
        db->connect_poll = st;
        break;
    case PGRES_POLLING_OK:
        connected(db);
        break;
    case PGRES_POLLING_FAILED:
    default: {
        pgorm_error err = {0};
        const char *m = PQerrorMessage(db->conn);
        pgorm_error_set(&err, PGORM_ERR_CONNECT, "could not connect to PostgreSQL: %.*s",
                        pgorm_trimmed_len(m), m);
        connect_failed(db, &err);
        break;
    }
    }
}

static void connect_timed_out(pgorm_db *db)
{
    pgorm_error err = {0};
    const char *host = PQhost(db->conn), *port = PQport(db->conn);
    pgorm_error_set(&err, PGORM_ERR_TIMEOUT,
                    "could not connect to PostgreSQL at host \"%s\" port %s within %d ms: the "
                    "server did not answer. Check that it is running and reachable, or raise "
                    "pgorm_db_options.connect_timeout_ms",
                    host && *host ? host : "(default)", port && *port ? port : "(default)",
                    db->connect_timeout_ms);
    connect_failed(db, &err);
}

/* ------------------------------------------------------------------ */
/* The connection failed: deliver its error to everyone waiting.       */

static void fail_list(pgorm_db *db, op_list *l, const pgorm_error *err)
{
    op_list t = op_list_take(l);
    pgorm_op *op;
    while ((op = op_list_pop(&t)))
        db_complete_op(db, op, err);
}

void db_fail_conn(pgorm_db *db, pgorm_error *err)
{
    pgorm_error_clear(&db->conn_err);
    db->conn_err = *err;
    memset(err, 0, sizeof *err);
    db_drop_conn(db);
    db->state = DB_FAILED;
    db->connect_cb_due = false;
    db->fly_bytes = 0;
    pgorm_connect_cb cb = db->connect_cb;
    db->connect_cb = NULL;
    if (cb)
        cb(db, &db->conn_err, db->connect_ud);
    /* Callbacks may submit more (they go to `early`, failing with CLOSED) or
       call pgorm_db_free (only marked): both lists are drained regardless,
       so every op gets this error exactly once. */
    fail_list(db, &db->fly, &db->conn_err);
    fail_list(db, &db->wait, &db->conn_err);
}

/* ------------------------------------------------------------------ */
/* Deferred completions ("the next loop turn").                        */

void db_deliver_due(pgorm_db *db)
{
    if (db->hook_err_code != PGORM_OK) {
        pgorm_error err = {0};
        if (db->hook_err_msg)
            pgorm_error_set(&err, db->hook_err_code, "event loop adapter: %s",
                            db->hook_err_msg);
        else
            pgorm_error_set_static(&err, db->hook_err_code);
        db->hook_err_code = PGORM_OK;
        db->hook_err_msg = NULL;
        if (db->state == DB_CONNECTING || db->state == DB_READY || db->state == DB_NEW)
            db_fail_conn(db, &err);
        else
            pgorm_error_clear(&err);
    }
    if (db->connect_cb_due) {
        db->connect_cb_due = false;
        pgorm_connect_cb cb = db->connect_cb;
        db->connect_cb = NULL;
        if (cb)
            cb(db, &db->conn_err, db->connect_ud);
        fail_list(db, &db->wait, &db->conn_err);
    }
    /* Only what was due when this turn began: ops failed by the callbacks
       below wait for the next turn (no unbounded loop inside one turn). */
    op_list t = op_list_take(&db->early);
    size_t n = db->nlater;
    pgorm_op *op;
    while (!db->free_requested && (op = op_list_pop(&t)))
        db_complete_op(db, op, NULL);
    if (t.head) {
        /* freed inside a callback: put the rest back for teardown */
        t.tail->next = db->early.head;
        if (!db->early.head)
            db->early.tail = t.tail;
        db->early.head = t.head;
        db->early.n += t.n;
    }
    size_t i = 0;
    for (; i < n && !db->free_requested; i++) {
        later_call c = db->later[i];
        run_later(db, &c);
    }
    if (i) {
        memmove(db->later, db->later + i, (db->nlater - i) * sizeof *db->later);
        db->nlater -= i;
    }
}

/* The handle is being freed and a callback waits on something it just
   submitted (a _sync call inside a callback): those can only have failed
   early, so complete them now instead of after the waiter returned. */
void db_flush_early(pgorm_db *db, const bool *done)
{
    while (!(done && *done)) {
        pgorm_op *op = op_list_pop(&db->early);
        if (op) {
            db_complete_op(db, op, NULL);
            continue;
        }
        if (!db->nlater)
            break;
        later_call c = db->later[0];
        memmove(db->later, db->later + 1, (db->nlater - 1) * sizeof *db->later);
        db->nlater--;
        run_later(db, &c);
    }
}

/* ------------------------------------------------------------------ */
/* Events (shared by the hooks' handle_* and the sync driver).         */

void db_on_readable(pgorm_db *db)
{
    if (db->state == DB_CONNECTING) {
        if (db->connect_poll == PGRES_POLLING_READING)
            connect_step(db);
    } else if (db->state == DB_READY) {
        pipe_on_readable(db);
    }
}

void db_on_writable(pgorm_db *db)
{
    if (db->state == DB_CONNECTING) {
        if (db->connect_poll == PGRES_POLLING_WRITING)
            connect_step(db);
    } else if (db->state == DB_READY) {
        pipe_on_writable(db);
    }
}

void db_on_timer(pgorm_db *db)
{
    db->timer_at = -1; /* one-shot: consumed */
    db_deliver_due(db);
    if (!db->free_requested && db->state == DB_CONNECTING && db->connect_deadline >= 0 &&
        pgorm_now_ms() >= db->connect_deadline)
        connect_timed_out(db);
}

void pgorm_db_handle_read(pgorm_db *db)
{
    if (!db || db->tearing_down)
        return;
    db_enter(db);
    db_on_readable(db);
    db_leave(db);
}

void pgorm_db_handle_write(pgorm_db *db)
{
    if (!db || db->tearing_down)
        return;
    db_enter(db);
    db_on_writable(db);
    db_leave(db);
}

void pgorm_db_handle_timer(pgorm_db *db)
{
    if (!db || db->tearing_down)
        return;
    db_enter(db);
    db_on_timer(db);
    db_leave(db);
}

/* ------------------------------------------------------------------ */
/* Freeing.                                                            */

static void teardown(pgorm_db *db)
{
    db->tearing_down = true;
    db->free_requested = true;
    db->depth++; /* callbacks below may call pgorm_db_free: ignored */
    hooks_cleanup(db); /* the adapter stops watching before the socket closes */
    db->fd = -1;
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    bool was_failed = db->state == DB_FAILED;
    db->state = DB_CLOSED;

    pgorm_error closed = {0};
    pgorm_error_set(&closed, PGORM_ERR_CLOSED,
                    "not completed: the connection was closed by pgorm_db_free()");
    /* Callbacks run here may submit more: loop until nothing is left. */
    for (;;) {
        if (db->connect_cb) {
            pgorm_connect_cb cb = db->connect_cb;
            db->connect_cb = NULL;
            bool due = db->connect_cb_due;
            db->connect_cb_due = false;
            cb(db, due || was_failed ? &db->conn_err : &closed, db->connect_ud);
            continue;
        }
        /* In submission order as far as it is known: sent, waiting, then
           those that failed before they could wait. */
        pgorm_op *op;
        if ((op = op_list_pop(&db->fly))) {
            db_complete_op(db, op, &closed);
            continue;
        }
        if ((op = op_list_pop(&db->wait))) {
            db_complete_op(db, op, &closed);
            continue;
        }
        if ((op = op_list_pop(&db->early))) {
            db_complete_op(db, op, NULL);
            continue;
        }
        if (db->nlater) {
            later_call c = db->later[0];
            memmove(db->later, db->later + 1, (db->nlater - 1) * sizeof *db->later);
            db->nlater--;
            run_later(db, &c);
            continue;
        }
        break;
    }
    pgorm_error_clear(&closed);
    pipe_stmts_free(db);
    pgorm_hmap_free(&db->held); /* empty: each entry's flush ran in the loop above */
    pgorm_error_clear(&db->conn_err);
    pgorm_free(db->later);
    pgorm_free(db);
}

void pgorm_db_free(pgorm_db *db)
{
    if (!db || db->tearing_down)
        return;
    if (db->depth > 0) {
        db->free_requested = true; /* torn down when the outermost entry returns */
        return;
    }
    teardown(db);
}

/* Used by sync.c when the handle never connected and nobody else can make
   progress: fail what waits so _sync callers return. */
void db_fail_unconnected(pgorm_db *db)
{
    pgorm_error err = {0};
    pgorm_error_set(&err, PGORM_ERR_CLOSED,
                    "not run: the connection was never opened (call pgorm_db_connect or "
                    "pgorm_db_connect_sync first)");
    fail_list(db, &db->wait, &err);
    pgorm_error_clear(&err);
}
