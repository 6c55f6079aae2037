/* Generic CRUD against a real PostgreSQL: every type through insert and
 * find, NULLs, many-row inserts with keys and defaults written back in input
 * order, every predicate kind checked against hand-written SQL, get, update,
 * delete, count, and the refusals (PGORM_ERR_INVALID through the callback,
 * exactly once) and server errors (23505, nothing written).
 *
 * Descriptors are written by hand here (one struct per test model, with
 * offsetof), exactly as `pgorm gen` emits them. Checks go through a second,
 * plain libpq connection.
 */
#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/codec/codec.h"
#include "runtime/query/crud.h"

/* ------------------------------------------------------------------ */
/* Models                                                              */

#define MODEL(T, name, table, cols, pk)                                                  \
    {name, table, sizeof(T), cols, sizeof cols / sizeof cols[0], pk, NULL, 0, NULL, 0, NULL}
#define COL(T, name, sqlt, type, flags, field)                                           \
    {name, sqlt, type, flags, offsetof(T, field), PGORM_NO_OFFSET, NULL, NULL, 0, false, 0}
#define COLH(T, name, sqlt, type, flags, field)                                          \
    {name, sqlt, type, flags, offsetof(T, field), offsetof(T, has_##field), NULL, NULL, 0, false, 0}
#define COLD(T, name, sqlt, type, flags, field, dflt)                                    \
    {name, sqlt, type, flags | PGORM_COL_DEFAULT, offsetof(T, field), offsetof(T, has_##field), \
     dflt, NULL, 0, false, 0}

/* Every type, every column nullable; keyword names ("order", "by", "user"). */
typedef struct every {
    int64_t id;
    bool b, has_b;
    int16_t i2;
    bool has_i2;
    int32_t i4;
    bool has_i4;
    int64_t i8;
    bool has_i8;
    float f4;
    bool has_f4;
    double f8;
    bool has_f8;
    char *num;
    char *money;
    char *txt;
    char *vc;
    pgorm_bytes by;
    pgorm_uuid u;
    bool has_u;
    pgorm_date d;
    bool has_d;
    pgorm_timestamp ts;
    bool has_ts;
    pgorm_timestamp tz;
    bool has_tz;
    char *js;
} every;

enum { N = PGORM_COL_NULLABLE };
static const pgorm_column_desc every_cols[] = {
    COL(every, "id", "int8", PGORM_INT8, PGORM_COL_PK | PGORM_COL_GENERATED, id),
    COLH(every, "b", "bool", PGORM_BOOL, N, b),
    COLH(every, "i2", "int2", PGORM_INT2, N, i2),
    COLH(every, "i4", "int4", PGORM_INT4, N, i4),
    COLH(every, "i8", "int8", PGORM_INT8, N, i8),
    COLH(every, "f4", "float4", PGORM_FLOAT4, N, f4),
    COLH(every, "f8", "float8", PGORM_FLOAT8, N, f8),
    COL(every, "num", "numeric", PGORM_NUMERIC, N, num),
    COL(every, "money", "numeric(12,2)", PGORM_NUMERIC, N, money),
    COL(every, "txt", "text", PGORM_TEXT, N, txt),
    COL(every, "user", "varchar(20)", PGORM_TEXT, N, vc),
    COL(every, "by", "bytea", PGORM_BYTEA, N, by),
    COLH(every, "u", "uuid", PGORM_UUID, N, u),
    COLH(every, "d", "date", PGORM_DATE, N, d),
    COLH(every, "ts", "timestamp", PGORM_TIMESTAMP, N, ts),
    COLH(every, "tz", "timestamptz", PGORM_TIMESTAMPTZ, N, tz),
    COL(every, "js", "jsonb", PGORM_JSONB, N, js),
};
static const pgorm_model_desc every_model = MODEL(every, "Every", "order", every_cols, 1);
#define EVERY_DDL                                                                        \
    "CREATE TABLE \"order\" (id bigserial PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, " \
    "f4 float4, f8 float8, num numeric, money numeric(12,2), txt text, \"user\" varchar(20), " \
    "\"by\" bytea, u uuid, d date, ts timestamp, tz timestamptz, js jsonb);"

/* A generated key, a unique column, nullable columns and server defaults. */
typedef struct book {
    int64_t id;
    char *isbn;
    char *title;
    int32_t pages;
    bool has_pages;
    pgorm_date published;
    bool has_published;
    pgorm_timestamp created;
    bool has_created;
    int32_t rating;
    bool has_rating;
} book;

enum { B_ID, B_ISBN, B_TITLE, B_PAGES, B_PUBLISHED, B_CREATED, B_RATING };
#define BIT(c) (UINT64_C(1) << (c))
static const pgorm_column_desc book_cols[] = {
    COL(book, "id", "int8", PGORM_INT8, PGORM_COL_PK | PGORM_COL_GENERATED, id),
    COL(book, "isbn", "text", PGORM_TEXT, PGORM_COL_UNIQUE, isbn),
    COL(book, "title", "text", PGORM_TEXT, 0, title),
    COLH(book, "pages", "int4", PGORM_INT4, N, pages),
    COLH(book, "published", "date", PGORM_DATE, N, published),
    COLD(book, "created", "timestamptz", PGORM_TIMESTAMPTZ, 0, created, "now()"),
    COLD(book, "rating", "int4", PGORM_INT4, 0, rating, "3"),
};
static const pgorm_model_desc book_model = MODEL(book, "Book", "book", book_cols, 1);
#define BOOK_DDL                                                                         \
    "CREATE TABLE book (id bigserial PRIMARY KEY, isbn text NOT NULL UNIQUE, title text NOT " \
    "NULL, pages int4, published date, created timestamptz NOT NULL DEFAULT now(), "       \
    "rating int4 NOT NULL DEFAULT 3);"

/* A natural text key given by the caller, and a default. */
typedef struct tag {
    char *code;
    char *label;
    int32_t n;
    bool has_n;
} tag;
static const pgorm_column_desc tag_cols[] = {
    COL(tag, "code", "text", PGORM_TEXT, PGORM_COL_PK, code),
    COL(tag, "label", "text", PGORM_TEXT, N, label),
    COLD(tag, "n", "int4", PGORM_INT4, 0, n, "7"),
};
static const pgorm_model_desc tag_model = MODEL(tag, "Tag", "tag", tag_cols, 1);
#define TAG_DDL "CREATE TABLE tag (code text PRIMARY KEY, label text, n int4 NOT NULL DEFAULT 7);"

/* A composite key (int4, uuid), and a key left to a server default. */
typedef struct pair {
    int32_t a;
    pgorm_uuid b;
    int64_t v;
    bool has_v;
} pair;
static const pgorm_column_desc pair_cols[] = {
    COL(pair, "a", "int4", PGORM_INT4, PGORM_COL_PK, a),
    COL(pair, "b", "uuid", PGORM_UUID, PGORM_COL_PK, b),
    COLD(pair, "v", "int8", PGORM_INT8, 0, v, "0"),
};
static const pgorm_model_desc pair_model = MODEL(pair, "Pair", "pair", pair_cols, 3);
#define PAIR_DDL "CREATE TABLE pair (a int4, b uuid, v int8 NOT NULL DEFAULT 0, PRIMARY KEY (a, b));"

/* The session's prepared statements, read through pgorm itself. */
typedef struct prepared {
    char *name;
    char *statement;
} prepared;
static const pgorm_column_desc prepared_cols[] = {
    COL(prepared, "name", "text", PGORM_TEXT, PGORM_COL_PK, name),
    COL(prepared, "statement", "text", PGORM_TEXT, 0, statement),
};
static const pgorm_model_desc prepared_model =
    MODEL(prepared, "Prepared", "pg_prepared_statements", prepared_cols, 1);

/* ------------------------------------------------------------------ */
/* Fixture                                                             */

typedef struct fixture {
    pgt_db db;
    PGconn *c;     /* plain libpq, for setup and checks */
    pgorm_db *orm; /* the code under test */
} fixture;

/* A pgorm session in time zone tz. PgBouncer refuses a session setting
   in the startup packet (`options`): through it, the UTC session gets its
   zone from the database's own setting (setup), and a session in another
   zone connects straight to the server. */
static pgorm_db *connect_orm(const pgt_db *d, const char *tz)
{
    char ci[1200];
    if (pgt_pooled() && strcmp(tz, "UTC") == 0)
        snprintf(ci, sizeof ci, "%s", d->conninfo);
    else
        snprintf(ci, sizeof ci, "%s options='-c TimeZone=%s'",
                 pgt_pooled() ? d->direct : d->conninfo, tz);
    pgorm_db *db = pgt_db_new(NULL);
    assert_non_null(db);
    pgorm_error err = {0};
    if (pgorm_db_connect_sync(db, ci, &err) != 0)
        fail_msg("connect: %s", err.message);
    return db;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    pgt_db_create(&f->db, "crud");
    f->c = pgt_connect(f->db.direct);
    pgt_exec(f->c, EVERY_DDL BOOK_DDL TAG_DDL PAIR_DDL "SET TIME ZONE 'UTC'");
    char sql[160];
    snprintf(sql, sizeof sql, "ALTER DATABASE %s SET timezone TO 'UTC'", f->db.name);
    pgt_exec(f->c, sql);
    f->orm = connect_orm(&f->db, "UTC");
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

static void check(int rc, pgorm_error *err, const char *what)
{
    if (rc != 0)
        fail_msg("%s: %s (%s)", what, err->message ? err->message : "?", err->sqlstate);
}

/* ------------------------------------------------------------------ */
/* Every type                                                          */

static void assert_every_equal(const every *a, const every *b)
{
    assert_true(a->id == b->id);
#define SAME_FIXED(f)                                                                     \
    do {                                                                                  \
        assert_int_equal(a->has_##f, b->has_##f);                                         \
        if (a->has_##f)                                                                   \
            assert_memory_equal(&a->f, &b->f, sizeof a->f);                               \
    } while (0)
#define SAME_STR(f)                                                                       \
    do {                                                                                  \
        if (!a->f || !b->f)                                                               \
            assert_true(a->f == b->f);                                                    \
        else                                                                              \
            assert_string_equal(a->f, b->f);                                              \
    } while (0)
    SAME_FIXED(b);
    SAME_FIXED(i2);
    SAME_FIXED(i4);
    SAME_FIXED(i8);
    SAME_FIXED(f4);
    SAME_FIXED(f8);
    SAME_FIXED(u);
    SAME_FIXED(d);
    SAME_FIXED(ts);
    SAME_FIXED(tz);
    SAME_STR(num);
    SAME_STR(money);
    SAME_STR(txt);
    SAME_STR(vc);
    SAME_STR(js);
    assert_true((a->by.data == NULL) == (b->by.data == NULL));
    assert_int_equal(a->by.len, b->by.len);
    if (a->by.len)
        assert_memory_equal(a->by.data, b->by.data, a->by.len);
#undef SAME_FIXED
#undef SAME_STR
}

static void test_every_type(void **state)
{
    fixture *f = *state;
    static uint8_t zeros[] = {0, 0, 'a', 0, 255};
    every rows[4];
    memset(rows, 0, sizeof rows);
    /* row 0: ordinary values, non-ASCII text, bytes with zeros, old and far dates */
    rows[0] = (every){.b = true, .has_b = true, .i2 = -32768, .has_i2 = true,
                      .i4 = 2147483647, .has_i4 = true, .i8 = INT64_MIN + 1, .has_i8 = true,
                      .f4 = 1.25f, .has_f4 = true, .f8 = -0.1, .has_f8 = true,
                      .num = "-123456789012345678901234567890.000000000123",
                      .money = "-1234567890.125", .txt = "Grüße, 世界 🌍 'quoted' \"x\"",
                      .vc = "ünïcödé", .by = {zeros, sizeof zeros}, .has_u = true,
                      .d = pgorm_date_from_ymd(1812, 6, 24), .has_d = true,
                      .ts = pgorm_timestamp_from_parts(1969, 7, 20, 20, 17, 40, 123456),
                      .has_ts = true,
                      .tz = pgorm_timestamp_from_parts(2999, 12, 31, 23, 59, 59, 999999),
                      .has_tz = true, .js = "{\"k\": [1, \"é\", null]}"};
    assert_int_equal(pgorm_uuid_parse("00000000-0000-0000-0000-000000000001", &rows[0].u), 0);
    /* row 1: every column NULL */
    /* row 2: empty text and bytea (not NULL), zero values, infinities, NaN */
    rows[2] = (every){.b = false, .has_b = true, .has_i2 = true, .has_i4 = true,
                      .has_i8 = true, .has_f4 = true, .has_f8 = true, .num = "NaN",
                      .money = "0.00", .txt = "", .vc = "", .by = {zeros, 0}, .has_u = true,
                      .d = PGORM_DATE_INFINITY, .has_d = true, .ts = PGORM_TIMESTAMP_NEG_INFINITY,
                      .has_ts = true, .tz = pgorm_timestamp_from_parts(2040, 2, 29, 0, 0, 0, 0),
                      .has_tz = true, .js = "[]"};
    /* row 3: after 2038 and before 1970, big and small numbers */
    rows[3] = (every){.b = true, .has_b = true, .i8 = INT64_MAX, .has_i8 = true,
                      .f8 = 1e300, .has_f8 = true, .num = "0.000000000000000000000000000001",
                      .money = "9999999999.99", .txt = "x", .d = pgorm_date_from_ymd(2100, 3, 1),
                      .has_d = true, .ts = pgorm_timestamp_from_parts(2038, 1, 19, 3, 14, 8, 0),
                      .has_ts = true,
                      .tz = pgorm_timestamp_from_parts(1901, 12, 13, 20, 45, 52, 1),
                      .has_tz = true};
    pgorm_result *res = NULL;
    pgorm_error err = {0};
    check(pgorm_insert_sync(f->orm, &every_model, rows, 4, &res, &err), &err, "insert");
    assert_int_equal(pgorm_result_count(res), 4);
    every *back = pgorm_result_items(res);
    /* keys written back, in input order */
    assert_true(rows[0].id > 0 && rows[1].id == rows[0].id + 1 && rows[2].id == rows[1].id + 1 &&
                rows[3].id == rows[2].id + 1);
    /* what the server stored, as it prints it */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT money::text FROM \"order\" WHERE id = %lld",
             (long long)rows[0].id);
    char *s = pgt_query_text(f->c, sql);
    assert_string_equal(s, "-1234567890.13"); /* the column's scale rounds */
    free(s);
    rows[0].money = "-1234567890.13";
    snprintf(sql, sizeof sql,
             "SELECT concat_ws('|', num, txt, \"user\", encode(\"by\", 'hex'), u, d, ts, tz, js) "
             "FROM \"order\" WHERE id = %lld",
             (long long)rows[0].id);
    s = pgt_query_text(f->c, sql);
    assert_string_equal(s, "-123456789012345678901234567890.000000000123|Grüße, 世界 🌍 "
                           "'quoted' \"x\"|ünïcödé|000061"
                           "00ff|00000000-0000-0000-0000-000000000001|1812-06-24|1969-07-20 "
                           "20:17:40.123456|2999-12-31 23:59:59.999999+00|{\"k\": [1, \"é\", "
                           "null]}");
    free(s);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM \"order\" WHERE id = %lld AND num IS NULL AND txt IS NULL "
             "AND \"by\" IS NULL AND b IS NULL AND i2 IS NULL AND tz IS NULL AND js IS NULL",
             (long long)rows[1].id);
    assert_int_equal(pgt_query_int(f->c, sql), 1);
    snprintf(sql, sizeof sql,
             "SELECT concat_ws('|', num, length(\"by\"), txt = '', d, ts, tz) FROM \"order\" "
             "WHERE id = %lld",
             (long long)rows[2].id);
    s = pgt_query_text(f->c, sql);
    assert_string_equal(s, "NaN|0|t|infinity|-infinity|2040-02-29 00:00:00+00");
    free(s);
    snprintf(sql, sizeof sql,
             "SELECT concat_ws('|', i8, f8, num, money, d, ts, tz) FROM \"order\" WHERE id = %lld",
             (long long)rows[3].id);
    s = pgt_query_text(f->c, sql);
    assert_string_equal(s, "9223372036854775807|1e+300|0.000000000000000000000000000001|"
                           "9999999999.99|2100-03-01|2038-01-19 03:14:08|"
                           "1901-12-13 20:45:52.000001+00");
    free(s);
    for (int i = 0; i < 4; i++)
        assert_every_equal(&back[i], &rows[i]);
    pgorm_result_free(res);

    /* find reads back the same values, in a session in another time zone:
       timestamptz is the same instant, timestamp the same wall clock */
    pgorm_db *tokyo = connect_orm(&f->db, "Asia/Tokyo");
    pgorm_query q = {.order = {{BIT(0), false}}};
    check(pgorm_find_sync(tokyo, &every_model, &q, &res, &err), &err, "find");
    assert_int_equal(pgorm_result_count(res), 4);
    back = pgorm_result_items(res);
    for (int i = 0; i < 4; i++)
        assert_every_equal(&back[i], &rows[i]);
    pgorm_result_free(res);
    /* and values written from Tokyo are read the same from UTC */
    every late = {.has_ts = true, .has_tz = true,
                  .ts = pgorm_timestamp_from_parts(2024, 3, 1, 12, 0, 0, 0),
                  .tz = pgorm_timestamp_from_parts(2024, 3, 1, 12, 0, 0, 0)};
    check(pgorm_insert_sync(tokyo, &every_model, &late, 1, NULL, &err), &err, "insert tokyo");
    snprintf(sql, sizeof sql, "SELECT ts || ' ' || tz FROM \"order\" WHERE id = %lld",
             (long long)late.id);
    s = pgt_query_text(f->c, sql);
    assert_string_equal(s, "2024-03-01 12:00:00 2024-03-01 12:00:00+00");
    free(s);
    pgorm_db_free(tokyo);
}

/* ------------------------------------------------------------------ */
/* Insert                                                              */

static char *fmt_isbn(int i)
{
    char *s = malloc(32);
    snprintf(s, 32, "isbn-%07d", i);
    return s;
}

static void test_insert_many(void **state)
{
    fixture *f = *state;
    enum { NB = 1000 };
    book *rows = calloc(NB, sizeof *rows);
    for (int i = 0; i < NB; i++) {
        rows[i].isbn = fmt_isbn(i);
        rows[i].title = i % 3 ? "Plain" : "Ünïcode tïtle";
        rows[i].pages = i;
        rows[i].has_pages = i % 5 != 0;
        rows[i].published = pgorm_date_from_ymd(1900 + i % 200, 1 + i % 12, 1 + i % 28);
        rows[i].has_published = i % 7 != 0;
        rows[i].rating = i % 5; /* every other row leaves the default */
        rows[i].has_rating = i % 2 == 0;
        if (i == 10) { /* an explicit created time is kept */
            rows[i].created = pgorm_timestamp_from_parts(2001, 2, 3, 4, 5, 6, 7);
            rows[i].has_created = true;
        }
    }
    pgorm_result *res = NULL;
    pgorm_error err = {0};
    check(pgorm_insert_sync(f->orm, &book_model, rows, NB, &res, &err), &err, "insert");
    assert_int_equal(pgorm_result_count(res), NB);
    book *back = pgorm_result_items(res);
    int64_t now_ts = 0;
    for (int i = 0; i < NB; i++) {
        /* keys in input order, defaults and keys written back */
        if (i)
            assert_true(rows[i].id == rows[i - 1].id + 1);
        assert_true(back[i].id == rows[i].id);
        assert_string_equal(back[i].isbn, rows[i].isbn);
        assert_true(rows[i].has_created && rows[i].has_rating);
        assert_int_equal(rows[i].rating, i % 2 == 0 ? i % 5 : 3);
        assert_int_equal(back[i].rating, rows[i].rating);
        assert_int_equal(back[i].has_pages, i % 5 != 0);
        assert_int_equal(back[i].has_published, i % 7 != 0);
        if (i != 10) {
            if (!now_ts)
                now_ts = rows[i].created;
            assert_true(rows[i].created == now_ts); /* now() of the one statement */
        }
    }
    assert_true(rows[10].created == pgorm_timestamp_from_parts(2001, 2, 3, 4, 5, 6, 7));
    pgorm_result_free(res);
    /* the server agrees on every row */
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book"), NB);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM book WHERE id - %lld = substr(isbn, 6)::int AND "
             "(pages IS NULL) = (substr(isbn, 6)::int %% 5 = 0) AND "
             "coalesce(pages, substr(isbn, 6)::int) = substr(isbn, 6)::int AND "
             "rating = CASE WHEN substr(isbn, 6)::int %% 2 = 0 THEN substr(isbn, 6)::int %% 5 "
             "ELSE 3 END",
             (long long)rows[0].id);
    assert_int_equal(pgt_query_int(f->c, sql), NB);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book WHERE pages IS NULL"), 200);
    for (int i = 0; i < NB; i++)
        free(rows[i].isbn);
    free(rows);
}

static void test_insert_100k(void **state)
{
    fixture *f = *state;
    enum { NB = 100000 };
    book *rows = calloc(NB, sizeof *rows);
    for (int i = 0; i < NB; i++) {
        rows[i].isbn = fmt_isbn(i);
        rows[i].title = "t";
        rows[i].pages = i;
        rows[i].has_pages = true;
    }
    pgorm_result *res = NULL;
    pgorm_error err = {0};
    /* 100,000 rows x 6 columns would be 600,000 parameters as VALUES */
    check(pgorm_insert_sync(f->orm, &book_model, rows, NB, &res, &err), &err, "insert 100k");
    assert_int_equal(pgorm_result_count(res), NB);
    book *back = pgorm_result_items(res);
    for (int i = 0; i < NB; i++) {
        assert_int_equal(back[i].pages, i);
        assert_true(rows[i].id == back[i].id);
        if (i)
            assert_true(rows[i].id > rows[i - 1].id);
    }
    pgorm_result_free(res);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(DISTINCT id) FROM book"), NB);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pages FROM book WHERE id = %lld",
             (long long)rows[77777].id);
    assert_int_equal(pgt_query_int(f->c, sql), 77777);
    for (int i = 0; i < NB; i++)
        free(rows[i].isbn);
    free(rows);
}

static void test_insert_natural_and_composite_keys(void **state)
{
    fixture *f = *state;
    tag tags[4] = {{"zeta", "last", 0, false}, {"alpha", NULL, 42, true},
                   {"Ünï", "unicode", 0, false}, {"m", "", 0, false}};
    pgorm_result *res = NULL;
    pgorm_error err = {0};
    check(pgorm_insert_sync(f->orm, &tag_model, tags, 4, &res, &err), &err, "insert tags");
    tag *back = pgorm_result_items(res);
    static const int want_n[] = {7, 42, 7, 7};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(back[i].code, tags[i].code);
        assert_int_equal(tags[i].n, want_n[i]);
        assert_true(tags[i].has_n);
    }
    assert_null(back[1].label);
    assert_string_equal(back[3].label, "");
    pgorm_result_free(res);

    pair pairs[3];
    memset(pairs, 0, sizeof pairs);
    for (int i = 0; i < 3; i++) {
        pairs[i].a = 1;
        pairs[i].b.bytes[15] = (uint8_t)(3 - i);
        pairs[i].v = i * 10;
        pairs[i].has_v = i > 0;
    }
    check(pgorm_insert_sync(f->orm, &pair_model, pairs, 3, &res, &err), &err, "insert pairs");
    pair *pb = pgorm_result_items(res);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pb[i].b.bytes[15], 3 - i);
        assert_true(pairs[i].v == i * 10);
    }
    pgorm_result_free(res);
}

