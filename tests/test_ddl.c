/* DDL for a whole schema: exact text for a hand-built schema, names, order,
 * and the schemas of tests/schemas applied to fresh databases and read back
 * from the catalogs.
 */
#include "pgtest.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/ddl.h"
#include "pgorm/schema.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static char *ddl_of_file(const char *rel)
{
    pgorm_schema *s = pgt_parse_schema_file(rel);
    char *sql = pgorm_ddl_create_schema(s);
    assert_non_null(sql);
    pgorm_schema_free(s);
    return sql;
}

/* A query's single text value compared with `want` (NULL: SQL NULL). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
expect_text(PGconn *c, const char *want, const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    char *got = pgt_query_text(c, sql);
    if (!want && got)
        fail_msg("expected NULL, got \"%s\"\n--- query:\n%s", got, sql);
    if (want && (!got || strcmp(got, want) != 0))
        fail_msg("expected:\n%s\ngot:\n%s\n--- query:\n%s", want, got ? got : "(null)", sql);
    free(got);
}

/* Columns of a table as "name type[ NOT NULL][ = default]" lines, from
   pg_attribute and pg_attrdef. */
static void expect_columns(PGconn *c, const char *table, const char *want)
{
    expect_text(c, want,
                "SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
                " || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END"
                " || coalesce(' = ' || pg_get_expr(d.adbin, d.adrelid), ''), E'\\n'"
                " ORDER BY a.attnum)"
                " FROM pg_attribute a LEFT JOIN pg_attrdef d"
                " ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                " WHERE a.attrelid = '%s'::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                table);
}

/* Constraints of a table as "name definition" lines, sorted by name. */
static void expect_constraints(PGconn *c, const char *table, const char *want)
{
    expect_text(c, want,
                "SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), E'\\n'"
                " ORDER BY conname) FROM pg_constraint"
                " WHERE conrelid = '%s'::regclass AND contype IN ('p', 'u', 'f')",
                table);
}

