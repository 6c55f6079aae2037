/* Lazy loading of ForeignKeys (pgorm_load), merged per loop turn.
 *
 * A load does not send anything at once: it joins the BATCH of its target
 * model on this connection (Book.author and Book.editor both join Author's),
 * held until the end of the loop turn (pgorm_db_held_*). The first request
 * of a turn schedules the flush with pgorm_db_fail_later; the flush sends
 * ONE statement for every distinct key of every request,
 *     SELECT <Author's columns> FROM author WHERE id = ANY($1)
 * and, when it completes, each request's callback runs (in the order the
 * requests were made) with its own result: the distinct related rows of its
 * own rows, each row's ref pointing into it.
 *
 * Each server row is decoded ONCE per batch, however many requests name
 * it: its struct into a scratch array, its strings and bytes into one
 * refcounted share (pgorm_share, result.h). A request's result is one
 * allocation holding its items, copies of those structs (rows are the
 * caller's to modify), and a reference to the share; freeing one result
 * leaves the others valid, and the share goes with the last of them. So a loop that lazy-loads the
 * authors of 1000 books makes one round trip; `book_load_author_many` is the
 * same thing for an array.
 *
 * Per row of a request: a ref already set is kept (nothing fetched; set it
 * to NULL to load again); a NULL key gives ref == NULL; a key the server
 * does not have (deleted meanwhile) gives ref == NULL too.
 */
#include <stdio.h>
#include <string.h>

#include "runtime/codec/codec.h"
#include "runtime/relations/links.h"
#include "runtime/core/op.h"
#include "runtime/query/result.h"
#include "runtime/query/sql.h"

/* What a request's row is waiting for: a key index (< nkeys) until the
   rows came, then an item index; or one of these. */
#define SLOT_KEEP SIZE_MAX           /* ref already set: untouched */
#define SLOT_NULL (SIZE_MAX - 1)     /* NULL key: ref = NULL */
#define SLOT_MISSING (SIZE_MAX - 2)  /* not on the server: ref = NULL */

typedef struct lazy_req {
    struct lazy_req *next;
    const pgorm_rel_desc *rel;
    char *rows;
    size_t n, stride;
    size_t *slot; /* n entries (`one` when n == 1) */
    size_t one;
    bool decoded; /* slots hold item indexes */
    pgorm_result_cb cb;
    pgorm_fn fn;
    void *ud;
    pgorm_result *res;
    pgorm_error err; /* this request alone failed (out of memory) */
} lazy_req;

typedef struct lazy_batch {
    pgorm_op op; /* first: the core sees only this */
    const pgorm_model_desc *target;
    int pk;
    lazy_req *head, *tail;
    pgorm_hmap keys;  /* canonical key bytes -> index + 1 */
    pgorm_buf vals;   /* one pgorm_value per distinct key: the array parameter */
    size_t nkeys;
    size_t nreqs;
    pgorm_buf scratch;
    /* the last key (canonical()): an integer key as its value (keys is a
       U64 map then), any other as its canonical bytes */
    bool intkey;
    uint64_t ku64;
    const void *kp;
    size_t klen;
    pgorm_arena reqs; /* the requests and their slot arrays */
} lazy_batch;

/* ---------------------------------------------------------------- */
/* Keys                                                              */

static bool is_int(pgorm_type t)
{
    return t == PGORM_INT2 || t == PGORM_INT4 || t == PGORM_INT8;
}

/* The foreign key's value as a value of the key's type (integers of other
   widths are converted); false when it does not fit. */
static bool key_value(const pgorm_column_desc *fk, const char *row, pgorm_type kt,
                      pgorm_value *out)
{
    memset(out, 0, sizeof *out);
    const char *v = row + fk->offset;
    if (fk->type == kt) {
        memcpy(out, v, pgorm_codec_size(kt));
        return true;
    }
    int64_t x = 0;
    if (fk->type == PGORM_INT2) {
        int16_t y;
        memcpy(&y, v, sizeof y);
        x = y;
    } else if (fk->type == PGORM_INT4) {
        int32_t y;
        memcpy(&y, v, sizeof y);
        x = y;
    } else {
        memcpy(&x, v, sizeof x);
    }
    if (kt == PGORM_INT2 && (x < INT16_MIN || x > INT16_MAX))
        return false;
    if (kt == PGORM_INT4 && (x < INT32_MIN || x > INT32_MAX))
        return false;
    if (kt == PGORM_INT2)
        out->i16 = (int16_t)x;
    else if (kt == PGORM_INT4)
        out->i32 = (int32_t)x;
    else
        out->i64 = x;
    return true;
}

