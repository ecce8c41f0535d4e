/*
 * appnames.c: names for app ids from the tenant's list, the case's own
 * records, then the built-in table (appnames.h).
 *
 * The case's evidence is cheap to gather: sign-in operations are few
 * values of the op index, and one sign-in per app carries its display
 * name, so one raw record is read per app; the directory records that
 * name apps (service principal creation, consents) are a handful.
 */
#include "appnames.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "knownapps.h"
#include "sqlite/sqlite_store.h"
#include "util.h"
#include "xalloc.h"

struct appnames {
	struct knownapps *ka;  /* the tenant's list and the built-in table */
	struct util_smap idx;  /* app id -> index into names/origins */
	struct util_svec names;
	const char **origins;
	size_t ocap;
};

static void add(struct appnames *an, const char *id, const char *name, const char *origin)
{
	if (!id || !name || !*name)
		return;
	bool isnew;
	int64_t *k = util_smap_slot(&an->idx, id, (int64_t)an->names.n, &isnew);
	if (!isnew)
		return; /* the first evidence stands */
	util_svec_push(&an->names, name);
	an->origins = xgrow(an->origins, &an->ocap, an->names.n, sizeof *an->origins);
	an->origins[*k] = origin;
}

static bool is_guid(const char *p)
{
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? p[i] != '-' : !isxdigit((unsigned char)p[i]))
			return false;
	}
	return true;
}

/* The record, unwrapped from auditData/AuditData when it is inside. */
static json_t *parse(struct store *st, int64_t id, char **text)
{
	size_t len;
	char *t = store_raw(st, id, &len);
	if (!t)
		return NULL;
	json_t *j = json_loadb(t, len, 0, NULL);
	*text = t;
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	json_t *in = json_object_get(j, "auditData");
	if (!in)
		in = json_object_get(j, "AuditData");
	if (json_is_string(in))
		in = json_loads(json_string_value(in), 0, NULL);
	else if (in)
		json_incref(in);
	if (json_is_object(in)) {
		json_decref(j);
		return in;
	}
	json_decref(in);
	return j;
}

static const char *str_member(json_t *o, const char *const *keys)
{
	for (size_t i = 0; keys[i]; i++) {
		json_t *v = json_object_get(o, keys[i]);
		if (json_is_string(v) && *json_string_value(v))
			return json_string_value(v);
	}
	return NULL;
}

/* Sign-ins: one record per app; its appDisplayName. */
static int from_signins(struct appnames *an, struct store *st, char **cause)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q;
	const char *sql = "SELECT (SELECT v FROM vals WHERE id = e.app), min(e.id) FROM events e"
			  " WHERE e.op IN (SELECT id FROM vals WHERE v IN ('Sign-in', 'Non-interactive sign-in',"
			  " 'Service principal sign-in', 'Managed identity sign-in')) AND e.app IS NOT NULL GROUP BY e.app";
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "case: %s", sqlite3_errmsg(db));
	static const char *const keys[] = { "appDisplayName", "AppDisplayName", "Application", NULL };
	int k;
	while ((k = sqlite3_step(q)) == SQLITE_ROW) {
		const char *app = (const char *)sqlite3_column_text(q, 0);
		if (!app || util_sset_has(&an->idx, app))
			continue;
		char *text = NULL;
		json_t *rec = parse(st, sqlite3_column_int64(q, 1), &text);
		json_t *props = json_object_get(rec, "properties"); /* Azure diagnostic records */
		const char *name = str_member(rec, keys);
		if (!name && json_is_object(props))
			name = str_member(props, keys);
		add(an, app, name, "sign-in");
		json_decref(rec);
		free(text);
	}
	sqlite3_finalize(q);
	return k == SQLITE_DONE ? 0 : set_cause(cause, "case: %s", sqlite3_errmsg(db));
}

/* "[\r\n  \"Name\"\r\n]" (a UAL ModifiedProperties value) as Name. */
static char *unwrap(const char *v)
{
	const char *a = strchr(v, '"'), *b = strrchr(v, '"');
	if (v[0] == '[' && a && b > a)
		return xstrndup(a + 1, (size_t)(b - a - 1));
	return xstrdup(v);
}

