/*
 * ch.h: the ClickHouse store's own header (core/clickhouse/).
 *
 * The store speaks ClickHouse's HTTP interface through libcurl: one
 * statement per request over one keep-alive connection, results and
 * inserts in RowBinary (length-prefixed bytes: nothing to unescape),
 * reads with readonly=1, each request under a query id of our own so
 * that a cancel can KILL QUERY it (closing the connection does not stop a
 * query on the server). ClickHouse 18.16 has no bound parameters: every
 * value in a statement goes through ch_quote(), the one escaping
 * function (the injection boundary).
 *
 * Layout of a database (DB of the URL):
 *   events   one row per unique (record id, kind): the normalized fields
 *            as strings ('' absent), ts, flags, op_count, source, line, and
 *            the message list ("[[folder, msgid, size], ...]", '' none);
 *            ReplacingMergeTree ordered by (ts, id): the dedup backstop.
 *   raw      (id, raw) the records as loaded, ordered by id, compressed
 *   vals     (h, v) every text value once, h = its value id (cityHash64
 *            as Int64), filled by a materialized view from events
 *   vals_lc  (lv, h) the same by lower(v), ordered by it: lookups by text
 *   ev_user, ev_app, ev_ip, ev_op, ev_session  pivot copies of events
 *            ordered by (field, ts, id), filled by materialized views, so
 *            that a narrowed timeline page reads only its field's range
 *   stacks   (f, v) aggregate states of the whole case's stacks of a few
 *            fields (app, op, ...), filled by a materialized view
 *   idform   (empty) marks a database whose event ids lead with their
 *            operation (below)
 *   hev      the hunts' narrow copy of events: id, ts, kind, flags and
 *            the value ids (hashes) of the fields they group by, ordered
 *            by (ts, id) (pick.c: ch_gather, ch_reused, and picks that
 *            need nothing else)
 *   evmsg, evsync  the message lists ordered by id; the Sync reads'
 *            alone (read first: sync-access asks for all of those)
 *   hgrp     aggregate states of hev's events grouped by every column
 *            the hunts' pass groups alike events by (ch_gather)
 * The event id is a hash of (kind, record id) (63 bits): the same record
 * gets the same id in every load, so a re-run load finds what a killed
 * one committed, and two analysts' annotation files agree. Where idform
 * exists its top 16 bits are a hash of the operation, so that raw keeps
 * each operation's records together (the hunts read those of a few).
 *
 * Beside the database, a SQLite case file (the "case" of the URL) keeps
 * what must be transactional or is per analyst: sources, rejects,
 * provenance, saved state, annotations and views (core/sqlite/side.c).
 */
#ifndef AUDITSCOPE_CH_H
#define AUDITSCOPE_CH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "progress.h"
#include "storage.h"
#include "util.h"

/* ---- URLs ---- */

struct ch_url {
	bool https;
	char *host; /* without brackets */
	int port;
	char *db;
	char *casefile;        /* the side SQLite file */
	char *user, *password; /* from the environment or the config file */
};

/* Parse clickhouse://HOST[:PORT]/DB[?case=PATH] (clickhouses:// for
 * https). Credentials: AUDITSCOPE_CH_USER / AUDITSCOPE_CH_PASSWORD, else
 * the file AUDITSCOPE_CH_CONFIG or ~/.config/auditscope/clickhouse (lines
 * "user=NAME", "password=SECRET"); never the URL. 0 or -1. */
int ch_url_parse(const char *text, struct ch_url *u, char **cause);
void ch_url_clear(struct ch_url *u);
/* Is text a ClickHouse URL (by its scheme)? */
bool ch_url_is(const char *text);

/* ---- escaping: the injection boundary ---- */

/* Append s (n bytes, any bytes: NUL, quotes, invalid UTF-8) to b as a
 * ClickHouse string literal '...': backslash escapes for \ and ', and
 * \xHH for every byte outside printable ASCII. */
void ch_quote(struct util_buf *b, const char *s, size_t n);
/* An identifier made only of [A-Za-z0-9_] (database names): 1 if ok. */
bool ch_ident_ok(const char *s);

/* ---- the connection ---- */

struct ch_conn;

/* An external table sent with a request (ClickHouse's "external data"):
 * name, structure ("id Int64"), rows in TabSeparated. */
