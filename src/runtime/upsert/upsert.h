/* Internal: the two halves of pgorm_upsert_rows.
 *
 * upsert_sql.c checks the options against the model (the conflict target
 * must be one of its unique sets, the update mask must make sense) and
 * writes the statement; upsert.c runs it: drops duplicate conflict keys
 * before sending (last one wins), then matches the returned rows to the
 * inputs by conflict key, records each row's outcome and writes values back.
 */
#ifndef PGORM_RUNTIME_UPSERT_H
#define PGORM_RUNTIME_UPSERT_H

#include <stddef.h>
#include <stdint.h>

#include "pgorm/pgorm.h"
#include "runtime/query/sql.h"

typedef struct upsert_target {
    uint64_t conflict;      /* the conflict target's columns */
    const char *constraint; /* its name when the caller gave one (borrowed), else NULL */
    uint64_t send;          /* the columns sent: pgorm_insert_sent(m, conflict) */
} upsert_target;

/* Check opts (not NULL; one conflict target that is a unique set of b->m;
   do_nothing without update or where; update naming columns of the model
   that can be set) and fill *t. A refusal fails b with a message that names
   what is wrong and what would be valid. */
void pgorm_upsert_target(pgorm_sqlb *b, const pgorm_upsert *opts, upsert_target *t);

/* The statement for the n structs at rows (whose conflict keys are set and
   distinct), after pgorm_upsert_target: INSERT ... ON CONFLICT ...
   RETURNING <every column of the model>, then one bool column: true
   inserted, false updated, NULL an existing row (return_existing). */
void pgorm_upsert_build(pgorm_sqlb *b, const pgorm_upsert *opts, const upsert_target *t,
                        const void *rows, size_t n);

#endif
