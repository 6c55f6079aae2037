#include "migrate/pull.h"

#include <stdio.h>
#include <string.h>

#include "migrate/introspect.h"
#include "pgorm/pgorm.h"
#include "pgorm/schema.h"
#include "util/sqlq.h"

/* A name the writer chose, kept in one list per scope so none repeats. */
typedef struct names {
    char **v;
    size_t n, cap;
} names;

static bool names_has(const names *ns, const char *s)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->v[i], s) == 0)
            return true;
    return false;
}

/* Add `s` (owned) to the scope, made unique with a number when taken;
   returns the stored name, or NULL on OOM (s freed). */
static char *names_add(names *ns, char *s)
{
    if (!s)
        return NULL;
    if (names_has(ns, s)) {
        size_t len = strlen(s);
        char *u = pgorm_malloc(len + 24);
        if (!u) {
            pgorm_free(s);
            return NULL;
        }
        for (unsigned k = 2;; k++) {
            snprintf(u, len + 24, "%s%u", s, k);
            if (!names_has(ns, u))
                break;
        }
        pgorm_free(s);
        s = u;
    }
    if (ns->n == ns->cap) {
        size_t ncap = ns->cap ? ns->cap * 2 : 16;
        char **p = pgorm_realloc(ns->v, ncap * sizeof *p);
        if (!p) {
            pgorm_free(s);
            return NULL;
        }
        ns->v = p;
        ns->cap = ncap;
    }
    return ns->v[ns->n++] = s;
}

static void names_free(names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        pgorm_free(ns->v[i]);
    pgorm_free(ns->v);
    *ns = (names){0};
}

/* English plural of a snake_case name, good enough for field names. */
static char *plural(const char *s)
{
    size_t n = strlen(s);
    char *p = pgorm_malloc(n + 4);
    if (!p)
        return NULL;
    memcpy(p, s, n + 1);
    char last = n ? s[n - 1] : '\0', before = n > 1 ? s[n - 2] : '\0';
    if (last == 'y' && before && !strchr("aeiou", before))
        strcpy(p + n - 1, "ies");
    else if (last == 's' || last == 'x' || last == 'z' ||
             (last == 'h' && (before == 'c' || before == 's')))
        strcpy(p + n, "es");
    else
        strcpy(p + n, "s");
    return p;
}

static char *cat2(const char *a, const char *sep, const char *b)
{
    size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
    char *s = pgorm_malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, sep, b);
    return s;
}

/* Per table: the model's name, and per column its field name (NULL when
   the column cannot be named) and whether it is a ForeignKey field. */
typedef struct tinfo {
    char *model; /* in `models` */
    names fields;
    char **field_of; /* per column; points into `fields` */
    bool *is_fk;
    bool *demoted; /* a foreign key column written as a plain column */
} tinfo;

typedef struct writer {
    const mig_catalog *c;
    tinfo *t;
    names models;
    pgorm_buf *out;
    size_t lost; /* columns, defaults and foreign keys written only as comments */
    char **enum_names; /* per catalog enum; in `models` */
} writer;

static size_t table_index(const mig_catalog *c, const char *name)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (strcmp(c->tables[i].name, name) == 0)
            return i;
    return PGORM_NONE;
}

static const char *field_name(const writer *w, size_t ti, const char *column)
{
    const mig_table *t = &w->c->tables[ti];
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, column) == 0)
            return w->t[ti].field_of[i];
    return NULL;
}

