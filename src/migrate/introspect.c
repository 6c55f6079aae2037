#include "migrate/introspect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "util/buf.h"
#include "util/sqlq.h"

#define QNAME MIG_QNAME
#define IN_SCHEMAS MIG_IN_SCHEMAS

/* The tables we look at, ordered by name in byte order (as strcmp sorts). */
#define TABLES_CTE                                                                             \
    "WITH tbl AS (SELECT c.oid, " QNAME("n.nspname", "c.relname") " AS relname FROM pg_class c " \
    "JOIN pg_namespace n ON n.oid = c.relnamespace "                                           \
    "WHERE n.nspname " IN_SCHEMAS " AND c.relkind IN ('r', 'p') AND NOT c.relispartition "     \
    "AND NOT (n.nspname = 'public' AND c.relname = 'pgorm_migrations')) "

static const char *const Q_TABLES =
    TABLES_CTE "SELECT oid, relname FROM tbl ORDER BY relname COLLATE \"C\"";

static const char *const Q_COLUMNS =
    TABLES_CTE
    "SELECT a.attrelid, a.attname, "
    "CASE WHEN t.typtype = 'e' THEN " QNAME("tn.nspname", "t.typname") " ELSE t.typname::text END, "
    "a.atttypmod, a.attnotnull, "
    "pg_get_expr(d.adbin, d.adrelid), "
    "(SELECT s.relname FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid "
    " WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass "
    " AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum AND s.relkind = 'S' "
    " AND dep.deptype = 'a' "
    " AND pg_get_expr(d.adbin, d.adrelid) = format('nextval(%L::regclass)', s.oid::regclass) "
    " LIMIT 1), "
    "a.attidentity <> '' OR a.attgenerated <> '', format_type(a.atttypid, a.atttypmod), "
    "t.typtype = 'd', t.typtype = 'e' AND tn.nspname " IN_SCHEMAS ", "
    "a.attndims "
    "FROM pg_attribute a JOIN tbl ON tbl.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid "
    "JOIN pg_namespace tn ON tn.oid = t.typnamespace "
    "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum";

/* One row per constraint column. */
static const char *const Q_CONSTRAINTS =
    TABLES_CTE
    "SELECT con.conrelid, con.conname, con.contype, a.attname, "
    "coalesce(" QNAME("fn.nspname", "ft.relname") ", ''), coalesce(fn.nspname, ''), "
    "coalesce(fa.attname, ''), "
    "con.confdeltype, array_length(con.conkey, 1), pg_get_constraintdef(con.oid), "
    "con.confupdtype "
    "FROM pg_constraint con JOIN tbl ON tbl.oid = con.conrelid "
    "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, i) "
    "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
    "LEFT JOIN pg_class ft ON ft.oid = con.confrelid "
    "LEFT JOIN pg_namespace fn ON fn.oid = ft.relnamespace "
    "LEFT JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = con.confkey[k.i] "
    "WHERE con.contype IN ('p', 'u', 'f') "
    "ORDER BY con.conrelid, CASE con.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 ELSE 2 END, "
    "con.conname COLLATE \"C\", k.i";

/* Indexes the schema language spells (MIG_INDEX_SPELLABLE_SQL), not the
   ones behind a constraint. One row per index element: its column (NULL
   for an expression), its text as the server prints it, DESC, and the
   index's method and predicate. */
static const char *const Q_INDEXES =
    TABLES_CTE
    "SELECT i.indrelid, ic.relname, i.indisunique, a.attname, i.indnkeyatts, "
    "pg_get_indexdef(i.indexrelid), am.amname, pg_get_indexdef(i.indexrelid, k.n, false), "
    "i.indoption[k.n - 1] = 3, pg_get_expr(i.indpred, i.indrelid) "
    "FROM pg_index i JOIN tbl ON tbl.oid = i.indrelid "
    "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
    "CROSS JOIN LATERAL generate_series(1, i.indnkeyatts::int) AS k(n) "
    "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.n - 1] "
    "AND i.indkey[k.n - 1] <> 0 "
    "WHERE " MIG_INDEX_SPELLABLE_SQL " "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid "
    "  AND c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')) "
    "ORDER BY i.indrelid, i.indisunique DESC, ic.relname COLLATE \"C\", k.n";

/* The columns each of those indexes uses (as an element, in an expression
   or in its predicate): an index over a column kept out of its table is
   unmanaged too. Laid out as the first columns of Q_CONSTRAINTS. */
static const char *const Q_INDEX_COLUMNS =
    TABLES_CTE
    "SELECT DISTINCT i.indrelid, ic.relname, 't', a.attname, 0, pg_get_indexdef(i.indexrelid) "
    "FROM pg_index i JOIN tbl ON tbl.oid = i.indrelid "
    "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
    "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid "
    "AND d.refclassid = 'pg_class'::regclass AND d.refobjid = i.indrelid AND d.refobjsubid > 0 "
    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = d.refobjsubid "
    "WHERE " MIG_INDEX_SPELLABLE_SQL " "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid "
    "  AND c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))";

/* The enum types of the schemas read with their labels, in sort order. */
static const char *const Q_ENUMS =
    "SELECT " QNAME("n.nspname", "t.typname") " AS name, e.enumlabel FROM pg_type t "
    "JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
    "WHERE n.nspname " IN_SCHEMAS " "
    "ORDER BY " QNAME("n.nspname", "t.typname") " COLLATE \"C\", e.enumsortorder";

/* CHECK constraints, as the server prints them, and whether pgorm made
   them (its comment on the constraint). */
