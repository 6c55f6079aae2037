/* Raw SQL with rows (pgorm_query_sql, its _sync and streaming twins) and
 * the typed getters, against a real PostgreSQL: results compared with the
 * same SQL run through blocking libpq as text.
 */
#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pgt_db g_db;
static pgorm_db *g_orm;
static PGconn *g_c;

static int group_setup(void **state)
{
    (void)state;
    pgt_db_create(&g_db, "rows");
    g_c = pgt_connect(g_db.direct);
    pgt_exec(g_c, "CREATE TABLE author (id bigserial PRIMARY KEY, name text NOT NULL, "
                  "city varchar(40));"
                  "CREATE TABLE book (id bigserial PRIMARY KEY, title text NOT NULL, "
                  "pages int4, price numeric(8,2), author_id int8 NOT NULL REFERENCES author);"
                  "INSERT INTO author (name, city) SELECT 'author ' || i, "
                  "CASE WHEN i % 3 = 0 THEN NULL ELSE 'city ' || (i % 4) END "
                  "FROM generate_series(1, 30) i;"
                  "INSERT INTO book (title, pages, price, author_id) SELECT 'book ' || i, "
                  "50 + (i * 37) % 500, (i % 90) + 0.25, 1 + i % 30 FROM generate_series(1, 600) i;"
                  "ANALYZE");
    g_orm = pgt_pgorm_connect(g_db.conninfo);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    pgorm_db_free(g_orm);
    PQfinish(g_c);
    pgt_db_drop(&g_db);
    return 0;
}

static const char *AGG = "SELECT a.id, a.name, count(b.*) AS books, sum(b.pages) AS pages, "
                         "max(b.price) AS top_price, a.city FROM author a JOIN book b ON "
                         "b.author_id = a.id WHERE b.pages >= $1 GROUP BY a.id ORDER BY books "
                         "DESC, a.id";

/* An aggregate with a typed parameter: every value as libpq's text says. */
static void test_aggregate_matches_libpq(void **state)
{
    (void)state;
    pgorm_param p[] = {pgorm_p_int4(300)};
    pgorm_rows *rows = NULL;
    pgorm_error err;
    pgt_ok(pgorm_query_sql_sync(g_orm, AGG, p, 1, &rows, &err), &err, "query");
    const char *vals[] = {"300"};
    PGresult *want = PQexecParams(g_c, AGG, 1, NULL, vals, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(want), PGRES_TUPLES_OK);
    assert_true(PQntuples(want) > 10);
    assert_int_equal(pgorm_rows_count(rows), (size_t)PQntuples(want));
    assert_int_equal(pgorm_rows_affected(rows), PQntuples(want));
    assert_int_equal(pgorm_rows_ncolumns(rows), 6);
    assert_string_equal(pgorm_rows_column_name(rows, 2), "books");
    assert_int_equal(pgorm_rows_column_oid(rows, 2), 20);
    assert_int_equal(pgorm_rows_column(rows, "top_price"), 4);
    assert_int_equal(pgorm_rows_column(rows, "nope"), -1);
    int nulls = 0;
    for (size_t i = 0; i < pgorm_rows_count(rows); i++) {
        int64_t id, books, pages;
        const char *name, *price, *city = "unset";
        assert_int_equal(pgorm_row_int8(rows, i, "id", &id, &err), 0);
        assert_int_equal(pgorm_row_text(rows, i, "name", &name, &err), 0);
        assert_int_equal(pgorm_row_int8(rows, i, "books", &books, &err), 0);
        assert_int_equal(pgorm_row_int8(rows, i, "pages", &pages, &err), 0); /* sum: int8 */
        assert_int_equal(pgorm_row_numeric(rows, i, "top_price", &price, &err), 0);
        int rc = pgorm_row_text(rows, i, "city", &city, &err); /* varchar */
        int r = (int)i;
        assert_int_equal(id, strtoll(PQgetvalue(want, r, 0), NULL, 10));
        assert_string_equal(name, PQgetvalue(want, r, 1));
        assert_int_equal(books, strtoll(PQgetvalue(want, r, 2), NULL, 10));
        assert_int_equal(pages, strtoll(PQgetvalue(want, r, 3), NULL, 10));
        assert_string_equal(price, PQgetvalue(want, r, 4));
        if (PQgetisnull(want, r, 5)) {
            assert_int_equal(rc, 1);
            assert_int_equal(err.code, PGORM_ERR_NULL);
            assert_non_null(strstr(err.message, "\"city\""));
            assert_string_equal(city, "unset"); /* untouched */
            assert_true(pgorm_row_is_null(rows, i, "city"));
            pgorm_error_clear(&err);
            nulls++;
        } else {
            assert_int_equal(rc, 0);
            assert_string_equal(city, PQgetvalue(want, r, 5));
            assert_false(pgorm_row_is_null(rows, i, "city"));
        }
        /* by index, too */
        int64_t id2 = 0;
        assert_int_equal(pgorm_row_get_at(rows, i, 0, PGORM_INT8, &id2, &err), 0);
        assert_int_equal(id2, id);
    }
    assert_true(nulls > 0);
    PQclear(want);
    pgorm_rows_free(rows);
}

