/* pgorm — the schema model.
 *
 * One structure for both sources: the parser (src/schema) turns a .pgorm file
 * into a pgorm_schema, and introspection (src/migrate) turns a live database
 * into the same structure, so a migration is a diff of two values of one type.
 *
 * Ownership: a pgorm_schema owns every string and array below it; free it
 * with pgorm_schema_free(). All allocation goes through pgorm's allocator hook
 * (pgorm_set_allocator in pgorm.h).
 */
#ifndef PGORM_SCHEMA_H
#define PGORM_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A position in a schema file (1-based line and column, columns count bytes). */
typedef struct pgorm_pos {
    int line;
    int col;
} pgorm_pos;

/* The scalar types of the language. */
typedef enum pgorm_scalar {
    PGORM_S_BOOL,
    PGORM_S_INT2,
    PGORM_S_INT4,
    PGORM_S_INT8,
    PGORM_S_SERIAL,    /* int4 with a sequence default */
    PGORM_S_BIGSERIAL, /* int8 with a sequence default */
    PGORM_S_FLOAT4,
    PGORM_S_FLOAT8,
    PGORM_S_NUMERIC, /* numeric(p, s) */
    PGORM_S_TEXT,
    PGORM_S_VARCHAR, /* varchar(n) */
    PGORM_S_BYTEA,
    PGORM_S_UUID,
    PGORM_S_DATE,
    PGORM_S_TIMESTAMP,
    PGORM_S_TIMESTAMPTZ,
    PGORM_S_JSONB,
    PGORM_S_ENUM, /* a value of one of the file's enums: pgorm_field.enum_name */
    PGORM_S_TIME,     /* time (without time zone) */
    PGORM_S_TIMETZ,   /* time with time zone */
    PGORM_S_INTERVAL,
    PGORM_S_INET,
    PGORM_S_CIDR,
    PGORM_S_JSON,
    PGORM_S_CHAR,     /* char(n): blank-padded, precision is n */
    PGORM_S_CITEXT,   /* the citext extension's case-insensitive text */
} pgorm_scalar;

typedef struct pgorm_coltype {
    pgorm_scalar scalar;
    int precision; /* numeric p (0: numeric without precision), varchar n,
                      char n; 0 when not applicable */
    int scale;     /* numeric s */
    /* `text[]`: a one-dimensional array whose elements are `scalar` (with
       its precision and scale: `varchar(40)[]`). Never serial, bigserial or
       an enum. */
    bool array;
} pgorm_coltype;

typedef enum pgorm_field_kind {
    PGORM_FIELD_SCALAR,
    PGORM_FIELD_FOREIGN_KEY,    /* a column <name>_id and a FK constraint */
    PGORM_FIELD_BACK_REFERENCE, /* no column */
    PGORM_FIELD_MANY_TO_MANY,   /* ManyToMany[T] @through(J): no column; rows of T through
                                   the join model J */
} pgorm_field_kind;

typedef enum pgorm_default_kind {
    PGORM_DEFAULT_NONE,
    PGORM_DEFAULT_INT,     /* text holds the literal as written: "-42" */
    PGORM_DEFAULT_DECIMAL, /* text holds the literal as written: "3.25" */
    PGORM_DEFAULT_STRING,  /* text holds the unescaped string */
    PGORM_DEFAULT_BOOL,    /* text is "true" or "false" */
    PGORM_DEFAULT_NOW,     /* now() */
    PGORM_DEFAULT_SQL,     /* an SQL expression; text is the SQL: from the
                              parser, a known function (gen_random_uuid(),
                              current_date...) or sql("..."); from
                              introspection, an expression pgorm cannot read
                              back into a literal */
    PGORM_DEFAULT_ENUM,    /* @default(draft) on an enum field: text is the value */
} pgorm_default_kind;

typedef struct pgorm_default {
    pgorm_default_kind kind;
    char *text; /* NULL for NONE and NOW */
} pgorm_default;

