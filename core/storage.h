/*
 * storage.h: the storage interface, what a store implements.
 *
 * The rest of auditscope speaks to a case through store.h, query.h,
 * stack.h, histogram.h, messages.h, annot.h and notes.h. Each of those
 * calls lands here: a store is a table of function
 * pointers (struct store_ops), the way a SQLite VFS is a sqlite3_io_methods
 * table or ncdu's dir_output is a pair of callbacks. Today there is one
 * store, the SQLite case file (core/sqlite/, sqlite_store_ops); a second
 * one (a ClickHouse server) fills the same table and nothing above it
 * changes. No SQLite type appears in this header or in any header above
 * it: the Makefile's seam check compiles them, the rest of core/ and all
 * of tui/ with a sqlite3.h that stops the build.
 *
 * How a store is built:
 *
 *  - Its case struct begins with a struct store (below), whose ops point at
 *    its table; store_open() (store.c) picks the store from the path and
 *    calls its open function. Likewise its compiled filter begins with a
 *    struct query and its bulk load with a struct store_load: core/ reads
 *    the few fields of those heads and hands the rest back to the store.
 *
 *  - Filters arrive parsed (filter.h: a tree, store-independent). Compiling
 *    one is the store's work (query_new): SQLite turns it into a WHERE
 *    condition with bound values; a server store turns it into its own
 *    query language. query_page/goto_time/count are then the store's.
 *
 *  - Aggregation is done in core/ over scan(): the store hands the chosen
 *    columns of each matching event to a C callback (stack.c, histogram.c,
 *    messages.c and the scanning hunts aggregate what they get). Text
 *    columns come as value ids, which value_texts() turns back into text
 *    once per distinct value: rows stay a few integers wide. Value ids
 *    are one space across the text fields: a text has the same id in
 *    every field (the hunts compare a user's id with a mailbox's), and
 *    the field named beside an id is a hint a store may ignore.
 *
 *  - A store that can aggregate faster itself (a column store, a server)
 *    fills group() and buckets(). Both are optional: NULL, or a return of
 *    0 ("declined"), and core/ aggregates a scan instead; so each may
 *    answer only the cases it is good at. The SQLite store answers
 *    counts-only groups (the index holds them) and declines the rest (a
 *    pass in C was measured several times faster than GROUP BY with
 *    count(DISTINCT)).
 *
 *  - Errors: 0 or -1 with *cause, as everywhere in core/; *cause names the
 *    case (its path or address). Long work calls the query's progress
 *    (q->pr) every few tens of milliseconds and, when it asks to stop,
 *    sets q->cancelled and fails with PROGRESS_CANCELLED (progress.h).
 *
 * Return conventions, argument meanings and ownership are those of the
 * public function of the same name (store.h, query.h, annot.h, ...), which
 * only dispatches; they are not repeated here.
 */
#ifndef AUDITSCOPE_STORAGE_H
#define AUDITSCOPE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "annot.h"
#include "filter.h"
#include "notes.h"
#include "progress.h"
#include "query.h"
#include "stack.h"
#include "store.h"

struct geoip;
struct ipgeo_stats;
struct ipgeo_row;
struct store_ops;

/* The head of every store's case struct. */
struct store {
	const struct store_ops *ops;
};

/* The head of every store's compiled filter: set by the store's
 * query_new, read by query.c. */
struct query {
	struct store *st;
	struct filter *f;   /* owned: the parsed filter */
	char *text;         /* owned: its canonical text */
	struct progress pr; /* query_set_progress */
	bool cancelled;     /* the last failed call was cancelled */
};

/* The head of every store's bulk load. */
struct store_load {
	struct store *st;
	/* store_load_on_streamed's: called by the store's load_end through
	 * store_load_streamed */
	void (*streamed)(void *ctx);
	void *streamed_ctx;
};

/* For a store's load_end: the caller's streamed function, once the memory
 * the streaming held is given back, before the index builds and the end's
 * last syncs. Once; nothing when none was given. */
void store_load_streamed(struct store_load *ld);

struct store_ops {
	const char *name; /* "sqlite" */

