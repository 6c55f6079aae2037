/* C names for generated code: a set of the names taken in one C scope, the
 * words no generated name may use, and small string helpers. Every string
 * lives in the caller's arena (codegen frees all of it at once).
 */
#ifndef PGORM_CODEGEN_NAMES_H
#define PGORM_CODEGEN_NAMES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/hmap.h"

/* The identifiers taken in one scope. The names themselves are borrowed
   (arena strings that outlive the set). */
typedef struct cg_names {
    pgorm_arena *arena; /* where cg_names_claim puts new names */
    pgorm_hmap map;
} cg_names;

void cg_names_init(cg_names *ns, pgorm_arena *arena);
void cg_names_free(cg_names *ns);
bool cg_names_has(const cg_names *ns, const char *name);
/* Records `name` (an arena string that outlives ns). False on OOM. */
bool cg_names_add(cg_names *ns, const char *name);

/* The first of `base`, `base_`, `base__`, ... that is not a reserved word
   (cg_is_reserved) and is in neither `ns` nor `avoid` (may be NULL), added
   to ns. An arena string; NULL on OOM. */
const char *cg_names_claim(cg_names *ns, const char *base, const cg_names *avoid);

/* C keywords (C11 and C23) and the standard names that generated code and
   the headers it includes use (size_t, int64_t, NULL, offsetof, ...). */
bool cg_is_reserved(const char *name);

/* printf into the arena; NULL on OOM. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
char *cg_fmt(pgorm_arena *a, const char *fmt, ...);
char *cg_vfmt(pgorm_arena *a, const char *fmt, va_list ap);

/* `s` as a C identifier: bytes other than [A-Za-z0-9_] become '_', and a
   leading digit gets a '_' in front. Arena string; NULL on OOM. */
char *cg_ident(pgorm_arena *a, const char *s);

/* snake_case of a name, as a C identifier ("FilmActor" -> "film_actor");
   upper == true gives UPPER_SNAKE ("FILM_ACTOR"). Arena string; NULL on OOM. */
char *cg_snake(pgorm_arena *a, const char *name, bool upper);

#endif
