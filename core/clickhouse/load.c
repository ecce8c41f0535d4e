/*
 * load.c: the ClickHouse store's bulk load (store.h's store_load_*).
 *
 * The sink turns each event into a RowBinary row of events (and one of
 * raw) in memory; every batch (100,000 events, or 32 MB of raw records;
 * AUDITSCOPE_CH_BATCH=N for N events, a knob for tests)
 * is sent as two INSERTs over the keep-alive connection: raw first, then
 * events, whose INSERT is the batch's commit (one block: ClickHouse
 * writes it as one part or not at all). Then the source's counters and
 * the batch's rejects commit in the side file.
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
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ch.h"
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

struct ch_load {
	struct store_load base;
	struct ch_store *s;
	unsigned batch;
	bool check_server;
	int64_t source;
	struct store_counts c; /* the current source's */
	struct util_buf evbuf, rawbuf, ridbuf;
	struct pend *p;
	size_t n, cap;
	struct util_imap inbatch; /* id -> index + 1 */
	struct util_ivec repl;    /* stored events a richer copy replaces */
	/* lines of the same source repeating a pending event (pairs: the
	 * pending event's index, the line): seen in that source too when
	 * the stored copy turns out to come from another one */
	struct util_ivec again;
	bool side_txn;
	bool mutated; /* replaced copies were deleted: wait for it at the end */
	char *error;  /* sticky */
};

#define LD(x) ((struct ch_load *)(x))

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

static int side_begin(struct ch_load *ld, char **cause)
{
	if (ld->side_txn)
		return 0;
	if (ch_side_begin(ld->s->side, cause) < 0)
		return -1;
	ld->side_txn = true;
	return 0;
}

/* Look the batch's ids up on the server: duplicates, richer copies
 * (which replace the stored one), collisions (the next id). */
static int dedup_server(struct ch_load *ld, char **cause)
{
	struct util_buf data = { 0 }, out = { 0 };
	for (size_t i = 0; i < ld->n; i++)
		if (!ld->p[i].dup && !ld->p[i].checked)
			ch_tsv_i64(&data, ld->p[i].id);
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
		const int64_t *k = util_imap_get(&ld->inbatch, (uint64_t)id);
		if (!k)
			continue;
		struct pend *pe = &ld->p[*k - 1];
		if (pe->dup || pe->checked)
			continue;
		if (pe->kind == kind && pe->rid_n == rn && !memcmp(ld->ridbuf.p + pe->rid, rid, rn)) {
			pe->checked = true;
			pe->isnew = false;
			bool first = !pe->dupcounted;
			if (first) {
				pe->dupcounted = true;
				ld->c.events--;
				ld->c.duplicates++;
			}
			if (old_source == pe->source) {
				pe->dup = true; /* the same export repeating itself */
				continue;
			}
			int64_t seen_source = pe->source, seen_line = pe->line;
			if (pe->rich > old_rich) {
				/* this copy tells more: it replaces the stored one */
				util_ivec_push(&ld->repl, id);
				seen_source = old_source;
				seen_line = old_line;
			} else {
				pe->dup = true;
			}
			if (first && (side_begin(ld, cause) < 0 ||
				      ch_side_seen(ld->s->side, id, seen_source, seen_line, cause) < 0))
				r = -1;
			for (size_t a = 0; first && pe->dup && r == 0 && a + 1 < ld->again.n; a += 2)
				if (ld->again.v[a] == (int64_t)(pe - ld->p))
					r = ch_side_seen(ld->s->side, id, pe->source, ld->again.v[a + 1],
							 cause);
		} else {
			/* another record with the same id: the next one */
			int64_t nid = (id + 1) & INT64_MAX;
			pe->id = nid ? nid : 1;
			char t[8];
			uint64_t u = (uint64_t)pe->id;
			for (int i = 0; i < 8; i++)
				t[i] = (char)(u >> (8 * i));
			memcpy(ld->evbuf.p + pe->ev, t, 8);
			memcpy(ld->rawbuf.p + pe->raw, t, 8);
		}
	}
	util_buf_free(&out);
	if (r == 0 && rd.bad)
		r = set_cause(cause, "%s: short answer to a duplicate lookup", ch_conn_name(ld->s->conn));
	return r;
}

/* Delete the stored copies richer ones replace (a mutation of events,
 * raw and each pivot copy; it applies to the rows stored before it, so
 * the new copies inserted next stay). */
