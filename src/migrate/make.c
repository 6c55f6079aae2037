#include "migrate/make.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/catalog.h"
#include "migrate/ddl.h"
#include "migrate/diff.h"
#include "migrate/files.h"
#include "migrate/introspect.h"
#include "migrate/render.h"
#include "pgorm/pgorm.h"
#include "util/buf.h"
#include "util/sqlq.h"

static bool valid_name(const char *s)
{
    if (!*s || strlen(s) > 100)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

static pgorm_schema *parse(const mig_make_opts *o, mig_err *e)
{
    pgorm_diag diags[8];
    size_t nd = 0;
    pgorm_schema *s = pgorm_schema_parse_file(o->schema_path, diags, 8, &nd);
    if (s)
        return s;
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_buf_printf(&b, "the schema has %zu error%s:", nd, nd == 1 ? "" : "s");
    for (size_t i = 0; i < nd && i < 8; i++)
        pgorm_buf_printf(&b, "\n%s:%d:%d: %s", o->schema_path, diags[i].pos.line,
                         diags[i].pos.col, diags[i].message);
    mig_err_set(e, MIG_USER, "%s", b.data ? b.data : "the schema has errors");
    pgorm_buf_free(&b);
    return NULL;
}

/* Let the server spell each default of the schema as it would store it, so
   that "2024-01-01" on a timestamp and '2024-01-01 00:00:00'::timestamp
   without time zone compare equal. Temporary tables, rolled back. */
static int canon_defaults(PGconn *c, mig_catalog *to, mig_err *e)
{
    int rc = MIG_OK;
    PGresult *r = mig_exec(c, "BEGIN", PGRES_COMMAND_OK, e, "starting a transaction");
    if (!r)
        return MIG_DB;
    PQclear(r);
    pgorm_buf b = PGORM_BUF_INIT;
    for (size_t i = 0; rc == MIG_OK && i < to->ntables; i++) {
        mig_table *t = &to->tables[i];
        pgorm_buf_reset(&b);
        pgorm_buf_puts(&b, "CREATE TEMP TABLE pgorm_probe (");
        size_t n = 0;
        for (size_t k = 0; k < t->ncols; k++) {
            const mig_column *col = &t->cols[k];
            pgorm_coltype ty = col->type;
            /* an enum's type may not exist yet: its default is compared by
               value (introspection reads 'x'::t back as that value) */
            if (col->def.kind == PGORM_DEFAULT_NONE || ty.scalar == PGORM_S_SERIAL ||
                ty.scalar == PGORM_S_BIGSERIAL || ty.scalar == PGORM_S_ENUM)
                continue;
            char tmp[64];
            pgorm_buf_printf(&b, "%sc%zu %s DEFAULT ", n ? ", " : "", k,
                             mig_type_sql(ty, tmp, sizeof tmp));
            pgorm_ddl_default_expr(&b, &col->def, ty);
            n++;
        }
        if (n == 0)
            continue;
        pgorm_buf_puts(&b, ")");
        if (b.oom) {
            rc = mig_err_set(e, MIG_DB, "out of memory");
            break;
        }
        char what[512];
        snprintf(what, sizeof what, "a default of table %s is not valid for its column", t->name);
        r = mig_exec(c, b.data, PGRES_COMMAND_OK, e, what);
        if (!r) {
            e->status = rc = MIG_USER;
            break;
        }
        PQclear(r);
        r = mig_exec(c,
                     "SELECT substr(a.attname, 2)::int, pg_get_expr(d.adbin, d.adrelid) "
                     "FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid "
                     "AND a.attnum = d.adnum WHERE d.adrelid = 'pg_temp.pgorm_probe'::regclass",
                     PGRES_TUPLES_OK, e, "reading defaults back");
        if (!r) {
            rc = MIG_DB;
            break;
        }
        for (int k = 0; k < PQntuples(r) && rc == MIG_OK; k++) {
            size_t idx = (size_t)atoi(PQgetvalue(r, k, 0));
            if (idx < t->ncols && !(t->cols[idx].def_sql = mig_strdup(to, PQgetvalue(r, k, 1))))
                rc = mig_err_set(e, MIG_DB, "out of memory");
        }
        PQclear(r);
        r = mig_exec(c, "DROP TABLE pg_temp.pgorm_probe", PGRES_COMMAND_OK, e, "probe");
        if (!r)
            rc = MIG_DB;
        PQclear(r);
    }
    pgorm_buf_free(&b);
    PQclear(PQexec(c, "ROLLBACK"));
    return rc;
}

/* Inside the caller's transaction: the schema's enum types created as the
   file has them (in their SQL schemas), replacing any of the same name, so
   a probe over an enum column spells it as a migration will. */
int mig_probe_enum_types(PGconn *c, const mig_catalog *to, mig_err *e, const char *what)
{
    int rc = MIG_OK;
    pgorm_buf b = PGORM_BUF_INIT;
    for (size_t i = 0; rc == MIG_OK && i < to->nenums; i++) {
        const mig_enum *en = &to->enums[i];
        pgorm_buf_reset(&b);
        char sc[64];
        pgorm_sql_schema_of(en->name, sc);
        if (sc[0]) {
            pgorm_ddl_create_sql_schema(&b, sc);
            pgorm_buf_putc(&b, ' ');
        }
        pgorm_buf_puts(&b, "DROP TYPE IF EXISTS ");
        pgorm_sql_qualified(&b, en->name);
        pgorm_buf_puts(&b, " CASCADE; ");
        pgorm_ddl_create_enum(&b, en->name, (const char *const *)en->labels, en->nlabels);
        if (b.oom) {
            rc = mig_err_set(e, MIG_DB, "out of memory");
            break;
        }
        PGresult *r = mig_exec(c, b.data, PGRES_COMMAND_OK, e, what);
        if (!r)
            rc = MIG_DB;
        PQclear(r);
    }
    pgorm_buf_free(&b);
    return rc;
}

/* Let the server spell each check of the schema as pg_get_constraintdef
   prints it ("pages > 0" becomes "CHECK ((pages > 0))"), so a check that is
   in the database compares equal to the file's. Each table's checks are
   created on a temporary table with the same columns, rolled back. A check
   the server refuses is the user's mistake, reported with the server's
   message before anything is written. */
static int canon_checks(PGconn *c, mig_catalog *to, mig_err *e)
{
    bool any = false;
    for (size_t i = 0; i < to->ntables && !any; i++)
        any = to->tables[i].nchecks > 0;
    if (!any)
        return MIG_OK;
    int rc = MIG_OK;
    PGresult *r = mig_exec(c, "BEGIN", PGRES_COMMAND_OK, e, "starting a transaction");
    if (!r)
        return MIG_DB;
    PQclear(r);
    pgorm_buf b = PGORM_BUF_INIT;
    /* the schema's enum types as the file has them, so a check over an enum
       column is spelled as it will be (all rolled back below) */
    rc = mig_probe_enum_types(c, to, e, "probing an enum type for checks");
    for (size_t i = 0; rc == MIG_OK && i < to->ntables; i++) {
        mig_table *t = &to->tables[i];
        if (!t->nchecks)
            continue;
        for (size_t k = 0; rc == MIG_OK && k < t->nchecks; k++) {
            const mig_check *ck = &t->checks[k];
            pgorm_buf_reset(&b);
            pgorm_buf_puts(&b, "CREATE TEMP TABLE pgorm_check_probe (");
            mig_probe_columns(&b, t);
            pgorm_buf_puts(&b, t->ncols ? ", " : "");
            pgorm_ddl_check_constraint(&b, ck->name, ck->expr);
            pgorm_buf_puts(&b, ")");
            if (b.oom) {
                rc = mig_err_set(e, MIG_DB, "out of memory");
                break;
            }
            char what[512];
            snprintf(what, sizeof what,
                     "check %s of table %s (\"%.200s\") is not a valid CHECK expression for "
                     "the table's columns",
                     ck->name, t->name, ck->expr);
            /* PQexecParams: one statement only, whatever the expression holds */
            r = PQexecParams(c, b.data, 0, NULL, NULL, NULL, NULL, 0);
            if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                mig_err_pg(e, c, r, what);
                PQclear(r);
                e->status = rc = MIG_USER;
                break;
            }
            PQclear(r);
            r = mig_exec(c,
                         "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                         "WHERE conrelid = 'pg_temp.pgorm_check_probe'::regclass "
                         "AND contype = 'c'",
                         PGRES_TUPLES_OK, e, "reading checks back");
            if (!r) {
                rc = MIG_DB;
                break;
            }
            if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), ck->name) != 0)
                rc = mig_err_set(e, MIG_USER,
                                 "check %s of table %s (\"%.200s\") is not one CHECK "
                                 "expression: write a boolean SQL expression only",
                                 ck->name, t->name, ck->expr);
            else if (!(t->checks[k].def_sql = mig_strdup(to, PQgetvalue(r, 0, 1))))
                rc = mig_err_set(e, MIG_DB, "out of memory");
            PQclear(r);
            if (rc != MIG_OK)
                break;
            r = mig_exec(c, "DROP TABLE pg_temp.pgorm_check_probe", PGRES_COMMAND_OK, e,
                         "probe");
            if (!r)
                rc = MIG_DB;
            PQclear(r);
        }
    }
    pgorm_buf_free(&b);
    PQclear(PQexec(c, "ROLLBACK"));
    return rc;
}

