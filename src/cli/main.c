/* pgorm — command line: gen, check, migrate, pull, diagram. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int usage(FILE *f)
{
    fputs("usage:\n"
          "  pgorm gen SCHEMA -o DIR [--database]\n"
          "                                write DIR/<schema>.pgorm.h and .c\n"
          "  pgorm check SCHEMA [--database]\n"
          "                                validate; errors as file:line:col\n"
          "  pgorm migrate make --schema SCHEMA --dir DIR --name NAME [--allow-data-loss]\n"
          "  pgorm migrate up     --dir DIR [--to VERSION]\n"
          "  pgorm migrate down   --dir DIR [--steps N] [--allow-changed-down]\n"
          "  pgorm migrate redo   --dir DIR [--allow-changed-down]\n"
          "  pgorm migrate status --dir DIR\n"
          "  pgorm migrate history --dir DIR\n"
          "  pgorm pull [-o FILE] [--force]\n"
          "                                write a schema file from the database\n"
          "  pgorm diagram SCHEMA [-o FILE.svg|FILE.dot|-]\n"
          "                                entity-relationship diagram (SVG by Graphviz's\n"
          "                                dot); DOT text on stdout without -o\n"
          "  pgorm --version\n"
          "The database is DATABASE_URL, else libpq's PG* variables.\n"
          "Exit codes: 0 success, 1 user error, 2 database or I/O error.\n",
          f);
    return f == stderr ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *cmd = argv[1];
    if (strcmp(cmd, "gen") == 0)
        return pgorm_cli_gen(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return pgorm_cli_check(argc - 1, argv + 1);
    if (strcmp(cmd, "migrate") == 0)
        return pgorm_cli_migrate(argc - 1, argv + 1);
    if (strcmp(cmd, "pull") == 0)
        return pgorm_cli_pull(argc - 1, argv + 1);
    if (strcmp(cmd, "diagram") == 0)
        return pgorm_cli_diagram(argc - 1, argv + 1);
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("pgorm %s\n", PGORM_VERSION);
        return 0;
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0)
        return usage(stdout);
    fprintf(stderr, "pgorm: unknown command '%s'\n", cmd);
    return usage(stderr);
}
