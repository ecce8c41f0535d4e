/*
 * test_ingest_stream.c: ingest_stream over memory streams into a sink that
 * collects: every JSON shape the readers promise, how they report what
 * they cannot read, a sink that fails, empty and binary input, and the
 * format each is detected as. CSV families: test_ingest_csv.c.
 */
#include <errno.h>

#include "ingest_util.h"

#define R1 \
	"{'CreationTime':'2024-01-01T00:00:01','Id':'id-1','Operation':'New-InboxRule','UserId':'A@X.com','RecordType':1}"
#define R2 "{'CreationTime':'2024-01-01T00:00:02','Id':'id-2','Operation':'Set-Mailbox','UserId':'b@x.com'}"
#define R3 \
	"{'CreationTime':'2024-01-01T00:00:03','Id':'id-3','Operation':'MailItemsAccessed','RecordType':50}"

/* ------------------------------------------------------------------ */
/* JSON shapes */

static void test_json_array(void **state)
{
	(void)state;
	struct got g = { 0 };
	char *d = q("[" R1 "," R2 ", " R3 "]");
	run_str(d, &g);
	expect_ok(&g, 3, 0);
	expect_format(&g, "ual-json");
	assert_null(g.st.error);
	expect_field(&g, 0, F_RECORD_ID, "id-1");
	expect_field(&g, 0, F_OP, "New-InboxRule");
	expect_field(&g, 0, F_USER, "a@x.com");
	expect_field(&g, 0, F_RTYPE, "ExchangeAdmin");
	expect_field(&g, 1, F_RECORD_ID, "id-2");
	expect_field(&g, 2, F_RTYPE, "ExchangeItemAggregated");
	assert_int_equal(g.ev[0].ts, ts("2024-01-01T00:00:01Z"));
	assert_int_equal(g.ev[2].ts, ts("2024-01-01T00:00:03Z"));
	/* each raw record is its own object, exactly */
	char *r1 = q(R1);
	assert_string_equal(g.ev[0].raw, r1);
	free(r1);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(g.ev[i].line, 1);
	got_free(&g);
	free(d);
}

static void test_json_concatenated_arrays(void **state)
{
	(void)state;
	struct got g = { 0 };
	char *d = q("[" R1 "][" R2 "]\n[\n" R3 "\n]\n[]\n");
	run_str(d, &g);
	expect_ok(&g, 3, 0);
	expect_format(&g, "ual-json");
	expect_field(&g, 0, F_RECORD_ID, "id-1");
	expect_field(&g, 1, F_RECORD_ID, "id-2");
	expect_field(&g, 2, F_RECORD_ID, "id-3");
	assert_int_equal(g.ev[1].line, 1);
	assert_int_equal(g.ev[2].line, 3);
	got_free(&g);
	free(d);
}

static void test_json_bare_object(void **state)
{
	(void)state;
	struct got g = { 0 };
	char *d = q("\n  " R2 "\n");
	run_str(d, &g);
	expect_ok(&g, 1, 0);
	expect_format(&g, "ual-json");
	expect_field(&g, 0, F_RECORD_ID, "id-2");
	expect_field(&g, 0, F_USER, "b@x.com");
	assert_int_equal(g.ev[0].line, 2);
	got_free(&g);
	free(d);
}

static void test_json_lines(void **state)
{
	(void)state;
	struct got g = { 0 };
	char *d = q(R1 "\n" R2 "\r\n" R3 "\n");
	run_str(d, &g);
	expect_ok(&g, 3, 0);
	expect_format(&g, "ual-json");
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(g.ev[i].line, i + 1);
	expect_field(&g, 2, F_OP, "MailItemsAccessed");
	got_free(&g);
	free(d);

	/* Sentinel rows a line each */
	d = q("{'TimeGenerated':'2021-08-02T13:32:07Z','OfficeId':'o-1','Operation':'MailItemsAccessed',"
	      "'RecordType':'50','OfficeWorkload':'Exchange','UserId':'U@X.com','Client_IPAddress':'1.2.3.4',"
	      "'OperationProperties':'[{\\'Name\\':\\'MailAccessType\\',\\'Value\\':\\'Bind\\'}]',"
	      "'Folders':'[{\\'FolderItems\\':[{\\'InternetMessageId\\':\\'<m@x>\\'}],\\'Path\\':\\'\\\\\\\\Inbox\\'}]'}\n");
	run_str(d, &g);
	expect_ok(&g, 1, 0);
	expect_format(&g, "sentinel-officeactivity");
	expect_field(&g, 0, F_RECORD_ID, "o-1");
	expect_field(&g, 0, F_ACCESS, "Bind");
	expect_field(&g, 0, F_IP, "1.2.3.4");
	assert_int_equal(g.ev[0].nmsgs, 1);
	assert_string_equal(g.ev[0].folder[0], "\\Inbox");
	assert_string_equal(g.ev[0].msgid[0], "<m@x>");
	got_free(&g);
	free(d);
}

