/* Internal: an operation queued on a connection.
 *
 * The connection core (conn.c) owns the queue and the libpq state machine;
 * the layers above (crud.c, raw exec, later relationships and upsert) build
 * operations and react to their results. One operation is ONE statement
 * followed by its own pipeline sync, so an error fails that operation alone.
 *
 * Lifecycle: pgorm_op_init() on a caller-allocated struct (usually embedded
 * first in a larger one) -> set sql/params -> pgorm_db_submit() (the core
 * takes it) -> vt->result() zero or more times -> vt->complete() exactly once,
 * after which the core never touches the op again (complete frees it).
 */
#ifndef PGORM_RUNTIME_OP_H
#define PGORM_RUNTIME_OP_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "pgorm/pgorm.h"
#include "util/buf.h"

typedef struct pgorm_op pgorm_op;

typedef struct pgorm_op_vtbl {
    /* A PGresult of this op's statement with status PGRES_TUPLES_OK,
       PGRES_COMMAND_OK or PGRES_SINGLE_TUPLE. Borrowed: the core PQclear()s
       it after the call. Return 0, or -1 with *err filled (message must be
       set; the core then fails the op with that error). */
    int (*result)(pgorm_op *op, const PGresult *res, pgorm_error *err);
    /* Exactly once. err == NULL on success. Must free the op. */
    void (*complete)(pgorm_op *op, const pgorm_error *err);
} pgorm_op_vtbl;

struct pgorm_op {
    /* --- set by the builder --- */
    const pgorm_op_vtbl *vt;
    char *sql;     /* owned by the op (pgorm_op_release frees it) */
    bool prepare;  /* use a named prepared statement cached per connection by sql text */
    int nparams;
    Oid *param_types;       /* may be NULL: the server infers */
    const char **param_values;
    int *param_lengths;
    int *param_formats;
    int result_format;      /* 0 text, 1 binary */
    pgorm_buf params;       /* storage for the param arrays and values (owned) */
    /* Single-row mode (PQsetSingleRowMode): result() then receives one
       PGRES_SINGLE_TUPLE per row and a final PGRES_TUPLES_OK with no rows.
       Best effort: when libpq refuses it, one whole PGRES_TUPLES_OK comes. */
    bool single_row;
    /* Internal (transactions): send this statement WITHOUT its own pipeline
       sync, so it shares the sync of the op queued right after it on the
       same connection (BEGIN / SAVEPOINT travel with the first statement:
       if they fail, that statement is not run). It completes when its
       results end. */
    bool no_sync;
    /* A statement without side effects (a SELECT of rows or a count), on a
       pool: the core may send it in a GROUP of such statements sharing one
       pipeline Sync (one send() for the group instead of one each). When a
       statement of a group fails, the server skips the rest of the group;
       those are sent again, each with its own Sync, after what was queued
       meanwhile, so they still run once and see no error of another. */
    bool read_only;

    /* --- owned by the core --- */
    pgorm_op *next;
    int core_state;
    int core_results;      /* results seen for this op */
    pgorm_error core_err;  /* first error seen for this op */
    char core_stmt[32];    /* prepared statement name */
    struct pgorm_stmt *core_stmt_ref; /* the cached statement it executes, or NULL */
    size_t core_bytes;     /* estimated bytes sent, for flow control */
    pgorm_db *core_tx;     /* the transaction handle it was made on, or NULL */
    int64_t core_deadline; /* pgorm_now_ms() by which it must complete; 0: none */
    int core_timeout_ms;   /* the timeout that set it (for the message) */
    pgorm_errcode core_cancel; /* asked to stop: PGORM_ERR_TIMEOUT / _CANCELED; else 0 */
    bool core_grouped;  /* sent in a group of read_only ops (pipeline.c) */
    bool core_nosync;   /* ... and not its last: the group's Sync comes later */
    bool core_retry;    /* skipped by the server (an earlier one of its group failed) */
    bool core_retried;  /* sent again: never grouped any more */
};

/* Zero the op and set its vtable. */
void pgorm_op_init(pgorm_op *op, const pgorm_op_vtbl *vt);
/* Free what pgorm_op_init/the builder put in the op (sql, params), not the op. */
void pgorm_op_release(pgorm_op *op);

/* Give the op to the connection. Always takes ownership; the op's complete()
   runs exactly once, later (never inside this call). */
void pgorm_db_submit(pgorm_db *db, pgorm_op *op);

