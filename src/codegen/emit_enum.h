/* The generated code of schema enums (emit_enum.c): per enum, the C enum
 * (`typedef enum Status { STATUS_DRAFT, ... } Status;`) and its helpers
 * status_name(v) -> "draft" and status_from_name("draft", &v) -> true;
 * in the source, the labels that the columns' descriptors share.
 */
#ifndef PGORM_CODEGEN_EMIT_ENUM_H
#define PGORM_CODEGEN_EMIT_ENUM_H

#include "codegen/emit.h"
#include "codegen/plan.h"

/* Header: every enum, before the models that use them. */
void cg_emit_enum_header(cg_out *o, const cg_plan *p);
/* Source: the labels and the helpers, before the descriptors. */
void cg_emit_enum_source(cg_out *o, const cg_plan *p);

#endif
