/* Schema diagnostics on stderr, as every subcommand prints them. */
#include <stdio.h>

#include "cli/cli.h"

void cli_print_diags(const char *file, const pgorm_diag *d, size_t nd, size_t max)
{
    size_t shown = nd < max ? nd : max;
    for (size_t i = 0; i < shown; i++) {
        if (d[i].pos.line > 0)
            fprintf(stderr, "%s:%d:%d: %s\n", file, d[i].pos.line, d[i].pos.col, d[i].message);
        else
            fprintf(stderr, "%s: %s\n", file, d[i].message);
    }
    if (nd > shown)
        fprintf(stderr, "%s: %zu more errors not shown\n", file, nd - shown);
}
