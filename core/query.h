/*
 * query.h: a filter bound to a case, and the timeline read through it.
 *
 * struct query is a filter (filter.h) compiled against a case. Pages of
 * the timeline are read by keyset, from a (ts, id) position forward or
 * backward, never with OFFSET, so that the last page costs what the first
 * does. A filter that an index answers (user=, app=, ip=, op=, session=,
 * time ranges) pages straight from its (field, ts) index. A filter that
 * must read the raw records (free text, json.PATH) or that no index
 * narrows is evaluated once, in id order (the order the raw blocks are
 * stored in, so each block is decompressed once), into a temporary table
 * of (ts, id) that later pages read: the first page of such a filter
 * costs one scan, with progress, and can be cancelled.
 *
 * Every long operation (a scan, an exact count, a stack, a histogram)
 * calls the query's progress callback, from SQLite's progress handler,
 * several times a second; a non-zero return cancels the operation, which
 * then fails with query_cancelled() true.
 *
 * Stacks, histograms and the messages list are in stack.h, histogram.h
 * and messages.h; they take a struct query.
 */
#ifndef AUDITSCOPE_QUERY_H
#define AUDITSCOPE_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "filter.h"
#include "progress.h"
#include "store.h"

struct query;

/*
 * Compile filter text (NULL or "": every event) against st. Returns 0, or
 * -1 with *cause: a syntax error starts with "filter:" (a usage error for
 * the CLI), anything else is an error of the case. Cheap: nothing is
 * scanned until a page, count or stack is asked for.
 */
int query_new(struct store *st, const char *filter, struct query **out, char **cause);
/* The same from a parsed filter (copied; f stays the caller's). */
int query_new_filter(struct store *st, const struct filter *f, struct query **out, char **cause);
void query_free(struct query *q);

/* The store and the canonical filter text (borrowed). */
struct store *query_store(const struct query *q);
const char *query_text(const struct query *q);

/*
 * Progress and cancellation (progress.h): p (copied; NULL: none) is
 * called every few tens of milliseconds during long work; a cancelled
 * call fails with *cause PROGRESS_CANCELLED.
 */
void query_set_progress(struct query *q, const struct progress *p);
/* Did the last failed call stop because the callback asked to? */
bool query_cancelled(const struct query *q);

/*
 * Will the first page need a scan of the case (free text, json.PATH, a
 * filter no index narrows)? The interface shows progress for those. After
 * the scan is done once (query_prepare or any page), false.
 */
bool query_needs_scan(const struct query *q);
/* Do that scan now (with progress); 0 or -1 with *cause. A no-op for a
 * filter an index answers. */
int query_prepare(struct query *q, char **cause);

/* ------------------------------------------------------------------ */
/* Rows and pages */

/* A position in the timeline: events are ordered by (ts, id). */
struct query_pos {
	int64_t ts, id;
};

/* One event; every string is owned by the row (NULL when absent). */
struct query_row {
	int64_t id, ts, line;
	int64_t op_count; /* -1 when absent */
	int kind;         /* enum event_kind of event.h */
	unsigned flags;   /* EVF_* of event.h */
	char *record_id, *op, *rtype, *workload, *user, *app, *client_app, *ip, *result, *session, *token,
		*mailbox, *access, *client_info;
	char *source; /* the source file's path */
	char *detail; /* the kind's key detail: a Graph call's method and URI, ... */
	char *host;   /* a host name where the log's client address field held one (addr.h) */
	/* the IP's place (core/ipgeo.h), NULL when unknown; asn as digits */
	char *country, *asn, *as_org, *ip_label;
	/* a new text field goes into row_texts() in core/query.c too: copy
	 * and clear walk that one list */
};

/* The value of a field (by canonical name, as filter_fields() lists them)
 * in a row, borrowed; NULL when absent or not a text field. */
const char *query_row_get(const struct query_row *r, const char *field);
/* Free r's strings and zero it. */
void query_row_clear(struct query_row *r);
/* dst = a deep copy of src (dst's old strings are not freed). */
void query_row_copy(struct query_row *dst, const struct query_row *src);

/* A page of rows, always in timeline order (oldest first). */
struct query_page {
	struct query_row *rows;
	size_t n, cap;
	bool at_start; /* nothing matches before rows[0] */
	bool at_end;   /* nothing matches after rows[n-1] */
};
/* Free every row (the page can be reused); the array is kept. */
void query_page_clear(struct query_page *p);
/* Free the page's memory entirely. */
void query_page_free(struct query_page *p);

enum query_from {
	QUERY_FIRST,  /* the first n events */
	QUERY_LAST,   /* the last n events */
	QUERY_AFTER,  /* n events after pos (pos excluded) */
	QUERY_BEFORE, /* n events before pos (pos excluded) */
	QUERY_AT,     /* n events from pos (pos included) */
};

