/*
 * test_sigma.c: Sigma rules as filters.
 *
 * - SigmaHQ's own rules (../shared/sigma, skipped where absent): for each
 *   of more than twenty, a record in the shape the real exports have
 *   (UAL AuditData, Graph directory audits and sign-ins, the Entra CSV's
 *   columns, Azure diagnostic records, Sentinel and Cloud App rows) that
 *   must match, and a near miss that must not.
 * - Every modifier and condition form on small rules written here.
 * - Errors: malformed YAML, unknown modifiers, 10,000 selections, a
 *   regex that backtracks without end, unset placeholders: each a clear
 *   error of its rule alone.
 * - The whole of ../shared/sigma compiles or says why not (under 10%).
 * - On a case: the one-pass runner finds what the SQL filter finds, and
 *   the demo bundle's planted inbox rule and consent are matched by the
 *   rules written for them.
 */
#include "testutil.h"

#include <jansson.h>

#include "filter.h"
#include "ingest.h"
#include "query.h"
#include "sigma.h"
#include "sigma_field.h"
#include "sigma_run.h"
#include "store.h"
#include "xalloc.h"

static const char *sigma_dir(void)
{
	static const char *d = "../shared/sigma";
	struct stat sb;
	return stat(d, &sb) == 0 && S_ISDIR(sb.st_mode) ? d : NULL;
}

#define SIGMADIR(d)                                                            \
	do {                                                                   \
		(d) = sigma_dir();                                             \
		if (!(d)) {                                                    \
			print_message("skipped: ../shared/sigma is absent\n"); \
			skip();                                                \
		}                                                              \
	} while (0)

/* The one rule of YAML text (compiled or not). */
static struct sigma_set *rule_text(const char *yaml, const struct sigma_vars *vars)
{
	struct sigma_set *s = xcalloc(1, sizeof *s);
	sigma_load_text(s, "test.yml", yaml, strlen(yaml), vars);
	assert_int_equal(s->n, 1);
	return s;
}

static int matches(const struct sigma_rule *r, const char *rec)
{
	char *why = NULL;
	int m = filter_match_record(r->f, rec, strlen(rec), &why);
	if (m < 0)
		fail_msg("%s: %s", r->title, why);
	/* the text the rule compiled to parses back to the same decision */
	struct filter *g = filter_parse(r->detection, &why);
	if (!g)
		fail_msg("%s: detection '%s' does not parse: %s", r->title, r->detection, why);
	int m2 = filter_match_record(g, rec, strlen(rec), NULL);
	filter_free(g);
	assert_int_equal(m, m2);
	return m;
}

/* A rule given as YAML, a record that must match and one that must not. */
static void check(const char *yaml, const char *hit, const char *miss)
{
	struct sigma_set *s = rule_text(yaml, NULL);
	struct sigma_rule *r = &s->rules[0];
	if (r->st != SIGMA_OK)
		fail_msg("rule did not compile: %s (line %d)", r->why, r->why_line);
	if (hit && matches(r, hit) != 1)
		fail_msg("%s: should match %s\nfilter: %s", r->title, hit, r->detection);
	if (miss && matches(r, miss) != 0)
		fail_msg("%s: should not match %s\nfilter: %s", r->title, miss, r->detection);
	sigma_set_free(s);
}

/* ------------------------------------------------------------------ */
/* SigmaHQ's rules */

struct real_case {
	const char *file;
	const char *hit, *hit2, *miss;
};