/* Matching works whatever order the server returns rows in: feed the
   matcher returned rows in a shuffled order directly. */
static void test_insert_matching(void **state)
{
    (void)state;
    enum { NR = 50 };
    /* generated key: sorted by the sequence */
    book in[NR];
    memset(in, 0, sizeof in);
    crud_op op = {0};
    op.kind = CRUD_INSERT;
    op.m = &book_model;
    op.rows = in;
    op.n = NR;
    op.res = pgorm_result_new(&book_model);
    book *ret = pgorm_result_push(op.res, NR);
    for (int i = 0; i < NR; i++) {
        int from = (i * 17) % NR; /* a permutation (17 and 50 are coprime) */
        ret[i].id = 1000 + from;
        ret[i].rating = from;
        ret[i].has_rating = true;
    }
    pgorm_error err = {0};
    assert_int_equal(pgorm_insert_finish(&op, &err), 0);
    book *items = pgorm_result_items(op.res);
    for (int i = 0; i < NR; i++) {
        assert_true(in[i].id == 1000 + i);
        assert_int_equal(in[i].rating, i);
        assert_true(items[i].id == 1000 + i);
    }
    pgorm_result_free(op.res);

    /* a serial column that is not the key serves as well */
    pgorm_model_desc keyless = book_model;
    keyless.pk_mask = 0;
    op.m = &keyless;
    op.res = pgorm_result_new(&keyless);
    ret = pgorm_result_push(op.res, NR);
    for (int i = 0; i < NR; i++) {
        int from = (i * 31) % NR;
        ret[i].id = 5000 + from;
        ret[i].pages = from;
        ret[i].has_pages = true;
    }
    assert_int_equal(pgorm_insert_finish(&op, &err), 0);
    for (int i = 0; i < NR; i++)
        assert_true(in[i].id == 5000 + i && in[i].pages == i && in[i].has_pages);
    pgorm_result_free(op.res);

    /* caller's keys: matched by value */
    tag tin[NR];
    char codes[NR][16];
    for (int i = 0; i < NR; i++) {
        snprintf(codes[i], sizeof codes[i], "k%d", i);
        tin[i] = (tag){codes[i], NULL, 0, false};
    }
    op.m = &tag_model;
    op.rows = tin;
    op.res = pgorm_result_new(&tag_model);
    tag *tret = pgorm_result_push(op.res, NR);
    for (int i = 0; i < NR; i++) {
        int from = (i * 23) % NR;
        tret[i] = (tag){codes[from], NULL, from, true};
    }
    assert_int_equal(pgorm_insert_finish(&op, &err), 0);
    tag *titems = pgorm_result_items(op.res);
    for (int i = 0; i < NR; i++) {
        assert_int_equal(tin[i].n, i);
        assert_string_equal(titems[i].code, codes[i]);
    }
    pgorm_result_free(op.res);

    /* a count that does not match is an error, and nothing is written */
    op.res = pgorm_result_new(&tag_model);
    pgorm_result_push(op.res, NR - 1);
    for (int i = 0; i < NR; i++)
        tin[i].n = -1;
    assert_int_equal(pgorm_insert_finish(&op, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_DECODE);
    pgorm_error_clear(&err);
    for (int i = 0; i < NR; i++)
        assert_int_equal(tin[i].n, -1);
    pgorm_result_free(op.res);
}

typedef struct calls {
    int n;
    bool in_call; /* set while the pgorm call that queued it runs */
    bool during_call;
    pgorm_errcode code;
    char sqlstate[6];
    char message[512];
    char constraint[64];
    size_t count;
    int64_t affected;
} calls;

static void on_rows(pgorm_result *res, const pgorm_error *err, pgorm_fn fn, void *ud)
{
    (void)fn;
    calls *c = ud;
    c->n++;
    c->during_call |= c->in_call;
    c->code = err ? err->code : PGORM_OK;
    if (err) {
        assert_null(res);
        assert_non_null(err->message);
        snprintf(c->message, sizeof c->message, "%s", err->message);
        memcpy(c->sqlstate, err->sqlstate, sizeof c->sqlstate);
        snprintf(c->constraint, sizeof c->constraint, "%s",
                 err->constraint ? err->constraint : "");
    } else {
        assert_non_null(res);
        c->count = pgorm_result_count(res);
    }
    pgorm_result_free(res);
}

static void on_count(int64_t count, const pgorm_error *err, void *ud)
{
    calls *c = ud;
    c->n++;
    c->during_call |= c->in_call;
    c->code = err ? err->code : PGORM_OK;
    c->affected = count;
    if (err)
        snprintf(c->message, sizeof c->message, "%s", err->message);
}

static void test_insert_zero_and_unique_violation(void **state)
{
    fixture *f = *state;
    calls c = {0};
    c.in_call = true;
    pgorm_insert(f->orm, &book_model, NULL, 0, on_rows, NULL, &c);
    c.in_call = false;
    assert_int_equal(c.n, 0);
    assert_int_equal(pgorm_db_run_sync(f->orm, 10000), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.code, PGORM_OK);
    assert_int_equal(c.count, 0);
    assert_false(c.during_call);

    book first = {.isbn = "dup", .title = "one"};
    pgorm_error err = {0};
    check(pgorm_insert_sync(f->orm, &book_model, &first, 1, NULL, &err), &err, "insert");
    book rows[3] = {{.isbn = "a", .title = "x"}, {.isbn = "dup", .title = "y"},
                    {.isbn = "b", .title = "z"}};
    memset(&c, 0, sizeof c);
    pgorm_insert(f->orm, &book_model, rows, 3, on_rows, NULL, &c);
    assert_int_equal(pgorm_db_run_sync(f->orm, 10000), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.code, PGORM_ERR_SERVER);
    assert_string_equal(c.sqlstate, "23505");
    assert_string_equal(c.constraint, "book_isbn_key");
    for (int i = 0; i < 3; i++) /* nothing written back */
        assert_true(rows[i].id == 0 && !rows[i].has_created && !rows[i].has_rating);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book"), 1);
    /* the connection goes on */
    int64_t n = 0;
    check(pgorm_count_sync(f->orm, &book_model, NULL, &n, &err), &err, "count");
    assert_int_equal(n, 1);
}

/* ------------------------------------------------------------------ */
/* Find                                                                */

static const char *titles[] = {"The Hobbit", "the road", "Dune", "Émile", "Ærø", "Ulysses",
                               "The Trial", "Beloved"};

/* 60 books with varied, partly NULL values. */
static void seed_books(fixture *f)
{
    book rows[60];
    char isbns[60][16];
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 60; i++) {
        snprintf(isbns[i], sizeof isbns[i], "%03d", (i * 37) % 60);
        rows[i].isbn = isbns[i];
        rows[i].title = (char *)titles[i % 8];
        rows[i].pages = (i * 53) % 700;
        rows[i].has_pages = i % 6 != 1;
        rows[i].published = pgorm_date_from_ymd(1950 + (i * 7) % 70, 1 + i % 12, 1);
        rows[i].has_published = i % 4 != 2;
        rows[i].rating = i % 6;
        rows[i].has_rating = true;
    }
    pgorm_error err = {0};
    check(pgorm_insert_sync(f->orm, &book_model, rows, 60, NULL, &err), &err, "seed");
}

