/* Relationships: ForeignKey and BackReference targets, ForeignKey column
 * types (the target key's type, serial -> int4, bigserial -> int8), and the
 * ForeignKey each BackReference is the other side of.
 */
#include <stdio.h>
#include <string.h>

#include "schema/validate.h"

static void resolve_target(ctx *c, pgorm_field *f, const pgorm_sx_field_aux *fa)
{
    const pgorm_schema *s = c->s;
    size_t t = find_model(s, f->target_model);
    if (t != PGORM_NONE) {
        f->target = t;
        return;
    }
    namelist l = {PGORM_BUF_INIT, 0, false};
    const char **names = pgorm_calloc(s->nmodels ? s->nmodels : 1, sizeof *names);
    for (size_t i = 0; i < s->nmodels; i++) {
        nl_add(&l, s->models[i].name);
        if (names)
            names[i] = s->models[i].name;
    }
    char dym[96];
    pgorm_sx_did_you_mean(dym, sizeof dym, "",
                          names ? pgorm_sx_suggest(f->target_model, names, s->nmodels) : NULL);
    pgorm_sx_diag(&c->d, fa->target_pos, "%s to unknown model '%s' (models in this file: %s)%s",
                  kind_name(f), nm(f->target_model).s, l.count ? nl_str(&l) : "none", dym);
    pgorm_free(names);
    pgorm_buf_free(&l.b);
}

/* The column type of ForeignKey field (mi, fi): the type of its target's
   key, following keys that are themselves ForeignKeys. Iterative, so a long
   chain cannot exhaust the stack; a cycle is reported by its members. */
static void resolve_fk_type(ctx *c, size_t mi, size_t fi)
{
    pgorm_schema *s = c->s;
    pgorm_field *f0 = &s->models[mi].fields[fi];
    pgorm_sx_field_aux *fa0 = &c->aux[mi].fields[fi];
    size_t cm = mi, cf = fi;
    for (size_t steps = 0; steps <= s->nmodels; steps++) {
        const pgorm_field *f = &s->models[cm].fields[cf];
        size_t ti = f->target;
        if (ti == PGORM_NONE || unreliable(c, ti))
            break;
        const pgorm_model *t = &s->models[ti];
        const pgorm_field *key = pgorm_model_single_id(t);
        if (!key) {
            bool composite = false;
            for (size_t b = 0; b < t->nblocks; b++)
                composite = composite || t->blocks[b].kind == PGORM_BLOCK_ID;
            if (steps == 0 && composite)
                pgorm_sx_diag(
                    &c->d, fa0->target_pos,
                    "ForeignKey[%s] needs model '%s' to have a single-column @id, but its "
                    "primary key is a composite @@id",
                    nm(t->name).s, nm(t->name).s);
            break; /* no key at all: the model's own error says so */
        }
        size_t ki = (size_t)(key - t->fields);
        const pgorm_sx_field_aux *ka = &c->aux[ti].fields[ki];
        if (ka->bad || no_column(key))
            break;
        if (key->kind == PGORM_FIELD_SCALAR || ka->resolve == 2) {
            f0->type = key->kind == PGORM_FIELD_SCALAR ? pgorm_coltype_plain(key->type) : key->type;
            if (f0->type.scalar == PGORM_S_ENUM && key->enum_name && !f0->enum_name) {
                f0->enum_index = key->enum_index;
                if (!(f0->enum_name = pgorm_strdup(key->enum_name)))
                    c->d.oom = true;
            }
            fa0->resolve = 2;
            return;
        }
        if (ti == mi && ki == fi) {
            pgorm_sx_diag(&c->d, fa0->target_pos,
                          "ForeignKey[%s] has no key type: it is part of a primary key that is a "
                          "ForeignKey leading back to itself",
                          nm(f0->target_model).s);
            break;
        }
        cm = ti;
        cf = ki;
    }
    fa0->resolve = 3;
}

