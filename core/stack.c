/*
 * stack.c: frequency tables (stack.h).
 *
 * One pass over the matching events reads three small integers a row
 * (the field's value id, the distinct field's value id, the time) and
 * aggregates them in hash tables here. SQLite's GROUP BY would sort a
 * million rows first, and count(DISTINCT) per group builds a b-tree per
 * group: measured several times slower than this pass.
 */
#define _GNU_SOURCE /* qsort_r */
#include "stack.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_path.h"
#include "sanitize.h"

#include "ipgeo.h"
#include "util.h"
#include "xalloc.h"
#include "storage.h"

#define NONE INT64_MIN /* the key of events where the field is absent */

/* A group: the value ids of its fields (0 absent; a json.PATH's value
 * is an id in the stack's own table of texts), kept in the order groups
 * are first seen; its index there is its number. */
struct group {
	int64_t key[STACK_MAX_FIELDS];
	int64_t events, distinct, first, last;
	int64_t lastd; /* the distinct value of its last row: a repeat needs no lookup */
};

struct agg {
	size_t nkeys;
	/* the groups, dense, and an open-addressing table over them: slot
	 * -> group index + 1 (0 empty) beside the hash of the group's key,
	 * so that a probe reads 12 bytes a slot, and growing moves only the
	 * table (a stack of 50,000 IPs: 1 MB, not 9 MB of groups) */
	struct group *g;
	size_t n, gcap;
	uint32_t *slot;
	uint32_t *shash;
	size_t cap, hn;
	/* one column field: its value ids are small and dense (the case's
	 * value table's rows), so group index + 1 by value id straight, for
	 * ids below DIRECT_MAX; the hash table takes the rest */
	bool direct_ok;
	uint32_t *direct;
	size_t dcap;
	/* (group number + 1, distinct value) pairs seen; 0: an empty slot */
	int64_t (*pair)[2];
	size_t pcap, pn;
	/* json.PATH fields: where the raw record is among the scan's
	 * columns, their paths, and the texts their values got ids in */
	size_t raw_col;
	struct json_path *path[STACK_MAX_FIELDS];   /* NULL: a column field */
	struct util_ivec reached[STACK_MAX_FIELDS]; /* a record's values (ids) */
	struct util_smap texts;
	int64_t rows; /* the events scanned */
	/* the scan's column of each field; distinct and ts follow them */
	size_t col[STACK_MAX_FIELDS], dcol, tcol;
	/* a place of the IP (country, asn, as_org) is not a column of the
	 * events but of their IP: the ip's value id maps to a place key
	 * (+1) in geo_texts, read once from the case's places */
	const char *geo[STACK_MAX_FIELDS]; /* NULL: not a place field */
	struct util_imap geo_ip[STACK_MAX_FIELDS];
	struct util_smap geo_texts[STACK_MAX_FIELDS];
};

/* murmur3's 64-bit finaliser, in line: it runs twice an event */
static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t key_hash(const struct agg *a, const int64_t *key)
{
	uint64_t h = mix((uint64_t)key[0]);
	for (size_t k = 1; k < a->nkeys; k++)
		h = mix(h ^ ((uint64_t)key[k] * 0x9e3779b97f4a7c15ULL));
	return h;
}

static inline bool key_differs(const struct agg *a, const int64_t *x, const int64_t *y)
{
	return a->nkeys == 1 ? x[0] != y[0] : memcmp(x, y, a->nkeys * sizeof *x) != 0;
}

static void groups_grow(struct agg *a)
{
	uint32_t *old = a->slot, *oldh = a->shash;
	size_t oc = a->cap;
	a->cap = oc ? oc * 2 : 1024;
	a->slot = xcalloc(a->cap, sizeof *a->slot);
	a->shash = xmalloc(a->cap * sizeof *a->shash);
	/* every old key is distinct: each takes the first free slot of its
	 * probe sequence (the low bits of its kept hash) */
	size_t m = a->cap - 1;
	for (size_t i = 0; i < oc; i++) {
		if (!old[i])
			continue;
		size_t j = oldh[i] & m;
		while (a->slot[j])
			j = (j + 1) & m;
		a->slot[j] = old[i];
		a->shash[j] = oldh[i];
	}
	free(old);
	free(oldh);
}

