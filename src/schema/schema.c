/* The public face of src/schema: parse (lex, parse, validate), free,
 * look-ups, and the small helpers shared with codegen and migrate.
 *
 * Memory: every string and array of a pgorm_schema is its own
 * pgorm_malloc'd block, so introspection can build the same structure and
 * pgorm_schema_free() frees both.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "pgorm/schema.h"
#include "schema/schema_int.h"

/* Larger inputs are refused rather than risking int overflow in positions. */
#define MAX_SCHEMA_BYTES ((size_t)64 << 20)

static void free_field(pgorm_field *f)
{
    pgorm_free(f->name);
    pgorm_free(f->column);
    pgorm_free(f->def.text);
    pgorm_free(f->renamed_from);
    pgorm_free(f->target_model);
    pgorm_free(f->target_field);
    pgorm_free(f->enum_name);
    pgorm_free(f->through_model);
    pgorm_free(f->through_from);
    pgorm_free(f->through_to);
    pgorm_free(f->enum_schema);
}

static void free_block(pgorm_block *b)
{
    if (b->fields)
        for (size_t i = 0; i < b->nfields; i++)
            pgorm_free(b->fields[i]);
    pgorm_free(b->fields);
    pgorm_free(b->field_pos);
    pgorm_free(b->name);
    if (b->exprs)
        for (size_t i = 0; i < b->nfields; i++)
            pgorm_free(b->exprs[i]);
    pgorm_free(b->exprs);
    pgorm_free(b->desc);
    pgorm_free(b->where);
    pgorm_free(b->method);
}

void pgorm_schema_free(pgorm_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->models && i < s->nmodels; i++) {
        pgorm_model *m = &s->models[i];
        pgorm_free(m->name);
        pgorm_free(m->table);
        pgorm_free(m->renamed_from);
        for (size_t j = 0; m->fields && j < m->nfields; j++)
            free_field(&m->fields[j]);
        pgorm_free(m->fields);
        for (size_t j = 0; m->blocks && j < m->nblocks; j++)
            free_block(&m->blocks[j]);
        pgorm_free(m->blocks);
        for (size_t j = 0; m->checks && j < m->nchecks; j++) {
            pgorm_free(m->checks[j].name);
            pgorm_free(m->checks[j].expr);
            pgorm_free(m->checks[j].field);
        }
        pgorm_free(m->checks);
        pgorm_sx_free_fkeys(m);
        pgorm_free(m->schema);
    }
    pgorm_free(s->models);
    for (size_t i = 0; s->queries && i < s->nqueries; i++) {
        pgorm_named_query *q = &s->queries[i];
        pgorm_free(q->name);
        pgorm_free(q->sql);
        for (size_t j = 0; q->params && j < q->nparams; j++)
            pgorm_free(q->params[j].name);
        pgorm_free(q->params);
        for (size_t j = 0; q->columns && j < q->ncolumns; j++)
            pgorm_free(q->columns[j].name);
        pgorm_free(q->columns);
    }
    pgorm_free(s->queries);
    for (size_t i = 0; s->enums && i < s->nenums; i++) {
        pgorm_enum *e = &s->enums[i];
        pgorm_free(e->name);
        pgorm_free(e->type);
        for (size_t j = 0; e->values && j < e->nvalues; j++) {
            pgorm_free(e->values[j].name);
            pgorm_free(e->values[j].renamed_from);
        }
        pgorm_free(e->values);
        pgorm_free(e->schema);
    }
    pgorm_free(s->enums);
    pgorm_free(s->default_schema);
    pgorm_free(s->file);
    pgorm_free(s);
}

/* Hand the diagnostics to the caller; true when there were any. */
static bool deliver(pgorm_sx_diags *d, pgorm_diag *out, size_t max, size_t *nout)
{
    if (d->oom) {
        /* Whatever else was found, the run is incomplete: say only this. */
        d->n = 0;
        if (out && max > 0) {
            out[0].pos = (pgorm_pos){0, 0};
            snprintf(out[0].message, sizeof out[0].message, "out of memory");
        }
        if (nout)
            *nout = 1;
        return true;
    }
    size_t order[PGORM_SX_MAX_DIAGS];
    pgorm_sx_diags_order(d, order);
    for (size_t i = 0; out && i < d->n && i < max; i++)
        out[i] = d->items[order[i]];
    if (nout)
        *nout = d->n;
    return d->n > 0;
}

