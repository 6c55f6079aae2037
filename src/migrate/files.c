#include "migrate/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgorm/pgorm.h"
#include "util/buf.h"

static const char UP[] = ".up.sql";
static const char DOWN[] = ".down.sql";

bool mig_version_valid(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n >= MIG_VERSION_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

int mig_version_cmp(const char *a, const char *b)
{
    while (*a == '0' && a[1])
        a++;
    while (*b == '0' && b[1])
        b++;
    size_t na = strlen(a), nb = strlen(b);
    if (na != nb)
        return na < nb ? -1 : 1;
    return strcmp(a, b);
}

static char *path_join(const char *dir, const char *version, const char *name, const char *ext)
{
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_buf_printf(&b, "%s/%s_%s%s", dir, version, name, ext);
    return pgorm_buf_steal(&b);
}

static int file_cmp(const void *a, const void *b)
{
    return mig_version_cmp(((const mig_file *)a)->version, ((const mig_file *)b)->version);
}

void mig_dir_free(mig_dir *d)
{
    for (size_t i = 0; i < d->n; i++) {
        pgorm_free(d->files[i].name);
        pgorm_free(d->files[i].up_path);
        pgorm_free(d->files[i].down_path);
    }
    pgorm_free(d->files);
    d->files = NULL;
    d->n = 0;
}

/* "<digits>_<name>.up.sql" -> version and name; false for other names. */
static bool parse_name(const char *fname, char version[MIG_VERSION_MAX], const char **name,
                       size_t *name_len)
{
    size_t n = strlen(fname);
    const char *us = strchr(fname, '_');
    if (!us || n <= sizeof UP - 1 || strcmp(fname + n - (sizeof UP - 1), UP) != 0)
        return false;
    size_t vlen = (size_t)(us - fname);
    if (vlen == 0 || vlen >= MIG_VERSION_MAX)
        return false;
    memcpy(version, fname, vlen);
    version[vlen] = '\0';
    if (!mig_version_valid(version))
        return false;
    *name = us + 1;
    if (n - (sizeof UP - 1) <= vlen + 1)
        return false;
    *name_len = n - (sizeof UP - 1) - vlen - 1;
    return true;
}

int mig_dir_read(const char *dir, bool missing_ok, mig_dir *out, mig_err *e)
{
    out->files = NULL;
    out->n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT && missing_ok)
            return MIG_OK;
        return mig_err_set(e, errno == ENOENT ? MIG_USER : MIG_DB,
                           "cannot read the migrations folder %s: %s", dir, strerror(errno));
    }
    size_t cap = 0;
    int rc = MIG_OK;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        char version[MIG_VERSION_MAX];
        const char *name;
        size_t name_len;
        if (!parse_name(ent->d_name, version, &name, &name_len))
            continue;
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            mig_file *nf = pgorm_realloc(out->files, ncap * sizeof *nf);
            if (!nf) {
                rc = mig_err_set(e, MIG_DB, "out of memory reading %s", dir);
                break;
            }
            out->files = nf;
            cap = ncap;
        }
        mig_file *f = &out->files[out->n];
        memset(f, 0, sizeof *f);
        memcpy(f->version, version, sizeof version);
        f->name = pgorm_malloc(name_len + 1);
        if (f->name) {
            memcpy(f->name, name, name_len);
            f->name[name_len] = '\0';
        }
        out->n++;
        f->up_path = f->name ? path_join(dir, version, f->name, UP) : NULL;
        f->down_path = f->name ? path_join(dir, version, f->name, DOWN) : NULL;
        if (!f->up_path || !f->down_path) {
            rc = mig_err_set(e, MIG_DB, "out of memory reading %s", dir);
            break;
        }
        if (access(f->down_path, F_OK) != 0) {
            pgorm_free(f->down_path);
            f->down_path = NULL;
        }
    }
    closedir(d);
    if (rc != MIG_OK)
        return rc;
    if (out->n > 1)
        qsort(out->files, out->n, sizeof *out->files, file_cmp);
    for (size_t i = 1; i < out->n; i++)
        if (mig_version_cmp(out->files[i - 1].version, out->files[i].version) == 0)
            return mig_err_set(e, MIG_USER,
                               "two migrations have version %s: %s and %s; give one of them "
                               "a new version (rename the file)",
                               out->files[i].version, out->files[i - 1].up_path,
                               out->files[i].up_path);
    return MIG_OK;
}

