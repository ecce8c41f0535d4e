/*
 * store.c: the ClickHouse store (ch.h): opening a database, its schema,
 * the ops table, and the annotations, which the SQLite file beside it
 * answers. Reading events back is read.c's.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ch.h"
#include "xalloc.h"

/* The pivots: fields a responder narrows on first. Each has a copy of
 * events ordered by (field, ts, id), so that a page of one user's
 * events reads that user's range only. Case-insensitive fields are
 * ordered by their lower-case form (ASCII, as SQLite's NOCASE). On
 * 18.16 a copy is a materialized view (ev_FIELD) that reads name; from
 * 24.8 a projection of events (p_FIELD), which the server keeps in step
 * with events' parts (merges, deletes) and picks itself for a read of
 * events whose condition its order answers. */
static const struct {
	const char *field, *key;
} pivots[] = {
	{ "user", "user" }, { "app", "app" }, { "ip", "ip" }, { "op", "lower(op)" }, { "session", "session" },
};
#define NPIVOTS (sizeof pivots / sizeof pivots[0])

static const char ev_cols[] =
	"id Int64, ts Int64, kind UInt8, record_id String, op String, rtype String, workload String,"
	" user String, app String, client_app String, ip String, host String, result String, session String,"
	" token String, mailbox String, access String, client_info String, detail String,"
	" op_count Int64, flags UInt32, source Int64, line Int64";

bool ch_version_ge(const struct ch_store *s, int major, int minor)
{
	return s->major > major || (s->major == major && s->minor >= minor);
}

/* The columns of a pivot copy: events' but the message lists */
static const char copy_cols[] = "id, ts, kind, record_id, op, rtype, workload, user, app, client_app, ip,"
				" host, result, session, token, mailbox, access, client_info, detail, op_count,"
				" flags, source, line";

/* Pivot copies as projections: 24.8 is the first server that keeps the
 * projections of a ReplacingMergeTree through its merges (the setting
 * deduplicate_merge_projection_mode; an earlier one either refuses it or
 * lets a projection keep rows the table's merge dropped). */
static bool projections_ok(const struct ch_store *s)
{
	return ch_version_ge(s, 24, 8);
}

const char *ch_pivot_table(const struct ch_store *s, const char *field, char *buf, size_t cap)
{
	if (s->proj)
		return "events";
	snprintf(buf, cap, "ev_%s", field);
	return buf;
}

char **ch_event_tables(const struct ch_store *s)
{
	const char *views[NPIVOTS + 3];
	size_t nv = 0;
	for (size_t i = 0; i < NPIVOTS && !s->proj; i++)
		views[nv++] = pivots[i].field;
	if (s->hev) {
		views[nv++] = "hev";
		views[nv++] = "evmsg";
	}
	if (s->evsync)
		views[nv++] = "evsync";
	char **t = xcalloc(nv + 3, sizeof *t);
	size_t n = 0;
	t[n++] = xasprintf("%s.events", s->url.db);
	t[n++] = xasprintf("%s.raw", s->url.db);
	for (size_t i = 0; i < nv; i++) {
		const char *pre = i < NPIVOTS && !s->proj ? "ev_" : "";
		/* 18.16 takes no ALTER of a materialized view, only of its
		 * inner table; newer servers name that one by the view's UUID
		 * (.inner_id.UUID in an Atomic database) and pass an ALTER of
		 * the view on to it */
		t[n++] = s->major >= 20 ? xasprintf("%s.%s%s", s->url.db, pre, views[i])
					: xasprintf("%s.`.inner.%s%s`", s->url.db, pre, views[i]);
	}
	return t;
}

const char *ch_pivot_key(const char *field)
{
	for (size_t i = 0; i < NPIVOTS; i++)
		if (!strcmp(pivots[i].field, field))
			return pivots[i].key;
	return NULL;
}

int64_t ch_event_id(int kind, const char *rid, size_t n, const struct sv *op)
{
	uint64_t h = util_hash_bytes(rid, n, 0x617564697473636fULL ^ (uint64_t)(unsigned)kind);
	h &= 0x7FFFFFFFFFFFFFFFULL;
	if (op) {
		/* ASCII lower case, as the hunts look operations up */
		char low[256];
		size_t k = op->n < sizeof low ? op->n : sizeof low;
		for (size_t i = 0; i < k; i++)
			low[i] = (char)((unsigned)((unsigned char)op->p[i] - 'A') < 26u ? op->p[i] | 0x20
											: op->p[i]);
		uint64_t o = k ? util_hash_bytes(low, k, 0x6f70) : 0;
		h = ((o & 0xFFFF) << 47) | (h & ((1ULL << 47) - 1));
	}
	return h ? (int64_t)h : 1;
}

int64_t ch_seen_raw_id(int64_t event, int64_t source, int64_t line)
{
	int64_t k[3] = { event, source, line };
	uint64_t h = util_hash_bytes(k, sizeof k, 0x7365656e726177ULL) & 0x7FFFFFFFFFFFFFFFULL;
	return h ? -(int64_t)h : -1;
}

int64_t ch_dense(struct ch_store *s, int64_t h)
{
	if (h <= 0)
		return h;
	bool isnew;
	int64_t *d = util_imap_slot(&s->h2d, (uint64_t)h, 0, &isnew);
	if (isnew) {
		util_ivec_push(&s->d2h, h);
		*d = (int64_t)s->d2h.n;
	}
	return *d;
}

int64_t ch_hash(const struct ch_store *s, int64_t d)
{
	if (d <= 0)
		return d;
	return (size_t)d <= s->d2h.n ? s->d2h.v[d - 1] : -1;
}

