/* Placeholders while the subcommands are being written: weak, so the real
   definitions in gen.c / check.c replace them at link time. */
#include <stdio.h>

#include "cli/cli.h"

__attribute__((weak)) int pgorm_cli_gen(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("pgorm gen: not built yet\n", stderr);
    return 1;
}

__attribute__((weak)) int pgorm_cli_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("pgorm check: not built yet\n", stderr);
    return 1;
}
