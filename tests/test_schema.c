/* The schema language: parser, validation, diagnostics and `pgorm check`.
 *
 * Valid constructs assert the structure's contents; invalid ones assert the
 * exact line:col and part of the message, and (unless noted) that it is the
 * ONLY diagnostic, so errors do not cascade. Robustness: truncations and
 * byte mutations of the valid schemas, and an allocation-failure walk.
 */
#include "pgtest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgorm/schema.h"

#define SCHEMAS PGORM_SOURCE_DIR "/tests/schemas/"

/* ---- helpers ----------------------------------------------------------- */

static void print_diags(const pgorm_diag *d, size_t n, size_t max)
{
    for (size_t i = 0; i < n && i < max; i++)
        print_error("  %d:%d: %s\n", d[i].pos.line, d[i].pos.col, d[i].message);
}

static pgorm_schema *parse_ok_(const char *src, const char *file, int line)
{
    pgorm_diag d[32];
    size_t n = 77;
    pgorm_schema *s = pgorm_schema_parse("t.pgorm", src, strlen(src), d, 32, &n);
    if (!s) {
        print_diags(d, n, 32);
        fail_msg("%s:%d: expected a valid schema, got %zu diagnostics", file, line, n);
    }
    assert_int_equal(n, 0);
    return s;
}
#define parse_ok(src) parse_ok_((src), __FILE__, __LINE__)

/* Parse src, expect it to be refused with `count` diagnostics (0: any
   number) of which one is at line:col and contains `sub`. */
static void expect_err_(const char *src, size_t count, int line, int col, const char *sub,
                        const char *file, int srcline)
{
    pgorm_diag d[64];
    size_t n = 0;
    pgorm_schema *s = pgorm_schema_parse("t.pgorm", src, strlen(src), d, 64, &n);
    if (s) {
        pgorm_schema_free(s);
        fail_msg("%s:%d: expected an error at %d:%d (%s), the schema was accepted", file, srcline,
                 line, col, sub);
    }
    bool found = false;
    for (size_t i = 0; i < n && i < 64; i++)
        if (d[i].pos.line == line && d[i].pos.col == col && strstr(d[i].message, sub))
            found = true;
    if (!found || (count && n != count)) {
        print_diags(d, n, 64);
        fail_msg("%s:%d: expected %zu diagnostic(s) with %d:%d '%s', got %zu", file, srcline, count,
                 line, col, sub, n);
    }
}
/* Exactly one diagnostic. */
#define BAD(src, line, col, sub) expect_err_((src), 1, (line), (col), (sub), __FILE__, __LINE__)
/* One of several. */
#define BADN(src, count, line, col, sub) \
    expect_err_((src), (count), (line), (col), (sub), __FILE__, __LINE__)

static const pgorm_field *field(const pgorm_schema *s, const char *model, const char *name)
{
    const pgorm_model *m = pgorm_schema_model(s, model);
    assert_non_null(m);
    const pgorm_field *f = pgorm_model_field(m, name);
    if (!f)
        fail_msg("no field %s.%s", model, name);
    return f;
}

static size_t model_index(const pgorm_schema *s, const char *name)
{
    const pgorm_model *m = pgorm_schema_model(s, name);
    assert_non_null(m);
    return (size_t)(m - s->models);
}

static size_t field_index(const pgorm_schema *s, const char *model, const char *name)
{
    const pgorm_model *m = pgorm_schema_model(s, model);
    return (size_t)(field(s, model, name) - m->fields);
}

static const char *sqltype(const pgorm_field *f, char *buf)
{
    return pgorm_coltype_sql(f->type, buf, 32);
}

/* A model wrapper: "model M {\n  id int4 @id\n" + body + "}\n". Lines of
   the body start at line 3. */
static char *with_model(const char *body)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "model M {\n  id int4 @id\n%s}\n", body);
    return buf;
}

/* ---- valid schemas ---------------------------------------------------------- */

static void test_bookstore(void **state)
{
    (void)state;
    pgorm_diag d[8];
    size_t n = 9;
    pgorm_schema *s = pgorm_schema_parse_file(SCHEMAS "valid_bookstore.pgorm", d, 8, &n);
    if (!s)
        print_diags(d, n, 8);
    assert_non_null(s);
    assert_int_equal(n, 0);
    assert_string_equal(s->file, SCHEMAS "valid_bookstore.pgorm");
    assert_int_equal(s->nmodels, 2);

    const pgorm_model *author = &s->models[0], *book = &s->models[1];
    assert_string_equal(author->name, "Author");
    assert_string_equal(author->table, "author");
    assert_null(author->renamed_from);
    assert_int_equal(author->pos.line, 1);
    assert_int_equal(author->pos.col, 7);
    assert_int_equal(author->nfields, 4);
    assert_int_equal(author->nblocks, 0);

    const pgorm_field *id = &author->fields[0];
    assert_string_equal(id->name, "id");
    assert_string_equal(id->column, "id");
    assert_int_equal(id->kind, PGORM_FIELD_SCALAR);
    assert_int_equal(id->type.scalar, PGORM_S_BIGSERIAL);
    assert_true(id->is_id);
    assert_false(id->nullable);
    assert_int_equal(id->pos.line, 2);
    assert_int_equal(id->pos.col, 3);
    assert_int_equal(id->type_pos.line, 2);
    assert_int_equal(id->type_pos.col, 10);
    assert_int_equal(id->target, PGORM_NONE);
    assert_int_equal(id->target_fk, PGORM_NONE);
    assert_ptr_equal(pgorm_model_single_id(author), id);

    const pgorm_field *email = &author->fields[2];
    assert_string_equal(email->name, "email");
    assert_int_equal(email->type.scalar, PGORM_S_TEXT);
    assert_true(email->nullable);
    assert_true(email->is_unique);
    assert_false(email->is_id);
    assert_false(email->is_index);

    const pgorm_field *books = &author->fields[3];
    assert_int_equal(books->kind, PGORM_FIELD_BACK_REFERENCE);
    assert_null(books->column);
    assert_string_equal(books->target_model, "Book");
    assert_null(books->target_field);
    assert_int_equal(books->target, 1);
    assert_int_equal(books->target_fk, 5);

    assert_string_equal(book->table, "book");
    assert_int_equal(book->nfields, 6);
    const pgorm_field *a = &book->fields[5];
    assert_string_equal(a->name, "author");
    assert_string_equal(a->column, "author_id");
    assert_int_equal(a->kind, PGORM_FIELD_FOREIGN_KEY);
    assert_int_equal(a->type.scalar, PGORM_S_INT8); /* bigserial key -> int8 */
    assert_false(a->nullable);
    assert_int_equal(a->on_delete, PGORM_ON_DELETE_CASCADE);
    assert_string_equal(a->target_model, "Author");
    assert_int_equal(a->target, 0);
    assert_int_equal(a->target_fk, PGORM_NONE);
    assert_int_equal(book->fields[3].type.scalar, PGORM_S_INT4);
    assert_true(book->fields[3].nullable);
    assert_int_equal(book->fields[4].type.scalar, PGORM_S_DATE);

    assert_int_equal(book->nblocks, 1);
    assert_int_equal(book->blocks[0].kind, PGORM_BLOCK_INDEX);
    assert_int_equal(book->blocks[0].nfields, 1);
    assert_string_equal(book->blocks[0].fields[0], "title");
    assert_null(book->blocks[0].name);
    assert_int_equal(book->blocks[0].pos.line, 15);
    assert_int_equal(book->blocks[0].pos.col, 3);
    assert_int_equal(book->blocks[0].field_pos[0].line, 15);
    assert_int_equal(book->blocks[0].field_pos[0].col, 11);
    pgorm_schema_free(s);
}

static void test_scalar_types(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok("model T {\n"
                               "  a bool @id\n"
                               "  b int2\n"
                               "  c int4?\n"
                               "  d int8\n"
                               "  e serial\n"
                               "  f bigserial\n"
                               "  g float4\n"
                               "  h float8?\n"
                               "  i numeric(12, 2)\n"
                               "  j text\n"
                               "  k varchar(40)?\n"
                               "  l bytea\n"
                               "  m uuid\n"
                               "  n date\n"
                               "  o timestamp\n"
                               "  p timestamptz\n"
                               "  q jsonb\n"
                               "  r numeric(1000,1000)\n"
                               "  s varchar(1)\n"
                               "  t time\n"
                               "  u timetz?\n"
                               "  v interval\n"
                               "  w inet\n"
                               "  x cidr?\n"
                               "  y json\n"
                               "  z char(3)\n"
                               "  aa citext?\n"
                               "  ab numeric\n"
                               "}\n");
    static const struct {
        const char *name;
        pgorm_scalar scalar;
        const char *sql;
        bool nullable;
    } want[] = {
        {"a", PGORM_S_BOOL, "bool", false},
        {"b", PGORM_S_INT2, "int2", false},
        {"c", PGORM_S_INT4, "int4", true},
        {"d", PGORM_S_INT8, "int8", false},
        {"e", PGORM_S_SERIAL, "serial", false},
        {"f", PGORM_S_BIGSERIAL, "bigserial", false},
        {"g", PGORM_S_FLOAT4, "float4", false},
        {"h", PGORM_S_FLOAT8, "float8", true},
        {"i", PGORM_S_NUMERIC, "numeric(12,2)", false},
        {"j", PGORM_S_TEXT, "text", false},
        {"k", PGORM_S_VARCHAR, "varchar(40)", true},
        {"l", PGORM_S_BYTEA, "bytea", false},
        {"m", PGORM_S_UUID, "uuid", false},
        {"n", PGORM_S_DATE, "date", false},
        {"o", PGORM_S_TIMESTAMP, "timestamp", false},
        {"p", PGORM_S_TIMESTAMPTZ, "timestamptz", false},
        {"q", PGORM_S_JSONB, "jsonb", false},
        {"r", PGORM_S_NUMERIC, "numeric(1000,1000)", false},
        {"s", PGORM_S_VARCHAR, "varchar(1)", false},
        {"t", PGORM_S_TIME, "time", false},
        {"u", PGORM_S_TIMETZ, "timetz", true},
        {"v", PGORM_S_INTERVAL, "interval", false},
        {"w", PGORM_S_INET, "inet", false},
        {"x", PGORM_S_CIDR, "cidr", true},
        {"y", PGORM_S_JSON, "json", false},
        {"z", PGORM_S_CHAR, "char(3)", false},
        {"aa", PGORM_S_CITEXT, "citext", true},
        {"ab", PGORM_S_NUMERIC, "numeric", false},
    };
    const pgorm_model *m = &s->models[0];
    assert_int_equal(m->nfields, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < m->nfields; i++) {
        char b[32];
        const pgorm_field *f = &m->fields[i];
        assert_string_equal(f->name, want[i].name);
        assert_string_equal(f->column, want[i].name);
        assert_int_equal(f->kind, PGORM_FIELD_SCALAR);
        assert_int_equal(f->type.scalar, want[i].scalar);
        assert_string_equal(sqltype(f, b), want[i].sql);
        assert_int_equal(f->nullable, want[i].nullable);
        assert_int_equal(f->pos.line, (int)i + 2);
        assert_int_equal(f->type_pos.col, 4 + (int)strlen(want[i].name));
    }
    assert_int_equal(m->fields[8].type.precision, 12);
    assert_int_equal(m->fields[8].type.scale, 2);
    assert_int_equal(m->fields[10].type.precision, 40);
    assert_int_equal(m->fields[0].type.precision, 0);
    assert_int_equal(m->fields[25].type.precision, 3);
    /* numeric without (p, s): any precision */
    assert_int_equal(m->fields[27].type.precision, 0);
    assert_int_equal(m->fields[27].type.scale, 0);
    pgorm_schema_free(s);
}

