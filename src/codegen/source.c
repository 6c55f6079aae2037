/* <base>.pgorm.c: the descriptor tables and the typed calls, each a thin
 * layer over the generic runtime call of the same name. */
#include "codegen/emit_enum.h"
#include "codegen/emit_query.h"
#include "codegen/emit_rel.h"
#include "codegen/emit_stream.h"
#include "codegen/emit_upsert.h"
#include "codegen/gen.h"
#include "migrate/ddl.h"

/* "BOOK_ID | BOOK_ISBN" for a mask of columns. */
static const char *mask_expr(cg_out *o, const cg_model *cm, uint64_t mask)
{
    if (mask == 0)
        return "0";
    pgorm_buf b = PGORM_BUF_INIT;
    for (size_t i = 0; i < cm->ncols; i++)
        if (mask >> i & 1)
            pgorm_buf_printf(&b, "%s%s", b.len ? " | " : "", cm->cols[i].macro);
    return cg_take(o, &b);
}

static const char *flags_expr(cg_out *o, unsigned flags)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {PGORM_COL_PK, "PGORM_COL_PK"},           {PGORM_COL_GENERATED, "PGORM_COL_GENERATED"},
        {PGORM_COL_DEFAULT, "PGORM_COL_DEFAULT"}, {PGORM_COL_NULLABLE, "PGORM_COL_NULLABLE"},
        {PGORM_COL_FK, "PGORM_COL_FK"},           {PGORM_COL_UNIQUE, "PGORM_COL_UNIQUE"},
    };
    if (!flags)
        return "0";
    const char *s = "";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (flags & names[i].bit)
            s = cg_sfmt(o, "%s%s%s", s, *s ? " | " : "", names[i].name);
    return s;
}

/* A C string literal, as a string (for cg_list items). */
static const char *c_string(cg_out *o, const char *s)
{
    cg_out tmp = {PGORM_BUF_INIT, o->arena};
    cg_c_string(&tmp, s);
    return cg_take(o, &tmp.b);
}

/* ------------------------------------------------------------------ */
/* Descriptor                                                          */

static void emit_columns(cg_out *o, const cg_plan *p, const cg_model *cm)
{
    cg_printf(o, "static const pgorm_column_desc %s[] = {\n", cm->columns_var);
    for (size_t i = 0; i < cm->ncols; i++) {
        const cg_col *c = &cm->cols[i];
        cg_list l = {0};
        cg_list_add(o, &l, ".name = %s", c_string(o, pgorm_ddl_field_column(c->field)));
        cg_list_add(o, &l, ".sql_type = %s", c_string(o, c->sql_type));
        cg_list_add(o, &l, ".type = %s", c->ct->type);
        cg_list_add(o, &l, ".flags = %s", flags_expr(o, c->flags));
        cg_list_add(o, &l, ".offset = offsetof(%s, %s)", cm->type, c->value);
        if (c->has)
            cg_list_add(o, &l, ".has_offset = offsetof(%s, %s)", cm->type, c->has);
        else
            cg_list_add(o, &l, ".has_offset = PGORM_NO_OFFSET");
        if (c->default_sql)
            cg_list_add(o, &l, ".default_sql = %s", c_string(o, c->default_sql));
        if (c->count) {
            cg_list_add(o, &l, ".array = true");
            cg_list_add(o, &l, ".count_offset = offsetof(%s, %s)", cm->type, c->count);
        }
        if (c->field->type.scalar == PGORM_S_ENUM && c->field->enum_index < p->nenums) {
            const cg_enum *ce = &p->enums[c->field->enum_index];
            cg_list_add(o, &l, ".enum_labels = %s", ce->labels_var);
            cg_list_add(o, &l, ".nenum_labels = %zu", ce->e->nvalues);
        }
        cg_wrap(o, "    {", &l, ",", "},\n");
    }
    cg_printf(o, "};\n\n");
}

static void emit_rels(cg_out *o, const cg_plan *p, const cg_model *cm)
{
    if (cm->nrels == 0)
        return;
    cg_printf(o, "static const pgorm_rel_desc %s[] = {\n", cm->rels_var);
    for (size_t i = 0; i < cm->nrels; i++) {
        const cg_rel *r = &cm->rels[i];
        const char *member = NULL;
        for (size_t j = 0; j < cm->m->nfields; j++)
            if (cm->fields[j].rel == r)
                member = cm->fields[j].member;
        bool fwd = r->kind == PGORM_REL_FORWARD;
        cg_list l = {0};
        cg_list_add(o, &l, ".name = %s", c_string(o, r->field->name));
        cg_list_add(o, &l, ".kind = %s", fwd ? "PGORM_REL_FORWARD" : "PGORM_REL_BACK");
        cg_list_add(o, &l, ".target = &%s", p->models[r->target].desc);
        cg_list_add(o, &l, ".fk_column = %zu", r->fk_column);
        cg_list_add(o, &l, ".offset = offsetof(%s, %s)", cm->type, member);
        cg_list_add(o, &l, ".ref_offset = offsetof(%s, %s.%s)", cm->type, member,
                    fwd ? "ref" : "items");
        if (fwd) {
            cg_list_add(o, &l, ".count_offset = PGORM_NO_OFFSET");
            cg_list_add(o, &l, ".loaded_offset = PGORM_NO_OFFSET");
        } else {
            cg_list_add(o, &l, ".count_offset = offsetof(%s, %s.count)", cm->type, member);
            cg_list_add(o, &l, ".loaded_offset = offsetof(%s, %s.loaded)", cm->type, member);
        }
        cg_wrap(o, "    {", &l, ",", "},\n");
    }
    cg_printf(o, "};\n\n");
}

