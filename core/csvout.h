/*
 * csvout.h: the one CSV writer: RFC 4180 cells that a spreadsheet will
 * not run. Every command's `--format csv` and `export --format csv` write
 * through it, so the rule below holds for every CSV auditscope writes.
 *
 * The formula rule. A spreadsheet runs a cell as a formula when its first
 * character is = + - or @ (Excel also after leading spaces, and after the
 * full-width forms an IME types: U+FF1D ＝, U+FF0B ＋, U+FF0D －, U+FF20 ＠,
 * which it folds to ASCII); a leading tab or carriage return is how known
 * bypasses hide the sign. So a cell gets one leading apostrophe when:
 *   - it starts with = + - @ tab CR or an apostrophe, or
 *   - it starts with blanks (space, tab, CR, LF, U+3000 ideographic
 *     space) followed by = + - @ or one of the four full-width forms, or
 *   - it starts with one of the four full-width forms.
 * The apostrophe itself is escaped the same way, so that a reader can
 * always drop one leading apostrophe and get the value back exactly.
 */
#ifndef AUDITSCOPE_CSVOUT_H
#define AUDITSCOPE_CSVOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Would a spreadsheet take s as a formula (the rule above)? */
bool csvout_formula(const char *s);

/* s as it is written before quoting: with the apostrophe when
 * csvout_formula(s), else a copy (caller frees). */
char *csvout_neutralise(const char *s);

/* One cell, without its separator: nothing for NULL or "", quoted when it
 * holds , " CR or LF. terminal: control characters and escapes made
 * visible too (stdout is a terminal). */
void csvout_cell(FILE *f, const char *v, bool terminal);

/* A row of n cells (NULL for empty) ended by CRLF. */
void csvout_row(FILE *f, const char *const *vals, size_t n, bool terminal);

#endif
