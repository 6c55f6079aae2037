#include "util/sqlq.h"

#include <string.h>

static void quote(pgorm_buf *b, const char *s, char q)
{
    pgorm_buf_putc(b, q);
    for (const char *p = s; *p; p++) {
        const char *next = strchr(p, q);
        if (!next) {
            pgorm_buf_puts(b, p);
            break;
        }
        pgorm_buf_append(b, p, (size_t)(next - p) + 1);
        pgorm_buf_putc(b, q);
        p = next;
    }
    pgorm_buf_putc(b, q);
}

void pgorm_sql_ident(pgorm_buf *b, const char *name)
{
    quote(b, name, '"');
}

void pgorm_sql_literal(pgorm_buf *b, const char *s)
{
    quote(b, s, '\'');
}
