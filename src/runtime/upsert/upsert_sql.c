/* The statement of an upsert, and the checks on its options (upsert.h).
 *
 *   INSERT INTO "book" AS t ("isbn", "title", ...)
 *   SELECT u.c1, u.c2, ... FROM unnest($1::text[], ...) WITH ORDINALITY AS u(c1, ..., ord)
 *   ORDER BY u.ord
 *   ON CONFLICT ("isbn") DO UPDATE SET "title" = EXCLUDED."title", ... [WHERE <cond>]
 *   RETURNING t."id", t."isbn", ..., t.xmax = 0
 *
 * The row source is the insert's (insert.h). `t.xmax = 0` tells an inserted
 * row (no deleting or locking transaction yet) from an updated one (the
 * update locks it: xmax is this transaction). With return_existing and
 * something that can leave a conflicting row alone (DO NOTHING, or a
 * condition), the insert becomes a CTE and the stored rows of the inputs it
 * did not return are added:
 *
 *   WITH pgorm_ins AS (INSERT ... RETURNING ...)
 *   SELECT * FROM pgorm_ins
 *   UNION ALL
 *   SELECT t."id", ..., NULL::bool FROM "book" AS t
 *   JOIN unnest($1::text[]) AS pgorm_k(k1) ON t."isbn" = pgorm_k.k1
 *   WHERE NOT EXISTS (SELECT 1 FROM pgorm_ins WHERE pgorm_ins."isbn" = t."isbn")
 *
 * The second SELECT reuses the conflict columns' array parameters, and
 * sees the table as it was when the statement started (all parts of one
 * statement share a snapshot), so rows the CTE inserts are not seen twice.
 */
#include "runtime/upsert/upsert.h"

#include <string.h>

#include "schema/names.h"
#include "runtime/codec/codec.h"
#include "runtime/query/insert.h"
#include "util/sqlq.h"

/* Nesting deeper than this is refused: it is a mistake (or a cycle). */
#define MAX_COND_DEPTH 64

static uint64_t all_columns(const pgorm_model_desc *m)
{
    return m->ncolumns >= 64 ? UINT64_MAX : (UINT64_C(1) << m->ncolumns) - 1;
}

static size_t lowest(uint64_t mask)
{
    size_t i = 0;
    while (i < 64 && !(mask >> i & 1))
        i++;
    return i;
}

/* The name of unique set k: the descriptor's, else PostgreSQL's
   convention over the columns in model order. */
static const char *set_name(const pgorm_model_desc *m, size_t k, char out[PGORM_NAME_SIZE])
{
    if (m->unique_names && m->unique_names[k])
        return m->unique_names[k];
    const char *cols[64];
    size_t nc = 0;
    uint64_t mask = m->unique_masks[k];
    if (mask == m->pk_mask) {
        pgorm_constraint_name(out, m->table, NULL, 0, "pkey");
        return out;
    }
    for (size_t i = 0; i < m->ncolumns; i++)
        if (mask >> i & 1)
            cols[nc++] = m->columns[i].name;
    pgorm_constraint_name(out, m->table, cols, nc, "key");
    return out;
}

/* "(a, b)" for a mask of columns. */
static void put_columns(pgorm_buf *out, const pgorm_model_desc *m, uint64_t mask)
{
    pgorm_buf_putc(out, '(');
    bool first = true;
    for (size_t i = 0; i < m->ncolumns; i++) {
        if (!(mask >> i & 1))
            continue;
        pgorm_buf_printf(out, "%s%s", first ? "" : ", ", m->columns[i].name);
        first = false;
    }
    pgorm_buf_putc(out, ')');
}

/* "(id) book_pkey, (isbn) book_isbn_key" */
static void put_sets(pgorm_buf *out, const pgorm_model_desc *m)
{
    char name[PGORM_NAME_SIZE];
    for (size_t k = 0; k < m->nunique; k++) {
        if (k)
            pgorm_buf_puts(out, ", ");
        put_columns(out, m, m->unique_masks[k]);
        pgorm_buf_printf(out, " %s", set_name(m, k, name));
    }
    if (m->nunique == 0)
        pgorm_buf_puts(out, "none");
}

