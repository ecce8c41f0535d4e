/*
 * test_query.c: the query engine on a case built from the generated
 * sample bundle (auditgen --bundle, with its planted intrusion): pages by
 * keyset in both directions against the order SQLite gives, counts,
 * stacks, messages and histograms, asserting the planted facts read from
 * the bundle's manifest, and cancellation through the progress callback.
 */
#include "testutil.h"

#include <ctype.h>
#include <jansson.h>

#include "histogram.h"
#include "ingest.h"
#include "messages.h"
#include "query.h"
#include "query_walk.h"
#include "stack.h"
#include "store.h"
#include "timeparse.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

struct demo {
	char *dir;
	struct store *st;
	json_t *manifest, *planted;
};

static int setup(void **state)
{
	struct demo *d = calloc(1, sizeof *d);
	d->dir = tmpdir_new();
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char cmd[8192], path[4096];
	snprintf(cmd, sizeof cmd, "'%s/auditgen' --bundle '%s/bundle' >/dev/null", build, d->dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot run %s/auditgen (make it first)\n", build);
		goto fail;
	}
	snprintf(path, sizeof path, "%s/bundle/manifest.json", d->dir);
	d->manifest = json_load_file(path, 0, NULL);
	if (!d->manifest)
		goto fail;
	d->planted = json_object_get(d->manifest, "planted");
	/* the manifest is the answer key, not evidence: out of the bundle */
	char moved[4096];
	snprintf(moved, sizeof moved, "%s/manifest.json", d->dir);
	rename(path, moved);
	snprintf(path, sizeof path, "%s/t.case", d->dir);
	char *cause = NULL;
	if (store_open(path, STORE_CREATE, &d->st, &cause) < 0)
		goto fail;
	snprintf(path, sizeof path, "%s/bundle", d->dir);
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (ingest_paths(d->st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(d->st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		goto fail;
	}
	*state = d;
	return 0;
fail:
	/* teardown does not run after a failed setup */
	store_close(d->st);
	json_decref(d->manifest);
	tmpdir_remove(d->dir);
	free(d->dir);
	free(d);
	return -1;
}

/* The same case with ev_ts as a newest-first load leaves it
 * (events(ts DESC, id DESC), store.c): every reader the same. */
static int setup_desc(void **state)
{
	if (setup(state) < 0)
		return -1;
	struct demo *d = *state;
	char *cause = NULL;
	if (sqlite_ts_index_turn(d->st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct demo *d = *state;
	store_close(d->st);
	json_decref(d->manifest);
	tmpdir_remove(d->dir);
	free(d->dir);
	free(d);
	return 0;
}

static const char *planted(struct demo *d, const char *key)
{
	const char *s = json_string_value(json_object_get(d->planted, key));
	assert_non_null(s);
	return s;
}

/* ids of events in timeline order by plain SQL (cond over events e, one
 * optional bound text). */
static int64_t *truth2(struct demo *d, const char *cond, const char *arg, const char *arg2, size_t *n);

static int64_t *truth(struct demo *d, const char *cond, const char *arg, size_t *n)
{
	return truth2(d, cond, arg, NULL, n);
}

/* the same with two bound texts */
static int64_t *truth2(struct demo *d, const char *cond, const char *arg, const char *arg2, size_t *n)
{
	char *sql = xasprintf("SELECT e.id FROM events e WHERE %s ORDER BY e.ts, e.id", cond);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(store_db(d->st), sql, -1, &s, NULL), SQLITE_OK);
	free(sql);
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (arg2)
		sqlite3_bind_text(s, 2, arg2, -1, SQLITE_TRANSIENT);
	int64_t *ids = NULL;
	size_t cap = 0;
	*n = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		ids = xgrow(ids, &cap, *n + 1, sizeof *ids);
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return ids;
}

static void test_paging(void **state)
{
	struct demo *d = *state;
	size_t n;
	int64_t *ids = truth(d, "1", NULL, &n);
	assert_true(n > 4000);
	query_walk(d->st, "", ids, n, 97);
	free(ids);
	/* an indexed pivot, any case */
	ids = truth(d, "e.user = (SELECT id FROM vals WHERE v = ?1)", planted(d, "compromised_user"), &n);
	assert_true(n > 10);
	char *f = xasprintf("user=%s", planted(d, "compromised_user"));
	for (char *p = f; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	f[0] = 'u', f[1] = 's', f[2] = 'e', f[3] = 'r';
	query_walk(d->st, f, ids, n, 7);
	free(f);
	free(ids);
	/* a sparse filter no index answers: scanned once */
	ids = truth(d, "e.token = (SELECT id FROM vals WHERE v = ?1)", planted(d, "token_id"), &n);
	assert_true(n > 2);
	f = xasprintf("token=%s", planted(d, "token_id"));
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(d->st, f, &q, &cause), 0);
	assert_true(query_needs_scan(q));
	assert_int_equal(query_prepare(q, &cause), 0);
	assert_false(query_needs_scan(q));
	query_free(q);
	query_walk(d->st, f, ids, n, 2);
	free(f);
	free(ids);
	/* an indexed pivot and a raw-record term: the index finds the
	 * candidates, their records are read in id order, once */
	ids = truth(d,
		    "e.user = (SELECT id FROM vals WHERE v = ?1) AND instr(lower(raw_json(e.id)), 'forward') > 0",
		    planted(d, "compromised_user"), &n);
	assert_true(n > 0);
	f = xasprintf("user=%s forward", planted(d, "compromised_user"));
	assert_int_equal(query_new(d->st, f, &q, &cause), 0);
	assert_true(query_needs_scan(q));
	query_free(q);
	query_walk(d->st, f, ids, n, 1);
	free(f);
	free(ids);
	ids = truth(d,
		    "e.user = (SELECT id FROM vals WHERE v = ?1) AND instr(lower(raw_json(e.id)), 'forward') = 0",
		    planted(d, "compromised_user"), &n);
	f = xasprintf("user=%s not forward", planted(d, "compromised_user"));
	query_walk(d->st, f, ids, n, 5);
	free(f);
	free(ids);
	/* two rare values of a pivot field: their lists merged give the
	 * matches in time order, paged without a scan */
	json_t *ips = json_object_get(d->planted, "ips");
	const char *ip1 = json_string_value(json_array_get(ips, 1)),
		   *ip2 = json_string_value(json_array_get(ips, 2));
	ids = truth2(d, "e.ip IN (SELECT id FROM vals WHERE v = ?1 OR v = ?2)", ip1, ip2, &n);
	assert_true(n > 0);
	f = xasprintf("ip=%s,%s", ip1, ip2);
	assert_int_equal(query_new(d->st, f, &q, &cause), 0);
	assert_false(query_needs_scan(q));
	query_free(q);
	query_walk(d->st, f, ids, n, 3);
	free(f);
	free(ids);
	/* a dense filter no index answers: through the ts index */
	ids = truth(d, "e.workload = (SELECT id FROM vals WHERE v = 'Exchange')", NULL, &n);
	assert_true(n > 1000);
	query_walk(d->st, "workload=exchange", ids, n, 500);
	free(ids);
	/* events that share a time keep their id order across pages */
	ids = truth(d, "e.ts IN (SELECT ts FROM events GROUP BY ts HAVING count(*) > 1)", NULL, &n);
	assert_true(n > 10);
	free(ids);
	/* nothing matches */
	query_walk(d->st, "user=nobody@nowhere.example", NULL, 0, 10);
}

static void test_goto(void **state)
{
	struct demo *d = *state;
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(d->st, "op=MailItemsAccessed", &q, &cause), 0);
	struct query_pos pos;
	int64_t at = 0;
	assert_true(time_parse(planted(d, "first_event"), strlen(planted(d, "first_event")), &at));
	assert_int_equal(query_goto_time(q, at, &pos, &cause), 1);
	assert_true(pos.ts >= at);
	/* nothing matching lies between at and pos */
	size_t n;
	char *cond = xasprintf("e.op = (SELECT id FROM vals WHERE v = 'MailItemsAccessed') AND e.ts >= %lld",
			       (long long)at);
	int64_t *ids = truth(d, cond, NULL, &n);
	free(cond);
	assert_true(n > 0);
	assert_int_equal(pos.id, ids[0]);
	free(ids);
	/* past the last event: 0, and the last matching event */
	assert_int_equal(query_goto_time(q, INT64_C(4102444800000), &pos, &cause), 0);
	struct query_page p = { 0 };
	assert_int_equal(query_page(q, QUERY_LAST, NULL, 1, &p, &cause), 0);
	assert_int_equal(pos.id, p.rows[0].id);
	/* QUERY_AT includes the position */
	struct query_pos here = { p.rows[0].ts, p.rows[0].id };
	assert_int_equal(query_page(q, QUERY_AT, &here, 5, &p, &cause), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.rows[0].id, here.id);
	assert_true(p.at_end);
	assert_false(p.at_start);
	assert_string_equal(query_row_get(&p.rows[0], "op"), "MailItemsAccessed");
	assert_string_equal(query_row_get(&p.rows[0], "operation"), "MailItemsAccessed");
	assert_null(query_row_get(&p.rows[0], "nosuch"));
	assert_non_null(p.rows[0].source);
	assert_non_null(p.rows[0].record_id);
	query_page_free(&p);
	query_free(q);
}

static void test_planted_filters(void **state)
{
	struct demo *d = *state;
	json_t *pl = d->planted;
	char *f;
	/* the session reused across IPs: every planted IP behind one session */
	f = xasprintf("session=%s", planted(d, "session_id"));
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(d->st, f, &q, &cause), 0);
	struct stack sk;
	assert_int_equal(stack_run(q, "ip", STACK_COMMON, -1, &sk, &cause), 0);
	json_t *reused = json_object_get(json_array_get(json_object_get(pl, "sessions_reused"), 0), "ips");
	assert_int_equal(sk.n, json_array_size(reused));
	for (size_t i = 0; i < json_array_size(reused); i++) {
		bool found = false;
		for (size_t j = 0; j < sk.n; j++)
			found |= sk.rows[j].value &&
				 !strcmp(sk.rows[j].value, json_string_value(json_array_get(reused, i)));
		assert_true(found);
	}
	stack_clear(&sk);
	query_free(q);
	free(f);
	/* CIDR: the planted IPv4 addresses in 203.0.113.0/24 */
	size_t n;
	int64_t *ids = truth(d, "e.ip IN (SELECT id FROM vals WHERE v LIKE '203.0.113.%')", NULL, &n);
	assert_true(n > 0);
	assert_int_equal(query_count_text(d->st, "ip=203.0.113.0/24", NULL), (int64_t)n);
	free(ids);
	/* the inbox rule's forwarding address, found inside Parameters */
	json_t *rule = json_object_get(pl, "inbox_rule");
	f = xasprintf("json.Parameters.ForwardTo=%s", json_string_value(json_object_get(rule, "forward_to")));
	assert_int_equal(query_new(d->st, f, &q, &cause), 0);
	struct query_page p = { 0 };
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 10, &p, &cause), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.rows[0].record_id, json_string_value(json_object_get(rule, "record_id")));
	query_free(q);
	free(f);
	/* a regex on a value: the same as SQLite's JSON reading it, whether
	 * or not the record's text can be searched first (anchors) */
	ids = truth(d, "json_extract(raw_json(e.id), '$.ClientInfoString') LIKE '%rest%'", NULL, &n);
	assert_true(n > 10);
	assert_int_equal(query_count_text(d->st, "json.ClientInfoString~REST", NULL), (int64_t)n);
	free(ids);
	ids = truth(d, "json_extract(raw_json(e.id), '$.ClientInfoString') LIKE 'client=rest%'", NULL, &n);
	assert_true(n > 10);
	assert_int_equal(query_count_text(d->st, "json.ClientInfoString~^client=rest", NULL), (int64_t)n);
	free(ids);
	/* the same by regex, any case, and by free text */
	assert_int_equal(query_count_text(d->st, "json.parameters.forwardto~PROTON", NULL), 1);
	json_t *fw = json_object_get(pl, "forwarding_smtp");
	f = xasprintf("op=Set-Mailbox \"%s\"", json_string_value(json_object_get(fw, "address")));
	assert_int_equal(query_new(d->st, f, &q, &cause), 0);
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 10, &p, &cause), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.rows[0].record_id, json_string_value(json_object_get(fw, "record_id")));
	query_free(q);
	free(f);
	/* the consent chain, with and without the UAL's trailing period */
	json_t *consent = json_object_get(pl, "consent");
	int64_t chain =
		query_count_text(d->st,
				 "op=\"Consent to application\",\"Add service principal\",\"Add delegated permission grant\"",
				 NULL);
	assert_true(chain >= 3);
	(void)consent;
	/* app by name: the built-in table names Teams */
	assert_int_equal(query_count_text(d->st, "app=\"Microsoft Teams\"", NULL),
			 query_count_text(d->st, "app=1FEC8E78-BCE4-4AAF-AB1B-5451CC387264", NULL));
	assert_true(query_count_text(d->st, "app=\"microsoft teams\"", NULL) > 0);
	/* the throttled mailbox's record */
	json_t *thr = json_object_get(pl, "throttled");
	f = xasprintf("record_id=%s", json_string_value(json_object_get(thr, "record_id")));
	assert_int_equal(query_new(d->st, f, &q, &cause), 0);
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 10, &p, &cause), 0);
	assert_int_equal(p.n, 1);
	assert_true(p.rows[0].flags & 1);
	assert_string_equal(p.rows[0].mailbox, json_string_value(json_object_get(thr, "mailbox")));
	query_page_free(&p);
	query_free(q);
	free(f);
	/* or / not agree with counts of their parts */
	int64_t a = query_count_text(d->st, "op=MailItemsAccessed", NULL);
	int64_t b = query_count_text(d->st, "op=Send", NULL);
	int64_t all = query_count_text(d->st, "", NULL);
	assert_int_equal(query_count_text(d->st, "op=MailItemsAccessed or op=Send", NULL), a + b);
	assert_int_equal(query_count_text(d->st, "op=MailItemsAccessed,Send", NULL), a + b);
	assert_int_equal(query_count_text(d->st, "not op=MailItemsAccessed", NULL), all - a);
	assert_int_equal(query_count_text(d->st, "op!=MailItemsAccessed", NULL), all - a);
	/* free text: the same as a plain case-insensitive search of the raw records */
	ids = truth(d, "instr(lower(raw_json(e.id)), 'forwardto') > 0", NULL, &n);
	assert_true(n > 0);
	assert_int_equal(query_count_text(d->st, "ForwardTo", NULL), (int64_t)n);
	assert_int_equal(query_count_text(d->st, "raw~forwardto", NULL), (int64_t)n);
	assert_int_equal(query_count_text(d->st, "raw~\"f.rwar(dt)o\\b\"", NULL), (int64_t)n);
	assert_int_equal(query_count_text(d->st, "raw!~forwardto", NULL),
			 query_count_text(d->st, "", NULL) - (int64_t)n);
	free(ids);
	/* time ranges: the planted window */
	f = xasprintf("time>=%s time<=%s user=%s", planted(d, "first_event"), planted(d, "last_event"),
		      planted(d, "compromised_user"));
	int64_t inside = query_count_text(d->st, f, NULL);
	free(f);
	assert_true(inside > 0);
	f = xasprintf("time<%s user=%s", planted(d, "first_event"), planted(d, "compromised_user"));
	int64_t before = query_count_text(d->st, f, NULL);
	free(f);
	f = xasprintf("time>%s user=%s", planted(d, "last_event"), planted(d, "compromised_user"));
	int64_t after = query_count_text(d->st, f, NULL);
	free(f);
	f = xasprintf("user=%s", planted(d, "compromised_user"));
	assert_int_equal(before + inside + after, query_count_text(d->st, f, NULL));
	free(f);
	/* a regex matching more values than are bound (a table of ids), and
	 * nothing left behind in the connection afterwards */
	ids = truth(d, "e.token IS NOT NULL", NULL, &n);
	assert_true(n > 300);
	assert_int_equal(query_count_text(d->st, "token~.", NULL), (int64_t)n);
	assert_int_equal(query_count_text(d->st, "not token~.", NULL), all - (int64_t)n);
	free(ids);
	sqlite3_stmt *tm;
	assert_int_equal(sqlite3_prepare_v2(store_db(d->st), "SELECT count(*) FROM sqlite_temp_master", -1,
					    &tm, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(tm), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(tm, 0), 0);
	sqlite3_finalize(tm);
	/* relative time from the case's last event */
	assert_int_equal(query_count_text(d->st, "time>=-30000d", NULL), all);
	assert_int_equal(query_count_text(d->st, "time>-0s", NULL), 0);
}

