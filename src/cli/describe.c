/* Named queries against a live server, for `pgorm check --database` and
 * `pgorm gen --database`: each query's SQL is prepared (unnamed, nothing
 * runs) and described (PQdescribePrepared), and what the server says is
 * compared with the schema file: parameter types by OID, result columns by
 * count, name and type. Errors are printed as file:line:col, at the query,
 * the parameter, the column, or the place in the SQL the server points at.
 *
 * Each query is looked at inside a transaction of its own (rolled back), so
 * that its PREPARE and DESCRIBE reach the same server session also through
 * PgBouncer in transaction pool mode.
 *
 * Parameters are prepared untyped, so the server infers each one's type
 * from the SQL, which is what is compared; when it cannot infer one
 * (SQLSTATE 42P18, e.g. `SELECT $1`), the query is prepared again with the
 * declared types, which the server then takes as they are.
 */
#include "cli/describe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgorm/pgorm.h"
#include "util/buf.h"

enum { OID_NAME = 19, OID_BPCHAR = 1042, OID_JSON = 114 };

/* The scalar types as the generated code sends and reads them. */
static const struct {
    pgorm_scalar scalar;
    Oid oid;
    const char *name;
} types[] = {
    {PGORM_S_BOOL, 16, "bool"},         {PGORM_S_INT2, 21, "int2"},
    {PGORM_S_INT4, 23, "int4"},         {PGORM_S_INT8, 20, "int8"},
    {PGORM_S_FLOAT4, 700, "float4"},    {PGORM_S_FLOAT8, 701, "float8"},
    {PGORM_S_NUMERIC, 1700, "numeric"}, {PGORM_S_TEXT, 25, "text"},
    {PGORM_S_VARCHAR, 1043, "varchar"}, {PGORM_S_BYTEA, 17, "bytea"},
    {PGORM_S_UUID, 2950, "uuid"},       {PGORM_S_DATE, 1082, "date"},
    {PGORM_S_TIMESTAMP, 1114, "timestamp"}, {PGORM_S_TIMESTAMPTZ, 1184, "timestamptz"},
    {PGORM_S_JSONB, 3802, "jsonb"},
    {PGORM_S_TIME, 1083, "time"},       {PGORM_S_TIMETZ, 1266, "timetz"},
    {PGORM_S_INTERVAL, 1186, "interval"}, {PGORM_S_INET, 869, "inet"},
    {PGORM_S_CIDR, 650, "cidr"},        {PGORM_S_JSON, OID_JSON, "json"},
    {PGORM_S_CHAR, OID_BPCHAR, "bpchar"},
};
#define NTYPES (sizeof types / sizeof types[0])

/* Types that are one C type and one codec: text, varchar, char(n), name;
   json and jsonb. */
static int family(Oid oid)
{
    switch (oid) {
    case 25:
    case 1043:
    case OID_BPCHAR:
    case OID_NAME:
        return 1;
    case 3802:
    case OID_JSON:
        return 2;
    case 869: /* inet, cidr */
    case 650:
        return 3;
    default:
        return 0;
    }
}

static Oid scalar_oid(pgorm_scalar s)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (types[i].scalar == s)
            return types[i].oid;
    return 0;
}

static bool compatible(pgorm_scalar s, Oid oid)
{
    Oid want = scalar_oid(s);
    return want == oid || (family(want) && family(want) == family(oid));
}

