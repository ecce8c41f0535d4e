/*
 * pivots.c: the posting lists of pivots.h: the chunk codec, the load's
 * window of entries and its chunks, the conversion of an older case, and
 * the readers (the pivot_rows virtual table, pivot_count).
 */
#include "pivots.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xalloc.h"

/* ---- the codec ---- */

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

/* The varint at *p (before end) into *v: false when it runs past end or
 * past 10 bytes. */
static inline bool get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t r = 0;
	const unsigned char *q = *p;
	for (unsigned shift = 0; shift < 70 && q < end; shift += 7) {
		unsigned char b = *q++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			*p = q;
			return true;
		}
	}
	return false;
}

static inline uint64_t zigzag(uint64_t d)
{
	return (d << 1) ^ (uint64_t) - (int64_t)(d >> 63);
}

static inline uint64_t unzigzag(uint64_t z)
{
	return (z >> 1) ^ (uint64_t) - (int64_t)(z & 1);
}

size_t pivot_encode(const struct pivot_entry *e, size_t n, unsigned char *out)
{
	unsigned char *p = out;
	if (!n)
		return 0;
	p = put_varint(p, (uint64_t)e[0].id);
	for (size_t i = 1; i < n; i++) {
		p = put_varint(p, (uint64_t)e[i].ts - (uint64_t)e[i - 1].ts);
		p = put_varint(p, zigzag((uint64_t)e[i].id - (uint64_t)e[i - 1].id));
	}
	return (size_t)(p - out);
}

int pivot_decode(const unsigned char *p, size_t len, size_t n, int64_t lo, struct pivot_entry *out)
{
	const unsigned char *end = p + len;
	if (!n)
		return len == 0 ? 0 : -1;
	uint64_t id, ts = (uint64_t)lo, d;
	if (!get_varint(&p, end, &id))
		return -1;
	out[0] = (struct pivot_entry){ lo, (int64_t)id };
	for (size_t i = 1; i < n; i++) {
		if (!get_varint(&p, end, &d))
			return -1;
		ts += d;
		if (!get_varint(&p, end, &d))
			return -1;
		id += unzigzag(d);
		out[i] = (struct pivot_entry){ (int64_t)ts, (int64_t)id };
	}
	return p == end ? 0 : -1;
}

static inline bool entry_lt(struct pivot_entry a, struct pivot_entry b)
{
	return a.ts < b.ts || (a.ts == b.ts && a.id < b.id);
}

/* ---- the writer's window ---- */

/*
 * An event's ts and id are kept once (ev), its entries as (value's
 * group, event) pairs: 56 bytes an event of five values, not 120, so that
 * a window of the same memory holds more events and writes fewer chunks.
 * The groups (one a value seen in the window) are found by a hash of
 * (col, val); at the flush, each group's events are gathered by a
 * counting sort in the order of the groups' keys (the table's) and sorted
 * by (ts, id), which in an export in time order (or newest first) they
 * already are.
 */
struct pv_ent {
	uint32_t g, k; /* its group, its event in ev */
};
struct pv_group {
	uint64_t key; /* col << 56 | val */
	uint32_t count, at;
};
struct pv_order {
	uint64_t key;
	uint32_t g;
};

struct pivot_window {
	size_t cap, nev; /* events */
	struct pivot_entry *ev;
	struct pv_ent *ent;
	size_t n;
	struct pv_group *grp;
	size_t ngrp, maxgrp;
	uint32_t *slot; /* group + 1 by hash of its key, 0 empty */
	size_t mask;
	struct pv_order *order;
	uint32_t *out; /* events by group, at the flush */
	unsigned char *buf;
	size_t bufcap;
	sqlite3 *db; /* ins's */
	sqlite3_stmt *ins;
};

#define KEY(col, val) ((uint64_t)(col) << 56 | ((uint64_t)(val) & (((uint64_t)1 << 56) - 1)))

