/* Support for the relationship tests (test_links.c, test_lazy.c): a fresh
 * database with the tables of tests/schemas/gen_links.pgorm, a pgorm
 * handle and a plain libpq connection, and statements counted ON THE
 * SERVER with pg_stat_statements (the test cluster preloads it).
 */
#ifndef PGORM_LINKTEST_H
#define PGORM_LINKTEST_H

#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_links.pgorm.h"

typedef struct lt_fixture {
    pgt_db d;
    PGconn *c;
    pgorm_db *db;
} lt_fixture;

static inline void lt_open(lt_fixture *f, const char *label)
{
    pgt_db_create(&f->d, label);
    f->c = pgt_connect(f->d.direct);
    pgt_apply_schema(f->c, "tests/schemas/gen_links.pgorm");
    f->db = pgt_pgorm_connect(f->d.conninfo);
}

static inline void lt_close(lt_fixture *f)
{
    pgorm_db_free(f->db);
    PQfinish(f->c);
    pgt_db_drop(&f->d);
}

/* pg_stat_statements in this database, reset: what runs from now on is
   counted. A server without it fails the test, saying how to fix it. */
static inline void lt_count_start(lt_fixture *f)
{
    PGresult *r = PQexec(f->c, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
    PQclear(r);
    if (ok) {
        /* this database's counts only: other test programs may be counting
           in theirs on the same server at the same time */
        r = PQexec(f->c, "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database"
                         " WHERE datname = current_database()), 0)");
        ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
        PQclear(r);
    }
    if (!ok)
        fail_msg("these tests count statements on the server with pg_stat_statements, which "
                 "this server does not provide (%s). Use the test cluster (unset DATABASE_URL) "
                 "or a server with shared_preload_libraries = 'pg_stat_statements'",
                 msg);
}

/* Statements executed in this database since lt_count_start (calls),
   other than those of pg_stat_statements itself, and, through PgBouncer,
   the SETs it sends to align a server connection's parameters with the
   client's (pgorm itself sends no SET). `like`: only statements whose text
   matches this ILIKE pattern (NULL: all). */
static inline int64_t lt_count(lt_fixture *f, const char *like)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements s "
             "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() "
             "AND s.query NOT ILIKE '%%pg_stat_statements%%'%s%s%s%s",
             pgt_pooled() ? " AND s.query NOT ILIKE 'SET %'" : "",
             like ? " AND s.query ILIKE '" : "", like ? like : "", like ? "'" : "");
    return pgt_query_int(f->c, sql);
}

/* Nations fr/jp/br; 100 writers (every 4th without a nation, every 2nd
   with an email); 10 presses; 1000 novels by writer 1 + g % 100, edited
   by a writer except every 3rd, published by a press except every 5th. */
static inline void lt_fill(lt_fixture *f)
{
    pgt_exec(f->c,
             "INSERT INTO nation (code, name) VALUES ('fr', 'France'), ('jp', 'Japan'), "
             "('br', 'Brazil');"
             "INSERT INTO writer (name, email, nation_id) SELECT 'writer ' || g, "
             "CASE WHEN g % 2 = 0 THEN 'w' || g || '@example.org' END, "
             "CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN 'fr' WHEN 2 THEN 'jp' ELSE 'br' END "
             "FROM generate_series(1, 100) g;"
             "INSERT INTO press (name) SELECT 'press ' || g FROM generate_series(1, 10) g;"
             "INSERT INTO novel (title, pages, writer_id, editor_id, press_id) "
             "SELECT 'novel ' || g, CASE WHEN g % 7 = 0 THEN NULL ELSE 50 + g % 400 END, "
             "1 + g % 100, CASE WHEN g % 3 = 0 THEN NULL ELSE 1 + (g * 7) % 100 END, "
             "CASE WHEN g % 5 = 0 THEN NULL ELSE 1 + g % 10 END "
             "FROM generate_series(1, 1000) g;"
             "ANALYZE");
}

/* ------------------------------------------------------------------ */
/* Out of memory (the walk itself is pgt_oom_walk)                     */

/* An error or success; never anything else. */
static inline void lt_oom_ok(int rc, pgorm_error *err)
{
    if (rc == 0)
        return;
    assert_non_null(err->message);
    if (err->code != PGORM_ERR_NOMEM && err->code != PGORM_ERR_CONNECTION_LOST &&
        err->code != PGORM_ERR_CLOSED && err->code != PGORM_ERR_CONNECT)
        fail_msg("unexpected error under allocation failure: %s", err->message);
    pgorm_error_clear(err);
}

/* A connected handle for an out-of-memory scenario, or NULL when the
   allocation failure hit the connect (already checked and released). */
static inline pgorm_db *lt_oom_connect(const char *conninfo)
{
    pgorm_db *db = pgt_db_new(NULL);
    if (!db)
        return NULL;
    pgorm_error err = {0};
    if (pgorm_db_connect_sync(db, conninfo, &err) != 0) {
        lt_oom_ok(-1, &err);
        pgorm_db_free(db);
        return NULL;
    }
    return db;
}

#endif