/* An enum losing values: the rows of every column of that type holding
   one of them. */
static void enum_rows_sql(pgorm_buf *b, const mig_diff *d, const mig_change *ch)
{
    pgorm_buf in = PGORM_BUF_INIT;
    for (size_t i = 0; i < ch->from_enum->nlabels; i++)
        if (mig_enum_label_dropped(ch->from_enum, ch->to_enum, i)) {
            if (in.len)
                pgorm_buf_puts(&in, ", ");
            pgorm_sql_literal(&in, ch->from_enum->labels[i]);
        }
    pgorm_buf_puts(b, "SELECT 0");
    for (size_t i = 0; i < d->from->ntables; i++) {
        const mig_table *t = &d->from->tables[i];
        for (size_t k = 0; k < t->ncols; k++) {
            const mig_column *col = &t->cols[k];
            if (col->type.scalar != PGORM_S_ENUM || !col->enum_type ||
                strcmp(col->enum_type, ch->from_enum->name) != 0)
                continue;
            pgorm_buf_puts(b, " + (SELECT count(*) FROM ");
            pgorm_sql_qualified(b, t->name);
            pgorm_buf_puts(b, " WHERE ");
            pgorm_sql_ident(b, col->name);
            pgorm_buf_printf(b, "::text IN (%s))", in.data ? in.data : "NULL");
        }
    }
    b->oom |= in.oom;
    pgorm_buf_free(&in);
}

