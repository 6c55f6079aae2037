/* pgorm gen SCHEMA -o DIR: write DIR/<base>.pgorm.h and DIR/<base>.pgorm.c,
 * where <base> is the schema's file name without ".pgorm".
 *
 * Each file is written to a temporary name in DIR and renamed into place
 * only when both are complete, so a failure never leaves a half-written
 * file where the build looks for one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/describe.h"
#include "codegen/codegen.h"
#include "pgorm/pgorm.h"
#include "pgorm/schema.h"
#include "util/buf.h"

#define MAX_DIAGS 20

static const char usage_text[] =
    "usage: pgorm gen SCHEMA -o DIR [--database]\n"
    "  writes DIR/<schema>.pgorm.h and DIR/<schema>.pgorm.c\n"
    "  (<schema>: SCHEMA's file name without .pgorm);\n"
    "  DIR is created when missing.\n"
    "  --database: describe the result columns of named queries without\n"
    "  returns (...) from DATABASE_URL's server.\n";

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "pgorm gen: %s%s%s\n%s", what, arg ? " " : "", arg ? arg : "", usage_text);
    return 1;
}

/* "schemas/bookstore.pgorm" -> "bookstore" (new string, NULL on OOM). */
static char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t len = strlen(name);
    static const char ext[] = ".pgorm";
    if (len > sizeof ext - 1 && strcmp(name + len - (sizeof ext - 1), ext) == 0)
        len -= sizeof ext - 1;
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_buf_append(&b, name, len);
    return pgorm_buf_steal(&b);
}

