/* pgorm_arena — bump allocator in chained blocks. Everything a result holds
 * lives in one arena and is freed by one call. Blocks come from pgorm's
 * allocator hook.
 */
#ifndef PGORM_UTIL_ARENA_H
#define PGORM_UTIL_ARENA_H

#include <stddef.h>

typedef struct pgorm_arena_block pgorm_arena_block;

typedef struct pgorm_arena {
    pgorm_arena_block *head;
    size_t block_size; /* default size of a new block (0: 8 KiB) */
} pgorm_arena;

void pgorm_arena_init(pgorm_arena *a, size_t block_size);
/* Aligned to max_align_t; NULL on OOM. */
void *pgorm_arena_alloc(pgorm_arena *a, size_t size);
void *pgorm_arena_calloc(pgorm_arena *a, size_t n, size_t size);
char *pgorm_arena_strndup(pgorm_arena *a, const char *s, size_t len);
void pgorm_arena_free(pgorm_arena *a);

#endif
