/* The event-loop adapters driving real queries: libuv and libevent (both
 * required by the build, so neither is ever skipped). Each test runs its loop
 * until it has nothing left, then checks that every callback ran once and
 * that the loop holds no handle of ours (uv_loop_close succeeds; valgrind
 * sees no leak).
 */
#include "pgtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pgorm/adapters/libuv.h"
#include "pgorm/adapters/libevent.h"

static pgt_db g_db;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
/* One scenario for every loop: ops queued before the connection is up,
   more queued from the connect callback, one failing in the middle; the
   last callback frees the handle.                                     */

#define NOPS 200

typedef struct run {
    pgorm_db *db;
    int connects;
    pgorm_errcode connect_code;
    int calls[NOPS];
    pgorm_errcode codes[NOPS];
    int64_t counts[NOPS];
    int next, out_of_order, total;
    bool free_at_end;
    char args[NOPS][16];
} run;

typedef struct op_ud {
    run *r;
    int idx;
} op_ud;

static op_ud uds[NOPS];

static void on_op(int64_t count, const pgorm_error *err, void *ud)
{
    op_ud *u = ud;
    run *r = u->r;
    r->calls[u->idx]++;
    r->codes[u->idx] = err ? err->code : PGORM_OK;
    r->counts[u->idx] = count;
    if (u->idx != r->next)
        r->out_of_order++;
    r->next = u->idx + 1;
    if (++r->total == NOPS && r->free_at_end)
        pgorm_db_free(r->db);
}

static void submit_op(run *r, int i)
{
    uds[i] = (op_ud){r, i};
    snprintf(r->args[i], sizeof r->args[i], "%d", i);
    const char *p[] = {r->args[i]};
    if (i == NOPS / 2)
        pgorm_exec(r->db, "SELECT 1 / ($1::int - $1::int)", 1, p, on_op, &uds[i]);
    else
        pgorm_exec(r->db, "SELECT g FROM generate_series(1, $1::int % 3) g", 1, p, on_op,
                   &uds[i]);
}

static void on_connect(pgorm_db *db, const pgorm_error *err, void *ud)
{
    run *r = ud;
    r->connects++;
    r->connect_code = err ? err->code : PGORM_OK;
    assert_null(err);
    assert_true(pgorm_db_connected(db));
    for (int i = NOPS / 2; i < NOPS; i++)
        submit_op(r, i);
}

static void start_scenario(run *r)
{
    memset(r, 0, sizeof *r);
    r->db = pgt_db_new(NULL);
    assert_non_null(r->db);
    r->free_at_end = true;
}

static void connect_scenario(run *r)
{
    pgorm_db_connect(r->db, g_db.conninfo, on_connect, r);
    for (int i = 0; i < NOPS / 2; i++)
        submit_op(r, i);
    assert_int_equal(r->total, 0);
}

static void check_scenario(const run *r)
{
    assert_int_equal(r->connects, 1);
    assert_int_equal(r->total, NOPS);
    assert_int_equal(r->out_of_order, 0);
    for (int i = 0; i < NOPS; i++) {
        assert_int_equal(r->calls[i], 1);
        if (i == NOPS / 2) {
            assert_int_equal(r->codes[i], PGORM_ERR_SERVER);
        } else {
            assert_int_equal(r->codes[i], PGORM_OK);
            assert_int_equal(r->counts[i], i % 3);
        }
    }
}

/* Connect to a server that never answers: the timer hook fires. */
typedef struct tmo {
    int calls;
    pgorm_errcode code;
    int64_t at;
} tmo;

static void on_timeout_connect(pgorm_db *db, const pgorm_error *err, void *ud)
{
    tmo *t = ud;
    t->calls++;
    t->code = err ? err->code : PGORM_OK;
    t->at = now_ms();
    pgorm_db_free(db);
}

/* A handle with a 300 ms connect timeout and, in ci, the conninfo of a
   listener that never answers (*listener: its socket, closed by the test). */
static pgorm_db *start_timeout(tmo *t, int *listener, char *ci, size_t size)
{
    int port;
    *listener = silent_listener(&port);
    snprintf(ci, size, "host=127.0.0.1 port=%d user=nobody dbname=none", port);
    pgorm_db *db = pgt_db_new(&(pgorm_db_options){.connect_timeout_ms = 300});
    memset(t, 0, sizeof *t);
    return db;
}

/* ------------------------------------------------------------------ */
/* libuv                                                               */

static void test_libuv_queries(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    run *r = calloc(1, sizeof *r);
    start_scenario(r);
    assert_int_equal(pgorm_libuv_attach(r->db, &loop), 0);
    connect_scenario(r);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    check_scenario(r);
    assert_int_equal(uv_loop_close(&loop), 0); /* every handle closed */
    free(r);
}

