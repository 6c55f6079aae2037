/* pgorm_hmap: the one hash map (byte-string and uint64 keys), checked
 * against a plain array model through inserts, replacements, deletions
 * (backward shift) and growth; plus out-of-memory behaviour.
 */
#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"

static void test_bytes_basic(void **state)
{
    (void)state;
    pgorm_hmap m;
    pgorm_hmap_init(&m, PGORM_HMAP_BYTES);
    assert_null(pgorm_hmap_get(&m, "a", 1));
    assert_null(pgorm_hmap_del(&m, "a", 1));
    int v1 = 1, v2 = 2, v3 = 3;
    assert_int_equal(pgorm_hmap_put(&m, "alpha", 5, &v1), 0);
    assert_int_equal(pgorm_hmap_put(&m, "beta", 4, &v2), 0);
    assert_int_equal(pgorm_hmap_put(&m, "", 0, &v3), 0); /* the empty key is a key */
    assert_int_equal(pgorm_hmap_count(&m), 3);
    assert_ptr_equal(pgorm_hmap_get(&m, "alpha", 5), &v1);
    assert_null(pgorm_hmap_get(&m, "alph", 4)); /* prefix is another key */
    assert_ptr_equal(pgorm_hmap_get(&m, "", 0), &v3);
    assert_int_equal(pgorm_hmap_put(&m, "alpha", 5, &v2), 0); /* replace */
    assert_int_equal(pgorm_hmap_count(&m), 3);
    assert_ptr_equal(pgorm_hmap_get(&m, "alpha", 5), &v2);
    /* NULL values are allowed; find tells them from absence */
    assert_int_equal(pgorm_hmap_put(&m, "nil", 3, NULL), 0);
    void *out = &v1;
    assert_true(pgorm_hmap_find(&m, "nil", 3, &out));
    assert_null(out);
    assert_false(pgorm_hmap_find(&m, "nope", 4, &out));
    bool added = false;
    void **slot = pgorm_hmap_slot(&m, "gamma", 5, &added);
    assert_non_null(slot);
    assert_true(added);
    *slot = &v3;
    slot = pgorm_hmap_slot(&m, "gamma", 5, &added);
    assert_false(added);
    assert_ptr_equal(*slot, &v3);
    assert_ptr_equal(pgorm_hmap_del(&m, "beta", 4), &v2);
    assert_null(pgorm_hmap_get(&m, "beta", 4));
    assert_int_equal(pgorm_hmap_count(&m), 4);
    pgorm_hmap_clear(&m);
    assert_int_equal(pgorm_hmap_count(&m), 0);
    assert_null(pgorm_hmap_get(&m, "alpha", 5));
    pgorm_hmap_free(&m);
}

/* Random operations against a model; keys are copied by the map, so the
   caller's buffer is reused for every key. */
static void test_bytes_model(void **state)
{
    (void)state;
    enum { NK = 3000 };
    static int present[NK];
    static int vals[NK];
    memset(present, 0, sizeof present);
    pgorm_hmap m;
    pgorm_hmap_init(&m, PGORM_HMAP_BYTES_COPY);
    unsigned seed = 12345;
    size_t count = 0;
    char key[32];
    for (int step = 0; step < 60000; step++) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 8) % NK);
        int len = snprintf(key, sizeof key, "key-%d-%s", k, k % 3 ? "x" : "longer-suffix");
        int op = (int)((seed >> 4) % 3);
        if (op < 2) {
            vals[k] = step;
            assert_int_equal(pgorm_hmap_put(&m, key, (size_t)len, &vals[k]), 0);
            if (!present[k]++)
                count++;
            present[k] = 1;
        } else {
            void *v = pgorm_hmap_del(&m, key, (size_t)len);
            if (present[k]) {
                assert_ptr_equal(v, &vals[k]);
                present[k] = 0;
                count--;
            } else {
                assert_null(v);
            }
        }
        assert_int_equal(pgorm_hmap_count(&m), count);
    }
    for (int k = 0; k < NK; k++) {
        int len = snprintf(key, sizeof key, "key-%d-%s", k, k % 3 ? "x" : "longer-suffix");
        void *v = pgorm_hmap_get(&m, key, (size_t)len);
        if (present[k])
            assert_ptr_equal(v, &vals[k]);
        else
            assert_null(v);
    }
    /* iteration visits each entry once */
    size_t it = 0, seen = 0;
    const pgorm_hmap_entry *e;
    while ((e = pgorm_hmap_next(&m, &it))) {
        seen++;
        assert_non_null(e->value);
    }
    assert_int_equal(seen, count);
    pgorm_hmap_free(&m);
}

