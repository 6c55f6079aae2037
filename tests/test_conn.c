/* The connection core against a real PostgreSQL: pipelining, ordering,
 * errors (server, connect, timeout, lost connection), re-entrancy from
 * callbacks, the sync driver, and an out-of-memory walk.
 *
 * Most tests drive the core with the sync driver (pgorm_db_run_sync); the
 * event-loop adapters have their own file (test_adapters.c).
 */
#include "pgtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/conn.h" /* white box: one test looks at the socket */
#include "runtime/core/op.h"

static pgt_db g_db; /* one database for the file: tests use their own tables */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* A log of completions: each op has an index; callbacks must come once
   each and in index order.                                            */

typedef struct slot {
    int calls;
    pgorm_errcode code;
    char sqlstate[6];
    char msg[512];
    char constraint[64];
    char table[64];
    int position;
    int64_t count;  /* pgorm_exec's count */
    int64_t value;  /* first column of the last row (custom ops) */
    int single_rows;
    int whole_results;
} slot;

typedef struct oplog {
    slot *s;
    int n;
    int next;        /* index expected next */
    int out_of_order;
    int total_calls;
    void (*on_complete)(struct oplog *log, int idx); /* optional hook */
    void *user;
} oplog;

static oplog *log_new(int n)
{
    oplog *l = calloc(1, sizeof *l);
    l->s = calloc((size_t)n, sizeof *l->s);
    l->n = n;
    return l;
}

static void log_free(oplog *l)
{
    free(l->s);
    free(l);
}

static void log_record(oplog *l, int idx, const pgorm_error *err)
{
    assert_true(idx >= 0 && idx < l->n);
    slot *s = &l->s[idx];
    s->calls++;
    l->total_calls++;
    if (idx != l->next)
        l->out_of_order++;
    l->next = idx + 1;
    if (err) {
        assert_non_null(err->message); /* never NULL in a callback */
        s->code = err->code;
        snprintf(s->sqlstate, sizeof s->sqlstate, "%s", err->sqlstate);
        snprintf(s->msg, sizeof s->msg, "%s", err->message);
        snprintf(s->constraint, sizeof s->constraint, "%s", err->constraint ? err->constraint : "");
        snprintf(s->table, sizeof s->table, "%s", err->table ? err->table : "");
        s->position = err->position;
    } else {
        s->code = PGORM_OK;
    }
    if (l->on_complete)
        l->on_complete(l, idx);
}

/* pgorm_exec with a log slot */
typedef struct exec_ctx {
    oplog *log;
    int idx;
} exec_ctx;

static void exec_cb(int64_t count, const pgorm_error *err, void *ud)
{
    exec_ctx *c = ud;
    c->log->s[c->idx].count = count;
    log_record(c->log, c->idx, err);
}

/* A custom op through op.h (what crud.c builds): one optional text
   parameter, the first column of the last row kept. */
typedef struct tq {
    pgorm_op op;
    oplog *log;
    int idx;
    bool fail_result;
    char arg[32];
    const char *vals[1];
} tq;

static int tq_result(pgorm_op *op, const PGresult *res, pgorm_error *err)
{
    tq *q = (tq *)op;
    slot *s = &q->log->s[q->idx];
    if (PQresultStatus(res) == PGRES_SINGLE_TUPLE)
        s->single_rows++;
    else
        s->whole_results++;
    int n = PQntuples(res);
    if (n > 0 && PQnfields(res) > 0 && !PQgetisnull(res, n - 1, 0))
        s->value = strtoll(PQgetvalue(res, n - 1, 0), NULL, 10);
    if (q->fail_result) {
        pgorm_error_set(err, PGORM_ERR_DECODE, "test: cannot decode row %d", n);
        return -1;
    }
    return 0;
}

static void tq_complete(pgorm_op *op, const pgorm_error *err)
{
    tq *q = (tq *)op;
    oplog *log = q->log;
    int idx = q->idx;
    pgorm_op_release(op);
    pgorm_free(q);
    log_record(log, idx, err);
}

static const pgorm_op_vtbl tq_vt = {tq_result, tq_complete};

static tq *tq_new(oplog *log, int idx, const char *sql, const char *arg, bool prepare)
{
    tq *q = pgorm_calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pgorm_op_init(&q->op, &tq_vt);
    q->log = log;
    q->idx = idx;
    q->op.sql = pgorm_strdup(sql);
    q->op.prepare = prepare;
    if (arg) {
        snprintf(q->arg, sizeof q->arg, "%s", arg);
        q->vals[0] = q->arg;
        q->op.nparams = 1;
        q->op.param_values = q->vals;
    }
    return q;
}

static void tq_submit(pgorm_db *db, oplog *log, int idx, const char *sql, const char *arg,
                      bool prepare)
{
    tq *q = tq_new(log, idx, sql, arg, prepare);
    assert_non_null(q);
    pgorm_db_submit(db, &q->op);
}

static pgorm_db *connect_ok(void)
{
    return pgt_pgorm_connect(g_db.conninfo);
}

/* A TCP port on 127.0.0.1 where nothing listens. */
static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

/* A listener on 127.0.0.1 that never accepts or answers: the TCP handshake
   completes (the kernel does it) and the server then stays silent, like a
   host that black-holes the session. *port receives its port. */
static int silent_listener(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 16), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return s;
}

/* ------------------------------------------------------------------ */
/* Basics.                                                             */

static void test_connect_and_exec(void **state)
{
    (void)state;
    pgorm_db *db = connect_ok();
    assert_true(pgorm_db_connected(db));
    assert_int_equal(pgorm_db_pending(db), 0);
    int64_t count = -1;
    pgorm_error err;
    assert_int_equal(pgorm_exec_sync(db, "SELECT 1 UNION ALL SELECT 2", 0, NULL, &count, &err), 0);
    assert_int_equal(count, 2);
    const char *p[] = {"7", NULL};
    assert_int_equal(pgorm_exec_sync(db, "SELECT $1::int WHERE $2::text IS NULL", 2, p, &count,
                                     &err),
                     0);
    assert_int_equal(count, 1);
    /* run_sync with nothing queued returns at once */
    assert_int_equal(pgorm_db_run_sync(db, 1000), 0);
    pgorm_db_free(db);
}

