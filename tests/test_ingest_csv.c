/*
 * test_ingest_csv.c: ingest_stream over CSV exports: Purview, classic,
 * PowerShell, Entra sign-ins, and what a bad AuditData column, broken
 * quoting or an unknown header give.
 */
#include "ingest_util.h"

/* ------------------------------------------------------------------ */
/* CSV families */

/* One export read whole: how many events and rejects it gives, the
 * format it is recognised as (NULL: not checked), fields of its events
 * (the list ends at the first { 0 }: an event always has a record id)
 * and the time, flags (-1: not checked) and line of some of them (the
 * list ends at the first without a time). */
struct csv_case {
	const char *input;
	size_t nev, nrej;
	const char *format;
	struct field_want fields[16];
	struct {
		size_t ev;
		const char *ts;
		long flags;
		uint64_t line;
	} events[3];
};

static void run_case(const struct csv_case *c, struct got *g)
{
	run_str(c->input, g);
	expect_ok(g, c->nev, c->nrej);
	if (c->format)
		expect_format(g, c->format);
	for (size_t i = 0; i < sizeof c->fields / sizeof c->fields[0]; i++) {
		const struct field_want *w = &c->fields[i];
		if (w->ev == 0 && w->f == F_RECORD_ID && !w->want)
			break;
		expect_field(g, w->ev, w->f, w->want);
	}
	for (size_t i = 0; i < sizeof c->events / sizeof c->events[0] && c->events[i].ts; i++) {
		const struct cev *e = &g->ev[c->events[i].ev];
		assert_int_equal(e->ts, ts(c->events[i].ts));
		if (c->events[i].flags >= 0)
			assert_int_equal(e->flags, c->events[i].flags);
		assert_int_equal(e->line, c->events[i].line);
	}
}

static const struct csv_case purview[] = {
	{ PURVIEW_HDR
	  "538815b7,9/20/2023 4:05:03 AM,8,Add service principal.,Certificate,\"{\"\"CreationTime\"\":"
	  "\"\"2023-09-20T04:05:03\"\",\"\"Id\"\":\"\"538815b7\"\",\"\"Operation\"\":\"\"Add service principal.\"\","
	  "\"\"RecordType\"\":8,\"\"ResultStatus\"\":\"\"Success\"\",\"\"UserId\"\":\"\"Certificate\"\","
	  "\"\"Workload\"\":\"\"AzureActiveDirectory\"\",\"\"ClientIP\"\":\"\"20.1.2.3:51234\"\"}\",,\n"
	  "rid-2,2026-01-24T06:54:24.0000000Z ,50,MailItemsAccessed,Bob@X.com,\"{\"\"Workload\"\":\"\"Exchange\"\"}\",,\n",
	  2,
	  0,
	  "purview-csv",
	  {
		  { 0, F_RECORD_ID, "538815b7" },
		  { 0, F_OP, "Add service principal." },
		  { 0, F_RTYPE, "AzureActiveDirectory" },
		  { 0, F_USER, "certificate" },
		  { 0, F_IP, "20.1.2.3" },
		  { 0, F_RESULT, "Success" },
		  /* the wrapper fills what AuditData lacks: id, op, user, type, time */
		  { 1, F_RECORD_ID, "rid-2" },
		  { 1, F_OP, "MailItemsAccessed" },
		  { 1, F_USER, "bob@x.com" },
		  { 1, F_RTYPE, "ExchangeItemAggregated" },
		  { 1, F_WORKLOAD, "Exchange" },
	  },
	  { { 0, "2023-09-20T04:05:03Z", 0, 2 }, { 1, "2026-01-24T06:54:24Z", EVF_NO_TIME, 3 } } },
	/* the variant spelling of the last column */
	{ "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitNames\r\n"
	  "r1,9/26/2023 1:56:15 AM,2,Send,a@x.com,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\",\"\"Id\"\":\"\"r1\"\"}\",,\r\n",
	  1,
	  0,
	  "purview-csv",
	  { { 0, F_RECORD_ID, "r1" }, { 0, F_RTYPE, "ExchangeItem" } },
	  { { 0 } } },
	{ "CreationDate,UserIds,Operations,AuditData\n"
	  "9/26/2023 1:56:15 AM,Eve@X.com,New-InboxRule,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\","
	  "\"\"Id\"\":\"\"c-1\"\",\"\"Operation\"\":\"\"New-InboxRule\"\",\"\"Parameters\"\":[{\"\"Name\"\":"
	  "\"\"ForwardTo\"\",\"\"Value\"\":\"\"x@evil.com\"\"}]}\"\n"
	  "\n"
	  "9/26/2023 2:00:00 PM,eve@x.com,Set-InboxRule,\"{\"\"Id\"\":\"\"c-2\"\"}\"\n",
	  2,
	  0,
	  "purview-csv-classic",
	  { { 0, F_RECORD_ID, "c-1" }, { 0, F_USER, "eve@x.com" }, { 1, F_OP, "Set-InboxRule" } },
	  { { 1, "2023-09-26T14:00:00Z", EVF_NO_TIME, 4 } } },
};

