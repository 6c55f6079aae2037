/* The SQL builder (see sql.h): statement text, binary parameters, and the
 * checks on what callers pass in (predicates, orders, keys).
 */
#include "runtime/query/sql.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime/codec/codec.h"
#include "util/sqlq.h"

/* Nesting deeper than this is refused: it is a mistake (or a cycle). */
#define MAX_PRED_DEPTH 64

typedef struct sqlb_param {
    size_t off; /* of the value in *vals */
    int len;    /* -1: NULL */
    Oid oid;
} sqlb_param;

void pgorm_sqlb_fail(pgorm_sqlb *b, pgorm_errcode code, const char *fmt, ...)
{
    if (b->code != PGORM_OK)
        return;
    b->code = code;
    const pgorm_model_desc *m = b->msg_m ? b->msg_m : b->m;
    int n = snprintf(b->message, sizeof b->message, "%s(%s): ", b->what,
                     m && m->name ? m->name : "?");
    if (n < 0 || (size_t)n >= sizeof b->message)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->message + n, sizeof b->message - (size_t)n, fmt, ap);
    va_end(ap);
}

void pgorm_sqlb_init(pgorm_sqlb *b, pgorm_buf *vals, const pgorm_model_desc *m,
                     const char *what)
{
    memset(b, 0, sizeof *b);
    b->vals = vals;
    b->m = m;
    b->what = what;
    if (!m || !m->table || !m->columns || m->ncolumns == 0 || m->ncolumns > 64) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "the model descriptor is missing or malformed (needs a table and 1 to "
                        "64 columns)");
        return;
    }
    for (size_t i = 0; i < m->ncolumns; i++)
        if (!m->columns[i].name || !pgorm_codec_known(m->columns[i].type)) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "column %zu of the descriptor has no name or an unknown type %d", i,
                            (int)m->columns[i].type);
            return;
        }
}

void pgorm_sqlb_free(pgorm_sqlb *b)
{
    pgorm_buf_free(&b->sql);
    pgorm_buf_free(&b->meta);
}

bool pgorm_sqlb_failed(const pgorm_sqlb *b)
{
    return b->code != PGORM_OK || b->sql.oom || b->meta.oom || b->vals->oom;
}

void pgorm_sqlb_puts(pgorm_sqlb *b, const char *s)
{
    if (!b->no_text)
        pgorm_buf_puts(&b->sql, s);
}

void pgorm_sqlb_table(pgorm_sqlb *b)
{
    if (!b->no_text)
        pgorm_sql_ident(&b->sql, b->m->table);
}

void pgorm_sqlb_column(pgorm_sqlb *b, size_t col)
{
    if (b->no_text)
        return;
    if (b->alias) {
        pgorm_sql_ident(&b->sql, b->alias);
        pgorm_buf_putc(&b->sql, '.');
    }
    pgorm_sql_ident(&b->sql, b->m->columns[col].name);
}

void pgorm_sqlb_columns(pgorm_sqlb *b, uint64_t mask)
{
    if (b->no_text)
        return;
    bool first = true;
    for (size_t i = 0; i < b->m->ncolumns; i++) {
        if (!(mask & (UINT64_C(1) << i)))
            continue;
        if (!first)
            pgorm_buf_puts(&b->sql, ", ");
        first = false;
        pgorm_sqlb_column(b, i);
    }
}

uint64_t pgorm_sqlb_read_mask(pgorm_sqlb *b, uint64_t columns)
{
    if (pgorm_sqlb_failed(b))
        return 0;
    const pgorm_model_desc *m = b->m;
    uint64_t all = m->ncolumns >= 64 ? UINT64_MAX : (UINT64_C(1) << m->ncolumns) - 1;
    if (columns == 0)
        return all;
    if (columns & ~all) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        ".columns 0x%llx has bits %s does not have (0x%llx; its %zu columns "
                        "are 0x%llx): use the model's own column bits",
                        (unsigned long long)columns, m->name,
                        (unsigned long long)(columns & ~all), m->ncolumns,
                        (unsigned long long)all);
        return 0;
    }
    return columns | (m->pk_mask & all);
}

