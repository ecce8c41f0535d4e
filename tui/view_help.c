/*
 * view_help.c: the help screen (view_help.h): every key map's generated
 * lines, the view's own map first, then the fields a filter can name.
 */
#include "view_help.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "filter.h"
#include "hunt.h"
#include "list.h"
#include "theme.h"
#include "xalloc.h"

struct help {
	struct view v;
	char **lines;
	unsigned char *head; /* 1: a section heading */
	size_t n, cap;
	size_t top;
};

#define HELP(v) ((struct help *)(v))

static void add(struct help *h, char *line, bool head)
{
	size_t cap = h->cap;
	h->lines = xgrow(h->lines, &cap, h->n + 1, sizeof *h->lines);
	h->head = xrealloc(h->head, cap);
	h->cap = cap;
	h->head[h->n] = head;
	h->lines[h->n++] = line;
}

static void add_map(struct help *h, enum keys_map_id id)
{
	size_t n;
	char **lines = keys_help_lines(id, &n);
	add(h, xstrdup(keys_map(id)->title), true);
	for (size_t i = 0; i < n; i++)
		add(h, lines[i], false);
	free(lines);
	add(h, xstrdup(""), false);
}

/* The words of text from p, at most width columns a line, each line
 * indented by two spaces. */
static void add_wrapped(struct help *h, const char *text, size_t width)
{
	const char *p = text;
	while (*p) {
		size_t n = strlen(p);
		if (n > width) {
			n = width;
			while (n > 0 && p[n] != ' ')
				n--;
			if (n == 0)
				n = width;
		}
		add(h, xasprintf("  %.*s", (int)n, p), false);
		p += n;
		while (*p == ' ')
			p++;
	}
}

/* Each hunt's rule and score, from its own description (core/hunt_*.c). */
static void add_hunts(struct help *h)
{
	add(h, xstrdup(""), false);
	add(h, xstrdup("Hunts (H): how each decides; hits first, by score; context rows are not counted"),
	    true);
	for (int i = 0; i < HUNT_COUNT; i++) {
		const struct hunt_def *d = hunt_def((enum hunt_id)i);
		add(h, xasprintf("  %s", d->name), false);
		add_wrapped(h, d->description, 96);
	}
}

static size_t body_rows(const struct help *h)
{
	return h->v.rows > 0 ? (size_t)h->v.rows : 1;
}

static void draw(struct view *v, WINDOW *w)
{
	struct help *h = HELP(v);
	werase(w);
	for (int y = 0; y < v->rows && h->top + (size_t)y < h->n; y++) {
		size_t i = h->top + (size_t)y;
		draw_text(w, y, 0, h->lines[i], v->cols, theme_attr(h->head[i] ? THEME_HEADER : THEME_NORMAL));
	}
}

static int action(struct view *v, enum keys_action a)
{
	struct help *h = HELP(v);
	size_t page = body_rows(h), last = h->n > page ? h->n - page : 0;
	switch (a) {
	case ACT_BACK:
	case ACT_HELP: return REACT_POP;
	default: return list_scroll(&h->top, a, last, page) ? REACT_VIEW : REACT_PASS;
	}
}

static void status(struct view *v, char *buf, size_t n)
{
	struct help *h = HELP(v);
	size_t end = h->top + body_rows(h);
	snprintf(buf, n, "lines %zu-%zu of %zu", h->n ? h->top + 1 : 0, end < h->n ? end : h->n, h->n);
}

static void help_free(struct view *v)
{
	struct help *h = HELP(v);
	for (size_t i = 0; i < h->n; i++)
		free(h->lines[i]);
	free(h->lines);
	free(h->head);
	free(h);
}

static const struct view_ops help_ops = {
	.name = "help",
	.keymap = KEYMAP_HELP,
	.draw = draw,
	.action = action,
	.status = status,
	.free = help_free,
};

struct view *view_help_new(struct app *a, enum keys_map_id first)
{
	struct help *h = xcalloc(1, sizeof *h);
	h->v.ops = &help_ops;
	h->v.app = a;
	add(h, xstrdup("auditscope: keys (q or ? closes this help)"), true);
	add(h, xstrdup(""), false);
	if (first != KEYMAP_GLOBAL && first != KEYMAP_HELP)
		add_map(h, first);
	add_map(h, KEYMAP_GLOBAL);
	/* [tui-nav] what the screen around the views says */
	add(h,
	    xstrdup("Marks in the timeline's first two columns (the status line names those of the cursor's row)"),
	    true);
	add(h, xstrdup("  *  bookmarked (m)          #  tagged (t)          +  has a note (c)"), false);
	add(h, xstrdup("  >  matches the search (/)  !  flagged by a hunt (H lists them)"), false);
	add(h, xstrdup("  The title shows the filter stack, oldest step first: each step is the whole filter"),
	    false);
	add(h, xstrdup("  (a step replaces the one before it); Backspace goes back one step."), false);
	add(h, xstrdup("  The status line's place is exact; ~ marks an estimate, made exact within moments."),
	    false);
	add(h, xstrdup(""), false);
	for (int id = 0; id < KEYMAP_COUNT; id++)
		if (id != (int)first && id != KEYMAP_GLOBAL && id != KEYMAP_HELP)
			add_map(h, (enum keys_map_id)id);
	add(h, xstrdup("Commands (:)"), true);
	size_t nc;
	char **cl = app_command_help_lines(&nc);
	for (size_t i = 0; i < nc; i++)
		add(h, cl[i], false);
	free(cl);
	add(h, xstrdup(""), false);
	add(h, xstrdup("Filters (f, =, -, :filter)"), true);
	add(h, xstrdup("  field=value  field!=value  field=a,b  field~regex  time>=2023-06-16  time<-7d"),
	    false);
	add(h, xstrdup("  words and \"quoted phrases\" search the raw record; or, not, ( ); marked, tag=T"),
	    false);
	size_t nf;
	const struct filter_field *ff = filter_fields(&nf);
	for (size_t i = 0; i < nf; i++)
		add(h, xasprintf("  %-18s %s", ff[i].name, ff[i].help ? ff[i].help : ""), false);
	add(h, xstrdup("  json.PATH         any path inside the raw record (json.ClientInfoString~REST)"),
	    false);
	add_hunts(h);
	return &h->v;
}