static void test_stack_rare_app(void **state)
{
	struct demo *d = *state;
	struct query *q;
	char *cause = NULL;
	/* among apps that read mail, the planted one is the rarest */
	assert_int_equal(query_new(d->st, "op=MailItemsAccessed", &q, &cause), 0);
	struct stack sk;
	assert_int_equal(stack_run(q, "app", STACK_RARE, 3, &sk, &cause), 0);
	assert_string_equal(sk.field, "app");
	assert_string_equal(sk.distinct, "mailbox");
	assert_int_equal(sk.n, 3);
	assert_string_equal(sk.rows[0].value, planted(d, "app_id"));
	assert_int_equal(sk.rows[0].distinct,
			 (int64_t)json_array_size(json_object_get(d->planted, "mailboxes")));
	int64_t t0;
	assert_true(time_parse(planted(d, "first_event"), strlen(planted(d, "first_event")), &t0));
	assert_true(sk.rows[0].first >= t0);
	assert_true(sk.rows[0].events <= sk.rows[1].events);
	assert_true(sk.values > 3);
	assert_int_equal(sk.events, query_count_text(d->st, "op=MailItemsAccessed", NULL));
	stack_clear(&sk);
	/* common-first is the reverse order, and sums to every event */
	assert_int_equal(stack_run(q, "app", STACK_COMMON, -1, &sk, &cause), 0);
	assert_string_equal(sk.rows[sk.n - 1].value, planted(d, "app_id"));
	int64_t sum = 0;
	for (size_t i = 0; i < sk.n; i++) {
		sum += sk.rows[i].events;
		if (i)
			assert_true(sk.rows[i - 1].events >= sk.rows[i].events);
	}
	assert_int_equal(sum, sk.events);
	stack_clear(&sk);
	query_free(q);
	/* stacking mailbox counts distinct users; absent values are a row */
	assert_int_equal(query_new(d->st, "", &q, &cause), 0);
	assert_int_equal(stack_run(q, "mailbox", STACK_COMMON, -1, &sk, &cause), 0);
	assert_string_equal(sk.distinct, "user");
	bool none = false;
	for (size_t i = 0; i < sk.n; i++)
		none |= sk.rows[i].value == NULL;
	assert_true(none);
	stack_clear(&sk);
	assert_int_equal(stack_run(q, "time", STACK_COMMON, -1, &sk, &cause), -1);
	assert_non_null(strstr(cause, "'time' is not a field that can be stacked"));
	free(cause);
	cause = NULL;
	assert_int_equal(stack_run(q, "source", STACK_COMMON, -1, &sk, &cause), 0);
	assert_true(sk.n >= 5);
	assert_non_null(strstr(sk.rows[0].value, "bundle/"));
	stack_clear(&sk);
	query_free(q);
}

