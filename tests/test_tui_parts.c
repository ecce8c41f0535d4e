/*
 * test_tui_parts.c: the interface's building blocks without a case:
 * themes (every file in themes/ parses and names every role; errors name
 * the line), key tables (every action documented, no key bound twice,
 * help lines generated), the prompt's line editing and history, and
 * sanitised drawing (escape sequences as visible text, wide characters
 * never split).
 */
#include "testutil.h"

#include <dirent.h>
#include <locale.h>

#include "clip.h"
#include "columns.h"
#include "draw.h"
#include "keys.h"
#include "list.h"
#include "prompt.h"
#include "theme.h"
#include "xalloc.h"

/* --- themes --- */

static void test_theme_files(void **state)
{
	(void)state;
	const char *want[] = { "default", "light", "high-contrast", "monochrome" };
	for (size_t i = 0; i < 4; i++) {
		struct theme t;
		char *cause = NULL;
		char path[256];
		snprintf(path, sizeof path, "themes/%s.theme", want[i]);
		int rc = theme_load(path, &t, &cause);
		if (rc < 0)
			fail_msg("%s: %s", path, cause);
		/* every role is written out in every shipped theme: read the
		 * file and look for each role name at the start of a line */
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		char text[8192];
		size_t n = fread(text, 1, sizeof text - 1, f);
		text[n] = '\0';
		fclose(f);
		for (int r = 0; r < THEME_NROLES; r++) {
			char needle[64];
			snprintf(needle, sizeof needle, "\n%s ", theme_role_name((enum theme_role)r));
			if (!strstr(text, needle))
				fail_msg("%s does not set role %s", path, theme_role_name((enum theme_role)r));
		}
		theme_clear(&t);
	}
}

static void test_theme_parse(void **state)
{
	(void)state;
	struct theme t;
	char *cause = NULL;
	assert_int_equal(theme_parse("# comment\nselected  black cyan bold\nbar 33 bright-red\n", "t", &t,
				     &cause),
			 0);
	assert_int_equal(t.role[THEME_SELECTED].fg, COLOR_BLACK);
	assert_int_equal(t.role[THEME_SELECTED].bg, COLOR_CYAN);
	assert_true(t.role[THEME_SELECTED].attrs & A_BOLD);
	assert_int_equal(t.role[THEME_BAR].fg, 33);
	assert_int_equal(t.role[THEME_BAR].bg, 8 + COLOR_RED);
	/* a role left out keeps its monochrome look */
	assert_int_equal(t.role[THEME_NORMAL].fg, -1);
	assert_true(t.role[THEME_TITLE].attrs & A_REVERSE);
	theme_clear(&t);

	assert_int_equal(theme_parse("normal default default\nselectd black cyan\n", "bad", &t, &cause), -1);
	assert_string_equal(cause, "bad: line 2: unknown role 'selectd'");
	free(cause);
	cause = NULL;
	assert_int_equal(theme_parse("title purple black\n", "bad", &t, &cause), -1);
	assert_string_equal(cause, "bad: line 1: unknown colour 'purple'");
	free(cause);
	cause = NULL;
	assert_int_equal(theme_parse("title red black blinking\n", "bad", &t, &cause), -1);
	assert_string_equal(cause, "bad: line 1: unknown attribute 'blinking'");
	free(cause);
	cause = NULL;
	assert_int_equal(theme_parse("title red\n", "bad", &t, &cause), -1);
	assert_non_null(strstr(cause, "line 1: expected"));
	free(cause);
	cause = NULL;
	assert_int_equal(theme_load("no-such-theme", &t, &cause), -1);
	assert_non_null(strstr(cause, "no theme named 'no-such-theme'"));
	free(cause);
	cause = NULL;
	/* a name is a name, not a way out of the theme folder */
	assert_int_equal(theme_load("..", &t, &cause), -1);
	free(cause);
}

static void test_theme_list(void **state)
{
	(void)state;
	size_t n;
	char **names = theme_list(&n);
	bool seen[4] = { false };
	const char *want[] = { "default", "light", "high-contrast", "monochrome" };
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < 4; k++)
			if (!strcmp(names[i], want[k]))
				seen[k] = true;
		if (i)
			assert_true(strcmp(names[i - 1], names[i]) < 0);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	for (size_t k = 0; k < 4; k++)
		if (!seen[k])
			fail_msg("theme_list misses %s", want[k]);
}

/* --- keys --- */

