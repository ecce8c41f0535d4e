/*
 * query.c: pages, counts, scans and pushed-down aggregates of the
 * ClickHouse store (query.h, storage.h).
 *
 * Pages: ClickHouse 18.16 reads a whole table for ORDER BY ts LIMIT n
 * (no read-in-order), and a keyset (ts, id) > (x, y) does not use the
 * primary key, while ts >= x AND (ts > x OR id > y) does. So a page is
 * read through time windows: the first from the position, of the width
 * that last filled a page, each next one four times wider, until the page
 * is full or the case's end is passed (the last window is open). Each
 * window reads only the parts of the table its time range covers; a
 * filter with a pivot term (user=, app=, ip=, op=, session=) reads its
 * pivot copy, ordered by (field, ts, id), so only that value's range.
 *
 * Counts are exact (ClickHouse counts a filter over millions of rows in
 * well under the interface's budget); stacks and histograms are one
 * GROUP BY on the server.
 *
 * A filter with json.PATH or sigma. terms (matched on the client,
 * compile.c) is resolved once, at its first read: the candidates its SQL
 * keeps (narrowed on the server by the literals every match holds) are
 * matched here on their raw records; pages then walk the matching keys
 * in (ts, id) order (exact: a page holds the next n matches), the count
 * is theirs, and the other reads send their ids as an external table.
 */
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "ch.h"
#include "sanitize.h"
#include "xalloc.h"

struct key {
	int64_t ts, id;
};

enum cmp { C_NONE, C_GT, C_GE, C_LT, C_LE };

struct ch_query {
	struct query base; /* first: the interface's head (storage.h) */
	struct ch_compiled c;
	bool have_range;
	int64_t first, last; /* the case's time range; first > last: empty */
	int64_t width;       /* the window that filled the last page */
	int64_t count;       /* -1 until counted */
	/* a filter with client-matched terms (compile.c), once resolved:
	 * the matching events' keys in (ts, id) order */
	bool resolved;
	struct key *mk;
	size_t nmk;
};

#define QY(q) ((struct ch_query *)(q))

int ch_query_new(struct store *st, const struct filter *f, struct query **out, char **cause)
{
	struct ch_query *q = xcalloc(1, sizeof *q);
	q->base.st = st;
	q->base.f = filter_copy(f);
	q->base.text = filter_canonical(q->base.f);
	q->count = -1;
	if (ch_compile(CH(st), q->base.f, &q->c, cause) < 0) {
		ch_query_free(&q->base);
		return -1;
	}
	*out = &q->base;
	return 0;
}

void ch_query_free(struct query *q0)
{
	if (!q0)
		return;
	struct ch_query *q = QY(q0);
	ch_compiled_clear(&q->c);
	free(q->mk);
	filter_free(q->base.f);
	free(q->base.text);
	free(q);
}

bool ch_query_needs_scan(const struct query *q)
{
	(void)q;
	return false; /* every page is a query on the server */
}

int ch_query_prepare(struct query *q, char **cause)
{
	(void)q;
	(void)cause;
	return 0;
}

/* Run sql under q's filter tables and progress, into out. */
static int run(struct ch_query *q, const char *sql, struct util_buf *out,
	       int (*fn)(void *, const char *, size_t), void *ctx, char **cause)
{
	struct ch_ext ext[CH_MAX_EXT];
	size_t next = ch_compiled_ext(&q->c, ext);
	struct ch_req req = { .sql = sql,
			      .ext = next ? ext : NULL,
			      .next = next,
			      .pr = &q->base.pr,
			      .out = out,
			      .fn = fn,
			      .ctx = ctx };
	q->base.cancelled = false;
	int r = ch_run(CH(q->base.st)->conn, &req, cause);
	if (req.cancelled)
		q->base.cancelled = true;
	return r;
}

/* ------------------------------------------------------------------ */
/* Client-matched terms (json.PATH, sigma.): the candidates the SQL keeps
 * are matched here, once per query; then pages walk the matching keys,
 * and the other reads narrow the SQL to their ids (an external table). */

struct cand {
	struct ch_query *q;
	struct util_imap leaf; /* id -> index + 1 into cols (rows of ncols) */
	struct util_ivec cols;
	struct util_imap hit; /* the matching ids */
	struct util_ivec ids;
	char *why;
};

static int cand_leaf(void *ctx, const struct store_cell *c)
{
	struct cand *k = ctx;
	size_t nc = k->q->c.ncols;
	bool isnew;
	int64_t *slot = util_imap_slot(&k->leaf, (uint64_t)c[0].i, 0, &isnew);
	if (!isnew)
		return 0;
	*slot = (int64_t)k->cols.n / (int64_t)nc + 1;
	for (size_t i = 0; i < nc; i++)
		util_ivec_push(&k->cols, c[1 + i].i);
	return 0;
}

