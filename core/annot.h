/*
 * annot.h: bookmarks, tags, notes and saved views: the analyst's work on
 * a case, which both the command line (`auditscope mark`) and the
 * terminal interface (m, t, c, u/U) write through.
 *
 * Annotations are keyed by (record id, kind), never by row number, so they
 * survive a reload and can move to another analyst's case built from the
 * same exports (notes.h). Each call that changes something is its own
 * committed transaction: when it returns 0 the annotation is on disk and
 * survives the process being killed the next instant.
 *
 * Every annotation carries its author ($AUDITSCOPE_AUTHOR, else the login
 * name) and its time (ISO 8601 UTC, e.g. 2023-06-18T02:33:46.000Z; tests
 * fix it with $AUDITSCOPE_NOW, any date time_parse() reads).
 *
 * An event has at most one bookmark, any number of tags, and one note per
 * author: setting a note replaces the author's own note; notes of other
 * authors (imported from a colleague) stay beside it, each attributed.
 *
 * Single-event calls take the event's row id (events.id, query_row.id),
 * which is what an interface holds; they resolve it to its key. Return
 * values: 1 changed, 0 nothing to change, -1 error with *cause (caller
 * frees).
 */
#ifndef AUDITSCOPE_ANNOT_H
#define AUDITSCOPE_ANNOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* $AUDITSCOPE_AUTHOR, else the login name, else "unknown" (caller frees). */
char *annot_author(void);
/* Now as ISO 8601 UTC with milliseconds, or $AUDITSCOPE_NOW when set and
 * readable; out holds at least 32 bytes. */
void annot_now(char *out, size_t n);

/* Bookmark: set (on) or clear. */
int annot_mark(struct store *st, int64_t event, bool on, char **cause);
/* Flip the bookmark; *now_on (may be NULL) gets the new state. */
int annot_mark_toggle(struct store *st, int64_t event, bool *now_on, char **cause);
/* 1 bookmarked, 0 not, -1 error. Cheap (one primary key lookup): fine to
 * call for every visible row. */
int annot_is_marked(struct store *st, int64_t event, char **cause);

/* Which of n events (row ids) carry a bookmark, a tag, a note: out[i]
 * gets ANNOT_HAS_* bits (0 for an unknown id). One statement for all of
 * them: what a screen of rows asks. 0, or -1 with *cause. */
enum { ANNOT_HAS_MARK = 1 << 0, ANNOT_HAS_TAG = 1 << 1, ANNOT_HAS_NOTE = 1 << 2 };
int annot_markers(struct store *st, const int64_t *events, size_t n, unsigned char *out, char **cause);

/* The next bookmarked event after (ts, id) in time order, or the previous
 * one before it when backward; *out_event / *out_ts get it. Returns 1
 * found, 0 none, -1 error. Pass ts = INT64_MIN (forward) or INT64_MAX
 * (backward) to get the first / last. */
int annot_mark_next(struct store *st, int64_t ts, int64_t id, bool backward, int64_t *out_event,
		    int64_t *out_ts, char **cause);

/* Tags: text of at most 200 bytes, leading/trailing white space trimmed;
 * an empty tag is an error. */
int annot_tag_add(struct store *st, int64_t event, const char *tag, char **cause);
int annot_tag_remove(struct store *st, int64_t event, const char *tag, char **cause);
/* A tag as stored (trimmed; caller frees), or NULL with *cause saying why
 * it is refused: empty, too long, a comma (exports join tags with
 * commas) or a control character. */
char *annot_tag_clean(const char *tag, char **cause);

/* The author's own note on the event: set (replacing theirs) or, with text
 * NULL or "", removed. Notes of other authors are untouched. */
int annot_note_set(struct store *st, int64_t event, const char *text, char **cause);
/* Remove one note by its id (struct annot_note.id), whoever wrote it. */
int annot_note_delete(struct store *st, int64_t note_id, char **cause);

/* All annotations of one event. */
struct annot_note {
	int64_t id;
	char *author, *created, *text;
};
struct annot_info {
	bool marked;
	char *mark_author, *mark_created; /* NULL when not marked */
	char **tags;                      /* sorted */
	size_t ntags;
	struct annot_note *notes; /* oldest first */
	size_t nnotes;
};
/* *out is the caller's (annot_info_free); an event with nothing yields an
 * empty info, not an error. */
int annot_get(struct store *st, int64_t event, struct annot_info **out, char **cause);
void annot_info_free(struct annot_info *ai);

/* The same by key, for events not (yet) in the case, and for exporters. */
int annot_get_key(struct store *st, const char *record_id, int kind, struct annot_info **out, char **cause);

/*
 * Apply one action to every event a filter matches (NULL or "": all), in
 * one transaction: what `auditscope mark` does. A note or tag implies the
 * bookmark unless unmark is set; with unmark, tag (if given) is removed
 * instead of the bookmark.
 */
struct annot_action {
	bool unmark;
	const char *tag;  /* NULL: none */
	const char *note; /* NULL: none; sets the author's note */
};
struct annot_result {
	int64_t matched; /* events the filter matched */
	int64_t changed; /* of those, events whose annotations changed */
};
int annot_apply(struct store *st, const char *filter, const struct annot_action *a, struct annot_result *res,
		char **cause);
/* The same for events by row id (a hunt's findings, a selection), in one
 * transaction; an id given twice counts once, an unknown id not at all.
 * Far cheaper than a call per event for more than a few. */
int annot_apply_events(struct store *st, const int64_t *events, size_t n, const struct annot_action *a,
		       struct annot_result *res, char **cause);

/* Counts over the whole case (for summaries and the status line). */
struct annot_counts {
	int64_t marks, tags, notes, views;
};
int annot_counts(struct store *st, struct annot_counts *c, char **cause);

/*
 * Every annotation of the case by key, for an export that holds them in
 * memory: each bookmark (what ANNOT_KEY_MARK), each tag (ANNOT_KEY_TAG,
 * tag set; in order of record id, kind, tag), then each note
 * (ANNOT_KEY_NOTE, note set: author, created, text; in order of record
 * id, kind, then oldest first). Strings borrowed for the call (record_id
 * may be NULL in a crafted case); fn returns 0 to go on. 0, or -1 with
 * *cause.
 */
enum annot_key_what { ANNOT_KEY_MARK, ANNOT_KEY_TAG, ANNOT_KEY_NOTE };
struct annot_key {
	enum annot_key_what what;
	const char *record_id;
	int kind;
	const char *tag;
	const struct annot_note *note; /* its id is 0 */
};
int annot_each_key(struct store *st, int (*fn)(const struct annot_key *k, void *ctx), void *ctx, char **cause);

/* Saved views: a named filter with its sort and columns (free text the
 * interface defines; NULL allowed). Saving an existing name replaces it. */
struct annot_view {
	char *name, *filter, *sort, *columns, *author, *created;
};
int annot_view_save(struct store *st, const char *name, const char *filter, const char *sort,
		    const char *columns, char **cause);
/* 1 found (*out is the caller's: annot_view_free), 0 no such view, -1. */
int annot_view_get(struct store *st, const char *name, struct annot_view **out, char **cause);
int annot_view_delete(struct store *st, const char *name, char **cause);
/* Each view by name; fn returns 0 to go on (the view is borrowed). */
int annot_view_each(struct store *st, int (*fn)(const struct annot_view *v, void *ctx), void *ctx,
		    char **cause);
void annot_view_free(struct annot_view *v);

#endif