const mig_file *mig_dir_find(const mig_dir *d, const char *version)
{
    for (size_t i = 0; i < d->n; i++)
        if (mig_version_cmp(d->files[i].version, version) == 0)
            return &d->files[i];
    return NULL;
}

int mig_read_file(const char *path, char **data, size_t *len, mig_err *e)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return mig_err_set(e, MIG_DB, "cannot open %s: %s", path, strerror(errno));
    pgorm_buf b = PGORM_BUF_INIT;
    char chunk[8192];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        pgorm_buf_append(&b, chunk, k);
    bool err = ferror(f) != 0;
    fclose(f);
    pgorm_buf_puts(&b, ""); /* NUL-terminated even when empty */
    if (err || b.oom) {
        pgorm_buf_free(&b);
        return mig_err_set(e, MIG_DB, "cannot read %s%s", path, err ? "" : ": out of memory");
    }
    *len = b.len;
    *data = pgorm_buf_steal(&b);
    return MIG_OK;
}

void mig_checksum(const char *data, size_t len, char out[MIG_CHECKSUM_SIZE])
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 0x100000001b3ull;
    }
    snprintf(out, MIG_CHECKSUM_SIZE, "fnv1a64:%016llx", (unsigned long long)h);
}

int mig_checksum_file(const char *path, char out[MIG_CHECKSUM_SIZE], mig_err *e)
{
    char *data;
    size_t len;
    int rc = mig_read_file(path, &data, &len, e);
    if (rc != MIG_OK)
        return rc;
    mig_checksum(data, len, out);
    pgorm_free(data);
    return MIG_OK;
}

/* v + 1 on a digit string (grows by one digit on overflow). */
static void version_inc(char v[MIG_VERSION_MAX])
{
    size_t n = strlen(v);
    for (size_t i = n; i-- > 0;) {
        if (v[i] != '9') {
            v[i]++;
            return;
        }
        v[i] = '0';
    }
    if (n + 1 < MIG_VERSION_MAX) {
        memmove(v + 1, v, n + 1);
        v[0] = '1';
    }
}

int mig_next_version(const mig_dir *d, const char *fixed, time_t now,
                     char out[MIG_VERSION_MAX], mig_err *e)
{
    if (fixed) {
        if (!mig_version_valid(fixed))
            return mig_err_set(e, MIG_USER,
                               "PGORM_MIGRATE_VERSION=%s is not a version (digits only, at "
                               "most %d)",
                               fixed, MIG_VERSION_MAX - 1);
        snprintf(out, MIG_VERSION_MAX, "%s", fixed);
    } else {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(out, MIG_VERSION_MAX, "%Y%m%d%H%M%S", &tm);
    }
    if (d->n && mig_version_cmp(out, d->files[d->n - 1].version) <= 0) {
        snprintf(out, MIG_VERSION_MAX, "%s", d->files[d->n - 1].version);
        version_inc(out);
    }
    return MIG_OK;
}

static int write_new(const char *path, const char *text, mig_err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return mig_err_set(e, errno == EEXIST ? MIG_USER : MIG_DB, "cannot create %s: %s", path,
                           strerror(errno));
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t k = write(fd, text + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int err = errno;
            close(fd);
            unlink(path);
            return mig_err_set(e, MIG_DB, "cannot write %s: %s", path, strerror(err));
        }
        off += (size_t)k;
    }
    if (close(fd) != 0) {
        int err = errno;
        unlink(path);
        return mig_err_set(e, MIG_DB, "cannot write %s: %s", path, strerror(err));
    }
    return MIG_OK;
}

int mig_write_pair(const char *dir, const char *version, const char *name, const char *up,
                   const char *down, char **up_path, char **down_path, mig_err *e)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return mig_err_set(e, MIG_DB, "cannot create the folder %s: %s", dir, strerror(errno));
    char *pu = path_join(dir, version, name, UP);
    char *pd = path_join(dir, version, name, DOWN);
    int rc = MIG_OK;
    if (!pu || !pd)
        rc = mig_err_set(e, MIG_DB, "out of memory");
    if (rc == MIG_OK)
        rc = write_new(pu, up, e);
    if (rc == MIG_OK) {
        rc = write_new(pd, down, e);
        if (rc != MIG_OK)
            unlink(pu);
    }
    if (rc == MIG_OK && up_path) {
        *up_path = pu;
        pu = NULL;
    }
    if (rc == MIG_OK && down_path) {
        *down_path = pd;
        pd = NULL;
    }
    pgorm_free(pu);
    pgorm_free(pd);
    return rc;
}
