/* ManyToMany against a real PostgreSQL (tests/schemas/gen_m2m.pgorm).
 *
 * Post.tags through PostTag and back (Tag.posts), a self-referential one
 * with named fields (Member.follows / followers through Follow): lazy
 * loads equal what hand-written SQL over the join table returns, filtered
 * and paged; filters across it (_any, _none, _count_*), also nested and
 * inside fetch_links; fetch_links of a ManyToMany beside a ForeignKey and a
 * BackReference is ONE statement (counted by the server with
 * pg_stat_statements); add, add twice (ON CONFLICT DO NOTHING), an empty
 * add, remove, a key that names no row, bad arguments; the async calls
 * and their callbacks.
 */
#include "linktest.h"

#include <stdlib.h>

#include "gen_m2m.pgorm.h"
#include "runtime/relations/links.h"

static void m2m_open(lt_fixture *f, const char *label)
{
    pgt_db_create(&f->d, label);
    f->c = pgt_connect(f->d.direct);
    pgt_apply_schema(f->c, "tests/schemas/gen_m2m.pgorm");
    f->db = pgt_pgorm_connect(f->d.conninfo);
}

/* 3 blogs; 30 posts (post p in blog 1 + p % 3, every 5th in none); a note
   on every 2nd post; 10 tags; post p has tag t when (p + t) % 4 == 0, and
   posts 25..30 none. */
static void m2m_fill(lt_fixture *f)
{
    pgt_exec(f->c,
             "INSERT INTO blog (name) SELECT 'blog ' || g FROM generate_series(1, 3) g;"
             "INSERT INTO post (title, blog_id) SELECT 'post ' || g, "
             "CASE WHEN g % 5 = 0 THEN NULL ELSE 1 + g % 3 END FROM generate_series(1, 30) g;"
             "INSERT INTO note (body, post_id) SELECT 'note ' || g, g "
             "FROM generate_series(2, 30, 2) g;"
             "INSERT INTO tag (label) SELECT 'tag ' || g FROM generate_series(1, 10) g;"
             "INSERT INTO post_tag (post_id, tag_id) SELECT p, t FROM generate_series(1, 24) p, "
             "generate_series(1, 10) t WHERE (p + t) % 4 = 0;"
             "ANALYZE");
}

/* The first column of every row, as int64 (a new array, free()). */
static int64_t *query_ids(PGconn *c, const char *sql, size_t *n)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    *n = (size_t)PQntuples(r);
    int64_t *ids = calloc(*n + 1, sizeof *ids);
    for (size_t i = 0; i < *n; i++)
        ids[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
    PQclear(r);
    return ids;
}

/* The tags of post p, by hand over the join table, ordered by id. */
static int64_t *tags_of(PGconn *c, int64_t p, size_t *n)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT t.id FROM tag t JOIN post_tag j ON j.tag_id = t.id WHERE j.post_id = %lld "
             "ORDER BY t.id",
             (long long)p);
    return query_ids(c, sql, n);
}

static void assert_tags(const Post *p, const int64_t *want, size_t n)
{
    assert_true(p->tags.loaded);
    assert_int_equal(p->tags.count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(p->tags.items[i].id, want[i]);
        char label[32];
        snprintf(label, sizeof label, "tag %lld", (long long)want[i]);
        assert_string_equal(p->tags.items[i].label, label);
    }
}

/* A post as a row of its own, with its key: what the calls need. */
static Post post_with_id(int64_t id)
{
    Post p;
    memset(&p, 0, sizeof p);
    p.id = id;
    return p;
}

/* ------------------------------------------------------------------ */
/* The SQL                                                             */

