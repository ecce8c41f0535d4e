/*
 * stack.c: frequency tables (stack.h).
 *
 * One pass over the matching events reads three small integers a row
 * (the field's value id, the distinct field's value id, the time) and
 * aggregates them in hash tables here. SQLite's GROUP BY would sort a
 * million rows first, and count(DISTINCT) per group builds a b-tree per
 * group: measured several times slower than this pass.
 */
#include "stack.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipgeo.h"
#include "util.h"
#include "xalloc.h"
#include "storage.h"

#define NONE INT64_MIN /* the key of events where the field is absent */

struct group {
	int64_t key, events, distinct, first, last;
	bool used;
};

struct agg {
	struct group *g;
	size_t cap, n;
	/* (key, distinct value) pairs seen */
	int64_t (*pair)[2];
	bool *pair_used;
	size_t pcap, pn;
};

static struct group *group_at(struct agg *a, int64_t key);

static void groups_grow(struct agg *a)
{
	struct group *old = a->g;
	size_t oc = a->cap;
	a->cap = oc ? oc * 2 : 1024;
	a->g = xcalloc(a->cap, sizeof *a->g);
	a->n = 0;
	for (size_t i = 0; i < oc; i++) {
		if (!old[i].used)
			continue;
		struct group *g = group_at(a, old[i].key);
		*g = old[i];
	}
	free(old);
}

static struct group *group_at(struct agg *a, int64_t key)
{
	if ((a->n + 1) * 2 > a->cap)
		groups_grow(a);
	size_t m = a->cap - 1, i = util_mix64((uint64_t)key) & m;
	while (a->g[i].used && a->g[i].key != key)
		i = (i + 1) & m;
	if (!a->g[i].used) {
		a->g[i] = (struct group){ .key = key, .used = true, .first = INT64_MAX, .last = INT64_MIN };
		a->n++;
	}
	return &a->g[i];
}

static bool pair_add(struct agg *a, int64_t k, int64_t d);

static void pairs_grow(struct agg *a)
{
	int64_t(*old)[2] = a->pair;
	bool *oldu = a->pair_used;
	size_t oc = a->pcap;
	a->pcap = oc ? oc * 2 : 4096;
	a->pair = xcalloc(a->pcap, sizeof *a->pair);
	a->pair_used = xcalloc(a->pcap, 1);
	a->pn = 0;
	for (size_t i = 0; i < oc; i++)
		if (oldu[i])
			pair_add(a, old[i][0], old[i][1]);
	free(old);
	free(oldu);
}

/* true when the pair is new */
static bool pair_add(struct agg *a, int64_t k, int64_t d)
{
	if ((a->pn + 1) * 2 > a->pcap)
		pairs_grow(a);
	size_t m = a->pcap - 1, i = util_mix64((uint64_t)k * 0x9e3779b97f4a7c15ULL ^ (uint64_t)d) & m;
	while (a->pair_used[i]) {
		if (a->pair[i][0] == k && a->pair[i][1] == d)
			return false;
		i = (i + 1) & m;
	}
	a->pair_used[i] = true;
	a->pair[i][0] = k;
	a->pair[i][1] = d;
	a->pn++;
	return true;
}

/* A scan's row: the field's value id (0: absent), the distinct field's,
 * the time. */
static int agg_row(void *ctx, const struct store_cell *c)
{
	struct agg *a = ctx;
	int64_t key = c[0].i;
	int64_t d = c[1].i;
	int64_t ts = c[2].i;
	struct group *g = group_at(a, key ? key : NONE);
	g->events++;
	if (ts < g->first)
		g->first = ts;
	if (ts > g->last)
		g->last = ts;
	if (d && pair_add(a, key, d))
		g->distinct++;
	return 0;
}

/* Of equally rare values, the one first seen latest (a newcomer) comes
 * first; of equally common ones, the longest-standing. */
static int tie(const struct stack_row *a, const struct stack_row *b, bool rare)
{
	if (a->first != b->first)
		return (a->first > b->first) == rare ? -1 : 1;
	if (!a->value || !b->value)
		return a->value ? -1 : b->value ? 1 : 0;
	return strcmp(a->value, b->value);
}

