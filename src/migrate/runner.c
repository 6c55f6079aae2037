#include "migrate/runner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "migrate/sqlsplit.h"
#include "pgorm/pgorm.h"

/* The advisory lock's key: "pgormmig" as a big-endian 64-bit integer. */
#define LOCK_KEY "8099564992101968231"

static const char SQL_CREATE[] =
    "CREATE TABLE IF NOT EXISTS public.pgorm_migrations ("
    "version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, "
    "applied_at timestamptz NOT NULL DEFAULT now(), down_checksum text)";

/* A table made before down files were checksummed has no down_checksum;
   the first up, down or redo adds it (holding the lock). */
static const char SQL_ADD_DOWN[] =
    "ALTER TABLE public.pgorm_migrations ADD COLUMN IF NOT EXISTS down_checksum text";

static const char SQL_INSERT[] =
    "INSERT INTO public.pgorm_migrations (version, name, checksum, down_checksum) "
    "VALUES ($1, $2, $3, $4)";

static const char SQL_DELETE[] = "DELETE FROM public.pgorm_migrations WHERE version = $1";

/* down_checksum of a migration that had no down file when it was applied. */
#define DOWN_NONE "none"

typedef struct applied {
    char version[MIG_VERSION_MAX];
    char *name;
    char checksum[MIG_CHECKSUM_SIZE];
    /* "" when not recorded (NULL: applied before pgorm recorded it),
       DOWN_NONE when there was no down file, else the checksum */
    char down_checksum[MIG_CHECKSUM_SIZE];
    char *applied_at;
    size_t seq; /* position in the order they were applied */
} applied;

typedef struct applied_list {
    applied *items; /* sorted by version */
    size_t n;
    bool table;       /* pgorm_migrations exists */
    bool down_column; /* ... and has down_checksum */
} applied_list;

void mig_say(mig_say_fn say, void *ud, const char *fmt, ...)
{
    if (!say)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    say(ud, line);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int exec_ok(PGconn *c, const char *sql, mig_err *e, const char *what)
{
    PGresult *r = mig_exec(c, sql, PGRES_COMMAND_OK, e, what);
    if (!r)
        return MIG_DB;
    PQclear(r);
    return MIG_OK;
}

static void applied_free(applied_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        pgorm_free(l->items[i].name);
        pgorm_free(l->items[i].applied_at);
    }
    pgorm_free(l->items);
    l->items = NULL;
    l->n = 0;
}

static int applied_cmp(const void *a, const void *b)
{
    return mig_version_cmp(((const applied *)a)->version, ((const applied *)b)->version);
}