static const struct real_case real[] = {
	{ "rules-threat-hunting/cloud/m365/audit/microsoft365_susp_email_forwarding_activity.yml",
	  "{\"Operation\":\"New-InboxRule\",\"Workload\":\"Exchange\",\"Parameters\":[{\"Name\":\"Name\",\"Value\":\".\"},"
	  "{\"Name\":\"ForwardTo\",\"Value\":\"doc-backup@proton-relay.example\"}]}",
	  "{\"Operation\":\"Set-Mailbox\",\"Parameters\":[{\"Name\":\"ForwardingSmtpAddress\",\"Value\":\"smtp:x@y.example\"}]}",
	  "{\"Operation\":\"New-InboxRule\",\"Parameters\":[{\"Name\":\"MoveToFolder\",\"Value\":\"Recruiting\"}]}" },
	{ "rules-threat-hunting/cloud/m365/audit/microsoft365_susp_inbox_rule_creation_or_update_activity.yml",
	  "{\"Operation\":\"Set-InboxRule\",\"Parameters\":[{\"Name\":\"MarkAsRead\",\"Value\":\"True\"}]}",
	  NULL,
	  "{\"Operation\":\"Remove-InboxRule\",\"Parameters\":[{\"Name\":\"MarkAsRead\",\"Value\":\"True\"}]}" },
	{ "rules/cloud/m365/audit/microsoft365_disabling_mfa.yml",
	  "{\"Operation\":\"Disable Strong Authentication.\",\"Workload\":\"AzureActiveDirectory\"}", NULL,
	  "{\"Operation\":\"Enable Strong Authentication.\",\"Workload\":\"AzureActiveDirectory\"}" },
	{ "rules/cloud/m365/audit/microsoft365_new_federated_domain_added_audit.yml",
	  "{\"Operation\":\"Add domain to company.\"}", "{\"Operation\":\"New-AcceptedDomain\"}",
	  "{\"Operation\":\"Verify domain.\"}" },
	{ "rules/cloud/m365/audit/microsoft365_bypass_conditional_access.yml",
	  "{\"Operation\":\"UserLoggedIn\",\"ApplicationId\":\"9ba1a5c7-f17a-4de9-a1f1-6178c8d51223\",\"ResultStatus\":"
	  "\"Success\",\"RequestType\":\"Cmsi:Cmsi\",\"ObjectId\":\"00000002-0000-0000-c000-000000000000\"}",
	  NULL,
	  "{\"Operation\":\"UserLoggedIn\",\"ApplicationId\":\"9ba1a5c7-f17a-4de9-a1f1-6178c8d51223\",\"ResultStatus\":"
	  "\"Success\",\"RequestType\":\"Cmsi:Cmsi\",\"ObjectId\":\"0000000a-0000-0000-c000-000000000000\"}" },
	{ "rules/cloud/m365/exchange/microsoft365_new_federated_domain_added_exchange.yml",
	  "{\"eventSource\":\"Exchange\",\"eventName\":\"Add-FederatedDomain\",\"status\":\"success\"}", NULL,
	  "{\"eventSource\":\"Exchange\",\"eventName\":\"Add-FederatedDomain\",\"status\":\"failure\"}" },
	{ "rules/cloud/m365/audit/microsoft365_suspicious_email_delivered.yml",
	  "{\"Workload\":\"ThreatIntelligence\",\"Operation\":\"TIMailData\",\"Directionality\":\"Inbound\","
	  "\"DeliveryAction\":\"Delivered\"}",
	  NULL,
	  "{\"Workload\":\"ThreatIntelligence\",\"Operation\":\"TIMailData\",\"Directionality\":\"Inbound\","
	  "\"DeliveryAction\":\"Blocked\"}" },
	{ "rules/cloud/m365/threat_management/microsoft365_susp_inbox_forwarding.yml",
	  "{\"eventSource\":\"SecurityComplianceCenter\",\"eventName\":\"Suspicious inbox forwarding\",\"status\":\"success\"}",
	  NULL,
	  "{\"eventSource\":\"SecurityComplianceCenter\",\"eventName\":\"Suspicious inbox manipulation rule\","
	  "\"status\":\"success\"}" },
	{ "rules/cloud/azure/signin_logs/azure_app_device_code_authentication.yml",
	  "{\"operationName\":\"Sign-in activity\",\"properties\":{\"message\":\"Device Code\"}}", NULL,
	  "{\"operationName\":\"Sign-in activity\",\"properties\":{\"message\":\"Device Code Flow\"}}" },
	{ "rules/cloud/azure/signin_logs/azure_ad_device_registration_or_join_without_mfa.yml",
	  "{\"resourceDisplayName\":\"Device Registration Service\",\"conditionalAccessStatus\":\"success\","
	  "\"authenticationRequirement\":\"singleFactorAuthentication\"}",
	  NULL,
	  "{\"resourceDisplayName\":\"Device Registration Service\",\"conditionalAccessStatus\":\"success\","
	  "\"authenticationRequirement\":\"multiFactorAuthentication\"}" },
	{ "rules/cloud/azure/signin_logs/azure_ad_azurehound_discovery.yml",
	  "{\"userAgent\":\"azurehound/v2.1.0\",\"status\":{\"errorCode\":0,\"failureReason\":\"Other.\"}}",
	  "{\"properties\":{\"userAgent\":\"AzureHound/2\",\"status\":{\"errorCode\":0}},\"category\":\"SignInLogs\"}",
	  "{\"userAgent\":\"azurehound/v2.1.0\",\"status\":{\"errorCode\":50126,\"failureReason\":\"Invalid password\"}}" },
	{ "rules/cloud/azure/signin_logs/azure_mfa_denies.yml",
	  "{\"authenticationRequirement\":\"multiFactorAuthentication\",\"status\":{\"errorCode\":500121,"
	  "\"additionalDetails\":\"MFA denied; user declined the authentication\"}}",
	  "{\"Authentication requirement\":\"x\",\"AuthenticationRequirement\":\"multiFactorAuthentication\","
	  "\"Status\":\"Failure: MFA denied\"}",
	  "{\"authenticationRequirement\":\"multiFactorAuthentication\",\"status\":{\"errorCode\":0,"
	  "\"additionalDetails\":\"MFA completed in Azure AD\"}}" },
	{ "rules/cloud/azure/signin_logs/azure_ad_sign_ins_from_unknown_devices.yml",
	  "{\"authenticationRequirement\":\"singleFactorAuthentication\",\"status\":{\"errorCode\":0},"
	  "\"networkLocationDetails\":[],\"deviceDetail\":{\"deviceId\":\"\",\"browser\":\"Chrome 139\"}}",
	  "{\"AuthenticationRequirement\":\"singleFactorAuthentication\",\"ResultType\":\"0\",\"NetworkLocationDetails\":"
	  "\"[]\",\"DeviceDetail\":{\"deviceId\":\"\"}}",
	  "{\"authenticationRequirement\":\"singleFactorAuthentication\",\"status\":{\"errorCode\":0},"
	  "\"networkLocationDetails\":[],\"deviceDetail\":{\"deviceId\":\"4b1e0e4a-1f22\"}}" },
	{ "rules/cloud/azure/audit_logs/azure_user_account_mfa_disable.yml",
	  "{\"category\":\"UserManagement\",\"activityDisplayName\":\"Update user\",\"loggedByService\":\"Core Directory\","
	  "\"targetResources\":[{\"type\":\"User\",\"modifiedProperties\":[{\"displayName\":\"StrongAuthenticationRequirement\","
	  "\"oldValue\":\"[]\",\"newValue\":\"[{\\\"RelyingParty\\\":\\\"*\\\",\\\"State\\\":0}]\"}]}]}",
	  NULL,
	  "{\"category\":\"UserManagement\",\"activityDisplayName\":\"Update user\",\"loggedByService\":\"Core Directory\","
	  "\"targetResources\":[{\"type\":\"User\",\"modifiedProperties\":[{\"displayName\":\"StrongAuthenticationRequirement\","
	  "\"oldValue\":\"[]\",\"newValue\":\"[{\\\"RelyingParty\\\":\\\"*\\\",\\\"State\\\":1}]\"}]}]}" },
	{ "rules/cloud/azure/audit_logs/azure_change_to_authentication_method.yml",
	  "{\"category\":\"UserManagement\",\"activityDisplayName\":\"User registered security info\",\"loggedByService\":"
	  "\"Authentication Methods\"}",
	  NULL,
	  "{\"category\":\"UserManagement\",\"activityDisplayName\":\"User deleted security info\",\"loggedByService\":"
	  "\"Authentication Methods\"}" },
	{ "rules/cloud/azure/audit_logs/azure_ad_bitlocker_key_retrieval.yml",
	  "{\"category\":\"KeyManagement\",\"activityDisplayName\":\"Read BitLocker key\"}",
	  "{\"Category\":\"KeyManagement\",\"OperationName\":\"Read BitLocker key\"}",
	  "{\"category\":\"Device\",\"activityDisplayName\":\"Read BitLocker key\"}" },
	{ "rules/cloud/azure/audit_logs/azure_tap_added.yml",
	  "{\"activityDisplayName\":\"Admin registered security info\",\"result\":\"success\",\"resultReason\":"
	  "\"Admin registered temporary access pass method for user\"}",
	  NULL,
	  "{\"activityDisplayName\":\"Admin registered security info\",\"result\":\"success\",\"resultReason\":"
	  "\"Admin registered phone method for user\"}" },
	{ "rules/cloud/azure/audit_logs/azure_federation_modified.yml",
	  "{\"Operation\":\"Set federation settings on domain.\",\"Workload\":\"AzureActiveDirectory\",\"RecordType\":8}",
	  "{\"activityDisplayName\":\"Set federation settings on domain\"}",
	  "{\"Operation\":\"Set domain authentication.\",\"Workload\":\"AzureActiveDirectory\",\"RecordType\":8}" },
	{ "rules/cloud/azure/audit_logs/azure_ad_users_added_to_device_admin_roles.yml",
	  "{\"category\":\"RoleManagement\",\"activityDisplayName\":\"Add member to role\",\"targetResources\":[{\"type\":"
	  "\"Role\",\"modifiedProperties\":[{\"displayName\":\"Role.TemplateId\",\"newValue\":"
	  "\"\\\"62e90394-69f5-4237-9190-012177145e10\\\"\"}]}]}",
	  NULL,
	  "{\"category\":\"RoleManagement\",\"activityDisplayName\":\"Add member to group\",\"targetResources\":[{\"type\":"
	  "\"Role\",\"modifiedProperties\":[{\"displayName\":\"Role.TemplateId\",\"newValue\":"
	  "\"\\\"62e90394-69f5-4237-9190-012177145e10\\\"\"}]}]}" },
	{ "rules/cloud/azure/activity_logs/azure_keyvault_secrets_modified_or_deleted.yml",
	  "{\"operationName\":\"MICROSOFT.KEYVAULT/VAULTS/SECRETS/WRITE\",\"category\":\"Administrative\"}",
	  "{\"operationName\":\"Microsoft.KeyVault/vaults/secrets/purge/action\"}",
	  "{\"operationName\":\"MICROSOFT.KEYVAULT/VAULTS/KEYS/WRITE\",\"category\":\"Administrative\"}" },
	{ "rules/cloud/azure/identity_protection/azure_identity_protection_password_spray.yml",
	  "{\"Activity\":\"signin\",\"RiskEventType\":\"passwordSpray\",\"RiskLevel\":\"high\"}", NULL,
	  "{\"Activity\":\"signin\",\"RiskEventType\":\"unlikelyTravel\",\"RiskLevel\":\"low\"}" },
	{ "rules/cloud/azure/audit_logs/azure_auditlogs_laps_credential_dumping.yml",
	  "{\"category\":\"Device\",\"activityType\":\"Recover device local administrator password\",\"additionalDetails\":"
	  "[{\"key\":\"AdditionalInfo\",\"value\":\"Successfully recovered local credential by device id: 42\"}]}",
	  NULL,
	  "{\"category\":\"Policy\",\"activityType\":\"Recover device local administrator password\",\"additionalDetails\":"
	  "[{\"key\":\"AdditionalInfo\",\"value\":\"Successfully recovered local credential by device id: 42\"}]}" },
	{ "rules/cloud/azure/activity_logs/azure_granting_permission_detection.yml",
	  "{\"operationName\":{\"value\":\"Microsoft.Authorization/roleAssignments/write\"},\"caller\":\"a@b.example\"}",
	  NULL, "{\"operationName\":{\"value\":\"Microsoft.Authorization/roleDefinitions/write\"}}" },
	{ "rules/cloud/azure/audit_logs/azure_app_end_user_consent.yml",
	  "{\"Operation\":\"Consent to application.\",\"ModifiedProperties\":[{\"Name\":\"ConsentContext.IsAdminConsent\","
	  "\"NewValue\":\"False\",\"OldValue\":\"\"}]}",
	  "{\"activityDisplayName\":\"Consent to application\",\"targetResources\":[{\"modifiedProperties\":[{\"displayName\":"
	  "\"ConsentContext.IsAdminConsent\",\"oldValue\":null,\"newValue\":\"\\\"False\\\"\"}]}]}",
	  "{\"Operation\":\"Consent to application.\",\"ModifiedProperties\":[{\"Name\":\"ConsentContext.IsAdminConsent\","
	  "\"NewValue\":\"True\",\"OldValue\":\"\"}]}" },
	{ "rules/cloud/azure/audit_logs/azure_app_delegated_permissions_all_users.yml",
	  "{\"activityDisplayName\":\"Add delegated permission grant\",\"category\":\"ApplicationManagement\"}",
	  "{\"Operation\":\"Add delegated permission grant.\",\"Workload\":\"AzureActiveDirectory\"}",
	  "{\"activityDisplayName\":\"Remove delegated permission grant\",\"category\":\"ApplicationManagement\"}" },
	{ "rules/cloud/azure/signin_logs/azure_ad_suspicious_signin_bypassing_mfa.yml",
	  "{\"Status\":\"Success\",\"User agent\":\"BAV2ROPC\",\"userAgent\":\"BAV2ROPC\"}", NULL,
	  "{\"Status\":\"Failure\",\"userAgent\":\"BAV2ROPC\"}" },
};

