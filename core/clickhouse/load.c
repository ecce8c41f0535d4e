/*
 * load.c: the ClickHouse store's bulk load (store.h's store_load_*).
 *
 * The sink turns each event into a RowBinary row of events (and one of
 * raw) in memory; every batch (100,000 events, or 128 MB of raw records;
 * AUDITSCOPE_CH_BATCH=N for N events, a knob for tests)
 * is sent as two INSERTs over a keep-alive connection: raw first, then
 * events, whose INSERT is the batch's commit (one block: ClickHouse
 * writes it as one part or not at all). Then the source's counters and
 * the batch's rejects commit in the side file.
 *
 * The two INSERTs run in a thread of their own (with its own connection)
 * while the sink parses and encodes the next batch: the server's insert
 * (every view of events) is most of a load's time, and the client's part
 * then costs no wall time. One batch is in flight at most; anything that
 * writes the side file (a duplicate within the batch, a reject, the next
 * batch's lookup, a source's end) waits for it first, so that the side
 * file commits only what the server has, batch by batch, as before.
 *
 * Dedup: an event's id is a hash of (kind, record id), so a duplicate is
 * an id already seen: within the batch (a map of the batch's ids), or
 * on the server (one lookup of the batch's ids, as external data, before
 * each INSERT, skipped while the database was empty at the start and no
 * batch has been sent; the raw table, ordered by id, answers which ids
 * are there at all, and only those are read from events, whose order is
 * by time). The duplicate counts are therefore exact; the
 * events table's ReplacingMergeTree is only a backstop. Ids of two
 * different records that collide (2^-63 a pair; 2^-47 within one operation,
 * ch_event_id) are told apart by their
 * keys, and the newcomer probes the next id.
 *
 * A batch whose INSERT fails (the server restarted, a network error) is
 * retried, after a fresh dedup lookup, for up to AUDITSCOPE_CH_RETRY
 * seconds (default 20); then the load stops with the server's one-line
 * error. Everything committed before stays; running the same load again
 * completes it, since what it finds again is a duplicate.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ch.h"
#include "stopsig.h"
#include "xalloc.h"

/* A batch's raw records at most (the events' rows are about a third of
 * that). Few large batches matter more here than memory: each INSERT is
 * a part of events, of raw and of every pivot copy, which the server
 * merges again and again: at 1M events, 32 MB batches (about 21,000 of
 * these records) cost the server 41.7 s of CPU, 160 MB ones 26.4 s. */
#define RAW_MAX ((size_t)128 << 20)

struct pend {
	int64_t id, ts, line, source;
	int kind, rich;
	size_t rid, rid_n; /* into ridbuf */
	size_t ev, raw;    /* row offsets into evbuf and rawbuf */
	bool dup;          /* not to be sent */
	bool checked;      /* looked up on the server already */
	bool isnew;        /* counted as a new event */
	bool dupcounted;   /* counted as a duplicate after a lookup (once, retries or not) */
};

/* One batch: its events' rows (evbuf), raw rows (rawbuf), record ids
 * (ridbuf), and what its lookups found. */
struct batch {
	struct pend *p;
	size_t n, cap;
	struct util_buf evbuf, rawbuf, ridbuf;
	struct util_imap inbatch;  /* id -> index + 1 */
	struct util_ivec repl;     /* stored events a richer copy replaces */
	struct util_ivec repl_raw; /* ... and the seenraw id of each one's record */
	/* the batch's own copies that a richer one after them replaced:
	 * seenraw's rows (id, event, raw), sent before the batch */
	struct util_buf seenbuf;
	/* lines of the same source repeating a pending event (pairs: the
	 * pending event's index, the line): seen in that source too when
	 * the stored copy turns out to come from another one */
	struct util_ivec again;
	/* while in flight: the bodies sent (copies without the duplicates,
	 * when there are any), the source's counts once it is in */
	struct util_buf evbody, rawbody;
	struct util_buf valbody; /* its distinct values (valsin) */
	struct store_counts c;
};

/* The batch in flight: its INSERTs on the sender thread. */
struct flight {
	pthread_t th;
	struct ch_conn *conn; /* the thread's own connection */
	const char *db;
	const char *raw, *ev; /* the bodies */
	size_t nraw, nev;
	struct batch *bt; /* its values (valsin), when vals */
	bool vals;
	int r;
	char *err;
};

struct ch_load {
	struct store_load base;
	struct ch_store *s;
	unsigned batch;
	bool check_server;
	int64_t source;
	struct store_counts c; /* the current source's */
	struct batch b[2];
	struct batch *cur; /* being filled */
	struct batch *fly; /* being sent (NULL: none) */
	struct flight f;
	bool side_txn;
	bool mutated;              /* replaced copies were deleted: wait for it at the end */
	struct util_imap replaced; /* the ids of those: a later batch waits */
	char *error;               /* sticky */
};

#define LD(x) ((struct ch_load *)(x))

