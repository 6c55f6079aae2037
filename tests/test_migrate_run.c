/* The migration runner through the command line: up, down, redo, status,
   history, the checksums of applied up and down files, a table made before
   down files were checksummed, a failing statement, two concurrent ups,
   pgorm --version. */
#include "migtest.h"

#include <sys/wait.h>

#include "migrate/files.h"
#include "migrate/sqlsplit.h"

typedef mt_fx fx;

static int setup(void **state)
{
    *state = mt_open("mig_run");
    return 0;
}

static int teardown(void **state)
{
    mt_close(*state);
    return 0;
}

static void three_files(const char *dir)
{
    mt_write(dir, "1001_authors.up.sql",
             "-- authors\nCREATE TABLE author (id bigserial PRIMARY KEY, name text NOT NULL);\n");
    mt_write(dir, "1001_authors.down.sql", "DROP TABLE author;\n");
    mt_write(dir, "1002_books.up.sql",
             "CREATE TABLE book (id bigserial PRIMARY KEY,\n"
             "  author_id int8 NOT NULL REFERENCES author (id));\n"
             "INSERT INTO author (name) VALUES ('semi;colon'), ($$dollar;$$);\n");
    mt_write(dir, "1002_books.down.sql", "DROP TABLE book;\nDELETE FROM author;\n");
    mt_write(dir, "1010_pages.up.sql", "ALTER TABLE book ADD COLUMN pages int4;\n");
    mt_write(dir, "1010_pages.down.sql", "ALTER TABLE book DROP COLUMN pages;\n");
    mt_write(dir, "README", "not a migration\n");
}

static int64_t applied_count(PGconn *c)
{
    return pgt_query_int(c, "SELECT count(*) FROM pgorm_migrations");
}

static bool has_table(PGconn *c, const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_class WHERE relname = '%s'", name);
    return pgt_query_int(c, sql) > 0;
}

