/*
 * test_formats.c: the logs around the UAL (issue 11), loaded into a real
 * case: the kind of log of each event and the `kind=` filter, placeholder
 * record ids, the "no address" spellings of ClientIP. Inputs are written
 * here, in shapes that differ from the real samples (other field orders,
 * casing, missing optional fields, offsets, fraction digits).
 */
#include "testutil.h"

#include "ingest.h"
#include "query.h"
#include "store.h"
#include "util.h"

struct fcase {
	char *dir;
	struct store *st;
	struct ingest_totals t;
	char format[64], warning[512], status[256];
};

static int grab(const struct store_source_row *r, void *ctx)
{
	struct fcase *c = ctx;
	snprintf(c->format, sizeof c->format, "%s", r->format ? r->format : "");
	snprintf(c->warning, sizeof c->warning, "%s", r->warning ? r->warning : "");
	snprintf(c->status, sizeof c->status, "%s", r->status ? r->status : "");
	return 0;
}

/* Records with ' for ". */
static char *q(const char *s)
{
	char *d = strdup(s);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

/* Load the named files (name, content pairs, NULL-terminated) into a
 * fresh case; the last file's source row is kept in c. */
static void load_files(struct fcase *c, const char *const *files)
{
	memset(c, 0, sizeof *c);
	c->dir = tmpdir_new();
	if (!c->dir)
		fail_msg("no temporary directory");
	char path[4096];
	snprintf(path, sizeof path, "%s/f.case", c->dir);
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &c->st, &cause), 0);
	const char *paths[16];
	size_t n = 0;
	for (size_t i = 0; files[i]; i += 2) {
		char *body = q(files[i + 1]);
		paths[n++] = write_file(c->dir, files[i], body, strlen(body));
		free(body);
	}
	struct ingest_opts o = { 0 };
	assert_int_equal(ingest_paths(c->st, paths, n, &o, &c->t, &cause), 0);
	for (size_t i = 0; i < n; i++)
		free((char *)paths[i]);
	store_each_source(c->st, grab, c, NULL);
}

static void load1(struct fcase *c, const char *name, const char *body)
{
	const char *files[] = { name, body, NULL };
	load_files(c, files);
}

static void unload(struct fcase *c)
{
	store_close(c->st);
	tmpdir_remove(c->dir);
	free(c->dir);
}

static int64_t count(struct store *st, const char *filter)
{
	char *cause = NULL;
	int64_t n = query_count_text(st, filter, &cause);
	if (n < 0)
		fail_msg("filter %s: %s", filter, cause);
	return n;
}

/* The oldest event matching filter (assert there is one). */
static void first(struct store *st, const char *filter, struct query_row *r)
{
	struct query *qq = NULL;
	char *cause = NULL;
	if (query_new(st, filter, &qq, &cause) != 0)
		fail_msg("filter %s: %s", filter, cause);
	struct query_page p = { 0 };
	assert_int_equal(query_page(qq, QUERY_FIRST, NULL, 1, &p, &cause), 0);
	if (p.n != 1)
		fail_msg("no event matches %s", filter);
	*r = p.rows[0];
	p.n = 0;
	query_page_free(&p);
	query_free(qq);
}

static void eq(const char *got, const char *want)
{
	if (!want) {
		if (got)
			fail_msg("\"%s\", expected absent", got);
		return;
	}
	if (!got)
		fail_msg("absent, expected \"%s\"", want);
	if (strcmp(got, want) != 0)
		fail_msg("\"%s\", expected \"%s\"", got, want);
}

/* A UAL record and a sign-in with the same id are two events of two
 * kinds; kind= filters on them by name or alias. */
static void test_kinds_and_filter(void **state)
{
	(void)state;
	struct fcase c;
	const char *files[] = {
		"ual.jsonl",
		"{'Id':'same-1','CreationTime':'2024-05-01T10:00:00','Operation':'UserLoggedIn',"
		"'UserId':'A@x.com','ClientIP':'<null>'}\n",
		"si.json",
		"[{'createdDateTime':'2024-05-01T10:00:01.5+02:00','id':'same-1','appId':'AB',"
		"'ipAddress':'Unknown','userPrincipalName':'b@x.com'}]",
		NULL,
	};
	load_files(&c, files);
	assert_int_equal(c.t.events, 2);
	assert_int_equal(count(c.st, "kind=ual"), 1);
	assert_int_equal(count(c.st, "kind=signin"), 1);
	assert_int_equal(count(c.st, "kind=SIGN-IN"), 1);
	assert_int_equal(count(c.st, "kind!=signin"), 1);
	assert_int_equal(count(c.st, "kind=ual,signin"), 2);
	assert_int_equal(count(c.st, "kind~^sig"), 1);
	assert_int_equal(count(c.st, "kind=graph_activity"), 0);
	struct query *qq = NULL;
	char *cause = NULL;
	assert_int_not_equal(query_new(c.st, "kind=nonsense", &qq, &cause), 0);
	assert_non_null(strstr(cause, "expected a kind of log"));
	free(cause);
	struct query_row r;
	first(c.st, "kind=signin", &r);
	/* 10:00:01.5+02:00 is 08:00:01.500 UTC */
	assert_int_equal(r.ts, 1714550401500LL);
	eq(r.ip, NULL); /* "Unknown" is no address */
	assert_int_equal(r.kind, KIND_SIGNIN);
	query_row_clear(&r);
	first(c.st, "kind=ual", &r);
	eq(r.ip, NULL); /* "<null>" neither */
	eq(r.user, "a@x.com");
	query_row_clear(&r);
	unload(&c);
}