static void test_attributes(void **state)
{
    (void)state;
    pgorm_schema *s =
        parse_ok("model T {\n"
                 "  id     int8         @id\n"
                 "  code   text         @unique @index\n"
                 "  n      int4         @default(-42)\n"
                 "  big    int8         @default(9223372036854775807)\n"
                 "  small  int2         @default(-32768)\n"
                 "  x      float8       @default(-3.25)\n"
                 "  y      float4       @default(2)\n"
                 "  price  numeric(5,2) @default(999.99)\n"
                 "  s      text         @default(\"say \\\"hi\\\" \\\\ done\")\n"
                 "  e      varchar(3)   @default(\"\")\n"
                 "  u      uuid         @default(\"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\")\n"
                 "  j      jsonb        @default(\"{}\")\n"
                 "  on     bool         @default(true)\n"
                 "  off    bool         @default(false)\n"
                 "  at     timestamptz  @default(now())\n"
                 "  day    date         @default(now())\n"
                 "  ts     timestamp    @default(\"2020-01-01 00:00\")\n"
                 "  title  text         @renamed_from(name) @index\n"
                 "}\n");
    const pgorm_model *m = &s->models[0];
    const pgorm_field *f = field(s, "T", "code");
    assert_true(f->is_unique);
    assert_true(f->is_index);
    assert_false(f->is_id);
    assert_int_equal(f->def.kind, PGORM_DEFAULT_NONE);
    assert_null(f->def.text);

    static const struct {
        const char *name;
        pgorm_default_kind kind;
        const char *text;
    } want[] = {
        {"n", PGORM_DEFAULT_INT, "-42"},
        {"big", PGORM_DEFAULT_INT, "9223372036854775807"},
        {"small", PGORM_DEFAULT_INT, "-32768"},
        {"x", PGORM_DEFAULT_DECIMAL, "-3.25"},
        {"y", PGORM_DEFAULT_INT, "2"},
        {"price", PGORM_DEFAULT_DECIMAL, "999.99"},
        {"s", PGORM_DEFAULT_STRING, "say \"hi\" \\ done"},
        {"e", PGORM_DEFAULT_STRING, ""},
        {"u", PGORM_DEFAULT_STRING, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"},
        {"j", PGORM_DEFAULT_STRING, "{}"},
        {"on", PGORM_DEFAULT_BOOL, "true"},
        {"off", PGORM_DEFAULT_BOOL, "false"},
        {"at", PGORM_DEFAULT_NOW, NULL},
        {"day", PGORM_DEFAULT_NOW, NULL},
        {"ts", PGORM_DEFAULT_STRING, "2020-01-01 00:00"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        f = field(s, "T", want[i].name);
        assert_int_equal(f->def.kind, want[i].kind);
        if (want[i].text)
            assert_string_equal(f->def.text, want[i].text);
        else
            assert_null(f->def.text);
    }
    f = field(s, "T", "title");
    assert_string_equal(f->renamed_from, "name");
    assert_true(f->is_index);
    assert_null(m->fields[0].renamed_from);
    pgorm_schema_free(s);
}

static void test_block_attributes(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok("model Pair {\n"
                               "  a int4\n"
                               "  b text\n"
                               "  c text?\n"
                               "  @@id(a, b)\n"
                               "  @@unique(b,c)\n"
                               "  @@index(c, a, b)\n"
                               "  @@table(pairs_v2)\n"
                               "  @@renamed_from(OldPair)\n"
                               "}\n"
                               "model One {\n"
                               "  k text\n"
                               "  @@id(k)\n"
                               "  @@table(\"odd name\")\n"
                               "}\n");
    const pgorm_model *m = pgorm_schema_model(s, "Pair");
    assert_string_equal(m->table, "pairs_v2");
    assert_string_equal(m->renamed_from, "OldPair");
    assert_int_equal(m->nblocks, 3);
    assert_int_equal(m->blocks[0].kind, PGORM_BLOCK_ID);
    assert_int_equal(m->blocks[0].nfields, 2);
    assert_string_equal(m->blocks[0].fields[0], "a");
    assert_string_equal(m->blocks[0].fields[1], "b");
    assert_int_equal(m->blocks[0].pos.line, 5);
    assert_int_equal(m->blocks[0].field_pos[1].col, 11);
    assert_int_equal(m->blocks[1].kind, PGORM_BLOCK_UNIQUE);
    assert_int_equal(m->blocks[1].nfields, 2);
    assert_string_equal(m->blocks[1].fields[1], "c");
    assert_int_equal(m->blocks[2].kind, PGORM_BLOCK_INDEX);
    assert_int_equal(m->blocks[2].nfields, 3);
    assert_null(m->blocks[2].name);
    /* a composite key is not a single id; field-level flags stay unset */
    assert_null(pgorm_model_single_id(m));
    assert_false(m->fields[0].is_id);

    const pgorm_model *one = pgorm_schema_model(s, "One");
    assert_string_equal(one->table, "odd name");
    assert_ptr_equal(pgorm_model_single_id(one), &one->fields[0]);
    pgorm_schema_free(s);
}

static void test_foreign_keys(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok("model S { id serial @id }\n"
                               "model B { id bigserial @id }\n"
                               "model U { id uuid @id }\n"
                               "model V { code varchar(16)\n @@id(code) }\n"
                               "model One { s ForeignKey[S] @id }\n"
                               "model X {\n"
                               "  id  int4 @id\n"
                               "  s   ForeignKey[S]\n"
                               "  b   ForeignKey[B]? @on_delete(set_null)\n"
                               "  u   ForeignKey[U]  @on_delete(cascade)\n"
                               "  v   ForeignKey[V]  @on_delete(restrict) @unique\n"
                               "  v2  ForeignKey[V]  @on_delete(no_action)\n"
                               "  one ForeignKey[One] @index\n"
                               "  me  ForeignKey[X]?\n"
                               "  @@index(s, b)\n"
                               "}\n");
    char t[32];
    const pgorm_field *f = field(s, "X", "s");
    assert_string_equal(f->column, "s_id");
    assert_string_equal(sqltype(f, t), "int4"); /* serial -> int4 */
    assert_int_equal(f->on_delete, PGORM_ON_DELETE_NO_ACTION);
    assert_int_equal(f->target, model_index(s, "S"));
    assert_false(f->nullable);
    f = field(s, "X", "b");
    assert_string_equal(sqltype(f, t), "int8"); /* bigserial -> int8 */
    assert_true(f->nullable);
    assert_int_equal(f->on_delete, PGORM_ON_DELETE_SET_NULL);
    f = field(s, "X", "u");
    assert_string_equal(sqltype(f, t), "uuid");
    assert_int_equal(f->on_delete, PGORM_ON_DELETE_CASCADE);
    f = field(s, "X", "v");
    assert_string_equal(sqltype(f, t), "varchar(16)");
    assert_int_equal(f->on_delete, PGORM_ON_DELETE_RESTRICT);
    assert_true(f->is_unique);
    assert_int_equal(field(s, "X", "v2")->on_delete, PGORM_ON_DELETE_NO_ACTION);
    /* a key that is itself a ForeignKey: follow it to S's serial */
    f = field(s, "X", "one");
    assert_string_equal(f->column, "one_id");
    assert_string_equal(sqltype(f, t), "int4");
    assert_true(f->is_index);
    assert_string_equal(sqltype(field(s, "One", "s"), t), "int4");
    assert_ptr_equal(pgorm_model_single_id(pgorm_schema_model(s, "One")), field(s, "One", "s"));
    f = field(s, "X", "me");
    assert_int_equal(f->target, model_index(s, "X"));
    assert_string_equal(sqltype(f, t), "int4");
    pgorm_schema_free(s);
}

static void test_back_references(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok("model Language {\n"
                               "  id     int2 @id\n"
                               "  films  BackReference[Film.language]\n"
                               "  orig   BackReference[Film.original_language]\n"
                               "}\n"
                               "model Film {\n"
                               "  id                 int8 @id\n"
                               "  language           ForeignKey[Language]\n"
                               "  original_language  ForeignKey[Language]?\n"
                               "  actors             BackReference[Cast]\n"
                               "}\n"
                               "model Cast {\n"
                               "  id    int8 @id\n"
                               "  film  ForeignKey[Film]\n"
                               "}\n"
                               "model Node {\n"
                               "  id       int4 @id\n"
                               "  parent   ForeignKey[Node]?\n"
                               "  children BackReference[Node]\n"
                               "}\n");
    const pgorm_field *f = field(s, "Language", "films");
    assert_string_equal(f->target_model, "Film");
    assert_string_equal(f->target_field, "language");
    assert_int_equal(f->target, model_index(s, "Film"));
    assert_int_equal(f->target_fk, field_index(s, "Film", "language"));
    f = field(s, "Language", "orig");
    assert_int_equal(f->target_fk, field_index(s, "Film", "original_language"));
    char t[32];
    assert_string_equal(sqltype(field(s, "Film", "language"), t), "int2");
    f = field(s, "Film", "actors");
    assert_null(f->target_field);
    assert_int_equal(f->target, model_index(s, "Cast"));
    assert_int_equal(f->target_fk, field_index(s, "Cast", "film"));
    f = field(s, "Node", "children");
    assert_int_equal(f->target, model_index(s, "Node"));
    assert_int_equal(f->target_fk, field_index(s, "Node", "parent"));
    pgorm_schema_free(s);
}

static void test_keywords_as_names(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok("model User { order int4 @id }\n"
                               "model select {\n"
                               "  table   text @id\n"
                               "  from    ForeignKey[User]\n"
                               "  model   text?\n"
                               "  ForeignKey int4\n"
                               "  int4    int4\n"
                               "  default bool @default(true)\n"
                               "  @@index(from, model)\n"
                               "  @@table(group)\n"
                               "}\n"
                               "model model { model text @id }\n");
    assert_string_equal(pgorm_schema_model(s, "User")->table, "user");
    assert_string_equal(field(s, "User", "order")->column, "order");
    assert_string_equal(pgorm_schema_model(s, "select")->table, "group");
    assert_string_equal(field(s, "select", "from")->column, "from_id");
    assert_int_equal(field(s, "select", "ForeignKey")->kind, PGORM_FIELD_SCALAR);
    assert_int_equal(field(s, "select", "int4")->type.scalar, PGORM_S_INT4);
    assert_string_equal(pgorm_schema_model(s, "model")->table, "model");
    pgorm_schema_free(s);
}

static void test_comments_and_layout(void **state)
{
    (void)state;
    /* comments everywhere, tabs, CRLF, a BOM, attributes across lines */
    const char *src = "\xEF\xBB\xBF// header comment\r\n"
                      "model//c\r\n"
                      "  A // name\r\n"
                      "{ // open\r\n"
                      "\tid\tint4 // c\r\n"
                      "\t  @id // é ünïcödé in a comment\r\n"
                      "  n numeric( 4 , 1 )@default( 1.5 )@index\r\n"
                      "  s text @default(\"é—ok\")\r\n"
                      "  @@index( n ,\r\n  s )// c\r\n"
                      "} // close\r\n"
                      "// trailing";
    pgorm_schema *s = parse_ok(src);
    assert_int_equal(s->nmodels, 1);
    assert_true(field(s, "A", "id")->is_id);
    assert_int_equal(field(s, "A", "id")->pos.line, 5);
    assert_int_equal(field(s, "A", "id")->pos.col, 2);
    assert_int_equal(field(s, "A", "id")->type_pos.col, 5);
    assert_string_equal(field(s, "A", "n")->def.text, "1.5");
    assert_string_equal(field(s, "A", "s")->def.text, "é—ok");
    assert_int_equal(s->models[0].blocks[0].field_pos[1].line, 10);
    pgorm_schema_free(s);

    /* empty input and comments only: a schema with no models */
    s = parse_ok("");
    assert_int_equal(s->nmodels, 0);
    pgorm_schema_free(s);
    s = parse_ok("// nothing\n\n   // here\n");
    assert_int_equal(s->nmodels, 0);
    pgorm_schema_free(s);
    size_t n = 5;
    s = pgorm_schema_parse(NULL, NULL, 0, NULL, 0, &n);
    assert_non_null(s);
    assert_null(s->file);
    assert_int_equal(n, 0);
    pgorm_schema_free(s);
}

static void test_valid_all(void **state)
{
    (void)state;
    pgorm_diag d[16];
    size_t n = 0;
    pgorm_schema *s = pgorm_schema_parse_file(SCHEMAS "valid_all.pgorm", d, 16, &n);
    if (!s)
        print_diags(d, n, 16);
    assert_non_null(s);
    char t[32];
    assert_string_equal(pgorm_schema_model(s, "User")->table, "users");
    assert_string_equal(pgorm_schema_model(s, "FilmActor")->table, "film_actor");
    assert_string_equal(pgorm_schema_model(s, "Film")->table, "film catalogue");
    assert_string_equal(pgorm_schema_model(s, "Actor")->renamed_from, "Performer");
    assert_string_equal(sqltype(field(s, "Post", "author"), t), "int4");
    assert_string_equal(sqltype(field(s, "Badge", "profile"), t), "int4");
    assert_string_equal(sqltype(field(s, "PostTag", "tag"), t), "varchar(16)");
    assert_string_equal(sqltype(field(s, "FilmActor", "actor"), t), "uuid");
    assert_string_equal(sqltype(field(s, "Film", "original_language"), t), "int2");
    assert_string_equal(field(s, "Profile", "bio")->def.text, "says \"hi\" \\ bye — ok");
    assert_int_equal(field(s, "Language", "original_films")->target_fk,
                     field_index(s, "Film", "original_language"));
    assert_int_equal(field(s, "Category", "children")->target_fk,
                     field_index(s, "Category", "parent"));
    assert_null(pgorm_model_single_id(pgorm_schema_model(s, "FilmActor")));
    /* every ForeignKey resolved, every BackReference matched */
    for (size_t i = 0; i < s->nmodels; i++) {
        for (size_t j = 0; j < s->models[i].nfields; j++) {
            const pgorm_field *f = &s->models[i].fields[j];
            if (f->kind == PGORM_FIELD_SCALAR)
                continue;
            assert_true(f->target < s->nmodels);
            if (f->kind == PGORM_FIELD_BACK_REFERENCE) {
                const pgorm_field *fk = &s->models[f->target].fields[f->target_fk];
                assert_int_equal(fk->kind, PGORM_FIELD_FOREIGN_KEY);
                assert_int_equal(fk->target, i);
            }
            if (f->kind == PGORM_FIELD_MANY_TO_MANY) {
                /* the join model's two ForeignKeys: to this model, to the far side */
                const pgorm_model *jm = &s->models[f->through];
                assert_int_equal(jm->fields[f->through_from_fk].target, i);
                assert_int_equal(jm->fields[f->through_to_fk].target, f->target);
            }
        }
    }
    assert_string_equal(s->models[field(s, "Tag", "tagged")->through].name, "PostTag");
    assert_string_equal(s->models[field(s, "Actor", "roles")->target].name, "Film");
    pgorm_schema_free(s);
}

static void test_helpers(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"FilmActor", "film_actor"},
        {"User", "user"},
        {"HTTPRequest", "http_request"},
        {"ABC", "abc"},
        {"A1B", "a1_b"},
        {"film_actor", "film_actor"},
        {"Foo_Bar", "foo_bar"},
        {"_Foo", "_foo"},
        {"getHTTP", "get_http"},
        {"X", "x"},
        {"OAuth2Token", "o_auth2_token"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = pgorm_snake_case(cases[i][0]);
        assert_string_equal(r, cases[i][1]);
        pgorm_free(r);
    }
    char b[32];
    assert_string_equal(pgorm_coltype_sql((pgorm_coltype){PGORM_S_NUMERIC, 12, 2, false}, b, sizeof b),
                        "numeric(12,2)");
    assert_string_equal(pgorm_coltype_sql((pgorm_coltype){PGORM_S_NUMERIC, 0, 0, false}, b, sizeof b),
                        "numeric");
    assert_string_equal(pgorm_coltype_sql((pgorm_coltype){PGORM_S_VARCHAR, 40, 0, false}, b, sizeof b),
                        "varchar(40)");
    assert_string_equal(pgorm_coltype_sql((pgorm_coltype){PGORM_S_TIMESTAMPTZ, 0, 0, false}, b, sizeof b),
                        "timestamptz");
    char tiny[4];
    assert_string_equal(pgorm_coltype_sql((pgorm_coltype){PGORM_S_JSONB, 0, 0, false}, tiny, sizeof tiny),
                        "jso");

    /* look-ups */
    pgorm_schema *s = parse_ok("model A { id int4 @id }");
    assert_null(pgorm_schema_model(s, "B"));
    assert_null(pgorm_schema_model(s, "a"));
    assert_null(pgorm_model_field(&s->models[0], "nope"));
    assert_null(pgorm_model_single_id(NULL));
    pgorm_model none = {0};
    assert_null(pgorm_model_single_id(&none));
    pgorm_schema_free(s);
    pgorm_schema_free(NULL);
}

/* ---- lexical and syntax errors ------------------------------------------------ */

static void test_lexical_errors(void **state)
{
    (void)state;
    BAD(with_model("  s text @default(\"abc)\n"), 3, 19, "unterminated string");
    /* the quote on the next line opens another string: two errors, both true */
    BADN(with_model("  s text @default(\"abc\n\")\n"), 2, 3, 19, "strings cannot span lines");
    BAD(with_model("  s text @default(\"a\\nb\")\n"), 3, 21, "unknown escape '\\n'");
    BAD(with_model("  s text @default(\"a\\'b\")\n"), 3, 21, "only \\\" and \\\\");
    BAD(with_model("  n int4 @default(12abc)\n"), 3, 19, "invalid number '12abc'");
    BAD(with_model("  n$ int4\n"), 3, 4, "unexpected character '$'");
    BAD(with_model("  né int4\n"), 3, 4, "unexpected character U+00E9");
    BAD(with_model("  n int4 @default(- 1)\n"), 3, 19, "unexpected character '-'");
    /* invalid UTF-8: the position of the first bad byte, and nothing else */
    BAD("model A {\n  id int4 @id // caf\xC3\x28\n}\n", 2, 21, "invalid UTF-8");
    BAD("model A {\n  id int4 @id // caf\xC3\x28\n  x nonsense\n", 2, 21, "byte 0xC3");
    BAD("\xFFmodel", 1, 1, "invalid UTF-8");
    BAD("model A { id int4 @id } // \xED\xA0\x80 surrogate", 1, 28, "invalid UTF-8");
    BAD("model A { id int4 @id } // \xC0\xAF overlong", 1, 28, "invalid UTF-8");
    BAD("model A { id int4 @id } // cut \xE2\x82", 1, 32, "invalid UTF-8");
    const char nul[] = "model A { id int4 @id\n x text @default(\"a\0b\") }";
    pgorm_diag d[4];
    size_t n = 0;
    assert_null(pgorm_schema_parse("t", nul, sizeof nul - 1, d, 4, &n));
    assert_int_equal(n, 1);
    assert_int_equal(d[0].pos.line, 2);
    assert_int_equal(d[0].pos.col, 20);
    assert_non_null(strstr(d[0].message, "NUL"));
}

static void test_syntax_errors(void **state)
{
    (void)state;
    BAD("garbage\nmodel A { id int4 @id }\n", 1, 1,
        "expected 'model', 'enum', 'query' or 'schema', found 'garbage'");
    BAD("model A { id int4 @id }\n}\n", 2, 1, "unexpected '}'");
    BAD("model { id int4 @id }\n", 1, 7, "expected a model name after 'model'");
    BAD("model A id int4 @id }\n", 1, 9, "expected '{' after 'model A'");
    BAD(with_model("  5\n"), 3, 3, "expected a field, '@@' or '}' in model 'M', found number 5");
    BAD(with_model("  x\n"), 3, 3, "field 'x' has no type");
    BAD(with_model("  x 7\n"), 3, 5, "expected a type after field 'x'");
    BAD(with_model("  x numeric(5)\n"), 3, 14, "expected ',' between the precision and scale");
    BAD(with_model("  x varchar\n"), 3, 5, "varchar needs a length: write varchar(n)");
    BAD(with_model("  x varchar(n)\n"), 3, 13, "expected an integer length in varchar(n)");
    BAD(with_model("  x char\n"), 3, 5, "char needs a length: write char(n), e.g. char(2)");
    BAD(with_model("  x char(x)\n"), 3, 10, "expected an integer length in char(n), found 'x'");
    BAD(with_model("  x char(3\n"), 4, 1, "expected ')' to close char(n)");
    BAD(with_model("  x time(3)\n"), 3, 9, "type time takes no parameters");
    BAD(with_model("  x json(1)\n"), 3, 9, "type json takes no parameters");
    BAD(with_model("  x int4(4)\n"), 3, 9, "type int4 takes no parameters");
    BAD(with_model("  x ForeignKey\n"), 4, 1, "expected '[' after ForeignKey");
    BAD(with_model("  x ForeignKey[M.id]\n"), 3, 17, "'Model.field' is for BackReference");
    BAD(with_model("  x ForeignKey[M\n"), 4, 1, "expected ']' to close ForeignKey[M");
    BAD(with_model("  x BackReference[M.]\n"), 3, 21,
        "expected a field name after 'BackReference[M.'");
    BAD(with_model("  x ForeignKey[]\n"), 3, 16, "expected a model name in ForeignKey[...]");
    BAD(with_model("  x text @\n"), 4, 1, "expected an attribute name after '@'");
    BAD(with_model("  x text @default\n"), 4, 1, "expected '(' after @default");
    BAD(with_model("  x text @default(CURRENT_DATE)\n"), 3, 19,
        "@default(CURRENT_DATE) does not fit type text: expected a \"string\"");
    BAD(with_model("  x text @default([)\n"), 3, 19,
        "expected a default value: an integer, a decimal, a \"string\", true, false, a "
        "function (now(), gen_random_uuid()");
    BAD(with_model("  x timestamptz @default(now)\n"), 3, 29, "expected '(' after now");
    BAD(with_model("  x text @default(\"a\" \"b\")\n"), 3, 23, "expected ')' to close @default");
    BAD(with_model("  x ForeignKey[M]? @on_delete(explode)\n"), 3, 31,
        "unknown @on_delete action 'explode' (expected one of: cascade, restrict, set_null, "
        "no_action)");
    BAD(with_model("  x text @unique(1)\n"), 3, 17, "@unique takes no arguments");
    /* an unclosed group does not swallow the next field */
    BAD(with_model("  b text @index(\n  c text\n  @@index(c)\n"), 3, 16, "@index takes no arguments");
    BAD(with_model("  x text @renamed_from(\"y\")\n"), 3, 24, "expected the field's old name");
    BAD(with_model("  @@index()\n"), 3, 11, "expected a field name in @@index(...)");
    BAD(with_model("  @@index(id,)\n"), 3, 14, "expected a field name in @@index(...)");
    BAD(with_model("  @@unique(id\n"), 4, 1, "expected ')' to close @@unique(...)");
    BAD(with_model("  @@table(5)\n"), 3, 11, "expected a table name in @@table(...)");
    BAD(with_model("  @@\n"), 4, 1, "expected a block attribute after '@@'");
    BAD(with_model("  @@indx(id)\n"), 3, 5,
        "unknown block attribute '@@indx' (expected one of: @@id(fields), @@unique(fields), "
        "@@index(fields), @@table(name), @@renamed_from(OldModel), @@check(name, \"expr\"), @@foreign_key([fields], references: Model([fields])), @@schema(name)); did you mean '@@index'?");
    BAD(with_model("  @@table(a)\n  @@table(b)\n"), 4, 3, "duplicate @@table in model 'M'");
    BAD(with_model("  @@renamed_from(A)\n  @@renamed_from(B)\n"), 4, 3, "duplicate @@renamed_from");
}

static void test_unterminated_model(void **state)
{
    (void)state;
    BAD("model A {\n  id int4 @id\n", 1, 9,
        "model 'A' is not closed: expected '}' before the end of the file");
    BAD("model A {\n  id int4 @id\n\nmodel B {\n  id int4 @id\n}\n", 1, 9,
        "model 'A' is not closed: expected '}' before the next model (line 4)");
    /* the model after it still parses and is checked */
    BADN("model A {\n  id int4 @id\nmodel B {\n  x int9\n}\n", 2, 4, 5, "unknown type 'int9'");
    BAD("model A\n  {", 2, 3, "model 'A' is not closed");
    BADN("model A {\n  s text @default(\"open\n", 2, 2, 19, "unterminated string");
}

/* ---- validation errors ---------------------------------------------------------------- */

static void test_unknown_type_and_attribute(void **state)
{
    (void)state;
    BAD(with_model("  x int9\n"), 3, 5,
        "unknown type 'int9' (expected one of: bool, int2, int4, int8, serial, bigserial, "
        "float4, float8, numeric, numeric(p, s), text, varchar(n), char(n), citext, bytea, uuid, "
        "date, time, timetz, timestamp, timestamptz, interval, inet, cidr, json, jsonb, "
        "ForeignKey[Model], BackReference[Model], ManyToMany[Model])");
    BAD(with_model("  x intervl\n"), 3, 5, "did you mean 'interval'?");
    BAD(with_model("  x Int4\n"), 3, 5, "did you mean 'int4'?");
    BAD(with_model("  x foreignkey[M]\n"), 3, 5, "did you mean 'ForeignKey'?");
    BAD(with_model("  x text @uniq\n"), 3, 11,
        "unknown attribute '@uniq' (expected one of: @id, @unique, @index, @index(false), "
        "@default(value), @on_delete(action), @on_update(action), @renamed_from(old_name), "
        "@check(\"expr\"), @through(JoinModel)); did you mean '@unique'?");
    BAD(with_model("  x text @ID\n"), 3, 11, "did you mean '@id'?");
    BAD(with_model("  x text @default(\"a\") @default(\"b\")\n"), 3, 24,
        "duplicate @default on field 'x'");
    BAD(with_model("  x text @index @index\n"), 3, 17, "duplicate @index");
}

static void test_names(void **state)
{
    (void)state;
    BAD(with_model("  a text\n  a int4\n"), 4, 3,
        "duplicate field 'a' in model 'M' (first defined at line 3)");
    BAD("model A { id int4 @id }\nmodel A { id int4 @id }\n", 2, 7,
        "duplicate model 'A' (first defined at line 1)");
    BAD("model FilmActor { id int4 @id }\nmodel Film_Actor { id int4 @id }\n", 2, 7,
        "model 'Film_Actor' maps to table 'film_actor', which model 'FilmActor' (line 1) "
        "already uses");
    BAD("model A { id int4 @id }\nmodel B { id int4 @id\n @@table(a) }\n", 3, 10,
        "maps to table 'a'");
    BAD("model A { id int4 @id\n @@table(\"\") }\n", 2, 10, "cannot be empty");
    BAD(with_model("  author ForeignKey[M]\n  author_id int4\n"), 4, 3,
        "field 'author_id' collides with column 'author_id' of ForeignKey field 'author' "
        "(line 3)");
    BAD(with_model("  author_id int4\n  author ForeignKey[M]\n"), 4, 3,
        "ForeignKey field 'author' makes column 'author_id', which field 'author_id' (line 3)");
    BAD(with_model("  a234567890123456789012345678901234567890123456789012345678901234 text\n"), 3,
        3, "longer than 63 bytes");
    BAD(with_model(
            "  a234567890123456789012345678901234567890123456789012345678901 ForeignKey[M]\n"),
        3, 3, "column name 'a234567890123456789012345678901234567890123456789012345678901_id'");
    BAD("model A2345678901234567890123456789012345678901234567890123456789012345 { id int4 @id "
        "}\n",
        1, 7, "table name");
    /* exactly 63 bytes is fine */
    pgorm_schema *s = parse_ok(
        with_model("  a23456789012345678901234567890123456789012345678901234567890123 text\n"));
    pgorm_schema_free(s);
}

static void test_keys(void **state)
{
    (void)state;
    BAD("model A {\n  x text\n}\n", 1, 7,
        "model 'A' has no primary key: add @id to a field or @@id(...)");
    BAD(with_model("  k int4 @id\n"), 3, 10,
        "model 'M' has two primary keys: @id on 'id' (line 2) and @id on 'k'");
    BAD(with_model("  k int4\n  @@id(k)\n"), 4, 3, "two primary keys");
    BAD("model A {\n  @@id(k)\n  k int4 @id\n}\n", 3, 10, "two primary keys: @@id (line 2)");
    BADN(with_model("  @@id(id)\n  @@id(id)\n"), 2, 3, 3, "two primary keys");
    BAD("model A {\n  k int4? @id\n}\n", 2, 11, "@id field 'k' cannot be nullable: remove '?'");
    BAD("model A {\n  k int4?\n  j int4\n  @@id(j, k)\n}\n", 4, 11,
        "primary key field 'k' cannot be nullable");
    /* @id on a ForeignKey that is optional */
    BAD("model K { id int4 @id }\nmodel A {\n  p ForeignKey[K]? @id\n}\n", 3, 20,
        "@id field 'p' cannot be nullable");
}

static void test_block_fields(void **state)
{
    (void)state;
    BAD(with_model("  title text\n  @@index(titel)\n"), 4, 11,
        "unknown field 'titel' in @@index (fields of model 'M': id, title); did you mean "
        "'title'?");
    BAD(with_model("  @@unique(id, nope)\n"), 3, 16, "unknown field 'nope' in @@unique");
    BAD("model A {\n  @@id(nope)\n}\n", 2, 8, "unknown field 'nope' in @@id");
    BAD(with_model("  kids BackReference[K]\n  @@index(kids)\n"
                   "}\nmodel K { id int4 @id\n  m ForeignKey[M]\n"),
        4, 11, "'kids' is a BackReference and has no column");
    BAD(with_model("  @@index(id, id)\n"), 3, 15, "field 'id' appears twice in @@index");
}

static void test_foreign_key_errors(void **state)
{
    (void)state;
    BAD(with_model("  a ForeignKey[Autor]\n}\nmodel Author { id int4 @id\n"), 3, 16,
        "ForeignKey to unknown model 'Autor' (models in this file: M, Author); did you mean "
        "'Author'?");
    BAD("model A {\n  id int4 @id\n  b ForeignKey[Pair]\n}\n"
        "model Pair {\n  x int4\n  y int4\n  @@id(x, y)\n}\n",
        3, 16, "ForeignKey[Pair] needs model 'Pair' to have a single-column @id");
    BAD(with_model("  p int4 @on_delete(cascade)\n"), 3, 10,
        "@on_delete is only valid on a ForeignKey field, and 'p' is not one (its type is int4)");
    BAD(with_model("  p ForeignKey[M] @on_delete(set_null)\n"), 3, 30,
        "@on_delete(set_null) needs a nullable ForeignKey: write ForeignKey[M]?");
    /* keys that are ForeignKeys leading back to themselves */
    BADN("model A { b ForeignKey[B] @id }\nmodel B { a ForeignKey[A] @id }\n", 2, 1, 24,
         "has no key type");
    /* the FK to a model without any key: only that model's own error */
    BAD("model A { x text }\nmodel B { id int4 @id\n a ForeignKey[A] }\n", 1, 7, "no primary key");
}

static void test_back_reference_errors(void **state)
{
    (void)state;
    BAD(with_model("  r BackReference[Nope]\n"), 3, 19, "BackReference to unknown model 'Nope'");
    BAD(with_model("  r BackReference[K]\n}\nmodel K { id int4 @id\n"), 3, 19,
        "BackReference[K] needs a ForeignKey[M] field in model 'K', and it has none");
    static const char two[] = "model Language {\n"
                              "  id int4 @id\n"
                              "  films BackReference[Film]\n"
                              "}\n"
                              "model Film {\n"
                              "  id int4 @id\n"
                              "  language ForeignKey[Language]\n"
                              "  original_language ForeignKey[Language]?\n"
                              "}\n";
    BAD(two, 3, 23,
        "model 'Film' has 2 ForeignKey[Language] fields, so BackReference[Film] is ambiguous: "
        "write BackReference[Film.field] with one of: language, original_language");
    static const char notfk[] = "model Language {\n"
                                "  id int4 @id\n"
                                "  films BackReference[Film.id]\n"
                                "  more BackReference[Film.nope]\n"
                                "}\n"
                                "model Film {\n"
                                "  id int4 @id\n"
                                "  language ForeignKey[Language]\n"
                                "}\n";
    BADN(notfk, 2, 3, 28,
         "field 'Film.id' is not a ForeignKey to 'Language'; write "
         "BackReference[Film.field] with one of: language");
    BADN(notfk, 2, 4, 27, "model 'Film' has no field 'nope'");
    BAD(with_model("  r BackReference[K.id]\n}\nmodel K { id int4 @id\n"), 3, 21,
        "model 'K' has no ForeignKey[M] field");
    BAD(with_model("  r BackReference[K]?\n}\nmodel K { id int4 @id\n m ForeignKey[M]\n"), 3, 21,
        "a BackReference cannot be nullable");
    BAD(with_model("  r BackReference[K] @unique\n}\nmodel K { id int4 @id\n m ForeignKey[M]\n"), 3,
        22, "@unique is not allowed on a BackReference");
    BAD(with_model("  r BackReference[K] @on_delete(cascade)\n}\nmodel K { id int4 @id\n"
                   " m ForeignKey[M]\n"),
        3, 22, "@on_delete is not allowed on a BackReference");
}

static void test_defaults(void **state)
{
    (void)state;
    BAD(with_model("  x text @default(5)\n"), 3, 19,
        "@default(5) does not fit type text: expected a \"string\"");
    BAD(with_model("  x int4 @default(\"5\")\n"), 3, 19,
        "does not fit type int4: expected an integer");
    BAD(with_model("  x int8 @default(1.5)\n"), 3, 19, "@default(1.5) does not fit type int8");
    BAD(with_model("  x int4 @default(now())\n"), 3, 19, "@default(now()) does not fit type int4");
    BAD(with_model("  x int4 @default(true)\n"), 3, 19, "expected an integer");
    BAD(with_model("  x bool @default(1)\n"), 3, 19, "expected true or false");
    BAD(with_model("  x float8 @default(\"1\")\n"), 3, 21, "expected an integer or a decimal");
    BAD(with_model("  x text @default(now())\n"), 3, 19, "expected a \"string\"");
    BAD(with_model("  x jsonb @default(false)\n"), 3, 20, "expected a \"string\"");
    BAD(with_model("  x date @default(3)\n"), 3, 19,
        "expected a \"string\", now(), current_date, current_timestamp or another time "
        "function");
    BAD(with_model("  x uuid @default(\"not-a-uuid\")\n"), 3, 19, "is not a uuid");
    BAD(with_model("  x int2 @default(32768)\n"), 3, 19, "out of range for int2 (-32768 to 32767)");
    BAD(with_model("  x int4 @default(-2147483649)\n"), 3, 19, "out of range for int4");
    BAD(with_model("  x int8 @default(9223372036854775808)\n"), 3, 19, "out of range for int8");
    BAD(with_model("  x numeric(5,2) @default(1000)\n"), 3, 27,
        "does not fit numeric(5,2): at most 3 digits before the decimal point");
    BAD(with_model("  x varchar(2) @default(\"abc\")\n"), 3, 25,
        "3 characters long, longer than varchar(2)");
    BAD(with_model("  x bytea @default(\"x\")\n"), 3, 20, "not supported on bytea");
    BAD(with_model("  x serial @default(1)\n"), 3, 12, "@default is not allowed on serial");
    BAD(with_model("  x bigserial @default(1)\n"), 3, 15, "@default is not allowed on bigserial");
    BAD(with_model("  x ForeignKey[M] @default(\"a\")\n"), 3, 28, "does not fit type int4");
    /* fits: the edges */
    pgorm_schema *s = parse_ok(with_model("  a int2 @default(-32768)\n"
                                          "  b int8 @default(-9223372036854775808)\n"
                                          "  c numeric(5,2) @default(-999.999)\n"
                                          "  d varchar(2) @default(\"éé\")\n"
                                          "  e numeric(2,2) @default(0.5)\n"
                                          "  f ForeignKey[M]? @default(7)\n"));
    pgorm_schema_free(s);
}

static void test_type_parameters(void **state)
{
    (void)state;
    BAD(with_model("  x numeric(0, 0)\n"), 3, 13, "numeric precision must be between 1 and 1000");
    BAD(with_model("  x numeric(1001, 0)\n"), 3, 13, "between 1 and 1000");
    BAD(with_model("  x numeric(99999999999999999999, 0)\n"), 3, 13, "between 1 and 1000");
    BAD(with_model("  x numeric(5, 6)\n"), 3, 16,
        "numeric scale must be between 0 and the precision 5");
    BAD(with_model("  x numeric(5, -1)\n"), 3, 16, "numeric scale");
    BAD(with_model("  x varchar(0)\n"), 3, 13, "varchar length must be at least 1");
    BAD(with_model("  x varchar(-3)\n"), 3, 13, "at least 1");
    BAD(with_model("  x varchar(10485761)\n"), 3, 13, "at most 10485760");
    BAD(with_model("  x char(0)\n"), 3, 10,
        "char length must be at least 1 (in char(n); PostgreSQL pads the value with blanks");
    BAD(with_model("  x char(10485761)\n"), 3, 10, "char length must be at most 10485760");
    BAD(with_model("  x char(2) @default(\"abc\")\n"), 3, 22,
        "@default string is 3 characters long, longer than char(2) allows");
    BAD(with_model("  x interval @default(3)\n"), 3, 23,
        "@default(3) does not fit type interval: expected a \"string\"");
    BAD(with_model("  x inet @default(true)\n"), 3, 19, "does not fit type inet");
    BAD(with_model("  x json @unique\n"), 3, 10,
        "a json field cannot be @unique: json has no equality, so no key or index holds it "
        "(jsonb has one: use jsonb)");
    BAD(with_model("  x json @index\n"), 3, 10, "a json field cannot be @index");
    BAD("model A {\n  x json @id\n}\n", 2, 10, "a json field cannot be @id");
    BAD(with_model("  x json\n  y int4\n  @@index(y, x)\n"), 5, 14,
        "json field 'x' cannot be in @@index: json has no equality");
}

static void test_too_many_columns(void **state)
{
    (void)state;
    char body[4096] = "";
    /* id + 63 = 64 columns: fine; a BackReference does not count */
    for (int i = 1; i < 64; i++) {
        char line[32];
        snprintf(line, sizeof line, "  c%d int4\n", i);
        strcat(body, line);
    }
    strcat(body, "  kids BackReference[K]\n");
    char *end = body + strlen(body);
    strcat(body, "}\nmodel K { id int4 @id\n  m ForeignKey[M]\n");
    pgorm_schema *s = parse_ok(with_model(body));
    pgorm_schema_free(s);
    /* one more: column 65, on line 2 + 63 + 2 = 67 */
    *end = '\0';
    strcat(body, "  parent ForeignKey[M]?\n}\nmodel K { id int4 @id\n  m ForeignKey[M]\n");
    BAD(with_model(body), 67, 3,
        "model 'M' has more than 64 columns (pgorm's limit); 'parent' is column 65");
}

/* ---- enums ------------------------------------------------------------------ */

static void test_enums(void **state)
{
    (void)state;
    /* declared after the model that uses it; commas optional; @renamed_from */
    pgorm_schema *s = parse_ok("model Post {\n"
                               "  id     int4 @id\n"
                               "  status Status @default(draft)\n"
                               "  prev   Status?\n"
                               "}\n"
                               "enum Status { draft, published\n"
                               "  archived @renamed_from(old) }\n"
                               "enum TicketKind { bug }\n");
    assert_int_equal(s->nenums, 2);
    const pgorm_enum *e = pgorm_schema_enum(s, "Status");
    assert_non_null(e);
    assert_string_equal(e->type, "status");
    assert_int_equal(e->nvalues, 3);
    assert_string_equal(e->values[0].name, "draft");
    assert_string_equal(e->values[2].name, "archived");
    assert_string_equal(e->values[2].renamed_from, "old");
    assert_null(e->values[0].renamed_from);
    assert_int_equal(e->values[1].pos.line, 6);
    assert_int_equal(e->values[1].pos.col, 22);
    assert_string_equal(s->enums[1].type, "ticket_kind");
    const pgorm_model *m = pgorm_schema_model(s, "Post");
    const pgorm_field *f = pgorm_model_field(m, "status");
    assert_int_equal(f->type.scalar, PGORM_S_ENUM);
    assert_string_equal(f->enum_name, "Status");
    assert_int_equal(f->enum_index, 0);
    assert_ptr_equal(pgorm_field_enum(s, f), e);
    assert_false(f->nullable);
    assert_int_equal(f->def.kind, PGORM_DEFAULT_ENUM);
    assert_string_equal(f->def.text, "draft");
    assert_true(pgorm_model_field(m, "prev")->nullable);
    assert_null(pgorm_field_enum(s, pgorm_model_field(m, "id")));
    pgorm_schema_free(s);

    /* a ForeignKey to a model keyed by an enum gets the enum type */
    s = parse_ok("enum Code { a b }\nmodel K { code Code @id }\n"
                 "model R { id int4 @id\n  k ForeignKey[K] }\n");
    f = pgorm_model_field(pgorm_schema_model(s, "R"), "k");
    assert_int_equal(f->type.scalar, PGORM_S_ENUM);
    assert_string_equal(f->enum_name, "Code");
    pgorm_schema_free(s);
}

static void test_enum_errors(void **state)
{
    (void)state;
    BAD("enum Status { draft published }\n"
        "model M {\n  id int4 @id\n  s Status @default(drafty)\n}\n",
        4, 21,
        "@default(drafty) is not a value of enum 'Status' (its values: draft, published); did "
        "you mean 'draft'?");
    BAD("enum Status { draft published }\n"
        "model M {\n  id int4 @id\n  s Status @default(\"draft\")\n}\n",
        4, 21, "does not fit enum 'Status': expected one of its values, written as a name");
    BAD("enum Status { draft draft }\nmodel M { id int4 @id }\n", 1, 21,
        "duplicate value 'draft' in enum 'Status' (first at line 1, column 15)");
    BAD("enum Status { }\nmodel M { id int4 @id }\n", 1, 6,
        "enum 'Status' has no values: list them between the braces");
    BAD("enum M { a }\nmodel M { id int4 @id }\n", 1, 6,
        "enum 'M' has the name of model 'M' (line 2)");
    BAD("enum Book { a }\nmodel Books { id int4 @id\n @@table(book) }\n", 1, 6,
        "enum 'Book' maps to SQL type 'book', the name of table 'book' of model 'Books'");
    BAD("enum S { a }\nenum S { b }\nmodel M { id int4 @id }\n", 2, 6,
        "duplicate enum 'S' (first defined at line 1)");
    BAD("enum S { a 5 }\nmodel M { id int4 @id }\n", 1, 12,
        "expected a value name, ',' or '}' in enum 'S', found number 5");
    BAD("enum S { a b @renamed_from(a) }\nmodel M { id int4 @id }\n", 1, 12,
        "says @renamed_from(a), but the enum still has a value 'a'");
    BAD("enum S { a @old }\nmodel M { id int4 @id }\n", 1, 13,
        "unknown attribute 'old' on enum value 'a'");
    BAD("enum S { a\nmodel M { id int4 @id }\n", 1, 8,
        "enum 'S' is not closed: expected '}' before the next model (line 2)");
    BAD("enum { a }\nmodel M { id int4 @id }\n", 1, 6, "expected an enum name after 'enum'");
    /* an unknown type lists the file's enums, and suggests one */
    BAD("enum Status { a }\nmodel M {\n  id int4 @id\n  s Statuss\n}\n", 4, 5,
        "BackReference[Model], ManyToMany[Model], or an enum of the file: Status); did you mean "
        "'Status'?");
    /* a bare name as the default of a non-enum field */
    BAD(with_model("  x int4 @default(draft)\n"), 3, 19,
        "@default(draft) does not fit type int4: expected an integer");
}

/* Several errors in one run, in source order, and no error caused by
   another one. */
static void test_recovery(void **state)
{
    (void)state;
    static const char src[] = "model Author {\n"                    /* 1 */
                              "  id     bigserial  @id\n"           /* 2 */
                              "  name   Text\n"                     /* 3: unknown type */
                              "  email  text?  @uniqe\n"            /* 4: unknown attribute */
                              "  books  BackReference[Book]\n"      /* 5 */
                              "  @@index(name, email)\n"            /* 6 */
                              "}\n"                                 /* 7 */
                              "model Book {\n"                      /* 8 */
                              "  id      bigserial @id\n"           /* 9 */
                              "  title   text @default(\"x\" 5)\n"  /* 10: syntax */
                              "  author  ForeignKy[Author]\n"       /* 11: unknown type */
                              "  pages   int4 @default(\"many\")\n" /* 12: bad default */
                              "  @@index(title, pages, nope)\n"     /* 13: unknown field */
                              "}\n"                                 /* 14 */
                              "model Shelf {\n"                     /* 15 */
                              "  id int4 $\n"                       /* 16: stray char */
                              "  book ForeignKey[Book]\n"           /* 17 */
                              "}\n";
    pgorm_diag d[16];
    size_t n = 0;
    assert_null(pgorm_schema_parse("t.pgorm", src, sizeof src - 1, d, 16, &n));
    static const struct {
        int line, col;
        const char *sub;
    } want[] = {
        {3, 10, "unknown type 'Text'"},
        {4, 18, "unknown attribute '@uniqe'"},
        {10, 29, "expected ')' to close @default"},
        {11, 11, "unknown type 'ForeignKy'"},
        {12, 25, "does not fit type int4"},
        {13, 25, "unknown field 'nope'"},
        {16, 11, "unexpected character '$'"},
    };
    size_t nw = sizeof want / sizeof want[0];
    bool ok = n == nw;
    for (size_t i = 0; ok && i < nw; i++)
        ok = d[i].pos.line == want[i].line && d[i].pos.col == want[i].col &&
             strstr(d[i].message, want[i].sub) != NULL;
    if (!ok) {
        print_diags(d, n, 16);
        fail_msg("recovery: expected %zu diagnostics in order", nw);
    }
}

static void test_diag_limits(void **state)
{
    (void)state;
    /* many errors: counted, capped, and only maxdiags written */
    char src[8192] = "model A {\n  id int4 @id\n";
    for (int i = 0; i < 300; i++)
        strcat(src, "  x int9\n");
    strcat(src, "}\n");
    pgorm_diag d[3];
    memset(d, 0x5A, sizeof d);
    size_t n = 0;
    assert_null(pgorm_schema_parse("t", src, strlen(src), d, 2, &n));
    assert_true(n >= 2);
    assert_true(n <= 200);
    assert_int_equal(d[0].pos.line, 3);
    assert_int_equal(d[1].pos.line, 4);
    assert_int_equal((unsigned char)d[2].message[0], 0x5A); /* untouched */
    /* no diags array at all */
    n = 0;
    assert_null(pgorm_schema_parse("t", "model", 5, NULL, 0, &n));
    assert_int_equal(n, 1);
    /* an unreadable file */
    n = 0;
    assert_null(pgorm_schema_parse_file("/nonexistent/x.pgorm", d, 3, &n));
    assert_int_equal(n, 1);
    assert_int_equal(d[0].pos.line, 0);
    assert_non_null(strstr(d[0].message, "cannot read '/nonexistent/x.pgorm'"));
    assert_null(pgorm_schema_parse_file(PGORM_SOURCE_DIR "/tests", d, 3, &n));
    assert_int_equal(n, 1);
    assert_non_null(strstr(d[0].message, "cannot read"));
}

/* ---- robustness ------------------------------------------------------------------------- */

/* Checks every diagnostic of a failed parse: inside the text (or 0:0), a
   non-empty, terminated message. */
static void check_result(const char *text, size_t len, pgorm_schema *s, const pgorm_diag *d,
                         size_t n, size_t max)
{
    if (s) {
        assert_int_equal(n, 0);
        pgorm_schema_free(s);
        return;
    }
    assert_true(n >= 1);
    int lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    for (size_t i = 0; i < n && i < max; i++) {
        assert_true(memchr(d[i].message, '\0', sizeof d[i].message) != NULL);
        assert_true(d[i].message[0] != '\0');
        assert_true(d[i].pos.line >= 1 && d[i].pos.line <= lines);
        assert_true(d[i].pos.col >= 1 && (size_t)d[i].pos.col <= len + 1);
    }
}

static char *read_schema(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", SCHEMAS, name);
    char *t = pgt_read_file(path, len);
    assert_non_null(t);
    return t;
}

static void fuzz_one(const char *text, size_t len)
{
    pgorm_diag d[8];
    size_t n = 0;
    /* a copy of exactly len bytes, so ASan sees any read past the end */
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    pgorm_schema *s = pgorm_schema_parse("f", copy, len, d, 8, &n);
    check_result(copy, len, s, d, n, 8);
    free(copy);
}

static void test_truncations(void **state)
{
    (void)state;
    const char *files[] = {"valid_bookstore.pgorm", "valid_all.pgorm", "ddl_sql_schemas.pgorm"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        size_t len;
        char *t = read_schema(files[k], &len);
        for (size_t cut = 0; cut <= len; cut++)
            fuzz_one(t, cut);
        free(t);
    }
}

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: deterministic, so a failure reproduces */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void test_mutations(void **state)
{
    (void)state;
    static const char bytes[] = {'\0', '\n', '"', '\\',       '{',        '}',       '(', ')',
                                 '[',  ']',  '@', '?',        '.',        ',',       '-', '9',
                                 'x',  ' ',  '/', (char)0xC3, (char)0xFF, (char)0x80};
    const char *files[] = {"valid_bookstore.pgorm", "valid_all.pgorm", "ddl_sql_schemas.pgorm"};
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        size_t len;
        char *t = read_schema(files[k], &len);
        char *buf = malloc(len + 64);
        assert_non_null(buf);
        /* every position, a few replacement bytes each (stride on the big file) */
        size_t stride = len > 2000 ? 3 : 1;
        for (size_t i = 0; i < len; i += stride) {
            for (size_t b = 0; b < sizeof bytes; b += (i % 2) + 1) {
                memcpy(buf, t, len);
                buf[i] = bytes[b];
                fuzz_one(buf, len);
            }
            /* deletion of one byte */
            memcpy(buf, t, i);
            memcpy(buf + i, t + i + 1, len - i - 1);
            fuzz_one(buf, len - 1);
        }
        /* random multi-byte edits: replace, insert, delete, duplicate a span */
        for (int iter = 0; iter < 3000; iter++) {
            memcpy(buf, t, len);
            size_t n = len;
            int edits = 1 + (int)(rng_next(&seed) % 6);
            for (int e = 0; e < edits && n > 0; e++) {
                size_t at = rng_next(&seed) % n;
                switch (rng_next(&seed) % 4) {
                case 0: buf[at] = (char)(rng_next(&seed) & 0xFF); break;
                case 1:
                    if (n < len + 60) {
                        memmove(buf + at + 1, buf + at, n - at);
                        buf[at] = bytes[rng_next(&seed) % sizeof bytes];
                        n++;
                    }
                    break;
                case 2:
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                    break;
                default: {
                    size_t span = 1 + rng_next(&seed) % 8;
                    if (at + span <= n && n + span <= len + 60) {
                        memmove(buf + at + span, buf + at, n - at);
                        n += span;
                    }
                }
                }
            }
            fuzz_one(buf, n);
        }
        free(buf);
        free(t);
    }
}

