/* W5's streaming half, each implementation in a process of its own
 * (bench_w5.c). */
#ifndef PGORM_BENCH_W5_H
#define PGORM_BENCH_W5_H

#include <stdint.h>

typedef struct w5_result {
    long rows;
    double ms;
    long peak_rss_kib; /* the child's maximum resident set size */
    long long check;   /* sum of ids and author ids: both implementations agree */
} w5_result;

/* The child: `pgorm-bench --w5-stream IMPL FIRST LAST` (DATABASE_URL). */
int w5_child_main(const char *impl, const char *first, const char *last);
/* Run that child (self: the path of this program) and collect its figures.
   0, or -1 when it failed. */
int w5_stream_child(const char *self, const char *impl, int64_t first, int64_t last,
                    w5_result *out);

#endif