static int cmp_rare(const void *pa, const void *pb)
{
	const struct stack_row *a = pa, *b = pb;
	if (a->events != b->events)
		return a->events < b->events ? -1 : 1;
	return tie(a, b, true);
}

static int cmp_common(const void *pa, const void *pb)
{
	const struct stack_row *a = pa, *b = pb;
	if (a->events != b->events)
		return a->events > b->events ? -1 : 1;
	return tie(a, b, false);
}

void stack_clear(struct stack *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->rows[i].value);
	free(s->rows);
	memset(s, 0, sizeof *s);
}

/* Order, then cut to limit. */
static void finish(struct stack *out, enum stack_order order, int64_t limit)
{
	out->values = (int64_t)out->n;
	if (out->n)
		qsort(out->rows, out->n, sizeof *out->rows, order == STACK_RARE ? cmp_rare : cmp_common);
	if (limit >= 0 && (size_t)limit < out->n) {
		for (size_t i = (size_t)limit; i < out->n; i++)
			free(out->rows[i].value);
		out->n = (size_t)limit;
	}
}

/*
 * A place field (country, asn, as_org) is not a column of the events but
 * of their IP: the scan reads the ip, whose value id maps to a place key
 * (an index into the place texts), read once from the case's places.
 */
struct geo_keys {
	const char *field;
	struct util_imap ip;    /* ip value id -> place key + 1 */
	struct util_smap texts; /* place text -> its key */
	struct agg *a;
};

static int geo_place(int64_t val, const struct ipgeo_row *g, void *ctx)
{
	struct geo_keys *k = ctx;
	char asn[24];
	const char *t = NULL;
	if (!strcmp(k->field, "country")) {
		t = g->country;
	} else if (!strcmp(k->field, "asn") && g->asn) {
		snprintf(asn, sizeof asn, "AS%" PRId64, g->asn);
		t = asn;
	} else if (!strcmp(k->field, "as_org")) {
		t = g->as_org;
	}
	if (!t || !*t)
		return 0;
	bool isnew;
	int64_t *id = util_smap_slot(&k->texts, t, (int64_t)k->texts.n, &isnew);
	*util_imap_slot(&k->ip, (uint64_t)val, 0, NULL) = *id + 1;
	return 0;
}

static int geo_row(void *ctx, const struct store_cell *c)
{
	struct geo_keys *k = ctx;
	const int64_t *key = c[0].i ? util_imap_get(&k->ip, (uint64_t)c[0].i) : NULL;
	struct store_cell cells[3] = { { .i = key ? *key : 0 }, c[1], c[2] };
	return agg_row(k->a, cells);
}

static int stack_geo(struct query *q, const struct filter_field *f, const struct filter_field *d,
		     enum stack_order order, int64_t limit, struct stack *out, char **cause)
{
	struct store *st = query_store(q);
	struct agg a = { 0 };
	struct geo_keys k = { .field = f->name, .a = &a };
	int r = ipgeo_each(st, geo_place, &k, cause);
	const char *cols[] = { "ip", d->name, "ts" };
	if (r == 0)
		r = query_scan(q, cols, 3, geo_row, &k, cause);
	free(a.pair);
	free(a.pair_used);
	util_imap_free(&k.ip);
	if (r < 0) {
		free(a.g);
		util_smap_free(&k.texts);
		memset(out, 0, sizeof *out);
		return -1;
	}
	out->field = f->name;
	out->distinct = d->name;
	out->rows = xcalloc(a.n ? a.n : 1, sizeof *out->rows);
	for (size_t i = 0; i < a.cap; i++) {
		if (!a.g[i].used)
			continue;
		struct stack_row *row = &out->rows[out->n++];
		int64_t key = a.g[i].key == NONE ? 0 : a.g[i].key;
		row->value = key ? xstrdup(k.texts.keys[key - 1]) : NULL;
		row->events = a.g[i].events;
		row->distinct = a.g[i].distinct;
		row->first = a.g[i].first;
		row->last = a.g[i].last;
		out->events += row->events;
	}
	free(a.g);
	util_smap_free(&k.texts);
	finish(out, order, limit);
	return 0;
}

