/* The schema language's parser: tokens to a pgorm_schema (syntax only; the
 * meaning is checked in validate.c).
 *
 * Error recovery: a syntax error in a field skips to the next line that
 * starts with a name or '@@' (or to the model's '}'), so one run reports
 * errors in many fields. A field with an error is kept but marked `bad`, and
 * a model whose tokens were skipped is marked `broken`, so validation does
 * not draw conclusions from what it cannot see (no "missing primary key"
 * because the @id was on a line we skipped).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/schema_int.h"

#define TYPE_LIST                                                                            \
    "bool, int2, int4, int8, serial, bigserial, float4, float8, numeric(p, s), text, "      \
    "varchar(n), bytea, uuid, date, timestamp, timestamptz, jsonb, ForeignKey[Model], "     \
    "BackReference[Model]"
#define ATTR_LIST "@id, @unique, @index, @default(value), @on_delete(action), @renamed_from(old_name)"
#define BLOCK_LIST                                                                           \
    "@@id(fields), @@unique(fields), @@index(fields), @@table(name), @@renamed_from(OldModel)"
#define ACTION_LIST "cascade, restrict, set_null, no_action"

const char *const pgorm_sx_attr_names[SX_A_COUNT] = {
    "id", "unique", "index", "default", "on_delete", "renamed_from",
};

static const struct {
    const char *name;
    pgorm_scalar scalar;
    int nparams;
} scalars[] = {
    {"bool", PGORM_S_BOOL, 0},           {"int2", PGORM_S_INT2, 0},
    {"int4", PGORM_S_INT4, 0},           {"int8", PGORM_S_INT8, 0},
    {"serial", PGORM_S_SERIAL, 0},       {"bigserial", PGORM_S_BIGSERIAL, 0},
    {"float4", PGORM_S_FLOAT4, 0},       {"float8", PGORM_S_FLOAT8, 0},
    {"numeric", PGORM_S_NUMERIC, 2},     {"text", PGORM_S_TEXT, 0},
    {"varchar", PGORM_S_VARCHAR, 1},     {"bytea", PGORM_S_BYTEA, 0},
    {"uuid", PGORM_S_UUID, 0},           {"date", PGORM_S_DATE, 0},
    {"timestamp", PGORM_S_TIMESTAMP, 0}, {"timestamptz", PGORM_S_TIMESTAMPTZ, 0},
    {"jsonb", PGORM_S_JSONB, 0},
};
#define NSCALARS (sizeof scalars / sizeof scalars[0])

static const char *const type_names[] = {
    "bool",  "int2",  "int4", "int8",      "serial",      "bigserial", "float4",
    "float8", "numeric", "text", "varchar", "bytea",      "uuid",      "date",
    "timestamp", "timestamptz", "jsonb", "ForeignKey", "BackReference",
};

enum { B_ID, B_UNIQUE, B_INDEX, B_TABLE, B_RENAMED_FROM, B_COUNT };
static const char *const block_names[B_COUNT] = {"id", "unique", "index", "table", "renamed_from"};

static const struct {
    const char *name;
    pgorm_on_delete action;
} actions[] = {
    {"cascade", PGORM_ON_DELETE_CASCADE},
    {"restrict", PGORM_ON_DELETE_RESTRICT},
    {"set_null", PGORM_ON_DELETE_SET_NULL},
    {"no_action", PGORM_ON_DELETE_NO_ACTION},
};

typedef struct pgorm_sx_tok tok;

typedef struct parser {
    pgorm_sx_ctx *c;
    const tok *t;
    size_t n, i;
    int err_line; /* line of the last error's token: recovery skips past it */
} parser;

/* "%.*s" arguments for a token's text, clipped for messages. */
#define TXT(k) (int)((k)->len > 64 ? 64 : (k)->len), (k)->text

/* ---- tokens ----------------------------------------------------------- */

static const tok *peek(const parser *p)
{
    return &p->t[p->i];
}

static const tok *peek_at(const parser *p, size_t ahead)
{
    size_t j = p->i + ahead;
    return &p->t[j < p->n ? j : p->n - 1];
}

static const tok *take(parser *p)
{
    const tok *k = &p->t[p->i];
    if (k->kind != SX_EOF)
        p->i++;
    return k;
}