struct ch_ext {
	const char *name, *structure;
	const char *data;
	size_t len;
};

struct ch_req {
	const char *sql;
	bool write;       /* false: readonly=1 */
	const char *body; /* data after an INSERT ... FORMAT (NULL: none) */
	size_t body_len;
	const struct ch_ext *ext; /* external tables, or NULL */
	size_t next;
	const struct progress *pr; /* called while waiting; cancel -> KILL QUERY */
	/* the answer streamed: fn(ctx, bytes, n) returns 0, or -1 to stop
	 * with an error it set in *cause of ch_run. NULL: into out. */
	int (*fn)(void *ctx, const char *p, size_t n);
	void *ctx;
	struct util_buf *out;
	bool cancelled; /* set when pr asked to stop */
	/* > 0: give up after this many milliseconds (the query is killed);
	 * timed_out is then set and ch_run fails */
	long timeout_ms;
	bool timed_out;
};

struct ch_conn *ch_conn_new(const struct ch_url *u);
void ch_conn_free(struct ch_conn *c);
/* "clickhouse://host:port/db", for messages. */
const char *ch_conn_name(const struct ch_conn *c);
/* Run one statement. 0, or -1 with *cause one line naming the server and
 * carrying ClickHouse's "Code: N" where it gave one. */
int ch_run(struct ch_conn *c, struct ch_req *r, char **cause);
/* The same for a statement without parameters into out (may be NULL). */
int ch_exec(struct ch_conn *c, const char *sql, bool write, struct util_buf *out, char **cause);
/* A read with one external table, the shape of every "these ids ->
 * their rows" request: runs sql with the table name(structure) made of
 * data's TabSeparated rows into out. sql (from malloc) and data are freed
 * here in every case; on error out is freed too. 0 or -1. */
int ch_read_ext(struct ch_conn *c, char *sql, const char *name, const char *structure, struct util_buf *data,
		struct util_buf *out, char **cause);
/* Append v and a newline: one row of an external table of ids. */
void ch_tsv_i64(struct util_buf *b, int64_t v);

/* ---- RowBinary ---- */

struct ch_rd {
	const char *p, *end;
	bool bad;
};
int64_t ch_rd_i64(struct ch_rd *r);
uint64_t ch_rd_u64(struct ch_rd *r);
uint32_t ch_rd_u32(struct ch_rd *r);
uint8_t ch_rd_u8(struct ch_rd *r);
/* A String: borrowed bytes. */
const char *ch_rd_str(struct ch_rd *r, size_t *n);

void ch_put_i64(struct util_buf *b, int64_t v);
void ch_put_u32(struct util_buf *b, uint32_t v);
void ch_put_u8(struct util_buf *b, uint8_t v);
void ch_put_str(struct util_buf *b, const char *s, size_t n);

/* ---- the store ---- */

struct ch_store {
	struct store base; /* first: the interface's head (storage.h) */
	struct ch_url url;
	struct ch_conn *conn;
	struct store *side; /* the SQLite case file beside the database */
	bool readonly;
	bool spans;   /* the database has the spans table (store.c) */
	bool lc;      /* ... and vals_lc, the values by lower case */
	bool opids;   /* ... and idform: event ids lead with their operation */
	bool stacks;  /* ... and stacks, whole-case stacks of a few fields */
	bool hev;     /* ... and hev and evmsg, the hunts' tables */
	bool evsync;  /* ... and evsync, the Sync reads' message lists */
	bool valsin;  /* ... and valsin: the load sends the values (store.c) */
	bool hgrp;    /* ... and hgrp, the hunts' groups of alike events */
	bool seenraw; /* ... and seenraw, replaced copies' raw records */
	/* the pivot copies are projections of events (servers from 24.8,
	 * store.c), not the materialized views ev_FIELD: a read narrowed by a
	 * pivot field reads events, and the server picks the projection */
	bool proj;
	int major; /* the server's version(): 18, 19, ... 26 */
	int minor; /* ... and its second number (26.7: 7) */
	/* Value ids: the server hashes a text (63 bits); the interface's ids
	 * are small (callers pack two in 64 bits), so each hash seen gets
	 * the next dense id, for the life of the store. */
	struct util_imap h2d; /* hash -> dense id */
	struct util_ivec d2h; /* dense id - 1 -> hash */
	/* value texts already asked for: hash -> index + 1 into names */
	struct util_imap texts;
	struct util_svec names;
	/* source ids -> paths (from the side file), filled on demand */
	struct util_imap srcs;
	struct util_svec srcpaths;
	/* [places] the ipgeo table (places.c): 0 not asked yet, 1 there, -1 not */
	int places;
};

