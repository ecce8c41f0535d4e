/*
 * test_normalize.c: record classification and the field mapping of
 * core/README.md ("Formats") for the unified audit log and its wrappers,
 * one record shape at a time, asserting on every value the event
 * carries; synthesized record ids. The other logs: test_normalize_logs.c.
 *
 * Records are written with ' for " to stay readable: j("{'a':'b'}").
 */
#include <stddef.h>

#include "normalize_util.h"

/* ------------------------------------------------------------------ */

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(classify(j("{'CreationTime':'2023-09-26T01:56:15','Id':'x','Operation':'Send'}")),
			 REC_UAL);
	assert_int_equal(classify(j("{'Operation':'Send','CreationTime':'2023-09-26T01:56:15'}")), REC_UAL);
	assert_int_equal(classify(j("{'Id':'x','CreationTime':'2023-09-26T01:56:15'}")), REC_UAL);
	assert_int_equal(classify(j("{'RecordId':'r','CreationDate':'9/26/2023 1:56:15 AM',"
				    "'AuditData':{'CreationTime':'2023-09-26T01:56:15','Id':'x'}}")),
			 REC_WRAPPED);
	assert_int_equal(classify(j("{'RecordId':'r','AuditData':'{\\'CreationTime\\':\\'2023\\'}'}")),
			 REC_WRAPPED);
	assert_int_equal(classify(j("{'TimeGenerated':'2021-08-02T13:32:07Z','OfficeId':'o','Operation':'x'}")),
			 REC_SENTINEL);
	assert_int_equal(classify(j("{'TimeGenerated':'2021-08-02T13:32:07Z','Operation':'x'}")), REC_SENTINEL);
	assert_int_equal(classify(j("{'OfficeWorkload':'Exchange'}")), REC_SENTINEL);
	assert_int_equal(classify(j("{'id':'g','createdDateTime':'2024-05-01T10:00:00Z','operation':'x',"
				    "'auditData':{}}")),
			 REC_GRAPH_AUDIT);
	assert_int_equal(classify(j("{'operation':'x','auditData':{}}")), REC_GRAPH_AUDIT);
	assert_int_equal(classify(j("{'id':'s','createdDateTime':'2025-05-02T00:32:36Z','appId':'a',"
				    "'ipAddress':'1.2.3.4','status':{'errorCode':0}}")),
			 REC_SIGNIN);
	assert_int_equal(classify(j("{'createdDateTime':'2025-05-02T00:32:36Z','status':{}}")), REC_SIGNIN);
	assert_int_equal(classify(j("{'id':'d','activityDateTime':'2024-01-01T00:00:00Z',"
				    "'activityDisplayName':'Add user','initiatedBy':{}}")),
			 REC_DIRAUDIT);
	/* unknown shapes */
	assert_int_equal(classify(j("{}")), REC_UNKNOWN);
	assert_int_equal(classify(j("{'foo':1,'bar':[1]}")), REC_UNKNOWN);
	assert_int_equal(classify(j("{'CreationTime':'2023-09-26T01:56:15'}")), REC_UNKNOWN);
	assert_int_equal(classify(j("{'createdDateTime':'2025-05-02T00:32:36Z'}")), REC_UNKNOWN);
	assert_int_equal(classify(j("{'activityDateTime':'2025-05-02T00:32:36Z'}")), REC_UNKNOWN);
	assert_int_equal(classify(j("{'@odata.context':'x','value':[{'id':'1'}]}")), REC_UNKNOWN);
	assert_int_equal(classify(j("[{'CreationTime':'2023-09-26T01:56:15','Id':'x'}]")), REC_UNKNOWN);
	assert_int_equal(classify(j("'CreationTime'")), REC_UNKNOWN);
	/* member names are case-sensitive, and nested ones do not count */
	assert_int_equal(classify(j("{'creationtime':'2023-09-26T01:56:15','id':'x'}")), REC_UNKNOWN);
	assert_int_equal(classify(j("{'x':{'CreationTime':'2023-09-26T01:56:15','Id':'x'}}")), REC_UNKNOWN);

	assert_string_equal(normalize_kind_name(REC_UAL), "ual-json");
	assert_string_equal(normalize_kind_name(REC_WRAPPED), "ual-json-wrapped");
	assert_string_equal(normalize_kind_name(REC_SENTINEL), "sentinel-officeactivity");
	assert_string_equal(normalize_kind_name(REC_GRAPH_AUDIT), "graph-audit");
	assert_string_equal(normalize_kind_name(REC_SIGNIN), "entra-signin-json");
	assert_string_equal(normalize_kind_name(REC_DIRAUDIT), "entra-audit-json");
	assert_string_equal(normalize_kind_name(REC_UNKNOWN), "unknown");
}

