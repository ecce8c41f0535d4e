/*
 * keys.h: the key bindings, as data.
 *
 * Each view has a key map (a table of key, action, help text) and the
 * global map catches what a view does not bind, as htop's keys[] table
 * does; the help screen is generated from these same tables (the help
 * text sits beside the binding, as in tmux's bind -N), so it cannot drift
 * from what the keys do. An action handler returns reaction bits that
 * tell the main loop what to redraw or reload.
 */
#ifndef AUDITSCOPE_KEYS_H
#define AUDITSCOPE_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* Function keys (KEY_DOWN, ...) as key codes: above every Unicode scalar,
 * so that no character collides with them. */
#define KEYS_FN 0x200000
#define KEYS_F(k) (KEYS_FN + (k))
#define KEYS_CTRL(c) ((c)&0x1f)
#define KEYS_ESC 27

#define KEYS_ACTIONS(X) \
	X(NONE)         \
	X(QUIT)         \
	X(BACK)         \
	X(UP)           \
	X(DOWN)         \
	X(LEFT)         \
	X(RIGHT)        \
	X(PAGE_UP)      \
	X(PAGE_DOWN)    \
	X(HALF_UP)      \
	X(HALF_DOWN)    \
	X(TOP)          \
	X(BOTTOM)       \
	X(ENTER)        \
	X(SEARCH)       \
	X(SEARCH_NEXT)  \
	X(SEARCH_PREV)  \
	X(FILTER)       \
	X(KEEP)         \
	X(EXCLUDE)      \
	X(UNDO)         \
	X(STACK)        \
	X(BOOKMARK)     \
	X(NEXT_MARK)    \
	X(PREV_MARK)    \
	X(TAG)          \
	X(NOTE)         \
	X(MARK_ALL)     \
	X(HISTOGRAM)    \
	X(HELP)         \
	X(COMMAND)      \
	X(SORT)         \
	X(REDRAW)       \
	X(NEXT_EVENT)   \
	X(PREV_EVENT)   \
	X(SESSION)      \
	X(HUNTS)        \
	X(VALUE)        \
	X(COPY)         \
	X(COPY_ROW)     \
	X(COPY_FILTER)  \
	X(COLUMNS)      \
	X(TOGGLE)       \
	X(MOVE_UP)      \
	X(MOVE_DOWN)    \
	X(WIDER)        \
	X(NARROWER)     \
	X(AUTO_WIDTH)   \
	X(RESET)        \
	X(MESSAGES)     \
	X(ADD_FIELD)    \
	X(SORT_COLUMN)  \
	X(ZOOM_IN)      \
	X(ZOOM_OUT)

enum keys_action {
#define X(a) ACT_##a,
	KEYS_ACTIONS(X)
#undef X
		ACT_COUNT
};

/* Reaction bits an action returns (htop's HTOP_REFRESH and kin). */
enum {
	REACT_NONE = 0,
	REACT_VIEW = 1 << 0,   /* redraw the current view */
	REACT_CHROME = 1 << 1, /* redraw the title and status lines */
	REACT_ALL = 1 << 2,    /* clear and redraw everything */
	REACT_RELOAD = 1 << 3, /* the filter changed: views fetch again */
	REACT_POP = 1 << 4,    /* close the current view */
	REACT_QUIT = 1 << 5,   /* leave the interface */
	REACT_HOME = 1 << 6,   /* close every view above the timeline */
};

enum keys_map_id {
	KEYMAP_GLOBAL,
	KEYMAP_TIMELINE,
	KEYMAP_DETAIL,
	KEYMAP_STACK,
	KEYMAP_HISTOGRAM,
	KEYMAP_HELP,
	KEYMAP_HUNTS,
	KEYMAP_VALUE,
	KEYMAP_COLUMNS,
	KEYMAP_SIGMA,
	KEYMAP_MESSAGES,
	KEYMAP_VIEWS,
	KEYMAP_COUNT
};

struct keys_binding {
	int key;
	enum keys_action action;
	const char *help; /* NULL: an alias of the binding above with the same action */
};

/* How a map words the movement keys' help (what j, g, G move over);
 * left and right NULL: h, l and the side arrows are not bound. */
struct keys_moves {
	const char *down, *up, *left, *right, *top, *bottom;
};

struct keys_map {
	const char *title;
	const struct keys_binding *b; /* the map's own bindings */
	size_t n;
	const struct keys_moves *moves; /* NULL: no movement keys (global) */
};

const struct keys_map *keys_map(enum keys_map_id id);

/* The action of key in map id (its own bindings, then the movement
 * keys), else in the global map, else ACT_NONE. */
enum keys_action keys_lookup(enum keys_map_id id, int key);

/* Every binding of map id, movements first (help on the first key of an
 * action, NULL on its aliases): writes up to max into out, returns how
 * many there are. */
size_t keys_bindings(enum keys_map_id id, struct keys_binding *out, size_t max);

/* A key's name for the help screen ("j", "PgDn", "^L", "Enter"). */
const char *keys_name(int key, char *buf, size_t n);

/* The action's name ("PAGE_DOWN"), for tests and error messages. */
const char *keys_action_name(enum keys_action a);

/* The key code of a wget_wch result (kind OK or KEY_CODE_YES). */
int keys_code(int kind, unsigned int c);

/*
 * The help text of map id, generated from its table: one line per action,
 * "keys  help". Returns lines (caller frees each and the array).
 */
char **keys_help_lines(enum keys_map_id id, size_t *n);

#endif
