#include <stdio.h>

#include "cli/cli.h"

int pgorm_cli_migrate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("pgorm migrate: not built yet\n", stderr);
    return 1;
}