/* Fail b with "<what>; <Model> has: <its unique sets>". */
static void refuse_target(pgorm_sqlb *b, const char *what)
{
    pgorm_buf sets = PGORM_BUF_INIT;
    put_sets(&sets, b->m);
    if (sets.oom)
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory describing the conflict target");
    else
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s; %s has: %s", what, b->m->name, sets.data);
    pgorm_buf_free(&sets);
}

/* The unique set the options name, or -1 (b failed). */
static int find_target(pgorm_sqlb *b, const pgorm_upsert *opts)
{
    const pgorm_model_desc *m = b->m;
    if (m->nunique && !m->unique_masks) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "the descriptor has %zu unique sets but no unique_masks", m->nunique);
        return -1;
    }
    if (opts->conflict && opts->constraint) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "both .conflict and .constraint are set: name the conflict target once");
        return -1;
    }
    if (!opts->conflict && !opts->constraint) {
        refuse_target(b, "no conflict target: set .conflict to the column bits of a unique set, "
                         "or .constraint to its name");
        return -1;
    }
    char name[PGORM_NAME_SIZE];
    for (size_t k = 0; k < m->nunique; k++) {
        if (opts->conflict ? m->unique_masks[k] == opts->conflict
                           : strcmp(set_name(m, k, name), opts->constraint) == 0)
            return (int)k;
    }
    pgorm_buf what = PGORM_BUF_INIT;
    if (opts->constraint) {
        pgorm_buf_printf(&what,
                         "the conflict target .constraint = \"%s\" is not a primary key or "
                         "unique constraint of %s",
                         opts->constraint, m->name);
    } else if (opts->conflict & ~all_columns(m)) {
        pgorm_buf_printf(&what, "the conflict target 0x%llx names columns %s does not have",
                         (unsigned long long)opts->conflict, m->name);
    } else {
        pgorm_buf_puts(&what, "the conflict target ");
        put_columns(&what, m, opts->conflict);
        pgorm_buf_puts(&what, " has no primary key or unique constraint in the schema (ON "
                              "CONFLICT needs one)");
    }
    if (what.oom)
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory describing the conflict target");
    else
        refuse_target(b, what.data);
    pgorm_buf_free(&what);
    return -1;
}

void pgorm_upsert_target(pgorm_sqlb *b, const pgorm_upsert *opts, upsert_target *t)
{
    memset(t, 0, sizeof *t);
    if (pgorm_sqlb_failed(b))
        return;
    const pgorm_model_desc *m = b->m;
    if (!opts) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "the options are NULL: name a conflict target (.conflict = <column "
                        "bits> or .constraint = \"<name>\")");
        return;
    }
    int k = find_target(b, opts);
    if (k < 0)
        return;
    t->conflict = m->unique_masks[k];
    t->constraint = opts->constraint;
    t->send = pgorm_insert_sent(m, t->conflict);
    if (opts->do_nothing && (opts->update || opts->where.kind != PGORM_PRED_NONE)) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "do_nothing with %s: DO NOTHING updates nothing (leave .update and "
                        ".where zero)",
                        opts->update ? ".update" : ".where");
        return;
    }
    uint64_t u = opts->update;
    if (u & ~all_columns(m)) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "the update mask 0x%llx names columns %s does not have",
                        (unsigned long long)u, m->name);
    } else if (u & t->conflict) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "the update mask includes %s, a column of the conflict target (a "
                        "conflicting row already has the incoming value)",
                        m->columns[lowest(u & t->conflict)].name);
    } else if (u & ~t->send) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "the update mask includes %s, which the server generates: the rows do "
                        "not carry a value for it",
                        m->columns[lowest(u & ~t->send)].name);
    }
}

/* ---------------------------------------------------------------- */
/* The statement                                                     */

/* The default update set: every sent column but the conflict target and
   the primary key, without the defaulted columns no row gives a value. */
