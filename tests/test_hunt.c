/*
 * test_hunt.c: every hunt on a case built from the generated sample
 * bundle (auditgen --bundle), asserting the planted intrusion read from
 * the bundle's manifest: the app, its mailboxes and IPs, the Sync
 * folders, the throttled mailbox, the rule, the forwarding and the
 * permission, the consent records, the session and token used from
 * several IPs, sign-in then mail, the covering of tracks. The precise
 * hunts (inbox-rules, oauth-consent, token-replay) must find nothing
 * else. Then: each row's filter parses and selects its events, running
 * all hunts at once gives what running each gives (threads or not), the
 * flagged set, cancellation, the baseline option, and the real exports
 * in ../shared/realdata.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdint.h>

#include "filter.h"
#include "hunt.h"
#include "ingest.h"
#include "knownapps.h"
#include "query.h"
#include "store.h"
#include "timeparse.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

struct demo {
	char *dir;
	struct store *st;
	json_t *manifest, *planted;
};

static struct store *load_case(const char *dir, const char *name, const char *input)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct store *st = NULL;
	char *cause = NULL;
	if (store_open(path, STORE_CREATE, &st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return NULL;
	}
	const char *paths[] = { input };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (ingest_paths(st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		store_close(st);
		return NULL;
	}
	return st;
}

static int setup(void **state)
{
	struct demo *d = calloc(1, sizeof *d);
	d->dir = tmpdir_new();
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char cmd[8192], path[4096], moved[4096];
	snprintf(cmd, sizeof cmd, "'%s/auditgen' --bundle '%s/bundle' >/dev/null", build, d->dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot run %s/auditgen (make it first)\n", build);
		goto fail;
	}
	snprintf(path, sizeof path, "%s/bundle/manifest.json", d->dir);
	d->manifest = json_load_file(path, 0, NULL);
	if (!d->manifest)
		goto fail;
	d->planted = json_object_get(d->manifest, "planted");
	/* the answer key is not evidence: out of the bundle */
	snprintf(moved, sizeof moved, "%s/manifest.json", d->dir);
	rename(path, moved);
	snprintf(path, sizeof path, "%s/bundle", d->dir);
	d->st = load_case(d->dir, "demo.case", path);
	if (!d->st)
		goto fail;
	*state = d;
	return 0;
fail:
	/* teardown does not run after a failed setup */
	store_close(d->st);
	json_decref(d->manifest);
	tmpdir_remove(d->dir);
	free(d->dir);
	free(d);
	return -1;
}

static int teardown(void **state)
{
	struct demo *d = *state;
	store_close(d->st);
	json_decref(d->manifest);
	tmpdir_remove(d->dir);
	free(d->dir);
	free(d);
	return 0;
}

/* --- helpers --- */

static const char *pstr(struct demo *d, const char *key)
{
	const char *s = json_string_value(json_object_get(d->planted, key));
	assert_non_null(s);
	return s;
}

static const char *pstr2(struct demo *d, const char *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(d->planted, obj), key));
	assert_non_null(s);
	return s;
}

static struct hunt_result *run(struct store *st, enum hunt_id id)
{
	struct hunt_result *r = NULL;
	char *cause = NULL;
	if (hunt_run(st, id, NULL, &r, &cause) < 0)
		fail_msg("hunt %s: %s", hunt_def(id)->name, cause);
	assert_non_null(r);
	return r;
}

static size_t col(const struct hunt_result *r, const char *name)
{
	for (size_t i = 0; i < r->def->ncols; i++)
		if (strcmp(r->def->cols[i].name, name) == 0)
			return i;
	fail_msg("hunt %s has no column %s", r->def->name, name);
	return 0;
}

static const char *cell(const struct hunt_result *r, size_t row, const char *name)
{
	return r->rows[row].vals[col(r, name)];
}

