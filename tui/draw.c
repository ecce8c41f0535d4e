/*
 * draw.c: sanitised, width-aware text drawing (draw.h).
 *
 * Clean text (the common case: ASCII ids and addresses) is drawn straight
 * from the caller's buffer; only text that needs escaping is copied.
 */
#include "draw.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "sanitize.h"
#include "theme.h"
#include "timeparse.h"
#include "xalloc.h"

/* Is the locale's character set UTF-8? (asked once) */
static bool utf8_locale(void)
{
	static int utf8 = -1;
	if (utf8 < 0) {
		const char *cs = nl_langinfo(CODESET);
		utf8 = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
	}
	return utf8;
}

const char *draw_cut_mark(void)
{
	return utf8_locale() ? "\u2026" : "~";
}

/* Columns left in w's line from x: nothing is drawn past the window's
 * edge, where curses would wrap it onto the next line. */
static int room(WINDOW *w, int x, int maxcols)
{
	int left = getmaxx(w) - x;
	return maxcols < left ? maxcols : left;
}

void draw_mark(WINDOW *w, int y, int x, attr_t a)
{
	if (room(w, x, 1) < 1)
		return;
	attr_t m = theme_attr(THEME_CUT);
	/* without colour the mark keeps the cell's look (a selected row stays
	 * reversed) and adds the role's attributes */
	if (!PAIR_NUMBER(m))
		m |= a;
	wattr_set(w, m & ~A_COLOR, (short)PAIR_NUMBER(m), NULL);
	mvwaddstr(w, y, x, draw_cut_mark());
	wattr_set(w, A_NORMAL, 0, NULL);
}

int draw_textn(WINDOW *w, int y, int x, const char *s, size_t n, int maxcols, attr_t a)
{
	maxcols = room(w, x, maxcols);
	if (!s || maxcols <= 0)
		return 0;
	/* only what is shown is made safe: a 50 MB value costs a screen */
	size_t cols;
	size_t bytes = sanitize_fit(s, n, (size_t)maxcols, &cols);
	bool cut = bytes < n;
	if (cut) /* one column less, for the mark */
		bytes = sanitize_fit(s, n, (size_t)maxcols - 1, &cols);
	char *safe = NULL;
	if (sanitize_needed(s, bytes)) {
		safe = sanitize(s, bytes);
		s = safe;
		bytes = strlen(safe);
	}
	wattr_set(w, a & ~A_COLOR, (short)PAIR_NUMBER(a), NULL);
	if (bytes)
		mvwaddnstr(w, y, x, s, (int)bytes);
	wattr_set(w, A_NORMAL, 0, NULL);
	if (cut) {
		draw_mark(w, y, x + (int)cols, a);
		cols++;
	}
	free(safe);
	return (int)cols;
}

bool draw_fits(const char *s, int cols)
{
	if (!s)
		return true;
	if (cols < 0)
		return false;
	size_t n = strlen(s);
	return sanitize_fit(s, n, (size_t)cols, NULL) == n;
}

int draw_text(WINDOW *w, int y, int x, const char *s, int maxcols, attr_t a)
{
	return s ? draw_textn(w, y, x, s, strlen(s), maxcols, a) : 0;
}

void draw_fill(WINDOW *w, int y, int x, int cols, attr_t a)
{
	cols = room(w, x, cols);
	if (cols <= 0)
		return;
	wattr_set(w, a & ~A_COLOR, (short)PAIR_NUMBER(a), NULL);
	mvwhline(w, y, x, ' ', cols);
	wattr_set(w, A_NORMAL, 0, NULL);
}

void draw_bar(WINDOW *w, int y, int x, int len, attr_t a)
{
	len = room(w, x, len);
	if (len <= 0)
		return;
	wattr_set(w, a & ~A_COLOR, (short)PAIR_NUMBER(a), NULL);
	if (utf8_locale()) {
		cchar_t block;
		setcchar(&block, L"\u2588", A_NORMAL, 0, NULL);
		wmove(w, y, x);
		for (int i = 0; i < len; i++)
			wadd_wch(w, &block);
	} else {
		mvwhline(w, y, x, '#', len);
	}
	wattr_set(w, A_NORMAL, 0, NULL);
}

int draw_width(const char *s)
{
	if (!s)
		return 0;
	size_t cols;
	sanitize_fit(s, strlen(s), (size_t)-1, &cols);
	return cols > INT_MAX ? INT_MAX : (int)cols;
}

void draw_cell(WINDOW *w, int y, int x, const char *s, int cols, attr_t a, bool right)
{
	if (cols <= 0)
		return;
	if (right) {
		int wd = draw_width(s);
		int pad = wd < cols ? cols - wd : 0;
		draw_fill(w, y, x, pad, a);
		draw_text(w, y, x + pad, s, cols - pad, a);
		return;
	}
	int used = draw_text(w, y, x, s, cols, a);
	draw_fill(w, y, x + used, cols - used, a);
}

