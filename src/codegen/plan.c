/* Planning: names, types, flags, keys and relations for every model. */
#include "codegen/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "migrate/ddl.h"
#include "util/buf.h"

/* Names the generated functions use for their parameters and locals: no
   file-scope name may take one (it would be shadowed, and -Wshadow says so). */
static const char *const locals[] = {
    "cb",      "columns", "count", "db",  "err", "fn",   "key", "msg", "n",      "nomem", "out",
    "pattern", "q",       "rc",    "res", "row", "rows", "ud",  "v",   "values", "where", "opts",
    "params",
};

static const char *const fn_suffix[CG_FN_COUNT] = {
    [CG_ROWS_FREE] = "rows_free",
    [CG_INSERT] = "insert",
    [CG_INSERT_SYNC] = "insert_sync",
    [CG_FIND] = "find",
    [CG_FIND_SYNC] = "find_sync",
    [CG_GET] = "get",
    [CG_GET_SYNC] = "get_sync",
    [CG_COUNT] = "count",
    [CG_COUNT_SYNC] = "count_sync",
    [CG_UPDATE] = "update",
    [CG_UPDATE_SYNC] = "update_sync",
    [CG_UPDATE_WHERE] = "update_where",
    [CG_UPDATE_WHERE_SYNC] = "update_where_sync",
    [CG_DELETE] = "delete",
    [CG_DELETE_SYNC] = "delete_sync",
    [CG_DELETE_WHERE] = "delete_where",
    [CG_DELETE_WHERE_SYNC] = "delete_where_sync",
};

static const char *const op_suffix[CG_OP_COUNT] = {
    [CG_EQ] = "eq",
    [CG_NE] = "ne",
    [CG_LT] = "lt",
    [CG_LE] = "le",
    [CG_GT] = "gt",
    [CG_GE] = "ge",
    [CG_IN] = "in",
    [CG_LIKE] = "like",
    [CG_ILIKE] = "ilike",
    [CG_IS_NULL] = "is_null",
    [CG_NOT_NULL] = "not_null",
    [CG_HAS] = "has",
    [CG_CONTAINS] = "contains",
    [CG_OVERLAPS] = "overlaps",
};

static bool op_applies(const cg_col *c, cg_op op)
{
    bool array = c->field->type.array;
    if (op == CG_HAS || op == CG_CONTAINS || op == CG_OVERLAPS)
        return array && !c->ct->no_eq; /* json[]: its elements have no '=' */
    if (array && op != CG_IS_NULL && op != CG_NOT_NULL)
        return false; /* its elements are compared, not the whole array */
    switch (op) {
    case CG_LT:
    case CG_LE:
    case CG_GT:
    case CG_GE:
        return c->ct->ordered;
    case CG_LIKE:
    case CG_ILIKE:
        return c->ct->text;
    case CG_IS_NULL:
    case CG_NOT_NULL:
        return c->field->nullable;
    default: /* eq, ne, in */
        return !c->ct->no_eq;
    }
}

typedef struct planner {
    cg_plan *p;
    cg_names globals;     /* file scope of the generated code (types, functions, macros) */
    cg_names all_members; /* every struct member: macros must not take these names */
    pgorm_diag *diag;
    pgorm_codegen_status status;
} planner;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static pgorm_codegen_status
invalid(planner *pl, pgorm_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl->diag->pos = pos;
    vsnprintf(pl->diag->message, sizeof pl->diag->message, fmt, ap);
    va_end(ap);
    return pl->status = PGORM_CODEGEN_INVALID;
}

static bool is_serial(const pgorm_field *f)
{
    return f->kind == PGORM_FIELD_SCALAR &&
           (f->type.scalar == PGORM_S_SERIAL || f->type.scalar == PGORM_S_BIGSERIAL);
}

/* The type as a cast names it: serial and bigserial are int4 and int8 there. */
static const char *sql_type(pgorm_arena *a, pgorm_coltype t)
{
    if (t.scalar == PGORM_S_SERIAL)
        t.scalar = PGORM_S_INT4;
    else if (t.scalar == PGORM_S_BIGSERIAL)
        t.scalar = PGORM_S_INT8;
    char buf[64];
    const char *s = pgorm_coltype_sql(t, buf, sizeof buf);
    return s ? cg_fmt(a, "%s", s) : NULL;
}

