/*
 * hunt_identity.c: the hunts about sessions and sign-ins: token-replay
 * (one session or token from several IPs) and signin-then-mail (a
 * sign-in from a new IP, then mail read from it), both scans
 * (hunt_entry.h). oauth-consent, the identity hunt that reads raw
 * records, is in hunt_consent.c.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "geoplaces.h"
#include "hunt_entry.h"
#include "ipgeo.h"
#include "store.h"
#include "xalloc.h"

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

/*
 * A store that can tell which sessions and tokens came from two or more
 * IPs (store_reused: a server groups them) fills the accumulator at
 * once, and the hunt needs no pass: each such value as replay_row would
 * leave it, its span of ids unknown (the whole case).
 */
static int replay_begin(struct hctx *h)
{
	struct replay_acc *a = h->acc = xcalloc(1, sizeof(struct replay_acc));
	static const char *const fields[2] = { "session", "token" };
	struct util_ivec got[2] = { { 0 }, { 0 } };
	int rc = 1;
	for (int w = 0; w < 2 && rc == 1; w++) {
		char *why = NULL;
		rc = store_reused(h->st, fields[w], "ip", h->o.progress.fn ? &h->o.progress : NULL, &got[w].v,
				  &got[w].n, &why);
		if (rc < 0) {
			util_ivec_free(&got[0]);
			util_ivec_free(&got[1]);
			return hunt_fail(h, why);
		}
	}
	for (int w = 0; w < 2 && rc == 1; w++) {
		for (size_t i = 0; i < got[w].n; i++) {
			bool isnew;
			int64_t *si = util_imap_slot(&a->seen[w], (uint64_t)got[w].v[i], 0, &isnew);
			if (!isnew)
				continue;
			a->sv = xgrow(a->sv, &a->cap, a->nsv + 1, sizeof *a->sv);
			a->sv[a->nsv] = (struct idseen){ -1, INT64_MIN, INT64_MAX };
			*si = (int64_t)a->nsv++;
		}
	}
	h->fed = rc == 1;
	util_ivec_free(&got[0]);
	util_ivec_free(&got[1]);
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

/*
 * The one network (AS number) all of ips are in, or 0 when they are in
 * several or one is not placed. A session whose addresses all belong to
 * one network is a dual-stack client (Exchange records its IPv6 address,
 * the sign-in log its IPv4 one) or a carrier moving a phone between its
 * addresses, not a token carried elsewhere.
 */
static int64_t replay_one_network(const struct replay_geo *geo, const struct util_ivec *ips)
{
	int64_t asn = 0;
	for (size_t i = 0; i < ips->n; i++) {
		const int64_t *at = util_imap_get(&geo->at, (uint64_t)ips->v[i]);
		int64_t a = at ? geo->g[*at].asn : 0;
		if (!a || (asn && a != asn))
			return 0;
		asn = a;
	}
	return asn;
}

/*
 * Are ips (value ids) one site: every IPv4 address in one /24 and every
 * IPv6 address in one /48? A dual-stack client shows one address of each
 * family (a home's IPv6 prefix is a /48 to a /64). A token replayed from
 * another host of the same network (a cloud VM beside the victim's, a
 * neighbour on the same ISP: same AS, another /16) is not one site, nor
 * is one network by itself proof of one client (wave 25: a session
 * replayed from another Comcast address or another AWS host was context).
 */
static bool replay_one_site(struct hctx *h, const struct util_ivec *ips)
{
	unsigned char v4[4], v6[16], a4[4], a6[16];
	bool have4 = false, have6 = false, one = true;
	for (size_t i = 0; i < ips->n && one; i++) {
		char *t = hunt_vtext(h, "ip", ips->v[i]);
		char *pct = t ? strchr(t, '%') : NULL;
		if (pct)
			*pct = '\0';
		if (t && inet_pton(AF_INET, t, a4) == 1) {
			one = !have4 || !memcmp(v4, a4, 3);
			memcpy(v4, a4, sizeof v4);
			have4 = true;
		} else if (t && inet_pton(AF_INET6, t, a6) == 1) {
			one = !have6 || !memcmp(v6, a6, 6);
			memcpy(v6, a6, sizeof v6);
			have6 = true;
		} else {
			one = false;
		}
		free(t);
	}
	return one;
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

/* Reused sessions and tokens up to this many narrow their second look */
#define REPLAY_ALSO_MAX 2000

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
		/* and only the events with one of them: where ids are not in
		 * load order (ClickHouse's are hashes) the span is every event,
		 * and the store then sends only these (a few bound values) */
		int64_t *vals = NULL;
		if (n <= REPLAY_ALSO_MAX) {
			vals = xmalloc(n * sizeof *vals);
			for (size_t i = 0; i < n; i++)
				vals[i] = re[i].val;
			p.also.fields[0] = "session";
			p.also.fields[1] = "token";
			p.also.ids = vals;
			p.also.n = n;
		}
		struct replay_look x = { h, re, { &idx[0], &idx[1] } };
		rc = hunt_pick(h, &p, cols, 6, replay_event, &x);
		free(vals);
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
			/* one network is context for a carrier's phone (it moves
			 * between the carrier's addresses) or one site (a
			 * dual-stack client); else another host of the network */
			int64_t one = replay_one_network(&geo, &r->ips);
			const int64_t *g0 = r->ips.n ? util_imap_get(&geo.at, (uint64_t)r->ips.v[0]) : NULL;
			bool mobile = one && g0 && geoplaces_is_mobile(geo.g[*g0].as_org);
			if (one && !mobile && !replay_one_site(h, &r->ips)) {
				char *w = xasprintf("%s; all from one network (AS%" PRId64
						    ") but from more than one site (another /24 or IPv6 /48): "
						    "another host of the same network",
						    why, one);
				free(why);
				why = w;
				one = 0;
			}
			if (one) {
				char *w = xasprintf("%s; context: all from one network (AS%" PRId64 ": %s)",
						    why, one,
						    mobile ? "a mobile carrier's changing addresses"
							   : "one site, a dual-stack client");
				free(why);
				why = w;
				row->hit = false;
				free(row->events); /* a row that is not a hit keeps no event ids */
				row->events = NULL;
			}
			int score = one ? 0 : 40 + 20 * (int)(r->ips.n - 1);
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
		 "(from the offline IP databases). A value whose IPs all belong to one mobile carrier's network "
		 "(its changing addresses), or to one network and one site (IPv4 in one /24, IPv6 in one /48: a "
		 "dual-stack client) is context; every other row is a hit, another host of the victim's network "
		 "included. Score: 40, plus "
		 "20 per IP after the first.",
		 HUNT_COLS(cols_replay) },
	.order = HUNT_ORDER_TIME,
	.scan = { replay_begin, replay_row, replay_end, replay_drop, NULL, NULL, 0,
		  HUNT_EV(id) | HUNT_EV(ip) | HUNT_EV(session) | HUNT_EV(token),
		  /* each event's session and token: no groups */
		  false },
};

