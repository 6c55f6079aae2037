/* pgorm diagram SCHEMA [-o FILE]: an entity-relationship diagram of the
 * schema's models.
 *
 * The diagram is written in Graphviz's DOT language (cli_diagram_dot); for
 * -o FILE.svg the DOT text is piped into Graphviz's `dot -Tsvg`, started
 * with posix_spawnp from PATH. -o FILE.dot (or .gv) writes the DOT text;
 * -o - or no -o writes it to stdout. Files are written to a temporary name
 * next to FILE and renamed into place, so a failure never leaves half a
 * diagram behind.
 *
 * Exit 0 on success; 1 for a usage error, an unknown extension or an
 * invalid schema (file:line:col diagnostics on stderr); 2 when the schema
 * cannot be read, the output cannot be written, or `dot` is missing or
 * fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/diagram.h"
#include "migrate/ddl.h"
#include "pgorm/pgorm.h"
#include "pgorm/schema.h"
#include "util/buf.h"

extern char **environ;

#define MAX_DIAGS 20

/* ------------------------------------------------------------------ */
/* Escaping                                                             */

/* Length of the valid UTF-8 sequence at p (at most n bytes), that XML
   also accepts as a character; 0 when p does not start one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    uint32_t cp = c & (0x3Fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3Fu);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) || cp >= 0xFFFE))
        return 0;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
        return 0;
    return len;
}

/* s as the text of an HTML-like label (Graphviz reads it as XML): markup
   characters as entities; control characters and bytes that are not UTF-8,
   which XML cannot hold, shown as \n, \t, \r or \xHH. */
static void html_put(pgorm_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t len = utf8_len(p + i, n - i);
        switch (c) {
        case '&': pgorm_buf_puts(b, "&amp;"); break;
        case '<': pgorm_buf_puts(b, "&lt;"); break;
        case '>': pgorm_buf_puts(b, "&gt;"); break;
        case '"': pgorm_buf_puts(b, "&quot;"); break;
        case '\'': pgorm_buf_puts(b, "&#39;"); break;
        case '\n': pgorm_buf_puts(b, "\\n"); break;
        case '\t': pgorm_buf_puts(b, "\\t"); break;
        case '\r': pgorm_buf_puts(b, "\\r"); break;
        default:
            if (len == 0 || c < 0x20 || c == 0x7F) {
                pgorm_buf_printf(b, "\\x%02X", c);
                len = 1;
            } else {
                pgorm_buf_append(b, p + i, len);
            }
            i += len;
            continue;
        }
        i++;
    }
}

/* s as a double-quoted DOT ID. Quoted, a keyword (node, edge, graph...)
   is an ordinary name; '"' and '\' are escaped, control characters and
   bytes that are not UTF-8 written as \xHH, so the ID stays on one line and
   in the file's charset. */
static void dot_id_put(pgorm_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    pgorm_buf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len(p + i, n - i);
        if (p[i] == '"' || p[i] == '\\') {
            pgorm_buf_putc(b, '\\');
            pgorm_buf_putc(b, (char)p[i]);
            len = 1;
        } else if (len == 0 || p[i] < 0x20 || p[i] == 0x7F) {
            pgorm_buf_printf(b, "\\\\x%02X", p[i]);
            len = 1;
        } else {
            pgorm_buf_append(b, p + i, len);
        }
        i += len;
    }
    pgorm_buf_putc(b, '"');
}

/* ------------------------------------------------------------------ */
/* The DOT text                                                         */

static bool has_column(const pgorm_field *f)
{
    return f->kind == PGORM_FIELD_SCALAR || f->kind == PGORM_FIELD_FOREIGN_KEY;
}

static const char *on_delete_name(pgorm_on_delete a)
{
    switch (a) {
    case PGORM_ON_DELETE_CASCADE: return "cascade";
    case PGORM_ON_DELETE_RESTRICT: return "restrict";
    case PGORM_ON_DELETE_SET_NULL: return "set_null";
    case PGORM_ON_DELETE_NO_ACTION: break;
    }
    return NULL;
}

/* Index of m's field whose column is `column`, or PGORM_NONE. */
static size_t column_index(const pgorm_model *m, const char *column)
{
    for (size_t i = 0; column && i < m->nfields; i++)
        if (has_column(&m->fields[i]) && strcmp(pgorm_ddl_field_column(&m->fields[i]), column) == 0)
            return i;
    return PGORM_NONE;
}

