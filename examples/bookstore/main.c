/* The bookstore demo: pgorm driven by a libuv loop.
 *
 * The tables come from `pgorm migrate` (scripts/demo.sh runs it first). The
 * program inserts authors and books (keys come back into the structs),
 * queries with typed predicates, updates, upserts, follows relationships (a
 * find with fetch_links, a lazy load, a paged back reference), counts and
 * deletes, printing what it did. Every step is an asynchronous call whose callback
 * starts the next one; the loop runs until the last callback closes the
 * connection.
 *
 * DATABASE_URL names the server (scripts/demo.sh starts a throwaway one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bookstore.pgorm.h"
#include "pgorm/adapters/libuv.h"

typedef struct demo {
    pgorm_db *db;
    Author authors[3];
    Book books[6];
    Book upserts[2];
    int failed;
} demo;

static void step_clear(demo *d);
static void step_insert_authors(demo *d);
static void step_insert_books(demo *d);
static void step_find(demo *d);
static void step_update(demo *d);
static void step_upsert(demo *d);
static void step_fetch_links(demo *d);
static void step_lazy_load(demo *d);
static void step_back_reference(demo *d);
static void step_count(demo *d);
static void step_delete(demo *d);
static void finish(demo *d);

static bool check(demo *d, const pgorm_error *err, const char *what)
{
    if (!err)
        return true;
    fprintf(stderr, "%s failed: %s%s%s\n", what, err->message,
            err->detail ? "\n  detail: " : "", err->detail ? err->detail : "");
    d->failed = 1;
    finish(d);
    return false;
}

static void on_connect(pgorm_db *db, const pgorm_error *err, void *ud)
{
    (void)db;
    demo *d = ud;
    if (!check(d, err, "connect"))
        return;
    printf("connected\n");
    step_clear(d);
}

/* 1. Start from empty tables (scripts/demo.sh created them with
      `pgorm migrate make` + `pgorm migrate up`). Books go with their
      authors: ON DELETE CASCADE. */
static void on_cleared(int64_t n, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "clear tables"))
        return;
    printf("cleared %lld author(s) left from an earlier run\n", (long long)n);
    step_insert_authors(d);
}

static void step_clear(demo *d)
{
    author_delete_where(d->db, (pgorm_pred){0}, on_cleared, d);
}

/* 2. Insert three authors in one statement; their ids come back. */
static void on_authors(AuthorRows *rows, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "insert authors"))
        return;
    for (size_t i = 0; i < rows->count; i++)
        printf("inserted author #%lld %s <%s>\n", (long long)d->authors[i].id,
               d->authors[i].name, rows->items[i].email ? rows->items[i].email : "no email");
    author_rows_free(rows);
    step_insert_books(d);
}

static void step_insert_authors(demo *d)
{
    d->authors[0] = (Author){.name = "Ursula K. Le Guin", .email = "ursula@example.org"};
    d->authors[1] = (Author){.name = "Stanisław Lem", .email = NULL};
    d->authors[2] = (Author){.name = "Octavia E. Butler", .email = "octavia@example.org"};
    author_insert(d->db, d->authors, 3, on_authors, d);
}

/* 3. Insert six books pointing at those authors. */
static void on_books(BookRows *rows, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "insert books"))
        return;
    printf("inserted %zu books with ids %lld..%lld\n", rows->count, (long long)d->books[0].id,
           (long long)d->books[5].id);
    book_rows_free(rows);
    step_find(d);
}

