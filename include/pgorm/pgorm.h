/* pgorm — asynchronous PostgreSQL ORM runtime for C.
 *
 * Conventions (read once, they hold everywhere):
 *  - One prefix, pgorm_. Generated code uses the schema's own names.
 *  - Every asynchronous call returns at once; its callback runs exactly once,
 *    with a result or with an error, and never from inside the call that
 *    queued it when that call itself fails early (then the error is delivered
 *    on the next turn of the loop; _sync twins return it).
 *  - Arguments are BORROWED for the duration of the call unless a comment
 *    says otherwise: values, strings and predicates are copied into the
 *    request before the call returns. Exception: rows passed to insert (and
 *    upsert) are written back when the callback runs, so they must stay valid
 *    until then (like a libuv write buffer).
 *  - A result handed to a callback is OWNED by the callback: free it with
 *    pgorm_result_free() (or the generated <model>_rows_free()). Everything a
 *    result holds (rows, strings, related rows) lives in its arena.
 *  - A pgorm_error handed to a callback is borrowed: valid until the
 *    callback returns.
 */
#ifndef PGORM_H
#define PGORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Allocator hook (the one documented piece of global state).          */

typedef struct pgorm_allocator {
    void *(*malloc_fn)(size_t size);
    void *(*realloc_fn)(void *ptr, size_t size);
    void (*free_fn)(void *ptr);
} pgorm_allocator;

/* Replace the allocator used by everything in pgorm (runtime, parser,
   codegen). Call before any other pgorm call; NULL restores malloc/free.
   Not thread-safe with concurrent pgorm calls. */
void pgorm_set_allocator(const pgorm_allocator *a);

void *pgorm_malloc(size_t size);
void *pgorm_calloc(size_t n, size_t size); /* overflow-checked, zeroed */
void *pgorm_realloc(void *ptr, size_t size);
void pgorm_free(void *ptr);
char *pgorm_strdup(const char *s);

/* ------------------------------------------------------------------ */
/* Errors.                                                             */

typedef enum pgorm_errcode {
    PGORM_OK = 0,
    PGORM_ERR_CONNECT,   /* could not connect / bad connection string */
    PGORM_ERR_CONNECTION_LOST,
    PGORM_ERR_SERVER,    /* the server refused the statement: see sqlstate */
    PGORM_ERR_PIPELINE_ABORTED, /* an earlier statement in the same pipeline sync failed */
    PGORM_ERR_TIMEOUT,
    PGORM_ERR_NOMEM,
    PGORM_ERR_INVALID,   /* bad argument (caller's bug): message says which */
    PGORM_ERR_DECODE,    /* the server sent something pgorm cannot read */
    PGORM_ERR_CLOSED,    /* the connection was closed before the operation ran */
    PGORM_ERR_IO,
    PGORM_ERR_BUSY,      /* the pool's queue is full (pgorm_db_options.max_queue) */
    PGORM_ERR_CANCELED,  /* cancelled by pgorm_cancel */
    PGORM_ERR_TX_ABORTED, /* an earlier statement of the transaction failed: roll it back */
    PGORM_ERR_NULL,      /* a raw row's getter met SQL NULL (pgorm_row_get returns 1) */
} pgorm_errcode;

typedef struct pgorm_error {
    pgorm_errcode code;
    char sqlstate[6];   /* "23505"; "" when not from the server */
    char *message;      /* never NULL in an error handed to a callback */
    char *detail;       /* server's DETAIL, or NULL */
    char *hint;
    char *constraint;   /* constraint name, or NULL */
    char *table;
    char *column;
    char *schema;
    int position;       /* 1-based position in the statement, 0 when unknown */
} pgorm_error;

/* Copy / release an error's strings (for keeping one past its callback). */
int pgorm_error_copy(pgorm_error *dst, const pgorm_error *src);
void pgorm_error_clear(pgorm_error *err);
const char *pgorm_errcode_name(pgorm_errcode code);

/* ------------------------------------------------------------------ */
/* Value types.                                                        */

/* How each SQL type looks in C. On the wire every value is PostgreSQL's
   binary format; the mapping below is exact (no rounding anywhere). */
typedef enum pgorm_type {
    PGORM_BOOL = 1,    /* bool */
    PGORM_INT2,        /* int16_t */
    PGORM_INT4,        /* int32_t (also serial) */
    PGORM_INT8,        /* int64_t (also bigserial) */
    PGORM_FLOAT4,      /* float */
    PGORM_FLOAT8,      /* double */
    /* char *: exact decimal text. Sent: what PostgreSQL's numeric input
       accepts ("-12.50", "1e-3", "NaN", "Infinity"); the column's scale then
       rounds it. Received: exactly the text PostgreSQL prints
       ("12345.6700", "-0.001", "NaN", "-Infinity"), any number of digits. */
    PGORM_NUMERIC,
    PGORM_TEXT,        /* char *: UTF-8 (text and varchar(n)) */
    PGORM_BYTEA,       /* pgorm_bytes */
    PGORM_UUID,        /* pgorm_uuid */
    PGORM_DATE,        /* pgorm_date */
    PGORM_TIMESTAMP,   /* pgorm_timestamp: wall-clock time, no time zone */
    PGORM_TIMESTAMPTZ, /* pgorm_timestamp: an instant, counted in UTC */
    PGORM_JSONB,       /* char *: JSON text (the server validates and normalises it) */
    /* A value of a schema enum: the generated C enum, stored as an int
       (0 .. nenum_labels - 1, in declaration order). Sent and received as
       the label's text (the binary form of an enum value), mapped through
       the column's pgorm_column_desc.enum_labels. */
    PGORM_ENUM,
} pgorm_type;

/* SQL NULL, per C type:
   - char * (numeric, text, jsonb): the NULL pointer.
   - pgorm_bytes: data == NULL (a non-NULL data with len 0 is the empty
     bytea).
   - fixed-size values (bool, numbers, uuid, date, timestamps): a separate
     `bool has_<field>` in the struct, false for NULL (see
     pgorm_column_desc.has_offset). */

typedef struct pgorm_bytes {
    uint8_t *data; /* NULL means SQL NULL; non-NULL with len 0 is empty */
    size_t len;
} pgorm_bytes;

typedef struct pgorm_uuid {
    uint8_t bytes[16]; /* network order, as printed */
} pgorm_uuid;

/* Days since 1970-01-01 (negative before). Proleptic Gregorian calendar,
   astronomical years (year 0 is 1 BC), like PostgreSQL. PostgreSQL's
   'infinity' and '-infinity' are the two sentinels below (both ways). */
typedef int32_t pgorm_date;
#define PGORM_DATE_INFINITY INT32_MAX
#define PGORM_DATE_NEG_INFINITY INT32_MIN

/* Microseconds since 1970-01-01 00:00:00. For timestamptz that instant is
   in UTC, whatever the session's TimeZone (the binary protocol carries UTC);
   for timestamp it is the wall-clock reading, never shifted by a time zone.
   'infinity' / '-infinity' are the sentinels below (both ways). The server
   holds 4713 BC to 294276 AD and refuses other values (SQLSTATE 22008); the
   few server values after 294246 AD do not fit and give PGORM_ERR_DECODE. */
typedef int64_t pgorm_timestamp;
#define PGORM_TIMESTAMP_INFINITY INT64_MAX
#define PGORM_TIMESTAMP_NEG_INFINITY INT64_MIN

/* Calendar conversions (pure functions, no time zone involved). Months
   1-12, days 1-31; out-of-range parts are not normalised: pass a valid
   date. _to_ymd / _to_parts leave the sentinels' parts unspecified. */
pgorm_date pgorm_date_from_ymd(int year, int month, int day);
void pgorm_date_to_ymd(pgorm_date d, int *year, int *month, int *day);
pgorm_timestamp pgorm_timestamp_from_parts(int year, int month, int day, int hour, int min,
                                           int sec, int usec);
void pgorm_timestamp_to_parts(pgorm_timestamp t, int *year, int *month, int *day, int *hour,
                              int *min, int *sec, int *usec);