char *ch_value_id_sql(const char *col)
{
	/* positive: callers keep -1 and 0 for "none" */
	return xasprintf("if(%s = '', toInt64(0), toInt64(bitAnd(cityHash64(%s), 9223372036854775807)))", col,
			 col);
}

/*
 * A new database's values come from the client: each batch's distinct
 * values (load.c) are inserted into valsin, a Null table (it keeps
 * nothing) whose two views fill vals and vals_lc. The views this
 * replaces read events and made every value of every event a row
 * (fifteen per event) to find the few distinct ones: 3.5-4 s of the
 * server's CPU per million events, most of a batch's insert besides the
 * pivot copies; the client finds them with one hash per value. A
 * database from before keeps its views on events (s->valsin false).
 */
static int create_valsin(struct ch_store *s, char **cause)
{
	const char *db = s->url.db;
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.vals_lc (lv String, h Int64)"
			      " ENGINE = ReplacingMergeTree ORDER BY (lv, h)",
			      db);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r == 0) {
		sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.valsin (v String) ENGINE = Null", db);
		r = ch_exec(s->conn, sql, true, NULL, cause);
		free(sql);
	}
	char *hv = ch_value_id_sql("v");
	if (r == 0) {
		sql = xasprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.valsin_mv TO %s.vals AS SELECT %s AS h, v"
				" FROM %s.valsin WHERE v != ''",
				db, db, hv, db);
		r = ch_exec(s->conn, sql, true, NULL, cause);
		free(sql);
	}
	if (r == 0) {
		sql = xasprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.valsin_lc_mv TO %s.vals_lc AS SELECT"
				" lower(v) AS lv, %s AS h FROM %s.valsin WHERE v != ''",
				db, db, hv, db);
		r = ch_exec(s->conn, sql, true, NULL, cause);
		free(sql);
	}
	free(hv);
	if (r == 0)
		s->lc = s->valsin = true;
	return r;
}

/* Every value of an event once in vals, by its hash (a database from
 * before valsin). */
static int create_vals_mv(struct ch_store *s, char **cause)
{
	const char *db = s->url.db;
	char *hv = ch_value_id_sql("v");
	char *sql =
		xasprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.vals_mv TO %s.vals AS SELECT DISTINCT"
			  " %s AS h, v FROM %s.events ARRAY JOIN [op, rtype, workload, user, app, client_app, ip,"
			  " host, result, session, token, mailbox, access, client_info, detail] AS v WHERE v != ''",
			  db, db, hv, db);
	free(hv);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	return r;
}

/* Every value once more by its lower case (vals_lc, ordered by it), for
 * the lookups of a value by its text (store_value_find: the hunts ask for
 * a few operations by name, the interface completes): vals is ordered by
 * hash, so that these were a read of every value (80 of them in a run of
 * all hunts: 14 ms each at 1M events, 10x that at 10M). 18.16 does not
 * fill a view from another view's inserts, so this one reads events too.
 * fill: from vals, for a database loaded before the table existed. */
static int create_vals_lc(struct ch_store *s, bool fill, char **cause)
{
	const char *db = s->url.db;
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.vals_lc (lv String, h Int64)"
			      " ENGINE = ReplacingMergeTree ORDER BY (lv, h)",
			      db);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r < 0)
		return -1;
	char *hv = ch_value_id_sql("v");
	sql = xasprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.vals_lc_mv TO %s.vals_lc AS SELECT DISTINCT"
			" lower(v) AS lv, %s AS h FROM %s.events ARRAY JOIN [op, rtype, workload, user, app,"
			" client_app, ip, host, result, session, token, mailbox, access, client_info, detail] AS v"
			" WHERE v != ''",
			db, db, hv, db);
	free(hv);
	r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r == 0 && fill) {
		/* after the view: a load meanwhile is in one or both (the
		 * lookups read DISTINCT) */
		sql = xasprintf("INSERT INTO %s.vals_lc SELECT DISTINCT lower(v), h FROM %s.vals", db, db);
		r = ch_exec(s->conn, sql, true, NULL, cause);
		free(sql);
	}
	if (r == 0)
		s->lc = true;
	return r;
}

/* The fields whose stacks over the whole case the stacks table keeps
 * (few values each), in its f column's order (1, 2, ...); their distinct
 * field is mailbox (stack.c: mailbox unless the field is it). */
static const char *const kept_stacks[] = { "app", "op", "workload", "rtype", "result", "client_app" };
#define NKEPT_STACKS (sizeof kept_stacks / sizeof kept_stacks[0])

int ch_stack_field(const char *field)
{
	for (size_t i = 0; i < NKEPT_STACKS; i++)
		if (!strcmp(kept_stacks[i], field))
			return (int)i + 1;
	return 0;
}

/* The view TABLE_mv that feeds TABLE with sel as events come, and with
 * fill TABLE filled by sel at once: after the view, so that a load
 * meanwhile (another process) would be counted twice rather than lost,
 * as with vals_lc; loads run one at a time. */
static int view_fill(struct ch_store *s, const char *table, const char *sel, bool fill, char **cause)
{
	const char *db = s->url.db;
	char *sql = xasprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.%s_mv TO %s.%s AS %s", db, table, db,
			      table, sel);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r == 0 && fill) {
		sql = xasprintf("INSERT INTO %s.%s %s", db, table, sel);
		r = ch_exec(s->conn, sql, true, NULL, cause);
		free(sql);
	}
	return r;
}

