/*
 * view.h: what every screen of the interface exports.
 *
 * A view is a small vtable, as tmux's struct window_mode and ncdu's
 * browse_draw/browse_key: draw into a given window, handle an action
 * (already looked up in the view's key map, keys.h), follow a resize or a
 * change of filter, say where it is for the status line, free itself.
 * The main loop (app_loop.c, app.c) knows nothing of what a view shows;
 * views stack (timeline at the bottom, detail or stack or help above it)
 * and all of them follow the one filter stack the app keeps.
 */
#ifndef AUDITSCOPE_VIEW_H
#define AUDITSCOPE_VIEW_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "keys.h"

struct app;
struct view;

/* Returned by an action a view does not handle: the app tries its
 * global actions (help, filter, undo, quit, ...). */
#define REACT_PASS (1 << 15)

struct view_ops {
	const char *name; /* "timeline", shown in the status line */
	enum keys_map_id keymap;
	/* Draw the whole view into w (its size is the view's rows x cols). */
	void (*draw)(struct view *v, WINDOW *w);
	/* Handle an action; reaction bits of keys.h, or REACT_PASS. */
	int (*action)(struct view *v, enum keys_action a);
	/* A mouse click at (y, x) of the view's window (twice: a double
	 * click); reaction bits. May be NULL: clicks do nothing. */
	int (*click)(struct view *v, int y, int x, bool twice);
	/* The window is now rows x cols (already stored in v). May be NULL. */
	void (*resize)(struct view *v);
	/* The filter changed: fetch again. May be NULL. */
	void (*reload)(struct view *v);
	/* Annotations changed (m, t, c, M): show them again. May be NULL. */
	void (*annotated)(struct view *v);
	/* Where the view is, for the status line ("1,204 of 4,612"). May be NULL. */
	void (*status)(struct view *v, char *buf, size_t n);
	void (*free)(struct view *v);
};

struct view {
	const struct view_ops *ops;
	struct app *app;
	int rows, cols;
};

#endif