static const char *const MIA =
	"{'CreationTime':'2024-03-01T10:00:00','Id':'b1e5c7a2-0000-4000-8000-000000000001',"
	"'Operation':'MailItemsAccessed','OrganizationId':'org','RecordType':50,"
	"'ResultStatus':'Succeeded','UserKey':'100320015858B802','UserType':0,'Version':1,"
	"'Workload':'Exchange','ClientIPAddress':'[2603:10B6:A03::12]:18835',"
	"'UserId':'Bob@Contoso.COM','AppId':'00000003-0000-0000-C000-000000000000',"
	"'ClientAppId':'5A95E683-08AD-424E-A441-1D1AEC52C02C','ClientInfoString':'Client=REST;;',"
	"'ExternalAccess':false,'LogonType':0,'MailboxGuid':'g','MailboxOwnerUPN':'Bob@Contoso.com',"
	"'OperationProperties':[{'Name':'MailAccessType','Value':'Bind'},{'Name':'IsThrottled','Value':'False'}],"
	"'SessionId':'sess-1',"
	"'Folders':[{'FolderItems':[{'InternetMessageId':'<a@x>','SizeInBytes':1234},"
	"{'InternetMessageId':'<b@x>','SizeInBytes':'99'}],'Id':'f1','Path':'\\\\Inbox'},"
	"{'FolderItems':[{'InternetMessageId':'\\u003cc@x\\u003e'}],'Path':'\\\\Sent Items'}],"
	"'OperationCount':3,"
	"'AppAccessContext':{'AADSessionId':'aad-sess','UniqueTokenId':'tok-1','IssuedAtTime':'2024-03-01T09:00:00'}}";

static void test_ual_mailitemsaccessed(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	const char *text = j(MIA);
	assert_int_equal(classify(text), REC_UAL);
	norm_ok(&nm, text, NULL, &ev);
	assert_int_equal(ev.ts, ts("2024-03-01T10:00:00Z"));
	assert_sv(ev.record_id, "b1e5c7a2-0000-4000-8000-000000000001");
	assert_sv(ev.op, "MailItemsAccessed");
	assert_sv(ev.rtype, "ExchangeItemAggregated");
	assert_sv(ev.workload, "Exchange");
	assert_sv(ev.user, "bob@contoso.com");
	assert_sv(ev.app, "00000003-0000-0000-c000-000000000000");
	assert_sv(ev.client_app, "5a95e683-08ad-424e-a441-1d1aec52c02c");
	assert_sv(ev.ip, "2603:10b6:a03::12");
	assert_sv(ev.result, "Succeeded");
	assert_sv(ev.session, "aad-sess"); /* AADSessionId (Entra's session) over SessionId */
	assert_sv(ev.token, "tok-1");
	assert_sv(ev.mailbox, "bob@contoso.com");
	assert_sv(ev.access, "Bind");
	assert_sv(ev.client_info, "Client=REST;;");
	assert_int_equal(ev.op_count, 3);
	assert_int_equal(ev.flags, 0);
	/* the record is the whole object, exactly */
	assert_ptr_equal(ev.raw.p, text);
	assert_int_equal(ev.raw.n, strlen(text));
	/* one row per message, the folder with each */
	assert_int_equal(ev.nmsgs, 3);
	assert_non_null(ev.msgs);
	assert_sv(ev.msgs[0].folder, "\\Inbox");
	assert_sv(ev.msgs[0].msgid, "<a@x>");
	assert_int_equal(ev.msgs[0].size, 1234);
	assert_sv(ev.msgs[1].folder, "\\Inbox");
	assert_sv(ev.msgs[1].msgid, "<b@x>");
	assert_int_equal(ev.msgs[1].size, 99);
	assert_sv(ev.msgs[2].folder, "\\Sent Items");
	assert_sv(ev.msgs[2].msgid, "<c@x>");
	assert_int_equal(ev.msgs[2].size, -1);

	/* the next record starts clean: no messages, no flags left over */
	norm_ok(&nm, j("{'CreationTime':'2024-03-01T10:00:00','Id':'2','Operation':'Send'}"), NULL, &ev);
	assert_int_equal(ev.nmsgs, 0);
	assert_int_equal(ev.op_count, -1);
	assert_sv(ev.access, NULL);
	assert_sv(ev.session, NULL);
	assert_sv(ev.token, NULL);
	assert_sv(ev.ip, NULL);
	assert_sv(ev.rtype, NULL);
	norm_free(&nm);
}

static void test_sync_folders(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	norm_ok(&nm,
		j("{'CreationTime':'2024-03-01T10:00:00','Id':'s','Operation':'MailItemsAccessed','RecordType':50,"
		  "'OperationProperties':[{'Name':'MailAccessType','Value':'Sync'}],"
		  "'Folders':[{'Id':'f','Path':'\\\\Inbox'},{'FolderItems':[],'Path':'\\\\Archive'},"
		  "{'FolderItems':[{'SizeInBytes':7}],'Path':'\\\\Junk'}]}"),
		NULL, &ev);
	assert_sv(ev.access, "Sync");
	assert_int_equal(ev.nmsgs, 3);
	/* a folder without items: one row, message absent */
	assert_sv(ev.msgs[0].folder, "\\Inbox");
	assert_sv(ev.msgs[0].msgid, NULL);
	assert_int_equal(ev.msgs[0].size, -1);
	assert_sv(ev.msgs[1].folder, "\\Archive");
	assert_sv(ev.msgs[1].msgid, NULL);
	/* an item with a size but no id still counts */
	assert_sv(ev.msgs[2].folder, "\\Junk");
	assert_sv(ev.msgs[2].msgid, NULL);
	assert_int_equal(ev.msgs[2].size, 7);

	/* Folders that is not an array, or holds no objects: no rows */
	norm_ok(&nm, j("{'CreationTime':'2024-03-01T10:00:00','Id':'s','Folders':'not json'}"), NULL, &ev);
	assert_int_equal(ev.nmsgs, 0);
	norm_ok(&nm, j("{'CreationTime':'2024-03-01T10:00:00','Id':'s','Folders':[1,'x',null]}"), NULL, &ev);
	assert_int_equal(ev.nmsgs, 0);
	norm_free(&nm);
}

