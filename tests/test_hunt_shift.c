/*
 * test_hunt_shift.c: the hunts on data they were not tuned on (issue 12).
 * Cases generated with another seed than the demo's, the intrusion
 * starting at 10%, 43%, 70% and 95% of the time range, and one with no
 * intrusion at all. new-app-for-mailbox, rare-apps, oauth-consent (with
 * the app id), token-replay and signin-then-mail must each rank the
 * intrusion first with no Microsoft first-party app among their hits,
 * and report no hit at all without it. The bundle's manifest is the
 * answer key (kept out of the case).
 */
#include "testutil.h"

#include <jansson.h>

#include "hunt.h"
#include "ingest.h"
#include "knownapps.h"
#include "store.h"
#include "xalloc.h"

#define SEED "7"

struct shift {
	char *dir;
	struct store *st;
	json_t *manifest, *planted; /* planted NULL: no intrusion */
};

static struct shift *make_case(const char *at)
{
	struct shift *c = calloc(1, sizeof *c);
	c->dir = tmpdir_new();
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char cmd[8192], path[4096], moved[4096];
	if (at)
		snprintf(cmd, sizeof cmd,
			 "'%s/auditgen' --bundle '%s/bundle' --seed " SEED " --intrusion-at %s >/dev/null",
			 build, c->dir, at);
	else
		snprintf(cmd, sizeof cmd,
			 "'%s/auditgen' --bundle '%s/bundle' --seed " SEED " --no-attack >/dev/null", build,
			 c->dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot run %s/auditgen (make it first)\n", build);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/bundle/manifest.json", c->dir);
	c->manifest = json_load_file(path, 0, NULL);
	if (!c->manifest)
		return NULL;
	c->planted = json_object_get(c->manifest, "planted");
	if (json_is_null(c->planted))
		c->planted = NULL;
	snprintf(moved, sizeof moved, "%s/manifest.json", c->dir);
	rename(path, moved);
	snprintf(path, sizeof path, "%s/c.case", c->dir);
	char *cause = NULL;
	if (store_open(path, STORE_CREATE, &c->st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/bundle", c->dir);
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (ingest_paths(c->st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(c->st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		return NULL;
	}
	return c;
}

static void case_free(struct shift *c)
{
	if (!c)
		return;
	store_close(c->st);
	json_decref(c->manifest);
	tmpdir_remove(c->dir);
	free(c->dir);
	free(c);
}

static const char *cell(const struct hunt_result *r, size_t row, const char *col)
{
	for (size_t i = 0; i < r->def->ncols; i++)
		if (strcmp(r->def->cols[i].name, col) == 0)
			return r->rows[row].vals[i];
	fail_msg("hunt %s has no column %s", r->def->name, col);
	return NULL;
}

static const char *pstr(const struct shift *c, const char *key)
{
	const char *s = json_string_value(json_object_get(c->planted, key));
	assert_non_null(s);
	return s;
}

static bool in_array(json_t *a, const char *v)
{
	size_t i;
	json_t *el;
	json_array_foreach(a, i, el) if (v && json_is_string(el) &&
					 strcmp(json_string_value(el), v) == 0) return true;
	return false;
}

static struct hunt_result *run(struct store *st, enum hunt_id id)
{
	struct hunt_result *r = NULL;
	char *cause = NULL;
	if (hunt_run(st, id, NULL, &r, &cause) < 0)
		fail_msg("hunt %s: %s", hunt_def(id)->name, cause);
	return r;
}

/* No hit names a Microsoft first-party app in column col (when it has it). */
static void no_first_party_hit(const struct hunt_result *r, const char *col)
{
	for (size_t i = 0; i < r->nrows; i++) {
		if (!r->rows[i].hit)
			continue;
		const char *app = cell(r, i, col);
		if (app && knownapps_first_party(app))
			fail_msg("%s: hit %zu is the Microsoft app %s (%s)", r->def->name, i, app,
				 r->rows[i].reason);
	}
}

/* Every row has a reason; hits come first, by score. */
static void ranked(const struct hunt_result *r)
{
	for (size_t i = 0; i < r->nrows; i++) {
		assert_non_null(r->rows[i].reason);
		if (r->rows[i].hit)
			assert_true(*r->rows[i].reason);
		if (i && r->rows[i].hit)
			assert_true(r->rows[i - 1].hit && r->rows[i - 1].score >= r->rows[i].score);
	}
}

static void check_intrusion(const struct shift *c)
{
	const char *app = pstr(c, "app_id"), *user = pstr(c, "compromised_user");
	json_t *ips = json_object_get(c->planted, "ips");

	struct hunt_result *r = run(c->st, HUNT_NEW_APP_FOR_MAILBOX);
	ranked(r);
	assert_true(r->nrows > 0 && r->rows[0].hit);
	assert_string_equal(cell(r, 0, "app"), app);
	assert_true(in_array(json_object_get(c->planted, "mailboxes"), cell(r, 0, "mailbox")));
	no_first_party_hit(r, "app");
	hunt_result_free(r);

	r = run(c->st, HUNT_RARE_APPS);
	ranked(r);
	assert_true(r->nrows > 0 && r->rows[0].hit);
	assert_string_equal(cell(r, 0, "app"), app);
	/* named from the case's own records */
	assert_string_equal(cell(r, 0, "app_name"), pstr(c, "app_display_name"));
	no_first_party_hit(r, "app");
	hunt_result_free(r);

	r = run(c->st, HUNT_OAUTH_CONSENT);
	ranked(r);
	assert_true(r->nrows > 0 && r->rows[0].hit);
	assert_non_null(strstr(cell(r, 0, "op"), "Consent to application"));
	assert_string_equal(cell(r, 0, "app"), app);
	/* the consent says what the app did afterwards */
	assert_true(atoi(cell(r, 0, "mail_reads")) > 0);
	assert_non_null(cell(r, 0, "first_read"));
	char *mbx = xstrdup(cell(r, 0, "mailboxes"));
	assert_true(in_array(json_object_get(c->planted, "mailboxes"), strtok(mbx, ",")));
	free(mbx);
	no_first_party_hit(r, "app");
	hunt_result_free(r);

	r = run(c->st, HUNT_TOKEN_REPLAY);
	ranked(r);
	assert_true(r->nrows > 0 && r->rows[0].hit);
	const char *id = cell(r, 0, "id");
	assert_true(strcmp(id, pstr(c, "session_id")) == 0 || strcmp(id, pstr(c, "token_id")) == 0);
	hunt_result_free(r);

	r = run(c->st, HUNT_SIGNIN_THEN_MAIL);
	ranked(r);
	assert_true(r->nrows > 0 && r->rows[0].hit);
	assert_string_equal(cell(r, 0, "user"), user);
	assert_true(in_array(ips, cell(r, 0, "ip")));
	/* and every hit is the intrusion's */
	for (size_t i = 0; i < r->nrows; i++)
		if (r->rows[i].hit)
			assert_true(in_array(ips, cell(r, i, "ip")));
	hunt_result_free(r);

	/* the password guessed before it all */
	r = run(c->st, HUNT_FAILED_THEN_SUCCESS);
	ranked(r);
	assert_int_equal(r->nhits, 1);
	assert_string_equal(cell(r, 0, "user"), user);
	assert_true(in_array(ips, cell(r, 0, "ip")));
	assert_true(atoi(cell(r, 0, "failures")) >= 2);
	hunt_result_free(r);
}

#define AT(name, frac)                             \
	static void name(void **state)             \
	{                                          \
		(void)state;                       \
		struct shift *c = make_case(frac); \
		assert_non_null(c);                \
		assert_non_null(c->planted);       \
		check_intrusion(c);                \
		case_free(c);                      \
	}
AT(test_at_10, "0.10")
AT(test_at_43, "0.43")
AT(test_at_70, "0.70")
AT(test_at_95, "0.95")

/* No intrusion: the same five hunts (and every other) find nothing. */
static void test_no_intrusion(void **state)
{
	(void)state;
	struct shift *c = make_case(NULL);
	assert_non_null(c);
	assert_null(c->planted);
	for (int h = 0; h < HUNT_COUNT; h++) {
		struct hunt_result *r = run(c->st, (enum hunt_id)h);
		ranked(r);
		if (r->nhits)
			fail_msg("%s: %zu hits without an intrusion; first: %s", r->def->name, r->nhits,
				 r->rows[0].reason);
		hunt_result_free(r);
	}
	case_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_at_10),        cmocka_unit_test(test_at_43),
		cmocka_unit_test(test_at_70),        cmocka_unit_test(test_at_95),
		cmocka_unit_test(test_no_intrusion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