/* Run a count built in b (freed). */
static int run_count(PGconn *c, pgorm_buf *b, long long *rows, mig_err *e)
{
    if (b->oom) {
        pgorm_buf_free(b);
        return mig_err_set(e, MIG_DB, "out of memory");
    }
    PGresult *r = mig_exec(c, b->data, PGRES_TUPLES_OK, e, "counting the rows a change affects");
    pgorm_buf_free(b);
    if (!r)
        return MIG_DB;
    *rows = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return MIG_OK;
}

/* Rows of `table`; with `col`, those where `col <test>` holds. */
static int count_rows(PGconn *c, const char *table, const char *col, const char *test,
                      long long *rows, mig_err *e)
{
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_buf_puts(&b, "SELECT count(*) FROM ");
    pgorm_sql_qualified(&b, table);
    if (col) {
        pgorm_buf_puts(&b, " WHERE ");
        pgorm_sql_ident(&b, col);
        pgorm_buf_puts(&b, test);
    }
    return run_count(c, &b, rows, e);
}

/* Rows that a lossy change touches: all rows of a dropped table, the rows
   holding a value for a dropped or narrowed column, the rows holding a
   dropped enum value. */
static int rows_affected(PGconn *c, const mig_diff *d, const mig_change *ch, long long *rows,
                         mig_err *e)
{
    if (ch->kind == MIG_ENUM_ALTER) {
        pgorm_buf b = PGORM_BUF_INIT;
        enum_rows_sql(&b, d, ch);
        return run_count(c, &b, rows, e);
    }
    return count_rows(c, ch->from_table->name,
                      ch->kind == MIG_TABLE_DROP ? NULL : ch->from_col->name, " IS NOT NULL", rows,
                      e);
}