/* Indexes of a table that back no constraint, as indexdef lines by name. */
static void expect_indexes(PGconn *c, const char *table, const char *want)
{
    expect_text(c, want,
                "SELECT string_agg(pg_get_indexdef(i.indexrelid), E'\\n'"
                " ORDER BY i.indexrelid::regclass::text) FROM pg_index i"
                " WHERE i.indrelid = '%s'::regclass AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                table);
}

/* Where `needle` starts in `hay`; fails when absent. */
static size_t offset_of(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    if (!p)
        fail_msg("\"%s\" not found in:\n%s", needle, hay);
    return (size_t)(p - hay);
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ------------------------------------------------------------------ */
/* A hand-built schema (no parser involved)                             */

#define SCALAR(n, sc, ...)                                                                   \
    {.name = n, .column = n, .kind = PGORM_FIELD_SCALAR, .type = {sc, 0, 0, false},          \
     .target = PGORM_NONE, .target_fk = PGORM_NONE, __VA_ARGS__}
#define FK(n, col, model, idx, ...)                                                           \
    {.name = n, .column = col, .kind = PGORM_FIELD_FOREIGN_KEY,                               \
     .type = {PGORM_S_INT8, 0, 0, false}, .target_model = model, .target = idx,                     \
     .target_fk = PGORM_NONE, __VA_ARGS__}

static char *f_title_author[] = {"title", "author"};
static char *f_name_active[] = {"name", "active"};

/* Book comes first, but needs Author: Author must be created first. */
static pgorm_field book_fields[] = {
    SCALAR("id", PGORM_S_BIGSERIAL, .is_id = true),
    SCALAR("isbn", PGORM_S_TEXT, .is_unique = true),
    {.name = "title", .column = "title", .type = {PGORM_S_VARCHAR, 200, 0, false},
     .target = PGORM_NONE},
    SCALAR("pages", PGORM_S_INT4, .nullable = true),
    {.name = "price", .column = "price", .type = {PGORM_S_NUMERIC, 12, 2, false},
     .def = {PGORM_DEFAULT_DECIMAL, "9.99"}, .target = PGORM_NONE},
    SCALAR("note", PGORM_S_TEXT, .def = {PGORM_DEFAULT_STRING, "it's \"q\" \\"}),
    SCALAR("slug", PGORM_S_TEXT, .def = {PGORM_DEFAULT_SQL, "lower('X')"}),
    SCALAR("born", PGORM_S_DATE, .def = {PGORM_DEFAULT_STRING, "2024-01-01"}),
    FK("author", "author_id", "Author", 1, .on_delete = PGORM_ON_DELETE_CASCADE),
    FK("reviewer", "reviewer_id", "Author", 1, .nullable = true,
       .on_delete = PGORM_ON_DELETE_SET_NULL, .no_index = true),
};
static pgorm_block book_blocks[] = {
    {.kind = PGORM_BLOCK_INDEX, .fields = f_title_author, .nfields = 2},
};
static pgorm_field author_fields[] = {
    SCALAR("id", PGORM_S_BIGSERIAL, .is_id = true),
    SCALAR("name", PGORM_S_TEXT, .is_index = true),
    SCALAR("active", PGORM_S_BOOL, .def = {PGORM_DEFAULT_BOOL, "true"}),
    {.name = "books", .kind = PGORM_FIELD_BACK_REFERENCE, .target_model = "Book", .target = 0,
     .target_fk = 8},
};
static pgorm_block author_blocks[] = {
    {.kind = PGORM_BLOCK_UNIQUE, .fields = f_name_active, .nfields = 2},
};
static pgorm_model hand_models[] = {
    {.name = "Book", .table = "book", .fields = book_fields,
     .nfields = sizeof book_fields / sizeof book_fields[0], .blocks = book_blocks,
     .nblocks = 1},
    {.name = "Author", .table = "author", .fields = author_fields,
     .nfields = sizeof author_fields / sizeof author_fields[0], .blocks = author_blocks,
     .nblocks = 1},
};
static const pgorm_schema hand_schema = {.models = hand_models, .nmodels = 2};

static const char hand_ddl[] =
    "CREATE TABLE \"author\" (\n"
    "    \"id\" bigserial NOT NULL,\n"
    "    \"name\" text NOT NULL,\n"
    "    \"active\" bool NOT NULL DEFAULT true,\n"
    "    CONSTRAINT \"author_pkey\" PRIMARY KEY (\"id\"),\n"
    "    CONSTRAINT \"author_name_active_key\" UNIQUE (\"name\", \"active\")\n"
    ");\n"
    "CREATE TABLE \"book\" (\n"
    "    \"id\" bigserial NOT NULL,\n"
    "    \"isbn\" text NOT NULL,\n"
    "    \"title\" varchar(200) NOT NULL,\n"
    "    \"pages\" int4,\n"
    "    \"price\" numeric(12,2) NOT NULL DEFAULT 9.99,\n"
    "    \"note\" text NOT NULL DEFAULT 'it''s \"q\" \\',\n"
    "    \"slug\" text NOT NULL DEFAULT lower('X'),\n"
    "    \"born\" date NOT NULL DEFAULT '2024-01-01'::date,\n"
    "    \"author_id\" int8 NOT NULL,\n"
    "    \"reviewer_id\" int8,\n"
    "    CONSTRAINT \"book_pkey\" PRIMARY KEY (\"id\"),\n"
    "    CONSTRAINT \"book_isbn_key\" UNIQUE (\"isbn\"),\n"
    "    CONSTRAINT \"book_author_id_fkey\" FOREIGN KEY (\"author_id\") REFERENCES"
    " \"author\" (\"id\") ON DELETE CASCADE,\n"
    "    CONSTRAINT \"book_reviewer_id_fkey\" FOREIGN KEY (\"reviewer_id\") REFERENCES"
    " \"author\" (\"id\") ON DELETE SET NULL\n"
    ");\n"
    "CREATE INDEX \"author_name_idx\" ON \"author\" (\"name\");\n"
    "CREATE INDEX \"book_title_author_id_idx\" ON \"book\" (\"title\", \"author_id\");\n"
    "CREATE INDEX \"book_author_id_idx\" ON \"book\" (\"author_id\");\n";

static void test_hand_built_exact_text(void **state)
{
    (void)state;
    char *sql = pgorm_ddl_create_schema(&hand_schema);
    assert_non_null(sql);
    assert_string_equal(sql, hand_ddl);
    pgorm_free(sql);
}

static void test_hand_built_applies(void **state)
{
    (void)state;
    char *sql = pgorm_ddl_create_schema(&hand_schema);
    assert_non_null(sql);
    pgt_db db;
    pgt_db_create(&db, "ddl_hand");
    PGconn *c = pgt_connect(db.direct);
    pgt_exec(c, sql);
    pgt_exec(c, "INSERT INTO author (name) VALUES ('Ann')");
    pgt_exec(c, "INSERT INTO book (isbn, title, author_id) SELECT 'i1', 'T', id FROM author");
    /* each default as PostgreSQL evaluates it */
    expect_text(c, "9.99|it's \"q\" \\|x|2024-01-01|true",
                "SELECT b.price || '|' || b.note || '|' || b.slug || '|' || b.born || '|' ||"
                " a.active FROM book b JOIN author a ON a.id = b.author_id");
    /* ON DELETE CASCADE */
    pgt_exec(c, "DELETE FROM author");
    assert_int_equal(pgt_query_int(c, "SELECT count(*) FROM book"), 0);
    PQfinish(c);
    pgt_db_drop(&db);
    pgorm_free(sql);
}

/* ------------------------------------------------------------------ */
/* Objects one at a time                                                */

static void test_default_expr(void **state)
{
    (void)state;
    static const struct {
        pgorm_default_kind kind;
        const char *text;
        pgorm_coltype type;
        const char *want;
    } cases[] = {
        {PGORM_DEFAULT_NONE, NULL, {PGORM_S_INT4, 0, 0, false}, ""},
        {PGORM_DEFAULT_INT, "-42", {PGORM_S_INT4, 0, 0, false}, "-42"},
        {PGORM_DEFAULT_DECIMAL, "3.25", {PGORM_S_NUMERIC, 12, 2, false}, "3.25"},
        {PGORM_DEFAULT_INT, "1; DROP TABLE x", {PGORM_S_INT4, 0, 0, false},
         "'1; DROP TABLE x'::int4"},
        {PGORM_DEFAULT_STRING, "a'b\\c", {PGORM_S_TEXT, 0, 0, false}, "'a''b\\c'"},
        {PGORM_DEFAULT_STRING, "x", {PGORM_S_VARCHAR, 10, 0, false}, "'x'"},
        {PGORM_DEFAULT_STRING, "2024-01-01", {PGORM_S_DATE, 0, 0, false}, "'2024-01-01'::date"},
        {PGORM_DEFAULT_STRING, "{\"a\": 1}", {PGORM_S_JSONB, 0, 0, false}, "'{\"a\": 1}'::jsonb"},
        {PGORM_DEFAULT_STRING, "7", {PGORM_S_SERIAL, 0, 0, false}, "'7'::int4"},
        {PGORM_DEFAULT_BOOL, "false", {PGORM_S_BOOL, 0, 0, false}, "false"},
        {PGORM_DEFAULT_NOW, NULL, {PGORM_S_TIMESTAMPTZ, 0, 0, false}, "now()"},
        {PGORM_DEFAULT_SQL, "gen_random_uuid()", {PGORM_S_UUID, 0, 0, false}, "gen_random_uuid()"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pgorm_buf b = PGORM_BUF_INIT;
        pgorm_default d = {cases[i].kind, (char *)cases[i].text};
        pgorm_ddl_default_expr(&b, &d, cases[i].type);
        assert_false(b.oom);
        assert_string_equal(b.data ? b.data : "", cases[i].want);
        pgorm_buf_free(&b);
    }
}

static void test_objects_one_at_a_time(void **state)
{
    (void)state;
    const pgorm_model *book = &hand_models[0];
    pgorm_buf b = PGORM_BUF_INIT;

    pgorm_ddl_column_def(&b, &book_fields[9]);
    pgorm_buf_puts(&b, "|");
    pgorm_ddl_column_def(&b, &author_fields[3]); /* BackReference: nothing */
    pgorm_buf_puts(&b, "|");
    pgorm_ddl_column_type(&b, &book_fields[0]);
    assert_string_equal(b.data, "\"reviewer_id\" int8||bigserial");
    pgorm_buf_reset(&b);

    pgorm_ddl_fkey fk;
    assert_false(pgorm_ddl_fkey_of(&hand_schema, book, &book_fields[1], &fk));
    assert_true(pgorm_ddl_fkey_of(&hand_schema, book, &book_fields[8], &fk));
    pgorm_ddl_add_fkey(&b, book->table, &fk);
    pgorm_ddl_drop_fkey(&b, book->table, &fk);
    assert_string_equal(b.data,
                        "ALTER TABLE \"book\" ADD CONSTRAINT \"book_author_id_fkey\" FOREIGN KEY"
                        " (\"author_id\") REFERENCES \"author\" (\"id\") ON DELETE CASCADE;\n"
                        "ALTER TABLE \"book\" DROP CONSTRAINT \"book_author_id_fkey\";\n");
    pgorm_buf_reset(&b);

    size_t nkeys = 0;
    bool oom = true;
    pgorm_ddl_key *keys = pgorm_ddl_model_keys(book, &nkeys, &oom);
    assert_false(oom);
    assert_int_equal(nkeys, 4);
    assert_int_equal(keys[0].kind, PGORM_BLOCK_ID);
    assert_string_equal(keys[0].name, "book_pkey");
    assert_int_equal(keys[1].kind, PGORM_BLOCK_UNIQUE);
    assert_int_equal(keys[2].kind, PGORM_BLOCK_INDEX);
    assert_int_equal(keys[2].ncolumns, 2);
    assert_string_equal(keys[2].columns[1], "author_id");
    /* the default index of the ForeignKey author (reviewer has @index(false)) */
    assert_int_equal(keys[3].kind, PGORM_BLOCK_INDEX);
    assert_int_equal(keys[3].ncolumns, 1);
    assert_string_equal(keys[3].columns[0], "author_id");
    assert_string_equal(keys[3].name, "book_author_id_idx");
    for (size_t i = 0; i < nkeys; i++) {
        pgorm_ddl_add_key(&b, book->table, &keys[i]);
        pgorm_ddl_drop_key(&b, book->table, &keys[i]);
    }
    assert_string_equal(
        b.data,
        "ALTER TABLE \"book\" ADD CONSTRAINT \"book_pkey\" PRIMARY KEY (\"id\");\n"
        "ALTER TABLE \"book\" DROP CONSTRAINT \"book_pkey\";\n"
        "ALTER TABLE \"book\" ADD CONSTRAINT \"book_isbn_key\" UNIQUE (\"isbn\");\n"
        "ALTER TABLE \"book\" DROP CONSTRAINT \"book_isbn_key\";\n"
        "CREATE INDEX \"book_title_author_id_idx\" ON \"book\" (\"title\", \"author_id\");\n"
        "DROP INDEX \"book_title_author_id_idx\";\n"
        "CREATE INDEX \"book_author_id_idx\" ON \"book\" (\"author_id\");\n"
        "DROP INDEX \"book_author_id_idx\";\n");
    pgorm_free(keys);
    pgorm_buf_reset(&b);

    /* without its foreign keys, then the table's indexes, then drop */
    pgorm_ddl_create_table(&b, &hand_schema, book, false);
    assert_null(strstr(b.data, "FOREIGN KEY"));
    assert_non_null(strstr(b.data, "CONSTRAINT \"book_isbn_key\" UNIQUE (\"isbn\")\n);\n"));
    pgorm_buf_reset(&b);
    pgorm_ddl_create_indexes(&b, &hand_models[1]);
    pgorm_ddl_drop_table(&b, "author");
    assert_string_equal(b.data, "CREATE INDEX \"author_name_idx\" ON \"author\" (\"name\");\n"
                                "DROP TABLE \"author\";\n");
    pgorm_buf_free(&b);
}

/* Allocation failure: fail the Nth allocation for every N until the text
   comes out whole; each failure is a clean NULL (no crash; no leak under
   the sanitizer and valgrind runs). */
static void test_oom_walk(void **state)
{
    (void)state;
    char *sql = NULL;
    long n;
    for (n = 1; n < 1000 && !sql; n++) {
        pgt_oom_arm(n, false);
        sql = pgorm_ddl_create_schema(&hand_schema);
        pgt_oom_disarm();
    }
    assert_true(n > 3); /* some allocations did fail first */
    assert_non_null(sql);
    assert_string_equal(sql, hand_ddl);
    pgorm_free(sql);
}

/* A name the introspection layer read back is used as is. */
static void test_block_name_kept(void **state)
{
    (void)state;
    static char *cols[] = {"name"};
    static pgorm_field fields[] = {SCALAR("name", PGORM_S_TEXT)};
    static pgorm_block blocks[] = {
        {.kind = PGORM_BLOCK_UNIQUE, .fields = cols, .nfields = 1, .name = "legacy_name_uq"}};
    static const pgorm_model m = {.name = "T", .table = "t", .fields = fields, .nfields = 1,
                                  .blocks = blocks, .nblocks = 1};
    size_t n = 0;
    pgorm_ddl_key *keys = pgorm_ddl_model_keys(&m, &n, NULL);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0].name, "legacy_name_uq");
    pgorm_free(keys);
}

/* ------------------------------------------------------------------ */
/* Names                                                                */

static void test_names(void **state)
{
    (void)state;
    char out[PGORM_DDL_NAME_SIZE];
    const char *two[] = {"film_id", "actor_id"};
    pgorm_constraint_name(out, "film_actor", two, 2, "key");
    assert_string_equal(out, "film_actor_film_id_actor_id_key");
    pgorm_constraint_name(out, "User", NULL, 0, "pkey");
    assert_string_equal(out, "User_pkey");

    /* exactly 63 bytes: kept whole */
    char t58[59];
    memset(t58, 't', 58);
    t58[58] = '\0';
    pgorm_constraint_name(out, t58, NULL, 0, "pkey");
    assert_int_equal(strlen(out), 63);
    assert_int_equal(strncmp(out, t58, 58), 0);

    /* too long: cut, hashed, still ends with the suffix, stable */
    const char *cols[] = {"a_rather_long_column_name_number_one",
                          "a_rather_long_column_name_number_two"};
    char first[PGORM_DDL_NAME_SIZE];
    pgorm_constraint_name(first, "some_table", cols, 2, "key");
    /* the exact text is part of the contract: names must not change between
       releases, or migrations would see renamed constraints. The cut falls
       after "_a_", whose trailing separator is dropped. */
    assert_string_equal(first, "some_table_a_rather_long_column_name_number_one_a_f0c14468_key");
    pgorm_constraint_name(out, "some_table", cols, 2, "key");
    assert_string_equal(out, first);
    /* same first 63 bytes, different name: a different hash */
    const char *cols2[] = {"a_rather_long_column_name_number_one",
                           "a_rather_long_column_name_number_six"};
    pgorm_constraint_name(out, "some_table", cols2, 2, "key");
    assert_true(strlen(out) <= 63);
    assert_string_not_equal(out, first);
    assert_int_equal(strncmp(out, first, strlen(first) - 13), 0);
    /* a long table alone: cut too */
    char t80[81];
    memset(t80, 'x', 80);
    t80[80] = '\0';
    pgorm_constraint_name(out, t80, NULL, 0, "pkey");
    assert_int_equal(strlen(out), 63);
    assert_string_equal(out + 63 - 5, "_pkey");

    /* never cut inside a UTF-8 character ("é" is 2 bytes) */
    char wide[200] = "";
    for (int i = 0; i < 60; i++)
        strcat(wide, "\xc3\xa9");
    pgorm_constraint_name(out, wide, NULL, 0, "fkey");
    size_t len = strlen(out);
    assert_true(len <= 63);
    size_t prefix = len - strlen("_xxxxxxxx_fkey");
    assert_int_equal(prefix % 2, 0);
    for (size_t i = 0; i < prefix; i += 2)
        assert_memory_equal(out + i, "\xc3\xa9", 2);
}

/* ------------------------------------------------------------------ */
/* Schemas from files, applied to fresh databases                       */

typedef struct applied {
    pgt_db db;
    PGconn *c;
    char *sql;
} applied;

static void apply_file(applied *a, const char *rel, const char *label)
{
    a->sql = ddl_of_file(rel);
    pgt_db_create(&a->db, label);
    a->c = pgt_connect(a->db.direct);
    pgt_exec(a->c, a->sql); /* the whole text in one go, on an empty database */
}

static void applied_done(applied *a)
{
    PQfinish(a->c);
    pgt_db_drop(&a->db);
    pgorm_free(a->sql);
}

static void test_types_nullability_defaults(void **state)
{
    (void)state;
    applied a;
    apply_file(&a, "tests/schemas/ddl_types.pgorm", "ddl_types");
    expect_columns(a.c, "all_types",
                   "id integer NOT NULL = nextval('all_types_id_seq'::regclass)\n"
                   "flag boolean NOT NULL = true\n"
                   "small smallint NOT NULL = '-7'::integer\n"
                   "medium integer\n"
                   "large bigint NOT NULL = '9000000000'::bigint\n"
                   "f4 real\n"
                   "f8 double precision NOT NULL = 2.5\n"
                   "amount numeric(12,2) NOT NULL = 3.25\n"
                   "txt text NOT NULL = 'it''s a \"quoted\" \\ back\\slash'::text\n"
                   "code character varying(40)\n"
                   "blob bytea\n"
                   "uid uuid NOT NULL = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid\n"
                   "day date NOT NULL = '2024-01-01'::date\n"
                   "at timestamp without time zone\n"
                   "created timestamp with time zone NOT NULL = now()\n"
                   "doc jsonb NOT NULL = '{\"a\": [1, 2]}'::jsonb\n"
                   "empty text NOT NULL = ''::text");
    expect_columns(a.c, "big_key", "id bigint NOT NULL = nextval('big_key_id_seq'::regclass)");
    /* varchar(n) and numeric(p,s) as information_schema reports them */
    expect_text(a.c, "character varying 40",
                "SELECT data_type || ' ' || character_maximum_length FROM"
                " information_schema.columns WHERE table_name = 'all_types'"
                " AND column_name = 'code'");
    expect_text(a.c, "numeric 12 2",
                "SELECT data_type || ' ' || numeric_precision || ' ' || numeric_scale FROM"
                " information_schema.columns WHERE table_name = 'all_types'"
                " AND column_name = 'amount'");
    expect_text(a.c, "YES NO",
                "SELECT max(is_nullable) FILTER (WHERE column_name = 'medium') || ' ' ||"
                " max(is_nullable) FILTER (WHERE column_name = 'txt') FROM"
                " information_schema.columns WHERE table_name = 'all_types'");
    /* the defaults evaluate to exactly what the schema wrote */
    pgt_exec(a.c, "INSERT INTO all_types DEFAULT VALUES");
    expect_text(a.c, "it's a \"quoted\" \\ back\\slash", "SELECT txt FROM all_types");
    expect_text(a.c, "true|-7|9000000000|2.5|3.25|2024-01-01|[1, 2]|",
                "SELECT flag || '|' || small || '|' || large || '|' || f8 || '|' || amount"
                " || '|' || day || '|' || (doc->'a')::text || '|' || empty FROM all_types");
    applied_done(&a);
}

static void test_enums(void **state)
{
    (void)state;
    applied a;
    apply_file(&a, "tests/schemas/ddl_enums.pgorm", "ddl_enums");
    /* the types come first, in file order */
    assert_int_equal(offset_of(a.sql, "CREATE TYPE \"status\" AS ENUM ('draft', 'published', "
                                      "'archived');\n"),
                     0);
    assert_true(offset_of(a.sql, "CREATE TYPE \"ticket_kind\"") < offset_of(a.sql, "CREATE TABLE"));
    expect_columns(a.c, "post",
                   "id integer NOT NULL = nextval('post_id_seq'::regclass)\n"
                   "status status NOT NULL = 'draft'::status\n"
                   "kind ticket_kind");
    expect_text(a.c, "draft,published,archived",
                "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum"
                " WHERE enumtypid = 'status'::regtype");
    pgt_exec(a.c, "INSERT INTO post DEFAULT VALUES");
    expect_text(a.c, "draft|", "SELECT status || '|' || coalesce(kind::text, '') FROM post");
    expect_indexes(a.c, "post", "CREATE INDEX post_status_idx ON public.post USING btree (status)");
    applied_done(&a);
}

static void test_keys_and_foreign_keys(void **state)
{
    (void)state;
    applied a;
    apply_file(&a, "tests/schemas/ddl_keys.pgorm", "ddl_keys");
    expect_constraints(a.c, "author",
                       "author_email_key UNIQUE (email)\n"
                       "author_pkey PRIMARY KEY (id)");
    expect_indexes(a.c, "author",
                   "CREATE INDEX author_name_idx ON public.author USING btree (name)");
    expect_constraints(a.c, "tag", "tag_pkey PRIMARY KEY (code)");
    expect_constraints(
        a.c, "book",
        "book_author_id_fkey FOREIGN KEY (author_id) REFERENCES author(id) ON DELETE CASCADE\n"
        "book_author_id_isbn_key UNIQUE (author_id, isbn)\n"
        "book_editor_id_fkey FOREIGN KEY (editor_id) REFERENCES author(id) ON DELETE SET NULL\n"
        "book_pkey PRIMARY KEY (id)\n"
        "book_series_id_fkey FOREIGN KEY (series_id) REFERENCES author(id)\n"
        "book_tag_id_fkey FOREIGN KEY (tag_id) REFERENCES tag(code) ON DELETE RESTRICT");
    /* a ForeignKey column's default index, unless a key leads with it
       (author_id: the unique key) or @index(false) (series_id) */
    expect_indexes(a.c, "book",
                   "CREATE INDEX book_editor_id_idx ON public.book USING btree (editor_id)\n"
                   "CREATE INDEX book_tag_id_idx ON public.book USING btree (tag_id)\n"
                   "CREATE INDEX book_title_author_id_idx ON public.book USING btree"
                   " (title, author_id)");
    expect_indexes(a.c, "review",
                   "CREATE INDEX review_book_id_idx ON public.review USING btree (book_id)");
    /* book_id leads the primary key: only tag_id gets one */
    expect_indexes(a.c, "book_tag",
                   "CREATE INDEX book_tag_tag_id_idx ON public.book_tag USING btree (tag_id)");
    /* each ON DELETE as the catalog stores it: c, n, a, r */
    expect_text(a.c, "author_id:c editor_id:n series_id:a tag_id:r",
                "SELECT string_agg(a.attname || ':' || k.confdeltype::text, ' ' ORDER BY a.attname)"
                " FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid"
                " AND a.attnum = k.conkey[1]"
                " WHERE k.conrelid = 'book'::regclass AND k.contype = 'f'");
    /* composite primary key over two ForeignKey fields, named by field */
    expect_constraints(
        a.c, "book_tag",
        "book_tag_book_id_fkey FOREIGN KEY (book_id) REFERENCES book(id) ON DELETE CASCADE\n"
        "book_tag_pkey PRIMARY KEY (book_id, tag_id)\n"
        "book_tag_tag_id_fkey FOREIGN KEY (tag_id) REFERENCES tag(code)");
    expect_columns(a.c, "book_tag", "book_id bigint NOT NULL\ntag_id character varying(16) NOT NULL");
    /* ForeignKey column types follow the key: serial -> integer */
    expect_columns(a.c, "review",
                   "id integer NOT NULL = nextval('review_id_seq'::regclass)\n"
                   "book_id bigint NOT NULL\n"
                   "score smallint");
    applied_done(&a);
}

static void test_cycles_and_self_reference(void **state)
{
    (void)state;
    applied a;
    apply_file(&a, "tests/schemas/ddl_cycles.pgorm", "ddl_cycles");
    /* dependency order, ties in schema order; only cycle-closing keys
       deferred: one for the 2-cycle, one for the 3-cycle */
    size_t at[8];
    const char *order[] = {"node", "a", "b", "x", "z", "y", "leaf", "early"};
    for (size_t i = 0; i < 8; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "CREATE TABLE \"%s\" (", order[i]);
        at[i] = offset_of(a.sql, needle);
        if (i)
            assert_true(at[i - 1] < at[i]);
    }
    assert_int_equal(count_of(a.sql, "CREATE TABLE"), 8);
    assert_int_equal(count_of(a.sql, "ALTER TABLE"), 2);
    size_t alter_a = offset_of(a.sql, "ALTER TABLE \"a\" ADD CONSTRAINT \"a_b_id_fkey\"");
    size_t alter_x = offset_of(a.sql, "ALTER TABLE \"x\" ADD CONSTRAINT \"x_y_id_fkey\"");
    assert_true(at[7] < alter_a && alter_a < alter_x);
    /* self-reference inline */
    size_t node_fk = offset_of(a.sql, "CONSTRAINT \"node_parent_id_fkey\" FOREIGN KEY");
    assert_true(node_fk < at[1]);

    expect_text(a.c,
                "a_b_id_fkey a b\n"
                "b_a_id_fkey b a\n"
                "early_leaf_id_fkey early leaf\n"
                "leaf_x_id_fkey leaf x\n"
                "node_parent_id_fkey node node\n"
                "x_y_id_fkey x y\n"
                "y_z_id_fkey y z\n"
                "z_x_id_fkey z x",
                "SELECT string_agg(conname || ' ' || conrelid::regclass || ' ' ||"
                " confrelid::regclass, E'\\n' ORDER BY conname) FROM pg_constraint"
                " WHERE contype = 'f'");
    /* the self-reference cascades */
    pgt_exec(a.c, "INSERT INTO node (id) VALUES (1); INSERT INTO node VALUES (2, 1);"
                  "DELETE FROM node WHERE id = 1");
    assert_int_equal(pgt_query_int(a.c, "SELECT count(*) FROM node"), 0);
    applied_done(&a);
}