static int insert(struct ch_conn *conn, const char *db, const char *table, const char *cols, const char *p,
		  size_t n, char **cause);
static void wait_mutations(struct ch_load *ld);

static void put_json_str(struct util_buf *b, struct sv v)
{
	if (!v.p) {
		util_buf_puts(b, "null");
		return;
	}
	util_buf_putc(b, '"');
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c == '"' || c == '\\') {
			util_buf_putc(b, '\\');
			util_buf_putc(b, (char)c);
		} else if (c < 0x20) {
			util_buf_printf(b, "\\u%04x", c);
		} else {
			util_buf_putc(b, (char)c);
		}
	}
	util_buf_putc(b, '"');
}

/* How much a copy of an event tells (as the SQLite store counts it):
 * its fields, its messages, less than anything when PowerShell cut it. */
static int richness(const struct event *ev)
{
	int n = 0;
#define X(name) n += ev->name.p && ev->name.n;
	EVENT_TEXT_FIELDS(X)
#undef X
	if (ev->nmsgs)
		n += 2;
	return (ev->flags & EVF_PS_TRUNCATED) ? n - 100 : n;
}

/* The same over a stored row. */
static const char rich_sql[] =
	"(record_id != '') + (op != '') + (rtype != '') + (workload != '') + (user != '') + (app != '')"
	" + (client_app != '') + (ip != '') + (host != '') + (result != '') + (session != '') + (token != '')"
	" + (mailbox != '') + (access != '') + (client_info != '') + (detail != '') + 2 * (nmsgs > 0)"
	" - 100 * (bitAnd(flags, 4) != 0)";

static int fail(struct ch_load *ld, char **cause)
{
	if (cause)
		*cause = xstrdup(ld->error);
	return -1;
}

static int finish(struct ch_load *ld, char **cause);

/* The side file's transaction for what comes now: a batch in flight is
 * finished first (its own writes commit with it, once the server has
 * it). */
static int side_begin(struct ch_load *ld, char **cause)
{
	if (ld->fly && finish(ld, cause) < 0)
		return -1;
	if (ld->side_txn)
		return 0;
	if (ch_side_begin(ld->s->side, cause) < 0)
		return -1;
	ld->side_txn = true;
	return 0;
}

/* A duplicate found on the server: counted in the source's counts and,
 * for a batch in flight, in the counts it commits (also). */
static void count_dup(struct ch_load *ld, struct store_counts *also)
{
	ld->c.events--;
	ld->c.duplicates++;
	if (also) {
		also->events--;
		also->duplicates++;
	}
}

/* Look the batch's ids up on the server: duplicates, richer copies
 * (which replace the stored one), collisions (the next id). */