/* A stack cut to a limit is the first rows of the whole stack, in every
 * order, ties at the cut included (stack.c names only the rows it can
 * keep, so the cut is made before the values are read). */
static void test_stack_limits(void **state)
{
	struct demo *d = *state;
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(d->st, "", &q, &cause), 0);
	static const char *const fields[] = { "user", "ip", "op", "workload", "result" };
	for (size_t f = 0; f < sizeof fields / sizeof *fields; f++) {
		for (int by = 0; by < STACK_BY_COUNT; by++) {
			for (int desc = 0; desc < 2; desc++) {
				const char *fl[] = { fields[f] };
				struct stack all;
				assert_int_equal(stack_fields(q, fl, 1, (enum stack_sort)by, desc, -1, &all,
							      &cause),
						 0);
				const int64_t limits[] = {
					0, 1, 2, 3, 7, (int64_t)all.n - 1, (int64_t)all.n + 5
				};
				for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
					if (limits[l] < 0)
						continue;
					struct stack cut;
					assert_int_equal(stack_fields(q, fl, 1, (enum stack_sort)by, desc,
								      limits[l], &cut, &cause),
							 0);
					size_t want = (size_t)limits[l] < all.n ? (size_t)limits[l] : all.n;
					assert_int_equal(cut.n, want);
					assert_int_equal(cut.values, all.values);
					assert_int_equal(cut.events, all.events);
					for (size_t i = 0; i < cut.n; i++) {
						const char *a = all.rows[i].value, *b = cut.rows[i].value;
						if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
							fail_msg("%s by %d desc %d limit %lld: row %zu is '%s', want '%s'",
								 fields[f], by, desc, (long long)limits[l], i,
								 b ? b : "(none)", a ? a : "(none)");
						assert_int_equal(cut.rows[i].events, all.rows[i].events);
						assert_int_equal(cut.rows[i].first, all.rows[i].first);
					}
					stack_clear(&cut);
				}
				stack_clear(&all);
			}
		}
	}
	query_free(q);
	/* ties at the cut: five users once each at the same millisecond,
	 * loaded in no order; the first two by value win the tie */
	char path[4096];
	snprintf(path, sizeof path, "%s/ties.jsonl", d->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	static const char *const users[] = { "dave", "bob", "erin", "carol", "alice" };
	for (int i = 0; i < 5; i++)
		fprintf(fp,
			"{\"Id\":\"tie-%d\",\"CreationTime\":\"2023-06-01T10:00:00\",\"Operation\":\"Send\","
			"\"UserId\":\"%s@x.com\",\"Workload\":\"Exchange\"}\n",
			i, users[i]);
	fclose(fp);
	struct store *st;
	char cpath[4096];
	snprintf(cpath, sizeof cpath, "%s/ties.case", d->dir);
	assert_int_equal(store_open(cpath, STORE_CREATE, &st, &cause), 0);
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	assert_int_equal(ingest_paths(st, paths, 1, &o, &t, &cause), 0);
	assert_int_equal(query_new(st, "", &q, &cause), 0);
	for (int desc = 0; desc < 2; desc++) {
		struct stack sk;
		const char *fl[] = { "user" };
		assert_int_equal(stack_fields(q, fl, 1, STACK_BY_EVENTS, desc, 2, &sk, &cause), 0);
		assert_int_equal(sk.n, 2);
		assert_int_equal(sk.values, 5);
		assert_string_equal(sk.rows[0].value, "alice@x.com");
		assert_string_equal(sk.rows[1].value, "bob@x.com");
		stack_clear(&sk);
	}
	query_free(q);
	store_close(st);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_messages(void **state)
{
	struct demo *d = *state;
	char *f = xasprintf("app=%s", planted(d, "app_id"));
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(d->st, f, &q, &cause), 0);
	free(f);
	struct messages m;
	assert_int_equal(messages_run(q, -1, &m, &cause), 0);
	json_t *want = json_object_get(d->planted, "internet_message_ids");
	size_t nw = json_array_size(want);
	assert_true(nw > 10);
	assert_int_equal(m.messages, (int64_t)nw);
	/* exactly the planted message ids, each mailbox's once */
	const char **got = calloc(m.n, sizeof *got), **exp = calloc(nw, sizeof *exp);
	size_t ng = 0;
	for (size_t i = 0; i < m.n; i++) {
		if (m.rows[i].sync)
			continue;
		bool dup = false;
		for (size_t j = 0; j < ng; j++)
			dup |= !strcmp(got[j], m.rows[i].msgid);
		if (!dup)
			got[ng++] = m.rows[i].msgid;
		assert_string_equal(m.rows[i].app, planted(d, "app_id"));
		assert_string_equal(m.rows[i].client_app, planted(d, "client_app_id"));
		assert_string_equal(m.rows[i].access, "Bind");
		assert_true(m.rows[i].first <= m.rows[i].last);
		assert_true(m.rows[i].events >= 1);
	}
	for (size_t i = 0; i < nw; i++)
		exp[i] = json_string_value(json_array_get(want, i));
	assert_int_equal(ng, nw);
	qsort(got, ng, sizeof *got, cmp_str);
	qsort(exp, nw, sizeof *exp, cmp_str);
	for (size_t i = 0; i < nw; i++)
		assert_string_equal(got[i], exp[i]);
	free(got);
	free(exp);
	/* Sync: one row per synchronised folder, no message id */
	json_t *sync = json_object_get(d->planted, "synced_folders");
	assert_int_equal(m.folders, (int64_t)json_array_size(sync));
	size_t nsync = 0;
	for (size_t i = 0; i < m.n; i++) {
		if (!m.rows[i].sync)
			continue;
		nsync++;
		assert_null(m.rows[i].msgid);
		assert_string_equal(m.rows[i].access, "Sync");
		bool found = false;
		for (size_t j = 0; j < json_array_size(sync); j++) {
			json_t *s = json_array_get(sync, j);
			found |= !strcmp(m.rows[i].mailbox, json_string_value(json_object_get(s, "mailbox"))) &&
				 !strcmp(m.rows[i].folder, json_string_value(json_object_get(s, "folder"))) &&
				 !strcmp(m.rows[i].ip, json_string_value(json_object_get(s, "ip")));
		}
		assert_true(found);
	}
	assert_int_equal(nsync, json_array_size(sync));
	messages_clear(&m);
	/* a limit keeps the totals */
	assert_int_equal(messages_run(q, 3, &m, &cause), 0);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.messages, (int64_t)nw);
	assert_int_equal(m.total, nw + nsync);
	messages_clear(&m);
	query_free(q);
	/* nothing read: nothing exposed */
	assert_int_equal(query_new(d->st, "op=Send", &q, &cause), 0);
	assert_int_equal(messages_run(q, -1, &m, &cause), 0);
	assert_int_equal(m.n, 0);
	messages_clear(&m);
	query_free(q);
}