static bool is_word(const tok *k, const char *w)
{
    size_t n = strlen(w);
    return k->kind == SX_IDENT && k->len == n && memcmp(k->text, w, n) == 0;
}

static bool stopped(const parser *p)
{
    return pgorm_sx_diags_full(&p->c->d);
}

/* 'model' Name '{' : the start of a model even where a field could be. */
static bool at_model_start(const parser *p)
{
    return is_word(peek(p), "model") && peek_at(p, 1)->kind == SX_IDENT &&
           peek_at(p, 2)->kind == SX_LBRACE;
}

static const char *describe(const tok *k, char *buf, size_t n)
{
    switch (k->kind) {
    case SX_EOF: return "the end of the file";
    case SX_STRING: return "a string";
    case SX_ERROR: return "an invalid token";
    case SX_INT:
    case SX_DECIMAL: snprintf(buf, n, "number %.*s", TXT(k)); return buf;
    default: snprintf(buf, n, "'%.*s'", TXT(k)); return buf;
    }
}

/* Report at token `at`, unless the lexer already did (SX_ERROR). */
static void err(parser *p, const tok *at, const char *fmt, ...) PGORM_SX_PRINTF(3, 4);
static void err(parser *p, const tok *at, const char *fmt, ...)
{
    p->err_line = at->pos.line;
    if (at->kind == SX_ERROR)
        return;
    char msg[sizeof ((pgorm_diag *)0)->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pgorm_sx_diag(&p->c->d, at->pos, "%s", msg);
}

static bool expect(parser *p, pgorm_sx_tok_kind kind, const char *what)
{
    if (peek(p)->kind == kind) {
        take(p);
        return true;
    }
    char b[96];
    err(p, peek(p), "expected %s, found %s", what, describe(peek(p), b, sizeof b));
    return false;
}

/* Skip to where a field, a block attribute or the model's end can start:
   a name or '@@' first on a line after the error's line, a '}' that closes
   the model, or the end. Returns whether the skipped tokens may have held a
   field or block attribute ('name type', '@@' or a brace): then the model's
   field list cannot be trusted to be complete. */
static bool recover(parser *p)
{
    bool lost = false;
    int depth = 0;
    for (;;) {
        const tok *k = peek(p);
        if (k->kind == SX_EOF)
            break;
        if (k->kind == SX_RBRACE && depth == 0)
            break;
        if (k->line_start && k->pos.line > p->err_line &&
            (k->kind == SX_ATAT || (k->kind == SX_IDENT && (depth == 0 || at_model_start(p)))))
            break;
        if (k->kind == SX_LBRACE)
            depth++;
        else if (k->kind == SX_RBRACE)
            depth--;
        if (k->kind == SX_ATAT || k->kind == SX_LBRACE || k->kind == SX_RBRACE ||
            (k->kind == SX_IDENT && peek_at(p, 1)->kind == SX_IDENT))
            lost = true;
        take(p);
    }
    return lost;
}

/* Skip a balanced (...) or [...] group at the current token, if any. */
static void skip_group(parser *p)
{
    pgorm_sx_tok_kind open = peek(p)->kind;
    if (open != SX_LPAREN && open != SX_LBRACKET)
        return;
    pgorm_sx_tok_kind close = open == SX_LPAREN ? SX_RPAREN : SX_RBRACKET;
    int depth = 0;
    for (;;) {
        const tok *k = peek(p);
        if (k->kind == SX_EOF || k->kind == SX_RBRACE || k->kind == SX_ATAT || at_model_start(p))
            return;
        take(p);
        if (k->kind == open)
            depth++;
        else if (k->kind == close && --depth == 0)
            return;
    }
}

static void skip_to_model(parser *p)
{
    while (peek(p)->kind != SX_EOF && !at_model_start(p) &&
           !(is_word(peek(p), "model") && peek(p)->line_start))
        take(p);
}

/* ---- building the structure -------------------------------------------- */

static char *tokdup(parser *p, const tok *k)
{
    const char *s = k->kind == SX_STRING ? k->str : k->text;
    size_t n = k->kind == SX_STRING ? strlen(k->str) : k->len;
    char *r = pgorm_sx_strndup(s, n);
    if (!r)
        p->c->d.oom = true;
    return r;
}

static bool add_model(parser *p, const tok *name)
{
    pgorm_sx_ctx *c = p->c;
    pgorm_schema *s = c->s;
    if (!pgorm_sx_grow((void **)&s->models, &c->models_cap, s->nmodels + 1, sizeof *s->models) ||
        !pgorm_sx_grow((void **)&c->aux, &c->aux_cap, s->nmodels + 1, sizeof *c->aux)) {
        c->d.oom = true;
        return false;
    }
    pgorm_model *m = &s->models[s->nmodels];
    memset(m, 0, sizeof *m);
    memset(&c->aux[s->nmodels], 0, sizeof *c->aux);
    s->nmodels++;
    m->pos = name->pos;
    m->name = tokdup(p, name);
    return m->name != NULL;
}

static bool add_field(parser *p, size_t mi, const tok *name)
{
    pgorm_sx_ctx *c = p->c;
    pgorm_model *m = &c->s->models[mi];
    pgorm_sx_model_aux *ma = &c->aux[mi];
    if (!pgorm_sx_grow((void **)&m->fields, &ma->fields_cap, m->nfields + 1, sizeof *m->fields) ||
        !pgorm_sx_grow((void **)&ma->fields, &ma->field_aux_cap, m->nfields + 1,
                       sizeof *ma->fields)) {
        c->d.oom = true;
        return false;
    }
    pgorm_field *f = &m->fields[m->nfields];
    memset(f, 0, sizeof *f);
    memset(&ma->fields[m->nfields], 0, sizeof *ma->fields);
    m->nfields++;
    f->kind = PGORM_FIELD_SCALAR;
    f->target = PGORM_NONE;
    f->target_fk = PGORM_NONE;
    f->pos = name->pos;
    f->name = tokdup(p, name);
    return f->name != NULL;
}

/* An integer token's value, saturated to +-1e9 (validation checks ranges). */
static int tok_int(const tok *k)
{
    long long v = 0;
    size_t i = 0;
    bool neg = k->len > 0 && k->text[0] == '-';
    if (neg)
        i = 1;
    for (; i < k->len; i++) {
        v = v * 10 + (k->text[i] - '0');
        if (v > 1000000000)
            v = 1000000000;
    }
    return (int)(neg ? -v : v);
}

/* ---- fields ------------------------------------------------------------ */

static bool parse_relation(parser *p, pgorm_field *f, pgorm_sx_field_aux *fa, bool fk)
{
    const char *tn = fk ? "ForeignKey" : "BackReference";
    char b[96];
    f->kind = fk ? PGORM_FIELD_FOREIGN_KEY : PGORM_FIELD_BACK_REFERENCE;
    if (peek(p)->kind != SX_LBRACKET) {
        err(p, peek(p), "expected '[' after %s, found %s (write %s[Model])", tn,
            describe(peek(p), b, sizeof b), tn);
        return false;
    }
    take(p);
    const tok *mt = peek(p);
    if (mt->kind != SX_IDENT) {
        err(p, mt, "expected a model name in %s[...], found %s", tn, describe(mt, b, sizeof b));
        return false;
    }
    take(p);
    fa->target_pos = mt->pos;
    if (!(f->target_model = tokdup(p, mt)))
        return false;
    if (peek(p)->kind == SX_DOT) {
        if (fk) {
            err(p, peek(p),
                "ForeignKey[%.*s] takes a model name only ('Model.field' is for BackReference)",
                TXT(mt));
            return false;
        }
        take(p);
        const tok *ft = peek(p);
        if (ft->kind != SX_IDENT) {
            err(p, ft, "expected a field name after 'BackReference[%.*s.', found %s", TXT(mt),
                describe(ft, b, sizeof b));
            return false;
        }
        take(p);
        fa->target_field_pos = ft->pos;
        if (!(f->target_field = tokdup(p, ft)))
            return false;
    }
    if (peek(p)->kind != SX_RBRACKET) {
        err(p, peek(p), "expected ']' to close %s[%.*s, found %s", tn, TXT(mt),
            describe(peek(p), b, sizeof b));
        return false;
    }
    take(p);
    return true;
}

static bool parse_params(parser *p, pgorm_field *f, pgorm_sx_field_aux *fa, const tok *ty,
                         int nparams)
{
    char b[96];
    bool numeric = nparams == 2;
    if (peek(p)->kind != SX_LPAREN) {
        err(p, ty,
            numeric ? "numeric needs a precision and a scale: write numeric(p, s), e.g. numeric(12, 2)"
                    : "varchar needs a length: write varchar(n), e.g. varchar(40)");
        return false;
    }
    take(p);
    for (int k = 0; k < nparams; k++) {
        if (k > 0 && !expect(p, SX_COMMA, "',' between the precision and scale of numeric(p, s)"))
            return false;
        const tok *v = peek(p);
        if (v->kind != SX_INT) {
            err(p, v, "expected an integer %s in %s, found %s",
                numeric ? (k == 0 ? "precision" : "scale") : "length",
                numeric ? "numeric(p, s)" : "varchar(n)", describe(v, b, sizeof b));
            return false;
        }
        take(p);
        fa->param_pos[k] = v->pos;
        if (k == 0)
            f->type.precision = tok_int(v);
        else
            f->type.scale = tok_int(v);
    }
    return expect(p, SX_RPAREN, numeric ? "')' to close numeric(p, s)" : "')' to close varchar(n)");
}

/* The type after a field's name. An unknown type marks the field bad but
   returns true: the '?' and attributes after it still parse. */
static bool parse_type(parser *p, size_t mi, size_t fi, const tok *name)
{
    pgorm_field *f = &p->c->s->models[mi].fields[fi];
    pgorm_sx_field_aux *fa = &p->c->aux[mi].fields[fi];
    const tok *ty = peek(p);
    char b[96];
    f->type_pos = ty->pos;
    if (ty->kind != SX_IDENT || (ty->line_start && ty->pos.line > name->pos.line)) {
        if (ty->kind == SX_IDENT || ty->kind == SX_AT || ty->kind == SX_ATAT ||
            ty->kind == SX_RBRACE || ty->kind == SX_EOF)
            err(p, name, "field '%.*s' has no type (write one after the name: %s)", TXT(name),
                TYPE_LIST);
        else
            err(p, ty, "expected a type after field '%.*s', found %s", TXT(name),
                describe(ty, b, sizeof b));
        return false;
    }
    take(p);
    if (is_word(ty, "ForeignKey") || is_word(ty, "BackReference"))
        return parse_relation(p, f, fa, is_word(ty, "ForeignKey"));
    for (size_t i = 0; i < NSCALARS; i++) {
        if (!is_word(ty, scalars[i].name))
            continue;
        f->type.scalar = scalars[i].scalar;
        if (scalars[i].nparams)
            return parse_params(p, f, fa, ty, scalars[i].nparams);
        if (peek(p)->kind == SX_LPAREN && !peek(p)->line_start) {
            err(p, peek(p), "type %s takes no parameters", scalars[i].name);
            return false;
        }
        return true;
    }
    char nm[72], dym[96];
    snprintf(nm, sizeof nm, "%.*s", TXT(ty));
    pgorm_sx_did_you_mean(dym, sizeof dym, "",
                          pgorm_sx_suggest(nm, type_names, sizeof type_names / sizeof *type_names));
    err(p, ty, "unknown type '%s' (expected one of: %s)%s", nm, TYPE_LIST, dym);
    fa->bad = true;
    if (!peek(p)->line_start)
        skip_group(p);
    return true;
}

static bool parse_default(parser *p, pgorm_default *def, pgorm_pos *arg_pos)
{
    char b[96];
    if (!expect(p, SX_LPAREN, "'(' after @default (write @default(value))"))
        return false;
    const tok *v = peek(p);
    *arg_pos = v->pos;
    switch (v->kind) {
    case SX_INT: def->kind = PGORM_DEFAULT_INT; break;
    case SX_DECIMAL: def->kind = PGORM_DEFAULT_DECIMAL; break;
    case SX_STRING: def->kind = PGORM_DEFAULT_STRING; break;
    default:
        if (is_word(v, "true") || is_word(v, "false")) {
            def->kind = PGORM_DEFAULT_BOOL;
        } else if (is_word(v, "now")) {
            def->kind = PGORM_DEFAULT_NOW;
        } else {
            err(p, v,
                "expected a default value: an integer, a decimal, a \"string\", true, false or "
                "now(), found %s",
                describe(v, b, sizeof b));
            return false;
        }
    }
    take(p);
    if (def->kind == PGORM_DEFAULT_NOW) {
        if (!expect(p, SX_LPAREN, "'(' after now (write @default(now()))") ||
            !expect(p, SX_RPAREN, "')' after now( (now takes no arguments)"))
            return false;
    } else if (!(def->text = tokdup(p, v))) {
        return false;
    }
    return expect(p, SX_RPAREN, "')' to close @default(...)");
}

static bool parse_attr(parser *p, size_t mi, size_t fi)
{
    pgorm_field *f = &p->c->s->models[mi].fields[fi];
    pgorm_sx_field_aux *fa = &p->c->aux[mi].fields[fi];
    char b[96];
    const tok *at = take(p); /* '@' */
    const tok *nm = peek(p);
    if (nm->kind != SX_IDENT) {
        err(p, nm, "expected an attribute name after '@', found %s (one of: %s)",
            describe(nm, b, sizeof b), ATTR_LIST);
        return false;
    }
    take(p);
    int a = -1;
    for (int i = 0; i < SX_A_COUNT; i++)
        if (is_word(nm, pgorm_sx_attr_names[i]))
            a = i;
    if (a < 0) {
        char name[72], dym[96];
        snprintf(name, sizeof name, "%.*s", TXT(nm));
        pgorm_sx_did_you_mean(dym, sizeof dym, "@",
                              pgorm_sx_suggest(name, pgorm_sx_attr_names, SX_A_COUNT));
        err(p, nm, "unknown attribute '@%s' (expected one of: %s)%s", name, ATTR_LIST, dym);
        fa->bad = true; /* it may have been meant as @id: don't judge the model's key */
        skip_group(p);
        return true;
    }
    const char *an = pgorm_sx_attr_names[a];
    bool dup = fa->attr_pos[a].line != 0;
    if (dup)
        err(p, at, "duplicate @%s on field '%s'", an, f->name);
    else
        fa->attr_pos[a] = at->pos;

    switch ((pgorm_sx_attr)a) {
    case SX_A_ID:
    case SX_A_UNIQUE:
    case SX_A_INDEX:
        if (a == SX_A_ID)
            f->is_id = true;
        else if (a == SX_A_UNIQUE)
            f->is_unique = true;
        else
            f->is_index = true;
        if (peek(p)->kind == SX_LPAREN) {
            err(p, peek(p), "@%s takes no arguments", an);
            skip_group(p);
        }
        return true;
    case SX_A_DEFAULT: {
        pgorm_default def = {PGORM_DEFAULT_NONE, NULL};
        pgorm_pos pos;
        bool ok = parse_default(p, &def, &pos);
        if (dup || !ok) {
            pgorm_free(def.text);
        } else {
            f->def = def;
            fa->arg_pos[a] = pos;
        }
        return ok;
    }
    case SX_A_ON_DELETE: {
        if (!expect(p, SX_LPAREN, "'(' after @on_delete (write @on_delete(cascade))"))
            return false;
        const tok *v = peek(p);
        size_t k = 0, na = sizeof actions / sizeof actions[0];
        while (k < na && !is_word(v, actions[k].name))
            k++;
        if (k == na) {
            err(p, v, "unknown @on_delete action %s (expected one of: %s)",
                describe(v, b, sizeof b), ACTION_LIST);
            return false;
        }
        take(p);
        if (!dup) {
            f->on_delete = actions[k].action;
            fa->arg_pos[a] = v->pos;
        }
        return expect(p, SX_RPAREN, "')' to close @on_delete(...)");
    }
    case SX_A_RENAMED_FROM: {
        if (!expect(p, SX_LPAREN, "'(' after @renamed_from (write @renamed_from(old_name))"))
            return false;
        const tok *v = peek(p);
        if (v->kind != SX_IDENT) {
            err(p, v, "expected the field's old name in @renamed_from(...), found %s",
                describe(v, b, sizeof b));
            return false;
        }
        take(p);
        if (!dup) {
            fa->arg_pos[a] = v->pos;
            if (!(f->renamed_from = tokdup(p, v)))
                return false;
        }
        return expect(p, SX_RPAREN, "')' to close @renamed_from(...)");
    }
    case SX_A_COUNT: break;
    }
    return true;
}

static void parse_field(parser *p, size_t mi)
{
    const tok *name = take(p);
    if (!add_field(p, mi, name))
        return;
    pgorm_model *m = &p->c->s->models[mi];
    size_t fi = m->nfields - 1;
    pgorm_sx_model_aux *ma = &p->c->aux[mi];
    bool ok = parse_type(p, mi, fi, name);
    if (ok && peek(p)->kind == SX_QUESTION) {
        ma->fields[fi].q_pos = peek(p)->pos;
        m->fields[fi].nullable = true;
        take(p);
    }
    while (ok && peek(p)->kind == SX_AT && !stopped(p))
        ok = parse_attr(p, mi, fi);
    if (!ok) {
        ma->fields[fi].bad = true;
        if (recover(p))
            ma->broken = true;
    }
    if (ma->fields[fi].bad)
        ma->any_bad = true;
}

/* ---- block attributes ---------------------------------------------------- */

static bool parse_field_list(parser *p, pgorm_block *bl, const char *bn)
{
    char b[96];
    size_t cap_names = 0, cap_pos = 0;
    for (;;) {
        const tok *k = peek(p);
        if (k->kind != SX_IDENT) {
            err(p, k, "expected a field name in @@%s(...), found %s", bn, describe(k, b, sizeof b));
            return false;
        }
        take(p);
        if (!pgorm_sx_grow((void **)&bl->fields, &cap_names, bl->nfields + 1, sizeof *bl->fields) ||
            !pgorm_sx_grow((void **)&bl->field_pos, &cap_pos, bl->nfields + 1,
                           sizeof *bl->field_pos)) {
            p->c->d.oom = true;
            return false;
        }
        bl->field_pos[bl->nfields] = k->pos;
        bl->fields[bl->nfields] = NULL;
        bl->nfields++;
        if (!(bl->fields[bl->nfields - 1] = tokdup(p, k)))
            return false;
        if (peek(p)->kind != SX_COMMA)
            break;
        take(p);
    }
    char what[64];
    snprintf(what, sizeof what, "')' to close @@%s(...)", bn);
    return expect(p, SX_RPAREN, what);
}

static bool parse_block_body(parser *p, size_t mi, const tok *at, int kind)
{
    pgorm_sx_ctx *c = p->c;
    pgorm_model *m = &c->s->models[mi];
    pgorm_sx_model_aux *ma = &c->aux[mi];
    const char *bn = block_names[kind];
    char b[96], what[64];
    snprintf(what, sizeof what, "'(' after @@%s", bn);
    if (!expect(p, SX_LPAREN, what))
        return false;
    if (kind == B_ID || kind == B_UNIQUE || kind == B_INDEX) {
        if (!pgorm_sx_grow((void **)&m->blocks, &ma->blocks_cap, m->nblocks + 1,
                           sizeof *m->blocks)) {
            c->d.oom = true;
            return false;
        }
        pgorm_block *bl = &m->blocks[m->nblocks++];
        memset(bl, 0, sizeof *bl);
        bl->kind = kind == B_ID ? PGORM_BLOCK_ID
                   : kind == B_UNIQUE ? PGORM_BLOCK_UNIQUE
                                      : PGORM_BLOCK_INDEX;
        bl->pos = at->pos;
        return parse_field_list(p, bl, bn);
    }
    const tok *v = peek(p);
    bool table = kind == B_TABLE;
    if (v->kind != SX_IDENT && !(table && v->kind == SX_STRING)) {
        err(p, v, table ? "expected a table name in @@table(...), found %s"
                        : "expected the model's old name in @@renamed_from(...), found %s",
            describe(v, b, sizeof b));
        return false;
    }
    take(p);
    pgorm_pos *seen = table ? &ma->table_attr : &ma->renamed_attr;
    if (seen->line) {
        err(p, at, "duplicate @@%s in model '%s'", bn, m->name);
    } else {
        *seen = at->pos;
        if (table)
            ma->table_arg = v->pos;
        char **dst = table ? &m->table : &m->renamed_from;
        if (!(*dst = tokdup(p, v)))
            return false;
    }
    snprintf(what, sizeof what, "')' to close @@%s(...)", bn);
    return expect(p, SX_RPAREN, what);
}

static void parse_block(parser *p, size_t mi)
{
    pgorm_sx_model_aux *ma = &p->c->aux[mi];
    char b[96];
    const tok *at = take(p); /* '@@' */
    const tok *nm = peek(p);
    if (nm->kind != SX_IDENT) {
        err(p, nm, "expected a block attribute after '@@', found %s (one of: %s)",
            describe(nm, b, sizeof b), BLOCK_LIST);
        ma->any_bad = true; /* it may have been meant as @@id */
        if (recover(p))
            ma->broken = true;
        return;
    }
    take(p);
    int kind = -1;
    for (int i = 0; i < B_COUNT; i++)
        if (is_word(nm, block_names[i]))
            kind = i;
    if (kind < 0) {
        char name[72], dym[96];
        snprintf(name, sizeof name, "%.*s", TXT(nm));
        pgorm_sx_did_you_mean(dym, sizeof dym, "@@", pgorm_sx_suggest(name, block_names, B_COUNT));
        err(p, nm, "unknown block attribute '@@%s' (expected one of: %s)%s", name,
            BLOCK_LIST, dym);
        ma->any_bad = true; /* it may have been meant as @@id */
        skip_group(p);
        return;
    }
    if (!parse_block_body(p, mi, at, kind) && recover(p))
        ma->broken = true;
}

/* ---- models ---------------------------------------------------------------- */

static void parse_model(parser *p)
{
    char b[96];
    take(p); /* 'model' */
    const tok *name = peek(p);
    if (name->kind != SX_IDENT) {
        err(p, name, "expected a model name after 'model', found %s", describe(name, b, sizeof b));
        skip_to_model(p);
        return;
    }
    take(p);
    if (!add_model(p, name))
        return;
    size_t mi = p->c->s->nmodels - 1;
    const tok *lb = peek(p);
    if (lb->kind != SX_LBRACE) {
        err(p, lb, "expected '{' after 'model %.*s', found %s", TXT(name), describe(lb, b, sizeof b));
        p->c->aux[mi].broken = true;
        skip_to_model(p);
        return;
    }
    take(p);
    p->c->aux[mi].brace_pos = lb->pos;
    while (!stopped(p)) {
        const tok *k = peek(p);
        if (k->kind == SX_RBRACE) {
            take(p);
            return;
        }
        if (k->kind == SX_EOF) {
            err(p, lb, "model '%.*s' is not closed: expected '}' before the end of the file",
                TXT(name));
            p->c->aux[mi].broken = true; /* a cut file: the rest of the model is missing */
            return;
        }
        if (at_model_start(p)) {
            err(p, lb, "model '%.*s' is not closed: expected '}' before the next model (line %d)",
                TXT(name), k->pos.line);
            return;
        }
        if (k->kind == SX_ATAT) {
            parse_block(p, mi);
        } else if (k->kind == SX_IDENT) {
            parse_field(p, mi);
        } else {
            err(p, k, "expected a field, '@@' or '}' in model '%.*s', found %s", TXT(name),
                describe(k, b, sizeof b));
            p->c->aux[mi].any_bad = true; /* what was meant here? maybe the @id */
            if (recover(p))
                p->c->aux[mi].broken = true;
        }
    }
}

void pgorm_sx_parse(pgorm_sx_ctx *c, const pgorm_sx_toks *t)
{
    if (t->n == 0)
        return;
    parser p = {c, t->items, t->n, 0, 0};
    char b[96];
    while (!stopped(&p)) {
        const tok *k = peek(&p);
        if (k->kind == SX_EOF)
            break;
        if (is_word(k, "model")) {
            parse_model(&p);
            continue;
        }
        if (k->kind == SX_RBRACE)
            err(&p, k, "unexpected '}': no model is open here");
        else
            err(&p, k, "expected 'model', found %s", describe(k, b, sizeof b));
        take(&p);
        skip_to_model(&p);
    }
}
