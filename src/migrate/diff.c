#include "migrate/diff.h"

#include <string.h>

#include "migrate/introspect.h"
#include "pgorm/pgorm.h"
#include "util/sqlq.h"

/* ------------------------------------------------------------------ */
/* Matching by name, then by explicit rename.                           */

static bool table_renamed_from(const mig_table *t, const char *old)
{
    return (t->renamed_from && strcmp(t->renamed_from, old) == 0) ||
           (t->renamed_from_model && strcmp(t->renamed_from_model, old) == 0) ||
           /* the same table moved to another SQL schema */
           strcmp(pgorm_sql_base_name(t->name), pgorm_sql_base_name(old)) == 0;
}

/* The to-table that from-table f becomes, or NULL. */
static const mig_table *match_table(const mig_catalog *from, const mig_catalog *to,
                                    const mig_table *f)
{
    const mig_table *t = mig_catalog_table(to, f->name);
    if (t)
        return t;
    for (size_t i = 0; i < to->ntables; i++) {
        t = &to->tables[i];
        if (!mig_catalog_table(from, t->name) && table_renamed_from(t, f->name))
            return t;
    }
    return NULL;
}

/* The from-table that to-table t comes from, or NULL (a new table). */
static const mig_table *match_table_rev(const mig_catalog *from, const mig_catalog *to,
                                        const mig_table *t)
{
    const mig_table *f = mig_catalog_table(from, t->name);
    if (f)
        return f;
    for (size_t i = 0; i < from->ntables; i++) {
        f = &from->tables[i];
        if (table_renamed_from(t, f->name) && match_table(from, to, f) == t)
            return f;
    }
    return NULL;
}

static const mig_column *match_col(const mig_table *f, const mig_table *t, const mig_column *fc)
{
    const mig_column *tc = mig_table_column(t, fc->name);
    if (tc)
        return tc;
    for (size_t i = 0; i < t->ncols; i++) {
        tc = &t->cols[i];
        if (tc->renamed_from && strcmp(tc->renamed_from, fc->name) == 0 &&
            !mig_table_column(f, tc->name))
            return tc;
    }
    return NULL;
}

static const mig_column *match_col_rev(const mig_table *f, const mig_table *t,
                                       const mig_column *tc)
{
    const mig_column *fc = mig_table_column(f, tc->name);
    if (fc)
        return fc;
    if (!tc->renamed_from)
        return NULL;
    fc = mig_table_column(f, tc->renamed_from);
    return fc && match_col(f, t, fc) == tc ? fc : NULL;
}

const mig_table *mig_diff_matched_table(const mig_diff *d, const char *from_name)
{
    const mig_table *f = mig_catalog_table(d->from, from_name);
    return f ? match_table(d->from, d->to, f) : NULL;
}

const char *mig_diff_new_column(const mig_diff *d, const mig_table *from_table,
                                const char *from_col)
{
    const mig_table *t = match_table(d->from, d->to, from_table);
    const mig_column *fc = mig_table_column(from_table, from_col);
    const mig_column *tc = t && fc ? match_col(from_table, t, fc) : NULL;
    return tc ? tc->name : NULL;
}

/* ------------------------------------------------------------------ */
/* Comparisons.                                                         */

