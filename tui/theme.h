/*
 * theme.h: colour roles, and themes that map them to colours.
 *
 * Drawing code asks for a role (THEME_SELECTED, THEME_BOOKMARK, ...), never
 * for a colour. A theme is a data file in themes/ (NAME.theme) that maps
 * each role to a foreground, a background and attributes; the roles and
 * their names come from one X-macro, as ncdu's colour table does. When
 * NO_COLOR is set or the terminal has no colours, the attributes of the
 * built-in monochrome mapping are used instead, so every role stays
 * distinguishable (reverse, bold, underline).
 */
#ifndef AUDITSCOPE_THEME_H
#define AUDITSCOPE_THEME_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

/* role, its name in theme files, what it is for */
#define THEME_ROLES(X)                                                \
	X(NORMAL, "normal", "ordinary text")                          \
	X(TITLE, "title", "the top line: case and filter breadcrumb") \
	X(CRUMB, "breadcrumb", "one step of the filter stack")        \
	X(STATUS, "status", "the status line")                        \
	X(HEADER, "header", "column headings")                        \
	X(SELECTED, "selected", "the row under the cursor")           \
	X(CELL, "cell", "the cell under the column cursor")           \
	X(BOOKMARK, "bookmark", "a bookmarked event's marker")        \
	X(SUSPICIOUS, "suspicious", "an event a hunt flags")          \
	X(MATCH, "match", "a search match")                           \
	X(MESSAGE, "message", "a message on the last line")           \
	X(ERROR, "error", "an error message")                         \
	X(PROMPT, "prompt", "the prompt label")                       \
	X(LABEL, "label", "a field name in the detail view")          \
	X(KEY, "json-key", "a JSON object key")                       \
	X(STRING, "json-string", "a JSON string")                     \
	X(NUMBER, "json-number", "a JSON number")                     \
	X(LITERAL, "json-literal", "true, false, null")               \
	X(BAR, "bar", "histogram and stack bars")                     \
	X(DIM, "dim", "secondary text")                               \
	X(TAG, "tag", "a tag")                                        \
	X(NOTE, "note", "a note")                                     \
	X(CUT, "cut", "the mark ending a value cut to fit its column")

enum theme_role {
#define X(id, name, what) THEME_##id,
	THEME_ROLES(X)
#undef X
		THEME_NROLES
};

struct theme_style {
	short fg, bg; /* -1: the terminal's default; 0-255 otherwise */
	attr_t attrs; /* A_BOLD, A_REVERSE, ... */
};

struct theme {
	char *name;
	struct theme_style role[THEME_NROLES];
};

/* The name of a role in theme files ("json-key"). */
const char *theme_role_name(enum theme_role r);

/*
 * Parse theme text: one role a line, "ROLE FG BG [ATTR...]", colours by
 * name (default, black, red, ..., bright-white) or number 0-255, '#'
 * comments. A role the text leaves out keeps the monochrome attributes.
 * Returns 0, or -1 with *cause naming the line.
 */
int theme_parse(const char *text, const char *name, struct theme *out, char **cause);

/* Find NAME.theme (or a path) on the theme path and parse it. */
int theme_load(const char *name, struct theme *out, char **cause);
void theme_clear(struct theme *t);

/* The names of the themes found on the theme path, sorted; caller frees
 * each and the array. */
char **theme_list(size_t *n);

/*
 * Make t the current theme: with curses running and colours usable, set up
 * one colour pair a role; otherwise attributes only. Returns false when
 * colours are off (NO_COLOR or a monochrome terminal).
 */
bool theme_apply(const struct theme *t);

/* The attributes (colour pair included) of a role in the current theme. */
attr_t theme_attr(enum theme_role r);

/* The current theme's name ("monochrome" before any theme_apply). */
const char *theme_current(void);

/* Are colours in use? */
bool theme_colour(void);

#endif
