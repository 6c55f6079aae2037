/* ManyToMany[T] @through(J): the join model J, its ForeignKey to this
 * model (from) and to T (to), and that J stores each pair once (its @@id or
 * an @@unique is exactly those two fields), so that adding a pair twice is
 * harmless. A self-referential one (T is this model) must name both fields:
 * @through(J, from_field, to_field).
 */
#include <stdio.h>
#include <string.h>

#include "schema/validate.h"

/* "post (Post), tag (Tag)": every ForeignKey of j. */
static void all_fks(const pgorm_model *j, namelist *l)
{
    for (size_t i = 0; i < j->nfields; i++) {
        const pgorm_field *g = &j->fields[i];
        if (g->kind != PGORM_FIELD_FOREIGN_KEY || !g->target_model)
            continue;
        char b[160];
        snprintf(b, sizeof b, "%s (%s)", nm(g->name).s, nm(g->target_model).s);
        nl_add(l, b);
    }
}

/* The one ForeignKey of j to `to`, PGORM_NONE with *count set otherwise. */
static size_t fk_to(const pgorm_model *j, const char *to, size_t *count)
{
    size_t only = PGORM_NONE;
    *count = 0;
    for (size_t i = 0; i < j->nfields; i++) {
        const pgorm_field *g = &j->fields[i];
        if (g->kind == PGORM_FIELD_FOREIGN_KEY && g->target_model &&
            strcmp(g->target_model, to) == 0) {
            ++*count;
            only = i;
        }
    }
    return *count == 1 ? only : PGORM_NONE;
}

/* A named field of j: a ForeignKey to `to`, else reported. */
static size_t named_fk(ctx *c, const pgorm_field *f, const pgorm_model *j, const char *name,
                       pgorm_pos pos, const char *to, const char *side)
{
    size_t k = find_field(j, name);
    const pgorm_field *g = k == PGORM_NONE ? NULL : &j->fields[k];
    if (g && g->kind == PGORM_FIELD_FOREIGN_KEY && g->target_model &&
        strcmp(g->target_model, to) == 0)
        return k;
    namelist l = {PGORM_BUF_INIT, 0, false};
    all_fks(j, &l);
    name64 jn = nm(j->name);
    if (!g)
        pgorm_sx_diag(&c->d, pos,
                      "@through(%s, ...): %s has no field '%s' (the %s field must be a "
                      "ForeignKey[%s]; its ForeignKeys are: %s)",
                      jn.s, jn.s, nm(name).s, side, nm(to).s, l.count ? nl_str(&l) : "none");
    else
        pgorm_sx_diag(&c->d, pos,
                      "@through(%s, ...): field '%s.%s' is not a ForeignKey to %s, as the %s "
                      "field of ManyToMany '%s' must be (its ForeignKeys are: %s)",
                      jn.s, jn.s, nm(name).s, nm(to).s, side, nm(f->name).s,
                      l.count ? nl_str(&l) : "none");
    pgorm_buf_free(&l.b);
    return PGORM_NONE;
}

/* The one ForeignKey of j to `to`, else reported at pos. */
static size_t implied_fk(ctx *c, const pgorm_model *j, const char *to, pgorm_pos pos)
{
    size_t count = 0;
    size_t k = fk_to(j, to, &count);
    if (k != PGORM_NONE)
        return k;
    namelist l = {PGORM_BUF_INIT, 0, false};
    all_fks(j, &l);
    name64 jn = nm(j->name), tn = nm(to);
    if (count == 0)
        pgorm_sx_diag(&c->d, pos,
                      "@through(%s): %s has no ForeignKey to %s; its ForeignKeys are: %s (a join "
                      "model has one ForeignKey to each side)",
                      jn.s, jn.s, tn.s, l.count ? nl_str(&l) : "none");
    else
        pgorm_sx_diag(&c->d, pos,
                      "@through(%s): %s has %zu ForeignKeys to %s, so the join is ambiguous: "
                      "name the two fields, @through(%s, from_field, to_field), among: %s",
                      jn.s, jn.s, count, tn.s, jn.s, nl_str(&l));
    pgorm_buf_free(&l.b);
    return PGORM_NONE;
}

