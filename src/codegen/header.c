/* <base>.pgorm.h: structs, column bits, typed filters and the declarations
 * of the typed calls. */
#include <string.h>

#include "codegen/emit_enum.h"
#include "codegen/emit_query.h"
#include "codegen/emit_rel.h"
#include "codegen/emit_stream.h"
#include "codegen/emit_upsert.h"
#include "codegen/gen.h"
#include "migrate/ddl.h"

static const char file_doc[] =
    "Every call below returns at once and runs its callback exactly once: with rows or a count, "
    "or with an error (borrowed: valid until the callback returns). Rows handed to a callback "
    "are owned by it: free them with <model>_rows_free(). Each call has a _sync twin that waits "
    "and returns 0, or -1 with *err filled (err may be NULL; release it with "
    "pgorm_error_clear); rows it stores in *out (out may be NULL) are owned by the caller. "
    "Arguments are borrowed for the duration of a call, except the rows given to an insert or "
    "an upsert, which must stay valid until its callback runs.\n"
    "\n"
    "In the structs a NULL pointer (bytea: data == NULL) is SQL NULL. A fixed-size value that "
    "can be NULL or has a default is followed by `bool has_<field>`: false means NULL, or "
    "DEFAULT on insert. A ForeignKey is { key; ref }, ref pointing at the related row once it "
    "is loaded; a BackReference is { items; count; loaded }.";

/* ------------------------------------------------------------------ */
/* Structs                                                             */

/* One line of a struct: a declaration and an optional comment. */
typedef struct member_line {
    int indent;
    const char *decl;
    const char *comment; /* or NULL */
} member_line;

typedef struct struct_lines {
    member_line *v;
    size_t n;
} struct_lines;

static void line(struct_lines *s, int indent, const char *decl, const char *comment)
{
    s->v[s->n++] = (member_line){indent, decl, comment};
}

/* The field as the schema declares it: "text? @unique", "ForeignKey[Author]". */
/* "name" or "name()": how a known function of @default is written. */
static bool is_call(const char *s)
{
    size_t n = 0;
    while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_')
        n++;
    return n > 0 && (s[n] == '\0' || strcmp(s + n, "()") == 0);
}

static const char *declared(cg_out *o, const cg_plan *p, const pgorm_field *f)
{
    pgorm_buf b = PGORM_BUF_INIT;
    if (f->kind == PGORM_FIELD_FOREIGN_KEY)
        pgorm_buf_printf(&b, "ForeignKey[%s]", p->models[f->target].m->name);
    else if (f->kind == PGORM_FIELD_BACK_REFERENCE)
        pgorm_buf_printf(&b, "BackReference[%s%s%s]", p->models[f->target].m->name,
                         f->target_field ? "." : "", f->target_field ? f->target_field : "");
    else if (f->kind == PGORM_FIELD_MANY_TO_MANY)
    {
        const pgorm_model *j = p->models[f->through].m;
        pgorm_buf_printf(&b, "ManyToMany[%s] @through(%s", p->models[f->target].m->name,
                         j->name);
        if (f->through_from && f->through_to)
            pgorm_buf_printf(&b, ", %s, %s", j->fields[f->through_from_fk].name,
                             j->fields[f->through_to_fk].name);
        pgorm_buf_putc(&b, ')');
    }
    else if (f->type.scalar == PGORM_S_ENUM && f->enum_name && cg_comment_safe(f->enum_name))
        pgorm_buf_puts(&b, f->enum_name);
    else
        pgorm_ddl_column_type(&b, f);
    if (f->nullable)
        pgorm_buf_putc(&b, '?');
    if (f->is_id)
        pgorm_buf_puts(&b, " @id");
    if (f->is_unique)
        pgorm_buf_puts(&b, " @unique");
    switch (f->def.kind) {
    case PGORM_DEFAULT_NONE:
        break;
    case PGORM_DEFAULT_NOW:
        pgorm_buf_puts(&b, " @default(now())");
        break;
    case PGORM_DEFAULT_STRING:
        if (f->def.text && cg_comment_safe(f->def.text) && !strchr(f->def.text, '"'))
            pgorm_buf_printf(&b, " @default(\"%s\")", f->def.text);
        else
            pgorm_buf_puts(&b, " @default");
        break;
    case PGORM_DEFAULT_SQL:
        /* a known function as written, any other expression as sql("...") */
        if (f->def.text && cg_comment_safe(f->def.text) && is_call(f->def.text))
            pgorm_buf_printf(&b, " @default(%s)", f->def.text);
        else if (f->def.text && cg_comment_safe(f->def.text) && !strchr(f->def.text, '"'))
            pgorm_buf_printf(&b, " @default(sql(\"%s\"))", f->def.text);
        else
            pgorm_buf_puts(&b, " @default");
        break;
    default:
        if (f->def.text && cg_comment_safe(f->def.text))
            pgorm_buf_printf(&b, " @default(%s)", f->def.text);
        else
            pgorm_buf_puts(&b, " @default");
    }
    static const char *const on_delete[] = {
        [PGORM_ON_DELETE_CASCADE] = "cascade",
        [PGORM_ON_DELETE_RESTRICT] = "restrict",
        [PGORM_ON_DELETE_SET_NULL] = "set_null",
    };
    if (f->kind == PGORM_FIELD_FOREIGN_KEY && f->on_delete != PGORM_ON_DELETE_NO_ACTION &&
        (size_t)f->on_delete < sizeof on_delete / sizeof on_delete[0])
        pgorm_buf_printf(&b, " @on_delete(%s)", on_delete[f->on_delete]);
    if (f->kind == PGORM_FIELD_FOREIGN_KEY && f->on_update != PGORM_ON_DELETE_NO_ACTION &&
        (size_t)f->on_update < sizeof on_delete / sizeof on_delete[0])
        pgorm_buf_printf(&b, " @on_update(%s)", on_delete[f->on_update]);
    return cg_take(o, &b);
}