static void test_operation_properties(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	static const struct {
		const char *value;
		unsigned flags;
	} thr[] = {
		{ "'True'", EVF_THROTTLED },
		{ "'true'", EVF_THROTTLED },
		{ "true", EVF_THROTTLED },
		{ "'False'", 0 },
		{ "false", 0 },
		{ "'1'", 0 },
		{ "null", 0 },
		{ "'Truest'", 0 },
	};
	for (size_t i = 0; i < sizeof thr / sizeof thr[0]; i++) {
		char buf[512];
		snprintf(buf, sizeof buf,
			 "{'CreationTime':'2024-03-01T10:00:00','Id':'t','Operation':'MailItemsAccessed',"
			 "'OperationProperties':[{'Name':'IsThrottled','Value':%s},"
			 "{'Name':'MailAccessType','Value':'Bind'}]}",
			 thr[i].value);
		norm_ok(&nm, j(buf), NULL, &ev);
		if (ev.flags != thr[i].flags)
			fail_msg("IsThrottled=%s: flags %u, expected %u", thr[i].value, ev.flags, thr[i].flags);
		assert_sv(ev.access, "Bind");
	}
	/* Value before Name, other members, a non-object element */
	norm_ok(&nm,
		j("{'CreationTime':'2024-03-01T10:00:00','Id':'t','OperationProperties':"
		  "[7,{'Value':'Sync','Other':1,'Name':'MailAccessType'}]}"),
		NULL, &ev);
	assert_sv(ev.access, "Sync");
	/* OperationCount as a string */
	norm_ok(&nm, j("{'CreationTime':'2024-03-01T10:00:00','Id':'t','OperationCount':'12'}"), NULL, &ev);
	assert_int_equal(ev.op_count, 12);
	norm_free(&nm);
}

static void test_app_access_context(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	norm_ok(&nm,
		j("{'CreationTime':'2024-03-01T10:00:00','Id':'a','Operation':'MailItemsAccessed',"
		  "'AppAccessContext':{'ClientAppId':'ABC-Client','AADSessionId':'005f1ea6-aad',"
		  "'UniqueTokenId':'XyZ_tok-Q'}}"),
		NULL, &ev);
	assert_sv(ev.session, "005f1ea6-aad");
	assert_sv(ev.token, "XyZ_tok-Q"); /* a token id keeps its case */
	assert_sv(ev.client_app, "abc-client");
	/* an empty context gives nothing */
	norm_ok(&nm, j("{'CreationTime':'2024-03-01T10:00:00','Id':'a','AppAccessContext':{}}"), NULL, &ev);
	assert_sv(ev.session, NULL);
	assert_sv(ev.token, NULL);
	norm_free(&nm);
}

