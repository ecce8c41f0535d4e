/*
 * sqlite_store.h: the SQLite store's own header, for the code that
 * implements the storage interface (store.h) on a case file.
 *
 * Nothing outside core/sqlite/ includes this: the rest of core/ and all
 * of tui/ speak to storage through store.h, query.h, stack.h,
 * histogram.h, messages.h, annot.h and knownapps.h, which carry no
 * SQLite type (the Makefile's seam check compiles them without
 * sqlite3.h); only tests that look at the case file's tables include
 * it besides.
 */
#ifndef AUDITSCOPE_SQLITE_STORE_H
#define AUDITSCOPE_SQLITE_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "filter.h"
#include "query.h"
#include "annot.h"
#include "notes.h"
#include "storage.h"
#include "store.h"

/* The case's connection. */
sqlite3 *store_db(struct store *st);
bool sqlite_store_readonly(struct store *st);

/* A statement of sql on the case's connection, prepared before and given
 * back (stmtpool.c) or new: SQLite's result code, *out NULL on failure.
 * Give it back with sqlite_stmt_give (reset and its bindings cleared
 * there), never finalize it; store_close finalizes the pool. */
int sqlite_stmt_take(struct store *st, const char *sql, sqlite3_stmt **out);
void sqlite_stmt_give(struct store *st, sqlite3_stmt *s);
void sqlite_stmt_pool_free(struct store *st);

/*
 * Writes beside a running load (issue 10, finding 15). A load keeps its
 * write transaction open for many events; an analyst's mark, note or the
 * interface's saved state must not wait behind it for long. A writer
 * outside the load announces itself with an open-file-description lock
 * (F_OFD_SETLK, shared) on one byte of the case file far past SQLite's
 * own lock bytes; the load's writer looks at that byte every few dozen
 * events, commits when it is taken and waits until it is free again
 * (load_write.c). sqlite_store_want_write(st, true) before BEGIN
 * IMMEDIATE, (st, false) after COMMIT or ROLLBACK. Every connection's
 * busy handler retries every 2 ms (SQLite's own backs off to 100 ms), so
 * the announced writer gets the lock as soon as the load commits.
 */
/* A descriptor of the case file at path, opened beside SQLite (O_RDONLY)
 * or -1; give it back with sqlite_case_fd_close, never close(): closing
 * any descriptor of the file would drop SQLite's own POSIX locks in this
 * process (store.c says why that loses data). Its flock and its OFD byte
 * locks are released when it is given back. */
int sqlite_case_fd_open(const char *path);
void sqlite_case_fd_close(int fd);
#define STORE_WANT_BYTE ((off_t)0x40000000 + 0x10000)

/*
 * The case's pending file (CASE-pending, pending.c) is removed once it is
 * empty and nobody uses it (pend_tidy). SQLite has no safe way to remove a
 * database another connection may be opening: one that opened it before
 * the removal writes into a file nobody reads any more, and its log and
 * index by name into the next file's. So whoever opens the pending file
 * holds a share of STORE_PEND_BYTE of the case file (an OFD read lock of
 * a descriptor of its own) from before the opening to after the closing,
 * waiting while a removal holds the byte; a removal takes it alone, not
 * waiting, or leaves the file. sqlite_pend_share returns the descriptor
 * holding the share (-1 when the case cannot be opened: then no removal
 * can take the byte either); sqlite_pend_unshare takes -1.
 */
#define STORE_PEND_BYTE (STORE_WANT_BYTE + 1)
int sqlite_pend_share(const char *case_path);
void sqlite_pend_unshare(int fd);
/* The byte alone, now: its descriptor, or -1 (someone holds a share). */
int sqlite_pend_take(const char *case_path);
void sqlite_store_want_write(struct store *st, bool on);
/* How long a statement waits for a lock another connection holds
 * (5,000 ms when opened); the previous value. */
int sqlite_store_busy_ms(struct store *st, int ms);

/* What the calling thread has waited for so far, for bench_lockwait's
 * attribution of a slow annotation or read: calls of the busy handlers
 * (the case's and the pending file's) and the time they slept, and the
 * annotations written to the pending file and the time that took
 * (open, insert, commit). Counted per thread, never reset. */
