/* Internal: the operation behind the generic CRUD calls of pgorm.h.
 *
 * One struct for every call: the pgorm_op the core runs (first member), the
 * caller's callback, and what the result becomes (rows of a model, a count,
 * or rows written back into an insert's input). crud.c builds and completes
 * them; insert.c adds the insert's statement and its matching of returned
 * rows to inputs.
 */
#ifndef PGORM_RUNTIME_CRUD_H
#define PGORM_RUNTIME_CRUD_H

#include "pgorm/pgorm.h"
#include "runtime/core/op.h"
#include "runtime/query/result.h"
#include "runtime/query/sql.h"

typedef enum crud_kind {
    CRUD_ROWS,     /* find, get: rows of the model */
    CRUD_INSERT,   /* rows, matched to the inputs and written back */
    CRUD_COUNT,    /* count(*): one int8 */
    CRUD_AFFECTED, /* update, delete: rows affected */
} crud_kind;

typedef struct crud_op {
    pgorm_op op; /* first: the core sees only this */
    crud_kind kind;
    const pgorm_model_desc *m;
    pgorm_result_cb rcb; /* ROWS, INSERT */
    pgorm_count_cb ccb;  /* COUNT, AFFECTED */
    pgorm_fn fn;
    void *ud;
    pgorm_result *res; /* ROWS, INSERT: filled by result() */
    int64_t count;     /* COUNT, AFFECTED */
    void *rows;        /* INSERT: the caller's rows (written back on success) */
    size_t n;
} crud_op;

/* A new op of `kind` about m for the given callback (rcb or ccb), or NULL
   when out of memory: then the callback has been scheduled with
   PGORM_ERR_NOMEM already. */
crud_op *pgorm_crud_new(pgorm_db *db, crud_kind kind, const pgorm_model_desc *m,
                        pgorm_result_cb rcb, pgorm_count_cb ccb, pgorm_fn fn, void *ud);
/* Finish b into op and submit it; when b failed, the op completes on the
   next loop turn with b's error instead. Frees b's own memory either way.
   (An op with nothing to send goes to pgorm_db_submit_done directly.) */
void pgorm_crud_submit(pgorm_db *db, crud_op *op, pgorm_sqlb *b);

/* insert.c: after the statement succeeded, put the returned rows in input
   order and write fixed-size values back into the caller's rows. 0, or -1
   with *err (then nothing is written back). */
int pgorm_insert_finish(crud_op *op, pgorm_error *err);

/* pgorm_find without fetch_links: the model's own columns. pgorm_find
   itself (relations/links.c) picks this or the fetch_links statement. */
void pgorm_find_plain(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                      pgorm_result_cb cb, pgorm_fn fn, void *ud);

#endif