/* ---------------------------------------------------------------- */
/* Parameters                                                        */

/* Record the parameter whose bytes start at `off` (rc: 1 value, 0 NULL,
   -1 refused) and name it in the text. */
static void add_param(pgorm_sqlb *b, Oid oid, size_t off, int rc, const char *why,
                      const char *label)
{
    if (rc < 0) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s: %s", label, why);
        return;
    }
    if (b->vals->len - off > INT32_MAX) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s: a parameter of %zu bytes is too large",
                        label, b->vals->len - off);
        return;
    }
    sqlb_param p = {off, rc == 0 ? -1 : (int)(b->vals->len - off), oid};
    pgorm_buf_append(&b->meta, &p, sizeof p);
    b->nparams++;
    if (!b->no_text)
        pgorm_buf_printf(&b->sql, "$%d", b->nparams);
}

void pgorm_sqlb_param(pgorm_sqlb *b, Oid oid, size_t off, int rc, const char *why,
                      const char *label)
{
    add_param(b, oid, off, rc, why, label);
}

void pgorm_sqlb_value(pgorm_sqlb *b, pgorm_type t, const void *v, const char *label)
{
    if (pgorm_sqlb_failed(b))
        return;
    char why[160] = "";
    size_t off = b->vals->len;
    int rc = pgorm_codec_encode(t, v, b->vals, why, sizeof why);
    add_param(b, pgorm_codec_oid(t), off, rc, why, label);
}

/* An enum's parameter is text: cast it to the column's type. */
static void enum_cast(pgorm_sqlb *b, const pgorm_column_desc *c, bool array)
{
    if (c->type != PGORM_ENUM)
        return;
    pgorm_sqlb_puts(b, "::");
    pgorm_sqlb_puts(b, c->sql_type ? c->sql_type : "text");
    if (array)
        pgorm_sqlb_puts(b, "[]");
}

void pgorm_sqlb_col_value(pgorm_sqlb *b, const pgorm_column_desc *c, const void *v,
                          const char *label)
{
    if (c->type != PGORM_ENUM) {
        pgorm_sqlb_value(b, c->type, v, label);
        return;
    }
    if (pgorm_sqlb_failed(b))
        return;
    char why[160] = "";
    size_t off = b->vals->len;
    int rc = pgorm_codec_encode_enum(c, v, b->vals, why, sizeof why);
    add_param(b, pgorm_codec_oid(c->type), off, rc, why, label);
    enum_cast(b, c, false);
}

void pgorm_sqlb_col_array(pgorm_sqlb *b, const pgorm_column_desc *c, const void *vals,
                          const void *has, size_t n, size_t stride, const char *label)
{
    if (c->type != PGORM_ENUM) {
        pgorm_sqlb_array(b, c->type, vals, has, n, stride, label);
        return;
    }
    if (pgorm_sqlb_failed(b))
        return;
    char why[160] = "";
    size_t off = b->vals->len;
    int rc = pgorm_codec_encode_array_col(c, vals, has, n, stride, b->vals, why, sizeof why);
    add_param(b, pgorm_codec_array_oid(c->type), off, rc < 0 ? -1 : 1, why, label);
    enum_cast(b, c, true);
}

void pgorm_sqlb_field(pgorm_sqlb *b, size_t col, const void *row)
{
    if (pgorm_sqlb_failed(b))
        return;
    const pgorm_column_desc *c = &b->m->columns[col];
    if (c->array) {
        char why[160] = "";
        size_t off = b->vals->len;
        int rc = pgorm_codec_encode_array_field(c, row, b->vals, why, sizeof why);
        add_param(b, pgorm_codec_array_oid(c->type), off, rc, why, c->name);
        return;
    }
    if (pgorm_codec_is_null(c, row)) {
        add_param(b, pgorm_codec_oid(c->type), b->vals->len, 0, "", c->name);
        enum_cast(b, c, false);
        return;
    }
    pgorm_sqlb_col_value(b, c, (const char *)row + c->offset, c->name);
}