static const char *const Q_CHECKS =
    TABLES_CTE
    "SELECT con.conrelid, con.conname, pg_get_constraintdef(con.oid), "
    "coalesce(obj_description(con.oid, 'pg_constraint') = 'pgorm', false) "
    "FROM pg_constraint con JOIN tbl ON tbl.oid = con.conrelid WHERE con.contype = 'c' "
    "ORDER BY con.conrelid, con.conname COLLATE \"C\"";

/* ------------------------------------------------------------------ */
/* Defaults.                                                           */

static bool is_number(const char *s, bool *decimal)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    *decimal = false;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
        *decimal = true;
    }
    return *p == '\0';
}

/* 'lit'::type -> the unescaped literal and the type's name, or false. */
static bool split_cast(const char *expr, char **lit, const char **type)
{
    if (expr[0] != '\'')
        return false;
    const char *p = expr + 1;
    size_t n = 0;
    for (;; p++) {
        if (*p == '\0')
            return false;
        if (*p == '\'') {
            if (p[1] != '\'')
                break;
            p++;
        }
        n++;
    }
    if (strncmp(p, "'::", 3) != 0)
        return false;
    *type = p + 3;
    char *s = pgorm_malloc(n + 1);
    if (!s)
        return false;
    size_t k = 0;
    for (const char *q = expr + 1; q < p; q++) {
        s[k++] = *q;
        if (*q == '\'')
            q++;
    }
    s[k] = '\0';
    *lit = s;
    return true;
}

bool mig_default_from_sql(const char *expr, pgorm_default *out)
{
    static const char *const string_types[] = {
        "text", "character varying", "date", "uuid", "jsonb", "timestamp without time zone",
        "timestamp with time zone", "time without time zone", "time with time zone",
        "interval", "inet", "cidr", "json", "bpchar", "citext", NULL};
    static const char *const number_types[] = {"integer", "bigint", "smallint", "numeric",
                                               "real", "double precision", NULL};
    bool decimal = false;
    out->text = NULL;
    if (strcmp(expr, "now()") == 0) {
        out->kind = PGORM_DEFAULT_NOW;
        return true;
    }
    if (strcmp(expr, "true") == 0 || strcmp(expr, "false") == 0) {
        out->kind = PGORM_DEFAULT_BOOL;
        return (out->text = pgorm_strdup(expr)) != NULL;
    }
    if (is_number(expr, &decimal)) {
        out->kind = decimal ? PGORM_DEFAULT_DECIMAL : PGORM_DEFAULT_INT;
        return (out->text = pgorm_strdup(expr)) != NULL;
    }
    char *lit = NULL;
    const char *type = NULL;
    if (split_cast(expr, &lit, &type)) {
        for (size_t i = 0; string_types[i]; i++)
            if (strcmp(type, string_types[i]) == 0) {
                out->kind = PGORM_DEFAULT_STRING;
                out->text = lit;
                return true;
            }
        for (size_t i = 0; number_types[i]; i++)
            if (strcmp(type, number_types[i]) == 0 && is_number(lit, &decimal)) {
                out->kind = decimal ? PGORM_DEFAULT_DECIMAL : PGORM_DEFAULT_INT;
                out->text = lit;
                return true;
            }
        pgorm_free(lit);
    }
    out->kind = PGORM_DEFAULT_SQL;
    return (out->text = pgorm_strdup(expr)) != NULL;
}

/* ------------------------------------------------------------------ */
/* Catalog.                                                            */

typedef struct ctx {
    PGconn *conn;
    mig_catalog *cat;
    Oid *oids; /* parallel to cat->tables while they are in query order */
    mig_err *e;
    const char *in_schemas; /* "IN ('public', 'app')" */
} ctx;

/* Run one of the queries above with its {in_schemas} filled in. */
static PGresult *query(ctx *x, const char *sql, const char *what)
{
    return mig_exec_in_schemas(x->conn, sql, x->in_schemas, x->e, what);
}

PGresult *mig_exec_in_schemas(PGconn *conn, const char *sql, const char *in_schemas, mig_err *e,
                              const char *what)
{
    pgorm_buf b = PGORM_BUF_INIT;
    for (const char *p = sql; *p;) {
        const char *m = strstr(p, IN_SCHEMAS);
        if (!m) {
            pgorm_buf_puts(&b, p);
            break;
        }
        pgorm_buf_append(&b, p, (size_t)(m - p));
        pgorm_buf_puts(&b, in_schemas);
        p = m + strlen(IN_SCHEMAS);
    }
    PGresult *r = NULL;
    if (b.oom)
        mig_err_set(e, MIG_DB, "out of memory while reading the database's tables");
    else
        r = mig_exec(conn, b.data, PGRES_TUPLES_OK, e, what);
    pgorm_buf_free(&b);
    return r;
}

static mig_table *table_of(ctx *x, const char *oid_text)
{
    Oid oid = (Oid)strtoul(oid_text, NULL, 10);
    for (size_t i = 0; i < x->cat->ntables; i++)
        if (x->oids[i] == oid)
            return &x->cat->tables[i];
    return NULL;
}

static int oom(ctx *x)
{
    return mig_err_set(x->e, MIG_DB, "out of memory while reading the database's tables");
}

static bool map_scalar(const char *typname, int typmod, pgorm_coltype *t);

/* `_text` (PostgreSQL's name of text[]) is an array of text, with the
   element's typmod (`varchar(40)[]`); ndims > 1 was declared text[][],
   which the language cannot spell (the server does not enforce it, but the
   declaration says rows may hold more). */