/* The key's bytes as the encoder writes them (so a value the client holds
   and one the server sent compare equal) at b->kp, b->klen: integers
   big-endian in place, other types through the encoder into b->scratch. */
static bool canonical(lazy_batch *b, const pgorm_value *v)
{
    char why[160];
    pgorm_type t = b->target->columns[b->pk].type;
    if (b->intkey) {
        b->ku64 = (uint64_t)(t == PGORM_INT8 ? v->i64 : t == PGORM_INT4 ? v->i32 : v->i16);
        return true;
    }
    b->kp = b->scratch.data;
    b->klen = 0;
    pgorm_buf_reset(&b->scratch);
    b->scratch.oom = false; /* a failure of an earlier key is not this one's */
    bool ok = pgorm_codec_encode_col(&b->target->columns[b->pk], v, &b->scratch, why,
                                     sizeof why) > 0 &&
              !b->scratch.oom;
    b->kp = b->scratch.data;
    b->klen = b->scratch.len;
    return ok;
}

static void *key_get(const lazy_batch *b)
{
    return b->intkey ? pgorm_hmap_get_u64(&b->keys, b->ku64)
                     : pgorm_hmap_get(&b->keys, b->kp, b->klen);
}

static void **key_slot(lazy_batch *b, bool *added)
{
    return b->intkey ? pgorm_hmap_slot_u64(&b->keys, b->ku64, added)
                     : pgorm_hmap_slot(&b->keys, b->kp, b->klen, added);
}

static void key_del(lazy_batch *b)
{
    if (b->intkey)
        pgorm_hmap_del_u64(&b->keys, b->ku64);
    else
        pgorm_hmap_del(&b->keys, b->kp, b->klen);
}

/* ---------------------------------------------------------------- */
/* The operation                                                     */

static void batch_free(lazy_batch *b)
{
    lazy_req *r = b->head;
    while (r) {
        lazy_req *next = r->next;
        pgorm_result_free(r->res);
        if (r->err.code != PGORM_OK)
            pgorm_error_clear(&r->err);
        r = next;
    }
    pgorm_arena_free(&b->reqs);
    pgorm_hmap_free(&b->keys);
    pgorm_buf_free(&b->vals);
    pgorm_buf_free(&b->scratch);
    pgorm_op_release(&b->op);
    pgorm_free(b);
}

static void req_fail(lazy_req *r, pgorm_errcode code, const char *what)
{
    if (r->err.code == PGORM_OK)
        pgorm_error_set(&r->err, code, "pgorm_load(%s): %s", r->rel ? r->rel->name : "?", what);
    pgorm_result_free(r->res);
    r->res = NULL;
}

/* The server's rows of one batch, each decoded once (on first need) into
   `structs`, with its strings and bytes in `share`; every request's result
   copies the structs it needs (rows are the caller's to modify) and holds
   a reference to the share. */
typedef struct lazy_rows {
    const PGresult *pg;
    size_t *row_of;      /* per key: the server row, or SIZE_MAX */
    size_t *pos;         /* per key: its item index in the request being built */
    size_t *seen;        /* per key: serial of the request that placed it */
    unsigned char *done; /* per server row: decoded into structs */
    char *structs;       /* per server row: the decoded struct */
    pgorm_share *share;
} lazy_rows;

/* Server row `row` decoded (once): its struct, or NULL with *err. */
static const char *row_struct(lazy_batch *b, lazy_rows *lr, size_t row, pgorm_error *err)
{
    size_t size = b->target->struct_size;
    char *dst = lr->structs + row * size;
    if (lr->done[row])
        return dst;
    memset(dst, 0, size); /* a failed attempt may have written part of it */
    if (pgorm_decode_row(b->target, lr->pg, (int)row, 0, dst, &lr->share->arena, err))
        return NULL;
    lr->done[row] = 1;
    return dst;
}