static void test_client_ip_forms(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} ips[] = {
		{ "1.2.3.4:19823", "1.2.3.4" },
		{ "1.2.3.4", "1.2.3.4" },
		{ "[2603:10b6::12]:18835", "2603:10b6::12" },
		{ "[2603:10b6::12]", "2603:10b6::12" },
		{ "::ffff:1.2.3.4", "1.2.3.4" },
		{ "::FFFF:10.20.30.40", "10.20.30.40" },
		{ "[::ffff:1.2.3.4]:443", "1.2.3.4" },
		{ "::ffff:1.2.3.4:19823", "1.2.3.4" },
		{ "::ffff:1.2.3.4:", "1.2.3.4" },
		{ "2603:10B6:A03:1::ABCD", "2603:10b6:a03:1::abcd" },
		{ "2603:10b6::12", "2603:10b6::12" },
		/* one form per IPv6 address (RFC 5952), whatever the log wrote */
		{ "2603:10B6:0:0::12", "2603:10b6::12" },
		{ "2603:10B6::0012", "2603:10b6::12" },
		{ "[2603:10b6:0:0:0:0:0:12]:18835", "2603:10b6::12" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "2001:DB8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
		{ "0:0:0:0:0:ffff:0102:0304", "1.2.3.4" },
		{ "fe80:0::1%ETH0", "fe80::1%eth0" },
		{ "2603:10b6:::12", NULL },
		{ "::1", "::1" },
		{ "::ffff:abcd", "::ffff:abcd" },
		{ " 10.0.0.1 ", "10.0.0.1" },
		{ "", NULL },
		{ "   ", NULL },
		{ "[]", NULL },
	};
	struct norm nm;
	norm_init(&nm);
	norm_reset(&nm, 1024);
	for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
		struct sv r = normalize_ip(&nm, (struct sv){ ips[i].in, strlen(ips[i].in) });
		if (!ips[i].out) {
			if (r.p)
				fail_msg("\"%s\" -> \"%.*s\", expected absent", ips[i].in, (int)r.n, r.p);
			continue;
		}
		if (!r.p || r.n != strlen(ips[i].out) || memcmp(r.p, ips[i].out, r.n) != 0)
			fail_msg("\"%s\" -> \"%.*s\", expected \"%s\"", ips[i].in, r.p ? (int)r.n : 6,
				 r.p ? r.p : "absent", ips[i].out);
	}
	struct sv none = normalize_ip(&nm, (struct sv){ NULL, 0 });
	assert_null(none.p);

	/* through records: each field name, first present wins */
	struct event ev;
	norm_ok(&nm,
		j("{'CreationTime':'2024-03-01T10:00:00','Id':'i','ClientIP':'1.2.3.4:19823',"
		  "'ClientIPAddress':'9.9.9.9'}"),
		NULL, &ev);
	assert_sv(ev.ip, "1.2.3.4");
	norm_ok(&nm,
		j("{'CreationTime':'2024-03-01T10:00:00','Id':'i','ClientIP':'',"
		  "'ClientIPAddress':'::ffff:5.6.7.8'}"),
		NULL, &ev);
	assert_sv(ev.ip, "5.6.7.8");
	norm_ok(&nm, j("{'CreationTime':'2024-03-01T10:00:00','Id':'i','ActorIpAddress':'[2603:10B6::1]:5'}"),
		NULL, &ev);
	assert_sv(ev.ip, "2603:10b6::1");
	norm_free(&nm);
}

static void test_user_and_record_type(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	static const struct {
		const char *rt, *name;
	} rts[] = {
		{ "1", "ExchangeAdmin" },
		{ "2", "ExchangeItem" },
		{ "8", "AzureActiveDirectory" },
		{ "15", "AzureActiveDirectoryStsLogon" },
		{ "50", "ExchangeItemAggregated" },
		{ "'50'", "ExchangeItemAggregated" },
		{ "'ExchangeAdmin'", "ExchangeAdmin" },
		{ "9999", "9999" },
		{ "'Custom'", "Custom" },
	};
	for (size_t i = 0; i < sizeof rts / sizeof rts[0]; i++) {
		char buf[256];
		snprintf(buf, sizeof buf, "{'CreationTime':'2024-03-01T10:00:00','Id':'r','RecordType':%s}",
			 rts[i].rt);
		norm_ok(&nm, j(buf), NULL, &ev);
		assert_sv(ev.rtype, rts[i].name);
	}
	assert_string_equal(normalize_rtype_name(50), "ExchangeItemAggregated");
	assert_string_equal(normalize_rtype_name(1), "ExchangeAdmin");
	assert_null(normalize_rtype_name(0));
	assert_null(normalize_rtype_name(-1));
	assert_null(normalize_rtype_name(5));

	/* user lower-cased, escapes undone; the operation keeps its case */
	norm_ok(&nm,
		j("{'CreationTime':'2024-03-01T10:00:00','Id':'u','UserId':'Bob\\u0040CONTOSO.com',"
		  "'Operation':'set-InboxRule','ResultStatus':'True'}"),
		NULL, &ev);
	assert_sv(ev.user, "bob@contoso.com");
	assert_sv(ev.op, "set-InboxRule");
	assert_sv(ev.result, "True");
	/* the first of duplicated members wins; empty strings are absent */
	norm_ok(&nm,
		j("{'CreationTime':'2024-03-01T10:00:00','Id':'first','Id':'second','UserId':'',"
		  "'AppId':'','ApplicationId':'APP2'}"),
		NULL, &ev);
	assert_sv(ev.record_id, "first");
	assert_sv(ev.user, NULL);
	assert_sv(ev.app, "app2");
	/* a user agent from ExtendedProperties when there is no ClientInfoString */
	norm_ok(&nm,
		j("{'CreationTime':'2024-03-01T10:00:00','Id':'l','Operation':'UserLoggedIn','RecordType':15,"
		  "'ExtendedProperties':[{'Name':'ResultStatusDetail','Value':'Success'},"
		  "{'Name':'UserAgent','Value':'Mozilla/5.0 (X11)'}]}"),
		NULL, &ev);
	assert_sv(ev.client_info, "Mozilla/5.0 (X11)");
	assert_sv(ev.rtype, "AzureActiveDirectoryStsLogon");
	norm_free(&nm);
}