static bool map_type(const char *typname, int typmod, int ndims, pgorm_coltype *t)
{
    if (typname[0] == '_') {
        if (ndims > 1 || !map_scalar(typname + 1, typmod, t))
            return false;
        t->array = true;
        return true;
    }
    return map_scalar(typname, typmod, t);
}

static bool map_scalar(const char *typname, int typmod, pgorm_coltype *t)
{
    static const struct {
        const char *name;
        pgorm_scalar scalar;
    } map[] = {
        {"bool", PGORM_S_BOOL},       {"int2", PGORM_S_INT2},
        {"int4", PGORM_S_INT4},       {"int8", PGORM_S_INT8},
        {"float4", PGORM_S_FLOAT4},   {"float8", PGORM_S_FLOAT8},
        {"numeric", PGORM_S_NUMERIC}, {"text", PGORM_S_TEXT},
        {"varchar", PGORM_S_VARCHAR}, {"bytea", PGORM_S_BYTEA},
        {"uuid", PGORM_S_UUID},       {"date", PGORM_S_DATE},
        {"timestamp", PGORM_S_TIMESTAMP}, {"timestamptz", PGORM_S_TIMESTAMPTZ},
        {"jsonb", PGORM_S_JSONB},
        {"time", PGORM_S_TIME},         {"timetz", PGORM_S_TIMETZ},
        {"interval", PGORM_S_INTERVAL}, {"inet", PGORM_S_INET},
        {"cidr", PGORM_S_CIDR},         {"json", PGORM_S_JSON},
        {"bpchar", PGORM_S_CHAR},       {"citext", PGORM_S_CITEXT},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(typname, map[i].name) != 0)
            continue;
        *t = (pgorm_coltype){.scalar = map[i].scalar};
        if (map[i].scalar == PGORM_S_VARCHAR && typmod >= 4)
            t->precision = typmod - 4;
        if (map[i].scalar == PGORM_S_NUMERIC && typmod >= 4) {
            t->precision = ((typmod - 4) >> 16) & 0xffff;
            t->scale = (int16_t)((typmod - 4) & 0xffff);
        }
        if (map[i].scalar == PGORM_S_CHAR) /* char(n); bpchar without n has no spelling */
            return typmod >= 5 && (t->precision = typmod - 4) > 0;
        /* Other typmods (timestamp(3)) have no spelling in the language. */
        return typmod < 0 || map[i].scalar == PGORM_S_VARCHAR || map[i].scalar == PGORM_S_NUMERIC;
    }
    return false;
}

static int read_tables(ctx *x)
{
    PGresult *r = query(x, Q_TABLES, "reading the list of tables");
    if (!r)
        return MIG_DB;
    size_t n = (size_t)PQntuples(r);
    x->cat->tables = pgorm_arena_calloc(&x->cat->arena, n + 1, sizeof *x->cat->tables);
    x->oids = pgorm_calloc(n + 1, sizeof *x->oids);
    if (!x->cat->tables || !x->oids) {
        PQclear(r);
        return oom(x);
    }
    for (size_t i = 0; i < n; i++) {
        mig_table *t = &x->cat->tables[i];
        x->oids[i] = (Oid)strtoul(PQgetvalue(r, (int)i, 0), NULL, 10);
        t->name = mig_strdup(x->cat, PQgetvalue(r, (int)i, 1));
        t->model = t->name;
        if (!t->name) {
            PQclear(r);
            return oom(x);
        }
        x->cat->ntables++;
    }
    PQclear(r);
    return MIG_OK;
}

/* Count rows per table (results are grouped by table) and size arrays. */
static size_t *count_rows(ctx *x, const PGresult *r)
{
    size_t *counts = pgorm_calloc(x->cat->ntables + 1, sizeof *counts);
    if (!counts)
        return NULL;
    for (int i = 0; i < PQntuples(r); i++) {
        mig_table *t = table_of(x, PQgetvalue(r, i, 0));
        if (t)
            counts[t - x->cat->tables]++;
    }
    return counts;
}

