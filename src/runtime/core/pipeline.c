/* Sending ops in pipeline mode and matching results back to them.
 *
 * One op on the wire: [Parse] Bind/Describe/Execute, then its own Sync.
 * Its results, in order: [prepare: COMMAND_OK or an error, NULL]
 * execute: rows/COMMAND_OK/an error/PIPELINE_ABORTED..., NULL; then
 * PGRES_PIPELINE_SYNC, which completes the op. libpq keeps one queue of
 * commands; cn->fly mirrors it, so the head of cn->fly owns every result.
 *
 * Flow control: ops leave cn->wait while fewer than PGORM_MAX_INFLIGHT_OPS
 * ops / PGORM_MAX_INFLIGHT_BYTES bytes are unanswered and the socket takes
 * what libpq has buffered; when PQflush returns 1 we wait for the socket to
 * be writable (reading meanwhile: a server blocked on its own output stops
 * reading ours) and resume as results come back.
 */
#include <stdio.h>
#include <string.h>

#include "runtime/core/conn.h"

enum { ST_PREPARE = 1, ST_EXEC = 2, ST_SYNC = 3 };

#define FLUSH_EVERY_BYTES (64u << 10)
/* Most read_only ops sharing one Sync (see op.h). */
#define GROUP_MAX 64

/* ------------------------------------------------------------------ */
/* Prepared statement cache (per connection, keyed by SQL text).      */

static void stmt_free(pgorm_stmt *s)
{
    pgorm_error_clear(&s->err);
    pgorm_free(s);
}

static pgorm_stmt *stmt_new(pgorm_conn *cn, const char *sql, size_t len)
{
    pgorm_stmt *s = pgorm_malloc(sizeof *s + len + 1);
    if (!s)
        return NULL;
    memset(s, 0, sizeof *s);
    memcpy(s->sql, sql, len + 1);
    s->sql_len = len;
    s->state = STMT_PENDING;
    snprintf(s->name, sizeof s->name, "pgorm_%u", ++cn->stmt_seq);
    if (pgorm_hmap_put(&cn->stmts, s->sql, len, s) != 0) {
        pgorm_free(s);
        return NULL; /* out of memory: the op runs unnamed instead */
    }
    s->in_map = true;
    return s;
}

/* Forget s for new ops (they will prepare again); ops in flight keep it. */
static void stmt_detach(pgorm_conn *cn, pgorm_stmt *s)
{
    if (s->in_map) {
        pgorm_hmap_del(&cn->stmts, s->sql, s->sql_len);
        s->in_map = false;
    }
    if (!s->users)
        stmt_free(s);
}

void pipe_stmt_release(pgorm_conn *cn, pgorm_op *op)
{
    (void)cn;
    pgorm_stmt *s = op->core_stmt_ref;
    if (!s)
        return;
    op->core_stmt_ref = NULL;
    if (--s->users == 0 && !s->in_map)
        stmt_free(s);
}

void pipe_stmts_free(pgorm_conn *cn)
{
    size_t it = 0;
    const pgorm_hmap_entry *e;
    while ((e = pgorm_hmap_next(&cn->stmts, &it)))
        stmt_free(e->value);
    pgorm_hmap_free(&cn->stmts);
}

/* ------------------------------------------------------------------ */
/* Sending.                                                            */

bool pipe_can_send(pgorm_conn *cn)
{
    if (cn->state != DB_READY || cn->out_blocked || cn->pool->free_requested)
        return false;
    if (cn->cancel && cancel_busy(cn))
        return false;
    if (cn->fly.n == 0)
        return true; /* the first op always goes, whatever its size */
    if (cn->pool->pipeline_depth && cn->fly_syncs >= (size_t)cn->pool->pipeline_depth)
        return false;
    return cn->fly.n < PGORM_MAX_INFLIGHT_OPS && cn->fly_bytes < PGORM_MAX_INFLIGHT_BYTES;
}

