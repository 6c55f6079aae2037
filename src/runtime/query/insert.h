/* Internal: the parts of the multi-row insert (insert.c) that upsert
 * (upsert.c) builds on: the unnest-based row source and the write-back of
 * returned values into the caller's structs.
 */
#ifndef PGORM_RUNTIME_INSERT_H
#define PGORM_RUNTIME_INSERT_H

#include <stddef.h>
#include <stdint.h>

#include "pgorm/pgorm.h"
#include "runtime/query/sql.h"

/* The columns an insert sends: every column but the generated (serial)
   ones, plus those of `also` (e.g. a generated key named as an upsert's
   conflict target). */
uint64_t pgorm_insert_sent(const pgorm_model_desc *m, uint64_t also);

/* Append, after "INSERT INTO <table>[ AS alias]":
     " (c1, c2, ...) SELECT u.c1, COALESCE(u.c2, <default>), ...
      FROM unnest($k::type[], ...) WITH ORDINALITY AS u(c1, ..., ord)
      ORDER BY u.ord"
   for the columns of `send` (model order; one array parameter each, from
   the n structs at rows), or, when send is 0, " SELECT FROM
   generate_series(1, n) AS u(ord) ORDER BY u.ord" (n rows of defaults).
   A sent column with PGORM_COL_DEFAULT whose value is unset gets its
   default_sql. Fails b (PGORM_ERR_INVALID) for a defaulted column without
   default_sql or a value that cannot be encoded. */
void pgorm_insert_select(pgorm_sqlb *b, const void *rows, size_t n, uint64_t send);

/* Copy every fixed-size column value (with its has_ flag) of the struct at
   src into the struct at dst, both of model m. char * and bytea fields of
   dst are left as they are (src's live in a result's arena). */
void pgorm_write_back(const pgorm_model_desc *m, void *dst, const void *src);

#endif