static void test_keyword_names(void **state)
{
    (void)state;
    applied a;
    apply_file(&a, "tests/schemas/ddl_keywords.pgorm", "ddl_keywords");
    expect_columns(a.c, "\"user\"",
                   "id integer NOT NULL = nextval('user_id_seq'::regclass)\n"
                   "order integer NOT NULL\n"
                   "table text NOT NULL\n"
                   "select text");
    expect_constraints(a.c, "\"user\"",
                       "user_pkey PRIMARY KEY (id)\n"
                       "user_table_key UNIQUE (\"table\")");
    expect_indexes(a.c, "\"user\"",
                   "CREATE INDEX user_select_idx ON public.\"user\" USING btree (\"select\")");
    expect_constraints(a.c, "\"MixedCase\"",
                       "MixedCase_pkey PRIMARY KEY (id)\n"
                       "MixedCase_user_id_fkey FOREIGN KEY (user_id) REFERENCES \"user\"(id)"
                       " ON DELETE CASCADE\n"
                       "MixedCase_user_id_group_key UNIQUE (user_id, \"group\")");
    expect_text(a.c, "1", "SELECT count(*) FROM pg_class WHERE relname = 'MixedCase'");
    pgt_exec(a.c, "INSERT INTO \"user\" (\"order\", \"table\") VALUES (1, 'x');"
                  "INSERT INTO \"MixedCase\" (user_id, \"group\") SELECT id, 2 FROM \"user\"");
    assert_int_equal(pgt_query_int(a.c, "SELECT \"group\" FROM \"MixedCase\""), 2);
    applied_done(&a);
}

