/*
 * test_query_plan.c: which pivot list drives an "and" of pivot terms.
 * The timeline of user=, app=, ip=, op= and session= comes from the
 * posting lists of their values (pivots.c); of several such terms the
 * filter compiler counts each (pivot_count, exact) and lets the one with
 * the fewest events drive (filter_sql.c: choose_drive). A case of 20,000
 * events where the user is the rare term of some filters and the IP
 * address of others, in both orders of the terms, with rare terms (100
 * events) and dense ones (2,858 against 17,000): each filter must be
 * driven by the rare term's list and still find exactly its events.
 * Then the texts and places of many value ids read in one statement (as
 * hunts ask for them) against the same ids read one at a time.
 *
 * Whatever term drives, the rows must be the filter's: a second case of
 * 6,000 events whose values have every kind of rarity (a handful, a few
 * hundred, half the case; spread over the whole time, or only at its
 * start, its end or its middle; ids out of time order; two events a
 * second), and every pair and triple of them (and four terms), with a
 * value the case lacks and a term of two values, paged forward and back
 * in pages of 37: the same events in the same order as the generator
 * made to match, and as SQLite finds with every index off.
 *
 * On a case of several load windows (40,000 events), which lists a
 * conjunction intersects and which terms it tests on the joined events
 * (a term that would spare few lookups for many entries decoded), and
 * every combination of 2 to 4 terms paged both ways as SQLite finds it.
 *
 * And a list may hold entries of events that are gone: a third case
 * whose every third event was replaced by a richer copy from a second
 * export. Its filters (one value, several, with time bounds, with other
 * terms) page both ways, count, rank, jump to a time and count by time
 * bucket exactly as SQLite finds with every index off.
 */
#include "testutil.h"

#include "ingest.h"
#include "ipgeo.h"
#include "query.h"
#include "query_walk.h"
#include "store.h"
#include "util.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

#define NEV 20000

struct pcase {
	char *dir;
	struct store *st;
};

static const char *user_of(int i)
{
	if (i % 5 == 1 && i < 500)
		return "rare@contoso.com";
	return i % 5 == 0 ? "other@contoso.com" : "dense@contoso.com";
}

static const char *ip_of(int i)
{
	if (i % 7 == 1 && i < 700)
		return "10.9.9.9";
	return i % 7 == 0 ? "10.0.0.2" : "10.0.0.1";
}

/* A new case in p->dir holding the JSON Lines in b (freed), indexed;
 * -1 (said on stderr, p's folder removed) when it cannot be made. */
static int case_of(struct pcase *p, struct util_buf *b)
{
	p->dir = tmpdir_new();
	char *path = write_file(p->dir, "plan.jsonl", b->p, b->n);
	free(b->p);
	char casep[4096];
	snprintf(casep, sizeof casep, "%s/t.case", p->dir);
	char *cause = NULL;
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (store_open(casep, STORE_CREATE, &p->st, &cause) < 0 ||
	    ingest_paths(p->st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(p->st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause ? cause : "?");
		free(cause);
		free(path);
		store_close(p->st);
		tmpdir_remove(p->dir);
		free(p->dir);
		return -1;
	}
	free(path);
	return 0;
}

static int setup(void **state)
{
	struct pcase *p = calloc(1, sizeof *p);
	struct util_buf b = { 0 };
	for (int i = 0; i < NEV; i++)
		util_buf_printf(&b,
				"{\"CreationTime\":\"2023-06-%02dT%02d:%02d:%02d\",\"Id\":\"00000000-0000-4000-8000-%012d\","
				"\"Operation\":\"MailItemsAccessed\",\"RecordType\":50,\"ResultStatus\":\"Succeeded\","
				"\"Workload\":\"Exchange\",\"UserId\":\"%s\",\"AppId\":\"00000002-0000-0ff1-ce00-000000000000\","
				"\"ClientIP\":\"%s\"}\n",
				1 + i / 3600 % 28, i / 60 % 60 % 24, i % 60, i * 7 % 60, i, user_of(i),
				ip_of(i));
	if (case_of(p, &b) < 0) {
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pcase *p = *state;
	store_close(p->st);
	tmpdir_remove(p->dir);
	free(p->dir);
	free(p);
	return 0;
}

/* The field whose pivot lists drive filter's pages ("" none); when
 * several lists are intersected (pivot_and), their fields joined by '&',
 * the driving one first. */
static char *drive_of(struct store *st, const char *filter)
{
	static const char *const cols[] = { "user", "app", "ip", "op", "session" };
	char *cause = NULL;
	struct filter *f = filter_parse(filter, &cause);
	assert_non_null(f);
	struct filter_sql fs;
	assert_int_equal(filter_compile(f, st, 0, &fs, &cause), 0);
	char *out = xstrdup("");
	if (fs.pivot) {
		assert_true(fs.pcol >= FILTER_PARAM_BASE && fs.pcol - FILTER_PARAM_BASE < fs.nbinds);
		int64_t col = fs.binds[fs.pcol - FILTER_PARAM_BASE].i;
		assert_in_range(col, 0, 4);
		free(out);
		out = xstrdup(cols[col]);
	}
	unsigned pt;
	if (fs.pivot && sscanf(fs.pivot, "pivot_and(?%u)", &pt) == 1) {
		/* the terms' blob: for each list its column, its number of
		 * values and the values (int64, little-endian) */
		assert_true(pt >= FILTER_PARAM_BASE && pt - FILTER_PARAM_BASE < fs.nbinds);
		const struct filter_bind *b = &fs.binds[pt - FILTER_PARAM_BASE];
		assert_int_equal(b->type, FB_BLOB);
		const unsigned char *p = (const unsigned char *)b->text;
		size_t k = b->len / 8, at = 0, lists = 0;
		struct util_buf ub = { 0 };
		while (at + 2 <= k) {
			int64_t w[2] = { 0, 0 };
			for (int j = 0; j < 2; j++)
				for (int y = 7; y >= 0; y--)
					w[j] = (int64_t)((uint64_t)w[j] << 8 |
							 p[8 * (at + (size_t)j) + (size_t)y]);
			assert_in_range(w[0], 0, 4);
			util_buf_printf(&ub, "%s%s", lists++ ? "&" : "", cols[w[0]]);
			at += 2 + (size_t)w[1];
		}
		assert_int_equal(at, k);
		assert_int_equal(lists, fs.nlists);
		assert_true(lists > 1);
		assert_true(!strncmp(util_buf_str(&ub), out, strlen(out))); /* the driving one first */
		free(out);
		out = util_buf_take(&ub);
	} else if (fs.pivot) {
		assert_int_equal(fs.nlists, 1);
	}
	filter_sql_clear(&fs);
	filter_free(f);
	return out;
}

/* The field whose lists drive filter's pages, and the count. */
static char *plan_of(struct store *st, const char *filter, int64_t *count)
{
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(st, filter, &q, &cause), 0);
	char *index = drive_of(st, filter);
	struct query_count c;
	assert_int_equal(query_count(q, -1, &c, &cause), 0);
	assert_true(c.exact);
	*count = c.n;
	/* the pages find the same events */
	struct query_page pg = { 0 };
	int64_t seen = 0;
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 1000, &pg, &cause), 0);
	for (;;) {
		seen += (int64_t)pg.n;
		if (pg.at_end || !pg.n)
			break;
		struct query_pos pos = { pg.rows[pg.n - 1].ts, pg.rows[pg.n - 1].id };
		assert_int_equal(query_page(q, QUERY_AFTER, &pos, 1000, &pg, &cause), 0);
	}
	assert_int_equal(seen, c.n);
	query_page_free(&pg);
	query_free(q);
	return index;
}

