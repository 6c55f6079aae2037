/* Validation of a parsed schema: names, fields, keys, block attributes and
 * defaults here; relationships in relations.c. Also fills what the parser
 * leaves empty: table names, column names, ForeignKey/BackReference targets
 * and ForeignKey column types.
 *
 * Runs even when the parser reported errors, but trusts only what it saw:
 * a `broken` model (tokens were skipped) or one with a `bad` field is not
 * told it lacks a primary key, and relationships into it are not judged.
 * Diagnostics come out per check; the caller sorts them into source order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "schema/validate.h"

/* ---- names --------------------------------------------------------------- */

static void check_model_names(ctx *c, size_t mi)
{
    pgorm_schema *s = c->s;
    pgorm_model *m = &s->models[mi];
    pgorm_sx_model_aux *ma = &c->aux[mi];
    for (size_t j = 0; j < mi; j++) {
        if (strcmp(s->models[j].name, m->name) == 0) {
            pgorm_sx_diag(&c->d, m->pos, "duplicate model '%s' (first defined at line %d)",
                          nm(m->name).s, s->models[j].pos.line);
            ma->duplicate = true;
            break;
        }
    }
    if (!m->table && !(m->table = pgorm_snake_case(m->name))) {
        c->d.oom = true;
        return;
    }
    pgorm_pos tp = ma->table_arg.line ? ma->table_arg : m->pos;
    if (m->table[0] == '\0') {
        pgorm_sx_diag(&c->d, tp, "the table name in @@table cannot be empty");
        return;
    }
    if (strlen(m->table) > PGORM_SX_MAX_NAME)
        pgorm_sx_diag(&c->d, tp,
                      "table name '%s' is longer than %d bytes, PostgreSQL's limit for names%s",
                      nm(m->table).s, PGORM_SX_MAX_NAME,
                      ma->table_arg.line ? "" : " (choose a shorter one with @@table(name))");
    if (ma->duplicate)
        return;
    for (size_t j = 0; j < mi; j++) {
        if (c->aux[j].duplicate || !s->models[j].table || strcmp(s->models[j].table, m->table) != 0 ||
            !pgorm_sx_same_schema(s->models[j].schema, m->schema))
            continue;
        pgorm_sx_diag(&c->d, tp,
                      "model '%s' maps to table '%s', which model '%s' (line %d) already uses "
                      "(give one of them another name with @@table(name))",
                      nm(m->name).s, nm(m->table).s, nm(s->models[j].name).s,
                      s->models[j].pos.line);
        break;
    }
}

/* ---- fields ---------------------------------------------------------------- */

static bool set_column(ctx *c, pgorm_field *f)
{
    if (no_column(f))
        return true;
    size_t n = strlen(f->name);
    bool fk = f->kind == PGORM_FIELD_FOREIGN_KEY;
    f->column = pgorm_malloc(n + (fk ? 4 : 1));
    if (!f->column) {
        c->d.oom = true;
        return false;
    }
    memcpy(f->column, f->name, n);
    memcpy(f->column + n, fk ? "_id" : "", fk ? 4 : 1);
    return true;
}