static void test_wrapped(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;

	/* AuditData as an object: its own fields win over the wrapper's */
	const char *t = j("{'RecordId':'w-id','CreationDate':'9/26/2023 1:56:15 AM','RecordType':2,"
			  "'Operation':'WrapOp','UserId':'Wrapper@X.com',"
			  "'AuditData':{'CreationTime':'2023-09-26T01:00:00','Id':'ad-id','Operation':'AdOp',"
			  "'UserId':'AD@X.com'}}");
	assert_int_equal(classify(t), REC_WRAPPED);
	norm_ok(&nm, t, NULL, &ev);
	assert_int_equal(ev.ts, ts("2023-09-26T01:00:00Z"));
	assert_int_equal(ev.flags & EVF_NO_TIME, 0);
	assert_sv(ev.record_id, "ad-id");
	assert_sv(ev.op, "AdOp");
	assert_sv(ev.user, "ad@x.com");
	assert_sv(ev.rtype, "ExchangeItem"); /* AuditData has none: the wrapper's, as a name */
	/* the record is the AuditData */
	const char *ad = strstr(t, "{\"CreationTime\"");
	assert_ptr_equal(ev.raw.p, ad);
	assert_int_equal(ev.raw.n, strlen(ad) - 1);

	/* the wrapper fills what AuditData leaves empty, time too */
	norm_ok(&nm,
		j("{'Identity':'w-ident','CreationDate':'2023-09-26T01:56:15','Operations':'WrapOps',"
		  "'UserIds':'W@X.COM','RecordType':'ExchangeAdmin','AuditData':{'Workload':'Exchange','Id':''}}"),
		NULL, &ev);
	assert_int_equal(ev.ts, ts("2023-09-26T01:56:15Z"));
	assert_int_equal(ev.flags, EVF_NO_TIME);
	assert_sv(ev.record_id, "w-ident");
	assert_sv(ev.op, "WrapOps");
	assert_sv(ev.user, "w@x.com");
	assert_sv(ev.rtype, "ExchangeAdmin");
	assert_sv(ev.workload, "Exchange");

	/* AuditData as a string of JSON */
	t = j("{'RecordId':'w','CreationDate':'2020-01-01T00:00:00','AuditData':"
	      "'{\\'CreationTime\\':\\'2023-09-26T01:56:15\\',\\'Id\\':\\'s-id\\',\\'Operation\\':\\'Op\\',"
	      "\\'ClientIP\\':\\'1.2.3.4:80\\',\\'UserId\\':\\'Str\\\\u00e9@x.com\\'}'}");
	assert_int_equal(classify(t), REC_WRAPPED);
	norm_ok(&nm, t, NULL, &ev);
	assert_int_equal(ev.ts, ts("2023-09-26T01:56:15Z"));
	assert_int_equal(ev.flags, 0);
	assert_sv(ev.record_id, "s-id");
	assert_sv(ev.op, "Op");
	assert_sv(ev.ip, "1.2.3.4");
	assert_sv(ev.user, "str\xc3\xa9@x.com");
	/* raw is the unescaped AuditData text */
	assert_sv(ev.raw, "{\"CreationTime\":\"2023-09-26T01:56:15\",\"Id\":\"s-id\",\"Operation\":\"Op\","
			  "\"ClientIP\":\"1.2.3.4:80\",\"UserId\":\"Str\\u00e9@x.com\"}");

	/* AuditData that is not an object */
	const char *why;
	static const char *const bad[] = {
		"{'RecordId':'w','AuditData':'not json'}", "{'RecordId':'w','AuditData':'{\\'a\\':'}",
		"{'RecordId':'w','AuditData':'[1,2]'}",    "{'RecordId':'w','AuditData':[1]}",
		"{'RecordId':'w','AuditData':''}",         "{'RecordId':'w','AuditData':null}",
		"{'RecordId':'w','AuditData':'{} x'}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (norm(&nm, j(bad[i]), NULL, &ev, &why) == 0)
			fail_msg("accepted %s", bad[i]);
		assert_string_equal(why, "AuditData is not a JSON object");
	}
	/* a wrapper date that cannot be read, when AuditData has no time */
	assert_int_equal(norm(&nm, j("{'CreationDate':'yesterday','AuditData':{'Id':'x'}}"), NULL, &ev, &why),
			 -1);
	assert_string_equal(why, "unreadable date");
	/* no time anywhere */
	assert_int_equal(norm(&nm, j("{'RecordId':'w','AuditData':{'Id':'x'}}"), NULL, &ev, &why), -1);
	assert_string_equal(why, "no event time in the record");
	norm_free(&nm);
}