void pgorm_sqlb_array(pgorm_sqlb *b, pgorm_type t, const void *vals, const void *has, size_t n,
                      size_t stride, const char *label)
{
    if (pgorm_sqlb_failed(b))
        return;
    char why[160] = "";
    size_t off = b->vals->len;
    int rc = pgorm_codec_encode_array(t, vals, has, n, stride, b->vals, why, sizeof why);
    add_param(b, pgorm_codec_array_oid(t), off, rc < 0 ? -1 : 1, why, label);
}

void pgorm_sqlb_int8(pgorm_sqlb *b, int64_t v)
{
    pgorm_sqlb_value(b, PGORM_INT8, &v, "int8");
}

/* ---------------------------------------------------------------- */
/* Predicates                                                        */

static const char *cmp_sql(pgorm_cmp op)
{
    switch (op) {
    case PGORM_EQ: return " = ";
    case PGORM_NE: return " <> ";
    case PGORM_LT: return " < ";
    case PGORM_LE: return " <= ";
    case PGORM_GT: return " > ";
    case PGORM_GE: return " >= ";
    }
    return NULL;
}

/* Check a leaf's model and column; the column's descriptor or NULL. */
static const pgorm_column_desc *leaf_column(pgorm_sqlb *b, const pgorm_pred *p)
{
    if (p->model != b->m) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "a predicate is about model %s, not %s (build it with %s's functions)",
                        p->model && p->model->name ? p->model->name : "(none)", b->m->name,
                        b->m->name);
        return NULL;
    }
    if (p->column >= b->m->ncolumns) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "a predicate names column %u, but %s has %zu columns", p->column,
                        b->m->name, b->m->ncolumns);
        return NULL;
    }
    return &b->m->columns[p->column];
}

static void pred(pgorm_sqlb *b, const pgorm_pred *p, int depth);

/* The model of the first leaf below p that is not about m (NULL: none). */
static const pgorm_model_desc *foreign_leaf(const pgorm_pred *p, const pgorm_model_desc *m,
                                            int depth)
{
    if (depth > MAX_PRED_DEPTH)
        return NULL; /* pred() says so */
    switch (p->kind) {
    case PGORM_PRED_NONE:
        return NULL;
    case PGORM_PRED_AND:
    case PGORM_PRED_OR:
    case PGORM_PRED_NOT:
        for (size_t i = 0; p->kids && i < p->nkids; i++) {
            const pgorm_model_desc *f = foreign_leaf(&p->kids[i], m, depth + 1);
            if (f)
                return f;
        }
        return NULL;
    default:
        return p->model == m ? NULL : p->model;
    }
}

/* A relation predicate: a correlated subquery on the relation's target,
   aliased afresh, whose leaves are about the target (and may cross
   further relations, each with an alias of its own). */