struct pivot_window *pivot_window_new(size_t cap)
{
	if (cap < 2)
		cap = 2;
	struct pivot_window *w = xcalloc(1, sizeof *w);
	w->cap = cap;
	w->ev = xmalloc(cap * sizeof *w->ev);
	w->ent = xmalloc(cap * PIVOT_NCOL * sizeof *w->ent);
	/* a new session or token id on most records makes a group of about
	 * every event: twice the events is room enough, and the window is
	 * full before the hash is half full */
	w->maxgrp = 2 * cap + PIVOT_NCOL;
	w->grp = xmalloc(w->maxgrp * sizeof *w->grp);
	size_t slots = 16;
	while (slots < 2 * w->maxgrp)
		slots *= 2;
	w->slot = xcalloc(slots, sizeof *w->slot);
	w->mask = slots - 1;
	return w;
}

void pivot_window_free(struct pivot_window *w)
{
	if (!w)
		return;
	sqlite3_finalize(w->ins);
	free(w->ev);
	free(w->ent);
	free(w->grp);
	free(w->slot);
	free(w->order);
	free(w->out);
	free(w->buf);
	free(w);
}

size_t pivot_window_len(const struct pivot_window *w)
{
	return w->n;
}

int pivot_window_room(const struct pivot_window *w)
{
	return w->nev < w->cap && w->ngrp + PIVOT_NCOL <= w->maxgrp;
}

void pivot_window_add(struct pivot_window *w, int col, int64_t val, int64_t ts, int64_t id)
{
	if (!val)
		return;
	/* the event's entries come one after the other: one ev for them */
	if (!w->nev || w->ev[w->nev - 1].id != id || w->ev[w->nev - 1].ts != ts) {
		if (w->nev >= w->cap)
			return;
		w->ev[w->nev++] = (struct pivot_entry){ ts, id };
	}
	if (w->n >= w->cap * PIVOT_NCOL || w->ngrp >= w->maxgrp)
		return;
	uint64_t key = KEY(col, val);
	size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & w->mask;
	uint32_t g;
	for (;;) {
		uint32_t s = w->slot[h];
		if (!s) {
			g = (uint32_t)w->ngrp++;
			w->grp[g] = (struct pv_group){ key, 0, 0 };
			w->slot[h] = g + 1;
			break;
		}
		if (w->grp[s - 1].key == key) {
			g = s - 1;
			break;
		}
		h = (h + 1) & w->mask;
	}
	w->grp[g].count++;
	w->ent[w->n++] = (struct pv_ent){ g, (uint32_t)(w->nev - 1) };
}

static inline bool ev_lt(const struct pivot_entry *ev, uint32_t a, uint32_t b)
{
	return entry_lt(ev[a], ev[b]);
}

static void sift_idx(const struct pivot_entry *ev, uint32_t *k, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && ev_lt(ev, k[c], k[c + 1]))
			c++;
		if (!ev_lt(ev, k[i], k[c]))
			return;
		uint32_t t = k[i];
		k[i] = k[c];
		k[c] = t;
		i = c;
	}
}

/* Sort one value's events k[0..n) by (ts, id). They come in the order
 * of their ids: in time order already when the export is (most are),
 * reversed when it is newest first (the portal's CSV), a few out of
 * place (records a second apart in either order) by insertion, anything
 * else by a heap sort (no memory). */
static void sort_idx(const struct pivot_entry *ev, uint32_t *k, size_t n)
{
	size_t i = 1;
	while (i < n && ev_lt(ev, k[i - 1], k[i]))
		i++;
	if (i >= n)
		return;
	if (i == 1) {
		while (i < n && ev_lt(ev, k[i], k[i - 1]))
			i++;
		if (i >= n) {
			for (size_t a = 0, b = n - 1; a < b; a++, b--) {
				uint32_t t = k[a];
				k[a] = k[b];
				k[b] = t;
			}
			return;
		}
	}
	size_t moves = 0, budget = 4 * n;
	for (i = 1; i < n && moves <= budget; i++) {
		uint32_t t = k[i];
		size_t j = i;
		while (j > 0 && ev_lt(ev, t, k[j - 1]) && moves <= budget) {
			k[j] = k[j - 1];
			j--;
			moves++;
		}
		k[j] = t;
	}
	if (moves <= budget)
		return;
	for (size_t a = n / 2; a-- > 0;)
		sift_idx(ev, k, a, n);
	for (size_t m = n; m-- > 1;) {
		uint32_t t = k[0];
		k[0] = k[m];
		k[m] = t;
		sift_idx(ev, k, 0, m);
	}
}

