/* The generated code of named queries: per `query` block, the row struct,
 * its Rows and callback types, a descriptor of the result columns, the SQL,
 * and the typed call with its _sync twin over pgorm_query_rows.
 */
#include "codegen/emit_query.h"

#include <string.h>

#include "codegen/gen.h"

/* "min_pages int4, name text": the parameters as the schema declares them. */
static const char *declared_params(cg_out *o, const cg_query *cq)
{
    pgorm_buf b = PGORM_BUF_INIT;
    for (size_t i = 0; i < cq->nparams; i++) {
        char t[64];
        pgorm_buf_printf(&b, "%s%s %s", i ? ", " : "", cq->params[i].p->name,
                         pgorm_coltype_sql(cq->params[i].p->type, t, sizeof t));
    }
    return b.len ? cg_take(o, &b) : (pgorm_buf_free(&b), "");
}

static void signature(cg_out *o, const cg_query *cq, bool sync, const char *tail)
{
    cg_list l = {0};
    cg_list_add(o, &l, "pgorm_db *db");
    for (size_t i = 0; i < cq->nparams; i++)
        cg_list_add(o, &l, "%s", cg_decl(o, cq->params[i].ct->param, cq->params[i].name));
    if (sync) {
        cg_list_add(o, &l, "%s **out", cq->rows);
        cg_list_add(o, &l, "pgorm_error *err");
    } else {
        cg_list_add(o, &l, "%s cb", cq->rows_cb);
        cg_list_add(o, &l, "void *ud");
    }
    cg_wrap(o, cg_sfmt(o, "%s %s(", sync ? "int" : "void", sync ? cq->fn_sync : cq->fn), &l, ",",
            cg_sfmt(o, ")%s", tail));
}

static void free_signature(cg_out *o, const cg_query *cq, const char *tail)
{
    cg_printf(o, "void %s(%s *rows)%s", cq->rows_free, cq->rows, tail);
}

