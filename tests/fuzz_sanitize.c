/*
 * fuzz_sanitize.c: libFuzzer target for the output side of hostile text:
 * sanitize, json_escape, json_text_safe, text_width and text_fit.
 *
 * Any bytes are one string. What must hold, beyond "no crash":
 *  - sanitize() gives valid UTF-8 with no C0/C1 control, DEL, escape,
 *    bidi control, BOM or invisible character left (sanitize_needed of it is false), and clean
 *    text comes back unchanged;
 *  - json_escape() in quotes is a JSON string, and when the input was valid
 *    UTF-8 it decodes (jansson) to exactly the input;
 *  - json_text_safe() gives valid UTF-8; of a valid JSON document it gives a
 *    valid JSON document (to our scanner and to jansson) equal to the
 *    input, with no C1 or bidi control left raw;
 *  - text_fit() never splits a character, stays within its columns, and
 *    text_width() is what text_fit() uses of the whole.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_scan.h"
#include "sanitize.h"

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
#define FUZZ_SANITIZE_UNTRACED __attribute__((no_sanitize("coverage"), noinline))
#else
#define FUZZ_SANITIZE_UNTRACED
#endif

/* Length of the strict UTF-8 sequence at p (code point in *cp), 0 if
 * there is none. */
FUZZ_SANITIZE_UNTRACED static size_t fuzz_sanitize_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned c = p[0];
	size_t k;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		k = 2, v = c & 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		k = 3, v = c & 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		k = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t j = 1; j < k; j++) {
		if ((p[j] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (p[j] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return k;
}

FUZZ_SANITIZE_UNTRACED static bool fuzz_sanitize_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		size_t k = fuzz_sanitize_utf8(p + i, n - i, &cp);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* Characters that draw nothing (sanitize.c's list, written again so that
 * the oracle does not share the code it checks). */
static bool fuzz_sanitize_invisible(uint32_t c)
{
	return c == 0xAD || c == 0x34F || c == 0x115F || c == 0x1160 || c == 0x17B4 || c == 0x17B5 ||
	       (c >= 0x180B && c <= 0x180F) || (c >= 0x200B && c <= 0x200D) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x2060 && c <= 0x2065) || (c >= 0x206A && c <= 0x206F) || c == 0x3164 ||
	       (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFF8) ||
	       (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) ||
	       (c >= 0xE0000 && c <= 0xE0FFF);
}

/* What must never reach a terminal raw (sanitize.h). */
static bool fuzz_sanitize_bad_char(uint32_t c, bool c0)
{
	return (c0 && (c < 0x20 || c == 0x7F)) || (c >= 0x80 && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C || c == 0xFEFF ||
	       fuzz_sanitize_invisible(c);
}

/* Valid UTF-8 without the characters above; c0: C0 controls and DEL too. */
FUZZ_SANITIZE_UNTRACED static bool fuzz_sanitize_clean(const char *s, size_t n, bool c0)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		size_t k = fuzz_sanitize_utf8(p + i, n - i, &cp);
		if (!k || fuzz_sanitize_bad_char(cp, c0))
			return false;
		i += k;
	}
	return true;
}

static void fuzz_sanitize_json_escape(const char *s, size_t n, bool utf8)
{
	char *e = json_escape(s, n);
	size_t el = strlen(e);
	FUZZ_CHECK(fuzz_sanitize_clean(e, el, true), "json_escape left a control or invalid UTF-8");
	char *q = malloc(el + 3);
	q[0] = '"';
	memcpy(q + 1, e, el);
	q[el + 1] = '"';
	q[el + 2] = '\0';
	struct jval v;
	const char *err = NULL, *at = NULL;
	const char *end = json_scan_value(q, q + el + 2, &v, &err, &at);
	FUZZ_CHECK(end == q + el + 2 && v.t == JT_STR, "json_escape is not a JSON string body: %s",
		   err ? err : "ends early");
	json_error_t jerr;
	json_t *j = json_loadb(q, el + 2, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	FUZZ_CHECK(j && json_is_string(j), "jansson refuses json_escape's output: %s", jerr.text);
	if (utf8)
		FUZZ_CHECK(json_string_length(j) == n && memcmp(json_string_value(j), s, n) == 0,
			   "json_escape does not decode back to its valid UTF-8 input");
	json_decref(j);
	free(q);
	free(e);
}

static void fuzz_sanitize_text_safe(const char *s, size_t n)
{
	char *t = json_text_safe(s, n);
	size_t tl = strlen(t);
	bool nul = memchr(s, '\0', n) != NULL;
	FUZZ_CHECK(fuzz_sanitize_valid(t, tl), "json_text_safe gave invalid UTF-8");
	if (!nul)
		FUZZ_CHECK(fuzz_sanitize_clean(t, tl, false), "json_text_safe left a C1 or bidi control");

	struct jval v;
	const char *e = json_scan_value(s, s + n, &v, NULL, NULL);
	if (e && json_skip_ws(e, s + n) == s + n && !nul) {
		const char *e2 = json_scan_value(t, t + tl, &v, NULL, NULL);
		FUZZ_CHECK(e2 && json_skip_ws(e2, t + tl) == t + tl,
			   "json_text_safe of a valid document is not one");
		json_error_t jerr;
		json_t *a = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		json_t *b = json_loadb(t, tl, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		/* jansson refuses numbers beyond its range, lone surrogate
		 * escapes and NUL in keys in both alike */
		if (b || (json_error_code(&jerr) != json_error_numeric_overflow &&
			  !strstr(jerr.text, "invalid Unicode") && !strstr(jerr.text, "NUL")))
			FUZZ_CHECK(b, "jansson refuses json_text_safe of a valid document: %s", jerr.text);
		if (a && b)
			FUZZ_CHECK(json_equal(a, b), "json_text_safe changed what a document means");
		json_decref(a);
		json_decref(b);
	}
	free(t);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		/* text_width uses wcwidth: a UTF-8 locale, as the tool sets */
		if (!setlocale(LC_CTYPE, "C.UTF-8"))
			setlocale(LC_CTYPE, "");
		ready = true;
	}
	const char *s = (const char *)data;
	bool utf8 = fuzz_sanitize_valid(s, size);

	char *z = sanitize(s, size);
	size_t zl = strlen(z);
	FUZZ_CHECK(fuzz_sanitize_clean(z, zl, true), "sanitize left a control or invalid UTF-8");
	FUZZ_CHECK(!sanitize_needed(z, zl), "sanitize_needed of sanitize's own output");
	if (!sanitize_needed(s, size))
		FUZZ_CHECK(zl == size && memcmp(z, s, size) == 0, "sanitize changed clean text");
	else
		FUZZ_CHECK(!fuzz_sanitize_clean(s, size, true), "sanitize_needed of clean text");
	free(z);

	fuzz_sanitize_json_escape(s, size, utf8);
	fuzz_sanitize_text_safe(s, size);

	/* text_fit at a few widths: none, a little, half, all but one, all,
	 * more (each width costs a pass of wcwidth calls) */
	size_t whole = text_width(s, size), cols = 0;
	FUZZ_CHECK(text_fit(s, size, (size_t)-1, &cols) == size && cols == whole,
		   "text_fit of unlimited width does not take everything");
	size_t widths[] = { 0, 1, 2, whole / 2, whole ? whole - 1 : 0, whole, whole + 1 };
	for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
		size_t w = widths[i];
		size_t b = text_fit(s, size, w, &cols);
		FUZZ_CHECK(b <= size && cols <= w, "text_fit(%zu) took %zu bytes, %zu columns", w, b, cols);
		FUZZ_CHECK(text_width(s, b) == cols, "text_fit's columns differ from text_width's");
		if (utf8)
			FUZZ_CHECK(fuzz_sanitize_valid(s, b), "text_fit(%zu) split a character", w);
		if (b < size)
			FUZZ_CHECK(text_fit(s, size, cols + 1, NULL) >= b, "text_fit is not monotonic");
	}
	return 0;
}
