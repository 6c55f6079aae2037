/* Pools and transactions against a real server, each scenario under three
 * drivers: a libuv loop, a libevent loop, and the _sync poll() driver.
 */
#include "pgtest.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "pgorm/adapters/libevent.h"
#include "pgorm/adapters/libuv.h"
#include "runtime/core/op.h" /* pgorm_db_drive_until: the sync driver */

static pgt_db g_db;
static const char *g_conninfo; /* what drv_new connects to: g_db's, or the restart test's */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Drivers.                                                            */

typedef enum mode { M_UV, M_EV, M_SYNC } mode;
static const mode modes[] = {M_UV, M_EV, M_SYNC};

typedef struct drv {
    mode m;
    pgorm_db *db;
    uv_loop_t uv;
    uv_timer_t tick; /* wakes uv_run(ONCE) so deadlines are checked */
    struct event_base *ev;
    struct event *evtick;
} drv;

static void uv_tick(uv_timer_t *t)
{
    (void)t;
}

static void ev_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

/* Run the driver until *flag or timeout_ms; true when *flag. */
static bool drv_until(drv *d, const bool *flag, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (!*flag && now_ms() < end) {
        switch (d->m) {
        case M_UV:
            uv_run(&d->uv, UV_RUN_ONCE);
            break;
        case M_EV:
            event_base_loop(d->ev, EVLOOP_ONCE);
            break;
        case M_SYNC:
            pgorm_db_drive_until(d->db, flag, (int)(end - now_ms()));
            break;
        }
    }
    return *flag;
}

static void on_connected(pgorm_db *db, const pgorm_error *err, void *ud)
{
    (void)db;
    if (err)
        fail_msg("connect: %s", err->message);
    *(bool *)ud = true;
}

/* A driven pool connected to ci (NULL: g_conninfo, else the test
   database through PgBouncer when the suite runs through it). A ci given
   is a direct connection: the options are used as they are. */
static drv *drv_new_at(mode m, const pgorm_db_options *o, const char *ci)
{
    drv *d = calloc(1, sizeof *d);
    d->m = m;
    d->db = ci ? pgorm_db_new(o) : pgt_db_new(o);
    assert_non_null(d->db);
    if (m == M_UV) {
        assert_int_equal(uv_loop_init(&d->uv), 0);
        uv_timer_init(&d->uv, &d->tick);
        uv_timer_start(&d->tick, uv_tick, 20, 20);
        assert_int_equal(pgorm_libuv_attach(d->db, &d->uv), 0);
    } else if (m == M_EV) {
        d->ev = event_base_new();
        d->evtick = event_new(d->ev, -1, EV_PERSIST, ev_tick, NULL);
        struct timeval tv = {0, 20000};
        event_add(d->evtick, &tv);
        assert_int_equal(pgorm_libevent_attach(d->db, d->ev), 0);
    }
    bool up = false;
    pgorm_db_connect(d->db, ci ? ci : g_conninfo ? g_conninfo : g_db.conninfo, on_connected, &up);
    assert_true(drv_until(d, &up, 10000));
    return d;
}

static drv *drv_new(mode m, const pgorm_db_options *o)
{
    return drv_new_at(m, o, NULL);
}

static void drv_free(drv *d)
{
    if (d->db)
        pgorm_db_free(d->db);
    if (d->m == M_UV) {
        uv_timer_stop(&d->tick);
        uv_close((uv_handle_t *)&d->tick, NULL);
        uv_run(&d->uv, UV_RUN_DEFAULT);
        assert_int_equal(uv_loop_close(&d->uv), 0); /* every handle closed */
    } else if (d->m == M_EV) {
        event_free(d->evtick);
        event_base_free(d->ev);
    }
    free(d);
}

static PGconn *admin(void)
{
    return pgt_connect(g_db.direct);
}

static void reset_table(PGconn *c)
{
    pgt_exec(c, "DROP TABLE IF EXISTS t; CREATE TABLE t (k text PRIMARY KEY, pid int)");
}

static int64_t count_k(PGconn *c, const char *k)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE k = '%s'", k);
    return pgt_query_int(c, sql);
}

static int64_t pool_backends(drv *d, PGconn *c, int64_t want);

/* The test database, straight to the server, under an application_name
   of its own: pool_backends counts these sessions only (behind PgBouncer,
   its server connections carry the clients' name, 'pgorm'). */
static const char *direct_ci(void)
{
    static char ci[1100];
    pgt_conninfo_with(ci, sizeof ci, g_db.direct, "application_name", "pgorm_direct");
    return ci;
}

/* ------------------------------------------------------------------ */
/* 10,000 operations at once on a pool of 4.                           */

typedef struct many {
    int *calls;
    int ok, total, n;
    bool done;
} many;

typedef struct many_ctx {
    many *m;
    int i;
} many_ctx;

static void many_cb(int64_t count, const pgorm_error *err, void *ud)
{
    many_ctx *c = ud;
    c->m->calls[c->i]++;
    c->m->total++;
    if (!err && count == 1)
        c->m->ok++;
    if (c->m->total == c->m->n)
        c->m->done = true;
}