static uint64_t default_update(const pgorm_model_desc *m, const upsert_target *t,
                               const void *rows, size_t n)
{
    uint64_t u = t->send & ~t->conflict & ~m->pk_mask;
    const char *base = rows;
    for (size_t i = 0; i < m->ncolumns; i++) {
        const pgorm_column_desc *c = &m->columns[i];
        if (!(u >> i & 1) || !(c->flags & PGORM_COL_DEFAULT))
            continue;
        bool given = false;
        for (size_t r = 0; r < n && !given; r++)
            given = !pgorm_codec_is_null(c, base + r * m->struct_size);
        if (!given)
            u &= ~(UINT64_C(1) << i);
    }
    return u;
}

static const char *cmp_excluded(pgorm_cmp op)
{
    switch (op) {
    case PGORM_EQ: return " IS NOT DISTINCT FROM ";
    case PGORM_NE: return " IS DISTINCT FROM ";
    case PGORM_LT: return " < ";
    case PGORM_LE: return " <= ";
    case PGORM_GT: return " > ";
    case PGORM_GE: return " >= ";
    }
    return NULL;
}

/* The condition of DO UPDATE: the SQL builder's predicates, plus
   PGORM_PRED_EXCLUDED leaves anywhere under AND / OR / NOT. */
static void cond(pgorm_sqlb *b, const pgorm_pred *p, int depth)
{
    if (pgorm_sqlb_failed(b))
        return;
    if (depth > MAX_COND_DEPTH) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "the condition is nested deeper than %d (a cycle in AND/OR/NOT?)",
                        MAX_COND_DEPTH);
        return;
    }
    switch (p->kind) {
    case PGORM_PRED_EXCLUDED: {
        const char *op = cmp_excluded(p->op);
        if (p->model != b->m || p->column >= b->m->ncolumns || !op) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "an EXCLUDED comparison is about model %s column %u with operator "
                            "%d: build it with %s's _excluded functions",
                            p->model && p->model->name ? p->model->name : "(none)", p->column,
                            (int)p->op, b->m->name);
            return;
        }
        pgorm_sqlb_column(b, p->column);
        pgorm_sqlb_puts(b, op);
        pgorm_sqlb_puts(b, "EXCLUDED.");
        pgorm_sql_ident(&b->sql, b->m->columns[p->column].name);
        return;
    }
    case PGORM_PRED_AND:
    case PGORM_PRED_OR: {
        bool and = p->kind == PGORM_PRED_AND;
        if (p->nkids == 0 || !p->kids) {
            pgorm_sqlb_pred(b, p); /* TRUE / FALSE, or its refusal */
            return;
        }
        pgorm_sqlb_puts(b, "(");
        for (size_t i = 0; i < p->nkids; i++) {
            if (i)
                pgorm_sqlb_puts(b, and ? " AND " : " OR ");
            cond(b, &p->kids[i], depth + 1);
        }
        pgorm_sqlb_puts(b, ")");
        return;
    }
    case PGORM_PRED_NOT:
        if (p->nkids != 1 || !p->kids) {
            pgorm_sqlb_pred(b, p); /* its refusal */
            return;
        }
        pgorm_sqlb_puts(b, "NOT (");
        cond(b, p->kids, depth + 1);
        pgorm_sqlb_puts(b, ")");
        return;
    default:
        pgorm_sqlb_pred(b, p);
    }
}

/* t."a" = <prefix>"a" AND t."b" = <prefix>"b", or with k1, k2 for a
   prefix ending in '.k' (the unnest of the conflict keys). */
static void key_equal(pgorm_sqlb *b, uint64_t conflict, const char *prefix, bool numbered)
{
    size_t k = 0;
    for (size_t i = 0; i < b->m->ncolumns; i++) {
        if (!(conflict >> i & 1))
            continue;
        pgorm_sqlb_puts(b, k++ ? " AND " : "");
        pgorm_sqlb_column(b, i);
        pgorm_sqlb_puts(b, " = ");
        pgorm_sqlb_puts(b, prefix);
        if (numbered)
            pgorm_buf_printf(&b->sql, "%zu", k);
        else
            pgorm_sql_ident(&b->sql, b->m->columns[i].name);
    }
}

/* The stored rows of the inputs the insert did not return. `first` is the
   number of the first parameter of the row source. */
