/* DDL for a whole schema: the "from empty" case of migrations.
 *
 * Tables are created in dependency order (a table after the tables its
 * foreign keys point at); foreign keys that close a cycle are added after
 * both tables exist, with ALTER TABLE ... ADD CONSTRAINT. Constraint and
 * index names are derived deterministically (see ddl.c), so the diff engine
 * can render the same objects one at a time with the functions below.
 *
 * Conventions of this header:
 *  - Every render function APPENDS to a caller-owned pgorm_buf. Allocation
 *    failure is sticky in the buffer (b->oom); check once at the end.
 *  - Statements end with ";\n"; table elements and expressions carry no
 *    terminator.
 *  - Schemas, models, fields and keys are BORROWED for the duration of the
 *    call. The schema is expected to be validated (parser or introspection);
 *    a reference that cannot be resolved still renders SQL, which PostgreSQL
 *    then rejects with its own message (see each function).
 *  - Identifiers go through pgorm_sql_ident, literals through
 *    pgorm_sql_literal; nothing else quotes.
 */
#ifndef PGORM_MIGRATE_DDL_H
#define PGORM_MIGRATE_DDL_H

#include <stdbool.h>
#include <stddef.h>

#include "pgorm/schema.h"
#include "schema/names.h"
#include "util/buf.h"

/* ------------------------------------------------------------------ */
/* The whole schema.                                                    */

/* The whole schema as SQL statements, each ending in ";\n": CREATE TYPEs of
   the enums (in file order), CREATE TABLEs
   in dependency order, then the foreign keys that close cycles (ALTER TABLE
   ... ADD CONSTRAINT), then the @@foreign_keys, then CREATE INDEXes. Each
   CREATE TABLE is followed
   by the COMMENT that marks each of its checks as pgorm's. Byte-identical for equal input.
   New string (pgorm_free), NULL on OOM. */
char *pgorm_ddl_create_schema(const pgorm_schema *s);

/* ------------------------------------------------------------------ */
/* Names.                                                               */

/* PostgreSQL's NAMEDATALEN (schema/names.h): 63 bytes plus the NUL. */
#define PGORM_DDL_NAME_SIZE PGORM_NAME_SIZE


/* A table or type as the migration catalog names it (pgorm_sql_qualified):
   "name" in public, "schema.name" in another schema ("public.a.b" for a
   public name holding a dot). Schema and name are at most 63 bytes each. */
#define PGORM_DDL_QNAME_SIZE (2 * PGORM_DDL_NAME_SIZE + 8)
void pgorm_ddl_qname(char out[PGORM_DDL_QNAME_SIZE], const char *schema, const char *name);

/* "<table>_<column>_fkey" for a ForeignKey field of m. */
void pgorm_ddl_fkey_name(char out[PGORM_DDL_NAME_SIZE], const pgorm_model *m,
                         const pgorm_field *fk);

/* ------------------------------------------------------------------ */
/* Columns.                                                             */

/* The column name of a field: field->column (for a ForeignKey "<name>_id"),
   or the field's name when column is NULL. Borrowed from f. */
const char *pgorm_ddl_field_column(const pgorm_field *f);

/* The column of a field named in a block attribute (@@id, @@unique,
   @@index): the field of that name (a ForeignKey field gives its "_id"
   column), else a field whose column has that name, else `name` itself.
   Borrowed from m or name. */
const char *pgorm_ddl_block_column(const pgorm_model *m, const char *name);

/* The column's SQL type: "serial"/"bigserial" for those scalars (they
   create their sequence), else pgorm_coltype_sql ("int8", "varchar(40)",
   "numeric(12,2)"). A ForeignKey of a serial type renders int4/int8. */
void pgorm_ddl_column_type(pgorm_buf *b, const pgorm_field *f);

/* A default expression for a column of type t, without "DEFAULT":
   INT/DECIMAL as written (a text that is not a plain number is rendered as a
   cast literal instead), STRING as an escaped literal, cast ("'x'::date")
   unless the column is text or varchar, BOOL as true/false, NOW as now(),
   SQL verbatim. Appends nothing for NONE (or a NULL text). */
void pgorm_ddl_default_expr(pgorm_buf *b, const pgorm_default *d, pgorm_coltype t);

/* A column definition as in CREATE TABLE / ADD COLUMN:
   "<column>" <type>[ NOT NULL][ DEFAULT <expr>]. NOT NULL unless nullable.
   Nothing for a BackReference. */
void pgorm_ddl_column_def(pgorm_buf *b, const pgorm_field *f);

/* ------------------------------------------------------------------ */
/* Keys: primary key, unique constraints and indexes, normalized.       */

/* One primary key (PGORM_BLOCK_ID), unique constraint (PGORM_BLOCK_UNIQUE)
   or index (PGORM_BLOCK_INDEX) of a model, from a field attribute (@id,
   @unique, @index) or a block attribute (@@id, @@unique, @@index), over
   resolved column names. */
