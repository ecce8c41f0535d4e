/*
 * test_qref.c: the query side's answers, as data, for the differential
 * check tests/e2e_qref.sh (tests/qref.py holds the reference). Modes:
 *
 *   test_qref --fields               each field's name and flags (filter.h)
 *   test_qref --dump CASE            every event oldest first: internal id,
 *                                    time, every text field, the raw record
 *   test_qref --serve CASE           one request a line on stdin, one answer
 *                                    a line on stdout (JSON; see serve_one)
 *
 * The paging paths are not on the command line (the interface pages by
 * keyset; `query` reads through query_each), hence this program: it walks
 * a filter forward and back in pages of k (at_start / at_end checked on
 * each page), counts it (query_count), ranks positions (query_rank) and
 * goes to times (query_goto_time), all on one open store, so that the
 * caches between filters are in play as in the interface.
 *
 * Without arguments it is a unit test: a small case of known events goes
 * through serve_one and each answer is checked against the events.
 */
#include "testutil.h"

#include <inttypes.h>
#include <jansson.h>
#include <time.h>

#include "event.h"
#include "filter.h"
#include "ingest.h"
#include "query.h"
#include "stack.h"
#include "store.h"
#include "util.h"
#include "xalloc.h"

static json_t *ids_array(const int64_t *ids, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	return a;
}

struct idvec {
	int64_t *v, *ts;
	size_t n, cap;
};

static void idvec_push(struct idvec *iv, int64_t id, int64_t ts)
{
	if (iv->n == iv->cap) {
		iv->cap = iv->cap ? iv->cap * 2 : 256;
		iv->v = xrealloc(iv->v, iv->cap * sizeof *iv->v);
		iv->ts = xrealloc(iv->ts, iv->cap * sizeof *iv->ts);
	}
	iv->v[iv->n] = id;
	iv->ts[iv->n++] = ts;
}

