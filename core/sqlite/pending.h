/*
 * pending.h: annotations made while a load holds the case (pending.c).
 * Nothing outside core/sqlite/ includes it.
 */
#ifndef AUDITSCOPE_SQLITE_PENDING_H
#define AUDITSCOPE_SQLITE_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sqlite_store.h"

/* What an annotation does to one event's key (record id, kind). */
enum pend_op { PEND_MARK = 1, PEND_UNMARK, PEND_TAG, PEND_UNTAG, PEND_NOTE };

struct pend_key {
	const char *rid;
	int kind;
};

/* One change: op and its argument (the tag; the note's text, "" to
 * remove the author's note). */
struct pend_change {
	int op;
	const char *arg;
};

/* Append the changes to every key to the case's pending file ("CASE-
 * pending", created at need), in one transaction. 0, or -1 with *cause. */
int pend_add(struct store *st, const struct pend_key *keys, size_t nkeys, const struct pend_change *ch,
	     size_t nch, const char *author, const char *created, char **cause);

/* The same for annot_apply: its changes (unmark, or a mark with the tag
 * and the note or its removal) to every key in temp.annot_sel. */
int pend_add_selected(struct store *st, bool unmark, const char *tag, const char *note, bool clear_note,
		      const char *author, const char *created, char **cause);

/* Inside the caller's write transaction on the case: apply every pending
 * change, in order. *hold keeps the pending file locked until pend_done
 * (NULL when there was nothing). 0, or -1 with *cause. */
struct pend_hold;
int pend_apply(struct store *st, struct pend_hold **hold, char **cause);
/* After the case's transaction: committed, the applied changes leave the
 * pending file; rolled back, they stay. Takes NULL. */
void pend_done(struct pend_hold *hold, bool committed);
/* A transaction of its own that applies them (a load between its index
 * builds and at its end; an open). 0 nothing or done, -1 with *cause. */
int pend_merge(struct store *st, char **cause);

/* What the pending changes say about a key, for readers (the interface's
 * markers, a bookmark's toggle): *mark 1 marked, 0 unmarked, -1 no
 * change pending; *tag / *note set when one is added. */
void pend_state(struct store *st, const char *rid, int kind, int *mark, bool *tag, bool *note);

#endif
