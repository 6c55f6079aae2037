#include "migrate/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/ddl.h"
#include "pgorm/pgorm.h"

mig_catalog *mig_catalog_new(void)
{
    mig_catalog *c = pgorm_calloc(1, sizeof *c);
    if (c)
        pgorm_arena_init(&c->arena, 16384);
    return c;
}

void mig_catalog_free(mig_catalog *c)
{
    if (!c)
        return;
    pgorm_arena_free(&c->arena);
    pgorm_free(c->unmanaged);
    pgorm_free(c);
}

char *mig_strdup(mig_catalog *c, const char *s)
{
    return s ? pgorm_arena_strndup(&c->arena, s, strlen(s)) : NULL;
}

static int table_cmp(const void *a, const void *b)
{
    return strcmp(((const mig_table *)a)->name, ((const mig_table *)b)->name);
}

void mig_catalog_sort(mig_catalog *c)
{
    if (c->ntables > 1)
        qsort(c->tables, c->ntables, sizeof *c->tables, table_cmp);
}

mig_table *mig_catalog_table(const mig_catalog *c, const char *name)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (strcmp(c->tables[i].name, name) == 0)
            return &c->tables[i];
    return NULL;
}

mig_column *mig_table_column(const mig_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

const mig_key *mig_table_pk(const mig_table *t)
{
    for (size_t i = 0; i < t->nkeys; i++)
        if (t->keys[i].kind == MIG_KEY_PRIMARY)
            return &t->keys[i];
    return NULL;
}

size_t mig_fk_ncols(const mig_fk *k)
{
    return k->ncolumns ? k->ncolumns : 1;
}

const char *mig_fk_col(const mig_fk *k, size_t i)
{
    return k->ncolumns ? k->columns[i] : k->column;
}

const char *mig_fk_ref(const mig_fk *k, size_t i)
{
    return k->ncolumns ? k->ref_columns[i] : k->ref_column;
}

const mig_fk *mig_table_fk(const mig_table *t, const char *column)
{
    for (size_t i = 0; i < t->nfks; i++)
        if (!t->fks[i].block && strcmp(t->fks[i].column, column) == 0)
            return &t->fks[i];
    return NULL;
}

mig_enum *mig_catalog_enum(const mig_catalog *c, const char *name)
{
    for (size_t i = 0; name && i < c->nenums; i++)
        if (strcmp(c->enums[i].name, name) == 0)
            return &c->enums[i];
    return NULL;
}

size_t mig_enum_label(const mig_enum *e, const char *label)
{
    for (size_t i = 0; label && i < e->nlabels; i++)
        if (strcmp(e->labels[i], label) == 0)
            return i;
    return PGORM_NONE;
}

static int enum_cmp(const void *a, const void *b)
{
    return strcmp(((const mig_enum *)a)->name, ((const mig_enum *)b)->name);
}

void mig_catalog_sort_enums(mig_catalog *c)
{
    if (c->nenums > 1)
        qsort(c->enums, c->nenums, sizeof *c->enums, enum_cmp);
}

/* ------------------------------------------------------------------ */
/* Types.                                                              */

bool mig_type_eq(pgorm_coltype a, pgorm_coltype b)
{
    if (a.scalar != b.scalar || a.array != b.array)
        return false;
    if (a.scalar == PGORM_S_NUMERIC)
        return a.precision == b.precision && a.scale == b.scale;
    if (a.scalar == PGORM_S_VARCHAR || a.scalar == PGORM_S_CHAR)
        return a.precision == b.precision;
    return true;
}

/* Decimal digits left of the point that a type holds exactly (-1: any). */
static int int_digits(pgorm_coltype t)
{
    switch (pgorm_coltype_plain(t).scalar) {
    case PGORM_S_INT2: return 5;
    case PGORM_S_INT4: return 10;
    case PGORM_S_INT8: return 19;
    case PGORM_S_NUMERIC: return t.precision ? t.precision - t.scale : -1;
    default: return 0;
    }
}

bool mig_type_widens(pgorm_coltype from, pgorm_coltype to)
{
    pgorm_scalar f = pgorm_coltype_plain(from).scalar, t = pgorm_coltype_plain(to).scalar;
    if (from.array != to.array)
        return false; /* an array to or from its element: values do not carry over */
    if (t == PGORM_S_TEXT)
        return true; /* every value has a text form that casts back */
    if (t == PGORM_S_CITEXT &&
        (f == PGORM_S_TEXT || f == PGORM_S_VARCHAR || f == PGORM_S_CITEXT))
        return true; /* the same strings, compared without case */
    switch (f) {
    case PGORM_S_INT2:
    case PGORM_S_INT4:
    case PGORM_S_INT8:
        if (t == PGORM_S_INT2 || t == PGORM_S_INT4 || t == PGORM_S_INT8)
            return int_digits(to) >= int_digits(from);
        if (t == PGORM_S_NUMERIC)
            return to.precision == 0 || int_digits(to) >= int_digits(from);
        if (t == PGORM_S_FLOAT8)
            return f != PGORM_S_INT8; /* 53-bit mantissa */
        if (t == PGORM_S_FLOAT4)
            return f == PGORM_S_INT2; /* 24-bit mantissa */
        return false;
    case PGORM_S_FLOAT4:
        return t == PGORM_S_FLOAT8;
    case PGORM_S_NUMERIC:
        if (t != PGORM_S_NUMERIC)
            return false;
        if (to.precision == 0)
            return true;
        if (from.precision == 0)
            return false;
        return to.scale >= from.scale && int_digits(to) >= int_digits(from);
    case PGORM_S_VARCHAR:
        return t == PGORM_S_VARCHAR &&
               (to.precision == 0 || (from.precision != 0 && to.precision >= from.precision));
    case PGORM_S_DATE:
        return t == PGORM_S_TIMESTAMP;
    case PGORM_S_CHAR: /* blank-padded: a longer n keeps every value */
        return t == PGORM_S_CHAR && to.precision >= from.precision;
    case PGORM_S_CIDR: /* a network is an inet value with its mask */
        return t == PGORM_S_INET || t == PGORM_S_CIDR;
    case PGORM_S_JSONB: /* jsonb's text is valid json */
        return t == PGORM_S_JSON || t == PGORM_S_JSONB;
    case PGORM_S_TIMETZ:
    case PGORM_S_TIME:
    case PGORM_S_INTERVAL:
    case PGORM_S_INET:
    case PGORM_S_JSON:
    case PGORM_S_CITEXT:
        return f == t;
    default:
        return f == t && mig_type_eq(from, to);
    }
}

const char *mig_type_sql(pgorm_coltype t, char *buf, size_t size)
{
    if (t.scalar == PGORM_S_ENUM) { /* named by the column: mig_column.enum_type */
        snprintf(buf, size, "enum");
        return buf;
    }
    t = pgorm_coltype_plain(t);
    if (t.scalar == PGORM_S_NUMERIC && t.precision == 0)
        snprintf(buf, size, "numeric%s", t.array ? "[]" : "");
    else if (t.scalar == PGORM_S_VARCHAR && t.precision == 0)
        snprintf(buf, size, "varchar%s", t.array ? "[]" : "");
    else
        return pgorm_coltype_sql(t, buf, size);
    return buf;
}

/* ------------------------------------------------------------------ */
/* From a parsed schema.                                               */

static const char *field_column(const pgorm_field *f)
{
    return f->column ? f->column : f->name;
}

/* The SQL column of a field named in a block, or the name itself. */
static const char *block_column(const pgorm_model *m, const char *field)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i].name, field) == 0 && m->fields[i].kind != PGORM_FIELD_BACK_REFERENCE &&
            m->fields[i].kind != PGORM_FIELD_MANY_TO_MANY)
            return field_column(&m->fields[i]);
    return field;
}