	/* The case */
	void (*close)(struct store *st);
	/* store_close_failed_new (NULL: close alone) */
	void (*close_failed_new)(struct store *st);
	const char *(*path)(const struct store *st);
	int (*ensure_indexes)(struct store *st, char **cause);
	int (*summary)(struct store *st, struct store_summary *sum, char **cause);
	int (*each_source)(struct store *st, int (*fn)(const struct store_source_row *r, void *ctx),
			   void *ctx, char **cause);
	int (*each_reject)(struct store *st, int64_t limit,
			   int (*fn)(const struct store_reject_row *r, void *ctx), void *ctx, char **cause);
	int (*time_range)(struct store *st, int64_t *first, int64_t *last, char **cause);

	/* Events, raw records, value texts */
	char *(*raw)(struct store *st, int64_t id, size_t *len);
	/* [zdict] Optional (NULL: never): why the last raw gave NULL when
	 * the record is there but cannot be read (a damaged block or
	 * dictionary), borrowed until the next raw; NULL when it is absent */
	const char *(*raw_error)(struct store *st);
	int (*event_messages)(struct store *st, int64_t event,
			      int (*fn)(const struct store_message *m, void *ctx), void *ctx, char **cause);
	/* [clickhouse] Optional (NULL: event_messages once per event):
	 * the message lists of n events in one pass, as
	 * store_events_messages. */
	int (*events_messages)(struct store *st, const int64_t *events, size_t n,
			       int (*fn)(size_t i, const struct store_message *m, void *ctx), void *ctx,
			       char **cause);
	int (*event_seen)(struct store *st, int64_t event,
			  int (*fn)(const char *path, int64_t line, int64_t raw, void *ctx), void *ctx,
			  char **cause);
	int (*each_id)(struct store *st, const int64_t *ids, size_t n, query_row_fn fn, void *ctx,
		       char **cause);
	/* The texts of n value ids of field (as scan() gave them): out[i] a
	 * new string, or NULL for 0 or an unknown id. 0 or -1. */
	int (*value_texts)(struct store *st, const char *field, const int64_t *ids, size_t n, char **out,
			   char **cause);

	/* [tui-nav] For an interface open while a load writes (optional,
	 * NULL: never loading, never changed): is a load into this case
	 * running now; a number that changes whenever another connection
	 * commits (new events to show). */
	bool (*load_running)(struct store *st);
	int64_t (*data_version)(struct store *st);

	/* Saved state */
	char *(*state_get)(struct store *st, const char *key);
	int (*state_set)(struct store *st, const char *key, const char *value, char **cause);

	/* Bulk load */
	struct store_load *(*load_begin)(struct store *st, char **cause);
	int (*load_source)(struct store_load *ld, const char *path, int64_t bytes, char **cause);
	void (*load_sink)(struct store_load *ld, struct sink *out);
	int (*load_sync)(struct store_load *ld, char **cause);
	void (*load_counts)(struct store_load *ld, struct store_counts *out);
	/* The current source's own bytes, once it is read whole (before
	 * load_source_end): an archive member or a .gz stream may not say
	 * them when it begins. */
	int (*load_source_bytes)(struct store_load *ld, int64_t bytes, char **cause);
	int (*load_source_end)(struct store_load *ld, const char *sha256, const char *format,
			       const char *encoding, const char *status, const char *warning, char **cause);
	int (*load_end)(struct store_load *ld, char **cause);
	void (*load_abort)(struct store_load *ld);
	void (*load_set_batch)(struct store_load *ld, unsigned n);
	void (*load_set_ridmap_max)(struct store_load *ld, size_t n);
	/* [trust] Is a closed source committed yet (optional, NULL: at once)?
	 * load_mark, right after load_source_end: the number of the
	 * transaction holding it; load_committed: the number of the last
	 * transaction committed (from any thread). */
	uint64_t (*load_mark)(struct store_load *ld);
	uint64_t (*load_committed)(struct store_load *ld);

