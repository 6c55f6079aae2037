/* Enums in the schema language: `enum Status { draft published archived }`
 * at file level (values separated by blanks, new lines or commas; a value
 * may carry @renamed_from(old)), their checks, and the resolution of fields
 * whose type names an enum.
 *
 * The parser cannot tell `status Status` from a misspelt scalar type, since
 * an enum may be declared after the model that uses it: field.c keeps any
 * unknown bare type name as a PGORM_S_ENUM candidate and validation here
 * resolves it, or reports it as an unknown type listing the file's enums.
 */
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/parser.h"
#include "schema/validate.h"

/* ---- parsing ------------------------------------------------------------ */

static pgorm_enum *add_enum(pgorm_sx_parser *p, const tok *name)
{
    pgorm_sx_ctx *c = p->c;
    pgorm_schema *s = c->s;
    if (!pgorm_sx_grow((void **)&s->enums, &c->enums_cap, s->nenums + 1, sizeof *s->enums)) {
        c->d.oom = true;
        return NULL;
    }
    pgorm_enum *e = &s->enums[s->nenums++];
    memset(e, 0, sizeof *e);
    e->pos = name->pos;
    if (!(e->name = pgorm_sx_tokdup(p, name)))
        return NULL;
    return e;
}

static pgorm_enum_value *add_value(pgorm_sx_parser *p, pgorm_enum *e, size_t *cap, const tok *v)
{
    if (!pgorm_sx_grow((void **)&e->values, cap, e->nvalues + 1, sizeof *e->values)) {
        p->c->d.oom = true;
        return NULL;
    }
    pgorm_enum_value *ev = &e->values[e->nvalues++];
    memset(ev, 0, sizeof *ev);
    ev->pos = v->pos;
    if (!(ev->name = pgorm_sx_tokdup(p, v)))
        return NULL;
    return ev;
}

/* '@' after a value: only @renamed_from(old). false: a syntax error,
   reported. */
static bool parse_value_attr(pgorm_sx_parser *p, pgorm_enum_value *ev)
{
    char b[96];
    const tok *at = take(p); /* '@' */
    const tok *nm = peek(p);
    if (!is_word(nm, "renamed_from")) {
        pgorm_sx_err(p, nm->kind == SX_IDENT ? nm : at,
                     "unknown attribute %s on enum value '%s' (the one there is: "
                     "@renamed_from(old_value))",
                     pgorm_sx_describe(nm, b, sizeof b), ev->name);
        if (nm->kind == SX_IDENT) {
            take(p);
            pgorm_sx_skip_group(p);
        }
        return true;
    }
    take(p);
    if (!pgorm_sx_expect(p, SX_LPAREN, "'(' after @renamed_from (write @renamed_from(old_value))"))
        return false;
    const tok *v = peek(p);
    if (v->kind != SX_IDENT) {
        pgorm_sx_err(p, v, "expected the value's old name in @renamed_from(...), found %s",
                     pgorm_sx_describe(v, b, sizeof b));
        return false;
    }
    take(p);
    if (ev->renamed_from)
        pgorm_sx_err(p, at, "duplicate @renamed_from on enum value '%s'", ev->name);
    else if (!(ev->renamed_from = pgorm_sx_tokdup(p, v)))
        return false;
    return pgorm_sx_expect(p, SX_RPAREN, "')' to close @renamed_from(...)");
}

/* Skip to the enum's '}' or to what starts the next block. */
static void skip_enum(pgorm_sx_parser *p)
{
    while (peek(p)->kind != SX_EOF && peek(p)->kind != SX_RBRACE &&
           !(peek(p)->line_start &&
             (at_model_start(p) || at_enum_start(p) || pgorm_sx_at_query_start(p))))
        take(p);
    if (peek(p)->kind == SX_RBRACE)
        take(p);
}