static void test_histogram(void **state)
{
	struct demo *d = *state;
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(d->st, "op=MailItemsAccessed", &q, &cause), 0);
	struct histogram h;
	assert_int_equal(histogram_run(q, 0, 60, &h, &cause), 0);
	assert_true(h.n > 1 && h.n <= 60);
	/* a month in at most 60 buckets: half days (6h would take 120) */
	assert_int_equal(h.bucket, 12 * 3600000);
	assert_int_equal(h.start % h.bucket, 0);
	int64_t sum = 0, max = 0;
	for (size_t i = 0; i < h.n; i++) {
		sum += h.counts[i];
		if (h.counts[i] > max)
			max = h.counts[i];
	}
	assert_int_equal(sum, h.total);
	assert_int_equal(max, h.max);
	assert_int_equal(h.total, query_count_text(d->st, "op=MailItemsAccessed", NULL));
	histogram_clear(&h);
	assert_int_equal(histogram_run(q, 3600000, 0, &h, &cause), 0);
	assert_int_equal(h.bucket, 3600000);
	assert_true(h.n > 24 * 28);
	histogram_clear(&h);
	query_free(q);
	assert_int_equal(query_new(d->st, "user=nobody", &q, &cause), 0);
	assert_int_equal(histogram_run(q, 0, 0, &h, &cause), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.total, 0);
	histogram_clear(&h);
	query_free(q);
	/* the store's counts (count(*) a bucket where an index seeks) and
	 * the scan's (raw-record and unindexed filters) agree with each
	 * event's time put in its bucket here */
	static const char *const filters[] = {
		"",          "op=MailItemsAccessed",    "user=alice@contoso.com", "kind=signin",
		"raw~Inbox", "not op=MailItemsAccessed"
	};
	for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
		assert_int_equal(query_new(d->st, filters[f], &q, &cause), 0);
		assert_int_equal(histogram_run(q, 3600000, 0, &h, &cause), 0);
		int64_t *want = calloc(h.n ? h.n : 1, sizeof *want), n = 0;
		struct query_page p = { 0 };
		int r = query_page(q, QUERY_FIRST, NULL, 500, &p, &cause);
		while (r == 0 && p.n) {
			for (size_t i = 0; i < p.n; i++, n++)
				want[(p.rows[i].ts - h.start) / h.bucket]++;
			struct query_pos pos = { p.rows[p.n - 1].ts, p.rows[p.n - 1].id };
			r = query_page(q, QUERY_AFTER, &pos, 500, &p, &cause);
		}
		query_page_free(&p);
		assert_int_equal(h.total, n);
		for (size_t i = 0; i < h.n; i++)
			assert_int_equal(h.counts[i], want[i]);
		free(want);
		histogram_clear(&h);
		query_free(q);
	}
	int64_t ms;
	assert_int_equal(histogram_parse_bucket("15m", &ms, NULL), 0);
	assert_int_equal(ms, 15 * 60000);
	assert_int_equal(histogram_parse_bucket("1d", &ms, NULL), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(histogram_parse_bucket("90", &ms, NULL), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(histogram_parse_bucket("1x", &ms, &cause), -1);
	free(cause);
	char b[16];
	histogram_format_bucket(3600000, b, sizeof b);
	assert_string_equal(b, "1h");
	histogram_format_bucket(7 * 86400000LL, b, sizeof b);
	assert_string_equal(b, "1w");
}

struct prog {
	int calls, cancel_after;
	double last;
};

static int on_progress(void *ctx, double done)
{
	struct prog *p = ctx;
	p->calls++;
	if (done >= 0)
		p->last = done;
	return p->cancel_after >= 0 && p->calls > p->cancel_after;
}

static void test_cancel_and_count(void **state)
{
	struct demo *d = *state;
	struct query *q;
	char *cause = NULL;
	/* a raw-record filter: the scan reports progress up to 1 */
	assert_int_equal(query_new(d->st, "\"MailItemsAccessed\" forward", &q, &cause), 0);
	struct prog p = { .cancel_after = -1 };
	query_set_progress(q, &(struct progress){ on_progress, &p });
	assert_true(query_needs_scan(q));
	assert_int_equal(query_prepare(q, &cause), 0);
	assert_true(p.calls >= 2);
	assert_true(p.last == 1.0);
	struct query_count c;
	assert_int_equal(query_count(q, 0, &c, &cause), 0);
	assert_true(c.exact); /* scanned: exact for free */
	query_free(q);
	/* cancelled at the first report: fails, says so, and can run again */
	assert_int_equal(query_new(d->st, "forward", &q, &cause), 0);
	p = (struct prog){ .cancel_after = 0 };
	query_set_progress(q, &(struct progress){ on_progress, &p });
	struct query_page pg = { 0 };
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 10, &pg, &cause), -1);
	assert_true(query_cancelled(q));
	assert_string_equal(cause, "cancelled");
	free(cause);
	cause = NULL;
	assert_true(query_needs_scan(q));
	query_set_progress(q, NULL);
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 10, &pg, &cause), 0);
	assert_false(query_cancelled(q));
	assert_true(pg.n > 0);
	query_page_free(&pg);
	query_free(q);
	/* an estimate when the budget is spent: close to the truth here,
	 * since the sample covers most of a small case */
	int64_t exact = query_count_text(d->st, "workload=Exchange", NULL);
	assert_int_equal(query_new(d->st, "workload=Exchange", &q, &cause), 0);
	assert_int_equal(query_count(q, 0, &c, &cause), 0);
	if (!c.exact) {
		assert_true(c.n > exact / 2 && c.n < exact * 2);
	} else {
		assert_int_equal(c.n, exact);
	}
	assert_int_equal(query_count(q, -1, &c, &cause), 0);
	assert_true(c.exact);
	assert_int_equal(c.n, exact);
	query_free(q);
	/* a raw filter with a budget is estimated without a scan */
	assert_int_equal(query_new(d->st, "MailItemsAccessed", &q, &cause), 0);
	assert_int_equal(query_count(q, 1000, &c, &cause), 0);
	assert_false(c.exact);
	assert_true(query_needs_scan(q));
	int64_t mia = query_count_text(d->st, "MailItemsAccessed", NULL);
	assert_true(c.n > mia / 2 && c.n < mia * 2);
	query_free(q);
	/* each: limit and order */
	assert_int_equal(query_new(d->st, "op=MailItemsAccessed", &q, &cause), 0);
	assert_string_equal(query_text(q), "op=MailItemsAccessed");
	assert_ptr_equal(query_store(q), d->st);
	query_free(q);
	query_free(NULL);
	/* a syntax error is the filter's, with its column */
	assert_int_equal(query_new(d->st, "user=a (", &q, &cause), -1);
	assert_string_equal(cause, "filter: expected a term after '(' at column 9");
	free(cause);
}

