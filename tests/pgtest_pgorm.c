/* Test support that uses pgorm itself (parser, DDL, runtime); kept apart
   from pgtest.c so a test links only the layers it uses. */
#include "pgtest.h"

#include <stdio.h>
#include <string.h>

#include "migrate/ddl.h"
#include "pgorm/schema.h"

pgorm_schema *pgt_parse_schema(const char *text)
{
    pgorm_diag diags[4];
    size_t nd = 0;
    pgorm_schema *s = pgorm_schema_parse("test.pgorm", text, strlen(text), diags, 4, &nd);
    if (!s)
        fail_msg("schema does not parse: %d:%d: %s\n%s", nd ? diags[0].pos.line : 0,
                 nd ? diags[0].pos.col : 0, nd ? diags[0].message : "?", text);
    return s;
}

pgorm_schema *pgt_parse_schema_file(const char *rel)
{
    char path[1024];
    if (rel[0] == '/')
        snprintf(path, sizeof path, "%s", rel);
    else
        snprintf(path, sizeof path, "%s/%s", PGORM_SOURCE_DIR, rel);
    pgorm_diag diags[4];
    size_t nd = 0;
    pgorm_schema *s = pgorm_schema_parse_file(path, diags, 4, &nd);
    if (!s)
        fail_msg("%s:%d:%d: %s", path, nd ? diags[0].pos.line : 0, nd ? diags[0].pos.col : 0,
                 nd ? diags[0].message : "?");
    return s;
}

/* Create the tables of s through pgorm's DDL; takes s. */
static void apply(PGconn *c, pgorm_schema *s)
{
    char *sql = pgorm_ddl_create_schema(s);
    assert_non_null(sql);
    pgt_exec(c, sql);
    pgorm_free(sql);
    pgorm_schema_free(s);
}

void pgt_apply_schema(PGconn *c, const char *schema_path)
{
    apply(c, pgt_parse_schema_file(schema_path));
}

void pgt_apply_schema_text(PGconn *c, const char *text)
{
    apply(c, pgt_parse_schema(text));
}

pgorm_db *pgt_db_new(const pgorm_db_options *opts)
{
    pgorm_db_options o = opts ? *opts : (pgorm_db_options){0};
    if (pgt_pooled()) {
        o.unnamed_statements = true;
        o.pipeline_depth = 1;
    }
    return pgorm_db_new(&o);
}

pgorm_db *pgt_pgorm_connect(const char *conninfo)
{
    pgorm_db *db = pgt_db_new(NULL);
    assert_non_null(db);
    pgorm_error err = {0};
    if (pgorm_db_connect_sync(db, conninfo, &err) != 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", err.message ? err.message : "?");
        pgorm_error_clear(&err);
        pgorm_db_free(db);
        fail_msg("pgorm connect: %s", msg);
    }
    return db;
}

