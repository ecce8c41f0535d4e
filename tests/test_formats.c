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
	assert_non_null(c->dir);
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
		"ual.jsonl", "{'Id':'same-1','CreationTime':'2024-05-01T10:00:00','Operation':'UserLoggedIn',"
			     "'UserId':'A@x.com','ClientIP':'<null>'}\n",
		"si.json", "[{'createdDateTime':'2024-05-01T10:00:01.5+02:00','id':'same-1','appId':'AB',"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_and_filter),
		cmocka_unit_test(test_placeholder_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
