/* Introspection of a live database into the migration catalog and into a
   pgorm_schema: types, NULL, defaults, keys, uniques, indexes, foreign keys,
   checks. */
#include "pgtest.h"

#include <string.h>

#include "migrate/ddl.h"
#include "migrate/introspect.h"
#include "util/buf.h"

static PGconn *fresh(pgt_db *db, const char *label, const char *sql)
{
    pgt_db_create(db, label);
    PGconn *c = pgt_connect(db->direct);
    pgt_exec(c, sql);
    return c;
}

static mig_catalog *introspect(PGconn *c)
{
    mig_err e = {0};
    mig_catalog *cat = mig_introspect(c, &e);
    if (!cat)
        fail_msg("introspect: %s", e.message);
    return cat;
}

static const mig_column *col(const mig_catalog *cat, const char *t, const char *c)
{
    const mig_table *tab = mig_catalog_table(cat, t);
    assert_non_null(tab);
    const mig_column *colp = mig_table_column(tab, c);
    if (!colp)
        fail_msg("no column %s.%s", t, c);
    return colp;
}

static void test_types_null_defaults(void **state)
{
    (void)state;
    pgt_db db;
    PGconn *c = fresh(&db, "intro_types",
                      "CREATE TABLE t ("
                      " a int2 NOT NULL DEFAULT 5, b int4 DEFAULT -42, c int8, d numeric(12,2) "
                      "DEFAULT 3.25, e float4, f float8 DEFAULT -2.5, g text DEFAULT 'it''s', "
                      "h varchar(40) NOT NULL, i bytea, j uuid, k date DEFAULT '2024-01-01', "
                      "l timestamp DEFAULT now(), m timestamptz, n jsonb DEFAULT '{}', "
                      "o bool DEFAULT true, p serial, q bigserial, r int4 DEFAULT 2 + 2);"
                      "CREATE TABLE pgorm_migrations (version text);");
    mig_catalog *cat = introspect(c);
    assert_int_equal(cat->ntables, 1); /* pgorm_migrations is left out */
    const mig_table *t = mig_catalog_table(cat, "t");
    assert_int_equal(t->ncols, 18);
    assert_string_equal(t->cols[0].name, "a"); /* column order kept */
    assert_int_equal(col(cat, "t", "a")->type.scalar, PGORM_S_INT2);
    assert_false(col(cat, "t", "a")->nullable);
    assert_int_equal(col(cat, "t", "a")->def.kind, PGORM_DEFAULT_INT);
    assert_string_equal(col(cat, "t", "a")->def.text, "5");
    assert_true(col(cat, "t", "b")->nullable);
    assert_int_equal(col(cat, "t", "b")->def.kind, PGORM_DEFAULT_INT);
    assert_string_equal(col(cat, "t", "b")->def.text, "-42");
    assert_int_equal(col(cat, "t", "c")->def.kind, PGORM_DEFAULT_NONE);
    const mig_column *d = col(cat, "t", "d");
    assert_int_equal(d->type.scalar, PGORM_S_NUMERIC);
    assert_int_equal(d->type.precision, 12);
    assert_int_equal(d->type.scale, 2);
    assert_int_equal(d->def.kind, PGORM_DEFAULT_DECIMAL);
    assert_string_equal(d->def.text, "3.25");
    assert_int_equal(col(cat, "t", "e")->type.scalar, PGORM_S_FLOAT4);
    assert_string_equal(col(cat, "t", "f")->def.text, "-2.5");
    assert_int_equal(col(cat, "t", "g")->def.kind, PGORM_DEFAULT_STRING);
    assert_string_equal(col(cat, "t", "g")->def.text, "it's");
    assert_string_equal(col(cat, "t", "g")->def_sql, "'it''s'::text");
    assert_int_equal(col(cat, "t", "h")->type.scalar, PGORM_S_VARCHAR);
    assert_int_equal(col(cat, "t", "h")->type.precision, 40);
    assert_false(col(cat, "t", "h")->nullable);
    assert_int_equal(col(cat, "t", "i")->type.scalar, PGORM_S_BYTEA);
    assert_int_equal(col(cat, "t", "j")->type.scalar, PGORM_S_UUID);
    assert_int_equal(col(cat, "t", "k")->def.kind, PGORM_DEFAULT_STRING);
    assert_string_equal(col(cat, "t", "k")->def.text, "2024-01-01");
    assert_int_equal(col(cat, "t", "l")->def.kind, PGORM_DEFAULT_NOW);
    assert_int_equal(col(cat, "t", "m")->type.scalar, PGORM_S_TIMESTAMPTZ);
    assert_string_equal(col(cat, "t", "n")->def.text, "{}");
    assert_int_equal(col(cat, "t", "o")->def.kind, PGORM_DEFAULT_BOOL);
    assert_string_equal(col(cat, "t", "o")->def.text, "true");
    const mig_column *p = col(cat, "t", "p");
    assert_int_equal(p->type.scalar, PGORM_S_SERIAL);
    assert_int_equal(p->def.kind, PGORM_DEFAULT_NONE);
    assert_string_equal(p->seq, "t_p_seq");
    assert_false(p->nullable);
    assert_int_equal(col(cat, "t", "q")->type.scalar, PGORM_S_BIGSERIAL);
    assert_int_equal(col(cat, "t", "r")->def.kind, PGORM_DEFAULT_SQL);
    assert_string_equal(col(cat, "t", "r")->def.text, "(2 + 2)");
    mig_catalog_free(cat);
    PQfinish(c);
    pgt_db_drop(&db);
}

