/* The diff of two catalogs: every change that takes `from` (the database)
 * to `to` (the schema file).
 *
 * Tables and columns are matched by SQL name; when a name of `to` is absent
 * from `from`, by its @@renamed_from / @renamed_from (never guessed). Every
 * difference on a matched column is its own change (type, NULL, default).
 * Keys, unique constraints and indexes are compared by definition (kind and
 * columns in order), not by name; foreign keys by column, target table and
 * column, and ON DELETE; checks by name and by the server's spelling of
 * their expression (pg_get_constraintdef; see mig_check_eq); a check of the
 * database that pgorm did not make and the file does not name is kept
 * (mig_keep_unmanaged_checks). A changed key,
 * foreign key or check is a drop and an add.
 * A serial column differs from an int4 one by its type (the sequence is
 * part of the type); its default is the sequence's and is not compared.
 *
 * Changes point into both catalogs, which must outlive the diff.
 */
#ifndef PGORM_MIGRATE_DIFF_H
#define PGORM_MIGRATE_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "migrate/catalog.h"
#include "util/buf.h"

typedef enum mig_change_kind {
    MIG_TABLE_ADD,      /* to_table */
    MIG_TABLE_DROP,     /* from_table */
    MIG_TABLE_RENAME,   /* from_table -> to_table */
    MIG_COLUMN_ADD,     /* to_table, to_col */
    MIG_COLUMN_DROP,    /* from_table, from_col (to_table: the matched table) */
    MIG_COLUMN_RENAME,  /* from_col -> to_col */
    MIG_COLUMN_TYPE,    /* from_col -> to_col */
    MIG_COLUMN_NULL,    /* from_col -> to_col: NULL <-> NOT NULL */
    MIG_COLUMN_DEFAULT, /* from_col -> to_col: set, changed or dropped */
    MIG_KEY_ADD,        /* to_table, to_key */
    MIG_KEY_DROP,       /* from_table, from_key (to_table: the matched table) */
    MIG_FK_ADD,         /* to_table, to_fk */
    MIG_FK_DROP,        /* from_table, from_fk (to_table: the matched table) */
    MIG_ENUM_ADD,       /* to_enum */
    MIG_ENUM_DROP,      /* from_enum */
    MIG_ENUM_ALTER,     /* from_enum -> to_enum (same name): values added, renamed
                           (@renamed_from), dropped or reordered; see render.h */
    MIG_CHECK_ADD,      /* to_table, to_check (from_table: the matched table) */
    MIG_CHECK_DROP,     /* from_table, from_check (to_table: the matched table) */
    MIG_CHECK_MARK,     /* from_check == to_check but not marked as pgorm's (see
                           mig_check.marked): only in a diff that has other
                           changes, so it never makes a migration alone */
} mig_change_kind;

typedef struct mig_change {
    mig_change_kind kind;
    const mig_table *from_table, *to_table;
    const mig_column *from_col, *to_col;
    const mig_key *from_key, *to_key;
    const mig_fk *from_fk, *to_fk;
    const mig_enum *from_enum, *to_enum;
    const mig_check *from_check, *to_check;
} mig_change;

typedef struct mig_diff {
    mig_change *items;
    size_t n, cap;
    const mig_catalog *from, *to;
    /* The server's PQserverVersion (e.g. 150004), set by the caller before
       rendering; 0: unknown, rendered as for a current server. */
    int server_version;
} mig_diff;

/* Compute the diff into *out (new; free with mig_diff_free). Returns false
   on OOM. Both catalogs are borrowed and must outlive *out. */
bool mig_diff_compute(const mig_catalog *from, const mig_catalog *to, mig_diff *out);
void mig_diff_free(mig_diff *d);

/* The table of `to` matched with table `from_name` of `from` (by name or by
   rename), or NULL when that table is dropped. */
const mig_table *mig_diff_matched_table(const mig_diff *d, const char *from_name);
/* The column of `to_table` that from-column `from_col` of the matched table
   became (by name or rename), or NULL when it is dropped. */
const char *mig_diff_new_column(const mig_diff *d, const mig_table *from_table,
                                const char *from_col);

/* Whether a change can lose data: a dropped table or column, or a type that
   does not hold every value of the old one (see mig_type_widens). */
bool mig_change_lossy(const mig_change *c);

/* One line a person reads: "add column book.pages int4 NULL". */
void mig_change_describe(pgorm_buf *b, const mig_change *c);

/* Enum values. The label of `from` that label ti of `to` was: the same
   label, else its @renamed_from when `from` has it and `to` does not;
   PGORM_NONE for a new value. */
size_t mig_enum_old_label(const mig_enum *from, const mig_enum *to, size_t ti);
/* Whether label fi of `from` goes (nothing in `to` comes from it). */
bool mig_enum_label_dropped(const mig_enum *from, const mig_enum *to, size_t fi);
/* Whether `to` cannot be reached with ADD VALUE and RENAME VALUE: a value
   goes, or kept values change their order. */
bool mig_enum_needs_recreate(const mig_enum *from, const mig_enum *to);

/* Whether two defaults are the same (by the server's spelling when both
   have it). */
bool mig_default_eq(const mig_column *a, const mig_column *b);

/* Whether two checks are the same: equal names and equal definitions (the
   server's spelling when both have it, else the expression as written). */
bool mig_check_eq(const mig_check *a, const mig_check *b);

/* Add to from->unmanaged (MIG_UM_CHECK) every check of the database that
   pgorm did not make (mig_check.marked false) and whose table's schema side
   in `to` does not name it: the diff leaves those alone. A check of the
   database that the file names is the file's, marked or not. False on OOM. */
bool mig_keep_unmanaged_checks(mig_catalog *from, const mig_catalog *to);

#endif