/* All-zero GUIDs, ANONYMIZED and empty ids identify nothing: such
 * records are told apart (and deduplicated) by their content. */
static void test_placeholder_ids(void **state)
{
	(void)state;
	struct fcase c;
	load1(&c, "anon.jsonl",
	      "{'Id':'00000000-0000-0000-0000-000000000000','CreationTime':'2024-05-01T10:00:00','Operation':'A'}\n"
	      "{'Id':'00000000-0000-0000-0000-000000000000','CreationTime':'2024-05-01T10:00:01','Operation':'B'}\n"
	      "{'Id':'ANONYMIZED','CreationTime':'2024-05-01T10:00:02','Operation':'C'}\n"
	      "{'Id':'','CreationTime':'2024-05-01T10:00:03','Operation':'D'}\n"
	      "{'Id':'','CreationTime':'2024-05-01T10:00:03','Operation':'D'}\n");
	assert_int_equal(c.t.records, 5);
	assert_int_equal(c.t.events, 4);
	assert_int_equal(c.t.duplicates, 1);
	struct query_row r;
	first(c.st, "op=B", &r);
	assert_non_null(r.record_id);
	assert_memory_equal(r.record_id, "sha256:", 7);
	query_row_clear(&r);
	unload(&c);
}

/* Azure Monitor diagnostic records, one a line: the record is properties;
 * the envelope fills what it lacks; other categories are generic. Field
 * order, casing and fraction digits differ from the real sample. */
static void test_azure_diagnostic_lines(void **state)
{
	(void)state;
	struct fcase c;
	load1(&c, "diag.jsonl",
	      "{'properties':{'userPrincipalName':'Eve@Contoso.com','id':'s1','createdDateTime':'2024-02-01T08:00:00.1+01:00',"
	      "'appId':'APP-1','ipAddress':'203.0.113.9','status':{'errorCode':50126},'sessionId':'sess'},"
	      "'category':'NonInteractiveUserSignInLogs','time':'2024-02-01T07:00:00Z','operationName':'Sign-in activity'}\n"
	      "{'time':'2024-02-01T07:01:00.12345Z','category':'MicrosoftGraphActivityLogs','operationName':'Microsoft Graph Activity',"
	      "'properties':{'requestId':'r1','requestMethod':'GET','requestUri':'https://graph.microsoft.com/v1.0/me/messages',"
	      "'responseStatusCode':200,'appId':'APP-2','userId':'U-1','ipAddress':'198.51.100.7','signInActivityId':'tok-1'}}\n"
	      "{'time':'2024-02-01T07:02:00Z','category':'SomethingNew','operationName':'Do thing','callerIpAddress':'192.0.2.1',"
	      "'identity':'ops@contoso.com','properties':{'x':1},'resourceId':'/subscriptions/s/rg'}\n"
	      "{'time':'2024-02-01T07:03:00Z','category':'AuditLogs','properties':{'id':'d1','activityDisplayName':'Add member to role',"
	      "'activityDateTime':'2024-02-01T07:03:00Z','initiatedBy':{'user':{'userPrincipalName':'Adm@x.com','ipAddress':'192.0.2.2'}},"
	      "'targetResources':[{'type':'User','userPrincipalName':'t@x.com'}],'result':'success'}}\n");
	assert_int_equal(c.t.records, 4);
	assert_int_equal(c.t.events, 4);
	assert_int_equal(c.t.rejects, 0);
	assert_string_equal(c.format, "azure-diagnostic");
	struct query_row r;
	first(c.st, "kind=signin", &r);
	assert_int_equal(r.ts, 1706770800100LL); /* 08:00:00.1+01:00 */
	eq(r.user, "eve@contoso.com");
	eq(r.app, "app-1");
	eq(r.ip, "203.0.113.9");
	eq(r.op, "Non-interactive sign-in");
	eq(r.result, "Failure (50126)");
	eq(r.session, "sess");
	eq(r.record_id, "s1#noninteractive");
	query_row_clear(&r);
	first(c.st, "kind=graph_activity", &r);
	eq(r.op, "Graph GET");
	eq(r.detail, "GET https://graph.microsoft.com/v1.0/me/messages");
	eq(r.token, "tok-1");
	eq(r.user, "u-1");
	eq(r.ip, "198.51.100.7");
	eq(r.result, "200");
	query_row_clear(&r);
	first(c.st, "kind=generic", &r);
	eq(r.op, "Do thing");
	eq(r.user, "ops@contoso.com");
	eq(r.ip, "192.0.2.1");
	eq(r.rtype, "SomethingNew");
	eq(r.detail, "/subscriptions/s/rg");
	query_row_clear(&r);
	first(c.st, "kind=directory_audit", &r);
	eq(r.op, "Add member to role");
	eq(r.user, "adm@x.com");
	eq(r.ip, "192.0.2.2");
	eq(r.detail, "target: User t@x.com");
	query_row_clear(&r);
	unload(&c);
}

/* {"records": [...]} and the query API's {"tables": [...]}, whose dynamic
 * columns are JSON text; a row shorter than the columns is rejected. */
