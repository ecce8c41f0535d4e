/*
 * pick.c: the ClickHouse store's reads for the hunts, Sigma rules and
 * app names (storage.h): value lookups, picks of events by field values
 * or ids (through a pivot copy where one field narrows them), raw records
 * by id, and the streamed scan they share with query.c (ch_scan_data).
 */
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "ch.h"
#include "xalloc.h"

/* The SQL of one scan column (caller frees); NULL when unknown. */
bool ch_col_is_vid(const char *name)
{
	const struct filter_field *f = filter_field_find(name);
	return f && (f->flags & FIELD_TEXT) && !(f->flags & FIELD_SOURCE);
}

char *ch_col_sql(const char *name, bool *is_text)
{
	*is_text = false;
	const struct filter_field *f = filter_field_find(name);
	if (!strcmp(name, "id") || !strcmp(name, "ts") || !strcmp(name, "op_count") || !strcmp(name, "line"))
		return xstrdup(name);
	if (!strcmp(name, "record_id")) {
		*is_text = true;
		return xstrdup("record_id");
	}
	if (!strcmp(name, "kind") || !strcmp(name, "flags"))
		return xasprintf("toInt64(%s)", name);
	if (!strcmp(name, "msglist")) {
		*is_text = true;
		return xstrdup("msgs");
	}
	if (f && (f->flags & FIELD_SOURCE))
		return xstrdup("source");
	if (f && (f->flags & FIELD_TEXT))
		return ch_value_id_sql(f->column);
	return NULL;
}

/*
 * The lookup of text through vals_lc (its key is the lower case): the
 * lower case equal (NOCASE), that and the text itself (EXACT: vals by the
 * hashes found), or a range of the key (PREFIX: from the prefix to the
 * first text past every one it starts). ClickHouse's lower() changes
 * ASCII letters only, as this one does.
 */
static void lc_lookup(struct ch_store *s, const char *text, enum store_match how, struct util_buf *sql)
{
	size_t n = strlen(text);
	char *low = xstrdup(text);
	for (size_t i = 0; i < n; i++)
		if (low[i] >= 'A' && low[i] <= 'Z')
			low[i] = (char)(low[i] - 'A' + 'a');
	struct util_buf lit = { 0 };
	ch_quote(&lit, low, n);
	const char *db = s->url.db;
	if (how == STORE_MATCH_NOCASE) {
		util_buf_printf(sql, "SELECT DISTINCT h FROM %s.vals_lc WHERE lv = %s", db, util_buf_str(&lit));
	} else if (how == STORE_MATCH_EXACT) {
		struct util_buf v = { 0 };
		ch_quote(&v, text, n);
		util_buf_printf(sql,
				"SELECT DISTINCT h FROM %s.vals WHERE h IN (SELECT h FROM %s.vals_lc WHERE lv = %s)"
				" AND v = %s",
				db, db, util_buf_str(&lit), util_buf_str(&v));
		util_buf_free(&v);
	} else {
		util_buf_printf(sql,
				"SELECT DISTINCT h FROM %s.vals_lc WHERE lv >= %s AND substring(lv, 1, %zu) = %s",
				db, util_buf_str(&lit), n, util_buf_str(&lit));
		/* the least text greater than all that start with low */
		size_t k = n;
		while (k && (unsigned char)low[k - 1] == 0xff)
			k--;
		if (k) {
			low[k - 1] = (char)((unsigned char)low[k - 1] + 1);
			struct util_buf hi = { 0 };
			ch_quote(&hi, low, k);
			util_buf_printf(sql, " AND lv < %s", util_buf_str(&hi));
			util_buf_free(&hi);
		}
	}
	util_buf_free(&lit);
	free(low);
}