/* Allocation failures: fail the Nth allocation for every N. Each run must
   return either a schema or "out of memory", and leak nothing. */
static long oom_countdown = -1;
static long oom_live;

static void *oom_malloc(size_t n)
{
    if (oom_countdown == 0)
        return NULL;
    if (oom_countdown > 0)
        oom_countdown--;
    void *p = malloc(n);
    if (p)
        oom_live++;
    return p;
}

static void *oom_realloc(void *p, size_t n)
{
    if (oom_countdown == 0)
        return NULL;
    if (oom_countdown > 0)
        oom_countdown--;
    void *q = realloc(p, n);
    if (q && !p)
        oom_live++;
    return q;
}

static void oom_free(void *p)
{
    if (p)
        oom_live--;
    free(p);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    size_t len;
    char *t = read_schema("valid_all.pgorm", &len);
    /* with an error too, so the diagnostics path runs out of memory as well */
    static const char bad[] = "model A { x Texte\n y int4 @uniq }\nmodel B { a ForeignKey[Q] }\n";
    const pgorm_allocator a = {oom_malloc, oom_realloc, oom_free};
    pgorm_set_allocator(&a);
    const char *texts[] = {t, bad};
    size_t lens[] = {len, sizeof bad - 1};
    for (int k = 0; k < 2; k++) {
        bool succeeded_without_failure = false;
        for (long fail_at = 0; !succeeded_without_failure && fail_at < 100000; fail_at++) {
            oom_countdown = fail_at;
            oom_live = 0;
            pgorm_diag d[4];
            size_t n = 0;
            pgorm_schema *s = pgorm_schema_parse("x", texts[k], lens[k], d, 4, &n);
            bool injected = oom_countdown == 0;
            if (s) {
                pgorm_schema_free(s);
                assert_int_equal(n, 0);
            } else if (injected && n == 1 && d[0].pos.line == 0) {
                assert_string_equal(d[0].message, "out of memory");
            } else {
                assert_true(n >= 1);
                assert_true(d[0].pos.line > 0);
            }
            if (oom_live != 0) {
                pgorm_set_allocator(NULL);
                fail_msg("leak of %ld blocks when allocation %ld fails", oom_live, fail_at);
            }
            succeeded_without_failure = !injected;
        }
        assert_true(succeeded_without_failure);
    }
    oom_countdown = -1;
    pgorm_set_allocator(NULL);
    free(t);
}

