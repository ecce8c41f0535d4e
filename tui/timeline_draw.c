/*
 * timeline_draw.c: the timeline's columns and how they are drawn
 * (timeline_impl.h).
 *
 * Column widths follow the rows on screen but only grow while the filter
 * stays the same, so scrolling does not make the table jitter. When the
 * set is wider than the screen, columns shrink to a comfortable width
 * (the set's first five down to their minimum, so that they show
 * together on a narrow terminal), then the table scrolls sideways: the time stays pinned on the left,
 * the column cursor pulls the others into view, and the header's gutter
 * says when columns are off screen ('<' left, '>' right). A cell cut to
 * its width ends in the cut mark (draw.h); v shows it whole.
 */
#include "timeline_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "state.h"
#include "theme.h"
#include "timeparse.h"
#include "xalloc.h"

const struct col_layout *tl_layout(const struct tl *t)
{
	return &t->cols.set[t->set];
}

const struct col_def *tl_col_def(const struct tl *t)
{
	const struct col_layout *l = tl_layout(t);
	return columns_def(l->e[t->col < l->n ? t->col : 0].def);
}

void tl_facts_clear(struct tl *t)
{
	if (!t->facts)
		return;
	for (int i = 0; i < TL_FACT_SLOTS; i++) {
		for (int f = 0; f < FACT_COUNT; f++)
			free(t->facts[i].f[f]);
		memset(&t->facts[i], 0, sizeof t->facts[i]);
	}
}

/* A raw record past this is not parsed for its row's fact cells (a 50 MB
 * one took 2.9 s and 150 MB to draw the first screen): they say so, and
 * Enter shows the record. */
#define TL_FACTS_RAW_MAX ((size_t)1 << 20)

/* The facts of event id, read from its raw record once. */
static const struct tl_facts *facts_of(struct tl *t, int64_t id)
{
	if (!t->facts)
		t->facts = xcalloc(TL_FACT_SLOTS, sizeof *t->facts);
	struct tl_facts *s = &t->facts[(uint64_t)id % TL_FACT_SLOTS];
	if (s->id == id)
		return s;
	for (int f = 0; f < FACT_COUNT; f++) {
		free(s->f[f]);
		s->f[f] = NULL;
	}
	size_t len = 0;
	char *raw = store_raw(app_store(t->v.app), id, &len);
	if (raw && len > TL_FACTS_RAW_MAX) {
		char n[32];
		draw_count((int64_t)len, n, sizeof n);
		for (int f = 0; f < FACT_COUNT; f++)
			s->f[f] = xasprintf("(a record of %s bytes: Enter shows it)", n);
	} else {
		facts_read(raw, len, s->f);
	}
	free(raw);
	s->id = id;
	return s;
}

const char *tl_cell_value(struct tl *t, const struct query_row *r, int c, char *buf, size_t n)
{
	const struct col_def *d = columns_def(tl_layout(t)->e[c].def);
	switch (d->src) {
	case COL_SRC_TIME: {
		char iso[40];
		time_format(r->ts, iso, sizeof iso);
		snprintf(buf, n, "%s", iso);
		return buf;
	}
	case COL_SRC_FACT: return facts_of(t, r->id)->f[d->fact];
	default: break;
	}
	/* the detail column says the client where the kind has no detail */
	if (!strcmp(d->field, "detail") && !r->detail)
		return r->client_info;
	return query_row_get(r, d->field);
}

const char *tl_cell(struct tl *t, const struct query_row *r, int c, char *buf, size_t n)
{
	const struct col_def *d = columns_def(tl_layout(t)->e[c].def);
	if (d->src == COL_SRC_TIME)
		return draw_time(r->ts, buf, n);
	const char *v = tl_cell_value(t, r, c, buf, n);
	if (v && d->src == COL_SRC_APP) {
		const char *name = app_app_name(t->v.app, v);
		if (name)
			return name;
	}
	return v;
}

bool tl_cell_cut(struct tl *t)
{
	const struct query_row *r = tl_current(t);
	if (!r || t->col >= tl_layout(t)->n || !t->w[t->col])
		return false;
	char buf[64];
	return !draw_fits(tl_cell(t, r, t->col, buf, sizeof buf), t->w[t->col]);
}

void tl_forget_widths(struct tl *t)
{
	memset(t->width, 0, sizeof t->width);
}

