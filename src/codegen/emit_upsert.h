/* The generated code of upsert (emit_upsert.c): per model, the typed calls
 * <model>_upsert and <model>_upsert_sync, the predicates that compare a
 * stored column with the incoming row (<model>_<column>_lt_excluded()...),
 * and the constraint names of its unique sets in the descriptor.
 */
#ifndef PGORM_CODEGEN_EMIT_UPSERT_H
#define PGORM_CODEGEN_EMIT_UPSERT_H

#include "codegen/emit.h"
#include "codegen/plan.h"

/* Header: the declarations of the two calls, with their documentation
   (after the model's other calls). */
void cg_emit_upsert_decls(cg_out *o, const cg_model *cm);
/* Header: the _excluded predicates (after the model's filters). */
void cg_emit_upsert_preds(cg_out *o, const cg_model *cm);
/* Source: the array of constraint names (before the descriptor), and the
   descriptor's line that points at it (inside the descriptor). */
void cg_emit_unique_names(cg_out *o, const cg_model *cm);
void cg_emit_unique_names_field(cg_out *o, const cg_model *cm);
/* Source: the definitions of the two calls (after the model's helpers). */
void cg_emit_upsert_defs(cg_out *o, const cg_model *cm);

#endif