/* Long names: constraint and index names stay <= 63 bytes and are exactly
   what pgorm_constraint_name says (PostgreSQL does not truncate them further). */
static void test_long_names(void **state)
{
    (void)state;
    applied a;
    apply_file(&a, "tests/schemas/ddl_long_names.pgorm", "ddl_long");
    pgorm_schema *s = pgt_parse_schema_file("tests/schemas/ddl_long_names.pgorm");
    const pgorm_model *m = pgorm_schema_model(s, "AVeryLongModelNameForTestingTruncation");
    assert_non_null(m);
    size_t n = 0;
    pgorm_ddl_key *keys = pgorm_ddl_model_keys(m, &n, NULL);
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(strlen(keys[i].name) <= 63);
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_class WHERE relname = '%s'",
                 keys[i].name);
        assert_int_equal(pgt_query_int(a.c, sql), 1);
    }
    pgorm_free(keys);
    expect_text(a.c, "0", "SELECT count(*) FROM pg_class WHERE length(relname) > 63");
    pgorm_schema_free(s);
    applied_done(&a);
}

/* Every schema in tests/schemas (ddl_*, the parser's valid_*, the
   generator's gen_*): applies
   in one go to an empty database, and generates byte-identical text from
   two separate parses. */
static void test_all_schemas_apply_and_are_deterministic(void **state)
{
    (void)state;
    const char *patterns[] = {PGORM_SOURCE_DIR "/tests/schemas/ddl_*.pgorm",
                              PGORM_SOURCE_DIR "/tests/schemas/valid_*.pgorm",
                              PGORM_SOURCE_DIR "/tests/schemas/gen_*.pgorm"};
    size_t applied_count = 0;
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        glob_t g;
        if (glob(patterns[p], 0, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            char *one = ddl_of_file(g.gl_pathv[i]);
            char *two = ddl_of_file(g.gl_pathv[i]);
            if (strcmp(one, two) != 0)
                fail_msg("%s: two runs differ", g.gl_pathv[i]);
            assert_int_equal(count_of(one, ";\n"), count_of(one, ";"));
            assert_true(strlen(one) >= 2 && strcmp(one + strlen(one) - 2, ";\n") == 0);
            pgt_db db;
            pgt_db_create(&db, "ddl_all");
            PGconn *c = pgt_connect(db.direct);
            if (strstr(one, " citext")) /* a type of an extension: the database's to have */
                pgt_exec(c, "CREATE EXTENSION citext");
            pgt_exec(c, one);
            PQfinish(c);
            pgt_db_drop(&db);
            pgorm_free(one);
            pgorm_free(two);
            applied_count++;
        }
        globfree(&g);
    }
    assert_true(applied_count >= 5);
}