static void test_up_down_status(void **state)
{
    fx *f = *state;
    three_files(f->dir);
    char *out = NULL;

    assert_int_equal(mt_migrate(&f->db, "", &out, "status --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "pending           1001_authors"));
    assert_non_null(strstr(out, "0 applied, 3 pending"));
    free(out);

    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s --to 1002", f->dir), 0);
    assert_non_null(strstr(out, "applied 1001_authors ("));
    assert_non_null(strstr(out, "applied 1002_books ("));
    assert_non_null(strstr(out, " ms)"));
    assert_null(strstr(out, "1010"));
    free(out);
    assert_int_equal(applied_count(f->c), 2);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM author"), 2);
    char *sum = pgt_query_text(f->c, "SELECT checksum FROM pgorm_migrations WHERE version = '1001'");
    assert_int_equal(strncmp(sum, "fnv1a64:", 8), 0);
    assert_int_equal(strlen(sum), 24);
    free(sum);

    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir=%s", f->dir), 0);
    assert_non_null(strstr(out, "applied 1010_pages"));
    assert_null(strstr(out, "1001_authors"));
    free(out);
    assert_int_equal(applied_count(f->c), 3);

    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "nothing to apply"));
    free(out);

    assert_int_equal(mt_migrate(&f->db, "", &out, "status --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "applied           1010_pages"));
    assert_non_null(strstr(out, "3 applied, 0 pending"));
    free(out);

    /* down: one step by default, then two more */
    assert_int_equal(mt_migrate(&f->db, "", &out, "down --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "reverted 1010_pages"));
    free(out);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM information_schema.columns "
                                         "WHERE table_name = 'book' AND column_name = 'pages'"),
                     0);
    assert_int_equal(applied_count(f->c), 2);
    assert_int_equal(mt_migrate(&f->db, "", &out, "down --dir %s --steps 5", f->dir), 0);
    assert_non_null(strstr(out, "reverted 1002_books"));
    assert_non_null(strstr(out, "reverted 1001_authors"));
    assert_non_null(strstr(out, "2 migrations reverted"));
    free(out);
    assert_false(has_table(f->c, "author"));
    assert_int_equal(applied_count(f->c), 0);
    assert_int_equal(mt_migrate(&f->db, "", &out, "down --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "nothing to revert"));
    free(out);
}

static void test_edited_applied_file_is_refused(void **state)
{
    fx *f = *state;
    three_files(f->dir);
    MT_MIGRATE(&f->db, 0, "up --dir %s --to 1001", f->dir);
    mt_write(f->dir, "1001_authors.up.sql",
             "CREATE TABLE author (id bigserial PRIMARY KEY, name text);\n");
    char *out = NULL;
    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s", f->dir), 1);
    assert_non_null(strstr(out, "1001_authors.up.sql was changed after it was applied"));
    free(out);
    assert_false(has_table(f->c, "book")); /* nothing else ran */
    assert_int_equal(mt_migrate(&f->db, "", &out, "down --dir %s", f->dir), 1);
    free(out);
    assert_true(has_table(f->c, "author"));
    assert_int_equal(mt_migrate(&f->db, "", &out, "status --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "applied, CHANGED  1001_authors"));
    free(out);
}

/* The checksum pgorm records for a file's text. */
static void sum_of(const char *text, char out[MIG_CHECKSUM_SIZE])
{
    mig_checksum(text, strlen(text), out);
}

static char *row_text(PGconn *c, const char *column, const char *version)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM pgorm_migrations WHERE version = '%s'", column,
             version);
    return pgt_query_text(c, sql);
}

static bool has_column(PGconn *c, const char *table, const char *column)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM information_schema.columns WHERE table_name = '%s' AND "
             "column_name = '%s'",
             table, column);
    return pgt_query_int(c, sql) > 0;
}

static void test_up_records_down_checksums(void **state)
{
    fx *f = *state;
    three_files(f->dir);
    mt_write(f->dir, "1020_nodown.up.sql", "CREATE TABLE nodown (x int4);\n");
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    char want[MIG_CHECKSUM_SIZE];
    sum_of("DROP TABLE book;\nDELETE FROM author;\n", want);
    char *got = row_text(f->c, "down_checksum", "1002");
    assert_string_equal(got, want);
    free(got);
    sum_of("ALTER TABLE book ADD COLUMN pages int4;\n", want);
    got = row_text(f->c, "checksum", "1010");
    assert_string_equal(got, want);
    free(got);
    got = row_text(f->c, "down_checksum", "1020");
    assert_string_equal(got, "none");
    free(got);
}

static void test_edited_down_file_is_refused(void **state)
{
    fx *f = *state;
    three_files(f->dir);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    char old[MIG_CHECKSUM_SIZE], now[MIG_CHECKSUM_SIZE];
    sum_of("ALTER TABLE book DROP COLUMN pages;\n", old);
    const char *edited = "ALTER TABLE book DROP COLUMN pages;\nDROP TABLE book;\n";
    sum_of(edited, now);
    mt_write(f->dir, "1010_pages.down.sql", edited);

    char *out = NULL;
    assert_int_equal(mt_migrate(&f->db, "", &out, "down --dir %s", f->dir), 1);
    assert_non_null(strstr(out, "1010_pages.down.sql was changed after 1010_pages was applied"));
    assert_non_null(strstr(out, old));
    assert_non_null(strstr(out, now));
    assert_non_null(strstr(out, "nothing was reverted"));
    assert_non_null(strstr(out, "Restore the file"));
    assert_non_null(strstr(out, "--allow-changed-down"));
    free(out);
    assert_true(has_column(f->c, "book", "pages"));
    assert_int_equal(applied_count(f->c), 3);

    assert_int_equal(mt_migrate(&f->db, "", &out, "redo --dir %s", f->dir), 1);
    assert_non_null(strstr(out, "1010_pages.down.sql was changed"));
    free(out);
    assert_true(has_column(f->c, "book", "pages"));
    assert_int_equal(applied_count(f->c), 3);

    /* up has nothing to run and is not held up by a down file */
    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "nothing to apply"));
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "status --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "applied, CHANGED  1010_pages"));
    assert_non_null(strstr(out, "1010_pages.down.sql changed since"));
    assert_non_null(strstr(out, "applied           1002_books"));
    free(out);

    /* every down file is checked before the first one runs */
    mt_write(f->dir, "1010_pages.down.sql", "ALTER TABLE book DROP COLUMN pages;\n");
    mt_write(f->dir, "1001_authors.down.sql", "DROP TABLE author CASCADE;\n");
    assert_int_equal(mt_migrate(&f->db, "", &out, "down --dir %s --steps 3", f->dir), 1);
    assert_non_null(strstr(out, "1001_authors.down.sql was changed"));
    assert_null(strstr(out, "reverted 10"));
    free(out);
    assert_true(has_column(f->c, "book", "pages"));
    assert_int_equal(applied_count(f->c), 3);

    /* the flag runs it as it is now, and says so */
    assert_int_equal(
        mt_migrate(&f->db, "", &out, "down --dir %s --steps 3 --allow-changed-down", f->dir), 0);
    assert_non_null(strstr(out, "1001_authors.down.sql changed after 1001_authors was applied"));
    assert_non_null(strstr(out, "3 migrations reverted"));
    free(out);
    assert_false(has_table(f->c, "author"));
    assert_int_equal(applied_count(f->c), 0);
}