#define CH(st) ((struct ch_store *)(st))

/* The columns a page row is read from, in query_row order (rd_row). */
#define CH_ROW_COLS                                                                                   \
	"id, ts, line, op_count, kind, flags, record_id, op, rtype, workload, user, app, client_app," \
	" ip, result, session, token, mailbox, access, client_info, source, detail, host"
/* Read one row of CH_ROW_COLS into r (cleared first); false when the
 * data ends short. */
bool ch_rd_row(struct ch_store *s, struct ch_rd *rd, struct query_row *r);
/* The path of a source id, borrowed (NULL when unknown). */
const char *ch_source_path(struct ch_store *s, int64_t id);

/* A RowBinary scan streamed to a store_row_fn (query.c): rows are cut at
 * any boundary of the HTTP body, the part of a row not yet complete waits
 * in pend (the caller frees it). ch_scan_data is the ch_req callback. */
#define CH_MAX_COLS 32
struct ch_scan_ctx {
	size_t n;
	struct ch_store *s;
	bool text[CH_MAX_COLS];
	bool vid[CH_MAX_COLS]; /* a value id: the server's hash, made dense here */
	struct store_cell cells[CH_MAX_COLS];
	store_row_fn fn;
	void *ctx;
	struct util_buf pend; /* the part of a row not yet complete */
	bool stopped;
};
int ch_scan_data(void *ctx, const char *p, size_t n);

/* The database's URL as the case's path (store.c), for messages. */
const char *ch_path(const struct store *st);

/* read.c: the store_ops that read what a load wrote (storage.h says
 * what each does). */
int ch_time_range(struct store *st, int64_t *first, int64_t *last, char **cause);
int ch_summary(struct store *st, struct store_summary *sum, char **cause);
int ch_each_source(struct store *st, int (*fn)(const struct store_source_row *r, void *ctx), void *ctx,
		   char **cause);
int ch_each_reject(struct store *st, int64_t limit, int (*fn)(const struct store_reject_row *r, void *ctx),
		   void *ctx, char **cause);
char *ch_raw(struct store *st, int64_t id, size_t *len);
int ch_event_messages(struct store *st, int64_t event, int (*fn)(const struct store_message *m, void *ctx),
		      void *ctx, char **cause);
int ch_events_messages(struct store *st, const int64_t *events, size_t n,
		       int (*fn)(size_t i, const struct store_message *m, void *ctx), void *ctx, char **cause);
int ch_event_seen(struct store *st, int64_t event,
		  int (*fn)(const char *path, int64_t line, int64_t raw, void *ctx), void *ctx, char **cause);
int ch_each_id(struct store *st, const int64_t *ids, size_t n, query_row_fn fn, void *ctx, char **cause);
int ch_value_texts(struct store *st, const char *field, const int64_t *ids, size_t n, char **out, char **cause);
char *ch_state_get(struct store *st, const char *key);
int ch_state_set(struct store *st, const char *key, const char *value, char **cause);

/* A hash's dense id (0 stays 0), and back (-1 for an id never handed out). */
int64_t ch_dense(struct ch_store *s, int64_t h);
int64_t ch_hash(const struct ch_store *s, int64_t d);

/* The SQL of a text field's value id over column col. Caller frees. */
char *ch_value_id_sql(const char *col);

/* The table a read narrowed by pivot field (user, app, ip, op, session)
 * names: its copy ev_FIELD, or events where projections are the copies. */
const char *ch_pivot_table(const struct ch_store *s, const char *field, char *buf, size_t cap);

/* Is the server version major.minor or later? (the SQL differs: 18.16
 * and 26.x are both tested, tests/chdb_server.sh) */
bool ch_version_ge(const struct ch_store *s, int major, int minor);

/* The tables that hold a row per event, as an ALTER ... DELETE names
 * them (db.events, db.raw, each copy of events the database keeps),
 * NULL-terminated; the caller frees the strings and the array. */