/* Every parameter kind goes out binary and comes back through its getter;
   NULL parameters come back NULL. */
static void test_every_type(void **state)
{
    (void)state;
    uint8_t blob[] = {0, 1, 2, 255};
    pgorm_uuid u;
    assert_int_equal(pgorm_uuid_parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", &u), 0);
    pgorm_date d = pgorm_date_from_ymd(2024, 2, 29);
    pgorm_timestamp ts = pgorm_timestamp_from_parts(2024, 3, 1, 12, 30, 5, 250000);
    pgorm_param p[] = {
        pgorm_p_bool(true),
        pgorm_p_int2(-7),
        pgorm_p_int4(123456),
        pgorm_p_int8(INT64_C(-9000000000)),
        pgorm_p_float4(1.5f),
        pgorm_p_float8(2.25),
        pgorm_p_numeric("12345678901234567890.000123"),
        pgorm_p_text("héllo"),
        pgorm_p_jsonb("{\"a\": [1, 2]}"),
        pgorm_p_bytea((pgorm_bytes){blob, sizeof blob}),
        pgorm_p_uuid(u),
        pgorm_p_date(d),
        pgorm_p_timestamp(ts),
        pgorm_p_timestamptz(ts),
        pgorm_p_null(PGORM_INT8),
        pgorm_p_text(NULL),
    };
    const char *sql = "SELECT $1 AS b, $2 AS i2, $3 AS i4, $4 AS i8, $5 AS f4, $6 AS f8, $7 AS n, "
                      "$8 AS t, $9 AS j, $10 AS by, $11 AS u, $12 AS d, $13 AS ts, $14 AS tz, "
                      "$15 AS nul, $16 AS nult, $8::text || '!' AS t2, $3 + 1 AS i4b";
    pgorm_rows *r;
    pgorm_error err;
    pgt_ok(pgorm_query_sql_sync(g_orm, sql, p, 16, &r, &err), &err, "every type");
    assert_int_equal(pgorm_rows_count(r), 1);
    bool b = false;
    int16_t i2 = 0;
    int32_t i4 = 0;
    int64_t i8 = 0, wide = 0;
    float f4 = 0;
    double f8 = 0, f4wide = 0;
    const char *n = NULL, *t = NULL, *j = NULL, *t2 = NULL;
    pgorm_bytes by = {0};
    pgorm_uuid u2;
    pgorm_date d2;
    pgorm_timestamp ts2, tz2;
    assert_int_equal(pgorm_row_bool(r, 0, "b", &b, &err), 0);
    assert_true(b);
    assert_int_equal(pgorm_row_int2(r, 0, "i2", &i2, &err), 0);
    assert_int_equal(i2, -7);
    assert_int_equal(pgorm_row_int4(r, 0, "i4", &i4, &err), 0);
    assert_int_equal(i4, 123456);
    assert_int_equal(pgorm_row_int8(r, 0, "i4", &wide, &err), 0); /* wider getter */
    assert_int_equal(wide, 123456);
    assert_int_equal(pgorm_row_int8(r, 0, "i8", &i8, &err), 0);
    assert_true(i8 == INT64_C(-9000000000));
    /* a value that does not fit the narrower getter is an error, not a wrap */
    assert_int_equal(pgorm_row_int4(r, 0, "i8", &i4, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_DECODE);
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_row_float4(r, 0, "f4", &f4, &err), 0);
    assert_true(f4 == 1.5f);
    assert_int_equal(pgorm_row_float8(r, 0, "f4", &f4wide, &err), 0);
    assert_true(f4wide == 1.5);
    assert_int_equal(pgorm_row_float8(r, 0, "f8", &f8, &err), 0);
    assert_true(f8 == 2.25);
    assert_int_equal(pgorm_row_numeric(r, 0, "n", &n, &err), 0);
    assert_string_equal(n, "12345678901234567890.000123");
    assert_int_equal(pgorm_row_text(r, 0, "t", &t, &err), 0);
    assert_string_equal(t, "héllo");
    assert_int_equal(pgorm_row_text(r, 0, "t2", &t2, &err), 0);
    assert_string_equal(t2, "héllo!");
    assert_int_equal(pgorm_row_jsonb(r, 0, "j", &j, &err), 0);
    assert_string_equal(j, "{\"a\": [1, 2]}");
    assert_int_equal(pgorm_row_bytea(r, 0, "by", &by, &err), 0);
    assert_int_equal(by.len, sizeof blob);
    assert_memory_equal(by.data, blob, sizeof blob);
    assert_int_equal(pgorm_row_uuid(r, 0, "u", &u2, &err), 0);
    assert_memory_equal(&u2, &u, sizeof u);
    assert_int_equal(pgorm_row_date(r, 0, "d", &d2, &err), 0);
    assert_true(d2 == d);
    assert_int_equal(pgorm_row_timestamp(r, 0, "ts", &ts2, &err), 0);
    assert_true(ts2 == ts);
    assert_int_equal(pgorm_row_timestamptz(r, 0, "tz", &tz2, &err), 0);
    assert_true(tz2 == ts);
    assert_int_equal(pgorm_row_int8(r, 0, "nul", &i8, &err), 1);
    assert_int_equal(err.code, PGORM_ERR_NULL);
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_row_text(r, 0, "nult", &t, &err), 1);
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_row_int4(r, 0, "i4b", &i4, &err), 0);
    assert_int_equal(i4, 123457);
    /* err may be NULL */
    assert_int_equal(pgorm_row_int8(r, 0, "nul", &i8, NULL), 1);
    assert_int_equal(pgorm_row_int8(r, 0, "missing", &i8, NULL), -1);
    pgorm_rows_free(r);
}