static void rel_pred(pgorm_sqlb *b, const pgorm_pred *p, int depth)
{
    const pgorm_model_desc *m = b->m;
    if (p->model != m) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "a relation predicate is about model %s, not %s (build it with %s's "
                        "functions)",
                        p->model && p->model->name ? p->model->name : "(none)", m->name,
                        m->name);
        return;
    }
    bool fk = p->kind == PGORM_PRED_REL_FK;
    const pgorm_rel_desc *r = m->rels && p->column < m->nrels ? &m->rels[p->column] : NULL;
    if (!r || r->kind != (fk ? PGORM_REL_FORWARD : PGORM_REL_BACK)) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "a relation predicate names relation %u of %s, which is not a %s (%s has "
                        "%zu relations)",
                        p->column, m->name, fk ? "ForeignKey" : "BackReference", m->name,
                        m->nrels);
        return;
    }
    const pgorm_model_desc *t = r->target;
    const pgorm_model_desc *keyed = fk ? t : m, *fk_in = fk ? m : t;
    int pk = -1;
    if (t && t->table && t->columns && t->ncolumns && t->ncolumns <= 64 && keyed->pk_mask &&
        !(keyed->pk_mask & (keyed->pk_mask - 1))) {
        pk = 0;
        while (!(keyed->pk_mask & (UINT64_C(1) << pk)))
            pk++;
    }
    if (pk < 0 || (size_t)pk >= keyed->ncolumns || r->fk_column >= fk_in->ncolumns) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "relation %s.%s: %s needs a one-column primary key and %s the foreign "
                        "key column (malformed descriptor?)",
                        m->name, r->name ? r->name : "?", keyed->name ? keyed->name : "?",
                        fk_in->name ? fk_in->name : "?");
        return;
    }
    const pgorm_pred *kid = p->nkids ? p->kids : NULL;
    if (p->nkids > 1 || (p->nkids && !p->kids)) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "relation predicate on %s.%s: it takes one predicate on %s (has %zu)",
                        m->name, r->name, t->name, p->nkids);
        return;
    }
    const pgorm_model_desc *other = kid ? foreign_leaf(kid, t, depth + 1) : NULL;
    if (other) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "%s.%s leads to %s, but the predicate given for it is about %s (build it "
                        "with %s's functions)",
                        m->name, r->name, t->name, other->name ? other->name : "(none)",
                        t->name);
        return;
    }
    if (p->kind == PGORM_PRED_REL_COUNT && !cmp_sql(p->op)) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "unknown comparison %d on the count of %s.%s",
                        (int)p->op, m->name, r->name);
        return;
    }
    /* the outer side is this level's alias, or the table itself (then no
       alias of ours may take its name) */
    const char *outer_name = b->alias ? b->alias : m->table;
    char alias[16];
    do
        snprintf(alias, sizeof alias, "t%u", b->next_alias++);
    while (strcmp(alias, outer_name) == 0);
    if (p->kind == PGORM_PRED_REL_COUNT)
        pgorm_sqlb_puts(b, "(SELECT count(*) FROM ");
    else
        pgorm_sqlb_puts(b, p->kind == PGORM_PRED_REL_NONE ? "NOT EXISTS (SELECT 1 FROM "
                                                          : "EXISTS (SELECT 1 FROM ");
    pgorm_sql_ident(&b->sql, t->table);
    pgorm_buf_printf(&b->sql, " %s WHERE %s.", alias, alias);
    pgorm_sql_ident(&b->sql, t->columns[fk ? (size_t)pk : r->fk_column].name);
    pgorm_sqlb_puts(b, " = ");
    if (b->alias) {
        pgorm_sqlb_column(b, fk ? r->fk_column : (size_t)pk);
    } else {
        pgorm_sql_ident(&b->sql, m->table);
        pgorm_buf_putc(&b->sql, '.');
        pgorm_sql_ident(&b->sql, m->columns[fk ? r->fk_column : (size_t)pk].name);
    }
    if (kid && kid->kind != PGORM_PRED_NONE) {
        pgorm_sqlb_puts(b, " AND (");
        const pgorm_model_desc *saved_msg = b->msg_m;
        const char *saved_alias = b->alias;
        if (!b->msg_m)
            b->msg_m = m;
        b->m = t;
        b->alias = alias;
        pred(b, kid, depth + 1);
        b->m = m;
        b->alias = saved_alias;
        b->msg_m = saved_msg;
        pgorm_sqlb_puts(b, ")");
    }
    pgorm_sqlb_puts(b, ")");
    if (p->kind == PGORM_PRED_REL_COUNT) {
        pgorm_sqlb_puts(b, cmp_sql(p->op));
        pgorm_sqlb_int8(b, p->value.i64);
    }
}

