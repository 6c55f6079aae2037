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

/* A column or table a view depends on, dropped or retyped: make names the
   view, since `up` would fail on it; and it does fail. */
static void test_view_dependency_warns(void **state)
{
    fx *f = *state;
    mt_build(f->c, BOOKS);
    pgt_exec(f->c, "CREATE VIEW long_books AS SELECT title, pages FROM book WHERE pages > 100;"
                   "CREATE VIEW authors AS SELECT id FROM author");
    /* pages dropped, title retyped */
    write_schema(f, "model Author {\n  id bigserial @id\n  name text\n  email text? @unique\n"
                    "  books BackReference[Book]\n}\n"
                    "model Book {\n  id bigserial @id\n  title varchar(50) @default(\"untitled\")\n"
                    "  author ForeignKey[Author] @on_delete(cascade)\n  @@index(title)\n}\n");
    char *out = NULL;
    if (make(f, "1", "unviewed", "--allow-data-loss", &out) != 0)
        fail_msg("make failed:\n%s", out);
    if (!strstr(out, "warning: column book.pages is dropped, but view long_books depends on it: "
                     "`migrate up` will fail") ||
        !strstr(out, "warning: column book.title is retyped, but view long_books depends on it"))
        fail_msg("no view warnings:\n%s", out);
    assert_null(strstr(out, "view authors depends"));
    free(out);
    assert_int_not_equal(mt_migrate(&f->db, "", &out, "up --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "depend"));
    free(out);
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

/* Whether check `name` carries pgorm's mark. */
static int check_marked(fx *f, const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_constraint WHERE conname = '%s' AND contype = 'c' "
             "AND obj_description(oid, 'pg_constraint') = 'pgorm'",
             name);
    return pgt_query_int(f->c, sql);
}

/* A CHECK made by hand that the file does not name is unmanaged: make
   lists it and never drops it, across migrations. One the file names is
   the file's: equal, it is adopted as it is (marked by the next migration
   written anyway); different, it is replaced by the file's. A @check of
   the file that goes is dropped. */
static void test_hand_made_checks_kept(void **state)
{
    fx *f = *state;
    char *up = NULL, *out = NULL;
    write_schema(f, "model Book {\n  id serial @id\n  title text\n"
                    "  pages int4 @check(\"pages > 0\")\n}\n");
    make_up_then_nothing(f, "1", "init", &up);
    assert_non_null(strstr(up, "COMMENT ON CONSTRAINT \"book_pages_check\" ON \"book\" IS "
                               "'pgorm';"));
    free(up);
    assert_int_equal(check_marked(f, "book_pages_check"), 1);
    pgt_exec(f->c, "ALTER TABLE book ADD CONSTRAINT by_hand CHECK (pages < 5000);"
                   "ALTER TABLE book ADD CONSTRAINT title_set CHECK (title <> '');"
                   "ALTER TABLE book ADD CONSTRAINT adopted CHECK (pages <> 13)");

    /* the file names none of them: no change, and they are listed */
    assert_int_equal(make(f, "2", "noop", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    assert_non_null(strstr(out, "3 objects in the database are not described by the schema"));
    assert_non_null(strstr(out, "  check by_hand on book: CHECK ((pages < 5000))"));
    assert_non_null(strstr(out, "  check title_set on book: CHECK ((title <> ''::text))"));
    free(out);

    /* a change next to them leaves them alone; check --database lists them */
    write_schema(f, "model Book {\n  id serial @id\n  title text\n"
                    "  pages int4 @check(\"pages > 0\")\n  isbn text?\n}\n");
    make_up_then_nothing(f, "3", "isbn", &up);
    assert_null(strstr(up, "by_hand"));
    assert_null(strstr(up, "title_set"));
    free(up);
    EXPECT_CHECKS(f, "book", "adopted CHECK ((pages <> 13)), "
                             "book_pages_check CHECK ((pages > 0)), "
                             "by_hand CHECK ((pages < 5000)), "
                             "title_set CHECK ((title <> ''::text))");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "DATABASE_URL='%s' %s check %s --database", f->db.direct, mt_cli(),
             f->schema);
    assert_int_equal(pgt_run(cmd, &out), 0);
    assert_non_null(strstr(out, "  check by_hand on book: CHECK ((pages < 5000))"));
    free(out);

    /* named by the file: `adopted` as it is (no change of its own), title_set
       differently (replaced by the file's); both marked after */
    write_schema(f, "model Book {\n  id serial @id\n  title text\n"
                    "  pages int4 @check(\"pages > 0\")\n  isbn text?\n"
                    "  @@check(adopted, \"pages <> 13\")\n}\n");
    assert_int_equal(make(f, "4", "noop", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    assert_null(strstr(out, "check adopted on book"));
    free(out);
    write_schema(f, "model Book {\n  id serial @id\n  title text\n"
                    "  pages int4 @check(\"pages > 0\")\n  isbn text?\n"
                    "  @@check(adopted, \"pages <> 13\")\n"
                    "  @@check(title_set, \"length(title) > 0\")\n}\n");
    make_up_then_nothing(f, "5", "adopt", &up);
    assert_non_null(strstr(up, "drop check title_set on book: CHECK ((title <> ''::text))"));
    assert_non_null(strstr(up, "mark check adopted on book"));
    assert_non_null(strstr(up, "COMMENT ON CONSTRAINT \"adopted\" ON \"book\" IS 'pgorm';"));
    assert_null(strstr(up, "DROP CONSTRAINT \"adopted\""));
    free(up);
    assert_int_equal(check_marked(f, "adopted"), 1);
    assert_int_equal(check_marked(f, "title_set"), 1);
    assert_int_equal(check_marked(f, "by_hand"), 0);

    /* removed from the file, the file's checks go; the hand-made one stays */
    write_schema(f, "model Book {\n  id serial @id\n  title text\n  pages int4\n  isbn text?\n}\n");
    make_up_then_nothing(f, "6", "drop", &up);
    assert_non_null(strstr(up, "ALTER TABLE \"book\" DROP CONSTRAINT \"book_pages_check\";"));
    assert_non_null(strstr(up, "ALTER TABLE \"book\" DROP CONSTRAINT \"adopted\";"));
    assert_non_null(strstr(up, "ALTER TABLE \"book\" DROP CONSTRAINT \"title_set\";"));
    assert_null(strstr(up, "by_hand"));
    free(up);
    EXPECT_CHECKS(f, "book", "by_hand CHECK ((pages < 5000))");

    /* down brings them back marked as they were: `adopted` unmarked again */
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    assert_int_equal(check_marked(f, "book_pages_check"), 1);
    assert_int_equal(check_marked(f, "adopted"), 0);
    assert_int_equal(check_marked(f, "title_set"), 0);
    EXPECT_CHECKS(f, "book", "adopted CHECK ((pages <> 13)), "
                             "book_pages_check CHECK ((pages > 0)), "
                             "by_hand CHECK ((pages < 5000)), "
                             "title_set CHECK ((title <> ''::text))");
}

/* @@foreign_key through make: added to tables with rows (listed with all
   its columns), a second make empty, then dropped; down restores it. */
static void test_model_foreign_keys(void **state)
{
    fx *f = *state;
    char *up = NULL, *out = NULL;
    static const char BASE[] = "model P {\n  a int4\n  b text\n  code text @unique\n"
                               "  @@id(a, b)\n}\n"
                               "model C {\n  id serial @id\n  pa int4?\n  pb text?\n"
                               "  code text?\n";
    char text[1024];
    snprintf(text, sizeof text, "%s}\n", BASE);
    write_schema(f, text);
    make_up_then_nothing(f, "1", "init", &up);
    free(up);
    pgt_exec(f->c, "INSERT INTO p VALUES (1, 'x', 'X');"
                   "INSERT INTO c (pa, pb, code) VALUES (1, 'x', 'X'), (NULL, NULL, NULL)");

    snprintf(text, sizeof text,
             "%s  @@foreign_key([pa, pb], references: P([a, b]), on_delete: cascade)\n"
             "  @@foreign_key([code], references: P([code]))\n}\n",
             BASE);
    write_schema(f, text);
    assert_int_equal(make(f, "2", "fkeys", "", &out), 0);
    assert_non_null(strstr(out, "add foreign key c(pa, pb) -> p(a, b) on delete cascade"));
    assert_non_null(strstr(out, "add foreign key c.code -> p.code on delete no action"));
    free(out);
    up = read_migration(f, "2_fkeys.up.sql");
    assert_non_null(strstr(up, "ALTER TABLE \"c\" ADD CONSTRAINT \"c_pa_pb_fkey\" FOREIGN KEY "
                               "(\"pa\", \"pb\") REFERENCES \"p\" (\"a\", \"b\") ON DELETE "
                               "CASCADE;"));
    assert_non_null(strstr(up, "ADD CONSTRAINT \"c_code_fkey\" FOREIGN KEY (\"code\") "
                               "REFERENCES \"p\" (\"code\");"));
    free(up);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(make(f, "3", "again", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    assert_null(strstr(out, "c_pa_pb_fkey")); /* managed, not listed as unmanaged */
    free(out);
    pgt_exec(f->c, "DELETE FROM p");
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM c"), 1); /* cascaded */

    /* gone from the file: dropped; down brings it back */
    snprintf(text, sizeof text, "%s}\n", BASE);
    write_schema(f, text);
    make_up_then_nothing(f, "4", "drop", &up);
    assert_non_null(strstr(up, "ALTER TABLE \"c\" DROP CONSTRAINT \"c_pa_pb_fkey\";"));
    assert_non_null(strstr(up, "ALTER TABLE \"c\" DROP CONSTRAINT \"c_code_fkey\";"));
    free(up);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"),
                     0);
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
                                         " AND conname IN ('c_pa_pb_fkey', 'c_code_fkey')"),
                     2);
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

/* citext needs its extension: without it make names the field and says to
   create it; with it, the migration applies and a second make is empty. */
static void test_citext_needs_its_extension(void **state)
{
    fx *f = *state;
    write_schema(f, "model Person {\n  id serial @id\n  email citext @unique\n"
                    "  nick citext?\n}\n");
    char *out = NULL;
    assert_int_equal(make(f, "1", "people", "", &out), 1);
    char want[512];
    snprintf(want, sizeof want,
             "%s:3:9: field 'email' of model Person is citext, the type of the citext "
             "extension, which this database does not have: CREATE EXTENSION citext first",
             f->schema);
    if (!strstr(out, want))
        fail_msg("make says:\n%s\nnot:\n%s", out, want);
    free(out);
    assert_int_equal(mt_count_files(f->dir), 0);
    pgt_exec(f->c, "CREATE EXTENSION citext");
    assert_int_equal(make(f, "1", "people", "", &out), 0);
    free(out);
    /* up where the extension is gone: the server's error, and what to do */
    pgt_exec(f->c, "DROP EXTENSION citext");
    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s", f->dir), 2);
    if (!strstr(out, "type \"citext\" does not exist") ||
        !strstr(out, "HINT: citext is the type of the citext extension: CREATE EXTENSION "
                     "citext first"))
        fail_msg("up says:\n%s", out);
    free(out);
    pgt_exec(f->c, "CREATE EXTENSION citext");
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    pgt_exec(f->c, "INSERT INTO person (email) VALUES ('Ada@Example.com')");
    PGresult *r = PQexec(f->c, "INSERT INTO person (email) VALUES ('ada@example.COM')");
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23505"); /* without case */
    PQclear(r);
    assert_int_equal(make(f, "2", "again", "", &out), 0);
    assert_non_null(strstr(out, "no changes"));
    free(out);
}

/* SQL schemas: the first migration creates them, names everything with
   its schema and runs under a search_path that names none of them; a
   second make is empty; a table of a schema the file does not name is
   never touched; a model moved to another schema is SET SCHEMA with its
   rows, and back. */
static const char SCHEMAS_A[] = "schema shop\n"
                                "enum Size { small large }\n"
                                "enum Tier { bronze gold @@schema(billing) }\n"
                                "model Depot {\n"
                                "  id serial @id\n"
                                "  name text @unique\n"
                                "  parcels BackReference[Parcel]\n"
                                "}\n"
                                "model Parcel {\n"
                                "  id serial @id\n"
                                "  size Size @default(small)\n"
                                "  depot ForeignKey[Depot] @on_delete(cascade)\n"
                                "  courier ForeignKey[Courier]?\n"
                                "}\n"
                                "model Courier {\n"
                                "  id serial @id\n"
                                "  tier Tier @default(gold)\n"
                                "  parcels BackReference[Parcel]\n"
                                "  @@schema(billing)\n"
                                "}\n"
                                "model Note {\n"
                                "  id serial @id\n"
                                "  body text\n"
                                "  @@schema(public)\n"
                                "}\n"
                                "model BillingNote {\n"
                                "  id serial @id\n"
                                "  body text? @check(\"body <> ''\")\n"
                                "  @@table(note)\n"
                                "  @@schema(billing)\n"
                                "}\n";

static void test_sql_schemas(void **state)
{
    fx *f = *state;
    pgt_exec(f->c, "CREATE SCHEMA other; CREATE TABLE other.keep (id int4 PRIMARY KEY); "
                   "CREATE TABLE other.depot (x text)");
    pgt_exec(f->c, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = nothing', "
                   "current_database()); END $$");
    write_schema(f, SCHEMAS_A);
    char *out = NULL;
    int rc = make(f, "1", "init", "", &out);
    if (rc != 0)
        fail_msg("make: %s", out);
    free(out);
    char *up = read_migration(f, "1_init.up.sql");
    assert_non_null(strstr(up, "CREATE SCHEMA IF NOT EXISTS \"shop\";\n"));
    assert_non_null(strstr(up, "CREATE SCHEMA IF NOT EXISTS \"billing\";\n"));
    assert_non_null(strstr(up, "CREATE TYPE \"billing\".\"tier\" AS ENUM ('bronze', 'gold');"));
    assert_non_null(strstr(up, "CREATE TABLE \"shop\".\"parcel\" ("));
    assert_non_null(strstr(up, "\"size\" \"shop\".\"size\" NOT NULL DEFAULT 'small'"));
    assert_non_null(strstr(up, "REFERENCES \"billing\".\"courier\""));
    assert_non_null(strstr(up, "CREATE TABLE \"note\" ("));
    assert_non_null(strstr(up, "CREATE TABLE \"billing\".\"note\" ("));
    assert_non_null(strstr(up, "CREATE INDEX \"parcel_depot_id_idx\" ON \"shop\".\"parcel\""));
    assert_null(strstr(up, "other"));
    free(up);
    char *down = read_migration(f, "1_init.down.sql");
    assert_non_null(strstr(down, "DROP TABLE \"billing\".\"courier\";"));
    assert_non_null(strstr(down, "DROP TYPE \"shop\".\"size\";"));
    assert_non_null(strstr(down, "-- schema billing stays"));
    free(down);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_tables WHERE schemaname IN "
                                         "('shop', 'billing', 'public') AND tablename <> "
                                         "'pgorm_migrations'"),
                     5);
    /* a second make: nothing (with the hostile search_path too); what is
       not the file's in its schemas is listed, other schemas are not read */
    pgt_exec(f->c, "CREATE VIEW shop.big AS SELECT 1 AS x; CREATE VIEW other.v AS SELECT 1 AS x");
    out = NULL;
    assert_int_equal(make(f, "2", "again", "", &out), 0);
    if (!strstr(out, "no changes") || !strstr(out, "  view shop.big\n") || strstr(out, "other"))
        fail_msg("second make: %s", out);
    free(out);
    assert_int_equal(mt_count_files(f->dir), 2);

    /* rows, then Courier moves to shop: SET SCHEMA, rows and the foreign
       key kept */
    pgt_exec(f->c, "INSERT INTO shop.depot (name) VALUES ('d'); INSERT INTO billing.courier "
                   "DEFAULT VALUES; INSERT INTO shop.parcel (depot_id, courier_id) VALUES (1, 1)");
    char *moved = strdup(SCHEMAS_A);
    char *at = strstr(moved, "  @@schema(billing)\n}\nmodel Note");
    assert_non_null(at);
    memcpy(at, "  @@schema(shop)   ", strlen("  @@schema(shop)   "));
    write_schema(f, moved);
    free(moved);
    out = NULL;
    rc = make(f, "3", "move", "", &out);
    if (rc != 0)
        fail_msg("make move: %s", out);
    assert_non_null(strstr(out, "move table billing.courier to schema shop"));
    free(out);
    up = read_migration(f, "3_move.up.sql");
    assert_non_null(strstr(up, "ALTER TABLE \"billing\".\"courier\" SET SCHEMA \"shop\";\n"));
    assert_null(strstr(up, "DROP TABLE"));
    assert_null(strstr(up, "FOREIGN KEY"));
    free(up);
    down = read_migration(f, "3_move.down.sql");
    assert_non_null(strstr(down, "ALTER TABLE \"shop\".\"courier\" SET SCHEMA \"billing\";\n"));
    free(down);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM shop.parcel p JOIN shop.courier c "
                                         "ON c.id = p.courier_id WHERE c.tier = 'gold'"),
                     1);
    out = NULL;
    assert_int_equal(make(f, "4", "again", "", &out), 0);
    if (!strstr(out, "no changes"))
        fail_msg("make after the move: %s", out);
    free(out);
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM billing.courier"), 1);
    /* all the way down: the tables go, the schemas stay, other's tables
       were never touched */
    MT_MIGRATE(&f->db, 0, "down --dir %s", f->dir);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_tables WHERE schemaname IN "
                                         "('shop', 'billing')"),
                     0);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_namespace WHERE nspname IN "
                                         "('shop', 'billing')"),
                     2);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pg_tables WHERE schemaname = "
                                         "'other'"),
                     2);
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
        cmocka_unit_test_setup_teardown(test_view_dependency_warns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checks_and_expression_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hand_made_checks_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_foreign_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sql_schemas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_options_and_on_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_key_index_added_then_opted_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_citext_needs_its_extension, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