static void test_redo(void **state)
{
    fx *f = *state;
    three_files(f->dir);
    char *out = NULL;
    assert_int_equal(mt_migrate(&f->db, "", &out, "redo --dir %s", f->dir), 1);
    assert_non_null(strstr(out, "nothing to redo: no migration is applied"));
    free(out);

    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    pgt_exec(f->c, "INSERT INTO book (author_id, pages) SELECT id, 7 FROM author");
    char *before = mt_snapshot(f->c);
    char *sum = row_text(f->c, "checksum", "1010");
    char *dsum = row_text(f->c, "down_checksum", "1010");
    char *at = row_text(f->c, "applied_at::text", "1010");
    char *at1001 = row_text(f->c, "applied_at::text", "1001");

    assert_int_equal(mt_migrate(&f->db, "", &out, "redo --dir %s", f->dir), 0);
    const char *rev = strstr(out, "reverted 1010_pages (");
    const char *app = strstr(out, "applied 1010_pages (");
    assert_non_null(rev);
    assert_non_null(app);
    assert_true(rev < app);
    assert_non_null(strstr(out, "redone 1010_pages in "));
    assert_null(strstr(out, "1002_books"));
    free(out);

    char *after = mt_snapshot(f->c);
    assert_string_equal(after, before);
    assert_int_equal(applied_count(f->c), 3);
    char *v = row_text(f->c, "checksum", "1010");
    assert_string_equal(v, sum);
    free(v);
    v = row_text(f->c, "down_checksum", "1010");
    assert_string_equal(v, dsum);
    free(v);
    v = row_text(f->c, "applied_at::text", "1010");
    assert_string_not_equal(v, at); /* applied again */
    free(v);
    v = row_text(f->c, "applied_at::text", "1001");
    assert_string_equal(v, at1001); /* the others untouched */
    free(v);
    /* the column came back empty: its values went with the down file */
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM book WHERE pages IS NULL"), 2);

    /* redo with a changed down file, when asked: the new checksum is recorded */
    const char *edited = "-- drop it\nALTER TABLE book DROP COLUMN pages;\n";
    char now[MIG_CHECKSUM_SIZE];
    sum_of(edited, now);
    mt_write(f->dir, "1010_pages.down.sql", edited);
    MT_MIGRATE(&f->db, 1, "redo --dir %s", f->dir);
    v = row_text(f->c, "down_checksum", "1010");
    assert_string_equal(v, dsum);
    free(v);
    MT_MIGRATE(&f->db, 0, "redo --dir %s --allow-changed-down", f->dir);
    v = row_text(f->c, "down_checksum", "1010");
    assert_string_equal(v, now);
    free(v);
    MT_MIGRATE(&f->db, 0, "redo --dir %s", f->dir);
    free(before);
    free(after);
    free(sum);
    free(dsum);
    free(at);
    free(at1001);
}

static void test_redo_failing_up_stays_reverted(void **state)
{
    fx *f = *state;
    mt_write(f->dir, "1_t.up.sql", "CREATE TABLE t (x int4);\n");
    mt_write(f->dir, "1_t.down.sql", "SELECT 1;\n"); /* forgets to drop t */
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);
    char *out = NULL;
    assert_int_equal(mt_migrate(&f->db, "", &out, "redo --dir %s", f->dir), 2);
    assert_non_null(strstr(out, "reverted 1_t ("));
    assert_non_null(strstr(out, "relation \"t\" already exists"));
    assert_non_null(strstr(out, "1_t was reverted first and stays reverted"));
    assert_non_null(strstr(out, "pgorm migrate up"));
    free(out);
    assert_int_equal(applied_count(f->c), 0);
}

