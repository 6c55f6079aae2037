/* pgorm diagram: the DOT text of a schema (cli_diagram_dot, src/cli/diagram.c,
 * compiled into this test) and the command: SVG through Graphviz's dot,
 * DOT files and stdout, and its errors.
 *
 * The tests that draw SVG need Graphviz's `dot` on PATH (scripts/deps.sh
 * installs it); without it they fail. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgtest.h"

#include "cli/diagram.h"
#include "util/buf.h"

#define BOOKSTORE PGORM_SOURCE_DIR "/examples/bookstore/bookstore.pgorm"
#define SCHEMA(name) PGORM_SOURCE_DIR "/tests/schemas/" name

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static const char *cli(void)
{
    const char *p = getenv("PGORM_CLI");
    if (!p || !*p)
        fail_msg("PGORM_CLI is not set: run the tests with ctest");
    return p;
}

static void make_tmpdir(char *buf, size_t size)
{
    const char *t = getenv("TMPDIR");
    snprintf(buf, size, "%s/pgorm-diagram-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(buf))
        fail_msg("mkdtemp(%s) failed", buf);
}

static void rm_rf(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(pgt_run(cmd, NULL), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Number of entries in dir other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

#define expect_in(hay, needle)                                                                 \
    do {                                                                                       \
        if (!strstr((hay), (needle)))                                                          \
            fail_msg("expected to find\n  %s\nin\n%s", (needle), (hay));                       \
    } while (0)
#define expect_not_in(hay, needle)                                                             \
    do {                                                                                       \
        if (strstr((hay), (needle)))                                                           \
            fail_msg("did not expect\n  %s\nin\n%s", (needle), (hay));                         \
    } while (0)

/* The DOT text of s (new string, free with free()). */
static char *dot_of(const pgorm_schema *s)
{
    pgorm_buf b = PGORM_BUF_INIT;
    cli_diagram_dot(s, &b);
    assert_false(b.oom);
    char *out = strdup(b.data);
    pgorm_buf_free(&b);
    return out;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static size_t field_index(const pgorm_model *m, const char *name)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i].name, name) == 0)
            return i;
    fail_msg("no field %s in %s", name, m->name);
    return 0;
}

/* The node text of model `name` in dot: from its line to "</table>>];". */
static char *node_of(const char *dot, const char *name)
{
    char head[200];
    snprintf(head, sizeof head, "\n  \"%s\" [label=<\n", name);
    const char *p = strstr(dot, head);
    if (!p)
        fail_msg("no node %s in\n%s", name, dot);
    const char *e = strstr(p, "</table>>];\n");
    assert_non_null(e);
    return strndup(p, (size_t)(e - p));
}

/* Every ForeignKey of s is one edge from its column's row to the referenced
   model's key row, and those rows hold the right columns. */
static void check_fk_edges(const pgorm_schema *s, const char *dot)
{
    int nfk = 0;
    for (size_t i = 0; i < s->nmodels; i++) {
        const pgorm_model *m = &s->models[i];
        for (size_t j = 0; j < m->nfields; j++) {
            const pgorm_field *f = &m->fields[j];
            if (f->kind != PGORM_FIELD_FOREIGN_KEY)
                continue;
            nfk++;
            const pgorm_model *t = &s->models[f->target];
            size_t k = field_index(t, pgorm_model_single_id(t)->name);
            bool self = t == m;
            char edge[300], row[300];
            snprintf(edge, sizeof edge, "\n  \"%s\":\"f%zu_out\"%s -> \"%s\":\"f%zu_%s\"%s [",
                     m->name, j, self ? ":e" : "", t->name, k, self ? "out" : "in",
                     self ? ":e" : "");
            expect_in(dot, edge);
            char *node = node_of(dot, m->name);
            snprintf(row, sizeof row, "<td port=\"f%zu_in\" align=\"left\">%s</td>", j, f->column);
            expect_in(node, row);
            free(node);
            node = node_of(dot, t->name);
            snprintf(row, sizeof row, "<td port=\"f%zu_in\" align=\"left\">%s</td>", k,
                     t->fields[k].column);
            expect_in(node, row);
            free(node);
        }
    }
    assert_int_equal(count_of(dot, " -> "), nfk);
}