static bool plan(writer *w)
{
    const mig_catalog *c = w->c;
    w->t = pgorm_calloc(c->ntables + 1, sizeof *w->t);
    if (!w->t)
        return false;
    for (size_t i = 0; i < c->ntables; i++)
        if (!(w->t[i].model =
                  names_add(&w->models, mig_pascal_case(pgorm_sql_base_name(c->tables[i].name)))))
            return false;
    w->enum_names = pgorm_calloc(c->nenums + 1, sizeof *w->enum_names);
    if (!w->enum_names)
        return false;
    for (size_t i = 0; i < c->nenums; i++)
        if (!(w->enum_names[i] =
                  names_add(&w->models, mig_pascal_case(pgorm_sql_base_name(c->enums[i].name)))))
            return false;
    for (size_t i = 0; i < c->ntables; i++) {
        const mig_table *t = &c->tables[i];
        tinfo *ti = &w->t[i];
        ti->field_of = pgorm_calloc(t->ncols + 1, sizeof *ti->field_of);
        ti->is_fk = pgorm_calloc(t->ncols + 1, sizeof *ti->is_fk);
        ti->demoted = pgorm_calloc(t->ncols + 1, sizeof *ti->demoted);
        if (!ti->field_of || !ti->is_fk || !ti->demoted)
            return false;
        /* scalar columns keep their names; ForeignKey fields come after, so a
           column `author` next to `author_id` keeps its name */
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = 0; k < t->ncols; k++) {
                const char *col = t->cols[k].name;
                bool fk = mig_table_fk(t, col) != NULL;
                if (fk != (pass == 1) || !mig_is_name(col))
                    continue;
                char *name = NULL;
                if (fk) {
                    size_t n = strlen(col) - 3; /* ends in _id: introspection checks */
                    name = pgorm_malloc(n + 1);
                    if (name) {
                        memcpy(name, col, n);
                        name[n] = '\0';
                    }
                    if (name && names_has(&ti->fields, name)) {
                        /* `author` is taken by a column: no ForeignKey field
                           can have the column author_id; a plain column it is */
                        pgorm_free(name);
                        name = pgorm_strdup(col);
                        fk = false;
                        ti->demoted[k] = true;
                    }
                } else {
                    name = pgorm_strdup(col);
                }
                if (!(ti->field_of[k] = names_add(&ti->fields, name)))
                    return false;
                ti->is_fk[k] = fk;
            }
    }
    return true;
}

static void put_string(pgorm_buf *b, const char *s)
{
    pgorm_buf_putc(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            pgorm_buf_putc(b, '\\');
        pgorm_buf_putc(b, *p);
    }
    pgorm_buf_putc(b, '"');
}

static void put_default(pgorm_buf *b, const mig_column *col)
{
    const pgorm_default *d = &col->def;
    switch (d->kind) {
    case PGORM_DEFAULT_SQL:
        pgorm_buf_puts(b, " @default(sql(");
        put_string(b, col->def_sql ? col->def_sql : d->text);
        pgorm_buf_puts(b, "))");
        break;
    case PGORM_DEFAULT_INT:
    case PGORM_DEFAULT_DECIMAL:
    case PGORM_DEFAULT_BOOL: pgorm_buf_printf(b, " @default(%s)", d->text); break;
    case PGORM_DEFAULT_NOW: pgorm_buf_puts(b, " @default(now())"); break;
    case PGORM_DEFAULT_ENUM: pgorm_buf_printf(b, " @default(%s)", d->text); break;
    case PGORM_DEFAULT_STRING:
        pgorm_buf_puts(b, " @default(\"");
        for (const char *p = d->text; *p; p++) {
            if (*p == '"' || *p == '\\')
                pgorm_buf_putc(b, '\\');
            pgorm_buf_putc(b, *p);
        }
        pgorm_buf_puts(b, "\")");
        break;
    default: break;
    }
}

static bool string_writable(const char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r')
            return false;
    return true;
}

static const mig_key *single_key(const mig_table *t, const char *col, mig_key_kind kind)
{
    for (size_t i = 0; i < t->nkeys; i++)
        if (t->keys[i].kind == kind && t->keys[i].ncols == 1 &&
            !mig_key_has_options(&t->keys[i]) && strcmp(t->keys[i].cols[0], col) == 0)
            return &t->keys[i];
    return NULL;
}

/* Whether key k serves look-ups by column col alone, as pgorm's default
   ForeignKey index would (pgorm_ddl_fk_wants_index): a btree over all
   rows whose first element is that column. */
static bool key_leads_with(const mig_key *k, const char *col)
{
    return k->ncols > 0 && !k->where && !k->method && !(k->exprs && k->exprs[0]) &&
           strcmp(k->cols[0], col) == 0;
}

