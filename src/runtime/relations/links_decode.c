/* Decoding a fetch_links result (links.h): rows of the root model, the
 * ForeignKey rows joined to them (flat fields), and the BackReference rows
 * (binary arrays of records), all into the result's arena.
 *
 * Binary formats (PostgreSQL's array_send / record_send, big-endian):
 *   array:  int32 ndim, int32 has_nulls, oid element type,
 *           ndim x (int32 length, int32 lower bound),
 *           then per element: int32 length (-1: NULL), bytes
 *   record: int32 field count, then per field: oid, int32 length (-1:
 *           NULL), bytes
 * Every field carries its type OID: each is checked against the column
 * the model expects before its value is read.
 *
 * Identity map: a row of a node marked `shared` is looked up by model and
 * key before it is built; the same row met again (1000 books by 100
 * authors) is the same struct. A row met again through a path that links
 * more than the first (Store -> manager -> store) gets the missing links
 * filled in.
 */
#include <stdio.h>
#include <string.h>

#include "runtime/codec/codec.h"
#include "runtime/relations/links.h"
#include "runtime/core/op.h"

enum { OID_RECORD = 2249, OID_RECORD_ARRAY = 2287 };

static uint32_t get_u32(const char *p)
{
    return pgorm_get_u32((const unsigned char *)p);
}

void link_decoder_init(link_decoder *d, const link_plan *p, pgorm_result *res, const char *what)
{
    memset(d, 0, sizeof *d);
    d->plan = p;
    d->res = res;
    d->what = what;
    pgorm_hmap_init(&d->ids, PGORM_HMAP_BYTES_COPY);
}

void link_decoder_free(link_decoder *d)
{
    pgorm_hmap_free(&d->ids);
    for (size_t i = 0; i < d->nby_model; i++)
        pgorm_hmap_free(&d->by_model[i].ids);
    d->nby_model = 0;
    pgorm_buf_free(&d->key);
}

static int fail(link_decoder *d, pgorm_error *err, pgorm_errcode code, const link_node *n,
                size_t col, const char *why)
{
    const pgorm_model_desc *root = d->plan->root->m;
    if (n->rel)
        pgorm_error_set(err, code, "%s(%s): decoding %s.%s (fetched through %s): %s", d->what,
                        root->name, n->m->name,
                        col < n->m->ncolumns ? n->m->columns[col].name : "?", n->rel->name, why);
    else
        pgorm_error_set(err, code, "%s(%s): decoding %s.%s: %s", d->what, root->name,
                        n->m->name, col < n->m->ncolumns ? n->m->columns[col].name : "?", why);
    return -1;
}

static int nomem(link_decoder *d, pgorm_error *err, const link_node *n)
{
    pgorm_error_set(err, PGORM_ERR_NOMEM, "%s(%s): out of memory decoding %s rows", d->what,
                    d->plan->root->m->name, n->m->name);
    return -1;
}

/* The identity key of the row whose fields start at f: model, then the key
   column's bytes. NULL when the key is NULL (no row: a LEFT JOIN miss). */
static const char *row_key(link_decoder *d, const link_node *n, const link_field *f,
                           size_t *len)
{
    const link_field *k = &f[n->pkf];
    if (k->len < 0)
        return NULL;
    pgorm_buf_reset(&d->key);
    pgorm_buf_append(&d->key, &n->m, sizeof n->m);
    pgorm_buf_append(&d->key, k->v, (size_t)k->len);
    *len = d->key.len;
    return d->key.oom ? NULL : d->key.data;
}

/* The integer map of model m, or NULL (m has none and there is no room for
   another: its rows then go in the byte map, always, so a model's rows are
   in one map). */
static pgorm_hmap *model_map(link_decoder *d, const pgorm_model_desc *m)
{
    for (size_t i = 0; i < d->nby_model; i++)
        if (d->by_model[i].m == m)
            return &d->by_model[i].ids;
    size_t cap = sizeof d->by_model / sizeof d->by_model[0];
    if (d->nby_model == cap)
        return NULL;
    d->by_model[d->nby_model].m = m;
    pgorm_hmap_init(&d->by_model[d->nby_model].ids, PGORM_HMAP_U64);
    return &d->by_model[d->nby_model++].ids;
}

