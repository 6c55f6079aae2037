/* Upsert against a real PostgreSQL, through the generated calls of
 * tests/schemas/gen_upsert.pgorm: insert when absent and update when
 * present (one row, 10,000 rows, a mixed batch with the right flags), the
 * conflict target as @id, @unique, a composite @@unique and a constraint
 * name, a chosen update set, DO NOTHING (with and without the existing
 * rows), a conditional update against EXCLUDED, duplicate keys in one call
 * (the last wins), two connections upserting the same new key at once,
 * refusals before anything is sent, a foreign-key violation that writes
 * nothing, and every allocation failing in turn.
 *
 * Checks go through a second, plain libpq connection.
 */
#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_upsert.pgorm.h"
#include "runtime/query/keymap.h"

typedef struct fixture {
    pgt_db db;
    PGconn *c;     /* plain libpq, for setup and checks */
    pgorm_db *orm; /* the code under test */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    pgt_db_create(&f->db, "upsert");
    f->c = pgt_connect(f->db.direct);
    pgt_apply_schema(f->c, "tests/schemas/gen_upsert.pgorm");
    f->orm = pgt_pgorm_connect(f->db.conninfo);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pgorm_db_free(f->orm);
    PQfinish(f->c);
    pgt_db_drop(&f->db);
    free(f);
    return 0;
}

static int64_t q_int(fixture *f, const char *fmt, const char *arg)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, arg);
    return pgt_query_int(f->c, sql);
}

/* The text of a query's first value, compared with want (NULL: SQL NULL). */
static void assert_q_text(fixture *f, const char *sql, const char *want)
{
    char *got = pgt_query_text(f->c, sql);
    if (!want) {
        if (got)
            fail_msg("%s: \"%s\", expected NULL", sql, got);
        return;
    }
    if (!got || strcmp(got, want) != 0)
        fail_msg("%s: %s%s%s, expected \"%s\"", sql, got ? "\"" : "", got ? got : "NULL",
                 got ? "\"" : "", want);
    free(got);
}

static void must(int rc, pgorm_error *err, const char *what)
{
    if (rc != 0)
        fail_msg("%s: %s (%s)", what, err->message ? err->message : "?",
                 err->detail ? err->detail : "");
}

/* Two vendors for the items' foreign keys; their ids in v1, v2. */
static void two_vendors(fixture *f, int64_t *v1, int64_t *v2)
{
    Vendor v[2] = {{.code = "acme", .name = "Acme"}, {.code = "globex", .name = "Globex"}};
    pgorm_error err = {0};
    must(vendor_insert_sync(f->orm, v, 2, NULL, &err), &err, "vendors");
    *v1 = v[0].id;
    *v2 = v[1].id;
}

/* ------------------------------------------------------------------ */
/* Insert when absent, update when present                              */

static void test_one_row(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    SettingRows *rows = NULL;
    Setting s = {.name = "theme", .value = "dark"};
    const pgorm_upsert by_name = {.conflict = SETTING_NAME};
    must(setting_upsert_sync(f->orm, &s, 1, &by_name, &rows, &err), &err, "first");
    assert_int_equal(rows->count, 1);
    assert_non_null(rows->inserted);
    assert_true(rows->inserted[0]);
    assert_int_equal(pgorm_result_outcome(rows->result, 0), PGORM_UPSERT_INSERTED);
    assert_int_equal(pgorm_result_input(rows->result, 0), 0);
    assert_string_equal(rows->items[0].value, "dark");
    setting_rows_free(rows);

    s.value = "light";
    must(setting_upsert_sync(f->orm, &s, 1, &by_name, &rows, &err), &err, "second");
    assert_int_equal(rows->count, 1);
    assert_false(rows->inserted[0]);
    assert_int_equal(pgorm_result_outcome(rows->result, 0), PGORM_UPSERT_UPDATED);
    assert_string_equal(rows->items[0].value, "light");
    setting_rows_free(rows);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM setting"), 1);
    assert_q_text(f, "SELECT value FROM setting WHERE name = 'theme'", "light");

    /* NULL is a value to update with (no default here) */
    s.value = NULL;
    must(setting_upsert_sync(f->orm, &s, 1, &by_name, NULL, &err), &err, "NULL");
    assert_q_text(f, "SELECT value FROM setting WHERE name = 'theme'", NULL);

    /* no rows: nothing sent, an empty result */
    must(setting_upsert_sync(f->orm, NULL, 0, &by_name, &rows, &err), &err, "zero");
    assert_int_equal(rows->count, 0);
    assert_null(rows->inserted);
    assert_int_equal(pgorm_result_outcome(rows->result, 0), PGORM_UPSERT_NONE);
    setting_rows_free(rows);
}

enum { MANY = 10000 };