static bool is_serial(const mig_column *c)
{
    return c->type.scalar == PGORM_S_SERIAL || c->type.scalar == PGORM_S_BIGSERIAL;
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bool mig_default_eq(const mig_column *a, const mig_column *b)
{
    bool ha = a->def.kind != PGORM_DEFAULT_NONE, hb = b->def.kind != PGORM_DEFAULT_NONE;
    if (!ha || !hb)
        return ha == hb;
    if (a->def_sql && b->def_sql)
        return strcmp(a->def_sql, b->def_sql) == 0;
    bool na = a->def.kind == PGORM_DEFAULT_INT || a->def.kind == PGORM_DEFAULT_DECIMAL;
    bool nb = b->def.kind == PGORM_DEFAULT_INT || b->def.kind == PGORM_DEFAULT_DECIMAL;
    if (na && nb)
        return str_eq(a->def.text, b->def.text);
    return a->def.kind == b->def.kind && str_eq(a->def.text, b->def.text);
}

/* Key k of from-table f, its columns renamed as in t, equals key tk. */
static bool key_matches(const mig_diff *d, const mig_table *f, const mig_key *k,
                        const mig_key *tk)
{
    if (k->kind != tk->kind || k->ncols != tk->ncols || !mig_key_options_eq(k, tk))
        return false;
    for (size_t i = 0; i < k->ncols; i++)
        if (!(k->exprs && k->exprs[i]) &&
            !str_eq(mig_diff_new_column(d, f, k->cols[i]), tk->cols[i]))
            return false;
    return true;
}

static bool fk_matches(const mig_diff *d, const mig_table *f, const mig_fk *k, const mig_fk *tk)
{
    size_t n = mig_fk_ncols(k);
    if (k->on_delete != tk->on_delete || k->on_update != tk->on_update || n != mig_fk_ncols(tk))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!str_eq(mig_diff_new_column(d, f, mig_fk_col(k, i)), mig_fk_col(tk, i)))
            return false;
    const mig_table *ref = mig_catalog_table(d->from, k->ref_table);
    const mig_table *tref = ref ? match_table(d->from, d->to, ref) : NULL;
    if (!tref || strcmp(tref->name, tk->ref_table) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!str_eq(mig_diff_new_column(d, ref, mig_fk_ref(k, i)), mig_fk_ref(tk, i)))
            return false;
    return true;
}

/* ------------------------------------------------------------------ */
/* The list.                                                            */

static bool push(mig_diff *d, mig_change c)
{
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 32;
        mig_change *p = pgorm_realloc(d->items, ncap * sizeof *p);
        if (!p)
            return false;
        d->items = p;
        d->cap = ncap;
    }
    d->items[d->n++] = c;
    return true;
}

/* A default that is the same value of an enum under its new name: the
   RENAME VALUE carries it along. */
static bool enum_default_renamed(const mig_diff *d, const mig_column *fc, const mig_column *tc)
{
    if (fc->type.scalar != PGORM_S_ENUM || tc->type.scalar != PGORM_S_ENUM ||
        !str_eq(fc->enum_type, tc->enum_type) || fc->def.kind != PGORM_DEFAULT_ENUM ||
        tc->def.kind != PGORM_DEFAULT_ENUM || !fc->def.text || !tc->def.text)
        return false;
    const mig_enum *fe = mig_catalog_enum(d->from, fc->enum_type);
    const mig_enum *te = mig_catalog_enum(d->to, tc->enum_type);
    size_t ti = fe && te ? mig_enum_label(te, tc->def.text) : PGORM_NONE;
    size_t fi = ti == PGORM_NONE ? PGORM_NONE : mig_enum_old_label(fe, te, ti);
    return fi != PGORM_NONE && strcmp(fe->labels[fi], fc->def.text) == 0;
}

static bool diff_columns(mig_diff *d, const mig_table *f, const mig_table *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        const mig_column *tc = &t->cols[i];
        const mig_column *fc = match_col_rev(f, t, tc);
        mig_change c = {.from_table = f, .to_table = t, .from_col = fc, .to_col = tc};
        if (!fc) {
            c.kind = MIG_COLUMN_ADD;
            if (!push(d, c))
                return false;
            continue;
        }
        if (strcmp(fc->name, tc->name) != 0) {
            c.kind = MIG_COLUMN_RENAME;
            if (!push(d, c))
                return false;
        }
        if (!mig_type_eq(fc->type, tc->type) ||
            (tc->type.scalar == PGORM_S_ENUM && !str_eq(fc->enum_type, tc->enum_type))) {
            c.kind = MIG_COLUMN_TYPE;
            if (!push(d, c))
                return false;
        }
        if (fc->nullable != tc->nullable) {
            c.kind = MIG_COLUMN_NULL;
            if (!push(d, c))
                return false;
        }
        if (!is_serial(fc) && !is_serial(tc) && !mig_default_eq(fc, tc) &&
            !enum_default_renamed(d, fc, tc)) {
            c.kind = MIG_COLUMN_DEFAULT;
            if (!push(d, c))
                return false;
        }
    }
    for (size_t i = 0; i < f->ncols; i++) {
        if (match_col(f, t, &f->cols[i]))
            continue;
        mig_change c = {.kind = MIG_COLUMN_DROP, .from_table = f, .to_table = t,
                        .from_col = &f->cols[i]};
        if (!push(d, c))
            return false;
    }
    return true;
}