static int pipeline_sync(PGconn *c)
{
#ifdef LIBPQ_HAS_SEND_PIPELINE_SYNC
    return PQsendPipelineSync(c); /* libpq 17+: no flush per op; we flush in batches */
#else
    return PQpipelineSync(c);
#endif
}

static size_t params_bytes(const pgorm_op *op)
{
    size_t n = 0;
    for (int i = 0; i < op->nparams; i++) {
        const char *v = op->param_values ? op->param_values[i] : NULL;
        if (!v)
            continue;
        if (op->param_formats && op->param_formats[i])
            n += op->param_lengths[i] > 0 ? (size_t)op->param_lengths[i] : 0;
        else
            n += strlen(v);
        n += 4;
    }
    return n;
}

/* Queue one op in libpq's output buffer. -1: libpq refused, which after
   the checks made at submit means the connection is unusable. */
static int send_op(pgorm_conn *cn, pgorm_op *op)
{
    PGconn *c = cn->conn;
    bool head = cn->fly.n == 0; /* its first command will be libpq's current one */
    size_t bytes = 64 + params_bytes(op);
    pgorm_stmt *s = NULL;
    bool parse = false;

    if (op->prepare && !cn->pool->unnamed_statements) {
        size_t len = strlen(op->sql);
        s = pgorm_hmap_get(&cn->stmts, op->sql, len);
        if (!s && pgorm_hmap_count(&cn->stmts) < PGORM_STMT_CACHE_MAX) {
            s = stmt_new(cn, op->sql, len);
            parse = s != NULL;
        }
        if (parse)
            bytes += len;
    }
    if (s) {
        /* First use: Parse and Execute go in the same segment. */
        if (parse && !PQsendPrepare(c, s->name, op->sql, op->nparams, op->param_types))
            return -1;
        s->users++;
        op->core_stmt_ref = s;
        _Static_assert(sizeof op->core_stmt >= sizeof s->name, "statement names fit");
        memcpy(op->core_stmt, s->name, sizeof s->name);
        op->core_state = parse ? ST_PREPARE : ST_EXEC;
        if (!PQsendQueryPrepared(c, s->name, op->nparams, op->param_values, op->param_lengths,
                                 op->param_formats, op->result_format))
            return -1;
    } else {
        op->core_state = ST_EXEC;
        bytes += strlen(op->sql);
        if (!PQsendQueryParams(c, op->sql, op->nparams, op->param_types, op->param_values,
                               op->param_lengths, op->param_formats, op->result_format))
            return -1;
    }
    if (!op->no_sync && !op->core_nosync && !pipeline_sync(c))
        return -1;
    /* Single-row mode applies to libpq's current command only: set it now
       if our Execute is that command, else when its turn comes. */
    if (op->single_row && head && op->core_state == ST_EXEC)
        PQsetSingleRowMode(c);
    op->core_bytes = bytes;
    return 0;
}

/* PQflush: 0 all sent, 1 more to send (wait for writable), -1 lost. */
static int flush_out(pgorm_conn *cn)
{
    int r = PQflush(cn->conn);
    if (r < 0) {
        pipe_conn_lost(cn);
        return -1;
    }
    cn->out_blocked = r == 1;
    return 0;
}

/* May op share a Sync with its neighbours? A read_only pool op, not sent
   before, not stopped, whose statement is already prepared on this
   connection (a Parse skipped because of another's error would leave the
   statement cache wrong) or runs unnamed. */
static bool groupable(pgorm_conn *cn, const pgorm_op *op)
{
    if (!op || !op->read_only || op->no_sync || op->core_tx || op->core_retried ||
        op->core_cancel || (op->core_deadline && pgorm_now_ms() >= op->core_deadline))
        return false;
    if (!op->prepare || cn->pool->unnamed_statements)
        return true;
    const pgorm_stmt *s = pgorm_hmap_get(&cn->stmts, op->sql, strlen(op->sql));
    return s && s->state == STMT_READY;
}