static void test_many_rows_mixed(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    Vendor *v = calloc(MANY, sizeof *v);
    char(*codes)[16] = calloc(MANY, sizeof *codes);
    char(*names)[24] = calloc(MANY, sizeof *names);
    int64_t *first_id = calloc(MANY, sizeof *first_id);
    assert_true(v && codes && names && first_id);
    for (int i = 0; i < MANY; i++) {
        snprintf(codes[i], sizeof codes[i], "v%05d", i);
        snprintf(names[i], sizeof names[i], "first %d", i);
        v[i] = (Vendor){.code = codes[i], .name = names[i]};
    }
    const pgorm_upsert by_code = {.conflict = VENDOR_CODE};
    VendorRows *rows = NULL;
    must(vendor_upsert_sync(f->orm, v, MANY, &by_code, &rows, &err), &err, "10000 new");
    assert_int_equal(rows->count, MANY);
    for (int i = 0; i < MANY; i++) {
        assert_true(rows->inserted[i]);
        assert_string_equal(rows->items[i].code, codes[i]);
        assert_int_equal(pgorm_result_input(rows->result, (size_t)i), i);
        assert_true(v[i].id > 0);
        assert_int_equal(v[i].id, rows->items[i].id);
        first_id[i] = v[i].id;
    }
    vendor_rows_free(rows);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM vendor"), MANY);
    assert_int_equal(q_int(f, "SELECT id FROM vendor WHERE code = '%s'", codes[1234]),
                     first_id[1234]);

    /* half of them again (even inputs), half new (odd inputs), interleaved */
    for (int i = 0; i < MANY; i++) {
        snprintf(codes[i], sizeof codes[i], i % 2 ? "w%05d" : "v%05d", i);
        snprintf(names[i], sizeof names[i], "second %d", i);
        v[i] = (Vendor){.code = codes[i], .name = names[i]};
    }
    must(vendor_upsert_sync(f->orm, v, MANY, &by_code, &rows, &err), &err, "10000 mixed");
    assert_int_equal(rows->count, MANY);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(rows->inserted[i], i % 2 == 1);
        assert_int_equal(pgorm_result_outcome(rows->result, (size_t)i),
                         i % 2 ? PGORM_UPSERT_INSERTED : PGORM_UPSERT_UPDATED);
        assert_string_equal(rows->items[i].code, codes[i]);
        assert_string_equal(rows->items[i].name, names[i]);
        if (i % 2 == 0)
            assert_int_equal(v[i].id, first_id[i]); /* the stored row's key, written back */
        else
            assert_true(v[i].id > first_id[MANY - 1]);
    }
    vendor_rows_free(rows);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM vendor"), MANY + MANY / 2);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM vendor WHERE name LIKE 'second %'"),
                     MANY);
    assert_q_text(f, "SELECT name FROM vendor WHERE code = 'v00042'", "second 42");
    assert_q_text(f, "SELECT name FROM vendor WHERE code = 'v00043'", "first 43");
    free(v);
    free(codes);
    free(names);
    free(first_id);
}

/* ------------------------------------------------------------------ */
/* Conflict targets                                                     */

static void test_target_id(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    VendorRows *rows = NULL;
    /* a generated key named as the target is sent: the caller gives it */
    Vendor v[2] = {{.id = 500, .code = "a", .name = "A", .email = "a@x"},
                   {.id = 501, .code = "b", .name = "B"}};
    const pgorm_upsert by_id = {.conflict = VENDOR_ID};
    must(vendor_upsert_sync(f->orm, v, 2, &by_id, &rows, &err), &err, "by id");
    assert_true(rows->inserted[0] && rows->inserted[1]);
    vendor_rows_free(rows);
    v[0].name = "A2";
    v[0].email = NULL; /* NULL updates to NULL */
    v[1] = (Vendor){.id = 502, .code = "c", .name = "C"};
    must(vendor_upsert_sync(f->orm, v, 2, &by_id, &rows, &err), &err, "by id again");
    assert_false(rows->inserted[0]);
    assert_true(rows->inserted[1]);
    assert_int_equal(rows->items[0].id, 500);
    assert_int_equal(rows->items[1].id, 502);
    vendor_rows_free(rows);
    assert_q_text(f, "SELECT name || coalesce(email, '-') FROM vendor WHERE id = 500", "A2-");
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM vendor"), 3);
}

