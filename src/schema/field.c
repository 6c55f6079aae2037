/* The parser's field half: a field's name, type ('?') and attributes.
 *
 * An unknown type or attribute marks the field `bad` but parsing goes on
 * with what follows, so one run reports every such mistake; any other error
 * in a field ends it there (parser.c recovers at the next line).
 */
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/parser.h"

#define TYPE_LIST                                                                       \
    "bool, int2, int4, int8, serial, bigserial, float4, float8, numeric, numeric(p, s), " \
    "text, varchar(n), char(n), citext, bytea, uuid, date, time, timetz, timestamp, "     \
    "timestamptz, interval, inet, cidr, json, jsonb, ForeignKey[Model], "                 \
    "BackReference[Model], ManyToMany[Model]"
#define ATTR_LIST                                                                        \
    "@id, @unique, @index, @index(false), @default(value), @on_delete(action), "          \
    "@on_update(action), @renamed_from(old_name), @check(\"expr\"), @through(JoinModel)"
#define ACTION_LIST "cascade, restrict, set_null, no_action"

const char *const pgorm_sx_attr_names[SX_A_COUNT] = {
    "id",    "unique",  "index",    "default", "on_delete", "renamed_from",
    "check", "through", "on_update",
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
    /* numeric's (p, s) is optional (parse_params); char(n)'s n is not */
    {"time", PGORM_S_TIME, 0},           {"timetz", PGORM_S_TIMETZ, 0},
    {"interval", PGORM_S_INTERVAL, 0},   {"inet", PGORM_S_INET, 0},
    {"cidr", PGORM_S_CIDR, 0},           {"json", PGORM_S_JSON, 0},
    {"char", PGORM_S_CHAR, 1},           {"citext", PGORM_S_CITEXT, 0},
};
#define NSCALARS (sizeof scalars / sizeof scalars[0])

static const char *const type_names[] = {
    "bool",      "int2",        "int4",  "int8",       "serial",        "bigserial", "float4",
    "float8",    "numeric",     "text",  "varchar",    "bytea",         "uuid",      "date",
    "timestamp", "timestamptz", "jsonb", "ForeignKey", "BackReference", "ManyToMany",
    "time",      "timetz",      "interval", "inet",    "cidr",          "json",      "char",
    "citext",
};

static const struct {
    const char *name;
    pgorm_on_delete action;
} actions[] = {
    {"cascade", PGORM_ON_DELETE_CASCADE},
    {"restrict", PGORM_ON_DELETE_RESTRICT},
    {"set_null", PGORM_ON_DELETE_SET_NULL},
    {"no_action", PGORM_ON_DELETE_NO_ACTION},
};

static bool add_field(pgorm_sx_parser *p, size_t mi, const tok *name)
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
    f->through = PGORM_NONE;
    f->through_from_fk = PGORM_NONE;
    f->through_to_fk = PGORM_NONE;
    f->pos = name->pos;
    f->name = pgorm_sx_tokdup(p, name);
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

static bool parse_relation(pgorm_sx_parser *p, pgorm_field *f, pgorm_sx_field_aux *fa,
                           pgorm_field_kind kind)
{
    bool fk = kind != PGORM_FIELD_BACK_REFERENCE; /* takes a model name only */
    const char *tn = kind == PGORM_FIELD_FOREIGN_KEY  ? "ForeignKey"
                     : kind == PGORM_FIELD_MANY_TO_MANY ? "ManyToMany"
                                                        : "BackReference";
    char b[96];
    f->kind = kind;
    if (peek(p)->kind != SX_LBRACKET) {
        pgorm_sx_err(p, peek(p), "expected '[' after %s, found %s (write %s[Model])", tn,
                     pgorm_sx_describe(peek(p), b, sizeof b), tn);
        return false;
    }
    take(p);
    const tok *mt = peek(p);
    if (mt->kind != SX_IDENT) {
        pgorm_sx_err(p, mt, "expected a model name in %s[...], found %s", tn,
                     pgorm_sx_describe(mt, b, sizeof b));
        return false;
    }
    take(p);
    fa->target_pos = mt->pos;
    if (!(f->target_model = pgorm_sx_tokdup(p, mt)))
        return false;
    if (peek(p)->kind == SX_DOT) {
        if (fk) {
            pgorm_sx_err(
                p, peek(p),
                "%s[%.*s] takes a model name only ('Model.field' is for BackReference)", tn,
                TXT(mt));
            return false;
        }
        take(p);
        const tok *ft = peek(p);
        if (ft->kind != SX_IDENT) {
            pgorm_sx_err(p, ft, "expected a field name after 'BackReference[%.*s.', found %s",
                         TXT(mt), pgorm_sx_describe(ft, b, sizeof b));
            return false;
        }
        take(p);
        fa->target_field_pos = ft->pos;
        if (!(f->target_field = pgorm_sx_tokdup(p, ft)))
            return false;
    }
    if (peek(p)->kind != SX_RBRACKET) {
        pgorm_sx_err(p, peek(p), "expected ']' to close %s[%.*s, found %s", tn, TXT(mt),
                     pgorm_sx_describe(peek(p), b, sizeof b));
        return false;
    }
    take(p);
    return true;
}

