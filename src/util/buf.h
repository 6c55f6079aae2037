/* pgorm_buf — one growable byte/string buffer, used everywhere (SQL text,
 * binary parameters, generated code). Always NUL-terminated when len > 0 or
 * after any append. Allocation failure is sticky: `oom` is set, later appends
 * do nothing, and the user checks once at the end.
 */
#ifndef PGORM_UTIL_BUF_H
#define PGORM_UTIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pgorm_buf {
    char *data;
    size_t len;
    size_t cap;
    bool oom;
} pgorm_buf;

#define PGORM_BUF_INIT {NULL, 0, 0, false}

bool pgorm_buf_reserve(pgorm_buf *b, size_t extra);
void pgorm_buf_append(pgorm_buf *b, const void *data, size_t len);
void pgorm_buf_puts(pgorm_buf *b, const char *s);
void pgorm_buf_putc(pgorm_buf *b, char c);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void pgorm_buf_printf(pgorm_buf *b, const char *fmt, ...);
void pgorm_buf_vprintf(pgorm_buf *b, const char *fmt, va_list ap);
/* Big-endian integers, for binary parameters. */
void pgorm_buf_put_u16(pgorm_buf *b, uint16_t v);
void pgorm_buf_put_u32(pgorm_buf *b, uint32_t v);
/* Overwrite the 4 bytes at `at` (written before) with v, big-endian; nothing
   after an out-of-memory. */
void pgorm_buf_patch_u32(pgorm_buf *b, size_t at, uint32_t v);
void pgorm_buf_put_u64(pgorm_buf *b, uint64_t v);
void pgorm_buf_reset(pgorm_buf *b); /* len = 0, keeps memory */
void pgorm_buf_free(pgorm_buf *b);
/* Hand the string to the caller (owned; free with pgorm_free); the buffer is
   emptied. NULL when oom. */
char *pgorm_buf_steal(pgorm_buf *b);

#endif
