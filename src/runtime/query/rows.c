/* Raw SQL with rows: pgorm_query_sql, its _sync and streaming twins, and
 * the getters of pgorm_rows.
 *
 * Parameters are encoded binary by the codec, each with its type's OID.
 * The statement is read in single-row mode; each row is copied into the
 * rows' arena as one block (a cell per column, then the values, each with a
 * NUL after it so text can be handed out in place) and decoded only when a
 * getter asks, so a value never read costs a copy and nothing more.
 * Streaming cuts the rows into batches: a full batch is handed to the
 * callback from the result hook and a new arena starts, so memory is
 * bounded by a batch whatever the row count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/codec/codec.h"
#include "runtime/core/op.h"
#include "runtime/query/params.h"
#include "util/arena.h"

typedef struct rcell {
    const char *v; /* NUL-terminated copy of the value's bytes; NULL for SQL NULL */
    int len;
} rcell;

struct pgorm_rows {
    pgorm_arena arena;
    int ncols;
    char **names; /* in the arena */
    Oid *oids;
    rcell **rows; /* pgorm_malloc'd: count rows of ncols cells */
    size_t count, cap;
    int64_t affected;
};

#define ROWS_DEFAULT_BATCH 1000

typedef struct rows_op {
    pgorm_op op;
    pgorm_rows *rows;
    pgorm_rows_cb cb;
    pgorm_rows_stream_cb scb; /* streaming when not NULL */
    size_t batch;
    void *ud;
    bool described; /* ncols, names and oids of the statement are known */
    /* the parameter arrays, one block */
    void *arrays;
} rows_op;

static pgorm_rows *rows_new(void)
{
    pgorm_rows *r = pgorm_calloc(1, sizeof *r);
    if (r)
        pgorm_arena_init(&r->arena, 16384);
    return r;
}

void pgorm_rows_free(pgorm_rows *r)
{
    if (!r)
        return;
    pgorm_arena_free(&r->arena);
    pgorm_free(r->rows);
    pgorm_free(r);
}

/* The columns of res, into r (names and OIDs in r's arena). */
static int describe(pgorm_rows *r, const PGresult *res, int ncols)
{
    r->ncols = ncols;
    if (ncols == 0)
        return 0;
    r->names = pgorm_arena_calloc(&r->arena, (size_t)ncols, sizeof *r->names);
    r->oids = pgorm_arena_calloc(&r->arena, (size_t)ncols, sizeof *r->oids);
    if (!r->names || !r->oids)
        return -1;
    for (int c = 0; c < ncols; c++) {
        const char *n = PQfname(res, c);
        r->names[c] = pgorm_arena_strndup(&r->arena, n ? n : "?", n ? strlen(n) : 1);
        if (!r->names[c])
            return -1;
        r->oids[c] = PQftype(res, c);
    }
    return 0;
}

/* The same columns in a new batch (copied from the one before). */
static int describe_like(pgorm_rows *r, const pgorm_rows *from)
{
    r->ncols = from->ncols;
    if (!from->ncols)
        return 0;
    r->names = pgorm_arena_calloc(&r->arena, (size_t)r->ncols, sizeof *r->names);
    r->oids = pgorm_arena_calloc(&r->arena, (size_t)r->ncols, sizeof *r->oids);
    if (!r->names || !r->oids)
        return -1;
    for (int c = 0; c < r->ncols; c++) {
        r->names[c] = pgorm_arena_strndup(&r->arena, from->names[c], strlen(from->names[c]));
        if (!r->names[c])
            return -1;
        r->oids[c] = from->oids[c];
    }
    return 0;
}

