/* Column subsets (pgorm_query.columns) against a real PostgreSQL.
 *
 * What is checked: a subset read gives the server's values for the columns
 * asked and zero / NULL (has_ flags false) for the others; the key is always
 * read, also when it is not the first column or has two columns; with
 * fetch_links the foreign keys followed are read too and the related rows
 * are whole; a cycle back to the model found keeps one struct per row; a
 * back reference call takes the related model's bits; ORDER BY and WHERE
 * may name columns that are not read; a bit the model does not have is
 * refused before anything is sent; and the statement the server ran
 * selects exactly those columns (its text, read from pg_stat_statements).
 */
#include "linktest.h"

#include "gen_columns.pgorm.h"

/* ------------------------------------------------------------------ */

/* The links fixture plus the tables of gen_columns.pgorm: 5 shelves (code
   10 * g, a room on odd ones), 50 volumes (every 4th without pages, on
   shelf 10 * (1 + g % 5), with a blurb and a two-byte cover), 6 bays. */
static void open_fixture(lt_fixture *f, const char *label)
{
    lt_open(f, label);
    pgt_apply_schema(f->c, "tests/schemas/gen_columns.pgorm");
    pgt_exec(f->c,
             "INSERT INTO shelf (label, code, room) SELECT 'shelf ' || g, 10 * g, "
             "CASE WHEN g % 2 = 1 THEN 'room ' || g END FROM generate_series(1, 5) g;"
             "INSERT INTO volume (title, pages, shelf_id, blurb, cover) SELECT 'volume ' || g, "
             "CASE WHEN g % 4 = 0 THEN NULL ELSE 3 * g END, 10 * (1 + g % 5), 'blurb ' || g, "
             "'\\x01'::bytea || set_byte('\\x00'::bytea, 0, g) FROM generate_series(1, 50) g;"
             "INSERT INTO bay (note, aisle, slot, label) SELECT 'note ' || g, g / 3, g % 3, "
             "'bay ' || g FROM generate_series(0, 5) g;"
             "ANALYZE");
}

/* The text of the statement run in this database since lt_count_start
   whose text matches the ILIKE pattern `like`; fails unless exactly one
   such statement ran, once. A new string (free()). */
static char *statement_like(lt_fixture *f, const char *like)
{
    assert_int_equal(lt_count(f, like), 1);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
             "WHERE d.datname = current_database() AND s.query ILIKE '%s' "
             "AND s.query NOT ILIKE '%%pg_stat_statements%%'",
             like);
    char *text = pgt_query_text(f->c, sql);
    assert_non_null(text);
    return text;
}

static void assert_statement(lt_fixture *f, const char *like, const char *want)
{
    char *text = statement_like(f, like);
    assert_string_equal(text, want);
    free(text);
}

/* The first column of every row, as int64 (exactly n rows). */
static void query_ids(PGconn *c, const char *sql, int64_t *ids, size_t n)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    assert_int_equal(PQntuples(r), (int)n);
    for (size_t i = 0; i < n; i++)
        ids[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
    PQclear(r);
}

/* ------------------------------------------------------------------ */
/* Plain finds                                                         */