static void ids_csv(const pgorm_result *res, char *out, size_t size)
{
    const book *b = pgorm_result_items(res);
    out[0] = '\0';
    for (size_t i = 0; i < pgorm_result_count(res); i++) {
        size_t n = strlen(out);
        snprintf(out + n, size - n, "%s%lld", i ? "," : "", (long long)b[i].id);
    }
}

static void sql_csv(PGconn *c, const char *sql, char *out, size_t size)
{
    char q[1024];
    snprintf(q, sizeof q, "SELECT coalesce(string_agg(id::text, ',' ORDER BY o), '') FROM "
                          "(SELECT id, row_number() OVER () AS o FROM (%s) s) t",
             sql);
    char *s = pgt_query_text(c, q);
    snprintf(out, size, "%s", s);
    free(s);
}

static pgorm_pred bp(pgorm_pred_kind k, uint32_t col)
{
    pgorm_pred p = {0};
    p.kind = k;
    p.model = &book_model;
    p.column = col;
    return p;
}

static pgorm_pred bcmp(uint32_t col, pgorm_cmp op)
{
    pgorm_pred p = bp(PGORM_PRED_CMP, col);
    p.op = op;
    return p;
}

static void expect_find(fixture *f, const pgorm_query *q, const char *sql)
{
    pgorm_result *res = NULL;
    pgorm_error err = {0};
    check(pgorm_find_sync(f->orm, &book_model, q, &res, &err), &err, sql);
    static char got[8192], want[8192];
    ids_csv(res, got, sizeof got);
    sql_csv(f->c, sql, want, sizeof want);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", sql, got, want);
    pgorm_result_free(res);
}