/* What a getter refuses, and how it says so. */
static void test_getter_errors(void **state)
{
    (void)state;
    pgorm_rows *r;
    pgorm_error err;
    pgt_ok(pgorm_query_sql_sync(g_orm, "SELECT 1::int4 AS total, 'x'::text AS label, "
                                       "point(1, 2) AS clock, '12:30'::time AS at",
                                NULL, 0, &r, &err),
           &err, "query");
    int64_t v = 0;
    assert_int_equal(pgorm_row_int8(r, 0, "totl", &v, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "no column \"totl\""));
    assert_non_null(strstr(err.message, "total, label, clock, at"));
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_row_int8(r, 0, "label", &v, &err), -1);
    assert_non_null(strstr(err.message, "column \"label\" is text"));
    assert_non_null(strstr(err.message, "pgorm_row_text"));
    pgorm_error_clear(&err);
    const char *s;
    assert_int_equal(pgorm_row_text(r, 0, "total", &s, &err), -1);
    assert_non_null(strstr(err.message, "is int4"));
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_row_text(r, 0, "clock", &s, &err), -1);
    assert_non_null(strstr(err.message, "does not decode"));
    assert_non_null(strstr(err.message, "::text"));
    pgorm_error_clear(&err);
    pgorm_time at = 0; /* time reads as pgorm_time, and names its getter */
    assert_int_equal(pgorm_row_time(r, 0, "at", &at, &err), 0);
    assert_true(at == pgorm_time_from_parts(12, 30, 0, 0));
    assert_int_equal(pgorm_row_text(r, 0, "at", &s, &err), -1);
    assert_non_null(strstr(err.message, "read it with pgorm_row_time"));
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_row_int8(r, 1, "total", &v, &err), -1);
    assert_non_null(strstr(err.message, "row 1 is out of range (the result has 1 rows)"));
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_row_get_at(r, 0, 4, PGORM_INT8, &v, &err), -1);
    assert_non_null(strstr(err.message, "column 4 is out of range"));
    pgorm_error_clear(&err);
    assert_int_equal(v, 0); /* never written */
    assert_null(pgorm_rows_column_name(r, 4));
    assert_int_equal(pgorm_rows_column_oid(r, -1), 0);
    pgorm_rows_free(r);
    assert_int_equal(pgorm_rows_count(NULL), 0);
    pgorm_rows_free(NULL);
}