static int dedup_server(struct ch_load *ld, struct batch *bt, struct store_counts *also, char **cause)
{
	struct util_buf data = { 0 }, out = { 0 };
	for (size_t i = 0; i < bt->n; i++)
		if (!bt->p[i].dup && !bt->p[i].checked)
			ch_tsv_i64(&data, bt->p[i].id);
	if (!data.n)
		return 0;
	/* which of them the server has (raw's key is the id: a read of the
	 * granules that may hold them, where events would be read whole) */
	char *sql =
		xasprintf("SELECT DISTINCT id FROM %s.raw WHERE id IN ids FORMAT TabSeparated", ld->s->url.db);
	if (ch_read_ext(ld->s->conn, sql, "ids", "id Int64", &data, &out, cause) < 0)
		return -1;
	if (!out.n) {
		util_buf_free(&out);
		return 0;
	}
	/* a copy this load stored in place of another may be looked up (and
	 * its record kept) only once the old one's delete is done: both are
	 * in events and raw until then */
	for (const char *p = out.p, *e = out.p + out.n; ld->mutated && p < e;) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		if (util_imap_get(&ld->replaced, (uint64_t)strtoll(p, NULL, 10))) {
			wait_mutations(ld);
			break;
		}
		p = nl ? nl + 1 : e;
	}
	/* the stored events of those: their keys, richness and source */
	data = out;
	out = (struct util_buf){ 0 };
	sql = xasprintf("SELECT id, record_id, kind, toInt64(%s), source, line FROM %s.events WHERE id IN ids"
			" FORMAT RowBinary",
			rich_sql, ld->s->url.db);
	int r = ch_read_ext(ld->s->conn, sql, "ids", "id Int64", &data, &out, cause);
	struct ch_rd rd = { out.p, out.p + out.n, false };
	while (r == 0 && rd.p < rd.end) {
		int64_t id = ch_rd_i64(&rd);
		size_t rn;
		const char *rid = ch_rd_str(&rd, &rn);
		int kind = ch_rd_u8(&rd);
		int64_t old_rich = ch_rd_i64(&rd), old_source = ch_rd_i64(&rd), old_line = ch_rd_i64(&rd);
		if (rd.bad)
			break;
		const int64_t *k = util_imap_get(&bt->inbatch, (uint64_t)id);
		if (!k)
			continue;
		struct pend *pe = &bt->p[*k - 1];
		if (pe->dup || pe->checked)
			continue;
		if (pe->kind == kind && pe->rid_n == rn && !memcmp(bt->ridbuf.p + pe->rid, rid, rn)) {
			pe->checked = true;
			pe->isnew = false;
			bool first = !pe->dupcounted;
			if (first) {
				pe->dupcounted = true;
				count_dup(ld, also);
			}
			if (old_source == pe->source) {
				pe->dup = true; /* the same export repeating itself */
				continue;
			}
			int64_t seen_source = pe->source, seen_line = pe->line, seen_raw = 0;
			if (pe->rich > old_rich) {
				/* this copy tells more: it replaces the stored one,
				 * whose record is kept (delete_replaced) */
				seen_raw = ch_seen_raw_id(id, old_source, old_line);
				util_ivec_push(&bt->repl, id);
				util_ivec_push(&bt->repl_raw, seen_raw);
				seen_source = old_source;
				seen_line = old_line;
			} else {
				pe->dup = true;
			}
			if (first &&
			    (side_begin(ld, cause) < 0 ||
			     ch_side_seen(ld->s->side, id, seen_source, seen_line, seen_raw, cause) < 0))
				r = -1;
			for (size_t a = 0; first && pe->dup && r == 0 && a + 1 < bt->again.n; a += 2)
				if (bt->again.v[a] == (int64_t)(pe - bt->p))
					r = ch_side_seen(ld->s->side, id, pe->source, bt->again.v[a + 1], 0,
							 cause);
		} else {
			/* another record with the same id: the next one */
			int64_t nid = (id + 1) & INT64_MAX;
			pe->id = nid ? nid : 1;
			char t[8];
			uint64_t u = (uint64_t)pe->id;
			for (int i = 0; i < 8; i++)
				t[i] = (char)(u >> (8 * i));
			memcpy(bt->evbuf.p + pe->ev, t, 8);
			memcpy(bt->rawbuf.p + pe->raw, t, 8);
		}
	}
	util_buf_free(&out);
	if (r == 0 && rd.bad)
		r = set_cause(cause, "%s: short answer to a duplicate lookup", ch_conn_name(ld->s->conn));
	return r;
}

/* Keep the records of the copies richer ones replace, in seenraw under
 * the ids the side file's seen rows name: the batch's own (seenbuf), and
 * the stored ones, copied from raw on the server before their delete
 * (the pairs as external data: a statement's text is at most 256 KB).
 * Sent again after a retry, the same rows collapse (same ids). */
static int keep_replaced(struct ch_load *ld, struct batch *bt, char **cause)
{
	if (!ld->s->seenraw)
		return 0;
	const char *db = ld->s->url.db;
	if (insert(ld->s->conn, db, "seenraw", "id, event, raw", bt->seenbuf.p, bt->seenbuf.n, cause) < 0)
		return -1;
	if (!bt->repl.n)
		return 0;
	struct util_buf pairs = { 0 };
	for (size_t i = 0; i < bt->repl.n; i++) {
		util_buf_printf(&pairs, "%lld\t", (long long)bt->repl.v[i]);
		ch_tsv_i64(&pairs, bt->repl_raw.v[i]);
	}
	char *sql = xasprintf("INSERT INTO %s.seenraw (id, event, raw) SELECT rid, id, raw FROM %s.raw"
			      " ANY INNER JOIN repl USING id WHERE id IN (SELECT id FROM repl)",
			      db, db);
	struct ch_ext ext = { "repl", "id Int64, rid Int64", pairs.p, pairs.n };
	struct ch_req req = { .sql = sql, .write = true, .ext = &ext, .next = 1 };
	int r = ch_run(ld->s->conn, &req, cause);
	free(sql);
	util_buf_free(&pairs);
	return r;
}

/* Ids a statement of delete_replaced names at most (their text within
 * the server's max_query_size, 256 KB: 20 characters an id). */
#define DELETE_IDS 8192

/* Delete the stored copies richer ones replace (a mutation of events,
 * raw and each pivot copy; it applies to the rows stored before it, so
 * the new copies inserted next stay), their records kept first. */