static const char *default_sql(pgorm_arena *a, const pgorm_field *f, bool *oom)
{
    if (f->def.kind == PGORM_DEFAULT_NONE)
        return NULL;
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_ddl_default_expr(&b, &f->def, f->type);
    const char *s = b.oom ? NULL : cg_fmt(a, "%s", b.data ? b.data : "");
    *oom = !s;
    pgorm_buf_free(&b);
    return s;
}

/* A fixed-size value that can be NULL or is left to its default needs a
   has_ flag; pointers use NULL, serials are always the server's. */
static bool needs_has(const pgorm_field *f, const cg_ctype *ct)
{
    return !ct->pointer && !f->type.array && !is_serial(f) &&
           (f->nullable || f->def.kind != PGORM_DEFAULT_NONE);
}

/* Member names: fields keep theirs unless it is a keyword; then keyword
   fields get a trailing underscore (after the others, so a field written
   `default_` keeps its name next to one written `default`); then the has_
   flags. */
static pgorm_codegen_status plan_members(planner *pl, cg_model *cm, cg_names *members)
{
    pgorm_arena *a = &pl->p->arena;
    const pgorm_model *m = cm->m;
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < m->nfields; i++) {
            const pgorm_field *f = &m->fields[i];
            cg_field *cf = &cm->fields[i];
            char *id = cg_ident(a, f->name);
            if (!id)
                return PGORM_CODEGEN_NOMEM;
            if (pass < 2 && cg_is_reserved(id) == (pass == 1)) {
                cf->field = f;
                if (!(cf->member = cg_names_claim(members, id, NULL)))
                    return PGORM_CODEGEN_NOMEM;
            }
            const cg_ctype *ct = cg_ctype_of(f->type.scalar);
            if (pass == 2 && f->kind == PGORM_FIELD_SCALAR && f->type.array) {
                const char *h = cg_fmt(a, "%s_count", id);
                if (!h || !(cf->count = cg_names_claim(members, h, NULL)))
                    return PGORM_CODEGEN_NOMEM;
            }
            if (pass == 2 && f->kind == PGORM_FIELD_SCALAR && ct && needs_has(f, ct)) {
                const char *h = cg_fmt(a, "has_%s", id);
                if (!h || !(cf->has = cg_names_claim(members, h, NULL)))
                    return PGORM_CODEGEN_NOMEM;
            }
        }
    }
    for (size_t i = 0; i < m->nfields; i++)
        if (!cg_names_add(&pl->all_members, cm->fields[i].member) ||
            (cm->fields[i].has && !cg_names_add(&pl->all_members, cm->fields[i].has)) ||
            (cm->fields[i].count && !cg_names_add(&pl->all_members, cm->fields[i].count)))
            return PGORM_CODEGEN_NOMEM;
    return PGORM_CODEGEN_OK;
}

/* The column of a scalar or ForeignKey field: C type, flags, SQL spelling. */
static pgorm_codegen_status plan_column(planner *pl, cg_model *cm, cg_field *cf)
{
    pgorm_arena *a = &pl->p->arena;
    const pgorm_field *f = cf->field;
    const cg_ctype *ct = cg_ctype_of(f->type.scalar);
    const cg_enum *ce = NULL;
    if (f->type.scalar == PGORM_S_ENUM) {
        if (f->enum_index >= pl->p->nenums)
            return invalid(pl, f->type_pos, "field %s.%s: its enum is not resolved", cm->m->name,
                           f->name);
        ce = &pl->p->enums[f->enum_index];
        ct = &ce->ct;
    }
    if (!ct)
        return invalid(pl, f->type_pos, "field %s.%s: no C type for this column type", cm->m->name,
                       f->name);
    cg_col *c = &cm->cols[cm->ncols];
    c->field = f;
    c->ct = ct;
    c->index = cm->ncols++;
    cf->col = c;
    c->flags = (f->nullable ? PGORM_COL_NULLABLE : 0u) | (f->is_unique ? PGORM_COL_UNIQUE : 0u) |
               (f->kind == PGORM_FIELD_FOREIGN_KEY ? PGORM_COL_FK : 0u) |
               (is_serial(f) ? PGORM_COL_GENERATED : 0u) |
               (f->def.kind != PGORM_DEFAULT_NONE ? PGORM_COL_DEFAULT : 0u);
    bool oom = false;
    c->sql_type = ce ? ce->sql_type : sql_type(a, f->type);
    c->default_sql = default_sql(a, f, &oom);
    bool has = needs_has(f, ct);
    if (f->kind == PGORM_FIELD_FOREIGN_KEY) {
        c->value = cg_fmt(a, "%s.key", cf->member);
        c->has = has ? cg_fmt(a, "%s.has_key", cf->member) : NULL;
    } else {
        c->value = cf->member;
        c->has = cf->has;
        c->count = cf->count;
    }
    if (!c->sql_type || oom || !c->value || (has && !c->has))
        return PGORM_CODEGEN_NOMEM;
    return PGORM_CODEGEN_OK;
}