/* Hints a CSV wrapper passes in: used only where the record is empty. */
static void test_external_hints(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	struct wrapper_hints h = {
		.date = { "9/26/2023 1:56:15 AM", 20 },
		.record_id = { "csv-id", 6 },
		.op = { "CsvOp", 5 },
		.user = { "csv@x.com", 9 },
		.rtype = { "ExchangeItem", 12 },
	};
	/* a full record ignores them */
	const char *t = j("{'CreationTime':'2023-09-26T05:00:00','Id':'rec','Operation':'RecOp',"
			  "'UserId':'rec@x.com','RecordType':1}");
	struct jval v = parse(t);
	norm_reset(&nm, v.n);
	const char *why = NULL;
	assert_int_equal(normalize_json(&nm, REC_UAL, &v, &h, &ev, &why), 0);
	assert_int_equal(ev.ts, ts("2023-09-26T05:00:00Z"));
	assert_int_equal(ev.flags, 0);
	assert_sv(ev.record_id, "rec");
	assert_sv(ev.op, "RecOp");
	assert_sv(ev.user, "rec@x.com");
	assert_sv(ev.rtype, "ExchangeAdmin");

	/* an empty one takes every hint, and says the time is the wrapper's */
	t = j("{'Workload':'Exchange'}");
	v = parse(t);
	norm_reset(&nm, v.n);
	assert_int_equal(normalize_json(&nm, REC_UAL, &v, &h, &ev, &why), 0);
	assert_int_equal(ev.ts, ts("2023-09-26T01:56:15Z"));
	assert_int_equal(ev.flags, EVF_NO_TIME);
	assert_sv(ev.record_id, "csv-id");
	assert_sv(ev.op, "CsvOp");
	assert_sv(ev.user, "csv@x.com");
	assert_sv(ev.rtype, "ExchangeItem");
	assert_sv(ev.workload, "Exchange");

	/* an unreadable hint date is a reason */
	h.date = (struct sv){ "26/26/2023", 10 };
	norm_reset(&nm, v.n);
	assert_int_equal(normalize_json(&nm, REC_UAL, &v, &h, &ev, &why), -1);
	assert_string_equal(why, "unreadable date");

	/* a wrapped record: its own wrapper fields come before the CSV's */
	h.date = (struct sv){ "2023-09-26T01:56:15", 19 };
	t = j("{'RecordId':'json-wrap','AuditData':{'Workload':'Exchange'}}");
	v = parse(t);
	norm_reset(&nm, v.n);
	assert_int_equal(normalize_json(&nm, REC_WRAPPED, &v, &h, &ev, &why), 0);
	assert_sv(ev.record_id, "json-wrap");
	assert_sv(ev.op, "CsvOp");
	assert_int_equal(ev.flags, EVF_NO_TIME);
	norm_free(&nm);
}

static void test_no_time_rejected(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	const char *why = NULL;
	/* a UAL record without any time */
	const char *t = j("{'Id':'x','Operation':'Send'}");
	struct jval v = parse(t);
	norm_reset(&nm, v.n);
	assert_int_equal(normalize_json(&nm, REC_UAL, &v, NULL, &ev, &why), -1);
	assert_string_equal(why, "no event time in the record");
	norm_free(&nm);

	expect_reject(j("{'CreationTime':'soon','Id':'x','Operation':'Send'}"), "unreadable CreationTime");
	expect_reject(j("{'CreationTime':'2023-02-30T00:00:00','Id':'x'}"), "unreadable CreationTime");
	expect_reject(j("{'CreationTime':12,'Id':'x'}"), "unreadable CreationTime");
	expect_reject(j("{'TimeGenerated':'later','OfficeId':'o','Operation':'x'}"),
		      "unreadable TimeGenerated");
	expect_reject(j("{'OfficeId':'o','Operation':'x'}"), "no event time in the record");
	expect_reject(j("{'createdDateTime':'not a date','appId':'a'}"), "unreadable createdDateTime");
	expect_reject(j("{'createdDateTime':'','status':{}}"), "unreadable createdDateTime");
	expect_reject(j("{'activityDateTime':'x','activityDisplayName':'Add user'}"),
		      "unreadable activityDateTime");
	expect_reject(j("{'id':'g','operation':'x','auditData':{}}"), "no event time in the record");
	expect_reject(j("{'foo':'bar'}"), "not an audit record (no recognised time and operation fields)");
}

