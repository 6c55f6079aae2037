/* The relationship calls of the generated code: per ForeignKey a lazy load
 * (of one row and of many), per BackReference the access to its rows and
 * their count, per ManyToMany the same plus adding and removing pairs,
 * each with its _sync twin. They are written after every
 * model (in both files), since they name two models' types and helpers.
 */
#include "codegen/emit_rel.h"

static const char intro[] =
    "Related rows live in the arena of the result that loaded them: a ref or an "
    "items pointer points into rows a callback received (or a _sync call returned) and stays "
    "valid until those rows are freed. One <model>_rows_free() frees the rows, the rows they "
    "link to and their strings. A find with .fetch_links fills them in the same statement; the "
    "calls below load them on demand.";

/* The struct member of a relation's field. */
static const char *member_of(const cg_model *cm, const cg_rel *r)
{
    for (size_t j = 0; j < cm->m->nfields; j++)
        if (cm->fields[j].rel == r)
            return cm->fields[j].member;
    return "";
}

static void signature(cg_out *o, const cg_plan *p, const cg_model *cm, const cg_rel *r,
                      cg_rel_fn fn, const char *tail)
{
    const cg_model *t = &p->models[r->target];
    bool fwd = r->kind == PGORM_REL_FORWARD;
    bool sync = fn == CG_REL_ONE_SYNC || fn == CG_REL_MORE_SYNC;
    bool more = fn == CG_REL_MORE || fn == CG_REL_MORE_SYNC;
    cg_list l = {0};
    cg_list_add(o, &l, "pgorm_db *db");
    if (fwd && more) {
        cg_list_add(o, &l, "%s *rows", cm->type);
        cg_list_add(o, &l, "size_t n");
    } else {
        cg_list_add(o, &l, "%s%s *row", !fwd && more ? "const " : "", cm->type);
    }
    if (!fwd)
        cg_list_add(o, &l, more ? "pgorm_pred where" : "const %s *q", t->query);
    bool count = !fwd && more;
    if (sync) {
        cg_list_add(o, &l, count ? "int64_t *count" : "%s **out", t->rows);
        cg_list_add(o, &l, "pgorm_error *err");
    } else {
        cg_list_add(o, &l, "%s cb", count ? "pgorm_count_cb" : t->rows_cb);
        cg_list_add(o, &l, "void *ud");
    }
    cg_wrap(o, cg_sfmt(o, "%s %s(", sync ? "int" : "void", r->fn[fn]), &l, ",",
            cg_sfmt(o, ")%s", tail));
}

static const char *doc(cg_out *o, const cg_plan *p, const cg_model *cm, const cg_rel *r,
                       bool more)
{
    const cg_model *t = &p->models[r->target];
    const char *mem = member_of(cm, r);
    if (r->kind == PGORM_REL_FORWARD && !more)
        return cg_sfmt(o,
                       "Loads row->%s.ref, the %s that row->%s.key names. The callback gets it "
                       "(0 or 1 rows, owned by the callback) and ref points at it until those "
                       "rows are freed. A ref already set is kept (set it to NULL to load it "
                       "again); a NULL key loads as ref == NULL. Loads of %s rows issued in the "
                       "same turn of the loop go out as one query. `row` must stay valid until "
                       "the callback runs.",
                       mem, t->type, mem, t->type);
    if (r->kind == PGORM_REL_FORWARD)
        return cg_sfmt(o,
                       "The same for the n rows at `rows`, in one query: the callback gets each "
                       "distinct %s once, and each row's %s.ref points at its own.",
                       t->type, mem);
    if (r->kind == PGORM_REL_MANY) {
        const cg_model *j = &p->models[r->through];
        const char *from = j->cols[r->fk_column].field->name;
        const char *to = j->cols[r->far_column].field->name;
        if (!more)
            return cg_sfmt(o,
                           "The %s rows that %s pairs with row (%s.%s is row, %s.%s the %s), in "
                           "one statement joining %s, selected by q like %s: .where, .order (by "
                           "key when none), .limit, .offset, .columns, .fetch_links; q NULL: all "
                           "of them. row->%s is set to them when the callback runs: `row` must "
                           "stay valid until then, and the items live in the callback's rows.",
                           t->type, j->type, j->type, from, j->type, to, t->type, j->type,
                           t->fn[CG_FIND], mem);
        return cg_sfmt(o, "Counts the %s rows that %s pairs with row and that `where` matches.",
                       t->type, j->type);
    }
    const char *fk = t->cols[r->fk_column].field->name;
    if (!more)
        return cg_sfmt(o,
                       "The %s rows whose %s is row (%s.%s), selected by q like %s: .where, "
                       ".order (by key when none), .limit, .offset, .columns, .fetch_links; q "
                       "NULL: all "
                       "of them. row->%s is set to them when the callback runs: `row` must stay "
                       "valid until then, and the items live in the callback's rows.",
                       t->type, fk, t->type, fk, t->fn[CG_FIND], mem);
    return cg_sfmt(o, "Counts the %s rows whose %s is row and that `where` matches.", t->type,
                   fk);
}