static void test_json_graph_page(void **state)
{
	(void)state;
	struct got g = { 0 };
	char *d = q("{'@odata.context':'https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns',\n"
		    " 'value':[\n"
		    "  {'id':'s-1','createdDateTime':'2025-05-02T00:32:36Z','userPrincipalName':'Alice@X.com',\n"
		    "   'appId':'APP','ipAddress':'3.140.144.215','status':{'errorCode':0}},\n"
		    "  {'id':'s-2','createdDateTime':'2025-05-02T00:33:00Z','userPrincipalName':'bob@x.com',\n"
		    "   'appId':'APP','ipAddress':'[2603:10B6::1]:5','status':{'errorCode':50126}},\n"
		    "  42\n"
		    " ],\n"
		    " '@odata.nextLink':'https://graph.microsoft.com/next'}\n" R1 "\n");
	run_str(d, &g);
	expect_ok(&g, 3, 1);
	expect_format(&g, "entra-signin-json");
	expect_field(&g, 0, F_RECORD_ID, "s-1");
	expect_field(&g, 0, F_USER, "alice@x.com");
	expect_field(&g, 0, F_RESULT, "Success");
	expect_field(&g, 0, F_OP, "Sign-in");
	expect_field(&g, 0, F_RTYPE, "EntraSignIn");
	expect_field(&g, 1, F_RESULT, "Failure (50126)");
	expect_field(&g, 1, F_IP, "2603:10b6::1");
	assert_int_equal(g.ev[0].line, 3);
	assert_int_equal(g.ev[1].line, 5);
	assert_string_equal(g.rej[0].why, "array element is not an object");
	assert_string_equal(g.rej[0].raw, "42");
	assert_int_equal(g.rej[0].line, 7);
	/* the record after the page, on its own line */
	expect_field(&g, 2, F_RECORD_ID, "id-1");
	assert_int_equal(g.ev[2].line, 10);
	got_free(&g);
	free(d);
}

/* JSON Lines records are scanned for the members the normalizer reads
 * (json_scan_named) until an object may be more than a record: a page
 * whose "value" is written with an escape is still a page (as when every
 * member was kept), a record with a "value" that is no array still a
 * record, and what follows a page is read as before. */
static void test_json_lines_then_pages(void **state)
{
	(void)state;
	struct got g = { 0 };
	char *d = q(R1 "\n{'\\u0076alue':[" R2 "]}\n" R3 "\n");
	run_str(d, &g);
	expect_ok(&g, 3, 0);
	assert_int_equal(g.st.pages, 1);
	expect_field(&g, 0, F_RECORD_ID, "id-1");
	expect_field(&g, 1, F_RECORD_ID, "id-2");
	expect_field(&g, 2, F_RECORD_ID, "id-3");
	assert_int_equal(g.ev[2].line, 3);
	got_free(&g);
	free(d);

	d = q(R1 "\n{'CreationTime':'2024-01-01T00:00:02','Id':'id-2','Operation':'Set-Mailbox','value':'v'}\n"
		 "{'value':[" R3 "],'@odata.nextLink':'https://graph.microsoft.com/next'}\n" R2 "\n");
	run_str(d, &g);
	expect_ok(&g, 4, 0);
	assert_int_equal(g.st.pages, 1);
	assert_int_equal(g.st.next_links, 1);
	expect_field(&g, 1, F_RECORD_ID, "id-2");
	expect_field(&g, 1, F_OP, "Set-Mailbox");
	expect_field(&g, 2, F_RECORD_ID, "id-3");
	expect_field(&g, 3, F_USER, "b@x.com");
	got_free(&g);
	free(d);
}

static void test_json_pretty_array(void **state)
{
	(void)state;
	struct got g = { 0 };
	/* as PowerShell's ConvertTo-Json writes it */
	char *d = q("[\n"
		    "    {\n"
		    "        'id':  'sp-1',\n"
		    "        'createdDateTime':  '2025-05-02T00:32:36Z',\n"
		    "        'userPrincipalName':  '',\n"
		    "        'appId':  '0930ea9f-98e8-46f5-9123-b16358290e70',\n"
		    "        'ipAddress':  '3.140.144.215',\n"
		    "        'riskEventTypes_v2':  [\n"
		    "\n"
		    "                              ],\n"
		    "        'servicePrincipalName':  'Petra Forwarder',\n"
		    "        'status':  {\n"
		    "                       'errorCode':  7000215,\n"
		    "                       'failureReason':  'Invalid client secret is provided.'\n"
		    "                   }\n"
		    "    },\n"
		    "    {\n"
		    "        'id':  'sp-2',\n"
		    "        'createdDateTime':  '2025-05-02T01:00:00Z',\n"
		    "        'servicePrincipalName':  'Petra Forwarder',\n"
		    "        'appId':  'a',\n"
		    "        'status':  { 'errorCode':  0 }\n"
		    "    }\n"
		    "]\n");
	run_str(d, &g);
	expect_ok(&g, 2, 0);
	expect_format(&g, "entra-signin-json");
	expect_field(&g, 0, F_RECORD_ID, "sp-1");
	expect_field(&g, 0, F_USER, "petra forwarder");
	expect_field(&g, 0, F_OP, "Service principal sign-in");
	expect_field(&g, 0, F_RESULT, "Failure (7000215: Invalid client secret is provided.)");
	assert_int_equal(g.ev[0].line, 2);
	assert_int_equal(g.ev[1].line, 17);
	expect_field(&g, 1, F_RESULT, "Success");
	got_free(&g);
	free(d);
}