/* ------------------------------------------------------------------ */
/* The DOT text                                                         */

static void test_bookstore_dot(void **state)
{
    (void)state;
    pgorm_schema *s = pgt_parse_schema_file(BOOKSTORE);
    char *dot = dot_of(s);

    expect_in(dot, "digraph \"bookstore\" {\n");
    assert_int_equal(strcmp(dot + strlen(dot) - 2, "}\n"), 0);
    check_fk_edges(s, dot);
    /* the one relation, many books to one author, which is never missing;
       the field's name and its on_delete on the edge */
    expect_in(dot, "\"Book\":\"f6_out\" -> \"Author\":\"f0_in\" [arrowtail=crowodot, "
                   "arrowhead=teetee, label=<author<br/><font point-size=\"8\">on_delete: "
                   "cascade</font>>];\n");

    char *author = node_of(dot, "Author");
    expect_in(author, "<b>Author</b>");
    expect_not_in(author, "table author"); /* the table's name is the model's */
    expect_in(author, ">id</td><td align=\"left\">bigserial</td><td align=\"left\">not "
                      "null</td><td port=\"f0_out\" align=\"left\">PK</td></tr>");
    expect_in(author, ">email</td><td align=\"left\">text</td><td align=\"left\">null</td><td "
                      "port=\"f2_out\" align=\"left\">unique</td></tr>");
    /* the BackReference is listed, not drawn */
    expect_in(author, "<i>books</i>: BackReference[Book.author]");
    free(author);

    char *book = node_of(dot, "Book");
    expect_in(book, ">isbn</td><td align=\"left\">text</td><td align=\"left\">not null</td><td "
                    "port=\"f1_out\" align=\"left\">unique</td>");
    expect_in(book, ">title</td><td align=\"left\">text</td><td align=\"left\">not null</td><td "
                    "port=\"f2_out\" align=\"left\">index</td>");
    expect_in(book, ">price</td><td align=\"left\">numeric(8,2)</td><td align=\"left\">null</td>");
    expect_in(book, ">author_id</td><td align=\"left\">int8</td><td align=\"left\">not "
                    "null</td><td port=\"f6_out\" align=\"left\">FK index</td>"); /* its default index */
    free(book);

    /* byte-identical for the same input */
    char *again = dot_of(s);
    assert_string_equal(dot, again);
    free(again);
    free(dot);
    pgorm_schema_free(s);
}

