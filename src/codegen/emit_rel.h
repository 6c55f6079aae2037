/* The relationship calls of the generated code (emit_rel.c): the header
 * declares them after every model, the source defines them at its end. */
#ifndef PGORM_CODEGEN_EMIT_REL_H
#define PGORM_CODEGEN_EMIT_REL_H

#include "codegen/gen.h"

void cg_emit_rel_header(cg_out *o, const cg_plan *p);
void cg_emit_rel_source(cg_out *o, const cg_plan *p);

#endif
