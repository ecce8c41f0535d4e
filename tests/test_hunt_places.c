/*
 * test_hunt_places.c: the place hunts (core/hunt_places.c) and what they
 * rest on (core/geoplaces.c), on data shaped unlike the generator's:
 * November 2025, a German user on Deutsche Telekom signing in every
 * 2 h 13 min and reading mail every 3 h, an American on Comcast who
 * also comes from T-Mobile's mobile network; in the intrusion case a
 * sign-in and a mail read from Japan (KDDI) 35 minutes after a German
 * sign-in, and another user's sign-ins from DigitalOcean. Needs the
 * installed databases (geoip/, make deps); skipped with a message
 * without them.
 */
#include "testutil.h"

#include <inttypes.h>
#include <limits.h>
#include <time.h>

#include "geoip.h"
#include "geoplaces.h"
#include "hunt.h"
#include "ingest.h"
#include "ipgeo.h"
#include "query.h"
#include "stack.h"
#include "store.h"
#include "util.h"

#define MIN ((int64_t)60000)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define T0 ((int64_t)1762128000000) /* 2025-11-03 00:00 UTC */

static char geodir[PATH_MAX];

/* geoip/ with the country table, or skip */
static void need_databases(void)
{
	const char *d = getenv("AUDITSCOPE_GEOIP");
	char p[PATH_MAX + 64];
	if (!d) {
		if (!realpath("geoip", geodir))
			geodir[0] = '\0';
		d = geodir;
	}
	snprintf(p, sizeof p, "%s/world-countries.json", d);
	char q[PATH_MAX + 64];
	snprintf(q, sizeof q, "%s/asn-ipv4-num.csv", d);
	if (access(p, R_OK) != 0 || access(q, R_OK) != 0) {
		print_message("skipped: geoip/ with world-countries.json is absent (make deps installs it)\n");
		skip();
	}
	if (d == geodir)
		setenv("AUDITSCOPE_GEOIP", geodir, 1);
}

static void iso(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int nid;

static void signin(struct util_buf *b, int64_t ts, const char *user, const char *ip, int err)
{
	char t[40];
	iso(ts, t, sizeof t);
	util_buf_printf(b,
			"{\"id\":\"5e1f%08d-aaaa-4bbb-8ccc-000000000000\",\"createdDateTime\":\"%s\",\"userPrincipalName\":"
			"\"%s\",\"appId\":\"00000002-0000-0ff1-ce00-000000000000\",\"ipAddress\":\"%s\","
			"\"status\":{\"errorCode\":%d}}\n",
			nid++, t, user, ip, err);
}

static void mailread(struct util_buf *b, int64_t ts, const char *user, const char *ip)
{
	char t[40];
	iso(ts, t, sizeof t);
	util_buf_printf(b,
			"{\"CreationTime\":\"%.19s\",\"Id\":\"3a1d%08d-aaaa-4bbb-8ccc-000000000000\",\"Operation\":"
			"\"MailItemsAccessed\",\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"%s\","
			"\"MailboxOwnerUPN\":\"%s\",\"ClientIPAddress\":\"%s\",\"AppId\":\"00000002-0000-0ff1-ce00-000000000000\","
			"\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}]}\n",
			t, nid++, user, user, ip);
}

struct pcase {
	char *dir;
	struct store *st;
};

static struct pcase make_case(bool intrusion)
{
	struct pcase c = { tmpdir_new(), NULL };
	assert_non_null(c.dir);
	struct util_buf si = { 0 }, ual = { 0 };
	for (int64_t t = T0 + 37 * MIN; t < T0 + 9 * DAY; t += 2 * HOUR + 13 * MIN)
		signin(&si, t, "anke@fabrikam.example", (t / HOUR) % 2 ? "80.128.0.5" : "217.0.0.5", 0);
	for (int64_t t = T0 + 50 * MIN; t < T0 + 9 * DAY; t += 3 * HOUR)
		mailread(&ual, t, "anke@fabrikam.example", "80.128.0.5");
	for (int64_t t = T0 + 5 * HOUR; t < T0 + 9 * DAY; t += 7 * HOUR)
		signin(&si, t, "cole@fabrikam.example", "23.24.0.5", 0);
	/* the phone: T-Mobile's network from day 5 on, in the same country */
	for (int64_t t = T0 + 5 * DAY + 2 * HOUR; t < T0 + 9 * DAY; t += 11 * HOUR)
		signin(&si, t, "cole@fabrikam.example", "23.18.0.5", 0);
	if (intrusion) {
		/* day 6: a German sign-in at 14:25 (T0 + 6d + 37m + 2h13m * k);
		 * Japan 35 minutes after the one before it */
		int64_t de = T0 + 37 * MIN;
		while (de + 2 * HOUR + 13 * MIN < T0 + 6 * DAY + 14 * HOUR)
			de += 2 * HOUR + 13 * MIN;
		signin(&si, de + 35 * MIN, "anke@fabrikam.example", "14.8.0.5", 0);
		mailread(&ual, de + 41 * MIN, "anke@fabrikam.example", "14.8.0.5");
		signin(&si, T0 + 4 * DAY + 3 * HOUR, "bruno@fabrikam.example", "5.101.96.5", 50126);
		signin(&si, T0 + 4 * DAY + 3 * HOUR + 2 * MIN, "bruno@fabrikam.example", "5.101.96.5", 0);
	}
	char in[4200];
	snprintf(in, sizeof in, "%s/in", c.dir);
	assert_int_equal(mkdir(in, 0700), 0);
	free(write_file(in, "signins.jsonl", si.p, si.n));
	free(write_file(in, "ual.jsonl", ual.p, ual.n));
	util_buf_free(&si);
	util_buf_free(&ual);
	char path[4300];
	snprintf(path, sizeof path, "%s/c.case", c.dir);
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &c.st, &cause), 0);
	const char *paths[] = { in };
	struct ingest_opts o = { 0 };
	struct ingest_totals tot;
	assert_int_equal(ingest_paths(c.st, paths, 1, &o, &tot, &cause), 0);
	const char *dirs[] = { getenv("AUDITSCOPE_GEOIP"), NULL };
	struct geoip *g = geoip_open(dirs);
	struct ipgeo_stats stats;
	assert_int_equal(ipgeo_enrich(c.st, g, &stats, &cause), 0);
	assert_int_equal(stats.located, stats.looked_up);
	geoip_free(g);
	return c;
}