/* A BackReference or a ManyToMany is a list of rows, not a column. */
static bool has_column(const pgorm_field *f)
{
    return f->kind != PGORM_FIELD_BACK_REFERENCE && f->kind != PGORM_FIELD_MANY_TO_MANY;
}

/* Struct members, then the columns and their C types. */
static pgorm_codegen_status plan_fields(planner *pl, cg_model *cm)
{
    pgorm_arena *a = &pl->p->arena;
    const pgorm_model *m = cm->m;
    size_t ncols = 0, nrels = 0;
    for (size_t i = 0; i < m->nfields; i++) {
        ncols += has_column(&m->fields[i]);
        nrels += m->fields[i].kind != PGORM_FIELD_SCALAR;
    }
    if (ncols == 0)
        return invalid(pl, m->pos, "model %s has no columns: give it at least one field", m->name);
    if (ncols > 64)
        return invalid(pl, m->pos,
                       "model %s has %zu columns; pgorm supports at most 64 per model (a set of "
                       "columns is a 64-bit mask): split it into two models",
                       m->name, ncols);
    cm->fields = pgorm_arena_calloc(a, m->nfields, sizeof *cm->fields);
    cm->cols = pgorm_arena_calloc(a, ncols, sizeof *cm->cols);
    cm->rels = pgorm_arena_calloc(a, nrels, sizeof *cm->rels);
    if (!cm->fields || !cm->cols || !cm->rels)
        return PGORM_CODEGEN_NOMEM;
    cg_names members;
    cg_names_init(&members, a);
    pgorm_codegen_status st = plan_members(pl, cm, &members);
    cg_names_free(&members);
    for (size_t i = 0; i < m->nfields && st == PGORM_CODEGEN_OK; i++)
        if (has_column(&m->fields[i]))
            st = plan_column(pl, cm, &cm->fields[i]);
    return st;
}

#define CLAIM(dst, ...)                                                                            \
    do {                                                                                           \
        const char *base_ = cg_fmt(a, __VA_ARGS__);                                                \
        if (!base_ || !((dst) = cg_names_claim(&pl->globals, base_, NULL)))                        \
            return PGORM_CODEGEN_NOMEM;                                                            \
    } while (0)