static void test_many_ops(void **state)
{
    mode m = *(const mode *)*state;
    PGconn *c = admin();
    reset_table(c);
    pgt_exec(c, "DROP TABLE IF EXISTS hits; CREATE TABLE hits (pid int)");
    /* straight to the server: it counts the pool's own backends (behind
       PgBouncer those are PgBouncer's) */
    drv *d = drv_new_at(m, &(pgorm_db_options){.pool_size = 4}, direct_ci());
    assert_int_equal(pool_backends(d, c, 4), 4); /* all four are up */
    enum { N = 10000 };
    many mm = {calloc(N, sizeof(int)), 0, 0, N, false};
    many_ctx *ctx = calloc(N, sizeof *ctx);
    for (int i = 0; i < N; i++) {
        ctx[i] = (many_ctx){&mm, i};
        pgorm_exec(d->db, "INSERT INTO hits SELECT pg_backend_pid()", 0, NULL, many_cb, &ctx[i]);
    }
    assert_int_equal(mm.total, 0); /* nothing inside the calls */
    assert_true(drv_until(d, &mm.done, 60000));
    assert_int_equal(mm.ok, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(mm.calls[i], 1);
    assert_int_equal(pgt_query_int(c, "SELECT count(*) FROM hits"), N);
    /* every connection of the pool took a share */
    assert_int_equal(pgt_query_int(c, "SELECT count(DISTINCT pid) FROM hits"), 4);
    assert_true(pgt_query_int(c, "SELECT min(n) FROM (SELECT count(*) n FROM hits GROUP BY pid) s") >
                N / 20);
    assert_int_equal(pgorm_db_pending(d->db), 0);
    drv_free(d);
    free(mm.calls);
    free(ctx);
    PQfinish(c);
}

/* ------------------------------------------------------------------ */
/* A transaction across callbacks commits; another rolls back.         */

typedef struct flow {
    PGconn *admin;
    pgorm_db *pool;
    pgorm_db *tx;
    int step;
    bool rollback;
    bool done;
    pgorm_errcode code;
    char msg[256];
    const char *k1, *k2;
} flow;

static void flow_note(flow *f, const pgorm_error *err)
{
    if (err && f->code == PGORM_OK) {
        f->code = err->code;
        snprintf(f->msg, sizeof f->msg, "%s", err->message);
    }
}

static void flow_ended(const pgorm_error *err, void *ud)
{
    flow *f = ud;
    flow_note(f, err);
    f->done = true;
}

static void flow_second(int64_t count, const pgorm_error *err, void *ud)
{
    flow *f = ud;
    flow_note(f, err);
    assert_int_equal(count, 1);
    /* not visible from outside before the end */
    assert_int_equal(count_k(f->admin, f->k1), 0);
    assert_int_equal(count_k(f->admin, f->k2), 0);
    if (f->rollback)
        pgorm_rollback(f->tx, flow_ended, f);
    else
        pgorm_commit(f->tx, flow_ended, f);
}

static void flow_first(int64_t count, const pgorm_error *err, void *ud)
{
    flow *f = ud;
    flow_note(f, err);
    assert_int_equal(count, 1);
    const char *p[] = {f->k2};
    pgorm_exec(f->tx, "INSERT INTO t (k, pid) VALUES ($1, pg_backend_pid())", 1, p, flow_second,
               f);
}

static void flow_begun(pgorm_db *tx, const pgorm_error *err, void *ud)
{
    flow *f = ud;
    assert_null(err);
    assert_non_null(tx);
    f->tx = tx;
    const char *p[] = {f->k1};
    pgorm_exec(tx, "INSERT INTO t (k, pid) VALUES ($1, pg_backend_pid())", 1, p, flow_first, f);
}

static void test_commit_and_rollback(void **state)
{
    mode m = *(const mode *)*state;
    PGconn *c = admin();
    reset_table(c);
    drv *d = drv_new(m, &(pgorm_db_options){.pool_size = 2});
    flow a = {c, d->db, NULL, 0, false, false, PGORM_OK, "", "a1", "a2"};
    flow b = {c, d->db, NULL, 0, true, false, PGORM_OK, "", "b1", "b2"};
    pgorm_begin(d->db, NULL, flow_begun, &a);
    pgorm_begin(d->db, &(pgorm_tx_options){.isolation = PGORM_REPEATABLE_READ}, flow_begun, &b);
    assert_true(drv_until(d, &a.done, 10000));
    assert_true(drv_until(d, &b.done, 10000));
    if (a.code != PGORM_OK)
        fail_msg("commit: %s", a.msg);
    assert_int_equal(b.code, PGORM_OK);
    assert_int_equal(count_k(c, "a1"), 1);
    assert_int_equal(count_k(c, "a2"), 1);
    assert_int_equal(count_k(c, "b1"), 0);
    assert_int_equal(count_k(c, "b2"), 0);
    /* both statements of a transaction ran on one backend */
    assert_int_equal(pgt_query_int(c, "SELECT count(DISTINCT pid) FROM t"), 1);
    drv_free(d);
    PQfinish(c);
}

/* ------------------------------------------------------------------ */
/* Work on the pool while a transaction is open is not part of it.     */

typedef struct indep {
    pgorm_db *tx;
    bool pool_done, tx_done, begun;
    pgorm_errcode pool_code;
} indep;

static void indep_pool_cb(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    indep *s = ud;
    s->pool_code = err ? err->code : PGORM_OK;
    s->pool_done = true;
}

static void indep_begun(pgorm_db *tx, const pgorm_error *err, void *ud)
{
    indep *s = ud;
    assert_null(err);
    s->tx = tx;
    s->begun = true;
}

static void indep_count(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    (void)ud;
    assert_null(err);
}

static void indep_end(const pgorm_error *err, void *ud)
{
    indep *s = ud;
    assert_null(err);
    s->tx_done = true;
}

static void test_pool_work_outside_tx(void **state)
{
    mode m = *(const mode *)*state;
    PGconn *c = admin();
    reset_table(c);
    drv *d = drv_new(m, &(pgorm_db_options){.pool_size = 2});
    indep s = {0};
    pgorm_begin(d->db, NULL, indep_begun, &s);
    assert_true(drv_until(d, &s.begun, 10000));
    pgorm_exec(s.tx, "INSERT INTO t (k) VALUES ('in_tx')", 0, NULL, indep_count, &s);
    /* issued on the pool while the transaction is open: it completes (and
       commits) while the transaction is still open */
    pgorm_exec(d->db, "INSERT INTO t (k) VALUES ('on_pool')", 0, NULL, indep_pool_cb, &s);
    assert_true(drv_until(d, &s.pool_done, 10000));
    assert_int_equal(s.pool_code, PGORM_OK);
    assert_int_equal(count_k(c, "on_pool"), 1);
    pgorm_rollback(s.tx, indep_end, &s);
    assert_true(drv_until(d, &s.tx_done, 10000));
    assert_int_equal(count_k(c, "on_pool"), 1);
    assert_int_equal(count_k(c, "in_tx"), 0);

    /* a pool of one: the pool's work waits for the connection and still
       is not part of the transaction */
    drv_free(d);
    d = drv_new(m, NULL);
    memset(&s, 0, sizeof s);
    pgorm_begin(d->db, NULL, indep_begun, &s);
    assert_true(drv_until(d, &s.begun, 10000));
    pgorm_exec(s.tx, "INSERT INTO t (k) VALUES ('in_tx1')", 0, NULL, indep_count, &s);
    pgorm_exec(d->db, "INSERT INTO t (k) VALUES ('on_pool1')", 0, NULL, indep_pool_cb, &s);
    pgorm_rollback(s.tx, indep_end, &s);
    assert_true(drv_until(d, &s.tx_done, 10000));
    assert_true(drv_until(d, &s.pool_done, 10000));
    assert_int_equal(s.pool_code, PGORM_OK);
    assert_int_equal(count_k(c, "on_pool1"), 1);
    assert_int_equal(count_k(c, "in_tx1"), 0);
    drv_free(d);
    PQfinish(c);
}

/* ------------------------------------------------------------------ */
/* Savepoints, aborted transactions, refusals (through the _sync calls, */
/* which drive whatever loop is attached).                             */

static void exec_ok(pgorm_db *db, const char *sql)
{
    pgorm_error err;
    pgt_ok(pgorm_exec_sync(db, sql, 0, NULL, NULL, &err), &err, sql);
}

static void test_savepoints(void **state)
{
    mode m = *(const mode *)*state;
    PGconn *c = admin();
    reset_table(c);
    drv *d = drv_new(m, &(pgorm_db_options){.pool_size = 2});
    pgorm_error err;
    pgorm_db *tx, *sp, *sp2;
    pgt_ok(pgorm_begin_sync(d->db, NULL, &tx, &err), &err, "begin");
    exec_ok(tx, "INSERT INTO t (k) VALUES ('outer')");
    pgt_ok(pgorm_begin_sync(tx, NULL, &sp, &err), &err, "savepoint");
    /* the parent waits while its savepoint is open */
    assert_int_equal(pgorm_exec_sync(tx, "SELECT 1", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "savepoint"));
    pgorm_error_clear(&err);
    exec_ok(sp, "INSERT INTO t (k) VALUES ('inner')");
    pgt_ok(pgorm_rollback_sync(sp, &err), &err, "rollback to savepoint");
    exec_ok(tx, "INSERT INTO t (k) VALUES ('after')");
    /* an error inside a savepoint: roll it back, the transaction goes on */
    pgt_ok(pgorm_begin_sync(tx, NULL, &sp, &err), &err, "savepoint 2");
    assert_int_equal(pgorm_exec_sync(sp, "INSERT INTO t (k) VALUES ('outer')", 0, NULL, NULL,
                                     &err),
                     -1);
    assert_string_equal(err.sqlstate, "23505");
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_exec_sync(sp, "SELECT 1", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_TX_ABORTED);
    pgorm_error_clear(&err);
    pgt_ok(pgorm_rollback_sync(sp, &err), &err, "rollback to savepoint 2");
    /* a released savepoint keeps its work; nested savepoints */
    pgt_ok(pgorm_begin_sync(tx, NULL, &sp, &err), &err, "savepoint 3");
    pgt_ok(pgorm_begin_sync(sp, NULL, &sp2, &err), &err, "savepoint 4");
    exec_ok(sp2, "INSERT INTO t (k) VALUES ('nested')");
    pgt_ok(pgorm_commit_sync(sp2, &err), &err, "release 4");
    pgt_ok(pgorm_commit_sync(sp, &err), &err, "release 3");
    assert_int_equal(count_k(c, "outer"), 0); /* not committed yet */
    pgt_ok(pgorm_commit_sync(tx, &err), &err, "commit");
    assert_int_equal(count_k(c, "outer"), 1);
    assert_int_equal(count_k(c, "inner"), 0);
    assert_int_equal(count_k(c, "after"), 1);
    assert_int_equal(count_k(c, "nested"), 1);
    drv_free(d);
    PQfinish(c);
}

static void test_aborted_and_refused(void **state)
{
    mode m = *(const mode *)*state;
    PGconn *c = admin();
    reset_table(c);
    drv *d = drv_new(m, NULL);
    pgorm_error err;
    pgorm_db *tx;
    pgt_ok(pgorm_begin_sync(d->db, NULL, &tx, &err), &err, "begin");
    exec_ok(tx, "INSERT INTO t (k) VALUES ('lost')");
    assert_int_equal(pgorm_exec_sync(tx, "SELECT 1/0", 0, NULL, NULL, &err), -1);
    assert_string_equal(err.sqlstate, "22012");
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_exec_sync(tx, "SELECT 1", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_TX_ABORTED);
    assert_non_null(strstr(err.message, "division by zero"));
    assert_non_null(strstr(err.message, "roll"));
    pgorm_error_clear(&err);
    /* commit of an aborted transaction rolls back and says so */
    assert_int_equal(pgorm_commit_sync(tx, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_TX_ABORTED);
    pgorm_error_clear(&err);
    assert_int_equal(count_k(c, "lost"), 0);
    exec_ok(d->db, "SELECT 1"); /* the connection is free again */

    /* BEGIN / COMMIT text is refused, pointing at pgorm_begin */
    const char *ctl[] = {"BEGIN", "commit", " -- x\n ROLLBACK", "START TRANSACTION",
                         "SAVEPOINT s", "END", NULL};
    for (int i = 0; ctl[i]; i++) {
        assert_int_equal(pgorm_exec_sync(d->db, ctl[i], 0, NULL, NULL, &err), -1);
        assert_int_equal(err.code, PGORM_ERR_INVALID);
        assert_non_null(strstr(err.message, "pgorm_begin"));
        pgorm_error_clear(&err);
    }
    exec_ok(d->db, "SELECT 'BEGIN'");

    /* a pool of one held by a transaction: a _sync call on the pool cannot
       be served, and says so instead of hanging */
    pgt_ok(pgorm_begin_sync(d->db, NULL, &tx, &err), &err, "begin 2");
    assert_int_equal(pgorm_exec_sync(d->db, "SELECT 1", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_BUSY);
    assert_non_null(strstr(err.message, "transaction"));
    pgorm_error_clear(&err);
    exec_ok(tx, "INSERT INTO t (k) VALUES ('kept')");
    pgt_ok(pgorm_commit_sync(tx, &err), &err, "commit 2");
    assert_int_equal(count_k(c, "kept"), 1);
    /* commit of something that is not a transaction handle is refused */
    assert_int_equal(pgorm_commit_sync(d->db, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    pgorm_error_clear(&err);

    /* freeing the pool with a transaction open rolls it back */
    pgt_ok(pgorm_begin_sync(d->db, NULL, &tx, &err), &err, "begin 3");
    exec_ok(tx, "INSERT INTO t (k) VALUES ('freed')");
    pgorm_db_free(d->db);
    d->db = NULL;
    assert_int_equal(count_k(c, "freed"), 0);
    drv_free(d);
    PQfinish(c);
}

/* ------------------------------------------------------------------ */
/* pgorm_transaction re-runs the body after a serialization failure.   */

typedef struct retry {
    PGconn *admin;
    int attempts;
    bool done;
    pgorm_errcode code;
    char msg[256];
} retry;

typedef struct retry_step {
    retry *r;
    pgorm_db *tx;
    int attempt;
} retry_step;

static retry_step g_step; /* one body in flight at a time */

static void retry_updated(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    retry_step *s = ud;
    pgorm_tx_done(s->tx, err);
}

static void retry_read(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    retry_step *s = ud;
    if (err) {
        pgorm_tx_done(s->tx, err);
        return;
    }
    if (s->attempt == 0) /* another session changes the row after our snapshot */
        pgt_exec(s->r->admin, "UPDATE acc SET v = v + 100 WHERE id = 1");
    pgorm_exec(s->tx, "UPDATE acc SET v = v + 1 WHERE id = 1", 0, NULL, retry_updated, s);
}

static void retry_body(pgorm_db *tx, int attempt, void *ud)
{
    retry *r = ud;
    r->attempts++;
    g_step = (retry_step){r, tx, attempt};
    pgorm_exec(tx, "SELECT v FROM acc WHERE id = 1", 0, NULL, retry_read, &g_step);
}

static void retry_done(const pgorm_error *err, void *ud)
{
    retry *r = ud;
    r->code = err ? err->code : PGORM_OK;
    if (err)
        snprintf(r->msg, sizeof r->msg, "%s", err->message);
    r->done = true;
}

static void test_transaction_retry(void **state)
{
    mode m = *(const mode *)*state;
    PGconn *c = admin();
    pgt_exec(c, "DROP TABLE IF EXISTS acc; CREATE TABLE acc (id int PRIMARY KEY, v int);"
                "INSERT INTO acc VALUES (1, 0)");
    drv *d = drv_new(m, &(pgorm_db_options){.pool_size = 2});
    retry r = {c, 0, false, PGORM_OK, ""};
    pgorm_transaction(d->db, &(pgorm_tx_options){.isolation = PGORM_SERIALIZABLE}, retry_body,
                      retry_done, &r);
    assert_true(drv_until(d, &r.done, 20000));
    if (r.code != PGORM_OK)
        fail_msg("transaction: %s", r.msg);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(pgt_query_int(c, "SELECT v FROM acc WHERE id = 1"), 101);

    /* with retries off, the serialization failure is reported */
    pgt_exec(c, "UPDATE acc SET v = 0");
    r = (retry){c, 0, false, PGORM_OK, ""};
    pgorm_transaction(d->db,
                      &(pgorm_tx_options){.isolation = PGORM_SERIALIZABLE, .max_retries = -1},
                      retry_body, retry_done, &r);
    assert_true(drv_until(d, &r.done, 20000));
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.code, PGORM_ERR_SERVER);
    assert_int_equal(pgt_query_int(c, "SELECT v FROM acc WHERE id = 1"), 100);
    drv_free(d);
    PQfinish(c);
}

/* ------------------------------------------------------------------ */
/* A full queue fails at once with PGORM_ERR_BUSY.                     */

typedef struct busy {
    int calls, ok, busy, n;
    bool done;
} busy;

static void busy_cb(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    busy *b = ud;
    b->calls++;
    if (!err)
        b->ok++;
    else if (err->code == PGORM_ERR_BUSY && strstr(err->message, "max_queue"))
        b->busy++;
    if (b->calls == b->n)
        b->done = true;
}

static void test_full_queue(void **state)
{
    mode m = *(const mode *)*state;
    drv *d = drv_new(m, &(pgorm_db_options){.pool_size = 2, .max_queue = 10});
    busy b = {0, 0, 0, 15, false};
    for (int i = 0; i < 15; i++)
        pgorm_exec(d->db, "SELECT pg_sleep(0.01)", 0, NULL, busy_cb, &b);
    assert_int_equal(b.calls, 0); /* refused at once, reported on the next turn */
    assert_true(drv_until(d, &b.done, 10000));
    assert_int_equal(b.ok, 10);
    assert_int_equal(b.busy, 5);
    /* room again once they completed */
    b = (busy){0, 0, 0, 10, false};
    for (int i = 0; i < 10; i++)
        pgorm_exec(d->db, "SELECT 1", 0, NULL, busy_cb, &b);
    assert_true(drv_until(d, &b.done, 10000));
    assert_int_equal(b.ok, 10);
    drv_free(d);
}

/* ------------------------------------------------------------------ */
/* Cancel and timeouts: pg_sleep(10) stops within a second, the loop    */
/* keeps serving other work meanwhile, the connection stays usable.     */

typedef struct sleeper {
    bool done;
    pgorm_errcode code;
    char sqlstate[6];
    int64_t at;
} sleeper;

static void sleeper_cb(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    sleeper *s = ud;
    s->code = err ? err->code : PGORM_OK;
    snprintf(s->sqlstate, sizeof s->sqlstate, "%s", err ? err->sqlstate : "");
    s->at = now_ms();
    s->done = true;
}

/* A chain of small queries on the pool: the gaps between their callbacks
   are how long the loop stalled. */
typedef struct chain {
    pgorm_db *db;
    bool stop, stopped;
    int n;
    int64_t last, max_gap;
} chain;

static void chain_cb(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    chain *c = ud;
    assert_null(err);
    int64_t t = now_ms();
    if (c->n++ && t - c->last > c->max_gap)
        c->max_gap = t - c->last;
    c->last = t;
    if (c->stop) {
        c->stopped = true;
        return;
    }
    pgorm_exec(c->db, "SELECT 1", 0, NULL, chain_cb, c);
}

static void drv_run_for(drv *d, int ms)
{
    bool never = false;
    drv_until(d, &never, ms);
}

static void test_cancel_and_timeouts(void **state)
{
    mode m = *(const mode *)*state;
    drv *d = drv_new(m, &(pgorm_db_options){.pool_size = 2});
    pgorm_error err;
    pgorm_db *tx;
    pgt_ok(pgorm_begin_sync(d->db, NULL, &tx, &err), &err, "begin");
    sleeper s = {0};
    pgorm_exec(tx, "SELECT pg_sleep(10)", 0, NULL, sleeper_cb, &s);
    chain ch = {d->db, false, false, 0, 0, 0};
    pgorm_exec(d->db, "SELECT 1", 0, NULL, chain_cb, &ch);
    drv_run_for(d, 100);
    assert_false(s.done);
    int64_t t0 = now_ms();
    int before = ch.n;
    ch.max_gap = 0;
    pgorm_cancel(tx);
    assert_true(drv_until(d, &s.done, 5000));
    int64_t took = s.at - t0;
    drv_run_for(d, 50);
    ch.stop = true;
    assert_true(drv_until(d, &ch.stopped, 5000));
    assert_int_equal(s.code, PGORM_ERR_CANCELED);
    assert_string_equal(s.sqlstate, "57014");
    assert_true(took < 1000);
    assert_true(ch.n - before > 10); /* the pool kept serving */
    print_message("cancel (mode %d): callback %lld ms after pgorm_cancel; %d queries meanwhile, "
                  "longest gap between them %lld ms\n",
                  (int)m, (long long)took, ch.n - before, (long long)ch.max_gap);
    assert_true(ch.max_gap < 250);
    /* the cancelled statement aborted the transaction */
    assert_int_equal(pgorm_exec_sync(tx, "SELECT 1", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_TX_ABORTED);
    pgorm_error_clear(&err);
    pgt_ok(pgorm_rollback_sync(tx, &err), &err, "rollback");

    /* cancel on the pool: its running statement, not the transactions' */
    s = (sleeper){0};
    pgorm_exec(d->db, "SELECT pg_sleep(10)", 0, NULL, sleeper_cb, &s);
    drv_run_for(d, 100);
    t0 = now_ms();
    pgorm_cancel(d->db);
    assert_true(drv_until(d, &s.done, 5000));
    assert_int_equal(s.code, PGORM_ERR_CANCELED);
    assert_true(s.at - t0 < 1000);
    exec_ok(d->db, "SELECT 1");
    drv_free(d);

    /* the pool's per-operation timeout */
    d = drv_new(m, &(pgorm_db_options){.op_timeout_ms = 100});
    s = (sleeper){0};
    t0 = now_ms();
    pgorm_exec(d->db, "SELECT pg_sleep(10)", 0, NULL, sleeper_cb, &s);
    assert_true(drv_until(d, &s.done, 5000));
    assert_int_equal(s.code, PGORM_ERR_TIMEOUT);
    assert_string_equal(s.sqlstate, "57014");
    assert_true(s.at - t0 >= 90);
    assert_true(s.at - t0 < 1000);
    exec_ok(d->db, "SELECT 1"); /* the connection goes on */

    /* a transaction's own timeout (none on the pool's work) */
    pgt_ok(pgorm_begin_sync(d->db, &(pgorm_tx_options){.timeout_ms = 150}, &tx, &err), &err,
           "begin with timeout");
    assert_int_equal(pgorm_exec_sync(tx, "SELECT pg_sleep(10)", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_TIMEOUT);
    assert_non_null(strstr(err.message, "150 ms"));
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_commit_sync(tx, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_TX_ABORTED);
    pgorm_error_clear(&err);
    pgt_ok(pgorm_begin_sync(d->db, &(pgorm_tx_options){.timeout_ms = -1}, &tx, &err), &err,
           "begin without timeout");
    exec_ok(tx, "SELECT pg_sleep(0.3)"); /* longer than the pool's 100 ms: allowed */
    pgt_ok(pgorm_commit_sync(tx, &err), &err, "commit");
    drv_free(d);
}

/* ------------------------------------------------------------------ */
/* pg_terminate_backend on the pool's connections: what was in flight  */
/* fails once, the pool replaces them and carries on.                  */

/* The pool's backends on the server, once there are `want` (the loop runs
   meanwhile: connections come up in the background). */
static int64_t pool_backends(drv *d, PGconn *c, int64_t want)
{
    int64_t n = 0;
    for (int i = 0; i < 250; i++) {
        n = pgt_query_int(c, "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                             "'pgorm_direct' AND datname = current_database()");
        if (n == want)
            break;
        drv_run_for(d, 20);
    }
    return n;
}

static void test_backend_lost(void **state)
{
    mode m = *(const mode *)*state;
    PGconn *c = admin();
    /* straight to the server: it terminates a backend of the pool */
    drv *d = drv_new_at(m, &(pgorm_db_options){.pool_size = 2}, direct_ci());
    assert_int_equal(pool_backends(d, c, 2), 2);
    pgorm_error err;
    pgorm_db *tx;
    pgt_ok(pgorm_begin_sync(d->db, NULL, &tx, &err), &err, "begin");
    exec_ok(tx, "SELECT 1");
    sleeper s1 = {0}, s2 = {0};
    pgorm_exec(tx, "SELECT pg_sleep(5)", 0, NULL, sleeper_cb, &s1);
    pgorm_exec(d->db, "SELECT pg_sleep(5)", 0, NULL, sleeper_cb, &s2);
    drv_run_for(d, 150);
    assert_int_equal(pgt_query_int(c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE application_name = 'pgorm_direct' AND datname = "
                                      "current_database()"),
                     2);
    int64_t t0 = now_ms();
    assert_true(drv_until(d, &s1.done, 5000));
    assert_true(drv_until(d, &s2.done, 5000));
    assert_true(now_ms() - t0 < 2000);
    assert_int_equal(s1.code, PGORM_ERR_CONNECTION_LOST);
    assert_int_equal(s2.code, PGORM_ERR_CONNECTION_LOST);
    /* the transaction is gone with its connection */
    assert_int_equal(pgorm_exec_sync(tx, "SELECT 1", 0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_CONNECTION_LOST);
    pgorm_error_clear(&err);
    pgt_ok(pgorm_rollback_sync(tx, &err), &err, "rollback after loss");
    /* new work runs on the replacements */
    many mm = {calloc(100, sizeof(int)), 0, 0, 100, false};
    many_ctx ctx[100];
    for (int i = 0; i < 100; i++) {
        ctx[i] = (many_ctx){&mm, i};
        pgorm_exec(d->db, "SELECT 1", 0, NULL, many_cb, &ctx[i]);
    }
    assert_true(drv_until(d, &mm.done, 10000));
    assert_int_equal(mm.ok, 100);
    free(mm.calls);
    assert_true(pgorm_db_connected(d->db));
    pgt_ok(pgorm_begin_sync(d->db, NULL, &tx, &err), &err, "begin after loss");
    exec_ok(tx, "SELECT 1");
    pgt_ok(pgorm_commit_sync(tx, &err), &err, "commit after loss");
    assert_int_equal(pool_backends(d, c, 2), 2);
    drv_free(d);
    PQfinish(c);
}

/* ------------------------------------------------------------------ */
/* LISTEN / NOTIFY, also after the listening connection is replaced.   */

typedef struct heard {
    int n;
    char payload[64];
    int pid;
} heard;

static void on_heard(const char *channel, const char *payload, int pid, void *ud)
{
    heard *h = ud;
    assert_string_equal(channel, "Orders");
    h->n++;
    snprintf(h->payload, sizeof h->payload, "%s", payload);
    h->pid = pid;
}

static void wait_listening(drv *d, const char *channel)
{
    for (int i = 0; i < 500 && !pgorm_db_listening(d->db, channel); i++)
        drv_run_for(d, 10);
    assert_true(pgorm_db_listening(d->db, channel));
}

static void wait_heard(drv *d, heard *h, int n)
{
    for (int i = 0; i < 500 && h->n < n; i++)
        drv_run_for(d, 10);
    assert_int_equal(h->n, n);
}

static void test_listen_notify(void **state)
{
    mode m = *(const mode *)*state;
    PGconn *c = admin();
    /* the pool as configured (through PgBouncer when the suite runs
       through it), the listening session straight to the server */
    drv *d = drv_new(m, &(pgorm_db_options){.pool_size = 2, .listen_conninfo = g_db.direct});
    heard h = {0};
    assert_int_equal(pgorm_listen(d->db, "Orders", on_heard, &h), 0);
    assert_int_equal(pgorm_listen(d->db, "", on_heard, &h), -1);
    wait_listening(d, "Orders");
    assert_false(pgorm_db_listening(d->db, "orders")); /* case is kept */
    /* from the pool itself */
    pgorm_error err;
    many mm = {calloc(1, sizeof(int)), 0, 0, 1, false};
    many_ctx one = {&mm, 0};
    pgorm_notify(d->db, "Orders", "first", many_cb, &one);
    assert_true(drv_until(d, &mm.done, 5000));
    wait_heard(d, &h, 1);
    assert_string_equal(h.payload, "first");
    assert_true(h.pid > 0);
    free(mm.calls);
    /* from another session */
    pgt_exec(c, "NOTIFY \"Orders\", 'second'");
    wait_heard(d, &h, 2);
    assert_string_equal(h.payload, "second");
    /* inside a transaction: delivered when it commits */
    pgorm_db *tx;
    pgt_ok(pgorm_begin_sync(d->db, NULL, &tx, &err), &err, "begin");
    pgt_ok(pgorm_exec_sync(tx, "SELECT pg_notify('Orders', 'third')", 0, NULL, NULL, &err), &err,
           "notify in tx");
    drv_run_for(d, 100);
    assert_int_equal(h.n, 2);
    pgt_ok(pgorm_commit_sync(tx, &err), &err, "commit");
    wait_heard(d, &h, 3);
    assert_string_equal(h.payload, "third");
    /* the listening connection is lost: replaced and subscribed again */
    assert_int_equal(pgt_query_int(c, "SELECT count(pg_terminate_backend(pid)) FROM "
                                      "pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname "
                                      "= current_database()"),
                     1);
    drv_run_for(d, 50);
    wait_listening(d, "Orders");
    pgt_exec(c, "NOTIFY \"Orders\", 'after reconnect'");
    wait_heard(d, &h, 4);
    assert_string_equal(h.payload, "after reconnect");
    /* unlisten: no more calls */
    pgorm_unlisten(d->db, "Orders");
    assert_false(pgorm_db_listening(d->db, "Orders"));
    drv_run_for(d, 50);
    pgt_exec(c, "NOTIFY \"Orders\", 'unheard'");
    drv_run_for(d, 200);
    assert_int_equal(h.n, 4);
    exec_ok(d->db, "SELECT 1");
    drv_free(d);
    PQfinish(c);
}

/* ------------------------------------------------------------------ */
/* The server stops (pg_ctl stop -m fast) and starts again: the pool   */
/* reconnects by itself, the listener is subscribed again. On a        */
/* cluster of its own (the shared one serves tests running in parallel).*/

static void cluster(const char *cmd, const char *state)
{
    char line[1024];
    snprintf(line, sizeof line, "%s/scripts/pg-cluster.sh %s %s", PGORM_SOURCE_DIR, cmd, state);
    char *out = NULL;
    int rc = pgt_run(line, &out);
    if (rc != 0)
        fail_msg("%s: %s", line, out ? out : "");
    free(out);
}

static void test_server_restart(void **state)
{
    mode m = *(const mode *)*state;
    if (getenv("DATABASE_URL")) {
        /* said out loud: CI runs without DATABASE_URL, so it runs there */
        print_message("test_server_restart needs a cluster of its own: not run with "
                      "DATABASE_URL set\n");
        skip();
    }
    char st[512];
    snprintf(st, sizeof st, "%s/tests/restart-cluster-%d-%d", PGORM_BINARY_DIR, (int)getpid(),
             (int)m);
    cluster("start", st);
    char *dir = pgt_read_file(st, NULL);
    dir[strcspn(dir, "\n")] = '\0';
    char path[600];
    snprintf(path, sizeof path, "%s/conninfo", dir);
    char *ci = pgt_read_file(path, NULL);
    ci[strcspn(ci, "\n")] = '\0';
    g_conninfo = ci;
    drv *d = drv_new(m, &(pgorm_db_options){.pool_size = 2, .connect_timeout_ms = 2000});
    heard h = {0};
    assert_int_equal(pgorm_listen(d->db, "Orders", on_heard, &h), 0);
    wait_listening(d, "Orders");
    exec_ok(d->db, "SELECT 1");

    cluster("pause", st);
    pgorm_error err;
    int failures = 0;
    for (int i = 0; i < 3; i++) { /* fails, not hangs, while the server is away */
        if (pgorm_exec_sync(d->db, "SELECT 1", 0, NULL, NULL, &err) != 0) {
            assert_true(err.code == PGORM_ERR_CONNECTION_LOST || err.code == PGORM_ERR_CONNECT);
            pgorm_error_clear(&err);
            failures++;
        }
        drv_run_for(d, 100);
    }
    assert_true(failures >= 1);
    assert_false(pgorm_db_connected(d->db));

    cluster("resume", st);
    bool back = false;
    for (int i = 0; i < 100 && !back; i++) { /* the backoff is at most 2 s */
        back = pgorm_exec_sync(d->db, "SELECT 1", 0, NULL, NULL, &err) == 0;
        if (!back) {
            pgorm_error_clear(&err);
            drv_run_for(d, 100);
        }
    }
    assert_true(back);
    many mm = {calloc(50, sizeof(int)), 0, 0, 50, false};
    many_ctx ctx[50];
    for (int i = 0; i < 50; i++) {
        ctx[i] = (many_ctx){&mm, i};
        pgorm_exec(d->db, "SELECT 1", 0, NULL, many_cb, &ctx[i]);
    }
    assert_true(drv_until(d, &mm.done, 10000));
    assert_int_equal(mm.ok, 50);
    free(mm.calls);
    wait_listening(d, "Orders");
    PGconn *c = pgt_connect(ci);
    pgt_exec(c, "NOTIFY \"Orders\", 'after restart'");
    wait_heard(d, &h, 1);
    assert_string_equal(h.payload, "after restart");
    PQfinish(c);
    drv_free(d);
    g_conninfo = NULL;
    cluster("stop", st);
    free(ci);
    free(dir);
}

/* ------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    pgt_db_create(&g_db, "pool");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    pgt_db_drop(&g_db);
    return 0;
}

#define EACH(fn)                                                                        \
    cmocka_unit_test_prestate(fn, (void *)&modes[M_UV]),                                \
        cmocka_unit_test_prestate(fn, (void *)&modes[M_EV]),                            \
        cmocka_unit_test_prestate(fn, (void *)&modes[M_SYNC])

int main(void)
{
    const struct CMUnitTest tests[] = {
        EACH(test_many_ops),          EACH(test_commit_and_rollback),
        EACH(test_pool_work_outside_tx), EACH(test_savepoints),
        EACH(test_aborted_and_refused), EACH(test_transaction_retry),
        EACH(test_full_queue),        EACH(test_cancel_and_timeouts),
        EACH(test_backend_lost),      EACH(test_listen_notify),
        EACH(test_server_restart),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