/* Stacks kept as events come: per (field, value), the events, the
 * distinct mailboxes and the time span, as aggregate states that merge
 * (a stack of app over 10M events reads a few hundred rows, not every
 * event's app and mailbox). States cannot take an event back out: a
 * load that replaces stored copies with richer ones drops the table
 * (ch_delete_stacks) and makes it again from events at its end, once
 * the deletes are done (fill). */
int ch_make_stacks(struct ch_store *s, bool fill, char **cause)
{
	const char *db = s->url.db;
	char *sql =
		xasprintf("CREATE TABLE IF NOT EXISTS %s.stacks (f UInt8, v String, n AggregateFunction(count),"
			  " d AggregateFunction(uniqExactIf, String, UInt8), lo AggregateFunction(min, Int64),"
			  " hi AggregateFunction(max, Int64)) ENGINE = AggregatingMergeTree ORDER BY (f, v)",
			  db);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r < 0)
		return -1;
	struct util_buf f = { 0 }, v = { 0 };
	for (size_t i = 0; i < NKEPT_STACKS; i++) {
		util_buf_printf(&f, "%s%zu", i ? ", " : "", i + 1);
		util_buf_printf(&v, "%s%s", i ? ", " : "", kept_stacks[i]);
	}
	char *sel =
		xasprintf("SELECT f, v, countState() AS n, uniqExactIfState(mailbox, mailbox != '') AS d,"
			  " minState(ts) AS lo, maxState(ts) AS hi FROM %s.events ARRAY JOIN [%s] AS f, [%s] AS v"
			  " GROUP BY f, v",
			  db, util_buf_str(&f), util_buf_str(&v));
	util_buf_free(&f);
	util_buf_free(&v);
	r = view_fill(s, "stacks", sel, fill, cause);
	free(sel);
	if (r == 0)
		s->stacks = true;
	return r;
}

int ch_delete_stacks(struct ch_store *s, char **cause)
{
	const char *names[] = { "stacks_mv", "stacks", "hgrp_mv", "hgrp" };
	for (size_t i = 0; i < 4; i++) {
		char *sql = xasprintf("DROP TABLE IF EXISTS %s.%s", s->url.db, names[i]);
		int r = ch_exec(s->conn, sql, true, NULL, cause);
		free(sql);
		if (r < 0)
			return -1;
	}
	s->stacks = false;
	s->hgrp = false;
	return 0;
}

/* The columns alike events share in the hunts' pass (pick.c: ch_gather
 * groups by a subset of them): hgrp's key. */
static const char ch_hgrp_key[] =
	"kind, flags, h_op, h_user, h_app, h_client_app, h_ip, h_mailbox, h_access, h_result";

/*
 * The hunts' groups, kept as events come (hgrp, filled from hev): per
 * combination of hev's columns the pass groups by, the group's first
 * event (least time, then least id), its last time and its count, as
 * aggregate states that merge. ch_gather reads these (a few thousand
 * rows for millions of events) instead of grouping every row of hev
 * (1.0-1.4 s of 1.3 at 1M on a busy machine, against 0.04-0.1 s).
 * Like the stacks, states cannot take an event back out: a load that
 * replaces stored copies drops both (ch_delete_stacks) and makes them
 * again at its end (fill: from hev).
 */
int ch_make_hgrp(struct ch_store *s, bool fill, char **cause)
{
	const char *db = s->url.db;
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.hgrp (kind UInt8, flags UInt32, h_op Int64,"
			      " h_user Int64, h_app Int64, h_client_app Int64, h_ip Int64, h_mailbox Int64,"
			      " h_access Int64, h_result Int64,"
			      " first AggregateFunction(argMin, Int64, Tuple(Int64, Int64)),"
			      " lo AggregateFunction(min, Int64), hi AggregateFunction(max, Int64),"
			      " n AggregateFunction(count)) ENGINE = AggregatingMergeTree ORDER BY (%s)",
			      db, ch_hgrp_key);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r < 0)
		return -1;
	/* from the view hev (a view on its inner table is not fed) */
	char *sel = xasprintf("SELECT %s, argMinState(id, (ts, id)) AS first, minState(ts) AS lo,"
			      " maxState(ts) AS hi, countState() AS n FROM %s.hev GROUP BY %s",
			      ch_hgrp_key, db, ch_hgrp_key);
	r = view_fill(s, "hgrp", sel, fill, cause);
	free(sel);
	if (r == 0)
		s->hgrp = true;
	return r;
}

/* The copy of events ordered by pivot i; populate: filled from the
 * events already there. */
static int create_pivot(struct ch_store *s, size_t i, bool populate, char **cause)
{
	const char *db = s->url.db;
	char *sql =
		xasprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.ev_%s ENGINE = MergeTree ORDER BY (%s, ts, id)"
			  "%s AS SELECT %s FROM %s.events",
			  db, pivots[i].field, pivots[i].key, populate ? " POPULATE" : "", copy_cols, db);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	return r;
}

/*
 * The hunts' tables, filled from events as it is inserted (populate:
 * from the events there now, for a database loaded before them):
 *  - hev: each event's id, time, kind, flags and the value ids (hashes)
 *    of the fields the hunts group by. The hunts' pass groups alike
 *    events on the server (ch_gather) and asks which sessions and tokens
 *    moved between IPs (ch_reused); over events that meant reading and
 *    hashing a dozen text columns of every event (37.6 of 52.8 s of all
 *    hunts at 10M); here they are integers, about a fifth of the bytes.
 *  - evmsg: the message lists by event id (events is ordered by time, so
 *    that a read of a few hundred events' lists by id read every event's
 *    id: 5.2 s at 10M); evsync: those of the Sync reads again, folder
 *    names only. sync-access reads the lists of every Sync read, 2% of
 *    the mail reads, spread over all of evmsg's granules of Bind reads'
 *    message ids; the few in evsync alone.
 */
