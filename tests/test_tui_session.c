/*
 * test_tui_session.c: sessions across logs on generated data. The
 * attacker's sign-in, the Graph calls made with its token and the
 * MailItemsAccessed of its mail reads share the session and token ids
 * (as Entra, Graph activity logs and the UAL write them); a legitimate
 * sign-in and mail read of the same user do not. Checks core/session.h
 * (the closure, the sign-in behind an event) and the interface: the
 * detail view of the attacker's mail read shows its sign-in, and S opens
 * the session with the events of all three kinds.
 */
#include "testutil.h"

#include <curses.h>

#include "app.h"
#include "draw.h"
#include "hunt.h"
#include "sqlite/sqlite_store.h"
#include "ingest.h"
#include "query.h"
#include "session.h"
#include "store.h"
#include "view_timeline.h"
#include "xalloc.h"

static const char signins[] =
	"[{\"id\":\"s-ok\",\"createdDateTime\":\"2023-06-18T01:00:00Z\",\"userPrincipalName\":\"alice@contoso.com\","
	"\"appId\":\"00000002-0000-0ff1-ce00-000000000000\",\"ipAddress\":\"198.51.100.7\",\"sessionId\":\"sess-ok\","
	"\"uniqueTokenIdentifier\":\"tok-ok\",\"userAgent\":\"Mozilla/5.0 Outlook\",\"status\":{\"errorCode\":0},"
	"\"conditionalAccessStatus\":\"success\",\"authenticationRequirement\":\"multiFactorAuthentication\"},"
	"{\"id\":\"s-att\",\"createdDateTime\":\"2023-06-18T02:00:00Z\",\"userPrincipalName\":\"alice@contoso.com\","
	"\"appId\":\"d3590ed6-52b3-4102-aeff-aad2292ab01c\",\"ipAddress\":\"203.0.113.66\",\"sessionId\":\"sess-att\","
	"\"uniqueTokenIdentifier\":\"tok-att\",\"userAgent\":\"python-requests/2.31\",\"status\":{\"errorCode\":0},"
	"\"conditionalAccessStatus\":\"notApplied\",\"authenticationRequirement\":\"singleFactorAuthentication\","
	"\"riskLevelDuringSignIn\":\"high\",\"riskState\":\"atRisk\","
	"\"deviceDetail\":{\"operatingSystem\":\"Linux\",\"browser\":\"Python Requests 2.31\"}}]\n";

static const char graph[] =
	"{\"requestId\":\"g-1\",\"timeGenerated\":\"2023-06-18T02:05:00Z\",\"requestMethod\":\"GET\","
	"\"requestUri\":\"https://graph.microsoft.com/v1.0/me/messages\",\"appId\":\"d3590ed6-52b3-4102-aeff-aad2292ab01c\","
	"\"userId\":\"alice@contoso.com\",\"ipAddress\":\"203.0.113.66\",\"signInActivityId\":\"tok-att\","
	"\"sessionId\":\"sess-att\",\"responseStatusCode\":200}\n";

static const char ual[] =
	"{\"CreationTime\":\"2023-06-18T01:10:00\",\"Id\":\"m-ok\",\"Operation\":\"MailItemsAccessed\",\"RecordType\":50,"
	"\"Workload\":\"Exchange\",\"UserId\":\"alice@contoso.com\",\"ClientIPAddress\":\"198.51.100.7\","
	"\"MailboxOwnerUPN\":\"alice@contoso.com\",\"AppId\":\"00000002-0000-0ff1-ce00-000000000000\","
	"\"AppAccessContext\":{\"AADSessionId\":\"sess-ok\",\"UniqueTokenId\":\"tok-ok\"},"
	"\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}]}\n"
	"{\"CreationTime\":\"2023-06-18T02:06:00\",\"Id\":\"m-att\",\"Operation\":\"MailItemsAccessed\",\"RecordType\":50,"
	"\"Workload\":\"Exchange\",\"UserId\":\"alice@contoso.com\",\"ClientIPAddress\":\"192.0.2.99\","
	"\"MailboxOwnerUPN\":\"alice@contoso.com\",\"AppId\":\"d3590ed6-52b3-4102-aeff-aad2292ab01c\","
	"\"AppAccessContext\":{\"AADSessionId\":\"sess-att\",\"UniqueTokenId\":\"tok-att\"},"
	"\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}],"
	"\"Folders\":[{\"Path\":\"\\\\Inbox\",\"FolderItems\":[{\"InternetMessageId\":\"<secret@contoso.com>\"}]}]}\n";