static bool parse_params(pgorm_sx_parser *p, pgorm_field *f, pgorm_sx_field_aux *fa, const tok *ty,
                         int nparams)
{
    char b[96];
    bool numeric = nparams == 2;
    /* the length types: varchar(n), char(n) */
    const char *ln = f->type.scalar == PGORM_S_CHAR ? "char" : "varchar";
    if (peek(p)->kind != SX_LPAREN) {
        if (numeric)
            pgorm_sx_err(p, ty,
                         "numeric needs a precision and a scale: write numeric(p, s), e.g. "
                         "numeric(12, 2)");
        else
            pgorm_sx_err(p, ty, "%s needs a length: write %s(n), e.g. %s(%s)", ln, ln, ln,
                         f->type.scalar == PGORM_S_CHAR ? "2" : "40");
        return false;
    }
    take(p);
    for (int k = 0; k < nparams; k++) {
        if (k > 0 &&
            !pgorm_sx_expect(p, SX_COMMA, "',' between the precision and scale of numeric(p, s)"))
            return false;
        const tok *v = peek(p);
        if (v->kind != SX_INT) {
            char form[16];
            snprintf(form, sizeof form, "%s(n)", ln);
            pgorm_sx_err(p, v, "expected an integer %s in %s, found %s",
                         numeric ? (k == 0 ? "precision" : "scale") : "length",
                         numeric ? "numeric(p, s)" : form, pgorm_sx_describe(v, b, sizeof b));
            return false;
        }
        take(p);
        fa->param_pos[k] = v->pos;
        if (k == 0)
            f->type.precision = tok_int(v);
        else
            f->type.scale = tok_int(v);
    }
    char close[32];
    snprintf(close, sizeof close, "')' to close %s", numeric ? "numeric(p, s)" : ln);
    if (!numeric)
        strcat(close, "(n)");
    return pgorm_sx_expect(p, SX_RPAREN, close);
}

/* `[]` after a type: a one-dimensional array of it. Nothing when no '['
   follows on the same line. */
static bool parse_array_suffix(pgorm_sx_parser *p, pgorm_coltype *t, const tok *ty)
{
    char b[96];
    if (peek(p)->kind != SX_LBRACKET || peek(p)->line_start)
        return true;
    const tok *lb = take(p);
    if (peek(p)->kind != SX_RBRACKET) {
        pgorm_sx_err(p, peek(p),
                     "expected ']' after '%.*s[', found %s (an array type is written %.*s[], "
                     "without a size)",
                     TXT(ty), pgorm_sx_describe(peek(p), b, sizeof b), TXT(ty));
        return false;
    }
    take(p);
    if (peek(p)->kind == SX_LBRACKET && !peek(p)->line_start) {
        pgorm_sx_err(p, peek(p),
                     "multi-dimensional arrays are not supported: write %.*s[] (one dimension)",
                     TXT(ty));
        return false;
    }
    if (t->scalar == PGORM_S_SERIAL || t->scalar == PGORM_S_BIGSERIAL) {
        pgorm_sx_err(p, lb, "%s[] is not a type (a sequence belongs to one column): write %s[]",
                     t->scalar == PGORM_S_SERIAL ? "serial" : "bigserial",
                     t->scalar == PGORM_S_SERIAL ? "int4" : "int8");
        return false;
    }
    t->array = true;
    return true;
}

