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
    "applied_at timestamptz NOT NULL DEFAULT now())";

typedef struct applied {
    char version[MIG_VERSION_MAX];
    char *name;
    char checksum[MIG_CHECKSUM_SIZE];
    char *applied_at;
} applied;

typedef struct applied_list {
    applied *items; /* sorted by version */
    size_t n;
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
    PGresult *r = mig_exec(c, "SELECT to_regclass('public.pgorm_migrations') IS NOT NULL",
                           PGRES_TUPLES_OK, e, "looking for pgorm_migrations");
    if (!r)
        return MIG_DB;
    bool exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!exists)
        return MIG_OK;
    r = mig_exec(c,
                 "SELECT version, name, checksum, "
                 "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC' "
                 "FROM public.pgorm_migrations",
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
        a->name = pgorm_strdup(PQgetvalue(r, (int)i, 1));
        a->applied_at = pgorm_strdup(PQgetvalue(r, (int)i, 3));
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

int mig_up(const mig_runner *r, const char *to, mig_err *e)
{
    mig_dir d;
    applied_list l = {0};
    int rc = mig_dir_read(r->dir, false, &d, e);
    if (rc != MIG_OK) {
        mig_dir_free(&d);
        return rc;
    }
    if (to && !mig_dir_find(&d, to)) {
        rc = mig_err_set(e, MIG_USER, "--to %s: no migration with that version in %s", to,
                         r->dir);
        mig_dir_free(&d);
        return rc;
    }
    rc = lock(r, e);
    if (rc != MIG_OK) {
        mig_dir_free(&d);
        return rc;
    }
    rc = exec_ok(r->conn, SQL_CREATE, e, "creating public.pgorm_migrations");
    if (rc == MIG_OK)
        rc = read_applied(r->conn, &l, e);
    if (rc == MIG_OK)
        rc = verify_applied(r, &d, &l, e);
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
        char sum[MIG_CHECKSUM_SIZE];
        rc = mig_checksum_file(f->up_path, sum, e);
        if (rc != MIG_OK)
            break;
        char label[256];
        snprintf(label, sizeof label, "%s_%s", f->version, f->name);
        const char *params[] = {f->version, f->name, sum};
        rc = run_counted(r, &t, f->up_path, label,
                         "INSERT INTO public.pgorm_migrations (version, name, checksum) "
                         "VALUES ($1, $2, $3)",
                         params, 3, e);
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
    mig_dir d;
    applied_list l = {0};
    int rc = mig_dir_read(r->dir, false, &d, e);
    if (rc != MIG_OK) {
        mig_dir_free(&d);
        return rc;
    }
    rc = lock(r, e);
    if (rc != MIG_OK) {
        mig_dir_free(&d);
        return rc;
    }
    rc = read_applied(r->conn, &l, e);
    if (rc == MIG_OK)
        rc = verify_applied(r, &d, &l, e);
    tally t = {"reverted", 0, 0};
    for (size_t k = 0; rc == MIG_OK && k < (size_t)steps && k < l.n; k++) {
        const applied *a = &l.items[l.n - 1 - k];
        const mig_file *f = mig_dir_find(&d, a->version);
        char label[256];
        snprintf(label, sizeof label, "%s_%s", f->version, f->name);
        if (!f->down_path) {
            rc = mig_err_set(e, MIG_USER, "%s has no down migration (%s/%s.down.sql)", label,
                             r->dir, label);
            break;
        }
        const char *params[] = {a->version};
        rc = run_counted(r, &t, f->down_path, label,
                         "DELETE FROM public.pgorm_migrations WHERE version = $1", params, 1, e);
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
        char sum[MIG_CHECKSUM_SIZE];
        rc = mig_checksum_file(f->up_path, sum, e);
        if (rc != MIG_OK)
            break;
        if (strcmp(sum, a->checksum) != 0) {
            mig_say(r->say, r->ud, "applied, CHANGED  %s_%s  (applied %s; the file changed since)",
                    f->version, f->name, a->applied_at);
            nbad++;
        } else {
            mig_say(r->say, r->ud, "applied           %s_%s  (%s)", f->version, f->name,
                    a->applied_at);
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