typedef struct pgorm_ddl_key {
    pgorm_block_kind kind;
    char name[PGORM_DDL_NAME_SIZE]; /* block->name when set, else derived:
                                       <table>_pkey, <table>_<cols>_key,
                                       <table>_<cols>_idx */
    const char **columns;           /* borrowed from the model */
    size_t ncolumns;
    /* @@index / @@unique options, borrowed (NULL when not written):
       exprs[i] non-NULL: element i is that SQL expression (columns[i] is
       then the word the derived name uses); desc[i]: DESC; where: the
       predicate of a partial index; method: USING gin... (NULL: btree). */
    const char *const *exprs;
    const bool *desc;
    const char *where;
    const char *method;
    bool index_only; /* UNIQUE: a unique index with no constraint */
} pgorm_ddl_key;

/* Whether key k is created with CREATE [UNIQUE] INDEX rather than as a
   table constraint: an index, or a unique key with a predicate (a UNIQUE
   constraint has no WHERE) or marked index_only. */
bool pgorm_ddl_key_is_index(const pgorm_ddl_key *k);

/* Whether key k is a plain btree over columns (no expression, predicate
   or other method): one that serves look-ups by its leading column. */
bool pgorm_ddl_key_is_plain(const pgorm_ddl_key *k);

/* All keys of m in render order: the primary key (the @id fields together,
   then any @@id), unique constraints (@unique fields in field order, then
   @@unique blocks), indexes (@index fields, then @@index blocks, then the
   default index of each ForeignKey, see pgorm_ddl_fk_wants_index). Returns a
   new array (ONE allocation holding the keys and their column arrays: free
   with pgorm_free) and its length in *nkeys; the strings stay borrowed from
   m. NULL with *nkeys = 0 when m has no keys or on OOM (then *oom = true;
   oom may be NULL). */
pgorm_ddl_key *pgorm_ddl_model_keys(const pgorm_model *m, size_t *nkeys, bool *oom);

/* A table element: CONSTRAINT "<name>" PRIMARY KEY (...) or UNIQUE (...).
   Nothing for an index (indexes are not table elements, see
   pgorm_ddl_key_is_index). */
void pgorm_ddl_key_constraint(pgorm_buf *b, const pgorm_ddl_key *k);

/* ALTER TABLE "<table>" ADD CONSTRAINT "<name>" PRIMARY KEY|UNIQUE (...);
   For an index key this renders pgorm_ddl_create_index instead. */
void pgorm_ddl_add_key(pgorm_buf *b, const char *table, const pgorm_ddl_key *k);

/* ALTER TABLE "<table>" DROP CONSTRAINT "<name>"; for a primary key or a
   unique constraint, DROP INDEX "<name>"; for an index. */
void pgorm_ddl_drop_key(pgorm_buf *b, const char *table, const pgorm_ddl_key *k);

/* CREATE [UNIQUE] INDEX "<name>" ON "<table>" [USING <method> ]("c1",
   (<expr>) DESC)[ WHERE <predicate>]; */
void pgorm_ddl_create_index(pgorm_buf *b, const char *table, const pgorm_ddl_key *k);

/* DROP INDEX "<name>"; (name as the catalog spells it: "app.book_idx"
   for an index of schema app) */
void pgorm_ddl_drop_index(pgorm_buf *b, const char *name);

/* ALTER TABLE "<table>" DROP CONSTRAINT "<name>"; (any constraint: primary
   key, unique, foreign key). */
void pgorm_ddl_drop_constraint(pgorm_buf *b, const char *table, const char *name);

/* ------------------------------------------------------------------ */
/* Foreign keys.                                                        */

typedef struct pgorm_ddl_fkey {
    char name[PGORM_DDL_NAME_SIZE]; /* <table>_<column>_fkey */
    const char *column;             /* borrowed */
    const char *ref_table;          /* borrowed */
    const char *ref_column;         /* borrowed; NULL: the referenced table's
                                       primary key (REFERENCES t, no list) */
    pgorm_on_delete on_delete;
    /* @@foreign_key: every column and the column it references (borrowed;
       ncolumns 0 for a ForeignKey field, which uses column/ref_column). */
    const char *const *columns;
    const char *const *ref_columns;
    size_t ncolumns;
    /* The referenced table's SQL schema (borrowed), or NULL: ref_table is
       then spelled as the catalog spells it ("app.author"). */
    const char *ref_schema;
    pgorm_on_delete on_update; /* ON UPDATE, written unless NO ACTION */
} pgorm_ddl_fkey;

/* Resolve ForeignKey field `fk` of model m in schema s: the target is
   s->models[fk->target] (or, when that index is unset, the model named
   fk->target_model) and its single-column key. A target model that cannot be
   found renders as REFERENCES "<target_model>". Returns false (and leaves
   *out untouched) when fk is not a ForeignKey field. */
bool pgorm_ddl_fkey_of(const pgorm_schema *s, const pgorm_model *m, const pgorm_field *fk,
                       pgorm_ddl_fkey *out);