char **ch_event_tables(const struct ch_store *s);

/* The event id of (kind, record id): 63 bits, never 0. With op (the
 * databases that have the idform table: s->opids), its top 16 bits are a
 * hash of the operation's lower case and the other 47 the record's, so
 * that raw, ordered by id, keeps each operation's records together: the
 * hunts read the records of a few operations by id. */
int64_t ch_event_id(int kind, const char *rid, size_t n, const struct sv *op);

/* The id in seenraw of the raw record of an event's copy (read from
 * source at line) that a richer copy replaced: negative, so that ch_raw
 * tells it from an event's id, and the same each time that copy is
 * replaced (a load run again writes the same row again, which the
 * table's merges collapse). The side file's seen.raw holds it, as a case
 * file's holds the replaced event's id. */
int64_t ch_seen_raw_id(int64_t event, int64_t source, int64_t line);

/* Whole-case stacks (store.c): the stacks table's number of field (0:
 * not kept there); making the table (fill: from the events there) and
 * dropping it (a load replaces events). */
int ch_stack_field(const char *field);
int ch_make_stacks(struct ch_store *s, bool fill, char **cause);
/* ... and the hunts' groups (hgrp, from hev), which the stacks' drop
 * drops too (a load that replaces stored copies makes both again) */
int ch_make_hgrp(struct ch_store *s, bool fill, char **cause);
int ch_delete_stacks(struct ch_store *s, char **cause);
/* read.c: the query of a stack of field (distinct: its distinct field or
 * NULL) from the stacks table, with ch_group's columns (key, events,
 * distinct, first, last), when c is the empty filter and the table keeps
 * that stack; else NULL. */
struct ch_compiled;
char *ch_stacks_sql(const struct ch_store *s, const struct ch_compiled *c, const char *field,
		    const char *distinct);

/* Make sure the side file knows the keys (id, ts, record id, kind) of
 * these events, so that its annotations join to them. 0 or -1. */
int ch_side_cache(struct ch_store *s, const int64_t *ids, size_t n, char **cause);

/* compile.c: a filter as a condition over one table.
 *
 * json.PATH and sigma. terms cannot be matched in 18.16's SQL (no JSON
 * walk by Name/Value): they are matched on the client (query.c) by the
 * store-independent matchers (filter_json.c, sigma_field.c). The where
 * of such a filter is then a superset: each of those terms is 1 (0 under
 * an odd number of "not"), and query.c narrows it to the ids whose raw
 * records match, evaluating the tree with the terms on the client and
 * the SQL parts ("leaves") it mixes with read as columns. */
#define CH_MAX_EXT 8
#define CH_MAX_CLIENT 32
struct filter_json;
struct ch_compiled {
	char *where;    /* the condition; "1" for the empty filter */
	char table[32]; /* "events", or the pivot copy "ev_user" ... */
	bool raw;       /* reads raw records (a subquery over raw) */
	bool empty;
	/* annotation keys sent as external tables (marked, tag=) */
	size_t next;
	char extname[CH_MAX_EXT][16];
	bool extids[CH_MAX_EXT]; /* "id Int64" (not annotation keys) */
	struct util_buf extdata[CH_MAX_EXT];
	/* the terms matched on the client: nclient 0 for a filter without */
	size_t nclient;
	const struct filter_node *cnode[CH_MAX_CLIENT];
	struct filter_json *cjson[CH_MAX_CLIENT]; /* FILTER_JSON's matcher */
	/* SQL subtrees a client term mixes with: lsql[i] a condition read as
	 * column i, or NULL when every candidate meets it (a kid of the
	 * top-level AND chain, which the where holds already) */
	size_t nleaf, ncols;
	const struct filter_node *lnode[CH_MAX_CLIENT];
	char *lsql[CH_MAX_CLIENT];
	int lcol[CH_MAX_CLIENT];
	/* a condition on raw every matching record meets, or NULL */
	char *prefilter;
};
int ch_compile(struct ch_store *s, const struct filter *f, struct ch_compiled *out, char **cause);
void ch_compiled_clear(struct ch_compiled *o);
/* The value of the client-matched filter on one candidate: its raw
 * record and its leaf columns (cols[i] for lcol i). 1, 0, or -1 with
 * *cause (a regex past its match limit). */
