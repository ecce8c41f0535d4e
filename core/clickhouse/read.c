/*
 * read.c: the ClickHouse store's reads of what a load wrote (ch.h):
 * rows by id, the case's summary, sources and rejects, its time range,
 * raw records, message lists and value texts; saved state is the side
 * file's.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ch.h"
#include "sanitize.h"
#include "xalloc.h"

const char *ch_source_path(struct ch_store *s, int64_t id)
{
	if (id <= 0)
		return NULL;
	const int64_t *k = util_imap_get(&s->srcs, (uint64_t)id);
	if (!k) {
		ch_side_sources(s->side, &s->srcs, &s->srcpaths, NULL);
		k = util_imap_get(&s->srcs, (uint64_t)id);
	}
	return k ? s->srcpaths.v[*k - 1] : NULL;
}

/* (a value may hold a NUL, a JSON \u0000: shown as \x00, not its end,
 * as the SQLite store reads it) */
static char *dup_or_null(const char *p, size_t n)
{
	return n ? sanitize_nul(p, n) : NULL;
}

bool ch_rd_row(struct ch_store *s, struct ch_rd *rd, struct query_row *r)
{
	memset(r, 0, sizeof *r);
	size_t n;
	const char *p;
	r->id = ch_rd_i64(rd);
	r->ts = ch_rd_i64(rd);
	r->line = ch_rd_i64(rd);
	r->op_count = ch_rd_i64(rd);
	r->kind = ch_rd_u8(rd);
	r->flags = ch_rd_u32(rd);
#define STR(f)                 \
	p = ch_rd_str(rd, &n); \
	r->f = dup_or_null(p, n);
	STR(record_id)
	STR(op)
	STR(rtype)
	STR(workload)
	STR(user)
	STR(app)
	STR(client_app)
	STR(ip)
	STR(result)
	STR(session)
	STR(token)
	STR(mailbox)
	STR(access)
	STR(client_info)
	int64_t src = ch_rd_i64(rd);
	STR(detail)
	STR(host)
#undef STR
	if (rd->bad) {
		query_row_clear(r);
		return false;
	}
	const char *path = ch_source_path(s, src);
	r->source = path ? xstrdup(path) : NULL;
	return true;
}

/* Run sql (FORMAT RowBinary) into out. */
static int read_all(struct ch_store *s, const char *sql, struct util_buf *out, char **cause)
{
	return ch_exec(s->conn, sql, false, out, cause);
}

int ch_time_range(struct store *st, int64_t *first, int64_t *last, char **cause)
{
	struct ch_store *s = CH(st);
	*first = *last = 0;
	char *sql =
		s->spans ? xasprintf("SELECT toUInt64(sum(n)), min(lo), max(hi) FROM %s.spans FORMAT RowBinary",
				     s->url.db)
			 : xasprintf("SELECT count(), min(ts), max(ts) FROM %s.events FORMAT RowBinary",
				     s->url.db);
	struct util_buf out = { 0 };
	int r = read_all(s, sql, &out, cause);
	free(sql);
	if (r < 0) {
		util_buf_free(&out);
		return -1;
	}
	struct ch_rd rd = { out.p, out.p + out.n, false };
	uint64_t n = ch_rd_u64(&rd);
	int64_t a = ch_rd_i64(&rd), b = ch_rd_i64(&rd);
	util_buf_free(&out);
	if (rd.bad)
		return set_cause(cause, "%s: short answer to a time range", ch_path(st));
	if (!n)
		return 0;
	*first = a;
	*last = b;
	return 1;
}

int ch_summary(struct store *st, struct store_summary *sum, char **cause)
{
	struct ch_store *s = CH(st);
	memset(sum, 0, sizeof *sum);
	sum->first_ts = INT64_MAX;
	sum->last_ts = INT64_MIN;
	struct util_buf sql = { 0 }, out = { 0 };
	util_buf_printf(&sql, "SELECT count(), sum(nmsgs), min(ts), max(ts), (SELECT sum(bytes) FROM system.parts"
			      " WHERE active AND database = ");
	ch_quote(&sql, s->url.db, strlen(s->url.db));
	util_buf_printf(&sql, ") FROM %s.events FORMAT RowBinary", s->url.db);
	int r = read_all(s, util_buf_str(&sql), &out, cause);
	util_buf_free(&sql);
	if (r < 0) {
		util_buf_free(&out);
		return -1;
	}
	struct ch_rd rd = { out.p, out.p + out.n, false };
	sum->events = ch_rd_i64(&rd);
	sum->messages = (int64_t)ch_rd_u64(&rd);
	int64_t a = ch_rd_i64(&rd), b = ch_rd_i64(&rd);
	sum->file_bytes = (int64_t)ch_rd_u64(&rd);
	util_buf_free(&out);
	if (rd.bad)
		return set_cause(cause, "%s: short answer to a summary", ch_path(st));
	if (sum->events) {
		sum->first_ts = a;
		sum->last_ts = b;
	}
	if (ch_side_totals(s->side, sum, cause) < 0)
		return -1;
	struct stat sb;
	if (stat(s->url.casefile, &sb) == 0)
		sum->file_bytes += sb.st_size;
	return 0;
}

