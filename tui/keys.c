/*
 * keys.c: the binding tables of every view, and the help lines generated
 * from them (keys.h). To add a key, add a row here: the help follows.
 */
#include "keys.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define F(k) KEYS_F(k)
#define CTRL(c) KEYS_CTRL(c)

/*
 * The movement keys: one table for every view that moves, so that j, k,
 * the arrows, PgDn/Space/^F, PgUp/b/^B, ^D, ^U, g/Home and G/End do the
 * same everywhere. Each map words their help for what it moves over
 * (struct keys_moves); h, l and the side arrows only where a map names
 * them.
 */
static const struct keys_binding move_keys[] = {
	{ 'j', ACT_DOWN, NULL },
	{ F(KEY_DOWN), ACT_DOWN, NULL },
	{ 'k', ACT_UP, NULL },
	{ F(KEY_UP), ACT_UP, NULL },
	{ 'h', ACT_LEFT, NULL },
	{ F(KEY_LEFT), ACT_LEFT, NULL },
	{ 'l', ACT_RIGHT, NULL },
	{ F(KEY_RIGHT), ACT_RIGHT, NULL },
	{ F(KEY_NPAGE), ACT_PAGE_DOWN, NULL },
	{ ' ', ACT_PAGE_DOWN, NULL },
	{ CTRL('F'), ACT_PAGE_DOWN, NULL },
	{ F(KEY_PPAGE), ACT_PAGE_UP, NULL },
	{ 'b', ACT_PAGE_UP, NULL },
	{ CTRL('B'), ACT_PAGE_UP, NULL },
	{ CTRL('D'), ACT_HALF_DOWN, NULL },
	{ CTRL('U'), ACT_HALF_UP, NULL },
	{ 'g', ACT_TOP, NULL },
	{ F(KEY_HOME), ACT_TOP, NULL },
	{ 'G', ACT_BOTTOM, NULL },
	{ F(KEY_END), ACT_BOTTOM, NULL },
};

#define NMOVES (sizeof move_keys / sizeof move_keys[0])

static const struct keys_moves timeline_moves = { "next event",         "previous event",
						  "column cursor left", "column cursor right",
						  "first event",        "last event" };
static const struct keys_moves pager_moves = { "scroll down", "scroll up", NULL, NULL, "top", "bottom" };
static const struct keys_moves stack_moves = { "next value",
					       "previous value",
					       "column cursor left (a stack of several fields)",
					       "column cursor right (a stack of several fields)",
					       "first value",
					       "last value" };
static const struct keys_moves histogram_moves = { "next bucket", "previous bucket", NULL,
						   NULL,          "first bucket",    "last bucket" };
static const struct keys_moves hunts_moves = { "next row",
					       "previous row",
					       "column cursor left (a hunt's rows)",
					       "column cursor right (a hunt's rows)",
					       "first row",
					       "last row" };
static const struct keys_moves columns_moves = { "next column", "previous column", NULL,
						 NULL,          "first column",    "last column" };
static const struct keys_moves sigma_moves = { "next rule", "previous rule", NULL,
					       NULL,        "first rule",    "last rule" };
static const struct keys_moves messages_moves = { "next message",       "previous message",
						  "column cursor left", "column cursor right",
						  "first message",      "last message" };
static const struct keys_moves views_moves = {
	"next saved view", "previous saved view", NULL, NULL, "first", "last"
};

/* The help of a movement in a map; NULL when the map does not bind it. */
static const char *move_help(const struct keys_moves *m, enum keys_action a)
{
	switch (a) {
	case ACT_DOWN: return m->down;
	case ACT_UP: return m->up;
	case ACT_LEFT: return m->left;
	case ACT_RIGHT: return m->right;
	case ACT_PAGE_DOWN: return "page down";
	case ACT_PAGE_UP: return "page up";
	case ACT_HALF_DOWN: return "half a page down";
	case ACT_HALF_UP: return "half a page up";
	case ACT_TOP: return m->top;
	case ACT_BOTTOM: return m->bottom;
	default: return NULL;
	}
}

static const struct keys_binding global_keys[] = {
	{ '?', ACT_HELP, "help: this screen" },
	{ F(KEY_F(1)), ACT_HELP, NULL },
	{ 'q', ACT_BACK,
	  "back to the previous view (after a drill-in: to the view it came from); quit from the timeline" },
	{ KEYS_ESC, ACT_BACK, NULL },
	{ 'Q', ACT_QUIT, "quit at once" },
	{ 'f', ACT_FILTER, "filter prompt (up/down: history)" },
	{ F(KEY_BACKSPACE), ACT_UNDO, "undo the last filter step" },
	{ 127, ACT_UNDO, NULL },
	{ CTRL('H'), ACT_UNDO, NULL },
	{ ':', ACT_COMMAND, "command line: :goto TIME, :filter F, :export ..., :theme NAME, :hunt NAME" },
	{ 'i', ACT_HISTOGRAM, "histogram of the current filter over time" },
	{ 'H', ACT_HUNTS, "hunts: the questions asked first, with their hits" },
	{ 'E', ACT_MESSAGES,
	  "messages exposed by the filter's events: folder, access, app, IP, first and last" },
	{ CTRL('L'), ACT_REDRAW, "redraw the screen" },
	{ CTRL('Y'), ACT_COPY_FILTER, "copy the current filter to the clipboard (OSC 52)" },
};

