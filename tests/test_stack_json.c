/*
 * test_stack_json.c: a stack of json.PATH and the filter json.PATH=V it
 * drills into count the same records (issue 10: core/stack.c and
 * core/filter_json.c each walked paths their own way, and the stack did
 * not walk into JSON held in strings). One walker now (core/json_path.c);
 * here, on hand-written records with nested arrays, JSON in strings
 * (AuditData, a ModifiedProperties value), missing and null values,
 * invalid UTF-8 and a \u0000: for every path, every row of the stack has
 * as many events as its filter finds, and the absent row as many as
 * json.PATH="".
 */
#include "testutil.h"

#include "filter.h"
#include "ingest.h"
#include "json_path.h"
#include "query.h"
#include "sanitize.h"
#include "stack.h"
#include "store.h"
#include "util.h"
#include "xalloc.h"

/* One record a line; Id, CreationTime and Operation make each an event. */
#define REC(id, rest) \
	"{\"CreationTime\":\"2023-06-16T10:00:0" id "\",\"Id\":\"sj-" id "\",\"Operation\":\"Op\"," rest "}\n"

static const char records[] =
	/* nested arrays: a folder list, an array of arrays */
	REC("1", "\"Folders\":[{\"Path\":\"\\\\Inbox\"},{\"Path\":\"\\\\Sent\"}],\"Grid\":[[1,2],[3]],"
		 "\"Name\":\"alpha\"")
	/* JSON in a string (as AuditData in a Purview row), a ModifiedProperties value */
	REC("2", "\"Data\":\"{\\\"Inner\\\":{\\\"Key\\\":\\\"deep\\\"},\\\"Name\\\":\\\"beta\\\"}\","
		 "\"ModifiedProperties\":[{\"Name\":\"Role\",\"NewValue\":\"[{\\\"Sub\\\":\\\"Admin\\\"}]\"}],"
		 "\"Folders\":[{\"Path\":\"\\\\Inbox\"}]")
	/* missing, null, empty */
	REC("3", "\"Name\":null,\"Folders\":[]") REC("4", "\"Name\":\"\",\"Folders\":[{\"Path\":null}]")
	/* invalid UTF-8 (cp1252 e-acute) and a NUL */
	REC("5", "\"Name\":\"caf\xe9\",\"Data\":\"{\\\"Inner\\\":{\\\"Key\\\":\\\"deep\\\"}}\"")
		REC("6",
		    "\"Name\":\"fwd\\u0000hidden part\",\"Folders\":[{\"Path\":\"\\\\Inbox\"},{\"Path\":\"\\\\Inbox\"}]")
	/* the same name twice in an object (any case), a number, a container */
	REC("7", "\"name\":\"gamma\",\"NAME\":\"delta\",\"Count\":42,\"Obj\":{\"a\":[1,{\"b\":2}]}");

static const char *const paths[] = {
	"json.Name",
	"json.Folders.Path",
	"json.Data.Inner.Key",
	"json.Data.Name",
	"json.ModifiedProperties.Role.Sub",
	"json.Grid.0",
	"json.Grid.1.0",
	"json.Count",
	"json.Obj",
	"json.Obj.a.1.b",
	"json.Missing",
	"json.Data",
};

struct fx {
	char *dir, *path;
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	f->dir = tmpdir_new();
	char *json = write_file(f->dir, "records.jsonl", records, sizeof records - 1);
	f->path = xasprintf("%s/c.case", f->dir);
	char *cause = NULL;
	const char *p[] = { json };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	int rc = store_open(f->path, STORE_CREATE, &f->st, &cause) < 0 ||
				 ingest_paths(f->st, p, 1, &o, &t, &cause) < 0 ||
				 store_ensure_indexes(f->st, &cause) < 0
			 ? -1
			 : 0;
	free(json);
	if (rc < 0)
		fprintf(stderr, "%s\n", cause);
	else if (t.events != 7)
		fprintf(stderr, "records: %llu events, expected 7\n", (unsigned long long)t.events);
	if (rc < 0 || t.events != 7) {
		/* teardown does not run after a failed setup */
		free(cause);
		store_close(f->st);
		tmpdir_remove(f->dir);
		free(f->dir);
		free(f->path);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (!f)
		return 0;
	store_close(f->st);
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static struct stack stack_of(struct fx *f, const char *path)
{
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(f->st, "", &q, &cause), 0);
	struct stack s;
	const char *fields[] = { path };
	if (stack_fields(q, fields, 1, STACK_BY_VALUE, false, -1, &s, &cause) < 0)
		fail_msg("stack %s: %s", path, cause);
	query_free(q);
	return s;
}

static int64_t count(struct fx *f, const char *filter)
{
	char *cause = NULL;
	int64_t n = query_count_text(f->st, filter, &cause);
	if (n < 0)
		fail_msg("%s: %s", filter, cause);
	return n;
}

/* Each row's filter finds as many events as the row has. */
static void test_agree(void **state)
{
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct stack s = stack_of(f, paths[i]);
		assert_int_equal(s.events, 7);
		for (size_t r = 0; r < s.n; r++) {
			const char *v = s.rows[r].value;
			char *q = filter_quote(v ? v : "");
			char *filter = xasprintf("%s=%s", paths[i], q);
			int64_t n = count(f, filter);
			if (n != s.rows[r].events)
				fail_msg("%s: the stack has %lld events, the filter %lld", filter,
					 (long long)s.rows[r].events, (long long)n);
			free(filter);
			free(q);
		}
		stack_clear(&s);
	}
}