/* The server's error: message, SQLSTATE and position; the handle goes on. */
static void test_server_error(void **state)
{
    (void)state;
    pgorm_rows *r = (pgorm_rows *)&r; /* overwritten with NULL */
    pgorm_error err;
    assert_int_equal(pgorm_query_sql_sync(g_orm, "SELECT id, nosuch FROM author", NULL, 0, &r,
                                          &err),
                     -1);
    assert_null(r);
    assert_int_equal(err.code, PGORM_ERR_SERVER);
    assert_string_equal(err.sqlstate, "42703");
    assert_non_null(strstr(err.message, "nosuch"));
    assert_int_equal(err.position, 12);
    pgorm_error_clear(&err);
    /* a parameter of the wrong type for its use */
    pgorm_param p[] = {pgorm_p_text("300")};
    assert_int_equal(pgorm_query_sql_sync(g_orm, "SELECT count(*) FROM book WHERE pages >= $1",
                                          p, 1, &r, &err),
                     -1);
    assert_string_equal(err.sqlstate, "42883"); /* int4 >= text */
    pgorm_error_clear(&err);
    pgt_ok(pgorm_query_sql_sync(g_orm, "SELECT 1", NULL, 0, &r, &err), &err, "after errors");
    assert_int_equal(pgorm_rows_count(r), 1);
    pgorm_rows_free(r);
}

/* Refused before anything is sent. */
static void test_refused(void **state)
{
    (void)state;
    pgorm_rows *r;
    pgorm_error err;
    assert_int_equal(pgorm_query_sql_sync(g_orm, "BEGIN", NULL, 0, &r, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "pgorm_begin"));
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_query_sql_sync(g_orm, NULL, NULL, 0, &r, &err), -1);
    assert_non_null(strstr(err.message, "sql is NULL"));
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_query_sql_sync(g_orm, "SELECT $1", NULL, 1, &r, &err), -1);
    assert_non_null(strstr(err.message, "params non-NULL"));
    pgorm_error_clear(&err);
    pgorm_param bad[] = {{(pgorm_type)99, false, {0}}};
    assert_int_equal(pgorm_query_sql_sync(g_orm, "SELECT $1", bad, 1, &r, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "parameter $1 has no known type"));
    pgorm_error_clear(&err);
    pgorm_param num[] = {pgorm_p_int4(1), pgorm_p_numeric("12abc")};
    assert_int_equal(pgorm_query_sql_sync(g_orm, "SELECT $1, $2", num, 2, &r, &err), -1);
    assert_non_null(strstr(err.message, "parameter $2 (numeric) cannot be sent"));
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_query_sql_sync(NULL, "SELECT 1", NULL, 0, &r, &err), -1);
    pgorm_error_clear(&err);
}

/* Commands: the count of rows affected; RETURNING gives rows. */
static void test_commands(void **state)
{
    (void)state;
    pgorm_rows *r;
    pgorm_error err;
    pgt_ok(pgorm_query_sql_sync(g_orm, "CREATE TABLE IF NOT EXISTS tag (id int4, name text)",
                                NULL, 0, &r, &err),
           &err, "create");
    assert_int_equal(pgorm_rows_ncolumns(r), 0);
    pgorm_rows_free(r);
    pgorm_param p[] = {pgorm_p_int4(5)};
    pgt_ok(pgorm_query_sql_sync(g_orm, "INSERT INTO tag SELECT i, 'tag ' || i FROM "
                                       "generate_series(1, $1) i",
                                p, 1, &r, &err),
           &err, "insert");
    assert_int_equal(pgorm_rows_affected(r), 5);
    assert_int_equal(pgorm_rows_count(r), 0);
    pgorm_rows_free(r);
    pgt_ok(pgorm_query_sql_sync(g_orm, "UPDATE tag SET name = upper(name) WHERE id > $1 "
                                       "RETURNING id, name",
                                (pgorm_param[]){pgorm_p_int4(3)}, 1, &r, &err),
           &err, "update returning");
    assert_int_equal(pgorm_rows_count(r), 2);
    const char *name;
    assert_int_equal(pgorm_row_text(r, 0, "name", &name, &err), 0);
    assert_non_null(strstr(name, "TAG "));
    pgorm_rows_free(r);
    assert_int_equal(pgt_query_int(g_c, "SELECT count(*) FROM tag WHERE name LIKE 'TAG%'"), 2);
}

