/* Diagnostics of the schema front end, "did you mean" suggestions, and the
 * small allocation helpers the parser and validation share. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/schema_int.h"

void pgorm_sx_diag(pgorm_sx_diags *d, pgorm_pos pos, const char *fmt, ...)
{
    if (d->n >= PGORM_SX_MAX_DIAGS)
        return;
    if (!pgorm_sx_grow((void **)&d->items, &d->cap, d->n + 1, sizeof *d->items)) {
        d->oom = true;
        return;
    }
    pgorm_diag *g = &d->items[d->n++];
    g->pos = pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->message, sizeof g->message, fmt, ap);
    va_end(ap);
}

bool pgorm_sx_diags_full(const pgorm_sx_diags *d)
{
    return d->oom || d->n >= PGORM_SX_MAX_DIAGS;
}

static int pos_cmp(pgorm_pos a, pgorm_pos b)
{
    if (a.line != b.line)
        return a.line < b.line ? -1 : 1;
    if (a.col != b.col)
        return a.col < b.col ? -1 : 1;
    return 0;
}

void pgorm_sx_diags_order(const pgorm_sx_diags *d, size_t *order)
{
    /* Insertion sort of indices: stable, n is at most PGORM_SX_MAX_DIAGS,
       and the 512-byte messages stay where they are. */
    for (size_t i = 0; i < d->n; i++) {
        size_t j = i;
        while (j > 0 && pos_cmp(d->items[order[j - 1]].pos, d->items[i].pos) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}

void pgorm_sx_diags_free(pgorm_sx_diags *d)
{
    pgorm_free(d->items);
    d->items = NULL;
    d->n = d->cap = 0;
}

/* Case-insensitive edit distance counting a swap of two neighbours as one
   edit ("titel" -> "title"); SIZE_MAX when it is surely above `limit`.
   Names longer than 64 bytes are never close. */
static size_t edit_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > limit)
        return SIZE_MAX;
    char x[65], y[65];
    for (size_t i = 0; i < la; i++)
        x[i] = (char)tolower((unsigned char)a[i]);
    for (size_t j = 0; j < lb; j++)
        y[j] = (char)tolower((unsigned char)b[j]);
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (x[i - 1] != y[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *pgorm_sx_suggest(const char *name, const char *const *cands, size_t n)
{
    size_t len = strlen(name);
    /* A plausible typo: a third of the name (rounded up), at least 1, at most 3 edits. */
    size_t limit = (len + 2) / 3;
    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    bool tie = false;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i] || strcmp(cands[i], name) == 0)
            continue;
        size_t dist = edit_distance(name, cands[i], limit);
        if (dist > limit || dist > best_d)
            continue;
        tie = dist == best_d;
        best = cands[i];
        best_d = dist;
    }
    /* "int9" is as close to int2 as to int4 and int8: suggest none */
    return tie ? NULL : best;
}

void pgorm_sx_did_you_mean(char *out, size_t outsz, const char *prefix, const char *suggestion)
{
    if (suggestion)
        snprintf(out, outsz, "; did you mean '%s%.64s'?", prefix, suggestion);
    else if (outsz)
        out[0] = '\0';
}

bool pgorm_sx_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 4;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return false;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem)
        return false;
    void *p = pgorm_realloc(*arr, ncap * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

char *pgorm_sx_strndup(const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = pgorm_malloc(len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