/* A set of strings, kept sorted. */
struct strset {
	char **v;
	size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_add(struct strset *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return;
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof *s->v);
	s->v[s->n++] = xstrdup(v);
	qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

static bool set_has(const struct strset *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return true;
	return false;
}

static void set_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static void set_from_json(struct strset *s, json_t *arr)
{
	size_t i;
	json_t *v;
	assert_true(json_is_array(arr));
	json_array_foreach(arr, i, v) set_add(s, json_string_value(v));
}

static void assert_sets_equal(const struct strset *a, const struct strset *b, const char *what)
{
	bool same = a->n == b->n;
	for (size_t i = 0; same && i < a->n; i++)
		same = strcmp(a->v[i], b->v[i]) == 0;
	if (!same) {
		for (size_t i = 0; i < a->n; i++)
			fprintf(stderr, "  found    %s\n", a->v[i]);
		for (size_t i = 0; i < b->n; i++)
			fprintf(stderr, "  expected %s\n", b->v[i]);
		fail_msg("%s: sets differ (%zu found, %zu expected)", what, a->n, b->n);
	}
}

/* Record ids of a row's events. */
static void row_rids(struct store *st, const struct hunt_row *row, struct strset *out)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT record_id FROM events WHERE id = ?", -1, &q, NULL),
			 SQLITE_OK);
	for (size_t i = 0; i < row->nevents; i++) {
		sqlite3_bind_int64(q, 1, row->events[i]);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		set_add(out, (const char *)sqlite3_column_text(q, 0));
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
}

/* "a, b, c" (a hunt's list cell) as a set. */
static void set_from_list(struct strset *s, const char *list)
{
	assert_non_null(list);
	assert_null(strstr(list, ", +")); /* not cut short */
	char *t = xstrdup(list);
	for (char *p = strtok(t, ", "); p; p = strtok(NULL, ", "))
		set_add(s, p);
	free(t);
}

/* --- the definitions --- */