static void test_u64(void **state)
{
    (void)state;
    pgorm_hmap m;
    pgorm_hmap_init(&m, PGORM_HMAP_U64);
    assert_true(pgorm_hmap_reserve(&m, 1000));
    /* sequential ids and their multiples, the identity-map case */
    for (uint64_t i = 0; i < 20000; i++)
        assert_int_equal(pgorm_hmap_put_u64(&m, i * 4096, (void *)(uintptr_t)(i + 1)), 0);
    assert_int_equal(pgorm_hmap_count(&m), 20000);
    for (uint64_t i = 0; i < 20000; i += 2)
        assert_int_equal((uintptr_t)pgorm_hmap_del_u64(&m, i * 4096), i + 1);
    for (uint64_t i = 0; i < 20000; i++) {
        void *v = pgorm_hmap_get_u64(&m, i * 4096);
        if (i % 2)
            assert_int_equal((uintptr_t)v, i + 1);
        else
            assert_null(v);
    }
    bool added;
    void **s = pgorm_hmap_slot_u64(&m, UINT64_MAX, &added);
    assert_true(added);
    *s = &m;
    assert_ptr_equal(pgorm_hmap_get_u64(&m, UINT64_MAX), &m);
    assert_true(pgorm_hmap_find_u64(&m, UINT64_MAX, NULL));
    assert_int_equal(pgorm_hmap_count(&m), 10001);
    pgorm_hmap_free(&m);
}

static int fail_allocs;
static void *f_malloc(size_t n)
{
    return fail_allocs ? NULL : malloc(n);
}
static void *f_realloc(void *p, size_t n)
{
    return fail_allocs ? NULL : realloc(p, n);
}

static void test_oom(void **state)
{
    (void)state;
    pgorm_set_allocator(&(pgorm_allocator){f_malloc, f_realloc, free});
    pgorm_hmap m;
    pgorm_hmap_init(&m, PGORM_HMAP_BYTES_COPY);
    int v = 0;
    char key[16];
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(pgorm_hmap_put(&m, key, strlen(key), &v), 0);
    }
    fail_allocs = 1;
    /* growth fails: the map is unchanged and still works */
    int rc = 0;
    for (int i = 6; i < 40 && rc == 0; i++) {
        snprintf(key, sizeof key, "k%d", i);
        rc = pgorm_hmap_put(&m, key, strlen(key), &v);
    }
    assert_int_equal(rc, -1);
    size_t n = pgorm_hmap_count(&m);
    assert_null(pgorm_hmap_slot(&m, "zzz-new", 7, NULL));
    assert_int_equal(pgorm_hmap_count(&m), n);
    assert_ptr_equal(pgorm_hmap_get(&m, "k0", 2), &v);
    fail_allocs = 0;
    pgorm_hmap_free(&m);
    pgorm_set_allocator(NULL);
}

static void test_hash_spread(void **state)
{
    (void)state;
    /* keys differing in one byte land in different low bits */
    enum { N = 1024 };
    static unsigned char buckets[N];
    memset(buckets, 0, sizeof buckets);
    char key[64];
    int used = 0;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "SELECT * FROM t WHERE id = $%d", i);
        uint64_t h = pgorm_hash_bytes(key, strlen(key));
        if (!buckets[h % N]++)
            used++;
    }
    /* a random function fills ~63% of N buckets with N keys */
    assert_true(used > N / 2);
    assert_true(pgorm_hash_u64(1) != pgorm_hash_u64(2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_basic), cmocka_unit_test(test_bytes_model),
        cmocka_unit_test(test_u64),         cmocka_unit_test(test_oom),
        cmocka_unit_test(test_hash_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