/* 4M ids: at most 16 MB of direct index */
#define DIRECT_MAX ((size_t)1 << 22)

static size_t group_new(struct agg *a, const int64_t *key)
{
	a->g = xgrow(a->g, &a->gcap, a->n + 1, sizeof *a->g);
	struct group *g = &a->g[a->n];
	*g = (struct group){ .first = INT64_MAX, .last = INT64_MIN };
	memcpy(g->key, key, a->nkeys * sizeof *key);
	return a->n++;
}

/* The index of key's group, made when new. */
static size_t group_slot(struct agg *a, const int64_t *key)
{
	if (a->direct_ok && key[0] > 0 && (uint64_t)key[0] < DIRECT_MAX) {
		size_t v = (size_t)key[0];
		if (v >= a->dcap) {
			size_t nc = a->dcap ? a->dcap : 4096;
			while (nc <= v)
				nc *= 2;
			a->direct = xrealloc(a->direct, nc * sizeof *a->direct);
			memset(a->direct + a->dcap, 0, (nc - a->dcap) * sizeof *a->direct);
			a->dcap = nc;
		}
		if (!a->direct[v])
			a->direct[v] = (uint32_t)group_new(a, key) + 1;
		return a->direct[v] - 1;
	}
	if ((a->hn + 1) * 2 > a->cap)
		groups_grow(a);
	uint32_t h = (uint32_t)key_hash(a, key);
	size_t m = a->cap - 1, i = h & m;
	while (a->slot[i]) {
		if (a->shash[i] == h && !key_differs(a, a->g[a->slot[i] - 1].key, key))
			return a->slot[i] - 1;
		i = (i + 1) & m;
	}
	size_t gi = group_new(a, key);
	a->slot[i] = (uint32_t)gi + 1;
	a->shash[i] = h;
	a->hn++;
	return gi;
}

static bool pair_add(struct agg *a, int64_t k, int64_t d);

static void pairs_grow(struct agg *a)
{
	int64_t(*old)[2] = a->pair;
	size_t oc = a->pcap;
	a->pcap = oc ? oc * 2 : 4096;
	a->pair = xcalloc(a->pcap, sizeof *a->pair);
	a->pn = 0;
	for (size_t i = 0; i < oc; i++)
		if (old[i][0])
			pair_add(a, old[i][0] - 1, old[i][1]);
	free(old);
}

/* true when the pair (group number k, distinct value d) is new */
static bool pair_add(struct agg *a, int64_t k, int64_t d)
{
	if ((a->pn + 1) * 2 > a->pcap)
		pairs_grow(a);
	int64_t k1 = k + 1;
	size_t m = a->pcap - 1, i = mix((uint64_t)k1 * 0x9e3779b97f4a7c15ULL ^ (uint64_t)d) & m;
	while (a->pair[i][0]) {
		if (a->pair[i][0] == k1 && a->pair[i][1] == d)
			return false;
		i = (i + 1) & m;
	}
	a->pair[i][0] = k1;
	a->pair[i][1] = d;
	a->pn++;
	return true;
}

/* ------------------------------------------------------------------ */
/* json.PATH values: json_path.c walks, as the filter's json.PATH does */

/* Every value a record's path reaches, each once, as ids of the stack's
 * texts: the record counts under each (json.X=V selects it for each V).
 * An empty text is no value, as the filter's json.X="" says. */
struct reached {
	struct agg *a;
	struct util_ivec *ids;
};

static bool add_reached(const char *text, size_t n, void *ctx)
{
	struct reached *r = ctx;
	if (!n)
		return false;
	char *t = sanitize_nul(text, n); /* a NUL shown, not the end */
	int64_t id = *util_smap_slot(&r->a->texts, t, (int64_t)r->a->texts.n + 1, NULL);
	free(t);
	if (!util_ivec_has(r->ids, id))
		util_ivec_push(r->ids, id);
	return false;
}