static int read_columns(ctx *x)
{
    PGresult *r = query(x, Q_COLUMNS, "reading columns");
    if (!r)
        return MIG_DB;
    int rc = MIG_OK;
    size_t *counts = count_rows(x, r);
    if (!counts) {
        rc = oom(x);
        goto out;
    }
    for (size_t i = 0; i < x->cat->ntables; i++) {
        x->cat->tables[i].cols =
            pgorm_arena_calloc(&x->cat->arena, counts[i] + 1, sizeof(mig_column));
        if (!x->cat->tables[i].cols) {
            rc = oom(x);
            goto out;
        }
    }
    for (int i = 0; i < PQntuples(r); i++) {
        mig_table *t = table_of(x, PQgetvalue(r, i, 0));
        if (!t)
            continue;
        const char *name = PQgetvalue(r, i, 1);
        mig_column *col = &t->cols[t->ncols];
        const char *what = NULL;
        bool is_enum = strcmp(PQgetvalue(r, i, 10), "t") == 0;
        if (is_enum) {
            col->type = (pgorm_coltype){.scalar = PGORM_S_ENUM};
        } else if (!map_type(PQgetvalue(r, i, 2), atoi(PQgetvalue(r, i, 3)),
                            atoi(PQgetvalue(r, i, 11)), &col->type) ||
                   strcmp(PQgetvalue(r, i, 9), "t") == 0)
            what = PQgetvalue(r, i, 2)[0] == '_' && atoi(PQgetvalue(r, i, 11)) > 1
                       ? "an array declared with more than one dimension, which the schema "
                         "language cannot describe (it has one: text[])"
                       : "a type the schema language cannot describe";
        if (!what && strcmp(PQgetvalue(r, i, 7), "t") == 0)
            what = "an identity or generated column, which the schema language cannot "
                   "describe (serial and bigserial can)";
        if (what) {
            /* Kept out of the table: no migration drops or changes it. */
            char detail[512];
            snprintf(detail, sizeof detail, "%s, %s", PQgetvalue(r, i, 8), what);
            *col = (mig_column){0};
            if (!mig_unmanaged_add(x->cat, MIG_UM_COLUMN, t->name, name, detail)) {
                rc = oom(x);
                goto out;
            }
            continue;
        }
        if (is_enum && !(col->enum_type = mig_strdup(x->cat, PQgetvalue(r, i, 2)))) {
            rc = oom(x);
            goto out;
        }
        t->ncols++;
        col->name = mig_strdup(x->cat, name);
        col->nullable = strcmp(PQgetvalue(r, i, 4), "t") != 0;
        if (!col->name) {
            rc = oom(x);
            goto out;
        }
        if (!PQgetisnull(r, i, 6) && !col->type.array &&
            (col->type.scalar == PGORM_S_INT4 || col->type.scalar == PGORM_S_INT8)) {
            col->type.scalar =
                col->type.scalar == PGORM_S_INT4 ? PGORM_S_SERIAL : PGORM_S_BIGSERIAL;
            if (!(col->seq = mig_strdup(x->cat, PQgetvalue(r, i, 6)))) {
                rc = oom(x);
                goto out;
            }
        } else if (!PQgetisnull(r, i, 5)) {
            const char *expr = PQgetvalue(r, i, 5);
            pgorm_default d;
            if (!mig_default_from_sql(expr, &d)) {
                rc = oom(x);
                goto out;
            }
            char *lit = NULL;
            const char *type = NULL;
            if (is_enum && d.kind == PGORM_DEFAULT_SQL && split_cast(expr, &lit, &type)) {
                /* 'draft'::status: a value of the column's enum */
                pgorm_buf q = PGORM_BUF_INIT;
                pgorm_sql_ident(&q, col->enum_type);
                if (strcmp(type, col->enum_type) == 0 || (q.data && strcmp(type, q.data) == 0)) {
                    pgorm_free(d.text);
                    d.kind = PGORM_DEFAULT_ENUM;
                    d.text = lit;
                    lit = NULL;
                }
                pgorm_buf_free(&q);
                pgorm_free(lit);
            }
            col->def.kind = d.kind;
            col->def.text = mig_strdup(x->cat, d.text);
            col->def_sql = mig_strdup(x->cat, expr);
            bool ok = (!d.text || col->def.text) && col->def_sql;
            pgorm_free(d.text);
            if (!ok) {
                rc = oom(x);
                goto out;
            }
        }
    }
out:
    pgorm_free(counts);
    PQclear(r);
    return rc;
}

static pgorm_on_delete on_delete_of(char c)
{
    switch (c) {
    case 'c': return PGORM_ON_DELETE_CASCADE;
    case 'r': return PGORM_ON_DELETE_RESTRICT;
    case 'n': return PGORM_ON_DELETE_SET_NULL;
    default: return PGORM_ON_DELETE_NO_ACTION; /* 'a'; 'd' (set default) has no spelling */
    }
}

/* Append one key column; a new key starts when the name changes. */
static bool key_row(mig_catalog *cat, mig_table *t, mig_key_kind kind, const char *name,
                    const char *col, size_t ncols, bool index_only)
{
    mig_key *k = t->nkeys ? &t->keys[t->nkeys - 1] : NULL;
    if (!k || k->kind != kind || strcmp(k->name, name) != 0 || k->ncols == ncols) {
        k = &t->keys[t->nkeys++];
        k->kind = kind;
        k->index_only = index_only;
        k->name = mig_strdup(cat, name);
        k->cols = pgorm_arena_calloc(&cat->arena, ncols + 1, sizeof *k->cols);
        if (!k->name || !k->cols)
            return false;
    }
    return (k->cols[k->ncols++] = mig_strdup(cat, col)) != NULL;
}

/* The options of the index element just added to k by key_row, from row
   `row` of Q_INDEXES: an expression (its column is NULL), DESC, and on its
   first element the index's method and predicate. */
static bool index_options(mig_catalog *cat, mig_key *k, const PGresult *r, int row)
{
    size_t at = k->ncols - 1, n = (size_t)atoi(PQgetvalue(r, row, 4));
    pgorm_arena *a = &cat->arena;
    if (at == 0) {
        const char *am = PQgetvalue(r, row, 6);
        if (strcmp(am, "btree") != 0 && !(k->method = mig_strdup(cat, am)))
            return false;
        if (!PQgetisnull(r, row, 9)) {
            if (!(k->where = mig_strdup(cat, PQgetvalue(r, row, 9))))
                return false;
            k->where_sql = k->where;
        }
    }
    if (PQgetisnull(r, row, 3)) {
        if (!k->exprs && (!(k->exprs = pgorm_arena_calloc(a, n + 1, sizeof *k->exprs)) ||
                          !(k->exprs_sql = pgorm_arena_calloc(a, n + 1, sizeof *k->exprs_sql))))
            return false;
        if (at < n && !(k->exprs[at] = k->exprs_sql[at] = mig_strdup(cat, PQgetvalue(r, row, 7))))
            return false;
    }
    if (PQgetvalue(r, row, 8)[0] == 't') {
        if (!k->desc && !(k->desc = pgorm_arena_calloc(a, n + 1, sizeof *k->desc)))
            return false;
        if (at < n)
            k->desc[at] = true;
    }
    return true;
}

