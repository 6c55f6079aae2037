#include "util/buf.h"

#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"

bool pgorm_buf_reserve(pgorm_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (extra > SIZE_MAX - b->len - 1) {
        b->oom = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = pgorm_realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void pgorm_buf_append(pgorm_buf *b, const void *data, size_t len)
{
    if (!pgorm_buf_reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void pgorm_buf_puts(pgorm_buf *b, const char *s)
{
    pgorm_buf_append(b, s, strlen(s));
}

void pgorm_buf_putc(pgorm_buf *b, char c)
{
    pgorm_buf_append(b, &c, 1);
}

void pgorm_buf_vprintf(pgorm_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        pgorm_buf_append(b, small, (size_t)n);
        return;
    }
    if (!pgorm_buf_reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void pgorm_buf_printf(pgorm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pgorm_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void pgorm_buf_put_u16(pgorm_buf *b, uint16_t v)
{
    unsigned char x[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    pgorm_buf_append(b, x, 2);
}

void pgorm_buf_put_u32(pgorm_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    pgorm_buf_append(b, x, 4);
}

void pgorm_buf_patch_u32(pgorm_buf *b, size_t at, uint32_t v)
{
    if (b->oom || at + 4 > b->len)
        return;
    unsigned char *p = (unsigned char *)b->data + at;
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

void pgorm_buf_put_u64(pgorm_buf *b, uint64_t v)
{
    pgorm_buf_put_u32(b, (uint32_t)(v >> 32));
    pgorm_buf_put_u32(b, (uint32_t)v);
}

void pgorm_buf_reset(pgorm_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void pgorm_buf_free(pgorm_buf *b)
{
    pgorm_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

char *pgorm_buf_steal(pgorm_buf *b)
{
    if (b->oom) {
        pgorm_buf_free(b);
        return NULL;
    }
    if (!b->data && !pgorm_buf_reserve(b, 0))
        return NULL;
    b->data[b->len] = '\0';
    char *s = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}