/* ------------------------------------------------------------------ */
/* signin-then-mail */

struct signin {
	int64_t id, ts, user, ip;
};

/*
 * Without --baseline-until, an IP is new for a user when no event of the
 * user came from it more than an hour before the sign-in (the failed
 * attempts just before a break-in are not history), the user has history
 * in the case (an event with an address of its own, not the tenant's
 * shared exit, more than an hour before it, however short that history
 * is), and the sign-in comes more than a day
 * after the case's first event: wherever in the range that is. A user
 * with no such earlier event is not judged. (Until wave 23 the user's
 * history had to span a day as well: an intrusion on the case's second
 * day, 9 h after its user's first event, was missed: e2e_hunt_dates.)
 * With --baseline-until, new means unseen before it.
 */
#define SIGNIN_SETTLE_MS DAY_MS

/* An address that SIGNIN_SHARED_MIN or more users, and a quarter or
 * more of those who signed in at all, signed in from is the tenant's
 * own (an office, VPN or proxy exit; hunt_places.c says the same): a
 * user's first own address after days seen only through it is no new
 * IP against a history, since the user had none of their own. */
#define SIGNIN_SHARED_MIN 5
/* ... on a hosting provider's network or an unknown one, more than
 * half of them (hunt_exit_breadth: a phishing proxy that catches a
 * quarter of the tenant is no exit, whenever in the case it starts) */
/* ... and that SIGNIN_SHARED_MIN or more of its users sign in from again
 * and again, over SIGNIN_HABIT_MS or half the case's sign-ins' span
 * (hunt_places.c's HABIT_MS: a proxy that catches five users in the
 * case's first hour sees each of them once) */
#define SIGNIN_HABIT_MS (12 * HOUR_MS)

struct upair {
	int64_t user, ip;
	int64_t first, last; /* the pair's first and last event */
};

struct signin_acc {
	struct util_ivec ok, logon; /* results of a good Entra sign-in; UserLoggedIn */
	/* (user, ip) -> index into pairs; with a baseline: seen before it */
	struct util_imap pair;
	struct upair *pairs; /* without a baseline */
	size_t npairs, cappairs;
	struct util_imap user;   /* user -> first event from an address of the user's own */
	struct util_imap ulast;  /* user -> last event from an address of the user's own */
	struct util_imap shared; /* the tenant's own addresses (a set) */
	struct util_imap ip;     /* ip -> first event, any user */
	int64_t cov0;            /* the first event with a user and an IP */
	struct signin *s;        /* successful sign-ins */
	size_t n, cap;
};