/* The key markers of column `col`: PK for a column of the primary key,
   unique and index for single-column ones (composite unique constraints
   and indexes are listed below the columns). */
static void key_markers(pgorm_buf *b, const pgorm_ddl_key *keys, size_t nkeys,
                        const pgorm_field *f, const char *col)
{
    bool pk = false, uq = false, ix = false;
    for (size_t k = 0; k < nkeys; k++) {
        for (size_t c = 0; c < keys[k].ncolumns; c++) {
            if ((keys[k].exprs && keys[k].exprs[c]) || strcmp(keys[k].columns[c], col) != 0)
                continue;
            if (keys[k].kind == PGORM_BLOCK_ID)
                pk = true;
            else if (keys[k].ncolumns == 1 && keys[k].kind == PGORM_BLOCK_UNIQUE)
                uq = true;
            else if (keys[k].ncolumns == 1 && keys[k].kind == PGORM_BLOCK_INDEX)
                ix = true;
        }
    }
    const char *words[4];
    size_t n = 0;
    if (pk)
        words[n++] = "PK";
    if (f->kind == PGORM_FIELD_FOREIGN_KEY)
        words[n++] = "FK";
    if (uq)
        words[n++] = "unique";
    if (ix)
        words[n++] = "index";
    for (size_t i = 0; i < n; i++) {
        if (i)
            pgorm_buf_putc(b, ' ');
        pgorm_buf_puts(b, words[i]);
    }
}

static void model_node(pgorm_buf *b, const pgorm_schema *s, const pgorm_model *m)
{
    bool oom = false;
    size_t nkeys = 0;
    pgorm_ddl_key *keys = pgorm_ddl_model_keys(m, &nkeys, &oom);
    if (oom)
        b->oom = true;
    pgorm_buf tmp = PGORM_BUF_INIT;
    /* name, type, null, keys and, when some column has one, default */
    int ncells = 4;
    for (size_t i = 0; i < m->nfields; i++)
        if (has_column(&m->fields[i]) && m->fields[i].def.kind != PGORM_DEFAULT_NONE)
            ncells = 5;

    pgorm_buf_puts(b, "  ");
    dot_id_put(b, m->name);
    pgorm_buf_puts(b, " [label=<\n"
                      "<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"4\">\n");
    pgorm_buf_printf(b, "<tr><td colspan=\"%d\" bgcolor=\"#dbe5f1\"><b>", ncells);
    html_put(b, m->name);
    pgorm_buf_puts(b, "</b>");
    char *snake = pgorm_snake_case(m->name);
    if (!snake)
        b->oom = true;
    if (m->table && (!snake || strcmp(snake, m->table) != 0 || m->schema)) {
        pgorm_buf_puts(b, "<br/><font point-size=\"9\">table ");
        if (m->schema) { /* its SQL schema */
            html_put(b, m->schema);
            pgorm_buf_putc(b, '.');
        }
        html_put(b, m->table);
        pgorm_buf_puts(b, "</font>");
    }
    pgorm_free(snake);
    pgorm_buf_puts(b, "</td></tr>\n");

    /* one row per column */
    for (size_t i = 0; i < m->nfields; i++) {
        const pgorm_field *f = &m->fields[i];
        if (!has_column(f))
            continue;
        const char *col = pgorm_ddl_field_column(f);
        pgorm_buf_printf(b, "<tr><td port=\"f%zu_in\" align=\"left\">", i);
        html_put(b, col);
        pgorm_buf_puts(b, "</td><td align=\"left\">");
        pgorm_buf_reset(&tmp);
        pgorm_ddl_column_type(&tmp, f);
        html_put(b, tmp.data ? tmp.data : "");
        pgorm_buf_printf(b, "</td><td align=\"left\">%s</td>", f->nullable ? "null" : "not null");
        /* the edge of a ForeignKey leaves from the row's last cell */
        if (ncells == 4)
            pgorm_buf_printf(b, "<td port=\"f%zu_out\" align=\"left\">", i);
        else
            pgorm_buf_puts(b, "<td align=\"left\">");
        key_markers(b, keys, nkeys, f, col);
        if (ncells == 5) {
            pgorm_buf_printf(b, "</td><td port=\"f%zu_out\" align=\"left\">", i);
            pgorm_buf_reset(&tmp);
            pgorm_ddl_default_expr(&tmp, &f->def, f->type);
            if (tmp.len) {
                pgorm_buf_puts(b, "default ");
                html_put(b, tmp.data);
            }
        }
        pgorm_buf_puts(b, "</td></tr>\n");
    }

    /* composite unique constraints and indexes */
    for (size_t k = 0; k < nkeys; k++) {
        if (keys[k].ncolumns < 2 || keys[k].kind == PGORM_BLOCK_ID)
            continue;
        pgorm_buf_printf(b, "<tr><td colspan=\"%d\" align=\"left\">%s (", ncells,
                         keys[k].kind == PGORM_BLOCK_UNIQUE ? "unique" : "index");
        for (size_t c = 0; c < keys[k].ncolumns; c++) {
            if (c)
                pgorm_buf_puts(b, ", ");
            html_put(b, keys[k].exprs && keys[k].exprs[c] ? keys[k].exprs[c]
                                                          : keys[k].columns[c]);
            if (keys[k].desc && keys[k].desc[c])
                pgorm_buf_puts(b, " desc");
        }
        pgorm_buf_puts(b, ")</td></tr>\n");
    }

    /* relations without a column of their own: the other side of a
       ForeignKey, listed, not drawn (the ForeignKey's edge is the relation) */
    for (size_t i = 0; i < m->nfields; i++) {
        const pgorm_field *f = &m->fields[i];
        if (has_column(f))
            continue;
        pgorm_buf_printf(b, "<tr><td colspan=\"%d\" align=\"left\"><i>", ncells);
        html_put(b, f->name);
        pgorm_buf_puts(b, "</i>: ");
        if (f->kind == PGORM_FIELD_BACK_REFERENCE) {
            pgorm_buf_puts(b, "BackReference[");
            const char *tm = f->target_model ? f->target_model : "?";
            const char *tf = f->target_field;
            if (f->target != PGORM_NONE && f->target < s->nmodels) {
                const pgorm_model *t = &s->models[f->target];
                tm = t->name;
                if (f->target_fk != PGORM_NONE && f->target_fk < t->nfields)
                    tf = t->fields[f->target_fk].name;
            }
            html_put(b, tm);
            if (tf) {
                pgorm_buf_putc(b, '.');
                html_put(b, tf);
            }
            pgorm_buf_putc(b, ']');
        } else if (f->kind == PGORM_FIELD_MANY_TO_MANY) {
            /* drawn as the join model's two ForeignKeys */
            pgorm_buf_puts(b, "ManyToMany[");
            html_put(b, f->target_model ? f->target_model : "?");
            pgorm_buf_puts(b, "] through ");
            html_put(b, f->through_model ? f->through_model : "?");
        } else {
            html_put(b, f->target_model ? f->target_model : "?");
        }
        pgorm_buf_puts(b, "</td></tr>\n");
    }
    pgorm_buf_puts(b, "</table>>];\n");
    pgorm_buf_free(&tmp);
    pgorm_free(keys);
}