typedef enum pgorm_on_delete {
    PGORM_ON_DELETE_NO_ACTION = 0, /* also the value when not written */
    PGORM_ON_DELETE_CASCADE,
    PGORM_ON_DELETE_RESTRICT,
    PGORM_ON_DELETE_SET_NULL,
} pgorm_on_delete;

#define PGORM_NONE ((size_t)-1)

typedef struct pgorm_field {
    char *name;   /* the field's name in the schema */
    char *column; /* SQL column name: name, or name + "_id" for a ForeignKey;
                     NULL for a BackReference */
    pgorm_field_kind kind;
    /* Column type. For a ForeignKey: the referenced key's type with serial
       mapped to int4 and bigserial to int8 (filled by validation). */
    pgorm_coltype type;
    bool nullable; /* written with '?' */
    bool is_id;    /* @id */
    bool is_unique; /* @unique */
    bool is_index; /* @index */
    pgorm_default def;
    pgorm_on_delete on_delete; /* ForeignKey only */
    char *renamed_from;        /* @renamed_from(old), or NULL */

    /* ForeignKey[T] / BackReference[T] / BackReference[T.field] */
    char *target_model;  /* "T" as written */
    char *target_field;  /* BackReference[T.field]: "field", else NULL */
    size_t target;       /* index of T in schema->models (after validation);
                            PGORM_NONE for a scalar */
    size_t target_fk;    /* BackReference: index of the ForeignKey field in T;
                            PGORM_NONE otherwise */

    pgorm_pos pos;      /* where the field's name starts */
    pgorm_pos type_pos; /* where its type starts */

    /* PGORM_S_ENUM: the enum's name as written ("Status"), and its index in
       schema->enums (after validation; PGORM_NONE otherwise). */
    char *enum_name;
    size_t enum_index;
    /* ForeignKey only: @index(false). A ForeignKey column gets an index by
       default (PostgreSQL creates none for a foreign key), unless it is
       already the leading column of the primary key, a unique constraint or
       another plain index; this leaves it out. */
    bool no_index;
    /* ManyToMany[T] @through(J) / @through(J, from, to): J as written, the
       names of J's ForeignKey fields to this model (from) and to T (to) as
       written (NULL when not written), and after validation J's index in
       schema->models and the indexes of those two fields in J. PGORM_NONE
       / NULL for other kinds. */
    char *through_model;
    char *through_from;
    char *through_to;
    size_t through;
    size_t through_from_fk;
    size_t through_to_fk;
    /* PGORM_S_ENUM: the SQL schema of its enum (validation), or NULL. */
    char *enum_schema;
    /* ForeignKey only: @on_update(action); NO_ACTION when not written. The
       actions are those of @on_delete. */
    pgorm_on_delete on_update;
} pgorm_field;

typedef enum pgorm_block_kind {
    PGORM_BLOCK_ID,     /* @@id(a, b)     */
    PGORM_BLOCK_UNIQUE, /* @@unique(a, b) */
    PGORM_BLOCK_INDEX,  /* @@index(a, b)  */
} pgorm_block_kind;

/* A key, unique constraint or index over fields of one model. Field-level
   @id / @unique / @index are NOT copied here: they stay on the field. */
typedef struct pgorm_block {
    pgorm_block_kind kind;
    char **fields;  /* field names as written (ForeignKey fields by field name) */
    pgorm_pos *field_pos;
    size_t nfields;
    char *name;     /* constraint/index name; NULL from the parser (the DDL
                       layer derives one), set by introspection */
    pgorm_pos pos;
    /* @@index / @@unique options (all NULL when not written):
       exprs[i]: element i is an expression, sql("lower(title)"), and
         fields[i] holds a word naming it ("lower", else "expr"), the part
         the index's derived name uses;
       desc[i]: element i is sorted descending (`published_at desc`);
       where: the predicate of a partial index (`where: "pages > 100"`);
       method: the access method other than btree (`type: gin`), as
         written: "hash", "gin", "gist", "brin" or "spgist". */
    char **exprs;
    bool *desc;
    char *where;
    char *method;
    pgorm_pos where_pos;  /* the string of where: */
    pgorm_pos method_pos; /* the method's name */
} pgorm_block;