/* The call to the generic runtime, as the body of fn. */
static void body(cg_out *o, const cg_plan *p, const cg_model *cm, const cg_rel *r, cg_rel_fn fn)
{
    const cg_model *t = &p->models[r->target];
    bool fwd = r->kind == PGORM_REL_FORWARD;
    bool sync = fn == CG_REL_ONE_SYNC || fn == CG_REL_MORE_SYNC;
    bool more = fn == CG_REL_MORE || fn == CG_REL_MORE_SYNC;
    bool many = r->kind == PGORM_REL_MANY;
    const char *generic = fwd    ? "pgorm_load"
                          : many ? (more ? "pgorm_many_count" : "pgorm_many")
                                 : (more ? "pgorm_backref_count" : "pgorm_backref");
    cg_list l = {0};
    cg_list_add(o, &l, "db");
    cg_list_add(o, &l, "&%s", cm->desc);
    cg_list_add(o, &l, "%zu", r->index);
    if (fwd) {
        cg_list_add(o, &l, more ? "rows" : "row");
        cg_list_add(o, &l, more ? "n" : "1");
    } else {
        cg_list_add(o, &l, "row");
        cg_list_add(o, &l, more ? "&where" : "q");
    }
    cg_printf(o, "{\n");
    if (!fwd && more) {
        cg_list_add(o, &l, sync ? "count" : "cb");
        cg_list_add(o, &l, sync ? "err" : "ud");
        cg_wrap(o, cg_sfmt(o, "    %s%s%s(", sync ? "return " : "", generic, sync ? "_sync" : ""),
                &l, ",", ");\n");
    } else if (sync) {
        cg_list_add(o, &l, "out ? &res : NULL");
        cg_list_add(o, &l, "err");
        cg_printf(o, "    pgorm_result *res = NULL;\n");
        cg_wrap(o, cg_sfmt(o, "    int rc = %s_sync(", generic), &l, ",", ");\n");
        cg_printf(o, "    return %s(rc, res, out, err);\n", t->wrap);
    } else {
        cg_list_add(o, &l, "%s", t->deliver);
        cg_list_add(o, &l, "(pgorm_fn)cb");
        cg_list_add(o, &l, "ud");
        cg_wrap(o, cg_sfmt(o, "    %s(", generic), &l, ",", ");\n");
    }
    cg_printf(o, "}\n");
}

/* The target's key column (a ManyToMany's far side has one: validated). */
static const cg_col *target_key(const cg_plan *p, const cg_rel *r)
{
    const cg_model *t = &p->models[r->target];
    for (size_t i = 0; i < t->ncols; i++)
        if (t->pk_mask >> i & 1)
            return &t->cols[i];
    return &t->cols[0];
}

/* ManyToMany: <model>_<field>_add / _remove and their _sync twins. */
static void pair_signature(cg_out *o, const cg_plan *p, const cg_model *cm, const cg_rel *r,
                           bool add, bool sync, const char *tail)
{
    const cg_col *k = target_key(p, r);
    cg_list l = {0};
    cg_list_add(o, &l, "pgorm_db *db");
    cg_list_add(o, &l, "const %s *row", cm->type);
    cg_list_add(o, &l, "%skeys", k->ct->array);
    cg_list_add(o, &l, "size_t n");
    if (sync) {
        cg_list_add(o, &l, "int64_t *count");
        cg_list_add(o, &l, "pgorm_error *err");
    } else {
        cg_list_add(o, &l, "pgorm_count_cb cb");
        cg_list_add(o, &l, "void *ud");
    }
    const char *name = (add ? r->add : r->remove)[sync];
    cg_wrap(o, cg_sfmt(o, "%s %s(", sync ? "int" : "void", name), &l, ",",
            cg_sfmt(o, ")%s", tail));
}

