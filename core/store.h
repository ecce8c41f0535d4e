/*
 * store.h: the case file, one SQLite database on disk.
 *
 * Everything a case holds lives here: normalized events (strings interned
 * into one value table, so that rows and indexes hold small integers), the
 * raw records compressed in zstd blocks, one row per message a
 * MailItemsAccessed record names,
 * sources with their SHA-256 and counts, and rejected rows kept verbatim.
 * The interface is narrow on purpose (open, load, read back) so that a
 * second store can stand behind it: this header and query.h, stack.h,
 * histogram.h, messages.h, annot.h and knownapps.h carry no SQLite type;
 * the SQLite store's own header is core/sqlite/sqlite_store.h, which
 * nothing outside the store includes.
 *
 * Loading: store_load_begin() starts a bulk load; each source gets a row
 * (store_load_source) and a sink that takes its events and rejects. Work
 * is committed every few tens of thousands of events together with the
 * source's counters, so an interrupted load leaves a case that opens and
 * holds everything committed; loading the same files again completes it,
 * since events are deduplicated by record id.
 */
#ifndef AUDITSCOPE_STORE_H
#define AUDITSCOPE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

struct store;
struct store_load;

enum {
	STORE_CREATE = 1 << 0, /* create the file if it does not exist */
	STORE_READONLY = 1 << 1,
	/* a case of an older schema is opened read-only and read as it is,
	 * not converted (commands that only read leave the evidence file
	 * as it was); a current one opens as the other flags say */
	STORE_KEEP_SCHEMA = 1 << 2,
};

int store_open(const char *path, int flags, struct store **out, char **cause);
/* What an open tells its caller about an older case's schema, for the
 * caller to show (core prints nothing): converting true just before
 * the open converts the case from schema from to schema to (the file is
 * rewritten, a few seconds a million events); false when
 * STORE_KEEP_SCHEMA opened it read-only instead. */
typedef void (*store_schema_fn)(void *ctx, const char *path, int from, int to, bool converting);
/* store_open telling fn (may be NULL) what it does with an older case. */
int store_open_cb(const char *path, int flags, store_schema_fn fn, void *ctx, struct store **out, char **cause);
/* Is a load writing the case at path, asked before it is open (a case
 * that cannot be opened yet because a load holds it)? Only while this
 * process has no connection to that case: the probe's descriptor is
 * closed again, which would drop SQLite's locks of such a connection. */
bool store_path_load_running(const char *path);
void store_close(struct store *st);
/* Close a case after its first load failed: a case file that this open
 * created and that holds no source yet (a full disk stopped the load
 * before it kept anything) is removed with the files beside it, so that
 * a failed creation leaves nothing; any other case is only closed.
 * Takes NULL. */
void store_close_failed_new(struct store *st);
const char *store_path(const struct store *st);

/* Ensure the pivot indexes exist (after an interrupted first load). */
int store_ensure_indexes(struct store *st, char **cause);

/* Events are deduplicated by (record id, kind of log: enum event_kind of
 * event.h); annotations are keyed by the same pair. */

/* The raw record of event id as JSON text (caller frees), or NULL. Read
 * in id order, each compressed block is decompressed once. */
char *store_raw(struct store *st, int64_t id, size_t *len);
/* After store_raw gave NULL: one line naming the case and what could not
 * be read (a damaged block or its dictionary), or NULL when the event
 * has no raw record. Borrowed until the next store_raw. */
const char *store_raw_error(struct store *st);

/* The time of the case's first and last event (UTC ms). Returns 1, or 0
 * when the case holds no event (*first, *last then 0), -1 with *cause. */
int store_time_range(struct store *st, int64_t *first, int64_t *last, char **cause);

/* The messages one MailItemsAccessed event names, in record order: folder
 * and message id (msgid NULL: the whole folder was synchronised), size in
 * bytes or -1. fn returns 0 to go on; strings are borrowed for the call. */