static void test_find(void **state)
{
    fixture *f = *state;
    seed_books(f);
    pgorm_query q = {.order = {{BIT(B_ID), false}}};
    expect_find(f, &q, "SELECT id FROM book ORDER BY id");
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book"), 60);

    static const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};
    for (int op = PGORM_EQ; op <= PGORM_GE; op++) {
        char sql[256];
        q.where = bcmp(B_PAGES, (pgorm_cmp)op);
        q.where.value.i32 = 371;
        snprintf(sql, sizeof sql, "SELECT id FROM book WHERE pages %s 371 ORDER BY id", ops[op]);
        expect_find(f, &q, sql);
        q.where = bcmp(B_PUBLISHED, (pgorm_cmp)op);
        q.where.value.date = pgorm_date_from_ymd(1985, 1, 1);
        snprintf(sql, sizeof sql,
                 "SELECT id FROM book WHERE published %s '1985-01-01' ORDER BY id", ops[op]);
        expect_find(f, &q, sql);
        q.where = bcmp(B_TITLE, (pgorm_cmp)op);
        q.where.value.s = "Dune";
        snprintf(sql, sizeof sql, "SELECT id FROM book WHERE title %s 'Dune' ORDER BY id",
                 ops[op]);
        expect_find(f, &q, sql);
    }
    q.where = bp(PGORM_PRED_IS_NULL, B_PAGES);
    expect_find(f, &q, "SELECT id FROM book WHERE pages IS NULL ORDER BY id");
    q.where = bp(PGORM_PRED_NOT_NULL, B_PUBLISHED);
    expect_find(f, &q, "SELECT id FROM book WHERE published IS NOT NULL ORDER BY id");
    q.where = bp(PGORM_PRED_LIKE, B_TITLE);
    q.where.value.s = "The%";
    expect_find(f, &q, "SELECT id FROM book WHERE title LIKE 'The%' ORDER BY id");
    q.where.value.s = "%É%";
    expect_find(f, &q, "SELECT id FROM book WHERE title LIKE '%É%' ORDER BY id");
    q.where = bp(PGORM_PRED_ILIKE, B_TITLE);
    q.where.value.s = "the%";
    expect_find(f, &q, "SELECT id FROM book WHERE title ILIKE 'the%' ORDER BY id");
    int64_t some[] = {3, 5, 8, 13, 21, 9999};
    int32_t first_id = (int32_t)pgt_query_int(f->c, "SELECT min(id) FROM book");
    for (int i = 0; i < 5; i++)
        some[i] += first_id;
    q.where = bp(PGORM_PRED_IN, B_ID);
    q.where.array = some;
    q.where.n = 6;
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT id FROM book WHERE id IN (%lld, %lld, %lld, %lld, %lld, 9999) ORDER BY id",
             (long long)some[0], (long long)some[1], (long long)some[2], (long long)some[3],
             (long long)some[4]);
    expect_find(f, &q, sql);
    const char *names[] = {"Dune", "Ærø", "nope"};
    q.where = bp(PGORM_PRED_IN, B_TITLE);
    q.where.array = names;
    q.where.n = 3;
    expect_find(f, &q, "SELECT id FROM book WHERE title IN ('Dune', 'Ærø', 'nope') ORDER BY id");

    /* combinations */
    pgorm_pred small = bcmp(B_PAGES, PGORM_LT), good = bcmp(B_RATING, PGORM_GE);
    pgorm_pred old = bcmp(B_PUBLISHED, PGORM_LT);
    small.value.i32 = 100;
    good.value.i32 = 3;
    old.value.date = pgorm_date_from_ymd(1970, 1, 1);
    q.where = PGORM_OR(small, PGORM_NOT(good));
    expect_find(f, &q, "SELECT id FROM book WHERE pages < 100 OR NOT rating >= 3 ORDER BY id");
    q.where = PGORM_NOT(PGORM_AND(bp(PGORM_PRED_NOT_NULL, B_PAGES), old));
    expect_find(f, &q,
                "SELECT id FROM book WHERE NOT (pages IS NOT NULL AND published < '1970-01-01') "
                "ORDER BY id");
    q.where = PGORM_AND(PGORM_OR(bp(PGORM_PRED_IS_NULL, B_PUBLISHED), old), good,
                        PGORM_NOT(bp(PGORM_PRED_IS_NULL, B_PAGES)));
    expect_find(f, &q,
                "SELECT id FROM book WHERE (published IS NULL OR published < '1970-01-01') AND "
                "rating >= 3 AND NOT pages IS NULL ORDER BY id");
    q.where = PGORM_AND();
    expect_find(f, &q, "SELECT id FROM book ORDER BY id");

    /* order on several columns, asc and desc, limit and offset */
    pgorm_query o = {.order = {{BIT(B_RATING), true}, {BIT(B_TITLE), false},
                               {BIT(B_ID), true}}};
    expect_find(f, &o, "SELECT id FROM book ORDER BY rating DESC, title, id DESC");
    o.limit = 7;
    expect_find(f, &o, "SELECT id FROM book ORDER BY rating DESC, title, id DESC LIMIT 7");
    o.offset = 12;
    expect_find(f, &o,
                "SELECT id FROM book ORDER BY rating DESC, title, id DESC LIMIT 7 OFFSET 12");
    o.limit = 0;
    expect_find(f, &o, "SELECT id FROM book ORDER BY rating DESC, title, id DESC OFFSET 12");
    o.offset = 1000;
    expect_find(f, &o, "SELECT id FROM book ORDER BY id LIMIT 0");
    pgorm_query p = {.where = good,
                     .order = {{BIT(B_PUBLISHED), false}, {BIT(B_ID), false}},
                     .limit = 5,
                     .offset = 2};
    expect_find(f, &p,
                "SELECT id FROM book WHERE rating >= 3 ORDER BY published, id LIMIT 5 OFFSET 2");

    /* a NULL query: every row */
    pgorm_result *res = NULL;
    pgorm_error err = {0};
    check(pgorm_find_sync(f->orm, &book_model, NULL, &res, &err), &err, "find all");
    assert_int_equal(pgorm_result_count(res), 60);
    pgorm_result_free(res);
}

