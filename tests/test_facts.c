/*
 * test_facts.c: the facts of each kind of log read from raw records
 * (core/facts.h), in the shapes exports give them: Graph names, the
 * Azure diagnostic envelope, the portal's CSV headers, the unified audit
 * log's Name/Value lists.
 */
#include "testutil.h"

#include "facts.h"

static char *f[FACT_COUNT];

static void read_json(const char *json)
{
	for (int i = 0; i < FACT_COUNT; i++)
		free(f[i]);
	facts_read(json, strlen(json), f);
}

static void test_signin_graph(void **state)
{
	(void)state;
	read_json(
		"{\"resourceDisplayName\":\"Microsoft Graph\",\"status\":{\"errorCode\":50126,"
		"\"failureReason\":\"Invalid username or password.\"},\"conditionalAccessStatus\":\"failure\","
		"\"authenticationRequirement\":\"multiFactorAuthentication\",\"userAgent\":\"python-requests/2.31\"}");
	assert_string_equal(f[FACT_RESOURCE], "Microsoft Graph");
	assert_string_equal(f[FACT_FAILURE], "Invalid username or password.");
	assert_string_equal(f[FACT_CA], "failure");
	assert_string_equal(f[FACT_MFA], "multiFactorAuthentication");
	assert_string_equal(f[FACT_AGENT], "python-requests/2.31");
	assert_null(f[FACT_CHANGES]);
	assert_null(f[FACT_PARAMS]);
}

static void test_signin_envelope_and_csv(void **state)
{
	(void)state;
	/* the diagnostic envelope: the sign-in inside properties */
	read_json("{\"category\":\"SignInLogs\",\"properties\":{\"conditionalAccessStatus\":\"notApplied\","
		  "\"status\":{\"failureReason\":\"Keep me signed in interrupt\"}}}");
	assert_string_equal(f[FACT_CA], "notApplied");
	assert_string_equal(f[FACT_FAILURE], "Keep me signed in interrupt");
	/* the portal's CSV headers, any case */
	read_json("{\"Resource\":\"Windows Azure Active Directory\",\"Failure reason\":\"Other.\","
		  "\"conditional access\":\"Not Applied\",\"Authentication requirement\":\"Single-factor authentication\","
		  "\"User agent\":\"Mozilla/5.0\"}");
	assert_string_equal(f[FACT_RESOURCE], "Windows Azure Active Directory");
	assert_string_equal(f[FACT_CA], "Not Applied");
	assert_string_equal(f[FACT_MFA], "Single-factor authentication");
	assert_string_equal(f[FACT_AGENT], "Mozilla/5.0");
	/* the unified audit log's sign-in: agent in ExtendedProperties, the
	 * resource as ObjectId */
	read_json(
		"{\"RecordType\":15,\"ObjectId\":\"00000003-0000-0000-c000-000000000000\",\"LogonError\":"
		"\"InvalidUserNameOrPassword\",\"ExtendedProperties\":[{\"Name\":\"UserAgent\",\"Value\":\"Firefox/114\"}]}");
	assert_string_equal(f[FACT_RESOURCE], "00000003-0000-0000-c000-000000000000");
	assert_string_equal(f[FACT_FAILURE], "InvalidUserNameOrPassword");
	assert_string_equal(f[FACT_AGENT], "Firefox/114");
}

static void test_directory(void **state)
{
	(void)state;
	/* unified audit log: ModifiedProperties as JSON text, Target type 5 */
	read_json("{\"RecordType\":8,\"ObjectId\":\"x\",\"Target\":[{\"ID\":\"User_1\",\"Type\":2},"
		  "{\"ID\":\"adele@contoso.com\",\"Type\":5}],\"ModifiedProperties\":[{\"Name\":\"AccountEnabled\","
		  "\"NewValue\":\"[\\r\\n  true\\r\\n]\",\"OldValue\":\"[]\"},{\"Name\":\"DisplayName\",\"NewValue\":"
		  "\"[\\r\\n  \\\"Crawler\\\"\\r\\n]\",\"OldValue\":\"[\\r\\n  \\\"Old\\\"\\r\\n]\"}]}");
	assert_string_equal(f[FACT_TARGET], "adele@contoso.com");
	assert_string_equal(f[FACT_CHANGES], "AccountEnabled: (none) -> true; DisplayName: Old -> Crawler");
	/* Graph directory audit in the envelope */
	read_json("{\"properties\":{\"targetResources\":[{\"userPrincipalName\":\"bob@contoso.com\","
		  "\"modifiedProperties\":[{\"displayName\":\"StrongAuthenticationMethod\",\"oldValue\":\"[]\","
		  "\"newValue\":\"[{\\\"MethodType\\\":6}]\"}]}]}}");
	assert_string_equal(f[FACT_TARGET], "bob@contoso.com");
	assert_string_equal(f[FACT_CHANGES], "StrongAuthenticationMethod: (none) -> {\"MethodType\":6}");
}

static void test_exchange_admin(void **state)
{
	(void)state;
	read_json(
		"{\"RecordType\":1,\"Operation\":\"New-InboxRule\",\"ObjectId\":\"alice\\\\.\",\"Parameters\":["
		"{\"Name\":\"Name\",\"Value\":\".\"},{\"Name\":\"DomainController\",\"Value\":\"\"},"
		"{\"Name\":\"ForwardTo\",\"Value\":\"x@evil.example\"},{\"Name\":\"StopProcessingRules\",\"Value\":\"True\"}]}");
	assert_string_equal(f[FACT_TARGET], "alice\\.");
	/* empty parameters are left out */
	assert_string_equal(f[FACT_PARAMS], "Name=. ForwardTo=x@evil.example StopProcessingRules=True");
}

static void test_not_json(void **state)
{
	(void)state;
	for (int i = 0; i < FACT_COUNT; i++)
		free(f[i]);
	const char *s = "Date,User\n";
	assert_int_equal(facts_read(s, strlen(s), f), 0);
	for (int i = 0; i < FACT_COUNT; i++)
		assert_null(f[i]);
	assert_int_equal(facts_read(NULL, 0, f), 0);
	assert_int_equal(fact_of_name("changes"), FACT_CHANGES);
	assert_int_equal(fact_of_name("nosuch"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signin_graph), cmocka_unit_test(test_signin_envelope_and_csv),
		cmocka_unit_test(test_directory),    cmocka_unit_test(test_exchange_admin),
		cmocka_unit_test(test_not_json),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	for (int i = 0; i < FACT_COUNT; i++)
		free(f[i]);
	return rc;
}