/* A table element: CONSTRAINT "<name>" FOREIGN KEY ("<col>") REFERENCES
   "<table>" ("<key>")[ ON DELETE CASCADE|RESTRICT|SET NULL][ ON UPDATE
   ...]. NO ACTION is not written (it is PostgreSQL's default). */
void pgorm_ddl_fkey_constraint(pgorm_buf *b, const pgorm_ddl_fkey *fk);

/* ALTER TABLE "<table>" ADD <fkey constraint>; */
void pgorm_ddl_add_fkey(pgorm_buf *b, const char *table, const pgorm_ddl_fkey *fk);

/* ALTER TABLE "<table>" DROP CONSTRAINT "<fk->name>"; */
void pgorm_ddl_drop_fkey(pgorm_buf *b, const char *table, const pgorm_ddl_fkey *fk);

/* ALTER TABLE "<table>" ADD CONSTRAINT "<table>_<cols>_fkey" FOREIGN KEY
   ("a", "b") REFERENCES "<target>" ("x", "y")[ ON DELETE ...]; for an
   @@foreign_key of m. pgorm_ddl_create_schema adds them after every table. */
void pgorm_ddl_add_model_fkey(pgorm_buf *b, const pgorm_schema *s, const pgorm_model *m,
                              const pgorm_foreign_key *k);

/* ------------------------------------------------------------------ */
/* Tables.                                                              */

/* CREATE TABLE "<table>" (columns, primary key, unique constraints,
   checks[, foreign keys]);  with_fkeys false leaves every foreign key out (add them
   with pgorm_ddl_add_fkey). Indexes are separate (pgorm_ddl_create_index). */
void pgorm_ddl_create_table(pgorm_buf *b, const pgorm_schema *s, const pgorm_model *m,
                            bool with_fkeys);

/* Every index of m (field @index, then @@index), one CREATE INDEX each. */
void pgorm_ddl_create_indexes(pgorm_buf *b, const pgorm_model *m);

/* DROP TABLE "<table>"; */
void pgorm_ddl_drop_table(pgorm_buf *b, const char *table);

/* ------------------------------------------------------------------ */
/* Enum types (created before every table, so columns can use them).    */

/* The SQL type of an enum field: "<snake_case(enum_name)>", quoted. */
void pgorm_ddl_enum_type(pgorm_buf *b, const char *enum_name);
/* The same in an SQL schema: "app"."status" (schema NULL: as above). */
void pgorm_ddl_enum_type_in(pgorm_buf *b, const char *schema, const char *enum_name);

/* CREATE SCHEMA IF NOT EXISTS "<name>"; */
void pgorm_ddl_create_sql_schema(pgorm_buf *b, const char *name);

/* CREATE TYPE "<type>" AS ENUM ('a', 'b'); */
void pgorm_ddl_create_enum(pgorm_buf *b, const char *type, const char *const *labels, size_t n);
/* The same for an enum of a schema (its type, or snake_case of its name). */
void pgorm_ddl_create_enum_of(pgorm_buf *b, const pgorm_enum *e);

/* DROP TYPE "<type>"; */
void pgorm_ddl_drop_enum(pgorm_buf *b, const char *type);

/* ------------------------------------------------------------------ */
/* Checks.                                                              */

/* The name of check ck of m: ck->name, else (a field-level check of a
   schema that was not validated) <table>_<column>_check. */
void pgorm_ddl_check_name(char out[PGORM_DDL_NAME_SIZE], const pgorm_model *m,
                          const pgorm_check *ck);

/* A table element: CONSTRAINT "<name>" CHECK (<expr>). The expression is
   the schema's SQL, written as is (the server parses it). */
void pgorm_ddl_check_constraint(pgorm_buf *b, const char *name, const char *expr);

/* ALTER TABLE "<table>" ADD CONSTRAINT "<name>" CHECK (<expr>); */
void pgorm_ddl_add_check(pgorm_buf *b, const char *table, const char *name, const char *expr);

/* COMMENT ON CONSTRAINT "<name>" ON "<table>" IS 'pgorm'; (marked) or IS
   NULL: how pgorm tells a check it made from one made by hand (which it
   leaves alone when the file does not name it). Every check pgorm creates
   gets the comment in the same migration. */
void pgorm_ddl_mark_check(pgorm_buf *b, const char *table, const char *name, bool marked);
/* The mark of every check of m, in order. */
void pgorm_ddl_mark_checks(pgorm_buf *b, const pgorm_model *m);

/* ------------------------------------------------------------------ */
/* ForeignKey indexes.                                                  */

/* Whether ForeignKey field f of m gets pgorm's default index on its column
   ("<table>_<column>_idx", one of pgorm_ddl_model_keys' indexes):
   PostgreSQL creates none for a foreign key, and without one every join or
   fetch_links by the key scans the table. Not when the field has
   @index(false), nor when its column already leads the primary key, a
   unique constraint or another index (a field's @id/@unique/@index or the
   first field of a block): that one serves the look-ups. False for any
   field that is not a ForeignKey. */
bool pgorm_ddl_fk_wants_index(const pgorm_model *m, const pgorm_field *f);

#endif
