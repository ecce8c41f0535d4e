/*
 * appnames.h: a name for every app id a case shows, from evidence.
 *
 * An app id's name comes, in order, from
 *  1. the tenant's list (`auditscope apps CASE FILE.csv`): origin "tenant";
 *  2. the case itself: the appDisplayName (or the CSV download's
 *     "Application") of the app's sign-ins, origin "sign-in"; the display
 *     name a service principal creation or a consent record pairs with
 *     the app id, origin "directory audit";
 *  3. the built-in table of Microsoft first-party apps: origin "microsoft".
 * A name from the case says nothing about trust: an intruder names their
 * app "Outlook Backup Service".
 *
 * One snapshot per use (a hunt run, an `apps` listing): building it reads
 * the raw record of one sign-in per app and the few directory records
 * that name apps.
 */
#ifndef AUDITSCOPE_APPNAMES_H
#define AUDITSCOPE_APPNAMES_H

#include "store.h"

struct appnames;

/* NULL with *cause on a database error. */
struct appnames *appnames_new(struct store *st, char **cause);
void appnames_free(struct appnames *an);
/* The name of app_id (borrowed from an), or NULL; *origin (may be NULL)
 * gets "tenant", "sign-in", "directory audit" or "microsoft" (static). */
const char *appnames_lookup(const struct appnames *an, const char *app_id, const char **origin);

#endif
