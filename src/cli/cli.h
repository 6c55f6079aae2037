/* Subcommands of the pgorm command line. Each takes argv from the
   subcommand's name on and returns the process exit code:
   0 success, 1 user error, 2 database or I/O error. */
#ifndef PGORM_CLI_H
#define PGORM_CLI_H

int pgorm_cli_gen(int argc, char **argv);     /* cli/gen.c */
int pgorm_cli_check(int argc, char **argv);   /* cli/check.c */
int pgorm_cli_migrate(int argc, char **argv); /* cli/migrate.c */
int pgorm_cli_pull(int argc, char **argv);    /* cli/pull.c */
int pgorm_cli_diagram(int argc, char **argv); /* cli/diagram.c */

/* Print schema diagnostics as "file:line:col: message" on stderr, at most
   `max` of them (the diagnostics array holds that many), then how many
   more there were (cli/diags.c). */
#include <stddef.h>

#include "pgorm/schema.h"
void cli_print_diags(const char *file, const pgorm_diag *d, size_t nd, size_t max);

#endif