/* File-scope names: typedefs, functions, statics, macros, predicates. */
static pgorm_codegen_status plan_names(planner *pl, cg_model *cm)
{
    pgorm_arena *a = &pl->p->arena;
    const char *snake = cg_snake(a, cm->m->name, false);
    const char *upper = cg_snake(a, cm->m->name, true);
    if (!snake || !upper)
        return PGORM_CODEGEN_NOMEM;
    CLAIM(cm->query, "%sQuery", cm->type);
    CLAIM(cm->rows, "%sRows", cm->type);
    CLAIM(cm->rows_cb, "%sRowsCb", cm->type);
    CLAIM(cm->desc, "%s_model", snake);
    for (int f = 0; f < CG_FN_COUNT; f++)
        CLAIM(cm->fn[f], "%s_%s", snake, fn_suffix[f]);
    CLAIM(cm->columns_var, "%s_columns", snake);
    CLAIM(cm->rels_var, "%s_rels", snake);
    CLAIM(cm->unique_var, "%s_unique", snake);
    CLAIM(cm->rows_of, "%s_rows_of", snake);
    CLAIM(cm->deliver, "%s_deliver", snake);
    CLAIM(cm->wrap, "%s_rows_wrap", snake);
    CLAIM(cm->upsert, "%s_upsert", snake);
    CLAIM(cm->upsert_sync, "%s_upsert_sync", snake);
    CLAIM(cm->unique_names_var, "%s_unique_names", snake);
    CLAIM(cm->stream, "%s_stream", snake);
    CLAIM(cm->stream_cb, "%sStreamCb", cm->type);
    CLAIM(cm->stream_deliver, "%s_stream_deliver", snake);

    /* Macros replace any identifier, struct members included. */
    for (size_t i = 0; i < cm->ncols; i++) {
        cg_col *c = &cm->cols[i];
        const char *fu = cg_snake(a, c->field->name, true);
        const char *base = fu ? cg_fmt(a, "%s_%s", upper, fu) : NULL;
        if (!base || !(c->macro = cg_names_claim(&pl->globals, base, &pl->all_members)))
            return PGORM_CODEGEN_NOMEM;
    }
    const char *all = cg_fmt(a, "%s_ALL_COLUMNS", upper);
    if (!all || !(cm->all = cg_names_claim(&pl->globals, all, &pl->all_members)))
        return PGORM_CODEGEN_NOMEM;

    for (size_t i = 0; i < cm->ncols; i++) {
        cg_col *c = &cm->cols[i];
        const char *id = cg_ident(a, c->field->name);
        if (!id)
            return PGORM_CODEGEN_NOMEM;
        for (int op = 0; op < CG_OP_COUNT; op++)
            if (op_applies(c, (cg_op)op))
                CLAIM(c->pred[op], "%s_%s_%s", snake, id, op_suffix[op]);
        /* the stored value against the incoming one, for upsert conditions */
        for (int op = CG_EQ; op <= CG_GE; op++)
            if ((op <= CG_NE && !c->ct->no_eq) || c->ct->ordered)
                CLAIM(c->excluded[op], "%s_%s_%s_excluded", snake, id, op_suffix[op]);
    }
    return PGORM_CODEGEN_OK;
}

/* The parameters of <model>_get: one per key column, named after it. */
static pgorm_codegen_status plan_get_params(planner *pl, cg_model *cm)
{
    cg_names params;
    cg_names_init(&params, &pl->p->arena);
    pgorm_codegen_status st = PGORM_CODEGEN_OK;
    for (size_t i = 0; i < sizeof locals / sizeof locals[0] && st == PGORM_CODEGEN_OK; i++)
        if (!cg_names_add(&params, locals[i]))
            st = PGORM_CODEGEN_NOMEM;
    for (size_t i = 0; i < cm->m->nfields && st == PGORM_CODEGEN_OK; i++) {
        cg_col *c = cm->fields[i].col;
        if (c && (cm->pk_mask >> c->index & 1) &&
            !(c->param = cg_names_claim(&params, cm->fields[i].member, &pl->globals)))
            st = PGORM_CODEGEN_NOMEM;
    }
    cg_names_free(&params);
    return st;
}

static cg_col *col_named(cg_model *cm, const char *column)
{
    for (size_t i = 0; i < cm->ncols; i++)
        if (strcmp(pgorm_ddl_field_column(cm->cols[i].field), column) == 0)
            return &cm->cols[i];
    return NULL;
}

/* Primary key and unique sets as masks, in the DDL layer's order. */
static pgorm_codegen_status plan_keys(planner *pl, cg_model *cm)
{
    size_t nkeys = 0;
    bool oom = false;
    pgorm_ddl_key *keys = pgorm_ddl_model_keys(cm->m, &nkeys, &oom);
    if (oom)
        return PGORM_CODEGEN_NOMEM;
    cm->unique = pgorm_arena_calloc(&pl->p->arena, nkeys, sizeof *cm->unique);
    cm->unique_names = pgorm_arena_calloc(&pl->p->arena, nkeys, sizeof *cm->unique_names);
    if ((!cm->unique || !cm->unique_names) && nkeys) {
        pgorm_free(keys);
        return PGORM_CODEGEN_NOMEM;
    }
    for (size_t k = 0; k < nkeys; k++) {
        /* a partial unique index is no conflict target for the whole table */
        if (keys[k].kind == PGORM_BLOCK_INDEX || keys[k].where)
            continue;
        uint64_t mask = 0;
        for (size_t j = 0; j < keys[k].ncolumns; j++) {
            cg_col *c = col_named(cm, keys[k].columns[j]);
            if (!c) {
                invalid(pl, cm->m->pos, "model %s: key column %s is not a column of the model",
                        cm->m->name, keys[k].columns[j]);
                break;
            }
            mask |= (uint64_t)1 << c->index;
        }
        if (pl->status != PGORM_CODEGEN_OK)
            break;
        if (keys[k].kind == PGORM_BLOCK_ID) {
            cm->pk_mask |= mask;
            for (size_t i = 0; i < cm->ncols; i++)
                if (mask >> i & 1)
                    cm->cols[i].flags |= PGORM_COL_PK;
        }
        bool seen = false;
        for (size_t i = 0; i < cm->nunique; i++)
            seen |= cm->unique[i] == mask;
        if (mask && !seen) {
            if (!(cm->unique_names[cm->nunique] = cg_fmt(&pl->p->arena, "%s", keys[k].name))) {
                pl->status = PGORM_CODEGEN_NOMEM;
                break;
            }
            cm->unique[cm->nunique++] = mask;
        }
    }
    pgorm_free(keys);
    return pl->status;
}