static void test_keys_tables(void **state)
{
	(void)state;
	for (int id = 0; id < KEYMAP_COUNT; id++) {
		/* every binding the map answers to: the movements and its own */
		struct keys_binding b[128];
		size_t nb = keys_bindings((enum keys_map_id)id, b, 128);
		assert_true(nb <= 128);
		const struct keys_map mm = { keys_map((enum keys_map_id)id)->title, b, nb, NULL }, *m = &mm;
		assert_non_null(m->title);
		for (size_t i = 0; i < m->n; i++) {
			/* the first binding of an action carries its help */
			bool first = true;
			for (size_t j = 0; j < i; j++)
				if (m->b[j].action == m->b[i].action)
					first = false;
			if (first && (!m->b[i].help || !*m->b[i].help))
				fail_msg("%s: %s has no help text", m->title, keys_action_name(m->b[i].action));
			for (size_t j = 0; j < i; j++)
				if (m->b[j].key == m->b[i].key)
					fail_msg("%s: a key is bound twice (%s)", m->title,
						 keys_action_name(m->b[i].action));
		}
	}
	/* a view's binding wins over the global one; unbound keys fall
	 * through to the global map */
	assert_int_equal(keys_lookup(KEYMAP_TIMELINE, 'j'), ACT_DOWN);
	assert_int_equal(keys_lookup(KEYMAP_TIMELINE, 'f'), ACT_FILTER);
	assert_int_equal(keys_lookup(KEYMAP_HELP, '?'), ACT_BACK);
	assert_int_equal(keys_lookup(KEYMAP_TIMELINE, '?'), ACT_HELP);
	assert_int_equal(keys_lookup(KEYMAP_TIMELINE, 'Z'), ACT_NONE);
	assert_int_equal(keys_lookup(KEYMAP_STACK, 's'), ACT_SORT);
	assert_int_equal(keys_lookup(KEYMAP_TIMELINE, KEYS_F(KEY_NPAGE)), ACT_PAGE_DOWN);
}

/* One movement map: every view but the global one answers j, k, the
 * arrows, pages, half pages, first and last the same way (the histogram
 * once lacked b, Home and End; help and hunts Home and End). */
static void test_keys_moves(void **state)
{
	(void)state;
	static const struct {
		int key;
		enum keys_action act;
	} moves[] = {
		{ 'j', ACT_DOWN },
		{ KEYS_F(KEY_DOWN), ACT_DOWN },
		{ 'k', ACT_UP },
		{ KEYS_F(KEY_UP), ACT_UP },
		{ KEYS_F(KEY_NPAGE), ACT_PAGE_DOWN },
		{ ' ', ACT_PAGE_DOWN },
		{ KEYS_CTRL('F'), ACT_PAGE_DOWN },
		{ KEYS_F(KEY_PPAGE), ACT_PAGE_UP },
		{ 'b', ACT_PAGE_UP },
		{ KEYS_CTRL('B'), ACT_PAGE_UP },
		{ KEYS_CTRL('D'), ACT_HALF_DOWN },
		{ KEYS_CTRL('U'), ACT_HALF_UP },
		{ 'g', ACT_TOP },
		{ KEYS_F(KEY_HOME), ACT_TOP },
		{ 'G', ACT_BOTTOM },
		{ KEYS_F(KEY_END), ACT_BOTTOM },
	};
	for (int id = 0; id < KEYMAP_COUNT; id++) {
		if (id == KEYMAP_GLOBAL)
			continue;
		for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
			enum keys_action a = keys_lookup((enum keys_map_id)id, moves[i].key);
			char nm[24];
			if (a != moves[i].act)
				fail_msg("%s: %s is %s, not %s", keys_map((enum keys_map_id)id)->title,
					 keys_name(moves[i].key, nm, sizeof nm), keys_action_name(a),
					 keys_action_name(moves[i].act));
		}
	}
	/* h and l only where there are columns to move over */
	assert_int_equal(keys_lookup(KEYMAP_TIMELINE, 'l'), ACT_RIGHT);
	assert_int_equal(keys_lookup(KEYMAP_STACK, 'l'), ACT_RIGHT); /* a stack's fields (v) */
	assert_int_equal(keys_lookup(KEYMAP_HISTOGRAM, 'l'), ACT_NONE);
	/* the movement lines are worded for what the view moves over */
	size_t n;
	char **lines = keys_help_lines(KEYMAP_HISTOGRAM, &n);
	bool first = false, pgup = false;
	for (size_t i = 0; i < n; i++) {
		first = first || !strcmp(lines[i], "  g Home             first bucket");
		pgup = pgup || !strcmp(lines[i], "  PgUp b ^B          page up");
		free(lines[i]);
	}
	free(lines);
	assert_true(first);
	assert_true(pgup);
}