static void test_json_truncated_line_in_middle(void **state)
{
	(void)state;
	struct got g = { 0 };
	/* line 2 is cut with an odd number of quotes, line 4 with an even one */
	char *d = q(R1 "\n"
		       "{'CreationTime':'2024-01-01T00:00:02','Id':'id-2','Oper\n" R2 "\n"
		       "{'CreationTime':'2024-01-01T00:00:02','Id':'id-x'\n" R3 "\n");
	run_str(d, &g);
	expect_ok(&g, 3, 2);
	expect_field(&g, 0, F_RECORD_ID, "id-1");
	expect_field(&g, 1, F_RECORD_ID, "id-2");
	expect_field(&g, 2, F_RECORD_ID, "id-3");
	assert_int_equal(g.ev[0].line, 1);
	assert_int_equal(g.ev[1].line, 3);
	assert_int_equal(g.ev[2].line, 5);
	char *l2 = q("{'CreationTime':'2024-01-01T00:00:02','Id':'id-2','Oper");
	assert_int_equal(g.rej[0].line, 2);
	assert_string_equal(g.rej[0].raw, l2);
	assert_string_equal(g.rej[0].why, "truncated JSON (the line ends inside this record)");
	char *l4 = q("{'CreationTime':'2024-01-01T00:00:02','Id':'id-x'");
	assert_int_equal(g.rej[1].line, 4);
	assert_string_equal(g.rej[1].raw, l4);
	free(l2);
	free(l4);
	l4 = NULL;
	got_free(&g);
	free(d);

	/* the same with CRLF: the kept line has no CR */
	d = q(R1 "\r\n{'CreationTime':'2024-01-01T00:00:02','Id':'id-x'\r\n" R3 "\r\n");
	run_str(d, &g);
	expect_ok(&g, 2, 1);
	l4 = q("{'CreationTime':'2024-01-01T00:00:02','Id':'id-x'");
	assert_string_equal(g.rej[0].raw, l4);
	assert_int_equal(g.rej[0].line, 2);
	assert_int_equal(g.ev[1].line, 3);
	free(l4);
	got_free(&g);
	free(d);

	/* a line that closes but is not JSON: only that line is rejected */
	d = q(R1 "\n{'CreationTime':'2024-01-01T00:00:02','Id':'id-2','Operation':tru}\n" R2 "\n");
	run_str(d, &g);
	expect_ok(&g, 2, 1);
	assert_int_equal(g.rej[0].line, 2);
	assert_string_equal(g.rej[0].why, "invalid JSON: invalid literal (line 2)");
	expect_field(&g, 1, F_RECORD_ID, "id-2");
	assert_int_equal(g.ev[1].line, 3);
	got_free(&g);
	free(d);
}

/* Generated JSON Lines of n records, line numbers from 1. */
static char *jsonl(size_t nrec, size_t *len, size_t bad_line, const char *bad)
{
	size_t cap = nrec * 160 + 1024, o = 0;
	char *d = malloc(cap);
	for (size_t i = 1; i <= nrec; i++) {
		if (i == bad_line)
			o += (size_t)sprintf(d + o, "%s\n", bad);
		else
			o += (size_t)sprintf(d + o,
					     "{\"CreationTime\":\"2024-01-01T00:00:00\",\"Id\":\"rec-%zu\","
					     "\"Operation\":\"MailItemsAccessed\",\"UserId\":\"u%zu@x.com\"}\n",
					     i, i % 97);
	}
	*len = o;
	return d;
}

struct chunky {
	const char *p;
	size_t n, off, chunk;
};

static ssize_t chunky_read(void *ctx, char *buf, size_t n)
{
	struct chunky *c = ctx;
	size_t k = c->n - c->off;
	if (k > c->chunk)
		k = c->chunk;
	if (k > n)
		k = n;
	memcpy(buf, c->p + c->off, k);
	c->off += k;
	return (ssize_t)k;
}

/* A cut line early in a JSON Lines file larger than the record size
 * limit costs that line, not the rest of the file. */
static void test_json_truncated_line_big_file(void **state)
{
	(void)state;
	size_t n;
	const size_t nrec = 40000; /* about 5 MB */
	char *d = jsonl(nrec, &n, 3, "{\"CreationTime\":\"2024-01-01T00:00:00\",\"Id\":\"cut");
	assert_true(n > (4u << 20));
	struct chunky ck = { d, n, 0, 65536 };
	struct stream s;
	stream_init(&s, chunky_read, &ck, 0); /* the smallest window, 2 MiB */
	struct got g = { 0 };
	run_stream(&s, &g);
	stream_free(&s);
	if (g.st.error)
		print_message("error: %s\n", g.st.error);
	expect_ok(&g, nrec - 1, 1);
	assert_null(g.st.error);
	assert_int_equal(g.rej[0].line, 3);
	assert_string_equal(g.rej[0].why, "truncated JSON (the line ends inside this record)");
	assert_string_equal(g.rej[0].raw, "{\"CreationTime\":\"2024-01-01T00:00:00\",\"Id\":\"cut");
	expect_field(&g, 2, F_RECORD_ID, "rec-4");
	assert_int_equal(g.ev[2].line, 4);
	expect_field(&g, nrec - 2, F_RECORD_ID, "rec-40000");
	assert_int_equal(g.ev[nrec - 2].line, nrec);
	got_free(&g);
	free(d);
}

