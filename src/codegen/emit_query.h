/* The generated code of named queries (emit_query.c): per `query` block,
 * the row struct, <Name>Rows, <Name>RowsCb, the result columns' descriptor
 * and the calls <name>, <name>_sync and <name>_rows_free over
 * pgorm_query_rows.
 */
#ifndef PGORM_CODEGEN_EMIT_QUERY_H
#define PGORM_CODEGEN_EMIT_QUERY_H

#include "codegen/emit.h"
#include "codegen/plan.h"

/* Header: every query's types and calls (after the relationship calls). */
void cg_emit_query_header(cg_out *o, const cg_plan *p);
/* Source: every query's SQL, descriptor and calls (at the end). */
void cg_emit_query_source(cg_out *o, const cg_plan *p);

#endif