static void test_keys_indexes_fks(void **state)
{
    (void)state;
    pgt_db db;
    PGconn *c = fresh(
        &db, "intro_keys",
        "CREATE TABLE author (id bigserial PRIMARY KEY, email text UNIQUE, name text);"
        "CREATE TABLE book (id bigserial PRIMARY KEY, isbn text NOT NULL, title text,"
        " author_id int8 NOT NULL REFERENCES author (id) ON DELETE CASCADE ON UPDATE RESTRICT,"
        " editor_id int8 REFERENCES author (id) ON DELETE SET NULL ON UPDATE SET NULL,"
        " CONSTRAINT book_title_isbn_key UNIQUE (title, isbn));"
        "CREATE INDEX book_title_idx ON book (title);"
        "CREATE INDEX book_multi_idx ON book (author_id, title);"
        "CREATE UNIQUE INDEX book_isbn_uidx ON book (isbn);"
        "CREATE INDEX book_expr_idx ON book (lower(title));"
        "CREATE INDEX book_partial_idx ON book (title) WHERE title IS NOT NULL;"
        "CREATE INDEX book_gin_idx ON book USING gin (to_tsvector('simple', title));"
        "CREATE INDEX book_desc_idx ON book (author_id DESC, (id + 1) DESC);"
        "CREATE UNIQUE INDEX book_upart_idx ON book (isbn) WHERE author_id > 0;"
        "CREATE INDEX book_hash_idx ON book USING hash (isbn);"
        "CREATE TABLE \"order\" (a int4, b int4, \"User\" text, PRIMARY KEY (b, a),"
        " r_id int8 REFERENCES author ON DELETE RESTRICT);");
    mig_catalog *cat = introspect(c);
    assert_int_equal(cat->ntables, 3);
    assert_string_equal(cat->tables[0].name, "author");
    assert_string_equal(cat->tables[1].name, "book");
    assert_string_equal(cat->tables[2].name, "order");

    const mig_table *author = mig_catalog_table(cat, "author");
    const mig_key *pk = mig_table_pk(author);
    assert_non_null(pk);
    assert_int_equal(pk->ncols, 1);
    assert_string_equal(pk->cols[0], "id");
    assert_string_equal(pk->name, "author_pkey");
    assert_int_equal(author->nkeys, 2);
    assert_int_equal(author->keys[1].kind, MIG_KEY_UNIQUE);
    assert_string_equal(author->keys[1].cols[0], "email");
    assert_string_equal(author->keys[1].name, "author_email_key");

    const mig_table *book = mig_catalog_table(cat, "book");
    /* pkey, 1 unique constraint, 2 unique indexes (one partial), 7 indexes by
       name: expressions, partial, DESC, gin and hash ones are managed */
    assert_int_equal(book->nkeys, 11);
    assert_null(mig_unmanaged_find(cat, MIG_UM_INDEX, "book", "book_expr_idx"));
    assert_null(mig_unmanaged_find(cat, MIG_UM_INDEX, "book", "book_partial_idx"));
    assert_int_equal(book->keys[1].kind, MIG_KEY_UNIQUE);
    assert_int_equal(book->keys[1].ncols, 2);
    assert_string_equal(book->keys[1].cols[0], "title");
    assert_string_equal(book->keys[1].cols[1], "isbn");
    assert_false(book->keys[1].index_only);
    assert_int_equal(book->keys[2].kind, MIG_KEY_UNIQUE);
    assert_true(book->keys[2].index_only);
    assert_string_equal(book->keys[2].name, "book_isbn_uidx");
    assert_null(book->keys[2].where);
    const mig_key *k = &book->keys[3];
    assert_string_equal(k->name, "book_upart_idx");
    assert_true(k->index_only);
    assert_string_equal(k->where, "(author_id > 0)");
    k = &book->keys[4];
    assert_string_equal(k->name, "book_desc_idx");
    assert_int_equal(k->ncols, 2);
    assert_true(k->desc[0] && k->desc[1]);
    assert_null(k->exprs[0]);
    assert_string_equal(k->cols[0], "author_id");
    assert_string_equal(k->exprs[1], "((id + 1))");
    assert_string_equal(book->keys[5].name, "book_expr_idx");
    assert_string_equal(book->keys[5].exprs[0], "lower(title)");
    assert_null(book->keys[5].desc);
    assert_null(book->keys[5].method);
    k = &book->keys[6];
    assert_string_equal(k->name, "book_gin_idx");
    assert_string_equal(k->method, "gin");
    assert_string_equal(k->exprs[0], "to_tsvector('simple'::regconfig, title)");
    assert_string_equal(book->keys[7].name, "book_hash_idx");
    assert_string_equal(book->keys[7].method, "hash");
    assert_null(book->keys[7].exprs);
    assert_int_equal(book->keys[8].kind, MIG_KEY_INDEX);
    assert_string_equal(book->keys[8].name, "book_multi_idx");
    assert_string_equal(book->keys[8].cols[1], "title");
    assert_string_equal(book->keys[9].name, "book_partial_idx");
    assert_string_equal(book->keys[9].where, "(title IS NOT NULL)");
    assert_string_equal(book->keys[10].name, "book_title_idx");
    assert_null(book->keys[10].where);
    assert_int_equal(book->nfks, 2);
    assert_string_equal(book->fks[0].column, "author_id");
    assert_string_equal(book->fks[0].ref_table, "author");
    assert_string_equal(book->fks[0].ref_column, "id");
    assert_int_equal(book->fks[0].on_delete, PGORM_ON_DELETE_CASCADE);
    assert_string_equal(book->fks[0].name, "book_author_id_fkey");
    assert_int_equal(book->fks[1].on_delete, PGORM_ON_DELETE_SET_NULL);
    assert_int_equal(book->fks[0].on_update, PGORM_ON_DELETE_RESTRICT);
    assert_int_equal(book->fks[1].on_update, PGORM_ON_DELETE_SET_NULL);
    assert_int_equal(col(cat, "book", "author_id")->type.scalar, PGORM_S_INT8);

    const mig_table *order = mig_catalog_table(cat, "order");
    pk = mig_table_pk(order);
    assert_int_equal(pk->ncols, 2);
    assert_string_equal(pk->cols[0], "b");
    assert_string_equal(pk->cols[1], "a");
    assert_false(col(cat, "order", "a")->nullable);
    assert_int_equal(order->fks[0].on_delete, PGORM_ON_DELETE_RESTRICT);

    /* The same as a pgorm_schema. */
    mig_err e = {0};
    pgorm_schema *s = pgorm_migrate_introspect(c, &e);
    assert_non_null(s);
    assert_int_equal(s->nmodels, 3);
    const pgorm_model *m = &s->models[1];
    assert_string_equal(m->name, "book");
    assert_string_equal(m->table, "book");
    const pgorm_field *f = NULL;
    for (size_t i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i].name, "author") == 0)
            f = &m->fields[i];
    assert_non_null(f);
    assert_int_equal(f->kind, PGORM_FIELD_FOREIGN_KEY);
    assert_string_equal(f->column, "author_id");
    assert_string_equal(f->target_model, "author");
    assert_int_equal(f->target, 0);
    assert_int_equal(f->on_delete, PGORM_ON_DELETE_CASCADE);
    assert_false(f->nullable);
    /* book_multi_idx leads with author_id; editor_id has no index: it reads
       back as @index(false), so its DDL asks for the database as it is */
    assert_false(f->no_index);
    const pgorm_field *ed = pgorm_model_field(m, "editor");
    assert_non_null(ed);
    assert_true(ed->no_index);
    assert_false(pgorm_ddl_fk_wants_index(m, ed));
    assert_false(pgorm_ddl_fk_wants_index(m, f));
    assert_int_equal(f->on_update, PGORM_ON_DELETE_RESTRICT);
    assert_int_equal(m->nblocks, 11);
    assert_int_equal(m->blocks[0].kind, PGORM_BLOCK_ID);
    assert_string_equal(m->blocks[0].name, "book_pkey");
    assert_string_equal(m->blocks[3].where, "(author_id > 0)");
    assert_true(m->blocks[4].desc[0] && m->blocks[4].desc[1]);
    assert_string_equal(m->blocks[4].fields[0], "author");
    assert_null(m->blocks[4].exprs[0]);
    assert_string_equal(m->blocks[4].exprs[1], "((id + 1))");
    assert_string_equal(m->blocks[6].method, "gin");
    assert_int_equal(m->blocks[8].kind, PGORM_BLOCK_INDEX);
    assert_string_equal(m->blocks[8].fields[0], "author"); /* field name, not column */
    pgorm_schema_free(s);

    mig_catalog_free(cat);
    PQfinish(c);
    pgt_db_drop(&db);
}