static int64_t expect(const char *user, const char *ip)
{
	int64_t n = 0;
	for (int i = 0; i < NEV; i++)
		n += !strcmp(user_of(i), user) && !strcmp(ip_of(i), ip);
	return n;
}

static void check(struct store *st, const char *user, const char *ip, const char *index)
{
	char *f[2] = { xasprintf("user=%s ip=%s", user, ip), xasprintf("ip=%s user=%s", ip, user) };
	for (int i = 0; i < 2; i++) {
		int64_t n;
		char *got = plan_of(st, f[i], &n);
		if (strcmp(got, index))
			fprintf(stderr, "%s: walks %s, want %s\n", f[i], got, index);
		assert_string_equal(got, index);
		assert_int_equal(n, expect(user, ip));
		free(got);
		free(f[i]);
	}
}

/* One term rare: its list drives. */
static void test_rare_term_counted(void **state)
{
	struct pcase *p = *state;
	/* (the other term holds most of the case: the rare term's 100
	 * events are tested on it, its ~15,000 entries not decoded) */
	check(p->st, "rare@contoso.com", "10.0.0.1", "user");
	check(p->st, "dense@contoso.com", "10.9.9.9", "ip");
}

/* Both terms dense: the exact counts decide. */
static void test_dense_terms_sampled(void **state)
{
	struct pcase *p = *state;
	check(p->st, "other@contoso.com", "10.0.0.1", "user&ip");
	check(p->st, "dense@contoso.com", "10.0.0.2", "ip&user");
}

/* A term of two values is a pivot term too (its lists merged); the
 * rarer one drives. */
static void test_single_pivot(void **state)
{
	struct pcase *p = *state;
	int64_t n;
	/* (the operations are every event's: nothing to intersect) */
	char *got = plan_of(p->st, "ip=10.0.0.2 op=MailItemsAccessed,Send", &n);
	assert_string_equal(got, "ip");
	assert_int_equal(n, expect("dense@contoso.com", "10.0.0.2") + expect("other@contoso.com", "10.0.0.2") +
				    expect("rare@contoso.com", "10.0.0.2"));
	free(got);
}

/* Names and places of many ids at once (one statement over all of them,
 * as hunts ask) are those of the ids asked one at a time, in order, with
 * 0, unknown and repeated ids. */
static void test_many_ids(void **state)
{
	struct pcase *p = *state;
	sqlite3 *db = store_db(p->st);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT OR REPLACE INTO ipgeo(val, country, asn, as_org, label)"
				      " SELECT id, 'C' || id, id * 10, 'Org ' || id, NULL FROM vals",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	int64_t ids[24];
	size_t n = 0;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM vals ORDER BY id DESC LIMIT 10", -1, &s, NULL),
			 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	assert_true(n >= 5);
	ids[n++] = 0;
	ids[n++] = 1 << 30; /* no such value */
	ids[n++] = ids[0];
	ids[n++] = ids[2];
	char *many[24], *one[24];
	char *cause = NULL;
	assert_int_equal(store_value_texts(p->st, "user", ids, n, many, &cause), 0);
	struct ipgeo_row gm[24], go[24];
	assert_int_equal(ipgeo_of_ids(p->st, ids, n, gm, &cause), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(store_value_texts(p->st, "user", &ids[i], 1, &one[i], &cause), 0);
		assert_int_equal(ipgeo_of_ids(p->st, &ids[i], 1, &go[i], &cause), 0);
		if (!one[i]) {
			assert_null(many[i]);
		} else {
			assert_non_null(many[i]);
			assert_string_equal(many[i], one[i]);
		}
		assert_true((gm[i].country == NULL) == (go[i].country == NULL));
		if (go[i].country) {
			assert_string_equal(gm[i].country, go[i].country);
			assert_string_equal(gm[i].as_org, go[i].as_org);
		}
		assert_int_equal(gm[i].asn, go[i].asn);
		free(many[i]);
		free(one[i]);
		ipgeo_row_clear(&gm[i]);
		ipgeo_row_clear(&go[i]);
	}
	assert_true(n >= 8); /* the many path */
}