static void pair_body(cg_out *o, const cg_model *cm, const cg_rel *r, bool add, bool sync)
{
    cg_list l = {0};
    cg_list_add(o, &l, "db");
    cg_list_add(o, &l, "&%s", cm->desc);
    cg_list_add(o, &l, "%zu", r->index);
    cg_list_add(o, &l, "row");
    cg_list_add(o, &l, "keys");
    cg_list_add(o, &l, "n");
    cg_list_add(o, &l, sync ? "count" : "cb");
    cg_list_add(o, &l, sync ? "err" : "ud");
    cg_printf(o, "{\n");
    cg_wrap(o,
            cg_sfmt(o, "    %spgorm_many_%s%s(", sync ? "return " : "", add ? "add" : "remove",
                    sync ? "_sync" : ""),
            &l, ",", ");\n");
    cg_printf(o, "}\n");
}

static void pair_docs(cg_out *o, const cg_plan *p, const cg_model *cm, const cg_rel *r)
{
    const cg_model *t = &p->models[r->target];
    const cg_model *j = &p->models[r->through];
    const char *mem = member_of(cm, r);
    cg_comment(o, 0,
               cg_sfmt(o,
                       "Pairs row with the %s rows whose keys are the n values at `keys`: one "
                       "INSERT INTO %s ... SELECT, ON CONFLICT DO NOTHING, so a pair already "
                       "there stays as it is and adding twice is harmless; the count is the "
                       "pairs added. A key that names no %s fails the statement and nothing is "
                       "added. row->%s is left as it is (load it again to see the change).",
                       t->type, j->m->table, t->type, mem));
    pair_signature(o, p, cm, r, true, false, ";\n");
    pair_signature(o, p, cm, r, true, true, ";\n");
    cg_comment(o, 0,
               cg_sfmt(o,
                       "Unpairs them: one DELETE FROM %s; the count is the pairs removed (a key "
                       "that was not paired is no error). The %s rows themselves stay.",
                       j->m->table, t->type));
    pair_signature(o, p, cm, r, false, false, ";\n");
    pair_signature(o, p, cm, r, false, true, ";\n");
}

/* The filters across a relation (see cg_rel_pred): macros for those that
   take a predicate on the target, inline functions for the plain counts. */
static void emit_rel_preds(cg_out *o, const cg_plan *p, const cg_model *cm, const cg_rel *r)
{
    const cg_model *t = &p->models[r->target];
    const char *mem = member_of(cm, r);
    if (r->kind == PGORM_REL_FORWARD) {
        cg_comment(o, 0,
                   cg_sfmt(o,
                           "Filter on %s: its %s row exists and matches the %s filters given "
                           "(%s(PGORM_ALL): any). Usable wherever a %s filter is; a filter "
                           "of another model than %s is refused before anything is sent.",
                           cm->type, mem, t->type, r->pred[CG_RP_WHERE], cm->type, t->type));
        cg_printf(o, "#define %s(...) \\\n", r->pred[CG_RP_WHERE]);
        cg_printf(o, "    pgorm_rel_pred_(PGORM_PRED_REL_FK, &%s, %zu, PGORM_EQ, 0, \\\n"
                     "                    PGORM_REL_KIDS_(__VA_ARGS__))\n",
                  cm->desc, r->index);
        return;
    }
    cg_comment(o, 0,
               cg_sfmt(o,
                       "Filters on %s across %s: some (_any) or no (_none) %s row of it "
                       "matches the filter given (PGORM_ALL: any row); the number of its "
                       "rows compared with n (_count_gt(n) ...), or of those the filter "
                       "matches (_count_where(PGORM_GT, n, filter)). Usable wherever a %s "
                       "filter is; a filter of another model than %s is refused before "
                       "anything is sent.",
                       cm->type, mem, t->type, cm->type, t->type));
    static const char *const kinds[] = {"PGORM_PRED_REL_ANY", "PGORM_PRED_REL_NONE"};
    for (int k = CG_RP_ANY; k <= CG_RP_NONE; k++) {
        cg_printf(o, "#define %s(...) \\\n", r->pred[k]);
        cg_printf(o,
                  "    pgorm_rel_pred_(%s, &%s, %zu, PGORM_EQ, 0, \\\n"
                  "                    PGORM_REL_KIDS_(__VA_ARGS__))\n",
                  kinds[k - CG_RP_ANY], cm->desc, r->index);
    }
    static const char *const ops[] = {"PGORM_EQ", "PGORM_NE", "PGORM_LT",
                                      "PGORM_LE", "PGORM_GT", "PGORM_GE"};
    for (int k = CG_RP_COUNT_EQ; k <= CG_RP_COUNT_GE; k++) {
        cg_printf(o, "static inline pgorm_pred %s(int64_t n)\n{\n", r->pred[k]);
        cg_printf(o,
                  "    return pgorm_rel_pred_(PGORM_PRED_REL_COUNT, &%s, %zu, %s, n, NULL, 0);\n}\n",
                  cm->desc, r->index, ops[k - CG_RP_COUNT_EQ]);
    }
    cg_printf(o, "#define %s(op, n, ...) \\\n", r->pred[CG_RP_COUNT_WHERE]);
    cg_printf(o, "    pgorm_rel_pred_(PGORM_PRED_REL_COUNT, &%s, %zu, (op), (n), \\\n"
                 "                    PGORM_REL_KIDS_(__VA_ARGS__))\n",
              cm->desc, r->index);
}

