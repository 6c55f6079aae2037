/* Named queries: `query Name(params) { sql """...""" returns (...) }`,
 * parsed here and checked here (names, parameters, the $n references of
 * the SQL). What the server thinks of the SQL is `pgorm check --database`'s
 * business (src/cli/describe.c).
 *
 * Error recovery inside a query block: a bad item skips to the next line
 * that starts with a name (or the block's '}'); a bad parameter list skips
 * to the block's '{'. A query with a syntax error is marked bad, so
 * validation does not add "no sql" because the sql was on a skipped line.
 */
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/parser.h"
#include "schema/validate.h"

#define ITEM_LIST "sql \"\"\"SELECT ...\"\"\", returns (name type, ...) or '}'"

static const char *const item_names[] = {"sql", "returns"};

/* ---- parsing ------------------------------------------------------------- */

static pgorm_named_query *add_query(pgorm_sx_parser *p, const tok *name)
{
    pgorm_sx_ctx *c = p->c;
    pgorm_schema *s = c->s;
    if (!pgorm_sx_grow((void **)&s->queries, &c->queries_cap, s->nqueries + 1,
                       sizeof *s->queries) ||
        !pgorm_sx_grow((void **)&c->query_bad, &c->query_bad_cap, s->nqueries + 1,
                       sizeof *c->query_bad)) {
        c->d.oom = true;
        return NULL;
    }
    pgorm_named_query *q = &s->queries[s->nqueries];
    memset(q, 0, sizeof *q);
    c->query_bad[s->nqueries] = false;
    s->nqueries++;
    q->pos = name->pos;
    q->name = pgorm_sx_tokdup(p, name);
    return q->name ? q : NULL;
}

static void mark_bad(pgorm_sx_parser *p)
{
    p->c->query_bad[p->c->s->nqueries - 1] = true;
}

/* After an error in an item: to the next line that starts with a name, the
   block's '}', or the next model or query. */
static void skip_item(pgorm_sx_parser *p)
{
    int depth = 0;
    for (;;) {
        const tok *k = peek(p);
        if (k->kind == SX_EOF || (k->kind == SX_RBRACE && depth == 0))
            return;
        if (k->line_start && k->pos.line > p->err_line &&
            (at_model_start(p) || pgorm_sx_at_query_start(p) ||
             (k->kind == SX_IDENT && depth == 0)))
            return;
        if (k->kind == SX_LPAREN)
            depth++;
        else if (k->kind == SX_RPAREN && depth > 0)
            depth--;
        take(p);
    }
}

/* After an error in the parameter list: to its '{' (not taken), or the
   next model or query. */
static void skip_to_block(pgorm_sx_parser *p)
{
    while (peek(p)->kind != SX_EOF && peek(p)->kind != SX_LBRACE && !at_model_start(p) &&
           !(peek(p)->line_start && pgorm_sx_at_query_start(p)))
        take(p);
}

/* A whole { ... } block at the current token, if any. */
static void skip_braces(pgorm_sx_parser *p)
{
    int depth = 0;
    while (peek(p)->kind == SX_LBRACE || (depth > 0 && peek(p)->kind != SX_EOF)) {
        const tok *k = take(p);
        if (k->kind == SX_LBRACE)
            depth++;
        else if (k->kind == SX_RBRACE && --depth == 0)
            return;
    }
}