static bool diff_keys(mig_diff *d, const mig_table *f, const mig_table *t)
{
    /* Each from-key matches at most one to-key (duplicates are dropped). */
    bool used_f[256], used_t[256];
    bool *uf = f->nkeys <= 256 ? used_f : pgorm_calloc(f->nkeys, sizeof *uf);
    bool *ut = t->nkeys <= 256 ? used_t : pgorm_calloc(t->nkeys, sizeof *ut);
    bool ok = uf && ut;
    if (ok) {
        memset(uf, 0, f->nkeys * sizeof *uf);
        memset(ut, 0, t->nkeys * sizeof *ut);
    }
    for (size_t i = 0; ok && i < t->nkeys; i++)
        for (size_t j = 0; j < f->nkeys; j++)
            if (!uf[j] && key_matches(d, f, &f->keys[j], &t->keys[i])) {
                uf[j] = ut[i] = true;
                break;
            }
    for (size_t j = 0; ok && j < f->nkeys; j++)
        if (!uf[j])
            ok = push(d, (mig_change){.kind = MIG_KEY_DROP, .from_table = f, .to_table = t,
                                      .from_key = &f->keys[j]});
    for (size_t i = 0; ok && i < t->nkeys; i++)
        if (!ut[i])
            ok = push(d, (mig_change){.kind = MIG_KEY_ADD, .from_table = f, .to_table = t,
                                      .to_key = &t->keys[i]});
    if (uf != used_f)
        pgorm_free(uf);
    if (ut != used_t)
        pgorm_free(ut);
    return ok;
}

static bool diff_fks(mig_diff *d, const mig_table *f, const mig_table *t)
{
    for (size_t j = 0; j < f->nfks; j++) {
        bool found = false;
        for (size_t i = 0; i < t->nfks && !found; i++)
            found = fk_matches(d, f, &f->fks[j], &t->fks[i]);
        if (!found && !push(d, (mig_change){.kind = MIG_FK_DROP, .from_table = f,
                                            .to_table = t, .from_fk = &f->fks[j]}))
            return false;
    }
    for (size_t i = 0; i < t->nfks; i++) {
        bool found = false;
        for (size_t j = 0; j < f->nfks && !found; j++)
            found = fk_matches(d, f, &f->fks[j], &t->fks[i]);
        if (!found && !push(d, (mig_change){.kind = MIG_FK_ADD, .from_table = f,
                                            .to_table = t, .to_fk = &t->fks[i]}))
            return false;
    }
    return true;
}

size_t mig_enum_old_label(const mig_enum *from, const mig_enum *to, size_t ti)
{
    size_t fi = mig_enum_label(from, to->labels[ti]);
    if (fi != PGORM_NONE)
        return fi;
    const char *old = to->renamed_from ? to->renamed_from[ti] : NULL;
    if (old && mig_enum_label(to, old) == PGORM_NONE)
        return mig_enum_label(from, old);
    return PGORM_NONE;
}

bool mig_enum_label_dropped(const mig_enum *from, const mig_enum *to, size_t fi)
{
    for (size_t ti = 0; ti < to->nlabels; ti++)
        if (mig_enum_old_label(from, to, ti) == fi)
            return false;
    return true;
}

bool mig_enum_needs_recreate(const mig_enum *from, const mig_enum *to)
{
    for (size_t fi = 0; fi < from->nlabels; fi++)
        if (mig_enum_label_dropped(from, to, fi))
            return true;
    size_t last = 0;
    bool any = false;
    for (size_t ti = 0; ti < to->nlabels; ti++) {
        size_t fi = mig_enum_old_label(from, to, ti);
        if (fi == PGORM_NONE)
            continue;
        if (any && fi < last)
            return true;
        last = fi;
        any = true;
    }
    return false;
}