/* Build one request's result from the server's rows: each distinct row
   once, in the order its rows name them. */
static void req_decode(lazy_batch *b, lazy_req *r, lazy_rows *lr, size_t serial)
{
    size_t count = 0;
    size_t *row_of = lr->row_of, *pos = lr->pos, *seen = lr->seen;
    for (size_t i = 0; i < r->n; i++) {
        size_t k = r->slot[i];
        if (k >= b->nkeys)
            continue;
        if (row_of[k] == SIZE_MAX) {
            r->slot[i] = SLOT_MISSING;
            continue;
        }
        if (seen[k] != serial) {
            seen[k] = serial;
            pos[k] = count++;
        }
    }
    r->decoded = true;
    size_t size = b->target->struct_size;
    /* exactly `count` items next to the result, and a small first arena
       block (the strings are in the share): a turn may hold a thousand
       one-row requests */
    r->res = pgorm_result_new_in(lr->share, b->target, count, 256);
    if (!r->res) {
        req_fail(r, PGORM_ERR_NOMEM, "out of memory for the loaded rows");
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        size_t k = r->slot[i];
        if (k >= b->nkeys)
            continue;
        r->slot[i] = pos[k];
        if (seen[k] != serial)
            continue; /* placed for an earlier row of this request */
        seen[k] = serial + 1;
        pgorm_error err = {0};
        const char *row = row_struct(b, lr, row_of[k], &err);
        if (!row) {
            pgorm_result_free(r->res);
            r->res = NULL;
            r->err = err;
            return;
        }
        memcpy(r->res->items + pos[k] * size, row, size);
    }
}

static int batch_result(pgorm_op *o, const PGresult *pg, pgorm_error *err)
{
    lazy_batch *b = (lazy_batch *)o;
    int nrows = PQntuples(pg);
    if (pgorm_decode_check(b->target, pg, 0, err))
        return -1;
    size_t nr = (size_t)nrows, size = b->target->struct_size;
    lazy_rows lr = {.pg = pg};
    size_t *tmp = pgorm_calloc(b->nkeys ? 3 * b->nkeys : 1, sizeof *tmp);
    lr.done = pgorm_calloc(nr ? nr : 1, 1);
    lr.structs = nr <= SIZE_MAX / size ? pgorm_malloc(nr ? nr * size : 1) : NULL;
    /* the results (with their items) and the rows' strings: a first block
       for about 64 bytes a row and 256 a request, at most 64 KiB */
    size_t guess = nr * 64 + b->nreqs * 256;
    lr.share = pgorm_share_new(guess < 1024 ? 1024 : guess < 65536 ? guess : 65536);
    pgorm_arena arena;
    pgorm_arena_init(&arena, 1024);
    int rc = 0;
    if (!tmp || !lr.done || !lr.structs || !lr.share) {
        pgorm_error_set(err, PGORM_ERR_NOMEM, "pgorm_load(%s): out of memory", b->target->name);
        rc = -1;
        goto out;
    }
    lr.row_of = tmp;
    lr.pos = tmp + b->nkeys;
    lr.seen = tmp + 2 * b->nkeys;
    for (size_t k = 0; k < b->nkeys; k++)
        lr.row_of[k] = SIZE_MAX;
    const pgorm_column_desc *kc = &b->target->columns[b->pk];
    for (int i = 0; i < nrows && !rc; i++) {
        pgorm_value v;
        bool oom = false;
        char why[160];
        memset(&v, 0, sizeof v);
        if (PQgetisnull(pg, i, b->pk) ||
            (kc->type == PGORM_ENUM
                 ? pgorm_codec_decode_enum(kc, PQgetvalue(pg, i, b->pk),
                                           (size_t)PQgetlength(pg, i, b->pk), &v, why,
                                           sizeof why)
                 : pgorm_codec_decode(kc->type, PQftype(pg, b->pk), PQgetvalue(pg, i, b->pk),
                                      (size_t)PQgetlength(pg, i, b->pk), &v, &arena, &oom,
                                      why, sizeof why)) ||
            !canonical(b, &v)) {
            pgorm_error_set(err, oom ? PGORM_ERR_NOMEM : PGORM_ERR_DECODE,
                            "pgorm_load(%s): decoding the key %s of a returned row",
                            b->target->name, kc->name);
            rc = -1;
            break;
        }
        void *idx = key_get(b);
        if (idx)
            lr.row_of[(uintptr_t)idx - 1] = (size_t)i;
    }
    size_t serial = 1;
    for (lazy_req *r = b->head; r && !rc; r = r->next, serial += 2)
        if (!r->decoded && r->err.code == PGORM_OK)
            req_decode(b, r, &lr, serial);
out:
    pgorm_share_release(lr.share); /* the results that use it hold it */
    pgorm_arena_free(&arena);
    pgorm_free(lr.structs);
    pgorm_free(lr.done);
    pgorm_free(tmp);
    return rc;
}