static void test_records_and_tables(void **state)
{
	(void)state;
	struct fcase c;
	load1(&c, "blob.json",
	      "{'records':[{'category':'RiskyUsers','time':'2024-03-01T00:00:00Z','properties':{'id':'ru1',"
	      "'userPrincipalName':'Bob@x.com','riskLevel':'high','riskState':'atRisk','riskDetail':'none',"
	      "'riskLastUpdatedDateTime':'2024-02-29T23:59:59.9999999Z'}}]}");
	assert_int_equal(c.t.events, 1);
	struct query_row r;
	first(c.st, "kind=risk", &r);
	eq(r.op, "Risky user");
	eq(r.user, "bob@x.com");
	eq(r.detail, "risk level high, atRisk (none)");
	query_row_clear(&r);
	unload(&c);

	load1(&c, "la.json",
	      "{'tables':[{'name':'PrimaryResult','columns':[{'name':'TimeGenerated','type':'datetime'},"
	      "{'name':'UserPrincipalName','type':'string'},{'name':'AppId','type':'string'},"
	      "{'name':'IPAddress','type':'string'},{'name':'ResultType','type':'string'},"
	      "{'name':'Status','type':'dynamic'},{'name':'Type','type':'string'},{'name':'Id','type':'string'},"
	      "{'name':'UniqueTokenIdentifier','type':'string'}],"
	      "'rows':[['2024-03-02T10:00:00.123Z','Ann@x.com','A1','203.0.113.5','0','{\\'errorCode\\':0}','SigninLogs','i1','t1'],"
	      "['2024-03-02T10:00:01Z','Ann@x.com','A1']]}]}");
	assert_int_equal(c.t.records, 2);
	assert_int_equal(c.t.events, 1);
	assert_int_equal(c.t.rejects, 1);
	assert_string_equal(c.format, "loganalytics-api");
	first(c.st, "kind=signin", &r);
	eq(r.user, "ann@x.com");
	eq(r.app, "a1");
	eq(r.result, "Success");
	eq(r.token, "t1");
	eq(r.record_id, "i1");
	query_row_clear(&r);
	unload(&c);
}

/* Pipeline captures: the record is the parsed _raw; _raw that is not
 * JSON is a clear reject. */
static void test_pipeline_capture(void **state)
{
	(void)state;
	struct fcase c;
	load1(&c, "cap.json",
	      "[{'_time':1721930366.5,'_raw':'{\\'Received\\':\\'/Date(1721930366000)/\\',\\'SenderAddress\\':\\'A@x.com\\',"
	      "\\'RecipientAddress\\':\\'B@y.com\\',\\'Subject\\':\\'Invoice\\',\\'Status\\':\\'Delivered\\',\\'FromIP\\':\\'192.0.2.3\\',"
	      "\\'MessageTraceId\\':\\'m1\\',\\'MessageId\\':\\'<a@b>\\'}','host':'h'},"
	      "{'_raw':'not json at all','_time':1},"
	      "{'_raw':'{\\'Operation\\':\\'Send\\',\\'Id\\':\\'u1\\',\\'CreationTime\\':\\'2024-07-25T18:00:00\\',\\'UserId\\':\\'C@x.com\\'}'}]");
	assert_int_equal(c.t.records, 3);
	assert_int_equal(c.t.events, 2);
	assert_int_equal(c.t.rejects, 1);
	struct query_row r;
	first(c.st, "kind=message_trace", &r);
	assert_int_equal(r.ts, 1721930366000LL);
	eq(r.user, "a@x.com");
	eq(r.mailbox, "b@y.com");
	eq(r.result, "Delivered");
	eq(r.detail, "a@x.com -> b@y.com: Invoice");
	eq(r.ip, "192.0.2.3");
	query_row_clear(&r);
	first(c.st, "kind=ual", &r);
	eq(r.op, "Send");
	eq(r.user, "c@x.com");
	query_row_clear(&r);
	char *raw = store_raw(c.st, 1, NULL);
	assert_non_null(raw);
	assert_non_null(strstr(raw, "\"SenderAddress\""));
	assert_null(strstr(raw, "_raw"));
	free(raw);
	unload(&c);
}

struct seen_list {
	int n;
	char last[512];
	int64_t raw; /* the last one's */
};

static int note_seen(const char *path, int64_t line, int64_t raw, void *ctx)
{
	struct seen_list *l = ctx;
	l->n++;
	l->raw = raw;
	snprintf(l->last, sizeof l->last, "%s:%lld", path, (long long)line);
	return 0;
}

/* Defender XDR rows: a CloudAppEvents row whose RawEventData is a UAL
 * record is that record (one event with the UAL export's copy), with
 * PowerShell's depth truncation read and reported; other rows are XDR
 * events. */