static const char *has_comment(const pgorm_field *f)
{
    if (f->nullable && f->def.kind != PGORM_DEFAULT_NONE)
        return "false: DEFAULT on insert, else NULL";
    return f->nullable ? "false: NULL" : "false: DEFAULT";
}

static const char *array_null_comment(const pgorm_field *f)
{
    bool dflt = f->def.kind != PGORM_DEFAULT_NONE;
    if (f->nullable)
        return dflt ? "NULL: DEFAULT on insert, else NULL" : "NULL: NULL";
    return dflt ? "NULL: DEFAULT" : "never NULL";
}

static void struct_members(cg_out *o, const cg_plan *p, const cg_model *cm, struct_lines *s)
{
    for (size_t i = 0; i < cm->m->nfields; i++) {
        const cg_field *cf = &cm->fields[i];
        const pgorm_field *f = cf->field;
        const char *what = declared(o, p, f);
        if (f->kind == PGORM_FIELD_SCALAR && cf->count) {
            const char *et = cf->col->ct->c;
            size_t n = strlen(et);
            line(s, 4,
                 cg_decl(o, cg_sfmt(o, "%s%s", et, n && et[n - 1] == '*' ? "*" : " *"),
                         cf->member),
                 cg_sfmt(o, "%s; elements, %s", what, array_null_comment(f)));
            line(s, 4, cg_sfmt(o, "size_t %s", cf->count), "its number of elements");
            continue;
        }
        if (f->kind == PGORM_FIELD_SCALAR) {
            line(s, 4, cg_decl(o, cf->col->ct->c, cf->member), what);
            if (cf->has)
                line(s, 4, cg_sfmt(o, "bool %s", cf->has), has_comment(f));
            continue;
        }
        const char *target = p->models[cf->rel->target].type;
        line(s, 4, "struct {", NULL);
        if (f->kind == PGORM_FIELD_FOREIGN_KEY) {
            line(s, 8, cg_decl(o, cf->col->ct->c, "key"), cg_sfmt(o, "column %s", f->column));
            if (cf->col->has)
                line(s, 8, "bool has_key", has_comment(f));
            line(s, 8, cg_sfmt(o, "%s *ref", target), "NULL until loaded");
        } else {
            line(s, 8, cg_sfmt(o, "%s *items", target), NULL);
            line(s, 8, "size_t count", NULL);
            line(s, 8, "bool loaded", "true once filled");
        }
        line(s, 4, cg_sfmt(o, "} %s", cf->member), what);
    }
}