static bool parse_params(pgorm_sx_parser *p, pgorm_named_query *q)
{
    char b[96];
    size_t cap = 0;
    take(p); /* '(' */
    if (peek(p)->kind == SX_RPAREN) {
        take(p);
        return true;
    }
    for (;;) {
        const tok *n = peek(p);
        if (n->kind != SX_IDENT) {
            pgorm_sx_err(p, n,
                         "expected a parameter name in query '%s'(...), found %s (write name "
                         "type, e.g. min_pages int4; the SQL refers to it as $1, $2... in this "
                         "order)",
                         nm(q->name).s, pgorm_sx_describe(n, b, sizeof b));
            return false;
        }
        take(p);
        if (!pgorm_sx_grow((void **)&q->params, &cap, q->nparams + 1, sizeof *q->params)) {
            p->c->d.oom = true;
            return false;
        }
        pgorm_query_param *qp = &q->params[q->nparams++];
        memset(qp, 0, sizeof *qp);
        qp->pos = n->pos;
        if (!(qp->name = pgorm_sx_tokdup(p, n)))
            return false;
        qp->type_pos = peek(p)->pos;
        char what[96];
        snprintf(what, sizeof what, "parameter '%s'", nm(qp->name).s);
        if (peek(p)->kind == SX_COMMA || peek(p)->kind == SX_RPAREN) {
            pgorm_sx_err(p, n, "parameter '%s' of query '%s' has no type (write one after the "
                               "name, e.g. %s int4)",
                         nm(qp->name).s, nm(q->name).s, nm(qp->name).s);
            return false;
        }
        int t = pgorm_sx_parse_qtype(p, &qp->type, what);
        if (t < 0)
            return false;
        if (t == 0)
            mark_bad(p);
        if (peek(p)->kind == SX_QUESTION) {
            pgorm_sx_err(p, peek(p),
                         "parameter '%s' cannot be written with '?': a NULL string (or bytea "
                         "data) is sent as SQL NULL, and fixed-size parameters are never NULL",
                         nm(qp->name).s);
            return false;
        }
        if (peek(p)->kind == SX_COMMA) {
            take(p);
            continue;
        }
        if (peek(p)->kind == SX_RPAREN) {
            take(p);
            return true;
        }
        pgorm_sx_err(p, peek(p), "expected ',' or ')' after parameter '%s', found %s",
                     nm(qp->name).s, pgorm_sx_describe(peek(p), b, sizeof b));
        return false;
    }
}

static bool parse_sql(pgorm_sx_parser *p, pgorm_named_query *q, const tok *kw)
{
    char b[96];
    const tok *v = peek(p);
    if (v->kind != SX_STRING) {
        pgorm_sx_err(p, v,
                     "expected the SQL of query '%s' as a string after 'sql', found %s (write "
                     "sql \"\"\"SELECT ...\"\"\"; a triple-quoted string may span lines)",
                     nm(q->name).s, pgorm_sx_describe(v, b, sizeof b));
        return false;
    }
    take(p);
    if (q->sql) {
        pgorm_sx_err(p, kw, "duplicate sql in query '%s' (first at line %d): a query is one "
                            "statement",
                     nm(q->name).s, q->sql_pos.line);
        return true;
    }
    q->sql_raw = v->raw;
    q->sql_pos = v->pos;
    q->sql_pos.col += v->raw ? 3 : 1;
    return (q->sql = pgorm_sx_tokdup(p, v)) != NULL;
}

static bool parse_returns(pgorm_sx_parser *p, pgorm_named_query *q, const tok *kw)
{
    char b[96];
    if (peek(p)->kind != SX_LPAREN) {
        pgorm_sx_err(p, peek(p),
                     "expected '(' after returns, found %s (write returns (name type, ...), "
                     "one per result column, e.g. returns (id int8, name text?))",
                     pgorm_sx_describe(peek(p), b, sizeof b));
        return false;
    }
    take(p);
    bool dup = q->has_returns;
    if (dup)
        pgorm_sx_err(p, kw, "duplicate returns in query '%s' (first at line %d)", nm(q->name).s,
                     q->returns_pos.line);
    q->has_returns = true;
    if (!dup)
        q->returns_pos = kw->pos;
    size_t cap = 0;
    if (peek(p)->kind == SX_RPAREN) {
        pgorm_sx_err(p, peek(p),
                     "returns () lists no columns: a named query returns rows (name each result "
                     "column: returns (name type, ...))");
        take(p);
        return true;
    }
    for (;;) {
        const tok *n = peek(p);
        if (n->kind != SX_IDENT && n->kind != SX_STRING) {
            pgorm_sx_err(p, n,
                         "expected a result column's name in returns (...), found %s (write "
                         "name type, as the SQL names the column)",
                         pgorm_sx_describe(n, b, sizeof b));
            return false;
        }
        take(p);
        pgorm_query_column tmp;
        memset(&tmp, 0, sizeof tmp);
        tmp.pos = n->pos;
        tmp.type_pos = peek(p)->pos;
        char *name = pgorm_sx_tokdup(p, n);
        if (!name)
            return false;
        char what[96];
        snprintf(what, sizeof what, "column '%s'", nm(name).s);
        if (peek(p)->kind == SX_COMMA || peek(p)->kind == SX_RPAREN) {
            pgorm_sx_err(p, n, "result column '%s' has no type (write one after the name, e.g. "
                               "%s text)",
                         nm(name).s, nm(name).s);
            pgorm_free(name);
            return false;
        }
        int t = pgorm_sx_parse_qtype(p, &tmp.type, what);
        bool ok = t >= 0;
        if (t == 0)
            mark_bad(p);
        if (ok && peek(p)->kind == SX_QUESTION) {
            tmp.nullable = true;
            take(p);
        }
        if (dup || !ok ||
            !pgorm_sx_grow((void **)&q->columns, &cap, q->ncolumns + 1, sizeof *q->columns)) {
            if (!dup && ok)
                p->c->d.oom = true;
            pgorm_free(name);
            if (!ok || !dup)
                return false;
        } else {
            tmp.name = name;
            q->columns[q->ncolumns++] = tmp;
        }
        if (peek(p)->kind == SX_COMMA) {
            take(p);
            continue;
        }
        if (peek(p)->kind == SX_RPAREN) {
            take(p);
            return true;
        }
        pgorm_sx_err(p, peek(p), "expected ',' or ')' in returns (...), found %s",
                     pgorm_sx_describe(peek(p), b, sizeof b));
        return false;
    }
}

