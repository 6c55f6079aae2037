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
        cmocka_unit_test_setup_teardown(test_user_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_key_index_added_then_opted_out, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
