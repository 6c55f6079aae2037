/* The diff of two schemas, without a database: every kind of change, every
   difference on a column, renames only when written, keys by definition. */
#include "pgtest.h"

#include <stdlib.h>
#include <string.h>

#include "migrate/catalog.h"
#include "migrate/diff.h"

/* The changes from a to b, one description per line. New string (free()). */
static char *changes(const char *a, const char *b)
{
    pgorm_schema *sa = pgt_parse_schema(a), *sb = pgt_parse_schema(b);
    mig_catalog *ca = mig_catalog_from_schema(sa), *cb = mig_catalog_from_schema(sb);
    assert_non_null(ca);
    assert_non_null(cb);
    mig_diff d;
    assert_true(mig_diff_compute(ca, cb, &d));
    pgorm_buf out = PGORM_BUF_INIT;
    for (size_t i = 0; i < d.n; i++) {
        mig_change_describe(&out, &d.items[i]);
        if (mig_change_lossy(&d.items[i]))
            pgorm_buf_puts(&out, " [lossy]");
        pgorm_buf_putc(&out, '\n');
    }
    pgorm_buf_puts(&out, "");
    char *s = strdup(out.data);
    pgorm_buf_free(&out);
    mig_diff_free(&d);
    mig_catalog_free(ca);
    mig_catalog_free(cb);
    pgorm_schema_free(sa);
    pgorm_schema_free(sb);
    return s;
}

#define EXPECT(a, b, want)                                                                     \
    do {                                                                                       \
        char *got_ = changes((a), (b));                                                        \
        if (strcmp(got_, (want)) != 0)                                                         \
            fail_msg("changes differ.\n--- got:\n%s--- want:\n%s", got_, (want));              \
        free(got_);                                                                            \
    } while (0)

static const char AUTHOR_BOOK[] = "model Author {\n"
                                  "  id bigserial @id\n"
                                  "  name text\n"
                                  "}\n"
                                  "model Book {\n"
                                  "  id bigserial @id\n"
                                  "  title text\n"
                                  "  author ForeignKey[Author]\n"
                                  "}\n";

static void test_same_schema_and_back_reference_change_nothing(void **state)
{
    (void)state;
    EXPECT(AUTHOR_BOOK, AUTHOR_BOOK, "");
    EXPECT(AUTHOR_BOOK,
           "model Author {\n  id bigserial @id\n  name text\n  books BackReference[Book]\n}\n"
           "model Book {\n  id bigserial @id\n  title text\n  author ForeignKey[Author]\n}\n",
           "");
    /* @unique on a field and @@unique over it are one constraint */
    EXPECT("model A {\n  id int4 @id\n  x text @unique\n  y int4 @index\n}\n",
           "model A {\n  id int4 @id\n  x text\n  y int4\n  @@unique(x)\n  @@index(y)\n}\n", "");
}

static void test_tables_and_columns(void **state)
{
    (void)state;
    EXPECT(AUTHOR_BOOK,
           "model Author {\n  id bigserial @id\n  name text\n  born date?\n}\n"
           "model Shelf {\n  id serial @id\n}\n",
           "drop table book [lossy]\n"
           "add column author.born date NULL\n"
           "create table shelf\n");
    EXPECT(AUTHOR_BOOK,
           "model Author {\n  id bigserial @id\n}\n"
           "model Book {\n  id bigserial @id\n  title text\n  author ForeignKey[Author]\n}\n",
           "drop column author.name [lossy]\n");
}

static void test_every_difference_on_a_column(void **state)
{
    (void)state;
    EXPECT("model A {\n  id int4 @id\n  x int8 @default(5)\n}\n",
           "model A {\n  id int4 @id\n  x int4? @default(7)\n}\n",
           "change type of a.x: int8 -> int4 [lossy]\n"
           "a.x: NOT NULL -> NULL\n"
           "change default of a.x: 5 -> 7\n");
    EXPECT("model A {\n  id int4 @id\n  x text? @default(\"a\")\n}\n",
           "model A {\n  id int4 @id\n  x varchar(20)\n}\n",
           "change type of a.x: text -> varchar(20) [lossy]\n"
           "a.x: NULL -> NOT NULL\n"
           "change default of a.x: \"a\" -> none\n");
    EXPECT("model A {\n  id serial @id\n  n numeric(10,2)\n  v varchar(10)\n  f float4\n}\n",
           "model A {\n  id bigserial @id\n  n numeric(12,2)\n  v text\n  f float8\n}\n",
           "change type of a.id: serial -> bigserial\n"
           "change type of a.n: numeric(10,2) -> numeric(12,2)\n"
           "change type of a.v: varchar(10) -> text\n"
           "change type of a.f: float4 -> float8\n");
    EXPECT("model A {\n  id int4 @id\n  n numeric(10,2)\n  v varchar(10)\n  t timestamp\n}\n",
           "model A {\n  id serial @id\n  n numeric(10,3)\n  v varchar(9)\n  t date\n}\n",
           "change type of a.id: int4 -> serial\n"
           "change type of a.n: numeric(10,2) -> numeric(10,3) [lossy]\n"
           "change type of a.v: varchar(10) -> varchar(9) [lossy]\n"
           "change type of a.t: timestamp -> date [lossy]\n");
}

