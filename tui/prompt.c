/*
 * prompt.c: the line editor and its history (prompt.h).
 *
 * The text is kept as UTF-8 with the cursor as a byte offset that always
 * sits on a character boundary; widths come from text_width, so a wide
 * character moves the cursor two columns, as the terminal does.
 */
#include "prompt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "keys.h"
#include "sanitize.h"
#include "theme.h"
#include "xalloc.h"

struct prompt_history {
	char **items;
	size_t n, cap, max;
};

struct prompt_history *prompt_history_new(size_t max)
{
	struct prompt_history *h = xcalloc(1, sizeof *h);
	h->max = max ? max : 1;
	return h;
}

void prompt_history_free(struct prompt_history *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->items[i]);
	free(h->items);
	free(h);
}

void prompt_history_add(struct prompt_history *h, const char *s)
{
	if (!h || !s || !*s)
		return;
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->items[i], s)) {
			char *keep = h->items[i];
			memmove(h->items + i, h->items + i + 1, (h->n - i - 1) * sizeof *h->items);
			h->items[h->n - 1] = keep;
			return;
		}
	if (h->n == h->max) {
		free(h->items[0]);
		memmove(h->items, h->items + 1, (h->n - 1) * sizeof *h->items);
		h->n--;
	}
	h->items = xgrow(h->items, &h->cap, h->n + 1, sizeof *h->items);
	h->items[h->n++] = xstrdup(s);
}

size_t prompt_history_count(const struct prompt_history *h)
{
	return h ? h->n : 0;
}

const char *prompt_history_get(const struct prompt_history *h, size_t i)
{
	return h && i < h->n ? h->items[i] : NULL;
}

struct prompt {
	char *label;
	char *buf;
	size_t len, cap, cur;
	struct prompt_history *h;
	size_t hpos; /* == h->n: editing the draft, not a history entry */
	char *draft; /* what was typed before walking the history */
	int scroll;  /* first text column shown */
	int cursor_x;
};

static void set_text(struct prompt *p, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	p->buf = xgrow(p->buf, &p->cap, n + 1, 1);
	/* controls (a note imported with line breaks) become spaces, so
	 * that the text is drawn as it is edited */
	for (size_t i = 0; i < n; i++)
		p->buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7F ? ' ' : s[i];
	p->buf[n] = '\0';
	p->len = p->cur = n;
}

struct prompt *prompt_new(const char *label, const char *text, struct prompt_history *h)
{
	struct prompt *p = xcalloc(1, sizeof *p);
	p->label = xstrdup(label);
	p->h = h;
	p->hpos = prompt_history_count(h);
	set_text(p, text);
	return p;
}

void prompt_free(struct prompt *p)
{
	if (!p)
		return;
	free(p->label);
	free(p->buf);
	free(p->draft);
	free(p);
}

const char *prompt_text(const struct prompt *p)
{
	return p->buf;
}

const char *prompt_label(const struct prompt *p)
{
	return p->label;
}

static size_t prev_char(const struct prompt *p, size_t i)
{
	while (i > 0) {
		i--;
		if (((unsigned char)p->buf[i] & 0xC0) != 0x80)
			break;
	}
	return i;
}

static size_t next_char(const struct prompt *p, size_t i)
{
	if (i < p->len)
		i++;
	while (i < p->len && ((unsigned char)p->buf[i] & 0xC0) == 0x80)
		i++;
	return i;
}

