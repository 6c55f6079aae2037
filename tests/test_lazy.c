/* Lazy loading of ForeignKeys against a real PostgreSQL, statements counted
 * on the server (pg_stat_statements):
 *  - one row: ref set, into the rows the caller gets; a loaded ref is not
 *    fetched again; a NULL key loads as ref == NULL with no statement; a
 *    key the server does not have gives ref == NULL; a text key;
 *  - many rows in one query, distinct related rows shared;
 *  - 1000 lazy loads issued in one turn of a libuv loop (of two relations
 *    to the same model) make ONE statement, and each callback runs once, in
 *    order, with its own row's ref set;
 *  - the same merging before a _sync drive;
 *  - refusals through the callback, and a handle freed with loads pending;
 *  - rows decoded once per batch and shared: two requests for the same
 *    row get their own structs with equal content, and freeing one result
 *    leaves the others valid.
 */
#include "linktest.h"

#include <stdlib.h>

#include "pgorm/adapters/libuv.h"

static void test_load_one(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "lazy_one");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *nr = NULL;
    pgt_ok(novel_find_sync(f.db,
                           &(NovelQuery){.where = novel_id_le(10), .order = {{NOVEL_ID, false}}},
                           &nr, &err),
           &err, "novel_find_sync");
    Novel *n = &nr->items[2]; /* id 3: writer 4, no editor (3 % 3 == 0), press 4 */
    assert_null(n->writer.ref);

    lt_count_start(&f);
    WriterRows *wr = NULL;
    pgt_ok(novel_load_writer_sync(f.db, n, &wr, &err), &err, "novel_load_writer_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(wr->count, 1);
    assert_true(wr->columns == WRITER_ALL_COLUMNS); /* a lazy load reads every column */
    assert_true(n->writer.ref == &wr->items[0]);
    assert_int_equal(n->writer.ref->id, 4);
    assert_string_equal(n->writer.ref->name, "writer 4");
    assert_string_equal(n->writer.ref->email, "w4@example.org");

    /* loaded: not fetched again */
    WriterRows *again = NULL;
    pgt_ok(novel_load_writer_sync(f.db, n, &again, &err), &err, "novel_load_writer_sync again");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(again->count, 0);
    assert_true(n->writer.ref == &wr->items[0]);
    writer_rows_free(again);
    /* asked again (ref reset): fetched */
    n->writer.ref = NULL;
    pgt_ok(novel_load_writer_sync(f.db, n, &again, &err), &err, "novel_load_writer_sync reload");
    assert_int_equal(lt_count(&f, NULL), 2);
    assert_true(n->writer.ref == &again->items[0]);
    writer_rows_free(again);
    writer_rows_free(wr);

    /* a NULL foreign key: ref NULL, no error, nothing sent */
    assert_false(n->editor.has_key);
    pgt_ok(novel_load_editor_sync(f.db, n, &wr, &err), &err, "novel_load_editor_sync");
    assert_int_equal(wr->count, 0);
    assert_null(n->editor.ref);
    assert_int_equal(lt_count(&f, NULL), 2);
    writer_rows_free(wr);

    /* a key the server does not have */
    Novel ghost = {.writer.key = 424242};
    pgt_ok(novel_load_writer_sync(f.db, &ghost, &wr, &err), &err, "novel_load_writer_sync ghost");
    assert_int_equal(wr->count, 0);
    assert_null(ghost.writer.ref);
    writer_rows_free(wr);

    /* a text key (Nation.code, varchar(2)) and an int4 one (Press.id) */
    WriterRows *w1 = NULL;
    pgt_ok(writer_find_sync(f.db, &(WriterQuery){.where = writer_id_eq(5)}, &w1, &err), &err,
           "writer_find_sync");
    NationRows *na = NULL;
    pgt_ok(writer_load_nation_sync(f.db, &w1->items[0], &na, &err), &err,
           "writer_load_nation_sync");
    assert_int_equal(na->count, 1);
    assert_string_equal(w1->items[0].nation.ref->code, "fr");
    assert_string_equal(w1->items[0].nation.ref->name, "France");
    nation_rows_free(na);
    writer_rows_free(w1);
    PressRows *pr = NULL;
    pgt_ok(novel_load_press_sync(f.db, n, &pr, &err), &err, "novel_load_press_sync");
    assert_int_equal(n->press.ref->id, 4);
    assert_string_equal(n->press.ref->name, "press 4");
    press_rows_free(pr);
    novel_rows_free(nr);

    /* out is required: the refs point into it */
    Novel n2 = {.writer.key = 1};
    assert_int_equal(novel_load_writer_sync(f.db, &n2, NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_null(n2.writer.ref);
    pgorm_error_clear(&err);
    lt_close(&f);
}

static void test_load_many(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "lazy_many");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *nr = NULL;
    pgt_ok(novel_find_sync(f.db, &(NovelQuery){.order = {{NOVEL_ID, false}}}, &nr, &err), &err,
           "novel_find_sync");
    assert_int_equal(nr->count, 1000);
    /* one row loaded already: kept as it is */
    Writer mine = {.id = 2, .name = "mine"};
    nr->items[0].writer.ref = &mine;

    lt_count_start(&f);
    WriterRows *wr = NULL;
    pgt_ok(novel_load_writer_many_sync(f.db, nr->items, nr->count, &wr, &err), &err,
           "novel_load_writer_many_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(lt_count(&f, "%= ANY%"), 1);
    assert_int_equal(wr->count, 100);
    assert_true(nr->items[0].writer.ref == &mine);
    for (size_t i = 1; i < nr->count; i++) {
        const Writer *w = nr->items[i].writer.ref;
        assert_non_null(w);
        assert_int_equal(w->id, nr->items[i].writer.key);
        /* one struct per writer, in the result */
        assert_true(w >= wr->items && w < wr->items + wr->count);
        if (i + 100 < nr->count) /* the same writer 100 novels later */
            assert_true(w == nr->items[i + 100].writer.ref);
    }
    /* in the order the rows name them: novel 2 -> writer 3, novel 3 -> writer 4 ... */
    assert_int_equal(wr->items[0].id, 3);
    assert_int_equal(wr->items[1].id, 4);

    /* the nullable one: NULL keys stay NULL, in the same one statement */
    WriterRows *er = NULL;
    pgt_ok(novel_load_editor_many_sync(f.db, nr->items, nr->count, &er, &err), &err,
           "novel_load_editor_many_sync");
    assert_int_equal(lt_count(&f, NULL), 2);
    size_t none = 0;
    for (size_t i = 0; i < nr->count; i++) {
        if (nr->items[i].editor.has_key)
            assert_int_equal(nr->items[i].editor.ref->id, nr->items[i].editor.key);
        else
            none += nr->items[i].editor.ref == NULL;
    }
    assert_int_equal(none, 333);
    writer_rows_free(er);
    writer_rows_free(wr);

    /* n == 0: nothing sent, an empty result */
    pgt_ok(novel_load_writer_many_sync(f.db, NULL, 0, &wr, &err), &err, "load_many of 0");
    assert_int_equal(wr->count, 0);
    writer_rows_free(wr);
    assert_int_equal(lt_count(&f, NULL), 2);
    novel_rows_free(nr);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Merging: 1000 loads in one turn of a libuv loop                     */

#define NLOAD 1000

typedef struct merge_run {
    lt_fixture *f;
    pgorm_db *db;
    NovelRows *novels;
    int calls[2 * NLOAD];
    int order[2 * NLOAD];
    int ncalls;
    int bad;
    int64_t statements;
} merge_run;

typedef struct merge_ud {
    merge_run *run;
    int index; /* < NLOAD: writer of novel index; else editor of index - NLOAD */
} merge_ud;

static merge_ud g_uds[2 * NLOAD];

static void on_loaded(WriterRows *rows, const pgorm_error *err, void *ud)
{
    merge_ud *u = ud;
    merge_run *r = u->run;
    r->calls[u->index]++;
    r->order[r->ncalls++] = u->index;
    Novel *n = &r->novels->items[u->index % NLOAD];
    bool editor = u->index >= NLOAD;
    if (err) {
        r->bad++;
    } else if (!editor) {
        /* its own row's ref, into its own rows */
        if (rows->count != 1 || n->writer.ref != &rows->items[0] ||
            n->writer.ref->id != n->writer.key)
            r->bad++;
        n->writer.ref = NULL; /* the rows go now */
    } else if (n->editor.has_key ? rows->count != 1 || n->editor.ref != &rows->items[0] ||
                                       n->editor.ref->id != n->editor.key
                                 : rows->count != 0 || n->editor.ref != NULL) {
        r->bad++;
    } else {
        n->editor.ref = NULL;
    }
    writer_rows_free(rows);
    if (r->ncalls == 2 * NLOAD) {
        r->statements = lt_count(r->f, NULL);
        novel_rows_free(r->novels);
        r->novels = NULL;
        pgorm_db_free(r->db); /* the loop ends */
    }
}

static void on_novels(NovelRows *rows, const pgorm_error *err, void *ud)
{
    merge_run *r = ud;
    if (err || rows->count != NLOAD) {
        r->bad = 1000000;
        novel_rows_free(rows);
        pgorm_db_free(r->db);
        return;
    }
    r->novels = rows;
    lt_count_start(r->f);
    /* one turn of the loop: 1000 loads of writers, 1000 of editors */
    for (int i = 0; i < NLOAD; i++) {
        g_uds[i] = (merge_ud){r, i};
        novel_load_writer(r->db, &rows->items[i], on_loaded, &g_uds[i]);
        g_uds[NLOAD + i] = (merge_ud){r, NLOAD + i};
        novel_load_editor(r->db, &rows->items[i], on_loaded, &g_uds[NLOAD + i]);
    }
}

static void on_connect(pgorm_db *db, const pgorm_error *err, void *ud)
{
    merge_run *r = ud;
    if (err) {
        r->bad = 1000000;
        pgorm_db_free(db);
        return;
    }
    novel_find(db, &(NovelQuery){.order = {{NOVEL_ID, false}}, .limit = NLOAD}, on_novels, r);
}

static void test_merge_in_one_loop_turn(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "lazy_merge");
    lt_fill(&f);
    static merge_run r;
    memset(&r, 0, sizeof r);
    r.f = &f;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    r.db = pgt_db_new(NULL);
    assert_non_null(r.db);
    assert_int_equal(pgorm_libuv_attach(r.db, &loop), 0);
    pgorm_db_connect(r.db, f.d.conninfo, on_connect, &r);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(r.bad, 0);
    assert_int_equal(r.ncalls, 2 * NLOAD);
    for (int i = 0; i < 2 * NLOAD; i++) {
        assert_int_equal(r.calls[i], 1);
        /* in the order the loads were made */
        assert_int_equal(r.order[i], i % 2 ? NLOAD + i / 2 : i / 2);
    }
    /* 2000 loads, one statement, counted on the server */
    assert_int_equal(r.statements, 1);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Merging before a _sync drive; refusals; a freed handle              */

typedef struct seen {
    int calls;
    pgorm_errcode code;
    size_t count;
    char message[256];
    WriterRows *rows; /* kept: the refs point into them */
} seen;

static void on_seen(WriterRows *rows, const pgorm_error *err, void *ud)
{
    seen *s = ud;
    s->calls++;
    s->code = err ? err->code : PGORM_OK;
    s->count = rows ? rows->count : 0;
    if (err)
        snprintf(s->message, sizeof s->message, "%s", err->message);
    s->rows = rows;
}

static void on_seen_nation(NationRows *rows, const pgorm_error *err, void *ud)
{
    seen *s = ud;
    s->calls++;
    s->code = err ? err->code : PGORM_OK;
    s->count = rows ? rows->count : 0;
    nation_rows_free(rows);
}

static void test_merge_sync_and_refusals(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "lazy_sync");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *nr = NULL;
    pgt_ok(
        novel_find_sync(f.db, &(NovelQuery){.order = {{NOVEL_ID, false}}, .limit = 50}, &nr, &err),
        &err, "novel_find_sync");
    lt_count_start(&f);
    seen s[50] = {{0}}, bad = {0}, nat = {0};
    for (int i = 0; i < 50; i++)
        novel_load_writer(f.db, &nr->items[i], on_seen, &s[i]);
    /* refused, in the same turn: a BackReference is not a ForeignKey */
    pgorm_load(f.db, &novel_model, 99, nr->items, 1, NULL, NULL, NULL);
    pgorm_load(f.db, &writer_model, 1, nr->items, 1, NULL, NULL, NULL);
    novel_load_writer_many(f.db, NULL, 3, on_seen, &bad);
    /* another model: its own statement */
    WriterRows *wr = NULL;
    pgt_ok(writer_find_sync(f.db, &(WriterQuery){.limit = 3}, &wr, &err), &err, "writer_find");
    writer_load_nation_many(f.db, wr->items, wr->count, on_seen_nation, &nat);
    assert_int_equal(pgorm_db_run_sync(f.db, -1), 0);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(s[i].calls, 1);
        assert_int_equal(s[i].code, PGORM_OK);
        assert_int_equal(s[i].count, 1);
        assert_int_equal(nr->items[i].writer.ref->id, nr->items[i].writer.key);
        assert_true(nr->items[i].writer.ref == &s[i].rows->items[0]);
        nr->items[i].writer.ref = NULL;
        writer_rows_free(s[i].rows);
    }
    assert_int_equal(bad.calls, 1);
    assert_int_equal(bad.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(bad.message, "3 rows but the array is NULL"));
    assert_int_equal(nat.calls, 1);
    assert_int_equal(nat.code, PGORM_OK);
    /* the writers' load was one statement, the nations' another, plus the find */
    assert_int_equal(lt_count(&f, "%FROM \"writer\" WHERE \"id\" = ANY%"), 1);
    assert_int_equal(lt_count(&f, "%FROM \"nation\"%"), 1);
    assert_int_equal(lt_count(&f, NULL), 3);
    writer_rows_free(wr);

    /* a handle freed with loads held: each callback once, CLOSED */
    seen c[3] = {{0}};
    for (int i = 0; i < 3; i++)
        novel_load_writer(f.db, &nr->items[i], on_seen, &c[i]);
    pgorm_db_free(f.db);
    f.db = NULL;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].code, PGORM_ERR_CLOSED);
        assert_null(c[i].rows);
        assert_null(nr->items[i].writer.ref);
    }
    novel_rows_free(nr);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Out of memory at every allocation                                   */