static const struct keys_binding timeline_keys[] = {
	{ '\n', ACT_ENTER, "detail: the raw record of the event" },
	{ '\r', ACT_ENTER, NULL },
	{ F(KEY_ENTER), ACT_ENTER, NULL },
	{ '=', ACT_KEEP, "keep only events with the value under the cursor" },
	{ '-', ACT_EXCLUDE, "exclude events with the value under the cursor" },
	{ 'F', ACT_STACK, "stack: frequency table of the column under the cursor" },
	{ '/', ACT_SEARCH, "search forward: words or /regex/ in the raw record, or filter terms (ip=...)" },
	{ 'n', ACT_SEARCH_NEXT, "next match" },
	{ 'N', ACT_SEARCH_PREV, "previous match" },
	{ 'm', ACT_BOOKMARK, "bookmark the event (again: remove)" },
	{ 'u', ACT_NEXT_MARK, "next bookmark" },
	{ 'U', ACT_PREV_MARK, "previous bookmark" },
	{ 't', ACT_TAG, "tag the event" },
	{ 'c', ACT_NOTE, "edit the event's note" },
	{ 'M', ACT_MARK_ALL, "bookmark every event of the filter (asks first)" },
	{ 'v', ACT_VALUE, "the cell's whole value (a cell ending in the cut mark is cut)" },
	{ 'y', ACT_COPY, "copy the cell's exact value to the clipboard (OSC 52)" },
	{ 'Y', ACT_COPY_ROW, "copy the event as JSON to the clipboard" },
	{ 'C', ACT_COLUMNS, "columns: show, hide, order and widen the columns of this kind of log" },
};

static const struct keys_binding detail_keys[] = {
	{ ']', ACT_NEXT_EVENT, "next event of the timeline" },
	{ 'J', ACT_NEXT_EVENT, NULL },
	{ '[', ACT_PREV_EVENT, "previous event of the timeline" },
	{ 'K', ACT_PREV_EVENT, NULL },
	{ '/', ACT_SEARCH, "search in the record" },
	{ 'n', ACT_SEARCH_NEXT, "next match" },
	{ 'N', ACT_SEARCH_PREV, "previous match" },
	{ 'm', ACT_BOOKMARK, "bookmark the event (again: remove)" },
	{ 't', ACT_TAG, "tag the event" },
	{ 'c', ACT_NOTE, "edit the event's note" },
	{ 'S', ACT_SESSION, "the whole session: every event sharing its session or token id" },
	{ 'v', ACT_VALUE, "the value cut on screen (\"more bytes: v\"), else the raw record, whole" },
	{ '\n', ACT_BACK, "back to the timeline" },
	{ '\r', ACT_BACK, NULL },
};

static const struct keys_binding stack_keys[] = {
	{ '\n', ACT_ENTER, "drill in: filter to the value" },
	{ '\r', ACT_ENTER, NULL },
	{ F(KEY_ENTER), ACT_ENTER, NULL },
	{ '=', ACT_KEEP, "filter to the value" },
	{ '-', ACT_EXCLUDE, "exclude the value" },
	{ 's', ACT_SORT, "sort direction: rare first / common first (ascending / descending)" },
	{ 'o', ACT_SORT_COLUMN, "sort column: events, distinct, first seen, last seen, value" },
	{ '+', ACT_ADD_FIELD, "stack on one more field (app x mailbox, user x ip) or json.PATH" },
	{ 'v', ACT_VALUE, "the cell's whole value (h, l: which field's)" },
};

static const struct keys_binding histogram_keys[] = {
	{ '\n', ACT_ENTER, "narrow the filter to the bucket's time" },
	{ '\r', ACT_ENTER, NULL },
	{ F(KEY_ENTER), ACT_ENTER, NULL },
	{ 'i', ACT_BACK, "back" },
	{ '+', ACT_ZOOM_IN, "zoom in: the cursor's bucket in finer buckets" },
	{ '-', ACT_ZOOM_OUT, "zoom out: coarser buckets around the cursor" },
};

static const struct keys_binding help_keys[] = {
	{ '?', ACT_BACK, "close the help" },
};

