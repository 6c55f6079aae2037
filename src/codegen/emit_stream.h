/* The generated code of streaming finds (emit_stream.c): per model, the
 * callback type <Model>StreamCb and the call <model>_stream over
 * pgorm_find_stream.
 */
#ifndef PGORM_CODEGEN_EMIT_STREAM_H
#define PGORM_CODEGEN_EMIT_STREAM_H

#include "codegen/emit.h"
#include "codegen/plan.h"

/* Header: the callback type and the call, documented (after the upsert). */
void cg_emit_stream_decls(cg_out *o, const cg_model *cm);
/* Source: the trampoline and the call (after the upsert's). */
void cg_emit_stream_defs(cg_out *o, const cg_model *cm);

#endif