/* Give the connection an op that sends NO statement: an argument the
   builder refused (err set: PGORM_ERR_INVALID...), or nothing to do (err
   NULL or err->code == PGORM_OK: e.g. an insert of 0 rows). Takes ownership
   like pgorm_db_submit; complete() runs exactly once on a later turn of the
   loop (also driven by pgorm_db_drive_until/run_sync, and at teardown),
   with a copy of *err, or NULL for success. vt->result is never called.
   `err` is borrowed (copied before this returns). Built on
   pgorm_db_fail_later (op_done.c), so its two exceptions hold: with
   db == NULL, or out of memory twice over, complete() runs at once. */
void pgorm_db_submit_done(pgorm_db *db, pgorm_op *op, const pgorm_error *err);

/* Whether sql starts with transaction control (BEGIN, COMMIT, ROLLBACK,
   SAVEPOINT, PREPARE TRANSACTION...), which raw statements refuse: on a
   pool it would take in other requests' operations (exec.c). */
bool pgorm_sql_is_tx_control(const char *sql);

/* Drive the connection with poll() until *done becomes true (set by the
   op's complete), the connection fails, or timeout_ms (< 0: none) passes.
   0 when *done, -1 otherwise (then every pending op has been completed
   with an error, so *done is true anyway on a lost connection).
   With timeout_ms >= 0, a -1 on timeout leaves the op pending: *done (and
   whatever its complete() writes to) must stay valid until it completes;
   the _sync twins therefore pass -1. If a callback frees the handle, this
   returns after the teardown (every op completed) and db is gone. */
int pgorm_db_drive_until(pgorm_db *db, const bool *done, int timeout_ms);

/* For a caller that could not even allocate its op (out of memory) or was
   called with arguments too broken to build one: run
   fn(db, err, f1, f2, ud) on the next loop turn (the timer hook with 0 ms,
   or the next drive in sync mode), with an error of `code` whose message is
   `static_message` (a string literal: it is not copied; NULL uses a generic
   message for the code). Needs no allocation in the common case; `err` is
   borrowed by fn. f1/f2/ud are carried untouched (e.g. the user's callback
   and its pgorm_fn). With db == NULL, fn runs at once (there is no loop to
   defer to). If the handle is being freed, fn still runs exactly once. */
typedef void (*pgorm_later_fn)(pgorm_db *db, const pgorm_error *err, pgorm_fn f1, pgorm_fn f2,
                               void *ud);
void pgorm_db_fail_later(pgorm_db *db, pgorm_errcode code, const char *static_message,
                         pgorm_later_fn fn, pgorm_fn f1, pgorm_fn f2, void *ud);

/* Work held until the end of the loop turn, so that requests made in the
   same turn can be merged into one statement (lazy loads): a map per
   connection from `key` (any address, e.g. a model descriptor) to the
   caller's pending state. The caller schedules its flush with
   pgorm_db_fail_later (which runs on the next turn, or during teardown at
   the latest) and removes its entry there. The core never touches the
   state. put: 0, or -1 (out of memory, db NULL or being torn down: then
   the caller flushes alone). del removes the entry only while it still
   holds `state`. */
void *pgorm_db_held_get(const pgorm_db *db, const void *key);
int pgorm_db_held_put(pgorm_db *db, const void *key, void *state);
void pgorm_db_held_del(pgorm_db *db, const void *key, const void *state);

/* Statement texts cached per pool by SHAPE (the text depends only on it,
   sql.h), so that a hot call (get, update and delete by key) builds only
   its parameters. `key` is the caller's bytes naming the shape (copied).
   get: the pool's copy (borrowed: copy it, it lives as long as the pool)
   or NULL. put: copies sql; does nothing when the cache is full
   (PGORM_SQL_CACHE_MAX shapes) or out of memory. */
#define PGORM_SQL_CACHE_MAX 256
const char *pgorm_db_sql_get(const pgorm_db *db, const void *key, size_t len);
void pgorm_db_sql_put(pgorm_db *db, const void *key, size_t len, const char *sql);

/* Fill *err from a failed PGresult (SQLSTATE, message, detail, constraint...).
   Strings are new (pgorm_error_clear releases them). */
void pgorm_error_from_result(pgorm_error *err, const PGresult *res);
/* Fill *err with a code and a printf-style message. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void pgorm_error_set(pgorm_error *err, pgorm_errcode code, const char *fmt, ...);

#endif
