/*
 * test_hunt_shapes.c: hunts on shapes the sample bundle does not have
 * (synthetic records), on an empty case, and on the real exports in
 * ../shared/realdata.
 */
#include "hunt_util.h"

/* --- shapes the sample bundle does not have --- */

/* One UAL record as a JSON line: id, second of the day, operation, user,
 * and the rest of the members as JSON text. */
static void ual(FILE *f, int id, int sec, const char *op, const char *user, const char *rest)
{
	fprintf(f,
		"{\"CreationTime\":\"2023-06-16T10:%02d:%02d\",\"Id\":\"00000000-0000-0000-0000-%012d\","
		"\"Operation\":\"%s\",\"RecordType\":1,\"ResultStatus\":\"True\",\"Workload\":\"Exchange\","
		"\"UserId\":\"%s\",\"ClientIP\":\"203.0.113.7:1234\"%s%s}\n",
		sec / 60, sec % 60, id, op, user, rest[0] ? "," : "", rest);
}

static void test_synthetic_shapes(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char *in = xasprintf("%s/in", dir);
	assert_int_equal(mkdir(in, 0700), 0);
	char *path = xasprintf("%s/ual.jsonl", in);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	/* UAL records: operation, user, the rest of the members; record i
	 * (from 1) has id i and second i of the day */
	static const struct {
		const char *op, *user, *rest;
	} recs[] = {
		/* inbox rules: Outlook's own edit, a lower-case cmdlet, punctuation, a
		 * benign rule, a soft delete, a removal by Outlook */
		{ "UpdateInboxRules", "amy@contoso.com",
		  "\"MailboxOwnerUPN\":\"amy@contoso.com\",\"OperationProperties\":["
		  "{\"Name\":\"RuleActions\",\"Value\":\"[{\\\"ActionType\\\":\\\"Forward\\\",\\\"Recipients\\\":[\\\"a@evil.example\\\"]},"
		  "{\\\"ActionType\\\":\\\"MoveToFolder\\\",\\\"Folder\\\":\\\"Deleted Items\\\"}]\"},"
		  "{\"Name\":\"RuleName\",\"Value\":\"x\"},{\"Name\":\"RuleOperation\",\"Value\":\"AddMailboxRule\"}]" },
		{ "UpdateInboxRules", "amy@contoso.com",
		  "\"OperationProperties\":[{\"Name\":\"RuleActions\",\"Value\":\"[{\\\"ActionType\\\":\\\"Delete\\\"}]\"},"
		  "{\"Name\":\"RuleName\",\"Value\":\"y\"},{\"Name\":\"RuleOperation\",\"Value\":\"RemoveMailboxRule\"}]" },
		{ "set-InboxRule", "bob@contoso.com",
		  "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"bob@contoso.com\\\\Weekly\"},"
		  "{\"Name\":\"RedirectTo\",\"Value\":\"x@evil.example\"}]" },
		{ "Enable-InboxRule", "carol@contoso.com",
		  "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"carol@contoso.com\\\\..\"}]" },
		{ "New-InboxRule", "dave@contoso.com",
		  "\"Parameters\":[{\"Name\":\"Name\",\"Value\":\"Newsletters\"},{\"Name\":\"MoveToFolder\",\"Value\":\"Newsletters\"}]" },
		{ "New-InboxRule", "dave@contoso.com",
		  "\"Parameters\":[{\"Name\":\"Name\",\"Value\":\"Cleanup\"},{\"Name\":\"SoftDeleteMessage\",\"Value\":\"True\"}]" },
		/* forwarding and delegation */
		{ "Add-RecipientPermission", "admin@contoso.com",
		  "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"ceo@contoso.com\"},{\"Name\":\"Trustee\",\"Value\":\"eve@contoso.com\"},"
		  "{\"Name\":\"AccessRights\",\"Value\":\"SendAs\"}]" },
		{ "New-TransportRule", "admin@contoso.com",
		  "\"Parameters\":[{\"Name\":\"Name\",\"Value\":\"Journal\"},{\"Name\":\"BlindCopyTo\",\"Value\":\"drop@evil.example\"}]" },
		{ "Set-Mailbox", "admin@contoso.com",
		  "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"ceo@contoso.com\"},{\"Name\":\"ForwardingSmtpAddress\",\"Value\":\"\"}]" },
		{ "Add-MailboxPermission", "admin@contoso.com",
		  "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"ceo@contoso.com\"},{\"Name\":\"User\",\"Value\":\"eve@contoso.com\"},"
		  "{\"Name\":\"AccessRights\",\"Value\":\"ReadPermission\"}]" },
		/* audit settings */
		{ "Set-Mailbox", "admin@contoso.com",
		  "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"ceo@contoso.com\"},{\"Name\":\"AuditEnabled\",\"Value\":\"False\"}]" },
		{ "Set-MailboxAuditBypassAssociation", "admin@contoso.com",
		  "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"svc@contoso.com\"},{\"Name\":\"AuditBypassEnabled\",\"Value\":\"True\"}]" },
		{ "Set-AdminAuditLogConfig", "admin@contoso.com",
		  "\"Parameters\":[{\"Name\":\"AdminAuditLogEnabled\",\"Value\":\"True\"}]" },
	};
	for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++)
		ual(f, (int)i + 1, (int)i + 1, recs[i].op, recs[i].user, recs[i].rest);
	/* logons: a spray (six accounts fail from one IP, one of them then
	 * gets in), an office address (five accounts fail, and as many
	 * succeed meanwhile) and four accounts failing (too few) */
	static const struct {
		int minute;
		const char *op, *user, *ip;
	} logons[] = {
		{ 1, "UserLoginFailed", "s1@contoso.com", "198.51.100.9" },
		{ 2, "UserLoginFailed", "s2@contoso.com", "198.51.100.9" },
		{ 3, "UserLoginFailed", "s3@contoso.com", "198.51.100.9" },
		{ 4, "UserLoginFailed", "s4@contoso.com", "198.51.100.9" },
		{ 5, "UserLoginFailed", "s5@contoso.com", "198.51.100.9" },
		{ 6, "UserLoginFailed", "s6@contoso.com", "198.51.100.9" },
		{ 30, "UserLoggedIn", "s3@contoso.com", "198.51.100.9" },
		{ 10, "UserLoginFailed", "o1@contoso.com", "192.0.2.10" },
		{ 11, "UserLoginFailed", "o2@contoso.com", "192.0.2.10" },
		{ 12, "UserLoggedIn", "p1@contoso.com", "192.0.2.10" },
		{ 12, "UserLoggedIn", "p2@contoso.com", "192.0.2.10" },
		{ 12, "UserLoggedIn", "p3@contoso.com", "192.0.2.10" },
		{ 12, "UserLoggedIn", "p4@contoso.com", "192.0.2.10" },
		{ 12, "UserLoggedIn", "p5@contoso.com", "192.0.2.10" },
		{ 12, "UserLoginFailed", "o3@contoso.com", "192.0.2.10" },
		{ 13, "UserLoginFailed", "o4@contoso.com", "192.0.2.10" },
		{ 14, "UserLoginFailed", "o5@contoso.com", "192.0.2.10" },
		{ 20, "UserLoginFailed", "t1@contoso.com", "198.51.100.20" },
		{ 21, "UserLoginFailed", "t2@contoso.com", "198.51.100.20" },
		{ 22, "UserLoginFailed", "t3@contoso.com", "198.51.100.20" },
		{ 23, "UserLoginFailed", "t4@contoso.com", "198.51.100.20" },
	};
	for (size_t i = 0; i < sizeof logons / sizeof logons[0]; i++)
		fprintf(f,
			"{\"CreationTime\":\"2023-06-16T11:%02d:%02zu\",\"Id\":\"00000000-0000-0000-0000-%012zu\","
			"\"Operation\":\"%s\",\"RecordType\":15,\"ResultStatus\":\"%s\",\"Workload\":\"AzureActiveDirectory\","
			"\"UserId\":\"%s\",\"ClientIP\":\"%s\"}\n",
			logons[i].minute, i, 100 + i, logons[i].op,
			strcmp(logons[i].op, "UserLoggedIn") ? "Failed" : "Succeeded", logons[i].user,
			logons[i].ip);
	fclose(f);
	free(path);
	/* a Sentinel row: Parameters as JSON text */
	path = xasprintf("%s/sentinel.jsonl", in);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"{\"TenantId\":\"t\",\"SourceSystem\":\"OfficeActivityManager\",\"RecordType\":\"1\","
		"\"TimeGenerated\":\"2023-06-16T10:01:00Z\",\"Operation\":\"New-InboxRule\",\"UserType\":\"Regular\","
		"\"OfficeWorkload\":\"Exchange\",\"ResultStatus\":\"True\",\"OfficeId\":\"00000000-0000-0000-0000-000000000020\","
		"\"SourceRecordId\":\"00000000-0000-0000-0000-000000000020\",\"UserId\":\"fay@contoso.com\","
		"\"ClientIP\":\"203.0.113.8\",\"Parameters\":\"[{\\\"Name\\\":\\\"Name\\\",\\\"Value\\\":\\\"Invoices\\\"},"
		"{\\\"Name\\\":\\\"ForwardAsAttachmentTo\\\",\\\"Value\\\":\\\"ap@evil.example\\\"}]\",\"Type\":\"OfficeActivity\"}\n");
	fclose(f);
	free(path);
	/* the Graph audit query: the record inside auditData */
	path = xasprintf("%s/graph.json", in);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"[{\"id\":\"00000000-0000-0000-0000-000000000030\",\"createdDateTime\":\"2023-06-16T10:02:00Z\","
		"\"auditLogRecordType\":\"exchangeAdmin\",\"operation\":\"New-InboxRule\",\"userPrincipalName\":\"gus@contoso.com\","
		"\"clientIp\":\"203.0.113.9\",\"service\":\"Exchange\",\"auditData\":{\"CreationTime\":\"2023-06-16T10:02:00\","
		"\"Id\":\"00000000-0000-0000-0000-000000000030\",\"Operation\":\"New-InboxRule\",\"RecordType\":1,"
		"\"UserId\":\"gus@contoso.com\",\"ClientIP\":\"203.0.113.9\",\"Workload\":\"Exchange\",\"Parameters\":["
		"{\"Name\":\"Name\",\"Value\":\"Sync\"},{\"Name\":\"MoveToFolder\",\"Value\":\"gus@contoso.com:\\\\RSS Subscriptions\"}]}}]\n");
	fclose(f);
	free(path);

	struct store *st = load_case(dir, "syn.case", in);
	assert_non_null(st);
	struct hunt_result *r = run(st, HUNT_INBOX_RULES);
	/* rule name -> why */
	static const struct {
		const char *rule, *mailbox, *why[3];
	} want[] = {
		{ "x", "amy@contoso.com", { "forwards", "moves to Deleted Items", "name of 1 character" } },
		{ "Weekly", "bob@contoso.com", { "redirects to x@evil.example", NULL, NULL } },
		{ "..", "carol@contoso.com", { "name of 2 characters, punctuation only", NULL, NULL } },
		{ "Cleanup", "dave@contoso.com", { "deletes", NULL, NULL } },
		{ "Invoices", "fay@contoso.com", { "forwards as attachment to ap@evil.example", NULL, NULL } },
		{ "Sync", "gus@contoso.com", { "moves to RSS Subscriptions", NULL, NULL } },
	};
	assert_int_equal(r->nrows, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < r->nrows; i++) {
		assert_string_equal(cell(r, i, "rule"), want[i].rule);
		assert_string_equal(cell(r, i, "mailbox"), want[i].mailbox);
		for (int k = 0; k < 3 && want[i].why[k]; k++)
			if (!strstr(cell(r, i, "why"), want[i].why[k]))
				fail_msg("rule %s: '%s' lacks '%s'", want[i].rule, cell(r, i, "why"),
					 want[i].why[k]);
	}
	/* a folder named Deleted Items is not a delete action */
	assert_null(strstr(cell(r, 0, "why"), "deletes"));
	hunt_result_free(r);

	r = run(st, HUNT_FORWARDING);
	static const struct cell_want fwd[] = {
		{ 0, "op", "Add-RecipientPermission" },
		{ 0, "target", "ceo@contoso.com" },
		{ 0, "why", "SendAs for eve@contoso.com" },
		{ 1, "op", "New-TransportRule" },
		{ 1, "target", "Journal" },
		{ 1, "why", "BlindCopyTo drop@evil.example" },
	};
	assert_int_equal(r->nrows, 2);
	assert_cells(r, fwd, sizeof fwd / sizeof fwd[0]);
	hunt_result_free(r);

	r = run(st, HUNT_PASSWORD_SPRAY);
	static const struct cell_want spray[] = {
		{ 0, "ip", "198.51.100.9" }, { 0, "accounts", "6" },           { 0, "failures", "6" },
		{ 0, "signed_in", "1" },     { 0, "users", "s3@contoso.com" },
	};
	assert_int_equal(r->nrows, 1);
	assert_cells(r, spray, sizeof spray / sizeof spray[0]);
	assert_true(r->rows[0].hit);
	assert_int_equal(r->rows[0].nevents, 7);
	assert_string_equal(r->rows[0].reason,
			    "6 accounts failed from one IP within a day (6 failures), then 1 of them signed in from it");
	assert_int_equal(r->rows[0].score, 50 + 3 + 20);
	assert_string_equal(r->rows[0].filter,
			    "ip=198.51.100.9 time>=2023-06-16T11:01:00Z time<2023-06-16T11:30:07Z");
	hunt_result_free(r);

	r = run(st, HUNT_ANTI_FORENSICS);
	assert_int_equal(r->nrows, 3);
	assert_int_equal(r->nhits, 2);
	static const struct cell_want anti[] = {
		{ 0, "why", "mailbox auditing turned off" },
		{ 0, "target", "ceo@contoso.com" },
		{ 1, "why", "AuditBypassEnabled=True" },
		{ 2, "op", "Set-AdminAuditLogConfig" },
	};
	assert_cells(r, anti, sizeof anti / sizeof anti[0]);
	assert_true(r->rows[0].hit);
	assert_true(r->rows[1].hit);
	assert_false(r->rows[2].hit);
	assert_null(r->rows[2].events);
	hunt_result_free(r);
	store_close(st);
	tmpdir_remove(dir);
	free(in);
	free(dir);
}