/* The identity map's slot for the row of node n whose fields start at f
   (*added: new, its value to set). NULL when the key is NULL (no row: a
   LEFT JOIN miss; *oom false) or out of memory (*oom true). A model's key
   column has one type, so its rows always take the same path. */
static void **ident_slot(link_decoder *d, const link_node *n, const link_field *f, bool *added,
                         bool *oom)
{
    *oom = false;
    const link_field *k = &f[n->pkf];
    if (k->len < 0)
        return NULL;
    pgorm_hmap *m = k->len == 8 || k->len == 4 ? model_map(d, n->m) : NULL;
    void **slot;
    if (m) {
        uint64_t v = get_u32(k->v);
        if (k->len == 8)
            v = v << 32 | get_u32(k->v + 4);
        slot = pgorm_hmap_slot_u64(m, v, added);
    } else {
        size_t klen = 0;
        const char *key = row_key(d, n, f, &klen);
        slot = key ? pgorm_hmap_slot(&d->ids, key, klen, added) : NULL;
    }
    *oom = !slot;
    return slot;
}

/* Undo the slot ident_slot just added (its row could not be built). */
static void ident_del(link_decoder *d, const link_node *n, const link_field *f)
{
    const link_field *k = &f[n->pkf];
    pgorm_hmap *m = k->len == 8 || k->len == 4 ? model_map(d, n->m) : NULL;
    if (m) {
        uint64_t v = get_u32(k->v);
        if (k->len == 8)
            v = v << 32 | get_u32(k->v + 4);
        pgorm_hmap_del_u64(m, v);
        return;
    }
    size_t klen = 0;
    const char *key = row_key(d, n, f, &klen);
    if (key)
        pgorm_hmap_del(&d->ids, key, klen);
}

static int decode_node(link_decoder *d, const link_node *n, const link_field *f, void *dst,
                       bool checked, pgorm_error *err);
static int fill_missing(link_decoder *d, const link_node *n, const link_field *f, void *dst,
                        bool checked, pgorm_error *err);

/* A ForeignKey child whose fields start at f: set the parent's ref. */
static int decode_forward(link_decoder *d, const link_node *k, const link_field *f,
                          char *parent, bool checked, pgorm_error *err)
{
    void **ref = (void **)(void *)(parent + k->rel->ref_offset);
    if (k->pkf < 0 || f[k->pkf].len < 0) {
        *ref = NULL; /* NULL foreign key (LEFT JOIN found nothing) */
        return 0;
    }
    bool added = false, oom = false;
    void **slot = ident_slot(d, k, f, &added, &oom);
    if (!slot)
        return nomem(d, err, k); /* the key is not NULL (checked above) */
    if (!added) {
        *ref = *slot;
        return fill_missing(d, k, f, *slot, checked, err);
    }
    void *row = pgorm_arena_calloc(&d->res->arena, 1, k->m->struct_size);
    if (!row) {
        ident_del(d, k, f);
        return nomem(d, err, k);
    }
    *slot = row; /* before its children: a cycle finds it */
    *ref = row;
    return decode_node(d, k, f, row, checked, err);
}

/* Split one binary record into the node's scratch fields. */
static int split_record(link_decoder *d, const link_node *k, const char *v, size_t len,
                        pgorm_error *err)
{
    if (len < 4 || get_u32(v) != k->span)
        return fail(d, err, PGORM_ERR_DECODE, k, 0,
                    "a record of the back reference does not have the fields expected");
    size_t at = 4;
    for (size_t i = 0; i < k->span; i++) {
        if (len - at < 8)
            return fail(d, err, PGORM_ERR_DECODE, k, 0, "a record ends early");
        link_field *fl = &k->scratch[i];
        fl->oid = get_u32(v + at);
        int32_t n = (int32_t)get_u32(v + at + 4);
        at += 8;
        if (n < -1 || (n > 0 && (size_t)n > len - at))
            return fail(d, err, PGORM_ERR_DECODE, k, 0, "a record's field overruns it");
        fl->len = n;
        fl->v = v + at;
        if (n > 0)
            at += (size_t)n;
    }
    if (at != len)
        return fail(d, err, PGORM_ERR_DECODE, k, 0, "a record has bytes after its fields");
    return 0;
}