/* ------------------------------------------------------------------ */
/* The pass */

/* A scan's row: the fields' value ids (0: absent), the distinct field's,
 * the time, and the raw record when a json.PATH is stacked. */
/* One event in the group of key. */
static void agg_add(struct agg *a, const int64_t *key, int64_t d, int64_t ts)
{
	size_t i = group_slot(a, key);
	struct group *g = &a->g[i];
	g->events++;
	if (ts < g->first)
		g->first = ts;
	if (ts > g->last)
		g->last = ts;
	if (d && d != g->lastd) {
		g->lastd = d;
		if (pair_add(a, (int64_t)i, d))
			g->distinct++;
	}
}

static int agg_row(void *ctx, const struct store_cell *c)
{
	struct agg *a = ctx;
	int64_t key[STACK_MAX_FIELDS] = { 0 };
	bool many = false; /* a json.PATH reached more than one value */
	a->rows++;
	for (size_t k = 0; k < a->nkeys; k++) {
		if (a->geo[k]) {
			const int64_t *g =
				c[a->col[k]].i ? util_imap_get(&a->geo_ip[k], (uint64_t)c[a->col[k]].i) : NULL;
			key[k] = g ? *g : NONE;
			continue;
		}
		if (!a->path[k]) {
			key[k] = c[a->col[k]].i ? c[a->col[k]].i : NONE;
			continue;
		}
		struct util_ivec *ids = &a->reached[k];
		ids->n = 0;
		json_path_each_text(a->path[k], c[a->raw_col].s, c[a->raw_col].n, add_reached,
				    &(struct reached){ a, ids });
		key[k] = ids->n ? ids->v[0] : NONE;
		many |= ids->n > 1;
	}
	int64_t d = c[a->dcol].i;
	int64_t ts = c[a->tcol].i;
	if (!many) {
		agg_add(a, key, d, ts);
		return 0;
	}
	/* every combination of the values reached */
	size_t at[STACK_MAX_FIELDS] = { 0 };
	for (;;) {
		agg_add(a, key, d, ts);
		size_t k = 0;
		for (; k < a->nkeys; k++) {
			if (!a->path[k] || a->reached[k].n <= 1)
				continue;
			if (++at[k] < a->reached[k].n) {
				key[k] = a->reached[k].v[at[k]];
				break;
			}
			at[k] = 0;
			key[k] = a->reached[k].v[0];
		}
		if (k == a->nkeys)
			return 0;
	}
}

static void agg_free_paths(struct agg *a)
{
	for (size_t k = 0; k < STACK_MAX_FIELDS; k++) {
		json_path_free(a->path[k]);
		a->path[k] = NULL;
		util_ivec_free(&a->reached[k]);
	}
}

const char *stack_value(const struct stack_row *r, size_t k)
{
	return k == 0 ? r->value : k < STACK_MAX_FIELDS ? r->more[k - 1] : NULL;
}

static int cmp_values(const struct stack_row *a, const struct stack_row *b)
{
	for (size_t k = 0; k < STACK_MAX_FIELDS; k++) {
		const char *x = stack_value(a, k), *y = stack_value(b, k);
		if (!x || !y) {
			if (x != y)
				return x ? -1 : 1;
			continue;
		}
		int c = strcmp(x, y);
		if (c)
			return c;
	}
	return 0;
}

/* Of equally rare values, the one first seen latest (a newcomer) comes
 * first; of equally common ones, the longest-standing. */
static int tie(const struct stack_row *a, const struct stack_row *b, bool rare)
{
	if (a->first != b->first)
		return (a->first > b->first) == rare ? -1 : 1;
	return cmp_values(a, b);
}

struct sort_by {
	enum stack_sort by;
	bool desc;
};

