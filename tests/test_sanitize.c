/*
 * test_sanitize.c: hostile text made visible (sanitize), JSON string
 * bodies that parse back (json_escape, checked with jansson), and display
 * widths that never split a character (text_width, text_fit).
 */
#include "testutil.h"

#include <locale.h>

#include <jansson.h>

#include "sanitize.h"

static void expect_clean(const char *in, size_t n, const char *want)
{
	char *out = sanitize(in, n);
	assert_non_null(out);
	if (strcmp(out, want) != 0)
		fail_msg("sanitize: \"%s\", expected \"%s\"", out, want);
	free(out);
}

#define CLEAN(lit, want) expect_clean((lit), sizeof(lit) - 1, (want))

static void test_escape_sequences(void **state)
{
	(void)state;
	CLEAN("\x1b[31mred\x1b[0m", "\\e[31mred\\e[0m");
	/* a title-setting OSC and a clear screen: nothing reaches the terminal */
	CLEAN("\x1b]0;owned\x07rule", "\\e]0;owned\\x07rule");
	CLEAN("\x1b[2J\x1b[H", "\\e[2J\\e[H");
	assert_true(sanitize_needed("\x1b", 1));
}

static void test_c0_and_del(void **state)
{
	(void)state;
	CLEAN("a\nb", "a\\nb");
	CLEAN("a\rb", "a\\rb");
	CLEAN("a\tb", "a\\tb");
	CLEAN("bell\x07", "bell\\x07");
	CLEAN("\x01\x1f", "\\x01\\x1f");
	CLEAN("del\x7f", "del\\x7f");
	CLEAN("nul\0byte", "nul\\x00byte");
	/* every C0 byte is escaped, none survives */
	for (int c = 0; c < 0x20; c++) {
		char in[1] = { (char)c };
		char *out = sanitize(in, 1);
		assert_int_equal(out[0], '\\');
		for (char *p = out; *p; p++)
			assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
		free(out);
		assert_true(sanitize_needed(in, 1));
	}
}

static void test_c1(void **state)
{
	(void)state;
	/* U+0085 NEL and U+009B CSI, as UTF-8 */
	CLEAN("next\xc2\x85line", "next\\u0085line");
	CLEAN("\xc2\x9b"
	      "31m",
	      "\\u009b31m");
	CLEAN("\xc2\x80\xc2\x9f", "\\u0080\\u009f");
	/* U+00A0 is printable */
	CLEAN("a\xc2\xa0"
	      "b",
	      "a\xc2\xa0"
	      "b");
	/* raw C1 bytes are invalid UTF-8 */
	CLEAN("\x9b"
	      "31m",
	      "\\x9b31m");
}