static void test_real_rules(void **state)
{
	(void)state;
	const char *dir;
	SIGMADIR(dir);
	size_t n = 0;
	for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, real[i].file);
		char *paths[] = { path };
		struct sigma_set *s = NULL;
		char *cause = NULL;
		if (sigma_load(paths, 1, NULL, &s, &cause) < 0)
			fail_msg("%s", cause);
		assert_int_equal(s->n, 1);
		struct sigma_rule *r = &s->rules[0];
		if (r->st != SIGMA_OK)
			fail_msg("%s: %s", real[i].file, r->why);
		if (matches(r, real[i].hit) != 1)
			fail_msg("%s should match %s\nfilter: %s", real[i].file, real[i].hit, r->detection);
		if (real[i].hit2 && matches(r, real[i].hit2) != 1)
			fail_msg("%s should match %s\nfilter: %s", real[i].file, real[i].hit2, r->detection);
		if (matches(r, real[i].miss) != 0)
			fail_msg("%s should not match %s\nfilter: %s", real[i].file, real[i].miss,
				 r->detection);
		sigma_set_free(s);
		n++;
	}
	assert_true(n >= 20);
}

/* Every rule of the copy compiles or says why, with a line; less than
 * one in ten is unsupported. */
static void test_whole_ruleset(void **state)
{
	(void)state;
	const char *dir;
	SIGMADIR(dir);
	char *paths[] = { (char *)dir };
	struct sigma_set *s = NULL;
	char *cause = NULL;
	assert_int_equal(sigma_load(paths, 1, NULL, &s, &cause), 0);
	assert_true(s->n >= 150);
	size_t bad = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct sigma_rule *r = &s->rules[i];
		if (r->st == SIGMA_OK) {
			assert_non_null(r->f);
			assert_non_null(r->ls);
			continue;
		}
		bad++;
		assert_non_null(r->why);
		assert_true(r->why_line > 0);
	}
	print_message("sigma: %zu rules, %zu unsupported (%.1f%%)\n", s->n, bad,
		      100.0 * (double)bad / (double)s->n);
	assert_true(bad * 10 < s->n);
	sigma_set_free(s);

	/* with the placeholders given, every rule compiles */
	struct sigma_vars v = { 0 };
	const char *names[] = { "ApprovedUserUpn", "Approved_Inviters", "Important_AppIds",
				"Known_Location",  "KNOWN_LOCATION",    "UnLegitCountries",
				"UnApprovedIp",    "UnApprovedDevice",  "HomeTenantID" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		sigma_vars_add(&v, names[i], "x");
	assert_int_equal(sigma_load(paths, 1, &v, &s, &cause), 0);
	for (size_t i = 0; i < s->n; i++)
		if (s->rules[i].st != SIGMA_OK)
			fail_msg("%s: %s", s->rules[i].file, s->rules[i].why);
	sigma_set_free(s);
	sigma_vars_clear(&v);
}

