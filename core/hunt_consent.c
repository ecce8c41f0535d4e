/*
 * hunt_consent.c: oauth-consent, the identity hunt that reads raw
 * records: apps given access (a consent, a permission grant, an app
 * role, a service principal or its credentials), then what each app
 * read (hunt_entry.h). The scans about sessions and sign-ins are in
 * hunt_identity.c.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hunt_entry.h"
#include "store.h"
#include "timeparse.h"
#include "xalloc.h"

static const struct hunt_col cols_consent[] = {
	{ "time", HUNT_TIME },       { "op", HUNT_TEXT },           { "user", HUNT_TEXT },
	{ "app", HUNT_TEXT },        { "app_name", HUNT_TEXT },     { "why", HUNT_TEXT },
	{ "ip", HUNT_TEXT },         { "mail_reads", HUNT_NUMBER }, { "mailboxes", HUNT_TEXT },
	{ "first_read", HUNT_TIME }, { "last_read", HUNT_TIME },    { "read_ips", HUNT_TEXT },
};
enum { CC_TIME, CC_OP, CC_USER, CC_APP, CC_NAME, CC_WHY, CC_IP, CC_READS, CC_MBX, CC_FIRST, CC_LAST, CC_IPS };

/* ------------------------------------------------------------------ */
/* oauth-consent */

static bool guid_at(const char *p)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)p[i])) {
			return false;
		}
	}
	return !isxdigit((unsigned char)p[36]) && p[36] != '-';
}

/* A lower-case copy of the GUID at p. */
static char *guid_dup(const char *p)
{
	char *id = xstrndup(p, 36);
	for (char *s = id; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	return id;
}

/* The first GUID within `within` characters after key (case-insensitive)
 * in text, staying inside the same {Name, Value} object; or NULL. */
static char *guid_after(const char *text, const char *key, size_t within)
{
	for (const char *p = text; (p = hunt_raw_find(p, key)); p++) {
		const char *q = p + strlen(key);
		for (size_t i = 0; i < within && q[i] && q[i] != '}' && q[i] != ']'; i++)
			if (guid_at(q + i))
				return guid_dup(q + i);
	}
	return NULL;
}

/*
 * The app id a consent-like record is about: the GUID that follows
 * "AppId" (additionalDetails, ExtendedProperties), "AppPrincipalId" or
 * "ServicePrincipalNames" (ModifiedProperties) in the raw text, whatever
 * the wrapper. Lower-case copy, or NULL.
 */
static char *consent_app(const char *raw)
{
	static const struct {
		const char *key;
		size_t within;
	} keys[] = { { "AppId", 40 }, { "AppPrincipalId", 80 }, { "ServicePrincipalNames", 80 } };
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		char *id = guid_after(raw, keys[k].key, keys[k].within);
		if (id)
			return id;
	}
	return NULL;
}

/*
 * The service principal's object id: UAL Target[] "ServicePrincipal_<id>",
 * the consent's "ClientId: <id>" (ConsentAction.Permissions names the
 * client by its service principal), Entra targetResources[].id of type
 * ServicePrincipal. Lower-case copy, or NULL.
 */
static char *consent_object(json_t *rec, const char *raw)
{
	size_t i;
	json_t *el;
	json_t *tr = json_object_get(rec, "targetResources");
	json_array_foreach(tr, i, el)
	{
		json_t *ty = json_object_get(el, "type"), *id = json_object_get(el, "id");
		if (json_is_string(ty) && strcasecmp(json_string_value(ty), "ServicePrincipal") == 0 &&
		    json_is_string(id) && strlen(json_string_value(id)) == 36 && guid_at(json_string_value(id)))
			return guid_dup(json_string_value(id));
	}
	json_t *t = json_object_get(rec, "Target");
	json_array_foreach(t, i, el)
	{
		json_t *id = json_object_get(el, "ID");
		const char *v = json_is_string(id) ? json_string_value(id) : NULL;
		if (v && strncasecmp(v, "ServicePrincipal_", 17) == 0 && strlen(v) == 17 + 36 && guid_at(v + 17))
			return guid_dup(v + 17);
	}
	return guid_after(raw, "ClientId:", 8);
}

/* The display name of the consent's target: UAL Target[] of Type 1,
 * Entra targetResources[0].displayName. */
