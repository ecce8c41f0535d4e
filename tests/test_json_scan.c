/*
 * test_json_scan.c: the validating scanner, the fast skipper, iteration,
 * unescaping and the member/number helpers of json_scan.h.
 */
#include "testutil.h"

#include "json_scan.h"

/* Scan text as one whole document: the value and nothing but white space
 * after it. Returns the error reason or NULL; *v filled on success. */
static const char *scan_doc(const char *text, struct jval *v, const char **errat)
{
	const char *end = text + strlen(text);
	const char *err = NULL, *at = NULL;
	struct jval tmp;
	const char *e = json_scan_value(text, end, v ? v : &tmp, &err, &at);
	if (errat)
		*errat = at;
	if (!e) {
		assert_non_null(err);
		return err;
	}
	if (json_skip_ws(e, end) != end)
		return "trailing data";
	return NULL;
}

/* The error reason of an invalid document (and where, as an offset). */
static void expect_invalid(const char *text, const char *why, long at_off)
{
	const char *at = NULL;
	const char *err = scan_doc(text, NULL, &at);
	if (!err)
		fail_msg("accepted invalid JSON: %s", text);
	if (strcmp(err, why) != 0)
		fail_msg("%s: reason \"%s\", expected \"%s\"", text, err, why);
	if (at_off >= 0)
		assert_int_equal(at - text, at_off);
}

static void test_valid_documents(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		enum jtype t;
	} ok[] = {
		{ "{}", JT_OBJ },
		{ "[]", JT_ARR },
		{ " \t\r\n{ } ", JT_OBJ },
		{ "[ ]", JT_ARR },
		{ "\"\"", JT_STR },
		{ "true", JT_TRUE },
		{ "false", JT_FALSE },
		{ "null", JT_NULL },
		{ "0", JT_NUM },
		{ "-0", JT_NUM },
		{ "12345", JT_NUM },
		{ "-1.5e+10", JT_NUM },
		{ "1E5", JT_NUM },
		{ "0.000001", JT_NUM },
		{ "2e-3", JT_NUM },
		{ "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", JT_OBJ },
		{ "[1, \"two\", {\"three\": [3]}, [], {}]", JT_ARR },
		{ "{\"k\\\"ey\":\"v\\u00e9\"}", JT_OBJ },
		{ "\"caf\xc3\xa9 \xe2\x82\xac\"", JT_STR },
		{ "{\n  \"a\" : [\n    1 ,\n    2\n  ]\n}\n", JT_OBJ },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct jval v;
		const char *err = scan_doc(ok[i].text, &v, NULL);
		if (err)
			fail_msg("rejected %s: %s", ok[i].text, err);
		assert_int_equal(v.t, ok[i].t);
		/* the span starts at the value (after leading white space) */
		const char *start = ok[i].text;
		while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
			start++;
		assert_ptr_equal(v.p, start);
	}

	/* the span covers the whole value, quotes and brackets included */
	struct jval v;
	assert_null(scan_doc("  [1, 2]  ", &v, NULL));
	assert_int_equal(v.n, 6);
	assert_memory_equal(v.p, "[1, 2]", 6);
	assert_null(scan_doc("\"abc\"", &v, NULL));
	assert_int_equal(v.n, 5);
	assert_false(v.esc);
	assert_null(scan_doc("\"a\\nb\"", &v, NULL));
	assert_true(v.esc);

	/* the scanner stops after one value: the rest is the caller's */
	const char *two = "{\"a\":1} {\"b\":2}";
	const char *err = NULL, *at = NULL;
	const char *e = json_scan_value(two, two + strlen(two), &v, &err, &at);
	assert_ptr_equal(e, two + 7);
	assert_int_equal(v.t, JT_OBJ);
	e = json_scan_value(e, two + strlen(two), &v, &err, &at);
	assert_ptr_equal(e, two + strlen(two));
	assert_int_equal(v.n, 7);
}

static void test_every_error_reason(void **state)
{
	(void)state;
	expect_invalid("", "unexpected end of input", 0);
	expect_invalid("   ", "unexpected end of input", 3);
	expect_invalid("\"abc", "unterminated string", 4);
	expect_invalid("\"abc\\", "unterminated string", 4);
	expect_invalid("\"\\u12", "unterminated string", 1);
	expect_invalid("\"a\tb\"", "control character in string", 2);
	expect_invalid("\"a\nb\"", "control character in string", 2);
	expect_invalid("\"\x01\"", "control character in string", 1);
	expect_invalid("\"\\u12G4\"", "bad \\u escape", 1);
	expect_invalid("\"\\x41\"", "bad escape in string", 1);
	expect_invalid("\"\\'\"", "bad escape in string", 1);
	expect_invalid("-", "bad number", 0);
	expect_invalid("-a", "bad number", 0);
	expect_invalid("1.", "bad number", 0);
	expect_invalid("1.e5", "bad number", 0);
	expect_invalid("1e", "bad number", 0);
	expect_invalid("1e+", "bad number", 0);
	expect_invalid("[1,-]", "bad number", 3);
	expect_invalid("tru", "unexpected end of input", 0);
	expect_invalid("trUe", "invalid literal", 0);
	expect_invalid("nul", "unexpected end of input", 0);
	expect_invalid("falsy", "invalid literal", 0);
	expect_invalid("{", "unexpected end of input", 1);
	expect_invalid("{\"a\"", "unexpected end of input", 4);
	expect_invalid("{\"a\":", "unexpected end of input", 5);
	expect_invalid("{\"a\":1", "unexpected end of input", 6);
	expect_invalid("[1", "unexpected end of input", 2);
	expect_invalid("{a:1}", "expected a member name", 1);
	expect_invalid("{1:1}", "expected a member name", 1);
	expect_invalid("{\"a\",1}", "expected ':'", 4);
	expect_invalid("{\"a\":1 \"b\":2}", "expected ',' or '}'", 7);
	expect_invalid("{\"a\":1,}", "expected a member name", 7);
	expect_invalid("[1 2]", "expected ',' or ']'", 3);
	expect_invalid("[1,]", "unexpected character", 3);
	expect_invalid("[1}", "expected ',' or ']'", 2);
	expect_invalid("{\"a\":1]", "expected ',' or '}'", 6);
	expect_invalid("'single'", "unexpected character", 0);
	expect_invalid("+1", "unexpected character", 0);
	expect_invalid(".5", "unexpected character", 0);
	expect_invalid("[NaN]", "unexpected character", 1);
	/* leading zeros: "0" is a value, the "1" after it is not */
	expect_invalid("[01]", "expected ',' or ']'", 2);
	expect_invalid("01", "trailing data", -1);
	expect_invalid("{} x", "trailing data", -1);
}

/* A literal cut short inside a container is an invalid literal, not the
 * end of the input: the input goes on after it. */
static void test_literal_errors_in_context(void **state)
{
	(void)state;
	expect_invalid("[tx]", "invalid literal", 1);
	expect_invalid("[nul]", "invalid literal", 1);
	expect_invalid("{\"a\":fals}", "invalid literal", 5);
	/* (inside a container a literal and a nested container are taken
	 * without scan_any: the same errors, at the same places) */
	expect_invalid("[true,fals", "unexpected end of input", 6);
	expect_invalid("{\"a\":nullx}", "expected ',' or '}'", 9);
	expect_invalid("[[true,falsex]]", "expected ',' or ']'", 12);
	expect_invalid("{\"a\":{\"b\":[}}", "unexpected character", 11);
}

/* Strings and numbers inside a container are scanned without scan_any
 * (json_scan.c): the same spans, types, escapes and errors as alone. */
