/* Filters across relations and options per fetched link, against a real
 * PostgreSQL.
 *
 * Relation predicates (<model>_<fk>_where, <model>_<backref>_any / _none /
 * _count_*), nested and combined with AND / OR / NOT, in find, count,
 * update-where, delete-where, back reference calls and inside a link's
 * where; link options (where, order, limit, offset of a BackReference's
 * items at depth 1 and 2; where and inner on a ForeignKey, nested and
 * inside a back reference). Each is ONE statement, counted on the server
 * (pg_stat_statements), and returns what hand-written SQL run through
 * blocking libpq returns. Bad input is refused before anything is sent
 * (zero statements on the server).
 */
#include "linktest.h"

#include <stdlib.h>

#include "runtime/relations/links.h"

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

/* got[0..n) (of stride `size`, the int64 id at offset 0) is exactly what
   `sql` returns, in order; and that is `at_least` rows or more. */
static void same_ids(PGconn *c, const void *got, size_t n, size_t size, const char *sql,
                     size_t at_least, const char *what)
{
    size_t want_n = 0;
    int64_t *want = query_ids(c, sql, &want_n);
    if (want_n < at_least)
        fail_msg("%s: the hand-written query gives %zu rows, the test needs %zu or more: %s",
                 what, want_n, at_least, sql);
    if (want_n != n)
        fail_msg("%s: %zu rows, the hand-written query gives %zu: %s", what, n, want_n, sql);
    for (size_t i = 0; i < n; i++) {
        int64_t id = *(const int64_t *)(const void *)((const char *)got + i * size);
        if (id != want[i])
            fail_msg("%s: row %zu is %lld, the hand-written query says %lld", what, i,
                     (long long)id, (long long)want[i]);
    }
    free(want);
}

/* ------------------------------------------------------------------ */
/* The SQL                                                             */

static void test_sql_shape(void **state)
{
    (void)state;
    pgorm_buf vals = PGORM_BUF_INIT;
    pgorm_sqlb b;
    /* a plain statement (no alias): the outer side is the table itself */
    pgorm_sqlb_init(&b, &vals, &writer_model, "test");
    pgorm_pred w = PGORM_AND(writer_novels_any(novel_press_where(press_name_eq("x"))),
                             writer_edited_count_gt(2));
    pgorm_sqlb_where(&b, &w);
    assert_false(pgorm_sqlb_failed(&b));
    assert_string_equal(b.sql.data,
                        " WHERE (EXISTS (SELECT 1 FROM \"novel\" t0 WHERE t0.\"writer_id\" = "
                        "\"writer\".\"id\" AND (EXISTS (SELECT 1 FROM \"press\" t1 WHERE "
                        "t1.\"id\" = \"t0\".\"press_id\" AND (\"t1\".\"name\" = $1)))) AND "
                        "(SELECT count(*) FROM \"novel\" t2 WHERE t2.\"editor_id\" = "
                        "\"writer\".\"id\") > $2)");
    assert_int_equal(b.nparams, 2);
    pgorm_sqlb_free(&b);

    /* fetch_links: a filtered, paged back reference; an inner ForeignKey
       below an optional one nests its join; relation predicates take
       aliases after the tree's */
    pgorm_buf_reset(&vals);
    pgorm_sqlb_init(&b, &vals, &novel_model, "test");
    link_plan p;
    NovelQuery q = {
        .fetch_links = true,
        .depth = 2,
        .links = (const char *const[]){"writer.nation", "press.novels", NULL},
        .link_opts = PGORM_LINK_OPTS(
            {.path = "writer.nation", .where = nation_code_eq("jp"), .inner = true},
            {.path = "press.novels", .where = novel_pages_gt(100),
             .order = {PGORM_DESC(NOVEL_PAGES)}, .limit = 2, .offset = 1}),
        .where = novel_editor_where(PGORM_ALL),
    };
    assert_int_equal(link_plan_build(&p, &novel_model, &q, &b), 0);
    link_sql_select(&b, &p);
    pgorm_sqlb_where(&b, &q.where);
    assert_false(pgorm_sqlb_failed(&b));
    assert_string_equal(
        b.sql.data,
        "SELECT t0.\"id\", t0.\"title\", t0.\"pages\", t0.\"writer_id\", t0.\"editor_id\", "
        "t0.\"press_id\", t1.\"id\", t1.\"name\", t1.\"email\", t1.\"nation_id\", t2.\"code\", "
        "t2.\"name\", t3.\"id\", t3.\"name\", ARRAY(SELECT ROW(t4.\"id\", t4.\"title\", "
        "t4.\"pages\", t4.\"writer_id\", t4.\"editor_id\", t4.\"press_id\") FROM \"novel\" t4 "
        "WHERE t4.\"press_id\" = t3.\"id\" AND (\"t4\".\"pages\" > $1) ORDER BY "
        "\"t4\".\"pages\" DESC, t4.\"id\" LIMIT $2 OFFSET $3) FROM \"novel\" t0 LEFT JOIN "
        "(\"writer\" t1 JOIN \"nation\" t2 ON t2.\"code\" = t1.\"nation_id\" AND "
        "(\"t2\".\"code\" = $4)) ON t1.\"id\" = t0.\"writer_id\" LEFT JOIN \"press\" t3 ON "
        "t3.\"id\" = t0.\"press_id\" WHERE EXISTS (SELECT 1 FROM \"writer\" t5 WHERE "
        "t5.\"id\" = \"t0\".\"editor_id\")");
    link_plan_free(&p);
    pgorm_sqlb_free(&b);

    /* a table named like an alias: the subquery's alias skips its name */
    pgorm_model_desc t1 = writer_model;
    t1.table = "t0";
    pgorm_buf_reset(&vals);
    pgorm_sqlb_init(&b, &vals, &t1, "test");
    w = pgorm_rel_pred_(PGORM_PRED_REL_NONE, &t1, 1, PGORM_EQ, 0, NULL, 0);
    pgorm_sqlb_where(&b, &w);
    assert_false(pgorm_sqlb_failed(&b));
    assert_string_equal(b.sql.data, " WHERE NOT EXISTS (SELECT 1 FROM \"novel\" t1 WHERE "
                                    "t1.\"writer_id\" = \"t0\".\"id\")");
    pgorm_sqlb_free(&b);
    pgorm_buf_free(&vals);
}