/* The values themselves: what the stack shows for each path. */
static const char *row_value(const struct stack *s, const char *v, int64_t *events)
{
	for (size_t r = 0; r < s->n; r++)
		if ((!v && !s->rows[r].value) || (v && s->rows[r].value && !strcmp(v, s->rows[r].value))) {
			*events = s->rows[r].events;
			return v ? s->rows[r].value : "(absent)";
		}
	return NULL;
}

static void test_values(void **state)
{
	struct fx *f = *state;
	int64_t n = 0;
	/* JSON in a string: its members, and through them */
	struct stack s = stack_of(f, "json.Data.Inner.Key");
	assert_non_null(row_value(&s, "deep", &n));
	assert_int_equal(n, 2);
	stack_clear(&s);
	s = stack_of(f, "json.ModifiedProperties.Role.Sub");
	assert_non_null(row_value(&s, "Admin", &n));
	assert_int_equal(n, 1);
	stack_clear(&s);
	/* every folder of a record: sj-1 under both, sj-6's two Inbox once */
	s = stack_of(f, "json.Folders.Path");
	assert_non_null(row_value(&s, "\\Inbox", &n));
	assert_int_equal(n, 3);
	assert_non_null(row_value(&s, "\\Sent", &n));
	assert_int_equal(n, 1);
	assert_non_null(row_value(&s, NULL, &n)); /* sj-3 [], sj-4 null, sj-5 and sj-7 none */
	assert_int_equal(n, 4);
	stack_clear(&s);
	/* a NUL shows as \x00 and the rest stays; null and "" are absent;
	 * both names of sj-7 count */
	s = stack_of(f, "json.Name");
	assert_non_null(row_value(&s, "fwd\\x00hidden part", &n));
	assert_int_equal(n, 1);
	assert_non_null(row_value(&s, "caf\xe9", &n));
	assert_non_null(row_value(&s, "gamma", &n));
	assert_non_null(row_value(&s, "delta", &n));
	assert_non_null(row_value(&s, NULL, &n));
	assert_int_equal(n, 3); /* sj-2 (its Name is inside Data), sj-3, sj-4 */
	stack_clear(&s);
	/* containers by their JSON text, numbers by their literal */
	s = stack_of(f, "json.Obj");
	assert_non_null(row_value(&s, "{\"a\":[1,{\"b\":2}]}", &n));
	stack_clear(&s);
	s = stack_of(f, "json.Count");
	assert_non_null(row_value(&s, "42", &n));
	stack_clear(&s);
}

/* The walker alone: every value in document order, stop when asked. */
static bool collect(const char *text, size_t n, void *ctx)
{
	struct util_buf *b = ctx;
	char *shown = sanitize_nul(text, n);
	util_buf_printf(b, "%s[%s]", b->n ? "," : "", shown);
	free(shown);
	return false;
}

static bool stop_first(const char *text, size_t n, void *ctx)
{
	(void)text;
	(void)n;
	(*(int *)ctx)++;
	return true;
}

static void test_walker(void **state)
{
	(void)state;
	static const char rec[] =
		"{\"F\":[{\"P\":\"a\"},{\"P\":null},{\"P\":\"b\\u0000c\"},[{\"P\":\"skipped\"}]],"
		"\"S\":\"{\\\"P\\\":[1,\\\"two\\\"]}\",\"T\":\" [ {\\\"P\\\": 3} ]\"}";
	struct {
		const char *path, *want;
	} cases[] = {
		{ "F.P", "[a],[b\\x00c]" }, /* nulls skipped, arrays of arrays not entered */
		{ "S.P", "[[1,\"two\"]]" }, /* into a string's JSON */
		{ "S.P.1", "[two]" },
		{ "T.P", "[3]" },                 /* leading blanks before the JSON */
		{ "S", "[{\"P\":[1,\"two\"]}]" }, /* the end of the path: the string's text */
		{ "Nope", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_path *p = json_path_new(cases[i].path);
		struct util_buf b = { 0 };
		assert_false(json_path_each_text(p, rec, sizeof rec - 1, collect, &b));
		if (strcmp(b.n ? b.p : "", cases[i].want))
			fail_msg("%s: got %s, want %s", cases[i].path, b.n ? b.p : "", cases[i].want);
		util_buf_free(&b);
		json_path_free(p);
	}
	struct json_path *p = json_path_new("F.P");
	int calls = 0;
	assert_true(json_path_each_text(p, rec, sizeof rec - 1, stop_first, &calls));
	assert_int_equal(calls, 1);
	assert_false(json_path_each_text(p, "{not json", 9, stop_first, &calls));
	json_path_free(p);
	/* JSON in strings is walked JSON_PATH_STRINGS deep, no deeper: a
	 * record {"A": "{\"A\": \"...x...\"}"} with k strings nested */
	for (int k = JSON_PATH_STRINGS; k <= JSON_PATH_STRINGS + 1; k++) {
		char *v = xstrdup("\"x\""), *path = xstrdup("A");
		for (int i = 0; i < k; i++) {
			char *obj = xasprintf("{\"A\":%s}", v), *e = json_escape(obj, strlen(obj));
			free(v);
			v = xasprintf("\"%s\"", e);
			free(e);
			free(obj);
			char *longer = xasprintf("%s.A", path);
			free(path);
			path = longer;
		}
		char *deep = xasprintf("{\"A\":%s}", v);
		struct json_path *dp = json_path_new(path);
		struct util_buf b = { 0 };
		json_path_each_text(dp, deep, strlen(deep), collect, &b);
		assert_string_equal(b.n ? b.p : "", k <= JSON_PATH_STRINGS ? "[x]" : "");
		util_buf_free(&b);
		json_path_free(dp);
		free(deep);
		free(path);
		free(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agree),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_walker),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
