/*
 * hunt_identity.c: the hunts about identities: oauth-consent (apps
 * consented to, then what they read; a raw hunt), token-replay (one
 * session or token from several IPs) and signin-then-mail (a sign-in
 * from a new IP, then mail read from it), both scans (hunt_entry.h).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hunt_entry.h"
#include "ipgeo.h"
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
static const struct hunt_col cols_replay[] = {
	{ "kind", HUNT_TEXT },     { "id", HUNT_TEXT },    { "ips", HUNT_NUMBER },
	{ "ip_list", HUNT_TEXT },  { "users", HUNT_TEXT }, { "events", HUNT_NUMBER },
	{ "first", HUNT_TIME },    { "last", HUNT_TIME },  { "countries", HUNT_TEXT },
	{ "networks", HUNT_TEXT },
};
static const struct hunt_col cols_signin[] = {
	{ "user", HUNT_TEXT },      { "ip", HUNT_TEXT },        { "signin", HUNT_TIME },
	{ "mail", HUNT_TIME },      { "minutes", HUNT_NUMBER }, { "mail_events", HUNT_NUMBER },
	{ "mailboxes", HUNT_TEXT },
};

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
		if (json_is_string(d) && *json_string_value(d))
			return xstrdup(json_string_value(d));
	}
	json_t *t = json_object_get(rec, "Target");
	json_array_foreach(t, i, el)
	{
		json_t *ty = json_object_get(el, "Type"), *id = json_object_get(el, "ID");
		if (json_integer_value(ty) == 1 && json_is_string(id) &&
		    strcmp(json_string_value(id), "ServicePrincipal"))
			return xstrdup(json_string_value(id));
	}
	return NULL;
}

static void eval_consent(const struct hunt_cand *c, json_t *rec, const char *text, struct hunt_facts *out)
{
	(void)c;
	out->app = consent_app(text);
	out->object = consent_object(rec, text);
	out->owner = consent_target(rec);
}

static const char *const consent_ops[] = {
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
static void consent_resolve(struct hunt_facts *f, size_t n)
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
	consent_resolve(f, n);
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
	.raw = { consent_ops, true, eval_consent, NULL },
	.run = consent_run,
};

/* ------------------------------------------------------------------ */
/* token-replay */

struct idseen {
	int64_t ip;     /* the first IP, or -1 once a second one is seen */
	int64_t lo, hi; /* first and last event id carrying the value */
};

struct replay_acc {
	struct util_imap seen[2]; /* session, token -> index into sv */
	struct idseen *sv;
	size_t nsv, cap;
};

struct reused {
	int kind; /* 0 session, 1 token */
	int64_t val;
	size_t row; /* index + 1; 0: no row yet */
	struct util_ivec ips, users;
};

static int replay_begin(struct hctx *h)
{
	h->acc = xcalloc(1, sizeof(struct replay_acc));
	return 0;
}

/* per session and token: its first IP (or -1 once a second is seen) and
 * the span of event ids it occurs in */
static void replay_row(struct hctx *h, const struct hunt_ev *e)
{
	struct replay_acc *a = h->acc;
	if (!e->ip)
		return;
	const int64_t vals[2] = { e->session, e->token };
	for (int w = 0; w < 2; w++) {
		if (!vals[w])
			continue;
		bool isnew;
		int64_t *si = util_imap_slot(&a->seen[w], (uint64_t)vals[w], 0, &isnew);
		if (isnew) {
			a->sv = xgrow(a->sv, &a->cap, a->nsv + 1, sizeof *a->sv);
			a->sv[a->nsv] = (struct idseen){ e->ip, e->id, e->id };
			*si = (int64_t)a->nsv++;
			continue;
		}
		struct idseen *s = &a->sv[*si];
		if (s->ip != e->ip)
			s->ip = -1;
		if (e->id < s->lo)
			s->lo = e->id;
		if (e->id > s->hi)
			s->hi = e->id;
	}
}

