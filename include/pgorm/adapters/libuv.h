/* pgorm on a libuv loop (header-only).
 *
 *     uv_loop_t *loop = uv_default_loop();
 *     pgorm_db *db = pgorm_db_new(NULL);
 *     pgorm_libuv_attach(db, loop);
 *     pgorm_db_connect(db, getenv("DATABASE_URL"), on_connected, NULL);
 *     uv_run(loop, UV_RUN_DEFAULT);
 *
 * One uv_poll_t (for the connection's current socket) and one uv_timer_t
 * per connection of the pool. When the handle is freed (pgorm_db_free), both are closed;
 * the adapter's memory is released in the close callbacks, so run the loop
 * until they have run (uv_run does; then uv_loop_close returns 0).
 * Memory comes from pgorm_malloc (the allocator hook).
 */
#ifndef PGORM_ADAPTERS_LIBUV_H
#define PGORM_ADAPTERS_LIBUV_H

#include <uv.h>

#include "pgorm/pgorm.h"

typedef struct pgorm_libuv {
    pgorm_conn *c; /* the connection it watches */
    uv_loop_t *loop;
    uv_poll_t *poll;   /* watches the current socket; NULL when none */
    uv_timer_t *timer;
    int events;        /* UV_READABLE | UV_WRITABLE the poll handle wants */
    int open_handles;  /* handles whose close callback has not run yet */
    int dead;          /* cleanup was called: freed with the last handle */
} pgorm_libuv;

static inline void pgorm_libuv__closed(uv_handle_t *h)
{
    pgorm_libuv *a = (pgorm_libuv *)h->data;
    pgorm_free(h);
    if (--a->open_handles == 0 && a->dead)
        pgorm_free(a);
}

static inline void pgorm_libuv__on_poll(uv_poll_t *h, int status, int events)
{
    pgorm_libuv *a = (pgorm_libuv *)h->data;
    if (a->dead || a->poll != h)
        return;
    if (status < 0)
        events = a->events; /* let libpq find out what is wrong with the socket */
    if (events & (UV_READABLE | UV_DISCONNECT))
        pgorm_conn_handle_read(a->c);
    /* the read may have freed the connection or replaced the socket */
    if ((events & UV_WRITABLE) && !a->dead && a->poll == h)
        pgorm_conn_handle_write(a->c);
}

static inline void pgorm_libuv__on_timer(uv_timer_t *t)
{
    pgorm_libuv *a = (pgorm_libuv *)t->data;
    if (!a->dead)
        pgorm_conn_handle_timer(a->c);
}

static inline void pgorm_libuv__set_events(pgorm_libuv *a, int events)
{
    if (!a->poll || events == a->events)
        return;
    a->events = events;
    int rc = events ? uv_poll_start(a->poll, events, pgorm_libuv__on_poll)
                    : uv_poll_stop(a->poll);
    if (rc < 0)
        pgorm_conn_handle_error(a->c, PGORM_ERR_IO, "libuv: cannot poll the socket");
}

static inline void pgorm_libuv__drop_poll(pgorm_libuv *a)
{
    if (!a->poll)
        return;
    uv_poll_stop(a->poll);
    uv_close((uv_handle_t *)a->poll, pgorm_libuv__closed);
    a->poll = NULL;
    a->events = 0;
}

/* A new socket (possibly under an old number): a fresh poll handle. */
static inline void pgorm_libuv__set_fd(void *data, int fd)
{
    pgorm_libuv *a = (pgorm_libuv *)data;
    pgorm_libuv__drop_poll(a);
    if (fd < 0)
        return;
    uv_poll_t *p = (uv_poll_t *)pgorm_malloc(sizeof *p);
    if (!p) {
        pgorm_conn_handle_error(a->c, PGORM_ERR_NOMEM, "libuv: out of memory watching the socket");
        return;
    }
    if (uv_poll_init(a->loop, p, fd) < 0) {
        pgorm_free(p);
        pgorm_conn_handle_error(a->c, PGORM_ERR_IO, "libuv: cannot watch the socket");
        return;
    }
    p->data = a;
    a->poll = p;
    a->open_handles++;
}

static inline void pgorm_libuv__add_read(void *data)
{
    pgorm_libuv *a = (pgorm_libuv *)data;
    pgorm_libuv__set_events(a, a->events | UV_READABLE);
}

static inline void pgorm_libuv__del_read(void *data)
{
    pgorm_libuv *a = (pgorm_libuv *)data;
    pgorm_libuv__set_events(a, a->events & ~UV_READABLE);
}

static inline void pgorm_libuv__add_write(void *data)
{
    pgorm_libuv *a = (pgorm_libuv *)data;
    pgorm_libuv__set_events(a, a->events | UV_WRITABLE);
}

static inline void pgorm_libuv__del_write(void *data)
{
    pgorm_libuv *a = (pgorm_libuv *)data;
    pgorm_libuv__set_events(a, a->events & ~UV_WRITABLE);
}

static inline void pgorm_libuv__timer(void *data, long ms)
{
    pgorm_libuv *a = (pgorm_libuv *)data;
    if (ms < 0)
        uv_timer_stop(a->timer);
    else
        uv_timer_start(a->timer, pgorm_libuv__on_timer, (uint64_t)ms, 0);
}

static inline void pgorm_libuv__cleanup(void *data)
{
    pgorm_libuv *a = (pgorm_libuv *)data;
    a->dead = 1;
    pgorm_libuv__drop_poll(a);
    uv_timer_stop(a->timer);
    uv_close((uv_handle_t *)a->timer, pgorm_libuv__closed);
    a->timer = NULL;
}

/* One connection of the pool (pgorm_loop.attach): data is the uv loop. */
static inline int pgorm_libuv__attach_conn(void *data, pgorm_conn *c)
{
    uv_loop_t *loop = (uv_loop_t *)data;
    pgorm_libuv *a = (pgorm_libuv *)pgorm_calloc(1, sizeof *a);
    uv_timer_t *t = (uv_timer_t *)pgorm_malloc(sizeof *t);
    if (!a || !t) {
        pgorm_free(a);
        pgorm_free(t);
        return -1;
    }
    if (uv_timer_init(loop, t) < 0) {
        pgorm_free(a);
        pgorm_free(t);
        return -1;
    }
    t->data = a;
    a->c = c;
    a->loop = loop;
    a->timer = t;
    a->open_handles = 1;
    pgorm_loop_hooks hooks;
    hooks.data = a;
    hooks.set_fd = pgorm_libuv__set_fd;
    hooks.add_read = pgorm_libuv__add_read;
    hooks.del_read = pgorm_libuv__del_read;
    hooks.add_write = pgorm_libuv__add_write;
    hooks.del_write = pgorm_libuv__del_write;
    hooks.timer = pgorm_libuv__timer;
    hooks.cleanup = pgorm_libuv__cleanup;
    pgorm_conn_set_hooks(c, &hooks);
    return 0;
}

/* Drive every connection of `db` (a pool) from `loop`. Call before
   pgorm_db_connect. db and loop are borrowed: the loop must outlive the
   pool (and run until its handles are closed after pgorm_db_free). 0, or
   UV_EINVAL for a NULL argument. A connection the adapter cannot watch
   (out of memory) fails with PGORM_ERR_IO when the pool connects. */
static inline int pgorm_libuv_attach(pgorm_db *db, uv_loop_t *loop)
{
    if (!db || !loop)
        return UV_EINVAL;
    pgorm_loop l;
    l.data = loop;
    l.attach = pgorm_libuv__attach_conn;
    pgorm_db_set_loop(db, &l);
    return 0;
}

#endif
