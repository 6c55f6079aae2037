/* `pgorm pull`: a schema file from a database made by hand-written SQL in
   the shape of a real sample database (tests/sql/pull_sample.sql: 15
   tables, 22 foreign keys, a cycle, composite keys, an enum, checks, a
   view, triggers, a domain). The file must pass `check`, give code that
   compiles with -Werror, and make `migrate make` write nothing; what it
   cannot express is there as comments. */
#include "migtest.h"

#include "migrate/introspect.h"
#include "migrate/pull.h"

typedef struct fx {
    pgt_db db;
    PGconn *c;
    char dir[64];
    char file[128];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    pgt_db_create(&f->db, "pull");
    f->c = pgt_connect(f->db.direct);
    mt_tmpdir(f->dir);
    snprintf(f->file, sizeof f->file, "%s/pulled.pgorm", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    PQfinish(f->c);
    pgt_db_drop(&f->db);
    mt_rmdir(f->dir);
    free(f);
    return 0;
}

static void load_sample(fx *f)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/sql/pull_sample.sql", PGORM_SOURCE_DIR);
    char *sql = pgt_read_file(path, NULL);
    assert_non_null(sql);
    pgt_exec(f->c, sql);
    free(sql);
}

static int cli(fx *f, char **out, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "DATABASE_URL='%s' %s %s", f->db.direct, mt_cli(), args);
    return pgt_run(cmd, out);
}

static void expect(const char *text, const char *what)
{
    if (!strstr(text, what))
        fail_msg("the pulled file lacks \"%s\":\n%s", what, text);
}

static void test_pull_sample_database(void **state)
{
    fx *f = *state;
    load_sample(f);
    char args[1024], *out = NULL;
    snprintf(args, sizeof args, "pull -o %s", f->file);
    if (cli(f, &out, args) != 0)
        fail_msg("pull failed:\n%s", out);
    free(out);
    char *text = pgt_read_file(f->file, NULL);
    assert_non_null(text);

    expect(text, "// `pgorm migrate make` with this file against that database writes nothing.\n");
    /* models, keys, the cycle, composite keys, back references by constraint */
    expect(text, "model FilmActor {\n");
    expect(text, "  actor       ForeignKey[Actor] @on_delete(restrict)\n");
    expect(text, "  @@id(actor, film)\n");
    /* a ForeignKey column with an index of its own, and one served by a key */
    expect(text, "  city        ForeignKey[City] @on_delete(restrict) @index\n");
    expect(text, "  film        ForeignKey[Film] @on_delete(restrict) @index\n");
    expect(text, "  manager_staff ForeignKey[Staff] @on_delete(restrict) @unique\n");
    expect(text, "  store       ForeignKey[Store] @on_delete(restrict) @index(false)\n"); /* staff -> store */
    expect(text, "  language_films          BackReference[Film.language]\n");
    expect(text, "  original_language_films BackReference[Film.original_language]\n");
    expect(text, "  original_language ForeignKey[Language]? @on_delete(restrict) @index(false)\n");
    expect(text, "  rental       ForeignKey[Rental]? @on_delete(set_null) @on_update(cascade) "
                 "@index(false)\n");
    expect(text, "  film_categories BackReference[FilmCategory]\n");
    expect(text, "  @@unique(rental_date, inventory, customer)\n");
    expect(text, "  @@index(store, last_name)\n");
    expect(text, "  rental_rate       numeric(4,2) @default(4.99)\n");
    expect(text, "  create_date date @default(\"2006-02-14\")\n");
    expect(text, "  note         jsonb? @default(\"{}\")\n");
    expect(text, "  inventory_id bigserial @id\n");
    expect(text, "enum MediaFormat { dvd bluray vhs }\n");
    expect(text, "  format       MediaFormat @default(dvd)\n");
    expect(text, "  @@check(film_rental_duration_check, \"((rental_duration > 0))\")\n");
    expect(text, "  payment_id   uuid @id @default(sql(\"gen_random_uuid()\"))\n");
    /* a partial index, a gin index, expressions and DESC are the schema's */
    expect(text, "  @@index(payment_date, where: \"(amount > (0)::numeric)\")\n");
    expect(text, "  @@index(note, type: gin)\n");
    expect(text, "  @@index(sql(\"amount * (100)::numeric\") desc, sql(\"lower((note ->> 'by'::text))\"))\n");
    expect(text, "  @@index(sql(\"to_tsvector('simple'::regconfig, (title)::text)\"), type: gist)\n");
    /* an operator class has no spelling; gist over a column the language
       lacks stays with that column */
    expect(text, "  //   index customer_email_pattern_idx on customer: CREATE INDEX");
    expect(text, "  //   key film_fulltext_idx on film: CREATE INDEX film_fulltext_idx ON "
                 "public.film USING gist (fulltext)\n");
    /* what it cannot express, as comments */
    expect(text, "  //   column film.rating: mpaa_rating, an enum the schema language cannot");
    expect(text, "//   type mpaa_rating: enum ('G', 'PG', 'PG-13', 'R', 'NC-17'), which the");
    expect(text, "  special_features  text[]?\n");
    expect(text, "  aliases           varchar(45)[] @default(sql(\"'{}'::character varying[]\"))\n");
    expect(text, "  //   column film.scores: smallint[], an array declared with more than one "
                 "dimension");
    expect(text, "  //   trigger last_updated on film: CREATE TRIGGER last_updated");
    expect(text, "//   view film_list\n");
    expect(text, "//   type year: domain over integer\n");

    /* check, gen + compile with -Werror, an empty make */
    snprintf(args, sizeof args, "check %s", f->file);
    if (cli(f, &out, args) != 0)
        fail_msg("check of the pulled file failed:\n%s", out);
    expect(out, "ok: 15 models");
    free(out);
    char gen[128];
    snprintf(gen, sizeof gen, "%s/gen", f->dir);
    snprintf(args, sizeof args, "gen %s -o %s", f->file, gen);
    if (cli(f, &out, args) != 0)
        fail_msg("gen of the pulled file failed:\n%s", out);
    free(out);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cc -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla -pedantic "
             "-c -o /dev/null -I'%s/include' -I'%s' '%s/pulled.pgorm.c'",
             PGORM_SOURCE_DIR, gen, gen);
    if (pgt_run(cmd, &out) != 0)
        fail_msg("the code generated from the pulled file does not compile:\n%s", out);
    free(out);
    char migs[128];
    snprintf(migs, sizeof migs, "%s/migrations", f->dir);
    assert_int_equal(mt_migrate(&f->db, "", &out, "make --schema %s --dir %s --name again",
                                f->file, migs),
                     0);
    expect(out, "no changes");
    expect(out, "view film_list");
    free(out);
    free(text);
}