static void batch_complete(pgorm_op *o, const pgorm_error *err)
{
    lazy_batch *b = (lazy_batch *)o;
    size_t size = b->target ? b->target->struct_size : 0;
    for (lazy_req *r = b->head; r; r = r->next) {
        const pgorm_error *e = err;
        if (!e && !r->res && r->err.code == PGORM_OK &&
            !(r->res = pgorm_result_new(b->target)))
            req_fail(r, PGORM_ERR_NOMEM, "out of memory");
        if (!e && r->err.code != PGORM_OK)
            e = &r->err;
        if (!e) {
            /* success: every ref this request asked for is set now */
            for (size_t i = 0; i < r->n; i++) {
                size_t s = r->slot[i];
                void **ref = (void **)(void *)(r->rows + i * r->stride + r->rel->ref_offset);
                if (s == SLOT_KEEP)
                    continue;
                if (s == SLOT_NULL || s == SLOT_MISSING || !r->decoded)
                    *ref = NULL;
                else
                    *ref = r->res->items + s * size;
            }
        }
        pgorm_result *res = e ? NULL : r->res;
        if (res)
            r->res = NULL;
        if (r->cb)
            r->cb(res, e, r->fn, r->ud);
        else
            pgorm_result_free(res);
    }
    batch_free(b); /* err may point into b: nothing reads it after this */
}

static const pgorm_op_vtbl batch_vtbl = {batch_result, batch_complete};

/* ---------------------------------------------------------------- */
/* Flush: the end of the loop turn                                   */

static void flush(pgorm_db *db, const pgorm_error *unused, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    (void)unused;
    (void)f1;
    (void)f2;
    lazy_batch *b = ud;
    pgorm_db_held_del(db, b->target, b);
    if (b->nkeys == 0) {
        pgorm_db_submit_done(db, &b->op, NULL); /* nothing to fetch */
        return;
    }
    pgorm_sqlb s;
    pgorm_sqlb_init(&s, &b->op.params, b->target, "pgorm_load");
    pgorm_sqlb_puts(&s, "SELECT ");
    pgorm_sqlb_columns(&s, b->target->ncolumns >= 64 ? UINT64_MAX
                                                      : (UINT64_C(1) << b->target->ncolumns) - 1);
    pgorm_sqlb_puts(&s, " FROM ");
    pgorm_sqlb_table(&s);
    pgorm_sqlb_puts(&s, " WHERE ");
    pgorm_sqlb_column(&s, (size_t)b->pk);
    pgorm_sqlb_puts(&s, " = ANY(");
    pgorm_sqlb_col_array(&s, &b->target->columns[b->pk], b->vals.data, NULL, b->nkeys,
                         sizeof(pgorm_value), b->target->columns[b->pk].name);
    pgorm_sqlb_puts(&s, ")");
    if (pgorm_sqlb_finish(&s, &b->op)) {
        pgorm_error e = {0};
        pgorm_error_set(&e, s.code, "%s", s.message);
        pgorm_sqlb_free(&s);
        pgorm_db_submit_done(db, &b->op, &e);
        pgorm_error_clear(&e);
        return;
    }
    pgorm_sqlb_free(&s);
    b->op.prepare = true;
    b->op.read_only = true;
    pgorm_db_submit(db, &b->op);
}

