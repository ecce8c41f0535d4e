/*
 * sanitize.h: text from logs made safe to show.
 *
 * Every string in an audit log can be written by an attacker (a rule name,
 * a user agent). Before it reaches a terminal, C0 and C1 controls, escape
 * sequences, bidi overrides and invalid UTF-8 become visible escapes
 * (\e, \n, \x07, \u202e), in the spirit of tmux's utf8_stravis.
 */
#ifndef AUDITSCOPE_SANITIZE_H
#define AUDITSCOPE_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

/* On a terminal whose locale is not UTF-8 (LANG=C) every character past
 * ASCII is shown as an escape too (\u65e5), by sanitize(),
 * json_escape() and json_text_safe() (JSON's \u escapes keep the
 * meaning): such a terminal draws each byte of a UTF-8 sequence on its
 * own, so the layout's columns no longer hold, and some of those bytes
 * are C1 controls to it. The interface sets it when its locale is not
 * UTF-8; a command when its output is a terminal in such a locale, never
 * while it writes a file. */
void sanitize_ascii(bool on);
bool sanitize_ascii_only(void);
/* The same for messages on stderr (sanitize_err), a terminal of its own
 * when stdout is piped or written to a file. */
void sanitize_ascii_stderr(bool on);
/* Is the locale's character set UTF-8? (after setlocale) */
bool sanitize_locale_utf8(void);

/* A new, safe copy of s[0..n) (caller frees). */
char *sanitize(const char *s, size_t n);
/* The same for a message to stderr (sanitize_ascii_stderr). */
char *sanitize_err(const char *s, size_t n);

/* s[0..n) as a C string that keeps what follows a NUL: each NUL byte
 * becomes the four characters \x00, as sanitize() shows it, every other
 * byte stays (whoever shows it sanitises it). For text kept with its
 * length (a JSON string's \u0000, a case's value) that a reader turns
 * into a C string, which would end at the first NUL and hide the rest.
 * Caller frees. */
char *sanitize_nul(const char *s, size_t n);
/* The bytes a value shown by sanitize_nul holds: each \x00 in s a NUL
 * again, its length in *n. NULL when s holds no \x00 (the value is s
 * itself). A filter's value typed from a cell is looked up both ways:
 * as written and so. Caller frees. */
char *sanitize_nul_undo(const char *s, size_t *n);

/* Does s[0..n) need sanitize() at all? (fast path for clean text) */
bool sanitize_needed(const char *s, size_t n);

/* JSON string body for s[0..n): quotes, backslashes, controls, C1 and
 * bidi characters escaped as \uXXXX; invalid UTF-8 as U+FFFD. Caller
 * frees; no surrounding quotes. */
char *json_escape(const char *s, size_t n);

/* Valid JSON text (a raw record) made safe to print: C1 controls and bidi
 * characters, which valid JSON may hold literally inside strings, become
 * \uXXXX escapes, and invalid UTF-8 becomes \ufffd, so that the result
 * is valid UTF-8 JSON with the same meaning. Caller frees. */
char *json_text_safe(const char *s, size_t n);

/* JSON on one line, for JSON Lines: PowerShell's -Formatted exports keep
 * records indented over many lines. In valid JSON a line break can only
 * be white space between tokens (inside a string it must be escaped), so
 * dropping every CR and LF keeps the meaning. In place; returns s. */
char *json_one_line(char *s);

/* Display columns of UTF-8 text (wcwidth; a character it does not know
 * counts as one column). Call setlocale(LC_CTYPE, "") first. */
size_t text_width(const char *s, size_t n);

/* Bytes of s[0..n) that fit in maxcols columns, never splitting a
 * character; *cols gets the columns used. */
size_t text_fit(const char *s, size_t n, size_t maxcols, size_t *cols);

/* Bytes of s[0..n) whose sanitize()d form fits in maxcols columns, never
 * splitting a character or an escape; *cols gets the columns used. A
 * huge value is laid out a line at a time with it, never sanitised
 * whole. */
size_t sanitize_fit(const char *s, size_t n, size_t maxcols, size_t *cols);

/* At most max bytes of s[0..n), never ending inside a UTF-8 sequence. */
size_t sanitize_cut(const char *s, size_t n, size_t max);

#endif