static int delete_replaced(struct ch_load *ld, struct batch *bt, char **cause)
{
	if (keep_replaced(ld, bt, cause) < 0)
		return -1;
	if (!bt->repl.n)
		return 0;
	for (size_t i = 0; i < bt->repl.n; i++)
		*util_imap_slot(&ld->replaced, (uint64_t)bt->repl.v[i], 0, NULL) = 1;
	/* the kept stacks cannot take the old copies out */
	int r = ld->s->stacks || ld->s->hgrp ? ch_delete_stacks(ld->s, cause) : 0;
	char **tables = ch_event_tables(ld->s);
	struct util_buf ids = { 0 };
	for (size_t at = 0; r == 0 && at < bt->repl.n; at += DELETE_IDS) {
		ids.n = 0;
		for (size_t i = at; i < bt->repl.n && i < at + DELETE_IDS; i++)
			util_buf_printf(&ids, "%s%lld", i > at ? ", " : "", (long long)bt->repl.v[i]);
		for (size_t t = 0; r == 0 && tables[t]; t++) {
			char *sql = xasprintf("ALTER TABLE %s DELETE WHERE id IN (%s)", tables[t],
					      util_buf_str(&ids));
			r = ch_exec(ld->s->conn, sql, true, NULL, cause);
			free(sql);
		}
	}
	for (size_t t = 0; tables[t]; t++)
		free(tables[t]);
	free(tables);
	util_buf_free(&ids);
	if (r == 0)
		ld->mutated = true;
	return r;
}

/* The rows of all (evbuf: field 0, rawbuf: 1) not marked duplicate, in
 * order: the batch's buffer as it is when none is (no copy of a hundred
 * megabytes), else a copy in body. */
static void body_of(const struct batch *bt, const struct util_buf *all, size_t field, struct util_buf *body,
		    const char **p, size_t *n)
{
	size_t ndup = 0;
	for (size_t i = 0; i < bt->n; i++)
		ndup += bt->p[i].dup;
	body->n = 0;
	for (size_t i = 0; ndup && i < bt->n; i++) {
		if (bt->p[i].dup)
			continue;
		size_t a = field ? bt->p[i].raw : bt->p[i].ev;
		size_t b = i + 1 < bt->n ? (field ? bt->p[i + 1].raw : bt->p[i + 1].ev) : all->n;
		util_buf_add(body, all->p + a, b - a);
	}
	*p = ndup ? body->p : all->p;
	*n = ndup ? body->n : all->n;
}

static const char ev_insert_cols[] =
	"id, ts, kind, record_id, op, rtype, workload, user, app, client_app, ip,"
	" host, result, session, token, mailbox, access, client_info, detail, op_count,"
	" flags, source, line, nmsgs, msgs";

static int insert(struct ch_conn *conn, const char *db, const char *table, const char *cols, const char *p,
		  size_t n, char **cause)
{
	if (!n)
		return 0;
	char *sql = xasprintf("INSERT INTO %s.%s (%s) FORMAT RowBinary", db, table, cols);
	struct ch_req req = { .sql = sql, .write = true, .body = p, .body_len = n };
	int r = ch_run(conn, &req, cause);
	free(sql);
	return r;
}

/* The distinct values of the batch's events that are sent (store.c:
 * valsin), into bt->valbody. Read back from the events' rows: id, ts
 * and kind, then record_id and the fifteen fields vals keeps. */
static void batch_values(struct batch *bt)
{
	struct util_buf *out = &bt->valbody;
	struct util_imap seen = { 0 }; /* hash -> offset in out */
	out->n = 0;
	for (size_t i = 0; i < bt->n; i++) {
		if (bt->p[i].dup)
			continue;
		struct ch_rd rd = { bt->evbuf.p + bt->p[i].ev + 17, bt->evbuf.p + bt->evbuf.n, false };
		size_t n;
		ch_rd_str(&rd, &n); /* record_id */
		for (int f = 0; f < 15 && !rd.bad; f++) {
			const char *v = ch_rd_str(&rd, &n);
			if (rd.bad || !n)
				continue;
			bool isnew;
			int64_t *at = util_imap_slot(&seen, util_hash_bytes(v, n, 0x76616c73) | 1, 0, &isnew);
			if (!isnew) {
				struct ch_rd o = { out->p + *at, out->p + out->n, false };
				size_t on;
				const char *ov = ch_rd_str(&o, &on);
				if (on == n && !memcmp(ov, v, n))
					continue; /* (another value of the same hash is sent too) */
			} else {
				*at = (int64_t)out->n;
			}
			ch_put_str(out, v, n);
		}
	}
	util_imap_free(&seen);
}

/* A batch's INSERTs: raw first, so that an event in events always has
 * its raw record (the lookups read raw), and its values before it. */
static int send_bodies(struct flight *f, char **cause)
{
	if (insert(f->conn, f->db, "raw", "id, raw", f->raw, f->nraw, cause) < 0)
		return -1;
	if (f->vals) {
		batch_values(f->bt);
		if (insert(f->conn, f->db, "valsin", "v", f->bt->valbody.p, f->bt->valbody.n, cause) < 0)
			return -1;
	}
	return insert(f->conn, f->db, "events", ev_insert_cols, f->ev, f->nev, cause);
}

static void *sender(void *arg)
{
	struct flight *f = arg;
	f->r = send_bodies(f, &f->err);
	return NULL;
}

