/*
 * annotate.h: the annotation keys (m, t, c) as every view that shows an
 * event does them: through core/annot.h, each change committed to the
 * case before the key returns, then every view told to show it.
 */
#ifndef AUDITSCOPE_ANNOTATE_H
#define AUDITSCOPE_ANNOTATE_H

#include <stdint.h>

struct app;

/* m: flip the bookmark of event id; reaction bits. */
int annotate_bookmark(struct app *a, int64_t id);
/* t: ask for a tag and add it to event id. */
int annotate_tag(struct app *a, int64_t id);
/* c: edit the author's own note on event id (empty text removes it). */
int annotate_note(struct app *a, int64_t id);

#endif