struct sqlite_waits {
	uint64_t busy_calls, busy_ns;
	uint64_t pend_adds, pend_ns;
};
void sqlite_waits_get(struct sqlite_waits *out);
/* (store.c, pending.c) this thread's counters */
struct sqlite_waits *sqlite_waits_mine(void);
/* A busy handler that retries every 2 ms for up to *(int *)ctx ms and
 * counts its sleeps in this thread's sqlite_waits. */
int sqlite_busy_poll_ms(void *ctx, int n);

/* ------------------------------------------------------------------ */
/* The one prepare/exec/error helper: every error of the SQLite store
 * names the case file ("case.db: no such table: x"). */

/* *cause = "<case file>: <SQLite's last message>"; returns -1. */
int sqlite_fail(struct store *st, char **cause);
/* Prepare sql on the case's connection: the statement, or NULL with
 * *cause as sqlite_fail. */
sqlite3_stmt *sqlite_prep(struct store *st, const char *sql, char **cause);
/* Run sql (statements without rows): 0, or -1 with *cause naming the case
 * file. */
int sqlite_exec(struct store *st, const char *sql, char **cause);
/* ev_ts as events(ts DESC, id DESC), for a case whose events come
 * newest first (store.c says why): in the caller's transaction, on a
 * case without events. */
int sqlite_ts_index_turn(struct store *st, char **cause);

/* ------------------------------------------------------------------ */
/* Record ids as a case keeps them (rid.c): a GUID in canonical form as
 * RID_GUID and its 16 bytes (text), any other id as text (RID_ESC in
 * front of one that begins with either byte). */
#define SQLITE_RID_KEY 16
#define SQLITE_RID_STORED 17
#define RID_GUID '\x01'
#define RID_ESC '\x02'
/* Is p[0..n) a canonical GUID? Then key holds its bytes. */
bool sqlite_rid_guid(const char *p, size_t n, unsigned char key[SQLITE_RID_KEY]);
/* The stored form of a canonical GUID into out: SQLITE_RID_STORED, or 0
 * for any other id (stored as its text, escaped by rid_key when it
 * begins with RID_GUID or RID_ESC). */
size_t sqlite_rid_store(const char *p, size_t n, char out[SQLITE_RID_STORED]);
/* The canonical text of a key (36 characters, no terminator). */
void sqlite_rid_text(const unsigned char key[SQLITE_RID_KEY], char out[36]);
/* rid_key(text) and rid_text(stored) on db, for a case of this schema
 * version (older ones are read as they are: before 7, ids are text; 7
 * kept a GUID as a 16-byte blob). */
void sqlite_rid_register(sqlite3 *db, int schema);
/* The fingerprint of a stored record id (its kind left out, so that an
 * id alone finds its range; the load's deduplication uses it too). */
uint64_t sqlite_rid_fp(const void *p, size_t n);
/* The first ridx key of a fingerprint: a key is that | event id. */
int64_t sqlite_ridx_lo(uint64_t fp);
/* The fingerprint of a stored record id held by v (false: v holds none). */
bool sqlite_rid_value_fp(sqlite3_value *v, uint64_t *fp);

/*
 * Tables of blocks of sorted 8-byte keys in runs (ridx.c): ridx, the
 * record ids' (schema 14; 13: one run), and vidx, the values' (schema
 * 15, vidx.c). t says which; the sqlite_ridx_ functions without it are
 * ridx's.
 */
struct sqlite_kb {
	const char *name;     /* the table: name(k, keys, run), index name_run */
	const char *vtab;     /* its reader, an eponymous virtual table: vtab(argument) */
	const char *rows_sql; /* a case of before the blocks: its keys ?1 .. ?2, in order */
	/* the keys an argument of the reader can have (false: none) */
	bool (*range)(sqlite3_value *arg, int64_t *lo, int64_t *hi);
};
extern const struct sqlite_kb sqlite_kb_ridx, sqlite_kb_vidx;
/* How the reader reads its table: the runs, one run (a case of schema 13
 * read as it is), a row a key through rows_sql. */
enum sqlite_kb_mode { SQLITE_KB_RUNS, SQLITE_KB_ONE_RUN, SQLITE_KB_ROWS };
/* The reader of t on db: vtab(argument), columns id (a key's low 32
 * bits) and k; without an argument every key, run after run. */
void sqlite_kb_register(const struct sqlite_kb *t, sqlite3 *db, enum sqlite_kb_mode mode);
/* The writer merges keys given in increasing order into one run's
 * blocks (w_put: in, w_del: out of them); _free writes what it holds and
 * gives the first SQLite error met (SQLITE_OK). The caller holds the
 * transaction. */