static void test_sql_shape(void **state)
{
    (void)state;
    pgorm_buf vals = PGORM_BUF_INIT;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &vals, &post_model, "test");
    link_plan p;
    PostQuery q = {.fetch_links = true};
    assert_int_equal(link_plan_build(&p, &post_model, &q, &b), 0);
    link_sql_select(&b, &p);
    assert_string_equal(b.sql.data,
                        "SELECT t0.\"id\", t0.\"title\", t0.\"blog_id\", t1.\"id\", t1.\"name\", "
                        "ARRAY(SELECT ROW(t2.\"id\", t2.\"body\", t2.\"post_id\") FROM \"note\" t2 "
                        "WHERE t2.\"post_id\" = t0.\"id\" ORDER BY t2.\"id\"), "
                        "ARRAY(SELECT ROW(t3.\"id\", t3.\"label\") FROM \"tag\" t3 JOIN "
                        "\"post_tag\" j3 ON j3.\"tag_id\" = t3.\"id\" WHERE j3.\"post_id\" = "
                        "t0.\"id\" ORDER BY t3.\"id\") FROM \"post\" t0 LEFT JOIN \"blog\" t1 "
                        "ON t1.\"id\" = t0.\"blog_id\"");
    link_plan_free(&p);
    pgorm_sqlb_free(&b);
    pgorm_buf_free(&vals);
}

/* ------------------------------------------------------------------ */
/* Lazy loads                                                          */