static int create_evsync(struct ch_store *s, bool populate, char **cause)
{
	const char *db = s->url.db;
	char *sql = xasprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.evsync ENGINE = MergeTree ORDER BY id"
			      " SETTINGS index_granularity = 256%s AS SELECT id, msgs FROM %s.events"
			      " WHERE nmsgs > 0 AND lower(access) = 'sync'",
			      db, populate ? " POPULATE" : "", db);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r == 0)
		s->evsync = true;
	return r;
}

static int create_hunt_tables(struct ch_store *s, bool populate, char **cause)
{
	const char *db = s->url.db;
	static const char *const hcols[] = { "op",      "user",   "app",     "client_app", "ip",
					     "mailbox", "access", "session", "token",      "result" };
	struct util_buf sel = { 0 };
	util_buf_puts(&sel, "id, ts, kind, flags");
	for (size_t i = 0; i < sizeof hcols / sizeof hcols[0]; i++) {
		char *e = ch_value_id_sql(hcols[i]);
		util_buf_printf(&sel, ", %s AS h_%s", e, hcols[i]);
		free(e);
	}
	char *sql =
		xasprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.hev ENGINE = MergeTree ORDER BY (ts, id)"
			  "%s AS SELECT %s FROM %s.events",
			  db, populate ? " POPULATE" : "", util_buf_str(&sel), db);
	util_buf_free(&sel);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r < 0)
		return -1;
	sql = xasprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.evmsg ENGINE = MergeTree ORDER BY id"
			" SETTINGS index_granularity = 256%s AS SELECT id, msgs FROM %s.events WHERE nmsgs > 0",
			db, populate ? " POPULATE" : "", db);
	r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r < 0)
		return -1;
	s->hev = true;
	if (create_evsync(s, populate, cause) < 0)
		return -1;
	/* a new database's hunts' groups are made at the end of its first
	 * load, from hev at once (ch_load_end), as its stacks are; until
	 * then the pass groups hev */
	return populate ? ch_make_hgrp(s, true, cause) : 0;
}

static int create_schema(struct ch_store *s, char **cause)
{
	const char *db = s->url.db;
	struct ch_conn *c = s->conn;
	char *sql = xasprintf("CREATE DATABASE IF NOT EXISTS %s", db);
	int r = ch_exec(c, sql, true, NULL, cause);
	free(sql);
	if (r < 0)
		return -1;
	/* the dedup backstop: rows of the same (ts, id) collapse on merges;
	 * the pivot copies inside it where the server keeps projections of
	 * it ('rebuild': a merge that drops rows makes the projections again
	 * from the rows it kept) */
	s->proj = projections_ok(s);
	struct util_buf proj = { 0 };
	for (size_t i = 0; i < NPIVOTS && s->proj; i++)
		util_buf_printf(&proj, ", PROJECTION p_%s (SELECT %s ORDER BY (%s, ts, id))", pivots[i].field,
				copy_cols, pivots[i].key);
	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.events (%s, nmsgs UInt32, msgs String%s)"
			" ENGINE = ReplacingMergeTree ORDER BY (ts, id)%s",
			db, ev_cols, util_buf_str(&proj),
			s->proj ? " SETTINGS deduplicate_merge_projection_mode = 'rebuild'" : "");
	util_buf_free(&proj);
	r = ch_exec(c, sql, true, NULL, cause);
	free(sql);
	if (r < 0)
		return -1;
	/* small granules: the hunts and the detail view read records by id
	 * here and there, and a default granule of 8192 records is megabytes
	 * of raw text read for each (10x slower at 300 ids; 32 against 256:
	 * 3x faster again for the raw hunts' batches of 64 ids) */
	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.raw (id Int64, raw String%s)"
			" ENGINE = ReplacingMergeTree ORDER BY id SETTINGS index_granularity = 32",
			db, s->major >= 20 ? " CODEC(ZSTD(3))" : "");
	r = ch_exec(c, sql, true, NULL, cause);
	free(sql);
	if (r < 0)
		return -1;
	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.vals (h Int64, v String) ENGINE = ReplacingMergeTree ORDER BY h",
			db);
	r = ch_exec(c, sql, true, NULL, cause);
	free(sql);
	if (r < 0)
		return -1;
	if (create_valsin(s, cause) < 0)
		return -1;
	/* a new database's event ids lead with their operation (ch_event_id);
	 * one loaded before keeps its ids, or its duplicates would not be
	 * found again */
	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.idform (form UInt8) ENGINE = TinyLog", db);
	r = ch_exec(c, sql, true, NULL, cause);
	free(sql);
	if (r < 0)
		return -1;
	s->opids = true;
	/* no kept stacks yet: the first load makes them at its end, from
	 * every event at once (ch_load_end), which costs a fifth of what
	 * the view costs on every batch (0.6 s against 2.5-2.8 s of the
	 * server's CPU at 1M events); until then stacks read events */
	for (size_t i = 0; i < NPIVOTS && !s->proj; i++)
		if (create_pivot(s, i, false, cause) < 0)
			return -1;
	return create_hunt_tables(s, false, cause);
}