int ch_value_find(struct store *st, const char *field, const char *text, enum store_match how, int64_t **ids,
		  size_t *n, char **cause)
{
	struct ch_store *s = CH(st);
	const struct filter_field *f = filter_field_find(field);
	struct util_ivec found = { 0 };
	if (f && (f->flags & FIELD_SOURCE)) {
		if (ch_side_sources(s->side, &s->srcs, &s->srcpaths, cause) < 0)
			return -1;
		size_t tl = strlen(text);
		for (size_t i = 0; i < s->srcs.cap; i++) {
			if (!s->srcs.keys[i])
				continue;
			const char *p = s->srcpaths.v[s->srcs.vals[i] - 1];
			bool m = how == STORE_MATCH_EXACT    ? !strcmp(p, text)
				 : how == STORE_MATCH_PREFIX ? !strncasecmp(p, text, tl)
							     : !strcasecmp(p, text);
			if (m)
				util_ivec_push(&found, (int64_t)s->srcs.keys[i]);
		}
	} else {
		struct util_buf sql = { 0 }, lit = { 0 };
		ch_quote(&lit, text, strlen(text));
		if (s->lc) {
			lc_lookup(s, text, how, &sql);
		} else {
			/* a read-only database from before vals_lc: every value */
			util_buf_printf(&sql, "SELECT DISTINCT h FROM %s.vals WHERE ", s->url.db);
			if (how == STORE_MATCH_EXACT)
				util_buf_printf(&sql, "v = %s", util_buf_str(&lit));
			else if (how == STORE_MATCH_PREFIX)
				util_buf_printf(&sql, "lower(substring(v, 1, %zu)) = lower(%s)", strlen(text),
						util_buf_str(&lit));
			else
				util_buf_printf(&sql, "lower(v) = lower(%s)", util_buf_str(&lit));
		}
		util_buf_puts(&sql, " FORMAT RowBinary");
		struct util_buf out = { 0 };
		int r = ch_exec(s->conn, util_buf_str(&sql), false, &out, cause);
		util_buf_free(&sql);
		util_buf_free(&lit);
		if (r < 0) {
			util_buf_free(&out);
			return -1;
		}
		struct ch_rd rd = { out.p, out.p + out.n, false };
		while (rd.p < rd.end) {
			int64_t h = ch_rd_i64(&rd);
			if (rd.bad)
				break;
			util_ivec_push(&found, ch_dense(s, h));
		}
		util_buf_free(&out);
	}
	size_t cap = *n;
	for (size_t k = 0; k < found.n; k++) {
		bool dup = false;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = (*ids)[i] == found.v[k];
		if (dup)
			continue;
		*ids = xgrow(*ids, &cap, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = found.v[k];
	}
	util_ivec_free(&found);
	return 0;
}

/* hev's column of a text field the hunts group by, or NULL. */
static const char *hev_col(const char *name)
{
	static const char *const cols[][2] = {
		{ "op", "h_op" },           { "user", "h_user" },
		{ "app", "h_app" },         { "client_app", "h_client_app" },
		{ "ip", "h_ip" },           { "mailbox", "h_mailbox" },
		{ "access", "h_access" },   { "result", "h_result" },
		{ "session", "h_session" }, { "token", "h_token" },
	};
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		if (!strcmp(cols[i][0], name))
			return cols[i][1];
	return NULL;
}

/* Can a pick read hev (store.c: the hunts' narrow table) rather than
 * events: every column and every field it tests is there. */
static bool pick_on_hev(const struct ch_store *s, const struct store_pick *p, const char *const *cols,
			size_t ncols)
{
	if (!s->hev)
		return false;
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(cols[i], "id") && strcmp(cols[i], "ts") && strcmp(cols[i], "kind") &&
		    strcmp(cols[i], "flags") && !hev_col(cols[i]))
			return false;
	if (p->field && !hev_col(p->field))
		return false;
	for (int k = 0; k < 2; k++)
		if (p->also.n && p->also.fields[k] && !hev_col(p->also.fields[k]))
			return false;
	return true;
}

/* "EXPR IN (ids)" of a text field's value ids (0: absent); on hev, its
 * column of hashes. */
