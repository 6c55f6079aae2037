/* DDL rendering: one function per object (ddl.h), and the whole schema in
 * dependency order. Every identifier goes through pgorm_sql_ident and every
 * literal through pgorm_sql_literal; type spellings come from
 * pgorm_coltype_sql and are never user text.
 */
#include "migrate/ddl.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "util/sqlq.h"

/* ------------------------------------------------------------------ */
/* Names (the convention itself is schema/names.c)                      */

void pgorm_ddl_fkey_name(char out[PGORM_DDL_NAME_SIZE], const pgorm_model *m,
                         const pgorm_field *fk)
{
    const char *col = pgorm_ddl_field_column(fk);
    pgorm_constraint_name(out, m->table, &col, 1, "fkey");
}

static void copy_name(char out[PGORM_DDL_NAME_SIZE], const char *name)
{
    snprintf(out, PGORM_DDL_NAME_SIZE, "%s", name);
}

/* ------------------------------------------------------------------ */
/* Columns                                                              */

const char *pgorm_ddl_field_column(const pgorm_field *f)
{
    return f->column ? f->column : f->name;
}

const char *pgorm_ddl_block_column(const pgorm_model *m, const char *name)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].kind != PGORM_FIELD_BACK_REFERENCE &&
            m->fields[i].kind != PGORM_FIELD_MANY_TO_MANY && m->fields[i].name &&
            strcmp(m->fields[i].name, name) == 0)
            return pgorm_ddl_field_column(&m->fields[i]);
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].column && strcmp(m->fields[i].column, name) == 0)
            return m->fields[i].column;
    return name;
}

static void put_type(pgorm_buf *b, pgorm_coltype t)
{
    char tmp[64];
    pgorm_buf_puts(b, pgorm_coltype_sql(t, tmp, sizeof tmp));
}

void pgorm_ddl_column_type(pgorm_buf *b, const pgorm_field *f)
{
    if (f->kind == PGORM_FIELD_SCALAR && f->type.scalar == PGORM_S_SERIAL)
        pgorm_buf_puts(b, "serial");
    else if (f->kind == PGORM_FIELD_SCALAR && f->type.scalar == PGORM_S_BIGSERIAL)
        pgorm_buf_puts(b, "bigserial");
    else if (f->type.scalar == PGORM_S_ENUM)
        pgorm_ddl_enum_type_in(b, f->enum_schema, f->enum_name);
    else
        put_type(b, pgorm_coltype_plain(f->type));
}