/* The helper other tests rely on. */
static void test_pgt_apply_schema(void **state)
{
    (void)state;
    pgt_db db;
    pgt_db_create(&db, "ddl_apply");
    PGconn *c = pgt_connect(db.direct);
    pgt_apply_schema(c, "tests/schemas/ddl_keys.pgorm");
    assert_int_equal(pgt_query_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname ="
                                      " 'public'"),
                     5);
    PQfinish(c);
    pgt_db_drop(&db);
}


/* ------------------------------------------------------------------ */
/* Checks and expression defaults                                       */

static void test_checks_and_expression_defaults(void **state)
{
    (void)state;
    applied a;
    apply_file(&a, "tests/schemas/gen_checks.pgorm", "ddl_checks");
    assert_string_equal(a.sql,
                        "CREATE TABLE \"ledger\" (\n"
                        "    \"id\" uuid NOT NULL DEFAULT gen_random_uuid(),\n"
                        "    \"title\" text NOT NULL,\n"
                        "    \"pages\" int4 NOT NULL,\n"
                        "    \"low\" int4 NOT NULL DEFAULT 0,\n"
                        "    \"high\" int4 NOT NULL DEFAULT 10 * 10,\n"
                        "    \"slug\" text NOT NULL DEFAULT lower('X'),\n"
                        "    \"day\" date NOT NULL DEFAULT current_date,\n"
                        "    \"at\" timestamptz NOT NULL DEFAULT current_timestamp,\n"
                        "    \"note\" text,\n"
                        "    CONSTRAINT \"ledger_pkey\" PRIMARY KEY (\"id\"),\n"
                        "    CONSTRAINT \"ledger_title_check\" CHECK (title <> ''),\n"
                        "    CONSTRAINT \"ledger_pages_check\" CHECK (pages > 0),\n"
                        "    CONSTRAINT \"low_below_high\" CHECK (low <= high)\n"
                        ");\n"
                        "COMMENT ON CONSTRAINT \"ledger_title_check\" ON \"ledger\" IS 'pgorm';\n"
                        "COMMENT ON CONSTRAINT \"ledger_pages_check\" ON \"ledger\" IS 'pgorm';\n"
                        "COMMENT ON CONSTRAINT \"low_below_high\" ON \"ledger\" IS 'pgorm';\n");
    /* every check is marked as pgorm's, so introspection tells it from a
       check made by hand */
    expect_text(a.c, "3",
                "SELECT count(*) FROM pg_constraint WHERE conrelid = 'ledger'::regclass"
                " AND contype = 'c' AND obj_description(oid, 'pg_constraint') = 'pgorm'");
    /* as the server keeps them: the names PostgreSQL itself would give */
    expect_text(a.c,
                "ledger_pages_check CHECK ((pages > 0))\n"
                "ledger_title_check CHECK ((title <> ''::text))\n"
                "low_below_high CHECK ((low <= high))",
                "SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), E'\\n'"
                " ORDER BY conname) FROM pg_constraint"
                " WHERE conrelid = 'ledger'::regclass AND contype = 'c'");
    pgt_exec(a.c, "CREATE TABLE pg_named (pages int4 CHECK (pages > 0))");
    expect_text(a.c, "pg_named_pages_check",
                "SELECT conname FROM pg_constraint WHERE conrelid = 'pg_named'::regclass");
    expect_columns(a.c, "ledger",
                   "id uuid NOT NULL = gen_random_uuid()\n"
                   "title text NOT NULL\n"
                   "pages integer NOT NULL\n"
                   "low integer NOT NULL = 0\n"
                   "high integer NOT NULL = (10 * 10)\n"
                   "slug text NOT NULL = lower('X'::text)\n"
                   "day date NOT NULL = CURRENT_DATE\n"
                   "at timestamp with time zone NOT NULL = CURRENT_TIMESTAMP\n"
                   "note text");
    /* the defaults evaluate, and the checks hold */
    pgt_exec(a.c, "INSERT INTO ledger (title, pages) VALUES ('t', 1)");
    expect_text(a.c, "100|x|true|true",
                "SELECT high || '|' || slug || '|' || (day = current_date) || '|' ||"
                " (id IS NOT NULL) FROM ledger");
    PGresult *r = PQexec(a.c, "INSERT INTO ledger (title, pages) VALUES ('t', 0)");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME), "ledger_pages_check");
    PQclear(r);
    applied_done(&a);

    /* one at a time: a check as a table element and as ALTER TABLE */
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_ddl_check_constraint(&b, "odd name\"", "a > 0");
    pgorm_buf_puts(&b, "\n");
    pgorm_ddl_add_check(&b, "t", "t_a_check", "a <> 'x'");
    assert_false(b.oom);
    assert_string_equal(b.data, "CONSTRAINT \"odd name\"\"\" CHECK (a > 0)\n"
                                "ALTER TABLE \"t\" ADD CONSTRAINT \"t_a_check\" CHECK (a <> 'x');\n");
    pgorm_buf_free(&b);

    /* a check of a schema that was not validated gets its name here */
    pgorm_field fields[] = {SCALAR("pages", PGORM_S_INT4)};
    pgorm_check checks[] = {{.field = "pages", .expr = "pages > 0"}};
    pgorm_model m = {.name = "Book", .table = "book", .fields = fields, .nfields = 1,
                     .checks = checks, .nchecks = 1};
    char name[PGORM_DDL_NAME_SIZE];
    pgorm_ddl_check_name(name, &m, &checks[0]);
    assert_string_equal(name, "book_pages_check");
}