/* Same shape, other values: one prepared statement. */
static void test_prepared_reuse(void **state)
{
    fixture *f = *state;
    seed_books(f);
    /* straight to the server, statements named: it reads its own
       session's pg_prepared_statements */
    pgorm_db *orm = pgorm_db_new(NULL);
    assert_non_null(orm);
    pgorm_error cerr = {0};
    check(pgorm_db_connect_sync(orm, f->db.direct, &cerr), &cerr, "connect");
    for (int i = 0; i < 5; i++) {
        pgorm_query q = {.where = bcmp(B_PAGES, PGORM_GT), .limit = 3 + i};
        q.where.value.i32 = i * 100;
        pgorm_result *res = NULL;
        pgorm_error err = {0};
        check(pgorm_find_sync(orm, &book_model, &q, &res, &err), &err, "find");
        pgorm_result_free(res);
    }
    pgorm_pred mine = {0};
    mine.kind = PGORM_PRED_LIKE;
    mine.model = &prepared_model;
    mine.column = 1;
    mine.value.s = "SELECT \"id\", \"isbn\"%LIMIT%";
    pgorm_query q = {.where = mine};
    pgorm_result *res = NULL;
    pgorm_error err = {0};
    check(pgorm_find_sync(orm, &prepared_model, &q, &res, &err), &err, "prepared");
    assert_int_equal(pgorm_result_count(res), 1);
    const prepared *p = pgorm_result_items(res);
    assert_string_equal(p->statement, "SELECT \"id\", \"isbn\", \"title\", \"pages\", "
                                      "\"published\", \"created\", \"rating\" FROM \"book\" "
                                      "WHERE \"pages\" > $1 LIMIT $2");
    pgorm_result_free(res);
    pgorm_db_free(orm);
}