static void test_xdr_rows(void **state)
{
	(void)state;
	struct fcase c;
	const char *files[] = {
		"xdr.jsonl",
		"{'ActionType':'MailItemsAccessed','Timestamp':'2021-08-02T13:32:07Z','Application':'Microsoft Exchange Online',"
		"'RawEventData':{'CreationTime':'2021-08-02T13:32:07','Id':'mia-1','Operation':'MailItemsAccessed','RecordType':50,"
		"'UserId':'Owner@x.com','MailboxOwnerUPN':'Owner@x.com','ClientIPAddress':'1.2.3.4','AppId':'app-g',"
		"'OperationProperties':['@{Name=MailAccessType; Value=Bind}','@{Value=False; Name=IsThrottled}'],"
		"'Folders':['@{Path=\\\\Inbox; FolderItems=System.Object[]; Id=LgAA}']}}\n"
		"{'Timestamp':'2021-08-02T13:11:39.77Z','ActionType':'LdapSearch','DeviceName':'dc1','DeviceId':'dev1',"
		"'ReportId':42,'InitiatingProcessAccountUpn':'W@x.com','RemoteIP':'10.0.0.9','FileName':'ps.exe'}\n",
		"ual.json",
		"[{'CreationTime':'2021-08-02T13:32:07','Id':'mia-1','Operation':'MailItemsAccessed','RecordType':50,"
		"'UserId':'owner@x.com','MailboxOwnerUPN':'owner@x.com','OperationProperties':[{'Name':'MailAccessType','Value':'Bind'}],"
		"'Folders':[{'Path':'\\\\Inbox','FolderItems':[{'InternetMessageId':'<m1@x>'}]}]}]",
		NULL,
	};
	load_files(&c, files);
	assert_int_equal(c.t.records, 3);
	assert_int_equal(c.t.events, 2);
	assert_int_equal(c.t.duplicates, 1);
	assert_int_equal(c.t.rejects, 0);
	struct query_row r;
	first(c.st, "op=MailItemsAccessed", &r);
	assert_int_equal(r.kind, KIND_UAL);
	eq(r.mailbox, "owner@x.com");
	eq(r.access, "Bind");
	/* the UAL export's copy was richer (Defender's had its message ids
	 * cut by PowerShell): the event is that copy, and lists the other */
	assert_non_null(strstr(r.source, "ual.json"));
	struct seen_list sl = { 0 };
	assert_int_equal(store_event_seen(c.st, r.id, note_seen, &sl, NULL), 0);
	assert_int_equal(sl.n, 1);
	assert_non_null(strstr(sl.last, "xdr.jsonl:1"));
	/* and the replaced copy's raw record is still the case's, as it came
	 * (schema 17: before, nothing could read it) */
	assert_true(sl.raw > 0);
	size_t len;
	char *old = store_raw(c.st, sl.raw, &len);
	assert_non_null(old);
	assert_non_null(strstr(old, "@{Path=\\\\Inbox; FolderItems=System.Object[]; Id=LgAA}"));
	assert_non_null(strstr(old, "\"Id\":\"mia-1\""));
	free(old);
	char *kept = store_raw(c.st, r.id, &len);
	assert_non_null(strstr(kept, "<m1@x>"));
	free(kept);
	assert_int_equal(count(c.st, "op=MailItemsAccessed"), 1);
	query_row_clear(&r);
	struct store_summary sum;
	assert_int_equal(store_summary(c.st, &sum, NULL), 0);
	assert_int_equal(sum.multi_source, 1);
	assert_int_equal(sum.events, 2);
	first(c.st, "kind=xdr", &r);
	eq(r.op, "LdapSearch");
	/* the same two files the other way round: the same event kept */
	const char *rev[] = { files[2], files[3], files[0], files[1], NULL };
	struct fcase c2;
	load_files(&c2, rev);
	struct query_row r2;
	first(c2.st, "op=MailItemsAccessed", &r2);
	assert_non_null(strstr(r2.source, "ual.json"));
	struct seen_list sl2 = { 0 };
	assert_int_equal(store_event_seen(c2.st, r2.id, note_seen, &sl2, NULL), 0);
	assert_int_equal(sl2.n, 1);
	assert_non_null(strstr(sl2.last, "xdr.jsonl:1"));
	assert_int_equal(sl2.raw, 0); /* the poorer copy came second: not kept */
	query_row_clear(&r2);
	unload(&c2);
	eq(r.user, "w@x.com");
	eq(r.ip, "10.0.0.9");
	eq(r.detail, "dc1: ps.exe");
	eq(r.record_id, "42@dev1");
	query_row_clear(&r);
	unload(&c);
}

/* Identity Protection, alerts and the Azure Activity log (REST shape). */
static void test_risk_alert_activity(void **state)
{
	(void)state;
	struct fcase c;
	load1(&c, "mixed.json",
	      "{'value':[{'id':'rd1','riskEventType':'unfamiliarFeatures','riskLevel':'medium','riskState':'atRisk',"
	      "'activityDateTime':'2024-04-01T10:00:00.1234567-04:00','detectedDateTime':'2024-04-01T15:00:00Z',"
	      "'userPrincipalName':'Kim@x.com','ipAddress':'203.0.113.77'}]}\n"
	      "{'id':'al1','title':'Suspicious inbox rule','severity':'high','status':'new','createdDateTime':'2024-04-01T16:00:00Z',"
	      "'serviceSource':'microsoftDefenderForOffice365','evidence':[{'@odata.type':'#microsoft.graph.security.userEvidence',"
	      "'userAccount':{'userPrincipalName':'Kim@x.com'}},{'ipAddress':'203.0.113.78'}]}\n"
	      "{'eventTimestamp':'2024-04-01T17:00:00.5Z','eventDataId':'ad1','operationName':{'value':'Microsoft.Compute/virtualMachines/delete',"
	      "'localizedValue':'Delete Virtual Machine'},'caller':'Ops@x.com','httpRequest':{'clientIpAddress':'198.51.100.1'},"
	      "'status':{'value':'Succeeded'},'resourceId':'/subscriptions/s/vm1','claims':{'appid':'APPX'}}\n");
	assert_int_equal(c.t.events, 3);
	assert_int_equal(c.t.rejects, 0);
	struct query_row r;
	first(c.st, "kind=risk", &r);
	assert_int_equal(r.ts, 1711980000123LL); /* 10:00:00.1234567-04:00 */
	eq(r.op, "unfamiliarFeatures");
	eq(r.user, "kim@x.com");
	eq(r.detail, "unfamiliarFeatures, risk level medium, atRisk");
	query_row_clear(&r);
	first(c.st, "kind=alert", &r);
	eq(r.op, "Suspicious inbox rule");
	eq(r.user, "kim@x.com");
	eq(r.ip, "203.0.113.78");
	eq(r.detail, "high: Suspicious inbox rule");
	query_row_clear(&r);
	first(c.st, "kind=azure_activity", &r);
	eq(r.op, "Microsoft.Compute/virtualMachines/delete");
	eq(r.user, "ops@x.com");
	eq(r.ip, "198.51.100.1");
	eq(r.app, "appx");
	eq(r.result, "Succeeded");
	eq(r.detail, "Delete Virtual Machine: /subscriptions/s/vm1");
	query_row_clear(&r);
	unload(&c);
}