/* ------------------------------------------------------------------ */
/* Relation predicates                                                 */

static void test_rel_preds_find_count(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "relf_find");
    lt_fill(&f);
    pgorm_error err = {0};
    struct {
        pgorm_pred where;
        const char *sql;
        size_t at_least;
    } cases[] = {
        {writer_novels_any(novel_pages_gt(440)),
         "SELECT w.id FROM writer w WHERE EXISTS (SELECT 1 FROM novel n WHERE n.writer_id = "
         "w.id AND n.pages > 440) ORDER BY w.id",
         5},
        {writer_novels_none(novel_pages_gt(390)),
         "SELECT w.id FROM writer w WHERE NOT EXISTS (SELECT 1 FROM novel n WHERE n.writer_id "
         "= w.id AND n.pages > 390) ORDER BY w.id",
         5},
        {writer_novels_count_where(PGORM_GE, 4, novel_pages_gt(300)),
         "SELECT w.id FROM writer w WHERE (SELECT count(*) FROM novel n WHERE n.writer_id = "
         "w.id AND n.pages > 300) >= 4 ORDER BY w.id",
         5},
        {writer_edited_count_gt(6),
         "SELECT w.id FROM writer w WHERE (SELECT count(*) FROM novel n WHERE n.editor_id = "
         "w.id) > 6 ORDER BY w.id",
         5},
        /* across a ForeignKey, then a BackReference and its ForeignKey, with NOT */
        {PGORM_AND(writer_nation_where(nation_name_eq("Japan")),
                   PGORM_NOT(writer_edited_any(novel_press_where(press_name_eq("press 3"))))),
         "SELECT w.id FROM writer w JOIN nation c ON c.code = w.nation_id WHERE c.name = "
         "'Japan' AND NOT EXISTS (SELECT 1 FROM novel n JOIN press p ON p.id = n.press_id "
         "WHERE n.editor_id = w.id AND p.name = 'press 3') ORDER BY w.id",
         3},
        {PGORM_OR(writer_edited_none(PGORM_ALL), writer_nation_where(nation_code_eq("br")),
                  writer_novels_count_lt(10)),
         "SELECT w.id FROM writer w WHERE NOT EXISTS (SELECT 1 FROM novel n WHERE n.editor_id "
         "= w.id) OR w.nation_id = 'br' ORDER BY w.id",
         5},
        /* a NULL key matches no row: writers without a nation are not in either */
        {PGORM_NOT(writer_nation_where(nation_code_eq("fr"))),
         "SELECT w.id FROM writer w WHERE NOT EXISTS (SELECT 1 FROM nation c WHERE c.code = "
         "w.nation_id AND c.code = 'fr') ORDER BY w.id",
         50},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "case %zu", i);
        WriterRows *rows = NULL;
        lt_count_start(&f);
        pgt_ok(writer_find_sync(f.db, &(WriterQuery){.where = cases[i].where,
                                                     .order = {PGORM_ASC(WRITER_ID)}},
                                &rows, &err),
               &err, what);
        assert_int_equal(lt_count(&f, NULL), 1);
        same_ids(f.c, rows->items, rows->count, sizeof(Writer), cases[i].sql, cases[i].at_least,
                 what);
        /* the count: one statement, the same number */
        int64_t count = -1;
        lt_count_start(&f);
        pgt_ok(writer_count_sync(f.db, cases[i].where, &count, &err), &err, what);
        assert_int_equal(lt_count(&f, NULL), 1);
        assert_int_equal((size_t)count, rows->count);
        writer_rows_free(rows);
    }

    /* two ForeignKeys deep, from the novels, with fetch_links (aliases after
       the tree's) and paging that still counts novels */
    NovelRows *nr = NULL;
    lt_count_start(&f);
    pgt_ok(novel_find_sync(f.db,
                           &(NovelQuery){.where = PGORM_AND(novel_writer_where(writer_nation_where(
                                                                nation_code_eq("fr"))),
                                                            novel_pages_lt(200)),
                                         .order = {PGORM_ASC(NOVEL_ID)},
                                         .fetch_links = true,
                                         .limit = 40,
                                         .offset = 5},
                           &nr, &err),
           &err, "novel_find_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    same_ids(f.c, nr->items, nr->count, sizeof(Novel),
             "SELECT n.id FROM novel n JOIN writer w ON w.id = n.writer_id WHERE w.nation_id = "
             "'fr' AND n.pages < 200 ORDER BY n.id LIMIT 40 OFFSET 5",
             40, "novels of French writers");
    for (size_t i = 0; i < nr->count; i++)
        assert_string_equal(nr->items[i].writer.ref->nation.key, "fr");
    novel_rows_free(nr);

    /* in a back reference call, and in its count */
    Writer w7 = {.id = 7};
    lt_count_start(&f);
    pgt_ok(writer_novels_sync(f.db, &w7,
                              &(NovelQuery){.where = novel_editor_where(
                                                writer_nation_where(nation_code_eq("br")))},
                              &nr, &err),
           &err, "writer_novels_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    same_ids(f.c, nr->items, nr->count, sizeof(Novel),
             "SELECT n.id FROM novel n JOIN writer e ON e.id = n.editor_id WHERE n.writer_id = 7 "
             "AND e.nation_id = 'br' ORDER BY n.id",
             1, "writer 7's novels edited from Brazil");
    int64_t count = -1;
    pgt_ok(writer_novels_count_sync(f.db, &w7, novel_editor_where(writer_email_not_null()), &count,
                                    &err),
           &err, "writer_novels_count_sync");
    assert_int_equal(count, pgt_query_int(f.c, "SELECT count(*) FROM novel n JOIN writer e ON "
                                               "e.id = n.editor_id WHERE n.writer_id = 7 AND "
                                               "e.email IS NOT NULL"));
    novel_rows_free(nr);
    lt_close(&f);
}