static int64_t sort_key(const struct stack_row *r, enum stack_sort by)
{
	switch (by) {
	case STACK_BY_DISTINCT: return r->distinct;
	case STACK_BY_FIRST: return r->first;
	case STACK_BY_LAST: return r->last;
	default: return r->events;
	}
}

static int cmp_rows(const void *pa, const void *pb, void *ctx)
{
	const struct stack_row *a = pa, *b = pb;
	const struct sort_by *s = ctx;
	if (s->by == STACK_BY_VALUE) {
		int c = cmp_values(a, b);
		return s->desc ? -c : c;
	}
	int64_t x = sort_key(a, s->by), y = sort_key(b, s->by);
	if (x != y)
		return (x < y) != s->desc ? -1 : 1;
	return tie(a, b, !s->desc);
}

void stack_sort(struct stack *s, enum stack_sort by, bool desc)
{
	struct sort_by sb = { by, desc };
	if (s->n)
		qsort_r(s->rows, s->n, sizeof *s->rows, cmp_rows, &sb);
}

static const char *const sort_names[STACK_BY_COUNT] = { "events", "distinct", "first", "last", "value" };

const char *stack_sort_name(enum stack_sort by)
{
	return by < STACK_BY_COUNT ? sort_names[by] : "events";
}

int stack_sort_parse(const char *name, enum stack_sort *out)
{
	for (int i = 0; i < STACK_BY_COUNT; i++)
		if (name && !strcasecmp(name, sort_names[i])) {
			*out = (enum stack_sort)i;
			return 0;
		}
	if (name &&
	    (!strcasecmp(name, "mailboxes") || !strcasecmp(name, "users") || !strcasecmp(name, "count"))) {
		*out = !strcasecmp(name, "count") ? STACK_BY_EVENTS : STACK_BY_DISTINCT;
		return 0;
	}
	if (name && (!strcasecmp(name, "first_seen") || !strcasecmp(name, "last_seen"))) {
		*out = name[0] == 'f' || name[0] == 'F' ? STACK_BY_FIRST : STACK_BY_LAST;
		return 0;
	}
	return -1;
}

void stack_clear(struct stack *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->rows[i].value);
		for (size_t k = 0; k + 1 < STACK_MAX_FIELDS; k++)
			free(s->rows[i].more[k]);
	}
	free(s->rows);
	for (size_t k = 0; k < STACK_MAX_FIELDS; k++)
		free(s->names[k]);
	memset(s, 0, sizeof *s);
}

/* Order, then cut to limit. */
static void finish(struct stack *out, enum stack_sort by, bool desc, int64_t limit)
{
	out->values = (int64_t)out->n;
	stack_sort(out, by, desc);
	if (limit >= 0 && (size_t)limit < out->n) {
		for (size_t i = (size_t)limit; i < out->n; i++) {
			free(out->rows[i].value);
			for (size_t k = 0; k + 1 < STACK_MAX_FIELDS; k++)
				free(out->rows[i].more[k]);
		}
		out->n = (size_t)limit;
	}
}

struct geo_fill {
	struct agg *a;
	size_t k;
};

static int geo_place(int64_t val, const struct ipgeo_row *g, void *ctx)
{
	struct geo_fill *f = ctx;
	const char *field = f->a->geo[f->k];
	char asn[24];
	const char *t = NULL;
	if (!strcmp(field, "country")) {
		t = g->country;
	} else if (!strcmp(field, "asn") && g->asn) {
		snprintf(asn, sizeof asn, "AS%" PRId64, g->asn);
		t = asn;
	} else if (!strcmp(field, "as_org")) {
		t = g->as_org;
	}
	if (!t || !*t)
		return 0;
	struct util_smap *m = &f->a->geo_texts[f->k];
	int64_t id = *util_smap_slot(m, t, (int64_t)m->n + 1, NULL);
	*util_imap_slot(&f->a->geo_ip[f->k], (uint64_t)val, 0, NULL) = id;
	return 0;
}

static void agg_free_geo(struct agg *a)
{
	for (size_t k = 0; k < STACK_MAX_FIELDS; k++) {
		util_imap_free(&a->geo_ip[k]);
		util_smap_free(&a->geo_texts[k]);
	}
}