static void test_scalars_in_containers(void **state)
{
	(void)state;
	const char *doc = "{\"s\":\"v\\\"w\", \"n\" : -12.5e3,\"p\":\"\",\"z\":0,\"a\":[ \"x\",7 ],\"t\":true}";
	const char *end = doc + strlen(doc);
	struct jval v;
	struct jmember mem[8];
	size_t n = 0;
	assert_ptr_equal(json_scan_object(doc, end, &v, mem, 8, &n, NULL, NULL), end);
	assert_int_equal(n, 6);
	static const struct {
		const char *key, *val;
		enum jtype t;
		bool esc;
	} want[] = {
		{ "s", "\"v\\\"w\"", JT_STR, true },   { "n", "-12.5e3", JT_NUM, false },
		{ "p", "\"\"", JT_STR, false },        { "z", "0", JT_NUM, false },
		{ "a", "[ \"x\",7 ]", JT_ARR, false }, { "t", "true", JT_TRUE, false },
	};
	for (size_t i = 0; i < n; i++) {
		assert_true(json_str_eq(&mem[i].key, want[i].key));
		assert_int_equal(mem[i].val.t, want[i].t);
		assert_int_equal(mem[i].val.n, strlen(want[i].val));
		assert_memory_equal(mem[i].val.p, want[i].val, mem[i].val.n);
		assert_int_equal(mem[i].val.esc, want[i].esc);
		assert_null(mem[i].val.ends);
	}
	struct jiter it;
	struct jval key, val;
	json_iter_init(&it, &mem[4].val);
	assert_true(json_iter_next(&it, &key, &val));
	assert_int_equal(val.t, JT_STR);
	assert_int_equal(val.n, 3);
	assert_true(json_iter_next(&it, &key, &val));
	assert_int_equal(val.t, JT_NUM);
	assert_memory_equal(val.p, "7", 1);
	assert_false(json_iter_next(&it, &key, &val));

	expect_invalid("{\"a\": \"b\tc\"}", "control character in string", 8);
	expect_invalid("{\"a\":\"\\q\"}", "bad escape in string", 6);
	expect_invalid("[\"x\", \"y]", "unterminated string", 9);
	expect_invalid("{\"a\":-}", "bad number", 5);
	expect_invalid("{\"a\":1e}", "bad number", 5);
	expect_invalid("[0,-x]", "bad number", 3);
	/* integers are read in line, fractions and exponents the long way */
	expect_invalid("{\"a\":12.}", "bad number", 5);
	expect_invalid("[7,12.x]", "bad number", 3);
	expect_invalid("[345e]", "bad number", 1);
	expect_invalid("[345E+]", "bad number", 1);
	expect_invalid("[12x]", "expected ',' or ']'", 3);
	expect_invalid("[0012]", "expected ',' or ']'", 2);
	expect_invalid("{\"a\":123", "unexpected end of input", 8);
	assert_null(scan_doc("[1,23,456.5,7e2,89E-1,0,-3,10]", NULL, NULL));
	expect_invalid("{\"a\": 1 2}", "expected ',' or '}'", 8);
	expect_invalid("{\"a\":", "unexpected end of input", 5);
	expect_invalid("[1,", "unexpected end of input", 3);
}

static char *nested(int depth, char open, char close)
{
	char *s = malloc((size_t)depth * 2 + 1);
	assert_non_null(s);
	memset(s, open, (size_t)depth);
	memset(s + depth, close, (size_t)depth);
	s[depth * 2] = '\0';
	return s;
}

static void test_depth_limit(void **state)
{
	(void)state;
	char *s = nested(JSON_MAX_DEPTH, '[', ']');
	struct jval v;
	assert_null(scan_doc(s, &v, NULL));
	assert_int_equal(v.t, JT_ARR);
	assert_int_equal(v.n, 2 * JSON_MAX_DEPTH);
	free(s);

	s = nested(JSON_MAX_DEPTH + 1, '[', ']');
	const char *at;
	const char *err = scan_doc(s, NULL, &at);
	assert_non_null(err);
	assert_string_equal(err, "nested too deeply");
	assert_int_equal(at - s, JSON_MAX_DEPTH);
	free(s);

	/* objects count too: {"a":{"a":...}} */
	size_t n = (JSON_MAX_DEPTH + 1) * 5 + JSON_MAX_DEPTH + 2;
	char *o = malloc(n + 1), *w = o;
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		w += sprintf(w, "{\"a\":");
	w += sprintf(w, "1");
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		*w++ = '}';
	*w = '\0';
	err = scan_doc(o, NULL, NULL);
	assert_non_null(err);
	assert_string_equal(err, "nested too deeply");
	free(o);

	/* a million brackets neither crash nor pass */
	s = nested(1000000, '[', ']');
	err = scan_doc(s, NULL, NULL);
	assert_non_null(err);
	assert_string_equal(err, "nested too deeply");
	/* skipping does not recurse: it finds the end of any depth */
	assert_ptr_equal(json_skip_value(s, s + 2000000), s + 2000000);
	assert_null(json_skip_value(s, s + 1999999));
	free(s);
}

static void test_numbers(void **state)
{
	(void)state;
	static const char *const good[] = {
		"0",       "-0",   "7",      "-7",      "10",   "123456789012345678901234567890",
		"0.5",     "-0.5", "1.25e3", "1.25E-3", "1e+0", "0e0",
		"-0.0e-0",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct jval v;
		const char *err = scan_doc(good[i], &v, NULL);
		if (err)
			fail_msg("%s: %s", good[i], err);
		assert_int_equal(v.t, JT_NUM);
		assert_int_equal(v.n, strlen(good[i]));
	}
	static const char *const bad[] = { "-",   "--1",  "1.",    ".1",  "1e",
					   "1e-", "0x10", "1.2.3", "- 1", "Infinity" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!scan_doc(bad[i], NULL, NULL))
			fail_msg("accepted %s", bad[i]);
}

static void test_escapes_and_controls(void **state)
{
	(void)state;
	static const char *const good[] = {
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		"\"\\u0000\"",
		"\"\\uFFFF\\uabcd\\uABCD\"",
		"\"\\ud83d\\ude00\"", /* a pair */
		"\"\\ud83d\"",        /* a lone surrogate is well-formed JSON text */
		"\"\x7f\"",           /* DEL is not a control for JSON */
		"\"\xff\xfe\"",       /* bytes are not checked as UTF-8 */
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct jval v;
		const char *err = scan_doc(good[i], &v, NULL);
		if (err)
			fail_msg("%s: %s", good[i], err);
		assert_int_equal(v.t, JT_STR);
	}
	/* every byte below 0x20 is refused raw */
	for (int c = 1; c < 0x20; c++) {
		char doc[4] = { '"', (char)c, '"', 0 };
		const char *err = scan_doc(doc, NULL, NULL);
		assert_non_null(err);
		assert_string_equal(err, "control character in string");
	}
	/* a NUL byte inside a string, with an explicit end */
	const char nul[] = { '"', 'a', '\0', 'b', '"' };
	const char *err = NULL, *at = NULL;
	struct jval v;
	assert_null(json_scan_value(nul, nul + sizeof nul, &v, &err, &at));
	assert_string_equal(err, "control character in string");
	assert_ptr_equal(at, nul + 2);
}

/* The scanner honours end: it never reads past it, even when the byte
 * after it would complete the value. */
static void test_scan_respects_end(void **state)
{
	(void)state;
	const char *text = "{\"a\":[1,2,3]}";
	size_t n = strlen(text);
	for (size_t cut = 0; cut < n; cut++) {
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, text, cut);
		struct jval v;
		const char *err = NULL, *at = NULL;
		assert_null(json_scan_value(copy, copy + cut, &v, &err, &at));
		assert_non_null(err);
		assert_true(at >= copy && at <= copy + cut);
		free(copy);
	}
	/* "123" cut to "12": a valid number of two digits */
	struct jval v;
	static const char digits[] = "123";
	const char *e = json_scan_value(digits, digits + 2, &v, NULL, NULL);
	assert_non_null(e);
	assert_int_equal(v.n, 2);
}

static void test_skip_value(void **state)
{
	(void)state;
	static const char *const values[] = {
		"{\"a\":\"}\"}",
		"[\"]\", [1, {\"x\": \"[\"}]]",
		"\"a\\\"b\"",
		"\"a\\\\\"",
		"\"a\\\\\\\"\"",
		"{\"k\":\"\\\\\"}",
		"{\"k\":\"\\\"}\\\\\"}",
		"123",
		"true",
		"null",
		"-1.5e3",
	};
	static const char *const after[] = { " tail", ",", "]", "}", ":", "\n" };
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		for (size_t j = 0; j < sizeof after / sizeof after[0]; j++) {
			char t[128];
			snprintf(t, sizeof t, "  %s%s", values[i], after[j]);
			const char *e = json_skip_value(t, t + strlen(t));
			assert_non_null(e);
			if ((size_t)(e - t) != 2 + strlen(values[i]))
				fail_msg("%s: skipped %ld bytes, expected %zu", t, (long)(e - t),
					 2 + strlen(values[i]));
		}
	}

	/* incomplete input: NULL, for every cut of a record */
	const char *rec = "{\"Id\":\"a\\\"b\",\"L\":[1,{\"x\":\"]}\"}],\"n\":12}";
	size_t n = strlen(rec);
	assert_ptr_equal(json_skip_value(rec, rec + n), rec + n);
	for (size_t cut = 0; cut < n; cut++) {
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, rec, cut);
		if (json_skip_value(copy, copy + cut) != NULL)
			fail_msg("cut at %zu: not reported incomplete", cut);
		free(copy);
	}
	static const char blank[] = "   ", unclosed[] = "\"abc", esc[] = "\"abc\\\"", num[] = "123";
	assert_null(json_skip_value(blank, blank + 3));
	assert_null(json_skip_value(unclosed, unclosed + 4));
	assert_null(json_skip_value(esc, esc + 6));
	/* a scalar that reaches the end may go on: incomplete */
	assert_null(json_skip_value(num, num + 3));
}

