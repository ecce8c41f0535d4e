/*
 * test_storage_reads.c: the reads the hunts, Sigma rules and app names
 * make through the storage interface (store.h, query.h): value ids by
 * text, picks by value ids, ranges, flags and the "also" condition in
 * their order, raw records by id batches, and the tenant's apps table.
 * Written against the interface only, so that a second store can run
 * them as they are.
 */
#include "testutil.h"

#include "knownapps.h"
#include "query.h"
#include "store.h"

#define N 40

struct fixture {
	char *dir;
	char *path;
	struct store *st;
};

static const char *op_of(int i)
{
	/* the same operation in two spellings, and sign-ins */
	return i % 4 == 0 ? "MailItemsAccessed" : i % 4 == 1 ? "mailitemsaccessed" : "UserLoggedIn";
}

static const char *result_of(int i)
{
	static const char *const r[] = { "Failure (50126)", "Failure (50053)", "Fail%ure", "Succeeded",
					 "failure_x" };
	return r[i % 5];
}

static char *raw_of(int i)
{
	char *s = malloc(128);
	snprintf(s, 128, "{\"Id\":\"id-%03d\",\"Operation\":\"%s\"}", i, op_of(i));
	return s;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = tmpdir_new();
	size_t n = strlen(f->dir) + 16;
	f->path = malloc(n);
	assert_non_null(f->path);
	snprintf(f->path, n, "%s/t.case", f->dir);
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &f->st, &cause), 0);
	struct store_load *ld = store_load_begin(f->st, &cause);
	assert_non_null(ld);
	assert_int_equal(store_load_source(ld, "a.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	/* times run backwards: id order and time order differ */
	for (int i = 0; i < N; i++) {
		struct event ev;
		memset(&ev, 0, sizeof ev);
		char id[32], app[40], *raw = raw_of(i);
		snprintf(id, sizeof id, "id-%03d", i);
		snprintf(app, sizeof app, "app-%d", i % 3);
		ev.ts = 1686909600000LL + (N - i) * 1000LL;
		ev.record_id = (struct sv){ id, strlen(id) };
		ev.op = (struct sv){ op_of(i), strlen(op_of(i)) };
		ev.result = (struct sv){ result_of(i), strlen(result_of(i)) };
		ev.user = (struct sv){ "alice@contoso.com", 17 };
		/* app absent on every fifth event; app-2 as client app on every seventh */
		if (i % 5 != 4)
			ev.app = (struct sv){ app, strlen(app) };
		if (i % 7 == 6)
			ev.client_app = (struct sv){ "app-2", 5 };
		ev.flags = i % 10 == 3 ? EVF_THROTTLED : 0;
		ev.op_count = -1;
		ev.raw = (struct sv){ raw, strlen(raw) };
		ev.line = (uint64_t)i + 1;
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
		free(raw);
	}
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->st);
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static size_t find(struct store *st, const char *field, const char *text, enum store_match how, int64_t **ids)
{
	size_t n = 0;
	char *cause = NULL;
	*ids = NULL;
	assert_int_equal(store_value_find(st, field, text, how, ids, &n, &cause), 0);
	return n;
}

/* The texts of ids, sorted, joined by '|'. */
static char *texts(struct store *st, const char *field, const int64_t *ids, size_t n)
{
	char **out = calloc(n ? n : 1, sizeof *out), *cause = NULL;
	assert_int_equal(store_value_texts(st, field, ids, n, out, &cause), 0);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(out[j], out[i]) < 0) {
				char *t = out[i];
				out[i] = out[j];
				out[j] = t;
			}
	char *s = calloc(1, 512);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, "|");
		strcat(s, out[i]);
		free(out[i]);
	}
	free(out);
	return s;
}

static void test_value_find(void **state)
{
	struct fixture *f = *state;
	int64_t *ids;
	size_t n = find(f->st, "op", "MAILITEMSACCESSED", STORE_MATCH_NOCASE, &ids);
	assert_int_equal(n, 2);
	char *s = texts(f->st, "op", ids, n);
	assert_string_equal(s, "MailItemsAccessed|mailitemsaccessed");
	free(s);
	/* asked again onto the same array: no repeats */
	size_t cap = n;
	char *cause = NULL;
	assert_int_equal(store_value_find(f->st, "op", "mailitemsaccessed", STORE_MATCH_NOCASE, &ids, &cap,
					  &cause),
			 0);
	assert_int_equal(cap, 2);
	free(ids);
	assert_int_equal(find(f->st, "op", "mailitemsaccessed", STORE_MATCH_EXACT, &ids), 1);
	free(ids);
	assert_int_equal(find(f->st, "op", "MailItems", STORE_MATCH_NOCASE, &ids), 0);
	free(ids);
	/* a prefix in any case; LIKE's own marks are plain characters */
	n = find(f->st, "result", "failure", STORE_MATCH_PREFIX, &ids);
	s = texts(f->st, "result", ids, n);
	assert_string_equal(s, "Failure (50053)|Failure (50126)|failure_x");
	free(s);
	free(ids);
	n = find(f->st, "result", "Fail%", STORE_MATCH_PREFIX, &ids);
	s = texts(f->st, "result", ids, n);
	assert_string_equal(s, "Fail%ure");
	free(s);
	free(ids);
	/* "_" too: not "Failure (...)" */
	n = find(f->st, "result", "Failure_", STORE_MATCH_PREFIX, &ids);
	s = texts(f->st, "result", ids, n);
	assert_string_equal(s, "failure_x");
	free(s);
	free(ids);
}

