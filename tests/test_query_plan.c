/*
 * test_query_plan.c: which index an "and" of pivot terms walks. The
 * values are bound parameters, so SQLite's planner cannot tell a rare
 * user from a busy IP address; the filter compiler counts the terms and
 * leaves only the rarest one its index (filter_sql.c: pivot_choice). A
 * case of 20,000 events where the user is the rare term of some filters
 * and the IP address of others, in both orders of the terms, with terms
 * under the exact count's cap (100 events) and over it (a sample
 * decides: 2,858 against 17,000): each filter must walk the rare term's
 * index and still find exactly its events. Then the texts and places
 * of many value ids read in one statement (as hunts ask for them) against
 * the same ids read one at a time.
 */
#include "testutil.h"

#include "ingest.h"
#include "ipgeo.h"
#include "query.h"
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

static int setup(void **state)
{
	struct pcase *p = calloc(1, sizeof *p);
	p->dir = tmpdir_new();
	struct util_buf b = { 0 };
	for (int i = 0; i < NEV; i++)
		util_buf_printf(&b,
				"{\"CreationTime\":\"2023-06-%02dT%02d:%02d:%02d\",\"Id\":\"00000000-0000-4000-8000-%012d\","
				"\"Operation\":\"MailItemsAccessed\",\"RecordType\":50,\"ResultStatus\":\"Succeeded\","
				"\"Workload\":\"Exchange\",\"UserId\":\"%s\",\"AppId\":\"00000002-0000-0ff1-ce00-000000000000\","
				"\"ClientIP\":\"%s\"}\n",
				1 + i / 3600 % 28, i / 60 % 60 % 24, i % 60, i * 7 % 60, i, user_of(i),
				ip_of(i));
	char *path = write_file(p->dir, "plan.jsonl", b.p, b.n);
	free(b.p);
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
		free(p);
		return -1;
	}
	free(path);
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

/* The index SQLite walks for the first page of filter, and the count. */
static char *plan_of(struct store *st, const char *filter, int64_t *count)
{
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(st, filter, &q, &cause), 0);
	char *sql =
		xasprintf("EXPLAIN QUERY PLAN SELECT e.id FROM events e WHERE (%s) ORDER BY e.ts, e.id LIMIT 51",
			  query_sql_where(q));
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	free(sql);
	assert_int_equal(query_sql_bind(q, s), SQLITE_OK);
	char *index = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 3);
		const char *u = d ? strstr(d, "USING INDEX ") : NULL;
		if (u && !index) {
			u += strlen("USING INDEX ");
			index = xstrndup(u, strcspn(u, " "));
		}
	}
	sqlite3_finalize(s);
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
	return index ? index : xstrdup("");
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

/* One term under the exact count's cap: it is counted, and chosen. */
static void test_rare_term_counted(void **state)
{
	struct pcase *p = *state;
	check(p->st, "rare@contoso.com", "10.0.0.1", "ev_user");
	check(p->st, "dense@contoso.com", "10.9.9.9", "ev_ip");
}

/* Every term over the cap: the sample of the case decides. */
static void test_dense_terms_sampled(void **state)
{
	struct pcase *p = *state;
	check(p->st, "other@contoso.com", "10.0.0.1", "ev_user");
	check(p->st, "dense@contoso.com", "10.0.0.2", "ev_ip");
}

/* A single pivot, or a term beside it that is no pivot, is SQLite's. */
static void test_single_pivot(void **state)
{
	struct pcase *p = *state;
	int64_t n;
	char *got = plan_of(p->st, "ip=10.0.0.2 op=MailItemsAccessed,Send", &n);
	assert_string_equal(got, "ev_ip");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rare_term_counted),
		cmocka_unit_test(test_dense_terms_sampled),
		cmocka_unit_test(test_single_pivot),
		cmocka_unit_test(test_many_ids),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