static void send_pending(pgorm_conn *cn)
{
    size_t unflushed = 0;
    bool sent = false;
    bool force = false;
    size_t group = 0;      /* ops of the open group sent so far */
    bool next_ok = false;  /* the head of wait was found groupable */
    while (cn->wait.head && (force || pipe_can_send(cn))) {
        pgorm_op *op = op_list_pop(&cn->wait);
        if (!force && (op->core_cancel || (op->core_deadline && pgorm_now_ms() >= op->core_deadline))) {
            /* stopped before it was sent: it never runs */
            if (op->core_cancel == PGORM_ERR_CANCELED)
                pool_fail_op_later(cn->pool, op, PGORM_ERR_CANCELED,
                                   "cancelled by pgorm_cancel before it was sent");
            else
                pool_fail_op_later(cn->pool, op, PGORM_ERR_TIMEOUT,
                                   "timed out after %d ms before it could be sent (the pool "
                                   "was busy)",
                                   op->core_timeout_ms);
            continue;
        }
        /* Read-only ops share one Sync, GROUP_MAX at most, while the one
           after can go too (it is then sent whatever pipe_can_send says,
           as after a no_sync op). */
        bool grouped = group > 0 || (!op->no_sync && groupable(cn, op));
        op->core_grouped = grouped;
        op->core_nosync = false;
        if (grouped) {
            next_ok = group + 1 < GROUP_MAX && cn->fly.n + 1 < PGORM_MAX_INFLIGHT_OPS &&
                      cn->fly_bytes + 64 * (group + 1) < PGORM_MAX_INFLIGHT_BYTES &&
                      groupable(cn, cn->wait.head);
            op->core_nosync = next_ok;
            group = next_ok ? group + 1 : 0;
        }
        /* An op without its own sync goes out with the one after it. */
        force = op->no_sync || op->core_nosync;
        int rc = send_op(cn, op);
        op_list_push(&cn->fly, op);
        if (rc != 0) {
            pipe_conn_lost(cn); /* fails this op with the rest */
            return;
        }
        cn->fly_bytes += op->core_bytes;
        if (!op->no_sync && !op->core_nosync)
            cn->fly_syncs++;
        unflushed += op->core_bytes;
        sent = true;
        if (unflushed >= FLUSH_EVERY_BYTES) {
            unflushed = 0;
            if (flush_out(cn) < 0)
                return;
        }
    }
    if (sent && !cn->out_blocked)
        flush_out(cn);
}

/* ------------------------------------------------------------------ */
/* Results.                                                            */

void pipe_conn_lost(pgorm_conn *cn)
{
    pgorm_error err = {0};
    const pgorm_op *head = cn->fly.head;
    const char *st = head ? head->core_err.sqlstate : "";
    if (head && head->core_err.message && (strncmp(st, "57", 2) == 0 || strncmp(st, "08", 2) == 0)) {
        /* The server said why (e.g. 57P01: terminated by an administrator). */
        pgorm_error_set(&err, PGORM_ERR_CONNECTION_LOST,
                        "the connection to the server was lost: %s", head->core_err.message);
        memcpy(err.sqlstate, st, sizeof err.sqlstate);
    } else {
        const char *m = cn->conn ? PQerrorMessage(cn->conn) : "";
        if (m && *m)
            pgorm_error_set(&err, PGORM_ERR_CONNECTION_LOST,
                            "the connection to the server was lost: %.*s",
                            pgorm_trimmed_len(m), m);
        else
            pgorm_error_set(&err, PGORM_ERR_CONNECTION_LOST,
                            "the connection to the server was lost (the server closed it)");
    }
    conn_fail_conn(cn, &err);
}