/* The list of lossy changes with their rows; *n their number. */
static int lossy_report(PGconn *c, const mig_diff *d, pgorm_buf *out, size_t *n, mig_err *e)
{
    *n = 0;
    for (size_t i = 0; i < d->n; i++) {
        const mig_change *ch = &d->items[i];
        if (!mig_change_lossy(ch))
            continue;
        long long rows = 0;
        int rc = rows_affected(c, d, ch, &rows, e);
        if (rc != MIG_OK)
            return rc;
        pgorm_buf_puts(out, "\n  ");
        mig_change_describe(out, ch);
        if (ch->kind == MIG_ENUM_ALTER)
            pgorm_buf_printf(out, " (%lld row%s with a dropped value)", rows, rows == 1 ? "" : "s");
        else if (ch->kind == MIG_TABLE_DROP)
            pgorm_buf_printf(out, " (%lld row%s)", rows, rows == 1 ? "" : "s");
        else
            pgorm_buf_printf(out, " (%lld row%s with a value)", rows, rows == 1 ? "" : "s");
        (*n)++;
    }
    return out->oom ? mig_err_set(e, MIG_DB, "out of memory") : MIG_OK;
}

/* The schema asks for something an unmanaged object stands in the way of:
   a column the database has but the language cannot describe, or a table
   whose name a view, sequence or type already holds. */
static int unmanaged_conflicts(const mig_diff *d, const mig_catalog *from,
                               const mig_catalog *to, mig_err *e)
{
    for (size_t i = 0; i < from->nunmanaged; i++) {
        const mig_unmanaged *u = &from->unmanaged[i];
        if (u->kind != MIG_UM_COLUMN)
            continue;
        const mig_table *t = mig_diff_matched_table(d, u->table);
        if (t && mig_table_column(t, u->name))
            return mig_err_set(e, MIG_USER,
                               "model %s declares column %s, but the database's column %s.%s "
                               "is %s; nothing written. Remove the field from the schema "
                               "(pgorm then leaves the column alone), or change the column "
                               "in the database to a type the schema can describe",
                               t->model, u->name, u->table, u->name,
                               u->detail ? u->detail : "not describable");
    }
    static const mig_unmanaged_kind rels[] = {MIG_UM_VIEW, MIG_UM_MATVIEW, MIG_UM_SEQUENCE,
                                              MIG_UM_FOREIGN_TABLE, MIG_UM_TYPE};
    for (size_t i = 0; i < to->ntables; i++)
        for (size_t k = 0; k < sizeof rels / sizeof rels[0]; k++) {
            const mig_unmanaged *u = mig_unmanaged_find(from, rels[k], NULL, to->tables[i].name);
            if (!u || mig_catalog_table(from, to->tables[i].name))
                continue;
            pgorm_buf b = PGORM_BUF_INIT;
            mig_unmanaged_describe(&b, u);
            int rc = mig_err_set(e, MIG_USER,
                                 "model %s needs table %s, but the database already has %s; "
                                 "nothing written. Name the table otherwise (@@table(...)) "
                                 "or drop that object",
                                 to->tables[i].model, to->tables[i].name,
                                 b.data ? b.data : u->name);
            pgorm_buf_free(&b);
            return rc;
        }
    return MIG_OK;
}

