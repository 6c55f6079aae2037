#include "migrate/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/ddl.h"
#include "pgorm/pgorm.h"
#include "util/sqlq.h"

/* Phases (see render.h); gaps leave room for order within a phase. */
enum {
    PH_DROP_CHECK = -10,
    /* an index with an expression or a predicate: its SQL names columns by
       the names they have before renames and type changes (as a check's) */
    PH_DROP_INDEX_SQL = -9,
    PH_RENAME_TABLE = 0,
    PH_RENAME_COLUMN = 1,
    PH_DROP_FK = 10,
    PH_DROP_INDEX = 20,
    PH_DROP_UNIQUE = 21,
    PH_DROP_PK = 22,
    PH_DROP_TABLE = 30,
    PH_DROP_COLUMN = 40,
    PH_ALTER_COLUMN = 50,
    PH_ADD_COLUMN = 60,
    PH_ADD_PK = 70,
    PH_ADD_UNIQUE = 71,
    PH_ADD_INDEX = 72,
    PH_ADD_CHECK = 75,
    PH_CREATE_TABLE = 80,
    PH_ADD_FK = 90,
    /* enum types: created and changed after what is dropped and before the
       columns that use them change or come; dropped last */
    PH_CREATE_ENUM = 45,
    PH_ALTER_ENUM = 46,
    PH_DROP_ENUM = 95,
    /* SQL schemas that tables or enums come to: before anything else */
    PH_CREATE_SCHEMA = -20,
};

typedef struct step {
    int phase;
    size_t seq;
    pgorm_buf up, down;
} step;

typedef struct rctx {
    const mig_diff *d;
    step *steps;
    size_t n, cap;
    char **used; /* names taken in the database's relation namespace */
    size_t nused, capused;
    bool oom;
} rctx;

/* ------------------------------------------------------------------ */
/* Steps and names.                                                     */

static step *new_step(rctx *x, int phase)
{
    if (x->n == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 32;
        step *p = pgorm_realloc(x->steps, ncap * sizeof *p);
        if (!p) {
            x->oom = true;
            return NULL;
        }
        x->steps = p;
        x->cap = ncap;
    }
    step *s = &x->steps[x->n];
    *s = (step){.phase = phase, .seq = x->n, .up = PGORM_BUF_INIT, .down = PGORM_BUF_INIT};
    x->n++;
    return s;
}

static bool name_used(const rctx *x, const char *name)
{
    for (size_t i = 0; i < x->nused; i++)
        if (x->used[i] && strcmp(x->used[i], name) == 0)
            return true;
    return false;
}

static void name_add(rctx *x, const char *name)
{
    if (!name || name_used(x, name))
        return;
    if (x->nused == x->capused) {
        size_t ncap = x->capused ? x->capused * 2 : 64;
        char **p = pgorm_realloc(x->used, ncap * sizeof *p);
        if (!p) {
            x->oom = true;
            return;
        }
        x->used = p;
        x->capused = ncap;
    }
    if (!(x->used[x->nused++] = pgorm_strdup(name)))
        x->oom = true;
}

/* "schema.name" for an object of `table`'s schema (indexes, constraints
   and sequences are named per schema), into out. */
static const char *in_schema(char out[PGORM_DDL_QNAME_SIZE], const char *table, const char *name)
{
    char sc[64];
    pgorm_sql_schema_of(table, sc);
    pgorm_ddl_qname(out, sc, name ? name : "");
    return name ? out : NULL;
}

static void name_release(rctx *x, const char *name)
{
    for (size_t i = 0; name && i < x->nused; i++)
        if (x->used[i] && strcmp(x->used[i], name) == 0) {
            pgorm_free(x->used[i]);
            x->used[i] = NULL;
        }
}

/* A new name by the DDL's convention, unique in the database: "<base>",
   else with "1", "2", ... appended to the suffix, as PostgreSQL does. */
static void name_pick(rctx *x, char out[PGORM_DDL_NAME_SIZE], const char *given,
                      const char *table, char *const *cols, size_t ncols, const char *suffix)
{
    char q[PGORM_DDL_QNAME_SIZE];
    const char *base = pgorm_sql_base_name(table);
    if (given) {
        snprintf(out, PGORM_DDL_NAME_SIZE, "%s", given);
    } else {
        pgorm_constraint_name(out, base, (const char *const *)cols, ncols, suffix);
        for (int k = 1; name_used(x, in_schema(q, table, out)); k++) {
            char suf[32];
            snprintf(suf, sizeof suf, "%s%d", suffix, k);
            pgorm_constraint_name(out, base, (const char *const *)cols, ncols, suf);
        }
    }
    name_add(x, in_schema(q, table, out));
}

static void init_names(rctx *x)
{
    const mig_catalog *from = x->d->from, *to = x->d->to;
    for (size_t i = 0; i < from->ntables; i++) {
        const mig_table *t = &from->tables[i];
        char q[PGORM_DDL_QNAME_SIZE];
        name_add(x, t->name);
        for (size_t k = 0; k < t->nkeys; k++)
            name_add(x, in_schema(q, t->name, t->keys[k].name));
        for (size_t k = 0; k < t->nfks; k++)
            name_add(x, in_schema(q, t->name, t->fks[k].name));
        for (size_t k = 0; k < t->ncols; k++)
            name_add(x, in_schema(q, t->name, t->cols[k].seq));
    }
    for (size_t i = 0; i < to->ntables; i++)
        name_add(x, to->tables[i].name);
    /* what the migration leaves alone keeps its name: an unmanaged index
       (an operator class, say) named as a new one would be */
    for (size_t i = 0; i < from->nunmanaged; i++) {
        mig_unmanaged_kind k = from->unmanaged[i].kind;
        if (k != MIG_UM_COLUMN && k != MIG_UM_TRIGGER && k != MIG_UM_TYPE &&
            k != MIG_UM_FUNCTION)
            name_add(x, from->unmanaged[i].name);
    }
    /* Names of what the migration drops are free for what it adds. */
    for (size_t i = 0; i < x->d->n; i++) {
        const mig_change *c = &x->d->items[i];
        char q[PGORM_DDL_QNAME_SIZE];
        const char *ft = c->from_table ? c->from_table->name : "";
        if (c->kind == MIG_KEY_DROP)
            name_release(x, in_schema(q, ft, c->from_key->name));
        else if (c->kind == MIG_FK_DROP)
            name_release(x, in_schema(q, ft, c->from_fk->name));
        else if (c->kind == MIG_TABLE_DROP) {
            for (size_t k = 0; k < c->from_table->nkeys; k++)
                name_release(x, in_schema(q, ft, c->from_table->keys[k].name));
            for (size_t k = 0; k < c->from_table->nfks; k++)
                name_release(x, in_schema(q, ft, c->from_table->fks[k].name));
        }
    }
}

/* ------------------------------------------------------------------ */
/* Pieces of SQL.                                                       */

/* A table or column of `from` by the name it has once phase 0 ran. */
static const char *new_table_name(const rctx *x, const mig_table *f)
{
    const mig_table *t = mig_diff_matched_table(x->d, f->name);
    return t ? t->name : f->name;
}

static const char *new_col_name(const rctx *x, const mig_table *f, const char *col)
{
    const char *n = mig_diff_new_column(x->d, f, col);
    return n ? n : col;
}

static bool is_serial(const mig_column *c)
{
    return c->type.scalar == PGORM_S_SERIAL || c->type.scalar == PGORM_S_BIGSERIAL;
}

static void put_type(pgorm_buf *b, pgorm_coltype t)
{
    char tmp[64];
    pgorm_buf_puts(b, mig_type_sql(t, tmp, sizeof tmp));
}