void tl_pick_set(struct tl *t)
{
	if (!t->n)
		return;
	enum col_set s = columns_classify(&t->rows[0]);
	for (size_t i = 1; i < t->n; i++)
		if (columns_classify(&t->rows[i]) != s) {
			s = CSET_EVENTS;
			break;
		}
	if (s == t->set)
		return;
	/* the cursor stays on its field where the new set has it */
	const char *field = tl_col_def(t)->field;
	t->set = s;
	int d = columns_find(field), i = d >= 0 ? columns_index(tl_layout(t), d) : -1;
	t->col = i >= 0 ? i : 0;
	t->left = 0;
}

void tl_columns_changed(struct tl *t)
{
	char *s = columns_save(&t->cols);
	char *cause = NULL;
	if (state_set(app_store(t->v.app), "tui.columns", s, &cause) < 0) {
		app_error(t->v.app, "columns not saved: %s", cause ? cause : "?");
		free(cause);
	}
	free(s);
	if (t->col >= tl_layout(t)->n)
		t->col = tl_layout(t)->n - 1;
	t->left = 0;
}

/* The width each column of the layout wants: the analyst's, else its
 * values' (within min and max, never narrower than its heading). */
static void wanted(struct tl *t, int *want)
{
	const struct col_layout *l = tl_layout(t);
	char buf[64];
	for (int c = 0; c < l->n; c++) {
		int d = l->e[c].def;
		if (d >= (int)(sizeof t->width / sizeof t->width[0]))
			continue;
		for (size_t i = 0; i < t->n; i++) {
			int w = draw_width(tl_cell(t, &t->rows[i], c, buf, sizeof buf));
			if (w > t->width[d])
				t->width[d] = w;
		}
	}
	for (int c = 0; c < l->n; c++) {
		const struct col_def *d = columns_def(l->e[c].def);
		if (l->e[c].width) {
			want[c] = l->e[c].width;
			continue;
		}
		int w = t->width[l->e[c].def], tw = draw_width(columns_title(t->set, l->e[c].def));
		if (w < tw)
			w = tw < d->comfy ? tw : d->comfy;
		if (w < d->min)
			w = d->min;
		if (w > d->max)
			w = d->max;
		want[c] = w;
	}
}

/* How many columns of a set must show together on the first screen. */
#define TL_FIRST_COLUMNS 5

void tl_layout_columns(struct tl *t)
{
	if (t->pick_set && t->n) {
		tl_pick_set(t);
		t->pick_set = false;
	}
	const struct col_layout *l = tl_layout(t);
	int want[COLUMNS_MAX];
	wanted(t, want);
	int avail = t->v.cols - 2; /* two marker columns */
	int total = -1;
	for (int c = 0; c < l->n; c++)
		total += want[c] + 1;
	/* too wide: the last column gives first (it is cut at the edge
	 * anyway), then what is wider than comfortable, widest first */
	if (l->n > 1 && !l->e[l->n - 1].width && total > avail) {
		int comfy = columns_def(l->e[l->n - 1].def)->comfy, give = want[l->n - 1] - comfy;
		if (give > total - avail)
			give = total - avail;
		if (give > 0) {
			want[l->n - 1] -= give;
			total -= give;
		}
	}
	while (total > avail) {
		int widest = -1, excess = 0;
		for (int c = 0; c < l->n; c++) {
			if (l->e[c].width)
				continue;
			int ex = want[c] - columns_def(l->e[c].def)->comfy;
			if (ex > excess) {
				excess = ex;
				widest = c;
			}
		}
		if (widest < 0)
			break;
		want[widest]--;
		total--;
	}
	/* still too wide for the first few columns of the set (the ones a
	 * kind of log is read by): those shrink further, to their minimum,
	 * so that a narrow terminal shows them together */
	int first = l->n < TL_FIRST_COLUMNS ? l->n : TL_FIRST_COLUMNS, head = -1;
	for (int c = 0; c < first; c++)
		head += want[c] + 1;
	while (head > avail) {
		int widest = -1, excess = 0;
		for (int c = 0; c < first; c++) {
			int ex = want[c] - columns_def(l->e[c].def)->min;
			if (!l->e[c].width && ex > excess) {
				excess = ex;
				widest = c;
			}
		}
		if (widest < 0)
			break;
		want[widest]--;
		head--;
	}
	if (t->col >= l->n)
		t->col = l->n - 1;
	if (t->col < 0)
		t->col = 0;
	/* the time stays put; the others scroll from t->left */
	int pinned = l->n > 1 && columns_def(l->e[0].def)->src == COL_SRC_TIME ? 1 : 0;
	if (t->left < pinned)
		t->left = pinned;
	if (t->col >= pinned && t->col < t->left)
		t->left = t->col;
	for (;;) {
		memset(t->w, 0, sizeof t->w);
		int x = 2, last = -1;
		for (int c = 0; c < pinned; c++) {
			t->x[c] = x;
			t->w[c] = want[c] < avail ? want[c] : avail;
			x += t->w[c] + 1;
			last = c;
		}
		for (int c = t->left; c < l->n && x < t->v.cols; c++) {
			int room = t->v.cols - x;
			t->x[c] = x;
			if (want[c] <= room) {
				t->w[c] = want[c];
				x += want[c] + 1;
				last = c;
				continue;
			}
			/* a part of the next column, cut and marked, if enough
			 * of it shows to say what it is */
			if (room >= 6 || c == t->left)
				t->w[c] = room;
			break;
		}
		/* the cursor's column must show whole (or as much as there is) */
		bool whole = t->col < pinned || t->col <= last || (t->col == t->left);
		if (whole || t->left >= l->n - 1) {
			t->more_left = t->left > pinned;
			t->more_right = last < l->n - 1;
			/* everything shown: the last column takes what is left */
			if (!t->more_right && last >= 0 && x - 1 < t->v.cols) {
				int slack = t->v.cols - (x - 1);
				if (!l->e[last].width)
					t->w[last] += slack;
			}
			return;
		}
		t->left++;
	}
}