void pgorm_sx_parse_enum(pgorm_sx_parser *p)
{
    char b[96];
    take(p); /* 'enum' */
    const tok *name = peek(p);
    if (name->kind != SX_IDENT) {
        pgorm_sx_err(p, name, "expected an enum name after 'enum', found %s",
                     pgorm_sx_describe(name, b, sizeof b));
        skip_enum(p);
        return;
    }
    take(p);
    pgorm_enum *e = add_enum(p, name);
    if (!e)
        return;
    const tok *lb = peek(p);
    if (lb->kind != SX_LBRACE) {
        pgorm_sx_err(p, lb, "expected '{' after 'enum %.*s', found %s (write enum %.*s { a b c })",
                     TXT(name), pgorm_sx_describe(lb, b, sizeof b), TXT(name));
        skip_enum(p);
        return;
    }
    take(p);
    size_t cap = 0;
    pgorm_enum_value *last = NULL;
    while (!stopped(p)) {
        const tok *k = peek(p);
        if (k->kind == SX_RBRACE) {
            take(p);
            return;
        }
        if (k->kind == SX_EOF) {
            pgorm_sx_err(p, lb, "enum '%.*s' is not closed: expected '}' before the end of the file",
                         TXT(name));
            return;
        }
        if (k->line_start && (at_model_start(p) || at_enum_start(p) || pgorm_sx_at_query_start(p))) {
            pgorm_sx_err(p, lb,
                         "enum '%.*s' is not closed: expected '}' before the next %s (line %d)",
                         TXT(name),
                         at_model_start(p)  ? "model"
                         : at_enum_start(p) ? "enum"
                                            : "query",
                         k->pos.line);
            return;
        }
        if (k->kind == SX_IDENT) {
            take(p);
            if (!(last = add_value(p, e, &cap, k)))
                return;
        } else if (k->kind == SX_COMMA) {
            take(p);
        } else if (k->kind == SX_ATAT) {
            if (!pgorm_sx_parse_enum_schema(p, e)) {
                skip_enum(p);
                return;
            }
        } else if (k->kind == SX_AT && last) {
            if (!parse_value_attr(p, last)) {
                skip_enum(p);
                return;
            }
        } else {
            pgorm_sx_err(p, k,
                         "expected a value name, ',' or '}' in enum '%.*s', found %s (values are "
                         "names: enum %.*s { draft published })",
                         TXT(name), pgorm_sx_describe(k, b, sizeof b), TXT(name));
            take(p);
            pgorm_sx_skip_group(p);
        }
    }
}

/* ---- validation ----------------------------------------------------------- */

static void values_list(namelist *l, const pgorm_enum *e)
{
    for (size_t i = 0; i < e->nvalues; i++)
        nl_add(l, e->values[i].name);
}

static void check_enum(ctx *c, size_t ei)
{
    pgorm_schema *s = c->s;
    pgorm_enum *e = &s->enums[ei];
    if (!e->type && !(e->type = pgorm_snake_case(e->name))) {
        c->d.oom = true;
        return;
    }
    for (size_t j = 0; j < ei; j++)
        if (strcmp(s->enums[j].name, e->name) == 0) {
            pgorm_sx_diag(&c->d, e->pos, "duplicate enum '%s' (first defined at line %d)",
                          nm(e->name).s, s->enums[j].pos.line);
            return;
        }
    for (size_t j = 0; j < ei; j++)
        if (s->enums[j].type && strcmp(s->enums[j].type, e->type) == 0) {
            pgorm_sx_diag(&c->d, e->pos,
                          "enum '%s' maps to SQL type '%s', which enum '%s' (line %d) already "
                          "uses; rename one of them",
                          nm(e->name).s, nm(e->type).s, nm(s->enums[j].name).s,
                          s->enums[j].pos.line);
            break;
        }
    for (size_t mi = 0; mi < s->nmodels; mi++) {
        const pgorm_model *m = &s->models[mi];
        if (m->name && strcmp(m->name, e->name) == 0) {
            pgorm_sx_diag(&c->d, e->pos,
                          "enum '%s' has the name of model '%s' (line %d): a field of type '%s' "
                          "would be ambiguous; rename one of them",
                          nm(e->name).s, nm(m->name).s, m->pos.line, nm(e->name).s);
            break;
        }
        /* table names are filled by check_model_names, after this: use the
           snake_case the table will have unless @@table says otherwise */
        char *table = m->table ? NULL : pgorm_snake_case(m->name);
        const char *tn = m->table ? m->table : table;
        bool clash = tn && strcmp(tn, e->type) == 0;
        if (clash)
            pgorm_sx_diag(&c->d, e->pos,
                          "enum '%s' maps to SQL type '%s', the name of table '%s' of model '%s' "
                          "(line %d); PostgreSQL keeps types and tables in one namespace, so "
                          "rename one of them",
                          nm(e->name).s, nm(e->type).s, nm(tn).s, nm(m->name).s, m->pos.line);
        pgorm_free(table);
        if (clash)
            break;
    }
    if (strlen(e->type) > PGORM_SX_MAX_NAME)
        pgorm_sx_diag(&c->d, e->pos,
                      "enum type name '%s' is longer than %d bytes, PostgreSQL's limit for names",
                      nm(e->type).s, PGORM_SX_MAX_NAME);
    if (e->nvalues == 0)
        pgorm_sx_diag(&c->d, e->pos,
                      "enum '%s' has no values: list them between the braces, e.g. enum %s { "
                      "draft published }",
                      nm(e->name).s, nm(e->name).s);
    for (size_t i = 0; i < e->nvalues; i++) {
        const pgorm_enum_value *v = &e->values[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(e->values[j].name, v->name) == 0) {
                pgorm_sx_diag(&c->d, v->pos,
                              "duplicate value '%s' in enum '%s' (first at line %d, column %d)",
                              nm(v->name).s, nm(e->name).s, e->values[j].pos.line,
                              e->values[j].pos.col);
                break;
            }
        if (strlen(v->name) > PGORM_SX_MAX_NAME)
            pgorm_sx_diag(&c->d, v->pos,
                          "enum value '%s' is longer than %d bytes, PostgreSQL's limit for labels",
                          nm(v->name).s, PGORM_SX_MAX_NAME);
        if (!v->renamed_from)
            continue;
        for (size_t j = 0; j < e->nvalues; j++)
            if (strcmp(e->values[j].name, v->renamed_from) == 0) {
                pgorm_sx_diag(&c->d, v->pos,
                              "value '%s' of enum '%s' says @renamed_from(%s), but the enum "
                              "still has a value '%s' (line %d): remove one of them",
                              nm(v->name).s, nm(e->name).s, nm(v->renamed_from).s,
                              nm(v->renamed_from).s, e->values[j].pos.line);
                break;
            }
        for (size_t j = 0; j < i; j++)
            if (e->values[j].renamed_from && strcmp(e->values[j].renamed_from, v->renamed_from) == 0) {
                pgorm_sx_diag(&c->d, v->pos,
                              "values '%s' and '%s' of enum '%s' are both @renamed_from(%s)",
                              nm(e->values[j].name).s, nm(v->name).s, nm(e->name).s,
                              nm(v->renamed_from).s);
                break;
            }
    }
}