struct fx {
	char *dir, *case_path;
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->dir = tmpdir_new();
	char *p1 = write_file(f->dir, "signins.json", signins, sizeof signins - 1);
	char *p2 = write_file(f->dir, "graph.jsonl", graph, sizeof graph - 1);
	char *p3 = write_file(f->dir, "ual.jsonl", ual, sizeof ual - 1);
	f->case_path = xasprintf("%s/s.case", f->dir);
	char *cause = NULL;
	int rc = store_open(f->case_path, STORE_CREATE, &f->st, &cause);
	const char *paths[] = { p1, p2, p3 };
	struct ingest_opts o = { 0 };
	struct ingest_totals t = { 0 };
	if (rc == 0)
		rc = ingest_paths(f->st, paths, 3, &o, &t, &cause);
	if (rc == 0)
		rc = store_ensure_indexes(f->st, &cause);
	free(p1);
	free(p2);
	free(p3);
	*state = f;
	if (rc != 0 || t.events != 5) {
		fprintf(stderr, "fixture: %s, %llu events\n", cause ? cause : "", (unsigned long long)t.events);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f->case_path);
	free(f);
	return 0;
}

static int64_t id_of(struct store *st, const char *rid)
{
	struct query *q;
	char *cause = NULL, *flt = xasprintf("record_id=%s", rid);
	assert_int_equal(query_new(st, flt, &q, &cause), 0);
	free(flt);
	struct query_page p = { 0 };
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 2, &p, &cause), 0);
	assert_int_equal(p.n, 1);
	int64_t id = p.rows[0].id;
	query_page_free(&p);
	query_free(q);
	return id;
}

static void test_closure(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;
	const char *keys[] = { "tok-att", "sess-att", "m-att", "g-1", "s-att" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct session *s;
		assert_int_equal(session_find(f->st, keys[i], &s, &cause), 0);
		assert_int_equal(s->n, 3);
		assert_int_equal(s->kinds[KIND_SIGNIN], 1);
		assert_int_equal(s->kinds[KIND_GRAPH], 1);
		assert_int_equal(s->kinds[KIND_UAL], 1);
		assert_int_equal(s->nsessions, 1);
		assert_int_equal(s->ntokens, 1);
		char *flt = session_filter(s);
		assert_string_equal(flt, "session=sess-att or token=tok-att");
		assert_int_equal(query_count_text(f->st, flt, &cause), 3);
		free(flt);
		/* in time order: the sign-in, the Graph call, the mail read */
		assert_true(s->ids[0] == id_of(f->st, "s-att"));
		assert_true(s->ids[2] == id_of(f->st, "m-att"));
		session_free(s);
	}
	struct session *s;
	assert_int_equal(session_find(f->st, "tok-ok", &s, &cause), 0);
	assert_int_equal(s->n, 2);
	session_free(s);
	assert_int_equal(session_find(f->st, "no-such-id", &s, &cause), 1);
	assert_null(s);
}

static void test_signin_behind(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;
	struct query_row r;
	assert_int_equal(session_signin(f->st, id_of(f->st, "m-att"), &r, &cause), 0);
	assert_string_equal(r.record_id, "s-att");
	assert_string_equal(r.ip, "203.0.113.66");
	assert_string_equal(r.client_info, "python-requests/2.31");
	query_row_clear(&r);
	assert_int_equal(session_signin(f->st, id_of(f->st, "m-ok"), &r, &cause), 0);
	assert_string_equal(r.record_id, "s-ok");
	query_row_clear(&r);
	assert_int_equal(session_signin(f->st, id_of(f->st, "g-1"), &r, &cause), 0);
	assert_string_equal(r.record_id, "s-att");
	query_row_clear(&r);
	/* a sign-in has none behind it */
	assert_int_equal(session_signin(f->st, id_of(f->st, "s-att"), &r, &cause), 1);
	size_t len;
	char *raw = store_raw(f->st, id_of(f->st, "s-att"), &len);
	struct signin_facts sf;
	session_signin_facts(raw, len, &sf);
	free(raw);
	assert_string_equal(sf.device, "Linux, Python Requests 2.31");
	assert_string_equal(sf.ca, "notApplied (0 policies applied)");
	assert_string_equal(sf.mfa, "singleFactorAuthentication");
	assert_string_equal(sf.risk, "high, atRisk");
	session_signin_facts_clear(&sf);
}