/* ------------------------------------------------------------------ */
/* Modifiers and conditions */

#define RULE(det) \
	"title: t\nid: 11111111-2222-3333-4444-555555555555\nlevel: high\nlogsource:\n  product: m365\n  service: audit\ndetection:\n" det

static void test_modifiers(void **state)
{
	(void)state;
	/* plain value: equality, any case; a list is "any of" */
	check(RULE("  sel:\n    Operation:\n      - New-InboxRule\n      - Set-InboxRule\n  condition: sel\n"),
	      "{\"Operation\":\"new-inboxrule\"}", "{\"Operation\":\"New-InboxRules\"}");
	check(RULE("  sel:\n    Operation|contains: InboxRule\n  condition: sel\n"),
	      "{\"Operation\":\"Set-INBOXRULE\"}", "{\"Operation\":\"Set-Mailbox\"}");
	check(RULE("  sel:\n    Operation|startswith: New-\n  condition: sel\n"),
	      "{\"Operation\":\"New-InboxRule\"}", "{\"Operation\":\"Set-New-InboxRule\"}");
	check(RULE("  sel:\n    Operation|endswith: Rule\n  condition: sel\n"),
	      "{\"Operation\":\"New-InboxRule\"}", "{\"Operation\":\"New-InboxRules\"}");
	/* all: every value */
	check(RULE("  sel:\n    UserAgent|contains|all:\n      - python\n      - requests\n  condition: sel\n"),
	      "{\"UserAgent\":\"python-requests/2.31\"}", "{\"UserAgent\":\"python-urllib/3.11\"}");
	/* wildcards: * any run, ? one character, \\* a star */
	check(RULE("  sel:\n    ObjectId: 'a*c?e'\n  condition: sel\n"), "{\"ObjectId\":\"aXYZcde\"}",
	      "{\"ObjectId\":\"aXYZce\"}");
	check(RULE("  sel:\n    ObjectId: 'a\\*b'\n  condition: sel\n"), "{\"ObjectId\":\"a*b\"}",
	      "{\"ObjectId\":\"axb\"}");
	check(RULE("  sel:\n    ObjectId: 'a\\?b'\n  condition: sel\n"), "{\"ObjectId\":\"a?b\"}",
	      "{\"ObjectId\":\"axb\"}");
	check(RULE("  sel:\n    ObjectId: 'C:\\\\x'\n  condition: sel\n"), "{\"ObjectId\":\"C:\\\\x\"}",
	      "{\"ObjectId\":\"C:x\"}");
	/* re: case-sensitive unless re|i */
	check(RULE("  sel:\n    Operation|re: '^(New|Set)-InboxRule$'\n  condition: sel\n"),
	      "{\"Operation\":\"Set-InboxRule\"}", "{\"Operation\":\"set-inboxrule\"}");
	check(RULE("  sel:\n    Operation|re|i: '^(New|Set)-InboxRule$'\n  condition: sel\n"),
	      "{\"Operation\":\"set-inboxrule\"}", "{\"Operation\":\"Remove-InboxRule\"}");
	/* cidr: addresses as logs write them (port, brackets) */
	check(RULE("  sel:\n    ClientIP|cidr: 203.0.113.0/24\n  condition: sel\n"),
	      "{\"ClientIP\":\"203.0.113.61:12045\"}", "{\"ClientIP\":\"203.0.114.61\"}");
	check(RULE("  sel:\n    ClientIP|cidr: '2001:db8::/32'\n  condition: sel\n"),
	      "{\"ClientIP\":\"[2001:db8:3cb:f8::5d6]:443\"}", "{\"ClientIP\":\"2001:db9::1\"}");
	/* base64 and base64offset: the encoded forms, case-sensitive */
	check(RULE("  sel:\n    Payload|base64: 'Invoke-Mimikatz'\n  condition: sel\n"),
	      "{\"Payload\":\"SW52b2tlLU1pbWlrYXR6\"}", "{\"Payload\":\"sw52b2tllu1pbwlryxr6\"}");
	check(RULE("  sel:\n    Payload|base64offset|contains: 'http://'\n  condition: sel\n"),
	      "{\"Payload\":\"ZXZhbCBodHRwOi8vZXZpbA==\"}", "{\"Payload\":\"ZXZhbCBodHRwczovL2V2aWw=\"}");
	/* numbers match numbers and their text; null is an absent field */
	check(RULE("  sel:\n    ResultType: 0\n  condition: sel\n"), "{\"ResultType\":0}",
	      "{\"ResultType\":50126}");
	check(RULE("  sel:\n    ResultType: 0\n  condition: sel\n"), "{\"ResultType\":\"0\"}", "{\"Other\":0}");
	check(RULE("  sel:\n    Operation: x\n    ClientIP: null\n  condition: sel\n"),
	      "{\"Operation\":\"x\"}", "{\"Operation\":\"x\",\"ClientIP\":\"1.2.3.4\"}");
	check(RULE("  sel:\n    Operation: x\n    ClientIP: null\n  condition: sel\n"),
	      "{\"Operation\":\"x\",\"ClientIP\":null}", NULL);
	check(RULE("  sel:\n    ClientIP: ''\n  condition: sel\n"), "{\"ClientIP\":\"\"}",
	      "{\"ClientIP\":\"1.2.3.4\"}");
	check(RULE("  sel:\n    riskScore|gt: 50\n  condition: sel\n"), "{\"riskScore\":75}",
	      "{\"riskScore\":50}");
	check(RULE("  sel:\n    riskScore|lte: 50\n  condition: sel\n"), "{\"riskScore\":\"50\"}",
	      "{\"riskScore\":51}");
	check(RULE("  sel:\n    ClientIP|exists: true\n  condition: sel\n"), "{\"ClientIP\":\"1.2.3.4\"}",
	      "{\"x\":1}");
	check(RULE("  sel:\n    Operation|cased: New-InboxRule\n  condition: sel\n"),
	      "{\"Operation\":\"New-InboxRule\"}", "{\"Operation\":\"new-inboxrule\"}");
	/* keywords: any value anywhere, contains */
	check(RULE("  keywords:\n    - 'listKeys/action'\n    - snapshots/write\n  condition: keywords\n"),
	      "{\"operationName\":{\"value\":\"Microsoft.Storage/storageAccounts/listKeys/action\"}}",
	      "{\"operationName\":{\"value\":\"Microsoft.Storage/storageAccounts/read\"}}");
	/* nested fields, keys holding dots, JSON inside strings, Name/Value */
	check(RULE("  sel:\n    DeviceDetail.trusttype: 'Azure AD joined'\n  condition: sel\n"),
	      "{\"DeviceDetail\":{\"trustType\":\"Azure AD joined\"}}",
	      "{\"DeviceDetail\":{\"trustType\":\"\"}}");
	check(RULE("  sel:\n    Folders.Path|contains: Inbox\n  condition: sel\n"),
	      "{\"Folders\":\"[{\\\"Path\\\":\\\"\\\\\\\\Inbox\\\"}]\"}",
	      "{\"Folders\":\"[{\\\"Path\\\":\\\"\\\\\\\\Sent\\\"}]\"}");
	check(RULE("  sel:\n    Parameters.ForwardTo|endswith: '@proton.me'\n  condition: sel\n"),
	      "{\"Parameters\":[{\"Name\":\"ForwardTo\",\"Value\":\"x@proton.me\"}]}",
	      "{\"Parameters\":[{\"Name\":\"RedirectTo\",\"Value\":\"x@proton.me\"}]}");
}

