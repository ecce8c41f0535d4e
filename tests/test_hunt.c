/*
 * test_hunt.c: every hunt on a case built from the generated sample
 * bundle (auditgen --bundle), asserting the planted intrusion read from
 * the bundle's manifest: the app, its mailboxes and IPs, the Sync
 * folders, the throttled mailbox, the rule, the forwarding and the
 * permission, the consent records, the session and token used from
 * several IPs, sign-in then mail, the covering of tracks. The precise
 * hunts (inbox-rules, oauth-consent, token-replay) must find nothing
 * else. How hunts run: test_hunt_run.c; other shapes and the real
 * exports: test_hunt_shapes.c.
 */
#include "hunt_util.h"

/* --- the definitions --- */

static void test_defs(void **state)
{
	(void)state;
	static const char *const names[HUNT_COUNT] = {
		"rare-apps",        "new-app-for-mailbox", "sync-access",    "throttled",
		"inbox-rules",      "forwarding",          "oauth-consent",  "token-replay",
		"signin-then-mail", "failed-then-success", "password-spray", "new-place",
		"hosting-signin",   "impossible-travel",   "anti-forensics",
	};
	for (int i = 0; i < HUNT_COUNT; i++) {
		const struct hunt_def *d = hunt_def((enum hunt_id)i);
		assert_non_null(d);
		assert_int_equal(d->id, i);
		assert_string_equal(d->name, names[i]);
		assert_ptr_equal(hunt_find(names[i]), d);
		assert_true(strlen(d->title) > 10 && strlen(d->title) < 100);
		assert_true(d->ncols >= 5);
	}
	assert_null(hunt_def(HUNT_COUNT));
	assert_null(hunt_find("rare_apps"));
	assert_null(hunt_find(""));
	assert_null(hunt_find(NULL));
}

static void test_filter_quote(void **state)
{
	(void)state;
	char *q = hunt_filter_quote("adm.fatima.langer@contoso.com");
	assert_string_equal(q, "adm.fatima.langer@contoso.com");
	free(q);
	q = hunt_filter_quote("Consent to application.");
	assert_string_equal(q, "\"Consent to application.\"");
	free(q);
	q = hunt_filter_quote("a\"b\\c");
	assert_string_equal(q, "\"a\\\"b\\\\c\"");
	free(q);
	q = hunt_filter_quote("-x");
	assert_string_equal(q, "\"-x\"");
	free(q);
	q = hunt_filter_quote("x) or (1=1");
	assert_string_equal(q, "\"x) or (1=1\"");
	free(q);
	q = hunt_filter_quote("");
	assert_string_equal(q, "\"\"");
	free(q);
	/* what the filter language reads back */
	const char *vals[] = { "Consent to application.", "a\"b\\c", "x) or (1=1", "\\Inbox", "o'brien" };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		q = hunt_filter_quote(vals[i]);
		char *text = xasprintf("user=%s", q), *cause = NULL;
		struct filter *f = filter_parse(text, &cause);
		if (!f)
			fail_msg("%s: %s", text, cause);
		char *canon = filter_canonical(f);
		char *want = filter_quote(vals[i]);
		char *expect = xasprintf("user=%s", want);
		assert_string_equal(canon, expect);
		free(expect);
		free(want);
		free(canon);
		filter_free(f);
		free(text);
		free(q);
	}
}

/* --- the planted intrusion, hunt by hunt --- */

static void test_rare_apps(void **state)
{
	struct demo *d = *state;
	struct hunt_result *r = run(d->st, HUNT_RARE_APPS);
	assert_true(r->nrows >= 2);
	/* the planted app first, the only finding */
	assert_string_equal(cell(r, 0, "app"), pstr(d, "app_id"));
	assert_string_equal(cell(r, 0, "client_app"), pstr(d, "client_app_id"));
	assert_true(r->rows[0].hit);
	assert_int_equal(r->nhits, 1);
	size_t nmb = json_array_size(json_object_get(d->planted, "mailboxes"));
	assert_int_equal(atoi(cell(r, 0, "mailboxes")), nmb);
	/* its events are exactly the planted mail reads */
	struct strset got = { 0 }, want = { 0 };
	row_rids(d->st, &r->rows[0], &got);
	set_from_json(&want, json_object_get(d->planted, "mail_record_ids"));
	assert_sets_equal(&got, &want, "rare-apps events");
	assert_int_equal(atoi(cell(r, 0, "events")), want.n);
	set_free(&got);
	set_free(&want);
	/* the background's apps are Microsoft's, named, and not findings */
	for (size_t i = 1; i < r->nrows; i++) {
		assert_false(r->rows[i].hit);
		assert_null(r->rows[i].events);
		assert_true(r->rows[i].nevents > 0);
		assert_non_null(cell(r, i, "app_name"));
		assert_true(atoi(cell(r, i, "mailboxes")) >= atoi(cell(r, 0, "mailboxes")));
	}
	hunt_result_free(r);
}

