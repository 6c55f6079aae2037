/* Objects of the database that the schema file does not describe: read from
 * pg_catalog next to the tables (introspect.c), kept in the catalog, listed
 * by `migrate make` and `check --database`, and never changed by a
 * migration. Objects that belong to an extension (citext's type and
 * functions, say) are the extension's and are not listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/catalog.h"
#include "migrate/introspect.h"
#include "migrate/runner.h"
#include "pgorm/pgorm.h"

bool mig_unmanaged_add(mig_catalog *c, mig_unmanaged_kind kind, const char *table,
                       const char *name, const char *detail)
{
    if (c->nunmanaged == c->capunmanaged) {
        size_t ncap = c->capunmanaged ? c->capunmanaged * 2 : 16;
        mig_unmanaged *p = pgorm_realloc(c->unmanaged, ncap * sizeof *p);
        if (!p)
            return false;
        c->unmanaged = p;
        c->capunmanaged = ncap;
    }
    mig_unmanaged *u = &c->unmanaged[c->nunmanaged];
    *u = (mig_unmanaged){.kind = kind};
    if ((table && !(u->table = mig_strdup(c, table))) || !(u->name = mig_strdup(c, name)) ||
        (detail && *detail && !(u->detail = mig_strdup(c, detail))))
        return false;
    c->nunmanaged++;
    return true;
}

const mig_unmanaged *mig_unmanaged_find(const mig_catalog *c, mig_unmanaged_kind kind,
                                        const char *table, const char *name)
{
    for (size_t i = 0; i < c->nunmanaged; i++) {
        const mig_unmanaged *u = &c->unmanaged[i];
        if (u->kind == kind && strcmp(u->name, name) == 0 &&
            (!table || (u->table && strcmp(u->table, table) == 0)))
            return u;
    }
    return NULL;
}

static const char *kind_name(mig_unmanaged_kind k)
{
    switch (k) {
    case MIG_UM_COLUMN: return "column";
    case MIG_UM_KEY: return "key";
    case MIG_UM_FK: return "foreign key";
    case MIG_UM_CONSTRAINT: return "constraint";
    case MIG_UM_INDEX: return "index";
    case MIG_UM_TRIGGER: return "trigger";
    case MIG_UM_VIEW: return "view";
    case MIG_UM_MATVIEW: return "materialized view";
    case MIG_UM_SEQUENCE: return "sequence";
    case MIG_UM_FOREIGN_TABLE: return "foreign table";
    case MIG_UM_TYPE: return "type";
    case MIG_UM_FUNCTION: return "function";
    case MIG_UM_CHECK: return "check";
    }
    return "object";
}

void mig_unmanaged_describe(pgorm_buf *b, const mig_unmanaged *u)
{
    if (u->kind == MIG_UM_COLUMN)
        pgorm_buf_printf(b, "column %s.%s", u->table, u->name);
    else if (u->table)
        pgorm_buf_printf(b, "%s %s on %s", kind_name(u->kind), u->name, u->table);
    else
        pgorm_buf_printf(b, "%s %s", kind_name(u->kind), u->name);
    if (u->detail)
        pgorm_buf_printf(b, ": %s", u->detail);
}

/* Not a member of an extension (classid: the catalog the object is in). */
#define NOT_EXT(classid, oid)                                                                  \
    "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '" classid "'::regclass "         \
    "AND e.objid = " oid " AND e.deptype = 'e') "

/* Not pgorm's own table. */
#define NOT_MIGRATIONS(nsp, rel) "NOT (" nsp " = 'public' AND " rel " = 'pgorm_migrations') "

/* kind letter, table (or NULL), name, detail (sorted in C: mig_unmanaged_sort);
   tables and objects outside public named schema.name, like the catalog's. */