static int cand_raw(void *ctx, const struct store_cell *c)
{
	struct cand *k = ctx;
	int64_t id = c[0].i;
	if (!id || util_imap_get(&k->hit, (uint64_t)id))
		return 0;
	const int64_t *cols = NULL;
	if (k->q->c.ncols) {
		const int64_t *at = util_imap_get(&k->leaf, (uint64_t)id);
		if (!at)
			return 0; /* not a candidate when the leaves were read */
		cols = k->cols.v + (size_t)(*at - 1) * k->q->c.ncols;
	}
	int r = ch_client_match(&k->q->c, filter_root(k->q->base.f), c[1].s, c[1].n, cols, &k->why);
	if (r < 0)
		return -1;
	if (r) {
		bool isnew;
		util_imap_slot(&k->hit, (uint64_t)id, 1, &isnew);
		util_ivec_push(&k->ids, id);
	}
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Stream sql's rows (ncols columns, text[i] for strings) to fn under q's
 * progress; the callback's own error comes back in *why. */
static int cand_stream(struct ch_query *q, const char *sql, size_t ncols, const bool *text, store_row_fn fn,
		       struct cand *k, char **cause)
{
	struct ch_scan_ctx c = { .n = ncols, .s = CH(q->base.st), .fn = fn, .ctx = k };
	memcpy(c.text, text, ncols * sizeof *text);
	int r = run(q, sql, NULL, ch_scan_data, &c, cause);
	if (r < 0 && k->why) {
		/* a match's own error, as the SQLite store words it */
		if (cause) {
			free(*cause);
			*cause = xasprintf("%s: filter %s: %s", ch_path(q->base.st), q->base.text, k->why);
		}
		free(k->why);
		k->why = NULL;
	} else if (r == 0 && c.pend.n) {
		r = set_cause(cause, "%s: an answer ends inside a row", ch_conn_name(CH(q->base.st)->conn));
	}
	util_buf_free(&c.pend);
	return r;
}

static int resolve(struct ch_query *q, char **cause)
{
	if (!q->c.nclient || q->resolved)
		return 0;
	struct ch_store *s = CH(q->base.st);
	const char *db = s->url.db;
	struct cand k = { .q = q };
	bool text[CH_MAX_COLS] = { false };
	int r = 0;
	if (q->c.ncols) {
		/* the SQL parts the client terms mix with, per candidate */
		struct util_buf sql = { 0 };
		util_buf_puts(&sql, "SELECT id");
		for (size_t i = 0; i < q->c.nleaf; i++)
			if (q->c.lcol[i] >= 0)
				util_buf_printf(&sql, ", toInt64(%s)", q->c.lsql[i]);
		util_buf_printf(&sql, " FROM %s.%s WHERE (%s) FORMAT RowBinary", db, q->c.table, q->c.where);
		if (q->c.ncols + 1 > CH_MAX_COLS)
			r = set_cause(cause, "filter: too many terms beside json./sigma. terms");
		else
			r = cand_stream(q, util_buf_str(&sql), q->c.ncols + 1, text, cand_leaf, &k, cause);
		util_buf_free(&sql);
	}
	if (r == 0) {
		/* the candidates' raw records, narrowed by the literals every
		 * match holds, matched here */
		char *sql =
			xasprintf("SELECT id, raw FROM %s.raw WHERE id IN (SELECT id FROM %s.%s WHERE (%s))%s%s"
				  " FORMAT RowBinary",
				  db, db, q->c.table, q->c.where, q->c.prefilter ? " AND " : "",
				  q->c.prefilter ? q->c.prefilter : "");
		text[1] = true;
		r = cand_stream(q, sql, 2, text, cand_raw, &k, cause);
		free(sql);
	}
	util_imap_free(&k.leaf);
	util_ivec_free(&k.cols);
	util_imap_free(&k.hit);
	if (r == 0 && k.ids.n) {
		/* their times, for pages in (ts, id) order */
		struct util_buf data = { 0 }, out = { 0 };
		for (size_t i = 0; i < k.ids.n; i++)
			ch_tsv_i64(&data, k.ids.v[i]);
		char *sql = xasprintf("SELECT id, ts FROM %s.events WHERE id IN ids FORMAT RowBinary", db);
		r = ch_read_ext(s->conn, sql, "ids", "id Int64", &data, &out, cause);
		struct util_imap seen = { 0 };
		size_t cap = 0;
		struct ch_rd rd = { out.p, out.p + out.n, false };
		while (r == 0 && rd.p < rd.end) {
			struct key e;
			e.id = ch_rd_i64(&rd);
			e.ts = ch_rd_i64(&rd);
			if (rd.bad || !e.id)
				break;
			bool isnew;
			util_imap_slot(&seen, (uint64_t)e.id, 1, &isnew);
			if (!isnew)
				continue;
			q->mk = xgrow(q->mk, &cap, q->nmk + 1, sizeof *q->mk);
			q->mk[q->nmk++] = e;
		}
		if (r == 0 && rd.bad)
			r = set_cause(cause, "%s: short answer to a read of times", ch_conn_name(s->conn));
		util_imap_free(&seen);
		util_buf_free(&out);
	}
	util_ivec_free(&k.ids);
	if (r < 0) {
		free(q->mk);
		q->mk = NULL;
		q->nmk = 0;
		return -1;
	}
	if (q->nmk > 1) /* qsort of a NULL array is undefined, even of 0 rows */
		qsort(q->mk, q->nmk, sizeof *q->mk, key_cmp);
	/* the other reads: the SQL narrowed to the matching ids */
	char *w;
	if (!q->nmk) {
		w = xstrdup("0");
	} else {
		if (q->c.next >= CH_MAX_EXT) {
			free(q->mk);
			q->mk = NULL;
			q->nmk = 0;
			return set_cause(cause, "filter: more than %d tag terms", CH_MAX_EXT - 2);
		}
		size_t e = q->c.next++;
		snprintf(q->c.extname[e], sizeof q->c.extname[0], "cmatch");
		q->c.extids[e] = true;
		for (size_t i = 0; i < q->nmk; i++)
			ch_tsv_i64(&q->c.extdata[e], q->mk[i].id);
		w = xasprintf("(%s) AND ts >= %lld AND ts <= %lld AND id IN cmatch", q->c.where,
			      (long long)q->mk[0].ts, (long long)q->mk[q->nmk - 1].ts);
	}
	free(q->c.where);
	q->c.where = w;
	q->resolved = true;
	return 0;
}

/* A page of a resolved client-matched filter: from its keys. */
static int fetch_rows(struct ch_query *q, const struct key *k, size_t n, struct query_page *out, char **cause);

static int client_fetch(struct ch_query *q, bool back, enum cmp c, const struct query_pos *pos, size_t n,
			struct query_page *out, char **cause)
{
	/* the first key past pos in the direction of the page */
	size_t lo = 0, hi = q->nmk;
	if (pos && c != C_NONE) {
		struct key p = { pos->ts, pos->id };
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int d = key_cmp(&q->mk[mid], &p);
			/* lo: the first key > p (C_GT, C_LE) or >= p (C_GE, C_LT) */
			bool before = (c == C_GT || c == C_LE) ? d <= 0 : d < 0;
			if (before)
				lo = mid + 1;
			else
				hi = mid;
		}
	} else {
		lo = back ? q->nmk : 0;
	}
	struct key *k = xcalloc(n ? n : 1, sizeof *k);
	size_t nk = 0;
	if (!back) {
		for (size_t i = lo; i < q->nmk && nk < n; i++)
			k[nk++] = q->mk[i];
	} else {
		for (size_t i = lo; i > 0 && nk < n; i--)
			k[nk++] = q->mk[i - 1];
	}
	int r = fetch_rows(q, k, nk, out, cause);
	free(k);
	return r;
}