static void check_field_attrs(ctx *c, const pgorm_field *f, const pgorm_sx_field_aux *fa)
{
    pgorm_sx_diags *d = &c->d;
    if (f->kind != PGORM_FIELD_MANY_TO_MANY && fa->attr_pos[SX_A_THROUGH].line)
        pgorm_sx_diag(d, fa->attr_pos[SX_A_THROUGH],
                      "@through is only valid on a ManyToMany field, and '%s' is a %s",
                      nm(f->name).s, f->kind == PGORM_FIELD_SCALAR ? "scalar" : kind_name(f));
    if (f->kind == PGORM_FIELD_MANY_TO_MANY) {
        if (fa->q_pos.line)
            pgorm_sx_diag(d, fa->q_pos,
                          "a ManyToMany cannot be nullable: remove '?' (it is a list of rows, "
                          "not a column)");
        for (int a = 0; a < SX_A_COUNT; a++)
            if (a != SX_A_THROUGH && fa->attr_pos[a].line)
                pgorm_sx_diag(d, fa->attr_pos[a],
                              "@%s is not allowed on a ManyToMany (it has no column; only "
                              "@through(JoinModel) is)",
                              pgorm_sx_attr_names[a]);
        if (!fa->attr_pos[SX_A_THROUGH].line)
            pgorm_sx_diag(d, f->type_pos,
                          "ManyToMany[%s] needs its join model: write @through(JoinModel), a "
                          "model with one ForeignKey[%s] and one ForeignKey to this model",
                          nm(f->target_model).s, nm(f->target_model).s);
        return;
    }
    if (f->kind == PGORM_FIELD_BACK_REFERENCE) {
        if (fa->q_pos.line)
            pgorm_sx_diag(d, fa->q_pos,
                          "a BackReference cannot be nullable: remove '?' (it is a list of rows, "
                          "not a column)");
        for (int a = 0; a < SX_A_COUNT; a++)
            if (fa->attr_pos[a].line)
                pgorm_sx_diag(d, fa->attr_pos[a],
                              "@%s is not allowed on a BackReference (it has no column)",
                              pgorm_sx_attr_names[a]);
        return;
    }
    if (fa->attr_pos[SX_A_ID].line && f->nullable)
        pgorm_sx_diag(d, fa->attr_pos[SX_A_ID],
                      "@id field '%s' cannot be nullable: remove '?' from its type", nm(f->name).s);
    static const pgorm_sx_attr fk_actions[] = {SX_A_ON_DELETE, SX_A_ON_UPDATE};
    for (size_t ai = 0; ai < sizeof fk_actions / sizeof fk_actions[0]; ai++) {
        pgorm_sx_attr a = fk_actions[ai];
        if (!fa->attr_pos[a].line)
            continue;
        const char *an = pgorm_sx_attr_names[a];
        pgorm_on_delete act = a == SX_A_ON_DELETE ? f->on_delete : f->on_update;
        if (f->kind != PGORM_FIELD_FOREIGN_KEY) {
            char ty[48];
            pgorm_sx_diag(d, fa->attr_pos[a],
                          "@%s is only valid on a ForeignKey field, and '%s' is not one "
                          "(its type is %s)",
                          an, nm(f->name).s, pgorm_coltype_sql(f->type, ty, sizeof ty));
        } else if (act == PGORM_ON_DELETE_SET_NULL && !f->nullable) {
            pgorm_sx_diag(d, fa->arg_pos[a],
                          "@%s(set_null) needs a nullable ForeignKey: write "
                          "ForeignKey[%s]? (or choose cascade, restrict or no_action)",
                          an, nm(f->target_model).s);
        }
    }
    if (f->no_index && f->kind != PGORM_FIELD_FOREIGN_KEY)
        pgorm_sx_diag(d, fa->arg_pos[SX_A_INDEX],
                      "@index(false) is only valid on a ForeignKey field (it leaves out the index "
                      "pgorm creates on a foreign key's column); '%s' has no index unless it has "
                      "@index",
                      nm(f->name).s);
    if (f->kind != PGORM_FIELD_SCALAR)
        return;
    pgorm_scalar sc = f->type.scalar;
    static const int json_attrs[] = {SX_A_ID, SX_A_UNIQUE, SX_A_INDEX};
    for (size_t k = 0; sc == PGORM_S_JSON && k < 3; k++)
        if (fa->attr_pos[json_attrs[k]].line && !(json_attrs[k] == SX_A_INDEX && f->no_index))
            pgorm_sx_diag(d, fa->attr_pos[json_attrs[k]],
                          "a json field cannot be @%s: json has no equality, so no key or index "
                          "holds it (jsonb has one: use jsonb)",
                          pgorm_sx_attr_names[json_attrs[k]]);
    if (f->type.array) {
        char ty[48];
        pgorm_coltype_sql(f->type, ty, sizeof ty);
        if (sc == PGORM_S_ENUM)
            pgorm_sx_diag(d, f->type_pos,
                          "field '%s': arrays of an enum (%s[]) are not supported; use text[] "
                          "with a @check, or a scalar %s field",
                          nm(f->name).s, f->enum_name ? nm(f->enum_name).s : "?",
                          f->enum_name ? nm(f->enum_name).s : "enum");
        if (fa->attr_pos[SX_A_ID].line)
            pgorm_sx_diag(d, fa->attr_pos[SX_A_ID],
                          "@id is not allowed on array field '%s' (%s): a key is a scalar column",
                          nm(f->name).s, ty);
        if (fa->attr_pos[SX_A_UNIQUE].line)
            pgorm_sx_diag(d, fa->attr_pos[SX_A_UNIQUE],
                          "@unique is not allowed on array field '%s' (%s): a unique column is "
                          "a scalar one (@index is allowed)",
                          nm(f->name).s, ty);
    }
    if (fa->attr_pos[SX_A_DEFAULT].line && (sc == PGORM_S_SERIAL || sc == PGORM_S_BIGSERIAL))
        pgorm_sx_diag(d, fa->attr_pos[SX_A_DEFAULT],
                      "@default is not allowed on %s: the column already defaults to the next "
                      "value of its sequence (use int%c for a plain column with a default)",
                      sc == PGORM_S_SERIAL ? "serial" : "bigserial",
                      sc == PGORM_S_SERIAL ? '4' : '8');
    if (sc == PGORM_S_NUMERIC && fa->param_pos[0].line) {
        int p = f->type.precision, s = f->type.scale;
        if (p < 1 || p > 1000)
            pgorm_sx_diag(d, fa->param_pos[0],
                          "numeric precision must be between 1 and 1000 (in numeric(p, s))");
        else if (s < 0 || s > p)
            pgorm_sx_diag(d, fa->param_pos[1],
                          "numeric scale must be between 0 and the precision %d (in numeric(p, s))",
                          p);
    } else if (sc == PGORM_S_CHAR) {
        if (f->type.precision < 1)
            pgorm_sx_diag(d, fa->param_pos[0],
                          "char length must be at least 1 (in char(n); PostgreSQL pads the "
                          "value with blanks to n characters)");
        else if (f->type.precision > 10485760)
            pgorm_sx_diag(d, fa->param_pos[0],
                          "char length must be at most 10485760 (use text for longer strings)");
    } else if (sc == PGORM_S_VARCHAR) {
        if (f->type.precision < 1)
            pgorm_sx_diag(d, fa->param_pos[0], "varchar length must be at least 1 (in varchar(n))");
        else if (f->type.precision > 10485760)
            pgorm_sx_diag(d, fa->param_pos[0],
                          "varchar length must be at most 10485760 (use text for longer strings)");
    }
}