/* A column's default expression: the server's own spelling for a column
   read from the database, else the DDL's. */
static void put_default(pgorm_buf *b, const mig_column *c, bool from_side)
{
    if (from_side && c->def_sql)
        pgorm_buf_puts(b, c->def_sql);
    else
        pgorm_ddl_default_expr(b, &c->def, c->type);
}

/* A column's type: an enum by its (quoted) name. */
static void put_col_type(pgorm_buf *b, const mig_column *c, pgorm_coltype t)
{
    if (t.scalar == PGORM_S_ENUM && c->enum_type)
        pgorm_sql_qualified(b, c->enum_type);
    else
        put_type(b, t);
}

static void col_def(pgorm_buf *b, const mig_column *c, bool from_side)
{
    pgorm_sql_ident(b, c->name);
    pgorm_buf_putc(b, ' ');
    if (c->type.scalar == PGORM_S_ENUM)
        put_col_type(b, c, c->type);
    else if (is_serial(c))
        pgorm_buf_puts(b, c->type.scalar == PGORM_S_SERIAL ? "serial" : "bigserial");
    else
        put_type(b, c->type);
    if (!c->nullable)
        pgorm_buf_puts(b, " NOT NULL");
    if (c->def.kind != PGORM_DEFAULT_NONE) {
        pgorm_buf_puts(b, " DEFAULT ");
        put_default(b, c, from_side);
    }
}

/* A value every row can take when a NOT NULL column comes back. */
static const char *placeholder(pgorm_coltype t)
{
    if (t.array)
        return "'{}'";
    switch (pgorm_coltype_plain(t).scalar) {
    case PGORM_S_BOOL: return "false";
    case PGORM_S_TEXT:
    case PGORM_S_VARCHAR:
    case PGORM_S_BYTEA: return "''";
    case PGORM_S_UUID: return "'00000000-0000-0000-0000-000000000000'";
    case PGORM_S_DATE: return "'1970-01-01'";
    case PGORM_S_TIMESTAMP: return "'1970-01-01 00:00:00'";
    case PGORM_S_TIMESTAMPTZ: return "'1970-01-01 00:00:00+00'";
    case PGORM_S_JSONB:
    case PGORM_S_JSON: return "'null'";
    case PGORM_S_CHAR:
    case PGORM_S_CITEXT: return "''";
    case PGORM_S_TIME:
    case PGORM_S_TIMETZ: return "'00:00:00'";
    case PGORM_S_INTERVAL: return "'0'";
    case PGORM_S_INET:
    case PGORM_S_CIDR: return "'0.0.0.0/0'";
    default: return "0";
    }
}

/* "-- text" with line breaks in names made harmless. */
static void comment(pgorm_buf *b, const char *text)
{
    pgorm_buf_puts(b, "-- ");
    for (const char *p = text; *p; p++)
        pgorm_buf_putc(b, *p == '\n' || *p == '\r' ? ' ' : *p);
    pgorm_buf_putc(b, '\n');
}

static void alter_column(pgorm_buf *b, const char *table, const char *col)
{
    pgorm_buf_puts(b, "ALTER TABLE ");
    pgorm_sql_qualified(b, table);
    pgorm_buf_puts(b, " ALTER COLUMN ");
    pgorm_sql_ident(b, col);
    pgorm_buf_putc(b, ' ');
}

static void alter_table(pgorm_buf *b, const char *table)
{
    pgorm_buf_puts(b, "ALTER TABLE ");
    pgorm_sql_qualified(b, table);
    pgorm_buf_putc(b, ' ');
}

static pgorm_block_kind block_kind(mig_key_kind k)
{
    return k == MIG_KEY_PRIMARY ? PGORM_BLOCK_ID
           : k == MIG_KEY_UNIQUE ? PGORM_BLOCK_UNIQUE
                                 : PGORM_BLOCK_INDEX;
}

/* Add / drop one key under `name` over `cols` (already in the names the
   table has when the statement runs). */
static void add_key(pgorm_buf *b, const char *table, const mig_key *k, const char *name,
                    const char **cols)
{
    pgorm_ddl_key dk = {.kind = block_kind(k->kind), .columns = cols, .ncolumns = k->ncols,
                        .exprs = (const char *const *)k->exprs, .desc = k->desc,
                        .where = k->where, .method = k->method,
                        .index_only = k->kind == MIG_KEY_UNIQUE && k->index_only};
    snprintf(dk.name, sizeof dk.name, "%s", name);
    pgorm_ddl_add_key(b, table, &dk);
}

static void drop_key(pgorm_buf *b, const char *table, const mig_key *k, const char *name)
{
    char q[PGORM_DDL_QNAME_SIZE];
    if (k->kind == MIG_KEY_INDEX || k->index_only)
        pgorm_ddl_drop_index(b, in_schema(q, table, name));
    else
        pgorm_ddl_drop_constraint(b, table, name);
}

static int key_phase(mig_key_kind k, bool add)
{
    if (k == MIG_KEY_PRIMARY)
        return add ? PH_ADD_PK : PH_DROP_PK;
    if (k == MIG_KEY_UNIQUE)
        return add ? PH_ADD_UNIQUE : PH_DROP_UNIQUE;
    return add ? PH_ADD_INDEX : PH_DROP_INDEX;
}

/* The columns of from-key k, renamed as the table has them after phase 0.
   New array (pgorm_free) of borrowed strings. */
static const char **from_key_cols(rctx *x, const mig_table *f, const mig_key *k)
{
    const char **cols = pgorm_calloc(k->ncols + 1, sizeof *cols);
    if (!cols) {
        x->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < k->ncols; i++)
        cols[i] = new_col_name(x, f, k->cols[i]);
    return cols;
}

/* Room for the column lists of a rendered @@foreign_key. */
typedef struct fkcols {
    const char *cols[64], *refs[64];
} fkcols;

static pgorm_ddl_fkey from_fk(const rctx *x, const mig_table *f, const mig_fk *k, fkcols *fc)
{
    pgorm_ddl_fkey fk = {.column = new_col_name(x, f, k->column), .on_delete = k->on_delete,
                         .on_update = k->on_update};
    snprintf(fk.name, sizeof fk.name, "%s", k->name ? k->name : "");
    const mig_table *ref = mig_catalog_table(x->d->from, k->ref_table);
    fk.ref_table = ref ? new_table_name(x, ref) : k->ref_table;
    fk.ref_column = ref ? new_col_name(x, ref, k->ref_column) : k->ref_column;
    if (k->ncolumns) {
        size_t n = k->ncolumns < 64 ? k->ncolumns : 64;
        for (size_t i = 0; i < n; i++) {
            fc->cols[i] = new_col_name(x, f, k->columns[i]);
            fc->refs[i] = ref ? new_col_name(x, ref, k->ref_columns[i]) : k->ref_columns[i];
        }
        fk.columns = fc->cols;
        fk.ref_columns = fc->refs;
        fk.ncolumns = n;
    }
    return fk;
}

static pgorm_ddl_fkey to_fk(rctx *x, const mig_table *t, const mig_fk *k, fkcols *fc)
{
    pgorm_ddl_fkey fk = {.column = k->column, .ref_table = k->ref_table,
                         .ref_column = k->ref_column, .on_delete = k->on_delete,
                         .on_update = k->on_update};
    char *col = k->column;
    if (k->ncolumns) {
        size_t n = k->ncolumns < 64 ? k->ncolumns : 64;
        for (size_t i = 0; i < n; i++) {
            fc->cols[i] = k->columns[i];
            fc->refs[i] = k->ref_columns[i];
        }
        fk.columns = fc->cols;
        fk.ref_columns = fc->refs;
        fk.ncolumns = n;
        name_pick(x, fk.name, k->name, t->name, k->columns, n, "fkey");
        return fk;
    }
    name_pick(x, fk.name, k->name, t->name, &col, 1, "fkey");
    return fk;
}