/* The list cursor every list view uses, and the pager's scroll. */
static void test_list(void **state)
{
	(void)state;
	size_t cur = 0, top = 0;
	assert_true(list_move(&cur, ACT_DOWN, 10, 4));
	assert_int_equal(cur, 1);
	list_move(&cur, ACT_PAGE_DOWN, 10, 4);
	assert_int_equal(cur, 5);
	list_move(&cur, ACT_PAGE_DOWN, 10, 4);
	assert_int_equal(cur, 9); /* stops on the last row */
	list_move(&cur, ACT_DOWN, 10, 4);
	assert_int_equal(cur, 9);
	list_move(&cur, ACT_HALF_UP, 10, 4);
	assert_int_equal(cur, 7);
	list_show(cur, &top, 4);
	assert_int_equal(top, 4); /* row 7 is the last of the screen 4..7 */
	list_move(&cur, ACT_TOP, 10, 4);
	list_show(cur, &top, 4);
	assert_int_equal(cur, 0);
	assert_int_equal(top, 0);
	list_move(&cur, ACT_BOTTOM, 0, 4); /* an empty list */
	assert_int_equal(cur, 0);
	assert_false(list_move(&cur, ACT_ENTER, 10, 4));
	size_t t = 0;
	assert_true(list_scroll(&t, ACT_BOTTOM, 30, 10));
	assert_int_equal(t, 30);
	list_scroll(&t, ACT_HALF_UP, 30, 10);
	assert_int_equal(t, 25);
	list_scroll(&t, ACT_PAGE_UP, 30, 10);
	assert_int_equal(t, 15);
}

static void test_keys_help(void **state)
{
	(void)state;
	size_t n;
	char **lines = keys_help_lines(KEYMAP_TIMELINE, &n);
	bool down = false, pgdn = false;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(lines[i], "  j Down             next event"))
			down = true;
		if (strstr(lines[i], "PgDn Space ^F") && strstr(lines[i], "page down"))
			pgdn = true;
		free(lines[i]);
	}
	free(lines);
	assert_true(down);
	assert_true(pgdn);
	char buf[32];
	assert_string_equal(keys_name(KEYS_CTRL('L'), buf, sizeof buf), "^L");
	assert_string_equal(keys_name('\n', buf, sizeof buf), "Enter");
	assert_string_equal(keys_name(KEYS_F(KEY_PPAGE), buf, sizeof buf), "PgUp");
	assert_string_equal(keys_name('=', buf, sizeof buf), "=");
}

/* --- prompt --- */

static void type(struct prompt *p, const char *s)
{
	/* s is UTF-8; feed code points */
	const unsigned char *u = (const unsigned char *)s;
	while (*u) {
		int c;
		if (*u < 0x80)
			c = *u++;
		else if ((*u & 0xE0) == 0xC0) {
			c = (*u & 0x1F) << 6 | (u[1] & 0x3F);
			u += 2;
		} else if ((*u & 0xF0) == 0xE0) {
			c = (*u & 0x0F) << 12 | (u[1] & 0x3F) << 6 | (u[2] & 0x3F);
			u += 3;
		} else {
			c = (*u & 0x07) << 18 | (u[1] & 0x3F) << 12 | (u[2] & 0x3F) << 6 | (u[3] & 0x3F);
			u += 4;
		}
		assert_int_equal(prompt_key(p, c), PROMPT_EDITING);
	}
}

static void test_prompt_editing(void **state)
{
	(void)state;
	struct prompt *p = prompt_new("filter: ", "user=alice", NULL);
	assert_string_equal(prompt_text(p), "user=alice");
	type(p, " op=x");
	assert_string_equal(prompt_text(p), "user=alice op=x");
	prompt_key(p, KEYS_CTRL('W'));
	assert_string_equal(prompt_text(p), "user=alice ");
	prompt_key(p, KEYS_CTRL('A'));
	type(p, "(");
	prompt_key(p, KEYS_CTRL('E'));
	type(p, ")");
	assert_string_equal(prompt_text(p), "(user=alice )");
	/* a character of two bytes goes out whole */
	type(p, "é");
	prompt_key(p, 127);
	assert_string_equal(prompt_text(p), "(user=alice )");
	type(p, "日本");
	prompt_key(p, KEYS_F(KEY_LEFT));
	prompt_key(p, KEYS_F(KEY_BACKSPACE));
	assert_string_equal(prompt_text(p), "(user=alice )本");
	/* controls and bidi overrides are refused */
	prompt_key(p, 0x9B); /* C1 CSI */
	prompt_key(p, 0x202E);
	prompt_key(p, 0x07);
	assert_string_equal(prompt_text(p), "(user=alice )本");
	prompt_key(p, KEYS_CTRL('U'));
	assert_string_equal(prompt_text(p), "本");
	prompt_key(p, KEYS_CTRL('K'));
	assert_string_equal(prompt_text(p), "");
	/* backspace on an empty line leaves */
	assert_int_equal(prompt_key(p, 127), PROMPT_CANCEL);
	assert_int_equal(prompt_key(p, KEYS_ESC), PROMPT_CANCEL);
	prompt_free(p);
}