int ch_each_source(struct store *st, int (*fn)(const struct store_source_row *r, void *ctx), void *ctx,
		   char **cause)
{
	struct store *side = CH(st)->side;
	return side->ops->each_source(side, fn, ctx, cause);
}

int ch_each_reject(struct store *st, int64_t limit, int (*fn)(const struct store_reject_row *r, void *ctx),
		   void *ctx, char **cause)
{
	struct store *side = CH(st)->side;
	return side->ops->each_reject(side, limit, fn, ctx, cause);
}

char *ch_stacks_sql(const struct ch_store *s, const struct ch_compiled *c, const char *field,
		    const char *distinct)
{
	int f = ch_stack_field(field);
	if (!s->stacks || !f || strcmp(c->where, "1") != 0 || c->raw || c->next ||
	    strcmp(c->table, "events") != 0 || (distinct && strcmp(distinct, "mailbox") != 0))
		return NULL;
	if (distinct)
		return xasprintf("SELECT v AS k, countMerge(n), uniqExactIfMerge(d), minMerge(lo), maxMerge(hi)"
				 " FROM %s.stacks WHERE f = %d GROUP BY k FORMAT RowBinary",
				 s->url.db, f);
	return xasprintf("SELECT v AS k, countMerge(n), toUInt64(0), toInt64(0), toInt64(0) FROM %s.stacks"
			 " WHERE f = %d AND v != '' GROUP BY k FORMAT RowBinary",
			 s->url.db, f);
}

char *ch_raw(struct store *st, int64_t id, size_t *len)
{
	struct ch_store *s = CH(st);
	/* a negative id is a replaced copy's (ch_seen_raw_id), in seenraw */
	if (id < 0 && !s->seenraw)
		return NULL;
	char *sql = xasprintf("SELECT raw FROM %s.%s WHERE id = %lld LIMIT 1 FORMAT RowBinary", s->url.db,
			      id < 0 ? "seenraw" : "raw", (long long)id);
	struct util_buf out = { 0 };
	int r = read_all(s, sql, &out, NULL);
	free(sql);
	char *res = NULL;
	if (r == 0 && out.n) {
		struct ch_rd rd = { out.p, out.p + out.n, false };
		size_t n;
		const char *p = ch_rd_str(&rd, &n);
		if (!rd.bad) {
			res = xstrndup(p, n);
			if (len)
				*len = n;
		}
	}
	util_buf_free(&out);
	return res;
}

/* Each message of a list "[[folder, msgid, size], ...]" (n bytes) to fn. */
static int each_message(const char *p, size_t n, int (*fn)(const struct store_message *m, void *ctx), void *ctx)
{
	json_t *j = n ? json_loadb(p, n, 0, NULL) : NULL;
	int rc = 0;
	size_t i;
	json_t *item;
	json_array_foreach(j, i, item)
	{
		json_t *sz = json_array_get(item, 2);
		struct store_message m = {
			.folder = json_string_value(json_array_get(item, 0)),
			.msgid = json_string_value(json_array_get(item, 1)),
			.size = json_is_integer(sz) ? (int64_t)json_integer_value(sz) : -1,
		};
		if ((rc = fn(&m, ctx)) != 0)
			break;
	}
	json_decref(j);
	return rc;
}

