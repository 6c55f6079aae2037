/* Migration files on disk: `<dir>/<version>_<name>.up.sql` and `.down.sql`.
 *
 * A version is a string of digits; versions compare as numbers (a longer one
 * is greater), so they sort in the order they apply. Other files in the
 * folder are ignored.
 *
 * Checksum: 64-bit FNV-1a over the bytes of a file (the runner records the
 * .up.sql's and the .down.sql's), written as "fnv1a64:<16 hex digits>". It detects an edited file, not a malicious one
 * (no cryptographic library is needed for that).
 */
#ifndef PGORM_MIGRATE_FILES_H
#define PGORM_MIGRATE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "migrate/mig_err.h"

#define MIG_VERSION_MAX 32 /* bytes of a version, NUL included */
#define MIG_CHECKSUM_SIZE 25 /* "fnv1a64:" + 16 hex + NUL */

typedef struct mig_file {
    char version[MIG_VERSION_MAX];
    char *name;      /* between "<version>_" and ".up.sql" */
    char *up_path;   /* <dir>/<version>_<name>.up.sql */
    char *down_path; /* <dir>/<version>_<name>.down.sql, NULL when it does not exist */
} mig_file;

typedef struct mig_dir {
    mig_file *files; /* sorted by version */
    size_t n;
} mig_dir;

/* Read the folder. A folder that does not exist is an empty list when
   `missing_ok`, else a user error. Two files with one version are a user
   error. Returns MIG_OK or an error code with *e filled. Free with
   mig_dir_free (also after an error). */
int mig_dir_read(const char *dir, bool missing_ok, mig_dir *out, mig_err *e);
void mig_dir_free(mig_dir *d);
/* The file of a version, or NULL. Borrowed from d. */
const mig_file *mig_dir_find(const mig_dir *d, const char *version);

/* <0, 0, >0 as a is older than, the same as, newer than b. */
int mig_version_cmp(const char *a, const char *b);
bool mig_version_valid(const char *v);

/* A whole file as a new NUL-terminated string (pgorm_free); *len its size. */
int mig_read_file(const char *path, char **data, size_t *len, mig_err *e);

void mig_checksum(const char *data, size_t len, char out[MIG_CHECKSUM_SIZE]);
/* The checksum of the file at `path`. */
int mig_checksum_file(const char *path, char out[MIG_CHECKSUM_SIZE], mig_err *e);

/* The version of a new migration: `fixed` (e.g. from PGORM_MIGRATE_VERSION)
   when not NULL, else `now` as UTC YYYYMMDDHHMMSS; and in both cases at
   least the newest version in d plus one, so two migrations made in the
   same second still sort in the order they were made. */
int mig_next_version(const mig_dir *d, const char *fixed, time_t now,
                     char out[MIG_VERSION_MAX], mig_err *e);

/* Write <dir>/<version>_<name>.up.sql and .down.sql (creating dir when
   missing). Neither file may exist yet. On failure neither is left behind.
   `up_path`/`down_path` receive the paths written (new strings, may be
   NULL when not wanted). */
int mig_write_pair(const char *dir, const char *version, const char *name, const char *up,
                   const char *down, char **up_path, char **down_path, mig_err *e);

#endif