static void fk_list(const pgorm_model *t, const char *to, namelist *l, size_t *only)
{
    for (size_t i = 0; i < t->nfields; i++) {
        const pgorm_field *g = &t->fields[i];
        if (g->kind == PGORM_FIELD_FOREIGN_KEY && g->target_model &&
            strcmp(g->target_model, to) == 0) {
            nl_add(l, g->name);
            *only = i;
        }
    }
}

static void resolve_backref(ctx *c, size_t mi, size_t fi)
{
    const pgorm_schema *s = c->s;
    const pgorm_model *m = &s->models[mi];
    pgorm_field *f = &s->models[mi].fields[fi];
    const pgorm_sx_field_aux *fa = &c->aux[mi].fields[fi];
    size_t ti = f->target;
    if (ti == PGORM_NONE || unreliable(c, ti))
        return;
    const pgorm_model *t = &s->models[ti];
    namelist l = {PGORM_BUF_INIT, 0, false};
    size_t only = PGORM_NONE;
    fk_list(t, m->name, &l, &only);
    name64 tn = nm(t->name), mn = nm(m->name);
    if (f->target_field) {
        size_t k = find_field(t, f->target_field);
        const pgorm_field *g = k == PGORM_NONE ? NULL : &t->fields[k];
        if (g && g->kind == PGORM_FIELD_FOREIGN_KEY && strcmp(g->target_model, m->name) == 0) {
            f->target_fk = k;
        } else {
            char tail[320];
            if (l.count)
                snprintf(tail, sizeof tail, "; write BackReference[%s.field] with one of: %s", tn.s,
                         nl_str(&l));
            else
                snprintf(tail, sizeof tail, "; model '%s' has no ForeignKey[%s] field", tn.s, mn.s);
            if (!g)
                pgorm_sx_diag(&c->d, fa->target_field_pos, "model '%s' has no field '%s'%s", tn.s,
                              nm(f->target_field).s, tail);
            else
                pgorm_sx_diag(&c->d, fa->target_field_pos,
                              "field '%s.%s' is not a ForeignKey to '%s'%s", tn.s,
                              nm(f->target_field).s, mn.s, tail);
        }
    } else if (l.count == 1) {
        f->target_fk = only;
    } else if (l.count == 0) {
        pgorm_sx_diag(&c->d, fa->target_pos,
                      "BackReference[%s] needs a ForeignKey[%s] field in model '%s', and it has "
                      "none",
                      tn.s, mn.s, tn.s);
    } else {
        pgorm_sx_diag(&c->d, fa->target_pos,
                      "model '%s' has %zu ForeignKey[%s] fields, so BackReference[%s] is "
                      "ambiguous: write BackReference[%s.field] with one of: %s",
                      tn.s, l.count, mn.s, tn.s, tn.s, nl_str(&l));
    }
    pgorm_buf_free(&l.b);
}

void pgorm_sx_validate_relations(ctx *c)
{
    pgorm_schema *s = c->s;
    /* Targets first: a ForeignKey's type and a BackReference's partner need
       every target known. */
    for (size_t mi = 0; mi < s->nmodels && !c->d.oom; mi++) {
        pgorm_model *m = &s->models[mi];
        for (size_t fi = 0; fi < m->nfields; fi++)
            if (m->fields[fi].kind != PGORM_FIELD_SCALAR && !c->aux[mi].fields[fi].bad)
                resolve_target(c, &m->fields[fi], &c->aux[mi].fields[fi]);
    }
    for (size_t mi = 0; mi < s->nmodels && !c->d.oom; mi++) {
        pgorm_model *m = &s->models[mi];
        for (size_t fi = 0; fi < m->nfields; fi++) {
            pgorm_sx_field_aux *fa = &c->aux[mi].fields[fi];
            if (fa->bad)
                continue;
            if (m->fields[fi].kind == PGORM_FIELD_FOREIGN_KEY && fa->resolve == 0)
                resolve_fk_type(c, mi, fi);
            else if (m->fields[fi].kind == PGORM_FIELD_BACK_REFERENCE)
                resolve_backref(c, mi, fi);
            else if (m->fields[fi].kind == PGORM_FIELD_MANY_TO_MANY)
                pgorm_sx_validate_many_to_many(c, mi, fi);
        }
    }
}