static void test_bidi(void **state)
{
	(void)state;
	/* RLO: "evil\u202Etxt.exe" */
	CLEAN("evil\xe2\x80\xaetxt.exe", "evil\\u202etxt.exe");
	CLEAN("\xe2\x81\xa6"
	      "x"
	      "\xe2\x81\xa9",
	      "\\u2066x\\u2069");
	CLEAN("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "\\u202a\\u202b\\u202c\\u202d");
	CLEAN("\xe2\x80\x8e\xe2\x80\x8f", "\\u200e\\u200f");
	CLEAN("\xd8\x9c", "\\u061c");
	CLEAN("\xef\xbb\xbf"
	      "bom",
	      "\\ufeffbom");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	CLEAN("\xff", "\\xff");
	CLEAN("a\xfe"
	      "b",
	      "a\\xfeb");
	CLEAN("\xc0\xaf", "\\xc0\\xaf");                   /* overlong '/' */
	CLEAN("\xe0\x80\xaf", "\\xe0\\x80\\xaf");          /* overlong, 3 bytes */
	CLEAN("\xed\xa0\x80", "\\xed\\xa0\\x80");          /* a surrogate */
	CLEAN("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	CLEAN("ok\xe2\x82", "ok\\xe2\\x82");               /* cut at the end */
	CLEAN("\xe2\x82x", "\\xe2\\x82x");                 /* cut in the middle */
	CLEAN("\x80", "\\x80");                            /* a lone continuation */
	/* a valid character right after an invalid byte survives */
	CLEAN("\xff\xe2\x82\xac", "\\xff\xe2\x82\xac");
}

static void test_clean_text_untouched(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"",
		"New-InboxRule -Name . -DeleteMessage $true",
		"NT SERVICE\\MSExchangeServiceHostNetCore",
		"caf\xc3\xa9 \xe2\x82\xac \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80",
		"e\xcc\x81",
		"~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		size_t n = strlen(texts[i]);
		assert_false(sanitize_needed(texts[i], n));
		char *out = sanitize(texts[i], n);
		assert_string_equal(out, texts[i]);
		free(out);
	}
	/* the length is honoured: what follows n is not read */
	char *out = sanitize("abc\x1b", 3);
	assert_string_equal(out, "abc");
	free(out);
	assert_false(sanitize_needed("abc\x1b", 3));
}

/* json_escape's output inside quotes must be a JSON string that decodes
 * to want (wantlen bytes). */
static void expect_json(const char *in, size_t n, const char *want, size_t wantlen)
{
	char *esc = json_escape(in, n);
	assert_non_null(esc);
	size_t en = strlen(esc);
	char *doc = malloc(en + 3);
	doc[0] = '"';
	memcpy(doc + 1, esc, en);
	doc[en + 1] = '"';
	doc[en + 2] = '\0';
	json_error_t jerr;
	json_t *v = json_loads(doc, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!v)
		fail_msg("json_escape gave invalid JSON %s: %s", doc, jerr.text);
	assert_true(json_is_string(v));
	if (json_string_length(v) != wantlen || memcmp(json_string_value(v), want, wantlen) != 0)
		fail_msg("%s decodes to \"%s\", expected \"%.*s\"", doc, json_string_value(v), (int)wantlen,
			 want);
	/* no raw control byte in the output, ever */
	for (size_t i = 0; i < en; i++)
		assert_true((unsigned char)esc[i] >= 0x20 && esc[i] != 0x7f);
	json_decref(v);
	free(doc);
	free(esc);
}

#define JSONRT(lit) expect_json((lit), sizeof(lit) - 1, (lit), sizeof(lit) - 1)

static void test_json_escape(void **state)
{
	(void)state;
	JSONRT("plain");
	JSONRT("");
	JSONRT("quote \" and backslash \\ and slash /");
	JSONRT("line\nbreak\r\ttab");
	JSONRT("\x1b[31m\x07\x01\x1f\x7f");
	JSONRT("nul\0inside");
	JSONRT("C1 \xc2\x85 \xc2\x9b bidi \xe2\x80\xae \xe2\x81\xa6 bom \xef\xbb\xbf");
	JSONRT("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
	JSONRT("{\"CreationTime\":\"2023-09-26T01:56:15\",\"Path\":\"\\\\Inbox\"}");

	/* exact text of the escapes */
	char *e = json_escape("a\"b\\c\n\x1b\xc2\x85\xe2\x80\xae", 12);
	assert_string_equal(e, "a\\\"b\\\\c\\n\\u001b\\u0085\\u202e");
	free(e);

	/* invalid UTF-8 becomes U+FFFD, one per bad byte */
	expect_json("a\xff"
		    "b",
		    3,
		    "a\xef\xbf\xbd"
		    "b",
		    5);
	expect_json("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd", 6);
	expect_json("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9);
	expect_json("x\xe2\x82", 3, "x\xef\xbf\xbd\xef\xbf\xbd", 7);
}

/* Every byte string, valid or not, escapes to JSON that parses. */
static void test_json_escape_random(void **state)
{
	(void)state;
	unsigned seed = 12345;
	for (int round = 0; round < 2000; round++) {
		unsigned char buf[64];
		size_t n = (size_t)(round % 64);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = (seed >> 16) & 0xff;
			/* bias towards the interesting bytes */
			static const unsigned char pick[] = { 0x00, 0x1b, 0x22, 0x5c, 0x7f, 0x80, 0xbf, 0xc2,
							      0xe2, 0xed, 0xf0, 0xf4, 0xff, 'a',  '\n' };
			buf[i] = (r & 1) ? pick[(r >> 1) % sizeof pick] : (unsigned char)r;
		}
		char *esc = json_escape((const char *)buf, n);
		size_t en = strlen(esc);
		assert_true(en <= n * 6);
		char *doc = malloc(en + 3);
		doc[0] = '"';
		memcpy(doc + 1, esc, en);
		doc[en + 1] = '"';
		doc[en + 2] = '\0';
		json_error_t jerr;
		json_t *v = json_loads(doc, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		if (!v)
			fail_msg("round %d: invalid JSON (%s): %s", round, jerr.text, doc);
		/* and sanitize of the same bytes is printable ASCII or valid,
		 * harmless UTF-8 */
		char *s = sanitize((const char *)buf, n);
		assert_false(sanitize_needed(s, strlen(s)));
		free(s);
		json_decref(v);
		free(doc);
		free(esc);
	}
}

static void test_width(void **state)
{
	(void)state;
	assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
	assert_int_equal(text_width("", 0), 0);
	assert_int_equal(text_width("abc", 3), 3);
	/* CJK: two columns each */
	assert_int_equal(text_width("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9), 6);
	assert_int_equal(text_width("a\xe6\x97\xa5"
				    "b",
				    5),
			 4);
	/* a combining acute takes no column */
	assert_int_equal(text_width("e\xcc\x81", 3), 1);
	assert_int_equal(text_width("caf\xc3\xa9", 5), 4);
	/* an invalid byte counts as one column */
	assert_int_equal(text_width("a\xff"
				    "b",
				    3),
			 3);
	assert_int_equal(text_width("\xe6\x97", 2), 2);
	/* controls count one (wcwidth does not know them) */
	assert_int_equal(text_width("\x1b", 1), 1);
}

static void test_fit(void **state)
{
	(void)state;
	assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
	const char *cjk = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"; /* 6 columns, 9 bytes */
	size_t cols = 99;
	assert_int_equal(text_fit(cjk, 9, 6, &cols), 9);
	assert_int_equal(cols, 6);
	assert_int_equal(text_fit(cjk, 9, 5, &cols), 6); /* no half character */
	assert_int_equal(cols, 4);
	assert_int_equal(text_fit(cjk, 9, 1, &cols), 0);
	assert_int_equal(cols, 0);
	assert_int_equal(text_fit(cjk, 9, 0, &cols), 0);
	assert_int_equal(text_fit(cjk, 9, 100, NULL), 9);

	/* "ab" then a wide character that does not fit in 3 */
	assert_int_equal(text_fit("ab\xe6\x97\xa5", 5, 3, &cols), 2);
	assert_int_equal(cols, 2);
	/* a combining mark stays with its base */
	assert_int_equal(text_fit("abe\xcc\x81"
				  "d",
				  6, 3, &cols),
			 5);
	assert_int_equal(cols, 3);
	/* multi-byte characters of width one are never cut */
	assert_int_equal(text_fit("\xc3\xa9\xc3\xa9\xc3\xa9", 6, 2, &cols), 4);
	assert_int_equal(cols, 2);
	assert_int_equal(text_fit("\xf0\x9f\x98\x80x", 5, 1, &cols), 0);

	/* wherever it stops, it stops at a character boundary */
	const char *mixed = "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80"
			    "e\xcc\x81\xe2\x82\xac z";
	size_t n = strlen(mixed);
	size_t total = text_width(mixed, n);
	size_t prev = 0;
	for (size_t max = 0; max <= total + 1; max++) {
		size_t b = text_fit(mixed, n, max, &cols);
		assert_true(cols <= max);
		assert_true(b >= prev);
		prev = b;
		/* the cut is at a boundary: the byte there is not a continuation */
		if (b < n)
			assert_true(((unsigned char)mixed[b] & 0xc0) != 0x80);
		assert_int_equal(text_width(mixed, b), cols);
	}
	assert_int_equal(prev, n);
}

/* json_text_safe: a DEL inside a JSON string is valid JSON but must not
 * reach a terminal raw; it comes out escaped, the document still valid. */
static void test_json_text_safe_del(void **state)
{
	(void)state;
	const char in[] = "{\"a\":\"x\x7fy\"}";
	char *out = json_text_safe(in, sizeof in - 1);
	assert_string_equal(out, "{\"a\":\"x\\u007fy\"}");
	json_error_t err;
	json_t *j = json_loads(out, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "a")), "x\x7fy");
	json_decref(j);
	free(out);
}

/* Finding 5 of issue 10: characters that draw nothing let
 * "ad<U+200B>min@contoso.com" pass for admin@contoso.com. Every
 * default-ignorable or invisible character, and the line and paragraph
 * separators, comes out as a visible escape like the bidi controls. */
static void test_invisible(void **state)
{
	(void)state;
	CLEAN("ad\xe2\x80\x8bmin@contoso.com", "ad\\u200bmin@contoso.com");
	CLEAN("\xe2\x80\x8c\xe2\x80\x8d", "\\u200c\\u200d"); /* ZWNJ, ZWJ */
	CLEAN("\xe2\x81\xa0\xe2\x81\xa2", "\\u2060\\u2062"); /* word joiner, invisible times */
	CLEAN("soft\xc2\xad"
	      "hyphen",
	      "soft\\u00adhyphen");
	CLEAN("cgj\xcd\x8f", "cgj\\u034f");
	CLEAN("hangul\xe3\x85\xa4"
	      "filler",
	      "hangul\\u3164filler");
	CLEAN("\xef\xbe\xa0", "\\uffa0"); /* halfwidth hangul filler */
	CLEAN("vs\xef\xb8\x8f", "vs\\ufe0f");
	CLEAN("mongolian\xe1\xa0\x8e", "mongolian\\u180e");
	CLEAN("line\xe2\x80\xa8sep\xe2\x80\xa9", "line\\u2028sep\\u2029");
	/* tag characters (U+E0000 block) spell hidden ASCII */
	CLEAN("x\xf3\xa0\x81\x81\xf3\xa0\x81\xbf", "x\\U000e0041\\U000e007f");
	assert_true(sanitize_needed("\xe2\x80\x8b", 3));
	/* a visible neighbour is untouched */
	CLEAN("\xe2\x80\x8a", "\xe2\x80\x8a"); /* U+200A hair space draws */

	/* in JSON the escapes keep the meaning: above U+FFFF as a surrogate pair */
	char *e = json_escape("a\xe2\x80\x8b\xf3\xa0\x81\x81", 8);
	assert_string_equal(e, "a\\u200b\\udb40\\udc41");
	free(e);
	expect_json("a\xf3\xa0\x81\x81z", 6, "a\xf3\xa0\x81\x81z", 6);
	const char in[] = "{\"u\":\"ad\xe2\x80\x8bmin\xf3\xa0\x81\x81\"}";
	char *t = json_text_safe(in, sizeof in - 1);
	assert_string_equal(t, "{\"u\":\"ad\\u200bmin\\udb40\\udc41\"}");
	json_error_t err;
	json_t *j = json_loads(t, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "u")), "ad\xe2\x80\x8bmin\xf3\xa0\x81\x81");
	json_decref(j);
	free(t);
}

/* sanitize_nul keeps what follows a NUL, which shows as sanitize shows
 * it; every other byte is left for the display to sanitise. */
static void test_nul(void **state)
{
	(void)state;
	char *s = sanitize_nul("fwd\0hidden\0", 11);
	assert_string_equal(s, "fwd\\x00hidden\\x00");
	char *shown = sanitize("fwd\0hidden\0", 11);
	assert_string_equal(s, shown); /* as the sanitiser shows it */
	free(shown);
	free(s);
	s = sanitize_nul("\0\x1b[31m", 6);
	assert_string_equal(s, "\\x00\x1b[31m");
	free(s);
	s = sanitize_nul("plain", 5);
	assert_string_equal(s, "plain");
	free(s);
	s = sanitize_nul("", 0);
	assert_string_equal(s, "");
	free(s);
	assert_null(sanitize_nul(NULL, 0));
}

/* A terminal in a locale that is not UTF-8 draws each byte of a UTF-8
 * sequence on its own: there every character past ASCII is an escape,
 * JSON's as \u escapes, which keep its meaning. */
static void test_ascii_terminal(void **state)
{
	(void)state;
	sanitize_ascii(true);
	assert_true(sanitize_ascii_only());
	CLEAN("caf\xc3\xa9 \xe6\x97\xa5", "caf\\u00e9 \\u65e5");
	CLEAN("e\xcc\x81\xcc\x81x", "e\\u0301\\u0301x");
	CLEAN("\xf0\x9f\x98\x80", "\\U0001f600");
	/* a character whose UTF-8 holds 0x9b (CSI to an 8-bit terminal) */
	CLEAN("\xdf\x9b"
	      "31m",
	      "\\u07db31m");
	CLEAN("\x1b[31m", "\\e[31m");
	CLEAN("plain ascii", "plain ascii");
	assert_true(sanitize_needed("\xc3\xa9", 2));
	assert_false(sanitize_needed("abc", 3));
	char *j = json_text_safe("{\"a\":\"\xe6\x97\xa5\"}", 11);
	assert_string_equal(j, "{\"a\":\"\\u65e5\"}");
	free(j);
	j = json_escape("\xe6\x97\xa5", 3);
	assert_string_equal(j, "\\u65e5");
	free(j);
	size_t cols;
	char *s = sanitize("\xe6\x97\xa5\xe6\x9c\xac", 6);
	assert_int_equal(text_fit(s, strlen(s), 8, &cols), 8); /* ASCII: a column a byte */
	assert_int_equal(cols, 8);
	free(s);
	sanitize_ascii(false);
	CLEAN("caf\xc3\xa9", "caf\xc3\xa9");
	j = json_escape("\xe6\x97\xa5", 3);
	assert_string_equal(j, "\xe6\x97\xa5");
	free(j);
	assert_false(sanitize_needed("\xc3\xa9", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_sequences),
		cmocka_unit_test(test_json_text_safe_del),
		cmocka_unit_test(test_c0_and_del),
		cmocka_unit_test(test_c1),
		cmocka_unit_test(test_bidi),
		cmocka_unit_test(test_invisible),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_clean_text_untouched),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_escape_random),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_ascii_terminal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
