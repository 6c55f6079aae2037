/* Named queries against a live server (describe.c), for check --database
 * and gen --database. Blocking libpq: this is the command-line tool. */
#ifndef PGORM_CLI_DESCRIBE_H
#define PGORM_CLI_DESCRIBE_H

#include <libpq-fe.h>

#include "pgorm/schema.h"

/* DATABASE_URL, else libpq's PG* variables; NULL after printing why
   ("pgorm <cmd>: cannot connect ..."). */
PGconn *cli_connect(const char *cmd);

/* Prepare and describe every query of s, comparing parameter and result
   types, column names and counts with the file; each problem printed as
   path:line:col. The number of problems, or -1 when the connection failed. */
int cli_check_queries(PGconn *c, const char *path, const pgorm_schema *s);

/* For each query without `returns`: its result columns as the server
   describes them (nullable, since the server does not say), into s. The
   number of problems printed, or -1 (connection lost, out of memory). */
int cli_describe_queries(PGconn *c, const char *path, pgorm_schema *s);

#endif