static int ids_cond(struct ch_store *s, struct util_buf *sql, const char *field, const int64_t *ids, size_t n,
		    bool hev, char **cause)
{
	const struct filter_field *f = filter_field_find(field);
	if (!f || !(f->flags & (FIELD_TEXT | FIELD_SOURCE)))
		return set_cause(cause, "pick: no text field '%s'", field);
	bool src = (f->flags & FIELD_SOURCE) != 0;
	char *e = src ? xstrdup("source") : hev ? xstrdup(hev_col(field)) : ch_value_id_sql(f->column);
	util_buf_printf(sql, "%s IN (", e);
	free(e);
	for (size_t i = 0; i < n; i++)
		util_buf_printf(sql, "%s%lld", i ? ", " : "", (long long)(src ? ids[i] : ch_hash(s, ids[i])));
	util_buf_puts(sql, n ? ")" : "-1)");
	return 0;
}

/*
 * A pick narrowed by a pivot field (user, app, ip, op, session) reads
 * that field's copy (ev_FIELD, ordered by the field then ts): the
 * condition on the values' texts, which the copy's key answers, in
 * *out; NULL when the pick must read events (another field, too many
 * values, a column the copies lack). 0 or -1.
 */
#define PIVOT_MAX_VALUES 256
static int pivot_cond(struct ch_store *s, const struct store_pick *p, const char *const *cols, size_t ncols,
		      char **out, char **cause)
{
	*out = NULL;
	const char *key = ch_pivot_key(p->field);
	if (!key || !p->n || p->n > PIVOT_MAX_VALUES)
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->ids[i] <= 0)
			return 0; /* "absent": the events table's own test */
	for (size_t i = 0; i < ncols; i++)
		if (!strcmp(cols[i], "msglist"))
			return 0;
	char **texts = xcalloc(p->n, sizeof *texts);
	if (s->base.ops->value_texts(&s->base, p->field, p->ids, p->n, texts, cause) < 0) {
		free(texts);
		return -1;
	}
	struct util_buf b = { 0 };
	bool lower = strncmp(key, "lower(", 6) == 0;
	util_buf_printf(&b, "%s IN (", key);
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (!texts[i])
			continue; /* an id no event carries */
		util_buf_puts(&b, k++ ? ", " : "");
		if (lower)
			util_buf_puts(&b, "lower(");
		ch_quote(&b, texts[i], strlen(texts[i]));
		if (lower)
			util_buf_puts(&b, ")");
	}
	util_buf_printf(&b, "%s) AND %s IN (", k ? "" : "''", p->field);
	k = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (!texts[i])
			continue;
		util_buf_puts(&b, k++ ? ", " : "");
		ch_quote(&b, texts[i], strlen(texts[i]));
		free(texts[i]);
	}
	util_buf_puts(&b, k ? ")" : "'')");
	free(texts);
	*out = util_buf_take(&b);
	return 0;
}

