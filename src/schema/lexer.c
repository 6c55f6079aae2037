/* The schema language's lexer: bytes to tokens, with 1-based line and byte
 * column positions. The whole file is tokenized up front (schema files are
 * small) so the parser can look ahead freely.
 *
 * Every read is bounded by len: the text need not be NUL-terminated and may
 * contain any bytes.
 */
#include <stdint.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/schema_int.h"

typedef struct lexer {
    const unsigned char *s;
    size_t len, i;
    int line, col;
    bool line_start;
    pgorm_sx_toks *out;
    pgorm_sx_diags *d;
    bool oom;
} lexer;

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one
   (overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t k;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
        *cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        *cp = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        *cp = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t j = 1; j < k; j++) {
        unsigned char b = s[j];
        if (j == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
            return 0;
        *cp = (*cp << 6) | (b & 0x3F);
    }
    return k;
}

/* The whole text must be UTF-8; otherwise report the first bad byte. */
static bool check_utf8(lexer *lx)
{
    int line = 1, col = 1;
    size_t i = lx->i;
    while (i < lx->len) {
        uint32_t cp;
        size_t k = utf8_seq(lx->s + i, lx->len - i, &cp);
        if (k == 0) {
            pgorm_sx_diag(lx->d, (pgorm_pos){line, col},
                          "invalid UTF-8: byte 0x%02X does not start a valid UTF-8 sequence "
                          "(schema files must be UTF-8 text)",
                          lx->s[i]);
            return false;
        }
        if (lx->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col += (int)k;
        }
        i += k;
    }
    return true;
}