/* json_skip_more fed a value in windows that grow by step bytes from
 * its start (as a stream's window grows under a record): at every window
 * the answer json_skip_value gives for it, and each byte examined once
 * (one more a call at most: a backslash at a window's end is looked at
 * again with what it escapes). */
static void skip_more_windows(const char *t, size_t n, size_t step)
{
	struct json_skip k = { 0 };
	size_t calls = 0, w = 0;
	for (;;) {
		w = w + step < n ? w + step : n;
		const char *want = json_skip_value(t, t + w);
		const char *got = json_skip_more(t, t + w, &k);
		calls++;
		if (got != want)
			fail_msg("%.40s: window %zu of step %zu: %ld, json_skip_value %ld", t, w, step,
				 got ? (long)(got - t) : -1L, want ? (long)(want - t) : -1L);
		if (got || w == n)
			break;
	}
	if (k.examined > w + calls)
		fail_msg("%.40s, step %zu: %zu bytes examined for %zu in %zu calls", t, step, k.examined, w,
			 calls);
}

static void test_skip_more(void **state)
{
	(void)state;
	static const char *const values[] = {
		"{\"a\":\"x\\\"y\\\\\",\"b\":[1,{\"c\":\"\\u00e9}]\"}],\"d\":true} tail",
		"[\"\\\\\\\"]\",{},[[]],\"}\"] ,",
		"  \"top\\\"string\\\\\" ,",
		"  12345 ,",
		"  true]",
		"{\"cut\":\"no end",
		"{\"esc\":\"\\",
		"[1,[2,{\"x\":[\"\\\\\"]",
		"   ",
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		for (size_t step = 1; step <= 9; step++)
			skip_more_windows(values[i], strlen(values[i]), step);

	/* a window cut short of what was examined (the next line starts a
	 * record): the value did not end before it */
	static const char rec[] = "{\"a\":\"bcdef\"";
	struct json_skip k = { 0 };
	assert_null(json_skip_more(rec, rec + sizeof rec - 1, &k));
	assert_null(json_skip_more(rec, rec + 4, &k));

	/* 8 MB of a string of escapes (and of plain text) in windows of
	 * 4 KB: 2,048 windows, each byte examined once, where skipping from
	 * the start at each window read 8.6 GB (the load's 100 MB record:
	 * 12.1 s of CPU, 0.43 s with json_skip_more) */
	size_t n = (size_t)8 << 20;
	char *big = malloc(n);
	assert_non_null(big);
	for (int plain = 0; plain < 2; plain++) {
		big[0] = '{';
		memcpy(big + 1, "\"b\":\"", 5);
		for (size_t i = 6; i < n - 2; i += 2)
			memcpy(big + i, plain ? "ab" : "\\\"", 2);
		memcpy(big + n - 2, "\"}", 2);
		struct json_skip b = { 0 };
		size_t calls = 0;
		const char *e = NULL;
		for (size_t w = 4096; !e; w = w + 4096 < n ? w + 4096 : n) {
			e = json_skip_more(big, big + w, &b);
			calls++;
			if (!e && w == n)
				break;
		}
		assert_ptr_equal(e, big + n);
		assert_ptr_equal(json_skip_value(big, big + n), big + n);
		assert_int_equal(calls, n / 4096);
		assert_true(b.examined <= n + calls);
	}
	free(big);
}

static void test_iterate_object(void **state)
{
	(void)state;
	const char *doc = "{ \"a\" : 1 , \"b\":\"two\",\"c\":[1,[2,3]],\"d\":{\"e\":{\"f\":null}},"
			  "\"g\":true,\"h\":false,\"i\":-2.5e3,\"j\\\"k\":\"x\\\\\"}";
	struct jval obj;
	assert_null(scan_doc(doc, &obj, NULL));
	struct jiter it;
	struct jval k, v;
	static const struct {
		const char *key, *val;
		enum jtype t;
	} want[] = {
		{ "\"a\"", "1", JT_NUM },         { "\"b\"", "\"two\"", JT_STR },
		{ "\"c\"", "[1,[2,3]]", JT_ARR }, { "\"d\"", "{\"e\":{\"f\":null}}", JT_OBJ },
		{ "\"g\"", "true", JT_TRUE },     { "\"h\"", "false", JT_FALSE },
		{ "\"i\"", "-2.5e3", JT_NUM },    { "\"j\\\"k\"", "\"x\\\\\"", JT_STR },
	};
	json_iter_init(&it, &obj);
	size_t i = 0;
	while (json_iter_next(&it, &k, &v)) {
		assert_true(i < sizeof want / sizeof want[0]);
		assert_int_equal(k.t, JT_STR);
		assert_int_equal(k.n, strlen(want[i].key));
		assert_memory_equal(k.p, want[i].key, k.n);
		assert_int_equal(v.t, want[i].t);
		if (v.n != strlen(want[i].val) || memcmp(v.p, want[i].val, v.n) != 0)
			fail_msg("member %zu: value \"%.*s\", expected %s", i, (int)v.n, v.p, want[i].val);
		i++;
	}
	assert_int_equal(i, 8);
	/* the escaped key is flagged and compares unescaped */
	assert_true(k.esc);
	assert_true(json_str_eq(&k, "j\"k"));
	assert_true(v.esc);

	/* key may be NULL for objects too: the same values, keys skipped */
	json_iter_init(&it, &obj);
	i = 0;
	while (json_iter_next(&it, NULL, &v)) {
		assert_true(i < sizeof want / sizeof want[0]);
		assert_int_equal(v.t, want[i].t);
		assert_int_equal(v.n, strlen(want[i].val));
		assert_memory_equal(v.p, want[i].val, v.n);
		i++;
	}
	assert_int_equal(i, 8);

	/* nested: walk into d.e */
	struct jval d, e, f;
	assert_true(json_get(&obj, "d", &d));
	assert_true(json_get(&d, "e", &e));
	assert_true(json_get(&e, "f", &f));
	assert_int_equal(f.t, JT_NULL);
	assert_int_equal(f.n, 4);

	/* an empty object has no members */
	assert_null(scan_doc(" { } ", &obj, NULL));
	json_iter_init(&it, &obj);
	assert_false(json_iter_next(&it, &k, &v));
}

static void test_iterate_array(void **state)
{
	(void)state;
	const char *doc = "[ 1,\"s\" ,[ ] , { \"a\" : [ 1 ] } ,null,\n\t\"q\\\"\" ]";
	struct jval arr;
	assert_null(scan_doc(doc, &arr, NULL));
	static const char *const want[] = { "1", "\"s\"", "[ ]", "{ \"a\" : [ 1 ] }", "null", "\"q\\\"\"" };
	static const enum jtype types[] = { JT_NUM, JT_STR, JT_ARR, JT_OBJ, JT_NULL, JT_STR };
	struct jiter it;
	struct jval k, v;
	json_iter_init(&it, &arr);
	size_t i = 0;
	while (json_iter_next(&it, &k, &v)) {
		assert_true(i < 6);
		assert_int_equal(k.t, JT_NONE);
		assert_int_equal(v.t, types[i]);
		assert_int_equal(v.n, strlen(want[i]));
		assert_memory_equal(v.p, want[i], v.n);
		i++;
	}
	assert_int_equal(i, 6);
	/* key may be NULL for arrays */
	json_iter_init(&it, &arr);
	i = 0;
	while (json_iter_next(&it, NULL, &v))
		i++;
	assert_int_equal(i, 6);

	/* nested arrays of objects, and the inner object's members */
	doc = "[[{\"x\":1},{\"x\":2}],[{\"x\":3}]]";
	assert_null(scan_doc(doc, &arr, NULL));
	long long sum = 0, n;
	json_iter_init(&it, &arr);
	struct jval inner, el, x;
	while (json_iter_next(&it, NULL, &inner)) {
		struct jiter it2;
		assert_int_equal(inner.t, JT_ARR);
		json_iter_init(&it2, &inner);
		while (json_iter_next(&it2, NULL, &el)) {
			assert_true(json_get(&el, "x", &x));
			assert_true(json_get_int(&x, &n));
			sum = sum * 10 + n;
		}
	}
	assert_int_equal(sum, 123);
	assert_null(scan_doc("[]", &arr, NULL));
	json_iter_init(&it, &arr);
	assert_false(json_iter_next(&it, NULL, &v));
}

static size_t unescape_str(const char *json, char *out, size_t outsz)
{
	struct jval v;
	const char *err = scan_doc(json, &v, NULL);
	if (err)
		fail_msg("%s: %s", json, err);
	assert_int_equal(v.t, JT_STR);
	assert_true(json_str_len(&v) <= outsz);
	memset(out, 0x55, outsz);
	size_t n = json_unescape(&v, out);
	/* never grows, and never writes past its length */
	assert_true(n <= json_str_len(&v));
	for (size_t i = n; i < outsz; i++)
		if ((unsigned char)out[i] != 0x55 && i >= json_str_len(&v))
			fail_msg("%s: wrote past the string's length", json);
	return n;
}

static void test_unescape(void **state)
{
	(void)state;
	char out[256];
	size_t n;

	n = unescape_str("\"plain text\"", out, sizeof out);
	assert_int_equal(n, 10);
	assert_memory_equal(out, "plain text", 10);

	n = unescape_str("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", out, sizeof out);
	assert_int_equal(n, 8);
	assert_memory_equal(out, "\"\\/\b\f\n\r\t", 8);

	n = unescape_str("\"a\\u0041\\u00e9\\u20ac\"", out, sizeof out);
	assert_int_equal(n, 1 + 1 + 2 + 3);
	assert_memory_equal(out, "aA\xc3\xa9\xe2\x82\xac", n);

	n = unescape_str("\"\\u003cid@x\\u003e\"", out, sizeof out);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "<id@x>", 6);

	/* a NUL is kept: the length says where the string ends */
	n = unescape_str("\"x\\u0000y\"", out, sizeof out);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "x\0y", 3);

	/* surrogate pair: U+1F600 */
	n = unescape_str("\"\\ud83d\\ude00\"", out, sizeof out);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\xf0\x9f\x98\x80", 4);
	/* upper-case hex, and U+10FFFF (the highest pair) */
	n = unescape_str("\"\\uDBFF\\uDFFF\"", out, sizeof out);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\xf4\x8f\xbf\xbf", 4);

	/* lone surrogates become U+FFFD */
	n = unescape_str("\"\\ud83d\"", out, sizeof out);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "\xef\xbf\xbd", 3);
	n = unescape_str("\"\\ude00x\"", out, sizeof out);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\xef\xbf\xbdx", 4);
	/* high then plain text */
	n = unescape_str("\"\\ud83dab\"", out, sizeof out);
	assert_int_equal(n, 5);
	assert_memory_equal(out,
			    "\xef\xbf\xbd"
			    "ab",
			    5);
	/* high then a non-surrogate escape: that escape survives */
	n = unescape_str("\"\\ud83d\\u0041\"", out, sizeof out);
	assert_int_equal(n, 4);
	assert_memory_equal(out,
			    "\xef\xbf\xbd"
			    "A",
			    4);
	/* two highs, then a low: FFFD and a pair */
	n = unescape_str("\"\\ud83d\\ud83d\\ude00\"", out, sizeof out);
	assert_int_equal(n, 7);
	assert_memory_equal(out, "\xef\xbf\xbd\xf0\x9f\x98\x80", 7);
	/* low then high: two FFFDs */
	n = unescape_str("\"\\ude00\\ud83d\"", out, sizeof out);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "\xef\xbf\xbd\xef\xbf\xbd", 6);
	/* high followed by an escaped backslash and a 'u': not a pair */
	n = unescape_str("\"\\ud83d\\\\ude00\"", out, sizeof out);
	assert_int_equal(n, 3 + 1 + 5);
	assert_memory_equal(out, "\xef\xbf\xbd\\ude00", n);

	/* a \u with a non-hex digit (text that skipped validation) is one
	 * U+FFFD, never a shift of -1 */
	static const char bad[] = "\"\\u00zzq\"";
	struct jval unchecked = { .p = bad, .n = sizeof bad - 1, .t = JT_STR, .esc = true };
	n = json_unescape(&unchecked, out);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\xef\xbf\xbdq", 4);

	/* escapes produce at most as many bytes as they take */
	char big[6 * 64 + 3];
	char *w = big;
	*w++ = '"';
	for (int i = 0; i < 64; i++)
		w += sprintf(w, "\\u%04x", 0x7ff + i); /* 2- and 3-byte UTF-8 */
	*w++ = '"';
	*w = '\0';
	char wide[6 * 64];
	n = unescape_str(big, wide, sizeof wide);
	assert_int_equal(n, 2 + 63 * 3);
}