int ch_pick(struct store *st, const struct store_pick *p, const char *const *cols, size_t ncols,
	    store_row_fn fn, void *ctx, char **cause)
{
	struct ch_store *s = CH(st);
	if (ncols == 0 || ncols > CH_MAX_COLS)
		return set_cause(cause, "pick: %zu columns", ncols);
	if (p->field && !p->n)
		return 0; /* no value asked for: no event */
	struct ch_scan_ctx c = { .n = ncols, .s = s, .fn = fn, .ctx = ctx };
	for (size_t i = 0; i < ncols; i++)
		c.vid[i] = ch_col_is_vid(cols[i]);
	int r = 0;
	char *pivot = NULL;
	/* hev's integers where it has every column (the hashes there, not
	 * computed from every event's text), unless a pivot copy narrows the
	 * pick to its values' range: a user's, an app's. An operation's range
	 * is often most of the case (mail reads), and an also condition on
	 * it (oauth-consent: the reads of a few apps after a time) then
	 * hashed the app of every mail read */
	bool hev = pick_on_hev(s, p, cols, ncols);
	bool wide = p->wide || (hev && p->also.n && p->field && !strcmp(p->field, "op"));
	if (p->field && !wide && (r = pivot_cond(s, p, cols, ncols, &pivot, cause)) < 0)
		return -1;
	hev = hev && !pivot;
	struct util_buf sql = { 0 };
	util_buf_puts(&sql, "SELECT ");
	for (size_t i = 0; i < ncols; i++) {
		const char *h = hev ? hev_col(cols[i]) : NULL;
		char *e = h ? xstrdup(h) : ch_col_sql(cols[i], &c.text[i]);
		if (!e) {
			util_buf_free(&sql);
			free(pivot);
			return set_cause(cause, "pick: no column '%s'", cols[i]);
		}
		util_buf_printf(&sql, "%s%s", i ? ", " : "", e);
		free(e);
	}
	if (pivot) {
		/* the field's own copy, ordered by it: only its values' range */
		char tb[32];
		util_buf_printf(&sql, " FROM %s.%s WHERE %s", s->url.db,
				ch_pivot_table(s, p->field, tb, sizeof tb), pivot);
		free(pivot);
	} else {
		util_buf_printf(&sql, " FROM %s.%s WHERE 1", s->url.db, hev ? "hev" : "events");
		if (p->field) {
			util_buf_puts(&sql, " AND ");
			r = ids_cond(s, &sql, p->field, p->ids, p->n, hev, cause);
		}
	}
	if (p->ts_from != INT64_MIN || p->ts_to != INT64_MAX)
		util_buf_printf(&sql, " AND ts >= %lld AND ts <= %lld", (long long)p->ts_from,
				(long long)p->ts_to);
	if (p->id_from != INT64_MIN || p->id_to != INT64_MAX)
		util_buf_printf(&sql, " AND id >= %lld AND id <= %lld", (long long)p->id_from,
				(long long)p->id_to);
	if (p->flags)
		util_buf_printf(&sql, " AND bitAnd(flags, %u) != 0", p->flags);
	if (r == 0 && p->also.n) {
		util_buf_puts(&sql, " AND (");
		for (int k = 0; r == 0 && k < 2 && p->also.fields[k]; k++) {
			util_buf_puts(&sql, k ? " OR " : "");
			r = ids_cond(s, &sql, p->also.fields[k], p->also.ids, p->also.n, hev, cause);
		}
		util_buf_puts(&sql, ")");
	}
	if (r < 0) {
		util_buf_free(&sql);
		return -1;
	}
	if (p->by_ts || p->limit >= 0)
		util_buf_puts(&sql, p->by_ts ? " ORDER BY ts, id" : " ORDER BY id");
	if (p->limit >= 0)
		util_buf_printf(&sql, " LIMIT %lld", (long long)p->limit);
	util_buf_puts(&sql, " FORMAT RowBinary");
	struct ch_req req = { .sql = util_buf_str(&sql), .pr = p->pr, .fn = ch_scan_data, .ctx = &c };
	r = ch_run(s->conn, &req, cause);
	util_buf_free(&sql);
	if (r < 0 && c.stopped)
		r = 0;
	else if (r == 0 && c.pend.n)
		r = set_cause(cause, "%s: a pick's answer ends inside a row", ch_conn_name(s->conn));
	util_buf_free(&c.pend);
	return r;
}

struct raw_ctx {
	struct util_imap at; /* id -> offset + 1 into buf of (len, bytes) */
	struct util_buf buf;
};

