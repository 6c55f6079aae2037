/* Streaming finds (<model>_stream, pgorm_find_stream): batches of at most
 * `batch` rows with their links, the end once, memory bounded by a batch,
 * one statement counted on the server, rows compared with hand-written SQL.
 */
#include "linktest.h"

typedef struct seen {
    int batches, ends, max_batch;
    size_t rows;
    int64_t last_id;
    bool ordered, links_ok, shared_in_batch;
    pgorm_errcode end_code;
    int end_rows; /* rows with the end call; -1: NULL */
    PGresult *want; /* id, title, writer name, nation name: the same rows by SQL */
    long max_live;  /* most blocks allocated at once (counting allocator) */
    bool count_live;
} seen;

static void on_novels(NovelRows *rows, bool end, const pgorm_error *err, void *ud)
{
    seen *s = ud;
    if (end) {
        s->ends++;
        s->end_code = err ? err->code : PGORM_OK;
        s->end_rows = rows ? (int)rows->count : -1;
    } else {
        assert_null(err);
        assert_non_null(rows);
        s->batches++;
    }
    if (!rows)
        return;
    if ((int)rows->count > s->max_batch)
        s->max_batch = (int)rows->count;
    const Writer *first_of[101] = {0};
    for (size_t i = 0; i < rows->count; i++) {
        const Novel *n = &rows->items[i];
        if (n->id <= s->last_id)
            s->ordered = false;
        s->last_id = n->id;
        if (s->want) {
            int r = (int)s->rows;
            if (r >= PQntuples(s->want) || n->id != strtoll(PQgetvalue(s->want, r, 0), NULL, 10) ||
                strcmp(n->title, PQgetvalue(s->want, r, 1)) != 0 || !n->writer.ref ||
                strcmp(n->writer.ref->name, PQgetvalue(s->want, r, 2)) != 0)
                s->links_ok = false;
            else if (PQgetisnull(s->want, r, 3) ? n->writer.ref->nation.ref != NULL
                                                : !n->writer.ref->nation.ref ||
                                                      strcmp(n->writer.ref->nation.ref->name,
                                                             PQgetvalue(s->want, r, 3)) != 0)
                s->links_ok = false;
        }
        /* within a batch a writer is one struct (the batch's identity map) */
        if (n->writer.ref && n->writer.key >= 1 && n->writer.key <= 100) {
            const Writer **f = &first_of[n->writer.key];
            if (*f && *f != n->writer.ref)
                s->shared_in_batch = false;
            *f = n->writer.ref;
        }
        s->rows++;
    }
    if (s->count_live && pgt_oom_live() > s->max_live)
        s->max_live = pgt_oom_live();
    novel_rows_free(rows);
}

static seen seen_new(void)
{
    return (seen){.ordered = true, .links_ok = true, .shared_in_batch = true};
}

typedef struct col_seen {
    int calls;
    size_t rows;
    bool subset_ok;
} col_seen;

static void on_title_only(NovelRows *rows, bool end, const pgorm_error *err, void *ud)
{
    (void)end;
    col_seen *c = ud;
    c->calls++;
    assert_null(err);
    if (rows->columns != (NOVEL_ID | NOVEL_TITLE))
        c->subset_ok = false;
    for (size_t i = 0; i < rows->count; i++)
        if (!rows->items[i].title || rows->items[i].id <= 0 || rows->items[i].has_pages ||
            rows->items[i].writer.key != 0)
            c->subset_ok = false;
    c->rows += rows->count;
    novel_rows_free(rows);
}

static const char *WANT = "SELECT n.id, n.title, w.name, x.name FROM novel n JOIN writer w ON "
                          "w.id = n.writer_id LEFT JOIN nation x ON x.code = w.nation_id "
                          "WHERE n.pages > 100 ORDER BY n.id";