/* Whether e[0..n) is one parenthesised group: "(a + b)", not "(a) + (b)". */
static bool enclosed(const char *e, size_t n)
{
    if (n < 2 || e[0] != '(' || e[n - 1] != ')')
        return false;
    int depth = 0;
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        if (quote) {
            if (e[i] == quote)
                quote = 0;
        } else if (e[i] == '\'' || e[i] == '"') {
            quote = e[i];
        } else if (e[i] == '(') {
            depth++;
        } else if (e[i] == ')' && --depth == 0 && i != n - 1) {
            return false;
        }
    }
    return true;
}

/* An expression as sql("..."): the server's text without the parentheses
   it puts around a whole expression that is not a function call. */
static void put_expr(pgorm_buf *b, const char *e)
{
    size_t n = strlen(e);
    while (enclosed(e, n)) {
        e++;
        n -= 2;
    }
    char *in = pgorm_malloc(n + 1);
    if (!in) {
        b->oom = true;
        return;
    }
    memcpy(in, e, n);
    in[n] = '\0';
    pgorm_buf_puts(b, "sql(");
    put_string(b, in);
    pgorm_buf_puts(b, ")");
    pgorm_free(in);
}

/* Whether every piece of key k can be written in a schema file. */
static bool key_writable(const writer *w, size_t ti, const mig_key *k)
{
    if (k->where && !string_writable(k->where))
        return false;
    for (size_t j = 0; j < k->ncols; j++) {
        const char *e = k->exprs ? k->exprs[j] : NULL;
        if (e ? !string_writable(e) : field_name(w, ti, k->cols[j]) == NULL)
            return false;
    }
    return true;
}

static const char *on_delete_name(pgorm_on_delete d)
{
    switch (d) {
    case PGORM_ON_DELETE_CASCADE: return "cascade";
    case PGORM_ON_DELETE_RESTRICT: return "restrict";
    case PGORM_ON_DELETE_SET_NULL: return "set_null";
    default: return NULL;
    }
}

/* A back reference to write on table `ti`: from table `src`, FK column `col`. */
typedef struct backref {
    size_t src;
    const char *field; /* the ForeignKey field in src */
    bool qualify;      /* src has more than one ForeignKey to ti */
} backref;

static size_t fks_between(const writer *w, size_t src, size_t dst)
{
    const mig_table *t = &w->c->tables[src];
    size_t n = 0;
    for (size_t k = 0; k < t->ncols; k++)
        if (w->t[src].is_fk[k] &&
            strcmp(mig_table_fk(t, t->cols[k].name)->ref_table, w->c->tables[dst].name) == 0)
            n++;
    return n;
}

/* An unmanaged object as a comment line (a definition's line breaks become
   spaces, so the comment stays one line). */
static void put_unmanaged(pgorm_buf *b, const char *indent, const mig_unmanaged *u)
{
    pgorm_buf tmp = PGORM_BUF_INIT;
    mig_unmanaged_describe(&tmp, u);
    pgorm_buf_printf(b, "%s//   ", indent);
    for (size_t i = 0; tmp.data && i < tmp.len; i++)
        pgorm_buf_putc(b, tmp.data[i] == '\n' || tmp.data[i] == '\r' ? ' ' : tmp.data[i]);
    if (tmp.oom)
        b->oom = true;
    pgorm_buf_puts(b, "\n");
    pgorm_buf_free(&tmp);
}

/* A field without a column: a BackReference or a ManyToMany. */
typedef struct rel_field {
    const char *name;
    char type[320];
} rel_field;

/* Is one of t's keys (primary or unique) exactly columns a and b? */
static bool pair_key(const mig_table *t, const char *a, const char *b)
{
    for (size_t i = 0; i < t->nkeys; i++) {
        const mig_key *k = &t->keys[i];
        if (k->kind == MIG_KEY_INDEX || k->ncols != 2)
            continue;
        if ((strcmp(k->cols[0], a) == 0 && strcmp(k->cols[1], b) == 0) ||
            (strcmp(k->cols[0], b) == 0 && strcmp(k->cols[1], a) == 0))
            return true;
    }
    return false;
}

static bool single_pk(const mig_table *t)
{
    const mig_key *pk = mig_table_pk(t);
    return pk && pk->ncols == 1;
}

