/* Split a migration file into statements, so each runs on its own and a
 * failure names the statement and its line.
 *
 * A statement ends at a ';' outside quotes ('...', E'...', "..."),
 * dollar-quoted strings ($$...$$, $tag$...$tag$) and comments (-- to the end
 * of the line, and nested C-style block comments). Leading whitespace and comments are not part of a
 * statement; a file's tail with no ';' is a last statement when it holds
 * anything but whitespace and comments.
 */
#ifndef PGORM_MIGRATE_SQLSPLIT_H
#define PGORM_MIGRATE_SQLSPLIT_H

#include <stddef.h>

typedef struct mig_stmt {
    size_t offset; /* of the statement's first byte in the file */
    size_t len;    /* through its ';' */
    int line;      /* 1-based line of its first byte */
} mig_stmt;

/* The statements of sql[0..len). Returns a new array (pgorm_free) and its
   length in *n; NULL with *n = 0 when there is none, NULL with *n = 1 on
   OOM. */
mig_stmt *mig_sql_split(const char *sql, size_t len, size_t *n);

/* Line and column (1-based, columns in characters) in the file of the
   1-based character position `pos` of a server error in statement s. */
void mig_sql_position(const char *sql, const mig_stmt *s, int pos, int *line, int *col);

#endif
