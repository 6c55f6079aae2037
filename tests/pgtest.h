/* Test support: cmocka plus a real PostgreSQL.
 *
 * Each test file is one process. pgt_db_create() makes a fresh database for
 * one test (named after the test and the process) on the cluster the `pg`
 * fixture started (or on DATABASE_URL), and pgt_db_drop() removes it.
 * Setup uses blocking libpq: it is test scaffolding, not the code under test.
 */
#ifndef PGORM_PGTEST_H
#define PGORM_PGTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs these first */
#include <cmocka.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "pgorm/pgorm.h"
#include "pgorm/schema.h"

/* Conninfo of the server's admin database (static storage). */
const char *pgt_admin_conninfo(void);

/* The suite runs through PgBouncer (scripts/test.sh --pgbouncer: the
   fixture's cluster has PgBouncer in transaction pool mode in front of it).
   Then pgt_db.conninfo goes through PgBouncer, and pgt_db_new makes
   handles with unnamed_statements; what needs a session of its own
   (terminating a backend, LISTEN, migrations' advisory lock) uses
   pgt_db.direct. */
bool pgt_pooled(void);
/* PgBouncer's conninfo to the server's admin database (static storage), or
   NULL when not pooled. Fails the test when PGORM_PGBOUNCER=1 asks for
   PgBouncer and the cluster has none. */
const char *pgt_pooler_conninfo(void);

typedef struct pgt_db {
    char name[64];
    char conninfo[1024]; /* connects to the new database (through PgBouncer when pooled) */
    char direct[1024];   /* connects to the new database, always straight to the server */
} pgt_db;

/* conninfo (key=value pairs or a URI) with key=value added. */
void pgt_conninfo_with(char *out, size_t cap, const char *conninfo, const char *key,
                       const char *value);
/* Create a fresh, empty database; fails the test on error. */
void pgt_db_create(pgt_db *db, const char *label);
void pgt_db_drop(pgt_db *db);

/* Blocking helpers on a separate connection, for setup and checks. */
PGconn *pgt_connect(const char *conninfo);
/* Run SQL (may hold several statements); fails the test on error. */
void pgt_exec(PGconn *c, const char *sql);
/* First column of the first row as int64 (fails the test when absent). */
int64_t pgt_query_int(PGconn *c, const char *sql);
/* First column of the first row, as a new string (free with free()); NULL for SQL NULL. */
char *pgt_query_text(PGconn *c, const char *sql);

/* Parse a schema held in memory / a schema file (path relative to the
   source tree, or absolute); fails the test with the parser's first
   diagnostic. The schema is the caller's (pgorm_schema_free). */
pgorm_schema *pgt_parse_schema(const char *text);
pgorm_schema *pgt_parse_schema_file(const char *path);

/* Create the tables of a schema file (path relative to the source tree),
   through pgorm's own DDL. */
void pgt_apply_schema(PGconn *c, const char *schema_path);
/* The same from a schema held in memory. */
void pgt_apply_schema_text(PGconn *c, const char *text);

/* A _sync call's status: unless rc is 0, fails the test with "what: " and
   the error's message (the error is cleared). */
void pgt_ok(int rc, pgorm_error *err, const char *what);

/* pgorm_db_new for tests: the same options, with unnamed_statements set
   when the suite runs through PgBouncer (pgt_pooled). */
pgorm_db *pgt_db_new(const pgorm_db_options *opts);

/* A connected pgorm handle (sync, pgt_db_new's options); fails the test on
   error. */
pgorm_db *pgt_pgorm_connect(const char *conninfo);

/* Read a whole file into a new NUL-terminated string (free with free()). */
char *pgt_read_file(const char *path, size_t *len);

/* Run a command, capturing stdout+stderr into *out (new string, may be
   NULL when not wanted); returns the exit status (or -1). */
int pgt_run(const char *cmdline, char **out);

/* Out of memory. A counting allocator for pgorm_set_allocator: once armed
   it fails allocation number fail_at (counted from 1), or with persistent
   every allocation from that one on (0: never), and counts the blocks
   alive. pgt_oom_arm installs it and resets the counts; pgt_oom_disarm puts
   the default allocator back. Test state, one per process. */
void pgt_oom_arm(long fail_at, bool persistent);
void pgt_oom_disarm(void);
/* An allocation was failed since pgt_oom_arm. */
bool pgt_oom_failed(void);
/* Blocks allocated since pgt_oom_arm and not freed. */
long pgt_oom_live(void);
/* The allocator's own free, for blocks it handed out. */
void pgt_oom_free(void *p);

/* Run scenario(ctx) failing allocation 1, 2, 3... until a run passes with
   no failure, first one allocation at a time, then every one from N on;
   fails the test when a run leaves a block allocated, or unless each walk
   took more than min_runs runs. The default allocator is back after. */
void pgt_oom_walk(void (*scenario)(void *ctx), void *ctx, long min_runs);

#endif
