/* libFuzzer harness for the schema front end: any bytes must parse to a
 * valid schema or to diagnostics, never crash, hang or leak; and what it
 * returns must hold together (the invariants other layers rely on).
 *
 * Build and run: see tests/fuzz/CMakeLists.txt.
 */
#include <stdint.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "pgorm/schema.h"

#define CHECK(cond)           \
    do {                      \
        if (!(cond))          \
            __builtin_trap(); \
    } while (0)

static void check_schema(const pgorm_schema *s)
{
    char buf[64];
    for (size_t i = 0; i < s->nmodels; i++) {
        const pgorm_model *m = &s->models[i];
        CHECK(m->name && m->table && m->table[0]);
        CHECK(pgorm_schema_model(s, m->name) == m);
        CHECK(m->pos.line >= 1 && m->pos.col >= 1);
        size_t key_decls = 0;
        for (size_t j = 0; j < m->nfields; j++) {
            const pgorm_field *f = &m->fields[j];
            CHECK(f->name && pgorm_model_field(m, f->name) == f);
            key_decls += f->is_id;
            pgorm_coltype_sql(f->type, buf, sizeof buf);
            switch (f->kind) {
            case PGORM_FIELD_SCALAR:
                CHECK(f->column && strcmp(f->column, f->name) == 0);
                CHECK(f->target == PGORM_NONE);
                break;
            case PGORM_FIELD_FOREIGN_KEY: {
                CHECK(f->column && f->target < s->nmodels);
                const pgorm_field *key = pgorm_model_single_id(&s->models[f->target]);
                CHECK(key != NULL);
                CHECK(f->type.scalar != PGORM_S_SERIAL && f->type.scalar != PGORM_S_BIGSERIAL);
                break;
            }
            case PGORM_FIELD_BACK_REFERENCE: {
                CHECK(!f->column && !f->nullable && f->target < s->nmodels);
                const pgorm_model *t = &s->models[f->target];
                CHECK(f->target_fk < t->nfields);
                const pgorm_field *fk = &t->fields[f->target_fk];
                CHECK(fk->kind == PGORM_FIELD_FOREIGN_KEY && fk->target == i);
                break;
            }
            }
        }
        for (size_t b = 0; b < m->nblocks; b++) {
            const pgorm_block *bl = &m->blocks[b];
            CHECK(bl->nfields >= 1);
            key_decls += bl->kind == PGORM_BLOCK_ID;
            for (size_t k = 0; k < bl->nfields; k++)
                CHECK(pgorm_model_field(m, bl->fields[k]) != NULL);
        }
        CHECK(key_decls == 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pgorm_diag d[8];
    size_t n = 12345;
    pgorm_schema *s = pgorm_schema_parse("fuzz.pgorm", (const char *)data, size, d, 8, &n);
    if (s) {
        CHECK(n == 0);
        check_schema(s);
        pgorm_schema_free(s);
        return 0;
    }
    CHECK(n >= 1);
    for (size_t i = 0; i < n && i < 8; i++) {
        CHECK(memchr(d[i].message, '\0', sizeof d[i].message) != NULL);
        CHECK(d[i].message[0] != '\0');
        CHECK(d[i].pos.line >= 0 && d[i].pos.col >= 0);
        CHECK(i == 0 || d[i - 1].pos.line < d[i].pos.line ||
              (d[i - 1].pos.line == d[i].pos.line && d[i - 1].pos.col <= d[i].pos.col));
    }
    return 0;
}