static void test_conditions(void **state)
{
	(void)state;
	const char *a = "{\"Operation\":\"A\"}", *ab = "{\"Operation\":\"A\",\"Workload\":\"B\"}",
		   *b = "{\"Workload\":\"B\"}", *none = "{\"x\":1}";
	const char *sels =
		"  sel_a:\n    Operation: A\n  sel_b:\n    Workload: B\n  filter:\n    Workload: B\n";
	char y[1024];
	snprintf(y, sizeof y, RULE("%s  condition: sel_a and sel_b\n"), sels);
	check(y, ab, a);
	snprintf(y, sizeof y, RULE("%s  condition: sel_a or sel_b\n"), sels);
	check(y, b, none);
	snprintf(y, sizeof y, RULE("%s  condition: sel_a and not filter\n"), sels);
	check(y, a, ab);
	snprintf(y, sizeof y, RULE("%s  condition: 1 of sel_*\n"), sels);
	check(y, b, none);
	snprintf(y, sizeof y, RULE("%s  condition: all of sel_*\n"), sels);
	check(y, ab, a);
	snprintf(y, sizeof y, RULE("%s  condition: 1 of them\n"), sels);
	check(y, a, none);
	snprintf(y, sizeof y, RULE("%s  condition: all of them\n"), sels);
	check(y, ab, b);
	snprintf(y, sizeof y, RULE("%s  condition: not (sel_a or sel_b)\n"), sels);
	check(y, none, a);
	snprintf(y, sizeof y, RULE("%s  condition: (sel_a or sel_b) and not (sel_a and filter)\n"), sels);
	check(y, a, ab);
	/* "not" binds tighter than "and", "and" than "or" */
	snprintf(y, sizeof y, RULE("%s  condition: not sel_a and sel_b or filter and sel_a\n"), sels);
	check(y, b, a);
	check(y, ab, none);
	/* a list of conditions: any */
	snprintf(y, sizeof y, RULE("%s  condition:\n    - sel_a and sel_b\n    - not sel_a\n"), sels);
	check(y, b, a);
	/* a list of maps: any of them */
	check(RULE("  sel:\n    - Operation: A\n      Workload: B\n    - Operation: C\n  condition: sel\n"),
	      "{\"Operation\":\"C\"}", a);
	/* underscore selections are left out of "them" */
	check(RULE("  sel:\n    Operation: A\n  _helper:\n    Workload: Z\n  condition: all of them\n"), a,
	      none);
}

