/* Internal: pgorm_result, the rows of one model in one arena, and the
 * decoding of PGresult rows into model structs.
 *
 * A result owns `items` (a growable array of the model's struct, count
 * used) and an arena holding everything the rows point to (strings, bytes,
 * later related rows). Decoding a row allocates nothing but string/byte
 * copies in the arena; the items array grows geometrically (once per
 * PGresult in whole-result mode).
 *
 * Columns of a model are read from consecutive result columns starting at
 * `first`, in descriptor order (the SELECT lists them so): every column, or
 * with a column mask (pgorm_query.columns) only the masked ones; the others
 * stay zero in the struct.
 */
#ifndef PGORM_RUNTIME_RESULT_H
#define PGORM_RUNTIME_RESULT_H

#include <libpq-fe.h>

#include "pgorm/pgorm.h"
#include "util/arena.h"

struct pgorm_result {
    const pgorm_model_desc *model; /* NULL for a result that is not rows of a model */
    pgorm_arena arena;
    char *items; /* count items of model->struct_size bytes (pgorm_malloc'd) */
    size_t count;
    size_t cap;
    /* The columns read into the items (column bits): every column of the
       model unless a find chose a subset (pgorm_query.columns). Decoding
       reads these, in descriptor order. */
    uint64_t columns;
    /* Upsert results only (NULL otherwise; upsert.c): for each of the count
       rows, in the arena, its pgorm_upsert_outcome, its inserted flag and
       the index of the input row it came from. */
    unsigned char *outcome;
    bool *inserted;
    size_t *input;
    /* Single-row mode: the columns of the statement now arriving row by row
       have been checked (pgorm_result_add_rows checks its first row only,
       since every row of one statement has the same columns). */
    bool row_checked;
};

/* A new empty result for rows of m (NULL on OOM). Owned by the caller:
   pgorm_result_free(). */
pgorm_result *pgorm_result_new(const pgorm_model_desc *m);
/* Append n zeroed items; pointer to the first, or NULL on OOM. Earlier
   item pointers are invalidated (the array may move). */
void *pgorm_result_push(pgorm_result *r, size_t n);
/* Reorder: item i becomes the old item from[i] (from is a permutation of
   0..count-1). 0, or -1 on OOM (items unchanged). */
int pgorm_result_permute(pgorm_result *r, const size_t *from);

/* Check that res has m's columns from result column `first` on, with types
   the decoders accept. 0, or -1 with *err (PGORM_ERR_DECODE naming the
   column and both types). */
int pgorm_decode_check(const pgorm_model_desc *m, const PGresult *res, int first,
                       pgorm_error *err);
/* Decode row `row` (columns from `first`) into the zeroed struct at dst,
   strings into a. 0, or -1 with *err (PGORM_ERR_DECODE naming model and
   column, or PGORM_ERR_NOMEM). Call pgorm_decode_check on res first. */
int pgorm_decode_row(const pgorm_model_desc *m, const PGresult *res, int row, int first,
                     void *dst, pgorm_arena *a, pgorm_error *err);
/* The same for the columns in `cols` only (column bits), read from
   consecutive result columns from `first`. */
int pgorm_decode_check_cols(const pgorm_model_desc *m, uint64_t cols, const PGresult *res,
                            int first, pgorm_error *err);
int pgorm_decode_row_cols(const pgorm_model_desc *m, uint64_t cols, const PGresult *res, int row,
                          int first, void *dst, pgorm_arena *a, pgorm_error *err);
/* Check and decode every row of res (r->columns, from result column 0)
   onto the end of r.
   res may be a PGRES_SINGLE_TUPLE of single-row mode: then only the first
   row of the statement is checked (the final PGRES_TUPLES_OK re-arms the
   check for the next statement). */
int pgorm_result_add_rows(pgorm_result *r, const PGresult *res, pgorm_error *err);

#endif
