/* Named queries: the schema language's `query` blocks (parse errors with
 * their positions), the generated calls of tests/schemas/gen_queries.pgorm
 * on a real server (sync and async, every type, NULLs, a database that
 * drifted from the file), and the command line: `pgorm check --database`
 * catching a renamed column and a parameter of the wrong type, `pgorm gen
 * --database` describing a query from the server.
 */
#include "pgtest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "gen_queries.pgorm.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static const char *cli(void)
{
    const char *p = getenv("PGORM_CLI");
    if (!p || !*p)
        fail_msg("PGORM_CLI is not set: run the tests with ctest");
    return p;
}

typedef struct tmpdir {
    char path[512];
} tmpdir;

static void tmp_make(tmpdir *t)
{
    const char *e = getenv("TMPDIR");
    snprintf(t->path, sizeof t->path, "%s/pgorm-queries-XXXXXX", e && *e ? e : "/tmp");
    if (!mkdtemp(t->path))
        fail_msg("mkdtemp(%s) failed", t->path);
}

static void tmp_remove(tmpdir *t)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->path);
    assert_int_equal(pgt_run(cmd, NULL), 0);
}

/* Writes dir/name and returns its path (static storage, one at a time). */
static const char *write_in(const tmpdir *t, const char *name, const char *text)
{
    static char path[700];
    snprintf(path, sizeof path, "%s/%s", t->path, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Runs `pgorm <args>` with DATABASE_URL set to conninfo (NULL: unset). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
run_cli(const char *conninfo, char **out, const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    if (conninfo)
        snprintf(cmd, sizeof cmd, "DATABASE_URL='%s' '%s' %s", conninfo, cli(), args);
    else
        snprintf(cmd, sizeof cmd, "env -u DATABASE_URL PGHOST=/nonexistent '%s' %s", cli(),
                 args);
    return pgt_run(cmd, out);
}

static void expect_in(const char *out, const char *sub)
{
    if (!out || !strstr(out, sub))
        fail_msg("expected \"%s\" in:\n%s", sub, out ? out : "(nothing)");
}

/* A parse of src that fails with a diagnostic at line:col containing sub. */
static void bad_(const char *src, int line, int col, const char *sub, int srcline)
{
    pgorm_diag d[32];
    size_t n = 0;
    pgorm_schema *s = pgorm_schema_parse("q.pgorm", src, strlen(src), d, 32, &n);
    if (s) {
        pgorm_schema_free(s);
        fail_msg("line %d: the schema was accepted, expected %d:%d %s", srcline, line, col, sub);
    }
    for (size_t i = 0; i < n && i < 32; i++)
        if (d[i].pos.line == line && d[i].pos.col == col && strstr(d[i].message, sub))
            return;
    for (size_t i = 0; i < n && i < 32; i++)
        print_error("  %d:%d: %s\n", d[i].pos.line, d[i].pos.col, d[i].message);
    fail_msg("line %d: no diagnostic at %d:%d with \"%s\"", srcline, line, col, sub);
}
#define BAD(src, line, col, sub) bad_((src), (line), (col), (sub), __LINE__)

typedef struct fixture {
    pgt_db d;
    PGconn *c;
    pgorm_db *db;
} fixture;

static void open_db(fixture *f, const char *label)
{
    pgt_db_create(&f->d, label);
    f->c = pgt_connect(f->d.direct);
    pgt_apply_schema(f->c, "tests/schemas/gen_queries.pgorm");
    pgt_exec(f->c, "INSERT INTO poet (name, email, born) VALUES "
                   "('Szymborska', 'ws@example.org', '1923-07-02'), ('Basho', NULL, NULL), "
                   "('Dickinson', NULL, '1830-12-10');"
                   "INSERT INTO poem (title, lines, poet_id) VALUES "
                   "('Cat in an Empty Apartment', 40, 1), ('Possibilities', 50, 1), "
                   "('Old pond', 3, 2), ('Hope is the thing', 12, 3), ('Untitled', NULL, 3)");
    f->db = pgt_pgorm_connect(f->d.conninfo);
}

static void close_db(fixture *f)
{
    pgorm_db_free(f->db);
    PQfinish(f->c);
    pgt_db_drop(&f->d);
}

/* ------------------------------------------------------------------ */
/* The language                                                        */

static void test_parse(void **state)
{
    (void)state;
    const char *src = "model M { id int4 @id }\n"
                      "query Q(a int4, b varchar(10)) {\n"
                      "  sql \"\"\"SELECT id, $2::text AS b\n"
                      "    FROM m WHERE id = $1\"\"\"\n"
                      "  returns (id int4, \"b\" text?)\n"
                      "}\n"
                      "query R() { sql \"SELECT '$9', $$ $7 $$, \\\"$8\\\" -- $6\" }\n";
    pgorm_diag d[8];
    size_t n = 0;
    pgorm_schema *s = pgorm_schema_parse("q.pgorm", src, strlen(src), d, 8, &n);
    if (!s)
        fail_msg("%d:%d: %s", d[0].pos.line, d[0].pos.col, d[0].message);
    assert_int_equal(s->nqueries, 2);
    const pgorm_named_query *q = &s->queries[0];
    assert_string_equal(q->name, "Q");
    assert_int_equal(q->pos.line, 2);
    assert_int_equal(q->pos.col, 7);
    assert_string_equal(q->sql, "SELECT id, $2::text AS b\n    FROM m WHERE id = $1");
    assert_true(q->sql_raw);
    assert_int_equal(q->nparams, 2);
    assert_string_equal(q->params[1].name, "b");
    assert_int_equal(q->params[1].type.scalar, PGORM_S_VARCHAR);
    assert_int_equal(q->params[1].type.precision, 10);
    assert_true(q->has_returns);
    assert_int_equal(q->ncolumns, 2);
    assert_string_equal(q->columns[1].name, "b");
    assert_true(q->columns[1].nullable);
    assert_false(q->columns[0].nullable);
    /* positions inside a triple-quoted string are exact */
    pgorm_pos p = pgorm_query_sql_pos(q, (size_t)(strstr(q->sql, "$1") - q->sql));
    assert_int_equal(p.line, 4);
    assert_int_equal(p.col, 23);
    const pgorm_named_query *r = &s->queries[1];
    assert_false(r->has_returns);
    assert_int_equal(r->nparams, 0); /* no $n outside strings and comments: accepted */
    pgorm_schema_free(s);

    /* a field may still be called query, whatever its type */
    static const char fields[] = "model M {\n  id int4 @id\n  query numeric(10, 2)\n"
                                 "  sql varchar(3)?\n}\n";
    s = pgorm_schema_parse("q.pgorm", fields, strlen(fields), d, 8, &n);
    if (!s)
        fail_msg("%d:%d: %s", d[0].pos.line, d[0].pos.col, d[0].message);
    assert_int_equal(s->models[0].nfields, 3);
    assert_int_equal(s->nqueries, 0);
    pgorm_schema_free(s);
}

static void test_errors(void **state)
{
    (void)state;
    /* unknown type, with the valid ones */
    BAD("query Q(a int9) { sql \"SELECT $1\" }\n", 1, 11,
        "unknown type 'int9' for parameter 'a' (expected one of: bool, int2, int4");
    BAD("query Q(a int4) { sql \"SELECT $1 AS x\" returns (x txt) }\n", 1, 51,
        "unknown type 'txt' for column 'x'");
    BAD("query Q(a serial) { sql \"SELECT $1\" }\n", 1, 11, "cannot be serial");
    /* missing sql */
    BAD("query Q() { returns (a int4) }\n", 1, 7, "query 'Q' has no sql: write its statement");
    BAD("query Q() { sql \"  \" }\n", 1, 18, "the sql of query 'Q' is empty");
    BAD("query Q() { sql SELECT }\n", 1, 17, "expected the SQL of query 'Q' as a string");
    BAD("query Q() { sql \"SELECT 1\" sql \"SELECT 2\" }\n", 1, 28, "duplicate sql");
    /* bad parameter names */
    BAD("query Q(1a int4) { sql \"SELECT 1\" }\n", 1, 9, "invalid number '1a'");
    BAD("query Q(\"a\" int4) { sql \"SELECT $1\" }\n", 1, 9,
        "expected a parameter name in query 'Q'(...), found a string (write name type");
    BAD("query Q($1 int4) { sql \"SELECT $1\" }\n", 1, 9, "unexpected character '$'");
    BAD("query Q(a) { sql \"SELECT $1\" }\n", 1, 9, "parameter 'a' of query 'Q' has no type");
    BAD("query Q(a int4, a text) { sql \"SELECT $1, $2\" }\n", 1, 17,
        "duplicate parameter 'a' in query 'Q' (it is $1 already)");
    BAD("query Q(a int4?) { sql \"SELECT $1\" }\n", 1, 15, "cannot be written with '?'");
    /* duplicate query names, and a model's */
    BAD("query Q() { sql \"SELECT 1\" }\nquery Q() { sql \"SELECT 2\" }\n", 2, 7,
        "duplicate query 'Q' (first defined at line 1)");
    BAD("model Q { id int4 @id }\nquery Q() { sql \"SELECT 1\" }\n", 2, 7,
        "query 'Q' has the name of model 'Q' (line 1)");
    /* $n beyond the declared parameters, at the $n */
    BAD("query Q(a int4) {\n  sql \"\"\"SELECT $1,\n     $2\"\"\"\n}\n", 3, 6,
        "$2 in the sql of query 'Q' is beyond its 1 declared parameter ($1 a): use $1 to $1");
    BAD("query Q() { sql \"SELECT $1\" }\n", 1, 25, "which declares no parameters");
    BAD("query Q(a int4) { sql \"SELECT $0, $1\" }\n", 1, 31, "not a parameter");
    BAD("query Q(a int4, b int4) { sql \"SELECT $2\" }\n", 1, 9,
        "parameter 'a' of query 'Q' is never used: its sql has no $1");
    /* returns */
    BAD("query Q() { sql \"SELECT 1\" returns () }\n", 1, 37, "returns () lists no columns");
    BAD("query Q() { sql \"SELECT 1 a, 2 a\" returns (a int4, a int4) }\n", 1, 52,
        "duplicate result column 'a'");
    BAD("query Q() { sql \"SELECT 1 a\" returns (a int4) returns (a int4) }\n", 1, 47,
        "duplicate returns");
    BAD("query Q() { sql \"SELECT 1 a\" returns (a) }\n", 1, 39,
        "result column 'a' has no type");
    /* what else a block may hold */
    BAD("query Q() {\n  sql \"SELECT 1\"\n  retruns (a int4)\n}\n", 3, 3,
        "expected sql \"\"\"SELECT ...\"\"\", returns (name type, ...) or '}' in query 'Q', found "
        "'retruns'; did you mean 'returns'?");
    BAD("query Q() {\n  sql \"SELECT 1\"\n", 1, 11, "query 'Q' is not closed");
    BAD("query Q() {\n  sql \"\"\"SELECT 1\n", 2, 7, "unterminated string: close it with three");
    BAD("query Q { sql \"SELECT 1\" }\n", 1, 9, "expected '(' after 'query Q'");
    BAD("query { }\n", 1, 7, "expected a query name after 'query'");
    /* the block after an error still parses: both errors are reported */
    BAD("query Q(a int9) {\n  returns (x int4)\n}\nmodel M { id int5 @id }\n", 4, 14,
        "unknown type 'int5'");
}

/* Every prefix of a schema with queries, and every one-byte change of it,
   parses or is refused with positioned diagnostics: never a crash, never
   an error without a place (the sanitizer build runs this too). */
static void test_mutations(void **state)
{
    (void)state;
    static const char src[] = "model M { id int4 @id }\n"
                              "query Q(a int4, b numeric(5, 2)) {\n"
                              "  sql \"\"\"SELECT $1 AS a, 'x$2' AS \"b\" -- $9\n"
                              "    , $2::text AS c /* $8 */ , $$ $7 $$ AS d\"\"\"\n"
                              "  returns (a int4, b text?, \"c\" varchar, d text)\n"
                              "}\n"
                              "query R() { sql \"SELECT 1 AS \\\"x\\\"\" returns (x int4) }\n";
    size_t len = strlen(src);
    static const char subst[] = "\"$(){}?,\n a1";
    char buf[sizeof src];
    pgorm_diag d[16];
    size_t runs = 0;
    for (size_t i = 0; i <= len; i++) {
        for (size_t k = 0; k <= sizeof subst - 1; k++) {
            size_t n;
            if (k == sizeof subst - 1) { /* the prefix */
                memcpy(buf, src, i);
                n = i;
            } else if (i < len) { /* one byte replaced */
                memcpy(buf, src, len);
                buf[i] = subst[k];
                n = len;
            } else {
                continue;
            }
            size_t nd = 0;
            pgorm_schema *sc = pgorm_schema_parse("m.pgorm", buf, n, d, 16, &nd);
            if (sc)
                pgorm_schema_free(sc);
            else if (nd == 0 || d[0].pos.line == 0)
                fail_msg("mutation %zu/%zu refused without a position", i, k);
            runs++;
        }
    }
    assert_true(runs > 1000);
    /* the original is valid */
    size_t nd = 0;
    pgorm_schema *sc = pgorm_schema_parse("m.pgorm", src, len, d, 16, &nd);
    if (!sc)
        fail_msg("%d:%d: %s", d[0].pos.line, d[0].pos.col, d[0].message);
    assert_int_equal(sc->queries[0].nparams, 2);
    assert_string_equal(sc->queries[1].sql, "SELECT 1 AS \"x\"");
    pgorm_schema_free(sc);
}

/* The generated files: the same bytes for the same input, lines within
   100 columns, no trailing blanks. */
static void test_gen_output(void **state)
{
    (void)state;
    tmpdir t;
    tmp_make(&t);
    char *out = NULL;
    const char *schema = PGORM_SOURCE_DIR "/tests/schemas/gen_queries.pgorm";
    assert_int_equal(run_cli(NULL, &out, "gen '%s' -o '%s/a'", schema, t.path), 0);
    free(out);
    assert_int_equal(run_cli(NULL, &out, "gen '%s' -o '%s/b'", schema, t.path), 0);
    free(out);
    static const char *const files[] = {"gen_queries.pgorm.h", "gen_queries.pgorm.c"};
    for (size_t i = 0; i < 2; i++) {
        char pa[800], pb[800];
        snprintf(pa, sizeof pa, "%s/a/%s", t.path, files[i]);
        snprintf(pb, sizeof pb, "%s/b/%s", t.path, files[i]);
        size_t la = 0, lb = 0;
        char *a = pgt_read_file(pa, &la), *b = pgt_read_file(pb, &lb);
        assert_non_null(a);
        assert_non_null(b);
        assert_true(la == lb && memcmp(a, b, la) == 0);
        int line = 1;
        for (const char *p = a; *p; line++) {
            const char *nl = strchr(p, '\n');
            assert_non_null(nl);
            size_t n = (size_t)(nl - p);
            if (n > 100)
                fail_msg("%s:%d is %zu columns", files[i], line, n);
            if (n > 0 && p[n - 1] == ' ')
                fail_msg("%s:%d ends in a blank", files[i], line);
            p = nl + 1;
        }
        free(a);
        free(b);
    }
    tmp_remove(&t);
}

/* Failing each allocation in turn: parsing and generating a schema with
   queries report "out of memory" and leave nothing allocated. */
static void test_out_of_memory(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = pgt_read_file(PGORM_SOURCE_DIR "/tests/schemas/gen_queries.pgorm", &len);
    assert_non_null(text);
    pgorm_diag d[4];
    size_t nd = 0;
    pgorm_schema *s = NULL;
    long n;
    bool parsed = false;
    for (n = 1; n < 100000 && !parsed; n++) {
        pgt_oom_arm(n, false);
        s = pgorm_schema_parse("gen_queries.pgorm", text, len, d, 4, &nd);
        parsed = s != NULL;
        pgorm_schema_free(s);
        pgt_oom_disarm();
        if (!parsed) {
            assert_int_equal(nd, 1);
            assert_string_equal(d[0].message, "out of memory");
        }
        if (pgt_oom_live() != 0)
            fail_msg("parse: allocation %ld failing left %ld blocks", n, pgt_oom_live());
    }
    assert_true(n > 50);
    s = pgorm_schema_parse("gen_queries.pgorm", text, len, d, 4, &nd);
    assert_non_null(s);
    free(text);
    char *want_h = NULL, *want_c = NULL, *h = NULL, *c = NULL;
    pgorm_diag diag;
    assert_int_equal(pgorm_codegen(s, "gen_queries", &want_h, &want_c, &diag),
                     PGORM_CODEGEN_OK);
    pgorm_codegen_status st = PGORM_CODEGEN_NOMEM;
    for (n = 1; n < 100000 && st == PGORM_CODEGEN_NOMEM; n++) {
        pgt_oom_arm(n, false);
        st = pgorm_codegen(s, "gen_queries", &h, &c, &diag);
        if (st == PGORM_CODEGEN_OK) {
            pgt_oom_free(h);
            pgt_oom_free(c);
        }
        pgt_oom_disarm();
        if (st == PGORM_CODEGEN_NOMEM)
            assert_string_equal(diag.message, "out of memory");
        if (pgt_oom_live() != 0)
            fail_msg("codegen: allocation %ld failing left %ld blocks", n, pgt_oom_live());
    }
    assert_int_equal(st, PGORM_CODEGEN_OK);
    assert_int_equal(pgorm_codegen(s, "gen_queries", &h, &c, &diag), PGORM_CODEGEN_OK);
    assert_string_equal(h, want_h);
    assert_string_equal(c, want_c);
    pgorm_free(h);
    pgorm_free(c);
    pgorm_free(want_h);
    pgorm_free(want_c);
    pgorm_schema_free(s);
}

/* The command line's form: file:line:col, exit 1. */
static void test_check_cli_errors(void **state)
{
    (void)state;
    tmpdir t;
    tmp_make(&t);
    const char *path = write_in(&t, "bad.pgorm",
                                "query Q(a int4) {\n"
                                "  sql \"SELECT $1, $3\"\n"
                                "}\n");
    char *out = NULL;
    assert_int_equal(run_cli(NULL, &out, "check '%s'", path), 1);
    char want[800];
    snprintf(want, sizeof want, "%s:2:19: $3 in the sql of query 'Q' is beyond", path);
    expect_in(out, want);
    free(out);
    path = write_in(&t, "ok.pgorm",
                    "query Q(a int4) {\n  sql \"SELECT $1 AS a\"\n  returns (a int4)\n}\n");
    assert_int_equal(run_cli(NULL, &out, "check '%s'", path), 0);
    expect_in(out, "ok: 0 models, 1 query");
    free(out);
    /* --database without a server: exit 2, says so */
    assert_int_equal(run_cli("host=/nonexistent port=1", &out, "check '%s' --database", path),
                     2);
    expect_in(out, "cannot connect to the database");
    free(out);
    tmp_remove(&t);
}

/* ------------------------------------------------------------------ */
/* The generated calls                                                 */

static void test_generated_sync(void **state)
{
    (void)state;
    fixture f;
    open_db(&f, "queries_sync");
    pgorm_error err = {0};
    PoetsWithPoemsRows *rows = NULL;
    pgt_ok(poets_with_poems_sync(f.db, 10, &rows, &err), &err, "poets_with_poems_sync");
    assert_int_equal(rows->count, 2);
    assert_string_equal(rows->items[0].name, "Szymborska");
    assert_int_equal(rows->items[0].poems, 2);
    assert_int_equal(rows->items[0].id, 1);
    assert_string_equal(rows->items[1].name, "Dickinson");
    assert_int_equal(rows->items[1].poems, 1);
    poets_with_poems_rows_free(rows);
    pgt_ok(poets_with_poems_sync(f.db, 1000, &rows, &err), &err, "no rows");
    assert_int_equal(rows->count, 0);
    poets_with_poems_rows_free(rows);
    assert_int_equal(poets_with_poems_sync(f.db, 1, NULL, &err), 0); /* out may be NULL */

    /* nullable columns: has_ flags and NULL pointers */
    PoemsLikeRows *pl = NULL;
    pgt_ok(poems_like_sync(f.db, "%", 10, &pl, &err), &err, "poems_like_sync");
    assert_int_equal(pl->count, 5);
    assert_string_equal(pl->items[0].title, "Cat in an Empty Apartment");
    assert_true(pl->items[0].has_lines);
    assert_int_equal(pl->items[0].lines, 40);
    assert_string_equal(pl->items[0].email, "ws@example.org");
    assert_true(pl->items[0].has_born);
    assert_int_equal(pl->items[0].born, pgorm_date_from_ymd(1923, 7, 2));
    assert_null(pl->items[2].email);
    assert_false(pl->items[2].has_born);
    assert_false(pl->items[4].has_lines);
    poems_like_rows_free(pl);
    /* the second parameter is the LIMIT; a NULL string parameter is SQL NULL */
    pgt_ok(poems_like_sync(f.db, "%o%", 1, &pl, &err), &err, "limit");
    assert_int_equal(pl->count, 1);
    poems_like_rows_free(pl);
    pgt_ok(poems_like_sync(f.db, NULL, 10, &pl, &err), &err, "NULL pattern");
    assert_int_equal(pl->count, 0);
    poems_like_rows_free(pl);

    /* every other type */
    OneOfEachRows *e = NULL;
    pgt_ok(one_of_each_sync(f.db, &e, &err), &err, "one_of_each_sync");
    assert_int_equal(e->count, 1);
    const OneOfEachRow *r = &e->items[0];
    assert_true(r->b);
    assert_int_equal(r->i2, 2);
    assert_true(r->f4 == 4.5f);
    assert_true(r->f8 == 8.25);
    assert_string_equal(r->num, "12.50");
    assert_int_equal(r->raw.len, 2);
    assert_int_equal(r->raw.data[1], 2);
    char u[40];
    pgorm_uuid_format(&r->id, u, sizeof u);
    assert_string_equal(u, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    assert_int_equal(r->ts, pgorm_timestamp_from_parts(2024, 3, 1, 12, 0, 0, 0));
    assert_int_equal(r->tstz, pgorm_timestamp_from_parts(2024, 3, 1, 12, 0, 0, 0));
    assert_string_equal(r->doc, "{\"a\": 1}");
    assert_string_equal(r->note, "costs $1");
    assert_string_equal(r->v, "x");
    one_of_each_rows_free(e);

    /* a NULL the file says cannot be one: a decode error naming the column */
    NotReallyNotNullRows *nn = NULL;
    assert_int_equal(not_really_not_null_sync(f.db, &nn, &err), -1);
    assert_null(nn);
    assert_int_equal(err.code, PGORM_ERR_DECODE);
    expect_in(err.message, "NotReallyNotNull.n");
    pgorm_error_clear(&err);
    close_db(&f);
}

typedef struct seen {
    int calls;
    size_t count;
    int64_t first;
    pgorm_errcode code;
} seen;

static void on_poets(PoetsWithPoemsRows *rows, const pgorm_error *err, void *ud)
{
    seen *s = ud;
    s->calls++;
    s->code = err ? err->code : PGORM_OK;
    if (rows) {
        s->count = rows->count;
        s->first = rows->count ? rows->items[0].poems : -1;
    }
    poets_with_poems_rows_free(rows);
}

static void on_like(PoemsLikeRows *rows, const pgorm_error *err, void *ud)
{
    seen *s = ud;
    s->calls++;
    s->code = err ? err->code : PGORM_OK;
    if (rows)
        s->count = rows->count;
    poems_like_rows_free(rows);
}

static void test_generated_async(void **state)
{
    (void)state;
    fixture f;
    open_db(&f, "queries_async");
    seen a = {0}, b = {0}, c = {0};
    /* several in flight at once, on one pipeline */
    poets_with_poems(f.db, 10, on_poets, &a);
    poems_like(f.db, "%e%", 100, on_like, &b);
    poets_with_poems(f.db, 1, on_poets, &c);
    poets_with_poems(f.db, 1, NULL, NULL); /* no callback: the rows are freed */
    assert_int_equal(pgorm_db_run_sync(f.db, 10000), 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.code, PGORM_OK);
    assert_int_equal(a.count, 2);
    assert_int_equal(a.first, 2);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.count, 4);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.count, 3);

    /* bad arguments to the generic call: the callback runs once, later */
    seen d = {0};
    pgorm_query_rows(f.db, NULL, "SELECT 1", NULL, 0, NULL, NULL, NULL);
    pgorm_param bad = {.type = (pgorm_type)99};
    pgorm_query_rows(f.db, &poets_with_poems_query, "SELECT $1", &bad, 1,
                     (pgorm_result_cb)NULL, NULL, NULL);
    pgorm_error err = {0};
    pgorm_result *res = NULL;
    assert_int_equal(pgorm_query_rows_sync(f.db, &poets_with_poems_query, "BEGIN", NULL, 0,
                                           &res, &err),
                     -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_query_rows_sync(f.db, &poets_with_poems_query, "SELECT $1", &bad, 1,
                                           &res, &err),
                     -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    expect_in(err.message, "parameter $1 has no known type");
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_db_run_sync(f.db, 10000), 0);
    assert_int_equal(d.calls, 0);
    close_db(&f);
}

/* Out of memory anywhere in a generated call: an error, never a crash or
   a leak (the connection is made before the walk). */
static void oom_call(void *ctx)
{
    pgorm_db *db = ctx;
    pgorm_error err;
    PoemsLikeRows *rows = NULL;
    if (poems_like_sync(db, "%", 10, &rows, &err) == 0)
        poems_like_rows_free(rows);
    else
        pgorm_error_clear(&err);
}

static void test_generated_out_of_memory(void **state)
{
    (void)state;
    fixture f;
    open_db(&f, "queries_oom");
    oom_call(f.db); /* prepared once: the connection's statement cache is not a leak */
    pgt_oom_walk(oom_call, f.db, 5);
    close_db(&f);
}

/* The database changed under the generated code: the call fails, saying
   which column, instead of filling the wrong members. */
static void test_generated_drift(void **state)
{
    (void)state;
    fixture f;
    open_db(&f, "queries_drift");
    pgorm_error err = {0};
    /* the statement's columns are checked by name: a column renamed under
       SELECT * gives a decode error naming both */
    static const pgorm_column_desc cols[] = {
        {.name = "id", .sql_type = "int8", .type = PGORM_INT8,
         .offset = offsetof(PoetsWithPoemsRow, id), .has_offset = PGORM_NO_OFFSET},
        {.name = "name", .sql_type = "text", .type = PGORM_TEXT,
         .offset = offsetof(PoetsWithPoemsRow, name), .has_offset = PGORM_NO_OFFSET},
    };
    static const pgorm_model_desc two = {.name = "Two", .struct_size = sizeof(PoetsWithPoemsRow),
                                         .columns = cols, .ncolumns = 2};
    pgorm_result *res = NULL;
    pgt_ok(pgorm_query_rows_sync(f.db, &two, "SELECT id, name FROM poet ORDER BY id", NULL, 0,
                                 &res, &err),
           &err, "before");
    assert_int_equal(pgorm_result_count(res), 3);
    pgorm_result_free(res);
    pgt_exec(f.c, "ALTER TABLE poet RENAME COLUMN name TO full_name");
    assert_int_equal(pgorm_query_rows_sync(f.db, &two, "SELECT id, full_name FROM poet", NULL, 0,
                                           &res, &err),
                     -1);
    assert_int_equal(err.code, PGORM_ERR_DECODE);
    expect_in(err.message, "result column 2 is \"full_name\", the generated code expects "
                           "\"name\"");
    pgorm_error_clear(&err);
    assert_int_equal(pgorm_query_rows_sync(f.db, &two, "SELECT id FROM poet", NULL, 0, &res,
                                           &err),
                     -1);
    expect_in(err.message, "returns 1 columns, the generated code expects 2");
    pgorm_error_clear(&err);
    /* a command (no rows at all): an error too */
    assert_int_equal(pgorm_query_rows_sync(f.db, &two, "UPDATE poet SET email = NULL", NULL, 0,
                                           &res, &err),
                     -1);
    assert_int_equal(err.code, PGORM_ERR_DECODE);
    expect_in(err.message, "a command that returns no rows");
    pgorm_error_clear(&err);
    /* the generated query names the old column: the server refuses it */
    PoetsWithPoemsRows *rows = NULL;
    assert_int_equal(poets_with_poems_sync(f.db, 1, &rows, &err), -1);
    assert_null(rows);
    assert_int_equal(err.code, PGORM_ERR_SERVER);
    assert_string_equal(err.sqlstate, "42703");
    pgorm_error_clear(&err);
    close_db(&f);
}

/* ------------------------------------------------------------------ */
/* pgorm check --database, pgorm gen --database                        */

static const char check_schema[] =
    "model Shelf2 {\n"                                              /* 1 */
    "  id     bigserial @id\n"                                      /* 2 */
    "  title  text\n"                                               /* 3 */
    "  pages  int4\n"                                               /* 4 */
    "}\n"                                                           /* 5 */
    "query Long(min_pages int4) {\n"                                /* 6 */
    "  sql \"\"\"SELECT id, title\n"                                /* 7 */
    "         FROM shelf2 WHERE pages >= $1\"\"\"\n"                /* 8 */
    "  returns (id int8, title text)\n"                             /* 9 */
    "}\n"                                                           /* 10 */
    "query Titled(i int8) {\n"                                      /* 11 */
    "  sql \"SELECT * FROM shelf2 WHERE id = $1\"\n"                /* 12 */
    "  returns (id int8, title text, pages int4)\n"                 /* 13 */
    "}\n";

static void test_check_database(void **state)
{
    (void)state;
    pgt_db d;
    pgt_db_create(&d, "queries_check");
    PGconn *c = pgt_connect(d.direct);
    pgt_apply_schema_text(c, check_schema);
    tmpdir t;
    tmp_make(&t);
    char path[700];
    snprintf(path, sizeof path, "%s", write_in(&t, "shelf.pgorm", check_schema));
    char *out = NULL, want[1200];

    assert_int_equal(run_cli(d.direct, &out, "check '%s' --database", path), 0);
    expect_in(out, "ok: 1 model, 2 queries checked against the database");
    free(out);
    if (pgt_pooled()) {
        /* each query's PREPARE and DESCRIBE share a transaction: the same
           server session behind PgBouncer */
        assert_int_equal(run_cli(d.conninfo, &out, "check '%s' --database", path), 0);
        free(out);
    }

    /* a column renamed in the database: Long's SQL no longer prepares (the
       error points into the SQL, at the column), and Titled's SELECT *
       returns the new name where the file says title */
    pgt_exec(c, "ALTER TABLE shelf2 RENAME COLUMN title TO name");
    assert_int_equal(run_cli(d.direct, &out, "check '%s' --database", path), 1);
    snprintf(want, sizeof want,
             "%s:7:21: query 'Long': the server refuses its sql: column \"title\" does not exist",
             path);
    expect_in(out, want);
    snprintf(want, sizeof want,
             "%s:13:21: result column 2 of query 'Titled' is \"name\" in the database, the "
             "query declares \"title\"",
             path);
    expect_in(out, want);
    free(out);
    pgt_exec(c, "ALTER TABLE shelf2 RENAME COLUMN name TO title");

    /* a parameter of the wrong type, and a column of another type */
    const char *wrong = write_in(&t, "wrong.pgorm",
                                 "query Long(min_pages text) {\n"
                                 "  sql \"SELECT id, pages FROM shelf2 WHERE pages >= $1\"\n"
                                 "  returns (id int8, pages int8)\n"
                                 "}\n");
    assert_int_equal(run_cli(d.direct, &out, "check '%s' --database", wrong), 1);
    snprintf(want, sizeof want,
             "wrong.pgorm:1:22: parameter 'min_pages' ($1) of query 'Long' is declared text, but "
             "the server expects int4 there: declare it int4");
    expect_in(out, want);
    expect_in(out, "wrong.pgorm:3:27: result column 'pages' of query 'Long' is int4 in the "
                   "database, declared int8");
    free(out);

    /* counts; a statement without rows; a type pgorm cannot read */
    const char *more = write_in(&t, "more.pgorm",
                                "query A() {\n"
                                "  sql \"SELECT id FROM shelf2\"\n"
                                "  returns (id int8, title text)\n"
                                "}\n"
                                "query B(p int4) {\n"
                                "  sql \"UPDATE shelf2 SET pages = $1\"\n"
                                "}\n"
                                "query C() {\n"
                                "  sql \"SELECT point(1, 2) AS span\"\n"
                                "}\n"
                                /* the server cannot infer $1 (42P18): prepared
                                   again with the declared type, accepted */
                                "query D(x int4) {\n"
                                "  sql \"SELECT 1::int4 AS one WHERE $1 IS NULL\"\n"
                                "  returns (one int4)\n"
                                "}\n"
                                /* untyped, `SELECT $1` is text to the server */
                                "query E(x int4) {\n"
                                "  sql \"SELECT $1 AS x\"\n"
                                "  returns (x int4)\n"
                                "}\n");
    assert_int_equal(run_cli(d.direct, &out, "check '%s' --database", more), 1);
    expect_in(out, "more.pgorm:3:3: query 'A' declares 2 result columns in returns, the "
                   "server's statement returns 1: id int8");
    expect_in(out, "more.pgorm:5:7: query 'B' returns no rows");
    expect_in(out, "(\"span\") of query 'C' is point, which pgorm cannot read");
    assert_null(strstr(out, "query 'D'"));
    expect_in(out, "more.pgorm:15:11: parameter 'x' ($1) of query 'E' is declared int4, but the "
                   "server expects text there: declare it text (or cast it in the sql: "
                   "$1::int4)");
    free(out);

    /* the newer types against the server; citext (the database's OID) by its name */
    pgt_exec(c, "CREATE EXTENSION IF NOT EXISTS citext;"
                "CREATE TABLE ppl (id int4 PRIMARY KEY, email citext, at time, net cidr)");
    const char *newer = write_in(&t, "newer.pgorm",
                                 "query F(e citext, t time, n cidr) {\n"
                                 "  sql \"SELECT id, email, at, net FROM ppl WHERE email = $1 "
                                 "AND at > $2 AND net >> $3\"\n"
                                 "  returns (id int4, email citext?, at time?, net cidr?)\n"
                                 "}\n"
                                 "query G(e text) {\n"
                                 "  sql \"SELECT email FROM ppl WHERE email = $1::citext\"\n"
                                 "  returns (email text?)\n"
                                 "}\n");
    assert_int_equal(run_cli(d.direct, &out, "check '%s' --database", newer), 1);
    assert_null(strstr(out, "query 'F'"));
    expect_in(out, "newer.pgorm:7:18: result column 'email' of query 'G' is citext in the "
                   "database, declared text: declare it citext");
    free(out);
    tmp_remove(&t);
    PQfinish(c);
    pgt_db_drop(&d);
}

static void test_gen_database(void **state)
{
    (void)state;
    pgt_db d;
    pgt_db_create(&d, "queries_gen");
    PGconn *c = pgt_connect(d.direct);
    pgt_apply_schema_text(c, check_schema);
    tmpdir t;
    tmp_make(&t);
    const char *path = write_in(&t, "described.pgorm",
                                "query ShelfPages(min int4) {\n"
                                "  sql \"SELECT id, title, pages, pages * 2 AS twice FROM shelf2 "
                                "WHERE pages >= $1\"\n"
                                "}\n");
    char *out = NULL;
    /* no types and no server: says what to do */
    assert_int_equal(run_cli(NULL, &out, "gen '%s' -o '%s'", path, t.path), 1);
    expect_in(out, "described.pgorm:1:7: query ShelfPages has no result types: write them in "
                   "its block, returns (name type, ...)");
    expect_in(out, "pgorm gen --database");
    free(out);
    assert_int_equal(run_cli(d.direct, &out, "gen '%s' -o '%s' --database", path, t.path), 0);
    free(out);
    char hpath[800];
    snprintf(hpath, sizeof hpath, "%s/described.pgorm.h", t.path);
    char *h = pgt_read_file(hpath, NULL);
    assert_non_null(h);
    /* described columns are nullable: the server does not say */
    expect_in(h, "    int64_t id;     /* id int8? */\n    bool has_id;");
    expect_in(h, "    char *title;");
    expect_in(h, "    int32_t twice;");
    expect_in(h, "int shelf_pages_sync(pgorm_db *db, int32_t min, ShelfPagesRows **out,");
    free(h);
    char cmd[2400];
    snprintf(cmd, sizeof cmd,
             "cc -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla -pedantic "
             "-c -o /dev/null -I'%s/include' -I'%s' '%s/described.pgorm.c'",
             PGORM_SOURCE_DIR, t.path, t.path);
    if (pgt_run(cmd, &out) != 0)
        fail_msg("the generated code does not compile:\n%s", out);
    free(out);
    /* a query the server refuses: gen fails at the place in the SQL */
    path = write_in(&t, "refused.pgorm", "query R() {\n  sql \"SELECT nope FROM shelf2\"\n}\n");
    assert_int_equal(run_cli(d.direct, &out, "gen '%s' -o '%s' --database", path, t.path), 1);
    expect_in(out, "refused.pgorm:2:15: query 'R': the server refuses its sql: column \"nope\"");
    free(out);
    tmp_remove(&t);
    PQfinish(c);
    pgt_db_drop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_gen_output),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_check_cli_errors),
        cmocka_unit_test(test_generated_sync),
        cmocka_unit_test(test_generated_async),
        cmocka_unit_test(test_generated_drift),
        cmocka_unit_test(test_generated_out_of_memory),
        cmocka_unit_test(test_check_database),
        cmocka_unit_test(test_gen_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
