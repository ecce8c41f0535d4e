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

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

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

/* Value ids start at 1 (INTEGER PRIMARY KEY of vals), so the 0 that
 * sqlite3_column_int64 gives for NULL means "absent" without the cost of
 * asking sqlite3_column_type on every row. */
static int agg_row(void *ctx, sqlite3_stmt *s)
{
	struct agg *a = ctx;
	int64_t key = sqlite3_column_int64(s, 0);
	int64_t d = sqlite3_column_int64(s, 1);
	int64_t ts = sqlite3_column_int64(s, 2);
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

int stack_run(struct query *q, const char *field, enum stack_order order, int64_t limit, struct stack *out,
	      char **cause)
{
	memset(out, 0, sizeof *out);
	const struct filter_field *f = filter_field_find(field);
	if (!f || !(f->flags & (FIELD_TEXT | FIELD_SOURCE)))
		return set_cause(cause, "stack: '%s' is not a field that can be stacked", field ? field : "");
	const struct filter_field *d = filter_field_find(strcmp(f->name, "mailbox") ? "mailbox" : "user");
	struct store *st = query_store(q);
	sqlite3 *db = store_db(st);
	/* a raw-record filter is evaluated once, in id order */
	if (query_prepare(q, cause) < 0)
		return -1;
	char *sql = xasprintf("SELECT e.%s, e.%s, e.ts FROM events e WHERE %s", f->column, d->column,
			      query_sql_where(q));
	sqlite3_stmt *s;
	int r = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	free(sql);
	if (r != SQLITE_OK)
		return set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(db));
	query_sql_bind(q, s);
	struct agg a = { 0 };
	r = query_sql_run(q, s, agg_row, &a, cause);
	sqlite3_finalize(s);
	if (r < 0) {
		free(a.g);
		free(a.pair);
		free(a.pair_used);
		return -1;
	}
	free(a.pair);
	free(a.pair_used);
	out->field = f->name;
	out->distinct = d->name;
	out->rows = xcalloc(a.n ? a.n : 1, sizeof *out->rows);
	for (size_t i = 0; i < a.cap; i++) {
		if (!a.g[i].used)
			continue;
		struct stack_row *row = &out->rows[out->n++];
		row->value = NULL;
		row->events = a.g[i].events;
		row->distinct = a.g[i].distinct;
		row->first = a.g[i].first;
		row->last = a.g[i].last;
		out->events += row->events;
	}
	/* names: one lookup per distinct value */
	const char *name_sql = (f->flags & FIELD_SOURCE) ? "SELECT path FROM sources WHERE id = ?1"
							 : "SELECT v FROM vals WHERE id = ?1";
	if (sqlite3_prepare_v2(db, name_sql, -1, &s, NULL) != SQLITE_OK) {
		free(a.g);
		stack_clear(out);
		return set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(db));
	}
	size_t k = 0;
	for (size_t i = 0; i < a.cap; i++) {
		if (!a.g[i].used)
			continue;
		struct stack_row *row = &out->rows[k++];
		if (a.g[i].key == NONE)
			continue;
		sqlite3_bind_int64(s, 1, a.g[i].key);
		if (sqlite3_step(s) == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(s, 0);
			row->value = t ? xstrdup((const char *)t) : NULL;
		}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	free(a.g);
	out->values = (int64_t)out->n;
	qsort(out->rows, out->n, sizeof *out->rows, order == STACK_RARE ? cmp_rare : cmp_common);
	if (limit >= 0 && (size_t)limit < out->n) {
		for (size_t i = (size_t)limit; i < out->n; i++)
			free(out->rows[i].value);
		out->n = (size_t)limit;
	}
	return 0;
}

static int cmp_counts(const void *pa, const void *pb)
{
	const struct stack_row *a = pa, *b = pb;
	if (a->events != b->events)
		return a->events > b->events ? -1 : 1;
	return strcmp(a->value, b->value);
}

struct counts_ctx {
	struct stack *out;
	size_t cap;
};

static int counts_row(void *ctx, sqlite3_stmt *s)
{
	struct counts_ctx *c = ctx;
	const char *v = (const char *)sqlite3_column_text(s, 0);
	if (!v)
		return 0;
	struct stack *out = c->out;
	out->rows = xgrow(out->rows, &c->cap, out->n + 1, sizeof *out->rows);
	struct stack_row *row = &out->rows[out->n++];
	*row = (struct stack_row){ .value = xstrdup(v), .events = sqlite3_column_int64(s, 1) };
	out->events += row->events;
	return 0;
}

int stack_counts(struct query *q, const char *field, struct stack *out, char **cause)
{
	memset(out, 0, sizeof *out);
	const struct filter_field *f = filter_field_find(field);
	if (!f || !(f->flags & (FIELD_TEXT | FIELD_SOURCE)))
		return set_cause(cause, "stack: '%s' is not a field that can be stacked", field ? field : "");
	struct store *st = query_store(q);
	sqlite3 *db = store_db(st);
	if (query_prepare(q, cause) < 0)
		return -1;
	/* an indexed field under no filter is counted from its index alone */
	char *sql = xasprintf("SELECT n.v, x.c FROM (SELECT e.%s AS k, count(*) AS c FROM events e"
			      " WHERE e.%s IS NOT NULL AND %s GROUP BY e.%s) x JOIN %s n ON n.id = x.k",
			      f->column, f->column, query_sql_where(q), f->column,
			      (f->flags & FIELD_SOURCE) ? "(SELECT id, path AS v FROM sources)" : "vals");
	sqlite3_stmt *s;
	int r = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	free(sql);
	if (r != SQLITE_OK)
		return set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(db));
	query_sql_bind(q, s);
	struct counts_ctx c = { out, 0 };
	r = query_sql_run(q, s, counts_row, &c, cause);
	sqlite3_finalize(s);
	if (r < 0) {
		stack_clear(out);
		return -1;
	}
	out->field = f->name;
	out->values = (int64_t)out->n;
	if (out->n)
		qsort(out->rows, out->n, sizeof *out->rows, cmp_counts);
	return 0;
}