/* @@foreign_key: added after every table, with all its columns; the server
   holds both (a composite key, a key to a unique non-key column). */
static void test_model_foreign_keys(void **state)
{
    (void)state;
    applied a;
    apply_file(&a, "tests/schemas/ddl_model_fkeys.pgorm", "ddl_model_fkeys");
    assert_non_null(strstr(a.sql, "ALTER TABLE \"role\" ADD CONSTRAINT \"role_film_id_actor_no_fkey\""
                                  " FOREIGN KEY (\"film_id\", \"actor_no\") REFERENCES \"cast\""
                                  " (\"film_id\", \"actor\") ON DELETE CASCADE;\n"));
    assert_non_null(strstr(a.sql, "ALTER TABLE \"role\" ADD CONSTRAINT \"role_film_code_fkey\""
                                  " FOREIGN KEY (\"film_code\") REFERENCES \"film\" (\"code\")"
                                  " ON DELETE SET NULL;\n"));
    /* after the CREATE TABLEs, before the indexes */
    assert_true(strstr(a.sql, "role_film_code_fkey") > strstr(a.sql, "CREATE TABLE \"role\""));
    assert_true(strstr(a.sql, "role_film_code_fkey") < strstr(a.sql, "CREATE INDEX"));
    pgt_exec(a.c, "INSERT INTO film (code) VALUES ('A'), ('B');"
                  "INSERT INTO \"cast\" VALUES (1, 7);"
                  "INSERT INTO role (film_id, actor_no, film_code) VALUES (1, 7, 'B')");
    PGresult *r = PQexec(a.c, "INSERT INTO role (film_id, actor_no) VALUES (1, 8)");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23503");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME),
                        "role_film_id_actor_no_fkey");
    PQclear(r);
    r = PQexec(a.c, "INSERT INTO role (film_id, actor_no, film_code) VALUES (1, 7, 'Z')");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME), "role_film_code_fkey");
    PQclear(r);
    pgt_exec(a.c, "DELETE FROM film WHERE code = 'B'");
    assert_int_equal(pgt_query_int(a.c, "SELECT count(*) FROM role WHERE film_code IS NULL"), 1);
    pgt_exec(a.c, "DELETE FROM \"cast\"");
    assert_int_equal(pgt_query_int(a.c, "SELECT count(*) FROM role"), 0);
    applied_done(&a);
}