void pgorm_sx_parse_query(pgorm_sx_parser *p)
{
    char b[96];
    take(p); /* 'query' */
    const tok *name = peek(p);
    if (name->kind != SX_IDENT) {
        pgorm_sx_err(p, name, "expected a query name after 'query', found %s (write query "
                              "Name(param type, ...) { sql \"\"\"...\"\"\" })",
                     pgorm_sx_describe(name, b, sizeof b));
        skip_to_block(p);
        skip_braces(p);
        return;
    }
    take(p);
    pgorm_named_query *q = add_query(p, name);
    if (!q)
        return;
    if (peek(p)->kind != SX_LPAREN) {
        pgorm_sx_err(p, peek(p),
                     "expected '(' after 'query %s', found %s (list its parameters, or write () "
                     "when it has none)",
                     nm(q->name).s, pgorm_sx_describe(peek(p), b, sizeof b));
        mark_bad(p);
        skip_to_block(p);
    } else if (!parse_params(p, q)) {
        mark_bad(p);
        skip_to_block(p);
    }
    const tok *lb = peek(p);
    if (lb->kind != SX_LBRACE) {
        if (!p->c->query_bad[p->c->s->nqueries - 1])
            pgorm_sx_err(p, lb, "expected '{' after the parameters of query '%s', found %s",
                         nm(q->name).s, pgorm_sx_describe(lb, b, sizeof b));
        mark_bad(p);
        return;
    }
    take(p);
    while (!stopped(p)) {
        const tok *k = peek(p);
        if (k->kind == SX_RBRACE) {
            take(p);
            return;
        }
        if (k->kind == SX_EOF || (k->line_start && (at_model_start(p) ||
                                                    pgorm_sx_at_query_start(p)))) {
            pgorm_sx_err(p, lb, "query '%s' is not closed: expected '}' before %s", nm(q->name).s,
                         k->kind == SX_EOF ? "the end of the file" : "the next block");
            mark_bad(p);
            return;
        }
        bool ok;
        if (is_word(k, "sql")) {
            take(p);
            ok = parse_sql(p, q, k);
        } else if (is_word(k, "returns")) {
            take(p);
            ok = parse_returns(p, q, k);
        } else {
            char w[72] = "", dym[96] = "";
            if (k->kind == SX_IDENT) {
                snprintf(w, sizeof w, "%.*s", TXT(k));
                pgorm_sx_did_you_mean(dym, sizeof dym, "",
                                      pgorm_sx_suggest(w, item_names, 2));
            }
            pgorm_sx_err(p, k, "expected %s in query '%s', found %s%s", ITEM_LIST,
                         nm(q->name).s, pgorm_sx_describe(k, b, sizeof b), dym);
            take(p);
            ok = false;
        }
        if (!ok) {
            mark_bad(p);
            skip_item(p);
        }
    }
}

