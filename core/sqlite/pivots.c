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

_Static_assert(PIVOT_ONES_COLS == 16, "PIVOT_ONES_COLS_SQL says 16");
_Static_assert(PIVOT_ONES_SHIFT == 8, "PIVOT_ONES_SHIFT_SQL says 8");

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

/* get_varint where 10 bytes are known to be left, unrolled for the
 * varints of up to four bytes that chunks are made of (a ts step of a
 * busy value is seconds to minutes of milliseconds, three bytes; an id
 * step one or two). (A loop a byte took ~67 instructions an entry of a
 * page's intersection, ~45 unrolled; 1M low case.) */
static inline bool get_varint_room(const unsigned char **pp, uint64_t *v)
{
	const unsigned char *p = *pp;
	uint64_t b = p[0], r;
	if (b < 0x80) {
		*v = b;
		*pp = p + 1;
		return true;
	}
	r = b & 0x7f;
	b = p[1];
	r |= (b & 0x7f) << 7;
	if (b < 0x80) {
		*v = r;
		*pp = p + 2;
		return true;
	}
	b = p[2];
	r |= (b & 0x7f) << 14;
	if (b < 0x80) {
		*v = r;
		*pp = p + 3;
		return true;
	}
	b = p[3];
	r |= (b & 0x7f) << 21;
	if (b < 0x80) {
		*v = r;
		*pp = p + 4;
		return true;
	}
	for (unsigned shift = 28, i = 4; i < 10; i++, shift += 7) {
		b = p[i];
		r |= (b & 0x7f) << shift;
		if (b < 0x80) {
			*v = r;
			*pp = p + i + 1;
			return true;
		}
	}
	return false;
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
	size_t i = 1;
	/* while two whole varints fit in what is left, without a bound
	 * check a byte (decoding is most of what reading a busy list
	 * costs: 1M events, the count of an intersection of three lists of
	 * 862k entries, 57 -> 37 instructions an entry) */
	while (i < n && end - p >= 2 * 10) {
		uint64_t dt, dz;
		if (!get_varint_room(&p, &dt) || !get_varint_room(&p, &dz))
			return -1;
		ts += dt;
		id += unzigzag(dz);
		out[i++] = (struct pivot_entry){ (int64_t)ts, (int64_t)id };
	}
	for (; i < n; i++) {
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
 *
 * A full window is sealed, not written at once: its events move to sev,
 * its groups in key order to order (each with its events in out), and
 * the window takes the next events while the writer writes the sealed
 * one's chunks a piece at a time (pivot_window_pace). Written whole, a
 * window of 16,384 events stopped the load's writer ~6 ms while the
 * parser waited on the full queue, the reader on its ring and the
 * compressor had caught up: one core idle, 60 times a 1M-event load.
 * The sealed window costs one more ev (16 bytes an event); order, out
 * and ent are the same arrays as before.
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
	uint32_t at, count; /* its events in out */
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
	/* the sealed window: its events, its groups in key order and their
	 * events by group; the next group to write, the entries left, the
	 * window's seq, and its pace (entries a piece, events between two) */
	struct pivot_entry *sev;
	struct pv_order *order;
	uint32_t *out, *tmp; /* (tmp: a value's events being sorted) */
	size_t sgrp, snext, sleft, spiece, severy, ssince;
	int64_t sseq;
	unsigned char *buf;
	size_t bufcap;
	sqlite3 *db; /* ins's */
	sqlite3_stmt *ins;
	pivot_insert_fn insert; /* (NULL: ins) */
	void *ictx;
	struct pivot_chunk *chunk; /* the chunks for insert */
	/* the sealed window's row of pivot_ones being packed (pk: its data,
	 * pkn entries of column pkcol, group pkgrp; pkval, pkts, pkid the
	 * last entry's), and how many rows it has written of that group
	 * (pkk; pkrows false: none yet) */
	sqlite3_stmt *ins_one;
	unsigned char *pk;
	size_t pklen, pkn;
	int pkcol;
	int64_t pkgrp, pkval, pkts, pkid, pkk;
	bool pkrows;
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
	sqlite3_finalize(w->ins_one);
	free(w->pk);
	free(w->ev);
	free(w->sev);
	free(w->tmp);
	free(w->ent);
	free(w->grp);
	free(w->slot);
	free(w->order);
	free(w->out);
	free(w->buf);
	free(w->chunk);
	free(w);
}

void pivot_window_set_insert(struct pivot_window *w, pivot_insert_fn insert, void *ctx)
{
	w->insert = insert;
	w->ictx = ctx;
}

size_t pivot_window_len(const struct pivot_window *w)
{
	return w->n + w->sleft + w->pkn;
}

int pivot_window_room(const struct pivot_window *w)
{
	return w->nev < w->cap && w->ngrp + PIVOT_NCOL <= w->maxgrp;
}

bool pivot_window_room_for(const struct pivot_window *w, size_t k)
{
	return !w->sgrp && w->nev + k <= w->cap && w->ngrp + PIVOT_NCOL * k <= w->maxgrp;
}

/* The event's ev: its entries come one after the other, one ev for
 * them (false: no room) */
static inline bool window_event(struct pivot_window *w, int64_t ts, int64_t id)
{
	if (!w->nev || w->ev[w->nev - 1].id != id || w->ev[w->nev - 1].ts != ts) {
		if (w->nev >= w->cap)
			return false;
		w->ev[w->nev++] = (struct pivot_entry){ ts, id };
	}
	return true;
}

/* An entry of the window's last event for key */
static inline void window_put(struct pivot_window *w, uint64_t key)
{
	if (w->n >= w->cap * PIVOT_NCOL || w->ngrp >= w->maxgrp)
		return;
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

void pivot_window_add(struct pivot_window *w, int col, int64_t val, int64_t ts, int64_t id)
{
	if (val && window_event(w, ts, id))
		window_put(w, KEY(col, val));
}

/* (one call an event, not one a column: the writer's adds 71 -> 58 M
 * instructions, callgrind, 200k high-cardinality CSV) */
void pivot_window_add_event(struct pivot_window *w, const int64_t val[PIVOT_NCOL], int64_t ts, int64_t id)
{
	int64_t any = 0;
	for (int c = 0; c < PIVOT_NCOL; c++)
		any |= val[c];
	if (!any || !window_event(w, ts, id))
		return;
	for (int c = 0; c < PIVOT_NCOL; c++)
		if (val[c])
			window_put(w, KEY(c, val[c]));
}

static inline bool ev_lt(const struct pivot_entry *ev, uint32_t a, uint32_t b)
{
	return entry_lt(ev[a], ev[b]);
}

/* k[0..n) sorted by merging its ascending runs two by two until one is
 * left (tmp: room for n) */
static void merge_idx(const struct pivot_entry *ev, uint32_t *k, uint32_t *tmp, size_t n)
{
	uint32_t *a = k, *b = tmp;
	for (size_t runs = 2; runs > 1;) {
		runs = 0;
		for (size_t i = 0; i < n; runs++) {
			size_t m = i + 1, e;
			while (m < n && !ev_lt(ev, a[m], a[m - 1]))
				m++;
			for (e = m < n ? m + 1 : n; e < n && !ev_lt(ev, a[e], a[e - 1]);)
				e++;
			size_t x = i, y = m, o = i;
			while (x < m && y < e)
				b[o++] = ev_lt(ev, a[y], a[x]) ? a[y++] : a[x++];
			while (x < m)
				b[o++] = a[x++];
			while (y < e)
				b[o++] = a[y++];
			i = e;
		}
		uint32_t *t = a;
		a = b;
		b = t;
	}
	if (a != k)
		memcpy(k, a, n * sizeof *k);
}

/*
 * Sort one value's events k[0..n) by (ts, id) (tmp: room for n). They
 * come in the order of their ids: in time order already when the export
 * is (most are), reversed when it is newest first (the portal's CSV), a
 * few out of place (records a second apart in either order) by
 * insertion, anything else by merging its runs. Newest first is times
 * that never go up: reversed, the events of one second are then in
 * descending ids, which the insertion puts right. (Taken as descending in
 * (ts, id) before, such a list with two events in one second went to the
 * heap sort: the writer's flushes took 601 M instructions against 378 M
 * for the same file oldest first, 408 M now; callgrind, 200k
 * high-cardinality CSV.) Administrative records, written after the
 * events around them (load_write.c), are a second run of earlier times
 * in their users', apps' and addresses' lists: a few long runs are
 * merged at once (an insertion that gave up, then a heap sort, took 37 M
 * instructions of those flushes). Many short ones, a newest-first
 * export's seconds, are still the insertion's (merged, their log2 passes
 * over the list took the flushes of the 200k newest-first file from 349
 * to 429 M).
 */
#define PIVOT_RUNS 8 /* (merged in 3 passes at most) */
static void sort_idx(const struct pivot_entry *ev, uint32_t *k, uint32_t *tmp, size_t n)
{
	size_t i = 1;
	while (i < n && ev_lt(ev, k[i - 1], k[i]))
		i++;
	if (i >= n)
		return;
	if (i == 1) {
		while (i < n && ev[k[i]].ts <= ev[k[i - 1]].ts)
			i++;
		for (size_t a = 0, b = n - 1; i >= n && a < b; a++, b--) {
			uint32_t t = k[a];
			k[a] = k[b];
			k[b] = t;
		}
	}
	size_t down = 0;
	for (i = 1; i < n && down < PIVOT_RUNS; i++)
		down += ev_lt(ev, k[i], k[i - 1]);
	if (down < PIVOT_RUNS) {
		merge_idx(ev, k, tmp, n);
		return;
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
	if (moves > budget)
		merge_idx(ev, k, tmp, n);
}

/* pivot_encode of the events k[0..n) of ev, as many as fit in max bytes
 * (one at least): their count in *done */
static size_t encode_idx(const struct pivot_entry *ev, const uint32_t *k, size_t n, unsigned char *out,
			 size_t max, size_t *done)
{
	unsigned char *p = out;
	*done = 0;
	if (!n)
		return 0;
	p = put_varint(p, (uint64_t)ev[k[0]].id);
	size_t i = 1;
	for (; i < n && (size_t)(p - out) + PIVOT_ENTRY_MAX <= max; i++) {
		const struct pivot_entry *a = &ev[k[i - 1]], *b = &ev[k[i]];
		p = put_varint(p, (uint64_t)b->ts - (uint64_t)a->ts);
		p = put_varint(p, zigzag((uint64_t)b->id - (uint64_t)a->id));
	}
	*done = i;
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
	w->sgrp = w->snext = w->sleft = 0;
	w->pkn = w->pklen = 0;
	w->pkrows = false;
}

/* A chunk through the flush's own statement */
static int insert_one(struct pivot_window *w, const struct pivot_chunk *c, char **cause)
{
	sqlite3_stmt *q = w->ins;
	sqlite3_bind_int64(q, 1, c->col);
	sqlite3_bind_int64(q, 2, c->val);
	sqlite3_bind_int64(q, 3, c->seq);
	sqlite3_bind_int64(q, 4, c->n);
	sqlite3_bind_int64(q, 5, c->lo);
	sqlite3_bind_int64(q, 6, c->hi);
	sqlite3_bind_blob(q, 7, c->data, (int)c->len, SQLITE_STATIC);
	int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : set_cause(cause, "%s", sqlite3_errmsg(w->db));
	sqlite3_reset(q);
	return rc;
}

/* The sealed window's pieces go in in ~PIVOT_PIECES, one every
 * cap / PIVOT_PACE / PIVOT_PIECES events: written by the time a quarter
 * of the next window is in (a window fills by its groups before its
 * events when most events bring two or three new values). */
#define PIVOT_PIECES 32
#define PIVOT_PACE 4

/* Seal the window: its groups in key order, each one's events gathered
 * in out; the window empty for the next events. */
static void seal(struct pivot_window *w)
{
	if (!w->order) {
		w->order = xmalloc(w->maxgrp * sizeof *w->order);
		w->out = xmalloc(w->cap * PIVOT_NCOL * sizeof *w->out);
		w->sev = xmalloc(w->cap * sizeof *w->sev);
		w->tmp = xmalloc(w->cap * sizeof *w->tmp);
	}
	/* the values in key order (the table's), each one's place in out
	 * (at holds the group until then) */
	for (size_t g = 0; g < w->ngrp; g++)
		w->order[g] = (struct pv_order){ w->grp[g].key, (uint32_t)g, w->grp[g].count };
	qsort(w->order, w->ngrp, sizeof *w->order, order_cmp);
	uint32_t at = 0;
	for (size_t i = 0; i < w->ngrp; i++) {
		struct pv_group *gr = &w->grp[w->order[i].at];
		gr->at = at;
		w->order[i].at = at;
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
	struct pivot_entry *t = w->sev;
	w->sev = w->ev;
	w->ev = t;
	w->sgrp = w->ngrp;
	w->snext = 0;
	w->sleft = w->n;
	w->spiece = w->n / PIVOT_PIECES + 1;
	w->severy = w->cap / PIVOT_PACE / PIVOT_PIECES + 1;
	w->ssince = 0;
	w->sseq = seq;
	w->pkrows = false;
	w->pkn = w->pklen = 0;
	window_clear(w);
}

/* The statement or the inserter's buffers ready for db */
static int ready(struct pivot_window *w, sqlite3 *db, char **cause)
{
	if (w->db != db) {
		sqlite3_finalize(w->ins);
		sqlite3_finalize(w->ins_one);
		w->ins = w->ins_one = NULL;
		w->db = db;
	}
	/* (one chunk a statement cost 11,200 instructions a chunk on 200k
	 * high-cardinality CSV, 16 a statement as much: their VALUES list
	 * took a statement journal. An inserter of many rows in one
	 * statement run, OR FAIL, takes none: see pivot_window_set_insert) */
	if (!w->insert && !w->ins &&
	    sqlite3_prepare_v3(db,
			       "INSERT INTO pivots(col, val, seq, n, lo, hi, data)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       -1, SQLITE_PREPARE_PERSISTENT, &w->ins, NULL) != SQLITE_OK)
		return set_cause(cause, "%s", sqlite3_errmsg(db));
	if (w->insert && !w->chunk)
		w->chunk = xmalloc(PIVOT_INSERT_ROWS * sizeof *w->chunk);
	/* the chunks handed to insert together are encoded one after the
	 * other (each at most PIVOT_CHUNK_BYTES, begun below
	 * PIVOT_INSERT_BYTES) */
	size_t room = PIVOT_CHUNK_BYTES + PIVOT_ENTRY_MAX + (w->insert ? PIVOT_INSERT_BYTES : 0);
	w->buf = xgrow(w->buf, &w->bufcap, room, 1);
	if (!w->pk)
		w->pk = xmalloc(PIVOT_CHUNK_BYTES + 3 * 10);
	return 0;
}

/* The row of pivot_ones being packed written (when it holds any). */
static int ones_write(struct pivot_window *w, char **cause)
{
	if (!w->pkn)
		return 0;
	if (!w->ins_one &&
	    sqlite3_prepare_v3(w->db,
			       "INSERT INTO pivot_ones(col, grp, seq, n, data) VALUES(?1, ?2, ?3, ?4, ?5)",
			       -1, SQLITE_PREPARE_PERSISTENT, &w->ins_one, NULL) != SQLITE_OK)
		return set_cause(cause, "%s", sqlite3_errmsg(w->db));
	sqlite3_stmt *q = w->ins_one;
	sqlite3_bind_int(q, 1, w->pkcol);
	sqlite3_bind_int64(q, 2, w->pkgrp);
	sqlite3_bind_int64(q, 3, w->sseq + w->pkk);
	sqlite3_bind_int64(q, 4, (int64_t)w->pkn);
	sqlite3_bind_blob(q, 5, w->pk, (int)w->pklen, SQLITE_STATIC);
	int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : set_cause(cause, "%s", sqlite3_errmsg(w->db));
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	w->pkn = w->pklen = 0;
	return rc;
}

/* Value val of column col has the one entry e in the sealed window: into
 * the row of its group being packed (values come in ascending order), the
 * row before it written when of another group or full. The k-th row of a
 * group in a window has seq + k: each row holds an entry of an event of
 * the window of its own (one value of a column an event), so that k stays
 * below the window's events, and seq + k below the next window's. */
static int ones_add(struct pivot_window *w, int col, int64_t val, struct pivot_entry e, char **cause)
{
	int64_t grp = (int64_t)((uint64_t)val >> PIVOT_ONES_SHIFT);
	bool same = w->pkrows && w->pkcol == col && w->pkgrp == grp;
	if (w->pkn && (!same || w->pklen + 3 * 10 > PIVOT_CHUNK_BYTES) && ones_write(w, cause) < 0)
		return -1;
	if (!w->pkn) {
		w->pkk = same ? w->pkk + 1 : 0;
		w->pkrows = true;
		w->pkcol = col;
		w->pkgrp = grp;
		w->pkval = (int64_t)((uint64_t)grp << PIVOT_ONES_SHIFT);
		w->pkts = w->pkid = 0;
	}
	unsigned char *p = w->pk + w->pklen;
	p = put_varint(p, (uint64_t)val - (uint64_t)w->pkval);
	p = put_varint(p, zigzag((uint64_t)e.ts - (uint64_t)w->pkts));
	p = put_varint(p, zigzag((uint64_t)e.id - (uint64_t)w->pkid));
	w->pklen = (size_t)(p - w->pk);
	w->pkn++;
	w->pkval = val;
	w->pkts = e.ts;
	w->pkid = e.id;
	return 0;
}

/* The sealed window's chunks of whole values, until want entries are
 * written or none are left. */
static int drain(struct pivot_window *w, sqlite3 *db, size_t want, char **cause)
{
	if (!w->sgrp)
		return 0;
	if (ready(w, db, cause) < 0)
		return -1;
	size_t used = 0, nc = 0, done = 0;
	int rc = 0;
	while (w->snext < w->sgrp && done < want && rc == 0) {
		const struct pv_order *gr = &w->order[w->snext++];
		uint32_t *e = w->out + gr->at;
		int col = (int)(gr->key >> 56);
		if (gr->count == 1 && (PIVOT_ONES_COLS >> col & 1)) {
			done++;
			rc = ones_add(w, col, (int64_t)(gr->key & (((uint64_t)1 << 56) - 1)), w->sev[e[0]],
				      cause);
			continue;
		}
		sort_idx(w->sev, e, w->tmp, gr->count);
		done += gr->count;
		/* a value's entries in pieces of PIVOT_CHUNK_BYTES at most, the
		 * first with the window's seq, the next ones with the numbers
		 * after it (below the next window's least id: a window's
		 * events outnumber a value's pieces) */
		for (size_t from = 0, k = 0, n; from < gr->count && rc == 0; from += n, k++) {
			unsigned char *out = w->buf + used;
			size_t len = encode_idx(w->sev, e + from, gr->count - from, out, PIVOT_CHUNK_BYTES, &n);
			struct pivot_chunk c = {
				.col = (int64_t)(gr->key >> 56),
				.val = (int64_t)(gr->key & (((uint64_t)1 << 56) - 1)),
				.seq = w->sseq + (int64_t)k,
				.n = (int64_t)n,
				.lo = w->sev[e[from]].ts,
				.hi = w->sev[e[from + n - 1]].ts,
				.data = out,
				.len = len,
			};
			if (!w->insert) {
				rc = insert_one(w, &c, cause);
				continue;
			}
			w->chunk[nc++] = c;
			used += len;
			if (nc == PIVOT_INSERT_ROWS || used >= PIVOT_INSERT_BYTES) {
				rc = w->insert(w->ictx, w->chunk, nc, cause);
				nc = used = 0;
			}
		}
	}
	if (rc == 0 && nc)
		rc = w->insert(w->ictx, w->chunk, nc, cause);
	/* (the row being packed goes on in the next piece: the same rows
	 * as a window written whole) */
	if (rc == 0 && w->snext >= w->sgrp)
		rc = ones_write(w, cause);
	if (w->ins)
		sqlite3_clear_bindings(w->ins);
	w->sleft = w->sleft > done ? w->sleft - done : 0;
	if (w->snext >= w->sgrp)
		w->sgrp = w->snext = w->sleft = 0;
	return rc;
}

int pivot_window_seal(struct pivot_window *w, sqlite3 *db, char **cause)
{
	if (drain(w, db, SIZE_MAX, cause) < 0)
		return -1;
	if (w->n)
		seal(w);
	return 0;
}

int pivot_window_pace(struct pivot_window *w, sqlite3 *db, char **cause)
{
	if (!w->sgrp || ++w->ssince < w->severy)
		return 0;
	w->ssince = 0;
	return drain(w, db, w->spiece, cause);
}

int pivot_window_flush(struct pivot_window *w, sqlite3 *db, char **cause)
{
	if (pivot_window_seal(w, db, cause) < 0)
		return -1;
	return drain(w, db, SIZE_MAX, cause);
}

/* Events a window of the conversion holds (its memory: 156 bytes each
 * at most, pivots.c's window) */
#define BUILD_WINDOW 32768

int pivots_build(sqlite3 *db, char **cause)
{
	sqlite3_stmt *q;
	/* (lists a case of another schema may hold are the events' again) */
	if (sqlite3_exec(db, "DELETE FROM pivots; DELETE FROM pivot_gone; DELETE FROM pivot_ones", NULL, NULL,
			 NULL) != SQLITE_OK ||
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

static int64_t le64(const unsigned char *p)
{
	uint64_t x = 0;
	for (int b = 7; b >= 0; b--)
		x = x << 8 | p[b];
	return (int64_t)x;
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* a[0..k) sorted, once each (a value twice would give its rows twice):
 * how many are left */
static size_t ids_norm(int64_t *a, size_t k)
{
	if (k > 1)
		qsort(a, k, sizeof *a, id_cmp);
	size_t m = 0;
	for (size_t i = 0; i < k; i++)
		if (!m || a[i] != a[m - 1])
			a[m++] = a[i];
	return m;
}

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
		for (size_t i = 0; i < k; i++)
			a[i] = le64(p + 8 * i);
		*out = a;
		*n = ids_norm(a, k);
		return 0;
	}
	default: return -1;
	}
}

/*
 * The entry of value val in a row of pivot_ones (its group's, n entries
 * in p[0..len)) into *e: 1, 0 when the row has none, -1 when damaged.
 * The entries are sorted by value: decoded up to val's.
 */
static int ones_find(const unsigned char *p, size_t len, int64_t n, int64_t val, struct pivot_entry *e)
{
	const unsigned char *end = p + len;
	uint64_t v = (uint64_t)val >> PIVOT_ONES_SHIFT << PIVOT_ONES_SHIFT, ts = 0, id = 0, d;
	for (int64_t i = 0; i < n; i++) {
		if (!get_varint(&p, end, &d))
			return -1;
		v += d;
		if (i && !d)
			return -1; /* (a value twice) */
		if (!get_varint(&p, end, &d))
			return -1;
		ts += unzigzag(d);
		if (!get_varint(&p, end, &d))
			return -1;
		id += unzigzag(d);
		if ((int64_t)v == val) {
			*e = (struct pivot_entry){ (int64_t)ts, (int64_t)id };
			return 1;
		}
		if ((int64_t)v > val)
			return 0;
	}
	return p == end ? 0 : -1;
}

/* (the rows of a group from its first on, the key tested here: pv_open
 * says why) */
#define ONES_SQL "SELECT col, grp, n, data FROM pivot_ones WHERE (col, grp) >= (?1, ?2)"

/* The entries of value val of column col in pivot_ones, through q (of
 * ONES_SQL), each to fn(ctx, entry): SQLITE_OK, SQLITE_CORRUPT when a row
 * is damaged, or q's error. Nothing for a column not packed. */
static int ones_each(sqlite3_stmt *q, int col, int64_t val, void (*fn)(void *, struct pivot_entry), void *ctx)
{
	if (col < 0 || col >= PIVOT_NCOL || !(PIVOT_ONES_COLS >> col & 1))
		return SQLITE_OK;
	int64_t grp = (int64_t)((uint64_t)val >> PIVOT_ONES_SHIFT);
	sqlite3_reset(q);
	sqlite3_bind_int(q, 1, col);
	sqlite3_bind_int64(q, 2, grp);
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW && sqlite3_column_int(q, 0) == col &&
	       sqlite3_column_int64(q, 1) == grp) {
		struct pivot_entry e;
		const unsigned char *p = sqlite3_column_blob(q, 3);
		int f = ones_find(p, (size_t)sqlite3_column_bytes(q, 3), sqlite3_column_int64(q, 2), val, &e);
		if (f < 0) {
			sqlite3_reset(q);
			return SQLITE_CORRUPT;
		}
		if (f)
			fn(ctx, e);
	}
	if (r == SQLITE_ROW)
		r = SQLITE_DONE;
	return sqlite3_reset(q) == SQLITE_OK && r == SQLITE_DONE ? SQLITE_OK
	       : r == SQLITE_DONE                                ? SQLITE_ERROR
								 : r;
}

static void ones_count_one(void *ctx, struct pivot_entry e)
{
	(void)e;
	(*(int64_t *)ctx)++;
}

int sqlite_pivot_count(sqlite3 *db, int col, const int64_t *vals, size_t n, int64_t *out)
{
	*out = 0;
	if (!n)
		return 0;
	sqlite3_stmt *q = NULL, *g = NULL, *o = NULL;
	/* (the rows of a value from its first on, the key tested here: pv_open
	 * says why) */
	if (sqlite3_prepare_v2(db, "SELECT col, val, n FROM pivots WHERE (col, val) >= (?1, ?2)", -1, &q,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT coalesce(sum(n), 0) FROM pivot_gone WHERE col = ?1 AND val = ?2",
			       -1, &g, NULL) != SQLITE_OK ||
	    (col >= 0 && col < PIVOT_NCOL && (PIVOT_ONES_COLS >> col & 1) &&
	     sqlite3_prepare_v2(db, ONES_SQL, -1, &o, NULL) != SQLITE_OK)) {
		sqlite3_finalize(q);
		sqlite3_finalize(g);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i && vals[i] == vals[i - 1])
			continue;
		sqlite3_bind_int(q, 1, col);
		sqlite3_bind_int64(q, 2, vals[i]);
		int r;
		while ((r = sqlite3_step(q)) == SQLITE_ROW && sqlite3_column_int(q, 0) == col &&
		       sqlite3_column_int64(q, 1) == vals[i])
			*out += sqlite3_column_int64(q, 2);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(q);
		if (rc == 0 && o && ones_each(o, col, vals[i], ones_count_one, out) != SQLITE_OK)
			rc = -1;
		sqlite3_bind_int(g, 1, col);
		sqlite3_bind_int64(g, 2, vals[i]);
		if (rc == 0 && sqlite3_step(g) == SQLITE_ROW)
			*out -= sqlite3_column_int64(g, 0);
		else
			rc = -1;
		sqlite3_reset(g);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(g);
	sqlite3_finalize(o);
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
 *
 * pivot_and(terms): the entries every term's list holds, each term such
 * a merge, found by leapfrogging: the sparsest list (the first term)
 * proposes an entry, each other list is sought to the first of its own
 * entries not before it, and any that lands past it proposes that one
 * instead, until all agree. A seek passes the chunks that end before its
 * target without reading them (their lo/hi are in the row, the blob is
 * not read) and gallops within an open chunk. On 1M events a filter of
 * two busy values that meet little (op=Send 75k events, an app of 52k,
 * none in common) read the smaller list's every event to show no page
 * (~20 ms, ~1.4 us an event: a lookup of the event and a test of the
 * other term); the lists decode at a few ns an entry, and their common
 * entries are all that is joined to events.
 */
/* the columns; pivot_and's hidden ones (terms, lead, hits) where pivot_rows'
 * are (col, vals) */
enum { PV_COL_TS, PV_COL_ID, PV_COL_COL, PV_COL_VALS };

/* A chunk row's header, or (one) a value's entry in pivot_ones: n 1, lo
 * and hi its ts, id its id; read from there, no row of its own. */
struct pv_chunk {
	int64_t val, seq, lo, hi, n;
	int64_t id;
	bool one;
};

/*
 * A chunk decoded whole, kept by the connection's cache (struct pv_cache)
 * and shared with the open chunks reading it (refs: the cache's and
 * theirs). The chunks of an intersection's lists (a page reads most of
 * each: the leapfrog seeks through them) and of a descending read (whose
 * deltas run the wrong way: decoded whole anyway) are decoded whole and
 * kept; one list read ascending (a page of one busy value shows the few
 * dozen entries it decodes) is decoded an entry at a time and keeps
 * nothing. The same filter again, or its next page, reads the entries
 * from here: no walk of the chunk rows, no varint decoded, a seek a
 * gallop (1M events, user= app= ip= of a user whose address is rare and
 * mostly theirs: ~33k entries decoded a page, 1.6 M of its 5.9 M
 * instructions).
 */
struct pv_dec {
	int refs;
	int col;
	int64_t val, seq;
	size_t n; /* entries in e */
	struct pivot_entry e[];
};

static void dec_unref(struct pv_dec *d)
{
	if (d && --d->refs == 0)
		free(d);
}

/* An open chunk. Read ascending, it is decoded an entry at a time as the
 * merge reaches it: its entry is last (b < end while it has one), left
 * entries are still to decode from p..pe, a copy of its blob (buf); a
 * page of a busy value's 2,000 entries decodes a few dozen, and a seek
 * passes entries without keeping them (decoded into an array of the
 * chunk's entries, in batches that doubled, a page of user= app= ip=
 * decoded and stored ~9,000 entries, ~50 instructions each with the
 * steps and seeks over them). Descending, the deltas run the wrong way:
 * decoded whole when opened, its entries within the bounds e[b..end)
 * (room for cap). */
struct pv_open {
	struct pivot_entry *e;
	size_t b, end, cap;
	/* e is dec's (from the cache, or decoded and kept there): either
	 * way, ascending too, its entries within the bounds are e[b..end),
	 * the current one e[b], also in last */
	struct pv_dec *dec;
	unsigned char *buf;
	const unsigned char *p, *pe;
	size_t left;
	struct pivot_entry last;
};

/* One term's list: its values' chunks (those within the ts bounds, in
 * the order the merge reaches them), the open ones in a heap by their
 * next entry, and the entry last given (cur). */
struct pv_list {
	int col;
	struct pv_chunk *ch;
	size_t nch, chcap, next;
	struct pv_open *heap;
	size_t nheap, heapcap;
	struct pivot_entry cur;
	bool started, eof;
	bool held; /* cur is still the heap's first (list_take) */
	/* the room of the last chunk closed, for the next one opened: a
	 * busy value's chunks of 9,000 entries each, 144 KB (glibc maps
	 * those fresh from the kernel, page faults and all) */
	struct pivot_entry *spare;
	size_t sparecap;
	/* the chunks' rows read in key order (walk_desc: backwards), left
	 * on the row last read (walking: of value walk_val, seq walk_seq) */
	sqlite3_stmt *walk;
	bool walk_desc, walking;
	int64_t walk_val, walk_seq;
	/* its values; their chunks' rows are read (loaded) when the list is
	 * first stepped or sought */
	int64_t *vals;
	size_t nvals;
	bool loaded;
	bool cache_ok; /* the connection's cache is the case's (list_load) */
	/* cur is the first entry of the one open chunk, decoded whole, of
	 * e[b..end), and no chunk is to be opened before an entry of ts
	 * below quick_lim (descending: above): a seek short of it is a
	 * gallop in that chunk (seek_quick) */
	bool quick;
	int64_t quick_lim;
};

static void list_drop(struct pv_list *l, struct pv_open *o)
{
	free(o->buf);
	o->buf = NULL;
	if (o->dec) {
		dec_unref(o->dec);
		o->dec = NULL;
	} else if (o->cap > l->sparecap) {
		free(l->spare);
		l->spare = o->e;
		l->sparecap = o->cap;
	} else {
		free(o->e);
	}
	o->e = NULL;
}

/*
 * The chunk rows of the values read lately on a connection, kept while
 * the case is as it was when they were read. A statement of the lists
 * reads every chunk row of their values before its first row (~2.2k
 * instructions a row: 69 rows for a user of 13.8k events on 1M, 443 for
 * an address of 567k), and the next page, the same filter again or one
 * that adds a term (an analyst narrowing user=X to user=X app=Y) read the
 * same rows. The case is as it was while the main database's data
 * version, which any commit changes (this connection's or another's, and
 * read within a statement's transaction, where it is current), and the
 * connection's total changes (its uncommitted ones, temp's too) are.
 * Within a transaction of the connection's own (a load's) the cache is
 * not used: what it reads there may be rolled back.
 */
#define PV_CACHE_ROWS 16384 /* chunk rows kept (40 bytes each) */
#define PV_CACHE_VALUES 64
/* chunks decoded whole (struct pv_dec) kept at most: their entries (16
 * bytes each: 4 MB) and number (a hash table of twice as many slots);
 * emptied when it would hold more (a page of user= app= ip= on 1M
 * events keeps 280 chunks of ~33k entries) */
#define PV_DEC_ENTRIES ((size_t)1 << 18)
#define PV_DEC_CHUNKS 2048

struct pv_cached {
	int col;
	int64_t val;
	size_t at, n; /* its rows in the cache's */
};

struct pv_cache {
	int refs; /* the two modules' and pivot_cached's */
	bool known;
	unsigned version;
	int64_t changes;
	struct pv_cached v[PV_CACHE_VALUES];
	size_t nv;
	struct pv_chunk *rows; /* PV_CACHE_ROWS */
	size_t nrows;
	struct pv_dec **dec; /* 2 * PV_DEC_CHUNKS slots, open addressing */
	size_t ndec, dec_entries;
};

static size_t dec_slot(int col, int64_t val, int64_t seq)
{
	uint64_t h = ((uint64_t)val * 0x9E3779B97F4A7C15u) ^ ((uint64_t)seq * 0xC2B2AE3D27D4EB4Fu) ^
		     ((uint64_t)col * 0x165667B19E3779F9u);
	return (size_t)(h >> 40) & (2 * PV_DEC_CHUNKS - 1);
}

static void dec_clear(struct pv_cache *pc)
{
	for (size_t i = 0; pc->ndec && i < 2 * PV_DEC_CHUNKS; i++)
		if (pc->dec[i]) {
			dec_unref(pc->dec[i]);
			pc->dec[i] = NULL;
			pc->ndec--;
		}
	pc->ndec = pc->dec_entries = 0;
}

/* Chunk (col, val, seq) decoded, if kept. */
static struct pv_dec *dec_find(const struct pv_cache *pc, int col, int64_t val, int64_t seq)
{
	if (!pc->ndec)
		return NULL;
	for (size_t i = dec_slot(col, val, seq);; i = (i + 1) & (2 * PV_DEC_CHUNKS - 1)) {
		struct pv_dec *d = pc->dec[i];
		if (!d)
			return NULL;
		if (d->seq == seq && d->val == val && d->col == col)
			return d;
	}
}

/* d (whole) kept: the cache takes the caller's reference. */
static void dec_put(struct pv_cache *pc, struct pv_dec *d)
{
	if (d->n > PV_DEC_ENTRIES / 4) {
		dec_unref(d);
		return;
	}
	if (pc->ndec == PV_DEC_CHUNKS || pc->dec_entries + d->n > PV_DEC_ENTRIES)
		dec_clear(pc);
	if (!pc->dec)
		pc->dec = xcalloc(2 * PV_DEC_CHUNKS, sizeof *pc->dec);
	size_t i = dec_slot(d->col, d->val, d->seq);
	for (; pc->dec[i]; i = (i + 1) & (2 * PV_DEC_CHUNKS - 1))
		if (pc->dec[i]->seq == d->seq && pc->dec[i]->val == d->val && pc->dec[i]->col == d->col) {
			dec_unref(d); /* (kept already) */
			return;
		}
	pc->dec[i] = d;
	pc->ndec++;
	pc->dec_entries += d->n;
}

/* A module's aux: which it is, and the connection's cache. */
struct pv_aux {
	bool inter;
	struct pv_cache *cache;
};

/*
 * The statements a cursor reads the chunk rows with, kept by the
 * connection's table between cursors (finalized when SQLite disconnects
 * it, which it does before it closes the connection): each page runs its
 * statement afresh, which opens a cursor, and preparing the chunk
 * headers' SELECT and one walk for each list cost ~46k instructions
 * each (callgrind, 1M events: 0.11 M of user='s 3.0 M a page, 0.18 M of
 * user= app= ip='s).
 */
enum { PV_SQL_CHUNKS, PV_SQL_WALK_UP, PV_SQL_WALK_DOWN, PV_SQL_ONES, PV_NSQL };
static const char *const pv_sql[PV_NSQL] = {
	/* (rows from a key on, the key tested here: "col = ?1 AND val =
	 * ?2" would have SQLite compare each row's whole key with the
	 * range's end, and a row's key is all of it, data too: a busy
	 * value's chunk of 30 KB read whole for each chunk row stepped.
	 * Pivots unqualified: a read-only case of an older schema has them
	 * in temp.) */
	"SELECT col, val, seq, lo, hi, n FROM pivots WHERE (col, val) >= (?1, ?2)",
	"SELECT col, val, seq, data FROM pivots WHERE (col, val, seq) >= (?1, ?2, ?3) ORDER BY col, val, seq",
	("SELECT col, val, seq, data FROM pivots WHERE (col, val, seq) <= (?1, ?2, ?3)"
	 " ORDER BY col DESC, val DESC, seq DESC"),
	ONES_SQL,
};
#define PV_IDLE 12 /* statements kept idle at most */

struct pv_vtab {
	sqlite3_vtab base;
	sqlite3 *db;
	bool inter; /* pivot_and: the terms, and the lead */
	struct pv_cache *cache;
	sqlite3_stmt *idle[PV_IDLE];
	int idle_sql[PV_IDLE];
	size_t nidle;
};

/* A statement of pv_sql[k] for a cursor of v: an idle one, or prepared. */
static int stmt_take(struct pv_vtab *v, int k, sqlite3_stmt **out)
{
	for (size_t i = v->nidle; i-- > 0;)
		if (v->idle_sql[i] == k) {
			*out = v->idle[i];
			v->nidle--;
			v->idle[i] = v->idle[v->nidle];
			v->idle_sql[i] = v->idle_sql[v->nidle];
			return SQLITE_OK;
		}
	return sqlite3_prepare_v3(v->db, pv_sql[k], -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
}

/* s (of pv_sql[k], or NULL) given back by a cursor of v. */
static void stmt_give(struct pv_vtab *v, int k, sqlite3_stmt *s)
{
	if (!s)
		return;
	/* (a statement that failed keeps its error for its reset: not kept) */
	if (sqlite3_reset(s) != SQLITE_OK || v->nidle == PV_IDLE) {
		sqlite3_finalize(s);
		return;
	}
	sqlite3_clear_bindings(s);
	v->idle[v->nidle] = s;
	v->idle_sql[v->nidle++] = k;
}

struct pv_cursor {
	sqlite3_vtab_cursor base;
	struct pv_vtab *vt;
	struct pv_cache *cache;
	sqlite3_stmt *sel_chunks;
	sqlite3_stmt *sel_ones; /* (taken when first needed) */
	bool inter, desc, eof;
	int64_t lo, hi;    /* the ts bounds, both included */
	struct pv_list *l; /* pivot_rows: one; pivot_and: the terms' */
	size_t nl, lcap;
	struct pivot_entry cur;
	int64_t rowid;
	/* pivot_and: rows the first list gives alone, before the others are
	 * read (a superset: the caller tests the terms), at most; what the
	 * caller says it took (NULL: nothing, the lead is lead rows) and
	 * had taken when the cursor started; the lead over (meet) */
	int64_t lead;
	const struct pivot_hits *hits;
	int64_t got0;
	bool meet;
	/* lists held back after the nl intersected (struct pivot_hits);
	 * the rows refused and the id of the row given when the last one
	 * came in (or when the cursor started) */
	size_t nheld;
	int64_t refused0, id0;
	bool id0_set;
	/* the intersection's cost lead_on weighs (hits' inter, less its
	 * chunk rows' reading when the cache holds them); < 0 not yet */
	double inter_cost;
};

static int pv_connect_as(sqlite3 *db, const struct pv_aux *aux, sqlite3_vtab **out)
{
	bool inter = aux->inter;
	int rc =
		sqlite3_declare_vtab(db,
				     inter ? "CREATE TABLE x(ts INTEGER, id INTEGER, terms HIDDEN, lead HIDDEN, hits HIDDEN)"
					   : "CREATE TABLE x(ts INTEGER, id INTEGER, col HIDDEN, vals HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	struct pv_vtab *v = sqlite3_malloc(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->db = db;
	v->inter = inter;
	v->cache = aux->cache;
	sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
	*out = &v->base;
	return SQLITE_OK;
}

static int pv_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err)
{
	(void)argc;
	(void)argv;
	(void)err;
	return pv_connect_as(db, aux, out);
}

static int pv_disconnect(sqlite3_vtab *tab)
{
	struct pv_vtab *v = (struct pv_vtab *)tab;
	for (size_t i = 0; i < v->nidle; i++)
		sqlite3_finalize(v->idle[i]);
	sqlite3_free(v);
	return SQLITE_OK;
}

/* idxNum: 1 = descending, 2 = pivot_and's lead given, 4 its hits; argv:
 * the hidden arguments (col, vals; or terms, then lead and hits when
 * given), then one ts bound
 * for each character of idxStr ('=', '<', 'l' <=, '>', 'g' >=) */
static int pv_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	bool inter = ((struct pv_vtab *)tab)->inter;
	int nargs = inter ? 3 : 2, nreq = inter ? 1 : 2;
	int arg[3] = { -1, -1, -1 }, nts = 0;
	char ops[9];
	int tsat[8];
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->iColumn >= PV_COL_COL && c->iColumn < PV_COL_COL + nargs) {
			if (c->op != SQLITE_INDEX_CONSTRAINT_EQ)
				continue;
			if (!c->usable)
				return SQLITE_CONSTRAINT; /* the arguments come first */
			arg[c->iColumn - PV_COL_COL] = i;
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
	int argv = 1;
	for (int k = 0; k < nargs; k++) {
		if (arg[k] < 0 && k < nreq)
			return SQLITE_CONSTRAINT;
		if (arg[k] < 0)
			continue;
		info->aConstraintUsage[arg[k]].argvIndex = argv++;
		info->aConstraintUsage[arg[k]].omit = 1;
	}
	for (int k = 0; k < nts; k++) {
		info->aConstraintUsage[tsat[k]].argvIndex = argv++;
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
	info->idxNum =
		(consumed && desc ? 1 : 0) | (inter && arg[1] >= 0 ? 2 : 0) | (inter && arg[2] >= 0 ? 4 : 0);
	/* a guess: a value's events, fewer within a time range */
	info->estimatedRows = nts ? 100 : 1000;
	info->estimatedCost = nts ? 100.0 : 1000.0;
	return SQLITE_OK;
}

static int pv_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out)
{
	struct pv_vtab *v = (struct pv_vtab *)tab;
	struct pv_cursor *c = sqlite3_malloc(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->vt = v;
	c->inter = v->inter;
	c->cache = v->cache;
	if (stmt_take(v, PV_SQL_CHUNKS, &c->sel_chunks) != SQLITE_OK) {
		sqlite3_free(tab->zErrMsg);
		tab->zErrMsg = sqlite3_mprintf("%s: %s", c->inter ? "pivot_and" : "pivot_rows",
					       sqlite3_errmsg(v->db));
		sqlite3_free(c);
		return SQLITE_ERROR;
	}
	c->eof = true;
	*out = &c->base;
	return SQLITE_OK;
}

static void list_reset(struct pv_list *l)
{
	for (size_t i = 0; i < l->nheap; i++)
		list_drop(l, &l->heap[i]);
	if (l->walk)
		sqlite3_reset(l->walk);
	l->walking = false;
	free(l->vals);
	l->vals = NULL;
	l->nvals = 0;
	l->loaded = false;
	l->nheap = l->nch = l->next = 0;
	l->started = false;
	l->held = false;
	l->eof = true;
	l->quick = false;
}

static void pv_reset(struct pv_cursor *c)
{
	for (size_t i = 0; i < c->nl + c->nheld; i++)
		list_reset(&c->l[i]);
	c->nl = c->nheld = 0;
	c->eof = true;
}

static int pv_close(sqlite3_vtab_cursor *cur)
{
	struct pv_cursor *c = (struct pv_cursor *)cur;
	pv_reset(c);
	for (size_t i = 0; i < c->lcap; i++) {
		free(c->l[i].ch);
		free(c->l[i].heap);
		free(c->l[i].spare);
		stmt_give(c->vt, c->l[i].walk_desc ? PV_SQL_WALK_DOWN : PV_SQL_WALK_UP, c->l[i].walk);
	}
	free(c->l);
	stmt_give(c->vt, PV_SQL_CHUNKS, c->sel_chunks);
	stmt_give(c->vt, PV_SQL_ONES, c->sel_ones);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int vt_error(struct pv_cursor *c, int rc, const char *msg)
{
	sqlite3_free(c->base.pVtab->zErrMsg);
	c->base.pVtab->zErrMsg = sqlite3_mprintf("%s: %s", c->inter ? "pivot_and" : "pivot_rows", msg);
	return rc;
}

static inline struct pivot_entry open_top(bool desc, const struct pv_open *o)
{
	return desc ? o->e[o->end - 1] : o->last;
}

/* Does heap entry a come before b in the order desc? */
static inline bool heap_before(bool desc, const struct pv_open *a, const struct pv_open *b)
{
	struct pivot_entry x = open_top(desc, a), y = open_top(desc, b);
	return desc ? entry_lt(y, x) : entry_lt(x, y);
}

static void sift_down(bool desc, struct pv_list *l, size_t i)
{
	for (;;) {
		size_t a = 2 * i + 1, b = a + 1, m = i;
		if (a < l->nheap && heap_before(desc, &l->heap[a], &l->heap[m]))
			m = a;
		if (b < l->nheap && heap_before(desc, &l->heap[b], &l->heap[m]))
			m = b;
		if (m == i)
			return;
		struct pv_open t = l->heap[i];
		l->heap[i] = l->heap[m];
		l->heap[m] = t;
		i = m;
	}
}

static void sift_up(bool desc, struct pv_list *l, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!heap_before(desc, &l->heap[i], &l->heap[p]))
			return;
		struct pv_open t = l->heap[i];
		l->heap[i] = l->heap[p];
		l->heap[p] = t;
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

/* First entry of e[b..end) after t, galloping down from end (a
 * descending seek: entries e[b..the result) are not after t). */
static size_t gallop_down(const struct pivot_entry *e, size_t b, size_t end, struct pivot_entry t)
{
	size_t lo = b, hi = end;
	for (size_t step = 1; step <= end - b; step *= 2) {
		size_t i = end - step;
		if (!entry_lt(t, e[i])) {
			lo = i + 1;
			break;
		}
		hi = i;
	}
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (entry_lt(t, e[m]))
			hi = m;
		else
			lo = m + 1;
	}
	return lo;
}

/* First entry of e[b..end) not before t, galloping up from b (an
 * ascending seek in a chunk decoded whole): by ts, then t's ts by id
 * (the leapfrog's seeks: 1M events, ~11k a page of user= app= ip= op=,
 * most of what the intersection of chunks kept costs). */
static size_t gallop_up(const struct pivot_entry *e, size_t b, size_t end, struct pivot_entry t)
{
	/* the next few one by one (a busy list sought by a sparse one: a
	 * dozen entries apart), then in doubling steps */
	size_t near = end - b > 8 ? b + 8 : end;
	for (; b < near; b++)
		if (e[b].ts >= t.ts)
			goto ties;
	if (b == end)
		return end;
	size_t lo = b, hi = end;
	for (size_t step = 1; step <= end - b; step *= 2) {
		size_t i = b + step - 1;
		if (e[i].ts >= t.ts) {
			hi = i;
			break;
		}
		lo = i + 1;
	}
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (e[m].ts < t.ts)
			lo = m + 1;
		else
			hi = m;
	}
	b = lo;
ties:
	while (b < end && e[b].ts == t.ts && e[b].id < t.id)
		b++;
	return b;
}

/*
 * l's walk onto the row of chunk k. A busy value's chunks are read in the
 * order of their keys, or backwards (as the merge reaches them: an export
 * in time order or newest first), so the walk steps from the row it is
 * on to the next it needs, over the ones it passes (their data unread);
 * it seeks only when the chunk is behind it or of another value. A seek
 * into pivots costs several times the chunk itself: SQLite compares the
 * key with whole rows on its way down, and a row longer than a page's
 * share (a chunk of more than ~1,000 entries) is read whole for each
 * compare (1M events, a count of user= app= ip=: ~117k instructions an
 * opened chunk).
 */
static int walk_to(struct pv_cursor *c, struct pv_list *l, const struct pv_chunk *k)
{
	bool desc = l->walk_desc;
	if (!l->walk) {
		if (stmt_take(c->vt, desc ? PV_SQL_WALK_DOWN : PV_SQL_WALK_UP, &l->walk) != SQLITE_OK)
			return vt_error(c, SQLITE_ERROR, sqlite3_errmsg(c->vt->db));
		l->walking = false;
	}
	sqlite3_stmt *q = l->walk;
	if (!l->walking || l->walk_val != k->val || (desc ? k->seq >= l->walk_seq : k->seq <= l->walk_seq)) {
		sqlite3_reset(q);
		sqlite3_bind_int(q, 1, l->col);
		sqlite3_bind_int64(q, 2, k->val);
		sqlite3_bind_int64(q, 3, k->seq);
	}
	l->walking = false;
	for (;;) {
		int r = sqlite3_step(q);
		if (r == SQLITE_ROW &&
		    (sqlite3_column_int(q, 0) != l->col || sqlite3_column_int64(q, 1) != k->val))
			r = SQLITE_DONE;
		int64_t seq = r == SQLITE_ROW ? sqlite3_column_int64(q, 2) : 0;
		if (r == SQLITE_ROW && (desc ? seq < k->seq : seq > k->seq))
			r = SQLITE_DONE; /* passed it */
		if (r != SQLITE_ROW) {
			sqlite3_reset(q);
			return vt_error(c, r == SQLITE_DONE ? SQLITE_CORRUPT : r,
					r == SQLITE_DONE ? "a chunk went missing"
							 : sqlite3_errmsg(sqlite3_db_handle(q)));
		}
		if (seq == k->seq)
			break;
	}
	l->walking = true;
	l->walk_val = k->val;
	l->walk_seq = k->seq;
	return SQLITE_OK;
}

/* The next entry of ascending o (left > 0) after (*ts, *id), read from
 * *pp on: false when damaged. */
static inline bool open_next(const struct pv_open *o, const unsigned char **pp, uint64_t *ts, uint64_t *id)
{
	const unsigned char *p = *pp;
	uint64_t dt, dz;
	if (o->pe - p >= 2 * 10) {
		if (!get_varint_room(&p, &dt) || !get_varint_room(&p, &dz))
			return false;
	} else if (!get_varint(&p, o->pe, &dt) || !get_varint(&p, o->pe, &dz)) {
		return false;
	}
	*ts += dt;
	*id += unzigzag(dz);
	*pp = p;
	return true;
}

/* Ascending o read to its end (or to the ts bound): nothing left. */
static void open_end(struct pv_open *o)
{
	free(o->buf);
	o->buf = NULL;
	o->left = 0;
	o->b = o->end = 0;
}

/* Ascending o on to the first of its entries not before t (the next one
 * when t is NULL) into o->last, or to its end: the first past the ts bound
 * ends it. -1: damaged. */
static int open_seek_up(const struct pv_cursor *c, struct pv_open *o, const struct pivot_entry *t)
{
	if (o->b >= o->end || (t && !entry_lt(o->last, *t)))
		return 0;
	if (o->dec) {
		/* (entries past the ts bound are not in e[b..end)) */
		o->b = t ? gallop_up(o->e, o->b + 1, o->end, *t) : o->b + 1;
		if (o->b < o->end)
			o->last = o->e[o->b];
		return 0;
	}
	uint64_t ts = (uint64_t)o->last.ts, id = (uint64_t)o->last.id;
	const unsigned char *p = o->p;
	size_t left = o->left;
	/* entries before lim are passed with one test: before the target
	 * and within the bound (a step: none) */
	int64_t lim = !t ? INT64_MIN : t->ts < c->hi ? t->ts : c->hi;
	for (;;) {
		if (!left) {
			open_end(o);
			return p == o->pe ? 0 : -1; /* (bytes past its n entries) */
		}
		if (!open_next(o, &p, &ts, &id))
			return -1;
		left--;
		if ((int64_t)ts < lim)
			continue;
		if ((int64_t)ts > c->hi) {
			open_end(o);
			return 0;
		}
		if (!t || (int64_t)ts > t->ts || ((int64_t)ts == t->ts && (int64_t)id >= t->id))
			break;
	}
	if (!left && p != o->pe)
		return -1;
	o->p = p;
	o->left = left;
	o->last = (struct pivot_entry){ (int64_t)ts, (int64_t)id };
	return 0;
}

/* o onto l's heap, unless it holds nothing. */
static int open_push(struct pv_cursor *c, struct pv_list *l, struct pv_open *o)
{
	if (o->b >= o->end) {
		list_drop(l, o);
		return SQLITE_OK;
	}
	if (l->nheap == l->heapcap) {
		l->heapcap = l->heapcap ? 2 * l->heapcap : 8;
		l->heap = xrealloc(l->heap, l->heapcap * sizeof *l->heap);
	}
	l->heap[l->nheap] = *o;
	sift_up(c->desc, l, l->nheap++);
	return SQLITE_OK;
}

/* Chunk k of l opened on its entries decoded whole (dec, a reference the
 * open chunk takes), within the bounds and not before *from. */
static int open_entries(struct pv_cursor *c, struct pv_list *l, const struct pv_chunk *k,
			const struct pivot_entry *from, struct pv_dec *dec)
{
	size_t n = dec->n;
	struct pv_open o = { .e = dec->e, .dec = dec };
	o.b = c->lo > k->lo ? lower_ts(o.e, n, c->lo) : 0;
	o.end = c->hi < k->hi ? upper_ts(o.e, n, c->hi) : n;
	if (from && o.b < o.end) {
		if (c->desc)
			o.end = gallop_down(o.e, o.b, o.end, *from);
		else
			o.b = gallop_up(o.e, o.b, o.end, *from);
	}
	if (o.b < o.end)
		o.last = o.e[o.b];
	return open_push(c, l, &o);
}

/* Read chunk k of l, its entries within the bounds (and not before
 * *from in the cursor's order, when given) onto l's heap: decoded whole
 * (descending), or its first entries (ascending). */
static int open_chunk(struct pv_cursor *c, struct pv_list *l, const struct pv_chunk *k,
		      const struct pivot_entry *from)
{
	if (k->n <= 0)
		return vt_error(c, SQLITE_CORRUPT, "a damaged chunk");
	if (k->one) {
		struct pv_dec *one = xmalloc(sizeof *one + sizeof one->e[0]);
		*one = (struct pv_dec){ 1, l->col, k->val, k->seq, 1 };
		one->e[0] = (struct pivot_entry){ k->lo, k->id };
		return open_entries(c, l, k, from, one);
	}
	size_t n = (size_t)k->n;
	struct pv_open o = { 0 };
	struct pv_cache *pc = c->cache;
	/* (the cache is the case's: checked by list_load in this statement,
	 * and nothing written since by the connection, its own rows) */
	bool keep = l->cache_ok && pc && pc->known && sqlite3_total_changes64(c->vt->db) == pc->changes;
	struct pv_dec *dec = keep ? dec_find(pc, l->col, k->val, k->seq) : NULL;
	if (dec) {
		dec->refs++;
		return open_entries(c, l, k, from, dec);
	}
	int r = walk_to(c, l, k);
	if (r != SQLITE_OK)
		return r;
	sqlite3_stmt *q = l->walk;
	const unsigned char *blob = sqlite3_column_blob(q, 3);
	size_t len = (size_t)sqlite3_column_bytes(q, 3);
	if (keep && (c->desc || c->nl > 1)) {
		/* (not zeroed: pivot_decode fills all n, or fails; calloc's
		 * memset cost a page's intersection a third of its decoding) */
		dec = xmalloc(sizeof *dec + n * sizeof dec->e[0]);
		*dec = (struct pv_dec){ 2, l->col, k->val, k->seq, n };
		if (pivot_decode(blob, len, n, k->lo, dec->e) < 0) {
			free(dec);
			return vt_error(c, SQLITE_CORRUPT, "a damaged chunk");
		}
		dec_put(pc, dec); /* (the cache's reference) */
		return open_entries(c, l, k, from, dec);
	}
	if (c->desc && l->spare && l->sparecap >= n) {
		o.e = l->spare;
		o.cap = l->sparecap;
		l->spare = NULL;
		l->sparecap = 0;
	} else if (c->desc) {
		/* zeroed: the analyser cannot see that pivot_decode fills all n */
		o.e = xcalloc(n, sizeof *o.e);
		o.cap = n;
	}
	int d;
	if (c->desc) {
		d = pivot_decode(blob, len, n, k->lo, o.e);
		o.b = c->lo > k->lo ? lower_ts(o.e, n, c->lo) : 0;
		o.end = c->hi < k->hi ? upper_ts(o.e, n, c->hi) : n;
		if (d == 0 && from && o.b < o.end)
			o.end = gallop_down(o.e, o.b, o.end, *from);
	} else {
		uint64_t id = 0;
		o.p = blob;
		o.pe = blob + len;
		d = get_varint(&o.p, o.pe, &id) ? 0 : -1;
		o.last = (struct pivot_entry){ k->lo, (int64_t)id };
		o.end = 1;
		o.left = n - 1;
		if (d == 0 && !o.left && o.p != o.pe)
			d = -1;
		struct pivot_entry t = { c->lo, INT64_MIN };
		if (from && entry_lt(t, *from))
			t = *from;
		if (d == 0)
			d = open_seek_up(c, &o, &t);
		if (d == 0 && o.left) {
			/* the rest from a copy (the row is gone at the walk's next
			 * step), once the seek has passed what it passes */
			size_t rest = (size_t)(o.pe - o.p);
			o.buf = xmalloc(rest ? rest : 1);
			memcpy(o.buf, o.p, rest);
			o.p = o.buf;
			o.pe = o.buf + rest;
		}
	}
	if (d < 0) {
		list_drop(l, &o);
		return vt_error(c, SQLITE_CORRUPT, "a damaged chunk");
	}
	return open_push(c, l, &o);
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

/*
 * l's chunks in the order cmp says. Read in key order, a value's chunks
 * are in the order of their windows, which is time order in an export
 * in time order, the reverse in one newest first: each only checked, or
 * reversed (a qsort of a busy value's 250 chunk rows, each page: ~0.18 M
 * instructions of a page of user= app= ip= on 1M events, 3.8 M).
 */
static void chunks_order(struct pv_list *l, int (*cmp)(const void *, const void *))
{
	size_t n = l->nch, up = 0, down = 0;
	for (size_t i = 1; i < n; i++) {
		int r = cmp(&l->ch[i - 1], &l->ch[i]);
		up += r > 0;
		down += r < 0;
	}
	if (!up)
		return;
	if (!down) {
		for (size_t a = 0, b = n - 1; a < b; a++, b--) {
			struct pv_chunk t = l->ch[a];
			l->ch[a] = l->ch[b];
			l->ch[b] = t;
		}
		return;
	}
	qsort(l->ch, n, sizeof *l->ch, cmp);
}

/* Is the cache of the case as it is? Asked with a statement of db
 * stepped (in its transaction); emptied when not. */
static void cache_check(struct pv_cache *pc, sqlite3 *db)
{
	unsigned version = 0;
	int64_t changes = sqlite3_total_changes64(db);
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, &version) != SQLITE_OK) {
		pc->known = false; /* (no version: never kept) */
		pc->nv = pc->nrows = 0;
		dec_clear(pc);
		return;
	}
	if (!pc->known || version != pc->version || changes != pc->changes) {
		pc->nv = pc->nrows = 0;
		dec_clear(pc);
		pc->known = true;
		pc->version = version;
		pc->changes = changes;
	}
}

static const struct pv_cached *cache_find(const struct pv_cache *pc, int col, int64_t val)
{
	for (size_t i = 0; pc->known && i < pc->nv; i++)
		if (pc->v[i].col == col && pc->v[i].val == val)
			return &pc->v[i];
	return NULL;
}

/* Chunk k of l, if within the bounds. */
static void list_add(struct pv_cursor *c, struct pv_list *l, const struct pv_chunk *k)
{
	if (k->hi < c->lo || k->lo > c->hi)
		return;
	if (l->nch == l->chcap) {
		l->chcap = l->chcap ? 2 * l->chcap : 16;
		l->ch = xrealloc(l->ch, l->chcap * sizeof *l->ch);
	}
	l->ch[l->nch++] = *k;
}

/* A value's entries in pivot_ones, gathered by list_load (ones_each) */
struct ones_ctx {
	struct pv_chunk *k;
	size_t n, cap;
	int64_t val;
};

static void ones_gather(void *ctx, struct pivot_entry e)
{
	struct ones_ctx *o = ctx;
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 8;
		o->k = xrealloc(o->k, o->cap * sizeof *o->k);
	}
	o->k[o->n++] =
		(struct pv_chunk){ .val = o->val, .lo = e.ts, .hi = e.ts, .n = 1, .id = e.id, .one = true };
}

/* The chunk headers of l's values within the bounds, in the order the
 * merge reaches them: from the cache, or read (and kept). */
static int list_load(struct pv_cursor *c, struct pv_list *l)
{
	const int64_t *vals = l->vals;
	size_t n = l->nvals;
	l->loaded = true;
	l->cache_ok = false;
	sqlite3_stmt *q = c->sel_chunks;
	struct pv_cache *pc = c->cache;
	bool checked = false;
	bool packed = l->col >= 0 && l->col < PIVOT_NCOL && (PIVOT_ONES_COLS >> l->col & 1);
	if (packed && !c->sel_ones && stmt_take(c->vt, PV_SQL_ONES, &c->sel_ones) != SQLITE_OK)
		return vt_error(c, SQLITE_ERROR, sqlite3_errmsg(c->vt->db));
	struct ones_ctx ones = { 0 };
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int(q, 1, l->col);
		sqlite3_bind_int64(q, 2, vals[i]);
		int r = sqlite3_step(q);
		if (pc && !checked && r == SQLITE_ROW && sqlite3_get_autocommit(sqlite3_db_handle(q))) {
			cache_check(pc, sqlite3_db_handle(q));
			checked = true;
			l->cache_ok = pc->known;
		}
		/* (only once asked: a statement that gave no row may have
		 * ended its transaction) */
		const struct pv_cached *hit = checked ? cache_find(pc, l->col, vals[i]) : NULL;
		if (hit) {
			sqlite3_reset(q);
			for (size_t j = 0; j < hit->n; j++)
				list_add(c, l, &pc->rows[hit->at + j]);
			continue;
		}
		/* kept when its rows fit (the cache emptied first when full) */
		bool keep = checked && pc->known;
		if (keep && (pc->nv == PV_CACHE_VALUES || pc->nrows > PV_CACHE_ROWS / 2))
			pc->nv = pc->nrows = 0;
		if (keep && !pc->rows)
			pc->rows = xmalloc(PV_CACHE_ROWS * sizeof *pc->rows);
		size_t at = keep ? pc->nrows : 0;
		for (; r == SQLITE_ROW; r = sqlite3_step(q)) {
			if (sqlite3_column_int(q, 0) != l->col || sqlite3_column_int64(q, 1) != vals[i]) {
				r = SQLITE_DONE;
				break;
			}
			struct pv_chunk k = { .val = vals[i],
					      .seq = sqlite3_column_int64(q, 2),
					      .lo = sqlite3_column_int64(q, 3),
					      .hi = sqlite3_column_int64(q, 4),
					      .n = sqlite3_column_int64(q, 5) };
			list_add(c, l, &k);
			if (keep && pc->nrows == PV_CACHE_ROWS) {
				keep = false;
				pc->nrows = at;
			}
			if (keep)
				pc->rows[pc->nrows++] = k;
		}
		sqlite3_reset(q);
		if (r == SQLITE_DONE && packed) {
			ones.n = 0;
			ones.val = vals[i];
			r = ones_each(c->sel_ones, l->col, vals[i], ones_gather, &ones);
			r = r == SQLITE_OK ? SQLITE_DONE : r;
			for (size_t j = 0; j < ones.n && r == SQLITE_DONE; j++) {
				list_add(c, l, &ones.k[j]);
				if (keep && pc->nrows == PV_CACHE_ROWS) {
					keep = false;
					pc->nrows = at;
				}
				if (keep)
					pc->rows[pc->nrows++] = ones.k[j];
			}
		}
		if (r != SQLITE_DONE) {
			if (keep)
				pc->nrows = at;
			free(ones.k);
			return r == SQLITE_CORRUPT ? vt_error(c, r, "a damaged row of pivot_ones")
						   : vt_error(c, r, sqlite3_errmsg(sqlite3_db_handle(q)));
		}
		if (keep)
			pc->v[pc->nv++] = (struct pv_cached){ l->col, vals[i], at, pc->nrows - at };
	}
	free(ones.k);
	chunks_order(l, c->desc ? chunk_hi_cmp : chunk_lo_cmp);
	/* the walk's way: the one the merge mostly goes in the keys */
	size_t up = 0, down = 0;
	for (size_t i = 1; i < l->nch; i++)
		if (l->ch[i].val == l->ch[i - 1].val && !l->ch[i].one && !l->ch[i - 1].one) {
			up += l->ch[i].seq > l->ch[i - 1].seq;
			down += l->ch[i].seq < l->ch[i - 1].seq;
		}
	bool desc = down > up;
	if (l->walk && desc != l->walk_desc) {
		stmt_give(c->vt, l->walk_desc ? PV_SQL_WALK_DOWN : PV_SQL_WALK_UP, l->walk);
		l->walk = NULL;
	}
	l->walk_desc = desc;
	return SQLITE_OK;
}

/* Open every chunk of l that may hold an entry before the heap's first. */
static int list_fill(struct pv_cursor *c, struct pv_list *l)
{
	bool desc = c->desc;
	while (l->next < l->nch) {
		const struct pv_chunk *k = &l->ch[l->next];
		if (l->nheap) {
			struct pivot_entry t = open_top(desc, &l->heap[0]);
			if (desc ? k->hi < t.ts : k->lo > t.ts)
				break;
		}
		l->next++;
		int rc = open_chunk(c, l, k, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* The heap's first entry of l (l->cur) taken off it. */
static int list_pop(struct pv_cursor *c, struct pv_list *l)
{
	struct pv_open *o = &l->heap[0];
	if (c->desc)
		o->end--;
	else if (open_seek_up(c, o, NULL) < 0)
		return vt_error(c, SQLITE_CORRUPT, "a damaged chunk");
	if (o->b >= o->end) {
		list_drop(l, o);
		l->heap[0] = l->heap[--l->nheap];
	}
	if (l->nheap > 1)
		sift_down(c->desc, l, 0);
	return SQLITE_OK;
}

/* The heap's first entry of l into l->cur (eof: none), left on the heap
 * (held) when keep: a list sought by the leapfrog mostly is again before
 * it is stepped, and the seek passes it. */
static int list_take(struct pv_cursor *c, struct pv_list *l, bool keep)
{
	int rc = list_fill(c, l);
	if (rc != SQLITE_OK)
		return rc;
	if (!l->nheap) {
		l->eof = true;
		return SQLITE_OK;
	}
	l->cur = open_top(c->desc, &l->heap[0]);
	l->eof = false;
	l->held = keep;
	return keep ? SQLITE_OK : list_pop(c, l);
}

/* The next entry of l into l->cur, or eof. */
static int list_step(struct pv_cursor *c, struct pv_list *l)
{
	l->quick = false;
	if (!l->loaded) {
		int rc = list_load(c, l);
		if (rc != SQLITE_OK)
			return rc;
	}
	l->started = true;
	if (l->held) {
		l->held = false;
		int rc = list_pop(c, l);
		if (rc != SQLITE_OK)
			return rc;
	}
	return list_take(c, l, false);
}

/* Move l to its first entry not before t (in the cursor's order): the
 * open chunks seek it, the chunks that end before it are passed unread,
 * one that holds it is opened at it. */
static int list_seek(struct pv_cursor *c, struct pv_list *l, struct pivot_entry t)
{
	bool desc = c->desc;
	l->quick = false;
	if (l->started && (l->eof || !(desc ? entry_lt(t, l->cur) : entry_lt(l->cur, t))))
		return SQLITE_OK;
	if (!l->loaded) {
		int rc = list_load(c, l);
		if (rc != SQLITE_OK)
			return rc;
	}
	l->started = true;
	l->held = false;
	/* one open chunk, decoded whole, and none to open before t (a single
	 * value's list, as the leapfrog mostly seeks it): a gallop */
	if (l->nheap == 1 && l->heap[0].dec &&
	    (l->next == l->nch || (desc ? l->ch[l->next].hi < t.ts : l->ch[l->next].lo > t.ts))) {
		struct pv_open *o = &l->heap[0];
		if (desc) {
			o->end = gallop_down(o->e, o->b, o->end, t);
		} else {
			o->b = gallop_up(o->e, o->b, o->end, t);
			if (o->b < o->end)
				o->last = o->e[o->b];
		}
		if (o->b < o->end) {
			/* (no chunk to open before its entry: list_take's work) */
			struct pivot_entry top = open_top(desc, o);
			if (l->next == l->nch ||
			    (desc ? l->ch[l->next].hi < top.ts : l->ch[l->next].lo > top.ts)) {
				l->cur = top;
				l->eof = false;
				l->held = true;
				l->quick = true;
				l->quick_lim = l->next < l->nch
						       ? (desc ? l->ch[l->next].hi : l->ch[l->next].lo)
					       : desc ? INT64_MIN
						      : INT64_MAX;
				return SQLITE_OK;
			}
			return list_take(c, l, true);
		}
	}
	/* the chunks a seek empties are dropped and the rest kept in place,
	 * each visited once (the heap is rebuilt below; moving the last
	 * into a dropped one's place and visiting it again had clang's
	 * analyzer see a chunk freed twice) */
	size_t kept = 0;
	for (size_t i = 0; i < l->nheap; i++) {
		struct pv_open *o = &l->heap[i];
		if (desc)
			o->end = gallop_down(o->e, o->b, o->end, t);
		else if (open_seek_up(c, o, &t) < 0) {
			/* (the chunks not yet visited stay, for list_free) */
			memmove(&l->heap[kept], o, (l->nheap - i) * sizeof *o);
			l->nheap = kept + (l->nheap - i);
			return vt_error(c, SQLITE_CORRUPT, "a damaged chunk");
		}
		if (o->b >= o->end)
			list_drop(l, o);
		else if (kept++ != i)
			l->heap[kept - 1] = *o;
	}
	l->nheap = kept;
	for (size_t i = l->nheap / 2; i-- > 0;)
		sift_down(desc, l, i);
	while (l->next < l->nch) {
		const struct pv_chunk *k = &l->ch[l->next];
		if (desc ? k->hi < t.ts : k->lo > t.ts)
			break;
		l->next++;
		if (desc ? k->lo > t.ts : k->hi < t.ts)
			continue; /* wholly before t: not read */
		int rc = open_chunk(c, l, k, &t);
		if (rc != SQLITE_OK)
			return rc;
	}
	return list_take(c, l, true);
}

/*
 * l sought to t in the state list_seek's first case leaves it in (struct
 * pv_list: quick), without its checks: true when done, false when the
 * entry found is past the chunk or its limit (list_seek's work, from
 * where l stood). A leapfrog of two lists that mostly disagree seeks
 * each about once an entry (1M events, user= app= ip= of an app of a
 * few hundred events a window beside a user of as many: 8.9k seeks a
 * page of 50, ~120 instructions each with list_seek's tests).
 */
static inline bool seek_quick(const struct pv_cursor *c, struct pv_list *l, struct pivot_entry t)
{
	if (!l->quick)
		return false;
	struct pv_open *o = &l->heap[0];
	if (c->desc) {
		if (!entry_lt(t, l->cur))
			return true;
		size_t end = gallop_down(o->e, o->b, o->end - 1, t);
		if (end <= o->b || o->e[end - 1].ts <= l->quick_lim)
			return false;
		o->end = end;
		l->cur = o->e[end - 1];
		return true;
	}
	if (!entry_lt(l->cur, t))
		return true;
	size_t b = gallop_up(o->e, o->b + 1, o->end, t);
	if (b >= o->end || o->e[b].ts >= l->quick_lim)
		return false;
	o->b = b;
	o->last = l->cur = o->e[b];
	return true;
}

/*
 * The lists' first common entry from where they stand (the first list
 * at its entry) into c->cur, or eof. A list that misses the entry sends
 * the first one, the sparsest, past its own, and the others are sought
 * again from there: went round in turn, each list was sought to the
 * entry of the one before, and a dense list's next entry is seldom far
 * from the one sought, so that the next dense list was sought to it in
 * vain (1M events, user= app= ip= op= of a user of 14.5k events with an
 * app of 30% and an operation of 13% of the case: the open chunks were
 * galloped in 25.4k times for a page of 50, now 18.6k; the page 4.40 ->
 * 3.91 M instructions). The entry found is the same: no list passes a
 * common entry either way.
 */
static int and_find(struct pv_cursor *c)
{
	struct pivot_entry t = c->l[0].cur;
	/* i: the lists before it hold t; j: the list sought next (0, the
	 * first, after a miss; one call of list_seek, which is inlined) */
	size_t i = 1, j = 1;
	while (i < c->nl) {
		struct pv_list *l = &c->l[j];
		int rc = seek_quick(c, l, t) ? SQLITE_OK : list_seek(c, l, t);
		if (rc != SQLITE_OK)
			return rc;
		if (l->eof) {
			c->eof = true;
			return SQLITE_OK;
		}
		if (j && l->cur.ts == t.ts && l->cur.id == t.id) {
			j = ++i;
			continue;
		}
		t = l->cur;
		if (j)
			j = 0;
		else
			i = j = 1;
	}
	c->cur = t;
	c->rowid++;
	c->eof = false;
	return SQLITE_OK;
}

/*
 * Does the first list still give its rows alone (pivot_and)? For lead
 * rows at most; with the caller's hits (it wants some), only while
 * joining the rows it still wants, at the rate it took them (one more
 * than taken: a lead whose every row was taken goes on), costs no more
 * than intersecting the lists and joining what they give (pivots.h:
 * struct pivot_hits), or while it takes them more than PV_AGREE times as
 * often as the filter compiler guessed: the terms agree where it took
 * them as independent, and the list it meant to intersect may spare
 * nothing (1M events, an address of one user beside its op: taken 8%,
 * guessed 0.7%; ended at 88 rows, the page cost 3.77 -> 4.04 M
 * instructions). That takes a row taken: with none, the rate seen is
 * the one more only, and a guess of 0.02% (user= app= ip= of a rare
 * address, 57 matches in 1M events) had the lead run its 1,024 rows,
 * each joined (9.9 M instructions a page). Neither way joins more rows
 * than the lists have left (hits' rows and cand). Once over, the lists
 * meet for the rest of the cursor's rows.
 */
#define PV_AGREE 3.0
#define PV_HEAD_KEPT 40.0 /* a chunk row from the connection's cache */
static bool lead_on(struct pv_cursor *c)
{
	if (c->meet || c->rowid >= c->lead) {
		c->meet = true;
		return false;
	}
	const struct pivot_hits *h = c->hits;
	if (!h || h->want <= 0)
		return true;
	int64_t got = h->got - c->got0, left = h->want - got;
	if (c->rowid < PIVOT_SAMPLE || left <= 0)
		return true;
	double p = (double)(got + 1) / (double)(c->rowid + 1);
	if (got > 0 && p > PV_AGREE * h->rate)
		return true;
	double q = h->keep > 0 && h->keep < 1 ? h->keep : 1;
	double alone = (double)left * (1 - p) / p, meet = (double)left * (1 - q) / q;
	if (h->rows > 0) {
		double rest = h->rows > (double)c->rowid ? h->rows - (double)c->rowid : 0;
		double cand = h->cand * rest / h->rows;
		if (alone > rest * (1 - p))
			alone = rest * (1 - p);
		if (meet > cand * (1 - q))
			meet = cand * (1 - q);
	}
	if (c->inter_cost < 0) {
		/* (the lists' rows kept on the connection, as a filter again or
		 * narrowed has them: the same filter's pages, 1M events, user=
		 * app= ip= whose app meets a third of the user's events: the
		 * lead ran its 141 rows at the rows' cost, 3.16 M instructions a
		 * page; 2.97 M with the rows from the cache) */
		bool kept = c->cache && c->l[0].cache_ok;
		for (size_t j = 1; kept && j < c->nl; j++)
			for (size_t i = 0; kept && i < c->l[j].nvals; i++)
				kept = cache_find(c->cache, c->l[j].col, c->l[j].vals[i]) != NULL;
		c->inter_cost = h->inter;
		if (kept && h->prows > 0 && h->head > PV_HEAD_KEPT)
			c->inter_cost -= h->prows * (h->head - PV_HEAD_KEPT);
		if (c->inter_cost < 0)
			c->inter_cost = 0;
	}
	if (alone * h->join > c->inter_cost + meet * h->join)
		c->meet = true;
	return !c->meet;
}

/*
 * Bring in the first list held back (struct pivot_hits) when the rows
 * refused since the last came in cost more than reading it over the
 * stretch they span would have: then the lists meet, it among them.
 * (1M events, high-cardinality case, user= app= ip= of an address all
 * one user's and an app of 7% of its events: the plan intersected the
 * user's list, which spared nothing, and held the app's back; 766 of
 * the 817 rows given were refused, 5.1 M instructions a page against
 * 2.9 M for user= alone.)
 */
static void held_in(struct pv_cursor *c)
{
	const struct pivot_hits *h = c->hits;
	struct pivot_entry at = c->l[0].cur;
	if (!c->id0_set) {
		c->id0 = at.id;
		c->id0_set = true;
	}
	int64_t refused = c->rowid - (h->got - c->got0) - c->refused0;
	if (refused < PIVOT_SAMPLE)
		return;
	int k = h->held - (int)c->nheld;
	if (k < 0 || k >= PIVOT_HELD)
		return;
	/* (its chunk rows are read whatever the stretch: from the
	 * connection's cache they cost little, but the chunks a dense list's
	 * seeks open are decoded whole, and in an intersection of several
	 * dense lists kept decoded chunks do not last: 1M events, user= app=
	 * ip= op= of a dense address and operation brought in at their
	 * cached rows' cost, 4.4 -> 12.8 M instructions a page) */
	double span = (double)(at.id > c->id0 ? at.id - c->id0 : c->id0 - at.id) + 1;
	double cost = h->hrows[k] * h->head + span * h->hshare[k] * h->decode;
	if ((double)refused * h->join <= cost)
		return;
	c->nl++;
	c->nheld--;
	c->meet = true;
	c->refused0 += refused;
	c->id0 = at.id;
}

/* The next row: the first list's next entry, then (pivot_and) the next
 * entry every list holds. */
static int pv_step(struct pv_cursor *c)
{
	int rc = list_step(c, &c->l[0]);
	if (rc != SQLITE_OK)
		return rc;
	if (c->l[0].eof) {
		c->eof = true;
		return SQLITE_OK;
	}
	if (c->nheld && c->hits && c->hits->want > 0)
		held_in(c);
	if (c->nl > 1 && !lead_on(c))
		return and_find(c);
	c->cur = c->l[0].cur;
	c->rowid++;
	c->eof = false;
	return SQLITE_OK;
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

/* A new list of the cursor for column col (its chunks not yet read). */
static struct pv_list *add_list(struct pv_cursor *c, int col)
{
	if (c->nl == c->lcap) {
		size_t cap = c->lcap ? 2 * c->lcap : 4;
		c->l = xrealloc(c->l, cap * sizeof *c->l);
		memset(c->l + c->lcap, 0, (cap - c->lcap) * sizeof *c->l);
		c->lcap = cap;
	}
	struct pv_list *l = &c->l[c->nl++];
	l->col = col;
	l->nheap = l->nch = l->next = 0;
	l->started = false;
	l->held = false;
	l->eof = true;
	l->vals = NULL;
	l->nvals = 0;
	l->loaded = false;
	l->quick = false;
	return l;
}

/*
 * pivot_and's terms: a BLOB of little-endian int64, for each term its
 * column code, its number of values and the values (any order, repeats
 * allowed): the lists of the cursor, in the order given (the sparsest
 * first leads the leapfrog). -1: not such a blob.
 */
static int read_terms(struct pv_cursor *c, sqlite3_value *v)
{
	if (sqlite3_value_type(v) != SQLITE_BLOB)
		return -1;
	const unsigned char *p = sqlite3_value_blob(v);
	size_t len = (size_t)sqlite3_value_bytes(v);
	if (len % 8 || len < 16)
		return -1;
	size_t k = len / 8, at = 0;
	while (at < k) {
		if (k - at < 2)
			return -1;
		int64_t col = le64(p + 8 * at), n = le64(p + 8 * (at + 1));
		at += 2;
		if (col < 0 || col >= PIVOT_NCOL || n < 0 || (uint64_t)n > k - at)
			return -1;
		int64_t *vals = xmalloc(((size_t)n ? (size_t)n : 1) * sizeof *vals);
		for (size_t i = 0; i < (size_t)n; i++)
			vals[i] = le64(p + 8 * (at + i));
		at += (size_t)n;
		struct pv_list *l = add_list(c, (int)col);
		l->vals = vals;
		l->nvals = ids_norm(vals, (size_t)n);
	}
	return SQLITE_OK;
}

static int pv_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv)
{
	struct pv_cursor *c = (struct pv_cursor *)cur;
	pv_reset(c);
	c->rowid = 0;
	c->desc = idxNum & 1;
	c->lo = INT64_MIN;
	c->hi = INT64_MAX;
	int nargs = c->inter ? 1 + (idxNum & 2 ? 1 : 0) + (idxNum & 4 ? 1 : 0) : 2;
	size_t nops = idxStr ? strlen(idxStr) : 0;
	bool any = argc >= nargs;
	for (int i = nargs; i < argc && any && (size_t)(i - nargs) < nops; i++)
		any = bound(idxStr[i - nargs], argv[i], &c->lo, &c->hi);
	int rc = SQLITE_OK;
	if (c->inter) {
		c->lead = idxNum & 2 && argc > 1 ? sqlite3_value_int64(argv[1]) : 0;
		int at = idxNum & 2 ? 2 : 1;
		c->hits = idxNum & 4 && argc > at ? sqlite3_value_pointer(argv[at], PIVOT_HITS_TYPE) : NULL;
		c->got0 = c->hits ? c->hits->got : 0;
		c->meet = false;
		c->refused0 = 0;
		c->id0_set = false;
		c->inter_cost = -1;
		if (argc < 1 || read_terms(c, argv[0]) < 0)
			return vt_error(c, SQLITE_ERROR,
					"pivot_and(terms, lead, hits): a blob of int64: each term's column, number of values"
					" and values");
		/* the last terms held back, the first always read */
		if (c->hits && c->hits->held > 0 && c->hits->held <= PIVOT_HELD &&
		    (size_t)c->hits->held < c->nl) {
			c->nheld = (size_t)c->hits->held;
			c->nl -= c->nheld;
		}
	} else {
		int64_t *vals;
		size_t nvals;
		if (argc < 2 || sqlite3_value_type(argv[0]) != SQLITE_INTEGER ||
		    read_vals(argv[1], &vals, &nvals) < 0)
			return vt_error(c, SQLITE_ERROR,
					"pivot_rows(col, vals): a column code and a value id or a blob of them");
		struct pv_list *l = add_list(c, sqlite3_value_int(argv[0]));
		l->vals = vals;
		l->nvals = nvals;
	}
	if (rc != SQLITE_OK || !any || !c->nl)
		return rc;
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
	else if (i == PV_COL_COL && !c->inter && c->nl)
		sqlite3_result_int(ctx, c->l[0].col);
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

/* A holder of the cache gone: the cache with the last. */
static void cache_unref(void *p)
{
	struct pv_cache *pc = p;
	if (--pc->refs == 0) {
		dec_clear(pc);
		free(pc->dec);
		free(pc->rows);
		free(pc);
	}
}

/* A module's aux gone. */
static void aux_free(void *p)
{
	struct pv_aux *a = p;
	cache_unref(a->cache);
	free(a);
}

/*
 * pivot_cached(col, val): the entries and chunk rows of a value whose
 * chunk rows the connection's cache holds (a blob of two native int64),
 * else NULL. The filter compiler's counts (filter_sql.c, tally_on) read a
 * value's chunk rows one by one, ~2.2k instructions each: a filter of
 * values a page read lately (the same filter again, one narrowed by a
 * term) has them here. Outside a transaction of the connection's own
 * only, as the cache is used (list_load), and from a statement that
 * reads the case: the case's version is its read transaction's (asked
 * from a statement that reads nothing, it was the last one's, and a
 * commit of another connection since went unseen).
 */
static void sql_pivot_cached(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct pv_cache *pc = sqlite3_user_data(ctx);
	sqlite3 *db = sqlite3_context_db_handle(ctx);
	if (!sqlite3_get_autocommit(db) || sqlite3_txn_state(db, "main") == SQLITE_TXN_NONE)
		return;
	cache_check(pc, db);
	const struct pv_cached *hit = cache_find(pc, sqlite3_value_int(argv[0]), sqlite3_value_int64(argv[1]));
	if (!hit)
		return;
	int64_t out[2] = { 0, 0 };
	for (size_t j = 0; j < hit->n; j++) {
		out[0] += pc->rows[hit->at + j].n;
		out[1] += !pc->rows[hit->at + j].one; /* (entries of pivot_ones: no row read) */
	}
	sqlite3_result_blob(ctx, out, sizeof out, SQLITE_TRANSIENT);
}

/* pivot_ones_has(data, val): 1 when the pivot_ones row's data (of val's
 * group: the caller's WHERE says so) holds val's entry, else 0. */
static void sql_pivot_ones_has(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct pivot_entry e;
	const unsigned char *p = sqlite3_value_blob(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]);
	/* (n is not at hand: the row's entries up to val's, or all of them) */
	int f = p ? ones_find(p, len, INT64_MAX, sqlite3_value_int64(argv[1]), &e) : 0;
	sqlite3_result_int(ctx, f > 0);
}

/*
 * pivot_ones_each(col): the entries of column col's packed lists, one row
 * each (val, ts, id), in the order of their rows of pivot_ones (by group,
 * then window; by value within a row). The stack of a packed column
 * counts its values' entries here beside their chunks' (scan.c).
 */
enum { PO_COL_VAL, PO_COL_TS, PO_COL_ID, PO_COL_COL };

struct po_vtab {
	sqlite3_vtab base;
	sqlite3 *db;
};

struct po_cursor {
	sqlite3_vtab_cursor base;
	sqlite3_stmt *q;
	const unsigned char *p, *end; /* what is left of the row's data */
	int64_t left;                 /* its entries still to decode */
	uint64_t val, ts, id;
	int64_t rowid;
	bool eof;
};

static int po_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err)
{
	(void)aux;
	(void)argc;
	(void)argv;
	(void)err;
	int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(val INTEGER, ts INTEGER, id INTEGER, col HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	struct po_vtab *v = sqlite3_malloc(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->db = db;
	sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
	*out = &v->base;
	return SQLITE_OK;
}

static int po_disconnect(sqlite3_vtab *tab)
{
	sqlite3_free(tab);
	return SQLITE_OK;
}

static int po_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	(void)tab;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->iColumn != PO_COL_COL || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (!c->usable)
			return SQLITE_CONSTRAINT;
		info->aConstraintUsage[i].argvIndex = 1;
		info->aConstraintUsage[i].omit = 1;
		info->estimatedCost = 1000.0;
		return SQLITE_OK;
	}
	return SQLITE_CONSTRAINT; /* (the column is required) */
}

static int po_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out)
{
	(void)tab;
	struct po_cursor *c = sqlite3_malloc(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->eof = true;
	*out = &c->base;
	return SQLITE_OK;
}

static int po_close(sqlite3_vtab_cursor *cur)
{
	struct po_cursor *c = (struct po_cursor *)cur;
	sqlite3_finalize(c->q);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int po_error(struct po_cursor *c, int rc, const char *msg)
{
	sqlite3_free(c->base.pVtab->zErrMsg);
	c->base.pVtab->zErrMsg = sqlite3_mprintf("pivot_ones_each: %s", msg);
	c->eof = true;
	return rc;
}

/* The next entry (from the next row when the row is done), or eof. */
static int po_next(sqlite3_vtab_cursor *cur)
{
	struct po_cursor *c = (struct po_cursor *)cur;
	while (!c->left) {
		if (c->p != c->end)
			return po_error(c, SQLITE_CORRUPT, "a damaged row of pivot_ones");
		int r = sqlite3_step(c->q);
		if (r == SQLITE_DONE) {
			c->eof = true;
			return SQLITE_OK;
		}
		if (r != SQLITE_ROW)
			return po_error(c, r, sqlite3_errmsg(sqlite3_db_handle(c->q)));
		c->val = (uint64_t)sqlite3_column_int64(c->q, 0) << PIVOT_ONES_SHIFT;
		c->ts = c->id = 0;
		c->left = sqlite3_column_int64(c->q, 1);
		c->p = sqlite3_column_blob(c->q, 2);
		c->end = c->p + sqlite3_column_bytes(c->q, 2);
		if (c->left <= 0)
			return po_error(c, SQLITE_CORRUPT, "a damaged row of pivot_ones");
	}
	uint64_t dv, dt, di;
	if (!get_varint(&c->p, c->end, &dv) || !get_varint(&c->p, c->end, &dt) ||
	    !get_varint(&c->p, c->end, &di))
		return po_error(c, SQLITE_CORRUPT, "a damaged row of pivot_ones");
	c->val += dv;
	c->ts += unzigzag(dt);
	c->id += unzigzag(di);
	c->left--;
	c->rowid++;
	c->eof = false;
	return SQLITE_OK;
}

static int po_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv)
{
	(void)idxNum;
	(void)idxStr;
	struct po_cursor *c = (struct po_cursor *)cur;
	sqlite3 *db = ((struct po_vtab *)c->base.pVtab)->db;
	c->eof = true;
	c->left = 0;
	c->p = c->end = NULL;
	c->rowid = 0;
	if (!c->q &&
	    sqlite3_prepare_v2(db, "SELECT grp, n, data FROM pivot_ones WHERE col = ?1 ORDER BY grp, seq", -1,
			       &c->q, NULL) != SQLITE_OK)
		return po_error(c, SQLITE_ERROR, sqlite3_errmsg(db));
	sqlite3_reset(c->q);
	if (argc < 1)
		return SQLITE_OK;
	sqlite3_bind_value(c->q, 1, argv[0]);
	return po_next(cur);
}

static int po_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct po_cursor *)cur)->eof;
}

static int po_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
	struct po_cursor *c = (struct po_cursor *)cur;
	if (i == PO_COL_VAL)
		sqlite3_result_int64(ctx, (int64_t)c->val);
	else if (i == PO_COL_TS)
		sqlite3_result_int64(ctx, (int64_t)c->ts);
	else if (i == PO_COL_ID)
		sqlite3_result_int64(ctx, (int64_t)c->id);
	return SQLITE_OK;
}

static int po_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
	*out = ((struct po_cursor *)cur)->rowid;
	return SQLITE_OK;
}