/* Why the schema language cannot spell a single-column foreign key, or
   NULL: a ForeignKey field is a column <field>_id of the key's type that
   references the key of its table. */
static const char *fk_unspellable(const mig_catalog *cat, const mig_table *t, const mig_fk *fk)
{
    size_t n = strlen(fk->column);
    if (n <= 3 || strcmp(fk->column + n - 3, "_id") != 0)
        return "its column's name does not end in _id";
    const mig_table *ref = mig_catalog_table(cat, fk->ref_table);
    const mig_key *pk = ref ? mig_table_pk(ref) : NULL;
    if (!pk || pk->ncols != 1 || strcmp(pk->cols[0], fk->ref_column) != 0)
        return "it references a column that is not its table's primary key";
    const mig_column *kc = mig_table_column(ref, fk->ref_column);
    const mig_column *c = mig_table_column(t, fk->column);
    if (!kc || !c || !mig_type_eq(pgorm_coltype_plain(kc->type), pgorm_coltype_plain(c->type)))
        return "its column's type differs from the key's";
    if (fk->set_default)
        return "ON DELETE SET DEFAULT";
    if (fk->update_set_default)
        return "ON UPDATE SET DEFAULT";
    return NULL;
}

/* Why the schema language cannot spell a foreign key as @@foreign_key, or
   NULL: its columns and the referenced ones are names, the referenced ones
   are the primary key or a unique key of their table (as a set), the types
   agree, and ON DELETE is one the language has. */
static const char *fk_block_unspellable(const mig_catalog *cat, const mig_table *t,
                                        const mig_fk *fk)
{
    const mig_table *ref = mig_catalog_table(cat, fk->ref_table);
    if (!ref)
        return "it references a table pgorm does not read";
    size_t n = mig_fk_ncols(fk);
    for (size_t i = 0; i < n; i++)
        if (!mig_is_name(mig_fk_col(fk, i)) || !mig_is_name(mig_fk_ref(fk, i)))
            return "a column's name is not a name of the schema language";
    bool keyed = false;
    for (size_t k = 0; k < ref->nkeys && !keyed; k++) {
        const mig_key *key = &ref->keys[k];
        if (key->kind == MIG_KEY_INDEX || key->ncols != n)
            continue;
        bool all = true;
        for (size_t i = 0; i < n && all; i++) {
            bool in = false;
            for (size_t j = 0; j < n && !in; j++)
                in = strcmp(key->cols[j], mig_fk_ref(fk, i)) == 0;
            all = in;
        }
        keyed = all;
    }
    if (!keyed)
        return "it references columns that are not a primary key or unique key the schema "
               "describes";
    for (size_t i = 0; i < n; i++) {
        const mig_column *kc = mig_table_column(ref, mig_fk_ref(fk, i));
        const mig_column *c = mig_table_column(t, mig_fk_col(fk, i));
        if (!kc || !c ||
            !mig_type_eq(pgorm_coltype_plain(kc->type), pgorm_coltype_plain(c->type)) ||
            (kc->enum_type && c->enum_type && strcmp(kc->enum_type, c->enum_type) != 0))
            return "its column's type differs from the key's";
        if (fk->on_delete == PGORM_ON_DELETE_SET_NULL && !c->nullable)
            return "ON DELETE SET NULL on a NOT NULL column";
    }
    if (fk->set_default)
        return "ON DELETE SET DEFAULT";
    if (fk->update_set_default)
        return "ON UPDATE SET DEFAULT";
    if (fk->on_update != PGORM_ON_DELETE_NO_ACTION)
        return "ON UPDATE (which @@foreign_key does not take)";
    return NULL;
}

/* Foreign keys the schema language cannot spell as a ForeignKey field are
   spelled @@foreign_key when they can be (composite ones, ones to a unique
   non-key column); the rest move to the unmanaged list (a migration leaves
   them alone instead of dropping them). */
static int unmanaged_fks(ctx *x)
{
    pgorm_buf b = PGORM_BUF_INIT;
    int rc = MIG_OK;
    for (size_t i = 0; i < x->cat->ntables && rc == MIG_OK; i++) {
        mig_table *t = &x->cat->tables[i];
        size_t keep = 0;
        for (size_t f = 0; f < t->nfks; f++) {
            mig_fk *fk = &t->fks[f];
            const char *why = fk->ncolumns > 1 ? "" : fk_unspellable(x->cat, t, fk);
            if (why) {
                const char *bwhy = fk_block_unspellable(x->cat, t, fk);
                if (!bwhy && !fk->ncolumns) {
                    /* one column: @@foreign_key([col], references: T([key])) */
                    fk->columns = pgorm_arena_calloc(&x->cat->arena, 2, sizeof *fk->columns);
                    fk->ref_columns =
                        pgorm_arena_calloc(&x->cat->arena, 2, sizeof *fk->ref_columns);
                    if (!fk->columns || !fk->ref_columns) {
                        rc = oom(x);
                        break;
                    }
                    fk->columns[0] = fk->column;
                    fk->ref_columns[0] = fk->ref_column;
                    fk->ncolumns = 1;
                }
                fk->block = !bwhy;
                why = bwhy;
            }
            if (!why) {
                t->fks[keep++] = *fk;
                continue;
            }
            pgorm_buf_reset(&b);
            pgorm_buf_puts(&b, "FOREIGN KEY (");
            for (size_t k = 0; k < mig_fk_ncols(fk); k++)
                pgorm_buf_printf(&b, "%s%s", k ? ", " : "", mig_fk_col(fk, k));
            pgorm_buf_printf(&b, ") REFERENCES %s(", fk->ref_table);
            for (size_t k = 0; k < mig_fk_ncols(fk); k++)
                pgorm_buf_printf(&b, "%s%s", k ? ", " : "", mig_fk_ref(fk, k));
            pgorm_buf_printf(&b, "), which the schema language cannot describe: %s", why);
            if (b.oom || !mig_unmanaged_add(x->cat, MIG_UM_FK, t->name, fk->name, b.data))
                rc = oom(x);
        }
        t->nfks = keep;
    }
    pgorm_buf_free(&b);
    return rc;
}