static void test_target_composite_and_named(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    int64_t v1, v2;
    two_vendors(f, &v1, &v2);
    Item it[3] = {
        {.vendor.key = v1, .sku = "S1", .title = "one", .price = "1.5"},
        {.vendor.key = v2, .sku = "S1", .title = "one at globex"},
        {.vendor.key = v1, .sku = "S2", .title = "two", .stock = 5, .has_stock = true},
    };
    ItemRows *rows = NULL;
    const pgorm_upsert by_pair = {.conflict = ITEM_SKU | ITEM_VENDOR};
    must(item_upsert_sync(f->orm, it, 3, &by_pair, &rows, &err), &err, "composite");
    assert_int_equal(rows->count, 3);
    for (int i = 0; i < 3; i++) {
        assert_true(rows->inserted[i]);
        assert_true(it[i].id > 0);
        assert_int_equal(it[i].version, 1); /* the default, written back */
        assert_true(it[i].has_version && it[i].has_created_at);
    }
    assert_string_equal(rows->items[0].price, "1.50");
    assert_string_equal(rows->items[1].title, "one at globex");
    item_rows_free(rows);
    char *created = pgt_query_text(f->c, "SELECT created_at::text FROM item WHERE sku = 'S2'");

    /* by constraint name, as the DDL wrote it (columns in @@unique's order) */
    Item again[2] = {
        {.vendor.key = v1, .sku = "S2", .title = "two again"},
        {.vendor.key = v2, .sku = "S2", .title = "two at globex"},
    };
    const pgorm_upsert named = {.constraint = "item_sku_vendor_id_key"};
    must(item_upsert_sync(f->orm, again, 2, &named, &rows, &err), &err, "named");
    assert_false(rows->inserted[0]);
    assert_true(rows->inserted[1]);
    assert_int_equal(again[0].id, it[2].id);
    /* version and created_at have defaults and were given in no row: not
       updated, the stored ones are written back; stock was not given
       either, but it has no default: NULL is its value, and it is set */
    assert_int_equal(again[0].version, 1);
    assert_true(again[0].has_created_at);
    assert_false(again[0].has_stock);
    item_rows_free(rows);
    assert_q_text(f, "SELECT title FROM item WHERE sku = 'S2' AND vendor_id = (SELECT min(id) FROM vendor)",
                  "two again");
    assert_q_text(f, "SELECT created_at::text FROM item WHERE sku = 'S2' ORDER BY id LIMIT 1",
                  created);
    assert_q_text(f, "SELECT stock::text FROM item WHERE sku = 'S2' ORDER BY id LIMIT 1", NULL);
    free(created);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM item"), 4);

    /* the same set by the name of a @unique field's constraint, and by @id */
    Vendor v = {.code = "acme", .name = "Acme Corp"};
    must(vendor_upsert_sync(f->orm, &v, 1, &(pgorm_upsert){.constraint = "vendor_code_key"}, NULL,
                            &err),
         &err, "vendor_code_key");
    assert_int_equal(v.id, v1);
    v.name = "ACME";
    must(vendor_upsert_sync(f->orm, &v, 1, &(pgorm_upsert){.constraint = "vendor_pkey"}, NULL,
                            &err),
         &err, "vendor_pkey");
    assert_q_text(f, "SELECT name FROM vendor WHERE code = 'acme'", "ACME");
}

/* ------------------------------------------------------------------ */
/* What is updated                                                      */

static void test_update_subset(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    int64_t v1, v2;
    two_vendors(f, &v1, &v2);
    pgt_exec(f->c, "INSERT INTO item (vendor_id, sku, title, price, stock, version) "
                   "SELECT min(id), 'K', 'old title', 9.99, 7, 4 FROM vendor");
    Item it = {.vendor.key = v1, .sku = "K", .title = "new title", .price = "1.00",
               .stock = 1, .has_stock = true, .version = 9, .has_version = true};
    ItemRows *rows = NULL;
    must(item_upsert_sync(f->orm, &it, 1,
                          &(pgorm_upsert){.conflict = ITEM_SKU | ITEM_VENDOR, .update = ITEM_TITLE},
                          &rows, &err),
         &err, "title only");
    assert_false(rows->inserted[0]);
    assert_string_equal(rows->items[0].title, "new title");
    assert_string_equal(rows->items[0].price, "9.99");
    item_rows_free(rows);
    assert_q_text(f, "SELECT title || ' ' || price || ' ' || stock || ' ' || version FROM item",
                  "new title 9.99 7 4");
    /* the stored values of the columns not updated are written back */
    assert_int_equal(it.stock, 7);
    assert_int_equal(it.version, 4);

    /* an unset column with a default, named in the update set: the default */
    Item again = {.vendor.key = v1, .sku = "K", .title = "t"};
    must(item_upsert_sync(f->orm, &again, 1,
                          &(pgorm_upsert){.conflict = ITEM_SKU | ITEM_VENDOR,
                                          .update = ITEM_VERSION | ITEM_STOCK},
                          NULL, &err),
         &err, "default in the update set");
    assert_q_text(f, "SELECT title || ' ' || coalesce(stock::text, 'null') || ' ' || version FROM item",
                  "new title null 1");
    assert_int_equal(again.version, 1);
    assert_false(again.has_stock);
}