/* CSV rows of the other logs: Sentinel's portal CSV ("TimeGenerated
 * [UTC]", dynamic columns as JSON text), an Extractor-Suite risk CSV in
 * another column order, message trace from Get-MessageTraceV2. */
static void test_csv_logs(void **state)
{
	(void)state;
	struct fcase c;
	load1(&c, "portal.csv",
	      "TimeGenerated [UTC],OperationName,InitiatedBy,TargetResources,Result,Id,Category\n"
	      "\"6/3/2022, 2:05:09.955 PM\",Add user,\"{''user'':{''userPrincipalName'':''Root@x.com'',''ipAddress'':''192.0.2.44''}}\","
	      "\"[{''type'':''User'',''userPrincipalName'':''new@x.com''}]\",success,dir-1,UserManagement\n");
	assert_int_equal(c.t.events, 1);
	assert_int_equal(c.t.rejects, 0);
	assert_string_equal(c.format, "sentinel-csv");
	struct query_row r;
	first(c.st, "kind=directory_audit", &r);
	assert_int_equal(r.ts, 1654265109955LL);
	eq(r.user, "root@x.com");
	eq(r.ip, "192.0.2.44");
	eq(r.op, "Add user");
	eq(r.detail, "target: User new@x.com");
	query_row_clear(&r);
	unload(&c);

	load1(&c, "risk.csv",
	      "\xef\xbb\xbf\"UserPrincipalName\",\"RiskLevel\",\"RiskEventType\",\"Id\",\"IPAddress\",\"ActivityDateTime\",\"RiskState\"\n"
	      "\"Lee@X.com\",\"high\",\"anonymizedIPAddress\",\"r-9\",\"[2001:db8::5]:443\",\"12/31/2024 11:59:59 PM\",\"atRisk\"\n"
	      "\"lee@x.com\",\"low\",\"unlikelyTravel\",\"r-10\",\"\",\"1/1/2025 12:00:00 AM\",\"dismissed\"\n");
	assert_int_equal(c.t.events, 2);
	assert_string_equal(c.format, "risk-detection-csv");
	first(c.st, "kind=risk", &r);
	assert_int_equal(r.ts, 1735689599000LL);
	eq(r.user, "lee@x.com");
	eq(r.ip, "2001:db8::5");
	eq(r.op, "anonymizedIPAddress");
	eq(r.detail, "anonymizedIPAddress, risk level high, atRisk");
	query_row_clear(&r);
	unload(&c);

	load1(&c, "trace.csv",
	      "\"Received\",\"SenderAddress\",\"RecipientAddress\",\"Subject\",\"Status\",\"ToIP\",\"FromIP\",\"Size\",\"MessageId\",\"MessageTraceId\"\n"
	      "\"2024-06-01T09:30:00.1234\",\"Out@evil.example\",\"Cfo@x.com\",\"Wire now\",\"Delivered\",\"\",\"203.0.113.66\",\"1200\","
	      "\"<q@evil.example>\",\"t-1\"\n");
	assert_int_equal(c.t.events, 1);
	assert_string_equal(c.format, "message-trace-csv");
	first(c.st, "kind=message_trace", &r);
	assert_int_equal(r.ts, 1717234200123LL);
	eq(r.detail, "out@evil.example -> cfo@x.com: Wire now");
	eq(r.record_id, "t-1/cfo@x.com");
	query_row_clear(&r);
	unload(&c);
}

/* Search-UnifiedAuditLog with AuditData expanded into columns: the record
 * is rebuilt from them (Parameters[n].Name / Value, a dotted path), the
 * paging columns left out. */
static void test_csv_expanded_auditdata(void **state)
{
	(void)state;
	struct fcase c;
	load1(&c, "expanded.csv",
	      "Operation,Id,Parameters[1].Value,Parameters[0].Name,Parameters[0].Value,Parameters[1].Name,CreationTime,"
	      "UserId,ClientIP,AppAccessContext.AADSessionId,ResultIndex,ResultCount,RecordType\n"
	      "New-InboxRule,rule-1,True,ForwardTo,evil@example.com,StopProcessingRules,2024-01-05T03:04:05,"
	      "Mal@X.com,203.0.113.8:5555,sess-9,1,1,ExchangeAdmin\n");
	assert_int_equal(c.t.events, 1);
	assert_int_equal(c.t.rejects, 0);
	assert_string_equal(c.format, "psh-csv-expanded");
	struct query_row r;
	first(c.st, "json.Parameters.ForwardTo~evil", &r);
	eq(r.op, "New-InboxRule");
	eq(r.user, "mal@x.com");
	eq(r.ip, "203.0.113.8");
	eq(r.session, "sess-9");
	assert_int_equal(r.kind, KIND_UAL);
	query_row_clear(&r);
	char *raw = store_raw(c.st, 1, NULL);
	assert_non_null(raw);
	/* elements in index order, whatever the columns' order */
	assert_non_null(strstr(raw, "\"Parameters\":[{\"Name\":\"ForwardTo\",\"Value\":\"evil@example.com\"},"
				    "{\"Value\":\"True\",\"Name\":\"StopProcessingRules\"}]"));
	assert_null(strstr(raw, "ResultIndex"));
	free(raw);
	unload(&c);
}