static void replay_drop(struct hctx *h)
{
	struct replay_acc *a = h->acc;
	util_imap_free(&a->seen[0]);
	util_imap_free(&a->seen[1]);
	free(a->sv);
	free(a);
	h->acc = NULL;
}

/* The places of the IP value ids of every row, looked up once each
 * (core/ipgeo.h): a case whose sessions move between thousands of
 * addresses names each in many rows. */
struct replay_geo {
	struct util_imap at; /* ip value id -> index into g */
	struct ipgeo_row *g;
	size_t n;
};

static void replay_geo_load(struct hctx *h, const struct reused *re, size_t nre, struct replay_geo *geo)
{
	struct util_ivec ips = { 0 };
	for (size_t i = 0; i < nre; i++) {
		if (!re[i].row)
			continue;
		for (size_t k = 0; k < re[i].ips.n; k++) {
			bool isnew;
			util_imap_slot(&geo->at, (uint64_t)re[i].ips.v[k], (int64_t)ips.n, &isnew);
			if (isnew)
				util_ivec_push(&ips, re[i].ips.v[k]);
		}
	}
	geo->n = ips.n;
	geo->g = xcalloc(ips.n ? ips.n : 1, sizeof *geo->g);
	char *why = NULL;
	/* a case that cannot say leaves the columns empty, as before a lookup */
	if (ipgeo_of_ids(h->st, ips.v, ips.n, geo->g, &why) < 0)
		memset(geo->g, 0, (ips.n ? ips.n : 1) * sizeof *geo->g);
	free(why);
	/* the rows name them too, and their sessions and tokens */
	hunt_vtexts_warm(h, "ip", ips.v, ips.n);
	ips.n = 0;
	for (int w = 0; w < 2; w++) {
		for (size_t i = 0; i < nre; i++)
			if (re[i].row && re[i].kind == w)
				util_ivec_push(&ips, re[i].val);
		hunt_vtexts_warm(h, w ? "token" : "session", ips.v, ips.n);
		ips.n = 0;
	}
	util_ivec_free(&ips);
}

static void replay_geo_free(struct replay_geo *geo)
{
	for (size_t i = 0; i < geo->n; i++)
		ipgeo_row_clear(&geo->g[i]);
	free(geo->g);
	util_imap_free(&geo->at);
}

/* The distinct countries and networks (AS number and owner) of the IP
 * value ids: "CN, DE" and "AS24400 China Mobile, AS137409 GSL Networks". */
static void replay_places(const struct replay_geo *geo, const struct util_ivec *ips, char **countries,
			  char **networks)
{
	struct util_buf c = { 0 }, n = { 0 };
	struct util_smap seen = { 0 };
	struct util_imap seen_as = { 0 };
	for (size_t i = 0; i < ips->n; i++) {
		const int64_t *at = util_imap_get(&geo->at, (uint64_t)ips->v[i]);
		if (!at)
			continue;
		const struct ipgeo_row *g = &geo->g[*at];
		const char *cc = g->country;
		const char *org = g->as_org;
		const char *label = g->label;
		int64_t asn = g->asn;
		if ((cc || label) && util_sset_add(&seen, cc ? cc : label))
			util_buf_item(&c, ", ", "%s", cc ? cc : label);
		bool isnew = false;
		if (asn)
			util_imap_slot(&seen_as, (uint64_t)asn, 0, &isnew);
		if (isnew)
			util_buf_item(&n, ", ", "AS%lld%s%s", (long long)asn, org ? " " : "", org ? org : "");
	}
	util_smap_free(&seen);
	util_imap_free(&seen_as);
	*countries = c.n ? util_buf_take(&c) : (util_buf_free(&c), NULL);
	*networks = n.n ? util_buf_take(&n) : (util_buf_free(&n), NULL);
}

