/*
 * view_sigma.c: Sigma rules in the interface (view_sigma.h).
 *
 * One table: every rule with its level, hits and what became of it (ran,
 * skipped, unsupported, failed), rules with hits first. The rules and
 * their results belong to the app (app_sigma_keep), so that the detail
 * view can explain a hit after this view is gone and reopening the group
 * does not run the rules again.
 */
#include "view_sigma.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "app.h"
#include "draw.h"
#include "list.h"
#include "sanitize.h"
#include "sigma.h"
#include "sigma_run.h"
#include "theme.h"
#include "view_value.h"
#include "xalloc.h"

struct sigmav {
	struct view v;
	const struct sigma_set *set;
	const struct sigma_run *run;
	size_t *order; /* rows: rule indexes, hits first */
	size_t n, cur, top;
};

#define SV(v) ((struct sigmav *)(v))

static const struct sigma_set *sort_set;
static const struct sigma_run *sort_run;

static int level_rank(const char *l)
{
	static const char *const lv[] = { "critical", "high", "medium", "low", "informational" };
	for (int i = 0; l && i < 5; i++)
		if (!strcmp(l, lv[i]))
			return i;
	return 5;
}

static int outcome_rank(enum sigma_outcome o)
{
	return o == SIGMA_RUN ? 0 : o == SIGMA_FAILED ? 1 : o == SIGMA_SKIPPED ? 2 : 3;
}

/* hits first (by level, then count), then the rest by what became of them */
static int cmp_rule(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const struct sigma_hit_list *x = &sort_run->hits[a], *y = &sort_run->hits[b];
	bool hx = x->nevents > 0, hy = y->nevents > 0;
	if (hx != hy)
		return hx ? -1 : 1;
	if (hx) {
		int lx = level_rank(sort_set->rules[a].level), ly = level_rank(sort_set->rules[b].level);
		if (lx != ly)
			return lx - ly;
		if (x->nevents != y->nevents)
			return x->nevents > y->nevents ? -1 : 1;
	}
	int ox = outcome_rank(x->outcome), oy = outcome_rank(y->outcome);
	if (ox != oy)
		return ox - oy;
	return a < b ? -1 : a > b;
}

static const char *outcome_word(enum sigma_outcome o)
{
	switch (o) {
	case SIGMA_RUN: return "ran";
	case SIGMA_SKIPPED: return "skipped";
	case SIGMA_NOT_RUN: return "unsupported";
	case SIGMA_FAILED: return "failed";
	}
	return "";
}

static size_t page_rows(const struct sigmav *s)
{
	return s->v.rows > 2 ? (size_t)(s->v.rows - 2) : 1;
}

static void draw(struct view *v, WINDOW *w)
{
	struct sigmav *s = SV(v);
	werase(w);
	if (!s->set) {
		draw_text(w, 1, 2, "No Sigma rules: set AUDITSCOPE_SIGMA or type :sigma PATH. q goes back.",
			  v->cols - 2, theme_attr(THEME_MESSAGE));
		return;
	}
	size_t ph = page_rows(s);
	list_show(s->cur, &s->top, ph);
	attr_t head = theme_attr(THEME_HEADER);
	draw_fill(w, 0, 0, v->cols, head);
	draw_text(w, 0, 2, "Sigma rules: Enter shows a rule's events (or why it did not run); m bookmarks them",
		  v->cols - 2, head);
	int tw = v->cols - 2 - 1 - 9 - 1 - 7 - 1 - 11;
	if (tw < 10)
		tw = 10;
	draw_fill(w, 1, 0, v->cols, head);
	draw_cell(w, 1, 2, "rule", tw, head, false);
	draw_cell(w, 1, 3 + tw, "level", 9, head, false);
	draw_cell(w, 1, 13 + tw, "hits", 7, head, true);
	draw_cell(w, 1, 21 + tw, "status", 11, head, false);
	for (size_t i = s->top; i < s->n && i - s->top < ph; i++) {
		size_t r = s->order[i];
		const struct sigma_rule *rule = &s->set->rules[r];
		const struct sigma_hit_list *h = &s->run->hits[r];
		int y = (int)(i - s->top) + 2;
		bool sel = i == s->cur;
		attr_t base = theme_attr(sel                       ? THEME_SELECTED
					 : h->nevents              ? THEME_SUSPICIOUS
					 : h->outcome == SIGMA_RUN ? THEME_NORMAL
								   : THEME_DIM);
		draw_fill(w, y, 0, v->cols, base);
		if (h->nevents)
			draw_text(w, y, 0, "!", 1, base);
		char num[32];
		draw_cell(w, y, 2, rule->title ? rule->title : rule->file, tw, base, false);
		draw_cell(w, y, 3 + tw, rule->level ? rule->level : "", 9, base, false);
		draw_cell(w, y, 13 + tw,
			  h->outcome == SIGMA_RUN ? draw_count((int64_t)h->nevents, num, sizeof num) : "", 7,
			  base, true);
		draw_cell(w, y, 21 + tw, outcome_word(h->outcome), 11, base, false);
	}
}