/* ------------------------------------------------------------------ */
/* Streaming                                                           */

typedef struct stream_log {
    int batches, ends, max_batch;
    int64_t rows, sum, last;
    bool ordered;
    pgorm_errcode end_code;
    char sqlstate[6];
    int got_rows_at_end;
} stream_log;

static void on_batch(pgorm_rows *batch, bool end, const pgorm_error *err, void *ud)
{
    stream_log *l = ud;
    if (end) {
        l->ends++;
        l->end_code = err ? err->code : PGORM_OK;
        snprintf(l->sqlstate, sizeof l->sqlstate, "%s", err ? err->sqlstate : "");
        l->got_rows_at_end = batch ? (int)pgorm_rows_count(batch) : -1;
        if (err)
            assert_null(batch);
    } else {
        assert_null(err);
        assert_non_null(batch);
        assert_true(pgorm_rows_count(batch) > 0);
        l->batches++;
    }
    size_t n = pgorm_rows_count(batch);
    if ((int)n > l->max_batch)
        l->max_batch = (int)n;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        assert_int_equal(pgorm_row_int8(batch, i, "v", &v, NULL), 0);
        if (v != l->last + 1)
            l->ordered = false;
        l->last = v;
        l->sum += v;
        l->rows++;
    }
    pgorm_rows_free(batch);
}

static void test_stream(void **state)
{
    (void)state;
    stream_log l = {0, 0, 0, 0, 0, 0, true, PGORM_OK, "", 0};
    pgorm_param p[] = {pgorm_p_int8(10000)};
    pgorm_query_sql_stream(g_orm, "SELECT i AS v FROM generate_series(1::int8, $1) i", p, 1, 1000,
                           on_batch, &l);
    assert_int_equal(l.batches + l.ends, 0); /* never inside the call */
    assert_int_equal(pgorm_db_run_sync(g_orm, 20000), 0);
    assert_int_equal(l.ends, 1);
    assert_int_equal(l.end_code, PGORM_OK);
    assert_int_equal(l.rows, 10000);
    assert_true(l.ordered);
    assert_int_equal(l.sum, (int64_t)10000 * 10001 / 2);
    assert_int_equal(l.max_batch, 1000);
    assert_int_equal(l.batches, 10);
    assert_int_equal(l.got_rows_at_end, 0);

    /* a last partial batch comes with the end */
    l = (stream_log){0, 0, 0, 0, 0, 0, true, PGORM_OK, "", 0};
    pgorm_query_sql_stream(g_orm, "SELECT i AS v FROM generate_series(1::int8, 10) i", NULL, 0, 3,
                           on_batch, &l);
    assert_int_equal(pgorm_db_run_sync(g_orm, 20000), 0);
    assert_int_equal(l.batches, 3);
    assert_int_equal(l.got_rows_at_end, 1);
    assert_int_equal(l.rows, 10);
    assert_true(l.ordered);

    /* an error midway: the batches before it were delivered, then the end
       says what failed */
    l = (stream_log){0, 0, 0, 0, 0, 0, true, PGORM_OK, "", 0};
    pgorm_query_sql_stream(g_orm, "SELECT i AS v, 1 / (i - 5000) AS boom FROM "
                                  "generate_series(1::int8, 10000) i",
                           NULL, 0, 100, on_batch, &l);
    assert_int_equal(pgorm_db_run_sync(g_orm, 20000), 0);
    assert_int_equal(l.ends, 1);
    assert_int_equal(l.end_code, PGORM_ERR_SERVER);
    assert_string_equal(l.sqlstate, "22012");
    assert_true(l.rows <= 4999);
    assert_true(l.batches >= 1); /* rows before the failing one arrived first */
    assert_int_equal(l.rows, (int64_t)l.batches * 100);
    assert_true(l.ordered);

    /* refused before anything is sent: the end call alone, once */
    l = (stream_log){0, 0, 0, 0, 0, 0, true, PGORM_OK, "", 0};
    pgorm_query_sql_stream(g_orm, "COMMIT", NULL, 0, 10, on_batch, &l);
    pgorm_db_run_sync(g_orm, 5000);
    assert_int_equal(l.ends, 1);
    assert_int_equal(l.batches, 0);
    assert_int_equal(l.end_code, PGORM_ERR_INVALID);
    assert_int_equal(l.got_rows_at_end, -1);
}