pgorm_schema *pgorm_schema_parse(const char *file, const char *text, size_t len, pgorm_diag *diags,
                                 size_t maxdiags, size_t *ndiags)
{
    if (ndiags)
        *ndiags = 0;
    if (!text)
        len = 0;
    pgorm_sx_ctx c;
    memset(&c, 0, sizeof c);
    pgorm_sx_toks toks;
    memset(&toks, 0, sizeof toks);

    c.s = pgorm_calloc(1, sizeof *c.s);
    if (!c.s || (file && !(c.s->file = pgorm_strdup(file)))) {
        c.d.oom = true;
    } else if (len > MAX_SCHEMA_BYTES) {
        pgorm_sx_diag(&c.d, (pgorm_pos){1, 1}, "the schema is larger than 64 MiB");
    } else {
        if (!pgorm_sx_lex(text, len, &toks, &c.d))
            c.d.oom = true;
        if (!c.d.oom)
            pgorm_sx_parse(&c, &toks);
        if (!c.d.oom)
            pgorm_sx_validate(&c);
        if (!c.d.oom)
            pgorm_sx_validate_queries(&c);
    }

    pgorm_sx_toks_free(&toks);
    for (size_t i = 0; c.s && c.aux && i < c.s->nmodels; i++)
        pgorm_free(c.aux[i].fields);
    pgorm_free(c.aux);
    pgorm_free(c.query_bad);
    bool failed = deliver(&c.d, diags, maxdiags, ndiags);
    pgorm_sx_diags_free(&c.d);
    if (failed) {
        pgorm_schema_free(c.s);
        return NULL;
    }
    return c.s;
}

pgorm_schema *pgorm_schema_parse_file(const char *path, pgorm_diag *diags, size_t maxdiags,
                                      size_t *ndiags)
{
    if (ndiags)
        *ndiags = 0;
    pgorm_buf b = PGORM_BUF_INIT;
    FILE *f = path ? fopen(path, "rb") : NULL;
    int e = path ? errno : EINVAL;
    if (f) {
        char chunk[8192];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= MAX_SCHEMA_BYTES)
            pgorm_buf_append(&b, chunk, n);
        e = ferror(f) ? (errno ? errno : EIO) : 0;
        fclose(f);
    }
    if (!f || e || b.oom) {
        if (ndiags)
            *ndiags = 1;
        if (diags && maxdiags > 0) {
            diags[0].pos = (pgorm_pos){0, 0};
            if (b.oom && !e) {
                snprintf(diags[0].message, sizeof diags[0].message, "out of memory");
            } else {
                char why[128] = "";
                if (strerror_r(e, why, sizeof why) != 0)
                    snprintf(why, sizeof why, "error %d", e);
                snprintf(diags[0].message, sizeof diags[0].message, "cannot read '%.300s': %s",
                         path ? path : "(null)", why);
            }
        }
        pgorm_buf_free(&b);
        return NULL;
    }
    pgorm_schema *s =
        pgorm_schema_parse(path, b.data ? b.data : "", b.len, diags, maxdiags, ndiags);
    pgorm_buf_free(&b);
    return s;
}

const pgorm_model *pgorm_schema_model(const pgorm_schema *s, const char *name)
{
    if (!s || !name)
        return NULL;
    for (size_t i = 0; i < s->nmodels; i++)
        if (s->models[i].name && strcmp(s->models[i].name, name) == 0)
            return &s->models[i];
    return NULL;
}

const pgorm_field *pgorm_model_field(const pgorm_model *m, const char *name)
{
    if (!m || !name)
        return NULL;
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].name && strcmp(m->fields[i].name, name) == 0)
            return &m->fields[i];
    return NULL;
}

const pgorm_enum *pgorm_schema_enum(const pgorm_schema *s, const char *name)
{
    if (!s || !name)
        return NULL;
    for (size_t i = 0; i < s->nenums; i++)
        if (s->enums[i].name && strcmp(s->enums[i].name, name) == 0)
            return &s->enums[i];
    return NULL;
}

const pgorm_enum *pgorm_field_enum(const pgorm_schema *s, const pgorm_field *f)
{
    if (!s || !f || f->kind == PGORM_FIELD_BACK_REFERENCE || f->type.scalar != PGORM_S_ENUM)
        return NULL;
    if (f->enum_index < s->nenums)
        return &s->enums[f->enum_index];
    return pgorm_schema_enum(s, f->enum_name);
}

