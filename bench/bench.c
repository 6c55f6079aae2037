/* pgorm benchmarks: W1 and W2 of the specification, each timed for pgorm
 * and for hand-written libpq doing the same work, interleaved in one run on
 * one server, so each figure is read as a ratio.
 *
 *   W1: insert 1000 books with foreign keys and get their ids back.
 *   W2: find 1000 books with their authors, as C structs.
 *   W3: upsert 1000 books by key, half new and half existing, ids back.
 *   W4: 1000 lazy loads (book_load_author) issued in one loop turn.
 *   W5: insert 1,000,000 books (--quick: 20,000) in statements of 10,000,
 *   then stream them back with their authors, each implementation in a
 *   process of its own (bench_w5.c): rows per second and peak RSS.
 *   W6: a raw-SQL aggregate (authors with their count of books over 300
 *   pages): pgorm_query_sql and its getters (bench_w6.c).
 *   P1/P2/P4: 10,000 small finds (a book by id) issued at once on a pool of
 *   1, 2 and 4 connections; libpq: as many connections in pipeline mode,
 *   the finds dealt round-robin, one poll() over their sockets.
 *
 * Usage: pgorm-bench [--quick] [runs]   (DATABASE_URL names the server;
 * bench/run.sh starts a throwaway one). Prints one JSON object per line per
 * workload and implementation ({"workload":"W1","impl":"pgorm",
 * "median_ms":12.9,"p90_ms":13.8,"runs":100}), then the human table:
 * medians in ms and pgorm / libpq. --quick: a few runs after a short
 * warm-up (CI prints the figures, never asserts them).
 * PGORM_BENCH_ONLY=<text> runs only the workloads whose name contains it
 * (to profile one of them).
 */
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.pgorm.h"
#include "bench_w5.h"
#include "bench_w6.h"

#define NBOOKS 1000
#define NAUTHORS 100

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench: %s: %s\n", what, msg);
    exit(2);
}

static void exec_or_die(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die(sql, PQresultErrorMessage(r));
    PQclear(r);
}

/* ---------------------------------------------------------------- */
/* Hand-written libpq, W1: the fastest shape measured on this machine
 * (shared/notes): INSERT ... SELECT FROM unnest of binary arrays, prepared,
 * RETURNING id. */

typedef struct bin {
    char *p;
    size_t len, cap;
} bin;

static void bin_put(bin *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            die("realloc", "out of memory");
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}
static void bin_u32(bin *b, uint32_t v)
{
    v = htonl(v);
    bin_put(b, &v, 4);
}
static void bin_u64(bin *b, uint64_t v)
{
    bin_u32(b, (uint32_t)(v >> 32));
    bin_u32(b, (uint32_t)v);
}
static void array_header(bin *b, uint32_t elem_oid, uint32_t n)
{
    b->len = 0;
    bin_u32(b, 1); /* ndim */
    bin_u32(b, 0); /* has nulls */
    bin_u32(b, elem_oid);
    bin_u32(b, n); /* dim */
    bin_u32(b, 1); /* lower bound */
}

typedef struct raw_book {
    int64_t id;
    char title[32];
    int32_t pages;
    int32_t published; /* days since 2000-01-01 (PostgreSQL's epoch) */
    int64_t author_id;
} raw_book;

static void libpq_w1(PGconn *c, raw_book *books, int n, bin arr[4])
{
    array_header(&arr[0], 25, (uint32_t)n);
    array_header(&arr[1], 23, (uint32_t)n);
    array_header(&arr[2], 1082, (uint32_t)n);
    array_header(&arr[3], 20, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        size_t tl = strlen(books[i].title);
        bin_u32(&arr[0], (uint32_t)tl);
        bin_put(&arr[0], books[i].title, tl);
        bin_u32(&arr[1], 4);
        bin_u32(&arr[1], (uint32_t)books[i].pages);
        bin_u32(&arr[2], 4);
        bin_u32(&arr[2], (uint32_t)books[i].published);
        bin_u32(&arr[3], 8);
        bin_u64(&arr[3], (uint64_t)books[i].author_id);
    }
    const char *vals[4] = {arr[0].p, arr[1].p, arr[2].p, arr[3].p};
    int lens[4] = {(int)arr[0].len, (int)arr[1].len, (int)arr[2].len, (int)arr[3].len};
    int fmts[4] = {1, 1, 1, 1};
    PGresult *r = PQexecPrepared(c, "w1", 4, vals, lens, fmts, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != n)
        die("libpq W1", PQresultErrorMessage(r));
    for (int i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, PQgetvalue(r, i, 0), 8);
        books[i].id = (int64_t)(((uint64_t)ntohl((uint32_t)v) << 32) | ntohl((uint32_t)(v >> 32)));
    }
    PQclear(r);
}

/* ---------------------------------------------------------------- */
/* Hand-written libpq, W2: one JOIN, single-row mode, text results, authors
 * shared by id (the fastest shape measured on this machine). */

typedef struct raw_author {
    int64_t id;
    char *name;
    char *email;
} raw_author;

typedef struct raw_book2 {
    int64_t id;
    char *title;
    int32_t pages;
    char published[11];
    int64_t author_id;
    raw_author *author;
} raw_book2;

typedef struct w2_out {
    raw_book2 books[NBOOKS];
    raw_author authors[NBOOKS];
    int nbooks, nauthors;
    /* open addressing: author id -> index + 1 */
    int64_t keys[4096];
    int slot[4096];
    char strings[1 << 17];
    size_t used;
} w2_out;

static char *w2_str(w2_out *o, const char *s, int len)
{
    if (o->used + (size_t)len + 1 > sizeof o->strings)
        die("libpq W2", "string space");
    char *p = o->strings + o->used;
    memcpy(p, s, (size_t)len + 1);
    o->used += (size_t)len + 1;
    return p;
}

