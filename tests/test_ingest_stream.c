/*
 * test_ingest_stream.c: ingest_stream over memory streams into a sink that
 * collects: every JSON shape and CSV family the readers promise, how they
 * report what they cannot read, and the format each is detected as.
 */
#include "testutil.h"

#include "ingest.h"
#include "json_scan.h"
#include "stream.h"
#include "timeparse.h"

/* ------------------------------------------------------------------ */
/* The collecting sink. */

#define NFIELDS 15

struct cev {
	int64_t ts;
	char *f[NFIELDS]; /* NULL when absent */
	int64_t op_count;
	unsigned flags;
	int kind;
	char *raw;
	uint64_t line;
	size_t nmsgs;
	char **folder, **msgid;
	int64_t *size;
};

struct crej {
	uint64_t line;
	char *why;
	char *raw;
	size_t n;
};

struct got {
	struct cev *ev;
	size_t nev, cap;
	struct crej *rej;
	size_t nrej, rcap;
	int fail_at; /* make the sink fail at this event (1-based), 0: never */
	struct ingest_stats st;
	char *cause;
	int rc;
};

enum { F_RECORD_ID, F_OP, F_RTYPE, F_WORKLOAD, F_USER, F_APP, F_CLIENT_APP, F_IP, F_RESULT,
       F_SESSION, F_TOKEN, F_MAILBOX, F_ACCESS, F_CLIENT_INFO, F_DETAIL };

static char *dup_sv(struct sv s)
{
	if (!s.p)
		return NULL;
	char *d = malloc(s.n + 1);
	memcpy(d, s.p, s.n);
	d[s.n] = '\0';
	return d;
}

static int got_event(void *ctx, const struct event *ev, char **cause)
{
	struct got *g = ctx;
	if (g->fail_at && (int)g->nev + 1 == g->fail_at) {
		*cause = strdup("disk full");
		return -1;
	}
	if (g->nev == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->ev = realloc(g->ev, g->cap * sizeof *g->ev);
	}
	struct cev *c = &g->ev[g->nev++];
	memset(c, 0, sizeof *c);
	c->ts = ev->ts;
	int i = 0;
#define X(name) c->f[i++] = dup_sv(ev->name);
	EVENT_TEXT_FIELDS(X)
#undef X
	assert_int_equal(i, NFIELDS);
	c->op_count = ev->op_count;
	c->flags = ev->flags;
	c->kind = ev->kind;
	c->raw = dup_sv(ev->raw);
	c->line = ev->line;
	c->nmsgs = ev->nmsgs;
	if (ev->nmsgs) {
		c->folder = calloc(ev->nmsgs, sizeof *c->folder);
		c->msgid = calloc(ev->nmsgs, sizeof *c->msgid);
		c->size = calloc(ev->nmsgs, sizeof *c->size);
		for (size_t k = 0; k < ev->nmsgs; k++) {
			c->folder[k] = dup_sv(ev->msgs[k].folder);
			c->msgid[k] = dup_sv(ev->msgs[k].msgid);
			c->size[k] = ev->msgs[k].size;
		}
	}
	/* every event has an id: the record's or a synthetic one */
	assert_non_null(c->f[F_RECORD_ID]);
	return 0;
}

static int got_reject(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause)
{
	(void)cause;
	struct got *g = ctx;
	if (g->nrej == g->rcap) {
		g->rcap = g->rcap ? g->rcap * 2 : 16;
		g->rej = realloc(g->rej, g->rcap * sizeof *g->rej);
	}
	struct crej *r = &g->rej[g->nrej++];
	assert_non_null(why);
	r->line = line;
	r->why = strdup(why);
	r->raw = malloc(n + 1);
	memcpy(r->raw, raw, n);
	r->raw[n] = '\0';
	r->n = n;
	return 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->nev; i++) {
		struct cev *c = &g->ev[i];
		for (int k = 0; k < NFIELDS; k++)
			free(c->f[k]);
		free(c->raw);
		for (size_t k = 0; k < c->nmsgs; k++) {
			free(c->folder[k]);
			free(c->msgid[k]);
		}
		free(c->folder);
		free(c->msgid);
		free(c->size);
	}
	free(g->ev);
	for (size_t i = 0; i < g->nrej; i++) {
		free(g->rej[i].why);
		free(g->rej[i].raw);
	}
	free(g->rej);
	free(g->st.warning);
	free(g->st.error);
	free(g->cause);
	memset(g, 0, sizeof *g);
}

static void run_stream(struct stream *s, struct got *g)
{
	struct sink sk = { got_event, got_reject, g };
	g->rc = ingest_stream(s, &sk, NULL, &g->st, &g->cause);
	/* the counts agree with what the sink saw */
	if (g->rc == 0)
		assert_int_equal(g->st.records, g->nev + g->nrej);
	assert_int_equal(g->st.rejects, g->nrej);
}