struct replay_look {
	struct hctx *h;
	struct reused *re;
	struct util_imap *idx[2]; /* session, token value id -> index into re */
};

/* An event of the span: the reused session's or token's when it has one. */
static int replay_event(void *ctx, const struct store_cell *c)
{
	struct replay_look *x = ctx;
	struct hctx *h = x->h;
	for (int w = 0; w < 2; w++) {
		int64_t v = c[2 + w].i;
		const int64_t *i = v ? util_imap_get(x->idx[w], (uint64_t)v) : NULL;
		if (!i)
			continue;
		struct reused *r = &x->re[*i];
		if (!r->row) {
			r->row = h->r->nrows + 1;
			hunt_row_new(h, true);
		}
		hunt_row_event(&h->r->rows[r->row - 1], c[0].i, c[1].i);
		int64_t ip = c[4].i, user = c[5].i;
		if (ip && !util_ivec_has(&r->ips, ip))
			util_ivec_push(&r->ips, ip);
		if (user && !util_ivec_has(&r->users, user))
			util_ivec_push(&r->users, user);
	}
	return 0;
}

static int replay_end(struct hctx *h)
{
	struct replay_acc *a = h->acc;
	struct reused *re = NULL;
	size_t n = 0, cap = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	struct util_imap idx[2] = { { 0 }, { 0 } };
	for (int w = 0; w < 2; w++) {
		for (size_t i = 0; i < a->seen[w].cap; i++) {
			if (!a->seen[w].keys[i])
				continue;
			const struct idseen *e = &a->sv[a->seen[w].vals[i]];
			if (e->ip != -1)
				continue;
			re = xgrow(re, &cap, n + 1, sizeof *re);
			memset(&re[n], 0, sizeof re[n]);
			re[n].kind = w;
			re[n].val = (int64_t)a->seen[w].keys[i];
			*util_imap_slot(&idx[w], a->seen[w].keys[i], (int64_t)n, NULL) = (int64_t)n;
			n++;
			if (e->lo < lo)
				lo = e->lo;
			if (e->hi > hi)
				hi = e->hi;
		}
	}
	replay_drop(h);
	int rc = 0;
	if (n) {
		/* their events: a second look at the span of ids they occur in */
		static const char *const cols[] = { "id", "ts", "session", "token", "ip", "user" };
		struct store_pick p;
		store_pick_init(&p);
		p.id_from = lo;
		p.id_to = hi;
		struct replay_look x = { h, re, { &idx[0], &idx[1] } };
		rc = hunt_pick(h, &p, cols, 6, replay_event, &x);
	}
	struct replay_geo geo = { 0 };
	replay_geo_load(h, re, n, &geo);
	for (size_t i = 0; i < n; i++) {
		struct reused *r = &re[i];
		if (r->row) {
			struct hunt_row *row = &h->r->rows[r->row - 1];
			char *v = hunt_vtext(h, r->kind ? "token" : "session", r->val);
			hunt_row_set(row, 0, r->kind ? "token" : "session");
			hunt_row_set(row, 1, v);
			hunt_row_num(row, 2, (int64_t)r->ips.n);
			hunt_row_take(row, 3, hunt_id_list(h, "ip", &r->ips));
			hunt_row_take(row, 4, hunt_id_list(h, "user", &r->users));
			hunt_row_num(row, 5, (int64_t)row->nevents);
			hunt_row_time(row, 6, row->first_ts);
			hunt_row_time(row, 7, row->last_ts);
			char *countries, *networks;
			replay_places(&geo, &r->ips, &countries, &networks);
			if (countries)
				hunt_row_take(row, 8, countries);
			if (networks)
				hunt_row_take(row, 9, networks);
			struct util_buf f = { 0 };
			hunt_filter_term(&f, r->kind ? "token" : "session", v);
			char *why = xasprintf("one %s used from %zu IPs%s%s%s by %zu user%s",
					      r->kind ? "token" : "session", r->ips.n,
					      row->vals[8] ? " (" : "", row->vals[8] ? row->vals[8] : "",
					      row->vals[8] ? ")" : "", r->users.n, r->users.n == 1 ? "" : "s");
			int score = 40 + 20 * (int)(r->ips.n - 1);
			hunt_row_reason(row, score, why);
			free(why);
			hunt_row_filter(row, &f);
			free(v);
		}
		util_ivec_free(&r->ips);
		util_ivec_free(&r->users);
	}
	replay_geo_free(&geo);
	util_imap_free(&idx[0]);
	util_imap_free(&idx[1]);
	free(re);
	return rc;
}