static int libpq_w2(PGconn *c, w2_out *o)
{
    o->nbooks = o->nauthors = 0;
    o->used = 0;
    memset(o->slot, 0, sizeof o->slot);
    if (!PQsendQueryPrepared(c, "w2", 0, NULL, NULL, NULL, 0) || !PQsetSingleRowMode(c))
        die("libpq W2", PQerrorMessage(c));
    PGresult *r;
    while ((r = PQgetResult(c)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE) {
            raw_book2 *b = &o->books[o->nbooks++];
            b->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
            b->title = w2_str(o, PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1));
            b->pages = (int32_t)strtol(PQgetvalue(r, 0, 2), NULL, 10);
            memcpy(b->published, PQgetvalue(r, 0, 3), 10);
            b->published[10] = '\0';
            b->author_id = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
            unsigned h = (unsigned)((uint64_t)b->author_id * 0x9E3779B97F4A7C15u >> 52);
            while (o->slot[h] && o->keys[h] != b->author_id)
                h = (h + 1) & 4095;
            if (!o->slot[h]) {
                raw_author *a = &o->authors[o->nauthors++];
                a->id = b->author_id;
                a->name = w2_str(o, PQgetvalue(r, 0, 6), PQgetlength(r, 0, 6));
                a->email = PQgetisnull(r, 0, 7)
                               ? NULL
                               : w2_str(o, PQgetvalue(r, 0, 7), PQgetlength(r, 0, 7));
                o->keys[h] = b->author_id;
                o->slot[h] = o->nauthors;
            }
            b->author = &o->authors[o->slot[h] - 1];
        } else if (st != PGRES_TUPLES_OK) {
            die("libpq W2", PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    return o->nbooks;
}

/* Hand-written libpq, "find": the same 1000 books without their authors,
 * single-row mode, text results. */
static int libpq_find(PGconn *c, w2_out *o)
{
    o->nbooks = 0;
    o->used = 0;
    if (!PQsendQueryPrepared(c, "find", 0, NULL, NULL, NULL, 0) || !PQsetSingleRowMode(c))
        die("libpq find", PQerrorMessage(c));
    PGresult *r;
    while ((r = PQgetResult(c)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE) {
            raw_book2 *b = &o->books[o->nbooks++];
            b->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
            b->title = w2_str(o, PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1));
            b->pages = (int32_t)strtol(PQgetvalue(r, 0, 2), NULL, 10);
            memcpy(b->published, PQgetvalue(r, 0, 3), 10);
            b->published[10] = '\0';
            b->author_id = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
            b->author = NULL;
        } else if (st != PGRES_TUPLES_OK) {
            die("libpq find", PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    return o->nbooks;
}

/* ---------------------------------------------------------------- */

static void setup(PGconn *c, pgorm_db *db)
{
    exec_or_die(c, "DROP TABLE IF EXISTS book; DROP TABLE IF EXISTS author;"
                   "CREATE TABLE author (id bigserial PRIMARY KEY, name text NOT NULL,"
                   " email text);"
                   "CREATE TABLE book (id bigserial PRIMARY KEY, title text NOT NULL,"
                   " pages int4 NOT NULL, published date NOT NULL,"
                   " author_id int8 NOT NULL REFERENCES author(id))");
    Author authors[NAUTHORS];
    char names[NAUTHORS][32];
    memset(authors, 0, sizeof authors);
    for (int i = 0; i < NAUTHORS; i++) {
        snprintf(names[i], sizeof names[i], "Author %d", i);
        authors[i].name = names[i];
        authors[i].email = i % 3 ? names[i] : NULL;
    }
    pgorm_error err = {0};
    if (author_insert_sync(db, authors, NAUTHORS, NULL, &err) != 0)
        die("insert authors", err.message);
    /* W2 reads the first 1000 books: insert them once, evenly spread. */
    exec_or_die(c, "INSERT INTO book (title, pages, published, author_id)"
                   " SELECT 'Book ' || g, 100 + g % 500, date '2000-01-01' + g,"
                   " (SELECT min(id) FROM author) + g % 100 FROM generate_series(1, 1000) g");
    /* The index pgorm's DDL gives a ForeignKey column; PGORM_BENCH_NO_FK_INDEX=1
       leaves it out, as databases made before that rule are (see W7). */
    if (!getenv("PGORM_BENCH_NO_FK_INDEX"))
        exec_or_die(c, "CREATE INDEX book_author_id_idx ON book (author_id)");
    exec_or_die(c, "ANALYZE");
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* ---------------------------------------------------------------- */
/* The workloads: each a pair of runs (libpq, pgorm) over one context,
 * timed interleaved. A pgorm run returns false when pgorm cannot do the
 * work yet (printed as n/a). */

typedef struct ctx {
    PGconn *c;
    pgorm_db *db;
    int64_t first_author;
    int iteration;
    raw_book raw[NBOOKS];
    Book books[NBOOKS];
    char titles[NBOOKS][32];
    bin arr[4];
    w2_out w2;
} ctx;

static void w1_prepare(ctx *x)
{
    for (int i = 0; i < NBOOKS; i++) {
        snprintf(x->titles[i], sizeof x->titles[i], "Title %d-%d", x->iteration, i);
        memcpy(x->raw[i].title, x->titles[i], sizeof x->raw[i].title);
        x->raw[i].pages = 100 + i;
        x->raw[i].published = 8000 + i;
        x->raw[i].author_id = x->first_author + i % NAUTHORS;
        x->books[i] = (Book){0};
        x->books[i].title = x->titles[i];
        x->books[i].pages = 100 + i;
        x->books[i].published = 8000 + i + 10957; /* pgorm dates count from 1970 */
        x->books[i].author.key = x->first_author + i % NAUTHORS;
    }
}

static void w1_libpq(ctx *x)
{
    libpq_w1(x->c, x->raw, NBOOKS, x->arr);
}

static bool w1_pgorm(ctx *x)
{
    BookRows *rows = NULL;
    pgorm_error err = {0};
    if (book_insert_sync(x->db, x->books, NBOOKS, &rows, &err) != 0)
        die("pgorm W1", err.message);
    if (rows->count != NBOOKS || x->books[NBOOKS - 1].id <= x->books[0].id)
        die("pgorm W1", "wrong result");
    book_rows_free(rows);
    return true;
}

static void find_libpq(ctx *x)
{
    if (libpq_find(x->c, &x->w2) != NBOOKS)
        die("libpq find", "wrong row count");
}

static bool find_pgorm(ctx *x)
{
    BookRows *found = NULL;
    pgorm_error err = {0};
    BookQuery q = {.limit = NBOOKS, .order = {PGORM_ASC(BOOK_ID)}};
    if (book_find_sync(x->db, &q, &found, &err) != 0)
        die("pgorm find", err.message);
    if (found->count != NBOOKS)
        die("pgorm find", "wrong row count");
    for (size_t i = 0; i < found->count; i++)
        if (found->items[i].id != x->w2.books[i].id)
            die("find", "pgorm and libpq disagree");
    book_rows_free(found);
    return true;
}

static void w2_libpq(ctx *x)
{
    if (libpq_w2(x->c, &x->w2) != NBOOKS)
        die("libpq W2", "wrong row count");
}

static bool w2_pgorm(ctx *x)
{
    BookRows *found = NULL;
    pgorm_error err = {0};
    BookQuery q = {.limit = NBOOKS, .order = {PGORM_ASC(BOOK_ID)}, .fetch_links = true};
    if (book_find_sync(x->db, &q, &found, &err) != 0) {
        bool not_yet = err.code == PGORM_ERR_INVALID;
        if (!not_yet)
            die("pgorm W2", err.message);
        pgorm_error_clear(&err);
        return false;
    }
    if (found->count != NBOOKS)
        die("pgorm W2", "wrong row count");
    for (size_t i = 0; i < found->count; i++)
        if (found->items[i].id != x->w2.books[i].id || !found->items[i].author.ref ||
            found->items[i].author.ref->id != x->w2.books[i].author->id)
            die("W2", "pgorm and libpq disagree");
    book_rows_free(found);
    return true;
}

/* ---------------------------------------------------------------- */
/* W3: upsert 1000 books by key, half of them new and half existing.
 * Iteration k upserts keys base + 500k ... base + 500k + 999: the first
 * 500 were the new half of iteration k - 1 (or seeded), the others are new.
 * libpq and pgorm use separate key ranges. The hand-written statement is
 * the one a person would write (ids and the inserted flag back); pgorm's
 * returns every column, matches rows to inputs by key and writes back. */

#define W3_HALF (NBOOKS / 2)

static struct {
    bool ready;
    int64_t pq_base, orm_base, step;
    raw_book raw[NBOOKS];
    bool inserted[NBOOKS];
    Book books[NBOOKS];
    char titles[NBOOKS][32];
    bin arr[5];
} w3;

static void w3_prepare(ctx *x)
{
    if (!w3.ready) {
        w3.pq_base = 10000000;
        w3.orm_base = 20000000;
        PGresult *r = PQprepare(
            x->c, "w3",
            "INSERT INTO book AS t (id, title, pages, published, author_id)"
            " SELECT * FROM unnest($1::int8[], $2::text[], $3::int4[], $4::date[], $5::int8[])"
            " ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, pages = EXCLUDED.pages,"
            " published = EXCLUDED.published, author_id = EXCLUDED.author_id"
            " RETURNING id, t.xmax = 0",
            5, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            die("prepare w3", PQresultErrorMessage(r));
        PQclear(r);
        char seed[400];
        snprintf(seed, sizeof seed,
                 "INSERT INTO book (id, title, pages, published, author_id)"
                 " SELECT b + g, 'seed', 1, date '2000-01-01', %lld"
                 " FROM generate_series(0, %d) g, unnest('{%lld,%lld}'::int8[]) b",
                 (long long)x->first_author, W3_HALF - 1, (long long)w3.pq_base,
                 (long long)w3.orm_base);
        exec_or_die(x->c, seed);
        w3.ready = true;
    }
    int64_t shift = w3.step++ * W3_HALF; /* the keys move on by half each time */
    for (int i = 0; i < NBOOKS; i++) {
        snprintf(w3.titles[i], sizeof w3.titles[i], "Upsert %d-%d", x->iteration, i);
        w3.raw[i] = (raw_book){.id = w3.pq_base + shift + i, .pages = 200 + i,
                               .published = 9000 + i,
                               .author_id = x->first_author + i % NAUTHORS};
        memcpy(w3.raw[i].title, w3.titles[i], sizeof w3.raw[i].title);
        w3.books[i] = (Book){.id = w3.orm_base + shift + i, .title = w3.titles[i],
                             .pages = 200 + i, .published = 9000 + i + 10957};
        w3.books[i].author.key = x->first_author + i % NAUTHORS;
    }
}

static int64_t get_i64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return (int64_t)(((uint64_t)ntohl((uint32_t)v) << 32) | ntohl((uint32_t)(v >> 32)));
}

static void w3_libpq(ctx *x)
{
    (void)x;
    bin *arr = w3.arr;
    array_header(&arr[0], 20, NBOOKS);
    array_header(&arr[1], 25, NBOOKS);
    array_header(&arr[2], 23, NBOOKS);
    array_header(&arr[3], 1082, NBOOKS);
    array_header(&arr[4], 20, NBOOKS);
    for (int i = 0; i < NBOOKS; i++) {
        const raw_book *b = &w3.raw[i];
        size_t tl = strlen(b->title);
        bin_u32(&arr[0], 8);
        bin_u64(&arr[0], (uint64_t)b->id);
        bin_u32(&arr[1], (uint32_t)tl);
        bin_put(&arr[1], b->title, tl);
        bin_u32(&arr[2], 4);
        bin_u32(&arr[2], (uint32_t)b->pages);
        bin_u32(&arr[3], 4);
        bin_u32(&arr[3], (uint32_t)b->published);
        bin_u32(&arr[4], 8);
        bin_u64(&arr[4], (uint64_t)b->author_id);
    }
    const char *vals[5];
    int lens[5], fmts[5];
    for (int k = 0; k < 5; k++) {
        vals[k] = arr[k].p;
        lens[k] = (int)arr[k].len;
        fmts[k] = 1;
    }
    PGresult *r = PQexecPrepared(x->c, "w3", 5, vals, lens, fmts, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != NBOOKS)
        die("libpq W3", PQresultErrorMessage(r));
    int inserted = 0;
    for (int i = 0; i < NBOOKS; i++) {
        /* rows come back in input order here (one id each, unchecked) */
        w3.raw[i].id = get_i64(PQgetvalue(r, i, 0));
        w3.inserted[i] = PQgetvalue(r, i, 1)[0] != 0;
        inserted += w3.inserted[i];
    }
    PQclear(r);
    if (inserted != W3_HALF)
        die("libpq W3", "not half inserted");
}

static bool w3_pgorm(ctx *x)
{
    BookRows *rows = NULL;
    pgorm_error err = {0};
    if (book_upsert_sync(x->db, w3.books, NBOOKS, &(pgorm_upsert){.conflict = BOOK_ID}, &rows,
                         &err) != 0)
        die("pgorm W3", err.message);
    int inserted = 0;
    for (size_t i = 0; i < rows->count; i++)
        inserted += rows->inserted[i];
    if (rows->count != NBOOKS || inserted != W3_HALF || !rows->inserted[NBOOKS - 1] ||
        rows->inserted[0])
        die("pgorm W3", "wrong result");
    book_rows_free(rows);
    return true;
}

/* ---------------------------------------------------------------- */
/* W4: 1000 lazy loads issued in one loop turn (book_load_author on each of
 * 1000 books: one statement, `= ANY($1)` of the distinct keys). libpq: the
 * hand-written `SELECT ... FROM author WHERE id = ANY($1)` with the
 * distinct keys as one binary int8[], text results, each author built once
 * and every book pointed at its author by id. */

static struct {
    Book books[NBOOKS]; /* the first 1000 books, refs cleared before each run */
    AuthorRows *rows[NBOOKS];
    int done;
    raw_author authors[NAUTHORS * 2];
    raw_author *ref[NBOOKS];
    int64_t akeys[4096];
    int aslot[4096];
    char strings[1 << 15];
    bin arr;
} w4;

static void w4_prepare(ctx *x)
{
    static bool ready;
    if (!ready) {
        BookRows *found = NULL;
        pgorm_error err = {0};
        BookQuery q = {.limit = NBOOKS, .order = {PGORM_ASC(BOOK_ID)}};
        if (book_find_sync(x->db, &q, &found, &err) != 0 || found->count != NBOOKS)
            die("W4 setup", err.message ? err.message : "wrong row count");
        memcpy(w4.books, found->items, sizeof w4.books);
        for (int i = 0; i < NBOOKS; i++)
            w4.books[i].title = NULL; /* points into found, freed now */
        book_rows_free(found);
        PGresult *r = PQprepare(x->c, "w4", "SELECT id, name, email FROM author WHERE id = ANY($1)",
                                1, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            die("prepare w4", PQresultErrorMessage(r));
        PQclear(r);
        ready = true;
    }
    for (int i = 0; i < NBOOKS; i++)
        w4.books[i].author.ref = NULL;
}

static unsigned w4_hash(int64_t id)
{
    return (unsigned)((uint64_t)id * 0x9E3779B97F4A7C15u >> 52);
}

static void w4_libpq(ctx *x)
{
    /* the distinct keys, in first-seen order */
    memset(w4.aslot, 0, sizeof w4.aslot);
    int64_t keys[NBOOKS];
    int nkeys = 0;
    for (int i = 0; i < NBOOKS; i++) {
        int64_t k = w4.books[i].author.key;
        unsigned h = w4_hash(k);
        while (w4.aslot[h] && w4.akeys[h] != k)
            h = (h + 1) & 4095;
        if (!w4.aslot[h]) {
            w4.akeys[h] = k;
            w4.aslot[h] = -1; /* seen, not yet loaded */
            keys[nkeys++] = k;
        }
    }
    array_header(&w4.arr, 20, (uint32_t)nkeys);
    for (int i = 0; i < nkeys; i++) {
        bin_u32(&w4.arr, 8);
        bin_u64(&w4.arr, (uint64_t)keys[i]);
    }
    const char *vals[1] = {w4.arr.p};
    int lens[1] = {(int)w4.arr.len}, fmts[1] = {1};
    PGresult *r = PQexecPrepared(x->c, "w4", 1, vals, lens, fmts, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != nkeys)
        die("libpq W4", PQresultErrorMessage(r));
    size_t used = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        raw_author *a = &w4.authors[i];
        a->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        for (int f = 1; f <= 2; f++) {
            char **dst = f == 1 ? &a->name : &a->email;
            if (PQgetisnull(r, i, f)) {
                *dst = NULL;
                continue;
            }
            size_t len = (size_t)PQgetlength(r, i, f);
            if (used + len + 1 > sizeof w4.strings)
                die("libpq W4", "string space");
            *dst = memcpy(w4.strings + used, PQgetvalue(r, i, f), len + 1);
            used += len + 1;
        }
        unsigned h = w4_hash(a->id);
        while (w4.aslot[h] && w4.akeys[h] != a->id)
            h = (h + 1) & 4095;
        w4.aslot[h] = i + 1;
    }
    PQclear(r);
    for (int i = 0; i < NBOOKS; i++) {
        int64_t k = w4.books[i].author.key;
        unsigned h = w4_hash(k);
        while (w4.akeys[h] != k)
            h = (h + 1) & 4095;
        w4.ref[i] = w4.aslot[h] > 0 ? &w4.authors[w4.aslot[h] - 1] : NULL;
    }
}

static void w4_loaded(AuthorRows *rows, const pgorm_error *err, void *ud)
{
    (void)ud;
    if (err)
        die("pgorm W4", err->message);
    w4.rows[w4.done++] = rows;
}

static bool w4_pgorm(ctx *x)
{
    w4.done = 0;
    for (int i = 0; i < NBOOKS; i++)
        book_load_author(x->db, &w4.books[i], w4_loaded, NULL);
    if (pgorm_db_run_sync(x->db, -1) != 0 || w4.done != NBOOKS)
        die("pgorm W4", "not every load completed");
    for (int i = 0; i < NBOOKS; i++) {
        const Author *a = w4.books[i].author.ref;
        if (!a || !w4.ref[i] || a->id != w4.ref[i]->id || strcmp(a->name, w4.ref[i]->name) != 0)
            die("W4", "pgorm and libpq disagree");
        author_rows_free(w4.rows[i]);
    }
    return true;
}

/* W6: the aggregate of bench_w6.h; both sides read the same rows. */
static long w6_rows;
static int64_t w6_check;

static void w6_libpq_run(ctx *x)
{
    w6_rows = w6_libpq(x->c, &w6_check);
    if (w6_rows <= 0)
        die("libpq W6", "no rows");
}

static bool w6_pgorm_run(ctx *x)
{
    int64_t check = 0;
    long n = w6_pgorm(x->db, &check);
    if (n != w6_rows || check != w6_check)
        die("W6", "pgorm and libpq disagree");
    return true;
}

/* W7: 100 authors with their books (a BackReference eager-loaded) against
 * one hand-written JOIN, single-row mode, text results, each book parsed
 * into a struct (its title copied) and counted against its author. */
#define W7_AUTHORS 100

static struct {
    int64_t ids[W7_AUTHORS];
    size_t counts[W7_AUTHORS];
    int nauthors;
    int64_t book_sum;
    char *strings;
    size_t cap;
} w7;

static void w7_libpq(ctx *x)
{
    w7.nauthors = 0;
    w7.book_sum = 0;
    size_t used = 0;
    if (!PQsendQueryPrepared(x->c, "w7", 0, NULL, NULL, NULL, 0) || !PQsetSingleRowMode(x->c))
        die("libpq W7", PQerrorMessage(x->c));
    PGresult *r;
    while ((r = PQgetResult(x->c)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE) {
            int64_t aid = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
            if (!w7.nauthors || w7.ids[w7.nauthors - 1] != aid) {
                if (w7.nauthors == W7_AUTHORS)
                    die("libpq W7", "too many authors");
                w7.ids[w7.nauthors] = aid;
                w7.counts[w7.nauthors++] = 0;
            }
            if (!PQgetisnull(r, 0, 3)) {
                raw_book2 b;
                b.id = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
                size_t len = (size_t)PQgetlength(r, 0, 4);
                if (used + len + 1 > w7.cap) {
                    w7.cap = (used + len + 1) * 2;
                    if (!(w7.strings = realloc(w7.strings, w7.cap)))
                        die("libpq W7", "out of memory");
                }
                b.title = memcpy(w7.strings + used, PQgetvalue(r, 0, 4), len + 1);
                used += len + 1;
                b.pages = (int32_t)strtol(PQgetvalue(r, 0, 5), NULL, 10);
                memcpy(b.published, PQgetvalue(r, 0, 6), 10);
                b.published[10] = '\0';
                b.author_id = aid;
                w7.counts[w7.nauthors - 1]++;
                w7.book_sum += b.id + b.pages;
            }
        } else if (st != PGRES_TUPLES_OK) {
            die("libpq W7", PQresultErrorMessage(r));
        }
        PQclear(r);
    }
}

static bool w7_pgorm(ctx *x)
{
    AuthorRows *found = NULL;
    pgorm_error err = {0};
    AuthorQuery q = {.limit = W7_AUTHORS, .order = {PGORM_ASC(AUTHOR_ID)}, .fetch_links = true};
    if (author_find_sync(x->db, &q, &found, &err) != 0)
        die("pgorm W7", err.message);
    if ((int)found->count != w7.nauthors)
        die("W7", "pgorm and libpq disagree on the authors");
    int64_t sum = 0;
    for (size_t i = 0; i < found->count; i++) {
        const Author *a = &found->items[i];
        if (a->id != w7.ids[i] || !a->books.loaded || a->books.count != w7.counts[i])
            die("W7", "pgorm and libpq disagree on an author's books");
        for (size_t k = 0; k < a->books.count; k++)
            sum += a->books.items[k].id + a->books.items[k].pages;
    }
    if (sum != w7.book_sum)
        die("W7", "pgorm and libpq disagree on the books");
    author_rows_free(found);
    return true;
}

typedef struct workload {
    const char *id;   /* in the JSON lines: "W1" */
    const char *name; /* in the table */
    void (*prepare)(ctx *x); /* untimed, before each pair; may be NULL */
    void (*libpq)(ctx *x);   /* NULL: not built yet (skipped) */
    bool (*pgorm)(ctx *x);
} workload;

static const workload workloads[] = {
    {"W1", "W1 insert 1000 books with FKs, ids back", w1_prepare, w1_libpq, w1_pgorm},
    {"find", "find 1000 books (no relations)", NULL, find_libpq, find_pgorm},
    {"W2", "W2 find 1000 books with authors eager-loaded", NULL, w2_libpq, w2_pgorm},
    {"W3", "W3 upsert 1000 books, half new, half existing", w3_prepare, w3_libpq, w3_pgorm},
    {"W4", "W4 1000 lazy loads in one loop turn", w4_prepare, w4_libpq, w4_pgorm},
    {"W6", "W6 raw-SQL aggregate (pgorm_query_sql)", NULL, w6_libpq_run, w6_pgorm_run},
    {"W7", "W7 100 authors with their books (fetch_links)", NULL, w7_libpq, w7_pgorm},
};
#define NWORKLOADS (sizeof workloads / sizeof workloads[0])

/* ---------------------------------------------------------------- */
/* Figures: every workload x implementation, printed as JSON lines first,
 * then as the human table. */

typedef struct figure {
    const char *id;
    char name[64];
    double libpq[2], pgorm[2]; /* median, p90 (ms) */
    int runs;
    bool has_pgorm;
} figure;

static figure figures[16];
static int nfigures;

/* Sorts v. */
static double percentile(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    if (p == 50)
        return median(v, n);
    int k = (int)(p / 100.0 * n + 0.999999) - 1; /* nearest rank */
    return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

static void add_figure(const char *id, const char *name, double *pq, double *orm, int runs,
                       bool has_pgorm)
{
    figure *f = &figures[nfigures++];
    f->id = id;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->runs = runs;
    f->has_pgorm = has_pgorm;
    f->libpq[1] = percentile(pq, runs, 90);
    f->libpq[0] = percentile(pq, runs, 50);
    if (has_pgorm) {
        f->pgorm[1] = percentile(orm, runs, 90);
        f->pgorm[0] = percentile(orm, runs, 50);
    }
}

static void print_figures(void)
{
    for (int i = 0; i < nfigures; i++) {
        const figure *f = &figures[i];
        for (int k = 0; k < 2; k++) {
            if (k == 0 && !f->has_pgorm)
                continue;
            const double *v = k == 0 ? f->pgorm : f->libpq;
            printf("{\"workload\":\"%s\",\"impl\":\"%s\",\"median_ms\":%.3f,"
                   "\"p90_ms\":%.3f,\"runs\":%d}\n",
                   f->id, k == 0 ? "pgorm" : "libpq", v[0], v[1], f->runs);
        }
    }
    printf("\n%-48s %8s %8s %8s %5s\n", "workload (medians in ms)", "libpq", "pgorm", "ratio",
           "runs");
    for (int i = 0; i < nfigures; i++) {
        const figure *f = &figures[i];
        if (f->has_pgorm)
            printf("%-48s %8.3f %8.3f %8.3f %5d\n", f->name, f->libpq[0], f->pgorm[0],
                   f->pgorm[0] / f->libpq[0], f->runs);
        else
            printf("%-48s %8.3f %8s %8s %5d\n", f->name, f->libpq[0], "n/a", "n/a", f->runs);
    }
}

/* ---------------------------------------------------------------- */
/* Pools: 10,000 finds by id at once over N connections.            */

#define NGETS 10000
#define POOL_MAX 4
#define PQ_WINDOW 512 /* unanswered per connection, as pgorm's flow control */

typedef struct get_row {
    int64_t id, author_id;
    int32_t pages;
    char title[40];
    char published[11];
} get_row;

static const char *const get_sql =
    "SELECT b.id, b.title, b.pages, b.published, b.author_id FROM book b WHERE b.id = $1";

/* Hand-written libpq: N connections in pipeline mode, finds dealt
   round-robin, one pipeline Sync per PQ_GROUP finds (PQpipelineSync
   flushes: libpq 15 has no Sync without a send()), results parsed into
   structs. Returns the sum of the ids. */
#define PQ_GROUP 64
static int64_t libpq_pool_gets(PGconn **cs, int n, int64_t first_book)
{
    int sent[POOL_MAX] = {0}, recv[POOL_MAX] = {0}, quota[POOL_MAX], unsynced[POOL_MAX] = {0};
    int syncs_sent[POOL_MAX] = {0}, syncs_recv[POOL_MAX] = {0};
    bool flushing[POOL_MAX] = {false};
    int64_t sum = 0;
    static get_row rows[NGETS];
    int nrows = 0;
    for (int i = 0; i < n; i++)
        quota[i] = NGETS / n + (i < NGETS % n);
    int done = 0, syncs_out = 0;
    while (done < NGETS || syncs_out > 0) {
        struct pollfd p[POOL_MAX];
        for (int i = 0; i < n; i++) {
            PGconn *c = cs[i];
            bool queued = false;
            while (sent[i] < quota[i] && sent[i] - recv[i] < PQ_WINDOW) {
                uint64_t id = (uint64_t)(first_book + (sent[i] * n + i) % NBOOKS);
                uint64_t be = ((uint64_t)htonl((uint32_t)id) << 32) | htonl((uint32_t)(id >> 32));
                const char *v[1] = {(const char *)&be};
                int len[1] = {8}, fmt[1] = {1};
                if (!PQsendQueryPrepared(c, "get", 1, v, len, fmt, 0))
                    die("libpq pool", PQerrorMessage(c));
                sent[i]++;
                unsynced[i]++;
                if (unsynced[i] == PQ_GROUP || sent[i] == quota[i] ||
                    sent[i] - recv[i] == PQ_WINDOW) {
                    if (!PQpipelineSync(c))
                        die("libpq pool", PQerrorMessage(c));
                    unsynced[i] = 0;
                    syncs_sent[i]++;
                    syncs_out++;
                }
                queued = true;
            }
            if (queued || flushing[i]) {
                int f = PQflush(c);
                if (f < 0)
                    die("libpq pool", PQerrorMessage(c));
                flushing[i] = f == 1;
            }
            p[i].fd = PQsocket(c);
            p[i].events = (short)(POLLIN | (flushing[i] ? POLLOUT : 0));
            p[i].revents = 0;
        }
        if (poll(p, (nfds_t)n, -1) < 0)
            die("libpq pool", "poll");
        for (int i = 0; i < n; i++) {
            PGconn *c = cs[i];
            if (!p[i].revents)
                continue;
            if (!PQconsumeInput(c))
                die("libpq pool", PQerrorMessage(c));
            while (syncs_recv[i] < syncs_sent[i] && !PQisBusy(c)) {
                PGresult *r = PQgetResult(c);
                if (!r)
                    continue; /* end of one query's results */
                ExecStatusType st = PQresultStatus(r);
                if (st == PGRES_PIPELINE_SYNC) {
                    syncs_recv[i]++;
                    syncs_out--;
                } else if (st == PGRES_TUPLES_OK && PQntuples(r) == 1) {
                    get_row *g = &rows[nrows++ % NGETS];
                    g->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
                    snprintf(g->title, sizeof g->title, "%s", PQgetvalue(r, 0, 1));
                    g->pages = (int32_t)strtol(PQgetvalue(r, 0, 2), NULL, 10);
                    memcpy(g->published, PQgetvalue(r, 0, 3), 10);
                    g->published[10] = '\0';
                    g->author_id = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
                    sum += g->id;
                    recv[i]++;
                    done++;
                } else {
                    die("libpq pool", PQresultErrorMessage(r));
                }
                PQclear(r);
            }
        }
    }
    return sum;
}

typedef struct pool_sum {
    int64_t sum;
    int done;
} pool_sum;

static void on_get(BookRows *rows, const pgorm_error *err, void *ud)
{
    pool_sum *s = ud;
    if (err)
        die("pgorm pool", err->message);
    if (rows->count == 1)
        s->sum += rows->items[0].id;
    s->done++;
    book_rows_free(rows);
}

static int64_t pgorm_pool_gets(pgorm_db *db, int64_t first_book)
{
    pool_sum s = {0, 0};
    for (int k = 0; k < NGETS; k++)
        book_get(db, first_book + k % NBOOKS, on_get, &s);
    if (pgorm_db_run_sync(db, -1) != 0 || s.done != NGETS)
        die("pgorm pool", "not every find completed");
    return s.sum;
}

static void pool_bench(const char *url, int runs, int warmup)
{
    static const int sizes[] = {1, 2, 4};
    PGconn *c0 = PQconnectdb(url);
    PGresult *m = PQexec(c0, "SELECT min(id) FROM book");
    int64_t first_book = strtoll(PQgetvalue(m, 0, 0), NULL, 10);
    PQclear(m);
    PQfinish(c0);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s];
        PGconn *cs[POOL_MAX];
        for (int i = 0; i < n; i++) {
            cs[i] = PQconnectdb(url);
            if (PQstatus(cs[i]) != CONNECTION_OK)
                die("connect", PQerrorMessage(cs[i]));
            PQsetNoticeProcessor(cs[i], quiet, NULL);
            PGresult *r = PQprepare(cs[i], "get", get_sql, 1, NULL);
            if (PQresultStatus(r) != PGRES_COMMAND_OK)
                die("get", PQresultErrorMessage(r));
            PQclear(r);
            if (PQsetnonblocking(cs[i], 1) != 0 || !PQenterPipelineMode(cs[i]))
                die("pipeline", PQerrorMessage(cs[i]));
        }
        pgorm_db *db = pgorm_db_new(&(pgorm_db_options){.pool_size = n});
        pgorm_error err = {0};
        if (!db || pgorm_db_connect_sync(db, url, &err) != 0)
            die("pgorm connect", err.message ? err.message : "out of memory");
        double *t0 = calloc((size_t)runs, sizeof(double)), *t1 = calloc((size_t)runs, sizeof(double));
        for (int it = -warmup; it < runs; it++) {
            double a = now_ms();
            int64_t s1 = libpq_pool_gets(cs, n, first_book);
            double b = now_ms();
            int64_t s2 = pgorm_pool_gets(db, first_book);
            double c = now_ms();
            if (s1 != s2)
                die("pool", "pgorm and libpq disagree");
            if (it >= 0) {
                t0[it] = b - a;
                t1[it] = c - b;
            }
        }
        static const char *const ids[] = {"P1", "P2", "P4"};
        char name[64];
        snprintf(name, sizeof name, "P%d 10,000 gets at once, pool of %d", n, n);
        add_figure(ids[s], name, t0, t1, runs, true);
        free(t0);
        free(t1);
        pgorm_db_free(db);
        for (int i = 0; i < n; i++)
            PQfinish(cs[i]);
    }
}

/* ---------------------------------------------------------------- */
/* W5: many books in, then streamed back with their authors.         */

#define W5_CHUNK 10000

typedef struct w5_figures {
    long rows;
    double insert_ms[2];   /* libpq, pgorm */
    w5_result stream[2];   /* libpq, pgorm */
    bool done;
} w5_figures;

static w5_figures w5;

static void w5_bench(int64_t first_author, bool quick)
{
    long total = quick ? 20000 : 1000000;
    static raw_book raw[W5_CHUNK];
    static Book books[W5_CHUNK];
    static char titles[W5_CHUNK][32];
    static bin arr[4];
    PGconn *c = PQconnectdb(getenv("DATABASE_URL") ? getenv("DATABASE_URL") : "");
    if (PQstatus(c) != CONNECTION_OK)
        die("W5 connect", PQerrorMessage(c));
    PGresult *r = PQprepare(c, "w1",
                            "INSERT INTO book (title, pages, published, author_id)"
                            " SELECT * FROM unnest($1::text[], $2::int4[], $3::date[], $4::int8[])"
                            " RETURNING id",
                            4, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("W5 prepare", PQresultErrorMessage(r));
    PQclear(r);
    pgorm_db *db = pgorm_db_new(NULL);
    pgorm_error err = {0};
    if (!db || pgorm_db_connect_sync(db, getenv("DATABASE_URL") ? getenv("DATABASE_URL") : "",
                                     &err) != 0)
        die("W5 pgorm connect", err.message ? err.message : "out of memory");
    int64_t first = 0, last = 0;
    for (int k = 0; k < 2; k++) {
        double t0 = now_ms();
        for (long done = 0; done < total; done += W5_CHUNK) {
            int n = (int)(total - done < W5_CHUNK ? total - done : W5_CHUNK);
            for (int i = 0; i < n; i++) {
                long g = done + i;
                snprintf(titles[i], sizeof titles[i], "W5 %d-%ld", k, g);
                if (k == 0) {
                    memcpy(raw[i].title, titles[i], sizeof raw[i].title);
                    raw[i].pages = (int32_t)(50 + g % 700);
                    raw[i].published = (int32_t)(g % 9000);
                    raw[i].author_id = first_author + g % NAUTHORS;
                } else {
                    books[i] = (Book){0};
                    books[i].title = titles[i];
                    books[i].pages = (int32_t)(50 + g % 700);
                    books[i].published = (int32_t)(g % 9000) + 10957;
                    books[i].author.key = first_author + g % NAUTHORS;
                }
            }
            if (k == 0) {
                libpq_w1(c, raw, n, arr);
            } else {
                BookRows *rows = NULL;
                if (book_insert_sync(db, books, (size_t)n, &rows, &err) != 0)
                    die("pgorm W5", err.message);
                if (done == 0)
                    first = books[0].id;
                last = books[n - 1].id;
                book_rows_free(rows);
            }
        }
        w5.insert_ms[k] = now_ms() - t0;
    }
    exec_or_die(c, "ANALYZE book");
    w5.rows = total;
    for (int k = 0; k < 2; k++)
        if (w5_stream_child("/proc/self/exe", k == 0 ? "libpq" : "pgorm", first, last,
                            &w5.stream[k]) != 0)
            die("W5", "the streaming process failed");
    if (w5.stream[0].rows != total || w5.stream[1].rows != total ||
        w5.stream[0].check != w5.stream[1].check)
        die("W5", "pgorm and libpq disagree");
    w5.done = true;
    /* leave the other workloads' table as it was */
    exec_or_die(c, "DELETE FROM book WHERE title LIKE 'W5 %'");
    for (int i = 0; i < 4; i++)
        free(arr[i].p);
    pgorm_db_free(db);
    PQfinish(c);
}

static void w5_print_json(void)
{
    if (!w5.done)
        return;
    for (int k = 1; k >= 0; k--) {
        const char *impl = k ? "pgorm" : "libpq";
        printf("{\"workload\":\"W5-insert\",\"impl\":\"%s\",\"rows\":%ld,\"ms\":%.1f,"
               "\"rows_per_s\":%.0f}\n",
               impl, w5.rows, w5.insert_ms[k], (double)w5.rows / (w5.insert_ms[k] / 1e3));
        printf("{\"workload\":\"W5-stream\",\"impl\":\"%s\",\"rows\":%ld,\"ms\":%.1f,"
               "\"rows_per_s\":%.0f,\"peak_rss_mib\":%.1f}\n",
               impl, w5.stream[k].rows, w5.stream[k].ms,
               (double)w5.stream[k].rows / (w5.stream[k].ms / 1e3),
               (double)w5.stream[k].peak_rss_kib / 1024.0);
    }
}

static void w5_print_table(void)
{
    if (!w5.done)
        return;
    printf("\nW5: %ld books (rows per second; peak RSS of the streaming process)\n", w5.rows);
    printf("%-48s %10s %10s %8s\n", "", "libpq", "pgorm", "ratio");
    printf("%-48s %10.0f %10.0f %8.3f\n", "insert, statements of 10,000 (rows/s)",
           (double)w5.rows / (w5.insert_ms[0] / 1e3), (double)w5.rows / (w5.insert_ms[1] / 1e3),
           w5.insert_ms[1] / w5.insert_ms[0]);
    printf("%-48s %10.0f %10.0f %8.3f\n", "stream back with authors (rows/s)",
           (double)w5.rows / (w5.stream[0].ms / 1e3), (double)w5.rows / (w5.stream[1].ms / 1e3),
           w5.stream[1].ms / w5.stream[0].ms);
    printf("%-48s %10.1f %10.1f\n", "stream: peak RSS (MiB)",
           (double)w5.stream[0].peak_rss_kib / 1024.0, (double)w5.stream[1].peak_rss_kib / 1024.0);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--w5-stream") == 0)
        return w5_child_main(argv[2], argv[3], argv[4]);
    bool quick = false;
    int runs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (atoi(argv[i]) > 0)
            runs = atoi(argv[i]);
        else
            die("usage", "pgorm-bench [--quick] [runs]");
    }
    if (runs < 1)
        runs = quick ? 5 : 50;
    const int warmup = quick ? 2 : 10;
    const char *url = getenv("DATABASE_URL");
    if (!url)
        url = "";

    static ctx x;
    x.c = PQconnectdb(url);
    if (PQstatus(x.c) != CONNECTION_OK)
        die("connect", PQerrorMessage(x.c));
    PQsetNoticeProcessor(x.c, quiet, NULL);
    x.db = pgorm_db_new(NULL);
    pgorm_error err = {0};
    if (!x.db || pgorm_db_connect_sync(x.db, url, &err) != 0)
        die("pgorm connect", err.message ? err.message : "out of memory");
    setup(x.c, x.db);

    static const struct {
        const char *name, *sql;
        int n;
    } prepared[] = {
        {"w1",
         "INSERT INTO book (title, pages, published, author_id)"
         " SELECT * FROM unnest($1::text[], $2::int4[], $3::date[], $4::int8[]) RETURNING id",
         4},
        {"w2",
         "SELECT b.id, b.title, b.pages, b.published, b.author_id, a.id, a.name, a.email"
         " FROM book b JOIN author a ON a.id = b.author_id ORDER BY b.id LIMIT 1000",
         0},
        {"find",
         "SELECT b.id, b.title, b.pages, b.published, b.author_id FROM book b"
         " ORDER BY b.id LIMIT 1000",
         0},
        {"w6", W6_SQL, 1},
        {"w7",
         "SELECT a.id, a.name, a.email, b.id, b.title, b.pages, b.published"
         " FROM (SELECT id, name, email FROM author ORDER BY id LIMIT 100) a"
         " LEFT JOIN book b ON b.author_id = a.id ORDER BY a.id, b.id",
         0},
    };
    for (size_t i = 0; i < sizeof prepared / sizeof prepared[0]; i++) {
        PGresult *r = PQprepare(x.c, prepared[i].name, prepared[i].sql, prepared[i].n, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            die(prepared[i].name, PQresultErrorMessage(r));
        PQclear(r);
    }
    PGresult *m = PQexec(x.c, "SELECT min(id) FROM author");
    x.first_author = strtoll(PQgetvalue(m, 0, 0), NULL, 10);
    PQclear(m);

    double *t[NWORKLOADS][2];
    bool available[NWORKLOADS], selected[NWORKLOADS];
    const char *only = getenv("PGORM_BENCH_ONLY");
    for (size_t w = 0; w < NWORKLOADS; w++) {
        selected[w] = workloads[w].libpq && (!only || strstr(workloads[w].name, only));
        t[w][0] = calloc((size_t)runs, sizeof(double));
        t[w][1] = calloc((size_t)runs, sizeof(double));
        available[w] = true;
    }
    for (int it = -warmup; it < runs; it++) {
        x.iteration = it;
        for (size_t w = 0; w < NWORKLOADS; w++) {
            const workload *wl = &workloads[w];
            if (!selected[w])
                continue;
            if (wl->prepare)
                wl->prepare(&x);
            double t0 = now_ms();
            wl->libpq(&x);
            double t1 = now_ms();
            if (available[w])
                available[w] = wl->pgorm(&x);
            double t2 = now_ms();
            if (it >= 0) {
                t[w][0][it] = t1 - t0;
                t[w][1][it] = t2 - t1;
            }
        }
    }
    for (size_t w = 0; w < NWORKLOADS; w++) {
        if (selected[w])
            add_figure(workloads[w].id, workloads[w].name, t[w][0], t[w][1], runs,
                       available[w]);
        free(t[w][0]);
        free(t[w][1]);
    }
    if (!only || strstr("pool", only)) {
        int pruns = quick ? 2 : runs < 20 ? runs : 20;
        pool_bench(url, pruns, quick ? 1 : 3);
    }
    if (!only || strstr("W5 stream", only))
        w5_bench(x.first_author, quick);
    w5_print_json();
    print_figures();
    w5_print_table();
    for (int i = 0; i < 4; i++)
        free(x.arr[i].p);
    free(w7.strings);
    pgorm_db_free(x.db);
    PQfinish(x.c);
    return 0;
}
