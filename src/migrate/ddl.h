/* DDL for a whole schema: the "from empty" case of migrations.
 *
 * Tables are created in dependency order (a table after the tables its
 * foreign keys point at); foreign keys that close a cycle are added after
 * both tables exist, with ALTER TABLE ... ADD CONSTRAINT. Constraint and
 * index names are derived deterministically (see ddl.c), so the diff engine
 * can render the same objects one at a time with the functions below.
 */
#ifndef PGORM_MIGRATE_DDL_H
#define PGORM_MIGRATE_DDL_H

#include "pgorm/schema.h"
#include "util/buf.h"

/* The whole schema as SQL statements, each ending in ";\n". New string
   (pgorm_free), NULL on OOM. */
char *pgorm_ddl_create_schema(const pgorm_schema *s);

#endif