static void test_str_eq(void **state)
{
	(void)state;
	struct jval v;
	assert_null(scan_doc("\"Operation\"", &v, NULL));
	assert_true(json_str_eq(&v, "Operation"));
	assert_false(json_str_eq(&v, "Operatio"));
	assert_false(json_str_eq(&v, "Operations"));
	assert_false(json_str_eq(&v, "operation"));
	assert_null(scan_doc("\"Op\\u0065ration\"", &v, NULL));
	assert_true(json_str_eq(&v, "Operation"));
	assert_false(json_str_eq(&v, "Op\\u0065ration"));
	assert_null(scan_doc("12", &v, NULL));
	assert_false(json_str_eq(&v, "12"));
	assert_null(scan_doc("\"\"", &v, NULL));
	assert_true(json_str_eq(&v, ""));
}

static void test_get(void **state)
{
	(void)state;
	const char *doc = "{\"Id\":\"x1\",\"RecordType\":50,\"Nested\":{\"Id\":\"inner\"},"
			  "\"Op\\u0065ration\":\"MailItemsAccessed\",\"Id\":\"second\"}";
	struct jval obj, v;
	assert_null(scan_doc(doc, &obj, NULL));
	assert_true(json_get(&obj, "Id", &v));
	assert_int_equal(v.t, JT_STR);
	assert_int_equal(json_str_len(&v), 2);
	assert_memory_equal(json_str_ptr(&v), "x1", 2); /* the first wins */
	assert_true(json_get(&obj, "Operation", &v));   /* escaped key */
	assert_memory_equal(json_str_ptr(&v), "MailItemsAccessed", 17);
	assert_false(json_get(&obj, "inner", &v));
	assert_false(json_get(&obj, "id", &v)); /* case matters */
	assert_false(json_get(&obj, "", &v));
	assert_true(json_get(&obj, "Nested", &v));
	assert_int_equal(v.t, JT_OBJ);
	struct jval inner;
	assert_true(json_get(&v, "Id", &inner));
	assert_memory_equal(json_str_ptr(&inner), "inner", 5);
	/* not an object */
	struct jval arr;
	assert_null(scan_doc("[\"Id\",1]", &arr, NULL));
	assert_false(json_get(&arr, "Id", &v));
}

static bool get_int(const char *json, long long *out)
{
	struct jval v;
	const char *err = scan_doc(json, &v, NULL);
	if (err)
		fail_msg("%s: %s", json, err);
	return json_get_int(&v, out);
}

static void test_get_int(void **state)
{
	(void)state;
	long long n = 0;
	assert_true(get_int("50", &n));
	assert_int_equal(n, 50);
	assert_true(get_int("-17", &n));
	assert_int_equal(n, -17);
	assert_true(get_int("0", &n));
	assert_int_equal(n, 0);
	assert_true(get_int("3.99", &n)); /* a fraction is truncated */
	assert_int_equal(n, 3);
	assert_true(get_int("-3.99", &n));
	assert_int_equal(n, -3);
	assert_true(get_int("\"50\"", &n)); /* a string holding an integer */
	assert_int_equal(n, 50);
	assert_true(get_int("\"-2\"", &n));
	assert_int_equal(n, -2);
	assert_true(get_int("1720919582928", &n));
	assert_int_equal(n, 1720919582928LL);
	assert_true(get_int("9223372036854775806", &n));
	assert_int_equal(n, 9223372036854775806LL);
	/* 18 digits and fewer go the short way (no overflow to test for);
	 * 19 the long one */
	assert_true(get_int("999999999999999999", &n));
	assert_int_equal(n, 999999999999999999LL);
	assert_true(get_int("-999999999999999999", &n));
	assert_int_equal(n, -999999999999999999LL);
	assert_true(get_int("1000000000000000000", &n));
	assert_int_equal(n, 1000000000000000000LL);
	assert_true(get_int("\"007\"", &n));
	assert_int_equal(n, 7);
	assert_true(get_int("12e2", &n));
	assert_int_equal(n, 1200);

	n = 42;
	assert_false(get_int("\"ExchangeItemAggregated\"", &n));
	assert_false(get_int("\"12abc\"", &n));
	assert_false(get_int("\"\"", &n));
	assert_false(get_int("\" 5\"", &n));
	assert_false(get_int("\"\\u0035\"", &n)); /* escaped: not read */
	assert_false(get_int("true", &n));
	assert_false(get_int("null", &n));
	assert_false(get_int("[5]", &n));
	assert_false(get_int("{\"a\":5}", &n));
	assert_false(get_int("99999999999999999999", &n)); /* overflow */
	assert_int_equal(n, 42);                           /* untouched on failure */
}

