/* CHECK constraints and expression defaults against a real PostgreSQL,
 * through the generated calls of tests/schemas/gen_checks.pgorm.
 *
 * What is checked: a row that breaks a column check or a model check is
 * refused by the server, and the insert's callback (exactly once) gets a
 * PGORM_ERR_SERVER error with SQLSTATE 23514, the constraint's name and the
 * server's message, with nothing written; rows that keep them go in. A
 * column whose default is an expression (gen_random_uuid(), sql("..."),
 * current_date, current_timestamp) and is left unset gets the server's
 * value, written back into the struct; a value that is set is kept.
 */
#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_checks.pgorm.h"

typedef struct fixture {
    pgt_db db;
    PGconn *c;     /* plain libpq, for setup and checks */
    pgorm_db *orm; /* the code under test */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    pgt_db_create(&f->db, "checks");
    f->c = pgt_connect(f->db.direct);
    pgt_apply_schema(f->c, "tests/schemas/gen_checks.pgorm");
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

typedef struct outcome {
    int calls;
    pgorm_errcode code;
    char sqlstate[6];
    char constraint[64];
    char message[512];
    size_t count;
} outcome;

static void on_rows(LedgerRows *rows, const pgorm_error *err, void *ud)
{
    outcome *o = ud;
    o->calls++;
    o->code = err ? err->code : PGORM_OK;
    if (err) {
        assert_null(rows);
        memcpy(o->sqlstate, err->sqlstate, sizeof o->sqlstate);
        snprintf(o->constraint, sizeof o->constraint, "%s", err->constraint ? err->constraint : "");
        snprintf(o->message, sizeof o->message, "%s", err->message);
    } else {
        o->count = rows->count;
    }
    ledger_rows_free(rows);
}

static outcome insert(fixture *f, Ledger *rows, size_t n)
{
    outcome o = {0};
    ledger_insert(f->orm, rows, n, on_rows, &o);
    assert_int_equal(pgorm_db_run_sync(f->orm, 10000), 0);
    assert_int_equal(o.calls, 1);
    return o;
}

static void expect_refused(fixture *f, Ledger *rows, size_t n, const char *constraint)
{
    int64_t before = pgt_query_int(f->c, "SELECT count(*) FROM ledger");
    outcome o = insert(f, rows, n);
    assert_int_equal(o.code, PGORM_ERR_SERVER);
    assert_string_equal(o.sqlstate, "23514"); /* check_violation */
    assert_string_equal(o.constraint, constraint);
    char want[128];
    snprintf(want, sizeof want, "violates check constraint \"%s\"", constraint);
    if (!strstr(o.message, want))
        fail_msg("message \"%s\" does not say %s", o.message, want);
    /* nothing written, also of the good rows in the same insert */
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM ledger"), before);
}

static void test_checks_refuse_bad_rows(void **state)
{
    fixture *f = *state;
    Ledger zero_pages = {.title = "t", .pages = 0};
    expect_refused(f, &zero_pages, 1, "ledger_pages_check");

    Ledger empty_title = {.title = "", .pages = 3};
    expect_refused(f, &empty_title, 1, "ledger_title_check");

    /* the model check over two columns; low set above the default of high */
    Ledger inverted = {.title = "t", .pages = 1, .low = 500, .has_low = true};
    expect_refused(f, &inverted, 1, "low_below_high");

    /* one bad row among good ones: the whole insert is refused */
    Ledger mixed[3] = {{.title = "a", .pages = 1}, {.title = "b", .pages = -5},
                       {.title = "c", .pages = 2}};
    expect_refused(f, mixed, 3, "ledger_pages_check");

    /* rows that keep the checks go in, and the connection goes on */
    Ledger good[2] = {{.title = "a", .pages = 1},
                      {.title = "b", .pages = 2, .low = 100, .has_low = true}};
    outcome o = insert(f, good, 2);
    assert_int_equal(o.code, PGORM_OK);
    assert_int_equal(o.count, 2);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM ledger"), 2);
}

static bool uuid_zero(const pgorm_uuid *u)
{
    static const pgorm_uuid zero;
    return memcmp(u, &zero, sizeof zero) == 0;
}

static void test_expression_defaults(void **state)
{
    fixture *f = *state;
    Ledger rows[2] = {{.title = "one", .pages = 10}, {.title = "two", .pages = 20}};
    LedgerRows *out = NULL;
    pgorm_error err = {0};
    pgt_ok(ledger_insert_sync(f->orm, rows, 2, &out, &err), &err, "ledger_insert_sync");
    assert_int_equal(out->count, 2);
    /* written back: a fresh uuid per row, and each expression's value
       (text in the result: char * fields of the input stay as they are) */
    for (int i = 0; i < 2; i++) {
        const Ledger *r = &out->items[i];
        assert_true(rows[i].has_id);
        assert_false(uuid_zero(&rows[i].id));
        assert_memory_equal(&rows[i].id, &r->id, sizeof r->id);
        assert_true(rows[i].has_high);
        assert_int_equal(rows[i].high, 100);
        assert_true(rows[i].has_low);
        assert_int_equal(rows[i].low, 0);
        assert_true(rows[i].has_day);
        assert_int_equal(rows[i].day, r->day);
        assert_true(rows[i].has_at);
        assert_null(rows[i].slug);
        assert_string_equal(r->slug, "x");
    }
    assert_memory_not_equal(&rows[0].id, &rows[1].id, sizeof rows[0].id);
    ledger_rows_free(out);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(DISTINCT id) FROM ledger"), 2);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM ledger WHERE slug = 'x' AND "
                                         "high = 100 AND day = current_date AND at <= now()"),
                     2);

    /* values that are set are kept, the key too */
    pgorm_uuid id = {{0x12, 0x34}};
    Ledger given = {.id = id, .has_id = true, .title = "given", .pages = 1, .high = 7,
                    .has_high = true, .slug = "mine"};
    outcome o = insert(f, &given, 1);
    assert_int_equal(o.code, PGORM_OK);
    assert_memory_equal(&given.id, &id, sizeof id);
    assert_int_equal(given.high, 7);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM ledger WHERE slug = 'mine' AND "
                                         "high = 7 AND id = '12340000-0000-0000-0000-000000000000'"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checks_refuse_bad_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expression_defaults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
