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

#include "pgorm/pgorm.h"

/* Conninfo of the server's admin database (static storage). */
const char *pgt_admin_conninfo(void);

typedef struct pgt_db {
    char name[64];
    char conninfo[1024]; /* connects to the new database */
} pgt_db;

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

/* Create the tables of a schema file (path relative to the source tree),
   through pgorm's own DDL. */
void pgt_apply_schema(PGconn *c, const char *schema_path);

/* A connected pgorm handle (sync); fails the test on error. */
pgorm_db *pgt_pgorm_connect(const char *conninfo);

/* Read a whole file into a new NUL-terminated string (free with free()). */
char *pgt_read_file(const char *path, size_t *len);

/* Run a command, capturing stdout+stderr into *out (new string, may be
   NULL when not wanted); returns the exit status (or -1). */
int pgt_run(const char *cmdline, char **out);

#endif
