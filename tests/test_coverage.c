/*
 * test_coverage.c: what the evidence covers (core/coverage.h), on data
 * shaped unlike the generator's (sign-ins every 97 s with a silent day and
 * three silent hours, a mailbox read and one that never is, a throttled
 * read, a PowerShell export of exactly 5,000 rows) and on the real exports.
 */
#include "testutil.h"

#include <inttypes.h>
#include <time.h>

#include "coverage.h"
#include "event.h"
#include "ingest.h"
#include "store.h"
#include "util.h"

#define DAY ((int64_t)86400000)
#define HOUR ((int64_t)3600000)
/* 2024-02-27 00:00 UTC: a leap month, unlike the generator's */
#define T0 ((int64_t)1708992000000)

static void iso(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The folder the data of a test is written to (the case sits beside it). */
static char *indir(const char *dir)
{
	size_t n = strlen(dir) + 4;
	char *p = malloc(n);
	snprintf(p, n, "%s/in", dir);
	if (mkdir(p, 0700) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static struct store *load(const char *dir, const char *const *files, size_t n)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/c.case", dir);
	struct store *st = NULL;
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &st, &cause), 0);
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	int r = ingest_paths(st, files, n, &o, &t, &cause);
	if (r < 0)
		fprintf(stderr, "%s\n", cause);
	assert_int_equal(r, 0);
	return st;
}

/* sign-ins every 97 s on 2024-02-27, 28 and 03-01 (none on the 29th,
 * none 10:00-13:00 on 03-01); UAL: a@ read (one read throttled), b@
 * only sends mail */
static char *signins_and_mail(const char *dir)
{
	struct util_buf b = { 0 };
	char ts[40];
	int n = 0;
	for (int64_t t = T0 + 5 * 60000; t < T0 + 4 * DAY; t += 97000) {
		if (t >= T0 + 2 * DAY && t < T0 + 3 * DAY)
			continue;
		if (t >= T0 + 3 * DAY + 10 * HOUR && t < T0 + 3 * DAY + 13 * HOUR)
			continue;
		iso(t, ts, sizeof ts);
		util_buf_printf(&b,
				"{\"id\":\"9a0c%08d-1111-2222-3333-444455556666\",\"createdDateTime\":\"%s\","
				"\"userPrincipalName\":\"a@fabrikam.example\",\"appId\":\"00000002-0000-0ff1-ce00-000000000000\","
				"\"ipAddress\":\"198.51.100.%d\",\"status\":{\"errorCode\":0}}\n",
				n, ts, n % 200 + 1);
		n++;
	}
	char *p1 = write_file(dir, "signins.jsonl", b.p, b.n);
	util_buf_free(&b);
	iso(T0 + DAY + 7 * HOUR, ts, sizeof ts);
	util_buf_printf(&b,
			"{\"CreationTime\":\"%.19s\",\"Id\":\"c0ffee00-0000-4000-8000-000000000001\",\"Operation\":"
			"\"MailItemsAccessed\",\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"a@fabrikam.example\","
			"\"MailboxOwnerUPN\":\"a@fabrikam.example\",\"ClientIPAddress\":\"198.51.100.7\","
			"\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"},"
			"{\"Name\":\"IsThrottled\",\"Value\":\"True\"}]}\n",
			ts);
	iso(T0 + DAY + 8 * HOUR, ts, sizeof ts);
	util_buf_printf(&b,
			"{\"CreationTime\":\"%.19s\",\"Id\":\"c0ffee00-0000-4000-8000-000000000002\",\"Operation\":"
			"\"Send\",\"RecordType\":2,\"Workload\":\"Exchange\",\"UserId\":\"b@fabrikam.example\","
			"\"MailboxOwnerUPN\":\"b@fabrikam.example\",\"ClientIPAddress\":\"198.51.100.8\"}\n",
			ts);
	char *p2 = write_file(dir, "ual.jsonl", b.p, b.n);
	util_buf_free(&b);
	free(p2);
	return p1;
}