/* ---- every combination of terms of every rarity ---- */

#define MEV 6000 /* the second case's events */

struct mcase {
	struct pcase c;
	int64_t id[MEV]; /* the case's event id of generated event i */
};

/* Event i's slot in time: a permutation of 0..MEV-1, so that ids are out
 * of time order; two events share each second. */
static int slot_of(int i)
{
	return (int)((int64_t)i * 37 % MEV);
}

static const char *m_user(int i)
{
	int k = slot_of(i);
	if (i % 401 == 7)
		return "rare@contoso.com"; /* 15, spread */
	if (k < 600 && i % 3 == 0)
		return "early@contoso.com"; /* at the start only */
	if (k >= 5400 && i % 3 == 1)
		return "late@contoso.com"; /* at the end only */
	return i % 2 ? "odd@contoso.com" : "even@contoso.com";
}

static const char *m_app(int i)
{
	int k = slot_of(i);
	if (k >= 2800 && k < 3200 && i % 2 == 0)
		return "44444444-0000-0000-0000-000000000004"; /* the middle only */
	if (i % 29 == 3)
		return "11111111-0000-0000-0000-000000000001";
	if (i % 5 == 2)
		return "22222222-0000-0000-0000-000000000002";
	return "33333333-0000-0000-0000-000000000003"; /* most */
}

static const char *m_ip(int i)
{
	int k = slot_of(i);
	if (i % 13 == 5)
		return "10.1.1.1";
	if (k < 1500)
		return "10.2.2.2";
	return i % 3 ? "10.3.3.3" : "10.4.4.4";
}

static const char *m_op(int i)
{
	return i % 7 == 0 ? "Send" : i % 257 == 1 ? "New-InboxRule" : "MailItemsAccessed";
}

static int m_setup(void **state)
{
	struct mcase *m = calloc(1, sizeof *m);
	struct util_buf b = { 0 };
	for (int i = 0; i < MEV; i++) {
		int sec = slot_of(i) / 2;
		util_buf_printf(&b,
				"{\"CreationTime\":\"2023-06-01T%02d:%02d:%02d\",\"Id\":\"00000000-0000-4000-8000-%012d\","
				"\"Operation\":\"%s\",\"RecordType\":50,\"ResultStatus\":\"Succeeded\","
				"\"Workload\":\"Exchange\",\"UserId\":\"%s\",\"AppId\":\"%s\",\"ClientIP\":\"%s\"}\n",
				sec / 3600, sec / 60 % 60, sec % 60, i, m_op(i), m_user(i), m_app(i), m_ip(i));
	}
	if (case_of(&m->c, &b) < 0) {
		free(m);
		return -1;
	}
	/* which case event each generated one became */
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(store_db(m->c.st), "SELECT id, rid_text(record_id) FROM events",
					    -1, &s, NULL),
			 SQLITE_OK);
	int n = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *rid = (const char *)sqlite3_column_text(s, 1);
		int i = atoi(rid + strlen(rid) - 12);
		assert_true(i >= 0 && i < MEV);
		m->id[i] = sqlite3_column_int64(s, 0);
		n++;
	}
	sqlite3_finalize(s);
	assert_int_equal(n, MEV);
	*state = m;
	return 0;
}

static int m_teardown(void **state)
{
	struct mcase *m = *state;
	store_close(m->c.st);
	tmpdir_remove(m->c.dir);
	free(m->c.dir);
	free(m);
	return 0;
}

/* A term: field, the generator's function for it, and one value or two
 * separated by a comma. */
struct term {
	const char *field;
	const char *(*of)(int);
	const char *vals;
};

static bool term_has(const struct term *t, int i)
{
	const char *v = t->of(i);
	const char *comma = strchr(t->vals, ',');
	if (!comma)
		return !strcmp(v, t->vals);
	size_t len = (size_t)(comma - t->vals);
	return (strlen(v) == len && !strncmp(v, t->vals, len)) || !strcmp(v, comma + 1);
}

/* Event i's slot, then its id: the timeline's order (two events a
 * second, ids out of time order: slot/2 is the second, and within one
 * second the id decides) */
static const struct mcase *sorting;

static int by_time(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int sx = slot_of(x) / 2, sy = slot_of(y) / 2;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return sorting->id[x] < sorting->id[y] ? -1 : sorting->id[x] > sorting->id[y];
}

/* The ids of the generated events every term matches, in timeline
 * order, into want; their number. */
static size_t expected(const struct mcase *m, const struct term *const *t, size_t nt, int64_t *want)
{
	int *ev = xcalloc(MEV, sizeof *ev);
	size_t n = 0;
	for (int i = 0; i < MEV; i++) {
		bool all = true;
		for (size_t k = 0; k < nt && all; k++)
			all = term_has(t[k], i);
		if (all)
			ev[n++] = i;
	}
	sorting = m;
	qsort(ev, n, sizeof *ev, by_time);
	for (size_t i = 0; i < n; i++)
		want[i] = m->id[ev[i]];
	free(ev);
	return n;
}

