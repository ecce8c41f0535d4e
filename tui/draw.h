/*
 * draw.h: putting text into a curses window safely.
 *
 * Every string that came from a log goes through draw_text or draw_cell:
 * sanitised (controls, escape sequences and bidi overrides become visible
 * escapes), measured in columns, and cut without splitting a character.
 * draw_dump reads a window back as text, for the screen tests and the
 * benchmarks.
 */
#ifndef AUDITSCOPE_DRAW_H
#define AUDITSCOPE_DRAW_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Draw hostile text s at (y, x) in at most maxcols columns with attributes
 * a; returns the columns used. NULL draws nothing. Text that does not fit
 * is cut and ends in the cut mark (draw_cut_mark, role THEME_CUT), so a
 * cut value never passes for a whole one; nothing is drawn past the
 * window's right edge, whatever maxcols says. */
int draw_text(WINDOW *w, int y, int x, const char *s, int maxcols, attr_t a);

/* The mark a cut value ends in: an ellipsis where the locale is UTF-8,
 * '~' elsewhere. */
const char *draw_cut_mark(void);

/* The cut mark at (y, x), in the cell's attributes a and the THEME_CUT
 * role's. */
void draw_mark(WINDOW *w, int y, int x, attr_t a);

/* Does s (sanitised) fit in cols columns? NULL fits. */
bool draw_fits(const char *s, int cols);

/* Same, for a span of n bytes. */
int draw_textn(WINDOW *w, int y, int x, const char *s, size_t n, int maxcols, attr_t a);

/* Exactly cols columns: the text, then spaces (right: spaces first). */
void draw_cell(WINDOW *w, int y, int x, const char *s, int cols, attr_t a, bool right);

/* Like draw_cell (left-aligned), drawing the first occurrence of needle
 * (ASCII case ignored) with attributes hl; needle NULL or "": plain. */
void draw_cell_match(WINDOW *w, int y, int x, const char *s, int cols, attr_t a, const char *needle, attr_t hl);

/* Where needle first occurs in s[0..n), ignoring ASCII case, or NULL. */
const char *draw_find(const char *s, size_t n, const char *needle);

/* cols spaces with attributes a. */
void draw_fill(WINDOW *w, int y, int x, int cols, attr_t a);

/* A bar of len columns: full blocks where the locale is UTF-8, '#'
 * elsewhere, so that it shows without colour and in a text capture. */
void draw_bar(WINDOW *w, int y, int x, int len, attr_t a);

/* Display columns of hostile text once sanitised. */
int draw_width(const char *s);

/* 1234567 -> "1,234,567" into buf. */
const char *draw_count(int64_t n, char *buf, size_t size);

/* "2023-06-18 02:13:46" (UTC) into buf (at least 20 bytes). */
const char *draw_time(int64_t ms, char *buf, size_t size);

/* The window's text, one line per row with trailing blanks removed, as
 * UTF-8 (caller frees). */
char *draw_dump(WINDOW *w);

#endif