	/* Queries: a filter compiled by the store */
	int (*query_new)(struct store *st, const struct filter *f, struct query **out, char **cause);
	void (*query_free)(struct query *q);
	bool (*query_needs_scan)(const struct query *q);
	int (*query_prepare)(struct query *q, char **cause);
	int (*query_page)(struct query *q, enum query_from from, const struct query_pos *pos, size_t n,
			  struct query_page *out, char **cause);
	int (*query_goto_time)(struct query *q, int64_t ms, struct query_pos *pos, char **cause);
	int (*query_count)(struct query *q, int64_t budget_ms, struct query_count *out, char **cause);
	/* [tui-nav] Optional: how many matching events come before pos (the
	 * timeline's exact place), within budget_ms as query_count; 1 done,
	 * 0 over budget or declined (NULL: declined), -1 error. */
	int (*query_rank)(struct query *q, const struct query_pos *pos, int64_t budget_ms, int64_t *out,
			  char **cause);
	/* Feed cols (struct store_cell) of every event q matches to fn, in
	 * no particular order, under q's progress. 0 or -1. */
	int (*scan)(struct query *q, const char *const *cols, size_t ncols, store_row_fn fn, void *ctx,
		    char **cause);
	/* Optional pushdowns (NULL, or return 0 to decline; 1 done; -1).
	 * group: stack rows of field under q, with the events, first and
	 * last of each value and, when distinct is not NULL, how many
	 * distinct values of that field each has; distinct NULL: counts
	 * only (first, last, distinct 0, absent values left out, rows in no
	 * order). buckets: counts[i] = events of q with start + i * width <=
	 * ts < start + (i + 1) * width, for i < n. */
	int (*group)(struct query *q, const char *field, const char *distinct, struct stack *out, char **cause);
	int (*buckets)(struct query *q, int64_t start, int64_t width, size_t n, int64_t *counts, char **cause);

	/* Annotations, keyed by (record id, kind) */
	int (*annot_mark)(struct store *st, int64_t event, bool on, char **cause);
	int (*annot_is_marked)(struct store *st, int64_t event, char **cause);
	int (*annot_markers)(struct store *st, const int64_t *events, size_t n, unsigned char *out,
			     char **cause);
	int (*annot_mark_next)(struct store *st, int64_t ts, int64_t id, bool backward, int64_t *out_event,
			       int64_t *out_ts, char **cause);
	int (*annot_tag_add)(struct store *st, int64_t event, const char *tag, char **cause);
	int (*annot_tag_remove)(struct store *st, int64_t event, const char *tag, char **cause);
	int (*annot_note_set)(struct store *st, int64_t event, const char *text, char **cause);
	int (*annot_note_delete)(struct store *st, int64_t note_id, char **cause);
	int (*annot_get)(struct store *st, int64_t event, struct annot_info **out, char **cause);
	int (*annot_get_key)(struct store *st, const char *record_id, int kind, struct annot_info **out,
			     char **cause);
	int (*annot_apply)(struct store *st, const char *filter, const struct annot_action *a,
			   struct annot_result *res, char **cause);
	int (*annot_apply_events)(struct store *st, const int64_t *events, size_t n,
				  const struct annot_action *a, struct annot_result *res, char **cause);
	int (*annot_counts)(struct store *st, struct annot_counts *c, char **cause);
	int (*annot_view_save)(struct store *st, const char *name, const char *filter, const char *sort,
			       const char *columns, char **cause);
	int (*annot_view_get)(struct store *st, const char *name, struct annot_view **out, char **cause);
	int (*annot_view_delete)(struct store *st, const char *name, char **cause);
	int (*annot_view_each)(struct store *st, int (*fn)(const struct annot_view *v, void *ctx), void *ctx,
			       char **cause);
	int (*notes_export)(struct store *st, FILE *out, const char *case_label, struct notes_stats *stats,
			    char **cause);
	int (*notes_import)(struct store *st, FILE *in, const char *name, struct notes_stats *stats,
			    char **cause);

	/* Reads for the hunts, Sigma rules and app names (hunt_*.c,
	 * sigma_run.c, appnames.c, knownapps.c): what a scan under a filter
	 * would not do well. Nothing here takes SQL or a filter text. */