static void test_relations_dot(void **state)
{
    (void)state;
    /* cycles and a self-reference */
    pgorm_schema *s = pgt_parse_schema_file(SCHEMA("ddl_cycles.pgorm"));
    char *dot = dot_of(s);
    check_fk_edges(s, dot);
    assert_int_equal(count_of(dot, " -> "), 8);
    /* nullable: zero or one author; no on_delete written: none on the edge */
    expect_in(dot, "\"A\":\"f1_out\" -> \"B\":\"f0_in\" [arrowtail=crowodot, arrowhead=teeodot, "
                   "label=<b>];\n");
    expect_in(dot, "\"Node\":\"f1_out\":e -> \"Node\":\"f0_out\":e [arrowtail=crowodot, "
                   "arrowhead=teeodot, label=<parent<br/><font point-size=\"8\">on_delete: "
                   "cascade</font>>];\n");
    free(dot);
    pgorm_schema_free(s);

    /* a unique ForeignKey is one-to-one; composite keys, uniques, indexes */
    s = pgt_parse_schema("model Person {\n"
                         "  id serial @id\n"
                         "  passport BackReference[Passport]\n"
                         "}\n"
                         "model Passport {\n"
                         "  id     serial @id\n"
                         "  holder ForeignKey[Person]? @unique @on_delete(set_null)\n"
                         "}\n"
                         "model Stamp {\n"
                         "  country text\n"
                         "  seq     int4\n"
                         "  a       int4\n"
                         "  b       int4 @index\n"
                         "  pass    ForeignKey[Passport] @on_delete(restrict)\n"
                         "  @@id(country, seq)\n"
                         "  @@unique(a, b)\n"
                         "  @@index(b, a)\n"
                         "  @@table(stamps)\n"
                         "}\n");
    dot = dot_of(s);
    check_fk_edges(s, dot);
    expect_in(dot, "\"Passport\":\"f1_out\" -> \"Person\":\"f0_in\" [arrowtail=teeodot, "
                   "arrowhead=teeodot, label=<holder<br/><font point-size=\"8\">on_delete: "
                   "set_null</font>>];\n");
    expect_in(dot, "label=<pass<br/><font point-size=\"8\">on_delete: restrict</font>>];\n");
    char *stamp = node_of(dot, "Stamp");
    expect_in(stamp, "<b>Stamp</b><br/><font point-size=\"9\">table stamps</font>");
    expect_in(stamp, ">country</td><td align=\"left\">text</td><td align=\"left\">not "
                     "null</td><td port=\"f0_out\" align=\"left\">PK</td>");
    expect_in(stamp, ">seq</td><td align=\"left\">int4</td><td align=\"left\">not null</td><td "
                     "port=\"f1_out\" align=\"left\">PK</td>");
    expect_in(stamp, "port=\"f3_out\" align=\"left\">index</td>");
    expect_in(stamp, "<tr><td colspan=\"4\" align=\"left\">unique (a, b)</td></tr>");
    expect_in(stamp, "<tr><td colspan=\"4\" align=\"left\">index (b, a)</td></tr>");
    expect_in(stamp, ">pass_id</td><td align=\"left\">int4</td>");
    free(stamp);
    char *person = node_of(dot, "Person");
    expect_in(person, "<i>passport</i>: BackReference[Passport.holder]");
    free(person);
    free(dot);
    pgorm_schema_free(s);

    /* a ManyToMany is listed, and drawn as its join model's two edges */
    s = pgt_parse_schema_file(SCHEMA("gen_m2m.pgorm"));
    dot = dot_of(s);
    check_fk_edges(s, dot);
    char *post = node_of(dot, "Post");
    expect_in(post, "<i>tags</i>: ManyToMany[Tag] through PostTag</td>");
    expect_not_in(post, ">tags_id<");
    free(post);
    char *member = node_of(dot, "Member");
    expect_in(member, "<i>followers</i>: ManyToMany[Member] through Follow</td>");
    free(member);
    free(dot);
    pgorm_schema_free(s);
}

/* @@foreign_key: a dashed edge from its first field to the first field it
   references, labelled with its fields. */
static void test_model_foreign_keys_dot(void **state)
{
    (void)state;
    pgorm_schema *s = pgt_parse_schema_file(SCHEMA("ddl_model_fkeys.pgorm"));
    char *dot = dot_of(s);
    expect_in(dot, "3 models, 4 foreign keys.\n");
    expect_in(dot, "\"Role\":\"f1_out\" -> \"Cast\":\"f0_in\" [style=dashed, "
                   "arrowtail=crowodot, arrowhead=teetee, label=<[film, actor_no]<br/><font "
                   "point-size=\"8\">on_delete: cascade</font>>];\n");
    expect_in(dot, "\"Role\":\"f3_out\" -> \"Film\":\"f1_in\" [style=dashed, "
                   "arrowtail=crowodot, arrowhead=teeodot, label=<[film_code]<br/><font "
                   "point-size=\"8\">on_delete: set_null</font>>];\n");
    free(dot);
    pgorm_schema_free(s);
}