int ch_raw_each(struct store *st, const int64_t *ids, size_t n, store_raw_fn fn, void *ctx, char **cause)
{
	struct ch_store *s = CH(st);
	/* in chunks, each one request; handed over in the order asked. A
	 * record stored twice (a load killed between raw and events) comes
	 * twice and is kept once here: GROUP BY id with any(raw) made the
	 * server copy every record into its hash table */
	for (size_t from = 0; from < n;) {
		size_t k = n - from < 5000 ? n - from : 5000;
		struct util_buf data = { 0 }, out = { 0 };
		for (size_t i = 0; i < k; i++)
			ch_tsv_i64(&data, ids[from + i]);
		char *sql = xasprintf("SELECT id, raw FROM %s.raw WHERE id IN ids FORMAT RowBinary", s->url.db);
		if (ch_read_ext(s->conn, sql, "ids", "id Int64", &data, &out, cause) < 0)
			return -1;
		struct util_imap at = { 0 };
		struct ch_rd rd = { out.p, out.p + out.n, false };
		while (rd.p < rd.end) {
			const char *row = rd.p;
			int64_t id = ch_rd_i64(&rd);
			size_t len;
			ch_rd_str(&rd, &len);
			if (rd.bad)
				break;
			if (id)
				*util_imap_slot(&at, (uint64_t)id, 0, NULL) = (int64_t)(row - out.p) + 1;
		}
		int stop = 0;
		for (size_t i = 0; i < k && !stop; i++) {
			const int64_t *o = ids[from + i] ? util_imap_get(&at, (uint64_t)ids[from + i]) : NULL;
			if (!o)
				continue;
			struct ch_rd one = { out.p + *o - 1 + 8, out.p + out.n, false };
			size_t len;
			const char *t = ch_rd_str(&one, &len);
			stop = fn(ctx, ids[from + i], t, len);
		}
		util_imap_free(&at);
		util_buf_free(&out);
		if (stop)
			break;
		from += k;
	}
	return 0;
}

int ch_stream(struct ch_store *s, const char *sql, const struct ch_ext *ext, size_t next,
	      const struct progress *pr, const char *const *cols, const bool *text, size_t ncols,
	      store_row_fn fn, void *ctx, bool *cancelled, char **cause)
{
	if (ncols == 0 || ncols > CH_MAX_COLS)
		return set_cause(cause, "scan: %zu columns", ncols);
	struct ch_scan_ctx c = { .n = ncols, .s = s, .fn = fn, .ctx = ctx };
	for (size_t i = 0; i < ncols; i++)
		c.vid[i] = ch_col_is_vid(cols[i]);
	memcpy(c.text, text, ncols * sizeof *text);
	struct ch_req req = {
		.sql = sql, .ext = next ? ext : NULL, .next = next, .pr = pr, .fn = ch_scan_data, .ctx = &c
	};
	int r = ch_run(s->conn, &req, cause);
	if (cancelled)
		*cancelled = req.cancelled;
	if (r < 0 && c.stopped)
		r = 0;
	else if (r == 0 && c.pend.n)
		r = set_cause(cause, "%s: a scan's answer ends inside a row", ch_conn_name(s->conn));
	util_buf_free(&c.pend);
	return r;
}

/* ------------------------------------------------------------------ */
/* The hunts' pass, grouped on the server (the hev table, store.c) */

/* " OR COL IN (hashes)" of value ids (the dense ids scans handed out);
 * nothing when none is known. */
static void hev_in(struct ch_store *s, struct util_buf *b, const char *col, const int64_t *ids, size_t n)
{
	struct util_buf in = { 0 };
	for (size_t i = 0; i < n; i++) {
		int64_t h = ids[i] > 0 ? ch_hash(s, ids[i]) : -1;
		if (h > 0)
			util_buf_printf(&in, "%s%lld", in.n ? ", " : "", (long long)h);
	}
	if (in.n)
		util_buf_printf(b, " OR %s IN (%s)", col, util_buf_str(&in));
	util_buf_free(&in);
}

/* The groups of a gathered pass, held to be merged into the stream of
 * the events that come alone, in (ts, id) order. */
struct gather_merge {
	size_t ncols, at_id, at_ts;
	int64_t *g; /* ngroups rows of ncols cells */
	size_t ng, cap, next;
	store_row_fn fn;
	void *ctx;
	struct store_cell cells[CH_MAX_COLS];
};

