/* Helpers shared by the migration tests (header-only: each test file is one
   process and includes it once). */
#ifndef PGORM_TESTS_MIGTEST_H
#define PGORM_TESTS_MIGTEST_H

#include "pgtest.h"

#include "migrate/ddl.h"
#include "pgorm/schema.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline const char *mt_cli(void)
{
    const char *cli = getenv("PGORM_CLI");
    if (!cli || !*cli)
        fail_msg("PGORM_CLI is not set: run the tests with ctest");
    return cli;
}

/* A new empty folder under /tmp (static storage per call site is the
   caller's: `out` must hold 64 bytes). */
static inline void mt_tmpdir(char out[64])
{
    snprintf(out, 64, "/tmp/pgorm-mig-XXXXXX");
    if (!mkdtemp(out))
        fail_msg("mkdtemp failed");
}

static inline void mt_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *ent;
    char path[1024];
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static inline void mt_write(const char *dir, const char *file, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* Number of regular files in a folder. */
static inline int mt_count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        n += ent->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The fixture of the command-line tests: a fresh database, a connection to
   it, an empty migrations folder, and a schema path beside it (not created
   here; removed by mt_close). */
typedef struct mt_fx {
    pgt_db db;
    PGconn *c;
    char dir[64];
    char schema[128];
} mt_fx;

static inline mt_fx *mt_open(const char *label)
{
    mt_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    pgt_db_create(&f->db, label);
    f->c = pgt_connect(f->db.direct);
    mt_tmpdir(f->dir);
    snprintf(f->schema, sizeof f->schema, "%s.pgorm", f->dir);
    return f;
}

static inline void mt_close(mt_fx *f)
{
    PQfinish(f->c);
    pgt_db_drop(&f->db);
    mt_rmdir(f->dir);
    unlink(f->schema);
    free(f);
}

/* Run `pgorm migrate <args>` against db with extra environment `env`
   (may be ""); output (stdout+stderr) into *out (free()) when out is not
   NULL. Returns the exit code. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static inline int mt_migrate(const pgt_db *db, const char *env, char **out, const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "DATABASE_URL='%s' %s %s migrate %s", db->direct, env, mt_cli(),
             args);
    char *o = NULL;
    int rc = pgt_run(cmd, &o);
    if (out)
        *out = o;
    else
        free(o);
    return rc;
}

/* Build a schema from empty with pgorm's DDL. */
static inline void mt_build(PGconn *c, const char *text)
{
    pgt_apply_schema_text(c, text);
}

/* Empty the public schema, and drop every other schema but PostgreSQL's own. */
static inline void mt_reset(PGconn *c)
{
    pgt_exec(c, "DO $$ DECLARE s text; BEGIN FOR s IN SELECT nspname FROM pg_namespace WHERE "
                "nspname !~ '^pg_' AND nspname NOT IN ('information_schema', 'public') LOOP "
                "EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; END $$");
    pgt_exec(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
}

/* The database's tables as sorted lines, names of constraints, indexes and
   sequences aside (column order aside too: a migration appends columns).
   Every schema but PostgreSQL's own; public's names unqualified. */
static inline char *mt_snapshot(PGconn *c)
{
    return pgt_query_text(
        c,
        "WITH tbl AS (SELECT c.oid, CASE WHEN n.nspname = 'public' THEN c.relname::text "
        "ELSE n.nspname || '.' || c.relname END AS relname FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> "
        "'information_schema' AND c.relkind = 'r' "
        "AND NOT (n.nspname = 'public' AND c.relname = 'pgorm_migrations')) "
        "SELECT coalesce(string_agg(line, E'\\n' ORDER BY line COLLATE \"C\"), '') FROM ("
        " SELECT 'table ' || relname AS line FROM tbl"
        " UNION ALL SELECT 'column ' || t.relname || '.' || a.attname || ' ' ||"
        "  format_type(a.atttypid, a.atttypmod) ||"
        "  CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ||"
        "  coalesce(' default ' || regexp_replace(pg_get_expr(d.adbin, d.adrelid),"
        "   'nextval\\(''[^'']*''::regclass\\)', 'nextval(<seq>)'), '') ||"
        "  coalesce((SELECT ' owns a sequence as ' || format_type(s.seqtypid, NULL)"
        "   FROM pg_depend dep JOIN pg_sequence s ON s.seqrelid = dep.objid"
        "   WHERE dep.classid = 'pg_class'::regclass AND dep.refobjid = t.oid"
        "   AND dep.refobjsubid = a.attnum AND dep.deptype = 'a'), '')"
        "  FROM tbl t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0"
        "  AND NOT a.attisdropped LEFT JOIN pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum"
        " UNION ALL SELECT 'constraint ' || t.relname || ' ' || pg_get_constraintdef(c.oid) ||"
        "  coalesce(' comment ' || obj_description(c.oid, 'pg_constraint'), '')"
        "  FROM tbl t JOIN pg_constraint c ON c.conrelid = t.oid"
        " UNION ALL SELECT 'index ' || t.relname || ' ' ||"
        "  regexp_replace(pg_get_indexdef(i.indexrelid), 'INDEX \\S+ ON', 'INDEX ON')"
        "  FROM tbl t JOIN pg_index i ON i.indrelid = t.oid WHERE NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = t.oid)"
        " UNION ALL SELECT 'sequences ' || count(*) FROM pg_class c JOIN pg_namespace n ON"
        "  n.oid = c.relnamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> "
        "  'information_schema' AND c.relkind = 'S'"
        " UNION ALL SELECT 'enum ' || CASE WHEN n.nspname = 'public' THEN t.typname::text ELSE"
        "  n.nspname || '.' || t.typname END || ' (' || (SELECT string_agg(e.enumlabel, ', '"
        "  ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) || ')'"
        "  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname !~ "
        "  '^pg_' AND n.nspname <> 'information_schema' AND t.typtype = 'e'"
        ") x");
}

/* Like mt_migrate, but fails the test unless the exit code is `want`. */
#define MT_MIGRATE(db, want, ...)                                                              \
    do {                                                                                       \
        char *out_ = NULL;                                                                     \
        int rc_ = mt_migrate((db), "", &out_, __VA_ARGS__);                                    \
        if (rc_ != (want))                                                                     \
            fail_msg("migrate exited %d, expected %d:\n%s", rc_, (want), out_ ? out_ : "");     \
        free(out_);                                                                            \
    } while (0)

#endif
