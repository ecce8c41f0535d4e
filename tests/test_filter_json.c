/*
 * test_filter_json.c: the json.PATH matcher every store runs
 * (core/filter_json.c; the SQLite store from its SQL function, the
 * ClickHouse store on the client): paths by member name in any case, by
 * index, through Name/Value (and NewValue) arrays and JSON held in
 * strings; = any case and lists, ~ and its match limit, "" (absent) and
 * the negative operators of a node; the text search before parsing never
 * rules out a record that matches (escaped values); filter_match_record
 * on json. terms, and the literals a store narrows by.
 */
#include "testutil.h"

#include "filter.h"
#include "filter_json.h"
#include "util.h"
#include "xalloc.h"

static const char *const rec =
	"{\"Operation\":\"New-InboxRule\",\"ResultStatus\":\"Succeeded\",\"Count\":42,\"Ok\":true,\"Gone\":null,"
	"\"Parameters\":[{\"Name\":\"ForwardTo\",\"Value\":\"evil@x.com\"},{\"Name\":\"Name\",\"Value\":\"fw\"}],"
	"\"ModifiedProperties\":[{\"Name\":\"Role\",\"NewValue\":\"Admin\",\"OldValue\":\"User\"}],"
	"\"Folders\":[{\"Path\":\"\\\\Inbox\"},{\"Path\":\"\\\\Sent Items\"}],"
	"\"Nested\":\"{\\\"Inner\\\":{\\\"Key\\\":\\\"deep\\\"}}\","
	"\"Esc\":\"a\\/b \\u00e9\\\"q\",\"Empty\":\"\",\"List\":[\"x\",\"y\",\"z\"],"
	"\"Nul\":\"fwd\\u0000hidden part\"}";

/* The test of (path, op, vals) on rec. */
static int jm(const char *path, char op, const char *v0, const char *v1)
{
	const char *vals[2] = { v0, v1 };
	size_t n = v1 ? 2 : v0 ? 1 : 0;
	char *why = NULL;
	struct filter_json *j = filter_json_new(path, op, vals, n, &why);
	if (!j)
		fail_msg("%s %c: %s", path, op, why);
	int r = filter_json_match(j, rec, strlen(rec), &why);
	filter_json_free(j);
	return r;
}

static void test_paths(void **state)
{
	(void)state;
	assert_int_equal(jm("Operation", '=', "new-inboxrule", NULL), 1); /* any case */
	assert_int_equal(jm("operation", '=', "New-InboxRule", NULL), 1); /* names too */
	assert_int_equal(jm("Operation", '=', "Set-InboxRule", "New-InboxRule"), 1);
	assert_int_equal(jm("Operation", '=', "Set-InboxRule", NULL), 0);
	assert_int_equal(jm("Count", '=', "42", NULL), 1); /* a number by its literal */
	assert_int_equal(jm("Ok", '=', "true", NULL), 1);  /* a boolean */
	assert_int_equal(jm("Gone", '?', NULL, NULL), 0);  /* null is never present */
	assert_int_equal(jm("Empty", '?', NULL, NULL), 0); /* nor is "" */
	assert_int_equal(jm("Missing", '?', NULL, NULL), 0);
	assert_int_equal(jm("Parameters.ForwardTo", '=', "EVIL@x.com", NULL), 1); /* Name/Value by Name */
	assert_int_equal(jm("Parameters.Name", '=', "fw", NULL), 1);
	assert_int_equal(jm("Parameters.Other", '?', NULL, NULL), 0);
	assert_int_equal(jm("ModifiedProperties.Role", '=', "admin", NULL), 1); /* NewValue */
	assert_int_equal(jm("Folders.Path", '=', "\\Sent Items", NULL), 1);     /* into each element */
	assert_int_equal(jm("Nested.Inner.Key", '=', "deep", NULL), 1);         /* JSON in a string */
	assert_int_equal(jm("List.1", '=', "y", NULL), 1);                      /* by index */
	assert_int_equal(jm("List.3", '?', NULL, NULL), 0);
	assert_int_equal(jm("Parameters", '~', "ForwardTo", NULL), 1); /* a container: its JSON text */
	/* escaped in the record's text: the values search cannot see them,
	 * so it must not rule the record out */
	assert_int_equal(jm("Esc", '=', "a/b \xc3\xa9\"q", NULL), 1);
	assert_int_equal(jm("Esc", '~', "(?i)^A/B", NULL), 1);
	assert_int_equal(jm("Esc", '~', "^a/b$", NULL), 0);
	/* a NUL is no end of the value, which matches as it is and as shown
	 * (\x00, json_path.h); the text search cannot see the shown form, so
	 * it never rules the record out */
	assert_int_equal(jm("Nul", '=', "fwd\\x00hidden part", NULL), 1);
	assert_int_equal(jm("Nul", '=', "fwd", NULL), 0);
	assert_int_equal(jm("Nul", '~', "x00hidden", NULL), 1);
	assert_int_equal(jm("Nul", '~', "part$", NULL), 1);
	assert_int_equal(jm("Nul", '~', "^fwd.hidden", NULL), 1); /* the NUL itself */
}

