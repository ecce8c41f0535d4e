/*
 * state.c: the interface's key/value memory in the case (state.h), kept
 * by the store (store_state_get, store_state_set).
 */
#include "state.h"

char *state_get(struct store *st, const char *key)
{
	return store_state_get(st, key);
}

int state_set(struct store *st, const char *key, const char *value, char **cause)
{
	return store_state_set(st, key, value, cause);
}