/* The app id and the display name a directory record pairs. */
static void from_directory_record(struct appnames *an, json_t *rec)
{
	char *id = NULL, *name = NULL;
	size_t i;
	json_t *el;
	/* UAL: ModifiedProperties AppPrincipalId / DisplayName / TargetId.ServicePrincipalNames */
	json_array_foreach(json_object_get(rec, "ModifiedProperties"), i, el) {
		json_t *n = json_object_get(el, "Name"), *v = json_object_get(el, "NewValue");
		if (!json_is_string(n) || !json_is_string(v))
			continue;
		char *u = unwrap(json_string_value(v));
		const char *nm = json_string_value(n);
		if (!id && (strcasecmp(nm, "AppPrincipalId") == 0 || strcasecmp(nm, "TargetId.ServicePrincipalNames") == 0) &&
		    strlen(u) >= 36 && is_guid(u)) {
			u[36] = '\0';
			id = u;
			u = NULL;
		} else if (!name && strcasecmp(nm, "DisplayName") == 0 && *u) {
			name = u;
			u = NULL;
		}
		free(u);
	}
	/* UAL: Target[] of Type 1 names the service principal */
	json_array_foreach(json_object_get(rec, "Target"), i, el) {
		json_t *ty = json_object_get(el, "Type"), *v = json_object_get(el, "ID");
		if (!name && json_integer_value(ty) == 1 && json_is_string(v) &&
		    strcmp(json_string_value(v), "ServicePrincipal") != 0)
			name = xstrdup(json_string_value(v));
	}
	/* Entra: targetResources[] of type ServicePrincipal, with modifiedProperties AppId */
	json_array_foreach(json_object_get(rec, "targetResources"), i, el) {
		json_t *d = json_object_get(el, "displayName");
		if (!name && json_is_string(d) && *json_string_value(d))
			name = xstrdup(json_string_value(d));
		size_t j;
		json_t *mp;
		json_array_foreach(json_object_get(el, "modifiedProperties"), j, mp) {
			json_t *n = json_object_get(mp, "displayName"), *v = json_object_get(mp, "newValue");
			if (id || !json_is_string(n) || !json_is_string(v))
				continue;
			const char *nm = json_string_value(n);
			if (strcasecmp(nm, "AppPrincipalId") && strcasecmp(nm, "AppId") &&
			    strcasecmp(nm, "TargetId.ServicePrincipalNames"))
				continue;
			char *u = unwrap(json_string_value(v));
			if (strlen(u) >= 36 && is_guid(u)) {
				u[36] = '\0';
				id = u;
			} else {
				free(u);
			}
		}
	}
	if (id) {
		for (char *p = id; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		add(an, id, name, "directory audit");
	}
	free(id);
	free(name);
}

static int from_directory(struct appnames *an, struct store *st, char **cause)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q;
	const char *sql = "SELECT e.id FROM events e WHERE e.op IN (SELECT id FROM vals WHERE v IN"
			  " ('Add service principal', 'Add service principal.', 'Consent to application',"
			  " 'Consent to application.'))";
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "case: %s", sqlite3_errmsg(db));
	int k;
	while ((k = sqlite3_step(q)) == SQLITE_ROW) {
		char *text = NULL;
		json_t *rec = parse(st, sqlite3_column_int64(q, 0), &text);
		if (rec)
			from_directory_record(an, rec);
		json_decref(rec);
		free(text);
	}
	sqlite3_finalize(q);
	return k == SQLITE_DONE ? 0 : set_cause(cause, "case: %s", sqlite3_errmsg(db));
}

struct appnames *appnames_new(struct store *st, char **cause)
{
	struct appnames *an = xcalloc(1, sizeof *an);
	an->idx.nocase = true;
	an->ka = knownapps_new(st, cause);
	if (!an->ka || from_signins(an, st, cause) < 0 || from_directory(an, st, cause) < 0) {
		appnames_free(an);
		return NULL;
	}
	return an;
}

void appnames_free(struct appnames *an)
{
	if (!an)
		return;
	knownapps_free(an->ka);
	util_smap_free(&an->idx);
	util_svec_free(&an->names);
	free(an->origins);
	free(an);
}

const char *appnames_lookup(const struct appnames *an, const char *app_id, const char **origin)
{
	if (origin)
		*origin = NULL;
	if (!app_id || !*app_id)
		return NULL;
	const char *o = NULL;
	const char *name = an ? knownapps_lookup(an->ka, app_id, &o) : knownapps_name(app_id);
	if (name && o && strcmp(o, "tenant") == 0) {
		if (origin)
			*origin = o;
		return name;
	}
	long i = an ? util_smap_index(&an->idx, app_id) : -1;
	if (i >= 0) {
		if (origin)
			*origin = an->origins[i];
		return an->names.v[i];
	}
	if (name && origin)
		*origin = "microsoft";
	return name;
}
