/* SQL schemas (PostgreSQL namespaces) in the schema language:
 *
 *   schema app              -- at the top level: the default of the file
 *   model Book { ... @@schema(billing) }
 *
 * A model's table lives in its @@schema, else in the file's default, else in
 * `public`. An enum takes @@schema(name) among its values, else the file's
 * default. A name is a name of the
 * language (letters, digits, '_', not starting with a digit), at most 63
 * bytes, and not one PostgreSQL reserves (pg_*, information_schema).
 */
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/parser.h"
#include "schema/validate.h"

#define SCHEMA_SYNTAX "write `schema app` at the top of the file, or @@schema(app) in a model"

bool pgorm_sx_same_schema(const char *a, const char *b)
{
    if (!a || !*a)
        a = "public";
    if (!b || !*b)
        b = "public";
    return strcmp(a, b) == 0;
}

/* The schema name at the current token, or NULL (reported). */
static const tok *schema_name(pgorm_sx_parser *p, const char *where)
{
    char b[96];
    const tok *v = peek(p);
    if (v->kind != SX_IDENT) {
        pgorm_sx_err(p, v,
                     "expected a schema name in %s, found %s (a name such as app or billing; %s)",
                     where, pgorm_sx_describe(v, b, sizeof b), SCHEMA_SYNTAX);
        return NULL;
    }
    return take(p);
}

void pgorm_sx_parse_schema_decl(pgorm_sx_parser *p)
{
    pgorm_schema *s = p->c->s;
    const tok *kw = take(p); /* 'schema' */
    if (peek(p)->line_start || peek(p)->kind == SX_EOF) {
        pgorm_sx_err(p, kw,
                     "expected a schema name in `schema name` on the same line, found %s (a name "
                     "such as app; %s)",
                     peek(p)->kind == SX_EOF ? "the end of the file" : "the end of the line",
                     SCHEMA_SYNTAX);
        return;
    }
    const tok *v = schema_name(p, "`schema name`");
    if (!v) {
        while (peek(p)->kind != SX_EOF && !peek(p)->line_start)
            take(p);
        return;
    }
    if (s->default_schema) {
        pgorm_sx_err(p, kw,
                     "duplicate `schema` declaration (the file's default schema is already "
                     "'%s', line %d): write it once; give single models @@schema(name)",
                     s->default_schema, s->default_schema_pos.line);
        return;
    }
    s->default_schema_pos = v->pos;
    s->default_schema = pgorm_sx_tokdup(p, v);
}

bool pgorm_sx_parse_schema_attr(pgorm_sx_parser *p, size_t mi, const tok *at)
{
    pgorm_sx_ctx *c = p->c;
    pgorm_model *m = &c->s->models[mi];
    pgorm_sx_model_aux *ma = &c->aux[mi];
    const tok *v = schema_name(p, "@@schema(...)");
    if (!v)
        return false;
    if (ma->schema_attr.line) {
        pgorm_sx_err(p, at, "duplicate @@schema in model '%s' (first at line %d): a table is in "
                            "one schema",
                     m->name, ma->schema_attr.line);
    } else {
        ma->schema_attr = at->pos;
        ma->schema_arg = v->pos;
        if (!(m->schema = pgorm_sx_tokdup(p, v)))
            return false;
    }
    return pgorm_sx_expect(p, SX_RPAREN, "')' to close @@schema(...)");
}

static bool check_name(pgorm_sx_ctx *c, pgorm_pos pos, const char *name);

bool pgorm_sx_parse_enum_schema(pgorm_sx_parser *p, pgorm_enum *e)
{
    char b[96];
    const tok *at = take(p); /* '@@' */
    const tok *kw = peek(p);
    if (!is_word(kw, "schema")) {
        pgorm_sx_err(p, kw, "expected @@schema(name) in enum '%s', found %s (the only block "
                            "attribute of an enum)",
                     e->name, pgorm_sx_describe(kw, b, sizeof b));
        return false;
    }
    take(p);
    if (!pgorm_sx_expect(p, SX_LPAREN, "'(' after @@schema"))
        return false;
    const tok *v = schema_name(p, "@@schema(...)");
    if (!v)
        return false;
    if (e->schema) {
        pgorm_sx_err(p, at, "duplicate @@schema in enum '%s': a type is in one schema", e->name);
    } else {
        if (!(e->schema = pgorm_sx_tokdup(p, v)))
            return false;
        check_name(p->c, v->pos, e->schema);
    }
    return pgorm_sx_expect(p, SX_RPAREN, "')' to close @@schema(...)");
}

/* Whether name is a schema pgorm may create and use; else reports it. */
static bool check_name(pgorm_sx_ctx *c, pgorm_pos pos, const char *name)
{
    if (strlen(name) > PGORM_SX_MAX_NAME) {
        pgorm_sx_diag(&c->d, pos,
                      "schema name '%s' is longer than %d bytes, PostgreSQL's limit for names",
                      nm(name).s, PGORM_SX_MAX_NAME);
        return false;
    }
    if (strncmp(name, "pg_", 3) == 0 || strcmp(name, "information_schema") == 0) {
        pgorm_sx_diag(&c->d, pos,
                      "schema name '%s' is reserved by PostgreSQL (names starting with pg_ and "
                      "information_schema): choose another, such as app",
                      nm(name).s);
        return false;
    }
    return true;
}

void pgorm_sx_validate_schemas(pgorm_sx_ctx *c)
{
    pgorm_schema *s = c->s;
    const char *def = s->default_schema;
    if (def && !check_name(c, s->default_schema_pos, def))
        def = NULL;
    for (size_t mi = 0; mi < s->nmodels && !c->d.oom; mi++) {
        pgorm_model *m = &s->models[mi];
        if (m->schema) {
            check_name(c, c->aux[mi].schema_arg, m->schema);
        } else if (def && !(m->schema = pgorm_strdup(def))) {
            c->d.oom = true;
        }
    }
    for (size_t i = 0; def && i < s->nenums && !c->d.oom; i++)
        if (!s->enums[i].schema && !(s->enums[i].schema = pgorm_strdup(def)))
            c->d.oom = true;
    for (size_t mi = 0; mi < s->nmodels && !c->d.oom; mi++) {
        pgorm_model *m = &s->models[mi];
        for (size_t fi = 0; fi < m->nfields; fi++) {
            pgorm_field *f = &m->fields[fi];
            const pgorm_enum *e = f->type.scalar == PGORM_S_ENUM ? pgorm_field_enum(s, f) : NULL;
            if (e && e->schema && !f->enum_schema && !(f->enum_schema = pgorm_strdup(e->schema)))
                c->d.oom = true;
        }
    }
}
