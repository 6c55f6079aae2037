/* pgorm diagram (diagram.c): an entity-relationship diagram of a schema's
 * models in Graphviz's DOT language, drawn to SVG by Graphviz's `dot`. */
#ifndef PGORM_CLI_DIAGRAM_H
#define PGORM_CLI_DIAGRAM_H

#include "pgorm/schema.h"
#include "util/buf.h"

/* Append the DOT text of s's diagram to out: one node per model, an
   HTML-like table of its columns (name, type, null / not null, PK FK
   unique index markers, default), its composite unique constraints and
   indexes and its BackReferences listed below the columns; one edge per
   ForeignKey, from the key's column to the referenced model's key column,
   drawn with crow's-foot ends (many at the referencing model, one, or zero
   or one for a nullable key, at the referenced one) and labelled with the
   field's name and its on_delete when not the default. Every name is
   escaped for DOT and for the HTML labels. Byte-identical for equal input.
   Allocation failure is sticky in out (out->oom). */
void cli_diagram_dot(const pgorm_schema *s, pgorm_buf *out);

#endif
