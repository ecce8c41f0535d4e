/*
 * export.c: what an export reads from the ClickHouse store (storage.h's
 * Export block): the timeline in time order with annotation flags, every
 * annotation key, IP places (places.c), and the report's messages
 * section, grouped here from the bookmarked events' message lists.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ch.h"
#include "xalloc.h"

#define MAX_COLS 32

int ch_scan_timeline(struct query *q, const char *const *cols, size_t ncols, unsigned flags, store_row_fn fn,
		     void *ctx, char **cause)
{
	struct ch_store *s = CH(q->st);
	if (ncols == 0 || ncols > MAX_COLS)
		return set_cause(cause, "scan: %zu columns", ncols);
	const struct ch_compiled *c = ch_query_compiled(q, cause);
	if (!c)
		return -1;
	struct ch_ext ext[CH_MAX_EXT + 3];
	size_t next = ch_compiled_ext(c, ext);
	/* the annotation keys a column or the MARKED flag asks for, as
	 * external tables of their own */
	struct util_buf keys[3] = { { 0 } };
	static const char *const names[3] = { "x_marks", "x_tags", "x_notes" };
	bool want[3] = { (flags & STORE_SCAN_MARKED) != 0, false, false };
	for (size_t i = 0; i < ncols; i++) {
		want[0] |= !strcmp(cols[i], "marked");
		want[1] |= !strcmp(cols[i], "tagged");
		want[2] |= !strcmp(cols[i], "noted");
	}
	int r = 0;
	for (int k = 0; k < 3 && r == 0; k++) {
		if (!want[k])
			continue;
		r = k == 0   ? ch_side_annot_keys(s->side, NULL, &keys[k], cause)
		    : k == 1 ? ch_side_annot_keys(s->side, "", &keys[k], cause)
			     : ch_side_note_keys(s->side, &keys[k], cause);
		ext[next++] = (struct ch_ext){ names[k], "record_id String, kind UInt8", keys[k].p, keys[k].n };
	}
	bool text[MAX_COLS] = { false };
	struct util_buf sql = { 0 };
	util_buf_puts(&sql, "SELECT ");
	for (size_t i = 0; r == 0 && i < ncols; i++) {
		int k = !strcmp(cols[i], "marked")   ? 0
			: !strcmp(cols[i], "tagged") ? 1
			: !strcmp(cols[i], "noted")  ? 2
						     : -1;
		char *e = k >= 0 ? xasprintf("toInt64((record_id, kind) IN %s)", names[k])
				 : ch_col_sql(cols[i], &text[i]);
		if (!e) {
			r = set_cause(cause, "scan: no column '%s'", cols[i]);
			break;
		}
		util_buf_printf(&sql, "%s%s", i ? ", " : "", e);
		free(e);
	}
	if (r == 0) {
		bool msgs = false;
		for (size_t i = 0; i < ncols; i++)
			msgs |= !strcmp(cols[i], "msglist");
		util_buf_printf(&sql, " FROM %s.%s WHERE (%s)%s%s ORDER BY ts, id FORMAT RowBinary",
				s->url.db, msgs ? "events" : c->table, c->where,
				(flags & STORE_SCAN_MARKED) ? " AND (record_id, kind) IN x_marks" : "",
				msgs ? " AND nmsgs > 0" : "");
		bool cancelled = false;
		r = ch_stream(s, util_buf_str(&sql), ext, next, &q->pr, cols, text, ncols, fn, ctx,
			      &cancelled, cause);
		if (cancelled)
			q->cancelled = true;
	}
	util_buf_free(&sql);
	for (int k = 0; k < 3; k++)
		util_buf_free(&keys[k]);
	return r;
}

/* ------------------------------------------------------------------ */
/* The messages section: one row per message a bookmarked event names */

struct mrow {
	char *mbx, *msgid, *folder, *access, *app, *ip; /* NULL: absent */
	int64_t ts, id, size;                           /* size -1: unknown */
};

struct mrows {
	struct mrow *v;
	size_t n, cap;
};

static char *opt(const char *p, size_t n)
{
	return n ? xstrndup(p, n) : NULL;
}

