/* pgorm on a libevent 2 loop (header-only).
 *
 *     struct event_base *base = event_base_new();
 *     pgorm_db *db = pgorm_db_new(NULL);
 *     pgorm_libevent_attach(db, base);
 *     pgorm_db_connect(db, getenv("DATABASE_URL"), on_connected, NULL);
 *     event_base_dispatch(base);
 *
 * Per connection: a read event and a write event on the current socket
 * (persistent, added and removed as interest changes) and one timer.
 * libevent frees an event at once, even from inside its own callback, so
 * cleanup releases everything immediately. The adapter's own state comes
 * from pgorm_malloc; the events from libevent's allocator.
 */
#ifndef PGORM_ADAPTERS_LIBEVENT_H
#define PGORM_ADAPTERS_LIBEVENT_H

#include <event2/event.h>

#include "pgorm/pgorm.h"

typedef struct pgorm_libevent {
    pgorm_conn *c; /* the connection it watches */
    struct event_base *base;
    struct event *rev, *wev; /* on the current socket; NULL when none */
    struct event *timer;
    int reading, writing;
} pgorm_libevent;

static inline void pgorm_libevent__on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    /* last statement: the connection (and this adapter) may be freed inside */
    pgorm_conn_handle_read(((pgorm_libevent *)arg)->c);
}

static inline void pgorm_libevent__on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pgorm_conn_handle_write(((pgorm_libevent *)arg)->c);
}

static inline void pgorm_libevent__on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pgorm_conn_handle_timer(((pgorm_libevent *)arg)->c);
}

static inline void pgorm_libevent__drop_io(pgorm_libevent *a)
{
    if (a->rev)
        event_free(a->rev); /* event_free deletes a pending event first */
    if (a->wev)
        event_free(a->wev);
    a->rev = a->wev = NULL;
    a->reading = a->writing = 0;
}

static inline void pgorm_libevent__set_fd(void *data, int fd)
{
    pgorm_libevent *a = (pgorm_libevent *)data;
    pgorm_libevent__drop_io(a);
    if (fd < 0)
        return;
    a->rev = event_new(a->base, fd, EV_READ | EV_PERSIST, pgorm_libevent__on_read, a);
    a->wev = event_new(a->base, fd, EV_WRITE | EV_PERSIST, pgorm_libevent__on_write, a);
    if (!a->rev || !a->wev) {
        pgorm_libevent__drop_io(a);
        pgorm_conn_handle_error(a->c, PGORM_ERR_NOMEM,
                              "libevent: out of memory watching the socket");
    }
}

static inline void pgorm_libevent__toggle(pgorm_libevent *a, struct event *ev, int *on, int want)
{
    if (!ev || *on == want)
        return;
    if ((want ? event_add(ev, NULL) : event_del(ev)) != 0) {
        pgorm_conn_handle_error(a->c, PGORM_ERR_IO, "libevent: cannot watch the socket");
        return;
    }
    *on = want;
}

static inline void pgorm_libevent__add_read(void *data)
{
    pgorm_libevent *a = (pgorm_libevent *)data;
    pgorm_libevent__toggle(a, a->rev, &a->reading, 1);
}

static inline void pgorm_libevent__del_read(void *data)
{
    pgorm_libevent *a = (pgorm_libevent *)data;
    pgorm_libevent__toggle(a, a->rev, &a->reading, 0);
}

static inline void pgorm_libevent__add_write(void *data)
{
    pgorm_libevent *a = (pgorm_libevent *)data;
    pgorm_libevent__toggle(a, a->wev, &a->writing, 1);
}

static inline void pgorm_libevent__del_write(void *data)
{
    pgorm_libevent *a = (pgorm_libevent *)data;
    pgorm_libevent__toggle(a, a->wev, &a->writing, 0);
}

static inline void pgorm_libevent__timer(void *data, long ms)
{
    pgorm_libevent *a = (pgorm_libevent *)data;
    if (ms < 0) {
        evtimer_del(a->timer);
        return;
    }
    struct timeval tv;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    if (evtimer_add(a->timer, &tv) != 0)
        pgorm_conn_handle_error(a->c, PGORM_ERR_IO, "libevent: cannot arm the timer");
}

static inline void pgorm_libevent__cleanup(void *data)
{
    pgorm_libevent *a = (pgorm_libevent *)data;
    pgorm_libevent__drop_io(a);
    event_free(a->timer);
    pgorm_free(a);
}

/* One connection of the pool (pgorm_loop.attach): data is the base. */
static inline int pgorm_libevent__attach_conn(void *data, pgorm_conn *c)
{
    struct event_base *base = (struct event_base *)data;
    pgorm_libevent *a = (pgorm_libevent *)pgorm_calloc(1, sizeof *a);
    if (!a)
        return -1;
    a->c = c;
    a->base = base;
    a->timer = evtimer_new(base, pgorm_libevent__on_timer, a);
    if (!a->timer) {
        pgorm_free(a);
        return -1;
    }
    pgorm_loop_hooks hooks;
    hooks.data = a;
    hooks.set_fd = pgorm_libevent__set_fd;
    hooks.add_read = pgorm_libevent__add_read;
    hooks.del_read = pgorm_libevent__del_read;
    hooks.add_write = pgorm_libevent__add_write;
    hooks.del_write = pgorm_libevent__del_write;
    hooks.timer = pgorm_libevent__timer;
    hooks.cleanup = pgorm_libevent__cleanup;
    pgorm_conn_set_hooks(c, &hooks);
    return 0;
}

/* Drive every connection of `db` (a pool) from `base`. Call before
   pgorm_db_connect. db and base are borrowed: the base must outlive the
   pool. 0, or -1 for a NULL argument. A connection the adapter cannot
   watch (out of memory) fails with PGORM_ERR_IO when the pool connects. */
static inline int pgorm_libevent_attach(pgorm_db *db, struct event_base *base)
{
    if (!db || !base)
        return -1;
    pgorm_loop l;
    l.data = base;
    l.attach = pgorm_libevent__attach_conn;
    pgorm_db_set_loop(db, &l);
    return 0;
}

#endif