/* ManyToMany fields of table ti: one per join table that pairs it with a
   table (or with itself, both ways): a table whose only two ForeignKey
   fields are its key or a unique key, between tables with a one-column
   key. Named as the far table's plural (tags), or for a self-referential
   one the plural of the far field (followeds, followers), which then
   names both fields: @through(Follow, follower, followed). */
static bool many_to_many(writer *w, size_t ti, rel_field *brs, size_t *n)
{
    const mig_catalog *c = w->c;
    for (size_t s = 0; s < c->ntables; s++) {
        const mig_table *st = &c->tables[s];
        size_t fk[2] = {PGORM_NONE, PGORM_NONE}, nfk = 0;
        for (size_t k = 0; k < st->ncols; k++)
            if (w->t[s].is_fk[k] && nfk++ < 2)
                fk[nfk - 1] = k;
        if (s == ti || nfk != 2 || !pair_key(st, st->cols[fk[0]].name, st->cols[fk[1]].name))
            continue;
        size_t side[2];
        for (int i = 0; i < 2; i++)
            side[i] = table_index(c, mig_table_fk(st, st->cols[fk[i]].name)->ref_table);
        if (side[0] == PGORM_NONE || side[1] == PGORM_NONE || side[0] == s || side[1] == s ||
            !single_pk(&c->tables[side[0]]) || !single_pk(&c->tables[side[1]]))
            continue;
        bool self = side[0] == side[1];
        for (int i = 0; i < 2; i++) {
            size_t from = fk[i], to = fk[1 - i], far = side[1 - i];
            if (side[i] != ti || (!self && i == 1 && side[0] == ti))
                continue;
            char *nm = plural(self ? w->t[s].field_of[to] : c->tables[far].name);
            if (nm && !mig_is_name(nm)) {
                pgorm_free(nm);
                nm = pgorm_strdup("many_to_many");
            }
            if (!(brs[*n].name = names_add(&w->t[ti].fields, nm)))
                return false;
            if (self)
                snprintf(brs[*n].type, sizeof brs[*n].type, "ManyToMany[%s] @through(%s, %s, %s)",
                         w->t[far].model, w->t[s].model, w->t[s].field_of[from],
                         w->t[s].field_of[to]);
            else
                snprintf(brs[*n].type, sizeof brs[*n].type, "ManyToMany[%s] @through(%s)",
                         w->t[far].model, w->t[s].model);
            ++*n;
        }
    }
    return true;
}