/* [+-]digits[.digits][e[+-]digits] or [+-].digits[...]: safe to write as is. */
static bool is_plain_number(const char *s)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    size_t ndig = 0;
    while (*p >= '0' && *p <= '9')
        p++, ndig++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, ndig++;
    }
    if (ndig == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

static void cast_literal(pgorm_buf *b, const char *text, pgorm_coltype t)
{
    pgorm_sql_literal(b, text);
    pgorm_buf_puts(b, "::");
    put_type(b, pgorm_coltype_plain(t));
}

void pgorm_ddl_default_expr(pgorm_buf *b, const pgorm_default *d, pgorm_coltype t)
{
    switch (d->kind) {
    case PGORM_DEFAULT_NONE:
        return;
    case PGORM_DEFAULT_NOW:
        pgorm_buf_puts(b, "now()");
        return;
    default:
        break;
    }
    if (!d->text)
        return;
    switch (d->kind) {
    case PGORM_DEFAULT_INT:
    case PGORM_DEFAULT_DECIMAL:
        if (is_plain_number(d->text))
            pgorm_buf_puts(b, d->text);
        else
            cast_literal(b, d->text, t);
        return;
    case PGORM_DEFAULT_BOOL:
        if (strcmp(d->text, "true") == 0 || strcmp(d->text, "false") == 0)
            pgorm_buf_puts(b, d->text);
        else
            cast_literal(b, d->text, t);
        return;
    case PGORM_DEFAULT_STRING:
        /* text, varchar and char(n) take an untyped literal as is (a
           char(n) one is stored as 'x'::bpchar, not 'x'::character(n));
           every other type gets an explicit cast, which is also how
           PostgreSQL stores it. */
        if (t.scalar == PGORM_S_TEXT || t.scalar == PGORM_S_VARCHAR || t.scalar == PGORM_S_CHAR)
            pgorm_sql_literal(b, d->text);
        else
            cast_literal(b, d->text, t);
        return;
    case PGORM_DEFAULT_SQL:
        pgorm_buf_puts(b, d->text);
        return;
    case PGORM_DEFAULT_ENUM:
        /* an untyped literal takes the column's enum type */
        pgorm_sql_literal(b, d->text);
        return;
    default:
        return;
    }
}

void pgorm_ddl_column_def(pgorm_buf *b, const pgorm_field *f)
{
    if (f->kind == PGORM_FIELD_BACK_REFERENCE || f->kind == PGORM_FIELD_MANY_TO_MANY)
        return;
    pgorm_sql_ident(b, pgorm_ddl_field_column(f));
    pgorm_buf_putc(b, ' ');
    pgorm_ddl_column_type(b, f);
    if (!f->nullable)
        pgorm_buf_puts(b, " NOT NULL");
    if (f->def.kind != PGORM_DEFAULT_NONE &&
        (f->def.kind == PGORM_DEFAULT_NOW || f->def.text)) {
        pgorm_buf_puts(b, " DEFAULT ");
        pgorm_ddl_default_expr(b, &f->def, f->type);
    }
}

/* ------------------------------------------------------------------ */
/* Keys                                                                 */

static bool has_column(const pgorm_field *f)
{
    return f->kind != PGORM_FIELD_BACK_REFERENCE && f->kind != PGORM_FIELD_MANY_TO_MANY;
}

static bool field_has(const pgorm_field *f, pgorm_block_kind kind)
{
    if (!has_column(f))
        return false;
    switch (kind) {
    case PGORM_BLOCK_ID:
        return f->is_id;
    case PGORM_BLOCK_UNIQUE:
        return f->is_unique;
    case PGORM_BLOCK_INDEX:
        return f->is_index;
    }
    return false;
}

/* Whether block blk can serve look-ups by its leading column alone: a
   btree whose first element is a column, over all rows. */
static bool block_serves_lead(const pgorm_block *blk)
{
    return blk->nfields > 0 && !blk->where && !blk->method && !(blk->exprs && blk->exprs[0]);
}

bool pgorm_ddl_key_is_index(const pgorm_ddl_key *k)
{
    return k->kind == PGORM_BLOCK_INDEX ||
           (k->kind == PGORM_BLOCK_UNIQUE && (k->where || k->index_only));
}

bool pgorm_ddl_key_is_plain(const pgorm_ddl_key *k)
{
    if (k->where || k->method)
        return false;
    for (size_t i = 0; k->exprs && i < k->ncolumns; i++)
        if (k->exprs[i])
            return false;
    return true;
}

bool pgorm_ddl_fk_wants_index(const pgorm_model *m, const pgorm_field *f)
{
    if (f->kind != PGORM_FIELD_FOREIGN_KEY || f->no_index)
        return false;
    const char *col = pgorm_ddl_field_column(f);
    bool first_id = true;
    for (size_t i = 0; i < m->nfields; i++) {
        const pgorm_field *g = &m->fields[i];
        if (!has_column(g))
            continue;
        bool same = strcmp(pgorm_ddl_field_column(g), col) == 0;
        if (g->is_id) {
            if (first_id && same)
                return false; /* the primary key leads with it */
            first_id = false;
        }
        if (same && (g->is_unique || g->is_index))
            return false;
    }
    for (size_t i = 0; i < m->nblocks; i++) {
        const pgorm_block *blk = &m->blocks[i];
        if (block_serves_lead(blk) && strcmp(pgorm_ddl_block_column(m, blk->fields[0]), col) == 0)
            return false;
    }
    return true;
}

static const char *key_suffix(pgorm_block_kind kind)
{
    switch (kind) {
    case PGORM_BLOCK_ID:
        return "pkey";
    case PGORM_BLOCK_UNIQUE:
        return "key";
    case PGORM_BLOCK_INDEX:
        return "idx";
    }
    return "key";
}

static void key_name(pgorm_ddl_key *k, const pgorm_model *m, const char *given)
{
    if (given)
        copy_name(k->name, given);
    else if (k->kind == PGORM_BLOCK_ID)
        pgorm_constraint_name(k->name, m->table, NULL, 0, "pkey");
    else if (pgorm_ddl_key_is_index(k)) /* a unique index, as migrations name it */
        pgorm_constraint_name(k->name, m->table, k->columns, k->ncolumns, "idx");
    else
        pgorm_constraint_name(k->name, m->table, k->columns, k->ncolumns, key_suffix(k->kind));
}

/* Fills keys (when non-NULL) and returns how many there are; *ncols gets
   the number of column slots they use. One function for counting and
   filling keeps the two passes from drifting apart. */
static size_t collect_keys(const pgorm_model *m, pgorm_ddl_key *keys, const char **cols,
                           size_t *ncols)
{
    static const pgorm_block_kind kinds[] = {PGORM_BLOCK_ID, PGORM_BLOCK_UNIQUE,
                                             PGORM_BLOCK_INDEX};
    size_t nk = 0, nc = 0;
    for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
        pgorm_block_kind kind = kinds[ki];
        if (kind == PGORM_BLOCK_ID) {
            /* all @id fields form one primary key */
            size_t first = nc;
            for (size_t i = 0; i < m->nfields; i++)
                if (field_has(&m->fields[i], kind)) {
                    if (cols)
                        cols[nc] = pgorm_ddl_field_column(&m->fields[i]);
                    nc++;
                }
            if (nc > first) {
                if (keys) {
                    keys[nk] = (pgorm_ddl_key){.kind = kind, .columns = cols + first,
                                               .ncolumns = nc - first};
                    key_name(&keys[nk], m, NULL);
                }
                nk++;
            }
        } else {
            for (size_t i = 0; i < m->nfields; i++)
                if (field_has(&m->fields[i], kind)) {
                    if (keys) {
                        cols[nc] = pgorm_ddl_field_column(&m->fields[i]);
                        keys[nk] = (pgorm_ddl_key){.kind = kind, .columns = cols + nc,
                                                   .ncolumns = 1};
                        key_name(&keys[nk], m, NULL);
                    }
                    nk++, nc++;
                }
        }
        for (size_t i = 0; i < m->nblocks; i++) {
            const pgorm_block *blk = &m->blocks[i];
            if (blk->kind != kind)
                continue;
            if (keys) {
                for (size_t j = 0; j < blk->nfields; j++)
                    cols[nc + j] = pgorm_ddl_block_column(m, blk->fields[j]);
                keys[nk] = (pgorm_ddl_key){.kind = kind, .columns = cols + nc,
                                           .ncolumns = blk->nfields,
                                           .exprs = (const char *const *)blk->exprs,
                                           .desc = blk->desc, .where = blk->where,
                                           .method = blk->method};
                key_name(&keys[nk], m, blk->name);
            }
            nk++, nc += blk->nfields;
        }
        if (kind != PGORM_BLOCK_INDEX)
            continue;
        /* the default index of each ForeignKey column, after the written ones */
        for (size_t i = 0; i < m->nfields; i++)
            if (pgorm_ddl_fk_wants_index(m, &m->fields[i])) {
                if (keys) {
                    cols[nc] = pgorm_ddl_field_column(&m->fields[i]);
                    keys[nk] = (pgorm_ddl_key){.kind = kind, .columns = cols + nc,
                                               .ncolumns = 1};
                    key_name(&keys[nk], m, NULL);
                }
                nk++, nc++;
            }
    }
    *ncols = nc;
    return nk;
}