/* ------------------------------------------------------------------ */
/* get, update, delete, count                                          */

static void test_get_update_delete_count(void **state)
{
    fixture *f = *state;
    seed_books(f);
    int64_t id0 = pgt_query_int(f->c, "SELECT min(id) FROM book");
    pgorm_error err = {0};
    pgorm_result *res = NULL;

    book key = {.id = id0 + 4};
    check(pgorm_get_sync(f->orm, &book_model, &key, &res, &err), &err, "get");
    assert_int_equal(pgorm_result_count(res), 1);
    book *b = pgorm_result_items(res);
    assert_true(b->id == id0 + 4);
    assert_string_equal(b->title, titles[4]);
    assert_int_equal(b->pages, (4 * 53) % 700);
    pgorm_result_free(res);
    key.id = -1;
    check(pgorm_get_sync(f->orm, &book_model, &key, &res, &err), &err, "get missing");
    assert_int_equal(pgorm_result_count(res), 0);
    pgorm_result_free(res);
    /* the text is cached per shape now: the values still change, and a
       bad key is still refused with its own message */
    for (int i = 0; i < 3; i++) {
        key.id = id0 + i;
        check(pgorm_get_sync(f->orm, &book_model, &key, &res, &err), &err, "get cached");
        assert_int_equal(pgorm_result_count(res), 1);
        assert_string_equal(((book *)pgorm_result_items(res))->title, titles[i]);
        pgorm_result_free(res);
    }
    assert_int_equal(pgorm_get_sync(f->orm, &book_model, NULL, &res, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "the key is NULL"));
    pgorm_error_clear(&err);

    /* count with and without a predicate */
    int64_t n = -1;
    check(pgorm_count_sync(f->orm, &book_model, NULL, &n, &err), &err, "count");
    assert_int_equal(n, 60);
    pgorm_pred big = bcmp(B_PAGES, PGORM_GE);
    big.value.i32 = 350;
    check(pgorm_count_sync(f->orm, &book_model, &big, &n, &err), &err, "count where");
    assert_int_equal(n, pgt_query_int(f->c, "SELECT count(*) FROM book WHERE pages >= 350"));

    /* update by key: only the masked columns change; unset means NULL */
    book row = {.id = id0 + 4, .title = "Renamed", .pages = 1, .has_pages = false,
                .isbn = "ignored", .rating = 5, .has_rating = true};
    check(pgorm_update_sync(f->orm, &book_model, &row, BIT(B_TITLE) | BIT(B_PAGES), &n, &err),
          &err, "update");
    assert_int_equal(n, 1);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT title || '|' || coalesce(pages::text, 'NULL') || '|' || isbn || '|' || "
             "rating FROM book WHERE id = %lld",
             (long long)(id0 + 4));
    char *s = pgt_query_text(f->c, sql);
    char want[128];
    snprintf(want, sizeof want, "Renamed|NULL|%03d|%d", (4 * 37) % 60, 4 % 6);
    assert_string_equal(s, want);
    free(s);
    /* the same shape again (cached text), another row */
    book row2 = {.id = id0 + 5, .title = "Renamed too", .pages = 7, .has_pages = true};
    check(pgorm_update_sync(f->orm, &book_model, &row2, BIT(B_TITLE) | BIT(B_PAGES), &n, &err),
          &err, "update cached");
    assert_int_equal(n, 1);
    snprintf(sql, sizeof sql, "SELECT title || '|' || pages FROM book WHERE id = %lld",
             (long long)(id0 + 5));
    s = pgt_query_text(f->c, sql);
    assert_string_equal(s, "Renamed too|7");
    free(s);
    /* another mask is another shape */
    row.id = -5;
    check(pgorm_update_sync(f->orm, &book_model, &row, BIT(B_TITLE), &n, &err), &err,
          "update missing");
    assert_int_equal(n, 0);
    row2.title = "Renamed again";
    check(pgorm_update_sync(f->orm, &book_model, &row2, BIT(B_TITLE), &n, &err), &err,
          "update title");
    assert_int_equal(n, 1);
    s = pgt_query_text(f->c, sql);
    assert_string_equal(s, "Renamed again|7");
    free(s);

    /* update where */
    book vals = {.rating = 9, .has_rating = true, .title = "Short"};
    pgorm_pred short_books = bcmp(B_PAGES, PGORM_LT);
    short_books.value.i32 = 200;
    int64_t want_n = pgt_query_int(f->c, "SELECT count(*) FROM book WHERE pages < 200");
    check(pgorm_update_where_sync(f->orm, &book_model, &vals, BIT(B_RATING) | BIT(B_TITLE),
                                  &short_books, &n, &err),
          &err, "update where");
    assert_int_equal(n, want_n);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book WHERE rating = 9 AND "
                                         "title = 'Short'"),
                     want_n);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book WHERE rating = 9 AND "
                                         "NOT pages < 200"),
                     0);

    /* delete by key, by predicate */
    key.id = id0 + 4;
    check(pgorm_delete_sync(f->orm, &book_model, &key, &n, &err), &err, "delete");
    assert_int_equal(n, 1);
    check(pgorm_delete_sync(f->orm, &book_model, &key, &n, &err), &err, "delete again");
    assert_int_equal(n, 0);
    want_n = pgt_query_int(f->c, "SELECT count(*) FROM book WHERE rating = 9");
    pgorm_pred nines = bcmp(B_RATING, PGORM_EQ);
    nines.value.i32 = 9;
    check(pgorm_delete_where_sync(f->orm, &book_model, &nines, &n, &err), &err,
          "delete where");
    assert_int_equal(n, want_n);
    assert_true(want_n > 0);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book WHERE rating = 9"), 0);
    int64_t left = pgt_query_int(f->c, "SELECT count(*) FROM book");
    check(pgorm_delete_where_sync(f->orm, &book_model, NULL, &n, &err), &err, "delete all");
    assert_int_equal(n, left);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book"), 0);
}