typedef struct oom_calls {
    int n;
    WriterRows *rows[4];
} oom_calls;

static void on_oom_load(WriterRows *rows, const pgorm_error *err, void *ud)
{
    oom_calls *c = ud;
    if (err && err->code != PGORM_ERR_NOMEM && err->code != PGORM_ERR_CLOSED &&
        err->code != PGORM_ERR_CONNECTION_LOST)
        fail_msg("unexpected error under allocation failure: %s", err->message);
    c->rows[c->n++] = rows;
}

static void oom_scenario(void *conninfo)
{
    pgorm_db *db = lt_oom_connect(conninfo);
    if (!db)
        return;
    pgorm_error err = {0};
    Novel n[3] = {{.writer.key = 1, .editor.key = 2, .editor.has_key = true},
                  {.writer.key = 2},
                  {.writer.key = 1}};
    /* merged: three loads and a many-load, one statement */
    oom_calls c = {0};
    novel_load_writer(db, &n[0], on_oom_load, &c);
    novel_load_writer(db, &n[1], on_oom_load, &c);
    novel_load_editor(db, &n[0], on_oom_load, &c);
    novel_load_writer_many(db, n, 3, on_oom_load, &c);
    pgorm_db_run_sync(db, 10000);
    assert_int_equal(c.n, 4);
    for (int i = 0; i < 4; i++)
        writer_rows_free(c.rows[i]);
    /* sync, with a text key */
    Writer w = {.id = 1, .nation.key = "fr"};
    NationRows *na = NULL;
    int rc = writer_load_nation_sync(db, &w, &na, &err);
    if (rc == 0)
        assert_string_equal(w.nation.ref->name, "France");
    nation_rows_free(na);
    lt_oom_ok(rc, &err);
    /* freed with a load held */
    oom_calls d = {0};
    n[2].writer.ref = NULL;
    novel_load_writer(db, &n[2], on_oom_load, &d);
    pgorm_db_free(db);
    assert_int_equal(d.n, 1);
    assert_null(d.rows[0]);
}

