/* pgorm gen: a schema in, the text of <base>.pgorm.h and <base>.pgorm.c out.
 *
 * The output depends on nothing but the schema and `base` (no time, no
 * path, no environment), so the same input always gives the same bytes.
 */
#ifndef PGORM_CODEGEN_CODEGEN_H
#define PGORM_CODEGEN_CODEGEN_H

#include "pgorm/schema.h"

typedef enum pgorm_codegen_status {
    PGORM_CODEGEN_OK = 0,
    PGORM_CODEGEN_INVALID, /* the schema cannot be turned into C: *diag says why */
    PGORM_CODEGEN_NOMEM,
} pgorm_codegen_status;

/* Generate the code for a validated schema (from pgorm_schema_parse).
   `base` names the files ("bookstore" for bookstore.pgorm.h): letters,
   digits, '_', '-', '.', '+'. On success *header and *source are new
   strings (pgorm_free). Otherwise both are NULL and *diag says what is
   wrong (pos 0:0 when it is not about one place in the schema). The schema
   and base are borrowed. */
pgorm_codegen_status pgorm_codegen(const pgorm_schema *s, const char *base, char **header,
                                   char **source, pgorm_diag *diag);

#endif
