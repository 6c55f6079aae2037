/* fetch_links finds and BackReference access (pgorm_find with
 * q->fetch_links, pgorm_backref, pgorm_backref_count).
 *
 * Both are one statement over the tree of links.h: a find is the tree
 * rooted at its model; a back reference of `row` is the tree rooted at the
 * related model, restricted to `fk = <row's key>` and then filtered,
 * ordered and paged by the caller's query like any find. The decoded rows
 * and everything they link to live in one result's arena.
 */
#include <string.h>

#include "runtime/codec/codec.h"
#include "runtime/query/crud.h"
#include "runtime/relations/links.h"

typedef struct links_op {
    pgorm_op op; /* first: the core sees only this */
    link_plan plan;
    link_decoder dec; /* its identity map lives as long as the statement */
    bool dec_ready;
    pgorm_result *res;
    const char *what;
    pgorm_result_cb cb;
    pgorm_fn fn;
    void *ud;
    /* pgorm_backref: the row whose BackReference receives the rows */
    char *fill_row;
    const pgorm_rel_desc *fill_rel;
    /* pgorm_find_stream: batches of at most `batch` rows go to scb */
    pgorm_stream_cb scb;
    size_t batch;
} links_op;

/* A full batch of a stream goes to its callback; the next rows go into a
   new result, with an identity map of their own (a batch holds no pointer
   into another, so each can be freed alone). */
static int cut_batch(links_op *op, pgorm_error *err)
{
    pgorm_result *next = pgorm_result_new(op->res->model);
    if (!next) {
        pgorm_error_set(err, PGORM_ERR_NOMEM, "%s: out of memory starting a batch", op->what);
        return -1;
    }
    pgorm_result *full = op->res;
    next->columns = full->columns; /* the same statement: the same columns */
    op->res = next;
    if (op->dec_ready)
        link_decoder_free(&op->dec);
    op->dec_ready = false;
    op->scb(full, false, NULL, op->fn, op->ud);
    return 0;
}

static int links_result(pgorm_op *o, const PGresult *pg, pgorm_error *err)
{
    links_op *op = (links_op *)o;
    int rc;
    if (op->plan.root->nkids == 0) {
        rc = pgorm_result_add_rows(op->res, pg, err); /* plain rows: the CRUD decoder */
    } else {
        if (!op->dec_ready) {
            link_decoder_init(&op->dec, &op->plan, op->res, op->what);
            op->dec_ready = true;
        }
        rc = link_decode_rows(&op->dec, pg, err);
    }
    /* single-row mode: one row at a time, so a batch is never overfull */
    if (rc == 0 && op->scb && pgorm_result_count(op->res) >= op->batch)
        rc = cut_batch(op, err);
    return rc;
}

static void links_complete(pgorm_op *o, const pgorm_error *err)
{
    links_op *op = (links_op *)o;
    pgorm_result *res = op->res;
    op->res = NULL;
    if (err) {
        pgorm_result_free(res);
        res = NULL;
    } else if (op->fill_row) {
        const pgorm_rel_desc *r = op->fill_rel;
        *(void **)(void *)(op->fill_row + r->ref_offset) = pgorm_result_items(res);
        *(size_t *)(void *)(op->fill_row + r->count_offset) = pgorm_result_count(res);
        *(bool *)(void *)(op->fill_row + r->loaded_offset) = true;
    }
    if (op->dec_ready)
        link_decoder_free(&op->dec);
    op->dec_ready = false;
    if (op->scb)
        op->scb(res, true, err, op->fn, op->ud);
    else if (op->cb)
        op->cb(res, err, op->fn, op->ud);
    else
        pgorm_result_free(res);
    link_plan_free(&op->plan);
    pgorm_op_release(&op->op);
    pgorm_free(op);
}

static const pgorm_op_vtbl links_vtbl = {links_result, links_complete};

static void later_rows(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    (void)db;
    if (f1)
        ((pgorm_result_cb)f1)(NULL, err, f2, ud);
}

static void later_stream(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2,
                         void *ud)
{
    (void)db;
    if (f1)
        ((pgorm_stream_cb)f1)(NULL, true, err, f2, ud);
}

static links_op *links_new_(pgorm_db *db, const pgorm_model_desc *root, const char *what,
                            pgorm_result_cb cb, pgorm_stream_cb scb, pgorm_fn fn, void *ud)
{
    links_op *op = db ? pgorm_calloc(1, sizeof *op) : NULL;
    if (op && !(op->res = pgorm_result_new(root))) {
        pgorm_free(op);
        op = NULL;
    }
    if (!op) {
        pgorm_db_fail_later(db, db ? PGORM_ERR_NOMEM : PGORM_ERR_INVALID,
                            db ? NULL : "pgorm: the database handle is NULL",
                            scb ? later_stream : later_rows, scb ? (pgorm_fn)scb : (pgorm_fn)cb,
                            fn, ud);
        return NULL;
    }
    pgorm_op_init(&op->op, &links_vtbl);
    op->what = what;
    op->cb = cb;
    op->scb = scb;
    op->fn = fn;
    op->ud = ud;
    return op;
}