static pgorm_codegen_status plan_rels(planner *pl, cg_model *cm)
{
    const cg_plan *p = pl->p;
    for (size_t i = 0; i < cm->m->nfields; i++) {
        const pgorm_field *f = &cm->m->fields[i];
        if (f->kind == PGORM_FIELD_SCALAR)
            continue;
        if (f->target >= p->nmodels)
            return invalid(pl, f->type_pos, "field %s.%s: model %s is not resolved", cm->m->name,
                           f->name, f->target_model);
        cg_rel *r = &cm->rels[cm->nrels];
        r->index = cm->nrels++;
        r->field = f;
        r->target = f->target;
        cm->fields[i].rel = r;
        if (f->kind == PGORM_FIELD_FOREIGN_KEY) {
            r->kind = PGORM_REL_FORWARD;
            r->fk_column = cm->fields[i].col->index;
            continue;
        }
        if (f->kind == PGORM_FIELD_MANY_TO_MANY) {
            const cg_model *j = f->through < p->nmodels ? &p->models[f->through] : NULL;
            if (!j || f->through_from_fk >= j->m->nfields || f->through_to_fk >= j->m->nfields ||
                !j->fields[f->through_from_fk].col || !j->fields[f->through_to_fk].col)
                return invalid(pl, f->type_pos,
                               "field %s.%s: its join model's ForeignKeys are not resolved",
                               cm->m->name, f->name);
            r->kind = PGORM_REL_MANY;
            r->through = f->through;
            r->fk_column = j->fields[f->through_from_fk].col->index;
            r->far_column = j->fields[f->through_to_fk].col->index;
            continue;
        }
        const cg_model *t = &p->models[f->target];
        if (f->target_fk >= t->m->nfields || !t->fields[f->target_fk].col ||
            t->m->fields[f->target_fk].kind != PGORM_FIELD_FOREIGN_KEY)
            return invalid(pl, f->type_pos, "field %s.%s: its ForeignKey in %s is not resolved",
                           cm->m->name, f->name, t->m->name);
        r->kind = PGORM_REL_BACK;
        r->fk_column = t->fields[f->target_fk].col->index;
    }
    return PGORM_CODEGEN_OK;
}

/* The relationship calls (emit_rel.c), after every other name: the
   schema's own names and the CRUD calls win a clash. */