/* A NOT NULL column added without a default to a table with rows, or a
   column made NOT NULL while rows hold NULL: `up` would fail; say so now,
   with the rows and what to do. */
static int not_null_warnings(const mig_make_opts *o, const mig_diff *d, mig_err *e)
{
    for (size_t i = 0; i < d->n; i++) {
        const mig_change *ch = &d->items[i];
        long long n = 0;
        int rc;
        if (ch->kind == MIG_COLUMN_ADD && ch->from_table && !ch->to_col->nullable &&
            ch->to_col->def.kind == PGORM_DEFAULT_NONE &&
            ch->to_col->type.scalar != PGORM_S_SERIAL &&
            ch->to_col->type.scalar != PGORM_S_BIGSERIAL) {
            if ((rc = count_rows(o->conn, ch->from_table->name, NULL, NULL, &n, e)) != MIG_OK)
                return rc;
            if (n > 0)
                mig_say(o->say, o->ud,
                        "warning: column %s.%s is added NOT NULL without a default, but table "
                        "%s has %lld row%s: `migrate up` will fail. Give the field a default "
                        "(@default(...)), or add it nullable, fill it, then make it NOT NULL",
                        ch->to_table->name, ch->to_col->name, ch->from_table->name, n,
                        n == 1 ? "" : "s");
        } else if (ch->kind == MIG_COLUMN_NULL && !ch->to_col->nullable) {
            if ((rc = count_rows(o->conn, ch->from_table->name, ch->from_col->name, " IS NULL", &n,
                                 e)) !=
                MIG_OK)
                return rc;
            if (n > 0)
                mig_say(o->say, o->ud,
                        "warning: column %s.%s becomes NOT NULL, but %lld row%s of table %s "
                        "hold%s NULL in it: `migrate up` will fail. Fill %s first (an UPDATE "
                        "in a migration of its own), or give the field a default",
                        ch->to_table->name, ch->to_col->name, n, n == 1 ? "" : "s",
                        ch->from_table->name, n == 1 ? "s" : "", n == 1 ? "it" : "them");
        }
    }
    return MIG_OK;
}

/* citext is an extension's type: a schema that uses it needs the extension
   in the database, which pgorm does not install (that takes rights a
   migration may not have). Said before anything else fails on it. */
static int need_extensions(const mig_make_opts *o, const pgorm_schema *s, mig_err *e)
{
    const pgorm_model *m = NULL;
    const pgorm_field *f = NULL;
    for (size_t i = 0; i < s->nmodels && !f; i++)
        for (size_t k = 0; k < s->models[i].nfields && !f; k++)
            if (s->models[i].fields[k].kind == PGORM_FIELD_SCALAR &&
                s->models[i].fields[k].type.scalar == PGORM_S_CITEXT) {
                m = &s->models[i];
                f = &m->fields[k];
            }
    if (!f)
        return MIG_OK;
    PGresult *r = mig_exec(o->conn, "SELECT to_regtype('citext') IS NOT NULL", PGRES_TUPLES_OK, e,
                           "looking for the citext type");
    if (!r)
        return MIG_DB;
    bool have = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (have)
        return MIG_OK;
    return mig_err_set(e, MIG_USER,
                       "%s:%d:%d: field '%s' of model %s is citext, the type of the citext "
                       "extension, which this database does not have: CREATE EXTENSION citext "
                       "first (as a user allowed to), then run make again",
                       o->schema_path, f->type_pos.line, f->type_pos.col, f->name, m->name);
}

/* A column dropped or retyped, or a table dropped, that a view (or a
   materialized view) depends on: `up` would fail ("cannot drop column …
   because other objects depend on it"); say which views, before anything
   runs. */