static void test_sentinel(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	/* the shape of the OTRF OfficeActivity row */
	const char *t =
		j("{'TenantId':'0000','RecordType':'50','TimeGenerated':'2021-08-02T13:32:07Z',"
		  "'Operation':'MailItemsAccessed','OfficeWorkload':'Exchange','ResultStatus':'Succeeded',"
		  "'UserId':'PGustavo@simulandlabs.com','Logon_Type':'Owner',"
		  "'MailboxOwnerUPN':'pgustavo@simulandlabs.com','ClientInfoString':'Client=REST;;',"
		  "'Client_IPAddress':'1.2.3.4',"
		  "'Folders':'[{\\'FolderItems\\':[{\\'InternetMessageId\\':\\'\\\\u003cm1@x\\\\u003e\\'},"
		  "{\\'InternetMessageId\\':\\'\\\\u003cm2@x\\\\u003e\\'}],\\'Id\\':\\'LgAA\\',"
		  "\\'Path\\':\\'\\\\\\\\Inbox\\'}]',"
		  "'OfficeId':'699e0b10-1c53-403e-976f-ce0847a92b44','SourceRecordId':'699e0b10',"
		  "'OperationProperties':'[{\\'Name\\':\\'MailAccessType\\',\\'Value\\':\\'Bind\\'},"
		  "{\\'Name\\':\\'IsThrottled\\',\\'Value\\':\\'True\\'}]',"
		  "'AppId':'00000003-0000-0000-c000-000000000000','ClientAppId':'5a95e683-08ad-424e-a441-1d1aec52c02c',"
		  "'Type':'OfficeActivity'}");
	assert_int_equal(classify(t), REC_SENTINEL);
	norm_ok(&nm, t, NULL, &ev);
	assert_int_equal(ev.ts, ts("2021-08-02T13:32:07Z"));
	assert_sv(ev.record_id, "699e0b10-1c53-403e-976f-ce0847a92b44");
	assert_sv(ev.op, "MailItemsAccessed");
	assert_sv(ev.rtype, "ExchangeItemAggregated");
	assert_sv(ev.workload, "Exchange");
	assert_sv(ev.user, "pgustavo@simulandlabs.com");
	assert_sv(ev.ip, "1.2.3.4");
	assert_sv(ev.app, "00000003-0000-0000-c000-000000000000");
	assert_sv(ev.client_app, "5a95e683-08ad-424e-a441-1d1aec52c02c");
	assert_sv(ev.mailbox, "pgustavo@simulandlabs.com");
	assert_sv(ev.client_info, "Client=REST;;");
	assert_sv(ev.result, "Succeeded");
	assert_sv(ev.access, "Bind");
	assert_int_equal(ev.flags, EVF_THROTTLED);
	assert_int_equal(ev.nmsgs, 2);
	assert_sv(ev.msgs[0].folder, "\\Inbox");
	assert_sv(ev.msgs[0].msgid, "<m1@x>");
	assert_sv(ev.msgs[1].folder, "\\Inbox");
	assert_sv(ev.msgs[1].msgid, "<m2@x>");
	assert_ptr_equal(ev.raw.p, t);
	norm_free(&nm);
}

static void test_synth_id(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	const char *t = j("{'Operation':'X'}");
	norm_reset(&nm, 64);
	memset(&ev, 0, sizeof ev);
	ev.raw = (struct sv){ t, strlen(t) };
	normalize_synth_id(&nm, &ev);
	/* sha256 of {"Operation":"X"}, first 128 bits */
	assert_sv(ev.record_id, "sha256:5641988562862bf7c2b9ec0881180d20");
	/* stable */
	struct event ev2;
	memset(&ev2, 0, sizeof ev2);
	ev2.raw = ev.raw;
	normalize_synth_id(&nm, &ev2);
	assert_int_equal(ev2.record_id.n, 39);
	assert_memory_equal(ev2.record_id.p, ev.record_id.p, 39);
	/* another record, another id */
	const char *u = j("{'Operation':'Y'}");
	memset(&ev2, 0, sizeof ev2);
	ev2.raw = (struct sv){ u, strlen(u) };
	normalize_synth_id(&nm, &ev2);
	assert_sv(ev2.record_id, "sha256:29ba2342a78162ff97d30dd52e1b22fc");
	/* an id the record has is kept; an empty one is replaced */
	ev2.record_id = (struct sv){ "own-id", 6 };
	normalize_synth_id(&nm, &ev2);
	assert_sv(ev2.record_id, "own-id");
	ev2.record_id = (struct sv){ "", 0 };
	normalize_synth_id(&nm, &ev2);
	assert_sv(ev2.record_id, "sha256:29ba2342a78162ff97d30dd52e1b22fc");

	/* through normalize_json: a record without Id gets one */
	norm_ok(&nm, j("{'CreationTime':'2023-09-26T01:56:15','Operation':'NoId'}"), NULL, &ev);
	assert_sv(ev.record_id, NULL);
	normalize_synth_id(&nm, &ev);
	assert_int_equal(ev.record_id.n, 39);
	assert_memory_equal(ev.record_id.p, "sha256:", 7);
	norm_free(&nm);
}

static void test_count_newlines(void **state)
{
	(void)state;
	assert_int_equal(count_newlines("", 0), 0);
	assert_int_equal(count_newlines("abc", 3), 0);
	assert_int_equal(count_newlines("\n", 1), 1);
	assert_int_equal(count_newlines("a\nb\r\nc\n", 7), 3);
	assert_int_equal(count_newlines("a\nb\nc", 2), 1);
}

/* A record as large as the arena allows still has every field. */
static void test_big_escaped_record(void **state)
{
	(void)state;
	size_t n = 200000;
	char *big = malloc(n * 3 + 1024);
	size_t o = (size_t)sprintf(big, "{\"RecordId\":\"w\",\"AuditData\":\"{\\\"CreationTime\\\":"
					"\\\"2023-09-26T01:56:15\\\",\\\"Id\\\":\\\"big\\\",\\\"Pad\\\":\\\"");
	for (size_t i = 0; i < n; i++) {
		memcpy(big + o, "\\\\n", 3); /* \\n in the outer text: \n in AuditData */
		o += 3;
	}
	o += (size_t)sprintf(big + o, "\\\",\\\"UserId\\\":\\\"Last\\\\u0040X.com\\\"}\"}");
	big[o] = '\0';
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	norm_ok(&nm, big, NULL, &ev);
	assert_sv(ev.record_id, "big");
	assert_sv(ev.user, "last@x.com");
	assert_int_equal(ev.ts, ts("2023-09-26T01:56:15Z"));
	norm_free(&nm);
	free(big);
}