const pgorm_field *pgorm_model_single_id(const pgorm_model *m)
{
    if (!m)
        return NULL;
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].is_id)
            return &m->fields[i];
    for (size_t i = 0; i < m->nblocks; i++) {
        const pgorm_block *b = &m->blocks[i];
        if (b->kind == PGORM_BLOCK_ID)
            return b->nfields == 1 ? pgorm_model_field(m, b->fields[0]) : NULL;
    }
    return NULL;
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_lower_or_digit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

char *pgorm_snake_case(const char *name)
{
    if (!name)
        return NULL;
    size_t n = strlen(name);
    if (n > (SIZE_MAX - 1) / 2)
        return NULL;
    char *out = pgorm_malloc(2 * n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (is_upper(ch)) {
            /* A word starts at an upper-case letter after a lower-case letter
               or digit ("FilmActor"), or at the last capital of an acronym
               that a lower-case letter follows ("HTTPRequest"). */
            bool boundary =
                i > 0 &&
                (is_lower_or_digit(name[i - 1]) ||
                 (is_upper(name[i - 1]) && i + 1 < n && name[i + 1] >= 'a' && name[i + 1] <= 'z'));
            if (boundary && o > 0 && out[o - 1] != '_')
                out[o++] = '_';
            ch = (char)(ch - 'A' + 'a');
        }
        out[o++] = ch;
    }
    out[o] = '\0';
    return out;
}

pgorm_coltype pgorm_coltype_plain(pgorm_coltype t)
{
    if (t.scalar == PGORM_S_SERIAL)
        t.scalar = PGORM_S_INT4;
    else if (t.scalar == PGORM_S_BIGSERIAL)
        t.scalar = PGORM_S_INT8;
    return t;
}

const char *pgorm_coltype_sql(pgorm_coltype t, char *buf, size_t bufsize)
{
    static const char *const names[] = {
        [PGORM_S_BOOL] = "bool",           [PGORM_S_INT2] = "int2",
        [PGORM_S_INT4] = "int4",           [PGORM_S_INT8] = "int8",
        [PGORM_S_SERIAL] = "serial",       [PGORM_S_BIGSERIAL] = "bigserial",
        [PGORM_S_FLOAT4] = "float4",       [PGORM_S_FLOAT8] = "float8",
        [PGORM_S_NUMERIC] = "numeric",     [PGORM_S_TEXT] = "text",
        [PGORM_S_VARCHAR] = "varchar",     [PGORM_S_BYTEA] = "bytea",
        [PGORM_S_UUID] = "uuid",           [PGORM_S_DATE] = "date",
        [PGORM_S_TIMESTAMP] = "timestamp", [PGORM_S_TIMESTAMPTZ] = "timestamptz",
        [PGORM_S_JSONB] = "jsonb",         [PGORM_S_ENUM] = "enum",
        [PGORM_S_TIME] = "time",           [PGORM_S_TIMETZ] = "timetz",
        [PGORM_S_INTERVAL] = "interval",   [PGORM_S_INET] = "inet",
        [PGORM_S_CIDR] = "cidr",           [PGORM_S_JSON] = "json",
        [PGORM_S_CHAR] = "bpchar",         [PGORM_S_CITEXT] = "citext",
    };
    if (!buf || bufsize == 0)
        return "";
    unsigned k = (unsigned)t.scalar;
    const char *name = k < sizeof names / sizeof names[0] && names[k] ? names[k] : "unknown";
    if (t.scalar == PGORM_S_NUMERIC && t.precision > 0)
        snprintf(buf, bufsize, "numeric(%d,%d)", t.precision, t.scale);
    else if (t.scalar == PGORM_S_VARCHAR && t.precision > 0)
        snprintf(buf, bufsize, "varchar(%d)", t.precision);
    else if (t.scalar == PGORM_S_CHAR && t.precision > 0)
        snprintf(buf, bufsize, "char(%d)", t.precision);
    else
        snprintf(buf, bufsize, "%s", name);
    if (t.array) {
        size_t n = strlen(buf);
        if (n + 2 < bufsize)
            memcpy(buf + n, "[]", 3);
    }
    return buf;
}
