/* The allocator hook: the one piece of global state, documented in pgorm.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgorm/pgorm.h"

static pgorm_allocator g_alloc = {malloc, realloc, free};

void pgorm_set_allocator(const pgorm_allocator *a)
{
    if (a && a->malloc_fn && a->realloc_fn && a->free_fn)
        g_alloc = *a;
    else
        g_alloc = (pgorm_allocator){malloc, realloc, free};
}

void *pgorm_malloc(size_t size)
{
    return g_alloc.malloc_fn(size ? size : 1);
}

void *pgorm_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = pgorm_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *pgorm_realloc(void *ptr, size_t size)
{
    return g_alloc.realloc_fn(ptr, size ? size : 1);
}

void pgorm_free(void *ptr)
{
    if (ptr)
        g_alloc.free_fn(ptr);
}

char *pgorm_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = pgorm_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