pgorm_ddl_key *pgorm_ddl_model_keys(const pgorm_model *m, size_t *nkeys, bool *oom)
{
    size_t nc = 0;
    size_t nk = collect_keys(m, NULL, NULL, &nc);
    *nkeys = 0;
    if (oom)
        *oom = false;
    if (nk == 0)
        return NULL;
    /* keys first, then the column pointers: both pointer-aligned */
    pgorm_ddl_key *keys = pgorm_malloc(nk * sizeof *keys + nc * sizeof(const char *));
    if (!keys) {
        if (oom)
            *oom = true;
        return NULL;
    }
    const char **cols = (const char **)(void *)(keys + nk);
    collect_keys(m, keys, cols, &nc);
    /* Two indexes over the same columns (one partial, say) would get one
       name: the later ones get "1", "2"... after the suffix, as migrations
       and PostgreSQL itself name them. */
    for (size_t i = 1; i < nk; i++) {
        for (int n = 1;; n++) {
            bool taken = false;
            for (size_t j = 0; j < i && !taken; j++)
                taken = strcmp(keys[j].name, keys[i].name) == 0;
            if (!taken || keys[i].kind == PGORM_BLOCK_ID || n > 9999)
                break;
            char suf[32];
            snprintf(suf, sizeof suf, "%s%d",
                     pgorm_ddl_key_is_index(&keys[i]) ? "idx" : key_suffix(keys[i].kind), n);
            pgorm_constraint_name(keys[i].name, m->table, keys[i].columns, keys[i].ncolumns, suf);
        }
    }
    *nkeys = nk;
    return keys;
}

static void column_list(pgorm_buf *b, const char *const *cols, size_t n)
{
    pgorm_buf_puts(b, "(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            pgorm_buf_puts(b, ", ");
        pgorm_sql_ident(b, cols[i]);
    }
    pgorm_buf_puts(b, ")");
}