/*
 * Member names are matched by length and word compares (normalize_keys.c:
 * key_eq reads two or three overlapping words): a name that differs from
 * a known one in any single byte, or by a byte more or less, is not it.
 */
static void test_member_names_exact(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		size_t field; /* offset of the event field it fills */
		const char *val, *want;
	} names[] = {
		{ "Id", offsetof(struct event, record_id), "r1", "r1" },
		{ "AppId", offsetof(struct event, app), "a1", "a1" },
		{ "UserId", offsetof(struct event, user), "u@x.com", "u@x.com" },
		{ "ClientIP", offsetof(struct event, ip), "1.2.3.4", "1.2.3.4" },
		{ "Workload", offsetof(struct event, workload), "Exchange", "Exchange" },
		{ "ClientAppId", offsetof(struct event, client_app), "c1", "c1" },
		{ "ResultStatus", offsetof(struct event, result), "Succeeded", "Succeeded" },
		{ "MailboxOwnerUPN", offsetof(struct event, mailbox), "m@x.com", "m@x.com" },
		{ "ClientInfoString", offsetof(struct event, client_info), "Client=OWA", "Client=OWA" },
	};
	char name[64], rec[256];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t n = strlen(names[i].name);
		/* variant -1: the name itself; then each byte changed, then
		 * one byte more at the end and one less */
		for (long var = -1; var < (long)n + 2; var++) {
			memcpy(name, names[i].name, n + 1);
			if (var >= 0 && var < (long)n)
				name[var] = name[var] == 'x' ? 'y' : 'x';
			else if (var == (long)n)
				memcpy(name + n, "s", 2);
			else if (var == (long)n + 1)
				name[n - 1] = '\0';
			snprintf(rec, sizeof rec,
				 "{\"CreationTime\":\"2023-06-01T00:00:00\",\"Operation\":\"Op\",\"%s\":\"%s\"}",
				 name, names[i].val);
			struct norm nm;
			norm_init(&nm);
			struct event ev;
			const char *why;
			assert_int_equal(norm(&nm, rec, NULL, &ev, &why), 0);
			struct sv got = *(const struct sv *)(const void *)((const char *)&ev + names[i].field);
			if (var < 0) {
				assert_sv(got, names[i].want);
			} else if (got.p) {
				fail_msg("\"%s\" was taken for \"%s\"", name, names[i].name);
			}
			norm_free(&nm);
		}
	}
}

/* Lower-casing looks for the first capital 16 bytes at a time and at the
 * tail through the last 16: a capital at every place of texts of every
 * length up to 48 is found, and only capitals change. */
static void test_lower_every_place(void **state)
{
	(void)state;
	char rec[256], want[64], user[64];
	for (size_t n = 1; n <= 48; n++) {
		for (size_t pos = 0; pos <= n; pos++) {
			/* pos == n: no capital at all */
			for (size_t i = 0; i < n; i++)
				user[i] = (char)('a' + i % 26);
			user[n] = '\0';
			memcpy(want, user, n + 1);
			if (pos < n) {
				user[pos] = 'Q';
				want[pos] = 'q';
				if (pos % 2 && pos + 1 < n) {
					user[n - 1] = 'Z';
					want[n - 1] = 'z';
				}
			}
			snprintf(rec, sizeof rec,
				 "{\"CreationTime\":\"2023-06-01T00:00:00\",\"Operation\":\"Op\",\"UserId\":\"%s\"}",
				 user);
			struct norm nm;
			norm_init(&nm);
			struct event ev;
			const char *why;
			assert_int_equal(norm(&nm, rec, NULL, &ev, &why), 0);
			assert_sv(ev.user, want);
			norm_free(&nm);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_classify, teardown),
		cmocka_unit_test_teardown(test_member_names_exact, teardown),
		cmocka_unit_test_teardown(test_lower_every_place, teardown),
		cmocka_unit_test_teardown(test_ual_mailitemsaccessed, teardown),
		cmocka_unit_test_teardown(test_sync_folders, teardown),
		cmocka_unit_test_teardown(test_operation_properties, teardown),
		cmocka_unit_test_teardown(test_app_access_context, teardown),
		cmocka_unit_test_teardown(test_client_ip_forms, teardown),
		cmocka_unit_test_teardown(test_user_and_record_type, teardown),
		cmocka_unit_test_teardown(test_wrapped, teardown),
		cmocka_unit_test_teardown(test_external_hints, teardown),
		cmocka_unit_test_teardown(test_no_time_rejected, teardown),
		cmocka_unit_test_teardown(test_sentinel, teardown),
		cmocka_unit_test_teardown(test_synth_id, teardown),
		cmocka_unit_test_teardown(test_count_newlines, teardown),
		cmocka_unit_test_teardown(test_big_escaped_record, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