/* ---- the invalid/ directory: each file says what it expects -------------------------------- */

/* Lines "// expect: LINE:COL: text" at the top of each file. */
typedef struct expectation {
    int line, col;
    char text[256];
} expectation;

static size_t read_expectations(const char *text, expectation *out, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while ((p = strstr(p, "// expect: ")) != NULL && n < max) {
        p += strlen("// expect: ");
        int consumed = 0;
        if (sscanf(p, "%d:%d: %n", &out[n].line, &out[n].col, &consumed) == 2 && consumed > 0) {
            const char *e = strchr(p, '\n');
            size_t l = e ? (size_t)(e - p - consumed) : strlen(p + consumed);
            if (l >= sizeof out[n].text)
                l = sizeof out[n].text - 1;
            memcpy(out[n].text, p + consumed, l);
            out[n].text[l] = '\0';
            n++;
        }
    }
    return n;
}

typedef void (*invalid_fn)(const char *path, const char *text, size_t len, const expectation *e,
                           size_t ne);

static size_t for_each_invalid(invalid_fn fn)
{
    DIR *dir = opendir(SCHEMAS "invalid");
    assert_non_null(dir);
    struct dirent *ent;
    size_t count = 0;
    while ((ent = readdir(dir)) != NULL) {
        size_t l = strlen(ent->d_name);
        if (l < 7 || strcmp(ent->d_name + l - 6, ".pgorm") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%sinvalid/%s", SCHEMAS, ent->d_name);
        size_t len;
        char *text = pgt_read_file(path, &len);
        assert_non_null(text);
        expectation e[16];
        size_t ne = read_expectations(text, e, 16);
        if (ne == 0)
            fail_msg("%s has no '// expect: LINE:COL: text' lines", path);
        fn(path, text, len, e, ne);
        free(text);
        count++;
    }
    closedir(dir);
    return count;
}

static void invalid_parse(const char *path, const char *text, size_t len, const expectation *e,
                          size_t ne)
{
    pgorm_diag d[32];
    size_t n = 0;
    pgorm_schema *s = pgorm_schema_parse(path, text, len, d, 32, &n);
    bool ok = !s && n == ne;
    for (size_t i = 0; ok && i < ne; i++)
        ok = d[i].pos.line == e[i].line && d[i].pos.col == e[i].col &&
             strstr(d[i].message, e[i].text) != NULL;
    if (!ok) {
        print_error("%s:\n", path);
        print_diags(d, n, 32);
        pgorm_schema_free(s);
        fail_msg("%s: expected %zu diagnostics as its '// expect:' lines say", path, ne);
    }
}

static void test_invalid_files(void **state)
{
    (void)state;
    assert_true(for_each_invalid(invalid_parse) >= 3);
}

/* ---- the command line ------------------------------------------------------------------------ */

static const char *cli(void)
{
    const char *c = getenv("PGORM_CLI");
    if (!c)
        fail_msg("PGORM_CLI is not set (run through ctest)");
    return c;
}

static int run_check(const char *args, char **out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' check %s", cli(), args);
    return pgt_run(cmd, out);
}

static void test_cli_valid(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(run_check(SCHEMAS "valid_bookstore.pgorm", &out), 0);
    assert_string_equal(out, "ok: 2 models\n");
    free(out);
    assert_int_equal(run_check(SCHEMAS "valid_all.pgorm", &out), 0);
    assert_string_equal(out, "ok: 12 models\n");
    free(out);
}

static void invalid_cli(const char *path, const char *text, size_t len, const expectation *e,
                        size_t ne)
{
    (void)text;
    (void)len;
    char *out = NULL;
    char arg[1100];
    snprintf(arg, sizeof arg, "'%s'", path);
    int rc = run_check(arg, &out);
    if (rc != 1)
        fail_msg("pgorm check %s: exit %d, expected 1; output:\n%s", path, rc, out);
    /* exactly one line per diagnostic, each "file:line:col: message" */
    size_t lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, ne);
    const char *p = out;
    for (size_t i = 0; i < ne; i++) {
        char head[1200];
        snprintf(head, sizeof head, "%s:%d:%d: ", path, e[i].line, e[i].col);
        if (strncmp(p, head, strlen(head)) != 0)
            fail_msg("expected a line starting '%s', got:\n%s", head, out);
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_non_null(strstr(p, e[i].text));
        p = nl + 1;
    }
    free(out);
}