static void test_prompt_history(void **state)
{
	(void)state;
	struct prompt_history *h = prompt_history_new(3);
	struct prompt *p = prompt_new("f: ", NULL, h);
	type(p, "a=1");
	assert_int_equal(prompt_key(p, '\r'), PROMPT_ACCEPT);
	prompt_free(p);
	prompt_history_add(h, "b=2");
	prompt_history_add(h, "c=3");
	prompt_history_add(h, "a=1"); /* again: moves to the front */
	assert_int_equal(prompt_history_count(h), 3);
	assert_string_equal(prompt_history_get(h, 2), "a=1");
	prompt_history_add(h, "d=4"); /* the oldest (b=2) goes */
	assert_int_equal(prompt_history_count(h), 3);
	assert_string_equal(prompt_history_get(h, 0), "c=3");

	p = prompt_new("f: ", NULL, h);
	type(p, "draft");
	prompt_key(p, KEYS_F(KEY_UP));
	assert_string_equal(prompt_text(p), "d=4");
	prompt_key(p, KEYS_F(KEY_UP));
	assert_string_equal(prompt_text(p), "a=1");
	prompt_key(p, KEYS_F(KEY_UP));
	prompt_key(p, KEYS_F(KEY_UP)); /* past the oldest: stays */
	assert_string_equal(prompt_text(p), "c=3");
	prompt_key(p, KEYS_F(KEY_DOWN));
	prompt_key(p, KEYS_F(KEY_DOWN));
	prompt_key(p, KEYS_F(KEY_DOWN));
	assert_string_equal(prompt_text(p), "draft");
	/* an error puts the cursor at its column */
	prompt_set_error(p, 3);
	type(p, "X");
	assert_string_equal(prompt_text(p), "drXaft");
	prompt_free(p);
	prompt_history_free(h);
}

/* --- drawing --- */

static SCREEN *scr;
static FILE *fout, *fin;

static int screen_up(void **state)
{
	(void)state;
	setenv("TERM", "xterm-256color", 1);
	setenv("LINES", "6", 1);
	setenv("COLUMNS", "30", 1);
	fout = fopen("/dev/null", "w");
	fin = fopen("/dev/null", "r");
	scr = newterm(NULL, fout, fin);
	return scr ? 0 : -1;
}

static int screen_down(void **state)
{
	(void)state;
	endwin();
	delscreen(scr);
	fclose(fout);
	fclose(fin);
	return 0;
}

/* Issue 14: a value cut to its cell ends in the cut mark, in the cut
 * role (bold without colour), so that a cut indicator never passes for
 * a whole one; nothing is drawn past the window's right edge (curses
 * would wrap it onto the next line, where Ctrl-L does not clear it). */
static void test_draw_cut(void **state)
{
	(void)state;
	WINDOW *w = newwin(4, 20, 0, 0);
	draw_cell(w, 0, 0, "adm.fatima.langer@contoso.com", 12, A_NORMAL, false);
	/* asked for 40 columns from column 15 of 20: 5 are left */
	int used = draw_text(w, 1, 15, "2001:db8:3cb:f8::5d6", 40, A_NORMAL);
	assert_int_equal(used, 5);
	/* exactly as wide as the cell: whole, no mark */
	draw_cell(w, 2, 0, "203.0.113.81", 12, A_NORMAL, true);
	/* a cut cell with a search match keeps the match and the mark */
	draw_cell_match(w, 3, 0, "alice@contoso.com", 10, A_NORMAL, "ice", A_UNDERLINE);
	char *text = draw_dump(w);
	assert_string_equal(text, "adm.fatima.\u2026\n"
				  "               2001\u2026\n"
				  "203.0.113.81\n"
				  "alice@con\u2026\n");
	free(text);
	assert_true(mvwinch(w, 0, 11) & A_BOLD);
	assert_false(mvwinch(w, 0, 10) & A_BOLD);
	assert_true(mvwinch(w, 3, 2) & A_UNDERLINE);
	/* a fill or a bar asked past the edge stops there too */
	draw_fill(w, 2, 15, 30, A_REVERSE);
	draw_bar(w, 3, 18, 30, A_NORMAL);
	text = draw_dump(w);
	assert_non_null(strstr(text, "203.0.113.81\nalice@con\u2026"));
	free(text);
	assert_true(draw_fits("203.0.113.81", 12));
	assert_false(draw_fits("203.0.113.81", 11));
	delwin(w);
}