static void bad(json_t *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(json_t *list, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (json_array_size(list) < 8)
		json_array_append_new(list, json_string(buf));
}

/*
 * One request {"f": FILTER, "k": PAGE, "rank": [i, ...], "goto": [ms, ...],
 * "counts": [FIELD, ...]} gives {"f", "count", "exact", "fwd": [id...],
 * "bwd": [id... in timeline order], "rank": [before...] (of the forward
 * walk's i-th event), "goto": [id or null...], "at": [id...] (QUERY_AT
 * from the middle), "counts": {FIELD: [[value, events]...]} (stack_counts,
 * in its order), "bad": [what a page's flags got wrong]} or {"f", "err"}.
 */
static json_t *serve_one(struct store *st, const json_t *req, int64_t total)
{
	const char *f = json_string_value(json_object_get(req, "f"));
	size_t k = (size_t)json_integer_value(json_object_get(req, "k"));
	if (!k)
		k = 50;
	json_t *out = json_object();
	json_object_set_new(out, "f", json_string(f ? f : ""));
	struct query *q;
	char *cause = NULL;
	if (query_new(st, f, &q, &cause) < 0) {
		json_object_set_new(out, "err", json_string(cause));
		free(cause);
		return out;
	}
	json_t *b = json_array();
	struct query_page p = { 0 };
	struct idvec fwd = { 0 }, bwd = { 0 };
	/* forward */
	if (query_page(q, QUERY_FIRST, NULL, k, &p, &cause) < 0)
		goto fail;
	if (!p.at_start)
		bad(b, "first page: at_start false");
	for (size_t guard = 0;; guard++) {
		for (size_t i = 0; i < p.n; i++)
			idvec_push(&fwd, p.rows[i].id, p.rows[i].ts);
		if (p.at_end)
			break;
		if (p.n != k)
			bad(b, "forward page %zu: %zu rows of %zu and not at_end", guard, p.n, k);
		if (!p.n || guard > (size_t)total / k + 2) {
			bad(b, "forward: no end after %zu pages", guard + 1);
			break;
		}
		struct query_pos pos = { p.rows[p.n - 1].ts, p.rows[p.n - 1].id };
		if (query_page(q, QUERY_AFTER, &pos, k, &p, &cause) < 0)
			goto fail;
		if (p.at_start)
			bad(b, "forward page %zu: at_start after a page", guard + 1);
	}
	/* backward, collected newest first then turned */
	if (query_page(q, QUERY_LAST, NULL, k, &p, &cause) < 0)
		goto fail;
	if (!p.at_end)
		bad(b, "last page: at_end false");
	for (size_t guard = 0;; guard++) {
		for (size_t i = p.n; i-- > 0;)
			idvec_push(&bwd, p.rows[i].id, p.rows[i].ts);
		if (p.at_start)
			break;
		if (p.n != k)
			bad(b, "backward page %zu: %zu rows of %zu and not at_start", guard, p.n, k);
		if (!p.n || guard > (size_t)total / k + 2) {
			bad(b, "backward: no start after %zu pages", guard + 1);
			break;
		}
		struct query_pos pos = { p.rows[0].ts, p.rows[0].id };
		if (query_page(q, QUERY_BEFORE, &pos, k, &p, &cause) < 0)
			goto fail;
		if (p.at_end)
			bad(b, "backward page %zu: at_end before a page", guard + 1);
	}
	for (size_t i = 0; i < bwd.n / 2; i++) {
		int64_t t = bwd.v[i];
		bwd.v[i] = bwd.v[bwd.n - 1 - i];
		bwd.v[bwd.n - 1 - i] = t;
	}
	struct query_count c;
	if (query_count(q, -1, &c, &cause) < 0)
		goto fail;
	json_object_set_new(out, "count", json_integer(c.n));
	json_object_set_new(out, "exact", json_boolean(c.exact));
	json_object_set_new(out, "fwd", ids_array(fwd.v, fwd.n));
	json_object_set_new(out, "bwd", ids_array(bwd.v, bwd.n));
	/* ranks of chosen events of the forward walk */
	json_t *ranks = json_array(), *ri = json_object_get(req, "rank");
	for (size_t i = 0; i < json_array_size(ri); i++) {
		size_t at = (size_t)json_integer_value(json_array_get(ri, i));
		int64_t before = -1;
		if (at < fwd.n) {
			struct query_pos pos = { fwd.ts[at], fwd.v[at] };
			if (query_rank(q, &pos, -1, &before, &cause) < 0)
				goto fail;
		}
		json_array_append_new(ranks, json_integer(before));
	}
	json_object_set_new(out, "rank", ranks);
	/* goto a time: the first matching event at or after it */
	json_t *gotos = json_array(), *gi = json_object_get(req, "goto");
	for (size_t i = 0; i < json_array_size(gi); i++) {
		struct query_pos pos;
		int r = query_goto_time(q, json_integer_value(json_array_get(gi, i)), &pos, &cause);
		if (r < 0)
			goto fail;
		json_array_append_new(gotos, r ? json_integer(pos.id) : json_null());
	}
	json_object_set_new(out, "goto", gotos);
	/* a page from the middle, the position itself included */
	json_t *at = json_array();
	if (fwd.n) {
		struct query_pos pos = { fwd.ts[fwd.n / 2], fwd.v[fwd.n / 2] };
		if (query_page(q, QUERY_AT, &pos, k, &p, &cause) < 0)
			goto fail;
		for (size_t i = 0; i < p.n; i++)
			json_array_append_new(at, json_integer(p.rows[i].id));
	}
	json_object_set_new(out, "at", at);
	/* counts by value (stack_counts: the store's lists where it can) */
	json_t *counts = json_object(), *ci = json_object_get(req, "counts");
	for (size_t i = 0; i < json_array_size(ci); i++) {
		const char *field = json_string_value(json_array_get(ci, i));
		struct stack s;
		if (stack_counts(q, field, &s, &cause) < 0)
			goto fail;
		json_t *rows = json_array();
		for (size_t j = 0; j < s.n; j++)
			json_array_append_new(rows, json_pack("[s?I]", s.rows[j].value,
							      (json_int_t)s.rows[j].events));
		json_object_set_new(counts, field, rows);
		stack_clear(&s);
	}
	json_object_set_new(out, "counts", counts);
	json_object_set_new(out, "bad", b);
	query_page_free(&p);
	free(fwd.v);
	free(fwd.ts);
	free(bwd.v);
	free(bwd.ts);
	query_free(q);
	return out;
fail:
	json_object_set_new(out, "err", json_string(cause ? cause : "?"));
	free(cause);
	json_decref(b);
	query_page_free(&p);
	free(fwd.v);
	free(fwd.ts);
	free(bwd.v);
	free(bwd.ts);
	query_free(q);
	return out;
}

static int open_case(const char *path, struct store **st)
{
	char *cause = NULL;
	if (store_open(path, STORE_READONLY, st, &cause) < 0) {
		fprintf(stderr, "test_qref: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int serve(const char *path)
{
	struct store *st;
	if (open_case(path, &st) < 0)
		return 1;
	char *cause = NULL;
	/* every event: how many pages a walk may take at most */
	int64_t total = query_count_text(st, "", &cause);
	if (total < 0) {
		fprintf(stderr, "test_qref: %s\n", cause);
		free(cause);
		store_close(st);
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t e;
		json_t *req = json_loadb(line, (size_t)n, 0, &e);
		if (!req) {
			fprintf(stderr, "test_qref: bad request: %s\n", e.text);
			break;
		}
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		json_t *out = serve_one(st, req, total);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		json_object_set_new(out, "ms",
				    json_integer((t1.tv_sec - t0.tv_sec) * 1000 +
						 (t1.tv_nsec - t0.tv_nsec) / 1000000));
		char *s = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
		printf("%s\n", s);
		fflush(stdout);
		free(s);
		json_decref(out);
		json_decref(req);
	}
	free(line);
	store_close(st);
	return 0;
}

struct dump {
	struct store *st;
	const struct filter_field *fields;
	size_t nfields;
	json_t *rows;           /* the events' objects, oldest first */
	struct util_imap where; /* id -> index + 1 in rows */
	struct idvec ids;
};

static int dump_row(const struct query_row *r, void *ctx)
{
	struct dump *d = ctx;
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "ts", json_integer(r->ts));
	json_object_set_new(o, "kind", json_string(event_kind_name(r->kind)));
	json_object_set_new(o, "record_id", json_string(r->record_id ? r->record_id : ""));
	for (size_t i = 0; i < d->nfields; i++) {
		const char *v = query_row_get(r, d->fields[i].name);
		if (v)
			json_object_set_new(o, d->fields[i].name, json_stringn(v, strlen(v)));
	}
	*util_imap_slot(&d->where, (uint64_t)r->id, 0, NULL) = (int64_t)json_array_size(d->rows) + 1;
	json_array_append_new(d->rows, o);
	idvec_push(&d->ids, r->id, r->ts);
	return 0;
}

/* An event's raw record (the first, should a store hand one twice). */
static int dump_raw(void *ctx, int64_t id, const char *text, size_t len)
{
	struct dump *d = ctx;
	const int64_t *at = util_imap_get(&d->where, (uint64_t)id);
	json_t *o = at ? json_array_get(d->rows, (size_t)(*at - 1)) : NULL;
	if (o && !json_object_get(o, "raw"))
		json_object_set_new(o, "raw", json_stringn(text, len));
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Every event, then their raw records in slices of ascending ids
 * (store_raw_each: one read a slice, where store_raw is one an event, a
 * round trip each on ClickHouse), then the lines. */
static int dump(const char *path)
{
	struct dump d = { .rows = json_array() };
	if (open_case(path, &d.st) < 0)
		return 1;
	d.fields = filter_fields(&d.nfields);
	struct query *q;
	char *cause = NULL;
	int rc = 0;
	if (query_new(d.st, "", &q, &cause) < 0 || query_each(q, false, -1, dump_row, &d, &cause) < 0)
		rc = 1;
	query_free(q);
	if (d.ids.n > 1)
		qsort(d.ids.v, d.ids.n, sizeof *d.ids.v, id_cmp);
	for (size_t at = 0; rc == 0 && at < d.ids.n; at += 8192) {
		size_t n = d.ids.n - at < 8192 ? d.ids.n - at : 8192;
		if (store_raw_each(d.st, d.ids.v + at, n, dump_raw, &d, &cause) < 0)
			rc = 1;
	}
	if (rc) {
		fprintf(stderr, "test_qref: %s\n", cause ? cause : "?");
		free(cause);
	}
	for (size_t i = 0; rc == 0 && i < json_array_size(d.rows); i++) {
		char *s = json_dumps(json_array_get(d.rows, i), JSON_COMPACT | JSON_ENSURE_ASCII);
		if (s)
			printf("%s\n", s);
		free(s);
	}
	json_decref(d.rows);
	util_imap_free(&d.where);
	free(d.ids.v);
	free(d.ids.ts);
	store_close(d.st);
	return rc;
}

static int fields(void)
{
	size_t n;
	const struct filter_field *f = filter_fields(&n);
	for (size_t i = 0; i < n; i++)
		printf("%s %u\n", f[i].name, f[i].flags);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The unit test: six events whose answers are plain to read */

static const char small[] =
	"{\"CreationTime\":\"2024-03-01T10:00:00Z\",\"Id\":\"r1\",\"Operation\":\"Send\",\"RecordType\":2,"
	"\"UserId\":\"Alice@x.com\",\"ClientIP\":\"10.0.0.1\",\"Workload\":\"Exchange\"}\n"
	"{\"CreationTime\":\"2024-03-01T10:00:00Z\",\"Id\":\"r2\",\"Operation\":\"send\",\"RecordType\":2,"
	"\"UserId\":\"bob@x.com\",\"ClientIP\":\"10.0.0.2\",\"Workload\":\"Exchange\"}\n"
	"{\"CreationTime\":\"2024-03-01T10:00:01Z\",\"Id\":\"r3\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"UserId\":\"alice@x.com\",\"ClientIP\":\"10.0.0.1\",\"Workload\":\"Exchange\"}\n"
	"{\"CreationTime\":\"2024-03-02T00:00:00Z\",\"Id\":\"r4\",\"Operation\":\"Send\",\"RecordType\":2,"
	"\"UserId\":\"carol@x.com\",\"Workload\":\"Exchange\"}\n"
	"{\"CreationTime\":\"2024-03-02T00:00:00+01:00\",\"Id\":\"r5\",\"Operation\":\"Send\",\"RecordType\":2,"
	"\"UserId\":\"ALICE@X.COM\",\"ClientIP\":\"10.0.0.3\",\"Workload\":\"Exchange\"}\n"
	"{\"CreationTime\":\"2024-03-03T00:00:00Z\",\"Id\":\"r6\",\"Operation\":\"Send\",\"RecordType\":2,"
	"\"UserId\":\"dave@x.com\",\"ClientIP\":\"10.0.0.1\",\"Workload\":\"Exchange\"}\n";

struct fx {
	char *dir;
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	f->dir = tmpdir_new();
	char *in = write_file(f->dir, "small.jsonl", small, sizeof small - 1);
	char *path = xasprintf("%s/q.case", f->dir);
	char *cause = NULL;
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	const char *paths[] = { in };
	int rc = 0;
	if (store_open(path, STORE_CREATE, &f->st, &cause) < 0 ||
	    ingest_paths(f->st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(f->st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		rc = -1;
	}
	free(in);
	free(path);
	*state = f;
	return rc;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* The record ids of an answer's id list, joined by spaces. */
static void rids(struct store *st, const json_t *ids, char *buf, size_t cap)
{
	buf[0] = 0;
	for (size_t i = 0; i < json_array_size(ids); i++) {
		int64_t id = json_integer_value(json_array_get(ids, i));
		struct query *q;
		char *cause = NULL;
		assert_int_equal(query_new(st, "", &q, &cause), 0);
		struct query_page p = { 0 };
		/* the event with internal id `id`: found by walking all six */
		assert_int_equal(query_page(q, QUERY_FIRST, NULL, 10, &p, &cause), 0);
		for (size_t j = 0; j < p.n; j++)
			if (p.rows[j].id == id)
				snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", buf[0] ? " " : "",
					 p.rows[j].record_id);
		query_page_free(&p);
		query_free(q);
	}
}

static void expect(struct store *st, const char *filter, size_t k, const char *want)
{
	json_t *req = json_pack("{s:s, s:I, s:[i], s:[I]}", "f", filter, "k", (json_int_t)k, "rank", 1,
				"goto", (json_int_t)1709251201000); /* 2024-03-01T00:00:01Z */
	json_t *a = serve_one(st, req, 6);
	char fwd[256], bwd[256];
	assert_null(json_object_get(a, "err"));
	rids(st, json_object_get(a, "fwd"), fwd, sizeof fwd);
	rids(st, json_object_get(a, "bwd"), bwd, sizeof bwd);
	if (strcmp(fwd, want) || strcmp(bwd, want))
		fail_msg("%s (pages of %zu): forward '%s', backward '%s', want '%s'", filter, k, fwd, bwd,
			 want);
	size_t n = want[0] ? 1 : 0;
	for (const char *s = want; *s; s++)
		n += *s == ' ';
	assert_int_equal(json_integer_value(json_object_get(a, "count")), (json_int_t)n);
	assert_int_equal(json_array_size(json_object_get(a, "bad")), 0);
	/* the second event, if any, has one before it */
	assert_int_equal(json_integer_value(json_array_get(json_object_get(a, "rank"), 0)), n > 1 ? 1 : -1);
	/* every event is after the goto time: it lands on the first */
	json_t *g = json_array_get(json_object_get(a, "goto"), 0);
	if (n)
		assert_int_equal(json_integer_value(g),
				 json_integer_value(json_array_get(json_object_get(a, "fwd"), 0)));
	else
		assert_true(json_is_null(g));
	json_decref(a);
	json_decref(req);
}

static void test_answers(void **state)
{
	struct fx *f = *state;
	/* r5 is 2024-03-01T23:00Z: before r4 */
	expect(f->st, "", 1, "r1 r2 r3 r5 r4 r6");
	expect(f->st, "", 4, "r1 r2 r3 r5 r4 r6");
	expect(f->st, "user=alice@x.com", 1, "r1 r3 r5");
	expect(f->st, "op=SEND", 2, "r1 r2 r5 r4 r6");
	expect(f->st, "op=send user!=alice@x.com", 1, "r2 r4 r6");
	expect(f->st, "ip=\"\"", 3, "r4");
	expect(f->st, "ip!=10.0.0.1", 1, "r2 r5 r4");
	expect(f->st, "time>=2024-03-02", 1, "r4 r6");
	expect(f->st, "time<2024-03-02 not ip=10.0.0.0/31", 2, "r2 r5");
	expect(f->st, "user=nobody@x.com", 3, "");
	expect(f->st, "(user=bob@x.com or user=dave@x.com) ip=10.0.0.1", 1, "r6");
	/* kind!= and kind!~ were kind= and kind~ (negated twice) */
	expect(f->st, "kind!=ual", 2, "");
	expect(f->st, "kind!=signin,risk user=alice@x.com", 1, "r1 r3 r5");
	expect(f->st, "kind!~^sign op=send", 2, "r1 r2 r5 r4 r6");
	expect(f->st, "kind!~^ual", 3, "");
	expect(f->st, "not kind=ual or ip=10.0.0.2", 1, "r2");
	/* an address as a raw record writes it: the stored form's events */
	expect(f->st, "ip=::ffff:10.0.0.1", 2, "r1 r3 r6");
	expect(f->st, "ip=10.0.0.1:50112,\"[::ffff:10.0.0.2]:443\"", 1, "r1 r2 r3 r6");
	expect(f->st, "ip!=10.0.0.1:443 ip!=\"\"", 2, "r2 r5");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--fields"))
		return fields();
	if (argc == 3 && !strcmp(argv[1], "--dump"))
		return dump(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--serve"))
		return serve(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
