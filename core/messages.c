/*
 * messages.c: the messages a filter's events exposed (messages.h).
 *
 * Each MailItemsAccessed event holds its list of [folder, message id,
 * size] (msglists, which the messages view expands). One pass reads the
 * matching events with their lists, parses the lists here and groups by
 * (mailbox, message id, folder, access, app, client app, IP) in a hash
 * table. SQLite's GROUP BY over the expanded view sorted every row first:
 * 21 s for the 1.4 million messages of the 1M-event benchmark case.
 */
#define _GNU_SOURCE /* qsort_r */
#include "messages.h"

#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "util.h"
#include "xalloc.h"
#include "storage.h"

void messages_clear(struct messages *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		struct messages_row *r = &m->rows[i];
		free(r->mailbox);
		free(r->msgid);
		free(r->folder);
		free(r->access);
		free(r->app);
		free(r->client_app);
		free(r->ip);
	}
	free(m->rows);
	memset(m, 0, sizeof *m);
}

/* A group: value ids of the event columns, and the folder and message id
 * as "folder\0msgid\0" in the arena (msgid empty for Sync). */
struct group {
	uint64_t hash;
	int64_t col[5]; /* mailbox, access, app, client_app, ip; -1 absent */
	size_t str;     /* offset in the arena */
	uint32_t flen, mlen;
	int64_t first, last, events, last_event, size;
};

struct agg {
	struct group *g;
	size_t n, gcap;
	uint32_t *slot; /* index + 1 into g; 0 empty */
	size_t scap;
	char *arena;
	size_t alen, acap;
	/* (mailbox, msgid) pairs and (mailbox, folder) Sync pairs, counted */
	uint64_t *pairs;
	size_t npairs, pcap;
};

static void slots_grow(struct agg *a)
{
	size_t cap = a->scap ? a->scap * 2 : 4096;
	uint32_t *s = xcalloc(cap, sizeof *s);
	for (size_t i = 0; i < a->n; i++) {
		size_t j = a->g[i].hash & (cap - 1);
		while (s[j])
			j = (j + 1) & (cap - 1);
		s[j] = (uint32_t)(i + 1);
	}
	free(a->slot);
	a->slot = s;
	a->scap = cap;
}

/* Count a distinct 64-bit key (a hash of mailbox and message id): a
 * collision could merge two messages in the total, one in 2^64. */
static bool pair_add(struct agg *a, uint64_t h)
{
	if ((a->npairs + 1) * 2 > a->pcap) {
		size_t cap = a->pcap ? a->pcap * 2 : 4096;
		uint64_t *p = xcalloc(cap, sizeof *p);
		for (size_t i = 0; i < a->pcap; i++) {
			if (!a->pairs[i])
				continue;
			size_t j = a->pairs[i] & (cap - 1);
			while (p[j])
				j = (j + 1) & (cap - 1);
			p[j] = a->pairs[i];
		}
		free(a->pairs);
		a->pairs = p;
		a->pcap = cap;
	}
	size_t j = h & (a->pcap - 1);
	while (a->pairs[j]) {
		if (a->pairs[j] == h)
			return false;
		j = (j + 1) & (a->pcap - 1);
	}
	a->pairs[j] = h;
	a->npairs++;
	return true;
}