static void test_gaps_throttled_unread(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	assert_non_null(dir);
	char *in = indir(dir);
	assert_non_null(in);
	free(signins_and_mail(in));
	const char *files[] = { in };
	struct store *st = load(dir, files, 1);
	struct coverage *c = NULL;
	char *cause = NULL;
	assert_int_equal(coverage_build(st, NULL, &c, &cause), 0);
	assert_int_equal(c->ndays, 4);
	assert_int_equal(c->day0, T0);

	const struct coverage_series *s = &c->kinds[KIND_SIGNIN];
	assert_true(s->events > 2000);
	assert_int_equal(s->first, T0 + 5 * 60000);
	assert_int_equal(s->active_days, 3);
	assert_int_equal(s->days[2], 0);
	assert_int_equal(s->ngaps, 2);
	assert_int_equal(s->gaps[0].why, GAP_DAYS);
	assert_int_equal(s->gaps[0].from, T0 + 2 * DAY);
	assert_int_equal(s->gaps[0].to, T0 + 3 * DAY);
	assert_int_equal(s->gaps[1].why, GAP_HOURS);
	assert_int_equal(s->gaps[1].from, T0 + 3 * DAY + 10 * HOUR);
	assert_int_equal(s->gaps[1].to, T0 + 3 * DAY + 13 * HOUR);
	char *g = coverage_gap_text(&s->gaps[1]);
	assert_string_equal(g, "2024-03-01 10:00 to 2024-03-01 13:00 (3 h): silent hours between busy hours (20+ events "
			       "an hour)");
	free(g);
	/* the bars: a day without records is a space; the last day lost
	 * three hours of its 24 */
	char *bars = coverage_bars(c, s, 80, NULL);
	assert_string_equal(bars, "\xe2\x96\x88\xe2\x96\x88 \xe2\x96\x87");
	free(bars);
	assert_int_equal(coverage_kind_first(c, KIND_SIGNIN), T0 + 5 * 60000);
	assert_true(coverage_kind_first(c, KIND_GRAPH) == INT64_MIN);

	/* the UAL: one throttled read of a@, b@ never read */
	assert_int_equal(c->kinds[KIND_UAL].events, 2);
	assert_int_equal(c->kinds[KIND_UAL].ngaps, 0);
	assert_int_equal(c->mail_reads, 1);
	assert_int_equal(c->nthrottled, 1);
	assert_string_equal(c->throttled[0].mailbox, "a@fabrikam.example");
	assert_int_equal(c->throttled[0].ts, T0 + DAY + 7 * HOUR);
	assert_int_equal(c->nunread, 1);
	assert_string_equal(c->unread_mailboxes[0], "b@fabrikam.example");
	bool unread_note = false, graph_note = false;
	for (size_t i = 0; i < c->nnotes; i++) {
		unread_note |= strstr(c->notes[i], "1 of 2 mailboxes") != NULL;
		graph_note |= strstr(c->notes[i], "no Microsoft Graph activity log") != NULL;
		/* the sign-ins cover the UAL's window: no note says otherwise */
		assert_null(strstr(c->notes[i], "no Entra sign-in log"));
		assert_null(strstr(c->notes[i], "the sign-ins cover"));
	}
	assert_true(unread_note);
	assert_true(graph_note);
	/* two sources, each its own kind */
	assert_int_equal(c->nsources, 2);
	for (size_t i = 0; i < c->nsources; i++) {
		const struct coverage_source *src = &c->sources[i];
		assert_int_equal(src->cuts, 0);
		assert_int_equal(src->s.kind, strstr(src->path, "ual") ? KIND_UAL : KIND_SIGNIN);
		assert_int_equal(src->s.events, src->records);
	}
	coverage_free(c);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
	free(in);
}

/* A mail-access case without sign-ins, and without any MailItemsAccessed. */
static void test_missing_logs(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	assert_non_null(dir);
	const char *rec =
		"{\"CreationTime\":\"2024-02-27T08:00:00\",\"Id\":\"c0ffee00-0000-4000-8000-000000000009\","
		"\"Operation\":\"Send\",\"RecordType\":2,\"Workload\":\"Exchange\",\"UserId\":\"b@fabrikam.example\","
		"\"MailboxOwnerUPN\":\"b@fabrikam.example\"}\n";
	char *in = indir(dir);
	assert_non_null(in);
	free(write_file(in, "ual.jsonl", rec, strlen(rec)));
	const char *files[] = { in };
	struct store *st = load(dir, files, 1);
	struct coverage *c = NULL;
	char *cause = NULL;
	assert_int_equal(coverage_build(st, NULL, &c, &cause), 0);
	assert_int_equal(c->mail_reads, 0);
	bool no_mia = false, no_signin = false;
	for (size_t i = 0; i < c->nnotes; i++) {
		no_mia |= strstr(c->notes[i], "no MailItemsAccessed record in 1 UAL events") != NULL;
		no_signin |= strstr(c->notes[i], "no Entra sign-in log") != NULL;
	}
	assert_true(no_mia);
	assert_true(no_signin);
	coverage_free(c);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
	free(in);
}