/* A JSON Lines record larger than the record size limit costs its line
 * (its first MB kept, a warning), not the records after it (the rest of
 * the file was not read). */
static void test_json_line_over_limit(void **state)
{
	(void)state;
	const size_t big = (size_t)5 << 20;
	char *d = malloc(big + 4096);
	size_t n =
		(size_t)sprintf(d, "{\"CreationTime\":\"2024-01-01T00:00:01\",\"Id\":\"rec-1\",\"Operation\":\"Op\"}\n"
				   "{\"CreationTime\":\"2024-01-01T00:00:02\",\"Id\":\"rec-2\",\"Big\":\"");
	memset(d + n, 'x', big);
	n += big;
	for (int i = 3; i <= 5; i++)
		n += (size_t)sprintf(d + n,
				     "%s{\"CreationTime\":\"2024-01-01T00:00:0%d\",\"Id\":\"rec-%d\",\"Operation\":\"Op\"}",
				     i == 3 ? "\"}\n" : "\n", i, i);
	struct chunky ck = { d, n, 0, 65536 };
	struct stream s;
	stream_init(&s, chunky_read, &ck, 0); /* the smallest window, 2 MiB */
	struct got g = { 0 };
	run_stream(&s, &g);
	stream_free(&s);
	expect_ok(&g, 4, 1);
	assert_null(g.st.error);
	assert_int_equal(g.rej[0].line, 2);
	assert_string_equal(g.rej[0].why, "record larger than the record size limit (its first MB kept)");
	assert_int_equal(g.rej[0].n, (size_t)1 << 20);
	assert_memory_equal(g.rej[0].raw,
			    d + strlen("{\"CreationTime\":\"2024-01-01T00:00:01\",\"Id\":\"rec-1\",\"Operation\":\"Op\"}\n"),
			    64);
	assert_non_null(g.st.warning);
	assert_non_null(strstr(g.st.warning, "line 2: a record larger than the record size limit"));
	static const char *const ids[] = { "rec-1", "rec-3", "rec-4", "rec-5" };
	static const uint64_t lines[] = { 1, 3, 4, 5 };
	for (size_t i = 0; i < 4; i++) {
		expect_field(&g, i, F_RECORD_ID, ids[i]);
		assert_int_equal(g.ev[i].line, lines[i]);
	}
	got_free(&g);
	free(d);
}

/* The same records, read in small pieces, give the same events. */
static void test_json_lines_chunked(void **state)
{
	(void)state;
	size_t n;
	char *d = jsonl(2000, &n, 1000, "garbage, not JSON");
	struct got whole = { 0 };
	run(d, n, &whole);
	expect_ok(&whole, 1999, 1);
	assert_string_equal(whole.rej[0].why, "not JSON: expected '{' or '['");
	assert_string_equal(whole.rej[0].raw, "garbage, not JSON");
	assert_int_equal(whole.rej[0].line, 1000);
	static const size_t chunks[] = { 1, 7, 4096, 65537 };
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		struct chunky ck = { d, n, 0, chunks[c] };
		struct stream s;
		stream_init(&s, chunky_read, &ck, 0);
		struct got g = { 0 };
		run_stream(&s, &g);
		stream_free(&s);
		expect_ok(&g, 1999, 1);
		for (size_t i = 0; i < g.nev; i++) {
			assert_int_equal(g.ev[i].line, whole.ev[i].line);
			assert_string_equal(g.ev[i].f[F_RECORD_ID], whole.ev[i].f[F_RECORD_ID]);
			assert_string_equal(g.ev[i].raw, whole.ev[i].raw);
		}
		assert_int_equal(g.rej[0].line, 1000);
		got_free(&g);
	}
	got_free(&whole);
	free(d);
}

/* Records with newlines inside them (white space, a nested object that
 * starts a line, a string that holds one), cut short, two on a line,
 * CRLF: the same events, lines and rejects as when every line's end
 * was found before its record was scanned (4ffcfd4's, load of the
 * same text). */