static void test_draw_hostile(void **state)
{
	(void)state;
	WINDOW *w = newwin(4, 30, 0, 0);
	/* an escape sequence that would turn the terminal red, a bidi
	 * override and a bell: all shown as text */
	draw_text(w, 0, 0, "a\x1b[31mred\x1b[0m\xe2\x80\xae!\x07", 30, A_NORMAL);
	/* wide characters: 5 columns hold two of them and the cut mark, not
	 * two and a half */
	int used = draw_text(w, 1, 0, "日本語", 5, A_NORMAL);
	assert_int_equal(used, 5);
	/* a cell pads to its width; right alignment */
	draw_cell(w, 2, 0, "42", 6, A_NORMAL, true);
	draw_cell(w, 2, 6, "ab", 4, A_NORMAL, false);
	draw_text(w, 2, 10, "|", 1, A_NORMAL);
	draw_cell_match(w, 3, 0, "user=Alice@x", 20, A_NORMAL, "alice", A_UNDERLINE);
	char *text = draw_dump(w);
	assert_string_equal(text, "a\\e[31mred\\e[0m\\u202e!\\x07\n"
				  "日本…\n"
				  "    42ab  |\n"
				  "user=Alice@x\n");
	assert_null(strchr(text, 0x1b));
	/* the match is drawn with the highlight, the rest without */
	assert_true(mvwinch(w, 3, 5) & A_UNDERLINE);
	assert_false(mvwinch(w, 3, 4) & A_UNDERLINE);
	assert_false(mvwinch(w, 3, 10) & A_UNDERLINE);
	free(text);
	delwin(w);
	char buf[32];
	assert_string_equal(draw_count(1234567, buf, sizeof buf), "1,234,567");
	assert_string_equal(draw_count(-1000, buf, sizeof buf), "-1,000");
	assert_string_equal(draw_count(999, buf, sizeof buf), "999");
	assert_string_equal(draw_time(1687055626000, buf, sizeof buf), "2023-06-18 02:33:46");
}

/* Colours when the terminal has them; attributes only under NO_COLOR or
 * on a terminal without colours, every role still distinguishable. */
static void test_theme_colour(void **state)
{
	(void)state;
	struct theme t;
	char *cause = NULL;
	assert_int_equal(theme_load("default", &t, &cause), 0);
	unsetenv("NO_COLOR");
	assert_true(theme_apply(&t));
	assert_true(theme_colour());
	assert_string_equal(theme_current(), "default");
	assert_int_not_equal(PAIR_NUMBER(theme_attr(THEME_SELECTED)), 0);
	setenv("NO_COLOR", "1", 1);
	assert_false(theme_apply(&t));
	assert_string_equal(theme_current(), "monochrome");
	assert_int_equal(PAIR_NUMBER(theme_attr(THEME_SELECTED)), 0);
	assert_true(theme_attr(THEME_SELECTED) & A_REVERSE);
	assert_true(theme_attr(THEME_HEADER) & A_BOLD);
	assert_int_not_equal(theme_attr(THEME_SELECTED), theme_attr(THEME_CELL));
	unsetenv("NO_COLOR");
	theme_clear(&t);
}

static int mono_up(void **state)
{
	(void)state;
	setenv("TERM", "vt100", 1);
	fout = fopen("/dev/null", "w");
	fin = fopen("/dev/null", "r");
	scr = newterm(NULL, fout, fin);
	return scr ? 0 : -1;
}

static void test_theme_no_colour_terminal(void **state)
{
	(void)state;
	struct theme t;
	char *cause = NULL;
	unsetenv("NO_COLOR");
	assert_int_equal(theme_load("high-contrast", &t, &cause), 0);
	assert_false(theme_apply(&t));
	assert_true(theme_attr(THEME_SELECTED) & A_REVERSE);
	theme_clear(&t);
}

