/* `pgorm migrate make` through the command line: no change, the data-loss
   guard, a rename that keeps the rows, a foreign-key cycle, re-creating a
   dropped table, deterministic files and versions, refusals. */
#include "migtest.h"

typedef mt_fx fx;

static int setup(void **state)
{
    *state = mt_open("mig_make");
    return 0;
}

static int teardown(void **state)
{
    mt_close(*state);
    return 0;
}

static void write_schema(fx *f, const char *text)
{
    FILE *fp = fopen(f->schema, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* make with a fixed version; returns the exit code, output in *out. */
static int make(fx *f, const char *version, const char *name, const char *flags, char **out)
{
    char env[64];
    snprintf(env, sizeof env, "PGORM_MIGRATE_VERSION=%s", version);
    return mt_migrate(&f->db, env, out, "make --schema %s --dir %s --name %s %s", f->schema,
                      f->dir, name, flags);
}

static char *read_migration(fx *f, const char *file)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    char *s = pgt_read_file(path, NULL);
    if (!s)
        fail_msg("no file %s", path);
    return s;
}

static const char BOOKS[] = "model Author {\n"
                            "  id bigserial @id\n"
                            "  name text\n"
                            "  email text? @unique\n"
                            "  books BackReference[Book]\n"
                            "}\n"
                            "model Book {\n"
                            "  id bigserial @id\n"
                            "  title text @default(\"untitled\")\n"
                            "  pages int4?\n"
                            "  author ForeignKey[Author] @on_delete(cascade)\n"
                            "  @@index(title)\n"
                            "}\n";

static void test_no_change_writes_nothing(void **state)
{
    fx *f = *state;
    mt_build(f->c, BOOKS);
    write_schema(f, BOOKS);
    char *out = NULL;
    assert_int_equal(make(f, "1", "noop", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    assert_non_null(strstr(out, "nothing written"));
    free(out);
    assert_int_equal(mt_count_files(f->dir), 0);
}

static void test_first_migration_then_nothing(void **state)
{
    fx *f = *state;
    write_schema(f, BOOKS);
    char *out = NULL;
    assert_int_equal(make(f, "20240101000000", "init", "", &out), 0);
    assert_non_null(strstr(out, "wrote "));
    assert_non_null(strstr(out, "create table author"));
    free(out);
    assert_int_equal(mt_count_files(f->dir), 2);
    char *up = read_migration(f, "20240101000000_init.up.sql");
    /* author before the book that points at it, the key inline */
    char *a = strstr(up, "CREATE TABLE \"author\""), *b = strstr(up, "CREATE TABLE \"book\"");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    assert_non_null(strstr(up, "REFERENCES \"author\" (\"id\") ON DELETE CASCADE"));
    free(up);
    char *down = read_migration(f, "20240101000000_init.down.sql");
    assert_true(strstr(down, "DROP TABLE \"book\"") < strstr(down, "DROP TABLE \"author\""));
    free(down);
    /* making again before `up` is refused: the database is behind its folder */
    assert_int_equal(make(f, "20240101000001", "again", "", &out), 1);
    assert_non_null(strstr(out, "not applied to this database yet"));
    free(out);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(make(f, "20240101000001", "again", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    free(out);
    assert_int_equal(mt_count_files(f->dir), 2);
}

static void test_data_loss_is_refused_with_row_counts(void **state)
{
    fx *f = *state;
    mt_build(f->c, "model Keep {\n  id serial @id\n  big int8\n  note text?\n}\n"
                   "model Gone {\n  id serial @id\n}\n");
    pgt_exec(f->c, "INSERT INTO keep (big, note) VALUES (1, 'a'), (2, NULL), (3, 'c');"
                   "INSERT INTO gone DEFAULT VALUES; INSERT INTO gone DEFAULT VALUES;");
    write_schema(f, "model Keep {\n  id serial @id\n  big int4\n}\n");
    char *out = NULL;
    assert_int_equal(make(f, "1", "lossy", "", &out), 1);
    assert_non_null(strstr(out, "refusing to write a migration that loses data"));
    assert_non_null(strstr(out, "drop table gone (2 rows)"));
    assert_non_null(strstr(out, "drop column keep.note (2 rows with a value)"));
    assert_non_null(strstr(out, "change type of keep.big: int8 -> int4 (3 rows with a value)"));
    assert_non_null(strstr(out, "--allow-data-loss"));
    free(out);
    assert_int_equal(mt_count_files(f->dir), 0);

    assert_int_equal(make(f, "1", "lossy", "--allow-data-loss", &out), 0);
    assert_non_null(strstr(out, "lose data"));
    free(out);
    assert_int_equal(mt_count_files(f->dir), 2);
    char *down = read_migration(f, "1_lossy.down.sql");
    assert_non_null(strstr(down, "-- The rows of table gone cannot come back"));
    assert_non_null(strstr(down, "-- The values of keep.note cannot come back"));
    free(down);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT sum(big) FROM keep"), 6);
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM gone"), 0);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM keep WHERE note IS NULL"), 3);
}

static void test_rename_keeps_rows(void **state)
{
    fx *f = *state;
    mt_build(f->c, "model Writer {\n  id serial @id\n  name text @unique\n}\n"
                   "model Book {\n  id serial @id\n  writer ForeignKey[Writer]\n}\n");
    pgt_exec(f->c, "INSERT INTO writer (name) VALUES ('Le Guin'), ('Borges');"
                   "INSERT INTO book (writer_id) VALUES (1), (2), (2);");
    write_schema(f, "model Author {\n  id serial @id\n  full_name text @unique "
                    "@renamed_from(name)\n  @@renamed_from(Writer)\n}\n"
                    "model Book {\n  id serial @id\n"
                    "  author ForeignKey[Author] @renamed_from(writer)\n}\n");
    char *out = NULL;
    assert_int_equal(make(f, "1", "rename", "", &out), 0); /* no data loss */
    assert_non_null(strstr(out, "rename table writer to author"));
    assert_non_null(strstr(out, "rename column author.name to full_name"));
    assert_non_null(strstr(out, "rename column book.writer_id to author_id"));
    assert_null(strstr(out, "drop"));
    free(out);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book b JOIN author a "
                                         "ON a.id = b.author_id WHERE a.full_name = 'Borges'"),
                     2);
    assert_int_equal(make(f, "2", "again", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    free(out);
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book b JOIN writer w "
                                         "ON w.id = b.writer_id WHERE w.name = 'Le Guin'"),
                     1);
}

/* Enums on a table with rows: values added (rows kept, ADD VALUE in the
   file's transaction), renamed (rows follow), dropped (refused without
   --allow-data-loss, counted; the migration fails cleanly while a row
   holds the value and runs once none does), and every down. */
static void test_enum_values_on_rows(void **state)
{
    fx *f = *state;
    mt_build(f->c, "enum Status { draft published }\n"
                   "model Post {\n  id serial @id\n  status Status @default(draft)\n"
                   "  prev Status?\n}\n");
    pgt_exec(f->c, "INSERT INTO post (status, prev) VALUES ('published', 'draft'), "
                   "('draft', NULL), ('published', 'published')");
    write_schema(f, "enum Status { new @renamed_from(draft) review published }\n"
                    "model Post {\n  id serial @id\n  status Status @default(new)\n"
                    "  prev Status?\n}\n");
    char *out = NULL;
    assert_int_equal(make(f, "1", "values", "", &out), 0); /* no data loss */
    assert_non_null(strstr(out, "change enum status: rename value draft to new, add value review"));
    free(out);
    char *up = read_migration(f, "1_values.up.sql");
    assert_non_null(strstr(up, "ALTER TYPE \"status\" RENAME VALUE 'draft' TO 'new';\n"));
    assert_non_null(strstr(up, "ALTER TYPE \"status\" ADD VALUE 'review' AFTER 'new';\n"));
    free(up);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    char *rows = pgt_query_text(f->c, "SELECT string_agg(status || '/' || coalesce(prev::text, "
                                      "'-'), ',' ORDER BY id) FROM post");
    assert_string_equal(rows, "published/new,new/-,published/published");
    free(rows);
    assert_int_equal(make(f, "2", "again", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    free(out);

    /* drop 'published': 2 rows in status, 1 in prev hold it */
    write_schema(f, "enum Status { new review }\n"
                    "model Post {\n  id serial @id\n  status Status @default(new)\n"
                    "  prev Status?\n}\n");
    assert_int_equal(make(f, "2", "drop", "", &out), 1);
    assert_non_null(strstr(out, "change enum status: drop value published"));
    assert_non_null(strstr(out, "(3 rows with a dropped value)"));
    free(out);
    assert_int_equal(make(f, "2", "drop", "--allow-data-loss", &out), 0);
    free(out);
    char *msg = NULL;
    assert_int_not_equal(mt_migrate(&f->db, "", &msg, "up --dir %s", f->dir), 0);
    assert_non_null(strstr(msg, "enum status loses published, but rows of post.status still "
                                "hold it"));
    free(msg);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM post WHERE status = 'published'"),
                     2); /* nothing changed */
    pgt_exec(f->c, "UPDATE post SET status = 'review' WHERE status = 'published';"
                   "UPDATE post SET prev = NULL WHERE prev = 'published'");
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    rows = pgt_query_text(f->c, "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM "
                                "pg_enum WHERE enumtypid = 'status'::regtype");
    assert_string_equal(rows, "new,review");
    free(rows);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM post WHERE status = 'review'"), 2);
    assert_int_equal(make(f, "3", "again", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    free(out);

    /* down twice: the dropped value comes back, then review goes (guarded:
       rows hold it) */
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    assert_int_not_equal(mt_migrate(&f->db, "", &msg, "down --dir %s", f->dir), 0);
    assert_non_null(strstr(msg, "enum status loses review"));
    free(msg);
    pgt_exec(f->c, "UPDATE post SET status = 'new' WHERE status = 'review'");
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    rows = pgt_query_text(f->c, "SELECT string_agg(status || '/' || coalesce(prev::text, '-'), "
                                "',' ORDER BY id) || ' ' || pg_get_expr(d.adbin, d.adrelid) "
                                "FROM post, pg_attrdef d JOIN pg_attribute a ON a.attrelid = "
                                "d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = "
                                "'post'::regclass AND a.attname = 'status' GROUP BY d.adbin, "
                                "d.adrelid");
    assert_string_equal(rows, "draft/draft,draft/-,draft/- 'draft'::status");
    free(rows);
}

static const char CYCLE[] = "model Person {\n"
                            "  id serial @id\n"
                            "  home ForeignKey[House]?\n"
                            "}\n"
                            "model House {\n"
                            "  id serial @id\n"
                            "  owner ForeignKey[Person]? @on_delete(set_null)\n"
                            "}\n";

static void test_foreign_key_cycle(void **state)
{
    fx *f = *state;
    mt_build(f->c, "model Other {\n  id serial @id\n}\n");
    write_schema(f, CYCLE);
    char *out = NULL;
    assert_int_equal(make(f, "1", "cycle", "--allow-data-loss", &out), 0);
    free(out);
    char *up = read_migration(f, "1_cycle.up.sql");
    /* one of the two keys closes the cycle after both tables exist */
    char *alter = strstr(up, "ALTER TABLE \"house\" ADD CONSTRAINT \"house_owner_id_fkey\" "
                             "FOREIGN KEY");
    assert_non_null(alter);
    assert_true(alter > strstr(up, "CREATE TABLE \"person\""));
    assert_true(alter > strstr(up, "CREATE TABLE \"house\""));
    free(up);
    char *down = read_migration(f, "1_cycle.down.sql");
    char *drop = strstr(down, "ALTER TABLE \"house\" DROP CONSTRAINT \"house_owner_id_fkey\"");
    assert_non_null(drop);
    assert_true(drop < strstr(down, "DROP TABLE"));
    free(down);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    pgt_exec(f->c, "INSERT INTO person (id) VALUES (1); INSERT INTO house VALUES (1, 1);"
                   "UPDATE person SET home_id = 1");

    /* and back: dropping both tables drops the cycle's keys first */
    write_schema(f, "model Other {\n  id serial @id\n}\n");
    assert_int_equal(make(f, "2", "uncycle", "--allow-data-loss", &out), 0);
    free(out);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_class WHERE relname IN "
                                         "('person', 'house')"),
                     0);
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    char *snap = mt_snapshot(f->c);
    pgt_db ref;
    pgt_db_create(&ref, "mig_make_ref");
    PGconn *rc = pgt_connect(ref.direct);
    mt_build(rc, CYCLE); /* the first migration dropped Other */
    char *want = mt_snapshot(rc);
    assert_string_equal(snap, want);
    free(snap);
    free(want);
    PQfinish(rc);
    pgt_db_drop(&ref);
}

static void test_dropped_table_comes_back_with_its_keys(void **state)
{
    fx *f = *state;
    const char *before = "model Tag {\n  id int8 @id\n  label varchar(30) @default(\"new\")\n"
                         "  weight numeric(6,2)? @default(1.5)\n  parent ForeignKey[Tag]? "
                         "@on_delete(cascade)\n  @@unique(label, weight)\n  @@index(weight)\n}\n"
                         "model Post {\n  id uuid @id\n  tag ForeignKey[Tag] @index\n}\n";
    mt_build(f->c, before);
    char *want = mt_snapshot(f->c);
    write_schema(f, "model Other {\n  id serial @id\n}\n");
    char *out = NULL;
    assert_int_equal(make(f, "1", "drop", "--allow-data-loss", &out), 0);
    free(out);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    char *got = mt_snapshot(f->c);
    assert_string_equal(got, want);
    free(got);
    free(want);
}

static void test_deterministic_files_and_versions(void **state)
{
    fx *f = *state;
    write_schema(f, CYCLE);
    char *out = NULL;
    assert_int_equal(make(f, "5", "first", "", &out), 0);
    free(out);
    char *up1 = read_migration(f, "5_first.up.sql");
    char *down1 = read_migration(f, "5_first.down.sql");
    /* the same inputs again (another folder) give the same bytes */
    char dir2[64];
    mt_tmpdir(dir2);
    assert_int_equal(mt_migrate(&f->db, "PGORM_MIGRATE_VERSION=5", &out,
                                "make --schema %s --dir %s --name first", f->schema, dir2),
                     0);
    free(out);
    char path[256];
    snprintf(path, sizeof path, "%s/5_first.up.sql", dir2);
    char *up2 = pgt_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/5_first.down.sql", dir2);
    char *down2 = pgt_read_file(path, NULL);
    assert_non_null(up2);
    assert_non_null(down2);
    assert_string_equal(up1, up2);
    assert_string_equal(down1, down2);
    free(up1);
    free(up2);
    free(down1);
    free(down2);
    mt_rmdir(dir2);

    /* a fixed (or same-second) version not newer than the newest file: +1 */
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    write_schema(f, "model Person {\n  id serial @id\n}\n");
    assert_int_equal(make(f, "3", "second", "--allow-data-loss", &out), 0);
    assert_non_null(strstr(out, "/6_second.up.sql"));
    free(out);
    /* without a fixed version: a UTC timestamp, newer than 6 */
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    write_schema(f, "model Person {\n  id serial @id\n  n int4?\n}\n");
    assert_int_equal(mt_migrate(&f->db, "", &out, "make --schema %s --dir %s --name third",
                                f->schema, f->dir),
                     0);
    assert_non_null(strstr(out, "/20"));
    free(out);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pgorm_migrations"), 3);
}

static void test_user_errors(void **state)
{
    fx *f = *state;
    write_schema(f, "model A {\n  id int4 @id\n  x nosuchtype\n}\n");
    char *out = NULL;
    assert_int_equal(make(f, "1", "bad", "", &out), 1);
    assert_non_null(strstr(out, ".pgorm:3:"));
    free(out);
    write_schema(f, BOOKS);
    assert_int_equal(make(f, "1", "bad name!", "", &out), 1);
    assert_non_null(strstr(out, "--name"));
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "make --dir %s --name x", f->dir), 1);
    assert_non_null(strstr(out, "--schema"));
    free(out);
    /* a default the server cannot read for its type */
    write_schema(f, "model A {\n  id int4 @id\n  d date @default(\"not a date\")\n}\n");
    assert_int_equal(make(f, "1", "baddefault", "", &out), 1);
    assert_non_null(strstr(out, "table a"));
    free(out);
    assert_int_equal(mt_count_files(f->dir), 0);
}

