/*
 * test_normalize_logs.c: the field mapping of the logs that are not the
 * unified audit log (core/normalize_logs.c): Graph directory audits and
 * sign-ins, one record shape at a time, asserting on every value the
 * event carries.
 */
#include "normalize_util.h"

static void test_graph_audit(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	const char *t =
		j("{'id':'g-1','createdDateTime':'2024-05-01T10:00:00Z','auditLogRecordType':'ExchangeItem',"
		  "'operation':'MailItemsAccessed','service':'Exchange','userPrincipalName':'Carol@X.com',"
		  "'clientIp':'10.0.0.9','auditData':{'CreationTime':'2024-05-01T09:59:59','Id':'inner',"
		  "'Operation':'MailItemsAccessed','ClientIPAddress':'10.0.0.1:443'}}");
	assert_int_equal(classify(t), REC_GRAPH_AUDIT);
	norm_ok(&nm, t, NULL, &ev);
	assert_int_equal(ev.ts, ts("2024-05-01T09:59:59Z"));
	assert_int_equal(ev.flags, 0);
	assert_sv(ev.record_id, "inner");
	assert_sv(ev.ip, "10.0.0.1");
	assert_sv(ev.user, "carol@x.com"); /* auditData has no UserId */
	assert_sv(ev.workload, "Exchange");
	assert_sv(ev.rtype, "ExchangeItem");
	assert_sv(ev.op, "MailItemsAccessed");

	/* an empty auditData: everything from the Graph fields */
	norm_ok(&nm,
		j("{'id':'g-2','createdDateTime':'2024-05-01T10:00:00Z','operation':'Send','service':'Exchange',"
		  "'userPrincipalName':'Dan@X.com','clientIp':'[2603:10B6::7]:1','auditData':{}}"),
		NULL, &ev);
	assert_int_equal(ev.ts, ts("2024-05-01T10:00:00Z"));
	assert_int_equal(ev.flags, EVF_NO_TIME);
	assert_sv(ev.record_id, "g-2");
	assert_sv(ev.op, "Send");
	assert_sv(ev.user, "dan@x.com");
	assert_sv(ev.ip, "2603:10b6::7");
	assert_sv(ev.workload, "Exchange");
	norm_free(&nm);
}

static void test_signin(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	const char *t =
		j("{'id':'s1','createdDateTime':'2025-05-02T00:32:36Z','userPrincipalName':'Alice@X.com',"
		  "'appId':'ABC-APP','ipAddress':'3.140.144.215','status':{'errorCode':0,'failureReason':'Other.'},"
		  "'sessionId':'sess-9','uniqueTokenIdentifier':'tokId_9','userAgent':'Mozilla/5.0',"
		  "'clientAppUsed':'Browser','isInteractive':true,'location':{'city':'X'}}");
	assert_int_equal(classify(t), REC_SIGNIN);
	norm_ok(&nm, t, NULL, &ev);
	assert_int_equal(ev.ts, ts("2025-05-02T00:32:36Z"));
	assert_sv(ev.record_id, "s1");
	assert_sv(ev.op, "Sign-in");
	assert_sv(ev.rtype, "EntraSignIn");
	assert_sv(ev.workload, "AzureActiveDirectory");
	assert_sv(ev.user, "alice@x.com");
	assert_sv(ev.app, "abc-app");
	assert_sv(ev.ip, "3.140.144.215");
	assert_sv(ev.session, "sess-9");
	assert_sv(ev.token, "tokId_9");
	assert_sv(ev.client_info, "Mozilla/5.0");
	assert_sv(ev.result, "Success");
	assert_int_equal(ev.flags, 0);

	/* failures carry their code */
	norm_ok(&nm,
		j("{'createdDateTime':'2025-05-02T00:32:36Z','userPrincipalName':'a@x.com',"
		  "'status':{'errorCode':50126}}"),
		NULL, &ev);
	assert_sv(ev.result, "Failure (50126)");
	norm_ok(&nm, j("{'createdDateTime':'2025-05-02T00:32:36Z','status':{'errorCode':'53003'}}"), NULL, &ev);
	assert_sv(ev.result, "Failure (53003)");
	/* and their reason beside it */
	norm_ok(&nm,
		j("{'createdDateTime':'2025-05-02T00:32:36Z','status':{'errorCode':50053,"
		  "'failureReason':'Account is locked because the user tried to sign in too many times.'}}"),
		NULL, &ev);
	assert_sv(ev.result,
		  "Failure (50053: Account is locked because the user tried to sign in too many times.)");
	norm_ok(&nm, j("{'createdDateTime':'2025-05-02T00:32:36Z','status':{}}"), NULL, &ev);
	assert_sv(ev.result, NULL);

	/* a service principal: no UPN, the SP's name as the user */
	norm_ok(&nm,
		j("{'id':'sp1','createdDateTime':'2025-05-02T00:32:36Z','userPrincipalName':'',"
		  "'appId':'0930EA9F-98e8','appDisplayName':'Petra Forwarder','ipAddress':'3.140.144.215',"
		  "'userAgent':'','clientAppUsed':'','isInteractive':false,"
		  "'servicePrincipalName':'Petra Forwarder','status':{'errorCode':0}}"),
		NULL, &ev);
	assert_sv(ev.user, "petra forwarder");
	assert_sv(ev.op, "Service principal sign-in");
	assert_sv(ev.app, "0930ea9f-98e8");
	assert_sv(ev.client_info, NULL);
	assert_sv(ev.result, "Success");
	norm_ok(&nm,
		j("{'createdDateTime':'2025-05-02T00:32:36Z','appId':'a','servicePrincipalName':'SP',"
		  "'signInEventTypes':['servicePrincipal']}"),
		NULL, &ev);
	assert_sv(ev.op, "Service principal sign-in");
	norm_ok(&nm,
		j("{'createdDateTime':'2025-05-02T00:32:36Z','appId':'a','userPrincipalName':'u@x.com',"
		  "'signInEventTypes':['nonInteractiveUser']}"),
		NULL, &ev);
	assert_sv(ev.op, "Non-interactive sign-in");
	norm_ok(&nm,
		j("{'createdDateTime':'2025-05-02T00:32:36Z','appId':'a','signInEventTypes':['managedIdentity']}"),
		NULL, &ev);
	assert_sv(ev.op, "Managed identity sign-in");
	norm_ok(&nm,
		j("{'createdDateTime':'2025-05-02T00:32:36Z','appId':'a','userPrincipalName':'u@x.com',"
		  "'isInteractive':false}"),
		NULL, &ev);
	assert_sv(ev.op, "Non-interactive sign-in");
	/* the client app when there is no user agent */
	norm_ok(&nm,
		j("{'createdDateTime':'2025-05-02T00:32:36Z','appId':'a','clientAppUsed':'Exchange ActiveSync'}"),
		NULL, &ev);
	assert_sv(ev.client_info, "Exchange ActiveSync");
	norm_free(&nm);
}