/* pivot_encode of the events k[0..n) of ev */
static size_t encode_idx(const struct pivot_entry *ev, const uint32_t *k, size_t n, unsigned char *out)
{
	unsigned char *p = out;
	if (!n)
		return 0;
	p = put_varint(p, (uint64_t)ev[k[0]].id);
	for (size_t i = 1; i < n; i++) {
		const struct pivot_entry *a = &ev[k[i - 1]], *b = &ev[k[i]];
		p = put_varint(p, (uint64_t)b->ts - (uint64_t)a->ts);
		p = put_varint(p, zigzag((uint64_t)b->id - (uint64_t)a->id));
	}
	return (size_t)(p - out);
}

static int order_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct pv_order *)a)->key, y = ((const struct pv_order *)b)->key;
	return x < y ? -1 : x > y;
}

static void window_clear(struct pivot_window *w)
{
	/* the slots used, not the whole table */
	for (size_t g = 0; g < w->ngrp; g++) {
		size_t h = (size_t)((w->grp[g].key * 0x9E3779B97F4A7C15ull) >> 32) & w->mask;
		while (w->slot[h]) {
			w->slot[h] = 0;
			h = (h + 1) & w->mask;
		}
	}
	w->n = w->ngrp = w->nev = 0;
}

void pivot_window_discard(struct pivot_window *w)
{
	window_clear(w);
}