/* A CHECK constraint: @check("expr") on a field or @@check(name, "expr") on
   a model. Both kinds are in pgorm_model.checks, in file order. */
typedef struct pgorm_check {
    char *name;  /* @@check: as written; @check: <table>_<column>_check
                    (filled by validation, PostgreSQL's own name for a column
                    check); introspection: the database's */
    char *expr;  /* the boolean SQL expression as written; introspection:
                    as pg_get_constraintdef prints it, without CHECK */
    char *field; /* @check: the field's name; NULL for @@check */
    pgorm_pos pos;      /* the '@' or '@@' */
    pgorm_pos expr_pos; /* the string holding the expression */
} pgorm_check;

/* @@foreign_key([a, b], references: Target([x, y]), on_delete: cascade): a
   foreign key over scalar fields of the model, to the target's primary key
   or one of its unique keys (composite, or to a unique non-key column).
   Migrations only: no ForeignKey field, so generated code has no loader
   for it. */
typedef struct pgorm_foreign_key {
    char **fields; /* the model's fields, as written */
    pgorm_pos *field_pos;
    size_t nfields;
    char *target_model; /* "Target" as written */
    pgorm_pos target_pos;
    char **target_fields; /* the target's fields, as written; same count */
    pgorm_pos *target_field_pos;
    size_t ntarget_fields;
    pgorm_on_delete on_delete;
    size_t target; /* index of Target in schema->models (after validation) */
    char *name;    /* constraint name; NULL from the parser (the DDL derives
                      <table>_<cols>_fkey), set by introspection */
    pgorm_pos pos; /* the '@@' */
} pgorm_foreign_key;

typedef struct pgorm_model {
    char *name;         /* Model name as written */
    char *table;        /* snake_case(name), or @@table(...) */
    char *renamed_from; /* @@renamed_from(OldModel), or NULL */
    pgorm_field *fields;
    size_t nfields;
    pgorm_block *blocks;
    size_t nblocks;
    pgorm_pos pos; /* of the model's name */
    pgorm_check *checks; /* @check on fields and @@check, in file order */
    size_t nchecks;
    pgorm_foreign_key *fkeys; /* @@foreign_key, in file order */
    size_t nfkeys;
    /* The SQL schema (PostgreSQL namespace) of the table: @@schema(name), else
       the file's `schema name` declaration (filled by validation), else NULL:
       `public` for migrations, the connection's search_path at run time. */
    char *schema;
} pgorm_model;

/* A parameter of a named query: `min_pages int4`, referred to as $1, $2...
   in the order written. */
typedef struct pgorm_query_param {
    char *name;
    pgorm_coltype type; /* never serial/bigserial */
    pgorm_pos pos;      /* of the name */
    pgorm_pos type_pos;
} pgorm_query_param;

/* A result column of a named query: written in `returns (...)`, or
   described by the server (pgorm gen --database; then nullable). */
typedef struct pgorm_query_column {
    char *name; /* as the SQL names it (its AS alias) */
    pgorm_coltype type;
    bool nullable;  /* written with '?' */
    pgorm_pos pos;  /* of the name; 0:0 when described by the server */
    pgorm_pos type_pos;
} pgorm_query_column;

/* query Name(params) { sql "..." returns (...) } */
typedef struct pgorm_named_query {
    char *name;
    char *sql; /* the statement, as written */
    pgorm_query_param *params;
    size_t nparams;
    pgorm_query_column *columns;
    size_t ncolumns;
    bool has_returns;      /* `returns (...)` was written: columns are the file's */
    pgorm_pos pos;         /* of the name */
    pgorm_pos sql_pos;     /* of the first byte of the SQL text */
    bool sql_raw;          /* triple-quoted (raw, may span lines), else "..." with escapes */
    pgorm_pos returns_pos; /* of 'returns' */
} pgorm_named_query;