static void test_cli_invalid(void **state)
{
    (void)state;
    assert_true(for_each_invalid(invalid_cli) >= 3);
}

static void test_cli_usage_and_io(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(run_check("/nonexistent/schema.pgorm", &out), 2);
    assert_non_null(strstr(out, "cannot read '/nonexistent/schema.pgorm'"));
    free(out);
    assert_int_equal(run_check(PGORM_SOURCE_DIR "/tests", &out), 2);
    assert_non_null(strstr(out, "cannot read"));
    free(out);
    assert_int_equal(run_check("", &out), 1);
    assert_non_null(strstr(out, "usage: pgorm check SCHEMA"));
    free(out);
    assert_int_equal(run_check("a.pgorm b.pgorm", &out), 1);
    assert_non_null(strstr(out, "usage"));
    free(out);
    /* diagnostics go to stderr, nothing to stdout */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "{ '%s' check '%sinvalid/relationships.pgorm' 2>/dev/null; }", cli(),
             SCHEMAS);
    assert_int_equal(pgt_run(cmd, &out), 1);
    assert_string_equal(out, "");
    free(out);
}


/* ---- checks and expression defaults ----------------------------------------- */

static void test_checks(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok("model Author {\n  id serial @id\n}\n"
                               "model BookItem {\n"
                               "  id serial @id\n"
                               "  pages int4 @check(\"pages > 0\")\n"
                               "  author ForeignKey[Author] @check(\"author_id <> 13\")\n"
                               "  title text @unique @check(\"title <> ''\") @default(\"x\")\n"
                               "  @@check(short_title, \"length(title) < 100 AND pages < 5000\")\n"
                               "  @@check(raw, \"\"\"pages\n   <> 7\"\"\")\n"
                               "}\n"
                               "model Other {\n  id int4 @id @check(\"id > 0\")\n  @@table(stuff)\n}\n");
    const pgorm_model *m = pgorm_schema_model(s, "BookItem");
    assert_non_null(m);
    assert_int_equal(m->nchecks, 5);
    /* field-level: PostgreSQL's name for a column check, the column's name
       (author_id for a ForeignKey) */
    assert_string_equal(m->checks[0].name, "book_item_pages_check");
    assert_string_equal(m->checks[0].expr, "pages > 0");
    assert_string_equal(m->checks[0].field, "pages");
    assert_int_equal(m->checks[0].pos.line, 6);
    assert_int_equal(m->checks[0].pos.col, 14);
    assert_int_equal(m->checks[0].expr_pos.col, 21);
    assert_string_equal(m->checks[1].name, "book_item_author_id_check");
    assert_string_equal(m->checks[1].field, "author");
    assert_string_equal(m->checks[2].name, "book_item_title_check");
    assert_string_equal(m->checks[2].expr, "title <> ''");
    assert_string_equal(m->checks[3].name, "short_title");
    assert_null(m->checks[3].field);
    assert_string_equal(m->checks[3].expr, "length(title) < 100 AND pages < 5000");
    assert_int_equal(m->checks[3].pos.line, 9);
    assert_int_equal(m->checks[3].pos.col, 3);
    assert_string_equal(m->checks[4].expr, "pages\n   <> 7");
    /* the field keeps its other attributes */
    assert_true(field(s, "BookItem", "title")->is_unique);
    assert_int_equal(field(s, "BookItem", "title")->def.kind, PGORM_DEFAULT_STRING);
    const pgorm_model *o = pgorm_schema_model(s, "Other");
    assert_int_equal(o->nchecks, 1);
    assert_string_equal(o->checks[0].name, "stuff_id_check"); /* after @@table */
    assert_int_equal(pgorm_schema_model(s, "Author")->nchecks, 0);
    pgorm_schema_free(s);

    /* a long name is cut like PostgreSQL's own (names.c) */
    s = parse_ok("model M {\n  id int4 @id\n"
                 "  a_very_long_column_name_that_goes_on_and_on_and_on_forever int4 "
                 "@check(\"a_very_long_column_name_that_goes_on_and_on_and_on_forever > 0\")\n}\n");
    const pgorm_check *ck = &pgorm_schema_model(s, "M")->checks[0];
    assert_true(strlen(ck->name) <= 63);
    assert_non_null(strstr(ck->name, "_check"));
    pgorm_schema_free(s);
}

