/* A small server on a pool: a steady stream of simulated requests on a
 * libuv loop, each in its own transaction on a pool of 4 connections.
 *
 * Each request reserves one unit of stock and records an order, in one
 * transaction: most commit; every 5th finds a reason to roll back; every
 * 25th runs into a slow statement and is stopped by the transaction's
 * 200 ms timeout (cancelled on the server; the connection goes on). At the
 * end it prints what happened and checks the database agrees.
 *
 *   pool_server [requests]     (DATABASE_URL names the database)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "pgorm/adapters/libuv.h"
#include "pgorm/pgorm.h"

typedef struct server {
    pgorm_db *db;
    uv_loop_t *loop;
    uv_timer_t tick;
    int total, issued, finished;
    int committed, rolled_back, timed_out, failed;
    int in_flight, max_in_flight;
    uint64_t started_ms;
} server;

typedef struct request {
    server *s;
    pgorm_db *tx;
    int n;
    bool failed;
    char id[16];
} request;

static void request_end(request *r, int *counter)
{
    server *s = r->s;
    (*counter)++;
    s->finished++;
    s->in_flight--;
    free(r);
    if (s->finished == s->total)
        uv_stop(s->loop);
}

static void on_committed(const pgorm_error *err, void *ud)
{
    request *r = ud;
    if (err) {
        fprintf(stderr, "request %d: commit: %s\n", r->n, err->message);
        request_end(r, &r->s->failed);
        return;
    }
    request_end(r, &r->s->committed);
}

static void on_rolled_back(const pgorm_error *err, void *ud)
{
    request *r = ud;
    if (err)
        fprintf(stderr, "request %d: rollback: %s\n", r->n, err->message);
    request_end(r, r->failed           ? &r->s->failed
                   : r->n % 25 == 0 ? &r->s->timed_out
                                   : &r->s->rolled_back);
}

static void on_slow(int64_t count, const pgorm_error *err, void *ud)
{
    (void)count;
    request *r = ud;
    if (!err || err->code != PGORM_ERR_TIMEOUT) {
        fprintf(stderr, "request %d: expected a timeout, got %s\n", r->n,
                err ? err->message : "success");
        r->failed = true;
    }
    pgorm_rollback(r->tx, on_rolled_back, r);
}

static void on_ordered(int64_t count, const pgorm_error *err, void *ud)
{
    request *r = ud;
    if (err || count != 1) {
        fprintf(stderr, "request %d: order: %s\n", r->n, err ? err->message : "no row");
        r->failed = true;
        pgorm_rollback(r->tx, on_rolled_back, r);
        return;
    }
    if (r->n % 5 == 0)
        pgorm_rollback(r->tx, on_rolled_back, r);
    else
        pgorm_commit(r->tx, on_committed, r);
}

static void on_begun(pgorm_db *tx, const pgorm_error *err, void *ud)
{
    request *r = ud;
    if (err) {
        fprintf(stderr, "request %d: begin: %s\n", r->n, err->message);
        request_end(r, &r->s->failed);
        return;
    }
    r->tx = tx;
    if (r->n % 25 == 0) { /* a slow report, before it takes any lock */
        pgorm_exec(tx, "SELECT pg_sleep(5)", 0, NULL, on_slow, r);
        return;
    }
    /* two statements, one round trip: both are pipelined behind BEGIN */
    pgorm_exec(tx, "UPDATE stock SET units = units - 1 WHERE item = 'widget'", 0, NULL, NULL,
               NULL);
    const char *p[] = {r->id};
    pgorm_exec(tx, "INSERT INTO orders (request) VALUES ($1::int)", 1, p, on_ordered, r);
}

static void on_tick(uv_timer_t *t)
{
    server *s = t->data;
    for (int k = 0; k < 2 && s->issued < s->total; k++) { /* 2 requests per ms */
        request *r = calloc(1, sizeof *r);
        r->s = s;
        r->n = ++s->issued;
        snprintf(r->id, sizeof r->id, "%d", r->n);
        if (++s->in_flight > s->max_in_flight)
            s->max_in_flight = s->in_flight;
        pgorm_begin(s->db, &(pgorm_tx_options){.timeout_ms = 200}, on_begun, r);
    }
    if (s->issued == s->total)
        uv_timer_stop(t);
}

static int setup(pgorm_db *db)
{
    static const char *const sql[] = {
        "DROP TABLE IF EXISTS orders", "DROP TABLE IF EXISTS stock",
        "CREATE TABLE stock (item text PRIMARY KEY, units int NOT NULL)",
        "INSERT INTO stock VALUES ('widget', 100000)",
        "CREATE TABLE orders (id bigserial PRIMARY KEY, request int NOT NULL)", NULL};
    for (int i = 0; sql[i]; i++) {
        pgorm_error err;
        if (pgorm_exec_sync(db, sql[i], 0, NULL, NULL, &err) != 0) {
            fprintf(stderr, "setup: %s\n", err.message);
            pgorm_error_clear(&err);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    server s = {0};
    s.total = argc > 1 ? atoi(argv[1]) : 700;
    if (s.total < 1)
        s.total = 700;
    s.loop = uv_default_loop();
    s.db = pgorm_db_new(&(pgorm_db_options){.pool_size = 4});
    if (!s.db || pgorm_libuv_attach(s.db, s.loop) != 0)
        return 1;
    pgorm_error err;
    if (pgorm_db_connect_sync(s.db, getenv("DATABASE_URL"), &err) != 0) {
        fprintf(stderr, "connect: %s\n", err.message);
        return 1;
    }
    if (setup(s.db) != 0)
        return 1;
    uv_timer_init(s.loop, &s.tick);
    s.tick.data = &s;
    s.started_ms = uv_now(s.loop);
    uv_timer_start(&s.tick, on_tick, 0, 1);
    uv_run(s.loop, UV_RUN_DEFAULT);
    uv_update_time(s.loop);
    uint64_t ms = uv_now(s.loop) - s.started_ms;

    int64_t orders = 0, stock = 0;
    pgorm_exec_sync(s.db, "SELECT * FROM orders", 0, NULL, &orders, NULL);
    pgorm_exec_sync(s.db, "SELECT * FROM stock WHERE units = 100000 - (SELECT count(*) FROM orders)",
                    0, NULL, &stock, NULL);
    printf("%d requests in %llu ms on a pool of 4 connections (at most %d in flight)\n", s.total,
           (unsigned long long)ms, s.max_in_flight);
    printf("  committed   %5d\n  rolled back %5d\n  timed out   %5d (stopped after 200 ms, "
           "rolled back)\n  failed      %5d\n",
           s.committed, s.rolled_back, s.timed_out, s.failed);
    printf("database: %lld orders, stock %s\n", (long long)orders,
           stock == 1 ? "agrees" : "DISAGREES");
    bool ok = s.failed == 0 && orders == s.committed && stock == 1 &&
              s.committed + s.rolled_back + s.timed_out == s.total;
    pgorm_db_free(s.db);
    uv_close((uv_handle_t *)&s.tick, NULL);
    uv_run(s.loop, UV_RUN_DEFAULT);
    uv_loop_close(s.loop);
    return ok ? 0 : 1;
}
