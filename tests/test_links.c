/* fetch_links and BackReference access against a real PostgreSQL.
 *
 * What the issue asks, each checked on the server or against hand-written
 * SQL: a find of 1000 novels by 100 writers with their links is ONE
 * statement (pg_stat_statements) and gives 100 distinct Writer structs;
 * two back references on 50 writers (20 novels, 5 prizes each) give 50 rows
 * with 20 and 5 items; limit / offset page the outer rows; a NULL foreign
 * key comes back as ref == NULL; depth 2 both ways (novel -> writer ->
 * nation; writer -> novels -> press) and a cycle (store -> manager ->
 * store) terminate, with shared structs; the links chosen by name; same
 * column names in two tables; a back reference filtered and paged returns
 * exactly what the hand-written query returns; the ambiguous
 * BackReference[Movie.original_language].
 */
#include "linktest.h"

#include <stdlib.h>

#include "runtime/relations/links.h"

/* ------------------------------------------------------------------ */

/* Distinct pointers among n (n small enough for a quadratic scan). */
static size_t distinct(void *const *p, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && p[j] != p[i])
            j++;
        d += j == i;
    }
    return d;
}

/* The first column of every row, as int64 (a new array, free()). */
static int64_t *query_ids(PGconn *c, const char *sql, size_t *n)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    *n = (size_t)PQntuples(r);
    int64_t *ids = calloc(*n + 1, sizeof *ids);
    for (size_t i = 0; i < *n; i++)
        ids[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
    PQclear(r);
    return ids;
}

/* ------------------------------------------------------------------ */
/* Forward links                                                       */

static void test_forward_one_statement_identity(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_forward");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *rows = NULL;
    lt_count_start(&f);
    pgt_ok(novel_find_sync(f.db, &(NovelQuery){.fetch_links = true, .order = {{NOVEL_ID, false}}},
                           &rows, &err),
           &err, "novel_find_sync");
    /* counted by the server: one statement, and it is the find */
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(lt_count(&f, "%novel%"), 1);
    assert_int_equal(rows->count, 1000);

    void **writers = calloc(1000, sizeof *writers);
    void **editors = calloc(2000, sizeof *editors);
    size_t nw = 0, ne = 0, no_editor = 0, no_press = 0;
    for (size_t i = 0; i < rows->count; i++) {
        const Novel *n = &rows->items[i];
        int64_t g = (int64_t)i + 1;
        assert_int_equal(n->id, g);
        assert_non_null(n->writer.ref);
        assert_int_equal(n->writer.ref->id, n->writer.key);
        assert_int_equal(n->writer.key, 1 + g % 100);
        char name[32];
        snprintf(name, sizeof name, "writer %lld", (long long)n->writer.key);
        assert_string_equal(n->writer.ref->name, name);
        writers[nw++] = n->writer.ref;
        editors[ne++] = n->writer.ref;
        if (n->editor.has_key) {
            assert_non_null(n->editor.ref);
            assert_int_equal(n->editor.ref->id, n->editor.key);
            editors[ne++] = n->editor.ref;
        } else {
            assert_null(n->editor.ref); /* LEFT JOIN: the row is still there */
            no_editor++;
        }
        if (n->press.has_key) {
            assert_non_null(n->press.ref);
            assert_int_equal(n->press.ref->id, n->press.key);
            snprintf(name, sizeof name, "press %d", n->press.key);
            assert_string_equal(n->press.ref->name, name); /* Press.name, not Writer.name */
        } else {
            assert_null(n->press.ref);
            no_press++;
        }
        /* depth 1: the writer's own links are not loaded */
        assert_null(n->writer.ref->nation.ref);
        assert_false(n->writer.ref->novels.loaded);
    }
    assert_int_equal(no_editor, 333);
    assert_int_equal(no_press, 200);
    /* one struct per writer, whether reached as writer or as editor */
    assert_int_equal(distinct(writers, nw), 100);
    assert_int_equal(distinct(editors, ne), 100);
    free(writers);
    free(editors);
    novel_rows_free(rows);
    lt_close(&f);
}