static void test_check_errors(void **state)
{
    (void)state;
    BADN(with_model("  x int4 @check(x > 0)\n"), 2, 3, 17,
        "the expression of @check must be a \"string\" holding an SQL boolean expression, "
        "found 'x' (write @check(\"pages > 0\"))");
    BAD(with_model("  x int4 @check(5)\n"), 3, 17, "found number 5");
    BAD(with_model("  x int4 @check(\"  \")\n"), 3, 17,
        "the expression of @check is empty: write an SQL boolean expression");
    BAD(with_model("  x int4 @check\n"), 4, 1, "expected '(' after @check");
    BAD(with_model("  x int4 @check(\"x > 0\"\n  y int4\n"), 4, 3,
        "expected ')' to close @check(...)");
    BAD(with_model("  x int4 @check(\"x > 0\") @check(\"x < 9\")\n"), 3, 26,
        "duplicate @check on field 'x'");
    BADN(with_model("  x BackReference[M] @check(\"x > 0\")\n"), 2, 3, 22,
        "@check is not allowed on a BackReference");
    BAD(with_model("  x int4\n  @@check(\"x > 0\")\n"), 4, 11,
        "@@check needs a name first, found a string (write @@check(name, \"expr\")");
    BAD(with_model("  x int4\n  @@check(pos \"x > 0\")\n"), 4, 15,
        "expected ',' after the name in @@check(name, \"expr\")");
    BAD(with_model("  x int4\n  @@check(pos, x)\n"), 4, 16,
        "the expression of @@check must be a \"string\"");
    BAD(with_model("  x int4\n  @@check(pos, \"\")\n"), 4, 16,
        "the expression of @@check is empty");
    BAD(with_model("  x int4\n  @@check(pos, \"x > 0\")\n  @@check(pos, \"x < 9\")\n"), 5, 3,
        "duplicate check name 'pos' in model 'M' (first at line 4); give this one another name");
    /* a field check's derived name taken by a @@check */
    BAD(with_model("  x int4 @check(\"x > 0\")\n  @@check(m_x_check, \"x < 9\")\n"), 4, 3,
        "duplicate check name 'm_x_check' in model 'M' (first at line 3, the @check of field "
        "'x')");
    BAD(with_model("  x int4\n  @@check(m_x_check, \"x < 9\")\n  y int4 @check(\"y > 0\")\n"
                   "  @@check(m_y_check, \"y < 9\")\n"),
        6, 3, "duplicate check name 'm_y_check'");
    BAD(with_model("  x int4\n  @@check(a123456789a123456789a123456789a123456789a123456789a123456789a123456789, "
                   "\"x > 0\")\n"),
        4, 3, "is longer than 63 bytes");
    BAD(with_model("  x int4\n  @@chek(pos, \"x > 0\")\n"), 4, 5, "did you mean '@@check'?");
    BAD(with_model("  x int4 @chek(\"x > 0\")\n"), 3, 11, "did you mean '@check'?");
    /* errors in several checks are all reported */
    BADN(with_model("  x int4 @check(1)\n  y int4 @check(\"\")\n  @@check(\"z\")\n"), 3, 5, 11,
         "@@check needs a name first");
}

static void test_expression_defaults(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok(
        "model M {\n  id uuid @id @default(gen_random_uuid())\n"
        "  at timestamptz @default(now())\n  d date @default(current_date)\n"
        "  t timestamp @default(localtimestamp)\n  tz timestamptz @default(current_timestamp)\n"
        "  c timestamptz @default(clock_timestamp())\n"
        "  s timestamptz @default(statement_timestamp())\n"
        "  x timestamptz @default(transaction_timestamp())\n"
        "  n text @default(sql(\"lower('X')\"))\n"
        "  r int8? @default(sql(\"\"\"(1 + 2)\n * 3\"\"\"))\n}\n");
    assert_int_equal(field(s, "M", "id")->def.kind, PGORM_DEFAULT_SQL);
    assert_string_equal(field(s, "M", "id")->def.text, "gen_random_uuid()");
    assert_int_equal(field(s, "M", "at")->def.kind, PGORM_DEFAULT_NOW); /* as before */
    assert_string_equal(field(s, "M", "d")->def.text, "current_date");
    assert_string_equal(field(s, "M", "t")->def.text, "localtimestamp");
    assert_string_equal(field(s, "M", "tz")->def.text, "current_timestamp");
    assert_string_equal(field(s, "M", "c")->def.text, "clock_timestamp()");
    assert_string_equal(field(s, "M", "s")->def.text, "statement_timestamp()");
    assert_string_equal(field(s, "M", "x")->def.text, "transaction_timestamp()");
    assert_int_equal(field(s, "M", "n")->def.kind, PGORM_DEFAULT_SQL);
    assert_string_equal(field(s, "M", "n")->def.text, "lower('X')");
    assert_string_equal(field(s, "M", "r")->def.text, "(1 + 2)\n * 3");
    pgorm_schema_free(s);

    BAD(with_model("  x uuid @default(uuid_generate_v4())\n"), 3, 19,
        "unknown function 'uuid_generate_v4' in @default (known: now(), gen_random_uuid(), "
        "current_date, current_timestamp, localtimestamp, clock_timestamp(), "
        "statement_timestamp(), transaction_timestamp(); write any other SQL expression as "
        "@default(sql(\"uuid_generate_v4(...)\")))");
    BAD(with_model("  x uuid @default(gen_random_uid())\n"), 3, 19,
        "did you mean 'gen_random_uuid'?");
    BAD(with_model("  x uuid @default(gen_random_uuid)\n"), 3, 34,
        "expected '()' after gen_random_uuid (write @default(gen_random_uuid()))");
    BAD(with_model("  x uuid @default(gen_random_uuid(1))\n"), 3, 35,
        "expected ')' after gen_random_uuid( (gen_random_uuid takes no arguments)");
    BAD(with_model("  x date @default(current_date())\n"), 3, 31,
        "current_date takes no parentheses (write @default(current_date))");
    BAD(with_model("  x int4 @default(gen_random_uuid())\n"), 3, 19,
        "@default(gen_random_uuid()) does not fit type int4: it gives a uuid (for another "
        "expression write @default(sql(\"...\")))");
    BAD(with_model("  x text @default(current_date)\n"), 3, 19,
        "@default(current_date) does not fit type text: it gives a date or time");
    BAD(with_model("  x text @default(sql(lower))\n"), 3, 23,
        "sql(...) in @default takes the SQL expression as a \"string\", found 'lower'");
    BAD(with_model("  x text @default(sql(\"\"))\n"), 3, 23, "sql(\"\") in @default is empty");
    BAD(with_model("  x text @default(sql)\n"), 3, 22, "expected '(' after sql");
    BAD(with_model("  x text @default(sql(\"1\" \"2\"))\n"), 3, 27, "expected ')' to close sql(...)");
    BAD(with_model("  x serial @default(sql(\"1\"))\n"), 3, 12, "@default is not allowed on serial");
}

/* ---- keys and indexes (@index(false)) ------------------------------------------ */

/* ManyToMany[T] @through(J[, from, to]): resolved against the join model,
   and every way of getting it wrong. */
#define M2M_POST(attrs) \
    "model Post {\n  id int4 @id\n  tags ManyToMany[Tag]" attrs "\n}\n" \
    "model Tag {\n  id int4 @id\n}\n"
#define M2M_JOIN "model PostTag {\n  post ForeignKey[Post]\n  tag ForeignKey[Tag]\n  @@id(post, tag)\n}\n"