/* The model a ForeignKey points at, or NULL. */
static const pgorm_model *fk_target(const pgorm_schema *s, const pgorm_field *f)
{
    if (f->target != PGORM_NONE && f->target < s->nmodels)
        return &s->models[f->target];
    return f->target_model ? pgorm_schema_model(s, f->target_model) : NULL;
}

static void fk_edge(pgorm_buf *b, const pgorm_schema *s, const pgorm_model *m, size_t fi)
{
    const pgorm_field *f = &m->fields[fi];
    pgorm_ddl_fkey fk;
    if (!pgorm_ddl_fkey_of(s, m, f, &fk))
        return;
    const pgorm_model *t = fk_target(s, f);
    /* a reference to the model itself loops on the table's right side */
    bool self = t == m;
    pgorm_buf_puts(b, "  ");
    dot_id_put(b, m->name);
    pgorm_buf_printf(b, ":\"f%zu_out\"%s -> ", fi, self ? ":e" : "");
    dot_id_put(b, t ? t->name : f->target_model ? f->target_model : "?");
    if (t) {
        const char *ref = fk.ref_column;
        if (!ref) {
            const pgorm_field *id = pgorm_model_single_id(t);
            ref = id ? pgorm_ddl_field_column(id) : NULL;
        }
        size_t ti = column_index(t, ref);
        if (ti != PGORM_NONE)
            pgorm_buf_printf(b, ":\"f%zu_%s\"%s", ti, self ? "out" : "in", self ? ":e" : "");
    }
    /* crow's foot: zero or many rows of m (zero or one when the key is
       unique) for one row of t, which is there unless the key is nullable */
    bool one_to_one = f->is_unique;
    pgorm_buf_printf(b, " [arrowtail=%s, arrowhead=%s, label=<", one_to_one ? "teeodot" : "crowodot",
                     f->nullable ? "teeodot" : "teetee");
    html_put(b, f->name);
    const char *od = on_delete_name(f->on_delete);
    if (od)
        pgorm_buf_printf(b, "<br/><font point-size=\"8\">on_delete: %s</font>", od);
    pgorm_buf_puts(b, ">];\n");
}

