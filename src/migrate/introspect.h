/* Introspection: the tables of a live database's `public` schema, read from
 * pg_catalog (pgorm's own pgorm_migrations table left out).
 *
 * Reads tables; columns with their exact types (varchar length, numeric
 * precision and scale), NOT NULL and defaults (int4/int8 whose default is
 * nextval() of a sequence the column owns read back as serial/bigserial);
 * primary keys (composite too), unique constraints and unique indexes,
 * indexes the language spells (partial, over expressions, DESC, of any
 * built-in method: MIG_INDEX_SPELLABLE_SQL), foreign keys with their ON
 * DELETE and ON UPDATE (multi-column ones and ones to a unique non-key
 * column as @@foreign_key, mig_fk.block); enum types with their labels in
 * sort order, and columns of those types; CHECK constraints
 * (pg_get_constraintdef, and whether pgorm made them: the comment 'pgorm'
 * on the constraint).
 * Everything gets its name from the database.
 *
 * What the schema language cannot describe is never an error: a column of
 * type money, an identity or generated column, a key over one, a
 * foreign key of another type than its key's, an index with an operator class, a
 * trigger, a view, a type, a function... is kept in the catalog's list of
 * unmanaged objects (unmanaged.c), and no migration touches it.
 *
 * Blocking libpq: this runs in the command-line tool.
 */
#ifndef PGORM_MIGRATE_INTROSPECT_H
#define PGORM_MIGRATE_INTROSPECT_H

#include <libpq-fe.h>

#include "migrate/catalog.h"
#include "migrate/mig_err.h"
#include "migrate/runner.h"
#include "pgorm/schema.h"

/* SQL: whether the index i (pg_index, with ic its pg_class row and am its
   pg_am row) is one the schema language spells: @@index over columns and
   sql("...") expressions, each ascending or DESC (NULLS in their default
   place), with the default operator class and collation, btree / hash /
   gin / gist / brin / spgist, no INCLUDE, no storage parameters, and an
   optional WHERE; or @@unique over columns, btree, with an optional WHERE.
   Tested by rebuilding the definition from those pieces and comparing it
   with pg_get_indexdef, so anything else it prints (an operator class,
   COLLATE, NULLS LAST, INCLUDE, WITH (...)) makes the index unmanaged. */
#define MIG_INDEX_SPELLABLE_SQL                                                                \
    "(am.amname IN ('btree', 'hash', 'gin', 'gist', 'brin', 'spgist') "                          \
    "AND i.indnatts = i.indnkeyatts "                                                          \
    "AND (NOT i.indisunique OR (i.indexprs IS NULL AND 0 = ALL (i.indoption::int2[]))) "       \
    "AND pg_get_indexdef(i.indexrelid) = 'CREATE ' || "                                        \
    "CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || quote_ident(ic.relname) " \
    "|| ' ON ' || (SELECT quote_ident(ns.nspname) || '.' || quote_ident(r.relname) "           \
    "  FROM pg_class r JOIN pg_namespace ns ON ns.oid = r.relnamespace WHERE r.oid = i.indrelid) " \
    "|| ' USING ' || am.amname || ' (' || (SELECT string_agg(pg_get_indexdef(i.indexrelid, "   \
    "  k.n, false) || CASE i.indoption[k.n - 1] WHEN 0 THEN '' WHEN 3 THEN ' DESC' "            \
    "  ELSE ' ?' END, ', ' ORDER BY k.n) FROM generate_series(1, i.indnkeyatts::int) AS k(n)) " \
    "|| ')' || coalesce(' WHERE ' || pg_get_expr(i.indpred, i.indrelid), ''))"

/* The database's tables as a catalog (names of constraints, indexes and
   sequences included). New (mig_catalog_free); NULL with *e filled on
   error. `conn` is borrowed and must be idle. */
mig_catalog *mig_introspect(PGconn *conn, mig_err *e);

/* The same over the tables and enum types of public and of schemas[0..n)
   (SQL schemas a schema file names); n == MIG_ALL_SCHEMAS: every schema
   but PostgreSQL's own (pg_*, information_schema), for pull. Objects of
   other schemas are not read, so no migration touches them. Sets the
   session's search_path to public (the catalog names public's objects
   unqualified, as pg_get_expr prints them then). */
#define MIG_ALL_SCHEMAS ((size_t)-1)
mig_catalog *mig_introspect_in(PGconn *conn, const char *const *schemas, size_t n, mig_err *e);
/* The SQL schemas a parsed schema names besides public (models, enums and
   the file's `schema name`),
   each once: a new array of borrowed strings (pgorm_free), *n its length;
   NULL with *n = 0 when there are none or on OOM. */
const char **mig_schema_sql_schemas(const pgorm_schema *s, size_t *n);

/* The same, as the pgorm_schema the parser would produce for it (see
   mig_catalog_to_schema). New (pgorm_schema_free); NULL with *e filled. */
pgorm_schema *pgorm_migrate_introspect(PGconn *conn, mig_err *e);

/* Read a default as pg_get_expr() prints it back into a pgorm_default:
   'x'::text (and the other string-typed casts) -> STRING, numbers -> INT
   or DECIMAL, true/false -> BOOL, now() -> NOW, anything else -> SQL.
   out->text is a new string (pgorm_free), NULL for NOW. Returns false on
   OOM. */
bool mig_default_from_sql(const char *expr, pgorm_default *out);

/* The name of an object of schema `nsp` as the catalog spells it, in SQL
   (pgorm_sql_qualified): "name" in public, "schema.name" elsewhere. */
#define MIG_QNAME(nsp, rel)                                                                    \
    "(CASE WHEN " nsp " = 'public' AND strpos(" rel ", '.') = 0 THEN " rel "::text "           \
    "ELSE " nsp " || '.' || " rel " END)"
/* Which schemas a query reads: "n.nspname " MIG_IN_SCHEMAS, replaced by
   "IN ('public', 'app')" when run by mig_exec_in_schemas. */
#define MIG_IN_SCHEMAS "{in_schemas}"
PGresult *mig_exec_in_schemas(PGconn *conn, const char *sql, const char *in_schemas, mig_err *e,
                              const char *what);
/* mig_read_unmanaged over the schemas of an "IN (...)" list. */
int mig_read_unmanaged_in(PGconn *conn, mig_catalog *cat, const char *in_schemas, mig_err *e);

/* unmanaged.c: read the objects of the public schema that are not tables,
   columns, keys, plain indexes or foreign keys of the catalog into
   cat->unmanaged (see mig_unmanaged_kind); sort the list. */
int mig_read_unmanaged(PGconn *conn, mig_catalog *cat, mig_err *e);
void mig_unmanaged_sort(mig_catalog *cat);
/* Say how many unmanaged objects there are, then one line each (nothing
   when there are none). */
void mig_unmanaged_report(const mig_catalog *c, mig_say_fn say, void *ud);

/* The expression of a check as pg_get_constraintdef prints it: the text
   after "CHECK " ("((pages > 0))"), or def itself. Borrowed from def. */
const char *mig_check_expr_of_def(const char *def);

#endif
