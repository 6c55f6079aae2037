/* Internal: rows of a model told apart by the values of a set of columns.
 *
 * A key is the values of the columns of a mask (a primary key, a unique
 * set) in binary wire form, each preceded by its length, so two rows have
 * equal keys exactly when the server would find their values equal (numeric
 * values are compared by value: 1.5 and 1.50 are one key).
 *
 * A pgorm_keymap indexes n input rows by key: a key that several rows share
 * maps to the LAST of them. Insert uses it to match returned rows to inputs
 * by primary key; upsert to drop duplicate conflict keys before sending
 * (last one wins) and to match returned rows to inputs by conflict key.
 */
#ifndef PGORM_RUNTIME_KEYMAP_H
#define PGORM_RUNTIME_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgorm/pgorm.h"
#include "util/buf.h"
#include "util/hmap.h"

/* Append the key (the columns of `mask`, in model order) of the struct at
   row to out. false when one of them is NULL or unset (or cannot be
   encoded); out->oom tells an allocation failure. */
bool pgorm_key_bytes(const pgorm_model_desc *m, uint64_t mask, const void *row, pgorm_buf *out);

typedef struct pgorm_keymap {
    const pgorm_model_desc *m;
    uint64_t mask;
    pgorm_hmap map;  /* key -> index + 1 of the last row with it (borrows keys) */
    pgorm_buf keys;  /* every row's key, back to back */
    pgorm_buf ends;  /* size_t[n + 1]: row i's key is keys[ends[i]..ends[i + 1]) */
    pgorm_buf probe; /* scratch for lookups */
} pgorm_keymap;

/* Index the n structs at rows (of m) by the columns of mask. 0 on success;
   1 when row *bad has a NULL / unset key column (nothing indexed); -1 out
   of memory. Release with pgorm_keymap_free in every case. */
int pgorm_keymap_build(pgorm_keymap *km, const pgorm_model_desc *m, uint64_t mask,
                       const void *rows, size_t n, size_t *bad);
/* The number of distinct keys. */
size_t pgorm_keymap_count(const pgorm_keymap *km);
/* The index of the last indexed row with the key of input row i. */
size_t pgorm_keymap_last(const pgorm_keymap *km, size_t i);
/* The index of the last indexed row whose key equals that of the struct at
   row (any struct of m, e.g. a returned row): 1 found (*idx), 0 not found
   (or a NULL key), -1 out of memory. */
int pgorm_keymap_find(pgorm_keymap *km, const void *row, size_t *idx);
void pgorm_keymap_free(pgorm_keymap *km);

#endif