const struct hunt_entry hunt_token_replay = {
	.def = { HUNT_TOKEN_REPLAY, "token-replay", "one session or token id used from two or more IPs",
		 "A session id or a token id (UniqueTokenId) seen from two or more IP addresses: a stolen "
		 "session or token replayed from elsewhere, with the countries and networks of its IPs "
		 "(from the offline IP databases). Every row is a hit. Score: 40, plus 20 per IP after "
		 "the first.",
		 HUNT_COLS(cols_replay) },
	.order = HUNT_ORDER_TIME,
	.scan = { replay_begin, replay_row, replay_end, replay_drop, NULL, NULL, 0,
		  HUNT_EV(id) | HUNT_EV(ip) | HUNT_EV(session) | HUNT_EV(token) },
};

/* ------------------------------------------------------------------ */
/* signin-then-mail */

struct signin {
	int64_t id, ts, user, ip;
};

/*
 * Without --baseline-until, an IP is new for a user when no event of the
 * user came from it more than an hour before the sign-in (the failed
 * attempts just before a break-in are not history), the user has at
 * least a day of history in the case before it, and the sign-in comes
 * more than a day after the case's first event: wherever in the range
 * that is. With --baseline-until, new means unseen before it.
 */
#define SIGNIN_SETTLE_MS DAY_MS

struct signin_acc {
	struct util_ivec ok, logon; /* results of a good Entra sign-in; UserLoggedIn */
	struct util_imap pair;      /* (user, ip) -> first event (with a baseline: seen before it) */
	struct util_imap user;      /* user -> first event */
	struct util_imap ip;        /* ip -> first event, any user */
	int64_t cov0;               /* the first event with a user and an IP */
	struct signin *s;           /* successful sign-ins */
	size_t n, cap;
};

static void keep_min(struct util_imap *m, uint64_t key, int64_t ts)
{
	int64_t *v = util_imap_slot(m, key, ts, NULL);
	if (ts < *v)
		*v = ts;
}

/* Is the sign-in's IP new for its user (see above)? */
static bool signin_new_ip(const struct signin_acc *a, int64_t B, const struct signin *s)
{
	const int64_t *p = util_imap_get(&a->pair, util_pair_key(s->user, s->ip));
	if (B != INT64_MIN)
		return s->ts >= B && !p;
	const int64_t *u = util_imap_get(&a->user, (uint64_t)s->user);
	return p && *p > hunt_add(s->ts, -HOUR_MS) && u && *u < hunt_add(s->ts, -SIGNIN_SETTLE_MS) &&
	       s->ts > hunt_add(a->cov0, SIGNIN_SETTLE_MS);
}

static int signin_begin(struct hctx *h)
{
	static const char *const ok_names[] = { "Success", "0", NULL };
	static const char *const logon_names[] = { "UserLoggedIn", NULL };
	struct signin_acc *a = h->acc = xcalloc(1, sizeof *a);
	a->cov0 = INT64_MAX;
	if (hunt_val_ids(h, "result", ok_names, false, &a->ok) < 0 ||
	    hunt_val_ids(h, "op", logon_names, false, &a->logon) < 0)
		return -1;
	return 0;
}