int pivot_window_flush(struct pivot_window *w, sqlite3 *db, char **cause)
{
	if (!w->n)
		return 0;
	if (w->db != db) {
		sqlite3_finalize(w->ins);
		w->ins = NULL;
		w->db = db;
	}
	/* (one chunk a statement: 16 a statement cost as much, 11,700
	 * instructions a chunk against 11,200 on 200k high-cardinality CSV:
	 * the B-tree insert is the cost, not the statement's run) */
	if (!w->ins && sqlite3_prepare_v3(db,
					  "INSERT INTO pivots(col, val, seq, n, lo, hi, data)"
					  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
					  -1, SQLITE_PREPARE_PERSISTENT, &w->ins, NULL) != SQLITE_OK)
		return set_cause(cause, "%s", sqlite3_errmsg(db));
	if (!w->order) {
		w->order = xmalloc(w->maxgrp * sizeof *w->order);
		w->out = xmalloc(w->cap * PIVOT_NCOL * sizeof *w->out);
	}
	/* the values in key order (the table's), each one's place in out */
	for (size_t g = 0; g < w->ngrp; g++)
		w->order[g] = (struct pv_order){ w->grp[g].key, (uint32_t)g };
	qsort(w->order, w->ngrp, sizeof *w->order, order_cmp);
	uint32_t at = 0;
	for (size_t i = 0; i < w->ngrp; i++) {
		struct pv_group *gr = &w->grp[w->order[i].g];
		gr->at = at;
		at += gr->count;
		gr->count = 0;
	}
	for (size_t i = 0; i < w->n; i++) {
		struct pv_group *gr = &w->grp[w->ent[i].g];
		w->out[gr->at + gr->count++] = w->ent[i].k;
	}
	/* seq: the window's least id */
	int64_t seq = INT64_MAX;
	for (size_t i = 0; i < w->nev; i++)
		if (w->ev[i].id < seq)
			seq = w->ev[i].id;
	size_t most = 0;
	for (size_t i = 0; i < w->ngrp; i++)
		if (w->grp[i].count > most)
			most = w->grp[i].count;
	w->buf = xgrow(w->buf, &w->bufcap, most * PIVOT_ENTRY_MAX + 1, 1);
	sqlite3_stmt *q = w->ins;
	int rc = 0;
	for (size_t i = 0; i < w->ngrp && rc == 0; i++) {
		const struct pv_group *gr = &w->grp[w->order[i].g];
		uint32_t *e = w->out + gr->at;
		sort_idx(w->ev, e, gr->count);
		size_t len = encode_idx(w->ev, e, gr->count, w->buf);
		sqlite3_bind_int(q, 1, (int)(gr->key >> 56));
		sqlite3_bind_int64(q, 2, (int64_t)(gr->key & (((uint64_t)1 << 56) - 1)));
		sqlite3_bind_int64(q, 3, seq);
		sqlite3_bind_int64(q, 4, gr->count);
		sqlite3_bind_int64(q, 5, w->ev[e[0]].ts);
		sqlite3_bind_int64(q, 6, w->ev[e[gr->count - 1]].ts);
		sqlite3_bind_blob(q, 7, w->buf, (int)len, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = set_cause(cause, "%s", sqlite3_errmsg(db));
		sqlite3_reset(q);
	}
	sqlite3_clear_bindings(q);
	window_clear(w);
	return rc;
}

/* Events a window of the conversion holds (its memory: 156 bytes each
 * at most, pivots.c's window) */
#define BUILD_WINDOW 32768

int pivots_build(sqlite3 *db, char **cause)
{
	sqlite3_stmt *q;
	/* (lists a case of another schema may hold are the events' again) */
	if (sqlite3_exec(db, "DELETE FROM pivots; DELETE FROM pivot_gone", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT id, ts, user, app, ip, op, session FROM events ORDER BY id", -1,
			       &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s", sqlite3_errmsg(db));
	struct pivot_window *w = pivot_window_new(BUILD_WINDOW);
	int r, rc = 0;
	while (rc == 0 && (r = sqlite3_step(q)) == SQLITE_ROW) {
		if (!pivot_window_room(w))
			rc = pivot_window_flush(w, db, cause);
		int64_t id = sqlite3_column_int64(q, 0), ts = sqlite3_column_int64(q, 1);
		for (int c = 0; c < PIVOT_NCOL; c++)
			pivot_window_add(w, c, sqlite3_column_int64(q, 2 + c), ts, id);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = set_cause(cause, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(q);
	if (rc == 0)
		rc = pivot_window_flush(w, db, cause);
	pivot_window_free(w);
	return rc;
}

/* ---- readers ---- */

/* vals of pivot_rows or pivot_count: one id, or a BLOB of int64 ids
 * (little-endian), sorted and without repeats, into *out (the caller
 * frees). -1: not a value id or a list of them. */
static int read_vals(sqlite3_value *v, int64_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	switch (sqlite3_value_type(v)) {
	case SQLITE_NULL: return 0;
	case SQLITE_INTEGER:
		*out = xmalloc(sizeof **out);
		(*out)[0] = sqlite3_value_int64(v);
		*n = 1;
		return 0;
	case SQLITE_BLOB: {
		size_t len = (size_t)sqlite3_value_bytes(v);
		const unsigned char *p = sqlite3_value_blob(v);
		if (len % 8)
			return -1;
		size_t k = len / 8;
		int64_t *a = xmalloc((k ? k : 1) * sizeof *a);
		for (size_t i = 0; i < k; i++) {
			uint64_t x = 0;
			for (int b = 7; b >= 0; b--)
				x = x << 8 | p[8 * i + (size_t)b];
			a[i] = (int64_t)x;
		}
		/* sorted, once each (a value twice would give its rows twice) */
		for (size_t i = 1; i < k; i++)
			for (size_t j = i; j > 0 && a[j] < a[j - 1]; j--) {
				int64_t t = a[j];
				a[j] = a[j - 1];
				a[j - 1] = t;
			}
		size_t m = 0;
		for (size_t i = 0; i < k; i++)
			if (!m || a[i] != a[m - 1])
				a[m++] = a[i];
		*out = a;
		*n = m;
		return 0;
	}
	default: return -1;
	}
}

int sqlite_pivot_count(sqlite3 *db, int col, const int64_t *vals, size_t n, int64_t *out)
{
	*out = 0;
	if (!n)
		return 0;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db,
			       "SELECT coalesce(sum(n), 0) - coalesce((SELECT n FROM pivot_gone"
			       " WHERE col = ?1 AND val = ?2), 0) FROM pivots WHERE col = ?1 AND val = ?2",
			       -1, &q, NULL) != SQLITE_OK)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i && vals[i] == vals[i - 1])
			continue;
		sqlite3_bind_int(q, 1, col);
		sqlite3_bind_int64(q, 2, vals[i]);
		if (sqlite3_step(q) == SQLITE_ROW)
			*out += sqlite3_column_int64(q, 0);
		else
			rc = -1;
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	return rc;
}

static void sql_pivot_count(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	int64_t *vals, count;
	size_t n;
	if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER || read_vals(argv[1], &vals, &n) < 0) {
		sqlite3_result_error(ctx,
				     "pivot_count(col, vals): a column code and a value id or a blob of them",
				     -1);
		return;
	}
	sqlite3 *db = sqlite3_context_db_handle(ctx);
	if (sqlite_pivot_count(db, sqlite3_value_int(argv[0]), vals, n, &count) < 0)
		sqlite3_result_error(ctx, sqlite3_errmsg(db), -1);
	else
		sqlite3_result_int64(ctx, count);
	free(vals);
}

/*
 * pivot_rows(col, vals): the merge of the chunks of every value, in (ts,
 * id) order either way. A chunk is read and decoded only when the merge
 * reaches its lo (ascending; its hi descending): the chunks of one value
 * come from windows of consecutive ids, which in an export in time order
 * barely overlap, so a page reads one or two of them.
 */
enum { PV_COL_TS, PV_COL_ID, PV_COL_COL, PV_COL_VALS };

struct pv_chunk {
	int64_t val, seq, lo, hi, n;
};

/* An open chunk: its entries within the bounds are e[b..end) */
struct pv_open {
	struct pivot_entry *e;
	size_t b, end;
};

struct pv_vtab {
	sqlite3_vtab base;
	sqlite3 *db;
};

struct pv_cursor {
	sqlite3_vtab_cursor base;
	sqlite3_stmt *sel_chunks, *sel_data;
	int col;
	bool desc, eof;
	int64_t lo, hi; /* the ts bounds, both included */
	struct pv_chunk *ch;
	size_t nch, chcap, next;
	struct pv_open *heap;
	size_t nheap, heapcap;
	struct pivot_entry cur;
	int64_t rowid;
};

static int pv_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err)
{
	(void)aux;
	(void)argc;
	(void)argv;
	(void)err;
	int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(ts INTEGER, id INTEGER, col HIDDEN, vals HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	struct pv_vtab *v = sqlite3_malloc(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->db = db;
	sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
	*out = &v->base;
	return SQLITE_OK;
}

static int pv_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

/* idxNum: 1 = descending; argv: col, vals, then one ts bound for each
 * character of idxStr ('=', '<', 'l' <=, '>', 'g' >=) */
static int pv_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	(void)tab;
	int col = -1, vals = -1, nts = 0;
	char ops[9];
	int tsat[8];
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->iColumn == PV_COL_COL || c->iColumn == PV_COL_VALS) {
			if (c->op != SQLITE_INDEX_CONSTRAINT_EQ)
				continue;
			if (!c->usable)
				return SQLITE_CONSTRAINT; /* the arguments come first */
			if (c->iColumn == PV_COL_COL)
				col = i;
			else
				vals = i;
		} else if (c->iColumn == PV_COL_TS && c->usable && nts < 8) {
			char op = c->op == SQLITE_INDEX_CONSTRAINT_EQ   ? '='
				  : c->op == SQLITE_INDEX_CONSTRAINT_LT ? '<'
				  : c->op == SQLITE_INDEX_CONSTRAINT_LE ? 'l'
				  : c->op == SQLITE_INDEX_CONSTRAINT_GT ? '>'
				  : c->op == SQLITE_INDEX_CONSTRAINT_GE ? 'g'
									: 0;
			if (op) {
				ops[nts] = op;
				tsat[nts++] = i;
			}
		}
	}
	if (col < 0 || vals < 0)
		return SQLITE_CONSTRAINT;
	info->aConstraintUsage[col].argvIndex = 1;
	info->aConstraintUsage[col].omit = 1;
	info->aConstraintUsage[vals].argvIndex = 2;
	info->aConstraintUsage[vals].omit = 1;
	for (int k = 0; k < nts; k++) {
		info->aConstraintUsage[tsat[k]].argvIndex = 3 + k;
		info->aConstraintUsage[tsat[k]].omit = 1;
	}
	ops[nts] = '\0';
	info->idxStr = sqlite3_mprintf("%s", ops);
	info->needToFreeIdxStr = 1;
	bool desc = false, consumed = false;
	if (info->nOrderBy >= 1 && info->nOrderBy <= 2 && info->aOrderBy[0].iColumn == PV_COL_TS) {
		desc = info->aOrderBy[0].desc;
		consumed = info->nOrderBy == 1 ||
			   (info->aOrderBy[1].iColumn == PV_COL_ID && info->aOrderBy[1].desc == desc);
	}
	info->orderByConsumed = consumed;
	info->idxNum = consumed && desc ? 1 : 0;
	/* a guess: a value's events, fewer within a time range */
	info->estimatedRows = nts ? 100 : 1000;
	info->estimatedCost = nts ? 100.0 : 1000.0;
	return SQLITE_OK;
}