static void test_nullable_and_filtered(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_nullable");
    lt_fill(&f);
    pgorm_error err = {0};
    /* only rows without an editor, with a filter and an order on the outer model */
    NovelRows *rows = NULL;
    NovelQuery q = {.where = PGORM_AND(novel_editor_is_null(), novel_pages_gt(100)),
                    .order = {{NOVEL_TITLE, true}},
                    .fetch_links = true};
    pgt_ok(novel_find_sync(f.db, &q, &rows, &err), &err, "novel_find_sync");
    size_t n = 0;
    int64_t *want = query_ids(f.c,
                              "SELECT id FROM novel WHERE editor_id IS NULL AND pages > 100 "
                              "ORDER BY title DESC",
                              &n);
    assert_int_equal(rows->count, n);
    assert_true(n > 100);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows->items[i].id, want[i]);
        assert_false(rows->items[i].editor.has_key);
        assert_null(rows->items[i].editor.ref);
        assert_non_null(rows->items[i].writer.ref);
    }
    free(want);
    novel_rows_free(rows);
    /* a find with nothing to find */
    pgt_ok(novel_find_sync(f.db, &(NovelQuery){.where = novel_id_lt(0), .fetch_links = true}, &rows,
                           &err),
           &err, "novel_find_sync");
    assert_int_equal(rows->count, 0);
    novel_rows_free(rows);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Back references                                                     */

/* 50 writers with 20 novels and 5 prizes each. */
static void fill_50(lt_fixture *f)
{
    pgt_exec(f->c, "INSERT INTO writer (name) SELECT 'writer ' || g FROM generate_series(1, 50) g;"
                   "INSERT INTO novel (title, pages, writer_id) SELECT 'novel ' || g, g, "
                   "1 + (g - 1) / 20 FROM generate_series(1, 1000) g;"
                   "INSERT INTO prize (name, year, writer_id) SELECT 'prize ' || g, 1900 + g, "
                   "1 + (g - 1) / 5 FROM generate_series(1, 250) g;"
                   "ANALYZE");
}