/* --- an empty case and the real exports --- */

static void test_empty_case(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char *path = xasprintf("%s/empty.case", dir);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &st, &cause), 0);
	for (int h = 0; h < HUNT_COUNT; h++) {
		struct hunt_result *r = run(st, (enum hunt_id)h);
		assert_int_equal(r->nrows, 0);
		hunt_result_free(r);
	}
	struct hunt_flags *f;
	assert_int_equal(hunt_flagged(st, NULL, &f, &cause), 0);
	assert_int_equal(hunt_flags_count(f), 0);
	hunt_flags_free(f);
	store_close(st);
	tmpdir_remove(dir);
	free(path);
	free(dir);
}

static void test_realdata_purview(void **state)
{
	(void)state;
	char file[4096];
	REALDATA("purview-portal-export.csv", file);
	char *dir = tmpdir_new();
	struct store *st = load_case(dir, "p.case", file);
	assert_non_null(st);
	/* 38 New-InboxRule: 37 move to Conversation History, all with a
	 * one-character name, all mark as read */
	struct hunt_result *r = run(st, HUNT_INBOX_RULES);
	assert_int_equal(r->nrows, 38);
	size_t conv = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		const char *why = cell(r, i, "why");
		assert_int_equal(strlen(cell(r, i, "rule")), 1);
		assert_non_null(strstr(why, "name of 1 character"));
		assert_non_null(strstr(why, "marks as read"));
		conv += strstr(why, "moves to Conversation History") != NULL;
		assert_string_equal(cell(r, i, "op"), "New-InboxRule");
	}
	assert_int_equal(conv, 37);
	hunt_result_free(r);
	/* the three Add service principal. records */
	r = run(st, HUNT_OAUTH_CONSENT);
	assert_int_equal(r->nrows, 3);
	for (size_t i = 0; i < r->nrows; i++) {
		assert_string_equal(cell(r, i, "op"), "Add service principal.");
		assert_non_null(cell(r, i, "app"));
		assert_non_null(cell(r, i, "app_name"));
	}
	hunt_result_free(r);
	/* Set-AdminAuditLogConfig turning auditing on is listed, not a finding */
	r = run(st, HUNT_ANTI_FORENSICS);
	assert_int_equal(r->nrows, 1);
	assert_int_equal(r->nhits, 0);
	assert_non_null(strstr(cell(r, 0, "why"), "AdminAuditLogEnabled=True"));
	hunt_result_free(r);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* The OTRF sample: Graph reading mail for a third-party client app. */
