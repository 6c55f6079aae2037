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

/* A table or type of an SQL schema: "schema"."name", or "name" when schema
   is NULL or empty. Every table name that goes into SQL goes through this
   (or pgorm_sql_qualified). */
void pgorm_sql_qname(pgorm_buf *b, const char *schema, const char *name);

/* The same for a name spelled as the migration catalog spells it: "name"
   for an object of public, "schema.name" otherwise (the part before the
   first '.' is the schema: schema names never hold one, and a public name
   that does is spelled "public.a.b"). */
void pgorm_sql_qualified(pgorm_buf *b, const char *qname);
/* The object's name without its schema: "book" for "app.book". Borrowed. */
const char *pgorm_sql_base_name(const char *qname);
/* Its schema into out ("app"; "" for public); out holds 64 bytes. */
void pgorm_sql_schema_of(const char *qname, char out[64]);

#endif
