/* pgorm_hmap: see hmap.h for the contract. */
#include "util/hmap.h"

#include <string.h>

#include "pgorm/pgorm.h"

#define HMAP_MIN_CAP 8

/* ------------------------------------------------------------------ */
/* Hashing: 8 bytes per step with a multiply-rotate mix (MurmurHash3's
   64-bit round), then a full avalanche so the low bits used for the
   index depend on every input bit. */

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t pgorm_hash_bytes(const void *key, size_t len)
{
    const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
    const unsigned char *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)len * c2);
    size_t n = len;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w *= c1;
        w = rotl64(w, 31);
        w *= c2;
        h ^= w;
        h = rotl64(h, 27) * 5 + 0x52dce729;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, p, n);
        w *= c1;
        w = rotl64(w, 31);
        w *= c2;
        h ^= w;
    }
    return fmix64(h ^ (uint64_t)len);
}

uint64_t pgorm_hash_u64(uint64_t key)
{
    return fmix64(key + 0x9e3779b97f4a7c15ULL);
}

static inline uint64_t nonzero(uint64_t h)
{
    return h ? h : 1; /* 0 marks an empty slot */
}

/* ------------------------------------------------------------------ */

void pgorm_hmap_init(pgorm_hmap *m, pgorm_hmap_keys keys)
{
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
    m->keys = keys;
    pgorm_arena_init(&m->arena, 1024);
}

void pgorm_hmap_free(pgorm_hmap *m)
{
    pgorm_free(m->slots);
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
    pgorm_arena_free(&m->arena);
    pgorm_arena_init(&m->arena, 1024);
}

void pgorm_hmap_clear(pgorm_hmap *m)
{
    if (m->slots)
        memset(m->slots, 0, (m->mask + 1) * sizeof *m->slots);
    m->count = 0;
    pgorm_arena_free(&m->arena);
    pgorm_arena_init(&m->arena, 1024);
}

/* Rebuild into a table of `cap` slots (a power of two). */
static bool rehash(pgorm_hmap *m, size_t cap)
{
    pgorm_hmap_entry *slots = pgorm_calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    size_t mask = cap - 1;
    if (m->slots) {
        for (size_t i = 0; i <= m->mask; i++) {
            const pgorm_hmap_entry *e = &m->slots[i];
            if (!e->hash)
                continue;
            size_t j = (size_t)e->hash & mask;
            while (slots[j].hash)
                j = (j + 1) & mask;
            slots[j] = *e;
        }
        pgorm_free(m->slots);
    }
    m->slots = slots;
    m->mask = mask;
    return true;
}

static inline size_t capacity(const pgorm_hmap *m)
{
    return m->slots ? m->mask + 1 : 0;
}

bool pgorm_hmap_reserve(pgorm_hmap *m, size_t n)
{
    if (n > SIZE_MAX / 8)
        return false;
    size_t cap = HMAP_MIN_CAP;
    while (cap / 4 * 3 < n)
        cap *= 2;
    if (cap <= capacity(m))
        return true;
    return rehash(m, cap);
}

/* Room for one more entry. */
static inline bool grow_for_one(pgorm_hmap *m)
{
    size_t cap = capacity(m);
    if (m->count + 1 <= cap / 4 * 3)
        return true;
    if (cap > SIZE_MAX / 2 / sizeof(pgorm_hmap_entry))
        return false;
    return rehash(m, cap ? cap * 2 : HMAP_MIN_CAP);
}

/* Index of the key's slot, or of the empty slot where it would go. */
static inline size_t probe_bytes(const pgorm_hmap *m, uint64_t h, const void *key, size_t len)
{
    size_t i = (size_t)h & m->mask;
    for (;;) {
        const pgorm_hmap_entry *e = &m->slots[i];
        if (!e->hash)
            return i;
        if (e->hash == h && e->key.bytes.len == len &&
            (len == 0 || memcmp(e->key.bytes.ptr, key, len) == 0))
            return i;
        i = (i + 1) & m->mask;
    }
}

static inline size_t probe_u64(const pgorm_hmap *m, uint64_t h, uint64_t key)
{
    size_t i = (size_t)h & m->mask;
    for (;;) {
        const pgorm_hmap_entry *e = &m->slots[i];
        if (!e->hash || (e->hash == h && e->key.u64 == key))
            return i;
        i = (i + 1) & m->mask;
    }
}

/* Backward-shift deletion: pull later members of the probe run into the
   hole so lookups never need tombstones. */
static void remove_at(pgorm_hmap *m, size_t i)
{
    size_t hole = i;
    size_t j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        pgorm_hmap_entry *e = &m->slots[j];
        if (!e->hash)
            break;
        size_t home = (size_t)e->hash & m->mask;
        /* e may move to the hole iff the hole lies cyclically in [home, j) */
        if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
            m->slots[hole] = *e;
            hole = j;
        }
    }
    memset(&m->slots[hole], 0, sizeof m->slots[hole]);
    m->count--;
}