/* ---------------------------------------------------------------- */
/* Requests                                                          */

static void later_rows(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    (void)db;
    if (f1)
        ((pgorm_result_cb)f1)(NULL, err, f2, ud);
}

static lazy_batch *batch_new(const pgorm_model_desc *target)
{
    lazy_batch *b = pgorm_calloc(1, sizeof *b);
    if (!b)
        return NULL;
    pgorm_op_init(&b->op, &batch_vtbl);
    b->target = target;
    b->pk = target ? link_single_pk(target) : -1;
    b->intkey = b->pk >= 0 && is_int(target->columns[b->pk].type);
    pgorm_hmap_init(&b->keys, b->intkey ? PGORM_HMAP_U64 : PGORM_HMAP_BYTES_COPY);
    pgorm_arena_init(&b->reqs, 4096);
    return b;
}

/* Why the request cannot be made, or NULL. */
static const char *refusal(const pgorm_model_desc *m, size_t rel, const void *rows, size_t n,
                           char *buf, size_t size)
{
    if (!m || !m->columns || !m->name) {
        snprintf(buf, size, "pgorm_load: the model descriptor is missing or malformed");
        return buf;
    }
    if (rel >= m->nrels || !m->rels || m->rels[rel].kind != PGORM_REL_FORWARD) {
        snprintf(buf, size, "pgorm_load(%s): relation %zu is not a ForeignKey of %s", m->name,
                 rel, m->name);
        return buf;
    }
    const pgorm_rel_desc *r = &m->rels[rel];
    const pgorm_model_desc *t = r->target;
    int pk = t ? link_single_pk(t) : -1;
    if (!t || !t->table || !t->columns || t->ncolumns == 0 || t->ncolumns > 64 || pk < 0 ||
        r->fk_column >= m->ncolumns) {
        snprintf(buf, size,
                 "pgorm_load(%s.%s): the related model needs a one-column primary key "
                 "(malformed descriptor?)",
                 m->name, r->name);
        return buf;
    }
    pgorm_type ft = m->columns[r->fk_column].type, kt = t->columns[pk].type;
    if (ft != kt && !(is_int(ft) && is_int(kt))) {
        snprintf(buf, size, "pgorm_load(%s.%s): the foreign key %s is a %s, %s's key %s a %s",
                 m->name, r->name, m->columns[r->fk_column].name, pgorm_codec_name(ft), t->name,
                 t->columns[pk].name, pgorm_codec_name(kt));
        return buf;
    }
    if (n && !rows) {
        snprintf(buf, size, "pgorm_load(%s.%s): %zu rows but the array is NULL", m->name,
                 r->name, n);
        return buf;
    }
    return NULL;
}

/* Add the request's keys to the batch. PGORM_OK, or the code of the
   failure with *why. */
static pgorm_errcode add_keys(lazy_batch *b, const pgorm_model_desc *m, lazy_req *r, char *why,
                              size_t whysz)
{
    const pgorm_column_desc *fk = &m->columns[r->rel->fk_column];
    pgorm_type kt = b->target->columns[b->pk].type;
    for (size_t i = 0; i < r->n; i++) {
        const char *row = r->rows + i * r->stride;
        if (*(void *const *)(const void *)(row + r->rel->ref_offset)) {
            r->slot[i] = SLOT_KEEP;
            continue;
        }
        if (pgorm_codec_is_null(fk, row)) {
            r->slot[i] = SLOT_NULL;
            continue;
        }
        pgorm_value v;
        if (!key_value(fk, row, kt, &v)) {
            snprintf(why, whysz, "pgorm_load(%s.%s): row %zu: %s does not fit %s's key",
                     m->name, r->rel->name, i, fk->name, b->target->name);
            return PGORM_ERR_INVALID;
        }
        bool oom = false;
        if (!canonical(b, &v)) {
            oom = b->scratch.oom;
            if (!oom) {
                snprintf(why, whysz, "pgorm_load(%s.%s): row %zu: %s cannot be sent", m->name,
                         r->rel->name, i, fk->name);
                return PGORM_ERR_INVALID;
            }
        }
        bool added = false;
        void **slot =
            oom ? NULL : key_slot(b, &added);
        if (slot && added) {
            pgorm_buf_append(&b->vals, &v, sizeof v);
            if (b->vals.oom) {
                key_del(b);
                b->vals.oom = false; /* what it holds is intact */
                slot = NULL;
            } else {
                *slot = (void *)(uintptr_t)++b->nkeys;
            }
        }
        if (!slot) {
            snprintf(why, whysz, "pgorm_load(%s.%s): out of memory", m->name, r->rel->name);
            return PGORM_ERR_NOMEM;
        }
        r->slot[i] = (size_t)(uintptr_t)*slot - 1;
    }
    return PGORM_OK;
}