/* A wide expanded header: 4,000 elements whose columns come in a
 * scrambled order, each a name and a value, come out as one array in
 * index order (the tree is found by a hash, not by walking siblings: a
 * header of 64,000 columns took 12.6 s of CPU when it walked them). */
static void test_csv_expanded_wide(void **state)
{
	(void)state;
	enum { N = 4000 };
	struct util_buf h = { 0 }, row = { 0 };
	util_buf_puts(&h, "Operation,Id,CreationTime,UserId,RecordType");
	util_buf_puts(&row, "Set-Mailbox,wide-1,2024-01-05T03:04:05,a@x.com,ExchangeAdmin");
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < N; i++) {
			unsigned k = (unsigned)((i * 2654435761ull + 12345u) %
						N); /* a permutation: N, factor coprime */
			util_buf_printf(&h, ",Parameters[%u].%s", k, pass ? "Value" : "Name");
			util_buf_printf(&row, ",%c%u", pass ? 'v' : 'n', k);
		}
	util_buf_puts(&h, "\n");
	util_buf_puts(&row, "\n");
	util_buf_puts(&h, row.p);
	struct fcase c;
	load1(&c, "wide.csv", h.p);
	assert_int_equal(c.t.events, 1);
	assert_int_equal(c.t.rejects, 0);
	char *raw = store_raw(c.st, 1, NULL);
	assert_non_null(raw);
	struct util_buf want = { 0 };
	util_buf_puts(&want, "\"Parameters\":[");
	for (unsigned k = 0; k < N; k++)
		util_buf_printf(&want, "%s{\"Name\":\"n%u\",\"Value\":\"v%u\"}", k ? "," : "", k, k);
	util_buf_puts(&want, "]");
	assert_non_null(strstr(raw, want.p));
	free(raw);
	free(want.p);
	free(h.p);
	free(row.p);
	unload(&c);
}

/* An unknown file is refused whole: one line, every row counted. */
static void test_unknown_files(void **state)
{
	(void)state;
	struct fcase c;
	load1(&c, "inventory.csv", "host,owner\na,b\nc,d\ne,f\n");
	assert_int_equal(c.t.events, 0);
	assert_int_equal(c.t.rejects, 3);
	assert_non_null(strstr(c.status, "not a recognised audit export header: host,owner (the file's 3 rows "
					 "were refused)"));
	unload(&c);
	load1(&c, "things.jsonl", "{'a':1}\n{'b':2}\n");
	assert_int_equal(c.t.rejects, 2);
	assert_non_null(strstr(c.status, "not a recognised log: none of its 2 records"));
	unload(&c);
}

/* A PowerShell export that says it holds more than it does, and one that
 * PowerShell's depth limit cut, are both said. */
static void test_export_warnings(void **state)
{
	(void)state;
	struct fcase c;
	load1(&c, "psh.csv",
	      "\"RecordType\",\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\",\"ResultIndex\",\"ResultCount\",\"Identity\"\n"
	      "\"ExchangeAdmin\",\"1/2/2024 3:04:05 AM\",\"a@x.com\",\"Set-Mailbox\",\"{''Id'':''p1'',''CreationTime'':''2024-01-02T03:04:05'',''Operation'':''Set-Mailbox''}\",\"1\",\"7\",\"p1\"\n"
	      "\"ExchangeAdmin\",\"1/2/2024 3:04:06 AM\",\"a@x.com\",\"Set-Mailbox\",\"{''Id'':''p3'',''CreationTime'':''2024-01-02T03:04:06'',''Operation'':''Set-Mailbox''}\",\"3\",\"7\",\"p3\"\n");
	assert_int_equal(c.t.events, 2);
	assert_non_null(strstr(c.warning, "ResultCount says the search had 7 results but the file holds 2 of them: "
					  "results 2, 4-7 are missing"));
	unload(&c);

	load1(&c, "cut.jsonl",
	      "{'CreationTime':'2024-01-02T03:04:05','Id':'m1','Operation':'MailItemsAccessed','MailboxOwnerUPN':'o@x.com',"
	      "'OperationProperties':['@{Name=MailAccessType; Value=Sync}'],'Folders':['@{Path=\\\\Inbox; FolderItems=System.Object[]}']}\n");
	assert_int_equal(c.t.events, 1);
	assert_non_null(strstr(c.warning, "1 records were cut by PowerShell's ConvertTo-Json depth limit"));
	assert_non_null(strstr(c.warning, "1 MailItemsAccessed records lost the internet message ids"));
	struct query_row r;
	first(c.st, "op=MailItemsAccessed", &r);
	eq(r.access, "Sync");
	eq(r.mailbox, "o@x.com");
	query_row_clear(&r);
	unload(&c);
}

