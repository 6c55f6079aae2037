/* Internal: typed parameters (pgorm_param) into an operation, binary. Shared
 * by the raw statements (rows.c) and the named queries (named.c).
 */
#ifndef PGORM_RUNTIME_PARAMS_H
#define PGORM_RUNTIME_PARAMS_H

#include "pgorm/pgorm.h"
#include "runtime/core/op.h"

/* Encode params[0..n) into o: the values into o->params, the libpq arrays
   (values, OIDs, lengths, formats) into one new block stored in *arrays,
   which the caller frees after the operation (also on failure). `what`
   names the call in messages. 0, or -1 with *err (PGORM_ERR_INVALID naming
   the parameter, or PGORM_ERR_NOMEM). */
int pgorm_params_encode(pgorm_op *o, void **arrays, const pgorm_param *params, int n,
                        const char *what, pgorm_error *err);

#endif