/* An @@foreign_key: a dashed edge from its first field to the first field
   it references, labelled with its fields (a constraint of the database;
   generated code has no relation for it). */
static void model_fkey_edge(pgorm_buf *b, const pgorm_schema *s, const pgorm_model *m,
                            const pgorm_foreign_key *k)
{
    const pgorm_model *t = k->target < s->nmodels ? &s->models[k->target]
                           : k->target_model      ? pgorm_schema_model(s, k->target_model)
                                                  : NULL;
    if (!t || !k->nfields || !k->ntarget_fields)
        return;
    bool self = t == m;
    size_t fi = column_index(m, pgorm_ddl_block_column(m, k->fields[0]));
    size_t ti = column_index(t, pgorm_ddl_block_column(t, k->target_fields[0]));
    pgorm_buf_puts(b, "  ");
    dot_id_put(b, m->name);
    if (fi != PGORM_NONE)
        pgorm_buf_printf(b, ":\"f%zu_out\"%s", fi, self ? ":e" : "");
    pgorm_buf_puts(b, " -> ");
    dot_id_put(b, t->name);
    if (ti != PGORM_NONE)
        pgorm_buf_printf(b, ":\"f%zu_%s\"%s", ti, self ? "out" : "in", self ? ":e" : "");
    bool nullable = false;
    for (size_t i = 0; i < k->nfields; i++) {
        const pgorm_field *f = pgorm_model_field(m, k->fields[i]);
        nullable = nullable || (f && f->nullable);
    }
    pgorm_buf_printf(b, " [style=dashed, arrowtail=crowodot, arrowhead=%s, label=<[",
                     nullable ? "teeodot" : "teetee");
    for (size_t i = 0; i < k->nfields; i++) {
        if (i)
            pgorm_buf_puts(b, ", ");
        html_put(b, k->fields[i]);
    }
    pgorm_buf_puts(b, "]");
    const char *od = on_delete_name(k->on_delete);
    if (od)
        pgorm_buf_printf(b, "<br/><font point-size=\"8\">on_delete: %s</font>", od);
    pgorm_buf_puts(b, ">];\n");
}

/* The schema file's name without its folder and ".pgorm", for the graph's
   name (the SVG's title). */
static void graph_name(pgorm_buf *b, const pgorm_schema *s)
{
    const char *name = "pgorm";
    size_t len = strlen(name);
    if (s->file && *s->file) {
        const char *slash = strrchr(s->file, '/');
        name = slash ? slash + 1 : s->file;
        len = strlen(name);
        if (len > 6 && strcmp(name + len - 6, ".pgorm") == 0)
            len -= 6;
    }
    pgorm_buf tmp = PGORM_BUF_INIT;
    pgorm_buf_append(&tmp, name, len);
    dot_id_put(b, tmp.data ? tmp.data : "pgorm");
    if (tmp.oom)
        b->oom = true;
    pgorm_buf_free(&tmp);
}

void cli_diagram_dot(const pgorm_schema *s, pgorm_buf *out)
{
    size_t nfk = 0;
    for (size_t i = 0; i < s->nmodels; i++)
        for (size_t j = 0; j < s->models[i].nfields; j++)
            nfk += s->models[i].fields[j].kind == PGORM_FIELD_FOREIGN_KEY;
    for (size_t i = 0; i < s->nmodels; i++)
        nfk += s->models[i].nfkeys;
    pgorm_buf_printf(out,
                     "// Entity-relationship diagram written by pgorm diagram: %zu model%s, "
                     "%zu foreign key%s.\n"
                     "// Draw it with Graphviz: dot -Tsvg FILE.dot -o FILE.svg\n"
                     "digraph ",
                     s->nmodels, s->nmodels == 1 ? "" : "s", nfk, nfk == 1 ? "" : "s");
    graph_name(out, s);
    pgorm_buf_puts(out,
                   " {\n"
                   "  graph [rankdir=LR, nodesep=0.5, ranksep=1.2, pad=0.2,\n"
                   "         fontname=\"Helvetica,Arial,sans-serif\"];\n"
                   "  node [shape=none, margin=0, fontname=\"Helvetica,Arial,sans-serif\", "
                   "fontsize=10];\n"
                   "  edge [dir=both, color=\"#4a5a6a\", fontname=\"Helvetica,Arial,sans-serif\", "
                   "fontsize=9];\n"
                   "\n");
    for (size_t i = 0; i < s->nmodels; i++)
        model_node(out, s, &s->models[i]);
    if (nfk)
        pgorm_buf_putc(out, '\n');
    for (size_t i = 0; i < s->nmodels; i++)
        for (size_t j = 0; j < s->models[i].nfields; j++)
            if (s->models[i].fields[j].kind == PGORM_FIELD_FOREIGN_KEY)
                fk_edge(out, s, &s->models[i], j);
    for (size_t i = 0; i < s->nmodels; i++)
        for (size_t j = 0; j < s->models[i].nfkeys; j++)
            model_fkey_edge(out, s, &s->models[i], &s->models[i].fkeys[j]);
    pgorm_buf_puts(out, "}\n");
}