static void test_do_nothing(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    Vendor x = {.code = "x", .name = "orig"};
    must(vendor_insert_sync(f->orm, &x, 1, NULL, &err), &err, "x");
    Vendor v[2] = {{.code = "x", .name = "changed"}, {.code = "y", .name = "Y"}};
    VendorRows *rows = NULL;
    must(vendor_upsert_sync(f->orm, v, 2,
                            &(pgorm_upsert){.conflict = VENDOR_CODE, .do_nothing = true}, &rows,
                            &err),
         &err, "do nothing");
    assert_int_equal(rows->count, 1); /* only y came back */
    assert_true(rows->inserted[0]);
    assert_int_equal(pgorm_result_input(rows->result, 0), 1);
    assert_string_equal(rows->items[0].code, "y");
    vendor_rows_free(rows);
    assert_int_equal(v[0].id, 0); /* no row back: untouched */
    assert_true(v[1].id > x.id);
    assert_q_text(f, "SELECT name FROM vendor WHERE code = 'x'", "orig");

    /* the existing rows on request */
    Vendor w[3] = {{.code = "z", .name = "Z"}, {.code = "x", .name = "again"},
                   {.code = "y", .name = "again"}};
    must(vendor_upsert_sync(f->orm, w, 3,
                            &(pgorm_upsert){.conflict = VENDOR_CODE, .do_nothing = true,
                                            .return_existing = true},
                            &rows, &err),
         &err, "do nothing, existing");
    assert_int_equal(rows->count, 3);
    static const pgorm_upsert_outcome want[3] = {PGORM_UPSERT_INSERTED, PGORM_UPSERT_EXISTING,
                                                 PGORM_UPSERT_EXISTING};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(pgorm_result_outcome(rows->result, i), want[i]);
        assert_int_equal(pgorm_result_input(rows->result, i), i);
        assert_int_equal(rows->inserted[i], i == 0);
        assert_string_equal(rows->items[i].code, w[i].code);
    }
    assert_string_equal(rows->items[1].name, "orig"); /* the stored row */
    vendor_rows_free(rows);
    assert_int_equal(w[1].id, x.id);
    assert_int_equal(w[2].id, v[1].id);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM vendor"), 3);

    /* many rows, half existing */
    enum { M = 2000 };
    Vendor *m = calloc(M, sizeof *m);
    char(*codes)[16] = calloc(M, sizeof *codes);
    for (int i = 0; i < M; i++) {
        snprintf(codes[i], sizeof codes[i], "m%d", i / 2); /* m0 m0 m1 m1 ...: duplicates */
        m[i] = (Vendor){.code = codes[i], .name = "m"};
    }
    must(vendor_upsert_sync(f->orm, m, M / 2 + 1, &(pgorm_upsert){.conflict = VENDOR_CODE}, NULL,
                            &err),
         &err, "seed");
    must(vendor_upsert_sync(f->orm, m, M,
                            &(pgorm_upsert){.conflict = VENDOR_CODE, .do_nothing = true,
                                            .return_existing = true},
                            &rows, &err),
         &err, "many existing");
    assert_int_equal(rows->count, M / 2);
    for (size_t i = 0; i < M / 2; i++) {
        assert_int_equal(pgorm_result_input(rows->result, i), 2 * i + 1);
        assert_int_equal(pgorm_result_outcome(rows->result, i),
                         i <= M / 4 ? PGORM_UPSERT_EXISTING : PGORM_UPSERT_INSERTED);
        assert_int_equal(m[2 * i].id, m[2 * i + 1].id);
    }
    vendor_rows_free(rows);
    free(m);
    free(codes);
}

static void test_conditional(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    int64_t v1, v2;
    two_vendors(f, &v1, &v2);
    pgt_exec(f->c, "INSERT INTO item (vendor_id, sku, title, version) "
                   "SELECT min(id), s, 'stored ' || s, 3 FROM vendor, unnest('{S1,S2}'::text[]) s "
                   "GROUP BY s");
    Item it[3] = {
        {.vendor.key = v1, .sku = "S1", .title = "newer", .version = 5, .has_version = true},
        {.vendor.key = v1, .sku = "S2", .title = "older", .version = 2, .has_version = true},
        {.vendor.key = v1, .sku = "S3", .title = "new", .version = 1, .has_version = true},
    };
    ItemRows *rows = NULL;
    pgorm_upsert newer = {.conflict = ITEM_SKU | ITEM_VENDOR,
                          .where = item_version_lt_excluded()};
    must(item_upsert_sync(f->orm, it, 3, &newer, &rows, &err), &err, "newer only");
    assert_int_equal(rows->count, 2);
    assert_int_equal(pgorm_result_input(rows->result, 0), 0);
    assert_int_equal(pgorm_result_outcome(rows->result, 0), PGORM_UPSERT_UPDATED);
    assert_int_equal(pgorm_result_input(rows->result, 1), 2);
    assert_int_equal(pgorm_result_outcome(rows->result, 1), PGORM_UPSERT_INSERTED);
    item_rows_free(rows);
    assert_q_text(f, "SELECT string_agg(sku || ':' || title || ':' || version, ',' ORDER BY sku) "
                     "FROM item",
                  "S1:newer:5,S2:stored S2:3,S3:new:1");
    assert_int_equal(it[1].id, 0); /* skipped: untouched */

    /* the same with the stored rows of the skipped ones */
    it[1].title = "still older";
    newer.return_existing = true;
    must(item_upsert_sync(f->orm, it, 3, &newer, &rows, &err), &err, "with existing");
    assert_int_equal(rows->count, 3);
    /* S1 and S3 are now as new as the incoming rows: not updated either */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(pgorm_result_outcome(rows->result, i), PGORM_UPSERT_EXISTING);
    assert_string_equal(rows->items[1].title, "stored S2");
    item_rows_free(rows);
    assert_int_equal(it[1].version, 3); /* the stored version, written back */
    assert_true(it[1].id > 0);

    /* a condition mixing the incoming row with ordinary filters */
    Item x = {.vendor.key = v1, .sku = "S2", .title = "forced", .version = 1,
              .has_version = true};
    pgorm_upsert forced = {.conflict = ITEM_SKU | ITEM_VENDOR,
                           .where = PGORM_OR(item_version_lt_excluded(),
                                             PGORM_AND(item_title_like("stored %"),
                                                       PGORM_NOT(item_stock_not_null()),
                                                       item_title_ne_excluded()))};
    must(item_upsert_sync(f->orm, &x, 1, &forced, &rows, &err), &err, "mixed condition");
    assert_int_equal(rows->count, 1);
    assert_false(rows->inserted[0]);
    item_rows_free(rows);
    assert_q_text(f, "SELECT title || ':' || version FROM item WHERE sku = 'S2'", "forced:1");
    must(item_upsert_sync(f->orm, &x, 1, &forced, &rows, &err), &err, "now false");
    assert_int_equal(rows->count, 0);
    item_rows_free(rows);
}