/* Text forms, as PostgreSQL prints them with DateStyle ISO:
   "2024-03-01", "0044-03-15 BC", "infinity";
   "2024-03-01 12:00:00.5" (fraction only when non-zero, trailing zeros
   dropped), plus "Z" for timestamptz when `tz` is true. Write into buf
   (caller's, `size` bytes, NUL-terminated); return the length, or -1 when
   it does not fit (32 bytes always do). */
int pgorm_date_format(pgorm_date d, char *buf, size_t size);
int pgorm_timestamp_format(pgorm_timestamp t, bool tz, char *buf, size_t size);
/* "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" (lower case) into buf (37 bytes
   suffice); returns 36, or -1 when it does not fit. */
int pgorm_uuid_format(const pgorm_uuid *u, char *buf, size_t size);
/* Parse what PostgreSQL's uuid input accepts: 32 hex digits, either case,
   optionally in braces, with an optional '-' after any group of four.
   0 on success, -1 (and *out untouched) otherwise. */
int pgorm_uuid_parse(const char *s, pgorm_uuid *out);

/* ------------------------------------------------------------------ */
/* Descriptors: static tables written by `pgorm gen`.                  */

#define PGORM_NO_OFFSET ((size_t)-1)

enum {
    PGORM_COL_PK = 1u << 0,        /* part of the primary key */
    PGORM_COL_GENERATED = 1u << 1, /* serial/bigserial: never sent on insert */
    PGORM_COL_DEFAULT = 1u << 2,   /* has a server default: unset -> DEFAULT on insert */
    PGORM_COL_NULLABLE = 1u << 3,
    PGORM_COL_FK = 1u << 4,        /* a ForeignKey's column */
    PGORM_COL_UNIQUE = 1u << 5,    /* @unique on this single column */
};

typedef struct pgorm_column_desc {
    const char *name;     /* SQL column name */
    const char *sql_type; /* for casts: "int8", "varchar(40)", "numeric(12,2)" */
    pgorm_type type;
    unsigned flags;       /* PGORM_COL_* */
    size_t offset;        /* of the value in the model's struct */
    /* Offset of a `bool has_x` that says the value is present (not NULL /
       not unset), for fixed-size types that are nullable or have a default.
       PGORM_NO_OFFSET when the column has no such flag: pointer types use
       NULL for NULL, and non-nullable columns without a default are always
       present. */
    size_t has_offset;
    const char *default_sql; /* SQL default expression ("now()", "'x'"), or NULL */
    /* PGORM_ENUM: the labels, value i being enum_labels[i]; NULL otherwise.
       sql_type then names the enum type ("\"status\""): values are sent
       as text and cast to it. */
    const char *const *enum_labels;
    size_t nenum_labels;
    /* An array column (`text[]`, one dimension): `type` is the element's
       type, the struct holds a pointer to the elements at `offset`
       (`char **tags`, `int32_t *scores`) and their number, a size_t, at
       `count_offset` (`size_t tags_count`). SQL NULL is the NULL pointer;
       the empty array is a non-NULL pointer with count 0. A NULL element
       is a NULL char * (text, varchar, numeric, jsonb) or a bytea with
       NULL data; arrays of fixed-size elements hold no NULL element (one
       from the server is PGORM_ERR_DECODE). No has_ flag. */
    bool array;
    size_t count_offset;
} pgorm_column_desc;

struct pgorm_model_desc;

typedef enum pgorm_rel_kind {
    PGORM_REL_FORWARD, /* ForeignKey[T] */
    PGORM_REL_BACK,    /* BackReference[T] */
} pgorm_rel_kind;

typedef struct pgorm_rel_desc {
    const char *name; /* field name */
    pgorm_rel_kind kind;
    const struct pgorm_model_desc *target;
    /* FORWARD: index of the FK column in this model. BACK: index of the FK
       column in the target model. */
    size_t fk_column;
    size_t offset;     /* of the relation struct in this model's struct */
    size_t ref_offset; /* FORWARD: of `T *ref`; BACK: of `T *items` */
    size_t count_offset;  /* BACK: of `size_t count` */
    size_t loaded_offset; /* BACK: of `bool loaded` */
} pgorm_rel_desc;

typedef struct pgorm_model_desc {
    const char *name;  /* "Book" */
    const char *table; /* "book" */
    size_t struct_size;
    const pgorm_column_desc *columns;
    size_t ncolumns; /* at most 64: columns are named by bit (1 << index) */
    uint64_t pk_mask;
    const pgorm_rel_desc *rels;
    size_t nrels;
    /* unique column sets (for upsert targets), as masks */
    const uint64_t *unique_masks;
    size_t nunique;
    /* The constraint name of each unique set (parallel to unique_masks), as
       the DDL names it: "book_pkey", "book_isbn_key". NULL: derived from the
       masks by PostgreSQL's convention (<table>_pkey for the primary key,
       <table>_<columns in model order>_key for the others). */
    const char *const *unique_names;
} pgorm_model_desc;

/* ------------------------------------------------------------------ */
/* Predicates: small values, built by generated typed functions, that  */
/* borrow their arguments. Combine with PGORM_AND / PGORM_OR / PGORM_NOT. */

typedef enum pgorm_pred_kind {
    PGORM_PRED_NONE = 0, /* zero value: no filter */
    PGORM_PRED_CMP,      /* column <op> value */
    PGORM_PRED_IS_NULL,
    PGORM_PRED_NOT_NULL,
    PGORM_PRED_IN,       /* column = ANY(array) */
    PGORM_PRED_LIKE,
    PGORM_PRED_ILIKE,
    PGORM_PRED_AND,
    PGORM_PRED_OR,
    PGORM_PRED_NOT,
    /* column <op> EXCLUDED.column: the stored row's value against the
       incoming one, in an upsert's condition only (pgorm_upsert.where).
       PGORM_EQ / PGORM_NE are NULL-safe there (IS [NOT] DISTINCT FROM). */
    PGORM_PRED_EXCLUDED,
    /* Across a relation of `model`: `column` is the index of the relation
       in model->rels, kids[0] (nkids 1; nkids 0: no filter) a predicate on
       the relation's target model, which may itself hold relation
       predicates (each level a correlated subquery with its own alias).
       Built by the generated <model>_<rel>_where / _any / _none / _count_*.
       REL_FK: the ForeignKey's row exists and matches (a NULL key never
         does): EXISTS (SELECT 1 FROM target tN WHERE tN.key = fk AND kid).
       REL_ANY / REL_NONE: some / no row of the BackReference matches:
         [NOT] EXISTS (SELECT 1 FROM target tN WHERE tN.fk = key AND kid).
       REL_COUNT: the number of matching rows of the BackReference compared
         with value.i64 by `op`: (SELECT count(*) ...) <op> $k. */
    PGORM_PRED_REL_FK,
    PGORM_PRED_REL_ANY,
    PGORM_PRED_REL_NONE,
    PGORM_PRED_REL_COUNT,
    /* On an array column (pgorm_column_desc.array):
       ARRAY_HAS: an element equals value (of the element's type):
         $1 = ANY(column);
       ARRAY_CONTAINS: every one of the n elements at `array` is in it:
         column @> $1;
       ARRAY_OVERLAPS: some of them is: column && $1.
       A NULL array matches none of them. */
    PGORM_PRED_ARRAY_HAS,
    PGORM_PRED_ARRAY_CONTAINS,
    PGORM_PRED_ARRAY_OVERLAPS,
} pgorm_pred_kind;

typedef enum pgorm_cmp {
    PGORM_EQ,
    PGORM_NE,
    PGORM_LT,
    PGORM_LE,
    PGORM_GT,
    PGORM_GE,
} pgorm_cmp;

typedef union pgorm_value {
    bool b;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    float f4;
    double f8;
    const char *s; /* numeric, text, jsonb */
    pgorm_bytes bytes;
    pgorm_uuid uuid;
    pgorm_date date;
    pgorm_timestamp ts;
} pgorm_value;

typedef struct pgorm_pred {
    pgorm_pred_kind kind;
    pgorm_cmp op;         /* CMP, EXCLUDED, REL_COUNT */
    const struct pgorm_model_desc *model;
    uint32_t column;      /* index into model->columns; REL_*: into model->rels */
    pgorm_value value;    /* CMP, LIKE, ILIKE; REL_COUNT: value.i64 */
    const void *array;    /* IN: a C array of the column's value type */
    size_t n;             /* IN: its length */
    const struct pgorm_pred *kids; /* AND, OR, NOT; REL_*: the target's predicate */
    size_t nkids;
} pgorm_pred;