static void test_csv_purview(void **state)
{
	(void)state;
	struct got g = { 0 };
	run_case(&purview[0], &g);
	assert_true(strncmp(g.ev[0].raw, "{\"CreationTime\":\"2023-09-20T04:05:03\"", 37) == 0);
	got_free(&g);
	run_case(&purview[1], &g);
	got_free(&g);
}

static void test_csv_classic(void **state)
{
	(void)state;
	struct got g = { 0 };
	run_case(&purview[2], &g);
	got_free(&g);
}

static const struct csv_case powershell[] = {
	/* #TYPE line, -UseCulture ';', -Formatted multi-line AuditData, CRLF */
	{ "#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AuditRecord\r\n"
	  "\"RecordType\";\"CreationDate\";\"UserIds\";\"Operations\";\"AuditData\";\"ResultIndex\";"
	  "\"ResultCount\";\"Identity\";\"IsValid\";\"ObjectState\"\r\n"
	  "\"ExchangeItemAggregated\";\"26.09.2023 01:56:15\";\"Bob@X.com\";\"MailItemsAccessed\";\"{\r\n"
	  "    \"\"CreationTime\"\":  \"\"2023-09-26T01:56:15\"\",\r\n"
	  "    \"\"Id\"\":  \"\"ps-1\"\",\r\n"
	  "    \"\"Operation\"\":  \"\"MailItemsAccessed\"\",\r\n"
	  "    \"\"Folders\"\":  [\r\n"
	  "                    {\r\n"
	  "                        \"\"Path\"\":  \"\"\\\\Inbox\"\"\r\n"
	  "                    }\r\n"
	  "                ]\r\n"
	  "}\";\"1\";\"2\";\"ps-1\";\"True\";\"Unchanged\"\r\n"
	  "\"ExchangeAdmin\";\"26.09.2023 13:00:00\";\"eve@x.com\";\"Set-Mailbox\";\"{\"\"Id\"\":\"\"ps-2\"\","
	  "\"\"Operation\"\":\"\"Set-Mailbox\"\"}\";\"2\";\"2\";\"ps-2\";\"True\";\"Unchanged\"\r\n",
	  2,
	  0,
	  "psh-csv",
	  {
		  { 0, F_RECORD_ID, "ps-1" },
		  { 0, F_RTYPE, "ExchangeItemAggregated" },
		  { 0, F_USER, "bob@x.com" },
		  { 1, F_RECORD_ID, "ps-2" },
		  { 1, F_RTYPE, "ExchangeAdmin" },
	  },
	  { { 0, "2023-09-26T01:56:15Z", -1, 3 }, { 1, "2023-09-26T13:00:00Z", EVF_NO_TIME, 13 } } },
	/* the v3 module's plain form: every field quoted, ',' */
	{ "\"RecordType\",\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\",\"ResultIndex\","
	  "\"ResultCount\",\"Identity\",\"IsValid\",\"ObjectState\"\n"
	  "\"ExchangeAdmin\",\"3/14/2025 4:26:43 PM\",\"NT SERVICE\\MSExchange\",\"Set-ConditionalAccessPolicy\","
	  "\"{\"\"AppAccessContext\"\":{},\"\"CreationTime\"\":\"\"2025-03-14T16:26:43\"\",\"\"Id\"\":\"\"7f0b\"\","
	  "\"\"RecordType\"\":1,\"\"UserId\"\":\"\"NT SERVICE\\\\MSExchange\"\",\"\"AppId\"\":\"\"\"\"}\","
	  "\"1\",\"500\",\"7f0b\",\"True\",\"Unchanged\"\n",
	  1,
	  0,
	  "psh-csv",
	  { { 0, F_USER, "nt service\\msexchange" }, { 0, F_APP, NULL }, { 0, F_RTYPE, "ExchangeAdmin" } },
	  { { 0 } } },
	/* Excel's "sep=;" line before the header (every row was rejected,
	 * the header taken for that line): lines keep the file's numbers */
	{ "sep=;\r\n"
	  "RecordType;CreationDate;UserIds;Operations;AuditData;ResultIndex;ResultCount;Identity;IsValid;ObjectState\r\n"
	  "ExchangeAdmin;26.09.2023 13:00:00;eve@x.com;Set-Mailbox;\"{\"\"CreationTime\"\":\"\"2023-09-26T13:00:00\"\","
	  "\"\"Id\"\":\"\"de-1\"\",\"\"Operation\"\":\"\"Set-Mailbox\"\"}\";1;1;de-1;True;Unchanged\r\n",
	  1,
	  0,
	  "psh-csv",
	  { { 0, F_RECORD_ID, "de-1" }, { 0, F_OP, "Set-Mailbox" }, { 0, F_USER, "eve@x.com" } },
	  { { 0, "2023-09-26T13:00:00Z", -1, 3 } } },
	/* a German Excel's save: ';' without the sep line, nothing quoted
	 * but AuditData */
	{ "RecordType;CreationDate;UserIds;Operations;AuditData;ResultIndex;ResultCount;Identity;IsValid;ObjectState\r\n"
	  "ExchangeAdmin;26.09.2023 13:00:00;eve@x.com;Set-Mailbox;\"{\"\"CreationTime\"\":\"\"2023-09-26T13:00:00\"\","
	  "\"\"Id\"\":\"\"de-2\"\",\"\"Operation\"\":\"\"Set-Mailbox\"\"}\";1;1;de-2;True;Unchanged\r\n",
	  1,
	  0,
	  "psh-csv",
	  { { 0, F_RECORD_ID, "de-2" }, { 0, F_USER, "eve@x.com" } },
	  { { 0, "2023-09-26T13:00:00Z", -1, 2 } } },
	/* ',' with a ';' inside a quoted value: ',' it stays */
	{ "RecordType,CreationDate,UserIds,Operations,AuditData,ResultIndex,ResultCount,Identity,IsValid,ObjectState\n"
	  "ExchangeAdmin,9/26/2023 1:00:00 PM,eve@x.com,Set-Mailbox,\"{\"\"CreationTime\"\":\"\"2023-09-26T13:00:00\"\","
	  "\"\"Id\"\":\"\"c;1\"\",\"\"Operation\"\":\"\"Set-Mailbox\"\",\"\"X\"\":\"\"a;b;c;d;e;f;g;h;i;j;k\"\"}\","
	  "1,1,c;1,True,Unchanged\n",
	  1,
	  0,
	  "psh-csv",
	  { { 0, F_RECORD_ID, "c;1" }, { 0, F_USER, "eve@x.com" } },
	  { { 0, "2023-09-26T13:00:00Z", -1, 2 } } },
};

