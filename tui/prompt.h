/*
 * prompt.h: a one-line editor with history, for the filter, search,
 * command, tag and note prompts.
 *
 * The prompt does not read the keyboard: the main loop hands it one key
 * at a time (key codes of keys.h) and it says whether editing goes on,
 * was accepted or cancelled, so the loop never blocks inside it. Emacs
 * keys as in readline (^A ^E ^U ^K ^W), Up/Down walk the history. Control
 * and bidi characters are refused on input, so what is drawn is what was
 * typed.
 */
#ifndef AUDITSCOPE_PROMPT_H
#define AUDITSCOPE_PROMPT_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

struct prompt_history;

struct prompt_history *prompt_history_new(size_t max);
void prompt_history_free(struct prompt_history *h);
/* Add s as the newest entry (an equal older entry moves to the front;
 * empty strings are not kept). */
void prompt_history_add(struct prompt_history *h, const char *s);
size_t prompt_history_count(const struct prompt_history *h);
/* Entry i, 0 the oldest (borrowed). */
const char *prompt_history_get(const struct prompt_history *h, size_t i);

struct prompt;

enum { PROMPT_EDITING, PROMPT_ACCEPT, PROMPT_CANCEL };

/* A prompt "label" holding text (NULL: empty), cursor at its end; h may
 * be NULL (no history) and stays the caller's. */
struct prompt *prompt_new(const char *label, const char *text, struct prompt_history *h);
void prompt_free(struct prompt *p);

/* Feed one key; returns PROMPT_EDITING, PROMPT_ACCEPT or PROMPT_CANCEL.
 * Accepting adds the text to the history. */
int prompt_key(struct prompt *p, int key);

const char *prompt_text(const struct prompt *p);
const char *prompt_label(const struct prompt *p);

/* Show that the text is wrong at byte column (1-based; 0: unknown):
 * the cursor goes there and the prompt stays open. */
void prompt_set_error(struct prompt *p, int column);

/* Draw on row y of w, whole width; leaves the window's cursor at the
 * edit point. */
void prompt_draw(struct prompt *p, WINDOW *w, int y);

/* The column of the edit point after the last prompt_draw. */
int prompt_cursor_x(const struct prompt *p);

#endif