/* The batch's time span, before its events (store.c: create_spans). */
static int insert_span(struct ch_load *ld, struct batch *bt, char **cause)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN, n = 0;
	for (size_t i = 0; i < bt->n; i++) {
		if (bt->p[i].dup)
			continue;
		lo = bt->p[i].ts < lo ? bt->p[i].ts : lo;
		hi = bt->p[i].ts > hi ? bt->p[i].ts : hi;
		n++;
	}
	if (!n || !ld->s->spans)
		return 0;
	struct util_buf body = { 0 };
	ch_put_i64(&body, lo);
	ch_put_i64(&body, hi);
	ch_put_i64(&body, n);
	char *sql = xasprintf("INSERT INTO %s.spans (lo, hi, n) FORMAT RowBinary", ld->s->url.db);
	struct ch_req req = { .sql = sql, .write = true, .body = body.p, .body_len = body.n };
	int r = ch_run(ld->s->conn, &req, cause);
	free(sql);
	util_buf_free(&body);
	return r;
}

static int retry_seconds(void)
{
	const char *e = getenv("AUDITSCOPE_CH_RETRY");
	return e && *e ? atoi(e) : 20;
}

/* What comes before a batch's INSERTs: the lookup of its ids, the
 * deletes of the copies it replaces, its span. */
static int prepare(struct ch_load *ld, struct batch *bt, struct store_counts *also, char **cause)
{
	if (ld->check_server && dedup_server(ld, bt, also, cause) < 0)
		return -1;
	if (delete_replaced(ld, bt, cause) < 0)
		return -1;
	return insert_span(ld, bt, cause);
}

static void flight_bodies(struct ch_load *ld, struct batch *bt)
{
	body_of(bt, &bt->rawbuf, 1, &bt->rawbody, &ld->f.raw, &ld->f.nraw);
	body_of(bt, &bt->evbuf, 0, &bt->evbody, &ld->f.ev, &ld->f.nev);
	ld->f.bt = bt;
	ld->f.vals = ld->s->valsin;
}

/* Send bt on the calling thread, as long as the server cannot be reached
 * and until has not passed (it may be restarting: look again before
 * resending, the INSERT may have landed). err: the error of a try that
 * failed already (freed), or NULL to try at once. */
static int send_now(struct ch_load *ld, struct batch *bt, struct store_counts *also, time_t until, char *err,
		    char **out)
{
	int r = err ? -1 : 0;
	for (bool tried = err != NULL;; tried = true) {
		if (tried) {
			if (time(NULL) >= until || !strstr(err, "cannot reach"))
				break;
			ld->check_server = true;
			for (size_t i = 0; i < bt->n; i++)
				bt->p[i].checked = false;
			bt->repl.n = bt->repl_raw.n = 0;
			sleep(1);
			free(err);
			err = NULL;
		}
		r = prepare(ld, bt, also, &err);
		if (r == 0) {
			flight_bodies(ld, bt);
			r = send_bodies(&ld->f, &err);
		}
		if (r == 0)
			break;
	}
	*out = err;
	return r;
}

/* The times of what a batch inserts (new or a richer copy), as the
 * SQLite store counts them. */
static void count_times(struct ch_load *ld, const struct batch *bt)
{
	for (size_t i = 0; i < bt->n; i++) {
		if (bt->p[i].dup && !bt->p[i].isnew)
			continue;
		if (bt->p[i].ts < ld->c.first_ts)
			ld->c.first_ts = bt->p[i].ts;
		if (bt->p[i].ts > ld->c.last_ts)
			ld->c.last_ts = bt->p[i].ts;
	}
}

static void batch_clear(struct batch *bt)
{
	bt->n = 0;
	bt->repl.n = bt->repl_raw.n = 0;
	bt->seenbuf.n = 0;
	bt->again.n = 0;
	bt->evbuf.n = bt->rawbuf.n = bt->ridbuf.n = 0;
	bt->evbody.n = bt->rawbody.n = bt->valbody.n = 0;
	util_imap_free(&bt->inbatch);
}

/* Commit the side file: the source's counts c and whatever the batch
 * (or the rejects after it) wrote there. */
static int commit_side(struct ch_load *ld, const struct store_counts *c, int r, char **cause)
{
	if (r == 0 && ld->source) {
		if (!ld->side_txn) {
			if (ch_side_begin(ld->s->side, cause) < 0)
				r = -1;
			else
				ld->side_txn = true;
		}
		if (r == 0 && ch_side_source_counts(ld->s->side, ld->source, c, cause) < 0)
			r = -1;
	}
	if (ld->side_txn) {
		if (r == 0)
			r = ch_side_commit(ld->s->side, cause);
		else
			ch_side_rollback(ld->s->side);
		ld->side_txn = false;
	}
	return r;
}

static void stop(struct ch_load *ld, char *err)
{
	if (!ld->error)
		ld->error = err ? err : xstrdup("load stopped");
	else
		free(err);
	if (ld->side_txn)
		ch_side_rollback(ld->s->side);
	ld->side_txn = false;
}

/* Wait for the batch in flight; a server that could not be reached gets
 * it again (send_now); then its side file's part commits. */