static void test_csv_powershell(void **state)
{
	(void)state;
	struct got g = { 0 };
	run_case(&powershell[0], &g);
	assert_int_equal(g.ev[0].nmsgs, 1);
	assert_string_equal(g.ev[0].folder[0], "\\Inbox");
	assert_null(g.ev[0].msgid[0]);
	got_free(&g);
	run_case(&powershell[1], &g);
	got_free(&g);
	for (int i = 2; i < 5; i++) {
		run_case(&powershell[i], &g);
		got_free(&g);
	}
}

#define SIGNIN_HDR                                                                                               \
	"\"Date (UTC)\",\"Request ID\",\"User agent\",\"Correlation ID\",\"User ID\",\"User\",\"Username\","     \
	"\"User type\",\"Incoming token type\",\"Unique token identifier\",\"Application\",\"Application ID \"," \
	"\"Resource\",\"Resource ID \",\"IP address\",\"Location\",\"Status\",\"Sign-in error code\","           \
	"\"Failure reason\",\"Client app\",\"Session ID\",\"Autonomous system  number\",\"Incoming token type\"\n"

static void test_csv_entra_signin(void **state)
{
	(void)state;
	struct got g = { 0 };
	run_str(SIGNIN_HDR
		"\"2025-03-18T12:33:24Z\",\"4acc3395-req\",\"Mozilla/5.0 (Windows NT 10.0)\",\"corr\",\"0cb8-uid\","
		"\"Isaiah Langer\",\"IT@ithero.work.gd\",\"member\",\"none\",\"lTPM-tok\",\"Azure Portal\","
		"\"C44B4083-3BB0-49C1-B47D-974E53CBDF3C\",\"Windows Azure Service Management API\",\"797f4846-res\","
		"\"[2603:10B6::1]:443\",\"Redmond, Washington, US\",\"Failure\",\"50126\",\"Invalid username or password.\","
		"\"Browser\",\"sess-77\",\"8075\",\"primaryRefreshToken\"\n"
		"\"2025-03-18T12:40:00Z\",\"req-2\",\"\",\"corr\",\"uid\",\"Isaiah Langer\",\"it@ithero.work.gd\",\"member\","
		"\"none\",\"tok-2\",\"Azure Portal\",\"c44b4083\",\"r\",\"r\",\"10.0.0.1\",\"\",\"Success\",\"0\",\"\","
		"\"Mobile Apps and Desktop clients\",\"sess-78\",\"8075\",\"none\"\n"
		"\"not a date\",\"req-3\",\"\",\"\",\"\",\"\",\"x@y.z\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\","
		"\"\",\"\",\"\",\"\",\"\",\"\"\n",
		&g);
	expect_ok(&g, 2, 1);
	expect_format(&g, "entra-signin-csv");
	static const struct field_want fields[] = {
		{ 0, F_RECORD_ID, "4acc3395-req" },
		{ 0, F_USER, "it@ithero.work.gd" },
		{ 0, F_APP, "c44b4083-3bb0-49c1-b47d-974e53cbdf3c" }, /* "Application ID " */
		{ 0, F_IP, "2603:10b6::1" },
		{ 0, F_RESULT, "Failure (50126: Invalid username or password.)" }, /* Failure reason */
		{ 0, F_SESSION, "sess-77" },
		{ 0, F_TOKEN, "lTPM-tok" },
		{ 0, F_CLIENT_INFO, "Mozilla/5.0 (Windows NT 10.0)" },
		{ 0, F_OP, "Sign-in" },
		{ 0, F_RTYPE, "EntraSignIn" },
		{ 0, F_WORKLOAD, "AzureActiveDirectory" },
		{ 1, F_RESULT, "Success" },
		{ 1, F_CLIENT_INFO, "Mobile Apps and Desktop clients" },
	};
	expect_fields(&g, fields, sizeof fields / sizeof fields[0]);
	assert_int_equal(g.ev[0].ts, ts("2025-03-18T12:33:24Z"));
	assert_int_equal(g.ev[0].line, 2);
	assert_int_equal(g.rej[0].line, 4);
	assert_string_equal(g.rej[0].why, "unreadable date");

	/* the raw record is a JSON object of the row, under the trimmed
	 * header names, the duplicated one made unique */
	const char *raw = g.ev[0].raw;
	struct jval obj, v;
	const char *err = NULL;
	const char *e = json_scan_value(raw, raw + strlen(raw), &obj, &err, NULL);
	if (!e)
		fail_msg("raw is not JSON (%s): %s", err, raw);
	assert_int_equal(obj.t, JT_OBJ);
	static const struct {
		const char *key, *val;
	} kv[] = {
		{ "Date (UTC)", "2025-03-18T12:33:24Z" },
		{ "Application ID", "C44B4083-3BB0-49C1-B47D-974E53CBDF3C" },
		{ "Resource ID", "797f4846-res" },
		{ "User ID", "0cb8-uid" },
		{ "User", "Isaiah Langer" },
		{ "Username", "IT@ithero.work.gd" },
		{ "Autonomous system  number", "8075" },
		{ "Incoming token type", "none" },
		{ "Incoming token type (2)", "primaryRefreshToken" },
		{ "Location", "Redmond, Washington, US" },
	};
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
		if (!json_get(&obj, kv[i].key, &v))
			fail_msg("raw has no \"%s\": %s", kv[i].key, raw);
		if (!json_str_eq(&v, kv[i].val))
			fail_msg("raw \"%s\" is %.*s, expected \"%s\"", kv[i].key, (int)v.n, v.p, kv[i].val);
	}
	assert_false(json_get(&obj, "User (2)", &v));
	got_free(&g);

	/* a service principal row (no Username) */
	static const struct csv_case sp = {
		"\"Date (UTC)\",\"Request ID\",\"Service principal name\",\"Application ID\",\"IP address\",\"Status\"\n"
		"\"2025-03-18T12:33:24Z\",\"r\",\"Petra Forwarder\",\"APP\",\"3.140.144.215\",\"Success\"\n",
		1,
		0,
		NULL,
		{ { 0, F_USER, "petra forwarder" },
		  { 0, F_OP, "Service principal sign-in" },
		  { 0, F_RESULT, "Success" } },
		{ { 0 } },
	};
	run_case(&sp, &g);
	got_free(&g);
}

