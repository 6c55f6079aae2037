/* Writing C the way a person formats it: 4-space indent, lines of at most
 * CG_WIDTH columns, argument and initializer lists wrapped and aligned.
 * Output goes to a pgorm_buf, whose out-of-memory flag is sticky: emitters
 * write everything and check b.oom once at the end.
 */
#ifndef PGORM_CODEGEN_EMIT_H
#define PGORM_CODEGEN_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/buf.h"

#define CG_WIDTH 100

typedef struct cg_out {
    pgorm_buf b;
    pgorm_arena *arena; /* scratch strings (the plan's arena) */
} cg_out;

/* A list of items for cg_wrap, in the arena. */
typedef struct cg_list {
    const char **v;
    size_t n;
    size_t cap;
} cg_list;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void cg_list_add(cg_out *o, cg_list *l, const char *fmt, ...);

/* printf into the arena, for pieces of output. Never NULL: out of memory
   gives "" and marks the output (o->b.oom). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
const char *cg_sfmt(cg_out *o, const char *fmt, ...);

/* The text of `b` copied into the arena (as cg_sfmt), and `b` freed. */
const char *cg_take(cg_out *o, pgorm_buf *b);

/* printf into the output. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void cg_printf(cg_out *o, const char *fmt, ...);

/* Writes `head`, then the items separated by `sep` and a space (", ",
   " | "), then `tail`. A line that would pass CG_WIDTH breaks before an
   item; the next line starts under the first item (or 8 columns in, when
   that is too far right). */
void cg_wrap(cg_out *o, const char *head, const cg_list *items, const char *sep, const char *tail);

/* A comment of several sentences, filled to CG_WIDTH at `indent` spaces:
   "/<star> text <star>/" with continuation lines aligned under the text. */
void cg_comment(cg_out *o, int indent, const char *text);

/* A C string literal for any bytes: escapes, and octal for bytes outside
   printable ASCII; never a trigraph. */
void cg_c_string(cg_out *o, const char *s);

/* True when `s` can sit inside a comment as is (printable ASCII, no
   comment delimiters, not too long). */
bool cg_comment_safe(const char *s);

#endif