static void check_fields(ctx *c, size_t mi)
{
    pgorm_model *m = &c->s->models[mi];
    pgorm_sx_model_aux *ma = &c->aux[mi];
    size_t ncols = 0;
    for (size_t fi = 0; fi < m->nfields; fi++) {
        pgorm_field *f = &m->fields[fi];
        pgorm_sx_field_aux *fa = &ma->fields[fi];
        if (!set_column(c, f))
            return;
        bool dup = false;
        for (size_t j = 0; j < fi && !dup; j++) {
            if (strcmp(m->fields[j].name, f->name) == 0) {
                pgorm_sx_diag(&c->d, f->pos,
                              "duplicate field '%s' in model '%s' (first defined at line %d)",
                              nm(f->name).s, nm(m->name).s, m->fields[j].pos.line);
                dup = true;
            }
        }
        for (size_t j = 0; j < fi && !dup && f->column; j++) {
            const pgorm_field *g = &m->fields[j];
            if (!g->column || strcmp(g->column, f->column) != 0)
                continue;
            if (f->kind == PGORM_FIELD_FOREIGN_KEY)
                pgorm_sx_diag(&c->d, f->pos,
                              "ForeignKey field '%s' makes column '%s', which field '%s' (line %d) "
                              "already is; rename one of them",
                              nm(f->name).s, nm(f->column).s, nm(g->name).s, g->pos.line);
            else
                pgorm_sx_diag(&c->d, f->pos,
                              "field '%s' collides with column '%s' of ForeignKey field '%s' "
                              "(line %d); rename one of them",
                              nm(f->name).s, nm(f->column).s, nm(g->name).s, g->pos.line);
            dup = true;
        }
        if (f->column && strlen(f->column) > PGORM_SX_MAX_NAME)
            pgorm_sx_diag(&c->d, f->pos,
                          "column name '%s' is longer than %d bytes, PostgreSQL's limit for names",
                          nm(f->column).s, PGORM_SX_MAX_NAME);
        if (f->column && ++ncols == PGORM_SX_MAX_COLUMNS + 1)
            pgorm_sx_diag(&c->d, f->pos,
                          "model '%s' has more than %d columns (pgorm's limit); '%s' is column %d",
                          nm(m->name).s, PGORM_SX_MAX_COLUMNS, nm(f->name).s,
                          PGORM_SX_MAX_COLUMNS + 1);
        if (!fa->bad)
            check_field_attrs(c, f, fa);
    }
}

