/* Does a @default literal fit its column's type? Checked after ForeignKey
 * types are resolved. Only what can be decided from the literal alone:
 * integer ranges, digits before a numeric's point, a varchar's length, the
 * shape of a uuid. Date and JSON syntax are left to PostgreSQL.
 */
#include <stdio.h>
#include <string.h>

#include "schema/schema_int.h"

static const pgorm_sx_default_fn fns[] = {
    {"gen_random_uuid", true, SX_FN_UUID},      {"current_date", false, SX_FN_TIME},
    {"current_timestamp", false, SX_FN_TIME},   {"localtimestamp", false, SX_FN_TIME},
    {"clock_timestamp", true, SX_FN_TIME},      {"statement_timestamp", true, SX_FN_TIME},
    {"transaction_timestamp", true, SX_FN_TIME},
};
#define NFNS (sizeof fns / sizeof fns[0])

/* For "did you mean": the known functions and now. */
const char *const pgorm_sx_default_fn_names[] = {
    "now",          "gen_random_uuid",     "current_date",          "current_timestamp",
    "localtimestamp", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "sql",
};
const size_t pgorm_sx_ndefault_fns =
    sizeof pgorm_sx_default_fn_names / sizeof pgorm_sx_default_fn_names[0];

const pgorm_sx_default_fn *pgorm_sx_default_fn_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NFNS; i++)
        if (strlen(fns[i].name) == len && memcmp(fns[i].name, name, len) == 0)
            return &fns[i];
    return NULL;
}

const pgorm_sx_default_fn *pgorm_sx_default_fn_of_sql(const char *text)
{
    for (size_t i = 0; text && i < NFNS; i++) {
        size_t n = strlen(fns[i].name);
        if (strncmp(text, fns[i].name, n) == 0 &&
            strcmp(text + n, fns[i].parens ? "()" : "") == 0)
            return &fns[i];
    }
    return NULL;
}