static void test_rel_preds_update_delete(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "relf_write");
    lt_fill(&f);
    pgorm_error err = {0};
    int64_t count = -1;

    /* update the novels of Japanese writers: one statement */
    int64_t want = pgt_query_int(f.c, "SELECT count(*) FROM novel n JOIN writer w ON w.id = "
                                      "n.writer_id WHERE w.nation_id = 'jp'");
    assert_true(want > 100);
    lt_count_start(&f);
    pgt_ok(novel_update_where_sync(f.db, &(Novel){.title = "from Japan"}, NOVEL_TITLE,
                                   novel_writer_where(writer_nation_where(nation_code_eq("jp"))),
                                   &count, &err),
           &err, "novel_update_where_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(count, want);
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM novel n JOIN writer w ON w.id = "
                                        "n.writer_id WHERE n.title = 'from Japan' AND "
                                        "w.nation_id = 'jp'"),
                     want);
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM novel WHERE title = 'from Japan'"),
                     want);

    /* update writers by a count of their edited novels */
    want = pgt_query_int(f.c, "SELECT count(*) FROM writer w WHERE (SELECT count(*) FROM novel "
                              "n WHERE n.editor_id = w.id) >= 7");
    assert_true(want > 0);
    lt_count_start(&f);
    pgt_ok(writer_update_where_sync(f.db, &(Writer){.email = "busy@example.org"}, WRITER_EMAIL,
                                    writer_edited_count_ge(7), &count, &err),
           &err, "writer_update_where_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(count, want);
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM writer WHERE email = "
                                        "'busy@example.org'"),
                     want);

    /* delete the writers with no novel at all (written nor edited) */
    pgt_exec(f.c, "INSERT INTO writer (name) VALUES ('lonely 1'), ('lonely 2'), ('lonely 3');"
                  "INSERT INTO novel (title, writer_id, editor_id) SELECT 'edited', 1, id FROM "
                  "writer WHERE name = 'lonely 3'");
    lt_count_start(&f);
    pgt_ok(writer_delete_where_sync(f.db,
                                    PGORM_AND(writer_novels_none(PGORM_ALL),
                                              writer_edited_none(PGORM_ALL)),
                                    &count, &err),
           &err, "writer_delete_where_sync");
    /* one statement from us; the server's foreign key triggers run theirs
       (SET NULL on novel.editor_id, CASCADE on prize: "... ONLY ...") */
    assert_int_equal(lt_count(&f, NULL) - lt_count(&f, "% ONLY %"), 1);
    assert_int_equal(lt_count(&f, "DELETE FROM \"writer\"%"), 1);
    assert_int_equal(count, 2);
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM writer WHERE name LIKE 'lonely%'"),
                     1);
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM writer"), 101);

    /* delete novels through a two-level filter */
    want = pgt_query_int(f.c, "SELECT count(*) FROM novel n JOIN writer w ON w.id = n.writer_id "
                              "WHERE w.nation_id = 'br' AND n.pages > 400");
    assert_true(want > 0);
    lt_count_start(&f);
    pgt_ok(novel_delete_where_sync(f.db,
                                   PGORM_AND(novel_pages_gt(400),
                                             novel_writer_where(
                                                 writer_nation_where(nation_name_eq("Brazil")))),
                                   &count, &err),
           &err, "novel_delete_where_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(count, want);
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM novel n JOIN writer w ON w.id = "
                                        "n.writer_id WHERE w.nation_id = 'br' AND n.pages > 400"),
                     0);
    lt_close(&f);
}

