/* The two emitters, and what they share. */
#ifndef PGORM_CODEGEN_GEN_H
#define PGORM_CODEGEN_GEN_H

#include "codegen/emit.h"
#include "codegen/plan.h"

void cg_emit_header(cg_out *o, const cg_plan *p);
void cg_emit_source(cg_out *o, const cg_plan *p);

/* The first line of both files. */
void cg_banner(cg_out *o, const cg_plan *p);

/* The prototype of a model's function (without a terminator): the header
   declares it with tail ";\n", the source defines it with tail "\n". */
void cg_signature(cg_out *o, const cg_model *cm, cg_fn fn, const char *tail);

/* Whether the model has this function (get, update and delete need a
   primary key). */
bool cg_has_fn(const cg_model *cm, cg_fn fn);

/* The _sync twins, and the calls that return rows (insert, find, get; the
   others return a count). */
bool cg_fn_sync(cg_fn fn);
bool cg_fn_rows(cg_fn fn);

/* "int64_t id", "const char *isbn": a declaration of `name` with type `type`. */
const char *cg_decl(cg_out *o, const char *type, const char *name);

#endif
