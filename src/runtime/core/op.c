/* pgorm_op helpers shared by every builder (see op.h). */
#include <string.h>

#include "runtime/core/op.h"

void pgorm_op_init(pgorm_op *op, const pgorm_op_vtbl *vt)
{
    memset(op, 0, sizeof *op);
    op->vt = vt;
    op->params = (pgorm_buf)PGORM_BUF_INIT;
}

void pgorm_op_release(pgorm_op *op)
{
    pgorm_free(op->sql);
    op->sql = NULL;
    pgorm_buf_free(&op->params);
    op->param_types = NULL;
    op->param_values = NULL;
    op->param_lengths = NULL;
    op->param_formats = NULL;
    op->nparams = 0;
    pgorm_error_clear(&op->core_err);
}