/* ---- the SQL text ----------------------------------------------------------- */

static bool ident_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c >= 0x80;
}

/* The $n parameter references of a SQL text, outside its string literals,
   quoted identifiers, dollar-quoted strings and comments: fn(n, offset, ud)
   for each, in order (n is 0 when the digits overflow). */
static void sql_param_refs(const char *sql, void (*fn)(long n, size_t offset, void *ud), void *ud)
{
    const unsigned char *s = (const unsigned char *)sql;
    size_t n = strlen(sql), i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c == '\'') {
            /* E'...' takes backslash escapes */
            bool esc = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                       (i < 2 || !ident_char(s[i - 2]));
            for (i++; i < n; i++) {
                if (esc && s[i] == '\\') {
                    i++;
                    continue;
                }
                if (s[i] == '\'') {
                    if (i + 1 < n && s[i + 1] == '\'') {
                        i++;
                        continue;
                    }
                    break;
                }
            }
            i++;
        } else if (c == '"') {
            for (i++; i < n; i++) {
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        i++;
                        continue;
                    }
                    break;
                }
            }
            i++;
        } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
            while (i < n && s[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            int depth = 0;
            while (i < n) {
                if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
                    depth++;
                    i += 2;
                } else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
                    i += 2;
                    if (--depth == 0)
                        break;
                } else {
                    i++;
                }
            }
        } else if (c == '$' && (i == 0 || !ident_char(s[i - 1]))) {
            size_t j = i + 1;
            if (j < n && s[j] >= '0' && s[j] <= '9') {
                long v = 0;
                bool over = false;
                while (j < n && s[j] >= '0' && s[j] <= '9') {
                    v = v * 10 + (s[j] - '0');
                    if (v > 1000000) {
                        over = true;
                        v = 1000000;
                    }
                    j++;
                }
                fn(over ? 0 : v, i, ud);
                i = j;
                continue;
            }
            /* $tag$ ... $tag$ (the tag may be empty) */
            while (j < n && ident_char(s[j]) && s[j] != '$')
                j++;
            if (j >= n || s[j] != '$') {
                i++;
                continue;
            }
            size_t tag = j + 1 - i; /* "$tag$" */
            size_t k = j + 1;
            while (k < n && !(s[k] == '$' && k + tag <= n && memcmp(s + k, s + i, tag) == 0))
                k++;
            i = k < n ? k + tag : n;
        } else if (ident_char(c)) {
            while (i < n && ident_char(s[i]))
                i++;
        } else {
            i++;
        }
    }
}

pgorm_pos pgorm_query_sql_pos(const pgorm_named_query *q, size_t offset)
{
    pgorm_pos pos = q->sql_pos;
    if (!q->sql)
        return pos;
    for (size_t i = 0; i < offset && q->sql[i]; i++) {
        if (q->sql_raw && q->sql[i] == '\n') {
            pos.line++;
            pos.col = 1;
        } else {
            /* in a "..." string, '"' and '\\' were written escaped */
            pos.col += !q->sql_raw && (q->sql[i] == '"' || q->sql[i] == '\\') ? 2 : 1;
        }
    }
    return pos;
}

/* ---- validation ----------------------------------------------------------- */

typedef struct refs_ctx {
    ctx *c;
    const pgorm_named_query *q;
    bool *used; /* per parameter */
    bool bad;
} refs_ctx;

static void param_list(pgorm_buf *b, const pgorm_named_query *q)
{
    for (size_t i = 0; i < q->nparams && i < 8; i++)
        pgorm_buf_printf(b, "%s$%zu %s", i ? ", " : "", i + 1, nm(q->params[i].name).s);
    if (q->nparams > 8)
        pgorm_buf_puts(b, ", ...");
}