void pgorm_ddl_key_constraint(pgorm_buf *b, const pgorm_ddl_key *k)
{
    if (pgorm_ddl_key_is_index(k))
        return;
    pgorm_buf_puts(b, "CONSTRAINT ");
    pgorm_sql_ident(b, k->name);
    pgorm_buf_puts(b, k->kind == PGORM_BLOCK_ID ? " PRIMARY KEY " : " UNIQUE ");
    column_list(b, k->columns, k->ncolumns);
}

static void alter_table(pgorm_buf *b, const char *table)
{
    pgorm_buf_puts(b, "ALTER TABLE ");
    pgorm_sql_qualified(b, table);
}

void pgorm_ddl_qname(char out[PGORM_DDL_QNAME_SIZE], const char *schema, const char *name)
{
    if (schema && *schema && strcmp(schema, "public") != 0)
        snprintf(out, PGORM_DDL_QNAME_SIZE, "%.63s.%.63s", schema, name);
    else if (strchr(name, '.'))
        snprintf(out, PGORM_DDL_QNAME_SIZE, "public.%.63s", name);
    else
        snprintf(out, PGORM_DDL_QNAME_SIZE, "%.63s", name);
}

/* An index of `table` (catalog spelling) lives in the table's schema. */
static void index_name(pgorm_buf *b, const char *table, const char *name)
{
    char schema[64];
    pgorm_sql_schema_of(table, schema);
    pgorm_sql_qname(b, schema, name);
}

void pgorm_ddl_add_key(pgorm_buf *b, const char *table, const pgorm_ddl_key *k)
{
    if (pgorm_ddl_key_is_index(k)) {
        pgorm_ddl_create_index(b, table, k);
        return;
    }
    alter_table(b, table);
    pgorm_buf_puts(b, " ADD ");
    pgorm_ddl_key_constraint(b, k);
    pgorm_buf_puts(b, ";\n");
}

void pgorm_ddl_drop_key(pgorm_buf *b, const char *table, const pgorm_ddl_key *k)
{
    if (pgorm_ddl_key_is_index(k)) {
        pgorm_buf_puts(b, "DROP INDEX ");
        index_name(b, table, k->name);
        pgorm_buf_puts(b, ";\n");
    } else
        pgorm_ddl_drop_constraint(b, table, k->name);
}

void pgorm_ddl_create_index(pgorm_buf *b, const char *table, const pgorm_ddl_key *k)
{
    pgorm_buf_puts(b, k->kind == PGORM_BLOCK_UNIQUE ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    pgorm_sql_ident(b, k->name);
    pgorm_buf_puts(b, " ON ");
    pgorm_sql_qualified(b, table);
    pgorm_buf_putc(b, ' ');
    if (k->method && strcmp(k->method, "btree") != 0) {
        /* one of the language's method names, never user text */
        pgorm_buf_printf(b, "USING %s ", k->method);
    }
    pgorm_buf_puts(b, "(");
    for (size_t i = 0; i < k->ncolumns; i++) {
        if (i)
            pgorm_buf_puts(b, ", ");
        if (k->exprs && k->exprs[i])
            pgorm_buf_printf(b, "(%s)", k->exprs[i]);
        else
            pgorm_sql_ident(b, k->columns[i]);
        if (k->desc && k->desc[i])
            pgorm_buf_puts(b, " DESC");
    }
    pgorm_buf_puts(b, ")");
    if (k->where)
        pgorm_buf_printf(b, " WHERE %s", k->where);
    pgorm_buf_puts(b, ";\n");
}

void pgorm_ddl_drop_index(pgorm_buf *b, const char *name)
{
    pgorm_buf_puts(b, "DROP INDEX ");
    pgorm_sql_qualified(b, name);
    pgorm_buf_puts(b, ";\n");
}

void pgorm_ddl_drop_constraint(pgorm_buf *b, const char *table, const char *name)
{
    alter_table(b, table);
    pgorm_buf_puts(b, " DROP CONSTRAINT ");
    pgorm_sql_ident(b, name);
    pgorm_buf_puts(b, ";\n");
}

/* ------------------------------------------------------------------ */
/* Foreign keys                                                         */

/* Index of the model a ForeignKey points at, or PGORM_NONE. */
static size_t fk_target(const pgorm_schema *s, const pgorm_field *f)
{
    if (f->target < s->nmodels)
        return f->target;
    if (f->target_model)
        for (size_t i = 0; i < s->nmodels; i++)
            if (s->models[i].name && strcmp(s->models[i].name, f->target_model) == 0)
                return i;
    return PGORM_NONE;
}

bool pgorm_ddl_fkey_of(const pgorm_schema *s, const pgorm_model *m, const pgorm_field *fk,
                       pgorm_ddl_fkey *out)
{
    if (fk->kind != PGORM_FIELD_FOREIGN_KEY)
        return false;
    out->columns = out->ref_columns = NULL;
    out->ncolumns = 0;
    pgorm_ddl_fkey_name(out->name, m, fk);
    out->column = pgorm_ddl_field_column(fk);
    out->on_delete = fk->on_delete;
    out->on_update = fk->on_update;
    size_t t = fk_target(s, fk);
    if (t == PGORM_NONE) {
        out->ref_table = fk->target_model ? fk->target_model : "";
        out->ref_schema = NULL;
        out->ref_column = NULL;
        return true;
    }
    const pgorm_model *target = &s->models[t];
    const pgorm_field *key = pgorm_model_single_id(target);
    out->ref_table = target->table;
    out->ref_schema = target->schema;
    out->ref_column = key ? pgorm_ddl_field_column(key) : NULL;
    return true;
}

static void ident_list(pgorm_buf *b, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            pgorm_buf_puts(b, ", ");
        pgorm_sql_ident(b, names[i]);
    }
}

