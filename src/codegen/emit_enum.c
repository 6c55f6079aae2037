#include "codegen/emit_enum.h"

#include <string.h>

void cg_emit_enum_header(cg_out *o, const cg_plan *p)
{
    for (size_t i = 0; i < p->nenums; i++) {
        const cg_enum *ce = &p->enums[i];
        const pgorm_enum *e = ce->e;
        cg_printf(o, "\n");
        cg_comment(o, 0,
                   cg_sfmt(o,
                           "enum %s: the values of the SQL enum type %s, in its order (filters "
                           "such as _lt compare by it). %s() gives a value's label, %s() the "
                           "value of a label.",
                           cg_comment_safe(e->name) ? e->name : ce->type,
                           cg_comment_safe(ce->sql_type) ? ce->sql_type : "", ce->name_fn,
                           ce->from_fn));
        cg_printf(o, "typedef enum %s {\n", ce->type);
        for (size_t k = 0; k < e->nvalues; k++) {
            if (cg_comment_safe(e->values[k].name))
                cg_printf(o, "    %s, /* '%s' */\n", ce->consts[k], e->values[k].name);
            else
                cg_printf(o, "    %s,\n", ce->consts[k]);
        }
        cg_printf(o, "} %s;\n", ce->type);
        cg_printf(o,
                  "_Static_assert(sizeof(%s) == sizeof(int), \"pgorm stores an enum value as "
                  "an int\");\n",
                  ce->type);
        cg_printf(o, "/* The label of v (\"%s\"), or NULL when v is not a value of %s. */\n",
                  e->nvalues && cg_comment_safe(e->values[0].name) ? e->values[0].name : "",
                  ce->type);
        cg_printf(o, "const char *%s(%s v);\n", ce->name_fn, ce->type);
        cg_printf(o, "/* The value whose label is `name`: true with *out set, or false (*out "
                     "untouched). */\n");
        cg_printf(o, "bool %s(const char *name, %s *out);\n", ce->from_fn, ce->type);
    }
}

void cg_emit_enum_source(cg_out *o, const cg_plan *p)
{
    if (p->nenums == 0)
        return;
    cg_printf(o, "#include <string.h>\n");
    for (size_t i = 0; i < p->nenums; i++) {
        const cg_enum *ce = &p->enums[i];
        const pgorm_enum *e = ce->e;
        cg_printf(o, "\n/* ------------------------------------------------------------------ */"
                     "\n/* enum %s */\n\n",
                  ce->type);
        cg_list l = {0};
        for (size_t k = 0; k < e->nvalues; k++) {
            cg_out tmp = {PGORM_BUF_INIT, o->arena};
            cg_c_string(&tmp, e->values[k].name);
            cg_list_add(o, &l, "%s", cg_take(o, &tmp.b));
        }
        cg_wrap(o, cg_sfmt(o, "static const char *const %s[] = {", ce->labels_var), &l, ",",
                "};\n\n");
        cg_printf(o,
                  "const char *%s(%s v)\n{\n"
                  "    return (int)v >= 0 && (int)v < %zu ? %s[v] : NULL;\n}\n\n",
                  ce->name_fn, ce->type, e->nvalues, ce->labels_var);
        cg_printf(o,
                  "bool %s(const char *name, %s *out)\n{\n"
                  "    for (int i = 0; name && i < %zu; i++) {\n"
                  "        if (strcmp(%s[i], name) == 0) {\n"
                  "            *out = (%s)i;\n"
                  "            return true;\n"
                  "        }\n"
                  "    }\n"
                  "    return false;\n}\n",
                  ce->from_fn, ce->type, e->nvalues, ce->labels_var, ce->type);
    }
}