/* The predicate every row matches (the zero value), e.g. as the filter of
   a relation predicate: author_books_any(PGORM_ALL). */
#define PGORM_ALL ((pgorm_pred){.kind = PGORM_PRED_NONE})

/* A relation predicate (see PGORM_PRED_REL_*); the generated
   <model>_<rel>_... macros call it with the kid in a compound literal
   (nkids must be 1: more is refused when the statement is built). */
static inline pgorm_pred pgorm_rel_pred_(pgorm_pred_kind kind, const struct pgorm_model_desc *m,
                                         uint32_t rel, pgorm_cmp op, int64_t n,
                                         const struct pgorm_pred *kids, size_t nkids)
{
    pgorm_pred p = {0};
    p.kind = kind;
    p.model = m;
    p.column = rel;
    p.op = op;
    p.value.i64 = n;
    p.kids = kids;
    p.nkids = kids ? nkids : 0;
    return p;
}
/* The generated macros' argument list: the predicates in a compound
   literal, and how many. */
#define PGORM_REL_KIDS_(...) \
    (const pgorm_pred[]){__VA_ARGS__}, \
        sizeof((const pgorm_pred[]){__VA_ARGS__}) / sizeof(pgorm_pred)

static inline pgorm_pred pgorm_and_(const pgorm_pred *kids, size_t n)
{
    pgorm_pred p = {0};
    p.kind = PGORM_PRED_AND;
    p.kids = kids;
    p.nkids = n;
    return p;
}
static inline pgorm_pred pgorm_or_(const pgorm_pred *kids, size_t n)
{
    pgorm_pred p = {0};
    p.kind = PGORM_PRED_OR;
    p.kids = kids;
    p.nkids = n;
    return p;
}
static inline pgorm_pred pgorm_not_(const pgorm_pred *kid)
{
    pgorm_pred p = {0};
    p.kind = PGORM_PRED_NOT;
    p.kids = kid;
    p.nkids = 1;
    return p;
}
/* The children live in a compound literal: valid until the end of the
   enclosing block, which is all a call needs. */
#define PGORM_AND(...) \
    pgorm_and_((const pgorm_pred[]){__VA_ARGS__}, \
               sizeof((const pgorm_pred[]){__VA_ARGS__}) / sizeof(pgorm_pred))
#define PGORM_OR(...) \
    pgorm_or_((const pgorm_pred[]){__VA_ARGS__}, \
              sizeof((const pgorm_pred[]){__VA_ARGS__}) / sizeof(pgorm_pred))
#define PGORM_NOT(p) pgorm_not_((const pgorm_pred[]){p})

/* ------------------------------------------------------------------ */
/* Queries.                                                            */

#define PGORM_MAX_ORDER 4

typedef struct pgorm_order {
    uint64_t column; /* one column bit, e.g. BOOK_TITLE; 0 ends the list */
    bool desc;
} pgorm_order;

/* Order entries: .order = {PGORM_DESC(BOOK_PAGES), PGORM_ASC(BOOK_TITLE)}. */
#define PGORM_ASC(column) {(column), false}
#define PGORM_DESC(column) {(column), true}

/* Options of one fetched link (pgorm_query.link_opts), named by its path
   as in .links: "books", "books.publisher". Zero fields change nothing.
   - BackReference: `where` (on its target model) keeps the items that
     match; `order` orders them (zero: by key); `limit` / `offset` page
     them, per parent row ("each author with its 5 newest books").
   - ForeignKey: `where` keeps the related row only when it matches. By
     default the parent is kept, with ref == NULL when it does not match (a
     LEFT JOIN); with `inner` the parent is dropped instead (a JOIN: a row
     of the find, or an item of a back reference; a related row reached
     through another ForeignKey is then absent in turn, ref == NULL, unless
     that link is `inner` too). order / limit / offset are refused there.
   The link must be fetched (.fetch_links, within .depth and .links), or
   the find is refused before anything is sent. Still one statement, and
   the find's own limit / offset still count its rows. */
typedef struct pgorm_link_opts {
    const char *path;                   /* NULL ends the list */
    pgorm_pred where;
    pgorm_order order[PGORM_MAX_ORDER];
    int64_t limit;                      /* 0: no limit */
    int64_t offset;
    bool inner;
} pgorm_link_opts;

/* .link_opts = PGORM_LINK_OPTS({.path = "books", .limit = 5}, {...}):
   the entries in a compound literal, with the ending {0}. */
#define PGORM_LINK_OPTS(...) ((const pgorm_link_opts[]){__VA_ARGS__, {0}})

typedef struct pgorm_query {
    pgorm_pred where;                 /* zero: every row */
    pgorm_order order[PGORM_MAX_ORDER]; /* zero: no ORDER BY */
    int64_t limit;                    /* 0: no limit */
    int64_t offset;
    /* Column subset: bits of the model found (BOOK_ID | BOOK_TITLE); 0: every
       column. Only these are read into the rows, plus what must be there:
       the primary key always (the identity map, lazy loads, back references
       and update by key all need it), and with fetch_links the foreign key
       columns of the ForeignKeys it follows from the model's rows (so ref and
       key agree). Every other column is zero / NULL (has_ flags false, char *
       and bytea NULL): pgorm_result_columns() (generated: <Model>Rows.columns)
       says which are filled. It applies to every row of the model found in
       the result (also one reached again through a link, as in a cycle);
       rows of other models are read whole. ORDER BY and WHERE may name any
       column. A bit the model does not have is refused before anything is
       sent (PGORM_ERR_INVALID). pgorm_backref takes the bits of the related
       model (the rows it returns). */
    uint64_t columns;
    bool fetch_links;                 /* fill relations in the same statement (below) */
    int depth;                        /* fetch_links levels: 0 means 1, at most PGORM_MAX_DEPTH */
    const char *const *links;         /* NULL: all links; else NULL-terminated field names,
                                         "author" or a path "author.country" */
    const pgorm_link_opts *link_opts; /* NULL, or options per fetched link, ended by an
                                         entry whose path is NULL (PGORM_LINK_OPTS) */
} pgorm_query;

/* ------------------------------------------------------------------ */
/* Results.                                                            */

typedef struct pgorm_result pgorm_result;

/* Rows of one model. The rows are one array of the model's struct; every
   string and byte array they point to lives in the result's arena. All of
   it is valid until pgorm_result_free(), and none of it may be freed
   separately. Rows may be modified in place (they are the caller's). */
/* The array of pgorm_result_count() structs (borrowed from r; NULL when
   empty or r is NULL). */
void *pgorm_result_items(const pgorm_result *r);
size_t pgorm_result_count(const pgorm_result *r); /* 0 for NULL */
/* Memory from the result's arena (aligned for any type), freed with it:
   for strings the caller wants to keep next to the rows. NULL on OOM. */
void *pgorm_result_alloc(pgorm_result *r, size_t size);
/* Free the rows and everything they point to. NULL is fine. */
void pgorm_result_free(pgorm_result *r);
/* The columns of the model read into the rows, as column bits: every
   column unless the query chose a subset (pgorm_query.columns; then those,
   the key, and the foreign keys fetch_links follows). 0 for NULL. */
uint64_t pgorm_result_columns(const pgorm_result *r);

/* Any function pointer, carried untouched (generated code keeps the user's
   typed callback here and calls it from a typed trampoline). */
typedef void (*pgorm_fn)(void);

/* Called with a result (owned by the callee) or an error (borrowed), plus
   the `fn` and `ud` given to the call that queued it. */
typedef void (*pgorm_result_cb)(pgorm_result *res, const pgorm_error *err, pgorm_fn fn,
                                void *ud);
/* Called with a count (rows affected / counted) or an error. */
typedef void (*pgorm_count_cb)(int64_t count, const pgorm_error *err, void *ud);

/* ------------------------------------------------------------------ */
/* Event loop hooks (as in hiredis: the core owns no loop).            */

typedef struct pgorm_db pgorm_db;
/* One connection of a pool: what an event-loop adapter watches. */
typedef struct pgorm_conn pgorm_conn;