static void test_errors(void **state)
{
	(void)state;
	char *why = NULL;
	const char *bad = "(a";
	assert_null(filter_json_new("X", '~', &bad, 1, &why));
	assert_non_null(strstr(why, "bad regular expression"));
	free(why);
	why = NULL;
	assert_null(filter_json_new("X", '!', NULL, 0, &why));
	free(why);
	why = NULL;
	/* past the match limit: an error naming the pattern, not "no match" */
	const char *slow = "(?i)(.*a){25}";
	struct filter_json *j = filter_json_new("Operation", '~', &slow, 1, &why);
	assert_non_null(j);
	const char *r2 = "{\"Operation\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}";
	assert_int_equal(filter_json_match(j, r2, strlen(r2), &why), -1);
	assert_non_null(strstr(why, "regular expression (.*a){25}: "));
	assert_non_null(strstr(why, "match limit"));
	free(why);
	filter_json_free(j);
	filter_json_free(NULL);
}

/* A node's value: "" (absent), != and !~ applied; and the same through
 * filter_match_record. */
static int node(const char *text)
{
	char *why = NULL;
	struct filter *f = filter_parse(text, &why);
	if (!f)
		fail_msg("%s: %s", text, why);
	struct filter_json *j = filter_json_of_node(filter_root(f), &why);
	assert_non_null(j);
	int r = filter_json_term(j, rec, strlen(rec), &why);
	assert_int_equal(filter_match_record(f, rec, strlen(rec), &why), r);
	filter_json_free(j);
	filter_free(f);
	return r;
}

static void test_nodes(void **state)
{
	(void)state;
	assert_int_equal(node("json.ResultStatus=succeeded"), 1);
	assert_int_equal(node("json.ResultStatus!=succeeded"), 0);
	assert_int_equal(node("json.ResultStatus!=Failed"), 1);
	assert_int_equal(node("json.Missing=\"\""), 1);
	assert_int_equal(node("json.Operation=\"\""), 0);
	assert_int_equal(node("json.Operation!=\"\""), 1);
	assert_int_equal(node("json.Operation~inbox"), 1); /* ~ ignores case */
	assert_int_equal(node("json.Operation!~inbox"), 0);
	assert_int_equal(node("json.Missing!~x"), 1); /* absent counts as "not matching" */
	char *why = NULL;
	struct filter *f = filter_parse("json.Operation=New-InboxRule -json.Missing=x", &why);
	assert_int_equal(filter_match_record(f, rec, strlen(rec), &why), 1);
	filter_free(f);
	f = filter_parse("user=x json.Operation=New-InboxRule", &why);
	assert_int_equal(filter_match_record(f, rec, strlen(rec), &why), -1); /* user= needs a case */
	free(why);
	filter_free(f);
}

/* The literals a store narrows by: one of them in every record the
 * filter matches; none where a record could match without them. */
static void test_literals(void **state)
{
	(void)state;
	static const struct {
		const char *filter, *want; /* the literals, '|' between; "" none */
	} cases[] = {
		{ "json.Parameters.ForwardTo~@", "ForwardTo" },
		{ "json.A.LongerName=ab,cd", "LongerName" },   /* the longer set */
		{ "json.A.B=value1,value2", "value1|value2" }, /* the values' shortest is longer */
		{ "json.List.1=y", "y" },                      /* an index: only the value */
		{ "json.A=\"\"", "" },                         /* absent: none */
		{ "json.A!=x", "" },                           /* negative: none */
		{ "json.Esc=\"a/b\"", "Esc" },                 /* not plain: only the name */
		{ "json.A=x or user=y", "" },                  /* user= can match without */
		{ "json.Keyname=x user=y", "Keyname" },
		{ "json.Abc=x or json.Defg~y", "Abc|Defg" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *why = NULL;
		struct filter *f = filter_parse(cases[i].filter, &why);
		if (!f)
			fail_msg("%s: %s", cases[i].filter, why);
		const char **lits;
		size_t n = filter_sigma_literals(f, &lits);
		struct util_buf b = { 0 };
		for (size_t k = 0; k < n; k++)
			util_buf_printf(&b, "%s%s", k ? "|" : "", lits[k]);
		if (strcmp(util_buf_str(&b), cases[i].want) != 0)
			fail_msg("%s: literals '%s', expected '%s'", cases[i].filter, util_buf_str(&b),
				 cases[i].want);
		util_buf_free(&b);
		free(lits);
		filter_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_literals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