static void test_many_to_many(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok(M2M_POST(" @through(PostTag)") M2M_JOIN);
    const pgorm_field *f = field(s, "Post", "tags");
    assert_int_equal(f->kind, PGORM_FIELD_MANY_TO_MANY);
    assert_null(f->column); /* no column */
    assert_string_equal(s->models[f->target].name, "Tag");
    assert_string_equal(s->models[f->through].name, "PostTag");
    assert_string_equal(s->models[f->through].fields[f->through_from_fk].name, "post");
    assert_string_equal(s->models[f->through].fields[f->through_to_fk].name, "tag");
    pgorm_schema_free(s);

    /* self-referential, named both ways; and a @@unique pair instead of @@id */
    s = parse_ok("model M {\n  id int4 @id\n  out ManyToMany[M] @through(F, a, b)\n"
                 "  in ManyToMany[M] @through(F, b, a)\n}\n"
                 "model F {\n  id serial @id\n  a ForeignKey[M]\n  b ForeignKey[M]\n"
                 "  @@unique(b, a)\n}\n");
    f = field(s, "M", "in");
    assert_string_equal(s->models[f->through].fields[f->through_from_fk].name, "b");
    assert_string_equal(s->models[f->through].fields[f->through_to_fk].name, "a");
    pgorm_schema_free(s);

    BAD(M2M_POST("") M2M_JOIN, 3, 8,
        "ManyToMany[Tag] needs its join model: write @through(JoinModel), a model with one "
        "ForeignKey[Tag] and one ForeignKey to this model");
    BAD(M2M_POST(" @through(PostTag)"), 3, 33,
        "@through(PostTag): there is no model 'PostTag' (write the join model, with a "
        "ForeignKey[Post] and a ForeignKey[Tag]");
    BAD(M2M_POST(" @through(Post)") M2M_JOIN, 3, 33,
        "the join model must be a model of its own, not this model itself");
    /* a model that is not a join of the two */
    BAD(M2M_POST(" @through(PostTag)")
        "model PostTag {\n  post ForeignKey[Post]\n  tag int4\n  @@id(post, tag)\n}\n",
        3, 33, "@through(PostTag): PostTag has no ForeignKey to Tag; its ForeignKeys are: post "
               "(Post) (a join model has one ForeignKey to each side)");
    BAD(M2M_POST(" @through(PostTag)")
        "model PostTag {\n  id int4 @id\n  post ForeignKey[Post]\n  a ForeignKey[Tag]\n"
        "  b ForeignKey[Tag]\n}\n",
        3, 33, "PostTag has 2 ForeignKeys to Tag, so the join is ambiguous: name the two fields, "
               "@through(PostTag, from_field, to_field), among: post (Post), a (Tag), b (Tag)");
    BAD(M2M_POST(" @through(PostTag)")
        "model PostTag {\n  id int4 @id\n  post ForeignKey[Post]\n  tag ForeignKey[Tag]\n}\n",
        3, 33, "PostTag must store each pair once: give it @@id(post, tag) (or @@unique(post, tag))");
    BAD(M2M_POST(" @through(PostTag, post, label)") M2M_JOIN, 3, 48,
        "PostTag has no field 'label' (the second (to) field must be a ForeignKey[Tag]; its "
        "ForeignKeys are: post (Post), tag (Tag))");
    BAD(M2M_POST(" @through(PostTag, tag, tag)") M2M_JOIN, 3, 42,
        "field 'PostTag.tag' is not a ForeignKey to Post, as the first (from) field of "
        "ManyToMany 'tags' must be");
    BAD(M2M_POST(" @through(PostTag, post)") M2M_JOIN, 3, 46,
        "@through(PostTag, post) names one field: name both ForeignKey fields of PostTag");
    BAD(M2M_POST(" @through(PostTag, post, tag, x)") M2M_JOIN, 3, 51,
        "@through takes a join model and optionally its two ForeignKey fields");
    BAD(M2M_POST(" @through()") M2M_JOIN, 3, 33,
        "expected the join model's name in @through(...), found ')'");
    BAD(M2M_POST(" @through(PostTag) @unique") M2M_JOIN, 3, 42,
        "@unique is not allowed on a ManyToMany (it has no column; only @through(JoinModel) is)");
    BAD(M2M_POST("? @through(PostTag)") M2M_JOIN, 3, 23, "a ManyToMany cannot be nullable");
    BAD("model Post {\n  id int4 @id @through(PostTag)\n}\n", 2, 15,
        "@through is only valid on a ManyToMany field, and 'id' is a scalar");
    BAD("model M {\n  id int4 @id\n  f ManyToMany[M] @through(F)\n}\n"
        "model F {\n  a ForeignKey[M]\n  b ForeignKey[M]\n  @@id(a, b)\n}\n",
        3, 28, "ManyToMany[M] on M itself: say which ForeignKey of F points at this row and which "
               "at the related one, @through(F, from_field, to_field), among: a (M), b (M)");
    BAD(M2M_POST(" @through(Nope)") M2M_JOIN, 3, 33,
        "there is no model 'Nope' (write the join model, with a ForeignKey[Post] and a "
        "ForeignKey[Tag]; other models in this file: PostTag)");
}

static const pgorm_block *block_at(const pgorm_schema *s, const char *model, size_t i)
{
    const pgorm_model *m = pgorm_schema_model(s, model);
    assert_non_null(m);
    assert_true(i < m->nblocks);
    return &m->blocks[i];
}

static void test_index_options(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok(with_model("  title text\n"
                                          "  pages int4\n"
                                          "  tags jsonb\n"
                                          "  at timestamptz?\n"
                                          "  p ForeignKey[M]? @on_update(set_null) @on_delete(cascade)\n"
                                          "  @@index(title, where: \"pages > 100\")\n"
                                          "  @@index(sql(\"lower(title)\") desc, at desc, pages asc)\n"
                                          "  @@index(tags, type: gin)\n"
                                          "  @@index(title, type: btree)\n"
                                          "  @@index(sql(\"date_trunc('day', at)\"), where: \"at IS NOT NULL\", type: brin)\n"
                                          "  @@unique(title, where: \"pages > 0\")\n"));
    const pgorm_block *b = block_at(s, "M", 0);
    assert_int_equal(b->kind, PGORM_BLOCK_INDEX);
    assert_string_equal(b->where, "pages > 100");
    assert_int_equal(b->where_pos.line, 8);
    assert_int_equal(b->where_pos.col, 25);
    assert_null(b->method);
    assert_null(b->exprs);
    assert_null(b->desc);
    b = block_at(s, "M", 1);
    assert_int_equal(b->nfields, 3);
    assert_string_equal(b->exprs[0], "lower(title)");
    assert_string_equal(b->fields[0], "lower_title"); /* the word its name uses */
    assert_null(b->exprs[1]);
    assert_string_equal(b->fields[1], "at");
    assert_true(b->desc[0] && b->desc[1]);
    assert_false(b->desc[2]);
    b = block_at(s, "M", 2);
    assert_string_equal(b->method, "gin");
    assert_int_equal(b->method_pos.col, 23);
    assert_null(block_at(s, "M", 3)->method); /* btree is the default */
    b = block_at(s, "M", 4);
    assert_string_equal(b->fields[0], "date_trunc_at");
    assert_string_equal(b->where, "at IS NOT NULL");
    assert_string_equal(b->method, "brin");
    b = block_at(s, "M", 5);
    assert_int_equal(b->kind, PGORM_BLOCK_UNIQUE);
    assert_string_equal(b->where, "pages > 0");
    assert_int_equal(field(s, "M", "p")->on_update, PGORM_ON_DELETE_SET_NULL);
    assert_int_equal(field(s, "M", "p")->on_delete, PGORM_ON_DELETE_CASCADE);
    assert_int_equal(field(s, "M", "id")->on_update, PGORM_ON_DELETE_NO_ACTION);
    pgorm_schema_free(s);
    s = parse_ok(with_model("  x text\n  @@index(sql(\"1 + 2\"))\n"));
    assert_string_equal(block_at(s, "M", 0)->fields[0], "1_2");
    pgorm_schema_free(s);
    s = parse_ok(with_model("  x text\n  @@index(sql(\"'a' || 'b'\"))\n"));
    assert_string_equal(block_at(s, "M", 0)->fields[0], "expr");
    pgorm_schema_free(s);

    /* bad input */
    BAD(with_model("  x text\n  @@index(x, type: gin2)\n"), 4, 20,
        "unknown index type 'gin2' in @@index (expected one of: btree, hash, gin, gist, brin, "
        "spgist); did you mean 'gin'?");
    BAD(with_model("  x text\n  @@index(x, type: \"gin\")\n"), 4, 20, "unknown index type a string");
    BAD(with_model("  x text\n  @@index(x, where: pages)\n"), 4, 21,
        "where: in @@index takes the predicate of a partial index as a \"string\", found 'pages' "
        "(write where: \"pages > 100\")");
    BAD(with_model("  x text\n  @@index(x, where: \"  \")\n"), 4, 21, "where: in @@index is empty");
    BAD(with_model("  x text\n  @@index(x, where: \"a\", where: \"b\")\n"), 4, 26,
        "where: is written twice in this @@index");
    BAD(with_model("  x text\n  @@index(x, using: gin)\n"), 4, 14,
        "unknown argument 'using:' in @@index (expected where: \"predicate\" or type: method)");
    BAD(with_model("  x text\n  @@unique(x, type: hash)\n"), 4, 15,
        "unknown argument 'type:' in @@unique (expected where: \"predicate\")");
    BAD("model A {\n  x int4\n  @@id(x, where: \"x > 1\")\n}\n", 3, 11,
        "unknown argument 'where:' in @@id (@@id takes field names only)");
    BAD(with_model("  x text\n  @@index(where: \"x > 1\")\n"), 4, 11, "@@index needs its fields before where:");
    BAD(with_model("  x text\n  @@index(x, where: \"x > 1\", id)\n"), 4, 30,
        "expected a named argument (where: or type:) after the named arguments of @@index, found 'id'");
    BAD(with_model("  x text\n  @@index(x descending)\n"), 4, 13,
        "expected ',', ')', asc or desc after 'x' in @@index, found 'descending'");
    BAD(with_model("  x text\n  @@unique(x desc)\n"), 4, 14,
        "@@unique takes no sort order ('desc'): asc and desc are for @@index");
    BAD(with_model("  x text\n  @@unique(sql(\"lower(x)\"))\n"), 4, 12,
        "@@unique takes field names; an expression, sql(\"...\"), is for @@index only");
    BAD(with_model("  x text\n  @@index(sql(lower))\n"), 4, 15,
        "sql(...) in @@index takes the SQL expression as a \"string\", found 'lower'");
    BAD(with_model("  x text\n  @@index(sql(\"\"))\n"), 4, 15, "sql(\"\") in @@index is empty");
    BAD(with_model("  x text\n  @@index(sql(\"lower(x)\"\n"), 5, 1, "expected ')' to close sql(...)");
    BAD(with_model("  x text\n  @@index(x desc, type: gin)\n"), 4, 11,
        "desc needs a btree index, and this @@index has type: gin");
    BAD(with_model("  x text\n  y text\n  @@index(x, y, type: hash)\n"), 5, 23,
        "an index of type hash covers one field, and this @@index lists 2");
    BAD(with_model("  x text\n  @@index(sql(\"lower(x)\"), nope)\n"), 4, 28, "unknown field 'nope' in @@index");
    BAD(with_model("  x text @on_update(cascade)\n"), 3, 10,
        "@on_update is only valid on a ForeignKey field, and 'x' is not one");
    BAD(with_model("  p ForeignKey[M] @on_update(set_null)\n"), 3, 30,
        "@on_update(set_null) needs a nullable ForeignKey: write ForeignKey[M]?");
    BAD(with_model("  p ForeignKey[M] @on_update(nothing)\n"), 3, 30,
        "unknown @on_update action 'nothing' (expected one of: cascade, restrict, set_null, "
        "no_action)");
    BAD(with_model("  p ForeignKey[M] @on_update(cascade) @on_update(restrict)\n"), 3, 39,
        "duplicate @on_update on field 'p'");
}

static void test_fk_index_opt_out(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok(with_model("  a ForeignKey[M]? @index(false)\n"
                                          "  b ForeignKey[M]?\n"
                                          "  c text @index(true)\n"));
    assert_true(field(s, "M", "a")->no_index);
    assert_false(field(s, "M", "a")->is_index);
    assert_false(field(s, "M", "b")->no_index);
    assert_true(field(s, "M", "c")->is_index);
    pgorm_schema_free(s);

    BAD(with_model("  x text @index(false)\n"), 3, 17,
        "@index(false) is only valid on a ForeignKey field");
    BAD(with_model("  a ForeignKey[M]? @index(no)\n"), 3, 26, "@index takes no arguments but false");
    BAD(with_model("  a ForeignKey[M]? @index(false\n"), 4, 1, "expected ')' to close @index(...)");
    BAD(with_model("  a ForeignKey[M]? @index(false) @index\n"), 3, 34, "duplicate @index");
}


/* ---- SQL schemas ------------------------------------------------------------ */

static void test_sql_schemas(void **state)
{
    (void)state;
    /* no declaration: no schema anywhere */
    pgorm_schema *s = parse_ok("enum Kind { a b }\nmodel A {\n  id int4 @id\n  k Kind\n}\n");
    assert_null(s->default_schema);
    assert_null(s->models[0].schema);
    assert_null(s->enums[0].schema);
    assert_null(s->models[0].fields[1].enum_schema);
    pgorm_schema_free(s);

    /* the file's default, a model's own, an enum's own; one table name in
       two schemas */
    s = parse_ok("// header\nschema shop\n"
                 "enum Kind { a b }\n"
                 "enum Tier { gold @@schema(billing) silver }\n"
                 "model A {\n  id int4 @id\n  k Kind\n  t Tier\n}\n"
                 "model B {\n  id int4 @id\n  a ForeignKey[A]\n  @@schema(billing)\n"
                 "  @@table(a)\n}\n"
                 "model C {\n  id int4 @id\n  @@schema(public)\n}\n");
    assert_string_equal(s->default_schema, "shop");
    assert_int_equal(s->default_schema_pos.line, 2);
    assert_int_equal(s->default_schema_pos.col, 8);
    assert_string_equal(pgorm_schema_model(s, "A")->schema, "shop");
    assert_string_equal(pgorm_schema_model(s, "B")->schema, "billing");
    assert_string_equal(pgorm_schema_model(s, "B")->table, "a");
    assert_string_equal(pgorm_schema_model(s, "C")->schema, "public");
    assert_string_equal(pgorm_schema_enum(s, "Kind")->schema, "shop");
    assert_string_equal(pgorm_schema_enum(s, "Tier")->schema, "billing");
    assert_int_equal(pgorm_schema_enum(s, "Tier")->nvalues, 2);
    assert_string_equal(field(s, "A", "k")->enum_schema, "shop");
    assert_string_equal(field(s, "A", "t")->enum_schema, "billing");
    pgorm_schema_free(s);
}