/* The same catalog writes the same file (a pull is reproducible), and an
   existing file is kept unless --force. */
static void test_pull_stable_and_keeps_files(void **state)
{
    fx *f = *state;
    load_sample(f);
    char *a = NULL, *b = NULL;
    assert_int_equal(cli(f, &a, "pull"), 0);
    assert_int_equal(cli(f, &b, "pull"), 0);
    assert_string_equal(a, b);
    free(b);
    FILE *fp = fopen(f->file, "w");
    fputs("keep me\n", fp);
    fclose(fp);
    char args[512];
    snprintf(args, sizeof args, "pull -o %s", f->file);
    assert_int_equal(cli(f, &b, args), 1);
    expect(b, "exists; nothing written (pass --force");
    free(b);
    char *kept = pgt_read_file(f->file, NULL);
    assert_string_equal(kept, "keep me\n");
    free(kept);
    snprintf(args, sizeof args, "pull -o %s --force", f->file);
    assert_int_equal(cli(f, &b, args), 0);
    free(b);
    kept = pgt_read_file(f->file, NULL);
    assert_string_equal(kept, a);
    free(kept);
    free(a);
}

/* Names a model or field cannot have: a table not in snake_case gets
   @@table, a column whose name the language cannot write is a comment, a
   foreign key whose field name a column holds stays a plain column. */
static void test_pull_awkward_names(void **state)
{
    fx *f = *state;
    pgt_exec(f->c, "CREATE TABLE \"Person\" (id int4 PRIMARY KEY, \"full name\" text);"
                   "CREATE TABLE \"order\" (id int4 PRIMARY KEY, person_id int4 REFERENCES \"Person\","
                   " person text, buyer_id int4 REFERENCES \"Person\");"
                   "CREATE TABLE box (id int4 PRIMARY KEY, parent_id int4 REFERENCES box)");
    mig_err e = {0};
    pgorm_buf b = PGORM_BUF_INIT;
    assert_int_equal(mig_pull(f->c, &b, &e), MIG_OK);
    expect(b.data, "// 2 columns, defaults or foreign keys could only be written as comments");
    expect(b.data, "  // person_id: references Person, but a ForeignKey field for it would be "
                   "named person, which a column is (migrate make would drop "
                   "order_person_id_fkey)\n");
    expect(b.data, "model Person {\n  @@table(\"Person\")\n");
    expect(b.data, "  // column \"full name\" text NULL: its name is not a field name");
    expect(b.data, "model Order {\n");
    expect(b.data, "  person_id int4?\n");  /* `person` is a column: no ForeignKey field */
    expect(b.data, "  buyer     ForeignKey[Person]? @index(false)\n");
    expect(b.data, "  orders BackReference[Order]\n"); /* one ForeignKey field points there */
    expect(b.data, "  parent ForeignKey[Box]? @index(false)\n");
    expect(b.data, "  boxes  BackReference[Box]\n");
    pgorm_diag d[4];
    size_t nd = 0;
    pgorm_schema *s = pgorm_schema_parse("pulled", b.data, b.len, d, 4, &nd);
    if (!s)
        fail_msg("the pulled file does not parse: %d:%d: %s\n%s", d[0].pos.line, d[0].pos.col,
                 d[0].message, b.data);
    pgorm_schema_free(s);
    pgorm_buf_free(&b);
}

static mig_catalog *g_cat;

static void oom_scenario(void *ctx)
{
    (void)ctx;
    pgorm_buf b = PGORM_BUF_INIT;
    bool ok = mig_pull_write(g_cat, "db", &b);
    assert_true(ok || pgt_oom_failed());
    pgorm_buf_free(&b);
}

/* Out of memory anywhere while writing: false, nothing leaked. */
static void test_pull_out_of_memory(void **state)
{
    fx *f = *state;
    load_sample(f);
    mig_err e = {0};
    g_cat = mig_introspect(f->c, &e);
    assert_non_null(g_cat);
    pgt_oom_walk(oom_scenario, NULL, 20);
    mig_catalog_free(g_cat);
    g_cat = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pull_sample_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_stable_and_keeps_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_awkward_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_out_of_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