void pgorm_ddl_fkey_constraint(pgorm_buf *b, const pgorm_ddl_fkey *fk)
{
    pgorm_buf_puts(b, "CONSTRAINT ");
    pgorm_sql_ident(b, fk->name);
    pgorm_buf_puts(b, " FOREIGN KEY (");
    if (fk->ncolumns)
        ident_list(b, fk->columns, fk->ncolumns);
    else
        pgorm_sql_ident(b, fk->column);
    pgorm_buf_puts(b, ") REFERENCES ");
    if (fk->ref_schema)
        pgorm_sql_qname(b, fk->ref_schema, fk->ref_table);
    else
        pgorm_sql_qualified(b, fk->ref_table);
    if (fk->ncolumns) {
        pgorm_buf_puts(b, " (");
        ident_list(b, fk->ref_columns, fk->ncolumns);
        pgorm_buf_puts(b, ")");
    } else if (fk->ref_column) {
        pgorm_buf_puts(b, " (");
        pgorm_sql_ident(b, fk->ref_column);
        pgorm_buf_puts(b, ")");
    }
    for (int w = 0; w < 2; w++) {
        const char *on = w == 0 ? " ON DELETE" : " ON UPDATE";
        switch (w == 0 ? fk->on_delete : fk->on_update) {
        case PGORM_ON_DELETE_NO_ACTION:
            break;
        case PGORM_ON_DELETE_CASCADE:
            pgorm_buf_printf(b, "%s CASCADE", on);
            break;
        case PGORM_ON_DELETE_RESTRICT:
            pgorm_buf_printf(b, "%s RESTRICT", on);
            break;
        case PGORM_ON_DELETE_SET_NULL:
            pgorm_buf_printf(b, "%s SET NULL", on);
            break;
        }
    }
}

void pgorm_ddl_add_fkey(pgorm_buf *b, const char *table, const pgorm_ddl_fkey *fk)
{
    alter_table(b, table);
    pgorm_buf_puts(b, " ADD ");
    pgorm_ddl_fkey_constraint(b, fk);
    pgorm_buf_puts(b, ";\n");
}

void pgorm_ddl_drop_fkey(pgorm_buf *b, const char *table, const pgorm_ddl_fkey *fk)
{
    pgorm_ddl_drop_constraint(b, table, fk->name);
}

void pgorm_ddl_add_model_fkey(pgorm_buf *b, const pgorm_schema *s, const pgorm_model *m,
                              const pgorm_foreign_key *k)
{
    size_t n = k->nfields < k->ntarget_fields ? k->nfields : k->ntarget_fields;
    if (n > 64)
        n = 64;
    const char *cols[64], *refs[64];
    const pgorm_model *tm = k->target < s->nmodels ? &s->models[k->target] : NULL;
    for (size_t i = 0; i < n; i++) {
        cols[i] = pgorm_ddl_block_column(m, k->fields[i]);
        refs[i] = tm ? pgorm_ddl_block_column(tm, k->target_fields[i]) : k->target_fields[i];
    }
    pgorm_ddl_fkey fk = {.column = n ? cols[0] : "",
                         .ref_table = tm ? tm->table : k->target_model,
                         .ref_schema = tm ? tm->schema : NULL,
                         .ref_column = n ? refs[0] : NULL,
                         .on_delete = k->on_delete,
                         .columns = cols,
                         .ref_columns = refs,
                         .ncolumns = n};
    if (k->name)
        copy_name(fk.name, k->name);
    else
        pgorm_constraint_name(fk.name, m->table ? m->table : "", cols, n, "fkey");
    char q[PGORM_DDL_QNAME_SIZE];
    pgorm_ddl_qname(q, m->schema, m->table ? m->table : "");
    pgorm_ddl_add_fkey(b, q, &fk);
}