static void pred(pgorm_sqlb *b, const pgorm_pred *p, int depth)
{
    if (pgorm_sqlb_failed(b))
        return;
    if (depth > MAX_PRED_DEPTH) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "predicates nested deeper than %d (a cycle in AND/OR/NOT?)",
                        MAX_PRED_DEPTH);
        return;
    }
    const pgorm_column_desc *c = NULL;
    switch (p->kind) {
    case PGORM_PRED_NONE:
        pgorm_sqlb_puts(b, "TRUE");
        return;
    case PGORM_PRED_CMP:
    case PGORM_PRED_LIKE:
    case PGORM_PRED_ILIKE: {
        if (!(c = leaf_column(b, p)))
            return;
        const char *op = p->kind == PGORM_PRED_LIKE    ? " LIKE "
                         : p->kind == PGORM_PRED_ILIKE ? " ILIKE "
                                                       : cmp_sql(p->op);
        if (!op) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "unknown comparison %d on column %s",
                            (int)p->op, c->name);
            return;
        }
        if (c->array) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "%s is an array column: compare its elements (PGORM_PRED_ARRAY_*)",
                            c->name);
            return;
        }
        if (p->kind != PGORM_PRED_CMP && c->type != PGORM_TEXT) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "LIKE/ILIKE on %s, which is not text",
                            c->name);
            return;
        }
        if ((pgorm_codec_is_pointer(c->type) && !p->value.s) ||
            (c->type == PGORM_BYTEA && !p->value.bytes.data)) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "%s is compared with NULL, which matches nothing (use IS NULL / "
                            "NOT NULL)",
                            c->name);
            return;
        }
        pgorm_sqlb_column(b, p->column);
        pgorm_sqlb_puts(b, op);
        pgorm_sqlb_col_value(b, c, &p->value, c->name);
        return;
    }
    case PGORM_PRED_IS_NULL:
    case PGORM_PRED_NOT_NULL:
        if (!leaf_column(b, p))
            return;
        pgorm_sqlb_column(b, p->column);
        pgorm_sqlb_puts(b, p->kind == PGORM_PRED_IS_NULL ? " IS NULL" : " IS NOT NULL");
        return;
    case PGORM_PRED_ARRAY_HAS:
    case PGORM_PRED_ARRAY_CONTAINS:
    case PGORM_PRED_ARRAY_OVERLAPS:
        if (!(c = leaf_column(b, p)))
            return;
        if (!c->array) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s is not an array column", c->name);
            return;
        }
        if (p->kind == PGORM_PRED_ARRAY_HAS) {
            if ((pgorm_codec_is_pointer(c->type) && !p->value.s) ||
                (c->type == PGORM_BYTEA && !p->value.bytes.data)) {
                pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                                "%s is searched for NULL, which matches nothing", c->name);
                return;
            }
            pgorm_sqlb_col_value(b, c, &p->value, c->name);
            pgorm_sqlb_puts(b, " = ANY(");
            pgorm_sqlb_column(b, p->column);
            pgorm_sqlb_puts(b, ")");
            return;
        }
        if (p->n && !p->array) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s on %s: %zu values but no array",
                            p->kind == PGORM_PRED_ARRAY_CONTAINS ? "contains" : "overlaps",
                            c->name, p->n);
            return;
        }
        pgorm_sqlb_column(b, p->column);
        pgorm_sqlb_puts(b, p->kind == PGORM_PRED_ARRAY_CONTAINS ? " @> " : " && ");
        pgorm_sqlb_array(b, c->type, p->array, NULL, p->n, pgorm_codec_size(c->type), c->name);
        if (c->sql_type) { /* varchar(20)[] @> text[] has no operator */
            pgorm_sqlb_puts(b, "::");
            pgorm_sqlb_puts(b, c->sql_type);
        }
        return;
    case PGORM_PRED_IN:
        if (!(c = leaf_column(b, p)))
            return;
        if (c->array) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "%s is an array column: IN compares scalars (use PGORM_PRED_ARRAY_*)",
                            c->name);
            return;
        }
        if (p->n && !p->array) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "IN on %s: %zu values but no array",
                            c->name, p->n);
            return;
        }
        pgorm_sqlb_column(b, p->column);
        pgorm_sqlb_puts(b, " = ANY(");
        pgorm_sqlb_col_array(b, c, p->array, NULL, p->n, pgorm_codec_size(c->type), c->name);
        pgorm_sqlb_puts(b, ")");
        return;
    case PGORM_PRED_AND:
    case PGORM_PRED_OR: {
        bool and = p->kind == PGORM_PRED_AND;
        if (p->nkids && !p->kids) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s of %zu predicates but no array",
                            and ? "AND" : "OR", p->nkids);
            return;
        }
        if (p->nkids == 0) {
            pgorm_sqlb_puts(b, and ? "TRUE" : "FALSE");
            return;
        }
        pgorm_sqlb_puts(b, "(");
        for (size_t i = 0; i < p->nkids; i++) {
            if (i)
                pgorm_sqlb_puts(b, and ? " AND " : " OR ");
            pred(b, &p->kids[i], depth + 1);
        }
        pgorm_sqlb_puts(b, ")");
        return;
    }
    case PGORM_PRED_NOT:
        if (p->nkids != 1 || !p->kids) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "NOT needs exactly one predicate (has %zu)",
                            p->nkids);
            return;
        }
        pgorm_sqlb_puts(b, "NOT ");
        /* a leaf needs parentheses for precedence; AND/OR bring their own */
        bool paren = p->kids->kind != PGORM_PRED_AND && p->kids->kind != PGORM_PRED_OR;
        if (paren)
            pgorm_sqlb_puts(b, "(");
        pred(b, p->kids, depth + 1);
        if (paren)
            pgorm_sqlb_puts(b, ")");
        return;
    case PGORM_PRED_REL_FK:
    case PGORM_PRED_REL_ANY:
    case PGORM_PRED_REL_NONE:
    case PGORM_PRED_REL_COUNT:
        rel_pred(b, p, depth);
        return;
    case PGORM_PRED_EXCLUDED: /* upsert_sql.c writes these itself */
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "a comparison with the incoming row (EXCLUDED) belongs in an upsert's "
                        ".where only");
        return;
    }
    pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "unknown predicate kind %d", (int)p->kind);
}

