/*
 * fuzz_json_scan.c: libFuzzer target for the allocation-free JSON scanner.
 *
 * Any bytes are one document. What must hold, beyond "no crash":
 *  - json_scan_value and json_scan_object agree, and the members the latter
 *    keeps are the first ones json_iter_next yields;
 *  - json_skip_value ends a container or string where validation ends it;
 *  - every member the iterator cuts out re-validates on its own to the same
 *    span and type (the iterator trusts earlier validation: this is what
 *    keeps it honest);
 *  - json_unescape never grows a string, and equals jansson's decoding
 *    whenever jansson accepts the string; json_str_eq and json_get find
 *    what the iterator found; json_get_int returns the integer part of a
 *    number, false beyond long long;
 *  - against jansson: a document jansson accepts validates here (unless it
 *    is nested deeper than JSON_MAX_DEPTH); a valid UTF-8 document that
 *    validates here is accepted by jansson, apart from what jansson refuses
 *    on purpose (numbers beyond double/long long, lone surrogate escapes,
 *    NUL in a key).
 *
 * tests/test_fuzz_regress.c includes this file with FUZZ_ENTRY and
 * FUZZ_CHECK defined, to replay the committed corpus under cmocka.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_scan.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz check failed: " __VA_ARGS__); \
			fputc('\n', stderr);                                \
			abort();                                            \
		}                                                           \
	} while (0)
#endif
#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

/* The target's own byte loops are left out of coverage tracing: they
 * would cost much of each run and steer the fuzzer by the harness's
 * branches instead of the code under test. */
#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_JSON_SCAN_UNTRACED __attribute__((no_sanitize("coverage"), noinline))
#else
#define FUZZ_JSON_SCAN_UNTRACED
#endif

