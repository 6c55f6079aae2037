/* @@foreign_key([a, b], references: Target([x, y]), on_delete: cascade): a
 * foreign key over fields of a model (scalars, or ForeignKey fields by their
 * column), to the primary key or a unique
 * key of the target (composite keys, and keys to a unique non-key column,
 * which a ForeignKey field cannot express). pgorm_model.fkeys.
 *
 * Parsing (called by parser.c after '@@foreign_key') and validation: the
 * fields exist and have columns, the target exists, its fields are its
 * primary key or one of its unique keys (as a set, as PostgreSQL asks), the
 * counts and types agree. Migrations only: no ForeignKey field comes of it,
 * so generated code has no loader for it.
 */
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/parser.h"
#include "schema/validate.h"

#define FK_SYNTAX "@@foreign_key([a_id, b_id], references: Target([x, y]), on_delete: cascade)"

static const struct {
    const char *name;
    pgorm_on_delete action;
} fk_actions[] = {
    {"cascade", PGORM_ON_DELETE_CASCADE},
    {"restrict", PGORM_ON_DELETE_RESTRICT},
    {"set_null", PGORM_ON_DELETE_SET_NULL},
    {"no_action", PGORM_ON_DELETE_NO_ACTION},
};

/* '[' name, name... ']' */
static bool parse_list(pgorm_sx_parser *p, char ***names, pgorm_pos **pos, size_t *n,
                       const char *what)
{
    char b[96];
    if (peek(p)->kind != SX_LBRACKET) {
        pgorm_sx_err(p, peek(p), "expected '[' to open the list of %s, found %s (write %s)",
                     what, pgorm_sx_describe(peek(p), b, sizeof b), FK_SYNTAX);
        return false;
    }
    take(p);
    size_t cap_n = 0, cap_p = 0;
    for (;;) {
        const tok *k = peek(p);
        if (k->kind != SX_IDENT) {
            pgorm_sx_err(p, k, "expected a field name in the list of %s, found %s", what,
                         pgorm_sx_describe(k, b, sizeof b));
            return false;
        }
        take(p);
        if (!pgorm_sx_grow((void **)names, &cap_n, *n + 1, sizeof **names) ||
            !pgorm_sx_grow((void **)pos, &cap_p, *n + 1, sizeof **pos)) {
            p->c->d.oom = true;
            return false;
        }
        (*pos)[*n] = k->pos;
        (*names)[*n] = NULL;
        (*n)++;
        if (!((*names)[*n - 1] = pgorm_sx_tokdup(p, k)))
            return false;
        if (peek(p)->kind != SX_COMMA)
            break;
        take(p);
    }
    char close[96];
    snprintf(close, sizeof close, "']' to close the list of %s", what);
    return pgorm_sx_expect(p, SX_RBRACKET, close);
}

static void free_fkey(pgorm_foreign_key *fk)
{
    for (size_t i = 0; fk->fields && i < fk->nfields; i++)
        pgorm_free(fk->fields[i]);
    for (size_t i = 0; fk->target_fields && i < fk->ntarget_fields; i++)
        pgorm_free(fk->target_fields[i]);
    pgorm_free(fk->fields);
    pgorm_free(fk->field_pos);
    pgorm_free(fk->target_fields);
    pgorm_free(fk->target_field_pos);
    pgorm_free(fk->target_model);
    pgorm_free(fk->name);
}

void pgorm_sx_free_fkeys(pgorm_model *m)
{
    for (size_t i = 0; m->fkeys && i < m->nfkeys; i++)
        free_fkey(&m->fkeys[i]);
    pgorm_free(m->fkeys);
    m->fkeys = NULL;
    m->nfkeys = 0;
}

/* A named argument: `word:` at the current token. */
static bool named_arg(pgorm_sx_parser *p, const char *word)
{
    char b[96];
    if (!is_word(peek(p), word)) {
        pgorm_sx_err(p, peek(p), "expected '%s:' in @@foreign_key, found %s (write %s)", word,
                     pgorm_sx_describe(peek(p), b, sizeof b), FK_SYNTAX);
        return false;
    }
    take(p);
    char what[64];
    snprintf(what, sizeof what, "':' after '%s'", word);
    return pgorm_sx_expect(p, SX_COLON, what);
}