static int finish(struct ch_load *ld, char **cause)
{
	struct batch *bt = ld->fly;
	if (!bt)
		return ld->error ? fail(ld, cause) : 0;
	pthread_join(ld->f.th, NULL);
	ld->fly = NULL;
	char *err = ld->f.err;
	ld->f.err = NULL;
	int r = ld->f.r;
	if (r < 0)
		r = send_now(ld, bt, &bt->c, time(NULL) + retry_seconds(), err, &err);
	if (r < 0) {
		stop(ld, err);
		batch_clear(bt);
		return fail(ld, cause);
	}
	free(err);
	err = NULL;
	r = commit_side(ld, &bt->c, 0, &err);
	batch_clear(bt);
	if (r < 0) {
		stop(ld, err);
		return fail(ld, cause);
	}
	return 0;
}

/* Send the current batch: in flight (wait false: the sink goes on with
 * the next one), or to the end with the side file committed. */
static int flush(struct ch_load *ld, bool wait, char **cause)
{
	if (ld->error)
		return fail(ld, cause);
	struct batch *bt = ld->cur;
	if (bt->n) {
		/* the batch before is in first: the lookup must see it */
		if (finish(ld, cause) < 0)
			return -1;
		char *err = NULL;
		int r = prepare(ld, bt, NULL, &err);
		bool flying = false;
		if (r == 0) {
			count_times(ld, bt);
			ld->check_server = true;
			bt->c = ld->c;
			flight_bodies(ld, bt);
			ld->f.r = 0;
			ld->f.err = NULL;
			flying = stopsig_thread(&ld->f.th, sender, &ld->f) == 0;
			if (flying) {
				ld->fly = bt;
				ld->cur = bt == &ld->b[0] ? &ld->b[1] : &ld->b[0];
			} else {
				r = send_bodies(&ld->f, &err);
			}
		}
		if (r < 0 && !flying) {
			/* (times counted again after the retry: the same) */
			r = send_now(ld, bt, NULL, time(NULL) + retry_seconds(), err, &err);
			if (r == 0) {
				count_times(ld, bt);
				ld->check_server = true;
			}
		}
		if (r < 0) {
			stop(ld, err);
			batch_clear(bt);
			return fail(ld, cause);
		}
		free(err);
		if (!flying) {
			bt->c = ld->c;
			ld->fly = NULL;
			char *e2 = NULL;
			r = commit_side(ld, &ld->c, 0, &e2);
			batch_clear(bt);
			if (r < 0) {
				stop(ld, e2);
				return fail(ld, cause);
			}
		}
		if (!wait)
			return 0;
	}
	if (finish(ld, cause) < 0)
		return -1;
	/* the counts as they are now (rejects and duplicates after the last
	 * batch) */
	char *err = NULL;
	if (commit_side(ld, &ld->c, 0, &err) < 0) {
		stop(ld, err);
		return fail(ld, cause);
	}
	return 0;
}