/* the places of id and ts in a held row, for qsort (no context) */
static _Thread_local size_t gather_cmp_id, gather_cmp_ts;

static int gather_cmp(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;
	size_t t = gather_cmp_ts, i = gather_cmp_id;
	if (x[t] != y[t])
		return x[t] < y[t] ? -1 : 1;
	return x[i] < y[i] ? -1 : x[i] > y[i];
}

static int gather_keep(void *ctx, const struct store_cell *c)
{
	struct gather_merge *m = ctx;
	m->g = xgrow(m->g, &m->cap, (m->ng + 1) * m->ncols, sizeof *m->g);
	for (size_t i = 0; i < m->ncols; i++)
		m->g[m->ng * m->ncols + i] = c[i].i;
	m->ng++;
	return 0;
}

/* Hand out the held groups before (ts, id); all of them with last. */
static int gather_flush(struct gather_merge *m, int64_t ts, int64_t id, bool last)
{
	while (m->next < m->ng) {
		const int64_t *g = &m->g[m->next * m->ncols];
		if (!last && (g[m->at_ts] > ts || (g[m->at_ts] == ts && g[m->at_id] > id)))
			break;
		for (size_t i = 0; i < m->ncols; i++)
			m->cells[i].i = g[i];
		m->next++;
		int r = m->fn(m->ctx, m->cells);
		if (r)
			return r;
	}
	return 0;
}

static int gather_alone(void *ctx, const struct store_cell *c)
{
	struct gather_merge *m = ctx;
	int r = gather_flush(m, c[m->at_ts].i, c[m->at_id].i, false);
	return r ? r : m->fn(m->ctx, c);
}