void tl_draw(struct view *v, WINDOW *w)
{
	struct tl *t = TL(v);
	tl_layout_columns(t);
	const struct col_layout *l = tl_layout(t);
	werase(w);
	attr_t head = theme_attr(THEME_HEADER);
	draw_fill(w, 0, 0, v->cols, head);
	if (t->more_left)
		draw_text(w, 0, 0, "<", 1, head);
	if (t->more_right)
		draw_text(w, 0, 1, ">", 1, head);
	for (int c = 0; c < l->n; c++)
		if (t->w[c])
			draw_cell(w, 0, t->x[c], columns_title(t->set, l->e[c].def), t->w[c],
				  c == t->col ? theme_attr(THEME_CELL) : head, false);
	if (!t->n) {
		const char *f = app_filter(v->app);
		draw_text(w, 2, 2, *f ? "No event matches this filter." : "This case holds no events.",
			  v->cols - 2, theme_attr(THEME_MESSAGE));
		if (*f)
			draw_text(w, 3, 2, "Backspace undoes the last filter step; f edits the filter.",
				  v->cols - 2, theme_attr(THEME_DIM));
		return;
	}
	char buf[64];
	for (size_t i = 0; i < t->n && (int)i + 1 < v->rows; i++) {
		int y = (int)i + 1;
		bool sel = i == t->cur;
		bool flagged = app_flags(v->app, t->rows[i].id) != 0;
		attr_t base = theme_attr(sel ? THEME_SELECTED : flagged ? THEME_SUSPICIOUS : THEME_NORMAL);
		draw_fill(w, y, 0, v->cols, base);
		unsigned char an = t->ann[i];
		if (an & ANN_MARK)
			draw_text(w, y, 0, "*", 1, theme_attr(THEME_BOOKMARK));
		if (an & (ANN_TAG | ANN_NOTE))
			draw_text(w, y, 1, an & ANN_NOTE ? "+" : "#", 1, theme_attr(THEME_TAG));
		else if (an & ANN_HIT)
			draw_text(w, y, 1, ">", 1, theme_attr(THEME_MATCH));
		else if (flagged)
			draw_text(w, y, 1, "!", 1, theme_attr(THEME_SUSPICIOUS));
		for (int c = 0; c < l->n; c++) {
			if (!t->w[c])
				continue;
			const char *s = tl_cell(t, &t->rows[i], c, buf, sizeof buf);
			attr_t a = sel && c == t->col ? theme_attr(THEME_CELL) : base;
			if (an & ANN_HIT)
				draw_cell_match(w, y, t->x[c], s, t->w[c], a, t->needle,
						theme_attr(THEME_MATCH));
			else
				draw_cell(w, y, t->x[c], s, t->w[c], a, false);
		}
	}
}