static int pv_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out)
{
	sqlite3 *db = ((struct pv_vtab *)tab)->db;
	struct pv_cursor *c = sqlite3_malloc(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	/* (pivots unqualified: a read-only case of an older schema has
	 * them in temp) */
	if (sqlite3_prepare_v3(db,
			       "SELECT val, seq, lo, hi, n FROM pivots"
			       " WHERE col = ?1 AND val = ?2 AND hi >= ?3 AND lo <= ?4",
			       -1, SQLITE_PREPARE_PERSISTENT, &c->sel_chunks, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, "SELECT data FROM pivots WHERE col = ?1 AND val = ?2 AND seq = ?3", -1,
			       SQLITE_PREPARE_PERSISTENT, &c->sel_data, NULL) != SQLITE_OK) {
		sqlite3_free(tab->zErrMsg);
		tab->zErrMsg = sqlite3_mprintf("pivot_rows: %s", sqlite3_errmsg(db));
		sqlite3_finalize(c->sel_chunks);
		sqlite3_free(c);
		return SQLITE_ERROR;
	}
	c->eof = true;
	*out = &c->base;
	return SQLITE_OK;
}

static void pv_reset(struct pv_cursor *c)
{
	for (size_t i = 0; i < c->nheap; i++)
		free(c->heap[i].e);
	c->nheap = c->nch = c->next = 0;
	c->eof = true;
}

static int pv_close(sqlite3_vtab_cursor *cur)
{
	struct pv_cursor *c = (struct pv_cursor *)cur;
	pv_reset(c);
	sqlite3_finalize(c->sel_chunks);
	sqlite3_finalize(c->sel_data);
	free(c->ch);
	free(c->heap);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int vt_error(sqlite3_vtab_cursor *cur, int rc, const char *msg)
{
	sqlite3_free(cur->pVtab->zErrMsg);
	cur->pVtab->zErrMsg = sqlite3_mprintf("pivot_rows: %s", msg);
	return rc;
}

static inline struct pivot_entry open_top(const struct pv_cursor *c, const struct pv_open *o)
{
	return c->desc ? o->e[o->end - 1] : o->e[o->b];
}

/* Does heap entry a come before b in the cursor's order? */
static inline bool heap_before(const struct pv_cursor *c, const struct pv_open *a, const struct pv_open *b)
{
	struct pivot_entry x = open_top(c, a), y = open_top(c, b);
	return c->desc ? entry_lt(y, x) : entry_lt(x, y);
}

static void sift_down(struct pv_cursor *c, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < c->nheap && heap_before(c, &c->heap[l], &c->heap[m]))
			m = l;
		if (r < c->nheap && heap_before(c, &c->heap[r], &c->heap[m]))
			m = r;
		if (m == i)
			return;
		struct pv_open t = c->heap[i];
		c->heap[i] = c->heap[m];
		c->heap[m] = t;
		i = m;
	}
}

