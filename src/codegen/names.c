#include "codegen/names.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "pgorm/schema.h"

/* Sorted, for bsearch. Keywords of C11 and C23, the standard names that
   pgorm.h and the generated code use (a model called `size_t` must not
   become a typedef of that name), and the macros GNU modes predefine. */
static const char *const reserved[] = {
    "INT16_MAX", "INT16_MIN", "INT32_MAX", "INT32_MIN", "INT64_C", "INT64_MAX", "INT64_MIN",
    "INT8_MAX", "INT8_MIN", "NULL", "SIZE_MAX", "UINT16_MAX", "UINT32_MAX", "UINT64_C",
    "UINT64_MAX", "UINT8_MAX", "_Alignas", "_Alignof", "_Atomic", "_BitInt", "_Bool", "_Complex",
    "_Decimal128", "_Decimal32", "_Decimal64", "_Generic", "_Imaginary", "_Noreturn",
    "_Static_assert", "_Thread_local", "alignas", "alignof", "auto", "bool", "break", "case",
    "char", "const", "constexpr", "continue", "default", "do", "double", "else", "enum", "extern",
    "false", "float", "for", "goto", "if", "inline", "int", "int16_t", "int32_t", "int64_t",
    "int8_t", "intmax_t", "intptr_t", "linux", "long", "max_align_t", "nullptr", "offsetof",
    "ptrdiff_t", "register", "restrict", "return", "short", "signed", "size_t", "sizeof", "static",
    "static_assert", "struct", "switch", "thread_local", "true", "typedef", "typeof",
    "typeof_unqual", "uint16_t", "uint32_t", "uint64_t", "uint8_t", "uintmax_t", "uintptr_t",
    "union", "unix", "unsigned", "void", "volatile", "wchar_t", "while",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool cg_is_reserved(const char *name)
{
    return bsearch(&name, reserved, sizeof reserved / sizeof reserved[0], sizeof reserved[0],
                   cmp_str) != NULL;
}

void cg_names_init(cg_names *ns, pgorm_arena *arena)
{
    ns->arena = arena;
    pgorm_hmap_init(&ns->map, PGORM_HMAP_BYTES);
}

void cg_names_free(cg_names *ns)
{
    pgorm_hmap_free(&ns->map);
}

bool cg_names_has(const cg_names *ns, const char *name)
{
    return ns && pgorm_hmap_find(&ns->map, name, strlen(name), NULL);
}

bool cg_names_add(cg_names *ns, const char *name)
{
    return pgorm_hmap_put(&ns->map, name, strlen(name), NULL) == 0;
}

const char *cg_names_claim(cg_names *ns, const char *base, const cg_names *avoid)
{
    size_t len = strlen(base);
    for (size_t extra = 0;; extra++) {
        char *name = pgorm_arena_alloc(ns->arena, len + extra + 1);
        if (!name)
            return NULL;
        memcpy(name, base, len);
        memset(name + len, '_', extra);
        name[len + extra] = '\0';
        if (!cg_is_reserved(name) && !cg_names_has(ns, name) && !cg_names_has(avoid, name))
            return cg_names_add(ns, name) ? name : NULL;
    }
}

char *cg_vfmt(pgorm_arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *s = n < 0 ? NULL : pgorm_arena_alloc(a, (size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *cg_fmt(pgorm_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = cg_vfmt(a, fmt, ap);
    va_end(ap);
    return s;
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char *cg_ident(pgorm_arena *a, const char *s)
{
    bool digit = s[0] >= '0' && s[0] <= '9';
    char *out = cg_fmt(a, "%s%s", digit || !s[0] ? "_" : "", s);
    if (out)
        for (char *p = out; *p; p++)
            if (!ident_char(*p))
                *p = '_';
    return out;
}

char *cg_snake(pgorm_arena *a, const char *name, bool upper)
{
    char *snake = pgorm_snake_case(name);
    if (!snake)
        return NULL;
    char *out = cg_ident(a, snake);
    pgorm_free(snake);
    if (out && upper)
        for (char *p = out; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
    return out;
}