static void add(struct agg *a, struct messages *m, const int64_t col[5], int64_t ev, int64_t ts,
		const char *folder, size_t flen, const char *msgid, size_t mlen, int64_t size)
{
	/* util_hash_bytes is never 0, the empty slot's mark */
	uint64_t h = util_hash_bytes(col, 5 * sizeof *col, 1469598103934665603ULL);
	h = util_hash_bytes(folder, flen, h);
	h = util_hash_bytes("\0", 1, h);
	h = util_hash_bytes(msgid, mlen, h);
	if ((a->n + 1) * 2 > a->scap)
		slots_grow(a);
	size_t j = h & (a->scap - 1);
	struct group *g = NULL;
	for (; a->slot[j]; j = (j + 1) & (a->scap - 1)) {
		struct group *x = &a->g[a->slot[j] - 1];
		if (x->hash == h && !memcmp(x->col, col, sizeof x->col) && x->flen == flen &&
		    x->mlen == mlen && !memcmp(a->arena + x->str, folder, flen) &&
		    !memcmp(a->arena + x->str + flen + 1, msgid, mlen)) {
			g = x;
			break;
		}
	}
	if (!g) {
		a->g = xgrow(a->g, &a->gcap, a->n + 1, sizeof *a->g);
		g = &a->g[a->n];
		a->slot[j] = (uint32_t)(++a->n);
		*g = (struct group){ .hash = h,
				     .flen = (uint32_t)flen,
				     .mlen = (uint32_t)mlen,
				     .first = ts,
				     .last = ts,
				     .last_event = -1,
				     .size = -1 };
		memcpy(g->col, col, sizeof g->col);
		a->arena = xgrow(a->arena, &a->acap, a->alen + flen + mlen + 2, 1);
		g->str = a->alen;
		memcpy(a->arena + a->alen, folder, flen);
		a->arena[a->alen + flen] = '\0';
		memcpy(a->arena + a->alen + flen + 1, msgid, mlen);
		a->arena[a->alen + flen + 1 + mlen] = '\0';
		a->alen += flen + mlen + 2;
		/* the totals: distinct (mailbox, message) or (mailbox, folder) */
		uint64_t p = util_hash_bytes(&col[0], sizeof col[0], 1469598103934665603ULL);
		p = mlen ? util_hash_bytes(msgid, mlen, util_hash_bytes("m", 1, p))
			 : util_hash_bytes(folder, flen, util_hash_bytes("f", 1, p));
		if (pair_add(a, p)) {
			if (mlen)
				m->messages++;
			else
				m->folders++;
		}
	}
	if (ts < g->first)
		g->first = ts;
	if (ts > g->last)
		g->last = ts;
	if (g->last_event != ev) { /* rows come event by event */
		g->events++;
		g->last_event = ev;
	}
	if (size > g->size)
		g->size = size;
}

struct scan {
	struct agg *a;
	struct messages *m;
	char *buf[2]; /* unescaped folder and message id */
	size_t cap[2];
};

/* The text of string value v, unescaped into buffer b when it must be. */
static const char *str_of(struct scan *s, int b, const struct jval *v, size_t *n)
{
	if (v->t != JT_STR) {
		*n = 0;
		return "";
	}
	if (!v->esc) {
		*n = json_str_len(v);
		return json_str_ptr(v);
	}
	s->buf[b] = xgrow(s->buf[b], &s->cap[b], json_str_len(v) + 1, 1);
	*n = json_unescape(v, s->buf[b]);
	return s->buf[b];
}

/* The columns of a scan, in this order (value ids: 0 is absent) */
static const char *const scan_cols[] = { "mailbox", "access", "app", "client_app", "ip", "ts", "id", "msglist" };

static int scan_row(void *ctx, const struct store_cell *c)
{
	struct scan *s = ctx;
	int64_t col[5];
	for (int i = 0; i < 5; i++)
		col[i] = c[i].i ? c[i].i : -1;
	int64_t ts = c[5].i, ev = c[6].i;
	const char *items = c[7].s;
	size_t n = c[7].n;
	struct jval arr, item, k, v;
	const char *err, *errat;
	if (!items || !json_scan_value(items, items + n, &arr, &err, &errat) || arr.t != JT_ARR)
		return 0;
	struct jiter it;
	json_iter_init(&it, &arr);
	while (json_iter_next(&it, &k, &item)) {
		if (item.t != JT_ARR)
			continue;
		struct jval f[3] = { 0 };
		struct jiter jt;
		json_iter_init(&jt, &item);
		for (int i = 0; i < 3 && json_iter_next(&jt, &k, &v); i++)
			f[i] = v;
		size_t flen, mlen;
		const char *folder = str_of(s, 0, &f[0], &flen);
		const char *msgid = str_of(s, 1, &f[1], &mlen);
		long long size = -1;
		if (f[2].t == JT_NUM)
			json_get_int(&f[2], &size);
		add(s->a, s->m, col, ev, ts, folder, flen, msgid, mlen, size);
	}
	return 0;
}