static void test_json_lines_newlines_inside(void **state)
{
	(void)state;
#define RN(i) "{'CreationTime':'2024-01-01T00:00:" #i "','Id':'id-" #i "','Operation':'Op" #i "'}"
	char *d = q(RN(
		01) "\n"
		    "{ 'CreationTime' : '2024-01-01T00:00:02', 'Id' : 'id-02', 'Operation' : 'Op02' }\n"
		    "{'CreationTime':'2024-01-01T00:00:03',\n'Id':'id-03',\n  'Operation':'Op03'}\n"
		    "{'CreationTime':'2024-01-01T00:00:04','Id':'id-04','Operation':'Op04','X':\n{'a':1}}\n" RN(
			    05) "\r\n"
				"{'CreationTime':'2024-01-01T00:00:06','Id':'id-06','Operation':'Op06','X':[1,\n" RN(
					07) "\n"
					    "{'CreationTime':'2024-01-01T00:00:08','Id':'id-08','Operation':'Op08','X':'a\nb'}\n" RN(
						    09) "\n"
							"{'CreationTime':'2024-01-01T00:00:10','Id':'id-10',\n\n'Operation':'Op10'}   \n"
							"\t" RN(11) "\n"
								    "{'CreationTime':'2024-01-01T00:00:12','Id':'id-12','Operation':'Op12','X':{'b':\n"
								    "{'CreationTime':'2024-01-01T00:00:13','Id':'id-13','Operation':'Op13'}}}\n" RN(
									    14) " " RN(15) "\n" RN(16));
#undef RN
	static const struct {
		const char *id;
		uint64_t line;
	} ev[] = { { "id-01", 1 },  { "id-02", 2 },  { "id-03", 3 },  { "id-05", 8 },
		   { "id-07", 10 }, { "id-09", 13 }, { "id-10", 14 }, { "id-11", 17 },
		   { "id-13", 19 }, { "id-14", 20 }, { "id-15", 20 }, { "id-16", 21 } };
	/* line 11's string holds a raw newline: the record (lines 11-12) is
	 * one reject, kept whole */
	static const uint64_t rej[] = { 6, 7, 7, 9, 11, 18, 19 };
	struct got g = { 0 };
	run_str(d, &g);
	assert_int_equal(g.nev, sizeof ev / sizeof ev[0]);
	for (size_t i = 0; i < g.nev; i++) {
		expect_field(&g, i, F_RECORD_ID, ev[i].id);
		assert_int_equal(g.ev[i].line, ev[i].line);
	}
	assert_int_equal(g.nrej, sizeof rej / sizeof rej[0]);
	for (size_t i = 0; i < g.nrej; i++)
		assert_int_equal(g.rej[i].line, rej[i]);
	assert_string_equal(g.rej[4].why, "invalid JSON: control character in string (line 11)");
	char *both = q("{'CreationTime':'2024-01-01T00:00:08','Id':'id-08','Operation':'Op08','X':'a\nb'}");
	assert_string_equal(g.rej[4].raw, both);
	free(both);
	got_free(&g);
	free(d);
}

/* A pretty-printed array whose element holds a raw NUL, control byte or
 * bad escape in a string: that element is one reject, kept whole at its
 * first line, and the elements after it load at their lines (it was one
 * reject per line of the element: 14 for one of 8 lines). One whose
 * quotes do not pair is cut where the next element starts (it was the
 * rest of the file, as one reject). */
static void test_json_array_bad_element_whole(void **state)
{
	(void)state;
	/* the bytes in element 3's Id, and json_scan's reason */
	static const struct {
		const char *bytes;
		size_t n;
		const char *why;
	} bad[] = {
		{ "\0", 1, "invalid JSON: control character in string (line 13)" },
		{ "\001", 1, "invalid JSON: control character in string (line 13)" },
		{ "\x1b[31m", 5, "invalid JSON: control character in string (line 13)" },
		{ "\\q", 2, "invalid JSON: bad escape in string (line 13)" },
	};
	for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
		char d[2048];
		size_t n = 0, start = 0, end = 0;
		n += (size_t)snprintf(d + n, sizeof d - n, "[\n");
		for (int i = 0; i < 5; i++) {
			if (i == 2)
				start = n + 2;
			n += (size_t)snprintf(d + n, sizeof d - n, "  {\n    \"Id\": \"id-");
			if (i == 2) {
				memcpy(d + n, bad[b].bytes, bad[b].n);
				n += bad[b].n;
			}
			n += (size_t)snprintf(d + n, sizeof d - n,
					      "%d\",\n    \"CreationTime\": \"2023-09-26T01:56:0%d\",\n"
					      "    \"Operation\": \"Send\"\n  }",
					      i, i);
			if (i == 2)
				end = n;
			n += (size_t)snprintf(d + n, sizeof d - n, i < 4 ? ",\n" : "\n]\n");
		}
		struct got g = { 0 };
		run(d, n, &g);
		expect_ok(&g, 4, 1);
		assert_int_equal(g.rej[0].line, 12);
		assert_string_equal(g.rej[0].why, bad[b].why);
		/* the element whole, from its '{' to its '}' */
		assert_int_equal(g.rej[0].n, end - start);
		assert_memory_equal(g.rej[0].raw, d + start, end - start);
		static const uint64_t lines[] = { 2, 7, 17, 22 };
		static const char *const ids[] = { "id-0", "id-1", "id-3", "id-4" };
		for (size_t i = 0; i < 4; i++) {
			assert_int_equal(g.ev[i].line, lines[i]);
			expect_field(&g, i, F_RECORD_ID, ids[i]);
		}
		got_free(&g);
	}
	/* a string that does not end (its quotes pair wrongly after it): the
	 * element ends where the next starts at its column; the input's
	 * end was its end, and the records after it were lost to events */
	char *d = q(
		"[\n  {\n    'Id': 'id-1',\n    'CreationTime': '2023-09-26T01:56:01',\n    'Operation': 'Send'\n  },\n"
		"  {\n    'Id': 'id-2,\n    'CreationTime': '2023-09-26T01:56:02',\n    'Operation': 'Send'\n  },\n"
		"  {\n    'Id': 'id-3',\n    'CreationTime': '2023-09-26T01:56:03',\n    'Operation': 'Send'\n  }\n]\n");
	struct got g = { 0 };
	run_str(d, &g);
	expect_ok(&g, 2, 1);
	expect_field(&g, 0, F_RECORD_ID, "id-1");
	expect_field(&g, 1, F_RECORD_ID, "id-3");
	assert_int_equal(g.ev[1].line, 12);
	assert_int_equal(g.rej[0].line, 7);
	assert_string_equal(g.rej[0].why,
			    "invalid JSON: the record does not close before the next one (line 12)");
	char *el = q(
		"{\n    'Id': 'id-2,\n    'CreationTime': '2023-09-26T01:56:02',\n    'Operation': 'Send'\n  }");
	assert_string_equal(g.rej[0].raw, el);
	free(el);
	got_free(&g);
	free(d);
}