/* The rows of pgorm_migrations; an empty list when the table is missing. */
static int read_applied(PGconn *c, applied_list *out, mig_err *e)
{
    out->items = NULL;
    out->n = 0;
    out->table = out->down_column = false;
    PGresult *r = mig_exec(c,
                           "SELECT t.oid IS NOT NULL, EXISTS (SELECT 1 FROM pg_attribute a "
                           "WHERE a.attrelid = t.oid AND a.attname = 'down_checksum' "
                           "AND NOT a.attisdropped) "
                           "FROM (SELECT to_regclass('public.pgorm_migrations') AS oid) t",
                           PGRES_TUPLES_OK, e, "looking for pgorm_migrations");
    if (!r)
        return MIG_DB;
    out->table = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    out->down_column = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
    PQclear(r);
    if (!out->table)
        return MIG_OK;
    r = mig_exec(c,
                 out->down_column
                     ? "SELECT version, name, checksum, down_checksum, "
                       "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || "
                       "' UTC' FROM public.pgorm_migrations "
                       "ORDER BY applied_at, length(version), version"
                     : "SELECT version, name, checksum, NULL::text, "
                       "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || "
                       "' UTC' FROM public.pgorm_migrations "
                       "ORDER BY applied_at, length(version), version",
                 PGRES_TUPLES_OK, e, "reading pgorm_migrations");
    if (!r)
        return MIG_DB;
    size_t n = (size_t)PQntuples(r);
    out->items = pgorm_calloc(n + 1, sizeof *out->items);
    if (!out->items) {
        PQclear(r);
        return mig_err_set(e, MIG_DB, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        applied *a = &out->items[i];
        snprintf(a->version, sizeof a->version, "%s", PQgetvalue(r, (int)i, 0));
        snprintf(a->checksum, sizeof a->checksum, "%s", PQgetvalue(r, (int)i, 2));
        snprintf(a->down_checksum, sizeof a->down_checksum, "%s",
                 PQgetisnull(r, (int)i, 3) ? "" : PQgetvalue(r, (int)i, 3));
        a->name = pgorm_strdup(PQgetvalue(r, (int)i, 1));
        a->applied_at = pgorm_strdup(PQgetvalue(r, (int)i, 4));
        a->seq = i;
        out->n++;
        if (!a->name || !a->applied_at) {
            PQclear(r);
            return mig_err_set(e, MIG_DB, "out of memory");
        }
    }
    PQclear(r);
    if (out->n > 1)
        qsort(out->items, out->n, sizeof *out->items, applied_cmp);
    return MIG_OK;
}

/* Add down_checksum to a table made before it existed. */
static int upgrade_table(const mig_runner *r, applied_list *l, mig_err *e)
{
    if (!l->table || l->down_column)
        return MIG_OK;
    int rc = exec_ok(r->conn, SQL_ADD_DOWN, e, "adding down_checksum to pgorm_migrations");
    if (rc != MIG_OK)
        return rc;
    l->down_column = true;
    mig_say(r->say, r->ud,
            "pgorm_migrations: added the column down_checksum; down files are checksummed "
            "from now on (not those of the %zu migration%s already applied)",
            l->n, l->n == 1 ? "" : "s");
    return MIG_OK;
}

static const applied *find_applied(const applied_list *l, const char *version)
{
    for (size_t i = 0; i < l->n; i++)
        if (mig_version_cmp(l->items[i].version, version) == 0)
            return &l->items[i];
    return NULL;
}

/* Every applied migration still has its file, unchanged. */
static int verify_applied(const mig_runner *r, const mig_dir *d, const applied_list *l,
                          mig_err *e)
{
    for (size_t i = 0; i < l->n; i++) {
        const applied *a = &l->items[i];
        const mig_file *f = mig_dir_find(d, a->version);
        if (!f)
            return mig_err_set(e, MIG_USER,
                               "migration %s_%s is applied but has no file in %s; restore "
                               "%s/%s_%s.up.sql and .down.sql",
                               a->version, a->name, r->dir, r->dir, a->version, a->name);
        char sum[MIG_CHECKSUM_SIZE];
        int rc = mig_checksum_file(f->up_path, sum, e);
        if (rc != MIG_OK)
            return rc;
        if (strcmp(sum, a->checksum) != 0)
            return mig_err_set(e, MIG_USER,
                               "%s was changed after it was applied (checksum %s when applied "
                               "at %s, %s now); an applied migration must stay as it ran: "
                               "restore it and write a new migration for the change",
                               f->up_path, a->checksum, a->applied_at, sum);
    }
    return MIG_OK;
}

static int lock(const mig_runner *r, mig_err *e)
{
    PGresult *res = mig_exec(r->conn, "SELECT pg_try_advisory_lock(" LOCK_KEY ")",
                             PGRES_TUPLES_OK, e, "taking the migration lock");
    if (!res)
        return MIG_DB;
    bool got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (got)
        return MIG_OK;
    mig_say(r->say, r->ud, "waiting for another pgorm migrate on this database to finish...");
    res = mig_exec(r->conn, "SELECT pg_advisory_lock(" LOCK_KEY ")", PGRES_TUPLES_OK, e,
                   "taking the migration lock");
    if (!res)
        return MIG_DB;
    PQclear(res);
    return MIG_OK;
}

static void unlock(const mig_runner *r)
{
    PGresult *res = PQexec(r->conn, "SELECT pg_advisory_unlock(" LOCK_KEY ")");
    PQclear(res);
}

/* The first line of a statement, shortened, for messages. */
static void stmt_excerpt(const char *sql, const mig_stmt *s, char *out, size_t size)
{
    size_t n = 0;
    while (n < s->len && sql[s->offset + n] != '\n')
        n++;
    if (n > 120)
        snprintf(out, size, "%.117s...", sql + s->offset);
    else
        snprintf(out, size, "%.*s%s", (int)n, sql + s->offset, n < s->len ? " ..." : "");
}

/* BEGIN, COMMIT and friends: a file runs in a transaction of its own, and
   one of these would end it half-way. */
static bool is_transaction_control(const char *sql, const mig_stmt *s)
{
    static const char *const words[] = {"begin", "commit", "rollback", "start", "end",
                                        "abort", "savepoint", "release", NULL};
    size_t n = 0;
    while (n < s->len && n < 16 &&
           ((sql[s->offset + n] >= 'a' && sql[s->offset + n] <= 'z') ||
            (sql[s->offset + n] >= 'A' && sql[s->offset + n] <= 'Z')))
        n++;
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == n && strncasecmp(sql + s->offset, words[i], n) == 0)
            return true;
    return false;
}

