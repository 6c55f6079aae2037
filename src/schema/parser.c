/* The schema language's parser: tokens to a pgorm_schema (syntax only; the
 * meaning is checked in validate.c). This file: models, block attributes and
 * error recovery; field.c: one field's type and attributes.
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
#include "schema/parser.h"

#define BLOCK_LIST                                                                            \
    "@@id(fields), @@unique(fields), @@index(fields), @@table(name), @@renamed_from(OldModel), " \
    "@@check(name, \"expr\"), @@foreign_key([fields], references: Model([fields])), " \
    "@@schema(name)"

enum { B_ID, B_UNIQUE, B_INDEX, B_TABLE, B_RENAMED_FROM, B_CHECK, B_FOREIGN_KEY, B_SCHEMA, B_COUNT };
static const char *const block_names[B_COUNT] = {"id",     "unique",       "index",
                                                 "table",  "renamed_from", "check",
                                                 "foreign_key", "schema"};

const char *pgorm_sx_describe(const tok *k, char *buf, size_t n)
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

void pgorm_sx_err(pgorm_sx_parser *p, const tok *at, const char *fmt, ...)
{
    p->err_line = at->pos.line;
    if (at->kind == SX_ERROR)
        return;
    char msg[sizeof((pgorm_diag *)0)->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pgorm_sx_diag(&p->c->d, at->pos, "%s", msg);
}

bool pgorm_sx_expect(pgorm_sx_parser *p, pgorm_sx_tok_kind kind, const char *what)
{
    if (peek(p)->kind == kind) {
        take(p);
        return true;
    }
    char b[96];
    pgorm_sx_err(p, peek(p), "expected %s, found %s", what,
                 pgorm_sx_describe(peek(p), b, sizeof b));
    return false;
}

/* Skip to where a field, a block attribute or the model's end can start:
   a name or '@@' first on a line after the error's line, a '}' that closes
   the model, or the end. Returns whether the skipped tokens may have held a
   field or block attribute ('name type', '@@' or a brace): then the model's
   field list cannot be trusted to be complete. */
bool pgorm_sx_recover(pgorm_sx_parser *p)
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
            (k->kind == SX_ATAT ||
             (k->kind == SX_IDENT &&
              (depth == 0 || at_model_start(p) || pgorm_sx_at_query_start(p)))))
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

void pgorm_sx_skip_group(pgorm_sx_parser *p)
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
        /* an unclosed group: stop at what looks like the next field */
        if (depth > 0 && k->line_start && k->kind == SX_IDENT && peek_at(p, 1)->kind == SX_IDENT)
            return;
        take(p);
        if (k->kind == open)
            depth++;
        else if (k->kind == close && --depth == 0)
            return;
    }
}

bool pgorm_sx_at_query_start(const pgorm_sx_parser *p)
{
    pgorm_sx_tok_kind k3 = peek_at(p, 3)->kind;
    return is_word(peek(p), "query") && peek_at(p, 1)->kind == SX_IDENT &&
           peek_at(p, 2)->kind == SX_LPAREN && (k3 == SX_IDENT || k3 == SX_RPAREN);
}

static void skip_to_model(pgorm_sx_parser *p)
{
    while (peek(p)->kind != SX_EOF && !at_model_start(p) && !pgorm_sx_at_query_start(p) &&
           !at_enum_start(p) &&
           !((is_word(peek(p), "model") || is_word(peek(p), "query") ||
              is_word(peek(p), "enum") || is_word(peek(p), "schema")) &&
             peek(p)->line_start))
        take(p);
}

/* ---- building the structure -------------------------------------------- */

char *pgorm_sx_tokdup(pgorm_sx_parser *p, const tok *k)
{
    const char *s = k->kind == SX_STRING ? k->str : k->text;
    size_t n = k->kind == SX_STRING ? strlen(k->str) : k->len;
    char *r = pgorm_sx_strndup(s, n);
    if (!r)
        p->c->d.oom = true;
    return r;
}