static void test_json_truncated_last_record(void **state)
{
	(void)state;
	struct got g = { 0 };
	char *d = q("[\n" R1 ",\n" R2 ",\n{'CreationTime':'2024-01-01T00:00:03','Id':'id-3','Operation':'Mai");
	run_str(d, &g);
	expect_ok(&g, 2, 1);
	expect_format(&g, "ual-json");
	assert_int_equal(g.rej[0].line, 4);
	assert_string_equal(g.rej[0].why, "truncated JSON (the input ends inside this record)");
	char *tail = q("{'CreationTime':'2024-01-01T00:00:03','Id':'id-3','Operation':'Mai");
	assert_string_equal(g.rej[0].raw, tail);
	free(tail);
	got_free(&g);
	free(d);

	/* JSON Lines ending in a cut line */
	d = q(R1 "\n{'CreationTime':'2024-01-01T00:00:03','Id':'id-3'");
	run_str(d, &g);
	expect_ok(&g, 1, 1);
	assert_int_equal(g.rej[0].line, 2);
	got_free(&g);
	free(d);
}

static void test_json_garbage_line(void **state)
{
	(void)state;
	struct got g = { 0 };
	char *d = q(R1 "\nthis is not json\r\n" R2 "\n{'foo':'bar'}\n" R3 "\n");
	run_str(d, &g);
	expect_ok(&g, 3, 2);
	expect_format(&g, "ual-json");
	assert_int_equal(g.rej[0].line, 2);
	assert_string_equal(g.rej[0].why, "not JSON: expected '{' or '['");
	assert_string_equal(g.rej[0].raw, "this is not json");
	assert_int_equal(g.rej[1].line, 4);
	assert_string_equal(g.rej[1].why, "not an audit record (no recognised time and operation fields)");
	assert_string_equal(g.rej[1].raw, "{\"foo\":\"bar\"}");
	assert_int_equal(g.ev[1].line, 3);
	assert_int_equal(g.ev[2].line, 5);
	got_free(&g);
	free(d);
}

/* A scalar inside an array is one bad element: the records after it on
 * the same line (a one-line array) are still read. */
static void test_json_scalar_in_array(void **state)
{
	(void)state;
	struct got g = { 0 };
	char *d = q("[" R1 ",null,\"x\"," R2 "," R3 "]");
	run_str(d, &g);
	expect_ok(&g, 3, 2);
	expect_field(&g, 1, F_RECORD_ID, "id-2");
	expect_field(&g, 2, F_RECORD_ID, "id-3");
	assert_string_equal(g.rej[0].raw, "null");
	assert_string_equal(g.rej[1].raw, "\"x\"");
	assert_string_equal(g.rej[0].why, "array element is not an object");
	got_free(&g);
	free(d);

	/* pretty-printed, with line numbers; a word that is not JSON costs
	 * its line */
	d = q("[\n  7,\n  " R1 ",\n  true\n  ,\n  " R2 ",\n  nope,\n  " R3 "\n]\n");
	run_str(d, &g);
	expect_ok(&g, 3, 3);
	assert_string_equal(g.rej[0].raw, "7");
	assert_int_equal(g.rej[0].line, 2);
	assert_string_equal(g.rej[1].raw, "true");
	assert_int_equal(g.rej[1].line, 4);
	assert_string_equal(g.rej[2].raw, "nope,");
	assert_string_equal(g.rej[2].why, "not JSON: expected '{' or '['");
	assert_int_equal(g.rej[2].line, 7);
	assert_int_equal(g.ev[0].line, 3);
	assert_int_equal(g.ev[1].line, 6);
	assert_int_equal(g.ev[2].line, 8);
	got_free(&g);
	free(d);
}