static void test_history(void **state)
{
    fx *f = *state;
    three_files(f->dir);
    char *out = NULL;
    assert_int_equal(mt_migrate(&f->db, "", &out, "history --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "no migration is applied"));
    free(out);
    MT_MIGRATE(&f->db, 0, "up --dir %s --to 1002", f->dir);
    MT_MIGRATE(&f->db, 0, "up --dir %s", f->dir);

    char up1[MIG_CHECKSUM_SIZE], down1[MIG_CHECKSUM_SIZE], down2[MIG_CHECKSUM_SIZE],
        up10[MIG_CHECKSUM_SIZE];
    sum_of("-- authors\nCREATE TABLE author (id bigserial PRIMARY KEY, name text NOT NULL);\n",
           up1);
    sum_of("DROP TABLE author;\n", down1);
    sum_of("DROP TABLE book;\nDELETE FROM author;\n", down2);
    sum_of("ALTER TABLE book ADD COLUMN pages int4;\n", up10);
    char *at = row_text(f->c,
                        "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'",
                        "1001");
    char want[256];

    assert_int_equal(mt_migrate(&f->db, "", &out, "history --dir %s", f->dir), 0);
    snprintf(want, sizeof want, "%s  1001_authors  up %s  down %s\n", at, up1, down1);
    const char *l1 = strstr(out, want);
    const char *l2 = strstr(out, "1002_books  ");
    const char *l3 = strstr(out, "1010_pages  ");
    assert_non_null(l1);
    assert_non_null(l2);
    assert_non_null(l3);
    assert_true(l1 < l2 && l2 < l3);
    assert_non_null(strstr(out, "3 applied\n"));
    assert_null(strstr(out, "CHANGED"));
    assert_null(strstr(out, "MISSING"));
    free(out);

    /* a changed down file and a missing migration are marked */
    const char *edited = "DROP TABLE book CASCADE;\n";
    char now[MIG_CHECKSUM_SIZE];
    sum_of(edited, now);
    mt_write(f->dir, "1002_books.down.sql", edited);
    char path[256];
    snprintf(path, sizeof path, "%s/1010_pages.up.sql", f->dir);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof path, "%s/1010_pages.down.sql", f->dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mt_migrate(&f->db, "", &out, "history --dir %s", f->dir), 0);
    snprintf(want, sizeof want, "down %s (CHANGED: %s on disk)", down2, now);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "1010_pages    up %s (MISSING: no 1010_pages.up.sql)", up10);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "3 applied, 2 with files missing or changed on disk"));
    free(out);
    free(at);
}

/* pgorm_migrations as an older pgorm made it: no down_checksum. */
static void test_table_without_down_checksum(void **state)
{
    fx *f = *state;
    three_files(f->dir);
    char up1[MIG_CHECKSUM_SIZE];
    sum_of("-- authors\nCREATE TABLE author (id bigserial PRIMARY KEY, name text NOT NULL);\n",
           up1);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TABLE public.pgorm_migrations (version text PRIMARY KEY, name text NOT "
             "NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
             "CREATE TABLE author (id bigserial PRIMARY KEY, name text NOT NULL);"
             "INSERT INTO pgorm_migrations (version, name, checksum) "
             "VALUES ('1001', 'authors', '%s')",
             up1);
    pgt_exec(f->c, sql);

    char *out = NULL;
    assert_int_equal(mt_migrate(&f->db, "", &out, "status --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "applied           1001_authors"));
    assert_non_null(strstr(out, "down file not checked: its checksum was not recorded"));
    assert_non_null(strstr(out, "1 applied, 2 pending\n"));
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "history --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "up fnv1a64:"));
    assert_non_null(strstr(out, "down not recorded"));
    free(out);
    assert_false(has_column(f->c, "pgorm_migrations", "down_checksum")); /* read-only */

    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s", f->dir), 0);
    assert_non_null(strstr(out, "added the column down_checksum"));
    assert_non_null(strstr(out, "2 migrations applied"));
    free(out);
    assert_true(has_column(f->c, "pgorm_migrations", "down_checksum"));
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM pgorm_migrations "
                                         "WHERE down_checksum IS NULL"),
                     1);

    assert_int_equal(mt_migrate(&f->db, "", &out, "down --dir %s --steps 3", f->dir), 0);
    assert_non_null(strstr(out, "note: 1001_authors was applied before pgorm recorded"));
    assert_non_null(strstr(out, "3 migrations reverted"));
    free(out);
    assert_false(has_table(f->c, "author"));
}