static void emit_desc(cg_out *o, const cg_plan *p, const cg_model *cm)
{
    emit_columns(o, p, cm);
    emit_rels(o, p, cm);
    if (cm->nunique) {
        cg_printf(o, "/* The primary key, then each unique constraint. */\n");
        cg_list l = {0};
        for (size_t i = 0; i < cm->nunique; i++)
            cg_list_add(o, &l, "%s", mask_expr(o, cm, cm->unique[i]));
        cg_wrap(o, cg_sfmt(o, "static const uint64_t %s[] = {", cm->unique_var), &l, ",", "};\n\n");
    }
    cg_emit_unique_names(o, cm);
    cg_printf(o, "const pgorm_model_desc %s = {\n", cm->desc);
    cg_printf(o, "    .name = %s,\n", c_string(o, cm->m->name));
    cg_printf(o, "    .table = %s,\n", c_string(o, cm->m->table));
    cg_printf(o, "    .struct_size = sizeof(%s),\n", cm->type);
    cg_printf(o, "    .columns = %s,\n", cm->columns_var);
    cg_printf(o, "    .ncolumns = %zu,\n", cm->ncols);
    cg_list pk = {0};
    for (size_t i = 0; i < cm->ncols; i++)
        if (cm->pk_mask >> i & 1)
            cg_list_add(o, &pk, "%s", cm->cols[i].macro);
    if (pk.n == 0)
        cg_list_add(o, &pk, "0");
    cg_wrap(o, "    .pk_mask = ", &pk, " |", ",\n");
    if (cm->nrels)
        cg_printf(o, "    .rels = %s,\n    .nrels = %zu,\n", cm->rels_var, cm->nrels);
    if (cm->nunique)
        cg_printf(o, "    .unique_masks = %s,\n    .nunique = %zu,\n", cm->unique_var, cm->nunique);
    cg_emit_unique_names_field(o, cm);
    cg_printf(o, "};\n");
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */

static void emit_helpers(cg_out *o, const cg_model *cm)
{
    const char *t = cm->rows;
    cg_printf(o,
              "\n/* The rows of a result, allocated in its arena (NULL when out of memory). */\n"
              "static %s *%s(pgorm_result *res)\n{\n"
              "    %s *rows = pgorm_result_alloc(res, sizeof *rows);\n"
              "    if (rows) {\n"
              "        rows->items = pgorm_result_items(res);\n"
              "        rows->count = pgorm_result_count(res);\n"
              "        rows->result = res;\n"
              "        rows->inserted = pgorm_result_inserted_flags(res);\n"
              "        rows->columns = pgorm_result_columns(res);\n"
              "    }\n"
              "    return rows;\n}\n",
              t, cm->rows_of, t);
    cg_printf(o,
              "\n/* The runtime's callback: hands the result to the user's typed callback "
              "(kept in fn). */\n"
              "static void %s(pgorm_result *res, const pgorm_error *err, pgorm_fn fn, void "
              "*ud)\n{\n"
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
              cm->deliver, cm->rows_cb, cm->rows_cb, t, cm->rows_of, t, cm->fn[CG_ROWS_FREE]);
    cg_printf(o,
              "\n/* The end of a _sync call: its status, with the result as rows in *out. */\n"
              "static int %s(int rc, pgorm_result *res, %s **out, pgorm_error *err)\n{\n"
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
              "    char msg[] = \"out of memory building %s\";\n"
              "    pgorm_error nomem = {.code = PGORM_ERR_NOMEM, .message = msg};\n"
              "    if (err) /* a static message when even the copy fails */\n"
              "        pgorm_error_copy(err, &nomem);\n"
              "    return -1;\n"
              "}\n",
              cm->wrap, t, cm->rows_of, t);
    cg_printf(o, "\n");
    cg_signature(o, cm, CG_ROWS_FREE, "\n");
    cg_printf(o, "{\n    if (rows)\n        pgorm_result_free(rows->result);\n}\n");
}

/* `<Model> key = {...};` from the parameters of a get. */
static void emit_key(cg_out *o, const cg_model *cm)
{
    cg_list l = {0};
    for (size_t i = 0; i < cm->ncols; i++) {
        const cg_col *c = &cm->cols[i];
        if (!c->param)
            continue;
        cg_list_add(o, &l, ".%s = %s%s", c->value, c->ct->cast, c->param);
        if (c->has)
            cg_list_add(o, &l, ".%s = true", c->has);
    }
    cg_wrap(o, cg_sfmt(o, "    %s key = {", cm->type), &l, ",", "};\n");
}

/* The generic call's name and its arguments after (db, &model). */
static void emit_call(cg_out *o, const cg_model *cm, cg_fn fn)
{
    bool sync = cg_fn_sync(fn);
    static const char *const generic[CG_FN_COUNT] = {
        [CG_INSERT] = "insert", [CG_FIND] = "find",
        [CG_GET] = "get",       [CG_COUNT] = "count",
        [CG_UPDATE] = "update", [CG_UPDATE_WHERE] = "update_where",
        [CG_DELETE] = "delete", [CG_DELETE_WHERE] = "delete_where",
    };
    cg_fn base = sync ? (cg_fn)(fn - 1) : fn;
    cg_list l = {0};
    cg_list_add(o, &l, "db");
    cg_list_add(o, &l, "&%s", cm->desc);
    switch (base) {
    case CG_INSERT:
        cg_list_add(o, &l, "rows");
        cg_list_add(o, &l, "n");
        break;
    case CG_FIND:
        cg_list_add(o, &l, "q");
        break;
    case CG_GET:
        cg_list_add(o, &l, "&key");
        break;
    case CG_COUNT:
    case CG_DELETE_WHERE:
        cg_list_add(o, &l, "&where");
        break;
    case CG_UPDATE:
        cg_list_add(o, &l, "row");
        cg_list_add(o, &l, "columns");
        break;
    case CG_UPDATE_WHERE:
        cg_list_add(o, &l, "values");
        cg_list_add(o, &l, "columns");
        cg_list_add(o, &l, "&where");
        break;
    case CG_DELETE:
        cg_list_add(o, &l, "row");
        break;
    default:
        break;
    }
    const char *name = cg_sfmt(o, "pgorm_%s%s(", generic[base], sync ? "_sync" : "");
    if (cg_fn_rows(fn) && sync) {
        cg_list_add(o, &l, "out ? &res : NULL");
        cg_list_add(o, &l, "err");
        cg_printf(o, "    pgorm_result *res = NULL;\n");
        cg_wrap(o, cg_sfmt(o, "    int rc = %s", name), &l, ",", ");\n");
        cg_printf(o, "    return %s(rc, res, out, err);\n", cm->wrap);
    } else if (cg_fn_rows(fn)) {
        cg_list_add(o, &l, "%s", cm->deliver);
        cg_list_add(o, &l, "(pgorm_fn)cb");
        cg_list_add(o, &l, "ud");
        cg_wrap(o, cg_sfmt(o, "    %s", name), &l, ",", ");\n");
    } else {
        cg_list_add(o, &l, sync ? "count" : "cb");
        cg_list_add(o, &l, sync ? "err" : "ud");
        cg_wrap(o, cg_sfmt(o, "    %s%s", sync ? "return " : "", name), &l, ",", ");\n");
    }
}

static void emit_calls(cg_out *o, const cg_model *cm)
{
    emit_helpers(o, cm);
    for (int fn = CG_INSERT; fn < CG_FN_COUNT; fn++) {
        if (!cg_has_fn(cm, (cg_fn)fn))
            continue;
        cg_printf(o, "\n");
        cg_signature(o, cm, (cg_fn)fn, "\n");
        cg_printf(o, "{\n");
        if (fn == CG_GET || fn == CG_GET_SYNC)
            emit_key(o, cm);
        emit_call(o, cm, (cg_fn)fn);
        cg_printf(o, "}\n");
    }
}

void cg_emit_source(cg_out *o, const cg_plan *p)
{
    cg_banner(o, p);
    cg_printf(o, "#include \"%s.pgorm.h\"\n\n#include <stddef.h>\n", p->base);
    cg_emit_enum_source(o, p);
    for (size_t i = 0; i < p->nmodels; i++) {
        const cg_model *cm = &p->models[i];
        cg_printf(o,
                  "\n/* ------------------------------------------------------------------ */"
                  "\n/* %s */\n\n",
                  cm->type);
        emit_desc(o, p, cm);
        emit_calls(o, cm);
        cg_emit_upsert_defs(o, cm);
        cg_emit_stream_defs(o, cm);
    }
    cg_emit_rel_source(o, p);
    cg_emit_query_source(o, p);
}