void pgorm_sqlb_pred(pgorm_sqlb *b, const pgorm_pred *p)
{
    pred(b, p, 0);
}

void pgorm_sqlb_pred_on(pgorm_sqlb *b, const pgorm_pred *p, const pgorm_model_desc *m,
                        const char *alias)
{
    const pgorm_model_desc *saved_m = b->m, *saved_msg = b->msg_m;
    const char *saved_alias = b->alias;
    if (!b->msg_m)
        b->msg_m = b->m;
    b->m = m;
    b->alias = alias;
    pred(b, p, 0);
    b->m = saved_m;
    b->alias = saved_alias;
    b->msg_m = saved_msg;
}

void pgorm_sqlb_where(pgorm_sqlb *b, const pgorm_pred *where)
{
    if (!where || where->kind == PGORM_PRED_NONE)
        return;
    pgorm_sqlb_puts(b, " WHERE ");
    pred(b, where, 0);
}

void pgorm_sqlb_order(pgorm_sqlb *b, const pgorm_order *order, size_t max)
{
    for (size_t i = 0; i < max && order[i].column; i++) {
        uint64_t bit = order[i].column;
        size_t col = 0;
        while (col < 64 && !(bit & (UINT64_C(1) << col)))
            col++;
        if ((bit & (bit - 1)) != 0 || col >= b->m->ncolumns) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "order[%zu] is 0x%llx: it must be exactly one column bit of %s "
                            "(%zu columns)",
                            i, (unsigned long long)bit, b->m->name, b->m->ncolumns);
            return;
        }
        pgorm_sqlb_puts(b, i ? ", " : " ORDER BY ");
        pgorm_sqlb_column(b, col);
        if (order[i].desc)
            pgorm_sqlb_puts(b, " DESC");
    }
}

