/* The server's spelling of the schema's index predicates and expressions
 * (see mig_canon_indexes in make.h): what introspection reads back from a
 * database is pg_get_expr(indpred) and pg_get_indexdef(index, column), so
 * the file's "pages > 100" is compared as "(pages > 100)" and lower(title)
 * as the server prints it after parsing, casts included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/ddl.h"
#include "migrate/make.h"
#include "pgorm/pgorm.h"
#include "util/buf.h"
#include "util/sqlq.h"

/* Every index with an option: its predicate and expressions get their
   spelling, and a method the column's type lacks (gin over text) is
   reported before anything is written. */
static bool needs_probe(const mig_key *k)
{
    return mig_key_has_options(k);
}

void mig_probe_columns(pgorm_buf *b, const mig_table *t)
{
    for (size_t j = 0; j < t->ncols; j++) {
        char tmp[64];
        if (j)
            pgorm_buf_puts(b, ", ");
        pgorm_sql_ident(b, t->cols[j].name);
        pgorm_buf_putc(b, ' ');
        if (t->cols[j].type.scalar == PGORM_S_ENUM && t->cols[j].enum_type)
            pgorm_sql_qualified(b, t->cols[j].enum_type); /* mig_probe_enum_types */
        else
            pgorm_buf_puts(b, mig_type_sql(t->cols[j].type, tmp, sizeof tmp));
    }
}

static int probe_one(PGconn *c, mig_catalog *to, const mig_table *t, mig_key *k, mig_err *e)
{
    pgorm_buf b = PGORM_BUF_INIT;
    int rc = MIG_OK;
    pgorm_buf_puts(&b, "CREATE TEMP TABLE pgorm_index_probe (");
    mig_probe_columns(&b, t);
    pgorm_buf_puts(&b, ")");
    PGresult *r = PQexecParams(c, b.oom ? "" : b.data, 0, NULL, NULL, NULL, NULL, 0);
    if (b.oom || PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = b.oom ? mig_err_set(e, MIG_DB, "out of memory")
                   : (mig_err_pg(e, c, r, "probing an index"), MIG_DB);
        PQclear(r);
        pgorm_buf_free(&b);
        return rc;
    }
    PQclear(r);
    pgorm_buf_reset(&b);
    pgorm_ddl_key dk = {.kind = k->kind == MIG_KEY_UNIQUE ? PGORM_BLOCK_UNIQUE : PGORM_BLOCK_INDEX,
                        .columns = (const char **)k->cols, .ncolumns = k->ncols,
                        .exprs = (const char *const *)k->exprs, .desc = k->desc,
                        .where = k->where, .method = k->method, .index_only = true};
    snprintf(dk.name, sizeof dk.name, "pgorm_index_probe_idx");
    pgorm_ddl_create_index(&b, "pgorm_index_probe", &dk);
    if (b.oom) {
        pgorm_buf_free(&b);
        return mig_err_set(e, MIG_DB, "out of memory");
    }
    b.data[b.len - 2] = '\0'; /* without ";\n": one statement */
    /* PQexecParams: one statement only, whatever the expressions hold */
    r = PQexecParams(c, b.data, 0, NULL, NULL, NULL, NULL, 0);
    pgorm_buf_free(&b);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        char what[512];
        snprintf(what, sizeof what,
                 "an index of table %s%s%.200s%s is not valid for the table's columns", t->name,
                 k->where ? " (where: \"" : "", k->where ? k->where : "", k->where ? "\")" : "");
        mig_err_pg(e, c, r, what);
        PQclear(r);
        e->status = MIG_USER;
        return MIG_USER;
    }
    PQclear(r);
    r = mig_exec(c,
                 "SELECT k.n, pg_get_indexdef(i.indexrelid, k.n, false), "
                 "pg_get_expr(i.indpred, i.indrelid) FROM pg_index i "
                 "CROSS JOIN LATERAL generate_series(1, i.indnkeyatts::int) AS k(n) "
                 "WHERE i.indexrelid = 'pg_temp.pgorm_index_probe_idx'::regclass ORDER BY k.n",
                 PGRES_TUPLES_OK, e, "reading an index back");
    if (!r)
        return MIG_DB;
    for (int row = 0; row < PQntuples(r) && rc == MIG_OK; row++) {
        size_t at = (size_t)atoi(PQgetvalue(r, row, 0)) - 1;
        if (row == 0 && k->where && !PQgetisnull(r, row, 2) &&
            !(k->where_sql = mig_strdup(to, PQgetvalue(r, row, 2))))
            rc = mig_err_set(e, MIG_DB, "out of memory");
        if (at >= k->ncols || !k->exprs || !k->exprs[at])
            continue;
        if (!k->exprs_sql &&
            !(k->exprs_sql = pgorm_arena_calloc(&to->arena, k->ncols + 1, sizeof *k->exprs_sql)))
            rc = mig_err_set(e, MIG_DB, "out of memory");
        else if (!(k->exprs_sql[at] = mig_strdup(to, PQgetvalue(r, row, 1))))
            rc = mig_err_set(e, MIG_DB, "out of memory");
    }
    PQclear(r);
    if (rc != MIG_OK)
        return rc;
    r = mig_exec(c, "DROP TABLE pg_temp.pgorm_index_probe", PGRES_COMMAND_OK, e, "probe");
    if (!r)
        return MIG_DB;
    PQclear(r);
    return MIG_OK;
}

int mig_canon_indexes(PGconn *c, mig_catalog *to, mig_err *e)
{
    bool any = false;
    for (size_t i = 0; i < to->ntables && !any; i++)
        for (size_t k = 0; k < to->tables[i].nkeys && !any; k++)
            any = needs_probe(&to->tables[i].keys[k]);
    if (!any)
        return MIG_OK;
    PGresult *r = mig_exec(c, "BEGIN", PGRES_COMMAND_OK, e, "starting a transaction");
    if (!r)
        return MIG_DB;
    PQclear(r);
    int rc = MIG_OK;
    pgorm_buf b = PGORM_BUF_INIT;
    /* the schema's enum types as the file has them, so an index over an
       enum column is spelled as it will be (all rolled back below) */
    rc = mig_probe_enum_types(c, to, e, "probing an enum type for indexes");
    pgorm_buf_free(&b);
    for (size_t i = 0; rc == MIG_OK && i < to->ntables; i++)
        for (size_t k = 0; rc == MIG_OK && k < to->tables[i].nkeys; k++)
            if (needs_probe(&to->tables[i].keys[k]))
                rc = probe_one(c, to, &to->tables[i], &to->tables[i].keys[k], e);
    PQclear(PQexec(c, "ROLLBACK"));
    return rc;
}