static size_t find_enum(const pgorm_schema *s, const char *name)
{
    for (size_t i = 0; i < s->nenums; i++)
        if (strcmp(s->enums[i].name, name) == 0)
            return i;
    return PGORM_NONE;
}

void pgorm_sx_validate_enums(pgorm_sx_ctx *c)
{
    pgorm_schema *s = c->s;
    for (size_t ei = 0; ei < s->nenums && !c->d.oom; ei++)
        check_enum(c, ei);
    for (size_t mi = 0; mi < s->nmodels && !c->d.oom; mi++) {
        pgorm_model *m = &s->models[mi];
        for (size_t fi = 0; fi < m->nfields; fi++) {
            pgorm_field *f = &m->fields[fi];
            pgorm_sx_field_aux *fa = &c->aux[mi].fields[fi];
            if (f->kind != PGORM_FIELD_SCALAR || f->type.scalar != PGORM_S_ENUM || !f->enum_name ||
                fa->bad)
                continue;
            f->enum_index = find_enum(s, f->enum_name);
            if (f->enum_index != PGORM_NONE)
                continue;
            pgorm_sx_unknown_type(c, f->type_pos, f->enum_name);
            fa->bad = true;
            c->aux[mi].any_bad = true;
        }
    }
}

void pgorm_sx_check_enum_default(pgorm_sx_ctx *c, const pgorm_field *f, pgorm_pos pos,
                                 const char *val)
{
    const pgorm_schema *s = c->s;
    if (f->enum_index >= s->nenums)
        return;
    const pgorm_enum *e = &s->enums[f->enum_index];
    namelist l = {PGORM_BUF_INIT, 0, false};
    values_list(&l, e);
    if (f->def.kind != PGORM_DEFAULT_ENUM) {
        pgorm_sx_diag(&c->d, pos,
                      "@default(%s) does not fit enum '%s': expected one of its values, written "
                      "as a name (%s), e.g. @default(%s)",
                      val, nm(e->name).s, nl_str(&l), e->nvalues ? nm(e->values[0].name).s : "x");
    } else {
        bool found = false;
        for (size_t i = 0; i < e->nvalues && !found; i++)
            found = strcmp(e->values[i].name, f->def.text) == 0;
        if (!found) {
            const char **names = pgorm_calloc(e->nvalues + 1, sizeof *names);
            for (size_t i = 0; names && i < e->nvalues; i++)
                names[i] = e->values[i].name;
            char dym[96];
            pgorm_sx_did_you_mean(dym, sizeof dym, "",
                                  names ? pgorm_sx_suggest(f->def.text, names, e->nvalues) : NULL);
            pgorm_sx_diag(&c->d, pos, "@default(%s) is not a value of enum '%s' (its values: %s)%s",
                          val, nm(e->name).s, nl_str(&l), dym);
            pgorm_free(names);
        }
    }
    if (l.b.oom)
        c->d.oom = true;
    pgorm_buf_free(&l.b);
}
