/*
 * test_realdata.c: every real export in ../shared/realdata loads with the
 * right format, record count and no rejects, and the fields a responder
 * pivots on come out right. Skips with a message when the folder is
 * absent.
 */
#include "testutil.h"

#include "ingest.h"
#include "query.h"
#include "store.h"
#include "sqlite/sqlite_store.h"

struct loaded {
	char *dir, *case_path;
	struct store *st;
	struct ingest_totals t;
	char format[64];
	char status[256];
};

static int grab_source(const struct store_source_row *r, void *ctx)
{
	struct loaded *l = ctx;
	snprintf(l->format, sizeof l->format, "%s", r->format ? r->format : "");
	snprintf(l->status, sizeof l->status, "%s", r->status ? r->status : "");
	return 0;
}

static void load(struct loaded *l, const char *name)
{
	char path[4096];
	const char *rd = realdata_dir();
	snprintf(path, sizeof path, "%s/%s", rd, name);
	l->dir = tmpdir_new();
	size_t n = strlen(l->dir) + 16;
	l->case_path = malloc(n);
	assert_non_null(l->case_path);
	snprintf(l->case_path, n, "%s/r.case", l->dir);
	char *cause = NULL;
	struct store *st; /* not &l->st: the analyzer would forget l->case_path */
	assert_int_equal(store_open(l->case_path, STORE_CREATE, &st, &cause), 0);
	l->st = st;
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	assert_int_equal(ingest_paths(l->st, paths, 1, &o, &l->t, &cause), 0);
	store_each_source(l->st, grab_source, l, NULL);
}

static void unload(struct loaded *l)
{
	store_close(l->st);
	tmpdir_remove(l->dir);
	free(l->dir);
	free(l->case_path);
}

#define NEED_REALDATA()                                                           \
	do {                                                                      \
		if (!realdata_dir()) {                                            \
			print_message("skipped: ../shared/realdata is absent\n"); \
			skip();                                                   \
		}                                                                 \
	} while (0)

/* The first event (oldest, or newest if desc) matching filter, owned by
 * *r (query_row_clear it); *q is the query it came from. */
static void pick(struct store *st, const char *filter, bool desc, struct query_row *r, struct query **q)
{
	char *cause = NULL;
	assert_int_equal(query_new(st, filter, q, &cause), 0);
	struct query_page p = { 0 };
	assert_int_equal(query_page(*q, desc ? QUERY_LAST : QUERY_FIRST, NULL, 1, &p, &cause), 0);
	assert_int_equal(p.n, 1);
	*r = p.rows[0];
	p.n = 0;
	query_page_free(&p);
}

static void first(struct store *st, const char *filter, struct query_row *r, struct query **q)
{
	pick(st, filter, false, r, q);
}

static void test_purview_portal(void **state)
{
	(void)state;
	NEED_REALDATA();
	struct loaded l = { 0 };
	load(&l, "purview-portal-export.csv");
	assert_string_equal(l.format, "purview-csv");
	assert_string_equal(l.status, "complete");
	assert_int_equal(l.t.records, 219);
	assert_int_equal(l.t.events, 219);
	assert_int_equal(l.t.rejects, 0);
	assert_int_equal(query_count_text(l.st, "op=New-InboxRule", NULL), 38);
	struct query *q;
	struct query_row r;
	first(l.st, "op=New-InboxRule", &r, &q);
	assert_string_equal(r.user, "debrab@m365b132131.onmicrosoft.com");
	assert_string_equal(r.ip, "185.73.124.135"); /* the export says 185.73.124.135:port */
	assert_int_equal(r.ts, 1695693375000LL);     /* 2023-09-26T01:56:15Z */
	assert_string_equal(r.rtype, "ExchangeAdmin");
	query_row_clear(&r);
	query_free(q);
	/* Entra operations keep their trailing period */
	assert_true(query_count_text(l.st, "op=\"Add service principal.\"", NULL) > 0);
	/* loading the same export again adds nothing */
	char path[4096];
	snprintf(path, sizeof path, "%s/purview-portal-export.csv", realdata_dir());
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	struct ingest_totals t2;
	char *cause = NULL;
	assert_int_equal(ingest_paths(l.st, paths, 1, &o, &t2, &cause), 0);
	assert_int_equal(t2.events, 0);
	assert_int_equal(t2.duplicates, 219);
	assert_int_equal(query_count_text(l.st, NULL, NULL), 219);
	unload(&l);
}

static void test_psh_export(void **state)
{
	(void)state;
	NEED_REALDATA();
	struct loaded l = { 0 };
	load(&l, "search-unifiedauditlog-export.csv");
	assert_string_equal(l.format, "psh-csv");
	assert_int_equal(l.t.records, 500);
	assert_int_equal(l.t.events, 500);
	assert_int_equal(l.t.rejects, 0);
	struct query *q;
	struct query_row r;
	first(l.st, "op=Set-ConditionalAccessPolicy", &r, &q);
	assert_string_equal(r.rtype, "ExchangeAdmin");
	assert_string_equal(r.workload, "Exchange");
	assert_non_null(strstr(r.user, "nt service\\msexchangeservicehostnetcore"));
	query_row_clear(&r);
	query_free(q);
	unload(&l);
}

