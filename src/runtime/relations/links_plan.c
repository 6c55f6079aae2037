/* The tree of links a fetch_links find follows, and its SQL (links.h).
 *
 * Which links: every relation of every model down to `depth` levels
 * (0 means 1, at most PGORM_MAX_DEPTH), or only those named in q->links:
 * "author" names a relation of the top model (and everything below it, to
 * the depth), "author.country" one of Author's below it (and then only the
 * named ones at that level). Cycles (Store -> manager -> Store) end at the
 * depth like any other path; the identity map makes the repeated rows the
 * same structs.
 *
 * Options per link (q->link_opts) are hung on their nodes once the tree is
 * built: a BackReference's where / order / limit / offset go into its
 * ARRAY(...) subquery, a ForeignKey's where into its JOIN's ON (a LEFT
 * JOIN unless inner; nested in parentheses below an optional row).
 */
#include <stdio.h>
#include <string.h>

#include "runtime/relations/links.h"
#include "util/sqlq.h"

int link_single_pk(const pgorm_model_desc *m)
{
    uint64_t k = m->pk_mask;
    if (k == 0 || (k & (k - 1)) != 0)
        return -1;
    int i = 0;
    while (!(k & 1)) {
        k >>= 1;
        i++;
    }
    return (size_t)i < m->ncolumns ? i : -1;
}

/* ---------------------------------------------------------------- */
/* Which relations: the names in q->links                            */

/* Does path (a NULL-terminated list entry) name `name` below `prefix`
   ("" or "author.")? *exact: the path ends there (everything below). */
static bool path_names(const char *path, const char *prefix, size_t plen, const char *name,
                       bool *exact)
{
    size_t n = strlen(name);
    if (strncmp(path, prefix, plen) != 0 || strncmp(path + plen, name, n) != 0)
        return false;
    char c = path[plen + n];
    if (c == '\0')
        *exact = true;
    return c == '\0' || c == '.';
}

/* Check every path of q->links names a chain of relations within depth. */
static int check_paths(const pgorm_model_desc *m, const char *const *links, int depth,
                       pgorm_sqlb *b)
{
    for (size_t i = 0; links[i]; i++) {
        const char *s = links[i];
        const pgorm_model_desc *at = m;
        int level = 0;
        if (!*s) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "links[%zu] is an empty name", i);
            return -1;
        }
        while (*s) {
            const char *dot = strchr(s, '.');
            size_t n = dot ? (size_t)(dot - s) : strlen(s);
            const pgorm_rel_desc *r = NULL;
            for (size_t k = 0; k < at->nrels && !r; k++)
                if (at->rels[k].name && strlen(at->rels[k].name) == n &&
                    strncmp(at->rels[k].name, s, n) == 0)
                    r = &at->rels[k];
            if (!r) {
                pgorm_buf names = PGORM_BUF_INIT;
                for (size_t k = 0; k < at->nrels; k++)
                    pgorm_buf_printf(&names, "%s%s", k ? ", " : "", at->rels[k].name);
                pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                                "links[%zu] \"%s\": %s has no relation \"%.*s\" (it has: %s)", i,
                                links[i], at->name, (int)n, s,
                                names.data && !names.oom ? names.data : "none");
                pgorm_buf_free(&names);
                return -1;
            }
            if (++level > depth) {
                pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                                "links[%zu] \"%s\" goes %d levels deep but depth is %d (set "
                                ".depth, at most %d)",
                                i, links[i], level, depth, PGORM_MAX_DEPTH);
                return -1;
            }
            at = r->target;
            s += n;
            if (*s == '.' && !*++s) {
                pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "links[%zu] \"%s\" ends with a '.'", i,
                                links[i]);
                return -1;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- */
/* The tree                                                          */

typedef struct builder {
    link_plan *p;
    pgorm_sqlb *b;
    const char *const *links; /* NULL: all */
    pgorm_buf prefix;         /* "author.novels." while below those */
} builder;

