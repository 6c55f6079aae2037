/* What the generator will write, decided once before anything is written:
 * every C name (unique, not a keyword), every column's C type, flags and
 * SQL spelling, the key masks and the relations. The emitters (header.c,
 * source.c) only print a plan, so both files always agree.
 */
#ifndef PGORM_CODEGEN_PLAN_H
#define PGORM_CODEGEN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codegen/codegen.h"
#include "codegen/names.h"
#include "pgorm/pgorm.h"
#include "pgorm/schema.h"
#include "util/arena.h"

/* How a scalar type looks in C. */
typedef struct cg_ctype {
    const char *c;     /* in the struct: "int32_t", "char *" */
    const char *param; /* as a by-value parameter: "int32_t", "const char *" */
    const char *array; /* as an _in() array parameter: "const int32_t *" */
    const char *cast;  /* needed to store a param into the struct, or "" */
    const char *type;  /* the pgorm_type constant: "PGORM_INT4" */
    const char *value; /* the pgorm_value member: "i32" */
    bool pointer;      /* NULL (bytea: data == NULL) is SQL NULL: no has_ flag */
    bool ordered;      /* _lt _le _gt _ge */
    bool text;         /* _like _ilike */
} cg_ctype;

const cg_ctype *cg_ctype_of(pgorm_scalar s);

/* The typed predicates a column can have. */
typedef enum cg_op {
    CG_EQ,
    CG_NE,
    CG_LT,
    CG_LE,
    CG_GT,
    CG_GE,
    CG_IN,
    CG_LIKE,
    CG_ILIKE,
    CG_IS_NULL,
    CG_NOT_NULL,
    CG_HAS,      /* array columns: an element equals v */
    CG_CONTAINS, /* array columns: holds every one of the values */
    CG_OVERLAPS, /* array columns: holds one of the values */
    CG_OP_COUNT
} cg_op;

/* One SQL column: a scalar field or a ForeignKey's key. */
typedef struct cg_col {
    const pgorm_field *field;
    const cg_ctype *ct;
    size_t index;                  /* bit number */
    unsigned flags;                /* PGORM_COL_* */
    const char *sql_type;          /* "int8", "varchar(40)" */
    const char *default_sql;       /* "now()", "'x'::date", or NULL */
    const char *value;             /* member path of the value: "pages", "author.key" */
    const char *has;               /* member path of the has flag, or NULL */
    const char *macro;             /* "BOOK_PAGES" */
    const char *pred[CG_OP_COUNT]; /* "book_pages_eq", ...; NULL when it has none */
    const char *param;             /* its parameter's name in <model>_get (key columns) */
    /* "book_pages_lt_excluded", ... for CG_EQ..CG_GE (emit_upsert.c); NULL when it has none */
    const char *excluded[CG_GE + 1];
    const char *count; /* array columns: member path of the size_t count, else NULL */
} cg_col;

/* The calls written per relation (emit_rel.c). ForeignKey:
   <model>_load_<field>, its _sync twin, <model>_load_<field>_many and its
   _sync twin. BackReference: <model>_<field>, _sync, <model>_<field>_count,
   _sync. */
typedef enum cg_rel_fn {
    CG_REL_ONE,
    CG_REL_ONE_SYNC,
    CG_REL_MORE, /* _many / _count */
    CG_REL_MORE_SYNC,
    CG_REL_FN_COUNT
} cg_rel_fn;

/* The filters written per relation (emit_rel.c): a ForeignKey's
   <model>_<field>_where(pred); a BackReference's <model>_<field>_any(pred),
   _none(pred), _count_eq(n) ... _count_ge(n) and _count_where(op, n, pred).
   The ones taking a predicate are macros (it goes into a compound literal
   of the caller's block); NULL when the relation's kind has none. */
typedef enum cg_rel_pred {
    CG_RP_WHERE,
    CG_RP_ANY,
    CG_RP_NONE,
    CG_RP_COUNT_EQ, /* .. CG_RP_COUNT_GE in pgorm_cmp's order */
    CG_RP_COUNT_NE,
    CG_RP_COUNT_LT,
    CG_RP_COUNT_LE,
    CG_RP_COUNT_GT,
    CG_RP_COUNT_GE,
    CG_RP_COUNT_WHERE,
    CG_RP_COUNT
} cg_rel_pred;

/* One ForeignKey or BackReference. */
typedef struct cg_rel {
    const pgorm_field *field;
    pgorm_rel_kind kind;
    size_t target;    /* index into plan->models */
    size_t fk_column; /* FORWARD: our column; BACK: the target's column */
    size_t index;     /* in the model's descriptor rels */
    const char *fn[CG_REL_FN_COUNT];
    const char *pred[CG_RP_COUNT];
} cg_rel;

/* One field of the schema, as a member of the struct. */
typedef struct cg_field {
    const pgorm_field *field;
    const char *member; /* C member name: "pages", "default_" */
    const char *has;    /* "has_pages" (scalar fields), or NULL */
    cg_col *col;        /* NULL for a BackReference */
    cg_rel *rel;        /* NULL for a scalar */
    const char *count;  /* array fields: "tags_count", else NULL */
} cg_field;

/* The functions generated per model, in the order they are written; each
   _SYNC twin comes right after its call (source.c relies on it). */