static void test_json_wrapped_and_graph_audit(void **state)
{
	(void)state;
	struct got g = { 0 };
	/* Microsoft-Extractor-Suite style: AuditData as an object and as text */
	char *d = q("[{'RecordId':'w-1','CreationDate':'2024-01-01T00:00:00','Operation':'MailItemsAccessed',"
		    "'UserIds':'W@X.com','AuditData':{'CreationTime':'2024-01-01T00:00:09','Id':'ad-1',"
		    "'Operation':'MailItemsAccessed'}},"
		    "{'RecordId':'w-2','CreationDate':'2024-01-01T00:00:00','AuditData':"
		    "'{\\'CreationTime\\':\\'2024-01-01T00:00:10\\',\\'Id\\':\\'ad-2\\'}'},"
		    "{'RecordId':'w-3','AuditData':'{\\'CreationTime\\':'}]");
	run_str(d, &g);
	expect_ok(&g, 2, 1);
	expect_format(&g, "ual-json-wrapped");
	expect_field(&g, 0, F_RECORD_ID, "ad-1");
	expect_field(&g, 0, F_USER, "w@x.com");
	assert_int_equal(g.ev[0].ts, ts("2024-01-01T00:00:09Z"));
	expect_field(&g, 1, F_RECORD_ID, "ad-2");
	assert_string_equal(g.ev[1].raw, "{\"CreationTime\":\"2024-01-01T00:00:10\",\"Id\":\"ad-2\"}");
	assert_string_equal(g.rej[0].why, "AuditData is not a JSON object");
	got_free(&g);
	free(d);

	d = q("{'id':'g-1','createdDateTime':'2024-05-01T10:00:00Z','operation':'Send','service':'Exchange',"
	      "'userPrincipalName':'c@x.com','auditLogRecordType':'ExchangeItem','auditData':{}}\n");
	run_str(d, &g);
	expect_ok(&g, 1, 0);
	expect_format(&g, "graph-audit");
	expect_field(&g, 0, F_RECORD_ID, "g-1");
	assert_int_equal(g.ev[0].flags, EVF_NO_TIME);
	got_free(&g);
	free(d);

	d = q("{'id':'Directory_1','activityDateTime':'2024-01-01T00:00:00Z','activityDisplayName':'Add user',"
	      "'result':'success','initiatedBy':{'user':{'userPrincipalName':'Admin@X.com'}}}");
	run_str(d, &g);
	expect_ok(&g, 1, 0);
	expect_format(&g, "entra-audit-json");
	expect_field(&g, 0, F_USER, "admin@x.com");
	got_free(&g);
	free(d);
}

static void test_sink_failure_stops(void **state)
{
	(void)state;
	struct got g = { 0 };
	g.fail_at = 2;
	char *d = q(R1 "\n" R2 "\n" R3 "\n");
	run_str(d, &g);
	assert_int_equal(g.rc, -1);
	assert_non_null(g.cause);
	assert_string_equal(g.cause, "disk full");
	assert_int_equal(g.nev, 1);
	got_free(&g);
	free(d);

	/* the same from the CSV reader */
	g.fail_at = 1;
	run_str("CreationDate,UserIds,Operations,AuditData\n"
		"2024-01-01T00:00:00,a@x.com,Op,\"{\"\"CreationTime\"\":\"\"2024-01-01T00:00:00\"\",\"\"Id\"\":\"\"1\"\"}\"\n",
		&g);
	assert_int_equal(g.rc, -1);
	assert_string_equal(g.cause, "disk full");
	got_free(&g);
}

/* A source that gives its bytes, 7 a read, and fails (EIO) once it has
 * given fail_at of them: a file cut while it is read, a bad sector. */
struct failing {
	const char *p;
	size_t n, off, fail_at;
};

static ssize_t failing_read(void *ctx, char *buf, size_t n)
{
	struct failing *f = ctx;
	if (f->off >= f->fail_at) {
		errno = EIO;
		return -1;
	}
	size_t k = f->fail_at - f->off < 7 ? f->fail_at - f->off : 7;
	if (k > n)
		k = n;
	memcpy(buf, f->p + f->off, k);
	f->off += k;
	return (ssize_t)k;
}

static void run_failing(const char *d, size_t fail_at, struct got *g)
{
	memset(g, 0, sizeof *g);
	struct failing f = { d, strlen(d), 0, fail_at };
	struct stream s;
	stream_init(&s, failing_read, &f, 0);
	run_stream(&s, g);
	assert_true(s.ioerr);
	stream_free(&s);
}

/* A read error keeps what was read of the record it cut, as a reject
 * at its line; the load still fails. It was dropped: neither an event
 * nor a reject, the source's counts one short. */
