/* Value types and binary codecs, checked against a real PostgreSQL.
 *
 * Every encoder is checked by sending its bytes as a binary parameter and
 * reading back the server's own text for the value; every decoder by asking
 * the server for a value as binary and comparing with what the server prints
 * (or with the calendar helpers). The SQL builder's text is checked exactly
 * and then executed. Blocking libpq only: the connection core is not used.
 */
#include "pgtest.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/codec/codec.h"
#include "runtime/query/sql.h"

/* ------------------------------------------------------------------ */
/* helpers                                                             */

typedef struct fixture {
    pgt_db db;
    PGconn *c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    pgt_db_create(&f->db, "types");
    f->c = pgt_connect(f->db.direct);
    pgt_exec(f->c, "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; "
                   "SET extra_float_digits = 3");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    PQfinish(f->c);
    pgt_db_drop(&f->db);
    free(f);
    return 0;
}

/* Run sql with one binary parameter (bytes in b; NULL when is_null) and
   the result in `format`; fails the test on a server error. */
static PGresult *run1(PGconn *c, const char *sql, Oid oid, const pgorm_buf *b, bool is_null,
                      int format)
{
    const char *vals[1] = {is_null ? NULL : (b->data ? b->data : "")};
    int lens[1] = {(int)b->len};
    int fmts[1] = {1};
    PGresult *r = PQexecParams(c, sql, 1, &oid, vals, lens, fmts, format);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
        PQclear(r);
        fail_msg("%s: %s", sql, msg);
    }
    return r;
}

/* The server's text for the value at v (type t) sent in binary. */
static char *server_text(PGconn *c, pgorm_type t, const void *v)
{
    pgorm_buf b = PGORM_BUF_INIT;
    char why[160] = "";
    int rc = pgorm_codec_encode(t, v, &b, why, sizeof why);
    if (rc < 0)
        fail_msg("encode: %s", why);
    PGresult *r = run1(c, "SELECT $1::text", pgorm_codec_oid(t), &b, rc == 0, 0);
    char *s = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    pgorm_buf_free(&b);
    return s;
}

/* Ask for `expr` as binary and decode it as t into dst (arena a). */
static void server_value(PGconn *c, const char *expr, pgorm_type t, void *dst, pgorm_arena *a)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s", expr);
    PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
        PQclear(r);
        fail_msg("%s: %s", sql, msg);
    }
    assert_false(PQgetisnull(r, 0, 0));
    assert_true(pgorm_codec_accepts(t, PQftype(r, 0)));
    char why[160] = "";
    bool oom = false;
    int rc = pgorm_codec_decode(t, PQftype(r, 0), PQgetvalue(r, 0, 0),
                                (size_t)PQgetlength(r, 0, 0), dst, a, &oom, why, sizeof why);
    if (rc)
        fail_msg("decode %s: %s", expr, why);
    PQclear(r);
}

/* ------------------------------------------------------------------ */
/* calendar                                                            */