int ch_event_messages(struct store *st, int64_t event, int (*fn)(const struct store_message *m, void *ctx),
		      void *ctx, char **cause)
{
	struct ch_store *s = CH(st);
	char *sql = xasprintf("SELECT msgs FROM %s.%s WHERE id = %lld LIMIT 1 FORMAT RowBinary", s->url.db,
			      s->hev ? "evmsg" : "events", (long long)event);
	struct util_buf out = { 0 };
	int r = read_all(s, sql, &out, cause);
	free(sql);
	if (r < 0 || !out.n) {
		util_buf_free(&out);
		return r;
	}
	struct ch_rd rd = { out.p, out.p + out.n, false };
	size_t n;
	const char *p = ch_rd_str(&rd, &n);
	int rc = each_message(p, n, fn, ctx);
	util_buf_free(&out);
	return rc;
}

struct at_msg {
	size_t i;
	int (*fn)(size_t i, const struct store_message *m, void *ctx);
	void *ctx;
};

static int at_msg(const struct store_message *m, void *ctx)
{
	struct at_msg *a = ctx;
	return a->fn(a->i, m, a->ctx);
}

/* The lists of ids[0..n) in table (one request, the ids as external
 * data) into res[k], and at: event id -> offset + 1 of its list there,
 * k in the top bits. */
#define AT_SHIFT 56
static int msgs_read(struct ch_store *s, const char *table, const int64_t *ids, size_t n,
		     struct util_buf *res, int k, struct util_imap *at, char **cause)
{
	struct util_buf data = { 0 };
	for (size_t i = 0; i < n; i++)
		ch_tsv_i64(&data, ids[i]);
	/* evmsg and evsync are ordered by id: the ids' granules only; an
	 * event stored twice comes twice and is kept once in at (a GROUP BY
	 * with any(msgs) copied every list into the server's hash table) */
	char *sql = xasprintf("SELECT id, msgs FROM %s.%s WHERE id IN ids AND msgs != '' FORMAT RowBinary",
			      s->url.db, table);
	if (ch_read_ext(s->conn, sql, "ids", "id Int64", &data, res, cause) < 0)
		return -1;
	struct ch_rd rd = { res->p, res->p + res->n, false };
	while (rd.p < rd.end) {
		int64_t id = ch_rd_i64(&rd);
		const char *start = rd.p;
		size_t ln;
		ch_rd_str(&rd, &ln);
		if (rd.bad || !id)
			break;
		*util_imap_slot(at, (uint64_t)id, 0, NULL) = ((int64_t)k << AT_SHIFT) | ((start - res->p) + 1);
	}
	return 0;
}

/* Every event's list in one request (two with evsync: the Sync reads'
 * first, then evmsg for the ids not found there, when any), handed out
 * in the caller's order. */
int ch_events_messages(struct store *st, const int64_t *events, size_t n,
		       int (*fn)(size_t i, const struct store_message *m, void *ctx), void *ctx, char **cause)
{
	struct ch_store *s = CH(st);
	if (!n)
		return 0;
	struct util_buf res[2] = { { 0 }, { 0 } };
	struct util_imap at = { 0 };
	int rc = 0;
	if (!s->hev) {
		rc = msgs_read(s, "events", events, n, &res[0], 0, &at, cause);
	} else if (!s->evsync) {
		rc = msgs_read(s, "evmsg", events, n, &res[0], 0, &at, cause);
	} else if ((rc = msgs_read(s, "evsync", events, n, &res[0], 0, &at, cause)) == 0) {
		struct util_ivec rest = { 0 };
		for (size_t i = 0; i < n; i++)
			if (events[i] && !util_imap_get(&at, (uint64_t)events[i]))
				util_ivec_push(&rest, events[i]);
		if (rest.n)
			rc = msgs_read(s, "evmsg", rest.v, rest.n, &res[1], 1, &at, cause);
		util_ivec_free(&rest);
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const int64_t *off = events[i] ? util_imap_get(&at, (uint64_t)events[i]) : NULL;
		if (!off)
			continue;
		const struct util_buf *r = &res[*off >> AT_SHIFT];
		struct ch_rd one = { r->p + (*off & ((1LL << AT_SHIFT) - 1)) - 1, r->p + r->n, false };
		size_t ln;
		const char *p = ch_rd_str(&one, &ln);
		struct at_msg a = { i, fn, ctx };
		rc = each_message(p, ln, at_msg, &a);
	}
	util_imap_free(&at);
	util_buf_free(&res[0]);
	util_buf_free(&res[1]);
	return rc;
}

int ch_event_seen(struct store *st, int64_t event,
		  int (*fn)(const char *path, int64_t line, int64_t raw, void *ctx), void *ctx, char **cause)
{
	struct store *side = CH(st)->side;
	return side->ops->event_seen(side, event, fn, ctx, cause);
}

