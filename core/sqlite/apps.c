/*
 * apps.c: the SQLite store's apps table, the tenant's own names for app
 * ids (knownapps.h reads and fills it through storage.h).
 */
#include <stdlib.h>

#include "sqlite_store.h"
#include "storage.h"
#include "xalloc.h"

int sqlite_apps_get(struct store *st, const char *app_id, char **name, char **cause)
{
	*name = NULL;
	sqlite3_stmt *q = sqlite_prep(st, "SELECT name FROM apps WHERE app_id = ?1", cause);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, app_id, -1, SQLITE_TRANSIENT);
	int k = sqlite3_step(q);
	if (k == SQLITE_ROW && sqlite3_column_text(q, 0))
		*name = xstrdup((const char *)sqlite3_column_text(q, 0));
	int rc = k == SQLITE_ROW || k == SQLITE_DONE ? 0 : sqlite_fail(st, cause);
	sqlite3_finalize(q);
	return rc;
}

int sqlite_apps_each(struct store *st, bool by_name, store_app_fn fn, void *ctx, char **cause)
{
	/* (kept prepared with the connection: app=X looks the tenant's names
	 * up each time a filter compiles, and preparing this cost ~95k
	 * instructions of user= app= ip='s ~4 M a page) */
	sqlite3_stmt *q;
	if (sqlite_stmt_take(st,
			     by_name ? "SELECT app_id, name, origin FROM apps ORDER BY name COLLATE NOCASE, app_id"
				     : "SELECT app_id, name, origin FROM apps ORDER BY app_id",
			     &q) != SQLITE_OK)
		return sqlite_fail(st, cause);
	int k;
	while ((k = sqlite3_step(q)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(q, 0);
		const char *name = (const char *)sqlite3_column_text(q, 1);
		const char *origin = (const char *)sqlite3_column_text(q, 2);
		struct store_app a = { id ? id : "", name ? name : "", origin ? origin : "" };
		if (fn(&a, ctx) != 0)
			break;
	}
	int rc = k == SQLITE_ROW || k == SQLITE_DONE ? 0 : sqlite_fail(st, cause);
	sqlite_stmt_give(st, q);
	return rc;
}

/* One transaction: a list of service principals goes in whole or not. */
int sqlite_apps_put(struct store *st, const struct store_app *apps, size_t n, char **cause)
{
	if (!n)
		return 0;
	if (sqlite_exec(st, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	sqlite3_stmt *q =
		sqlite_prep(st,
			    "INSERT INTO apps(app_id, name, origin) VALUES(?1, ?2, ?3)"
			    " ON CONFLICT(app_id) DO UPDATE SET name = excluded.name, origin = excluded.origin",
			    cause);
	int rc = q ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		sqlite3_bind_text(q, 1, apps[i].id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 2, apps[i].name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 3, apps[i].origin ? apps[i].origin : "", -1, SQLITE_TRANSIENT);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = sqlite_fail(st, cause);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	if (rc == 0 && sqlite_exec(st, "COMMIT", cause) < 0)
		rc = -1;
	if (rc < 0)
		sqlite_exec(st, "ROLLBACK", NULL);
	return rc;
}