/* In a transaction, in order with the generated calls around it; on a
   pool of two, many at once each complete once. */
typedef struct many {
    int calls, ok;
} many;

static void on_rows(pgorm_rows *rows, const pgorm_error *err, void *ud)
{
    many *m = ud;
    m->calls++;
    int64_t v = 0;
    if (!err && pgorm_rows_count(rows) == 1 && pgorm_row_int8(rows, 0, "n", &v, NULL) == 0 &&
        v == 600)
        m->ok++;
    pgorm_rows_free(rows);
}

static void test_transaction_and_pool(void **state)
{
    (void)state;
    pgorm_error err;
    pgorm_db *tx;
    pgt_ok(pgorm_begin_sync(g_orm, NULL, &tx, &err), &err, "begin");
    pgorm_rows *r;
    pgt_ok(pgorm_query_sql_sync(tx, "INSERT INTO author (name) VALUES ($1) RETURNING id",
                                (pgorm_param[]){pgorm_p_text("in tx")}, 1, &r, &err),
           &err, "insert in tx");
    int64_t id = 0;
    assert_int_equal(pgorm_row_int8(r, 0, "id", &id, &err), 0);
    pgorm_rows_free(r);
    pgt_ok(pgorm_query_sql_sync(tx, "SELECT count(*) AS n FROM author WHERE id = $1",
                                (pgorm_param[]){pgorm_p_int8(id)}, 1, &r, &err),
           &err, "read own write");
    int64_t n = 0;
    assert_int_equal(pgorm_row_int8(r, 0, "n", &n, &err), 0);
    assert_int_equal(n, 1);
    pgorm_rows_free(r);
    pgt_ok(pgorm_rollback_sync(tx, &err), &err, "rollback");
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM author WHERE id = %lld", (long long)id);
    assert_int_equal(pgt_query_int(g_c, sql), 0);

    pgorm_db *pool = pgt_db_new(&(pgorm_db_options){.pool_size = 2});
    pgt_ok(pgorm_db_connect_sync(pool, g_db.conninfo, &err), &err, "pool");
    many m = {0, 0};
    for (int i = 0; i < 500; i++)
        pgorm_query_sql(pool, "SELECT count(*) AS n FROM book", NULL, 0, on_rows, &m);
    assert_int_equal(pgorm_db_run_sync(pool, 30000), 0);
    assert_int_equal(m.calls, 500);
    assert_int_equal(m.ok, 500);
    pgorm_db_free(pool);
}

/* Out of memory anywhere: an error, never a crash or a leak. */
static void oom_scenario(void *ctx)
{
    (void)ctx;
    pgorm_rows *r = NULL;
    pgorm_error err;
    if (pgorm_query_sql_sync(g_orm, AGG, (pgorm_param[]){pgorm_p_int4(300)}, 1, &r, &err) == 0) {
        const char *price;
        (void)pgorm_row_numeric(r, 0, "top_price", &price, NULL);
        pgorm_rows_free(r);
    } else {
        pgorm_error_clear(&err);
    }
}

static void test_oom(void **state)
{
    (void)state;
    pgt_oom_walk(oom_scenario, NULL, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate_matches_libpq),
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_getter_errors),
        cmocka_unit_test(test_server_error),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_transaction_and_pool),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