struct sqlite_ridx_w;
struct sqlite_ridx_w *sqlite_kb_w_new(const struct sqlite_kb *t, sqlite3 *db, int64_t run);
struct sqlite_ridx_w *sqlite_ridx_w_new(sqlite3 *db, int64_t run);
int sqlite_ridx_w_put(struct sqlite_ridx_w *w, int64_t k);
int sqlite_ridx_w_del(struct sqlite_ridx_w *w, int64_t k);
int sqlite_ridx_w_free(struct sqlite_ridx_w *w);
/* The id of a run newer than every run in ridx. */
int64_t sqlite_kb_new_run(const struct sqlite_kb *t, sqlite3 *db);
int64_t sqlite_ridx_new_run(sqlite3 *db);
/* After a new run: the newest runs merged until they are few. */
int sqlite_kb_settle(const struct sqlite_kb *t, sqlite3 *db);
int sqlite_ridx_settle(sqlite3 *db);
/* Keys from a statement's first column (its ?1 bound to from, unless
 * 0), in increasing order, into a new run of t, then its runs settled. */
int sqlite_kb_put_rows(const struct sqlite_kb *t, sqlite3 *db, const char *sql, int64_t from);
/* Sorted keys k[0 .. n) out of whichever runs hold them. */
int sqlite_ridx_del(sqlite3 *db, const int64_t *k, size_t n);
/* The events from id from on into ridx (0: every event, ridx emptied
 * first): the conversion from an older schema, a killed load's window, a
 * table that does not match its events (load_dedup.c). */
int sqlite_ridx_from_events(sqlite3 *db, int64_t from);
/* A schema-12 table of a key a row (k) into ridx: the conversion. */
int sqlite_ridx_from_rows(sqlite3 *db, const char *table);
/* Every key in order, across the runs (the load's seed); _free: the
 * error met, SQLITE_OK. */
struct sqlite_ridx_r;
struct sqlite_ridx_r *sqlite_kb_r_new(const struct sqlite_kb *t, sqlite3 *db);
struct sqlite_ridx_r *sqlite_ridx_r_new(sqlite3 *db);
bool sqlite_ridx_r_next(struct sqlite_ridx_r *r, int64_t *k);
/* The next keys in order, up to max, into out: how many (0 at the end;
 * fewer than max only there). A case of one run takes its blocks' keys
 * a block at a time (the seed of an append to 1M events: 0.1 G
 * instructions a key at a time). */
size_t sqlite_ridx_r_take(struct sqlite_ridx_r *r, int64_t *out, size_t max);
int sqlite_ridx_r_free(struct sqlite_ridx_r *r);
/* ridx_ids(stored record id) on db: the ids of the events that can have
 * it (columns id and k; without an argument every key, run after run); a
 * case of schema 13 read as it is has one run, < 13 a row a key. */
void sqlite_ridx_register(sqlite3 *db, int schema);
/* The first event id ridx may lack (NULL: none): the window of a load
 * that runs or was killed (load_dedup.c). */
#define SQLITE_RIDX_FROM "(SELECT value FROM meta WHERE key = 'ridx_from')"
/*
 * The ids of the events a set of keys names, for `e.id IN (...)`: HEAD,
 * a SELECT of record_id and kind (stored forms), TAIL. Each key's events
 * through ridx (candidates whose stored id and kind are compared), and
 * those of the window by their own columns (a scan of the window's
 * events, only while it is open). _ANY: keys of record_id alone, events
 * of any kind.
 */
#define SQLITE_RIDX_IDS_HEAD "WITH k_ AS ("
#define SQLITE_RIDX_IDS_TAIL                                                                            \
	") SELECT x_.id FROM k_ CROSS JOIN ridx_ids(k_.record_id) rx_ CROSS JOIN events x_ ON"          \
	" x_.id = rx_.id AND x_.record_id = k_.record_id"                                               \
	" AND x_.kind = k_.kind UNION ALL SELECT x_.id FROM events x_ WHERE x_.id >= " SQLITE_RIDX_FROM \
	" AND (x_.record_id, x_.kind) IN (SELECT record_id, kind FROM k_)"