/* The type after a field's name. An unknown type marks the field bad but
   returns true: the '?' and attributes after it still parse. */
static bool parse_type(pgorm_sx_parser *p, size_t mi, size_t fi, const tok *name)
{
    pgorm_field *f = &p->c->s->models[mi].fields[fi];
    pgorm_sx_field_aux *fa = &p->c->aux[mi].fields[fi];
    const tok *ty = peek(p);
    char b[96];
    f->type_pos = ty->pos;
    if (ty->kind != SX_IDENT || (ty->line_start && ty->pos.line > name->pos.line)) {
        if (ty->kind == SX_IDENT || ty->kind == SX_AT || ty->kind == SX_ATAT ||
            ty->kind == SX_RBRACE || ty->kind == SX_EOF)
            pgorm_sx_err(p, name, "field '%.*s' has no type (write one after the name: %s)",
                         TXT(name), TYPE_LIST);
        else
            pgorm_sx_err(p, ty, "expected a type after field '%.*s', found %s", TXT(name),
                         pgorm_sx_describe(ty, b, sizeof b));
        return false;
    }
    take(p);
    if (is_word(ty, "ForeignKey") || is_word(ty, "BackReference") || is_word(ty, "ManyToMany")) {
        pgorm_field_kind kind = is_word(ty, "ForeignKey")      ? PGORM_FIELD_FOREIGN_KEY
                                : is_word(ty, "BackReference") ? PGORM_FIELD_BACK_REFERENCE
                                                               : PGORM_FIELD_MANY_TO_MANY;
        if (!parse_relation(p, f, fa, kind))
            return false;
        if (peek(p)->kind == SX_LBRACKET && !peek(p)->line_start) {
            pgorm_sx_err(p, peek(p),
                         "%.*s[%s] cannot be an array ('[]' goes after a scalar type: text[], "
                         "int4[], uuid[]...)",
                         TXT(ty), f->target_model);
            return false;
        }
        return true;
    }
    for (size_t i = 0; i < NSCALARS; i++) {
        if (!is_word(ty, scalars[i].name))
            continue;
        f->type.scalar = scalars[i].scalar;
        /* numeric without (p, s): any precision and scale */
        if (scalars[i].scalar == PGORM_S_NUMERIC &&
            (peek(p)->kind != SX_LPAREN || peek(p)->line_start))
            return parse_array_suffix(p, &f->type, ty);
        if (scalars[i].nparams) {
            if (!parse_params(p, f, fa, ty, scalars[i].nparams))
                return false;
            return parse_array_suffix(p, &f->type, ty);
        }
        if (peek(p)->kind == SX_LPAREN && !peek(p)->line_start) {
            pgorm_sx_err(p, peek(p), "type %s takes no parameters", scalars[i].name);
            return false;
        }
        return parse_array_suffix(p, &f->type, ty);
    }
    pgorm_sx_tok_kind nk = peek(p)->kind;
    bool arr = nk == SX_LBRACKET && peek_at(p, 1)->kind == SX_RBRACKET;
    if (peek(p)->line_start || (nk != SX_LPAREN && (nk != SX_LBRACKET || arr))) {
        /* A name of an enum, declared anywhere in the file: resolved (or
           reported as an unknown type) by validation, which sees them all.
           `Status[]` is kept as an array for validation to refuse. */
        f->type.scalar = PGORM_S_ENUM;
        f->enum_index = PGORM_NONE;
        if (!(f->enum_name = pgorm_sx_tokdup(p, ty)))
            return false;
        return nk != SX_LBRACKET || peek(p)->line_start || parse_array_suffix(p, &f->type, ty);
    }
    char nm[72], dym[96];
    snprintf(nm, sizeof nm, "%.*s", TXT(ty));
    pgorm_sx_did_you_mean(dym, sizeof dym, "",
                          pgorm_sx_suggest(nm, type_names, sizeof type_names / sizeof *type_names));
    pgorm_sx_err(p, ty, "unknown type '%s' (expected one of: %s)%s", nm, TYPE_LIST, dym);
    fa->bad = true;
    if (!peek(p)->line_start)
        pgorm_sx_skip_group(p);
    return true;
}

