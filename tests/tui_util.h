/*
 * tui_util.h: driving the interface in-process, shared by the tests that
 * draw screens (test_tui_views.c, test_tui_nav.c, test_tui_columns.c):
 * keys go to app_key() one at a time with a redraw after each, as the
 * terminal would send them, and the screen is read back as text.
 */
#ifndef AUDITSCOPE_TEST_TUI_UTIL_H
#define AUDITSCOPE_TEST_TUI_UTIL_H

#include <string.h>

#include "app.h"
#include "draw.h"

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

#endif
