/*
 * sanitize.c: visible escapes for hostile text (sanitize.h).
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "sanitize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <langinfo.h>
#include <wchar.h>

#include "xalloc.h"

/* The terminal shows ASCII only (sanitize_ascii). Set once, before any
 * thread starts. */
static bool ascii_only;
/* The same for stderr, which may be a terminal when stdout is not. */
static bool ascii_only_err;

void sanitize_ascii(bool on)
{
	ascii_only = on;
}

void sanitize_ascii_stderr(bool on)
{
	ascii_only_err = on;
}

bool sanitize_ascii_only(void)
{
	return ascii_only;
}

bool sanitize_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
}

/* Decode one UTF-8 sequence; returns its length, 0 if invalid. */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	size_t len;
	uint32_t c, min;
	if ((p[0] & 0xE0) == 0xC0) {
		len = 2;
		c = p[0] & 0x1F;
		min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		len = 3;
		c = p[0] & 0x0F;
		min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		len = 4;
		c = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* Characters that draw nothing, or nothing that says what they are:
 * Unicode's default-ignorable code points (zero-width spaces and joiners,
 * the soft hyphen, fillers, variation selectors, tag characters) and the
 * line and paragraph separators. "ad\u200bmin" must not pass for "admin". */
static bool invisible(uint32_t c)
{
	return c == 0x00AD || c == 0x034F || c == 0x115F || c == 0x1160 || c == 0x17B4 || c == 0x17B5 ||
	       (c >= 0x180B && c <= 0x180F) || (c >= 0x200B && c <= 0x200D) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x2060 && c <= 0x2065) || (c >= 0x206A && c <= 0x206F) || c == 0x3164 ||
	       (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFF8) ||
	       (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) ||
	       (c >= 0xE0000 && c <= 0xE0FFF);
}

/* Characters that must not reach a terminal as they are. */
static bool dangerous(uint32_t c)
{
	return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C || c == 0xFEFF ||
	       invisible(c);
}

/* Characters shown as escapes: the dangerous ones, and on a terminal
 * that shows ASCII only every other one past ASCII, which it would draw
 * as bytes ("~W" for each in curses, two columns where the layout
 * counted one, or as C1 controls: 0x9b in a UTF-8 sequence is CSI to a
 * terminal in an 8-bit locale). */
static bool shown_escaped_as(uint32_t c, bool ascii)
{
	return dangerous(c) || (ascii && c >= 0x80);
}

static bool shown_escaped(uint32_t c)
{
	return shown_escaped_as(c, ascii_only);
}

/* A JSON \u escape of c: a surrogate pair above U+FFFF. */
static int json_u_escape(char *o, uint32_t c)
{
	if (c <= 0xFFFF)
		return sprintf(o, "\\u%04x", (unsigned)c);
	c -= 0x10000;
	return sprintf(o, "\\u%04x\\u%04x", (unsigned)(0xD800 + (c >> 10)), (unsigned)(0xDC00 + (c & 0x3FF)));
}

char *sanitize_nul(const char *s, size_t n)
{
	if (!s)
		return NULL;
	size_t nul = 0;
	for (const char *p = s; (p = memchr(p, '\0', n - (size_t)(p - s))) != NULL; p++)
		nul++;
	if (!nul)
		return xstrndup(s, n);
	char *out = xmalloc(n + 3 * nul + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i]) {
			*o++ = s[i];
		} else {
			memcpy(o, "\\x00", 4);
			o += 4;
		}
	}
	*o = '\0';
	return out;
}

char *sanitize_nul_undo(const char *s, size_t *n)
{
	if (!s || !strstr(s, "\\x00"))
		return NULL;
	size_t len = strlen(s);
	char *out = xmalloc(len + 1), *o = out;
	for (size_t i = 0; i < len;) {
		if (!strncmp(s + i, "\\x00", 4)) {
			*o++ = '\0';
			i += 4;
		} else {
			*o++ = s[i++];
		}
	}
	*n = (size_t)(o - out);
	*o = '\0';
	return out;
}

static bool needed_as(const char *s, size_t n, bool ascii)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		if (*p >= 0x20 && *p < 0x7F) {
			p++;
			continue;
		}
		uint32_t c;
		size_t k = utf8_decode(p, (size_t)(e - p), &c);
		if (!k || shown_escaped_as(c, ascii))
			return true;
		p += k;
	}
	return false;
}

bool sanitize_needed(const char *s, size_t n)
{
	return needed_as(s, n, ascii_only);
}