/* The ids SQLite finds for filter with every index switched off. */
static size_t unindexed(struct store *st, const char *filter, int64_t *got)
{
	char *cause = NULL;
	struct filter *f = filter_parse(filter, &cause);
	assert_non_null(f);
	struct filter_sql fs;
	assert_int_equal(filter_compile(f, st, FILTER_SQL_NOINDEX, &fs, &cause), 0);
	char *sql = xasprintf("SELECT e.id FROM events e WHERE %s ORDER BY e.ts, e.id", fs.where);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(filter_sql_bind(&fs, s), SQLITE_OK);
	size_t n = 0;
	while (sqlite3_step(s) == SQLITE_ROW)
		got[n++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	free(sql);
	filter_sql_clear(&fs);
	filter_free(f);
	return n;
}

static const struct term users[] = {
	{ "user", m_user, "rare@contoso.com" },
	{ "user", m_user, "early@contoso.com" },
	{ "user", m_user, "late@contoso.com" },
	{ "user", m_user, "odd@contoso.com" },
	{ "user", m_user, "even@contoso.com" },
	{ "user", m_user, "nobody@contoso.com" },
	{ "user", m_user, "rare@contoso.com,late@contoso.com" },
};
static const struct term apps[] = {
	{ "app", m_app, "44444444-0000-0000-0000-000000000004" },
	{ "app", m_app, "11111111-0000-0000-0000-000000000001" },
	{ "app", m_app, "22222222-0000-0000-0000-000000000002" },
	{ "app", m_app, "33333333-0000-0000-0000-000000000003" },
};
static const struct term ips[] = {
	{ "ip", m_ip, "10.1.1.1" },
	{ "ip", m_ip, "10.2.2.2" },
	{ "ip", m_ip, "10.3.3.3" },
	{ "ip", m_ip, "10.4.4.4,10.1.1.1" },
};
static const struct term ops[] = {
	{ "op", m_op, "New-InboxRule" },
	{ "op", m_op, "Send" },
	{ "op", m_op, "MailItemsAccessed" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* One combination: the generator's events, SQLite's without indexes, and
 * the query's pages forward and back (query_walk: 37 a page) and count
 * all agree, in both orders of the terms. Its matches; *empty counts the
 * combinations that have none. */
static size_t combo(struct mcase *m, const struct term *const *t, size_t nt, size_t *empty)
{
	int64_t *want = xcalloc(MEV, sizeof *want), *got = xcalloc(MEV, sizeof *got);
	size_t n = expected(m, t, nt, want);
	for (int r = 0; r < 2; r++) {
		struct util_buf b = { 0 };
		for (size_t k = 0; k < nt; k++) {
			const struct term *x = t[r ? nt - 1 - k : k];
			util_buf_printf(&b, "%s%s=%s", k ? " " : "", x->field, x->vals);
		}
		char *f = util_buf_take(&b);
		assert_int_equal(unindexed(m->c.st, f, got), n);
		assert_memory_equal(got, want, n * sizeof *want);
		query_walk(m->c.st, f, want, n, 37);
		free(f);
	}
	free(want);
	free(got);
	*empty += n == 0;
	return n;
}

/* Every pair of the terms of a and b. */
static size_t pairs(struct mcase *m, const struct term *a, size_t na, const struct term *b, size_t nb,
		    size_t *empty)
{
	size_t total = 0;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			total += combo(m, (const struct term *[]){ &a[i], &b[j] }, 2, empty);
	return total;
}

static void test_pairs(void **state)
{
	struct mcase *m = *state;
	size_t empty = 0;
	size_t total = pairs(m, users, N(users), apps, N(apps), &empty) +
		       pairs(m, users, N(users), ips, N(ips), &empty) +
		       pairs(m, ops, N(ops), users, N(users), &empty) +
		       pairs(m, apps, N(apps), ips, N(ips), &empty);
	size_t combos = N(users) * (N(apps) + N(ips) + N(ops)) + N(apps) * N(ips);
	/* neither all empty nor all full */
	assert_true(total > 10000);
	assert_true(empty >= 8 && empty < combos / 2);
}

static void test_triples(void **state)
{
	struct mcase *m = *state;
	size_t total = 0, empty = 0;
	for (size_t a = 0; a < N(users); a++)
		for (size_t b = 0; b < N(apps); b++)
			for (size_t c = 0; c < N(ips); c++)
				total += combo(m, (const struct term *[]){ &users[a], &apps[b], &ips[c] }, 3,
					       &empty);
	/* and four pivots at once, with an operation */
	for (size_t a = 0; a < N(users); a++)
		for (size_t o = 0; o < N(ops); o++)
			total += combo(m, (const struct term *[]){ &users[a], &apps[3], &ips[2], &ops[o] }, 4,
				       &empty);
	assert_true(total > 5000);
}

/* A time term under an "or" or a "not" beside a pivot term bounds
 * nothing: the pivot's list still drives, over all of its time. */
static void test_time_under_or_not(void **state)
{
	struct mcase *m = *state;
	static const char *const f[] = {
		"user=odd@contoso.com (time>=2023-06-01T00:30 or op=Send)",
		"user=odd@contoso.com (op=Send or time>=2023-06-01T00:30)",
		"user=odd@contoso.com not time>=2023-06-01T00:30",
		"user=odd@contoso.com -(time<2023-06-01T00:20)",
		"ip=10.1.1.1 (op=Send or (time>=2023-06-01T00:10 time<2023-06-01T00:40))",
		"ip=10.1.1.1 time<2023-06-01T00:40 (op=Send or time>=2023-06-01T00:10)",
	};
	int64_t *got = xcalloc(MEV, sizeof *got);
	for (size_t i = 0; i < N(f); i++) {
		size_t n = unindexed(m->c.st, f[i], got);
		assert_true(n > 0);
		query_walk(m->c.st, f[i], got, n, 37);
	}
	free(got);
}

/* Record id terms (id=: their events through ridx, found at once) alone,
 * beside others, negated and under an "or". */
static void test_record_ids(void **state)
{
	struct mcase *m = *state;
	static const char *const f[] = {
		"id=00000000-0000-4000-8000-000000000042",
		"id=00000000-0000-4000-8000-000000000042,00000000-0000-4000-8000-000000005000",
		"id=00000000-0000-4000-8000-000000000042,00000000-0000-4000-8000-000000005000 op=MailItemsAccessed",
		"user=odd@contoso.com id=00000000-0000-4000-8000-000000000043",
		"id=00000000-0000-4000-8000-000000000042 time>=2023-06-01T00:00",
		"(id=00000000-0000-4000-8000-000000000042 or op=Send)",
		"op=Send -id=00000000-0000-4000-8000-000000000007",
		"id=no-such-id",
	};
	int64_t *got = xcalloc(MEV, sizeof *got);
	for (size_t i = 0; i < N(f); i++) {
		size_t n = unindexed(m->c.st, f[i], got);
		assert_true(n > 0 || strstr(f[i], "no-such") || strstr(f[i], "user="));
		query_walk(m->c.st, f[i], got, n, 37);
	}
	free(got);
}

/* ---- lists with entries of replaced events ---- */

#define REV 3000 /* the third case's events */

/* event i of the third case: three users, two operations, and in the
 * second export (every fourth event, richer) an address and an app */
static const char *r_user(int i)
{
	return i % 3 == 0 ? "x@contoso.com" : i % 3 == 1 ? "y@contoso.com" : "z@contoso.com";
}

static void r_event(struct util_buf *b, int i, bool rich)
{
	int sec = (int)((int64_t)i * 37 % REV) / 2; /* ids out of time order, two events a second */
	util_buf_printf(b,
			"{\"CreationTime\":\"2023-06-01T%02d:%02d:%02d\",\"Id\":\"00000000-0000-4000-8000-%012d\","
			"\"Operation\":\"%s\",\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"%s\"",
			sec / 3600, sec / 60 % 60, sec % 60, i, i % 5 == 0 ? "Send" : "MailItemsAccessed",
			r_user(i));
	if (rich)
		util_buf_printf(b,
				",\"ClientIP\":\"10.0.0.%d\",\"AppId\":\"00000002-0000-0ff1-ce00-000000000000\"",
				1 + i / 4 % 2);
	util_buf_puts(b, "}\n");
}

static int r_setup(void **state)
{
	struct pcase *p = calloc(1, sizeof *p);
	struct util_buf a = { 0 }, b = { 0 };
	for (int i = 0; i < REV; i++)
		r_event(&a, i, false);
	for (int i = 1; i < REV; i += 4)
		r_event(&b, i, true);
	if (case_of(p, &a) < 0) {
		free(b.p);
		free(p);
		return -1;
	}
	char *path = write_file(p->dir, "richer.jsonl", b.p, b.n);
	free(b.p);
	char *cause = NULL;
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	int r = ingest_paths(p->st, paths, 1, &o, &t, &cause);
	free(path);
	if (r < 0) {
		fprintf(stderr, "%s\n", cause ? cause : "?");
		free(cause);
		return -1;
	}
	*state = p;
	return 0;
}

/* The (ts, id) SQLite finds for filter with every index off. */
static size_t unindexed_ts(struct store *st, const char *filter, int64_t *ids, int64_t *ts)
{
	char *cause = NULL;
	struct filter *f = filter_parse(filter, &cause);
	assert_non_null(f);
	struct filter_sql fs;
	assert_int_equal(filter_compile(f, st, FILTER_SQL_NOINDEX, &fs, &cause), 0);
	char *sql = xasprintf("SELECT e.id, e.ts FROM events e WHERE %s ORDER BY e.ts, e.id", fs.where);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(filter_sql_bind(&fs, s), SQLITE_OK);
	size_t n = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(s, 0);
		ts[n++] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	free(sql);
	filter_sql_clear(&fs);
	filter_free(f);
	return n;
}

/* One filter of the third case: pages both ways and the count
 * (query_walk), the rank of every 7th match, a jump to the time of
 * each 11th, and counts by time bucket, against SQLite's. */
static void replaced_one(struct pcase *p, const char *filter, const char *drive, size_t at_least)
{
	int64_t *want = xcalloc(REV, sizeof *want), *ts = xcalloc(REV, sizeof *ts);
	size_t n = unindexed_ts(p->st, filter, want, ts);
	assert_true(n >= at_least);
	char *d = drive_of(p->st, filter);
	if (strcmp(d, drive))
		fail_msg("%s: driven by '%s', want '%s'", filter, d, drive);
	free(d);
	query_walk(p->st, filter, want, n, 37);
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(p->st, filter, &q, &cause), 0);
	for (size_t i = 0; i < n; i += 7) {
		int64_t before = -1;
		assert_int_equal(query_rank(q, &(struct query_pos){ ts[i], want[i] }, -1, &before, &cause), 1);
		assert_int_equal(before, (int64_t)i);
	}
	for (size_t i = 0; i < n; i += 11) {
		struct query_pos pos;
		assert_int_equal(query_goto_time(q, ts[i], &pos, &cause), 1);
		size_t k = i;
		while (k > 0 && ts[k - 1] == ts[i])
			k--;
		assert_int_equal(pos.id, want[k]);
	}
	/* events by minute over the case's first hour and a half */
	enum { NB = 90 };
	int64_t counts[NB], expect_c[NB] = { 0 };
	int64_t t0 = 1685577600000; /* 2023-06-01T00:00Z */
	for (size_t i = 0; i < n; i++)
		if (ts[i] >= t0 && ts[i] < t0 + NB * 60000)
			expect_c[(ts[i] - t0) / 60000]++;
	assert_int_equal(query_prepare(q, &cause), 0);
	int r = sqlite_buckets(q, t0, 60000, NB, counts, &cause);
	assert_true(r >= 0);
	if (r > 0)
		assert_memory_equal(counts, expect_c, sizeof counts);
	query_free(q);
	free(want);
	free(ts);
}

static void test_replaced(void **state)
{
	struct pcase *p = *state;
	sqlite3 *db = store_db(p->st);
	replaced_one(p, "user=x@contoso.com", "user", REV / 3);
	/* the richer copies replaced their events: every fourth event's
	 * user and operation lists hold an entry of an event gone */
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT (SELECT count(*) FROM events), (SELECT total(n) FROM pivot_gone WHERE col = 0),"
					    " (SELECT count(*) FROM pivot_rows(0, (SELECT id FROM vals WHERE v = 'x@contoso.com'))),"
					    " (SELECT count(*) FROM events WHERE user = (SELECT id FROM vals WHERE v = 'x@contoso.com'))",
					    -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(s, 0), REV);
	assert_int_equal(sqlite3_column_int64(s, 1), REV / 4);
	assert_true(sqlite3_column_int64(s, 2) > sqlite3_column_int64(s, 3));
	sqlite3_finalize(s);
	replaced_one(p, "user=x@contoso.com,z@contoso.com", "user", REV / 2);
	replaced_one(p, "user=y@contoso.com time>=2023-06-01T00:05 time<2023-06-01T00:20", "user", 100);
	replaced_one(p, "time<2023-06-01T00:07 user=x@contoso.com", "user", 50);
	replaced_one(p, "user=x@contoso.com op=Send", "op&user", 100);
	replaced_one(p, "op=Send user=y@contoso.com ip=10.0.0.2", "ip&op&user", 10);
	/* the intersection within time bounds, and beside a term it does
	 * not serve */
	replaced_one(p, "op=Send user=y@contoso.com ip=10.0.0.2 time>=2023-06-01T00:04 time<2023-06-01T00:18",
		     "ip&op&user", 5);
	replaced_one(p,
		     "time<2023-06-01T00:16 user=x@contoso.com op=Send app=00000002-0000-0ff1-ce00-000000000000",
		     "op&app&user", 10);
	replaced_one(p, "user=x@contoso.com op=Send ip!=10.0.0.1", "op&user", 50);
	replaced_one(p, "ip=10.0.0.1", "ip", REV / 8);
	replaced_one(p, "ip=10.0.0.1 time>=2023-06-01T00:10", "ip", 50);
	replaced_one(p, "user~^[xy]@ op=MailItemsAccessed", "user&op", REV / 2);
	replaced_one(p, "user=nobody@contoso.com", "", 0);
	replaced_one(p, "user!=x@contoso.com time>=2023-06-01T00:15", "", 100);
}

/* ---- a case of several load windows ---- */

#define WEV 40000 /* events: three of the load's windows of 16,384 */

static const char *w_user(int i)
{
	if (i == 12345)
		return "one@contoso.com";
	if (i % 50 == 7)
		return "u7@contoso.com"; /* 800 */
	return i % 2 ? "odd@contoso.com" : "even@contoso.com";
}

static const char *w_app(int i)
{
	if (i % 20 == 19)
		return "cccccccc-0000-0000-0000-00000000000c"; /* 2,000, none at 10.7.7.7 */
	return i % 10 == 3 ? "aaaaaaaa-0000-0000-0000-00000000000a" : "bbbbbbbb-0000-0000-0000-00000000000b";
}

static const char *w_ip(int i)
{
	if (i % 200 == 57)
		return "10.7.7.7";              /* 200, every one u7's */
	return i % 3 ? "10.5.5.5" : "10.6.6.6"; /* two thirds, one third */
}

static const char *w_op(int i)
{
	return i % 4 ? "MailItemsAccessed" : "Send";
}

static int w_setup(void **state)
{
	struct pcase *p = calloc(1, sizeof *p);
	struct util_buf b = { 0 };
	for (int i = 0; i < WEV; i++) {
		int sec = (int)((int64_t)i * 7919 % WEV); /* ids out of time order */
		util_buf_printf(&b,
				"{\"CreationTime\":\"2023-06-01T%02d:%02d:%02d\",\"Id\":\"00000000-0000-4000-8000-%012d\","
				"\"Operation\":\"%s\",\"RecordType\":50,\"ResultStatus\":\"Succeeded\","
				"\"Workload\":\"Exchange\",\"UserId\":\"%s\",\"AppId\":\"%s\",\"ClientIP\":\"%s\"}\n",
				sec / 3600, sec / 60 % 60, sec % 60, i, w_op(i), w_user(i), w_app(i), w_ip(i));
	}
	if (case_of(p, &b) < 0) {
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

/* The first page of filter (its lists read). */
static void page_of(struct store *st, const char *filter)
{
	struct query *q;
	struct query_page pg = { 0 };
	char *cause = NULL;
	assert_int_equal(query_new(st, filter, &q, &cause), 0);
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 50, &pg, &cause), 0);
	query_page_free(&pg);
	query_free(q);
}

/*
 * Which lists are intersected, on a case whose values have chunks in
 * several windows (a busy term not counted to its end is guessed from
 * its entries before its second window): a term that would spare few
 * lookups of events for many entries decoded is tested on the events
 * instead. Whatever the plan, every combination of 2, 3 and 4 terms
 * (with a value of one event and one the case lacks) pages forward and
 * back in pages of 37 to exactly what SQLite finds over events with
 * every index off.
 */
static void test_windows(void **state)
{
	struct pcase *p = *state;
	static const struct {
		const char *filter, *plan;
	} plans[] = {
		/* the app thins the user's 800 events to ~80: the address (two
		 * thirds of the case) would spare ~27 lookups for 26,667 entries */
		{ "user=u7@contoso.com app=aaaaaaaa-0000-0000-0000-00000000000a ip=10.5.5.5", "user&app" },
		{ "ip=10.5.5.5 app=aaaaaaaa-0000-0000-0000-00000000000a user=u7@contoso.com", "user&app" },
		{ "user=u7@contoso.com ip=10.6.6.6", "user&ip" },
		{ "user=u7@contoso.com op=MailItemsAccessed", "user" },
		{ "user=one@contoso.com ip=10.5.5.5 op=Send", "user" },
		/* the address's 200 events are all u7's: taken as independent,
		 * the user's list left ~4 candidates and the app's (2,000
		 * entries) was left out for them, where the page joins all 200;
		 * the square root of the user's share leaves 28, and the app's
		 * list is read */
		{ "user=u7@contoso.com app=cccccccc-0000-0000-0000-00000000000c ip=10.7.7.7", "ip&user&app" },
	};
	/* (twice: the second time after a page of each, the terms counted
	 * from the lists' cache of chunk rows, pivots.c: pivot_cached) */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < N(plans); i++) {
			char *got = drive_of(p->st, plans[i].filter);
			if (strcmp(got, plans[i].plan))
				fprintf(stderr, "%s: walks %s, want %s\n", plans[i].filter, got, plans[i].plan);
			assert_string_equal(got, plans[i].plan);
			free(got);
			if (pass == 0)
				page_of(p->st, plans[i].filter);
		}
	static const char *const wusers[] = { "u7@contoso.com", "one@contoso.com", "nobody@contoso.com",
					      "odd@contoso.com" };
	static const char *const rest[] = {
		"app=aaaaaaaa-0000-0000-0000-00000000000a",
		"ip=10.5.5.5",
		"ip=10.6.6.6",
		"app=aaaaaaaa-0000-0000-0000-00000000000a ip=10.5.5.5",
		"app=bbbbbbbb-0000-0000-0000-00000000000b ip=10.6.6.6",
		"app=aaaaaaaa-0000-0000-0000-00000000000a ip=10.5.5.5 op=Send",
		"ip=10.5.5.5 op=MailItemsAccessed app=bbbbbbbb-0000-0000-0000-00000000000b",
		"ip=10.9.9.9 app=aaaaaaaa-0000-0000-0000-00000000000a",
		"ip=10.7.7.7 app=cccccccc-0000-0000-0000-00000000000c",
		"app=cccccccc-0000-0000-0000-00000000000c ip=10.7.7.7 op=Send",
	};
	int64_t *got = xcalloc(WEV, sizeof *got);
	size_t total = 0;
	for (size_t u = 0; u < N(wusers); u++)
		for (size_t r = 0; r < N(rest); r++)
			for (int first = 0; first < 2; first++) {
				char *f = first ? xasprintf("user=%s %s", wusers[u], rest[r])
						: xasprintf("%s user=%s", rest[r], wusers[u]);
				size_t n = unindexed(p->st, f, got);
				query_walk(p->st, f, got, n, 37);
				total += n;
				free(f);
			}
	assert_true(total > 10000);
	free(got);
}