static void test_defs(void **state)
{
	(void)state;
	static const char *const names[HUNT_COUNT] = {
		"rare-apps", "new-app-for-mailbox", "sync-access", "throttled", "inbox-rules",
		"forwarding", "oauth-consent", "token-replay", "signin-then-mail", "failed-then-success",
		"new-place", "hosting-signin", "impossible-travel", "anti-forensics",
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
		char *key = xasprintf("%s|%s|%s|%s", cell(r, i, "mailbox"), cell(r, i, "folder"), cell(r, i, "ip"),
				      rid.v[0]);
		set_add(&got, key);
		free(key);
		set_free(&rid);
	}
	size_t j;
	json_t *s;
	json_array_foreach(synced, j, s) {
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
		assert_string_equal(cell(r, i, "id"), json_string_value(json_object_get(exp, is_s ? "session_id" : "token_id")));
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
	json_array_foreach(json_object_get(d->planted, "signin_then_mail"), j, e) {
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

/* --- filters, all at once, flags --- */

struct ids {
	struct strset rids;
};

static int collect(const struct query_row *row, void *ctx)
{
	struct ids *x = ctx;
	set_add(&x->rids, row->record_id);
	return 0;
}

/* Each row's filter parses, and opens a timeline holding the row's
 * events. */
static void test_row_filters(void **state)
{
	struct demo *d = *state;
	for (int h = 0; h < HUNT_COUNT; h++) {
		struct hunt_result *r = run(d->st, (enum hunt_id)h);
		for (size_t i = 0; i < r->nrows; i++) {
			const struct hunt_row *row = &r->rows[i];
			if (!row->hit)
				continue;
			assert_non_null(row->filter);
			assert_true(row->filter[0] != '\0');
			char *cause = NULL;
			struct filter *f = filter_parse(row->filter, &cause);
			if (!f)
				fail_msg("%s row %zu: filter '%s': %s", r->def->name, i, row->filter, cause);
			filter_free(f);
			struct query *q;
			if (query_new(d->st, row->filter, &q, &cause) < 0)
				fail_msg("%s: %s", row->filter, cause);
			struct ids x = { { 0 } };
			assert_int_equal(query_each(q, false, -1, collect, &x, &cause), 0);
			query_free(q);
			struct strset mine = { 0 };
			row_rids(d->st, row, &mine);
			for (size_t k = 0; k < mine.n; k++)
				if (!set_has(&x.rids, mine.v[k]))
					fail_msg("%s: filter '%s' misses %s", r->def->name, row->filter, mine.v[k]);
			/* and a filter is narrow: at most a day of the case */
			assert_true(x.rids.n < 200);
			set_free(&mine);
			set_free(&x.rids);
		}
		hunt_result_free(r);
	}
}

static void assert_same_results(const struct hunt_result *a, const struct hunt_result *b)
{
	assert_int_equal(a->nrows, b->nrows);
	assert_int_equal(a->nhits, b->nhits);
	for (size_t i = 0; i < a->nrows; i++) {
		const struct hunt_row *x = &a->rows[i], *y = &b->rows[i];
		assert_int_equal(x->hit, y->hit);
		assert_int_equal(x->nevents, y->nevents);
		assert_string_equal(x->filter, y->filter);
		for (size_t c = 0; c < a->def->ncols; c++) {
			if (!x->vals[c] || !y->vals[c])
				assert_ptr_equal(x->vals[c], y->vals[c]);
			else
				assert_string_equal(x->vals[c], y->vals[c]);
		}
		if (x->hit)
			assert_memory_equal(x->events, y->events, x->nevents * sizeof *x->events);
	}
}

/* hunt_run_all (one raw pass shared) and threads change nothing. */
static void test_run_all_same(void **state)
{
	struct demo *d = *state;
	struct hunt_result *all[HUNT_COUNT];
	char *cause = NULL;
	setenv("AUDITSCOPE_HUNT_THREADS", "3", 1);
	int rc = hunt_run_all(d->st, NULL, all, &cause);
	unsetenv("AUDITSCOPE_HUNT_THREADS");
	if (rc < 0)
		fail_msg("%s", cause);
	for (int h = 0; h < HUNT_COUNT; h++) {
		setenv("AUDITSCOPE_HUNT_THREADS", "1", 1);
		struct hunt_result *one = run(d->st, (enum hunt_id)h);
		unsetenv("AUDITSCOPE_HUNT_THREADS");
		assert_ptr_equal(all[h]->def, one->def);
		assert_same_results(all[h], one);
		hunt_result_free(one);
		hunt_result_free(all[h]);
	}
}

static void test_flagged(void **state)
{
	struct demo *d = *state;
	struct hunt_flags *f;
	char *cause = NULL;
	assert_int_equal(hunt_flagged(d->st, NULL, &f, &cause), 0);
	/* every hit event, with the bit of each hunt that flags it */
	size_t distinct = 0;
	struct strset seen = { 0 };
	for (int h = 0; h < HUNT_COUNT; h++) {
		struct hunt_result *r = run(d->st, (enum hunt_id)h);
		assert_int_equal(hunt_flags_hits(f, (enum hunt_id)h), r->nhits);
		for (size_t i = 0; i < r->nrows; i++) {
			const struct hunt_row *row = &r->rows[i];
			for (size_t k = 0; row->hit && k < row->nevents; k++) {
				assert_true(hunt_flags_get(f, row->events[k]) & (1u << h));
				char key[32];
				snprintf(key, sizeof key, "%lld", (long long)row->events[k]);
				set_add(&seen, key);
			}
		}
		hunt_result_free(r);
	}
	distinct = seen.n;
	assert_int_equal(hunt_flags_count(f), distinct);
	/* the planted rule is flagged by inbox-rules (and nothing else needs
	 * to), a background event by nothing */
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(d->st), "SELECT id FROM events WHERE record_id = ?", -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(q, 1, pstr2(d, "inbox_rule", "record_id"), -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t rule = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	assert_true(hunt_flags_get(f, rule) & (1u << HUNT_INBOX_RULES));
	assert_int_equal(hunt_flags_get(f, 1), 0);
	assert_int_equal(hunt_flags_get(f, -5), 0);
	assert_int_equal(hunt_flags_get(NULL, rule), 0);
	hunt_flags_free(f);
	hunt_flags_free(NULL);
	set_free(&seen);
}

static int cancel_now(void *ctx, double done)
{
	(void)done;
	int *calls = ctx;
	(*calls)++;
	return 1;
}

static void test_cancel(void **state)
{
	struct demo *d = *state;
	struct hunt_opts o;
	hunt_opts_init(&o);
	int calls = 0;
	o.progress = (struct progress){ cancel_now, &calls };
	for (int h = 0; h < HUNT_COUNT; h++) {
		struct hunt_result *r = (void *)1;
		char *cause = NULL;
		assert_int_equal(hunt_run(d->st, (enum hunt_id)h, &o, &r, &cause), -1);
		assert_null(r);
		/* the one message of cancelled work (progress.h) */
		assert_string_equal(cause, PROGRESS_CANCELLED);
		free(cause);
	}
	assert_true(calls > 0);
	/* all at once: nothing is returned */
	struct hunt_result *all[HUNT_COUNT];
	char *cause = NULL;
	assert_int_equal(hunt_run_all(d->st, &o, all, &cause), -1);
	assert_string_equal(cause, PROGRESS_CANCELLED);
	free(cause);
	for (int h = 0; h < HUNT_COUNT; h++)
		assert_null(all[h]);
	/* the connection is usable afterwards */
	struct hunt_result *r = run(d->st, HUNT_INBOX_RULES);
	assert_int_equal(r->nrows, 1);
	hunt_result_free(r);
}

/* A baseline that ends after the intrusion leaves nothing new. */
static void test_baseline_option(void **state)
{
	struct demo *d = *state;
	struct hunt_opts o;
	hunt_opts_init(&o);
	const char *le = pstr(d, "last_event");
	assert_true(time_parse(le, strlen(le), &o.baseline_until));
	o.baseline_until += 1000;
	char *cause = NULL;
	struct hunt_result *r;
	assert_int_equal(hunt_run(d->st, HUNT_NEW_APP_FOR_MAILBOX, &o, &r, &cause), 0);
	assert_int_equal(r->baseline_until, o.baseline_until);
	for (size_t i = 0; i < r->nrows; i++)
		assert_string_not_equal(cell(r, i, "app"), pstr(d, "app_id"));
	hunt_result_free(r);
	assert_int_equal(hunt_run(d->st, HUNT_SIGNIN_THEN_MAIL, &o, &r, &cause), 0);
	assert_int_equal(r->nrows, 0);
	hunt_result_free(r);
	/* a hunt without a baseline says so */
	assert_int_equal(hunt_run(d->st, HUNT_RARE_APPS, &o, &r, &cause), 0);
	assert_true(r->baseline_until == INT64_MIN);
	hunt_result_free(r);
}

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
	/* inbox rules: Outlook's own edit, a lower-case cmdlet, punctuation, a
	 * benign rule, a soft delete, a removal by Outlook */
	ual(f, 1, 1, "UpdateInboxRules", "amy@contoso.com",
	    "\"MailboxOwnerUPN\":\"amy@contoso.com\",\"OperationProperties\":["
	    "{\"Name\":\"RuleActions\",\"Value\":\"[{\\\"ActionType\\\":\\\"Forward\\\",\\\"Recipients\\\":[\\\"a@evil.example\\\"]},"
	    "{\\\"ActionType\\\":\\\"MoveToFolder\\\",\\\"Folder\\\":\\\"Deleted Items\\\"}]\"},"
	    "{\"Name\":\"RuleName\",\"Value\":\"x\"},{\"Name\":\"RuleOperation\",\"Value\":\"AddMailboxRule\"}]");
	ual(f, 2, 2, "UpdateInboxRules", "amy@contoso.com",
	    "\"OperationProperties\":[{\"Name\":\"RuleActions\",\"Value\":\"[{\\\"ActionType\\\":\\\"Delete\\\"}]\"},"
	    "{\"Name\":\"RuleName\",\"Value\":\"y\"},{\"Name\":\"RuleOperation\",\"Value\":\"RemoveMailboxRule\"}]");
	ual(f, 3, 3, "set-InboxRule", "bob@contoso.com",
	    "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"bob@contoso.com\\\\Weekly\"},"
	    "{\"Name\":\"RedirectTo\",\"Value\":\"x@evil.example\"}]");
	ual(f, 4, 4, "Enable-InboxRule", "carol@contoso.com",
	    "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"carol@contoso.com\\\\..\"}]");
	ual(f, 5, 5, "New-InboxRule", "dave@contoso.com",
	    "\"Parameters\":[{\"Name\":\"Name\",\"Value\":\"Newsletters\"},{\"Name\":\"MoveToFolder\",\"Value\":\"Newsletters\"}]");
	ual(f, 6, 6, "New-InboxRule", "dave@contoso.com",
	    "\"Parameters\":[{\"Name\":\"Name\",\"Value\":\"Cleanup\"},{\"Name\":\"SoftDeleteMessage\",\"Value\":\"True\"}]");
	/* forwarding and delegation */
	ual(f, 7, 7, "Add-RecipientPermission", "admin@contoso.com",
	    "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"ceo@contoso.com\"},{\"Name\":\"Trustee\",\"Value\":\"eve@contoso.com\"},"
	    "{\"Name\":\"AccessRights\",\"Value\":\"SendAs\"}]");
	ual(f, 8, 8, "New-TransportRule", "admin@contoso.com",
	    "\"Parameters\":[{\"Name\":\"Name\",\"Value\":\"Journal\"},{\"Name\":\"BlindCopyTo\",\"Value\":\"drop@evil.example\"}]");
	ual(f, 9, 9, "Set-Mailbox", "admin@contoso.com",
	    "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"ceo@contoso.com\"},{\"Name\":\"ForwardingSmtpAddress\",\"Value\":\"\"}]");
	ual(f, 10, 10, "Add-MailboxPermission", "admin@contoso.com",
	    "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"ceo@contoso.com\"},{\"Name\":\"User\",\"Value\":\"eve@contoso.com\"},"
	    "{\"Name\":\"AccessRights\",\"Value\":\"ReadPermission\"}]");
	/* audit settings */
	ual(f, 11, 11, "Set-Mailbox", "admin@contoso.com",
	    "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"ceo@contoso.com\"},{\"Name\":\"AuditEnabled\",\"Value\":\"False\"}]");
	ual(f, 12, 12, "Set-MailboxAuditBypassAssociation", "admin@contoso.com",
	    "\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"svc@contoso.com\"},{\"Name\":\"AuditBypassEnabled\",\"Value\":\"True\"}]");
	ual(f, 13, 13, "Set-AdminAuditLogConfig", "admin@contoso.com",
	    "\"Parameters\":[{\"Name\":\"AdminAuditLogEnabled\",\"Value\":\"True\"}]");
	fclose(f);
	free(path);
	/* a Sentinel row: Parameters as JSON text */
	path = xasprintf("%s/sentinel.jsonl", in);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"TenantId\":\"t\",\"SourceSystem\":\"OfficeActivityManager\",\"RecordType\":\"1\","
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
	fprintf(f, "[{\"id\":\"00000000-0000-0000-0000-000000000030\",\"createdDateTime\":\"2023-06-16T10:02:00Z\","
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
				fail_msg("rule %s: '%s' lacks '%s'", want[i].rule, cell(r, i, "why"), want[i].why[k]);
	}
	/* a folder named Deleted Items is not a delete action */
	assert_null(strstr(cell(r, 0, "why"), "deletes"));
	hunt_result_free(r);

	r = run(st, HUNT_FORWARDING);
	assert_int_equal(r->nrows, 2);
	assert_string_equal(cell(r, 0, "op"), "Add-RecipientPermission");
	assert_string_equal(cell(r, 0, "target"), "ceo@contoso.com");
	assert_string_equal(cell(r, 0, "why"), "SendAs for eve@contoso.com");
	assert_string_equal(cell(r, 1, "op"), "New-TransportRule");
	assert_string_equal(cell(r, 1, "target"), "Journal");
	assert_string_equal(cell(r, 1, "why"), "BlindCopyTo drop@evil.example");
	hunt_result_free(r);

	r = run(st, HUNT_ANTI_FORENSICS);
	assert_int_equal(r->nrows, 3);
	assert_int_equal(r->nhits, 2);
	assert_string_equal(cell(r, 0, "why"), "mailbox auditing turned off");
	assert_string_equal(cell(r, 0, "target"), "ceo@contoso.com");
	assert_true(r->rows[0].hit);
	assert_string_equal(cell(r, 1, "why"), "AuditBypassEnabled=True");
	assert_true(r->rows[1].hit);
	assert_string_equal(cell(r, 2, "op"), "Set-AdminAuditLogConfig");
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
		cmocka_unit_test(test_row_filters),
		cmocka_unit_test(test_run_all_same),
		cmocka_unit_test(test_flagged),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_baseline_option),
		cmocka_unit_test(test_synthetic_shapes),
		cmocka_unit_test(test_empty_case),
		cmocka_unit_test(test_realdata_purview),
		cmocka_unit_test(test_realdata_sentinel),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
