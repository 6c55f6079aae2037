/* SQL schemas through the generated code, against a real PostgreSQL
 * (tests/schemas/gen_sql_schemas.pgorm: models of `shop`, the file's
 * default, and of `billing`, enums of both, one table name in both).
 *
 * The database's search_path is set to a schema that does not exist
 * (ALTER DATABASE ... SET search_path = nothing, so every connection,
 * through PgBouncer too, has it): every statement pgorm writes must name
 * its tables and enum types with their schema. What is checked: insert with
 * defaults of enums of both schemas, get, find with filters, update,
 * delete, count, upsert on a unique key; fetch_links across the schemas
 * both ways (ForeignKey JOINs, BackReference arrays), a filter across a
 * relation, a back reference call and a lazy load; the two `note` tables
 * are two tables; a ManyToMany of shop.depot through billing.assignment
 * (add, load, fetch_links, a filter, remove).
 */
#include "pgtest.h"

#include <stdlib.h>
#include <string.h>

#include "gen_sql_schemas.pgorm.h"

typedef struct fixture {
    pgt_db db;
    PGconn *c;
    pgorm_db *orm;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    pgt_db_create(&f->db, "sql_schemas");
    PGconn *c = pgt_connect(f->db.direct);
    pgt_apply_schema(c, "tests/schemas/gen_sql_schemas.pgorm");
    pgt_exec(c, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = nothing', "
                "current_database()); END $$");
    PQfinish(c);
    /* connections from here on start with the hostile search_path */
    f->c = pgt_connect(f->db.direct);
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

static void test_search_path_is_hostile(void **state)
{
    fixture *f = *state;
    assert_q(f, "SHOW search_path", "nothing");
    /* an unqualified name finds nothing */
    PGresult *r = PQexec(f->c, "SELECT count(*) FROM depot");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    /* the descriptors carry the schemas */
    assert_string_equal(depot_model.schema, "shop");
    assert_string_equal(courier_model.schema, "billing");
    assert_string_equal(courier_model.columns[2].sql_type, "\"billing\".\"tier\"");
    assert_string_equal(parcel_model.columns[1].sql_type, "\"shop\".\"size\"");
}

static void test_crud_and_links_across_schemas(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    Depot depots[2] = {{.name = "north"}, {.name = "south"}};
    DepotRows *drows = NULL;
    pgt_ok(depot_insert_sync(f->orm, depots, 2, &drows, &err), &err, "depot_insert_sync");
    depot_rows_free(drows);
    Courier couriers[2] = {{.name = "ann"}, {.name = "bob", .tier = TIER_GOLD, .has_tier = true}};
    CourierRows *crows = NULL;
    pgt_ok(courier_insert_sync(f->orm, couriers, 2, &crows, &err), &err, "courier_insert_sync");
    assert_int_equal(crows->items[0].tier, TIER_SILVER); /* the enum default of billing.tier */
    courier_rows_free(crows);
    Parcel parcels[3] = {
        {.depot = {.key = depots[0].id}, .courier = {.key = couriers[1].id, .has_key = true}},
        {.size = SIZE_LARGE, .has_size = true, .depot = {.key = depots[0].id}},
        {.size = SIZE_SMALL, .has_size = true, .depot = {.key = depots[1].id},
         .courier = {.key = couriers[1].id, .has_key = true}},
    };
    ParcelRows *prows = NULL;
    pgt_ok(parcel_insert_sync(f->orm, parcels, 3, &prows, &err), &err, "parcel_insert_sync");
    assert_int_equal(prows->items[0].size, SIZE_MEDIUM); /* the enum default of shop.size */
    parcel_rows_free(prows);
    assert_q(f,
             "SELECT string_agg(p.size || '@' || d.name || '/' || coalesce(c.name, '-'), ',' "
             "ORDER BY p.id) FROM shop.parcel p JOIN shop.depot d ON d.id = p.depot_id "
             "LEFT JOIN billing.courier c ON c.id = p.courier_id",
             "medium@north/bob,large@north/-,small@south/bob");

    /* get, find with a filter on an enum, count */
    prows = NULL;
    pgt_ok(parcel_get_sync(f->orm, parcels[1].id, &prows, &err), &err, "parcel_get_sync");
    assert_int_equal(prows->count, 1);
    assert_int_equal(prows->items[0].size, SIZE_LARGE);
    parcel_rows_free(prows);
    int64_t n = -1;
    pgt_ok(parcel_count_sync(f->orm, parcel_size_ge(SIZE_MEDIUM), &n, &err), &err, "count");
    assert_int_equal(n, 2);
    Tier golds[] = {TIER_GOLD};
    pgt_ok(courier_count_sync(f->orm, courier_tier_in(golds, 1), &n, &err), &err, "count in");
    assert_int_equal(n, 1);

    /* ForeignKeys into both schemas: JOINs */
    prows = NULL;
    pgt_ok(parcel_find_sync(f->orm,
                            &(ParcelQuery){.fetch_links = true, .order = {PGORM_ASC(PARCEL_ID)}},
                            &prows, &err),
           &err, "parcel_find_sync links");
    assert_int_equal(prows->count, 3);
    assert_string_equal(prows->items[0].depot.ref->name, "north");
    assert_ptr_equal(prows->items[0].depot.ref, prows->items[1].depot.ref);
    assert_string_equal(prows->items[0].courier.ref->name, "bob");
    assert_int_equal(prows->items[0].courier.ref->tier, TIER_GOLD);
    assert_null(prows->items[1].courier.ref);
    assert_string_equal(prows->items[2].depot.ref->name, "south");
    parcel_rows_free(prows);

    /* BackReferences from both schemas: arrays of records */
    crows = NULL;
    pgt_ok(courier_find_sync(f->orm,
                             &(CourierQuery){.fetch_links = true, .order = {PGORM_ASC(COURIER_ID)}},
                             &crows, &err),
           &err, "courier_find_sync links");
    assert_int_equal(crows->count, 2);
    assert_int_equal(crows->items[0].parcels.count, 0);
    assert_int_equal(crows->items[1].parcels.count, 2);
    assert_int_equal(crows->items[1].parcels.items[1].size, SIZE_SMALL);
    courier_rows_free(crows);
    drows = NULL;
    pgt_ok(depot_find_sync(f->orm,
                           &(DepotQuery){.where = depot_parcels_any(parcel_courier_eq(couriers[1].id)),
                                         .fetch_links = true,
                                         .order = {PGORM_ASC(DEPOT_ID)}},
                           &drows, &err),
           &err, "depot_find_sync across a relation");
    assert_int_equal(drows->count, 2);
    assert_int_equal(drows->items[0].parcels.count, 2);
    depot_rows_free(drows);
    pgt_ok(depot_count_sync(f->orm, depot_parcels_count_ge(2), &n, &err), &err, "count rel");
    assert_int_equal(n, 1);

    /* a back reference call, a lazy load */
    prows = NULL;
    pgt_ok(courier_parcels_sync(f->orm, &couriers[1], NULL, &prows, &err), &err,
           "courier_parcels_sync");
    assert_int_equal(prows->count, 2);
    Parcel one = prows->items[1];
    one.depot.ref = NULL;
    parcel_rows_free(prows);
    drows = NULL;
    pgt_ok(parcel_load_depot_sync(f->orm, &one, &drows, &err), &err, "parcel_load_depot_sync");
    assert_string_equal(drows->items[0].name, "south");
    depot_rows_free(drows);

    /* a ManyToMany through a join table of the other schema */
    const int32_t both[] = {couriers[0].id, couriers[1].id};
    pgt_ok(depot_couriers_add_sync(f->orm, &depots[0], both, 2, &n, &err), &err,
           "depot_couriers_add_sync");
    assert_int_equal(n, 2);
    pgt_ok(depot_couriers_add_sync(f->orm, &depots[1], both + 1, 1, &n, &err), &err,
           "depot_couriers_add_sync 2");
    assert_q(f, "SELECT count(*) FROM billing.assignment", "3");
    crows = NULL;
    pgt_ok(depot_couriers_sync(f->orm, &depots[0], NULL, &crows, &err), &err,
           "depot_couriers_sync");
    assert_int_equal(crows->count, 2);
    courier_rows_free(crows);
    drows = NULL;
    pgt_ok(depot_find_sync(f->orm,
                           &(DepotQuery){.where = depot_couriers_any(courier_tier_eq(TIER_GOLD)),
                                         .fetch_links = true,
                                         .order = {PGORM_ASC(DEPOT_ID)}},
                           &drows, &err),
           &err, "depot_find_sync through the ManyToMany");
    assert_int_equal(drows->count, 2);
    assert_true(drows->items[0].couriers.loaded);
    assert_int_equal(drows->items[0].couriers.count, 2);
    assert_int_equal(drows->items[1].couriers.count, 1);
    assert_string_equal(drows->items[1].couriers.items[0].name, "bob");
    depot_rows_free(drows);
    pgt_ok(depot_couriers_remove_sync(f->orm, &depots[0], both, 1, &n, &err), &err,
           "depot_couriers_remove_sync");
    assert_int_equal(n, 1);
    assert_q(f, "SELECT string_agg(depot_id || '-' || courier_id, ',' ORDER BY depot_id) FROM "
                "billing.assignment",
             "1-2,2-2");

    /* update, update_where, upsert on the unique name, delete */
    Courier u = couriers[0];
    u.tier = TIER_BRONZE;
    pgt_ok(courier_update_sync(f->orm, &u, COURIER_TIER, &n, &err), &err, "courier_update_sync");
    assert_int_equal(n, 1);
    Parcel v = {.size = SIZE_LARGE, .has_size = true};
    pgt_ok(parcel_update_where_sync(f->orm, &v, PARCEL_SIZE, parcel_depot_eq(depots[1].id), &n,
                                    &err),
           &err, "parcel_update_where_sync");
    assert_int_equal(n, 1);
    Depot up[2] = {{.name = "north"}, {.name = "east"}};
    drows = NULL;
    pgt_ok(depot_upsert_sync(f->orm, up, 2, &(pgorm_upsert){.conflict = DEPOT_NAME}, &drows, &err),
           &err, "depot_upsert_sync");
    assert_false(drows->inserted[0]);
    assert_true(drows->inserted[1]);
    depot_rows_free(drows);
    pgt_ok(parcel_delete_sync(f->orm, &parcels[1], &n, &err), &err, "parcel_delete_sync");
    assert_int_equal(n, 1);
    assert_q(f, "SELECT string_agg(name || ':' || tier, ',' ORDER BY id) FROM billing.courier",
             "ann:bronze,bob:gold");
    assert_q(f, "SELECT string_agg(size::text, ',' ORDER BY id) FROM shop.parcel", "medium,large");
    assert_q(f, "SELECT string_agg(name, ',' ORDER BY id) FROM shop.depot", "north,south,east");
    pgt_ok(parcel_delete_where_sync(f->orm, (pgorm_pred){0}, &n, &err), &err, "delete all");
    assert_int_equal(n, 2);
}

static void test_one_table_name_in_two_schemas(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    ShopNote s[2] = {{.body = "shop one"}, {.body = "shop two"}};
    ShopNoteRows *srows = NULL;
    pgt_ok(shop_note_insert_sync(f->orm, s, 2, &srows, &err), &err, "shop_note_insert_sync");
    shop_note_rows_free(srows);
    BillingNote b = {.body = "billing"};
    BillingNoteRows *brows = NULL;
    pgt_ok(billing_note_insert_sync(f->orm, &b, 1, &brows, &err), &err, "billing_note_insert");
    billing_note_rows_free(brows);
    int64_t n = -1;
    pgt_ok(shop_note_count_sync(f->orm, (pgorm_pred){0}, &n, &err), &err, "shop count");
    assert_int_equal(n, 2);
    pgt_ok(billing_note_count_sync(f->orm, (pgorm_pred){0}, &n, &err), &err, "billing count");
    assert_int_equal(n, 1);
    brows = NULL;
    pgt_ok(billing_note_get_sync(f->orm, b.id, &brows, &err), &err, "billing_note_get_sync");
    assert_string_equal(brows->items[0].body, "billing");
    billing_note_rows_free(brows);
    assert_q(f, "SELECT string_agg(body, ',' ORDER BY id) FROM shop.note", "shop one,shop two");
    assert_q(f, "SELECT string_agg(body, ',') FROM billing.note", "billing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_path_is_hostile),
        cmocka_unit_test(test_crud_and_links_across_schemas),
        cmocka_unit_test(test_one_table_name_in_two_schemas),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