static bool parse_body(pgorm_sx_parser *p, pgorm_foreign_key *fk)
{
    char b[96];
    if (!pgorm_sx_expect(p, SX_LPAREN, "'(' after @@foreign_key (write " FK_SYNTAX ")"))
        return false;
    if (!parse_list(p, &fk->fields, &fk->field_pos, &fk->nfields, "the model's fields"))
        return false;
    if (!pgorm_sx_expect(p, SX_COMMA, "',' and 'references: Target([...])' after the fields"))
        return false;
    if (!named_arg(p, "references"))
        return false;
    const tok *t = peek(p);
    if (t->kind != SX_IDENT) {
        pgorm_sx_err(p, t, "expected the referenced model's name after 'references:', found %s",
                     pgorm_sx_describe(t, b, sizeof b));
        return false;
    }
    take(p);
    fk->target_pos = t->pos;
    if (!(fk->target_model = pgorm_sx_tokdup(p, t)))
        return false;
    if (!pgorm_sx_expect(p, SX_LPAREN, "'(' after the referenced model (write Target([x, y]))"))
        return false;
    if (!parse_list(p, &fk->target_fields, &fk->target_field_pos, &fk->ntarget_fields,
                    "the referenced fields"))
        return false;
    if (!pgorm_sx_expect(p, SX_RPAREN, "')' after the referenced fields"))
        return false;
    if (peek(p)->kind == SX_COMMA) {
        take(p);
        if (!named_arg(p, "on_delete"))
            return false;
        const tok *v = peek(p);
        size_t k = 0, na = sizeof fk_actions / sizeof fk_actions[0];
        while (k < na && !is_word(v, fk_actions[k].name))
            k++;
        if (k == na) {
            pgorm_sx_err(p, v,
                         "unknown on_delete action %s (expected one of: cascade, restrict, "
                         "set_null, no_action)",
                         pgorm_sx_describe(v, b, sizeof b));
            return false;
        }
        take(p);
        fk->on_delete = fk_actions[k].action;
    }
    return pgorm_sx_expect(p, SX_RPAREN, "')' to close @@foreign_key(...)");
}

bool pgorm_sx_parse_fkey_block(pgorm_sx_parser *p, size_t mi, const tok *at)
{
    pgorm_model *m = &p->c->s->models[mi];
    pgorm_foreign_key fk = {.pos = at->pos, .target = PGORM_NONE};
    if (!parse_body(p, &fk)) {
        free_fkey(&fk);
        return false;
    }
    if (!pgorm_sx_grow((void **)&m->fkeys, &p->c->aux[mi].fkeys_cap, m->nfkeys + 1,
                       sizeof *m->fkeys)) {
        free_fkey(&fk);
        p->c->d.oom = true;
        return false;
    }
    m->fkeys[m->nfkeys++] = fk;
    return true;
}

/* ---- validation ---------------------------------------------------------- */

/* The fields of m that may be named here (with a column), for messages. */
static void column_fields(const pgorm_model *m, namelist *l)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].kind != PGORM_FIELD_BACK_REFERENCE)
            nl_add(l, m->fields[i].name);
}

/* Resolve the names of a list to scalar fields; false after a message. */
static bool resolve_fields(ctx *c, const pgorm_model *m, char **names, const pgorm_pos *pos,
                           size_t n, const pgorm_field **out, const char *whose)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const pgorm_field *f = pgorm_sx_field_named(m, names[i]);
        out[i] = NULL;
        if (!f || f->kind == PGORM_FIELD_BACK_REFERENCE) {
            namelist l = {0};
            column_fields(m, &l);
            pgorm_sx_diag(&c->d, pos[i],
                          f ? "field '%s' of %s '%s' is a BackReference, which has no column: "
                              "@@foreign_key names fields with a column (one of: %s)"
                            : "unknown field '%s' in %s '%s' (one of: %s)",
                          nm(names[i]).s, whose, nm(m->name).s, nl_str(&l));
            pgorm_buf_free(&l.b);
            ok = false;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (out[j] == f) {
                pgorm_sx_diag(&c->d, pos[i], "field '%s' is named twice in @@foreign_key",
                              nm(names[i]).s);
                ok = false;
            }
        out[i] = f;
    }
    return ok;
}

/* Whether the columns of `fs` are, as a set, the fields of a key of tm
   (the primary key, a @unique field, @@id or @@unique). */
static bool is_key(const pgorm_model *tm, const pgorm_field *const *fs, size_t n)
{
    size_t nid = 0;
    for (size_t i = 0; i < tm->nfields; i++)
        nid += tm->fields[i].is_id;
    if (nid == n) {
        bool all = true;
        for (size_t i = 0; i < n && all; i++)
            all = fs[i]->is_id;
        if (all && nid)
            return true;
    }
    if (n == 1 && fs[0]->is_unique)
        return true;
    for (size_t b = 0; b < tm->nblocks; b++) {
        const pgorm_block *bl = &tm->blocks[b];
        if ((bl->kind != PGORM_BLOCK_ID && bl->kind != PGORM_BLOCK_UNIQUE) || bl->nfields != n)
            continue;
        bool all = true;
        for (size_t i = 0; i < n && all; i++) {
            bool in = false;
            for (size_t j = 0; j < bl->nfields && !in; j++)
                in = strcmp(bl->fields[j], fs[i]->name) == 0;
            all = in;
        }
        if (all)
            return true;
    }
    return false;
}