/* Statements kept prepared with the store (stmtpool.c): a text taken
 * twice at once gives two statements, one given back is given out again
 * (reset, its bindings cleared), and two queries of one filter paged in
 * turn (their page SELECTs the same text) each find the filter's events,
 * as does a query of it after the rows it shows have changed. */
static void test_pooled_statements(void **state)
{
	struct pcase *p = *state;
	const char *sql = "SELECT ?1, count(*) FROM events";
	sqlite3_stmt *a, *b, *c;
	assert_int_equal(sqlite_stmt_take(p->st, sql, &a), SQLITE_OK);
	assert_int_equal(sqlite_stmt_take(p->st, sql, &b), SQLITE_OK);
	assert_ptr_not_equal(a, b);
	sqlite3_bind_int(a, 1, 7);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW); /* left mid-way */
	sqlite_stmt_give(p->st, a);
	assert_int_equal(sqlite_stmt_take(p->st, sql, &c), SQLITE_OK);
	assert_ptr_equal(c, a);
	assert_int_equal(sqlite3_step(c), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(c, 0), SQLITE_NULL);
	assert_int_equal(sqlite3_column_int64(c, 1), NEV);
	sqlite_stmt_give(p->st, c);
	sqlite_stmt_give(p->st, b);
	/* more texts than the pool keeps: the oldest are finalized (the
	 * store's close finds none left open) */
	for (int i = 0; i < 40; i++) {
		char *t = xasprintf("SELECT %d", i);
		assert_int_equal(sqlite_stmt_take(p->st, t, &a), SQLITE_OK);
		sqlite_stmt_give(p->st, a);
		free(t);
	}

	const char *f = "user=rare@contoso.com ip=10.0.0.1";
	int64_t want = expect("rare@contoso.com", "10.0.0.1");
	struct query *q[2];
	struct query_page pg[2] = { { 0 }, { 0 } };
	int64_t seen[2] = { 0, 0 };
	char *cause = NULL;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(query_new(p->st, f, &q[i], &cause), 0);
		assert_int_equal(query_page(q[i], QUERY_FIRST, NULL, 7, &pg[i], &cause), 0);
	}
	for (bool more = true; more;) {
		more = false;
		for (int i = 0; i < 2; i++) {
			if (!pg[i].n)
				continue;
			seen[i] += (int64_t)pg[i].n;
			for (size_t k = 0; k < pg[i].n; k++)
				assert_string_equal(pg[i].rows[k].user, "rare@contoso.com");
			if (pg[i].at_end) {
				query_page_clear(&pg[i]);
				continue;
			}
			struct query_pos pos = { pg[i].rows[pg[i].n - 1].ts, pg[i].rows[pg[i].n - 1].id };
			assert_int_equal(query_page(q[i], QUERY_AFTER, &pos, 7, &pg[i], &cause), 0);
			more = true;
		}
	}
	assert_int_equal(seen[0], want);
	assert_int_equal(seen[1], want);
	for (int i = 0; i < 2; i++) {
		query_page_free(&pg[i]);
		query_free(q[i]);
	}
	/* the rows a kept page SELECT reads are the case's as it is now */
	sqlite3 *db = store_db(p->st);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT OR REPLACE INTO ipgeo(val, country, asn, as_org, label)"
				      " SELECT id, 'QQ', 1, 'Org', NULL FROM vals WHERE v = '10.0.0.1'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(query_new(p->st, f, &q[0], &cause), 0);
	assert_int_equal(query_page(q[0], QUERY_FIRST, NULL, 7, &pg[0], &cause), 0);
	assert_int_equal(pg[0].n, 7);
	assert_string_equal(pg[0].rows[0].country, "QQ");
	query_page_free(&pg[0]);
	query_free(q[0]);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM ipgeo WHERE country = 'QQ'", NULL, NULL, NULL),
			 SQLITE_OK);
}