static int rows_with(const char *text, const char *s)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, s)); p++)
		n++;
	return n;
}

static void test_detail_and_session_view(void **state)
{
	struct fx *f = *state;
	setenv("LINES", "40", 1);
	setenv("COLUMNS", "150", 1);
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr = newterm("xterm-256color", out, in);
	assert_non_null(scr);
	struct app *a = app_new(f->st);
	char *cause = NULL;
	assert_int_equal(app_start(a, &cause), 0);
	app_filter_push(a, "record_id=m-att", NULL);
	app_key(a, 'g'); /* any key: the loop reloads the views */
	app_draw(a);
	app_key(a, '\r');
	app_draw(a);
	char *text = draw_dump(curscr);
	if (getenv("SHOW"))
		fprintf(stderr, "%s\n", text);
	assert_non_null(strstr(text, "The sign-in behind it (same token"));
	assert_non_null(strstr(text, "203.0.113.66"));
	assert_non_null(strstr(text, "python-requests/2.31"));
	assert_non_null(strstr(text, "singleFactorAuthentication"));
	assert_non_null(strstr(text, "high, atRisk"));
	assert_non_null(strstr(text, "notApplied"));
	free(text);
	/* S: the timeline of the whole session, three kinds of log */
	app_key(a, 'S');
	app_draw(a);
	text = draw_dump(curscr);
	assert_int_equal(rows_with(text, "2023-06-18"), 3);
	assert_non_null(strstr(text, "Graph GET"));
	assert_non_null(strstr(text, "MailItemsAccessed"));
	assert_non_null(strstr(text, "Sign-in"));
	free(text);
	assert_string_equal(app_filter(a), "session=sess-att or token=tok-att");
	app_free(a);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
}

/* :coverage shows what the case covers: the three kinds of the fixture,
 * its sources, and that none of its mailboxes is unread. */
static void test_coverage_view(void **state)
{
	struct fx *f = *state;
	setenv("LINES", "40", 1);
	setenv("COLUMNS", "150", 1);
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr = newterm("xterm-256color", out, in);
	assert_non_null(scr);
	struct app *a = app_new(f->st);
	char *cause = NULL;
	assert_int_equal(app_start(a, &cause), 0);
	for (const char *k = ":coverage\r"; *k; k++)
		app_key(a, (unsigned char)*k);
	app_draw(a);
	char *text = draw_dump(curscr);
	if (getenv("SHOW"))
		fprintf(stderr, "%s\n", text);
	assert_non_null(strstr(text, "The case covers 2023-06-18 01:00 to 2023-06-18 02:06 UTC, 1 days"));
	assert_non_null(strstr(text, "ual              2023-06-18 01:10 2023-06-18 02:06         2"));
	assert_non_null(strstr(text, "signin "));
	assert_non_null(strstr(text, "graph_activity "));
	assert_non_null(strstr(text, "signins.json"));
	assert_non_null(strstr(text, "entra-signin-json"));
	assert_null(strstr(text, "no Microsoft Graph activity log"));
	free(text);
	app_key(a, 'q');
	app_draw(a);
	text = draw_dump(curscr);
	assert_null(strstr(text, "The case covers"));
	free(text);
	app_free(a);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
}

/* An app id that neither Microsoft's table nor the tenant's list names:
 * its sign-in says what it calls itself, and the interface shows that
 * name beside the id on the mail read (issue 12: names from evidence). */
