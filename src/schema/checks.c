/* CHECK constraints of the schema language: @check("expr") on a field and
 * @@check(name, "expr") on a model, both kept in pgorm_model.checks.
 *
 * The expression is SQL that pgorm does not parse: the server judges it
 * (migrate make creates every check on a scratch table first, so a bad
 * expression is reported before any file is written). Here: a field-level
 * check gets PostgreSQL's own name for a column check, <table>_<column>_check
 * (names.c), and names must be unique within the model and fit in 63 bytes.
 */
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/names.h"
#include "schema/validate.h"

bool pgorm_sx_blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

bool pgorm_sx_add_check(pgorm_sx_ctx *c, size_t mi, const pgorm_check *ck)
{
    pgorm_model *m = &c->s->models[mi];
    if (!pgorm_sx_grow((void **)&m->checks, &c->aux[mi].checks_cap, m->nchecks + 1,
                       sizeof *m->checks))
        return false;
    m->checks[m->nchecks++] = *ck;
    return true;
}

const pgorm_field *pgorm_sx_field_named(const pgorm_model *m, const char *name)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].name && strcmp(m->fields[i].name, name) == 0)
            return &m->fields[i];
    return NULL;
}

static void check_model(ctx *c, size_t mi)
{
    pgorm_model *m = &c->s->models[mi];
    for (size_t i = 0; i < m->nchecks && !c->d.oom; i++) {
        pgorm_check *ck = &m->checks[i];
        if (ck->field && !ck->name) {
            const pgorm_field *f = pgorm_sx_field_named(m, ck->field);
            /* A BackReference has no column: validate.c already said @check
               is not allowed there. */
            if (!f || f->kind == PGORM_FIELD_BACK_REFERENCE || !m->table)
                continue;
            const char *col = f->column ? f->column : f->name;
            char name[PGORM_NAME_SIZE];
            pgorm_constraint_name(name, m->table, &col, 1, "check");
            if (!(ck->name = pgorm_sx_strndup(name, strlen(name)))) {
                c->d.oom = true;
                return;
            }
        }
        if (!ck->name)
            continue;
        if (strlen(ck->name) > PGORM_SX_MAX_NAME) {
            pgorm_sx_diag(&c->d, ck->pos,
                          "check name '%s' is longer than %d bytes, PostgreSQL's limit for names",
                          nm(ck->name).s, PGORM_SX_MAX_NAME);
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            const pgorm_check *o = &m->checks[j];
            if (!o->name || strcmp(o->name, ck->name) != 0)
                continue;
            if (ck->field && o->field && strcmp(ck->field, o->field) == 0)
                break; /* the same field twice: reported as a duplicate @check */
            pgorm_sx_diag(&c->d, ck->pos,
                          "duplicate check name '%s' in model '%s' (first at line %d%s%s%s); "
                          "give this one another name%s",
                          nm(ck->name).s, nm(m->name).s, o->pos.line,
                          o->field ? ", the @check of field '" : "",
                          o->field ? nm(o->field).s : "", o->field ? "'" : "",
                          ck->field ? " (or write it as @@check(name, \"expr\"))" : "");
            break;
        }
    }
}

void pgorm_sx_validate_checks(pgorm_sx_ctx *c)
{
    for (size_t mi = 0; mi < c->s->nmodels && !c->d.oom; mi++)
        check_model(c, mi);
}