static void case_free(struct pcase *c)
{
	store_close(c->st);
	tmpdir_remove(c->dir);
	free(c->dir);
}

static struct hunt_result *run(struct store *st, enum hunt_id id)
{
	struct hunt_result *r = NULL;
	char *cause = NULL;
	if (hunt_run(st, id, NULL, &r, &cause) < 0)
		fail_msg("hunt %s: %s", hunt_def(id)->name, cause);
	return r;
}

static const char *cell(const struct hunt_result *r, size_t row, const char *col)
{
	for (size_t i = 0; i < r->def->ncols; i++)
		if (!strcmp(r->def->cols[i].name, col))
			return r->rows[row].vals[i] ? r->rows[row].vals[i] : "";
	fail_msg("no column %s", col);
	return NULL;
}

static void test_intrusion(void **state)
{
	(void)state;
	need_databases();
	struct pcase c = make_case(true);

	struct hunt_result *r = run(c.st, HUNT_NEW_PLACE);
	assert_int_equal(r->nhits, 1);
	assert_string_equal(cell(r, 0, "user"), "anke@fabrikam.example");
	assert_string_equal(cell(r, 0, "new"), "country");
	assert_string_equal(cell(r, 0, "place"), "JP (AS2516 KDDI CORPORATION)");
	assert_string_equal(cell(r, 0, "mail_reads"), "1");
	assert_string_equal(cell(r, 0, "known_before"), "DE");
	assert_int_equal(r->rows[0].score, 80);
	assert_int_equal(r->rows[0].nevents, 2); /* the sign-in and the read */
	assert_string_equal(r->rows[0].filter, "user=anke@fabrikam.example country=JP");
	/* T-Mobile for cole: listed as context, not counted */
	assert_int_equal(r->nrows, 2);
	assert_false(r->rows[1].hit);
	assert_string_equal(cell(r, 1, "place"), "AS21928 T-Mobile USA, Inc.");
	hunt_result_free(r);

	r = run(c.st, HUNT_HOSTING_SIGNIN);
	assert_int_equal(r->nhits, 1);
	assert_int_equal(r->nrows, 1);
	assert_string_equal(cell(r, 0, "user"), "bruno@fabrikam.example");
	assert_string_equal(cell(r, 0, "provider"), "DigitalOcean");
	assert_string_equal(cell(r, 0, "sign_ins"), "2");
	assert_string_equal(cell(r, 0, "succeeded"), "1");
	assert_string_equal(cell(r, 0, "countries"), "NL");
	assert_int_equal(r->rows[0].score, 75);
	hunt_result_free(r);

	r = run(c.st, HUNT_IMPOSSIBLE_TRAVEL);
	/* there and back: both legs are too fast */
	assert_int_equal(r->nhits, 2);
	assert_string_equal(cell(r, 0, "user"), "anke@fabrikam.example");
	assert_string_equal(cell(r, 0, "to_ip"), "14.8.0.5");
	assert_string_equal(cell(r, 0, "minutes"), "35");
	assert_true(strtol(cell(r, 0, "min_km"), NULL, 10) > 5000);
	assert_true(strtol(cell(r, 0, "km_per_h"), NULL, 10) > 8000);
	assert_string_equal(cell(r, 1, "from_ip"), "14.8.0.5");
	assert_int_equal(r->rows[0].score, 95);
	hunt_result_free(r);
	case_free(&c);
}