/* Run one file's statements and the bookkeeping statement in one
   transaction. On failure everything is rolled back. */
static int run_file(const mig_runner *r, const char *path, const char *label,
                    const char *book_sql, const char *const *book_params, int nbook,
                    mig_err *e)
{
    char *sql;
    size_t len;
    int rc = mig_read_file(path, &sql, &len, e);
    if (rc != MIG_OK)
        return rc;
    size_t n;
    mig_stmt *st = mig_sql_split(sql, len, &n);
    if (!st && n) {
        pgorm_free(sql);
        return mig_err_set(e, MIG_DB, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (is_transaction_control(sql, &st[i])) {
            mig_err_set(e, MIG_USER,
                        "%s:%d: %s: pgorm runs each migration file in a transaction of its "
                        "own; remove this transaction control statement",
                        path, st[i].line, label);
            pgorm_free(st);
            pgorm_free(sql);
            return MIG_USER;
        }
    rc = exec_ok(r->conn, "BEGIN", e, "starting a transaction");
    /* What a migration leaves unqualified is public's, whatever the
       connection's search_path: pgorm writes every other schema's names
       qualified. */
    if (rc == MIG_OK)
        rc = exec_ok(r->conn, "SET LOCAL search_path TO public", e, "setting search_path");
    for (size_t i = 0; rc == MIG_OK && i < n; i++) {
        char *one = pgorm_malloc(st[i].len + 1);
        if (!one) {
            rc = mig_err_set(e, MIG_DB, "out of memory");
            break;
        }
        memcpy(one, sql + st[i].offset, st[i].len);
        one[st[i].len] = '\0';
        PGresult *res = PQexec(r->conn, one);
        pgorm_free(one);
        ExecStatusType s = PQresultStatus(res);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY) {
            mig_err sub = {0};
            mig_err_pg(&sub, r->conn, res, "server error");
            const char *msg = strchr(sub.message, ':') ? strchr(sub.message, ':') + 2
                                                        : sub.message;
            char ex[160];
            stmt_excerpt(sql, &st[i], ex, sizeof ex);
            int line = st[i].line, col = 0;
            if (sub.position > 0)
                mig_sql_position(sql, &st[i], sub.position, &line, &col);
            char where[64] = "";
            if (col)
                snprintf(where, sizeof where, ", column %d", col);
            mig_err_set(e, MIG_DB,
                        "%s failed at statement %zu of %zu (%s:%d%s):\n  %s\n%s\nThe "
                        "migration was rolled back: the database is as it was before it.",
                        label, i + 1, n, path, line, where, ex, msg);
            snprintf(e->sqlstate, sizeof e->sqlstate, "%s", sub.sqlstate);
            e->position = sub.position;
            rc = MIG_DB;
        }
        PQclear(res);
    }
    if (rc == MIG_OK) {
        PGresult *res = mig_exec_params(r->conn, book_sql, nbook, book_params,
                                        PGRES_COMMAND_OK, e, "recording the migration");
        if (!res)
            rc = MIG_DB;
        PQclear(res);
    }
    if (rc == MIG_OK)
        rc = exec_ok(r->conn, "COMMIT", e, "committing the migration");
    if (rc != MIG_OK)
        PQclear(PQexec(r->conn, "ROLLBACK"));
    pgorm_free(st);
    pgorm_free(sql);
    return rc;
}

/* What up or down did so far: how many files, in how long. */
typedef struct tally {
    const char *verb; /* "applied", "reverted" */
    size_t count;
    double ms;
} tally;

/* run_file, timed, counted in *t and reported ("applied <label> (x ms)"). */
static int run_counted(const mig_runner *r, tally *t, const char *path, const char *label,
                       const char *book_sql, const char *const *book_params, int nbook,
                       mig_err *e)
{
    double t0 = now_ms();
    int rc = run_file(r, path, label, book_sql, book_params, nbook, e);
    if (rc != MIG_OK)
        return rc;
    double ms = now_ms() - t0;
    t->ms += ms;
    t->count++;
    mig_say(r->say, r->ud, "%s %s (%.1f ms)", t->verb, label, ms);
    return MIG_OK;
}

static void say_tally(const mig_runner *r, const tally *t)
{
    mig_say(r->say, r->ud, "%zu migration%s %s in %.1f ms", t->count, t->count == 1 ? "" : "s",
            t->verb, t->ms);
}

/* The checksum of a migration's down file for its row: DOWN_NONE when it
   has none. */
static int down_sum(const mig_file *f, char out[MIG_CHECKSUM_SIZE], mig_err *e)
{
    if (!f->down_path) {
        snprintf(out, MIG_CHECKSUM_SIZE, "%s", DOWN_NONE);
        return MIG_OK;
    }
    return mig_checksum_file(f->down_path, out, e);
}

/* Whether the down file of applied migration `a` (file `f`) may run: it
   exists and is as it was when `a` was applied, or the runner allows a
   changed one. A checksum that was not recorded is said, not refused. */
static int check_down(const mig_runner *r, const applied *a, const mig_file *f, mig_err *e)
{
    char label[256];
    snprintf(label, sizeof label, "%s_%s", f->version, f->name);
    if (!f->down_path)
        return mig_err_set(e, MIG_USER,
                           "%s has no down migration (%s/%s.down.sql); nothing was reverted",
                           label, r->dir, label);
    char sum[MIG_CHECKSUM_SIZE];
    int rc = mig_checksum_file(f->down_path, sum, e);
    if (rc != MIG_OK)
        return rc;
    if (a->down_checksum[0] == '\0') {
        mig_say(r->say, r->ud,
                "note: %s was applied before pgorm recorded down files' checksums; running "
                "%s as it is now",
                label, f->down_path);
        return MIG_OK;
    }
    if (strcmp(a->down_checksum, DOWN_NONE) == 0) {
        mig_say(r->say, r->ud,
                "note: %s had no down file when it was applied; running %s as it is now", label,
                f->down_path);
        return MIG_OK;
    }
    if (strcmp(sum, a->down_checksum) == 0)
        return MIG_OK;
    if (r->allow_changed_down) {
        mig_say(r->say, r->ud,
                "note: %s changed after %s was applied (checksum %s then, %s now); running it "
                "as it is now (--allow-changed-down)",
                f->down_path, label, a->down_checksum, sum);
        return MIG_OK;
    }
    return mig_err_set(e, MIG_USER,
                       "%s was changed after %s was applied (checksum %s when applied at %s, "
                       "%s now); nothing was reverted. Restore the file as it was (from version "
                       "control), or, to run it as it is now, add --allow-changed-down",
                       f->down_path, label, a->down_checksum, a->applied_at, sum);
}

/* Apply file f and record it with both checksums. */
static int apply_one(const mig_runner *r, tally *t, const mig_file *f, mig_err *e)
{
    char sum[MIG_CHECKSUM_SIZE], dsum[MIG_CHECKSUM_SIZE];
    int rc = mig_checksum_file(f->up_path, sum, e);
    if (rc == MIG_OK)
        rc = down_sum(f, dsum, e);
    if (rc != MIG_OK)
        return rc;
    char label[256];
    snprintf(label, sizeof label, "%s_%s", f->version, f->name);
    const char *params[] = {f->version, f->name, sum, dsum};
    return run_counted(r, t, f->up_path, label, SQL_INSERT, params, 4, e);
}

/* Run the down file of applied migration `a` (already checked) and delete
   its row. */
static int revert_one(const mig_runner *r, tally *t, const applied *a, const mig_file *f,
                      mig_err *e)
{
    char label[256];
    snprintf(label, sizeof label, "%s_%s", f->version, f->name);
    const char *params[] = {a->version};
    return run_counted(r, t, f->down_path, label, SQL_DELETE, params, 1, e);
}

/* The start of up, down and redo, once the folder `d` is read: the lock
   taken, the table there (created when `create`) with its down_checksum
   column, the applied rows read and checked against their files. On
   failure the lock is not held. */
static int begin_run(const mig_runner *r, bool create, const mig_dir *d, applied_list *l,
                     mig_err *e)
{
    int rc = lock(r, e);
    if (rc != MIG_OK)
        return rc;
    if (create)
        rc = exec_ok(r->conn, SQL_CREATE, e, "creating public.pgorm_migrations");
    if (rc == MIG_OK)
        rc = read_applied(r->conn, l, e);
    if (rc == MIG_OK)
        rc = upgrade_table(r, l, e);
    if (rc == MIG_OK)
        rc = verify_applied(r, d, l, e);
    if (rc != MIG_OK)
        unlock(r);
    return rc;
}

int mig_up(const mig_runner *r, const char *to, mig_err *e)
{
    mig_dir d = {0};
    applied_list l = {0};
    int rc = mig_dir_read(r->dir, false, &d, e);
    if (rc == MIG_OK && to && !mig_dir_find(&d, to))
        rc = mig_err_set(e, MIG_USER, "--to %s: no migration with that version in %s", to,
                         r->dir);
    if (rc == MIG_OK)
        rc = begin_run(r, true, &d, &l, e);
    if (rc != MIG_OK) {
        applied_free(&l);
        mig_dir_free(&d);
        return rc;
    }
    const char *newest = l.n ? l.items[l.n - 1].version : NULL;
    tally t = {"applied", 0, 0};
    for (size_t i = 0; rc == MIG_OK && i < d.n; i++) {
        const mig_file *f = &d.files[i];
        if (find_applied(&l, f->version))
            continue;
        if (to && mig_version_cmp(f->version, to) > 0)
            break;
        if (newest && mig_version_cmp(f->version, newest) < 0) {
            rc = mig_err_set(e, MIG_USER,
                             "%s is not applied but is older than %s, which is: migrations "
                             "apply in version order; give it a version newer than %s "
                             "(rename the file), or revert to before it with down",
                             f->up_path, newest, newest);
            break;
        }
        rc = apply_one(r, &t, f, e);
    }
    if (rc == MIG_OK && t.count)
        say_tally(r, &t);
    else if (rc == MIG_OK)
        mig_say(r->say, r->ud, "nothing to apply: the database is up to date%s%s",
                to ? " with " : "", to ? to : "");
    unlock(r);
    applied_free(&l);
    mig_dir_free(&d);
    return rc;
}

int mig_down(const mig_runner *r, int steps, mig_err *e)
{
    if (steps < 1)
        return mig_err_set(e, MIG_USER, "--steps %d: give a number of migrations, 1 or more",
                           steps);
    mig_dir d = {0};
    applied_list l = {0};
    int rc = mig_dir_read(r->dir, false, &d, e);
    if (rc == MIG_OK)
        rc = begin_run(r, false, &d, &l, e);
    if (rc != MIG_OK) {
        applied_free(&l);
        mig_dir_free(&d);
        return rc;
    }
    size_t n = (size_t)steps < l.n ? (size_t)steps : l.n;
    /* Every down file is checked before the first one runs. */
    for (size_t k = 0; rc == MIG_OK && k < n; k++) {
        const applied *a = &l.items[l.n - 1 - k];
        rc = check_down(r, a, mig_dir_find(&d, a->version), e);
    }
    tally t = {"reverted", 0, 0};
    for (size_t k = 0; rc == MIG_OK && k < n; k++) {
        const applied *a = &l.items[l.n - 1 - k];
        rc = revert_one(r, &t, a, mig_dir_find(&d, a->version), e);
    }
    if (rc == MIG_OK && t.count)
        say_tally(r, &t);
    else if (rc == MIG_OK)
        mig_say(r->say, r->ud, "nothing to revert: no migration is applied");
    unlock(r);
    applied_free(&l);
    mig_dir_free(&d);
    return rc;
}

int mig_redo(const mig_runner *r, mig_err *e)
{
    mig_dir d = {0};
    applied_list l = {0};
    int rc = mig_dir_read(r->dir, false, &d, e);
    if (rc == MIG_OK)
        rc = begin_run(r, false, &d, &l, e);
    if (rc != MIG_OK) {
        applied_free(&l);
        mig_dir_free(&d);
        return rc;
    }
    if (l.n == 0)
        rc = mig_err_set(e, MIG_USER,
                         "nothing to redo: no migration is applied (pgorm migrate up applies "
                         "the files in %s)",
                         r->dir);
    const applied *a = l.n ? &l.items[l.n - 1] : NULL;
    const mig_file *f = a ? mig_dir_find(&d, a->version) : NULL;
    if (rc == MIG_OK)
        rc = check_down(r, a, f, e);
    tally down = {"reverted", 0, 0}, up = {"applied", 0, 0};
    if (rc == MIG_OK)
        rc = revert_one(r, &down, a, f, e);
    if (rc == MIG_OK) {
        rc = apply_one(r, &up, f, e);
        if (rc != MIG_OK) {
            char label[256];
            snprintf(label, sizeof label, "%s_%s", f->version, f->name);
            size_t len = strlen(e->message);
            snprintf(e->message + len, sizeof e->message - len,
                     "\n%s was reverted first and stays reverted: fix %s, then run "
                     "pgorm migrate up",
                     label, f->up_path);
        }
    }
    if (rc == MIG_OK)
        mig_say(r->say, r->ud, "redone %s_%s in %.1f ms", f->version, f->name,
                down.ms + up.ms);
    unlock(r);
    applied_free(&l);
    mig_dir_free(&d);
    return rc;
}

/* How the files of an applied migration compare with its row. */
typedef struct on_disk {
    bool up_missing;   /* no .up.sql (then nothing else is known) */
    bool up_changed;   /* .up.sql differs from checksum */
    bool down_missing; /* recorded with a down file that is gone */
    bool down_changed; /* recorded with a down file that differs */
    bool down_added;   /* recorded without a down file that is there now */
    char up_now[MIG_CHECKSUM_SIZE], down_now[MIG_CHECKSUM_SIZE];
} on_disk;

static int compare_on_disk(const applied *a, const mig_file *f, on_disk *o, mig_err *e)
{
    memset(o, 0, sizeof *o);
    if (!f) {
        o->up_missing = true;
        return MIG_OK;
    }
    int rc = mig_checksum_file(f->up_path, o->up_now, e);
    if (rc == MIG_OK)
        rc = down_sum(f, o->down_now, e);
    if (rc != MIG_OK)
        return rc;
    o->up_changed = strcmp(o->up_now, a->checksum) != 0;
    bool had_down = a->down_checksum[0] && strcmp(a->down_checksum, DOWN_NONE) != 0;
    o->down_missing = had_down && !f->down_path;
    o->down_changed = had_down && f->down_path && strcmp(o->down_now, a->down_checksum) != 0;
    o->down_added = strcmp(a->down_checksum, DOWN_NONE) == 0 && f->down_path;
    return MIG_OK;
}

int mig_status(const mig_runner *r, mig_err *e)
{
    mig_dir d;
    applied_list l = {0};
    int rc = mig_dir_read(r->dir, true, &d, e);
    if (rc == MIG_OK)
        rc = read_applied(r->conn, &l, e);
    size_t napplied = 0, npending = 0, nbad = 0;
    /* Files in version order, with applied rows that have no file merged in. */
    size_t i = 0, j = 0;
    while (rc == MIG_OK && (i < d.n || j < l.n)) {
        int cmp = i == d.n   ? 1
                  : j == l.n ? -1
                             : mig_version_cmp(d.files[i].version, l.items[j].version);
        if (cmp > 0) {
            mig_say(r->say, r->ud, "applied, NO FILE  %s_%s  (applied %s)",
                    l.items[j].version, l.items[j].name, l.items[j].applied_at);
            nbad++;
            j++;
            continue;
        }
        const mig_file *f = &d.files[i++];
        if (cmp < 0) {
            mig_say(r->say, r->ud, "pending           %s_%s", f->version, f->name);
            npending++;
            continue;
        }
        const applied *a = &l.items[j++];
        on_disk o;
        rc = compare_on_disk(a, f, &o, e);
        if (rc != MIG_OK)
            break;
        bool down_bad = o.down_changed || o.down_missing;
        const char *unrecorded = a->down_checksum[0] ? "" : "; down file not checked: its "
                                                             "checksum was not recorded";
        if (o.up_changed || down_bad) {
            char what[128];
            snprintf(what, sizeof what, "%s%s%s", o.up_changed ? ".up.sql" : "",
                     o.up_changed && down_bad ? " and .down.sql" : down_bad ? ".down.sql" : "",
                     o.down_missing ? (o.up_changed ? " changed or removed" : " removed")
                                    : " changed");
            mig_say(r->say, r->ud, "applied, CHANGED  %s_%s  (applied %s; %s_%s%s since%s)",
                    f->version, f->name, a->applied_at, f->version, f->name, what, unrecorded);
            nbad++;
        } else {
            mig_say(r->say, r->ud, "applied           %s_%s  (%s%s)", f->version, f->name,
                    a->applied_at, unrecorded);
            napplied++;
        }
    }
    if (rc == MIG_OK)
        mig_say(r->say, r->ud, "%zu applied, %zu pending%s", napplied + nbad, npending,
                nbad ? ", some applied migrations do not match their files (see above)" : "");
    applied_free(&l);
    mig_dir_free(&d);
    return rc;
}

static int seq_cmp(const void *a, const void *b)
{
    size_t x = (*(const applied *const *)a)->seq, y = (*(const applied *const *)b)->seq;
    return x < y ? -1 : x > y;
}

int mig_history(const mig_runner *r, mig_err *e)
{
    mig_dir d;
    applied_list l = {0};
    const applied **order = NULL;
    int rc = mig_dir_read(r->dir, true, &d, e);
    if (rc == MIG_OK)
        rc = read_applied(r->conn, &l, e);
    if (rc == MIG_OK && l.n && !(order = pgorm_calloc(l.n, sizeof *order)))
        rc = mig_err_set(e, MIG_DB, "out of memory");
    int width = 0;
    for (size_t i = 0; rc == MIG_OK && i < l.n; i++) {
        order[i] = &l.items[i];
        int w = (int)(strlen(l.items[i].version) + 1 + strlen(l.items[i].name));
        if (w > width)
            width = w;
    }
    if (rc == MIG_OK && l.n > 1)
        qsort(order, l.n, sizeof *order, seq_cmp);
    size_t nbad = 0;
    for (size_t i = 0; rc == MIG_OK && i < l.n; i++) {
        const applied *a = order[i];
        on_disk o;
        rc = compare_on_disk(a, mig_dir_find(&d, a->version), &o, e);
        if (rc != MIG_OK)
            break;
        char label[256], up[384], down[128];
        snprintf(label, sizeof label, "%s_%s", a->version, a->name);
        if (o.up_missing)
            snprintf(up, sizeof up, "up %s (MISSING: no %s.up.sql)", a->checksum, label);
        else if (o.up_changed)
            snprintf(up, sizeof up, "up %s (CHANGED: %s on disk)", a->checksum, o.up_now);
        else
            snprintf(up, sizeof up, "up %s", a->checksum);
        if (!a->down_checksum[0])
            snprintf(down, sizeof down, "down not recorded");
        else if (strcmp(a->down_checksum, DOWN_NONE) == 0)
            snprintf(down, sizeof down, "down none%s",
                     o.down_added ? " (a down file was added since)" : "");
        else if (o.down_missing)
            snprintf(down, sizeof down, "down %s (MISSING)", a->down_checksum);
        else if (o.down_changed)
            snprintf(down, sizeof down, "down %s (CHANGED: %s on disk)", a->down_checksum,
                     o.down_now);
        else
            snprintf(down, sizeof down, "down %s", a->down_checksum);
        bool bad = o.up_missing || o.up_changed || o.down_missing || o.down_changed;
        nbad += bad;
        mig_say(r->say, r->ud, "%s  %-*s  %s  %s", a->applied_at, width, label, up, down);
    }
    if (rc == MIG_OK && l.n == 0)
        mig_say(r->say, r->ud, "no migration is applied");
    else if (rc == MIG_OK && nbad)
        mig_say(r->say, r->ud, "%zu applied, %zu with files missing or changed on disk (marked "
                "above)", l.n, nbad);
    else if (rc == MIG_OK)
        mig_say(r->say, r->ud, "%zu applied", l.n);
    pgorm_free(order);
    applied_free(&l);
    mig_dir_free(&d);
    return rc;
}

int mig_count_pending(PGconn *conn, const mig_dir *d, size_t *pending, mig_err *e)
{
    applied_list l;
    int rc = read_applied(conn, &l, e);
    *pending = 0;
    for (size_t i = 0; rc == MIG_OK && i < d->n; i++)
        if (!find_applied(&l, d->files[i].version))
            (*pending)++;
    applied_free(&l);
    return rc;
}