static void test_expand(void **state)
{
	(void)state;
	const char *y = RULE(
		"  filter:\n    resultType: 0\n    location|contains|expand: '%KNOWN_LOCATION%'\n  condition: not filter\n");
	/* unset: unsupported, never broader */
	struct sigma_set *s = rule_text(y, NULL);
	assert_int_equal(s->rules[0].st, SIGMA_UNSUPPORTED);
	assert_non_null(strstr(s->rules[0].why, "%KNOWN_LOCATION%"));
	assert_int_equal(s->rules[0].why_line, 10);
	sigma_set_free(s);
	struct sigma_vars v = { 0 };
	char *cause = NULL;
	assert_int_equal(sigma_vars_add_arg(&v, "KNOWN_LOCATION=NL", &cause), 0);
	assert_int_equal(sigma_vars_add_arg(&v, "%KNOWN_LOCATION%=DE", &cause), 0);
	assert_int_equal(sigma_vars_add_arg(&v, "novalue", &cause), -1);
	free(cause);
	s = rule_text(y, &v);
	struct sigma_rule *r = &s->rules[0];
	assert_int_equal(r->st, SIGMA_OK);
	assert_int_equal(matches(r, "{\"resultType\":0,\"location\":{\"countryOrRegion\":\"FR\"}}"), 1);
	assert_int_equal(matches(r, "{\"resultType\":0,\"location\":{\"countryOrRegion\":\"DE\"}}"), 0);
	assert_int_equal(matches(r, "{\"resultType\":0,\"location\":{\"countryOrRegion\":\"NL\"}}"), 0);
	sigma_set_free(s);
	sigma_vars_clear(&v);
	/* a file of values */
	char *dir = tmpdir_new();
	const char *vy = "KNOWN_LOCATION:\n  - NL\n  - DE\n";
	char *vp = write_file(dir, "vars.yml", vy, strlen(vy));
	assert_int_equal(sigma_vars_load(&v, vp, &cause), 0);
	assert_int_equal(v.n, 2);
	sigma_vars_clear(&v);
	free(vp);
	tmpdir_remove(dir);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* Errors: each its rule's alone */

static void expect_unsupported(const char *yaml, const char *what, int line)
{
	struct sigma_set *s = rule_text(yaml, NULL);
	struct sigma_rule *r = &s->rules[0];
	if (r->st != SIGMA_UNSUPPORTED)
		fail_msg("should be unsupported (%s)", what);
	if (!strstr(r->why, what))
		fail_msg("'%s' does not say '%s'", r->why, what);
	if (line)
		assert_int_equal(r->why_line, line);
	sigma_set_free(s);
}

static void test_errors(void **state)
{
	(void)state;
	expect_unsupported("title: t\ndetection:\n  sel:\n    a: [b\n  condition: sel\n", "malformed YAML", 0);
	expect_unsupported(RULE("  sel:\n    CommandLine|windash: x\n  condition: sel\n"),
			   "unknown modifier 'windash'", 9);
	expect_unsupported(RULE("  sel:\n    a: b\n  condition: sel | count() > 5\n"), "aggregation", 0);
	expect_unsupported(RULE("  sel:\n    a: b\n  condition: sel and other\n"), "'other'", 0);
	expect_unsupported(RULE("  sel:\n    a: b\n  condition: 1 of filter_*\n"), "names no selection", 0);
	expect_unsupported(RULE("  sel:\n    a|re: '(unclosed'\n  condition: sel\n"),
			   "bad regular expression", 9);
	expect_unsupported(RULE("  sel:\n    a|cidr: 300.1.1.1/8\n  condition: sel\n"), "address block", 9);
	expect_unsupported("title: c\ncorrelation:\n  type: event_count\n  rules: [x]\n", "correlation", 3);
	expect_unsupported("title: t\nlogsource:\n  product: windows\n  service: security\ndetection:\n  sel:\n    a: b\n"
			   "  condition: sel\n",
			   "not mapped", 0);
	/* 10,000 selections */
	size_t cap = 10000 * 40 + 512, n = 0;
	char *big = xmalloc(cap);
	n += (size_t)snprintf(big + n, cap - n, "%s", RULE(""));
	for (int i = 0; i < 10000; i++)
		n += (size_t)snprintf(big + n, cap - n, "  sel%d:\n    Operation: op%d\n", i, i);
	snprintf(big + n, cap - n, "  condition: 1 of sel*\n");
	expect_unsupported(big, "more than 1000 selections", 0);
	free(big);

	/* a regex that backtracks without end: an error, not a hang */
	struct sigma_set *s = rule_text(RULE("  sel:\n    Operation|re: '^(a+)+$'\n  condition: sel\n"), NULL);
	assert_int_equal(s->rules[0].st, SIGMA_OK);
	char rec[256] = "{\"Operation\":\"";
	size_t k = strlen(rec);
	for (int i = 0; i < 40; i++)
		rec[k++] = 'a';
	snprintf(rec + k, sizeof rec - k, "b\"}");
	char *why = NULL;
	assert_int_equal(filter_match_record(s->rules[0].f, rec, strlen(rec), &why), -1);
	assert_non_null(strstr(why, "match limit"));
	free(why);
	why = NULL;
	sigma_set_free(s);

	/* filter text: sigma terms print back, and say what is wrong */
	const char *good[] = { "sigma.Operation|contains=New-InboxRule,Set-InboxRule",
			       "sigma.ResultType!=0",
			       "sigma|contains=listKeys",
			       "sigma.a.b|re|i=\"^x y$\"",
			       "sigma.ClientIP|exists=false",
			       "sigma.x=\"\"" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct filter *f = filter_parse(good[i], &why);
		if (!f)
			fail_msg("%s: %s", good[i], why);
		char *c = filter_canonical(f);
		assert_string_equal(c, good[i]);
		free(c);
		filter_free(f);
	}
	assert_null(filter_parse("sigma.a|bogus=1", &why));
	assert_non_null(strstr(why, "unknown modifier 'bogus'"));
	free(why);
	why = NULL;
	assert_null(filter_parse("sigma.a~x", &why));
	assert_non_null(strstr(why, "= or !="));
	free(why);
	why = NULL;
	assert_null(filter_parse("sigma.a|re=(x", &why));
	assert_non_null(strstr(why, "bad regular expression"));
	free(why);
	why = NULL;
}

/* ------------------------------------------------------------------ */
/* On a case */

static struct store *load_case(const char *dir, const char *input)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/t.case", dir);
	struct store *st = NULL;
	char *cause = NULL;
	if (store_open(path, STORE_CREATE, &st, &cause) < 0)
		fail_msg("%s", cause);
	const char *paths[] = { input };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (ingest_paths(st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(st, &cause) < 0)
		fail_msg("%s", cause);
	return st;
}

static size_t rule_index(const struct sigma_set *s, const char *title)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->rules[i].title && !strcmp(s->rules[i].title, title))
			return i;
	fail_msg("no rule '%s'", title);
	return 0;
}