/* The spans table: one row (lo, hi, n) per batch a load sends, written
 * before the batch's events, so that the case's time range is a read of
 * a few rows rather than of every event's time (a superset when a batch
 * failed after it: harmless to the pages' time windows). A database
 * loaded before the table existed gets it seeded from its events once. */
static int create_spans(struct ch_store *s, bool seed, char **cause)
{
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.spans (lo Int64, hi Int64, n Int64)"
			      " ENGINE = MergeTree ORDER BY lo",
			      s->url.db);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r == 0 && seed) {
		sql = xasprintf("INSERT INTO %s.spans SELECT min(ts), max(ts), toInt64(count()) FROM %s.events"
				" HAVING count() > 0",
				s->url.db, s->url.db);
		r = ch_exec(s->conn, sql, true, NULL, cause);
		free(sql);
	}
	if (r == 0)
		s->spans = true;
	return r;
}

/* The raw records of copies that richer ones replaced (load.c): the
 * event keeps its id and the richer copy's record in raw, and what the
 * other source said stays here, under ch_seen_raw_id's key, which the
 * side file's seen rows name (ch_raw reads it). A database loaded before
 * gets the table on its first writable open (its replaced copies were
 * deleted: their seen rows say not kept). */
static int create_seenraw(struct ch_store *s, char **cause)
{
	char *sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.seenraw (id Int64, event Int64, raw String%s)"
			      " ENGINE = ReplacingMergeTree ORDER BY id SETTINGS index_granularity = 32",
			      s->url.db, s->major >= 20 ? " CODEC(ZSTD(3))" : "");
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r == 0)
		s->seenraw = true;
	return r;
}

/* A database from before the host column (issue 12): events gets it
 * (empty in the rows already there), and the views that copy events are
 * made again with it, the pivot copies filled again from events. */
static int add_host(struct ch_store *s, char **cause)
{
	const char *db = s->url.db;
	struct util_buf out = { 0 }, sql = { 0 };
	util_buf_puts(&sql, "SELECT count() FROM system.columns WHERE database = ");
	ch_quote(&sql, db, strlen(db));
	util_buf_puts(&sql, " AND table = 'events' AND name = 'host' FORMAT TabSeparated");
	int r = ch_exec(s->conn, util_buf_str(&sql), false, &out, cause);
	bool has = r == 0 && atoi(util_buf_str(&out)) > 0;
	util_buf_free(&sql);
	util_buf_free(&out);
	if (r < 0 || has)
		return r;
	if (s->readonly)
		return set_cause(cause,
				 "%s: database from an older auditscope (no host column): open it once"
				 " without read-only to add it",
				 ch_conn_name(s->conn));
	char *q = xasprintf("ALTER TABLE %s.events ADD COLUMN host String", db);
	r = ch_exec(s->conn, q, true, NULL, cause);
	free(q);
	q = xasprintf("DROP TABLE IF EXISTS %s.vals_mv", db);
	if (r == 0 && !s->valsin)
		r = ch_exec(s->conn, q, true, NULL, cause);
	free(q);
	if (r == 0 && !s->valsin)
		r = create_vals_mv(s, cause);
	for (size_t i = 0; i < NPIVOTS && r == 0 && !s->proj; i++) {
		q = xasprintf("DROP TABLE IF EXISTS %s.ev_%s", db, pivots[i].field);
		r = ch_exec(s->conn, q, true, NULL, cause);
		free(q);
		if (r == 0)
			r = create_pivot(s, i, true, cause);
	}
	return r;
}

/* A database from before the hunts' tables gets them, filled from its
 * events (once: about a second per million events), unless a load is
 * writing into it now (the rows it inserts meanwhile would be missed):
 * then the hunts read events, as before, until an open after it. */
static int loading_now(struct ch_store *s, bool *loading, char **cause)
{
	struct util_buf sql = { 0 }, out = { 0 };
	util_buf_puts(&sql, "SELECT count() FROM system.processes WHERE query LIKE 'INSERT INTO %'"
			    " AND position(query, ");
	char *ev = xasprintf("%s.events", s->url.db);
	ch_quote(&sql, ev, strlen(ev));
	free(ev);
	util_buf_puts(&sql, ") > 0 FORMAT TabSeparated");
	int r = ch_exec(s->conn, util_buf_str(&sql), false, &out, cause);
	*loading = r == 0 && atoi(util_buf_str(&out)) > 0;
	util_buf_free(&sql);
	util_buf_free(&out);
	return r;
}

static int upgrade_hunt_tables(struct ch_store *s, char **cause)
{
	bool loading;
	int r = loading_now(s, &loading, cause);
	if (r < 0 || loading)
		return r;
	if (s->hev && s->evsync) /* from before hgrp alone */
		return ch_make_hgrp(s, true, cause);
	if (s->hev) /* from before evsync */
		return create_evsync(s, true, cause) < 0 ? -1 : ch_make_hgrp(s, true, cause);
	/* all or none: a view left from a failed try is made again */
	const char *names[] = { "hev", "evmsg", "evsync", "hgrp_mv", "hgrp" };
	for (size_t i = 0; i < 5 && r == 0; i++) {
		char *q = xasprintf("DROP TABLE IF EXISTS %s.%s", s->url.db, names[i]);
		r = ch_exec(s->conn, q, true, NULL, cause);
		free(q);
	}
	return r < 0 ? -1 : create_hunt_tables(s, true, cause);
}

static void ch_close(struct store *st);

/* Does the database hold our tables? (and the spans table: s->spans;
 * vals_lc: s->lc; idform: s->opids; stacks: s->stacks) */