/* The SQL columns of a block's fields, in the catalog's arena; NULL when
   out of memory. */
static const char **block_columns(mig_catalog *c, const pgorm_model *m, const pgorm_block *blk)
{
    const char **cols = pgorm_arena_calloc(&c->arena, blk->nfields + 1, sizeof *cols);
    for (size_t j = 0; cols && j < blk->nfields; j++)
        cols[j] = blk->exprs && blk->exprs[j] ? blk->fields[j] : block_column(m, blk->fields[j]);
    return cols;
}

static const pgorm_field *single_id(const pgorm_model *m)
{
    const pgorm_field *id = NULL;
    size_t nid = 0;
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].is_id) {
            id = &m->fields[i];
            nid++;
        }
    for (size_t i = 0; i < m->nblocks; i++)
        if (m->blocks[i].kind == PGORM_BLOCK_ID) {
            nid += m->blocks[i].nfields;
            if (m->blocks[i].nfields == 1)
                id = pgorm_model_field(m, m->blocks[i].fields[0]);
        }
    return nid == 1 ? id : NULL;
}

static bool opt_str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static const char *method_of(const mig_key *k)
{
    return k->method && strcmp(k->method, "btree") != 0 ? k->method : NULL;
}

bool mig_key_has_options(const mig_key *k)
{
    if (k->where || method_of(k))
        return true;
    for (size_t i = 0; i < k->ncols; i++)
        if ((k->exprs && k->exprs[i]) || (k->desc && k->desc[i]))
            return true;
    return false;
}