static int sink_event(void *ctx, const struct event *ev, char **cause)
{
	struct ch_load *ld = ctx;
	if (ld->error)
		return fail(ld, cause);
	ld->c.records++;
	bool replacing = false;
	const char *rid = ev->record_id.p ? ev->record_id.p : "";
	size_t rn = ev->record_id.p ? ev->record_id.n : 0;
	int64_t id = ch_event_id(ev->kind, rid, rn, ld->s->opids ? &ev->op : NULL);
	struct batch *bt = ld->cur;
	/* within the batch */
	for (;;) {
		const int64_t *k = util_imap_get(&bt->inbatch, (uint64_t)id);
		if (!k)
			break;
		struct pend *pe = &bt->p[*k - 1];
		if (pe->kind == ev->kind && pe->rid_n == rn && !memcmp(bt->ridbuf.p + pe->rid, rid, rn)) {
			ld->c.duplicates++;
			if (pe->source == ld->source) {
				/* the same export repeating itself */
				util_ivec_push(&bt->again, (int64_t)(pe - bt->p));
				util_ivec_push(&bt->again, (int64_t)ev->line);
				return 0;
			}
			int rich = richness(ev);
			if (rich <= pe->rich)
				return side_begin(ld, cause) < 0 ||
						       ch_side_seen(ld->s->side, pe->id, ld->source,
								    (int64_t)ev->line, 0, cause) < 0
					       ? -1
					       : 0;
			/* a richer copy: the pending one gives way (it stays the
			 * new event that was counted; this one is a duplicate),
			 * its record kept in seenraw (its raw row, from after
			 * the id to the next row's) */
			replacing = true;
			int64_t seen_raw = ch_seen_raw_id(pe->id, pe->source, pe->line);
			size_t a = pe->raw + 8, b = pe + 1 < bt->p + bt->n ? pe[1].raw : bt->rawbuf.n;
			ch_put_i64(&bt->seenbuf, seen_raw);
			ch_put_i64(&bt->seenbuf, pe->id);
			util_buf_add(&bt->seenbuf, bt->rawbuf.p + a, b - a);
			if (side_begin(ld, cause) < 0 ||
			    ch_side_seen(ld->s->side, pe->id, pe->source, pe->line, seen_raw, cause) < 0)
				return -1;
			pe->dup = true;
			ld->c.events--; /* (counted again below) */
			break;
		}
		id = (id + 1) & INT64_MAX;
		if (!id)
			id = 1;
	}
	bt->p = xgrow(bt->p, &bt->cap, bt->n + 1, sizeof *bt->p);
	struct pend *pe = &bt->p[bt->n];
	*pe = (struct pend){ .id = id,
			     .ts = ev->ts,
			     .line = (int64_t)ev->line,
			     .source = ld->source,
			     .kind = ev->kind,
			     .rich = richness(ev),
			     .isnew = !replacing,
			     .rid = bt->ridbuf.n,
			     .rid_n = rn,
			     .ev = bt->evbuf.n,
			     .raw = bt->rawbuf.n };
	util_buf_add(&bt->ridbuf, rid, rn);
	*util_imap_slot(&bt->inbatch, (uint64_t)id, 0, NULL) = (int64_t)bt->n + 1;
	bt->n++;
	struct util_buf *b = &bt->evbuf;
	ch_put_i64(b, id);
	ch_put_i64(b, ev->ts);
	ch_put_u8(b, (uint8_t)ev->kind);
#define X(name) ch_put_str(b, ev->name.p ? ev->name.p : "", ev->name.p ? ev->name.n : 0);
	EVENT_TEXT_FIELDS(X)
#undef X
	ch_put_i64(b, ev->op_count);
	ch_put_u32(b, ev->flags);
	ch_put_i64(b, ld->source);
	ch_put_i64(b, (int64_t)ev->line);
	ch_put_u32(b, (uint32_t)ev->nmsgs);
	if (ev->nmsgs) {
		struct util_buf j = { 0 };
		util_buf_putc(&j, '[');
		for (size_t i = 0; i < ev->nmsgs; i++) {
			if (i)
				util_buf_putc(&j, ',');
			util_buf_putc(&j, '[');
			put_json_str(&j, ev->msgs[i].folder);
			util_buf_putc(&j, ',');
			put_json_str(&j, ev->msgs[i].msgid);
			if (ev->msgs[i].size >= 0)
				util_buf_printf(&j, ",%lld]", (long long)ev->msgs[i].size);
			else
				util_buf_puts(&j, ",null]");
		}
		util_buf_putc(&j, ']');
		ch_put_str(b, j.p, j.n);
		util_buf_free(&j);
	} else {
		ch_put_str(b, "", 0);
	}
	ch_put_i64(&bt->rawbuf, id);
	ch_put_str(&bt->rawbuf, ev->raw.p ? ev->raw.p : "", ev->raw.p ? ev->raw.n : 0);
	ld->c.events++;
	if (bt->n >= ld->batch || bt->rawbuf.n >= RAW_MAX)
		return flush(ld, false, cause);
	return 0;
}

static int sink_reject(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause)
{
	struct ch_load *ld = ctx;
	if (ld->error)
		return fail(ld, cause);
	ld->c.records++;
	int kept;
	if (side_begin(ld, cause) < 0 ||
	    (kept = ch_side_reject(ld->s->side, ld->source, (int64_t)line, why, raw, n, cause)) < 0)
		return -1;
	/* a row already kept (the same file again) is a duplicate */
	if (kept)
		ld->c.rejects++;
	else
		ld->c.duplicates++;
	return 0;
}

void ch_load_sink(struct store_load *base, struct sink *out)
{
	out->event = sink_event;
	out->reject = sink_reject;
	out->ctx = base;
	out->room = NULL;
}

static void reset_counts(struct ch_load *ld)
{
	memset(&ld->c, 0, sizeof ld->c);
	ld->c.first_ts = INT64_MAX;
	ld->c.last_ts = INT64_MIN;
}

struct store_load *ch_load_begin(struct store *st, char **cause)
{
	struct ch_store *s = CH(st);
	if (s->readonly) {
		set_cause(cause, "%s: opened read-only", ch_conn_name(s->conn));
		return NULL;
	}
	struct ch_load *ld = xcalloc(1, sizeof *ld);
	ld->base.st = st;
	ld->s = s;
	ld->cur = &ld->b[0];
	ld->f.conn = ch_conn_new(&s->url);
	ld->f.db = s->url.db;
	ld->batch = 100000;
	const char *e = getenv("AUDITSCOPE_CH_BATCH"); /* a knob for tests */
	if (e && atoi(e) > 0)
		ld->batch = (unsigned)atoi(e);
	reset_counts(ld);
	ch_side_interrupted(s->side);
	struct util_buf out = { 0 };
	char *sql = xasprintf("SELECT count() FROM %s.events FORMAT TabSeparated", s->url.db);
	int r = ch_exec(s->conn, sql, false, &out, cause);
	free(sql);
	ld->check_server = r < 0 || atoll(util_buf_str(&out)) > 0;
	util_buf_free(&out);
	if (r < 0) {
		ch_conn_free(ld->f.conn);
		free(ld);
		return NULL;
	}
	return &ld->base;
}