/*
 * Fill out (cleared first) with up to n rows from the given position (pos
 * ignored for QUERY_FIRST / QUERY_LAST). 0, or -1 with *cause.
 */
int query_page(struct query *q, enum query_from from, const struct query_pos *pos, size_t n,
	       struct query_page *out, char **cause);

/*
 * The position of the first matching event at or after ms (for :goto);
 * returns 1 with *pos, 0 when no event matches at or after ms (then *pos
 * is the last matching event, if any: the caller may show the end), -1
 * with *cause.
 */
int query_goto_time(struct query *q, int64_t ms, struct query_pos *pos, char **cause);

/* Every matching event in order (newest first if desc), at most limit
 * (< 0: no limit); fn returns 0 to go on, non-zero to stop. For the CLI
 * and exports: reads by keyset pages, so memory stays small. */
typedef int (*query_row_fn)(const struct query_row *r, void *ctx);
int query_each(struct query *q, bool desc, int64_t limit, query_row_fn fn, void *ctx, char **cause);

/* The events of the given ids (in the order given; ids the case lacks
 * are left out), for results found otherwise than by a filter (Sigma
 * rules' hits). fn returns non-zero to stop. */
int query_each_id(struct store *st, const int64_t *ids, size_t n, query_row_fn fn, void *ctx, char **cause);

/* ------------------------------------------------------------------ */
/* Scanning: what stacks, histograms, the messages list and the scanning
 * hunts aggregate (in C, a few integers a row) */

/*
 * One column of a matching event, as query_scan hands it over. cols name
 * what is wanted, in order:
 *   "id", "ts", "kind", "op_count"   the number in i (op_count: -1 absent)
 *   a text field of filter.h          its value id in i, 0 when absent
 *                                     (value_texts() gives the text)
 *   "flags"                           EVF_* bits (event.h) in i
 *   "source"                          the source's id in i
 *   "msglist"                         the message list the event names, as
 *                                     JSON [[folder, msgid, size], ...] in s
 *                                     (n bytes); asking for it scans only
 *                                     events that name messages
 *   "raw"                             the raw record's JSON text in s (n
 *                                     bytes); events come in id order
 */
struct store_cell {
	int64_t i;
	const char *s; /* borrowed for the call */
	size_t n;
};
/* Called per matching event; non-zero stops the scan (not an error). */
typedef int (*store_row_fn)(void *ctx, const struct store_cell *cols);

/*
 * Feed cols of every event q matches to fn, in no particular order, under
 * q's progress (a cancel fails with PROGRESS_CANCELLED). 0, or -1 with
 * *cause. Text columns come as value ids: store_value_texts() (store.h)
 * gives their text, once per distinct value.
 */
int query_scan(struct query *q, const char *const *cols, size_t ncols, store_row_fn fn, void *ctx,
	       char **cause);

/*
 * A selection the store answers from its indexes, in a set order: the
 * hunts' second looks (the events of a few apps, of one IP within an
 * hour, of an id span) and their candidates by operation. Events whose
 * field has one of the value ids ids[0..n) (0 among them: the field is
 * absent; field NULL: any event), with ts_from <= ts <= ts_to, id_from
 * <= id <= id_to, when flags is not 0 one of those EVF_* flags, and the
 * also condition below.
 * store_pick_init sets "every event": no field, whole ranges.
 */
struct store_pick {
	const char *field;
	const int64_t *ids;
	size_t n;
	int64_t ts_from, ts_to, id_from, id_to;
	unsigned flags;
	bool by_ts;                /* order by (ts, id); else by id */
	bool wide;                 /* most events may match: read the events in storage
			 * order rather than through an index of field */
	int64_t limit;             /* at most this many events (< 0: all) */
	const struct progress *pr; /* NULL: none; a cancel fails with PROGRESS_CANCELLED */
	/* and, when also.n, also.fields[0] or (when not NULL) also.fields[1]
	 * has one of the value ids also.ids[0..n): a condition on the events
	 * field selects, not a way in (an app as app or client app) */
	struct {
		const char *fields[2];
		const int64_t *ids;
		size_t n;
	} also;
};
void store_pick_init(struct store_pick *p);
/* Feed cols (as query_scan names them) of the events p selects to fn,
 * in p's order. fn returns non-zero to stop (not an error). 0, or -1
 * with *cause. */
int store_pick(struct store *st, const struct store_pick *p, const char *const *cols, size_t ncols,
	       store_row_fn fn, void *ctx, char **cause);