static int add_row(pgorm_rows *r, const PGresult *res, int i)
{
    size_t bytes = (size_t)r->ncols * sizeof(rcell);
    for (int c = 0; c < r->ncols; c++)
        if (!PQgetisnull(res, i, c))
            bytes += (size_t)PQgetlength(res, i, c) + 1;
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        rcell **rows = pgorm_realloc(r->rows, cap * sizeof *rows);
        if (!rows)
            return -1;
        r->rows = rows;
        r->cap = cap;
    }
    rcell *cells = pgorm_arena_alloc(&r->arena, bytes);
    if (!cells)
        return -1;
    char *p = (char *)(cells + r->ncols);
    for (int c = 0; c < r->ncols; c++) {
        if (PQgetisnull(res, i, c)) {
            cells[c] = (rcell){NULL, 0};
            continue;
        }
        int len = PQgetlength(res, i, c);
        memcpy(p, PQgetvalue(res, i, c), (size_t)len);
        p[len] = '\0';
        cells[c] = (rcell){p, len};
        p += len + 1;
    }
    r->rows[r->count++] = cells;
    return 0;
}

static int rows_result(pgorm_op *o, const PGresult *res, pgorm_error *err)
{
    rows_op *op = (rows_op *)o;
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK) {
        const char *n = PQcmdTuples((PGresult *)res);
        op->rows->affected = n && *n ? strtoll(n, NULL, 10) : 0;
        return 0;
    }
    int nf = PQnfields(res);
    if (!op->described) {
        if (describe(op->rows, res, nf))
            goto oom;
        op->described = true;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        if (add_row(op->rows, res, i))
            goto oom;
        if (op->scb && op->rows->count >= op->batch) {
            pgorm_rows *full = op->rows;
            pgorm_rows *next = rows_new();
            if (!next || describe_like(next, full)) {
                pgorm_rows_free(next);
                goto oom;
            }
            op->rows = next;
            full->affected = (int64_t)full->count;
            op->scb(full, false, NULL, op->ud);
        }
    }
    if (st == PGRES_TUPLES_OK && !op->scb)
        op->rows->affected = (int64_t)op->rows->count;
    return 0;
oom:
    pgorm_error_set(err, PGORM_ERR_NOMEM, "out of memory reading the rows of a raw statement "
                                          "(pgorm_query_sql)");
    return -1;
}

static void rows_complete(pgorm_op *o, const pgorm_error *err)
{
    rows_op *op = (rows_op *)o;
    pgorm_rows *rows = op->rows;
    op->rows = NULL;
    if (err) {
        pgorm_rows_free(rows);
        rows = NULL;
    } else if (op->scb) {
        rows->affected = (int64_t)rows->count;
    }
    pgorm_rows_cb cb = op->cb;
    pgorm_rows_stream_cb scb = op->scb;
    void *ud = op->ud;
    /* err may live in the op (the core's record of it): call back first */
    if (scb)
        scb(rows, true, err, ud);
    else if (cb)
        cb(rows, err, ud);
    else
        pgorm_rows_free(rows);
    pgorm_free(op->arrays);
    pgorm_op_release(&op->op);
    pgorm_free(op);
}

static const pgorm_op_vtbl rows_vtbl = {rows_result, rows_complete};

static void rows_later(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2, void *ud)
{
    (void)db;
    if (f1)
        ((pgorm_rows_cb)f1)(NULL, err, ud);
    else if (f2)
        ((pgorm_rows_stream_cb)f2)(NULL, true, err, ud);
}