/* An exponent scales the number: 1e3 is a thousand, not one. */
static void test_get_int_exponent(void **state)
{
	(void)state;
	long long n = 0;
	assert_true(get_int("1e3", &n));
	assert_int_equal(n, 1000);
	assert_true(get_int("1.5E2", &n));
	assert_int_equal(n, 150);
	assert_true(get_int("1.25e+1", &n));
	assert_int_equal(n, 12);
	assert_true(get_int("25e-1", &n));
	assert_int_equal(n, 2);
	assert_true(get_int("-7e0", &n));
	assert_int_equal(n, -7);
	assert_true(get_int("5e-30", &n));
	assert_int_equal(n, 0);
	n = 7;
	assert_false(get_int("1e30", &n)); /* does not fit a long long */
	assert_false(get_int("9.3e18", &n));
	assert_int_equal(n, 7);
	/* a string is an integer only when all of it is one */
	assert_false(get_int("\"12.abc\"", &n));
	assert_false(get_int("\"12e\"", &n));
	assert_true(get_int("\"12.0\"", &n));
	assert_int_equal(n, 12);
}

/* Nothing in the scanner reads outside [p, end): run under ASan with
 * exact-size heap copies of many documents, whole and cut. */
static void test_exact_buffers(void **state)
{
	(void)state;
	static const char *const docs[] = {
		"{\"a\":[1,2,{\"b\":\"c\\u0041\"}],\"d\":true}",
		"[\"\\ud83d\\ude00\",-1.5e-3,null,false]",
		"\"\\u12\"",
		"{\"k\":\"v\\",
		"-",
		"1e",
		"[[[[[[",
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		size_t n = strlen(docs[i]);
		for (size_t cut = 0; cut <= n; cut++) {
			char *c = malloc(cut ? cut : 1);
			memcpy(c, docs[i], cut);
			struct jval v;
			const char *err = NULL, *at = NULL;
			const char *e = json_scan_value(c, c + cut, &v, &err, &at);
			if (e) {
				assert_true(e > c && e <= c + cut);
				if (v.t == JT_STR) {
					char *out = malloc(json_str_len(&v) + 1);
					size_t m = json_unescape(&v, out);
					assert_true(m <= json_str_len(&v));
					free(out);
				}
				if (v.t == JT_OBJ || v.t == JT_ARR) {
					struct jiter it;
					struct jval k, x;
					json_iter_init(&it, &v);
					while (json_iter_next(&it, &k, &x))
						assert_true(x.p >= c && x.p + x.n <= c + cut);
				}
			} else {
				assert_non_null(err);
			}
			(void)json_skip_value(c, c + cut);
			free(c);
		}
	}
}

/* json_unescape against a plain byte-by-byte decoding, for strings of
 * every length to 48 with an escape (or two) at every place: the runs
 * between escapes go sixteen bytes at a time, each block stored as read,
 * into an output of the string's exact size (ASan: no store past it). */
static size_t unescape_ref(const char *p, size_t n, char *o)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\\') {
			o[k++] = p[i];
			continue;
		}
		char c = p[++i];
		if (c == 'n')
			o[k++] = '\n';
		else if (c == 't')
			o[k++] = '\t';
		else if (c == 'u') {
			/* (the sweep's only \u: U+00E9) */
			o[k++] = (char)0xC3;
			o[k++] = (char)0xA9;
			i += 4;
		} else
			o[k++] = c;
	}
	return k;
}

static void test_unescape_sweep(void **state)
{
	(void)state;
	static const char *const escs[] = { "\\\\", "\\\"", "\\n", "\\t", "\\/", "\\u00e9" };
	char body[128], want[128];
	for (size_t n = 0; n <= 48; n++)
		for (size_t e = 0; e < sizeof escs / sizeof escs[0]; e++)
			for (size_t at = 0; at <= n; at++)
				for (size_t two = 0; two < 2; two++) {
					size_t len = 0;
					for (size_t i = 0; i < n; i++) {
						if (i == at)
							len += (size_t)sprintf(body + len, "%s", escs[e]);
						body[len++] = (char)('a' + i % 26);
					}
					if (at == n || two)
						len += (size_t)sprintf(body + len, "%s", escs[(e + two) % 6]);
					char *doc = malloc(len + 2);
					doc[0] = '"';
					memcpy(doc + 1, body, len);
					doc[len + 1] = '"';
					struct jval v;
					assert_ptr_equal(json_scan_value(doc, doc + len + 2, &v, NULL, NULL),
							 doc + len + 2);
					assert_true(v.esc);
					char *out = malloc(len);
					size_t m = json_unescape(&v, out);
					size_t w = unescape_ref(body, len, want);
					assert_int_equal(m, w);
					assert_memory_equal(out, want, w);
					free(out);
					free(doc);
				}
}

/* Every value under v, walked with iterators, as "type:span" lines. */
static void walk(const struct jval *v, char *out, size_t cap, size_t *len)
{
	int k = snprintf(out + *len, cap - *len, "%d:%.*s\n", (int)v->t, (int)v->n, v->p);
	assert_true(k > 0 && (size_t)k < cap - *len);
	*len += (size_t)k;
	if (v->t != JT_OBJ && v->t != JT_ARR)
		return;
	struct jiter it;
	struct jval key, val;
	json_iter_init(&it, v);
	while (json_iter_next(&it, &key, &val))
		walk(&val, out, cap, len);
}

/*
 * One document through every way of scanning it: json_scan_value (no
 * members kept, everything taped), json_scan_record (the members kept)
 * and json_scan_named (those named kept): the same end or the same
 * reason at the same place, the same value, the members those json_iter
 * finds in json_scan_value's value, the first of each name, and the
 * same walk of everything under it with and without the record's table.
 */
static void same_every_way(const char *doc, size_t len)
{
	static struct json_names names;
	static bool ready;
	static struct json_ends ends1, ends2;
	static char w1[1 << 21], w2[1 << 21];
	if (!ready) {
		json_names_add(&names, 1, "Id");
		json_names_add(&names, 2, "Operation");
		json_names_add(&names, 3, "Folders");
		json_names_add(&names, 4, "AppAccessContext");
		json_names_add(&names, 5, "RecordType");
		json_names_add(&names, 6, "a");
		ready = true;
	}
	const char *end = doc + len;
	const char *err0 = NULL, *at0 = NULL, *err1 = NULL, *at1 = NULL, *err2 = NULL, *at2 = NULL;
	struct jval v0, v1, v2, by[8];
	struct jmember mem[64];
	size_t n1 = 0, n2 = 0;
	memset(by, 0, sizeof by);
	const char *r0 = json_scan_value(doc, end, &v0, &err0, &at0);
	const char *r1 = json_scan_record(doc, end, &v1, mem, 64, &n1, &ends1, &err1, &at1);
	const char *r2 = json_scan_named(doc, end, &v2, &names, by, 64, &n2, &ends2, &err2, &at2);
	if (r0 != r1 || r0 != r2)
		fail_msg("%.*s: ends %p %p %p", (int)len, doc, (const void *)r0, (const void *)r1,
			 (const void *)r2);
	if (!r0) {
		assert_string_equal(err0, err1);
		assert_string_equal(err0, err2);
		assert_ptr_equal(at0, at1);
		assert_ptr_equal(at0, at2);
		return;
	}
	assert_ptr_equal(v0.p, v1.p);
	assert_int_equal(v0.n, v1.n);
	assert_int_equal(v0.t, v1.t);
	assert_ptr_equal(v0.p, v2.p);
	assert_int_equal(v0.n, v2.n);
	assert_int_equal(v0.t, v2.t);
	assert_int_equal(n1, n2);
	if (v0.t == JT_OBJ) {
		struct jiter it;
		struct jval k, x;
		size_t i = 0;
		json_iter_init(&it, &v0);
		while (json_iter_next(&it, &k, &x) && i < 64) {
			assert_true(i < n1);
			assert_ptr_equal(mem[i].key.p, k.p);
			assert_int_equal(mem[i].key.n, k.n);
			assert_int_equal(mem[i].key.esc, k.esc);
			assert_ptr_equal(mem[i].val.p, x.p);
			assert_int_equal(mem[i].val.n, x.n);
			assert_int_equal(mem[i].val.t, x.t);
			assert_int_equal(mem[i].val.esc, x.esc);
			i++;
		}
		assert_int_equal(i, n1);
		/* by name: the first plain key of each name, the first with an
		 * escape in by[0] */
		for (unsigned id = 0; id < 8; id++) {
			const struct jval *want = NULL;
			for (size_t j = 0; j < n1 && !want; j++) {
				const struct jval *key = &mem[j].key;
				if (id == 0 ? key->esc
					    : !key->esc && json_names_find(&names, key->p + 1, key->n - 2) == id)
					want = &mem[j].val;
			}
			if (!want) {
				assert_null(by[id].p);
				continue;
			}
			assert_ptr_equal(by[id].p, want->p);
			assert_int_equal(by[id].n, want->n);
			assert_int_equal(by[id].t, want->t);
		}
	} else {
		assert_int_equal(n1, 0);
	}
	/* everything under it, through the tables and through the text */
	size_t l0 = 0, l1 = 0;
	walk(&v0, w1, sizeof w1, &l0);
	walk(&v1, w2, sizeof w2, &l1);
	if (l0 != l1 || memcmp(w1, w2, l0) != 0)
		fail_msg("%.*s: walks differ", (int)len, doc);
	assert_int_equal(ends1.n, ends2.n);
}

