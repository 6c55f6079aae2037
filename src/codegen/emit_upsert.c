/* The generated code of upsert: typed calls over pgorm_upsert_rows, the
 * _excluded predicates, and the constraint names in the descriptor. */
#include "codegen/emit_upsert.h"

#include "codegen/gen.h"

static const char *const cmp_name[CG_GE + 1] = {
    [CG_EQ] = "PGORM_EQ", [CG_NE] = "PGORM_NE", [CG_LT] = "PGORM_LT",
    [CG_LE] = "PGORM_LE", [CG_GT] = "PGORM_GT", [CG_GE] = "PGORM_GE",
};

/* "BOOK_VENDOR | BOOK_SKU" */
static const char *mask_expr(cg_out *o, const cg_model *cm, uint64_t mask)
{
    pgorm_buf b = PGORM_BUF_INIT;
    for (size_t i = 0; i < cm->ncols; i++)
        if (mask >> i & 1)
            pgorm_buf_printf(&b, "%s%s", b.len ? " | " : "", cm->cols[i].macro);
    return b.len ? cg_take(o, &b) : "0";
}

static void signature(cg_out *o, const cg_model *cm, bool sync, const char *tail)
{
    cg_list l = {0};
    cg_list_add(o, &l, "pgorm_db *db");
    cg_list_add(o, &l, "%s *rows", cm->type);
    cg_list_add(o, &l, "size_t n");
    cg_list_add(o, &l, "const pgorm_upsert *opts");
    if (sync) {
        cg_list_add(o, &l, "%s **out", cm->rows);
        cg_list_add(o, &l, "pgorm_error *err");
    } else {
        cg_list_add(o, &l, "%s cb", cm->rows_cb);
        cg_list_add(o, &l, "void *ud");
    }
    cg_wrap(o, cg_sfmt(o, "%s %s(", sync ? "int" : "void", sync ? cm->upsert_sync : cm->upsert),
            &l, ",", cg_sfmt(o, ")%s", tail));
}

void cg_emit_upsert_decls(cg_out *o, const cg_model *cm)
{
    /* the example target: a unique set other than the key when there is one */
    const char *target = NULL;
    for (size_t k = 0; k < cm->nunique && !target; k++)
        if (cm->unique[k] != cm->pk_mask)
            target = mask_expr(o, cm, cm->unique[k]);
    if (!target && cm->nunique)
        target = mask_expr(o, cm, cm->unique[0]);
    cg_printf(o, "\n");
    cg_comment(o, 0,
               cg_sfmt(o,
                       "Inserts the n rows, or updates the stored row that has the same "
                       "conflict key, in one statement. opts: the conflict target (.conflict "
                       "= %s: a unique set; or .constraint = its name), the columns to "
                       "update (.update; 0: all but the key and the target), or .do_nothing; "
                       ".where, e.g. a column's _lt_excluded(), to update only some rows. "
                       "Rows with the same conflict key: the last one wins. `rows` must stay "
                       "valid until the callback runs: the stored row's keys, defaults and "
                       "values are written back into it. The callback gets one row per "
                       "conflict key, in input order; rows->inserted[i] says whether it was "
                       "inserted (else updated).",
                       target ? target : "<a unique set>"));
    signature(o, cm, false, ";\n");
    signature(o, cm, true, ";\n");
}

static void emit_excluded(cg_out *o, const cg_model *cm, const cg_col *c, int op)
{
    cg_list body = {0};
    cg_list_add(o, &body, ".kind = PGORM_PRED_EXCLUDED");
    cg_list_add(o, &body, ".op = %s", cmp_name[op]);
    cg_list_add(o, &body, ".model = &%s", cm->desc);
    cg_list_add(o, &body, ".column = %zu", c->index);
    cg_printf(o, "static inline pgorm_pred %s(void)\n{\n", c->excluded[op]);
    cg_wrap(o, "    return (pgorm_pred){", &body, ",", "};");
    cg_printf(o, "\n}\n");
}

void cg_emit_upsert_preds(cg_out *o, const cg_model *cm)
{
    if (cm->ncols == 0)
        return;
    cg_printf(o, "\n");
    cg_comment(o, 0,
               cg_sfmt(o,
                       "Upsert conditions (pgorm_upsert.where): a stored column of %s against "
                       "the incoming row's value (EXCLUDED). _eq_excluded and _ne_excluded "
                       "treat two NULLs as equal (IS [NOT] DISTINCT FROM).",
                       cm->type));
    for (size_t i = 0; i < cm->ncols; i++) {
        const cg_col *c = &cm->cols[i];
        if (!c->excluded[CG_EQ])
            continue;
        cg_printf(o, "\n/* %s.%s against EXCLUDED.%s */\n", cm->type, c->field->name,
                  c->field->name);
        for (int op = CG_EQ; op <= CG_GE; op++)
            if (c->excluded[op])
                emit_excluded(o, cm, c, op);
    }
}

void cg_emit_unique_names(cg_out *o, const cg_model *cm)
{
    if (cm->nunique == 0)
        return;
    cg_list l = {0};
    for (size_t k = 0; k < cm->nunique; k++) {
        cg_out tmp = {PGORM_BUF_INIT, o->arena};
        cg_c_string(&tmp, cm->unique_names[k]);
        cg_list_add(o, &l, "%s", cg_take(o, &tmp.b));
    }
    cg_printf(o, "/* The constraint of each unique set, as the DDL names it (upsert targets). */\n");
    cg_wrap(o, cg_sfmt(o, "static const char *const %s[] = {", cm->unique_names_var), &l, ",",
            "};\n\n");
}

void cg_emit_unique_names_field(cg_out *o, const cg_model *cm)
{
    if (cm->nunique)
        cg_printf(o, "    .unique_names = %s,\n", cm->unique_names_var);
}

void cg_emit_upsert_defs(cg_out *o, const cg_model *cm)
{
    cg_printf(o, "\n");
    signature(o, cm, false, "\n");
    cg_printf(o, "{\n");
    cg_list l = {0};
    cg_list_add(o, &l, "db");
    cg_list_add(o, &l, "&%s", cm->desc);
    cg_list_add(o, &l, "rows");
    cg_list_add(o, &l, "n");
    cg_list_add(o, &l, "opts");
    cg_list_add(o, &l, "%s", cm->deliver);
    cg_list_add(o, &l, "(pgorm_fn)cb");
    cg_list_add(o, &l, "ud");
    cg_wrap(o, "    pgorm_upsert_rows(", &l, ",", ");\n");
    cg_printf(o, "}\n\n");
    signature(o, cm, true, "\n");
    cg_printf(o, "{\n    pgorm_result *res = NULL;\n");
    cg_list s = {0};
    cg_list_add(o, &s, "db");
    cg_list_add(o, &s, "&%s", cm->desc);
    cg_list_add(o, &s, "rows");
    cg_list_add(o, &s, "n");
    cg_list_add(o, &s, "opts");
    cg_list_add(o, &s, "out ? &res : NULL");
    cg_list_add(o, &s, "err");
    cg_wrap(o, "    int rc = pgorm_upsert_rows_sync(", &s, ",", ");\n");
    cg_printf(o, "    return %s(rc, res, out, err);\n}\n", cm->wrap);
}