/* A relation the tree can follow: both models have what the SQL needs. */
static int check_rel(builder *bd, const pgorm_model_desc *m, const pgorm_rel_desc *r)
{
    const pgorm_model_desc *t = r->target;
    if (!t || !t->columns || t->ncolumns == 0 || t->ncolumns > 64 || !t->table) {
        pgorm_sqlb_fail(bd->b, PGORM_ERR_INVALID, "relation %s.%s has no valid target model",
                        m->name, r->name);
        return -1;
    }
    if (r->kind == PGORM_REL_MANY) {
        const pgorm_model_desc *j = r->through;
        if (link_single_pk(m) < 0 || link_single_pk(t) < 0 || !j || !j->table || !j->columns ||
            r->fk_column >= j->ncolumns || r->far_column >= j->ncolumns) {
            pgorm_sqlb_fail(bd->b, PGORM_ERR_INVALID,
                            "relation %s.%s: %s and %s need a one-column primary key and the "
                            "join model its two foreign key columns (malformed descriptor?)",
                            m->name, r->name, m->name, t->name);
            return -1;
        }
        return 0;
    }
    const pgorm_model_desc *keyed = r->kind == PGORM_REL_FORWARD ? t : m;
    const pgorm_model_desc *fk_in = r->kind == PGORM_REL_FORWARD ? m : t;
    if (link_single_pk(keyed) < 0 || r->fk_column >= fk_in->ncolumns) {
        pgorm_sqlb_fail(bd->b, PGORM_ERR_INVALID,
                        "relation %s.%s: %s needs a one-column primary key and %s the foreign "
                        "key column (malformed descriptor?)",
                        m->name, r->name, keyed->name, fk_in->name);
        return -1;
    }
    return 0;
}