/* ------------------------------------------------------------------ */
/* Duplicate keys in one call                                           */

static void test_duplicates_last_wins(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    Vendor v[4] = {{.code = "d1", .name = "first"},
                   {.code = "d2", .name = "other"},
                   {.code = "d1", .name = "second"},
                   {.code = "d1", .name = "third", .email = "third@x"}};
    VendorRows *rows = NULL;
    const pgorm_upsert by_code = {.conflict = VENDOR_CODE};
    must(vendor_upsert_sync(f->orm, v, 4, &by_code, &rows, &err), &err, "duplicates");
    /* one row per key, in the order of the rows that were sent (the last) */
    assert_int_equal(rows->count, 2);
    assert_string_equal(rows->items[0].code, "d2");
    assert_int_equal(pgorm_result_input(rows->result, 0), 1);
    assert_string_equal(rows->items[1].name, "third");
    assert_int_equal(pgorm_result_input(rows->result, 1), 3);
    assert_true(rows->inserted[0] && rows->inserted[1]);
    vendor_rows_free(rows);
    assert_q_text(f, "SELECT name || ' ' || email FROM vendor WHERE code = 'd1'", "third third@x");
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM vendor"), 2);
    /* the dropped rows are filled from the one that was sent */
    assert_true(v[0].id > 0);
    assert_int_equal(v[0].id, v[3].id);
    assert_int_equal(v[2].id, v[3].id);

    Vendor again[2] = {{.code = "d1", .name = "fourth"}, {.code = "d1", .name = "fifth"}};
    must(vendor_upsert_sync(f->orm, again, 2, &by_code, &rows, &err), &err, "existing");
    assert_int_equal(rows->count, 1);
    assert_false(rows->inserted[0]);
    vendor_rows_free(rows);
    assert_int_equal(again[0].id, v[0].id);
    assert_q_text(f, "SELECT name FROM vendor WHERE code = 'd1'", "fifth");

    /* composite keys, duplicates told apart by the second column */
    int64_t v1 = v[0].id, v2 = v[1].id;
    Item it[3] = {{.vendor.key = v1, .sku = "A", .title = "1"},
                  {.vendor.key = v2, .sku = "A", .title = "2"},
                  {.vendor.key = v1, .sku = "A", .title = "3"}};
    ItemRows *irows = NULL;
    must(item_upsert_sync(f->orm, it, 3, &(pgorm_upsert){.conflict = ITEM_SKU | ITEM_VENDOR},
                          &irows, &err),
         &err, "composite duplicates");
    assert_int_equal(irows->count, 2);
    assert_string_equal(irows->items[0].title, "2");
    assert_string_equal(irows->items[1].title, "3");
    item_rows_free(irows);
    assert_int_equal(it[0].id, it[2].id);
    assert_true(it[1].id != it[0].id);
}

/* ------------------------------------------------------------------ */
/* Two connections, one new key                                         */

typedef struct outcome {
    bool done;
    pgorm_error err;
    int inserted; /* rows inserted */
    size_t count;
} outcome;

static void on_vendors(VendorRows *rows, const pgorm_error *err, void *ud)
{
    outcome *o = ud;
    o->done = true;
    if (err) {
        pgorm_error_copy(&o->err, err);
        return;
    }
    o->count = rows->count;
    for (size_t i = 0; i < rows->count; i++)
        o->inserted += rows->inserted[i];
    vendor_rows_free(rows);
}