/* CREATE TABLE with columns, primary key and unique constraints, the
   foreign keys `fk_inline` selects (NULL: none), then its indexes. */
static void create_table(rctx *x, pgorm_buf *b, const mig_table *t, bool from_side,
                         const bool *fk_inline)
{
    pgorm_buf_puts(b, "CREATE TABLE ");
    pgorm_sql_qualified(b, t->name);
    pgorm_buf_puts(b, " (");
    bool first = true;
#define ELEM()                                                                                 \
    do {                                                                                       \
        pgorm_buf_puts(b, first ? "\n    " : ",\n    ");                                       \
        first = false;                                                                         \
    } while (0)
    for (size_t i = 0; i < t->ncols; i++) {
        ELEM();
        col_def(b, &t->cols[i], from_side);
    }
    for (size_t i = 0; i < t->nkeys; i++) {
        const mig_key *k = &t->keys[i];
        if (k->kind == MIG_KEY_INDEX || k->index_only)
            continue;
        pgorm_ddl_key dk = {.kind = block_kind(k->kind), .columns = (const char **)k->cols,
                            .ncolumns = k->ncols};
        if (from_side)
            snprintf(dk.name, sizeof dk.name, "%s", k->name);
        else
            name_pick(x, dk.name, k->name, t->name, k->kind == MIG_KEY_PRIMARY ? NULL : k->cols,
                      k->kind == MIG_KEY_PRIMARY ? 0 : k->ncols,
                      k->kind == MIG_KEY_PRIMARY ? "pkey" : "key");
        ELEM();
        pgorm_ddl_key_constraint(b, &dk);
    }
    for (size_t i = 0; i < t->nchecks; i++) {
        const mig_check *ck = &t->checks[i];
        ELEM();
        if (from_side && ck->def_sql) {
            pgorm_buf_puts(b, "CONSTRAINT ");
            pgorm_sql_ident(b, ck->name);
            pgorm_buf_putc(b, ' ');
            pgorm_buf_puts(b, ck->def_sql);
        } else {
            pgorm_ddl_check_constraint(b, ck->name, ck->expr);
        }
    }
    for (size_t i = 0; fk_inline && i < t->nfks; i++) {
        if (!fk_inline[i])
            continue;
        fkcols fc_;
        pgorm_ddl_fkey fk = to_fk(x, t, &t->fks[i], &fc_);
        ELEM();
        pgorm_ddl_fkey_constraint(b, &fk);
    }
#undef ELEM
    pgorm_buf_puts(b, first ? ");\n" : "\n);\n");
    for (size_t i = 0; i < t->nchecks; i++)
        if (!from_side || t->checks[i].marked)
            pgorm_ddl_mark_check(b, t->name, t->checks[i].name, true);
    for (size_t i = 0; i < t->nkeys; i++) {
        const mig_key *k = &t->keys[i];
        if (k->kind != MIG_KEY_INDEX && !k->index_only)
            continue;
        char name[PGORM_DDL_NAME_SIZE];
        if (from_side)
            snprintf(name, sizeof name, "%s", k->name);
        else
            name_pick(x, name, k->name, t->name, k->cols, k->ncols, "idx");
        add_key(b, t->name, k, name, (const char **)k->cols);
    }
}

/* ------------------------------------------------------------------ */
/* Changes to steps.                                                    */

/* Table `from` becomes `to` (catalog spellings): SET SCHEMA when the SQL
   schema changes (its indexes, constraints and owned sequences move with
   it), then RENAME TO when the name does. */
static void rename_table(pgorm_buf *b, const char *from, const char *to)
{
    char fs[64], ts[64], q[PGORM_DDL_QNAME_SIZE];
    pgorm_sql_schema_of(from, fs);
    pgorm_sql_schema_of(to, ts);
    const char *fb = pgorm_sql_base_name(from), *tb = pgorm_sql_base_name(to);
    pgorm_ddl_qname(q, fs, fb);
    if (strcmp(fs[0] ? fs : "public", ts[0] ? ts : "public") != 0) {
        alter_table(b, q);
        pgorm_buf_puts(b, "SET SCHEMA ");
        pgorm_sql_ident(b, ts[0] ? ts : "public");
        pgorm_buf_puts(b, ";\n");
        pgorm_ddl_qname(q, ts, fb);
    }
    if (strcmp(fb, tb) != 0) {
        alter_table(b, q);
        pgorm_buf_puts(b, "RENAME TO ");
        pgorm_sql_ident(b, tb);
        pgorm_buf_puts(b, ";\n");
    }
}

/* A sequence of `table`'s schema. */
static void seq_name(pgorm_buf *b, const char *table, const char *seq)
{
    char q[PGORM_DDL_QNAME_SIZE];
    pgorm_sql_qualified(b, in_schema(q, table, seq));
}

static void seq_literal(pgorm_buf *b, const char *table, const char *seq)
{
    pgorm_buf q = PGORM_BUF_INIT;
    seq_name(&q, table, seq);
    pgorm_sql_literal(b, q.data ? q.data : "");
    if (q.oom)
        b->oom = true;
    pgorm_buf_free(&q);
}

/* CREATE SEQUENCE owned by the column, positioned after its values, and the
   column's default; `b` gets the statements in that order. */
static void add_sequence(pgorm_buf *b, const char *table, const char *col, const char *seq,
                         pgorm_coltype type)
{
    pgorm_buf_puts(b, "CREATE SEQUENCE ");
    seq_name(b, table, seq);
    pgorm_buf_puts(b, pgorm_coltype_plain(type).scalar == PGORM_S_INT8 ? " AS bigint"
                                                                        : " AS integer");
    pgorm_buf_puts(b, " OWNED BY ");
    pgorm_sql_qualified(b, table);
    pgorm_buf_putc(b, '.');
    pgorm_sql_ident(b, col);
    pgorm_buf_puts(b, ";\nSELECT setval(");
    seq_literal(b, table, seq);
    pgorm_buf_puts(b, ", coalesce(max(");
    pgorm_sql_ident(b, col);
    pgorm_buf_puts(b, "), 0) + 1, false) FROM ");
    pgorm_sql_qualified(b, table);
    pgorm_buf_puts(b, ";\n");
    alter_column(b, table, col);
    pgorm_buf_puts(b, "SET DEFAULT nextval(");
    seq_literal(b, table, seq);
    pgorm_buf_puts(b, "::regclass);\n");
}

static void drop_sequence(pgorm_buf *b, const char *table, const char *col, const char *seq)
{
    alter_column(b, table, col);
    pgorm_buf_puts(b, "DROP DEFAULT;\nDROP SEQUENCE ");
    seq_name(b, table, seq);
    pgorm_buf_puts(b, ";\n");
}

/* Whether the diff changes the values of enum `type`. */
static bool enum_altered(const rctx *x, const char *type)
{
    for (size_t i = 0; type && i < x->d->n; i++) {
        const mig_change *c = &x->d->items[i];
        if (c->kind == MIG_ENUM_ALTER && strcmp(c->from_enum->name, type) == 0)
            return true;
    }
    return false;
}

/* Every difference of one column, in the order that keeps each statement
   valid: old default off, type, NULL, new default on. */