/* mkdir -p. 0, or -1 with errno set. */
static int make_dirs(const char *dir)
{
    char *path = pgorm_strdup(dir);
    if (!path) {
        errno = ENOMEM;
        return -1;
    }
    int rc = 0;
    for (char *p = path + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            rc = -1;
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (rc == 0 && stat(path, &st) != 0)
        rc = -1;
    else if (rc == 0 && !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        rc = -1;
    }
    int saved = errno;
    pgorm_free(path);
    errno = saved;
    return rc;
}

typedef struct out_file {
    char *path; /* DIR/<base>.pgorm.h */
    char *tmp;  /* DIR/.<base>.pgorm.h.XXXXXX while being written */
    const char *text;
} out_file;

/* Write f->text to a new temporary file next to f->path. 0, or -1 with
   errno set (and no temporary file left behind). */
static int write_temp(out_file *f, mode_t mode)
{
    const char *slash = strrchr(f->path, '/');
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_buf_printf(&b, "%.*s.%s.XXXXXX", (int)(slash + 1 - f->path), f->path, slash + 1);
    f->tmp = pgorm_buf_steal(&b);
    if (!f->tmp) {
        errno = ENOMEM;
        return -1;
    }
    int fd = mkstemp(f->tmp);
    if (fd < 0) {
        pgorm_free(f->tmp);
        f->tmp = NULL;
        return -1;
    }
    int rc = -1;
    FILE *out = fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
    if (out) {
        size_t len = strlen(f->text);
        bool written = fwrite(f->text, 1, len, out) == len;
        int saved = errno;
        if (fclose(out) == 0 && written)
            rc = 0;
        else if (!written)
            errno = saved;
    } else {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    if (rc != 0) {
        int saved = errno;
        unlink(f->tmp);
        pgorm_free(f->tmp);
        f->tmp = NULL;
        errno = saved;
    }
    return rc;
}

/* Both files to their temporary names, then both into place. */
static int write_files(out_file *files, size_t n)
{
    mode_t mask = umask(0);
    umask(mask);
    size_t i;
    for (i = 0; i < n; i++)
        if (write_temp(&files[i], 0666 & ~mask) != 0) {
            fprintf(stderr, "pgorm gen: cannot write %s: %s\n", files[i].path, strerror(errno));
            break;
        }
    for (size_t j = 0; i == n && j < n; j++)
        if (rename(files[j].tmp, files[j].path) != 0) {
            fprintf(stderr, "pgorm gen: cannot write %s: %s\n", files[j].path, strerror(errno));
            i = j;
            break;
        }
    for (size_t j = 0; j < n; j++) {
        if (files[j].tmp && i < n)
            unlink(files[j].tmp);
        pgorm_free(files[j].tmp);
        files[j].tmp = NULL;
    }
    return i == n ? 0 : -1;
}

static int generate(const char *schema_path, const char *dir, const pgorm_schema *s)
{
    char *base = base_name(schema_path);
    char *header = NULL, *source = NULL;
    pgorm_diag diag = {{0, 0}, ""};
    pgorm_codegen_status st =
        base ? pgorm_codegen(s, base, &header, &source, &diag) : PGORM_CODEGEN_NOMEM;
    int rc = 0;
    out_file files[2] = {{NULL, NULL, header}, {NULL, NULL, source}};
    if (st == PGORM_CODEGEN_INVALID) {
        cli_print_diags(schema_path, &diag, 1, MAX_DIAGS);
        rc = 1;
    } else if (st != PGORM_CODEGEN_OK) {
        fputs("pgorm gen: out of memory\n", stderr);
        rc = 2;
    } else if (make_dirs(dir) != 0) {
        fprintf(stderr, "pgorm gen: cannot create directory %s: %s\n", dir, strerror(errno));
        rc = 2;
    } else {
        const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
        pgorm_buf h = PGORM_BUF_INIT, c = PGORM_BUF_INIT;
        pgorm_buf_printf(&h, "%s%s%s.pgorm.h", dir, sep, base);
        pgorm_buf_printf(&c, "%s%s%s.pgorm.c", dir, sep, base);
        files[0].path = pgorm_buf_steal(&h);
        files[1].path = pgorm_buf_steal(&c);
        if (!files[0].path || !files[1].path) {
            fputs("pgorm gen: out of memory\n", stderr);
            rc = 2;
        } else if (write_files(files, 2) != 0) {
            rc = 2;
        } else {
            printf("wrote %s\nwrote %s\n", files[0].path, files[1].path);
        }
    }
    pgorm_free(files[0].path);
    pgorm_free(files[1].path);
    pgorm_free(header);
    pgorm_free(source);
    pgorm_free(base);
    return rc;
}

int pgorm_cli_gen(int argc, char **argv)
{
    const char *schema = NULL, *dir = NULL;
    bool database = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return usage_error("-o needs a directory", NULL);
            dir = argv[++i];
        } else if (strcmp(a, "--database") == 0) {
            database = true;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option", a);
        } else if (schema) {
            return usage_error("one schema at a time; unexpected", a);
        } else {
            schema = a;
        }
    }
    if (!schema)
        return usage_error("which schema?", NULL);
    if (!dir)
        return usage_error("where to? (-o DIR)", NULL);

    pgorm_diag diags[MAX_DIAGS];
    size_t nd = 0;
    pgorm_schema *s = pgorm_schema_parse_file(schema, diags, MAX_DIAGS, &nd);
    if (!s && nd == 0) {
        fprintf(stderr, "pgorm gen: out of memory reading %s\n", schema);
        return 2;
    }
    if (!s) {
        cli_print_diags(schema, diags, nd, MAX_DIAGS);
        return 1;
    }
    size_t untyped = 0;
    for (size_t i = 0; i < s->nqueries; i++)
        untyped += !s->queries[i].has_returns;
    if (database && untyped) {
        PGconn *c = cli_connect("gen");
        int e = c ? cli_describe_queries(c, schema, s) : -1;
        PQfinish(c);
        if (e != 0) {
            pgorm_schema_free(s);
            return e < 0 ? 2 : 1;
        }
    }
    int rc = generate(schema, dir, s);
    pgorm_schema_free(s);
    return rc;
}