#define SQLITE_RIDX_IDS(keys) SQLITE_RIDX_IDS_HEAD keys SQLITE_RIDX_IDS_TAIL
#define SQLITE_RIDX_IDS_ANY_TAIL                                                               \
	") SELECT x_.id FROM k_ CROSS JOIN ridx_ids(k_.record_id) rx_ CROSS JOIN events x_ ON" \
	" x_.id = rx_.id AND x_.record_id = k_.record_id"                                      \
	" UNION ALL SELECT x_.id FROM events x_ WHERE x_.id >= " SQLITE_RIDX_FROM              \
	" AND x_.record_id IN (SELECT record_id FROM k_)"
#define SQLITE_RIDX_IDS_ANY(keys) SQLITE_RIDX_IDS_HEAD keys SQLITE_RIDX_IDS_ANY_TAIL
/* the marked events' ids */
#define MARKED_IDS SQLITE_RIDX_IDS("SELECT record_id, kind FROM marks")

/* The hash of a value that vals keeps beside it (values.c): over its
 * text with ASCII letters folded to lower case (as COLLATE NOCASE and
 * lower() fold), 31 bits, so that one small integer index serves both
 * the exact and the case-blind look-ups. Also SQL val_hash(text). */
int64_t sqlite_val_hash(const char *p, size_t n);
/* val_hash(text) and vidx_ids on db, for a case of this schema version */
void sqlite_val_hash_register(sqlite3 *db, int schema);

/* vidx (vidx.c): a value's key, its hash then its id (at most
 * UINT32_MAX). */
static inline int64_t sqlite_vidx_key(int64_t h, int64_t id)
{
	return (int64_t)((uint64_t)h << 32 | (uint64_t)id);
}
/* vidx_ids(hash) on db (a case before schema 15: through vals_h). */
void sqlite_vidx_register(sqlite3 *db, int schema);
/* The values from id from on into vidx (0: every value, vidx emptied
 * first, and the filter kept with it dropped): the conversion from an
 * older schema, a killed load's window. */
int sqlite_vidx_from_vals(sqlite3 *db, int64_t from);
/* The meta rows of the value map's filter over vidx's keys (load_values.c) */
#define SQLITE_VIDX_FILTER "vidx_filter"
/* The first value id vidx may lack (NULL: none): the window of a load
 * that runs or was killed (load_values.c), the one row of its own table
 * (in meta, whose rows of ridx's filter overflow their pages, a look-up
 * cost a reader 0.33 M instructions: SQLite read a 64 KB row whole to
 * compare its key). */
#define SQLITE_VIDX_FROM "(SELECT min(id) FROM vidx_from)"
/* The ids of the values whose text is ?1 (cmp: "" or " COLLATE NOCASE"):
 * the candidates of its hash through vidx, and the window's values by
 * their own columns (a scan of the window, only while it is open). */
#define SQLITE_VALS_BY_TEXT(cmp)                                                                              \
	"SELECT v_.id FROM vidx_ids(val_hash(?1)) x_ CROSS JOIN vals v_ ON v_.id = x_.id WHERE v_.v = ?1" cmp \
	" UNION ALL SELECT id FROM vals WHERE id >= " SQLITE_VIDX_FROM " AND h = val_hash(?1) AND v = ?1" cmp

/* ------------------------------------------------------------------ */
/* Raw blocks (record.c reads them, load_blocks.c writes them): the records of
 * events id .. id+n-1 back to back, then n+1 u32 offsets (the last is the
 * end of the records), then u32 n; one zstd frame of about BLOCK_BYTES.
 * From schema 9 a block whose events have message lists holds each
 * event's record then its list (empty for none), 2n+1 offsets, and n with
 * BLOCK_LISTS set. */
#define BLOCK_BYTES ((size_t)1024 << 10)
#define BLOCK_LISTS 0x80000000u
#define ZSTD_LEVEL 1
/* From schema 10 a block may be compressed with its load's dictionary
 * (load_blocks.c): its frame's dictID is the dictionary's zdicts.id. A
 * load that (re)writes dictionary id tells its connection's reader
 * (record.c), which may hold a decoder of a row rolled back since. */
void sqlite_zdict_forget(struct store *st, uint32_t id);

static inline uint32_t get_u32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static inline void put_u32(char *p, uint32_t v)
{
	unsigned char *u = (unsigned char *)p;
	u[0] = (unsigned char)v;
	u[1] = (unsigned char)(v >> 8);
	u[2] = (unsigned char)(v >> 16);
	u[3] = (unsigned char)(v >> 24);
}