/* "Who sent this message the attacker read, and when": the internet
 * message id a MailItemsAccessed exposed finds its message trace row. */
static void test_trace_joins_messages(void **state)
{
	(void)state;
	struct fcase c;
	const char *files[] = {
		"mia.jsonl",
		"{'CreationTime':'2024-06-02T10:00:00','Id':'mia-9','Operation':'MailItemsAccessed','MailboxOwnerUPN':'cfo@x.com',"
		"'OperationProperties':[{'Name':'MailAccessType','Value':'Bind'}],"
		"'Folders':[{'Path':'\\\\Inbox','FolderItems':[{'InternetMessageId':'<wire@evil.example>'}]}]}\n",
		"trace.jsonl",
		"{'MessageId':'<wire@evil.example>','Received':'/Date(1717234200000)/','SenderAddress':'Out@evil.example',"
		"'RecipientAddress':'cfo@x.com','Subject':'Wire now','Status':'Delivered','MessageTraceId':'t9'}\n"
		"{'MessageId':'<other@x>','Received':'2024-06-01T09:31:00','SenderAddress':'a@x.com',"
		"'RecipientAddress':'cfo@x.com','Subject':'Lunch','Status':'Delivered','MessageTraceId':'t8'}\n",
		NULL,
	};
	load_files(&c, files);
	assert_int_equal(c.t.events, 3);
	assert_int_equal(count(c.st, "kind=message_trace json.MessageId=\"<wire@evil.example>\""), 1);
	struct query_row r;
	first(c.st, "kind=message_trace json.MessageId=\"<wire@evil.example>\"", &r);
	eq(r.user, "out@evil.example");
	assert_int_equal(r.ts, 1717234200000LL);
	query_row_clear(&r);
	unload(&c);
}

static int cancel_at_once(void *ctx, double done)
{
	(void)done;
	int *calls = ctx;
	return ++*calls >= 1;
}

/* The one progress struct: a load reports to it and stops when it says
 * so, failing with PROGRESS_CANCELLED. */
static void test_progress_cancels(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	if (!dir) {
		fail_msg("no temporary directory");
		return;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/p.case", dir);
	char *body = q("{'Id':'a','CreationTime':'2024-05-01T10:00:00','Operation':'A'}\n");
	char *f = write_file(dir, "a.jsonl", body, strlen(body));
	struct store *st = NULL;
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &st, &cause), 0);
	int calls = 0;
	struct progress p = { cancel_at_once, &calls };
	struct ingest_opts o = { .prog = &p };
	struct ingest_totals t;
	const char *paths[] = { f };
	assert_int_equal(ingest_paths(st, paths, 1, &o, &t, &cause), -1);
	assert_string_equal(cause, PROGRESS_CANCELLED);
	assert_true(calls >= 1);
	free(cause);
	store_close(st);
	free(f);
	free(body);
	tmpdir_remove(dir);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* The real exports of ../shared/realdata: each loads whole, with its
 * README's record count, no reject, and the fields a responder pivots on. */

static struct fcase *load_real(const char *name)
{
	const char *rd = realdata_dir();
	if (!rd) {
		print_message("skipped: ../shared/realdata is absent\n");
		skip();
	}
	struct fcase *c = calloc(1, sizeof *c);
	if (!c || !(c->dir = tmpdir_new()))
		fail_msg("no temporary directory");
	char path[4096], real[4096];
	snprintf(path, sizeof path, "%s/r.case", c->dir);
	snprintf(real, sizeof real, "%s/%s", rd, name);
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &c->st, &cause), 0);
	const char *paths[] = { real };
	struct ingest_opts o = { 0 };
	assert_int_equal(ingest_paths(c->st, paths, 1, &o, &c->t, &cause), 0);
	store_each_source(c->st, grab, c, NULL);
	return c;
}

static void unload_real(struct fcase *c)
{
	unload(c);
	free(c);
}

static void test_realdata_counts(void **state)
{
	(void)state;
	static const struct {
		const char *file, *format, *kind;
		uint64_t records, events;
	} files[] = {
		{ "azure-diagnostic-signinlogs.jsonl", "azure-diagnostic", "signin", 5, 5 },
		{ "azure-diagnostic-records-auditlogs.json", "azure-diagnostic", "directory_audit", 2, 2 },
		{ "loganalytics-api-response.json", "loganalytics-api", "azure_activity", 2, 2 },
		{ "pipeline-capture-graph-signins.json", "pipeline-capture", "signin", 2, 2 },
		{ "pipeline-capture-messagetrace.json", "pipeline-capture", "message_trace", 50, 50 },
		{ "messagetrace-rws.jsonl", "message-trace", "message_trace", 1, 1 },
		{ "defender-advanced-hunting-rows.jsonl", "xdr-hunting", "xdr", 9, 9 },
		{ "extractor-riskydetections.csv", "risk-detection-csv", "risk", 58, 58 },
		{ "sual-flattened-auditdata.csv", "psh-csv-expanded", "ual", 3, 3 },
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		struct fcase *c = load_real(files[i].file);
		if (c->t.records != files[i].records || c->t.events != files[i].events || c->t.rejects != 0)
			fail_msg("%s: %llu records, %llu events, %llu rejects; expected %llu, %llu, 0",
				 files[i].file, (unsigned long long)c->t.records,
				 (unsigned long long)c->t.events, (unsigned long long)c->t.rejects,
				 (unsigned long long)files[i].records, (unsigned long long)files[i].events);
		if (strcmp(c->format, files[i].format) != 0)
			fail_msg("%s: format %s, expected %s", files[i].file, c->format, files[i].format);
		char f[64];
		snprintf(f, sizeof f, "kind=%s", files[i].kind);
		if (count(c->st, f) < 1)
			fail_msg("%s: no event of kind %s", files[i].file, files[i].kind);
		unload_real(c);
	}
}