static void test_realdata_sentinel(void **state)
{
	(void)state;
	char file[4096];
	REALDATA("sentinel-officeactivity.jsonl", file);
	char *dir = tmpdir_new();
	struct store *st = load_case(dir, "s.case", file);
	assert_non_null(st);
	struct hunt_result *r = run(st, HUNT_RARE_APPS);
	assert_int_equal(r->nrows, 1);
	assert_true(r->rows[0].hit);
	assert_string_equal(cell(r, 0, "app"), "00000003-0000-0000-c000-000000000000");
	assert_string_equal(cell(r, 0, "app_name"), "Microsoft Graph");
	assert_string_equal(cell(r, 0, "client_app"), "5a95e683-08ad-424e-a441-1d1aec52c02c");
	assert_non_null(strstr(cell(r, 0, "why"), "client app is not a known Microsoft app"));
	assert_int_equal(r->rows[0].nevents, 1);
	hunt_result_free(r);
	/* one event: no baseline before it, so nothing is "new" */
	r = run(st, HUNT_NEW_APP_FOR_MAILBOX);
	assert_int_equal(r->nrows, 0);
	hunt_result_free(r);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* Entra sign-ins whose result says they failed ("Failure (50126: ...)",
 * any code, read by its text at the hunt's end: hunt_logons.c,
 * logons_failures) count as failed logons; their successes ("Success")
 * end a run; the UAL's UserLoginFailed counts whatever its result. */
static void test_signin_failure_results(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char *in = xasprintf("%s/in", dir);
	assert_int_equal(mkdir(in, 0700), 0);
	char *path = xasprintf("%s/signins.json", in);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	/* minute, user, ip, error code (0: success) */
	static const struct {
		int minute;
		const char *user, *ip;
		int code;
	} s[] = {
		/* a guess: two failures of other codes from a new IP, then in */
		{ 0, "kim@contoso.com", "198.51.100.50", 50126 },
		{ 5, "kim@contoso.com", "198.51.100.50", 50053 },
		{ 9, "kim@contoso.com", "198.51.100.50", 0 },
		/* one failure only: no row */
		{ 20, "lee@contoso.com", "198.51.100.60", 50126 },
		{ 21, "lee@contoso.com", "198.51.100.60", 0 },
		/* a spray: six accounts fail from one IP */
		{ 30, "a1@contoso.com", "198.51.100.70", 50126 },
		{ 31, "a2@contoso.com", "198.51.100.70", 50126 },
		{ 32, "a3@contoso.com", "198.51.100.70", 50053 },
		{ 33, "a4@contoso.com", "198.51.100.70", 50126 },
		{ 34, "a5@contoso.com", "198.51.100.70", 50074 },
		{ 35, "a6@contoso.com", "198.51.100.70", 50126 },
	};
	fputs("[", f);
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		fprintf(f,
			"%s{\"id\":\"00000000-0000-0000-0001-%012zu\",\"createdDateTime\":\"2023-06-16T12:%02d:00Z\","
			"\"userPrincipalName\":\"%s\",\"appId\":\"00000002-0000-0ff1-ce00-000000000000\","
			"\"ipAddress\":\"%s\",\"status\":{\"errorCode\":%d%s}}",
			i ? "," : "", i, s[i].minute, s[i].user, s[i].ip, s[i].code,
			s[i].code ? ",\"failureReason\":\"Invalid username or password\"" : "");
	fputs("]\n", f);
	fclose(f);
	free(path);
	struct store *st = load_case(dir, "si.case", in);
	assert_non_null(st);
	struct hunt_result *r = run(st, HUNT_FAILED_THEN_SUCCESS);
	assert_int_equal(r->nrows, 1);
	static const struct cell_want fts[] = {
		{ 0, "user", "kim@contoso.com" },
		{ 0, "ip", "198.51.100.50" },
		{ 0, "failures", "2" },
	};
	assert_cells(r, fts, sizeof fts / sizeof fts[0]);
	assert_int_equal(r->rows[0].nevents, 3);
	hunt_result_free(r);
	r = run(st, HUNT_PASSWORD_SPRAY);
	assert_int_equal(r->nrows, 1);
	static const struct cell_want spray[] = {
		{ 0, "ip", "198.51.100.70" },
		{ 0, "accounts", "6" },
		{ 0, "failures", "6" },
	};
	assert_cells(r, spray, sizeof spray / sizeof spray[0]);
	hunt_result_free(r);
	store_close(st);
	tmpdir_remove(dir);
	free(in);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synthetic_shapes),  cmocka_unit_test(test_signin_failure_results),
		cmocka_unit_test(test_empty_case),        cmocka_unit_test(test_realdata_purview),
		cmocka_unit_test(test_realdata_sentinel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