void ch_load_set_batch(struct store_load *base, unsigned n)
{
	LD(base)->batch = n ? n : 1;
}

void ch_load_set_ridmap_max(struct store_load *base, size_t n)
{
	(void)base;
	(void)n; /* no in-memory id table: the server is asked each batch */
}

int ch_load_sync(struct store_load *base, char **cause)
{
	return flush(LD(base), true, cause);
}

void ch_load_counts(struct store_load *base, struct store_counts *out)
{
	*out = LD(base)->c;
}

int ch_load_source(struct store_load *base, const char *path, int64_t bytes, char **cause)
{
	struct ch_load *ld = LD(base);
	if (flush(ld, true, cause) < 0)
		return -1;
	reset_counts(ld);
	return ch_side_source_new(ld->s->side, path, bytes, &ld->source, cause);
}

int ch_load_source_bytes(struct store_load *base, int64_t bytes, char **cause)
{
	return ch_side_source_bytes(LD(base)->s->side, LD(base)->source, bytes, cause);
}

int ch_load_source_end(struct store_load *base, const char *sha256, const char *format, const char *encoding,
		       const char *status, const char *warning, char **cause)
{
	struct ch_load *ld = LD(base);
	/* a source that failed still gets its status, whatever the batch did */
	int r = flush(ld, true, cause);
	char *c2 = NULL;
	if (ch_side_source_end(ld->s->side, ld->source, sha256, format, encoding,
			       r < 0 && !strncmp(status, "complete", 8) ? "interrupted" : status, warning,
			       r < 0 ? &c2 : cause) < 0 &&
	    r == 0)
		r = -1;
	free(c2);
	ld->source = 0;
	return r;
}

static void load_free(struct ch_load *ld)
{
	if (ld->fly) {
		pthread_join(ld->f.th, NULL);
		free(ld->f.err);
	}
	if (ld->side_txn)
		ch_side_rollback(ld->s->side);
	for (size_t i = 0; i < 2; i++) {
		struct batch *bt = &ld->b[i];
		util_buf_free(&bt->evbuf);
		util_buf_free(&bt->rawbuf);
		util_buf_free(&bt->ridbuf);
		util_buf_free(&bt->evbody);
		util_buf_free(&bt->rawbody);
		util_buf_free(&bt->valbody);
		util_imap_free(&bt->inbatch);
		util_ivec_free(&bt->repl);
		util_ivec_free(&bt->repl_raw);
		util_buf_free(&bt->seenbuf);
		util_ivec_free(&bt->again);
		free(bt->p);
	}
	util_imap_free(&ld->replaced);
	ch_conn_free(ld->f.conn);
	free(ld->error);
	free(ld);
}

/* Wait (up to a minute) until the deletes of replaced copies are done,
 * so that what the load reports is what reads see. */
static void wait_mutations(struct ch_load *ld)
{
	struct util_buf sql = { 0 };
	util_buf_puts(&sql, "SELECT count() FROM system.mutations WHERE is_done = 0 AND database = ");
	ch_quote(&sql, ld->s->url.db, strlen(ld->s->url.db));
	util_buf_puts(&sql, " FORMAT TabSeparated");
	for (int i = 0; i < 600; i++) {
		struct util_buf out = { 0 };
		int r = ch_exec(ld->s->conn, util_buf_str(&sql), false, &out, NULL);
		long long n = atoll(util_buf_str(&out));
		util_buf_free(&out);
		if (r < 0 || n == 0)
			break;
		usleep(100000);
	}
	util_buf_free(&sql);
}

int ch_load_end(struct store_load *base, char **cause)
{
	struct ch_load *ld = LD(base);
	int r = flush(ld, true, cause);
	/* every row sent: what follows is the server's work */
	store_load_streamed(base);
	if (ld->mutated)
		wait_mutations(ld);
	/* the kept stacks, dropped when copies were replaced (this load or
	 * one that stopped), made again from the events now there; only in
	 * a database that had them (store.c: those with idform) */
	if (r == 0 && ld->s->opids && !ld->s->stacks)
		r = ch_make_stacks(ld->s, true, cause);
	/* the hunts' groups likewise (store.c), in a database with hev */
	if (r == 0 && ld->s->hev && !ld->s->hgrp)
		r = ch_make_hgrp(ld->s, true, cause);
	load_free(ld);
	return r;
}

void ch_load_abort(struct store_load *base)
{
	struct ch_load *ld = LD(base);
	if (!ld)
		return;
	/* keep what was read: one more batch */
	if (!ld->error)
		flush(ld, true, NULL);
	load_free(ld);
}