static void test_directory_audit(void **state)
{
	(void)state;
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	const char *t = j("{'id':'Directory_ABC','category':'ApplicationManagement','correlationId':'c',"
			  "'result':'success','activityDisplayName':'Consent to application',"
			  "'activityDateTime':'2024-01-01T12:00:00.5Z','loggedByService':'Core Directory',"
			  "'initiatedBy':{'user':{'id':'u','displayName':null,'userPrincipalName':'Admin@X.com',"
			  "'ipAddress':'1.2.3.4'},'app':null},'targetResources':[]}");
	assert_int_equal(classify(t), REC_DIRAUDIT);
	norm_ok(&nm, t, NULL, &ev);
	assert_int_equal(ev.ts, ts("2024-01-01T12:00:00.500Z"));
	assert_sv(ev.record_id, "Directory_ABC");
	assert_sv(ev.op, "Consent to application");
	assert_sv(ev.result, "success");
	assert_sv(ev.rtype, "EntraDirectoryAudit");
	assert_sv(ev.workload, "AzureActiveDirectory");
	assert_sv(ev.user, "admin@x.com");
	assert_sv(ev.ip, "1.2.3.4");
	assert_sv(ev.app, NULL);

	/* initiated by an app */
	norm_ok(&nm,
		j("{'id':'d2','activityDisplayName':'Update user','activityDateTime':'2024-01-01T00:00:00Z',"
		  "'initiatedBy':{'user':null,'app':{'appId':'APP-ID','displayName':'Graph Connector',"
		  "'servicePrincipalId':'sp'}}}"),
		NULL, &ev);
	assert_sv(ev.user, "graph connector");
	assert_sv(ev.app, "app-id");
	assert_sv(ev.ip, NULL);
	/* a user object without a UPN falls back to the app's name */
	norm_ok(&nm,
		j("{'id':'d3','activityDisplayName':'x','activityDateTime':'2024-01-01T00:00:00Z',"
		  "'initiatedBy':{'user':{'userPrincipalName':null},'app':{'displayName':'Sync'}}}"),
		NULL, &ev);
	assert_sv(ev.user, "sync");
	norm_free(&nm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_graph_audit, teardown),
		cmocka_unit_test_teardown(test_signin, teardown),
		cmocka_unit_test_teardown(test_directory_audit, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