static bool write_model(writer *w, size_t ti)
{
    const mig_table *t = &w->c->tables[ti];
    tinfo *inf = &w->t[ti];
    pgorm_buf *b = w->out;
    const mig_key *pk = mig_table_pk(t);
    pgorm_buf_printf(b, "model %s {\n", inf->model);
    char *snake = pgorm_snake_case(inf->model);
    if (!snake)
        return false;
    /* the fields' names are taken before the back references' */
    const char *tname = pgorm_sql_base_name(t->name);
    char sc[64];
    pgorm_sql_schema_of(t->name, sc);
    if (sc[0] && strcmp(sc, "public") != 0)
        pgorm_buf_printf(b, "  @@schema(%s)\n", sc);
    if (strcmp(snake, tname) != 0) {
        pgorm_buf_puts(b, "  @@table(\"");
        for (const char *p = tname; *p; p++) {
            if (*p == '"' || *p == '\\')
                pgorm_buf_putc(b, '\\');
            pgorm_buf_putc(b, *p);
        }
        pgorm_buf_puts(b, "\")\n");
    }
    pgorm_free(snake);

    /* back references: every ForeignKey of any table that points here */
    size_t nbr = 0, cap = 0;
    for (size_t st = 0; st < w->c->ntables; st++)
        cap += w->c->tables[st].nfks;
    rel_field *brs = pgorm_calloc(2 * cap + 1, sizeof *brs); /* and a ManyToMany per join */
    if (!brs)
        return false;
    for (size_t s = 0; s < w->c->ntables; s++) {
        const mig_table *st = &w->c->tables[s];
        size_t between = fks_between(w, s, ti);
        for (size_t k = 0; k < st->ncols; k++) {
            if (!w->t[s].is_fk[k] ||
                strcmp(mig_table_fk(st, st->cols[k].name)->ref_table, t->name) != 0)
                continue;
            char *base = plural(pgorm_sql_base_name(st->name));
            char *nm = base;
            if (base && between > 1) {
                nm = cat2(w->t[s].field_of[k], "_", base);
                pgorm_free(base);
            }
            if (nm && !mig_is_name(nm)) {
                pgorm_free(nm);
                nm = pgorm_strdup("back_references");
            }
            if (!(brs[nbr].name = names_add(&inf->fields, nm))) {
                pgorm_free(brs);
                return false;
            }
            if (between > 1)
                snprintf(brs[nbr].type, sizeof brs[nbr].type, "BackReference[%s.%s]",
                         w->t[s].model, w->t[s].field_of[k]);
            else
                snprintf(brs[nbr].type, sizeof brs[nbr].type, "BackReference[%s]",
                         w->t[s].model);
            nbr++;
        }
    }
    if (!many_to_many(w, ti, brs, &nbr)) {
        pgorm_free(brs);
        return false;
    }
    /* width of the name column */
    size_t width = 0;
    for (size_t i = 0; i < nbr; i++)
        if (strlen(brs[i].name) > width)
            width = strlen(brs[i].name);
    for (size_t k = 0; k < t->ncols; k++)
        if (inf->field_of[k] && strlen(inf->field_of[k]) > width)
            width = strlen(inf->field_of[k]);
    for (size_t k = 0; k < t->ncols; k++) {
        const mig_column *col = &t->cols[k];
        const char *name = inf->field_of[k];
        char ty[64];
        if (!name) {
            pgorm_buf_printf(b, "  // column \"%s\" %s%s: its name is not a field name of the "
                                "schema language (migrate make would drop it)\n",
                             col->name, mig_type_sql(col->type, ty, sizeof ty),
                             col->nullable ? " NULL" : " NOT NULL");
            w->lost++;
            continue;
        }
        if (inf->is_fk[k]) {
            const mig_fk *fk = mig_table_fk(t, col->name);
            size_t target = table_index(w->c, fk->ref_table);
            char tyb[160];
            snprintf(tyb, sizeof tyb, "ForeignKey[%s]%s", w->t[target].model,
                     col->nullable ? "?" : "");
            pgorm_buf_printf(b, "  %-*s %s", (int)width, name, tyb);
            const char *od = on_delete_name(fk->on_delete);
            if (od)
                pgorm_buf_printf(b, " @on_delete(%s)", od);
            const char *ou = on_delete_name(fk->on_update);
            if (ou)
                pgorm_buf_printf(b, " @on_update(%s)", ou);
            /* pgorm indexes a ForeignKey column unless a key or an index
               leads with it: say so when the database has none */
            bool led = false;
            for (size_t i = 0; i < t->nkeys && !led; i++)
                led = key_leads_with(&t->keys[i], col->name);
            if (!led)
                pgorm_buf_puts(b, " @index(false)");
        } else if (col->type.scalar == PGORM_S_ENUM) {
            const char *en = col->enum_type;
            for (size_t e = 0; e < w->c->nenums; e++)
                if (strcmp(w->c->enums[e].name, col->enum_type) == 0)
                    en = w->enum_names[e];
            pgorm_buf_printf(b, "  %-*s %s%s", (int)width, name, en, col->nullable ? "?" : "");
        } else {
            pgorm_buf_printf(b, "  %-*s %s%s", (int)width, name,
                             pgorm_coltype_sql(col->type, ty, sizeof ty), col->nullable ? "?" : "");
        }
        if (pk && pk->ncols == 1 && strcmp(pk->cols[0], col->name) == 0)
            pgorm_buf_puts(b, " @id");
        if (single_key(t, col->name, MIG_KEY_UNIQUE))
            pgorm_buf_puts(b, " @unique");
        if (single_key(t, col->name, MIG_KEY_INDEX))
            pgorm_buf_puts(b, " @index");
        bool wrote_default = col->def.kind == PGORM_DEFAULT_NONE;
        const char *deftext = col->def.kind == PGORM_DEFAULT_SQL && col->def_sql ? col->def_sql
                                                                                 : col->def.text;
        if (col->def.kind != PGORM_DEFAULT_NONE && (!deftext || string_writable(deftext))) {
            put_default(b, col);
            wrote_default = true;
        }
        pgorm_buf_puts(b, "\n");
        if (!wrote_default) {
            pgorm_buf_printf(b, "  // %s: its default %s has no spelling in the schema language "
                                "(migrate make would drop it)\n",
                             name, col->def_sql ? col->def_sql : col->def.text);
            w->lost++;
        }
    }
    for (size_t i = 0; i < nbr; i++)
        pgorm_buf_printf(b, "  %-*s %s\n", (int)width, brs[i].name, brs[i].type);
    pgorm_free(brs);
    /* block attributes: composite keys, uniques, indexes */
    for (size_t i = 0; i < t->nkeys; i++) {
        const mig_key *k = &t->keys[i];
        bool plain = !mig_key_has_options(k);
        if (k->ncols == 1 && k->kind != MIG_KEY_PRIMARY && plain)
            continue;
        if (k->kind == MIG_KEY_PRIMARY && k->ncols == 1)
            continue;
        if (!key_writable(w, ti, k)) {
            pgorm_buf_printf(b, "  // %s: over a column without a field\n", k->name);
            continue;
        }
        pgorm_buf_printf(b, "  @@%s(", k->kind == MIG_KEY_PRIMARY ? "id"
                                         : k->kind == MIG_KEY_UNIQUE ? "unique"
                                                                     : "index");
        for (size_t j = 0; j < k->ncols; j++) {
            if (j)
                pgorm_buf_puts(b, ", ");
            if (k->exprs && k->exprs[j])
                put_expr(b, k->exprs[j]);
            else
                pgorm_buf_puts(b, field_name(w, ti, k->cols[j]));
            if (k->desc && k->desc[j])
                pgorm_buf_puts(b, " desc");
        }
        if (k->where) {
            pgorm_buf_puts(b, ", where: ");
            put_string(b, k->where);
        }
        if (k->method)
            pgorm_buf_printf(b, ", type: %s", k->method);
        pgorm_buf_puts(b, ")\n");
    }
    /* @@foreign_key: composite ones, ones to a unique non-key column, and
       ones whose ForeignKey field name a column holds */
    for (size_t i = 0; i < t->nfks; i++) {
        const mig_fk *fk = &t->fks[i];
        bool demoted = false;
        for (size_t k = 0; k < t->ncols && !fk->block; k++)
            demoted = demoted || (inf->demoted[k] && strcmp(t->cols[k].name, fk->column) == 0);
        if (!fk->block && !demoted)
            continue;
        size_t target = table_index(w->c, fk->ref_table);
        bool ok = target != PGORM_NONE;
        for (size_t j = 0; ok && j < mig_fk_ncols(fk); j++)
            ok = field_name(w, ti, mig_fk_col(fk, j)) &&
                 field_name(w, target, mig_fk_ref(fk, j));
        if (!ok) {
            pgorm_buf_printf(b, "  // foreign key %s: over a column without a field (migrate "
                                "make would drop it)\n",
                             fk->name);
            w->lost++;
            continue;
        }
        pgorm_buf_puts(b, "  @@foreign_key([");
        for (size_t j = 0; j < mig_fk_ncols(fk); j++)
            pgorm_buf_printf(b, "%s%s", j ? ", " : "", field_name(w, ti, mig_fk_col(fk, j)));
        pgorm_buf_printf(b, "], references: %s([", w->t[target].model);
        for (size_t j = 0; j < mig_fk_ncols(fk); j++)
            pgorm_buf_printf(b, "%s%s", j ? ", " : "", field_name(w, target, mig_fk_ref(fk, j)));
        pgorm_buf_puts(b, "])");
        const char *od = on_delete_name(fk->on_delete);
        if (od)
            pgorm_buf_printf(b, ", on_delete: %s", od);
        pgorm_buf_puts(b, ")\n");
    }
    for (size_t i = 0; i < t->nchecks; i++) {
        const mig_check *ck = &t->checks[i];
        if (!mig_is_name(ck->name) || !string_writable(ck->expr)) {
            pgorm_buf_printf(b, "  // check %s: %s (not written: its name or text cannot be "
                                "written here; migrations leave it alone)\n",
                             ck->name, "CHECK");
            continue;
        }
        pgorm_buf_printf(b, "  @@check(%s, ", ck->name);
        put_string(b, ck->expr);
        pgorm_buf_puts(b, ")\n");
    }
    /* what the language cannot say about this table */
    bool head = false;
    for (size_t i = 0; i < w->c->nunmanaged; i++) {
        const mig_unmanaged *u = &w->c->unmanaged[i];
        if (!u->table || strcmp(u->table, t->name) != 0)
            continue;
        if (!head)
            pgorm_buf_puts(b, "  // not described here, and left alone by migrations:\n");
        head = true;
        put_unmanaged(b, "  ", u);
    }
    pgorm_buf_puts(b, "}\n");
    return !b->oom;
}