bool mig_key_options_eq(const mig_key *a, const mig_key *b)
{
    if (!opt_str_eq(method_of(a), method_of(b)) || !a->where != !b->where)
        return false;
    if (a->where && !(a->where_sql && b->where_sql ? strcmp(a->where_sql, b->where_sql) == 0
                                                   : strcmp(a->where, b->where) == 0))
        return false;
    size_t n = a->ncols < b->ncols ? a->ncols : b->ncols;
    for (size_t i = 0; i < n; i++) {
        bool da = a->desc && a->desc[i], db = b->desc && b->desc[i];
        const char *ea = a->exprs ? a->exprs[i] : NULL, *eb = b->exprs ? b->exprs[i] : NULL;
        if (da != db || !ea != !eb)
            return false;
        if (!ea)
            continue;
        const char *sa = a->exprs_sql ? a->exprs_sql[i] : NULL;
        const char *sb = b->exprs_sql ? b->exprs_sql[i] : NULL;
        if (!(sa && sb ? strcmp(sa, sb) == 0 : strcmp(ea, eb) == 0))
            return false;
    }
    return true;
}

bool mig_key_set_options(mig_catalog *c, mig_key *k, const pgorm_block *blk)
{
    if (blk->where && !(k->where = mig_strdup(c, blk->where)))
        return false;
    if (blk->method && !(k->method = mig_strdup(c, blk->method)))
        return false;
    if (blk->desc) {
        if (!(k->desc = pgorm_arena_calloc(&c->arena, k->ncols + 1, sizeof *k->desc)))
            return false;
        memcpy(k->desc, blk->desc, k->ncols * sizeof *k->desc);
    }
    if (blk->exprs) {
        if (!(k->exprs = pgorm_arena_calloc(&c->arena, k->ncols + 1, sizeof *k->exprs)))
            return false;
        for (size_t i = 0; i < k->ncols; i++)
            if (blk->exprs[i] && !(k->exprs[i] = mig_strdup(c, blk->exprs[i])))
                return false;
    }
    /* a UNIQUE constraint has no WHERE: a partial unique key is an index */
    if (k->kind == MIG_KEY_UNIQUE && k->where)
        k->index_only = true;
    return true;
}

static bool key_eq(const mig_key *a, const mig_key *b)
{
    if (a->kind != b->kind || a->ncols != b->ncols || !mig_key_options_eq(a, b))
        return false;
    for (size_t i = 0; i < a->ncols; i++)
        if (strcmp(a->cols[i], b->cols[i]) != 0)
            return false;
    return true;
}

