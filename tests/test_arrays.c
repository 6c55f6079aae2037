/* Array columns through the generated code, against a real PostgreSQL
 * (tests/schemas/gen_arrays.pgorm).
 *
 * What is checked: the struct's pointer and count members; insert of
 * several rows with arrays of every element type (empty, NULL, many
 * elements, unicode text, NULL text elements, uuids), read back by find and
 * get and as the server stores them; a default on an array left unset;
 * update; the has / contains / overlaps filters and IS NULL; fetch_links
 * reading arrays inside records; upsert; what the decoder refuses (a
 * two-dimensional array, a NULL element of a fixed-size type, another
 * element type), each a PGORM_ERR_DECODE naming the column.
 */
#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_arrays.pgorm.h"
#include "runtime/codec/codec.h"

typedef struct fixture {
    pgt_db db;
    PGconn *c;
    pgorm_db *orm;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    pgt_db_create(&f->db, "arrays");
    f->c = pgt_connect(f->db.direct);
    pgt_apply_schema(f->c, "tests/schemas/gen_arrays.pgorm");
    f->orm = pgt_pgorm_connect(f->db.conninfo);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pgorm_db_free(f->orm);
    PQfinish(f->c);
    pgt_db_drop(&f->db);
    free(f);
    return 0;
}

static void assert_q(fixture *f, const char *sql, const char *want)
{
    char *got = pgt_query_text(f->c, sql);
    if (!got || strcmp(got, want) != 0)
        fail_msg("%s\nexpected: %s\ngot: %s", sql, want, got ? got : "(null)");
    free(got);
}

static int64_t count_where(fixture *f, pgorm_pred where)
{
    pgorm_error err = {0};
    int64_t n = -1;
    pgt_ok(post_count_sync(f->orm, where, &n, &err), &err, "post_count_sync");
    return n;
}

static pgorm_uuid uuid_of(const char *s)
{
    pgorm_uuid u;
    assert_int_equal(pgorm_uuid_parse(s, &u), 0);
    return u;
}

static void test_descriptor(void **state)
{
    (void)state;
    const pgorm_column_desc *tags = &post_model.columns[2];
    assert_string_equal(tags->name, "tags");
    assert_true(tags->array);
    assert_int_equal(tags->type, PGORM_TEXT);
    assert_string_equal(tags->sql_type, "text[]");
    assert_int_equal(tags->count_offset, offsetof(Post, tags_count));
    assert_int_equal(tags->has_offset, PGORM_NO_OFFSET);
    assert_string_equal(post_model.columns[8].sql_type, "varchar(20)[]");
    assert_false(post_model.columns[1].array);
    /* the members' C types */
    Post p = {0};
    char **t = p.tags;
    int32_t *s = p.scores;
    int64_t *b = p.big;
    pgorm_uuid *r = p.refs;
    bool *fl = p.flags;
    double *w = p.weights;
    size_t n = p.tags_count + p.scores_count + p.big_count + p.refs_count + p.flags_count +
               p.weights_count + p.names_count;
    assert_null(t);
    assert_null(s);
    assert_null(b);
    assert_null(r);
    assert_null(fl);
    assert_null(w);
    assert_int_equal(n, 0);
}

#define MANY 1000