/* ------------------------------------------------------------------ */
/* The command                                                          */

static const char usage_text[] =
    "usage: pgorm diagram SCHEMA [-o FILE]\n"
    "  an entity-relationship diagram of SCHEMA's models; the format comes\n"
    "  from FILE's extension:\n"
    "    -o FILE.svg      drawn by Graphviz's dot (apt-get install graphviz)\n"
    "    -o FILE.dot      the DOT text (also .gv)\n"
    "    -o - or no -o    the DOT text on stdout\n";

static const char no_dot[] =
    "pgorm diagram: Graphviz's dot was not found on PATH; install it (apt-get install "
    "graphviz) or write .dot with -o er.dot\n";

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "pgorm diagram: %s%s%s\n%s", what, arg ? " " : "", arg ? arg : "",
            usage_text);
    return 1;
}

typedef enum out_format { OUT_DOT, OUT_SVG } out_format;

/* The format of path from its extension; false after printing why not. */
static bool format_of(const char *path, out_format *fmt)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base && strcasecmp(dot, ".svg") == 0) {
        *fmt = OUT_SVG;
        return true;
    }
    if (dot && dot != base && (strcasecmp(dot, ".dot") == 0 || strcasecmp(dot, ".gv") == 0)) {
        *fmt = OUT_DOT;
        return true;
    }
    fprintf(stderr,
            "pgorm diagram: cannot tell the format of '%s' from its extension: write "
            "-o FILE.svg (drawn by Graphviz's dot), -o FILE.dot (or .gv) for the DOT text, "
            "or -o - for the DOT text on stdout\n",
            path);
    return false;
}

/* A new empty temporary file next to path ("dir/.name.XXXXXX"), with the
   mode a new file gets; its name (pgorm_free) or NULL with errno set. */
static char *make_temp(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash + 1 - path) : 0;
    pgorm_buf b = PGORM_BUF_INIT;
    pgorm_buf_printf(&b, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
    char *tmp = pgorm_buf_steal(&b);
    if (!tmp) {
        errno = ENOMEM;
        return NULL;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        pgorm_free(tmp);
        errno = e;
        return NULL;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        pgorm_free(tmp);
        errno = e;
        return NULL;
    }
    return tmp;
}

/* Write text to path through a temporary file. 0, or 2 after printing why. */
static int write_dot_file(const char *path, const pgorm_buf *text)
{
    char *tmp = make_temp(path);
    FILE *f = tmp ? fopen(tmp, "w") : NULL;
    bool ok = f != NULL;
    if (ok) {
        ok = fwrite(text->data, 1, text->len, f) == text->len;
        int e = errno;
        if (fclose(f) != 0 && ok)
            ok = false;
        else if (!ok)
            errno = e;
    }
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        int e = errno;
        if (tmp)
            unlink(tmp);
        fprintf(stderr, "pgorm diagram: cannot write %s: %s\n", path, strerror(e));
    }
    pgorm_free(tmp);
    return ok ? 0 : 2;
}

/* Write all of text to fd; false with errno set. */
static bool write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        text += n;
        len -= (size_t)n;
    }
    return true;
}

/* Run `dot -Tsvg -o TMP` with text on its standard input, then rename TMP
   to path. dot's own messages go to our stderr. 0, or 2 after printing
   why. */
