/* The one function that writes an SQL identifier and the one that writes an
 * SQL string literal. Identifiers are always double-quoted (so any name, a
 * keyword like "order" or "User" included, is safe and keeps its case);
 * literals are single-quoted with quotes doubled (standard_conforming_strings
 * is on in every supported server).
 */
#ifndef PGORM_UTIL_SQLQ_H
#define PGORM_UTIL_SQLQ_H

#include "util/buf.h"

void pgorm_sql_ident(pgorm_buf *b, const char *name);
void pgorm_sql_literal(pgorm_buf *b, const char *s);

#endif