static void check_fkey(ctx *c, size_t mi, pgorm_foreign_key *fk)
{
    const pgorm_schema *s = c->s;
    const pgorm_model *m = &s->models[mi];
    const pgorm_field *mine[PGORM_SX_MAX_COLUMNS], *theirs[PGORM_SX_MAX_COLUMNS];
    if (fk->nfields > PGORM_SX_MAX_COLUMNS || fk->ntarget_fields > PGORM_SX_MAX_COLUMNS) {
        pgorm_sx_diag(&c->d, fk->pos, "@@foreign_key over more than %d fields",
                      PGORM_SX_MAX_COLUMNS);
        return;
    }
    bool ok = resolve_fields(c, m, fk->fields, fk->field_pos, fk->nfields, mine, "model");
    size_t ti = PGORM_NONE;
    for (size_t i = 0; i < s->nmodels; i++)
        if (s->models[i].name && strcmp(s->models[i].name, fk->target_model) == 0)
            ti = i;
    if (ti == PGORM_NONE) {
        namelist l = {0};
        for (size_t i = 0; i < s->nmodels; i++)
            nl_add(&l, s->models[i].name);
        pgorm_sx_diag(&c->d, fk->target_pos,
                      "unknown model '%s' in @@foreign_key(..., references: %s(...)) (one of: "
                      "%s)",
                      nm(fk->target_model).s, nm(fk->target_model).s, nl_str(&l));
        pgorm_buf_free(&l.b);
        return;
    }
    const pgorm_model *tm = &s->models[ti];
    ok = resolve_fields(c, tm, fk->target_fields, fk->target_field_pos, fk->ntarget_fields,
                        theirs, "model") &&
         ok;
    if (!ok)
        return;
    if (fk->nfields != fk->ntarget_fields) {
        pgorm_sx_diag(&c->d, fk->target_field_pos[0],
                      "@@foreign_key names %zu field%s of '%s' but %zu of '%s': write as many "
                      "on both sides, in matching order",
                      fk->nfields, fk->nfields == 1 ? "" : "s", nm(m->name).s,
                      fk->ntarget_fields, nm(tm->name).s);
        return;
    }
    if (!is_key(tm, theirs, fk->ntarget_fields)) {
        pgorm_sx_diag(&c->d, fk->target_field_pos[0],
                      "the fields referenced in model '%s' are not its primary key or one of "
                      "its unique keys (PostgreSQL needs one): reference its @id / @@id "
                      "fields, or add @@unique(...) over them to '%s'",
                      nm(tm->name).s, nm(tm->name).s);
        return;
    }
    for (size_t i = 0; i < fk->nfields; i++) {
        pgorm_coltype a = pgorm_coltype_plain(mine[i]->type),
                      b = pgorm_coltype_plain(theirs[i]->type);
        if (a.scalar != b.scalar || a.precision != b.precision || a.scale != b.scale ||
            (a.scalar == PGORM_S_ENUM && mine[i]->enum_name && theirs[i]->enum_name &&
             strcmp(mine[i]->enum_name, theirs[i]->enum_name) != 0)) {
            char ta[64], tb[64];
            pgorm_sx_diag(&c->d, fk->field_pos[i],
                          "field '%s' is %s but the field it references, %s.%s, is %s: the "
                          "types of a foreign key must match (make '%s' %s)",
                          nm(mine[i]->name).s, pgorm_coltype_sql(a, ta, sizeof ta),
                          nm(tm->name).s, nm(theirs[i]->name).s,
                          pgorm_coltype_sql(b, tb, sizeof tb), nm(mine[i]->name).s, tb);
            return;
        }
        if (fk->on_delete == PGORM_ON_DELETE_SET_NULL && !mine[i]->nullable) {
            pgorm_sx_diag(&c->d, fk->field_pos[i],
                          "on_delete: set_null needs field '%s' to be nullable (write '%s %s?')",
                          nm(mine[i]->name).s, nm(mine[i]->name).s, "<type>");
            return;
        }
    }
    fk->target = ti;
}

void pgorm_sx_validate_fkeys(pgorm_sx_ctx *c)
{
    for (size_t mi = 0; mi < c->s->nmodels && !c->d.oom; mi++) {
        if (c->aux[mi].broken || c->aux[mi].any_bad)
            continue;
        pgorm_model *m = &c->s->models[mi];
        for (size_t i = 0; i < m->nfkeys; i++)
            check_fkey(c, mi, &m->fkeys[i]);
    }
}