static void emit_struct(cg_out *o, const cg_plan *p, const cg_model *cm)
{
    struct_lines s = {pgorm_arena_calloc(o->arena, 5 * cm->m->nfields + 1, sizeof *s.v), 0};
    if (!s.v) {
        o->b.oom = true;
        return;
    }
    struct_members(o, p, cm, &s);
    /* Comments line up one column right of the longest declaration (one
       space after a longer one). */
    size_t col = 0;
    for (size_t i = 0; i < s.n; i++) {
        size_t end = (size_t)s.v[i].indent + strlen(s.v[i].decl) + 1;
        if (s.v[i].comment && end + 1 > col && end + 1 <= 40)
            col = end + 1;
    }
    cg_printf(o, "struct %s {\n", cm->type);
    for (size_t i = 0; i < s.n; i++) {
        const member_line *l = &s.v[i];
        bool brace = l->decl[strlen(l->decl) - 1] == '{';
        size_t end = (size_t)l->indent + strlen(l->decl) + (brace ? 0 : 1);
        size_t pad = end < col ? col - end : 1;
        bool inline_comment = l->comment && end + pad + strlen(l->comment) + 6 <= CG_WIDTH;
        if (l->comment && !inline_comment)
            cg_printf(o, "%*s/* %s */\n", l->indent, "", l->comment);
        cg_printf(o, "%*s%s%s", l->indent, "", l->decl, brace ? "" : ";");
        if (inline_comment)
            cg_printf(o, "%*s/* %s */", (int)pad, "", l->comment);
        cg_printf(o, "\n");
    }
    cg_printf(o, "};\n");
}

/* ------------------------------------------------------------------ */
/* Column bits                                                         */

static void emit_macros(cg_out *o, const cg_model *cm)
{
    size_t w = strlen(cm->all);
    for (size_t i = 0; i < cm->ncols; i++)
        if (strlen(cm->cols[i].macro) > w)
            w = strlen(cm->cols[i].macro);
    cg_printf(o, "/* %s's columns as bits: %s names a set of them. */\n", cm->type,
              cm->ncols > 1 ? cg_sfmt(o, "%s | %s", cm->cols[0].macro, cm->cols[1].macro)
                            : cm->all);
    for (size_t i = 0; i < cm->ncols; i++)
        cg_printf(o, "#define %-*s ((uint64_t)1 << %zu)\n", (int)w, cm->cols[i].macro, i);
    uint64_t all = cm->ncols == 64 ? UINT64_MAX : ((uint64_t)1 << cm->ncols) - 1;
    cg_printf(o, "#define %-*s ((uint64_t)0x%llx)\n", (int)w, cm->all, (unsigned long long)all);
}

/* ------------------------------------------------------------------ */
/* Typed filters                                                       */

static const char *const pred_kind[CG_OP_COUNT] = {
    [CG_EQ] = "PGORM_PRED_CMP",
    [CG_NE] = "PGORM_PRED_CMP",
    [CG_LT] = "PGORM_PRED_CMP",
    [CG_LE] = "PGORM_PRED_CMP",
    [CG_GT] = "PGORM_PRED_CMP",
    [CG_GE] = "PGORM_PRED_CMP",
    [CG_IN] = "PGORM_PRED_IN",
    [CG_LIKE] = "PGORM_PRED_LIKE",
    [CG_ILIKE] = "PGORM_PRED_ILIKE",
    [CG_IS_NULL] = "PGORM_PRED_IS_NULL",
    [CG_NOT_NULL] = "PGORM_PRED_NOT_NULL",
    [CG_HAS] = "PGORM_PRED_ARRAY_HAS",
    [CG_CONTAINS] = "PGORM_PRED_ARRAY_CONTAINS",
    [CG_OVERLAPS] = "PGORM_PRED_ARRAY_OVERLAPS",
};

