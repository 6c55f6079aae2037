#include "migrate/mig_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mig_err_set(mig_err *e, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    e->status = status;
    e->sqlstate[0] = '\0';
    e->position = 0;
    return status;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

int mig_err_pg(mig_err *e, PGconn *conn, const PGresult *res, const char *what)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
    char conn_msg[1024];
    if (!primary) {
        snprintf(conn_msg, sizeof conn_msg, "%s", conn ? PQerrorMessage(conn) : "unknown error");
        trim(conn_msg);
        primary = conn_msg[0] ? conn_msg : "unknown error";
    }
    /* a migration with citext columns, on a database without the extension */
    if (!hint && state && strcmp(state, "42704") == 0 &&
        strcmp(primary, "type \"citext\" does not exist") == 0)
        hint = "citext is the type of the citext extension: CREATE EXTENSION citext first (as a "
               "user allowed to)";
    int n = snprintf(e->message, sizeof e->message, "%s: %s", what, primary);
    if (state && n >= 0 && (size_t)n < sizeof e->message)
        n += snprintf(e->message + n, sizeof e->message - (size_t)n, " [SQLSTATE %s]", state);
    if (detail && n >= 0 && (size_t)n < sizeof e->message)
        n += snprintf(e->message + n, sizeof e->message - (size_t)n, "\nDETAIL: %s", detail);
    if (hint && n >= 0 && (size_t)n < sizeof e->message)
        snprintf(e->message + n, sizeof e->message - (size_t)n, "\nHINT: %s", hint);
    e->status = MIG_DB;
    snprintf(e->sqlstate, sizeof e->sqlstate, "%s", state ? state : "");
    e->position = pos ? atoi(pos) : 0;
    return MIG_DB;
}

PGresult *mig_exec_params(PGconn *conn, const char *sql, int nparams, const char *const *params,
                          ExecStatusType want, mig_err *e, const char *what)
{
    PGresult *r = nparams ? PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0)
                          : PQexec(conn, sql);
    if (PQresultStatus(r) != want) {
        mig_err_pg(e, conn, r, what);
        PQclear(r);
        return NULL;
    }
    return r;
}

PGresult *mig_exec(PGconn *conn, const char *sql, ExecStatusType want, mig_err *e,
                   const char *what)
{
    return mig_exec_params(conn, sql, 0, NULL, want, e, what);
}
