/*
 * bench_tui.c: how the interface feels on a big case. Drives the app
 * in-process on a curses screen that writes to /dev/null (so ncurses
 * still computes and emits every update, but no terminal is waited on)
 * and prints:
 *   - start to first drawn screen (open the case, restore, first page,
 *     draw), cold and warm;
 *   - key to redraw for scrolling by a page (PgDn, PgUp), from the start,
 *     the middle and the end of the timeline, and for jumping to the end;
 *   - key to redraw for a pivot (=) on indexed fields (user, app, ip, op)
 *     and for undoing it (Backspace);
 *   - the column cursor across the columns at 80x24 (l past the edge
 *     scrolls), the sign-ins' first screen and pages (their set reads
 *     facts from each row's raw record), copying a cell (y), the whole
 *     value (v);
 *   - over every event: a stack of the app column (F), the histogram
 *     (i), the messages view's first page (E) and its pages, the first
 *     screen of two-field stacks (:stack app,mailbox and user,ip), each
 *     several times; and each of F, i, E with Esc already typed, how
 *     soon the work stops.
 * Beside them, in the same run, what the query engine alone takes for
 * the same page (query_page), so the interface's own share is visible.
 * Targets (README.md, "Performance"): first screen under 300 ms, key to redraw under 50 ms.
 *
 * usage: bench_tui CASE
 */
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "keys.h"
#include "query.h"
#include "store.h"
#include "view_timeline.h"
#include "sqlite/sqlite_store.h"

#define ROWS 50
#define COLS 200
#define RUNS 5 /* of each costly key: median and max */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct stats {
	double v[4096];
	size_t n;
};

static void add(struct stats *s, double ms)
{
	if (s->n < sizeof s->v / sizeof s->v[0])
		s->v[s->n++] = ms;
}

static void report(const char *what, struct stats *s)
{
	if (!s->n) {
		printf("  %-44s (no samples)\n", what);
		return;
	}
	qsort(s->v, s->n, sizeof s->v[0], cmp_double);
	double p95 = s->v[(size_t)((double)(s->n - 1) * 0.95)];
	printf("  %-44s median %7.2f ms  p95 %7.2f ms  max %7.2f ms  (%zu keys)\n", what, s->v[s->n / 2], p95,
	       s->v[s->n - 1], s->n);
	s->n = 0;
}

static SCREEN *scr;
static FILE *fout, *fin;

static void screen_up(void)
{
	fout = fopen("/dev/null", "w");
	fin = fopen("/dev/null", "r");
	scr = newterm("xterm-256color", fout, fin);
	if (!scr) {
		fprintf(stderr, "bench_tui: no terminal description for xterm-256color\n");
		exit(1);
	}
}

static void screen_down(void)
{
	endwin();
	delscreen(scr);
	fclose(fout);
	fclose(fin);
}

/* Open the case and draw the first screen; returns ms, *out the app. */
static double open_app(const char *path, struct store **st, struct app **out)
{
	char *cause = NULL;
	double t0 = now();
	if (store_open(path, 0, st, &cause) < 0 || store_ensure_indexes(*st, &cause) < 0) {
		fprintf(stderr, "bench_tui: %s\n", cause);
		exit(1);
	}
	screen_up();
	struct app *a = app_new(*st);
	if (app_start(a, &cause) < 0) {
		fprintf(stderr, "bench_tui: %s\n", cause);
		exit(1);
	}
	app_draw(a);
	*out = a;
	return now() - t0;
}

static void close_app(struct store *st, struct app *a)
{
	app_free(a);
	screen_down();
	store_close(st);
}

static double press(struct app *a, int key)
{
	double t0 = now();
	app_key(a, key);
	app_draw(a);
	return now() - t0;
}

/* Type ":NAME ARG" and time the Enter that runs it, to its drawn screen. */
static double colon(struct app *a, const char *name, const char *arg)
{
	char line[128];
	snprintf(line, sizeof line, ":%s %s", name, arg);
	for (const char *p = line; *p; p++)
		press(a, (unsigned char)*p);
	return press(a, '\n');
}

/* key with Esc already waiting: how soon long work sees it and stops. */
static void escaped(struct app *a, int key, const char *what, struct stats *s)
{
	for (int i = 0; i < RUNS; i++) {
		ungetch(KEYS_ESC);
		add(s, press(a, key));
		press(a, 'q');
	}
	report(what, s);
}

