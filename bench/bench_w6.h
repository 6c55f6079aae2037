/* W6: a raw-SQL aggregate (authors with their count of books over a page
 * count), pgorm_query_sql with typed getters against hand-written libpq
 * (bench_w6.c). Each reads every row into the same C struct. */
#ifndef PGORM_BENCH_W6_H
#define PGORM_BENCH_W6_H

#include <libpq-fe.h>
#include <stdint.h>

#include <pgorm/pgorm.h>

#define W6_SQL                                                                                   \
    "SELECT a.id, a.name, count(b.*) AS books FROM author a JOIN book b ON b.author_id = a.id "  \
    "WHERE b.pages >= $1 GROUP BY a.id ORDER BY books DESC, a.id"
#define W6_MIN_PAGES 300

/* Run it (libpq: prepared as "w6" on c by the caller); the number of rows, or -1 (message on stderr). *check: a sum of
   what was read, equal for both. */
long w6_libpq(PGconn *c, int64_t *check);
long w6_pgorm(pgorm_db *db, int64_t *check);

#endif