static const struct keys_binding hunts_keys[] = {
	{ '\n', ACT_ENTER, "open the hunt; on a row, its events in the timeline" },
	{ '\r', ACT_ENTER, NULL },
	{ F(KEY_ENTER), ACT_ENTER, NULL },
	{ 'm', ACT_BOOKMARK, "bookmark a hit's events, tagged with the hunt's name" },
	{ 'v', ACT_VALUE, "the cell's whole value" },
	{ 'y', ACT_COPY, "copy the cell's exact value to the clipboard (OSC 52)" },
	{ 'Y', ACT_COPY_ROW, "copy the row as JSON to the clipboard" },
};

static const struct keys_binding value_keys[] = {
	{ 'v', ACT_BACK, "close" },
	{ '\n', ACT_BACK, NULL },
	{ '\r', ACT_BACK, NULL },
	{ 'y', ACT_COPY, "copy the value to the clipboard (OSC 52)" },
};

static const struct keys_binding columns_keys[] = {
	{ '\n', ACT_TOGGLE, "show or hide the column" },
	{ 'x', ACT_TOGGLE, NULL },
	{ '\r', ACT_TOGGLE, NULL },
	{ 'K', ACT_MOVE_UP, "move the column left (up the list)" },
	{ 'J', ACT_MOVE_DOWN, "move the column right (down the list)" },
	{ '+', ACT_WIDER, "wider" },
	{ '>', ACT_WIDER, NULL },
	{ '-', ACT_NARROWER, "narrower" },
	{ '<', ACT_NARROWER, NULL },
	{ '0', ACT_AUTO_WIDTH, "width from the values again" },
	{ 'r', ACT_RESET, "this kind's columns as they come" },
	{ 'C', ACT_BACK, "back to the timeline" },
};

static const struct keys_binding sigma_keys[] = {
	{ '\n', ACT_ENTER, "the rule's events in the timeline (or why it did not run)" },
	{ '\r', ACT_ENTER, NULL },
	{ F(KEY_ENTER), ACT_ENTER, NULL },
	{ 'm', ACT_BOOKMARK, "bookmark the rule's hits, tagged with its id" },
	{ 'v', ACT_VALUE, "the rule's whole title, with its level, status and file" },
};

static const struct keys_binding messages_keys[] = {
	{ '\n', ACT_ENTER, "the events that exposed the message, in the timeline (q comes back)" },
	{ '\r', ACT_ENTER, NULL },
	{ F(KEY_ENTER), ACT_ENTER, NULL },
	{ '=', ACT_KEEP, "keep only events with the value under the cursor" },
	{ '-', ACT_EXCLUDE, "exclude events with the value under the cursor" },
	{ 'F', ACT_STACK, "stack: frequency table of the column under the cursor" },
	{ 'v', ACT_VALUE, "the cell's whole value" },
};

static const struct keys_binding views_keys[] = {
	{ '\n', ACT_ENTER, "open the saved view: its filter, columns and sort" },
	{ '\r', ACT_ENTER, NULL },
	{ F(KEY_ENTER), ACT_ENTER, NULL },
	{ 'd', ACT_EXCLUDE, "delete the saved view (asks first)" },
};

#define MAP(title, t, m)                            \
	{                                           \
		title, t, sizeof t / sizeof t[0], m \
	}
static const struct keys_map maps[KEYMAP_COUNT] = {
	[KEYMAP_GLOBAL] = MAP("Everywhere", global_keys, NULL),
	[KEYMAP_TIMELINE] = MAP("Timeline", timeline_keys, &timeline_moves),
	[KEYMAP_DETAIL] = MAP("Detail (raw record)", detail_keys, &pager_moves),
	[KEYMAP_STACK] = MAP("Stack (frequency table)", stack_keys, &stack_moves),
	[KEYMAP_HISTOGRAM] = MAP("Histogram", histogram_keys, &histogram_moves),
	[KEYMAP_HELP] = MAP("Help", help_keys, &pager_moves),
	[KEYMAP_HUNTS] = MAP("Hunts", hunts_keys, &hunts_moves),
	[KEYMAP_VALUE] = MAP("A cell's value (v)", value_keys, &pager_moves),
	[KEYMAP_COLUMNS] = MAP("Columns (C)", columns_keys, &columns_moves),
	[KEYMAP_SIGMA] = MAP("Sigma rules (H, then the Sigma group)", sigma_keys, &sigma_moves),
	[KEYMAP_MESSAGES] = MAP("Messages exposed", messages_keys, &messages_moves),
	[KEYMAP_VIEWS] = MAP("Saved views", views_keys, &views_moves),
};

static const char *const action_names[ACT_COUNT] = {
#define X(a) #a,
	KEYS_ACTIONS(X)
#undef X
};

const struct keys_map *keys_map(enum keys_map_id id)
{
	return id < KEYMAP_COUNT ? &maps[id] : NULL;
}