typedef struct pgorm_loop_hooks {
    void *data; /* the adapter's state */
    /* The socket changed (connection attempts open new sockets): stop
       watching the old one (if any) and watch `fd` with no interest yet.
       fd == -1: watch nothing (the connection closed). The same number may
       come again for a new socket: always start over. */
    void (*set_fd)(void *data, int fd);
    /* Each of these is idempotent. */
    void (*add_read)(void *data);
    void (*del_read)(void *data);
    void (*add_write)(void *data);
    void (*del_write)(void *data);
    /* Arm a one-shot timer in `ms` milliseconds (0: on the next loop turn),
       replacing any armed one; ms < 0 cancels it. On expiry the adapter calls
       pgorm_conn_handle_timer(). */
    void (*timer)(void *data, long ms);
    /* The connection is going away: stop watching, free the adapter's state
       (after the loop has closed its handles). Called once. */
    void (*cleanup)(void *data);
} pgorm_loop_hooks;

/* An event loop for a whole pool: pgorm calls attach(data, c) once for each
   connection it makes (before it connects), and the adapter answers with
   pgorm_conn_set_hooks(c, ...). attach returns 0, or -1 when it could not
   (that connection then fails with PGORM_ERR_IO). The adapters in
   pgorm/adapters/ (libuv, libevent) do this for you. */
typedef struct pgorm_loop {
    void *data;
    int (*attach)(void *data, pgorm_conn *c);
} pgorm_loop;

/* Drive every connection of `db` (a pool) from this loop. Copied. Call
   before connecting. */
void pgorm_db_set_loop(pgorm_db *db, const pgorm_loop *loop);
/* Attach hooks to one connection (from pgorm_loop.attach). Copied. */
void pgorm_conn_set_hooks(pgorm_conn *c, const pgorm_loop_hooks *hooks);
/* Called by adapters when the socket is readable / writable / the timer fired. */
void pgorm_conn_handle_read(pgorm_conn *c);
void pgorm_conn_handle_write(pgorm_conn *c);
void pgorm_conn_handle_timer(pgorm_conn *c);
/* Called by an adapter that cannot watch the socket (out of memory, a loop
   error): the connection fails with `code` on the next turn (every
   operation on it gets the error). `static_message` is not copied (a
   literal, or NULL). Safe to call from inside a hook. */
void pgorm_conn_handle_error(pgorm_conn *c, pgorm_errcode code, const char *static_message);

/* The same for a pool of ONE connection (pool_size 1, the default): hooks
   for its connection, events for it. On a larger pool pgorm_db_set_hooks
   fails every connection with PGORM_ERR_INVALID (use pgorm_db_set_loop). */
void pgorm_db_set_hooks(pgorm_db *db, const pgorm_loop_hooks *hooks);
void pgorm_db_handle_read(pgorm_db *db);
void pgorm_db_handle_write(pgorm_db *db);
void pgorm_db_handle_timer(pgorm_db *db);
void pgorm_db_handle_error(pgorm_db *db, pgorm_errcode code, const char *static_message);

/* ------------------------------------------------------------------ */
/* Connections: a pgorm_db is a pool.                                  */
/*
 * A pgorm_db holds pool_size connections, opened together by
 * pgorm_db_connect. Each operation goes to the connection with the least
 * work (unsent plus in flight) that is not reserved by a transaction, and
 * is pipelined there; when every connection has PGORM_MAX_INFLIGHT_OPS
 * (512) operations, or none is connected yet, operations wait in the pool
 * (at most max_queue of them outstanding in all).
 *
 * Ordering: operations on ONE transaction handle (pgorm_begin) run in the
 * order they were issued, and their callbacks run in that order. On a pool
 * of one connection (the default) every operation runs, and calls back, in
 * issue order, with one exception: reads on the pool (get, find, count,
 * lazy loads) travel in groups sharing one pipeline sync, and when one of
 * a group fails (an error, a timeout) the server skips the reads after it
 * in that group; those never ran, so they are sent again, after whatever
 * was sent meanwhile, and call back later (they may then see a write
 * issued after them). On a larger pool, independent operations have no order
 * relative to each other: issue the second from the first's callback, or
 * use a transaction, when one must see the other.
 */

/*
 * Behind PgBouncer in transaction pool mode (1.18 to 1.20): set
 * unnamed_statements = true and pipeline_depth = 1, and listen_conninfo to
 * the server itself if you use pgorm_listen. Transactions (pgorm_begin)
 * work as they are: PgBouncer keeps the server connection for the whole
 * transaction. Session state set by hand (SET, temporary tables, advisory
 * locks) does not survive between transactions there; migrations (pgorm
 * migrate, which hold a session advisory lock) connect to the server
 * directly.
 */
typedef struct pgorm_db_options {
    int connect_timeout_ms; /* 0: 10000 */
    int pool_size;          /* connections; 0: 1. At most 256 */
    /* Operations outstanding (issued, callback not yet run) on the pool and
       all its transactions; one more fails with PGORM_ERR_BUSY (its
       callback runs once, on the next turn). 0: 65536 */
    size_t max_queue;
    /* Default time limit of each operation, from the call to its callback
       (ms; 0: none). One that is not sent yet when it expires fails
       without being sent; one that runs is cancelled on the server (see
       pgorm_cancel) and reports PGORM_ERR_TIMEOUT with SQLSTATE 57014. The
       connection stays usable. */
    int op_timeout_ms;
    /* Never prepare named statements: every statement is sent unnamed
       (Parse/Bind/Execute each time), as PgBouncer's transaction pooling
       needs, at the price of planning each statement anew. */
    bool unnamed_statements;
    /* Most pipeline segments (statements each with its own Sync) in flight
       on one connection; 0: no limit (up to PGORM_MAX_INFLIGHT_OPS). 1
       waits for each statement's end before sending the next, as
       PgBouncer before 1.21 needs in transaction pooling: it hands the
       server connection to another client at the first ReadyForQuery,
       while later statements already sent are still pending there.
       Concurrency then comes from pool_size. */
    int pipeline_depth;
    /* Where the listening connection (pgorm_listen) connects; NULL: the
       pool's own conninfo. Behind a transaction-mode pooler such as
       PgBouncer, LISTEN needs a session of its own: point this at the
       server itself. Copied by pgorm_db_new. */
    const char *listen_conninfo;
} pgorm_db_options;

/* A new, unconnected handle (NULL on OOM). Owned by the caller: release
   with pgorm_db_free(). `opts` may be NULL. */
pgorm_db *pgorm_db_new(const pgorm_db_options *opts);

typedef void (*pgorm_connect_cb)(pgorm_db *db, const pgorm_error *err, void *ud);

/* Start connecting every connection of the pool (libpq URI or key=value
   conninfo; NULL or "" uses PG* variables). Never blocks. Operations may
   be queued at once: they are sent when a connection is up, or fail with
   its error. The callback runs once: when the first connection is up
   (err NULL), or when every one of them failed (the last failure). */
void pgorm_db_connect(pgorm_db *db, const char *conninfo, pgorm_connect_cb cb, void *ud);

/* Connect and wait (poll()). 0 on success; else -1 and *err filled (caller
   clears it with pgorm_error_clear; err may be NULL). */
int pgorm_db_connect_sync(pgorm_db *db, const char *conninfo, pgorm_error *err);

/* Close every connection. Every queued operation's callback runs with
   PGORM_ERR_CLOSED; an open transaction is rolled back (the server does it
   when its connection closes). Safe inside a callback: then the pool is
   torn down after the callback returns. On a transaction handle: the same
   as pgorm_rollback(tx, NULL, NULL). */
void pgorm_db_free(pgorm_db *db);

bool pgorm_db_connected(const pgorm_db *db); /* some connection is up */
size_t pgorm_db_pending(const pgorm_db *db); /* operations of the pool not yet completed */

/* Drive the pool with poll() until every queued operation has completed
   (or `timeout_ms` passes, < 0 for none). 0 on success, -1 on timeout or
   when no connection is up at the end. */
int pgorm_db_run_sync(pgorm_db *db, int timeout_ms);