static int has_events(struct ch_store *s, char **cause)
{
	struct util_buf out = { 0 };
	struct util_buf sql = { 0 };
	util_buf_puts(&sql, "SELECT name FROM system.tables WHERE database = ");
	ch_quote(&sql, s->url.db, strlen(s->url.db));
	util_buf_puts(&sql,
		      " AND name IN ('events', 'spans', 'vals_lc', 'idform', 'stacks', 'hev', 'evmsg', 'evsync',"
		      " 'valsin', 'hgrp', 'ev_user', 'seenraw')"
		      " FORMAT TabSeparated");
	int r = ch_exec(s->conn, util_buf_str(&sql), false, &out, cause);
	util_buf_free(&sql);
	const char *t = util_buf_str(&out);
	int found = r < 0 ? -1 : strstr(t, "events\n") != NULL;
	s->spans = r == 0 && strstr(t, "spans\n") != NULL;
	s->lc = r == 0 && strstr(t, "vals_lc\n") != NULL;
	s->opids = r == 0 && strstr(t, "idform\n") != NULL;
	s->stacks = r == 0 && strstr(t, "stacks\n") != NULL;
	s->hev = r == 0 && strstr(t, "hev\n") != NULL && strstr(t, "evmsg\n") != NULL;
	s->evsync = s->hev && strstr(t, "evsync\n") != NULL;
	s->valsin = r == 0 && strstr(t, "valsin\n") != NULL;
	s->hgrp = s->evsync && strstr(t, "hgrp\n") != NULL;
	s->seenraw = r == 0 && strstr(t, "seenraw\n") != NULL;
	/* a database made with the views keeps them on a newer server */
	s->proj = found == 1 && strstr(t, "ev_user\n") == NULL && projections_ok(s);
	util_buf_free(&out);
	return found;
}

static int ch_open(const char *path, int flags, struct store **out, char **cause)
{
	struct ch_store *s = xcalloc(1, sizeof *s);
	s->base.ops = &ch_store_ops;
	if (ch_url_parse(path, &s->url, cause) < 0) {
		free(s);
		return -1;
	}
	s->readonly = (flags & STORE_READONLY) != 0;
	s->conn = ch_conn_new(&s->url);
	struct util_buf v = { 0 };
	if (ch_exec(s->conn, "SELECT version() FORMAT TabSeparated", false, &v, cause) < 0) {
		util_buf_free(&v);
		ch_close(&s->base);
		return -1;
	}
	const char *vt = util_buf_str(&v);
	s->major = atoi(vt);
	s->minor = strchr(vt, '.') ? atoi(strchr(vt, '.') + 1) : 0;
	util_buf_free(&v);
	int have = has_events(s, cause);
	if (have < 0) {
		ch_close(&s->base);
		return -1;
	}
	if (!have && !(flags & STORE_CREATE)) {
		set_cause(cause, "%s: no auditscope events in this database (load into it first)",
			  ch_conn_name(s->conn));
		ch_close(&s->base);
		return -1;
	}
	if ((!have && create_schema(s, cause) < 0) || (have && add_host(s, cause) < 0) ||
	    (!s->spans && !s->readonly && create_spans(s, have, cause) < 0) ||
	    (!s->lc && !s->readonly && create_vals_lc(s, have, cause) < 0) ||
	    (!s->hgrp && have && !s->readonly && upgrade_hunt_tables(s, cause) < 0) ||
	    (!s->seenraw && !s->readonly && create_seenraw(s, cause) < 0)) {
		ch_close(&s->base);
		return -1;
	}
	/* the side file: created with the database, else it must exist
	 * unless the analyst starts annotating (a new analyst's own file) */
	if (sqlite_store_open(s->url.casefile, s->readonly ? STORE_READONLY : STORE_CREATE, &s->side, cause) <
	    0) {
		ch_close(&s->base);
		return -1;
	}
	if (!s->readonly && s->side->ops->ensure_indexes(s->side, cause) < 0) {
		ch_close(&s->base);
		return -1;
	}
	*out = &s->base;
	return 0;
}

int ch_store_open(const char *path, int flags, struct store **out, char **cause)
{
	return ch_open(path, flags, out, cause);
}

static void ch_close(struct store *st)
{
	if (!st)
		return;
	struct ch_store *s = CH(st);
	ch_conn_free(s->conn);
	if (s->side)
		s->side->ops->close(s->side);
	ch_url_clear(&s->url);
	util_imap_free(&s->texts);
	util_imap_free(&s->h2d);
	util_ivec_free(&s->d2h);
	util_svec_free(&s->names);
	util_imap_free(&s->srcs);
	util_svec_free(&s->srcpaths);
	free(s);
}

const char *ch_path(const struct store *st)
{
	return ch_conn_name(((const struct ch_store *)st)->conn);
}

static int ch_ensure_indexes(struct store *st, char **cause)
{
	(void)st;
	(void)cause;
	return 0; /* the pivot copies are filled as events are inserted */
}

/* ------------------------------------------------------------------ */
/* Annotations: the side file, once it knows the events' keys */