static void clear_state(const char *path)
{
	struct store *st;
	char *cause = NULL;
	if (store_open(path, 0, &st, &cause) < 0) {
		fprintf(stderr, "bench_tui: %s\n", cause);
		exit(1);
	}
	sqlite3_exec(store_db(st), "DELETE FROM state", NULL, NULL, NULL);
	store_close(st);
}

/* The engine alone: one page of `rows` events after the first `skip`
 * pages, as the timeline asks for it. */
static void engine_pages(struct store *st, const char *filter, struct stats *s)
{
	struct query *q;
	char *cause = NULL;
	if (query_new(st, filter, &q, &cause) < 0) {
		fprintf(stderr, "bench_tui: %s\n", cause);
		exit(1);
	}
	struct query_page p = { 0 };
	query_page(q, QUERY_FIRST, NULL, ROWS - 4, &p, NULL);
	for (int i = 0; i < 200 && p.n; i++) {
		struct query_pos pos = { p.rows[p.n - 1].ts, p.rows[p.n - 1].id };
		double t0 = now();
		query_page(q, QUERY_AFTER, &pos, ROWS - 4, &p, NULL);
		add(s, now() - t0);
	}
	query_page_free(&p);
	query_free(q);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bench_tui CASE\n");
		return 2;
	}
	const char *path = argv[1];
	setlocale(LC_ALL, "C.UTF-8");
	char lines[16], cols[16];
	snprintf(lines, sizeof lines, "%d", ROWS);
	snprintf(cols, sizeof cols, "%d", COLS);
	setenv("LINES", lines, 1);
	setenv("COLUMNS", cols, 1);
	setenv("NO_COLOR", "1", 1);
	setenv("AUDITSCOPE_THEMES", "themes", 0);
	struct store *st;
	struct app *a;
	struct stats s = { 0 }, more = { 0 };

	printf("interface (tests/bench_tui.c) on %s, a %dx%d screen\n", path, COLS, ROWS);
	clear_state(path);
	double cold = open_app(path, &st, &a);
	close_app(st, a);
	for (int i = 0; i < 5; i++) {
		double ms = open_app(path, &st, &a);
		add(&s, ms);
		close_app(st, a);
	}
	printf("  %-44s %7.2f ms (first run)\n", "start to first drawn screen", cold);
	report("start to first drawn screen, again", &s);

	open_app(path, &st, &a);
	int64_t events = app_count(a).n;
	printf("  events in the case: %lld%s\n", (long long)events, app_count(a).exact ? "" : " (estimated)");

	for (int i = 0; i < 200; i++)
		add(&s, press(a, KEYS_F(KEY_NPAGE)));
	report("PgDn from the start", &s);
	for (int i = 0; i < 200; i++)
		add(&s, press(a, KEYS_F(KEY_PPAGE)));
	report("PgUp back to the start", &s);
	for (int i = 0; i < 200; i++)
		add(&s, press(a, 'j'));
	report("j (one row down)", &s);

	/* the middle of the case */
	const struct query_row *r = view_timeline_current(app_timeline(a));
	int64_t first_ts = r->ts;
	add(&s, press(a, 'G'));
	report("G (jump to the last event)", &s);
	int64_t last_ts = view_timeline_current(app_timeline(a))->ts;
	for (int i = 0; i < 200; i++)
		add(&s, press(a, KEYS_F(KEY_PPAGE)));
	report("PgUp from the end", &s);
	struct query_pos mid = { first_ts + (last_ts - first_ts) / 2, 0 };
	double t0 = now();
	view_timeline_goto(app_timeline(a), &mid);
	app_draw(a);
	add(&s, now() - t0);
	report("goto the middle", &s);
	for (int i = 0; i < 200; i++)
		add(&s, press(a, KEYS_F(KEY_NPAGE)));
	report("PgDn from the middle", &s);

	/* pivots on the indexed fields, each undone */
	const char *fields[] = { "user", "app", "ip", "op" };
	struct stats undo = { 0 };
	for (size_t f = 0; f < 4; f++) {
		for (int i = 0; i < 10; i++) {
			press(a, KEYS_F(KEY_NPAGE));
			view_timeline_set_column(app_timeline(a), fields[f]);
			add(&s, press(a, '='));
			add(&undo, press(a, 127));
		}
		char what[64];
		snprintf(what, sizeof what, "= (pivot) on %s", fields[f]);
		report(what, &s);
	}
	report("Backspace (undo the pivot)", &undo);
	/* paging under a pivot */
	press(a, 'g');
	view_timeline_set_column(app_timeline(a), "op");
	press(a, '=');
	for (int i = 0; i < 100; i++)
		add(&s, press(a, KEYS_F(KEY_NPAGE)));
	report("PgDn under a pivot on op", &s);
	press(a, 127);

	/* columns: the column cursor across a set wider than the screen,
	 * at 80x24, where l past the edge scrolls the table sideways */
	press(a, 'g');
	resizeterm(24, 80);
	press(a, KEYS_F(KEY_RESIZE));
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 9; i++)
			add(&s, press(a, 'l'));
		for (int i = 0; i < 9; i++)
			add(&s, press(a, 'h'));
	}
	report("l / h across the columns at 80x24 (scrolls)", &s);
	/* sign-ins: their set shows facts read from each row's raw record */
	if (app_filter_push(a, "kind=signin", "bench") == 0) {
		add(&s, press(a, KEYS_CTRL('L')));
		report("to sign-ins (kind=signin, first screen)", &s);
		for (int i = 0; i < 100; i++)
			add(&s, press(a, KEYS_F(KEY_NPAGE)));
		report("PgDn under sign-ins (facts from raw records)", &s);
		for (int round = 0; round < 5; round++) {
			for (int i = 0; i < 10; i++)
				add(&s, press(a, 'l'));
			for (int i = 0; i < 10; i++)
				add(&s, press(a, 'h'));
		}
		report("l / h across the sign-in columns at 80x24", &s);
		for (int i = 0; i < 20; i++) {
			add(&s, press(a, 'y'));
			press(a, 'j');
		}
		report("y (copy the cell)", &s);
		for (int i = 0; i < 20; i++) {
			add(&s, press(a, 'v'));
			add(&s, press(a, 'q'));
		}
		report("v (the whole value) and q", &s);
		press(a, 127);
	}
	resizeterm(ROWS, COLS);
	press(a, KEYS_F(KEY_RESIZE));

	/* stacks, the histogram and the messages view over every event:
	 * each opened RUNS times (median and max), and once with Esc
	 * already typed (how soon the work stops) */
	view_timeline_set_column(app_timeline(a), "app");
	for (int i = 0; i < RUNS; i++) {
		add(&s, press(a, 'F'));
		press(a, 'q');
	}
	report("F (stack of app over every event)", &s);
	escaped(a, 'F', "F, Esc already typed (stops)", &s);
	for (int i = 0; i < RUNS; i++) {
		add(&s, press(a, 'i'));
		press(a, 'q');
	}
	report("i (histogram of every event)", &s);
	escaped(a, 'i', "i, Esc already typed (stops)", &s);
	for (int i = 0; i < RUNS; i++) {
		add(&s, press(a, 'E'));
		press(a, 'q');
	}
	report("E (messages view, first page)", &s);
	escaped(a, 'E', "E, Esc already typed (stops)", &s);
	for (int i = 0; i < RUNS; i++) {
		add(&s, press(a, 'E'));
		for (int k = 0; k < 20; k++)
			add(&more, press(a, KEYS_F(KEY_NPAGE)));
		press(a, 'q');
	}
	report("PgDn in the messages view", &more);
	s.n = 0;
	const char *two[] = { "app,mailbox", "user,ip" };
	for (size_t f = 0; f < 2; f++) {
		for (int i = 0; i < RUNS; i++) {
			add(&s, colon(a, "stack", two[f]));
			press(a, 'q');
		}
		char what[64];
		snprintf(what, sizeof what, ":stack %s (first screen)", two[f]);
		report(what, &s);
		for (int i = 0; i < RUNS; i++) {
			ungetch(KEYS_ESC);
			add(&s, colon(a, "stack", two[f]));
			press(a, 'q');
		}
		snprintf(what, sizeof what, ":stack %s, Esc already typed", two[f]);
		report(what, &s);
	}
	close_app(st, a);

	/* the engine alone, same page size, same run */
	if (store_open(path, 0, &st, NULL) == 0) {
		engine_pages(st, "", &s);
		report("engine alone: query_page of a screenful", &s);
		engine_pages(st, "op=MailItemsAccessed", &s);
		report("engine alone: the same under op=...", &s);
		store_close(st);
	}
	clear_state(path);
	return 0;
}