struct store_message {
	const char *folder, *msgid;
	int64_t size;
};
int store_event_messages(struct store *st, int64_t event, int (*fn)(const struct store_message *m, void *ctx),
			 void *ctx, char **cause);
/* The message lists of n events at once: fn(i, m, ctx) for each message
 * of events[i], i ascending (an event without messages gets no call).
 * One request on a server store where store_event_messages would make n.
 * fn returns non-zero to stop (returned as is). 0 or -1. */
int store_events_messages(struct store *st, const int64_t *events, size_t n,
			  int (*fn)(size_t i, const struct store_message *m, void *ctx), void *ctx,
			  char **cause);

/* The texts of n value ids of a text field, as a scan (storage.h) hands
 * them over: out[i] a new string (caller frees), or NULL for 0 or an
 * unknown id. 0, or -1 with *cause. */
int store_value_texts(struct store *st, const char *field, const int64_t *ids, size_t n, char **out,
		      char **cause);

/* How store_value_find compares a value's text with the one asked for. */
enum store_match {
	STORE_MATCH_NOCASE, /* equal in any (ASCII) case */
	STORE_MATCH_EXACT,  /* equal byte for byte */
	STORE_MATCH_PREFIX, /* begins with it, in any (ASCII) case */
};
/* The value ids of field (a text field of filter.h) whose text matches
 * text, appended to *ids (*n entries; an xrealloc'd array, caller frees)
 * without repeats: how the hunts turn "MailItemsAccessed" into the ids a
 * scan hands over. 0, or -1 with *cause. */
int store_value_find(struct store *st, const char *field, const char *text, enum store_match how,
		     int64_t **ids, size_t *n, char **cause);

/* The raw records of ids[0..n) in that order (ascending ids read each
 * compressed block once), text borrowed for the call; ids the case lacks
 * are left out. fn returns non-zero to stop (not an error). 0, or -1
 * with *cause. */
typedef int (*store_raw_fn)(void *ctx, int64_t id, const char *text, size_t len);
int store_raw_each(struct store *st, const int64_t *ids, size_t n, store_raw_fn fn, void *ctx, char **cause);

/* One app of the tenant's apps table (knownapps.h reads and fills it). */
struct store_app {
	const char *id; /* lower-case GUID */
	const char *name;
	const char *origin; /* the file it came from, or "" */
};
typedef int (*store_app_fn)(const struct store_app *a, void *ctx);

/* The places (ipgeo.h) of n IP value ids, as a scan hands them over:
 * out[i]'s strings new (caller frees: store_place_clear), NULL when
 * unknown; all NULL for 0, an address never looked up, or a case from
 * before places. asn as digits. 0, or -1 with *cause. */
struct store_place {
	char *country, *asn, *as_org;
};
int store_value_places(struct store *st, const int64_t *ids, size_t n, struct store_place *out, char **cause);
void store_place_clear(struct store_place *p);

/* Saved state: a key/value memory in the case (the interface's filter
 * stack, position, theme, histories), committed at once. get: the value
 * (caller frees) or NULL when unset; set: value NULL removes the key. */
char *store_state_get(struct store *st, const char *key);

/* Is a load into this case running now (in this or another process)?
 * What the interface says while it shows what is committed so far. */
bool store_load_running(struct store *st);
/* A number that changes when another connection commits to the case:
 * the interface polls it while a load runs. */
int64_t store_data_version(struct store *st);
int store_state_set(struct store *st, const char *key, const char *value, char **cause);

struct store_counts {
	uint64_t records;    /* records read from the source */
	uint64_t events;     /* new events stored */
	uint64_t duplicates; /* records whose record id the case already had */
	uint64_t rejects;    /* rows kept verbatim because they could not be parsed */
	/* records whose record id the case had with another time or field
	 * value: kept verbatim among the rejects, reason "conflict: ..." */
	uint64_t conflicts;
	int64_t first_ts, last_ts;
};

struct store_load *store_load_begin(struct store *st, char **cause);

