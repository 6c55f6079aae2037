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

void pgorm_sql_qname(pgorm_buf *b, const char *schema, const char *name)
{
    if (schema && *schema) {
        quote(b, schema, '"');
        pgorm_buf_putc(b, '.');
    }
    quote(b, name, '"');
}

void pgorm_sql_qualified(pgorm_buf *b, const char *qname)
{
    const char *dot = strchr(qname, '.');
    if (!dot) {
        quote(b, qname, '"');
        return;
    }
    char schema[64];
    pgorm_sql_schema_of(qname, schema);
    pgorm_sql_qname(b, schema, dot + 1);
}

const char *pgorm_sql_base_name(const char *qname)
{
    const char *dot = strchr(qname, '.');
    return dot ? dot + 1 : qname;
}

void pgorm_sql_schema_of(const char *qname, char out[64])
{
    const char *dot = strchr(qname, '.');
    size_t n = dot ? (size_t)(dot - qname) : 0;
    if (n > 63)
        n = 63;
    memcpy(out, qname, n);
    out[n] = '\0';
}