static void alter_steps(rctx *x, const char *table, const mig_column *f, const mig_column *t)
{
    bool fs = is_serial(f), ts = is_serial(t);
    pgorm_coltype fb = pgorm_coltype_plain(f->type), tb = pgorm_coltype_plain(t->type);
    bool base_changed = !mig_type_eq(fb, tb) ||
                        (tb.scalar == PGORM_S_ENUM && f->enum_type && t->enum_type &&
                         strcmp(f->enum_type, t->enum_type) != 0);
    bool def_changed = fs != ts || (!fs && !ts && !mig_default_eq(f, t));
    bool has_f = f->def.kind != PGORM_DEFAULT_NONE, has_t = t->def.kind != PGORM_DEFAULT_NONE;
    bool dropped = false;
    const char *col = t->name;
    char seqname[PGORM_DDL_NAME_SIZE];
    /* A default of an enum that this migration changes: in the down file
       it can only be set again once the enum has its old values back,
       which is the enum's own step (it runs after this one there). */
    bool f_enum_alt = f->type.scalar == PGORM_S_ENUM && enum_altered(x, f->enum_type);
    step *s;

    if (fs && !ts) {
        const char *seq = f->seq;
        if (!seq) {
            char *c = f->name;
            pgorm_constraint_name(seqname, pgorm_sql_base_name(table), (const char *const *)&c, 1,
                                  "seq");
            seq = seqname;
        }
        if (!(s = new_step(x, PH_ALTER_COLUMN)))
            return;
        drop_sequence(&s->up, table, col, seq);
        add_sequence(&s->down, table, col, seq, fb);
    } else if (!fs && has_f && (base_changed || ts || (def_changed && !has_t))) {
        if (!(s = new_step(x, PH_ALTER_COLUMN)))
            return;
        alter_column(&s->up, table, col);
        pgorm_buf_puts(&s->up, "DROP DEFAULT;\n");
        alter_column(&s->down, table, col);
        if (f_enum_alt) { /* the enum's own down step restores it */
            pgorm_buf_puts(&s->down, "DROP DEFAULT;\n");
        } else {
            pgorm_buf_puts(&s->down, "SET DEFAULT ");
            put_default(&s->down, f, true);
            pgorm_buf_puts(&s->down, ";\n");
        }
        dropped = true;
    }
    if (base_changed) {
        if (!(s = new_step(x, PH_ALTER_COLUMN)))
            return;
        pgorm_buf *bufs[2] = {&s->up, &s->down};
        pgorm_coltype types[2] = {tb, fb};
        const mig_column *cols[2] = {t, f};
        for (int k = 0; k < 2; k++) {
            alter_column(bufs[k], table, col);
            pgorm_buf_puts(bufs[k], "TYPE ");
            put_col_type(bufs[k], cols[k], types[k]);
            pgorm_buf_puts(bufs[k], " USING ");
            pgorm_sql_ident(bufs[k], col);
            /* into an enum through its text (any type has one) */
            pgorm_buf_puts(bufs[k], types[k].scalar == PGORM_S_ENUM ? "::text::" : "::");
            put_col_type(bufs[k], cols[k], types[k]);
            pgorm_buf_puts(bufs[k], ";\n");
        }
        if (fs && ts && f->seq) {
            if (!(s = new_step(x, PH_ALTER_COLUMN)))
                return;
            pgorm_buf_puts(&s->up, "ALTER SEQUENCE ");
            seq_name(&s->up, table, f->seq);
            pgorm_buf_puts(&s->up, tb.scalar == PGORM_S_INT8 ? " AS bigint;\n" : " AS integer;\n");
            pgorm_buf_puts(&s->down, "ALTER SEQUENCE ");
            seq_name(&s->down, table, f->seq);
            pgorm_buf_puts(&s->down,
                           fb.scalar == PGORM_S_INT8 ? " AS bigint;\n" : " AS integer;\n");
        }
    }
    if (f->nullable != t->nullable) {
        if (!(s = new_step(x, PH_ALTER_COLUMN)))
            return;
        alter_column(&s->up, table, col);
        pgorm_buf_puts(&s->up, t->nullable ? "DROP NOT NULL;\n" : "SET NOT NULL;\n");
        alter_column(&s->down, table, col);
        pgorm_buf_puts(&s->down, f->nullable ? "DROP NOT NULL;\n" : "SET NOT NULL;\n");
    }
    if (!fs && ts) {
        char *c = t->name;
        name_pick(x, seqname, NULL, table, &c, 1, "seq");
        if (!(s = new_step(x, PH_ALTER_COLUMN)))
            return;
        add_sequence(&s->up, table, col, seqname, tb);
        drop_sequence(&s->down, table, col, seqname);
    } else if (!ts && has_t && (def_changed || base_changed)) {
        if (!(s = new_step(x, PH_ALTER_COLUMN)))
            return;
        alter_column(&s->up, table, col);
        pgorm_buf_puts(&s->up, "SET DEFAULT ");
        put_default(&s->up, t, false);
        pgorm_buf_puts(&s->up, ";\n");
        alter_column(&s->down, table, col);
        if (dropped || !has_f || fs || f_enum_alt) {
            pgorm_buf_puts(&s->down, "DROP DEFAULT;\n");
        } else {
            pgorm_buf_puts(&s->down, "SET DEFAULT ");
            put_default(&s->down, f, true);
            pgorm_buf_puts(&s->down, ";\n");
        }
    }
}

static void drop_column_step(rctx *x, const mig_change *c)
{
    const char *table = c->to_table->name;
    const mig_column *f = c->from_col;
    step *s = new_step(x, PH_DROP_COLUMN);
    if (!s)
        return;
    alter_table(&s->up, table);
    pgorm_buf_puts(&s->up, "DROP COLUMN ");
    pgorm_sql_ident(&s->up, f->name);
    pgorm_buf_puts(&s->up, ";\n");

    bool fill = !f->nullable && f->def.kind == PGORM_DEFAULT_NONE && !is_serial(f);
    pgorm_buf first = PGORM_BUF_INIT; /* an enum's placeholder: its first value */
    const mig_enum *fe = f->type.scalar == PGORM_S_ENUM ? mig_catalog_enum(x->d->from, f->enum_type)
                                                         : NULL;
    if (fe && fe->nlabels)
        pgorm_sql_literal(&first, fe->labels[0]);
    const char *ph = first.data ? first.data : placeholder(f->type);
    pgorm_buf note = PGORM_BUF_INIT;
    pgorm_buf_printf(&note, "The values of %s.%s cannot come back: existing rows get %s.", table,
                     f->name,
                     fill ? ph
                     : f->nullable && f->def.kind == PGORM_DEFAULT_NONE && !is_serial(f)
                         ? "NULL"
                         : "the column's default");
    comment(&s->down, note.data ? note.data : "");
    pgorm_buf_free(&note);
    alter_table(&s->down, table);
    pgorm_buf_puts(&s->down, "ADD COLUMN ");
    col_def(&s->down, f, true);
    if (fill) {
        pgorm_buf_puts(&s->down, " DEFAULT ");
        pgorm_buf_puts(&s->down, ph);
        pgorm_buf_puts(&s->down, ";\n");
        alter_column(&s->down, table, f->name);
        pgorm_buf_puts(&s->down, "DROP DEFAULT");
    }
    pgorm_buf_puts(&s->down, ";\n");
    pgorm_buf_free(&first);
}