static bool any_rels(const cg_plan *p)
{
    for (size_t i = 0; i < p->nmodels; i++)
        if (p->models[i].nrels)
            return true;
    return false;
}

static void banner(cg_out *o)
{
    cg_printf(o, "\n/* ------------------------------------------------------------------ */\n");
    cg_printf(o, "/* %-66s */\n", "Relationships");
}

void cg_emit_rel_header(cg_out *o, const cg_plan *p)
{
    if (!any_rels(p))
        return;
    banner(o);
    cg_printf(o, "\n");
    cg_comment(o, 0, intro);
    for (size_t i = 0; i < p->nmodels; i++) {
        const cg_model *cm = &p->models[i];
        for (size_t j = 0; j < cm->nrels; j++) {
            const cg_rel *r = &cm->rels[j];
            cg_printf(o, "\n/* %s.%s: %s[%s] */\n", cm->type, r->field->name,
                      r->kind == PGORM_REL_FORWARD ? "ForeignKey"
                      : r->kind == PGORM_REL_MANY  ? "ManyToMany"
                                                   : "BackReference",
                      p->models[r->target].type);
            cg_comment(o, 0, doc(o, p, cm, r, false));
            signature(o, p, cm, r, CG_REL_ONE, ";\n");
            signature(o, p, cm, r, CG_REL_ONE_SYNC, ";\n");
            cg_comment(o, 0, doc(o, p, cm, r, true));
            signature(o, p, cm, r, CG_REL_MORE, ";\n");
            signature(o, p, cm, r, CG_REL_MORE_SYNC, ";\n");
            if (r->kind == PGORM_REL_MANY)
                pair_docs(o, p, cm, r);
            emit_rel_preds(o, p, cm, r);
        }
    }
}

void cg_emit_rel_source(cg_out *o, const cg_plan *p)
{
    if (!any_rels(p))
        return;
    banner(o);
    for (size_t i = 0; i < p->nmodels; i++) {
        const cg_model *cm = &p->models[i];
        for (size_t j = 0; j < cm->nrels; j++) {
            for (int fn = 0; fn < CG_REL_FN_COUNT; fn++) {
                cg_printf(o, "\n");
                signature(o, p, cm, &cm->rels[j], (cg_rel_fn)fn, "\n");
                body(o, p, cm, &cm->rels[j], (cg_rel_fn)fn);
            }
            if (cm->rels[j].kind != PGORM_REL_MANY)
                continue;
            for (int k = 0; k < 4; k++) {
                cg_printf(o, "\n");
                pair_signature(o, p, cm, &cm->rels[j], k < 2, k & 1, "\n");
                pair_body(o, cm, &cm->rels[j], k < 2, k & 1);
            }
        }
    }
}