void pgorm_sx_unknown_type(pgorm_sx_ctx *c, pgorm_pos pos, const char *name)
{
    const pgorm_schema *s = c->s;
    size_t nt = sizeof type_names / sizeof *type_names;
    const char **cands = pgorm_calloc(nt + s->nenums + 1, sizeof *cands);
    pgorm_buf enums = PGORM_BUF_INIT;
    size_t nc = 0;
    for (size_t i = 0; cands && i < nt; i++)
        cands[nc++] = type_names[i];
    for (size_t i = 0; i < s->nenums; i++) {
        if (cands)
            cands[nc++] = s->enums[i].name;
        if (enums.len < 160)
            pgorm_buf_printf(&enums, "%s%s", enums.len ? ", " : "", s->enums[i].name);
        else if (i + 1 == s->nenums || enums.data[enums.len - 1] != '.')
            pgorm_buf_puts(&enums, ", ...");
    }
    char dym[96];
    pgorm_sx_did_you_mean(dym, sizeof dym, "", cands ? pgorm_sx_suggest(name, cands, nc) : NULL);
    pgorm_sx_diag(&c->d, pos, "unknown type '%.64s' (expected one of: %s%s%s)%s", name, TYPE_LIST,
                  s->nenums ? ", or an enum of the file: " : "",
                  s->nenums && enums.data ? enums.data : "", dym);
    if (!cands || enums.oom)
        c->d.oom = true;
    pgorm_free(cands);
    pgorm_buf_free(&enums);
}

/* A function call or SQL value function after @default( : the known ones
   (defaults.c), or sql("any expression"). The identifier is taken. */
static bool parse_default_expr(pgorm_sx_parser *p, pgorm_default *def, const tok *v)
{
    char b[96];
    if (is_word(v, "sql")) {
        if (!pgorm_sx_expect(p, SX_LPAREN, "'(' after sql (write @default(sql(\"expression\")))"))
            return false;
        const tok *e = peek(p);
        if (e->kind != SX_STRING) {
            pgorm_sx_err(p, e,
                         "sql(...) in @default takes the SQL expression as a \"string\", found %s "
                         "(write @default(sql(\"lower('x')\")))",
                         pgorm_sx_describe(e, b, sizeof b));
            return false;
        }
        if (pgorm_sx_blank(e->str)) {
            pgorm_sx_err(p, e,
                         "sql(\"\") in @default is empty: write an SQL expression, e.g. "
                         "@default(sql(\"lower('x')\"))");
            return false;
        }
        take(p);
        def->kind = PGORM_DEFAULT_SQL;
        if (!(def->text = pgorm_sx_tokdup(p, e)))
            return false;
        return pgorm_sx_expect(p, SX_RPAREN, "')' to close sql(...)");
    }
    const pgorm_sx_default_fn *fn = pgorm_sx_default_fn_find(v->text, v->len);
    if (!fn) {
        char name[72], dym[96];
        snprintf(name, sizeof name, "%.*s", TXT(v));
        pgorm_sx_did_you_mean(dym, sizeof dym, "",
                              pgorm_sx_suggest(name, pgorm_sx_default_fn_names,
                                               pgorm_sx_ndefault_fns));
        pgorm_sx_err(p, v,
                     "unknown function '%s' in @default (known: %s; write any other SQL "
                     "expression as @default(sql(\"%s(...)\")))%s",
                     name, PGORM_SX_DEFAULT_FN_LIST, name, dym);
        return false;
    }
    bool parens = peek(p)->kind == SX_LPAREN;
    if (fn->parens && !parens) {
        pgorm_sx_err(p, peek(p), "expected '()' after %s (write @default(%s()))", fn->name,
                     fn->name);
        return false;
    }
    if (parens && !fn->parens) {
        pgorm_sx_err(p, peek(p), "%s takes no parentheses (write @default(%s))", fn->name,
                     fn->name);
        return false;
    }
    if (parens) {
        char what[96];
        take(p);
        snprintf(what, sizeof what, "')' after %s( (%s takes no arguments)", fn->name, fn->name);
        if (!pgorm_sx_expect(p, SX_RPAREN, what))
            return false;
    }
    def->kind = PGORM_DEFAULT_SQL;
    size_t n = strlen(fn->name);
    if (!(def->text = pgorm_malloc(n + 3))) {
        p->c->d.oom = true;
        return false;
    }
    snprintf(def->text, n + 3, "%s%s", fn->name, fn->parens ? "()" : "");
    return true;
}