static void step_insert_books(demo *d)
{
    static const struct {
        const char *isbn, *title;
        int pages, author;
        const char *price;
    } src[6] = {
        {"978-0441478125", "The Left Hand of Darkness", 304, 0, "9.99"},
        {"978-0060512750", "The Dispossessed", 387, 0, "12.50"},
        {"978-0156027601", "Solaris", 204, 1, "14.00"},
        {"978-0156027779", "The Cyberiad", 295, 1, NULL},
        {"978-0807083697", "Kindred", 264, 2, "11.25"},
        {"978-1538732182", "Parable of the Sower", 345, 2, "15.99"},
    };
    for (int i = 0; i < 6; i++) {
        d->books[i] = (Book){.isbn = (char *)src[i].isbn, .title = (char *)src[i].title,
                             .pages = src[i].pages, .has_pages = true,
                             .price = (char *)src[i].price};
        d->books[i].published = pgorm_date_from_ymd(1969 + i * 5, 3, 1);
        d->books[i].has_published = true;
        d->books[i].author.key = d->authors[src[i].author].id;
    }
    book_insert(d->db, d->books, 6, on_books, d);
}

/* 4. Find: books over 290 pages whose title starts with "The", by title. */
static void on_found(BookRows *rows, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "find"))
        return;
    printf("books over 290 pages titled \"The ...\", by title:\n");
    for (size_t i = 0; i < rows->count; i++) {
        const Book *b = &rows->items[i];
        int y, m, day;
        pgorm_date_to_ymd(b->published, &y, &m, &day);
        printf("  %-28s %4d pages, published %04d-%02d-%02d, price %s\n", b->title, b->pages, y,
               m, day, b->price ? b->price : "(none)");
    }
    book_rows_free(rows);
    step_update(d);
}

static void step_find(demo *d)
{
    book_find(d->db,
              &(BookQuery){.where = PGORM_AND(book_pages_gt(290), book_title_like("The %")),
                           .order = {PGORM_ASC(BOOK_TITLE)},
                           .limit = 10},
              on_found, d);
}

/* 5. Update: a new edition of Solaris, and every book without a price. */
static void on_updated(int64_t n, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "update"))
        return;
    printf("updated %lld row(s): Solaris now has %d pages\n", (long long)n, d->books[2].pages);
}

static void on_priced(int64_t n, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "update where"))
        return;
    printf("gave a price to %lld book(s) that had none\n", (long long)n);
    step_upsert(d);
}

static void step_update(demo *d)
{
    d->books[2].pages = 224;
    book_update(d->db, &d->books[2], BOOK_PAGES, on_updated, d);
    /* queued behind the first on the same connection (pipeline): */
    book_update_where(d->db, &(Book){.price = "10.00"}, BOOK_PRICE, book_price_is_null(),
                      on_priced, d);
}

/* 6. Upsert by ISBN, in one statement: a revised edition of a book that is
   there (only its title and pages change: the price stays) and a new one. */
static void on_upserted(BookRows *rows, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "upsert"))
        return;
    for (size_t i = 0; i < rows->count; i++) {
        const Book *b = &rows->items[i];
        printf("upsert %s: %s #%lld \"%s\", %d pages, price %s\n", b->isbn,
               rows->inserted[i] ? "inserted" : "updated", (long long)b->id, b->title, b->pages,
               b->price ? b->price : "(none)");
    }
    book_rows_free(rows);
    step_fetch_links(d);
}

static void step_upsert(demo *d)
{
    d->upserts[0] = (Book){.isbn = "978-0060512750", .title = "The Dispossessed (revised)",
                           .pages = 400, .has_pages = true, .price = "99.00"};
    d->upserts[0].author.key = d->authors[0].id;
    d->upserts[1] = (Book){.isbn = "978-0810117310", .title = "His Master's Voice",
                           .pages = 199, .has_pages = true, .price = "13.50"};
    d->upserts[1].author.key = d->authors[1].id;
    book_upsert(d->db, d->upserts, 2,
                &(pgorm_upsert){.conflict = BOOK_ISBN, .update = BOOK_TITLE | BOOK_PAGES},
                on_upserted, d);
}

/* 7. fetch_links: every book with its author in ONE statement (a JOIN).
      Books by the same author point at the same Author struct. */