static void test_lazy_load(void **state)
{
    (void)state;
    lt_fixture f;
    m2m_open(&f, "m2m_lazy");
    m2m_fill(&f);
    pgorm_error err = {0};
    for (int64_t id = 1; id <= 30; id++) {
        Post p = post_with_id(id);
        TagRows *rows = NULL;
        lt_count_start(&f);
        pgt_ok(post_tags_sync(f.db, &p, NULL, &rows, &err), &err, "post_tags_sync");
        assert_int_equal(lt_count(&f, NULL), 1); /* one statement, joining the join table */
        assert_int_equal(lt_count(&f, "%JOIN \"post_tag\"%"), 1);
        size_t n = 0;
        int64_t *want = tags_of(f.c, id, &n);
        assert_tags(&p, want, n);
        assert_ptr_equal(p.tags.items, rows->items); /* the items live in the rows */
        assert_int_equal(rows->count, n);
        int64_t count = -1;
        pgt_ok(post_tags_count_sync(f.db, &p, PGORM_ALL, &count, &err), &err, "count");
        assert_int_equal(count, (int64_t)n);
        if (id > 24) {
            assert_int_equal(n, 0); /* a post without tags: loaded, and empty */
            assert_true(p.tags.loaded);
        }
        free(want);
        tag_rows_free(rows);
    }

    /* filtered, ordered and paged like a find */
    Post p = post_with_id(4); /* tags 4 and 8 */
    TagRows *rows = NULL;
    TagQuery q = {.where = tag_label_like("tag %"), .order = {PGORM_DESC(TAG_ID)}, .limit = 1};
    pgt_ok(post_tags_sync(f.db, &p, &q, &rows, &err), &err, "post_tags_sync filtered");
    assert_int_equal(rows->count, 1);
    assert_int_equal(rows->items[0].id, 8);
    tag_rows_free(rows);
    q.offset = 1;
    pgt_ok(post_tags_sync(f.db, &p, &q, &rows, &err), &err, "post_tags_sync offset");
    assert_int_equal(rows->count, 1);
    assert_int_equal(rows->items[0].id, 4);
    tag_rows_free(rows);
    int64_t count = -1;
    pgt_ok(post_tags_count_sync(f.db, &p, tag_id_gt(5), &count, &err), &err, "count where");
    assert_int_equal(count, 1);

    /* the far rows' own links, in the same one statement */
    lt_count_start(&f);
    pgt_ok(post_tags_sync(f.db, &p, &(TagQuery){.fetch_links = true}, &rows, &err), &err,
           "post_tags_sync with fetch_links");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(rows->count, 2);
    for (size_t i = 0; i < rows->count; i++) {
        assert_true(rows->items[i].posts.loaded);
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM post_tag WHERE tag_id = %d",
                 rows->items[i].id);
        assert_int_equal(rows->items[i].posts.count, pgt_query_int(f.c, sql));
    }
    tag_rows_free(rows);

    /* the other direction */
    Tag t;
    memset(&t, 0, sizeof t);
    t.id = 4;
    PostRows *posts = NULL;
    pgt_ok(tag_posts_sync(f.db, &t, NULL, &posts, &err), &err, "tag_posts_sync");
    size_t n = 0;
    int64_t *want = query_ids(f.c,
                              "SELECT post_id FROM post_tag WHERE tag_id = 4 ORDER BY post_id",
                              &n);
    assert_int_equal(n, 6);
    assert_int_equal(t.posts.count, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(t.posts.items[i].id, want[i]);
    free(want);
    post_rows_free(posts);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* fetch_links                                                         */

static void test_fetch_links_one_statement(void **state)
{
    (void)state;
    lt_fixture f;
    m2m_open(&f, "m2m_links");
    m2m_fill(&f);
    pgorm_error err = {0};
    PostRows *rows = NULL;
    lt_count_start(&f);
    pgt_ok(post_find_sync(f.db, &(PostQuery){.fetch_links = true, .order = {PGORM_ASC(POST_ID)}},
                          &rows, &err),
           &err, "post_find_sync");
    /* the ForeignKey, the BackReference and the ManyToMany: one statement */
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(rows->count, 30);
    for (size_t i = 0; i < rows->count; i++) {
        const Post *p = &rows->items[i];
        int64_t id = (int64_t)i + 1;
        assert_int_equal(p->id, id);
        if (id % 5 == 0) {
            assert_null(p->blog.ref);
        } else {
            assert_non_null(p->blog.ref);
            assert_int_equal(p->blog.ref->id, 1 + id % 3);
        }
        assert_true(p->notes.loaded);
        assert_int_equal(p->notes.count, id % 2 == 0 ? 1 : 0);
        size_t n = 0;
        int64_t *want = tags_of(f.c, id, &n);
        assert_tags(p, want, n);
        /* depth 1: the tags' own links are not loaded */
        for (size_t k = 0; k < p->tags.count; k++)
            assert_false(p->tags.items[k].posts.loaded);
        free(want);
    }
    post_rows_free(rows);

    /* options on the ManyToMany: filtered, newest first, two per post; and
       depth 2 through it (tags.posts), still one statement */
    lt_count_start(&f);
    PostQuery q = {
        .fetch_links = true,
        .depth = 2,
        .links = (const char *const[]){"tags.posts", NULL},
        .where = post_id_le(8),
        .order = {PGORM_ASC(POST_ID)},
        .link_opts = PGORM_LINK_OPTS({.path = "tags",
                                      .where = tag_id_ne(1),
                                      .order = {PGORM_DESC(TAG_ID)},
                                      .limit = 2}),
    };
    pgt_ok(post_find_sync(f.db, &q, &rows, &err), &err, "post_find_sync options");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(rows->count, 8);
    for (size_t i = 0; i < rows->count; i++) {
        const Post *p = &rows->items[i];
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT t.id FROM tag t JOIN post_tag j ON j.tag_id = t.id WHERE j.post_id = "
                 "%lld AND t.id <> 1 ORDER BY t.id DESC LIMIT 2",
                 (long long)p->id);
        size_t n = 0;
        int64_t *want = query_ids(f.c, sql, &n);
        assert_true(p->tags.loaded);
        assert_int_equal(p->tags.count, n);
        for (size_t k = 0; k < n; k++) {
            const Tag *t = &p->tags.items[k];
            assert_int_equal(t->id, want[k]);
            /* level 2: every post of that tag */
            assert_true(t->posts.loaded);
            snprintf(sql, sizeof sql,
                     "SELECT post_id FROM post_tag WHERE tag_id = %lld ORDER BY post_id",
                     (long long)t->id);
            size_t np = 0;
            int64_t *pw = query_ids(f.c, sql, &np);
            assert_int_equal(t->posts.count, np);
            for (size_t j = 0; j < np; j++)
                assert_int_equal(t->posts.items[j].id, pw[j]);
            free(pw);
        }
        assert_null(p->blog.ref); /* not named in .links */
        assert_false(p->notes.loaded);
        free(want);
    }
    post_rows_free(rows);

    /* inner is for ForeignKeys: refused, nothing sent */
    lt_count_start(&f);
    PostQuery bad = {.fetch_links = true,
                     .link_opts = PGORM_LINK_OPTS({.path = "tags", .inner = true})};
    assert_int_equal(post_find_sync(f.db, &bad, &rows, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "is a ManyToMany"));
    pgorm_error_clear(&err);
    assert_int_equal(lt_count(&f, NULL), 0);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Filters across a ManyToMany                                         */

static size_t find_ids(lt_fixture *f, const PostQuery *q, int64_t *ids, size_t max)
{
    pgorm_error err = {0};
    PostRows *rows = NULL;
    pgt_ok(post_find_sync(f->db, q, &rows, &err), &err, "post_find_sync");
    size_t n = rows->count;
    for (size_t i = 0; i < n && i < max; i++)
        ids[i] = rows->items[i].id;
    post_rows_free(rows);
    return n;
}

static void expect_ids(lt_fixture *f, const PostQuery *q, const char *sql)
{
    int64_t got[64];
    size_t n = find_ids(f, q, got, 64), nw = 0;
    int64_t *want = query_ids(f->c, sql, &nw);
    if (n != nw)
        fail_msg("%s: %zu rows, the SQL gives %zu", sql, n, nw);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
    free(want);
}

static void test_filters(void **state)
{
    (void)state;
    lt_fixture f;
    m2m_open(&f, "m2m_filters");
    m2m_fill(&f);
    expect_ids(&f, &(PostQuery){.where = post_tags_any(tag_label_eq("tag 4")),
                                .order = {PGORM_ASC(POST_ID)}},
               "SELECT post_id FROM post_tag WHERE tag_id = 4 ORDER BY post_id");
    expect_ids(&f, &(PostQuery){.where = post_tags_none(PGORM_ALL), .order = {PGORM_ASC(POST_ID)}},
               "SELECT id FROM post WHERE id NOT IN (SELECT post_id FROM post_tag) ORDER BY id");
    expect_ids(&f, &(PostQuery){.where = post_tags_count_ge(3), .order = {PGORM_ASC(POST_ID)}},
               "SELECT post_id FROM post_tag GROUP BY post_id HAVING count(*) >= 3 "
               "ORDER BY post_id");
    /* with fetch_links (the tree's aliases come first), nested across the
       far side's own ManyToMany */
    expect_ids(&f,
               &(PostQuery){.where = post_tags_any(tag_posts_count_gt(6)),
                            .fetch_links = true,
                            .order = {PGORM_ASC(POST_ID)}},
               "SELECT DISTINCT j.post_id FROM post_tag j WHERE j.tag_id IN (SELECT tag_id FROM "
               "post_tag GROUP BY tag_id HAVING count(*) > 6) ORDER BY j.post_id");
    /* in a ManyToMany's own count */
    pgorm_error err = {0};
    Post p = post_with_id(2); /* tags 2, 6, 10 */
    int64_t count = -1;
    pgt_ok(post_tags_count_sync(f.db, &p, tag_posts_any(post_id_eq(6)), &count, &err), &err,
           "count with a relation filter");
    assert_int_equal(count, pgt_query_int(f.c, "SELECT count(*) FROM post_tag a JOIN post_tag b "
                                               "ON b.tag_id = a.tag_id WHERE a.post_id = 2 AND "
                                               "b.post_id = 6"));
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* add / remove                                                        */

static void test_add_remove(void **state)
{
    (void)state;
    lt_fixture f;
    m2m_open(&f, "m2m_add");
    pgt_exec(f.c, "INSERT INTO post (title) VALUES ('a'), ('b');"
                  "INSERT INTO tag (label) SELECT 'tag ' || g FROM generate_series(1, 5) g");
    pgorm_error err = {0};
    Post p = post_with_id(1);
    int64_t count = -1;

    lt_count_start(&f);
    pgt_ok(post_tags_add_sync(f.db, &p, (const int32_t[]){1, 2, 3}, 3, &count, &err), &err,
           "add");
    assert_int_equal(count, 3);
    /* three pairs, one statement (besides the foreign keys' own checks, which
       the server runs per row and pg_stat_statements counts too) */
    assert_int_equal(lt_count(&f, NULL) - lt_count(&f, "%FOR KEY SHARE%"), 1);
    assert_int_equal(lt_count(&f, "INSERT INTO \"post_tag\"%ON CONFLICT DO NOTHING"), 1);
    /* the join model's own column got its default */
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM post_tag WHERE added IS NULL"), 0);

    /* again, overlapping: only the new pair is added, nothing fails */
    pgt_ok(post_tags_add_sync(f.db, &p, (const int32_t[]){2, 3, 4}, 3, &count, &err), &err,
           "add twice");
    assert_int_equal(count, 1);
    pgt_ok(post_tags_add_sync(f.db, &p, (const int32_t[]){4, 4}, 2, &count, &err), &err,
           "the same key twice in one call");
    assert_int_equal(count, 0);
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM post_tag WHERE post_id = 1"), 4);

    /* nothing to add: no error, nothing added */
    pgt_ok(post_tags_add_sync(f.db, &p, NULL, 0, &count, &err), &err, "empty add");
    assert_int_equal(count, 0);

    /* the reverse side sees the pairs */
    Tag t;
    memset(&t, 0, sizeof t);
    t.id = 2;
    pgt_ok(tag_posts_add_sync(f.db, &t, (const int64_t[]){2}, 1, &count, &err), &err,
           "add from the tag");
    assert_int_equal(count, 1);
    pgt_ok(tag_posts_count_sync(f.db, &t, PGORM_ALL, &count, &err), &err, "tag count");
    assert_int_equal(count, 2);

    /* a key that names no tag: the foreign key refuses the statement, and
       none of its pairs is added */
    assert_int_equal(post_tags_add_sync(f.db, &p, (const int32_t[]){5, 99}, 2, &count, &err),
                     -1);
    assert_int_equal(err.code, PGORM_ERR_SERVER);
    assert_string_equal(err.sqlstate, "23503");
    pgorm_error_clear(&err);
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM post_tag WHERE tag_id = 5"), 0);

    /* keys NULL with n > 0: refused before anything is sent */
    lt_count_start(&f);
    assert_int_equal(post_tags_add_sync(f.db, &p, NULL, 2, &count, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "array is NULL"));
    pgorm_error_clear(&err);
    assert_int_equal(lt_count(&f, NULL), 0);

    /* remove: a key not paired is no error */
    TagRows *rows = NULL;
    pgt_ok(post_tags_remove_sync(f.db, &p, (const int32_t[]){1, 5}, 2, &count, &err), &err,
           "remove");
    assert_int_equal(count, 1);
    pgt_ok(post_tags_sync(f.db, &p, NULL, &rows, &err), &err, "load after remove");
    assert_tags(&p, (const int64_t[]){2, 3, 4}, 3);
    tag_rows_free(rows);
    pgt_ok(post_tags_remove_sync(f.db, &p, (const int32_t[]){2, 3, 4}, 3, &count, &err), &err,
           "remove all");
    assert_int_equal(count, 3);
    pgt_ok(post_tags_sync(f.db, &p, NULL, &rows, &err), &err, "load empty");
    assert_tags(&p, NULL, 0);
    tag_rows_free(rows);
    pgt_ok(post_tags_remove_sync(f.db, &p, NULL, 0, &count, &err), &err, "empty remove");
    assert_int_equal(count, 0);
    /* the tags themselves stay */
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM tag"), 5);

    /* no row: refused */
    assert_int_equal(post_tags_add_sync(f.db, NULL, (const int32_t[]){1}, 1, &count, &err), -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "the row is NULL"));
    pgorm_error_clear(&err);

    /* a relation that is not a ManyToMany: refused */
    assert_int_equal(pgorm_many_add_sync(f.db, &post_model, 0, &p, (const int32_t[]){1}, 1,
                                         &count, &err),
                     -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "is not a ManyToMany of Post"));
    pgorm_error_clear(&err);
    lt_close(&f);
}