static void emit_struct(cg_out *o, const cg_query *cq)
{
    size_t n = 0, col = 0;
    const char **decl = pgorm_arena_calloc(o->arena, 2 * cq->ncols + 1, sizeof *decl);
    const char **what = pgorm_arena_calloc(o->arena, 2 * cq->ncols + 1, sizeof *what);
    if (!decl || !what) {
        o->b.oom = true;
        return;
    }
    for (size_t i = 0; i < cq->ncols; i++) {
        const cg_qcol *c = &cq->cols[i];
        decl[n] = cg_decl(o, c->ct->c, c->member);
        what[n++] = cg_comment_safe(c->col->name)
                        ? cg_sfmt(o, "%s %s%s", c->col->name, c->sql_type,
                                  c->col->nullable ? "?" : "")
                        : cg_sfmt(o, "%s%s", c->sql_type, c->col->nullable ? "?" : "");
        if (c->has) {
            decl[n] = cg_sfmt(o, "bool %s", c->has);
            what[n++] = "false: NULL";
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t end = 4 + strlen(decl[i]) + 2;
        if (end > col && end <= 40)
            col = end;
    }
    cg_printf(o, "typedef struct %s {\n", cq->row);
    for (size_t i = 0; i < n; i++) {
        size_t end = 4 + strlen(decl[i]) + 1;
        size_t pad = end < col ? col - end : 1;
        if (end + pad + strlen(what[i]) + 6 <= CG_WIDTH)
            cg_printf(o, "    %s;%*s/* %s */\n", decl[i], (int)pad, "", what[i]);
        else
            cg_printf(o, "    /* %s */\n    %s;\n", what[i], decl[i]);
    }
    cg_printf(o, "} %s;\n", cq->row);
}

static void emit_decls(cg_out *o, const cg_query *cq)
{
    const pgorm_named_query *q = cq->q;
    cg_printf(o, "\n/* ------------------------------------------------------------------ */\n");
    const char *params = declared_params(o, cq);
    if (strlen(q->name) + strlen(params) <= 80 && cg_comment_safe(q->name) &&
        !strstr(params, "*/") && !strstr(params, "??"))
        cg_printf(o, "/* query %s(%s) */\n\n", q->name, params);
    else
        cg_printf(o, "/* query %s */\n\n", cq->row);
    cg_comment(o, 0,
               cg_sfmt(o,
                       "One row of the query, its columns in the SQL's order. A NULL pointer "
                       "(bytea: data == NULL) is SQL NULL; a nullable fixed-size value has a "
                       "has_ flag."));
    emit_struct(o, cq);
    cg_printf(o,
              "\n/* Rows of one result: %s() frees them and everything they point to. */\n",
              cq->rows_free);
    cg_printf(o,
              "typedef struct %s {\n    %s *items;\n    size_t count;\n"
              "    pgorm_result *result;\n} %s;\n\n",
              cq->rows, cq->row, cq->rows);
    cg_printf(o, "/* Runs once: with rows (owned by the callback) and err NULL, or with rows "
                 "NULL and an error. */\n");
    cg_list cl = {0};
    cg_list_add(o, &cl, "%s *rows", cq->rows);
    cg_list_add(o, &cl, "const pgorm_error *err");
    cg_list_add(o, &cl, "void *ud");
    cg_wrap(o, cg_sfmt(o, "typedef void (*%s)(", cq->rows_cb), &cl, ",", ");\n\n");
    cg_printf(o, "/* The result columns, for pgorm_query_rows. */\n");
    cg_printf(o, "extern const pgorm_model_desc %s;\n\n", cq->desc);
    cg_printf(o, "/* Frees rows and everything they hold. NULL is fine. */\n");
    free_signature(o, cq, ";\n\n");
    cg_comment(o, 0,
               cg_sfmt(o,
                       "Runs the query's statement with its parameters ($1, $2... in this "
                       "order; a NULL string is SQL NULL); the callback gets its rows. %s "
                       "waits instead.",
                       cq->fn_sync));
    signature(o, cq, false, ";\n");
    signature(o, cq, true, ";\n");
}

/* The SQL as a string literal, one piece per line of it, long lines cut
   after a blank where there is one: every generated line stays within
   CG_WIDTH. */
static void emit_sql(cg_out *o, const cg_query *cq)
{
    cg_printf(o, "static const char %s[] =", cq->sql_var);
    const char *s = cq->q->sql;
    size_t n = strlen(s), i = 0;
    char one[2] = {0, 0};
    while (i < n) {
        pgorm_buf piece = PGORM_BUF_INIT;
        size_t cut_len = 0, cut_i = 0; /* just after the last blank */
        size_t start = i;
        while (i < n) {
            cg_out e = {PGORM_BUF_INIT, o->arena};
            one[0] = s[i];
            /* a '?' next to another is escaped: no trigraph, whatever the cut */
            if (s[i] == '?' && ((i > 0 && s[i - 1] == '?') || s[i + 1] == '?'))
                pgorm_buf_puts(&e.b, "\"\\?\"");
            else
                cg_c_string(&e, one);
            size_t w = e.b.len - 2;
            if (piece.len + w > 86 && i > start) {
                pgorm_buf_free(&e.b);
                if (cut_len) {
                    piece.len = cut_len;
                    i = cut_i;
                }
                break;
            }
            pgorm_buf_append(&piece, e.b.data + 1, w);
            pgorm_buf_free(&e.b);
            i++;
            if (s[i - 1] == '\n')
                break;
            if (s[i - 1] == ' ') {
                cut_len = piece.len;
                cut_i = i;
            }
        }
        pgorm_buf_putc(&piece, '\0');
        cg_printf(o, "\n    \"%s\"", piece.oom || !piece.data ? "" : piece.data);
        if (piece.oom)
            o->b.oom = true;
        pgorm_buf_free(&piece);
    }
    if (n == 0)
        cg_printf(o, " \"\"");
    cg_printf(o, ";\n\n");
}

static void emit_desc(cg_out *o, const cg_query *cq)
{
    cg_printf(o, "static const pgorm_column_desc %s[] = {\n", cq->columns_var);
    for (size_t i = 0; i < cq->ncols; i++) {
        const cg_qcol *c = &cq->cols[i];
        cg_out name = {PGORM_BUF_INIT, o->arena}, type = {PGORM_BUF_INIT, o->arena};
        cg_c_string(&name, c->col->name);
        cg_c_string(&type, c->sql_type);
        cg_list l = {0};
        cg_list_add(o, &l, ".name = %s", cg_take(o, &name.b));
        cg_list_add(o, &l, ".sql_type = %s", cg_take(o, &type.b));
        cg_list_add(o, &l, ".type = %s", c->ct->type);
        cg_list_add(o, &l, ".flags = %s", c->col->nullable ? "PGORM_COL_NULLABLE" : "0");
        cg_list_add(o, &l, ".offset = offsetof(%s, %s)", cq->row, c->member);
        if (c->has)
            cg_list_add(o, &l, ".has_offset = offsetof(%s, %s)", cq->row, c->has);
        else
            cg_list_add(o, &l, ".has_offset = PGORM_NO_OFFSET");
        cg_wrap(o, "    {", &l, ",", "},\n");
    }
    cg_printf(o, "};\n\n");
    cg_out name = {PGORM_BUF_INIT, o->arena};
    cg_c_string(&name, cq->q->name);
    cg_printf(o, "const pgorm_model_desc %s = {\n", cq->desc);
    cg_printf(o, "    .name = %s,\n", cg_take(o, &name.b));
    cg_printf(o, "    .struct_size = sizeof(%s),\n", cq->row);
    cg_printf(o, "    .columns = %s,\n", cq->columns_var);
    cg_printf(o, "    .ncolumns = %zu,\n", cq->ncols);
    cg_printf(o, "};\n");
}

static void emit_helpers(cg_out *o, const cg_query *cq)
{
    const char *t = cq->rows;
    cg_printf(o,
              "\n/* The rows of a result, allocated in its arena (NULL when out of memory). */\n"
              "static %s *%s(pgorm_result *res)\n{\n"
              "    %s *rows = pgorm_result_alloc(res, sizeof *rows);\n"
              "    if (rows) {\n"
              "        rows->items = pgorm_result_items(res);\n"
              "        rows->count = pgorm_result_count(res);\n"
              "        rows->result = res;\n"
              "    }\n"
              "    return rows;\n}\n",
              t, cq->rows_of, t);
    cg_printf(o, "\n/* The runtime's callback: hands the result to the user's typed callback "
                 "(kept in fn). */\n");
    cg_list d = {0};
    cg_list_add(o, &d, "pgorm_result *res");
    cg_list_add(o, &d, "const pgorm_error *err");
    cg_list_add(o, &d, "pgorm_fn fn");
    cg_list_add(o, &d, "void *ud");
    cg_wrap(o, cg_sfmt(o, "static void %s(", cq->deliver), &d, ",", ")\n");
    cg_printf(o,
              "{\n"
              "    %s cb = (%s)fn;\n"
              "    %s *rows = err ? NULL : %s(res);\n"
              "    if (!err && !rows) {\n"
              "        char msg[] = \"out of memory building %s\";\n"
              "        pgorm_error nomem = {.code = PGORM_ERR_NOMEM, .message = msg};\n"
              "        pgorm_result_free(res);\n"
              "        if (cb)\n"
              "            cb(NULL, &nomem, ud);\n"
              "        return;\n"
              "    }\n"
              "    if (cb)\n"
              "        cb(rows, err, ud);\n"
              "    else\n"
              "        %s(rows);\n"
              "}\n",
              cq->rows_cb, cq->rows_cb, t, cq->rows_of, t, cq->rows_free);
    cg_printf(o, "\n/* The end of a _sync call: its status, with the result as rows in *out. */\n");
    cg_list w = {0};
    cg_list_add(o, &w, "int rc");
    cg_list_add(o, &w, "pgorm_result *res");
    cg_list_add(o, &w, "%s **out", t);
    cg_list_add(o, &w, "pgorm_error *err");
    cg_wrap(o, cg_sfmt(o, "static int %s(", cq->wrap), &w, ",", ")\n");
    cg_printf(o,
              "{\n"
              "    if (out)\n"
              "        *out = NULL;\n"
              "    if (rc != 0 || !out) {\n"
              "        pgorm_result_free(res);\n"
              "        return rc;\n"
              "    }\n"
              "    *out = %s(res);\n"
              "    if (*out)\n"
              "        return 0;\n"
              "    pgorm_result_free(res);\n"
              "    if (err)\n"
              "        *err = (pgorm_error){.code = PGORM_ERR_NOMEM,\n"
              "                             .message = pgorm_strdup(\"out of memory building \"\n"
              "                                                     \"%s\")};\n"
              "    return -1;\n"
              "}\n\n",
              cq->rows_of, t);
    free_signature(o, cq, "\n");
    cg_printf(o, "{\n    if (rows)\n        pgorm_result_free(rows->result);\n}\n");
}

/* `pgorm_param params[n] = {...};` from the call's parameters. */
static void emit_params(cg_out *o, const cg_query *cq)
{
    if (cq->nparams == 0)
        return;
    cg_list l = {0};
    for (size_t i = 0; i < cq->nparams; i++) {
        const cg_qparam *p = &cq->params[i];
        cg_list_add(o, &l, "{.type = %s, .v.%s = %s}", p->ct->type, p->ct->value, p->name);
    }
    cg_wrap(o, cg_sfmt(o, "    pgorm_param params[%zu] = {", cq->nparams), &l, ",", "};\n");
}

static void emit_calls(cg_out *o, const cg_query *cq)
{
    const char *pv = cq->nparams ? "params" : "NULL";
    cg_printf(o, "\n");
    signature(o, cq, false, "\n");
    cg_printf(o, "{\n");
    emit_params(o, cq);
    cg_list l = {0};
    cg_list_add(o, &l, "db");
    cg_list_add(o, &l, "&%s", cq->desc);
    cg_list_add(o, &l, "%s", cq->sql_var);
    cg_list_add(o, &l, "%s", pv);
    cg_list_add(o, &l, "%zu", cq->nparams);
    cg_list_add(o, &l, "%s", cq->deliver);
    cg_list_add(o, &l, "(pgorm_fn)cb");
    cg_list_add(o, &l, "ud");
    cg_wrap(o, "    pgorm_query_rows(", &l, ",", ");\n");
    cg_printf(o, "}\n\n");

    signature(o, cq, true, "\n");
    cg_printf(o, "{\n");
    emit_params(o, cq);
    cg_printf(o, "    pgorm_result *res = NULL;\n");
    cg_list s = {0};
    cg_list_add(o, &s, "db");
    cg_list_add(o, &s, "&%s", cq->desc);
    cg_list_add(o, &s, "%s", cq->sql_var);
    cg_list_add(o, &s, "%s", pv);
    cg_list_add(o, &s, "%zu", cq->nparams);
    cg_list_add(o, &s, "out ? &res : NULL");
    cg_list_add(o, &s, "err");
    cg_wrap(o, "    int rc = pgorm_query_rows_sync(", &s, ",", ");\n");
    cg_printf(o, "    return %s(rc, res, out, err);\n}\n", cq->wrap);
}

void cg_emit_query_header(cg_out *o, const cg_plan *p)
{
    for (size_t i = 0; i < p->nqueries; i++)
        emit_decls(o, &p->queries[i]);
}

void cg_emit_query_source(cg_out *o, const cg_plan *p)
{
    for (size_t i = 0; i < p->nqueries; i++) {
        const cg_query *cq = &p->queries[i];
        cg_printf(o,
                  "\n/* ------------------------------------------------------------------ */"
                  "\n/* query %s */\n\n",
                  cg_comment_safe(cq->q->name) ? cq->q->name : cq->row);
        emit_sql(o, cq);
        emit_desc(o, cq);
        emit_helpers(o, cq);
        emit_calls(o, cq);
    }
}
