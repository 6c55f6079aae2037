/* `pgorm pull`: a schema file from a database made by hand-written SQL in
   the shape of a real sample database (tests/sql/pull_sample.sql: 15
   tables, 23 foreign keys (one composite), a cycle, composite keys, an enum, checks, a
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

/* A field line, whatever the alignment: "  name<spaces>type\n". */
static void expect_field(const char *text, const char *name, const char *type)
{
    char head[128];
    snprintf(head, sizeof head, "\n  %s ", name);
    for (const char *p = strstr(text, head); p; p = strstr(p + 1, head)) {
        const char *q = p + strlen(head);
        while (*q == ' ')
            q++;
        if (strncmp(q, type, strlen(type)) == 0 && q[strlen(type)] == '\n')
            return;
    }
    fail_msg("the pulled file lacks the field \"%s %s\":\n%s", name, type, text);
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
    expect(text, "  rental              ForeignKey[Rental]? @on_delete(set_null) @on_update(cascade) "
                 "@index(false)\n");
    expect(text, "  film_categories BackReference[FilmCategory]\n");
    /* the join tables give ManyToMany fields on both sides */
    expect_field(text, "actors", "ManyToMany[Actor] @through(FilmActor)");
    expect_field(text, "categories", "ManyToMany[Category] @through(FilmCategory)");
    expect_field(text, "films", "ManyToMany[Film] @through(FilmActor)");
    expect_field(text, "films", "ManyToMany[Film] @through(FilmCategory)");
    expect(text, "  @@unique(rental_date, inventory, customer)\n");
    /* a composite foreign key to a unique key that is not the primary key */
    expect(text, "  @@foreign_key([rental_date, rental_inventory_id, customer], references: "
                 "Rental([rental_date, inventory, customer]), on_delete: cascade)\n");
    expect(text, "  @@index(store, last_name)\n");
    expect(text, "  rental_rate       numeric(4,2) @default(4.99)\n");
    expect(text, "  create_date date @default(\"2006-02-14\")\n");
    expect(text, "  note                jsonb? @default(\"{}\")\n");
    expect(text, "  inventory_id bigserial @id\n");
    expect(text, "enum MediaFormat { dvd bluray vhs }\n");
    expect(text, "  format       MediaFormat @default(dvd)\n");
    expect(text, "  @@check(film_rental_duration_check, \"((rental_duration > 0))\")\n");
    expect(text, "  payment_id          uuid @id @default(sql(\"gen_random_uuid()\"))\n");
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
   foreign key whose field name a column holds stays a plain column, its
   constraint an @@foreign_key. */
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
    expect(b.data, "// 1 column, default or foreign key could only be written as comments");
    expect(b.data, "  @@foreign_key([person_id], references: Person([id]))\n");
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

/* The types after the first release are written as fields, their defaults
   as strings, and what the language lacks (time(3)) as a comment; the file
   parses and `migrate make` with it writes nothing. */
static void test_pull_newer_types(void **state)
{
    fx *f = *state;
    pgt_exec(f->c, "CREATE EXTENSION IF NOT EXISTS citext;"
                   "CREATE TABLE slot (id int4 PRIMARY KEY, at time NOT NULL DEFAULT '09:00', "
                   "tz timetz, span interval DEFAULT '-1 mons +02:00', host inet UNIQUE, "
                   "net cidr NOT NULL DEFAULT '10.0.0.0/8', doc json, code character(3) "
                   "DEFAULT 'x', email citext NOT NULL UNIQUE, amount numeric DEFAULT 0, "
                   "fine time(3))");
    mig_err e = {0};
    pgorm_buf b = PGORM_BUF_INIT;
    assert_int_equal(mig_pull(f->c, &b, &e), MIG_OK);
    expect(b.data, "  at     time @default(\"09:00:00\")\n");
    expect(b.data, "  tz     timetz?\n");
    expect(b.data, "  span   interval? @default(\"-1 mons +02:00:00\")\n");
    expect(b.data, "  host   inet? @unique\n");
    expect(b.data, "  net    cidr @default(\"10.0.0.0/8\")\n");
    expect(b.data, "  doc    json?\n");
    expect(b.data, "  code   char(3)? @default(\"x\")\n");
    expect(b.data, "  email  citext @unique\n");
    expect(b.data, "  amount numeric? @default(0)\n");
    expect(b.data, "time(3) without time zone");
    FILE *fp = fopen(f->file, "w");
    assert_non_null(fp);
    fputs(b.data, fp);
    fclose(fp);
    pgorm_buf_free(&b);
    char *out = NULL, migs[128];
    snprintf(migs, sizeof migs, "%s/migrations", f->dir);
    if (mt_migrate(&f->db, "", &out, "make --schema %s --dir %s --name again", f->file, migs))
        fail_msg("make after pull failed:\n%s", out);
    expect(out, "no changes");
    free(out);
}

/* Join tables: pulled as join models with ManyToMany fields on both
   sides (self-referential ones with named fields, both ways); not a table
   whose pair is not a key, nor one with a third ForeignKey. Then check,
   and an empty make. */
static void test_pull_many_to_many(void **state)
{
    fx *f = *state;
    pgt_exec(f->c,
             "CREATE TABLE post (id serial PRIMARY KEY, title text NOT NULL);"
             "CREATE TABLE tag (id int8 PRIMARY KEY);"
             "CREATE TABLE post_tag (post_id int4 NOT NULL REFERENCES post ON DELETE CASCADE,"
             " tag_id int8 NOT NULL REFERENCES tag, added timestamptz DEFAULT now(),"
             " PRIMARY KEY (post_id, tag_id));"
             "CREATE TABLE member (id serial PRIMARY KEY);"
             "CREATE TABLE follow (id serial PRIMARY KEY,"
             " follower_id int4 NOT NULL REFERENCES member, followed_id int4 NOT NULL REFERENCES"
             " member, UNIQUE (follower_id, followed_id));"
             "CREATE TABLE visit (post_id int4 REFERENCES post, tag_id int8 REFERENCES tag,"
             " id serial PRIMARY KEY);" /* no key over the pair */
             "CREATE TABLE vote (post_id int4 REFERENCES post, tag_id int8 REFERENCES tag,"
             " member_id int4 REFERENCES member, PRIMARY KEY (post_id, tag_id))");
    mig_err e = {0};
    pgorm_buf b = PGORM_BUF_INIT;
    assert_int_equal(mig_pull(f->c, &b, &e), MIG_OK);
    expect_field(b.data, "tags", "ManyToMany[Tag] @through(PostTag)");
    expect_field(b.data, "posts", "ManyToMany[Post] @through(PostTag)");
    expect_field(b.data, "followeds", "ManyToMany[Member] @through(Follow, follower, followed)");
    expect_field(b.data, "followers", "ManyToMany[Member] @through(Follow, followed, follower)");
    if (strstr(b.data, "@through(Visit") || strstr(b.data, "@through(Vote"))
        fail_msg("a table that is not a join of two got a ManyToMany:\n%s", b.data);
    mt_write(f->dir, "pulled.pgorm", b.data);
    pgorm_buf_free(&b);
    char args[1024], *out = NULL;
    snprintf(args, sizeof args, "check %s", f->file);
    if (cli(f, &out, args) != 0)
        fail_msg("check of the pulled file failed:\n%s", out);
    free(out);
    char migs[128];
    snprintf(migs, sizeof migs, "%s/migrations", f->dir);
    assert_int_equal(mt_migrate(&f->db, "", &out, "make --schema %s --dir %s --name again",
                                f->file, migs),
                     0);
    expect(out, "no changes");
    free(out);
}

/* Foreign keys a ForeignKey field cannot be: composite ones (to a primary
   key and to a unique constraint in another order), ones to a unique
   non-key column (one of them to its own table), ones over a column not
   named *_id: pull writes them as @@foreign_key and make is empty; one of
   another type than its key stays unmanaged, a comment. */
static void test_pull_model_foreign_keys(void **state)
{
    fx *f = *state;
    pgt_exec(f->c, "CREATE TABLE u (a int4, b text, PRIMARY KEY (a, b));"
                   "CREATE TABLE w (id int4 PRIMARY KEY, code text UNIQUE, n int4, m int4,"
                   " UNIQUE (m, n));"
                   "CREATE TABLE z (id int4 PRIMARY KEY, ua int4, ub text, w int4 REFERENCES w,"
                   " code_id text REFERENCES w (code) ON DELETE SET NULL, p int4, q int4,"
                   " small_id int2 REFERENCES w,"
                   " FOREIGN KEY (ua, ub) REFERENCES u ON DELETE CASCADE,"
                   " FOREIGN KEY (p, q) REFERENCES w (n, m));"
                   "CREATE TABLE node (id int4 PRIMARY KEY, code text NOT NULL UNIQUE,"
                   " parent_code text REFERENCES node (code))");
    char args[1024], *out = NULL;
    snprintf(args, sizeof args, "pull -o %s", f->file);
    if (cli(f, &out, args) != 0)
        fail_msg("pull failed:\n%s", out);
    free(out);
    char *text = pgt_read_file(f->file, NULL);
    assert_non_null(text);
    expect(text, "  @@foreign_key([ua, ub], references: U([a, b]), on_delete: cascade)\n");
    expect(text, "  @@foreign_key([w], references: W([id]))\n");
    expect(text, "  @@foreign_key([code_id], references: W([code]), on_delete: set_null)\n");
    expect(text, "  @@foreign_key([p, q], references: W([n, m]))\n");
    expect(text, "  @@foreign_key([parent_code], references: Node([code]))\n");
    expect(text, "  //   foreign key z_small_id_fkey on z: FOREIGN KEY (small_id) REFERENCES "
                 "w(id), which the schema language cannot describe: its column's type differs");
    free(text);
    char migs[128];
    snprintf(migs, sizeof migs, "%s/migrations", f->dir);
    assert_int_equal(mt_migrate(&f->db, "", &out, "make --schema %s --dir %s --name again",
                                f->file, migs),
                     0);
    expect(out, "no changes");
    expect(out, "1 object in the database is not described by the schema");
    free(out);
}

/* Tables and enums of other SQL schemas: @@schema on their models and
   enums, foreign keys across schemas, one table name in two schemas; the
   pulled file checks, and make with it is empty, under a search_path that
   names none of the schemas. */
static void test_pull_sql_schemas(void **state)
{
    fx *f = *state;
    pgt_exec(f->c,
             "CREATE SCHEMA shop; CREATE SCHEMA billing;"
             "CREATE TYPE billing.tier AS ENUM ('bronze', 'gold');"
             "CREATE TABLE shop.depot (id serial PRIMARY KEY, name text NOT NULL UNIQUE);"
             "CREATE TABLE billing.courier (id serial PRIMARY KEY, tier billing.tier NOT NULL "
             " DEFAULT 'gold');"
             "CREATE TABLE shop.parcel (id serial PRIMARY KEY, depot_id int4 NOT NULL REFERENCES "
             " shop.depot ON DELETE CASCADE, courier_id int4 REFERENCES billing.courier);"
             "CREATE INDEX ON shop.parcel (depot_id); CREATE INDEX ON shop.parcel (courier_id);"
             "CREATE TABLE shop.note (id int4 PRIMARY KEY, body text);"
             "CREATE TABLE billing.note (id int4 PRIMARY KEY, body text NOT NULL);"
             "CREATE TABLE plain (id int4 PRIMARY KEY);"
             "CREATE VIEW shop.recent AS SELECT id FROM shop.parcel");
    pgt_exec(f->c, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = nothing', "
                   "current_database()); END $$");
    char args[1024], *out = NULL;
    snprintf(args, sizeof args, "pull -o %s", f->file);
    if (cli(f, &out, args) != 0)
        fail_msg("pull failed:\n%s", out);
    free(out);
    char *text = pgt_read_file(f->file, NULL);
    assert_non_null(text);
    expect(text, "// Written by pgorm pull from ");
    expect(text, ": 6 tables.\n");
    expect(text, "enum Tier { bronze gold @@schema(billing) }\n");
    expect(text, "model Courier {\n  @@schema(billing)\n");
    expect(text, "  tier    Tier @default(gold)\n");
    expect(text, "model Depot {\n  @@schema(shop)\n");
    expect(text, "  courier ForeignKey[Courier]? @index\n");
    expect(text, "  depot   ForeignKey[Depot] @on_delete(cascade) @index\n");
    expect(text, "model Plain {\n  id int4 @id\n}\n");
    /* both note tables, under two model names */
    expect(text, "model Note {\n  @@schema(billing)\n  id   int4 @id\n  body text\n}\n");
    expect(text, "model Note2 {\n  @@schema(shop)\n  @@table(\"note\")\n");
    expect(text, "//   view shop.recent\n");
    snprintf(args, sizeof args, "check %s --database", f->file);
    if (cli(f, &out, args) != 0)
        fail_msg("check of the pulled file failed:\n%s\n%s", out, text);
    expect(out, "ok: 6 models");
    expect(out, "  view shop.recent\n");
    free(out);
    char migs[128];
    snprintf(migs, sizeof migs, "%s/migrations", f->dir);
    if (mt_migrate(&f->db, "", &out, "make --schema %s --dir %s --name again", f->file, migs) !=
        0)
        fail_msg("make with the pulled file failed:\n%s\n%s", out, text);
    if (!strstr(out, "no changes"))
        fail_msg("make with the pulled file is not empty:\n%s\n%s", out, text);
    free(out);
    free(text);
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
        cmocka_unit_test_setup_teardown(test_pull_newer_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_many_to_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_model_foreign_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_sql_schemas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_out_of_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