/* Rows of the given ids, in the order given. */
int ch_each_id(struct store *st, const int64_t *ids, size_t n, query_row_fn fn, void *ctx, char **cause)
{
	struct ch_store *s = CH(st);
	if (!n)
		return 0;
	struct util_buf data = { 0 }, out = { 0 };
	for (size_t i = 0; i < n; i++)
		ch_tsv_i64(&data, ids[i]);
	char *sql =
		xasprintf("SELECT " CH_ROW_COLS " FROM %s.events WHERE id IN ids FORMAT RowBinary", s->url.db);
	if (ch_read_ext(s->conn, sql, "ids", "id Int64", &data, &out, cause) < 0)
		return -1;
	struct query_row *rows = NULL;
	size_t nrows = 0, cap = 0;
	struct ch_rd rd = { out.p, out.p + out.n, false };
	while (rd.p < rd.end) {
		rows = xgrow(rows, &cap, nrows + 1, sizeof *rows);
		if (!ch_rd_row(s, &rd, &rows[nrows]))
			break;
		nrows++;
	}
	util_buf_free(&out);
	int rc = rd.bad ? set_cause(cause, "%s: short answer to a read of events", ch_path(st))
			: ch_rows_places(s, rows, nrows, cause);
	for (size_t i = 0; !rc && i < n; i++)
		for (size_t k = 0; k < nrows; k++)
			if (rows[k].id == ids[i]) {
				if (fn(&rows[k], ctx) != 0)
					i = n;
				break;
			}
	for (size_t k = 0; k < nrows; k++)
		query_row_clear(&rows[k]);
	free(rows);
	return rc;
}

int ch_value_texts(struct store *st, const char *field, const int64_t *ids, size_t n, char **out, char **cause)
{
	struct ch_store *s = CH(st);
	const struct filter_field *f = filter_field_find(field);
	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	if (f && (f->flags & FIELD_SOURCE)) {
		for (size_t i = 0; i < n; i++) {
			const char *p = ch_source_path(s, ids[i]);
			out[i] = p ? xstrdup(p) : NULL;
		}
		return 0;
	}
	/* the ids not asked for before, in one request (as the server's
	 * hashes) */
	int64_t *hs = xcalloc(n ? n : 1, sizeof *hs);
	for (size_t i = 0; i < n; i++)
		hs[i] = ch_hash(s, ids[i]);
	struct util_buf data = { 0 };
	size_t ask = 0;
	for (size_t i = 0; i < n; i++)
		if (hs[i] > 0 && !util_imap_get(&s->texts, (uint64_t)hs[i])) {
			ch_tsv_i64(&data, hs[i]);
			ask++;
		}
	if (ask) {
		char *sql =
			xasprintf("SELECT h, any(v) FROM %s.vals WHERE h IN ids GROUP BY h FORMAT RowBinary",
				  s->url.db);
		struct util_buf res = { 0 };
		if (ch_read_ext(s->conn, sql, "ids", "h Int64", &data, &res, cause) < 0) {
			free(hs);
			return -1;
		}
		struct ch_rd rd = { res.p, res.p + res.n, false };
		while (rd.p < rd.end && !rd.bad) {
			int64_t h = ch_rd_i64(&rd);
			size_t vn;
			const char *v = ch_rd_str(&rd, &vn);
			if (rd.bad || !h)
				break;
			bool isnew;
			int64_t *slot = util_imap_slot(&s->texts, (uint64_t)h, 0, &isnew);
			if (isnew) {
				*slot = (int64_t)s->names.n + 1;
				util_svec_take(&s->names, sanitize_nul(v, vn));
			}
		}
		util_buf_free(&res);
	}
	util_buf_free(&data);
	for (size_t i = 0; i < n; i++) {
		const int64_t *k = hs[i] > 0 ? util_imap_get(&s->texts, (uint64_t)hs[i]) : NULL;
		out[i] = k ? xstrdup(s->names.v[*k - 1]) : NULL;
	}
	free(hs);
	return 0;
}

char *ch_state_get(struct store *st, const char *key)
{
	struct store *side = CH(st)->side;
	return side->ops->state_get(side, key);
}

int ch_state_set(struct store *st, const char *key, const char *value, char **cause)
{
	struct store *side = CH(st)->side;
	return side->ops->state_set(side, key, value, cause);
}
