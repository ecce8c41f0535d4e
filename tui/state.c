/*
 * state.c: the interface's key/value memory in the case (state.h).
 */
#include "state.h"

#include <stdlib.h>

#include "xalloc.h"

char *state_get(struct store *st, const char *key)
{
	sqlite3_stmt *q;
	char *v = NULL;
	if (sqlite3_prepare_v2(store_db(st), "SELECT value FROM state WHERE key = ?1", -1, &q, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		v = xstrdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return v;
}

int state_set(struct store *st, const char *key, const char *value, char **cause)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q;
	const char *sql = value ? "INSERT OR REPLACE INTO state(key, value) VALUES (?1, ?2)"
				: "DELETE FROM state WHERE key = ?1";
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(db));
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(db));
	return 0;
}