static void test_sql_schema_errors(void **state)
{
    (void)state;
    BAD(with_model("  @@schema()\n"), 3, 12, "expected a schema name in @@schema(...), found ')'");
    BAD(with_model("  @@schema(\"app\")\n"), 3, 12, "expected a schema name in @@schema(...)");
    BAD(with_model("  @@schema(app)\n  @@schema(other)\n"), 4, 3,
        "duplicate @@schema in model 'M' (first at line 3)");
    BAD(with_model("  @@schema(pg_app)\n"), 3, 12,
        "schema name 'pg_app' is reserved by PostgreSQL");
    BAD(with_model("  @@schema(information_schema)\n"), 3, 12, "is reserved by PostgreSQL");
    BAD(with_model("  @@schema(app\n"), 4, 1, "expected ')' to close @@schema(...)");
    char longname[200];
    snprintf(longname, sizeof longname, "model M {\n  id int4 @id\n  @@schema(%064d)\n}\n", 0);
    BADN(longname, 0, 3, 12, "expected a schema name"); /* a number is not a name */
    snprintf(longname, sizeof longname, "model M {\n  id int4 @id\n  @@schema(s%064d)\n}\n", 0);
    BAD(longname, 3, 12, "is longer than 63 bytes");
    BAD("schema\nmodel M {\n  id int4 @id\n}\n", 1, 1, "expected a schema name in `schema name`");
    BAD("schema 5\nmodel M {\n  id int4 @id\n}\n", 1, 8, "expected a schema name in `schema name`");
    BAD("schema a\nschema b\nmodel M {\n  id int4 @id\n}\n", 2, 1,
        "duplicate `schema` declaration (the file's default schema is already 'a', line 1)");
    BAD("schema pg_catalog\nmodel M {\n  id int4 @id\n}\n", 1, 8, "is reserved by PostgreSQL");
    BAD("enum E { a @@schema() }\nmodel M {\n  id int4 @id\n}\n", 1, 21,
        "expected a schema name in @@schema(...)");
    BAD("enum E { a @@schema(x) @@schema(y) }\nmodel M {\n  id int4 @id\n}\n", 1, 24,
        "duplicate @@schema in enum 'E'");
    BAD("enum E { a @@table(x) }\nmodel M {\n  id int4 @id\n}\n", 1, 14,
        "expected @@schema(name) in enum 'E'");
    BAD("enum E { a @@schema(pg_x) }\nmodel M {\n  id int4 @id\n}\n", 1, 21,
        "is reserved by PostgreSQL");
    /* one table name twice in one schema (the default and an explicit one) */
    BAD("schema app\nmodel A {\n  id int4 @id\n}\nmodel B {\n  id int4 @id\n  @@table(a)\n"
        "  @@schema(app)\n}\n",
        7, 11, "model 'B' maps to table 'a', which model 'A' (line 2) already uses");
    /* recovery: a declaration after an error is still read */
    BADN("garbage\nschema pg_x\nmodel M {\n  id int4 @id\n}\n", 2, 2, 8,
         "is reserved by PostgreSQL");
    /* no schema and public are one */
    BAD("model A {\n  id int4 @id\n}\nmodel B {\n  id int4 @id\n  @@table(a)\n"
        "  @@schema(public)\n}\n",
        6, 11, "already uses");
}

/* ---- arrays ------------------------------------------------------------------ */

static void test_arrays(void **state)
{
    (void)state;
    char b[32];
    pgorm_schema *s = parse_ok(with_model("  tags text[]\n"
                                          "  scores int4[]? @index\n"
                                          "  names varchar(20)[] @default(sql(\"'{}'\"))\n"
                                          "  amounts numeric(10, 2)[]?\n"
                                          "  ids uuid[]\n"
                                          "  plain text\n"));
    const pgorm_field *f = field(s, "M", "tags");
    assert_true(f->type.array);
    assert_int_equal(f->type.scalar, PGORM_S_TEXT);
    assert_false(f->nullable);
    assert_string_equal(sqltype(f, b), "text[]");
    f = field(s, "M", "scores");
    assert_true(f->type.array && f->nullable && f->is_index);
    assert_string_equal(sqltype(f, b), "int4[]");
    f = field(s, "M", "names");
    assert_string_equal(sqltype(f, b), "varchar(20)[]");
    assert_int_equal(f->def.kind, PGORM_DEFAULT_SQL);
    assert_string_equal(sqltype(field(s, "M", "amounts"), b), "numeric(10,2)[]");
    assert_string_equal(sqltype(field(s, "M", "ids"), b), "uuid[]");
    assert_false(field(s, "M", "plain")->type.array);
    pgorm_schema_free(s);
    /* in a block index */
    s = parse_ok(with_model("  tags text[]\n  n int4\n  @@index(tags, n)\n"));
    pgorm_schema_free(s);

    BAD(with_model("  x text[][]\n"), 3, 11,
        "multi-dimensional arrays are not supported: write text[] (one dimension)");
    BAD(with_model("  x text[3]\n"), 3, 10,
        "expected ']' after 'text[', found number 3 (an array type is written text[], without a "
        "size)");
    BAD(with_model("  x serial[]\n"), 3, 11,
        "serial[] is not a type (a sequence belongs to one column): write int4[]");
    BAD(with_model("  x bigserial[]\n"), 3, 14, "write int8[]");
    BAD(with_model("  x ForeignKey[M][]\n"), 3, 18,
        "ForeignKey[M] cannot be an array ('[]' goes after a scalar type: text[], int4[], "
        "uuid[]...)");
    BAD(with_model("  x BackReference[M][]\n"), 3, 21, "BackReference[M] cannot be an array");
    BAD("enum Status { a b }\nmodel M {\n  id int4 @id\n  s Status[]\n}\n", 4, 5,
        "field 's': arrays of an enum (Status[]) are not supported; use text[] with a @check, or "
        "a scalar Status field");
    /* an unknown name with [] is still an unknown type */
    BAD(with_model("  x Nope[]\n"), 3, 5, "unknown type 'Nope'");
    BAD("model M {\n  x text[] @id\n}\n", 2, 12,
        "@id is not allowed on array field 'x' (text[]): a key is a scalar column");
    BAD(with_model("  x text[] @unique\n"), 3, 12,
        "@unique is not allowed on array field 'x' (text[]): a unique column is a scalar one "
        "(@index is allowed)");
    BAD(with_model("  x text[]\n  @@unique(x)\n"), 4, 12,
        "'x' is an array field; @@unique takes scalar fields (an array may be in @@index)");
    BAD(with_model("  x text[] @default(\"a\")\n"), 3, 21,
        "@default on array field 'x' (text[]) takes an SQL expression: write "
        "@default(sql(\"'{}'\")) for an empty array");
    BAD(with_model("  x uuid[] @default(gen_random_uuid())\n"), 3, 21,
        "@default on array field 'x' (uuid[]) takes an SQL expression");
    BAD("model M {\n  id int4 @id\n}\nquery Q(ids int8[]) {\n  sql \"SELECT 1\"\n}\n", 4, 17,
        "cannot be an array: arrays are for model fields only");
}

/* @@foreign_key: composite, to a unique non-key field, over ForeignKey
   fields by name; and every way it can be wrong, at file:line:col. */
static const char FK_BASE[] = "model Film {\n"          /* 1 */
                              "  id serial @id\n"       /* 2 */
                              "  code text @unique\n"   /* 3 */
                              "  note text\n"           /* 4 */
                              "  roles BackReference[Role]\n" /* 5 */
                              "}\n"                     /* 6 */
                              "model Cast {\n"          /* 7 */
                              "  film ForeignKey[Film]\n" /* 8 */
                              "  actor int4\n"          /* 9 */
                              "  @@id(film, actor)\n"   /* 10 */
                              "}\n"                     /* 11 */
                              "model Role {\n"          /* 12 */
                              "  id serial @id\n"       /* 13 */
                              "  film ForeignKey[Film]\n" /* 14 */
                              "  actor_no int4\n"       /* 15 */
                              "  film_code text?\n"     /* 16 */
                              "  small int2\n";         /* 17 */

static char *fk_schema(const char *tail)
{
    static char buf[2048];
    snprintf(buf, sizeof buf, "%s%s}\n", FK_BASE, tail);
    return buf;
}

static void test_model_foreign_keys(void **state)
{
    (void)state;
    pgorm_schema *s = parse_ok(fk_schema(
        "  @@foreign_key([film, actor_no], references: Cast([film, actor]), on_delete: cascade)\n"
        "  @@foreign_key([film_code], references: Film([code]), on_delete: set_null)\n"));
    const pgorm_model *role = pgorm_schema_model(s, "Role");
    assert_int_equal(role->nfkeys, 2);
    const pgorm_foreign_key *k = &role->fkeys[0];
    assert_int_equal(k->nfields, 2);
    assert_string_equal(k->fields[0], "film");
    assert_string_equal(k->fields[1], "actor_no");
    assert_string_equal(k->target_model, "Cast");
    assert_int_equal(k->ntarget_fields, 2);
    assert_string_equal(k->target_fields[1], "actor");
    assert_int_equal(k->on_delete, PGORM_ON_DELETE_CASCADE);
    assert_ptr_equal(&s->models[k->target], pgorm_schema_model(s, "Cast"));
    assert_int_equal(k->pos.line, 18);
    assert_int_equal(k->pos.col, 3);
    assert_int_equal(k->field_pos[1].col, 24);
    assert_int_equal(role->fkeys[1].on_delete, PGORM_ON_DELETE_SET_NULL);
    assert_ptr_equal(&s->models[role->fkeys[1].target], pgorm_schema_model(s, "Film"));
    pgorm_schema_free(s);
    /* the key's fields in another order than the key's: a set, as PostgreSQL has it */
    s = parse_ok(fk_schema("  @@foreign_key([actor_no, film], references: Cast([actor, film]))\n"));
    pgorm_schema_free(s);

    /* syntax */
    BAD(fk_schema("  @@foreign_key(film, references: Film([id]))\n"), 18, 17,
        "expected '[' to open the list of the model's fields, found 'film' (write "
        "@@foreign_key([a_id, b_id], references: Target([x, y]), on_delete: cascade))");
    BAD(fk_schema("  @@foreign_key([film] references: Film([id]))\n"), 18, 24,
        "expected ',' and 'references: Target([...])' after the fields");
    BAD(fk_schema("  @@foreign_key([film], target: Film([id]))\n"), 18, 25,
        "expected 'references:' in @@foreign_key, found 'target'");
    BAD(fk_schema("  @@foreign_key([film], references Film([id]))\n"), 18, 36,
        "expected ':' after 'references', found 'Film'");
    BAD(fk_schema("  @@foreign_key([film], references: Film(id))\n"), 18, 42,
        "expected '[' to open the list of the referenced fields, found 'id'");
    BAD(fk_schema("  @@foreign_key([film], references: Film([id]), on_delete: zap)\n"), 18, 60,
        "unknown on_delete action 'zap' (expected one of: cascade, restrict, set_null, "
        "no_action)");
    BAD(fk_schema("  @@foreign_key([film], references: Film([id])\n"), 19, 1,
        "expected ')' to close @@foreign_key(...)");
    BAD(fk_schema("  @@foreign_key([], references: Film([id]))\n"), 18, 18,
        "expected a field name in the list of the model's fields, found ']'");
    /* meaning */
    BAD(fk_schema("  @@foreign_key([nope], references: Film([id]))\n"), 18, 18,
        "unknown field 'nope' in model 'Role' (one of: id, film, actor_no, film_code, small)");
    BAD(fk_schema("  @@foreign_key([film_code], references: Flim([code]))\n"), 18, 42,
        "unknown model 'Flim' in @@foreign_key(..., references: Flim(...)) (one of: Film, "
        "Cast, Role)");
    BAD(fk_schema("  @@foreign_key([film_code], references: Film([roles]))\n"), 18, 48,
        "field 'roles' of model 'Film' is a BackReference, which has no column");
    BAD(fk_schema("  @@foreign_key([film_code], references: Film([note]))\n"), 18, 48,
        "the fields referenced in model 'Film' are not its primary key or one of its unique "
        "keys (PostgreSQL needs one): reference its @id / @@id fields, or add @@unique(...) "
        "over them to 'Film'");
    BAD(fk_schema("  @@foreign_key([film], references: Cast([film, actor]))\n"), 18, 43,
        "@@foreign_key names 1 field of 'Role' but 2 of 'Cast': write as many on both sides");
    BAD(fk_schema("  @@foreign_key([small], references: Film([id]))\n"), 18, 18,
        "field 'small' is int2 but the field it references, Film.id, is int4: the types of a "
        "foreign key must match (make 'small' int4)");
    BAD(fk_schema("  @@foreign_key([film, actor_no], references: Cast([film, actor]), on_delete: "
                  "set_null)\n"),
        18, 18, "on_delete: set_null needs field 'film' to be nullable");
    BAD(fk_schema("  @@foreign_key([film, film], references: Cast([film, actor]))\n"), 18, 24,
        "field 'film' is named twice in @@foreign_key");
}

/* The README's schema examples (each fenced block that starts with a model
   or an enum) are valid schema files, so what it shows is what the
   language takes. */
static void test_readme_schemas(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = pgt_read_file(PGORM_SOURCE_DIR "/README.md", &len);
    assert_non_null(text);
    int blocks = 0;
    /* fences are lines starting with ```; a block with no language tag whose
       first line starts with "model " or "enum " is a schema */
    char *p = text;
    while ((p = strstr(p, "```")) != NULL) {
        bool at_line = p == text || p[-1] == '\n';
        char *eol = strchr(p, '\n');
        if (!at_line || !eol) {
            p += 3;
            continue;
        }
        bool plain = eol == p + 3;
        char *body = eol + 1, *end = body;
        while ((end = strstr(end, "```")) != NULL && end[-1] != '\n')
            end += 3;
        if (!end)
            break;
        if (plain && (strncmp(body, "model ", 6) == 0 || strncmp(body, "enum ", 5) == 0)) {
            char saved = *end;
            *end = '\0';
            pgorm_schema_free(parse_ok(body));
            *end = saved;
            blocks++;
        }
        char *close = strchr(end, '\n');
        if (!close)
            break;
        p = close + 1;
    }
    assert_true(blocks >= 2);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bookstore),
        cmocka_unit_test(test_scalar_types),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_block_attributes),
        cmocka_unit_test(test_foreign_keys),
        cmocka_unit_test(test_back_references),
        cmocka_unit_test(test_keywords_as_names),
        cmocka_unit_test(test_comments_and_layout),
        cmocka_unit_test(test_valid_all),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_lexical_errors),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_unterminated_model),
        cmocka_unit_test(test_unknown_type_and_attribute),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_enum_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_block_fields),
        cmocka_unit_test(test_foreign_key_errors),
        cmocka_unit_test(test_back_reference_errors),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_check_errors),
        cmocka_unit_test(test_expression_defaults),
        cmocka_unit_test(test_type_parameters),
        cmocka_unit_test(test_too_many_columns),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_diag_limits),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_invalid_files),
        cmocka_unit_test(test_cli_valid),
        cmocka_unit_test(test_cli_invalid),
        cmocka_unit_test(test_cli_usage_and_io),
        cmocka_unit_test(test_fk_index_opt_out),
        cmocka_unit_test(test_sql_schemas),
        cmocka_unit_test(test_sql_schema_errors),
        cmocka_unit_test(test_index_options),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_many_to_many),
        cmocka_unit_test(test_model_foreign_keys),
        cmocka_unit_test(test_readme_schemas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
