/* Internal: PostgreSQL's binary wire format for pgorm's value types.
 *
 * Encoders append one value (or a one-dimensional array of values, for
 * `unnest($1::int8[])` and `= ANY($1)`) to a pgorm_buf, in the form a
 * parameter with the type's OID expects. Decoders read one binary result
 * value into the C value of a pgorm_type, copying strings and bytes into an
 * arena. Nothing here allocates except through the buffer and the arena, and
 * nothing reports errors other than through a short `why` text (the caller
 * names the model and column around it).
 *
 * A value is always addressed by a pointer to its C representation (a
 * struct field, a pgorm_value, an element of a C array): for numeric, text
 * and jsonb that is a pointer to the `char *`.
 */
#ifndef PGORM_RUNTIME_CODEC_H
#define PGORM_RUNTIME_CODEC_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "pgorm/pgorm.h"
#include "util/arena.h"
#include "util/buf.h"

/* The big-endian uint32 at p (binary wire format). */
static inline uint32_t pgorm_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Type OIDs of the built-in types (fixed by PostgreSQL's catalog). */
enum {
    PGORM_OID_BOOL = 16,
    PGORM_OID_BYTEA = 17,
    PGORM_OID_NAME = 19,
    PGORM_OID_INT8 = 20,
    PGORM_OID_INT2 = 21,
    PGORM_OID_INT4 = 23,
    PGORM_OID_TEXT = 25,
    PGORM_OID_JSON = 114,
    PGORM_OID_FLOAT4 = 700,
    PGORM_OID_FLOAT8 = 701,
    PGORM_OID_BPCHAR = 1042,
    PGORM_OID_VARCHAR = 1043,
    PGORM_OID_DATE = 1082,
    PGORM_OID_TIMESTAMP = 1114,
    PGORM_OID_TIMESTAMPTZ = 1184,
    PGORM_OID_NUMERIC = 1700,
    PGORM_OID_UUID = 2950,
    PGORM_OID_JSONB = 3802,
    PGORM_OID_CIDR = 650,
    PGORM_OID_INET = 869,
    PGORM_OID_TIME = 1083,
    PGORM_OID_INTERVAL = 1186,
    PGORM_OID_TIMETZ = 1266,
};

/* Static facts about a pgorm_type (0 / NULL / false for a value outside the
   enum, which is how callers detect a corrupt descriptor). */
bool pgorm_codec_known(pgorm_type t);
Oid pgorm_codec_oid(pgorm_type t);        /* parameter type: PGORM_OID_* */
Oid pgorm_codec_array_oid(pgorm_type t);  /* its one-dimensional array type */
const char *pgorm_codec_name(pgorm_type t); /* SQL name for casts: "int8" */
size_t pgorm_codec_size(pgorm_type t);    /* sizeof the C value */
bool pgorm_codec_is_pointer(pgorm_type t); /* numeric, text, jsonb...: a char * */
/* text, char(n), citext: the types LIKE and ILIKE apply to */
bool pgorm_codec_is_text(pgorm_type t);

/* Whether column c of the struct at `row` holds SQL NULL (or is "unset"):
   a NULL char *, a bytea whose data is NULL, or a has_ flag that is false. */
bool pgorm_codec_is_null(const pgorm_column_desc *c, const void *row);

/* Append the binary form of the value at v (type t) to out.
   Returns 1 (written), 0 (the value is NULL: nothing written) or -1 (the
   value cannot be sent: why says which, e.g. numeric text that is not a
   number; out may hold a partial value). Fixed-size values are never NULL
   here: the caller looks at has_ flags. */
int pgorm_codec_encode(pgorm_type t, const void *v, pgorm_buf *out, char *why, size_t whysz);

/* Append a one-dimensional binary array (lower bound 1) of n values of type
   t: element i is at vals + i*stride; when `has` is not NULL, the bool at
   has + i*stride false makes element i NULL. 0 on success, -1 with why
   naming the element. */
int pgorm_codec_encode_array(pgorm_type t, const void *vals, const void *has, size_t n,
                             size_t stride, pgorm_buf *out, char *why, size_t whysz);

/* Exact decimal text <-> binary numeric (also used by the encoder/decoder
   above). Encode accepts PostgreSQL's numeric input syntax: blanks around,
   sign, digits with one '.', an exponent "e-3" (|exp| <= 1000), "NaN",
   "Infinity"/"inf" with a sign; 0 or -1 with why. */
int pgorm_numeric_encode(const char *text, pgorm_buf *out, char *why, size_t whysz);
/* New NUL-terminated text in the arena, exactly as PostgreSQL's numeric_out
   prints it; NULL with why (bad value, or out of memory: *oom set). */
char *pgorm_numeric_decode(const char *v, size_t len, pgorm_arena *a, bool *oom, char *why,
                           size_t whysz);

/* Whether a binary result column of type `oid` can be read as t. Integers
   read any of int2/int4/int8 (range-checked), float8 reads float4 too,
   text reads varchar/bpchar/name, jsonb reads json. */
bool pgorm_codec_accepts(pgorm_type t, Oid oid);

/* Decode one non-NULL binary value of result type `oid` (accepted above)
   into the C value at dst. Strings and bytes are copied into `a`.
   0, or -1 with why (*oom set when the arena ran out of memory). */
int pgorm_codec_decode(pgorm_type t, Oid oid, const char *v, size_t len, void *dst,
                       pgorm_arena *a, bool *oom, char *why, size_t whysz);

/* The one per-column entry point for result values: format (0 text, 1
   binary; only binary is read today), NULL handling (NULL pointer, bytea
   data NULL, has_ flag false; a NULL for a fixed-size column without a
   has_ flag is an error), and the has_ flag set true for a value. Writes
   into the struct at `row`. 0, or -1 with why (*oom on out of memory). */
int pgorm_codec_decode_column(const pgorm_column_desc *c, Oid oid, int format, const char *v,
                              int len, bool isnull, void *row, pgorm_arena *a, bool *oom,
                              char *why, size_t whysz);

/* PGORM_ENUM, whose values need their column's labels: the value at v (an
   int) as its label (1), or -1 with why when it is out of range. The _col
   forms take any column and do the same as the ones above for the others. */
int pgorm_codec_encode_enum(const pgorm_column_desc *c, const void *v, pgorm_buf *out,
                            char *why, size_t whysz);
int pgorm_codec_encode_col(const pgorm_column_desc *c, const void *v, pgorm_buf *out, char *why,
                           size_t whysz);
int pgorm_codec_encode_array_col(const pgorm_column_desc *c, const void *vals, const void *has,
                                 size_t n, size_t stride, pgorm_buf *out, char *why, size_t whysz);
/* A label (len bytes) into the int at dst; -1 with why when the column's
   labels do not have it. */
int pgorm_codec_decode_enum(const pgorm_column_desc *c, const char *v, size_t len, void *dst,
                            char *why, size_t whysz);

/* Array columns (pgorm_column_desc.array). accepts_col: whether result
   type `oid` can be read into column c (an array type whose element the
   column's type accepts, for an array column; pgorm_codec_accepts else).
   Decoding an array (through pgorm_codec_decode_column) refuses more than
   one dimension and, for fixed-size elements, NULL elements; the elements
   and their strings are one block of the arena. */
bool pgorm_codec_accepts_col(const pgorm_column_desc *c, Oid oid);
/* The array at the struct `row`'s column c as one binary array parameter:
   1 written, 0 SQL NULL (nothing written), -1 with why. */
int pgorm_codec_encode_array_field(const pgorm_column_desc *c, const void *row, pgorm_buf *out,
                                   char *why, size_t whysz);
/* The elements of column c of n rows (row r at rows + r * stride), one
   after the other, as one binary array: a multi-row insert sends them so
   and regroups them by row on the server. *total receives the number of
   elements. 0, or -1 with why. */
/* The array column's binary value into the struct at row (called by
   pgorm_codec_decode_column for a non-NULL value). */
int pgorm_codec_decode_array_column(const pgorm_column_desc *c, const char *v, size_t len,
                                    void *row, pgorm_arena *a, bool *oom, char *why,
                                    size_t whysz);
int pgorm_codec_encode_array_rows(const pgorm_column_desc *c, const void *rows, size_t n,
                                  size_t stride, size_t *total, pgorm_buf *out, char *why,
                                  size_t whysz);

#endif