static void on_linked(BookRows *rows, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "find with fetch_links"))
        return;
    printf("books with their authors, in one statement:\n");
    for (size_t i = 0; i < rows->count; i++)
        printf("  %-28s by %s\n", rows->items[i].title, rows->items[i].author.ref->name);
    book_rows_free(rows); /* the authors went with them: one arena */
    step_lazy_load(d);
}

static void step_fetch_links(demo *d)
{
    book_find(d->db, &(BookQuery){.order = {PGORM_ASC(BOOK_TITLE)}, .fetch_links = true},
              on_linked, d);
}

/* 8. A lazy load: the author of one book, fetched when asked for (loads
      made in the same turn of the loop go out as one query). */
static void on_author_loaded(AuthorRows *rows, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "lazy load"))
        return;
    printf("lazily loaded the author of %s: %s\n", d->books[4].title,
           d->books[4].author.ref->name);
    d->books[4].author.ref = NULL; /* it points into rows, freed now */
    author_rows_free(rows);
    step_back_reference(d);
}

static void step_lazy_load(demo *d)
{
    book_load_author(d->db, &d->books[4], on_author_loaded, d);
}

/* 9. A back reference, filtered and paged: Le Guin's books over 300 pages,
      by title, from the second one on; and how many there are in all. */
static void on_book_total(int64_t n, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "back reference count"))
        return;
    printf("%s has %lld book(s) over 300 pages; from the second, by title:\n",
           d->authors[0].name, (long long)n);
}

static void on_author_books(BookRows *rows, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "back reference"))
        return;
    for (size_t i = 0; i < d->authors[0].books.count; i++) /* the same rows as `rows` */
        printf("  %s (%d pages)\n", d->authors[0].books.items[i].title,
               d->authors[0].books.items[i].pages);
    d->authors[0].books.items = NULL; /* they go now */
    d->authors[0].books.loaded = false;
    book_rows_free(rows);
    step_count(d);
}

static void step_back_reference(demo *d)
{
    author_books_count(d->db, &d->authors[0], book_pages_gt(300), on_book_total, d);
    author_books(d->db, &d->authors[0],
                 &(BookQuery){.where = book_pages_gt(300),
                              .order = {PGORM_ASC(BOOK_TITLE)},
                              .limit = 10,
                              .offset = 1},
                 on_author_books, d);
}

/* 10. Count per author, then delete. */
static void on_count(int64_t n, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "count"))
        return;
    printf("%s wrote %lld of the books\n", d->authors[1].name, (long long)n);
    step_delete(d);
}

static void step_count(demo *d)
{
    book_count(d->db, book_author_eq(d->authors[1].id), on_count, d);
}

static void on_deleted_author(int64_t n, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "delete"))
        return;
    printf("deleted %lld author (%s); ON DELETE CASCADE took their books\n", (long long)n,
           d->authors[2].name);
}

static void on_left(int64_t n, const pgorm_error *err, void *ud)
{
    demo *d = ud;
    if (!check(d, err, "count"))
        return;
    printf("%lld books left\n", (long long)n);
    finish(d);
}

static void step_delete(demo *d)
{
    author_delete(d->db, &d->authors[2], on_deleted_author, d);
    book_count(d->db, (pgorm_pred){0}, on_left, d);
}

static void finish(demo *d)
{
    if (d->db) {
        pgorm_db_free(d->db); /* safe inside a callback */
        d->db = NULL;
    }
}

int main(void)
{
    const char *url = getenv("DATABASE_URL");
    uv_loop_t *loop = uv_default_loop();
    demo d = {0};
    d.db = pgorm_db_new(NULL);
    if (!d.db || pgorm_libuv_attach(d.db, loop) != 0) {
        fprintf(stderr, "out of memory\n");
        return 2;
    }
    pgorm_db_connect(d.db, url ? url : "", on_connect, &d);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    printf(d.failed ? "demo failed\n" : "demo done\n");
    return d.failed ? 1 : 0;
}