/* Names of one field's value ids, read once each (an open-addressing
 * map). */
struct names {
	int64_t *id;
	char **v;
	size_t n, cap; /* cap: a power of two */
	struct store *st;
	const char *field;
};

static const char *name_of(struct names *nm, int64_t id)
{
	if (id < 0)
		return NULL;
	if ((nm->n + 1) * 2 > nm->cap) {
		struct names big = { .cap = nm->cap ? nm->cap * 2 : 256, .st = nm->st, .field = nm->field };
		big.id = xmalloc(big.cap * sizeof *big.id);
		big.v = xcalloc(big.cap, sizeof *big.v);
		for (size_t i = 0; i < big.cap; i++)
			big.id[i] = -1;
		for (size_t i = 0; i < nm->cap; i++) {
			if (nm->id[i] < 0)
				continue;
			size_t j = util_mix64((uint64_t)nm->id[i]) & (big.cap - 1);
			while (big.id[j] >= 0)
				j = (j + 1) & (big.cap - 1);
			big.id[j] = nm->id[i];
			big.v[j] = nm->v[i];
		}
		free(nm->id);
		free(nm->v);
		/* field by field: scan-build loses a whole-struct store through
		 * nm and reported the freed arrays as still in use */
		nm->id = big.id;
		nm->v = big.v;
		nm->cap = big.cap;
	}
	size_t j = util_mix64((uint64_t)id) & (nm->cap - 1);
	for (; nm->id[j] >= 0; j = (j + 1) & (nm->cap - 1))
		if (nm->id[j] == id)
			return nm->v[j];
	char *v = NULL;
	store_value_texts(nm->st, nm->field, &id, 1, &v, NULL);
	nm->id[j] = id;
	nm->v[j] = v;
	nm->n++;
	return v;
}

/* The map's slot of id (which name_of has read). */
static size_t slot_of(const struct names *nm, int64_t id)
{
	size_t j = util_mix64((uint64_t)id) & (nm->cap - 1);
	while (nm->id[j] != id)
		j = (j + 1) & (nm->cap - 1);
	return j;
}

static int cmp_names(const void *pa, const void *pb, void *ctx)
{
	const struct names *nm = ctx;
	const char *x = nm->v[*(const size_t *)pa], *y = nm->v[*(const size_t *)pb];
	return strcmp(x ? x : "", y ? y : "");
}

/* Each name's place in name order, by the map's slot (equal names, the
 * same place; caller frees): the sort of a million groups then compares
 * numbers, not the mailboxes' names. */
static int64_t *name_ranks(const struct names *nm)
{
	int64_t *rank = xcalloc(nm->cap ? nm->cap : 1, sizeof *rank);
	size_t *slots = xmalloc((nm->n ? nm->n : 1) * sizeof *slots), k = 0;
	for (size_t j = 0; j < nm->cap; j++)
		if (nm->id[j] >= 0)
			slots[k++] = j;
	qsort_r(slots, k, sizeof *slots, cmp_names, (void *)nm);
	for (size_t i = 0; i < k; i++)
		rank[slots[i]] = i && !cmp_names(&slots[i - 1], &slots[i], (void *)nm) ? rank[slots[i - 1]]
										       : (int64_t)i + 1;
	free(slots);
	return rank;
}

struct order {
	const struct agg *a;
	const int64_t *mb; /* the mailbox's place in name order, per group (0: none) */
};