static void existing_rows(pgorm_sqlb *b, const upsert_target *t, int first)
{
    const pgorm_model_desc *m = b->m;
    pgorm_sqlb_puts(b, ") SELECT * FROM pgorm_ins UNION ALL SELECT ");
    pgorm_sqlb_columns(b, all_columns(m));
    pgorm_sqlb_puts(b, ", NULL::bool FROM ");
    pgorm_sqlb_table(b);
    pgorm_sqlb_puts(b, " AS t JOIN unnest(");
    size_t k = 0;
    for (size_t i = 0; i < m->ncolumns; i++) {
        if (!(t->conflict >> i & 1))
            continue;
        /* the conflict column's array, sent once for the row source */
        int param = first;
        for (size_t j = 0; j < i; j++)
            param += (int)(t->send >> j & 1);
        pgorm_buf_printf(&b->sql, "%s$%d::%s[]", k++ ? ", " : "", param,
                         pgorm_codec_name(m->columns[i].type));
    }
    pgorm_sqlb_puts(b, ") AS pgorm_k(");
    for (size_t j = 1; j <= k; j++)
        pgorm_buf_printf(&b->sql, "%sk%zu", j > 1 ? ", " : "", j);
    pgorm_sqlb_puts(b, ") ON ");
    key_equal(b, t->conflict, "pgorm_k.k", true);
    pgorm_sqlb_puts(b, " WHERE NOT EXISTS (SELECT 1 FROM pgorm_ins WHERE ");
    key_equal(b, t->conflict, "pgorm_ins.", false);
    pgorm_sqlb_puts(b, ")");
}

void pgorm_upsert_build(pgorm_sqlb *b, const pgorm_upsert *opts, const upsert_target *t,
                        const void *rows, size_t n)
{
    if (pgorm_sqlb_failed(b))
        return;
    const pgorm_model_desc *m = b->m;
    bool cte = opts->return_existing &&
               (opts->do_nothing || opts->where.kind != PGORM_PRED_NONE);
    if (cte)
        pgorm_sqlb_puts(b, "WITH pgorm_ins AS (");
    pgorm_sqlb_puts(b, "INSERT INTO ");
    pgorm_sqlb_table(b);
    pgorm_sqlb_puts(b, " AS t");
    int first = b->nparams + 1;
    b->alias = NULL;
    pgorm_insert_select(b, rows, n, t->send);
    if (t->constraint) {
        pgorm_sqlb_puts(b, " ON CONFLICT ON CONSTRAINT ");
        pgorm_sql_ident(&b->sql, t->constraint);
    } else {
        pgorm_sqlb_puts(b, " ON CONFLICT (");
        pgorm_sqlb_columns(b, t->conflict);
        pgorm_sqlb_puts(b, ")");
    }
    if (opts->do_nothing) {
        pgorm_sqlb_puts(b, " DO NOTHING");
    } else {
        uint64_t u = opts->update ? opts->update : default_update(m, t, rows, n);
        if (!u) /* nothing to change: a no-op assignment still returns the row */
            u = UINT64_C(1) << lowest(t->conflict);
        pgorm_sqlb_puts(b, " DO UPDATE SET ");
        bool firstcol = true;
        for (size_t i = 0; i < m->ncolumns; i++) {
            if (!(u >> i & 1))
                continue;
            if (!firstcol)
                pgorm_sqlb_puts(b, ", ");
            firstcol = false;
            pgorm_sqlb_column(b, i);
            pgorm_sqlb_puts(b, " = EXCLUDED.");
            pgorm_sqlb_column(b, i);
        }
        b->alias = "t";
        if (opts->where.kind != PGORM_PRED_NONE) {
            pgorm_sqlb_puts(b, " WHERE ");
            cond(b, &opts->where, 0);
        }
    }
    b->alias = "t";
    pgorm_sqlb_puts(b, " RETURNING ");
    pgorm_sqlb_columns(b, all_columns(m));
    pgorm_sqlb_puts(b, ", t.xmax = 0");
    if (cte)
        existing_rows(b, t, first);
    b->alias = NULL;
}
