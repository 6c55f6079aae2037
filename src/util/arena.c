#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "pgorm/pgorm.h"

struct pgorm_arena_block {
    pgorm_arena_block *next;
    size_t used;
    size_t size;
    alignas(max_align_t) unsigned char data[];
};

void pgorm_arena_init(pgorm_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 8192;
}

void *pgorm_arena_alloc(pgorm_arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX - align)
        return NULL;
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    pgorm_arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t bs = a->block_size ? a->block_size : 8192;
        if (size > bs)
            bs = size;
        if (bs > SIZE_MAX - sizeof *b)
            return NULL;
        b = pgorm_malloc(sizeof *b + bs);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = bs;
        /* a big one-off block goes second so the current block keeps filling */
        if (a->head && size > (a->block_size ? a->block_size : 8192)) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
            /* grow blocks geometrically up to 1 MiB */
            if (a->block_size < (1u << 20))
                a->block_size *= 2;
        }
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

void *pgorm_arena_calloc(pgorm_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = pgorm_arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *pgorm_arena_strndup(pgorm_arena *a, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = pgorm_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void pgorm_arena_free(pgorm_arena *a)
{
    pgorm_arena_block *b = a->head;
    while (b) {
        pgorm_arena_block *n = b->next;
        pgorm_free(b);
        b = n;
    }
    a->head = NULL;
}