/* A BackReference child: one array of records at field f. */
static int decode_back(link_decoder *d, const link_node *k, const link_field *f, char *parent,
                       pgorm_error *err)
{
    void **items = (void **)(void *)(parent + k->rel->ref_offset);
    size_t *count = (size_t *)(void *)(parent + k->rel->count_offset);
    bool *loaded = (bool *)(void *)(parent + k->rel->loaded_offset);
    if (f->oid != OID_RECORD_ARRAY)
        return fail(d, err, PGORM_ERR_DECODE, k, 0,
                    "the back reference's column is not an array of records");
    if (f->len < 12)
        return fail(d, err, PGORM_ERR_DECODE, k, 0, "a short array");
    const char *v = f->v;
    size_t len = (size_t)f->len;
    uint32_t ndim = get_u32(v);
    size_t n = 0, at = 12;
    if (ndim == 1) {
        if (len < 20 || get_u32(v + 8) != OID_RECORD)
            return fail(d, err, PGORM_ERR_DECODE, k, 0, "an array that is not of records");
        n = get_u32(v + 12);
        at = 20;
    } else if (ndim != 0) {
        return fail(d, err, PGORM_ERR_DECODE, k, 0, "an array of more than one dimension");
    }
    char *rows = NULL;
    if (n) {
        if (n > (len - at) / 4)
            return fail(d, err, PGORM_ERR_DECODE, k, 0, "an array longer than its bytes");
        rows = pgorm_arena_calloc(&d->res->arena, n, k->m->struct_size);
        if (!rows)
            return nomem(d, err, k);
    }
    for (size_t i = 0; i < n; i++) {
        if (len - at < 4)
            return fail(d, err, PGORM_ERR_DECODE, k, 0, "an array ends early");
        int32_t el = (int32_t)get_u32(v + at);
        at += 4;
        if (el < 0 || (size_t)el > len - at)
            return fail(d, err, PGORM_ERR_DECODE, k, 0, "a NULL or overlong array element");
        if (split_record(d, k, v + at, (size_t)el, err))
            return -1;
        at += (size_t)el;
        char *row = rows + i * k->m->struct_size;
        if (k->shared) { /* registered first: a cycle below finds it */
            bool added = false, oom = false;
            void **slot = ident_slot(d, k, k->scratch, &added, &oom);
            if (oom)
                return nomem(d, err, k);
            if (slot && added)
                *slot = row;
        }
        if (decode_node(d, k, k->scratch, row, false, err))
            return -1;
    }
    *items = rows;
    *count = n;
    *loaded = true;
    return 0;
}

static int bad_type(link_decoder *d, const link_node *n, size_t i, Oid oid, pgorm_error *err)
{
    char why[160];
    snprintf(why, sizeof why,
             "the server sent type OID %u, the model expects %s (is the database schema out of "
             "date with the model?)",
             (unsigned)oid, pgorm_codec_name(n->m->columns[i].type));
    return fail(d, err, PGORM_ERR_DECODE, n, i, why);
}

/* The types of a row's fields, once per statement: the node's columns,
   its ForeignKeys' inline, an array of records per back reference. */
static int check_types(link_decoder *d, const link_node *n, const link_field *f,
                       pgorm_error *err)
{
    size_t at = 0;
    for (size_t i = 0; i < n->m->ncolumns; i++) {
        if (!(n->cols & (UINT64_C(1) << i)))
            continue;
        if (!pgorm_codec_accepts_col(&n->m->columns[i], f[at].oid))
            return bad_type(d, n, i, f[at].oid, err);
        at++;
    }
    for (size_t i = 0; i < n->nkids; i++) {
        const link_node *k = &n->kids[i];
        if (k->rel->kind == PGORM_REL_FORWARD) {
            if (check_types(d, k, f + at, err))
                return -1;
            at += k->span;
        } else if (f[at++].oid != OID_RECORD_ARRAY) {
            return fail(d, err, PGORM_ERR_DECODE, k, 0,
                        "the back reference's column is not an array of records");
        }
    }
    return 0;
}

/* The node's columns into dst, then its children. `checked`: the fields'
   types were checked already (a result row's, not a record's). */