/* Objects the schema does not describe (a view, a trigger, a column of a
   type the language lacks, a check) are listed by make and never touched:
   make is empty, and a migration made next to them keeps them. */
static void test_unmanaged_objects_left_alone(void **state)
{
    fx *f = *state;
    mt_build(f->c, BOOKS);
    pgt_exec(f->c, "ALTER TABLE book ADD COLUMN price money;"
                   "CREATE VIEW long_books AS SELECT id, title FROM book WHERE pages > 300;"
                   "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS "
                   " $$BEGIN NEW.title := NEW.title; RETURN NEW; END$$;"
                   "CREATE TRIGGER book_stamp BEFORE INSERT ON book FOR EACH ROW "
                   " EXECUTE FUNCTION stamp();"
                   "INSERT INTO author (name) VALUES ('Ann');"
                   "INSERT INTO book (title, pages, author_id, price) VALUES ('A', 400, 1, 5);");
    write_schema(f, BOOKS);
    char *out = NULL;
    assert_int_equal(make(f, "1", "noop", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    assert_non_null(strstr(out, "4 objects in the database are not described by the schema"));
    assert_non_null(strstr(out, "  column book.price: money, a type the schema language cannot"));
    assert_non_null(strstr(out, "  trigger book_stamp on book: CREATE TRIGGER book_stamp"));
    assert_non_null(strstr(out, "  view long_books"));
    assert_non_null(strstr(out, "  function stamp(): returns trigger"));
    free(out);
    assert_int_equal(mt_count_files(f->dir), 0);

    /* a change next to them: they stay as they are */
    char *more = malloc(sizeof BOOKS + 64);
    strcpy(more, BOOKS);
    char *at = strstr(more, "  pages int4?\n");
    memmove(at + 17, at, strlen(at) + 1);
    memcpy(at, "  isbn text?     \n", 17);
    write_schema(f, more);
    free(more);
    assert_int_equal(make(f, "2", "isbn", "", &out), 0);
    assert_non_null(strstr(out, "add column book.isbn"));
    assert_non_null(strstr(out, "view long_books"));
    char *up = read_migration(f, "2_isbn.up.sql");
    assert_null(strstr(up, "price"));
    assert_null(strstr(up, "long_books"));
    assert_null(strstr(up, "stamp"));
    free(up);
    free(out);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM long_books"), 1);
    assert_int_equal(pgt_query_int(f->c, "SELECT price::numeric::int FROM book"), 5);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_trigger WHERE tgname = "
                                         "'book_stamp'"),
                     1);
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM long_books"), 1);

    /* check --database lists them too */
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "DATABASE_URL='%s' %s check %s --database", f->db.direct, mt_cli(),
             f->schema);
    assert_int_equal(pgt_run(cmd, &out), 0);
    assert_non_null(strstr(out, "migrations leave them alone:"));
    assert_non_null(strstr(out, "  view long_books"));
    assert_non_null(strstr(out, "ok: 2 models"));
    free(out);
}