/* A new request in b's arena (freed with b), its n slots too; NULL on OOM. */
static lazy_req *req_new(lazy_batch *b, size_t n)
{
    lazy_req *r = pgorm_arena_calloc(&b->reqs, 1, sizeof *r);
    if (!r)
        return NULL;
    r->slot = n > 1 ? pgorm_arena_calloc(&b->reqs, n, sizeof *r->slot) : &r->one;
    return r->slot ? r : NULL;
}

void pgorm_load(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *rows, size_t n,
                pgorm_result_cb cb, pgorm_fn fn, void *ud)
{
    if (!db) {
        pgorm_db_fail_later(NULL, PGORM_ERR_INVALID, "pgorm_load: the database handle is NULL",
                            later_rows, (pgorm_fn)cb, fn, ud);
        return;
    }
    char why[320];
    const char *refused = refusal(m, rel, rows, n, why, sizeof why);
    const pgorm_model_desc *target = refused ? NULL : m->rels[rel].target;

    /* the turn's batch for this model, or a new one */
    lazy_batch *b = refused ? NULL : pgorm_db_held_get(db, target);
    bool fresh = !b;
    if (fresh && !(b = batch_new(target))) {
        pgorm_db_fail_later(db, PGORM_ERR_NOMEM, NULL, later_rows, (pgorm_fn)cb, fn, ud);
        return;
    }
    lazy_req *r = req_new(b, refused ? 1 : n);
    if (!r) {
        if (fresh)
            batch_free(b);
        pgorm_db_fail_later(db, PGORM_ERR_NOMEM, NULL, later_rows, (pgorm_fn)cb, fn, ud);
        return;
    }
    r->rel = refused ? NULL : &m->rels[rel];
    r->rows = rows;
    r->n = refused ? 0 : n;
    r->stride = m && !refused ? m->struct_size : 0;
    r->cb = cb;
    r->fn = fn;
    r->ud = ud;

    pgorm_errcode code = PGORM_ERR_INVALID;
    if (!refused && (code = add_keys(b, m, r, why, sizeof why)) != PGORM_OK)
        refused = why;
    if (refused) {
        /* alone in a batch of its own that sends nothing (a request made
           in a batch that goes on is copied out of it: it is not linked
           there, and its bytes go with that batch) */
        lazy_batch *alone = fresh ? b : batch_new(NULL);
        lazy_req *mine = fresh ? r : alone ? req_new(alone, 1) : NULL;
        if (!mine) {
            if (alone && !fresh)
                batch_free(alone);
            if (fresh)
                batch_free(b);
            pgorm_db_fail_later(db, PGORM_ERR_NOMEM, NULL, later_rows, (pgorm_fn)cb, fn, ud);
            return;
        }
        mine->rel = r->rel;
        mine->cb = cb;
        mine->fn = fn;
        mine->ud = ud;
        mine->n = 0;
        alone->head = alone->tail = mine;
        pgorm_error e = {0};
        pgorm_error_set(&e, code, "%s", refused);
        pgorm_db_submit_done(db, &alone->op, &e);
        pgorm_error_clear(&e);
        return;
    }
    if (b->tail)
        b->tail->next = r;
    else
        b->head = r;
    b->tail = r;
    b->nreqs++;
    if (fresh) {
        /* not held (out of memory): it still goes, just not merged */
        (void)pgorm_db_held_put(db, target, b);
        pgorm_db_fail_later(db, PGORM_OK, NULL, flush, NULL, NULL, b);
    }
}
