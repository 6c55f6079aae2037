#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


/* <cluster folder>/<file>'s first line into buf; false when absent. */
static bool cluster_file(const char *file, char *buf, size_t cap)
{
    FILE *f = fopen(PGORM_PG_DIR_FILE, "r");
    if (!f)
        return false;
    char dir[512] = {0};
    if (!fgets(dir, sizeof dir, f))
        dir[0] = '\0';
    fclose(f);
    dir[strcspn(dir, "\r\n")] = '\0';
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    f = fopen(path, "r");
    if (!f)
        return false;
    if (!fgets(buf, (int)cap, f))
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf[0] != '\0';
}

const char *pgt_admin_conninfo(void)
{
    static char buf[1024];
    const char *url = getenv("DATABASE_URL");
    if (url && *url)
        return url;
    if (buf[0])
        return buf;
    if (!cluster_file("conninfo", buf, sizeof buf))
        fail_msg("no DATABASE_URL and no test cluster (%s): run the tests with ctest, "
                 "which starts one",
                 PGORM_PG_DIR_FILE);
    return buf;
}

const char *pgt_pooler_conninfo(void)
{
    static char buf[1024];
    static int known; /* 0 unknown, 1 pooled, -1 not */
    if (!known) {
        const char *url = getenv("DATABASE_URL");
        known = (!url || !*url) && cluster_file("conninfo-pgbouncer", buf, sizeof buf) ? 1 : -1;
        const char *want = getenv("PGORM_PGBOUNCER");
        if (known < 0 && want && strcmp(want, "1") == 0)
            fail_msg("PGORM_PGBOUNCER=1 but the cluster has no PgBouncer in front of it "
                     "(no conninfo-pgbouncer in the cluster's folder): run scripts/test.sh "
                     "--pgbouncer");
    }
    return known > 0 ? buf : NULL;
}

bool pgt_pooled(void)
{
    return pgt_pooler_conninfo() != NULL;
}

PGconn *pgt_connect(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("connect(%s): %s", conninfo, PQerrorMessage(c));
    PQsetNoticeProcessor(c, NULL, NULL);
    PGresult *r = PQexec(c, "SET client_min_messages = warning");
    PQclear(r);
    return c;
}

void pgt_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
        PQclear(r);
        fail_msg("SQL failed: %s\n--- statement:\n%s", msg, sql);
    }
    PQclear(r);
}

static PGresult *query1(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
        PQclear(r);
        fail_msg("query returned no row: %s\n--- statement:\n%s", msg, sql);
    }
    return r;
}

int64_t pgt_query_int(PGconn *c, const char *sql)
{
    PGresult *r = query1(c, sql);
    if (PQgetisnull(r, 0, 0)) {
        PQclear(r);
        fail_msg("NULL where a number was expected: %s", sql);
    }
    int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

char *pgt_query_text(PGconn *c, const char *sql)
{
    PGresult *r = query1(c, sql);
    char *s = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return s;
}

/* Same server, other database: libpq takes the last dbname given. */
static void with_dbname(char *out, size_t cap, const char *admin, const char *name)
{
    if (strncmp(admin, "postgres://", 11) == 0 || strncmp(admin, "postgresql://", 13) == 0) {
        /* URI: replace the path component */
        const char *q = strchr(admin, '?');
        const char *hostpart = strstr(admin, "://") + 3;
        const char *slash = strchr(hostpart, '/');
        size_t base = slash && (!q || slash < q) ? (size_t)(slash - admin)
                      : q ? (size_t)(q - admin)
                          : strlen(admin);
        snprintf(out, cap, "%.*s/%s%s", (int)base, admin, name, q ? q : "");
    } else {
        snprintf(out, cap, "%s dbname=%s", admin, name);
    }
}

void pgt_conninfo_with(char *out, size_t cap, const char *conninfo, const char *key,
                       const char *value)
{
    bool uri = strncmp(conninfo, "postgres://", 11) == 0 ||
               strncmp(conninfo, "postgresql://", 13) == 0;
    snprintf(out, cap, "%s%s%s=%s", conninfo, !uri ? " " : strchr(conninfo, '?') ? "&" : "?", key,
             value);
}

void pgt_db_create(pgt_db *db, const char *label)
{
    static int seq;
    snprintf(db->name, sizeof db->name, "t_%.30s_%ld_%d", label, (long)getpid(), ++seq);
    for (char *p = db->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            *p = '_';
    PGconn *c = pgt_connect(pgt_admin_conninfo());
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db->name);
    pgt_exec(c, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'",
             db->name);
    pgt_exec(c, sql);
    PQfinish(c);
    with_dbname(db->direct, sizeof db->direct, pgt_admin_conninfo(), db->name);
    if (pgt_pooled())
        with_dbname(db->conninfo, sizeof db->conninfo, pgt_pooler_conninfo(), db->name);
    else
        snprintf(db->conninfo, sizeof db->conninfo, "%s", db->direct);
}

void pgt_db_drop(pgt_db *db)
{
    PGconn *c = pgt_connect(pgt_admin_conninfo());
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
    pgt_exec(c, sql);
    PQfinish(c);
}

char *pgt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            s = realloc(s, cap);
        }
        size_t k = fread(s + n, 1, cap - n - 1, f);
        if (k == 0)
            break;
        n += k;
    }
    fclose(f);
    s[n] = '\0';
    if (len)
        *len = n;
    return s;
}