static void test_version(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/CMakeLists.txt", PGORM_SOURCE_DIR);
    char *cm = pgt_read_file(path, NULL);
    const char *p = strstr(cm, "project(pgorm VERSION ");
    assert_non_null(p);
    p += strlen("project(pgorm VERSION ");
    char want[64];
    snprintf(want, sizeof want, "pgorm %.*s\n", (int)strcspn(p, " )"), p);
    free(cm);
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof cmd, "%s --version", mt_cli());
    assert_int_equal(pgt_run(cmd, &out), 0);
    assert_string_equal(out, want);
    free(out);
    snprintf(cmd, sizeof cmd, "%s -V", mt_cli());
    assert_int_equal(pgt_run(cmd, &out), 0);
    assert_string_equal(out, want);
    free(out);
    snprintf(cmd, sizeof cmd, "%s --help", mt_cli());
    assert_int_equal(pgt_run(cmd, &out), 0);
    assert_non_null(strstr(out, "pgorm --version"));
    assert_non_null(strstr(out, "pgorm migrate redo"));
    assert_non_null(strstr(out, "pgorm migrate history"));
    free(out);
}

static void test_failing_statement_rolls_back_the_file(void **state)
{
    fx *f = *state;
    three_files(f->dir);
    mt_write(f->dir, "1020_broken.up.sql",
             "CREATE TABLE first_one (id int4);\n"
             "\n"
             "ALTER TABLE book\n"
             "  ADD COLUMN x int44;\n"
             "CREATE TABLE never (id int4);\n");
    mt_write(f->dir, "1020_broken.down.sql", "DROP TABLE first_one;\n");
    char *out = NULL;
    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s", f->dir), 2);
    assert_non_null(strstr(out, "applied 1010_pages"));
    assert_non_null(strstr(out, "1020_broken failed at statement 2 of 3"));
    assert_non_null(strstr(out, "1020_broken.up.sql:4, column 16"));
    assert_non_null(strstr(out, "ALTER TABLE book ..."));
    assert_non_null(strstr(out, "type \"int44\" does not exist"));
    assert_non_null(strstr(out, "SQLSTATE 42704"));
    assert_non_null(strstr(out, "rolled back"));
    free(out);
    assert_false(has_table(f->c, "first_one"));
    assert_false(has_table(f->c, "never"));
    assert_int_equal(applied_count(f->c), 3); /* the files before it stay applied */
}

static void test_transaction_control_is_refused(void **state)
{
    fx *f = *state;
    mt_write(f->dir, "1_tx.up.sql", "CREATE TABLE a (x int4);\ncommit;\nCREATE TABLE b (x int4);\n");
    mt_write(f->dir, "1_tx.down.sql", "DROP TABLE a;\n");
    char *out = NULL;
    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s", f->dir), 1);
    assert_non_null(strstr(out, "1_tx.up.sql:2:"));
    assert_non_null(strstr(out, "transaction of its own"));
    free(out);
    assert_false(has_table(f->c, "a"));
}

