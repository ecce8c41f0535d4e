/*
 * knownapps.h: names for app ids.
 *
 * An audit record names an application only by its GUID (AppId,
 * ClientAppId, appId). Two sources give names:
 *
 *  - a built-in table of well-known Microsoft first-party app ids, written
 *    by the project from public facts (knownapps.c cites them). Being in
 *    it means "Microsoft publishes this app", which the rare-apps hunt
 *    uses: an app that reads mail and is not in it deserves a look.
 *  - the tenant's own service principals (appId, displayName), which the
 *    analyst loads into the case (`auditscope apps CASE FILE.csv`, the
 *    apps table). They take precedence for naming, since the tenant's
 *    directory knows its apps better than any list. They say nothing
 *    about trust: a malicious app the victim consented to is in the
 *    tenant's list too.
 *
 * App ids are compared without regard to case; names too.
 */
#ifndef AUDITSCOPE_KNOWNAPPS_H
#define AUDITSCOPE_KNOWNAPPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct knownapp {
	const char *id;     /* lower-case GUID */
	const char *name;   /* as Microsoft displays it */
	const char *source; /* which public source lists it (short text) */
};

/* --- The built-in table (no case needed; all results static) --- */

/* app_id without the braces and white space around it that some
 * exports write ("{9199BF20-...}"): app_id itself when it has none,
 * else a copy in buf (n bytes; KNOWNAPPS_BARE_MAX holds any GUID), or
 * app_id when the copy does not fit. The lookups below all take ids so
 * written, in any case. */
#define KNOWNAPPS_BARE_MAX 64
const char *knownapps_bare(const char *app_id, char *buf, size_t n);

/* Name of a well-known Microsoft first-party app id, or NULL. */
const char *knownapps_name(const char *app_id);
/* Is app_id in the built-in table of Microsoft first-party apps? A
 * text that is not an id is taken as a display name (some collectors
 * write "Microsoft Outlook" where the id belongs): one of the table's
 * names, in any case, is first-party. (Anyone can register an app under
 * such a name: where a log gives ids, the ids decide.) */
bool knownapps_first_party(const char *app_id);
/* The first id whose built-in name equals name (case-insensitive), or
 * NULL. Some names have several ids ("Microsoft Edge"): see
 * knownapps_ids. */
const char *knownapps_id(const char *name);
/* Every id whose built-in name equals name: up to max go into ids;
 * returns how many there are. */
size_t knownapps_ids(const char *name, const char **ids, size_t max);
/* The table, for listings and tests: entries sorted by id. */
size_t knownapps_count(void);
const struct knownapp *knownapps_at(size_t i);

/* --- With a case: the tenant's apps table first, then the table --- */

/* Name of app_id (caller frees), or NULL when neither knows it. *origin
 * (may be NULL) gets "tenant" or "microsoft" (static). */
char *knownapps_case_name(struct store *st, const char *app_id, const char **origin);

/* Every id named name (case-insensitive) by the tenant's table or the
 * built-in one, without repeats: *ids is a new array of new strings
 * (knownapps_ids_free). Returns 0 (*n may be 0), or -1 with *cause. */
int knownapps_case_ids(struct store *st, const char *name, char ***ids, size_t *n, char **cause);
void knownapps_ids_free(char **ids, size_t n);

/*
 * A snapshot of both tables for naming many ids (a timeline screen, a
 * hunt's rows): one query at knownapps_new, then lookups in memory.
 * Take a new one after loading apps.
 */
struct knownapps;
struct knownapps *knownapps_new(struct store *st, char **cause);
void knownapps_free(struct knownapps *ka);
/* Name of app_id, borrowed from ka (or the static table), or NULL;
 * *origin as above. */
const char *knownapps_lookup(const struct knownapps *ka, const char *app_id, const char **origin);

/* --- The tenant's apps table --- */

/* Add or replace one app (app_id is stored lower-case). Returns 0 or -1. */
int knownapps_add(struct store *st, const char *app_id, const char *name, const char *origin, char **cause);

struct knownapps_load_result {
	int64_t rows;     /* data rows read */
	int64_t added;    /* apps stored (new or renamed) */
	int64_t skipped;  /* rows without a GUID app id or a name */
	char *first_skip; /* "line N: why" of the first skipped row, or NULL (caller frees) */
};

/*
 * Load a CSV of service principals: the header names the app id column
 * (appId, AppId, "Application ID", ApplicationId, app_id, client_id) and
 * the name column (displayName, "Display Name", Name, AppDisplayName,
 * application_name), matched after trimming, without regard to case; the
 * Entra portal's "Enterprise applications" download ("Name", "Application
 * ID", ...) and `Get-MgServicePrincipal | Export-Csv` both work. UTF-8
 * with or without BOM, UTF-16, `,` or `;`. One transaction: all or
 * nothing. Returns 0, or -1 with *cause naming the file (and line).
 */
int knownapps_load_csv(struct store *st, const char *path, struct knownapps_load_result *res, char **cause);

/* Each app of the tenant's table, by name; fn returns 0 to go on. */
int knownapps_each(struct store *st,
		   int (*fn)(const char *app_id, const char *name, const char *origin, void *ctx), void *ctx,
		   char **cause);

#endif