/* Events [from, from + n) of user and ip, as JSON Lines into b. */
static void lines_of(struct util_buf *b, int from, int n, const char *user, const char *ip)
{
	for (int i = from; i < from + n; i++)
		util_buf_printf(b,
				"{\"CreationTime\":\"2023-07-%02dT%02d:%02d:%02d\",\"Id\":\"00000000-0000-4000-9000-%012d\","
				"\"Operation\":\"MailItemsAccessed\",\"RecordType\":50,\"Workload\":\"Exchange\","
				"\"UserId\":\"%s\",\"ClientIP\":\"%s\"}\n",
				1 + i / 86400 % 28, i / 3600 % 24, i / 60 % 60, i % 60, i, user, ip);
}

/* The JSON Lines in b (freed) loaded into st. */
static void load_more(struct store *st, const char *dir, const char *name, struct util_buf *b)
{
	char *path = write_file(dir, name, b->p, b->n);
	free(b->p);
	*b = (struct util_buf){ 0 };
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	char *cause = NULL;
	if (ingest_paths(st, paths, 1, &o, &t, &cause) < 0)
		fprintf(stderr, "%s\n", cause ? cause : "?");
	assert_null(cause);
	free(path);
}

/*
 * What a compile looks up (value ids, a value's count: filter_sql.c's
 * cache on the connection) follows the case: a value the case lacked,
 * then loaded by another connection, is found; counts that change which
 * term is the rarer, by another connection's load or the connection's
 * own, change which list drives; and the rows are the filter's each time.
 */