static void test_stream_with_links(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "stream_links");
    lt_fill(&f);
    seen s = seen_new();
    s.want = PQexec(f.c, WANT);
    assert_int_equal(PQresultStatus(s.want), PGRES_TUPLES_OK);
    int nwant = PQntuples(s.want);
    assert_true(nwant > 500);
    lt_count_start(&f);
    const char *const links[] = {"writer.nation", NULL};
    novel_stream(f.db,
                 &(NovelQuery){.where = novel_pages_gt(100),
                               .order = {PGORM_ASC(NOVEL_ID)},
                               .fetch_links = true,
                               .depth = 2,
                               .links = links},
                 64, on_novels, &s);
    assert_int_equal(s.batches + s.ends, 0); /* never inside the call */
    assert_int_equal(pgorm_db_run_sync(f.db, 20000), 0);
    assert_int_equal(s.ends, 1);
    assert_int_equal(s.end_code, PGORM_OK);
    assert_int_equal(s.rows, (size_t)nwant);
    assert_int_equal(s.batches, nwant / 64);
    assert_int_equal(s.end_rows, nwant % 64);
    assert_int_equal(s.max_batch, 64);
    assert_true(s.ordered);
    assert_true(s.links_ok);
    assert_true(s.shared_in_batch);
    assert_int_equal(lt_count(&f, NULL), 1); /* one statement, JOINs inside */
    PQclear(s.want);

    /* without fetch_links, default batch, no query */
    s = seen_new();
    novel_stream(f.db, NULL, 0, on_novels, &s);
    assert_int_equal(pgorm_db_run_sync(f.db, 20000), 0);
    assert_int_equal(s.rows, 1000);
    assert_int_equal(s.batches, 1);
    assert_int_equal(s.end_rows, 0);

    /* a column subset holds in every batch */
    col_seen c = {0, 0, true};
    novel_stream(f.db, &(NovelQuery){.columns = NOVEL_TITLE}, 300, on_title_only, &c);
    assert_int_equal(pgorm_db_run_sync(f.db, 20000), 0);
    assert_int_equal(c.rows, 1000);
    assert_int_equal(c.calls, 4);
    assert_true(c.subset_ok);
    lt_close(&f);
}

/* Memory stays bounded by a batch: the most blocks allocated at once is
   the same for 2,000 rows and for 40,000. */
static long peak_for(lt_fixture *f, int rows)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "TRUNCATE novel; INSERT INTO novel (title, pages, writer_id) SELECT 'novel ' || g, "
             "g %% 500, 1 + g %% 100 FROM generate_series(1, %d) g",
             rows);
    pgt_exec(f->c, sql);
    seen s = seen_new();
    s.count_live = true;
    pgt_oom_arm(0, false); /* count, never fail */
    novel_stream(f->db, &(NovelQuery){.fetch_links = true}, 200, on_novels, &s);
    assert_int_equal(pgorm_db_run_sync(f->db, 60000), 0);
    pgt_oom_disarm();
    assert_int_equal(s.rows, (size_t)rows);
    assert_int_equal(s.end_code, PGORM_OK);
    return s.max_live;
}

static void test_stream_memory_bounded(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "stream_memory");
    lt_fill(&f);
    long small = peak_for(&f, 2000), big = peak_for(&f, 40000);
    print_message("blocks alive at most: %ld for 2,000 rows, %ld for 40,000\n", small, big);
    assert_true(small > 0);
    assert_true(big <= small + 8);
    lt_close(&f);
}

/* Everything at once: a stream of writers found through a relation filter,
   a column subset, and each writer's 2 longest novels (per-link options);
   one statement, and the rows SQL gives. */
typedef struct writer_seen {
    PGresult *want; /* writer id, then its 2 longest novels' ids (NULL when fewer) */
    size_t rows;
    int calls;
    bool ok;
} writer_seen;

static void on_writers(WriterRows *rows, bool end, const pgorm_error *err, void *ud)
{
    (void)end;
    writer_seen *w = ud;
    w->calls++;
    assert_null(err);
    for (size_t i = 0; i < rows->count; i++) {
        const Writer *x = &rows->items[i];
        int r = (int)w->rows++;
        if (r >= PQntuples(w->want) || x->id != strtoll(PQgetvalue(w->want, r, 0), NULL, 10) ||
            x->email != NULL || !x->name || !x->novels.loaded) {
            w->ok = false;
            continue;
        }
        size_t want_n = !PQgetisnull(w->want, r, 1) + !PQgetisnull(w->want, r, 2);
        if (x->novels.count != want_n)
            w->ok = false;
        for (size_t k = 0; k < x->novels.count && k < 2; k++)
            if (x->novels.items[k].id != strtoll(PQgetvalue(w->want, r, 1 + (int)k), NULL, 10))
                w->ok = false;
    }
    writer_rows_free(rows);
}