static char *consent_target(json_t *rec)
{
	size_t i;
	json_t *el;
	json_t *tr = json_object_get(rec, "targetResources");
	json_array_foreach(tr, i, el)
	{
		json_t *d = json_object_get(el, "displayName");
		if (json_is_string(d) && json_string_length(d))
			return hunt_raw_jtext(d);
	}
	json_t *t = json_object_get(rec, "Target");
	json_array_foreach(t, i, el)
	{
		json_t *ty = json_object_get(el, "Type"), *id = json_object_get(el, "ID");
		if (json_integer_value(ty) == 1 && json_is_string(id) &&
		    strcmp(json_string_value(id), "ServicePrincipal"))
			return hunt_raw_jtext(id);
	}
	return NULL;
}

/*
 * A user's consent for themselves, not an admin's for the tenant: the
 * UAL's ModifiedProperties (and Entra's modifiedProperties) say
 * "ConsentContext.IsAdminConsent" False, or the grant's ConsentType is
 * Principal (an admin's: AllPrincipals).
 */
static bool consent_by_user(const char *text)
{
	if (hunt_raw_find(text, "ConsentType: Principal") || hunt_raw_find(text, "ConsentType\":\"Principal"))
		return true;
	for (const char *p = text; (p = hunt_raw_find(p, "IsAdminConsent")); p++) {
		const char *q = p + strlen("IsAdminConsent");
		for (size_t i = 0; i < 80 && q[i] && q[i] != '}'; i++) {
			if (strncasecmp(q + i, "False", 5) == 0)
				return true;
			if (strncasecmp(q + i, "True", 4) == 0)
				break;
		}
	}
	return false;
}

void hunt_consent_eval(const struct hunt_cand *c, json_t *rec, const char *text, struct hunt_facts *out)
{
	out->app = consent_app(text);
	out->object = consent_object(rec, text);
	out->owner = consent_target(rec);
	out->by_user = c->optext && hunt_raw_find(c->optext, "Consent") && consent_by_user(text);
}

const char *const hunt_consent_ops[] = {
	"Consent to application",
	"Add delegated permission grant",
	"Add OAuth2PermissionGrant",
	"Add app role assignment to service principal",
	"Add app role assignment grant to user",
	"Add service principal",
	"Add service principal credentials",
	"Update application \xE2\x80\x93 Certificates and secrets management",
	"Update application - Certificates and secrets management",
	NULL,
};

/* What a consented app did afterwards: its mail reads. */
struct consented {
	char *app;        /* app id */
	const char *name; /* borrowed from a record's facts or the names */
	int64_t since;    /* its earliest consent-like record */
	int64_t reads, first, last;
	struct util_ivec mbs, ips, ids, ts;
};

/*
 * The app id of each record: its own, else through the service
 * principal's object id or the display name another record of the case
 * pairs with an app id (an "Add service principal" names both).
 */
void hunt_consent_resolve(struct hunt_facts *f, size_t n)
{
	struct util_smap by_obj = { .nocase = true }, by_name = { .nocase = true };
	struct util_svec apps = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (!f[i].app)
			continue;
		long k = (long)apps.n;
		util_svec_push(&apps, f[i].app);
		if (f[i].object)
			*util_smap_slot(&by_obj, f[i].object, k, NULL) = k;
		if (f[i].owner)
			*util_smap_slot(&by_name, f[i].owner, k, NULL) = k;
	}
	for (size_t i = 0; i < n; i++) {
		if (f[i].app)
			continue;
		const int64_t *k = f[i].object ? util_smap_get(&by_obj, f[i].object) : NULL;
		if (!k && f[i].owner)
			k = util_smap_get(&by_name, f[i].owner);
		if (k && (size_t)*k < apps.n) /* the maps hold indexes into apps */
			f[i].app = xstrdup(apps.v[*k]);
	}
	util_smap_free(&by_obj);
	util_smap_free(&by_name);
	util_svec_free(&apps);
}

struct consent_read {
	struct consented *l;
	int64_t *app; /* per link: its app id's value id (0: no event names it) */
	size_t nl;
};

/* A mail read: each link's whose app read it (as app or client app)
 * after its consent. */
static int consent_read_one(void *ctx, const struct store_cell *c)
{
	struct consent_read *x = ctx;
	int64_t ts = c[1].i;
	for (size_t j = 0; j < x->nl; j++) {
		struct consented *l = &x->l[j];
		if (!x->app[j] || (c[4].i != x->app[j] && c[5].i != x->app[j]) || ts < l->since)
			continue;
		if (!l->reads++)
			l->first = ts;
		l->last = ts;
		util_ivec_push(&l->ids, c[0].i);
		util_ivec_push(&l->ts, ts);
		if (c[2].i)
			util_ivec_add(&l->mbs, c[2].i);
		if (c[3].i)
			util_ivec_add(&l->ips, c[3].i);
	}
	return 0;
}

