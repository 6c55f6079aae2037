/* Private to the parser (parser.c: models, block attributes, recovery;
 * field.c: a field's type and attributes): the token cursor and the helpers
 * both halves use.
 */
#ifndef PGORM_SCHEMA_PARSER_H
#define PGORM_SCHEMA_PARSER_H

#include <string.h>

#include "schema/schema_int.h"

typedef struct pgorm_sx_tok tok;

typedef struct pgorm_sx_parser {
    pgorm_sx_ctx *c;
    const tok *t; /* ends with SX_EOF */
    size_t n, i;
    int err_line; /* line of the last error's token: recovery skips past it */
} pgorm_sx_parser;

/* "%.*s" arguments for a token's text, clipped for messages. */
#define TXT(k) (int)((k)->len > 64 ? 64 : (k)->len), (k)->text

static inline const tok *peek(const pgorm_sx_parser *p)
{
    return &p->t[p->i];
}

static inline const tok *peek_at(const pgorm_sx_parser *p, size_t ahead)
{
    size_t j = p->i + ahead;
    return &p->t[j < p->n ? j : p->n - 1];
}

/* The current token; moves on unless it is the end. */
static inline const tok *take(pgorm_sx_parser *p)
{
    const tok *k = &p->t[p->i];
    if (k->kind != SX_EOF)
        p->i++;
    return k;
}

static inline bool is_word(const tok *k, const char *w)
{
    size_t n = strlen(w);
    return k->kind == SX_IDENT && k->len == n && memcmp(k->text, w, n) == 0;
}

static inline bool stopped(const pgorm_sx_parser *p)
{
    return pgorm_sx_diags_full(&p->c->d);
}

/* 'model' Name '{' : the start of a model even where a field could be. */
static inline bool at_model_start(const pgorm_sx_parser *p)
{
    return is_word(peek(p), "model") && peek_at(p, 1)->kind == SX_IDENT &&
           peek_at(p, 2)->kind == SX_LBRACE;
}

/* 'enum' Name '{' : the start of an enum block (enums.c parses it). */
static inline bool at_enum_start(const pgorm_sx_parser *p)
{
    return is_word(peek(p), "enum") && peek_at(p, 1)->kind == SX_IDENT &&
           peek_at(p, 2)->kind == SX_LBRACE;
}
/* `schema name` at the top level: the current token is 'schema'
   (sqlschema.c). */
void pgorm_sx_parse_schema_decl(pgorm_sx_parser *p);
/* @@schema(name) of model mi after its '(' (sqlschema.c). */
bool pgorm_sx_parse_schema_attr(pgorm_sx_parser *p, size_t mi, const tok *at);

/* @@schema(name) inside an enum block: the current token is '@@'
   (sqlschema.c). */
bool pgorm_sx_parse_enum_schema(pgorm_sx_parser *p, pgorm_enum *e);

/* An enum block: the current token is 'enum' (enums.c). */
void pgorm_sx_parse_enum(pgorm_sx_parser *p);

/* "'name'", "number 5", "the end of the file"... into buf (or a constant). */
const char *pgorm_sx_describe(const tok *k, char *buf, size_t n);
/* Report at token `at`, unless the lexer already did (SX_ERROR). */
void pgorm_sx_err(pgorm_sx_parser *p, const tok *at, const char *fmt, ...) PGORM_SX_PRINTF(3, 4);
/* Take a token of `kind`, or report "expected <what>, found ...". */
bool pgorm_sx_expect(pgorm_sx_parser *p, pgorm_sx_tok_kind kind, const char *what);
/* After an error: skip to the next line that can start a field or block
   attribute. Returns whether the skipped tokens may have held one. */
bool pgorm_sx_recover(pgorm_sx_parser *p);
/* Skip a balanced (...) or [...] group at the current token, if any. */
void pgorm_sx_skip_group(pgorm_sx_parser *p);
/* A new string with the token's text (a string's unescaped value); NULL and
   the OOM flag set when allocation fails. */
char *pgorm_sx_tokdup(pgorm_sx_parser *p, const tok *k);

/* The "expression" string of @check / @@check at the current token: a
   string that is not blank; sets ck->expr (new) and ck->expr_pos. `attr`
   names the attribute in messages (parser.c). */
bool pgorm_sx_parse_check_expr(pgorm_sx_parser *p, pgorm_check *ck, const char *attr);

/* @@foreign_key(...) after the word foreign_key; `at` is the '@@'
   (foreign_keys.c). */
bool pgorm_sx_parse_fkey_block(pgorm_sx_parser *p, size_t mi, const tok *at);
/* One field: its name is the current token (field.c). */
void pgorm_sx_parse_field(pgorm_sx_parser *p, size_t mi);

/* 'query' Name '(' at the current token (a field may be called query, but
   its type never opens a parameter list). */
bool pgorm_sx_at_query_start(const pgorm_sx_parser *p);
/* A named query: the current token is 'query' (query.c). */
void pgorm_sx_parse_query(pgorm_sx_parser *p);
/* A scalar type for a query parameter or column at the current token (the
   field types but serial and bigserial; numeric and varchar with or
   without their (p, s) / (n)). `what` names the thing typed in messages.
   1: parsed; 0: an unknown type, reported and skipped (what follows may
   still parse); -1: a syntax error, reported (field.c). */
int pgorm_sx_parse_qtype(pgorm_sx_parser *p, pgorm_coltype *out, const char *what);

#endif