static int build(builder *bd, link_node *n, int levels, bool all)
{
    link_plan *p = bd->p;
    const pgorm_model_desc *m = n->m;
    n->pk = link_single_pk(m);
    if (levels == 0 || m->nrels == 0)
        return 0;
    if (m->nrels > 64) {
        pgorm_sqlb_fail(bd->b, PGORM_ERR_INVALID,
                        "%s has %zu relations; fetch_links follows at most 64 per model",
                        m->name, m->nrels);
        return -1;
    }
    /* which relations, and whether everything below each is wanted */
    size_t plen = bd->prefix.len;
    const char *prefix = bd->prefix.data ? bd->prefix.data : "";
    bool want[64] = {false}, below_all[64] = {false};
    size_t nk = 0;
    for (size_t i = 0; i < m->nrels; i++) {
        const pgorm_rel_desc *r = &m->rels[i];
        if (!r->name)
            continue;
        bool exact = false;
        want[i] = all;
        for (size_t k = 0; !all && bd->links[k]; k++)
            want[i] |= path_names(bd->links[k], prefix, plen, r->name, &exact);
        below_all[i] = all || exact;
        nk += want[i];
    }
    if (nk == 0)
        return 0;
    n->kids = pgorm_arena_calloc(&p->arena, nk, sizeof *n->kids);
    if (!n->kids) {
        pgorm_sqlb_fail(bd->b, PGORM_ERR_NOMEM, "out of memory planning the links");
        return -1;
    }
    for (size_t i = 0; i < m->nrels; i++) {
        if (!want[i])
            continue;
        const pgorm_rel_desc *r = &m->rels[i];
        if (check_rel(bd, m, r))
            return -1;
        if (p->nnodes >= PGORM_MAX_LINK_NODES) {
            pgorm_sqlb_fail(bd->b, PGORM_ERR_INVALID,
                            "fetch_links would join more than %d models: name the ones you "
                            "want in .links, or lower .depth",
                            PGORM_MAX_LINK_NODES);
            return -1;
        }
        link_node *k = &n->kids[n->nkids++];
        k->m = r->target;
        k->rel = r;
        k->alias = p->nnodes++;
        bool fwd = r->kind == PGORM_REL_FORWARD;
        /* NULL here (a nullable key) or above (a LEFT-joined parent) */
        k->left = fwd && (n->left || (m->columns[r->fk_column].flags & PGORM_COL_NULLABLE));
        pgorm_buf_printf(&bd->prefix, "%s.", r->name);
        int rc = build(bd, k, levels - 1, below_all[i]);
        bd->prefix.len = plen;
        if (bd->prefix.data)
            bd->prefix.data[plen] = '\0';
        if (rc)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- */
/* Columns: which each node reads, and so its fields                  */

static size_t count_bits(uint64_t v)
{
    size_t n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* The foreign key columns of the ForeignKeys followed from nodes of m. */
static uint64_t followed_fks(const link_node *n, const pgorm_model_desc *m)
{
    uint64_t fks = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        const link_node *k = &n->kids[i];
        if (n->m == m && k->rel->kind == PGORM_REL_FORWARD)
            fks |= UINT64_C(1) << k->rel->fk_column;
        fks |= followed_fks(k, m);
    }
    return fks;
}

/* Every node of the model found reads `mask`, the others every column;
   then the node's fields: its columns, a ForeignKey child's fields, one
   array per BackReference child. */
static void layout(link_node *n, const pgorm_model_desc *root, uint64_t mask)
{
    const pgorm_model_desc *m = n->m;
    uint64_t all = m->ncolumns >= 64 ? UINT64_MAX : (UINT64_C(1) << m->ncolumns) - 1;
    n->cols = m == root ? mask : all;
    n->ncols = count_bits(n->cols);
    n->pkf = n->pk < 0 ? -1 : (int)count_bits(n->cols & ((UINT64_C(1) << n->pk) - 1));
    n->span = n->ncols;
    for (size_t i = 0; i < n->nkids; i++) {
        link_node *k = &n->kids[i];
        layout(k, root, mask);
        n->span += k->rel->kind == PGORM_REL_FORWARD ? k->span : 1;
    }
}

/* Rows of a model go through the identity map when the model is reached
   by a ForeignKey somewhere in the tree: those are the rows another part
   of the result may point at. */
static bool reached_forward(const link_node *n, const pgorm_model_desc *m)
{
    for (size_t i = 0; i < n->nkids; i++)
        if ((n->kids[i].rel->kind == PGORM_REL_FORWARD && n->kids[i].m == m) ||
            reached_forward(&n->kids[i], m))
            return true;
    return false;
}

static int finish(link_plan *p, link_node *n, pgorm_sqlb *b)
{
    n->shared = n->pk >= 0 && (n->rel ? n->rel->kind == PGORM_REL_FORWARD : false);
    if (!n->shared && n->pk >= 0)
        n->shared = reached_forward(p->root, n->m);
    if (!n->rel || n->rel->kind != PGORM_REL_FORWARD) {
        n->scratch = pgorm_arena_calloc(&p->arena, n->span, sizeof *n->scratch);
        if (!n->scratch) {
            pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory planning the links");
            return -1;
        }
    }
    for (size_t i = 0; i < n->nkids; i++)
        if (finish(p, &n->kids[i], b))
            return -1;
    return 0;
}

/* ---------------------------------------------------------------- */
/* Options per link (q->link_opts)                                   */

static bool filtered(const link_node *n)
{
    return n->opts && n->opts->where.kind != PGORM_PRED_NONE;
}

/* The node a link_opts path names (*parent: the model it hangs off), or
   NULL with b failed. */
static link_node *opts_node(link_plan *p, const pgorm_link_opts *o, size_t i, pgorm_sqlb *b,
                            const pgorm_model_desc **parent)
{
    const char *s = o->path;
    link_node *at = p->root;
    if (!*s) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "link_opts[%zu] has an empty path", i);
        return NULL;
    }
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        link_node *k = NULL;
        for (size_t j = 0; j < at->nkids && !k; j++)
            if (strlen(at->kids[j].rel->name) == n && strncmp(at->kids[j].rel->name, s, n) == 0)
                k = &at->kids[j];
        if (!k) {
            const pgorm_model_desc *m = at->m;
            bool known = false;
            pgorm_buf names = PGORM_BUF_INIT;
            for (size_t j = 0; j < m->nrels; j++) {
                if (!m->rels[j].name)
                    continue;
                known |= strlen(m->rels[j].name) == n && strncmp(m->rels[j].name, s, n) == 0;
                pgorm_buf_printf(&names, "%s%s", names.len ? ", " : "", m->rels[j].name);
            }
            if (known)
                pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                                "link_opts[%zu] \"%s\": %s.%.*s is not fetched by this find, so "
                                "it takes no options (fetch it: .fetch_links, with .links and "
                                ".depth reaching it)",
                                i, o->path, m->name, (int)n, s);
            else
                pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                                "link_opts[%zu] \"%s\": %s has no relation \"%.*s\" (it has: %s)",
                                i, o->path, m->name, (int)n, s,
                                names.data && !names.oom ? names.data : "none");
            pgorm_buf_free(&names);
            return NULL;
        }
        *parent = at->m;
        at = k;
        s += n;
        if (*s == '.' && !*++s) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "link_opts[%zu] \"%s\" ends with a '.'", i,
                            o->path);
            return NULL;
        }
    }
    return at;
}