static void test_concurrent_same_key(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    pgorm_db *db2 = pgt_pgorm_connect(f->db.conninfo);
    const pgorm_upsert by_code = {.conflict = VENDOR_CODE};

    /* 1. The first connection's upsert holds the new key (its transaction is
       open) while the second's is in flight: it waits, then updates. */
    pgorm_db *tx = NULL;
    must(pgorm_begin_sync(f->orm, NULL, &tx, &err), &err, "BEGIN");
    Vendor one = {.code = "race", .name = "one"};
    must(vendor_upsert_sync(tx, &one, 1, &by_code, NULL, &err), &err, "first");
    Vendor two = {.code = "race", .name = "two"};
    static outcome o2;
    memset(&o2, 0, sizeof o2);
    vendor_upsert(db2, &two, 1, &by_code, on_vendors, &o2);
    assert_int_equal(pgorm_db_run_sync(db2, 300), -1); /* still waiting for the lock */
    assert_false(o2.done);
    assert_true(pgt_query_int(f->c, "SELECT count(*) FROM pg_stat_activity "
                                    "WHERE wait_event_type = 'Lock' AND datname = current_database()") >= 1);
    must(pgorm_commit_sync(tx, &err), &err, "COMMIT");
    assert_int_equal(pgorm_db_run_sync(db2, 10000), 0);
    assert_true(o2.done);
    if (o2.err.code != PGORM_OK)
        fail_msg("second upsert: %s", o2.err.message);
    assert_int_equal(o2.count, 1);
    assert_int_equal(o2.inserted, 0);
    assert_int_equal(two.id, one.id);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM vendor WHERE code = 'race'"), 1);
    assert_q_text(f, "SELECT name FROM vendor WHERE code = 'race'", "two");

    /* 2. Both in flight at once, autocommit, the same 50 new keys (in the
       same order, as sorted input would be): every key ends as one row,
       inserted by exactly one side and updated by the other, no error. */
    enum { K = 50 };
    Vendor a[K], b[K];
    char codes[K][16];
    for (int i = 0; i < K; i++) {
        snprintf(codes[i], sizeof codes[i], "k%02d", i);
        a[i] = (Vendor){.code = codes[i], .name = "a"};
        b[i] = (Vendor){.code = codes[i], .name = "b"};
    }
    static outcome oa, ob;
    memset(&oa, 0, sizeof oa);
    memset(&ob, 0, sizeof ob);
    vendor_upsert(f->orm, a, K, &by_code, on_vendors, &oa);
    vendor_upsert(db2, b, K, &by_code, on_vendors, &ob);
    for (int spin = 0; spin < 20000 && !(oa.done && ob.done); spin++) {
        pgorm_db_run_sync(f->orm, 1);
        pgorm_db_run_sync(db2, 1);
    }
    assert_true(oa.done && ob.done);
    if (oa.err.code != PGORM_OK || ob.err.code != PGORM_OK)
        fail_msg("concurrent upserts: %s / %s", oa.err.message ? oa.err.message : "ok",
                 ob.err.message ? ob.err.message : "ok");
    assert_int_equal(oa.count, K);
    assert_int_equal(ob.count, K);
    assert_int_equal(oa.inserted + ob.inserted, K);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM vendor WHERE code LIKE 'k%'"), K);
    for (int i = 0; i < K; i++)
        assert_int_equal(a[i].id, b[i].id);
    pgorm_db_free(db2);
}

/* ------------------------------------------------------------------ */
/* Refusals, before anything is sent                                    */

static void expect_invalid(int rc, pgorm_error *err, const char *a, const char *b)
{
    if (rc == 0)
        fail_msg("accepted, expected a refusal mentioning \"%s\"", a);
    assert_int_equal(err->code, PGORM_ERR_INVALID);
    assert_non_null(err->message);
    if (!strstr(err->message, a) || (b && !strstr(err->message, b)))
        fail_msg("message \"%s\" should mention \"%s\"%s%s", err->message, a, b ? " and " : "",
                 b ? b : "");
    assert_string_equal(err->sqlstate, "");
    pgorm_error_clear(err);
}

static void refusals(pgorm_db *db)
{
    pgorm_error err = {0};
    Vendor v[2] = {{.code = "r1", .name = "R"}, {.code = "r2", .name = "R"}};
    VendorRows *rows = (VendorRows *)1;
    expect_invalid(vendor_upsert_sync(db, v, 2, &(pgorm_upsert){.conflict = VENDOR_NAME}, &rows,
                                      &err),
                   &err, "conflict target (name) has no primary key or unique constraint",
                   "(code) vendor_code_key");
    assert_null(rows);
    expect_invalid(vendor_upsert_sync(db, v, 2, &(pgorm_upsert){.constraint = "vendor_name_key"},
                                      NULL, &err),
                   &err, "\"vendor_name_key\" is not a primary key or unique constraint of Vendor",
                   "(id) vendor_pkey");
    expect_invalid(vendor_upsert_sync(db, v, 2,
                                      &(pgorm_upsert){.conflict = VENDOR_CODE | VENDOR_NAME},
                                      NULL, &err),
                   &err, "(code, name)", NULL);
    expect_invalid(vendor_upsert_sync(db, v, 2, &(pgorm_upsert){0}, NULL, &err), &err,
                   "no conflict target", "vendor_code_key");
    expect_invalid(vendor_upsert_sync(db, v, 2, NULL, NULL, &err), &err, "options are NULL",
                   NULL);
    expect_invalid(vendor_upsert_sync(db, v, 2,
                                      &(pgorm_upsert){.conflict = VENDOR_CODE,
                                                      .constraint = "vendor_code_key"},
                                      NULL, &err),
                   &err, "both .conflict and .constraint", NULL);
    expect_invalid(vendor_upsert_sync(db, v, 2, &(pgorm_upsert){.conflict = UINT64_C(1) << 40},
                                      NULL, &err),
                   &err, "names columns Vendor does not have", NULL);
    expect_invalid(vendor_upsert_sync(db, v, 2,
                                      &(pgorm_upsert){.conflict = VENDOR_CODE,
                                                      .update = VENDOR_CODE | VENDOR_NAME},
                                      NULL, &err),
                   &err, "includes code, a column of the conflict target", NULL);
    expect_invalid(vendor_upsert_sync(db, v, 2,
                                      &(pgorm_upsert){.conflict = VENDOR_CODE,
                                                      .update = VENDOR_ID},
                                      NULL, &err),
                   &err, "includes id, which the server generates", NULL);
    expect_invalid(vendor_upsert_sync(db, v, 2,
                                      &(pgorm_upsert){.conflict = VENDOR_CODE, .do_nothing = true,
                                                      .update = VENDOR_NAME},
                                      NULL, &err),
                   &err, "do_nothing with .update", NULL);
    expect_invalid(vendor_upsert_sync(db, v, 2,
                                      &(pgorm_upsert){.conflict = VENDOR_CODE, .do_nothing = true,
                                                      .where = vendor_name_ne_excluded()},
                                      NULL, &err),
                   &err, "do_nothing with .where", NULL);
    expect_invalid(vendor_upsert_sync(db, v, 2,
                                      &(pgorm_upsert){.conflict = VENDOR_CODE,
                                                      .where = item_title_ne_excluded()},
                                      NULL, &err),
                   &err, "EXCLUDED comparison is about model Item", NULL);
    v[1].code = NULL;
    expect_invalid(vendor_upsert_sync(db, v, 2, &(pgorm_upsert){.conflict = VENDOR_CODE}, NULL,
                                      &err),
                   &err, "row 1: conflict column code is NULL or unset", NULL);
    Item it = {.sku = "x", .title = "x"};
    expect_invalid(item_upsert_sync(db, &it, 1,
                                    &(pgorm_upsert){.constraint = "item_vendor_id_sku_key"}, NULL,
                                    &err),
                   &err, "item_vendor_id_sku_key", "(vendor_id, sku) item_sku_vendor_id_key");
    expect_invalid(vendor_upsert_sync(db, NULL, 2, &(pgorm_upsert){.conflict = VENDOR_CODE}, NULL,
                                      &err),
                   &err, "rows is NULL", NULL);
    /* an EXCLUDED comparison anywhere else */
    expect_invalid(vendor_find_sync(db, &(VendorQuery){.where = vendor_name_ne_excluded()}, NULL,
                                    &err),
                   &err, "belongs in an upsert's .where only", NULL);
}

