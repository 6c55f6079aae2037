/* pgorm_error: filling, copying and releasing errors.
 *
 * An error handed to a callback always has a message. When even the message
 * cannot be allocated, the error points at one of the static messages below
 * (one per code); pgorm_error_clear knows them and never frees them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/core/conn.h"
#include "runtime/core/op.h"

static const char *const code_names[] = {
    [PGORM_OK] = "PGORM_OK",
    [PGORM_ERR_CONNECT] = "PGORM_ERR_CONNECT",
    [PGORM_ERR_CONNECTION_LOST] = "PGORM_ERR_CONNECTION_LOST",
    [PGORM_ERR_SERVER] = "PGORM_ERR_SERVER",
    [PGORM_ERR_PIPELINE_ABORTED] = "PGORM_ERR_PIPELINE_ABORTED",
    [PGORM_ERR_TIMEOUT] = "PGORM_ERR_TIMEOUT",
    [PGORM_ERR_NOMEM] = "PGORM_ERR_NOMEM",
    [PGORM_ERR_INVALID] = "PGORM_ERR_INVALID",
    [PGORM_ERR_DECODE] = "PGORM_ERR_DECODE",
    [PGORM_ERR_CLOSED] = "PGORM_ERR_CLOSED",
    [PGORM_ERR_IO] = "PGORM_ERR_IO",
    [PGORM_ERR_BUSY] = "PGORM_ERR_BUSY",
    [PGORM_ERR_CANCELED] = "PGORM_ERR_CANCELED",
    [PGORM_ERR_TX_ABORTED] = "PGORM_ERR_TX_ABORTED",
    [PGORM_ERR_NULL] = "PGORM_ERR_NULL",
};

/* Fallback messages, used when a formatted message cannot be allocated. */
static const char *const static_messages[] = {
    [PGORM_OK] = "no error",
    [PGORM_ERR_CONNECT] = "could not connect to the server",
    [PGORM_ERR_CONNECTION_LOST] = "the connection to the server was lost",
    [PGORM_ERR_SERVER] = "the server reported an error",
    [PGORM_ERR_PIPELINE_ABORTED] =
        "not run: an earlier statement of the same pipeline sync failed",
    [PGORM_ERR_TIMEOUT] = "timed out",
    [PGORM_ERR_NOMEM] = "out of memory",
    [PGORM_ERR_INVALID] = "invalid argument",
    [PGORM_ERR_DECODE] = "could not decode a value sent by the server",
    [PGORM_ERR_CLOSED] = "not run: the connection was closed",
    [PGORM_ERR_IO] = "input/output error",
    [PGORM_ERR_BUSY] = "not run: the pool's queue is full (pgorm_db_options.max_queue)",
    [PGORM_ERR_CANCELED] = "cancelled",
    [PGORM_ERR_TX_ABORTED] =
        "not run: the transaction is aborted by an earlier error; roll it back",
    [PGORM_ERR_NULL] = "the value is SQL NULL",
};

#define NCODES (sizeof code_names / sizeof code_names[0])

const char *pgorm_errcode_name(pgorm_errcode code)
{
    if ((unsigned)code < NCODES && code_names[code])
        return code_names[code];
    return "PGORM_ERR_UNKNOWN";
}

const char *pgorm_error_static_message(pgorm_errcode code)
{
    if ((unsigned)code < NCODES && static_messages[code])
        return static_messages[code];
    return static_messages[PGORM_ERR_IO];
}

static bool is_static_message(const char *m)
{
    for (size_t i = 0; i < NCODES; i++)
        if (m == static_messages[i])
            return true;
    return false;
}

void pgorm_error_clear(pgorm_error *err)
{
    if (!err)
        return;
    if (err->message && !is_static_message(err->message))
        pgorm_free(err->message);
    pgorm_free(err->detail);
    pgorm_free(err->hint);
    pgorm_free(err->constraint);
    pgorm_free(err->table);
    pgorm_free(err->column);
    pgorm_free(err->schema);
    memset(err, 0, sizeof *err);
}

/* The message slot is `char *` for users; static fallbacks are never written
   through it. */
static void set_static_message(pgorm_error *err, pgorm_errcode code)
{
    union {
        const char *c;
        char *m;
    } u = {.c = pgorm_error_static_message(code)};
    err->message = u.m;
}

