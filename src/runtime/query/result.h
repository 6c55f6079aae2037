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
#include <stdalign.h>
#include <stddef.h>

#include "pgorm/pgorm.h"
#include "util/arena.h"

/* An arena several results point into, freed when the last of them is
   (lazy loads: the rows of one batch are decoded once, their strings and
   bytes here, and every request's result holds a reference). Not
   thread-safe: a result and the results it shares with belong to one
   loop. */
typedef struct pgorm_share {
    size_t refs;
    pgorm_arena arena;
} pgorm_share;

/* A new share with one reference (NULL on OOM). */
pgorm_share *pgorm_share_new(size_t block_size);
void pgorm_share_release(pgorm_share *s); /* NULL is fine */

struct pgorm_result {
    const pgorm_model_desc *model; /* NULL for a result that is not rows of a model */
    pgorm_arena arena;
    char *items; /* count items of model->struct_size bytes (pgorm_malloc'd, or inline) */
    size_t count;
    size_t cap;
    /* The columns read into the items (column bits): every column of the
       model unless a find chose a subset (pgorm_query.columns). Decoding
       reads these, in descriptor order. */
    uint64_t columns;
    bool items_inline; /* items is in the same allocation as the result */
    pgorm_share *share; /* one reference, or NULL: what the rows point into besides arena */
    bool in_share;      /* the result itself lives in share's arena */
    /* The first small pgorm_result_alloc (the generated Rows struct) comes
       from here, so that a result of a row or two needs no arena block. */
    bool spare_used;
    alignas(max_align_t) unsigned char spare[64];
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
/* A new result for rows of m with n zeroed items (count n), both allocated
   in s's arena, holding a reference to s (NULL on OOM). Freed like any
   result: its memory goes back with the share's, when the last result
   holding it is freed. Its own arena's first block will be `block_size`
   bytes (0: the default). */
pgorm_result *pgorm_result_new_in(pgorm_share *s, const pgorm_model_desc *m, size_t n,
                                  size_t block_size);
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
