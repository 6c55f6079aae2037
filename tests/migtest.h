/* Helpers shared by the migration tests (header-only: each test file is one
   process and includes it once). */
#ifndef PGORM_TESTS_MIGTEST_H
#define PGORM_TESTS_MIGTEST_H

#include "pgtest.h"

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
    snprintf(cmd, sizeof cmd, "DATABASE_URL='%s' %s %s migrate %s", db->conninfo, env, mt_cli(),
             args);
    char *o = NULL;
    int rc = pgt_run(cmd, &o);
    if (out)
        *out = o;
    else
        free(o);
    return rc;
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