static void drop_table_steps(rctx *x, const mig_table *f)
{
    /* Its foreign keys first: whatever they point at may change or go in
       this migration, and in the down file they come back last. */
    for (size_t i = 0; i < f->nfks; i++) {
        step *s = new_step(x, PH_DROP_FK);
        if (!s)
            return;
        fkcols fc_;
        pgorm_ddl_fkey fk = from_fk(x, f, &f->fks[i], &fc_);
        pgorm_ddl_drop_fkey(&s->up, f->name, &fk);
        pgorm_ddl_add_fkey(&s->down, f->name, &fk);
    }
    step *s = new_step(x, PH_DROP_TABLE);
    if (!s)
        return;
    pgorm_ddl_drop_table(&s->up, f->name);
    pgorm_buf note = PGORM_BUF_INIT;
    pgorm_buf_printf(&note, "The rows of table %s cannot come back: it is re-created empty.",
                     f->name);
    comment(&s->down, note.data ? note.data : "");
    pgorm_buf_free(&note);
    create_table(x, &s->down, f, true, NULL);
}

/* A referenced table: 0 not new, 1 new and created, 2 new and not yet. */
static int new_state(const mig_table *const *tabs, const bool *done, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tabs[i]->name, name) == 0)
            return done[i] ? 1 : 2;
    return 0;
}

/* New tables: a table after the new tables its foreign keys point at; a
   foreign key that closes a cycle is added once both tables exist. */
static void create_table_steps(rctx *x)
{
    const mig_diff *d = x->d;
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += d->items[i].kind == MIG_TABLE_ADD;
    if (n == 0)
        return;
    const mig_table **tabs = pgorm_calloc(n, sizeof *tabs);
    bool *done = pgorm_calloc(n, sizeof *done);
    bool *inl = NULL;
    size_t maxfk = 1;
    if (!tabs || !done) {
        x->oom = true;
        goto out;
    }
    n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].kind == MIG_TABLE_ADD) {
            tabs[n++] = d->items[i].to_table;
            if (d->items[i].to_table->nfks > maxfk)
                maxfk = d->items[i].to_table->nfks;
        }
    if (!(inl = pgorm_calloc(maxfk, sizeof *inl))) {
        x->oom = true;
        goto out;
    }
    for (size_t emitted = 0; emitted < n; emitted++) {
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++) {
            if (done[i])
                continue;
            bool ready = true;
            for (size_t k = 0; k < tabs[i]->nfks && ready; k++) {
                int st = new_state(tabs, done, n, tabs[i]->fks[k].ref_table);
                ready = st != 2 || strcmp(tabs[i]->fks[k].ref_table, tabs[i]->name) == 0;
            }
            if (ready)
                pick = i;
        }
        if (pick == n) /* a cycle: break it at the first table left */
            for (pick = 0; done[pick]; pick++)
                ;
        const mig_table *t = tabs[pick];
        for (size_t k = 0; k < t->nfks; k++) {
            int st = new_state(tabs, done, n, t->fks[k].ref_table);
            inl[k] = st != 2 || strcmp(t->fks[k].ref_table, t->name) == 0;
        }
        done[pick] = true;
        step *s = new_step(x, PH_CREATE_TABLE);
        if (!s)
            goto out;
        create_table(x, &s->up, t, false, inl);
        pgorm_ddl_drop_table(&s->down, t->name);
        for (size_t k = 0; k < t->nfks; k++) {
            if (inl[k])
                continue;
            step *fs = new_step(x, PH_ADD_FK);
            if (!fs)
                goto out;
            fkcols fc_;
            pgorm_ddl_fkey fk = to_fk(x, t, &t->fks[k], &fc_);
            pgorm_ddl_add_fkey(&fs->up, t->name, &fk);
            pgorm_ddl_drop_fkey(&fs->down, t->name, &fk);
        }
    }
out:
    pgorm_free(tabs);
    pgorm_free(done);
    pgorm_free(inl);
}

static void enum_steps(rctx *x, const mig_change *c);

/* ALTER TABLE ... ADD CONSTRAINT for a check: the server's own spelling
   for one read from the database (it is exactly what was there), else the
   file's expression. */
static void add_check(pgorm_buf *b, const char *table, const mig_check *ck)
{
    if (!ck->def_sql || !ck->expr || ck->expr == ck->def_sql) {
        pgorm_ddl_add_check(b, table, ck->name, ck->expr ? ck->expr : "");
        return;
    }
    alter_table(b, table);
    pgorm_buf_puts(b, "ADD CONSTRAINT ");
    pgorm_sql_ident(b, ck->name);
    pgorm_buf_putc(b, ' ');
    pgorm_buf_puts(b, ck->def_sql);
    pgorm_buf_puts(b, ";\n");
}

