/* Private to src/schema: the pieces shared by the lexer, the parser and
 * validation. Nothing here is part of the public API.
 *
 * Flow (schema.c): lex the whole text into tokens (lexer.c), parse the
 * tokens into a pgorm_schema plus side information that the public structure
 * has no room for (parser.c), then check and resolve it (validate.c).
 * Diagnostics from all three are collected in one list (diag.c) and sorted
 * into source order at the end.
 */
#ifndef PGORM_SCHEMA_INT_H
#define PGORM_SCHEMA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "pgorm/schema.h"
#include "util/arena.h"
#include "util/buf.h"

#if defined(__GNUC__)
#define PGORM_SX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PGORM_SX_PRINTF(a, b)
#endif

/* PostgreSQL silently truncates names longer than this (NAMEDATALEN - 1). */
#define PGORM_SX_MAX_NAME 63
/* Column sets are 64-bit flags in generated code. */
#define PGORM_SX_MAX_COLUMNS 64
/* Parsing stops after this many diagnostics (like a compiler's error limit). */
#define PGORM_SX_MAX_DIAGS 100

/* ---- diagnostics (diag.c) ------------------------------------------- */

typedef struct pgorm_sx_diags {
    pgorm_diag *items;
    size_t n, cap;
    bool oom; /* an allocation failed somewhere: the result is "out of memory" */
} pgorm_sx_diags;

/* Add a diagnostic; silently dropped past PGORM_SX_MAX_DIAGS. */
void pgorm_sx_diag(pgorm_sx_diags *d, pgorm_pos pos, const char *fmt, ...) PGORM_SX_PRINTF(3, 4);
bool pgorm_sx_diags_full(const pgorm_sx_diags *d);
/* order[0..n) = indices of the diagnostics in source order (stable). */
void pgorm_sx_diags_order(const pgorm_sx_diags *d, size_t *order);
void pgorm_sx_diags_free(pgorm_sx_diags *d);

/* The candidate closest to `name` (case-insensitive edit distance), or NULL
   when none is close enough to be a plausible typo or two are equally close. */
const char *pgorm_sx_suggest(const char *name, const char *const *cands, size_t n);
/* "; did you mean '<prefix>x'?" or "" into out (it ends a message). */
void pgorm_sx_did_you_mean(char *out, size_t outsz, const char *prefix, const char *suggestion);

/* Grow *arr (elements of `elem` bytes, capacity *cap) to hold `need`.
   New slots are NOT zeroed. false on OOM (the array is unchanged). */
bool pgorm_sx_grow(void **arr, size_t *cap, size_t need, size_t elem);
/* pgorm_malloc'd copy of len bytes plus a NUL; NULL on OOM. */
char *pgorm_sx_strndup(const char *s, size_t len);

/* ---- tokens (lexer.c) ------------------------------------------------ */

typedef enum pgorm_sx_tok_kind {
    SX_EOF,
    SX_IDENT,
    SX_INT,     /* -?[0-9]+ */
    SX_DECIMAL, /* -?[0-9]+.[0-9]+ */
    SX_STRING,  /* "..." with \" and \\, or a triple-quoted raw string (raw) */
    SX_LBRACE,
    SX_RBRACE,
    SX_LBRACKET,
    SX_RBRACKET,
    SX_LPAREN,
    SX_RPAREN,
    SX_COMMA,
    SX_DOT,
    SX_QUESTION,
    SX_AT,
    SX_ATAT,
    SX_ERROR, /* already reported by the lexer: the parser stays quiet */
    SX_COLON, /* ':' of a named argument (on_delete: cascade, where: "...", type: gin) */
} pgorm_sx_tok_kind;

typedef struct pgorm_sx_tok {
    pgorm_sx_tok_kind kind;
    bool line_start; /* first token on its line */
    pgorm_pos pos;
    const char *text; /* into the source; not NUL-terminated */
    size_t len;
    const char *str; /* SX_STRING: the unescaped value (in the token arena) */
    bool raw;        /* SX_STRING: triple-quoted; str is the text between the quotes */
} pgorm_sx_tok;

typedef struct pgorm_sx_toks {
    pgorm_sx_tok *items; /* always ends with one SX_EOF */
    size_t n, cap;
    pgorm_arena strings;
} pgorm_sx_toks;

/* Tokenize text[0..len). Lexical errors become diagnostics (and SX_ERROR
   tokens); text that is not UTF-8 yields one diagnostic and no tokens but
   SX_EOF. Returns false on OOM (tokens may be partial but end with EOF
   whenever n > 0). */
bool pgorm_sx_lex(const char *text, size_t len, pgorm_sx_toks *out, pgorm_sx_diags *d);
void pgorm_sx_toks_free(pgorm_sx_toks *t);

/* ---- parse and validation state (parser.c, validate.c) --------------- */

typedef enum pgorm_sx_attr {
    SX_A_ID,
    SX_A_UNIQUE,
    SX_A_INDEX,
    SX_A_DEFAULT,
    SX_A_ON_DELETE,
    SX_A_RENAMED_FROM,
    SX_A_CHECK,
    SX_A_THROUGH,
    SX_A_ON_UPDATE,
    SX_A_COUNT
} pgorm_sx_attr;

extern const char *const pgorm_sx_attr_names[SX_A_COUNT];

/* What the public pgorm_field cannot hold: positions of the pieces that
   validation points at, and whether the field parsed cleanly. A position
   with line 0 means "not written". */