/* ------------------------------------------------------------------ */
/* Reads sent in groups sharing one pipeline Sync                      */

/* A view whose row 5 fails when read (division by zero). */
typedef struct boom {
    int64_t id;
    int32_t x;
} boom;
static const pgorm_column_desc boom_cols[] = {
    COL(boom, "id", "int8", PGORM_INT8, PGORM_COL_PK, id),
    COL(boom, "x", "int4", PGORM_INT4, 0, x),
};
static const pgorm_model_desc boom_model = MODEL(boom, "Boom", "boom", boom_cols, 1);

#define NBOOM 40
typedef struct boom_calls {
    int n[NBOOM + 2];
    pgorm_errcode code[NBOOM + 2];
    char sqlstate[NBOOM + 2][6];
    int32_t x[NBOOM + 2];
    int order[NBOOM + 2]; /* when each callback ran */
    int seq;
} boom_calls;
static boom_calls bc;

static void on_boom(pgorm_result *res, const pgorm_error *err, pgorm_fn fn, void *ud)
{
    (void)fn;
    int i = (int)(intptr_t)ud;
    bc.n[i]++;
    bc.order[i] = bc.seq++;
    bc.code[i] = err ? err->code : PGORM_OK;
    if (err)
        memcpy(bc.sqlstate[i], err->sqlstate, sizeof bc.sqlstate[i]);
    if (res && pgorm_result_count(res) == 1)
        bc.x[i] = ((const boom *)pgorm_result_items(res))->x;
    pgorm_result_free(res);
}

static void on_boom_count(int64_t count, const pgorm_error *err, void *ud)
{
    (void)ud;
    bc.n[NBOOM + 1]++;
    bc.order[NBOOM + 1] = bc.seq++;
    bc.code[NBOOM + 1] = err ? err->code : PGORM_OK;
    bc.x[NBOOM + 1] = (int32_t)count;
}

/* Gets issued together go out in groups with one Sync. When one fails
   (row 5), the server skips the rest of its group: they are sent again,
   after what was queued meanwhile, and each still completes exactly once
   with its own row. */
static void test_grouped_reads(void **state)
{
    fixture *f = *state;
    pgt_exec(f->c, "CREATE VIEW boom AS SELECT g::int8 AS id, (100 / (g - 5))::int4 AS x "
                   "FROM generate_series(1, 40) g");
    memset(&bc, 0, sizeof bc);
    pgorm_result *res = NULL;
    pgorm_error err = {0};
    boom key = {.id = 1};
    check(pgorm_get_sync(f->orm, &boom_model, &key, &res, &err), &err, "get (prepares)");
    pgorm_result_free(res);
    for (int i = 1; i <= NBOOM; i++) {
        key.id = i;
        pgorm_get(f->orm, &boom_model, &key, on_boom, NULL, (void *)(intptr_t)i);
    }
    /* not read-only (raw SQL): never grouped, it goes after the group with
       its own Sync */
    pgorm_exec(f->orm, "SELECT count(*) FROM boom WHERE x > 0", 0, NULL, on_boom_count, NULL);
    assert_int_equal(pgorm_db_run_sync(f->orm, 10000), 0);
    for (int i = 1; i <= NBOOM; i++) {
        assert_int_equal(bc.n[i], 1);
        if (i == 5) {
            assert_int_equal(bc.code[i], PGORM_ERR_SERVER);
            assert_string_equal(bc.sqlstate[i], "22012");
        } else {
            assert_int_equal(bc.code[i], PGORM_OK);
            assert_int_equal(bc.x[i], 100 / (i - 5));
        }
    }
    assert_int_equal(bc.n[NBOOM + 1], 1);
    /* the count fails too (it reads row 5), on its own */
    assert_int_equal(bc.code[NBOOM + 1], PGORM_ERR_SERVER);
    /* in order up to the failure; the skipped ones ran again after the
       raw count, which was already on its way */
    for (int i = 2; i <= 5; i++)
        assert_true(bc.order[i - 1] < bc.order[i]);
    assert_true(bc.order[NBOOM + 1] < bc.order[6]);
    for (int i = 7; i <= NBOOM; i++)
        assert_true(bc.order[i - 1] < bc.order[i]);
    /* a read-only count failing after three gets leaves them alone */
    memset(&bc, 0, sizeof bc);
    for (int i = 1; i <= 3; i++) {
        key.id = i;
        pgorm_get(f->orm, &boom_model, &key, on_boom, NULL, (void *)(intptr_t)i);
    }
    pgorm_pred big = {.kind = PGORM_PRED_CMP, .model = &boom_model, .column = 1, .op = PGORM_GT};
    pgorm_count(f->orm, &boom_model, &big, on_boom_count, NULL);
    assert_int_equal(pgorm_db_run_sync(f->orm, 10000), 0);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(bc.n[i], 1);
        assert_int_equal(bc.code[i], PGORM_OK);
        assert_int_equal(bc.order[i], i - 1);
    }
    assert_int_equal(bc.n[NBOOM + 1], 1);
    assert_int_equal(bc.code[NBOOM + 1], PGORM_ERR_SERVER);
    memset(&bc, 0, sizeof bc);
    /* and the connection goes on as before */
    key.id = 7;
    check(pgorm_get_sync(f->orm, &boom_model, &key, &res, &err), &err, "get after");
    assert_int_equal(((const boom *)pgorm_result_items(res))->x, 50);
    pgorm_result_free(res);
}

/* ------------------------------------------------------------------ */
/* Refusals                                                            */

#define EXPECT_INVALID(c, needle)                                                         \
    do {                                                                                  \
        assert_int_equal((c).n, 0);                                                       \
        assert_int_equal(pgorm_db_run_sync(f->orm, 10000), 0);                            \
        assert_int_equal((c).n, 1);                                                       \
        assert_false((c).during_call);                                                    \
        assert_int_equal((c).code, PGORM_ERR_INVALID);                                    \
        if (!strstr((c).message, needle))                                                 \
            fail_msg("message \"%s\" does not mention \"%s\"", (c).message, needle);     \
        memset(&(c), 0, sizeof(c));                                                       \
    } while (0)