struct got {
	int64_t id[N], ts[N], app[N];
	size_t n;
};

static int got_row(void *ctx, const struct store_cell *c)
{
	struct got *g = ctx;
	assert_true(g->n < N);
	g->id[g->n] = c[0].i;
	g->ts[g->n] = c[1].i;
	g->app[g->n] = c[2].i;
	g->n++;
	return 0;
}

static void pick(struct store *st, const struct store_pick *p, struct got *g)
{
	static const char *const cols[] = { "id", "ts", "app" };
	char *cause = NULL;
	memset(g, 0, sizeof *g);
	assert_int_equal(store_pick(st, p, cols, 3, got_row, g, &cause), 0);
}

static void test_pick(void **state)
{
	struct fixture *f = *state;
	struct store_pick p;
	struct got g;
	int64_t *mia;
	size_t nmia = find(f->st, "op", "MailItemsAccessed", STORE_MATCH_NOCASE, &mia);

	/* every event, in id order */
	store_pick_init(&p);
	pick(f->st, &p, &g);
	assert_int_equal(g.n, N);
	for (size_t i = 1; i < g.n; i++)
		assert_true(g.id[i] > g.id[i - 1]);

	/* by operation, both spellings: events 0, 1, 4, 5, ... */
	p.field = "op";
	p.ids = mia;
	p.n = nmia;
	pick(f->st, &p, &g);
	assert_int_equal(g.n, N / 2);
	/* wide: the same events in the same order */
	struct got w;
	p.wide = true;
	pick(f->st, &p, &w);
	assert_int_equal(w.n, g.n);
	assert_memory_equal(w.id, g.id, g.n * sizeof *g.id);
	p.wide = false;

	/* in time order, the first one only: the latest id (times run backwards) */
	p.by_ts = true;
	p.limit = 1;
	pick(f->st, &p, &g);
	assert_int_equal(g.n, 1);
	int64_t first_ts = g.ts[0];
	p.limit = -1;
	pick(f->st, &p, &g);
	assert_int_equal(g.ts[0], first_ts);
	for (size_t i = 1; i < g.n; i++)
		assert_true(g.ts[i] >= g.ts[i - 1]);
	p.by_ts = false;

	/* a time range (inclusive) and an id range (inclusive) */
	p.ts_from = first_ts;
	p.ts_to = first_ts + 4000;
	pick(f->st, &p, &g);
	assert_int_equal(g.n, 3); /* events 33, 36 and 37 */
	store_pick_init(&p);
	pick(f->st, &p, &w);
	p.id_from = w.id[10];
	p.id_to = w.id[14];
	pick(f->st, &p, &g);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.id[0], w.id[10]);

	/* no value asked for: nothing; 0: the field is absent */
	store_pick_init(&p);
	p.field = "app";
	p.n = 0;
	pick(f->st, &p, &g);
	assert_int_equal(g.n, 0);
	int64_t absent = 0;
	p.ids = &absent;
	p.n = 1;
	pick(f->st, &p, &g);
	assert_int_equal(g.n, N / 5);
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(g.app[i], 0);

	/* flags */
	store_pick_init(&p);
	p.flags = EVF_THROTTLED;
	pick(f->st, &p, &g);
	assert_int_equal(g.n, N / 10);

	/* also: app-2 as app or client app, among the mail reads */
	int64_t *app2;
	assert_int_equal(find(f->st, "app", "app-2", STORE_MATCH_EXACT, &app2), 1);
	store_pick_init(&p);
	p.field = "op";
	p.ids = mia;
	p.n = nmia;
	p.also.fields[0] = "app";
	p.also.fields[1] = "client_app";
	p.also.ids = app2;
	p.also.n = 1;
	pick(f->st, &p, &g);
	/* i % 4 < 2 and (i % 5 != 4 and i % 3 == 2, or i % 7 == 6) */
	size_t want = 0;
	for (int i = 0; i < N; i++)
		want += i % 4 < 2 && ((i % 5 != 4 && i % 3 == 2) || i % 7 == 6);
	assert_int_equal(g.n, want);
	p.also.fields[1] = NULL;
	pick(f->st, &p, &w);
	assert_true(w.n < g.n);
	free(app2);
	free(mia);
}