static void change_steps(rctx *x, const mig_change *c, const mig_change *prev)
{
    step *s;
    switch (c->kind) {
    case MIG_ENUM_ADD:
    case MIG_ENUM_DROP:
    case MIG_ENUM_ALTER:
        enum_steps(x, c);
        return;
    case MIG_TABLE_ADD:
        return; /* create_table_steps, in dependency order */
    case MIG_TABLE_DROP:
        drop_table_steps(x, c->from_table);
        return;
    case MIG_TABLE_RENAME:
        if (!(s = new_step(x, PH_RENAME_TABLE)))
            return;
        rename_table(&s->up, c->from_table->name, c->to_table->name);
        rename_table(&s->down, c->to_table->name, c->from_table->name);
        return;
    case MIG_COLUMN_RENAME:
        if (!(s = new_step(x, PH_RENAME_COLUMN)))
            return;
        for (int k = 0; k < 2; k++) {
            pgorm_buf *b = k ? &s->down : &s->up;
            alter_table(b, c->to_table->name);
            pgorm_buf_puts(b, "RENAME COLUMN ");
            pgorm_sql_ident(b, k ? c->to_col->name : c->from_col->name);
            pgorm_buf_puts(b, " TO ");
            pgorm_sql_ident(b, k ? c->from_col->name : c->to_col->name);
            pgorm_buf_puts(b, ";\n");
        }
        return;
    case MIG_COLUMN_ADD:
        if (!(s = new_step(x, PH_ADD_COLUMN)))
            return;
        alter_table(&s->up, c->to_table->name);
        pgorm_buf_puts(&s->up, "ADD COLUMN ");
        col_def(&s->up, c->to_col, false);
        pgorm_buf_puts(&s->up, ";\n");
        alter_table(&s->down, c->to_table->name);
        pgorm_buf_puts(&s->down, "DROP COLUMN ");
        pgorm_sql_ident(&s->down, c->to_col->name);
        pgorm_buf_puts(&s->down, ";\n");
        return;
    case MIG_COLUMN_DROP:
        drop_column_step(x, c);
        return;
    case MIG_COLUMN_TYPE:
    case MIG_COLUMN_NULL:
    case MIG_COLUMN_DEFAULT:
        /* One plan per column, made at its first change. */
        if (prev && prev->to_col == c->to_col &&
            (prev->kind == MIG_COLUMN_TYPE || prev->kind == MIG_COLUMN_NULL ||
             prev->kind == MIG_COLUMN_DEFAULT))
            return;
        alter_steps(x, c->to_table->name, c->from_col, c->to_col);
        return;
    case MIG_KEY_ADD: {
        const mig_key *k = c->to_key;
        char name[PGORM_DDL_NAME_SIZE];
        bool pk = k->kind == MIG_KEY_PRIMARY;
        name_pick(x, name, k->name, c->to_table->name, pk ? NULL : k->cols, pk ? 0 : k->ncols,
                  pk ? "pkey" : k->kind == MIG_KEY_UNIQUE ? "key" : "idx");
        if (!(s = new_step(x, key_phase(k->kind, true))))
            return;
        add_key(&s->up, c->to_table->name, k, name, (const char **)k->cols);
        drop_key(&s->down, c->to_table->name, k, name);
        return;
    }
    case MIG_KEY_DROP: {
        const mig_key *k = c->from_key;
        bool sql = k->where;
        for (size_t i = 0; k->exprs && i < k->ncols; i++)
            sql = sql || k->exprs[i];
        if (sql) {
            /* before the renames: down re-creates it once they are undone */
            if (!(s = new_step(x, PH_DROP_INDEX_SQL)))
                return;
            drop_key(&s->up, c->from_table->name, k, k->name);
            add_key(&s->down, c->from_table->name, k, k->name, (const char **)k->cols);
            return;
        }
        const char **cols = from_key_cols(x, c->from_table, k);
        if (!cols || !(s = new_step(x, key_phase(k->kind, false)))) {
            pgorm_free(cols);
            return;
        }
        drop_key(&s->up, c->to_table->name, k, k->name);
        add_key(&s->down, c->to_table->name, k, k->name, cols);
        pgorm_free(cols);
        return;
    }
    case MIG_FK_ADD: {
        if (!(s = new_step(x, PH_ADD_FK)))
            return;
        fkcols fc_;
        pgorm_ddl_fkey fk = to_fk(x, c->to_table, c->to_fk, &fc_);
        pgorm_ddl_add_fkey(&s->up, c->to_table->name, &fk);
        pgorm_ddl_drop_fkey(&s->down, c->to_table->name, &fk);
        return;
    }
    case MIG_FK_DROP: {
        if (!(s = new_step(x, PH_DROP_FK)))
            return;
        fkcols fc_;
        pgorm_ddl_fkey fk = from_fk(x, c->from_table, c->from_fk, &fc_);
        pgorm_ddl_drop_fkey(&s->up, c->to_table->name, &fk);
        pgorm_ddl_add_fkey(&s->down, c->to_table->name, &fk);
        return;
    }
    case MIG_CHECK_ADD:
        /* after columns are added and altered: the file's expression, in
           the names the table has by then */
        if (!(s = new_step(x, PH_ADD_CHECK)))
            return;
        pgorm_ddl_add_check(&s->up, c->to_table->name, c->to_check->name, c->to_check->expr);
        pgorm_ddl_mark_check(&s->up, c->to_table->name, c->to_check->name, true);
        pgorm_ddl_drop_constraint(&s->down, c->to_table->name, c->to_check->name);
        return;
    case MIG_CHECK_MARK:
        if (!(s = new_step(x, PH_ADD_CHECK)))
            return;
        pgorm_ddl_mark_check(&s->up, c->to_table->name, c->to_check->name, true);
        pgorm_ddl_mark_check(&s->down, c->to_table->name, c->to_check->name, false);
        return;
    case MIG_CHECK_DROP:
        /* before any rename, under the table's old name: so the down file
           restores it last, once the old table and column names are back
           (its definition names them) */
        if (!(s = new_step(x, PH_DROP_CHECK)))
            return;
        pgorm_ddl_drop_constraint(&s->up, c->from_table->name, c->from_check->name);
        add_check(&s->down, c->from_table->name, c->from_check);
        if (c->from_check->marked)
            pgorm_ddl_mark_check(&s->down, c->from_table->name, c->from_check->name, true);
        return;
    }
}

/* ------------------------------------------------------------------ */
/* Enum types.                                                          */

static void create_enum(pgorm_buf *b, const mig_enum *e)
{
    pgorm_ddl_create_enum(b, e->name, (const char *const *)e->labels, e->nlabels);
}

/* One column of the database that has an enum type, by the names it has
   after phase 0. */
typedef struct enum_col {
    const char *table, *col;
    const mig_column *c; /* its from side */
} enum_col;

/* The columns of the database (from side, not dropped by this migration)
   whose type is enum `type`. New array (pgorm_free); *n its length. */
static enum_col *enum_columns(rctx *x, const char *type, size_t *n)
{
    const mig_catalog *from = x->d->from;
    size_t cap = 0;
    for (size_t i = 0; i < from->ntables; i++)
        cap += from->tables[i].ncols;
    enum_col *v = pgorm_calloc(cap + 1, sizeof *v);
    *n = 0;
    if (!v) {
        x->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < from->ntables; i++) {
        const mig_table *f = &from->tables[i];
        const mig_table *t = mig_diff_matched_table(x->d, f->name);
        if (!t)
            continue; /* dropped in phase 3 */
        for (size_t k = 0; k < f->ncols; k++) {
            const mig_column *c = &f->cols[k];
            const char *nc = mig_diff_new_column(x->d, f, c->name);
            if (c->type.scalar != PGORM_S_ENUM || !c->enum_type || strcmp(c->enum_type, type) != 0 ||
                !nc)
                continue;
            v[(*n)++] = (enum_col){t->name, nc, c};
        }
    }
    return v;
}

/* `label` as an SQL literal into b. */
static void lit(pgorm_buf *b, const char *label)
{
    pgorm_sql_literal(b, label);
}

/* Re-create enum `type` with labels dst[0..ndst), in place: the type is
   renamed away, the new one created, every column moved over (dst label i
   takes the rows of src_of[i], NULL: a new label), the old type dropped.
   `gone` labels have no place in dst: a guard first makes the migration
   fail, changing nothing, when a row still holds one. */