int stack_run(struct query *q, const char *field, enum stack_order order, int64_t limit, struct stack *out,
	      char **cause)
{
	memset(out, 0, sizeof *out);
	const struct filter_field *f = filter_field_find(field);
	if (f && (f->flags & FIELD_GEO)) {
		if (query_prepare(q, cause) < 0)
			return -1;
		return stack_geo(q, f, filter_field_find("mailbox"), order, limit, out, cause);
	}
	if (!f || !(f->flags & (FIELD_TEXT | FIELD_SOURCE)))
		return set_cause(cause, "stack: '%s' is not a field that can be stacked", field ? field : "");
	const struct filter_field *d = filter_field_find(strcmp(f->name, "mailbox") ? "mailbox" : "user");
	struct store *st = query_store(q);
	/* a raw-record filter is evaluated once, in id order */
	if (query_prepare(q, cause) < 0)
		return -1;
	out->field = f->name;
	out->distinct = d->name;
	int r = st->ops->group ? st->ops->group(q, f->name, d->name, out, cause) : 0;
	if (r < 0) {
		stack_clear(out);
		return -1;
	}
	if (r > 0) {
		out->field = f->name;
		out->distinct = d->name;
		finish(out, order, limit);
		return 0;
	}
	const char *cols[] = { f->name, d->name, "ts" };
	struct agg a = { 0 };
	r = query_scan(q, cols, 3, agg_row, &a, cause);
	free(a.pair);
	free(a.pair_used);
	if (r < 0) {
		free(a.g);
		memset(out, 0, sizeof *out);
		return -1;
	}
	out->rows = xcalloc(a.n ? a.n : 1, sizeof *out->rows);
	int64_t *keys = xcalloc(a.n ? a.n : 1, sizeof *keys);
	for (size_t i = 0; i < a.cap; i++) {
		if (!a.g[i].used)
			continue;
		keys[out->n] = a.g[i].key == NONE ? 0 : a.g[i].key;
		struct stack_row *row = &out->rows[out->n++];
		row->value = NULL;
		row->events = a.g[i].events;
		row->distinct = a.g[i].distinct;
		row->first = a.g[i].first;
		row->last = a.g[i].last;
		out->events += row->events;
	}
	free(a.g);
	/* names: one lookup per distinct value */
	char **names = xcalloc(out->n ? out->n : 1, sizeof *names);
	r = store_value_texts(st, f->name, keys, out->n, names, cause);
	for (size_t i = 0; i < out->n; i++)
		out->rows[i].value = names[i];
	free(names);
	free(keys);
	if (r < 0) {
		stack_clear(out);
		return -1;
	}
	finish(out, order, limit);
	return 0;
}

static int cmp_counts(const void *pa, const void *pb)
{
	const struct stack_row *a = pa, *b = pb;
	if (a->events != b->events)
		return a->events > b->events ? -1 : 1;
	return strcmp(a->value, b->value);
}

int stack_counts(struct query *q, const char *field, struct stack *out, char **cause)
{
	memset(out, 0, sizeof *out);
	const struct filter_field *f = filter_field_find(field);
	if (!f || !(f->flags & (FIELD_TEXT | FIELD_SOURCE)))
		return set_cause(cause, "stack: '%s' is not a field that can be stacked", field ? field : "");
	struct store *st = query_store(q);
	if (query_prepare(q, cause) < 0)
		return -1;
	int r = st->ops->group ? st->ops->group(q, f->name, NULL, out, cause) : 0;
	if (r == 0) {
		/* the store declined: a full stack, without its distinct
		 * counts and times, and without the absent value */
		r = stack_run(q, f->name, STACK_COMMON, -1, out, cause) < 0 ? -1 : 1;
		size_t k = 0;
		for (size_t i = 0; r > 0 && i < out->n; i++) {
			struct stack_row *row = &out->rows[i];
			if (!row->value) {
				out->events -= row->events;
				continue;
			}
			out->rows[k++] = (struct stack_row){ .value = row->value, .events = row->events };
		}
		if (r > 0)
			out->n = k;
	}
	if (r < 0) {
		stack_clear(out);
		return -1;
	}
	out->field = f->name;
	out->distinct = NULL;
	out->values = (int64_t)out->n;
	if (out->n)
		qsort(out->rows, out->n, sizeof *out->rows, cmp_counts);
	return 0;
}