/* In an upsert's condition too: update a novel only when its writer is
   French. */
static void test_rel_preds_upsert(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "relf_upsert");
    lt_fill(&f);
    pgorm_error err = {0};
    /* novel 1 is by writer 2 (Japan), novel 4 by writer 5 (France) */
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM novel n JOIN writer w ON w.id = "
                                        "n.writer_id WHERE (n.id, w.nation_id) IN ((1, 'jp'), "
                                        "(4, 'fr'))"),
                     2);
    Novel rows[] = {{.id = 1, .title = "one", .writer = {.key = 2}},
                    {.id = 4, .title = "four", .writer = {.key = 5}}};
    NovelRows *out = NULL;
    lt_count_start(&f);
    pgt_ok(novel_upsert_sync(f.db, rows, 2,
                             &(pgorm_upsert){.conflict = NOVEL_ID,
                                             .update = NOVEL_TITLE,
                                             .where = novel_writer_where(
                                                 writer_nation_where(nation_code_eq("fr")))},
                             &out, &err),
           &err, "novel_upsert_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(out->count, 1);
    assert_int_equal(out->items[0].id, 4);
    novel_rows_free(out);
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM novel WHERE (id = 1 AND title = "
                                        "'novel 1') OR (id = 4 AND title = 'four')"),
                     2);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Options per link                                                    */