typedef struct pgorm_sx_field_aux {
    bool bad;                       /* a syntax error in this field */
    pgorm_pos q_pos;                /* the '?' */
    pgorm_pos attr_pos[SX_A_COUNT]; /* the '@' of each attribute */
    pgorm_pos arg_pos[SX_A_COUNT];  /* each attribute's argument */
    pgorm_pos target_pos;           /* Model in ForeignKey[Model] */
    pgorm_pos target_field_pos;     /* field in BackReference[Model.field] */
    pgorm_pos param_pos[2];         /* numeric p and s, varchar n */
    int resolve;                    /* FK key type: 0 todo, 1 busy, 2 done, 3 failed */
    pgorm_pos through_pos[3];       /* @through(J, from, to): each name */
} pgorm_sx_field_aux;

typedef struct pgorm_sx_model_aux {
    bool broken;                /* recovery skipped tokens: the field list may be incomplete */
    bool any_bad;               /* some field has a syntax error */
    bool duplicate;             /* same name as an earlier model */
    pgorm_sx_field_aux *fields; /* one per field of the model, same index */
    size_t fields_cap, field_aux_cap, blocks_cap;
    pgorm_pos brace_pos;  /* the '{' */
    pgorm_pos table_attr; /* the '@@' of @@table */
    pgorm_pos table_arg;  /* its argument */
    pgorm_pos renamed_attr;
    size_t checks_cap;
    size_t fkeys_cap;
    pgorm_pos schema_attr; /* the '@@' of @@schema */
    pgorm_pos schema_arg;  /* its argument */
} pgorm_sx_model_aux;

typedef struct pgorm_sx_ctx {
    pgorm_schema *s;
    pgorm_sx_model_aux *aux; /* one per model, same index */
    size_t models_cap, aux_cap;
    size_t queries_cap;
    bool *query_bad; /* one per query: a syntax error in it (validation says less) */
    size_t query_bad_cap;
    pgorm_sx_diags d;
    size_t enums_cap;
} pgorm_sx_ctx;

/* SQL schemas (sqlschema.c): check the names of `schema name` and
   @@schema(name), then give every model without @@schema, and every enum,
   the file's default. Runs before the model checks. */
void pgorm_sx_validate_schemas(pgorm_sx_ctx *c);
/* Whether two models' tables share a schema (NULL and "public" are one). */
bool pgorm_sx_same_schema(const char *a, const char *b);

/* The field of m named `name`, or NULL. */
const pgorm_field *pgorm_sx_field_named(const pgorm_model *m, const char *name);

/* Build c->s from the tokens (parser.c). */
void pgorm_sx_parse(pgorm_sx_ctx *c, const pgorm_sx_toks *t);
/* Check names, keys and relationships; fill table, column, target,
   target_fk and ForeignKey types (validate.c). */
void pgorm_sx_validate(pgorm_sx_ctx *c);
/* Check the named queries: names, parameters, $n references (query.c). */
void pgorm_sx_validate_queries(pgorm_sx_ctx *c);
/* Enums (enums.c): check the enum blocks and resolve every enum field's
   type to its enum (an unknown one is reported as an unknown type); runs
   before the other checks, which then see enum_index set. */
void pgorm_sx_validate_enums(pgorm_sx_ctx *c);
/* @default(v) of an enum field: v must be one of its values (enums.c). */
void pgorm_sx_check_enum_default(pgorm_sx_ctx *c, const pgorm_field *f, pgorm_pos pos,
                                 const char *val);
/* "unknown type 'x' (expected one of: ...)" at pos, the file's enums
   included (field.c). */
void pgorm_sx_unknown_type(pgorm_sx_ctx *c, pgorm_pos pos, const char *name);

/* Semantic checks of one @default against its (resolved) type (defaults.c). */
void pgorm_sx_check_default(pgorm_sx_ctx *c, const pgorm_field *f, const pgorm_sx_field_aux *fa);

/* ---- checks and expression defaults (checks.c, defaults.c) ------------- */

/* Append *ck to model mi's checks (ownership of its strings moves); false
   on OOM (then *ck is still the caller's). */
bool pgorm_sx_add_check(pgorm_sx_ctx *c, size_t mi, const pgorm_check *ck);
/* Name field-level checks (<table>_<column>_check) and report duplicate or
   too long names (checks.c). */
void pgorm_sx_validate_checks(pgorm_sx_ctx *c);
/* @@foreign_key: fields, target, key, types (foreign_keys.c); sets target. */
void pgorm_sx_validate_fkeys(pgorm_sx_ctx *c);
/* Free m->fkeys (foreign_keys.c). */
void pgorm_sx_free_fkeys(pgorm_model *m);
/* Whether s holds nothing but spaces, tabs and line breaks. */
bool pgorm_sx_blank(const char *s);

/* The functions @default accepts without sql("..."): `parens` when written
   with "()" (gen_random_uuid()), not for SQL value functions
   (current_date). `yields` says which column types take it. */
typedef enum pgorm_sx_fn_yields { SX_FN_UUID, SX_FN_TIME } pgorm_sx_fn_yields;
typedef struct pgorm_sx_default_fn {
    const char *name;
    bool parens;
    pgorm_sx_fn_yields yields;
} pgorm_sx_default_fn;
#define PGORM_SX_DEFAULT_FN_LIST                                                         \
    "now(), gen_random_uuid(), current_date, current_timestamp, localtimestamp, "         \
    "clock_timestamp(), statement_timestamp(), transaction_timestamp()"
extern const char *const pgorm_sx_default_fn_names[];
extern const size_t pgorm_sx_ndefault_fns;
/* The known function of that name (not NUL-terminated), or NULL; now() is
   PGORM_DEFAULT_NOW and not in this list. */
const pgorm_sx_default_fn *pgorm_sx_default_fn_find(const char *name, size_t len);
/* The known function whose SQL spelling ("gen_random_uuid()") is text. */
const pgorm_sx_default_fn *pgorm_sx_default_fn_of_sql(const char *text);

#endif