/* Where the suite's connections go: straight to the server, or (with
   scripts/test.sh --pgbouncer) through PgBouncer in transaction pool mode,
   as PgBouncer's own console reports. */
static void test_where_connections_go(void **state)
{
    (void)state;
    if (!pgt_pooled()) {
        assert_string_equal(g_db.conninfo, g_db.direct);
        return;
    }
    assert_string_not_equal(g_db.conninfo, g_db.direct);
    pgorm_db *db = connect_ok();
    char ci[1200];
    snprintf(ci, sizeof ci, "%s dbname=pgbouncer", pgt_pooler_conninfo());
    PGconn *console = PQconnectdb(ci);
    assert_int_equal(PQstatus(console), CONNECTION_OK);
    PGresult *r = PQexec(console, "SHOW CONFIG");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    bool transaction_mode = false;
    for (int i = 0; i < PQntuples(r); i++)
        if (!strcmp(PQgetvalue(r, i, 0), "pool_mode"))
            transaction_mode = !strcmp(PQgetvalue(r, i, 1), "transaction");
    PQclear(r);
    assert_true(transaction_mode);
    r = PQexec(console, "SHOW CLIENTS");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    int col = PQfnumber(r, "database"), mine = 0;
    assert_true(col >= 0);
    for (int i = 0; i < PQntuples(r); i++)
        mine += !strcmp(PQgetvalue(r, i, col), g_db.name);
    PQclear(r);
    assert_true(mine >= 1); /* the handle above is PgBouncer's client */
    PQfinish(console);
    pgorm_db_free(db);
}

/* The conninfo of the test database as a postgresql:// URI. */
static void make_uri(char *out, size_t size)
{
    char *msg = NULL;
    PQconninfoOption *o = PQconninfoParse(g_db.conninfo, &msg);
    assert_non_null(o);
    const char *host = NULL, *port = NULL, *user = NULL, *dbname = NULL;
    for (PQconninfoOption *i = o; i->keyword; i++) {
        if (!i->val)
            continue;
        if (!strcmp(i->keyword, "host"))
            host = i->val;
        else if (!strcmp(i->keyword, "port"))
            port = i->val;
        else if (!strcmp(i->keyword, "user"))
            user = i->val;
        else if (!strcmp(i->keyword, "dbname"))
            dbname = i->val;
    }
    snprintf(out, size, "postgresql://%s@/%s?host=%s&port=%s", user ? user : "postgres",
             dbname ? dbname : "postgres", host ? host : "/tmp", port ? port : "5432");
    PQconninfoFree(o);
}

static void test_connect_uri(void **state)
{
    (void)state;
    char uri[1200];
    make_uri(uri, sizeof uri);
    pgorm_db *db = pgt_pgorm_connect(uri);
    int64_t count = 0;
    assert_int_equal(pgorm_exec_sync(db, "SELECT current_database()", 0, NULL, &count, NULL), 0);
    assert_int_equal(count, 1);
    pgorm_db_free(db);
}

/* 1000 ops queued at once (more than may be in flight): each callback once,
   in order, with the right value; one prepared statement for one SQL text. */
static void test_1000_in_order(void **state)
{
    (void)state;
    pgorm_db *db = connect_ok();
    const int N = 1000;
    oplog *log = log_new(N + 1);
    exec_ctx *ctx = calloc((size_t)N, sizeof *ctx);
    char arg[32];
    for (int i = 0; i < N; i++) {
        snprintf(arg, sizeof arg, "%d", i);
        if (i % 2 == 0) {
            tq_submit(db, log, i, "SELECT $1::int4 * 2", arg, true);
        } else {
            ctx[i] = (exec_ctx){log, i};
            const char *p[] = {arg};
            pgorm_exec(db, "SELECT $1::int4 * 2 UNION ALL SELECT 0", 1, p, exec_cb, &ctx[i]);
        }
    }
    assert_int_equal(log->total_calls, 0); /* nothing completes inside a submit */
    assert_int_equal(pgorm_db_pending(db), (size_t)N);
    tq_submit(db, log, N, "SELECT count(*) FROM pg_prepared_statements", NULL, false);
    assert_int_equal(pgorm_db_run_sync(db, 30000), 0);
    assert_int_equal(pgorm_db_pending(db), 0);
    assert_int_equal(log->total_calls, N + 1);
    assert_int_equal(log->out_of_order, 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(log->s[i].calls, 1);
        assert_int_equal(log->s[i].code, PGORM_OK);
        if (i % 2 == 0)
            assert_int_equal(log->s[i].value, 2 * i);
        else
            assert_int_equal(log->s[i].count, 2);
    }
    /* one SQL text, prepared once (none: unnamed statements, through PgBouncer) */
    assert_int_equal(log->s[N].value, pgt_pooled() ? 0 : 1);
    free(ctx);
    log_free(log);
    pgorm_db_free(db);
}

/* The send buffer fills while the server is busy (each small op is its own
   send(), and a unix socket charges each its full overhead; a few big
   parameters do the rest). libpq then reads the server's answers inside its
   own writes, so the socket is no longer readable: the core must still hand
   out the results libpq already holds. Driven by hand through the hooks, so
   the order of events is fixed: op 0's answer is in the socket before the
   buffer fills. */
static void nop_fd(void *d, int fd)
{
    (void)d;
    (void)fd;
}
static void nop(void *d)
{
    (void)d;
}
static void nop_timer(void *d, long ms)
{
    (void)d;
    (void)ms;
}