int pgorm_params_encode(pgorm_op *o, void **arrays, const pgorm_param *params, int n,
                        const char *what, pgorm_error *err)
{
    pgorm_buf *vals = &o->params;
    size_t *offs = NULL;
    if (n == 0)
        return 0;
    size_t one = sizeof(Oid) + 2 * sizeof(int) + sizeof(char *) + sizeof(size_t);
    *arrays = pgorm_malloc((size_t)n * one);
    if (!*arrays)
        goto oom;
    const char **values = *arrays;
    Oid *types = (Oid *)(void *)(values + n);
    int *lengths = (int *)(void *)(types + n);
    int *formats = lengths + n;
    offs = pgorm_malloc((size_t)n * sizeof *offs);
    if (!offs)
        goto oom;
    for (int i = 0; i < n; i++) {
        const pgorm_param *p = &params[i];
        if (!pgorm_codec_known(p->type)) {
            pgorm_error_set(err, PGORM_ERR_INVALID,
                            "%s: parameter $%d has no known type (%d): build it with a "
                            "pgorm_p_* helper, e.g. pgorm_p_int8(42) or pgorm_p_null(PGORM_TEXT)",
                            what, i + 1, (int)p->type);
            goto fail;
        }
        /* citext: left to the server, which takes it from the sql (email =
           $1 is citext's '=', without case); its binary form is text's */
        types[i] = p->type == PGORM_CITEXT ? 0 : pgorm_codec_oid(p->type);
        formats[i] = 1;
        offs[i] = vals->len;
        bool null = p->null || (pgorm_codec_is_pointer(p->type) && !p->v.s) ||
                    (p->type == PGORM_BYTEA && !p->v.bytes.data);
        if (null) {
            lengths[i] = -1;
            continue;
        }
        char why[160] = "";
        int rc = pgorm_codec_encode(p->type, &p->v, vals, why, sizeof why);
        if (vals->oom)
            goto oom;
        if (rc < 0) {
            pgorm_error_set(err, PGORM_ERR_INVALID, "%s: parameter $%d (%s) cannot be sent: %s",
                            what, i + 1, pgorm_codec_name(p->type), why);
            goto fail;
        }
        lengths[i] = (int)(vals->len - offs[i]);
    }
    for (int i = 0; i < n; i++) {
        values[i] = lengths[i] < 0 ? NULL : vals->data + offs[i];
        if (lengths[i] < 0)
            lengths[i] = 0;
    }
    pgorm_free(offs);
    o->nparams = n;
    o->param_types = types;
    o->param_values = values;
    o->param_lengths = lengths;
    o->param_formats = formats;
    return 0;
oom:
    pgorm_error_set(err, PGORM_ERR_NOMEM, "%s: out of memory encoding the parameters", what);
fail:
    pgorm_free(offs);
    return -1;
}

static void start(pgorm_db *db, const char *sql, const pgorm_param *params, int nparams,
                  size_t batch, pgorm_rows_cb cb, pgorm_rows_stream_cb scb, void *ud)
{
    const char *what = scb ? "pgorm_query_sql_stream" : "pgorm_query_sql";
    const char *bad = NULL; /* static text: pgorm_db_fail_later keeps the pointer */
    if (!db)
        bad = "pgorm_query_sql: the database handle is NULL";
    else if (!sql)
        bad = "pgorm_query_sql: sql is NULL";
    else if (nparams < 0 || nparams > 65535 || (nparams > 0 && !params))
        bad = "pgorm_query_sql: nparams must be 0..65535, with params non-NULL when nparams > 0";
    else if (pgorm_sql_is_tx_control(sql))
        bad = "pgorm_query_sql: transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT...) is "
              "refused: on a pool it would take in other operations. Use pgorm_begin and "
              "pgorm_commit / pgorm_rollback (or pgorm_transaction)";
    rows_op *op = bad ? NULL : pgorm_calloc(1, sizeof *op);
    if (op) {
        op->rows = rows_new();
        if (op->rows) {
            pgorm_op_init(&op->op, &rows_vtbl);
            op->op.sql = pgorm_strdup(sql);
        }
        if (!op->rows || !op->op.sql) {
            pgorm_rows_free(op->rows);
            pgorm_free(op->op.sql);
            pgorm_free(op);
            op = NULL;
        }
    }
    if (!op) {
        pgorm_db_fail_later(db, bad ? PGORM_ERR_INVALID : PGORM_ERR_NOMEM,
                            bad ? bad : "pgorm_query_sql: out of memory queuing the statement",
                            rows_later, (pgorm_fn)cb, (pgorm_fn)scb, ud);
        return;
    }
    op->cb = cb;
    op->scb = scb;
    op->batch = batch ? batch : ROWS_DEFAULT_BATCH;
    op->ud = ud;
    op->op.result_format = 1;
    op->op.single_row = true;
    op->op.prepare = true;
    pgorm_error err = {0};
    if (pgorm_params_encode(&op->op, &op->arrays, params, nparams, what, &err)) {
        pgorm_db_submit_done(db, &op->op, &err);
        pgorm_error_clear(&err);
        return;
    }
    pgorm_db_submit(db, &op->op);
}