static void enum_recreate(rctx *x, pgorm_buf *b, const char *type, char *const *dst, size_t ndst,
                          const char *const *src_of, const char *const *gone, size_t ngone,
                          bool def_in_dst)
{
    size_t ncols = 0;
    enum_col *cols = enum_columns(x, type, &ncols);
    if (!cols)
        return;
    if (ngone && ncols) {
        pgorm_buf_puts(b, "DO $pgorm$\nBEGIN\n");
        for (size_t i = 0; i < ncols; i++) {
            pgorm_buf in = PGORM_BUF_INIT, msg = PGORM_BUF_INIT;
            for (size_t g = 0; g < ngone; g++) {
                if (g)
                    pgorm_buf_puts(&in, ", ");
                lit(&in, gone[g]);
            }
            pgorm_buf_printf(&msg, "enum %s loses ", type);
            for (size_t g = 0; g < ngone; g++)
                pgorm_buf_printf(&msg, "%s%s", g ? ", " : "", gone[g]);
            pgorm_buf_printf(&msg,
                             ", but rows of %s.%s still hold %s: change them first (the "
                             "migration changed nothing)",
                             cols[i].table, cols[i].col, ngone == 1 ? "it" : "them");
            pgorm_buf_puts(b, "    IF EXISTS (SELECT 1 FROM ");
            pgorm_sql_qualified(b, cols[i].table);
            pgorm_buf_puts(b, " WHERE ");
            pgorm_sql_ident(b, cols[i].col);
            pgorm_buf_printf(b, "::text IN (%s)) THEN\n        RAISE EXCEPTION USING MESSAGE = ",
                             in.data ? in.data : "");
            lit(b, msg.data ? msg.data : "");
            pgorm_buf_puts(b, ";\n    END IF;\n");
            b->oom |= in.oom || msg.oom;
            pgorm_buf_free(&in);
            pgorm_buf_free(&msg);
        }
        pgorm_buf_puts(b, "END\n$pgorm$;\n");
    }
    char old[PGORM_DDL_NAME_SIZE], qold[PGORM_DDL_QNAME_SIZE];
    snprintf(old, sizeof old, "%.40s_pgorm_old", pgorm_sql_base_name(type));
    in_schema(qold, type, old);
    pgorm_buf_puts(b, "ALTER TYPE ");
    pgorm_sql_qualified(b, type);
    pgorm_buf_puts(b, " RENAME TO ");
    pgorm_sql_ident(b, old);
    pgorm_buf_puts(b, ";\n");
    pgorm_ddl_create_enum(b, type, (const char *const *)dst, ndst);
    for (size_t i = 0; i < ncols; i++) {
        const mig_column *c = cols[i].c;
        bool has_def = c->def.kind != PGORM_DEFAULT_NONE;
        if (has_def) {
            alter_column(b, cols[i].table, cols[i].col);
            pgorm_buf_puts(b, "DROP DEFAULT;\n");
        }
        alter_column(b, cols[i].table, cols[i].col);
        pgorm_buf_puts(b, "TYPE ");
        pgorm_sql_qualified(b, type);
        pgorm_buf_puts(b, " USING ");
        bool renames = false;
        for (size_t k = 0; k < ndst; k++)
            renames |= src_of[k] && strcmp(src_of[k], dst[k]) != 0;
        if (renames) {
            pgorm_buf_puts(b, "(CASE ");
            pgorm_sql_ident(b, cols[i].col);
            pgorm_buf_puts(b, "::text");
            for (size_t k = 0; k < ndst; k++) {
                if (!src_of[k] || strcmp(src_of[k], dst[k]) == 0)
                    continue;
                pgorm_buf_puts(b, " WHEN ");
                lit(b, src_of[k]);
                pgorm_buf_puts(b, " THEN ");
                lit(b, dst[k]);
            }
            pgorm_buf_puts(b, " ELSE ");
            pgorm_sql_ident(b, cols[i].col);
            pgorm_buf_puts(b, "::text END)::");
        } else {
            pgorm_sql_ident(b, cols[i].col);
            pgorm_buf_puts(b, "::text::");
        }
        pgorm_sql_qualified(b, type);
        pgorm_buf_puts(b, ";\n");
        /* the default again, when its value has a place in the new type
           (a changed default is the column's own later step) */
        const char *dl = NULL;
        if (has_def && c->def.kind == PGORM_DEFAULT_ENUM && c->def.text)
            for (size_t k = 0; k < ndst && !dl; k++)
                if (def_in_dst ? strcmp(dst[k], c->def.text) == 0
                               : src_of[k] && strcmp(src_of[k], c->def.text) == 0)
                    dl = dst[k];
        if (dl) {
            alter_column(b, cols[i].table, cols[i].col);
            pgorm_buf_puts(b, "SET DEFAULT ");
            lit(b, dl);
            pgorm_buf_puts(b, ";\n");
        }
    }
    pgorm_buf_puts(b, "DROP TYPE ");
    pgorm_sql_qualified(b, qold);
    pgorm_buf_puts(b, ";\n");
    pgorm_free(cols);
}

/* Whether a column of the schema gives a value new to enum t as its
   default: such a value must be usable in the migration's transaction. */
static bool new_value_used(const rctx *x, const mig_enum *f, const mig_enum *t)
{
    const mig_catalog *to = x->d->to;
    for (size_t i = 0; i < to->ntables; i++)
        for (size_t k = 0; k < to->tables[i].ncols; k++) {
            const mig_column *c = &to->tables[i].cols[k];
            if (c->type.scalar != PGORM_S_ENUM || !c->enum_type ||
                strcmp(c->enum_type, t->name) != 0 || c->def.kind != PGORM_DEFAULT_ENUM ||
                !c->def.text)
                continue;
            size_t ti = mig_enum_label(t, c->def.text);
            if (ti != PGORM_NONE && mig_enum_old_label(f, t, ti) == PGORM_NONE)
                return true;
        }
    return false;
}

/* from -> to by re-creating the type (up), or back (down). */
static void recreate_between(rctx *x, pgorm_buf *b, const mig_enum *f, const mig_enum *t,
                             bool up)
{
    const mig_enum *src = up ? f : t, *dst = up ? t : f;
    const char **src_of = pgorm_calloc(dst->nlabels + 1, sizeof *src_of);
    const char **gone = pgorm_calloc(src->nlabels + 1, sizeof *gone);
    size_t ngone = 0;
    if (!src_of || !gone) {
        x->oom = true;
        goto out;
    }
    if (up) {
        for (size_t ti = 0; ti < t->nlabels; ti++) {
            size_t fi = mig_enum_old_label(f, t, ti);
            src_of[ti] = fi == PGORM_NONE ? NULL : f->labels[fi];
        }
        for (size_t fi = 0; fi < f->nlabels; fi++)
            if (mig_enum_label_dropped(f, t, fi))
                gone[ngone++] = f->labels[fi];
    } else {
        for (size_t ti = 0; ti < t->nlabels; ti++) {
            size_t fi = mig_enum_old_label(f, t, ti);
            if (fi == PGORM_NONE)
                gone[ngone++] = t->labels[ti];
            else
                src_of[fi] = t->labels[ti];
        }
    }
    /* the columns' defaults are the database's (from) labels: in the
       down file those are the labels the type gets back */
    enum_recreate(x, b, src->name, dst->labels, dst->nlabels, src_of, gone, ngone, !up);
out:
    pgorm_free(src_of);
    pgorm_free(gone);
}