struct raws {
	int64_t id[4];
	char *text[4];
	size_t n;
};

static int got_raw(void *ctx, int64_t id, const char *text, size_t len)
{
	struct raws *r = ctx;
	assert_true(r->n < 4);
	r->id[r->n] = id;
	r->text[r->n] = strndup(text, len);
	r->n++;
	return 0;
}

static void test_raw_each(void **state)
{
	struct fixture *f = *state;
	struct store_pick p;
	struct got g;
	store_pick_init(&p);
	pick(f->st, &p, &g);
	/* ids the case lacks are left out; the records come as stored */
	int64_t ids[] = { g.id[2], g.id[3], g.id[N - 1] + 1000, g.id[7] };
	struct raws r = { 0 };
	char *cause = NULL;
	assert_int_equal(store_raw_each(f->st, ids, 4, got_raw, &r, &cause), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.id[2], g.id[7]);
	char *want = raw_of(7);
	assert_string_equal(r.text[2], want);
	free(want);
	want = raw_of(2);
	assert_string_equal(r.text[0], want);
	free(want);
	for (size_t i = 0; i < r.n; i++)
		free(r.text[i]);
}

static int count_app(const char *id, const char *name, const char *origin, void *ctx)
{
	char *s = ctx;
	(void)origin;
	strcat(s, id);
	strcat(s, "=");
	strcat(s, name);
	strcat(s, ";");
	return 0;
}

static void test_apps(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;
	assert_int_equal(knownapps_add(f->st, "BBBBBBBB-0000-0000-0000-000000000000", "alpha", "t.csv", &cause),
			 0);
	assert_int_equal(knownapps_add(f->st, "aaaaaaaa-0000-0000-0000-000000000000", "Beta", "t.csv", &cause),
			 0);
	/* renamed: the id is stored in lower case and found in any case */
	assert_int_equal(knownapps_add(f->st, "bbbbbbbb-0000-0000-0000-000000000000", "Alpha2", "t.csv", &cause),
			 0);
	const char *origin;
	char *name = knownapps_case_name(f->st, "BBBBBBBB-0000-0000-0000-000000000000", &origin);
	assert_string_equal(name, "Alpha2");
	assert_string_equal(origin, "tenant");
	free(name);
	char s[256] = "";
	assert_int_equal(knownapps_each(f->st, count_app, s, &cause), 0);
	assert_string_equal(s,
			    "bbbbbbbb-0000-0000-0000-000000000000=Alpha2;aaaaaaaa-0000-0000-0000-000000000000=Beta;");
	char **ids;
	size_t n;
	assert_int_equal(knownapps_case_ids(f->st, "BETA", &ids, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "aaaaaaaa-0000-0000-0000-000000000000");
	knownapps_ids_free(ids, n);
}

static int cancel_second(void *ctx, double done)
{
	(void)done;
	int *calls = ctx;
	return ++*calls >= 2;
}

static int count_row(void *ctx, const struct store_cell *c)
{
	(void)c;
	++*(size_t *)ctx;
	return 0;
}

/* A pick watches its progress while it reads: a cancel stops it with
 * the one message of cancelled work, and the case reads on afterwards. */
static void test_pick_cancel(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;
	struct store_load *ld = store_load_begin(f->st, &cause);
	assert_non_null(ld);
	assert_int_equal(store_load_source(ld, "b.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	for (int i = 0; i < 20000; i++) {
		struct event ev;
		memset(&ev, 0, sizeof ev);
		char id[32], raw[64];
		snprintf(id, sizeof id, "b-%05d", i);
		snprintf(raw, sizeof raw, "{\"Id\":\"%s\"}", id);
		ev.ts = 1686909600000LL + i;
		ev.record_id = (struct sv){ id, strlen(id) };
		ev.op = (struct sv){ "UserLoggedIn", 12 };
		ev.op_count = -1;
		ev.raw = (struct sv){ raw, strlen(raw) };
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	assert_int_equal(store_load_source_end(ld, "cd", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	static const char *const cols[] = { "id" };
	int calls = 0;
	struct progress pr = { cancel_second, &calls };
	struct store_pick p;
	store_pick_init(&p);
	p.pr = &pr;
	size_t rows = 0;
	assert_int_equal(store_pick(f->st, &p, cols, 1, count_row, &rows, &cause), -1);
	assert_string_equal(cause, PROGRESS_CANCELLED);
	free(cause);
	cause = NULL;
	assert_int_equal(calls, 2);
	assert_true(rows < 20000 + N);
	p.pr = NULL;
	rows = 0;
	assert_int_equal(store_pick(f->st, &p, cols, 1, count_row, &rows, &cause), 0);
	assert_int_equal(rows, 20000 + N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_value_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pick_cancel, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
