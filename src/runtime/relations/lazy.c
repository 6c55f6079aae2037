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
 * own rows, each row's ref pointing into it. So a loop that lazy-loads the
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
    pgorm_buf scratch;
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
   and one the server sent compare equal) into b->scratch. */
static bool canonical(lazy_batch *b, const pgorm_value *v)
{
    char why[160];
    pgorm_buf_reset(&b->scratch);
    b->scratch.oom = false; /* a failure of an earlier key is not this one's */
    return pgorm_codec_encode(b->target->columns[b->pk].type, v, &b->scratch, why, sizeof why) >
               0 &&
           !b->scratch.oom;
}

/* ---------------------------------------------------------------- */
/* The operation                                                     */

static void batch_free(lazy_batch *b)
{
    lazy_req *r = b->head;
    while (r) {
        lazy_req *next = r->next;
        pgorm_result_free(r->res);
        pgorm_error_clear(&r->err);
        if (r->slot != &r->one)
            pgorm_free(r->slot);
        pgorm_free(r);
        r = next;
    }
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

/* Build one request's result from the server's rows: each distinct row
   once, in the order its rows name them. row_of[k]: server row of key k. */
static void req_decode(lazy_batch *b, lazy_req *r, const PGresult *pg, const size_t *row_of,
                       size_t *pos, size_t *seen, size_t serial)
{
    size_t count = 0;
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
    r->res = pgorm_result_new(b->target);
    if (r->res && count) {
        /* exactly `count` items, and a small first arena block: a turn may
           hold a thousand one-row requests */
        pgorm_arena_init(&r->res->arena, count < 16 ? 512 : count < 128 ? count * 32 : 4096);
        if ((r->res->items = pgorm_calloc(count, size)))
            r->res->count = r->res->cap = count;
    }
    if (!r->res || (count && !r->res->items)) {
        req_fail(r, PGORM_ERR_NOMEM, "out of memory for the loaded rows");
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        size_t k = r->slot[i];
        if (k >= b->nkeys)
            continue;
        r->slot[i] = pos[k];
        if (seen[k] != serial)
            continue; /* decoded for an earlier row of this request */
        seen[k] = serial + 1;
        pgorm_error err = {0};
        if (pgorm_decode_row(b->target, pg, (int)row_of[k], 0, r->res->items + pos[k] * size,
                             &r->res->arena, &err)) {
            pgorm_result_free(r->res);
            r->res = NULL;
            r->err = err;
            return;
        }
    }
}

static int batch_result(pgorm_op *o, const PGresult *pg, pgorm_error *err)
{
    lazy_batch *b = (lazy_batch *)o;
    int nrows = PQntuples(pg);
    if (pgorm_decode_check(b->target, pg, 0, err))
        return -1;
    size_t *tmp = pgorm_calloc(b->nkeys ? 3 * b->nkeys : 1, sizeof *tmp);
    pgorm_arena arena;
    pgorm_arena_init(&arena, 1024);
    if (!tmp) {
        pgorm_error_set(err, PGORM_ERR_NOMEM, "pgorm_load(%s): out of memory", b->target->name);
        return -1;
    }
    size_t *row_of = tmp, *pos = tmp + b->nkeys, *seen = tmp + 2 * b->nkeys;
    for (size_t k = 0; k < b->nkeys; k++)
        row_of[k] = SIZE_MAX;
    const pgorm_column_desc *kc = &b->target->columns[b->pk];
    int rc = 0;
    for (int i = 0; i < nrows && !rc; i++) {
        pgorm_value v;
        bool oom = false;
        char why[160];
        memset(&v, 0, sizeof v);
        if (PQgetisnull(pg, i, b->pk) ||
            pgorm_codec_decode(kc->type, PQftype(pg, b->pk), PQgetvalue(pg, i, b->pk),
                               (size_t)PQgetlength(pg, i, b->pk), &v, &arena, &oom, why,
                               sizeof why) ||
            !canonical(b, &v)) {
            pgorm_error_set(err, oom ? PGORM_ERR_NOMEM : PGORM_ERR_DECODE,
                            "pgorm_load(%s): decoding the key %s of a returned row",
                            b->target->name, kc->name);
            rc = -1;
            break;
        }
        void *idx = pgorm_hmap_get(&b->keys, b->scratch.data, b->scratch.len);
        if (idx)
            row_of[(uintptr_t)idx - 1] = (size_t)i;
    }
    size_t serial = 1;
    for (lazy_req *r = b->head; r && !rc; r = r->next, serial += 2)
        if (!r->decoded && r->err.code == PGORM_OK)
            req_decode(b, r, pg, row_of, pos, seen, serial);
    pgorm_arena_free(&arena);
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
    pgorm_sqlb_array(&s, b->target->columns[b->pk].type, b->vals.data, NULL, b->nkeys,
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
    pgorm_hmap_init(&b->keys, PGORM_HMAP_BYTES_COPY);
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
            oom ? NULL : pgorm_hmap_slot(&b->keys, b->scratch.data, b->scratch.len, &added);
        if (slot && added) {
            pgorm_buf_append(&b->vals, &v, sizeof v);
            if (b->vals.oom) {
                pgorm_hmap_del(&b->keys, b->scratch.data, b->scratch.len);
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
    lazy_req *r = pgorm_calloc(1, sizeof *r);
    if (r && n > 1 && !(r->slot = pgorm_calloc(n, sizeof *r->slot))) {
        pgorm_free(r);
        r = NULL;
    }
    if (!r) {
        pgorm_db_fail_later(db, PGORM_ERR_NOMEM, NULL, later_rows, (pgorm_fn)cb, fn, ud);
        return;
    }
    if (!r->slot)
        r->slot = &r->one;
    r->rel = refused ? NULL : &m->rels[rel];
    r->rows = rows;
    r->n = refused ? 0 : n;
    r->stride = m && !refused ? m->struct_size : 0;
    r->cb = cb;
    r->fn = fn;
    r->ud = ud;

    /* the turn's batch for this model, or a new one */
    lazy_batch *b = refused ? NULL : pgorm_db_held_get(db, target);
    bool fresh = !b;
    if (fresh && !(b = batch_new(target))) {
        if (r->slot != &r->one)
            pgorm_free(r->slot);
        pgorm_free(r);
        pgorm_db_fail_later(db, PGORM_ERR_NOMEM, NULL, later_rows, (pgorm_fn)cb, fn, ud);
        return;
    }
    pgorm_errcode code = PGORM_ERR_INVALID;
    if (!refused && (code = add_keys(b, m, r, why, sizeof why)) != PGORM_OK)
        refused = why;
    if (refused) {
        /* alone in a batch of its own that sends nothing */
        lazy_batch *alone = fresh ? b : batch_new(NULL);
        if (!alone) {
            if (r->slot != &r->one)
                pgorm_free(r->slot);
            pgorm_free(r);
            pgorm_db_fail_later(db, PGORM_ERR_NOMEM, NULL, later_rows, (pgorm_fn)cb, fn, ud);
            return;
        }
        r->n = 0;
        alone->head = alone->tail = r;
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
    if (fresh) {
        /* not held (out of memory): it still goes, just not merged */
        (void)pgorm_db_held_put(db, target, b);
        pgorm_db_fail_later(db, PGORM_OK, NULL, flush, NULL, NULL, b);
    }
}
