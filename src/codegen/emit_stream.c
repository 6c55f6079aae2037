/* The generated code of streaming finds: <model>_stream over
 * pgorm_find_stream, whose batches reach the user's typed callback as
 * <Model>Rows. */
#include "codegen/emit_stream.h"

#include "codegen/gen.h"

static void signature(cg_out *o, const cg_model *cm, const char *tail)
{
    cg_list l = {0};
    cg_list_add(o, &l, "pgorm_db *db");
    cg_list_add(o, &l, "const %s *q", cm->query);
    cg_list_add(o, &l, "size_t batch");
    cg_list_add(o, &l, "%s cb", cm->stream_cb);
    cg_list_add(o, &l, "void *ud");
    cg_wrap(o, cg_sfmt(o, "void %s(", cm->stream), &l, ",", cg_sfmt(o, ")%s", tail));
}

void cg_emit_stream_decls(cg_out *o, const cg_model *cm)
{
    cg_printf(o, "\n");
    cg_comment(o, 0,
               cg_sfmt(o,
                       "A streamed find's callback: a batch of rows (%s() it) with end false; "
                       "then once with end true: the last rows (0 or more), or rows NULL and "
                       "the error.",
                       cm->fn[CG_ROWS_FREE]));
    cg_printf(o,
              "typedef void (*%s)(%s *rows, bool end, const pgorm_error *err, void *ud);\n",
              cm->stream_cb, cm->rows);
    cg_comment(o, 0,
               cg_sfmt(o,
                       "The rows of %s(db, q, ...), .fetch_links included, in batches of at "
                       "most `batch` rows (0: 1000) as they arrive: memory stays bounded by a "
                       "batch whatever the row count. See pgorm_find_stream.",
                       cm->fn[CG_FIND]));
    signature(o, cm, ";\n");
}

void cg_emit_stream_defs(cg_out *o, const cg_model *cm)
{
    const char *t = cm->rows;
    cg_printf(o,
              "\n/* A streamed batch to the user's typed callback (kept in fn). */\n"
              "static void %s(pgorm_result *res, bool end, const pgorm_error *err,\n"
              "    pgorm_fn fn, void *ud)\n{\n"
              "    %s cb = (%s)fn;\n"
              "    %s *rows = res ? %s(res) : NULL;\n"
              "    if (res && !rows) {\n"
              "        char msg[] = \"out of memory building %s\";\n"
              "        pgorm_error nomem = {.code = PGORM_ERR_NOMEM, .message = msg};\n"
              "        pgorm_result_free(res);\n"
              "        /* the end still comes once: a lost batch is reported with it */\n"
              "        cb(NULL, end, &nomem, ud);\n"
              "        return;\n"
              "    }\n"
              "    cb(rows, end, err, ud);\n"
              "}\n\n",
              cm->stream_deliver, cm->stream_cb, cm->stream_cb, t, cm->rows_of, t);
    signature(o, cm, "\n");
    cg_printf(o, "{\n");
    cg_list l = {0};
    cg_list_add(o, &l, "db");
    cg_list_add(o, &l, "&%s", cm->desc);
    cg_list_add(o, &l, "q");
    cg_list_add(o, &l, "batch");
    cg_list_add(o, &l, "cb ? %s : NULL", cm->stream_deliver);
    cg_list_add(o, &l, "(pgorm_fn)cb");
    cg_list_add(o, &l, "ud");
    cg_wrap(o, "    pgorm_find_stream(", &l, ",", ");\n");
    cg_printf(o, "}\n");
}
