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

#endif