static void test_new_app_for_mailbox(void **state)
{
	struct demo *d = *state;
	struct hunt_result *r = run(d->st, HUNT_NEW_APP_FOR_MAILBOX);
	/* no baseline is assumed: each pair against its own history */
	assert_true(r->baseline_until == INT64_MIN);
	struct strset got = { 0 }, want = { 0 };
	for (size_t i = 0; i < r->nrows; i++) {
		const char *app = cell(r, i, "app");
		/* hits first; a Microsoft app is context, never a hit here */
		if (i)
			assert_true(r->rows[i - 1].hit || !r->rows[i].hit);
		if (r->rows[i].hit)
			assert_false(knownapps_first_party(app));
		if (strcmp(app, pstr(d, "app_id")) == 0) {
			assert_true(r->rows[i].hit);
			assert_non_null(strstr(r->rows[i].reason, "not a Microsoft first-party app"));
			set_add(&got, cell(r, i, "mailbox"));
		}
	}
	set_from_json(&want, json_object_get(d->planted, "mailboxes"));
	assert_sets_equal(&got, &want, "mailboxes new to the planted app");
	set_free(&got);
	set_free(&want);
	hunt_result_free(r);
}

static void test_sync_access(void **state)
{
	struct demo *d = *state;
	struct hunt_result *r = run(d->st, HUNT_SYNC_ACCESS);
	json_t *synced = json_object_get(d->planted, "synced_folders");
	assert_int_equal(r->nhits, json_array_size(synced));
	struct strset got = { 0 }, want = { 0 };
	for (size_t i = 0; i < r->nrows; i++) {
		const struct hunt_row *row = &r->rows[i];
		if (!row->hit) {
			/* the background's Sync is by Microsoft's own clients */
			assert_false(strcmp(cell(r, i, "app"), pstr(d, "app_id")) == 0);
			continue;
		}
		assert_true(i < r->nhits); /* findings first */
		assert_int_equal(row->nevents, 1);
		struct strset rid = { 0 };
		row_rids(d->st, row, &rid);
		char *key = xasprintf("%s|%s|%s|%s", cell(r, i, "mailbox"), cell(r, i, "folder"),
				      cell(r, i, "ip"), rid.v[0]);
		set_add(&got, key);
		free(key);
		set_free(&rid);
	}
	size_t j;
	json_t *s;
	json_array_foreach(synced, j, s)
	{
		char *key = xasprintf("%s|%s|%s|%s", json_string_value(json_object_get(s, "mailbox")),
				      json_string_value(json_object_get(s, "folder")),
				      json_string_value(json_object_get(s, "ip")),
				      json_string_value(json_object_get(s, "record_id")));
		set_add(&want, key);
		free(key);
	}
	assert_sets_equal(&got, &want, "Sync by the planted app");
	set_free(&got);
	set_free(&want);
	hunt_result_free(r);
}

static void test_throttled(void **state)
{
	struct demo *d = *state;
	struct hunt_result *r = run(d->st, HUNT_THROTTLED);
	assert_int_equal(r->nrows, 1);
	assert_string_equal(cell(r, 0, "mailbox"), pstr2(d, "throttled", "mailbox"));
	struct strset got = { 0 };
	row_rids(d->st, &r->rows[0], &got);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.v[0], pstr2(d, "throttled", "record_id"));
	int64_t a, b;
	const char *ta = cell(r, 0, "throttled"), *tb = cell(r, 0, "unaudited_until");
	assert_true(time_parse(ta, strlen(ta), &a));
	assert_true(time_parse(tb, strlen(tb), &b));
	assert_int_equal(b - a, 24 * 3600 * 1000LL);
	set_free(&got);
	hunt_result_free(r);
}