static void test_refused_before_sending(void **state)
{
    fixture *f = *state;
    refusals(f->orm);
    /* nothing reached the server: no statement prepared, no row written */
    int64_t n = -1;
    pgorm_error err = {0};
    must(pgorm_exec_sync(f->orm,
                         "SELECT 1 FROM pg_prepared_statements WHERE statement LIKE '%CONFLICT%'",
                         0, NULL, &n, &err),
         &err, "prepared");
    assert_int_equal(n, 0);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM vendor"), 0);
    /* and the same refusals on a handle that never connected */
    pgorm_db *offline = pgt_db_new(NULL);
    assert_non_null(offline);
    refusals(offline);
    pgorm_db_free(offline);
}

/* ------------------------------------------------------------------ */
/* A foreign-key violation writes nothing                               */

static void test_foreign_key_violation(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    int64_t v1, v2;
    two_vendors(f, &v1, &v2);
    pgt_exec(f->c, "INSERT INTO item (vendor_id, sku, title) SELECT min(id), 'E', 'stored' "
                   "FROM vendor");
    Item it[3] = {{.vendor.key = v1, .sku = "E", .title = "changed"},
                  {.vendor.key = v2, .sku = "N", .title = "new"},
                  {.vendor.key = v2 + 1000, .sku = "B", .title = "bad vendor"}};
    ItemRows *rows = (ItemRows *)1;
    int rc = item_upsert_sync(f->orm, it, 3, &(pgorm_upsert){.conflict = ITEM_SKU | ITEM_VENDOR},
                              &rows, &err);
    assert_int_equal(rc, -1);
    assert_null(rows);
    assert_int_equal(err.code, PGORM_ERR_SERVER);
    assert_string_equal(err.sqlstate, "23503");
    assert_non_null(err.constraint);
    assert_string_equal(err.constraint, "item_vendor_id_fkey");
    assert_non_null(strstr(err.message, "item_vendor_id_fkey"));
    pgorm_error_clear(&err);
    /* atomic: neither the insert nor the update happened, nothing written back */
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM item"), 1);
    assert_q_text(f, "SELECT title FROM item", "stored");
    for (int i = 0; i < 3; i++)
        assert_int_equal(it[i].id, 0);

    /* the same through the asynchronous call: the callback gets the error once */
    static outcome o;
    memset(&o, 0, sizeof o);
    /* vendor v1 takes v2's code: a unique violation */
    Vendor bad[1] = {{.id = v1, .code = "globex", .name = "clash"}};
    vendor_upsert(f->orm, bad, 1, &(pgorm_upsert){.conflict = VENDOR_ID}, on_vendors, &o);
    assert_int_equal(pgorm_db_run_sync(f->orm, 10000), 0);
    assert_true(o.done);
    assert_string_equal(o.err.sqlstate, "23505");
    assert_string_equal(o.err.constraint, "vendor_code_key");
    pgorm_error_clear(&o.err);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM vendor"), 2);
}

/* ------------------------------------------------------------------ */
/* Keys compare as the server compares them                             */

typedef struct num_row {
    char *n;
    char *t;
} num_row;