static int apply_opts(link_plan *p, const pgorm_query *q, pgorm_sqlb *b)
{
    const pgorm_link_opts *v = q->link_opts;
    if (v[0].path && !q->fetch_links) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "link_opts[0] \"%s\": options for links, but .fetch_links is false "
                        "(nothing is fetched to apply them to)",
                        v[0].path);
        return -1;
    }
    for (size_t i = 0; v[i].path; i++) {
        const pgorm_link_opts *o = &v[i];
        const pgorm_model_desc *up = NULL;
        link_node *n = opts_node(p, o, i, b, &up);
        if (!n)
            return -1;
        const char *rel = n->rel->name;
        if (n->opts) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "link_opts[%zu] \"%s\": a second entry for the same link (merge "
                            "them into one)",
                            i, o->path);
            return -1;
        }
        if (o->limit < 0 || o->offset < 0) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "link_opts[%zu] \"%s\": limit %lld and offset %lld must not be "
                            "negative",
                            i, o->path, (long long)o->limit, (long long)o->offset);
            return -1;
        }
        if (n->rel->kind == PGORM_REL_FORWARD &&
            (o->order[0].column || o->limit || o->offset)) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "link_opts[%zu] \"%s\": %s.%s is a ForeignKey (one row): order, "
                            "limit and offset apply to a BackReference's rows only",
                            i, o->path, up->name, rel);
            return -1;
        }
        if (n->rel->kind == PGORM_REL_BACK && o->inner) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "link_opts[%zu] \"%s\": inner applies to a ForeignKey, and "
                            "%s.%s is a BackReference; to keep only the %s rows with matching "
                            "%s, filter them with %s's generated <model>_%s_any() predicate",
                            i, o->path, up->name, rel, up->name, rel, up->name, rel);
            return -1;
        }
        if (n->rel->kind == PGORM_REL_MANY && o->inner) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "link_opts[%zu] \"%s\": inner applies to a ForeignKey, and %s.%s "
                            "is a ManyToMany (a list of rows: where, order, limit and offset "
                            "apply)",
                            i, o->path, up->name, rel);
            return -1;
        }
        n->opts = o;
    }
    return 0;
}

static bool inner_fk_kid(const link_node *n)
{
    for (size_t i = 0; i < n->nkids; i++)
        if (n->kids[i].rel->kind == PGORM_REL_FORWARD && n->kids[i].opts &&
            n->kids[i].opts->inner)
            return true;
    return false;
}

/* The join flags once the options are known, top-down: a ForeignKey is
   LEFT-joined when its row may be absent (a nullable key, a LEFT-joined
   row above, its own filter, or an inner child that can drop it), unless
   it is inner itself; a LEFT-joined one with an inner child nests its own
   joins in parentheses, so that the child drops it and not the row above. */
static void set_joins(link_node *n)
{
    bool n_left = n->rel && n->rel->kind == PGORM_REL_FORWARD && n->left;
    for (size_t i = 0; i < n->nkids; i++) {
        link_node *k = &n->kids[i];
        if (k->rel->kind == PGORM_REL_FORWARD) {
            bool inner = k->opts && k->opts->inner;
            bool drop = inner_fk_kid(k);
            k->left = !inner && (n_left || filtered(k) || drop ||
                                 (n->m->columns[k->rel->fk_column].flags & PGORM_COL_NULLABLE));
            k->nest = k->left && drop;
        }
        set_joins(k);
    }
}