/* ---- keys and block attributes ------------------------------------------- */

static int pos_before(pgorm_pos a, pgorm_pos b)
{
    return a.line < b.line || (a.line == b.line && a.col < b.col);
}

static void check_key(ctx *c, size_t mi)
{
    const pgorm_model *m = &c->s->models[mi];
    const pgorm_sx_model_aux *ma = &c->aux[mi];
    /* The first primary key declaration in source order is the key; every
       later one is a second key. */
    pgorm_pos first = {0, 0};
    char first_what[96] = "";
    size_t count = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t fi = 0; fi < m->nfields; fi++) {
            const pgorm_field *f = &m->fields[fi];
            pgorm_pos p = ma->fields[fi].attr_pos[SX_A_ID];
            if (!p.line || no_column(f))
                continue;
            if (pass == 0) {
                count++;
                if (!first.line || pos_before(p, first)) {
                    first = p;
                    snprintf(first_what, sizeof first_what, "@id on '%s'", nm(f->name).s);
                }
            } else if (p.line != first.line || p.col != first.col) {
                pgorm_sx_diag(&c->d, p,
                              "model '%s' has two primary keys: %s (line %d) and @id on '%s'; "
                              "keep one (write @@id(a, b) for a key of several fields)",
                              nm(m->name).s, first_what, first.line, nm(f->name).s);
            }
        }
        for (size_t bi = 0; bi < m->nblocks; bi++) {
            const pgorm_block *b = &m->blocks[bi];
            if (b->kind != PGORM_BLOCK_ID)
                continue;
            if (pass == 0) {
                count++;
                if (!first.line || pos_before(b->pos, first)) {
                    first = b->pos;
                    snprintf(first_what, sizeof first_what, "@@id");
                }
            } else if (b->pos.line != first.line || b->pos.col != first.col) {
                pgorm_sx_diag(&c->d, b->pos,
                              "model '%s' has two primary keys: %s (line %d) and this @@id; keep "
                              "one (write @@id(a, b) for a key of several fields)",
                              nm(m->name).s, first_what, first.line);
            }
        }
    }
    if (count == 0 && !unreliable(c, mi))
        pgorm_sx_diag(&c->d, m->pos,
                      "model '%s' has no primary key: add @id to a field or @@id(...) to the model",
                      nm(m->name).s);
}

static const char *block_name(pgorm_block_kind k)
{
    return k == PGORM_BLOCK_ID ? "id" : k == PGORM_BLOCK_UNIQUE ? "unique" : "index";
}

static void unknown_block_field(ctx *c, const pgorm_model *m, const pgorm_block *b, size_t q)
{
    namelist l = {PGORM_BUF_INIT, 0, false};
    const char **names = pgorm_calloc(m->nfields ? m->nfields : 1, sizeof *names);
    size_t nn = 0;
    for (size_t i = 0; i < m->nfields; i++) {
        if (no_column(&m->fields[i]))
            continue;
        nl_add(&l, m->fields[i].name);
        if (names)
            names[nn++] = m->fields[i].name;
    }
    char dym[96];
    pgorm_sx_did_you_mean(dym, sizeof dym, "",
                          names ? pgorm_sx_suggest(b->fields[q], names, nn) : NULL);
    pgorm_sx_diag(&c->d, b->field_pos[q], "unknown field '%s' in @@%s (fields of model '%s': %s)%s",
                  nm(b->fields[q]).s, block_name(b->kind), nm(m->name).s, nl_str(&l), dym);
    pgorm_free(names);
    pgorm_buf_free(&l.b);
}

/* The options of @@index: a sort order needs btree; hash and spgist
   index one column. */
static void check_block_options(ctx *c, const pgorm_block *b)
{
    if (!b->method)
        return;
    for (size_t q = 0; b->desc && q < b->nfields; q++)
        if (b->desc[q]) {
            pgorm_sx_diag(&c->d, b->field_pos[q],
                          "desc needs a btree index, and this @@index has type: %s (an index "
                          "of that type has no sort order: remove desc or type: %s)",
                          b->method, b->method);
            break;
        }
    if ((strcmp(b->method, "hash") == 0 || strcmp(b->method, "spgist") == 0) && b->nfields > 1)
        pgorm_sx_diag(&c->d, b->method_pos,
                      "an index of type %s covers one field, and this @@index lists %zu (write "
                      "one @@index per field, or choose btree, gin, gist or brin)",
                      b->method, b->nfields);
}