static void test_subset_values(void **state)
{
    (void)state;
    lt_fixture f;
    open_fixture(&f, "cols_values");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *rows = NULL;
    lt_count_start(&f);
    pgt_ok(novel_find_sync(f.db, &(NovelQuery){.columns = NOVEL_TITLE, .order = {PGORM_ASC(NOVEL_ID)}},
                           &rows, &err),
           &err, "novel_find_sync");
    assert_statement(&f, "%FROM \"novel\"%", "SELECT \"id\", \"title\" FROM \"novel\" ORDER BY \"id\"");
    /* what is filled: the title asked for and the key */
    assert_true(rows->columns == (NOVEL_ID | NOVEL_TITLE));
    assert_true(pgorm_result_columns(rows->result) == (NOVEL_ID | NOVEL_TITLE));
    assert_int_equal(rows->count, 1000);
    for (size_t i = 0; i < rows->count; i++) {
        const Novel *n = &rows->items[i];
        char title[32];
        snprintf(title, sizeof title, "novel %zu", i + 1);
        assert_int_equal(n->id, (int64_t)i + 1);
        assert_string_equal(n->title, title);
        /* the rest is zero / NULL, whatever the server holds */
        assert_false(n->has_pages);
        assert_int_equal(n->pages, 0);
        assert_int_equal(n->writer.key, 0);
        assert_false(n->editor.has_key);
        assert_int_equal(n->editor.key, 0);
        assert_false(n->press.has_key);
        assert_null(n->writer.ref);
    }
    novel_rows_free(rows);

    /* 0 and every bit: every column, as before */
    NovelQuery full[] = {{.limit = 3}, {.columns = NOVEL_ALL_COLUMNS, .limit = 3}};
    for (size_t k = 0; k < 2; k++) {
        pgt_ok(novel_find_sync(f.db, &full[k], &rows, &err), &err, "novel_find_sync");
        assert_true(rows->columns == NOVEL_ALL_COLUMNS);
        assert_int_equal(rows->count, 3);
        for (size_t i = 0; i < rows->count; i++)
            assert_int_not_equal(rows->items[i].writer.key, 0);
        novel_rows_free(rows);
    }
    /* a get, and other results, read every column */
    pgt_ok(novel_get_sync(f.db, 7, &rows, &err), &err, "novel_get_sync");
    assert_true(rows->columns == NOVEL_ALL_COLUMNS);
    assert_true(rows->items[0].writer.key == 8 && !rows->items[0].has_pages);
    novel_rows_free(rows);
    assert_true(pgorm_result_columns(NULL) == 0);
    lt_close(&f);
}

/* The key after other columns (the fields move), and a key of two columns. */
static void test_key_not_first_and_composite(void **state)
{
    (void)state;
    lt_fixture f;
    open_fixture(&f, "cols_keys");
    pgorm_error err = {0};
    VolumeRows *rows = NULL;
    lt_count_start(&f);
    pgt_ok(volume_find_sync(f.db,
                            &(VolumeQuery){.columns = VOLUME_COVER | VOLUME_PAGES,
                                           .order = {PGORM_ASC(VOLUME_ID)}},
                            &rows, &err),
           &err, "volume_find_sync");
    assert_statement(&f, "%FROM \"volume\"%",
                     "SELECT \"pages\", \"id\", \"cover\" FROM \"volume\" ORDER BY \"id\"");
    assert_true(rows->columns == (VOLUME_PAGES | VOLUME_ID | VOLUME_COVER));
    assert_int_equal(rows->count, 50);
    for (size_t i = 0; i < rows->count; i++) {
        const Volume *v = &rows->items[i];
        int g = (int)i + 1;
        assert_int_equal(v->id, g);
        assert_int_equal(v->has_pages, g % 4 != 0);
        assert_int_equal(v->pages, g % 4 ? 3 * g : 0);
        assert_int_equal(v->cover.len, 2);
        assert_int_equal(v->cover.data[0], 1);
        assert_int_equal(v->cover.data[1], g);
        assert_null(v->title);
        assert_null(v->blurb);
        assert_int_equal(v->shelf.key, 0);
    }
    volume_rows_free(rows);

    BayRows *bays = NULL;
    pgt_ok(bay_find_sync(f.db,
                         &(BayQuery){.columns = BAY_LABEL,
                                     .order = {PGORM_ASC(BAY_AISLE), PGORM_ASC(BAY_SLOT)}},
                         &bays, &err),
           &err, "bay_find_sync");
    assert_statement(&f, "%FROM \"bay\"%",
                     "SELECT \"aisle\", \"slot\", \"label\" FROM \"bay\" ORDER BY \"aisle\", "
                     "\"slot\"");
    assert_true(bays->columns == (BAY_AISLE | BAY_SLOT | BAY_LABEL));
    assert_int_equal(bays->count, 6);
    for (size_t i = 0; i < bays->count; i++) {
        char label[32];
        snprintf(label, sizeof label, "bay %zu", i);
        assert_int_equal(bays->items[i].aisle, (int)i / 3);
        assert_int_equal(bays->items[i].slot, (int)i % 3);
        assert_string_equal(bays->items[i].label, label);
        assert_null(bays->items[i].note);
    }
    bay_rows_free(bays);
    lt_close(&f);
}

