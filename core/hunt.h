/*
 * hunt.h: the questions a responder asks first in a mailbox compromise,
 * each a named query over the case (core/README.md, "Hunts").
 *
 * A hunt returns rows: a small table whose columns the hunt defines
 * (hunt_def.cols), each row with
 *  - hit: whether the row is a finding. Most hunts return only findings;
 *    rare-apps and sync-access also list the ordinary rows (every app that
 *    read mail, every Sync) for context, with hit set only where an app
 *    is not a known Microsoft app. The hit count is what a hunt menu
 *    shows, and the events behind hit rows are what the timeline colours.
 *  - filter: a filter text (filter.h's language: field terms and time
 *    ranges) that opens the timeline on the events behind the row, e.g.
 *    `op=MailItemsAccessed app=666e1623-... client_app=9823956a-...`.
 *    Where no field term can single the events out, the filter adds a
 *    one-second (or, for windows, a wider) time range, so it may show a
 *    few neighbours as well.
 *  - events: the events.id values behind the row, ascending (for hit
 *    rows; nevents counts them for every row), for bookmarking and
 *    tagging through annot.h (tag defaults to the hunt's name).
 *
 * Hunts read the normalized columns first and open raw records only for
 * the candidates an operation name selects (inbox rules, mailbox
 * permissions, consent records, audit settings), in id order so that
 * each compressed block is read once, split over up to four threads that
 * each open their own read-only connection to the case file
 * (AUDITSCOPE_HUNT_THREADS=N overrides; 1: the calling thread only).
 * tests/bench_hunt.c prints what each hunt costs on a million events.
 *
 * A hunt reads the case through the storage interface alone (query.h's
 * store_pick, store_value_find/texts, store_raw_each): the progress
 * callback is called during each of its reads, and a cancel stops it.
 *
 * Values in rows are text from the logs: sanitise before printing.
 */
#ifndef AUDITSCOPE_HUNT_H
#define AUDITSCOPE_HUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "progress.h"
#include "store.h"

/* The hunts in menu order, one line each in hunt_list.h: HUNT_RARE_APPS, ... */
enum hunt_id {
#define HUNT(id, entry) HUNT_##id,
#include "hunt_list.h"
#undef HUNT
	HUNT_COUNT
};

enum hunt_col_type {
	HUNT_TEXT,
	HUNT_NUMBER, /* decimal integer */
	HUNT_TIME,   /* ISO 8601 UTC with milliseconds: 2023-06-18T02:33:46.000Z */
};

struct hunt_col {
	const char *name;
	enum hunt_col_type type;
};

struct hunt_def {
	enum hunt_id id;
	const char *name;        /* command-line name, part of the contract: "rare-apps" */
	const char *title;       /* one line: what it finds */
	const char *description; /* a paragraph: how it decides, for help texts */
	const struct hunt_col *cols;
	size_t ncols;
};

/* The hunts in menu order (index = enum hunt_id). */
const struct hunt_def *hunt_def(enum hunt_id id);
/* By command-line name (exact), or NULL. */
const struct hunt_def *hunt_find(const char *name);


struct hunt_opts {
	/* End of a baseline period (UTC ms) for new-app-for-mailbox and
	 * signin-then-mail; INT64_MIN (the default): none, each pair is
	 * compared with its own history in the case (see their
	 * descriptions), so no date of the attack is assumed. */
	int64_t baseline_until;
	/* polled during long work (the database's progress handler, between
	 * hunts and raw-record slices); non-zero cancels: the hunt then fails
	 * with *cause exactly PROGRESS_CANCELLED (progress.h) */
	struct progress progress;
};
/* Defaults: no baseline (INT64_MIN), no progress callback. */
void hunt_opts_init(struct hunt_opts *o);

struct hunt_row {
	char **vals; /* def->ncols values, each NULL (empty) or a string */
	bool hit;
	char *filter;    /* filter text selecting the row's events */
	int64_t *events; /* ascending events.id; NULL for a row that is not a hit */
	size_t nevents;  /* events behind the row (hit or not) */
	int64_t first_ts, last_ts;
	/* why the row is listed ("app first seen 12 days into the case; not
	 * a Microsoft app"), and how much it deserves a look: 0-100 by the
	 * rule the hunt's description gives. Hits come first, by score. */
	char *reason;
	int score;
};

struct hunt_result {
	const struct hunt_def *def;
	/* hits first, then context rows; inside each part by score (highest
	 * first), then in the hunt's order: rare-apps fewest mailboxes
	 * first; new-app-for-mailbox by first use; sync-access by group;
	 * throttled by mailbox; the others by time */
	struct hunt_row *rows;
	size_t nrows;
	size_t nhits;
	int64_t baseline_until; /* the baseline used, or INT64_MIN when the hunt has none */
	double seconds;         /* time the hunt took */
};

/* Run one hunt. Returns 0 with *out (hunt_result_free), or -1 with
 * *cause. o may be NULL (defaults). */
int hunt_run(struct store *st, enum hunt_id id, const struct hunt_opts *o, struct hunt_result **out,
	     char **cause);
void hunt_result_free(struct hunt_result *r);

/* Every hunt (out[i] for enum hunt_id i, each to hunt_result_free),
 * cheaper than one hunt_run each: the raw records several hunts need
 * are read once. 0, or -1 with *cause (and no results). */
int hunt_run_all(struct store *st, const struct hunt_opts *o, struct hunt_result *out[HUNT_COUNT],
		 char **cause);

/*
 * The events any hunt flags, for colouring the timeline: run every hunt
 * once (a case open, a load) and keep the ids. hunt_flags_get is a
 * binary search, cheap enough for every drawn row.
 */
struct hunt_flags;
int hunt_flagged(struct store *st, const struct hunt_opts *o, struct hunt_flags **out, char **cause);
void hunt_flags_free(struct hunt_flags *f);
/* Bit (1u << enum hunt_id) set for each hunt flagging event id; 0 if none. */
unsigned hunt_flags_get(const struct hunt_flags *f, int64_t event);
/* Number of distinct flagged events, and hits per hunt. */
size_t hunt_flags_count(const struct hunt_flags *f);
size_t hunt_flags_hits(const struct hunt_flags *f, enum hunt_id id);

/*
 * Carry the why of a finding to an event bookmarked from it: the note
 * "hunt NAME: REASON", unless the analyst already has a note of their own
 * on the event (never replaced). 1 when set, 0 when kept, -1 with *cause.
 */
int hunt_note(struct store *st, int64_t event, const char *hunt, const char *reason, char **cause);

/* Quote a value for a filter text when it needs it (spaces, quotes,
 * operators): `Consent to application.` becomes "Consent to
 * application.". Caller frees. */
char *hunt_filter_quote(const char *v);

#endif