static void test_calendar(void **state)
{
    (void)state;
    assert_int_equal(pgorm_date_from_ymd(1970, 1, 1), 0);
    assert_int_equal(pgorm_date_from_ymd(1969, 12, 31), -1);
    assert_int_equal(pgorm_date_from_ymd(2000, 1, 1), 10957);
    assert_int_equal(pgorm_date_from_ymd(2000, 3, 1), 10957 + 60); /* 2000 is a leap year */
    assert_int_equal(pgorm_date_from_ymd(1900, 3, 1) - pgorm_date_from_ymd(1900, 2, 28), 1);
    for (int32_t d = -3000000; d <= 3000000; d += 97) {
        int y, m, dd;
        pgorm_date_to_ymd(d, &y, &m, &dd);
        assert_int_equal(pgorm_date_from_ymd(y, m, dd), d);
        assert_true(m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
    }
    pgorm_timestamp t = pgorm_timestamp_from_parts(1969, 12, 31, 23, 59, 59, 999999);
    assert_int_equal(t, -1);
    int y, mo, d, h, mi, s, us;
    pgorm_timestamp_to_parts(t, &y, &mo, &d, &h, &mi, &s, &us);
    assert_int_equal(y, 1969);
    assert_int_equal(mo, 12);
    assert_int_equal(d, 31);
    assert_int_equal(h, 23);
    assert_int_equal(mi, 59);
    assert_int_equal(s, 59);
    assert_int_equal(us, 999999);

    char buf[64];
    assert_int_equal(pgorm_timestamp_format(pgorm_timestamp_from_parts(2024, 3, 1, 12, 0, 0, 1),
                                            true, buf, sizeof buf),
                     27);
    assert_string_equal(buf, "2024-03-01 12:00:00.000001Z");
    pgorm_timestamp_format(pgorm_timestamp_from_parts(2024, 3, 1, 12, 0, 0, 500000), false, buf,
                           sizeof buf);
    assert_string_equal(buf, "2024-03-01 12:00:00.5");
    pgorm_timestamp_format(PGORM_TIMESTAMP_NEG_INFINITY, false, buf, sizeof buf);
    assert_string_equal(buf, "-infinity");
    pgorm_date_format(pgorm_date_from_ymd(-43, 3, 15), buf, sizeof buf);
    assert_string_equal(buf, "0044-03-15 BC");
    assert_int_equal(pgorm_date_format(0, buf, 10), -1); /* "1970-01-01" needs 11 */
    assert_int_equal(pgorm_date_format(0, buf, 11), 10);
}

static void test_uuid(void **state)
{
    (void)state;
    pgorm_uuid u;
    char buf[37];
    assert_int_equal(pgorm_uuid_parse("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", &u), 0);
    assert_int_equal(pgorm_uuid_format(&u, buf, sizeof buf), 36);
    assert_string_equal(buf, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    pgorm_uuid v;
    assert_int_equal(pgorm_uuid_parse("{a0eebc999c0b4ef8bb6d6bb9bd380a11}", &v), 0);
    assert_memory_equal(&u, &v, 16);
    assert_int_equal(pgorm_uuid_parse("a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", &v), 0);
    assert_memory_equal(&u, &v, 16);
    assert_int_equal(pgorm_uuid_parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", &v), -1);
    assert_int_equal(pgorm_uuid_parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111", &v), -1);
    assert_int_equal(pgorm_uuid_parse("g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", &v), -1);
    assert_int_equal(pgorm_uuid_parse("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", &v), -1);
    assert_int_equal(pgorm_uuid_parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", &v), -1);
    assert_int_equal(pgorm_uuid_format(&u, buf, 36), -1);
}

/* ------------------------------------------------------------------ */
/* dates and timestamps against the server                             */

static void test_dates(void **state)
{
    fixture *f = *state;
    static const char *dates[] = {"1970-01-01", "1969-12-31",    "1900-02-28", "1600-02-29",
                                  "0001-01-01", "0044-03-15 BC", "2038-01-19", "2038-01-20",
                                  "2100-03-01", "9999-12-31",    "4713-11-24 BC",
                                  "5874897-12-31"};
    pgorm_arena a;
    pgorm_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof dates / sizeof *dates; i++) {
        char expr[128];
        snprintf(expr, sizeof expr, "'%s'::date", dates[i]);
        pgorm_date d = 0;
        server_value(f->c, expr, PGORM_DATE, &d, &a);
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT '%s'::date - '1970-01-01'::date", dates[i]);
        assert_int_equal(d, pgt_query_int(f->c, sql));
        char buf[32];
        assert_true(pgorm_date_format(d, buf, sizeof buf) > 0);
        assert_string_equal(buf, dates[i]);
        char *back = server_text(f->c, PGORM_DATE, &d);
        assert_string_equal(back, dates[i]);
        free(back);
    }
    int y, m, dd;
    pgorm_date d = 0;
    server_value(f->c, "'2100-03-01'::date", PGORM_DATE, &d, &a);
    pgorm_date_to_ymd(d, &y, &m, &dd);
    assert_true(y == 2100 && m == 3 && dd == 1);
    /* infinity both ways */
    server_value(f->c, "'infinity'::date", PGORM_DATE, &d, &a);
    assert_int_equal(d, PGORM_DATE_INFINITY);
    server_value(f->c, "'-infinity'::date", PGORM_DATE, &d, &a);
    assert_int_equal(d, PGORM_DATE_NEG_INFINITY);
    d = PGORM_DATE_INFINITY;
    char *s = server_text(f->c, PGORM_DATE, &d);
    assert_string_equal(s, "infinity");
    free(s);
    d = PGORM_DATE_NEG_INFINITY;
    s = server_text(f->c, PGORM_DATE, &d);
    assert_string_equal(s, "-infinity");
    free(s);
    /* a date pgorm cannot send */
    pgorm_buf b = PGORM_BUF_INIT;
    char why[160];
    d = INT32_MIN + 1;
    assert_int_equal(pgorm_codec_encode(PGORM_DATE, &d, &b, why, sizeof why), -1);
    pgorm_buf_free(&b);
    pgorm_arena_free(&a);
}

static void test_timestamps(void **state)
{
    fixture *f = *state;
    static const char *stamps[] = {"1970-01-01 00:00:00",        "1969-12-31 23:59:59.999999",
                                   "2000-01-01 00:00:00",        "2024-03-01 12:00:00.5",
                                   "2038-01-19 03:14:08",        "1901-12-13 20:45:51.000001",
                                   "0044-03-15 12:00:00 BC",     "9999-12-31 23:59:59.999999",
                                   "294246-12-31 23:59:59.999999"};
    pgorm_arena a;
    pgorm_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof stamps / sizeof *stamps; i++) {
        char expr[128];
        snprintf(expr, sizeof expr, "'%s'::timestamp", stamps[i]);
        pgorm_timestamp t = 0;
        server_value(f->c, expr, PGORM_TIMESTAMP, &t, &a);
        char buf[48];
        assert_true(pgorm_timestamp_format(t, false, buf, sizeof buf) > 0);
        assert_string_equal(buf, stamps[i]);
        char *back = server_text(f->c, PGORM_TIMESTAMP, &t);
        assert_string_equal(back, stamps[i]);
        free(back);
    }
    pgorm_timestamp t = 0;
    server_value(f->c, "'2024-03-01 12:00:00.5'::timestamp", PGORM_TIMESTAMP, &t, &a);
    assert_int_equal(t, pgorm_timestamp_from_parts(2024, 3, 1, 12, 0, 0, 500000));
    /* beyond pgorm_timestamp's range: a decode error, not a wrong value */
    {
        PGresult *r = PQexecParams(f->c, "SELECT '294270-01-01'::timestamp", 0, NULL, NULL,
                                   NULL, NULL, 1);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        char why[160] = "";
        bool oom = false;
        assert_int_equal(pgorm_codec_decode(PGORM_TIMESTAMP, PQftype(r, 0), PQgetvalue(r, 0, 0),
                                            8, &t, &a, &oom, why, sizeof why),
                         -1);
        assert_non_null(strstr(why, "does not fit"));
        PQclear(r);
    }

    /* timestamptz is an instant: the session's zone changes the text, not
       the value; timestamp is a wall-clock reading in every zone */
    pgorm_timestamp noon_utc = pgorm_timestamp_from_parts(2024, 3, 1, 12, 0, 0, 0);
    pgt_exec(f->c, "SET TIME ZONE 'America/New_York'");
    char *s = server_text(f->c, PGORM_TIMESTAMPTZ, &noon_utc);
    assert_string_equal(s, "2024-03-01 07:00:00-05");
    free(s);
    s = server_text(f->c, PGORM_TIMESTAMP, &noon_utc);
    assert_string_equal(s, "2024-03-01 12:00:00");
    free(s);
    server_value(f->c, "'2024-03-01 12:00:00+05:30'::timestamptz", PGORM_TIMESTAMPTZ, &t, &a);
    assert_int_equal(t, pgorm_timestamp_from_parts(2024, 3, 1, 6, 30, 0, 0));
    server_value(f->c, "'2024-03-01 12:00:00'::timestamptz", PGORM_TIMESTAMPTZ, &t, &a);
    assert_int_equal(t, pgorm_timestamp_from_parts(2024, 3, 1, 17, 0, 0, 0));
    pgt_exec(f->c, "SET TIME ZONE 'Asia/Kolkata'");
    server_value(f->c, "'2024-03-01 12:00:00+05:30'::timestamptz", PGORM_TIMESTAMPTZ, &t, &a);
    assert_int_equal(t, pgorm_timestamp_from_parts(2024, 3, 1, 6, 30, 0, 0));
    server_value(f->c, "'2024-03-01 12:00:00'::timestamp", PGORM_TIMESTAMP, &t, &a);
    assert_int_equal(t, noon_utc);
    s = server_text(f->c, PGORM_TIMESTAMPTZ, &noon_utc);
    assert_string_equal(s, "2024-03-01 17:30:00+05:30");
    free(s);
    pgt_exec(f->c, "SET TIME ZONE 'UTC'");

    server_value(f->c, "'infinity'::timestamptz", PGORM_TIMESTAMPTZ, &t, &a);
    assert_true(t == PGORM_TIMESTAMP_INFINITY);
    server_value(f->c, "'-infinity'::timestamp", PGORM_TIMESTAMP, &t, &a);
    assert_true(t == PGORM_TIMESTAMP_NEG_INFINITY);
    t = PGORM_TIMESTAMP_INFINITY;
    s = server_text(f->c, PGORM_TIMESTAMPTZ, &t);
    assert_string_equal(s, "infinity");
    free(s);
    t = PGORM_TIMESTAMP_NEG_INFINITY;
    s = server_text(f->c, PGORM_TIMESTAMP, &t);
    assert_string_equal(s, "-infinity");
    free(s);
    pgorm_arena_free(&a);
}

/* ------------------------------------------------------------------ */
/* numeric                                                             */

static void test_numeric(void **state)
{
    fixture *f = *state;
    static const char *good[] = {
        "0", "-0", "1", "-1", "0.1", "-0.001", "12345.6700", "10000", "9999.9999", "100000000",
        "0.00000", "0.0001", "0.00001", "1234567890.0987654321",
        "123456789012345678901234567890", "-123456789012345678901234567890.123456789",
        "99999999999999999999999999999999999999.99", "1e10", "1.5e-7", "-2.50E+3", "  42  ",
        "+7", ".5", "5.", "1e-1000", "7e1000", "NaN", "nan", "Infinity", "-Infinity", "inf",
        "-inf", "+infinity"};
    pgorm_arena a;
    pgorm_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT '%s'::numeric::text", good[i]);
        char *want = pgt_query_text(f->c, sql);
        /* encode: the server reads our binary as the same number */
        const char *v = good[i];
        char *got = server_text(f->c, PGORM_NUMERIC, &v);
        if (strcmp(got, want) != 0)
            fail_msg("encode %s: server read %s, expected %s", good[i], got, want);
        free(got);
        /* decode: we print what the server prints */
        char expr[256];
        snprintf(expr, sizeof expr, "'%s'::numeric", good[i]);
        char *dec = NULL;
        server_value(f->c, expr, PGORM_NUMERIC, &dec, &a);
        if (strcmp(dec, want) != 0)
            fail_msg("decode %s: got %s, expected %s", good[i], dec, want);
        free(want);
    }
    /* the column's scale rounds what is sent */
    const char *v = "1.005";
    pgorm_buf b = PGORM_BUF_INIT;
    char why[160];
    assert_int_equal(pgorm_codec_encode(PGORM_NUMERIC, &v, &b, why, sizeof why), 1);
    PGresult *r = run1(f->c, "SELECT $1::numeric(12,2)::text", PGORM_OID_NUMERIC, &b, false, 0);
    assert_string_equal(PQgetvalue(r, 0, 0), "1.01");
    PQclear(r);
    static const char *bad[] = {"",   "abc", "1.2.3", "-",   "1e",  "e5",    "1e1001",
                                "--1", "1 2", "0x10", "NaNa", ".",   "1e-1001", "1,5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pgorm_buf_reset(&b);
        v = bad[i];
        why[0] = '\0';
        if (pgorm_codec_encode(PGORM_NUMERIC, &v, &b, why, sizeof why) != -1)
            fail_msg("numeric \"%s\" was accepted", bad[i]);
        assert_true(strlen(why) > 0);
    }
    pgorm_buf_free(&b);
    /* malformed binary is refused */
    bool oom = false;
    assert_null(pgorm_numeric_decode("\0\1\0\0\0\0\0\0", 8, &a, &oom, why, sizeof why));
    assert_null(pgorm_numeric_decode("\0\1\0\0\0\0\0\0\x27\x10", 10, &a, &oom, why,
                                     sizeof why)); /* digit 10000 */
    assert_false(oom);
    pgorm_arena_free(&a);
}

/* ------------------------------------------------------------------ */
/* every type through the server and back                              */

typedef union any {
    bool b;
    int16_t i2;
    int32_t i4;
    int64_t i8;
    float f4;
    double f8;
    char *s;
    pgorm_bytes bytes;
    pgorm_uuid uuid;
    pgorm_date date;
    pgorm_timestamp ts;
} any;

static void roundtrip(PGconn *c, pgorm_type t, const any *in, any *out, pgorm_arena *a)
{
    pgorm_buf b = PGORM_BUF_INIT;
    char why[160] = "";
    int rc = pgorm_codec_encode(t, in, &b, why, sizeof why);
    assert_int_equal(rc, 1);
    PGresult *r = run1(c, "SELECT $1", pgorm_codec_oid(t), &b, false, 1);
    assert_int_equal(PQftype(r, 0), pgorm_codec_oid(t));
    bool oom = false;
    memset(out, 0xA5, sizeof *out);
    if (pgorm_codec_decode(t, PQftype(r, 0), PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0),
                           out, a, &oom, why, sizeof why))
        fail_msg("decode type %d: %s", (int)t, why);
    PQclear(r);
    pgorm_buf_free(&b);
}

static void test_roundtrip_every_type(void **state)
{
    fixture *f = *state;
    pgorm_arena a;
    pgorm_arena_init(&a, 0);
    any in, out;

    in.b = true;
    roundtrip(f->c, PGORM_BOOL, &in, &out, &a);
    assert_true(out.b);
    in.b = false;
    roundtrip(f->c, PGORM_BOOL, &in, &out, &a);
    assert_false(out.b);
    int16_t i2s[] = {0, -1, INT16_MIN, INT16_MAX, 12345};
    for (size_t i = 0; i < 5; i++) {
        in.i2 = i2s[i];
        roundtrip(f->c, PGORM_INT2, &in, &out, &a);
        assert_int_equal(out.i2, i2s[i]);
    }
    int32_t i4s[] = {0, -1, INT32_MIN, INT32_MAX, 1234567};
    for (size_t i = 0; i < 5; i++) {
        in.i4 = i4s[i];
        roundtrip(f->c, PGORM_INT4, &in, &out, &a);
        assert_int_equal(out.i4, i4s[i]);
    }
    int64_t i8s[] = {0, -1, INT64_MIN, INT64_MAX, INT64_C(9007199254740993)};
    for (size_t i = 0; i < 5; i++) {
        in.i8 = i8s[i];
        roundtrip(f->c, PGORM_INT8, &in, &out, &a);
        assert_true(out.i8 == i8s[i]);
    }
    float f4s[] = {0.0f, -1.5f, 3.14159274f, 1e-38f, INFINITY};
    for (size_t i = 0; i < 5; i++) {
        in.f4 = f4s[i];
        roundtrip(f->c, PGORM_FLOAT4, &in, &out, &a);
        assert_memory_equal(&out.f4, &f4s[i], sizeof(float));
    }
    double f8s[] = {0.0, -0.0, 0.1, 1e308, -INFINITY};
    for (size_t i = 0; i < 5; i++) {
        in.f8 = f8s[i];
        roundtrip(f->c, PGORM_FLOAT8, &in, &out, &a);
        assert_memory_equal(&out.f8, &f8s[i], sizeof(double));
    }
    in.f8 = NAN;
    roundtrip(f->c, PGORM_FLOAT8, &in, &out, &a);
    assert_true(isnan(out.f8));

    static const char *texts[] = {"", "hello", "Grüße, 世界 🌍", "it's \"quoted\" \\ back",
                                  "line\nbreak\ttab"};
    for (size_t i = 0; i < 5; i++) {
        in.s = (char *)texts[i];
        roundtrip(f->c, PGORM_TEXT, &in, &out, &a);
        assert_string_equal(out.s, texts[i]);
    }
    in.s = "{\"b\": [1, 2.50, null], \"a\": \"é\"}";
    roundtrip(f->c, PGORM_JSONB, &in, &out, &a);
    assert_string_equal(out.s, "{\"a\": \"é\", \"b\": [1, 2.50, null]}"); /* jsonb's order */
    in.s = "-98765432109876543210987654321.123";
    roundtrip(f->c, PGORM_NUMERIC, &in, &out, &a);
    assert_string_equal(out.s, in.s);

    uint8_t raw[] = {0, 1, 0, 255, 0};
    in.bytes = (pgorm_bytes){raw, sizeof raw};
    roundtrip(f->c, PGORM_BYTEA, &in, &out, &a);
    assert_int_equal(out.bytes.len, 5);
    assert_memory_equal(out.bytes.data, raw, 5);
    in.bytes = (pgorm_bytes){raw, 0}; /* empty, not NULL */
    roundtrip(f->c, PGORM_BYTEA, &in, &out, &a);
    assert_non_null(out.bytes.data);
    assert_int_equal(out.bytes.len, 0);

    assert_int_equal(pgorm_uuid_parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", &in.uuid), 0);
    roundtrip(f->c, PGORM_UUID, &in, &out, &a);
    assert_memory_equal(&out.uuid, &in.uuid, 16);
    char *s = server_text(f->c, PGORM_UUID, &in.uuid);
    assert_string_equal(s, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    free(s);

    in.date = pgorm_date_from_ymd(1812, 6, 24);
    roundtrip(f->c, PGORM_DATE, &in, &out, &a);
    assert_int_equal(out.date, in.date);
    in.ts = pgorm_timestamp_from_parts(2077, 7, 4, 1, 2, 3, 456789);
    roundtrip(f->c, PGORM_TIMESTAMPTZ, &in, &out, &a);
    assert_true(out.ts == in.ts);
    roundtrip(f->c, PGORM_TIMESTAMP, &in, &out, &a);
    assert_true(out.ts == in.ts);

    /* NULL pointers encode as NULL */
    pgorm_buf b = PGORM_BUF_INIT;
    char why[160];
    in.s = NULL;
    assert_int_equal(pgorm_codec_encode(PGORM_TEXT, &in, &b, why, sizeof why), 0);
    in.bytes = (pgorm_bytes){NULL, 3};
    assert_int_equal(pgorm_codec_encode(PGORM_BYTEA, &in, &b, why, sizeof why), 0);
    assert_int_equal(b.len, 0);
    pgorm_buf_free(&b);
    pgorm_arena_free(&a);
}

/* Integers read across widths, with range checks; mismatched types refused. */
static void test_decode_checks(void **state)
{
    fixture *f = *state;
    pgorm_arena a;
    pgorm_arena_init(&a, 0);
    int64_t i8 = 0;
    server_value(f->c, "42::int2", PGORM_INT8, &i8, &a);
    assert_int_equal(i8, 42);
    int16_t i2 = 0;
    server_value(f->c, "-7::int8", PGORM_INT2, &i2, &a);
    assert_int_equal(i2, -7);
    char *s = NULL;
    server_value(f->c, "'abc'::varchar(5)", PGORM_TEXT, &s, &a);
    assert_string_equal(s, "abc");
    server_value(f->c, "'[1, 2]'::json", PGORM_JSONB, &s, &a);
    assert_string_equal(s, "[1, 2]");

    PGresult *r =
        PQexecParams(f->c, "SELECT 70000::int4, 1::int4, NULL::int4, NULL::text", 0, NULL, NULL,
                     NULL, NULL, 1);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    char why[160] = "";
    bool oom = false;
    assert_int_equal(pgorm_codec_decode(PGORM_INT2, PQftype(r, 0), PQgetvalue(r, 0, 0), 4, &i2,
                                        &a, &oom, why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "70000"));
    assert_false(pgorm_codec_accepts(PGORM_TEXT, PQftype(r, 1)));
    assert_false(pgorm_codec_accepts(PGORM_TIMESTAMP, PGORM_OID_TIMESTAMPTZ));
    assert_int_equal(pgorm_codec_decode(PGORM_INT4, PQftype(r, 1), PQgetvalue(r, 0, 1), 3, &i8,
                                        &a, &oom, why, sizeof why),
                     -1); /* bad length */

    /* NULL handling per column kind */
    struct row {
        int32_t n;
        bool has_n;
        int32_t m;
        char *t;
    } row;
    pgorm_column_desc cn = {"n", "int4", PGORM_INT4, PGORM_COL_NULLABLE, offsetof(struct row, n),
                            offsetof(struct row, has_n), NULL, NULL, 0, false, 0};
    pgorm_column_desc cm = {"m", "int4", PGORM_INT4, 0, offsetof(struct row, m), PGORM_NO_OFFSET,
                            NULL, NULL, 0, false, 0};
    pgorm_column_desc ct = {"t", "text", PGORM_TEXT, PGORM_COL_NULLABLE, offsetof(struct row, t),
                            PGORM_NO_OFFSET, NULL, NULL, 0, false, 0};
    memset(&row, 0xff, sizeof row);
    assert_int_equal(pgorm_codec_decode_column(&cn, PQftype(r, 1), 1, PQgetvalue(r, 0, 1), 4,
                                               false, &row, &a, &oom, why, sizeof why),
                     0);
    assert_true(row.has_n);
    assert_int_equal(row.n, 1);
    assert_int_equal(pgorm_codec_decode_column(&cn, PQftype(r, 2), 1, NULL, 0, true, &row, &a,
                                               &oom, why, sizeof why),
                     0);
    assert_false(row.has_n);
    assert_int_equal(row.n, 0);
    assert_int_equal(pgorm_codec_decode_column(&ct, PQftype(r, 3), 1, NULL, 0, true, &row, &a,
                                               &oom, why, sizeof why),
                     0);
    assert_null(row.t);
    assert_int_equal(pgorm_codec_decode_column(&cm, PQftype(r, 2), 1, NULL, 0, true, &row, &a,
                                               &oom, why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "NULL"));
    assert_int_equal(pgorm_codec_decode_column(&cm, PQftype(r, 1), 0, "1", 1, false, &row, &a,
                                               &oom, why, sizeof why),
                     -1); /* text format is not read */
    assert_false(oom);
    PQclear(r);
    pgorm_arena_free(&a);
}

/* ------------------------------------------------------------------ */
/* arrays                                                              */

static char *array_text(PGconn *c, pgorm_type t, const void *vals, const void *has, size_t n,
                        size_t stride)
{
    pgorm_buf b = PGORM_BUF_INIT;
    char why[160] = "";
    if (pgorm_codec_encode_array(t, vals, has, n, stride, &b, why, sizeof why))
        fail_msg("encode array: %s", why);
    PGresult *r = run1(c, "SELECT $1::text", pgorm_codec_array_oid(t), &b, false, 0);
    char *s = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    pgorm_buf_free(&b);
    return s;
}

static void test_arrays(void **state)
{
    fixture *f = *state;
    int64_t ids[] = {1, -2, INT64_MAX};
    char *s = array_text(f->c, PGORM_INT8, ids, NULL, 3, sizeof(int64_t));
    assert_string_equal(s, "{1,-2,9223372036854775807}");
    free(s);
    s = array_text(f->c, PGORM_INT8, ids, NULL, 0, sizeof(int64_t));
    assert_string_equal(s, "{}");
    free(s);
    const char *texts[] = {"a", NULL, "Grüße", "", "x,y"};
    s = array_text(f->c, PGORM_TEXT, texts, NULL, 5, sizeof(char *));
    assert_string_equal(s, "{a,NULL,Grüße,\"\",\"x,y\"}");
    free(s);
    const char *nums[] = {"1.50", "-1e3", NULL};
    s = array_text(f->c, PGORM_NUMERIC, nums, NULL, 3, sizeof(char *));
    assert_string_equal(s, "{1.50,-1000,NULL}");
    free(s);

    /* elements from structs, with has_ flags */
    struct r {
        int32_t v;
        bool has_v;
        pgorm_bytes b;
    } rows[3] = {{7, true, {(uint8_t *)"\0x", 2}}, {8, false, {NULL, 0}},
                 {9, true, {(uint8_t *)"", 0}}};
    s = array_text(f->c, PGORM_INT4, &rows[0].v, &rows[0].has_v, 3, sizeof(struct r));
    assert_string_equal(s, "{7,NULL,9}");
    free(s);
    s = array_text(f->c, PGORM_BYTEA, &rows[0].b, NULL, 3, sizeof(struct r));
    assert_string_equal(s, "{\"\\\\x0078\",NULL,\"\\\\x\"}");
    free(s);

    /* a refused element is named */
    const char *bad[] = {"1", "2", "x"};
    pgorm_buf b = PGORM_BUF_INIT;
    char why[160];
    assert_int_equal(pgorm_codec_encode_array(PGORM_NUMERIC, bad, NULL, 3, sizeof(char *), &b,
                                              why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "element 2"));
    pgorm_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* the SQL builder                                                     */

typedef struct item {
    int64_t id;
    char *name;
    int32_t qty;
    bool has_qty;
    pgorm_date day;
} item;

static const pgorm_column_desc item_cols[] = {
    {"id", "int8", PGORM_INT8, PGORM_COL_PK, offsetof(item, id), PGORM_NO_OFFSET, NULL, NULL, 0, false, 0},
    {"name", "text", PGORM_TEXT, 0, offsetof(item, name), PGORM_NO_OFFSET, NULL, NULL, 0, false, 0},
    {"qty", "int4", PGORM_INT4, PGORM_COL_NULLABLE, offsetof(item, qty), offsetof(item, has_qty),
     NULL, NULL, 0, false, 0},
    {"order", "date", PGORM_DATE, 0, offsetof(item, day), PGORM_NO_OFFSET, NULL, NULL, 0, false, 0},
};
static const pgorm_model_desc item_model = {"Item", "item \"x\"", sizeof(item), item_cols, 4, 1,
                                            NULL, 0, NULL, 0, NULL};
static const pgorm_model_desc other_model = {"Other", "other", sizeof(item), item_cols, 4, 1,
                                             NULL, 0, NULL, 0, NULL};

static pgorm_pred leaf(pgorm_pred_kind k, uint32_t col)
{
    pgorm_pred p = {0};
    p.kind = k;
    p.model = &item_model;
    p.column = col;
    return p;
}

static pgorm_pred cmp(uint32_t col, pgorm_cmp op)
{
    pgorm_pred p = leaf(PGORM_PRED_CMP, col);
    p.op = op;
    return p;
}

/* Build "SELECT id FROM item WHERE <p> ORDER BY id" into op; returns the builder's code. */
static pgorm_errcode build(pgorm_op *op, const pgorm_pred *p, const pgorm_order *order,
                           char *msg, size_t msgsz)
{
    memset(op, 0, sizeof *op);
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->params, &item_model, "pgorm_find");
    pgorm_sqlb_puts(&b, "SELECT ");
    pgorm_sqlb_column(&b, 0);
    pgorm_sqlb_puts(&b, " FROM ");
    pgorm_sqlb_table(&b);
    pgorm_sqlb_where(&b, p);
    pgorm_sqlb_order(&b, order, PGORM_MAX_ORDER);
    pgorm_sqlb_finish(&b, op);
    snprintf(msg, msgsz, "%s", b.message);
    pgorm_errcode code = b.code;
    pgorm_sqlb_free(&b);
    return code;
}

static void op_free(pgorm_op *op)
{
    pgorm_free(op->sql);
    pgorm_buf_free(&op->params);
}

/* ids, comma-separated, of what op selects */
static void run_ids(PGconn *c, const pgorm_op *op, char *out, size_t outsz)
{
    PGresult *r = PQexecParams(c, op->sql, op->nparams, op->param_types, op->param_values,
                               op->param_lengths, op->param_formats, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", op->sql, PQresultErrorMessage(r));
    out[0] = '\0';
    for (int i = 0; i < PQntuples(r); i++) {
        size_t n = strlen(out);
        snprintf(out + n, outsz - n, "%s%s", i ? "," : "", PQgetvalue(r, i, 0));
    }
    PQclear(r);
}

/* Array columns (pgorm_column_desc.array) through the codec alone: what
   the encoder writes the decoder reads back (empty, NULL text elements,
   unicode, uuids, many elements), and every cut of a valid array is an
   error, never a read past its end. */
static void test_array_columns_codec(void **state)
{
    (void)state;
    struct arow {
        char **t;
        size_t t_count;
        pgorm_uuid *u;
        size_t u_count;
        int64_t *n;
        size_t n_count;
    };
    const pgorm_column_desc ct = {"t", "text[]", PGORM_TEXT, 0, offsetof(struct arow, t),
                                  PGORM_NO_OFFSET, NULL, NULL, 0,
                                  true, offsetof(struct arow, t_count)};
    const pgorm_column_desc cu = {"u", "uuid[]", PGORM_UUID, 0, offsetof(struct arow, u),
                                  PGORM_NO_OFFSET, NULL, NULL, 0,
                                  true, offsetof(struct arow, u_count)};
    const pgorm_column_desc cn = {"n", "int8[]", PGORM_INT8, 0, offsetof(struct arow, n),
                                  PGORM_NO_OFFSET, NULL, NULL, 0,
                                  true, offsetof(struct arow, n_count)};
    char *texts[] = {"a", NULL, "Grüße ☃", "", "x,y"};
    pgorm_uuid uu[2];
    assert_int_equal(pgorm_uuid_parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", &uu[0]), 0);
    memset(&uu[1], 0xab, sizeof uu[1]);
    int64_t many[300];
    for (int i = 0; i < 300; i++)
        many[i] = (int64_t)i * i - 7;
    char *none[1] = {NULL};
    struct arow in[3] = {{texts, 5, uu, 2, many, 300}, {none, 0, NULL, 0, NULL, 0}, {0}};
    char why[256];
    for (int r = 0; r < 3; r++) {
        const pgorm_column_desc *cols[3] = {&ct, &cu, &cn};
        for (int k = 0; k < 3; k++) {
            const pgorm_column_desc *c = cols[k];
            pgorm_buf b = PGORM_BUF_INIT;
            int rc = pgorm_codec_encode_array_field(c, &in[r], &b, why, sizeof why);
            const char *ptr;
            memcpy(&ptr, (const char *)&in[r] + c->offset, sizeof ptr);
            assert_int_equal(rc, ptr ? 1 : 0);
            struct arow out;
            memset(&out, 0x5a, sizeof out);
            pgorm_arena a = {0};
            bool oom = false;
            rc = pgorm_codec_decode_column(c, pgorm_codec_array_oid(c->type), 1, b.data,
                                           (int)b.len, !ptr, &out, &a, &oom, why, sizeof why);
            if (rc)
                fail_msg("row %d column %s: %s", r, c->name, why);
            const char *got;
            size_t n, want_n;
            memcpy(&got, (const char *)&out + c->offset, sizeof got);
            memcpy(&n, (const char *)&out + c->count_offset, sizeof n);
            memcpy(&want_n, (const char *)&in[r] + c->count_offset, sizeof want_n);
            assert_true((got == NULL) == (ptr == NULL));
            assert_int_equal(n, ptr ? want_n : 0);
            if (c == &ct) {
                for (size_t i = 0; i < n; i++) {
                    if (!in[r].t[i])
                        assert_null(out.t[i]);
                    else
                        assert_string_equal(out.t[i], in[r].t[i]);
                }
            } else if (n) {
                assert_memory_equal(got, ptr, n * pgorm_codec_size(c->type));
            }
            /* every cut of it is refused */
            for (size_t cut = 0; ptr && cut < b.len; cut++) {
                char *part = malloc(cut ? cut : 1);
                memcpy(part, b.data, cut);
                rc = pgorm_codec_decode_column(c, pgorm_codec_array_oid(c->type), 1, part,
                                               (int)cut, false, &out, &a, &oom, why, sizeof why);
                free(part);
                if (rc != -1)
                    fail_msg("column %s: %zu of %zu bytes decoded", c->name, cut, b.len);
            }
            pgorm_arena_free(&a);
            pgorm_buf_free(&b);
        }
    }
    /* the elements of several rows, one after the other */
    pgorm_buf b = PGORM_BUF_INIT;
    size_t total = 0;
    assert_int_equal(pgorm_codec_encode_array_rows(&ct, in, 3, sizeof in[0], &total, &b, why,
                                                   sizeof why),
                     0);
    assert_int_equal(total, 5);
    struct arow out = {0};
    pgorm_arena a = {0};
    bool oom = false;
    assert_int_equal(pgorm_codec_decode_column(&ct, 1009, 1, b.data, (int)b.len, false, &out, &a,
                                               &oom, why, sizeof why),
                     0);
    assert_int_equal(out.t_count, 5);
    assert_string_equal(out.t[2], "Grüße ☃");
    pgorm_arena_free(&a);
    pgorm_buf_free(&b);
    /* an array column accepts arrays of what its element accepts */
    assert_true(pgorm_codec_accepts_col(&ct, 1015)); /* varchar[] */
    assert_true(pgorm_codec_accepts_col(&cn, 1007)); /* int4[] */
    assert_false(pgorm_codec_accepts_col(&cn, PGORM_OID_INT8));
    assert_false(pgorm_codec_accepts_col(&cu, 1009));
}

static void test_sql_builder(void **state)
{
    fixture *f = *state;
    pgt_exec(f->c, "CREATE TABLE \"item \"\"x\"\"\" (id int8 PRIMARY KEY, name text NOT NULL, "
                   "qty int4, \"order\" date NOT NULL);"
                   "INSERT INTO \"item \"\"x\"\"\" VALUES (1, 'apple', 5, '2024-01-01'), "
                   "(2, 'Banana', NULL, '2024-01-02'), (3, 'cherry', 12, '2023-12-31'), "
                   "(4, 'apricot', 0, '2024-01-01')");
    pgorm_op op;
    char msg[320], ids[256];
    pgorm_order by_id[PGORM_MAX_ORDER] = {{1, false}};

    /* (name LIKE 'a%' OR qty IS NULL) AND NOT (id = ANY('{4}')) */
    pgorm_pred like = leaf(PGORM_PRED_LIKE, 1);
    like.value.s = "a%";
    int64_t four[] = {4};
    pgorm_pred in = leaf(PGORM_PRED_IN, 0);
    in.array = four;
    in.n = 1;
    pgorm_pred w = PGORM_AND(PGORM_OR(like, leaf(PGORM_PRED_IS_NULL, 2)), PGORM_NOT(in));
    assert_int_equal(build(&op, &w, by_id, msg, sizeof msg), PGORM_OK);
    assert_string_equal(op.sql, "SELECT \"id\" FROM \"item \"\"x\"\"\" WHERE ((\"name\" LIKE $1 "
                                "OR \"qty\" IS NULL) AND NOT (\"id\" = ANY($2))) ORDER BY \"id\"");
    assert_int_equal(op.nparams, 2);
    assert_int_equal(op.param_types[0], PGORM_OID_TEXT);
    assert_int_equal(op.param_types[1], 1016);
    assert_int_equal(op.result_format, 1);
    run_ids(f->c, &op, ids, sizeof ids);
    assert_string_equal(ids, "1,2");
    op_free(&op);

    /* every comparison, ILIKE, NOT NULL, a date, order desc on two columns */
    pgorm_pred c1 = cmp(3, PGORM_GE);
    c1.value.date = pgorm_date_from_ymd(2024, 1, 1);
    pgorm_pred ilike = leaf(PGORM_PRED_ILIKE, 1);
    ilike.value.s = "%A%";
    pgorm_order two[PGORM_MAX_ORDER] = {{1u << 3, true}, {1u << 1, false}};
    w = PGORM_AND(c1, ilike, leaf(PGORM_PRED_NOT_NULL, 0));
    assert_int_equal(build(&op, &w, two, msg, sizeof msg), PGORM_OK);
    assert_non_null(strstr(op.sql, "ORDER BY \"order\" DESC, \"name\""));
    run_ids(f->c, &op, ids, sizeof ids);
    assert_string_equal(ids, "2,1,4");
    op_free(&op);
    static const struct {
        pgorm_cmp op;
        const char *want;
    } cmps[] = {{PGORM_EQ, "2"},   {PGORM_NE, "1,3,4"}, {PGORM_LT, "1"},
                {PGORM_LE, "1,2"}, {PGORM_GT, "3,4"},   {PGORM_GE, "2,3,4"}};
    for (size_t i = 0; i < 6; i++) {
        pgorm_pred p = cmp(0, cmps[i].op);
        p.value.i64 = 2;
        assert_int_equal(build(&op, &p, by_id, msg, sizeof msg), PGORM_OK);
        run_ids(f->c, &op, ids, sizeof ids);
        assert_string_equal(ids, cmps[i].want);
        op_free(&op);
    }
    /* empty IN matches nothing; zero predicate matches all; empty OR is false */
    pgorm_pred none_in = leaf(PGORM_PRED_IN, 0);
    assert_int_equal(build(&op, &none_in, by_id, msg, sizeof msg), PGORM_OK);
    run_ids(f->c, &op, ids, sizeof ids);
    assert_string_equal(ids, "");
    op_free(&op);
    pgorm_pred zero = {0};
    assert_int_equal(build(&op, &zero, by_id, msg, sizeof msg), PGORM_OK);
    assert_null(strstr(op.sql, "WHERE"));
    assert_int_equal(op.nparams, 0);
    assert_null(op.param_values);
    run_ids(f->c, &op, ids, sizeof ids);
    assert_string_equal(ids, "1,2,3,4");
    op_free(&op);

    /* the text depends on the shape only */
    pgorm_pred a1 = cmp(2, PGORM_GT), a2 = cmp(2, PGORM_GT);
    a1.value.i32 = 1;
    a2.value.i32 = 1000;
    assert_int_equal(build(&op, &a1, by_id, msg, sizeof msg), PGORM_OK);
    char *first = strdup(op.sql);
    op_free(&op);
    assert_int_equal(build(&op, &a2, by_id, msg, sizeof msg), PGORM_OK);
    assert_string_equal(first, op.sql);
    free(first);
    op_free(&op);

    /* refusals name the problem */
    pgorm_pred wrong = cmp(0, PGORM_EQ);
    wrong.model = &other_model;
    assert_int_equal(build(&op, &wrong, by_id, msg, sizeof msg), PGORM_ERR_INVALID);
    assert_non_null(strstr(msg, "pgorm_find(Item)"));
    assert_non_null(strstr(msg, "model Other"));
    assert_null(op.sql);
    op_free(&op);
    pgorm_pred badcol = cmp(9, PGORM_EQ);
    assert_int_equal(build(&op, &badcol, by_id, msg, sizeof msg), PGORM_ERR_INVALID);
    assert_non_null(strstr(msg, "column 9"));
    op_free(&op);
    pgorm_pred badop = cmp(0, (pgorm_cmp)42);
    assert_int_equal(build(&op, &badop, by_id, msg, sizeof msg), PGORM_ERR_INVALID);
    assert_non_null(strstr(msg, "comparison 42"));
    op_free(&op);
    pgorm_pred nullcmp = cmp(1, PGORM_EQ);
    assert_int_equal(build(&op, &nullcmp, by_id, msg, sizeof msg), PGORM_ERR_INVALID);
    assert_non_null(strstr(msg, "IS NULL"));
    op_free(&op);
    pgorm_pred likeint = leaf(PGORM_PRED_LIKE, 0);
    assert_int_equal(build(&op, &likeint, by_id, msg, sizeof msg), PGORM_ERR_INVALID);
    assert_non_null(strstr(msg, "not text"));
    op_free(&op);
    pgorm_pred deep = wrong;
    deep = PGORM_NOT(PGORM_AND(cmp(0, PGORM_EQ), deep)); /* the bad leaf deep inside */
    assert_int_equal(build(&op, &deep, by_id, msg, sizeof msg), PGORM_ERR_INVALID);
    op_free(&op);
    pgorm_pred cyc = {0};
    cyc.kind = PGORM_PRED_NOT;
    cyc.kids = &cyc;
    cyc.nkids = 1;
    assert_int_equal(build(&op, &cyc, by_id, msg, sizeof msg), PGORM_ERR_INVALID);
    assert_non_null(strstr(msg, "nested"));
    op_free(&op);
    pgorm_order two_bits[PGORM_MAX_ORDER] = {{3, false}};
    assert_int_equal(build(&op, &zero, two_bits, msg, sizeof msg), PGORM_ERR_INVALID);
    assert_non_null(strstr(msg, "order[0]"));
    op_free(&op);
    pgorm_order out_of_range[PGORM_MAX_ORDER] = {{1, false}, {1u << 4, true}};
    assert_int_equal(build(&op, &zero, out_of_range, msg, sizeof msg), PGORM_ERR_INVALID);
    assert_non_null(strstr(msg, "order[1]"));
    op_free(&op);
    pgorm_pred badkind = leaf((pgorm_pred_kind)99, 0);
    assert_int_equal(build(&op, &badkind, by_id, msg, sizeof msg), PGORM_ERR_INVALID);
    op_free(&op);

    /* keys */
    memset(&op, 0, sizeof op);
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op.params, &item_model, "pgorm_get");
    item key = {.id = 3};
    pgorm_sqlb_puts(&b, "SELECT ");
    pgorm_sqlb_column(&b, 0);
    pgorm_sqlb_puts(&b, " FROM ");
    pgorm_sqlb_table(&b);
    pgorm_sqlb_key(&b, &key);
    assert_int_equal(pgorm_sqlb_finish(&b, &op), 0);
    pgorm_sqlb_free(&b);
    assert_string_equal(op.sql, "SELECT \"id\" FROM \"item \"\"x\"\"\" WHERE \"id\" = $1");
    run_ids(f->c, &op, ids, sizeof ids);
    assert_string_equal(ids, "3");
    op_free(&op);
    pgorm_model_desc nokey = item_model;
    nokey.pk_mask = 0;
    memset(&op, 0, sizeof op);
    pgorm_sqlb_init(&b, &op.params, &nokey, "pgorm_get");
    pgorm_sqlb_key(&b, &key);
    assert_int_equal(pgorm_sqlb_finish(&b, &op), -1);
    assert_int_equal(b.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(b.message, "no primary key"));
    pgorm_sqlb_free(&b);
    op_free(&op);
    pgorm_model_desc broken = item_model;
    broken.ncolumns = 0;
    memset(&op, 0, sizeof op);
    pgorm_sqlb_init(&b, &op.params, &broken, "pgorm_find");
    assert_true(pgorm_sqlb_failed(&b));
    pgorm_sqlb_free(&b);
    op_free(&op);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numeric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roundtrip_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arrays, setup, teardown),
        cmocka_unit_test(test_array_columns_codec),
        cmocka_unit_test_setup_teardown(test_sql_builder, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