int ch_side_cache(struct ch_store *s, const int64_t *ids, size_t n, char **cause)
{
	struct util_ivec miss = { 0 };
	if (ch_side_missing(s->side, ids, n, &miss, cause) < 0)
		return -1;
	if (!miss.n) {
		util_ivec_free(&miss);
		return 0;
	}
	struct util_buf data = { 0 }, out = { 0 };
	for (size_t i = 0; i < miss.n; i++)
		ch_tsv_i64(&data, miss.v[i]);
	util_ivec_free(&miss);
	char *sql = xasprintf("SELECT id, ts, record_id, kind FROM %s.events WHERE id IN ids FORMAT RowBinary",
			      s->url.db);
	int r = ch_read_ext(s->conn, sql, "ids", "id Int64", &data, &out, cause);
	if (r == 0 && ch_side_begin(s->side, cause) == 0) {
		struct ch_rd rd = { out.p, out.p + out.n, false };
		while (r == 0 && rd.p < rd.end) {
			int64_t id = ch_rd_i64(&rd), ts = ch_rd_i64(&rd);
			size_t rn;
			const char *rid = ch_rd_str(&rd, &rn);
			int kind = ch_rd_u8(&rd);
			if (rd.bad)
				break;
			r = ch_side_put_event(s->side, id, ts, rid, rn, kind, cause);
		}
		if (r == 0)
			r = ch_side_commit(s->side, cause);
		else
			ch_side_rollback(s->side);
	} else {
		r = -1;
	}
	util_buf_free(&out);
	return r;
}

/* After notes from another analyst: the events their keys name. */
static int cache_orphans(struct ch_store *s, char **cause)
{
	struct util_buf keys = { 0 }, out = { 0 };
	size_t n = 0;
	if (ch_side_orphan_keys(s->side, &keys, &n, cause) < 0) {
		util_buf_free(&keys);
		return -1;
	}
	int r = 0;
	if (n) {
		char *sql =
			xasprintf("SELECT id FROM %s.events WHERE (record_id, kind) IN keys FORMAT RowBinary",
				  s->url.db);
		r = ch_read_ext(s->conn, sql, "keys", "record_id String, kind UInt8", &keys, &out, cause);
		struct util_ivec ids = { 0 };
		struct ch_rd rd = { out.p, out.p + out.n, false };
		while (r == 0 && rd.p < rd.end) {
			int64_t id = ch_rd_i64(&rd);
			if (!rd.bad)
				util_ivec_push(&ids, id);
		}
		if (r == 0 && ids.n)
			r = ch_side_cache(s, ids.v, ids.n, cause);
		util_ivec_free(&ids);
	}
	util_buf_free(&keys);
	util_buf_free(&out);
	return r;
}

#define SIDE(st) (CH(st)->side)
#define ONE(st, ev, cause) (ch_side_cache(CH(st), &(ev), 1, (cause)) < 0 ? -1 : 0)

static int a_mark(struct store *st, int64_t event, bool on, char **cause)
{
	if (ONE(st, event, cause) < 0)
		return -1;
	return SIDE(st)->ops->annot_mark(SIDE(st), event, on, cause);
}

static int a_is_marked(struct store *st, int64_t event, char **cause)
{
	return SIDE(st)->ops->annot_is_marked(SIDE(st), event, cause);
}

static int a_markers(struct store *st, const int64_t *events, size_t n, unsigned char *out, char **cause)
{
	return SIDE(st)->ops->annot_markers(SIDE(st), events, n, out, cause);
}

static int a_mark_next(struct store *st, int64_t ts, int64_t id, bool backward, int64_t *out_event,
		       int64_t *out_ts, char **cause)
{
	return SIDE(st)->ops->annot_mark_next(SIDE(st), ts, id, backward, out_event, out_ts, cause);
}

static int a_tag_add(struct store *st, int64_t event, const char *tag, char **cause)
{
	if (ONE(st, event, cause) < 0)
		return -1;
	return SIDE(st)->ops->annot_tag_add(SIDE(st), event, tag, cause);
}

static int a_tag_remove(struct store *st, int64_t event, const char *tag, char **cause)
{
	return SIDE(st)->ops->annot_tag_remove(SIDE(st), event, tag, cause);
}

static int a_note_set(struct store *st, int64_t event, const char *text, char **cause)
{
	if (ONE(st, event, cause) < 0)
		return -1;
	return SIDE(st)->ops->annot_note_set(SIDE(st), event, text, cause);
}

static int a_note_delete(struct store *st, int64_t note_id, char **cause)
{
	return SIDE(st)->ops->annot_note_delete(SIDE(st), note_id, cause);
}

static int a_get(struct store *st, int64_t event, struct annot_info **out, char **cause)
{
	if (ONE(st, event, cause) < 0)
		return -1;
	return SIDE(st)->ops->annot_get(SIDE(st), event, out, cause);
}

static int a_get_key(struct store *st, const char *record_id, int kind, struct annot_info **out, char **cause)
{
	return SIDE(st)->ops->annot_get_key(SIDE(st), record_id, kind, out, cause);
}

static int a_apply_events(struct store *st, const int64_t *events, size_t n, const struct annot_action *a,
			  struct annot_result *res, char **cause)
{
	if (ch_side_cache(CH(st), events, n, cause) < 0)
		return -1;
	return SIDE(st)->ops->annot_apply_events(SIDE(st), events, n, a, res, cause);
}

static int collect_id(const struct query_row *r, void *ctx)
{
	util_ivec_push(ctx, r->id);
	return 0;
}

static int a_apply(struct store *st, const char *filter, const struct annot_action *a,
		   struct annot_result *res, char **cause)
{
	struct query *q;
	if (query_new(st, filter, &q, cause) < 0)
		return -1;
	struct util_ivec ids = { 0 };
	int r = query_each(q, false, -1, collect_id, &ids, cause);
	query_free(q);
	if (r == 0)
		r = a_apply_events(st, ids.v, ids.n, a, res, cause);
	util_ivec_free(&ids);
	return r;
}