/* ------------------------------------------------------------------ */
/* The parts of the store's table (storage.h) that live in other files */

struct store_load *sqlite_load_begin(struct store *st, char **cause);
int sqlite_load_source(struct store_load *ld, const char *path, int64_t bytes, char **cause);
void sqlite_load_sink(struct store_load *ld, struct sink *out);
int sqlite_load_sync(struct store_load *ld, char **cause);
void sqlite_load_counts(struct store_load *ld, struct store_counts *out);
uint64_t sqlite_load_mark(struct store_load *ld);
uint64_t sqlite_load_committed(struct store_load *ld);
int sqlite_load_source_bytes(struct store_load *ld, int64_t bytes, char **cause);
int sqlite_load_source_end(struct store_load *ld, const char *sha256, const char *format,
			   const char *encoding, const char *status, const char *warning, char **cause);
int sqlite_load_end(struct store_load *ld, char **cause);
void sqlite_load_abort(struct store_load *ld);
void sqlite_load_set_batch(struct store_load *ld, unsigned n);
void sqlite_load_set_ridmap_max(struct store_load *ld, size_t n);
/* (tests) After sqlite_load_sync: wait until the load's dictionary, if
 * the blocks handed to the compressor hold enough records for one, is
 * trained (load_blocks.c), so that the blocks after use it. */
void sqlite_load_zdict_wait(struct store_load *ld);

int sqlite_query_new(struct store *st, const struct filter *f, struct query **out, char **cause);
void sqlite_query_free(struct query *q);
bool sqlite_query_needs_scan(const struct query *q);
int sqlite_query_prepare(struct query *q, char **cause);
int sqlite_query_page(struct query *q, enum query_from from, const struct query_pos *pos, size_t n,
		      struct query_page *out, char **cause);
int sqlite_query_goto_time(struct query *q, int64_t ms, struct query_pos *pos, char **cause);
int sqlite_query_count(struct query *q, int64_t budget_ms, struct query_count *out, char **cause);
int sqlite_query_rank(struct query *q, const struct query_pos *pos, int64_t budget_ms, int64_t *out,
		      char **cause);
int sqlite_each_id(struct store *st, const int64_t *ids, size_t n, query_row_fn fn, void *ctx, char **cause);

int sqlite_annot_mark(struct store *st, int64_t event, bool on, char **cause);
int sqlite_annot_is_marked(struct store *st, int64_t event, char **cause);
int sqlite_annot_markers(struct store *st, const int64_t *events, size_t n, unsigned char *out, char **cause);
int sqlite_annot_mark_next(struct store *st, int64_t ts, int64_t id, bool backward, int64_t *out_event,
			   int64_t *out_ts, char **cause);
int sqlite_annot_tag_add(struct store *st, int64_t event, const char *tag, char **cause);
int sqlite_annot_tag_remove(struct store *st, int64_t event, const char *tag, char **cause);
int sqlite_annot_note_set(struct store *st, int64_t event, const char *text, char **cause);
int sqlite_annot_note_delete(struct store *st, int64_t note_id, char **cause);
int sqlite_annot_get(struct store *st, int64_t event, struct annot_info **out, char **cause);
int sqlite_annot_get_key(struct store *st, const char *record_id, int kind, struct annot_info **out,
			 char **cause);
int sqlite_annot_apply(struct store *st, const char *filter, const struct annot_action *a,
		       struct annot_result *res, char **cause);
int sqlite_annot_apply_events(struct store *st, const int64_t *events, size_t n, const struct annot_action *a,
			      struct annot_result *res, char **cause);
int sqlite_annot_counts(struct store *st, struct annot_counts *c, char **cause);
int sqlite_annot_view_save(struct store *st, const char *name, const char *filter, const char *sort,
			   const char *columns, char **cause);
int sqlite_annot_view_get(struct store *st, const char *name, struct annot_view **out, char **cause);
int sqlite_annot_view_delete(struct store *st, const char *name, char **cause);
int sqlite_annot_view_each(struct store *st, int (*fn)(const struct annot_view *v, void *ctx), void *ctx,
			   char **cause);
int sqlite_notes_export(struct store *st, FILE *out, const char *case_label, struct notes_stats *stats,
			char **cause);
int sqlite_notes_import(struct store *st, FILE *in, const char *name, struct notes_stats *stats, char **cause);