static void test_stream_with_filters_and_link_options(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "stream_opts");
    lt_fill(&f);
    writer_seen w = {PQexec(f.c, "SELECT w.id, (SELECT n.id FROM novel n WHERE n.writer_id = w.id "
                                 "ORDER BY n.pages DESC, n.id LIMIT 1), (SELECT n.id "
                                 "FROM novel n WHERE n.writer_id = w.id ORDER BY n.pages DESC "
                                 ", n.id LIMIT 1 OFFSET 1) FROM writer w WHERE EXISTS "
                                 "(SELECT 1 FROM novel n WHERE n.writer_id = w.id AND n.pages > "
                                 "400) ORDER BY w.id"),
                     0, 0, true};
    assert_int_equal(PQresultStatus(w.want), PGRES_TUPLES_OK);
    assert_true(PQntuples(w.want) > 10);
    lt_count_start(&f);
    const char *const links[] = {"novels", NULL};
    writer_stream(f.db,
                  &(WriterQuery){.where = writer_novels_any(novel_pages_gt(400)),
                                 .order = {PGORM_ASC(WRITER_ID)},
                                 .columns = WRITER_NAME,
                                 .fetch_links = true,
                                 .links = links,
                                 .link_opts = PGORM_LINK_OPTS(
                                     {.path = "novels",
                                      .order = {PGORM_DESC(NOVEL_PAGES)},
                                      .limit = 2})},
                  7, on_writers, &w);
    assert_int_equal(pgorm_db_run_sync(f.db, 20000), 0);
    assert_true(w.ok);
    assert_int_equal(w.rows, (size_t)PQntuples(w.want));
    assert_int_equal(w.calls, PQntuples(w.want) / 7 + 1);
    assert_int_equal(lt_count(&f, NULL), 1);
    PQclear(w.want);
    lt_close(&f);
}

typedef struct end_rec {
    int calls, batches;
    pgorm_errcode code;
    char msg[512];
} end_rec;

static void on_stores(StoreRows *rows, bool end, const pgorm_error *err, void *ud)
{
    end_rec *e = ud;
    if (!end) {
        e->batches++;
        store_rows_free(rows);
        return;
    }
    e->calls++;
    e->code = err ? err->code : PGORM_OK;
    snprintf(e->msg, sizeof e->msg, "%s", err ? err->message : "");
    assert_true(!err || !rows);
    store_rows_free(rows);
}

static void test_stream_refused(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "stream_refused");
    lt_count_start(&f);
    /* links that lead back to the found model (a cycle): refused, once */
    end_rec e = {0, 0, PGORM_OK, ""};
    store_stream(f.db, &(StoreQuery){.fetch_links = true, .depth = 3}, 10, on_stores, &e);
    assert_int_equal(e.calls, 0);
    pgorm_db_run_sync(f.db, 5000);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.batches, 0);
    assert_int_equal(e.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(e.msg, "pgorm_find_stream"));
    assert_non_null(strstr(e.msg, "cycle"));
    /* a bad query is refused as by pgorm_find */
    e = (end_rec){0, 0, PGORM_OK, ""};
    store_stream(f.db, &(StoreQuery){.limit = -1}, 10, on_stores, &e);
    pgorm_db_run_sync(f.db, 5000);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.code, PGORM_ERR_INVALID);
    /* no callback: nothing can own the rows, nothing is sent */
    store_stream(f.db, NULL, 10, NULL, NULL);
    pgorm_find_stream(f.db, &store_model, NULL, 10, NULL, NULL, NULL);
    pgorm_db_run_sync(f.db, 5000);
    assert_int_equal(lt_count(&f, "%store%"), 0);
    /* the same without the cycle streams */
    e = (end_rec){0, 0, PGORM_OK, ""};
    pgt_exec(f.c, "INSERT INTO store (name) SELECT 's' || g FROM generate_series(1, 25) g");
    store_stream(f.db, NULL, 10, on_stores, &e);
    pgorm_db_run_sync(f.db, 5000);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.code, PGORM_OK);
    assert_int_equal(e.batches, 2);
    lt_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_with_links),
        cmocka_unit_test(test_stream_memory_bounded),
        cmocka_unit_test(test_stream_with_filters_and_link_options),
        cmocka_unit_test(test_stream_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
