/* pgorm migrate make|up|down|redo|status|history: argument parsing, the connection, and
 * printing. The work is in src/migrate (make.c, runner.c).
 *
 * The database is DATABASE_URL (a libpq URI or conninfo), else libpq's own
 * PG* variables. Exit codes: 0 success, 1 user error, 2 database or I/O
 * error.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "migrate/make.h"
#include "migrate/runner.h"

static const char USAGE[] =
    "usage:\n"
    "  pgorm migrate make --schema SCHEMA --dir DIR --name NAME [--allow-data-loss]\n"
    "  pgorm migrate up     --dir DIR [--to VERSION]\n"
    "  pgorm migrate down   --dir DIR [--steps N] [--allow-changed-down]\n"
    "  pgorm migrate redo   --dir DIR [--allow-changed-down]\n"
    "  pgorm migrate status --dir DIR\n"
    "  pgorm migrate history --dir DIR\n"
    "down and redo refuse a .down.sql changed since it was applied; --allow-changed-down\n"
    "runs it as it is now. redo is down then up of the newest applied migration.\n"
    "The database is DATABASE_URL, else libpq's PG* variables.\n";

typedef struct opts {
    const char *schema, *dir, *name, *to, *steps;
    bool allow_data_loss, allow_changed_down;
} opts;

static int usage_error(const char *fmt, const char *arg)
{
    fputs("pgorm migrate: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n", stderr);
    fputs(USAGE, stderr);
    return 1;
}

/* --opt VALUE or --opt=VALUE; only the options `allowed` names. */
static int parse(int argc, char **argv, const char *allowed, opts *o)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--allow-data-loss") == 0 && strstr(allowed, "allow-data-loss")) {
            o->allow_data_loss = true;
            continue;
        }
        if (strcmp(a, "--allow-changed-down") == 0 && strstr(allowed, "allow-changed-down")) {
            o->allow_changed_down = true;
            continue;
        }
        static const char *const names[] = {"schema", "dir", "name", "to", "steps"};
        const char **slots[] = {&o->schema, &o->dir, &o->name, &o->to, &o->steps};
        bool done = false;
        for (size_t k = 0; k < 5 && !done; k++) {
            size_t n = strlen(names[k]);
            if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, names[k], n) != 0 ||
                !strstr(allowed, names[k]))
                continue;
            if (a[2 + n] == '=') {
                *slots[k] = a + 3 + n;
                done = true;
            } else if (a[2 + n] == '\0') {
                if (i + 1 >= argc)
                    return usage_error("%s needs a value", a);
                *slots[k] = argv[++i];
                done = true;
            }
        }
        if (!done)
            return usage_error("unexpected argument '%s'", a);
    }
    return 0;
}

static void print_line(void *ud, const char *line)
{
    (void)ud;
    printf("%s\n", line);
    fflush(stdout);
}

static PGconn *connect_db(void)
{
    const char *url = getenv("DATABASE_URL");
    PGconn *c = PQconnectdb(url ? url : "");
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pgorm migrate: cannot connect to the database (%s): %s",
                url ? "DATABASE_URL" : "PG* variables", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PGresult *r = PQexec(c, "SET client_min_messages = warning");
    PQclear(r);
    return c;
}

static int report(int rc, const mig_err *e)
{
    if (rc != MIG_OK)
        fprintf(stderr, "pgorm migrate: %s\n", e->message);
    return rc;
}

int pgorm_cli_migrate(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "which one: make, up, down, redo, status or history?");
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    const char *allowed = strcmp(cmd, "make") == 0      ? "schema dir name allow-data-loss"
                          : strcmp(cmd, "up") == 0      ? "dir to"
                          : strcmp(cmd, "down") == 0    ? "dir steps allow-changed-down"
                          : strcmp(cmd, "redo") == 0    ? "dir allow-changed-down"
                          : strcmp(cmd, "status") == 0  ? "dir"
                          : strcmp(cmd, "history") == 0 ? "dir"
                                                        : NULL;
    if (!allowed)
        return usage_error("unknown subcommand '%s'", cmd);
    opts o = {0};
    if (parse(argc, argv, allowed, &o) != 0)
        return 1;
    if (!o.dir)
        return usage_error("%s needs --dir DIR", cmd);
    int steps = 1;
    if (o.steps) {
        char *end;
        errno = 0;
        long v = strtol(o.steps, &end, 10);
        if (errno || *end || end == o.steps || v < 1 || v > INT_MAX)
            return usage_error("--steps %s: give a whole number, 1 or more", o.steps);
        steps = (int)v;
    }
    if (o.to && !mig_version_valid(o.to))
        return usage_error("--to %s: a version is the digits a file name starts with", o.to);
    if (strcmp(cmd, "make") == 0 && (!o.schema || !o.name))
        return usage_error("%s", "make needs --schema SCHEMA and --name NAME");

    PGconn *c = connect_db();
    if (!c)
        return 2;
    mig_err e = {0};
    int rc;
    mig_runner r = {.conn = c,
                    .dir = o.dir,
                    .say = print_line,
                    .allow_changed_down = o.allow_changed_down};
    if (strcmp(cmd, "make") == 0) {
        mig_make_opts mo = {
            .conn = c,
            .schema_path = o.schema,
            .dir = o.dir,
            .name = o.name,
            .allow_data_loss = o.allow_data_loss,
            .version = getenv("PGORM_MIGRATE_VERSION"),
            .now = time(NULL),
            .say = print_line,
        };
        rc = report(mig_make(&mo, &e), &e);
    } else if (strcmp(cmd, "up") == 0) {
        rc = report(mig_up(&r, o.to, &e), &e);
    } else if (strcmp(cmd, "down") == 0) {
        rc = report(mig_down(&r, steps, &e), &e);
    } else if (strcmp(cmd, "redo") == 0) {
        rc = report(mig_redo(&r, &e), &e);
    } else if (strcmp(cmd, "history") == 0) {
        rc = report(mig_history(&r, &e), &e);
    } else {
        rc = report(mig_status(&r, &e), &e);
    }
    PQfinish(c);
    return rc;
}