static int range(struct ch_query *q, char **cause)
{
	if (q->have_range)
		return 0;
	int r = q->base.st->ops->time_range(q->base.st, &q->first, &q->last, cause);
	if (r < 0)
		return -1;
	if (r == 0) {
		q->first = 1;
		q->last = 0;
	}
	q->have_range = true;
	int64_t span = q->last - q->first;
	q->width = span / 256 > 1000 ? span / 256 : 1000;
	return 0;
}


/* The rows of keys k[0..n) (found by a page's narrow read), read from the
 * events table by their time range and ids, appended to out in k's
 * order. */
static int fetch_rows(struct ch_query *q, const struct key *k, size_t n, struct query_page *out, char **cause)
{
	struct ch_store *s = CH(q->base.st);
	if (!n)
		return 0;
	int64_t lo = k[0].ts, hi = k[0].ts;
	for (size_t i = 1; i < n; i++) {
		lo = k[i].ts < lo ? k[i].ts : lo;
		hi = k[i].ts > hi ? k[i].ts : hi;
	}
	struct util_buf sql = { 0 };
	util_buf_printf(&sql,
			"SELECT " CH_ROW_COLS " FROM %s.events WHERE ts >= %lld AND ts <= %lld AND id IN (",
			s->url.db, (long long)lo, (long long)hi);
	for (size_t i = 0; i < n; i++)
		util_buf_printf(&sql, "%s%lld", i ? ", " : "", (long long)k[i].id);
	util_buf_puts(&sql, ") FORMAT RowBinary");
	struct util_buf res = { 0 };
	struct ch_req req = { .sql = util_buf_str(&sql), .pr = &q->base.pr, .out = &res };
	int r = ch_run(s->conn, &req, cause);
	util_buf_free(&sql);
	if (req.cancelled)
		q->base.cancelled = true;
	if (r < 0) {
		util_buf_free(&res);
		return -1;
	}
	struct query_row *got = xcalloc(n, sizeof *got);
	struct util_imap at = { 0 }; /* id -> index + 1 in k */
	for (size_t i = 0; i < n; i++) {
		bool isnew;
		*util_imap_slot(&at, (uint64_t)k[i].id, 0, &isnew) = (int64_t)i + 1;
	}
	struct ch_rd rd = { res.p, res.p + res.n, false };
	struct query_row row;
	while (rd.p < rd.end) {
		if (!ch_rd_row(s, &rd, &row)) {
			query_row_clear(&row);
			break;
		}
		const int64_t *i = row.id ? util_imap_get(&at, (uint64_t)row.id) : NULL;
		if (i && !got[*i - 1].id)
			got[*i - 1] = row;
		else
			query_row_clear(&row);
	}
	util_imap_free(&at);
	util_buf_free(&res);
	size_t from = out->n;
	for (size_t i = 0; i < n; i++) {
		if (!got[i].id)
			continue; /* gone between the two reads (a merge): left out */
		out->rows = xgrow(out->rows, &out->cap, out->n + 1, sizeof *out->rows);
		out->rows[out->n++] = got[i];
	}
	free(got);
	if (rd.bad)
		return set_cause(cause, "%s: short answer to a page", ch_conn_name(s->conn));
	return ch_rows_places(s, out->rows + from, out->n - from, cause);
}

/* Up to n rows from pos in one direction (back: newest first), appended
 * to out. Two reads: the keys (ts, id) of the page through time windows
 * of the filter's table, reading only the filter's columns; then the
 * rows of those keys alone. */