static const char *const Q_UNMANAGED =
    /* exclusion constraints, constraint triggers on public tables (CHECKs are
       read by introspect.c into their tables; the ones made by hand that
       the file does not name are added to this list by
       mig_keep_unmanaged_checks) */
    "SELECT 'x', " MIG_QNAME("n.nspname", "t.relname") ", con.conname, "
    "pg_get_constraintdef(con.oid) "
    "FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid "
    "JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname " MIG_IN_SCHEMAS " AND con.contype IN ('x', 't') AND t.relkind IN ('r', 'p') "
    "AND NOT t.relispartition AND " NOT_MIGRATIONS("n.nspname", "t.relname")
    "UNION ALL "
    /* indexes the schema language cannot spell, not behind a constraint
       (introspect.c reads the others) */
    "SELECT 'i', " MIG_QNAME("n.nspname", "t.relname") ", ic.relname, "
    "pg_get_indexdef(i.indexrelid) "
    "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
    "JOIN pg_namespace n ON n.oid = t.relnamespace "
    "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
    "WHERE n.nspname " MIG_IN_SCHEMAS " AND t.relkind IN ('r', 'p') AND NOT t.relispartition "
    "AND " NOT_MIGRATIONS("n.nspname", "t.relname")
    "AND NOT " MIG_INDEX_SPELLABLE_SQL " "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid "
    "  AND c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')) "
    "UNION ALL "
    /* triggers the user made (not the ones behind foreign keys) */
    "SELECT 'g', " MIG_QNAME("n.nspname", "t.relname") ", tg.tgname, pg_get_triggerdef(tg.oid) "
    "FROM pg_trigger tg JOIN pg_class t ON t.oid = tg.tgrelid "
    "JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname " MIG_IN_SCHEMAS " AND NOT tg.tgisinternal AND tg.tgconstraint = 0 "
    "AND " NOT_MIGRATIONS("n.nspname", "t.relname")
    "UNION ALL "
    /* views, materialized views, foreign tables, sequences no column owns */
    "SELECT c.relkind::text, NULL, " MIG_QNAME("n.nspname", "c.relname") ", NULL FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname " MIG_IN_SCHEMAS " AND c.relkind IN ('v', 'm', 'f', 'S') "
    "AND NOT (n.nspname = 'public' AND c.relname LIKE 'pgorm\\_migrations%') AND "
    NOT_EXT("pg_class", "c.oid")
    "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d "
    "  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
    "  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))) "
    "UNION ALL "
    /* types: not an enum (those are the schema's), not a table's row type, not an
       array, not a range's multirange */
    "SELECT 't', NULL, " MIG_QNAME("n.nspname", "ty.typname") ", CASE ty.typtype WHEN 'e' THEN 'enum (' || "
    "  (SELECT string_agg(quote_literal(en.enumlabel), ', ' ORDER BY en.enumsortorder) "
    "   FROM pg_enum en WHERE en.enumtypid = ty.oid) || ')' "
    "  WHEN 'd' THEN 'domain over ' || format_type(ty.typbasetype, ty.typtypmod) "
    "  WHEN 'c' THEN 'composite type' WHEN 'r' THEN 'range type' ELSE 'base type' END "
    "FROM pg_type ty JOIN pg_namespace n ON n.oid = ty.typnamespace "
    "WHERE n.nspname " MIG_IN_SCHEMAS " AND ty.typtype IN ('b', 'c', 'd', 'r') "
    "AND NOT EXISTS (SELECT 1 FROM pg_type el WHERE el.typarray = ty.oid) "
    "AND (ty.typtype <> 'c' OR (SELECT r.relkind FROM pg_class r WHERE r.oid = ty.typrelid) = 'c') "
    "AND " NOT_EXT("pg_type", "ty.oid")
    "UNION ALL "
    "SELECT 'p', NULL, p.oid::regprocedure::text, CASE p.prokind WHEN 'p' THEN 'procedure' "
    "  WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' ELSE "
    "  'returns ' || format_type(p.prorettype, NULL) END "
    "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname " MIG_IN_SCHEMAS " AND " NOT_EXT("pg_proc", "p.oid");

static mig_unmanaged_kind kind_of(char c)
{
    switch (c) {
    case 'x': return MIG_UM_CONSTRAINT;
    case 'i': return MIG_UM_INDEX;
    case 'g': return MIG_UM_TRIGGER;
    case 'v': return MIG_UM_VIEW;
    case 'm': return MIG_UM_MATVIEW;
    case 'f': return MIG_UM_FOREIGN_TABLE;
    case 'S': return MIG_UM_SEQUENCE;
    case 't': return MIG_UM_TYPE;
    default: return MIG_UM_FUNCTION;
    }
}

int mig_read_unmanaged(PGconn *conn, mig_catalog *cat, mig_err *e)
{
    return mig_read_unmanaged_in(conn, cat, "IN ('public')", e);
}

int mig_read_unmanaged_in(PGconn *conn, mig_catalog *cat, const char *in_schemas, mig_err *e)
{
    PGresult *r = mig_exec_in_schemas(conn, Q_UNMANAGED, in_schemas, e,
                                      "reading the database objects the schema does not describe");
    if (!r)
        return MIG_DB;
    int rc = MIG_OK;
    for (int i = 0; i < PQntuples(r) && rc == MIG_OK; i++)
        if (!mig_unmanaged_add(cat, kind_of(PQgetvalue(r, i, 0)[0]),
                               PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1),
                               PQgetvalue(r, i, 2),
                               PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3)))
            rc = mig_err_set(e, MIG_DB, "out of memory while reading the database's objects");
    PQclear(r);
    return rc;
}

static int cmp_unmanaged(const void *a, const void *b)
{
    const mig_unmanaged *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    int c = strcmp(x->table ? x->table : "", y->table ? y->table : "");
    return c ? c : strcmp(x->name, y->name);
}

void mig_unmanaged_sort(mig_catalog *cat)
{
    if (cat->nunmanaged > 1)
        qsort(cat->unmanaged, cat->nunmanaged, sizeof *cat->unmanaged, cmp_unmanaged);
}

void mig_unmanaged_report(const mig_catalog *c, mig_say_fn say, void *ud)
{
    if (!c->nunmanaged)
        return;
    bool one = c->nunmanaged == 1;
    mig_say(say, ud,
            "%zu object%s in the database %s not described by the schema; migrations leave "
            "%s alone:",
            c->nunmanaged, one ? "" : "s", one ? "is" : "are", one ? "it" : "them");
    pgorm_buf b = PGORM_BUF_INIT;
    for (size_t i = 0; i < c->nunmanaged; i++) {
        pgorm_buf_reset(&b);
        mig_unmanaged_describe(&b, &c->unmanaged[i]);
        mig_say(say, ud, "  %s", b.data ? b.data : "");
    }
    pgorm_buf_free(&b);
}
