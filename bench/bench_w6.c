/* W6: the aggregate of bench_w6.h. libpq: the prepared statement, binary
 * results, values read into structs. pgorm: pgorm_query_sql_sync, the same
 * values through the typed getters (strings pointed at, as libpq's are). */
#include "bench_w6.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

typedef struct w6_row {
    int64_t id, books;
    const char *name;
} w6_row;

static w6_row rows[4096];

static int64_t be64(const char *p)
{
    uint32_t hi, lo;
    memcpy(&hi, p, 4);
    memcpy(&lo, p + 4, 4);
    return (int64_t)(((uint64_t)ntohl(hi) << 32) | ntohl(lo));
}

long w6_libpq(PGconn *c, int64_t *check)
{
    uint32_t p = htonl(W6_MIN_PAGES);
    const char *vals[1] = {(const char *)&p};
    int lens[1] = {4}, fmts[1] = {1};
    PGresult *r = PQexecPrepared(c, "w6", 1, vals, lens, fmts, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "w6 libpq: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    long n = PQntuples(r);
    *check = 0;
    for (long i = 0; i < n && i < 4096; i++) {
        rows[i].id = be64(PQgetvalue(r, (int)i, 0));
        rows[i].name = PQgetvalue(r, (int)i, 1);
        rows[i].books = be64(PQgetvalue(r, (int)i, 2));
        *check += rows[i].id * 7 + rows[i].books + (int64_t)strlen(rows[i].name);
    }
    PQclear(r);
    return n;
}

long w6_pgorm(pgorm_db *db, int64_t *check)
{
    pgorm_rows *res = NULL;
    pgorm_error err;
    pgorm_param p[] = {pgorm_p_int4(W6_MIN_PAGES)};
    if (pgorm_query_sql_sync(db, W6_SQL, p, 1, &res, &err) != 0) {
        fprintf(stderr, "w6 pgorm: %s\n", err.message);
        pgorm_error_clear(&err);
        return -1;
    }
    long n = (long)pgorm_rows_count(res);
    *check = 0;
    for (long i = 0; i < n && i < 4096; i++) {
        w6_row *w = &rows[i];
        if (pgorm_row_int8(res, (size_t)i, "id", &w->id, NULL) ||
            pgorm_row_text(res, (size_t)i, "name", &w->name, NULL) ||
            pgorm_row_int8(res, (size_t)i, "books", &w->books, NULL)) {
            fprintf(stderr, "w6 pgorm: a getter failed\n");
            pgorm_rows_free(res);
            return -1;
        }
        *check += w->id * 7 + w->books + (int64_t)strlen(w->name);
    }
    pgorm_rows_free(res);
    return n;
}