static void desync(pgorm_conn *cn, const char *why)
{
    pgorm_error err = {0};
    pgorm_error_set(&err, PGORM_ERR_CONNECTION_LOST,
                    "connection closed: %s (pgorm bug: results out of step with operations)",
                    why);
    conn_fail_conn(cn, &err);
}

/* A Parse result for the head op. */
static void prepare_result(pgorm_conn *cn, pgorm_op *op, const PGresult *r, ExecStatusType st)
{
    pgorm_stmt *s = op->core_stmt_ref;
    if (st == PGRES_COMMAND_OK) {
        if (s && s->state == STMT_PENDING)
            s->state = STMT_READY;
        return;
    }
    if (op->core_err.code == PGORM_OK)
        pgorm_error_from_result(&op->core_err, r);
    if (s) {
        /* Ops already sent with this name fail with "does not exist"; they
           get this error instead (see exec_error). New ops prepare again. */
        s->state = STMT_FAILED;
        if (!s->err.message)
            pgorm_error_copy(&s->err, &op->core_err);
        stmt_detach(cn, s);
    }
}

static void exec_error(pgorm_conn *cn, pgorm_op *op, const PGresult *r)
{
    if (op->core_err.code != PGORM_OK)
        return; /* the first error of an op is the one reported */
    pgorm_error_from_result(&op->core_err, r);
    pgorm_stmt *s = op->core_stmt_ref;
    if (s && strcmp(op->core_err.sqlstate, "26000") == 0) { /* invalid_sql_statement_name */
        if (s->state == STMT_FAILED && s->err.message) {
            pgorm_error_clear(&op->core_err);
            pgorm_error_copy(&op->core_err, &s->err);
        } else {
            stmt_detach(cn, s); /* deallocated behind our back: prepare again */
        }
    }
}

static void exec_result(pgorm_conn *cn, pgorm_op *op, PGresult *r, ExecStatusType st)
{
    switch (st) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_SINGLE_TUPLE:
        if (op->core_err.code == PGORM_OK && op->vt->result) {
            pgorm_error e = {0};
            op->core_results++;
            if (op->vt->result(op, r, &e) != 0) {
                if (e.code == PGORM_OK)
                    e.code = PGORM_ERR_DECODE;
                if (!e.message)
                    pgorm_error_set_static(&e, e.code);
                op->core_err = e;
            } else {
                pgorm_error_clear(&e);
            }
        }
        break;
    case PGRES_EMPTY_QUERY:
        break;
    case PGRES_PIPELINE_ABORTED:
        if (op->core_grouped && op->core_err.code == PGORM_OK) {
            op->core_retry = true; /* an earlier op of its group failed */
            break;
        }
        if (op->core_err.code == PGORM_OK)
            pgorm_error_set_static(&op->core_err, PGORM_ERR_PIPELINE_ABORTED);
        break;
    case PGRES_COPY_IN:
        /* Not supported through an op: end it, the server then fails it. */
        if (op->core_err.code == PGORM_OK)
            pgorm_error_set(&op->core_err, PGORM_ERR_INVALID,
                            "COPY FROM STDIN is not supported by this call");
        PQputCopyEnd(cn->conn, "COPY FROM STDIN is not supported by pgorm");
        break;
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH: {
        pgorm_error err = {0};
        pgorm_error_set(&err, PGORM_ERR_CONNECTION_LOST,
                        "connection closed: COPY TO STDOUT / replication is not supported "
                        "by this call");
        conn_fail_conn(cn, &err);
        break;
    }
    default:
        exec_error(cn, op, r);
        break;
    }
}

