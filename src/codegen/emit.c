#include "codegen/emit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codegen/names.h"

void cg_printf(cg_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pgorm_buf_vprintf(&o->b, fmt, ap);
    va_end(ap);
}

const char *cg_sfmt(cg_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *s = cg_vfmt(o->arena, fmt, ap);
    va_end(ap);
    if (!s)
        o->b.oom = true;
    return s ? s : "";
}

const char *cg_take(cg_out *o, pgorm_buf *b)
{
    const char *s = b->oom ? NULL : cg_fmt(o->arena, "%s", b->data ? b->data : "");
    pgorm_buf_free(b);
    if (!s)
        o->b.oom = true;
    return s ? s : "";
}

void cg_list_add(cg_out *o, cg_list *l, const char *fmt, ...)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        const char **v = pgorm_arena_alloc(o->arena, cap * sizeof *v);
        if (!v) {
            o->b.oom = true;
            return;
        }
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    const char *s = cg_vfmt(o->arena, fmt, ap);
    va_end(ap);
    if (!s) {
        o->b.oom = true;
        return;
    }
    l->v[l->n++] = s;
}

/* The column where the next byte goes, and the indent of the current line. */
static size_t column(const pgorm_buf *b, size_t *indent)
{
    size_t start = b->len;
    while (start > 0 && b->data[start - 1] != '\n')
        start--;
    size_t i = start;
    while (i < b->len && b->data[i] == ' ')
        i++;
    if (indent)
        *indent = i - start;
    return b->len - start;
}

static void spaces(cg_out *o, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pgorm_buf_putc(&o->b, ' ');
}

void cg_wrap(cg_out *o, const char *head, const cg_list *items, const char *sep, const char *tail)
{
    pgorm_buf_puts(&o->b, head);
    size_t indent = 0;
    size_t cont = column(&o->b, &indent);
    if (cont > 60)
        cont = indent + 8;
    if (items->n == 0)
        pgorm_buf_puts(&o->b, tail);
    for (size_t i = 0; i < items->n; i++) {
        const char *end = i + 1 < items->n ? sep : tail;
        size_t len = strlen(items->v[i]) + strcspn(end, "\n");
        size_t col = column(&o->b, NULL);
        if (i > 0 && col + 1 + len > CG_WIDTH) {
            pgorm_buf_putc(&o->b, '\n');
            spaces(o, cont);
        } else if (i > 0) {
            pgorm_buf_putc(&o->b, ' ');
        }
        pgorm_buf_puts(&o->b, items->v[i]);
        pgorm_buf_puts(&o->b, end);
    }
}

void cg_comment(cg_out *o, int indent, const char *text)
{
    spaces(o, (size_t)indent);
    pgorm_buf_puts(&o->b, "/*");
    const char *p = text;
    while (*p) {
        if (*p == '\n') { /* a forced break; an empty line gets no trailing spaces */
            pgorm_buf_putc(&o->b, '\n');
            if (p[1] != '\n')
                spaces(o, (size_t)indent + 2);
            p++;
            continue;
        }
        size_t len = strcspn(p, " \n");
        if (column(&o->b, NULL) + 1 + len > CG_WIDTH - 3 && len > 0) {
            pgorm_buf_putc(&o->b, '\n');
            spaces(o, (size_t)indent + 2);
        }
        pgorm_buf_putc(&o->b, ' ');
        pgorm_buf_append(&o->b, p, len);
        p += len;
        while (*p == ' ')
            p++;
    }
    if (column(&o->b, NULL) + 3 > CG_WIDTH) {
        pgorm_buf_putc(&o->b, '\n');
        spaces(o, (size_t)indent + 2);
    }
    pgorm_buf_puts(&o->b, " */\n");
}

void cg_c_string(cg_out *o, const char *s)
{
    pgorm_buf_putc(&o->b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            pgorm_buf_puts(&o->b, "\\\"");
            break;
        case '\\':
            pgorm_buf_puts(&o->b, "\\\\");
            break;
        case '\n':
            pgorm_buf_puts(&o->b, "\\n");
            break;
        case '\t':
            pgorm_buf_puts(&o->b, "\\t");
            break;
        case '?': /* "??=" would be a trigraph in strict C modes */
            pgorm_buf_puts(&o->b, p[1] == '?' ? "\\?" : "?");
            break;
        default:
            if (*p < 0x20 || *p >= 0x7f)
                cg_printf(o, "\\%03o", *p);
            else
                pgorm_buf_putc(&o->b, (char)*p);
        }
    }
    pgorm_buf_putc(&o->b, '"');
}

bool cg_comment_safe(const char *s)
{
    if (strlen(s) > 40 || strstr(s, "*/") || strstr(s, "/*") || strstr(s, "??"))
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || *s == '\\')
            return false;
    return true;
}
