#include "migrate/sqlsplit.h"

#include <stdbool.h>
#include <string.h>

#include "pgorm/pgorm.h"

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || (unsigned char)c >= 0x80;
}

/* Skip a comment or quoted token starting at p (if one starts there);
   returns the index after it, or p when none starts there. */
static size_t skip_token(const char *s, size_t len, size_t p)
{
    if (s[p] == '-' && p + 1 < len && s[p + 1] == '-') {
        while (p < len && s[p] != '\n')
            p++;
        return p;
    }
    if (s[p] == '/' && p + 1 < len && s[p + 1] == '*') {
        int depth = 0;
        while (p < len) {
            if (s[p] == '/' && p + 1 < len && s[p + 1] == '*') {
                depth++;
                p += 2;
            } else if (s[p] == '*' && p + 1 < len && s[p + 1] == '/') {
                p += 2;
                if (--depth == 0)
                    break;
            } else {
                p++;
            }
        }
        return p;
    }
    if (s[p] == '\'' || s[p] == '"') {
        char q = s[p];
        bool backslash = q == '\'' && p > 0 && (s[p - 1] == 'E' || s[p - 1] == 'e') &&
                         (p < 2 || !ident_char(s[p - 2]));
        p++;
        while (p < len) {
            if (backslash && s[p] == '\\' && p + 1 < len) {
                p += 2;
                continue;
            }
            if (s[p] == q) {
                if (p + 1 < len && s[p + 1] == q) {
                    p += 2;
                    continue;
                }
                return p + 1;
            }
            p++;
        }
        return p;
    }
    if (s[p] == '$' && (p == 0 || !ident_char(s[p - 1]))) {
        size_t t = p + 1;
        while (t < len && ident_char(s[t]) && !(s[t] >= '0' && s[t] <= '9' && t == p + 1))
            t++;
        if (t < len && s[t] == '$') {
            size_t taglen = t - p + 1; /* "$tag$" */
            for (size_t k = t + 1; k + taglen <= len; k++)
                if (memcmp(s + k, s + p, taglen) == 0)
                    return k + taglen;
            return len;
        }
    }
    return p;
}

mig_stmt *mig_sql_split(const char *sql, size_t len, size_t *n)
{
    mig_stmt *out = NULL;
    size_t cap = 0;
    *n = 0;
    size_t p = 0;
    int line = 1;
    while (p < len) {
        /* Skip whitespace and comments before a statement. */
        size_t q = skip_token(sql, len, p);
        if (q != p && (sql[p] == '-' || sql[p] == '/')) {
            for (size_t k = p; k < q; k++)
                line += sql[k] == '\n';
            p = q;
            continue;
        }
        if (sql[p] == ' ' || sql[p] == '\t' || sql[p] == '\r' || sql[p] == '\n' ||
            sql[p] == ';') {
            line += sql[p] == '\n';
            p++;
            continue;
        }
        mig_stmt st = {.offset = p, .line = line};
        while (p < len && sql[p] != ';') {
            q = skip_token(sql, len, p);
            if (q == p)
                q = p + 1;
            for (size_t k = p; k < q; k++)
                line += sql[k] == '\n';
            p = q;
        }
        if (p < len)
            p++; /* the ';' */
        st.len = p - st.offset;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            mig_stmt *nb = pgorm_realloc(out, ncap * sizeof *nb);
            if (!nb) {
                pgorm_free(out);
                *n = 1;
                return NULL;
            }
            out = nb;
            cap = ncap;
        }
        out[(*n)++] = st;
    }
    return out;
}

void mig_sql_position(const char *sql, const mig_stmt *s, int pos, int *line, int *col)
{
    *line = s->line;
    *col = 1;
    /* Walk to the line start of the statement to count columns from there. */
    size_t start = s->offset;
    while (start > 0 && sql[start - 1] != '\n')
        start--;
    for (size_t k = start; k < s->offset; k++)
        if (((unsigned char)sql[k] & 0xC0) != 0x80)
            (*col)++;
    int chars = 1;
    for (size_t k = s->offset; k < s->offset + s->len && chars < pos; k++) {
        if (((unsigned char)sql[k] & 0xC0) == 0x80)
            continue; /* UTF-8 continuation byte: same character */
        chars++;
        if (sql[k] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}