static const pgorm_column_desc num_cols[] = {
    {"n", "numeric(10,2)", PGORM_NUMERIC, PGORM_COL_PK, offsetof(num_row, n), PGORM_NO_OFFSET,
     NULL, NULL, 0, false, 0},
    {"t", "text", PGORM_TEXT, 0, offsetof(num_row, t), PGORM_NO_OFFSET, NULL, NULL, 0, false, 0},
};
static const uint64_t num_unique[] = {1};
static const pgorm_model_desc num_model = {.name = "Num",
                                           .table = "num",
                                           .struct_size = sizeof(num_row),
                                           .columns = num_cols,
                                           .ncolumns = 2,
                                           .pk_mask = 1,
                                           .unique_masks = num_unique,
                                           .nunique = 1};

static void test_numeric_keys(void **state)
{
    fixture *f = *state;
    num_row rows[5] = {{"1.5", "a"}, {"1.50", "b"}, {"001.500", "c"}, {"-0", "d"}, {"0.00", "e"}};
    pgorm_keymap km;
    assert_int_equal(pgorm_keymap_build(&km, &num_model, 1, rows, 5, NULL), 0);
    assert_int_equal(pgorm_keymap_count(&km), 2);
    assert_int_equal(pgorm_keymap_last(&km, 0), 2);
    assert_int_equal(pgorm_keymap_last(&km, 3), 4);
    size_t idx = 0;
    num_row other = {"1.51", NULL};
    assert_int_equal(pgorm_keymap_find(&km, &other, &idx), 0);
    num_row same = {"15e-1", NULL};
    assert_int_equal(pgorm_keymap_find(&km, &same, &idx), 1);
    assert_int_equal(idx, 2);
    pgorm_keymap_free(&km);

    /* through the server: 1.5 comes back as 1.50 and is still matched */
    pgt_exec(f->c, "CREATE TABLE num (n numeric(10,2) PRIMARY KEY, t text)");
    pgorm_result *res = NULL;
    pgorm_error err = {0};
    must(pgorm_upsert_rows_sync(f->orm, &num_model, rows, 5,
                                &(pgorm_upsert){.constraint = "num_pkey"}, &res, &err),
         &err, "numeric keys");
    assert_int_equal(pgorm_result_count(res), 2);
    num_row *items = pgorm_result_items(res);
    assert_string_equal(items[0].n, "1.50");
    assert_string_equal(items[0].t, "c");
    assert_int_equal(pgorm_result_input(res, 0), 2);
    assert_string_equal(items[1].n, "0.00");
    assert_int_equal(pgorm_result_input(res, 1), 4);
    pgorm_result_free(res);

    /* a key the column rounds comes back as another value: the row is
       still in the result, matched to no input (and nothing written back) */
    num_row rounded[2] = {{"2.005", "r"}, {"1.5", "again"}};
    must(pgorm_upsert_rows_sync(f->orm, &num_model, rounded, 2,
                                &(pgorm_upsert){.conflict = 1}, &res, &err),
         &err, "rounded key");
    assert_int_equal(pgorm_result_count(res), 2);
    items = pgorm_result_items(res);
    assert_string_equal(items[0].t, "again");
    assert_int_equal(pgorm_result_input(res, 0), 1);
    assert_int_equal(pgorm_result_outcome(res, 0), PGORM_UPSERT_UPDATED);
    assert_string_equal(items[1].n, "2.01");
    assert_int_equal(pgorm_result_input(res, 1), SIZE_MAX);
    assert_int_equal(pgorm_result_outcome(res, 1), PGORM_UPSERT_INSERTED);
    assert_string_equal(rounded[0].n, "2.005");
    pgorm_result_free(res);
}

/* ------------------------------------------------------------------ */
/* Every allocation failing in turn                                     */

static void oom_scenario(void *ctx)
{
    fixture *f = ctx;
    pgt_exec(f->c, "TRUNCATE vendor CASCADE");
    const char *conninfo = f->db.conninfo;
    pgorm_db *db = pgt_db_new(NULL);
    if (!db)
        return;
    pgorm_error err = {0};
    if (pgorm_db_connect_sync(db, conninfo, &err) == 0) {
        Vendor v[3] = {{.code = "o1", .name = "a"}, {.code = "o2", .name = "b"},
                       {.code = "o1", .name = "c"}};
        VendorRows *rows = NULL;
        pgorm_upsert opts = {.conflict = VENDOR_CODE, .where = vendor_name_ne_excluded(),
                             .return_existing = true};
        int rc = vendor_upsert_sync(db, v, 3, &opts, &rows, &err);
        if (rc == 0) {
            assert_int_equal(rows->count, 2);
            assert_int_equal(v[0].id, v[2].id);
        } else {
            assert_non_null(err.message);
            assert_true(err.code == PGORM_ERR_NOMEM || err.code == PGORM_ERR_CONNECTION_LOST ||
                        err.code == PGORM_ERR_CLOSED);
        }
        vendor_rows_free(rows);
    }
    pgorm_error_clear(&err);
    pgorm_db_free(db);
}

static void test_oom_walk(void **state)
{
    pgt_oom_walk(oom_scenario, *state, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_rows_mixed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_composite_and_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_subset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_do_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conditional, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_last_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_same_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_before_sending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_key_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numeric_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oom_walk, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