static char **row_slot(struct stack_row *r, size_t k)
{
	return k == 0 ? &r->value : &r->more[k - 1];
}

/* A group as a row, its values not yet named, and its key. */
struct keyed {
	struct stack_row row;
	int64_t key[STACK_MAX_FIELDS];
};

/* The order of stack_sort without the last tie-break (the values). */
static int cmp_keyed(const void *pa, const void *pb, void *ctx)
{
	const struct stack_row *a = &((const struct keyed *)pa)->row, *b = &((const struct keyed *)pb)->row;
	const struct sort_by *s = ctx;
	if (s->by != STACK_BY_VALUE) {
		int64_t x = sort_key(a, s->by), y = sort_key(b, s->by);
		if (x != y)
			return (x < y) != s->desc ? -1 : 1;
		if (a->first != b->first)
			return (a->first > b->first) == !s->desc ? -1 : 1;
	}
	return 0;
}

/*
 * The groups as out's rows, ordered and cut to limit. Values are named
 * (one read of the case per field) only for the rows that can be kept:
 * the groups are ordered first by everything but the values, and only
 * those up to the end of the run of equals at the limit need names, to
 * break their ties (a stack of 50,000 IPs shown 20 at a time names 20,
 * not 50,000). Ordered by value, every row is named.
 */
static int name_groups(struct agg *a, struct store *st, struct stack *out, enum stack_sort by, bool desc,
		       int64_t limit, char **cause)
{
	size_t n = a->n;
	struct keyed *kr = xcalloc(n ? n : 1, sizeof *kr);
	for (size_t i = 0; i < n; i++) {
		const struct group *g = &a->g[i];
		kr[i].row = (struct stack_row){
			.events = g->events, .distinct = g->distinct, .first = g->first, .last = g->last
		};
		memcpy(kr[i].key, g->key, sizeof g->key);
	}
	/* (not the rows' sum: an event whose json.PATH reached several
	 * values is in a row for each) */
	out->events = a->rows;
	size_t keep = n;
	if (by != STACK_BY_VALUE && limit >= 0 && (size_t)limit < n) {
		struct sort_by sb = { by, desc };
		qsort_r(kr, n, sizeof *kr, cmp_keyed, &sb);
		keep = (size_t)limit;
		while (keep > 0 && keep < n && cmp_keyed(&kr[keep - 1], &kr[keep], &sb) == 0)
			keep++;
	}
	out->rows = xcalloc(keep ? keep : 1, sizeof *out->rows);
	out->n = keep;
	int64_t *keys = xcalloc(keep ? keep : 1, sizeof *keys);
	char **names = xcalloc(keep ? keep : 1, sizeof *names);
	int r = 0;
	for (size_t i = 0; i < keep; i++)
		out->rows[i] = kr[i].row;
	for (size_t k = 0; k < out->nfields && r == 0; k++) {
		for (size_t i = 0; i < keep; i++)
			keys[i] = kr[i].key[k] == NONE ? 0 : kr[i].key[k];
		if (a->path[k] || a->geo[k]) {
			const struct util_smap *m = a->path[k] ? &a->texts : &a->geo_texts[k];
			for (size_t i = 0; i < keep; i++)
				names[i] = keys[i] ? xstrdup(m->keys[keys[i] - 1]) : NULL;
		} else {
			r = store_value_texts(st, out->fields[k], keys, keep, names, cause);
		}
		for (size_t i = 0; i < keep; i++) {
			*row_slot(&out->rows[i], k) = names[i];
			names[i] = NULL;
		}
	}
	free(names);
	free(keys);
	free(kr);
	if (r < 0)
		return -1;
	finish(out, by, desc, limit);
	out->values = (int64_t)n;
	return 0;
}

/* The distinct field: mailbox, else user, else ip, whichever is not
 * stacked on. */