static void keep_min(struct util_imap *m, uint64_t key, int64_t ts)
{
	int64_t *v = util_imap_slot(m, key, ts, NULL);
	if (ts < *v)
		*v = ts;
}

/* The tenant's own addresses (SIGNIN_SHARED_MIN), and each user's first
 * event from an address that is not one: a->shared and a->user. */
static int signin_own(struct hctx *h, struct signin_acc *a)
{
	struct util_imap seen = { 0 }, users = { 0 }, signed_in = { 0 }, habit = { 0 };
	/* a->s is in time order: the case's first and last sign-in */
	int64_t first = a->n ? a->s[0].ts : INT64_MAX, last = a->n ? a->s[a->n - 1].ts : INT64_MIN;
	int64_t half = a->n ? hunt_gap(last, first) / 2 : 0;
	int64_t span = half < SIGNIN_HABIT_MS ? half : SIGNIN_HABIT_MS;
	for (size_t i = 0; i < a->n; i++) {
		bool isnew;
		/* (user, ip) -> its first sign-in; INT64_MIN once a habit */
		int64_t *f = util_imap_slot(&seen, util_pair_key(a->s[i].user, a->s[i].ip), a->s[i].ts, &isnew);
		if (isnew)
			(*util_imap_slot(&users, (uint64_t)a->s[i].ip, 0, NULL))++;
		else if (*f != INT64_MIN && hunt_gap(a->s[i].ts, *f) >= span) {
			*f = INT64_MIN;
			(*util_imap_slot(&habit, (uint64_t)a->s[i].ip, 0, NULL))++;
		}
		util_imap_slot(&signed_in, (uint64_t)a->s[i].user, 0, NULL);
	}
	/* the candidates, then their networks (a few addresses) */
	struct util_ivec cand = { 0 };
	for (size_t i = 0; i < users.cap; i++) {
		if (!users.keys[i] || users.vals[i] < SIGNIN_SHARED_MIN ||
		    users.vals[i] * 4 < (int64_t)signed_in.n)
			continue;
		const int64_t *hb = util_imap_get(&habit, users.keys[i]);
		if (hb && *hb >= SIGNIN_SHARED_MIN)
			util_ivec_push(&cand, (int64_t)users.keys[i]);
	}
	int rc = 0;
	if (cand.n) {
		struct ipgeo_row *g = xcalloc(cand.n, sizeof *g);
		char *cause = NULL;
		rc = ipgeo_of_ids(h->st, cand.v, cand.n, g, &cause);
		if (rc < 0)
			hunt_fail(h, cause);
		for (size_t i = 0; rc == 0 && i < cand.n; i++)
			if (hunt_exit_breadth(*util_imap_get(&users, (uint64_t)cand.v[i]),
					      (int64_t)signed_in.n, g[i].asn))
				util_imap_slot(&a->shared, (uint64_t)cand.v[i], 1, NULL);
		for (size_t i = 0; i < cand.n; i++)
			ipgeo_row_clear(&g[i]);
		free(g);
	}
	util_ivec_free(&cand);
	util_imap_free(&habit);
	for (size_t i = 0; i < a->npairs; i++) {
		if (util_imap_get(&a->shared, (uint64_t)a->pairs[i].ip))
			continue;
		keep_min(&a->user, (uint64_t)a->pairs[i].user, a->pairs[i].first);
		int64_t *l = util_imap_slot(&a->ulast, (uint64_t)a->pairs[i].user, a->pairs[i].last, NULL);
		if (a->pairs[i].last > *l)
			*l = a->pairs[i].last;
	}
	util_imap_free(&seen);
	util_imap_free(&users);
	util_imap_free(&signed_in);
	return rc;
}

/*
 * Is the sign-in's IP new for its user (see above)? Where the past says
 * nothing (the case's first day, or a user without an earlier event of
 * their own), the user's later habit does: an address the user comes
 * from only within a day of the sign-in, while the user's own addresses
 * are seen more than a day after it, is new. An intruder in the case's
 * first hour was never judged (wave 25: tests/e2e_hunt_scenarios.sh
 * first_hour_logons); the user's own address in the first hour is seen
 * again on later days.
 */