static void test_usage_errors(void **state)
{
    fx *f = *state;
    char *out = NULL;
    assert_int_equal(mt_migrate(&f->db, "", &out, "sideways --dir %s", f->dir), 1);
    assert_non_null(strstr(out, "unknown subcommand 'sideways'"));
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "up"), 1);
    assert_non_null(strstr(out, "needs --dir"));
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "down --dir %s --steps 0", f->dir), 1);
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s --to 999", f->dir), 1);
    assert_non_null(strstr(out, "no migration with that version"));
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s/nope", f->dir), 1);
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "redo"), 1);
    assert_non_null(strstr(out, "redo needs --dir"));
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "history --dir %s --steps 2", f->dir), 1);
    assert_non_null(strstr(out, "unexpected argument '--steps'"));
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "up --dir %s --allow-changed-down", f->dir),
                     1);
    assert_non_null(strstr(out, "unexpected argument '--allow-changed-down'"));
    free(out);
    assert_int_equal(mt_migrate(&f->db, "", &out, "make --dir %s --allow-changed-down", f->dir),
                     1);
    free(out);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "DATABASE_URL='host=/nonexistent port=1' %s migrate status --dir %s",
             mt_cli(), f->dir);
    assert_int_equal(pgt_run(cmd, &out), 2);
    assert_non_null(strstr(out, "cannot connect"));
    free(out);
}

static void test_two_concurrent_ups_apply_once(void **state)
{
    fx *f = *state;
    mt_write(f->dir, "1_log.up.sql", "CREATE TABLE log (x int4);\n");
    mt_write(f->dir, "1_log.down.sql", "DROP TABLE log;\n");
    mt_write(f->dir, "2_slow.up.sql",
             "INSERT INTO log VALUES (1);\nSELECT pg_sleep(0.5);\nINSERT INTO log VALUES (2);\n");
    mt_write(f->dir, "2_slow.down.sql", "DELETE FROM log;\n");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "DATABASE_URL='%s' %s migrate up --dir %s 2>&1", f->db.direct,
             mt_cli(), f->dir);
    FILE *a = popen(cmd, "r");
    FILE *b = popen(cmd, "r");
    assert_non_null(a);
    assert_non_null(b);
    char buf[4096];
    size_t na = fread(buf, 1, sizeof buf - 1, a);
    buf[na] = '\0';
    int sa = pclose(a);
    size_t nb = fread(buf, 1, sizeof buf - 1, b);
    buf[nb] = '\0';
    int sb = pclose(b);
    assert_true(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
    assert_true(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
    assert_int_equal(pgt_query_int(f->c, "SELECT count(*) FROM log"), 2);
    assert_int_equal(applied_count(f->c), 2);
}

static void test_split_statements(void **state)
{
    (void)state;
    const char *sql = "-- head; comment\n"
                      "/* block /* nested; */ still; */\n"
                      "SELECT 'a;b', E'it\\'s;', \"we;ird\";\n"
                      "DO $fn$ BEGIN PERFORM 1; END $fn$;\n"
                      "  ;;\n"
                      "SELECT $$x;$$ -- trailing; comment\n"
                      ", 2";
    size_t n = 0;
    mig_stmt *st = mig_sql_split(sql, strlen(sql), &n);
    assert_int_equal(n, 3);
    assert_int_equal(st[0].line, 3);
    assert_int_equal(strncmp(sql + st[0].offset, "SELECT 'a;b'", 12), 0);
    assert_int_equal(sql[st[0].offset + st[0].len - 1], ';');
    assert_int_equal(st[0].len, strlen("SELECT 'a;b', E'it\\'s;', \"we;ird\";"));
    assert_int_equal(st[1].line, 4);
    assert_int_equal(st[1].len, strlen("DO $fn$ BEGIN PERFORM 1; END $fn$;"));
    assert_int_equal(st[2].line, 6);
    assert_string_equal(sql + st[2].offset, "SELECT $$x;$$ -- trailing; comment\n, 2");
    int line, col;
    mig_sql_position(sql, &st[2], 15, &line, &col); /* the "-" of "--" */
    assert_int_equal(line, 6);
    assert_int_equal(col, 15);
    mig_sql_position(sql, &st[2], 38, &line, &col); /* "2" on the next line */
    assert_int_equal(line, 7);
    assert_int_equal(col, 3);
    pgorm_free(st);
    assert_null(mig_sql_split("  -- nothing\n", 13, &n));
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_statements),
        cmocka_unit_test_setup_teardown(test_up_down_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_applied_file_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_up_records_down_checksums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_down_file_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redo_failing_up_stays_reverted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_without_down_checksum, setup, teardown),
        cmocka_unit_test(test_version),
        cmocka_unit_test_setup_teardown(test_failing_statement_rolls_back_the_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_transaction_control_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_concurrent_ups_apply_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