static bool parse_default(pgorm_sx_parser *p, pgorm_default *def, pgorm_pos *arg_pos)
{
    char b[96];
    if (!pgorm_sx_expect(p, SX_LPAREN, "'(' after @default (write @default(value))"))
        return false;
    const tok *v = peek(p);
    *arg_pos = v->pos;
    switch (v->kind) {
    case SX_INT: def->kind = PGORM_DEFAULT_INT; break;
    case SX_DECIMAL: def->kind = PGORM_DEFAULT_DECIMAL; break;
    case SX_STRING: def->kind = PGORM_DEFAULT_STRING; break;
    case SX_IDENT:
        if (is_word(v, "true") || is_word(v, "false")) {
            def->kind = PGORM_DEFAULT_BOOL;
        } else if (is_word(v, "now")) {
            def->kind = PGORM_DEFAULT_NOW;
        } else if (peek_at(p, 1)->kind != SX_LPAREN && !is_word(v, "sql") &&
                   !pgorm_sx_default_fn_find(v->text, v->len)) {
            def->kind = PGORM_DEFAULT_ENUM; /* a value of the field's enum */
        } else {
            take(p);
            if (!parse_default_expr(p, def, v))
                return false;
            return pgorm_sx_expect(p, SX_RPAREN, "')' to close @default(...)");
        }
        break;
    default:
        pgorm_sx_err(p, v,
                     "expected a default value: an integer, a decimal, a \"string\", true, false, "
                     "a function (%s) or sql(\"expression\"), found %s",
                     PGORM_SX_DEFAULT_FN_LIST, pgorm_sx_describe(v, b, sizeof b));
        return false;
    }
    take(p);
    if (def->kind == PGORM_DEFAULT_NOW) {
        if (!pgorm_sx_expect(p, SX_LPAREN, "'(' after now (write @default(now()))") ||
            !pgorm_sx_expect(p, SX_RPAREN, "')' after now( (now takes no arguments)"))
            return false;
    } else if (!(def->text = pgorm_sx_tokdup(p, v))) {
        return false;
    }
    return pgorm_sx_expect(p, SX_RPAREN, "')' to close @default(...)");
}

/* @index(false): no default index on a ForeignKey's column (validation
   checks that the field is one); @index(true) is @index. The '(' is the
   current token; anything else in it is reported at the '(' and skipped
   like any unexpected argument group. */
static bool parse_index_arg(pgorm_sx_parser *p, pgorm_field *f, pgorm_sx_field_aux *fa, bool dup)
{
    const tok *lp = peek(p), *v = peek_at(p, 1);
    if ((!is_word(v, "false") && !is_word(v, "true")) || v->line_start) {
        pgorm_sx_err(p, lp,
                     "@index takes no arguments but false (write @index, or @index(false) on "
                     "a ForeignKey field to leave out the index pgorm gives its column)");
        pgorm_sx_skip_group(p);
        return true;
    }
    take(p);
    take(p);
    if (!dup) {
        fa->arg_pos[SX_A_INDEX] = v->pos;
        if (is_word(v, "false"))
            f->no_index = true;
        else
            f->is_index = true;
    }
    return pgorm_sx_expect(p, SX_RPAREN, "')' to close @index(...)");
}