/* The mail each consented app read after its consent (as app or client
 * app), in time order: one look at the mail reads after the earliest
 * consent. */
static int consent_reads(struct hctx *h, struct consented *l, size_t nl)
{
	if (!nl || !h->mia.n)
		return 0;
	static const char *const cols[] = { "id", "ts", "mailbox", "ip", "app", "client_app" };
	struct consent_read x = { l, xcalloc(nl, sizeof *x.app), nl };
	int64_t since = INT64_MAX;
	for (size_t j = 0; j < nl; j++) {
		int64_t *vid = NULL;
		size_t nv = 0;
		char *why = NULL;
		if (store_value_find(h->st, "app", l[j].app, STORE_MATCH_EXACT, &vid, &nv, &why) < 0) {
			free(vid);
			free(x.app);
			return hunt_fail(h, why);
		}
		x.app[j] = nv ? vid[0] : 0;
		free(vid);
		if (x.app[j] && l[j].since < since)
			since = l[j].since;
	}
	int rc = 0;
	if (since != INT64_MAX) {
		struct store_pick p;
		store_pick_init(&p);
		p.field = "op";
		p.ids = h->mia.v;
		p.n = h->mia.n;
		p.ts_from = since;
		p.by_ts = true;
		/* the store leaves out the reads of other apps */
		p.also.fields[0] = "app";
		p.also.fields[1] = "client_app";
		p.also.ids = x.app;
		p.also.n = nl;
		rc = hunt_pick(h, &p, cols, 6, consent_read_one, &x);
	}
	free(x.app);
	return rc;
}

/* The reads' columns of a row. */
static void consent_read_cols(struct hctx *h, struct hunt_row *row, const struct consented *l)
{
	hunt_row_num(row, CC_READS, l->reads);
	hunt_row_take(row, CC_MBX, hunt_id_list(h, "mailbox", &l->mbs));
	if (l->reads) {
		hunt_row_time(row, CC_FIRST, l->first);
		hunt_row_time(row, CC_LAST, l->last);
	}
	hunt_row_take(row, CC_IPS, hunt_id_list(h, "ip", &l->ips));
}