int link_plan_build(link_plan *p, const pgorm_model_desc *m, const pgorm_query *q,
                    pgorm_sqlb *b)
{
    memset(p, 0, sizeof *p);
    pgorm_arena_init(&p->arena, 4096);
    if (pgorm_sqlb_failed(b))
        return -1;
    int depth = 0;
    const char *const *links = NULL;
    if (q && q->fetch_links) {
        if (q->depth < 0 || q->depth > PGORM_MAX_DEPTH) {
            pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                            "depth %d is out of range: fetch_links follows 1 to %d levels (0 "
                            "means 1)",
                            q->depth, PGORM_MAX_DEPTH);
            return -1;
        }
        depth = q->depth ? q->depth : 1;
        links = q->links;
        if (links && check_paths(m, links, depth, b))
            return -1;
    }
    p->root = pgorm_arena_calloc(&p->arena, 1, sizeof *p->root);
    if (!p->root) {
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory planning the links");
        return -1;
    }
    p->root->m = m;
    p->nnodes = 1;
    builder bd = {p, b, links, PGORM_BUF_INIT};
    int rc = build(&bd, p->root, depth, links == NULL);
    if (bd.prefix.oom && !rc) {
        pgorm_sqlb_fail(b, PGORM_ERR_NOMEM, "out of memory planning the links");
        rc = -1;
    }
    pgorm_buf_free(&bd.prefix);
    if (!rc && q && q->link_opts) {
        rc = apply_opts(p, q, b);
        if (!rc)
            set_joins(p->root);
    }
    if (!rc) {
        /* a column subset: the key (in the mask already) and the foreign
           keys of the links followed, so that ref and key agree */
        uint64_t mask = pgorm_sqlb_read_mask(b, q ? q->columns : 0);
        if (q && q->columns)
            mask |= followed_fks(p->root, m);
        layout(p->root, m, mask);
        rc = pgorm_sqlb_failed(b) ? -1 : finish(p, p->root, b);
    }
    return rc;
}

void link_plan_free(link_plan *p)
{
    pgorm_arena_free(&p->arena);
    p->root = NULL;
}

/* ---------------------------------------------------------------- */
/* SQL                                                               */

static void col(pgorm_sqlb *b, unsigned alias, const pgorm_model_desc *m, size_t c)
{
    pgorm_buf_printf(&b->sql, "t%u.", alias);
    pgorm_sql_ident(&b->sql, m->columns[c].name);
}

static void joins(pgorm_sqlb *b, const link_node *n);

void link_many_col(pgorm_sqlb *b, const pgorm_rel_desc *r, unsigned alias, size_t c)
{
    pgorm_buf_printf(&b->sql, "j%u.", alias);
    pgorm_sql_ident(&b->sql, r->through->columns[c].name);
}

void link_many_join(pgorm_sqlb *b, const pgorm_rel_desc *r, unsigned alias,
                    const pgorm_model_desc *t, unsigned talias)
{
    pgorm_sqlb_puts(b, " JOIN ");
    pgorm_sql_qname(&b->sql, r->through->schema, r->through->table);
    pgorm_buf_printf(&b->sql, " j%u ON ", alias);
    link_many_col(b, r, alias, r->far_column);
    pgorm_buf_printf(&b->sql, " = t%u.", talias);
    pgorm_sql_ident(&b->sql, t->columns[link_single_pk(t)].name);
}

/* A link's `where`, about its model at its alias (relation predicates in
   it get aliases past the tree's). */
static void node_where(pgorm_sqlb *b, const link_node *k)
{
    char alias[16];
    snprintf(alias, sizeof alias, "t%u", k->alias);
    pgorm_sqlb_puts(b, " AND (");
    pgorm_sqlb_pred_on(b, &k->opts->where, k->m, alias);
    pgorm_sqlb_puts(b, ")");
}

/* A back reference's ORDER BY (the options' order, then the key, so that
   a page of items is well defined), LIMIT and OFFSET. */
static void back_order_page(pgorm_sqlb *b, const link_node *k)
{
    const pgorm_link_opts *o = k->opts;
    bool keyed = false;
    if (o && o->order[0].column) {
        char alias[16];
        snprintf(alias, sizeof alias, "t%u", k->alias);
        const pgorm_model_desc *saved_m = b->m, *saved_msg = b->msg_m;
        const char *saved_alias = b->alias;
        b->msg_m = saved_msg ? saved_msg : saved_m;
        b->m = k->m;
        b->alias = alias;
        pgorm_sqlb_order(b, o->order, PGORM_MAX_ORDER);
        for (size_t i = 0; i < PGORM_MAX_ORDER && o->order[i].column; i++)
            keyed |= k->pk >= 0 && o->order[i].column == UINT64_C(1) << k->pk;
        b->m = saved_m;
        b->alias = saved_alias;
        b->msg_m = saved_msg;
        if (k->pk >= 0 && !keyed) {
            pgorm_sqlb_puts(b, ", ");
            col(b, k->alias, k->m, (size_t)k->pk);
        }
    } else if (k->pk >= 0) {
        pgorm_sqlb_puts(b, " ORDER BY ");
        col(b, k->alias, k->m, (size_t)k->pk);
    }
    if (o && o->limit > 0) {
        pgorm_sqlb_puts(b, " LIMIT ");
        pgorm_sqlb_int8(b, o->limit);
    }
    if (o && o->offset > 0) {
        pgorm_sqlb_puts(b, " OFFSET ");
        pgorm_sqlb_int8(b, o->offset);
    }
}