/* ------------------------------------------------------------------ */
/* Transactions.                                                       */
/*
 * pgorm_begin hands its callback a handle `tx`, a pgorm_db that every call
 * (generated or not) accepts: what is issued on it runs inside the
 * transaction, in order, on one connection that serves nothing else until
 * the transaction ends. No extra round trips: BEGIN is sent in the same
 * pipeline segment as the transaction's first statement (if BEGIN fails,
 * that statement does not run), and COMMIT right behind the last one.
 *
 * After a statement of the transaction fails, the server refuses the rest:
 * calls issued on tx from then on fail at once with PGORM_ERR_TX_ABORTED
 * (the message names the first error), those already sent fail the same
 * way, and pgorm_commit rolls back and reports PGORM_ERR_TX_ABORTED. Roll
 * back (or end the savepoint that failed) to go on.
 *
 * Savepoints: pgorm_begin on a tx opens a savepoint, with a handle of its
 * own; commit of that handle releases it, rollback rolls back to it (the
 * outer transaction goes on, also after an error inside the savepoint).
 * While a savepoint is open, its parent accepts no calls but waits.
 *
 * Transaction control through pgorm_exec (BEGIN, COMMIT, ROLLBACK,
 * SAVEPOINT...) is refused with PGORM_ERR_INVALID: on a pool it would
 * capture other requests' operations.
 */

typedef enum pgorm_isolation {
    PGORM_ISOLATION_DEFAULT = 0, /* the server's default_transaction_isolation */
    PGORM_READ_COMMITTED,
    PGORM_REPEATABLE_READ,
    PGORM_SERIALIZABLE,
} pgorm_isolation;

typedef struct pgorm_tx_options {
    pgorm_isolation isolation;
    bool read_only;
    bool deferrable; /* with SERIALIZABLE and read_only: waits for a safe snapshot */
    /* pgorm_transaction: how many times the body is run again after a
       serialization failure or a deadlock (SQLSTATE 40001, 40P01).
       0: 3; negative: never. */
    int max_retries;
    /* Time limit of each operation issued on this transaction (ms),
       instead of pgorm_db_options.op_timeout_ms; 0: the pool's; < 0: none.
       A statement stopped by it aborts the transaction. */
    int timeout_ms;
} pgorm_tx_options;

typedef void (*pgorm_done_cb)(const pgorm_error *err, void *ud);

/* Start a transaction on `db` (a pool), or a savepoint on `db` (a tx).
   `opts` may be NULL (savepoints ignore it). The callback gets the new
   handle, or NULL and the error (the pool is closed or failed, out of
   memory, or `db` is a tx that has ended, is ending or is aborted). When
   every connection is reserved by a transaction, it waits for one to be
   free. */
void pgorm_begin(pgorm_db *db, const pgorm_tx_options *opts,
                 void (*cb)(pgorm_db *tx, const pgorm_error *err, void *ud), void *ud);
/* End tx: commit (release the savepoint), or roll back (to the savepoint).
   Runs after every call issued on tx before it. `tx` is invalid after the
   callback (cb may be NULL). A commit that fails (a deferred constraint, a
   serialization failure, an aborted transaction) has rolled back. */
void pgorm_commit(pgorm_db *tx, pgorm_done_cb cb, void *ud);
void pgorm_rollback(pgorm_db *tx, pgorm_done_cb cb, void *ud);

/* Stop what `db` (a pool, or a transaction) has issued and not seen
   complete: operations not sent yet fail with PGORM_ERR_CANCELED at once
   (on the next turn); for the one running on each connection, a cancel
   request goes to the server, and it fails with PGORM_ERR_CANCELED and
   SQLSTATE 57014 (an operation that finished before the request arrived
   reports its own outcome; those sent behind it are cancelled in turn).
   Never blocks: libpq's PQcancel runs on a helper thread. On a pool it
   does not touch transactions (cancel those through their handles); on a
   transaction the cancelled statement aborts it. */
void pgorm_cancel(pgorm_db *db);

/* _sync twins (poll() until done). 0, or -1 and *err filled. */
int pgorm_begin_sync(pgorm_db *db, const pgorm_tx_options *opts, pgorm_db **tx,
                     pgorm_error *err);
int pgorm_commit_sync(pgorm_db *tx, pgorm_error *err);
int pgorm_rollback_sync(pgorm_db *tx, pgorm_error *err);

/* Run a whole transaction and retry it when the server asks to (the
   PostgreSQL manual's advice for SERIALIZABLE): pgorm_begin, then
   body(tx, attempt, ud) (attempt 0, 1...), which issues its calls on tx and
   calls pgorm_tx_done(tx, err) exactly once when they are complete: NULL
   commits, an error rolls back and is reported. When a statement or the
   commit failed with SQLSTATE 40001 or 40P01, the transaction is rolled
   back and the body runs again, at most opts->max_retries times. `done`
   runs once with the outcome. */
void pgorm_transaction(pgorm_db *db, const pgorm_tx_options *opts,
                       void (*body)(pgorm_db *tx, int attempt, void *ud), pgorm_done_cb done,
                       void *ud);
void pgorm_tx_done(pgorm_db *tx, const pgorm_error *err);

/* ------------------------------------------------------------------ */
/* Raw statements (used by tests, the CLI and generated code alike).   */

/* Execute one SQL statement with text parameters (NULL entries are SQL
   NULL). The callback receives the number of rows affected or returned. */
void pgorm_exec(pgorm_db *db, const char *sql, int nparams, const char *const *params,
                pgorm_count_cb cb, void *ud);
int pgorm_exec_sync(pgorm_db *db, const char *sql, int nparams, const char *const *params,
                    int64_t *count, pgorm_error *err);

/* ------------------------------------------------------------------ */
/* Raw SQL with rows: any statement, typed binary parameters, rows read */
/* by column name (or index) with typed getters.                         */

/* A parameter: its pgorm_type (the OID the server is told), the value in
   the member of pgorm_value that type uses, and whether it is SQL NULL
   (a NULL `s` for numeric/text/jsonb and a NULL bytea `data` are NULL
   too). Build them with the pgorm_p_* helpers below. */
typedef struct pgorm_param {
    pgorm_type type;
    bool null;
    pgorm_value v;
} pgorm_param;

static inline pgorm_param pgorm_p_null(pgorm_type t)
{
    pgorm_param p = {0};
    p.type = t;
    p.null = true;
    return p;
}
#define PGORM_P_(fname, ctype, ptype, member)                                                    \
    static inline pgorm_param pgorm_p_##fname(ctype x)                                           \
    {                                                                                            \
        pgorm_param p = {0};                                                                     \
        p.type = ptype;                                                                          \
        p.v.member = x;                                                                          \
        return p;                                                                                \
    }
PGORM_P_(bool, bool, PGORM_BOOL, b)
PGORM_P_(int2, int16_t, PGORM_INT2, i16)
PGORM_P_(int4, int32_t, PGORM_INT4, i32)
PGORM_P_(int8, int64_t, PGORM_INT8, i64)
PGORM_P_(float4, float, PGORM_FLOAT4, f4)
PGORM_P_(float8, double, PGORM_FLOAT8, f8)
PGORM_P_(numeric, const char *, PGORM_NUMERIC, s)
PGORM_P_(text, const char *, PGORM_TEXT, s)
PGORM_P_(jsonb, const char *, PGORM_JSONB, s)
PGORM_P_(bytea, pgorm_bytes, PGORM_BYTEA, bytes)
PGORM_P_(uuid, pgorm_uuid, PGORM_UUID, uuid)
PGORM_P_(date, pgorm_date, PGORM_DATE, date)
PGORM_P_(timestamp, pgorm_timestamp, PGORM_TIMESTAMP, ts)
PGORM_P_(timestamptz, pgorm_timestamp, PGORM_TIMESTAMPTZ, ts)
#undef PGORM_P_

/* The rows of one raw statement, in one arena: freed by pgorm_rows_free. */
typedef struct pgorm_rows pgorm_rows;
typedef void (*pgorm_rows_cb)(pgorm_rows *rows, const pgorm_error *err, void *ud);

/* Run one statement (no transaction control: use pgorm_begin) with typed
   binary parameters; the rows come back in binary, read in single-row
   mode. The callback owns `rows` (NULL on error). A statement the server
   refuses is PGORM_ERR_SERVER with its message, SQLSTATE and position
   (err->position, 1-based into sql). Prepared once per connection, keyed
   by its text, like the generated calls (unless unnamed_statements). */
