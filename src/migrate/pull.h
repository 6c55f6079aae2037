/* `pgorm pull`: a schema file written from a live database.
 *
 * Introspection (introspect.c) gives the catalog; this writes it in the
 * schema language so that `migrate make` against the same database is
 * empty: a model per table (PascalCase of the table, with @@table when the
 * table is not the snake_case of that name), a field per column, keys,
 * uniques and indexes as field or block attributes, defaults, an enum block
 * per enum type (one whose values are not names is unmanaged), and for each
 * foreign key a ForeignKey field (named by its column without "_id") and a
 * BackReference on the model it points to (named by the plural of the
 * referring table; by field and table when one table points there twice).
 *
 * What the language cannot express (the unmanaged objects, a column whose
 * name is not an identifier of the language) is written as comments, never
 * as something else: `make` leaves unmanaged objects alone.
 */
#ifndef PGORM_MIGRATE_PULL_H
#define PGORM_MIGRATE_PULL_H

#include <libpq-fe.h>

#include "migrate/catalog.h"
#include "migrate/mig_err.h"
#include "util/buf.h"

/* Write the schema file for catalog `c` into `out`; `source` names the
   database in the header comment (may be NULL). False on OOM. */
bool mig_pull_write(const mig_catalog *c, const char *source, pgorm_buf *out);

/* Introspect `conn` and write its schema file into `out`. MIG_OK, or
   MIG_DB with *e filled. */
int mig_pull(PGconn *conn, pgorm_buf *out, mig_err *e);

#endif