typedef enum cg_fn {
    CG_ROWS_FREE,
    CG_INSERT,
    CG_INSERT_SYNC,
    CG_FIND,
    CG_FIND_SYNC,
    CG_GET,
    CG_GET_SYNC,
    CG_COUNT,
    CG_COUNT_SYNC,
    CG_UPDATE,
    CG_UPDATE_SYNC,
    CG_UPDATE_WHERE,
    CG_UPDATE_WHERE_SYNC,
    CG_DELETE,
    CG_DELETE_SYNC,
    CG_DELETE_WHERE,
    CG_DELETE_WHERE_SYNC,
    CG_FN_COUNT
} cg_fn;

typedef struct cg_model {
    const pgorm_model *m;
    const char *type;    /* struct and typedef: "Book" */
    const char *query;   /* "BookQuery" */
    const char *rows;    /* "BookRows" */
    const char *rows_cb; /* "BookRowsCb" */
    const char *desc;    /* "book_model" */
    const char *all;     /* "BOOK_ALL_COLUMNS" */
    const char *fn[CG_FN_COUNT];
    /* static names of the .c file */
    const char *columns_var; /* "book_columns" */
    const char *rels_var;    /* "book_rels" */
    const char *unique_var;  /* "book_unique" */
    const char *rows_of;     /* a result's rows, in its arena: "book_rows_of" */
    const char *deliver;     /* the callback trampoline: "book_deliver" */
    const char *wrap;        /* the end of a _sync call: "book_rows_wrap" */

    cg_field *fields; /* parallel to m->fields */
    cg_col *cols;
    size_t ncols;
    cg_rel *rels;
    size_t nrels;
    uint64_t pk_mask; /* 0: no primary key (no get, update, delete) */
    uint64_t *unique; /* primary key first, then unique constraints */
    size_t nunique;
    /* upsert (emit_upsert.c): the calls, and the constraint name of each unique set */
    const char *upsert;            /* "book_upsert" */
    const char *upsert_sync;       /* "book_upsert_sync" */
    const char *unique_names_var;  /* "book_unique_names" */
    const char **unique_names;     /* parallel to unique */
    /* streaming (emit_stream.c) */
    const char *stream;            /* "book_stream" */
    const char *stream_cb;         /* "BookStreamCb" */
    const char *stream_deliver;    /* "book_stream_deliver" */
} cg_model;

/* A result column of a named query, as a member of its row struct. */
typedef struct cg_qcol {
    const pgorm_query_column *col;
    const cg_ctype *ct;
    const char *member;   /* "books" */
    const char *has;      /* "has_books" (a nullable fixed-size value), or NULL */
    const char *sql_type; /* "int8" */
} cg_qcol;

/* A parameter of a named query, as a parameter of its functions. */
typedef struct cg_qparam {
    const pgorm_query_param *p;
    const cg_ctype *ct;
    const char *name; /* "min_pages" */
} cg_qparam;

/* A named query (emit_query.c). */
typedef struct cg_query {
    const pgorm_named_query *q;
    const char *row;       /* "AuthorsWithBooksRow" */
    const char *rows;      /* "AuthorsWithBooksRows" */
    const char *rows_cb;   /* "AuthorsWithBooksRowsCb" */
    const char *fn;        /* "authors_with_books" */
    const char *fn_sync;   /* "authors_with_books_sync" */
    const char *rows_free; /* "authors_with_books_rows_free" */
    const char *desc;      /* "authors_with_books_query" */
    /* static names of the .c file */
    const char *columns_var; /* "authors_with_books_columns" */
    const char *sql_var;     /* "authors_with_books_sql" */
    const char *rows_of;     /* "authors_with_books_rows_of" */
    const char *deliver;     /* "authors_with_books_deliver" */
    const char *wrap;        /* "authors_with_books_rows_wrap" */
    cg_qcol *cols;
    size_t ncols;
    cg_qparam *params;
    size_t nparams;
} cg_query;

/* A schema enum: the C enum, its constants and helpers (emit_enum.c). */
typedef struct cg_enum {
    const pgorm_enum *e;
    const char *type;       /* typedef enum Status ... Status */
    const char **consts;    /* per value: "STATUS_DRAFT" */
    const char *name_fn;    /* "status_name" */
    const char *from_fn;    /* "status_from_name" */
    const char *labels_var; /* static in the .c file: "status_labels" */
    const char *sql_type;   /* the quoted SQL type: "\"status\"" */
    cg_ctype ct;            /* how its columns look in C */
} cg_enum;

typedef struct cg_plan {
    pgorm_arena arena; /* everything below lives here */
    const pgorm_schema *schema;
    const char *base;  /* "bookstore" */
    const char *guard; /* "BOOKSTORE_PGORM_H" */
    cg_model *models;
    size_t nmodels;
    cg_query *queries;
    size_t nqueries;
    cg_enum *enums; /* parallel to schema->enums */
    size_t nenums;
} cg_plan;

/* Plan the code for a validated schema. `base` names the output files
   ("bookstore" for bookstore.pgorm.h). Release with cg_plan_free also on
   failure. */
pgorm_codegen_status cg_plan_build(cg_plan *p, const pgorm_schema *s, const char *base,
                                   pgorm_diag *diag);
void cg_plan_free(cg_plan *p);

#endif