/* Does a @@id or @@unique of j cover exactly fields a and b? */
static bool pair_key(const pgorm_model *j, const char *a, const char *b)
{
    for (size_t i = 0; i < j->nblocks; i++) {
        const pgorm_block *k = &j->blocks[i];
        if ((k->kind != PGORM_BLOCK_ID && k->kind != PGORM_BLOCK_UNIQUE) || k->nfields != 2)
            continue;
        if ((strcmp(k->fields[0], a) == 0 && strcmp(k->fields[1], b) == 0) ||
            (strcmp(k->fields[0], b) == 0 && strcmp(k->fields[1], a) == 0))
            return true;
    }
    return false;
}

void pgorm_sx_validate_many_to_many(ctx *c, size_t mi, size_t fi)
{
    const pgorm_schema *s = c->s;
    const pgorm_model *m = &s->models[mi];
    pgorm_field *f = &s->models[mi].fields[fi];
    const pgorm_sx_field_aux *fa = &c->aux[mi].fields[fi];
    size_t ti = f->target;
    if (ti == PGORM_NONE || !f->through_model)
        return; /* unknown target, or no @through: reported already */
    const pgorm_model *t = &s->models[ti];
    size_t ji = find_model(s, f->through_model);
    if (ji == PGORM_NONE) {
        namelist l = {PGORM_BUF_INIT, 0, false};
        for (size_t i = 0; i < s->nmodels; i++)
            if (i != mi && i != ti)
                nl_add(&l, s->models[i].name);
        pgorm_sx_diag(&c->d, fa->through_pos[0],
                      "@through(%s): there is no model '%s' (write the join model, with a "
                      "ForeignKey[%s] and a ForeignKey[%s]; other models in this file: %s)",
                      nm(f->through_model).s, nm(f->through_model).s, nm(m->name).s,
                      nm(t->name).s, l.count ? nl_str(&l) : "none");
        pgorm_buf_free(&l.b);
        return;
    }
    if (ji == mi || ji == ti) {
        pgorm_sx_diag(&c->d, fa->through_pos[0],
                      "@through(%s): the join model must be a model of its own, not %s itself "
                      "(write a model with a ForeignKey[%s] and a ForeignKey[%s])",
                      nm(f->through_model).s, ji == mi ? "this model" : "the far side",
                      nm(m->name).s, nm(t->name).s);
        return;
    }
    if (unreliable(c, ji) || unreliable(c, ti))
        return;
    const pgorm_model *j = &s->models[ji];
    size_t from = PGORM_NONE, to = PGORM_NONE;
    if (f->through_from && f->through_to) {
        from = named_fk(c, f, j, f->through_from, fa->through_pos[1], m->name, "first (from)");
        to = named_fk(c, f, j, f->through_to, fa->through_pos[2], t->name, "second (to)");
        if (from != PGORM_NONE && from == to) {
            pgorm_sx_diag(&c->d, fa->through_pos[2],
                          "@through(%s, %s, %s) names one field twice: name the ForeignKey to "
                          "this row and the one to the related row",
                          nm(j->name).s, nm(f->through_from).s, nm(f->through_to).s);
            return;
        }
    } else if (mi == ti) {
        namelist l = {PGORM_BUF_INIT, 0, false};
        all_fks(j, &l);
        pgorm_sx_diag(&c->d, fa->through_pos[0],
                      "ManyToMany[%s] on %s itself: say which ForeignKey of %s points at this "
                      "row and which at the related one, @through(%s, from_field, to_field), "
                      "among: %s",
                      nm(t->name).s, nm(m->name).s, nm(j->name).s, nm(j->name).s,
                      l.count ? nl_str(&l) : "none");
        pgorm_buf_free(&l.b);
        return;
    } else {
        from = implied_fk(c, j, m->name, fa->through_pos[0]);
        to = implied_fk(c, j, t->name, fa->through_pos[0]);
    }
    if (from == PGORM_NONE || to == PGORM_NONE)
        return;
    const char *fn = j->fields[from].name, *tn = j->fields[to].name;
    if (!pair_key(j, fn, tn)) {
        pgorm_sx_diag(&c->d, fa->through_pos[0],
                      "@through(%s): %s must store each pair once: give it @@id(%s, %s) (or "
                      "@@unique(%s, %s))",
                      nm(j->name).s, nm(j->name).s, nm(fn).s, nm(tn).s, nm(fn).s, nm(tn).s);
        return;
    }
    f->through = ji;
    f->through_from_fk = from;
    f->through_to_fk = to;
}