static void signin_row(struct hctx *h, const struct hunt_ev *e)
{
	struct signin_acc *a = h->acc;
	if (!e->user || !e->ip)
		return;
	int64_t B = h->r->baseline_until;
	if (B != INT64_MIN) {
		if (e->ts < B) {
			util_imap_slot(&a->pair, util_pair_key(e->user, e->ip), e->ts, NULL);
			return;
		}
	} else {
		keep_min(&a->pair, util_pair_key(e->user, e->ip), e->ts);
		keep_min(&a->user, (uint64_t)e->user, e->ts);
		if (e->ts < a->cov0)
			a->cov0 = e->ts;
	}
	keep_min(&a->ip, (uint64_t)e->ip, e->ts);
	/* Entra sign-in rows that succeeded, UAL UserLoggedIn */
	if ((e->kind == KIND_SIGNIN && hunt_in_ids(&a->ok, e->result)) || hunt_in_ids(&a->logon, e->op)) {
		a->s = xgrow(a->s, &a->cap, a->n + 1, sizeof *a->s);
		a->s[a->n++] = (struct signin){ e->id, e->ts, e->user, e->ip };
	}
}

static void signin_drop(struct hctx *h)
{
	struct signin_acc *a = h->acc;
	util_ivec_free(&a->ok);
	util_ivec_free(&a->logon);
	util_imap_free(&a->pair);
	util_imap_free(&a->user);
	util_imap_free(&a->ip);
	free(a->s);
	free(a);
	h->acc = NULL;
}