int ch_gather(struct store *st, const struct store_gather *g, const char *const *cols, size_t ncols,
	      store_row_fn fn, void *ctx, char **cause)
{
	struct ch_store *s = CH(st);
	if (!s->hev || ncols == 0 || ncols > CH_MAX_COLS)
		return 0;
	struct gather_merge m = { .ncols = ncols, .at_id = ncols, .at_ts = ncols, .fn = fn, .ctx = ctx };
	/* the groups from hgrp's states kept as events came (store.c), but
	 * for a split at a time they do not know */
	bool kept = s->hgrp && g->split == INT64_MIN;
	/* per column: its SQL alone and in a group; the group's key */
	struct util_buf one = { 0 }, grp = { 0 }, key = { 0 };
	int r = 0;
	for (size_t i = 0; i < ncols && r == 0; i++) {
		const char *c = cols[i], *h = hev_col(c);
		const char *sep = i ? ", " : "";
		if (!strcmp(c, "id")) {
			m.at_id = i;
			util_buf_printf(&one, "%sid", sep);
			/* the group's first event: least ts, then least id */
			util_buf_printf(&grp, "%s%s", sep,
					kept ? "argMinMerge(first)" : "argMin(id, (ts, id))");
		} else if (!strcmp(c, "ts")) {
			m.at_ts = i;
			util_buf_printf(&one, "%sts", sep);
			util_buf_printf(&grp, "%s%s", sep, kept ? "minMerge(lo)" : "min(ts)");
		} else if (!strcmp(c, "n")) {
			util_buf_printf(&one, "%stoInt64(1)", sep);
			util_buf_printf(&grp, "%stoInt64(%s)", sep, kept ? "countMerge(n)" : "count()");
		} else if (!strcmp(c, "ts_last")) {
			util_buf_printf(&one, "%sts", sep);
			util_buf_printf(&grp, "%s%s", sep, kept ? "maxMerge(hi)" : "max(ts)");
		} else if (!strcmp(c, "kind") || !strcmp(c, "flags")) {
			util_buf_printf(&one, "%stoInt64(%s)", sep, c);
			util_buf_printf(&grp, "%stoInt64(%s)", sep, c);
			util_buf_printf(&key, "%s%s", key.n ? ", " : "", c);
		} else if (h && strcmp(c, "session") && strcmp(c, "token")) {
			util_buf_printf(&one, "%s%s", sep, h);
			util_buf_printf(&grp, "%s%s", sep, h);
			util_buf_printf(&key, "%s%s", key.n ? ", " : "", h);
		} else {
			r = 1; /* not a column alike events share: the caller scans */
		}
	}
	if (r == 0 && (m.at_id == ncols || m.at_ts == ncols))
		r = 1; /* the order needs both */
	if (r) {
		util_buf_free(&one);
		util_buf_free(&grp);
		util_buf_free(&key);
		return 0;
	}
	if (g->split != INT64_MIN)
		util_buf_printf(&key, "%sts < %lld", key.n ? ", " : "", (long long)g->split);
	if (!key.n)
		util_buf_puts(&key, "kind");
	/* the events that come alone */
	struct util_buf alone = { 0 };
	util_buf_puts(&alone, "0");
	for (int k = 0; k < 32; k++)
		if (g->kinds & (1u << k))
			util_buf_printf(&alone, " OR kind = %d", k);
	if (g->flags)
		util_buf_printf(&alone, " OR bitAnd(flags, %u) != 0", g->flags);
	hev_in(s, &alone, "h_op", g->ops, g->nops);
	hev_in(s, &alone, "h_access", g->access, g->naccess);
	const char *db = s->url.db, *w = util_buf_str(&alone);
	/* the groups first (a few thousand, held and sorted here), then the
	 * events alone in (ts, id) order with the groups merged in: one
	 * statement with UNION ALL and ORDER BY took twice as long */
	char *sql = xasprintf("SELECT %s FROM %s.%s WHERE NOT (%s) GROUP BY %s FORMAT RowBinary",
			      util_buf_str(&grp), db, kept ? "hgrp" : "hev", w, util_buf_str(&key));
	bool text[CH_MAX_COLS] = { false };
	r = ch_stream(s, sql, NULL, 0, g->pr, cols, text, ncols, gather_keep, &m, NULL, cause);
	free(sql);
	if (r == 0) {
		gather_cmp_id = m.at_id;
		gather_cmp_ts = m.at_ts;
		if (m.ng > 1)
			qsort(m.g, m.ng, ncols * sizeof *m.g, gather_cmp);
		sql = xasprintf("SELECT %s FROM %s.hev WHERE %s ORDER BY ts, id FORMAT RowBinary",
				util_buf_str(&one), db, w);
		r = ch_stream(s, sql, NULL, 0, g->pr, cols, text, ncols, gather_alone, &m, NULL, cause);
		free(sql);
		if (r == 0)
			gather_flush(&m, 0, 0, true);
	}
	util_buf_free(&one);
	util_buf_free(&grp);
	util_buf_free(&key);
	util_buf_free(&alone);
	free(m.g);
	return r < 0 ? -1 : 1;
}

int ch_reused(struct store *st, const char *field, const char *by, const struct progress *pr, int64_t **ids,
	      size_t *n, char **cause)
{
	struct ch_store *s = CH(st);
	const char *f = hev_col(field), *b = hev_col(by);
	if (!s->hev || !f || !b)
		return 0;
	char *sql = xasprintf("SELECT %s FROM %s.hev WHERE %s != 0 AND %s != 0 GROUP BY %s"
			      " HAVING min(%s) != max(%s) FORMAT RowBinary",
			      f, s->url.db, f, b, f, b, b);
	struct util_buf out = { 0 };
	struct ch_req req = { .sql = sql, .pr = pr, .out = &out };
	int r = ch_run(s->conn, &req, cause);
	free(sql);
	if (r < 0) {
		util_buf_free(&out);
		return -1;
	}
	size_t cap = *n;
	struct ch_rd rd = { out.p, out.p + out.n, false };
	while (rd.p < rd.end) {
		int64_t h = ch_rd_i64(&rd);
		if (rd.bad)
			break;
		*ids = xgrow(*ids, &cap, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = ch_dense(s, h);
	}
	util_buf_free(&out);
	return 1;
}