static bool has_event(const struct sigma_hit_list *h, struct store *st, const char *record_id)
{
	char *f = xasprintf("record_id=%s", record_id);
	struct query *q = NULL;
	assert_int_equal(query_new(st, f, &q, NULL), 0);
	struct query_page p = { 0 };
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 10, &p, NULL), 0);
	bool found = false;
	for (size_t i = 0; i < p.n && !found; i++)
		for (size_t k = 0; k < h->nevents; k++)
			found |= h->events[k] == p.rows[i].id;
	query_page_free(&p);
	query_free(q);
	free(f);
	return found;
}

static int stop_now(void *ctx, double done)
{
	(void)ctx;
	(void)done;
	return 1;
}

/* Rules that fail, rules that match and rules of logs the case lacks, in
 * one run: the runner agrees with the filter engine's SQL. */
static void test_run_case(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	const char *recs =
		"{\"CreationTime\":\"2023-06-18T02:38:46\",\"Id\":\"r1\",\"Operation\":\"New-InboxRule\",\"RecordType\":1,"
		"\"UserId\":\"a@contoso.com\",\"Workload\":\"Exchange\",\"ClientIP\":\"203.0.113.61:1\","
		"\"Parameters\":[{\"Name\":\"ForwardTo\",\"Value\":\"x@proton.example\"}]}\n"
		"{\"CreationTime\":\"2023-06-18T02:39:46\",\"Id\":\"r2\",\"Operation\":\"New-InboxRule\",\"RecordType\":1,"
		"\"UserId\":\"b@contoso.com\",\"Workload\":\"Exchange\",\"ClientIP\":\"198.51.100.1\","
		"\"Parameters\":[{\"Name\":\"MoveToFolder\",\"Value\":\"RSS\"}]}\n"
		"{\"CreationTime\":\"2023-06-18T02:40:46\",\"Id\":\"r3\",\"Operation\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\","
		"\"RecordType\":1,\"UserId\":\"c@contoso.com\",\"Workload\":\"Exchange\"}\n";
	char *in = write_file(dir, "ual.jsonl", recs, strlen(recs));
	struct store *st = load_case(dir, in);
	const char *rules =
		"title: fwd\nlogsource: {product: m365, service: audit}\ndetection:\n  sel:\n    Operation: New-InboxRule\n"
		"    Parameters|contains: ForwardTo\n  condition: sel\n"
		"---\n"
		"title: slow\nlogsource: {product: m365, service: audit}\ndetection:\n  sel:\n    Operation|re: '^(a+)+$'\n"
		"  condition: sel\n"
		"---\n"
		"title: net\nlogsource: {product: m365, service: exchange}\ndetection:\n  sel:\n    ClientIP|cidr: 203.0.113.0/24\n"
		"  condition: sel\n"
		"---\n"
		"title: notfwd\nlogsource: {product: m365, service: audit}\ndetection:\n  sel:\n    Operation: New-InboxRule\n"
		"  filter:\n    Parameters|contains: ForwardTo\n  condition: sel and not filter\n"
		"---\n"
		"title: signins\nlogsource: {product: azure, service: signinlogs}\ndetection:\n  sel:\n    ResultType: 0\n"
		"  condition: sel\n"
		"---\n"
		"title: pim\nlogsource: {product: azure, service: pim}\ndetection:\n  sel:\n    riskEventType: x\n"
		"  condition: sel\n"
		"---\n"
		"title: bad\nlogsource: {product: m365, service: audit}\ndetection:\n  sel:\n    a|nope: b\n  condition: sel\n";
	struct sigma_set *set = xcalloc(1, sizeof *set);
	sigma_load_text(set, "rules.yml", rules, strlen(rules), NULL);
	assert_int_equal(set->n, 7);
	struct sigma_run *run = NULL;
	char *cause = NULL;
	if (sigma_run_case(st, set, NULL, NULL, &run, &cause) < 0)
		fail_msg("%s", cause);
	struct sigma_hit_list *h = run->hits;
	assert_int_equal(h[0].outcome, SIGMA_RUN);
	assert_int_equal(h[0].nevents, 1);
	assert_true(has_event(&h[0], st, "r1"));
	assert_int_equal(h[1].outcome, SIGMA_FAILED);
	assert_non_null(strstr(h[1].why, "match limit"));
	assert_int_equal(h[2].nevents, 1);
	assert_true(has_event(&h[2], st, "r1"));
	assert_int_equal(h[3].nevents, 1);
	assert_true(has_event(&h[3], st, "r2"));
	assert_int_equal(h[4].outcome, SIGMA_SKIPPED);
	assert_non_null(strstr(h[4].why, "no Entra sign-ins"));
	assert_int_equal(h[5].outcome, SIGMA_SKIPPED);
	assert_int_equal(h[6].outcome, SIGMA_NOT_RUN);
	assert_int_equal(run->ran, 3);
	assert_int_equal(run->matched, 3);
	assert_int_equal(run->skipped, 2);
	assert_int_equal(run->unsupported, 1);
	assert_int_equal(run->failed, 1);
	/* a cancelled run says so and returns nothing */
	struct sigma_run *stopped = NULL;
	assert_int_equal(sigma_run_case(st, set, stop_now, NULL, &stopped, &cause), -1);
	assert_string_equal(cause, "interrupted");
	assert_null(stopped);
	free(cause);
	cause = NULL;
	/* the same through the filter engine's SQL */
	size_t same[] = { 0, 2, 3 };
	for (size_t i = 0; i < 3; i++) {
		const struct sigma_rule *r = &set->rules[same[i]];
		int64_t n = query_count_text(st, r->filter, &cause);
		if (n < 0)
			fail_msg("%s: %s", r->filter, cause);
		assert_int_equal(n, (int64_t)h[same[i]].nevents);
	}
	/* the explanation names the selection, field and value */
	size_t len;
	char *raw = store_raw(st, h[0].events[0], &len);
	char *why = sigma_explain(&set->rules[0], raw, len);
	assert_non_null(why);
	assert_non_null(strstr(why, "sel matched"));
	assert_non_null(strstr(why, "Operation = New-InboxRule"));
	assert_non_null(strstr(why, "Parameters = "));
	free(why);
	free(raw);
	sigma_run_free(run);
	sigma_set_free(set);
	store_close(st);
	free(in);
	tmpdir_remove(dir);
	free(dir);
}