static bool parse_attr(pgorm_sx_parser *p, size_t mi, size_t fi)
{
    pgorm_field *f = &p->c->s->models[mi].fields[fi];
    pgorm_sx_field_aux *fa = &p->c->aux[mi].fields[fi];
    char b[96];
    const tok *at = take(p); /* '@' */
    const tok *nm = peek(p);
    if (nm->kind != SX_IDENT) {
        pgorm_sx_err(p, nm, "expected an attribute name after '@', found %s (one of: %s)",
                     pgorm_sx_describe(nm, b, sizeof b), ATTR_LIST);
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
        pgorm_sx_err(p, nm, "unknown attribute '@%s' (expected one of: %s)%s", name, ATTR_LIST,
                     dym);
        fa->bad = true; /* it may have been meant as @id: don't judge the model's key */
        pgorm_sx_skip_group(p);
        return true;
    }
    const char *an = pgorm_sx_attr_names[a];
    bool dup = fa->attr_pos[a].line != 0;
    if (dup)
        pgorm_sx_err(p, at, "duplicate @%s on field '%s'", an, f->name);
    else
        fa->attr_pos[a] = at->pos;

    switch ((pgorm_sx_attr)a) {
    case SX_A_INDEX:
        if (peek(p)->kind == SX_LPAREN)
            return parse_index_arg(p, f, fa, dup);
        f->is_index = true;
        return true;
    case SX_A_ID:
    case SX_A_UNIQUE:
        if (a == SX_A_ID)
            f->is_id = true;
        else
            f->is_unique = true;
        if (peek(p)->kind == SX_LPAREN) {
            pgorm_sx_err(p, peek(p), "@%s takes no arguments", an);
            pgorm_sx_skip_group(p);
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
    case SX_A_ON_DELETE:
    case SX_A_ON_UPDATE: {
        char what[80];
        snprintf(what, sizeof what, "'(' after @%s (write @%s(cascade))", an, an);
        if (!pgorm_sx_expect(p, SX_LPAREN, what))
            return false;
        const tok *v = peek(p);
        size_t k = 0, na = sizeof actions / sizeof actions[0];
        while (k < na && !is_word(v, actions[k].name))
            k++;
        if (k == na) {
            pgorm_sx_err(p, v, "unknown @%s action %s (expected one of: %s)", an,
                         pgorm_sx_describe(v, b, sizeof b), ACTION_LIST);
            return false;
        }
        take(p);
        if (!dup) {
            if (a == SX_A_ON_DELETE)
                f->on_delete = actions[k].action;
            else
                f->on_update = actions[k].action;
            fa->arg_pos[a] = v->pos;
        }
        snprintf(what, sizeof what, "')' to close @%s(...)", an);
        return pgorm_sx_expect(p, SX_RPAREN, what);
    }
    case SX_A_RENAMED_FROM: {
        if (!pgorm_sx_expect(p, SX_LPAREN,
                             "'(' after @renamed_from (write @renamed_from(old_name))"))
            return false;
        const tok *v = peek(p);
        if (v->kind != SX_IDENT) {
            pgorm_sx_err(p, v, "expected the field's old name in @renamed_from(...), found %s",
                         pgorm_sx_describe(v, b, sizeof b));
            return false;
        }
        take(p);
        if (!dup) {
            fa->arg_pos[a] = v->pos;
            if (!(f->renamed_from = pgorm_sx_tokdup(p, v)))
                return false;
        }
        return pgorm_sx_expect(p, SX_RPAREN, "')' to close @renamed_from(...)");
    }
    case SX_A_CHECK: {
        if (!pgorm_sx_expect(p, SX_LPAREN, "'(' after @check (write @check(\"pages > 0\"))"))
            return false;
        pgorm_check ck = {.pos = at->pos};
        if (!pgorm_sx_parse_check_expr(p, &ck, "@check"))
            return false;
        if (!dup) {
            fa->arg_pos[a] = ck.expr_pos;
            if (!(ck.field = pgorm_sx_strndup(f->name, strlen(f->name))) ||
                !pgorm_sx_add_check(p->c, mi, &ck)) {
                pgorm_free(ck.expr);
                pgorm_free(ck.field);
                p->c->d.oom = true;
                return false;
            }
        } else {
            pgorm_free(ck.expr);
        }
        return pgorm_sx_expect(p, SX_RPAREN, "')' to close @check(...)");
    }
    case SX_A_THROUGH: {
        /* @through(J) or @through(J, from, to) */
        if (!pgorm_sx_expect(p, SX_LPAREN,
                             "'(' after @through (write @through(JoinModel) or "
                             "@through(JoinModel, from_field, to_field))"))
            return false;
        char *names[3] = {NULL, NULL, NULL};
        pgorm_pos pos[3] = {{0, 0}, {0, 0}, {0, 0}};
        static const char *const what[3] = {
            "the join model's name", "the join model's ForeignKey field to this model",
            "the join model's ForeignKey field to the far side"};
        int n = 0;
        bool ok = true;
        for (; n < 3 && ok; n++) {
            const tok *v = peek(p);
            if (v->kind != SX_IDENT) {
                pgorm_sx_err(p, v, "expected %s in @through(...), found %s", what[n],
                             pgorm_sx_describe(v, b, sizeof b));
                ok = false;
                break;
            }
            take(p);
            pos[n] = v->pos;
            if (!(names[n] = pgorm_sx_tokdup(p, v)))
                ok = false;
            if (!ok || peek(p)->kind != SX_COMMA)
                break;
            if (n == 2) {
                pgorm_sx_err(p, peek(p),
                             "@through takes a join model and optionally its two ForeignKey "
                             "fields: @through(JoinModel, from_field, to_field)");
                ok = false;
                break;
            }
            take(p);
        }
        if (ok && n == 1) {
            /* @through(J, from): both fields or neither */
            pgorm_sx_err(p, peek(p),
                         "@through(%s, %s) names one field: name both ForeignKey fields of %s, "
                         "@through(%s, from_field, to_field), or neither",
                         names[0], names[1], names[0], names[0]);
            ok = false;
        }
        ok = ok && pgorm_sx_expect(p, SX_RPAREN, "')' to close @through(...)");
        if (ok && !dup) {
            f->through_model = names[0];
            f->through_from = names[1];
            f->through_to = names[2];
            for (int k = 0; k < 3; k++)
                fa->through_pos[k] = pos[k];
            fa->arg_pos[a] = pos[0];
        } else {
            for (int k = 0; k < 3; k++)
                pgorm_free(names[k]);
        }
        return ok;
    }
    case SX_A_COUNT: break;
    }
    return true;
}

void pgorm_sx_parse_field(pgorm_sx_parser *p, size_t mi)
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
        if (pgorm_sx_recover(p))
            ma->broken = true;
    }
    if (ma->fields[fi].bad)
        ma->any_bad = true;
}