static void test_app_name_from_evidence(void **state)
{
	(void)state;
	static const char si[] =
		"{\"id\":\"s-qrv\",\"createdDateTime\":\"2024-03-02T07:00:00Z\",\"userPrincipalName\":\"ines@fabrikam.example\","
		"\"appId\":\"7c3e2f4a-1b2c-4d5e-8f90-0a1b2c3d4e5f\",\"appDisplayName\":\"Quarterly Report Viewer\","
		"\"ipAddress\":\"198.51.100.40\",\"status\":{\"errorCode\":0}}\n";
	static const char mr[] =
		"{\"CreationTime\":\"2024-03-02T07:03:00\",\"Id\":\"m-qrv\",\"Operation\":\"MailItemsAccessed\","
		"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"ines@fabrikam.example\","
		"\"MailboxOwnerUPN\":\"ines@fabrikam.example\",\"ClientIPAddress\":\"198.51.100.40\","
		"\"AppId\":\"7c3e2f4a-1b2c-4d5e-8f90-0a1b2c3d4e5f\","
		"\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}]}\n";
	char *dir = tmpdir_new();
	assert_non_null(dir);
	char *p1 = write_file(dir, "si.jsonl", si, sizeof si - 1),
	     *p2 = write_file(dir, "mr.jsonl", mr, sizeof mr - 1);
	char *cp = xasprintf("%s/n.case", dir);
	struct store *st = NULL;
	char *cause = NULL;
	assert_int_equal(store_open(cp, STORE_CREATE, &st, &cause), 0);
	const char *paths[] = { p1, p2 };
	struct ingest_opts o = { 0 };
	struct ingest_totals t = { 0 };
	assert_int_equal(ingest_paths(st, paths, 2, &o, &t, &cause), 0);
	assert_int_equal(t.events, 2);
	setenv("LINES", "40", 1);
	setenv("COLUMNS", "150", 1);
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr = newterm("xterm-256color", out, in);
	assert_non_null(scr);
	struct app *a = app_new(st);
	assert_int_equal(app_start(a, &cause), 0);
	assert_string_equal(app_app_name(a, "7c3e2f4a-1b2c-4d5e-8f90-0a1b2c3d4e5f"), "Quarterly Report Viewer");
	app_filter_push(a, "record_id=m-qrv", NULL);
	app_key(a, 'g');
	app_draw(a);
	app_key(a, '\r');
	app_draw(a);
	char *text = draw_dump(curscr);
	if (getenv("SHOW"))
		fprintf(stderr, "%s\n", text);
	assert_non_null(strstr(text, "7c3e2f4a-1b2c-4d5e-8f90-0a1b2c3d4e5f"));
	assert_non_null(strstr(text, "Quarterly Report Viewer"));
	free(text);
	app_free(a);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
	free(cp);
	free(p1);
	free(p2);
}

/* token-replay names the countries and networks of the token's IPs,
 * from the places the load stored (set here as enrichment would). */
static void test_token_replay_places(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = store_db(f->st);
	assert_int_equal(sqlite3_exec(db,
				      "DELETE FROM ipgeo;"
				      "INSERT INTO ipgeo SELECT id, 'NL', 64496, 'Example Hosting B.V.', NULL FROM vals WHERE v = '203.0.113.66';"
				      "INSERT INTO ipgeo SELECT id, 'RU', 64497, 'Example Telecom', NULL FROM vals WHERE v = '192.0.2.99';"
				      "INSERT INTO ipgeo SELECT id, 'GB', 64498, 'Example ISP', NULL FROM vals WHERE v = '198.51.100.7';",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	struct hunt_opts o;
	hunt_opts_init(&o);
	struct hunt_result *r;
	char *cause = NULL;
	assert_int_equal(hunt_run(f->st, HUNT_TOKEN_REPLAY, &o, &r, &cause), 0);
	/* the attacker's session and token (two IPs each); the legitimate
	 * ones stayed on one IP */
	assert_int_equal(r->nrows, 2);
	size_t c_countries = 8, c_networks = 9;
	assert_string_equal(r->def->cols[c_countries].name, "countries");
	for (size_t i = 0; i < r->nrows; i++) {
		assert_true(r->rows[i].hit);
		assert_string_equal(r->rows[i].vals[c_countries], "NL, RU");
		assert_string_equal(r->rows[i].vals[c_networks],
				    "AS64496 Example Hosting B.V., AS64497 Example Telecom");
	}
	hunt_result_free(r);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM ipgeo", NULL, NULL, NULL), SQLITE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closure),
		cmocka_unit_test(test_signin_behind),
		cmocka_unit_test(test_detail_and_session_view),
		cmocka_unit_test(test_token_replay_places),
		cmocka_unit_test(test_app_name_from_evidence),
		cmocka_unit_test(test_coverage_view),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