static int fetch(struct ch_query *q, bool back, enum cmp c, const struct query_pos *pos, size_t n,
		 struct query_page *out, char **cause)
{
	struct ch_store *s = CH(q->base.st);
	if (resolve(q, cause) < 0)
		return -1;
	if (q->c.nclient)
		return client_fetch(q, back, c, pos, n, out, cause);
	if (range(q, cause) < 0)
		return -1;
	if (q->first > q->last || n == 0)
		return 0;
	int64_t edge = pos ? pos->ts : back ? q->last : q->first;
	/* a filter over raw records reads them all for each window (the
	 * server does not narrow the subquery by time): one window then */
	int64_t w = q->c.raw ? INT64_MAX : q->width;
	bool first = true;
	struct key *keys = NULL;
	size_t nk = 0, kcap = 0;
	int rc = 0;
	for (;;) {
		struct util_buf sql = { 0 };
		util_buf_printf(&sql, "SELECT ts, id FROM %s.%s WHERE (%s)", s->url.db, q->c.table, q->c.where);
		bool open;
		if (!back) {
			int64_t hi = edge > INT64_MAX - w ? INT64_MAX : edge + w;
			open = hi > q->last;
			util_buf_printf(&sql, " AND ts >= %lld", (long long)edge);
			if (!open)
				util_buf_printf(&sql, " AND ts < %lld", (long long)hi);
			if (first && pos && c != C_NONE)
				util_buf_printf(&sql, " AND (ts > %lld OR id %s %lld)", (long long)pos->ts,
						c == C_GE ? ">=" : ">", (long long)pos->id);
			util_buf_printf(&sql, " ORDER BY ts, id LIMIT %zu FORMAT RowBinary", n - nk);
			edge = hi;
		} else {
			int64_t lo = edge < INT64_MIN + w ? INT64_MIN : edge - w;
			open = lo < q->first;
			util_buf_printf(&sql, " AND ts <= %lld", (long long)edge);
			if (!open)
				util_buf_printf(&sql, " AND ts > %lld", (long long)lo);
			if (first && pos && c != C_NONE)
				util_buf_printf(&sql, " AND (ts < %lld OR id %s %lld)", (long long)pos->ts,
						c == C_LE ? "<=" : "<", (long long)pos->id);
			util_buf_printf(&sql, " ORDER BY ts DESC, id DESC LIMIT %zu FORMAT RowBinary", n - nk);
			edge = lo;
		}
		struct util_buf res = { 0 };
		int r = run(q, util_buf_str(&sql), &res, NULL, NULL, cause);
		util_buf_free(&sql);
		if (r < 0) {
			util_buf_free(&res);
			rc = -1;
			break;
		}
		struct ch_rd rd = { res.p, res.p + res.n, false };
		while (rd.p < rd.end) {
			struct key k;
			k.ts = ch_rd_i64(&rd);
			k.id = ch_rd_i64(&rd);
			if (rd.bad)
				break;
			keys = xgrow(keys, &kcap, nk + 1, sizeof *keys);
			keys[nk++] = k;
		}
		util_buf_free(&res);
		if (rd.bad) {
			rc = set_cause(cause, "%s: short answer to a page", ch_conn_name(s->conn));
			break;
		}
		if (nk >= n || open) {
			if (first && nk >= n && w > 1000 && !q->c.raw)
				q->width = w; /* a page fitted: keep the width */
			break;
		}
		first = false;
		w = w > INT64_MAX / 4 ? INT64_MAX : w * 4;
	}
	if (rc == 0)
		rc = fetch_rows(q, keys, nk, out, cause);
	free(keys);
	return rc;
}

static void reverse(struct query_page *p)
{
	for (size_t i = 0, j = p->n ? p->n - 1 : 0; i < j; i++, j--) {
		struct query_row t = p->rows[i];
		p->rows[i] = p->rows[j];
		p->rows[j] = t;
	}
}

int ch_query_page(struct query *q0, enum query_from from, const struct query_pos *pos, size_t n,
		  struct query_page *out, char **cause)
{
	struct ch_query *q = QY(q0);
	query_page_clear(out);
	static const struct query_pos zero;
	if (!pos)
		pos = &zero;
	bool back = from == QUERY_LAST || from == QUERY_BEFORE;
	enum cmp c = from == QUERY_AFTER    ? C_GT
		     : from == QUERY_AT     ? C_GE
		     : from == QUERY_BEFORE ? C_LT
					    : C_NONE;
	if (fetch(q, back, c, c == C_NONE ? NULL : pos, n + 1, out, cause) < 0) {
		query_page_clear(out);
		return -1;
	}
	bool more = out->n > n;
	if (more)
		query_row_clear(&out->rows[--out->n]);
	if (back)
		reverse(out);
	bool *near = back ? &out->at_start : &out->at_end;
	bool *far = back ? &out->at_end : &out->at_start;
	*near = !more;
	if (from == QUERY_FIRST || from == QUERY_LAST) {
		*far = true;
	} else {
		/* anything on the other side of the page (or of pos)? */
		struct query_pos e = *pos;
		enum cmp oc = back ? C_GE : C_LT;
		if (out->n) {
			const struct query_row *r = back ? &out->rows[out->n - 1] : &out->rows[0];
			e = (struct query_pos){ r->ts, r->id };
			oc = back ? C_GT : C_LT;
		}
		struct query_page p = { 0 };
		if (fetch(q, !back, oc, &e, 1, &p, cause) < 0) {
			query_page_free(&p);
			query_page_clear(out);
			return -1;
		}
		*far = p.n == 0;
		query_page_free(&p);
	}
	if (n == 0)
		out->at_start = out->at_end = false;
	return 0;
}

int ch_query_goto_time(struct query *q0, int64_t ms, struct query_pos *pos, char **cause)
{
	struct query_page p = { 0 };
	struct query_pos at = { ms, INT64_MIN };
	if (ch_query_page(q0, QUERY_AT, &at, 1, &p, cause) < 0)
		return -1;
	int found = p.n > 0;
	if (!found && ch_query_page(q0, QUERY_LAST, NULL, 1, &p, cause) < 0) {
		query_page_free(&p);
		return -1;
	}
	if (p.n)
		*pos = (struct query_pos){ p.rows[0].ts, p.rows[0].id };
	query_page_free(&p);
	return found;
}

/* One count() of q's table under q's filter and extra (a condition or
 * ""), within timeout_ms (0: none): 1 counted, 0 timed out, -1. */
