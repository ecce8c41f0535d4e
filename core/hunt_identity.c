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
#include "timeparse.h"
#include "xalloc.h"

static const struct hunt_col cols_consent[] = {
	{ "time", HUNT_TIME }, { "op", HUNT_TEXT }, { "user", HUNT_TEXT }, { "app", HUNT_TEXT },
	{ "app_name", HUNT_TEXT }, { "why", HUNT_TEXT }, { "ip", HUNT_TEXT },
};
static const struct hunt_col cols_replay[] = {
	{ "kind", HUNT_TEXT }, { "id", HUNT_TEXT }, { "ips", HUNT_NUMBER }, { "ip_list", HUNT_TEXT },
	{ "users", HUNT_TEXT }, { "events", HUNT_NUMBER }, { "first", HUNT_TIME }, { "last", HUNT_TIME },
};
static const struct hunt_col cols_signin[] = {
	{ "user", HUNT_TEXT }, { "ip", HUNT_TEXT }, { "signin", HUNT_TIME }, { "mail", HUNT_TIME },
	{ "minutes", HUNT_NUMBER }, { "mail_events", HUNT_NUMBER }, { "mailboxes", HUNT_TEXT },
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

/*
 * The app id a consent-like record is about: the GUID that follows
 * "AppId" (additionalDetails, ExtendedProperties) or
 * "ServicePrincipalNames" (ModifiedProperties) in the raw text, whatever
 * the wrapper. Lower-case copy, or NULL.
 */
static char *consent_app(const char *raw)
{
	static const struct {
		const char *key;
		size_t within;
	} keys[] = { { "AppId", 40 }, { "ServicePrincipalNames", 80 } };
	for (size_t k = 0; k < 2; k++) {
		for (const char *p = raw; (p = hunt_raw_find(p, keys[k].key)); p++) {
			const char *q = p + strlen(keys[k].key);
			/* within the same {Name, Value} object: stop at its end */
			for (size_t i = 0; i < keys[k].within && q[i] && q[i] != '}' && q[i] != ']'; i++) {
				if (guid_at(q + i)) {
					char *id = xstrndup(q + i, 36);
					for (char *s = id; *s; s++)
						*s = (char)tolower((unsigned char)*s);
					return id;
				}
			}
		}
	}
	return NULL;
}

/* The display name of the consent's target: UAL Target[] of Type 1,
 * Entra targetResources[0].displayName. */
static char *consent_target(json_t *rec)
{
	size_t i;
	json_t *el;
	json_t *tr = json_object_get(rec, "targetResources");
	json_array_foreach(tr, i, el) {
		json_t *d = json_object_get(el, "displayName");
		if (json_is_string(d) && *json_string_value(d))
			return xstrdup(json_string_value(d));
	}
	json_t *t = json_object_get(rec, "Target");
	json_array_foreach(t, i, el) {
		json_t *ty = json_object_get(el, "Type"), *id = json_object_get(el, "ID");
		if (json_integer_value(ty) == 1 && json_is_string(id))
			return xstrdup(json_string_value(id));
	}
	return NULL;
}

static void eval_consent(const struct hunt_cand *c, json_t *rec, const char *text, struct hunt_facts *out)
{
	(void)c;
	out->app = consent_app(text);
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

static int consent_run(struct hctx *h)
{
	struct hunt_cand *c;
	struct hunt_facts *f;
	size_t n;
	if (hunt_raw_candidates(h, &c, &n, &f) < 0)
		return -1;
	/* app id -> earliest consent time, for the mail that follows */
	struct linked {
		char *app, *name;
		int64_t since;
	} *links = NULL;
	size_t nlinks = 0, lcap = 0;
	for (size_t i = 0; i < n; i++) {
		const char *app = f[i].app, *target = f[i].owner;
		struct hunt_row *row = hunt_raw_event_row(h, &c[i], 6, true);
		hunt_row_set(row, 3, app);
		const char *nm = app ? hunt_app_name(h, app) : NULL;
		hunt_row_set(row, 4, nm ? nm : target);
		struct util_buf why = { 0 };
		if (target)
			util_buf_item(&why, "; ", "target %s", target);
		if (app && knownapps_first_party(app))
			util_buf_item(&why, "; ", "a Microsoft app");
		hunt_row_take(row, 5, why.n ? util_buf_take(&why) : NULL);
		if (app && !knownapps_first_party(app)) {
			size_t j;
			for (j = 0; j < nlinks && strcmp(links[j].app, app) != 0; j++)
				;
			if (j == nlinks) {
				links = xgrow(links, &lcap, nlinks + 1, sizeof *links);
				links[nlinks].app = xstrdup(app);
				links[nlinks].name = nm ? xstrdup(nm) : target ? xstrdup(target) : NULL;
				links[nlinks].since = c[i].ts;
				nlinks++;
			} else if (c[i].ts < links[j].since) {
				links[j].since = c[i].ts;
			}
		}
	}
	hunt_raw_facts_free(f, n);
	hunt_raw_cands_free(c, n);
	/* mail read by each consented app afterwards (as app or client app) */
	sqlite3_stmt *q = NULL;
	if (nlinks && h->mia.n)
		q = hunt_prep_in(h,
			    "SELECT e.id, e.ts, e.mailbox, e.ip FROM events e WHERE e.op IN (%s) AND e.ts >= ?1"
			    " AND (e.app = (SELECT id FROM vals WHERE v = ?2)"
			    "   OR e.client_app = (SELECT id FROM vals WHERE v = ?2)) ORDER BY e.ts",
			    &h->mia, 3);
	for (size_t j = 0; q && j < nlinks && !h->err; j++) {
		sqlite3_bind_int64(q, 1, links[j].since);
		sqlite3_bind_text(q, 2, links[j].app, -1, SQLITE_STATIC);
		struct hunt_row *row = NULL;
		struct util_ivec mbs = { 0 }, ips = { 0 };
		int k;
		while ((k = sqlite3_step(q)) == SQLITE_ROW) {
			if (!row)
				row = hunt_row_new(h, true);
			hunt_row_event(row, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1));
			int64_t mb = hunt_col_id(q, 2), ip = hunt_col_id(q, 3);
			if (mb && !util_ivec_has(&mbs, mb))
				util_ivec_push(&mbs, mb);
			if (ip && !util_ivec_has(&ips, ip))
				util_ivec_push(&ips, ip);
		}
		sqlite3_reset(q);
		if (k != SQLITE_DONE)
			hunt_fail_db(h);
		if (row) {
			hunt_row_time(row, 0, row->first_ts);
			hunt_row_set(row, 1, "MailItemsAccessed");
			hunt_row_set(row, 3, links[j].app);
			hunt_row_set(row, 4, links[j].name);
			char *mbl = hunt_id_list(h, &mbs);
			hunt_row_take(row, 5, xasprintf("%zu mail reads of %zu mailbox%s after consent: %s", row->nevents,
						   mbs.n, mbs.n == 1 ? "" : "es", mbl));
			free(mbl);
			hunt_row_take(row, 6, hunt_id_list(h, &ips));
			struct util_buf fl = { 0 };
			hunt_filter_term(&fl, "op", "MailItemsAccessed");
			char *qa = hunt_filter_quote(links[j].app);
			util_buf_printf(&fl, " (app=%s or client_app=%s)", qa, qa);
			free(qa);
			char tf[40];
			time_format(links[j].since - links[j].since % 1000, tf, sizeof tf);
			memcpy(tf + 19, "Z", 2);
			util_buf_printf(&fl, " time>=%s", tf);
			hunt_row_filter(row, &fl);
		}
		util_ivec_free(&mbs);
		util_ivec_free(&ips);
	}
	sqlite3_finalize(q);
	for (size_t j = 0; j < nlinks; j++) {
		free(links[j].app);
		free(links[j].name);
	}
	free(links);
	return h->err ? -1 : 0;
}


const struct hunt_entry hunt_oauth_consent = {
	.def = { HUNT_OAUTH_CONSENT, "oauth-consent", "consents, permission grants, app credentials, then mail read by that app",
		 "Consents to applications, delegated and app-role permission grants, new service principals and "
		 "their credentials (from the UAL or Entra's audit log), each with the app it names; then, for "
		 "each consented app that is not a Microsoft first-party app, the mail it read afterwards.",
		 HUNT_COLS(cols_consent) },
	.needs = HUNT_NEEDS_APPS,
	.order = HUNT_ORDER_TIME,
	.raw = { consent_ops, true, eval_consent, NULL },
	.run = consent_run,
};

/* ------------------------------------------------------------------ */
/* token-replay */

struct idseen {
	int64_t ip;      /* the first IP, or -1 once a second one is seen */
	int64_t lo, hi;  /* first and last event id carrying the value */
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
	int rc = 0, k;
	if (n) {
		/* their events: a second look at the span of ids they occur in */
		sqlite3_stmt *q = hunt_prep(h, "SELECT id, ts, session, token, ip, user FROM events WHERE id BETWEEN ?1 AND ?2"
					  " AND (session IS NOT NULL OR token IS NOT NULL)");
		if (!q) {
			rc = -1;
		} else {
			sqlite3_bind_int64(q, 1, lo);
			sqlite3_bind_int64(q, 2, hi);
			while ((k = sqlite3_step(q)) == SQLITE_ROW) {
				for (int w = 0; w < 2; w++) {
					int64_t v = hunt_col_id(q, 2 + w);
					const int64_t *i = v ? util_imap_get(&idx[w], (uint64_t)v) : NULL;
					if (!i)
						continue;
					struct reused *r = &re[*i];
					if (!r->row) {
						r->row = h->r->nrows + 1;
						hunt_row_new(h, true);
					}
					hunt_row_event(&h->r->rows[r->row - 1], sqlite3_column_int64(q, 0),
						  sqlite3_column_int64(q, 1));
					int64_t ip = hunt_col_id(q, 4), user = hunt_col_id(q, 5);
					if (ip && !util_ivec_has(&r->ips, ip))
						util_ivec_push(&r->ips, ip);
					if (user && !util_ivec_has(&r->users, user))
						util_ivec_push(&r->users, user);
				}
			}
			sqlite3_finalize(q);
			if (k != SQLITE_DONE)
				rc = hunt_fail_db(h);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct reused *r = &re[i];
		if (r->row) {
			struct hunt_row *row = &h->r->rows[r->row - 1];
			char *v = hunt_vtext(h, r->val);
			hunt_row_set(row, 0, r->kind ? "token" : "session");
			hunt_row_set(row, 1, v);
			hunt_row_num(row, 2, (int64_t)r->ips.n);
			hunt_row_take(row, 3, hunt_id_list(h, &r->ips));
			hunt_row_take(row, 4, hunt_id_list(h, &r->users));
			hunt_row_num(row, 5, (int64_t)row->nevents);
			hunt_row_time(row, 6, row->first_ts);
			hunt_row_time(row, 7, row->last_ts);
			struct util_buf f = { 0 };
			hunt_filter_term(&f, r->kind ? "token" : "session", v);
			hunt_row_filter(row, &f);
			free(v);
		}
		util_ivec_free(&r->ips);
		util_ivec_free(&r->users);
	}
	util_imap_free(&idx[0]);
	util_imap_free(&idx[1]);
	free(re);
	return rc;
}


const struct hunt_entry hunt_token_replay = {
	.def = { HUNT_TOKEN_REPLAY, "token-replay", "one session or token id used from two or more IPs",
		 "A session id or a token id (UniqueTokenId) seen from two or more IP addresses: a stolen "
		 "session or token replayed from elsewhere. Every row is a hit.",
		 HUNT_COLS(cols_replay) },
	.order = HUNT_ORDER_TIME,
	.scan = { replay_begin, replay_row, replay_end, replay_drop,
		  "ip IS NOT NULL AND (session IS NOT NULL OR token IS NOT NULL)", NULL,
		  HUNT_EV(id) | HUNT_EV(ip) | HUNT_EV(session) | HUNT_EV(token) },
};

/* ------------------------------------------------------------------ */
/* signin-then-mail */

struct signin {
	int64_t id, ts, user, ip;
};

struct signin_acc {
	struct util_ivec ok, logon; /* results of a good Entra sign-in; UserLoggedIn */
	struct util_imap base;      /* the (user, ip) pairs of the baseline */
	struct signin *s;      /* successful sign-ins after it */
	size_t n, cap;
};

static int signin_begin(struct hctx *h)
{
	static const char *const ok_names[] = { "Success", "0", NULL };
	static const char *const logon_names[] = { "UserLoggedIn", NULL };
	struct signin_acc *a = h->acc = xcalloc(1, sizeof *a);
	if (hunt_val_ids(h, ok_names, false, &a->ok) < 0 || hunt_val_ids(h, logon_names, false, &a->logon) < 0)
		return -1;
	return 0;
}

static void signin_row(struct hctx *h, const struct hunt_ev *e)
{
	struct signin_acc *a = h->acc;
	if (!e->user || !e->ip)
		return;
	if (e->ts < h->r->baseline_until) {
		util_imap_slot(&a->base, util_pair_key(e->user, e->ip), 1, NULL);
		return;
	}
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
	util_imap_free(&a->base);
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

static int signin_end(struct hctx *h)
{
	struct signin_acc *a = h->acc;
	/* no baseline, no new IPs */
	if (!a->base.n || !a->n || !h->mia.n) {
		signin_drop(h);
		return 0;
	}
	qsort(a->s, a->n, sizeof *a->s, cmp_signin);
	sqlite3_stmt *mail = hunt_prep_in(h,
				     "SELECT id, ts, mailbox FROM events WHERE ip = ?1 AND ts >= ?2 AND ts <= ?3"
				     " AND op IN (%s) ORDER BY ts, id",
				     &h->mia, 4);
	if (!mail) {
		signin_drop(h);
		return -1;
	}
	struct util_imap rows = { 0 }; /* (user, ip) -> row index + 1 */
	int k = SQLITE_DONE;
	for (size_t i = 0; i < a->n && k == SQLITE_DONE; i++) {
		int64_t id = a->s[i].id, ts = a->s[i].ts, user = a->s[i].user, ip = a->s[i].ip;
		uint64_t key = util_pair_key(user, ip);
		if (util_imap_get(&a->base, key))
			continue;
		const int64_t *ri = util_imap_get(&rows, key);
		if (ri) {
			/* the same sign-in as UAL and Entra record, or a later one */
			struct hunt_row *row = &h->r->rows[*ri - 1];
			if (ts <= row->first_ts + HOUR_MS)
				hunt_row_event(row, id, ts);
			continue;
		}
		sqlite3_bind_int64(mail, 1, ip);
		sqlite3_bind_int64(mail, 2, ts);
		sqlite3_bind_int64(mail, 3, ts + HOUR_MS);
		struct hunt_row *row = NULL;
		struct util_ivec mbs = { 0 };
		int64_t first_mail = 0;
		while ((k = sqlite3_step(mail)) == SQLITE_ROW) {
			if (!row) {
				row = hunt_row_new(h, true);
				hunt_row_event(row, id, ts);
				first_mail = sqlite3_column_int64(mail, 1);
			}
			hunt_row_event(row, sqlite3_column_int64(mail, 0), sqlite3_column_int64(mail, 1));
			int64_t mb = hunt_col_id(mail, 2);
			if (mb && !util_ivec_has(&mbs, mb))
				util_ivec_push(&mbs, mb);
		}
		sqlite3_reset(mail);
		if (k != SQLITE_DONE || !row) {
			util_ivec_free(&mbs);
			continue;
		}
		*util_imap_slot(&rows, key, 0, NULL) = (int64_t)h->r->nrows;
		char *u = hunt_vtext(h, user), *ipt = hunt_vtext(h, ip);
		hunt_row_set(row, 0, u);
		hunt_row_set(row, 1, ipt);
		hunt_row_time(row, 2, ts);
		hunt_row_time(row, 3, first_mail);
		hunt_row_num(row, 4, (first_mail - ts) / 60000);
		hunt_row_num(row, 5, (int64_t)row->nevents - 1);
		hunt_row_take(row, 6, hunt_id_list(h, &mbs));
		struct util_buf f = { 0 };
		hunt_filter_term(&f, "ip", ipt);
		hunt_filter_time(&f, ts, ts + HOUR_MS - 1);
		hunt_row_filter(row, &f);
		free(u);
		free(ipt);
		util_ivec_free(&mbs);
	}
	sqlite3_finalize(mail);
	util_imap_free(&rows);
	signin_drop(h);
	return k == SQLITE_DONE ? 0 : hunt_fail_db(h);
}


const struct hunt_entry hunt_signin_then_mail = {
	.def = { HUNT_SIGNIN_THEN_MAIL, "signin-then-mail",
		 "sign-in from an IP new for the user, then mail read from it within an hour",
		 "A successful sign-in (Entra sign-in log or UAL UserLoggedIn) after the baseline "
		 "(--baseline-until, else the middle of the case's time span) from an IP the user did not use "
		 "during it, followed within an hour by mail read (MailItemsAccessed) from the same IP.",
		 HUNT_COLS(cols_signin) },
	.needs = HUNT_NEEDS_BASELINE,
	.order = HUNT_ORDER_TIME,
	.scan = { signin_begin, signin_row, signin_end, signin_drop, "user IS NOT NULL AND ip IS NOT NULL", NULL,
		  HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(kind) | HUNT_EV(op) | HUNT_EV(user) | HUNT_EV(ip) |
			  HUNT_EV(result) },
};
