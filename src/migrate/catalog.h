/* The migration catalog: a schema normalised for comparison.
 *
 * Both sources of a migration end up here: a parsed pgorm_schema
 * (mig_catalog_from_schema) and a live database (introspect.c, which also
 * turns its catalog into a pgorm_schema). In this form every column is
 * named by its SQL name, ForeignKey fields are a column plus a mig_fk,
 * field-level @id/@unique/@index and block attributes are one list of keys,
 * and tables are sorted by name, so the diff compares like with like.
 *
 * Ownership: a mig_catalog owns everything below it (one arena); free it with
 * mig_catalog_free(). Pointers into it stay valid until then.
 */
#ifndef PGORM_MIGRATE_CATALOG_H
#define PGORM_MIGRATE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "pgorm/schema.h"
#include "util/arena.h"

typedef struct mig_column {
    char *name;
    /* serial/bigserial stay as such: int4/int8 with an owned sequence. */
    pgorm_coltype type;
    bool nullable;
    pgorm_default def; /* NONE for serial (its default is the sequence) */
    /* The default as the server prints it (pg_get_expr), when known: set by
       introspection, and on the schema side by mig_canon_defaults(). Two
       defaults that both have it are compared by it. */
    char *def_sql;
    char *seq;          /* serial: the sequence's name, when known */
    char *renamed_from; /* schema side: @renamed_from, as an SQL column name */
} mig_column;

typedef enum mig_key_kind {
    MIG_KEY_PRIMARY,
    MIG_KEY_UNIQUE,
    MIG_KEY_INDEX,
} mig_key_kind;

/* A primary key, unique constraint or plain index over columns, in order. */
typedef struct mig_key {
    mig_key_kind kind;
    char **cols;
    size_t ncols;
    char *name;      /* constraint or index name; NULL until named */
    bool index_only; /* UNIQUE: a unique index with no constraint (drop with DROP INDEX) */
} mig_key;

/* A single-column foreign key. */
typedef struct mig_fk {
    char *column;
    char *ref_table;
    char *ref_column;
    pgorm_on_delete on_delete;
    char *name; /* constraint name; NULL until named */
} mig_fk;

/* A CHECK constraint. */
typedef struct mig_check {
    char *name;
    char *expr;    /* schema side: as written; database: def_sql without CHECK */
    char *def_sql; /* as pg_get_constraintdef prints it ("CHECK ((pages > 0))"):
                      set by introspection, and on the schema side by
                      mig_make's probe. Two checks that both have it are
                      compared by it. */
} mig_check;

typedef struct mig_table {
    char *name;
    char *model;        /* the model's name (schema side); the table name otherwise */
    char *renamed_from; /* schema side: the old table's name candidates, see diff.c */
    char *renamed_from_model;
    mig_column *cols; /* in column order */
    size_t ncols;
    mig_key *keys; /* primary key first, then as declared / by name */
    size_t nkeys;
    mig_fk *fks; /* by column order */
    size_t nfks;
    mig_check *checks; /* schema side: file order; database: by name */
    size_t nchecks;
} mig_table;

typedef struct mig_catalog {
    mig_table *tables; /* sorted by name */
    size_t ntables;
    pgorm_arena arena;
} mig_catalog;

/* The catalog of a parsed, validated schema. New (mig_catalog_free); NULL
   on OOM. `s` is borrowed. */
mig_catalog *mig_catalog_from_schema(const pgorm_schema *s);

/* An empty catalog whose arena the caller fills (introspection). */
mig_catalog *mig_catalog_new(void);
void mig_catalog_free(mig_catalog *c);

/* Sort tables by name (after filling them in another order). */
void mig_catalog_sort(mig_catalog *c);

/* Look-ups; NULL when absent. */
mig_table *mig_catalog_table(const mig_catalog *c, const char *name);
mig_column *mig_table_column(const mig_table *t, const char *name);
const mig_key *mig_table_pk(const mig_table *t);
const mig_fk *mig_table_fk(const mig_table *t, const char *column);

/* The catalog as a pgorm_schema, as the parser would have produced it for
   the same tables (models named by table, ForeignKey fields by column
   without "_id", keys/uniques/indexes as named blocks). New
   (pgorm_schema_free); NULL on OOM. */
pgorm_schema *mig_catalog_to_schema(const mig_catalog *c);

/* Whether two column types are equal (serial and int4 differ). */
bool mig_type_eq(pgorm_coltype a, pgorm_coltype b);
/* Whether every value of `from` fits `to` exactly (no narrowing). */
bool mig_type_widens(pgorm_coltype from, pgorm_coltype to);
/* The column type as SQL for a column definition or ALTER ... TYPE; serial
   and bigserial are spelled int4 / int8 (their sequence is separate).
   Writes into buf and returns it. */
const char *mig_type_sql(pgorm_coltype t, char *buf, size_t size);

/* Arena helpers. */
char *mig_strdup(mig_catalog *c, const char *s);

#endif