void pgorm_error_set_static(pgorm_error *err, pgorm_errcode code)
{
    if (!err)
        return;
    err->code = code;
    set_static_message(err, code);
}

int pgorm_error_copy(pgorm_error *dst, const pgorm_error *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src)
        return 0;
    dst->code = src->code;
    memcpy(dst->sqlstate, src->sqlstate, sizeof dst->sqlstate);
    dst->sqlstate[sizeof dst->sqlstate - 1] = '\0';
    dst->position = src->position;
    bool ok = true;
    if (src->message) {
        if (is_static_message(src->message))
            dst->message = src->message;
        else if (!(dst->message = pgorm_strdup(src->message)))
            ok = false;
    }
#define COPY(f)                                         \
    if (ok && src->f && !(dst->f = pgorm_strdup(src->f))) \
        ok = false;
    COPY(detail)
    COPY(hint)
    COPY(constraint)
    COPY(table)
    COPY(column)
    COPY(schema)
#undef COPY
    if (ok)
        return 0;
    /* Keep what a caller needs most: the code, SQLSTATE and a message. */
    pgorm_errcode code = dst->code;
    char st[6];
    memcpy(st, dst->sqlstate, sizeof st);
    pgorm_error_clear(dst);
    dst->code = code;
    memcpy(dst->sqlstate, st, sizeof st);
    set_static_message(dst, code);
    return -1;
}

void pgorm_error_vset(pgorm_error *err, pgorm_errcode code, const char *fmt, va_list ap)
{
    if (!err)
        return;
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_buf_vprintf(&b, fmt, ap);
    err->code = code;
    err->message = pgorm_buf_steal(&b);
    if (!err->message)
        set_static_message(err, code);
}

void pgorm_error_set(pgorm_error *err, pgorm_errcode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pgorm_error_vset(err, code, fmt, ap);
    va_end(ap);
}

int pgorm_trimmed_len(const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    return n > 0x7fffffff ? 0x7fffffff : (int)n;
}

static char *dup_field(const PGresult *res, int field, bool *ok)
{
    const char *v = PQresultErrorField(res, field);
    if (!v)
        return NULL;
    char *s = pgorm_strdup(v);
    if (!s)
        *ok = false;
    return s;
}

void pgorm_error_from_result(pgorm_error *err, const PGresult *res)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    if (!res) {
        /* libpq could not even build a result */
        pgorm_error_set_static(err, PGORM_ERR_NOMEM);
        return;
    }
    err->code = PQresultStatus(res) == PGRES_PIPELINE_ABORTED ? PGORM_ERR_PIPELINE_ABORTED
                                                              : PGORM_ERR_SERVER;
    const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (st)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", st);
    const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    if (pos)
        err->position = atoi(pos);

    bool ok = true;
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (primary) {
        err->message = pgorm_strdup(primary);
    } else {
        /* an error libpq made itself (no fields): its whole text */
        const char *m = PQresultErrorMessage(res);
        if (m && *m)
            pgorm_error_set(err, err->code, "%.*s", pgorm_trimmed_len(m), m);
        else if (err->code == PGORM_ERR_PIPELINE_ABORTED)
            set_static_message(err, err->code);
        else
            pgorm_error_set(err, err->code, "the server reported an error (%s)",
                            PQresStatus(PQresultStatus(res)));
    }
    if (!err->message) {
        set_static_message(err, err->code);
        ok = false;
    }
    if (ok)
        err->detail = dup_field(res, PG_DIAG_MESSAGE_DETAIL, &ok);
    if (ok)
        err->hint = dup_field(res, PG_DIAG_MESSAGE_HINT, &ok);
    if (ok)
        err->constraint = dup_field(res, PG_DIAG_CONSTRAINT_NAME, &ok);
    if (ok)
        err->table = dup_field(res, PG_DIAG_TABLE_NAME, &ok);
    if (ok)
        err->column = dup_field(res, PG_DIAG_COLUMN_NAME, &ok);
    if (ok)
        err->schema = dup_field(res, PG_DIAG_SCHEMA_NAME, &ok);
    /* On OOM some of the optional fields stay NULL: the code, SQLSTATE and a
       message are what matter, and they are kept. */
}
