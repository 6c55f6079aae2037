/* The C spelling of each scalar type of the schema language. */
#include "codegen/plan.h"

/* A value held in the struct itself (a has_ flag marks NULL / unset). */
#define FIXED(c, type, value, ordered)                                                             \
    {c, c, "const " c " *", "", type, value, false, ordered, false}
/* A string: NULL is SQL NULL. */
#define STRING(type, ordered, text)                                                                \
    {"char *", "const char *", "const char *const *", "(char *)", type, "s", true, ordered, text}

static const cg_ctype types[] = {
    [PGORM_S_BOOL] = FIXED("bool", "PGORM_BOOL", "b", false),
    [PGORM_S_INT2] = FIXED("int16_t", "PGORM_INT2", "i16", true),
    [PGORM_S_INT4] = FIXED("int32_t", "PGORM_INT4", "i32", true),
    [PGORM_S_INT8] = FIXED("int64_t", "PGORM_INT8", "i64", true),
    [PGORM_S_SERIAL] = FIXED("int32_t", "PGORM_INT4", "i32", true),
    [PGORM_S_BIGSERIAL] = FIXED("int64_t", "PGORM_INT8", "i64", true),
    [PGORM_S_FLOAT4] = FIXED("float", "PGORM_FLOAT4", "f4", true),
    [PGORM_S_FLOAT8] = FIXED("double", "PGORM_FLOAT8", "f8", true),
    [PGORM_S_NUMERIC] = STRING("PGORM_NUMERIC", true, false),
    [PGORM_S_TEXT] = STRING("PGORM_TEXT", true, true),
    [PGORM_S_VARCHAR] = STRING("PGORM_TEXT", true, true),
    /* bytea: data == NULL is NULL, so it needs no has_ flag either */
    [PGORM_S_BYTEA] = {"pgorm_bytes", "pgorm_bytes", "const pgorm_bytes *", "", "PGORM_BYTEA",
                       "bytes", true, false, false},
    [PGORM_S_UUID] = FIXED("pgorm_uuid", "PGORM_UUID", "uuid", true),
    [PGORM_S_DATE] = FIXED("pgorm_date", "PGORM_DATE", "date", true),
    [PGORM_S_TIMESTAMP] = FIXED("pgorm_timestamp", "PGORM_TIMESTAMP", "ts", true),
    [PGORM_S_TIMESTAMPTZ] = FIXED("pgorm_timestamp", "PGORM_TIMESTAMPTZ", "ts", true),
    [PGORM_S_JSONB] = STRING("PGORM_JSONB", false, false),
    /* the shape of every enum; each enum has its own (cg_enum.ct, plan.c) */
    [PGORM_S_ENUM] = FIXED("int", "PGORM_ENUM", "i32", true),
};

const cg_ctype *cg_ctype_of(pgorm_scalar s)
{
    if ((size_t)s >= sizeof types / sizeof types[0] || !types[s].c)
        return NULL;
    return &types[s];
}