/*
 * The hunts' pass with alike events gathered (hunt.c), for a store that
 * can group on its side (a server): one row per event that matches
 * alone, as store_pick gives it (n 1, ts_last its ts): an event of one
 * of the operations ops (value ids of op), of one of the access values
 * access, of a kind in kinds (bit 1 << enum event_kind), or with one of
 * flags (EVF_*). Every other event is in one row per group of events
 * alike in every column asked but id and ts, and on the same side of
 * split (INT64_MIN: none): its id and ts are its first event's (least
 * ts, then least id), "n" its number of events, "ts_last" its last
 * time. Rows in (ts, id) order. Columns as store_pick's (but session
 * and token) and "n", "ts_last".
 */
struct store_gather {
	const int64_t *ops, *access;
	size_t nops, naccess;
	unsigned kinds, flags;
	int64_t split;
	const struct progress *pr;
};
/* 1 done, 0 declined (the store has no such pass: scan instead), or -1
 * with *cause. */
int store_gather(struct store *st, const struct store_gather *g, const char *const *cols, size_t ncols,
		 store_row_fn fn, void *ctx, char **cause);
/* The value ids of text field whose events carry two or more distinct
 * values of text field by (an event where either is empty does not
 * count), appended to *ids (*n entries, grown with xrealloc). 1 done, 0
 * declined (ask a scan), or -1 with *cause. */
int store_reused(struct store *st, const char *field, const char *by, const struct progress *pr,
		 int64_t **ids, size_t *n, char **cause);

/*
 * query_scan in time order (ts, then id), for exports. Besides the columns
 * of query_scan: "line" (its line in the source), "flags" (EV_* of event.h),
 * "record_id" (text in s/n; NULL when absent), and "marked", "tagged",
 * "noted" (1 when the event has a bookmark, a tag, a note: a probe per
 * row, for when the annotations are too many to hold; annot_each_key).
 * flags:
 *   STORE_SCAN_MARKED     bookmarked events only
 *   STORE_SCAN_FEW_MARKS  with MARKED: the bookmarks are few (annot_counts),
 *                         so the store may start from them and sort
 */
enum { STORE_SCAN_MARKED = 1 << 0, STORE_SCAN_FEW_MARKS = 1 << 1 };
int query_scan_timeline(struct query *q, const char *const *cols, size_t ncols, unsigned flags,
			store_row_fn fn, void *ctx, char **cause);

/*
 * The messages the bookmarked MailItemsAccessed events q matches name
 * (the report's section), grouped by the store. Strings are borrowed for
 * the call; fn returns 0 to go on. Per mailbox (the event's mailbox, else
 * its user), in mailbox order: messages read (distinct message ids),
 * folders synchronised (distinct folders without a message id), the
 * first and last event time, the events.
 */
struct store_msg_mailbox {
	const char *mailbox;
	int64_t messages, folders, first, last, events;
};
int query_marked_mailboxes(struct query *q, int (*fn)(const struct store_msg_mailbox *m, void *ctx),
			   void *ctx, char **cause);
/*
 * Then one row per mailbox and message id (Bind), or per mailbox and
 * folder (msgid NULL: a Sync, every item of the folder exposed); by
 * mailbox, folders first, then by first time, message id and folder.
 * folder: the least folder name; access: the greatest access type; apps
 * and ips: how many distinct, app and ip the least of them (text).
 */
struct store_msg_item {
	const char *mailbox, *msgid, *folder, *access, *app, *ip;
	int64_t first, last, events, size, apps, ips;
};
int query_marked_messages(struct query *q, int (*fn)(const struct store_msg_item *m, void *ctx), void *ctx,
			  char **cause);

/* ------------------------------------------------------------------ */
/* Counting */

struct query_count {
	int64_t n;
	bool exact; /* false: n is an estimate from a sample of the case */
};

/*
 * How many events match. The exact count is computed if it takes at most
 * budget_ms milliseconds (budget_ms < 0: whatever it takes, with progress
 * and cancellation); otherwise an estimate from a sample of the case is
 * returned, flagged. A filter already scanned (query_prepare) and the
 * empty filter are always exact. 0, or -1 with *cause.
 */
int query_count(struct query *q, int64_t budget_ms, struct query_count *out, char **cause);

/*
 * The place of pos among the matching events: how many come before it
 * (the timeline's "1,204 of 4,612"). Within budget_ms (< 0: whatever it
 * takes, with progress and cancellation). 1 with *before, 0 when it
 * would take longer (or the store cannot say), -1 with *cause.
 */
int query_rank(struct query *q, const struct query_pos *pos, int64_t budget_ms, int64_t *before, char **cause);

/* Exact count of events matching filter text (-1 with *cause on error):
 * a shorthand for tests and the CLI. */
int64_t query_count_text(struct store *st, const char *filter, char **cause);

#endif