/* The real portal download's header: every column keyed by its own
 * name in the raw JSON ("User" is not "User ID"), the traps handled. */
static void test_csv_entra_signin_real_header(void **state)
{
	(void)state;
	char path[4096];
	REALDATA("entra-interactive-signins.csv", path);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_true(n > 3 && n < sizeof buf);
	assert_memory_equal(buf, "\xef\xbb\xbf", 3); /* the input layer drops it */
	struct got g = { 0 };
	run(buf + 3, n - 3, &g);
	expect_ok(&g, 214, 0);
	expect_format(&g, "entra-signin-csv");
	expect_field(&g, 0, F_RECORD_ID, "4acc3395-a474-4aea-b77b-88ccac570700");
	expect_field(&g, 0, F_USER, "it@ithero.work.gd");
	assert_int_equal(g.ev[0].ts, ts("2025-03-18T12:33:24Z"));
	const char *raw = g.ev[0].raw;
	struct jval obj, v;
	assert_non_null(json_scan_value(raw, raw + strlen(raw), &obj, NULL, NULL));
	assert_true(json_get(&obj, "User", &v));
	assert_true(json_str_eq(&v, "Isaiah Langer"));
	assert_true(json_get(&obj, "Application ID", &v));
	assert_true(json_get(&obj, "Autonomous system  number", &v));
	assert_true(json_get(&obj, "Incoming token type", &v));
	assert_true(json_get(&obj, "Incoming token type (2)", &v));
	assert_false(json_get(&obj, "User (2)", &v));
	assert_false(json_get(&obj, "User (3)", &v));
	got_free(&g);
}

