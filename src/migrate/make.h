/* `migrate make`: compare a schema file with the live database and write the
 * migration that takes the database to the schema, and its down migration.
 *
 * Steps: parse the schema; refuse when the folder holds migrations the
 * database has not applied (the comparison would be with a stale database);
 * introspect; let the server spell the schema's defaults and checks as it
 * stores them (so equal ones compare equal); diff; with no change, say so and write
 * nothing; refuse changes that lose data (dropped tables and columns,
 * narrowed types, each listed with the rows it affects) unless allowed;
 * render and write <dir>/<version>_<name>.up.sql and .down.sql.
 */
#ifndef PGORM_MIGRATE_MAKE_H
#define PGORM_MIGRATE_MAKE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

#include "migrate/catalog.h"
#include "migrate/mig_err.h"
#include "migrate/runner.h"
#include "util/buf.h"

typedef struct mig_make_opts {
    PGconn *conn;            /* borrowed, idle */
    const char *schema_path; /* the .pgorm file */
    const char *dir;         /* the migrations folder (created when missing) */
    const char *name;        /* [A-Za-z0-9_-]+ */
    bool allow_data_loss;
    const char *version; /* a fixed version (PGORM_MIGRATE_VERSION) or NULL */
    time_t now;          /* for the version when none is fixed */
    mig_say_fn say;      /* progress and the list of changes; may be NULL */
    void *ud;
} mig_make_opts;

/* Returns MIG_OK (also when nothing changed), MIG_USER (bad schema, refused
   data loss, unapplied migrations, bad name) or MIG_DB, with *e filled. */
int mig_make(const mig_make_opts *o, mig_err *e);

/* Let the server spell the predicates and expressions of the schema's
   indexes as pg_get_expr / pg_get_indexdef print them (key->where_sql,
   key->exprs_sql), so a second make compares them equal to the
   database's: each such index is created on a temporary table with the
   table's columns, in a transaction rolled back. An index the server
   refuses is the user's mistake: MIG_USER with its message (probe_index.c). */
int mig_canon_indexes(PGconn *c, mig_catalog *to, mig_err *e);

/* Inside an open transaction (rolled back by the caller): the catalog's
   enum types created as the schema has them, for a probe. MIG_OK or an
   error in *e (`what` names the step). */
int mig_probe_enum_types(PGconn *c, const mig_catalog *to, mig_err *e, const char *what);

/* The column list of a probe table with t's columns ("a" int4, "m"
   "app"."mood", ...): enum columns name the types mig_probe_enum_types
   made. */
void mig_probe_columns(pgorm_buf *b, const mig_table *t);

#endif