static const mig_unmanaged *um(const mig_catalog *cat, mig_unmanaged_kind k, const char *table,
                               const char *name)
{
    const mig_unmanaged *u = mig_unmanaged_find(cat, k, table, name);
    if (!u)
        fail_msg("no unmanaged object %s (kind %d) on %s", name, (int)k, table ? table : "-");
    return u;
}

/* Nothing the language cannot describe makes introspection fail: it is kept
   as unmanaged, named, with what it is. */
static void test_unmanaged_objects(void **state)
{
    (void)state;
    pgt_db db;
    PGconn *c = fresh(
        &db, "intro_unmanaged",
        "CREATE TYPE mood AS ENUM ('sad', 'ok');"
        "CREATE TYPE rating AS ENUM ('PG-13', 'R');"
        "CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);"
        "CREATE TYPE pair AS (a int4, b text);"
        "CREATE SEQUENCE loose_seq;"
        "CREATE TABLE t (id int4 PRIMARY KEY, price money, m mood, p posint,"
        " twice int4 GENERATED ALWAYS AS (id * 2) STORED,"
        " ident int8 GENERATED BY DEFAULT AS IDENTITY UNIQUE,"
        " name text CONSTRAINT t_name_len CHECK (length(name) < 10), tags text[][], moods mood[], r rating);"
        "CREATE INDEX t_lower_idx ON t (lower(name) text_pattern_ops);"
        "CREATE INDEX t_part_idx ON t (name) INCLUDE (id) WHERE id > 10;"
        "CREATE INDEX t_nulls_idx ON t (name DESC NULLS LAST);"
        "CREATE INDEX t_coll_idx ON t (name COLLATE \"C\");"
        "CREATE INDEX t_name_idx ON t (name);"
        "CREATE TABLE u (a int4, b int4, PRIMARY KEY (a, b));"
        "CREATE TABLE v (x int4, y int4, FOREIGN KEY (x, y) REFERENCES u (a, b));"
        "CREATE TABLE w (id int4 PRIMARY KEY, code text UNIQUE);"
        "CREATE TABLE z (id int4 PRIMARY KEY, w int4 REFERENCES w, small_id int2 REFERENCES w,"
        " code_id text REFERENCES w (code), def_id int4 DEFAULT 1 REFERENCES w ON DELETE SET DEFAULT,"
        " upd_id int4 DEFAULT 1 REFERENCES w ON UPDATE SET DEFAULT,"
        " ok_id int4 REFERENCES w ON UPDATE CASCADE);"
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
        " $$BEGIN RETURN NEW; END$$;"
        "CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();"
        "CREATE VIEW cheap AS SELECT id FROM t WHERE price < 10::money;"
        "CREATE MATERIALIZED VIEW counts AS SELECT count(*) FROM t;");
    mig_catalog *cat = introspect(c);
    assert_int_equal(cat->ntables, 5);
    const mig_table *z = mig_catalog_table(cat, "z");
    /* a column not named *_id, a unique non-key target: @@foreign_key */
    assert_int_equal(z->nfks, 3);
    assert_string_equal(z->fks[0].column, "w");
    assert_true(z->fks[0].block);
    assert_string_equal(z->fks[1].column, "code_id");
    assert_string_equal(z->fks[1].ref_column, "code");
    assert_true(z->fks[1].block);
    assert_int_equal(z->fks[1].ncolumns, 1);
    assert_string_equal(z->fks[2].column, "ok_id");
    assert_false(z->fks[2].block);
    assert_non_null(strstr(um(cat, MIG_UM_FK, "z", "z_small_id_fkey")->detail, "type differs"));
    assert_non_null(strstr(um(cat, MIG_UM_FK, "z", "z_def_id_fkey")->detail, "SET DEFAULT"));
    assert_non_null(strstr(um(cat, MIG_UM_FK, "z", "z_upd_id_fkey")->detail, "ON UPDATE SET DEFAULT"));
    assert_int_equal(z->fks[2].on_update, PGORM_ON_DELETE_CASCADE); /* ok_id */
    const mig_table *t = mig_catalog_table(cat, "t");
    assert_int_equal(t->ncols, 3); /* id, m (an enum of the schema), name */
    assert_string_equal(t->cols[0].name, "id");
    assert_string_equal(t->cols[1].name, "m");
    assert_string_equal(t->cols[2].name, "name");
    assert_int_equal(t->nkeys, 2); /* pkey, t_name_idx; the identity's unique is unmanaged */
    assert_string_equal(t->keys[1].name, "t_name_idx");
    /* composite: managed, both columns in order */
    const mig_table *v = mig_catalog_table(cat, "v");
    assert_int_equal(v->nfks, 1);
    assert_int_equal(v->fks[0].ncolumns, 2);
    assert_string_equal(v->fks[0].columns[1], "y");
    assert_string_equal(v->fks[0].ref_columns[1], "b");
    assert_string_equal(v->fks[0].ref_table, "u");

    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "price")->detail, "money"));
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "p")->detail, "posint"));
    /* declared with two dimensions; arrays of an enum are not in the language */
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "tags")->detail, "text[]"));
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "moods")->detail, "mood[]"));
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "twice")->detail, "generated"));
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "ident")->detail, "identity"));
    um(cat, MIG_UM_KEY, "t", "t_ident_key");
    /* checks are read into the table: the schema's, like keys */
    assert_int_equal(t->nchecks, 1);
    assert_string_equal(t->checks[0].name, "t_name_len");
    assert_non_null(strstr(t->checks[0].def_sql, "length(name)"));
    assert_false(t->checks[0].marked); /* made by hand: no 'pgorm' comment */
    for (size_t i = 0; i < cat->nunmanaged; i++)
        assert_string_not_equal(cat->unmanaged[i].name, "t_name_len");
    assert_non_null(strstr(um(cat, MIG_UM_INDEX, "t", "t_lower_idx")->detail, "lower(name)"));
    assert_non_null(strstr(um(cat, MIG_UM_INDEX, "t", "t_part_idx")->detail, "INCLUDE"));
    assert_non_null(strstr(um(cat, MIG_UM_INDEX, "t", "t_nulls_idx")->detail, "NULLS LAST"));
    assert_non_null(strstr(um(cat, MIG_UM_INDEX, "t", "t_coll_idx")->detail, "COLLATE"));
    assert_non_null(strstr(um(cat, MIG_UM_TRIGGER, "t", "t_touch")->detail, "touch()"));
    um(cat, MIG_UM_VIEW, NULL, "cheap");
    um(cat, MIG_UM_MATVIEW, NULL, "counts");
    um(cat, MIG_UM_SEQUENCE, NULL, "loose_seq");
    assert_null(mig_unmanaged_find(cat, MIG_UM_TYPE, NULL, "mood")); /* the schema's */
    assert_non_null(strstr(um(cat, MIG_UM_TYPE, NULL, "rating")->detail,
                           "enum ('PG-13', 'R'), which the schema language cannot describe"));
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "r")->detail, "rating, an enum"));
    assert_string_equal(um(cat, MIG_UM_TYPE, NULL, "posint")->detail, "domain over integer");
    assert_string_equal(um(cat, MIG_UM_TYPE, NULL, "pair")->detail, "composite type");
    um(cat, MIG_UM_FUNCTION, NULL, "touch()");
    /* the sequence of the identity column and the views' row types are not listed */
    assert_null(mig_unmanaged_find(cat, MIG_UM_SEQUENCE, NULL, "t_ident_seq"));
    assert_null(mig_unmanaged_find(cat, MIG_UM_TYPE, NULL, "cheap"));
    assert_null(mig_unmanaged_find(cat, MIG_UM_TYPE, NULL, "t"));
    assert_int_equal(cat->nunmanaged, 23);  /* mood, the check, three foreign keys and the
                                               partial index managed; rating and its column not */

    /* sorted by kind, then table, then name */
    for (size_t i = 1; i < cat->nunmanaged; i++)
        assert_true(cat->unmanaged[i - 1].kind <= cat->unmanaged[i].kind);
    pgorm_buf b = PGORM_BUF_INIT;
    mig_unmanaged_describe(&b, um(cat, MIG_UM_TRIGGER, "t", "t_touch"));
    assert_true(strncmp(b.data, "trigger t_touch on t: CREATE TRIGGER", 36) == 0);
    pgorm_buf_reset(&b);
    mig_unmanaged_describe(&b, um(cat, MIG_UM_COLUMN, "t", "price"));
    assert_string_equal(b.data, "column t.price: money, a type the schema language cannot describe");
    pgorm_buf_free(&b);
    mig_catalog_free(cat);

    /* the comment pgorm puts on the checks it makes is read back; another
       comment is not pgorm's */
    pgt_exec(c, "COMMENT ON CONSTRAINT t_name_len ON t IS 'pgorm'");
    cat = introspect(c);
    assert_true(mig_catalog_table(cat, "t")->checks[0].marked);
    mig_catalog_free(cat);
    pgt_exec(c, "COMMENT ON CONSTRAINT t_name_len ON t IS 'a note'");
    cat = introspect(c);
    assert_false(mig_catalog_table(cat, "t")->checks[0].marked);

    mig_catalog_free(cat);
    PQfinish(c);
    pgt_db_drop(&db);
}