/* ------------------------------------------------------------------ */
/* Byte-string keys. */

bool pgorm_hmap_find(const pgorm_hmap *m, const void *key, size_t len, void **value)
{
    if (!m->count)
        return false;
    size_t i = probe_bytes(m, nonzero(pgorm_hash_bytes(key, len)), key, len);
    if (!m->slots[i].hash)
        return false;
    if (value)
        *value = m->slots[i].value;
    return true;
}

void *pgorm_hmap_get(const pgorm_hmap *m, const void *key, size_t len)
{
    void *v = NULL;
    return pgorm_hmap_find(m, key, len, &v) ? v : NULL;
}

void **pgorm_hmap_slot(pgorm_hmap *m, const void *key, size_t len, bool *added)
{
    uint64_t h = nonzero(pgorm_hash_bytes(key, len));
    if (added)
        *added = false;
    if (m->count) {
        size_t i = probe_bytes(m, h, key, len);
        if (m->slots[i].hash)
            return &m->slots[i].value;
    }
    if (!grow_for_one(m))
        return NULL;
    const void *k = key;
    if (m->keys == PGORM_HMAP_BYTES_COPY) {
        void *copy = pgorm_arena_alloc(&m->arena, len ? len : 1);
        if (!copy)
            return NULL;
        if (len)
            memcpy(copy, key, len);
        k = copy;
    }
    size_t i = probe_bytes(m, h, key, len);
    pgorm_hmap_entry *e = &m->slots[i];
    e->hash = h;
    e->key.bytes.ptr = k;
    e->key.bytes.len = len;
    e->value = NULL;
    m->count++;
    if (added)
        *added = true;
    return &e->value;
}

int pgorm_hmap_put(pgorm_hmap *m, const void *key, size_t len, void *value)
{
    void **slot = pgorm_hmap_slot(m, key, len, NULL);
    if (!slot)
        return -1;
    *slot = value;
    return 0;
}

void *pgorm_hmap_del(pgorm_hmap *m, const void *key, size_t len)
{
    if (!m->count)
        return NULL;
    size_t i = probe_bytes(m, nonzero(pgorm_hash_bytes(key, len)), key, len);
    if (!m->slots[i].hash)
        return NULL;
    void *v = m->slots[i].value;
    remove_at(m, i);
    return v;
}

/* ------------------------------------------------------------------ */
/* uint64_t keys. */

bool pgorm_hmap_find_u64(const pgorm_hmap *m, uint64_t key, void **value)
{
    if (!m->count)
        return false;
    size_t i = probe_u64(m, nonzero(pgorm_hash_u64(key)), key);
    if (!m->slots[i].hash)
        return false;
    if (value)
        *value = m->slots[i].value;
    return true;
}

void *pgorm_hmap_get_u64(const pgorm_hmap *m, uint64_t key)
{
    void *v = NULL;
    return pgorm_hmap_find_u64(m, key, &v) ? v : NULL;
}

void **pgorm_hmap_slot_u64(pgorm_hmap *m, uint64_t key, bool *added)
{
    uint64_t h = nonzero(pgorm_hash_u64(key));
    if (added)
        *added = false;
    if (m->count) {
        size_t i = probe_u64(m, h, key);
        if (m->slots[i].hash)
            return &m->slots[i].value;
    }
    if (!grow_for_one(m))
        return NULL;
    size_t i = probe_u64(m, h, key);
    pgorm_hmap_entry *e = &m->slots[i];
    e->hash = h;
    e->key.u64 = key;
    e->value = NULL;
    m->count++;
    if (added)
        *added = true;
    return &e->value;
}

int pgorm_hmap_put_u64(pgorm_hmap *m, uint64_t key, void *value)
{
    void **slot = pgorm_hmap_slot_u64(m, key, NULL);
    if (!slot)
        return -1;
    *slot = value;
    return 0;
}

void *pgorm_hmap_del_u64(pgorm_hmap *m, uint64_t key)
{
    if (!m->count)
        return NULL;
    size_t i = probe_u64(m, nonzero(pgorm_hash_u64(key)), key);
    if (!m->slots[i].hash)
        return NULL;
    void *v = m->slots[i].value;
    remove_at(m, i);
    return v;
}

/* ------------------------------------------------------------------ */

const pgorm_hmap_entry *pgorm_hmap_next(const pgorm_hmap *m, size_t *it)
{
    if (!m->slots)
        return NULL;
    for (size_t i = *it; i <= m->mask; i++) {
        if (m->slots[i].hash) {
            *it = i + 1;
            return &m->slots[i];
        }
    }
    *it = m->mask + 1;
    return NULL;
}