static void test_two_back_references(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_two_back");
    fill_50(&f);
    pgorm_error err = {0};
    WriterRows *rows = NULL;
    lt_count_start(&f);
    WriterQuery q = {.fetch_links = true,
                     .links = (const char *const[]){"novels", "prizes", NULL},
                     .order = {{WRITER_ID, false}}};
    pgt_ok(writer_find_sync(f.db, &q, &rows, &err), &err, "writer_find_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(rows->count, 50); /* not 50 x 20 x 5 */
    for (size_t i = 0; i < rows->count; i++) {
        const Writer *w = &rows->items[i];
        assert_int_equal(w->id, (int64_t)i + 1);
        assert_true(w->novels.loaded && w->prizes.loaded);
        assert_int_equal(w->novels.count, 20);
        assert_int_equal(w->prizes.count, 5);
        for (size_t k = 0; k < 20; k++) {
            const Novel *n = &w->novels.items[k];
            assert_int_equal(n->id, (int64_t)(i * 20 + k + 1)); /* ordered by key */
            assert_int_equal(n->writer.key, w->id);
            assert_int_equal(n->pages, n->id);
            char title[32];
            snprintf(title, sizeof title, "novel %lld", (long long)n->id);
            assert_string_equal(n->title, title);
            assert_null(n->writer.ref); /* depth 1 */
        }
        for (size_t k = 0; k < 5; k++) {
            assert_int_equal(w->prizes.items[k].year, 1900 + (int)(i * 5 + k + 1));
            assert_int_equal(w->prizes.items[k].writer.key, w->id);
        }
        /* not chosen */
        assert_false(w->edited.loaded);
        assert_null(w->nation.ref);
    }
    writer_rows_free(rows);

    /* every link: the forward nation too, and edited (empty) */
    pgt_ok(writer_find_sync(f.db, &(WriterQuery){.fetch_links = true, .where = writer_id_le(3)},
                            &rows, &err),
           &err, "writer_find_sync all links");
    assert_int_equal(rows->count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_true(rows->items[i].edited.loaded);
        assert_int_equal(rows->items[i].edited.count, 0);
        assert_null(rows->items[i].edited.items);
        assert_int_equal(rows->items[i].novels.count, 20);
    }
    writer_rows_free(rows);
    lt_close(&f);
}

static void test_paging_counts_outer_rows(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_paging");
    fill_50(&f);
    pgorm_error err = {0};
    WriterRows *rows = NULL;
    WriterQuery q = {.fetch_links = true,
                     .order = {{WRITER_ID, true}},
                     .limit = 10,
                     .offset = 20};
    pgt_ok(writer_find_sync(f.db, &q, &rows, &err), &err, "writer_find_sync");
    assert_int_equal(rows->count, 10);
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(rows->items[i].id, 30 - (int64_t)i); /* 50..1, skip 20, take 10 */
        assert_int_equal(rows->items[i].novels.count, 20);
        assert_int_equal(rows->items[i].prizes.count, 5);
    }
    writer_rows_free(rows);
    /* a novel page with its forward links: 5 novels, not 5 joined rows of something */
    NovelRows *nr = NULL;
    pgt_ok(novel_find_sync(
               f.db,
               &(NovelQuery){
                   .fetch_links = true, .order = {{NOVEL_ID, false}}, .limit = 5, .offset = 998},
               &nr, &err),
           &err, "novel_find_sync");
    assert_int_equal(nr->count, 2);
    assert_int_equal(nr->items[0].id, 999);
    assert_int_equal(nr->items[1].writer.ref->id, 50);
    novel_rows_free(nr);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Depth, cycles, choosing links                                       */

static void test_depth2_forward_forward(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_depth2_ff");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *rows = NULL;
    lt_count_start(&f);
    NovelQuery q = {.fetch_links = true,
                    .depth = 2,
                    .links = (const char *const[]){"writer", "editor", NULL},
                    .order = {{NOVEL_ID, false}}};
    pgt_ok(novel_find_sync(f.db, &q, &rows, &err), &err, "novel_find_sync depth 2");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(rows->count, 1000);
    void *nations[3000];
    size_t nn = 0;
    for (size_t i = 0; i < rows->count; i++) {
        const Writer *w = rows->items[i].writer.ref;
        assert_non_null(w);
        if (w->nation.key) {
            assert_non_null(w->nation.ref);
            assert_string_equal(w->nation.ref->code, w->nation.key);
            nations[nn++] = w->nation.ref;
        } else {
            assert_int_equal(w->id % 4, 0);
            assert_null(w->nation.ref); /* NULL key at depth 2: LEFT JOIN */
        }
        /* depth 2 loads the writer's back references too */
        assert_true(w->novels.loaded);
        assert_int_equal(w->novels.count, 10);
        const Writer *e = rows->items[i].editor.ref;
        if (e && e->nation.key) /* below a LEFT JOIN: still joined */
            nations[nn++] = e->nation.ref;
    }
    assert_int_equal(distinct(nations, nn), 3);
    novel_rows_free(rows);
    lt_close(&f);
}

static void test_depth2_back_forward(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_depth2_bf");
    lt_fill(&f);
    pgorm_error err = {0};
    WriterRows *rows = NULL;
    lt_count_start(&f);
    /* writer -> novels -> each novel's press (a JOIN inside the subquery);
       only that path */
    WriterQuery q = {.fetch_links = true,
                     .depth = 2,
                     .links = (const char *const[]){"novels.press", NULL},
                     .order = {{WRITER_ID, false}}};
    pgt_ok(writer_find_sync(f.db, &q, &rows, &err), &err, "writer_find_sync depth 2");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(rows->count, 100);
    void *presses[1000];
    size_t np = 0, total = 0;
    for (size_t i = 0; i < rows->count; i++) {
        const Writer *w = &rows->items[i];
        assert_null(w->nation.ref); /* not chosen */
        assert_false(w->prizes.loaded);
        assert_true(w->novels.loaded);
        assert_int_equal(w->novels.count, 10);
        for (size_t k = 0; k < w->novels.count; k++) {
            const Novel *n = &w->novels.items[k];
            total++;
            assert_null(n->writer.ref); /* not chosen below novels */
            if (!n->press.has_key) {
                assert_null(n->press.ref);
                continue;
            }
            assert_non_null(n->press.ref);
            assert_int_equal(n->press.ref->id, n->press.key);
            presses[np++] = n->press.ref;
        }
    }
    assert_int_equal(total, 1000);
    assert_int_equal(np, 800);
    /* one Press per press, across writers (presses 1 and 6 have no novels) */
    assert_int_equal(distinct(presses, np), 8);
    writer_rows_free(rows);

    /* the same tree with back references nested in back references:
       nation -> writers -> novels (an ARRAY inside the ROW) */
    NationRows *nr = NULL;
    pgt_ok(nation_find_sync(f.db,
                            &(NationQuery){.fetch_links = true,
                                           .depth = 2,
                                           .links = (const char *const[]){"writers.novels", NULL},
                                           .order = {{NATION_CODE, false}}},
                            &nr, &err),
           &err, "nation_find_sync");
    assert_int_equal(nr->count, 3);
    size_t novels = 0;
    for (size_t i = 0; i < nr->count; i++) {
        assert_int_equal(nr->items[i].writers.count, 25);
        for (size_t k = 0; k < nr->items[i].writers.count; k++) {
            const Writer *w = &nr->items[i].writers.items[k];
            assert_string_equal(w->nation.key, nr->items[i].code);
            assert_true(w->novels.loaded);
            for (size_t j = 0; j < w->novels.count; j++)
                assert_int_equal(w->novels.items[j].writer.key, w->id);
            novels += w->novels.count;
        }
    }
    assert_int_equal(novels, 750); /* the writers with a nation */
    nation_rows_free(nr);
    lt_close(&f);
}

static void test_cycle_stops_at_depth(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_cycle");
    pgt_exec(f.c, "INSERT INTO store (name) VALUES ('north'), ('south');"
                  "INSERT INTO staff (name, store_id) VALUES ('ann', 1), ('bob', 1), "
                  "('cy', 2);"
                  "UPDATE store SET manager_id = 1 WHERE id = 1;"
                  "UPDATE store SET manager_id = 3 WHERE id = 2;");
    pgorm_error err = {0};
    for (int depth = 1; depth <= PGORM_MAX_DEPTH; depth++) {
        StoreRows *rows = NULL;
        StoreQuery q = {.fetch_links = true, .depth = depth, .order = {{STORE_ID, false}}};
        pgt_ok(store_find_sync(f.db, &q, &rows, &err), &err, "store_find_sync");
        assert_int_equal(rows->count, 2);
        Store *north = &rows->items[0];
        assert_string_equal(north->name, "north");
        assert_non_null(north->manager.ref);
        assert_string_equal(north->manager.ref->name, "ann");
        assert_true(north->staff.loaded);
        assert_int_equal(north->staff.count, 2);
        if (depth >= 2) {
            /* the manager's store is the store found: the same struct */
            assert_true(north->manager.ref->store.ref == north);
            assert_true(rows->items[1].manager.ref->store.ref == &rows->items[1]);
            assert_true(north->staff.items[0].store.ref == north);
        } else {
            assert_null(north->manager.ref->store.ref);
        }
        store_rows_free(rows);
    }
    lt_close(&f);
}

static void test_links_refused(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_refused");
    pgorm_error err = {0};
    WriterRows *rows = NULL;
    struct {
        WriterQuery q;
        const char *says;
    } bad[] = {
        {{.fetch_links = true, .depth = PGORM_MAX_DEPTH + 1}, "depth 5 is out of range"},
        {{.fetch_links = true, .depth = -1}, "depth -1 is out of range"},
        {{.fetch_links = true, .links = (const char *const[]){"novel", NULL}},
         "has no relation \"novel\" (it has: nation, novels, edited, prizes)"},
        {{.fetch_links = true, .links = (const char *const[]){"novels.press", NULL}},
         "goes 2 levels deep but depth is 1"},
        {{.fetch_links = true, .depth = 2, .links = (const char *const[]){"novels.", NULL}},
         "ends with a '.'"},
        {{.fetch_links = true, .limit = -1}, "must not be negative"},
        {{.fetch_links = true, .where = novel_id_eq(1)}, "a predicate is about model Novel"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(writer_find_sync(f.db, &bad[i].q, &rows, &err), -1);
        assert_null(rows);
        assert_int_equal(err.code, PGORM_ERR_INVALID);
        if (!strstr(err.message, bad[i].says))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err.message, bad[i].says);
        assert_non_null(strstr(err.message, "pgorm_find(Writer)"));
        pgorm_error_clear(&err);
    }
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* BackReference access                                                */

static void test_backref_filtered_paged(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_backref");
    lt_fill(&f);
    pgorm_error err = {0};
    Writer w = {.id = 7};
    NovelRows *rows = NULL;
    NovelQuery q = {.where = PGORM_OR(novel_pages_gt(200), novel_pages_is_null()),
                    .order = {{NOVEL_PAGES, true}, {NOVEL_ID, false}},
                    .limit = 4,
                    .offset = 1};
    lt_count_start(&f);
    pgt_ok(writer_novels_sync(f.db, &w, &q, &rows, &err), &err, "writer_novels_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    size_t n = 0;
    int64_t *want = query_ids(f.c,
                              "SELECT id FROM novel WHERE writer_id = 7 AND (pages > 200 OR "
                              "pages IS NULL) ORDER BY pages DESC, id LIMIT 4 OFFSET 1",
                              &n);
    assert_int_equal(n, 4);
    assert_int_equal(rows->count, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rows->items[i].id, want[i]);
    free(want);
    /* the row's BackReference is those rows */
    assert_true(w.novels.loaded);
    assert_int_equal(w.novels.count, 4);
    assert_true(w.novels.items == rows->items);
    novel_rows_free(rows);

    /* no query: every one, by key */
    Writer w2 = {.id = 8};
    pgt_ok(writer_novels_sync(f.db, &w2, NULL, &rows, &err), &err, "writer_novels_sync all");
    want = query_ids(f.c, "SELECT id FROM novel WHERE writer_id = 8 ORDER BY id", &n);
    assert_int_equal(rows->count, n);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rows->items[i].id, want[i]);
    free(want);
    novel_rows_free(rows);

    /* the count, with and without a filter */
    int64_t count = -1;
    pgt_ok(writer_novels_count_sync(f.db, &w, novel_pages_gt(200), &count, &err), &err,
           "writer_novels_count_sync");
    assert_int_equal(count, pgt_query_int(f.c, "SELECT count(*) FROM novel WHERE writer_id = 7 "
                                               "AND pages > 200"));
    pgt_ok(writer_novels_count_sync(f.db, &w, (pgorm_pred){0}, &count, &err), &err,
           "writer_novels_count_sync");
    assert_int_equal(count, 10);

    /* the other side of the nullable foreign key: Writer.edited (Novel.editor) */
    pgt_ok(writer_edited_sync(f.db, &w, &(NovelQuery){.order = {{NOVEL_ID, false}}}, &rows, &err),
           &err, "writer_edited_sync");
    want = query_ids(f.c, "SELECT id FROM novel WHERE editor_id = 7 ORDER BY id", &n);
    assert_true(n > 0);
    assert_int_equal(rows->count, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rows->items[i].id, want[i]);
    free(want);
    novel_rows_free(rows);
    pgt_ok(writer_edited_count_sync(f.db, &w, (pgorm_pred){0}, &count, &err), &err,
           "writer_edited_count_sync");
    assert_int_equal((size_t)count, n);

    /* with fetch_links: the novels' press and writer in the same statement */
    lt_count_start(&f);
    pgt_ok(writer_novels_sync(
               f.db, &w,
               &(NovelQuery){.where = novel_press_not_null(), .fetch_links = true, .limit = 3},
               &rows, &err),
           &err, "writer_novels_sync fetch_links");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(rows->count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_non_null(rows->items[i].press.ref);
        assert_int_equal(rows->items[i].writer.ref->id, 7);
        assert_true(rows->items[i].writer.ref == rows->items[0].writer.ref);
    }
    novel_rows_free(rows);

    /* refused: a row without its key, a predicate of the wrong model, no out */
    WriterRows *wr = NULL;
    assert_int_equal(nation_writers_sync(f.db, &(Nation){0}, NULL, &wr, &err), -1);
    assert_null(wr);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "the row's key code is not set"));
    pgorm_error_clear(&err);
    Press p0 = {0};
    assert_int_equal(press_novels_sync(f.db, &p0, NULL, &rows, &err), 0); /* id 0: no rows */
    assert_int_equal(rows->count, 0);
    novel_rows_free(rows);
    assert_int_equal(writer_novels_sync(f.db, &w,
                                        &(NovelQuery){.where = writer_id_eq(1)}, &rows, &err),
                     -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "a predicate is about model Writer, not Novel"));
    pgorm_error_clear(&err);
    assert_int_equal(writer_novels_sync(f.db, &w, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    pgorm_error_clear(&err);
    lt_close(&f);
}

static void test_backref_ambiguous_form(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_ambiguous");
    pgt_exec(f.c, "INSERT INTO language (name) VALUES ('English'), ('French'), ('Japanese');"
                  "INSERT INTO movie (title, language_id, original_language_id) VALUES "
                  "('Amelie', 2, 2), ('Seven Samurai (dub)', 1, 3), ('Ran (dub)', 2, 3), "
                  "('Heat', 1, NULL);");
    pgorm_error err = {0};
    Language ja = {.id = 3}, en = {.id = 1};
    MovieRows *rows = NULL;
    pgt_ok(language_original_sync(f.db, &ja, NULL, &rows, &err), &err, "language_original_sync");
    assert_int_equal(rows->count, 2);
    assert_string_equal(rows->items[0].title, "Seven Samurai (dub)");
    assert_string_equal(rows->items[1].title, "Ran (dub)");
    movie_rows_free(rows);
    pgt_ok(language_movies_sync(f.db, &ja, NULL, &rows, &err), &err, "language_movies_sync");
    assert_int_equal(rows->count, 0);
    movie_rows_free(rows);
    int64_t count = 0;
    pgt_ok(language_movies_count_sync(f.db, &en, (pgorm_pred){0}, &count, &err), &err,
           "language_movies_count_sync");
    assert_int_equal(count, 2);
    /* both back references in one fetch, told apart */
    LanguageRows *lr = NULL;
    pgt_ok(language_find_sync(
               f.db, &(LanguageQuery){.fetch_links = true, .order = {{LANGUAGE_ID, false}}}, &lr,
               &err),
           &err, "language_find_sync");
    assert_int_equal(lr->count, 3);
    assert_int_equal(lr->items[0].movies.count, 2);
    assert_int_equal(lr->items[0].original.count, 0);
    assert_int_equal(lr->items[1].movies.count, 2);
    assert_int_equal(lr->items[1].original.count, 1);
    assert_int_equal(lr->items[2].movies.count, 0);
    assert_int_equal(lr->items[2].original.count, 2);
    language_rows_free(lr);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Out of memory at every allocation                                   */

static void oom_scenario(void *conninfo)
{
    pgorm_db *db = lt_oom_connect(conninfo);
    if (!db)
        return;
    pgorm_error err = {0};
    /* both back references and the forward link, then one level more */
    WriterRows *wr = NULL;
    int rc = writer_find_sync(db, &(WriterQuery){.fetch_links = true, .depth = 2}, &wr, &err);
    if (rc == 0) {
        assert_int_equal(wr->count, 3);
        assert_int_equal(wr->items[0].novels.count, 2);
        assert_true(wr->items[0].novels.items[0].writer.ref == &wr->items[0]);
        assert_int_equal(wr->items[0].prizes.count, 1);
    }
    writer_rows_free(wr);
    lt_oom_ok(rc, &err);
    /* a cycle (whole-result path) */
    StoreRows *sr = NULL;
    rc = store_find_sync(db, &(StoreQuery){.fetch_links = true, .depth = 2}, &sr, &err);
    if (rc == 0)
        assert_true(sr->items[0].manager.ref->store.ref == &sr->items[0]);
    store_rows_free(sr);
    lt_oom_ok(rc, &err);
    /* a back reference, filtered and paged, and its count */
    Writer w = {.id = 1};
    NovelRows *nr = NULL;
    rc = writer_novels_sync(db, &w, &(NovelQuery){.where = novel_pages_gt(0), .limit = 5}, &nr,
                            &err);
    if (rc == 0)
        assert_true(w.novels.loaded && w.novels.count == 2);
    novel_rows_free(nr);
    lt_oom_ok(rc, &err);
    int64_t n = 0;
    lt_oom_ok(writer_novels_count_sync(db, &w, novel_pages_gt(0), &n, &err), &err);
    /* refused, and freed before it ran */
    assert_int_equal(writer_find_sync(db, &(WriterQuery){.fetch_links = true, .depth = 9}, &wr,
                                      &err),
                     -1);
    assert_true(err.code == PGORM_ERR_INVALID || err.code == PGORM_ERR_NOMEM);
    pgorm_error_clear(&err);
    pgorm_db_free(db);
}

static void test_oom_walk(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "links_oom");
    pgt_exec(f.c, "INSERT INTO writer (name) VALUES ('a'), ('b'), ('c');"
                  "INSERT INTO novel (title, pages, writer_id, editor_id) VALUES "
                  "('n1', 10, 1, 2), ('n2', 20, 1, NULL), ('n3', 30, 2, 1);"
                  "INSERT INTO prize (name, year, writer_id) VALUES ('p', 2000, 1);"
                  "INSERT INTO store (name) VALUES ('s');"
                  "INSERT INTO staff (name, store_id) VALUES ('m', 1);"
                  "UPDATE store SET manager_id = 1;");
    pgt_oom_walk(oom_scenario, f.d.conninfo, 20);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* The SQL itself                                                      */

static void test_sql_shape(void **state)
{
    (void)state;
    pgorm_buf vals = PGORM_BUF_INIT;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &vals, &writer_model, "test");
    link_plan p;
    WriterQuery q = {.fetch_links = true, .links = (const char *const[]){"nation", "novels", NULL}};
    assert_int_equal(link_plan_build(&p, &writer_model, &q, &b), 0);
    link_sql_select(&b, &p);
    assert_string_equal(b.sql.data,
                        "SELECT t0.\"id\", t0.\"name\", t0.\"email\", t0.\"nation_id\", "
                        "t1.\"code\", t1.\"name\", ARRAY(SELECT ROW(t2.\"id\", t2.\"title\", "
                        "t2.\"pages\", t2.\"writer_id\", t2.\"editor_id\", t2.\"press_id\") "
                        "FROM \"novel\" t2 WHERE t2.\"writer_id\" = t0.\"id\" ORDER BY "
                        "t2.\"id\") FROM \"writer\" t0 LEFT JOIN \"nation\" t1 ON t1.\"code\" = "
                        "t0.\"nation_id\"");
    link_plan_free(&p);
    pgorm_sqlb_free(&b);
    pgorm_buf_free(&vals);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_shape),
        cmocka_unit_test(test_forward_one_statement_identity),
        cmocka_unit_test(test_nullable_and_filtered),
        cmocka_unit_test(test_two_back_references),
        cmocka_unit_test(test_paging_counts_outer_rows),
        cmocka_unit_test(test_depth2_forward_forward),
        cmocka_unit_test(test_depth2_back_forward),
        cmocka_unit_test(test_cycle_stops_at_depth),
        cmocka_unit_test(test_links_refused),
        cmocka_unit_test(test_backref_filtered_paged),
        cmocka_unit_test(test_backref_ambiguous_form),
        cmocka_unit_test(test_oom_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