/* ------------------------------------------------------------------ */
/* Checks                                                               */

void pgorm_ddl_check_name(char out[PGORM_DDL_NAME_SIZE], const pgorm_model *m,
                          const pgorm_check *ck)
{
    if (ck->name) {
        copy_name(out, ck->name);
        return;
    }
    const char *col = ck->field ? ck->field : "";
    for (size_t i = 0; ck->field && i < m->nfields; i++)
        if (m->fields[i].name && strcmp(m->fields[i].name, ck->field) == 0)
            col = pgorm_ddl_field_column(&m->fields[i]);
    pgorm_constraint_name(out, m->table ? m->table : "", &col, 1, "check");
}

void pgorm_ddl_check_constraint(pgorm_buf *b, const char *name, const char *expr)
{
    pgorm_buf_puts(b, "CONSTRAINT ");
    pgorm_sql_ident(b, name);
    pgorm_buf_puts(b, " CHECK (");
    pgorm_buf_puts(b, expr);
    pgorm_buf_puts(b, ")");
}

void pgorm_ddl_add_check(pgorm_buf *b, const char *table, const char *name, const char *expr)
{
    alter_table(b, table);
    pgorm_buf_puts(b, " ADD ");
    pgorm_ddl_check_constraint(b, name, expr);
    pgorm_buf_puts(b, ";\n");
}

void pgorm_ddl_mark_check(pgorm_buf *b, const char *table, const char *name, bool marked)
{
    pgorm_buf_puts(b, "COMMENT ON CONSTRAINT ");
    pgorm_sql_ident(b, name);
    pgorm_buf_puts(b, " ON ");
    pgorm_sql_qualified(b, table);
    pgorm_buf_puts(b, marked ? " IS 'pgorm';\n" : " IS NULL;\n");
}

void pgorm_ddl_mark_checks(pgorm_buf *b, const pgorm_model *m)
{
    for (size_t i = 0; i < m->nchecks; i++) {
        char name[PGORM_DDL_NAME_SIZE];
        char q[PGORM_DDL_QNAME_SIZE];
        pgorm_ddl_check_name(name, m, &m->checks[i]);
        pgorm_ddl_qname(q, m->schema, m->table ? m->table : "");
        pgorm_ddl_mark_check(b, q, name, true);
    }
}

/* ------------------------------------------------------------------ */
/* Tables                                                               */

static void element_sep(pgorm_buf *b, bool *first)
{
    pgorm_buf_puts(b, *first ? "\n    " : ",\n    ");
    *first = false;
}

/* CREATE TABLE with the foreign keys chosen by `created`: with created ==
   NULL every foreign key is inline (when with_fkeys); otherwise only those
   to m itself or to a model whose created[] is set. */
static void create_table(pgorm_buf *b, const pgorm_schema *s, const pgorm_model *m,
                         bool with_fkeys, const bool *created)
{
    pgorm_buf_puts(b, "CREATE TABLE ");
    pgorm_sql_qname(b, m->schema, m->table);
    pgorm_buf_puts(b, " (");
    bool first = true;
    for (size_t i = 0; i < m->nfields; i++) {
        if (!has_column(&m->fields[i]))
            continue;
        element_sep(b, &first);
        pgorm_ddl_column_def(b, &m->fields[i]);
    }

    size_t nkeys = 0;
    bool oom = false;
    pgorm_ddl_key *keys = pgorm_ddl_model_keys(m, &nkeys, &oom);
    if (oom)
        b->oom = true;
    for (size_t i = 0; i < nkeys; i++) {
        if (pgorm_ddl_key_is_index(&keys[i]))
            continue;
        element_sep(b, &first);
        pgorm_ddl_key_constraint(b, &keys[i]);
    }
    pgorm_free(keys);

    for (size_t i = 0; i < m->nchecks; i++) {
        char name[PGORM_DDL_NAME_SIZE];
        pgorm_ddl_check_name(name, m, &m->checks[i]);
        element_sep(b, &first);
        pgorm_ddl_check_constraint(b, name, m->checks[i].expr ? m->checks[i].expr : "");
    }

    for (size_t i = 0; with_fkeys && i < m->nfields; i++) {
        const pgorm_field *f = &m->fields[i];
        if (f->kind != PGORM_FIELD_FOREIGN_KEY)
            continue;
        size_t t = fk_target(s, f);
        if (created && t != PGORM_NONE && &s->models[t] != m && !created[t])
            continue;
        pgorm_ddl_fkey fk;
        pgorm_ddl_fkey_of(s, m, f, &fk);
        element_sep(b, &first);
        pgorm_ddl_fkey_constraint(b, &fk);
    }
    pgorm_buf_puts(b, first ? ");\n" : "\n);\n");
}