void pgorm_query_sql(pgorm_db *db, const char *sql, const pgorm_param *params, int nparams,
                     pgorm_rows_cb cb, void *ud)
{
    start(db, sql, params, nparams, 0, cb, NULL, ud);
}

void pgorm_query_sql_stream(pgorm_db *db, const char *sql, const pgorm_param *params,
                            int nparams, size_t batch, pgorm_rows_stream_cb cb, void *ud)
{
    if (!cb) {
        /* nothing could own the batches: run it for its effects */
        start(db, sql, params, nparams, 0, NULL, NULL, ud);
        return;
    }
    start(db, sql, params, nparams, batch, NULL, cb, ud);
}

typedef struct rows_sync {
    bool done;
    pgorm_rows *rows;
    pgorm_error *err;
    int rc;
} rows_sync;

static void rows_sync_cb(pgorm_rows *rows, const pgorm_error *err, void *ud)
{
    rows_sync *s = ud;
    s->rows = rows;
    if (err) {
        s->rc = -1;
        if (s->err)
            pgorm_error_copy(s->err, err);
    }
    s->done = true;
}

int pgorm_query_sql_sync(pgorm_db *db, const char *sql, const pgorm_param *params, int nparams,
                         pgorm_rows **rows, pgorm_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (rows)
        *rows = NULL;
    if (!db) {
        pgorm_error_set(err, PGORM_ERR_INVALID, "pgorm_query_sql_sync: db is NULL");
        return -1;
    }
    rows_sync s = {false, NULL, err, 0};
    pgorm_query_sql(db, sql, params, nparams, rows_sync_cb, &s);
    pgorm_db_drive_until(db, &s.done, -1);
    if (!s.done)
        return -1;
    if (rows)
        *rows = s.rows;
    else
        pgorm_rows_free(s.rows);
    return s.rc;
}

/* ---------------------------------------------------------------- */
/* Reading                                                           */

size_t pgorm_rows_count(const pgorm_rows *r)
{
    return r ? r->count : 0;
}

int pgorm_rows_ncolumns(const pgorm_rows *r)
{
    return r ? r->ncols : 0;
}

const char *pgorm_rows_column_name(const pgorm_rows *r, int col)
{
    return r && col >= 0 && col < r->ncols ? r->names[col] : NULL;
}

unsigned pgorm_rows_column_oid(const pgorm_rows *r, int col)
{
    return r && col >= 0 && col < r->ncols ? (unsigned)r->oids[col] : 0;
}

int pgorm_rows_column(const pgorm_rows *r, const char *name)
{
    if (!r || !name)
        return -1;
    for (int c = 0; c < r->ncols; c++)
        if (strcmp(r->names[c], name) == 0)
            return c;
    return -1;
}

int64_t pgorm_rows_affected(const pgorm_rows *r)
{
    return r ? r->affected : 0;
}

bool pgorm_row_is_null(const pgorm_rows *r, size_t row, const char *col)
{
    int c = pgorm_rows_column(r, col);
    return c >= 0 && row < r->count && !r->rows[row][c].v;
}

/* The pgorm_type whose values a column of type oid is, or 0. */
static pgorm_type type_of_oid(Oid oid)
{
    for (int t = PGORM_BOOL; t <= PGORM_JSON; t++)
        if (t != PGORM_ENUM && pgorm_codec_oid((pgorm_type)t) == oid)
            return (pgorm_type)t;
    if (oid == PGORM_OID_VARCHAR || oid == PGORM_OID_BPCHAR || oid == PGORM_OID_NAME)
        return PGORM_TEXT;
    if (oid == PGORM_OID_JSON)
        return PGORM_JSONB;
    return (pgorm_type)0;
}

/* ", " separated column names into buf. */
static void list_columns(const pgorm_rows *r, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int c = 0; c < r->ncols && n + 1 < size; c++) {
        int w = snprintf(buf + n, size - n, "%s%s", c ? ", " : "", r->names[c]);
        if (w < 0 || (size_t)w >= size - n) {
            snprintf(buf + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size, "...");
            return;
        }
        n += (size_t)w;
    }
    if (r->ncols == 0)
        snprintf(buf, size, "none: the statement returned no columns");
}