static bool add_key(mig_catalog *c, mig_table *t, mig_key_kind kind, const char **cols,
                    size_t ncols, const pgorm_block *blk)
{
    mig_key k = {.kind = kind, .ncols = ncols};
    k.cols = pgorm_arena_calloc(&c->arena, ncols ? ncols : 1, sizeof *k.cols);
    if (!k.cols || (blk && !mig_key_set_options(c, &k, blk)))
        return false;
    for (size_t i = 0; i < ncols; i++)
        if (!(k.cols[i] = mig_strdup(c, cols[i])))
            return false;
    for (size_t i = 0; i < t->nkeys; i++)
        if (key_eq(&t->keys[i], &k))
            return true; /* written twice (@id and @unique...): one object */
    t->keys[t->nkeys++] = k;
    return true;
}

static bool model_to_table(mig_catalog *c, const pgorm_schema *s, const pgorm_model *m,
                           mig_table *t)
{
    char q[PGORM_DDL_QNAME_SIZE];
    pgorm_ddl_qname(q, m->schema, m->table);
    t->name = mig_strdup(c, q);
    t->model = mig_strdup(c, m->name);
    if (m->renamed_from) {
        char *snake = pgorm_snake_case(m->renamed_from);
        if (!snake)
            return false;
        pgorm_ddl_qname(q, m->schema, snake);
        t->renamed_from = mig_strdup(c, q);
        pgorm_free(snake);
        t->renamed_from_model = mig_strdup(c, m->renamed_from);
    }
    size_t nids = 0;
    for (size_t i = 0; i < m->nfields; i++)
        nids += m->fields[i].is_id;
    t->cols = pgorm_arena_calloc(&c->arena, m->nfields + 1, sizeof *t->cols);
    t->fks = pgorm_arena_calloc(&c->arena, m->nfields + m->nfkeys + 1, sizeof *t->fks);
    t->keys = pgorm_arena_calloc(&c->arena, 3 * m->nfields + m->nblocks + 1, sizeof *t->keys);
    const char **idcols = pgorm_arena_calloc(&c->arena, nids + 1, sizeof *idcols);
    if (!t->name || !t->model || !t->cols || !t->fks || !t->keys || !idcols ||
        (m->renamed_from && (!t->renamed_from || !t->renamed_from_model)))
        return false;

    for (size_t i = 0; i < m->nfields; i++) {
        const pgorm_field *f = &m->fields[i];
        if (f->kind == PGORM_FIELD_BACK_REFERENCE || f->kind == PGORM_FIELD_MANY_TO_MANY)
            continue;
        mig_column *col = &t->cols[t->ncols++];
        col->name = mig_strdup(c, field_column(f));
        col->type = f->type;
        col->nullable = f->nullable && !f->is_id && f->type.scalar != PGORM_S_SERIAL &&
                        f->type.scalar != PGORM_S_BIGSERIAL;
        col->def.kind = f->def.kind;
        col->def.text = mig_strdup(c, f->def.text);
        if (!col->name || (f->def.text && !col->def.text))
            return false;
        const pgorm_enum *fe = pgorm_field_enum(s, f);
        if (f->type.scalar == PGORM_S_ENUM && fe) {
            char *snake = fe->type ? NULL : pgorm_snake_case(fe->name);
            pgorm_ddl_qname(q, fe->schema, fe->type ? fe->type : snake ? snake : "");
            col->enum_type = snake || fe->type ? mig_strdup(c, q) : NULL;
            pgorm_free(snake);
            if (!col->enum_type)
                return false;
        }
        if (f->renamed_from) {
            char old[512];
            snprintf(old, sizeof old, "%s%s", f->renamed_from,
                     f->kind == PGORM_FIELD_FOREIGN_KEY ? "_id" : "");
            if (!(col->renamed_from = mig_strdup(c, old)))
                return false;
        }
        if (f->kind == PGORM_FIELD_FOREIGN_KEY) {
            col->type = pgorm_coltype_plain(col->type);
            if (f->target >= s->nmodels)
                continue; /* not validated: no constraint to speak of */
            const pgorm_model *tm = &s->models[f->target];
            const pgorm_field *id = single_id(tm);
            mig_fk *fk = &t->fks[t->nfks++];
            fk->column = col->name;
            pgorm_ddl_qname(q, tm->schema, tm->table);
            fk->ref_table = mig_strdup(c, q);
            fk->ref_column = mig_strdup(c, id ? field_column(id) : "id");
            fk->on_delete = f->on_delete;
            fk->on_update = f->on_update;
            if (!fk->ref_table || !fk->ref_column)
                return false;
        }
    }
    /* @@foreign_key, in file order (validated ones: target set). */
    for (size_t i = 0; i < m->nfkeys; i++) {
        const pgorm_foreign_key *pk = &m->fkeys[i];
        if (pk->target >= s->nmodels || !pk->nfields || pk->nfields != pk->ntarget_fields)
            continue;
        const pgorm_model *tm = &s->models[pk->target];
        mig_fk *fk = &t->fks[t->nfks++];
        fk->block = true;
        fk->ncolumns = pk->nfields;
        fk->on_delete = pk->on_delete;
        pgorm_ddl_qname(q, tm->schema, tm->table);
        fk->ref_table = mig_strdup(c, q);
        fk->columns = pgorm_arena_calloc(&c->arena, pk->nfields + 1, sizeof *fk->columns);
        fk->ref_columns = pgorm_arena_calloc(&c->arena, pk->nfields + 1, sizeof *fk->columns);
        if (!fk->ref_table || !fk->columns || !fk->ref_columns ||
            (pk->name && !(fk->name = mig_strdup(c, pk->name))))
            return false;
        for (size_t j = 0; j < pk->nfields; j++) {
            fk->columns[j] = mig_strdup(c, block_column(m, pk->fields[j]));
            fk->ref_columns[j] = mig_strdup(c, block_column(tm, pk->target_fields[j]));
            if (!fk->columns[j] || !fk->ref_columns[j])
                return false;
        }
        fk->column = fk->columns[0];
        fk->ref_column = fk->ref_columns[0];
    }
    /* Primary key: field-level @id in field order, else @@id. */
    size_t n = 0;
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].is_id)
            idcols[n++] = field_column(&m->fields[i]);
    if (n && !add_key(c, t, MIG_KEY_PRIMARY, idcols, n, NULL))
        return false;
    for (size_t b = 0; b < m->nblocks; b++) {
        const pgorm_block *blk = &m->blocks[b];
        if (blk->kind != PGORM_BLOCK_ID)
            continue;
        const char **cols = block_columns(c, m, blk);
        if (!cols || !add_key(c, t, MIG_KEY_PRIMARY, cols, blk->nfields, NULL))
            return false;
    }
    /* A primary key's columns are NOT NULL. */
    const mig_key *pk = mig_table_pk(t);
    for (size_t j = 0; pk && j < pk->ncols; j++) {
        mig_column *col = mig_table_column(t, pk->cols[j]);
        if (col)
            col->nullable = false;
    }
    /* Unique constraints, then indexes: field-level first, then blocks. */
    static const struct {
        pgorm_block_kind block;
        mig_key_kind key;
    } kinds[] = {{PGORM_BLOCK_UNIQUE, MIG_KEY_UNIQUE}, {PGORM_BLOCK_INDEX, MIG_KEY_INDEX}};
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < m->nfields; i++) {
            const pgorm_field *f = &m->fields[i];
            bool on = kinds[k].key == MIG_KEY_UNIQUE ? f->is_unique : f->is_index;
            if (f->kind == PGORM_FIELD_BACK_REFERENCE || f->kind == PGORM_FIELD_MANY_TO_MANY ||
                !on)
                continue;
            const char *col = field_column(f);
            if (!add_key(c, t, kinds[k].key, &col, 1, NULL))
                return false;
        }
        for (size_t b = 0; b < m->nblocks; b++) {
            const pgorm_block *blk = &m->blocks[b];
            if (blk->kind != kinds[k].block)
                continue;
            const char **cols = block_columns(c, m, blk);
            if (!cols || !add_key(c, t, kinds[k].key, cols, blk->nfields, blk))
                return false;
        }
    }
    /* Checks: @check and @@check in file order, named by validation. */
    if (m->nchecks) {
        t->checks = pgorm_arena_calloc(&c->arena, m->nchecks, sizeof *t->checks);
        if (!t->checks)
            return false;
        for (size_t i = 0; i < m->nchecks; i++) {
            const pgorm_check *ck = &m->checks[i];
            mig_check *mc = &t->checks[t->nchecks++];
            mc->marked = true;
            mc->name = mig_strdup(c, ck->name ? ck->name : "");
            mc->expr = mig_strdup(c, ck->expr ? ck->expr : "");
            if (!mc->name || !mc->expr)
                return false;
        }
    }
    /* The default index of each ForeignKey column (see ddl.h). */
    for (size_t i = 0; i < m->nfields; i++) {
        const char *col = field_column(&m->fields[i]);
        if (pgorm_ddl_fk_wants_index(m, &m->fields[i]) &&
            !add_key(c, t, MIG_KEY_INDEX, &col, 1, NULL))
            return false;
    }
    return true;
}