static int collect(struct query *q, struct mrows *out, char **cause)
{
	struct ch_store *s = CH(q->st);
	const struct ch_compiled *c = ch_query_compiled(q, cause);
	if (!c)
		return -1;
	struct ch_ext ext[CH_MAX_EXT + 1];
	size_t next = ch_compiled_ext(c, ext);
	struct util_buf marks = { 0 }, res = { 0 };
	if (ch_side_annot_keys(s->side, NULL, &marks, cause) < 0) {
		util_buf_free(&marks);
		return -1;
	}
	ext[next++] = (struct ch_ext){ "x_marks", "record_id String, kind UInt8", marks.p, marks.n };
	char *sql =
		xasprintf("SELECT if(mailbox != '', mailbox, user), access, app, ip, ts, id, msgs FROM %s.events"
			  " WHERE (%s) AND nmsgs > 0 AND (record_id, kind) IN x_marks FORMAT RowBinary",
			  s->url.db, c->where);
	struct ch_req req = { .sql = sql, .ext = ext, .next = next, .pr = &q->pr, .out = &res };
	int r = ch_run(s->conn, &req, cause);
	free(sql);
	util_buf_free(&marks);
	if (req.cancelled)
		q->cancelled = true;
	struct ch_rd rd = { res.p, res.p + res.n, false };
	while (r == 0 && rd.p < rd.end) {
		size_t n[5];
		const char *p[5];
		for (int i = 0; i < 4; i++)
			p[i] = ch_rd_str(&rd, &n[i]);
		int64_t ts = ch_rd_i64(&rd), id = ch_rd_i64(&rd);
		p[4] = ch_rd_str(&rd, &n[4]);
		if (rd.bad)
			break;
		json_t *j = json_loadb(p[4], n[4], 0, NULL);
		size_t i;
		json_t *it;
		json_array_foreach(j, i, it)
		{
			json_t *f = json_array_get(it, 0), *m = json_array_get(it, 1),
			       *z = json_array_get(it, 2);
			out->v = xgrow(out->v, &out->cap, out->n + 1, sizeof *out->v);
			out->v[out->n++] = (struct mrow){
				.mbx = opt(p[0], n[0]),
				.access = opt(p[1], n[1]),
				.app = opt(p[2], n[2]),
				.ip = opt(p[3], n[3]),
				.folder = json_is_string(f) ? xstrdup(json_string_value(f)) : NULL,
				.msgid = json_is_string(m) ? xstrdup(json_string_value(m)) : NULL,
				.ts = ts,
				.id = id,
				.size = json_is_integer(z) ? (int64_t)json_integer_value(z) : -1,
			};
		}
		json_decref(j);
	}
	util_buf_free(&res);
	if (r == 0 && rd.bad)
		r = set_cause(cause, "%s: short answer to the messages of bookmarks", ch_conn_name(s->conn));
	return r;
}

static void mrows_free(struct mrows *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].mbx);
		free(m->v[i].msgid);
		free(m->v[i].folder);
		free(m->v[i].access);
		free(m->v[i].app);
		free(m->v[i].ip);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}

/* SQLite's order: NULL first, then bytes */
static int ncmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return ncmp(*(char *const *)a, *(char *const *)b);
}

/* distinct non-NULL strings (sorted in place) */
static int64_t distinct_str(char **v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_str);
	int64_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] && (i == 0 || ncmp(v[i], v[i - 1])))
			k++;
	return k;
}

static int64_t distinct_i64(int64_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_i64);
	int64_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || v[i] != v[i - 1])
			k++;
	return k;
}

static int by_mbx(const void *a, const void *b)
{
	return ncmp(((const struct mrow *)a)->mbx, ((const struct mrow *)b)->mbx);
}

int ch_marked_mailboxes(struct query *q, int (*fn)(const struct store_msg_mailbox *m, void *ctx), void *ctx,
			char **cause)
{
	struct mrows m = { 0 };
	if (collect(q, &m, cause) < 0) {
		mrows_free(&m);
		return -1;
	}
	if (m.n)
		qsort(m.v, m.n, sizeof *m.v, by_mbx);
	char **strs = xcalloc(m.n ? m.n : 1, sizeof *strs);
	int64_t *ids = xcalloc(m.n ? m.n : 1, sizeof *ids);
	for (size_t a = 0, b; a < m.n; a = b) {
		for (b = a; b < m.n && !ncmp(m.v[b].mbx, m.v[a].mbx); b++)
			;
		struct store_msg_mailbox o = { .mailbox = m.v[a].mbx, .first = INT64_MAX, .last = INT64_MIN };
		size_t k = 0;
		for (size_t i = a; i < b; i++)
			strs[k++] = m.v[i].msgid;
		o.messages = distinct_str(strs, k);
		k = 0;
		for (size_t i = a; i < b; i++)
			if (!m.v[i].msgid)
				strs[k++] = m.v[i].folder;
		o.folders = distinct_str(strs, k);
		for (size_t i = a; i < b; i++) {
			ids[i - a] = m.v[i].id;
			if (m.v[i].ts < o.first)
				o.first = m.v[i].ts;
			if (m.v[i].ts > o.last)
				o.last = m.v[i].ts;
		}
		o.events = distinct_i64(ids, b - a);
		if (fn(&o, ctx))
			break;
	}
	free(strs);
	free(ids);
	mrows_free(&m);
	return 0;
}