void pgorm_query_sql(pgorm_db *db, const char *sql, const pgorm_param *params, int nparams,
                     pgorm_rows_cb cb, void *ud);
int pgorm_query_sql_sync(pgorm_db *db, const char *sql, const pgorm_param *params, int nparams,
                         pgorm_rows **rows, pgorm_error *err);

/* Streaming: the same statement, its rows delivered in batches of at most
   `batch` rows (0: 1000) as they arrive, each batch the callback's to free
   (end false); then one last call with end true: the remaining rows (a
   batch of 0 rows or more) when err is NULL, or rows NULL and the error.
   Memory stays bounded by a batch (plus what the callback keeps). The
   statement occupies its connection until its last row: on a pool, other
   work goes to the other connections; behind PgBouncer (transaction
   pooling) it is one statement, so it needs nothing more. */
typedef void (*pgorm_rows_stream_cb)(pgorm_rows *batch, bool end, const pgorm_error *err,
                                     void *ud);
void pgorm_query_sql_stream(pgorm_db *db, const char *sql, const pgorm_param *params,
                            int nparams, size_t batch, pgorm_rows_stream_cb cb, void *ud);

/* Named queries (a schema's `query` blocks; the generated calls use these):
   one statement with typed binary parameters whose rows are decoded into
   structs through `m`, a descriptor of the result columns (their names,
   types, offsets; `table` unused), as a model's rows are. The statement's
   columns must be m's: the same count, names and order, with types the
   decoders accept, checked on its first row (else PGORM_ERR_DECODE naming
   the column); a NULL in a fixed-size column without a has_ flag, or a
   command that returns no rows at all, is PGORM_ERR_DECODE too. Read in single-row mode, prepared once per
   connection. */
void pgorm_query_rows(pgorm_db *db, const pgorm_model_desc *m, const char *sql,
                      const pgorm_param *params, int nparams, pgorm_result_cb cb, pgorm_fn fn,
                      void *ud);
int pgorm_query_rows_sync(pgorm_db *db, const pgorm_model_desc *m, const char *sql,
                          const pgorm_param *params, int nparams, pgorm_result **out,
                          pgorm_error *err);

size_t pgorm_rows_count(const pgorm_rows *r);   /* rows; 0 for NULL */
int pgorm_rows_ncolumns(const pgorm_rows *r);   /* result columns; 0 for a command */
/* Name / type OID of column `col` (0-based); NULL / 0 when out of range. */
const char *pgorm_rows_column_name(const pgorm_rows *r, int col);
unsigned pgorm_rows_column_oid(const pgorm_rows *r, int col);
/* Index of the first column named `name` (exact, case-sensitive), or -1. */
int pgorm_rows_column(const pgorm_rows *r, const char *name);
/* Rows affected by a command without RETURNING (INSERT, UPDATE, DELETE);
   for a query, the rows returned. */
int64_t pgorm_rows_affected(const pgorm_rows *r);
void pgorm_rows_free(pgorm_rows *r); /* NULL is fine */

/* Read the value of row `row`, column `col` (by name) as type t into *out
   (the C type of t: int64_t for PGORM_INT8, const char * for text, numeric
   and jsonb, pgorm_bytes, pgorm_date...). Integers read any integer column
   whose value fits, float8 reads float4, text reads varchar/char/name/json.
   Returns 0 (written), 1 for SQL NULL (*out untouched; err, when not NULL,
   says PGORM_ERR_NULL naming the column and row), or -1 with err filled:
   no such column (the message lists the columns), row out of range, or a
   column of a type t cannot read (the message names the column's type and
   the getter that reads it). Strings and bytes point into the rows, valid
   until pgorm_rows_free. err may be NULL; when filled, pgorm_error_clear
   it. */
int pgorm_row_get(pgorm_rows *r, size_t row, const char *col, pgorm_type t, void *out,
                  pgorm_error *err);
/* The same with the column's index. */
int pgorm_row_get_at(pgorm_rows *r, size_t row, int col, pgorm_type t, void *out,
                     pgorm_error *err);
/* Whether the value is SQL NULL (false for a missing column or row). */
bool pgorm_row_is_null(const pgorm_rows *r, size_t row, const char *col);

#define PGORM_ROW_(fname, ctype, ptype)                                                          \
    static inline int pgorm_row_##fname(pgorm_rows *r, size_t row, const char *col, ctype *out,  \
                                        pgorm_error *err)                                        \
    {                                                                                            \
        return pgorm_row_get(r, row, col, ptype, out, err);                                      \
    }
PGORM_ROW_(bool, bool, PGORM_BOOL)
PGORM_ROW_(int2, int16_t, PGORM_INT2)
PGORM_ROW_(int4, int32_t, PGORM_INT4)
PGORM_ROW_(int8, int64_t, PGORM_INT8)
PGORM_ROW_(float4, float, PGORM_FLOAT4)
PGORM_ROW_(float8, double, PGORM_FLOAT8)
PGORM_ROW_(numeric, const char *, PGORM_NUMERIC)
PGORM_ROW_(text, const char *, PGORM_TEXT)
PGORM_ROW_(jsonb, const char *, PGORM_JSONB)
PGORM_ROW_(bytea, pgorm_bytes, PGORM_BYTEA)
PGORM_ROW_(uuid, pgorm_uuid, PGORM_UUID)
PGORM_ROW_(date, pgorm_date, PGORM_DATE)
PGORM_ROW_(timestamp, pgorm_timestamp, PGORM_TIMESTAMP)
PGORM_ROW_(timestamptz, pgorm_timestamp, PGORM_TIMESTAMPTZ)
#undef PGORM_ROW_

/* ------------------------------------------------------------------ */
/* LISTEN / NOTIFY.                                                    */

/* A notification: its channel, payload ("" when none) and the server
   process that sent it. The strings are valid during the call. */
typedef void (*pgorm_notify_cb)(const char *channel, const char *payload, int sender_pid,
                                void *ud);

/* Call cb once per notification on `channel` (an identifier, used as
   given: case is kept). The pool keeps one extra connection for
   listening, made on the first call, and subscribes it again when it is
   replaced after a loss (notifications sent while it was down are lost:
   that is PostgreSQL's model). Several callbacks may listen on one
   channel. 0, or -1 (bad argument, out of memory, pool being freed). A
   notification sent before the subscription is active may be missed:
   pgorm_db_listening says when it is. db may be a transaction handle: the
   subscription is the pool's. */
int pgorm_listen(pgorm_db *db, const char *channel, pgorm_notify_cb cb, void *ud);
/* Remove every callback of `channel` and UNLISTEN it. */
void pgorm_unlisten(pgorm_db *db, const char *channel);
/* The subscription to `channel` is active on the server now. */
bool pgorm_db_listening(const pgorm_db *db, const char *channel);
/* SELECT pg_notify(channel, payload) (payload NULL: ""): on a transaction
   handle, delivered when it commits. */
void pgorm_notify(pgorm_db *db, const char *channel, const char *payload, pgorm_count_cb cb,
                  void *ud);

/* ------------------------------------------------------------------ */
/* Generic CRUD over descriptors (generated wrappers call these).      */
/*
 * Common to all of them:
 *  - One statement each; every value is a binary parameter and the SQL text
 *    depends only on the shape of the call (which columns, which predicate
 *    kinds, whether limit/offset are set), so each shape is prepared once
 *    per connection and reused.
 *  - `m`, `q`, `where`, `key`, `row`, `values` and what they point to are
 *    borrowed for the call only (copied into the request). Exception:
 *    insert's `rows` (see there).
 *  - A caller's mistake (a predicate built for another model, a column
 *    index or order bit the model does not have, a negative limit, a key
 *    column left unset, a bad update mask, numeric text that is not a
 *    number, a malformed descriptor) is PGORM_ERR_INVALID with a message
 *    "pgorm_<call>(<Model>): what is wrong", delivered through the callback
 *    on the next loop turn like any other outcome; nothing is sent.
 *  - Server errors arrive as PGORM_ERR_SERVER with SQLSTATE, constraint,
 *    table... A value the model cannot hold (type changed under the model,
 *    an int8 that does not fit an int4 field, NULL in a column whose model
 *    field has no has_ flag) is PGORM_ERR_DECODE naming model and column.
 *  - Result callbacks get a result with rows in the model's struct (owned
 *    by the callback), or NULL and the error. Count callbacks get the number
 *    of rows counted or affected (0 with an error).
 */