/* Enter: the rule's events in the timeline, or why it has none. */
static int open_rule(struct sigmav *s)
{
	struct app *a = s->v.app;
	size_t r = s->order[s->cur];
	const struct sigma_rule *rule = &s->set->rules[r];
	const struct sigma_hit_list *h = &s->run->hits[r];
	if (h->outcome == SIGMA_NOT_RUN) {
		app_message(a, "unsupported: %s:%d: %s", rule->file, rule->why_line,
			    rule->why ? rule->why : "");
		return REACT_CHROME;
	}
	if (h->outcome != SIGMA_RUN) {
		app_message(a, "%s: %s", outcome_word(h->outcome), h->why ? h->why : "");
		return REACT_CHROME;
	}
	if (!h->nevents) {
		app_message(a, "no events match this rule");
		return REACT_CHROME;
	}
	char *label = xasprintf("sigma %s", rule->title ? rule->title : "rule");
	int rc = app_filter_push(a, rule->filter, label);
	free(label);
	if (rc < 0)
		return REACT_CHROME;
	app_sigma_active(a, rule);
	return REACT_HOME;
}

/* m: bookmark the rule's hits, tagged with its id (or title). */
static int bookmark(struct sigmav *s)
{
	struct app *a = s->v.app;
	size_t r = s->order[s->cur];
	const struct sigma_hit_list *h = &s->run->hits[r];
	const char *tag = sigma_rule_tag(&s->set->rules[r]);
	if (!h->nevents) {
		app_message(a, "this rule has no hits to bookmark");
		return REACT_CHROME;
	}
	char *cause = NULL;
	size_t done = 0;
	for (size_t i = 0; i < h->nevents; i++) {
		if (annot_mark(app_store(a), h->events[i], true, &cause) < 0 ||
		    annot_tag_add(app_store(a), h->events[i], tag, &cause) < 0) {
			app_error(a, "bookmark: %s", cause);
			free(cause);
			break;
		}
		done++;
	}
	if (done == h->nevents)
		app_message(a, "bookmarked and tagged %s: %zu events", tag, done);
	app_annotated(a);
	return REACT_VIEW | REACT_CHROME;
}

/* v: the rule's whole title (the cell the table cuts), its level,
 * status and file in the heading. */
static int whole_value(struct sigmav *s)
{
	size_t r = s->order[s->cur];
	const struct sigma_rule *rule = &s->set->rules[r];
	char *title = xasprintf("rule %zu: %s, %s, %s:%d (v or q closes, y copies)", s->cur + 1,
				rule->level ? rule->level : "no level", outcome_word(s->run->hits[r].outcome),
				rule->file, rule->line);
	app_push_view(s->v.app, view_value_new(s->v.app, title, rule->title ? rule->title : rule->file));
	free(title);
	return REACT_ALL;
}