static char *sanitize_as(const char *s, size_t n, bool ascii)
{
	if (!needed_as(s, n, ascii))
		return xstrndup(s, n);
	char *out = xmalloc(n * 6 + 1);
	char *o = out;
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		uint32_t c;
		size_t k = utf8_decode(p, (size_t)(e - p), &c);
		if (!k) {
			o += sprintf(o, "\\x%02x", *p);
			p++;
			continue;
		}
		if (!shown_escaped_as(c, ascii)) {
			memcpy(o, p, k);
			o += k;
		} else if (c == '\n') {
			o += sprintf(o, "\\n");
		} else if (c == '\r') {
			o += sprintf(o, "\\r");
		} else if (c == '\t') {
			o += sprintf(o, "\\t");
		} else if (c == 0x1B) {
			o += sprintf(o, "\\e");
		} else if (c < 0x80) {
			o += sprintf(o, "\\x%02x", (unsigned)c);
		} else if (c <= 0xFFFF) {
			o += sprintf(o, "\\u%04x", (unsigned)c);
		} else {
			o += sprintf(o, "\\U%08x", (unsigned)c);
		}
		p += k;
	}
	*o = '\0';
	return out;
}

char *sanitize(const char *s, size_t n)
{
	return sanitize_as(s, n, ascii_only);
}

char *sanitize_err(const char *s, size_t n)
{
	return sanitize_as(s, n, ascii_only_err);
}

char *json_escape(const char *s, size_t n)
{
	char *out = xmalloc(n * 6 + 1);
	char *o = out;
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		uint32_t c;
		size_t k = utf8_decode(p, (size_t)(e - p), &c);
		if (!k) {
			o += sprintf(o, "\\ufffd");
			p++;
			continue;
		}
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c == '\n') {
			o += sprintf(o, "\\n");
		} else if (c == '\r') {
			o += sprintf(o, "\\r");
		} else if (c == '\t') {
			o += sprintf(o, "\\t");
		} else if (shown_escaped(c)) {
			o += json_u_escape(o, c);
		} else {
			memcpy(o, p, k);
			o += k;
		}
		p += k;
	}
	*o = '\0';
	return out;
}

char *json_text_safe(const char *s, size_t n)
{
	if (!sanitize_needed(s, n))
		return xstrndup(s, n);
	char *out = xmalloc(n * 6 + 1);
	char *o = out;
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		uint32_t c;
		size_t k = utf8_decode(p, (size_t)(e - p), &c);
		if (!k) {
			o += sprintf(o, "\\ufffd");
			p++;
			continue;
		}
		if (c >= 0x7F && shown_escaped(c)) /* DEL too: JSON lets it stand raw */
			o += json_u_escape(o, c);
		else {
			memcpy(o, p, k);
			o += k;
		}
		p += k;
	}
	*o = '\0';
	return out;
}

char *json_one_line(char *s)
{
	char *w = strpbrk(s, "\r\n"); /* most records have none */
	if (!w)
		return s;
	for (const char *p = w; *p; p++)
		if (*p != '\n' && *p != '\r')
			*w++ = *p;
	*w = '\0';
	return s;
}

static size_t char_cols(uint32_t c)
{
	int w = wcwidth((wchar_t)c);
	return w < 0 ? 1 : (size_t)w;
}

size_t text_width(const char *s, size_t n)
{
	size_t cols;
	text_fit(s, n, (size_t)-1, &cols);
	return cols;
}

size_t text_fit(const char *s, size_t n, size_t maxcols, size_t *cols)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	size_t used = 0;
	while (p < e) {
		uint32_t c;
		size_t k = utf8_decode(p, (size_t)(e - p), &c);
		size_t w = k ? char_cols(c) : 1;
		if (!k)
			k = 1;
		if (used + w > maxcols)
			break;
		used += w;
		p += k;
	}
	if (cols)
		*cols = used;
	return (size_t)(p - (const unsigned char *)s);
}

/* Columns of c's escape as sanitize() writes it. */
static size_t escape_cols(uint32_t c)
{
	if (c == '\n' || c == '\r' || c == '\t' || c == 0x1B)
		return 2;
	return c < 0x80 ? 4 : c <= 0xFFFF ? 6 : 10;
}

size_t sanitize_fit(const char *s, size_t n, size_t maxcols, size_t *cols)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	size_t used = 0;
	while (p < e) {
		size_t w, k;
		if (*p >= 0x20 && *p < 0x7F) {
			w = k = 1;
		} else {
			uint32_t c;
			k = utf8_decode(p, (size_t)(e - p), &c);
			if (!k) {
				w = 4; /* \xNN */
				k = 1;
			} else {
				w = shown_escaped(c) ? escape_cols(c) : char_cols(c);
			}
		}
		if (used + w > maxcols)
			break;
		used += w;
		p += k;
	}
	if (cols)
		*cols = used;
	return (size_t)(p - (const unsigned char *)s);
}

size_t sanitize_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	const unsigned char *p = (const unsigned char *)s;
	size_t k = max;
	/* back to the lead byte of the character at max, if it is one */
	size_t back = 0;
	while (k > 0 && back < 3 && (p[k] & 0xC0) == 0x80) {
		k--;
		back++;
	}
	if ((p[k] & 0xC0) == 0x80) /* not UTF-8 there: any byte will do */
		return max;
	return k;
}