/* ---- types of query parameters and columns ------------------------------ */

#define QTYPE_LIST                                                                        \
    "bool, int2, int4, int8, float4, float8, numeric, text, varchar, char, citext, bytea, " \
    "uuid, date, time, timetz, timestamp, timestamptz, interval, inet, cidr, json, jsonb"

int pgorm_sx_parse_qtype(pgorm_sx_parser *p, pgorm_coltype *out, const char *what)
{
    const tok *ty = peek(p);
    char b[96];
    if (ty->kind != SX_IDENT) {
        pgorm_sx_err(p, ty, "expected a type for %s, found %s (one of: %s)", what,
                     pgorm_sx_describe(ty, b, sizeof b), QTYPE_LIST);
        return -1;
    }
    take(p);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < NSCALARS; i++) {
        if (!is_word(ty, scalars[i].name))
            continue;
        if (scalars[i].scalar == PGORM_S_SERIAL || scalars[i].scalar == PGORM_S_BIGSERIAL) {
            pgorm_sx_err(p, ty,
                         "%s cannot be %s: a sequence belongs to a table's column; write %s",
                         what, scalars[i].name,
                         scalars[i].scalar == PGORM_S_SERIAL ? "int4" : "int8");
            return -1;
        }
        out->scalar = scalars[i].scalar;
        if (peek(p)->kind == SX_LBRACKET) {
            pgorm_sx_err(p, peek(p),
                         "%s cannot be an array: arrays are for model fields only; write a "
                         "scalar type (%s)",
                         what, QTYPE_LIST);
            return -1;
        }
        if (peek(p)->kind != SX_LPAREN)
            return 1;
        if (!scalars[i].nparams) {
            pgorm_sx_err(p, peek(p), "type %s takes no parameters", scalars[i].name);
            return -1;
        }
        pgorm_field f;
        pgorm_sx_field_aux fa;
        memset(&f, 0, sizeof f);
        memset(&fa, 0, sizeof fa);
        f.type.scalar = out->scalar;
        if (!parse_params(p, &f, &fa, ty, scalars[i].nparams))
            return -1;
        out->precision = f.type.precision;
        out->scale = f.type.scale;
        return 1;
    }
    char nm[72], dym[96];
    snprintf(nm, sizeof nm, "%.*s", TXT(ty));
    pgorm_sx_did_you_mean(dym, sizeof dym, "",
                          pgorm_sx_suggest(nm, type_names, sizeof type_names / sizeof *type_names));
    pgorm_sx_err(p, ty, "unknown type '%s' for %s (expected one of: %s)%s", nm, what, QTYPE_LIST,
                 dym);
    if (!peek(p)->line_start)
        pgorm_sx_skip_group(p);
    return 0;
}