/* One value (label) of an enum, in declaration order. */
typedef struct pgorm_enum_value {
    char *name;
    char *renamed_from; /* @renamed_from(old), or NULL */
    pgorm_pos pos;
} pgorm_enum_value;

/* enum Status { draft published archived }: a PostgreSQL enum type. */
typedef struct pgorm_enum {
    char *name; /* as written: "Status" (the C type name) */
    char *type; /* the SQL type: snake_case(name), "status" */
    pgorm_enum_value *values;
    size_t nvalues;
    pgorm_pos pos; /* of the name */
    char *schema; /* the file's `schema name` declaration, or NULL (public) */
} pgorm_enum;

typedef struct pgorm_schema {
    char *file; /* the path it was read from, or NULL */
    pgorm_model *models;
    size_t nmodels;
    pgorm_named_query *queries; /* in file order */
    size_t nqueries;
    pgorm_enum *enums; /* in file order */
    size_t nenums;
    /* `schema name` at the top of the file: the SQL schema of every model
       without @@schema and of every enum; NULL when not written. */
    char *default_schema;
    pgorm_pos default_schema_pos;
} pgorm_schema;

/* One diagnostic: "file:line:col: message". */
typedef struct pgorm_diag {
    pgorm_pos pos;
    char message[512];
} pgorm_diag;

/* Parse and validate a schema held in memory. `file` names it in messages.
   On success returns a new schema (owned by the caller) and sets *ndiags = 0.
   On failure returns NULL and writes up to `maxdiags` diagnostics into
   `diags` (may be NULL when maxdiags is 0) and the total count into *ndiags.
   Never crashes on any input, including bytes that are not UTF-8. */
pgorm_schema *pgorm_schema_parse(const char *file, const char *text, size_t len,
                                 pgorm_diag *diags, size_t maxdiags, size_t *ndiags);

/* Read a file and parse it; an I/O error is reported as a diagnostic at 0:0. */
pgorm_schema *pgorm_schema_parse_file(const char *path, pgorm_diag *diags, size_t maxdiags,
                                      size_t *ndiags);

void pgorm_schema_free(pgorm_schema *schema);

/* Look-ups; NULL when absent. */
const pgorm_model *pgorm_schema_model(const pgorm_schema *s, const char *name);
const pgorm_field *pgorm_model_field(const pgorm_model *m, const char *name);

/* The enum of that name; NULL when absent. */
const pgorm_enum *pgorm_schema_enum(const pgorm_schema *s, const char *name);
/* The enum of an enum field (by enum_index, else by enum_name); NULL when
   the field is not one or the enum is missing. */
const pgorm_enum *pgorm_field_enum(const pgorm_schema *s, const pgorm_field *f);

/* The model's single-column primary key field (field-level @id, or @@id with
   one field), or NULL when its key is composite or missing. */
const pgorm_field *pgorm_model_single_id(const pgorm_model *m);

/* Where byte `offset` of q->sql lies in the file (either kind of string). */
pgorm_pos pgorm_query_sql_pos(const pgorm_named_query *q, size_t offset);

/* snake_case of a model name: "FilmActor" -> "film_actor". New string. */
char *pgorm_snake_case(const char *name);

/* The SQL spelling of a column type: "int8", "varchar(40)", "numeric(12,2)". */
const char *pgorm_coltype_sql(pgorm_coltype t, char *buf, size_t bufsize);

/* The type as it can appear in a cast, or in a column that does not own a
   sequence (a foreign key to a serial key): serial and bigserial become
   int4 and int8; any other type is returned as is. */
pgorm_coltype pgorm_coltype_plain(pgorm_coltype t);

#ifdef __cplusplus
}
#endif
#endif
