/*
 * view_value.c: one value in full (view_value.h). The value is cut into
 * screen lines by the columns its sanitised form takes (sanitize_fit),
 * never inside a character, and each line is sanitised when it is drawn:
 * a 50 MB value opens at once, and only the lines scrolled over are laid
 * out (G lays out the rest, once). y copies the value itself, not its
 * sanitised form.
 */
#include "view_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "clip.h"
#include "draw.h"
#include "list.h"
#include "sanitize.h"
#include "theme.h"
#include "xalloc.h"

struct valv {
	struct view v;
	char *title, *value;
	size_t len;
	size_t *starts; /* byte offset in value of each screen line laid out */
	size_t n, cap, top;
	bool whole;     /* every line laid out: n is the count */
	int wrapped_at; /* the width the lines were cut for */
};

#define VV(v) ((struct valv *)(v))

static const char empty_text[] = "(empty)";

static const char *text(const struct valv *h)
{
	return h->value ? h->value : empty_text;
}

static size_t text_len(const struct valv *h)
{
	return h->value ? h->len : sizeof empty_text - 1;
}

static int width(const struct valv *h)
{
	return h->v.cols - 2 > 8 ? h->v.cols - 2 : 8;
}

/* Lay out lines until there are at least want of them, or all. */
static void lay_out(struct valv *h, size_t want)
{
	int w = width(h);
	if (w != h->wrapped_at) {
		h->wrapped_at = w;
		h->n = 0;
		h->whole = false;
	}
	const char *s = text(h);
	size_t len = text_len(h);
	if (!h->n) {
		h->starts = xgrow(h->starts, &h->cap, 1, sizeof *h->starts);
		h->starts[h->n++] = 0;
		h->whole = len == 0;
	}
	while (!h->whole && h->n < want) {
		size_t at = h->starts[h->n - 1];
		size_t k = sanitize_fit(s + at, len - at, (size_t)w, NULL);
		/* a line that is cut breaks after its last space, when there is
		 * one in its second half (a long id stays cut by columns) */
		if (k && at + k < len)
			for (size_t b = k; b > k / 2; b--)
				if (s[at + b - 1] == ' ') {
					k = b;
					break;
				}
		at += k ? k : 1;
		if (at >= len) {
			h->whole = true;
			break;
		}
		h->starts = xgrow(h->starts, &h->cap, h->n + 1, sizeof *h->starts);
		h->starts[h->n++] = at;
	}
}

static size_t body(const struct valv *h)
{
	return h->v.rows > 2 ? (size_t)h->v.rows - 2 : 1;
}

static void draw(struct view *v, WINDOW *w)
{
	struct valv *h = VV(v);
	lay_out(h, h->top + body(h) + 1);
	if (h->top >= h->n) /* narrower before: fewer lines now */
		h->top = h->n ? h->n - 1 : 0;
	werase(w);
	draw_fill(w, 0, 0, v->cols, theme_attr(THEME_HEADER));
	draw_text(w, 0, 1, h->title, v->cols - 1, theme_attr(THEME_HEADER));
	const char *s = text(h);
	size_t len = text_len(h);
	for (size_t i = h->top; i < h->n && i - h->top < body(h); i++) {
		size_t end = i + 1 < h->n ? h->starts[i + 1] : len;
		char *line = sanitize(s + h->starts[i], end - h->starts[i]);
		draw_text(w, (int)(i - h->top) + 1, 1, line, v->cols - 1,
			  theme_attr(h->value ? THEME_NORMAL : THEME_DIM));
		free(line);
	}
}

static int action(struct view *v, enum keys_action act)
{
	struct valv *h = VV(v);
	size_t page = body(h);
	if (act == ACT_COPY) {
		char *cause = NULL;
		if (clip_copy(h->value, &cause) < 0) {
			app_error(v->app, "%s", cause);
			free(cause);
		} else {
			app_message(v->app, "copied %zu bytes: %s", h->len, h->title);
		}
		return REACT_CHROME;
	}
	/* the end is only known once laid out: G and End lay out the rest */
	lay_out(h, act == ACT_BOTTOM ? (size_t)-1 : h->top + 2 * page + 1);
	size_t last = h->n > page ? h->n - page : 0;
	return list_scroll(&h->top, act, last, page) ? REACT_VIEW | REACT_CHROME : REACT_PASS;
}

static void status(struct view *v, char *buf, size_t n)
{
	struct valv *h = VV(v);
	lay_out(h, h->top + body(h) + 1);
	size_t end = h->top + body(h) < h->n ? h->top + body(h) : h->n;
	snprintf(buf, n, "%zu bytes, lines %zu-%zu of %zu%s", h->value ? h->len : 0, h->n ? h->top + 1 : 0,
		 end, h->n, h->whole ? "" : "+ (G: the end)");
}

static void value_free(struct view *v)
{
	struct valv *h = VV(v);
	free(h->title);
	free(h->value);
	free(h->starts);
	free(h);
}

static const struct view_ops value_ops = {
	.name = "value",
	.keymap = KEYMAP_VALUE,
	.draw = draw,
	.action = action,
	.status = status,
	.free = value_free,
};

struct view *view_value_new(struct app *a, const char *title, const char *value)
{
	return view_value_new_n(a, title, value, value ? strlen(value) : 0);
}

struct view *view_value_new_n(struct app *a, const char *title, const char *value, size_t len)
{
	struct valv *h = xcalloc(1, sizeof *h);
	h->v.ops = &value_ops;
	h->v.app = a;
	h->title = xstrdup(title);
	if (value) {
		h->value = xmalloc(len + 1);
		memcpy(h->value, value, len);
		h->value[len] = '\0';
	}
	h->len = value ? len : 0;
	return &h->v;
}
