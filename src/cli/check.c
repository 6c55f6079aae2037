/* pgorm check SCHEMA [--database]: parse and validate a schema file; with
 * --database, also prepare every named query on the server (DATABASE_URL)
 * and compare what it describes with the file (describe.c), and list the
 * database's objects the schema does not describe (migrations leave them
 * alone).
 *
 * Exit 0 and "ok: N models" on stdout when valid; exit 1 with one
 * "file:line:col: message" line per problem on stderr when not; exit 2 when
 * the file cannot be read or the database cannot be reached.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/describe.h"
#include "migrate/diff.h"
#include "migrate/introspect.h"
#include "pgorm/pgorm.h"
#include "pgorm/schema.h"
#include "util/buf.h"

#define MAX_DIAGS 100

/* Read the whole file into b; false (errno set) on failure. */
static bool read_file(const char *path, pgorm_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pgorm_buf_append(b, chunk, n);
    bool ok = !ferror(f) && !b->oom;
    int e = ferror(f) ? (errno ? errno : EIO) : ENOMEM;
    fclose(f);
    if (!ok)
        errno = e;
    return ok;
}

static void print_line(void *ud, const char *line)
{
    (void)ud;
    printf("%s\n", line);
}

/* What the database holds that the schema does not describe (views,
   triggers, types, checks...): migrations leave it alone; say what it is. */
static void list_unmanaged(PGconn *c, const pgorm_schema *s)
{
    mig_err e = {0};
    size_t nsch = 0;
    const char **sch = mig_schema_sql_schemas(s, &nsch); /* and public */
    mig_catalog *cat = mig_introspect_in(c, sch, nsch, &e);
    pgorm_free(sch);
    if (!cat) {
        fprintf(stderr, "pgorm check: could not read the database's objects: %s\n", e.message);
        return;
    }
    /* checks made by hand that the file does not name */
    mig_catalog *file = mig_catalog_from_schema(s);
    if (file)
        mig_keep_unmanaged_checks(cat, file);
    mig_unmanaged_report(cat, print_line, NULL);
    mig_catalog_free(file);
    mig_catalog_free(cat);
}

int pgorm_cli_check(int argc, char **argv)
{
    const char *path = NULL;
    bool database = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--database") == 0) {
            database = true;
        } else if (argv[i][0] == '-' || path) {
            path = NULL;
            break;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fputs("usage: pgorm check SCHEMA [--database]\n"
              "  --database: also prepare each named query on DATABASE_URL's server and\n"
              "  compare its parameter and result types with the file\n",
              stderr);
        return 1;
    }
    pgorm_buf text = PGORM_BUF_INIT;
    if (!read_file(path, &text)) {
        fprintf(stderr, "pgorm check: cannot read '%s': %s\n", path, strerror(errno));
        pgorm_buf_free(&text);
        return 2;
    }
    pgorm_diag diags[MAX_DIAGS];
    size_t n = 0;
    pgorm_schema *s =
        pgorm_schema_parse(path, text.data ? text.data : "", text.len, diags, MAX_DIAGS, &n);
    pgorm_buf_free(&text);
    if (s) {
        int rc = 0;
        if (database) {
            PGconn *c = cli_connect("check");
            int e = c ? cli_check_queries(c, path, s) : -1;
            if (e >= 0)
                list_unmanaged(c, s);
            PQfinish(c);
            rc = e < 0 ? 2 : e > 0 ? 1 : 0;
        }
        if (rc == 0) {
            printf("ok: %zu model%s", s->nmodels, s->nmodels == 1 ? "" : "s");
            if (s->nqueries)
                printf(", %zu quer%s%s", s->nqueries, s->nqueries == 1 ? "y" : "ies",
                       database ? " checked against the database" : "");
            printf("\n");
        }
        pgorm_schema_free(s);
        return rc;
    }
    for (size_t i = 0; i < n && i < MAX_DIAGS; i++) {
        if (diags[i].pos.line > 0)
            fprintf(stderr, "%s:%d:%d: %s\n", path, diags[i].pos.line, diags[i].pos.col,
                    diags[i].message);
        else
            fprintf(stderr, "%s: %s\n", path, diags[i].message);
    }
    if (n > MAX_DIAGS)
        fprintf(stderr, "%s: %zu more errors not shown\n", path, n - MAX_DIAGS);
    /* Running out of memory is not the user's mistake. */
    return n == 1 && diags[0].pos.line == 0 ? 2 : 1;
}