static int consent_run(struct hctx *h)
{
	struct hunt_cand *c;
	struct hunt_facts *f;
	size_t n;
	if (hunt_raw_candidates(h, &c, &n, &f) < 0)
		return -1;
	hunt_consent_resolve(f, n);
	/* app id -> earliest consent-like record, for the mail that follows */
	struct consented *links = NULL;
	size_t nlinks = 0, lcap = 0;
	struct util_smap at = { .nocase = true };
	for (size_t i = 0; i < n; i++) {
		const char *app = f[i].app;
		if (!app || knownapps_first_party(app))
			continue;
		bool isnew;
		int64_t *j = util_smap_slot(&at, app, (int64_t)nlinks, &isnew);
		if (isnew) {
			links = xgrow(links, &lcap, nlinks + 1, sizeof *links);
			memset(&links[nlinks], 0, sizeof *links);
			links[nlinks].app = xstrdup(app);
			links[nlinks].since = c[i].ts;
			nlinks++;
		}
		if ((size_t)*j >= nlinks) /* the map holds indexes into links */
			continue;
		struct consented *l = &links[*j];
		if (c[i].ts < l->since)
			l->since = c[i].ts;
		if (!l->name)
			l->name = hunt_app_name(h, app);
		if (!l->name)
			l->name = f[i].owner;
	}
	int rc = consent_reads(h, links, nlinks);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *app = f[i].app, *target = f[i].owner;
		bool ms = app && knownapps_first_party(app);
		const int64_t *j = app ? util_smap_get(&at, app) : NULL;
		const struct consented *l = j ? &links[*j] : NULL;
		struct hunt_row *row = hunt_raw_event_row(h, &c[i], CC_IP, !ms);
		hunt_row_set(row, CC_APP, app);
		const char *nm = app ? hunt_app_name(h, app) : NULL;
		hunt_row_set(row, CC_NAME, nm ? nm : target);
		struct util_buf why = { 0 };
		if (target)
			util_buf_item(&why, "; ", "target %s", target);
		if (ms)
			util_buf_item(&why, "; ", "a Microsoft app");
		if (!app)
			util_buf_item(&why, "; ", "app id not in the record nor resolved through the case");
		hunt_row_take(row, CC_WHY, why.n ? util_buf_take(&why) : NULL);
		bool consent = hunt_raw_find(c[i].optext, "Consent") != NULL;
		struct util_buf reason = { 0 };
		int score = 0;
		if (l && l->reads) {
			consent_read_cols(h, row, l);
			util_buf_item(&reason, "; ",
				      "%s; the app then read %" PRId64 " mail item%s of %zu mailbox%s",
				      consent ? "consent" : "app registration change", l->reads,
				      l->reads == 1 ? "" : "s", l->mbs.n, l->mbs.n == 1 ? "" : "es");
			score = consent ? 100 : 80;
		} else if (!ms) {
			util_buf_item(&reason, "; ",
				      "%s to an app that is not a Microsoft first-party app; no mail read by it",
				      consent ? "consent" : "app registration change");
			score = consent ? 60 : 50;
		} else {
			util_buf_item(&reason, "; ", "context: a Microsoft first-party app");
		}
		hunt_row_reason(row, score, util_buf_str(&reason));
		util_buf_free(&reason);
	}
	/* a row of each app's mail reads, so that they are flagged too */
	for (size_t j = 0; rc == 0 && j < nlinks; j++) {
		struct consented *l = &links[j];
		if (!l->reads)
			continue;
		struct hunt_row *row = hunt_row_new(h, true);
		for (size_t k = 0; k < l->ids.n; k++)
			hunt_row_event(row, l->ids.v[k], l->ts.v[k]);
		hunt_row_time(row, CC_TIME, row->first_ts);
		hunt_row_set(row, CC_OP, "MailItemsAccessed");
		hunt_row_set(row, CC_APP, l->app);
		hunt_row_set(row, CC_NAME, l->name);
		char *mbl = hunt_id_list(h, "mailbox", &l->mbs);
		hunt_row_take(row, CC_WHY,
			      xasprintf("%zu mail reads of %zu mailbox%s after consent: %s", row->nevents,
					l->mbs.n, l->mbs.n == 1 ? "" : "es", mbl));
		free(mbl);
		hunt_row_take(row, CC_IP, hunt_id_list(h, "ip", &l->ips));
		consent_read_cols(h, row, l);
		hunt_row_reason(row, 90, "mail read by an app after it was consented to");
		struct util_buf fl = { 0 };
		hunt_filter_term(&fl, "op", "MailItemsAccessed");
		char *qa = hunt_filter_quote(l->app);
		util_buf_printf(&fl, " (app=%s or client_app=%s)", qa, qa);
		free(qa);
		char tf[40];
		time_format(l->since - l->since % 1000, tf, sizeof tf);
		memcpy(tf + 19, "Z", 2);
		util_buf_printf(&fl, " time>=%s", tf);
		hunt_row_filter(row, &fl);
	}
	hunt_raw_facts_free(f, n);
	hunt_raw_cands_free(c, n);
	for (size_t j = 0; j < nlinks; j++) {
		free(links[j].app);
		util_ivec_free(&links[j].mbs);
		util_ivec_free(&links[j].ips);
		util_ivec_free(&links[j].ids);
		util_ivec_free(&links[j].ts);
	}
	free(links);
	util_smap_free(&at);
	return rc < 0 || h->err ? -1 : 0;
}

const struct hunt_entry hunt_oauth_consent = {
	.def = { HUNT_OAUTH_CONSENT, "oauth-consent",
		 "consents, permission grants, app credentials, then mail read by that app",
		 "Consents to applications, delegated and app-role permission grants, new service principals and "
		 "their credentials (from the UAL or Entra's audit log), each with the app id it names: from the "
		 "record, else through the service principal's object id or display name another record of the case "
		 "pairs with an app id. Each row says what that app did afterwards: mail reads, mailboxes, first and "
		 "last read, IPs. A Microsoft first-party app is context. Score: 100 for a consent whose app then "
		 "read mail, 90 for those reads, 80 for another change to such an app, 60 for a consent to an app "
		 "that read nothing, 50 for another change to it.",
		 HUNT_COLS(cols_consent) },
	.needs = HUNT_NEEDS_APPS,
	.order = HUNT_ORDER_TIME,
	.raw = { hunt_consent_ops, true, hunt_consent_eval, NULL },
	.run = consent_run,
};