static int write_svg(const char *path, const pgorm_buf *text)
{
    char *tmp = make_temp(path);
    if (!tmp) {
        fprintf(stderr, "pgorm diagram: cannot write %s: %s\n", path, strerror(errno));
        return 2;
    }
    int rc = 2;
    int fds[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    bool fa_ok = false;
    pid_t pid = -1;
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    bool sig_set = false;

    if (pipe(fds) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        fprintf(stderr, "pgorm diagram: cannot start dot: %s\n", strerror(errno));
        goto out;
    }
    int e = posix_spawn_file_actions_init(&fa);
    fa_ok = e == 0;
    if (e == 0)
        e = posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
    if (e == 0)
        e = posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *args[] = {"dot", "-Tsvg", "-o", tmp, NULL};
    if (e == 0)
        e = posix_spawnp(&pid, "dot", &fa, NULL, args, environ);
    if (e != 0) {
        pid = -1;
        if (e == ENOENT)
            fputs(no_dot, stderr);
        else
            fprintf(stderr, "pgorm diagram: cannot start Graphviz's dot: %s\n", strerror(e));
        goto out;
    }
    close(fds[0]);
    fds[0] = -1;
    /* dot may stop reading (a syntax error): a write then fails with EPIPE
       instead of killing us, and dot's exit status tells what happened */
    sig_set = sigaction(SIGPIPE, &ign, &old) == 0;
    bool written = write_all(fds[1], text->data, text->len);
    int werr = errno;
    close(fds[1]);
    fds[1] = -1;
    int st = 0;
    pid_t w;
    while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
    }
    pid = -1;
    if (w < 0) {
        fprintf(stderr, "pgorm diagram: waiting for dot: %s\n", strerror(errno));
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
        fputs(no_dot, stderr); /* a shell-like spawn that could not exec */
    } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (WIFEXITED(st))
            fprintf(stderr, "pgorm diagram: Graphviz's dot failed (exit status %d)\n",
                    WEXITSTATUS(st));
        else
            fprintf(stderr, "pgorm diagram: Graphviz's dot was killed by signal %d\n",
                    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    } else if (!written) {
        fprintf(stderr, "pgorm diagram: writing to dot: %s\n", strerror(werr));
    } else if (rename(tmp, path) != 0) {
        fprintf(stderr, "pgorm diagram: cannot write %s: %s\n", path, strerror(errno));
    } else {
        rc = 0;
    }
out:
    if (sig_set)
        sigaction(SIGPIPE, &old, NULL);
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    if (rc != 0)
        unlink(tmp);
    pgorm_free(tmp);
    return rc;
}

int pgorm_cli_diagram(int argc, char **argv)
{
    const char *schema = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0])
                return usage_error("-o needs a file (FILE.svg, FILE.dot or -)", NULL);
            out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option", a);
        } else if (schema) {
            return usage_error("one schema at a time; unexpected", a);
        } else {
            schema = a;
        }
    }
    if (!schema)
        return usage_error("which schema?", NULL);
    bool to_stdout = !out || strcmp(out, "-") == 0;
    out_format fmt = OUT_DOT;
    if (!to_stdout && !format_of(out, &fmt))
        return 1;

    pgorm_diag diags[MAX_DIAGS];
    size_t nd = 0;
    pgorm_schema *s = pgorm_schema_parse_file(schema, diags, MAX_DIAGS, &nd);
    if (!s) {
        if (nd == 0) {
            fprintf(stderr, "pgorm diagram: out of memory reading %s\n", schema);
            return 2;
        }
        cli_print_diags(schema, diags, nd, MAX_DIAGS);
        /* an unreadable file (reported at 0:0) is not a mistake in it */
        return nd == 1 && diags[0].pos.line == 0 ? 2 : 1;
    }
    pgorm_buf text = PGORM_BUF_INIT;
    cli_diagram_dot(s, &text);
    pgorm_schema_free(s);
    int rc;
    if (text.oom) {
        fputs("pgorm diagram: out of memory\n", stderr);
        rc = 2;
    } else if (to_stdout) {
        rc = fwrite(text.data, 1, text.len, stdout) == text.len && fflush(stdout) == 0 ? 0 : 2;
        if (rc)
            fprintf(stderr, "pgorm diagram: cannot write the DOT text: %s\n", strerror(errno));
    } else if (fmt == OUT_SVG) {
        rc = write_svg(out, &text);
    } else {
        rc = write_dot_file(out, &text);
    }
    if (rc == 0 && !to_stdout)
        printf("wrote %s\n", out);
    pgorm_buf_free(&text);
    return rc;
}
