/*
 * annotate.h: the annotation keys (m, t, c) as every view that shows an
 * event does them: through core/annot.h, each change committed to the
 * case before the key returns, then every view told to show it.
 */
#ifndef AUDITSCOPE_ANNOTATE_H
#define AUDITSCOPE_ANNOTATE_H

#include <stdint.h>

struct app;

/* m: flip the bookmark of event id as the analyst sees it (seen: 1 shown
 * bookmarked, 0 shown not, -1 not shown: the case's state). Another
 * analyst's change since the screen was drawn is not undone by it.
 * Reaction bits. */
int annotate_bookmark(struct app *a, int64_t id, int seen);
/* t: ask for a tag and add it to event id. */
int annotate_tag(struct app *a, int64_t id);
/* c: edit the author's own note on event id (empty text removes it). */
int annotate_note(struct app *a, int64_t id);

#endif