static void test_link_opts_backref(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "relf_back");
    lt_fill(&f);
    pgorm_error err = {0};

    /* each writer with its 3 longest novels (skipping the longest), and the
       find's limit still counts writers */
    WriterRows *rows = NULL;
    lt_count_start(&f);
    pgt_ok(writer_find_sync(
               f.db,
               &(WriterQuery){.where = writer_novels_any(novel_pages_gt(300)),
                              .order = {PGORM_ASC(WRITER_ID)},
                              .limit = 10,
                              .fetch_links = true,
                              .links = (const char *const[]){"novels", "prizes", NULL},
                              .link_opts = PGORM_LINK_OPTS(
                                  {.path = "novels",
                                   .where = novel_pages_not_null(),
                                   .order = {PGORM_DESC(NOVEL_PAGES)},
                                   .limit = 3,
                                   .offset = 1})},
               &rows, &err),
           &err, "writer_find_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    same_ids(f.c, rows->items, rows->count, sizeof(Writer),
             "SELECT w.id FROM writer w WHERE EXISTS (SELECT 1 FROM novel n WHERE n.writer_id = "
             "w.id AND n.pages > 300) ORDER BY w.id LIMIT 10",
             10, "writers");
    for (size_t i = 0; i < rows->count; i++) {
        const Writer *w = &rows->items[i];
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT id FROM novel WHERE writer_id = %lld AND pages IS NOT NULL ORDER BY "
                 "pages DESC, id LIMIT 3 OFFSET 1",
                 (long long)w->id);
        assert_true(w->novels.loaded);
        same_ids(f.c, w->novels.items, w->novels.count, sizeof(Novel), sql, 3, "novels");
        for (size_t k = 1; k < w->novels.count; k++)
            assert_true(w->novels.items[k - 1].pages >= w->novels.items[k].pages);
        assert_true(w->prizes.loaded); /* no options: all of them (none here) */
        assert_int_equal(w->prizes.count, 0);
    }
    writer_rows_free(rows);

    /* two levels: each nation with its 2 last-named writers that edited
       more than 6 novels (a relation predicate in a link's where), each with the first of its novels over 300 pages edited by a
       writer with an email (a relation predicate inside a link's where) */
    NationRows *nations = NULL;
    lt_count_start(&f);
    pgt_ok(nation_find_sync(
               f.db,
               &(NationQuery){.order = {PGORM_ASC(NATION_CODE)},
                              .fetch_links = true,
                              .depth = 2,
                              .links = (const char *const[]){"writers.novels", NULL},
                              .link_opts = PGORM_LINK_OPTS(
                                  {.path = "writers",
                                   .where = writer_edited_count_gt(6),
                                   .order = {PGORM_DESC(WRITER_NAME)},
                                   .limit = 2},
                                  {.path = "writers.novels",
                                   .where = PGORM_AND(novel_pages_gt(300),
                                                      novel_editor_where(writer_email_not_null())),
                                   .limit = 1})},
               &nations, &err),
           &err, "nation_find_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(nations->count, 3);
    size_t found = 0;
    for (size_t i = 0; i < nations->count; i++) {
        const Nation *c = &nations->items[i];
        char sql[320];
        snprintf(sql, sizeof sql,
                 "SELECT w.id FROM writer w WHERE w.nation_id = '%s' AND (SELECT count(*) "
                 "FROM novel n WHERE n.editor_id = w.id) > 6 ORDER BY w.name DESC, w.id LIMIT 2",
                 c->code);
        same_ids(f.c, c->writers.items, c->writers.count, sizeof(Writer), sql, 2, "writers");
        for (size_t k = 0; k < c->writers.count; k++) {
            const Writer *w = &c->writers.items[k];
            snprintf(sql, sizeof sql,
                     "SELECT n.id FROM novel n JOIN writer e ON e.id = n.editor_id WHERE "
                     "n.writer_id = %lld AND n.pages > 300 AND e.email IS NOT NULL ORDER BY n.id "
                     "LIMIT 1",
                     (long long)w->id);
            assert_true(w->novels.loaded);
            same_ids(f.c, w->novels.items, w->novels.count, sizeof(Novel), sql, 0, "novels");
            found += w->novels.count;
        }
    }
    assert_true(found > 0);
    nation_rows_free(nations);

    /* a back reference call's fetched links take options too */
    Press p3 = {.id = 3};
    NovelRows *nr = NULL;
    lt_count_start(&f);
    pgt_ok(press_novels_sync(f.db, &p3,
                             &(NovelQuery){.fetch_links = true,
                                           .depth = 2,
                                           .links = (const char *const[]){"writer.novels", NULL},
                                           .limit = 5,
                                           .link_opts = PGORM_LINK_OPTS(
                                               {.path = "writer.novels",
                                                .where = novel_press_where(press_id_eq(3)),
                                                .order = {PGORM_DESC(NOVEL_ID)},
                                                .limit = 2})},
                             &nr, &err),
           &err, "press_novels_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(nr->count, 5);
    for (size_t i = 0; i < nr->count; i++) {
        const Writer *w = nr->items[i].writer.ref;
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT id FROM novel WHERE writer_id = %lld AND press_id = 3 ORDER BY id DESC "
                 "LIMIT 2",
                 (long long)w->id);
        same_ids(f.c, w->novels.items, w->novels.count, sizeof(Novel), sql, 1, "press novels");
    }
    novel_rows_free(nr);
    lt_close(&f);
}

/* For each novel of rows (ordered by id): whether its writer (or the
   writer's nation) is there matches the hand-written set of ids. */