/* Replace a schema string (owned by the schema's allocator). */
static void set_str(char **dst, const char *v)
{
    pgorm_free(*dst);
    *dst = pgorm_strdup(v);
    assert_non_null(*dst);
}

static const char weird_schema[] =
    "model Node {\n"
    "  id     serial @id\n"
    "  edge   text   @default(\"a <b> & \\\"c\\\" 'd' back\\\\slash\")\n"
    "  graph  int4   @default(-3)\n"
    "  day    date?  @default(\"2024-01-02\")\n"
    "  at     timestamptz @default(now())\n"
    "  @@table(\"nodes <&> \\\"x\\\"\")\n"
    "}\n"
    "model Subgraph {\n"
    "  id     bigserial @id\n"
    "  node   ForeignKey[Node]\n"
    "  strict text\n"
    "}\n"
    "model Digraph {\n"
    "  id     bigserial @id\n"
    "  sub    ForeignKey[Subgraph]\n"
    "}\n";

static void test_escaping(void **state)
{
    (void)state;
    pgorm_schema *s = pgt_parse_schema(weird_schema);
    char *dot = dot_of(s);
    check_fk_edges(s, dot);
    /* DOT keywords (node, subgraph, digraph, edge, graph, strict: any case)
       as names are quoted IDs */
    expect_in(dot, "\n  \"Node\" [label=<\n");
    expect_in(dot, "\n  \"Subgraph\" [label=<\n");
    expect_in(dot, "\n  \"Digraph\" [label=<\n");
    expect_in(dot, "\"Digraph\":\"f1_out\" -> \"Subgraph\":\"f0_in\"");
    /* markup characters as entities, in a table name and in defaults */
    expect_in(dot, "<font point-size=\"9\">table nodes &lt;&amp;&gt; &quot;x&quot;</font>");
    expect_in(dot, "default &#39;a &lt;b&gt; &amp; &quot;c&quot; &#39;&#39;d&#39;&#39; "
                   "back\\slash&#39;</td>");
    expect_in(dot, "default -3</td>");
    expect_in(dot, "default &#39;2024-01-02&#39;::date</td>");
    expect_in(dot, "default now()</td>");
    expect_not_in(dot, "<b> &");
    free(dot);

    /* names no schema file can hold, as introspection may bring them:
       quotes and backslashes in IDs, control bytes and bytes that are not
       UTF-8 in labels */
    set_str(&s->models[0].name, "We\"ird\\");
    set_str(&s->models[0].fields[1].column, "tab\there\x01<&>\xff\xc3\xa9");
    set_str(&s->models[1].fields[2].column, "caf\xc3\xa9 \xe2\x82\xac\n");
    dot = dot_of(s);
    expect_in(dot, "\n  \"We\\\"ird\\\\\" [label=<\n");
    expect_in(dot, "<b>We&quot;ird\\</b>");
    expect_in(dot, ">tab\\there\\x01&lt;&amp;&gt;\\xFF\xc3\xa9</td>");
    expect_in(dot, ">caf\xc3\xa9 \xe2\x82\xac\\n</td>");
    expect_in(dot, "\"Subgraph\":\"f1_out\" -> \"We\\\"ird\\\\\":\"f0_in\"");

    /* Graphviz reads all of it without a complaint */
    char tmp[512], path[700], cmd[1600];
    make_tmpdir(tmp, sizeof tmp);
    snprintf(path, sizeof path, "%s/weird.dot", tmp);
    write_file(path, dot);
    snprintf(cmd, sizeof cmd, "dot -Tsvg '%s' -o '%s/weird.svg'", path, tmp);
    char *out = NULL;
    int rc = pgt_run(cmd, &out);
    if (rc != 0 || out[0])
        fail_msg("dot (exit %d) says: %s", rc, out);
    free(out);
    snprintf(path, sizeof path, "%s/weird.svg", tmp);
    char *svg = pgt_read_file(path, NULL);
    expect_in(svg, ">We&quot;ird\\</text>");
    expect_in(svg, "nodes &lt;&amp;&gt; &quot;x&quot;");
    free(svg);
    rm_rf(tmp);
    free(dot);
    pgorm_schema_free(s);
}