static bool enum_differs(const mig_enum *f, const mig_enum *t)
{
    if (f->nlabels != t->nlabels)
        return true;
    for (size_t i = 0; i < f->nlabels; i++)
        if (strcmp(f->labels[i], t->labels[i]) != 0)
            return true;
    return false;
}

/* Enum types: created and altered before the tables' changes are listed,
   dropped after (render.c orders the SQL by phase anyway). */
static bool diff_enums(mig_diff *d, const mig_catalog *from, const mig_catalog *to, bool drops)
{
    if (drops) {
        for (size_t i = 0; i < from->nenums; i++)
            if (!mig_catalog_enum(to, from->enums[i].name) &&
                !push(d, (mig_change){.kind = MIG_ENUM_DROP, .from_enum = &from->enums[i]}))
                return false;
        return true;
    }
    for (size_t i = 0; i < to->nenums; i++) {
        const mig_enum *t = &to->enums[i], *f = mig_catalog_enum(from, t->name);
        if (!f) {
            if (!push(d, (mig_change){.kind = MIG_ENUM_ADD, .to_enum = t}))
                return false;
        } else if (enum_differs(f, t) &&
                   !push(d, (mig_change){.kind = MIG_ENUM_ALTER, .from_enum = f, .to_enum = t})) {
            return false;
        }
    }
    return true;
}

bool mig_check_eq(const mig_check *a, const mig_check *b)
{
    if (!str_eq(a->name, b->name))
        return false;
    if (a->def_sql && b->def_sql)
        return strcmp(a->def_sql, b->def_sql) == 0;
    return str_eq(a->expr, b->expr);
}

/* The check of t named `name`, or NULL. */
static const mig_check *check_named(const mig_table *t, const char *name)
{
    for (size_t i = 0; i < t->nchecks; i++)
        if (str_eq(t->checks[i].name, name))
            return &t->checks[i];
    return NULL;
}

/* A check of the database that pgorm did not make (no 'pgorm' comment) and
   that the file does not name: made by hand, so it is left alone. */
static bool check_unmanaged(const mig_check *fc, const mig_table *t)
{
    return !fc->marked && !check_named(t, fc->name);
}

static bool diff_checks(mig_diff *d, const mig_table *f, const mig_table *t)
{
    for (size_t j = 0; j < f->nchecks; j++) {
        bool found = check_unmanaged(&f->checks[j], t);
        for (size_t i = 0; i < t->nchecks && !found; i++)
            found = mig_check_eq(&f->checks[j], &t->checks[i]);
        if (!found && !push(d, (mig_change){.kind = MIG_CHECK_DROP, .from_table = f,
                                            .to_table = t, .from_check = &f->checks[j]}))
            return false;
    }
    for (size_t i = 0; i < t->nchecks; i++) {
        bool found = false;
        for (size_t j = 0; j < f->nchecks && !found; j++)
            found = mig_check_eq(&f->checks[j], &t->checks[i]);
        if (!found && !push(d, (mig_change){.kind = MIG_CHECK_ADD, .from_table = f,
                                            .to_table = t, .to_check = &t->checks[i]}))
            return false;
    }
    return true;
}

/* Checks of the database that the file names and that are equal, but that
   pgorm did not mark (`pgorm pull` wrote them): nothing to change, so they
   alone never make a migration; a migration written anyway marks them, so
   that removing one from the file later drops it. */
static bool mark_checks(mig_diff *d)
{
    size_t n = d->n;
    for (size_t i = 0; n && i < d->to->ntables; i++) {
        const mig_table *t = &d->to->tables[i];
        const mig_table *f = match_table_rev(d->from, d->to, t);
        for (size_t j = 0; f && j < f->nchecks; j++) {
            const mig_check *fc = &f->checks[j];
            const mig_check *tc = fc->marked ? NULL : check_named(t, fc->name);
            if (tc && mig_check_eq(fc, tc) &&
                !push(d, (mig_change){.kind = MIG_CHECK_MARK, .from_table = f, .to_table = t,
                                      .from_check = fc, .to_check = tc}))
                return false;
        }
    }
    return true;
}