static void on_ref(long n, size_t offset, void *ud)
{
    refs_ctx *r = ud;
    const pgorm_named_query *q = r->q;
    pgorm_pos pos = pgorm_query_sql_pos(q, offset);
    if (n >= 1 && (size_t)n <= q->nparams) {
        r->used[n - 1] = true;
        return;
    }
    if (r->bad)
        return; /* one message per query is enough */
    r->bad = true;
    if (n == 0) {
        pgorm_sx_diag(&r->c->d, pos,
                      "'$0' or a huge $n in the sql of query '%s' is not a parameter "
                      "(parameters count from $1)",
                      nm(q->name).s);
        return;
    }
    if (q->nparams == 0) {
        pgorm_sx_diag(&r->c->d, pos,
                      "$%ld in the sql of query '%s', which declares no parameters (declare "
                      "them in order: query %s(name type, ...))",
                      n, nm(q->name).s, nm(q->name).s);
        return;
    }
    pgorm_buf b = PGORM_BUF_INIT;
    param_list(&b, q);
    pgorm_sx_diag(&r->c->d, pos,
                  "$%ld in the sql of query '%s' is beyond its %zu declared parameter%s (%s): "
                  "use $1 to $%zu, or declare another parameter",
                  n, nm(q->name).s, q->nparams, q->nparams == 1 ? "" : "s",
                  b.data && !b.oom ? b.data : "", q->nparams);
    pgorm_buf_free(&b);
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!strchr(" \t\r\n\f\v", *s))
            return false;
    return true;
}

static void check_query(ctx *c, size_t qi)
{
    pgorm_schema *s = c->s;
    pgorm_named_query *q = &s->queries[qi];
    bool bad = c->query_bad[qi];
    for (size_t j = 0; j < qi; j++)
        if (strcmp(s->queries[j].name, q->name) == 0) {
            pgorm_sx_diag(&c->d, q->pos,
                          "duplicate query '%s' (first defined at line %d): give it another "
                          "name",
                          nm(q->name).s, s->queries[j].pos.line);
            break;
        }
    size_t mi = find_model(s, q->name);
    if (mi != PGORM_NONE)
        pgorm_sx_diag(&c->d, q->pos,
                      "query '%s' has the name of model '%s' (line %d): a query's name names "
                      "its row type and function, so give it another one",
                      nm(q->name).s, nm(q->name).s, s->models[mi].pos.line);
    for (size_t i = 0; i < q->nparams; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(q->params[i].name, q->params[j].name) == 0) {
                pgorm_sx_diag(&c->d, q->params[i].pos,
                              "duplicate parameter '%s' in query '%s' (it is $%zu already)",
                              nm(q->params[i].name).s, nm(q->name).s, j + 1);
                break;
            }
    for (size_t i = 0; i < q->ncolumns; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(q->columns[i].name, q->columns[j].name) == 0) {
                pgorm_sx_diag(&c->d, q->columns[i].pos,
                              "duplicate result column '%s' in query '%s' (column %zu already "
                              "has that name): give one of them another name with AS in the "
                              "sql",
                              nm(q->columns[i].name).s, nm(q->name).s, j + 1);
                break;
            }
    if (!q->sql) {
        if (!bad)
            pgorm_sx_diag(&c->d, q->pos,
                          "query '%s' has no sql: write its statement in the block, e.g. sql "
                          "\"\"\"SELECT ...\"\"\"",
                          nm(q->name).s);
        return;
    }
    if (blank(q->sql)) {
        pgorm_sx_diag(&c->d, q->sql_pos, "the sql of query '%s' is empty", nm(q->name).s);
        return;
    }
    if (bad)
        return; /* the parameters may be incomplete: $n would be judged wrongly */
    refs_ctx r = {c, q, NULL, false};
    if (q->nparams && !(r.used = pgorm_calloc(q->nparams, sizeof *r.used))) {
        c->d.oom = true;
        return;
    }
    sql_param_refs(q->sql, on_ref, &r);
    for (size_t i = 0; i < q->nparams; i++)
        if (!r.used[i])
            pgorm_sx_diag(&c->d, q->params[i].pos,
                          "parameter '%s' of query '%s' is never used: its sql has no $%zu "
                          "(refer to it, or remove it)",
                          nm(q->params[i].name).s, nm(q->name).s, i + 1);
    pgorm_free(r.used);
}

void pgorm_sx_validate_queries(ctx *c)
{
    for (size_t i = 0; i < c->s->nqueries && !c->d.oom; i++)
        check_query(c, i);
}