int ch_client_match(const struct ch_compiled *o, const struct filter_node *root, const char *raw, size_t n,
		    const int64_t *cols, char **cause);
/* Fill ext (CH_MAX_EXT entries) with o's external tables; how many. */
size_t ch_compiled_ext(const struct ch_compiled *o, struct ch_ext *ext);
/* PCRE-only syntax in pat: -1 with a filter error naming field. */
int ch_regex_check(const char *pat, const char *field, char **cause);
/* The sort key of a pivot field's copy ("lower(op)"), or NULL. */
const char *ch_pivot_key(const char *field);

/* The parts of the store's table in other files */
int ch_query_new(struct store *st, const struct filter *f, struct query **out, char **cause);
void ch_query_free(struct query *q);
bool ch_query_needs_scan(const struct query *q);
int ch_query_prepare(struct query *q, char **cause);
int ch_query_page(struct query *q, enum query_from from, const struct query_pos *pos, size_t n,
		  struct query_page *out, char **cause);
int ch_query_goto_time(struct query *q, int64_t ms, struct query_pos *pos, char **cause);
int ch_query_count(struct query *q, int64_t budget_ms, struct query_count *out, char **cause);
/* store_ops.query_rank: 1 counted, 0 over budget, -1 */
int ch_query_rank(struct query *q, const struct query_pos *pos, int64_t budget_ms, int64_t *out, char **cause);
/* What ch_query_count answers over its budget: an estimate (exact false)
 * from a sample of time windows spread over the case. */
int ch_query_estimate(struct query *q, struct query_count *out, char **cause);
int ch_scan(struct query *q, const char *const *cols, size_t ncols, store_row_fn fn, void *ctx, char **cause);
/* A scan with the "raw" column reads the other columns of about this
 * many events at a time into the client, then their records (query.c);
 * the tests set it small to cut a case into several slices. */
extern size_t ch_raw_slice;
/* ... and counts here the slices its scans read */
extern size_t ch_raw_slices_read;
int ch_group(struct query *q, const char *field, const char *distinct, struct stack *out, char **cause);
int ch_value_find(struct store *st, const char *field, const char *text, enum store_match how, int64_t **ids,
		  size_t *n, char **cause);
int ch_pick(struct store *st, const struct store_pick *p, const char *const *cols, size_t ncols,
	    store_row_fn fn, void *ctx, char **cause);
int ch_raw_each(struct store *st, const int64_t *ids, size_t n, store_raw_fn fn, void *ctx, char **cause);
/* The hunts' pass grouped on the server, and the values used with two
 * or more of another field (query.h store_gather, store_reused), from
 * the hev table; 0 (declined) for a database without it. */
int ch_gather(struct store *st, const struct store_gather *g, const char *const *cols, size_t ncols,
	      store_row_fn fn, void *ctx, char **cause);
int ch_reused(struct store *st, const char *field, const char *by, const struct progress *pr, int64_t **ids,
	      size_t *n, char **cause);
int ch_buckets(struct query *q, int64_t start, int64_t width, size_t n, int64_t *counts, char **cause);

struct store_load *ch_load_begin(struct store *st, char **cause);
int ch_load_source(struct store_load *ld, const char *path, int64_t bytes, char **cause);
void ch_load_sink(struct store_load *ld, struct sink *out);
int ch_load_sync(struct store_load *ld, char **cause);
void ch_load_counts(struct store_load *ld, struct store_counts *out);
int ch_load_source_bytes(struct store_load *ld, int64_t bytes, char **cause);
int ch_load_source_end(struct store_load *ld, const char *sha256, const char *format, const char *encoding,
		       const char *status, const char *warning, char **cause);
int ch_load_end(struct store_load *ld, char **cause);
void ch_load_abort(struct store_load *ld);
void ch_load_set_batch(struct store_load *ld, unsigned n);
void ch_load_set_ridmap_max(struct store_load *ld, size_t n);

/* sqlite/side.c: the side SQLite file's own tables (sources, rejects, seen,
 * the cache of annotated events' keys) */
int ch_side_source_new(struct store *side, const char *path, int64_t bytes, int64_t *id, char **cause);
int ch_side_source_counts(struct store *side, int64_t id, const struct store_counts *c, char **cause);
int ch_side_source_bytes(struct store *side, int64_t id, int64_t bytes, char **cause);
int ch_side_source_end(struct store *side, int64_t id, const char *sha256, const char *format,
		       const char *encoding, const char *status, const char *warning, char **cause);