/* ------------------------------------------------------------------ */
/* The command                                                          */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int diagram(char **out, const char *env, const char *fmt, ...)
{
    char args[2048], cmd[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s '%s' diagram %s", env, cli(), args);
    return pgt_run(cmd, out);
}

static void test_cli_svg(void **state)
{
    (void)state;
    char tmp[512], path[700];
    make_tmpdir(tmp, sizeof tmp);
    snprintf(path, sizeof path, "%s/er.svg", tmp);
    char *out = NULL;
    int rc = diagram(&out, "", "'%s' -o '%s'", BOOKSTORE, path);
    if (rc != 0)
        fail_msg("pgorm diagram exited %d: %s", rc, out);
    char want[800];
    snprintf(want, sizeof want, "wrote %s\n", path);
    assert_string_equal(out, want);
    free(out);
    char *svg = pgt_read_file(path, NULL);
    assert_true(strncmp(svg, "<?xml", 5) == 0);
    expect_in(svg, "<svg ");
    expect_in(svg, "</svg>");
    expect_in(svg, "<title>bookstore</title>");
    expect_in(svg, ">Author</text>");
    expect_in(svg, ">Book</text>");
    expect_in(svg, ">author_id</text>");
    expect_in(svg, "<title>Book:f6_out&#45;&gt;Author:f0_in</title>");
    free(svg);
    /* the extension in any case; the file is replaced; nothing else left */
    rc = diagram(&out, "", "'%s' -o '%s/ER.SVG'", BOOKSTORE, tmp);
    assert_int_equal(rc, 0);
    free(out);
    rc = diagram(&out, "", "'%s' -o '%s'", BOOKSTORE, path);
    assert_int_equal(rc, 0);
    free(out);
    assert_int_equal(count_entries(tmp), 2);
    rm_rf(tmp);
}

static void test_cli_dot(void **state)
{
    (void)state;
    pgorm_schema *s = pgt_parse_schema_file(BOOKSTORE);
    char *dot = dot_of(s);
    pgorm_schema_free(s);

    char *out = NULL;
    /* no -o, and -o -: the DOT text on stdout */
    assert_int_equal(diagram(&out, "", "'%s'", BOOKSTORE), 0);
    assert_string_equal(out, dot);
    free(out);
    assert_int_equal(diagram(&out, "", "-o - '%s'", BOOKSTORE), 0);
    assert_string_equal(out, dot);
    free(out);
    /* .dot and .gv files, dot not needed */
    char tmp[512], path[700];
    make_tmpdir(tmp, sizeof tmp);
    const char *names[] = {"er.dot", "er.gv"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, names[i]);
        assert_int_equal(diagram(&out, "PATH=/nonexistent", "'%s' -o '%s'", BOOKSTORE, path), 0);
        free(out);
        char *text = pgt_read_file(path, NULL);
        assert_string_equal(text, dot);
        free(text);
    }
    assert_int_equal(count_entries(tmp), 2);
    rm_rf(tmp);
    free(dot);
}