static void test_renames_only_when_written(void **state)
{
    (void)state;
    EXPECT("model Writer {\n  id int4 @id\n  name text\n}\n",
           "model Author {\n  id int4 @id\n  full_name text @renamed_from(name)\n"
           "  @@renamed_from(Writer)\n}\n",
           "rename table writer to author\n"
           "rename column author.name to full_name\n");
    /* the same shapes without @renamed_from are a drop and an add */
    EXPECT("model Writer {\n  id int4 @id\n  name text\n}\n",
           "model Author {\n  id int4 @id\n  full_name text\n}\n",
           "drop table writer [lossy]\n"
           "create table author\n");
    /* a ForeignKey field renamed: its column is <old>_id */
    EXPECT(AUTHOR_BOOK,
           "model Author {\n  id bigserial @id\n  name text\n}\n"
           "model Book {\n  id bigserial @id\n  title text\n"
           "  writer ForeignKey[Author] @renamed_from(author)\n}\n",
           "rename column book.author_id to writer_id\n");
    /* once applied, the name matches and the rename is not repeated */
    EXPECT("model Author {\n  id int4 @id\n  full_name text\n}\n",
           "model Author {\n  id int4 @id\n  full_name text @renamed_from(name)\n}\n", "");
}

static void test_keys_by_definition(void **state)
{
    (void)state;
    EXPECT("model A {\n  id int4 @id\n  x int4\n  y int4\n  @@index(x, y)\n  @@unique(x)\n}\n",
           "model A {\n  id int4 @id\n  x int4\n  y int4\n  @@index(y, x)\n  @@unique(x, y)\n}\n",
           "drop unique on a (x)\n"
           "drop index on a (x, y)\n"
           "add unique on a (x, y)\n"
           "add index on a (y, x)\n");
    EXPECT("model A {\n  id int4 @id\n  x int4\n}\n",
           "model A {\n  id int4\n  x int4\n  @@id(id, x)\n}\n",
           "drop primary key on a (id)\n"
           "add primary key on a (id, x)\n");
}

static void test_foreign_keys(void **state)
{
    (void)state;
    EXPECT(AUTHOR_BOOK,
           "model Author {\n  id bigserial @id\n  name text\n}\n"
           "model Book {\n  id bigserial @id\n  title text\n"
           "  author ForeignKey[Author] @on_delete(cascade)\n}\n",
           "drop foreign key book.author_id -> author.id on delete no action\n"
           "add foreign key book.author_id -> author.id on delete cascade\n");
    EXPECT(AUTHOR_BOOK,
           "model Author {\n  id bigserial @id\n  name text\n}\n"
           "model Book {\n  id bigserial @id\n  title text\n  author ForeignKey[Book]?\n}\n",
           "book.author_id: NOT NULL -> NULL\n"
           "drop foreign key book.author_id -> author.id on delete no action\n"
           "add foreign key book.author_id -> book.id on delete no action\n");
}


static void test_checks(void **state)
{
    (void)state;
    static const char A[] = "model A {\n  id int4 @id\n  x int4 @check(\"x > 0\")\n"
                            "  @@check(pos, \"x < 9\")\n}\n";
    EXPECT(A, A, "");
    /* by name and expression: a changed one is a drop and an add */
    EXPECT(A,
           "model A {\n  id int4 @id\n  x int4 @check(\"x > 1\")\n  @@check(pos, \"x < 9\")\n}\n",
           "drop check a_x_check on a: x > 0\nadd check a_x_check on a: x > 1\n");
    EXPECT(A, "model A {\n  id int4 @id\n  x int4\n  @@check(other, \"x < 9\")\n}\n",
           "drop check a_x_check on a: x > 0\ndrop check pos on a: x < 9\n"
           "add check other on a: x < 9\n");
    /* a new table brings its checks with it */
    EXPECT("", A, "create table a\n");

    /* the server's spelling, when both sides have it, decides */
    mig_check a = {.name = "c", .expr = "x>0", .def_sql = "CHECK ((x > 0))"};
    mig_check b = {.name = "c", .expr = "x > 0", .def_sql = "CHECK ((x > 0))"};
    mig_check other_name = {.name = "d", .expr = "x>0", .def_sql = "CHECK ((x > 0))"};
    mig_check no_def = {.name = "c", .expr = "x>0"};
    assert_true(mig_check_eq(&a, &b));
    assert_false(mig_check_eq(&a, &other_name));
    b.def_sql = "CHECK ((x > 1))";
    assert_false(mig_check_eq(&a, &b));
    assert_true(mig_check_eq(&a, &no_def)); /* by the text as written */
    no_def.expr = "x > 0";
    assert_false(mig_check_eq(&a, &no_def));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_schema_and_back_reference_change_nothing),
        cmocka_unit_test(test_tables_and_columns),
        cmocka_unit_test(test_every_difference_on_a_column),
        cmocka_unit_test(test_renames_only_when_written),
        cmocka_unit_test(test_keys_by_definition),
        cmocka_unit_test(test_foreign_keys),
        cmocka_unit_test(test_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