/* What stands in the way of the schema is refused with what to do: a field
   for a column whose type the language lacks, a model whose table name a
   view holds. */
static void test_unmanaged_in_the_way(void **state)
{
    fx *f = *state;
    mt_build(f->c, BOOKS);
    pgt_exec(f->c, "ALTER TABLE book ADD COLUMN price money;"
                   "CREATE VIEW shelf AS SELECT 1 AS id");
    char *s = malloc(sizeof BOOKS + 64);
    strcpy(s, BOOKS);
    char *at = strstr(s, "  pages int4?\n");
    memmove(at + 17, at, strlen(at) + 1);
    memcpy(at, "  price int8?   \n", 17);
    write_schema(f, s);
    char *out = NULL;
    assert_int_equal(make(f, "1", "price", "", &out), 1);
    assert_non_null(strstr(out, "model Book declares column price, but the database's column "
                                "book.price is money"));
    assert_non_null(strstr(out, "Remove the field from the schema"));
    free(out);
    free(s);
    char both[sizeof BOOKS + 64];
    snprintf(both, sizeof both, "%smodel Shelf {\n  id int4 @id\n}\n", BOOKS);
    write_schema(f, both);
    assert_int_equal(make(f, "1", "shelf", "", &out), 1);
    assert_non_null(strstr(out, "model Shelf needs table shelf, but the database already has "
                                "view shelf"));
    free(out);
    assert_int_equal(mt_count_files(f->dir), 0);
}

