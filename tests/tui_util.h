/*
 * tui_util.h: driving the interface in-process, shared by the tests that
 * draw screens (test_tui_views.c, test_tui_nav.c, test_tui_columns.c,
 * test_tui_host.c): keys go to app_key() one at a time with a redraw after
 * each, as the terminal would send them, the screen is read back as text
 * and compared with a golden file.
 */
#ifndef AUDITSCOPE_TEST_TUI_UTIL_H
#define AUDITSCOPE_TEST_TUI_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "xalloc.h"

/* Each byte of s as a key press, redrawing after each. */
static inline void tui_keys(struct app *a, const char *s)
{
	for (const char *p = s; *p; p++) {
		app_key(a, (unsigned char)*p);
		app_draw(a);
	}
}

/* One key (a curses code or a byte), then a redraw. */
static inline void tui_key(struct app *a, int k)
{
	app_key(a, k);
	app_draw(a);
}

/* Elapsed times on the status line ("0.01 s") depend on the machine's
 * load, not on the interface: mask their digits before comparing. */
static inline void tui_mask_seconds(char *s)
{
	for (char *p = s; *p; p++) {
		char *q = p;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q == p || *q != '.' || q[1] < '0' || q[1] > '9' || q[2] < '0' || q[2] > '9' ||
		    strncmp(q + 3, " s", 2))
			continue;
		for (char *r = p; r < q + 3; r++)
			if (*r != '.')
				*r = '#';
		p = q + 2;
	}
}

/* What the terminal shows now, a line per row (caller frees). */
static inline char *tui_screen(void)
{
	return draw_dump(curscr);
}

/* Compare the screen with tests/golden/PREFIXNAME.txt (UPDATE=1: write
 * it instead). mask_seconds: elapsed times are masked on both sides
 * first (a status line that shows how long a hunt took). */
static inline void tui_golden(const char *prefix, const char *name, bool mask_seconds)
{
	char *got = tui_screen();
	char path[256];
	snprintf(path, sizeof path, "tests/golden/%s%s.txt", prefix, name);
	const char *up = getenv("UPDATE");
	if (up && *up && strcmp(up, "0")) {
		FILE *g = fopen(path, "w");
		assert_non_null(g);
		fputs(got, g);
		fclose(g);
		free(got);
		return;
	}
	FILE *g = fopen(path, "r");
	if (!g)
		fail_msg("%s is missing: run with UPDATE=1 to create it", path);
	char *want = xmalloc(1 << 18);
	size_t n = fread(want, 1, (1 << 18) - 1, g);
	want[n] = '\0';
	fclose(g);
	if (mask_seconds) {
		tui_mask_seconds(got);
		tui_mask_seconds(want);
	}
	if (strcmp(got, want)) {
		print_error("screen differs from %s:\n--- got\n%s--- want\n%s", path, got, want);
		free(got);
		free(want);
		fail();
	}
	free(got);
	free(want);
}

#endif