static void test_csv_bad_auditdata(void **state)
{
	(void)state;
	struct got g = { 0 };
	const char *row2 =
		"r2,9/26/2023 1:56:15 AM,2,Send,a@x.com,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\",\"\"Id\"\":\"\"r\",,";
	char d[2048];
	snprintf(d, sizeof d,
		 PURVIEW_HDR
		 "r1,9/26/2023 1:56:15 AM,2,Send,a@x.com,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\"}\",,\n"
		 "%s\n"
		 "r3,9/26/2023 1:56:15 AM,2,Send,a@x.com,\"[1,2]\",,\n"
		 "r4,9/26/2023 1:56:15 AM,2,Send,a@x.com,,,\n"
		 "r5,9/26/2023 1:56:15 AM,2,Send\n"
		 "r6,9/26/2023 1:56:15 AM,2,Send,a@x.com,\"{} {}\",,\n"
		 "r7,9/26/2023 1:56:15 AM,2,Send,a@x.com,\"{\"\"CreationTime\"\":\"\"2023-02-30T00:00:00\"\"}\",,\n"
		 "r8,9/26/2023 1:56:15 AM,2,Send,a@x.com,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\"}\",,\n",
		 row2);
	run_str(d, &g);
	expect_ok(&g, 2, 6);
	expect_format(&g, "purview-csv");
	expect_field(&g, 0, F_RECORD_ID, "r1");
	expect_field(&g, 1, F_RECORD_ID, "r8");
	assert_int_equal(g.ev[1].line, 9);
	/* cut AuditData: kept verbatim with the reason */
	assert_int_equal(g.rej[0].line, 3);
	assert_string_equal(g.rej[0].raw, row2);
	assert_string_equal(g.rej[0].why, "AuditData is not valid JSON: unterminated string at offset 45");
	assert_string_equal(g.rej[1].why, "AuditData is not valid JSON: not an object at offset 5");
	assert_int_equal(g.rej[1].line, 4);
	assert_string_equal(g.rej[2].why, "empty AuditData");
	assert_string_equal(g.rej[3].why, "row has fewer columns than the header");
	assert_string_equal(g.rej[3].raw, "r5,9/26/2023 1:56:15 AM,2,Send");
	assert_string_equal(g.rej[4].why, "AuditData is not valid JSON: trailing data at offset 2");
	assert_string_equal(g.rej[5].why, "unreadable CreationTime");
	assert_int_equal(g.rej[5].line, 8);
	got_free(&g);
}