void pgorm_ddl_create_table(pgorm_buf *b, const pgorm_schema *s, const pgorm_model *m,
                            bool with_fkeys)
{
    create_table(b, s, m, with_fkeys, NULL);
}

void pgorm_ddl_create_indexes(pgorm_buf *b, const pgorm_model *m)
{
    size_t nkeys = 0;
    bool oom = false;
    pgorm_ddl_key *keys = pgorm_ddl_model_keys(m, &nkeys, &oom);
    if (oom)
        b->oom = true;
    char q[PGORM_DDL_QNAME_SIZE];
    pgorm_ddl_qname(q, m->schema, m->table);
    for (size_t i = 0; i < nkeys; i++)
        if (pgorm_ddl_key_is_index(&keys[i]))
            pgorm_ddl_create_index(b, q, &keys[i]);
    pgorm_free(keys);
}

void pgorm_ddl_drop_table(pgorm_buf *b, const char *table)
{
    pgorm_buf_puts(b, "DROP TABLE ");
    pgorm_sql_qualified(b, table);
    pgorm_buf_puts(b, ";\n");
}

/* ------------------------------------------------------------------ */
/* The whole schema                                                     */

/* reach[i * n + j]: model j is reachable from model i by following foreign
   keys (i depends on j, directly or not). One iterative DFS per model;
   `stack` holds n + 1 entries (each model is pushed at most once per search,
   plus the start). */
static void compute_reach(const pgorm_schema *s, bool *reach, size_t *stack)
{
    size_t n = s->nmodels;
    for (size_t i = 0; i < n; i++) {
        bool *row = reach + i * n;
        size_t top = 0;
        stack[top++] = i;
        while (top) {
            const pgorm_model *m = &s->models[stack[--top]];
            for (size_t k = 0; k < m->nfields; k++) {
                if (m->fields[k].kind != PGORM_FIELD_FOREIGN_KEY)
                    continue;
                size_t t = fk_target(s, &m->fields[k]);
                if (t == PGORM_NONE || row[t])
                    continue;
                row[t] = true;
                stack[top++] = t;
            }
        }
    }
}

/* Every foreign key of model i points at itself or at a created model
   (direct targets only: what CREATE TABLE needs to exist). */
static bool ready(const pgorm_schema *s, size_t i, const bool *created)
{
    const pgorm_model *m = &s->models[i];
    for (size_t k = 0; k < m->nfields; k++) {
        if (m->fields[k].kind != PGORM_FIELD_FOREIGN_KEY)
            continue;
        size_t t = fk_target(s, &m->fields[k]);
        if (t != PGORM_NONE && t != i && !created[t])
            return false;
    }
    return true;
}

/* The next model to create: the first (in schema order) whose foreign keys
   all point at created models or itself; when a cycle leaves none, the first
   model whose remaining dependencies all lie in its own cycle (a sink of
   the remaining dependency graph), so that only the foreign keys closing
   cycles are deferred. */
static size_t next_model(const pgorm_schema *s, const bool *reach, const bool *created)
{
    size_t n = s->nmodels;
    for (size_t i = 0; i < n; i++)
        if (!created[i] && ready(s, i, created))
            return i;
    for (size_t i = 0; i < n; i++) {
        if (created[i])
            continue;
        bool sink = true;
        for (size_t j = 0; j < n && sink; j++)
            if (j != i && !created[j] && reach[i * n + j] && !reach[j * n + i])
                sink = false;
        if (sink)
            return i;
    }
    return PGORM_NONE; /* unreachable: a finite graph always has a sink */
}