/* Is the integer literal t ("-42") within [lo, hi]? (lo < 0 < hi) */
static bool int_fits(const char *t, long long lo, long long hi)
{
    bool neg = *t == '-';
    if (neg)
        t++;
    unsigned long long limit = neg ? (unsigned long long)(-(lo + 1)) + 1 : (unsigned long long)hi;
    unsigned long long v = 0;
    for (; *t; t++) {
        unsigned d = (unsigned)(*t - '0');
        if (d > 9 || v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    return true;
}

/* Digits before the decimal point, without sign and leading zeros. */
static size_t int_digits(const char *t)
{
    if (*t == '-')
        t++;
    while (*t == '0')
        t++;
    size_t n = 0;
    while (t[n] >= '0' && t[n] <= '9')
        n++;
    return n;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* 32 hex digits, hyphens and braces anywhere (PostgreSQL is stricter about
   where; a superset never rejects a value it accepts). */
static bool looks_like_uuid(const char *s)
{
    size_t hex = 0;
    for (; *s; s++) {
        char ch = *s;
        if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))
            hex++;
        else if (ch != '-' && ch != '{' && ch != '}')
            return false;
    }
    return hex == 32;
}

void pgorm_sx_check_default(pgorm_sx_ctx *c, const pgorm_field *f, const pgorm_sx_field_aux *fa)
{
    pgorm_pos pos = fa->arg_pos[SX_A_DEFAULT];
    const pgorm_default *d = &f->def;
    char ty[48], val[64];
    pgorm_coltype_sql(f->type, ty, sizeof ty);
    if (f->type.array && d->kind != PGORM_DEFAULT_NONE &&
        (d->kind != PGORM_DEFAULT_SQL || pgorm_sx_default_fn_of_sql(d->text))) {
        pgorm_sx_diag(&c->d, pos,
                      "@default on array field '%s' (%s) takes an SQL expression: write "
                      "@default(sql(\"'{}'\")) for an empty array, or @default(sql(\"'{a,b}'\"))",
                      f->name, ty);
        return;
    }
    switch (d->kind) {
    case PGORM_DEFAULT_INT: snprintf(val, sizeof val, "%.40s", d->text); break;
    case PGORM_DEFAULT_DECIMAL: snprintf(val, sizeof val, "%.40s", d->text); break;
    case PGORM_DEFAULT_STRING: snprintf(val, sizeof val, "\"...\""); break;
    case PGORM_DEFAULT_BOOL: snprintf(val, sizeof val, "%s", d->text); break;
    case PGORM_DEFAULT_NOW: snprintf(val, sizeof val, "now()"); break;
    case PGORM_DEFAULT_ENUM: snprintf(val, sizeof val, "%.40s", d->text); break;
    case PGORM_DEFAULT_SQL: {
        /* sql("...") is the server's to judge (migrate make tries it); a
           known function must give the column's type. */
        const pgorm_sx_default_fn *fn = pgorm_sx_default_fn_of_sql(d->text);
        if (!fn)
            return;
        pgorm_scalar sc = f->type.scalar;
        bool fits = fn->yields == SX_FN_UUID
                        ? sc == PGORM_S_UUID
                        : sc == PGORM_S_DATE || sc == PGORM_S_TIMESTAMP || sc == PGORM_S_TIMESTAMPTZ;
        if (!fits)
            pgorm_sx_diag(&c->d, pos,
                          "@default(%s) does not fit type %s: it gives %s (for another "
                          "expression write @default(sql(\"...\")))",
                          d->text, ty,
                          fn->yields == SX_FN_UUID ? "a uuid"
                                                   : "a date or time (date, timestamp, timestamptz)");
        return;
    }
    default: return;
    }
    if (f->type.scalar == PGORM_S_ENUM) {
        pgorm_sx_check_enum_default(c, f, pos, val);
        return;
    }
    const char *expected = NULL;
    bool ok = false;
    switch (f->type.scalar) {
    case PGORM_S_INT2:
    case PGORM_S_INT4:
    case PGORM_S_INT8:
    case PGORM_S_SERIAL:
    case PGORM_S_BIGSERIAL: {
        expected = "an integer";
        ok = d->kind == PGORM_DEFAULT_INT;
        if (!ok)
            break;
        long long lo = -32768, hi = 32767;
        const char *range = "-32768 to 32767";
        if (f->type.scalar == PGORM_S_INT4 || f->type.scalar == PGORM_S_SERIAL) {
            lo = -2147483647LL - 1;
            hi = 2147483647LL;
            range = "-2147483648 to 2147483647";
        } else if (f->type.scalar != PGORM_S_INT2) {
            lo = -9223372036854775807LL - 1;
            hi = 9223372036854775807LL;
            range = "-9223372036854775808 to 9223372036854775807";
        }
        if (!int_fits(d->text, lo, hi))
            pgorm_sx_diag(&c->d, pos, "@default(%s) is out of range for %s (%s)", val, ty, range);
        return;
    }
    case PGORM_S_FLOAT4:
    case PGORM_S_FLOAT8:
    case PGORM_S_NUMERIC:
        expected = "an integer or a decimal";
        ok = d->kind == PGORM_DEFAULT_INT || d->kind == PGORM_DEFAULT_DECIMAL;
        if (ok && f->type.scalar == PGORM_S_NUMERIC && f->type.precision > 0) {
            int room = f->type.precision - f->type.scale;
            if (int_digits(d->text) > (size_t)(room > 0 ? room : 0))
                pgorm_sx_diag(&c->d, pos,
                              "@default(%s) does not fit %s: at most %d digit%s before the "
                              "decimal point",
                              val, ty, room, room == 1 ? "" : "s");
        }
        break;
    case PGORM_S_TEXT:
    case PGORM_S_VARCHAR:
    case PGORM_S_UUID:
    case PGORM_S_JSONB:
        expected = "a \"string\"";
        ok = d->kind == PGORM_DEFAULT_STRING;
        if (ok && f->type.scalar == PGORM_S_VARCHAR && f->type.precision > 0 &&
            utf8_chars(d->text) > (size_t)f->type.precision)
            pgorm_sx_diag(&c->d, pos,
                          "@default string is %zu characters long, longer than %s allows",
                          utf8_chars(d->text), ty);
        if (ok && f->type.scalar == PGORM_S_UUID && !looks_like_uuid(d->text))
            pgorm_sx_diag(&c->d, pos,
                          "@default string is not a uuid (write 32 hex digits, like "
                          "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\")");
        break;
    case PGORM_S_DATE:
    case PGORM_S_TIMESTAMP:
    case PGORM_S_TIMESTAMPTZ:
        expected = "a \"string\", now(), current_date, current_timestamp or another time "
                   "function";
        ok = d->kind == PGORM_DEFAULT_STRING || d->kind == PGORM_DEFAULT_NOW;
        break;
    case PGORM_S_BOOL:
        expected = "true or false";
        ok = d->kind == PGORM_DEFAULT_BOOL;
        break;
    case PGORM_S_BYTEA:
        pgorm_sx_diag(&c->d, pos, "@default is not supported on bytea columns");
        return;
    case PGORM_S_ENUM: return; /* above */
    }
    if (!ok && expected)
        pgorm_sx_diag(&c->d, pos, "@default(%s) does not fit type %s: expected %s", val, ty,
                      expected);
}