static const char *const cmp_op[CG_OP_COUNT] = {
    [CG_EQ] = "PGORM_EQ", [CG_NE] = "PGORM_NE", [CG_LT] = "PGORM_LT",
    [CG_LE] = "PGORM_LE", [CG_GT] = "PGORM_GT", [CG_GE] = "PGORM_GE",
};

static void emit_pred(cg_out *o, const cg_model *cm, const cg_col *c, cg_op op)
{
    const char *params;
    cg_list body = {0};
    cg_list_add(o, &body, ".kind = %s", pred_kind[op]);
    if (cmp_op[op])
        cg_list_add(o, &body, ".op = %s", cmp_op[op]);
    cg_list_add(o, &body, ".model = &%s", cm->desc);
    cg_list_add(o, &body, ".column = %zu", c->index);
    switch (op) {
    case CG_IN:
    case CG_CONTAINS:
    case CG_OVERLAPS:
        params = cg_sfmt(o, "%svalues, size_t n", c->ct->array);
        cg_list_add(o, &body, ".array = values");
        cg_list_add(o, &body, ".n = n");
        break;
    case CG_LIKE:
    case CG_ILIKE:
        params = "const char *pattern";
        cg_list_add(o, &body, ".value.s = pattern");
        break;
    case CG_IS_NULL:
    case CG_NOT_NULL:
        params = "void";
        break;
    default:
        params = cg_decl(o, c->ct->param, "v");
        cg_list_add(o, &body, ".value.%s = v", c->ct->value);
    }
    cg_printf(o, "static inline pgorm_pred %s(%s)\n{\n", c->pred[op], params);
    cg_wrap(o, "    return (pgorm_pred){", &body, ",", "};");
    cg_printf(o, "\n}\n");
}

