/* pgorm_hmap — THE hash map of pgorm (one implementation, used everywhere:
 * the prepared-statement cache, identity maps, name lookups).
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones), power-of-two capacity, at most 3/4 full. Each slot keeps the
 * key's full 64-bit hash, so probes compare a hash before touching a key and
 * growing never rehashes a key.
 *
 * Keys are either byte strings or uint64_t; a map holds one kind, chosen at
 * init:
 *   PGORM_HMAP_BYTES       byte strings, BORROWED: a key must stay valid and
 *                          unchanged while its entry is in the map (the usual
 *                          way is a key that points into the value).
 *   PGORM_HMAP_BYTES_COPY  byte strings, COPIED into an arena the map owns
 *                          (one allocation per arena block, not per key; a
 *                          removed key's copy is reclaimed by _free/_clear).
 *   PGORM_HMAP_U64         uint64_t keys (ids, pointers), stored inline.
 * Use the _u64 functions with a U64 map and the others with a BYTES map.
 *
 * Values are void *, never owned: the map never frees them. A NULL value is
 * allowed, but then pgorm_hmap_get cannot tell it from a missing key: use
 * pgorm_hmap_find.
 *
 * All memory comes from pgorm_malloc (the allocator hook). On allocation
 * failure the map is unchanged and the call reports it (-1 / NULL).
 *
 * The hash is fast and well mixed, not keyed: do not key a map by untrusted
 * input where an attacker could choose colliding keys.
 *
 * Iteration (order unspecified; do not insert or delete while iterating):
 *     size_t it = 0;
 *     const pgorm_hmap_entry *e;
 *     while ((e = pgorm_hmap_next(&m, &it)))
 *         use(e->key.bytes.ptr, e->key.bytes.len, e->value);
 */
#ifndef PGORM_UTIL_HMAP_H
#define PGORM_UTIL_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

typedef enum pgorm_hmap_keys {
    PGORM_HMAP_BYTES = 0,
    PGORM_HMAP_BYTES_COPY,
    PGORM_HMAP_U64,
} pgorm_hmap_keys;

typedef struct pgorm_hmap_entry {
    uint64_t hash; /* 0 marks an empty slot (real hashes are never 0) */
    union {
        uint64_t u64;
        struct {
            const void *ptr;
            size_t len;
        } bytes;
    } key;
    void *value;
} pgorm_hmap_entry;

typedef struct pgorm_hmap {
    pgorm_hmap_entry *slots; /* NULL until the first insert */
    size_t mask;             /* capacity - 1 (capacity is a power of two) */
    size_t count;
    pgorm_hmap_keys keys;
    pgorm_arena arena; /* key copies for PGORM_HMAP_BYTES_COPY */
} pgorm_hmap;

void pgorm_hmap_init(pgorm_hmap *m, pgorm_hmap_keys keys);
/* Release the table (and key copies). Values are not touched. The map can be
   reused after pgorm_hmap_init. */
void pgorm_hmap_free(pgorm_hmap *m);
/* Remove every entry, keep the table's memory. */
void pgorm_hmap_clear(pgorm_hmap *m);
/* Make room for n entries in total without growing. false on OOM. */
bool pgorm_hmap_reserve(pgorm_hmap *m, size_t n);

static inline size_t pgorm_hmap_count(const pgorm_hmap *m)
{
    return m->count;
}

/* --- byte-string keys -------------------------------------------------- */

/* The value for key, or NULL when absent. */
void *pgorm_hmap_get(const pgorm_hmap *m, const void *key, size_t len);
/* true when present; *value (may be NULL) receives the value. */
bool pgorm_hmap_find(const pgorm_hmap *m, const void *key, size_t len, void **value);
/* Insert, or replace the value of an existing key. 0, or -1 on OOM. */
int pgorm_hmap_put(pgorm_hmap *m, const void *key, size_t len, void *value);
/* Find-or-insert in one probe: the address of the key's value slot (valid
   until the next insert or delete). A new entry starts with value NULL and
   *added (may be NULL) is set true. NULL on OOM. */
void **pgorm_hmap_slot(pgorm_hmap *m, const void *key, size_t len, bool *added);
/* Remove key; returns its value (NULL when absent). */
void *pgorm_hmap_del(pgorm_hmap *m, const void *key, size_t len);

/* --- uint64_t keys ----------------------------------------------------- */

void *pgorm_hmap_get_u64(const pgorm_hmap *m, uint64_t key);
bool pgorm_hmap_find_u64(const pgorm_hmap *m, uint64_t key, void **value);
int pgorm_hmap_put_u64(pgorm_hmap *m, uint64_t key, void *value);
void **pgorm_hmap_slot_u64(pgorm_hmap *m, uint64_t key, bool *added);
void *pgorm_hmap_del_u64(pgorm_hmap *m, uint64_t key);

/* --- iteration and hashing --------------------------------------------- */

/* Next entry at or after *it (start at 0), or NULL at the end. */
const pgorm_hmap_entry *pgorm_hmap_next(const pgorm_hmap *m, size_t *it);

/* The map's hash functions, for callers that want the same hashing. */
uint64_t pgorm_hash_bytes(const void *key, size_t len);
uint64_t pgorm_hash_u64(uint64_t key);

#endif
