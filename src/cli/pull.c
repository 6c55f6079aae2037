/* pgorm pull [-o FILE] [--force]: write a schema file from the database
 * (DATABASE_URL, else libpq's PG* variables); see migrate/pull.h. To
 * stdout unless -o is given; an existing FILE is kept unless --force.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/describe.h"
#include "migrate/pull.h"
#include "pgorm/pgorm.h"

static int write_out(const char *path, bool force, const pgorm_buf *b)
{
    int fd = open(path, O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL), 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            fprintf(stderr, "pgorm pull: %s exists; nothing written (pass --force to replace it)\n",
                    path);
        else
            fprintf(stderr, "pgorm pull: cannot write %s: %s\n", path, strerror(errno));
        return errno == EEXIST ? 1 : 2;
    }
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "pgorm pull: cannot write %s: %s\n", path, strerror(errno));
            close(fd);
            return 2;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        fprintf(stderr, "pgorm pull: cannot write %s: %s\n", path, strerror(errno));
        return 2;
    }
    return 0;
}

int pgorm_cli_pull(int argc, char **argv)
{
    const char *out = NULL;
    bool force = false, bad = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--force") == 0)
            force = true;
        else
            bad = true;
    }
    if (bad) {
        fputs("usage: pgorm pull [-o FILE] [--force]\n"
              "  write a schema file from DATABASE_URL's database (stdout without -o;\n"
              "  an existing FILE is replaced only with --force)\n",
              stderr);
        return 1;
    }
    PGconn *c = cli_connect("pull");
    if (!c)
        return 2;
    pgorm_buf b = PGORM_BUF_INIT;
    mig_err e = {0};
    int rc = mig_pull(c, &b, &e);
    PQfinish(c);
    if (rc != MIG_OK) {
        fprintf(stderr, "pgorm pull: %s\n", e.message);
        pgorm_buf_free(&b);
        return rc == MIG_USER ? 1 : 2;
    }
    if (out) {
        rc = write_out(out, force, &b);
        if (rc == 0)
            fprintf(stderr, "pgorm pull: wrote %s\n", out);
    } else {
        rc = fwrite(b.data, 1, b.len, stdout) == b.len && fflush(stdout) == 0 ? 0 : 2;
    }
    pgorm_buf_free(&b);
    return rc;
}