static int read_keys(ctx *x)
{
    PGresult *rc_ = query(x, Q_CONSTRAINTS, "reading constraints");
    if (!rc_)
        return MIG_DB;
    PGresult *ri = query(x, Q_INDEXES, "reading indexes");
    if (!ri) {
        PQclear(rc_);
        return MIG_DB;
    }
    PGresult *rd = query(x, Q_INDEX_COLUMNS, "reading the columns of indexes");
    if (!rd) {
        PQclear(rc_);
        PQclear(ri);
        return MIG_DB;
    }
    int rc = MIG_OK;
    size_t *nc = count_rows(x, rc_), *ni = count_rows(x, ri);
    if (!nc || !ni) {
        rc = oom(x);
        goto out;
    }
    for (size_t i = 0; i < x->cat->ntables; i++) {
        mig_table *t = &x->cat->tables[i];
        t->keys = pgorm_arena_calloc(&x->cat->arena, nc[i] + ni[i] + 1, sizeof *t->keys);
        t->fks = pgorm_arena_calloc(&x->cat->arena, nc[i] + 1, sizeof *t->fks);
        if (!t->keys || !t->fks) {
            rc = oom(x);
            goto out;
        }
    }
    /* A key or index over a column kept out of its table (unmanaged) is
       unmanaged too. */
    for (int i = 0; i < PQntuples(rc_) + PQntuples(rd); i++) {
        bool is_index = i >= PQntuples(rc_);
        const PGresult *r = is_index ? rd : rc_;
        int row = is_index ? i - PQntuples(rc_) : i;
        mig_table *t = table_of(x, PQgetvalue(r, row, 0));
        const char *name = PQgetvalue(r, row, 1);
        if (!t || (!is_index && PQgetvalue(r, row, 2)[0] == 'f') ||
            mig_table_column(t, PQgetvalue(r, row, 3)) ||
            mig_unmanaged_find(x->cat, MIG_UM_KEY, t->name, name))
            continue;
        if (!mig_unmanaged_add(x->cat, MIG_UM_KEY, t->name, name,
                               PQgetvalue(r, row, is_index ? 5 : 9))) {
            rc = oom(x);
            goto out;
        }
    }
    for (int i = 0; i < PQntuples(rc_); i++) {
        mig_table *t = table_of(x, PQgetvalue(rc_, i, 0));
        if (!t)
            continue;
        const char *name = PQgetvalue(rc_, i, 1);
        if (mig_unmanaged_find(x->cat, MIG_UM_KEY, t->name, name))
            continue;
        char type = PQgetvalue(rc_, i, 2)[0];
        const char *col = PQgetvalue(rc_, i, 3);
        size_t ncols = (size_t)atoi(PQgetvalue(rc_, i, 8));
        if (type == 'f') {
            const char *ref = PQgetvalue(rc_, i, 4);
            if (mig_unmanaged_find(x->cat, MIG_UM_FK, t->name, name))
                continue;
            mig_fk *last = t->nfks ? &t->fks[t->nfks - 1] : NULL;
            bool more = last && ncols > 1 && strcmp(last->name, name) == 0;
            /* Keys into schemas not read, or over a column kept out of the
               table, have no spelling. */
            if (!mig_catalog_table(x->cat, ref) || !mig_table_column(t, col)) {
                if (more)
                    t->nfks--; /* the columns read so far */
                if (!mig_unmanaged_add(x->cat, MIG_UM_FK, t->name, name,
                                       PQgetvalue(rc_, i, 9))) {
                    rc = oom(x);
                    goto out;
                }
                continue;
            }
            if (more) {
                /* the next column of a multi-column key */
                last->columns[last->ncolumns] = mig_strdup(x->cat, col);
                last->ref_columns[last->ncolumns] = mig_strdup(x->cat, PQgetvalue(rc_, i, 6));
                if (!last->columns[last->ncolumns] || !last->ref_columns[last->ncolumns++]) {
                    rc = oom(x);
                    goto out;
                }
                continue;
            }
            mig_fk *fk = &t->fks[t->nfks++];
            fk->column = mig_strdup(x->cat, col);
            fk->ref_table = mig_strdup(x->cat, ref);
            fk->ref_column = mig_strdup(x->cat, PQgetvalue(rc_, i, 6));
            fk->on_delete = on_delete_of(PQgetvalue(rc_, i, 7)[0]);
            fk->set_default = PQgetvalue(rc_, i, 7)[0] == 'd';
            fk->on_update = on_delete_of(PQgetvalue(rc_, i, 10)[0]);
            fk->update_set_default = PQgetvalue(rc_, i, 10)[0] == 'd';
            fk->name = mig_strdup(x->cat, name);
            if (!fk->column || !fk->ref_table || !fk->ref_column || !fk->name) {
                rc = oom(x);
                goto out;
            }
            if (ncols > 1) {
                fk->block = true;
                fk->columns = pgorm_arena_calloc(&x->cat->arena, ncols + 1, sizeof *fk->columns);
                fk->ref_columns =
                    pgorm_arena_calloc(&x->cat->arena, ncols + 1, sizeof *fk->ref_columns);
                if (!fk->columns || !fk->ref_columns) {
                    rc = oom(x);
                    goto out;
                }
                fk->columns[0] = fk->column;
                fk->ref_columns[0] = fk->ref_column;
                fk->ncolumns = 1;
            }
        } else if (!key_row(x->cat, t, type == 'p' ? MIG_KEY_PRIMARY : MIG_KEY_UNIQUE, name,
                            col, ncols, false)) {
            rc = oom(x);
            goto out;
        }
    }
    for (int i = 0; i < PQntuples(ri); i++) {
        mig_table *t = table_of(x, PQgetvalue(ri, i, 0));
        if (!t || mig_unmanaged_find(x->cat, MIG_UM_KEY, t->name, PQgetvalue(ri, i, 1)))
            continue;
        bool unique = strcmp(PQgetvalue(ri, i, 2), "t") == 0;
        bool is_expr = PQgetisnull(ri, i, 3);
        const char *elem = PQgetvalue(ri, i, 7);
        if (!key_row(x->cat, t, unique ? MIG_KEY_UNIQUE : MIG_KEY_INDEX, PQgetvalue(ri, i, 1),
                     is_expr ? elem : PQgetvalue(ri, i, 3), (size_t)atoi(PQgetvalue(ri, i, 4)),
                     unique) ||
            !index_options(x->cat, &t->keys[t->nkeys - 1], ri, i)) {
            rc = oom(x);
            goto out;
        }
    }
    if ((rc = unmanaged_fks(x)) != MIG_OK)
        goto out;
    /* Foreign keys in column order. */
    for (size_t i = 0; i < x->cat->ntables; i++) {
        mig_table *t = &x->cat->tables[i];
        size_t n = 0;
        for (size_t c = 0; c < t->ncols; c++)
            for (size_t f = n; f < t->nfks; f++)
                if (strcmp(t->fks[f].column, t->cols[c].name) == 0) {
                    mig_fk tmp = t->fks[n];
                    t->fks[n++] = t->fks[f];
                    t->fks[f] = tmp;
                }
    }
out:
    pgorm_free(nc);
    pgorm_free(ni);
    PQclear(rc_);
    PQclear(ri);
    PQclear(rd);
    return rc;
}