static int count_sql(struct ch_query *q, const char *extra, long timeout_ms, int64_t *n, char **cause)
{
	struct ch_store *s = CH(q->base.st);
	char *sql = xasprintf("SELECT count() FROM %s.%s WHERE (%s)%s FORMAT RowBinary", s->url.db,
			      q->c.table, q->c.where, extra);
	struct ch_ext ext[CH_MAX_EXT];
	size_t next = ch_compiled_ext(&q->c, ext);
	struct util_buf res = { 0 };
	struct ch_req req = { .sql = sql,
			      .ext = next ? ext : NULL,
			      .next = next,
			      .pr = &q->base.pr,
			      .out = &res,
			      .timeout_ms = timeout_ms };
	q->base.cancelled = false;
	char *why = NULL;
	int r = ch_run(s->conn, &req, &why);
	free(sql);
	q->base.cancelled = req.cancelled;
	struct ch_rd rd = { res.p, res.p + res.n, false };
	*n = ch_rd_i64(&rd);
	util_buf_free(&res);
	if (r < 0 && req.timed_out) {
		free(why);
		return 0;
	}
	if (r < 0) {
		if (cause)
			*cause = why;
		else
			free(why);
		return -1;
	}
	if (rd.bad)
		return set_cause(cause, "%s: short answer to a count", ch_conn_name(s->conn));
	return 1;
}

/* The sample of an estimate: SAMPLE_WINDOWS time windows spread evenly
 * over the case, each 1/SAMPLE_SHARE of its span; the primary key (ts
 * first, or the pivot field then ts) lets the server read only them. */
#define SAMPLE_WINDOWS 16
#define SAMPLE_SHARE 1024

int ch_query_count(struct query *q0, int64_t budget_ms, struct query_count *out, char **cause)
{
	struct ch_query *q = QY(q0);
	if (q->count >= 0) {
		*out = (struct query_count){ q->count, true };
		return 0;
	}
	if (q->c.nclient) {
		/* matched on the client: the count is the matches' */
		if (resolve(q, cause) < 0)
			return -1;
		q->count = (int64_t)q->nmk;
		*out = (struct query_count){ q->count, true };
		return 0;
	}
	int64_t n;
	int r = count_sql(q, "", budget_ms < 0 ? 0 : budget_ms > 0 ? (long)budget_ms : 1L, &n, cause);
	if (r < 0)
		return -1;
	if (r == 1) {
		q->count = n;
		*out = (struct query_count){ n, true };
		return 0;
	}
	return ch_query_estimate(q0, out, cause);
}

/* Matching events before pos (the timeline's exact place): a count of
 * the keys before it, those of a client-matched filter in memory. Within
 * a budget (the interface's few milliseconds after a jump) only what
 * needs no server: a round trip is about that long, and one killed at
 * its deadline costs a second; the count made while idle (no budget,
 * cancelled by a key) gives the place as on a case file. */
