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
#include "query.h"
#include "store.h"
#include "util.h"
#include "xalloc.h"

struct appnames {
	struct knownapps *ka; /* the tenant's list and the built-in table */
	struct util_smap idx; /* app id -> index into names/origins */
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

/* The value ids of operations named exactly as in names. */
static int op_ids(struct store *st, const char *const *names, struct util_ivec *out, char **cause)
{
	for (size_t i = 0; names[i]; i++)
		if (store_value_find(st, "op", names[i], STORE_MATCH_EXACT, &out->v, &out->n, cause) < 0)
			return -1;
	out->cap = out->n;
	return 0;
}

/* Per app value id, the first (lowest) event id naming it. */
static int first_of_app(void *ctx, const struct store_cell *c)
{
	struct util_imap *m = ctx;
	if (c[0].i)
		util_imap_slot(m, (uint64_t)c[0].i, c[1].i, NULL);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sign-ins: one record per app (its first), apps in value id order; its
 * appDisplayName. */
static int from_signins(struct appnames *an, struct store *st, char **cause)
{
	static const char *const ops[] = { "Sign-in", "Non-interactive sign-in", "Service principal sign-in",
					   "Managed identity sign-in", NULL };
	struct util_ivec opv = { 0 };
	struct util_imap first = { 0 };
	struct store_pick p;
	store_pick_init(&p);
	static const char *const cols[] = { "app", "id" };
	int rc = op_ids(st, ops, &opv, cause);
	p.field = "op";
	p.ids = opv.v;
	p.n = opv.n;
	if (rc == 0)
		rc = store_pick(st, &p, cols, 2, first_of_app, &first, cause);
	int64_t *apps = xmalloc((first.n ? first.n : 1) * sizeof *apps);
	size_t n = 0;
	for (size_t i = 0; i < first.cap; i++)
		if (first.keys[i])
			apps[n++] = (int64_t)first.keys[i];
	if (n)
		qsort(apps, n, sizeof *apps, cmp_i64);
	char **texts = xcalloc(n ? n : 1, sizeof *texts);
	if (rc == 0)
		rc = store_value_texts(st, "app", apps, n, texts, cause);
	static const char *const keys[] = { "appDisplayName", "AppDisplayName", "Application", NULL };
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *app = texts[i];
		if (!app || util_sset_has(&an->idx, app))
			continue;
		char *text = NULL;
		json_t *rec = parse(st, *util_imap_get(&first, (uint64_t)apps[i]), &text);
		json_t *props = json_object_get(rec, "properties"); /* Azure diagnostic records */
		const char *name = str_member(rec, keys);
		if (!name && json_is_object(props))
			name = str_member(props, keys);
		add(an, app, name, "sign-in");
		json_decref(rec);
		free(text);
	}
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(apps);
	util_imap_free(&first);
	util_ivec_free(&opv);
	return rc;
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
	json_array_foreach(json_object_get(rec, "ModifiedProperties"), i, el)
	{
		json_t *n = json_object_get(el, "Name"), *v = json_object_get(el, "NewValue");
		if (!json_is_string(n) || !json_is_string(v))
			continue;
		char *u = unwrap(json_string_value(v));
		const char *nm = json_string_value(n);
		if (!id &&
		    (strcasecmp(nm, "AppPrincipalId") == 0 ||
		     strcasecmp(nm, "TargetId.ServicePrincipalNames") == 0) &&
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
	json_array_foreach(json_object_get(rec, "Target"), i, el)
	{
		json_t *ty = json_object_get(el, "Type"), *v = json_object_get(el, "ID");
		if (!name && json_integer_value(ty) == 1 && json_is_string(v) &&
		    strcmp(json_string_value(v), "ServicePrincipal") != 0)
			name = xstrdup(json_string_value(v));
	}
	/* Entra: targetResources[] of type ServicePrincipal, with modifiedProperties AppId */
	json_array_foreach(json_object_get(rec, "targetResources"), i, el)
	{
		json_t *d = json_object_get(el, "displayName");
		if (!name && json_is_string(d) && *json_string_value(d))
			name = xstrdup(json_string_value(d));
		size_t j;
		json_t *mp;
		json_array_foreach(json_object_get(el, "modifiedProperties"), j, mp)
		{
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

/* A directory event: its operation, time and id (records are read in
 * that order: the first record to name an app names it). */
struct direv {
	int64_t op, ts, id;
};

struct direvs {
	struct direv *v;
	size_t n, cap;
};

static int direv_add(void *ctx, const struct store_cell *c)
{
	struct direvs *d = ctx;
	d->v = xgrow(d->v, &d->cap, d->n + 1, sizeof *d->v);
	d->v[d->n++] = (struct direv){ c[0].i, c[1].i, c[2].i };
	return 0;
}

static int cmp_direv(const void *a, const void *b)
{
	const struct direv *x = a, *y = b;
	if (x->op != y->op)
		return x->op < y->op ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int from_directory(struct appnames *an, struct store *st, char **cause)
{
	static const char *const ops[] = { "Add service principal", "Add service principal.",
					   "Consent to application", "Consent to application.", NULL };
	static const char *const cols[] = { "op", "ts", "id" };
	struct util_ivec opv = { 0 };
	struct direvs d = { 0 };
	struct store_pick p;
	store_pick_init(&p);
	int rc = op_ids(st, ops, &opv, cause);
	p.field = "op";
	p.ids = opv.v;
	p.n = opv.n;
	if (rc == 0)
		rc = store_pick(st, &p, cols, 3, direv_add, &d, cause);
	if (d.n)
		qsort(d.v, d.n, sizeof *d.v, cmp_direv);
	for (size_t i = 0; rc == 0 && i < d.n; i++) {
		char *text = NULL;
		json_t *rec = parse(st, d.v[i].id, &text);
		if (rec)
			from_directory_record(an, rec);
		json_decref(rec);
		free(text);
	}
	free(d.v);
	util_ivec_free(&opv);
	return rc;
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
	char bare[KNOWNAPPS_BARE_MAX];
	app_id = knownapps_bare(app_id, bare, sizeof bare);
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