static void test_round_trip(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    static int64_t many[MANY];
    for (int i = 0; i < MANY; i++)
        many[i] = (int64_t)i * 1000003 - 500000000000LL;
    char *tags0[] = {"c", "ünïcødé ☃", "", "with \"quotes\", {braces} and \\", NULL};
    int32_t scores0[] = {1, -2, 2147483647};
    pgorm_uuid refs0[] = {uuid_of("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                          uuid_of("00000000-0000-0000-0000-000000000000")};
    bool flags0[] = {true, false, true};
    double w0[] = {0.5, -1e300, 3.0};
    char *names0[] = {"bob", "alice"};
    char *empty_s[1] = {NULL};
    int32_t empty_i[1] = {0};
    Post in[3] = {
        {.title = "full",
         .tags = tags0, .tags_count = 5,
         .scores = scores0, .scores_count = 3,
         .big = many, .big_count = MANY,
         .refs = refs0, .refs_count = 2,
         .flags = flags0, .flags_count = 3,
         .weights = w0, .weights_count = 3,
         .names = names0, .names_count = 2},
        /* tags left to its default; every nullable array NULL */
        {.title = "nulls"},
        /* empty arrays, not NULL */
        {.title = "empty", .tags = empty_s, .tags_count = 0, .scores = empty_i,
         .scores_count = 0},
    };
    PostRows *rows = NULL;
    pgt_ok(post_insert_sync(f->orm, in, 3, &rows, &err), &err, "post_insert_sync");
    assert_int_equal(rows->count, 3);
    const Post *p = &rows->items[0];
    assert_int_equal(p->tags_count, 5);
    assert_string_equal(p->tags[0], "c");
    assert_string_equal(p->tags[1], "ünïcødé ☃");
    assert_string_equal(p->tags[2], "");
    assert_string_equal(p->tags[3], "with \"quotes\", {braces} and \\");
    assert_null(p->tags[4]); /* a NULL text element */
    assert_int_equal(p->scores_count, 3);
    assert_int_equal(p->scores[2], 2147483647);
    assert_int_equal(p->big_count, MANY);
    for (int i = 0; i < MANY; i++)
        assert_int_equal(p->big[i], many[i]);
    assert_int_equal(p->refs_count, 2);
    assert_memory_equal(&p->refs[0], &refs0[0], 16);
    assert_memory_equal(&p->refs[1], &refs0[1], 16);
    assert_int_equal(p->flags_count, 3);
    assert_true(p->flags[0] && !p->flags[1] && p->flags[2]);
    assert_true(p->weights[1] == -1e300);
    assert_string_equal(p->names[1], "alice");
    /* the default: '{}', an empty array */
    p = &rows->items[1];
    assert_non_null(p->tags);
    assert_int_equal(p->tags_count, 0);
    assert_null(p->scores);
    assert_null(p->big);
    assert_null(p->refs);
    assert_null(p->flags);
    assert_null(p->weights);
    assert_null(p->names);
    p = &rows->items[2];
    assert_non_null(p->tags);
    assert_int_equal(p->tags_count, 0);
    assert_non_null(p->scores);
    assert_int_equal(p->scores_count, 0);
    assert_null(p->big);
    /* the caller's arrays are its own: not replaced by the result's */
    assert_ptr_equal(in[0].tags, tags0);
    assert_null(in[1].tags);
    post_rows_free(rows);

    /* one row: its arrays travel as parameters of their own */
    Post one = {.title = "one", .scores = empty_i, .scores_count = 0, .big = many, .big_count = 3};
    rows = NULL;
    pgt_ok(post_insert_sync(f->orm, &one, 1, &rows, &err), &err, "post_insert_sync");
    assert_int_equal(rows->count, 1);
    assert_non_null(rows->items[0].tags); /* the default */
    assert_int_equal(rows->items[0].tags_count, 0);
    assert_non_null(rows->items[0].scores);
    assert_int_equal(rows->items[0].scores_count, 0);
    assert_int_equal(rows->items[0].big_count, 3);
    assert_int_equal(rows->items[0].big[2], many[2]);
    assert_null(rows->items[0].refs);
    post_rows_free(rows);
    assert_q(f, "SELECT tags::text || scores::text || big::text || coalesce(refs::text, 'NULL') "
                "FROM post WHERE title = 'one'",
             "{}{}{-500000000000,-499998999997,-499997999994}NULL");
    pgt_exec(f->c, "DELETE FROM post WHERE title = 'one'");

    /* what the server stored */
    assert_q(f,
             "SELECT string_agg(title || ':' || coalesce(tags::text, 'NULL') || ':' || "
             "coalesce(scores::text, 'NULL') || ':' || coalesce(refs::text, 'NULL') || ':' || "
             "coalesce(flags::text, 'NULL') || ':' || coalesce(weights::text, 'NULL') || ':' || "
             "coalesce(names::text, 'NULL'), ' | ' ORDER BY id) FROM post",
             "full:{c,\"ünïcødé ☃\",\"\",\"with \\\"quotes\\\", {braces} and \\\\\",NULL}:"
             "{1,-2,2147483647}:{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,"
             "00000000-0000-0000-0000-000000000000}:{t,f,t}:{0.5,-1e+300,3}:{bob,alice} | "
             "nulls:{}:NULL:NULL:NULL:NULL:NULL | empty:{}:{}:NULL:NULL:NULL:NULL");
    assert_q(f, "SELECT cardinality(big) FROM post WHERE title = 'full'", "1000");

    /* get */
    rows = NULL;
    pgt_ok(post_get_sync(f->orm, in[0].id, &rows, &err), &err, "post_get_sync");
    assert_int_equal(rows->count, 1);
    assert_int_equal(rows->items[0].big_count, MANY);
    assert_int_equal(rows->items[0].big[MANY - 1], many[MANY - 1]);
    post_rows_free(rows);

    /* update: an array to another, an array to NULL, NULL to an array */
    int32_t scores1[] = {7, 8};
    Post u = in[0];
    u.scores = scores1;
    u.scores_count = 2;
    u.names = NULL;
    int64_t n = 0;
    pgt_ok(post_update_sync(f->orm, &u, POST_SCORES | POST_NAMES, &n, &err), &err,
           "post_update_sync");
    assert_int_equal(n, 1);
    u = in[1];
    u.scores = scores1;
    u.scores_count = 1;
    pgt_ok(post_update_sync(f->orm, &u, POST_SCORES, &n, &err), &err, "post_update_sync");
    assert_q(f,
             "SELECT string_agg(coalesce(scores::text, 'NULL') || ':' || "
             "coalesce(names::text, 'NULL'), ' ' ORDER BY id) FROM post",
             "{7,8}:NULL {7}:NULL {}:NULL");

    /* filters */
    assert_int_equal(count_where(f, post_scores_has(7)), 2);
    assert_int_equal(count_where(f, post_scores_has(8)), 1);
    assert_int_equal(count_where(f, post_tags_has("ünïcødé ☃")), 1);
    assert_int_equal(count_where(f, post_tags_has("nope")), 0);
    assert_int_equal(count_where(f, post_refs_has(refs0[0])), 1);
    int32_t both[] = {7, 8};
    assert_int_equal(count_where(f, post_scores_contains(both, 2)), 1);
    assert_int_equal(count_where(f, post_scores_contains(both, 0)), 3); /* NULL matches none */
    assert_int_equal(count_where(f, post_scores_overlaps(both, 2)), 2);
    const char *some[] = {"c", "x"};
    assert_int_equal(count_where(f, post_tags_contains(some, 1)), 1);
    assert_int_equal(count_where(f, post_tags_contains(some, 2)), 0);
    assert_int_equal(count_where(f, post_tags_overlaps(some, 2)), 1);
    const char *nm[] = {"bob"};
    pgt_exec(f->c, "UPDATE post SET names = '{bob}' WHERE title = 'nulls'");
    assert_int_equal(count_where(f, post_names_contains(nm, 1)), 1); /* varchar(20)[] */
    assert_int_equal(count_where(f, post_names_has("bob")), 1);
    assert_int_equal(count_where(f, post_big_is_null()), 2);
    assert_int_equal(count_where(f, post_big_not_null()), 1);
    assert_int_equal(count_where(f, PGORM_AND(post_scores_has(7), post_big_is_null())), 1);

    /* a NULL to search for is refused, not sent */
    n = -1;
    int rc = post_count_sync(f->orm, post_tags_has(NULL), &n, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, PGORM_ERR_INVALID);
    assert_non_null(strstr(err.message, "tags"));
    pgorm_error_clear(&err);
}

static void test_fetch_links_and_upsert(void **state)
{
    fixture *f = *state;
    pgorm_error err = {0};
    pgt_exec(f->c, "TRUNCATE post, blog RESTART IDENTITY");
    char *topics[] = {"c", "postgres"};
    Blog b = {.name = "b", .topics = topics, .topics_count = 2};
    BlogRows *brows = NULL;
    pgt_ok(blog_insert_sync(f->orm, &b, 1, &brows, &err), &err, "blog_insert_sync");
    blog_rows_free(brows);
    char *t1[] = {"x", "y"};
    int32_t s1[] = {1, 2, 3};
    Post ps[2] = {
        {.title = "p1", .tags = t1, .tags_count = 2, .scores = s1, .scores_count = 3,
         .blog = {.key = b.id, .has_key = true}},
        {.title = "p2", .blog = {.key = b.id, .has_key = true}},
    };
    PostRows *rows = NULL;
    pgt_ok(post_insert_sync(f->orm, ps, 2, &rows, &err), &err, "post_insert_sync");
    post_rows_free(rows);

    /* a blog with its posts: arrays inside the posts' records */
    brows = NULL;
    pgt_ok(blog_find_sync(f->orm, &(BlogQuery){.fetch_links = true}, &brows, &err), &err,
           "blog_find_sync");
    assert_int_equal(brows->count, 1);
    const Blog *got = &brows->items[0];
    assert_int_equal(got->topics_count, 2);
    assert_string_equal(got->topics[1], "postgres");
    assert_int_equal(got->posts.count, 2);
    const Post *p1 = got->posts.items[0].id == ps[0].id ? &got->posts.items[0]
                                                         : &got->posts.items[1];
    const Post *p2 = p1 == &got->posts.items[0] ? &got->posts.items[1] : &got->posts.items[0];
    assert_int_equal(p1->tags_count, 2);
    assert_string_equal(p1->tags[1], "y");
    assert_int_equal(p1->scores_count, 3);
    assert_int_equal(p1->scores[2], 3);
    assert_non_null(p2->tags);
    assert_int_equal(p2->tags_count, 0);
    assert_null(p2->scores);
    blog_rows_free(brows);

    /* posts with their blog */
    rows = NULL;
    pgt_ok(post_find_sync(f->orm,
                          &(PostQuery){.fetch_links = true, .order = {PGORM_ASC(POST_ID)}},
                          &rows, &err),
           &err, "post_find_sync");
    assert_int_equal(rows->count, 2);
    assert_non_null(rows->items[0].blog.ref);
    assert_int_equal(rows->items[0].blog.ref->topics_count, 2);
    post_rows_free(rows);

    /* upsert on the key: the array is updated */
    char *t2[] = {"z"};
    Post up = ps[0];
    up.tags = t2;
    up.tags_count = 1;
    rows = NULL;
    pgt_ok(post_upsert_sync(f->orm, &up, 1, &(pgorm_upsert){.conflict = POST_ID}, &rows, &err),
           &err, "post_upsert_sync");
    assert_int_equal(rows->count, 1);
    assert_int_equal(rows->items[0].tags_count, 1);
    assert_string_equal(rows->items[0].tags[0], "z");
    post_rows_free(rows);
    assert_q(f, "SELECT tags::text FROM post WHERE title = 'p1'", "{z}");
}

/* What the decoder refuses, through raw results decoded as a column. */
static void decode_err(fixture *f, const char *sql, const pgorm_column_desc *c, const char *want)
{
    PGresult *r = PQexecParams(f->c, sql, 0, NULL, NULL, NULL, NULL, 1);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    Post row = {0};
    pgorm_arena a = {0};
    bool oom = false;
    char why[256] = "";
    bool ok = pgorm_codec_accepts_col(c, PQftype(r, 0));
    if (ok) {
        int rc = pgorm_codec_decode_column(c, PQftype(r, 0), 1, PQgetvalue(r, 0, 0),
                                           PQgetlength(r, 0, 0), PQgetisnull(r, 0, 0), &row, &a,
                                           &oom, why, sizeof why);
        assert_int_equal(rc, -1);
        if (!strstr(why, want))
            fail_msg("%s: expected '%s' in '%s'", sql, want, why);
    } else {
        assert_null(want);
    }
    assert_false(oom);
    pgorm_arena_free(&a);
    PQclear(r);
}

static void test_decode_refusals(void **state)
{
    fixture *f = *state;
    const pgorm_column_desc *tags = &post_model.columns[2];
    const pgorm_column_desc *scores = &post_model.columns[3];
    decode_err(f, "SELECT '{{a,b},{c,d}}'::text[]", tags, "2-dimensional array");
    decode_err(f, "SELECT '{1,NULL,3}'::int4[]", scores, "element 1 is NULL");
    /* an int8 array for an int4 column is accepted only if it fits */
    decode_err(f, "SELECT '{1,3000000000}'::int8[]", scores, "does not fit in int4");
    /* another element type: not accepted at all */
    decode_err(f, "SELECT '{a}'::text[]", scores, NULL);
    decode_err(f, "SELECT 'a'::text", tags, NULL);
    /* through a find: a PGORM_ERR_DECODE naming the column */
    pgt_exec(f->c, "INSERT INTO post (title, tags) VALUES ('md', '{{a,b},{c,d}}')");
    pgorm_error err = {0};
    PostRows *rows = NULL;
    int rc = post_find_sync(f->orm, &(PostQuery){.where = post_title_eq("md")}, &rows, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, PGORM_ERR_DECODE);
    assert_non_null(strstr(err.message, "tags"));
    assert_non_null(strstr(err.message, "one-dimensional"));
    pgorm_error_clear(&err);
    pgt_exec(f->c, "DELETE FROM post WHERE title = 'md'");
    /* a lower bound other than 1 reads the elements in order */
    pgt_exec(f->c, "INSERT INTO post (title, tags) VALUES ('lb', '[0:1]={p,q}')");
    rows = NULL;
    pgt_ok(post_find_sync(f->orm, &(PostQuery){.where = post_title_eq("lb")}, &rows, &err),
           &err, "post_find_sync");
    assert_int_equal(rows->count, 1);
    assert_int_equal(rows->items[0].tags_count, 2);
    assert_string_equal(rows->items[0].tags[0], "p");
    post_rows_free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_links_and_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
