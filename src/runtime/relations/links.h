/* Internal: relationships. The tree of links one statement fetches, the
 * SQL that fetches it, and the decoding of its rows into structs.
 *
 * A fetch_links find is ONE statement (see docs/architecture.md,
 * "Relationships"):
 *
 *   SELECT t0.<cols>, t1.<cols>, ..., ARRAY(SELECT ROW(t2.<cols>, ...)
 *                                          FROM book t2 [JOIN ...]
 *                                          WHERE t2.author_id = t0.id
 *                                          ORDER BY t2.id)
 *   FROM author t0 [LEFT] JOIN country t1 ON t1.code = t0.country_id ...
 *   WHERE <q->where on t0> ORDER BY ... LIMIT ... OFFSET ...
 *
 * Each node of the tree is a model reached through one relation. A node's
 * FIELDS, in a result row or in a record, are: its model's columns read
 * (`cols`: every column, or for the model found a pgorm_query.columns
 * subset) in descriptor order, then for each child, in order, a ForeignKey child's
 * fields inline (a JOIN) or ONE array-of-records field for a BackReference
 * child. The SQL writer and the decoder both walk the tree in that order,
 * so they always agree.
 */
#ifndef PGORM_RUNTIME_LINKS_H
#define PGORM_RUNTIME_LINKS_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "pgorm/pgorm.h"
#include "runtime/query/result.h"
#include "runtime/query/sql.h"
#include "util/arena.h"
#include "util/hmap.h"

/* At most this many models in one fetch_links statement (joins plus
   subqueries): past it the caller is asked to choose links. */
#define PGORM_MAX_LINK_NODES 64

/* One field of a row or record: binary bytes (len -1: NULL) and type. */
typedef struct link_field {
    const char *v;
    int len;
    Oid oid;
} link_field;

typedef struct link_node link_node;
struct link_node {
    const pgorm_model_desc *m;
    const pgorm_rel_desc *rel; /* how it hangs off its parent; NULL at the root */
    unsigned alias;            /* t<alias> in the SQL */
    int pk;                    /* the key column when it is one column, else -1 */
    uint64_t cols;             /* the columns read (column bits; the key always) */
    size_t ncols;              /* how many: the node's first fields */
    int pkf;                   /* the key's field among them (pk >= 0), else -1 */
    bool left;                 /* FORWARD: LEFT JOIN (nullable, filtered, or optional above) */
    bool nest;                 /* FORWARD, left: its own joins go inside parentheses, since an
                                  inner child can drop it (LEFT JOIN (t1 JOIN t2 ON ..) ON ..) */
    const pgorm_link_opts *opts; /* the caller's options for this link, or NULL */
    bool shared;               /* rows go through the identity map */
    size_t span;               /* fields this node takes (see above) */
    link_field *scratch;       /* BACK and root: room for one record's / row's fields */
    link_node *kids;
    size_t nkids;
};

/* The plan of one fetch: the tree and where it lives. */
typedef struct link_plan {
    pgorm_arena arena; /* nodes and scratch (owned) */
    link_node *root;
    unsigned nnodes;
} link_plan;

/* Build the tree for a find on m with q's fetch_links, depth, links and
   columns and link_opts (fetch_links false: the root alone). Errors (a
   depth out of range, an unknown link name, too many links, a relation
   whose models have no single-column key, options for a link not fetched
   or that do not fit its kind, column bits the model lacks) go to b as
   PGORM_ERR_INVALID. 0 or -1. Release the
   plan with link_plan_free, also on failure. */
int link_plan_build(link_plan *p, const pgorm_model_desc *m, const pgorm_query *q,
                    pgorm_sqlb *b);
void link_plan_free(link_plan *p);

/* "SELECT <fields of the tree> FROM <table> t0 <joins>": the caller adds
   WHERE / ORDER BY / LIMIT (b->alias is set to "t0" for them). */
void link_sql_select(pgorm_sqlb *b, const link_plan *p);

/* The decoder of one result: its identity map (model + key -> struct). */
typedef struct link_decoder {
    const link_plan *plan;
    pgorm_result *res;
    pgorm_hmap ids; /* identity map: model and key bytes -> row */
    /* ... and, for models whose key is 4 or 8 bytes (int4, int8), one map
       per model keyed by the key's value: no key to build per row */
    struct {
        const pgorm_model_desc *m;
        pgorm_hmap ids;
    } by_model[8];
    size_t nby_model;
    pgorm_buf key; /* scratch for identity keys */
    const char *what; /* "pgorm_find", for messages */
    bool checked;     /* the result's column types were checked (once per statement) */
} link_decoder;

void link_decoder_init(link_decoder *d, const link_plan *p, pgorm_result *res,
                       const char *what);
void link_decoder_free(link_decoder *d);
/* Decode every row of res onto the end of d->res. 0, or -1 with *err
   (PGORM_ERR_DECODE naming model and column, or PGORM_ERR_NOMEM). */
int link_decode_rows(link_decoder *d, const PGresult *res, pgorm_error *err);

/* pgorm_find with q->fetch_links (links.c). */
void pgorm_links_find(pgorm_db *db, const pgorm_model_desc *m, const pgorm_query *q,
                      pgorm_result_cb cb, pgorm_fn fn, void *ud);

/* ManyToMany r (checked: r->through and its columns are there): the join
   table's column c as j<alias>."c", and " JOIN <through> j<alias> ON
   j<alias>.<far column> = t<talias>.<t's key>". */
void link_many_col(pgorm_sqlb *b, const pgorm_rel_desc *r, unsigned alias, size_t c);
void link_many_join(pgorm_sqlb *b, const pgorm_rel_desc *r, unsigned alias,
                    const pgorm_model_desc *t, unsigned talias);

/* The ManyToMany `rel` of b->m, checked (the descriptors, the key of
   `row`), or NULL with b failed (many.c). */
const pgorm_rel_desc *link_many_rel(pgorm_sqlb *b, size_t rel, const void *row);
/* " WHERE j0.<column to m> = $k" with row's key (m's). */
void link_many_cond(pgorm_sqlb *b, const pgorm_model_desc *m, const pgorm_rel_desc *r,
                    const void *row);

/* The single key column of m, or -1 (no key, or a key of several). */
int link_single_pk(const pgorm_model_desc *m);

#endif
