/*
 * test_ingest_host.c: host names in client address fields (issue 12),
 * through ingest_stream, in every field the normalizer reads an address
 * from: a host name goes to the event's host field (port removed, lower
 * case), never to ip; an IP with or without port goes to ip; "none"
 * words, anonymised and hostile text go to neither; the raw record keeps
 * the field exactly as it was.
 */
#include "ingest_util.h"

/* The raw record of event i holds text verbatim. */
static void expect_raw_has(const struct got *g, size_t i, const char *text)
{
	assert_true(i < g->nev);
	if (!strstr(g->ev[i].raw, text))
		fail_msg("event %zu: raw record lost \"%s\": %s", i, text, g->ev[i].raw);
}

static void run_q(const char *records, struct got *g)
{
	char *d = q(records);
	run_str(d, g);
	free(d);
}

/* The UAL's ClientIP and its kin, one shape per line. */
static void test_ual_fields(void **state)
{
	(void)state;
	struct got g = { 0 };
	run_q("{'CreationTime':'2024-03-01T10:00:00','Id':'h1','Operation':'MailItemsAccessed',"
	      "'ClientIP':'cool.client.local:12345'}\n"
	      "{'CreationTime':'2024-03-01T10:00:01','Id':'h2','Operation':'X','ClientIP':'localhost:12345'}\n"
	      "{'CreationTime':'2024-03-01T10:00:02','Id':'h3','Operation':'X','ClientIP':'127.0.0.1:12345'}\n"
	      "{'CreationTime':'2024-03-01T10:00:03','Id':'h4','Operation':'X','ClientIP':'[::1]:443'}\n"
	      "{'CreationTime':'2024-03-01T10:00:04','Id':'h5','Operation':'X','ClientIP':'Cool.Client.LOCAL'}\n"
	      /* a host name in one field, an address in another: both kept */
	      "{'CreationTime':'2024-03-01T10:00:05','Id':'h6','Operation':'X','ClientIP':'mail-gw.corp.example:25',"
	      "'ClientIPAddress':'203.0.113.5'}\n"
	      /* Exchange mailbox records read ClientIPAddress first */
	      "{'CreationTime':'2024-03-01T10:00:06','Id':'h7','Operation':'MailItemsAccessed','MailboxOwnerUPN':'a@x.com',"
	      "'ClientIPAddress':'owa-client.corp.example','ClientIP':'2603:10b6:8::12'}\n"
	      "{'CreationTime':'2024-03-01T10:00:07','Id':'h8','Operation':'X','ActorIpAddress':'DESKTOP-7F3K2L1'}\n"
	      "{'CreationTime':'2024-03-01T10:00:08','Id':'h9','Operation':'X','ClientIP':'<null>',"
	      "'ClientIPAddress':''}\n"
	      "{'CreationTime':'2024-03-01T10:00:09','Id':'h10','Operation':'X','ClientIP':'XX.XX.XX.XX'}\n"
	      "{'CreationTime':'2024-03-01T10:00:10','Id':'h11','Operation':'X',"
	      "'ClientIP':'\\u001b[31mevil.example\\u001b]0;pwned\\u0007'}\n"
	      "{'CreationTime':'2024-03-01T10:00:11','Id':'h12','Operation':'X','ClientIP':'1.2.3.4, 5.6.7.8'}\n"
	      /* with the address kept, the texts that can only be addresses
	       * (the same with a port, two colons) are passed over, a host
	       * name after them is still learnt */
	      "{'CreationTime':'2024-03-01T10:00:12','Id':'h13','Operation':'MailItemsAccessed','MailboxOwnerUPN':'a@x.com',"
	      "'ClientIPAddress':'203.0.113.9','ClientIP':'203.0.113.9:443','Client_IPAddress':'2603:10b6::1',"
	      "'ActorIpAddress':'relay.corp.example'}\n"
	      "{'CreationTime':'2024-03-01T10:00:13','Id':'h14','Operation':'MailItemsAccessed','MailboxOwnerUPN':'a@x.com',"
	      "'ClientIPAddress':'203.0.113.9','ClientIP':'203.0.113.9x:443','ActorIpAddress':'GW.corp.example:8443'}\n"
	      "{'CreationTime':'2024-03-01T10:00:14','Id':'h15','Operation':'X','ClientIP':'203.0.113.9',"
	      "'ClientIPAddress':'203.0.113.9:x','Client_IPAddress':'203.0.113.90:80','ActorIpAddress':'::ffff:gw.example'}\n",
	      &g);
	expect_ok(&g, 15, 0);
	static const struct {
		const char *ip, *host;
	} want[] = {
		{ NULL, "cool.client.local" },
		{ NULL, "localhost" },
		{ "127.0.0.1", NULL },
		{ "::1", NULL },
		{ NULL, "cool.client.local" },
		{ "203.0.113.5", "mail-gw.corp.example" },
		{ "2603:10b6:8::12", "owa-client.corp.example" },
		{ NULL, "desktop-7f3k2l1" },
		{ NULL, NULL },
		{ NULL, NULL },
		{ NULL, NULL },
		{ "1.2.3.4", NULL }, /* a proxy's list: the client (first) address */
		{ "203.0.113.9", "relay.corp.example" },
		{ "203.0.113.9", "gw.corp.example" },
		{ "203.0.113.9", NULL },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		expect_field(&g, i, F_IP, want[i].ip);
		expect_field(&g, i, F_HOST, want[i].host);
	}
	expect_raw_has(&g, 0, "\"ClientIP\":\"cool.client.local:12345\"");
	expect_raw_has(&g, 1, "\"ClientIP\":\"localhost:12345\"");
	expect_raw_has(&g, 4, "\"ClientIP\":\"Cool.Client.LOCAL\"");
	expect_raw_has(&g, 10, "\\u001b[31mevil.example");
	got_free(&g);
}