const char *keys_action_name(enum keys_action a)
{
	return a < ACT_COUNT ? action_names[a] : "?";
}

static enum keys_action find(const struct keys_map *m, int key)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->b[i].key == key)
			return m->b[i].action;
	return ACT_NONE;
}

enum keys_action keys_lookup(enum keys_map_id id, int key)
{
	if (id >= KEYMAP_COUNT)
		return ACT_NONE;
	enum keys_action a = find(&maps[id], key);
	for (size_t i = 0; a == ACT_NONE && maps[id].moves && i < NMOVES; i++)
		if (move_keys[i].key == key && move_help(maps[id].moves, move_keys[i].action))
			a = move_keys[i].action;
	return a != ACT_NONE ? a : find(&maps[KEYMAP_GLOBAL], key);
}

size_t keys_bindings(enum keys_map_id id, struct keys_binding *out, size_t max)
{
	const struct keys_map *m = keys_map(id);
	size_t n = 0;
	/* the movements first, worded for the map, then the map's own */
	for (size_t i = 0; m && m->moves && i < NMOVES; i++) {
		const char *help = move_help(m->moves, move_keys[i].action);
		if (!help)
			continue;
		bool first = true;
		for (size_t j = 0; j < i; j++)
			first = first && move_keys[j].action != move_keys[i].action;
		if (n < max)
			out[n] = (struct keys_binding){ move_keys[i].key, move_keys[i].action,
							first ? help : NULL };
		n++;
	}
	for (size_t i = 0; m && i < m->n; i++) {
		if (n < max)
			out[n] = m->b[i];
		n++;
	}
	return n;
}

int keys_code(int kind, unsigned int c)
{
	return kind == KEY_CODE_YES ? KEYS_F((int)c) : (int)c;
}

static const struct {
	int key;
	const char *name;
} named[] = {
	{ F(KEY_DOWN), "Down" },   { F(KEY_UP), "Up" },
	{ F(KEY_LEFT), "Left" },   { F(KEY_RIGHT), "Right" },
	{ F(KEY_NPAGE), "PgDn" },  { F(KEY_PPAGE), "PgUp" },
	{ F(KEY_HOME), "Home" },   { F(KEY_END), "End" },
	{ F(KEY_ENTER), "Enter" }, { F(KEY_BACKSPACE), "Backspace" },
	{ F(KEY_F(1)), "F1" },     { F(KEY_DC), "Delete" },
	{ '\n', "Enter" },         { '\r', "Return" },
	{ ' ', "Space" },          { 127, "Backspace" },
	{ KEYS_ESC, "Esc" },       { '\t', "Tab" },
};

const char *keys_name(int key, char *buf, size_t n)
{
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (named[i].key == key) {
			snprintf(buf, n, "%s", named[i].name);
			return buf;
		}
	if (key >= KEYS_FN)
		snprintf(buf, n, "key %d", key - KEYS_FN);
	else if (key < 32)
		snprintf(buf, n, "^%c", key + '@');
	else if (key < 127)
		snprintf(buf, n, "%c", key);
	else
		snprintf(buf, n, "U+%04X", (unsigned)key);
	return buf;
}

char **keys_help_lines(enum keys_map_id id, size_t *nout)
{
	size_t nb = keys_bindings(id, NULL, 0);
	struct keys_binding *b = xcalloc(nb + 1, sizeof *b);
	keys_bindings(id, b, nb);
	const struct keys_map all = { NULL, b, nb, NULL }, *m = &all;
	char **lines = NULL;
	size_t n = 0, cap = 0;
	bool *done = xcalloc(m->n + 1, sizeof *done);
	/* one line per action, every key bound to it in the map named */
	for (size_t i = 0; i < m->n; i++) {
		if (done[i])
			continue;
		char names[96] = "";
		const char *help = NULL;
		size_t shown = 0;
		for (size_t j = i; j < m->n; j++) {
			if (m->b[j].action != m->b[i].action || done[j])
				continue;
			done[j] = true;
			if (!help)
				help = m->b[j].help;
			char nm[24];
			keys_name(m->b[j].key, nm, sizeof nm);
			/* "Enter, Return" say the same thing twice */
			if (strstr(names, nm) || (m->b[j].key == '\r' && strstr(names, "Enter")))
				continue;
			size_t len = strlen(names);
			if (shown < 3 && len + strlen(nm) + 3 < sizeof names) {
				snprintf(names + len, sizeof names - len, "%s%s", shown ? " " : "", nm);
				shown++;
			}
		}
		lines = xgrow(lines, &cap, n + 1, sizeof *lines);
		lines[n++] = xasprintf("  %-18s %s", names, help ? help : "");
	}
	free(done);
	free(b);
	*nout = n;
	return lines;
}