int sqlite_scan(struct query *q, const char *const *cols, size_t ncols, store_row_fn fn, void *ctx,
		char **cause);
int sqlite_group(struct query *q, const char *field, const char *distinct, struct stack *out, char **cause);
int sqlite_buckets(struct query *q, int64_t start, int64_t width, size_t n, int64_t *counts, char **cause);
int sqlite_pick(struct store *st, const struct store_pick *p, const char *const *cols, size_t ncols,
		store_row_fn fn, void *ctx, char **cause);

int sqlite_apps_get(struct store *st, const char *app_id, char **name, char **cause);
int sqlite_apps_each(struct store *st, bool by_name, store_app_fn fn, void *ctx, char **cause);
int sqlite_apps_put(struct store *st, const struct store_app *apps, size_t n, char **cause);

/* Export (storage.h: the export block; scan.c and export.c) */
int sqlite_scan_timeline(struct query *q, const char *const *cols, size_t ncols, unsigned flags,
			 store_row_fn fn, void *ctx, char **cause);
int sqlite_annot_each_key(struct store *st, int (*fn)(const struct annot_key *k, void *ctx), void *ctx,
			  char **cause);
int sqlite_value_places(struct store *st, const int64_t *ids, size_t n, struct store_place *out, char **cause);
int sqlite_marked_mailboxes(struct query *q, int (*fn)(const struct store_msg_mailbox *m, void *ctx),
			    void *ctx, char **cause);
int sqlite_marked_messages(struct query *q, int (*fn)(const struct store_msg_item *m, void *ctx), void *ctx,
			   char **cause);

/* ------------------------------------------------------------------ */
/* Compiling (for core modules that build SQL: query, stack, hunts) */

/* One bound value of a compiled filter. */
struct filter_bind {
	enum { FB_TEXT, FB_INT, FB_BLOB, FB_HITS } type;
	char *text; /* FB_TEXT: its text; FB_BLOB: len bytes; FB_HITS: NULL */
	size_t len;
	int64_t i;
};

/* Parameters of compiled SQL are numbered from here (?100, ?101, ...), so
 * that a statement can use ?1..?99 for its own values. */
#define FILTER_PARAM_BASE 100

/*
 * A compiled filter: the condition, and where its rows come from. When
 * a top-level term is user=, app=, ip=, op= or session= (the values of
 * one field, an address block, a regex of a few values), the posting
 * lists of its values drive (filter_sql.c: the term with the fewest
 * events): from reads pivot_rows(col, vals), the (ts, id) of their events
 * in timeline order, or pivot_and(terms), the entries that list and the
 * lists of the other pivot terms hold in common, and joins each to its
 * event. A statement reads
 *   SELECT ... FROM <from> WHERE (<where>) [AND <ord>.ts ...]
 *   ORDER BY <ord>.ts, <ord>.id
 * and gets the rows in timeline order without a sort; position and time
 * constraints on <ord>.ts let the lists skip chunks. The condition alone
 * over "events e" stays right (it keeps the driving term: a list may
 * hold an entry of an event replaced since), only slower.
 */
struct filter_sql {
	char *where;               /* condition over "events e"; "1" when empty */
	struct filter_bind *binds; /* the values of ?100, ?101, ... in order */
	size_t nbinds;
	char *from; /* "events e", or the driving lists joined to events e */
	/* what a page reads (NULL: from): the lists a stretch of time
	 * intersects, which may be fewer (filter_sql.c: choose_lists) */
	char *page_from;
	const char *ord; /* "m" (the lists) or "e": whose ts, id are the timeline order */
	/* with a driving list (else NULL): "pivot_rows(?a, ?b) m" (or
	 * "pivot_and(?t) m", the lists intersected) alone, the
	 * time bounds every match meets as a condition over m ("1": none),
	 * the parameters of the list's column and values, and its events
	 * (exact: pivot_count) when several terms were counted to choose */
	char *pivot;
	char *mbounds;
	/* what a page's reader tells page_from's lists as it takes rows
	 * (pivots.h: struct pivot_hits; bound as FB_HITS), NULL when they
	 * are not told: set want and got = 0 before a run, got++ a row */
	struct pivot_hits *hits;
	size_t pcol, pvals;
	int64_t drive_n; /* -1: not counted (one pivot term, or none) */
	size_t nlists;   /* lists that give the rows: 1, or more intersected (pivot_and) */
	bool lone;       /* the filter is the driving term and time bounds only */
	bool whole;      /* lone without time bounds: drive_n is the count */
	bool pure;       /* lone, and no list entry is of a replaced event: pivot
			  * and mbounds alone are the matches (no join needed) */
	bool raw;        /* reads raw records (free text, json.PATH): scan in id order only */
	bool indexed;    /* rows in timeline order through a list or the ts index */
	bool narrowed;   /* a list drives */
	bool few;        /* a top-level record id term: its few events through ridx */
	bool empty;      /* matches everything */
	/* temporary tables of value ids the condition reads (a regex or an
	 * address block that matches many values), dropped by
	 * filter_sql_clear on db */
	char **temps;
	size_t ntemps;
	sqlite3 *db;
};