static void test_lookups_follow_changes(void **state)
{
	(void)state;
	struct pcase p0 = { 0 }, *p = &p0;
	struct util_buf b = { 0 };
	lines_of(&b, 0, 150, "a@contoso.com", "10.0.0.1");
	lines_of(&b, 150, 50, "b@contoso.com", "10.0.0.2");
	assert_int_equal(case_of(p, &b), 0);
	b = (struct util_buf){ 0 }; /* (case_of freed its text) */
	const char *f = "user=new@contoso.com ip=10.0.0.1";
	for (int again = 0; again < 2; again++) {
		int64_t n;
		char *got = plan_of(p->st, f, &n);
		assert_int_equal(n, 0);
		free(got);
	}
	/* another connection: 400 events of the new user at .1, 1,000 more
	 * elsewhere (the user 1,400, the address 550: the address drives) */
	char casep[4096];
	snprintf(casep, sizeof casep, "%s/t.case", p->dir);
	struct store *other;
	char *cause = NULL;
	assert_int_equal(store_open(casep, 0, &other, &cause), 0);
	lines_of(&b, 1000, 400, "new@contoso.com", "10.0.0.1");
	lines_of(&b, 2000, 1000, "new@contoso.com", "10.0.0.9");
	load_more(other, p->dir, "more.jsonl", &b);
	store_close(other);
	for (int again = 0; again < 2; again++) {
		int64_t n;
		char *got = plan_of(p->st, f, &n);
		assert_int_equal(n, 400);
		assert_true(!strncmp(got, "ip", 2));
		free(got);
	}
	/* the connection's own load: the address 3,550, the user drives */
	lines_of(&b, 5000, 3000, "c@contoso.com", "10.0.0.1");
	load_more(p->st, p->dir, "own.jsonl", &b);
	for (int again = 0; again < 2; again++) {
		int64_t n;
		char *got = plan_of(p->st, f, &n);
		assert_int_equal(n, 400);
		assert_true(!strncmp(got, "user", 4));
		free(got);
	}
	store_close(p->st);
	tmpdir_remove(p->dir);
	free(p->dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rare_term_counted),
		cmocka_unit_test(test_dense_terms_sampled),
		cmocka_unit_test(test_single_pivot),
		cmocka_unit_test(test_many_ids),
		cmocka_unit_test(test_pooled_statements),
		cmocka_unit_test(test_lookups_follow_changes),
		/* each on a case of its own (one group: tests/run.sh counts
		 * the last PASSED line of a binary) */
		cmocka_unit_test_setup_teardown(test_windows, w_setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairs, m_setup, m_teardown),
		cmocka_unit_test_setup_teardown(test_triples, m_setup, m_teardown),
		cmocka_unit_test_setup_teardown(test_time_under_or_not, m_setup, m_teardown),
		cmocka_unit_test_setup_teardown(test_record_ids, m_setup, m_teardown),
		cmocka_unit_test_setup_teardown(test_replaced, r_setup, teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