static void check_blocks(ctx *c, size_t mi)
{
    const pgorm_model *m = &c->s->models[mi];
    const pgorm_sx_model_aux *ma = &c->aux[mi];
    for (size_t bi = 0; bi < m->nblocks; bi++) {
        const pgorm_block *b = &m->blocks[bi];
        const char *bn = block_name(b->kind);
        check_block_options(c, b);
        for (size_t q = 0; q < b->nfields; q++) {
            const char *name = b->fields[q];
            if (b->exprs && b->exprs[q])
                continue; /* sql("..."): the server checks it (migrate make probes it) */
            bool twice = false;
            for (size_t r = 0; r < q && !twice; r++)
                twice = !(b->exprs && b->exprs[r]) && strcmp(b->fields[r], name) == 0;
            if (twice) {
                pgorm_sx_diag(&c->d, b->field_pos[q], "field '%s' appears twice in @@%s",
                              nm(name).s, bn);
                continue;
            }
            size_t fi = find_field(m, name);
            if (fi == PGORM_NONE) {
                if (!ma->broken)
                    unknown_block_field(c, m, b, q);
                continue;
            }
            const pgorm_field *f = &m->fields[fi];
            if (ma->fields[fi].bad)
                continue;
            if (no_column(f))
                pgorm_sx_diag(&c->d, b->field_pos[q],
                              "'%s' is a %s and has no column; @@%s takes fields with "
                              "columns (scalars and ForeignKeys)",
                              nm(name).s, kind_name(f), bn);
            else if (b->kind != PGORM_BLOCK_INDEX && f->type.array)
                pgorm_sx_diag(&c->d, b->field_pos[q],
                              "'%s' is an array field; @@%s takes scalar fields (an array may be "
                              "in @@index)",
                              nm(name).s, bn);
            else if (b->kind == PGORM_BLOCK_ID && f->nullable)
                pgorm_sx_diag(&c->d, b->field_pos[q],
                              "primary key field '%s' cannot be nullable: remove '?' from its type",
                              nm(name).s);
            else if (f->kind == PGORM_FIELD_SCALAR && f->type.scalar == PGORM_S_JSON)
                pgorm_sx_diag(&c->d, b->field_pos[q],
                              "json field '%s' cannot be in @@%s: json has no equality, so no key "
                              "or index holds it (jsonb has one: use jsonb)",
                              nm(name).s, bn);
        }
    }
}

void pgorm_sx_validate(pgorm_sx_ctx *c)
{
    pgorm_schema *s = c->s;
    /* Enum types first: fields that name one are then resolved. */
    pgorm_sx_validate_enums(c);
    pgorm_sx_validate_schemas(c);
    for (size_t mi = 0; mi < s->nmodels && !c->d.oom; mi++) {
        check_model_names(c, mi);
        check_fields(c, mi);
        check_key(c, mi);
        check_blocks(c, mi);
    }
    /* Relationships need every model's fields. */
    pgorm_sx_validate_relations(c);
    /* Defaults last: a ForeignKey's type is known only now. */
    for (size_t mi = 0; mi < s->nmodels && !c->d.oom; mi++) {
        pgorm_model *m = &s->models[mi];
        for (size_t fi = 0; fi < m->nfields; fi++) {
            const pgorm_field *f = &m->fields[fi];
            const pgorm_sx_field_aux *fa = &c->aux[mi].fields[fi];
            if (fa->bad || f->def.kind == PGORM_DEFAULT_NONE || no_column(f))
                continue;
            if (f->kind == PGORM_FIELD_FOREIGN_KEY
                    ? fa->resolve != 2
                    : (f->type.scalar == PGORM_S_SERIAL || f->type.scalar == PGORM_S_BIGSERIAL))
                continue;
            pgorm_sx_check_default(c, f, fa);
        }
    }
    /* Check names need the table and column names. */
    pgorm_sx_validate_checks(c);
    pgorm_sx_validate_fkeys(c);
}