static void test_libuv_connect_timeout(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    tmo t;
    int ls;
    char ci[256];
    pgorm_db *db = start_timeout(&t, &ls, ci, sizeof ci);
    assert_int_equal(pgorm_libuv_attach(db, &loop), 0);
    int64_t t0 = now_ms();
    pgorm_db_connect(db, ci, on_timeout_connect, &t);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.code, PGORM_ERR_TIMEOUT);
    assert_true(t.at - t0 >= 250);
    assert_true(t.at - t0 < 3000);
    assert_int_equal(uv_loop_close(&loop), 0);
    close(ls);
}

/* Freed from outside any pgorm callback (a timer of the application) with
   ops in flight: each completes once with PGORM_ERR_CLOSED, and the loop
   winds down. */
typedef struct outside {
    pgorm_db *db;
    int calls, closed, ok;
} outside;

static void outside_cb(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    outside *o = ud;
    o->calls++;
    if (!err)
        o->ok++;
    else if (err->code == PGORM_ERR_CLOSED)
        o->closed++;
}

static void outside_connected(pgorm_db *db, const pgorm_error *err, void *ud)
{
    assert_null(err);
    for (int i = 0; i < 50; i++)
        pgorm_exec(db, "SELECT pg_sleep(0.02)", 0, NULL, outside_cb, ud);
}

static void outside_free(uv_timer_t *t)
{
    outside *o = t->data;
    pgorm_db_free(o->db);
    uv_close((uv_handle_t *)t, NULL);
}

static void test_libuv_free_from_outside(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    outside o = {pgt_db_new(NULL), 0, 0, 0};
    assert_int_equal(pgorm_libuv_attach(o.db, &loop), 0);
    pgorm_db_connect(o.db, g_db.conninfo, outside_connected, &o);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &o;
    uv_timer_start(&t, outside_free, 200, 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(o.calls, 50);
    assert_true(o.closed > 0);
    assert_int_equal(o.ok + o.closed, 50);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* Errors through the loop: a refused connection, then work submitted on
   the failed handle and a call with bad arguments; each callback runs on a
   later turn (the timer hook), never inside the call. */
typedef struct errs {
    int connects, execs, inside;
    pgorm_errcode connect_code, codes[2];
} errs;

static void errs_exec(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    errs *e = ud;
    assert_false(e->inside);
    assert_non_null(err);
    e->codes[e->execs++] = err->code;
}

static void errs_connect(pgorm_db *db, const pgorm_error *err, void *ud)
{
    errs *e = ud;
    e->connects++;
    e->connect_code = err ? err->code : PGORM_OK;
    e->inside = 1;
    pgorm_exec(db, "SELECT 1", 0, NULL, errs_exec, e);
    pgorm_exec(db, NULL, 0, NULL, errs_exec, e);
    e->inside = 0;
}

static void free_later(uv_timer_t *t)
{
    pgorm_db_free(t->data);
    uv_close((uv_handle_t *)t, NULL);
}

static void test_libuv_errors(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    close(s); /* nothing listens there now */
    char ci[256];
    snprintf(ci, sizeof ci, "host=127.0.0.1 port=%d sslmode=disable", ntohs(a.sin_port));
    errs e;
    memset(&e, 0, sizeof e);
    pgorm_db *db = pgt_db_new(NULL);
    assert_int_equal(pgorm_libuv_attach(db, &loop), 0);
    pgorm_db_connect(db, ci, errs_connect, &e);
    assert_int_equal(e.connects, 0);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = db;
    uv_timer_start(&t, free_later, 500, 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(e.connects, 1);
    assert_int_equal(e.connect_code, PGORM_ERR_CONNECT);
    assert_int_equal(e.execs, 2);
    assert_int_equal(e.codes[0], PGORM_ERR_CLOSED);
    assert_int_equal(e.codes[1], PGORM_ERR_INVALID);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ------------------------------------------------------------------ */
/* libevent                                                            */

static void test_libevent_queries(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    run *r = calloc(1, sizeof *r);
    start_scenario(r);
    assert_int_equal(pgorm_libevent_attach(r->db, base), 0);
    connect_scenario(r);
    assert_int_equal(event_base_dispatch(base), 1); /* 1: no events left */
    check_scenario(r);
    event_base_free(base);
    free(r);
}

static void test_libevent_connect_timeout(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    tmo t;
    int ls;
    char ci[256];
    pgorm_db *db = start_timeout(&t, &ls, ci, sizeof ci);
    assert_int_equal(pgorm_libevent_attach(db, base), 0);
    int64_t t0 = now_ms();
    pgorm_db_connect(db, ci, on_timeout_connect, &t);
    assert_int_equal(event_base_dispatch(base), 1);
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.code, PGORM_ERR_TIMEOUT);
    assert_true(t.at - t0 >= 250);
    assert_true(t.at - t0 < 3000);
    event_base_free(base);
    close(ls);
}

/* ------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    pgt_db_create(&g_db, "adapters");
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
        cmocka_unit_test(test_libuv_queries),
        cmocka_unit_test(test_libuv_connect_timeout),
        cmocka_unit_test(test_libuv_free_from_outside),
        cmocka_unit_test(test_libuv_errors),
        cmocka_unit_test(test_libevent_queries),
        cmocka_unit_test(test_libevent_connect_timeout),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