static void test_full_send_buffer(void **state)
{
    (void)state;
    /* straight to the server, pipelining unlimited: it fills the socket's
       send buffer with statements in flight */
    pgorm_db *db = pgorm_db_new(NULL);
    pgorm_db_set_hooks(db, &(pgorm_loop_hooks){NULL, nop_fd, nop, nop, nop, nop, nop_timer, nop});
    assert_int_equal(pgorm_db_connect_sync(db, g_db.direct, NULL), 0);
    enum { N = 400, BIG = 64 * 1024 };
    oplog *log = log_new(N);
    exec_ctx *ctx = calloc(N, sizeof *ctx);
    char *big = malloc(BIG + 1);
    memset(big, 'x', BIG);
    big[BIG] = '\0';
    ctx[0] = (exec_ctx){log, 0};
    pgorm_exec(db, "SELECT 1", 0, NULL, exec_cb, &ctx[0]);
    ctx[1] = (exec_ctx){log, 1};
    pgorm_exec(db, "SELECT pg_sleep(2)", 0, NULL, exec_cb, &ctx[1]);
    pgorm_db_handle_write(db); /* sends both */
    /* wait until op 0's answer is in the socket (white box: the core's fd);
       the server then sleeps in op 1 */
    struct pollfd pfd = {.fd = db->conns[0]->fd, .events = POLLIN, .revents = 0};
    assert_int_equal(poll(&pfd, 1, 10000), 1);
    for (int i = 2; i < N; i++) {
        ctx[i] = (exec_ctx){log, i};
        const char *p[] = {i % 40 == 0 ? big : "small"};
        pgorm_exec(db, "SELECT length($1::text)", 1, p, exec_cb, &ctx[i]);
    }
    assert_int_equal(log->total_calls, 0);
    pgorm_db_handle_write(db); /* fills the send buffer */
    assert_int_equal(log->s[0].calls, 1); /* handed out at once */
    assert_int_equal(log->s[1].calls, 0);
    free(big);
    assert_int_equal(pgorm_db_run_sync(db, 30000), 0);
    assert_int_equal(log->total_calls, N);
    assert_int_equal(log->out_of_order, 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(log->s[i].code, PGORM_OK);
    assert_int_equal(log->s[40].count, 1);
    free(ctx);
    log_free(log);
    pgorm_db_free(db);
}

/* An error in the middle of a pipeline fails that op alone. */
static void test_error_mid_pipeline(void **state)
{
    (void)state;
    pgorm_db *db = connect_ok();
    oplog *log = log_new(10);
    exec_ctx ctx[5];
    const char *sqls[5] = {"SELECT 1", "SELECT 2", "SELECT 1/0", "SELECT 3", "SELECT 4"};
    for (int i = 0; i < 5; i++) {
        ctx[i] = (exec_ctx){log, i};
        pgorm_exec(db, sqls[i], 0, NULL, exec_cb, &ctx[i]);
    }
    /* the same through prepared statements */
    tq_submit(db, log, 5, "SELECT $1::int + 1", "1", true);
    tq_submit(db, log, 6, "SELECT 10 / $1::int", "0", true);
    tq_submit(db, log, 7, "SELECT 10 / $1::int", "5", true);
    tq_submit(db, log, 8, "SELECT $1::int + 1", "8", true);
    /* a result callback that fails fails its op alone */
    tq *bad = tq_new(log, 9, "SELECT 1", NULL, false);
    bad->fail_result = true;
    pgorm_db_submit(db, &bad->op);
    assert_int_equal(pgorm_db_run_sync(db, 10000), 0);
    assert_int_equal(log->out_of_order, 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(log->s[i].calls, 1);
    assert_int_equal(log->s[0].code, PGORM_OK);
    assert_int_equal(log->s[1].code, PGORM_OK);
    assert_int_equal(log->s[2].code, PGORM_ERR_SERVER);
    assert_string_equal(log->s[2].sqlstate, "22012"); /* division_by_zero */
    assert_non_null(strstr(log->s[2].msg, "division by zero"));
    assert_int_equal(log->s[3].code, PGORM_OK);
    assert_int_equal(log->s[4].code, PGORM_OK);
    assert_int_equal(log->s[5].value, 2);
    assert_int_equal(log->s[6].code, PGORM_ERR_SERVER);
    assert_string_equal(log->s[6].sqlstate, "22012");
    assert_int_equal(log->s[7].code, PGORM_OK);
    assert_int_equal(log->s[7].value, 2);
    assert_int_equal(log->s[8].value, 9);
    assert_int_equal(log->s[9].code, PGORM_ERR_DECODE);
    assert_non_null(strstr(log->s[9].msg, "cannot decode"));
    log_free(log);
    pgorm_db_free(db);
}

/* A statement whose Parse fails: every op that used it (also those sent
   before the failure was known) reports the Parse error, not "prepared
   statement does not exist"; later ops prepare it again. */
static void test_prepare_failure(void **state)
{
    (void)state;
    pgorm_db *db = connect_ok();
    oplog *log = log_new(6);
    tq_submit(db, log, 0, "SELEC $1::int", "1", true);
    tq_submit(db, log, 1, "SELECT $1::int", "1", true);
    tq_submit(db, log, 2, "SELEC $1::int", "2", true);
    tq_submit(db, log, 3, "SELEC $1::int", "3", true);
    tq_submit(db, log, 4, "SELECT $1::int", "4", true);
    assert_int_equal(pgorm_db_run_sync(db, 10000), 0);
    tq_submit(db, log, 5, "SELEC $1::int", "5", true);
    assert_int_equal(pgorm_db_run_sync(db, 10000), 0);
    assert_int_equal(log->out_of_order, 0);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(log->s[i].calls, 1);
        if (i == 1 || i == 4) {
            assert_int_equal(log->s[i].code, PGORM_OK);
            assert_int_equal(log->s[i].value, i);
        } else {
            assert_int_equal(log->s[i].code, PGORM_ERR_SERVER);
            assert_string_equal(log->s[i].sqlstate, "42601"); /* syntax_error */
            assert_true(log->s[i].position > 0);
        }
    }
    log_free(log);
    pgorm_db_free(db);
}

/* Single-row mode: one PGRES_SINGLE_TUPLE per row, then an empty
   TUPLES_OK; mixed with whole-result and prepared ops in one pipeline. */
static void test_single_row(void **state)
{
    (void)state;
    pgorm_db *db = connect_ok();
    oplog *log = log_new(5);
    const char *sql = "SELECT g FROM generate_series(1, $1::int) g";
    for (int i = 0; i < 5; i++) {
        tq *q = tq_new(log, i, sql, "5", i >= 3);
        q->op.single_row = i != 1;
        pgorm_db_submit(db, &q->op);
    }
    assert_int_equal(pgorm_db_run_sync(db, 10000), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(log->s[i].calls, 1);
        assert_int_equal(log->s[i].code, PGORM_OK);
        assert_int_equal(log->s[i].value, 5);
        if (i == 1) {
            assert_int_equal(log->s[i].single_rows, 0);
            assert_int_equal(log->s[i].whole_results, 1);
        } else {
            assert_int_equal(log->s[i].single_rows, 5);
            assert_int_equal(log->s[i].whole_results, 1); /* the final empty TUPLES_OK */
        }
    }
    log_free(log);
    pgorm_db_free(db);
}

/* ------------------------------------------------------------------ */
/* Connection errors.                                                  */

static void test_connect_refused(void **state)
{
    (void)state;
    char ci[256];
    snprintf(ci, sizeof ci, "host=127.0.0.1 port=%d user=nobody dbname=none sslmode=disable",
             closed_port());
    pgorm_db *db = pgt_db_new(NULL);
    pgorm_error err;
    int64_t t0 = now_ms();
    assert_int_equal(pgorm_db_connect_sync(db, ci, &err), -1);
    assert_true(now_ms() - t0 < 3000);
    assert_int_equal(err.code, PGORM_ERR_CONNECT);
    assert_non_null(strstr(err.message, "127.0.0.1"));
    assert_null(strchr(err.message + strlen(err.message) - 1, '\n')); /* trimmed */
    pgorm_error_clear(&err);
    assert_false(pgorm_db_connected(db));
    pgorm_db_free(db);
}

static void on_connect_rec(pgorm_db *db, const pgorm_error *err, void *ud)
{
    (void)db;
    slot *s = ud;
    s->calls++;
    s->code = err ? err->code : PGORM_OK;
    if (err)
        snprintf(s->msg, sizeof s->msg, "%s", err->message);
}

/* A server that accepts the TCP connection and never answers: the connect
   timeout fires (through the sync driver's poll timeout). Ops queued while
   connecting fail with the same error. */
static void test_connect_timeout(void **state)
{
    (void)state;
    int port;
    int ls = silent_listener(&port);
    char ci[256];
    snprintf(ci, sizeof ci, "host=127.0.0.1 port=%d user=nobody dbname=none", port);
    pgorm_db *db = pgt_db_new(&(pgorm_db_options){.connect_timeout_ms = 500});
    slot conn = {0};
    oplog *log = log_new(1);
    exec_ctx c0 = {log, 0};
    int64_t t0 = now_ms();
    pgorm_db_connect(db, ci, on_connect_rec, &conn);
    pgorm_exec(db, "SELECT 1", 0, NULL, exec_cb, &c0);
    assert_int_equal(conn.calls, 0);
    assert_int_equal(pgorm_db_run_sync(db, -1), -1);
    int64_t dt = now_ms() - t0;
    assert_true(dt >= 400);
    assert_true(dt < 3000);
    assert_int_equal(conn.calls, 1);
    assert_int_equal(conn.code, PGORM_ERR_TIMEOUT);
    assert_non_null(strstr(conn.msg, "500 ms"));
    assert_int_equal(log->s[0].calls, 1);
    assert_int_equal(log->s[0].code, PGORM_ERR_TIMEOUT);
    pgorm_db_free(db);
    log_free(log);
    close(ls);
}

/* pipeline_depth: at most that many statements in flight. In the callback
   of statement i the server's last statement on the connection (as
   pg_stat_activity shows it) is i, or one sent after it within the depth. */
typedef struct depth_probe {
    PGconn *admin;
    int calls, worst; /* worst: most statements seen past the one completing */
    bool bad;
} depth_probe;

typedef struct depth_ctx {
    depth_probe *p;
    int i;
} depth_ctx;

static void depth_cb(int64_t count, const pgorm_error *err, void *ud)
{
    depth_ctx *c = ud;
    c->p->calls++;
    if (err || count != 1) {
        c->p->bad = true;
        return;
    }
    char *q = pgt_query_text(c->p->admin, "SELECT query FROM pg_stat_activity WHERE "
                                          "application_name = 'pgorm_depth' AND datname = "
                                          "current_database()");
    int seen = -1;
    if (!q || sscanf(q, "SELECT %d AS depth_probe", &seen) != 1 || seen < c->i)
        c->p->bad = true;
    else if (seen - c->i > c->p->worst)
        c->p->worst = seen - c->i;
    free(q);
}

static int run_depth(int depth)
{
    char ci[1200];
    pgt_conninfo_with(ci, sizeof ci, g_db.direct, "application_name", "pgorm_depth");
    pgorm_db *db = pgorm_db_new(&(pgorm_db_options){.pipeline_depth = depth});
    pgorm_error err;
    pgt_ok(pgorm_db_connect_sync(db, ci, &err), &err, "connect");
    enum { N = 40 };
    depth_probe p = {pgt_connect(g_db.direct), 0, 0, false};
    depth_ctx ctx[N];
    char sql[N][48];
    for (int i = 0; i < N; i++) {
        ctx[i] = (depth_ctx){&p, i};
        snprintf(sql[i], sizeof sql[i], "SELECT %d AS depth_probe", i);
        pgorm_exec(db, sql[i], 0, NULL, depth_cb, &ctx[i]);
    }
    assert_int_equal(pgorm_db_run_sync(db, 10000), 0);
    assert_int_equal(p.calls, N);
    assert_false(p.bad);
    PQfinish(p.admin);
    pgorm_db_free(db);
    return p.worst;
}

static void test_pipeline_depth(void **state)
{
    (void)state;
    assert_int_equal(run_depth(1), 0); /* each waits for the one before */
    assert_true(run_depth(3) <= 2);
    /* the probe sees a pipeline: without a limit the server is ahead */
    assert_true(run_depth(0) > 2);
}

static void test_bad_conninfo(void **state)
{
    (void)state;
    pgorm_db *db = pgt_db_new(NULL);
    pgorm_error err;
    assert_int_equal(pgorm_db_connect_sync(db, "host=localhost port", &err), -1);
    assert_int_equal(err.code, PGORM_ERR_CONNECT);
    assert_non_null(strstr(err.message, "invalid connection string"));
    pgorm_error_clear(&err);
    pgorm_db_free(db);

    db = pgt_db_new(NULL);
    assert_int_equal(pgorm_db_connect_sync(db, "postgresql://host:notaport/db", &err), -1);
    assert_int_equal(err.code, PGORM_ERR_CONNECT);
    pgorm_error_clear(&err);
    pgorm_db_free(db);

    /* the listening connection's string is checked with the pool's */
    db = pgorm_db_new(&(pgorm_db_options){.listen_conninfo = "host=localhost port"});
    assert_int_equal(pgorm_db_connect_sync(db, g_db.conninfo, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_CONNECT);
    assert_non_null(strstr(err.message, "invalid connection string (options.listen_conninfo)"));
    pgorm_error_clear(&err);
    pgorm_db_free(db);

    /* async: the callback never runs inside pgorm_db_connect, queued ops
       get the same error, and a second connect on one handle is refused */
    db = pgt_db_new(NULL);
    slot c1 = {0}, c2 = {0};
    oplog *log = log_new(1);
    exec_ctx e0 = {log, 0};
    pgorm_exec(db, "SELECT 1", 0, NULL, exec_cb, &e0);
    pgorm_db_connect(db, "nonsense", on_connect_rec, &c1);
    pgorm_db_connect(db, g_db.conninfo, on_connect_rec, &c2);
    assert_int_equal(c1.calls + c2.calls + log->total_calls, 0);
    assert_int_equal(pgorm_db_run_sync(db, 5000), -1);
    assert_int_equal(c1.calls, 1);
    assert_int_equal(c1.code, PGORM_ERR_CONNECT);
    assert_int_equal(c2.calls, 1);
    assert_int_equal(c2.code, PGORM_ERR_INVALID);
    assert_int_equal(log->s[0].calls, 1);
    assert_int_equal(log->s[0].code, PGORM_ERR_CONNECT);
    log_free(log);
    pgorm_db_free(db);
}

/* ------------------------------------------------------------------ */
/* Server errors carry what a person needs.                            */

static void test_unique_violation(void **state)
{
    (void)state;
    pgorm_db *db = connect_ok();
    pgorm_error err;
    assert_int_equal(pgorm_exec_sync(db,
                                     "CREATE TABLE person (id serial PRIMARY KEY, email text "
                                     "CONSTRAINT person_email_key UNIQUE, age int)",
                                     0, NULL, NULL, &err),
                     0);
    const char *p[] = {"a@example.com"};
    int64_t count = 0;
    assert_int_equal(pgorm_exec_sync(db, "INSERT INTO person (email) VALUES ($1)", 1, p, &count,
                                     &err),
                     0);
    assert_int_equal(count, 1);
    assert_int_equal(pgorm_exec_sync(db, "INSERT INTO person (email) VALUES ($1)", 1, p, &count,
                                     &err),
                     -1);
    assert_int_equal(err.code, PGORM_ERR_SERVER);
    assert_string_equal(err.sqlstate, "23505");
    assert_non_null(err.constraint);
    assert_string_equal(err.constraint, "person_email_key");
    assert_non_null(err.table);
    assert_string_equal(err.table, "person");
    assert_non_null(err.schema);
    assert_non_null(err.detail);
    assert_non_null(strstr(err.detail, "a@example.com"));
    assert_non_null(strstr(err.message, "duplicate key"));
    /* copy outlives the original */
    pgorm_error copy;
    assert_int_equal(pgorm_error_copy(&copy, &err), 0);
    pgorm_error_clear(&err);
    assert_string_equal(copy.constraint, "person_email_key");
    assert_string_equal(pgorm_errcode_name(copy.code), "PGORM_ERR_SERVER");
    pgorm_error_clear(&copy);
    /* the program goes on */
    assert_int_equal(pgorm_exec_sync(db, "SELECT count(*) FROM person", 0, NULL, &count, &err),
                     0);
    assert_int_equal(count, 1);
    pgorm_exec_sync(db, "DROP TABLE person", 0, NULL, NULL, NULL);
    pgorm_db_free(db);
}

static void test_type_mismatch(void **state)
{
    (void)state;
    pgorm_db *db = connect_ok();
    pgorm_error err;
    assert_int_equal(pgorm_exec_sync(db, "CREATE TABLE tm (n int)", 0, NULL, NULL, &err), 0);
    assert_int_equal(pgorm_exec_sync(db, "INSERT INTO tm (n) VALUES (true)", 0, NULL, NULL, &err),
                     -1);
    assert_int_equal(err.code, PGORM_ERR_SERVER);
    assert_string_equal(err.sqlstate, "42804"); /* datatype_mismatch */
    assert_non_null(strstr(err.message, "integer"));
    assert_true(err.position > 0);
    assert_non_null(err.hint);
    pgorm_error_clear(&err);
    const char *p[] = {"abc"};
    assert_int_equal(pgorm_exec_sync(db, "INSERT INTO tm (n) VALUES ($1)", 1, p, NULL, &err), -1);
    assert_string_equal(err.sqlstate, "22P02"); /* invalid_text_representation */
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_exec_sync(db, "DROP TABLE tm", 0, NULL, NULL, &err), 0);
    pgorm_db_free(db);
}

/* Errors of every kind on one connection, each followed by work that
   succeeds: the connection stays usable. */
static void test_goes_on_after_errors(void **state)
{
    (void)state;
    pgorm_db *db = connect_ok();
    pgorm_error err;
    int64_t count;
    const char *bad[] = {"SELEC 1", "SELECT * FROM no_such_table", "SELECT 1/0",
                         "SELECT 'x'::int", "SELECT $1::int", NULL};
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(pgorm_exec_sync(db, bad[i], 0, NULL, &count, &err), -1);
        assert_int_equal(err.code, PGORM_ERR_SERVER);
        assert_true(strlen(err.sqlstate) == 5);
        pgorm_error_clear(&err);
        assert_int_equal(pgorm_exec_sync(db, "SELECT 42", 0, NULL, &count, &err), 0);
        assert_int_equal(count, 1);
    }
    /* an error inside a transaction: later statements fail until ROLLBACK */
    pgorm_db *tx = NULL;
    assert_int_equal(pgorm_begin_sync(db, NULL, &tx, &err), 0);
    assert_int_equal(pgorm_exec_sync(tx, "SELECT 1/0", 0, NULL, NULL, &err), -1);
    assert_string_equal(err.sqlstate, "22012");
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_exec_sync(tx, "SELECT 1", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_TX_ABORTED);
    assert_non_null(strstr(err.message, "division by zero"));
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_rollback_sync(tx, &err), 0);
    assert_int_equal(pgorm_exec_sync(db, "SELECT 1", 0, NULL, &count, &err), 0);
    /* transaction control through pgorm_exec is refused */
    assert_int_equal(pgorm_exec_sync(db, "  begin", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "pgorm_begin"));
    pgorm_error_clear(&err);
    /* bad arguments are errors too, delivered without crashing */
    assert_int_equal(pgorm_exec_sync(db, NULL, 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_exec_sync(db, "SELECT 1", 1, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    pgorm_error_clear(&err);
    assert_true(pgorm_db_connected(db));
    pgorm_db_free(db);
}

/* ------------------------------------------------------------------ */
/* Re-entrancy.                                                        */

typedef struct chain {
    pgorm_db *db;
    int done;
    int limit;
} chain;

static void chain_cb(int64_t count, const pgorm_error *err, void *ud)
{
    chain *c = ud;
    assert_null(err);
    assert_int_equal(count, 1);
    if (++c->done < c->limit)
        pgorm_exec(c->db, "SELECT 1", 0, NULL, chain_cb, c);
}

static void test_submit_from_callback(void **state)
{
    (void)state;
    chain c = {connect_ok(), 0, 200};
    pgorm_exec(c.db, "SELECT 1", 0, NULL, chain_cb, &c);
    assert_int_equal(pgorm_db_run_sync(c.db, 10000), 0);
    assert_int_equal(c.done, 200);
    pgorm_db_free(c.db);
}

static void free_at_3(oplog *log, int idx)
{
    if (idx != 3)
        return;
    pgorm_db *db = log->user;
    pgorm_db_free(db); /* only marked: still usable until the callback returns */
    assert_false(pgorm_db_connected(db));
    /* a _sync call here returns the error instead of waiting */
    pgorm_error err;
    assert_int_equal(pgorm_exec_sync(db, "SELECT 1", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_CLOSED);
    pgorm_error_clear(&err);
    /* submitting after free (inside the same callback) fails cleanly */
    static exec_ctx late;
    late = (exec_ctx){log, 10};
    pgorm_exec(db, "SELECT 1", 0, NULL, exec_cb, &late);
    assert_int_equal(log->s[10].calls, 0); /* not inside the call */
}

static void test_free_in_callback(void **state)
{
    (void)state;
    pgorm_db *db = connect_ok();
    oplog *log = log_new(11);
    log->user = db;
    log->on_complete = free_at_3;
    exec_ctx ctx[10];
    for (int i = 0; i < 10; i++) {
        ctx[i] = (exec_ctx){log, i};
        pgorm_exec(db, "SELECT pg_sleep(0.001)", 0, NULL, exec_cb, &ctx[i]);
    }
    /* the handle is gone when this returns: not touched again */
    assert_int_equal(pgorm_db_run_sync(db, 10000), -1);
    assert_int_equal(log->total_calls, 11);
    assert_int_equal(log->out_of_order, 0);
    for (int i = 0; i < 11; i++)
        assert_int_equal(log->s[i].calls, 1);
    for (int i = 0; i <= 3; i++)
        assert_int_equal(log->s[i].code, PGORM_OK);
    for (int i = 4; i < 11; i++) {
        assert_int_equal(log->s[i].code, PGORM_ERR_CLOSED);
        assert_non_null(strstr(log->s[i].msg, "pgorm_db_free"));
    }
    log_free(log);
}

static void free_in_connect(pgorm_db *db, const pgorm_error *err, void *ud)
{
    slot *s = ud;
    s->calls++;
    s->code = err ? err->code : PGORM_OK;
    pgorm_db_free(db);
}

static void test_free_in_connect_callback(void **state)
{
    (void)state;
    pgorm_db *db = pgt_db_new(NULL);
    slot conn = {0};
    oplog *log = log_new(2);
    exec_ctx e[2] = {{log, 0}, {log, 1}};
    pgorm_exec(db, "SELECT 1", 0, NULL, exec_cb, &e[0]);
    pgorm_db_connect(db, g_db.conninfo, free_in_connect, &conn);
    pgorm_exec(db, "SELECT 2", 0, NULL, exec_cb, &e[1]);
    assert_int_equal(pgorm_db_run_sync(db, 10000), -1);
    assert_int_equal(conn.calls, 1);
    assert_int_equal(conn.code, PGORM_OK);
    assert_int_equal(log->total_calls, 2);
    assert_int_equal(log->s[0].code, PGORM_ERR_CLOSED);
    assert_int_equal(log->s[1].code, PGORM_ERR_CLOSED);
    log_free(log);
}

/* A callback run by the teardown may still call a _sync function. */
static void sync_in_teardown(oplog *log, int idx)
{
    if (idx != 5)
        return;
    pgorm_error err;
    int64_t n = -1;
    assert_int_equal(pgorm_exec_sync(log->user, "SELECT 1", 0, NULL, &n, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_CLOSED);
    assert_int_equal(n, 0);
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_db_run_sync(log->user, 100), -1);
}

/* Freed outside any callback with ops queued and in flight: every callback
   runs once, with PGORM_ERR_CLOSED, inside pgorm_db_free. */
static void test_free_with_pending(void **state)
{
    (void)state;
    pgorm_db *db = connect_ok();
    oplog *log = log_new(20);
    log->user = db;
    log->on_complete = sync_in_teardown;
    exec_ctx ctx[20];
    for (int i = 0; i < 20; i++) {
        ctx[i] = (exec_ctx){log, i};
        pgorm_exec(db, "SELECT pg_sleep(0.01)", 0, NULL, exec_cb, &ctx[i]);
    }
    pgorm_db_free(db);
    assert_int_equal(log->total_calls, 20);
    assert_int_equal(log->out_of_order, 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(log->s[i].code, PGORM_ERR_CLOSED);
    log_free(log);
}

static void test_submit_after_failure(void **state)
{
    (void)state;
    char ci[256];
    snprintf(ci, sizeof ci, "host=127.0.0.1 port=%d sslmode=disable", closed_port());
    pgorm_db *db = pgt_db_new(NULL);
    assert_int_equal(pgorm_db_connect_sync(db, ci, NULL), -1);
    oplog *log = log_new(1);
    exec_ctx e = {log, 0};
    pgorm_exec(db, "SELECT 1", 0, NULL, exec_cb, &e);
    assert_int_equal(log->total_calls, 0); /* next turn, not inside the call */
    assert_int_equal(pgorm_db_pending(db), 1);
    pgorm_db_run_sync(db, 1000);
    assert_int_equal(log->s[0].calls, 1);
    assert_int_equal(log->s[0].code, PGORM_ERR_CLOSED);
    assert_non_null(strstr(log->s[0].msg, "closed"));
    pgorm_error err;
    assert_int_equal(pgorm_exec_sync(db, "SELECT 1", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_CLOSED);
    pgorm_error_clear(&err);
    log_free(log);
    pgorm_db_free(db);

    /* never connected: the sync driver fails what waits instead of hanging */
    db = pgt_db_new(NULL);
    assert_int_equal(pgorm_exec_sync(db, "SELECT 1", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_CLOSED);
    assert_non_null(strstr(err.message, "pgorm_db_connect"));
    pgorm_error_clear(&err);
    pgorm_db_free(db);
}

/* ------------------------------------------------------------------ */
/* The server terminates the backend mid-pipeline: the pool replaces it. */

typedef struct killer {
    PGconn *admin;
    pgorm_db *db;
    int late_calls;
    pgorm_errcode late_code;
} killer;

static void late_cb(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    killer *k = ud;
    k->late_calls++;
    k->late_code = err ? err->code : PGORM_OK;
}

static void kill_after_first(oplog *log, int idx)
{
    killer *k = log->user;
    if (idx == 0) {
        assert_int_equal(log->s[0].code, PGORM_OK);
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)",
                 (long long)log->s[0].value);
        assert_int_equal(pgt_query_int(k->admin, "SELECT 1"), 1);
        char *t = pgt_query_text(k->admin, sql);
        assert_string_equal(t, "t");
        free(t);
    } else if (idx == 1) {
        /* a callback of a lost op may submit more: it waits for the new connection */
        pgorm_exec(k->db, "SELECT 1", 0, NULL, late_cb, k);
    }
}

static void test_backend_terminated(void **state)
{
    (void)state;
    /* straight to the server (default options): it terminates the
       handle's backend */
    pgorm_db *db = pgorm_db_new(NULL);
    pgorm_error cerr;
    pgt_ok(pgorm_db_connect_sync(db, g_db.direct, &cerr), &cerr, "connect");
    killer k = {pgt_connect(g_db.direct), db, 0, PGORM_OK};
    const int N = 600; /* more than may be in flight: some are still queued */
    oplog *log = log_new(N);
    log->user = &k;
    log->on_complete = kill_after_first;
    tq_submit(db, log, 0, "SELECT pg_backend_pid()", NULL, false);
    tq_submit(db, log, 1, "SELECT pg_sleep(5)", NULL, false);
    for (int i = 2; i < N; i++)
        tq_submit(db, log, i, "SELECT pg_sleep(0.01)", NULL, i % 2 == 0);
    int64_t t0 = now_ms();
    /* the lost ops fail; the one issued from a callback then waits for the
       connection to be replaced, and runs */
    assert_int_equal(pgorm_db_run_sync(db, 20000), 0);
    assert_true(now_ms() - t0 < 4000); /* noticed at once, not after the sleep */
    assert_int_equal(log->total_calls, N);
    assert_int_equal(log->out_of_order, 0);
    assert_int_equal(log->s[0].calls, 1);
    /* those sent fail once (they may have run: never retried); those that
       were still unsent run on the new connection */
    int lost = 0, ran = 0;
    for (int i = 1; i < N; i++) {
        assert_int_equal(log->s[i].calls, 1);
        if (log->s[i].code == PGORM_ERR_CONNECTION_LOST)
            lost++;
        else if (log->s[i].code == PGORM_OK)
            ran++;
        if (log->s[i].code == PGORM_OK)
            for (int j = i + 1; j < N; j++) /* sent ones come first */
                assert_true(log->s[j].calls == 0 || log->s[j].code != PGORM_ERR_CONNECTION_LOST);
    }
    assert_int_equal(lost + ran, N - 1);
    assert_true(lost >= 1 && lost <= 512);
    assert_true(ran >= N - 1 - 512);
    assert_int_equal(log->s[1].code, PGORM_ERR_CONNECTION_LOST);
    assert_non_null(strstr(log->s[1].msg, "lost"));
    assert_int_equal(k.late_calls, 1);
    assert_int_equal(k.late_code, PGORM_OK);
    assert_true(pgorm_db_connected(db));
    /* the pool goes on, on a new backend */
    pgorm_error err;
    int64_t n = 0;
    assert_int_equal(pgorm_exec_sync(db, "SELECT 1", 0, NULL, &n, &err), 0);
    assert_int_equal(n, 1);
    pgorm_db_free(db);
    PQfinish(k.admin);
    log_free(log);
}

/* unnamed_statements: nothing is prepared on the server (PgBouncer's
   transaction pooling). Straight to the server: it compares with named
   statements, and reads its own session's pg_prepared_statements. */
static void test_unnamed_statements(void **state)
{
    (void)state;
    for (int unnamed = 0; unnamed < 2; unnamed++) {
        pgorm_db *db = pgorm_db_new(&(pgorm_db_options){.unnamed_statements = unnamed});
        pgorm_error err;
        pgt_ok(pgorm_db_connect_sync(db, g_db.direct, &err), &err, "connect");
        oplog *log = log_new(2);
        tq_submit(db, log, 0, "SELECT $1::int", "7", true);
        tq_submit(db, log, 1, "SELECT $1::int", "8", true);
        assert_int_equal(pgorm_db_run_sync(db, 10000), 0);
        assert_int_equal(log->s[0].code, PGORM_OK);
        assert_int_equal(log->s[1].value, 8);
        int64_t n = -1;
        pgt_ok(pgorm_exec_sync(db, "SELECT 1 FROM pg_prepared_statements", 0, NULL, &n, &err),
               &err, "count");
        assert_int_equal(n, unnamed ? 0 : 1);
        log_free(log);
        pgorm_db_free(db);
    }
}

/* ------------------------------------------------------------------ */
/* Out of memory: fail the Nth allocation, for every N.                */

typedef struct oom_cb {
    int calls;
    int errors;
} oom_cb;

static void oom_exec_cb(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    oom_cb *c = ud;
    c->calls++;
    if (err) {
        assert_non_null(err->message);
        c->errors++;
    }
}

static void oom_scenario(void *conninfo)
{
    pgorm_db *db = pgt_db_new(NULL);
    if (!db)
        return;
    pgorm_error err;
    if (pgorm_db_connect_sync(db, conninfo, &err) != 0) {
        assert_non_null(err.message);
        pgorm_error_clear(&err);
        pgorm_db_free(db);
        return;
    }
    const char *p[] = {"41"};
    int64_t count = 0;
    if (pgorm_exec_sync(db, "SELECT $1::int + 1", 1, p, &count, &err) == 0) {
        assert_int_equal(count, 1);
    } else {
        assert_non_null(err.message);
        assert_true(err.code == PGORM_ERR_NOMEM || err.code == PGORM_ERR_SERVER);
        pgorm_error_clear(&err);
    }
    assert_int_equal(pgorm_exec_sync(db, "SELEC broken", 0, NULL, NULL, &err), -1);
    assert_non_null(err.message);
    pgorm_error_clear(&err);
    oom_cb cb = {0};
    for (int i = 0; i < 3; i++)
        pgorm_exec(db, "SELECT 1", 0, NULL, oom_exec_cb, &cb);
    oplog *log = log_new(2); /* plain malloc: not counted */
    tq *q = tq_new(log, 0, "SELECT $1::int", "3", true);
    if (q)
        pgorm_db_submit(db, &q->op);
    pgorm_db_run_sync(db, 10000);
    assert_int_equal(cb.calls, 3);
    if (q) {
        assert_int_equal(log->s[0].calls, 1);
        if (log->s[0].code == PGORM_OK)
            assert_int_equal(log->s[0].value, 3);
    }
    log_free(log);
    /* queued and not run when freed */
    pgorm_exec(db, "SELECT 1", 0, NULL, oom_exec_cb, &cb);
    pgorm_db_free(db);
    assert_int_equal(cb.calls, 4);
}

static void test_oom_walk(void **state)
{
    (void)state;
    pgt_oom_walk(oom_scenario, g_db.conninfo, 5);
}

/* ------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    pgt_db_create(&g_db, "conn");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    pgt_db_drop(&g_db);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_and_exec),
        cmocka_unit_test(test_connect_uri),
        cmocka_unit_test(test_where_connections_go),
        cmocka_unit_test(test_1000_in_order),
        cmocka_unit_test(test_full_send_buffer),
        cmocka_unit_test(test_error_mid_pipeline),
        cmocka_unit_test(test_prepare_failure),
        cmocka_unit_test(test_single_row),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_pipeline_depth),
        cmocka_unit_test(test_bad_conninfo),
        cmocka_unit_test(test_unique_violation),
        cmocka_unit_test(test_type_mismatch),
        cmocka_unit_test(test_goes_on_after_errors),
        cmocka_unit_test(test_submit_from_callback),
        cmocka_unit_test(test_free_in_callback),
        cmocka_unit_test(test_free_in_connect_callback),
        cmocka_unit_test(test_free_with_pending),
        cmocka_unit_test(test_submit_after_failure),
        cmocka_unit_test(test_backend_terminated),
        cmocka_unit_test(test_unnamed_statements),
        cmocka_unit_test(test_oom_walk),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