static void test_read_error_keeps_cut_record(void **state)
{
	(void)state;
	struct got g;
	char *d = q(R1 "\n" R2 "\n" R3 "\n");
	size_t cut = strlen(R1) + 1 + strlen(R2) + 1 + 20;
	run_failing(d, cut, &g);
	assert_int_equal(g.rc, -1);
	assert_string_equal(g.cause, "read error");
	assert_int_equal(g.nev, 2);
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.rej[0].line, 3);
	assert_int_equal(g.rej[0].n, 20);
	assert_memory_equal(g.rej[0].raw, d + cut - 20, 20);
	got_free(&g);

	/* inside a pretty-printed array's element */
	char *e = q("[\n" R1 ",\n" R2 "\n]\n");
	cut = 2 + strlen(R1) + 2 + 30;
	run_failing(e, cut, &g);
	assert_int_equal(g.rc, -1);
	assert_int_equal(g.nev, 1);
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.rej[0].line, 3);
	assert_memory_equal(g.rej[0].raw, e + cut - 30, 30);
	got_free(&g);
	free(e);

	/* a Purview CSV cut inside a row's AuditData */
	const char *c = PURVIEW_HDR
		"r1,2024-01-01T00:00:00,1,Op,a@x.com,\"{\"\"CreationTime\"\":\"\"2024-01-01T00:00:00\"\","
		"\"\"Id\"\":\"\"r1\"\"}\",,\n"
		"r2,2024-01-01T00:00:01,1,Op,a@x.com,\"{\"\"CreationTime\"\":\"\"2024-01-01T00:00:01\"\","
		"\"\"Id\"\":\"\"r2\"\"}\",,\n";
	cut = strlen(c) - 20;
	run_failing(c, cut, &g);
	assert_int_equal(g.rc, -1);
	assert_int_equal(g.nev, 1);
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.rej[0].line, 3);
	got_free(&g);

	/* an error at a record's end loses nothing and keeps nothing more */
	run_failing(d, strlen(R1) + 1, &g);
	assert_int_equal(g.rc, -1);
	assert_int_equal(g.nev, 1);
	assert_int_equal(g.nrej, 0);
	got_free(&g);
	free(d);
}

/* ------------------------------------------------------------------ */
/* CSV families */

static void test_empty_and_binary(void **state)
{
	(void)state;
	struct got g = { 0 };
	run("", 0, &g);
	assert_int_equal(g.rc, 0);
	expect_format(&g, "empty");
	assert_string_equal(g.st.warning, "empty file: no records");
	assert_int_equal(g.st.records, 0);
	assert_int_equal(g.nev + g.nrej, 0);
	got_free(&g);

	/* white space only: no records, and not an error */
	run_str(" \n\r\n\t\n", &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.nev, 0);
	got_free(&g);
	/* a line of blanks first: it was a CSV header of blanks, rejected,
	 * and the file a failed source */
	run_str("  \n\n", &g);
	expect_ok(&g, 0, 0);
	expect_format(&g, "empty");
	assert_null(g.st.error);
	assert_string_equal(g.st.warning, "empty file: white space only, no records");
	got_free(&g);

	/* a header and nothing else */
	run_str(PURVIEW_HDR, &g);
	expect_ok(&g, 0, 0);
	expect_format(&g, "purview-csv");
	assert_null(g.st.error);
	got_free(&g);

	static const unsigned char zip[] = { 'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 0x1b, 0x5e, 0xff, 0x00, 0x41 };
	run((const char *)zip, sizeof zip, &g);
	assert_int_equal(g.rc, 0);
	expect_format(&g, "binary");
	assert_string_equal(g.st.error,
			    "binary data (a zip archive that could not be read as one), not a text export "
			    "(its first 15 bytes kept as one rejected row)");
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.rej[0].n, sizeof zip);
	assert_memory_equal(g.rej[0].raw, zip, sizeof zip);
	assert_string_equal(g.rej[0].why,
			    "binary data (a zip archive that could not be read as one), not a text export");
	assert_int_equal(g.rej[0].line, 1);
	got_free(&g);

	/* UTF-16 that reached the reader untranscoded is binary too */
	static const char u16[] = { '[', 0, '{', 0, '"', 0 };
	run(u16, sizeof u16, &g);
	expect_format(&g, "binary");
	got_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_array),
		cmocka_unit_test(test_json_concatenated_arrays),
		cmocka_unit_test(test_json_bare_object),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_json_graph_page),
		cmocka_unit_test(test_json_lines_then_pages),
		cmocka_unit_test(test_json_pretty_array),
		cmocka_unit_test(test_json_truncated_line_in_middle),
		cmocka_unit_test(test_json_truncated_line_big_file),
		cmocka_unit_test(test_json_lines_chunked),
		cmocka_unit_test(test_json_lines_newlines_inside),
		cmocka_unit_test(test_json_array_bad_element_whole),
		cmocka_unit_test(test_json_line_over_limit),
		cmocka_unit_test(test_json_truncated_last_record),
		cmocka_unit_test(test_json_garbage_line),
		cmocka_unit_test(test_json_scalar_in_array),
		cmocka_unit_test(test_json_wrapped_and_graph_audit),
		cmocka_unit_test(test_sink_failure_stops),
		cmocka_unit_test(test_read_error_keeps_cut_record),
		cmocka_unit_test(test_empty_and_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