/* Insert n rows in ONE statement, whatever n (one array parameter per
   column through unnest(): no 65,535-parameter limit):
     INSERT INTO t (cols) SELECT u.c1, COALESCE(u.c2, <default>), ...
     FROM unnest($1::type[], ...) WITH ORDINALITY AS u(c1, ..., ord)
     ORDER BY u.ord RETURNING <every column>
   - Columns flagged PGORM_COL_GENERATED (serial) are never sent: a value
     in the struct is ignored and replaced by the server's.
   - A PGORM_COL_DEFAULT column whose value is unset (has_ flag false, NULL
     pointer) gets its default_sql. So a NULLABLE column with a default
     cannot be inserted as NULL: NULL means "use the default".
   - Any other NULL / unset value inserts NULL (a NOT NULL column then
     fails with SQLSTATE 23502).
   `rows` is an array of n structs of the model; it must stay valid until
   the callback runs: on success every fixed-size column value the server
   returned (generated keys, defaults, the values sent) is written back into
   it, with its has_ flag; char * and bytea fields are left as they are
   (the returned copies are in the result). On error nothing is written
   back, and the statement wrote nothing to the database. The result holds
   every inserted row in input order: returned rows are matched to inputs
   by a serial column (sequence values are drawn in input order), else by
   the key values the caller gave; with neither (or a key left to a server
   default) they stay in the order the server returned them (in practice
   the input order).
   n == 0 sends nothing and gives an empty result. */
void pgorm_insert(pgorm_db *db, const pgorm_model_desc *m, void *rows, size_t n,
                  pgorm_result_cb cb, pgorm_fn fn, void *ud);
/* SELECT <every column, or q->columns> FROM t [WHERE q->where]
   [ORDER BY q->order] [LIMIT q->limit] [OFFSET q->offset]. q == NULL: every
   row, unordered.
   Predicates: CMP (=, <>, <, <=, >, >=; a NULL char * or bytea value is
   refused: use IS_NULL / NOT_NULL), IS_NULL, NOT_NULL, IN (column =
   ANY($k), one array parameter of any length; n == 0 matches nothing),
   LIKE / ILIKE (text columns), AND / OR (no children: TRUE / FALSE), NOT,
   and across relations REL_FK / REL_ANY / REL_NONE / REL_COUNT (correlated
   subqueries; also in count, update_where, delete_where and back
   references). Each order entry is exactly one column bit; the list ends at the first
   0. With q->fetch_links the relations are filled in the same statement:
   see "Relationships" below. */
void pgorm_find(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                pgorm_result_cb cb, pgorm_fn fn, void *ud);
/* Streaming find: the rows of pgorm_find(db, m, q) (fetch_links too), in
   batches of at most `batch` rows (0: 1000) as they arrive, each batch a
   result of its own for the callback to free (end false); then one last
   call with end true: the remaining rows (0 or more) when err is NULL, or
   batch NULL and the error. Memory stays bounded by a batch whatever the
   row count. Related rows are shared within a batch (its own identity
   map), not across batches. Refused when the links lead back to m (a
   cycle: its rows must stay in one result). The statement occupies its
   connection until its last row (on a pool other work goes to the other
   connections); behind PgBouncer it is one statement and needs nothing
   more. */
typedef void (*pgorm_stream_cb)(pgorm_result *batch, bool end, const pgorm_error *err,
                                pgorm_fn fn, void *ud);
void pgorm_find_stream(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                       size_t batch, pgorm_stream_cb cb, pgorm_fn fn, void *ud);
/* Find by primary key: `key` is a struct of the model whose key columns are
   set (other fields are ignored). Not found: a result with 0 rows. */
void pgorm_get(pgorm_db *db, const pgorm_model_desc *m, const void *key, pgorm_result_cb cb,
               pgorm_fn fn, void *ud);
/* SELECT count(*) FROM t [WHERE where]; where == NULL or a zero predicate:
   every row. */
void pgorm_count(pgorm_db *db, const pgorm_model_desc *m, const pgorm_pred *where,
                 pgorm_count_cb cb, void *ud);
/* UPDATE t SET <each column in `columns`> = <its value in row> WHERE
   <key> = <row's key>; the count is 0 or 1. `columns` is a mask of column
   bits: 0, a bit the model does not have, or a key column is refused (the
   key says which row). An unset value (NULL pointer, has_ flag false) sets
   NULL, also for a column with a default. */
void pgorm_update(pgorm_db *db, const pgorm_model_desc *m, const void *row, uint64_t columns,
                  pgorm_count_cb cb, void *ud);
/* UPDATE t SET <columns from `values`> [WHERE where]: rows matching
   `where` (NULL or a zero predicate: every row). Key columns may be set
   here. Counts the rows changed. */
void pgorm_update_where(pgorm_db *db, const pgorm_model_desc *m, const void *values,
                        uint64_t columns, const pgorm_pred *where, pgorm_count_cb cb, void *ud);
/* DELETE FROM t WHERE <key> = <key's values>; the count is 0 or 1. */
void pgorm_delete(pgorm_db *db, const pgorm_model_desc *m, const void *key, pgorm_count_cb cb,
                  void *ud);
/* DELETE FROM t [WHERE where]: NULL or a zero predicate deletes every row.
   Counts the rows deleted. */
void pgorm_delete_where(pgorm_db *db, const pgorm_model_desc *m, const pgorm_pred *where,
                        pgorm_count_cb cb, void *ud);

/* _sync twins: drive the connection with poll() until this operation
   completes (other queued operations progress meanwhile). 0 on success;
   -1 with *err filled (owned by the caller: pgorm_error_clear; err may be
   NULL). *out (out may be NULL when not wanted) receives a result owned by
   the caller; *count (may be NULL) the count. */
int pgorm_insert_sync(pgorm_db *db, const pgorm_model_desc *m, void *rows, size_t n,
                      pgorm_result **out, pgorm_error *err);
int pgorm_find_sync(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                    pgorm_result **out, pgorm_error *err);
int pgorm_get_sync(pgorm_db *db, const pgorm_model_desc *m, const void *key,
                   pgorm_result **out, pgorm_error *err);
int pgorm_count_sync(pgorm_db *db, const pgorm_model_desc *m, const pgorm_pred *where,
                     int64_t *count, pgorm_error *err);
int pgorm_update_sync(pgorm_db *db, const pgorm_model_desc *m, const void *row,
                      uint64_t columns, int64_t *count, pgorm_error *err);
int pgorm_update_where_sync(pgorm_db *db, const pgorm_model_desc *m, const void *values,
                            uint64_t columns, const pgorm_pred *where, int64_t *count,
                            pgorm_error *err);
int pgorm_delete_sync(pgorm_db *db, const pgorm_model_desc *m, const void *key, int64_t *count,
                      pgorm_error *err);
int pgorm_delete_where_sync(pgorm_db *db, const pgorm_model_desc *m, const pgorm_pred *where,
                            int64_t *count, pgorm_error *err);

/* ------------------------------------------------------------------ */
/* Upsert: insert rows, or update those whose conflict key exists.     */

/* What an upsert does on a conflict. Zero-initialise and set what you need:
     &(pgorm_upsert){ .conflict = BOOK_ISBN, .update = BOOK_TITLE | BOOK_PAGES } */
typedef struct pgorm_upsert {
    /* The conflict target, exactly one of:
       - conflict: column bits equal to one of the model's unique sets (the
         primary key, a @unique field, a @@unique(...) block);
       - constraint: the name of one of those constraints ("book_isbn_key").
       Anything else is refused before anything is sent (PGORM_ERR_INVALID,
       naming the target and listing the valid ones). */
    uint64_t conflict;
    const char *constraint;
    /* The columns set from the incoming row on conflict. 0: every sent
       column except the conflict target, the primary key, and a column with
       a default left unset in every input row (so `created_at
       @default(now())` keeps its stored value). Conflict-target columns and
       server-generated (serial) columns that are not sent are refused. An
       unset value with a default in a row that is updated sets the column
       to its default (the incoming row carries the default); NULL sets
       NULL. */
    uint64_t update;
    /* ON CONFLICT DO NOTHING: a conflicting row is left as it is. `update`
       and `where` must then be zero. */
    bool do_nothing;
    /* Also return the stored row of each input that was neither inserted
       nor updated (DO NOTHING, or `where` false), marked
       PGORM_UPSERT_EXISTING. A row committed by another transaction after
       the statement started is not seen (and not returned). */
    bool return_existing;
    /* DO UPDATE ... WHERE: update a conflicting row only when this holds.
       Leaves about the stored row are the model's ordinary predicates; the
       incoming row is reached with PGORM_PRED_EXCLUDED (generated:
       <model>_<column>_lt_excluded() ...). Zero: always update. */
    pgorm_pred where;
} pgorm_upsert;

