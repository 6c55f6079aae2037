/* Internal: building one statement's SQL text and binary parameters.
 *
 * A pgorm_sqlb accumulates the text (every identifier through
 * pgorm_sql_ident) and the parameters (every value; the text names them $1,
 * $2, ... and depends only on the SHAPE of the request: which columns, which
 * predicate kinds, whether a limit is set, never on the values, so a
 * prepared statement is reused across calls). Parameter bytes go into the
 * op's `params` buffer; pgorm_sqlb_finish() lays out the libpq arrays there
 * and hands the text to the op.
 *
 * Errors are sticky: the first one (a caller's mistake: PGORM_ERR_INVALID,
 * or PGORM_ERR_NOMEM) is kept with its message, later calls do nothing, and
 * the caller checks pgorm_sqlb_failed() once. Messages start with
 * "<what>(<Model>): " so the user sees which call refused what.
 */
#ifndef PGORM_RUNTIME_SQL_H
#define PGORM_RUNTIME_SQL_H

#include <stdbool.h>

#include "pgorm/pgorm.h"
#include "runtime/core/op.h"
#include "util/buf.h"

typedef struct pgorm_sqlb {
    pgorm_buf sql;                 /* the statement text */
    pgorm_buf *vals;               /* parameter bytes (borrowed: an op's params) */
    pgorm_buf meta;                /* one entry per parameter (internal) */
    int nparams;
    const pgorm_model_desc *m;     /* the model the statement is about */
    const char *what;              /* the public call, for messages: "pgorm_find" */
    const char *alias;             /* qualifies column names when not NULL */
    /* Relation predicates' subqueries are aliased t<next_alias>, t<+1>...:
       a statement with aliases of its own (fetch_links: t0..tN) starts it
       past them. */
    unsigned next_alias;
    const pgorm_model_desc *msg_m; /* named in messages instead of m when set */
    bool no_text;                  /* parameters only: the caller has the text (cached) */
    pgorm_errcode code;            /* PGORM_OK until something failed */
    char message[320];
} pgorm_sqlb;

/* Start a statement about model m (checked: not NULL, 1..64 columns of
   known types) whose parameters go into `vals` (an op's params buffer,
   borrowed). `what` is static text. */
void pgorm_sqlb_init(pgorm_sqlb *b, pgorm_buf *vals, const pgorm_model_desc *m,
                     const char *what);
/* Release the text and the bookkeeping (not `vals`). Safe after finish. */
void pgorm_sqlb_free(pgorm_sqlb *b);
bool pgorm_sqlb_failed(const pgorm_sqlb *b);
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void pgorm_sqlb_fail(pgorm_sqlb *b, pgorm_errcode code, const char *fmt, ...);

/* Text. */
void pgorm_sqlb_puts(pgorm_sqlb *b, const char *s);
void pgorm_sqlb_table(pgorm_sqlb *b);                /* "book" */
void pgorm_sqlb_column(pgorm_sqlb *b, size_t col);   /* [alias.]"title" */
void pgorm_sqlb_columns(pgorm_sqlb *b, uint64_t mask); /* "a", "b" in model order */
/* The columns a find of b->m reads for pgorm_query.columns: every column
   for 0, else `columns` plus the key columns. A bit b->m does not have
   fails b (PGORM_ERR_INVALID naming the bits) and gives 0. */
uint64_t pgorm_sqlb_read_mask(pgorm_sqlb *b, uint64_t columns);

/* Parameters: each appends "$n" to the text. */
/* The value at v, of type t (NULL pointer types become an SQL NULL). */
void pgorm_sqlb_value(pgorm_sqlb *b, pgorm_type t, const void *v, const char *label);
/* A parameter whose value the caller appended to b->vals from `off` (rc:
   1 a value, 0 NULL, -1 failed with why), of type oid: its $n. */
void pgorm_sqlb_param(pgorm_sqlb *b, Oid oid, size_t off, int rc, const char *why,
                      const char *label);
/* Column `col` of the struct at row (NULL / unset -> SQL NULL). */
void pgorm_sqlb_field(pgorm_sqlb *b, size_t col, const void *row);
/* A value / an array of values of column c (any type; a PGORM_ENUM one is
   sent as text through the column's labels and cast to its sql_type). */
void pgorm_sqlb_col_value(pgorm_sqlb *b, const pgorm_column_desc *c, const void *v,
                          const char *label);
void pgorm_sqlb_col_array(pgorm_sqlb *b, const pgorm_column_desc *c, const void *vals,
                          const void *has, size_t n, size_t stride, const char *label);
/* A one-dimensional array (see pgorm_codec_encode_array). */
void pgorm_sqlb_array(pgorm_sqlb *b, pgorm_type t, const void *vals, const void *has, size_t n,
                      size_t stride, const char *label);
void pgorm_sqlb_int8(pgorm_sqlb *b, int64_t v);

/* Clauses (each starts with a space). */
/* " WHERE <pred>", nothing for a zero (PGORM_PRED_NONE) predicate. Checks
   every leaf: its model is b->m, its column exists, its operator and kind
   are known, LIKE is on text, compared values are not NULL (use IS NULL). */
void pgorm_sqlb_where(pgorm_sqlb *b, const pgorm_pred *where);
/* The condition alone (TRUE for a zero predicate). */
void pgorm_sqlb_pred(pgorm_sqlb *b, const pgorm_pred *p);
/* The condition `p` about model m, its columns qualified by `alias`
   (b->m and b->alias are restored afterwards; messages still name the
   statement's model). */
void pgorm_sqlb_pred_on(pgorm_sqlb *b, const pgorm_pred *p, const pgorm_model_desc *m,
                        const char *alias);
/* " ORDER BY ...": entries up to the first zero column; each must be exactly
   one existing column bit. */
void pgorm_sqlb_order(pgorm_sqlb *b, const pgorm_order *order, size_t max);
/* " WHERE k1 = $i AND k2 = $j" from the key columns of the struct at key;
   refuses a model without a key and a key column that is NULL / unset. */
void pgorm_sqlb_key(pgorm_sqlb *b, const void *key);

/* Hand the text and the parameter arrays to op (sql, nparams,
   param_types/values/lengths/formats; result_format binary). Returns 0, or
   -1 when the builder failed (op untouched apart from its params buffer).
   With no_text, op->sql is left as it is (the caller sets it). The builder
   still needs pgorm_sqlb_free(). */
int pgorm_sqlb_finish(pgorm_sqlb *b, pgorm_op *op);

#endif