static void test_entra_signin_csv(void **state)
{
	(void)state;
	NEED_REALDATA();
	struct loaded l = { 0 };
	load(&l, "entra-interactive-signins.csv");
	assert_string_equal(l.format, "entra-signin-csv");
	assert_int_equal(l.t.records, 214);
	assert_int_equal(l.t.events, 214);
	assert_int_equal(l.t.rejects, 0);
	struct query *q;
	struct query_row r;
	pick(l.st, "", true, &r, &q); /* newest */
	assert_string_equal(r.record_id, "4acc3395-a474-4aea-b77b-88ccac570700");
	assert_string_equal(r.user, "it@ithero.work.gd");
	assert_string_equal(r.app, "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"); /* "Application ID " */
	assert_string_equal(r.ip, "149.34.252.80");
	assert_string_equal(r.session, "0022ab19-a847-5ed5-3c37-4b6486e5c894");
	assert_string_equal(r.token, "lTPMSnSk6kq3e4jMrFcHAA");
	assert_string_equal(r.result, "Success");
	assert_string_equal(r.op, "Sign-in");
	assert_int_equal(r.ts, 1742301204000LL); /* 2025-03-18T12:33:24Z */
	/* the raw record keeps both "Incoming token type" columns */
	char *raw = store_raw(l.st, r.id, NULL);
	assert_non_null(strstr(raw, "\"Incoming token type\":"));
	assert_non_null(strstr(raw, "\"Incoming token type (2)\":"));
	assert_non_null(strstr(raw, "\"Autonomous system  number\":"));
	free(raw);
	query_row_clear(&r);
	query_free(q);
	unload(&l);
}

static void test_graph_signins(void **state)
{
	(void)state;
	NEED_REALDATA();
	struct loaded l = { 0 };
	load(&l, "graph-serviceprincipal-signins.json");
	assert_string_equal(l.format, "entra-signin-json");
	assert_int_equal(l.t.records, 494);
	assert_int_equal(l.t.events, 494);
	assert_int_equal(l.t.rejects, 0);
	struct query *q;
	struct query_row r;
	first(l.st, "token=ByVTDAGxkECy8U12ji81AA", &r, &q);
	assert_string_equal(r.record_id, "0c532507-b101-4090-b2f1-4d768e2f3500");
	assert_string_equal(r.app, "0930ea9f-98e8-46f5-9123-b16358290e70");
	assert_string_equal(r.ip, "3.140.144.215");
	assert_string_equal(r.user, "petra forwarder");
	assert_string_equal(r.op, "Service principal sign-in");
	assert_int_equal(r.ts, 1746145956000LL); /* 2025-05-02T00:32:36Z */
	/* the raw record is the pretty-printed object exactly as written */
	char *raw = store_raw(l.st, r.id, NULL);
	static const char head[] = "{\n        \"id\":  \"0c532507";
	assert_memory_equal(raw, head, sizeof head - 1);
	free(raw);
	query_row_clear(&r);
	query_free(q);
	unload(&l);
}

static void test_sentinel(void **state)
{
	(void)state;
	NEED_REALDATA();
	struct loaded l = { 0 };
	load(&l, "sentinel-officeactivity.jsonl");
	assert_string_equal(l.format, "sentinel-officeactivity");
	assert_int_equal(l.t.events, 1);
	assert_int_equal(l.t.rejects, 0);
	struct query *q;
	struct query_row r;
	first(l.st, "op=MailItemsAccessed", &r, &q);
	assert_string_equal(r.app, "00000003-0000-0000-c000-000000000000");
	assert_string_equal(r.client_app, "5a95e683-08ad-424e-a441-1d1aec52c02c");
	assert_string_equal(r.access, "Bind");
	assert_string_equal(r.mailbox, "pgustavo@simulandlabs.com");
	assert_string_equal(r.ip, "1.2.3.4");
	assert_string_equal(r.record_id, "699e0b10-1c53-403e-976f-ce0847a92b44");
	query_row_clear(&r);
	query_free(q);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(store_db(l.st),
					    "SELECT count(*), min(msgid), min(folder) FROM messages", -1, &s,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 7);
	assert_string_equal((const char *)sqlite3_column_text(s, 1),
			    "<00000000-0000-0000-0000-000000000000@az.centralus.production.microsoft.com>");
	assert_string_equal((const char *)sqlite3_column_text(s, 2), "\\Inbox");
	sqlite3_finalize(s);
	unload(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_purview_portal),   cmocka_unit_test(test_psh_export),
		cmocka_unit_test(test_entra_signin_csv), cmocka_unit_test(test_graph_signins),
		cmocka_unit_test(test_sentinel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
