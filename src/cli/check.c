/* pgorm check SCHEMA: parse and validate a schema file.
 *
 * Exit 0 and "ok: N models" on stdout when valid; exit 1 with one
 * "file:line:col: message" line per problem on stderr when not; exit 2 when
 * the file cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
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

int pgorm_cli_check(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fputs("usage: pgorm check SCHEMA\n", stderr);
        return 1;
    }
    const char *path = argv[1];
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
        printf("ok: %zu model%s\n", s->nmodels, s->nmodels == 1 ? "" : "s");
        pgorm_schema_free(s);
        return 0;
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