static int decode_node(link_decoder *d, const link_node *n, const link_field *f, void *dst,
                       bool checked, pgorm_error *err)
{
    const pgorm_model_desc *m = n->m;
    size_t at = 0; /* the field of column i: the columns read, in order */
    for (size_t i = 0; i < m->ncolumns; i++) {
        if (!(n->cols & (UINT64_C(1) << i)))
            continue;
        const pgorm_column_desc *c = &m->columns[i];
        const link_field *fl = &f[at++];
        char why[160];
        bool oom = false;
        if (!checked && !pgorm_codec_accepts_col(c, fl->oid))
            return bad_type(d, n, i, fl->oid, err);
        if (pgorm_codec_decode_column(c, fl->oid, 1, fl->v, fl->len, fl->len < 0, dst,
                                      &d->res->arena, &oom, why, sizeof why))
            return fail(d, err, oom ? PGORM_ERR_NOMEM : PGORM_ERR_DECODE, n, i, why);
    }
    for (size_t i = 0; i < n->nkids; i++) {
        const link_node *k = &n->kids[i];
        if (k->rel->kind == PGORM_REL_FORWARD) {
            if (decode_forward(d, k, f + at, dst, checked, err))
                return -1;
            at += k->span;
        } else {
            if (decode_back(d, k, f + at, dst, err))
                return -1;
            at++;
        }
    }
    return 0;
}

/* A row already built (met before): link what it lacks and this path has. */
static int fill_missing(link_decoder *d, const link_node *n, const link_field *f, void *dst,
                        bool checked, pgorm_error *err)
{
    char *row = dst;
    size_t at = n->ncols;
    for (size_t i = 0; i < n->nkids; i++) {
        const link_node *k = &n->kids[i];
        if (k->rel->kind == PGORM_REL_FORWARD) {
            void **ref = (void **)(void *)(row + k->rel->ref_offset);
            int rc = 0;
            if (!*ref)
                rc = decode_forward(d, k, f + at, row, checked, err);
            else if (k->pkf >= 0 && f[at + (size_t)k->pkf].len >= 0)
                rc = fill_missing(d, k, f + at, *ref, checked, err);
            if (rc)
                return -1;
            at += k->span;
        } else {
            if (!*(bool *)(void *)(row + k->rel->loaded_offset) &&
                decode_back(d, k, f + at, row, err))
                return -1;
            at++;
        }
    }
    return 0;
}

int link_decode_rows(link_decoder *d, const PGresult *res, pgorm_error *err)
{
    const link_node *root = d->plan->root;
    int nrows = PQntuples(res);
    if (nrows == 0)
        return 0;
    if ((size_t)PQnfields(res) != root->span) {
        pgorm_error_set(err, PGORM_ERR_DECODE,
                        "%s(%s): the result has %d columns, %zu expected", d->what,
                        root->m->name, PQnfields(res), root->span);
        return -1;
    }
    if (!d->checked) {
        /* every row of the statement has these types: look once */
        for (size_t c = 0; c < root->span; c++) {
            if (PQfformat(res, (int)c) != 1) {
                pgorm_error_set(err, PGORM_ERR_DECODE,
                                "%s(%s): result column %zu is not binary", d->what,
                                root->m->name, c);
                return -1;
            }
            root->scratch[c].oid = PQftype(res, (int)c);
        }
        if (check_types(d, root, root->scratch, err))
            return -1;
        d->checked = true;
    }
    size_t size = root->m->struct_size;
    char *items = pgorm_result_push(d->res, (size_t)nrows);
    if (!items)
        return nomem(d, err, root);
    for (int r = 0; r < nrows; r++) {
        for (size_t c = 0; c < root->span; c++) {
            link_field *fl = &root->scratch[c];
            fl->v = PQgetvalue(res, r, (int)c);
            fl->len = PQgetisnull(res, r, (int)c) ? -1 : PQgetlength(res, r, (int)c);
        }
        char *row = items + (size_t)r * size;
        if (root->shared) {
            bool added = false, oom = false;
            void **slot = ident_slot(d, root, root->scratch, &added, &oom);
            if (oom)
                return nomem(d, err, root);
            if (slot)
                *slot = row; /* the found row wins over one met before it */
        }
        if (decode_node(d, root, root->scratch, row, true, err))
            return -1;
    }
    return 0;
}