static int action(struct view *v, enum keys_action act)
{
	struct sigmav *s = SV(v);
	size_t n = s->n;
	if (list_move(&s->cur, act, n, page_rows(s)))
		return REACT_VIEW | REACT_CHROME;
	switch (act) {
	case ACT_ENTER: return n ? open_rule(s) : REACT_NONE;
	case ACT_BOOKMARK: return n ? bookmark(s) : REACT_NONE;
	case ACT_VALUE: return n ? whole_value(s) : REACT_NONE;
	case ACT_HUNTS: return REACT_POP;
	default: return REACT_PASS;
	}
}

static void status(struct view *v, char *buf, size_t n)
{
	struct sigmav *s = SV(v);
	if (!s->set) {
		snprintf(buf, n, "sigma");
		return;
	}
	const struct sigma_run *r = s->run;
	snprintf(buf, n,
		 "rule %zu of %zu: %zu ran, %zu matched, %zu skipped, %zu unsupported (%.1f%%), %zu failed  %.2f s",
		 s->n ? s->cur + 1 : 0, s->n, r->ran, r->matched, r->skipped, r->unsupported,
		 s->n ? 100.0 * (double)r->unsupported / (double)s->n : 0.0, r->failed, r->seconds);
}

static void sigma_free(struct view *v)
{
	struct sigmav *s = SV(v);
	free(s->order);
	free(s);
}

static const struct view_ops sigma_ops = {
	.name = "sigma",
	.keymap = KEYMAP_SIGMA,
	.draw = draw,
	.action = action,
	.status = status,
	.free = sigma_free,
};

int view_sigma_run(struct app *a, char *const *paths, size_t npaths)
{
	struct sigma_vars none = { 0 };
	struct sigma_set *set = NULL;
	char *cause = NULL;
	if (sigma_load(paths, npaths, &none, &set, &cause) < 0) {
		char *s = sanitize(cause, strlen(cause));
		app_error(a, "sigma: %s", s);
		free(s);
		free(cause);
		return -1;
	}
	struct sigma_run *run = NULL;
	app_busy_begin(a, "sigma rules");
	int rc = sigma_run_case(app_store(a), set, app_progress, a, &run, &cause);
	app_busy_end(a);
	if (rc < 0) {
		if (cause && !strcmp(cause, "interrupted"))
			app_message(a, "sigma rules stopped (Esc)");
		else
			app_error(a, "sigma: %s", cause ? cause : "failed");
		free(cause);
		sigma_set_free(set);
		return -1;
	}
	app_sigma_keep(a, set, run);
	return 0;
}

int view_sigma_from_env(struct app *a)
{
	const char *env = getenv("AUDITSCOPE_SIGMA");
	if (!env || !*env)
		return 0;
	char *copy = xstrdup(env);
	char **paths = NULL;
	size_t n = 0;
	for (char *tok = strtok(copy, ":"); tok; tok = strtok(NULL, ":")) {
		paths = xrealloc(paths, (n + 1) * sizeof *paths);
		paths[n++] = tok;
	}
	int rc = n ? view_sigma_run(a, paths, n) : 0;
	free(paths);
	free(copy);
	return rc;
}

struct view *view_sigma_new(struct app *a)
{
	struct sigmav *s = xcalloc(1, sizeof *s);
	s->v.ops = &sigma_ops;
	s->v.app = a;
	struct sigma_set *set;
	struct sigma_run *run;
	if (!app_sigma(a, &set, &run))
		return &s->v;
	s->set = set;
	s->run = run;
	s->n = set->n;
	s->order = xmalloc((s->n ? s->n : 1) * sizeof *s->order);
	for (size_t i = 0; i < s->n; i++)
		s->order[i] = i;
	sort_set = set;
	sort_run = run;
	qsort(s->order, s->n, sizeof *s->order, cmp_rule);
	return &s->v;
}
