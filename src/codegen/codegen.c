#include "codegen/codegen.h"

#include <stdio.h>

#include "codegen/gen.h"

pgorm_codegen_status pgorm_codegen(const pgorm_schema *s, const char *base, char **header,
                                   char **source, pgorm_diag *diag)
{
    *header = NULL;
    *source = NULL;
    cg_plan p;
    pgorm_codegen_status st = cg_plan_build(&p, s, base, diag);
    if (st == PGORM_CODEGEN_OK) {
        cg_out h = {PGORM_BUF_INIT, &p.arena};
        cg_out c = {PGORM_BUF_INIT, &p.arena};
        cg_emit_header(&h, &p);
        cg_emit_source(&c, &p);
        *header = pgorm_buf_steal(&h.b);
        *source = pgorm_buf_steal(&c.b);
        if (!*header || !*source) {
            pgorm_free(*header);
            pgorm_free(*source);
            *header = *source = NULL;
            diag->pos = (pgorm_pos){0, 0};
            snprintf(diag->message, sizeof diag->message, "out of memory");
            st = PGORM_CODEGEN_NOMEM;
        }
    }
    cg_plan_free(&p);
    return st;
}
