/* Private to validation (validate.c: names, fields, keys, block attributes;
 * relations.c: ForeignKeys and BackReferences): small helpers for look-ups
 * and messages.
 */
#ifndef PGORM_SCHEMA_VALIDATE_H
#define PGORM_SCHEMA_VALIDATE_H

#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/schema_int.h"

typedef pgorm_sx_ctx ctx;

/* A user-written name for a message: at most 64 bytes, never cut inside a
   UTF-8 sequence, "..." when clipped. */
typedef struct name64 {
    char s[72];
} name64;

static inline name64 nm(const char *s)
{
    name64 r;
    size_t n = s ? strlen(s) : 0;
    if (n <= 64) {
        memcpy(r.s, s ? s : "", n + (s ? 1 : 0));
        r.s[n] = '\0';
        return r;
    }
    size_t k = 61;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    memcpy(r.s, s, k);
    memcpy(r.s + k, "...", 4);
    return r;
}

/* A comma-separated list of names for a message, clipped with "...". */
typedef struct namelist {
    pgorm_buf b;
    size_t count;
    bool clipped;
} namelist;

static inline void nl_add(namelist *l, const char *name)
{
    l->count++;
    if (l->clipped)
        return;
    if (l->b.len + strlen(name) > 240) {
        pgorm_buf_puts(&l->b, l->b.len ? ", ..." : "...");
        l->clipped = true;
        return;
    }
    if (l->b.len)
        pgorm_buf_puts(&l->b, ", ");
    pgorm_buf_puts(&l->b, name);
}

static inline const char *nl_str(const namelist *l)
{
    return l->b.data && !l->b.oom ? l->b.data : "";
}

static inline bool unreliable(const ctx *c, size_t mi)
{
    return c->aux[mi].broken || c->aux[mi].any_bad;
}

static inline size_t find_model(const pgorm_schema *s, const char *name)
{
    for (size_t i = 0; i < s->nmodels; i++)
        if (s->models[i].name && strcmp(s->models[i].name, name) == 0)
            return i;
    return PGORM_NONE;
}

static inline size_t find_field(const pgorm_model *m, const char *name)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].name && strcmp(m->fields[i].name, name) == 0)
            return i;
    return PGORM_NONE;
}

static inline const char *kind_name(const pgorm_field *f)
{
    return f->kind == PGORM_FIELD_FOREIGN_KEY    ? "ForeignKey"
           : f->kind == PGORM_FIELD_MANY_TO_MANY ? "ManyToMany"
                                                 : "BackReference";
}

/* Resolve ForeignKey and BackReference targets, ForeignKey column types
   and BackReference partners (relations.c). */
void pgorm_sx_validate_relations(ctx *c);

/* A field with no column: a BackReference or a ManyToMany. */
static inline bool no_column(const pgorm_field *f)
{
    return f->kind == PGORM_FIELD_BACK_REFERENCE || f->kind == PGORM_FIELD_MANY_TO_MANY;
}

/* Resolve ManyToMany[T] @through(J): J, its ForeignKeys to both sides, and
   that J stores a pair once (relations.c). */
void pgorm_sx_validate_many_to_many(ctx *c, size_t mi, size_t fi);

#endif
