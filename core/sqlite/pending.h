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
enum pend_op {
	PEND_MARK = 1,
	PEND_UNMARK,
	PEND_TAG,
	PEND_UNTAG,
	PEND_NOTE,     /* the author's note set to the argument ("": removed) */
	PEND_STATE,    /* saved state: record id the key, the argument its value (NULL: removed) */
	PEND_NOTE_DEL, /* the note of this key whose id in the case is the argument */
	PEND_NOTE_ADD, /* a note added unless the very same (author, time, text) is there */
	PEND_VIEW,     /* a saved view (record id: its name; argument: JSON {f, s, c}) */
	PEND_VIEW_ADD, /* the same, unless one of that name is there */
	PEND_VIEW_DEL, /* the view of that name removed */
};

/* One change as the pending file keeps it. */
struct pend_row {
	int op;
	const char *rid;
	int kind;
	const char *arg;
	const char *author, *created;
};

/* Append rows to the pending file in one transaction: all or none. 0,
 * or -1 with *cause. */
int pend_add_rows(struct store *st, const struct pend_row *rows, size_t n, char **cause);

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

/* Where the changes go: CASE-pending (caller frees). */
char *pend_path(struct store *st);

/* The interface's saved state (key = value; NULL removes it), replacing
 * what is pending for the key. 0, or -1 with *cause. */
int pend_add_state(struct store *st, const char *key, const char *value, char **cause);
/* The value pending for a state key: 1 with *value (caller frees; NULL
 * when removed), 0 when nothing is pending for it. */
int pend_state_value(struct store *st, const char *key, char **value);

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
/* COMMIT the case's transaction without a checkpoint (the log is left
 * to the next commit or to the load): a checkpoint writes and syncs the
 * case while the pending file may still be locked. 0, or -1 with *cause. */
int pend_commit_quiet(struct store *st, char **cause);
/* A transaction of its own that applies them (a load between its index
 * builds and at its end; an open). 0 nothing or done, -1 with *cause. */
int pend_merge(struct store *st, char **cause);

/*
 * A log that costs the analysts no sync: checkpointed into its file,
 * synced, and started again with a frame of the caller's (whose header
 * is synced here). SQLite syncs a checkpoint and the header of a log
 * that starts again; in an analyst's write beside a load, each waits
 * behind the load's writes in the disk queue (measured: 270-330 ms). A
 * load calls it on the case at its end, while it still holds it, and on
 * the pending file at its start, before it takes the case. 0, or -1
 * when a reader or a writer kept it from being done (the busy handler's
 * wait): left as it was.
 */
int pend_log_restart(sqlite3 *db);
/* That, on the case's pending file (when there is one). */
int pend_checkpoint(struct store *st);

/* Remove the pending file when it is empty and nobody has it open (at a
 * writable case's close, once its changes are merged; sqlite_store.h
 * says how openers and a removal keep clear of each other). */
void pend_tidy(struct store *st);

/* What the pending changes say about a key, for readers (the interface's
 * markers, a bookmark's toggle): *mark 1 marked, 0 unmarked, -1 no
 * change pending; *tag / *note set when one is added. */
void pend_state(struct store *st, const char *rid, int kind, int *mark, bool *tag, bool *note);

#endif
