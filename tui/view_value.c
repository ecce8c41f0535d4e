/*
 * view_value.c: one value in full (view_value.h). The value is sanitised
 * once and cut into screen lines by display columns, never inside a
 * character; y copies the value itself, not its sanitised form.
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
	char *title, *value, *shown;
	size_t *starts; /* byte offset of each screen line in shown */
	size_t n, top;
	int wrapped_at; /* the width the lines were cut for */
};

#define VV(v) ((struct valv *)(v))

static void wrap(struct valv *h)
{
	int width = h->v.cols - 2 > 8 ? h->v.cols - 2 : 8;
	if (width == h->wrapped_at)
		return;
	h->wrapped_at = width;
	free(h->starts);
	h->starts = NULL;
	h->n = 0;
	size_t cap = 0, len = strlen(h->shown), at = 0;
	do {
		h->starts = xgrow(h->starts, &cap, h->n + 1, sizeof *h->starts);
		h->starts[h->n++] = at;
		size_t cols;
		size_t k = text_fit(h->shown + at, len - at, (size_t)width, &cols);
		/* a line that is cut breaks after its last space, when there is
		 * one in its second half (a long id stays cut by columns) */
		if (k && at + k < len)
			for (size_t b = k; b > k / 2; b--)
				if (h->shown[at + b - 1] == ' ') {
					k = b;
					break;
				}
		at += k ? k : len - at;
	} while (at < len);
}

static size_t body(const struct valv *h)
{
	return h->v.rows > 2 ? (size_t)h->v.rows - 2 : 1;
}

static void draw(struct view *v, WINDOW *w)
{
	struct valv *h = VV(v);
	wrap(h);
	werase(w);
	draw_fill(w, 0, 0, v->cols, theme_attr(THEME_HEADER));
	draw_text(w, 0, 1, h->title, v->cols - 1, theme_attr(THEME_HEADER));
	size_t len = strlen(h->shown);
	for (size_t i = h->top; i < h->n && i - h->top < body(h); i++) {
		size_t end = i + 1 < h->n ? h->starts[i + 1] : len;
		draw_textn(w, (int)(i - h->top) + 1, 1, h->shown + h->starts[i], end - h->starts[i],
			   v->cols - 1, theme_attr(h->value ? THEME_NORMAL : THEME_DIM));
	}
}

static int action(struct view *v, enum keys_action act)
{
	struct valv *h = VV(v);
	wrap(h);
	size_t page = body(h), last = h->n > page ? h->n - page : 0;
	if (act == ACT_COPY) {
		char *cause = NULL;
		if (clip_copy(h->value, &cause) < 0) {
			app_error(v->app, "%s", cause);
			free(cause);
		} else {
			app_message(v->app, "copied %zu bytes: %s", strlen(h->value), h->title);
		}
		return REACT_CHROME;
	}
	return list_scroll(&h->top, act, last, page) ? REACT_VIEW : REACT_PASS;
}

static void status(struct view *v, char *buf, size_t n)
{
	struct valv *h = VV(v);
	snprintf(buf, n, "%zu bytes, %zu lines", h->value ? strlen(h->value) : 0, h->n);
}

static void value_free(struct view *v)
{
	struct valv *h = VV(v);
	free(h->title);
	free(h->value);
	free(h->shown);
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
	struct valv *h = xcalloc(1, sizeof *h);
	h->v.ops = &value_ops;
	h->v.app = a;
	h->title = xstrdup(title);
	h->value = value ? xstrdup(value) : NULL;
	h->shown = value ? sanitize(value, strlen(value)) : xstrdup("(empty)");
	return &h->v;
}