static const struct filter_field *distinct_field(const char *const *fields, size_t n)
{
	static const char *const pref[] = { "mailbox", "user", "ip" };
	for (size_t p = 0; p < 3; p++) {
		bool used = false;
		for (size_t k = 0; k < n; k++)
			used |= !strcasecmp(fields[k], pref[p]);
		if (!used)
			return filter_field_find(pref[p]);
	}
	return filter_field_find("record_id");
}

int stack_fields(struct query *q, const char *const *fields, size_t nfields, enum stack_sort by, bool desc,
		 int64_t limit, struct stack *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (nfields == 0 || nfields > STACK_MAX_FIELDS)
		return set_cause(cause, "stack: %zu fields (1 to %d)", nfields, STACK_MAX_FIELDS);
	struct agg a = { .nkeys = nfields };
	const char *cols[STACK_MAX_FIELDS + 3];
	size_t ncols = 0;
	bool raw = false;
	for (size_t k = 0; k < nfields; k++) {
		const char *name = fields[k];
		if (name && !strncasecmp(name, "json.", 5) && name[5]) {
			a.path[k] = json_path_new(name + 5);
			out->names[k] = xstrdup(name);
			raw = true;
			continue;
		}
		const struct filter_field *f = filter_field_find(name);
		if (!f || !(f->flags & (FIELD_TEXT | FIELD_SOURCE | FIELD_GEO))) {
			agg_free_paths(&a);
			stack_clear(out);
			return set_cause(cause,
					 "stack: '%s' is not a field that can be stacked (a text field, a place or json.PATH)",
					 name ? name : "");
		}
		out->names[k] = xstrdup(f->name);
		a.col[k] = ncols;
		if (f->flags & FIELD_GEO) {
			a.geo[k] = f->name;
			cols[ncols++] = "ip";
			continue;
		}
		cols[ncols++] = f->name;
	}
	for (size_t k = 0; k < nfields; k++)
		out->fields[k] = out->names[k];
	out->nfields = nfields;
	out->field = out->fields[0];
	const struct filter_field *d = distinct_field(out->fields, nfields);
	out->distinct = d->name;
	a.dcol = ncols;
	cols[ncols++] = d->name;
	a.tcol = ncols;
	cols[ncols++] = "ts";
	if (raw) {
		a.raw_col = ncols;
		cols[ncols++] = "raw";
	}
	struct store *st = query_store(q);
	/* a raw-record filter is evaluated once, in id order */
	if (query_prepare(q, cause) < 0) {
		agg_free_paths(&a);
		stack_clear(out);
		return -1;
	}
	int r = 0;
	for (size_t k = 0; k < nfields && r == 0; k++)
		if (a.geo[k])
			r = ipgeo_each(st, geo_place, &(struct geo_fill){ &a, k }, cause);
	if (r < 0) {
		agg_free_geo(&a);
		agg_free_paths(&a);
		stack_clear(out);
		return -1;
	}
	r = nfields == 1 && !raw && !a.geo[0] && st->ops->group
		    ? st->ops->group(q, out->field, d->name, out, cause)
		    : 0;
	if (r != 0) {
		if (r < 0) {
			stack_clear(out);
			return -1;
		}
		finish(out, by, desc, limit);
		return 0;
	}
	a.direct_ok = nfields == 1 && !a.path[0] && !a.geo[0];
	r = query_scan(q, cols, ncols, agg_row, &a, cause);
	free(a.pair);
	free(a.slot);
	free(a.shash);
	free(a.direct);
	if (r == 0)
		r = name_groups(&a, st, out, by, desc, limit, cause);
	free(a.g);
	agg_free_geo(&a);
	agg_free_paths(&a);
	util_smap_free(&a.texts);
	if (r < 0) {
		stack_clear(out);
		return -1;
	}
	return 0;
}

int stack_run(struct query *q, const char *field, enum stack_order order, int64_t limit, struct stack *out,
	      char **cause)
{
	const char *f[] = { field };
	return stack_fields(q, f, 1, STACK_BY_EVENTS, order == STACK_COMMON, limit, out, cause);
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