static bool add_model(pgorm_sx_parser *p, const tok *name)
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
    m->name = pgorm_sx_tokdup(p, name);
    return m->name != NULL;
}

/* ---- block attributes ---------------------------------------------------- */

/* The access methods `type:` takes; btree is the default. */
static const char *const index_methods[] = {"btree", "hash", "gin", "gist", "brin", "spgist"};
#define METHOD_LIST "btree, hash, gin, gist, brin, spgist"
#define NMETHODS (sizeof index_methods / sizeof index_methods[0])

/* A word naming expression `e` in a derived index name: its identifiers
   outside string literals, lowercased and joined by '_' ("lower(title)"
   gives "lower_title"), or "expr" when it has none. New string. */
static char *expr_word(const char *e)
{
    size_t n = strlen(e), k = 0;
    char *w = pgorm_malloc(n + 6);
    if (!w)
        return NULL;
    bool in_str = false, sep = false;
    for (const char *q = e; *q && k < 40; q++) {
        char ch = *q;
        if (ch == '\'') {
            in_str = !in_str;
            sep = true;
            continue;
        }
        bool word = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_';
        if (in_str || !word) {
            sep = true;
            continue;
        }
        if (sep && k)
            w[k++] = '_';
        sep = false;
        w[k++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    if (!k)
        memcpy(w, "expr", (k = 4));
    w[k] = '\0';
    return w;
}

static bool grow_elems(pgorm_sx_parser *p, pgorm_block *bl, size_t *cap_names, size_t *cap_pos,
                       size_t *cap_exprs, size_t *cap_desc)
{
    size_t need = bl->nfields + 1;
    if (!pgorm_sx_grow((void **)&bl->fields, cap_names, need, sizeof *bl->fields) ||
        !pgorm_sx_grow((void **)&bl->field_pos, cap_pos, need, sizeof *bl->field_pos) ||
        (bl->exprs && !pgorm_sx_grow((void **)&bl->exprs, cap_exprs, need, sizeof *bl->exprs)) ||
        (bl->desc && !pgorm_sx_grow((void **)&bl->desc, cap_desc, need, sizeof *bl->desc))) {
        p->c->d.oom = true;
        return false;
    }
    bl->fields[bl->nfields] = NULL;
    if (bl->exprs)
        bl->exprs[bl->nfields] = NULL;
    if (bl->desc)
        bl->desc[bl->nfields] = false;
    return true;
}

/* Make the optional per-element array *arr (exprs or desc) exist, zeroed
   for the elements so far. */
static bool elem_array(pgorm_sx_parser *p, void **arr, size_t *cap, size_t n, size_t elem)
{
    if (*arr)
        return true;
    if (!pgorm_sx_grow(arr, cap, n + 1, elem)) {
        p->c->d.oom = true;
        return false;
    }
    memset(*arr, 0, (n + 1) * elem);
    return true;
}

/* sql("expression") as an element of @@index, after 'sql'. */
static bool parse_elem_expr(pgorm_sx_parser *p, pgorm_block *bl, const char *bn, char **expr)
{
    char b[96], what[96];
    snprintf(what, sizeof what, "'(' after sql (write @@%s(sql(\"lower(title)\")))", bn);
    if (!pgorm_sx_expect(p, SX_LPAREN, what))
        return false;
    const tok *e = peek(p);
    if (e->kind != SX_STRING) {
        pgorm_sx_err(p, e,
                     "sql(...) in @@%s takes the SQL expression as a \"string\", found %s "
                     "(write @@%s(sql(\"lower(title)\")))",
                     bn, pgorm_sx_describe(e, b, sizeof b), bn);
        return false;
    }
    if (pgorm_sx_blank(e->str)) {
        pgorm_sx_err(p, e,
                     "sql(\"\") in @@%s is empty: write an SQL expression over the model's "
                     "columns, e.g. sql(\"lower(title)\")",
                     bn);
        return false;
    }
    take(p);
    if (!(*expr = pgorm_sx_tokdup(p, e)))
        return false;
    (void)bl;
    if (pgorm_sx_expect(p, SX_RPAREN, "')' to close sql(...)"))
        return true;
    pgorm_free(*expr);
    *expr = NULL;
    return false;
}

/* A named argument of @@index / @@unique: `where: "predicate"` or
   `type: method`; the name is the current token, ':' follows it. */
static bool parse_named_arg(pgorm_sx_parser *p, pgorm_block *bl, const char *bn)
{
    char b[96];
    const tok *nm = take(p);
    take(p); /* ':' */
    bool index = bl->kind == PGORM_BLOCK_INDEX;
    if (is_word(nm, "where") && bl->kind != PGORM_BLOCK_ID) {
        const tok *v = peek(p);
        if (v->kind != SX_STRING) {
            pgorm_sx_err(p, v,
                         "where: in @@%s takes the predicate of a partial index as a \"string\", "
                         "found %s (write where: \"pages > 100\")",
                         bn, pgorm_sx_describe(v, b, sizeof b));
            return false;
        }
        if (pgorm_sx_blank(v->str)) {
            pgorm_sx_err(p, v,
                         "where: in @@%s is empty: write an SQL boolean expression over the "
                         "model's columns, e.g. where: \"pages > 100\"",
                         bn);
            return false;
        }
        take(p);
        if (bl->where) {
            pgorm_sx_err(p, nm, "where: is written twice in this @@%s", bn);
            return true;
        }
        bl->where_pos = v->pos;
        return (bl->where = pgorm_sx_tokdup(p, v)) != NULL;
    }
    if (is_word(nm, "type") && index) {
        const tok *v = peek(p);
        size_t k = 0;
        while (v->kind == SX_IDENT && k < NMETHODS && !is_word(v, index_methods[k]))
            k++;
        if (v->kind != SX_IDENT || k == NMETHODS) {
            char name[72], dym[96] = "";
            snprintf(name, sizeof name, "%.*s", TXT(v));
            if (v->kind == SX_IDENT)
                pgorm_sx_did_you_mean(dym, sizeof dym, "",
                                      pgorm_sx_suggest(name, index_methods, NMETHODS));
            pgorm_sx_err(p, v, "unknown index type %s in @@index (expected one of: %s)%s",
                         pgorm_sx_describe(v, b, sizeof b), METHOD_LIST, dym);
            return false;
        }
        take(p);
        if (bl->method_pos.line) {
            pgorm_sx_err(p, nm, "type: is written twice in this @@index");
            return true;
        }
        bl->method_pos = v->pos;
        if (k == 0)
            return true; /* btree: the default */
        return (bl->method = pgorm_sx_tokdup(p, v)) != NULL;
    }
    char name[72];
    snprintf(name, sizeof name, "%.*s", TXT(nm));
    pgorm_sx_err(p, nm, "unknown argument '%s:' in @@%s (%s)", name, bn,
                 index                          ? "expected where: \"predicate\" or type: method"
                 : bl->kind == PGORM_BLOCK_UNIQUE ? "expected where: \"predicate\""
                                                : "@@id takes field names only");
    pgorm_sx_skip_group(p);
    if (peek(p)->kind != SX_COMMA && peek(p)->kind != SX_RPAREN)
        take(p);
    return true;
}

/* The elements of @@id / @@unique / @@index after '(': fields (or, in
   @@index, sql("expression")), each optionally followed by asc or desc in
   @@index, then named arguments (where:, type:). */
static bool parse_field_list(pgorm_sx_parser *p, pgorm_block *bl, const char *bn)
{
    char b[96];
    size_t cap_names = 0, cap_pos = 0, cap_exprs = 0, cap_desc = 0;
    bool index = bl->kind == PGORM_BLOCK_INDEX;
    bool named = false;
    for (;;) {
        const tok *k = peek(p);
        if (k->kind == SX_IDENT && peek_at(p, 1)->kind == SX_COLON) {
            if (!bl->nfields) {
                pgorm_sx_err(p, k, "@@%s needs its fields before %.*s: (write @@%s(title, %.*s: ...))",
                             bn, TXT(k), bn, TXT(k));
                return false;
            }
            named = true;
            if (!parse_named_arg(p, bl, bn))
                return false;
        } else if (named) {
            pgorm_sx_err(p, k,
                         "expected a named argument (where: or type:) after the named arguments "
                         "of @@%s, found %s: the fields come first",
                         bn, pgorm_sx_describe(k, b, sizeof b));
            return false;
        } else if (k->kind == SX_IDENT && is_word(k, "sql") && peek_at(p, 1)->kind == SX_LPAREN) {
            if (!index) {
                pgorm_sx_err(p, k,
                             "@@%s takes field names; an expression, sql(\"...\"), is for "
                             "@@index only",
                             bn);
                return false;
            }
            take(p);
            char *expr = NULL;
            if (!elem_array(p, (void **)&bl->exprs, &cap_exprs, bl->nfields, sizeof *bl->exprs) ||
                !grow_elems(p, bl, &cap_names, &cap_pos, &cap_exprs, &cap_desc) ||
                !parse_elem_expr(p, bl, bn, &expr))
                return false;
            bl->field_pos[bl->nfields] = k->pos;
            bl->exprs[bl->nfields] = expr;
            bl->nfields++;
            if (!(bl->fields[bl->nfields - 1] = expr_word(expr))) {
                p->c->d.oom = true;
                return false;
            }
        } else if (k->kind == SX_IDENT) {
            take(p);
            if (!grow_elems(p, bl, &cap_names, &cap_pos, &cap_exprs, &cap_desc))
                return false;
            bl->field_pos[bl->nfields] = k->pos;
            bl->nfields++;
            if (!(bl->fields[bl->nfields - 1] = pgorm_sx_tokdup(p, k)))
                return false;
        } else {
            pgorm_sx_err(p, k, "expected a field name in @@%s(...), found %s", bn,
                         pgorm_sx_describe(k, b, sizeof b));
            return false;
        }
        /* asc / desc after an element */
        const tok *o = peek(p);
        if (!named && (is_word(o, "desc") || is_word(o, "asc"))) {
            if (!index) {
                pgorm_sx_err(p, o,
                             "@@%s takes no sort order ('%.*s'): asc and desc are for @@index",
                             bn, TXT(o));
                return false;
            }
            take(p);
            if (is_word(o, "desc")) {
                if (!elem_array(p, (void **)&bl->desc, &cap_desc, bl->nfields, sizeof *bl->desc))
                    return false;
                bl->desc[bl->nfields - 1] = true;
            }
        } else if (index && o->kind == SX_IDENT && !o->line_start &&
                   peek_at(p, 1)->kind != SX_COLON) {
            pgorm_sx_err(p, o,
                         "expected ',', ')', asc or desc after '%s' in @@index, found %s",
                         bl->fields[bl->nfields - 1], pgorm_sx_describe(o, b, sizeof b));
            return false;
        }
        if (peek(p)->kind != SX_COMMA)
            break;
        take(p);
    }
    char what[64];
    snprintf(what, sizeof what, "')' to close @@%s(...)", bn);
    return pgorm_sx_expect(p, SX_RPAREN, what);
}

bool pgorm_sx_parse_check_expr(pgorm_sx_parser *p, pgorm_check *ck, const char *attr)
{
    char b[96];
    const tok *v = peek(p);
    if (v->kind != SX_STRING) {
        pgorm_sx_err(p, v,
                     "the expression of %s must be a \"string\" holding an SQL boolean "
                     "expression, found %s (write %s)",
                     attr, pgorm_sx_describe(v, b, sizeof b),
                     strcmp(attr, "@check") == 0 ? "@check(\"pages > 0\")"
                                                 : "@@check(name, \"pages > 0\")");
        return false;
    }
    if (pgorm_sx_blank(v->str)) {
        pgorm_sx_err(p, v,
                     "the expression of %s is empty: write an SQL boolean expression, e.g. "
                     "\"pages > 0\"",
                     attr);
        return false;
    }
    take(p);
    ck->expr_pos = v->pos;
    return (ck->expr = pgorm_sx_tokdup(p, v)) != NULL;
}

/* @@check(name, "expr") after its '(' */
static bool parse_check_block(pgorm_sx_parser *p, size_t mi, const tok *at)
{
    char b[96];
    const tok *v = peek(p);
    if (v->kind != SX_IDENT) {
        pgorm_sx_err(p, v,
                     "@@check needs a name first, found %s (write @@check(name, \"expr\"), e.g. "
                     "@@check(positive_pages, \"pages > 0\"))",
                     pgorm_sx_describe(v, b, sizeof b));
        return false;
    }
    take(p);
    if (!pgorm_sx_expect(p, SX_COMMA, "',' after the name in @@check(name, \"expr\")"))
        return false;
    pgorm_check ck = {.pos = at->pos};
    if (!pgorm_sx_parse_check_expr(p, &ck, "@@check"))
        return false;
    if (!(ck.name = pgorm_sx_tokdup(p, v)) || !pgorm_sx_add_check(p->c, mi, &ck)) {
        pgorm_free(ck.name);
        pgorm_free(ck.expr);
        p->c->d.oom = true;
        return false;
    }
    return pgorm_sx_expect(p, SX_RPAREN, "')' to close @@check(...)");
}

static bool parse_block_body(pgorm_sx_parser *p, size_t mi, const tok *at, int kind)
{
    pgorm_sx_ctx *c = p->c;
    pgorm_model *m = &c->s->models[mi];
    pgorm_sx_model_aux *ma = &c->aux[mi];
    const char *bn = block_names[kind];
    char b[96], what[64];
    if (kind == B_FOREIGN_KEY)
        return pgorm_sx_parse_fkey_block(p, mi, at);
    snprintf(what, sizeof what, "'(' after @@%s", bn);
    if (!pgorm_sx_expect(p, SX_LPAREN, what))
        return false;
    if (kind == B_ID || kind == B_UNIQUE || kind == B_INDEX) {
        if (!pgorm_sx_grow((void **)&m->blocks, &ma->blocks_cap, m->nblocks + 1,
                           sizeof *m->blocks)) {
            c->d.oom = true;
            return false;
        }
        pgorm_block *bl = &m->blocks[m->nblocks++];
        memset(bl, 0, sizeof *bl);
        bl->kind = kind == B_ID       ? PGORM_BLOCK_ID
                   : kind == B_UNIQUE ? PGORM_BLOCK_UNIQUE
                                      : PGORM_BLOCK_INDEX;
        bl->pos = at->pos;
        return parse_field_list(p, bl, bn);
    }
    if (kind == B_CHECK)
        return parse_check_block(p, mi, at);
    if (kind == B_SCHEMA)
        return pgorm_sx_parse_schema_attr(p, mi, at);
    const tok *v = peek(p);
    bool table = kind == B_TABLE;
    if (v->kind != SX_IDENT && !(table && v->kind == SX_STRING)) {
        pgorm_sx_err(p, v,
                     table ? "expected a table name in @@table(...), found %s"
                           : "expected the model's old name in @@renamed_from(...), found %s",
                     pgorm_sx_describe(v, b, sizeof b));
        return false;
    }
    take(p);
    pgorm_pos *seen = table ? &ma->table_attr : &ma->renamed_attr;
    if (seen->line) {
        pgorm_sx_err(p, at, "duplicate @@%s in model '%s'", bn, m->name);
    } else {
        *seen = at->pos;
        if (table)
            ma->table_arg = v->pos;
        char **dst = table ? &m->table : &m->renamed_from;
        if (!(*dst = pgorm_sx_tokdup(p, v)))
            return false;
    }
    snprintf(what, sizeof what, "')' to close @@%s(...)", bn);
    return pgorm_sx_expect(p, SX_RPAREN, what);
}

static void parse_block(pgorm_sx_parser *p, size_t mi)
{
    pgorm_sx_model_aux *ma = &p->c->aux[mi];
    char b[96];
    const tok *at = take(p); /* '@@' */
    const tok *nm = peek(p);
    if (nm->kind != SX_IDENT) {
        pgorm_sx_err(p, nm, "expected a block attribute after '@@', found %s (one of: %s)",
                     pgorm_sx_describe(nm, b, sizeof b), BLOCK_LIST);
        ma->any_bad = true; /* it may have been meant as @@id */
        if (pgorm_sx_recover(p))
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
        pgorm_sx_err(p, nm, "unknown block attribute '@@%s' (expected one of: %s)%s", name,
                     BLOCK_LIST, dym);
        ma->any_bad = true; /* it may have been meant as @@id */
        pgorm_sx_skip_group(p);
        return;
    }
    if (!parse_block_body(p, mi, at, kind) && pgorm_sx_recover(p))
        ma->broken = true;
}

/* ---- models ---------------------------------------------------------------- */

static void parse_model(pgorm_sx_parser *p)
{
    char b[96];
    take(p); /* 'model' */
    const tok *name = peek(p);
    if (name->kind != SX_IDENT) {
        pgorm_sx_err(p, name, "expected a model name after 'model', found %s",
                     pgorm_sx_describe(name, b, sizeof b));
        skip_to_model(p);
        return;
    }
    take(p);
    if (!add_model(p, name))
        return;
    size_t mi = p->c->s->nmodels - 1;
    const tok *lb = peek(p);
    if (lb->kind != SX_LBRACE) {
        pgorm_sx_err(p, lb, "expected '{' after 'model %.*s', found %s", TXT(name),
                     pgorm_sx_describe(lb, b, sizeof b));
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
            pgorm_sx_err(p, lb,
                         "model '%.*s' is not closed: expected '}' before the end of the file",
                         TXT(name));
            p->c->aux[mi].broken = true; /* a cut file: the rest of the model is missing */
            return;
        }
        if (at_model_start(p) || (k->line_start && pgorm_sx_at_query_start(p)) ||
            (k->line_start && at_enum_start(p))) {
            pgorm_sx_err(p, lb,
                         "model '%.*s' is not closed: expected '}' before the next %s (line %d)",
                         TXT(name),
                         at_model_start(p)  ? "model"
                         : at_enum_start(p) ? "enum"
                                            : "query",
                         k->pos.line);
            return;
        }
        if (k->kind == SX_ATAT) {
            parse_block(p, mi);
        } else if (k->kind == SX_IDENT) {
            pgorm_sx_parse_field(p, mi);
        } else {
            pgorm_sx_err(p, k, "expected a field, '@@' or '}' in model '%.*s', found %s", TXT(name),
                         pgorm_sx_describe(k, b, sizeof b));
            p->c->aux[mi].any_bad = true; /* what was meant here? maybe the @id */
            if (pgorm_sx_recover(p))
                p->c->aux[mi].broken = true;
        }
    }
}

void pgorm_sx_parse(pgorm_sx_ctx *c, const pgorm_sx_toks *t)
{
    if (t->n == 0)
        return;
    pgorm_sx_parser p = {c, t->items, t->n, 0, 0};
    char b[96];
    while (!stopped(&p)) {
        const tok *k = peek(&p);
        if (k->kind == SX_EOF)
            break;
        if (is_word(k, "model")) {
            parse_model(&p);
            continue;
        }
        if (is_word(k, "query")) {
            pgorm_sx_parse_query(&p);
            continue;
        }
        if (is_word(k, "enum")) {
            pgorm_sx_parse_enum(&p);
            continue;
        }
        if (is_word(k, "schema") && k->line_start) {
            pgorm_sx_parse_schema_decl(&p);
            continue;
        }
        if (k->kind == SX_RBRACE)
            pgorm_sx_err(&p, k, "unexpected '}': no model or query is open here");
        else
            pgorm_sx_err(&p, k, "expected 'model', 'enum', 'query' or 'schema', found %s",
                         pgorm_sx_describe(k, b, sizeof b));
        take(&p);
        skip_to_model(&p);
    }
}