static links_op *links_new(pgorm_db *db, const pgorm_model_desc *root, const char *what,
                           pgorm_result_cb cb, pgorm_fn fn, void *ud)
{
    return links_new_(db, root, what, cb, NULL, fn, ud);
}

/* Finish the statement (or deliver the builder's error) and submit. */
static void links_submit(pgorm_db *db, links_op *op, pgorm_sqlb *b)
{
    if (pgorm_sqlb_finish(b, &op->op)) {
        pgorm_error err = {0};
        pgorm_error_set(&err, b->code, "%s", b->message);
        pgorm_sqlb_free(b);
        pgorm_db_submit_done(db, &op->op, &err);
        pgorm_error_clear(&err);
        return;
    }
    pgorm_sqlb_free(b);
    if (op->plan.root)
        op->res->columns = op->plan.root->cols; /* read, and told to the caller */
    op->op.prepare = true;
    /* Row by row: libpq then never holds the whole result (whose heap glibc
       gives back to the OS after each PQclear, to fault it in again on the
       next query). Not when rows of the root may be pointed at (a cycle
       back to it): those pointers must not move as the items array grows. */
    op->op.single_row = !op->plan.root || !op->plan.root->shared;
    pgorm_db_submit(db, &op->op);
}

/* " ORDER BY ... LIMIT ... OFFSET ..." of q (checked). */
static void order_and_page(pgorm_sqlb *b, const pgorm_query *q, bool default_order)
{
    if (q->limit < 0 || q->offset < 0)
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "limit %lld and offset %lld must not be negative",
                        (long long)q->limit, (long long)q->offset);
    if (pgorm_sqlb_failed(b))
        return;
    pgorm_sqlb_order(b, q->order, PGORM_MAX_ORDER);
    int pk = link_single_pk(b->m);
    if (default_order && !q->order[0].column && pk >= 0) {
        pgorm_sqlb_puts(b, " ORDER BY ");
        pgorm_sqlb_column(b, (size_t)pk);
    }
    if (q->limit > 0) {
        pgorm_sqlb_puts(b, " LIMIT ");
        pgorm_sqlb_int8(b, q->limit);
    }
    if (q->offset > 0) {
        pgorm_sqlb_puts(b, " OFFSET ");
        pgorm_sqlb_int8(b, q->offset);
    }
}

/* The public find: the model's own columns (query/crud.c), or with
   fetch_links one statement with JOINs (below). It lives here so that the
   query layer never reaches up into relations. */
void pgorm_find(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                pgorm_result_cb cb, pgorm_fn fn, void *ud)
{
    if (q && q->fetch_links)
        pgorm_links_find(db, m, q, cb, fn, ud);
    else
        pgorm_find_plain(db, m, q, cb, fn, ud);
}

/* Called by pgorm_find when q->fetch_links is set. */
void pgorm_links_find(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                      pgorm_result_cb cb, pgorm_fn fn, void *ud)
{
    links_op *op = links_new(db, m, "pgorm_find", cb, fn, ud);
    if (!op)
        return;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_find");
    if (!link_plan_build(&op->plan, m, q, &b)) {
        link_sql_select(&b, &op->plan);
        pgorm_sqlb_where(&b, &q->where);
        order_and_page(&b, q, false);
    }
    links_submit(db, op, &b);
}

void pgorm_find_stream(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                       size_t batch, pgorm_stream_cb cb, pgorm_fn fn, void *ud)
{
    if (!cb) {
        /* nothing could own the batches */
        pgorm_db_fail_later(db, PGORM_ERR_INVALID, "pgorm_find_stream: the callback is NULL",
                            later_stream, NULL, fn, ud);
        return;
    }
    links_op *op = links_new_(db, m, "pgorm_find_stream", NULL, cb, fn, ud);
    if (!op)
        return;
    static const pgorm_query all = {0};
    if (!q)
        q = &all;
    op->batch = batch ? batch : 1000;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_find_stream");
    if (!link_plan_build(&op->plan, m, q, &b)) {
        if (op->plan.root->shared)
            pgorm_sqlb_fail(&b, PGORM_ERR_INVALID,
                            "the links lead back to %s (a cycle), whose rows must then stay in "
                            "one result: stream it without that path (.links) or with a "
                            "lower .depth, or use pgorm_find",
                            m->name);
        link_sql_select(&b, &op->plan);
        pgorm_sqlb_where(&b, &q->where);
        order_and_page(&b, q, false);
    }
    links_submit(db, op, &b);
}