static void enum_steps(rctx *x, const mig_change *c)
{
    step *s;
    if (c->kind == MIG_ENUM_ADD || c->kind == MIG_ENUM_DROP) {
        bool add = c->kind == MIG_ENUM_ADD;
        const mig_enum *e = add ? c->to_enum : c->from_enum;
        if (!(s = new_step(x, add ? PH_CREATE_ENUM : PH_DROP_ENUM)))
            return;
        create_enum(add ? &s->up : &s->down, e);
        pgorm_ddl_drop_enum(add ? &s->down : &s->up, e->name);
        return;
    }
    const mig_enum *f = c->from_enum, *t = c->to_enum;
    if (!(s = new_step(x, PH_ALTER_ENUM)))
        return;
    bool adds = false, renames = false;
    for (size_t ti = 0; ti < t->nlabels; ti++) {
        size_t fi = mig_enum_old_label(f, t, ti);
        adds |= fi == PGORM_NONE;
        renames |= fi != PGORM_NONE && strcmp(f->labels[fi], t->labels[ti]) != 0;
    }
    int v = x->d->server_version;
    bool old_server = v > 0 && v < 120000;
    bool used = adds && new_value_used(x, f, t);
    if (mig_enum_needs_recreate(f, t) || (adds && (old_server || used))) {
        if (!mig_enum_needs_recreate(f, t)) {
            pgorm_buf note = PGORM_BUF_INIT;
            if (old_server)
                pgorm_buf_printf(&note,
                                 "PostgreSQL %d.%d cannot run ALTER TYPE ... ADD VALUE inside "
                                 "this file's transaction: enum %s is re-created instead.",
                                 v / 10000, v % 10000 / 100, t->name);
            else
                pgorm_buf_printf(&note,
                                 "A value added with ALTER TYPE ... ADD VALUE cannot be used "
                                 "before its transaction commits, and this migration uses one "
                                 "as a default: enum %s is re-created instead.",
                                 t->name);
            comment(&s->up, note.data ? note.data : "");
            s->up.oom |= note.oom;
            pgorm_buf_free(&note);
        }
        recreate_between(x, &s->up, f, t, true);
    } else {
        /* renames first: the new values are placed among the new names */
        for (size_t ti = 0; ti < t->nlabels; ti++) {
            size_t fi = mig_enum_old_label(f, t, ti);
            if (fi == PGORM_NONE || strcmp(f->labels[fi], t->labels[ti]) == 0)
                continue;
            pgorm_buf_puts(&s->up, "ALTER TYPE ");
            pgorm_sql_qualified(&s->up, t->name);
            pgorm_buf_puts(&s->up, " RENAME VALUE ");
            lit(&s->up, f->labels[fi]);
            pgorm_buf_puts(&s->up, " TO ");
            lit(&s->up, t->labels[ti]);
            pgorm_buf_puts(&s->up, ";\n");
        }
        if (adds)
            comment(&s->up, "ADD VALUE runs in this file's transaction (PostgreSQL 12 and later); "
                            "the new values can be used once it has committed.");
        for (size_t ti = 0; ti < t->nlabels; ti++) {
            if (mig_enum_old_label(f, t, ti) != PGORM_NONE)
                continue;
            pgorm_buf_puts(&s->up, "ALTER TYPE ");
            pgorm_sql_qualified(&s->up, t->name);
            pgorm_buf_puts(&s->up, " ADD VALUE ");
            lit(&s->up, t->labels[ti]);
            if (ti > 0) {
                pgorm_buf_puts(&s->up, " AFTER ");
                lit(&s->up, t->labels[ti - 1]);
            } else {
                /* before the first value the type already has */
                size_t k = 1;
                while (k < t->nlabels && mig_enum_old_label(f, t, k) == PGORM_NONE)
                    k++;
                if (k < t->nlabels) {
                    pgorm_buf_puts(&s->up, " BEFORE ");
                    lit(&s->up, t->labels[k]);
                }
            }
            pgorm_buf_puts(&s->up, ";\n");
        }
    }
    /* Down: a value cannot be dropped from a type, so the type is
       re-created without the values the up file added (guarded like any
       dropped value); renames alone are renamed back. */
    if (!adds && !mig_enum_needs_recreate(f, t) && renames) {
        for (size_t ti = 0; ti < t->nlabels; ti++) {
            size_t fi = mig_enum_old_label(f, t, ti);
            if (fi == PGORM_NONE || strcmp(f->labels[fi], t->labels[ti]) == 0)
                continue;
            pgorm_buf_puts(&s->down, "ALTER TYPE ");
            pgorm_sql_qualified(&s->down, t->name);
            pgorm_buf_puts(&s->down, " RENAME VALUE ");
            lit(&s->down, t->labels[ti]);
            pgorm_buf_puts(&s->down, " TO ");
            lit(&s->down, f->labels[fi]);
            pgorm_buf_puts(&s->down, ";\n");
        }
        /* the columns' defaults, which their own down steps left off */
        size_t ncols = 0;
        enum_col *cols = enum_columns(x, f->name, &ncols);
        for (size_t i = 0; cols && i < ncols; i++) {
            const mig_column *ec = cols[i].c;
            if (ec->def.kind != PGORM_DEFAULT_ENUM || !ec->def.text)
                continue;
            alter_column(&s->down, cols[i].table, cols[i].col);
            pgorm_buf_puts(&s->down, "SET DEFAULT ");
            lit(&s->down, ec->def.text);
            pgorm_buf_puts(&s->down, ";\n");
        }
        pgorm_free(cols);
    } else {
        recreate_between(x, &s->down, f, t, false);
    }
}

/* ------------------------------------------------------------------ */
/* Files.                                                               */

static int step_cmp(const void *a, const void *b)
{
    const step *x = a, *y = b;
    if (x->phase != y->phase)
        return x->phase < y->phase ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void header(pgorm_buf *b, const char *title, bool up, const mig_diff *d)
{
    pgorm_buf line = PGORM_BUF_INIT;
    if (up)
        pgorm_buf_printf(&line, "pgorm migration %s (up), written by pgorm migrate make.", title);
    else
        pgorm_buf_printf(&line, "pgorm migration %s (down): reverses %s.up.sql, step by step.",
                         title, title);
    comment(b, line.data ? line.data : "");
    if (up) {
        comment(b, "Changes:");
        for (size_t i = 0; i < d->n; i++) {
            pgorm_buf_reset(&line);
            pgorm_buf_puts(&line, "  ");
            mig_change_describe(&line, &d->items[i]);
            comment(b, line.data ? line.data : "");
        }
    }
    if (line.oom)
        b->oom = true;
    pgorm_buf_free(&line);
}

/* CREATE SCHEMA IF NOT EXISTS for each SQL schema a new or moved table or a
   new enum lives in, once. The down file leaves schemas in place: other
   objects may have come to live there since. */
static void schema_steps(rctx *x)
{
    const mig_diff *d = x->d;
    for (size_t i = 0; i < d->n; i++) {
        const mig_change *c = &d->items[i];
        const char *name = c->kind == MIG_TABLE_ADD || c->kind == MIG_TABLE_RENAME ? c->to_table->name
                           : c->kind == MIG_ENUM_ADD                             ? c->to_enum->name
                                                                                 : NULL;
        char sc[64];
        if (!name)
            continue;
        pgorm_sql_schema_of(name, sc);
        if (!sc[0] || strcmp(sc, "public") == 0)
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) {
            const mig_change *o = &d->items[k];
            const char *on = o->kind == MIG_TABLE_ADD || o->kind == MIG_TABLE_RENAME
                                 ? o->to_table->name
                             : o->kind == MIG_ENUM_ADD ? o->to_enum->name
                                                       : NULL;
            char os[64];
            if (on) {
                pgorm_sql_schema_of(on, os);
                seen = strcmp(os, sc) == 0;
            }
        }
        step *s = seen ? NULL : new_step(x, PH_CREATE_SCHEMA);
        if (!s)
            continue;
        pgorm_ddl_create_sql_schema(&s->up, sc);
        pgorm_buf_printf(&s->down, "-- schema %s stays (pgorm does not drop schemas)\n", sc);
    }
}

bool mig_render(const mig_diff *d, const char *title, char **up, char **down)
{
    rctx x = {.d = d};
    *up = *down = NULL;
    init_names(&x);
    for (size_t i = 0; i < d->n; i++)
        change_steps(&x, &d->items[i], i ? &d->items[i - 1] : NULL);
    create_table_steps(&x);
    schema_steps(&x);
    if (x.n > 1)
        qsort(x.steps, x.n, sizeof *x.steps, step_cmp);

    pgorm_buf u = PGORM_BUF_INIT, w = PGORM_BUF_INIT;
    header(&u, title, true, d);
    header(&w, title, false, d);
    for (size_t i = 0; i < x.n; i++) {
        const step *s = &x.steps[i];
        if (i == 0 || x.steps[i - 1].phase / 10 != s->phase / 10)
            pgorm_buf_putc(&u, '\n');
        pgorm_buf_append(&u, s->up.data, s->up.len);
        x.oom |= s->up.oom;
    }
    for (size_t i = x.n; i-- > 0;) {
        const step *s = &x.steps[i];
        if (i == x.n - 1 || x.steps[i + 1].phase / 10 != s->phase / 10)
            pgorm_buf_putc(&w, '\n');
        pgorm_buf_append(&w, s->down.data, s->down.len);
        x.oom |= s->down.oom;
    }
    for (size_t i = 0; i < x.n; i++) {
        pgorm_buf_free(&x.steps[i].up);
        pgorm_buf_free(&x.steps[i].down);
    }
    pgorm_free(x.steps);
    for (size_t i = 0; i < x.nused; i++)
        pgorm_free(x.used[i]);
    pgorm_free(x.used);
    if (x.oom || u.oom || w.oom) {
        pgorm_buf_free(&u);
        pgorm_buf_free(&w);
        return false;
    }
    *up = pgorm_buf_steal(&u);
    *down = pgorm_buf_steal(&w);
    return *up && *down;
}