/* Strict UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF): what jansson demands of its input. */
FUZZ_JSON_SCAN_UNTRACED static bool fuzz_json_scan_utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t k;
		unsigned cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 2, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			k = 3, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			k = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < k)
			return false;
		for (size_t j = 1; j < k; j++) {
			if ((p[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k;
	}
	return true;
}

static bool fuzz_json_scan_same(const struct jval *a, const struct jval *b)
{
	return a->p == b->p && a->n == b->n && a->t == b->t && a->esc == b->esc;
}

static enum jtype fuzz_json_scan_type_of(char c)
{
	switch (c) {
	case '{': return JT_OBJ;
	case '[': return JT_ARR;
	case '"': return JT_STR;
	case 't': return JT_TRUE;
	case 'f': return JT_FALSE;
	case 'n': return JT_NULL;
	default: return JT_NUM;
	}
}

/*
 * What json_get_int promises for a valid JSON number: the integer part of
 * its value (the fraction truncated, an exponent applied), false when that
 * is beyond long long. One documented shortcut is mirrored: the digits
 * before the point must fit by themselves, even if a negative exponent
 * would bring them back in range (99999999999999999999e-5 is refused).
 */
FUZZ_JSON_SCAN_UNTRACED static bool fuzz_json_scan_ref_int(const char *p, size_t n, long long *out)
{
	size_t i = 0;
	bool neg = false;
	char dig[64 * 1024];
	size_t nd = 0, nint = 0;
	if (i < n && p[i] == '-') {
		neg = true;
		i++;
	}
	unsigned long long ip = 0;
	bool ipover = false;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		unsigned d = (unsigned)(p[i] - '0');
		if (ip > ((unsigned long long)LLONG_MAX - d) / 10)
			ipover = true;
		else
			ip = ip * 10 + d;
		if (nd < sizeof dig)
			dig[nd++] = p[i];
		nint++;
		i++;
	}
	if (ipover)
		return false;
	if (i < n && p[i] == '.') {
		i++;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			if (nd < sizeof dig)
				dig[nd++] = p[i];
			i++;
		}
	}
	long long ex = 0;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		bool eneg = i < n && p[i] == '-';
		if (i < n && (p[i] == '-' || p[i] == '+'))
			i++;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			if (ex < 10000000)
				ex = ex * 10 + (p[i] - '0');
			i++;
		}
		if (eneg)
			ex = -ex;
	}
	/* the integer part: the first nint + ex digits of dig, zeros after */
	long long take = (long long)nint + ex;
	unsigned long long v = 0;
	for (long long k = 0; k < take; k++) {
		unsigned d = k < (long long)nd ? (unsigned)(dig[k] - '0') : 0;
		if (v > ((unsigned long long)LLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		if (v == 0 && k >= (long long)nd)
			break; /* zeros times ten stay zero */
	}
	*out = neg ? -(long long)v : (long long)v;
	return true;
}

/* A string value: unescaping, equality and, where jansson reads the same
 * string, the decoded bytes. */
static void fuzz_json_scan_string(const struct jval *s, bool utf8)
{
	size_t len = json_str_len(s);
	char *buf = malloc(len ? len : 1);
	size_t m = json_unescape(s, buf);
	FUZZ_CHECK(m <= len, "json_unescape grew a string: %zu > %zu", m, len);
	if (!s->esc)
		FUZZ_CHECK(m == len && memcmp(buf, json_str_ptr(s), len) == 0,
			   "json_unescape changed a string without escapes");

	if (!memchr(buf, '\0', m) && (!s->esc || len <= 4096)) {
		char *lit = malloc(m + 1);
		memcpy(lit, buf, m);
		lit[m] = '\0';
		FUZZ_CHECK(json_str_eq(s, lit), "json_str_eq is false for its own unescaping");
		free(lit);
	}

	if (utf8) {
		json_error_t err;
		json_t *j = json_loadb(s->p, s->n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		if (j) {
			FUZZ_CHECK(json_is_string(j), "jansson read a string as another type");
			size_t jl = json_string_length(j);
			FUZZ_CHECK(jl == m && memcmp(json_string_value(j), buf, m) == 0,
				   "json_unescape differs from jansson (%zu vs %zu bytes)", m, jl);
			json_decref(j);
		}
	}
	free(buf);
}

static void fuzz_json_scan_number(const struct jval *v)
{
	long long got = 0, want = 0;
	bool g = json_get_int(v, &got);
	bool w = fuzz_json_scan_ref_int(v->p, v->n, &want);
	FUZZ_CHECK(g == w, "json_get_int(%.*s) said %s", (int)(v->n > 80 ? 80 : v->n), v->p,
		   g ? "true" : "false");
	if (g)
		FUZZ_CHECK(got == want, "json_get_int(%.*s) = %lld, expected %lld",
			   (int)(v->n > 80 ? 80 : v->n), v->p, got, want);
}

/* A value cut out by the iterator validates by itself to the same span. */
static void fuzz_json_scan_rescan(const struct jval *v)
{
	struct jval w;
	const char *err = NULL, *at = NULL;
	const char *e = json_scan_value(v->p, v->p + v->n, &w, &err, &at);
	FUZZ_CHECK(e, "an iterated value does not validate by itself: %s", err ? err : "?");
	FUZZ_CHECK(e == v->p + v->n && w.p == v->p && w.t == v->t && w.esc == v->esc,
		   "an iterated value re-validates to another span or type");
}

static void fuzz_json_scan_walk(const struct jval *v, int depth, bool utf8, size_t *budget)
{
	if (*budget == 0)
		return;
	(*budget)--;
	if (depth <= 24)
		fuzz_json_scan_rescan(v);
	if (v->t == JT_STR) {
		fuzz_json_scan_string(v, utf8);
		return;
	}
	if (v->t == JT_NUM) {
		fuzz_json_scan_number(v);
		return;
	}
	if (v->t != JT_OBJ && v->t != JT_ARR)
		return;
	struct jiter it;
	struct jval k, val;
	json_iter_init(&it, v);
	while (json_iter_next(&it, &k, &val)) {
		FUZZ_CHECK(val.p > v->p && val.p + val.n < v->p + v->n,
			   "an iterated value lies outside its container");
		if (v->t == JT_OBJ) {
			FUZZ_CHECK(k.t == JT_STR, "an iterated key is not a string");
			FUZZ_CHECK(k.p > v->p && k.p + k.n <= val.p, "an iterated key lies outside");
			if (depth <= 24)
				fuzz_json_scan_rescan(&k);
			fuzz_json_scan_string(&k, utf8);
		} else {
			FUZZ_CHECK(k.t == JT_NONE, "an array element has a key");
		}
		fuzz_json_scan_walk(&val, depth + 1, utf8, budget);
	}
}

/* The members of a top-level object: json_scan_object's list, the
 * iterator, and json_get by each key. */
static void fuzz_json_scan_members(const uint8_t *data, size_t size, const struct jval *v)
{
	const char *p = (const char *)data, *end = p + size;
	enum { MAXM = 64 };
	struct jmember mem[MAXM];
	size_t max = size % 3 == 0 ? MAXM : size % 7, n = 99;
	struct jval w;
	const char *err = NULL, *at = NULL;
	const char *e = json_scan_object(p, end, &w, mem, max, &n, &err, &at);
	FUZZ_CHECK(e == v->p + v->n && fuzz_json_scan_same(&w, v),
		   "json_scan_object and json_scan_value disagree");
	if (v->t != JT_OBJ) {
		FUZZ_CHECK(n == 0, "json_scan_object kept members of a non-object");
		return;
	}
	struct jiter it;
	struct jval k, val;
	struct jmember all[MAXM];
	size_t total = 0;
	json_iter_init(&it, v);
	while (json_iter_next(&it, &k, &val)) {
		if (total < MAXM) {
			all[total].key = k;
			all[total].val = val;
		}
		total++;
	}
	size_t want = total < max ? total : max;
	FUZZ_CHECK(n == want, "json_scan_object kept %zu members, expected %zu", n, want);
	for (size_t i = 0; i < n && i < MAXM; i++)
		FUZZ_CHECK(fuzz_json_scan_same(&mem[i].key, &all[i].key) &&
				   fuzz_json_scan_same(&mem[i].val, &all[i].val),
			   "member %zu: json_scan_object and the iterator disagree", i);

	/* json_get by each key finds the first member with that key */
	size_t upto = total < MAXM ? total : MAXM;
	for (size_t i = 0; i < upto; i++) {
		const struct jval *key = &all[i].key;
		size_t kl = json_str_len(key);
		if (kl > 4096)
			continue;
		char kb[4097];
		size_t km = json_unescape(key, kb);
		if (memchr(kb, '\0', km))
			continue;
		kb[km] = '\0';
		size_t first = i;
		for (size_t j = 0; j < i; j++) {
			char ob[4097];
			if (json_str_len(&all[j].key) > 4096)
				continue;
			size_t om = json_unescape(&all[j].key, ob);
			if (om == km && memcmp(ob, kb, km) == 0) {
				first = j;
				break;
			}
		}
		struct jval got;
		FUZZ_CHECK(json_get(v, kb, &got), "json_get misses member %zu", i);
		FUZZ_CHECK(fuzz_json_scan_same(&got, &all[first].val),
			   "json_get returns another member than the first with its key");
	}
}

/* Deepest nesting of a document (strings skipped), capped. */
FUZZ_JSON_SCAN_UNTRACED static int fuzz_json_scan_depth(const char *p, size_t n)
{
	int d = 0, max = 0;
	bool str = false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = false;
		} else if (c == '"') {
			str = true;
		} else if (c == '{' || c == '[') {
			if (++d > max)
				max = d;
		} else if (c == '}' || c == ']') {
			d--;
		}
	}
	return max;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct jval v;
	const char *err = NULL, *at = NULL;
	const char *e = json_scan_value(p, end, &v, &err, &at);
	bool utf8 = fuzz_json_scan_utf8_ok(data, size);
	bool doc = false;

	if (e) {
		FUZZ_CHECK(e > p && e <= end, "json_scan_value ended outside its input");
		FUZZ_CHECK(v.p >= p && v.p + v.n == e && v.n > 0, "the value's span is off");
		FUZZ_CHECK(v.t == fuzz_json_scan_type_of(*v.p), "the value's type does not match its text");
		FUZZ_CHECK(json_skip_ws(p, end) == v.p, "the value does not start after white space");
		if (v.t == JT_OBJ || v.t == JT_ARR || v.t == JT_STR)
			FUZZ_CHECK(json_skip_value(p, end) == e,
				   "json_skip_value ends a valid value elsewhere than validation");
		doc = json_skip_ws(e, end) == end;
		size_t budget = 20000;
		fuzz_json_scan_walk(&v, 0, utf8, &budget);
		fuzz_json_scan_members(data, size, &v);
	} else {
		FUZZ_CHECK(err && *err, "an invalid value without a reason");
		FUZZ_CHECK(at >= p && at <= end, "the error position is outside the input");
		/* the skipper must not run past the end either */
		const char *s = json_skip_value(p, end);
		FUZZ_CHECK(!s || (s >= p && s <= end), "json_skip_value ended outside its input");
	}

	/* Against jansson, on whole documents; jansson takes a raw NUL byte
	 * for the end of its input, so documents holding one are left out. */
	if (memchr(p, '\0', size))
		return 0;
	json_error_t jerr;
	json_t *j = json_loadb(p, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (j) {
		if (!doc) {
			bool deep = !e && err && strcmp(err, "nested too deeply") == 0;
			FUZZ_CHECK(deep && fuzz_json_scan_depth(p, size) > JSON_MAX_DEPTH,
				   "jansson accepts a document the scanner refuses: %s",
				   e ? "trailing data" : err);
		}
		json_decref(j);
	} else if (doc && utf8) {
		bool excused = json_error_code(&jerr) == json_error_numeric_overflow ||
			       strstr(jerr.text, "invalid Unicode") != NULL ||
			       strstr(jerr.text, "NUL") != NULL;
		FUZZ_CHECK(excused, "the scanner accepts a document jansson refuses: %s", jerr.text);
	}
	return 0;
}
