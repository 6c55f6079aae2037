/* Rendering a diff as an up migration and the down migration that reverses
 * it exactly.
 *
 * The diff becomes steps, each an up statement group and its exact inverse.
 * Steps are ordered in phases so dependencies hold:
 *  -1 drop checks (changed and dropped ones, under the old table name): in
 *     the down file they come back last, when the old names their
 *     definitions use are back
 *   0 renames (tables, then columns): everything after uses the new names
 *   1 drop foreign keys (changed ones, and every one of a dropped table)
 *   2 drop indexes, unique constraints, primary keys
 *   3 drop tables
 *   4 drop columns
 *   5 alter columns: old default off, type (and the serial's sequence),
 *     NULL, new default on
 *   6 add columns
 *   7 add primary keys, unique constraints, indexes, then checks
 *   8 create tables (a table after those its foreign keys point at, the
 *     foreign keys inline; one closing a cycle waits for phase 9), each
 *     followed by its indexes
 *   9 add foreign keys
 * and the down file is the inverses in reverse order, so it holds the same
 * dependencies the other way round. A dropped table or column comes back
 * with its type, NULL, default, keys, indexes and foreign keys, but not its
 * rows; the down file says so in a comment (and a NOT NULL column with no
 * default comes back filled with a placeholder: 0, '', false, ...).
 *
 * Names of new constraints and indexes follow the DDL (pgorm_constraint_name),
 * made unique against every name the database already uses. The output is
 * a pure function of the inputs: the same diff gives byte-identical files.
 */
#ifndef PGORM_MIGRATE_RENDER_H
#define PGORM_MIGRATE_RENDER_H

#include <stdbool.h>

#include "migrate/diff.h"

/* `title` ("<version>_<name>") heads both files. *up and *down are new
   strings (pgorm_free). Returns false on OOM. */
bool mig_render(const mig_diff *d, const char *title, char **up, char **down);

#endif
