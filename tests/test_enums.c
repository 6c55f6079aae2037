/* Schema enums through the generated code, against a real PostgreSQL
 * (tests/schemas/gen_enums.pgorm).
 *
 * What is checked: the C enum's name helpers; insert with the default, an
 * explicit value and NULL, read back as the C values (and as the server's
 * labels); typed filters (=, IN, order comparisons by the enum's order, IS
 * NULL); get, update, update_where, count, delete_where; a ForeignKey to a
 * model keyed by an enum (fetch_links both ways, a lazy load, an upsert on
 * the enum key); a value outside the enum refused before anything is sent;
 * a label the generated code does not know reported, not guessed.
 */
#include "pgtest.h"

#include <stdlib.h>
#include <string.h>

#include "gen_enums.pgorm.h"

typedef struct fixture {
    pgt_db db;
    PGconn *c;
    pgorm_db *orm;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    pgt_db_create(&f->db, "enums");
    f->c = pgt_connect(f->db.direct);
    pgt_apply_schema(f->c, "tests/schemas/gen_enums.pgorm");
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

static void assert_q(fixture *f, const char *sql, const char *want)
{
    char *got = pgt_query_text(f->c, sql);
    if (!got || strcmp(got, want) != 0)
        fail_msg("%s\nexpected: %s\ngot: %s", sql, want, got ? got : "(null)");
    free(got);
}

static int64_t count_where(fixture *f, pgorm_pred where)
{
    pgorm_error err = {0};
    int64_t n = -1;
    pgt_ok(ticket_count_sync(f->orm, where, &n, &err), &err, "ticket_count_sync");
    return n;
}

static void test_name_helpers(void **state)
{
    (void)state;
    assert_string_equal(status_name(STATUS_DRAFT), "draft");
    assert_string_equal(status_name(STATUS_ARCHIVED), "archived");
    assert_null(status_name((Status)3));
    assert_null(status_name((Status)-1));
    assert_string_equal(priority_name(PRIORITY_IN_PROGRESS), "inProgress");
    Status s = STATUS_DRAFT;
    assert_true(status_from_name("published", &s));
    assert_int_equal(s, STATUS_PUBLISHED);
    assert_false(status_from_name("Published", &s));
    assert_false(status_from_name(NULL, &s));
    assert_int_equal(s, STATUS_PUBLISHED); /* untouched */
    assert_int_equal(ticket_model.columns[2].type, PGORM_ENUM);
    assert_string_equal(ticket_model.columns[2].sql_type, "\"status\"");
    assert_int_equal(ticket_model.columns[2].nenum_labels, 3);
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    Ticket in[3] = {
        {.title = "default"},                                     /* status DEFAULT, NULL priority */
        {.title = "set", .status = STATUS_ARCHIVED, .has_status = true, .priority = PRIORITY_HIGH,
         .has_priority = true},
        {.title = "camel", .status = STATUS_PUBLISHED, .has_status = true,
         .priority = PRIORITY_IN_PROGRESS, .has_priority = true},
    };
    TicketRows *rows = NULL;
    pgt_ok(ticket_insert_sync(f->orm, in, 3, &rows, &err), &err, "ticket_insert_sync");
    assert_int_equal(rows->count, 3);
    assert_true(rows->items[0].has_status);
    assert_int_equal(rows->items[0].status, STATUS_DRAFT);
    assert_false(rows->items[0].has_priority);
    assert_int_equal(rows->items[1].status, STATUS_ARCHIVED);
    assert_int_equal(rows->items[1].priority, PRIORITY_HIGH);
    assert_int_equal(rows->items[2].priority, PRIORITY_IN_PROGRESS);
    /* the default written back into the input */
    assert_true(in[0].has_status);
    assert_int_equal(in[0].status, STATUS_DRAFT);
    ticket_rows_free(rows);
    /* what the server stored */
    assert_q(f,
             "SELECT string_agg(title || ':' || status || ':' || coalesce(priority::text, 'NULL'),"
             " ',' ORDER BY id) FROM ticket",
             "default:draft:NULL,set:archived:high,camel:published:inProgress");

    /* get */
    rows = NULL;
    pgt_ok(ticket_get_sync(f->orm, in[1].id, &rows, &err), &err, "ticket_get_sync");
    assert_int_equal(rows->count, 1);
    assert_int_equal(rows->items[0].status, STATUS_ARCHIVED);
    ticket_rows_free(rows);

    /* filters */
    assert_int_equal(count_where(f, ticket_status_eq(STATUS_DRAFT)), 1);
    assert_int_equal(count_where(f, ticket_status_ne(STATUS_DRAFT)), 2);
    assert_int_equal(count_where(f, ticket_status_gt(STATUS_DRAFT)), 2); /* by the enum's order */
    assert_int_equal(count_where(f, ticket_status_lt(STATUS_ARCHIVED)), 2);
    Status some[] = {STATUS_DRAFT, STATUS_ARCHIVED};
    assert_int_equal(count_where(f, ticket_status_in(some, 2)), 2);
    assert_int_equal(count_where(f, ticket_status_in(some, 0)), 0);
    assert_int_equal(count_where(f, ticket_priority_is_null()), 1);
    assert_int_equal(count_where(f, ticket_priority_eq(PRIORITY_IN_PROGRESS)), 1);
    assert_int_equal(count_where(f, PGORM_AND(ticket_status_ge(STATUS_PUBLISHED),
                                              ticket_priority_ge(PRIORITY_HIGH))),
                     2);

    /* find with ORDER BY the enum */
    rows = NULL;
    pgt_ok(ticket_find_sync(f->orm,
                            &(TicketQuery){.where = ticket_status_ne(STATUS_DRAFT),
                                           .order = {PGORM_DESC(TICKET_STATUS)}},
                            &rows, &err),
           &err, "ticket_find_sync");
    assert_int_equal(rows->count, 2);
    assert_int_equal(rows->items[0].status, STATUS_ARCHIVED);
    assert_int_equal(rows->items[1].status, STATUS_PUBLISHED);
    ticket_rows_free(rows);

    /* update by key: a value, then NULL */
    Ticket u = in[1];
    u.status = STATUS_DRAFT;
    u.has_priority = false;
    int64_t n = 0;
    pgt_ok(ticket_update_sync(f->orm, &u, TICKET_STATUS | TICKET_PRIORITY, &n, &err), &err,
           "ticket_update_sync");
    assert_int_equal(n, 1);
    assert_q(f, "SELECT status || ':' || coalesce(priority::text, 'NULL') FROM ticket WHERE title = 'set'",
             "draft:NULL");
    /* update_where */
    Ticket v = {.status = STATUS_PUBLISHED, .has_status = true};
    pgt_ok(ticket_update_where_sync(f->orm, &v, TICKET_STATUS, ticket_status_eq(STATUS_DRAFT), &n,
                                    &err),
           &err, "ticket_update_where_sync");
    assert_int_equal(n, 2);
    assert_int_equal(count_where(f, ticket_status_eq(STATUS_PUBLISHED)), 3);
    /* delete_where */
    pgt_ok(ticket_delete_where_sync(f->orm, ticket_priority_is_null(), &n, &err), &err,
           "ticket_delete_where_sync");
    assert_int_equal(n, 2);
    assert_int_equal(count_where(f, (pgorm_pred){0}), 1);
    pgt_exec(f->c, "DELETE FROM ticket");
}

static void test_enum_key_and_links(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    Team teams[2] = {{.code = PRIORITY_LOW, .name = "low team"},
                     {.code = PRIORITY_IN_PROGRESS, .name = "busy team"}};
    TeamRows *trows = NULL;
    pgt_ok(team_insert_sync(f->orm, teams, 2, &trows, &err), &err, "team_insert_sync");
    team_rows_free(trows);
    Ticket in[3] = {
        {.title = "a", .team = {.key = PRIORITY_IN_PROGRESS, .has_key = true}},
        {.title = "b", .team = {.key = PRIORITY_IN_PROGRESS, .has_key = true}},
        {.title = "c", .status = STATUS_ARCHIVED, .has_status = true},
    };
    TicketRows *rows = NULL;
    pgt_ok(ticket_insert_sync(f->orm, in, 3, &rows, &err), &err, "ticket_insert_sync");
    ticket_rows_free(rows);

    /* ForeignKey: a JOIN */
    rows = NULL;
    pgt_ok(ticket_find_sync(f->orm,
                            &(TicketQuery){.fetch_links = true, .order = {PGORM_ASC(TICKET_ID)}},
                            &rows, &err),
           &err, "ticket_find_sync links");
    assert_int_equal(rows->count, 3);
    assert_non_null(rows->items[0].team.ref);
    assert_int_equal(rows->items[0].team.ref->code, PRIORITY_IN_PROGRESS);
    assert_string_equal(rows->items[0].team.ref->name, "busy team");
    assert_ptr_equal(rows->items[0].team.ref, rows->items[1].team.ref); /* identity map */
    assert_null(rows->items[2].team.ref);
    assert_false(rows->items[2].team.has_key);
    ticket_rows_free(rows);

    /* filter across the relation, by the key */
    assert_int_equal(count_where(f, ticket_team_eq(PRIORITY_IN_PROGRESS)), 2);

    /* BackReference: records carrying the enum values */
    trows = NULL;
    pgt_ok(team_find_sync(f->orm,
                          &(TeamQuery){.fetch_links = true, .order = {PGORM_ASC(TEAM_CODE)}},
                          &trows, &err),
           &err, "team_find_sync links");
    assert_int_equal(trows->count, 2);
    assert_int_equal(trows->items[0].code, PRIORITY_LOW);
    assert_int_equal(trows->items[0].tickets.count, 0);
    assert_int_equal(trows->items[1].tickets.count, 2);
    assert_int_equal(trows->items[1].tickets.items[0].status, STATUS_DRAFT);
    assert_int_equal(trows->items[1].tickets.items[1].team.key, PRIORITY_IN_PROGRESS);
    team_rows_free(trows);

    /* back reference call and lazy load keyed by the enum */
    Team busy = {.code = PRIORITY_IN_PROGRESS};
    rows = NULL;
    pgt_ok(team_tickets_sync(f->orm, &busy, NULL, &rows, &err), &err, "team_tickets_sync");
    assert_int_equal(rows->count, 2);
    Ticket one = rows->items[0];
    one.team.ref = NULL;
    ticket_rows_free(rows);
    trows = NULL;
    pgt_ok(ticket_load_team_sync(f->orm, &one, &trows, &err), &err, "ticket_load_team_sync");
    assert_int_equal(trows->count, 1);
    assert_string_equal(trows->items[0].name, "busy team");
    team_rows_free(trows);

    /* upsert on the enum key */
    Team up[2] = {{.code = PRIORITY_LOW, .name = "renamed"},
                  {.code = PRIORITY_HIGH, .name = "high team"}};
    trows = NULL;
    pgt_ok(team_upsert_sync(f->orm, up, 2, &(pgorm_upsert){.conflict = TEAM_CODE}, &trows, &err),
           &err, "team_upsert_sync");
    assert_int_equal(trows->count, 2);
    assert_false(trows->inserted[0]);
    assert_true(trows->inserted[1]);
    team_rows_free(trows);
    assert_q(f, "SELECT string_agg(code || '=' || name, ',' ORDER BY code) FROM team",
             "low=renamed,high=high team,inProgress=busy team");
    pgt_exec(f->c, "DELETE FROM ticket; DELETE FROM team");
}

static void test_bad_values(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    /* a value outside the enum: refused before anything is sent */
    Ticket bad = {.title = "bad", .status = (Status)7, .has_status = true};
    TicketRows *rows = NULL;
    assert_int_equal(ticket_insert_sync(f->orm, &bad, 1, &rows, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "7 is not a value of the enum"));
    pgorm_error_clear(&err);
    assert_int_equal(ticket_count_sync(f->orm, ticket_status_eq((Status)-2), NULL, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    pgorm_error_clear(&err);
    assert_q(f, "SELECT count(*) FROM ticket", "0");

    /* a label added on the server after the code was generated */
    pgt_exec(f->c, "ALTER TYPE status ADD VALUE 'deleted'");
    pgt_exec(f->c, "INSERT INTO ticket (title, status) VALUES ('new', 'deleted')");
    rows = NULL;
    assert_int_equal(ticket_find_sync(f->orm, &(TicketQuery){0}, &rows, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_DECODE);
    assert_non_null(strstr(err.message, "'deleted' is not a value of enum \"status\""));
    pgorm_error_clear(&err);
    /* the others still read */
    pgt_exec(f->c, "UPDATE ticket SET status = 'published'");
    rows = NULL;
    pgt_ok(ticket_find_sync(f->orm, &(TicketQuery){0}, &rows, &err), &err, "ticket_find_sync");
    assert_int_equal(rows->count, 1);
    assert_int_equal(rows->items[0].status, STATUS_PUBLISHED);
    ticket_rows_free(rows);
    pgt_exec(f->c, "DELETE FROM ticket");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_helpers),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_enum_key_and_links),
        cmocka_unit_test(test_bad_values),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