bool mig_pull_write(const mig_catalog *c, const char *source, pgorm_buf *out)
{
    writer w = {.c = c, .out = out};
    bool ok = plan(&w);
    pgorm_buf body = PGORM_BUF_INIT;
    w.out = &body;
    for (size_t i = 0; ok && i < c->nenums; i++) {
        char sc[64];
        pgorm_sql_schema_of(c->enums[i].name, sc);
        pgorm_buf_printf(&body, "\nenum %s {", w.enum_names[i]);
        for (size_t k = 0; k < c->enums[i].nlabels; k++)
            pgorm_buf_printf(&body, " %s", c->enums[i].labels[k]);
        if (sc[0] && strcmp(sc, "public") != 0)
            pgorm_buf_printf(&body, " @@schema(%s)", sc);
        pgorm_buf_puts(&body, " }\n");
    }
    for (size_t i = 0; ok && i < c->ntables; i++) {
        pgorm_buf_puts(&body, "\n");
        ok = write_model(&w, i);
    }
    w.out = out;
    if (ok) {
        pgorm_buf_printf(out, "// Written by pgorm pull from %s: %zu table%s.\n",
                         source && *source ? source : "the database", c->ntables,
                         c->ntables == 1 ? "" : "s");
        if (w.lost)
            pgorm_buf_printf(out, "// %zu column%s, default%s or foreign key%s could only be "
                                  "written as comments (see below): `pgorm migrate make` with "
                                  "this file would drop %s.\n",
                             w.lost, w.lost == 1 ? "" : "s", w.lost == 1 ? "" : "s",
                             w.lost == 1 ? "" : "s", w.lost == 1 ? "it" : "them");
        else
            pgorm_buf_puts(out, "// `pgorm migrate make` with this file against that database "
                                "writes nothing.\n");
        pgorm_buf_append(out, body.data, body.len);
        if (body.oom)
            out->oom = true;
    }
    pgorm_buf_free(&body);
    bool head = false;
    for (size_t i = 0; ok && i < c->nunmanaged; i++) {
        const mig_unmanaged *u = &c->unmanaged[i];
        if (u->table)
            continue;
        if (!head)
            pgorm_buf_puts(out, "\n// In the database but not described here, and left alone "
                                "by migrations:\n");
        head = true;
        put_unmanaged(out, "", u);
    }
    for (size_t i = 0; w.t && i < c->ntables; i++) {
        names_free(&w.t[i].fields);
        pgorm_free(w.t[i].field_of);
        pgorm_free(w.t[i].is_fk);
        pgorm_free(w.t[i].demoted);
    }
    pgorm_free(w.t);
    pgorm_free(w.enum_names);
    names_free(&w.models);
    return ok && !out->oom;
}

int mig_pull(PGconn *conn, pgorm_buf *out, mig_err *e)
{
    mig_catalog *c = mig_introspect_in(conn, NULL, MIG_ALL_SCHEMAS, e);
    if (!c)
        return e->status ? e->status : MIG_DB;
    const char *db = PQdb(conn);
    int rc = mig_pull_write(c, db, out) ? MIG_OK : mig_err_set(e, MIG_DB, "out of memory");
    mig_catalog_free(c);
    return rc;
}