/* Sentinel's Client_IPAddress, a Graph audit record's clientIp, Entra
 * sign-ins' ipAddress, a directory audit's initiatedBy.user.ipAddress,
 * Azure's callerIpAddress and httpRequest.clientIpAddress, message
 * trace's FromIP, Graph activity's ipAddress, XDR's RemoteIP. */
static void test_other_logs(void **state)
{
	(void)state;
	struct got g = { 0 };
	run_q("{'TimeGenerated':'2024-03-01T10:00:00Z','OfficeId':'s1','Operation':'MailItemsAccessed',"
	      "'OfficeWorkload':'Exchange','RecordType':'ExchangeItem','Client_IPAddress':'sentinel-host.example:443'}\n"
	      "{'id':'g1','createdDateTime':'2024-03-01T10:00:01Z','auditLogRecordType':'ExchangeItem',"
	      "'operation':'Send','userPrincipalName':'a@x.com','clientIp':'graph-host.example','auditData':{}}\n"
	      "{'id':'si1','createdDateTime':'2024-03-01T10:00:02Z','userPrincipalName':'a@x.com','appId':'APP',"
	      "'ipAddress':'signin-host.example:8443','status':{'errorCode':0}}\n"
	      "{'id':'d1','activityDateTime':'2024-03-01T10:00:03Z','activityDisplayName':'Add user',"
	      "'initiatedBy':{'user':{'userPrincipalName':'adm@x.com','ipAddress':'LOCALHOST'}},'targetResources':[],"
	      "'result':'success'}\n"
	      "{'time':'2024-03-01T10:00:04Z','category':'SomethingNew','operationName':'Do thing',"
	      "'callerIpAddress':'azure-host.example:1234','identity':'ops@x.com','properties':{'x':1}}\n"
	      "{'eventTimestamp':'2024-03-01T10:00:05Z','eventDataId':'ad1','operationName':{'value':'M/v/delete',"
	      "'localizedValue':'Delete'},'caller':'ops@x.com','httpRequest':{'clientIpAddress':'arm-host.example'},"
	      "'status':{'value':'Succeeded'},'resourceId':'/subscriptions/s/vm1'}\n"
	      "{'Received':'2024-03-01T10:00:06','SenderAddress':'a@x.com','RecipientAddress':'b@y.com',"
	      "'Subject':'Hi','Status':'Delivered','FromIP':'smtp.sender.example','MessageTraceId':'m1',"
	      "'MessageId':'<a@b>'}\n"
	      "{'time':'2024-03-01T10:00:07Z','category':'MicrosoftGraphActivityLogs','operationName':'Microsoft Graph Activity',"
	      "'properties':{'requestId':'r1','requestMethod':'GET','requestUri':'https://graph.microsoft.com/v1.0/me',"
	      "'responseStatusCode':200,'appId':'APP-2','userId':'U-1','ipAddress':'[2001:db8::7]:443'}}\n"
	      "{'Timestamp':'2024-03-01T10:00:08Z','ActionType':'LdapSearch','DeviceName':'dc1','DeviceId':'dev1',"
	      "'ReportId':42,'InitiatingProcessAccountUpn':'W@x.com','RemoteIP':'fileserver01','FileName':'ps.exe'}\n",
	      &g);
	expect_ok(&g, 9, 0);
	static const struct {
		const char *ip, *host, *raw;
	} want[] = {
		{ NULL, "sentinel-host.example", "sentinel-host.example:443" },
		{ NULL, "graph-host.example", "graph-host.example" },
		{ NULL, "signin-host.example", "signin-host.example:8443" },
		{ NULL, "localhost", "LOCALHOST" },
		{ NULL, "azure-host.example", "azure-host.example:1234" },
		{ NULL, "arm-host.example", "arm-host.example" },
		{ NULL, "smtp.sender.example", "smtp.sender.example" },
		{ "2001:db8::7", NULL, "[2001:db8::7]:443" },
		{ NULL, "fileserver01", "fileserver01" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		expect_field(&g, i, F_IP, want[i].ip);
		expect_field(&g, i, F_HOST, want[i].host);
		expect_raw_has(&g, i, want[i].raw);
	}
	got_free(&g);
}

/* The Entra sign-in CSV's "IP address" column. */
static void test_signin_csv(void **state)
{
	(void)state;
	struct got g = { 0 };
	run_str("\"Date (UTC)\",\"Request ID\",\"Username\",\"Application ID \",\"IP address\",\"Status\"\n"
		"\"2025-03-18T12:33:24Z\",\"req-1\",\"a@x.com\",\"app\",\"vpn-gw.corp.example:4443\",\"Success\"\n"
		"\"2025-03-18T12:33:25Z\",\"req-2\",\"a@x.com\",\"app\",\"10.0.0.1:4443\",\"Success\"\n"
		"\"2025-03-18T12:33:26Z\",\"req-3\",\"a@x.com\",\"app\",\"<null>\",\"Success\"\n",
		&g);
	expect_ok(&g, 3, 0);
	expect_format(&g, "entra-signin-csv");
	expect_field(&g, 0, F_HOST, "vpn-gw.corp.example");
	expect_field(&g, 0, F_IP, NULL);
	expect_field(&g, 1, F_IP, "10.0.0.1");
	expect_field(&g, 1, F_HOST, NULL);
	expect_field(&g, 2, F_IP, NULL);
	expect_field(&g, 2, F_HOST, NULL);
	got_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ual_fields),
		cmocka_unit_test(test_other_logs),
		cmocka_unit_test(test_signin_csv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