static void test_cli_errors(void **state)
{
    (void)state;
    char tmp[512], path[700], want[900];
    make_tmpdir(tmp, sizeof tmp);
    char *out = NULL;

    /* usage */
    assert_int_equal(diagram(&out, "", "%s", ""), 1);
    expect_in(out, "pgorm diagram: which schema?\nusage: pgorm diagram SCHEMA [-o FILE]");
    free(out);
    assert_int_equal(diagram(&out, "", "'%s' -o", BOOKSTORE), 1);
    expect_in(out, "-o needs a file");
    free(out);
    assert_int_equal(diagram(&out, "", "'%s' --frobnicate", BOOKSTORE), 1);
    expect_in(out, "unknown option --frobnicate");
    free(out);
    assert_int_equal(diagram(&out, "", "--help"), 0);
    expect_in(out, "-o FILE.svg");
    free(out);
    /* the main usage names the command */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' --help", cli());
    assert_int_equal(pgt_run(cmd, &out), 0);
    expect_in(out, "pgorm diagram SCHEMA [-o FILE.svg|FILE.dot|-]");
    expect_in(out, "pgorm --version");
    free(out);

    /* an extension that names no format */
    const char *bad[] = {"er.png", "er", "er.svg.bak", ".svg"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, bad[i]);
        assert_int_equal(diagram(&out, "", "'%s' -o '%s'", BOOKSTORE, path), 1);
        snprintf(want, sizeof want,
                 "pgorm diagram: cannot tell the format of '%s' from its extension: write "
                 "-o FILE.svg (drawn by Graphviz's dot), -o FILE.dot (or .gv) for the DOT "
                 "text, or -o - for the DOT text on stdout\n",
                 path);
        assert_string_equal(out, want);
        free(out);
    }

    /* schema errors: file:line:col, nothing written */
    snprintf(path, sizeof path, "%s/bad.pgorm", tmp);
    write_file(path, "model A {\n  id serial @id\n  x  notatype\n}\n");
    assert_int_equal(diagram(&out, "", "'%s' -o '%s/er.svg'", path, tmp), 1);
    snprintf(want, sizeof want, "%s:3:6: ", path);
    if (strncmp(out, want, strlen(want)) != 0)
        fail_msg("expected \"%s...\", got \"%s\"", want, out);
    free(out);
    write_file(path, "model A {\n  id serial @id\n  b ForeignKey[Nope]\n}\n");
    assert_int_equal(diagram(&out, "", "'%s'", path), 1);
    snprintf(want, sizeof want, "%s:3:", path);
    if (strncmp(out, want, strlen(want)) != 0 || !strstr(out, "Nope"))
        fail_msg("expected \"%s...Nope...\", got \"%s\"", want, out);
    free(out);
    assert_int_equal(count_entries(tmp), 1);
    /* a schema that is not there */
    snprintf(path, sizeof path, "%s/missing.pgorm", tmp);
    assert_int_equal(diagram(&out, "", "'%s' -o '%s/er.dot'", path, tmp), 2);
    snprintf(want, sizeof want, "%s: ", path);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    free(out);
    /* a folder that is not there */
    assert_int_equal(diagram(&out, "", "'%s' -o '%s/no/er.dot'", BOOKSTORE, tmp), 2);
    snprintf(want, sizeof want, "pgorm diagram: cannot write %s/no/er.dot: ", tmp);
    expect_in(out, want);
    free(out);
    assert_int_equal(diagram(&out, "", "'%s' -o '%s/no/er.svg'", BOOKSTORE, tmp), 2);
    snprintf(want, sizeof want, "pgorm diagram: cannot write %s/no/er.svg: ", tmp);
    expect_in(out, want);
    free(out);
    assert_int_equal(count_entries(tmp), 1);
    rm_rf(tmp);
}