static void emit_preds(cg_out *o, const cg_plan *p, const cg_model *cm)
{
    if (cm->ncols == 0)
        return;
    cg_printf(o, "\n");
    cg_comment(o, 0,
               cg_sfmt(o,
                       "Filters on %s's columns, for %s.where, %s and the _where calls; "
                       "combine them with PGORM_AND, PGORM_OR and PGORM_NOT. A string or "
                       "array argument is borrowed: it must stay valid until the call "
                       "that takes the filter returns.",
                       cm->type, cm->query, cm->fn[CG_COUNT]));
    for (size_t i = 0; i < cm->ncols; i++) {
        const cg_col *c = &cm->cols[i];
        cg_printf(o, "\n/* %s.%s: %s%s */\n", cm->type, c->field->name, declared(o, p, c->field),
                  c->field->kind == PGORM_FIELD_FOREIGN_KEY ? ", by its key" : "");
        for (int op = 0; op < CG_OP_COUNT; op++)
            if (c->pred[op])
                emit_pred(o, cm, c, (cg_op)op);
    }
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */

static const char *fn_doc(cg_out *o, const cg_model *cm, cg_fn fn)
{
    const char *bit = cm->cols[cm->ncols > 1 ? 1 : 0].macro;
    switch (fn) {
    case CG_INSERT:
        return "Inserts n rows in one statement. `rows` must stay valid until the callback "
               "runs: the keys and defaults the server generated are written back into it. The "
               "callback gets the inserted rows, in input order.";
    case CG_FIND:
        return cg_sfmt(o,
                       "The rows q selects: .where (the filters below), .order (columns "
                       "as bits, e.g. %s), .limit, .offset, .columns (read only these and the "
                       "key: rows->columns says which are filled), and .fetch_links to fill "
                       "the relations in the same statement.",
                       bit);
    case CG_GET:
        return "The row with this primary key: the callback gets 0 or 1 rows.";
    case CG_COUNT:
        return "Counts the rows that `where` matches (a zero pgorm_pred: every row).";
    case CG_UPDATE:
        return cg_sfmt(o,
                       "Sets the `columns` (bits such as %s) of the row with row's "
                       "primary key to row's values. The count is the number of rows "
                       "updated: 0 or 1.",
                       bit);
    case CG_UPDATE_WHERE:
        return "Sets the `columns` of every row that `where` matches (a zero pgorm_pred: every "
               "row) to the values in *values. The count is the number of rows updated.";
    case CG_DELETE:
        return "Deletes the row with row's primary key. The count is 0 or 1.";
    case CG_DELETE_WHERE:
        return "Deletes the rows that `where` matches. The count is the number of rows deleted.";
    default:
        return NULL;
    }
}

static void emit_calls(cg_out *o, const cg_model *cm)
{
    cg_printf(o, "\n");
    cg_comment(o, 0,
               cg_sfmt(o,
                       "Rows of one result. The struct, its items and everything they "
                       "point to live in `result`: %s() frees them all.",
                       cm->fn[CG_ROWS_FREE]));
    cg_printf(o,
              "typedef struct %s {\n    %s *items;\n    size_t count;\n"
              "    pgorm_result *result;\n"
              "    bool *inserted; /* upsert: items[i] was inserted (else updated); NULL "
              "otherwise */\n"
              "    uint64_t columns; /* read into items (column bits): all unless .columns "
              "chose */\n} %s;\n\n",
              cm->rows, cm->type, cm->rows);
    cg_printf(o, "/* Runs once: with rows (owned by the callback) and err NULL, or with rows "
                 "NULL and an error. */\n");
    cg_printf(o, "typedef void (*%s)(%s *rows, const pgorm_error *err, void *ud);\n\n", cm->rows_cb,
              cm->rows);
    cg_printf(o, "/* Frees rows and everything they hold. NULL is fine. */\n");
    cg_signature(o, cm, CG_ROWS_FREE, ";\n");
    for (int fn = CG_INSERT; fn < CG_FN_COUNT; fn++) {
        if (!cg_has_fn(cm, (cg_fn)fn))
            continue;
        const char *doc = fn_doc(o, cm, (cg_fn)fn);
        if (doc) {
            cg_printf(o, "\n");
            cg_comment(o, 0, doc);
        }
        cg_signature(o, cm, (cg_fn)fn, ";\n");
    }
}

/* ------------------------------------------------------------------ */

static void emit_model(cg_out *o, const cg_plan *p, const cg_model *cm)
{
    cg_printf(o, "\n/* ------------------------------------------------------------------ */\n");
    if (cm->m->schema && cg_comment_safe(cm->m->table) && cg_comment_safe(cm->m->schema))
        cg_printf(o, "/* %s: table \"%s\".\"%s\" */\n\n", cm->type, cm->m->schema, cm->m->table);
    else if (cg_comment_safe(cm->m->table))
        cg_printf(o, "/* %s: table \"%s\" */\n\n", cm->type, cm->m->table);
    else
        cg_printf(o, "/* %s */\n\n", cm->type);
    emit_macros(o, cm);
    cg_printf(o, "\n");
    emit_struct(o, p, cm);
    cg_printf(o, "\n/* What the generic runtime knows of %s: columns, keys, relations. */\n",
              cm->type);
    cg_printf(o, "extern const pgorm_model_desc %s;\n\n", cm->desc);
    cg_printf(o, "/* .where, .order, .limit, .offset, .columns, .fetch_links: see pgorm_query. "
                 "*/\n");
    cg_printf(o, "typedef pgorm_query %s;\n", cm->query);
    emit_calls(o, cm);
    cg_emit_upsert_decls(o, cm);
    cg_emit_stream_decls(o, cm);
    emit_preds(o, p, cm);
    cg_emit_upsert_preds(o, cm);
}

void cg_emit_header(cg_out *o, const cg_plan *p)
{
    cg_banner(o, p);
    cg_comment(o, 0, file_doc);
    cg_printf(o, "\n#ifndef %s\n#define %s\n\n#include <pgorm/pgorm.h>\n\n", p->guard, p->guard);
    for (size_t i = 0; i < p->nmodels; i++)
        cg_printf(o, "typedef struct %s %s;\n", p->models[i].type, p->models[i].type);
    cg_emit_enum_header(o, p);
    for (size_t i = 0; i < p->nmodels; i++)
        emit_model(o, p, &p->models[i]);
    cg_emit_rel_header(o, p);
    cg_emit_query_header(o, p);
    cg_printf(o, "\n#endif\n");
}