static pgorm_codegen_status plan_rel_names(planner *pl, cg_model *cm)
{
    pgorm_arena *a = &pl->p->arena;
    const char *snake = cg_snake(a, cm->m->name, false);
    if (!snake)
        return PGORM_CODEGEN_NOMEM;
    for (size_t i = 0; i < cm->nrels; i++) {
        cg_rel *r = &cm->rels[i];
        const char *id = cg_ident(a, r->field->name);
        if (!id)
            return PGORM_CODEGEN_NOMEM;
        if (r->kind == PGORM_REL_FORWARD) {
            CLAIM(r->fn[CG_REL_ONE], "%s_load_%s", snake, id);
            CLAIM(r->fn[CG_REL_ONE_SYNC], "%s_sync", r->fn[CG_REL_ONE]);
            CLAIM(r->fn[CG_REL_MORE], "%s_many", r->fn[CG_REL_ONE]);
            CLAIM(r->fn[CG_REL_MORE_SYNC], "%s_sync", r->fn[CG_REL_MORE]);
        } else {
            CLAIM(r->fn[CG_REL_ONE], "%s_%s", snake, id);
            CLAIM(r->fn[CG_REL_ONE_SYNC], "%s_sync", r->fn[CG_REL_ONE]);
            CLAIM(r->fn[CG_REL_MORE], "%s_count", r->fn[CG_REL_ONE]);
            CLAIM(r->fn[CG_REL_MORE_SYNC], "%s_sync", r->fn[CG_REL_MORE]);
        }
        if (r->kind == PGORM_REL_MANY) {
            CLAIM(r->add[0], "%s_add", r->fn[CG_REL_ONE]);
            CLAIM(r->add[1], "%s_sync", r->add[0]);
            CLAIM(r->remove[0], "%s_remove", r->fn[CG_REL_ONE]);
            CLAIM(r->remove[1], "%s_sync", r->remove[0]);
        }
    }
    /* The relation filters, after the calls (macros among them: they also
       stay clear of struct members). */
    static const char *const rp_suffix[CG_RP_COUNT] = {
        [CG_RP_WHERE] = "where",         [CG_RP_ANY] = "any",
        [CG_RP_NONE] = "none",           [CG_RP_COUNT_EQ] = "count_eq",
        [CG_RP_COUNT_NE] = "count_ne",   [CG_RP_COUNT_LT] = "count_lt",
        [CG_RP_COUNT_LE] = "count_le",   [CG_RP_COUNT_GT] = "count_gt",
        [CG_RP_COUNT_GE] = "count_ge",   [CG_RP_COUNT_WHERE] = "count_where",
    };
    for (size_t i = 0; i < cm->nrels; i++) {
        cg_rel *r = &cm->rels[i];
        const char *id = cg_ident(a, r->field->name);
        if (!id)
            return PGORM_CODEGEN_NOMEM;
        for (int k = 0; k < CG_RP_COUNT; k++) {
            if ((k == CG_RP_WHERE) != (r->kind == PGORM_REL_FORWARD))
                continue;
            const char *base = cg_fmt(a, "%s_%s_%s", snake, id, rp_suffix[k]);
            if (!base || !(r->pred[k] = cg_names_claim(&pl->globals, base, &pl->all_members)))
                return PGORM_CODEGEN_NOMEM;
        }
    }
    return PGORM_CODEGEN_OK;
}

/* An enum's constants and helpers, after every other name (its type name
   was claimed with the models'): adding an enum renames nothing else. */
static pgorm_codegen_status plan_enum(planner *pl, cg_enum *ce)
{
    pgorm_arena *a = &pl->p->arena;
    const pgorm_enum *e = ce->e;
    const char *upper = cg_snake(a, e->name, true);
    const char *snake = cg_snake(a, e->name, false);
    ce->consts = pgorm_arena_calloc(a, e->nvalues + 1, sizeof *ce->consts);
    if (!upper || !snake || !ce->consts)
        return PGORM_CODEGEN_NOMEM;
    for (size_t i = 0; i < e->nvalues; i++) {
        const char *v = cg_snake(a, e->values[i].name, true);
        if (!v)
            return PGORM_CODEGEN_NOMEM;
        CLAIM(ce->consts[i], "%s_%s", upper, v);
    }
    CLAIM(ce->name_fn, "%s_name", snake);
    CLAIM(ce->from_fn, "%s_from_name", snake);
    CLAIM(ce->labels_var, "%s_labels", snake);
    return PGORM_CODEGEN_OK;
}

/* A named query's names, members and parameters, after every model's
   names: the models' generated names never change because a query was
   added. */