/* Malformed and unusual records, each cut at every byte and with every
 * byte replaced by each of the bytes that matter to a scanner: every
 * way of scanning takes or refuses them alike (same_every_way). */
static void test_every_way_alike(void **state)
{
	(void)state;
	static const char *docs[] = {
		("{\"Id\":\"2d816e70\",\"Operation\":\"Send\",\"RecordType\":2,\"AppAccessContext\":{\"AADSessionId\":"
		 "\"00a\",\"x\":[1,-2.5e+3,true,false,null,{},[]]},\"Folders\":[{\"Path\":\"\\\\Inbox\",\"FolderItems\":"
		 "[{\"InternetMessageId\":\"<a@b>\",\"SizeInBytes\":11099}]}],\"a\":\"\\u00e9\\ud83d\\ude00\\\"\\/\"}"),
		" \t\r\n{ \"Id\" : 1 , \"a\" : [ 1 , 2 ] , \"Operation\" : { } } ",
		"[{\"Id\":1},{\"Id\":2},\"Id\",3]",
		"{\"Op\\u0065ration\":1,\"Operation\":2,\"\":3,\"a\":\"\\\\\\\\\\\"\"}",
		"{\"a\":\"\\q\"}",
		"{\"a\":\"\\u12\"}",
		"{\"a\":\"\\u12G4\"}",
		"{\"a\":\"\\ud800\",\"Id\":\"\\udc00x\"}",
		"{\"a\":\"\xc0\xaf\xff\xfe\xed\xa0\x80\xf4\x90\x80\x80\"}",
		"{\"a\":\"\x01\x1f\x7f\"}",
		("{\"a\":1e999999,\"Id\":-0.0000e-0000,\"RecordType\":"
		 "123456789012345678901234567890123456789012345678901234567890}"),
		"{\"a\":01,\"b\":-,\"c\":1.,\"d\":.5,\"e\":1e,\"f\":tru,\"g\":nul,\"h\":falsey}",
		"{\"a\":1}x",
		"{\"a\" 1}",
		"{\"a\":1,}",
		"{,\"a\":1}",
		"{\"a\":[1,]}",
		"{\"a\":\"b\" \"c\":1}",
		"{'a':1}",
		"{\"a\":+1}",
		"\"Id\"",
		"-12",
	};
	static const char subst[] = "\"\\{}[]:, \t\nx0-1eu\x01\x1f\x7f\xc3\xff";
	char buf[1024];
	for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
		size_t n = strlen(docs[d]);
		assert_true(n < sizeof buf);
		for (size_t cut = 0; cut <= n; cut++) {
			/* cut short, copied so that nothing past the cut is read */
			char *c = malloc(cut ? cut : 1);
			memcpy(c, docs[d], cut);
			same_every_way(c, cut);
			free(c);
		}
		for (size_t i = 0; i < n; i++) {
			memcpy(buf, docs[d], n);
			for (size_t k = 0; k < sizeof subst; k++) {
				buf[i] = subst[k]; /* the last: NUL */
				same_every_way(buf, n);
			}
		}
	}
}

/* Nesting around JSON_MAX_DEPTH (valid below it, refused from it on), inside
 * a kept member and at the top. */
static void test_every_way_deep(void **state)
{
	(void)state;
	size_t cap = 8 * JSON_MAX_DEPTH + 64;
	char *doc = malloc(cap);
	for (int depth = JSON_MAX_DEPTH - 3; depth <= JSON_MAX_DEPTH + 3; depth++) {
		for (int top = 0; top < 2; top++) {
			size_t n = 0;
			if (!top)
				n += (size_t)sprintf(doc, "{\"Id\":1,\"a\":");
			for (int i = 0; i < depth; i++) {
				if (i % 2)
					doc[n++] = '[';
				else
					n += (size_t)sprintf(doc + n, "{\"k\":");
			}
			doc[n++] = '1';
			for (int i = depth - 1; i >= 0; i--)
				doc[n++] = i % 2 ? ']' : '}';
			if (!top)
				doc[n++] = '}';
			same_every_way(doc, n);
			struct jval v;
			bool valid = json_scan_value(doc, doc + n, &v, NULL, NULL) != NULL;
			assert_int_equal(valid, depth + !top <= JSON_MAX_DEPTH);
		}
	}
	free(doc);
}

/* json_scan_named: the first member of each name wanted, with the
 * record's table; a name with an escape, one not wanted, or one past
 * max is not looked up (the first with an escape is by[0]: its reader
 * takes such a record the general way); the values are those
 * json_scan_record gives;
 * a failed scan says why as json_scan_record does. */
static void test_scan_named(void **state)
{
	(void)state;
	static struct json_names names;
	static struct json_ends ends, ends2;
	json_names_add(&names, 1, "Id");
	json_names_add(&names, 2, "Operation");
	json_names_add(&names, 3, "Folders");
	json_names_add(&names, 4, "AppAccessContextOfTwenty");
	json_names_add(&names, 5, "z");
	const char *doc = "{\"x\":1,\"Id\":\"a\\\"b\",\"Operation\":{\"Id\":2},\"Id\":\"second\","
			  "\"Op\\u0065ration\":3,\"Folders\":[{\"Path\":\"\\\\In\"}],"
			  "\"AppAccessContextOfTwenty\":null,\"z\":true}";
	const char *end = doc + strlen(doc);
	struct jval v, by[6], rv;
	struct jmember mem[16];
	size_t n = 0, rn = 0;
	memset(by, 0, sizeof by);
	assert_ptr_equal(json_scan_named(doc, end, &v, &names, by, 16, &n, &ends, NULL, NULL), end);
	assert_ptr_equal(json_scan_record(doc, end, &rv, mem, 16, &rn, &ends2, NULL, NULL), end);
	assert_int_equal(n, 8);
	assert_int_equal(rn, 8);
	assert_ptr_equal(v.ends, &ends);
	/* by name: mem[1] (not the later "Id", not Operation's inner one) */
	assert_ptr_equal(by[1].p, mem[1].val.p);
	assert_int_equal(by[1].n, mem[1].val.n);
	assert_true(by[1].esc);
	assert_ptr_equal(by[1].ends, &ends);
	assert_ptr_equal(by[2].p, mem[2].val.p); /* not "Op\u0065ration" */
	assert_int_equal(by[2].t, JT_OBJ);
	assert_ptr_equal(by[3].p, mem[5].val.p);
	assert_int_equal(by[3].t, JT_ARR);
	assert_int_equal(by[4].t, JT_NULL);
	assert_int_equal(by[5].t, JT_TRUE);
	assert_ptr_equal(by[0].p, mem[4].val.p); /* "Op\u0065ration":3 */
	assert_int_equal(by[0].t, JT_NUM);
	/* the nested containers are on the tape as json_scan_record puts them */
	assert_int_equal(ends.n, ends2.n);
	assert_int_equal(ends.ntape, ends2.ntape);
	struct jiter it;
	struct jval k, x;
	json_iter_init(&it, &by[3]);
	assert_true(json_iter_next(&it, NULL, &x));
	assert_true(json_get(&x, "Path", &k));
	assert_int_equal(k.n, 6);
	/* max: members past it are neither counted nor looked up */
	memset(by, 0, sizeof by);
	assert_ptr_equal(json_scan_named(doc, end, &v, &names, by, 2, &n, &ends, NULL, NULL), end);
	assert_int_equal(n, 2);
	assert_non_null(by[1].p);
	assert_null(by[2].p);
	assert_null(by[3].p);
	assert_null(by[0].p);
	/* a failed scan: the reason and the place of json_scan_record's */
	const char *bad = "{\"Id\":1,\"Folders\":[1,}";
	const char *err = NULL, *at = NULL, *err2 = NULL, *at2 = NULL;
	memset(by, 0, sizeof by);
	assert_null(json_scan_named(bad, bad + strlen(bad), &v, &names, by, 16, &n, &ends, &err, &at));
	assert_null(json_scan_record(bad, bad + strlen(bad), &rv, mem, 16, &rn, &ends2, &err2, &at2));
	assert_string_equal(err, err2);
	assert_ptr_equal(at, at2);
}

/* json_scan_record keeps where each container ends; iterating with the
 * table finds the same values as without it, and takes the ends from it. */