static void test_csv_broken_quoting(void **state)
{
	(void)state;
	struct got g = { 0 };
	run_str("CreationDate,UserIds,Operations,AuditData\n"
		"9/26/2023 1:56:15 AM,bob\",Send,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\",\"\"Id\"\":\"\"1\"\"}\"\n"
		"9/26/2023 1:56:16 AM,eve,Send,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:16\"\",\"\"Id\"\":\"\"2\"\"}\"\n",
		&g);
	/* line 2 has a stray quote; line 3 still loads */
	assert_int_equal(g.rc, 0);
	assert_true(g.nrej >= 1);
	assert_int_equal(g.rej[0].line, 2);
	assert_true(strncmp(g.rej[0].raw, "9/26/2023 1:56:15 AM,bob\",Send,", 31) == 0);
	assert_int_equal(g.nev, 1);
	expect_field(&g, 0, F_RECORD_ID, "2");
	assert_int_equal(g.ev[0].line, 3);
	got_free(&g);
}

static void test_csv_unknown_header(void **state)
{
	(void)state;
	struct got g = { 0 };
	run_str("foo,bar,baz\n1,2,3\n", &g);
	assert_int_equal(g.rc, 0);
	expect_format(&g, "csv");
	assert_non_null(g.st.error);
	assert_string_equal(g.st.error, "line 1: not a recognised audit export header: foo,bar,baz "
					"(the file's 1 rows were refused)");
	assert_int_equal(g.nev, 0);
	/* refused whole: every row is a reject, kept verbatim */
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.rej[0].line, 2);
	assert_string_equal(g.rej[0].why, "not a recognised log (the file's header is not a known export)");
	assert_string_equal(g.rej[0].raw, "1,2,3");
	got_free(&g);

	/* a header alone still leaves a trace */
	run_str("foo,bar\n", &g);
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.rej[0].line, 1);
	assert_string_equal(g.st.error, "line 1: not a recognised audit export header: foo,bar");
	got_free(&g);

	/* a long header is cut in the message */
	char hdr[400];
	memset(hdr, 'h', 300);
	strcpy(hdr + 300, "\nx\n");
	run_str(hdr, &g);
	assert_non_null(g.st.error);
	assert_int_equal(strlen(g.st.error), strlen("line 1: not a recognised audit export header: ") + 120 +
						     3 + strlen(" (the file's 1 rows were refused)"));
	assert_non_null(strstr(g.st.error, "hhh... (the file's 1 rows were refused)"));
	got_free(&g);

	/* a header that is not even CSV */
	run_str("\"unterminated,header\n", &g);
	assert_int_equal(g.rc, 0);
	assert_non_null(g.st.error);
	assert_string_equal(g.st.error,
			    "line 1: unreadable CSV header (quoted field does not end (truncated file?))");
	got_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_purview),
		cmocka_unit_test(test_csv_classic),
		cmocka_unit_test(test_csv_powershell),
		cmocka_unit_test(test_csv_entra_signin),
		cmocka_unit_test(test_csv_entra_signin_real_header),
		cmocka_unit_test(test_csv_bad_auditdata),
		cmocka_unit_test(test_csv_broken_quoting),
		cmocka_unit_test(test_csv_unknown_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