static void test_no_intrusion(void **state)
{
	(void)state;
	need_databases();
	struct pcase c = make_case(false);
	static const enum hunt_id ids[] = { HUNT_NEW_PLACE, HUNT_HOSTING_SIGNIN, HUNT_IMPOSSIBLE_TRAVEL };
	for (size_t i = 0; i < 3; i++) {
		struct hunt_result *r = run(c.st, ids[i]);
		if (r->nhits)
			fail_msg("%s: %zu hits in a case without intrusion", r->def->name, r->nhits);
		hunt_result_free(r);
	}
	/* the same through hunt_run_all (one shared scan) */
	struct hunt_result *all[HUNT_COUNT];
	struct hunt_opts o;
	hunt_opts_init(&o);
	char *cause = NULL;
	assert_int_equal(hunt_run_all(c.st, &o, all, &cause), 0);
	assert_int_equal(all[HUNT_NEW_PLACE]->nhits, 0);
	assert_int_equal(all[HUNT_NEW_PLACE]->nrows, 1);
	for (int i = 0; i < HUNT_COUNT; i++)
		hunt_result_free(all[i]);
	case_free(&c);
}

/* The stack of a place field: events by the IP's country, network,
 * owner (what F offers on the IP column) */
static void test_stack_places(void **state)
{
	(void)state;
	need_databases();
	struct pcase c = make_case(true);
	struct query *q = NULL;
	char *cause = NULL;
	assert_int_equal(query_new(c.st, NULL, &q, &cause), 0);
	int64_t all = query_count_text(c.st, NULL, &cause);
	struct stack sk;
	assert_int_equal(stack_run(q, "country", STACK_RARE, -1, &sk, &cause), 0);
	assert_string_equal(sk.field, "country");
	assert_int_equal(sk.events, all);
	assert_int_equal(sk.n, 4); /* JP NL US DE; of equal counts, the newcomer first */
	assert_string_equal(sk.rows[0].value, "JP");
	assert_int_equal(sk.rows[0].events, 2);
	assert_int_equal(sk.rows[0].distinct, 1); /* anke's mailbox, read from Japan */
	assert_string_equal(sk.rows[1].value, "NL");
	assert_int_equal(sk.rows[1].events, 2);
	assert_int_equal(sk.rows[1].distinct, 0);
	assert_string_equal(sk.rows[3].value, "DE");
	assert_int_equal(sk.rows[3].events, query_count_text(c.st, "country=DE", &cause));
	stack_clear(&sk);
	assert_int_equal(stack_run(q, "asn", STACK_COMMON, 2, &sk, &cause), 0);
	assert_string_equal(sk.rows[0].value, "AS3320");
	assert_int_equal(sk.values, 5);
	assert_int_equal(sk.n, 2);
	stack_clear(&sk);
	query_free(q);
	assert_int_equal(query_new(c.st, "user=cole@fabrikam.example", &q, &cause), 0);
	assert_int_equal(stack_run(q, "as_org", STACK_COMMON, -1, &sk, &cause), 0);
	assert_int_equal(sk.n, 2);
	assert_string_equal(sk.rows[0].value, "Comcast Cable Communications, LLC");
	assert_string_equal(sk.rows[1].value, "T-Mobile USA, Inc.");
	stack_clear(&sk);
	query_free(q);
	case_free(&c);
}

/* Each listed hosting network is its provider's, by the owner name the
 * installed ASN table gives it. */