/* Precise: the planted rule and nothing from the background's rules. */
static void test_inbox_rules(void **state)
{
	struct demo *d = *state;
	struct hunt_result *r = run(d->st, HUNT_INBOX_RULES);
	assert_int_equal(r->nrows, 1);
	assert_int_equal(r->nhits, 1);
	json_t *rule = json_object_get(d->planted, "inbox_rule");
	assert_string_equal(cell(r, 0, "rule"), json_string_value(json_object_get(rule, "name")));
	assert_string_equal(cell(r, 0, "mailbox"), json_string_value(json_object_get(rule, "mailbox")));
	const char *why = cell(r, 0, "why");
	assert_non_null(strstr(why, json_string_value(json_object_get(rule, "forward_to"))));
	assert_non_null(strstr(why, json_string_value(json_object_get(rule, "move_to_folder"))));
	assert_non_null(strstr(why, "marks as read"));
	struct strset got = { 0 };
	row_rids(d->st, &r->rows[0], &got);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.v[0], json_string_value(json_object_get(rule, "record_id")));
	set_free(&got);
	hunt_result_free(r);
}

static void test_forwarding(void **state)
{
	struct demo *d = *state;
	struct hunt_result *r = run(d->st, HUNT_FORWARDING);
	struct strset got = { 0 }, want = { 0 };
	bool fwd = false, perm = false;
	for (size_t i = 0; i < r->nrows; i++) {
		row_rids(d->st, &r->rows[i], &got);
		const char *target = cell(r, i, "target"), *why = cell(r, i, "why");
		if (strcmp(target, pstr2(d, "forwarding_smtp", "mailbox")) == 0 &&
		    strstr(why, pstr2(d, "forwarding_smtp", "address")))
			fwd = true;
		if (strcmp(target, pstr2(d, "mailbox_permission", "mailbox")) == 0 &&
		    strstr(why, pstr2(d, "mailbox_permission", "access_rights")) &&
		    strstr(why, pstr2(d, "mailbox_permission", "granted_to")))
			perm = true;
	}
	set_add(&want, pstr2(d, "forwarding_smtp", "record_id"));
	set_add(&want, pstr2(d, "mailbox_permission", "record_id"));
	assert_sets_equal(&got, &want, "forwarding and delegation");
	assert_true(fwd);
	assert_true(perm);
	set_free(&got);
	set_free(&want);
	hunt_result_free(r);
}

/* Precise: the four consent records in both logs, then the mail reads. */
static void test_oauth_consent(void **state)
{
	struct demo *d = *state;
	struct hunt_result *r = run(d->st, HUNT_OAUTH_CONSENT);
	json_t *consent = json_object_get(d->planted, "consent");
	struct strset got = { 0 }, want = { 0 }, mail = { 0 }, mail_want = { 0 };
	size_t mail_rows = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		assert_true(r->rows[i].hit);
		assert_string_equal(cell(r, i, "app"), pstr(d, "app_id"));
		if (strcmp(cell(r, i, "op"), "MailItemsAccessed") == 0) {
			mail_rows++;
			row_rids(d->st, &r->rows[i], &mail);
		} else {
			assert_int_equal(r->rows[i].nevents, 1);
			assert_string_equal(cell(r, i, "app_name"), pstr(d, "app_display_name"));
			row_rids(d->st, &r->rows[i], &got);
		}
	}
	set_from_json(&want, json_object_get(consent, "record_ids"));
	set_from_json(&want, json_object_get(consent, "directory_audit_ids"));
	assert_sets_equal(&got, &want, "consent records");
	assert_int_equal(mail_rows, 1);
	set_from_json(&mail_want, json_object_get(d->planted, "mail_record_ids"));
	assert_sets_equal(&mail, &mail_want, "mail read by the consented app");
	set_free(&got);
	set_free(&want);
	set_free(&mail);
	set_free(&mail_want);
	hunt_result_free(r);
}

