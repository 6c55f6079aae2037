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
#include "util/buf.h"

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
    char *enum_type;    /* PGORM_S_ENUM: the enum's SQL type name, else NULL */
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
    /* Index options (NULL when absent). exprs[i] non-NULL: element i is
       that SQL expression and cols[i] only the word its derived name uses.
       Schema side: as written; database: as the server prints them
       (pg_get_indexdef per column, pg_get_expr of the predicate). */
    char **exprs;
    bool *desc;
    char *where;
    char *method; /* NULL: btree */
    /* As the server prints them: set by introspection, and on the schema
       side by migrate make's probe. Two keys that both have them are
       compared by them. */
    char **exprs_sql;
    char *where_sql;
} mig_key;

/* A foreign key: one column (a ForeignKey field), or, with ncolumns set,
   the columns of an @@foreign_key (composite, or to a unique non-key
   column). column / ref_column are always the first pair. */
typedef struct mig_fk {
    char *column;
    char *ref_table;
    char *ref_column;
    pgorm_on_delete on_delete;
    char *name;       /* constraint name; NULL until named */
    bool set_default; /* introspection: ON DELETE SET DEFAULT (no spelling) */
    /* @@foreign_key: every column and the column each references, in
       order (ncolumns >= 1; columns[0] == column). 0 for a ForeignKey
       field's key. */
    char **columns;
    char **ref_columns;
    size_t ncolumns;
    bool block; /* spelled @@foreign_key, not as a ForeignKey field */
    pgorm_on_delete on_update;
    bool update_set_default; /* introspection: ON UPDATE SET DEFAULT (no spelling) */
} mig_fk;

/* The number of columns of a foreign key, and its i-th column and
   referenced column. */
size_t mig_fk_ncols(const mig_fk *k);
const char *mig_fk_col(const mig_fk *k, size_t i);
const char *mig_fk_ref(const mig_fk *k, size_t i);

/* A CHECK constraint. */
typedef struct mig_check {
    char *name;
    char *expr;    /* schema side: as written; database: def_sql without CHECK */
    char *def_sql; /* as pg_get_constraintdef prints it ("CHECK ((pages > 0))"):
                      set by introspection, and on the schema side by
                      mig_make's probe. Two checks that both have it are
                      compared by it. */
    /* Whether pgorm made it: the schema side always (pgorm creates it);
       introspection: the constraint's comment is 'pgorm'. An unmarked check
       of the database that the file does not name is unmanaged and kept. */
    bool marked;
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

/* An object of the database that the schema language cannot describe, or
   that the schema file does not own: introspection keeps it here instead of
   failing, and a migration never changes it. */
typedef enum mig_unmanaged_kind {
    MIG_UM_COLUMN,     /* a column of a type the language lacks, identity, generated */
    MIG_UM_KEY,        /* a key over such a column */
    MIG_UM_FK,         /* a foreign key the language cannot spell (another type
                          than its key's, SET DEFAULT, another schema...) */
    MIG_UM_CONSTRAINT, /* an exclusion constraint or a constraint trigger */
    MIG_UM_INDEX,      /* an index the language cannot spell */
    MIG_UM_TRIGGER,
    MIG_UM_VIEW,
    MIG_UM_MATVIEW,
    MIG_UM_SEQUENCE, /* a sequence no column owns */
    MIG_UM_FOREIGN_TABLE,
    MIG_UM_TYPE,     /* enum, domain, composite, range, base type */
    MIG_UM_FUNCTION, /* function or procedure */
    MIG_UM_CHECK,    /* a CHECK pgorm did not make and the file does not name
                        (mig_keep_unmanaged_checks) */
} mig_unmanaged_kind;

typedef struct mig_unmanaged {
    mig_unmanaged_kind kind;
    char *table;  /* the table it belongs to, or NULL */
    char *name;   /* its name (a function: with its argument types) */
    char *detail; /* what it is, as the server prints it (a type, a definition) */
} mig_unmanaged;

/* An enum type: its labels in sort order. */
typedef struct mig_enum {
    char *name;  /* SQL type name */
    char *model; /* the enum's name in the schema file; the type name otherwise */
    char **labels;
    size_t nlabels;
    char **renamed_from; /* schema side: per label, @renamed_from or NULL; NULL array otherwise */
} mig_enum;

typedef struct mig_catalog {
    mig_table *tables; /* sorted by name */
    size_t ntables;
    pgorm_arena arena;
    mig_unmanaged *unmanaged; /* introspection only; sorted by kind, table, name */
    size_t nunmanaged, capunmanaged;
    mig_enum *enums; /* sorted by name */
    size_t nenums;
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
/* The foreign key of a ForeignKey field on `column` (not an
   @@foreign_key), or NULL. */
const mig_fk *mig_table_fk(const mig_table *t, const char *column);

/* The catalog as a pgorm_schema, as the parser would have produced it for
   the same tables (models named by table, ForeignKey fields by column
   without "_id", keys/uniques/indexes as named blocks). New
   (pgorm_schema_free); NULL on OOM. */
pgorm_schema *mig_catalog_to_schema(const mig_catalog *c);

mig_enum *mig_catalog_enum(const mig_catalog *c, const char *name);
/* Index of a label in an enum, or PGORM_NONE. */
size_t mig_enum_label(const mig_enum *e, const char *label);
/* Sort enums by name (after filling them in another order). */
void mig_catalog_sort_enums(mig_catalog *c);

/* Whether two column types are equal (serial and int4 differ). */
bool mig_type_eq(pgorm_coltype a, pgorm_coltype b);
/* Whether every value of `from` fits `to` exactly (no narrowing). */
bool mig_type_widens(pgorm_coltype from, pgorm_coltype to);
/* The column type as SQL for a column definition or ALTER ... TYPE; serial
   and bigserial are spelled int4 / int8 (their sequence is separate).
   Writes into buf and returns it. */
const char *mig_type_sql(pgorm_coltype t, char *buf, size_t size);

/* Record an unmanaged object (strings copied). False on OOM. */
bool mig_unmanaged_add(mig_catalog *c, mig_unmanaged_kind kind, const char *table,
                       const char *name, const char *detail);
/* The unmanaged object named `name` of `kind` (table: NULL for any), or NULL. */
const mig_unmanaged *mig_unmanaged_find(const mig_catalog *c, mig_unmanaged_kind kind,
                                        const char *table, const char *name);
/* One line a person reads: "view recent_books", "trigger audit on book". */
void mig_unmanaged_describe(pgorm_buf *b, const mig_unmanaged *u);

/* A model name for a table: "film_actor" -> "FilmActor" (characters a name
   cannot hold become '_'). New string (pgorm_free); NULL on OOM. */
char *mig_pascal_case(const char *table);

/* Whether s is a name of the schema language ([A-Za-z_][A-Za-z0-9_]*). */
bool mig_is_name(const char *s);

/* Whether the index options of two keys are equal (method, sort orders,
   expressions and predicate; by the server's spelling where both have
   it). Columns and kind are not compared. */
bool mig_key_options_eq(const mig_key *a, const mig_key *b);
/* Whether key k has any option: an expression, desc, a predicate or a
   method other than btree. */
bool mig_key_has_options(const mig_key *k);
/* Copy block blk's options onto key k (strings into c's arena); false on
   OOM. */
bool mig_key_set_options(mig_catalog *c, mig_key *k, const pgorm_block *blk);

/* Arena helpers. */
char *mig_strdup(mig_catalog *c, const char *s);

#endif