struct collect_ids {
	int64_t ids[64];
	size_t n;
};

static int collect(const struct query_row *r, void *ctx)
{
	struct collect_ids *c = ctx;
	if (c->n < 64)
		c->ids[c->n++] = r->id;
	return 0;
}

static void test_each(void **state)
{
	struct demo *d = *state;
	struct query *q;
	char *cause = NULL;
	size_t n;
	int64_t *ids = truth(d, "1", NULL, &n);
	assert_int_equal(query_new(d->st, "", &q, &cause), 0);
	struct collect_ids c = { .n = 0 };
	assert_int_equal(query_each(q, false, 5, collect, &c, &cause), 0);
	assert_int_equal(c.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(c.ids[i], ids[i]);
	c.n = 0;
	assert_int_equal(query_each(q, true, 5, collect, &c, &cause), 0);
	assert_int_equal(c.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(c.ids[i], ids[n - 1 - i]);
	query_free(q);
	free(ids);
}

/* A copy owns every string of the row: the source is cleared (freed)
 * first, then the copy is read and cleared (ASan: no use after free, no
 * double free; the host field was once left borrowed). */
static void test_row_copy(void **state)
{
	(void)state;
	struct query_row src = { .id = 7, .ts = 1, .op_count = -1 };
	char **f[] = { &src.record_id, &src.op,         &src.rtype,  &src.workload,    &src.user,
		       &src.app,       &src.client_app, &src.ip,     &src.result,      &src.session,
		       &src.token,     &src.mailbox,    &src.access, &src.client_info, &src.source,
		       &src.detail,    &src.country,    &src.asn,    &src.as_org,      &src.ip_label,
		       &src.host };
	char want[sizeof f / sizeof f[0]][8];
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		snprintf(want[i], sizeof want[i], "v%zu", i);
		*f[i] = xstrdup(want[i]);
	}
	struct query_row dst;
	query_row_copy(&dst, &src);
	query_row_clear(&src);
	assert_int_equal(dst.id, 7);
	assert_string_equal(dst.host, want[sizeof f / sizeof f[0] - 1]);
	assert_string_equal(query_row_get(&dst, "host"), want[sizeof f / sizeof f[0] - 1]);
	assert_string_equal(dst.record_id, want[0]);
	assert_string_equal(dst.ip_label, want[19]);
	query_row_clear(&dst);
	assert_null(dst.host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_goto),
		cmocka_unit_test(test_planted_filters),
		cmocka_unit_test(test_stack_rare_app),
		cmocka_unit_test(test_stack_limits),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_cancel_and_count),
		cmocka_unit_test(test_each),
		cmocka_unit_test(test_row_copy),
	};
	int failed = cmocka_run_group_tests(tests, setup, teardown);
	return failed + cmocka_run_group_tests_name("ev_ts newest first", tests, setup_desc, teardown);
}