static void sift_up(struct pv_cursor *c, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!heap_before(c, &c->heap[i], &c->heap[p]))
			return;
		struct pv_open t = c->heap[i];
		c->heap[i] = c->heap[p];
		c->heap[p] = t;
		i = p;
	}
}

/* First entry of e[0..n) not before ts */
static size_t lower_ts(const struct pivot_entry *e, size_t n, int64_t ts)
{
	size_t a = 0, b = n;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (e[m].ts < ts)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

/* First entry of e[0..n) after ts */
static size_t upper_ts(const struct pivot_entry *e, size_t n, int64_t ts)
{
	size_t a = 0, b = n;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (e[m].ts <= ts)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

/* Read and decode chunk k, its entries within the bounds onto the heap. */
static int open_chunk(struct pv_cursor *c, const struct pv_chunk *k)
{
	sqlite3_stmt *q = c->sel_data;
	sqlite3_bind_int(q, 1, c->col);
	sqlite3_bind_int64(q, 2, k->val);
	sqlite3_bind_int64(q, 3, k->seq);
	int r = sqlite3_step(q);
	if (r != SQLITE_ROW) {
		sqlite3_reset(q);
		return vt_error(&c->base, r == SQLITE_DONE ? SQLITE_CORRUPT : r,
				r == SQLITE_DONE ? "a chunk went missing"
						 : sqlite3_errmsg(sqlite3_db_handle(q)));
	}
	/* zeroed: the analyser cannot see that pivot_decode fills all n */
	struct pivot_entry *e = k->n > 0 ? calloc((size_t)k->n, sizeof *e) : NULL;
	if (k->n > 0 && !e) {
		sqlite3_reset(q);
		return SQLITE_NOMEM;
	}
	int d = k->n > 0 ? pivot_decode(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0),
					(size_t)k->n, k->lo, e)
			 : -1;
	sqlite3_reset(q);
	if (d < 0) {
		free(e);
		return vt_error(&c->base, SQLITE_CORRUPT, "a damaged chunk");
	}
	size_t b = c->lo > k->lo ? lower_ts(e, (size_t)k->n, c->lo) : 0;
	size_t end = c->hi < k->hi ? upper_ts(e, (size_t)k->n, c->hi) : (size_t)k->n;
	if (b >= end) {
		free(e);
		return SQLITE_OK;
	}
	if (c->nheap == c->heapcap) {
		c->heapcap = c->heapcap ? 2 * c->heapcap : 8;
		c->heap = xrealloc(c->heap, c->heapcap * sizeof *c->heap);
	}
	c->heap[c->nheap] = (struct pv_open){ e, b, end };
	sift_up(c, c->nheap++);
	return SQLITE_OK;
}

/* The next entry into c->cur, or eof. */
static int pv_step(struct pv_cursor *c)
{
	/* open every chunk that may hold an entry before the heap's first */
	while (c->next < c->nch) {
		const struct pv_chunk *k = &c->ch[c->next];
		if (c->nheap) {
			struct pivot_entry t = open_top(c, &c->heap[0]);
			if (c->desc ? k->hi < t.ts : k->lo > t.ts)
				break;
		}
		c->next++;
		int rc = open_chunk(c, k);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (!c->nheap) {
		c->eof = true;
		return SQLITE_OK;
	}
	struct pv_open *o = &c->heap[0];
	c->cur = open_top(c, o);
	c->rowid++;
	if (c->desc)
		o->end--;
	else
		o->b++;
	if (o->b >= o->end) {
		free(o->e);
		c->heap[0] = c->heap[--c->nheap];
	}
	if (c->nheap)
		sift_down(c, 0);
	c->eof = false;
	return SQLITE_OK;
}

static int chunk_lo_cmp(const void *a, const void *b)
{
	const struct pv_chunk *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int chunk_hi_cmp(const void *a, const void *b)
{
	const struct pv_chunk *x = a, *y = b;
	return x->hi > y->hi ? -1 : x->hi < y->hi;
}

/* Narrow [*lo, *hi] by ts op v; false when nothing can match. */
static bool bound(char op, sqlite3_value *v, int64_t *lo, int64_t *hi)
{
	int t = sqlite3_value_numeric_type(v);
	if (t == SQLITE_NULL)
		return false;
	if (t != SQLITE_INTEGER && t != SQLITE_FLOAT) /* text: above every number */
		return op == '<' || op == 'l';
	int64_t below, above; /* the last integer <= v, the first >= v */
	bool exact;
	if (t == SQLITE_INTEGER) {
		below = above = sqlite3_value_int64(v);
		exact = true;
	} else {
		double d = sqlite3_value_double(v);
		if (d != d)
			return false;
		if (d >= 9223372036854775807.0) {
			below = INT64_MAX;
			above = INT64_MAX;
			exact = false;
			if (op == '>' || op == 'g' || op == '=')
				return false;
		} else if (d < -9223372036854775808.0) {
			below = above = INT64_MIN;
			exact = false;
			if (op == '<' || op == 'l' || op == '=')
				return false;
		} else {
			below = (int64_t)d;
			if ((double)below > d)
				below--;
			exact = (double)below == d;
			above = exact ? below : below + 1;
		}
	}
	switch (op) {
	case '=':
		if (!exact)
			return false;
		if (below > *lo)
			*lo = below;
		if (below < *hi)
			*hi = below;
		break;
	case '>':
		if (exact && below == INT64_MAX)
			return false;
		if ((exact ? below + 1 : above) > *lo)
			*lo = exact ? below + 1 : above;
		break;
	case 'g':
		if (above > *lo)
			*lo = above;
		break;
	case '<':
		if (exact && below == INT64_MIN)
			return false;
		if ((exact ? below - 1 : below) < *hi)
			*hi = exact ? below - 1 : below;
		break;
	case 'l':
		if (below < *hi)
			*hi = below;
		break;
	}
	return *lo <= *hi;
}

static int pv_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv)
{
	struct pv_cursor *c = (struct pv_cursor *)cur;
	pv_reset(c);
	c->rowid = 0;
	c->desc = idxNum & 1;
	c->lo = INT64_MIN;
	c->hi = INT64_MAX;
	int64_t *vals;
	size_t nvals;
	if (argc < 2 || sqlite3_value_type(argv[0]) != SQLITE_INTEGER || read_vals(argv[1], &vals, &nvals) < 0)
		return vt_error(cur, SQLITE_ERROR,
				"pivot_rows(col, vals): a column code and a value id or a blob of them");
	c->col = sqlite3_value_int(argv[0]);
	bool any = nvals > 0;
	size_t nops = idxStr ? strlen(idxStr) : 0;
	for (int i = 2; i < argc && any && (size_t)(i - 2) < nops; i++)
		any = bound(idxStr[i - 2], argv[i], &c->lo, &c->hi);
	int rc = SQLITE_OK;
	sqlite3_stmt *q = c->sel_chunks;
	for (size_t i = 0; any && i < nvals && rc == SQLITE_OK; i++) {
		sqlite3_bind_int(q, 1, c->col);
		sqlite3_bind_int64(q, 2, vals[i]);
		sqlite3_bind_int64(q, 3, c->lo);
		sqlite3_bind_int64(q, 4, c->hi);
		int r;
		while ((r = sqlite3_step(q)) == SQLITE_ROW) {
			if (c->nch == c->chcap) {
				c->chcap = c->chcap ? 2 * c->chcap : 16;
				c->ch = xrealloc(c->ch, c->chcap * sizeof *c->ch);
			}
			c->ch[c->nch++] =
				(struct pv_chunk){ sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1),
						   sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3),
						   sqlite3_column_int64(q, 4) };
		}
		if (r != SQLITE_DONE)
			rc = vt_error(cur, r, sqlite3_errmsg(sqlite3_db_handle(q)));
		sqlite3_reset(q);
	}
	free(vals);
	if (rc != SQLITE_OK || !any)
		return rc;
	if (c->nch > 1)
		qsort(c->ch, c->nch, sizeof *c->ch, c->desc ? chunk_hi_cmp : chunk_lo_cmp);
	return pv_step(c);
}