static void test_link_opts_forward(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "relf_fwd");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *rows = NULL;
    size_t n = 0;

    /* default: every novel kept, the writer only when French (a relation
       predicate in the link's where) */
    lt_count_start(&f);
    pgt_ok(novel_find_sync(f.db,
                           &(NovelQuery){.order = {PGORM_ASC(NOVEL_ID)},
                                         .limit = 100,
                                         .fetch_links = true,
                                         .links = (const char *const[]){"writer", NULL},
                                         .link_opts = PGORM_LINK_OPTS(
                                             {.path = "writer",
                                              .where = writer_nation_where(
                                                  nation_code_eq("fr"))})},
                           &rows, &err),
           &err, "novel_find_sync kept");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(rows->count, 100);
    int64_t *fr = query_ids(f.c,
                            "SELECT n.id FROM novel n JOIN writer w ON w.id = n.writer_id "
                            "WHERE w.nation_id = 'fr' AND n.id <= 100 ORDER BY n.id",
                            &n);
    assert_true(n >= 20);
    size_t at = 0;
    for (size_t i = 0; i < rows->count; i++) {
        const Novel *nv = &rows->items[i];
        assert_int_equal(nv->id, (int64_t)i + 1);
        bool want = at < n && fr[at] == nv->id;
        at += want;
        if (want) {
            assert_non_null(nv->writer.ref);
            assert_int_equal(nv->writer.ref->id, nv->writer.key);
        } else {
            assert_null(nv->writer.ref);
        }
    }
    assert_int_equal(at, n);
    free(fr);
    novel_rows_free(rows);

    /* inner: only the novels of French writers, and the limit counts them */
    lt_count_start(&f);
    pgt_ok(novel_find_sync(f.db,
                           &(NovelQuery){.order = {PGORM_ASC(NOVEL_ID)},
                                         .limit = 100,
                                         .fetch_links = true,
                                         .link_opts = PGORM_LINK_OPTS(
                                             {.path = "writer",
                                              .where = writer_nation_where(nation_code_eq("fr")),
                                              .inner = true})},
                           &rows, &err),
           &err, "novel_find_sync inner");
    assert_int_equal(lt_count(&f, NULL), 1);
    same_ids(f.c, rows->items, rows->count, sizeof(Novel),
             "SELECT n.id FROM novel n JOIN writer w ON w.id = n.writer_id WHERE w.nation_id = "
             "'fr' ORDER BY n.id LIMIT 100",
             100, "novels of French writers");
    for (size_t i = 0; i < rows->count; i++) {
        assert_non_null(rows->items[i].writer.ref);
        assert_string_equal(rows->items[i].writer.ref->nation.key, "fr");
        /* the other links are there as usual */
        assert_true(rows->items[i].editor.ref || !rows->items[i].editor.has_key);
    }
    novel_rows_free(rows);

    /* inner below an optional link: the nation drops the writer (ref NULL),
       not the novel; with the writer inner too, the novel goes */
    for (int both = 0; both < 2; both++) {
        NovelQuery q = {.order = {PGORM_ASC(NOVEL_ID)},
                        .limit = 100,
                        .fetch_links = true,
                        .depth = 2,
                        .links = (const char *const[]){"writer.nation", NULL},
                        .link_opts = both ? PGORM_LINK_OPTS({.path = "writer", .inner = true},
                                                            {.path = "writer.nation",
                                                             .where = nation_code_eq("jp"),
                                                             .inner = true})
                                          : PGORM_LINK_OPTS({.path = "writer.nation",
                                                             .where = nation_code_eq("jp"),
                                                             .inner = true})};
        lt_count_start(&f);
        pgt_ok(novel_find_sync(f.db, &q, &rows, &err), &err, "novel_find_sync nested");
        assert_int_equal(lt_count(&f, NULL), 1);
        if (both) {
            same_ids(f.c, rows->items, rows->count, sizeof(Novel),
                     "SELECT n.id FROM novel n JOIN writer w ON w.id = n.writer_id WHERE "
                     "w.nation_id = 'jp' ORDER BY n.id LIMIT 100",
                     100, "novels of Japanese writers");
            for (size_t i = 0; i < rows->count; i++)
                assert_string_equal(rows->items[i].writer.ref->nation.ref->code, "jp");
        } else {
            assert_int_equal(rows->count, 100);
            for (size_t i = 0; i < rows->count; i++) {
                const Novel *nv = &rows->items[i];
                assert_int_equal(nv->id, (int64_t)i + 1);
                char sql[160];
                snprintf(sql, sizeof sql,
                         "SELECT count(*) FROM writer WHERE id = %lld AND nation_id = 'jp'",
                         (long long)nv->writer.key);
                if (pgt_query_int(f.c, sql)) {
                    assert_non_null(nv->writer.ref);
                    assert_string_equal(nv->writer.ref->nation.ref->code, "jp");
                } else {
                    assert_null(nv->writer.ref);
                }
            }
        }
        novel_rows_free(rows);
    }

    /* a ForeignKey inside a back reference: the press's novels whose writer
       has an email or is French (inner drops the items), and the editor
       kept or not */
    PressRows *presses = NULL;
    lt_count_start(&f);
    pgt_ok(press_find_sync(f.db,
                           &(PressQuery){.order = {PGORM_ASC(PRESS_ID)},
                                         .fetch_links = true,
                                         .depth = 2,
                                         .links = (const char *const[]){"novels.writer",
                                                                        "novels.editor", NULL},
                                         .link_opts = PGORM_LINK_OPTS(
                                             {.path = "novels.writer",
                                              .where = PGORM_OR(writer_email_not_null(),
                                                                writer_nation_where(
                                                                    nation_code_eq("fr"))),
                                              .inner = true},
                                             {.path = "novels.editor",
                                              .where = writer_nation_where(
                                                  nation_code_eq("br"))})},
                           &presses, &err),
           &err, "press_find_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(presses->count, 10);
    for (size_t i = 0; i < presses->count; i++) {
        const Press *p = &presses->items[i];
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT n.id FROM novel n JOIN writer w ON w.id = n.writer_id WHERE n.press_id "
                 "= %d AND (w.email IS NOT NULL OR w.nation_id = 'fr') ORDER BY n.id",
                 p->id);
        /* presses 1 and 6 have no novels (every 5th novel has no press) */
        same_ids(f.c, p->novels.items, p->novels.count, sizeof(Novel), sql,
                 p->id % 5 == 1 ? 0 : 10, "press novels");
        for (size_t k = 0; k < p->novels.count; k++) {
            const Novel *nv = &p->novels.items[k];
            assert_non_null(nv->writer.ref);
            if (!nv->editor.has_key) {
                assert_null(nv->editor.ref);
                continue;
            }
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM writer WHERE id = %lld AND nation_id = 'br'",
                     (long long)nv->editor.key);
            if (pgt_query_int(f.c, sql))
                assert_non_null(nv->editor.ref);
            else
                assert_null(nv->editor.ref);
        }
    }
    press_rows_free(presses);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Refused before anything is sent                                     */

