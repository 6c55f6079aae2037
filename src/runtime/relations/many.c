/* ManyToMany access besides the load (which is links.c's pgorm_many):
 * the count of the far rows, and adding and removing pairs in the join
 * table. Each is one statement:
 *
 *   SELECT count(*) FROM tag t0 JOIN post_tag j0 ON j0.tag_id = t0.id
 *     WHERE j0.post_id = $1 [AND (where)]
 *   INSERT INTO post_tag (post_id, tag_id) SELECT $1, unnest($2)
 *     ON CONFLICT DO NOTHING
 *   DELETE FROM post_tag WHERE post_id = $1 AND tag_id = ANY($2)
 *
 * The key array is one binary parameter whatever its length, so the text
 * (and the prepared statement) is the same for 1 key and 1000.
 */
#include <string.h>

#include "runtime/codec/codec.h"
#include "runtime/query/crud.h"
#include "runtime/relations/links.h"

const pgorm_rel_desc *link_many_rel(pgorm_sqlb *b, size_t rel, const void *row)
{
    const pgorm_model_desc *m = b->m;
    if (pgorm_sqlb_failed(b))
        return NULL;
    if (rel >= m->nrels || !m->rels || m->rels[rel].kind != PGORM_REL_MANY) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "relation %zu is not a ManyToMany of %s", rel,
                        m->name);
        return NULL;
    }
    const pgorm_rel_desc *r = &m->rels[rel];
    const pgorm_model_desc *t = r->target, *j = r->through;
    int pk = link_single_pk(m);
    int tpk = t && t->columns ? link_single_pk(t) : -1;
    bool ok = t && t->table && t->columns && t->ncolumns > 0 && t->ncolumns <= 64 && j &&
              j->table && j->columns && j->ncolumns <= 64 && r->fk_column < j->ncolumns &&
              r->far_column < j->ncolumns && pk >= 0 && tpk >= 0;
    if (ok && (j->columns[r->fk_column].type != m->columns[pk].type ||
               j->columns[r->far_column].type != t->columns[tpk].type))
        ok = false;
    if (!ok) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID,
                        "relation %s: %s and its target need a one-column key, and the join "
                        "model a column of the same type to each (malformed descriptor?)",
                        r->name ? r->name : "?", m->name);
        return NULL;
    }
    if (!row) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s: the row is NULL", r->name);
        return NULL;
    }
    if (pgorm_codec_is_null(&m->columns[pk], row)) {
        pgorm_sqlb_fail(b, PGORM_ERR_INVALID, "%s: the row's key %s is not set", r->name,
                        m->columns[pk].name);
        return NULL;
    }
    return r;
}

void link_many_cond(pgorm_sqlb *b, const pgorm_model_desc *m, const pgorm_rel_desc *r,
                    const void *row)
{
    const pgorm_column_desc *key = &m->columns[link_single_pk(m)];
    pgorm_sqlb_puts(b, " WHERE ");
    link_many_col(b, r, 0, r->fk_column);
    pgorm_sqlb_puts(b, " = ");
    pgorm_sqlb_col_value(b, key, (const char *)row + key->offset, key->name);
}

void pgorm_many_count(pgorm_db *db, const pgorm_model_desc *m, size_t rel, const void *row,
                      const pgorm_pred *where, pgorm_count_cb cb, void *ud)
{
    crud_op *op = pgorm_crud_new(db, CRUD_COUNT, m, NULL, cb, NULL, ud);
    if (!op)
        return;
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, "pgorm_many_count");
    const pgorm_rel_desc *r = link_many_rel(&b, rel, row);
    if (r) {
        b.m = r->target;
        pgorm_sqlb_puts(&b, "SELECT count(*) FROM ");
        pgorm_sqlb_table(&b);
        pgorm_sqlb_puts(&b, " t0");
        link_many_join(&b, r, 0, r->target, 0);
        link_many_cond(&b, m, r, row);
        b.alias = "t0";
        b.next_alias = 1; /* relation predicates' subqueries: t1, t2... */
        if (where && where->kind != PGORM_PRED_NONE) {
            pgorm_sqlb_puts(&b, " AND (");
            pgorm_sqlb_pred(&b, where);
            pgorm_sqlb_puts(&b, ")");
        }
    }
    pgorm_crud_submit(db, op, &b);
}

/* add (true) or remove: the statement over the join table. */
static void pairs(pgorm_db *db, const pgorm_model_desc *m, size_t rel, const void *row,
                  const void *keys, size_t n, pgorm_count_cb cb, void *ud, bool add)
{
    crud_op *op = pgorm_crud_new(db, CRUD_AFFECTED, m, NULL, cb, NULL, ud);
    if (!op)
        return;
    const char *what = add ? "pgorm_many_add" : "pgorm_many_remove";
    pgorm_sqlb b;
    pgorm_sqlb_init(&b, &op->op.params, m, what);
    const pgorm_rel_desc *r = link_many_rel(&b, rel, row);
    if (r && n && !keys)
        pgorm_sqlb_fail(&b, PGORM_ERR_INVALID, "%s: %zu keys but the array is NULL", r->name, n);
    if (r && !pgorm_sqlb_failed(&b)) {
        const pgorm_column_desc *key = &m->columns[link_single_pk(m)];
        const pgorm_column_desc *tkey = &r->target->columns[link_single_pk(r->target)];
        b.msg_m = m;
        b.m = r->through;
        if (add) {
            pgorm_sqlb_puts(&b, "INSERT INTO ");
            pgorm_sqlb_table(&b);
            pgorm_sqlb_puts(&b, " (");
            pgorm_sqlb_column(&b, r->fk_column);
            pgorm_sqlb_puts(&b, ", ");
            pgorm_sqlb_column(&b, r->far_column);
            pgorm_sqlb_puts(&b, ") SELECT ");
            pgorm_sqlb_col_value(&b, key, (const char *)row + key->offset, key->name);
            pgorm_sqlb_puts(&b, ", unnest(");
            pgorm_sqlb_col_array(&b, tkey, keys, NULL, n, pgorm_codec_size(tkey->type),
                                 tkey->name);
            pgorm_sqlb_puts(&b, ") ON CONFLICT DO NOTHING");
        } else {
            pgorm_sqlb_puts(&b, "DELETE FROM ");
            pgorm_sqlb_table(&b);
            pgorm_sqlb_puts(&b, " WHERE ");
            pgorm_sqlb_column(&b, r->fk_column);
            pgorm_sqlb_puts(&b, " = ");
            pgorm_sqlb_col_value(&b, key, (const char *)row + key->offset, key->name);
            pgorm_sqlb_puts(&b, " AND ");
            pgorm_sqlb_column(&b, r->far_column);
            pgorm_sqlb_puts(&b, " = ANY(");
            pgorm_sqlb_col_array(&b, tkey, keys, NULL, n, pgorm_codec_size(tkey->type),
                                 tkey->name);
            pgorm_sqlb_puts(&b, ")");
        }
    }
    pgorm_crud_submit(db, op, &b);
}

void pgorm_many_add(pgorm_db *db, const pgorm_model_desc *m, size_t rel, const void *row,
                    const void *keys, size_t n, pgorm_count_cb cb, void *ud)
{
    pairs(db, m, rel, row, keys, n, cb, ud, true);
}

void pgorm_many_remove(pgorm_db *db, const pgorm_model_desc *m, size_t rel, const void *row,
                       const void *keys, size_t n, pgorm_count_cb cb, void *ud)
{
    pairs(db, m, rel, row, keys, n, cb, ud, false);
}
