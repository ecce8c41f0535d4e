/*
 * view_columns.c: the column chooser (view_columns.h).
 */
#include "view_columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "list.h"
#include "theme.h"
#include "timeline_impl.h"
#include "xalloc.h"

struct colv {
	struct view v;
	struct tl *t;
	int order[64]; /* the catalogue: shown columns first */
	int n;
	size_t cur, top;
};

#define CV(v) ((struct colv *)(v))

static struct col_layout *layout(struct colv *c)
{
	return &c->t->cols.set[c->t->set];
}

/* The list: the set's columns in order, then the rest of the catalogue. */
static void order(struct colv *c)
{
	const struct col_layout *l = layout(c);
	c->n = 0;
	for (int i = 0; i < l->n; i++)
		c->order[c->n++] = l->e[i].def;
	for (int d = 0; d < columns_count() && c->n < 64; d++)
		if (columns_index(l, d) < 0)
			c->order[c->n++] = d;
	if (c->n && c->cur >= (size_t)c->n)
		c->cur = (size_t)c->n - 1;
}

static size_t page(const struct colv *c)
{
	return c->v.rows > 2 ? (size_t)c->v.rows - 2 : 1;
}

static void draw(struct view *v, WINDOW *w)
{
	struct colv *c = CV(v);
	order(c);
	list_show(c->cur, &c->top, page(c));
	werase(w);
	attr_t head = theme_attr(THEME_HEADER);
	char *title = xasprintf("Columns of %s (Enter shows/hides, J/K move, +/- width, 0 auto, r reset)",
				columns_set_what(c->t->set));
	draw_fill(w, 0, 0, v->cols, head);
	draw_text(w, 0, 2, title, v->cols - 2, head);
	free(title);
	draw_fill(w, 1, 0, v->cols, head);
	draw_cell(w, 1, 2, "shown", 6, head, false);
	draw_cell(w, 1, 9, "column", 22, head, false);
	draw_cell(w, 1, 32, "width", 6, head, true);
	draw_text(w, 1, 40, "field", v->cols - 40, head);
	const struct col_layout *l = layout(c);
	for (size_t i = c->top; i < (size_t)c->n && i - c->top < page(c); i++) {
		int y = (int)(i - c->top) + 2, d = c->order[i], at = columns_index(l, d);
		attr_t base = theme_attr(i == c->cur ? THEME_SELECTED : at >= 0 ? THEME_NORMAL : THEME_DIM);
		draw_fill(w, y, 0, v->cols, base);
		char num[16];
		draw_cell(w, y, 2, at >= 0 ? "[x]" : "[ ]", 6, base, false);
		draw_cell(w, y, 9, columns_title(c->t->set, d), 22, base, false);
		if (at >= 0 && l->e[at].width)
			snprintf(num, sizeof num, "%d", l->e[at].width);
		else
			snprintf(num, sizeof num, "%s", at >= 0 ? "auto" : "");
		draw_cell(w, y, 32, num, 6, base, true);
		const struct col_def *def = columns_def(d);
		char *what = xasprintf("%s%s", def->field,
				       def->src == COL_SRC_FACT ? " (from the raw record)" : "");
		draw_text(w, y, 40, what, v->cols - 40, base);
		free(what);
	}
}

/* The width a column has on screen now, to start a resize from. */
static int current_width(struct colv *c, int at)
{
	const struct col_layout *l = layout(c);
	if (l->e[at].width)
		return l->e[at].width;
	if (c->t->w[at])
		return c->t->w[at];
	return columns_def(l->e[at].def)->comfy;
}

static int action(struct view *v, enum keys_action act)
{
	struct colv *c = CV(v);
	order(c);
	struct col_layout *l = layout(c);
	int d = c->n ? c->order[c->cur] : -1, at = d >= 0 ? columns_index(l, d) : -1;
	bool changed = false;
	switch (act) {
	case ACT_TOGGLE:
		changed = d >= 0 && columns_toggle(l, d);
		if (!changed)
			app_message(v->app, "the last column stays");
		break;
	case ACT_MOVE_UP:
	case ACT_MOVE_DOWN:
		if (at >= 0 && columns_move(l, at, act == ACT_MOVE_UP ? -1 : 1)) {
			changed = true;
			c->cur = (size_t)(at + (act == ACT_MOVE_UP ? -1 : 1));
		}
		break;
	case ACT_WIDER:
	case ACT_NARROWER:
		if (at < 0) {
			app_message(v->app, "show the column first (Enter)");
			return REACT_CHROME;
		} else {
			int wd = current_width(c, at) + (act == ACT_WIDER ? 2 : -2);
			l->e[at].width = wd < 3 ? 3 : wd > 400 ? 400 : wd;
			changed = true;
		}
		break;
	case ACT_AUTO_WIDTH:
		if (at >= 0 && l->e[at].width) {
			l->e[at].width = 0;
			changed = true;
		}
		break;
	case ACT_RESET:
		columns_reset(&c->t->cols, c->t->set);
		tl_columns_changed(c->t);
		app_message(v->app, "columns of %s as they come", columns_set_what(c->t->set));
		return REACT_VIEW | REACT_CHROME;
	default:
		return list_move(&c->cur, act, (size_t)c->n, page(c)) ? REACT_VIEW | REACT_CHROME : REACT_PASS;
	}
	if (changed) {
		c->t->cols.custom[c->t->set] = true;
		tl_columns_changed(c->t);
	}
	return REACT_VIEW | REACT_CHROME;
}

static void status(struct view *v, char *buf, size_t n)
{
	struct colv *c = CV(v);
	snprintf(buf, n, "%d shown of %d", layout(c)->n, columns_count());
}

static void colv_free(struct view *v)
{
	free(v);
}

static const struct view_ops columns_ops = {
	.name = "columns",
	.keymap = KEYMAP_COLUMNS,
	.draw = draw,
	.action = action,
	.status = status,
	.free = colv_free,
};

struct view *view_columns_new(struct app *a, struct view *tl)
{
	struct colv *c = xcalloc(1, sizeof *c);
	c->v.ops = &columns_ops;
	c->v.app = a;
	c->t = TL(tl);
	order(c);
	/* the cursor starts on the timeline's column */
	c->cur = (size_t)(c->t->col < c->n ? c->t->col : 0);
	return &c->v;
}