static int pv_next(sqlite3_vtab_cursor *cur)
{
	return pv_step((struct pv_cursor *)cur);
}

static int pv_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct pv_cursor *)cur)->eof;
}

static int pv_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
	struct pv_cursor *c = (struct pv_cursor *)cur;
	if (i == PV_COL_TS)
		sqlite3_result_int64(ctx, c->cur.ts);
	else if (i == PV_COL_ID)
		sqlite3_result_int64(ctx, c->cur.id);
	else if (i == PV_COL_COL)
		sqlite3_result_int(ctx, c->col);
	return SQLITE_OK;
}

static int pv_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
	*out = ((struct pv_cursor *)cur)->rowid;
	return SQLITE_OK;
}

static const sqlite3_module pv_module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only */
	.xConnect = pv_connect,
	.xBestIndex = pv_best_index,
	.xDisconnect = pv_disconnect,
	.xDestroy = pv_disconnect,
	.xOpen = pv_open,
	.xClose = pv_close,
	.xFilter = pv_filter,
	.xNext = pv_next,
	.xEof = pv_eof,
	.xColumn = pv_column,
	.xRowid = pv_rowid,
};

int sqlite_pivots_register(sqlite3 *db)
{
	if (sqlite3_create_module(db, "pivot_rows", &pv_module, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "pivot_count", 2, SQLITE_UTF8, NULL, sql_pivot_count, NULL, NULL) !=
		    SQLITE_OK)
		return -1;
	return 0;
}