static bool push(lexer *lx, pgorm_sx_tok_kind kind, pgorm_pos pos, size_t start, size_t end)
{
    pgorm_sx_toks *t = lx->out;
    if (!pgorm_sx_grow((void **)&t->items, &t->cap, t->n + 1, sizeof *t->items)) {
        lx->oom = true;
        return false;
    }
    pgorm_sx_tok *k = &t->items[t->n++];
    k->kind = kind;
    k->line_start = lx->line_start;
    k->pos = pos;
    k->text = (const char *)lx->s + start;
    k->len = end - start;
    k->str = NULL;
    k->raw = false;
    lx->line_start = false;
    return true;
}

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_char(unsigned char c)
{
    return is_ident_start(c) || is_digit(c);
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool at(const lexer *lx, size_t i, unsigned char c)
{
    return i < lx->len && lx->s[i] == c;
}

/* Advance over bytes that are on the current line. */
static void advance(lexer *lx, size_t to)
{
    lx->col += (int)(to - lx->i);
    lx->i = to;
}

static void lex_string(lexer *lx, pgorm_pos pos)
{
    size_t start = lx->i, j = start + 1;
    bool ok = true;
    /* Find the end and report bad content; at most one message per string
       besides "unterminated". */
    for (;;) {
        if (j >= lx->len || lx->s[j] == '\n' || lx->s[j] == '\r') {
            pgorm_sx_diag(lx->d, pos,
                          "unterminated string: close it with '\"' on the same line "
                          "(strings cannot span lines; write \\\" for a quote)");
            push(lx, SX_ERROR, pos, start, j);
            advance(lx, j);
            return;
        }
        unsigned char c = lx->s[j];
        if (c == '"')
            break;
        if (c == '\\') {
            unsigned char e = j + 1 < lx->len ? lx->s[j + 1] : 0;
            if (e == '"' || e == '\\') {
                j += 2;
                continue;
            }
            if (j + 1 >= lx->len || e == '\n' || e == '\r') {
                j++;
                continue; /* reported as unterminated */
            }
            if (ok) {
                pgorm_pos ep = {pos.line, pos.col + (int)(j - start)};
                if (e >= 0x20 && e < 0x7F)
                    pgorm_sx_diag(
                        lx->d, ep,
                        "unknown escape '\\%c' in string (only \\\" and \\\\ are allowed)", e);
                else
                    pgorm_sx_diag(lx->d, ep,
                                  "unknown escape in string (only \\\" and \\\\ are allowed)");
                ok = false;
            }
            j += 2;
            continue;
        }
        if (c == 0 && ok) {
            pgorm_sx_diag(lx->d, (pgorm_pos){pos.line, pos.col + (int)(j - start)},
                          "NUL byte in string");
            ok = false;
        }
        j++;
    }
    size_t end = j + 1; /* past the closing quote */
    if (!ok) {
        push(lx, SX_ERROR, pos, start, end);
        advance(lx, end);
        return;
    }
    if (!push(lx, SX_STRING, pos, start, end))
        return;
    char *v = pgorm_arena_alloc(&lx->out->strings, end - start);
    if (!v) {
        lx->oom = true;
        return;
    }
    size_t o = 0;
    for (size_t q = start + 1; q < j; q++) {
        if (lx->s[q] == '\\')
            q++;
        v[o++] = (char)lx->s[q];
    }
    v[o] = '\0';
    lx->out->items[lx->out->n - 1].str = v;
    advance(lx, end);
}

/* A triple-quoted string: raw text (no escapes) that may span lines, up
   to the next three quotes. */
static void lex_raw_string(lexer *lx, pgorm_pos pos)
{
    size_t start = lx->i, j = start + 3;
    int line = lx->line, col = lx->col + 3;
    bool nul = false;
    for (;;) {
        if (j >= lx->len) {
            pgorm_sx_diag(lx->d, pos,
                          "unterminated string: close it with three double quotes (a "
                          "triple-quoted string may span lines and ends at the next three "
                          "quotes)");
            push(lx, SX_ERROR, pos, start, lx->len);
            lx->i = lx->len;
            lx->line = line;
            lx->col = col;
            return;
        }
        if (lx->s[j] == '"' && j + 2 < lx->len && lx->s[j + 1] == '"' && lx->s[j + 2] == '"')
            break;
        if (lx->s[j] == 0 && !nul) {
            pgorm_sx_diag(lx->d, (pgorm_pos){line, col}, "NUL byte in string");
            nul = true;
        }
        if (lx->s[j] == '\n') {
            line++;
            col = 1;
        } else {
            col++; /* columns count bytes */
        }
        j++;
    }
    size_t end = j + 3;
    if (!push(lx, nul ? SX_ERROR : SX_STRING, pos, start, end))
        return;
    lx->i = end;
    lx->line = line;
    lx->col = col + 3;
    if (nul)
        return;
    char *v = pgorm_arena_alloc(&lx->out->strings, j - start - 3 + 1);
    if (!v) {
        lx->oom = true;
        return;
    }
    memcpy(v, lx->s + start + 3, j - start - 3);
    v[j - start - 3] = '\0';
    lx->out->items[lx->out->n - 1].str = v;
    lx->out->items[lx->out->n - 1].raw = true;
}

static void lex_number(lexer *lx, pgorm_pos pos)
{
    size_t start = lx->i, j = start;
    if (lx->s[j] == '-')
        j++;
    while (j < lx->len && is_digit(lx->s[j]))
        j++;
    pgorm_sx_tok_kind kind = SX_INT;
    if (at(lx, j, '.') && j + 1 < lx->len && is_digit(lx->s[j + 1])) {
        j++;
        while (j < lx->len && is_digit(lx->s[j]))
            j++;
        kind = SX_DECIMAL;
    }
    if (j < lx->len && (is_ident_char(lx->s[j]) || lx->s[j] == '.')) {
        /* 12abc, 1.2.3: one bad token, not a number and a name */
        while (j < lx->len && (is_ident_char(lx->s[j]) || lx->s[j] == '.'))
            j++;
        pgorm_sx_diag(lx->d, pos,
                      "invalid number '%.*s' (write an integer like -42 or a decimal like 3.25)",
                      (int)(j - start > 64 ? 64 : j - start), (const char *)lx->s + start);
        kind = SX_ERROR;
    }
    push(lx, kind, pos, start, j);
    advance(lx, j);
}

/* A run of bytes that cannot start a token: one error for the whole run. */
static void lex_stray(lexer *lx, pgorm_pos pos)
{
    size_t start = lx->i, j = start;
    uint32_t first = 0;
    while (j < lx->len) {
        unsigned char c = lx->s[j];
        if (j > start &&
            (is_space(c) || c == '\n' || is_ident_char(c) || strchr("{}[](),.?@\"/-", c)))
            break;
        uint32_t cp;
        size_t k = utf8_seq(lx->s + j, lx->len - j, &cp);
        if (k == 0)
            k = 1; /* cannot happen after check_utf8; stay safe */
        if (j == start)
            first = cp;
        j += k;
    }
    if (first == '$')
        pgorm_sx_diag(lx->d, pos,
                      "unexpected character '$' ($1, $2... go inside a query's sql; its "
                      "parameters are declared by name: query Name(name type, ...))");
    else if (first >= 0x21 && first < 0x7F)
        pgorm_sx_diag(lx->d, pos, "unexpected character '%c'", (char)first);
    else if (first < 0x80)
        pgorm_sx_diag(lx->d, pos, "unexpected control character 0x%02X", (unsigned)first);
    else
        pgorm_sx_diag(lx->d, pos,
                      "unexpected character U+%04X (names are ASCII letters, digits and '_')",
                      (unsigned)first);
    push(lx, SX_ERROR, pos, start, j);
    advance(lx, j);
}

bool pgorm_sx_lex(const char *text, size_t len, pgorm_sx_toks *out, pgorm_sx_diags *d)
{
    lexer lx = {(const unsigned char *)text, len, 0, 1, 1, true, out, d, false};
    pgorm_arena_init(&out->strings, 0);
    if (!text)
        lx.len = 0;
    /* A byte-order mark is not part of the text. */
    if (lx.len >= 3 && lx.s[0] == 0xEF && lx.s[1] == 0xBB && lx.s[2] == 0xBF)
        lx.i = 3;
    bool utf8 = check_utf8(&lx);
    while (utf8 && lx.i < lx.len && !lx.oom) {
        unsigned char c = lx.s[lx.i];
        if (c == '\n') {
            lx.i++;
            lx.line++;
            lx.col = 1;
            lx.line_start = true;
            continue;
        }
        if (is_space(c)) {
            advance(&lx, lx.i + 1);
            continue;
        }
        if (c == '/' && at(&lx, lx.i + 1, '/')) {
            size_t j = lx.i;
            while (j < lx.len && lx.s[j] != '\n')
                j++;
            advance(&lx, j);
            continue;
        }
        pgorm_pos pos = {lx.line, lx.col};
        if (is_ident_start(c)) {
            size_t j = lx.i + 1;
            while (j < lx.len && is_ident_char(lx.s[j]))
                j++;
            push(&lx, SX_IDENT, pos, lx.i, j);
            advance(&lx, j);
            continue;
        }
        if (is_digit(c) || (c == '-' && lx.i + 1 < lx.len && is_digit(lx.s[lx.i + 1]))) {
            lex_number(&lx, pos);
            continue;
        }
        if (c == '"' && at(&lx, lx.i + 1, '"') && at(&lx, lx.i + 2, '"')) {
            lex_raw_string(&lx, pos);
            continue;
        }
        if (c == '"') {
            lex_string(&lx, pos);
            continue;
        }
        pgorm_sx_tok_kind kind = SX_ERROR;
        size_t n = 1;
        switch (c) {
        case '{': kind = SX_LBRACE; break;
        case '}': kind = SX_RBRACE; break;
        case '[': kind = SX_LBRACKET; break;
        case ']': kind = SX_RBRACKET; break;
        case '(': kind = SX_LPAREN; break;
        case ')': kind = SX_RPAREN; break;
        case ',': kind = SX_COMMA; break;
        case '.': kind = SX_DOT; break;
        case '?': kind = SX_QUESTION; break;
        case ':': kind = SX_COLON; break;
        case '@':
            kind = SX_AT;
            if (at(&lx, lx.i + 1, '@')) {
                kind = SX_ATAT;
                n = 2;
            }
            break;
        default: break;
        }
        if (kind == SX_ERROR) {
            lex_stray(&lx, pos);
            continue;
        }
        push(&lx, kind, pos, lx.i, lx.i + n);
        advance(&lx, lx.i + n);
    }
    if (!lx.oom)
        push(&lx, SX_EOF, (pgorm_pos){lx.line, lx.col}, lx.len, lx.len);
    if (lx.oom && out->n > 0) {
        /* keep the invariant "ends with EOF" for a caller that looks anyway */
        pgorm_sx_tok *k = &out->items[out->n - 1];
        k->kind = SX_EOF;
    }
    return !lx.oom;
}

void pgorm_sx_toks_free(pgorm_sx_toks *t)
{
    pgorm_free(t->items);
    t->items = NULL;
    t->n = t->cap = 0;
    pgorm_arena_free(&t->strings);
}