/* compatible(), and citext, whose OID is the database's: by its name. */
static bool compatible_in(PGconn *c, pgorm_scalar s, Oid oid)
{
    if (s != PGORM_S_CITEXT)
        return compatible(s, oid);
    if (oid < 16384)
        return false;
    char v[16];
    snprintf(v, sizeof v, "%u", (unsigned)oid);
    const char *values[1] = {v};
    PGresult *r = PQexecParams(c, "SELECT typname = 'citext' FROM pg_type WHERE oid = $1::oid",
                               1, NULL, values, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
              strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return ok;
}

/* The language's type for a server type, or false when pgorm cannot read it. */
static bool scalar_of(Oid oid, pgorm_scalar *out)
{
    if (family(oid) == 1 && oid != 1043) {
        *out = PGORM_S_TEXT;
        return true;
    }
    if (oid == OID_JSON) {
        *out = PGORM_S_JSONB;
        return true;
    }
    for (size_t i = 0; i < NTYPES; i++)
        if (types[i].oid == oid) {
            *out = types[i].scalar;
            return true;
        }
    return false;
}

/* The server's name of a type ("int4", "interval"), into buf. */
static const char *type_name(PGconn *c, Oid oid, char *buf, size_t size)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (types[i].oid == oid) {
            snprintf(buf, size, "%s", types[i].name);
            return buf;
        }
    char v[16];
    snprintf(v, sizeof v, "%u", (unsigned)oid);
    const char *values[1] = {v};
    PGresult *r = PQexecParams(c, "SELECT format_type($1::oid, NULL)", 1, NULL, values, NULL,
                               NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        snprintf(buf, size, "%s", PQgetvalue(r, 0, 0));
    else
        snprintf(buf, size, "type OID %u", (unsigned)oid);
    PQclear(r);
    return buf;
}

static const char *decl_name(pgorm_coltype t, char *buf, size_t size)
{
    return pgorm_coltype_sql(t, buf, size);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
report(const char *path, pgorm_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (pos.line > 0)
        fprintf(stderr, "%s:%d:%d: ", path, pos.line, pos.col);
    else
        fprintf(stderr, "%s: ", path);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

PGconn *cli_connect(const char *cmd)
{
    const char *url = getenv("DATABASE_URL");
    PGconn *c = PQconnectdb(url ? url : "");
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pgorm %s: cannot connect to the database (%s): %s", cmd,
                url ? "DATABASE_URL" : "PG* variables", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PGresult *r = PQexec(c, "SET client_min_messages = warning");
    PQclear(r);
    return c;
}

/* The byte offset of the 1-based character position `chars` in sql. */
static size_t char_offset(const char *sql, long chars)
{
    size_t i = 0;
    long seen = 0;
    for (; sql[i]; i++) {
        if (((unsigned char)sql[i] & 0xC0) != 0x80 && ++seen == chars)
            return i;
    }
    return i;
}

/* Prepare and describe q. The description, or NULL after reporting why
   (*lost: the connection failed, not the query). *typed: the parameters
   were prepared with the declared types (the server could not infer them). */
static PGresult *describe(PGconn *c, const char *path, const pgorm_named_query *q, bool *typed,
                          bool *lost)
{
    *typed = false;
    *lost = false;
    PGresult *r = PQexec(c, "BEGIN");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        *lost = true;
        fprintf(stderr, "pgorm: the database refuses BEGIN: %s", PQerrorMessage(c));
        PQclear(r);
        return NULL;
    }
    PQclear(r);
    r = PQprepare(c, "", q->sql, 0, NULL);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && state && strcmp(state, "42P18") == 0 &&
        q->nparams <= 65535) {
        Oid *oids = pgorm_calloc(q->nparams ? q->nparams : 1, sizeof *oids);
        if (oids) {
            for (size_t i = 0; i < q->nparams; i++)
                oids[i] = q->params[i].type.scalar == PGORM_S_VARCHAR
                              ? 25 /* sent as text */
                              : scalar_oid(q->params[i].type.scalar);
            PQclear(r);
            /* the failed PREPARE ended the transaction's usefulness */
            PQclear(PQexec(c, "ROLLBACK"));
            PQclear(PQexec(c, "BEGIN"));
            r = PQprepare(c, "", q->sql, (int)q->nparams, oids);
            *typed = true;
            pgorm_free(oids);
        }
    }
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        if (PQstatus(c) != CONNECTION_OK) {
            *lost = true;
            fprintf(stderr, "pgorm: the connection to the database failed: %s",
                    PQerrorMessage(c));
            PQclear(r);
            return NULL;
        }
        const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
        const char *at = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
        state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        pgorm_pos pos = q->sql_pos;
        if (at && atol(at) > 0)
            pos = pgorm_query_sql_pos(q, char_offset(q->sql, atol(at)));
        report(path, pos, "query '%s': the server refuses its sql: %s (SQLSTATE %s)%s%s",
               q->name, msg ? msg : PQresultErrorMessage(r), state ? state : "?",
               hint ? "; hint: " : "", hint ? hint : "");
        PQclear(r);
        return NULL;
    }
    PQclear(r);
    r = PQdescribePrepared(c, "");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        *lost = PQstatus(c) != CONNECTION_OK;
        report(path, q->pos, "query '%s': the server cannot describe it: %s", q->name,
               PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* "id int8, name text, ..." : the statement's columns as the server says. */
static void server_columns(PGconn *c, const PGresult *d, pgorm_buf *b)
{
    int nf = PQnfields(d);
    for (int i = 0; i < nf && i < 12; i++) {
        char t[128];
        pgorm_buf_printf(b, "%s%s %s", i ? ", " : "", PQfname(d, i),
                         type_name(c, PQftype(d, i), t, sizeof t));
    }
    if (nf > 12)
        pgorm_buf_puts(b, ", ...");
}

/* What every query needs: rows. */
static int check_has_rows(const char *path, const pgorm_named_query *q, const PGresult *d)
{
    if (PQnfields(d) > 0)
        return 0;
    report(path, q->pos,
           "query '%s' returns no rows: a named query's statement must return rows (add "
           "RETURNING ..., or run the statement with pgorm_exec)",
           q->name);
    return 1;
}

static int compare(PGconn *c, const char *path, const pgorm_named_query *q, const PGresult *d,
                   bool typed)
{
    int errors = 0;
    char a[128], b[128];
    int np = PQnparams(d);
    if ((size_t)np != q->nparams) {
        report(path, q->pos,
               "query '%s' declares %zu parameter%s, the server finds %d in its sql (refer to "
               "each as $1, $2... in the declared order)",
               q->name, q->nparams, q->nparams == 1 ? "" : "s", np);
        errors++;
    }
    for (int i = 0; !typed && i < np && (size_t)i < q->nparams; i++) {
        const pgorm_query_param *p = &q->params[i];
        Oid got = PQparamtype(d, i);
        if (compatible_in(c, p->type.scalar, got))
            continue;
        type_name(c, got, a, sizeof a);
        report(path, p->type_pos,
               "parameter '%s' ($%d) of query '%s' is declared %s, but the server expects %s "
               "there: declare it %s (or cast it in the sql: $%d::%s)",
               p->name, i + 1, q->name, decl_name(p->type, b, sizeof b), a, a, i + 1, b);
        errors++;
    }
    if (check_has_rows(path, q, d))
        return errors + 1;
    if (!q->has_returns)
        return errors;
    int nf = PQnfields(d);
    if ((size_t)nf != q->ncolumns) {
        pgorm_buf cols = PGORM_BUF_INIT;
        server_columns(c, d, &cols);
        report(path, q->returns_pos,
               "query '%s' declares %zu result column%s in returns, the server's statement "
               "returns %d: %s (write returns to match)",
               q->name, q->ncolumns, q->ncolumns == 1 ? "" : "s", nf,
               cols.data && !cols.oom ? cols.data : "");
        pgorm_buf_free(&cols);
        return errors + 1;
    }
    for (int i = 0; i < nf; i++) {
        const pgorm_query_column *col = &q->columns[i];
        const char *got = PQfname(d, i);
        Oid oid = PQftype(d, i);
        if (strcmp(got, col->name) != 0) {
            report(path, col->pos,
                   "result column %d of query '%s' is \"%s\" in the database, the query "
                   "declares \"%s\": rename it in returns, or name the column in the sql "
                   "(... AS %s)",
                   i + 1, q->name, got, col->name, col->name);
            errors++;
        } else if (!compatible_in(c, col->type.scalar, oid)) {
            type_name(c, oid, a, sizeof a);
            report(path, col->type_pos,
                   "result column '%s' of query '%s' is %s in the database, declared %s: "
                   "declare it %s (or cast it in the sql: ...::%s AS %s)",
                   col->name, q->name, a, decl_name(col->type, b, sizeof b), a, b, col->name);
            errors++;
        }
    }
    return errors;
}

/* Without returns: every column must be of a type pgorm reads. */
static int check_readable(PGconn *c, const char *path, const pgorm_named_query *q,
                          const PGresult *d)
{
    int errors = 0;
    for (int i = 0; i < PQnfields(d); i++) {
        pgorm_scalar s;
        if (scalar_of(PQftype(d, i), &s))
            continue;
        char t[128];
        report(path, q->sql_pos,
               "result column %d (\"%s\") of query '%s' is %s, which pgorm cannot read: cast "
               "it in the sql (e.g. %s::text)",
               i + 1, PQfname(d, i), q->name, type_name(c, PQftype(d, i), t, sizeof t),
               PQfname(d, i));
        errors++;
    }
    return errors;
}

/* The end of one query's transaction. */
static void end_query(PGconn *c)
{
    PQclear(PQexec(c, "ROLLBACK"));
}

int cli_check_queries(PGconn *c, const char *path, const pgorm_schema *s)
{
    int errors = 0;
    for (size_t i = 0; i < s->nqueries; i++) {
        const pgorm_named_query *q = &s->queries[i];
        bool typed, lost;
        PGresult *d = describe(c, path, q, &typed, &lost);
        if (lost)
            return -1;
        if (!d) {
            end_query(c);
            errors++;
            continue;
        }
        int e = compare(c, path, q, d, typed);
        if (!e && !q->has_returns)
            e = check_readable(c, path, q, d);
        errors += e;
        PQclear(d);
        end_query(c);
    }
    return errors;
}

int cli_describe_queries(PGconn *c, const char *path, pgorm_schema *s)
{
    int errors = 0;
    for (size_t i = 0; i < s->nqueries; i++) {
        pgorm_named_query *q = &s->queries[i];
        if (q->has_returns)
            continue;
        bool typed, lost;
        PGresult *d = describe(c, path, q, &typed, &lost);
        if (lost)
            return -1;
        if (!d) {
            end_query(c);
            errors++;
            continue;
        }
        int e = check_has_rows(path, q, d);
        if (!e)
            e = check_readable(c, path, q, d);
        end_query(c);
        int nf = PQnfields(d);
        if (!e) {
            q->columns = pgorm_calloc((size_t)nf, sizeof *q->columns);
            if (!q->columns) {
                PQclear(d);
                fputs("pgorm: out of memory\n", stderr);
                return -1;
            }
            for (int k = 0; k < nf; k++) {
                pgorm_query_column *col = &q->columns[k];
                scalar_of(PQftype(d, k), &col->type.scalar);
                col->nullable = true; /* the server does not say */
                col->name = pgorm_strdup(PQfname(d, k));
                q->ncolumns++;
                if (!col->name) {
                    PQclear(d);
                    fputs("pgorm: out of memory\n", stderr);
                    return -1;
                }
            }
        }
        errors += e;
        PQclear(d);
    }
    return errors;
}