char *pgorm_ddl_create_schema(const pgorm_schema *s)
{
    size_t n = s->nmodels;
    pgorm_buf b = PGORM_BUF_INIT;
    if (n > SIZE_MAX / 4 / (n ? n : 1))
        return NULL;
    /* reach (n * n), created (n); order (n), pos (n), DFS stack (n + 1) */
    bool *reach = pgorm_calloc(n * n + n + 1, sizeof(bool));
    size_t *order = pgorm_calloc(3 * n + 1, sizeof(size_t));
    if (!reach || !order) {
        pgorm_free(reach);
        pgorm_free(order);
        return NULL;
    }
    bool *created = reach + n * n;
    size_t *pos = order + n; /* pos[i]: where model i is in order[] */
    /* SQL schemas first (each once, in order of first use), then enum
       types before the tables whose columns use them. */
    for (size_t i = 0; i < s->nenums + n; i++) {
        const char *sc = i < s->nenums ? s->enums[i].schema : s->models[i - s->nenums].schema;
        bool seen = !sc || strcmp(sc, "public") == 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *o = j < s->nenums ? s->enums[j].schema : s->models[j - s->nenums].schema;
            seen = o && strcmp(o, sc) == 0;
        }
        if (!seen)
            pgorm_ddl_create_sql_schema(&b, sc);
    }
    for (size_t i = 0; i < s->nenums; i++)
        pgorm_ddl_create_enum_of(&b, &s->enums[i]);
    compute_reach(s, reach, order + 2 * n);
    for (size_t k = 0; k < n; k++) {
        size_t i = next_model(s, reach, created);
        if (i == PGORM_NONE)
            break;
        create_table(&b, s, &s->models[i], true, created);
        pgorm_ddl_mark_checks(&b, &s->models[i]);
        created[i] = true;
        order[k] = i;
        pos[i] = k;
    }

    /* Foreign keys left out above: their target came later in the order. */
    for (size_t k = 0; k < n; k++) {
        const pgorm_model *m = &s->models[order[k]];
        for (size_t f = 0; f < m->nfields; f++) {
            if (m->fields[f].kind != PGORM_FIELD_FOREIGN_KEY)
                continue;
            size_t t = fk_target(s, &m->fields[f]);
            if (t == PGORM_NONE || t == order[k] || pos[t] < k)
                continue;
            pgorm_ddl_fkey fk;
            pgorm_ddl_fkey_of(s, m, &m->fields[f], &fk);
            char q[PGORM_DDL_QNAME_SIZE];
            pgorm_ddl_qname(q, m->schema, m->table);
            pgorm_ddl_add_fkey(&b, q, &fk);
        }
    }

    /* @@foreign_key: after every table, so their order does not matter. */
    for (size_t k = 0; k < n; k++) {
        const pgorm_model *m = &s->models[order[k]];
        for (size_t f = 0; f < m->nfkeys; f++)
            pgorm_ddl_add_model_fkey(&b, s, m, &m->fkeys[f]);
    }

    for (size_t k = 0; k < n; k++)
        pgorm_ddl_create_indexes(&b, &s->models[order[k]]);

    pgorm_free(reach);
    pgorm_free(order);
    return pgorm_buf_steal(&b);
}

/* ------------------------------------------------------------------ */
/* Enum types                                                           */

void pgorm_ddl_enum_type(pgorm_buf *b, const char *enum_name)
{
    pgorm_ddl_enum_type_in(b, NULL, enum_name);
}

void pgorm_ddl_enum_type_in(pgorm_buf *b, const char *schema, const char *enum_name)
{
    char *type = pgorm_snake_case(enum_name ? enum_name : "");
    if (!type) {
        b->oom = true;
        return;
    }
    pgorm_sql_qname(b, schema, type);
    pgorm_free(type);
}

void pgorm_ddl_create_sql_schema(pgorm_buf *b, const char *name)
{
    pgorm_buf_puts(b, "CREATE SCHEMA IF NOT EXISTS ");
    pgorm_sql_ident(b, name);
    pgorm_buf_puts(b, ";\n");
}

void pgorm_ddl_create_enum(pgorm_buf *b, const char *type, const char *const *labels, size_t n)
{
    pgorm_buf_puts(b, "CREATE TYPE ");
    pgorm_sql_qualified(b, type);
    pgorm_buf_puts(b, " AS ENUM (");
    for (size_t i = 0; i < n; i++) {
        if (i)
            pgorm_buf_puts(b, ", ");
        pgorm_sql_literal(b, labels[i]);
    }
    pgorm_buf_puts(b, ");\n");
}

void pgorm_ddl_create_enum_of(pgorm_buf *b, const pgorm_enum *e)
{
    const char **labels = pgorm_calloc(e->nvalues + 1, sizeof *labels);
    char *type = e->type ? NULL : pgorm_snake_case(e->name);
    if (!labels || (!e->type && !type)) {
        b->oom = true;
    } else {
        for (size_t i = 0; i < e->nvalues; i++)
            labels[i] = e->values[i].name;
        char q[PGORM_DDL_QNAME_SIZE];
        pgorm_ddl_qname(q, e->schema, e->type ? e->type : type);
        pgorm_ddl_create_enum(b, q, labels, e->nvalues);
    }
    pgorm_free(labels);
    pgorm_free(type);
}

void pgorm_ddl_drop_enum(pgorm_buf *b, const char *type)
{
    pgorm_buf_puts(b, "DROP TYPE ");
    pgorm_sql_qualified(b, type);
    pgorm_buf_puts(b, ";\n");
}