static void test_refused(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "relf_refused");
    pgorm_error err = {0};
    lt_count_start(&f);
    struct {
        WriterQuery q;
        const char *says;
    } bad[] = {
        {{.link_opts = PGORM_LINK_OPTS({.path = "novels", .limit = 5})},
         "link_opts[0] \"novels\": options for links, but .fetch_links is false"},
        {{.fetch_links = true, .links = (const char *const[]){"prizes", NULL},
          .link_opts = PGORM_LINK_OPTS({.path = "novels", .limit = 5})},
         "Writer.novels is not fetched by this find"},
        {{.fetch_links = true, .link_opts = PGORM_LINK_OPTS({.path = "novels.press", .limit = 5})},
         "Novel.press is not fetched by this find"},
        {{.fetch_links = true, .link_opts = PGORM_LINK_OPTS({.path = "novel"})},
         "Writer has no relation \"novel\" (it has: nation, novels, edited, prizes)"},
        {{.fetch_links = true, .link_opts = PGORM_LINK_OPTS({.path = ""})}, "an empty path"},
        {{.fetch_links = true,
          .link_opts = PGORM_LINK_OPTS({.path = "novels"}, {.path = "prizes"}, {.path = "novels"})},
         "link_opts[2] \"novels\": a second entry for the same link"},
        {{.fetch_links = true,
          .link_opts = PGORM_LINK_OPTS({.path = "nation", .order = {PGORM_ASC(NATION_NAME)}})},
         "Writer.nation is a ForeignKey (one row): order, limit and offset apply to a "
         "BackReference's rows only"},
        {{.fetch_links = true, .link_opts = PGORM_LINK_OPTS({.path = "novels", .inner = true})},
         "inner applies to a ForeignKey, and Writer.novels is a BackReference"},
        {{.fetch_links = true, .link_opts = PGORM_LINK_OPTS({.path = "novels", .offset = -1})},
         "limit 0 and offset -1 must not be negative"},
        {{.fetch_links = true,
          .link_opts = PGORM_LINK_OPTS({.path = "novels", .where = writer_id_eq(1)})},
         "a predicate is about model Writer, not Novel"},
        {{.fetch_links = true,
          .link_opts = PGORM_LINK_OPTS({.path = "novels", .order = {PGORM_ASC(NOVEL_ID << 9)}})},
         "it must be exactly one column bit of Novel"},
        /* relation predicates of the wrong model */
        {{.where = writer_novels_any(writer_id_eq(1))},
         "Writer.novels leads to Novel, but the predicate given for it is about Writer (build "
         "it with Novel's functions)"},
        {{.where = PGORM_NOT(writer_nation_where(PGORM_AND(nation_code_eq("fr"),
                                                           novel_id_eq(2))))},
         "Writer.nation leads to Nation, but the predicate given for it is about Novel"},
        {{.where = novel_writer_where(writer_id_eq(1))},
         "a relation predicate is about model Novel, not Writer"},
        {{.where = writer_novels_any(novel_id_eq(1), novel_id_eq(2))},
         "it takes one predicate on Novel (has 2)"},
        {{.where = pgorm_rel_pred_(PGORM_PRED_REL_ANY, &writer_model, 0, PGORM_EQ, 0, NULL, 0)},
         "names relation 0 of Writer, which is not a BackReference"},
        {{.where = pgorm_rel_pred_(PGORM_PRED_REL_COUNT, &writer_model, 1, (pgorm_cmp)42, 0,
                                   NULL, 0)},
         "unknown comparison 42 on the count of Writer.novels"},
        {{.fetch_links = true,
          .link_opts = PGORM_LINK_OPTS({.path = "novels",
                                        .where = novel_writer_where(novel_pages_gt(3))})},
         "Novel.writer leads to Writer, but the predicate given for it is about Novel"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        WriterRows *rows = NULL;
        assert_int_equal(writer_find_sync(f.db, &bad[i].q, &rows, &err), -1);
        assert_null(rows);
        assert_int_equal(err.code, PGORM_ERR_INVALID);
        if (!strstr(err.message, bad[i].says))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err.message, bad[i].says);
        assert_non_null(strstr(err.message, "pgorm_find(Writer)"));
        pgorm_error_clear(&err);
    }
    /* the same refusals in count, update, delete and a back reference */
    int64_t count = -1;
    assert_int_equal(writer_count_sync(f.db, writer_novels_any(writer_id_eq(1)), &count, &err), -1);
    assert_non_null(strstr(err.message, "pgorm_count(Writer): Writer.novels leads to Novel"));
    pgorm_error_clear(&err);
    assert_int_equal(novel_update_where_sync(f.db, &(Novel){.title = "x"}, NOVEL_TITLE,
                                             writer_novels_none(PGORM_ALL), &count, &err),
                     -1);
    assert_non_null(strstr(err.message, "a relation predicate is about model Writer, not Novel"));
    pgorm_error_clear(&err);
    assert_int_equal(novel_delete_where_sync(f.db, novel_press_where(writer_id_eq(1)), &count,
                                             &err),
                     -1);
    assert_non_null(strstr(err.message, "pgorm_delete_where(Novel): Novel.press leads to Press, "
                                        "but the predicate given for it is about Writer"));
    pgorm_error_clear(&err);
    Writer w = {.id = 1};
    NovelRows *nr = NULL;
    assert_int_equal(writer_novels_sync(f.db, &w,
                                        &(NovelQuery){.where = novel_writer_where(
                                                          nation_code_eq("fr"))},
                                        &nr, &err),
                     -1);
    assert_non_null(strstr(err.message, "Novel.writer leads to Writer, but the predicate given "
                                        "for it is about Nation"));
    pgorm_error_clear(&err);
    assert_int_equal(writer_novels_sync(f.db, &w,
                                        &(NovelQuery){.link_opts = PGORM_LINK_OPTS(
                                                          {.path = "press"})},
                                        &nr, &err),
                     -1);
    assert_non_null(strstr(err.message, "options for links, but .fetch_links is false"));
    pgorm_error_clear(&err);
    assert_int_equal(writer_novels_count_sync(f.db, &w, writer_edited_any(PGORM_ALL), &count,
                                              &err),
                     -1);
    assert_non_null(strstr(err.message, "a relation predicate is about model Writer, not Novel"));
    pgorm_error_clear(&err);
    /* nothing reached the server */
    assert_int_equal(lt_count(&f, NULL), 0);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Out of memory: every allocation failing in turn                     */