static int delete_replaced(struct ch_load *ld, char **cause)
{
	if (!ld->repl.n)
		return 0;
	struct util_buf ids = { 0 };
	for (size_t i = 0; i < ld->repl.n; i++)
		util_buf_printf(&ids, "%s%lld", i ? ", " : "", (long long)ld->repl.v[i]);
	/* the kept stacks cannot take the old copies out */
	int r = ld->s->stacks ? ch_delete_stacks(ld->s, cause) : 0;
	for (size_t t = 0; r == 0 && ch_table_names[t]; t++) {
		char *sql = xasprintf("ALTER TABLE %s.`%s` DELETE WHERE id IN (%s)", ld->s->url.db,
				      ch_table_names[t], util_buf_str(&ids));
		r = ch_exec(ld->s->conn, sql, true, NULL, cause);
		free(sql);
	}
	for (size_t t = 0; r == 0 && ld->s->hev && ch_hunt_table_names[t]; t++) {
		char *sql = xasprintf("ALTER TABLE %s.`%s` DELETE WHERE id IN (%s)", ld->s->url.db,
				      ch_hunt_table_names[t], util_buf_str(&ids));
		r = ch_exec(ld->s->conn, sql, true, NULL, cause);
		free(sql);
	}
	if (r == 0 && ld->s->evsync) {
		char *sql = xasprintf("ALTER TABLE %s.`.inner.evsync` DELETE WHERE id IN (%s)", ld->s->url.db,
				      util_buf_str(&ids));
		r = ch_exec(ld->s->conn, sql, true, NULL, cause);
		free(sql);
	}
	util_buf_free(&ids);
	if (r == 0)
		ld->mutated = true;
	return r;
}

static int insert(struct ch_load *ld, const char *table, const char *cols, const struct util_buf *all,
		  size_t field, char **cause)
{
	/* the rows not marked duplicate, in order (the batch as it is when
	 * none is: no copy of a hundred megabytes) */
	struct util_buf body = { 0 };
	size_t ndup = 0;
	for (size_t i = 0; i < ld->n; i++)
		ndup += ld->p[i].dup;
	for (size_t i = 0; ndup && i < ld->n; i++) {
		if (ld->p[i].dup)
			continue;
		size_t a = field ? ld->p[i].raw : ld->p[i].ev;
		size_t b = i + 1 < ld->n ? (field ? ld->p[i + 1].raw : ld->p[i + 1].ev) : all->n;
		util_buf_add(&body, all->p + a, b - a);
	}
	const char *p = ndup ? body.p : all->p;
	size_t n = ndup ? body.n : all->n;
	int r = 0;
	if (n) {
		char *sql = xasprintf("INSERT INTO %s.%s (%s) FORMAT RowBinary", ld->s->url.db, table, cols);
		struct ch_req req = { .sql = sql, .write = true, .body = p, .body_len = n };
		r = ch_run(ld->s->conn, &req, cause);
		free(sql);
	}
	util_buf_free(&body);
	return r;
}