/* time, timetz, interval, inet, cidr, json, char(n), citext and numeric
   without (p, s) are managed columns, their literal defaults read back as
   strings; the spellings the language lacks (time(3), an interval with
   fields, bpchar without a length, the one-byte "char") stay unmanaged. */
static void test_newer_types(void **state)
{
    (void)state;
    pgt_db db;
    PGconn *c = fresh(&db, "intro_newer",
                      "CREATE EXTENSION IF NOT EXISTS citext;"
                      "CREATE TABLE t (id int4 PRIMARY KEY, a time DEFAULT '10:00', "
                      "b time with time zone, c interval NOT NULL DEFAULT '36 hours', "
                      "d inet DEFAULT '::1', e cidr, f json DEFAULT '{\"k\": 1}', "
                      "g char(5) DEFAULT 'ab', h character NOT NULL, i citext DEFAULT 'X', "
                      "j numeric DEFAULT 1.5, k time(3), l interval day to second, m bpchar, "
                      "n \"char\", o timetz(0))");
    mig_catalog *cat = introspect(c);
    static const struct {
        const char *name;
        pgorm_scalar scalar;
        int precision;
        pgorm_default_kind def;
        const char *text;
    } want[] = {
        {"a", PGORM_S_TIME, 0, PGORM_DEFAULT_STRING, "10:00:00"},
        {"b", PGORM_S_TIMETZ, 0, PGORM_DEFAULT_NONE, NULL},
        {"c", PGORM_S_INTERVAL, 0, PGORM_DEFAULT_STRING, "36:00:00"},
        {"d", PGORM_S_INET, 0, PGORM_DEFAULT_STRING, "::1"},
        {"e", PGORM_S_CIDR, 0, PGORM_DEFAULT_NONE, NULL},
        {"f", PGORM_S_JSON, 0, PGORM_DEFAULT_STRING, "{\"k\": 1}"},
        {"g", PGORM_S_CHAR, 5, PGORM_DEFAULT_STRING, "ab"},
        {"h", PGORM_S_CHAR, 1, PGORM_DEFAULT_NONE, NULL},
        {"i", PGORM_S_CITEXT, 0, PGORM_DEFAULT_STRING, "X"},
        {"j", PGORM_S_NUMERIC, 0, PGORM_DEFAULT_DECIMAL, "1.5"},
    };
    const mig_table *t = mig_catalog_table(cat, "t");
    assert_int_equal(t->ncols, 1 + sizeof want / sizeof *want);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const mig_column *k = col(cat, "t", want[i].name);
        assert_int_equal(k->type.scalar, want[i].scalar);
        assert_int_equal(k->type.precision, want[i].precision);
        assert_int_equal(k->type.scale, 0);
        assert_int_equal(k->def.kind, want[i].def);
        if (want[i].text)
            assert_string_equal(k->def.text, want[i].text);
    }
    assert_false(col(cat, "t", "c")->nullable);
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "k")->detail, "time(3) without time zone"));
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "l")->detail, "interval day to second"));
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "m")->detail, "bpchar"));
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "n")->detail, "\"char\""));
    assert_non_null(strstr(um(cat, MIG_UM_COLUMN, "t", "o")->detail, "time(0) with time zone"));
    assert_int_equal(cat->nunmanaged, 5);
    mig_catalog_free(cat);
    PQfinish(c);
    pgt_db_drop(&db);
}