static void oom_scenario(void *ctx)
{
    const char *conninfo = ctx;
    pgorm_db *db = lt_oom_connect(conninfo);
    if (!db)
        return;
    pgorm_error err = {0};
    WriterRows *wr = NULL;
    int rc = writer_find_sync(
        db,
        &(WriterQuery){.where = writer_novels_any(novel_press_where(press_name_eq("p"))),
                       .fetch_links = true,
                       .depth = 2,
                       .link_opts = PGORM_LINK_OPTS(
                           {.path = "novels", .where = novel_pages_gt(5),
                            .order = {PGORM_DESC(NOVEL_PAGES)}, .limit = 1},
                           {.path = "novels.editor", .where = writer_name_eq("b"), .inner = true},
                           {.path = "nation", .where = nation_code_eq("fr")})},
        &wr, &err);
    if (rc == 0) {
        assert_int_equal(wr->count, 1);
        assert_int_equal(wr->items[0].novels.count, 1);
    }
    writer_rows_free(wr);
    lt_oom_ok(rc, &err);
    int64_t n = 0;
    rc = novel_update_where_sync(db, &(Novel){.pages = 11, .has_pages = true}, NOVEL_PAGES,
                                 novel_writer_where(writer_novels_count_gt(1)), &n, &err);
    lt_oom_ok(rc, &err);
    /* refused: unknown relation (the list of names is built) */
    rc = writer_find_sync(db,
                          &(WriterQuery){.fetch_links = true,
                                         .link_opts = PGORM_LINK_OPTS({.path = "nope"})},
                          &wr, &err);
    assert_int_equal(rc, -1);
    assert_true(err.code == PGORM_ERR_INVALID || err.code == PGORM_ERR_NOMEM);
    pgorm_error_clear(&err);
    pgorm_db_free(db);
}

static void test_oom_walk(void **state)
{
    (void)state;
    lt_fixture f;
    lt_open(&f, "relf_oom");
    pgt_exec(f.c, "INSERT INTO writer (name) VALUES ('a'), ('b');"
                  "INSERT INTO press (name) VALUES ('p');"
                  "INSERT INTO novel (title, pages, writer_id, editor_id, press_id) VALUES "
                  "('n1', 10, 1, 2, 1), ('n2', 20, 1, NULL, NULL), ('n3', 30, 2, 1, NULL);");
    pgt_oom_walk(oom_scenario, f.d.conninfo, 20);
    lt_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_shape),
        cmocka_unit_test(test_rel_preds_find_count),
        cmocka_unit_test(test_rel_preds_update_delete),
        cmocka_unit_test(test_rel_preds_upsert),
        cmocka_unit_test(test_link_opts_backref),
        cmocka_unit_test(test_link_opts_forward),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_oom_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