/* the group of a row: mailbox, message id, and the folder of a Sync */
static int by_group(const void *pa, const void *pb)
{
	const struct mrow *a = pa, *b = pb;
	int c = ncmp(a->mbx, b->mbx);
	if (!c)
		c = ncmp(a->msgid, b->msgid);
	if (!c && !a->msgid)
		c = ncmp(a->folder, b->folder);
	return c;
}

struct item {
	struct store_msg_item o;
	const char *minfolder;
};

static int by_item(const void *pa, const void *pb)
{
	const struct store_msg_item *a = &((const struct item *)pa)->o, *b = &((const struct item *)pb)->o;
	int c = ncmp(a->mailbox, b->mailbox);
	if (!c)
		c = (a->msgid != NULL) - (b->msgid != NULL);
	if (!c)
		c = (a->first > b->first) - (a->first < b->first);
	if (!c)
		c = ncmp(a->msgid, b->msgid);
	if (!c)
		c = ncmp(a->folder, b->folder);
	return c;
}

int ch_marked_messages(struct query *q, int (*fn)(const struct store_msg_item *m, void *ctx), void *ctx,
		       char **cause)
{
	struct mrows m = { 0 };
	if (collect(q, &m, cause) < 0) {
		mrows_free(&m);
		return -1;
	}
	if (m.n)
		qsort(m.v, m.n, sizeof *m.v, by_group);
	struct item *items = xcalloc(m.n ? m.n : 1, sizeof *items);
	size_t ni = 0;
	char **strs = xcalloc(m.n ? m.n : 1, sizeof *strs);
	int64_t *ids = xcalloc(m.n ? m.n : 1, sizeof *ids);
	for (size_t a = 0, b; a < m.n; a = b) {
		for (b = a; b < m.n && !by_group(&m.v[b], &m.v[a]); b++)
			;
		struct store_msg_item *o = &items[ni++].o;
		*o = (struct store_msg_item){
			.mailbox = m.v[a].mbx, .msgid = m.v[a].msgid, .first = INT64_MAX, .last = INT64_MIN
		};
		int64_t size = INT64_MIN;
		for (size_t i = a; i < b; i++) {
			const struct mrow *r = &m.v[i];
			if (r->folder && (!o->folder || strcmp(r->folder, o->folder) < 0))
				o->folder = r->folder;
			if (r->access && (!o->access || strcmp(r->access, o->access) > 0))
				o->access = r->access;
			if (r->app && (!o->app || strcmp(r->app, o->app) < 0))
				o->app = r->app;
			if (r->ip && (!o->ip || strcmp(r->ip, o->ip) < 0))
				o->ip = r->ip;
			if (r->ts < o->first)
				o->first = r->ts;
			if (r->ts > o->last)
				o->last = r->ts;
			if (r->size >= 0 && r->size > size)
				size = r->size;
			ids[i - a] = r->id;
		}
		o->size = size == INT64_MIN ? 0 : size;
		o->events = distinct_i64(ids, b - a);
		size_t k = 0;
		for (size_t i = a; i < b; i++)
			strs[k++] = m.v[i].app;
		o->apps = distinct_str(strs, k);
		k = 0;
		for (size_t i = a; i < b; i++)
			strs[k++] = m.v[i].ip;
		o->ips = distinct_str(strs, k);
	}
	if (ni)
		qsort(items, ni, sizeof *items, by_item);
	for (size_t i = 0; i < ni; i++)
		if (fn(&items[i].o, ctx))
			break;
	free(items);
	free(strs);
	free(ids);
	mrows_free(&m);
	return 0;
}