bool mig_keep_unmanaged_checks(mig_catalog *from, const mig_catalog *to)
{
    for (size_t i = 0; i < from->ntables; i++) {
        const mig_table *f = &from->tables[i];
        const mig_table *t = to ? match_table(from, to, f) : NULL;
        for (size_t j = 0; t && j < f->nchecks; j++) {
            const mig_check *fc = &f->checks[j];
            if (check_unmanaged(fc, t) &&
                !mig_unmanaged_find(from, MIG_UM_CHECK, f->name, fc->name) &&
                !mig_unmanaged_add(from, MIG_UM_CHECK, f->name, fc->name,
                                   fc->def_sql ? fc->def_sql : fc->expr))
                return false;
        }
    }
    mig_unmanaged_sort(from);
    return true;
}

bool mig_diff_compute(const mig_catalog *from, const mig_catalog *to, mig_diff *d)
{
    memset(d, 0, sizeof *d);
    d->from = from;
    d->to = to;
    bool ok = diff_enums(d, from, to, false);
    for (size_t i = 0; ok && i < from->ntables; i++)
        if (!match_table(from, to, &from->tables[i]))
            ok = push(d, (mig_change){.kind = MIG_TABLE_DROP, .from_table = &from->tables[i]});
    for (size_t i = 0; ok && i < to->ntables; i++) {
        const mig_table *t = &to->tables[i];
        const mig_table *f = match_table_rev(from, to, t);
        if (!f) {
            ok = push(d, (mig_change){.kind = MIG_TABLE_ADD, .to_table = t});
            continue;
        }
        if (strcmp(f->name, t->name) != 0)
            ok = push(d, (mig_change){.kind = MIG_TABLE_RENAME, .from_table = f, .to_table = t});
        ok = ok && diff_columns(d, f, t) && diff_keys(d, f, t) && diff_fks(d, f, t);
        ok = ok && diff_checks(d, f, t);
    }
    ok = ok && diff_enums(d, from, to, true);
    ok = ok && mark_checks(d);
    if (!ok)
        mig_diff_free(d);
    return ok;
}

void mig_diff_free(mig_diff *d)
{
    pgorm_free(d->items);
    d->items = NULL;
    d->n = d->cap = 0;
}

bool mig_change_lossy(const mig_change *c)
{
    switch (c->kind) {
    case MIG_TABLE_DROP:
    case MIG_COLUMN_DROP:
        return true;
    case MIG_COLUMN_TYPE:
        if (c->from_col->type.scalar == PGORM_S_ENUM && c->to_col->type.scalar == PGORM_S_ENUM)
            return true; /* another enum: its labels may not hold the values */
        return !mig_type_widens(c->from_col->type, c->to_col->type);
    case MIG_ENUM_ALTER:
        for (size_t i = 0; i < c->from_enum->nlabels; i++)
            if (mig_enum_label_dropped(c->from_enum, c->to_enum, i))
                return true;
        return false;
    default:
        return false;
    }
}

/* ------------------------------------------------------------------ */
/* Descriptions.                                                        */

static void put_type(pgorm_buf *b, pgorm_coltype t)
{
    char tmp[64];
    if (t.scalar == PGORM_S_SERIAL || t.scalar == PGORM_S_BIGSERIAL)
        pgorm_buf_puts(b, t.scalar == PGORM_S_SERIAL ? "serial" : "bigserial");
    else
        pgorm_buf_puts(b, mig_type_sql(t, tmp, sizeof tmp));
}

static void put_col_type(pgorm_buf *b, const mig_column *c)
{
    if (c->type.scalar == PGORM_S_ENUM && c->enum_type)
        pgorm_buf_printf(b, "enum %s", c->enum_type);
    else
        put_type(b, c->type);
}

static void put_labels(pgorm_buf *b, const mig_enum *e)
{
    pgorm_buf_putc(b, '(');
    for (size_t i = 0; i < e->nlabels; i++)
        pgorm_buf_printf(b, "%s%s", i ? ", " : "", e->labels[i]);
    pgorm_buf_putc(b, ')');
}