/* What happened to the row of an upsert result. */
typedef enum pgorm_upsert_outcome {
    PGORM_UPSERT_NONE = 0,  /* not an upsert result, or no such row */
    PGORM_UPSERT_INSERTED,  /* no row had its conflict key: inserted */
    PGORM_UPSERT_UPDATED,   /* a row had it and was updated */
    PGORM_UPSERT_EXISTING,  /* a row had it and was left as is (return_existing) */
} pgorm_upsert_outcome;

/* Insert-or-update n rows in ONE statement, whatever n (array parameters,
   as pgorm_insert):
     INSERT INTO t AS t (cols) SELECT ... FROM unnest(...) ORDER BY ord
     ON CONFLICT (target) DO UPDATE SET c = EXCLUDED.c, ... [WHERE ...]
     RETURNING <every column>, (xmax = 0)
   - Columns sent: as pgorm_insert (serial columns are not sent unless they
     are in the conflict target; an unset column with a default gets it),
     and every conflict-target column must be set in every row.
   - Duplicates: rows with equal conflict keys cannot be in one statement
     (PostgreSQL: "cannot affect row a second time"), so only the LAST of
     them is sent; the others are dropped before sending.
   - The result holds one row per conflict key that came back (inserted,
     updated, or existing with return_existing), in input order (of the
     row that was sent), each with its outcome: pgorm_result_outcome(),
     pgorm_result_inserted(), and the index of its input row:
     pgorm_result_input(). Rows are matched to inputs by conflict key, not
     by position.
   - `rows` must stay valid until the callback runs: each input row whose
     conflict key came back gets the fixed-size values of the stored row
     written back (keys, defaults, and the stored values of columns that
     were not updated), dropped duplicates included (from the row that was
     sent); char * and bytea fields are left as they are. Inputs with no row
     back (DO NOTHING, `where` false) are left untouched.
   - Atomic: on any error (a foreign key, a NOT NULL, a CHECK) nothing of
     the call is written and nothing is written back.
   `m`, `opts` and what they point to are borrowed for the call only.
   n == 0 sends nothing and gives an empty result. */
void pgorm_upsert_rows(pgorm_db *db, const pgorm_model_desc *m, void *rows, size_t n,
                       const pgorm_upsert *opts, pgorm_result_cb cb, pgorm_fn fn, void *ud);
/* The _sync twin (see the CRUD twins above). */
int pgorm_upsert_rows_sync(pgorm_db *db, const pgorm_model_desc *m, void *rows, size_t n,
                           const pgorm_upsert *opts, pgorm_result **out, pgorm_error *err);

/* Row i of an upsert result: its outcome (PGORM_UPSERT_NONE for another
   kind of result or i out of range); whether it was inserted; the index in
   the caller's array of the input row it came from ((size_t)-1 when it
   matched none: a conflict key the server changed, e.g. a numeric rounded
   to the column's scale). */
pgorm_upsert_outcome pgorm_result_outcome(const pgorm_result *r, size_t i);
bool pgorm_result_inserted(const pgorm_result *r, size_t i);
size_t pgorm_result_input(const pgorm_result *r, size_t i);
/* The inserted flags of every row, parallel to pgorm_result_items()
   (borrowed from r), or NULL when r is not an upsert result or is empty. */
bool *pgorm_result_inserted_flags(const pgorm_result *r);

/* ------------------------------------------------------------------ */
/* Relationships (generated wrappers call these).                      */
/*
 * Ownership: related rows live in the arena of the result that loaded them,
 * like strings; one pgorm_result_free() frees the rows, the rows they link
 * to and their strings. A ref / items pointer set in a row points into
 * that result: it is valid until that result is freed.
 *
 * fetch_links (pgorm_find with q->fetch_links, and pgorm_backref): ONE
 * statement. Each ForeignKey is a JOIN (LEFT JOIN when the key is nullable,
 * so a row with a NULL key is still returned, with ref == NULL); each
 * BackReference is one binary array of records,
 *   ARRAY(SELECT ROW(...) FROM book t2 WHERE t2.author_id = t0.id ORDER BY t2.id),
 * so two back references never multiply rows and limit / offset count the
 * rows of the model found. Below the first level, links nest the same way
 * (a ForeignKey inside a back reference is a JOIN inside its subquery, a
 * back reference inside one a nested ARRAY) down to q->depth levels (0
 * means 1; at most PGORM_MAX_DEPTH, more is PGORM_ERR_INVALID); the depth
 * also ends cycles (Store -> manager -> Store). q->links chooses: NULL for
 * every relation at every level, else a NULL-terminated list of relation
 * names of the model found ("author": it and everything below it to the
 * depth) or paths ("author.country": below author, only country). Back
 * reference items are ordered by their key. q->link_opts filters, orders
 * and pages the items of a fetched back reference, and filters a fetched
 * ForeignKey (see pgorm_link_opts). Identity map: within one
 * result a related row is one struct however often it is reached (1000
 * books by 100 authors: 100 Author structs); the same row reached again
 * through a deeper path gets the links that path adds. A back reference's
 * items are an array of structs, so a row there is a struct of its own
 * (its ForeignKeys still point at the shared structs).
 */
#define PGORM_MAX_DEPTH 4

/* Lazy load of the ForeignKey m->rels[rel] for the n structs of m at rows:
   the callback gets a result with the distinct related rows (of the
   relation's target model, in the order the rows name them), and each
   row's ref points at its row there. A ref that is already set is kept and
   nothing is fetched for it (set it to NULL to load it again); a NULL key
   sets ref = NULL. `rows` must stay valid until the callback runs (refs
   are written then; on error nothing is written).
   Merged: loads issued in the same turn of the loop (before the loop runs
   again, or before a _sync call drives it) for the same target model go
   out as ONE statement, SELECT ... WHERE key = ANY($1), and each caller's
   callback still runs exactly once with its own result, in the order the
   loads were made. So n single loads cost one round trip, like one load of
   n rows. */
void pgorm_load(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *rows, size_t n,
                pgorm_result_cb cb, pgorm_fn fn, void *ud);
/* The rows of the BackReference m->rels[rel] of `row` (a struct of m whose
   key is set): SELECT ... FROM <target> WHERE <fk> = <row's key>, then
   q's where, order (by key when none), limit, offset, columns (bits of
   the related model) and fetch_links, as in pgorm_find (q == NULL: all of
   them). On success row's BackReference is
   set to them (items into the result, count, loaded = true) before the
   callback runs: `row` must stay valid until then. */
void pgorm_backref(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *row,
                   const pgorm_query *q, pgorm_result_cb cb, pgorm_fn fn, void *ud);
/* SELECT count(*) of the same rows, filtered by `where` (NULL or a zero
   predicate: all of them). `row` is borrowed for the call only. */
void pgorm_backref_count(pgorm_db *db, const pgorm_model_desc *m, size_t rel, const void *row,
                         const pgorm_pred *where, pgorm_count_cb cb, void *ud);
/* _sync twins. `out` must not be NULL for load and backref (the refs and
   items point into *out, owned by the caller). */
int pgorm_load_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *rows, size_t n,
                    pgorm_result **out, pgorm_error *err);
int pgorm_backref_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel, void *row,
                       const pgorm_query *q, pgorm_result **out, pgorm_error *err);
int pgorm_backref_count_sync(pgorm_db *db, const pgorm_model_desc *m, size_t rel,
                             const void *row, const pgorm_pred *where, int64_t *count,
                             pgorm_error *err);

#ifdef __cplusplus
}
#endif
#endif
