/*
 * state.h: what the interface remembers in the case between sessions
 * (the state table: filter stack, position, column, theme, prompt
 * histories), so that reopening a case puts the analyst back where they
 * were, on any machine the case file goes to.
 */
#ifndef AUDITSCOPE_STATE_H
#define AUDITSCOPE_STATE_H

#include "store.h"

/* The value of key (caller frees), or NULL when unset. */
char *state_get(struct store *st, const char *key);
/* Set key (value NULL: remove it), committed at once. 0 or -1 with *cause. */
int state_set(struct store *st, const char *key, const char *value, char **cause);

#endif