/* Precise: the session and the token, from exactly the planted IPs. */
static void test_token_replay(void **state)
{
	struct demo *d = *state;
	struct hunt_result *r = run(d->st, HUNT_TOKEN_REPLAY);
	json_t *sess = json_array_get(json_object_get(d->planted, "sessions_reused"), 0);
	json_t *tok = json_array_get(json_object_get(d->planted, "tokens_reused"), 0);
	assert_int_equal(r->nrows, json_array_size(json_object_get(d->planted, "sessions_reused")) +
					   json_array_size(json_object_get(d->planted, "tokens_reused")));
	bool saw_s = false, saw_t = false;
	for (size_t i = 0; i < r->nrows; i++) {
		bool is_s = strcmp(cell(r, i, "kind"), "session") == 0;
		json_t *exp = is_s ? sess : tok;
		assert_string_equal(cell(r, i, "id"),
				    json_string_value(json_object_get(exp, is_s ? "session_id" : "token_id")));
		struct strset got = { 0 }, want = { 0 };
		set_from_list(&got, cell(r, i, "ip_list"));
		set_from_json(&want, json_object_get(exp, "ips"));
		assert_sets_equal(&got, &want, "IPs of a reused id");
		assert_int_equal(atoi(cell(r, i, "ips")), want.n);
		char *q = hunt_filter_quote(cell(r, i, "id"));
		char *f = xasprintf("%s=%s", is_s ? "session" : "token", q);
		assert_string_equal(r->rows[i].filter, f);
		free(f);
		free(q);
		set_free(&got);
		set_free(&want);
		*(is_s ? &saw_s : &saw_t) = true;
	}
	assert_true(saw_s && saw_t);
	hunt_result_free(r);
}

static void test_signin_then_mail(void **state)
{
	struct demo *d = *state;
	struct hunt_result *r = run(d->st, HUNT_SIGNIN_THEN_MAIL);
	size_t j;
	json_t *e;
	json_array_foreach(json_object_get(d->planted, "signin_then_mail"), j, e)
	{
		const char *ip = json_string_value(json_object_get(e, "ip"));
		const char *user = json_string_value(json_object_get(e, "user"));
		bool found = false;
		for (size_t i = 0; i < r->nrows && !found; i++) {
			if (strcmp(cell(r, i, "ip"), ip) != 0 || strcmp(cell(r, i, "user"), user) != 0)
				continue;
			found = true;
			struct strset got = { 0 };
			row_rids(d->st, &r->rows[i], &got);
			assert_true(set_has(&got, json_string_value(json_object_get(e, "signin_id"))));
			assert_true(set_has(&got, json_string_value(json_object_get(e, "mail_record_id"))));
			const char *st = json_string_value(json_object_get(e, "signin_time"));
			const char *mt = json_string_value(json_object_get(e, "mail_time"));
			int64_t a, b, c, dd;
			assert_true(time_parse(st, strlen(st), &a));
			assert_true(time_parse(mt, strlen(mt), &b));
			assert_true(time_parse(cell(r, i, "signin"), strlen(cell(r, i, "signin")), &c));
			assert_true(time_parse(cell(r, i, "mail"), strlen(cell(r, i, "mail")), &dd));
			assert_int_equal(a, c);
			assert_int_equal(b, dd);
			set_free(&got);
		}
		if (!found)
			fail_msg("no signin-then-mail row for %s from %s", user, ip);
	}
	hunt_result_free(r);
}

static void test_anti_forensics(void **state)
{
	struct demo *d = *state;
	struct hunt_result *r = run(d->st, HUNT_ANTI_FORENSICS);
	struct strset got = { 0 }, want = { 0 };
	for (size_t i = 0; i < r->nrows; i++)
		if (r->rows[i].hit)
			row_rids(d->st, &r->rows[i], &got);
	set_from_json(&want, json_object_get(d->planted, "anti_forensics_record_ids"));
	assert_sets_equal(&got, &want, "anti-forensics");
	/* the removal says which rule it removed */
	bool removal = false;
	for (size_t i = 0; i < r->nrows; i++)
		if (strcmp(cell(r, i, "op"), "Remove-InboxRule") == 0) {
			removal = true;
			assert_non_null(strstr(cell(r, i, "why"), "removes rule '.'"));
		}
	assert_true(removal);
	set_free(&got);
	set_free(&want);
	hunt_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defs),
		cmocka_unit_test(test_filter_quote),
		cmocka_unit_test(test_rare_apps),
		cmocka_unit_test(test_new_app_for_mailbox),
		cmocka_unit_test(test_sync_access),
		cmocka_unit_test(test_throttled),
		cmocka_unit_test(test_inbox_rules),
		cmocka_unit_test(test_forwarding),
		cmocka_unit_test(test_oauth_consent),
		cmocka_unit_test(test_token_replay),
		cmocka_unit_test(test_signin_then_mail),
		cmocka_unit_test(test_anti_forensics),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