/* NOT NULL without a default on a table with rows: make says `up` would
   fail, with the rows, and what to do. */
static void test_not_null_on_rows_warns(void **state)
{
    fx *f = *state;
    mt_build(f->c, BOOKS);
    pgt_exec(f->c, "INSERT INTO author (name) VALUES ('Ann');"
                   "INSERT INTO book (title, pages, author_id) VALUES ('A', NULL, 1), "
                   "('B', 10, 1)");
    char *s = malloc(sizeof BOOKS + 64);
    strcpy(s, BOOKS);
    char *at = strstr(s, "  pages int4?\n");
    memcpy(at, "  pages int4 \n", 14); /* NULL -> NOT NULL */
    memmove(at + 15, at, strlen(at) + 1);
    memcpy(at, "  isbn text    \n", 15); /* added NOT NULL, no default */
    write_schema(f, s);
    free(s);
    char *out = NULL;
    assert_int_equal(make(f, "1", "strict", "", &out), 0);
    assert_non_null(strstr(out, "warning: column book.isbn is added NOT NULL without a default, "
                                "but table book has 2 rows: `migrate up` will fail"));
    assert_non_null(strstr(out, "@default(...)"));
    assert_non_null(strstr(out, "warning: column book.pages becomes NOT NULL, but 1 row of "
                                "table book holds NULL in it"));
    free(out);
    /* and it is right: up fails, nothing applied */
    assert_int_not_equal(mt_migrate(&f->db, "", &out, "up --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "contains null values"));
    free(out);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book"), 2);
    /* on an empty table there is nothing to warn about */
    pgt_exec(f->c, "DELETE FROM book");
    mt_rmdir(f->dir);
    assert_int_equal(make(f, "2", "strict2", "", &out), 0);
    assert_null(strstr(out, "warning"));
    assert_non_null(strstr(out, "add column book.isbn"));
    free(out);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
}

/* Checks: add, change (a drop and an add), drop, under a renamed column;
   expression defaults added to a table with rows; each time a second make
   is empty (the file's text compared as the server spells it), and down
   restores what was there. */
static void make_up_then_nothing(fx *f, const char *version, const char *name, char **up)
{
    char *out = NULL;
    if (make(f, version, name, "", &out) != 0)
        fail_msg("make %s: %s", name, out);
    assert_non_null(strstr(out, "wrote "));
    free(out);
    char file[128];
    snprintf(file, sizeof file, "%s_%s.up.sql", version, name);
    *up = read_migration(f, file);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    char again[24];
    snprintf(again, sizeof again, "%s1", version);
    assert_int_equal(make(f, again, "again", "", &out), 0);
    if (!strstr(out, "no changes"))
        fail_msg("a second make after %s was not empty:\n%s", name, out);
    free(out);
}

static char *checks_of(fx *f, const char *table)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(string_agg(conname || ' ' || pg_get_constraintdef(oid), ', ' "
             "ORDER BY conname), '') FROM pg_constraint WHERE conrelid = '%s'::regclass "
             "AND contype = 'c'",
             table);
    return pgt_query_text(f->c, sql);
}

#define EXPECT_CHECKS(f, table, want)                                                      \
    do {                                                                                   \
        char *got_ = checks_of((f), (table));                                              \
        if (strcmp(got_, (want)) != 0)                                                     \
            fail_msg("checks of %s:\n  %s\nexpected:\n  %s", (table), got_, (want));       \
        free(got_);                                                                        \
    } while (0)

static void test_checks_and_expression_defaults(void **state)
{
    fx *f = *state;
    char *up = NULL, *out = NULL;
    write_schema(f, "model Book {\n  id serial @id\n  title text @check(\"title <> ''\")\n"
                    "  pages int4 @check(\"pages > 0\")\n}\n");
    make_up_then_nothing(f, "1", "init", &up);
    assert_non_null(strstr(up, "CONSTRAINT \"book_pages_check\" CHECK (pages > 0)"));
    free(up);
    EXPECT_CHECKS(f, "book", "book_pages_check CHECK ((pages > 0)), "
                             "book_title_check CHECK ((title <> ''::text))");
    pgt_exec(f->c, "INSERT INTO book (title, pages) VALUES ('a', 5), ('b', 9)");

    /* change one, add a model check: a drop and an add for the changed one */
    write_schema(f, "model Book {\n  id serial @id\n  title text @check(\"title <> ''\")\n"
                    "  pages int4 @check(\"pages > 1\")\n"
                    "  @@check(short, \"length(title) < 10\")\n}\n");
    make_up_then_nothing(f, "2", "change", &up);
    assert_non_null(strstr(up, "drop check book_pages_check on book: CHECK ((pages > 0))"));
    assert_non_null(strstr(up, "add check book_pages_check on book: CHECK ((pages > 1))"));
    assert_true(strstr(up, "ALTER TABLE \"book\" DROP CONSTRAINT \"book_pages_check\";") <
                strstr(up, "ALTER TABLE \"book\" ADD CONSTRAINT \"book_pages_check\" CHECK "
                           "(pages > 1);"));
    assert_non_null(strstr(up, "ADD CONSTRAINT \"short\" CHECK (length(title) < 10);"));
    assert_null(strstr(up, "book_title_check")); /* unchanged: untouched */
    free(up);
    EXPECT_CHECKS(f, "book", "book_pages_check CHECK ((pages > 1)), "
                             "book_title_check CHECK ((title <> ''::text)), "
                             "short CHECK ((length(title) < 10))");
    /* the server holds it */
    PGresult *r = PQexec(f->c, "INSERT INTO book (title, pages) VALUES ('c', 1)");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514");
    PQclear(r);

    /* drop them, rename the column that had one, add expression defaults
       to the table with its rows */
    write_schema(f, "model Book {\n  id serial @id\n  title text\n"
                    "  leaves int4 @renamed_from(pages) @check(\"leaves > 1\")\n"
                    "  uid uuid @default(gen_random_uuid())\n"
                    "  slug text @default(sql(\"lower('X')\"))\n"
                    "  added date @default(current_date)\n}\n");
    make_up_then_nothing(f, "3", "drop", &up);
    assert_non_null(strstr(up, "ALTER TABLE \"book\" DROP CONSTRAINT \"book_title_check\";"));
    assert_non_null(strstr(up, "ALTER TABLE \"book\" DROP CONSTRAINT \"short\";"));
    assert_non_null(strstr(up, "ADD CONSTRAINT \"book_leaves_check\" CHECK (leaves > 1);"));
    assert_non_null(strstr(up, "ADD COLUMN \"uid\" uuid NOT NULL DEFAULT gen_random_uuid()"));
    free(up);
    EXPECT_CHECKS(f, "book", "book_leaves_check CHECK ((leaves > 1))");
    assert_int_equal(pgt_query_int(f->c, "SELECT count(DISTINCT uid) FROM book WHERE slug = 'x' "
                                         "AND added = current_date"),
                     2);
    char *def = pgt_query_text(f->c, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef d "
                                     "JOIN pg_attribute a ON a.attrelid = d.adrelid AND "
                                     "a.attnum = d.adnum WHERE a.attname = 'slug'");
    assert_string_equal(def, "lower('X'::text)");
    free(def);

    /* down: the checks come back as they were, under the old names */
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    EXPECT_CHECKS(f, "book", "book_pages_check CHECK ((pages > 1)), "
                             "book_title_check CHECK ((title <> ''::text)), "
                             "short CHECK ((length(title) < 10))");
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    EXPECT_CHECKS(f, "book", "book_pages_check CHECK ((pages > 0)), "
                             "book_title_check CHECK ((title <> ''::text))");
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    EXPECT_CHECKS(f, "book", "book_leaves_check CHECK ((leaves > 1))");

    /* a check the server refuses: its name, its table, the server's reason;
       nothing written */
    int files = mt_count_files(f->dir);
    write_schema(f, "model Book {\n  id serial @id\n  title text\n"
                    "  leaves int4 @check(\"nosuch > 1\")\n  uid uuid @default(gen_random_uuid())\n"
                    "  slug text @default(sql(\"lower('X')\"))\n"
                    "  added date @default(current_date)\n}\n");
    assert_int_equal(make(f, "5", "bad", "", &out), 1);
    assert_non_null(strstr(out, "check book_leaves_check of table book (\"nosuch > 1\")"));
    assert_non_null(strstr(out, "column \"nosuch\" does not exist"));
    free(out);
    write_schema(f, "model Book {\n  id serial @id\n  title text\n"
                    "  leaves int4 @check(\"leaves > 1); DROP TABLE book; --\")\n}\n");
    assert_int_equal(make(f, "5", "bad", "", &out), 1);
    assert_non_null(strstr(out, "check book_leaves_check of table book"));
    free(out);
    write_schema(f, "model Book {\n  id serial @id\n  title text\n"
                    "  leaves int4 @check(\"leaves > 1), CHECK (true\")\n}\n");
    assert_int_equal(make(f, "5", "bad", "", &out), 1);
    assert_non_null(strstr(out, "is not one CHECK expression"));
    free(out);
    write_schema(f, "model Book {\n  id serial @id\n  title text\n  leaves int4\n"
                    "  slug text @default(sql(\"nosuch_function()\"))\n}\n");
    assert_int_equal(make(f, "5", "bad", "", &out), 1);
    assert_non_null(strstr(out, "table book"));
    free(out);
    assert_int_equal(mt_count_files(f->dir), files);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book"), 2);
}

/* Indexes of a table that back no constraint, "indexdef" lines by name. */
static char *indexes_of(fx *f, const char *table)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(string_agg(pg_get_indexdef(i.indexrelid), E'\n' ORDER BY "
             "c.relname), '') FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE "
             "i.indrelid = '%s'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE "
             "k.conindid = i.indexrelid)",
             table);
    return pgt_query_text(f->c, sql);
}

#define EXPECT_INDEXES(f, table, want)                                                     \
    do {                                                                                   \
        char *got_ = indexes_of((f), (table));                                             \
        if (strcmp(got_, (want)) != 0)                                                     \
            fail_msg("indexes of %s:\n%s\nexpected:\n%s", (table), got_, (want));          \
        free(got_);                                                                        \
    } while (0)

static const char INDEXED[] =
    "enum Status { draft published }\n"
    "model Author {\n  id serial @id\n  name text\n}\n"
    "model Book {\n  id serial @id\n  title text\n  pages int4\n  tags jsonb\n"
    "  status Status\n  at timestamptz?\n"
    "  author ForeignKey[Author] @on_update(%s)\n"
    "  @@index(title, where: \"%s\")\n"
    "  @@index(sql(\"lower(title)\"), at desc)\n"
    "  @@index(tags, type: gin)\n"
    "  @@unique(title, where: \"status = 'published'\")\n"
    "}\n";

static void write_indexed(fx *f, const char *on_update, const char *where)
{
    char text[1024];
    snprintf(text, sizeof text, INDEXED, on_update, where);
    write_schema(f, text);
}

/* Partial, expression, DESC and gin indexes and ON UPDATE: created, read
   back as the file has them (a second make is empty), a changed predicate
   or action is a drop and a create, down brings the old ones back; what
   the server refuses is reported before anything is written. */
static void test_index_options_and_on_update(void **state)
{
    fx *f = *state;
    char *up = NULL, *out = NULL;
    write_indexed(f, "cascade", "pages > 100");
    make_up_then_nothing(f, "1", "init", &up);
    assert_non_null(strstr(up, "CREATE INDEX \"book_title_idx1\" ON \"book\" (\"title\") WHERE "
                               "pages > 100;"));
    assert_non_null(strstr(up, "ON UPDATE CASCADE"));
    free(up);
    static const char *const v1 =
        "CREATE INDEX book_author_id_idx ON public.book USING btree (author_id)\n"
        "CREATE INDEX book_lower_title_at_idx ON public.book USING btree (lower(title), at "
        "DESC)\n"
        "CREATE INDEX book_tags_idx ON public.book USING gin (tags)\n"
        "CREATE UNIQUE INDEX book_title_idx ON public.book USING btree (title) WHERE (status = "
        "'published'::status)\n"
        "CREATE INDEX book_title_idx1 ON public.book USING btree (title) WHERE (pages > 100)";
    EXPECT_INDEXES(f, "book", v1);
    pgt_exec(f->c, "INSERT INTO author (name) VALUES ('a');"
                   "INSERT INTO book (title, pages, tags, status, author_id) VALUES"
                   " ('t', 150, '[]', 'published', 1), ('t', 1, '[]', 'draft', 1)");
    pgt_exec(f->c, "UPDATE author SET id = 7");
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book WHERE author_id = 7"), 2);

    /* a new predicate and action: only those change */
    write_indexed(f, "restrict", "pages > 200");
    make_up_then_nothing(f, "2", "change", &up);
    assert_non_null(strstr(up, "drop index on book (title) where (pages > 100) (book_title_idx1)"));
    assert_non_null(strstr(up, "add index on book (title) where pages > 200"));
    assert_true(strstr(up, "DROP INDEX \"book_title_idx1\";") <
                strstr(up, "CREATE INDEX \"book_title_idx1\" ON \"book\" (\"title\") WHERE "
                           "pages > 200;"));
    assert_non_null(strstr(up, "on update restrict"));
    assert_non_null(strstr(up, "ON UPDATE RESTRICT"));
    assert_null(strstr(up, "book_tags_idx"));
    assert_null(strstr(up, "lower"));
    free(up);
    PGresult *r = PQexec(f->c, "UPDATE author SET id = 8");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23503");
    PQclear(r);

    /* down: the old predicate and action come back */
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    EXPECT_INDEXES(f, "book", v1);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);

    /* what the server refuses: the index's table and the server's reason */
    int files = mt_count_files(f->dir);
    write_indexed(f, "restrict", "nosuch > 1");
    assert_int_equal(make(f, "5", "bad", "", &out), 1);
    assert_non_null(strstr(out, "an index of table book (where: \"nosuch > 1\")"));
    assert_non_null(strstr(out, "column \"nosuch\" does not exist"));
    free(out);
    write_indexed(f, "restrict", "pages > 1; DROP TABLE book");
    assert_int_equal(make(f, "5", "bad", "", &out), 1);
    assert_non_null(strstr(out, "an index of table book"));
    free(out);
    write_schema(f, "model Book {\n  id serial @id\n  title text\n  @@index(title, type: gin)\n}\n");
    assert_int_equal(make(f, "5", "bad", "", &out), 1);
    assert_non_null(strstr(out, "no default operator class for access method \"gin\""));
    free(out);
    assert_int_equal(mt_count_files(f->dir), files);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book"), 2);

    /* an index made by hand that the language cannot spell keeps its name:
       a new index that would take it gets another */
    pgt_exec(f->c, "CREATE INDEX book_title_idx2 ON book (title text_pattern_ops)");
    char text[1024];
    snprintf(text, sizeof text, INDEXED, "restrict", "pages > 200");
    text[strlen(text) - 2] = '\0';
    strcat(text, "  @@index(title)\n}\n");
    write_schema(f, text);
    make_up_then_nothing(f, "6", "plain", &up);
    assert_non_null(strstr(up, "CREATE INDEX \"book_title_idx3\" ON \"book\" (\"title\");"));
    free(up);
}

/* A database made before ForeignKey columns got their default index: make
   adds it (named <table>_<column>_idx), `up` creates it, a second make is
   empty; @index(false) drops it again. */
static void test_foreign_key_index_added_then_opted_out(void **state)
{
    fx *f = *state;
    pgt_exec(f->c, "CREATE TABLE author (id bigserial PRIMARY KEY, name text NOT NULL);"
                   "CREATE TABLE book (id bigserial PRIMARY KEY, title text NOT NULL,"
                   " author_id int8 NOT NULL REFERENCES author (id),"
                   " editor_id int8 REFERENCES author (id),"
                   " CONSTRAINT book_editor_id_title_key UNIQUE (editor_id, title))");
    static const char v1[] = "model Author {\n  id bigserial @id\n  name text\n}\n"
                             "model Book {\n  id bigserial @id\n  title text\n"
                             "  author ForeignKey[Author]\n  editor ForeignKey[Author]?\n"
                             "  @@unique(editor, title)\n}\n";
    write_schema(f, v1);
    char *out = NULL;
    assert_int_equal(make(f, "1", "fk_index", "", &out), 0);
    assert_non_null(strstr(out, "add index on book (author_id)"));
    /* editor_id leads the unique constraint: no index of its own */
    assert_null(strstr(out, "editor_id)"));
    free(out);
    char *up = read_migration(f, "1_fk_index.up.sql");
    assert_non_null(strstr(up, "CREATE INDEX \"book_author_id_idx\" ON \"book\" (\"author_id\");"));
    free(up);
    char *down = read_migration(f, "1_fk_index.down.sql");
    assert_non_null(strstr(down, "DROP INDEX \"book_author_id_idx\";"));
    free(down);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_index i JOIN pg_class c ON"
                                         " c.oid = i.indexrelid WHERE c.relname ="
                                         " 'book_author_id_idx' AND i.indrelid = 'book'::regclass"
                                         " AND i.indkey[0] = (SELECT attnum FROM pg_attribute"
                                         " WHERE attrelid = 'book'::regclass AND attname ="
                                         " 'author_id')"),
                     1);
    assert_int_equal(make(f, "2", "again", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    free(out);

    /* opting out drops it */
    static const char v2[] = "model Author {\n  id bigserial @id\n  name text\n}\n"
                             "model Book {\n  id bigserial @id\n  title text\n"
                             "  author ForeignKey[Author] @index(false)\n"
                             "  editor ForeignKey[Author]?\n"
                             "  @@unique(editor, title)\n}\n";
    write_schema(f, v2);
    assert_int_equal(make(f, "3", "no_fk_index", "", &out), 0);
    assert_non_null(strstr(out, "drop index on book (author_id) (book_author_id_idx)"));
    free(out);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_class WHERE relname ="
                                         " 'book_author_id_idx'"),
                     0);
    assert_int_equal(make(f, "4", "again", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    free(out);
    /* and down brings it back */
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_class WHERE relname ="
                                         " 'book_author_id_idx'"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_change_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_migration_then_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_loss_is_refused_with_row_counts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rename_keeps_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_key_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dropped_table_comes_back_with_its_keys, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_deterministic_files_and_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enum_values_on_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmanaged_objects_left_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmanaged_in_the_way, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_null_on_rows_warns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checks_and_expression_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_options_and_on_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_key_index_added_then_opted_out, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