static void test_cli_without_dot(void **state)
{
    (void)state;
    char tmp[512], bin[700], fake[800];
    make_tmpdir(tmp, sizeof tmp);
    snprintf(bin, sizeof bin, "%s/bin", tmp);
    assert_int_equal(mkdir(bin, 0777), 0);
    char *out = NULL;

    /* no dot on PATH: what to do instead */
    char env[800];
    snprintf(env, sizeof env, "PATH='%s'", bin);
    assert_int_equal(diagram(&out, env, "'%s' -o '%s/er.svg'", BOOKSTORE, tmp), 2);
    assert_string_equal(out, "pgorm diagram: Graphviz's dot was not found on PATH; install it "
                             "(apt-get install graphviz) or write .dot with -o er.dot\n");
    free(out);
    assert_int_equal(count_entries(tmp), 1); /* bin: no er.svg, no temporary file */

    /* a dot that fails: its status, and nothing left behind */
    snprintf(fake, sizeof fake, "%s/dot", bin);
    write_file(fake, "#!/bin/sh\necho 'dot: broken' >&2\nexit 3\n");
    assert_int_equal(chmod(fake, 0755), 0);
    assert_int_equal(diagram(&out, env, "'%s' -o '%s/er.svg'", BOOKSTORE, tmp), 2);
    assert_string_equal(out, "dot: broken\npgorm diagram: Graphviz's dot failed (exit status 3)\n");
    free(out);
    /* what dot is given: -Tsvg -o TEMPORARY, and the DOT text on its
       standard input; the temporary file is renamed into place */
    write_file(fake, "#!/bin/sh\n[ \"$1\" = -Tsvg ] && [ \"$2\" = -o ] && exec /bin/cat > \"$3\"\n");
    assert_int_equal(diagram(&out, env, "'%s' -o '%s/er.svg'", BOOKSTORE, tmp), 0);
    free(out);
    snprintf(fake, sizeof fake, "%s/er.svg", tmp);
    char *svg = pgt_read_file(fake, NULL);
    pgorm_schema *s = pgt_parse_schema_file(BOOKSTORE);
    char *dot = dot_of(s);
    pgorm_schema_free(s);
    assert_string_equal(svg, dot);
    free(dot);
    free(svg);
    assert_int_equal(count_entries(tmp), 2);
    rm_rf(tmp);
}

/* docs/bookstore-er.svg (the README's diagram) shows the bookstore as the
   schema file has it now: every model and column; redraw it with
   pgorm diagram examples/bookstore/bookstore.pgorm -o docs/bookstore-er.svg */
static void test_docs_diagram_current(void **state)
{
    (void)state;
    char *svg = pgt_read_file(PGORM_SOURCE_DIR "/docs/bookstore-er.svg", NULL);
    assert_true(strncmp(svg, "<?xml", 5) == 0);
    pgorm_schema *s = pgt_parse_schema_file(BOOKSTORE);
    char want[200];
    int edges = 0;
    for (size_t i = 0; i < s->nmodels; i++) {
        const pgorm_model *m = &s->models[i];
        snprintf(want, sizeof want, ">%s</text>", m->name);
        expect_in(svg, want);
        for (size_t j = 0; j < m->nfields; j++) {
            const pgorm_field *f = &m->fields[j];
            snprintf(want, sizeof want, ">%s</text>",
                     f->kind == PGORM_FIELD_BACK_REFERENCE ? f->name : f->column);
            expect_in(svg, want);
            edges += f->kind == PGORM_FIELD_FOREIGN_KEY;
        }
    }
    assert_int_equal(count_of(svg, "<g id=\"edge"), edges);
    pgorm_schema_free(s);
    free(svg);
}


/* A model of an SQL schema shows its table with the schema. */
static void test_sql_schemas_dot(void **state)
{
    (void)state;
    pgorm_schema *s = pgt_parse_schema_file(PGORM_SOURCE_DIR "/tests/schemas/ddl_sql_schemas.pgorm");
    char *dot = dot_of(s);
    expect_in(dot, "<b>Depot</b><br/><font point-size=\"9\">table shop.depot</font>");
    expect_in(dot, "<b>Courier</b><br/><font point-size=\"9\">table billing.courier</font>");
    check_fk_edges(s, dot);
    free(dot);
    pgorm_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bookstore_dot),
        cmocka_unit_test(test_sql_schemas_dot),
        cmocka_unit_test(test_relations_dot),
        cmocka_unit_test(test_model_foreign_keys_dot),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_cli_svg),
        cmocka_unit_test(test_cli_dot),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_cli_without_dot),
        cmocka_unit_test(test_docs_diagram_current),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
