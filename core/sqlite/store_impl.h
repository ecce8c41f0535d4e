/*
 * store_impl.h: what the files of the SQLite store's case share (store.c
 * opens and closes it, record.c reads one event's other parts,
 * bookkeeping.c what the case knows about itself, values.c the value
 * tables). Nothing outside core/sqlite/ includes it.
 */
#ifndef AUDITSCOPE_SQLITE_STORE_IMPL_H
#define AUDITSCOPE_SQLITE_STORE_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <zstd.h>

#include "sqlite_store.h"
#include "storage.h"

struct sqlite_store {
	struct store base; /* first: the interface's head (storage.h) */
	sqlite3 *db;
	char *path;
	bool readonly;
	bool created; /* this open made the file (store_close_failed_new) */
	ZSTD_DCtx *dctx;
	/* the last two raw blocks and the last message block read
	 * (record.c; raw_last: the raw one used last) */
	struct sq_block {
		int64_t first, n;
		bool lists; /* a raw block holding message lists (schema 9) */
		char *data;
		size_t len, cap;
		sqlite3_stmt *sel;
	} raw[2], msg;
	int raw_last;
	/* message lists: rows of msglists (a case of schema 5 or older) are
	 * looked up first; msgblocks exists from schema 6, rawmsgs (lists in
	 * the raw blocks) from 9 (store open) */
	bool msg_rows, msg_blocks, raw_lists;
	/* the dictionaries raw blocks were compressed with (schema 10:
	 * zdicts), as they are read (record.c) */
	struct sq_dict {
		uint32_t id;
		ZSTD_DDict *dd;
	} * dicts;
	size_t ndicts, dictcap;
	sqlite3_stmt *sel_dict;
	/* why the last raw record or list could not be read (a damaged
	 * block or dictionary), or NULL (record.c) */
	char *raw_error;
	sqlite3_stmt *sel_msglist;
	sqlite3_stmt *sel_seen;    /* store_event_seen, asked once an exported row */
	sqlite3_stmt *sel_text[2]; /* value_texts: vals, sources */
	sqlite3_stmt *sel_msgs;    /* event_messages */
	int wantfd;                /* the case file (sqlite_case_fd_open), for STORE_WANT_BYTE; -1 */
	int busy_ms;
	struct timespec busy_since;
	/* a descriptor of the case file for sqlite_load_running's flock
	 * (sqlite_case_fd_open) */
	int probe_fd;
	/* statements given back, oldest first (stmtpool.c) */
	struct sq_pool {
		struct sq_pooled {
			sqlite3_stmt *s;
			uint64_t hash;
			size_t len;
		} * e;
		size_t n;
	} pool;
	bool filter_fns; /* filter_func.c's functions registered on db */
	/* filter_sql.c's look-ups kept while the case is unchanged (freed
	 * with db) */
	struct filter_cache *fcache;
};

#define SQ(st) ((struct sqlite_store *)(st))

/* record.c */
/* SQL: raw_json(event_id) -> the record's JSON text (registered by
 * sqlite_store_open on each connection). */
void sqlite_sql_raw_json(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* SQL: msg_items(event_id) -> its messages as the JSON text
 * [[folder, internet message id, size], ...], NULL when it has none
 * (from msgblocks, or an older case's msglists; registered likewise). */
void sqlite_sql_msg_items(sqlite3_context *ctx, int argc, sqlite3_value **argv);
char *sqlite_raw(struct store *st, int64_t id, size_t *len);
const char *sqlite_raw_error(struct store *st);
/* The decoders and statements record.c keeps (store close). */
void sqlite_record_free(struct store *st);
int sqlite_raw_each(struct store *st, const int64_t *ids, size_t n, store_raw_fn fn, void *ctx, char **cause);
int sqlite_event_seen(struct store *st, int64_t event,
		      int (*fn)(const char *path, int64_t line, int64_t raw, void *ctx), void *ctx,
		      char **cause);
int sqlite_event_messages(struct store *st, int64_t event,
			  int (*fn)(const struct store_message *m, void *ctx), void *ctx, char **cause);

/* bookkeeping.c */
int sqlite_summary(struct store *st, struct store_summary *sum, char **cause);
int sqlite_each_source(struct store *st, int (*fn)(const struct store_source_row *r, void *ctx), void *ctx,
		       char **cause);
int sqlite_each_reject(struct store *st, int64_t limit,
		       int (*fn)(const struct store_reject_row *r, void *ctx), void *ctx, char **cause);
int sqlite_time_range(struct store *st, int64_t *first, int64_t *last, char **cause);
char *sqlite_state_get(struct store *st, const char *key);
int sqlite_state_set(struct store *st, const char *key, const char *value, char **cause);

/* values.c */
int sqlite_value_texts(struct store *st, const char *field, const int64_t *ids, size_t n, char **out,
		       char **cause);
int sqlite_value_find(struct store *st, const char *field, const char *text, enum store_match how,
		      int64_t **ids, size_t *n, char **cause);

#endif