static int view_warnings(const mig_make_opts *o, const mig_diff *d, mig_err *e)
{
    for (size_t i = 0; i < d->n; i++) {
        const mig_change *ch = &d->items[i];
        if (ch->kind != MIG_COLUMN_DROP && ch->kind != MIG_COLUMN_TYPE &&
            ch->kind != MIG_TABLE_DROP)
            continue;
        if (!ch->from_table || (ch->kind != MIG_TABLE_DROP && !ch->from_col))
            continue;
        pgorm_buf rel = PGORM_BUF_INIT, b = PGORM_BUF_INIT;
        pgorm_sql_qualified(&rel, ch->from_table->name);
        pgorm_buf_puts(&b, "SELECT string_agg(DISTINCT v.oid::regclass::text, ', ') "
                           "FROM pg_depend dep JOIN pg_rewrite rw ON rw.oid = dep.objid "
                           "JOIN pg_class v ON v.oid = rw.ev_class "
                           "WHERE dep.classid = 'pg_rewrite'::regclass "
                           "AND dep.refclassid = 'pg_class'::regclass AND v.oid <> dep.refobjid "
                           "AND dep.refobjid = to_regclass(");
        pgorm_sql_literal(&b, rel.data ? rel.data : "");
        pgorm_buf_puts(&b, ")");
        if (ch->kind != MIG_TABLE_DROP) {
            pgorm_buf_puts(&b, " AND dep.refobjsubid = (SELECT attnum FROM pg_attribute WHERE "
                               "attrelid = dep.refobjid AND attname = ");
            pgorm_sql_literal(&b, ch->from_col->name);
            pgorm_buf_puts(&b, ")");
        }
        bool oom = b.oom || rel.oom;
        pgorm_buf_free(&rel);
        if (oom) {
            pgorm_buf_free(&b);
            return mig_err_set(e, MIG_DB, "out of memory");
        }
        PGresult *r = mig_exec(o->conn, b.data, PGRES_TUPLES_OK, e, "reading the views a change "
                                                                    "touches");
        pgorm_buf_free(&b);
        if (!r)
            return MIG_DB;
        if (!PQgetisnull(r, 0, 0)) {
            const char *views = PQgetvalue(r, 0, 0);
            if (ch->kind == MIG_TABLE_DROP)
                mig_say(o->say, o->ud,
                        "warning: table %s is dropped, but view %s depends on it: `migrate up` "
                        "will fail. Drop or change the view first (in a migration of its own, "
                        "or by hand)",
                        ch->from_table->name, views);
            else
                mig_say(o->say, o->ud,
                        "warning: column %s.%s is %s, but view %s depends on it: `migrate up` "
                        "will fail. Drop the view before this migration and create it again "
                        "after (edit the migration, or do it by hand)",
                        ch->from_table->name, ch->from_col->name,
                        ch->kind == MIG_COLUMN_DROP ? "dropped" : "retyped", views);
        }
        PQclear(r);
    }
    return MIG_OK;
}