void pgorm_sqlb_key(pgorm_sqlb *b, const void *key)
{
    if (pgorm_sqlb_failed(b))
        return;
    if (!key) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "the key is NULL");
        return;
    }
    const pgorm_model_desc *m = b->m;
    uint64_t all = m->ncolumns == 64 ? UINT64_MAX : (UINT64_C(1) << m->ncolumns) - 1;
    if (m->pk_mask == 0 || (m->pk_mask & ~all)) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s has no primary key to find rows by",
                        m->name);
        return;
    }
    bool first = true;
    for (size_t i = 0; i < m->ncolumns; i++) {
        if (!(m->pk_mask & (UINT64_C(1) << i)))
            continue;
        if (pgorm_codec_is_null(&m->columns[i], key)) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "key column %s is not set",
                            m->columns[i].name);
            return;
        }
        pgorm_sqlb_puts(b, first ? " WHERE " : " AND ");
        first = false;
        pgorm_sqlb_column(b, i);
        pgorm_sqlb_puts(b, " = ");
        pgorm_sqlb_field(b, i, key);
    }
}

/* ---------------------------------------------------------------- */
/* Finish                                                            */

static size_t pad_to(size_t n, size_t align)
{
    return (n + align - 1) / align * align;
}

int pgorm_sqlb_finish(pgorm_sqlb *b, pgorm_op *op)
{
    if (pgorm_sqlb_failed(b)) {
        if (b->code == PGORM_OK)
            pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory building the statement");
        return -1;
    }
    size_t n = (size_t)b->nparams;
    if (n > 65535) { /* the protocol counts parameters in 16 bits */
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "%zu parameters (at most 65535): use IN with one array instead of "
                        "many comparisons",
                        n);
        return -1;
    }
    pgorm_buf *v = b->vals;
    /* after the value bytes: Oid types[n], int lengths[n], int formats[n],
       const char *values[n], each aligned */
    size_t at_types = pad_to(v->len, alignof(Oid));
    size_t at_lengths = pad_to(at_types + n * sizeof(Oid), alignof(int));
    size_t at_formats = at_lengths + n * sizeof(int);
    size_t at_values = pad_to(at_formats + n * sizeof(int), alignof(const char *));
    size_t end = at_values + n * sizeof(const char *);
    if (!pgorm_buf_reserve(v, end - v->len)) {
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory building the statement");
        return -1;
    }
    /* the buffer is 8-byte aligned (malloc), so offsets align addresses */
    memset(v->data + v->len, 0, end - v->len);
    v->len = end;
    Oid *types = (Oid *)(void *)(v->data + at_types);
    int *lengths = (int *)(void *)(v->data + at_lengths);
    int *formats = (int *)(void *)(v->data + at_formats);
    const char **values = (const char **)(void *)(v->data + at_values);
    const sqlb_param *ps = (const sqlb_param *)(void *)b->meta.data;
    for (size_t i = 0; i < n; i++) {
        types[i] = ps[i].oid;
        lengths[i] = ps[i].len < 0 ? 0 : ps[i].len;
        formats[i] = 1;
        values[i] = ps[i].len < 0 ? NULL : v->data + ps[i].off;
    }
    char *sql = b->no_text ? NULL : pgorm_buf_steal(&b->sql);
    if (!sql && !b->no_text) {
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory building the statement");
        return -1;
    }
    if (!b->no_text)
        op->sql = sql;
    op->nparams = (int)n;
    op->param_types = n ? types : NULL;
    op->param_values = n ? values : NULL;
    op->param_lengths = n ? lengths : NULL;
    op->param_formats = n ? formats : NULL;
    op->result_format = 1;
    return 0;
}