static int get_cell(pgorm_rows *r, size_t row, int c, const char *label, pgorm_type t, void *out,
                    pgorm_error *err)
{
    if (!out || !pgorm_codec_known(t)) {
        pgorm_error_set(err, PGORM_ERR_INVALID, "pgorm_row_get: column %s: %s", label,
                        !out ? "out is NULL" : "unknown pgorm_type");
        return -1;
    }
    if (row >= r->count) {
        pgorm_error_set(err, PGORM_ERR_INVALID,
                        "pgorm_row_get: row %zu is out of range (the result has %zu rows)", row,
                        r->count);
        return -1;
    }
    Oid oid = r->oids[c];
    if (!pgorm_codec_accepts(t, oid)) {
        pgorm_type has = type_of_oid(oid);
        if (has)
            pgorm_error_set(err, PGORM_ERR_INVALID,
                            "pgorm_row_get: column %s is %s, which cannot be read as %s: read "
                            "it with pgorm_row_%s (or cast it in the SQL)",
                            label, pgorm_codec_name(has), pgorm_codec_name(t),
                            pgorm_codec_name(has));
        else
            pgorm_error_set(err, PGORM_ERR_INVALID,
                            "pgorm_row_get: column %s has type OID %u, which pgorm does not "
                            "decode: cast it in the SQL (e.g. ::text)",
                            label, (unsigned)oid);
        return -1;
    }
    const rcell *cell = &r->rows[row][c];
    if (!cell->v) {
        pgorm_error_set(err, PGORM_ERR_NULL, "pgorm_row_get: column %s of row %zu is NULL",
                        label, row);
        return 1;
    }
    /* text-like values are handed out in place (NUL-terminated copies) */
    if (t == PGORM_TEXT) {
        *(const char **)out = cell->v;
        return 0;
    }
    if (t == PGORM_BYTEA) {
        *(pgorm_bytes *)out = (pgorm_bytes){(uint8_t *)(uintptr_t)cell->v, (size_t)cell->len};
        return 0;
    }
    char why[160] = "";
    bool oom = false;
    if (pgorm_codec_decode(t, oid, cell->v, (size_t)cell->len, out, &r->arena, &oom, why,
                           sizeof why)) {
        if (oom)
            pgorm_error_set(err, PGORM_ERR_NOMEM, "pgorm_row_get: out of memory (column %s)",
                            label);
        else
            pgorm_error_set(err, PGORM_ERR_DECODE, "pgorm_row_get: column %s of row %zu: %s",
                            label, row, why);
        return -1;
    }
    return 0;
}

int pgorm_row_get(pgorm_rows *r, size_t row, const char *col, pgorm_type t, void *out,
                  pgorm_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!r || !col) {
        pgorm_error_set(err, PGORM_ERR_INVALID, "pgorm_row_get: %s is NULL",
                        !r ? "rows" : "the column name");
        return -1;
    }
    int c = pgorm_rows_column(r, col);
    if (c < 0) {
        char cols[256];
        list_columns(r, cols, sizeof cols);
        pgorm_error_set(err, PGORM_ERR_INVALID,
                        "pgorm_row_get: no column \"%s\" in the result (its columns: %s)", col,
                        cols);
        return -1;
    }
    char label[96];
    snprintf(label, sizeof label, "\"%s\"", col);
    return get_cell(r, row, c, label, t, out, err);
}

int pgorm_row_get_at(pgorm_rows *r, size_t row, int col, pgorm_type t, void *out,
                     pgorm_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!r) {
        pgorm_error_set(err, PGORM_ERR_INVALID, "pgorm_row_get_at: rows is NULL");
        return -1;
    }
    if (col < 0 || col >= r->ncols) {
        pgorm_error_set(err, PGORM_ERR_INVALID,
                        "pgorm_row_get_at: column %d is out of range (the result has %d "
                        "columns)",
                        col, r->ncols);
        return -1;
    }
    char label[96];
    snprintf(label, sizeof label, "%d (\"%s\")", col, r->names[col]);
    return get_cell(r, row, col, label, t, out, err);
}
