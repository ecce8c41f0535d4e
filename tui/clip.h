/*
 * clip.h: copying to the terminal's clipboard with OSC 52.
 *
 * The sequence ESC ] 52 ; c ; BASE64 BEL asks the terminal to put the
 * text on its clipboard; it travels through ssh, and tmux takes it into
 * a paste buffer (and on to the outer terminal) with `set-clipboard on`.
 * Nothing else is needed on the machine the interface runs on. The text
 * copied is the value itself, never the sanitised form shown on screen:
 * an indicator pasted into a query must be the exact one.
 */
#ifndef AUDITSCOPE_CLIP_H
#define AUDITSCOPE_CLIP_H

#include <stddef.h>
#include <stdio.h>

/* Where the sequence is written (the terminal; NULL: nowhere, as in the
 * screen tests, which read clip_last). */
void clip_set_output(FILE *f);

/* The OSC 52 sequence that copies s[0..n) (caller frees). */
char *clip_osc52(const char *s, size_t n);

/* Copy s to the clipboard; 0, or -1 with *cause (nothing to copy, too
 * long for a terminal to take, a write error). */
int clip_copy(const char *s, char **cause);

/* The last text copied ("" before any), for tests. */
const char *clip_last(void);

/* The most a copy carries: terminals and tmux drop longer sequences. */
#define CLIP_MAX (256 * 1024)

#endif