static void test_realdata_fields(void **state)
{
	(void)state;
	struct query_row r;
	struct fcase *c = load_real("azure-diagnostic-signinlogs.jsonl");
	first(c->st, "op=Sign-in", &r);
	/* createdDateTime 2019-10-18T04:45:48.0729893-05:00 */
	assert_int_equal(r.ts, 1571391948072LL);
	eq(r.user, "test@elastic.co");
	eq(r.app, "8a4de8b5-095c-47d0-a96f-a75130c61d53");
	eq(r.ip, "81.2.69.144");
	eq(r.result, "Failure (50140: This error occurred due to 'Keep me signed in' interrupt when the user was "
		     "signing-in.)");
	assert_int_equal(r.kind, KIND_SIGNIN);
	query_row_clear(&r);
	assert_int_equal(count(c->st, "op=\"Managed identity sign-in\""), 1);
	unload_real(c);

	c = load_real("pipeline-capture-graph-signins.json");
	/* both ids are the all-zero GUID: two events all the same */
	assert_int_equal(count(c->st, "user=mscore@afos.io"), 1);
	assert_int_equal(count(c->st, "user=rknight@company.io"), 1);
	first(c->st, "user=rknight@company.io", &r);
	eq(r.ip, "70.1.1.10");
	eq(r.op, "Sign-in");
	assert_int_equal(r.ts, 1755272605000LL);
	query_row_clear(&r);
	unload_real(c);

	c = load_real("defender-advanced-hunting-rows.jsonl");
	first(c->st, "op=MailItemsAccessed", &r);
	assert_int_equal(r.kind, KIND_UAL);
	eq(r.mailbox, "pgustavo@simulandlabs.com");
	eq(r.access, "Bind");
	eq(r.app, "00000003-0000-0000-c000-000000000000");
	eq(r.client_app, "5a95e683-08ad-424e-a441-1d1aec52c02c");
	eq(r.ip, "1.2.3.4");
	query_row_clear(&r);
	assert_non_null(strstr(c->warning, "lost the internet message ids"));
	first(c->st, "op=\"Directory Services replication\"", &r);
	eq(r.user, "pgustavo@simulandlabs.com");
	eq(r.ip, "192.168.2.5");
	assert_int_equal(r.kind, KIND_XDR);
	query_row_clear(&r);
	unload_real(c);

	c = load_real("loganalytics-api-response.json");
	first(c->st, "kind=azure_activity result=Succeeded", &r);
	eq(r.op, "Microsoft.Authorization/roleAssignments/write");
	eq(r.user, "wazuh.user@wazuh.com");
	eq(r.ip, NULL); /* "XX.XX.XXX.XXX" is an anonymised address */
	assert_non_null(r.detail);
	assert_non_null(strstr(r.detail, "Create role assignment: /subscriptions/"));
	query_row_clear(&r);
	unload_real(c);

	c = load_real("messagetrace-rws.jsonl");
	first(c->st, "kind=message_trace", &r);
	assert_int_equal(r.ts, 1662401413490LL); /* Received without a zone: UTC */
	eq(r.user, "azure-noreply@microsoft.com");
	eq(r.mailbox, "linus@wildsecurity.onmicrosoft.com");
	eq(r.detail, "azure-noreply@microsoft.com -> linus@wildsecurity.onmicrosoft.com: "
		     "PIM: A privileged directory role was assigned outside of PIM");
	query_row_clear(&r);
	unload_real(c);

	c = load_real("extractor-riskydetections.csv");
	first(c->st, "op=unlikelyTravel", &r);
	eq(r.ip, "172.205.146.219");
	assert_int_equal(r.kind, KIND_RISK);
	query_row_clear(&r);
	unload_real(c);

	c = load_real("sual-flattened-auditdata.csv");
	first(c->st, "op=disable-Mailbox", &r);
	eq(r.ip, "2603:10b6:8::12");
	eq(r.workload, "Exchange");
	assert_int_equal(r.ts, 1741817986000LL); /* 3/12/2025 10:19:46 PM */
	query_row_clear(&r);
	unload_real(c);

	c = load_real("search-unifiedauditlog-export.csv");
	assert_non_null(strstr(c->warning, "results 501-1121 are missing"));
	unload_real(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_and_filter),       cmocka_unit_test(test_placeholder_ids),
		cmocka_unit_test(test_azure_diagnostic_lines), cmocka_unit_test(test_records_and_tables),
		cmocka_unit_test(test_pipeline_capture),       cmocka_unit_test(test_xdr_rows),
		cmocka_unit_test(test_risk_alert_activity),    cmocka_unit_test(test_csv_logs),
		cmocka_unit_test(test_csv_expanded_auditdata), cmocka_unit_test(test_csv_expanded_wide),
		cmocka_unit_test(test_unknown_files),          cmocka_unit_test(test_export_warnings),
		cmocka_unit_test(test_trace_joins_messages),   cmocka_unit_test(test_progress_cancels),
		cmocka_unit_test(test_realdata_counts),        cmocka_unit_test(test_realdata_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