static pgorm_codegen_status plan_query(planner *pl, cg_query *cq)
{
    pgorm_arena *a = &pl->p->arena;
    const pgorm_named_query *q = cq->q;
    if (q->ncolumns == 0)
        return invalid(pl, q->pos,
                       "query %s has no result types: write them in its block, returns (name "
                       "type, ...) in the SQL's column order, or run pgorm gen --database with "
                       "DATABASE_URL set to describe them from the server",
                       q->name);
    const char *id = cg_ident(a, q->name);
    const char *snake = cg_snake(a, q->name, false);
    if (!id || !snake)
        return PGORM_CODEGEN_NOMEM;
    CLAIM(cq->row, "%sRow", id);
    CLAIM(cq->rows, "%sRows", id);
    CLAIM(cq->rows_cb, "%sRowsCb", id);
    CLAIM(cq->fn, "%s", snake);
    CLAIM(cq->fn_sync, "%s_sync", snake);
    CLAIM(cq->rows_free, "%s_rows_free", snake);
    CLAIM(cq->desc, "%s_query", snake);
    CLAIM(cq->columns_var, "%s_columns", snake);
    CLAIM(cq->sql_var, "%s_sql", snake);
    CLAIM(cq->rows_of, "%s_rows_of", snake);
    CLAIM(cq->deliver, "%s_deliver", snake);
    CLAIM(cq->wrap, "%s_rows_wrap", snake);

    cq->cols = pgorm_arena_calloc(a, q->ncolumns, sizeof *cq->cols);
    cq->params = pgorm_arena_calloc(a, q->nparams ? q->nparams : 1, sizeof *cq->params);
    if (!cq->cols || !cq->params)
        return PGORM_CODEGEN_NOMEM;
    cg_names members;
    cg_names_init(&members, a);
    pgorm_codegen_status st = PGORM_CODEGEN_OK;
    /* names first, then the has_ flags, as in a model's struct */
    for (int pass = 0; pass < 2 && st == PGORM_CODEGEN_OK; pass++) {
        for (size_t i = 0; i < q->ncolumns && st == PGORM_CODEGEN_OK; i++) {
            const pgorm_query_column *qc = &q->columns[i];
            cg_qcol *c = &cq->cols[i];
            char *mid = cg_ident(a, qc->name);
            if (!mid) {
                st = PGORM_CODEGEN_NOMEM;
                break;
            }
            if (pass == 0) {
                c->col = qc;
                c->ct = cg_ctype_of(qc->type.scalar);
                if (!c->ct) {
                    st = invalid(pl, qc->type_pos, "query %s, column %s: no C type for this type",
                                 q->name, qc->name);
                    break;
                }
                c->sql_type = sql_type(a, qc->type);
                if (!c->sql_type || !(c->member = cg_names_claim(&members, mid, NULL)))
                    st = PGORM_CODEGEN_NOMEM;
            } else if (qc->nullable && !c->ct->pointer) {
                const char *h = cg_fmt(a, "has_%s", mid);
                if (!h || !(c->has = cg_names_claim(&members, h, NULL)))
                    st = PGORM_CODEGEN_NOMEM;
            }
        }
    }
    cg_names_free(&members);
    cq->ncols = q->ncolumns;
    if (st != PGORM_CODEGEN_OK)
        return st;

    cg_names params;
    cg_names_init(&params, a);
    for (size_t i = 0; i < sizeof locals / sizeof locals[0] && st == PGORM_CODEGEN_OK; i++)
        if (!cg_names_add(&params, locals[i]))
            st = PGORM_CODEGEN_NOMEM;
    for (size_t i = 0; i < q->nparams && st == PGORM_CODEGEN_OK; i++) {
        cg_qparam *cp = &cq->params[i];
        cp->p = &q->params[i];
        cp->ct = cg_ctype_of(cp->p->type.scalar);
        const char *pid = cg_ident(a, cp->p->name);
        if (!cp->ct)
            st = invalid(pl, cp->p->type_pos, "query %s, parameter %s: no C type for this type",
                         q->name, cp->p->name);
        else if (!pid || !(cp->name = cg_names_claim(&params, pid, &pl->globals)))
            st = PGORM_CODEGEN_NOMEM;
    }
    cg_names_free(&params);
    cq->nparams = q->nparams;
    return st;
}

/* The base names the files and their #include: keep it to plain characters. */
static bool plain_base(const char *base)
{
    if (!*base)
        return false;
    for (const char *s = base; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("_-.+", *s)))
            return false;
    return true;
}