static void test_record_ends(void **state)
{
	(void)state;
	static struct json_ends ends;
	const char *doc = "{\"a\":[1,{\"b\":[]},\"x]\"],\"c\":{\"d\":{\"e\":[[],[{}]]}},\"f\":\"}\",\"g\":{}}";
	const char *end = doc + strlen(doc);
	struct jval v, plain;
	struct jmember mem[8];
	size_t n = 0;
	assert_ptr_equal(json_scan_record(doc, end, &v, mem, 8, &n, &ends, NULL, NULL), end);
	assert_int_equal(n, 4);
	assert_ptr_equal(v.ends, &ends);
	assert_ptr_equal(mem[1].val.ends, &ends);
	/* the record, a, a[1], b, c, d, e, e[0], e[1], e[1][0], g: in the order they start */
	assert_int_equal(ends.n, 11);
	assert_ptr_equal(ends.start[0], doc);
	assert_ptr_equal(ends.stop[0], end);
	for (size_t i = 1; i < ends.n; i++) {
		assert_true(ends.start[i] > ends.start[i - 1]);
		assert_ptr_equal(ends.stop[i], json_skip_value(ends.start[i], end));
	}
	static char a[4096], b[4096];
	size_t la = 0, lb = 0;
	walk(&v, a, sizeof a, &la);
	assert_ptr_equal(json_scan_value(doc, end, &plain, NULL, NULL), end);
	assert_null(plain.ends);
	walk(&plain, b, sizeof b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	/* every container but the record (whose members are in mem) is on
	 * the tape: "c"'s member "d" is its first entry (here made to say
	 * that "d" is one byte shorter: the iterator's span says so too) */
	assert_false(ends.taped[0]);
	for (size_t i = 1; i < ends.n; i++)
		assert_true(ends.taped[i]);
	assert_int_equal(ends.first[ends.n - 1], 0); /* g: {} */
	size_t ci = 0;
	while (ci < ends.n && ends.start[ci] != mem[1].val.p)
		ci++;
	assert_true(ci < ends.n);
	struct json_tape *td = &ends.tape[ends.first[ci] - 1];
	assert_int_equal(td->next, 0);
	assert_memory_equal(ends.base + td->key, "\"d\"", 3);
	td->vlen--;
	struct jiter it;
	struct jval key, val;
	json_iter_init(&it, &mem[1].val);
	assert_true(it.tape);
	assert_true(json_iter_next(&it, &key, &val));
	assert_true(json_str_eq(&key, "d"));
	assert_ptr_equal(val.ends, &ends);
	assert_int_equal(val.t, JT_OBJ);
	assert_int_equal(val.n, strlen("{\"e\":[[],[{}]]}") - 1);
	assert_false(json_iter_next(&it, &key, &val));
	td->vlen++;
	/* off the tape (the record), the iterator takes a container's end
	 * from the table (made to say that "c" ends one byte early) */
	ends.stop[ci]--;
	json_iter_init(&it, &v);
	assert_false(it.tape);
	assert_true(json_iter_next(&it, &key, &val));
	assert_true(json_iter_next(&it, &key, &val));
	assert_true(json_str_eq(&key, "c"));
	assert_int_equal(val.n, mem[1].val.n - 1);
	/* a value outside the record is never looked up */
	ends.lo = ends.hi = NULL;
	json_iter_init(&it, &v);
	assert_true(json_iter_next(&it, &key, &val));
	assert_true(json_iter_next(&it, &key, &val));
	assert_int_equal(val.n, mem[1].val.n);
	/* an invalid record leaves no table */
	const char *bad = "{\"a\":[1,{\"b\":[]}";
	assert_null(json_scan_record(bad, bad + strlen(bad), &v, mem, 8, &n, &ends, NULL, NULL));
	assert_int_equal(ends.n, 0);
}

/* More members than the tape holds: the containers whose members all fit
 * are iterated from it, the others from the text, with the same values;
 * escapes and keys come back as the validation saw them. */
static void test_record_tape_full(void **state)
{
	(void)state;
	static struct json_ends ends;
	size_t count = JSON_TAPE_MAX + 10;
	char *doc = malloc(count * 8 + 64);
	assert_non_null(doc);
	size_t len = (size_t)sprintf(doc, "{\"k\\u0041\":{\"x\":\"a\\\"b\",\"y\":[1,2]},\"big\":[");
	for (size_t i = 0; i < count; i++)
		len += (size_t)sprintf(doc + len, "%s%zu", i ? "," : "", i % 10);
	len += (size_t)sprintf(doc + len, "]}");
	struct jval v, key, val, x;
	struct jmember mem[4];
	size_t n = 0;
	assert_ptr_equal(json_scan_record(doc, doc + len, &v, mem, 4, &n, &ends, NULL, NULL), doc + len);
	assert_int_equal(ends.ntape, JSON_TAPE_MAX);
	/* the record (never: its members are in mem), kA, y, big: kA and y
	 * fit, big's members do not */
	assert_int_equal(ends.n, 4);
	assert_true(ends.taped[1] && ends.taped[2]);
	assert_false(ends.taped[0]);
	assert_false(ends.taped[3]);
	struct jiter it;
	json_iter_init(&it, &mem[0].val);
	assert_true(it.tape);
	assert_true(json_iter_next(&it, &key, &x));
	assert_true(json_str_eq(&key, "x"));
	assert_true(x.esc);
	char buf[8];
	assert_int_equal(json_unescape(&x, buf), 3);
	assert_memory_equal(buf, "a\"b", 3);
	assert_true(json_iter_next(&it, &key, &val));
	assert_int_equal(val.t, JT_ARR);
	assert_int_equal(val.n, 5);
	assert_false(json_iter_next(&it, &key, &val));
	json_iter_init(&it, &v);
	assert_false(it.tape);
	assert_true(json_iter_next(&it, &key, &val));
	assert_true(key.esc);
	assert_true(json_str_eq(&key, "kA"));
	assert_true(json_iter_next(&it, &key, &val));
	assert_true(json_str_eq(&key, "big"));
	size_t seen = 0;
	json_iter_init(&it, &val);
	assert_false(it.tape);
	while (json_iter_next(&it, &key, &x)) {
		assert_int_equal(x.t, JT_NUM);
		assert_int_equal(x.n, 1);
		assert_int_equal(x.p[0], '0' + (int)(seen % 10));
		seen++;
	}
	assert_int_equal(seen, count);
	free(doc);
}

/* More containers than the table holds: the first JSON_ENDS_MAX are kept,
 * the others are skipped over as without a table. */
static void test_record_ends_full(void **state)
{
	(void)state;
	static struct json_ends ends;
	size_t count = JSON_ENDS_MAX + 100;
	char *doc = malloc(count * 3 + 16);
	assert_non_null(doc);
	size_t len = 0;
	doc[len++] = '[';
	for (size_t i = 0; i < count; i++) {
		if (i)
			doc[len++] = ',';
		doc[len++] = '[';
		doc[len++] = ']';
	}
	doc[len++] = ']';
	struct jval v;
	struct jmember mem[1];
	size_t n = 0;
	assert_ptr_equal(json_scan_record(doc, doc + len, &v, mem, 1, &n, &ends, NULL, NULL), doc + len);
	assert_int_equal(ends.n, JSON_ENDS_MAX);
	struct jiter it;
	struct jval key, val;
	json_iter_init(&it, &v);
	size_t seen = 0;
	while (json_iter_next(&it, &key, &val)) {
		assert_int_equal(val.t, JT_ARR);
		assert_int_equal(val.n, 2);
		assert_ptr_equal(val.p, doc + 1 + 3 * seen);
		seen++;
	}
	assert_int_equal(seen, count);
	free(doc);
}

/*
 * Strings are ended by a window of stop bits over 64 bytes (json_scan.c:
 * stop_window): a stop byte (an escape, a control character, the closing
 * quote) at every offset from a window's start, strings that cross one
 * window or several, and a record whose last window is short (the bytes
 * after its end, quotes here, must not be read) all give what a byte loop
 * gives: the same spans, escapes, reasons and places.
 */
static void test_string_windows(void **state)
{
	(void)state;
	static const struct {
		const char *x;   /* put into the string */
		const char *why; /* NULL: valid */
		bool esc;
	} cases[] = {
		{ "", NULL, false },
		{ "\\n", NULL, true },
		{ "\\u00e9", NULL, true },
		{ "\\ud83d\\ude00", NULL, true },
		{ "\\\"", NULL, true },
		{ "\x01", "control character in string", false },
		{ "\x1f", "control character in string", false },
		{ "\\q", "bad escape in string", false },
		{ "\\u00g9", "bad \\u escape", false },
		{ "\xc3\xa9", NULL, false },
	};
	char doc[512];
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		size_t xn = strlen(cases[c].x);
		for (size_t pre = 0; pre < 140; pre++) {
			for (size_t post = 0; post < 70; post += (pre < 64 ? 1 : 7)) {
				/* [1,"<pre a's><x><post b's>"] */
				size_t n = 0;
				memcpy(doc, "[1,\"", 4);
				n = 4;
				memset(doc + n, 'a', pre);
				n += pre;
				memcpy(doc + n, cases[c].x, xn);
				n += xn;
				memset(doc + n, 'b', post);
				n += post;
				memcpy(doc + n, "\"]", 2);
				n += 2;
				/* quotes after the end: a scanner reading past it
				 * would end the string there */
				memset(doc + n, '"', 8);
				for (int rec = 0; rec < 2; rec++) {
					struct jval v;
					struct jmember mem[2];
					struct json_ends ends;
					size_t nm = 0;
					const char *err = NULL, *at = NULL;
					const char *e = rec ? json_scan_record(doc, doc + n, &v, mem, 2, &nm,
									       &ends, &err, &at)
							    : json_scan_value(doc, doc + n, &v, &err, &at);
					if (cases[c].why) {
						assert_null(e);
						assert_string_equal(err, cases[c].why);
						assert_int_equal(at - doc, 4 + pre);
						continue;
					}
					assert_ptr_equal(e, doc + n);
					struct jiter it;
					struct jval k, x;
					json_iter_init(&it, &v);
					assert_true(json_iter_next(&it, &k, &x));
					assert_true(json_iter_next(&it, &k, &x));
					assert_int_equal(x.t, JT_STR);
					assert_ptr_equal(x.p, doc + 3);
					assert_int_equal(x.n, pre + xn + post + 2);
					assert_int_equal(x.esc, cases[c].esc);
				}
				/* the same string cut before its closing quote */
				const char *err = NULL, *at = NULL;
				struct jval v;
				assert_null(json_scan_value(doc, doc + n - 2, &v, &err, &at));
				if (cases[c].why)
					continue;
				assert_string_equal(err, "unterminated string");
				assert_int_equal(at - doc, n - 2);
			}
		}
	}
	/* many short strings in a row, crossing windows at every phase */
	size_t n = 0;
	doc[n++] = '[';
	for (int i = 0; i < 60; i++) {
		n += (size_t)snprintf(doc + n, sizeof doc - n, "%s\"%.*s\"", i ? "," : "", i % 9, "xxxxxxxxx");
	}
	doc[n++] = ']';
	struct jval v;
	const char *err = NULL, *at = NULL;
	assert_ptr_equal(json_scan_value(doc, doc + n, &v, &err, &at), doc + n);
	struct jiter it;
	struct jval k, x;
	json_iter_init(&it, &v);
	for (int i = 0; i < 60; i++) {
		assert_true(json_iter_next(&it, &k, &x));
		assert_int_equal(x.n, (size_t)(i % 9) + 2);
	}
	assert_false(json_iter_next(&it, &k, &x));
}