static bool signin_new_ip(const struct signin_acc *a, int64_t B, const struct signin *s)
{
	const int64_t *p = util_imap_get(&a->pair, util_pair_key(s->user, s->ip));
	if (B != INT64_MIN)
		return s->ts >= B && !p;
	if (!p || util_imap_get(&a->shared, (uint64_t)s->ip))
		return false;
	const struct upair *q = &a->pairs[*p];
	if (q->first <= hunt_add(s->ts, -HOUR_MS))
		return false;
	const int64_t *u = util_imap_get(&a->user, (uint64_t)s->user);
	if (u && *u < hunt_add(s->ts, -HOUR_MS) && s->ts > hunt_add(a->cov0, SIGNIN_SETTLE_MS))
		return true;
	const int64_t *ul = util_imap_get(&a->ulast, (uint64_t)s->user);
	return q->last <= hunt_add(s->ts, DAY_MS) && ul && *ul > hunt_add(s->ts, DAY_MS);
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
		bool isnew;
		int64_t *v =
			util_imap_slot(&a->pair, util_pair_key(e->user, e->ip), (int64_t)a->npairs, &isnew);
		if (isnew) {
			a->pairs = xgrow(a->pairs, &a->cappairs, a->npairs + 1, sizeof *a->pairs);
			a->pairs[a->npairs++] = (struct upair){ e->user, e->ip, e->ts, e->ts_last };
		}
		struct upair *q = &a->pairs[*v];
		if (e->ts < q->first)
			q->first = e->ts;
		if (e->ts_last > q->last)
			q->last = e->ts_last;
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
	util_imap_free(&a->ulast);
	util_imap_free(&a->shared);
	free(a->pairs);
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

/*
 * Is ip (a value id) in a mobile carrier's network (geoplaces.h)? A
 * carrier puts its phones behind shared gateways and hands them a new
 * address on most connections, so an address new for the user there
 * says nothing: a user's own phone is the usual sign-in "from a new IP"
 * (generator seed 3 without an intrusion: Outlook Mobile from T-Mobile
 * USA was this hunt's one hit). new-place and impossible-travel leave
 * the carriers' networks out for the same reason. False when the case
 * has no place for the address.
 */
static bool signin_mobile(struct hctx *h, int64_t ip)
{
	struct ipgeo_row g = { 0 };
	char *why = NULL;
	bool mobile = ipgeo_of_ids(h->st, &ip, 1, &g, &why) == 0 && g.as_org && geoplaces_is_mobile(g.as_org);
	ipgeo_row_clear(&g);
	free(why);
	return mobile;
}

static int signin_end(struct hctx *h)
{
	struct signin_acc *a = h->acc;
	if (!a->n || !h->mia.n) {
		signin_drop(h);
		return 0;
	}
	qsort(a->s, a->n, sizeof *a->s, cmp_signin);
	if (h->r->baseline_until == INT64_MIN && signin_own(h, a) < 0) {
		signin_drop(h);
		return -1;
	}
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
		bool mobile = signin_mobile(h, ip);
		/* an address the tenant already used (an office, a shared NAT)
		 * whose mail reads are other users' own is context; so is a
		 * mobile carrier's address (below) */
		row->hit = (tenant_new || own > 0) && !mobile;
		char *why =
			xasprintf("sign-in from an IP new for the user%s, then %" PRId64
				  " mail read%s from it %" PRId64 " min later%s",
				  tenant_new ? " and for the tenant" : "", nmail, nmail == 1 ? "" : "s",
				  (first_mail - ts) / 60000,
				  row->hit ? ""
				  : mobile ? "; context: a mobile carrier's network (its phones get a new address on most "
					     "connections)"
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
		 "than an hour before the sign-in, the user has an event from an address of its own (not one five or "
		 "more users, and a quarter of those who signed in, sign in from, more than half on a hosting provider's or "
		 "an unknown network, five or more of them again and again: an "
		 "office, VPN or proxy exit) more "
		 "than an hour before it, and the sign-in "
		 "is more than a day into the case; where the past says nothing (the case's first day, a user "
		 "without such an earlier event), when the user comes from it only within a day of the sign-in "
		 "while the user's own addresses are seen more than a day after it. With --baseline-until, new "
		 "means unseen before it. An IP the "
		 "tenant used before whose mail reads are all other users' is context (a shared address), and so is "
		 "an address of a mobile carrier's network (phones get a new one on most connections). Score: 50, "
		 "plus 30 "
		 "when no user of the tenant came from the IP before, plus 1 per mail read (up to 20).",
		 HUNT_COLS(cols_signin) },
	.needs = HUNT_NEEDS_BASELINE,
	.order = HUNT_ORDER_TIME,
	.scan = { signin_begin, signin_row, signin_end, signin_drop, NULL, NULL, 0,
		  HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(kind) | HUNT_EV(op) | HUNT_EV(user) | HUNT_EV(ip) |
			  HUNT_EV(result),
		  true },
};
