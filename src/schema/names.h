/* Names of constraints and indexes, shared by the DDL (migrate/) and the
 * runtime's upsert (which accepts a conflict target by its constraint name).
 */
#ifndef PGORM_SCHEMA_NAMES_H
#define PGORM_SCHEMA_NAMES_H

#include <stddef.h>

/* PostgreSQL's NAMEDATALEN: a name is at most 63 bytes plus the NUL. */
#define PGORM_NAME_SIZE 64

/* PostgreSQL's own convention, "<table>_<col1>_<col2>_<suffix>" (no
   columns: "<table>_<suffix>"), written unquoted into `out`. When that is
   longer than 63 bytes, the "<table>_<cols>" part is cut (at a UTF-8
   character boundary) and "_<8 hex digits of a hash of the full name>" is
   inserted before "_<suffix>", so the result is <= 63 bytes, stable across
   runs and platforms, and distinct for distinct long names. All arguments
   borrowed; `columns` may be NULL when ncolumns is 0. */
void pgorm_constraint_name(char out[PGORM_NAME_SIZE], const char *table,
                           const char *const *columns, size_t ncolumns, const char *suffix);

#endif