/* A text key on the far side: the keys are a C array of strings. */
static void test_text_keys(void **state)
{
    (void)state;
    lt_fixture f;
    m2m_open(&f, "m2m_text");
    pgt_exec(f.c, "INSERT INTO post (title) VALUES ('p');"
                  "INSERT INTO note (body, post_id) VALUES ('n', 1);"
                  "INSERT INTO label (code, name) VALUES ('red', 'Red'), ('blue', 'Blue'), "
                  "('x y', 'With a space')");
    pgorm_error err = {0};
    Note n;
    memset(&n, 0, sizeof n);
    n.id = 1;
    int64_t count = -1;
    pgt_ok(note_labels_add_sync(f.db, &n, (const char *const[]){"red", "x y", "red"}, 3, &count,
                                &err),
           &err, "add");
    assert_int_equal(count, 2);
    LabelRows *rows = NULL;
    pgt_ok(note_labels_sync(f.db, &n, NULL, &rows, &err), &err, "load");
    assert_int_equal(n.labels.count, 2);
    assert_string_equal(n.labels.items[0].code, "red"); /* by key: 'red' < 'x y' */
    assert_string_equal(n.labels.items[1].name, "With a space");
    label_rows_free(rows);
    NoteRows *notes = NULL;
    pgt_ok(note_find_sync(f.db, &(NoteQuery){.fetch_links = true}, &notes, &err), &err, "find");
    assert_int_equal(notes->items[0].labels.count, 2);
    assert_non_null(notes->items[0].post.ref);
    note_rows_free(notes);
    pgt_ok(note_labels_remove_sync(f.db, &n, (const char *const[]){"x y", "blue"}, 2, &count,
                                   &err),
           &err, "remove");
    assert_int_equal(count, 1);
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM note_label"), 1);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Self-referential, with named fields                                 */

static void test_self_referential(void **state)
{
    (void)state;
    lt_fixture f;
    m2m_open(&f, "m2m_self");
    pgt_exec(f.c, "INSERT INTO member (name) VALUES ('ann'), ('bob'), ('cy'), ('dee')");
    pgorm_error err = {0};
    int64_t count = -1;
    Member m[4];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 4; i++)
        m[i].id = i + 1;
    /* ann follows bob and cy; bob follows cy; cy follows ann */
    pgt_ok(member_follows_add_sync(f.db, &m[0], (const int32_t[]){2, 3}, 2, &count, &err), &err,
           "ann");
    pgt_ok(member_follows_add_sync(f.db, &m[1], (const int32_t[]){3}, 1, &count, &err), &err,
           "bob");
    pgt_ok(member_follows_add_sync(f.db, &m[2], (const int32_t[]){1}, 1, &count, &err), &err,
           "cy");
    assert_int_equal(pgt_query_int(f.c, "SELECT count(*) FROM follow WHERE follower_id = 1"), 2);

    MemberRows *rows = NULL;
    pgt_ok(member_followers_sync(f.db, &m[2], NULL, &rows, &err), &err, "cy's followers");
    assert_int_equal(m[2].followers.count, 2);
    assert_string_equal(m[2].followers.items[0].name, "ann");
    assert_string_equal(m[2].followers.items[1].name, "bob");
    member_rows_free(rows);

    lt_count_start(&f);
    pgt_ok(member_find_sync(f.db,
                            &(MemberQuery){.fetch_links = true, .order = {PGORM_ASC(MEMBER_ID)}},
                            &rows, &err),
           &err, "member_find_sync");
    assert_int_equal(lt_count(&f, NULL), 1);
    assert_int_equal(rows->count, 4);
    static const int follows[4][3] = {{2, 2, 3}, {1, 3, 0}, {1, 1, 0}, {0, 0, 0}};
    static const int followers[4][3] = {{1, 3, 0}, {1, 1, 0}, {2, 1, 2}, {0, 0, 0}};
    for (int i = 0; i < 4; i++) {
        const Member *x = &rows->items[i];
        assert_true(x->follows.loaded);
        assert_true(x->followers.loaded);
        assert_int_equal(x->follows.count, follows[i][0]);
        for (int k = 0; k < follows[i][0]; k++)
            assert_int_equal(x->follows.items[k].id, follows[i][1 + k]);
        assert_int_equal(x->followers.count, followers[i][0]);
        for (int k = 0; k < followers[i][0]; k++)
            assert_int_equal(x->followers.items[k].id, followers[i][1 + k]);
    }
    member_rows_free(rows);

    /* removing one direction leaves the other */
    pgt_ok(member_follows_remove_sync(f.db, &m[0], (const int32_t[]){3}, 1, &count, &err), &err,
           "unfollow");
    assert_int_equal(count, 1);
    pgt_ok(member_followers_count_sync(f.db, &m[0], PGORM_ALL, &count, &err), &err, "count");
    assert_int_equal(count, 1); /* cy still follows ann */
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* The async calls                                                     */

typedef struct seen {
    int calls;
    int64_t count;
    pgorm_errcode code;
    TagRows *rows;
} seen;

static void on_count(int64_t count, const pgorm_error *err, void *ud)
{
    seen *s = ud;
    s->calls++;
    s->count = count;
    s->code = err ? err->code : PGORM_OK;
}

static void on_rows(TagRows *rows, const pgorm_error *err, void *ud)
{
    seen *s = ud;
    s->calls++;
    s->code = err ? err->code : PGORM_OK;
    s->rows = rows;
}

typedef struct streamed {
    int batches, ends;
    size_t rows, tagged;
    pgorm_errcode code;
} streamed;

static void on_batch(PostRows *rows, bool end, const pgorm_error *err, void *ud)
{
    streamed *st = ud;
    if (err)
        st->code = err->code;
    st->ends += end;
    if (!rows)
        return;
    st->batches++;
    st->rows += rows->count;
    for (size_t i = 0; i < rows->count; i++) {
        assert_true(rows->items[i].tags.loaded);
        st->tagged += rows->items[i].tags.count;
    }
    post_rows_free(rows);
}

static void test_stream(void **state)
{
    (void)state;
    lt_fixture f;
    m2m_open(&f, "m2m_stream");
    m2m_fill(&f);
    streamed st = {0};
    post_stream(f.db, &(PostQuery){.fetch_links = true, .links = (const char *const[]){"tags", NULL}},
                7, on_batch, &st);
    assert_int_equal(pgorm_db_run_sync(f.db, 10000), 0);
    assert_int_equal(st.code, PGORM_OK);
    assert_int_equal(st.ends, 1);
    assert_int_equal(st.rows, 30);
    assert_true(st.batches >= 5);
    assert_int_equal((int64_t)st.tagged, pgt_query_int(f.c, "SELECT count(*) FROM post_tag"));
    lt_close(&f);
}

static void test_async(void **state)
{
    (void)state;
    lt_fixture f;
    m2m_open(&f, "m2m_async");
    pgt_exec(f.c, "INSERT INTO post (title) VALUES ('a');"
                  "INSERT INTO tag (label) SELECT 'tag ' || g FROM generate_series(1, 3) g");
    Post p = post_with_id(1);
    seen add = {0}, again = {0}, load = {0}, rm = {0}, bad = {0};
    /* issued together, run in order */
    post_tags_add(f.db, &p, (const int32_t[]){3, 1}, 2, on_count, &add);
    post_tags_add(f.db, &p, (const int32_t[]){1}, 1, on_count, &again);
    post_tags(f.db, &p, NULL, on_rows, &load);
    post_tags_remove(f.db, &p, (const int32_t[]){3}, 1, on_count, &rm);
    pgorm_many(f.db, &post_model, 99, &p, NULL, NULL, NULL, NULL); /* no callback: fine */
    pgorm_many_remove(f.db, &post_model, 99, &p, NULL, 0, on_count, &bad);
    assert_int_equal(pgorm_db_run_sync(f.db, 10000), 0);
    assert_int_equal(add.calls, 1);
    assert_int_equal(add.code, PGORM_OK);
    assert_int_equal(add.count, 2);
    assert_int_equal(again.calls, 1);
    assert_int_equal(again.count, 0);
    assert_int_equal(load.calls, 1);
    assert_int_equal(load.code, PGORM_OK);
    assert_non_null(load.rows);
    assert_int_equal(load.rows->count, 2);
    assert_int_equal(p.tags.count, 2);
    assert_int_equal(p.tags.items[0].id, 1);
    assert_int_equal(p.tags.items[1].id, 3);
    tag_rows_free(load.rows);
    assert_int_equal(rm.calls, 1);
    assert_int_equal(rm.count, 1);
    assert_int_equal(bad.calls, 1);
    assert_int_equal(bad.code, PGORM_ERR_INVALID);
    lt_close(&f);
}

/* ------------------------------------------------------------------ */
/* Out of memory                                                       */

static void oom_scenario(void *conninfo)
{
    pgorm_db *db = lt_oom_connect(conninfo);
    if (!db)
        return;
    pgorm_error err = {0};
    PostRows *pr = NULL;
    int rc = post_find_sync(db, &(PostQuery){.fetch_links = true, .depth = 2}, &pr, &err);
    if (rc == 0) {
        assert_int_equal(pr->count, 2);
        assert_int_equal(pr->items[0].tags.count, 2);
        assert_true(pr->items[0].tags.items[0].posts.count >= 1); /* post 2 may be paired too */
    }
    post_rows_free(pr);
    lt_oom_ok(rc, &err);
    Post p = post_with_id(1);
    TagRows *tr = NULL;
    rc = post_tags_sync(db, &p, &(TagQuery){.where = tag_id_gt(0), .fetch_links = true}, &tr,
                        &err);
    if (rc == 0)
        assert_true(p.tags.loaded && p.tags.count == 2);
    tag_rows_free(tr);
    lt_oom_ok(rc, &err);
    int64_t n = 0;
    lt_oom_ok(post_tags_count_sync(db, &p, tag_posts_count_gt(0), &n, &err), &err);
    Post q = post_with_id(2);
    lt_oom_ok(post_tags_add_sync(db, &q, (const int32_t[]){1, 2}, 2, &n, &err), &err);
    lt_oom_ok(post_tags_remove_sync(db, &q, (const int32_t[]){1, 2}, 2, &n, &err), &err);
    pgorm_db_free(db);
}

static void test_oom_walk(void **state)
{
    (void)state;
    lt_fixture f;
    m2m_open(&f, "m2m_oom");
    pgt_exec(f.c, "INSERT INTO post (title) VALUES ('a'), ('b');"
                  "INSERT INTO tag (label) VALUES ('x'), ('y');"
                  "INSERT INTO post_tag (post_id, tag_id) VALUES (1, 1), (1, 2)");
    pgt_oom_walk(oom_scenario, f.d.conninfo, 20);
    lt_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_shape),
        cmocka_unit_test(test_lazy_load),
        cmocka_unit_test(test_fetch_links_one_statement),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_add_remove),
        cmocka_unit_test(test_text_keys),
        cmocka_unit_test(test_self_referential),
        cmocka_unit_test(test_async),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_oom_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