/* 1 when kept, 0 when the same row was kept already, -1 */
int ch_side_reject(struct store *side, int64_t source, int64_t line, const char *why, const char *raw,
		   size_t n, char **cause);
/* raw: the id of the copy's raw record in seenraw (ch_seen_raw_id) when a
 * richer copy replaced it, 0 when it was not kept (it told no more) */
int ch_side_seen(struct store *side, int64_t event, int64_t source, int64_t line, int64_t raw, char **cause);
int ch_side_begin(struct store *side, char **cause);
int ch_side_commit(struct store *side, char **cause);
void ch_side_rollback(struct store *side);
/* Which of ids the side file lacks (into missing). */
int ch_side_missing(struct store *side, const int64_t *ids, size_t n, struct util_ivec *missing, char **cause);
int ch_side_put_event(struct store *side, int64_t id, int64_t ts, const char *rid, size_t n, int kind,
		      char **cause);
/* Annotation keys (record id, kind) no cached event joins, as
 * "rid\tkind\n" TabSeparated lines (rid escaped) in out. */
int ch_side_orphan_keys(struct store *side, struct util_buf *out, size_t *count, char **cause);
int ch_side_sources(struct store *side, struct util_imap *ids, struct util_svec *paths, char **cause);
int ch_side_totals(struct store *side, struct store_summary *sum, char **cause);
/* Mark sources still "loading" (a killed load) as "interrupted". */
void ch_side_interrupted(struct store *side);
/* the marks (or tag) keys as TabSeparated "rid\tkind" lines */
int ch_side_annot_keys(struct store *side, const char *tag, struct util_buf *out, char **cause);

int ch_side_note_keys(struct store *side, struct util_buf *out, char **cause);

/* export.c: the export's reads */
int ch_scan_timeline(struct query *q, const char *const *cols, size_t ncols, unsigned flags, store_row_fn fn,
		     void *ctx, char **cause);
int ch_value_places(struct store *st, const int64_t *ids, size_t n, struct store_place *out, char **cause);

/* [places] places.c: IP places (storage.h's place ops), the ipgeo table's
 * presence (1, 0, -1 error), and the places of page rows (one request). */
struct geoip;
struct ipgeo_stats;
struct ipgeo_row;
int ch_places_enrich(struct store *st, struct geoip *g, struct ipgeo_stats *stats, char **cause);
char *ch_places_databases(struct store *st);
int ch_places_unplaced(struct store *st, int64_t *n, char **cause);
int ch_place_get(struct store *st, const char *ip, struct ipgeo_row *out, char **cause);
int ch_places_each(struct store *st, int (*fn)(int64_t val, const struct ipgeo_row *g, void *ctx), void *ctx,
		   char **cause);
int ch_places_of_ids(struct store *st, const int64_t *ids, size_t n, struct ipgeo_row *out, char **cause);
int ch_places_ready(struct ch_store *s, char **cause);
int ch_rows_places(struct ch_store *s, struct query_row *rows, size_t n, char **cause);
int ch_marked_mailboxes(struct query *q, int (*fn)(const struct store_msg_mailbox *m, void *ctx), void *ctx,
			char **cause);
int ch_marked_messages(struct query *q, int (*fn)(const struct store_msg_item *m, void *ctx), void *ctx,
		       char **cause);
/* query.c's pieces export.c shares */
/* q's compiled filter, its client-matched terms resolved first (NULL
 * with *cause when that fails). */
const struct ch_compiled *ch_query_compiled(struct query *q, char **cause);
char *ch_col_sql(const char *name, bool *is_text);
/* A scan's rows streamed to fn (RowBinary, cols as ch_col_sql gave). */
int ch_stream(struct ch_store *s, const char *sql, const struct ch_ext *ext, size_t next,
	      const struct progress *pr, const char *const *cols, const bool *text, size_t ncols,
	      store_row_fn fn, void *ctx, bool *cancelled, char **cause);
/* Is scan column name a value id (a text field's)? */
bool ch_col_is_vid(const char *name);

/* TabSeparated escaping of a value for external data. */
void ch_tsv(struct util_buf *b, const char *s, size_t n);

#endif