/* An enum the language can write: its type is the snake_case of a name,
   and every label is a name ('PG-13' is not). */
static bool enum_spellable(const mig_enum *me)
{
    for (size_t i = 0; i < me->nlabels; i++)
        if (!mig_is_name(me->labels[i]))
            return false;
    const char *type = pgorm_sql_base_name(me->name);
    char *model = mig_pascal_case(type);
    char *snake = model ? pgorm_snake_case(model) : NULL;
    bool ok = snake && strcmp(snake, type) == 0;
    pgorm_free(model);
    pgorm_free(snake);
    return ok;
}

static int unmanaged_enum(ctx *x, const mig_enum *me)
{
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_buf_puts(&b, "enum (");
    for (size_t i = 0; i < me->nlabels; i++) {
        if (i)
            pgorm_buf_puts(&b, ", ");
        pgorm_sql_literal(&b, me->labels[i]);
    }
    pgorm_buf_puts(&b, "), which the schema language cannot describe (its values or its name "
                       "are not names of the language)");
    bool ok = !b.oom && mig_unmanaged_add(x->cat, MIG_UM_TYPE, NULL, me->name, b.data);
    pgorm_buf_free(&b);
    return ok ? MIG_OK : oom(x);
}

static int read_enums(ctx *x)
{
    PGresult *r = query(x, Q_ENUMS, "reading enum types");
    if (!r)
        return MIG_DB;
    int n = PQntuples(r), rc = MIG_OK;
    mig_catalog *cat = x->cat;
    cat->enums = pgorm_arena_calloc(&cat->arena, (size_t)n + 1, sizeof *cat->enums);
    if (!cat->enums)
        rc = oom(x);
    for (int i = 0; i < n && rc == MIG_OK;) {
        const char *name = PQgetvalue(r, i, 0);
        int j = i;
        while (j < n && strcmp(PQgetvalue(r, j, 0), name) == 0)
            j++;
        mig_enum *me = &cat->enums[cat->nenums++];
        me->name = mig_strdup(cat, name);
        me->model = me->name;
        me->labels = pgorm_arena_calloc(&cat->arena, (size_t)(j - i) + 1, sizeof *me->labels);
        if (!me->name || !me->labels) {
            rc = oom(x);
            break;
        }
        for (int k = i; k < j; k++)
            if (!(me->labels[me->nlabels++] = mig_strdup(cat, PQgetvalue(r, k, 1))))
                rc = oom(x);
        i = j;
        if (rc == MIG_OK && !enum_spellable(me)) {
            cat->nenums--;
            rc = unmanaged_enum(x, me);
        }
    }
    PQclear(r);
    /* columns of an enum the language cannot spell are unmanaged too */
    for (size_t ti = 0; rc == MIG_OK && ti < cat->ntables; ti++) {
        mig_table *t = &cat->tables[ti];
        size_t keep = 0;
        for (size_t k = 0; k < t->ncols; k++) {
            mig_column *col = &t->cols[k];
            if (col->type.scalar != PGORM_S_ENUM || mig_catalog_enum(cat, col->enum_type)) {
                t->cols[keep++] = *col;
                continue;
            }
            char detail[256];
            snprintf(detail, sizeof detail, "%.120s, an enum the schema language cannot describe",
                     col->enum_type);
            if (!mig_unmanaged_add(cat, MIG_UM_COLUMN, t->name, col->name, detail))
                rc = oom(x);
        }
        t->ncols = keep;
    }
    return rc;
}