/* The node's fields, comma-separated. */
static void fields(pgorm_sqlb *b, const link_node *n)
{
    bool first = true;
    for (size_t i = 0; i < n->m->ncolumns; i++) {
        if (!(n->cols & (UINT64_C(1) << i)))
            continue;
        if (!first)
            pgorm_sqlb_puts(b, ", ");
        first = false;
        col(b, n->alias, n->m, i);
    }
    for (size_t i = 0; i < n->nkids; i++) {
        const link_node *k = &n->kids[i];
        pgorm_sqlb_puts(b, ", ");
        if (k->rel->kind == PGORM_REL_FORWARD) {
            fields(b, k);
            continue;
        }
        /* one array of records per back reference: never multiplies rows */
        pgorm_sqlb_puts(b, "ARRAY(SELECT ROW(");
        fields(b, k);
        pgorm_sqlb_puts(b, ") FROM ");
        pgorm_sql_qname(&b->sql, k->m->schema, k->m->table);
        pgorm_buf_printf(&b->sql, " t%u", k->alias);
        if (k->rel->kind == PGORM_REL_MANY) {
            /* through the join table, j<alias>: its pairs with this row */
            link_many_join(b, k->rel, k->alias, k->m, k->alias);
            joins(b, k);
            pgorm_sqlb_puts(b, " WHERE ");
            link_many_col(b, k->rel, k->alias, k->rel->fk_column);
        } else {
            joins(b, k);
            pgorm_sqlb_puts(b, " WHERE ");
            col(b, k->alias, k->m, k->rel->fk_column);
        }
        pgorm_sqlb_puts(b, " = ");
        col(b, n->alias, n->m, (size_t)n->pk);
        if (filtered(k))
            node_where(b, k);
        back_order_page(b, k);
        pgorm_sqlb_puts(b, ")");
    }
}

/* The JOINs of the node's ForeignKey children (and theirs). */
static void joins(pgorm_sqlb *b, const link_node *n)
{
    for (size_t i = 0; i < n->nkids; i++) {
        const link_node *k = &n->kids[i];
        if (k->rel->kind != PGORM_REL_FORWARD)
            continue;
        pgorm_sqlb_puts(b, k->left ? " LEFT JOIN " : " JOIN ");
        if (k->nest)
            pgorm_sqlb_puts(b, "(");
        pgorm_sql_qname(&b->sql, k->m->schema, k->m->table);
        pgorm_buf_printf(&b->sql, " t%u", k->alias);
        if (k->nest) {
            joins(b, k);
            pgorm_sqlb_puts(b, ")");
        }
        pgorm_sqlb_puts(b, " ON ");
        col(b, k->alias, k->m, (size_t)k->pk);
        pgorm_sqlb_puts(b, " = ");
        col(b, n->alias, n->m, k->rel->fk_column);
        if (filtered(k))
            node_where(b, k);
        if (!k->nest)
            joins(b, k);
    }
}

void link_sql_select(pgorm_sqlb *b, const link_plan *p)
{
    if (b->next_alias < p->nnodes)
        b->next_alias = p->nnodes; /* relation predicates' aliases come after the tree's */
    pgorm_sqlb_puts(b, "SELECT ");
    fields(b, p->root);
    pgorm_sqlb_puts(b, " FROM ");
    pgorm_sql_qname(&b->sql, p->root->m->schema, p->root->m->table);
    pgorm_sqlb_puts(b, " t0");
    joins(b, p->root);
    b->alias = "t0";
}