/* An extension's objects are the extension's: not listed. */
static void test_extension_objects_not_listed(void **state)
{
    (void)state;
    pgt_db db;
    PGconn *c = fresh(&db, "intro_ext", "CREATE EXTENSION IF NOT EXISTS citext;"
                                        "CREATE TABLE w (id int4 PRIMARY KEY)");
    mig_catalog *cat = introspect(c);
    assert_int_equal(cat->ntables, 1);
    assert_int_equal(cat->nunmanaged, 0);
    mig_catalog_free(cat);
    PQfinish(c);
    pgt_db_drop(&db);
}

static void test_default_mapping(void **state)
{
    (void)state;
    static const struct {
        const char *sql;
        pgorm_default_kind kind;
        const char *text;
    } cases[] = {
        {"42", PGORM_DEFAULT_INT, "42"},
        {"'-42'::integer", PGORM_DEFAULT_INT, "-42"},
        {"'-2.5'::numeric", PGORM_DEFAULT_DECIMAL, "-2.5"},
        {"3.25", PGORM_DEFAULT_DECIMAL, "3.25"},
        {"'a''b'::text", PGORM_DEFAULT_STRING, "a'b"},
        {"''::character varying", PGORM_DEFAULT_STRING, ""},
        {"false", PGORM_DEFAULT_BOOL, "false"},
        {"now()", PGORM_DEFAULT_NOW, NULL},
        {"'\\x61'::bytea", PGORM_DEFAULT_SQL, "'\\x61'::bytea"},
        {"CURRENT_DATE", PGORM_DEFAULT_SQL, "CURRENT_DATE"},
        {"'x'::text || 'y'::text", PGORM_DEFAULT_SQL, "'x'::text || 'y'::text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pgorm_default d;
        assert_true(mig_default_from_sql(cases[i].sql, &d));
        assert_int_equal(d.kind, cases[i].kind);
        if (cases[i].text)
            assert_string_equal(d.text, cases[i].text);
        else
            assert_null(d.text);
        pgorm_free(d.text);
    }
}


static void test_checks(void **state)
{
    (void)state;
    pgt_db db;
    PGconn *c = fresh(&db, "intro_checks",
                      "CREATE TABLE b (id int4 PRIMARY KEY, pages int4 CHECK (pages > 0), "
                      "title varchar(20), CONSTRAINT z_title CHECK (title <> ''), "
                      "CONSTRAINT a_both CHECK (pages < 1000 OR title IS NULL), "
                      "u uuid DEFAULT gen_random_uuid());"
                      "CREATE TABLE plain (id int4);");
    mig_catalog *cat = introspect(c);
    const mig_table *t = mig_catalog_table(cat, "b");
    assert_int_equal(t->nchecks, 3);
    /* by name, as the server spells them */
    assert_string_equal(t->checks[0].name, "a_both");
    assert_string_equal(t->checks[0].def_sql, "CHECK (((pages < 1000) OR (title IS NULL)))");
    assert_string_equal(t->checks[0].expr, "(((pages < 1000) OR (title IS NULL)))");
    assert_string_equal(t->checks[1].name, "b_pages_check");
    assert_string_equal(t->checks[1].def_sql, "CHECK ((pages > 0))");
    assert_string_equal(t->checks[2].name, "z_title");
    assert_string_equal(t->checks[2].def_sql, "CHECK (((title)::text <> ''::text))");
    assert_int_equal(mig_catalog_table(cat, "plain")->nchecks, 0);
    assert_int_equal(col(cat, "b", "u")->def.kind, PGORM_DEFAULT_SQL);
    assert_string_equal(col(cat, "b", "u")->def.text, "gen_random_uuid()");
    assert_string_equal(mig_check_expr_of_def("CHECK ((a > 0)) NOT VALID"), "((a > 0)) NOT VALID");
    assert_string_equal(mig_check_expr_of_def("odd"), "odd");

    /* as a schema: model checks with the database's names */
    pgorm_schema *s = mig_catalog_to_schema(cat);
    assert_non_null(s);
    const pgorm_model *m = pgorm_schema_model(s, "b");
    assert_int_equal(m->nchecks, 3);
    assert_string_equal(m->checks[1].name, "b_pages_check");
    assert_string_equal(m->checks[1].expr, "((pages > 0))");
    assert_null(m->checks[1].field);
    assert_int_equal(pgorm_schema_model(s, "plain")->nchecks, 0);
    pgorm_schema_free(s);
    mig_catalog_free(cat);
    PQfinish(c);
    pgt_db_drop(&db);
}

/* Arrays read back as their element's type with the flag: `_int4` is
   int4[], the element's typmod kept, defaults as the server prints them. */
static void test_arrays(void **state)
{
    (void)state;
    pgt_db db;
    PGconn *c = fresh(&db, "intro_arrays",
                      "CREATE TABLE t (id int4 PRIMARY KEY, a text[] NOT NULL DEFAULT '{}', "
                      "b int4[], c varchar(20)[], d numeric(8,3)[], e uuid[], f bool[] NOT NULL, "
                      "g int8[] DEFAULT '{1,2}', h integer ARRAY, i float8[3]);"
                      "CREATE INDEX t_b_idx ON t (b);");
    mig_catalog *cat = introspect(c);
    const mig_table *t = mig_catalog_table(cat, "t");
    assert_int_equal(t->ncols, 10);
    assert_int_equal(cat->nunmanaged, 0);
    char buf[64];
    static const char *const want[][2] = {
        {"a", "text[]"}, {"b", "int4[]"}, {"c", "varchar(20)[]"}, {"d", "numeric(8,3)[]"},
        {"e", "uuid[]"}, {"f", "bool[]"}, {"g", "int8[]"}, {"h", "int4[]"}, {"i", "float8[]"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const mig_column *k = col(cat, "t", want[i][0]);
        assert_true(k->type.array);
        assert_string_equal(pgorm_coltype_sql(k->type, buf, sizeof buf), want[i][1]);
    }
    assert_false(col(cat, "t", "id")->type.array);
    assert_false(col(cat, "t", "a")->nullable);
    assert_true(col(cat, "t", "b")->nullable);
    assert_int_equal(col(cat, "t", "a")->def.kind, PGORM_DEFAULT_SQL);
    assert_string_equal(col(cat, "t", "a")->def_sql, "'{}'::text[]");
    assert_string_equal(col(cat, "t", "g")->def_sql, "'{1,2}'::bigint[]");
    mig_catalog_free(cat);
    PQfinish(c);
    pgt_db_drop(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_null_defaults),
        cmocka_unit_test(test_keys_indexes_fks),
        cmocka_unit_test(test_unmanaged_objects),
        cmocka_unit_test(test_newer_types),
        cmocka_unit_test(test_extension_objects_not_listed),
        cmocka_unit_test(test_default_mapping),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