static void put_enum_alter(pgorm_buf *b, const mig_enum *f, const mig_enum *t)
{
    pgorm_buf_printf(b, "change enum %s:", t->name);
    const char *sep = " ";
    for (size_t ti = 0; ti < t->nlabels; ti++) {
        size_t fi = mig_enum_old_label(f, t, ti);
        if (fi == PGORM_NONE)
            pgorm_buf_printf(b, "%sadd value %s", sep, t->labels[ti]);
        else if (strcmp(f->labels[fi], t->labels[ti]) != 0)
            pgorm_buf_printf(b, "%srename value %s to %s", sep, f->labels[fi], t->labels[ti]);
        else
            continue;
        sep = ", ";
    }
    for (size_t fi = 0; fi < f->nlabels; fi++)
        if (mig_enum_label_dropped(f, t, fi)) {
            pgorm_buf_printf(b, "%sdrop value %s", sep, f->labels[fi]);
            sep = ", ";
        }
    if (mig_enum_needs_recreate(f, t)) {
        pgorm_buf_puts(b, *sep == ' ' ? " reorder values " : "; values now ");
        put_labels(b, t);
    }
}

static void put_default(pgorm_buf *b, const mig_column *c)
{
    if (c->def.kind == PGORM_DEFAULT_NONE)
        pgorm_buf_puts(b, "none");
    else if (c->def_sql)
        pgorm_buf_puts(b, c->def_sql);
    else if (c->def.kind == PGORM_DEFAULT_NOW)
        pgorm_buf_puts(b, "now()");
    else if (c->def.kind == PGORM_DEFAULT_STRING)
        pgorm_buf_printf(b, "\"%s\"", c->def.text ? c->def.text : "");
    else
        pgorm_buf_puts(b, c->def.text ? c->def.text : "");
}

static void put_cols(pgorm_buf *b, char *const *cols, size_t n)
{
    pgorm_buf_putc(b, '(');
    for (size_t i = 0; i < n; i++)
        pgorm_buf_printf(b, "%s%s", i ? ", " : "", cols[i]);
    pgorm_buf_putc(b, ')');
}

static const char *key_word(mig_key_kind k)
{
    return k == MIG_KEY_PRIMARY ? "primary key" : k == MIG_KEY_UNIQUE ? "unique" : "index";
}

static const char *on_delete_word(pgorm_on_delete o)
{
    switch (o) {
    case PGORM_ON_DELETE_CASCADE: return "cascade";
    case PGORM_ON_DELETE_RESTRICT: return "restrict";
    case PGORM_ON_DELETE_SET_NULL: return "set null";
    default: return "no action";
    }
}