int ch_query_rank(struct query *q0, const struct query_pos *pos, int64_t budget_ms, int64_t *out, char **cause)
{
	struct ch_query *q = QY(q0);
	if (budget_ms >= 0 && !(q->c.nclient && q->resolved))
		return 0;
	if (q->c.nclient) {
		if (resolve(q, cause) < 0)
			return -1;
		struct key p = { pos->ts, pos->id };
		size_t lo = 0, hi = q->nmk;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (key_cmp(&q->mk[mid], &p) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		*out = (int64_t)lo;
		return 1;
	}
	char *before = xasprintf(" AND ts <= %lld AND (ts < %lld OR id < %lld)", (long long)pos->ts,
				 (long long)pos->ts, (long long)pos->id);
	int r = count_sql(q, before, 0, out, cause);
	free(before);
	return r;
}

int ch_query_estimate(struct query *q0, struct query_count *out, char **cause)
{
	struct ch_query *q = QY(q0);
	if (q->c.nclient)
		return ch_query_count(q0, 0, out, cause);
	int64_t n;
	if (range(q, cause) < 0)
		return -1;
	int64_t span = q->last - q->first + 1, w = span / SAMPLE_SHARE;
	if (w < 1 || q->first > q->last) {
		*out = (struct query_count){ 0, false };
		return 0;
	}
	struct util_buf cond = { 0 };
	util_buf_puts(&cond, " AND (");
	int64_t step = span / SAMPLE_WINDOWS;
	for (int i = 0; i < SAMPLE_WINDOWS; i++) {
		int64_t a = q->first + step * i + (step - w) / 2;
		util_buf_printf(&cond, "%s(ts >= %lld AND ts < %lld)", i ? " OR " : "", (long long)a,
				(long long)(a + w));
	}
	util_buf_puts(&cond, ")");
	int r = count_sql(q, util_buf_str(&cond), 0, &n, cause);
	util_buf_free(&cond);
	if (r < 0)
		return -1;
	double scale = (double)span / ((double)w * SAMPLE_WINDOWS);
	*out = (struct query_count){ (int64_t)((double)n * scale + 0.5), false };
	return 0;
}

/* ------------------------------------------------------------------ */
/* Scans: RowBinary streamed to the callback, rows cut at any boundary */

const struct ch_compiled *ch_query_compiled(struct query *q, char **cause)
{
	return resolve(QY(q), cause) < 0 ? NULL : &QY(q)->c;
}

static size_t scan_rows(struct ch_scan_ctx *c, const char *p, size_t n)
{
	struct ch_rd rd = { p, p + n, false };
	const char *row = p;
	while (rd.p < rd.end) {
		row = rd.p;
		for (size_t i = 0; i < c->n; i++) {
			if (c->text[i])
				c->cells[i].s = ch_rd_str(&rd, &c->cells[i].n);
			else
				c->cells[i].i = ch_rd_i64(&rd);
		}
		if (rd.bad)
			return (size_t)(row - p);
		for (size_t i = 0; i < c->n; i++)
			if (c->vid[i])
				c->cells[i].i = ch_dense(c->s, c->cells[i].i);
		if (c->fn(c->ctx, c->cells) != 0) {
			c->stopped = true;
			return n;
		}
	}
	return n;
}

int ch_scan_data(void *ctx, const char *p, size_t n)
{
	struct ch_scan_ctx *c = ctx;
	if (c->stopped)
		return -1;
	if (c->pend.n) {
		util_buf_add(&c->pend, p, n);
		size_t used = scan_rows(c, c->pend.p, c->pend.n);
		memmove(c->pend.p, c->pend.p + used, c->pend.n - used);
		c->pend.n -= used;
	} else {
		size_t used = scan_rows(c, p, n);
		if (used < n)
			util_buf_add(&c->pend, p + used, n - used);
	}
	return c->stopped ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Scans with the raw record (a stack of json.PATH). The records live in
 * their own table, ordered by id, and 18.16 joins by holding the right
 * side in memory (raw would not fit), nor can its SQL walk a json.PATH
 * (Name/Value arrays, JSON inside strings). So the other columns are read
 * first, into a map by id, then the same events' records are streamed and
 * each meets its columns here. A case of many events is read a slice of
 * ids at a time (cut at quantiles of the ids), so that the client holds
 * the columns of one slice; a record stored twice (a load killed between
 * its raw and events inserts) is handed over once. */

size_t ch_raw_slice = 1000000;
size_t ch_raw_slices_read;

/* quantiles at 1/SLICE_LEVELS steps, from which the slices' bounds are
 * taken (slices larger than ch_raw_slice past SLICE_LEVELS of them) */
#define SLICE_LEVELS 256

struct rawscan {
	size_t ncols, nin; /* the caller's columns; the slots of one kept row */
	size_t rawcol;
	bool text[CH_MAX_COLS]; /* the caller's columns */
	size_t slot[CH_MAX_COLS];
	struct util_imap at;   /* id -> index + 1 into rows, 0 once handed over */
	struct util_ivec rows; /* nin slots per row: a number, or a text's
				* offset into texts and its length */
	struct util_buf texts;
	store_row_fn fn;
	void *ctx;
	bool stopped;
};

static int raw_keep(void *ctx, const struct store_cell *c)
{
	struct rawscan *k = ctx;
	bool isnew;
	int64_t *at = util_imap_slot(&k->at, (uint64_t)c[0].i, 0, &isnew);
	if (!isnew)
		return 0;
	*at = (int64_t)(k->rows.n / k->nin) + 1;
	util_ivec_push(&k->rows, c[0].i);
	for (size_t i = 0, in = 1; i < k->ncols; i++) {
		if (i == k->rawcol)
			continue;
		if (k->text[i]) {
			util_ivec_push(&k->rows, (int64_t)k->texts.n);
			util_ivec_push(&k->rows, (int64_t)c[in].n);
			util_buf_add(&k->texts, c[in].s, c[in].n);
		} else {
			util_ivec_push(&k->rows, c[in].i);
		}
		in++;
	}
	return 0;
}

static int raw_meet(void *ctx, const struct store_cell *c)
{
	struct rawscan *k = ctx;
	bool isnew;
	int64_t *at = c[0].i ? util_imap_slot(&k->at, (uint64_t)c[0].i, 0, &isnew) : NULL;
	if (!at || !*at)
		return 0; /* not asked for, or handed over already */
	const int64_t *row = k->rows.v + (size_t)(*at - 1) * k->nin;
	*at = 0;
	struct store_cell cells[CH_MAX_COLS];
	for (size_t i = 0; i < k->ncols; i++) {
		cells[i] = (struct store_cell){ 0 };
		if (i == k->rawcol) {
			cells[i].s = c[1].s;
			cells[i].n = c[1].n;
		} else if (k->text[i]) {
			cells[i].s = k->texts.p + row[k->slot[i]];
			cells[i].n = (size_t)row[k->slot[i] + 1];
		} else {
			cells[i].i = row[k->slot[i]];
		}
	}
	if (k->fn(k->ctx, cells) != 0) {
		k->stopped = true;
		return 1;
	}
	return 0;
}

/* The bounds that cut the events sel's FROM ... WHERE keeps into slices
 * of about ch_raw_slice: *nb of them into b (SLICE_LEVELS - 1 at most),
 * none when one slice holds them all. */
static int raw_bounds(struct ch_query *q, const char *sel, int64_t *b, size_t *nb, char **cause)
{
	struct util_buf sql = { 0 }, out = { 0 };
	/* no event: the quantiles are nan, which 26.x's toInt64 refuses
	 * ("Unexpected inf or nan to integer conversion": the whole stack
	 * failed); x = x is false for nan alone */
	util_buf_puts(&sql, "SELECT count(), arrayStringConcat(arrayMap(x -> toString(toInt64(if(x = x, x, 0))),"
			    " quantiles(");
	for (int i = 1; i < SLICE_LEVELS; i++)
		util_buf_printf(&sql, "%s%.8f", i > 1 ? "," : "", (double)i / SLICE_LEVELS); /* literals */
	util_buf_printf(&sql, ")(id)), ' ') FROM %s FORMAT TabSeparated", sel);
	int r = run(q, util_buf_str(&sql), &out, NULL, NULL, cause);
	util_buf_free(&sql);
	*nb = 0;
	if (r == 0) {
		const char *p = util_buf_str(&out);
		char *end;
		long long n = strtoll(p, &end, 10);
		if (end == p || *end != '\t') {
			r = set_cause(cause, "%s: a bad answer to a count", ch_conn_name(CH(q->base.st)->conn));
		} else {
			int64_t lv[SLICE_LEVELS];
			size_t nl = 0;
			for (p = end + 1; nl < SLICE_LEVELS - 1; p = end) {
				long long v = strtoll(p, &end, 10);
				if (end == p)
					break;
				lv[nl++] = v;
			}
			size_t k = ch_raw_slice ? ((size_t)n + ch_raw_slice - 1) / ch_raw_slice : 1;
			if (k > SLICE_LEVELS)
				k = SLICE_LEVELS;
			for (size_t i = 1; nl == SLICE_LEVELS - 1 && i < k; i++) {
				int64_t v = lv[i * SLICE_LEVELS / k - 1];
				if (!*nb || v > b[*nb - 1])
					b[(*nb)++] = v;
			}
		}
	}
	util_buf_free(&out);
	return r;
}

static int scan_raw(struct ch_query *q, const char *const *cols, size_t ncols, store_row_fn fn, void *ctx,
		    char **cause)
{
	struct ch_store *s = CH(q->base.st);
	/* a kept row's slot 0 is its id (a row for raw alone too) */
	struct rawscan k = { .ncols = ncols, .nin = 1, .rawcol = ncols, .fn = fn, .ctx = ctx };
	/* the columns read first: id, then the caller's but raw */
	const char *in[CH_MAX_COLS + 1] = { "id" };
	bool intext[CH_MAX_COLS + 1] = { false };
	size_t nin = 1;
	struct util_buf list = { 0 };
	bool msgs = false;
	util_buf_puts(&list, "id");
	for (size_t i = 0; i < ncols; i++) {
		if (!strcmp(cols[i], "raw") && k.rawcol == ncols) {
			k.rawcol = i;
			continue;
		}
		char *e = ch_col_sql(cols[i], &k.text[i]);
		if (!e || nin >= CH_MAX_COLS) {
			free(e);
			util_buf_free(&list);
			return set_cause(cause, "scan: no column '%s'", cols[i]);
		}
		msgs |= !strcmp(cols[i], "msglist");
		k.slot[i] = k.nin;
		k.nin += k.text[i] ? 2 : 1;
		intext[nin] = k.text[i];
		in[nin++] = cols[i];
		util_buf_printf(&list, ", %s", e);
		free(e);
	}
	char *sel = xasprintf("%s.%s WHERE (%s)%s", s->url.db, msgs ? "events" : q->c.table, q->c.where,
			      msgs ? " AND nmsgs > 0" : "");
	int64_t b[SLICE_LEVELS];
	size_t nb = 0;
	int r = raw_bounds(q, sel, b, &nb, cause);
	for (size_t i = 0; r == 0 && i <= nb && !k.stopped; i++) {
		char range[96] = "";
		if (i > 0 && i < nb)
			snprintf(range, sizeof range, " AND id >= %lld AND id < %lld", (long long)b[i - 1],
				 (long long)b[i]);
		else if (i > 0)
			snprintf(range, sizeof range, " AND id >= %lld", (long long)b[i - 1]);
		else if (nb)
			snprintf(range, sizeof range, " AND id < %lld", (long long)b[0]);
		ch_raw_slices_read++;
		struct ch_scan_ctx c = { .n = nin, .s = s, .fn = raw_keep, .ctx = &k };
		for (size_t j = 0; j < nin; j++) {
			c.vid[j] = ch_col_is_vid(in[j]);
			c.text[j] = intext[j];
		}
		char *sql = xasprintf("SELECT %s FROM %s%s FORMAT RowBinary", util_buf_str(&list), sel, range);
		r = run(q, sql, NULL, ch_scan_data, &c, cause);
		free(sql);
		if (r == 0 && c.pend.n)
			r = set_cause(cause, "%s: a scan's answer ends inside a row", ch_conn_name(s->conn));
		util_buf_free(&c.pend);
		if (r == 0 && k.at.n) {
			/* the slice's records, each meeting its columns */
			struct ch_scan_ctx m = { .n = 2, .s = s, .fn = raw_meet, .ctx = &k };
			m.text[1] = true;
			sql = xasprintf("SELECT id, raw FROM %s.raw WHERE id IN (SELECT id FROM %s%s)%s FORMAT RowBinary",
					s->url.db, sel, range, range);
			r = run(q, sql, NULL, ch_scan_data, &m, cause);
			free(sql);
			if (r < 0 && m.stopped)
				r = 0;
			else if (r == 0 && m.pend.n)
				r = set_cause(cause, "%s: a scan's answer ends inside a row",
					      ch_conn_name(s->conn));
			util_buf_free(&m.pend);
		}
		util_imap_free(&k.at);
		k.rows.n = 0;
		k.texts.n = 0;
	}
	free(sel);
	util_buf_free(&list);
	util_ivec_free(&k.rows);
	util_buf_free(&k.texts);
	return r;
}

int ch_scan(struct query *q0, const char *const *cols, size_t ncols, store_row_fn fn, void *ctx, char **cause)
{
	struct ch_query *q = QY(q0);
	struct ch_store *s = CH(q0->st);
	if (ncols == 0 || ncols > CH_MAX_COLS)
		return set_cause(cause, "scan: %zu columns", ncols);
	if (resolve(q, cause) < 0)
		return -1;
	for (size_t i = 0; i < ncols; i++)
		if (!strcmp(cols[i], "raw"))
			return scan_raw(q, cols, ncols, fn, ctx, cause);
	struct ch_scan_ctx c = { .n = ncols, .s = s, .fn = fn, .ctx = ctx };
	for (size_t i = 0; i < ncols; i++)
		c.vid[i] = ch_col_is_vid(cols[i]);
	struct util_buf list = { 0 };
	bool msgs = false;
	for (size_t i = 0; i < ncols; i++) {
		char *e = ch_col_sql(cols[i], &c.text[i]);
		if (!e) {
			util_buf_free(&list);
			return set_cause(cause, "scan: no column '%s'", cols[i]);
		}
		msgs |= !strcmp(cols[i], "msglist");
		util_buf_printf(&list, "%s%s", i ? ", " : "", e);
		free(e);
	}
	char *sql =
		xasprintf("SELECT %s FROM %s.%s WHERE (%s)%s FORMAT RowBinary", util_buf_str(&list),
			  s->url.db, msgs ? "events" : q->c.table, q->c.where, msgs ? " AND nmsgs > 0" : "");
	util_buf_free(&list);
	int r = run(q, sql, NULL, ch_scan_data, &c, cause);
	free(sql);
	if (r < 0 && c.stopped)
		r = 0; /* the callback asked to stop: not an error */
	else if (r == 0 && c.pend.n)
		r = set_cause(cause, "%s: a scan's answer ends inside a row", ch_conn_name(s->conn));
	util_buf_free(&c.pend);
	return r;
}

/* ------------------------------------------------------------------ */
/* Pushed down: stacks and histograms */

int ch_group(struct query *q0, const char *field, const char *distinct, struct stack *out, char **cause)
{
	struct ch_query *q = QY(q0);
	struct ch_store *s = CH(q0->st);
	const struct filter_field *f = filter_field_find(field);
	const struct filter_field *d = distinct ? filter_field_find(distinct) : NULL;
	if (!f || !(f->flags & (FIELD_TEXT | FIELD_SOURCE)) || (distinct && (!d || !(d->flags & FIELD_TEXT))))
		return 0;
	if (resolve(q, cause) < 0)
		return -1;
	bool src = (f->flags & FIELD_SOURCE) != 0;
	char *key = src ? xstrdup("toString(source)") : xstrdup(f->column);
	/* the whole case's stack of a few fields is kept (store.c) */
	char *sql = ch_stacks_sql(s, &q->c, field, d ? d->name : NULL);
	if (sql)
		;
	else if (d)
		sql = xasprintf("SELECT %s AS k, count(), uniqExactIf(%s, %s != ''), min(ts), max(ts) FROM %s.%s"
				" WHERE (%s) GROUP BY k FORMAT RowBinary",
				key, d->column, d->column, s->url.db, q->c.table, q->c.where);
	else
		sql = xasprintf("SELECT %s AS k, count(), toUInt64(0), toInt64(0), toInt64(0) FROM %s.%s"
				" WHERE (%s) AND %s != %s GROUP BY k FORMAT RowBinary",
				key, s->url.db, q->c.table, q->c.where, src ? "source" : f->column,
				src ? "0" : "''");
	free(key);
	struct util_buf res = { 0 };
	int r = run(q, sql, &res, NULL, NULL, cause);
	free(sql);
	if (r < 0) {
		util_buf_free(&res);
		return -1;
	}
	size_t cap = 0;
	struct ch_rd rd = { res.p, res.p + res.n, false };
	while (rd.p < rd.end) {
		size_t kn;
		const char *k = ch_rd_str(&rd, &kn);
		uint64_t ev = ch_rd_u64(&rd), dn = ch_rd_u64(&rd);
		int64_t lo = ch_rd_i64(&rd), hi = ch_rd_i64(&rd);
		if (rd.bad)
			break;
		out->rows = xgrow(out->rows, &cap, out->n + 1, sizeof *out->rows);
		struct stack_row *row = &out->rows[out->n++];
		char *v = NULL;
		if (src) {
			char *num = xstrndup(k, kn);
			const char *p = ch_source_path(s, atoll(num));
			free(num);
			v = p ? xstrdup(p) : NULL;
		} else if (kn) {
			v = sanitize_nul(k, kn); /* a NUL shown, not the end */
		}
		*row = (struct stack_row){
			.value = v, .events = (int64_t)ev, .distinct = (int64_t)dn, .first = lo, .last = hi
		};
		out->events += row->events;
	}
	util_buf_free(&res);
	if (rd.bad) {
		stack_clear(out);
		return set_cause(cause, "%s: short answer to a stack", ch_conn_name(s->conn));
	}
	return 1;
}

int ch_buckets(struct query *q0, int64_t start, int64_t width, size_t n, int64_t *counts, char **cause)
{
	struct ch_query *q = QY(q0);
	struct ch_store *s = CH(q0->st);
	if (width <= 0 || !n)
		return 0;
	if (resolve(q, cause) < 0)
		return -1;
	int64_t end = (int64_t)n > (INT64_MAX - start) / width ? INT64_MAX : start + (int64_t)n * width;
	/* Int64 arithmetic: 18.16 has no toStartOfInterval over milliseconds */
	char *sql = xasprintf("SELECT intDiv(ts - %lld, %lld) AS b, count() FROM %s.%s WHERE (%s) AND ts >= %lld"
			      " AND ts < %lld GROUP BY b FORMAT RowBinary",
			      (long long)start, (long long)width, s->url.db, q->c.table, q->c.where,
			      (long long)start, (long long)end);
	struct util_buf res = { 0 };
	int r = run(q, sql, &res, NULL, NULL, cause);
	free(sql);
	if (r < 0) {
		util_buf_free(&res);
		return -1;
	}
	struct ch_rd rd = { res.p, res.p + res.n, false };
	while (rd.p < rd.end) {
		int64_t b = ch_rd_i64(&rd);
		uint64_t c = ch_rd_u64(&rd);
		if (rd.bad)
			break;
		if (b >= 0 && (uint64_t)b < n)
			counts[b] += (int64_t)c;
	}
	util_buf_free(&res);
	if (rd.bad)
		return set_cause(cause, "%s: short answer to a histogram", ch_conn_name(s->conn));
	return 1;
}