/* ------------------------------------------------------------------ */
/* Rows decoded once per batch, shared by its requests                 */

static void test_shared_rows(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "lazy_shared");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *nr = NULL;
    pgt_ok(novel_find_sync(f.db, &(NovelQuery){.order = {{NOVEL_ID, false}}, .limit = 300},
                           &nr, &err),
           &err, "novel_find_sync");
    /* novels 1, 101 and 201 (items 0, 100, 200) are by writer 2 */
    Novel *a = &nr->items[0], *b = &nr->items[100], *c = &nr->items[200];
    assert_int_equal(a->writer.key, 2);
    assert_int_equal(b->writer.key, 2);
    assert_int_equal(c->writer.key, 2);
    lt_count_start(&f);
    seen sa = {0}, sb = {0}, sm = {0};
    novel_load_writer(f.db, a, on_seen, &sa);
    novel_load_writer(f.db, b, on_seen, &sb);
    /* and a request of many rows naming writer 2: novels 199..202 are by
       writers 100, 1, 2, 3 */
    novel_load_writer_many(f.db, &nr->items[198], 4, on_seen, &sm);
    assert_int_equal(pgorm_db_run_sync(f.db, -1), 0);
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(sa.calls, 1);
    assert_int_equal(sb.calls, 1);
    assert_int_equal(sm.calls, 1);
    assert_int_equal(sa.count, 1);
    assert_int_equal(sb.count, 1);
    assert_int_equal(sm.count, 4);
    /* each request its own struct, with equal content */
    assert_true(a->writer.ref == &sa.rows->items[0]);
    assert_true(b->writer.ref == &sb.rows->items[0]);
    assert_true(a->writer.ref != b->writer.ref);
    assert_true(c->writer.ref == &sm.rows->items[2]);
    const Writer *wa = a->writer.ref, *wb = b->writer.ref, *wm = c->writer.ref;
    assert_int_equal(wa->id, 2);
    assert_int_equal(wb->id, 2);
    assert_int_equal(wm->id, 2);
    assert_string_equal(wa->name, "writer 2");
    assert_string_equal(wb->name, wa->name);
    assert_string_equal(wm->email, "w2@example.org");
    /* rows are the caller's: changing one request's row leaves the others */
    sb.rows->items[0].id = 99;
    assert_int_equal(wa->id, 2);
    assert_int_equal(wm->id, 2);
    /* freeing one result leaves the others valid (ASan / valgrind check the
       strings read below) */
    writer_rows_free(sa.rows);
    assert_string_equal(wb->name, "writer 2");
    assert_string_equal(wm->name, "writer 2");
    assert_string_equal(wb->email, "w2@example.org");
    writer_rows_free(sm.rows);
    assert_string_equal(wb->name, "writer 2");
    assert_string_equal(wb->email, "w2@example.org");
    writer_rows_free(sb.rows);
    novel_rows_free(nr);
    lt_close(&f);
}

static void test_oom_walk(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "lazy_oom");
    pgt_exec(f.c, "INSERT INTO nation (code, name) VALUES ('fr', 'France');"
                  "INSERT INTO writer (name, nation_id) VALUES ('a', 'fr'), ('b', NULL);");
    pgt_oom_walk(oom_scenario, f.d.conninfo, 20);
    lt_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_one),
        cmocka_unit_test(test_load_many),
        cmocka_unit_test(test_merge_in_one_loop_turn),
        cmocka_unit_test(test_merge_sync_and_refusals),
        cmocka_unit_test(test_shared_rows),
        cmocka_unit_test(test_oom_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