static int cmp_signin(const void *a, const void *b)
{
	const struct signin *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The mail reads from a sign-in's IP within the hour after it: the row
 * (made at the first), its mailboxes, the first read's time, and how
 * many reads were the user's own. */
struct signin_mail {
	struct hctx *h;
	const struct util_ivec *mia;
	int64_t user, id, ts;
	struct hunt_row *row;
	struct util_ivec mbs;
	int64_t first_mail, own;
};

static int signin_mail_one(void *ctx, const struct store_cell *c)
{
	struct signin_mail *m = ctx;
	if (!hunt_in_ids(m->mia, c[2].i))
		return 0;
	m->own += c[4].i == m->user;
	if (!m->row) {
		m->row = hunt_row_new(m->h, true);
		hunt_row_event(m->row, m->id, m->ts);
		m->first_mail = c[1].i;
	}
	hunt_row_event(m->row, c[0].i, c[1].i);
	int64_t mb = c[3].i;
	if (mb && !util_ivec_has(&m->mbs, mb))
		util_ivec_push(&m->mbs, mb);
	return 0;
}

static int signin_end(struct hctx *h)
{
	struct signin_acc *a = h->acc;
	if (!a->n || !h->mia.n) {
		signin_drop(h);
		return 0;
	}
	qsort(a->s, a->n, sizeof *a->s, cmp_signin);
	static const char *const cols[] = { "id", "ts", "op", "mailbox", "user" };
	struct util_imap rows = { 0 }; /* (user, ip) -> row index + 1 */
	int rc = 0;
	for (size_t i = 0; i < a->n && rc == 0; i++) {
		int64_t id = a->s[i].id, ts = a->s[i].ts, user = a->s[i].user, ip = a->s[i].ip;
		uint64_t key = util_pair_key(user, ip);
		if (!signin_new_ip(a, h->r->baseline_until, &a->s[i]))
			continue;
		const int64_t *ri = util_imap_get(&rows, key);
		if (ri) {
			/* the same sign-in as UAL and Entra record, or a later one */
			struct hunt_row *row = &h->r->rows[*ri - 1];
			if (ts <= hunt_add(row->first_ts, HOUR_MS))
				hunt_row_event(row, id, ts);
			continue;
		}
		struct store_pick p;
		store_pick_init(&p);
		p.field = "ip";
		p.ids = &ip;
		p.n = 1;
		p.ts_from = ts;
		p.ts_to = hunt_add(ts, HOUR_MS);
		p.by_ts = true;
		struct signin_mail m = { h, &h->mia, user, id, ts, NULL, { 0 }, 0, 0 };
		rc = hunt_pick(h, &p, cols, 5, signin_mail_one, &m);
		struct hunt_row *row = m.row;
		struct util_ivec mbs = m.mbs;
		int64_t first_mail = m.first_mail, own = m.own;
		if (rc < 0 || !row) {
			util_ivec_free(&mbs);
			continue;
		}
		*util_imap_slot(&rows, key, 0, NULL) = (int64_t)h->r->nrows;
		char *u = hunt_vtext(h, "user", user), *ipt = hunt_vtext(h, "ip", ip);
		hunt_row_set(row, 0, u);
		hunt_row_set(row, 1, ipt);
		hunt_row_time(row, 2, ts);
		hunt_row_time(row, 3, first_mail);
		hunt_row_num(row, 4, (first_mail - ts) / 60000);
		hunt_row_num(row, 5, (int64_t)row->nevents - 1);
		hunt_row_take(row, 6, hunt_id_list(h, "mailbox", &mbs));
		struct util_buf f = { 0 };
		hunt_filter_term(&f, "ip", ipt);
		hunt_filter_time(&f, ts, hunt_add(ts, HOUR_MS - 1));
		hunt_row_filter(row, &f);
		const int64_t *ipf = util_imap_get(&a->ip, (uint64_t)ip);
		bool tenant_new = ipf && *ipf > hunt_add(ts, -HOUR_MS);
		int64_t nmail = (int64_t)row->nevents - 1;
		/* an address the tenant already used (an office, a shared NAT)
		 * whose mail reads are other users' own is context */
		row->hit = tenant_new || own > 0;
		char *why =
			xasprintf("sign-in from an IP new for the user%s, then %" PRId64
				  " mail read%s from it %" PRId64 " min later%s",
				  tenant_new ? " and for the tenant" : "", nmail, nmail == 1 ? "" : "s",
				  (first_mail - ts) / 60000,
				  row->hit ? ""
					   : "; context: the tenant used the IP before, the reads are other users'");
		hunt_row_reason(row, row->hit ? 50 + (tenant_new ? 30 : 0) + (nmail < 20 ? (int)nmail : 20) : 0,
				why);
		if (!row->hit) {
			/* a row that is not a hit keeps no event ids */
			free(row->events);
			row->events = NULL;
		}
		free(why);
		free(u);
		free(ipt);
		util_ivec_free(&mbs);
	}
	util_imap_free(&rows);
	signin_drop(h);
	return rc;
}


const struct hunt_entry hunt_signin_then_mail = {
	.def = { HUNT_SIGNIN_THEN_MAIL, "signin-then-mail",
		 "sign-in from an IP new for the user, then mail read from it within an hour",
		 "A successful sign-in (Entra sign-in log or UAL UserLoggedIn) from an IP new for the user, "
		 "followed within an hour by mail read (MailItemsAccessed) from the same IP. Without "
		 "--baseline-until no date is assumed: an IP is new when no event of the user came from it more "
		 "than an hour before the sign-in, the user has a day of history before it, and the sign-in is more "
		 "than a day into the case. With --baseline-until, new means unseen before it. An IP the tenant used "
		 "before whose mail reads are all other users' is context (a shared address). Score: 50, plus 30 "
		 "when no user of the tenant came from the IP before, plus 1 per mail read (up to 20).",
		 HUNT_COLS(cols_signin) },
	.needs = HUNT_NEEDS_BASELINE,
	.order = HUNT_ORDER_TIME,
	.scan = { signin_begin, signin_row, signin_end, signin_drop, NULL, NULL, 0,
		  HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(kind) | HUNT_EV(op) | HUNT_EV(user) | HUNT_EV(ip) |
			  HUNT_EV(result) },
};
