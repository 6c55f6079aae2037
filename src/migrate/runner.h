/* The migration runner: `up`, `down`, `redo`, `status` and `history` over
 * a folder of migration files and the table public.pgorm_migrations
 * (version, name, checksum, applied_at, down_checksum).
 *
 * `up`, `down` and `redo` hold a session advisory lock for their whole run,
 * so two of them started at once on one database run one after the other
 * and each migration is applied exactly once. Each file runs in its own
 * transaction together with its row in pgorm_migrations: a failing
 * statement rolls the file back entirely and the error names the
 * statement, its line, the server's message, SQLSTATE and position. A file
 * already applied whose .up.sql changed since (checksum, see files.h) is
 * refused.
 *
 * `up` also records the checksum of each file's .down.sql ("none" when it
 * has none), and `down` and `redo` refuse to run a down file that changed
 * since, unless allow_changed_down. A NULL down_checksum is a row written
 * before pgorm recorded it: not checked, and said so. A table without the
 * column (made by an older pgorm) gets it from the first up, down or redo,
 * under the lock; status and history read such a table as it is.
 *
 * Blocking libpq; progress goes to `say` (one line per call, no newline),
 * never to stdout or stderr directly.
 */
#ifndef PGORM_MIGRATE_RUNNER_H
#define PGORM_MIGRATE_RUNNER_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "migrate/files.h"
#include "migrate/mig_err.h"

typedef void (*mig_say_fn)(void *ud, const char *line);

/* Format one progress line (at most 2 KiB) and hand it to say(ud, line);
   nothing when say is NULL. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void mig_say(mig_say_fn say, void *ud, const char *fmt, ...);

typedef struct mig_runner {
    PGconn *conn;   /* borrowed, idle, connected to the target database */
    const char *dir; /* borrowed: the migrations folder */
    mig_say_fn say; /* may be NULL */
    void *ud;
    bool allow_changed_down; /* down/redo: run a down file that changed since up */
} mig_runner;

/* Apply every pending migration in version order, or those up to and
   including `to` (NULL: all). Returns MIG_OK, MIG_USER or MIG_DB with *e
   filled. */
int mig_up(const mig_runner *r, const char *to, mig_err *e);

/* Revert the `steps` newest applied migrations (newest first). Every down
   file is checked (there, unchanged) before the first one runs. */
int mig_down(const mig_runner *r, int steps, mig_err *e);

/* Revert the newest applied migration and apply it again: its down file,
   then its up file, each in its own transaction. A user error when none is
   applied. */
int mig_redo(const mig_runner *r, mig_err *e);

/* One line per migration: applied (with its time), pending, changed since
   applied, or applied with no file; then a summary. */
int mig_status(const mig_runner *r, mig_err *e);

/* One line per applied migration in the order they were applied: time,
   version_name, the up and down checksums recorded, each marked MISSING
   or CHANGED (with the checksum on disk) when the file differs; then a
   summary. */
int mig_history(const mig_runner *r, mig_err *e);

/* How many files in the folder are not applied (for `make`, which refuses
   to compare with a database that is behind its own folder). */
int mig_count_pending(PGconn *conn, const mig_dir *d, size_t *pending, mig_err *e);

#endif