/* The demo bundle: the planted inbox rule and the consent are found by
 * the SigmaHQ rules written for them. */
static void test_demo(void **state)
{
	(void)state;
	const char *sdir;
	SIGMADIR(sdir);
	char *dir = tmpdir_new();
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char cmd[8192], path[4096];
	snprintf(cmd, sizeof cmd, "'%s/auditgen' --bundle '%s/bundle' >/dev/null", build, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof path, "%s/bundle/manifest.json", dir);
	json_t *m = json_load_file(path, 0, NULL);
	assert_non_null(m);
	json_t *planted = json_object_get(m, "planted");
	unlink(path);
	snprintf(path, sizeof path, "%s/bundle", dir);
	struct store *st = load_case(dir, path);
	char *paths[] = { (char *)sdir };
	struct sigma_set *set = NULL;
	char *cause = NULL;
	assert_int_equal(sigma_load(paths, 1, NULL, &set, &cause), 0);
	struct sigma_run *run = NULL;
	if (sigma_run_case(st, set, NULL, NULL, &run, &cause) < 0)
		fail_msg("%s", cause);
	const char *rule_rid =
		json_string_value(json_object_get(json_object_get(planted, "inbox_rule"), "record_id"));
	assert_non_null(rule_rid);
	assert_true(has_event(&run->hits[rule_index(set, "Mail Forwarding/Redirecting Activity In O365")], st,
			      rule_rid));
	assert_true(has_event(&run->hits[rule_index(set, "Inbox Rules Creation Or Update Activity in O365")],
			      st, rule_rid));
	json_t *consent = json_object_get(planted, "consent");
	json_t *ops = json_object_get(consent, "operations"), *ids = json_object_get(consent, "record_ids");
	bool grant = false, sp = false;
	for (size_t i = 0; i < json_array_size(ops); i++) {
		const char *op = json_string_value(json_array_get(ops, i));
		const char *rid = json_string_value(json_array_get(ids, i));
		if (!strcmp(op, "Add delegated permission grant.")) {
			grant = true;
			assert_true(
				has_event(&run->hits[rule_index(set, "Delegated Permissions Granted For All Users")],
					  st, rid));
			assert_true(has_event(&run->hits[rule_index(set, "App Granted Microsoft Permissions")],
					      st, rid));
		}
		if (!strcmp(op, "Add service principal.")) {
			sp = true;
			assert_true(has_event(&run->hits[rule_index(set, "Azure Service Principal Created")],
					      st, rid));
		}
	}
	assert_true(grant && sp);
	/* three threads, each with its share of the ids, find the same */
	setenv("AUDITSCOPE_SIGMA_THREADS", "3", 1);
	struct sigma_run *run3 = NULL;
	if (sigma_run_case(st, set, NULL, NULL, &run3, &cause) < 0)
		fail_msg("%s", cause);
	unsetenv("AUDITSCOPE_SIGMA_THREADS");
	assert_int_equal(run3->scanned, run->scanned);
	assert_int_equal(run3->matched, run->matched);
	for (size_t i = 0; i < set->n; i++) {
		assert_int_equal(run3->hits[i].outcome, run->hits[i].outcome);
		assert_int_equal(run3->hits[i].nevents, run->hits[i].nevents);
		for (size_t k = 0; k < run->hits[i].nevents; k++)
			assert_int_equal(run3->hits[i].events[k], run->hits[i].events[k]);
	}
	sigma_run_free(run3);
	/* the forwarding rule finds the planted rule and the planted
	 * Set-Mailbox forwarding, nothing else of the demo */
	size_t fwd = rule_index(set, "Mail Forwarding/Redirecting Activity In O365");
	assert_int_equal(run->hits[fwd].nevents, 2);
	json_decref(m);
	sigma_run_free(run);
	sigma_set_free(set);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* The real exports of ../shared/realdata: the rules written for risk
 * detections, the Activity log and inbox rules find what those files
 * hold (counted in the files themselves). */
static void test_realdata(void **state)
{
	(void)state;
	const char *sdir;
	SIGMADIR(sdir);
	char rd[4096];
	REALDATA("", rd);
	char *dir = tmpdir_new();
	struct store *st = load_case(dir, rd);
	char *paths[] = { (char *)sdir };
	struct sigma_set *set = NULL;
	char *cause = NULL;
	assert_int_equal(sigma_load(paths, 1, NULL, &set, &cause), 0);
	struct sigma_run *run = NULL;
	if (sigma_run_case(st, set, NULL, NULL, &run, &cause) < 0)
		fail_msg("%s", cause);
	static const struct {
		const char *title;
		size_t hits;
	} want[] = {
		{ "Atypical Travel", 15 },      /* unlikelyTravel rows of extractor-riskydetections.csv */
		{ "Anonymous IP Address", 19 }, /* anonymizedIPAddress rows */
		{ "Inbox Rules Creation Or Update Activity in O365", 38 }, /* purview-portal-export.csv */
		{ "Granting Of Permissions To An Account", 2 }, /* loganalytics-api-response.json */
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		size_t r = rule_index(set, want[i].title);
		if (run->hits[r].nevents != want[i].hits)
			fail_msg("%s: %zu hits, expected %zu", want[i].title, run->hits[r].nevents,
				 want[i].hits);
		/* and the filter engine's SQL agrees */
		assert_int_equal(query_count_text(st, set->rules[r].filter, NULL), (int64_t)want[i].hits);
	}
	assert_int_equal(run->failed, 0);
	sigma_run_free(run);
	sigma_set_free(set);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_rules), cmocka_unit_test(test_whole_ruleset),
		cmocka_unit_test(test_modifiers),  cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_expand),     cmocka_unit_test(test_errors),
		cmocka_unit_test(test_run_case),   cmocka_unit_test(test_demo),
		cmocka_unit_test(test_realdata),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
