/* W5: insert many books, then stream them back with their authors, in a
 * process of its own for each implementation, so that each one's peak RSS
 * is its own (getrusage of the child: what `/usr/bin/time -v` reports as
 * "Maximum resident set size").
 *
 *   pgorm-bench --w5-stream pgorm|libpq FIRST LAST
 *
 * streams the books with FIRST <= id <= LAST and prints "<rows> <ms>".
 * pgorm: book_stream with fetch_links (the author of each book filled),
 * batches of 1000 freed as they come. libpq: the same JOIN in single-row
 * mode, binary, each row's values read into a struct (no allocation).
 */
/* wait4, for the child's own resource usage */
#define _DEFAULT_SOURCE
#include "bench_w5.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.pgorm.h"

static double ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct stream_state {
    long rows;
    int64_t check; /* sum of ids and author ids, so no work is optimised away */
    bool failed;
    char msg[256];
} stream_state;

static void on_batch(BookRows *rows, bool end, const pgorm_error *err, void *ud)
{
    (void)end;
    stream_state *s = ud;
    if (err) {
        s->failed = true;
        snprintf(s->msg, sizeof s->msg, "%s", err->message);
    }
    if (!rows)
        return;
    for (size_t i = 0; i < rows->count; i++) {
        const Book *b = &rows->items[i];
        s->check += b->id + (b->author.ref ? b->author.ref->id : -1000000000);
    }
    s->rows += (long)rows->count;
    book_rows_free(rows);
}

static int stream_pgorm(const char *url, int64_t first, int64_t last, stream_state *s)
{
    pgorm_db *db = pgorm_db_new(NULL);
    pgorm_error err = {0};
    if (!db || pgorm_db_connect_sync(db, url, &err) != 0) {
        fprintf(stderr, "w5: connect: %s\n", err.message ? err.message : "out of memory");
        return 1;
    }
    pgorm_pred both[] = {book_id_ge(first), book_id_le(last)};
    book_stream(db,
                &(BookQuery){.where = PGORM_AND(both[0], both[1]),
                             .order = {PGORM_ASC(BOOK_ID)},
                             .fetch_links = true},
                1000, on_batch, s);
    pgorm_db_run_sync(db, -1);
    pgorm_db_free(db);
    if (s->failed) {
        fprintf(stderr, "w5: pgorm stream: %s\n", s->msg);
        return 1;
    }
    return 0;
}

typedef struct w5_row {
    int64_t id, author_id, a_id;
    int32_t pages, published;
    char title[64], name[64], email[64];
    bool has_email;
} w5_row;

static uint64_t be64(const char *p)
{
    uint32_t hi, lo;
    memcpy(&hi, p, 4);
    memcpy(&lo, p + 4, 4);
    return ((uint64_t)ntohl(hi) << 32) | ntohl(lo);
}

static uint32_t be32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return ntohl(v);
}

static void copy_text(char *dst, size_t cap, const PGresult *r, int col)
{
    int n = PQgetlength(r, 0, col);
    if ((size_t)n >= cap)
        n = (int)cap - 1;
    memcpy(dst, PQgetvalue(r, 0, col), (size_t)n);
    dst[n] = '\0';
}

static int stream_libpq(const char *url, int64_t first, int64_t last, stream_state *s)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "w5: connect: %s\n", PQerrorMessage(c));
        return 1;
    }
    const char *sql = "SELECT b.id, b.title, b.pages, b.published, b.author_id, a.id, a.name, "
                      "a.email FROM book b JOIN author a ON a.id = b.author_id WHERE b.id >= $1 "
                      "AND b.id <= $2 ORDER BY b.id";
    uint64_t p1 = (uint64_t)first, p2 = (uint64_t)last;
    uint64_t b1 = ((uint64_t)htonl((uint32_t)p1) << 32) | htonl((uint32_t)(p1 >> 32));
    uint64_t b2 = ((uint64_t)htonl((uint32_t)p2) << 32) | htonl((uint32_t)(p2 >> 32));
    const char *vals[2] = {(const char *)&b1, (const char *)&b2};
    int lens[2] = {8, 8}, fmts[2] = {1, 1};
    Oid types[2] = {20, 20};
    if (!PQsendQueryParams(c, sql, 2, types, vals, lens, fmts, 1) || !PQsetSingleRowMode(c)) {
        fprintf(stderr, "w5: libpq: %s\n", PQerrorMessage(c));
        return 1;
    }
    w5_row row;
    PGresult *r;
    while ((r = PQgetResult(c))) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE) {
            row.id = (int64_t)be64(PQgetvalue(r, 0, 0));
            copy_text(row.title, sizeof row.title, r, 1);
            row.pages = (int32_t)be32(PQgetvalue(r, 0, 2));
            row.published = (int32_t)be32(PQgetvalue(r, 0, 3));
            row.author_id = (int64_t)be64(PQgetvalue(r, 0, 4));
            row.a_id = (int64_t)be64(PQgetvalue(r, 0, 5));
            copy_text(row.name, sizeof row.name, r, 6);
            row.has_email = !PQgetisnull(r, 0, 7);
            if (row.has_email)
                copy_text(row.email, sizeof row.email, r, 7);
            s->check += row.id + row.a_id;
            s->rows++;
        } else if (st != PGRES_TUPLES_OK) {
            fprintf(stderr, "w5: libpq: %s\n", PQresultErrorMessage(r));
            PQclear(r);
            return 1;
        }
        PQclear(r);
    }
    PQfinish(c);
    return 0;
}

int w5_child_main(const char *impl, const char *first, const char *last)
{
    const char *url = getenv("DATABASE_URL");
    if (!url)
        url = "";
    int64_t f = strtoll(first, NULL, 10), l = strtoll(last, NULL, 10);
    stream_state s = {0, 0, false, ""};
    double t0 = ms_now();
    int rc = strcmp(impl, "pgorm") == 0 ? stream_pgorm(url, f, l, &s)
             : strcmp(impl, "libpq") == 0 ? stream_libpq(url, f, l, &s)
                                          : (fprintf(stderr, "w5: pgorm or libpq?\n"), 2);
    double dt = ms_now() - t0;
    if (rc == 0)
        printf("%ld %.3f %lld\n", s.rows, dt, (long long)s.check);
    return rc;
}

int w5_stream_child(const char *self, const char *impl, int64_t first, int64_t last,
                    w5_result *out)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%lld", (long long)first);
        snprintf(b, sizeof b, "%lld", (long long)last);
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl(self, self, "--w5-stream", impl, a, b, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char buf[128] = "";
    size_t n = 0;
    ssize_t k;
    while (n + 1 < sizeof buf && (k = read(fd[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)k;
    buf[n] = '\0';
    close(fd[0]);
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    long long check = 0;
    if (sscanf(buf, "%ld %lf %lld", &out->rows, &out->ms, &check) != 3)
        return -1;
    out->check = check;
    out->peak_rss_kib = ru.ru_maxrss; /* Linux: kilobytes */
    return 0;
}