	/* Value ids of field whose text is text (enum store_match: any case,
	 * as is, or beginning with it in any case), appended to *ids (*n
	 * entries, the array grown with xrealloc) without repeats. 0 or -1. */
	int (*value_find)(struct store *st, const char *field, const char *text, enum store_match how,
			  int64_t **ids, size_t *n, char **cause);
	/* Feed cols of the events p selects to fn, in id order (or (ts, id)
	 * with p->by_ts), under p->pr. The selection is by value ids of one
	 * field, time and id ranges and flags: what an index answers. */
	int (*pick)(struct store *st, const struct store_pick *p, const char *const *cols, size_t ncols,
		    store_row_fn fn, void *ctx, char **cause);
	/* [ch2] Optional (NULL or 0: declined, the hunts scan): the hunts'
	 * pass with alike events gathered, and the values used with two or
	 * more values of another field, as store_gather and store_reused. */
	int (*gather)(struct store *st, const struct store_gather *g, const char *const *cols, size_t ncols,
		      store_row_fn fn, void *ctx, char **cause);
	int (*reused)(struct store *st, const char *field, const char *by, const struct progress *pr,
		      int64_t **ids, size_t *n, char **cause);
	/* The raw records of ids[0..n) (ascending for speed), each handed to
	 * fn borrowed for the call; ids the case lacks are left out. fn
	 * returns non-zero to stop (not an error). 0 or -1. */
	int (*raw_each)(struct store *st, const int64_t *ids, size_t n, store_raw_fn fn, void *ctx,
			char **cause);
	/* The tenant's apps table (knownapps.h): the name of one app id
	 * (lower case; *name NULL when absent), every app in order (by id,
	 * or by name in any case then id), and a batch of apps added or
	 * renamed all at once (nothing is kept when one fails). */
	int (*apps_get)(struct store *st, const char *app_id, char **name, char **cause);
	int (*apps_each)(struct store *st, bool by_name, store_app_fn fn, void *ctx, char **cause);
	int (*apps_put)(struct store *st, const struct store_app *apps, size_t n, char **cause);

	/* ---------------------------------------------------------------
	 * Export (core/export*.c): a whole case streamed to a writer. What an
	 * export reads beyond scan(): the matching events in time order, every
	 * annotation key at once (an export holds them in memory rather than
	 * probe per row), the places of IP values, and the report's messages
	 * section, grouped by the store. Public: query_scan_timeline,
	 * annot_each_key, store_value_places, query_marked_mailboxes,
	 * query_marked_messages. */
	/* As scan(), in time order (ts, then id); flags STORE_SCAN_* (query.h). */
	int (*scan_timeline)(struct query *q, const char *const *cols, size_t ncols, unsigned flags,
			     store_row_fn fn, void *ctx, char **cause);
	int (*annot_each_key)(struct store *st, int (*fn)(const struct annot_key *k, void *ctx), void *ctx,
			      char **cause);
	int (*value_places)(struct store *st, const int64_t *ids, size_t n, struct store_place *out,
			    char **cause);
	int (*marked_mailboxes)(struct query *q, int (*fn)(const struct store_msg_mailbox *m, void *ctx),
				void *ctx, char **cause);
	int (*marked_messages)(struct query *q, int (*fn)(const struct store_msg_item *m, void *ctx),
			       void *ctx, char **cause);

	/* ---------------------------------------------------------------
	 * [places] IP places (ipgeo.h: a case's addresses looked up once in
	 * the offline databases, stored beside its events). Optional: NULL
	 * keeps no places (every address "unknown"). Public: ipgeo_enrich,
	 * ipgeo_databases, ipgeo_unplaced, ipgeo_get, ipgeo_each, ipgeo_of_ids. */
	int (*places_enrich)(struct store *st, struct geoip *g, struct ipgeo_stats *stats, char **cause);
	char *(*places_databases)(struct store *st);
	/* Optional (NULL: 0): the case's addresses never looked up */
	int (*places_unplaced)(struct store *st, int64_t *n, char **cause);
	int (*place_get)(struct store *st, const char *ip, struct ipgeo_row *out, char **cause);
	int (*places_each)(struct store *st, int (*fn)(int64_t val, const struct ipgeo_row *g, void *ctx),
			   void *ctx, char **cause);
	int (*places_of_ids)(struct store *st, const int64_t *ids, size_t n, struct ipgeo_row *out,
			     char **cause);
};

/* The SQLite store (core/sqlite/store.c). */
extern const struct store_ops sqlite_store_ops;
int sqlite_store_open(const char *path, int flags, struct store **out, char **cause);
int sqlite_store_open_cb(const char *path, int flags, store_schema_fn fn, void *ctx, struct store **out,
			 char **cause);
bool sqlite_path_load_running(const char *path);

/* The ClickHouse store (core/clickhouse/): a database on a ClickHouse
 * server, named by a URL clickhouse://HOST:PORT/DB?case=FILE (or
 * clickhouses:// for https), with the analyst's annotations in the SQLite
 * case file FILE beside it. */
extern const struct store_ops ch_store_ops;
int ch_store_open(const char *url, int flags, struct store **out, char **cause);

#endif
