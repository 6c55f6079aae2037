/* LISTEN / NOTIFY: a connection of its own, kept for listening.
 *
 * The first pgorm_listen makes it (conns[nconns], LISTEN_SLOT): the pool's
 * work never goes there, so a notification is read as soon as it arrives,
 * whatever the other connections are busy with. Like the others it is
 * replaced when lost; when it comes up (again) every channel is subscribed
 * again (LISTEN is per session). Notifications seen on other connections
 * (a LISTEN sent through pgorm_exec) are dropped.
 */
#include <string.h>

#include "runtime/core/conn.h"
#include "util/buf.h"
#include "util/sqlq.h"

typedef struct listen_sub {
    char *channel;
    pgorm_notify_cb cb;
    void *ud;
    bool active; /* its LISTEN completed on the current session */
} listen_sub;

typedef struct listen_op {
    pgorm_op op;
    pgorm_db *pool;
    bool unlisten;
    char *channel;
} listen_op;

static void listen_op_complete(pgorm_op *op, const pgorm_error *err)
{
    listen_op *x = (listen_op *)op;
    pgorm_db *pool = x->pool;
    if (!err && !x->unlisten)
        for (size_t i = 0; i < pool->nsubs; i++)
            if (strcmp(pool->subs[i].channel, x->channel) == 0)
                pool->subs[i].active = true;
    pgorm_free(x->channel);
    pgorm_free(x->op.sql);
    pgorm_free(x);
}

static const pgorm_op_vtbl listen_vt = {NULL, listen_op_complete};

static pgorm_conn *listen_conn(const pgorm_db *pool)
{
    return pool->nall > pool->nconns ? pool->conns[pool->nconns] : NULL;
}

static void send_listen(pgorm_db *pool, pgorm_conn *cn, const char *channel, bool unlisten)
{
    listen_op *x = pgorm_calloc(1, sizeof *x);
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_buf_puts(&b, unlisten ? "UNLISTEN " : "LISTEN ");
    pgorm_sql_ident(&b, channel);
    char *sql = pgorm_buf_steal(&b);
    char *ch = pgorm_strdup(channel);
    if (!x || !sql || !ch) {
        /* out of memory: pgorm_db_listening stays false for it */
        pgorm_free(x);
        pgorm_free(sql);
        pgorm_free(ch);
        return;
    }
    pgorm_op_init(&x->op, &listen_vt);
    x->op.sql = sql;
    x->pool = pool;
    x->unlisten = unlisten;
    x->channel = ch;
    if (!pool_admit(pool, &x->op))
        return; /* refused (pool closing): completes on the next turn */
    conn_push(cn, &x->op);
    pool_touch(pool, cn);
}

void listen_ready(pgorm_db *pool, pgorm_conn *cn)
{
    for (size_t i = 0; i < pool->nsubs; i++)
        pool->subs[i].active = false;
    for (size_t i = 0; i < pool->nsubs; i++)
        send_listen(pool, cn, pool->subs[i].channel, false);
}

void listen_deliver(pgorm_conn *cn)
{
    pgorm_db *pool = cn->pool;
    PGnotify *n;
    while (cn->conn && (n = PQnotifies(cn->conn))) {
        if (cn->slot == LISTEN_SLOT) {
            /* a callback may unlisten (the array changes) or free the pool */
            for (size_t i = 0; i < pool->nsubs && !pool->free_requested; i++) {
                listen_sub s = pool->subs[i];
                if (strcmp(s.channel, n->relname) != 0)
                    continue;
                s.cb(n->relname, n->extra ? n->extra : "", n->be_pid, s.ud);
            }
        }
        PQfreemem(n);
        if (pool->free_requested)
            return;
    }
}

void listen_teardown(pgorm_db *pool)
{
    for (size_t i = 0; i < pool->nsubs; i++)
        pgorm_free(pool->subs[i].channel);
    pgorm_free(pool->subs);
    pool->subs = NULL;
    pool->nsubs = pool->subs_cap = 0;
}

int pgorm_listen(pgorm_db *db, const char *channel, pgorm_notify_cb cb, void *ud)
{
    if (!db || !channel || !*channel || !cb || db->pool->free_requested)
        return -1;
    pgorm_db *pool = db->pool;
    if (pool->nsubs == pool->subs_cap) {
        size_t cap = pool->subs_cap ? pool->subs_cap * 2 : 4;
        listen_sub *p = pgorm_realloc(pool->subs, cap * sizeof *p);
        if (!p)
            return -1;
        pool->subs = p;
        pool->subs_cap = cap;
    }
    pgorm_conn *cn = listen_conn(pool);
    if (!cn) {
        cn = conn_new(pool, LISTEN_SLOT);
        if (!cn)
            return -1;
        pool->conns[pool->nconns] = cn;
        pool->nall = pool->nconns + 1;
        conn_attach_loop(cn);
        if (pool->connect_started && pool->conninfo)
            conn_start(cn, conn_conninfo(cn));
        /* (before pgorm_db_connect: it is started with the others) */
        if (cn->state == DB_FAILED)
            conn_schedule_reconnect(cn);
    }
    char *ch = pgorm_strdup(channel);
    if (!ch)
        return -1;
    pool->subs[pool->nsubs++] = (listen_sub){ch, cb, ud, false};
    if (cn->state == DB_READY)
        send_listen(pool, cn, channel, false);
    pool_touch(pool, cn);
    return 0;
}

void pgorm_unlisten(pgorm_db *db, const char *channel)
{
    if (!db || !channel)
        return;
    pgorm_db *pool = db->pool;
    size_t k = 0;
    bool any = false;
    for (size_t i = 0; i < pool->nsubs; i++) {
        if (strcmp(pool->subs[i].channel, channel) == 0) {
            pgorm_free(pool->subs[i].channel);
            any = true;
        } else {
            pool->subs[k++] = pool->subs[i];
        }
    }
    pool->nsubs = k;
    pgorm_conn *cn = listen_conn(pool);
    if (any && cn && cn->state == DB_READY && !pool->free_requested)
        send_listen(pool, cn, channel, true);
}

bool pgorm_db_listening(const pgorm_db *db, const char *channel)
{
    if (!db || !channel)
        return false;
    const pgorm_db *pool = db->pool;
    const pgorm_conn *cn = listen_conn(pool);
    if (!cn || cn->state != DB_READY)
        return false;
    for (size_t i = 0; i < pool->nsubs; i++)
        if (pool->subs[i].active && strcmp(pool->subs[i].channel, channel) == 0)
            return true;
    return false;
}

void pgorm_notify(pgorm_db *db, const char *channel, const char *payload, pgorm_count_cb cb,
                  void *ud)
{
    const char *p[] = {channel, payload ? payload : ""};
    pgorm_exec(db, "SELECT pg_notify($1, $2)", 2, p, cb, ud);
}
