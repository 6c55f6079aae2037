/* Errors of the migration layer: a message a person can act on, the exit
 * code class it maps to, and the server's SQLSTATE and position when the
 * database refused something. Fixed-size, so it needs no freeing.
 */
#ifndef PGORM_MIGRATE_MIG_ERR_H
#define PGORM_MIGRATE_MIG_ERR_H

#include <libpq-fe.h>

enum {
    MIG_OK = 0,
    MIG_USER = 1, /* the user can fix it: bad argument, refused change */
    MIG_DB = 2,   /* the database or the file system failed */
};

typedef struct mig_err {
    int status;       /* MIG_USER or MIG_DB; MIG_OK when no error */
    char sqlstate[6]; /* "" when not from the server */
    int position;     /* 1-based position in the failing statement, 0 when none */
    char message[4096];
} mig_err;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int mig_err_set(mig_err *e, int status, const char *fmt, ...);

/* From a failed result (or, when res is NULL, the connection's last error):
   "<what>: <server message> [SQLSTATE]", with DETAIL and HINT when given.
   Returns MIG_DB. */
int mig_err_pg(mig_err *e, PGconn *conn, const PGresult *res, const char *what);

/* Run a statement that returns no rows / rows; on failure fill *e and return
   NULL (the result is cleared). The result is owned by the caller. */
PGresult *mig_exec(PGconn *conn, const char *sql, ExecStatusType want, mig_err *e,
                   const char *what);
PGresult *mig_exec_params(PGconn *conn, const char *sql, int nparams, const char *const *params,
                          ExecStatusType want, mig_err *e, const char *what);

#endif