int mig_make(const mig_make_opts *o, mig_err *e)
{
    if (!valid_name(o->name))
        return mig_err_set(e, MIG_USER,
                           "--name %s: use letters, digits, '_' and '-' (at most 100), e.g. "
                           "add_book_pages",
                           o->name);
    pgorm_schema *schema = NULL;
    mig_catalog *from = NULL, *to = NULL;
    mig_diff d = {0};
    mig_dir dir = {0};
    char *up = NULL, *down = NULL, *up_path = NULL, *down_path = NULL;
    pgorm_buf lossy = PGORM_BUF_INIT;
    int rc = MIG_OK;

    if (!(schema = parse(o, e))) {
        rc = MIG_USER;
        goto out;
    }
    if ((rc = need_extensions(o, schema, e)) != MIG_OK)
        goto out;
    if ((rc = mig_dir_read(o->dir, true, &dir, e)) != MIG_OK)
        goto out;
    size_t pending = 0;
    if ((rc = mig_count_pending(o->conn, &dir, &pending, e)) != MIG_OK)
        goto out;
    if (pending) {
        rc = mig_err_set(e, MIG_USER,
                         "%zu migration%s in %s %s not applied to this database yet; run "
                         "pgorm migrate up --dir %s first, so the comparison is with the "
                         "database they make",
                         pending, pending == 1 ? "" : "s", o->dir, pending == 1 ? "is" : "are",
                         o->dir);
        goto out;
    }
    size_t nsch = 0;
    const char **sch = mig_schema_sql_schemas(schema, &nsch);
    from = mig_introspect_in(o->conn, sch, nsch, e);
    pgorm_free(sch);
    if (!from) {
        rc = e->status;
        goto out;
    }
    if (!(to = mig_catalog_from_schema(schema))) {
        rc = mig_err_set(e, MIG_DB, "out of memory");
        goto out;
    }
    if ((rc = canon_defaults(o->conn, to, e)) != MIG_OK)
        goto out;
    if ((rc = canon_checks(o->conn, to, e)) != MIG_OK)
        goto out;
    if ((rc = mig_canon_indexes(o->conn, to, e)) != MIG_OK)
        goto out;
    if (!mig_keep_unmanaged_checks(from, to) || !mig_diff_compute(from, to, &d)) {
        rc = mig_err_set(e, MIG_DB, "out of memory");
        goto out;
    }
    if ((rc = unmanaged_conflicts(&d, from, to, e)) != MIG_OK)
        goto out;
    d.server_version = PQserverVersion(o->conn); /* ADD VALUE needs 12 in a transaction */
    if (d.n == 0) {
        mig_say(o->say, o->ud, "no changes: the database already matches %s; nothing written",
                o->schema_path);
        mig_unmanaged_report(from, o->say, o->ud);
        goto out;
    }
    size_t nlossy = 0;
    if ((rc = lossy_report(o->conn, &d, &lossy, &nlossy, e)) != MIG_OK)
        goto out;
    if (nlossy && !o->allow_data_loss) {
        rc = mig_err_set(e, MIG_USER,
                         "refusing to write a migration that loses data; nothing written. "
                         "%zu change%s would:%s\nChange the schema, or pass --allow-data-loss "
                         "to write it anyway.",
                         nlossy, nlossy == 1 ? "" : "s", lossy.data);
        goto out;
    }
    char version[MIG_VERSION_MAX];
    if ((rc = mig_next_version(&dir, o->version, o->now, version, e)) != MIG_OK)
        goto out;
    char title[MIG_VERSION_MAX + 128];
    snprintf(title, sizeof title, "%s_%s", version, o->name);
    if (!mig_render(&d, title, &up, &down)) {
        rc = mig_err_set(e, MIG_DB, "out of memory");
        goto out;
    }
    if ((rc = mig_write_pair(o->dir, version, o->name, up, down, &up_path, &down_path, e)) !=
        MIG_OK)
        goto out;
    mig_say(o->say, o->ud, "wrote %s and %s (%zu change%s):", up_path, down_path, d.n,
            d.n == 1 ? "" : "s");
    pgorm_buf line = PGORM_BUF_INIT;
    for (size_t i = 0; i < d.n; i++) {
        pgorm_buf_reset(&line);
        mig_change_describe(&line, &d.items[i]);
        mig_say(o->say, o->ud, "  %s%s", line.data ? line.data : "",
                mig_change_lossy(&d.items[i]) ? "  (loses data)" : "");
    }
    pgorm_buf_free(&line);
    if ((rc = not_null_warnings(o, &d, e)) != MIG_OK || (rc = view_warnings(o, &d, e)) != MIG_OK)
        goto out;
    mig_unmanaged_report(from, o->say, o->ud);
    if (nlossy)
        mig_say(o->say, o->ud,
                "warning: %zu change%s lose%s data (allowed by --allow-data-loss):%s", nlossy,
                nlossy == 1 ? "" : "s", nlossy == 1 ? "s" : "", lossy.data);
out:
    pgorm_buf_free(&lossy);
    pgorm_free(up);
    pgorm_free(down);
    pgorm_free(up_path);
    pgorm_free(down_path);
    mig_diff_free(&d);
    mig_catalog_free(from);
    mig_catalog_free(to);
    mig_dir_free(&dir);
    pgorm_schema_free(schema);
    return rc;
}