static void test_invalid(void **state)
{
    fixture *f = *state;
    calls c = {0};
    pgorm_pred wrong = bcmp(0, PGORM_EQ);
    wrong.model = &tag_model;
    pgorm_query q = {.where = wrong};
    pgorm_find(f->orm, &book_model, &q, on_rows, NULL, &c);
    EXPECT_INVALID(c, "model Tag");

    q.where = bcmp(40, PGORM_EQ);
    pgorm_find(f->orm, &book_model, &q, on_rows, NULL, &c);
    EXPECT_INVALID(c, "column 40");

    pgorm_query o = {.order = {{BIT(B_ID) | BIT(B_TITLE), false}}};
    pgorm_find(f->orm, &book_model, &o, on_rows, NULL, &c);
    EXPECT_INVALID(c, "order[0]");
    o.order[0].column = BIT(20);
    pgorm_find(f->orm, &book_model, &o, on_rows, NULL, &c);
    EXPECT_INVALID(c, "exactly one column");

    pgorm_query neg = {.limit = -1};
    pgorm_find(f->orm, &book_model, &neg, on_rows, NULL, &c);
    EXPECT_INVALID(c, "negative");

    pgorm_pred in_null = bp(PGORM_PRED_IN, B_ID);
    in_null.n = 3;
    pgorm_count(f->orm, &book_model, &in_null, on_count, &c);
    EXPECT_INVALID(c, "no array");

    book key = {0};
    pgorm_get(f->orm, &tag_model, &(tag){NULL, NULL, 0, false}, on_rows, NULL, &c);
    EXPECT_INVALID(c, "key column code is not set");

    book row = {.id = 1, .title = "x"};
    pgorm_update(f->orm, &book_model, &row, 0, on_count, &c);
    EXPECT_INVALID(c, "mask is 0");
    pgorm_update(f->orm, &book_model, &row, BIT(B_TITLE) | BIT(B_ID), on_count, &c);
    EXPECT_INVALID(c, "key column id");
    pgorm_update(f->orm, &book_model, &row, BIT(B_TITLE) | BIT(30), on_count, &c);
    EXPECT_INVALID(c, "does not have");
    pgorm_update_where(f->orm, &book_model, &row, BIT(63), NULL, on_count, &c);
    EXPECT_INVALID(c, "does not have");
    pgorm_update_where(f->orm, &book_model, &row, BIT(B_TITLE), &wrong, on_count, &c);
    EXPECT_INVALID(c, "model Tag");
    pgorm_delete_where(f->orm, &book_model, &wrong, on_count, &c);
    EXPECT_INVALID(c, "model Tag");

    pgorm_model_desc keyless = book_model;
    keyless.pk_mask = 0;
    pgorm_delete(f->orm, &keyless, &key, on_count, &c);
    EXPECT_INVALID(c, "no primary key");
    pgorm_insert(f->orm, &book_model, NULL, 2, on_rows, NULL, &c);
    EXPECT_INVALID(c, "rows is NULL");
    every e = {.num = "12,5"};
    pgorm_insert(f->orm, &every_model, &e, 1, on_rows, NULL, &c);
    EXPECT_INVALID(c, "num");
    pgorm_find(f->orm, NULL, NULL, on_rows, NULL, &c);
    EXPECT_INVALID(c, "descriptor");

    /* nothing reached the tables, and the connection is fine */
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM \"order\""), 0);
    int64_t n = -1;
    pgorm_error err = {0};
    check(pgorm_count_sync(f->orm, &book_model, NULL, &n, &err), &err, "count");
    assert_int_equal(n, 0);

    /* _sync twins return the refusal */
    assert_int_equal(pgorm_update_sync(f->orm, &book_model, &row, 0, &n, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "pgorm_update(Book)"));
    pgorm_error_clear(&err);
}

/* ------------------------------------------------------------------ */
/* Out of memory: fail the Nth allocation, for every N                 */

/* An error, or success; never a crash, a leak or a lost callback. */
static void oom_ok(int rc, pgorm_error *err)
{
    if (rc == 0)
        return;
    assert_non_null(err->message);
    assert_true(err->code == PGORM_ERR_NOMEM || err->code == PGORM_ERR_CONNECTION_LOST ||
                err->code == PGORM_ERR_CLOSED || err->code == PGORM_ERR_SERVER ||
                err->code == PGORM_ERR_CONNECT);
    pgorm_error_clear(err);
}

static void oom_scenario(void *ctx)
{
    fixture *f = ctx;
    pgt_exec(f->c, "TRUNCATE book");
    const char *conninfo = f->db.conninfo;
    pgorm_db *db = pgt_db_new(NULL);
    if (!db)
        return;
    pgorm_error err = {0};
    if (pgorm_db_connect_sync(db, conninfo, &err) != 0) {
        oom_ok(-1, &err);
        pgorm_db_free(db);
        return;
    }
    book rows[3] = {{.isbn = "o1", .title = "a", .pages = 10, .has_pages = true},
                    {.isbn = "o2", .title = "b"},
                    {.isbn = "o3", .title = "c", .rating = 5, .has_rating = true}};
    pgorm_result *res = NULL;
    int rc = pgorm_insert_sync(db, &book_model, rows, 3, &res, &err);
    if (rc == 0) {
        assert_int_equal(pgorm_result_count(res), 3);
        assert_true(rows[1].id == rows[0].id + 1 && rows[1].rating == 3);
    }
    pgorm_result_free(res);
    oom_ok(rc, &err);
    pgorm_pred good = bcmp(B_RATING, PGORM_GE);
    good.value.i32 = 4;
    pgorm_query q = {.where = PGORM_OR(bp(PGORM_PRED_IS_NULL, B_PAGES), good),
                     .order = {{BIT(B_ISBN), true}},
                     .limit = 10};
    res = NULL;
    rc = pgorm_find_sync(db, &book_model, &q, &res, &err);
    if (rc == 0)
        assert_true(pgorm_result_count(res) <= 2);
    pgorm_result_free(res);
    oom_ok(rc, &err);
    int64_t n = 0;
    oom_ok(pgorm_count_sync(db, &book_model, NULL, &n, &err), &err);
    book upd = {.id = rows[0].id, .title = "new"};
    oom_ok(pgorm_update_sync(db, &book_model, &upd, BIT(B_TITLE), &n, &err), &err);
    res = NULL;
    rc = pgorm_get_sync(db, &book_model, &upd, &res, &err);
    pgorm_result_free(res);
    oom_ok(rc, &err);
    calls c = {0};
    pgorm_find(db, &book_model, &(pgorm_query){.limit = -1}, on_rows, NULL, &c);
    pgorm_insert(db, &book_model, NULL, 0, on_rows, NULL, &c);
    pgorm_count(db, &book_model, NULL, on_count, &c);
    pgorm_db_run_sync(db, 10000);
    assert_int_equal(c.n, 3);
    pgorm_delete_where(db, &book_model, NULL, on_count, &c); /* freed before it runs */
    pgorm_db_free(db);
    assert_int_equal(c.n, 4);
}

static void test_oom_walk(void **state)
{
    pgt_oom_walk(oom_scenario, *state, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_100k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_natural_and_composite_keys, setup, teardown),
        cmocka_unit_test(test_insert_matching),
        cmocka_unit_test_setup_teardown(test_insert_zero_and_unique_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grouped_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_update_delete_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oom_walk, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