static void run(const char *data, size_t n, struct got *g)
{
	int fail_at = g->fail_at;
	memset(g, 0, sizeof *g);
	g->fail_at = fail_at;
	struct stream s;
	stream_init_mem(&s, data, n);
	run_stream(&s, g);
	stream_free(&s);
}

static void run_str(const char *data, struct got *g)
{
	run(data, strlen(data), g);
}

/* Records with ' for ", as in test_normalize.c. */
static char *q(const char *s)
{
	char *d = strdup(s);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static void expect_field(const struct got *g, size_t i, int f, const char *want)
{
	if (i >= g->nev)
		fail_msg("event %zu missing (%zu events, %zu rejects)", i, g->nev, g->nrej);
	const char *v = g->ev[i].f[f];
	if (!want) {
		if (v)
			fail_msg("event %zu field %d: \"%s\", expected absent", i, f, v);
		return;
	}
	if (!v)
		fail_msg("event %zu field %d absent, expected \"%s\"", i, f, want);
	if (strcmp(v, want) != 0)
		fail_msg("event %zu field %d: \"%s\", expected \"%s\"", i, f, v, want);
}

static void expect_format(const struct got *g, const char *want)
{
	if (!g->st.format)
		fail_msg("no format, expected %s", want);
	assert_string_equal(g->st.format, want);
}

static void expect_ok(const struct got *g, size_t nev, size_t nrej)
{
	if (g->rc != 0)
		fail_msg("ingest_stream failed: %s", g->cause ? g->cause : "?");
	if (g->nev != nev || g->nrej != nrej) {
		for (size_t i = 0; i < g->nrej; i++)
			print_message("reject line %llu: %s: %.200s\n", (unsigned long long)g->rej[i].line,
				      g->rej[i].why, g->rej[i].raw);
		fail_msg("%zu events and %zu rejects, expected %zu and %zu", g->nev, g->nrej, nev, nrej);
	}
}

static int64_t ts(const char *iso)
{
	int64_t ms;
	assert_true(time_parse(iso, strlen(iso), &ms));
	return ms;
}

#define R1 "{'CreationTime':'2024-01-01T00:00:01','Id':'id-1','Operation':'New-InboxRule','UserId':'A@X.com','RecordType':1}"
#define R2 "{'CreationTime':'2024-01-01T00:00:02','Id':'id-2','Operation':'Set-Mailbox','UserId':'b@x.com'}"
#define R3 "{'CreationTime':'2024-01-01T00:00:03','Id':'id-3','Operation':'MailItemsAccessed','RecordType':50}"

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
	expect_field(&g, 0, F_RESULT, "Failure (7000215)");
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

/* ------------------------------------------------------------------ */
/* CSV families */

#define PURVIEW_HDR "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\n"

static void test_csv_purview(void **state)
{
	(void)state;
	struct got g = { 0 };
	const char *d =
		PURVIEW_HDR
		"538815b7,9/20/2023 4:05:03 AM,8,Add service principal.,Certificate,\"{\"\"CreationTime\"\":"
		"\"\"2023-09-20T04:05:03\"\",\"\"Id\"\":\"\"538815b7\"\",\"\"Operation\"\":\"\"Add service principal.\"\","
		"\"\"RecordType\"\":8,\"\"ResultStatus\"\":\"\"Success\"\",\"\"UserId\"\":\"\"Certificate\"\","
		"\"\"Workload\"\":\"\"AzureActiveDirectory\"\",\"\"ClientIP\"\":\"\"20.1.2.3:51234\"\"}\",,\n"
		"rid-2,2026-01-24T06:54:24.0000000Z ,50,MailItemsAccessed,Bob@X.com,\"{\"\"Workload\"\":\"\"Exchange\"\"}\",,\n";
	run_str(d, &g);
	expect_ok(&g, 2, 0);
	expect_format(&g, "purview-csv");
	expect_field(&g, 0, F_RECORD_ID, "538815b7");
	expect_field(&g, 0, F_OP, "Add service principal.");
	expect_field(&g, 0, F_RTYPE, "AzureActiveDirectory");
	expect_field(&g, 0, F_USER, "certificate");
	expect_field(&g, 0, F_IP, "20.1.2.3");
	expect_field(&g, 0, F_RESULT, "Success");
	assert_int_equal(g.ev[0].ts, ts("2023-09-20T04:05:03Z"));
	assert_int_equal(g.ev[0].flags, 0);
	assert_int_equal(g.ev[0].line, 2);
	assert_true(strncmp(g.ev[0].raw, "{\"CreationTime\":\"2023-09-20T04:05:03\"", 37) == 0);
	/* the wrapper fills what AuditData lacks: id, op, user, type, time */
	expect_field(&g, 1, F_RECORD_ID, "rid-2");
	expect_field(&g, 1, F_OP, "MailItemsAccessed");
	expect_field(&g, 1, F_USER, "bob@x.com");
	expect_field(&g, 1, F_RTYPE, "ExchangeItemAggregated");
	expect_field(&g, 1, F_WORKLOAD, "Exchange");
	assert_int_equal(g.ev[1].ts, ts("2026-01-24T06:54:24Z"));
	assert_int_equal(g.ev[1].flags, EVF_NO_TIME);
	assert_int_equal(g.ev[1].line, 3);
	got_free(&g);

	/* the variant spelling of the last column */
	run_str("RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitNames\r\n"
		"r1,9/26/2023 1:56:15 AM,2,Send,a@x.com,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\",\"\"Id\"\":\"\"r1\"\"}\",,\r\n",
		&g);
	expect_ok(&g, 1, 0);
	expect_format(&g, "purview-csv");
	expect_field(&g, 0, F_RECORD_ID, "r1");
	expect_field(&g, 0, F_RTYPE, "ExchangeItem");
	got_free(&g);
}

static void test_csv_classic(void **state)
{
	(void)state;
	struct got g = { 0 };
	run_str("CreationDate,UserIds,Operations,AuditData\n"
		"9/26/2023 1:56:15 AM,Eve@X.com,New-InboxRule,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\","
		"\"\"Id\"\":\"\"c-1\"\",\"\"Operation\"\":\"\"New-InboxRule\"\",\"\"Parameters\"\":[{\"\"Name\"\":"
		"\"\"ForwardTo\"\",\"\"Value\"\":\"\"x@evil.com\"\"}]}\"\n"
		"\n"
		"9/26/2023 2:00:00 PM,eve@x.com,Set-InboxRule,\"{\"\"Id\"\":\"\"c-2\"\"}\"\n",
		&g);
	expect_ok(&g, 2, 0);
	expect_format(&g, "purview-csv-classic");
	expect_field(&g, 0, F_RECORD_ID, "c-1");
	expect_field(&g, 0, F_USER, "eve@x.com");
	expect_field(&g, 1, F_OP, "Set-InboxRule");
	assert_int_equal(g.ev[1].ts, ts("2023-09-26T14:00:00Z"));
	assert_int_equal(g.ev[1].flags, EVF_NO_TIME);
	assert_int_equal(g.ev[1].line, 4);
	got_free(&g);
}

static void test_csv_powershell(void **state)
{
	(void)state;
	struct got g = { 0 };
	/* #TYPE line, -UseCulture ';', -Formatted multi-line AuditData, CRLF */
	run_str("#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AuditRecord\r\n"
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
		&g);
	expect_ok(&g, 2, 0);
	expect_format(&g, "psh-csv");
	expect_field(&g, 0, F_RECORD_ID, "ps-1");
	expect_field(&g, 0, F_RTYPE, "ExchangeItemAggregated");
	expect_field(&g, 0, F_USER, "bob@x.com");
	assert_int_equal(g.ev[0].ts, ts("2023-09-26T01:56:15Z"));
	assert_int_equal(g.ev[0].line, 3);
	assert_int_equal(g.ev[0].nmsgs, 1);
	assert_string_equal(g.ev[0].folder[0], "\\Inbox");
	assert_null(g.ev[0].msgid[0]);
	expect_field(&g, 1, F_RECORD_ID, "ps-2");
	expect_field(&g, 1, F_RTYPE, "ExchangeAdmin");
	assert_int_equal(g.ev[1].ts, ts("2023-09-26T13:00:00Z"));
	assert_int_equal(g.ev[1].flags, EVF_NO_TIME);
	assert_int_equal(g.ev[1].line, 13);
	got_free(&g);

	/* the v3 module's plain form: every field quoted, ',' */
	run_str("\"RecordType\",\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\",\"ResultIndex\","
		"\"ResultCount\",\"Identity\",\"IsValid\",\"ObjectState\"\n"
		"\"ExchangeAdmin\",\"3/14/2025 4:26:43 PM\",\"NT SERVICE\\MSExchange\",\"Set-ConditionalAccessPolicy\","
		"\"{\"\"AppAccessContext\"\":{},\"\"CreationTime\"\":\"\"2025-03-14T16:26:43\"\",\"\"Id\"\":\"\"7f0b\"\","
		"\"\"RecordType\"\":1,\"\"UserId\"\":\"\"NT SERVICE\\\\MSExchange\"\",\"\"AppId\"\":\"\"\"\"}\","
		"\"1\",\"500\",\"7f0b\",\"True\",\"Unchanged\"\n",
		&g);
	expect_ok(&g, 1, 0);
	expect_format(&g, "psh-csv");
	expect_field(&g, 0, F_USER, "nt service\\msexchange");
	expect_field(&g, 0, F_APP, NULL);
	expect_field(&g, 0, F_RTYPE, "ExchangeAdmin");
	got_free(&g);
}

#define SIGNIN_HDR                                                                                      \
	"\"Date (UTC)\",\"Request ID\",\"User agent\",\"Correlation ID\",\"User ID\",\"User\",\"Username\","  \
	"\"User type\",\"Incoming token type\",\"Unique token identifier\",\"Application\",\"Application ID \"," \
	"\"Resource\",\"Resource ID \",\"IP address\",\"Location\",\"Status\",\"Sign-in error code\","         \
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
	expect_field(&g, 0, F_RECORD_ID, "4acc3395-req");
	expect_field(&g, 0, F_USER, "it@ithero.work.gd");
	expect_field(&g, 0, F_APP, "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"); /* "Application ID " */
	expect_field(&g, 0, F_IP, "2603:10b6::1");
	expect_field(&g, 0, F_RESULT, "Failure (50126)");
	expect_field(&g, 0, F_SESSION, "sess-77");
	expect_field(&g, 0, F_TOKEN, "lTPM-tok");
	expect_field(&g, 0, F_CLIENT_INFO, "Mozilla/5.0 (Windows NT 10.0)");
	expect_field(&g, 0, F_OP, "Sign-in");
	expect_field(&g, 0, F_RTYPE, "EntraSignIn");
	expect_field(&g, 0, F_WORKLOAD, "AzureActiveDirectory");
	assert_int_equal(g.ev[0].ts, ts("2025-03-18T12:33:24Z"));
	assert_int_equal(g.ev[0].line, 2);
	expect_field(&g, 1, F_RESULT, "Success");
	expect_field(&g, 1, F_CLIENT_INFO, "Mobile Apps and Desktop clients");
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
	run_str("\"Date (UTC)\",\"Request ID\",\"Service principal name\",\"Application ID\",\"IP address\",\"Status\"\n"
		"\"2025-03-18T12:33:24Z\",\"r\",\"Petra Forwarder\",\"APP\",\"3.140.144.215\",\"Success\"\n",
		&g);
	expect_ok(&g, 1, 0);
	expect_field(&g, 0, F_USER, "petra forwarder");
	expect_field(&g, 0, F_OP, "Service principal sign-in");
	expect_field(&g, 0, F_RESULT, "Success");
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
	const char *row2 = "r2,9/26/2023 1:56:15 AM,2,Send,a@x.com,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\",\"\"Id\"\":\"\"r\",,";
	char d[2048];
	snprintf(d, sizeof d,
		 PURVIEW_HDR "r1,9/26/2023 1:56:15 AM,2,Send,a@x.com,\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\"}\",,\n"
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
	assert_int_equal(strlen(g.st.error), strlen("line 1: not a recognised audit export header: ") + 120 + 3 +
						     strlen(" (the file's 1 rows were refused)"));
	assert_non_null(strstr(g.st.error, "hhh... (the file's 1 rows were refused)"));
	got_free(&g);

	/* a header that is not even CSV */
	run_str("\"unterminated,header\n", &g);
	assert_int_equal(g.rc, 0);
	assert_non_null(g.st.error);
	assert_string_equal(g.st.error, "line 1: unreadable CSV header (quoted field does not end (truncated file?))");
	got_free(&g);
}

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
	assert_string_equal(g.st.error, "binary data, not a text export (kept as one rejected row)");
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.rej[0].n, sizeof zip);
	assert_memory_equal(g.rej[0].raw, zip, sizeof zip);
	assert_string_equal(g.rej[0].why, "binary data, not a text export");
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
		cmocka_unit_test(test_json_pretty_array),
		cmocka_unit_test(test_json_truncated_line_in_middle),
		cmocka_unit_test(test_json_truncated_line_big_file),
		cmocka_unit_test(test_json_lines_chunked),
		cmocka_unit_test(test_json_truncated_last_record),
		cmocka_unit_test(test_json_garbage_line),
		cmocka_unit_test(test_json_scalar_in_array),
		cmocka_unit_test(test_json_wrapped_and_graph_audit),
		cmocka_unit_test(test_sink_failure_stops),
		cmocka_unit_test(test_csv_purview),
		cmocka_unit_test(test_csv_classic),
		cmocka_unit_test(test_csv_powershell),
		cmocka_unit_test(test_csv_entra_signin),
		cmocka_unit_test(test_csv_entra_signin_real_header),
		cmocka_unit_test(test_csv_bad_auditdata),
		cmocka_unit_test(test_csv_broken_quoting),
		cmocka_unit_test(test_csv_unknown_header),
		cmocka_unit_test(test_empty_and_binary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