static int a_counts(struct store *st, struct annot_counts *c, char **cause)
{
	return SIDE(st)->ops->annot_counts(SIDE(st), c, cause);
}

static int a_view_save(struct store *st, const char *name, const char *filter, const char *sort,
		       const char *columns, char **cause)
{
	return SIDE(st)->ops->annot_view_save(SIDE(st), name, filter, sort, columns, cause);
}

static int a_view_get(struct store *st, const char *name, struct annot_view **out, char **cause)
{
	return SIDE(st)->ops->annot_view_get(SIDE(st), name, out, cause);
}

static int a_view_delete(struct store *st, const char *name, char **cause)
{
	return SIDE(st)->ops->annot_view_delete(SIDE(st), name, cause);
}

static int a_view_each(struct store *st, int (*fn)(const struct annot_view *v, void *ctx), void *ctx,
		       char **cause)
{
	return SIDE(st)->ops->annot_view_each(SIDE(st), fn, ctx, cause);
}

static int a_notes_export(struct store *st, FILE *out, const char *case_label, struct notes_stats *stats,
			  char **cause)
{
	return SIDE(st)->ops->notes_export(SIDE(st), out, case_label, stats, cause);
}

static int a_notes_import(struct store *st, FILE *in, const char *name, struct notes_stats *stats, char **cause)
{
	/* the keys first, so that the import can tell which events it names */
	if (cache_orphans(CH(st), cause) < 0)
		return -1;
	int r = SIDE(st)->ops->notes_import(SIDE(st), in, name, stats, cause);
	if (r == 0 && cache_orphans(CH(st), cause) < 0)
		return -1;
	return r;
}

static int a_each_key(struct store *st, int (*fn)(const struct annot_key *k, void *ctx), void *ctx, char **cause)
{
	return SIDE(st)->ops->annot_each_key(SIDE(st), fn, ctx, cause);
}

/* The tenant's app names: per analyst, in the side file */
static int a_apps_get(struct store *st, const char *app_id, char **name, char **cause)
{
	return SIDE(st)->ops->apps_get(SIDE(st), app_id, name, cause);
}

static int a_apps_each(struct store *st, bool by_name, store_app_fn fn, void *ctx, char **cause)
{
	return SIDE(st)->ops->apps_each(SIDE(st), by_name, fn, ctx, cause);
}

static int a_apps_put(struct store *st, const struct store_app *apps, size_t n, char **cause)
{
	return SIDE(st)->ops->apps_put(SIDE(st), apps, n, cause);
}

const struct store_ops ch_store_ops = {
	.name = "clickhouse",
	.close = ch_close,
	.path = ch_path,
	.ensure_indexes = ch_ensure_indexes,
	.summary = ch_summary,
	.each_source = ch_each_source,
	.each_reject = ch_each_reject,
	.time_range = ch_time_range,
	.raw = ch_raw,
	.event_messages = ch_event_messages,
	.events_messages = ch_events_messages,
	.event_seen = ch_event_seen,
	.each_id = ch_each_id,
	.value_texts = ch_value_texts,
	.state_get = ch_state_get,
	.state_set = ch_state_set,
	.load_begin = ch_load_begin,
	.load_source = ch_load_source,
	.load_sink = ch_load_sink,
	.load_sync = ch_load_sync,
	.load_counts = ch_load_counts,
	.load_source_bytes = ch_load_source_bytes,
	.load_source_end = ch_load_source_end,
	.load_end = ch_load_end,
	.load_abort = ch_load_abort,
	.load_set_batch = ch_load_set_batch,
	.load_set_ridmap_max = ch_load_set_ridmap_max,
	.query_new = ch_query_new,
	.query_free = ch_query_free,
	.query_needs_scan = ch_query_needs_scan,
	.query_prepare = ch_query_prepare,
	.query_page = ch_query_page,
	.query_goto_time = ch_query_goto_time,
	.query_count = ch_query_count,
	.query_rank = ch_query_rank,
	.scan = ch_scan,
	.group = ch_group,
	.buckets = ch_buckets,
	.annot_mark = a_mark,
	.annot_is_marked = a_is_marked,
	.annot_markers = a_markers,
	.annot_mark_next = a_mark_next,
	.annot_tag_add = a_tag_add,
	.annot_tag_remove = a_tag_remove,
	.annot_note_set = a_note_set,
	.annot_note_delete = a_note_delete,
	.annot_get = a_get,
	.annot_get_key = a_get_key,
	.annot_apply = a_apply,
	.annot_apply_events = a_apply_events,
	.annot_counts = a_counts,
	.annot_view_save = a_view_save,
	.annot_view_get = a_view_get,
	.annot_view_delete = a_view_delete,
	.annot_view_each = a_view_each,
	.notes_export = a_notes_export,
	.notes_import = a_notes_import,
	.value_find = ch_value_find,
	.pick = ch_pick,
	.raw_each = ch_raw_each,
	.gather = ch_gather,
	.reused = ch_reused,
	.apps_get = a_apps_get,
	.apps_each = a_apps_each,
	.apps_put = a_apps_put,
	.scan_timeline = ch_scan_timeline,
	.annot_each_key = a_each_key,
	.value_places = ch_value_places,
	.marked_mailboxes = ch_marked_mailboxes,
	.marked_messages = ch_marked_messages,
	.places_enrich = ch_places_enrich,
	.places_databases = ch_places_databases,
	.places_unplaced = ch_places_unplaced,
	.place_get = ch_place_get,
	.places_each = ch_places_each,
	.places_of_ids = ch_places_of_ids,
};