static int cmp_groups(const void *pa, const void *pb, void *ctx)
{
	const struct order *o = ctx;
	size_t i = *(const size_t *)pa, j = *(const size_t *)pb;
	const struct group *x = &o->a->g[i], *y = &o->a->g[j];
	if (o->mb[i] != o->mb[j])
		return o->mb[i] < o->mb[j] ? -1 : 1;
	int c;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	c = strcmp(o->a->arena + x->str + x->flen + 1, o->a->arena + y->str + y->flen + 1);
	if (c)
		return c;
	return strcmp(o->a->arena + x->str, o->a->arena + y->str);
}

static void agg_free(struct agg *a)
{
	free(a->g);
	free(a->slot);
	free(a->arena);
	free(a->pairs);
}

int messages_run(struct query *q, int64_t limit, struct messages *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (query_prepare(q, cause) < 0)
		return -1;
	struct store *st = query_store(q);
	struct agg a = { 0 };
	struct scan sc = { .a = &a, .m = out };
	int r = query_scan(q, scan_cols, sizeof scan_cols / sizeof scan_cols[0], scan_row, &sc, cause);
	free(sc.buf[0]);
	free(sc.buf[1]);
	if (r < 0) {
		agg_free(&a);
		messages_clear(out);
		return -1;
	}
	struct names nm[5] = { 0 };
	for (int i = 0; i < 5; i++)
		nm[i] = (struct names){ .st = st, .field = scan_cols[i] };
	/* by mailbox, then first access */
	size_t *idx = xmalloc((a.n ? a.n : 1) * sizeof *idx);
	const char **mb = xmalloc((a.n ? a.n : 1) * sizeof *mb);
	for (size_t i = 0; i < a.n; i++) {
		idx[i] = i;
		mb[i] = name_of(&nm[0], a.g[i].col[0]);
	}
	int64_t *rank = name_ranks(&nm[0]), *mbrank = xmalloc((a.n ? a.n : 1) * sizeof *mbrank);
	for (size_t i = 0; i < a.n; i++) /* no mailbox: as an empty name, first */
		mbrank[i] = a.g[i].col[0] < 0 ? 0 : rank[slot_of(&nm[0], a.g[i].col[0])];
	free(rank);
	struct order o = { &a, mbrank };
	qsort_r(idx, a.n, sizeof *idx, cmp_groups, &o);
	free(mbrank);
	size_t keep = limit >= 0 && (size_t)limit < a.n ? (size_t)limit : a.n;
	out->total = a.n;
	out->rows = xcalloc(keep ? keep : 1, sizeof *out->rows);
	for (size_t k = 0; k < keep; k++) {
		const struct group *g = &a.g[idx[k]];
		struct messages_row *row = &out->rows[out->n++];
		const char *v;
		row->mailbox = mb[idx[k]] ? xstrdup(mb[idx[k]]) : NULL;
		row->access = (v = name_of(&nm[1], g->col[1])) ? xstrdup(v) : NULL;
		row->app = (v = name_of(&nm[2], g->col[2])) ? xstrdup(v) : NULL;
		row->client_app = (v = name_of(&nm[3], g->col[3])) ? xstrdup(v) : NULL;
		row->ip = (v = name_of(&nm[4], g->col[4])) ? xstrdup(v) : NULL;
		row->folder = g->flen ? xstrdup(a.arena + g->str) : NULL;
		row->msgid = g->mlen ? xstrdup(a.arena + g->str + g->flen + 1) : NULL;
		row->sync = g->mlen == 0;
		row->first = g->first;
		row->last = g->last;
		row->events = g->events;
		row->size = g->size;
	}
	for (int c = 0; c < 5; c++) {
		for (size_t i = 0; i < nm[c].cap; i++)
			free(nm[c].v[i]);
		free(nm[c].v);
		free(nm[c].id);
	}
	free(idx);
	free(mb);
	agg_free(&a);
	return 0;
}