mig_catalog *mig_catalog_from_schema(const pgorm_schema *s)
{
    mig_catalog *c = mig_catalog_new();
    if (!c)
        return NULL;
    c->tables = pgorm_arena_calloc(&c->arena, s->nmodels + 1, sizeof *c->tables);
    if (!c->tables)
        goto oom;
    for (size_t i = 0; i < s->nmodels; i++) {
        if (!model_to_table(c, s, &s->models[i], &c->tables[c->ntables]))
            goto oom;
        c->ntables++;
    }
    mig_catalog_sort(c);
    c->enums = pgorm_arena_calloc(&c->arena, s->nenums + 1, sizeof *c->enums);
    if (!c->enums)
        goto oom;
    for (size_t i = 0; i < s->nenums; i++) {
        const pgorm_enum *e = &s->enums[i];
        mig_enum *me = &c->enums[c->nenums++];
        char *snake = e->type ? NULL : pgorm_snake_case(e->name);
        char q[PGORM_DDL_QNAME_SIZE];
        pgorm_ddl_qname(q, e->schema, e->type ? e->type : snake ? snake : "");
        me->name = snake || e->type ? mig_strdup(c, q) : NULL;
        pgorm_free(snake);
        me->model = mig_strdup(c, e->name);
        me->labels = pgorm_arena_calloc(&c->arena, e->nvalues + 1, sizeof *me->labels);
        me->renamed_from = pgorm_arena_calloc(&c->arena, e->nvalues + 1, sizeof *me->labels);
        if (!me->name || !me->model || !me->labels || !me->renamed_from)
            goto oom;
        for (size_t k = 0; k < e->nvalues; k++) {
            me->labels[k] = mig_strdup(c, e->values[k].name);
            me->renamed_from[k] = mig_strdup(c, e->values[k].renamed_from);
            if (!me->labels[k] || (e->values[k].renamed_from && !me->renamed_from[k]))
                goto oom;
        }
        me->nlabels = e->nvalues;
    }
    mig_catalog_sort_enums(c);
    return c;
oom:
    mig_catalog_free(c);
    return NULL;
}

/* "film_actor" -> "FilmActor"; characters that cannot be in a name become
   '_' and a leading digit gets a 'T'. */
char *mig_pascal_case(const char *table)
{
    size_t n = strlen(table);
    char *s = pgorm_malloc(n + 2);
    if (!s)
        return NULL;
    size_t k = 0;
    if (table[0] >= '0' && table[0] <= '9')
        s[k++] = 'T';
    bool up = true;
    for (const char *p = table; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (c == '_' || !ok) {
            if (!ok && c != '_' && k > 0)
                s[k++] = '_';
            up = true;
            continue;
        }
        s[k++] = up && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
        up = false;
    }
    if (k == 0)
        s[k++] = 'T';
    s[k] = '\0';
    return s;
}

bool mig_is_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}