const char *draw_find(const char *s, size_t n, const char *needle)
{
	size_t k = needle ? strlen(needle) : 0;
	if (!k || k > n)
		return NULL;
	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;
		while (j < k && tolower((unsigned char)s[i + j]) == tolower((unsigned char)needle[j]))
			j++;
		if (j == k)
			return s + i;
	}
	return NULL;
}

void draw_cell_match(WINDOW *w, int y, int x, const char *s, int cols, attr_t a, const char *needle, attr_t hl)
{
	if (cols <= 0)
		return;
	if (!s || !needle || !*needle) {
		draw_cell(w, y, x, s, cols, a, false);
		return;
	}
	/* match on the text as shown, so that escapes cannot split a match;
	 * a cut value keeps its last column for the mark: only what is
	 * shown of it is made safe, searched and drawn */
	size_t len = strlen(s);
	size_t shown = sanitize_fit(s, len, (size_t)cols, NULL);
	bool cut = shown < len;
	if (cut)
		shown = sanitize_fit(s, len, (size_t)cols - 1, NULL);
	char *safe = sanitize(s, shown);
	size_t n = strlen(safe);
	const char *m = draw_find(safe, n, needle);
	int used = 0;
	if (!m) {
		used = draw_textn(w, y, x, safe, n, cols, a);
	} else {
		size_t pre = (size_t)(m - safe), k = strlen(needle);
		used = draw_textn(w, y, x, safe, pre, cols, a);
		used += draw_textn(w, y, x + used, m, k, cols - used, hl);
		used += draw_textn(w, y, x + used, m + k, n - pre - k, cols - used, a);
	}
	if (cut) {
		draw_mark(w, y, x + used, a);
		used++;
	}
	draw_fill(w, y, x + used, cols - used, a);
	free(safe);
}

const char *draw_count(int64_t n, char *buf, size_t size)
{
	char digits[32];
	bool neg = n < 0;
	uint64_t u = neg ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
	snprintf(digits, sizeof digits, "%" PRIu64, u);
	size_t len = strlen(digits), o = 0;
	char out[48];
	if (neg)
		out[o++] = '-';
	for (size_t i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	snprintf(buf, size, "%s", out);
	return buf;
}

const char *draw_time(int64_t ms, char *buf, size_t size)
{
	char iso[40];
	time_format(ms, iso, sizeof iso);
	/* 2023-09-20T04:05:03.000Z -> 2023-09-20 04:05:03 */
	iso[10] = ' ';
	iso[19] = '\0';
	snprintf(buf, size, "%s", iso);
	return buf;
}

/* Append the UTF-8 form of c. */
static size_t put_utf8(char *o, wchar_t c)
{
	uint32_t u = (uint32_t)c;
	if (u < 0x80) {
		o[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		o[0] = (char)(0xC0 | u >> 6);
		o[1] = (char)(0x80 | (u & 0x3F));
		return 2;
	}
	if (u < 0x10000) {
		o[0] = (char)(0xE0 | u >> 12);
		o[1] = (char)(0x80 | (u >> 6 & 0x3F));
		o[2] = (char)(0x80 | (u & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | u >> 18);
	o[1] = (char)(0x80 | (u >> 12 & 0x3F));
	o[2] = (char)(0x80 | (u >> 6 & 0x3F));
	o[3] = (char)(0x80 | (u & 0x3F));
	return 4;
}

char *draw_dump(WINDOW *w)
{
	int rows, cols;
	getmaxyx(w, rows, cols);
	size_t cap = (size_t)rows * ((size_t)cols * 4 * CCHARW_MAX + 1) + 1;
	char *out = xmalloc(cap), *o = out;
	for (int y = 0; y < rows; y++) {
		char *line = o;
		for (int x = 0; x < cols; x++) {
			cchar_t cc;
			if (mvwin_wch(w, y, x, &cc) == ERR)
				break;
			wchar_t wc[CCHARW_MAX + 1];
			attr_t a;
			short pair;
			if (getcchar(&cc, wc, &a, &pair, NULL) == ERR)
				continue;
			if (wc[0] == L'\0')
				continue;
			for (int i = 0; i < CCHARW_MAX && wc[i]; i++)
				o += put_utf8(o, wc[i]);
			/* a wide character fills the next cell too, which holds a
			 * copy of it: skip that */
			int wd = wcwidth(wc[0]);
			if (wd > 1)
				x += wd - 1;
		}
		while (o > line && o[-1] == ' ')
			o--;
		*o++ = '\n';
	}
	*o = '\0';
	return out;
}
