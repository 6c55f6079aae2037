/* A catalog as a pgorm_schema: what introspection hands to its callers.
 *
 * Models are named by their table, ForeignKey fields by their column without
 * "_id" (so `author_id` is the field `author`, as the parser names it), and
 * keys, unique constraints and indexes are named blocks over field names.
 * Every string is its own pgorm_malloc allocation so pgorm_schema_free()
 * releases it like a parsed schema.
 */
#include <string.h>

#include "migrate/catalog.h"
#include "migrate/ddl.h"
#include "pgorm/pgorm.h"
#include "util/sqlq.h"

static char *fk_field_name(const char *column)
{
    size_t n = strlen(column);
    if (n > 3 && strcmp(column + n - 3, "_id") == 0) {
        char *s = pgorm_malloc(n - 2);
        if (s) {
            memcpy(s, column, n - 3);
            s[n - 3] = '\0';
        }
        return s;
    }
    return pgorm_strdup(column);
}

/* The field name of a column in the converted model. */
static const char *field_of(const pgorm_model *m, const char *column)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i].column, column) == 0)
            return m->fields[i].name;
    return column;
}

static size_t table_index(const mig_catalog *c, const char *name)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (strcmp(c->tables[i].name, name) == 0)
            return i;
    return PGORM_NONE;
}

/* A key's index options onto its block (see pgorm_block). */
static bool block_options(pgorm_block *b, const mig_key *key)
{
    if (key->where && !(b->where = pgorm_strdup(key->where)))
        return false;
    if (key->method && !(b->method = pgorm_strdup(key->method)))
        return false;
    if (key->desc) {
        if (!(b->desc = pgorm_calloc(key->ncols + 1, sizeof *b->desc)))
            return false;
        memcpy(b->desc, key->desc, key->ncols * sizeof *b->desc);
    }
    if (key->exprs) {
        if (!(b->exprs = pgorm_calloc(key->ncols + 1, sizeof *b->exprs)))
            return false;
        for (size_t j = 0; j < key->ncols; j++)
            if (key->exprs[j] && !(b->exprs[j] = pgorm_strdup(key->exprs[j])))
                return false;
    }
    return true;
}