void mig_change_describe(pgorm_buf *b, const mig_change *c)
{
    switch (c->kind) {
    case MIG_ENUM_ADD:
        pgorm_buf_printf(b, "create enum %s ", c->to_enum->name);
        put_labels(b, c->to_enum);
        return;
    case MIG_ENUM_DROP:
        pgorm_buf_printf(b, "drop enum %s", c->from_enum->name);
        return;
    case MIG_ENUM_ALTER:
        put_enum_alter(b, c->from_enum, c->to_enum);
        return;
    default:
        break;
    }
    const char *tn = c->to_table ? c->to_table->name : c->from_table->name;
    switch (c->kind) {
    case MIG_TABLE_ADD:
        pgorm_buf_printf(b, "create table %s", tn);
        break;
    case MIG_TABLE_DROP:
        pgorm_buf_printf(b, "drop table %s", c->from_table->name);
        break;
    case MIG_TABLE_RENAME:
        if (strcmp(pgorm_sql_base_name(c->from_table->name), pgorm_sql_base_name(tn)) == 0) {
            char sc[64];
            pgorm_sql_schema_of(tn, sc);
            pgorm_buf_printf(b, "move table %s to schema %s", c->from_table->name,
                             sc[0] ? sc : "public");
        } else {
            pgorm_buf_printf(b, "rename table %s to %s", c->from_table->name, tn);
        }
        break;
    case MIG_COLUMN_ADD:
        pgorm_buf_printf(b, "add column %s.%s ", tn, c->to_col->name);
        put_col_type(b, c->to_col);
        pgorm_buf_puts(b, c->to_col->nullable ? " NULL" : " NOT NULL");
        break;
    case MIG_COLUMN_DROP:
        pgorm_buf_printf(b, "drop column %s.%s", tn, c->from_col->name);
        break;
    case MIG_COLUMN_RENAME:
        pgorm_buf_printf(b, "rename column %s.%s to %s", tn, c->from_col->name, c->to_col->name);
        break;
    case MIG_COLUMN_TYPE:
        pgorm_buf_printf(b, "change type of %s.%s: ", tn, c->to_col->name);
        put_col_type(b, c->from_col);
        pgorm_buf_puts(b, " -> ");
        put_col_type(b, c->to_col);
        break;
    case MIG_COLUMN_NULL:
        pgorm_buf_printf(b, "%s.%s: %s", tn, c->to_col->name,
                         c->to_col->nullable ? "NOT NULL -> NULL" : "NULL -> NOT NULL");
        break;
    case MIG_COLUMN_DEFAULT:
        pgorm_buf_printf(b, "change default of %s.%s: ", tn, c->to_col->name);
        put_default(b, c->from_col);
        pgorm_buf_puts(b, " -> ");
        put_default(b, c->to_col);
        break;
    case MIG_KEY_ADD:
    case MIG_KEY_DROP: {
        const mig_key *k = c->kind == MIG_KEY_ADD ? c->to_key : c->from_key;
        pgorm_buf_printf(b, "%s %s on %s ", c->kind == MIG_KEY_ADD ? "add" : "drop",
                         key_word(k->kind), tn);
        if (mig_key_has_options(k)) {
            if (k->method)
                pgorm_buf_printf(b, "using %s ", k->method);
            pgorm_buf_putc(b, '(');
            for (size_t i = 0; i < k->ncols; i++)
                pgorm_buf_printf(b, "%s%s%s", i ? ", " : "",
                                 k->exprs && k->exprs[i] ? k->exprs[i] : k->cols[i],
                                 k->desc && k->desc[i] ? " desc" : "");
            pgorm_buf_putc(b, ')');
            if (k->where)
                pgorm_buf_printf(b, " where %s", k->where);
        } else {
            put_cols(b, k->cols, k->ncols);
        }
        if (k->name)
            pgorm_buf_printf(b, " (%s)", k->name);
        break;
    }
    case MIG_FK_ADD:
    case MIG_FK_DROP: {
        const mig_fk *k = c->kind == MIG_FK_ADD ? c->to_fk : c->from_fk;
        if (k->ncolumns > 1) {
            pgorm_buf_printf(b, "%s foreign key %s(", c->kind == MIG_FK_ADD ? "add" : "drop",
                             tn);
            for (size_t i = 0; i < k->ncolumns; i++)
                pgorm_buf_printf(b, "%s%s", i ? ", " : "", k->columns[i]);
            pgorm_buf_printf(b, ") -> %s(", k->ref_table);
            for (size_t i = 0; i < k->ncolumns; i++)
                pgorm_buf_printf(b, "%s%s", i ? ", " : "", k->ref_columns[i]);
            pgorm_buf_printf(b, ") on delete %s", on_delete_word(k->on_delete));
            break;
        }
        pgorm_buf_printf(b, "%s foreign key %s.%s -> %s.%s on delete %s",
                         c->kind == MIG_FK_ADD ? "add" : "drop", tn, k->column, k->ref_table,
                         k->ref_column, on_delete_word(k->on_delete));
        if (k->on_update != PGORM_ON_DELETE_NO_ACTION)
            pgorm_buf_printf(b, " on update %s", on_delete_word(k->on_update));
        break;
    }
    case MIG_ENUM_ADD:
    case MIG_ENUM_DROP:
    case MIG_ENUM_ALTER:
        break;
    case MIG_CHECK_ADD:
        pgorm_buf_printf(b, "add check %s on %s: %s", c->to_check->name, tn,
                         c->to_check->def_sql ? c->to_check->def_sql : c->to_check->expr);
        break;
    case MIG_CHECK_DROP:
        pgorm_buf_printf(b, "drop check %s on %s: %s", c->from_check->name, tn,
                         c->from_check->def_sql ? c->from_check->def_sql : c->from_check->expr);
        break;
    case MIG_CHECK_MARK:
        pgorm_buf_printf(b, "mark check %s on %s as the schema's (the file names it)",
                         c->from_check->name, tn);
        break;
    }
}