/* A new source row (status "loading"); the sink then feeds it. */
int store_load_source(struct store_load *ld, const char *path, int64_t bytes, char **cause);
void store_load_sink(struct store_load *ld, struct sink *out);
/* Wait until every event and reject handed to the sink is written (the
 * writer runs on its own thread); then the counts are final. */
int store_load_sync(struct store_load *ld, char **cause);

/* The current source's counts so far (safe while the writer runs). */
void store_load_counts(struct store_load *ld, struct store_counts *out);

/* The current source's own (decompressed) bytes, once it has been read
 * whole: they replace the bytes given to store_load_source (-1 there
 * when the member did not say them). */
int store_load_source_bytes(struct store_load *ld, int64_t bytes, char **cause);

/* Close the current source: its hash, detected format and encoding, and a
 * status ("complete", "error: ..."), and an optional warning. */
int store_load_source_end(struct store_load *ld, const char *sha256, const char *format, const char *encoding,
			  const char *status, const char *warning, char **cause);

/* Is the source closed last committed? m = store_load_mark(ld) right
 * after store_load_source_end; it is in the case once
 * store_load_committed(ld) >= m (a commit by count or time, or the end;
 * the load that closes a source does not commit it at once). */
uint64_t store_load_mark(struct store_load *ld);
uint64_t store_load_committed(struct store_load *ld);

/* Commit the rest, build the indexes, free ld. Returns 0 or -1. */
int store_load_end(struct store_load *ld, char **cause);

/* fn(ctx) is called once by store_load_end, on its thread, when the load
 * has given back the memory its streaming held and built its indexes,
 * before its last checkpoint and sync (a tenth of a second on a million
 * events, mostly waiting for the disk): a caller's own work started there
 * overlaps them without adding to the load's peak memory. (Not called
 * when the end fails before that point, nor by store_load_abort.) */
void store_load_on_streamed(struct store_load *ld, void (*fn)(void *ctx), void *ctx);

/* Commit what is pending now (called on interrupt), free ld. */
void store_load_abort(struct store_load *ld);

/* What `auditscope info` shows. */
struct store_summary {
	int64_t events, sources, records, duplicates, rejects, messages;
	int64_t conflicts;         /* records kept as conflicts (store_counts) */
	int64_t multi_source;      /* events read from more than one source */
	int64_t first_ts, last_ts; /* INT64_MIN/MAX when the case is empty */
	int64_t file_bytes;        /* case file plus its WAL */
};
int store_summary(struct store *st, struct store_summary *sum, char **cause);

/* The other sources event id was also read from (another export's copy
 * of it), in load order: fn(path, line, raw, ctx) returns 0 to go on. The
 * event's own source is the one whose copy it keeps (the richest). raw:
 * when a richer copy replaced that source's, the id whose store_raw is
 * that copy's raw record, as it came; 0 when its copy told no more than
 * the kept one and was not kept (or a case from before schema 17, or a
 * ClickHouse store). */
int store_event_seen(struct store *st, int64_t event,
		     int (*fn)(const char *path, int64_t line, int64_t raw, void *ctx), void *ctx,
		     char **cause);

struct store_source_row {
	int64_t id, bytes;
	const char *path, *sha256, *format, *encoding, *status, *warning, *loaded_at;
	struct store_counts c;
};
/* Call fn for each source in load order; fn returns 0 to go on. */
int store_each_source(struct store *st, int (*fn)(const struct store_source_row *r, void *ctx), void *ctx,
		      char **cause);

struct store_reject_row {
	int64_t id, line;
	const char *path, *reason;
	const char *raw;
	size_t rawlen;
};
/* The first limit rejected rows (limit < 0: all), by source and line. */
int store_each_reject(struct store *st, int64_t limit, int (*fn)(const struct store_reject_row *r, void *ctx),
		      void *ctx, char **cause);

/* Tuning knobs for tests: commit every n events; keep at most n entries
 * of the record-id table in memory (past them it spills to sorted runs
 * on disk). */
void store_load_set_batch(struct store_load *ld, unsigned n);
void store_load_set_ridmap_max(struct store_load *ld, size_t n);

#endif