/*
 * json_iter_init finds a container's slot from the one found last (the
 * next one, most often) before searching: any order of lookups gives
 * what iterating the text gives.
 */
static void test_record_ends_any_order(void **state)
{
	(void)state;
	const char *doc = "{\"a\":{\"x\":[1,{\"y\":2}],\"z\":[]},\"b\":[[3],{\"w\":\"v\"}],\"c\":{}}";
	const char *end = doc + strlen(doc);
	struct jval v, plain;
	struct jmember mem[8];
	struct json_ends ends;
	size_t n = 0;
	assert_ptr_equal(json_scan_record(doc, end, &v, mem, 8, &n, &ends, NULL, NULL), end);
	assert_non_null(json_scan_value(doc, end, &plain, NULL, NULL));
	/* every container, by a walk without the table */
	struct jval cont[16], cont_plain[16];
	size_t nc = 0;
	const char *starts[16];
	for (const char *p = doc; p < end; p++)
		if ((*p == '{' || *p == '[') && nc < 16)
			starts[nc++] = p;
	assert_int_equal(nc, ends.n);
	for (size_t i = 0; i < nc; i++) {
		const char *e = json_skip_value(starts[i], end);
		cont[i] = (struct jval){ starts[i], (size_t)(e - starts[i]),
					 *starts[i] == '{' ? JT_OBJ : JT_ARR, false, &ends };
		cont_plain[i] = cont[i];
		cont_plain[i].ends = NULL;
	}
	static const size_t orders[][9] = { { 0, 1, 2, 3, 4, 5, 6, 7, 8 },
					    { 8, 7, 6, 5, 4, 3, 2, 1, 0 },
					    { 3, 1, 4, 1, 5, 8, 2, 6, 5 },
					    { 2, 2, 3, 3, 0, 7, 4, 4, 8 } };
	assert_int_equal(nc, 9);
	for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
		for (size_t j = 0; j < 9; j++) {
			size_t i = orders[o][j];
			char a[512], b[512];
			size_t la = 0, lb = 0;
			walk(&cont[i], a, sizeof a, &la);
			walk(&cont_plain[i], b, sizeof b, &lb);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la);
		}
	}
}

/*
 * json_scan_line ends (fails) at the first newline between a record's
 * tokens and says so in ends.nl; without one it gives what
 * json_scan_record gives. The other scans never stop at a newline, and
 * read nothing of the caller's table before they fill it (a table full
 * of garbage, as a caller's stack leaves it: UBSan once found a flag
 * read from it).
 */
static void test_scan_line(void **state)
{
	(void)state;
	static const char *const flat[] = { "{\"a\":1,\"b\":[2,{\"c\":\"x\"}]}", "{ \"a\" : 1 }\t", "{}" };
	static struct json_ends ends, ends2;
	struct jval v, w;
	struct jmember mem[8], mem2[8];
	size_t n = 0, n2 = 0;
	for (size_t i = 0; i < sizeof flat / sizeof flat[0]; i++) {
		const char *end = flat[i] + strlen(flat[i]);
		memset(&ends, 0xa5, sizeof ends);
		const char *e = json_scan_line(flat[i], end, &v, mem, NULL, NULL, 8, &n, &ends);
		assert_non_null(e);
		assert_false(ends.nl);
		assert_ptr_equal(json_scan_record(flat[i], end, &w, mem2, 8, &n2, &ends2, NULL, NULL), e);
		assert_int_equal(n, n2);
		assert_int_equal(v.n, w.n);
	}
	/* a newline between tokens: the line scan fails there, the others
	 * go on and note it */
	static const char *const multi[] = { "{\"a\":1,\n\"b\":2}", "{\n}", "{\"a\":[1,\r\n2]}" };
	for (size_t i = 0; i < sizeof multi / sizeof multi[0]; i++) {
		const char *end = multi[i] + strlen(multi[i]);
		memset(&ends, 0xa5, sizeof ends);
		assert_null(json_scan_line(multi[i], end, &v, mem, NULL, NULL, 8, &n, &ends));
		assert_true(ends.nl);
		memset(&ends, 0xa5, sizeof ends);
		assert_ptr_equal(json_scan_record(multi[i], end, &v, mem, 8, &n, &ends, NULL, NULL), end);
		assert_true(ends.nl);
		assert_int_equal(v.t, JT_OBJ);
	}
	/* by name: the same stop */
	static struct json_names names;
	memset(&names, 0, sizeof names);
	json_names_add(&names, 1, "b");
	struct jval byname[JSON_NAMES_MAX];
	memset(byname, 0, sizeof byname);
	const char *rec = "{\"a\":1,\"b\":\"two\"}";
	memset(&ends, 0xa5, sizeof ends);
	assert_ptr_equal(json_scan_line(rec, rec + strlen(rec), &v, NULL, &names, byname, 8, &n, &ends),
			 rec + strlen(rec));
	assert_false(ends.nl);
	assert_int_equal(byname[1].n, 5);
	memset(byname, 0, sizeof byname);
	assert_null(json_scan_line(multi[0], multi[0] + strlen(multi[0]), &v, NULL, &names, byname, 8, &n,
				   &ends));
	/* nothing to scan: no read of the (absent) bytes */
	assert_null(json_scan_value(NULL, NULL, &v, NULL, NULL));
	memset(&ends, 0xa5, sizeof ends);
	assert_null(json_scan_line("", "", &v, mem, NULL, NULL, 8, &n, &ends));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_documents),
		cmocka_unit_test(test_every_error_reason),
		cmocka_unit_test(test_literal_errors_in_context),
		cmocka_unit_test(test_scalars_in_containers),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_escapes_and_controls),
		cmocka_unit_test(test_scan_respects_end),
		cmocka_unit_test(test_skip_value),
		cmocka_unit_test(test_iterate_object),
		cmocka_unit_test(test_iterate_array),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_str_eq),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_get_int),
		cmocka_unit_test(test_get_int_exponent),
		cmocka_unit_test(test_exact_buffers),
		cmocka_unit_test(test_unescape_sweep),
		cmocka_unit_test(test_scan_named),
		cmocka_unit_test(test_every_way_alike),
		cmocka_unit_test(test_every_way_deep),
		cmocka_unit_test(test_record_ends),
		cmocka_unit_test(test_record_ends_full),
		cmocka_unit_test(test_record_tape_full),
		cmocka_unit_test(test_skip_more),
		cmocka_unit_test(test_string_windows),
		cmocka_unit_test(test_record_ends_any_order),
		cmocka_unit_test(test_scan_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
