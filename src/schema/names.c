/* Constraint and index names, PostgreSQL's own convention (names.h).
 * Owned here, below both users: the DDL and migrations name what they
 * create with it, and upsert names the conflict targets it accepts.
 */
#include "schema/names.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>


/* FNV-1a, 32 bits: tiny, and the same on every platform and run. */
static uint32_t fnv1a(const char *s, size_t len, uint32_t h)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

#define FNV_INIT 2166136261u

/* Copy up to n bytes of s to out + len, never past the 63rd byte. */
static size_t put_bounded(char *out, size_t len, const char *s, size_t n)
{
    size_t room = PGORM_NAME_SIZE - 1 - len;
    if (n > room)
        n = room;
    memcpy(out + len, s, n);
    return len + n;
}

void pgorm_constraint_name(char out[PGORM_NAME_SIZE], const char *table,
                    const char *const *columns, size_t ncolumns, const char *suffix)
{
    /* The "<table>_<cols>" part and the hash of the full name are computed
       in one pass; only the first 63 bytes of the base are ever kept, so no
       allocation is needed whatever the lengths. */
    const size_t max = PGORM_NAME_SIZE - 1;
    char base[PGORM_NAME_SIZE];
    size_t blen = 0, total = 0;
    uint32_t h = FNV_INIT;

    for (size_t i = 0; i <= ncolumns; i++) {
        const char *part = i == 0 ? table : columns[i - 1];
        size_t plen = strlen(part);
        if (i > 0) {
            h = fnv1a("_", 1, h);
            if (blen < max)
                base[blen++] = '_';
            total++;
        }
        h = fnv1a(part, plen, h);
        size_t take = plen < max - blen ? plen : max - blen;
        memcpy(base + blen, part, take);
        blen += take;
        total += plen;
    }
    size_t slen = strlen(suffix);
    h = fnv1a("_", 1, h);
    h = fnv1a(suffix, slen, h);

    size_t len = 0;
    if (total + 1 + slen <= max) {
        len = put_bounded(out, len, base, blen);
    } else {
        /* "_" + 8 hex digits + "_" + suffix; the base gives up the room */
        char hex[16];
        snprintf(hex, sizeof hex, "_%08x", (unsigned)h);
        size_t tlen = strlen(hex) + 1 + slen;
        size_t keep = tlen < max ? max - tlen : 0;
        if (keep > blen)
            keep = blen;
        /* Never cut inside a UTF-8 sequence: back up over continuation
           bytes to the start of the character that would be split. */
        if (keep < blen)
            while (keep > 0 && ((unsigned char)base[keep] & 0xC0) == 0x80)
                keep--;
        /* and no "__" where the cut fell just after a separator */
        while (keep > 0 && base[keep - 1] == '_')
            keep--;
        len = put_bounded(out, len, base, keep);
        len = put_bounded(out, len, hex, strlen(hex));
    }
    len = put_bounded(out, len, "_", 1);
    len = put_bounded(out, len, suffix, slen);
    out[len] = '\0';
}