/* The batch's time span, before its events (store.c: create_spans). */
static int insert_span(struct ch_load *ld, char **cause)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN, n = 0;
	for (size_t i = 0; i < ld->n; i++) {
		if (ld->p[i].dup)
			continue;
		lo = ld->p[i].ts < lo ? ld->p[i].ts : lo;
		hi = ld->p[i].ts > hi ? ld->p[i].ts : hi;
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

/* Send the batch; then commit the side file. */
static int flush(struct ch_load *ld, char **cause)
{
	if (ld->error)
		return fail(ld, cause);
	int r = 0;
	if (ld->n) {
		char *err = NULL;
		time_t until = time(NULL) + retry_seconds();
		for (;;) {
			free(err);
			err = NULL;
			r = ld->check_server ? dedup_server(ld, &err) : 0;
			if (r == 0)
				r = delete_replaced(ld, &err);
			if (r == 0)
				r = insert_span(ld, &err);
			if (r == 0)
				r = insert(ld, "raw", "id, raw", &ld->rawbuf, 1, &err);
			if (r == 0)
				r = insert(ld, "events",
					   "id, ts, kind, record_id, op, rtype, workload, user, app, client_app, ip,"
					   " host, result, session, token, mailbox, access, client_info, detail, op_count,"
					   " flags, source, line, nmsgs, msgs",
					   &ld->evbuf, 0, &err);
			if (r == 0 || time(NULL) >= until || !strstr(err, "cannot reach"))
				break;
			/* the server may be restarting: look again before
			 * resending (the INSERT may have landed) */
			ld->check_server = true;
			for (size_t i = 0; i < ld->n; i++)
				ld->p[i].checked = false;
			ld->repl.n = 0;
			sleep(1);
		}
		if (r < 0) {
			ld->error = err;
			if (ld->side_txn)
				ch_side_rollback(ld->s->side);
			ld->side_txn = false;
			return fail(ld, cause);
		}
		ld->check_server = true;
		for (size_t i = 0; i < ld->n; i++) {
			/* the times of what was inserted (new or a richer copy),
			 * as the SQLite store counts them */
			if (ld->p[i].dup && !ld->p[i].isnew)
				continue;
			if (ld->p[i].ts < ld->c.first_ts)
				ld->c.first_ts = ld->p[i].ts;
			if (ld->p[i].ts > ld->c.last_ts)
				ld->c.last_ts = ld->p[i].ts;
		}
	}
	if (ld->source) {
		if (side_begin(ld, cause) < 0 ||
		    ch_side_source_counts(ld->s->side, ld->source, &ld->c, cause) < 0)
			r = -1;
	}
	if (ld->side_txn) {
		if (r == 0)
			r = ch_side_commit(ld->s->side, cause);
		else
			ch_side_rollback(ld->s->side);
		ld->side_txn = false;
	}
	ld->n = 0;
	ld->repl.n = 0;
	ld->again.n = 0;
	ld->evbuf.n = ld->rawbuf.n = ld->ridbuf.n = 0;
	util_imap_free(&ld->inbatch);
	if (r < 0 && !ld->error && cause && *cause)
		ld->error = xstrdup(*cause);
	return r;
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
	/* within the batch */
	for (;;) {
		const int64_t *k = util_imap_get(&ld->inbatch, (uint64_t)id);
		if (!k)
			break;
		struct pend *pe = &ld->p[*k - 1];
		if (pe->kind == ev->kind && pe->rid_n == rn && !memcmp(ld->ridbuf.p + pe->rid, rid, rn)) {
			ld->c.duplicates++;
			if (pe->source == ld->source) {
				/* the same export repeating itself */
				util_ivec_push(&ld->again, (int64_t)(pe - ld->p));
				util_ivec_push(&ld->again, (int64_t)ev->line);
				return 0;
			}
			int rich = richness(ev);
			if (rich <= pe->rich)
				return side_begin(ld, cause) < 0 ||
						       ch_side_seen(ld->s->side, pe->id, ld->source,
								    (int64_t)ev->line, cause) < 0
					       ? -1
					       : 0;
			/* a richer copy: the pending one gives way (it stays the
			 * new event that was counted; this one is a duplicate) */
			replacing = true;
			if (side_begin(ld, cause) < 0 ||
			    ch_side_seen(ld->s->side, pe->id, pe->source, pe->line, cause) < 0)
				return -1;
			pe->dup = true;
			ld->c.events--; /* (counted again below) */
			break;
		}
		id = (id + 1) & INT64_MAX;
		if (!id)
			id = 1;
	}
	ld->p = xgrow(ld->p, &ld->cap, ld->n + 1, sizeof *ld->p);
	struct pend *pe = &ld->p[ld->n];
	*pe = (struct pend){ .id = id,
			     .ts = ev->ts,
			     .line = (int64_t)ev->line,
			     .source = ld->source,
			     .kind = ev->kind,
			     .rich = richness(ev),
			     .isnew = !replacing,
			     .rid = ld->ridbuf.n,
			     .rid_n = rn,
			     .ev = ld->evbuf.n,
			     .raw = ld->rawbuf.n };
	util_buf_add(&ld->ridbuf, rid, rn);
	*util_imap_slot(&ld->inbatch, (uint64_t)id, 0, NULL) = (int64_t)ld->n + 1;
	ld->n++;
	struct util_buf *b = &ld->evbuf;
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
	ch_put_i64(&ld->rawbuf, id);
	ch_put_str(&ld->rawbuf, ev->raw.p ? ev->raw.p : "", ev->raw.p ? ev->raw.n : 0);
	ld->c.events++;
	if (ld->n >= ld->batch || ld->rawbuf.n >= RAW_MAX)
		return flush(ld, cause);
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
	return flush(LD(base), cause);
}

void ch_load_counts(struct store_load *base, struct store_counts *out)
{
	*out = LD(base)->c;
}

int ch_load_source(struct store_load *base, const char *path, int64_t bytes, char **cause)
{
	struct ch_load *ld = LD(base);
	if (flush(ld, cause) < 0)
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
	int r = flush(ld, cause);
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
	if (ld->side_txn)
		ch_side_rollback(ld->s->side);
	util_buf_free(&ld->evbuf);
	util_buf_free(&ld->rawbuf);
	util_buf_free(&ld->ridbuf);
	util_imap_free(&ld->inbatch);
	util_ivec_free(&ld->repl);
	util_ivec_free(&ld->again);
	free(ld->p);
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
	int r = flush(ld, cause);
	if (ld->mutated)
		wait_mutations(ld);
	/* the kept stacks, dropped when copies were replaced (this load or
	 * one that stopped), made again from the events now there; only in
	 * a database that had them (store.c: those with idform) */
	if (r == 0 && ld->s->opids && !ld->s->stacks)
		r = ch_make_stacks(ld->s, true, cause);
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
		flush(ld, NULL);
	load_free(ld);
}
