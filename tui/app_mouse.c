/*
 * app_mouse.c: the mouse (app_impl.h): the wheel scrolls the view, a
 * click moves the cursor to the row (and the column) under it, a double
 * click opens it. AUDITSCOPE_MOUSE=off leaves the mouse to the terminal
 * (its own selection and paste).
 */
#include "app_impl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keys.h"
#include "view.h"

bool app_mouse_setup(void)
{
	const char *env = getenv("AUDITSCOPE_MOUSE");
	if (env && (!strcasecmp(env, "off") || !strcmp(env, "0") || !strcasecmp(env, "no")))
		return false;
	mouseinterval(250);
	return mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL) !=
	       0;
}

/* Lines the wheel moves a notch. */
#define WHEEL_LINES 3

int app_mouse(struct app *a)
{
	MEVENT ev;
	if (getmouse(&ev) != OK || a->too_small || a->prompt || a->question || !a->nviews)
		return REACT_NONE;
	struct view *v = a->views[a->nviews - 1];
	int r = REACT_NONE;
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		enum keys_action act = ev.bstate & BUTTON4_PRESSED ? ACT_UP : ACT_DOWN;
		for (int i = 0; i < WHEEL_LINES; i++) {
			int k = v->ops->action(v, act);
			if (k == REACT_PASS)
				break;
			r |= k;
		}
		return r;
	}
	/* the view's window starts under the title line */
	int y = ev.y - 1, x = ev.x;
	if (y < 0 || y >= v->rows || !v->ops->click)
		return REACT_NONE;
	if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
		return v->ops->click(v, y, x, true);
	if (ev.bstate & BUTTON1_CLICKED)
		return v->ops->click(v, y, x, false);
	return REACT_NONE;
}