enum {
	/* Keep SQLite from choosing any index but the one the caller's
	 * ORDER BY walks (columns are written +e.col). */
	FILTER_SQL_NOINDEX = 1 << 0,
	/* Leave out what reads raw records, keeping a condition that every
	 * matching event meets (a superset): the candidates an index finds
	 * before the raw records are read in id order. */
	FILTER_SQL_NORAW = 1 << 1,
};

/*
 * Compile f against the case st: values resolved to the case's value ids
 * where that lets an index answer (user=, op=, app=Name ...), relative
 * times taken from the case's last event. 0, or -1 with *cause. The
 * functions the SQL calls are registered on the case's connection.
 */
int filter_compile(const struct filter *f, struct store *st, unsigned flags, struct filter_sql *out,
		   char **cause);
void filter_sql_clear(struct filter_sql *s);
/* The pivot lists' code of an events column (pivots.h: 0 user, 1 app,
 * 2 ip, 3 op, 4 session), or -1 for a column without lists. */
int filter_pivot_col(const char *column);
/* Bind s's values to ?100... of stmt. SQLite result code. */
int filter_sql_bind(const struct filter_sql *s, sqlite3_stmt *stmt);

/* Register filter_regexp(pattern, text), filter_cidr(net, ip) and
 * filter_json(raw, path) on db (done by filter_compile). 0 or -1. */
int filter_register_functions(sqlite3 *db);

/* ------------------------------------------------------------------ */
/* A query's SQL (stack, histogram, messages, hunts build their own
 * statements over it): the query's condition over "events e", valid
 * until the next call on q. After query_prepare() of a scanning filter it
 * reads the temporary table of matches instead of the raw records.
 * Values are parameters ?100... (above): bind them with query_sql_bind. */
const char *query_sql_where(struct query *q);
int query_sql_bind(struct query *q, sqlite3_stmt *stmt);
/* Where q's rows come from, for a statement that reads many of them
 * (scans, groups, counts by time, exports): "SELECT ... FROM <from>
 * WHERE (<where>)", in timeline order by <ord>.ts, <ord>.id without a
 * sort (struct filter_sql says how). When the driving lists alone are
 * the matches (a lone list term, no entry of a replaced event), pivot
 * ("pivot_rows(...) m") and mbounds (a condition over m) read them
 * without the events; else NULL. Valid until the next call on q; bind
 * with query_sql_bind. */
struct query_source {
	const char *from, *where, *ord;
	const char *pivot, *mbounds;
};
void query_sql_source(struct query *q, struct query_source *out);

/* Run stmt to completion under q's progress handler: calls row(ctx,
 * stmt) for each row; 0, or -1 with *cause (cancelled: query_cancelled()
 * is true). */
int query_sql_run(struct query *q, sqlite3_stmt *stmt, int (*row)(void *ctx, sqlite3_stmt *s), void *ctx,
		  char **cause);

/* The place ops (storage.h) over the case's ipgeo table (ipgeo.c). */
int sqlite_ipgeo_enrich(struct store *st, struct geoip *g, struct ipgeo_stats *stats, char **cause);
char *sqlite_ipgeo_databases(struct store *st);
int sqlite_ipgeo_unplaced(struct store *st, int64_t *n, char **cause);
int sqlite_ipgeo_get(struct store *st, const char *ip, struct ipgeo_row *out, char **cause);
int sqlite_ipgeo_each(struct store *st, int (*fn)(int64_t val, const struct ipgeo_row *g, void *ctx),
		      void *ctx, char **cause);
int sqlite_ipgeo_of_ids(struct store *st, const int64_t *ids, size_t n, struct ipgeo_row *out, char **cause);

#endif