int pgt_run(const char *cmdline, char **out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s 2>&1", cmdline);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t k;
    while ((k = fread(s + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (n + 1 >= cap) {
            cap *= 2;
            s = realloc(s, cap);
        }
    }
    s[n] = '\0';
    int st = pclose(p);
    if (out)
        *out = s;
    else
        free(s);
    if (st == -1)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void pgt_ok(int rc, pgorm_error *err, const char *what)
{
    if (rc == 0)
        return;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s: %s", what, err->message ? err->message : "(no message)");
    pgorm_error_clear(err);
    fail_msg("%s", msg);
}

/* ------------------------------------------------------------------ */
/* Out of memory                                                       */

static struct {
    long n;          /* allocations so far */
    long fail_at;    /* 0: never */
    bool persistent; /* fail every allocation from fail_at on */
    bool failed;     /* an allocation was failed since armed */
    long live;       /* blocks allocated and not freed */
} oom;

static bool oom_should_fail(void)
{
    oom.n++;
    if (oom.fail_at && (oom.n == oom.fail_at || (oom.persistent && oom.n > oom.fail_at))) {
        oom.failed = true;
        return true;
    }
    return false;
}

static void *oom_malloc(size_t n)
{
    void *p = oom_should_fail() ? NULL : malloc(n);
    oom.live += p != NULL;
    return p;
}

static void *oom_realloc(void *p, size_t n)
{
    if (oom_should_fail())
        return NULL;
    void *q = realloc(p, n);
    oom.live += q && !p;
    return q;
}

void pgt_oom_free(void *p)
{
    if (p) {
        oom.live--;
        free(p);
    }
}

void pgt_oom_arm(long fail_at, bool persistent)
{
    static const pgorm_allocator counting = {oom_malloc, oom_realloc, pgt_oom_free};
    oom.n = 0;
    oom.fail_at = fail_at;
    oom.persistent = persistent;
    oom.failed = false;
    oom.live = 0;
    pgorm_set_allocator(&counting);
}

void pgt_oom_disarm(void)
{
    pgorm_set_allocator(NULL);
}

bool pgt_oom_failed(void)
{
    return oom.failed;
}

long pgt_oom_live(void)
{
    return oom.live;
}

void pgt_oom_walk(void (*scenario)(void *ctx), void *ctx, long min_runs)
{
    for (int persistent = 0; persistent < 2; persistent++) {
        long runs = 0;
        for (long n = 1; n < 100000; n++) {
            pgt_oom_arm(n, persistent);
            scenario(ctx);
            pgt_oom_disarm();
            if (oom.live != 0)
                fail_msg("leak: %ld blocks after failing allocation %ld (persistent=%d)",
                         oom.live, n, persistent);
            runs++;
            if (!oom.failed)
                break; /* every allocation of the scenario has been failed once */
        }
        assert_true(runs > min_runs);
    }
}