static void delete_range(struct prompt *p, size_t from, size_t to)
{
	memmove(p->buf + from, p->buf + to, p->len - to + 1);
	p->len -= to - from;
	p->cur = from;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Characters that may be typed: no controls, C1 or bidi overrides, so
 * that the buffer can be drawn as it is. */
static bool typeable(int key)
{
	if (key < 0x20 || key == 0x7F || key >= KEYS_FN || (key >= 0x80 && key <= 0x9F))
		return false;
	if ((key >= 0x202A && key <= 0x202E) || (key >= 0x2066 && key <= 0x2069) || key == 0x200E ||
	    key == 0x200F || key == 0x061C || key == 0xFEFF || (key >= 0xD800 && key <= 0xDFFF) ||
	    key > 0x10FFFF)
		return false;
	return true;
}

static void insert_char(struct prompt *p, int key)
{
	char enc[4];
	size_t k;
	uint32_t u = (uint32_t)key;
	if (u < 0x80) {
		enc[0] = (char)u;
		k = 1;
	} else if (u < 0x800) {
		enc[0] = (char)(0xC0 | u >> 6);
		enc[1] = (char)(0x80 | (u & 0x3F));
		k = 2;
	} else if (u < 0x10000) {
		enc[0] = (char)(0xE0 | u >> 12);
		enc[1] = (char)(0x80 | (u >> 6 & 0x3F));
		enc[2] = (char)(0x80 | (u & 0x3F));
		k = 3;
	} else {
		enc[0] = (char)(0xF0 | u >> 18);
		enc[1] = (char)(0x80 | (u >> 12 & 0x3F));
		enc[2] = (char)(0x80 | (u >> 6 & 0x3F));
		enc[3] = (char)(0x80 | (u & 0x3F));
		k = 4;
	}
	p->buf = xgrow(p->buf, &p->cap, p->len + k + 1, 1);
	memmove(p->buf + p->cur + k, p->buf + p->cur, p->len - p->cur + 1);
	memcpy(p->buf + p->cur, enc, k);
	p->len += k;
	p->cur += k;
}

static void history_move(struct prompt *p, int dir)
{
	size_t n = prompt_history_count(p->h);
	if (dir < 0 && p->hpos == 0)
		return;
	if (dir > 0 && p->hpos >= n)
		return;
	if (p->hpos == n) {
		free(p->draft);
		p->draft = xstrdup(p->buf);
	}
	p->hpos = dir < 0 ? p->hpos - 1 : p->hpos + 1;
	set_text(p, p->hpos == n ? p->draft : prompt_history_get(p->h, p->hpos));
}

int prompt_key(struct prompt *p, int key)
{
	switch (key) {
	case '\n':
	case '\r':
	case KEYS_F(KEY_ENTER): prompt_history_add(p->h, p->buf); return PROMPT_ACCEPT;
	case KEYS_ESC:
	case KEYS_CTRL('G'):
	case KEYS_CTRL('C'): return PROMPT_CANCEL;
	case KEYS_F(KEY_BACKSPACE):
	case 127:
	case KEYS_CTRL('H'):
		/* backspace on an empty line leaves, as in lnav and vim */
		if (p->len == 0)
			return PROMPT_CANCEL;
		if (p->cur > 0)
			delete_range(p, prev_char(p, p->cur), p->cur);
		break;
	case KEYS_F(KEY_DC):
	case KEYS_CTRL('D'):
		if (p->cur < p->len)
			delete_range(p, p->cur, next_char(p, p->cur));
		break;
	case KEYS_F(KEY_LEFT):
	case KEYS_CTRL('B'): p->cur = prev_char(p, p->cur); break;
	case KEYS_F(KEY_RIGHT):
	case KEYS_CTRL('F'): p->cur = next_char(p, p->cur); break;
	case KEYS_F(KEY_HOME):
	case KEYS_CTRL('A'): p->cur = 0; break;
	case KEYS_F(KEY_END):
	case KEYS_CTRL('E'): p->cur = p->len; break;
	case KEYS_CTRL('U'): delete_range(p, 0, p->cur); break;
	case KEYS_CTRL('K'):
		p->buf[p->cur] = '\0';
		p->len = p->cur;
		break;
	case KEYS_CTRL('W'): {
		size_t i = p->cur;
		while (i > 0 && is_space(p->buf[i - 1]))
			i--;
		while (i > 0 && !is_space(p->buf[i - 1]))
			i--;
		delete_range(p, i, p->cur);
		break;
	}
	case KEYS_F(KEY_UP):
	case KEYS_CTRL('P'): history_move(p, -1); break;
	case KEYS_F(KEY_DOWN):
	case KEYS_CTRL('N'): history_move(p, 1); break;
	default:
		if (typeable(key))
			insert_char(p, key);
		break;
	}
	return PROMPT_EDITING;
}

void prompt_set_error(struct prompt *p, int column)
{
	if (column <= 0)
		return;
	size_t at = (size_t)column - 1;
	if (at > p->len)
		at = p->len;
	while (at > 0 && ((unsigned char)p->buf[at] & 0xC0) == 0x80)
		at--;
	p->cur = at;
}

void prompt_draw(struct prompt *p, WINDOW *w, int y)
{
	int cols = getmaxx(w);
	draw_fill(w, y, 0, cols, theme_attr(THEME_NORMAL));
	int lw = draw_text(w, y, 0, p->label, cols / 2, theme_attr(THEME_PROMPT));
	int room = cols - lw - 1; /* the last column holds the cursor at the end */
	if (room < 1) {
		p->cursor_x = lw;
		return;
	}
	int before = (int)text_width(p->buf, p->cur);
	/* keep the cursor in view, with a little context on the left */
	if (before < p->scroll)
		p->scroll = before > room / 4 ? before - room / 4 : 0;
	else if (before - p->scroll > room)
		p->scroll = before - room + room / 4;
	/* skip whole characters worth scroll columns */
	size_t cols_used;
	size_t skip = text_fit(p->buf, p->len, (size_t)p->scroll, &cols_used);
	int shown = draw_textn(w, y, lw, p->buf + skip, p->len - skip, room, theme_attr(THEME_NORMAL));
	(void)shown;
	p->cursor_x = lw + before - (int)cols_used;
	wmove(w, y, p->cursor_x);
}

int prompt_cursor_x(const struct prompt *p)
{
	return p->cursor_x;
}