/* Column sets: each kind's set as it comes, the analyst's changes saved
 * and read back, and a saved text that no longer fits left aside. */
static void test_columns_sets(void **state)
{
	(void)state;
	struct columns c, back;
	columns_init(&c);
	const struct col_layout *si = &c.set[CSET_SIGNIN];
	const char *want[] = { "time",   "user",    "app", "resource", "ip",    "country",
			       "result", "failure", "ca",  "mfa",      "agent", "host" };
	assert_int_equal(si->n, 12);
	for (int i = 0; i < si->n; i++)
		assert_string_equal(columns_def(si->e[i].def)->field, want[i]);
	assert_string_equal(columns_title(CSET_DIRAUDIT, columns_find("user")), "initiated by");
	assert_string_equal(columns_title(CSET_EXOADMIN, columns_find("target")), "object");
	assert_string_equal(columns_title(CSET_SIGNIN, columns_find("user")), "user");
	/* nothing changed: nothing to save */
	assert_null(columns_save(&c));
	/* hide user, move ip first, fix a width */
	struct col_layout *l = &c.set[CSET_SIGNIN];
	assert_true(columns_toggle(l, columns_find("user")));
	assert_true(columns_move(l, columns_index(l, columns_find("ip")), -3));
	l->e[0].width = 30;
	c.custom[CSET_SIGNIN] = true;
	char *s = columns_save(&c);
	assert_non_null(s);
	columns_init(&back);
	columns_load(&back, s);
	free(s);
	assert_true(back.custom[CSET_SIGNIN]);
	assert_int_equal(back.set[CSET_SIGNIN].n, 11);
	assert_int_equal(columns_index(&back.set[CSET_SIGNIN], columns_find("user")), -1);
	assert_int_equal(back.set[CSET_SIGNIN].e[0].width, 30);
	assert_int_equal(back.set[CSET_EVENTS].n, c.set[CSET_EVENTS].n);
	assert_memory_equal(back.set[CSET_EVENTS].e, c.set[CSET_EVENTS].e,
			    (size_t)c.set[CSET_EVENTS].n * sizeof c.set[0].e[0]);
	/* unknown column, duplicate, bad JSON: the set stays as it comes */
	columns_init(&back);
	columns_load(&back, "{\"signin\":[[\"nosuch\",0]],\"directory\":[[\"user\",0],[\"user\",0]]}");
	columns_load(&back, "{not json");
	assert_false(back.custom[CSET_SIGNIN]);
	assert_false(back.custom[CSET_DIRAUDIT]);
	assert_int_equal(back.set[CSET_SIGNIN].n, 12);
	/* the last column is never hidden */
	struct col_layout one = { .e = { { 0, 0 } }, .n = 1 };
	assert_false(columns_toggle(&one, 0));
}

/* OSC 52: ESC ] 52 ; c ; base64 BEL, padding included; an empty value
 * is not copied. */
static void test_clip(void **state)
{
	(void)state;
	char *seq = clip_osc52("203.0.113.81", 12);
	assert_string_equal(seq, "\033]52;c;MjAzLjAuMTEzLjgx\a");
	free(seq);
	seq = clip_osc52("ab", 2);
	assert_string_equal(seq, "\033]52;c;YWI=\a");
	free(seq);
	char *cause = NULL;
	assert_int_equal(clip_copy("", &cause), -1);
	assert_non_null(strstr(cause, "empty"));
	free(cause);
	assert_int_equal(clip_copy("x\x1b]0;t\a", NULL), 0);
	assert_string_equal(clip_last(), "x\x1b]0;t\a");
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	setenv("AUDITSCOPE_THEMES", "themes", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_theme_files),
		cmocka_unit_test(test_theme_parse),
		cmocka_unit_test(test_theme_list),
		cmocka_unit_test(test_keys_tables),
		cmocka_unit_test(test_columns_sets),
		cmocka_unit_test(test_clip),
		cmocka_unit_test(test_keys_moves),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_keys_help),
		cmocka_unit_test(test_prompt_editing),
		cmocka_unit_test(test_prompt_history),
		cmocka_unit_test_setup_teardown(test_draw_hostile, screen_up, screen_down),
		cmocka_unit_test_setup_teardown(test_draw_cut, screen_up, screen_down),
		cmocka_unit_test_setup_teardown(test_theme_colour, screen_up, screen_down),
		cmocka_unit_test_setup_teardown(test_theme_no_colour_terminal, mono_up, screen_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