static bool convert_table(const mig_catalog *c, const mig_table *t, pgorm_model *m)
{
    char sc[64];
    pgorm_sql_schema_of(t->name, sc);
    m->name = pgorm_strdup(t->name);
    m->table = pgorm_strdup(pgorm_sql_base_name(t->name));
    if (sc[0] && strcmp(sc, "public") != 0 && !(m->schema = pgorm_strdup(sc)))
        return false;
    m->fields = pgorm_calloc(t->ncols + 1, sizeof *m->fields);
    m->blocks = pgorm_calloc(t->nkeys + 1, sizeof *m->blocks);
    if (!m->name || !m->table || !m->fields || !m->blocks)
        return false;
    for (size_t i = 0; i < t->ncols; i++) {
        const mig_column *col = &t->cols[i];
        pgorm_field *f = &m->fields[m->nfields++];
        const mig_fk *fk = mig_table_fk(t, col->name);
        size_t target = fk ? table_index(c, fk->ref_table) : PGORM_NONE;
        f->column = pgorm_strdup(col->name);
        f->type = col->type;
        f->nullable = col->nullable;
        f->def.kind = col->def.kind;
        f->target = PGORM_NONE;
        f->target_fk = PGORM_NONE;
        f->enum_index = PGORM_NONE;
        if (col->enum_type) {
            const mig_enum *me = mig_catalog_enum(c, col->enum_type);
            f->enum_index = me ? (size_t)(me - c->enums) : PGORM_NONE;
            pgorm_sql_schema_of(col->enum_type, sc);
            if (!(f->enum_name = pgorm_strdup(pgorm_sql_base_name(col->enum_type))))
                return false;
            if (sc[0] && strcmp(sc, "public") != 0 && !(f->enum_schema = pgorm_strdup(sc)))
                return false;
        }
        if (col->def.text && !(f->def.text = pgorm_strdup(col->def.text)))
            return false;
        if (target != PGORM_NONE) {
            f->kind = PGORM_FIELD_FOREIGN_KEY;
            f->name = fk_field_name(col->name);
            f->target_model = pgorm_strdup(fk->ref_table);
            f->target = target;
            f->on_delete = fk->on_delete;
            f->on_update = fk->on_update;
            if (!f->target_model)
                return false;
        } else {
            f->kind = PGORM_FIELD_SCALAR;
            f->name = pgorm_strdup(col->name);
        }
        if (!f->name || !f->column)
            return false;
    }
    for (size_t k = 0; k < t->nkeys; k++) {
        const mig_key *key = &t->keys[k];
        pgorm_block *b = &m->blocks[m->nblocks++];
        b->kind = key->kind == MIG_KEY_PRIMARY  ? PGORM_BLOCK_ID
                  : key->kind == MIG_KEY_UNIQUE ? PGORM_BLOCK_UNIQUE
                                                : PGORM_BLOCK_INDEX;
        b->fields = pgorm_calloc(key->ncols + 1, sizeof *b->fields);
        b->field_pos = pgorm_calloc(key->ncols + 1, sizeof *b->field_pos);
        b->name = pgorm_strdup(key->name);
        if (!b->fields || !b->field_pos || (key->name && !b->name))
            return false;
        for (size_t j = 0; j < key->ncols; j++) {
            bool expr = key->exprs && key->exprs[j];
            if (!(b->fields[j] = pgorm_strdup(expr ? "expr" : field_of(m, key->cols[j]))))
                return false;
            b->nfields++;
        }
        if (!block_options(b, key))
            return false;
    }
    if (t->nchecks) {
        m->checks = pgorm_calloc(t->nchecks, sizeof *m->checks);
        if (!m->checks)
            return false;
        for (size_t k = 0; k < t->nchecks; k++) {
            const mig_check *ck = &t->checks[k];
            pgorm_check *pc = &m->checks[m->nchecks++];
            pc->name = pgorm_strdup(ck->name);
            pc->expr = pgorm_strdup(ck->expr);
            if (!pc->name || !pc->expr)
                return false;
        }
    }
    /* @@foreign_key: the foreign keys a ForeignKey field cannot spell. */
    size_t nblock = 0;
    for (size_t k = 0; k < t->nfks; k++)
        nblock += t->fks[k].block;
    if (nblock && !(m->fkeys = pgorm_calloc(nblock, sizeof *m->fkeys)))
        return false;
    for (size_t k = 0; k < t->nfks; k++) {
        const mig_fk *fk = &t->fks[k];
        if (!fk->block)
            continue;
        pgorm_foreign_key *pk = &m->fkeys[m->nfkeys++];
        size_t n = mig_fk_ncols(fk);
        const mig_table *ref = mig_catalog_table(c, fk->ref_table);
        pk->target = table_index(c, fk->ref_table);
        pk->on_delete = fk->on_delete;
        pk->target_model = pgorm_strdup(fk->ref_table);
        pk->name = fk->name ? pgorm_strdup(fk->name) : NULL;
        pk->fields = pgorm_calloc(n, sizeof *pk->fields);
        pk->field_pos = pgorm_calloc(n, sizeof *pk->field_pos);
        pk->target_fields = pgorm_calloc(n, sizeof *pk->target_fields);
        pk->target_field_pos = pgorm_calloc(n, sizeof *pk->target_field_pos);
        if (!pk->target_model || (fk->name && !pk->name) || !pk->fields || !pk->field_pos ||
            !pk->target_fields || !pk->target_field_pos)
            return false;
        for (size_t j = 0; j < n; j++) {
            const char *rc = mig_fk_ref(fk, j);
            pk->fields[j] = pgorm_strdup(field_of(m, mig_fk_col(fk, j)));
            pk->target_fields[j] =
                ref && mig_table_fk(ref, rc) ? fk_field_name(rc) : pgorm_strdup(rc);
            pk->nfields++;
            pk->ntarget_fields++;
            if (!pk->fields[j] || !pk->target_fields[j])
                return false;
        }
    }
    /* A foreign key column no key or index leads with: @index(false), so
       that the schema asks for the database as it is. */
    for (size_t i = 0; i < m->nfields; i++)
        if (pgorm_ddl_fk_wants_index(m, &m->fields[i]))
            m->fields[i].no_index = true;
    return true;
}

pgorm_schema *mig_catalog_to_schema(const mig_catalog *c)
{
    pgorm_schema *s = pgorm_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->models = pgorm_calloc(c->ntables + 1, sizeof *s->models);
    if (!s->models)
        goto oom;
    for (size_t i = 0; i < c->ntables; i++) {
        s->nmodels++;
        if (!convert_table(c, &c->tables[i], &s->models[i]))
            goto oom;
    }
    /* BackReference targets are not in a database; target_fk stays NONE. */
    s->enums = pgorm_calloc(c->nenums + 1, sizeof *s->enums);
    if (!s->enums)
        goto oom;
    for (size_t i = 0; i < c->nenums; i++) {
        const mig_enum *me = &c->enums[i];
        pgorm_enum *e = &s->enums[s->nenums++];
        char sc[64];
        pgorm_sql_schema_of(me->name, sc);
        e->name = pgorm_strdup(pgorm_sql_base_name(me->name));
        e->type = pgorm_strdup(pgorm_sql_base_name(me->name));
        if (sc[0] && strcmp(sc, "public") != 0 && !(e->schema = pgorm_strdup(sc)))
            goto oom;
        e->values = pgorm_calloc(me->nlabels + 1, sizeof *e->values);
        if (!e->name || !e->type || !e->values)
            goto oom;
        for (size_t k = 0; k < me->nlabels; k++) {
            if (!(e->values[k].name = pgorm_strdup(me->labels[k])))
                goto oom;
            e->nvalues++;
        }
    }
    return s;
oom:
    pgorm_schema_free(s);
    return NULL;
}