/* exactly 5,000 rows of Search-UnifiedAuditLog: the page limit */
static void test_row_limit(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	assert_non_null(dir);
	struct util_buf b = { 0 };
	util_buf_puts(&b, "\"RecordType\",\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\",\"ResultIndex\","
			  "\"ResultCount\",\"Identity\"\n");
	for (int i = 1; i <= 5000; i++)
		util_buf_printf(&b,
				"\"ExchangeItem\",\"2/27/2024 %d:%02d:%02d AM\",\"a@fabrikam.example\",\"Send\","
				"\"{\"\"CreationTime\"\":\"\"2024-02-27T%02d:%02d:%02d\"\",\"\"Id\"\":\"\"d00d%04d-0000-4000-8000-"
				"000000000000\"\",\"\"Operation\"\":\"\"Send\"\",\"\"UserId\"\":\"\"a@fabrikam.example\"\"}\","
				"\"%d\",\"5000\",\"d00d%04d-0000-4000-8000-000000000000\"\n",
				(i / 3600) % 12 + 1, i / 60 % 60, i % 60, (i / 3600) % 12 + 1, i / 60 % 60,
				i % 60, i, i, i);
	char *in = indir(dir);
	assert_non_null(in);
	free(write_file(in, "page.csv", b.p, b.n));
	util_buf_free(&b);
	const char *files[] = { in };
	struct store *st = load(dir, files, 1);
	struct coverage *c = NULL;
	char *cause = NULL;
	assert_int_equal(coverage_build(st, NULL, &c, &cause), 0);
	assert_int_equal(c->nsources, 1);
	assert_int_equal(c->sources[0].records, 5000);
	assert_string_equal(c->sources[0].format, "psh-csv");
	assert_int_equal(c->sources[0].cuts, 1u << CUT_ROW_LIMIT);
	char *t = coverage_cut_text(c->sources[0].cuts);
	assert_string_equal(t, "cut at the export's row limit");
	free(t);
	coverage_free(c);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
	free(in);
}

/* Every real export: a source's events by the scan agree with its own
 * range and row count; the Search-UnifiedAuditLog page short of its
 * ResultCount is flagged, and no other source is. */
static void test_realdata(void **state)
{
	(void)state;
	char path[4096];
	REALDATA("search-unifiedauditlog-export.csv", path);
	char *dir = tmpdir_new();
	assert_non_null(dir);
	const char *rd = realdata_dir();
	const char *files[] = { rd };
	struct store *st = load(dir, files, 1);
	struct coverage *c = NULL;
	char *cause = NULL;
	assert_int_equal(coverage_build(st, NULL, &c, &cause), 0);
	size_t checked = 0, cut = 0;
	for (size_t i = 0; i < c->nsources; i++) {
		const struct coverage_source *s = &c->sources[i];
		if (strstr(s->path, "search-unifiedauditlog-export.csv")) {
			assert_true(s->cuts & (1u << CUT_RESULTCOUNT));
			assert_int_equal(s->records, 500);
			cut++;
		} else if (!strstr(s->path, "defender-advanced")) {
			assert_false(s->cuts & (1u << CUT_RESULTCOUNT));
		}
		/* Defender's CloudAppEvents row is a UAL record whose
		 * Sentinel copy is the one kept */
		if (strstr(s->path, "defender-advanced")) {
			assert_int_equal(s->s.events + 1, s->records);
		} else if (s->records && !s->duplicates && !s->rejects) {
			assert_int_equal(s->s.events, s->records);
			assert_int_equal(s->s.first, s->first);
			assert_int_equal(s->s.last, s->last);
			checked++;
		}
	}
	assert_int_equal(cut, 1);
	assert_true(checked >= 10);
	coverage_free(c);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gaps_throttled_unread),
		cmocka_unit_test(test_missing_logs),
		cmocka_unit_test(test_row_limit),
		cmocka_unit_test(test_realdata),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