const char *mig_check_expr_of_def(const char *def)
{
    return strncmp(def, "CHECK ", 6) == 0 ? def + 6 : def;
}

static int read_checks(ctx *x)
{
    PGresult *r = query(x, Q_CHECKS, "reading check constraints");
    if (!r)
        return MIG_DB;
    int rc = MIG_OK;
    size_t *counts = count_rows(x, r);
    if (!counts) {
        rc = oom(x);
        goto out;
    }
    for (size_t i = 0; i < x->cat->ntables; i++) {
        if (!counts[i])
            continue;
        mig_table *t = &x->cat->tables[i];
        if (!(t->checks = pgorm_arena_calloc(&x->cat->arena, counts[i], sizeof *t->checks))) {
            rc = oom(x);
            goto out;
        }
    }
    for (int i = 0; i < PQntuples(r); i++) {
        mig_table *t = table_of(x, PQgetvalue(r, i, 0));
        if (!t)
            continue;
        mig_check *ck = &t->checks[t->nchecks++];
        const char *def = PQgetvalue(r, i, 2);
        ck->name = mig_strdup(x->cat, PQgetvalue(r, i, 1));
        ck->def_sql = mig_strdup(x->cat, def);
        ck->expr = mig_strdup(x->cat, mig_check_expr_of_def(def));
        ck->marked = strcmp(PQgetvalue(r, i, 3), "t") == 0;
        if (!ck->name || !ck->def_sql || !ck->expr) {
            rc = oom(x);
            goto out;
        }
    }
out:
    pgorm_free(counts);
    PQclear(r);
    return rc;
}

mig_catalog *mig_introspect(PGconn *conn, mig_err *e)
{
    return mig_introspect_in(conn, NULL, 0, e);
}

mig_catalog *mig_introspect_in(PGconn *conn, const char *const *schemas, size_t n, mig_err *e)
{
    pgorm_buf in = PGORM_BUF_INIT;
    if (n == MIG_ALL_SCHEMAS) {
        pgorm_buf_puts(&in, "IN (SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname "
                            "!~ '^pg_' AND nspname <> 'information_schema')");
    } else {
        pgorm_buf_puts(&in, "IN ('public'");
        for (size_t i = 0; i < n; i++) {
            pgorm_buf_puts(&in, ", ");
            pgorm_sql_literal(&in, schemas[i]);
        }
        pgorm_buf_puts(&in, ")");
    }
    ctx x = {.conn = conn, .e = e, .in_schemas = in.data};
    x.cat = in.oom ? NULL : mig_catalog_new();
    if (!x.cat) {
        pgorm_buf_free(&in);
        mig_err_set(e, MIG_DB, "out of memory while reading the database's tables");
        return NULL;
    }
    /* Objects of public are read unqualified (pg_get_expr, format_type):
       whatever the session's search_path, it is public alone from here. */
    PGresult *sp = mig_exec(conn, "SELECT pg_catalog.set_config('search_path', 'public', false)",
                            PGRES_TUPLES_OK, e, "setting search_path");
    int rc = sp ? MIG_OK : MIG_DB;
    PQclear(sp);
    if (rc == MIG_OK)
        rc = read_tables(&x);
    if (rc == MIG_OK)
        rc = read_columns(&x);
    if (rc == MIG_OK)
        rc = read_enums(&x); /* before the keys: a key over an unmanaged column is one */
    if (rc == MIG_OK)
        rc = read_keys(&x);
    if (rc == MIG_OK)
        rc = read_checks(&x);
    if (rc == MIG_OK)
        rc = mig_read_unmanaged_in(conn, x.cat, x.in_schemas, e);
    pgorm_free(x.oids);
    pgorm_buf_free(&in);
    if (rc != MIG_OK) {
        mig_catalog_free(x.cat);
        return NULL;
    }
    mig_unmanaged_sort(x.cat);
    /* Tables: already sorted by name in byte order by the query. */
    return x.cat;
}

pgorm_schema *pgorm_migrate_introspect(PGconn *conn, mig_err *e)
{
    mig_catalog *c = mig_introspect(conn, e);
    if (!c)
        return NULL;
    pgorm_schema *s = mig_catalog_to_schema(c);
    mig_catalog_free(c);
    if (!s)
        mig_err_set(e, MIG_DB, "out of memory while reading the database's tables");
    return s;
}

const char **mig_schema_sql_schemas(const pgorm_schema *s, size_t *n)
{
    *n = 0;
    size_t cap = s->nmodels + s->nenums + 1;
    const char **v = pgorm_calloc(cap, sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < cap; i++) {
        const char *sc = i < s->nmodels                ? s->models[i].schema
                         : i < s->nmodels + s->nenums ? s->enums[i - s->nmodels].schema
                                                      : s->default_schema;
        bool seen = !sc || strcmp(sc, "public") == 0;
        for (size_t k = 0; k < *n && !seen; k++)
            seen = strcmp(v[k], sc) == 0;
        if (!seen)
            v[(*n)++] = sc;
    }
    if (*n == 0) {
        pgorm_free(v);
        return NULL;
    }
    return v;
}