static pgorm_codegen_status build(planner *pl, const pgorm_schema *s, const char *base)
{
    cg_plan *p = pl->p;
    pgorm_arena *a = &p->arena;
    if (!plain_base(base))
        return invalid(pl, (pgorm_pos){0, 0},
                       "the schema's file name \"%s\" names the generated files and their "
                       "#include: use only letters, digits, '_', '-', '.' and '+'",
                       base);
    char *guard = cg_snake(a, base, true);
    p->base = cg_fmt(a, "%s", base);
    p->guard = guard ? cg_fmt(a, "%s%s_PGORM_H", guard[0] == '_' ? "SCHEMA" : "", guard) : NULL;
    p->models = pgorm_arena_calloc(a, s->nmodels, sizeof *p->models);
    if (!p->base || !p->guard || (!p->models && s->nmodels))
        return PGORM_CODEGEN_NOMEM;
    p->nmodels = s->nmodels;
    for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++)
        if (!cg_names_add(&pl->globals, locals[i]))
            return PGORM_CODEGEN_NOMEM;
    /* The schema's own names first: they win any clash. */
    for (size_t i = 0; i < p->nmodels; i++) {
        cg_model *cm = &p->models[i];
        cm->m = &s->models[i];
        char *id = cg_ident(a, cm->m->name);
        if (!id || !(cm->type = cg_names_claim(&pl->globals, id, NULL)))
            return PGORM_CODEGEN_NOMEM;
    }
    if (s->nenums) {
        p->enums = pgorm_arena_calloc(a, s->nenums, sizeof *p->enums);
        if (!p->enums)
            return PGORM_CODEGEN_NOMEM;
        p->nenums = s->nenums;
    }
    for (size_t i = 0; i < p->nenums; i++) {
        cg_enum *ce = &p->enums[i];
        ce->e = &s->enums[i];
        char *id = cg_ident(a, ce->e->name);
        pgorm_buf q = PGORM_BUF_INIT;
        pgorm_ddl_enum_type_in(&q, ce->e->schema, ce->e->name);
        ce->sql_type = q.oom || !q.data ? NULL : cg_fmt(a, "%s", q.data);
        pgorm_buf_free(&q);
        if (!id || !ce->sql_type || !(ce->type = cg_names_claim(&pl->globals, id, NULL)))
            return PGORM_CODEGEN_NOMEM;
        ce->ct = *cg_ctype_of(PGORM_S_ENUM);
        ce->ct.c = ce->type;
        ce->ct.param = ce->type;
        ce->ct.array = cg_fmt(a, "const %s *", ce->type);
        if (!ce->ct.array)
            return PGORM_CODEGEN_NOMEM;
    }
    pgorm_codegen_status st = PGORM_CODEGEN_OK;
    for (size_t i = 0; i < p->nmodels && st == PGORM_CODEGEN_OK; i++)
        st = plan_fields(pl, &p->models[i]);
    for (size_t i = 0; i < p->nmodels && st == PGORM_CODEGEN_OK; i++)
        st = plan_names(pl, &p->models[i]);
    for (size_t i = 0; i < p->nmodels && st == PGORM_CODEGEN_OK; i++)
        st = plan_keys(pl, &p->models[i]);
    for (size_t i = 0; i < p->nmodels && st == PGORM_CODEGEN_OK; i++)
        st = plan_rels(pl, &p->models[i]);
    for (size_t i = 0; i < p->nmodels && st == PGORM_CODEGEN_OK; i++)
        st = plan_get_params(pl, &p->models[i]);
    for (size_t i = 0; i < p->nmodels && st == PGORM_CODEGEN_OK; i++)
        st = plan_rel_names(pl, &p->models[i]);
    if (st == PGORM_CODEGEN_OK && s->nqueries) {
        p->queries = pgorm_arena_calloc(a, s->nqueries, sizeof *p->queries);
        if (!p->queries)
            return PGORM_CODEGEN_NOMEM;
        p->nqueries = s->nqueries;
        for (size_t i = 0; i < p->nqueries; i++)
            p->queries[i].q = &s->queries[i];
    }
    for (size_t i = 0; i < p->nqueries && st == PGORM_CODEGEN_OK; i++)
        st = plan_query(pl, &p->queries[i]);
    for (size_t i = 0; i < p->nenums && st == PGORM_CODEGEN_OK; i++)
        st = plan_enum(pl, &p->enums[i]);
    return st;
}

pgorm_codegen_status cg_plan_build(cg_plan *p, const pgorm_schema *s, const char *base,
                                   pgorm_diag *diag)
{
    memset(p, 0, sizeof *p);
    pgorm_arena_init(&p->arena, 0);
    p->schema = s;
    planner pl = {.p = p, .diag = diag, .status = PGORM_CODEGEN_OK};
    cg_names_init(&pl.globals, &p->arena);
    cg_names_init(&pl.all_members, &p->arena);
    pgorm_codegen_status st = build(&pl, s, base);
    cg_names_free(&pl.globals);
    cg_names_free(&pl.all_members);
    if (st == PGORM_CODEGEN_NOMEM) {
        diag->pos = (pgorm_pos){0, 0};
        snprintf(diag->message, sizeof diag->message, "out of memory");
    }
    return st;
}

void cg_plan_free(cg_plan *p)
{
    pgorm_arena_free(&p->arena);
}