/* ---------------------------------------------------------------- */
/* BackReference access                                              */

/* The BackReference `rel` of b->m, checked (the model, the key of `row`),
   or NULL with b failed. */
static const pgorm_rel_desc *back_rel(pgorm_sqlb *b, size_t rel, const void *row)
{
    const pgorm_model_desc *m = b->m;
    if (pgorm_sqlb_failed(b))
        return NULL;
    if (rel >= m->nrels || !m->rels || m->rels[rel].kind != PGORM_REL_BACK) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "relation %zu is not a BackReference of %s", rel,
                        m->name);
        return NULL;
    }
    const pgorm_rel_desc *r = &m->rels[rel];
    const pgorm_model_desc *t = r->target;
    int pk = link_single_pk(m);
    if (!t || !t->table || !t->columns || t->ncolumns == 0 || t->ncolumns > 64 ||
        r->fk_column >= t->ncolumns || pk < 0) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "relation %s: %s needs a one-column key and %s a foreign key column "
                        "(malformed descriptor?)",
                        r->name ? r->name : "?", m->name, t && t->name ? t->name : "the target");
        return NULL;
    }
    if (!row) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s: the row is NULL", r->name);
        return NULL;
    }
    if (pgorm_codec_is_null(&m->columns[pk], row)) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s: the row's key %s is not set", r->name,
                        m->columns[pk].name);
        return NULL;
    }
    return r;
}

/* " WHERE <fk> = $k" with row's key (m's), written while b->m is the
   related model (r->target). */
static void back_cond(pgorm_sqlb *b, const pgorm_model_desc *m, const pgorm_rel_desc *r,
                      const void *row)
{
    const pgorm_column_desc *key = &m->columns[link_single_pk(m)];
    pgorm_sqlb_puts(b, " WHERE ");
    pgorm_sqlb_column(b, r->fk_column);
    pgorm_sqlb_puts(b, " = ");
    pgorm_sqlb_col_value(b, key, (const char *)row + key->offset, key->name);
}

static void and_where(pgorm_sqlb *b, const pgorm_pred *where)
{
    if (!where || where->kind == PGORM_PRED_NONE)
        return;
    pgorm_sqlb_puts(b, " AND (");
    pgorm_sqlb_pred(b, where);
    pgorm_sqlb_puts(b, ")");
}

/* The rows of a BackReference or (many) a ManyToMany of `row`: one
   statement, filled into the row's list member too. */
static void related_rows(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *row,
                         const pgorm_query *q, pgorm_result_cb cb, pgorm_fn fn, void *ud,
                         bool many)
{
    const char *what = many ? "pgorm_many" : "pgorm_backref";
    const pgorm_model_desc *t = m && rel < m->nrels && m->rels ? m->rels[rel].target : NULL;
    links_op *op = links_new(db, t ? t : m, what, cb, fn, ud);
    if (!op)
        return;
    static const pgorm_query all = {0};
    if (!q)
        q = &all;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, what);
    const pgorm_rel_desc *r = many ? link_many_rel(&b, rel, row) : back_rel(&b, rel, row);
    if (r) {
        b.m = r->target; /* the statement is about the related rows */
        if (!link_plan_build(&op->plan, r->target, q, &b)) {
            link_sql_select(&b, &op->plan);
            if (many) {
                link_many_join(&b, r, 0, r->target, 0);
                link_many_cond(&b, m, r, row);
            } else {
                back_cond(&b, m, r, row);
            }
            and_where(&b, &q->where);
            order_and_page(&b, q, true);
            op->fill_row = row;
            op->fill_rel = r;
        }
    }
    links_submit(db, op, &b);
}

void pgorm_backref(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *row,
                   const pgorm_query *q, pgorm_result_cb cb, pgorm_fn fn, void *ud)
{
    related_rows(db, m, rel, row, q, cb, fn, ud, false);
}

void pgorm_many(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *row,
                const pgorm_query *q, pgorm_result_cb cb, pgorm_fn fn, void *ud)
{
    related_rows(db, m, rel, row, q, cb, fn, ud, true);
}

void pgorm_backref_count(pgorm_db *db, const pgorm_model_desc *m, size_t rel, const void *row,
                         const pgorm_pred *where, pgorm_count_cb cb, void *ud)
{
    crud_op *op = pgorm_crud_new(db, CRUD_COUNT, m, NULL, cb, NULL, ud);
    if (!op)
        return;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_backref_count");
    const pgorm_rel_desc *r = back_rel(&b, rel, row);
    if (r) {
        b.m = r->target;
        pgorm_sqlb_puts(&b, "SELECT count(*) FROM ");
        pgorm_sqlb_table(&b);
        back_cond(&b, m, r, row);
        and_where(&b, where);
    }
    pgorm_crud_submit(db, op, &b);
}