/* ------------------------------------------------------------------ */
/* SQL schemas                                                          */

static void test_sql_schemas(void **state)
{
    (void)state;
    char *sql = ddl_of_file("tests/schemas/ddl_sql_schemas.pgorm");
    assert_string_equal(
        sql,
        "CREATE SCHEMA IF NOT EXISTS \"shop\";\n"
        "CREATE SCHEMA IF NOT EXISTS \"billing\";\n"
        "CREATE TYPE \"shop\".\"size\" AS ENUM ('small', 'medium', 'large');\n"
        "CREATE TYPE \"billing\".\"tier\" AS ENUM ('bronze', 'silver', 'gold');\n"
        "CREATE TABLE \"shop\".\"depot\" (\n"
        "    \"id\" serial NOT NULL,\n"
        "    \"name\" text NOT NULL,\n"
        "    CONSTRAINT \"depot_pkey\" PRIMARY KEY (\"id\"),\n"
        "    CONSTRAINT \"depot_name_key\" UNIQUE (\"name\")\n"
        ");\n"
        "CREATE TABLE \"billing\".\"courier\" (\n"
        "    \"id\" serial NOT NULL,\n"
        "    \"tier\" \"billing\".\"tier\" NOT NULL DEFAULT 'silver',\n"
        "    CONSTRAINT \"courier_pkey\" PRIMARY KEY (\"id\")\n"
        ");\n"
        "CREATE TABLE \"shop\".\"parcel\" (\n"
        "    \"id\" serial NOT NULL,\n"
        "    \"size\" \"shop\".\"size\" NOT NULL DEFAULT 'medium',\n"
        "    \"depot_id\" int4 NOT NULL,\n"
        "    \"courier_id\" int4,\n"
        "    CONSTRAINT \"parcel_pkey\" PRIMARY KEY (\"id\"),\n"
        "    CONSTRAINT \"parcel_depot_id_fkey\" FOREIGN KEY (\"depot_id\") REFERENCES "
        "\"shop\".\"depot\" (\"id\"),\n"
        "    CONSTRAINT \"parcel_courier_id_fkey\" FOREIGN KEY (\"courier_id\") REFERENCES "
        "\"billing\".\"courier\" (\"id\")\n"
        ");\n"
        "CREATE INDEX \"parcel_size_idx\" ON \"shop\".\"parcel\" (\"size\");\n"
        "CREATE INDEX \"parcel_depot_id_idx\" ON \"shop\".\"parcel\" (\"depot_id\");\n"
        "CREATE INDEX \"parcel_courier_id_idx\" ON \"shop\".\"parcel\" (\"courier_id\");\n");
    /* it applies with a search_path that names neither schema */
    pgt_db db;
    pgt_db_create(&db, "ddl_schemas");
    PGconn *c = pgt_connect(db.direct);
    pgt_exec(c, "SET search_path = nothing");
    pgt_exec(c, sql);
    assert_int_equal(pgt_query_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'shop'"),
                     2);
    assert_int_equal(
        pgt_query_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'billing'"), 1);
    assert_int_equal(pgt_query_int(c, "SELECT count(*) FROM pg_tables WHERE schemaname = "
                                      "'public'"),
                     0);
    assert_int_equal(pgt_query_int(c, "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON "
                                      "n.oid = t.typnamespace WHERE n.nspname = 'billing' AND "
                                      "t.typname = 'tier'"),
                     1);
    /* the index lives in its table's schema */
    assert_int_equal(pgt_query_int(c, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'shop' "
                                      "AND indexname = 'parcel_size_idx'"),
                     1);
    pgt_exec(c, "INSERT INTO shop.depot (name) VALUES ('d'); INSERT INTO billing.courier "
                "DEFAULT VALUES; INSERT INTO shop.parcel (depot_id, courier_id) VALUES (1, 1)");
    assert_int_equal(pgt_query_int(c, "SELECT count(*) FROM shop.parcel p JOIN billing.courier c "
                                      "ON c.id = p.courier_id WHERE c.tier = 'silver' AND "
                                      "p.size = 'medium'"),
                     1);
    PQfinish(c);
    pgt_db_drop(&db);
    pgorm_free(sql);
}

static void test_index_options_and_on_update(void **state)
{
    (void)state;
    applied a;
    apply_file(&a, "tests/schemas/ddl_indexes.pgorm", "ddl_indexes");
    const char *book = strstr(a.sql, "CREATE TABLE \"book\"");
    assert_non_null(book);
    assert_non_null(strstr(book, "CONSTRAINT \"book_author_id_fkey\" FOREIGN KEY (\"author_id\") "
                                 "REFERENCES \"author\" (\"id\") ON DELETE CASCADE ON UPDATE "
                                 "CASCADE"));
    assert_non_null(strstr(book, "CONSTRAINT \"book_editor_id_fkey\" FOREIGN KEY (\"editor_id\") "
                                 "REFERENCES \"author\" (\"id\") ON UPDATE SET NULL"));
    /* the partial unique key is an index, not a table constraint */
    assert_null(strstr(book, "UNIQUE ("));
    const char *idx = strstr(a.sql, "CREATE UNIQUE INDEX");
    assert_non_null(idx);
    assert_string_equal(
        idx,
        "CREATE UNIQUE INDEX \"book_title_idx\" ON \"book\" (\"title\") WHERE status = "
        "'published';\n"
        "CREATE INDEX \"book_title_idx1\" ON \"book\" (\"title\") WHERE pages > 100;\n"
        "CREATE INDEX \"book_lower_title_published_at_idx\" ON \"book\" ((lower(title)), "
        "\"published_at\" DESC);\n"
        "CREATE INDEX \"book_tags_idx\" ON \"book\" USING gin (\"tags\");\n"
        "CREATE INDEX \"book_title_idx2\" ON \"book\" USING hash (\"title\");\n"
        "CREATE INDEX \"book_author_id_idx\" ON \"book\" (\"author_id\") WHERE pages > 0;\n"
        "CREATE INDEX \"book_author_id_idx1\" ON \"book\" (\"author_id\");\n"
        "CREATE INDEX \"book_editor_id_idx\" ON \"book\" (\"editor_id\");\n");
    /* as the server keeps them */
    expect_indexes(a.c, "book",
                   "CREATE INDEX book_author_id_idx ON public.book USING btree (author_id) WHERE "
                   "(pages > 0)\n"
                   "CREATE INDEX book_author_id_idx1 ON public.book USING btree (author_id)\n"
                   "CREATE INDEX book_editor_id_idx ON public.book USING btree (editor_id)\n"
                   "CREATE INDEX book_lower_title_published_at_idx ON public.book USING btree "
                   "(lower(title), published_at DESC)\n"
                   "CREATE INDEX book_tags_idx ON public.book USING gin (tags)\n"
                   "CREATE UNIQUE INDEX book_title_idx ON public.book USING btree (title) WHERE "
                   "(status = 'published'::status)\n"
                   "CREATE INDEX book_title_idx1 ON public.book USING btree (title) WHERE "
                   "(pages > 100)\n"
                   "CREATE INDEX book_title_idx2 ON public.book USING hash (title)");
    /* the partial unique index holds for published rows only; ON UPDATE
       CASCADE carries a new key to the books */
    pgt_exec(a.c, "INSERT INTO author (id, name) VALUES (1, 'a');"
                  "INSERT INTO book (title, pages, tags, status, author_id, editor_id) VALUES"
                  " ('t', 1, '[]', 'draft', 1, 1), ('t', 1, '[]', 'draft', 1, 1),"
                  " ('t', 1, '[]', 'published', 1, NULL)");
    PGresult *r = PQexec(a.c, "INSERT INTO book (title, pages, tags, status, author_id) VALUES"
                              " ('t', 1, '[]', 'published', 1)");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23505");
    PQclear(r);
    pgt_exec(a.c, "UPDATE author SET id = 2 WHERE id = 1");
    expect_text(a.c, "3|0", "SELECT count(*) FILTER (WHERE author_id = 2) || '|' ||"
                             " count(editor_id) FROM book");
    applied_done(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_built_exact_text),
        cmocka_unit_test(test_default_expr),
        cmocka_unit_test(test_objects_one_at_a_time),
        cmocka_unit_test(test_block_name_kept),
        cmocka_unit_test(test_oom_walk),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_hand_built_applies),
        cmocka_unit_test(test_types_nullability_defaults),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_keys_and_foreign_keys),
        cmocka_unit_test(test_cycles_and_self_reference),
        cmocka_unit_test(test_keyword_names),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_all_schemas_apply_and_are_deterministic),
        cmocka_unit_test(test_index_options_and_on_update),
        cmocka_unit_test(test_pgt_apply_schema),
        cmocka_unit_test(test_checks_and_expression_defaults),
        cmocka_unit_test(test_model_foreign_keys),
        cmocka_unit_test(test_sql_schemas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