static const sqlite3_module po_module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only */
	.xConnect = po_connect,
	.xBestIndex = po_best_index,
	.xDisconnect = po_disconnect,
	.xDestroy = po_disconnect,
	.xOpen = po_open,
	.xClose = po_close,
	.xFilter = po_filter,
	.xNext = po_next,
	.xEof = po_eof,
	.xColumn = po_column,
	.xRowid = po_rowid,
};

int sqlite_pivots_register(sqlite3 *db)
{
	struct pv_cache *pc = xcalloc(1, sizeof *pc);
	pc->refs = 3;
	struct pv_aux *rows = xmalloc(sizeof *rows), *inter = xmalloc(sizeof *inter);
	*rows = (struct pv_aux){ false, pc };
	*inter = (struct pv_aux){ true, pc };
	/* (a module or function that fails is given its destructor: the
	 * other holders go by hand, pivot_cached's share first, the cache
	 * untouched after the last) */
	if (sqlite3_create_module_v2(db, "pivot_rows", &pv_module, rows, aux_free) != SQLITE_OK) {
		pc->refs--;
		aux_free(inter);
		return -1;
	}
	if (sqlite3_create_function_v2(db, "pivot_cached", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, pc,
				       sql_pivot_cached, NULL, NULL, cache_unref) != SQLITE_OK) {
		aux_free(inter);
		return -1;
	}
	if (sqlite3_create_module_v2(db, "pivot_and", &pv_module, inter, aux_free) != SQLITE_OK ||
	    sqlite3_create_function(db, "pivot_count", 2, SQLITE_UTF8, NULL, sql_pivot_count, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_create_function(db, "pivot_ones_has", 2,
				    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				    sql_pivot_ones_has, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_module(db, "pivot_ones_each", &po_module, NULL) != SQLITE_OK)
		return -1;
	return 0;
}