/* ORDER BY and WHERE on columns that are not read. */
static void test_order_and_where_not_read(void **state)
{
    (void)state;
    lt_fixture f;
    open_fixture(&f, "cols_order");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *rows = NULL;
    lt_count_start(&f);
    pgt_ok(novel_find_sync(f.db,
                           &(NovelQuery){.columns = NOVEL_TITLE,
                                         .where = novel_pages_gt(300),
                                         .order = {PGORM_DESC(NOVEL_PAGES), PGORM_ASC(NOVEL_ID)},
                                         .limit = 20},
                           &rows, &err),
           &err, "novel_find_sync");
    assert_statement(&f, "%FROM \"novel\"%",
                     "SELECT \"id\", \"title\" FROM \"novel\" WHERE \"pages\" > $1 ORDER BY "
                     "\"pages\" DESC, \"id\" LIMIT $2");
    int64_t want[20];
    query_ids(f.c, "SELECT id FROM novel WHERE pages > 300 ORDER BY pages DESC, id LIMIT 20", want,
              20);
    assert_int_equal(rows->count, 20);
    for (size_t i = 0; i < 20; i++) {
        char title[32];
        snprintf(title, sizeof title, "novel %lld", (long long)want[i]);
        assert_int_equal(rows->items[i].id, want[i]);
        assert_string_equal(rows->items[i].title, title);
        assert_false(rows->items[i].has_pages);
    }
    novel_rows_free(rows);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* fetch_links                                                         */

static void test_fetch_links(void **state)
{
    (void)state;
    lt_fixture f;
    open_fixture(&f, "cols_links");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *rows = NULL;
    lt_count_start(&f);
    /* the ForeignKey followed brings its key column; the one not followed
       does not come */
    pgt_ok(novel_find_sync(f.db,
                           &(NovelQuery){.columns = NOVEL_TITLE,
                                         .fetch_links = true,
                                         .links = (const char *const[]){"writer", NULL},
                                         .order = {PGORM_ASC(NOVEL_ID)},
                                         .limit = 50},
                           &rows, &err),
           &err, "novel_find_sync");
    assert_statement(&f, "%FROM \"novel\"%",
                     "SELECT t0.\"id\", t0.\"title\", t0.\"writer_id\", t1.\"id\", t1.\"name\", "
                     "t1.\"email\", t1.\"nation_id\" FROM \"novel\" t0 JOIN \"writer\" t1 ON "
                     "t1.\"id\" = t0.\"writer_id\" ORDER BY \"t0\".\"id\" LIMIT $1");
    assert_true(rows->columns == (NOVEL_ID | NOVEL_TITLE | NOVEL_WRITER));
    assert_int_equal(rows->count, 50);
    for (size_t i = 0; i < rows->count; i++) {
        const Novel *n = &rows->items[i];
        int64_t g = (int64_t)i + 1, w = 1 + g % 100;
        char name[32];
        snprintf(name, sizeof name, "writer %lld", (long long)w);
        assert_int_equal(n->id, g);
        assert_int_equal(n->writer.key, w);
        /* the related row is whole */
        assert_non_null(n->writer.ref);
        assert_int_equal(n->writer.ref->id, w);
        assert_string_equal(n->writer.ref->name, name);
        if (w % 2 == 0)
            assert_non_null(n->writer.ref->email);
        else
            assert_null(n->writer.ref->email);
        assert_int_equal(n->writer.ref->nation.key != NULL, w % 4 != 0);
        assert_false(n->has_pages);
        assert_false(n->editor.has_key);
        assert_null(n->editor.ref);
        assert_false(n->press.has_key);
    }
    novel_rows_free(rows);

    /* every link: each ForeignKey column (NULL where the key is NULL) */
    pgt_ok(novel_find_sync(f.db,
                           &(NovelQuery){.columns = NOVEL_PAGES,
                                         .fetch_links = true,
                                         .order = {PGORM_ASC(NOVEL_ID)},
                                         .limit = 30},
                           &rows, &err),
           &err, "novel_find_sync");
    assert_true(rows->columns ==
                (NOVEL_ID | NOVEL_PAGES | NOVEL_WRITER | NOVEL_EDITOR | NOVEL_PRESS));
    for (size_t i = 0; i < rows->count; i++) {
        const Novel *n = &rows->items[i];
        int64_t g = (int64_t)i + 1;
        assert_null(n->title);
        assert_int_equal(n->has_pages, g % 7 != 0);
        assert_int_equal(n->editor.has_key, g % 3 != 0);
        assert_int_equal(n->editor.ref != NULL, g % 3 != 0);
        if (n->editor.ref)
            assert_int_equal(n->editor.ref->id, n->editor.key);
        assert_int_equal(n->press.has_key, g % 5 != 0);
        assert_int_equal(n->press.ref != NULL, g % 5 != 0);
    }
    novel_rows_free(rows);

    /* a back reference: its rows are whole; a ForeignKey not followed is
       not read */
    WriterRows *writers = NULL;
    lt_count_start(&f);
    pgt_ok(writer_find_sync(f.db,
                            &(WriterQuery){.columns = WRITER_EMAIL,
                                           .fetch_links = true,
                                           .links = (const char *const[]){"novels", NULL},
                                           .order = {PGORM_ASC(WRITER_ID)},
                                           .limit = 4},
                            &writers, &err),
           &err, "writer_find_sync");
    char *text = statement_like(&f, "%FROM \"writer\" t0%");
    assert_non_null(strstr(text, "SELECT t0.\"id\", t0.\"email\", ARRAY(SELECT ROW(t1.\"id\", "
                                 "t1.\"title\", t1.\"pages\", t1.\"writer_id\", t1.\"editor_id\", "
                                 "t1.\"press_id\") FROM \"novel\" t1"));
    free(text);
    assert_true(writers->columns == (WRITER_ID | WRITER_EMAIL));
    assert_int_equal(writers->count, 4);
    for (size_t i = 0; i < writers->count; i++) {
        const Writer *w = &writers->items[i];
        assert_int_equal(w->id, (int64_t)i + 1);
        assert_null(w->name);
        assert_null(w->nation.key);
        assert_int_equal(w->email != NULL, w->id % 2 == 0);
        assert_true(w->novels.loaded);
        assert_int_equal(w->novels.count, 10);
        for (size_t k = 0; k < w->novels.count; k++) {
            assert_non_null(w->novels.items[k].title);
            assert_int_equal(w->novels.items[k].writer.key, w->id);
        }
    }
    writer_rows_free(writers);
    lt_close(&f);
}

/* The key after another column, with a back reference and a ForeignKey
   back to the model found: the identity map keys on the key's field. */
static void test_fetch_links_key_not_first(void **state)
{
    (void)state;
    lt_fixture f;
    open_fixture(&f, "cols_links_key");
    pgorm_error err = {0};
    ShelfRows *rows = NULL;
    lt_count_start(&f);
    pgt_ok(shelf_find_sync(f.db,
                           &(ShelfQuery){.columns = SHELF_ROOM,
                                         .fetch_links = true,
                                         .depth = 2,
                                         .order = {PGORM_ASC(SHELF_CODE)}},
                           &rows, &err),
           &err, "shelf_find_sync");
    char *text = statement_like(&f, "%FROM \"shelf\" t0%");
    assert_non_null(strstr(text, "SELECT t0.\"code\", t0.\"room\", ARRAY(SELECT ROW(t1.\"title\""));
    /* the Shelf rows reached again below read the same columns */
    assert_non_null(strstr(text, "t2.\"code\", t2.\"room\") FROM \"volume\" t1 JOIN \"shelf\" t2"));
    free(text);
    assert_true(rows->columns == (SHELF_CODE | SHELF_ROOM));
    assert_int_equal(rows->count, 5);
    for (size_t i = 0; i < rows->count; i++) {
        Shelf *s = &rows->items[i];
        int g = (int)i + 1;
        assert_int_equal(s->code, 10 * g);
        assert_null(s->label);
        assert_int_equal(s->room != NULL, g % 2 == 1);
        assert_true(s->volumes.loaded);
        assert_int_equal(s->volumes.count, 10);
        for (size_t k = 0; k < s->volumes.count; k++) {
            const Volume *v = &s->volumes.items[k];
            assert_non_null(v->title);
            assert_non_null(v->blurb);
            assert_int_equal(v->shelf.key, s->code);
            /* the volume's shelf is the shelf found: one struct */
            assert_true(v->shelf.ref == s);
        }
    }
    shelf_rows_free(rows);

    /* the other way: the key third, its foreign key read for the join */
    VolumeRows *vols = NULL;
    pgt_ok(volume_find_sync(f.db,
                            &(VolumeQuery){.columns = VOLUME_BLURB,
                                           .fetch_links = true,
                                           .order = {PGORM_DESC(VOLUME_ID)}},
                            &vols, &err),
           &err, "volume_find_sync");
    assert_true(vols->columns == (VOLUME_ID | VOLUME_SHELF | VOLUME_BLURB));
    assert_int_equal(vols->count, 50);
    for (size_t i = 0; i < vols->count; i++) {
        const Volume *v = &vols->items[i];
        int g = 50 - (int)i;
        char blurb[32], label[32];
        snprintf(blurb, sizeof blurb, "blurb %d", g);
        snprintf(label, sizeof label, "shelf %d", 1 + g % 5);
        assert_int_equal(v->id, g);
        assert_string_equal(v->blurb, blurb);
        assert_null(v->title);
        assert_null(v->cover.data);
        assert_int_equal(v->shelf.key, 10 * (1 + g % 5));
        assert_non_null(v->shelf.ref);
        assert_int_equal(v->shelf.ref->code, v->shelf.key);
        assert_string_equal(v->shelf.ref->label, label);
    }
    volume_rows_free(vols);
    lt_close(&f);
}

/* A cycle (store -> manager -> store): every Store in the result reads the
   subset, and the one struct per row holds. */
static void test_cycle(void **state)
{
    (void)state;
    lt_fixture f;
    open_fixture(&f, "cols_cycle");
    pgt_exec(f.c, "INSERT INTO store (name) VALUES ('north'), ('south');"
                  "INSERT INTO staff (name, store_id) VALUES ('ann', 1), ('bob', 1), "
                  "('cy', 2);"
                  "UPDATE store SET manager_id = 1 WHERE id = 1;"
                  "UPDATE store SET manager_id = 3 WHERE id = 2;");
    pgorm_error err = {0};
    for (int depth = 1; depth <= 3; depth++) {
        StoreRows *rows = NULL;
        StoreQuery q = {.columns = STORE_NAME,
                        .fetch_links = true,
                        .links = (const char *const[]){"staff", NULL},
                        .depth = depth,
                        .order = {PGORM_ASC(STORE_ID)}};
        pgt_ok(store_find_sync(f.db, &q, &rows, &err), &err, "store_find_sync");
        /* Store.manager is followed (from the stores at the second level)
           only at depth 3: then every Store row reads its key */
        bool manager = depth == 3;
        assert_true(rows->columns == (STORE_ID | STORE_NAME | (manager ? STORE_MANAGER : 0)));
        assert_int_equal(rows->count, 2);
        Store *north = &rows->items[0];
        assert_string_equal(north->name, "north");
        assert_int_equal(north->manager.has_key, manager);
        assert_int_equal(north->manager.key, manager ? 1 : 0);
        assert_true(north->staff.loaded);
        assert_int_equal(north->staff.count, 2);
        const Staff *ann = &north->staff.items[0];
        /* not followed from the stores found, but from the same row met
           again below (the identity map gives it the links that path adds) */
        assert_true(north->manager.ref == (manager ? ann : NULL));
        assert_string_equal(ann->name, "ann");
        assert_int_equal(ann->store.key, 1);
        if (depth == 1) {
            assert_null(ann->store.ref);
            assert_false(ann->managed.loaded);
            store_rows_free(rows);
            continue;
        }
        /* the staff's store is the store found: one struct */
        assert_true(ann->store.ref == north);
        assert_true(rows->items[1].staff.items[0].store.ref == &rows->items[1]);
        /* Staff.managed: Store rows again, reading the same columns */
        assert_true(ann->managed.loaded);
        assert_int_equal(ann->managed.count, 1);
        const Store *again = &ann->managed.items[0];
        assert_int_equal(again->id, 1);
        assert_string_equal(again->name, "north");
        assert_int_equal(again->manager.has_key, manager);
        if (manager)
            assert_true(again->manager.ref == ann);
        store_rows_free(rows);
    }
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Back references                                                     */

static void test_backref(void **state)
{
    (void)state;
    lt_fixture f;
    open_fixture(&f, "cols_backref");
    lt_fill(&f);
    pgorm_error err = {0};
    WriterRows *writers = NULL;
    pgt_ok(writer_get_sync(f.db, 1, &writers, &err), &err, "writer_get_sync");
    Writer *w = &writers->items[0];
    NovelRows *rows = NULL;
    lt_count_start(&f);
    pgt_ok(writer_novels_sync(f.db, w,
                              &(NovelQuery){.columns = NOVEL_PAGES,
                                            .order = {PGORM_DESC(NOVEL_TITLE)}},
                              &rows, &err),
           &err, "writer_novels_sync");
    assert_statement(&f, "%FROM \"novel\"%",
                     "SELECT t0.\"id\", t0.\"pages\" FROM \"novel\" t0 WHERE \"t0\".\"writer_id\" "
                     "= $1 ORDER BY \"t0\".\"title\" DESC");
    int64_t want[10];
    query_ids(f.c, "SELECT id FROM novel WHERE writer_id = 1 ORDER BY title DESC", want, 10);
    assert_true(rows->columns == (NOVEL_ID | NOVEL_PAGES));
    assert_int_equal(rows->count, 10);
    assert_true(w->novels.loaded && w->novels.items == rows->items && w->novels.count == 10);
    for (size_t i = 0; i < 10; i++) {
        const Novel *n = &rows->items[i];
        assert_int_equal(n->id, want[i]);
        assert_int_equal(n->has_pages, want[i] % 7 != 0);
        if (n->has_pages)
            assert_int_equal(n->pages, 50 + want[i] % 400);
        assert_null(n->title);
        assert_int_equal(n->writer.key, 0); /* not asked for */
    }
    novel_rows_free(rows);

    /* with fetch_links: the ForeignKey followed is read, its row whole */
    lt_count_start(&f);
    pgt_ok(writer_novels_sync(f.db, w,
                              &(NovelQuery){.columns = NOVEL_TITLE,
                                            .fetch_links = true,
                                            .links = (const char *const[]){"editor", NULL},
                                            .limit = 4},
                              &rows, &err),
           &err, "writer_novels_sync");
    assert_statement(&f, "%FROM \"novel\"%",
                     "SELECT t0.\"id\", t0.\"title\", t0.\"editor_id\", t1.\"id\", "
                     "t1.\"name\", t1.\"email\", t1.\"nation_id\" FROM \"novel\" t0 LEFT JOIN "
                     "\"writer\" t1 ON t1.\"id\" = t0.\"editor_id\" WHERE \"t0\".\"writer_id\" = "
                     "$1 ORDER BY \"t0\".\"id\" LIMIT $2");
    assert_true(rows->columns == (NOVEL_ID | NOVEL_TITLE | NOVEL_EDITOR));
    assert_int_equal(rows->count, 4);
    for (size_t i = 0; i < rows->count; i++) {
        const Novel *n = &rows->items[i];
        int64_t g = 100 * ((int64_t)i + 1); /* writer 1's novels: 100, 200, ... */
        char title[32];
        snprintf(title, sizeof title, "novel %lld", (long long)g);
        assert_int_equal(n->id, g);
        assert_string_equal(n->title, title);
        assert_false(n->has_pages);
        assert_int_equal(n->writer.key, 0);
        /* edited by writer 1 (1 + 7g % 100), except every 3rd */
        assert_int_equal(n->editor.has_key, g % 3 != 0);
        assert_int_equal(n->editor.key, g % 3 ? 1 : 0);
        assert_int_equal(n->editor.ref != NULL, g % 3 != 0);
        if (n->editor.ref) {
            assert_string_equal(n->editor.ref->name, "writer 1");
            assert_non_null(n->editor.ref->nation.key); /* a whole row */
        }
    }
    novel_rows_free(rows);

    /* the shelf's volumes, the key third */
    ShelfRows *shelves = NULL;
    pgt_ok(shelf_get_sync(f.db, 20, &shelves, &err), &err, "shelf_get_sync");
    VolumeRows *vols = NULL;
    pgt_ok(shelf_volumes_sync(f.db, &shelves->items[0],
                              &(VolumeQuery){.columns = VOLUME_TITLE, .fetch_links = true},
                              &vols, &err),
           &err, "shelf_volumes_sync");
    assert_true(vols->columns == (VOLUME_TITLE | VOLUME_ID | VOLUME_SHELF));
    assert_int_equal(vols->count, 10);
    for (size_t i = 0; i < vols->count; i++) {
        const Volume *v = &vols->items[i];
        int g = 1 + 5 * (int)i; /* 1 + g % 5 == 2 */
        char title[32];
        snprintf(title, sizeof title, "volume %d", g);
        assert_int_equal(v->id, g);
        assert_string_equal(v->title, title);
        assert_false(v->has_pages);
        assert_null(v->blurb);
        assert_int_equal(v->shelf.key, 20);
        assert_non_null(v->shelf.ref);
        assert_string_equal(v->shelf.ref->label, "shelf 2");
    }
    volume_rows_free(vols);
    shelf_rows_free(shelves);
    writer_rows_free(writers);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Refused                                                             */

typedef struct calls {
    int n;
    pgorm_errcode code;
    uint64_t columns;
    char message[256];
} calls;

static void on_novels(NovelRows *rows, const pgorm_error *err, void *ud)
{
    calls *c = ud;
    c->n++;
    c->code = err ? err->code : PGORM_OK;
    if (err)
        snprintf(c->message, sizeof c->message, "%s", err->message);
    c->columns = rows ? rows->columns : 0;
    novel_rows_free(rows);
}

static void assert_refused(int rc, pgorm_error *err, const char *call, const char *bits)
{
    assert_int_equal(rc, -1);
    assert_int_equal(err->code, PGORM_ERR_INVALID);
    assert_non_null(err->message);
    if (!strstr(err->message, call) || !strstr(err->message, bits))
        fail_msg("expected \"%s\" and \"%s\" in: %s", call, bits, err->message);
    pgorm_error_clear(err);
}

static void test_bad_bits_refused(void **state)
{
    (void)state;
    lt_fixture f;
    open_fixture(&f, "cols_refused");
    lt_fill(&f);
    pgorm_error err = {0};
    NovelRows *rows = NULL;
    WriterRows *writers = NULL;
    pgt_ok(writer_get_sync(f.db, 1, &writers, &err), &err, "writer_get_sync");
    lt_count_start(&f);
    assert_refused(novel_find_sync(f.db, &(NovelQuery){.columns = UINT64_C(1) << 6}, &rows, &err),
                   &err, "pgorm_find(Novel): .columns 0x40 has bits Novel does not have (0x40",
                   "its 6 columns are 0x3f");
    assert_null(rows);
    assert_refused(novel_find_sync(f.db,
                                   &(NovelQuery){.columns = NOVEL_TITLE | UINT64_C(1) << 63},
                                   &rows, &err),
                   &err, "pgorm_find(Novel)", "(0x8000000000000000;");
    assert_refused(novel_find_sync(f.db,
                                   &(NovelQuery){.columns = NOVEL_TITLE | UINT64_C(1) << 40,
                                                 .fetch_links = true},
                                   &rows, &err),
                   &err, "pgorm_find(Novel)", "(0x10000000000;");
    assert_refused(writer_novels_sync(f.db, &writers->items[0],
                                      &(NovelQuery){.columns = UINT64_C(1) << 6}, &rows, &err),
                   &err, "pgorm_backref(Novel)", "(0x40;");
    /* the bits of the model found, not of the one a back reference hangs
       off: Writer has 4 columns, Novel 6, so NOVEL_PRESS is not Writer's */
    WriterRows *none = NULL;
    assert_refused(writer_find_sync(f.db, &(WriterQuery){.columns = NOVEL_PRESS}, &none, &err),
                   &err, "pgorm_find(Writer)", "(0x20;");
    assert_null(none);

    /* asynchronous: the callback runs once, on a later turn */
    calls bad = {0}, good = {0};
    novel_find(f.db, &(NovelQuery){.columns = UINT64_C(1) << 9}, on_novels, &bad);
    novel_find(f.db, &(NovelQuery){.columns = NOVEL_PAGES, .limit = 2}, on_novels, &good);
    assert_int_equal(bad.n, 0);
    assert_int_equal(pgorm_db_run_sync(f.db, 10000), 0);
    assert_int_equal(bad.n, 1);
    assert_int_equal(bad.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(bad.message, "(0x200;"));
    assert_int_equal(good.n, 1);
    assert_int_equal(good.code, PGORM_OK);
    assert_true(good.columns == (NOVEL_ID | NOVEL_PAGES));
    /* nothing refused was sent: only the good find ran */
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(lt_count(&f, "SELECT \"id\", \"pages\" FROM \"novel\" LIMIT $1"), 1);
    writer_rows_free(writers);
    lt_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subset_values),
        cmocka_unit_test(test_key_not_first_and_composite),
        cmocka_unit_test(test_order_and_where_not_read),
        cmocka_unit_test(test_fetch_links),
        cmocka_unit_test(test_fetch_links_key_not_first),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_backref),
        cmocka_unit_test(test_bad_bits_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