static void test_hosting_list(void **state)
{
	(void)state;
	need_databases();
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/asn-ipv4-num.csv", getenv("AUDITSCOPE_GEOIP"));
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t n;
	const struct geoplaces_hosting_entry *h = geoplaces_hosting_list(&n);
	assert_true(n >= 50);
	bool *found = calloc(n, sizeof *found);
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
		if (!c2)
			continue;
		unsigned long asn = strtoul(c2 + 1, NULL, 10);
		for (size_t i = 0; i < n; i++)
			if (h[i].asn == asn && strstr(c2, h[i].owner))
				found[i] = true;
	}
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		if (!found[i])
			fail_msg("AS%u (%s): no range owned by '%s' in the ASN table", h[i].asn,
				 h[i].provider, h[i].owner);
		if (i)
			assert_true(h[i - 1].asn < h[i].asn); /* sorted, for the bisection */
		assert_string_equal(geoplaces_hosting(h[i].asn), h[i].provider);
	}
	free(found);
	assert_null(geoplaces_hosting(8075)); /* Microsoft: labelled, not hosting */
	assert_null(geoplaces_hosting(3320));
	assert_true(geoplaces_is_mobile("T-Mobile USA, Inc."));
	assert_true(geoplaces_is_mobile("Cellco Partnership DBA Verizon Wireless"));
	assert_false(geoplaces_is_mobile("Deutsche Telekom AG"));
	/* carriers' words as words, not inside another */
	assert_true(geoplaces_is_mobile("MOBILE-TELESYSTEMS"));
	assert_true(geoplaces_is_mobile("Telekom Deutschland Mobilfunk"));
	assert_true(geoplaces_is_mobile("Telenor Mobil AS"));
	assert_true(geoplaces_is_mobile("AT&T Mobility LLC"));
	assert_true(geoplaces_is_mobile("Telefonica Moviles Chile"));
	assert_true(geoplaces_is_mobile("Kyivstar GSM"));
	assert_false(geoplaces_is_mobile("ExxonMobil Corporation"));
	assert_false(geoplaces_is_mobile("Mobileye Vision Technologies"));
	assert_false(geoplaces_is_mobile("Automobile Club of Southern California"));
	assert_false(geoplaces_is_mobile("Ford Smart Mobility LLC"));
	assert_false(geoplaces_is_mobile("Atlantic Broadband"));
	assert_false(geoplaces_is_mobile("Wirelessly Inc"));
	/* carriers' fused names, the automobile's and Exxon's are not */
	assert_true(geoplaces_is_mobile("Vietnamobile Telecommunications Joint Stock Company"));
	assert_true(geoplaces_is_mobile("RadioMovil Dipsa, S.A. de C.V."));
	assert_true(geoplaces_is_mobile("Lycamobile USA Inc"));
	assert_false(geoplaces_is_mobile("Exxon Mobil Corporation"));
	assert_false(geoplaces_is_mobile("PSA AUTOMOBILES SA"));
	assert_false(geoplaces_is_mobile("Schweizerische Mobiliar Versicherungsgesellschaft AG"));
	assert_false(geoplaces_is_mobile("Videotron Ltee"));
	assert_false(geoplaces_is_mobile(NULL));
}

static void test_distances(void **state)
{
	(void)state;
	need_databases();
	const char *dirs[] = { getenv("AUDITSCOPE_GEOIP"), NULL };
	struct geoplaces *p = geoplaces_open(dirs);
	assert_non_null(p);
	assert_non_null(strstr(geoplaces_describe(p), "world-countries.json 5.1.0"));
	assert_true(geoplaces_min_km(p, "DE", "NL") == 0); /* neighbours */
	assert_true(geoplaces_min_km(p, "de", "de") == 0);
	double dejp = geoplaces_min_km(p, "DE", "JP");
	assert_true(dejp > 5000 && dejp < 9000); /* centres 9,000 km apart */
	assert_true(geoplaces_min_km(p, "DE", "XX") < 0);
	/* Paris - New York on the sphere: 5,837 km */
	double km = geoplaces_km(48.8566, 2.3522, 40.7128, -74.0060);
	assert_true(km > 5800 && km < 5870);
	geoplaces_free(p);
	const char *none[] = { "/nonexistent", NULL };
	assert_null(geoplaces_open(none));
	assert_true(geoplaces_min_km(NULL, "DE", "JP") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intrusion),    cmocka_unit_test(test_no_intrusion),
		cmocka_unit_test(test_stack_places), cmocka_unit_test(test_hosting_list),
		cmocka_unit_test(test_distances),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