/* The head op's Sync arrived: it is complete. */
static void finish_head(pgorm_conn *cn)
{
    pgorm_op *op = op_list_pop(&cn->fly);
    cn->fly_bytes -= op->core_bytes < cn->fly_bytes ? op->core_bytes : cn->fly_bytes;
    if (!op->no_sync && !op->core_nosync && cn->fly_syncs)
        cn->fly_syncs--;
    /* The next op's Execute may now be libpq's current command: switch it
       to single-row mode before anything of it is parsed. */
    pgorm_op *next = cn->fly.head;
    if (next && next->single_row && next->core_state == ST_EXEC)
        PQsetSingleRowMode(cn->conn);
    if (cn->cancel_sent_for == op)
        cn->cancel_sent_for = NULL;
    if (op->core_retry) {
        /* skipped by the server: it never ran; send it again, alone */
        pipe_stmt_release(cn, op);
        op->core_retry = op->core_grouped = op->core_nosync = false;
        op->core_retried = true;
        op->core_state = 0;
        op->core_results = 0;
        op_list_push(&cn->wait, op);
    } else {
        conn_complete_op(cn, op, NULL);
    }
    if (next && cn->fly.head == next && cn->state == DB_READY)
        cancel_check_deadlines(cn); /* the next one runs now: is it overdue, or cancelled? */
}

static void on_result(pgorm_conn *cn, PGresult *r)
{
    pgorm_op *op = cn->fly.head;
    if (!r) {
        /* end of one command's results */
        if (++cn->null_streak > 1) {
            desync(cn, "two ends of results in a row");
            return;
        }
        if (op->core_state == ST_PREPARE) {
            op->core_state = ST_EXEC;
            if (op->single_row)
                PQsetSingleRowMode(cn->conn);
        } else if (op->core_state == ST_EXEC) {
            op->core_state = ST_SYNC;
            if (op->no_sync || op->core_nosync)
                finish_head(cn); /* no Sync of its own: its results ended */
        }
        return;
    }
    cn->null_streak = 0;
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        finish_head(cn);
        return;
    }
    if (op->core_state == ST_PREPARE)
        prepare_result(cn, op, r, st);
    else if (op->core_state == ST_EXEC)
        exec_result(cn, op, r, st);
    /* anything else before the Sync is ignored */
    PQclear(r);
}

/* Hand every complete result to its op, without blocking. */
static void drain(pgorm_conn *cn)
{
    while (cn->fly.head && cn->state == DB_READY && !cn->pool->free_requested) {
        if (PQstatus(cn->conn) == CONNECTION_BAD) {
            pipe_conn_lost(cn);
            return;
        }
        if (PQisBusy(cn->conn))
            return;
        on_result(cn, PQgetResult(cn->conn));
    }
}

/* Send what may be sent and hand out every complete result, until neither
   makes progress. Draining after sending matters: when the socket's send
   buffer is full, libpq reads the server's answers into its own buffer
   while it tries to write, and then the socket is no longer readable. */
void pipe_pump(pgorm_conn *cn)
{
    while (cn->state == DB_READY && !cn->pool->free_requested) {
        if (cn->pool->queue.head)
            pool_dispatch(cn->pool); /* room freed up: take ops waiting in the pool */
        size_t fly = cn->fly.n, wait = cn->wait.n;
        send_pending(cn);
        if (cn->state != DB_READY || cn->pool->free_requested)
            return;
        drain(cn);
        if (cn->fly.n == fly && cn->wait.n == wait)
            return;
    }
}

void pipe_on_readable(pgorm_conn *cn)
{
    if (!PQconsumeInput(cn->conn)) {
        pipe_conn_lost(cn);
        return;
    }
    listen_deliver(cn); /* notifications: to the subscribers, or dropped */
    if (cn->state != DB_READY || cn->pool->free_requested)
        return;
    if (cn->out_blocked && flush_out(cn) < 0)
        return;
    drain(cn);
    pipe_pump(cn);
    if (cn->state == DB_READY && !cn->pool->free_requested)
        listen_deliver(cn); /* read while results were drained */
}

void pipe_on_writable(pgorm_conn *cn)
{
    if (cn->out_blocked && flush_out(cn) < 0)
        return;
    pipe_pump(cn);
}
