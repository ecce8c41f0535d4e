/*
 * hunt_places.c: hunts on where sign-ins and mail reads come from, by
 * the places the load gave each IP (core/ipgeo.h) and what geoplaces.h
 * knows about networks and countries:
 *
 *  - new-place: a country, or a network (autonomous system), new for the
 *    user against the user's own history;
 *  - hosting-signin: sign-ins and mail reads from hosting and cloud
 *    providers (a curated list, geoplaces.c);
 *  - impossible-travel: consecutive sign-ins of a user between countries
 *    too far apart for the time between them.
 *
 * Scan hunts: one pass of the narrow events (no SQL here: the scan and
 * the places come through the store's interface), aggregated per (user,
 * IP) pair; the places are read once per distinct IP at the end.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "event.h"
#include "geoip.h"
#include "geoplaces.h"
#include "hunt_entry.h"
#include "ipgeo.h"
#include "xalloc.h"

static const struct hunt_col cols_newplace[] = {
	{ "user", HUNT_TEXT },  { "new", HUNT_TEXT },          { "place", HUNT_TEXT },
	{ "first", HUNT_TIME }, { "sign_ins", HUNT_NUMBER },   { "mail_reads", HUNT_NUMBER },
	{ "ips", HUNT_TEXT },   { "known_before", HUNT_TEXT },
};
static const struct hunt_col cols_hosting[] = {
	{ "user", HUNT_TEXT },        { "provider", HUNT_TEXT },     { "network", HUNT_TEXT },
	{ "countries", HUNT_TEXT },   { "ips", HUNT_TEXT },          { "sign_ins", HUNT_NUMBER },
	{ "succeeded", HUNT_NUMBER }, { "mail_reads", HUNT_NUMBER }, { "first", HUNT_TIME },
	{ "last", HUNT_TIME },
};
static const struct hunt_col cols_travel[] = {
	{ "user", HUNT_TEXT },       { "from_time", HUNT_TIME }, { "from_ip", HUNT_TEXT },
	{ "from_place", HUNT_TEXT }, { "to_time", HUNT_TIME },   { "to_ip", HUNT_TEXT },
	{ "to_place", HUNT_TEXT },   { "min_km", HUNT_NUMBER },  { "minutes", HUNT_NUMBER },
	{ "km_per_h", HUNT_NUMBER },
};

/* Faster than an airliner over the least distance between the two
 * countries (geoplaces.h) */
#define TRAVEL_KMH 1000.0

/* ------------------------------------------------------------------ */
/* The shared accumulator: per (user, IP), what came from it */

struct pair {
	int64_t user, ip;
	int64_t first_s, first_m; /* first sign-in, first mail read (INT64_MAX: none) */
	int64_t last_s;           /* last successful sign-in (INT64_MIN: none) */
	int64_t first, last;      /* of either */
	int64_t id_s, id_m;       /* their event ids */
	int64_t kind_s;           /* the kind of log of the first sign-in */
	int64_t signins, ok, mail;
};

struct signin {
	int64_t id, ts, user, ip;
};

struct pacc {
	struct util_ivec ok, logon, failed;
	struct util_imap idx;    /* (user, ip) -> index into p */
	struct util_imap ufirst; /* user -> first event of any kind with an IP */
	struct pair *p;
	size_t n, cap;
	struct signin *s; /* successful sign-ins (impossible-travel) */
	size_t ns, caps;
	bool want_signins;
	int64_t kind_first[KIND_COUNT];
	/* at the end: the places of the distinct IPs */
	struct util_imap ipix; /* ip -> index into places */
	struct ipgeo_row *places;
	size_t nplaces;
	bool *shared; /* per place: the tenant's own address (shared_ips) */
};

/*
 * The tenant's own addresses: an office's, a VPN's or a proxy's exit,
 * which SHARED_MIN or more of the tenant's users, and a quarter or more
 * of those who signed in at all, signed in from successfully. Its
 * country says where the exit is, not where the user is: a user at home
 * in one country who signs in through the office exit in another has not
 * travelled, nor come from a new place (every impossible-travel hit and
 * a fifth of new-place's on generator seeds 3, 5, 7, 11 without an
 * intrusion were the one office address all 50 users share). An
 * intruder's address signs in as one user, or a few.
 */
#define SHARED_MIN 5
/*
 * ... and, on a hosting provider's network (geoplaces_hosting) or one
 * the case does not know, that more than half of those who signed in
 * signed in from (exit_breadth). A phishing proxy (AiTM) that catches
 * five of a 20-user tenant's users has as many users as an exit; wave 25
 * told them apart by when the address was first used (from the case's
 * first day: an exit), so an exit the tenant starts using mid-case (a
 * new office proxy) was judged as any address, and an intruder who kept
 * signing in as five victims through a proxy for 12 hours from the
 * case's first hour made it the tenant's exit and went unseen by
 * new-place, impossible-travel and signin-then-mail. Where an address
 * is and who owns it does not depend on when the case starts: an
 * office's or a VPN's exit on an access network, used by a quarter of
 * the tenant, is its exit whenever it starts; an intruder's proxy on a
 * cloud host must carry most of the tenant to be taken for one
 * (tests/e2e_hunt_scenarios.sh new_exit, proxy_kept).
 */
/*
 * ... and that SHARED_MIN or more of its users sign in from again and
 * again: a user's sign-ins through it span HABIT_MS or more (or half the
 * span of the case's sign-ins, when that is shorter). A phishing proxy
 * that catches five users in the case's first hour is in use from the
 * first day, but each victim signs in through it once (the lead's ask,
 * wave 25: tests/e2e_hunt_scenarios.sh aitm_first_day).
 */
#define HABIT_MS (12 * HOUR_MS)

bool hunt_exit_breadth(int64_t users, int64_t signed_in, int64_t asn)
{
	if (users * 4 < signed_in)
		return false;
	return users * 2 > signed_in || (asn > 0 && asn <= UINT32_MAX && !geoplaces_hosting((uint32_t)asn));
}

/* The span a user's sign-ins from one address must reach for it to be
 * the user's habit, in a case whose sign-ins run from first to last. */
static int64_t habit_ms(int64_t first, int64_t last)
{
	int64_t half = first < last ? hunt_gap(last, first) / 2 : 0;
	return half < HABIT_MS ? half : HABIT_MS;
}

static int pacc_begin(struct hctx *h, bool want_signins)
{
	static const char *const ok_names[] = { "Success", "0", NULL };
	static const char *const logon[] = { "UserLoggedIn", NULL };
	static const char *const failed[] = { "UserLoginFailed", NULL };
	struct pacc *a = h->acc = xcalloc(1, sizeof *a);
	a->want_signins = want_signins;
	for (int k = 0; k < KIND_COUNT; k++)
		a->kind_first[k] = INT64_MAX;
	if (hunt_val_ids(h, "result", ok_names, false, &a->ok) < 0 ||
	    hunt_val_ids(h, "op", logon, false, &a->logon) < 0 ||
	    hunt_val_ids(h, "op", failed, false, &a->failed) < 0)
		return -1;
	return 0;
}

static void pacc_row(struct hctx *h, const struct hunt_ev *e)
{
	struct pacc *a = h->acc;
	if (e->kind >= 0 && e->kind < KIND_COUNT && e->ts < a->kind_first[e->kind])
		a->kind_first[e->kind] = e->ts;
	if (!e->user || !e->ip)
		return;
	bool logon = hunt_in_ids(&a->logon, e->op);
	bool signin = e->kind == KIND_SIGNIN || logon || hunt_in_ids(&a->failed, e->op);
	bool ok = (e->kind == KIND_SIGNIN && hunt_in_ids(&a->ok, e->result)) || logon;
	bool mail = hunt_in_ids(&h->mia, e->op);
	int64_t *uf = util_imap_slot(&a->ufirst, (uint64_t)e->user, e->ts, NULL);
	if (e->ts < *uf)
		*uf = e->ts;
	if (!signin && !mail)
		return;
	bool isnew;
	int64_t *ix = util_imap_slot(&a->idx, util_pair_key(e->user, e->ip), 0, &isnew);
	if (isnew) {
		a->p = xgrow(a->p, &a->cap, a->n + 1, sizeof *a->p);
		a->p[a->n] = (struct pair){ .user = e->user,
					    .ip = e->ip,
					    .first_s = INT64_MAX,
					    .first_m = INT64_MAX,
					    .last_s = INT64_MIN,
					    .first = e->ts,
					    .last = e->ts_last };
		*ix = (int64_t)a->n++;
	}
	struct pair *p = &a->p[*ix];
	if (e->ts < p->first)
		p->first = e->ts;
	if (e->ts_last > p->last)
		p->last = e->ts_last;
	if (signin) {
		p->signins++;
		if (ok) {
			p->ok++;
			if (e->ts > p->last_s)
				p->last_s = e->ts;
			/* the first success is the sign-in that counts */
			if (e->ts < p->first_s) {
				p->first_s = e->ts;
				p->id_s = e->id;
				p->kind_s = e->kind;
			}
		}
	}
	if (mail) {
		p->mail += e->n;
		if (e->ts < p->first_m) {
			p->first_m = e->ts;
			p->id_m = e->id;
		}
	}
	if (ok && a->want_signins) {
		a->s = xgrow(a->s, &a->caps, a->ns + 1, sizeof *a->s);
		a->s[a->ns++] = (struct signin){ e->id, e->ts, e->user, e->ip };
	}
}

static void pacc_drop(struct hctx *h)
{
	struct pacc *a = h->acc;
	if (!a)
		return;
	util_ivec_free(&a->ok);
	util_ivec_free(&a->logon);
	util_ivec_free(&a->failed);
	util_imap_free(&a->idx);
	util_imap_free(&a->ufirst);
	util_imap_free(&a->ipix);
	for (size_t i = 0; i < a->nplaces; i++)
		ipgeo_row_clear(&a->places[i]);
	free(a->places);
	free(a->shared);
	free(a->p);
	free(a->s);
	free(a);
	h->acc = NULL;
}

/* Read the places of every IP the pairs name, once each. */
static int pacc_places(struct hctx *h)
{
	struct pacc *a = h->acc;
	struct util_ivec ips = { 0 };
	for (size_t i = 0; i < a->n; i++) {
		bool isnew;
		int64_t *v = util_imap_slot(&a->ipix, (uint64_t)a->p[i].ip, (int64_t)ips.n, &isnew);
		if (isnew)
			util_ivec_push(&ips, a->p[i].ip);
		(void)v;
	}
	a->places = xcalloc(ips.n ? ips.n : 1, sizeof *a->places);
	a->nplaces = ips.n;
	char *cause = NULL;
	int r = ipgeo_of_ids(h->st, ips.v, ips.n, a->places, &cause);
	util_ivec_free(&ips);
	if (r < 0) {
		a->nplaces = 0;
		return hunt_fail(h, cause);
	}
	/* the users who signed in from each address, and at all; the
	 * case's first and last sign-in */
	int64_t *users = xcalloc(a->nplaces ? a->nplaces : 1, sizeof *users);
	int64_t *habit = xcalloc(a->nplaces ? a->nplaces : 1, sizeof *habit);
	int64_t first = INT64_MAX, last = INT64_MIN;
	struct util_imap signed_in = { 0 };
	for (size_t i = 0; i < a->n; i++) {
		if (!a->p[i].ok)
			continue;
		int64_t k = *util_imap_get(&a->ipix, (uint64_t)a->p[i].ip);
		users[k]++;
		if (a->p[i].first_s < first)
			first = a->p[i].first_s;
		if (a->p[i].last_s > last)
			last = a->p[i].last_s;
		util_imap_slot(&signed_in, (uint64_t)a->p[i].user, 0, NULL);
	}
	int64_t span = habit_ms(first, last);
	for (size_t i = 0; i < a->n; i++)
		if (a->p[i].ok > 1 && hunt_gap(a->p[i].last_s, a->p[i].first_s) >= span)
			habit[*util_imap_get(&a->ipix, (uint64_t)a->p[i].ip)]++;
	a->shared = xcalloc(a->nplaces ? a->nplaces : 1, sizeof *a->shared);
	for (size_t i = 0; i < a->nplaces; i++)
		a->shared[i] = users[i] >= SHARED_MIN && habit[i] >= SHARED_MIN &&
			       hunt_exit_breadth(users[i], (int64_t)signed_in.n, a->places[i].asn);
	free(users);
	free(habit);
	util_imap_free(&signed_in);
	return 0;
}

/* Is every one of ips (value ids) the tenant's own address, or (with
 * or_mobile) that or a mobile carrier's? */
static bool all_shared(const struct pacc *a, const struct util_ivec *ips, bool or_mobile)
{
	for (size_t i = 0; i < ips->n; i++) {
		const int64_t *k = util_imap_get(&a->ipix, (uint64_t)ips->v[i]);
		if (!k || !(a->shared[*k] || (or_mobile && geoplaces_is_mobile(a->places[*k].as_org))))
			return false;
	}
	return ips->n > 0;
}

/* Does every one of ips come through a mobile carrier's network? */
static bool all_mobile(const struct pacc *a, const struct util_ivec *ips)
{
	for (size_t i = 0; i < ips->n; i++) {
		const int64_t *k = util_imap_get(&a->ipix, (uint64_t)ips->v[i]);
		if (!k || !geoplaces_is_mobile(a->places[*k].as_org))
			return false;
	}
	return ips->n > 0;
}

static const struct ipgeo_row *place_of(const struct pacc *a, int64_t ip)
{
	const int64_t *i = util_imap_get(&a->ipix, (uint64_t)ip);
	return i && (size_t)*i < a->nplaces ? &a->places[*i] : NULL;
}

/* A place that says where a person is: a country, not a labelled range
 * (private, Microsoft's own, documentation, ...). */
static bool placed(const struct ipgeo_row *g)
{
	return g && g->country && g->country[0] && !(g->label && g->label[0]);
}

static char *network_text(const struct ipgeo_row *g)
{
	return xasprintf("AS%" PRId64 "%s%s", g->asn, g->as_org ? " " : "", g->as_org ? g->as_org : "");
}

static int cmp_pair_user(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;
	if (a->user != b->user)
		return a->user < b->user ? -1 : 1;
	int64_t fa = a->first, fb = b->first;
	return fa < fb ? -1 : fa > fb;
}

struct evt {
	int64_t id, ts;
};

static int cmp_evt(const void *x, const void *y)
{
	const struct evt *a = x, *b = y;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* The events behind a row, in ascending id as rows keep them. */
static void row_events(struct hunt_row *row, const struct util_ivec *ids, const struct util_ivec *ts)
{
	struct evt *e = xcalloc(ids->n ? ids->n : 1, sizeof *e);
	for (size_t i = 0; i < ids->n; i++)
		e[i] = (struct evt){ ids->v[i], ts->v[i] };
	qsort(e, ids->n, sizeof *e, cmp_evt);
	for (size_t i = 0; i < ids->n; i++)
		if (!i || e[i].id != e[i - 1].id)
			hunt_row_event(row, e[i].id, e[i].ts);
	free(e);
}

/* ------------------------------------------------------------------ */
/* new-place */

/* One place (a country or a network) of one user. */
struct uplace {
	char *key;          /* "DE" or "3320" */
	int64_t first;      /* first sign-in or mail read from it */
	int64_t first_kind; /* its kind of log */
	int64_t signins, mail;
	struct util_ivec ips;
	struct util_ivec events, times; /* the first events of each pair, and their times */
	int64_t asn;
	const struct ipgeo_row *g; /* one of its IPs' place */
	/* reached only through a mobile carrier (a network of one, or a
	 * country of carriers' gateways) or the tenant's own addresses:
	 * it does not say where the user is */
	bool mobile, tenant;
};

static struct uplace *uplace_of(struct uplace **v, size_t *n, size_t *cap, const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].key, key))
			return &(*v)[i];
	*v = xgrow(*v, cap, *n + 1, sizeof **v);
	struct uplace *u = &(*v)[(*n)++];
	memset(u, 0, sizeof *u);
	u->key = xstrdup(key);
	u->first = INT64_MAX;
	return u;
}

static void uplace_add(struct uplace *u, const struct pair *p, const struct ipgeo_row *g)
{
	int64_t f = p->first_s < p->first_m ? p->first_s : p->first_m;
	if (f < u->first) {
		u->first = f;
		u->first_kind = p->first_m < p->first_s ? KIND_UAL : p->kind_s;
	}
	u->signins += p->ok;
	u->mail += p->mail;
	if (!util_ivec_has(&u->ips, p->ip))
		util_ivec_push(&u->ips, p->ip);
	if (p->id_s) {
		util_ivec_push(&u->events, p->id_s);
		util_ivec_push(&u->times, p->first_s);
	}
	if (p->id_m) {
		util_ivec_push(&u->events, p->id_m);
		util_ivec_push(&u->times, p->first_m);
	}
	u->asn = g->asn;
	u->g = g;
}

static void uplaces_free(struct uplace *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		util_ivec_free(&v[i].ips);
		util_ivec_free(&v[i].events);
		util_ivec_free(&v[i].times);
	}
	free(v);
}

/*
 * Without --baseline-until: a place is new for a user when the user's
 * first sign-in or mail read from it comes more than a day after the
 * user's first event in the case, more than a day after the first event
 * of its kind of log (the coverage of that log, not of the case), and
 * after the user was placed somewhere else. With --baseline-until: first
 * seen on or after it.
 */
static bool is_new(const struct pacc *a, int64_t B, int64_t ufirst, const struct uplace *u, bool known_before)
{
	if (u->first == INT64_MAX)
		return false;
	if (B != INT64_MIN)
		return u->first >= B && known_before;
	int64_t kf =
		u->first_kind >= 0 && u->first_kind < KIND_COUNT ? a->kind_first[u->first_kind] : INT64_MIN;
	return known_before && u->first > hunt_add(ufirst, DAY_MS) && u->first > hunt_add(kf, DAY_MS);
}

/* "DE, FR" of the user's places seen before t */
static char *known_list(const struct uplace *v, size_t n, int64_t t, bool networks)
{
	struct util_buf b = { 0 };
	size_t shown = 0, more = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].first >= t || v[i].mobile || v[i].tenant)
			continue;
		if (shown < HUNT_LIST_MAX) {
			if (networks) {
				char *nt = network_text(v[i].g);
				util_buf_item(&b, ", ", "%s", nt);
				free(nt);
			} else {
				util_buf_item(&b, ", ", "%s", v[i].key);
			}
			shown++;
		} else {
			more++;
		}
	}
	if (more)
		util_buf_item(&b, ", ", "+%zu", more);
	return b.n ? util_buf_take(&b) : (util_buf_free(&b), NULL);
}

static void newplace_row(struct hctx *h, int64_t user, const struct uplace *u, bool network, const char *known)
{
	const struct ipgeo_row *g = u->g;
	bool mobile = u->mobile, tenant = !mobile && u->tenant;
	const char *host = geoplaces_hosting((uint32_t)g->asn);
	bool hit = !mobile && !tenant;
	struct hunt_row *row = hunt_row_new(h, hit);
	char *ut = hunt_vtext(h, "user", user);
	hunt_row_set(row, 0, ut);
	hunt_row_set(row, 1, network ? "network" : "country");
	char *place = network ? network_text(g)
			      : xasprintf("%s (AS%" PRId64 "%s%s)", u->key, g->asn, g->as_org ? " " : "",
					  g->as_org ? g->as_org : "");
	hunt_row_take(row, 2, place);
	hunt_row_time(row, 3, u->first);
	hunt_row_num(row, 4, u->signins);
	hunt_row_num(row, 5, u->mail);
	hunt_row_take(row, 6, hunt_id_list(h, "ip", &u->ips));
	if (known)
		hunt_row_set(row, 7, known);
	row_events(row, &u->events, &u->times);
	struct util_buf f = { 0 };
	hunt_filter_term(&f, "user", ut);
	if (network) {
		char asn[24];
		snprintf(asn, sizeof asn, "%" PRId64, u->asn);
		hunt_filter_term(&f, "asn", asn);
	} else {
		hunt_filter_term(&f, "country", u->key);
	}
	hunt_row_filter(row, &f);
	int score = hit ? (network ? 40 : 60) + (u->mail ? 20 : 0) + (host ? 10 : 0) : 0;
	char *why =
		xasprintf("%s %s new for the user (seen before: %s)%s%s%s%s", network ? "network" : "country",
			  network ? row->vals[2] : u->key, known ? known : "elsewhere",
			  u->mail ? ", and mail was read from it" : "", host ? "; a hosting provider: " : "",
			  host ? host : "",
			  mobile ? (network ? "; context: a mobile carrier's network"
					    : "; context: only through mobile carriers' networks (their gateways' country)")
			  : tenant ? "; context: only through addresses many of the tenant's users sign in from (an office, VPN "
				     "or proxy exit) or mobile carriers'"
				   : "");
	hunt_row_reason(row, score, why);
	if (!hit) {
		free(row->events);
		row->events = NULL;
	}
	free(why);
	free(ut);
}

static int newplace_begin(struct hctx *h)
{
	return pacc_begin(h, false);
}

static int newplace_end(struct hctx *h)
{
	struct pacc *a = h->acc;
	if (!a->n || pacc_places(h) < 0) {
		int rc = a->n ? -1 : 0;
		pacc_drop(h);
		return rc;
	}
	qsort(a->p, a->n, sizeof *a->p, cmp_pair_user);
	/* the index is stale after the sort; places are by ip, still good */
	int64_t B = h->r->baseline_until;
	for (size_t i = 0; i < a->n;) {
		size_t j = i;
		while (j < a->n && a->p[j].user == a->p[i].user)
			j++;
		struct uplace *cv = NULL, *nv = NULL;
		size_t nc = 0, cc = 0, nn = 0, cn = 0;
		for (size_t k = i; k < j; k++) {
			const struct ipgeo_row *g = place_of(a, a->p[k].ip);
			if (!placed(g))
				continue;
			uplace_add(uplace_of(&cv, &nc, &cc, g->country), &a->p[k], g);
			if (g->asn) {
				char key[24];
				snprintf(key, sizeof key, "%" PRId64, g->asn);
				uplace_add(uplace_of(&nv, &nn, &cn, key), &a->p[k], g);
			}
		}
		/* a phone moving between carriers' networks is what phones do;
		 * a carrier's country is its gateway's, not its phone's (a
		 * roaming phone comes out at home); the tenant's own exits say
		 * where the exit is: such places are context, and do not place
		 * the user before a new place (the user's first day at home,
		 * after days seen only through the office's exit, is no new
		 * place: generator seeds without an intrusion) */
		for (size_t k = 0; k < nc; k++) {
			cv[k].mobile = all_mobile(a, &cv[k].ips);
			cv[k].tenant = all_shared(a, &cv[k].ips, true);
		}
		for (size_t k = 0; k < nn; k++) {
			nv[k].mobile = geoplaces_is_mobile(nv[k].g->as_org);
			nv[k].tenant = all_shared(a, &nv[k].ips, false);
		}
		const int64_t *uf = util_imap_get(&a->ufirst, (uint64_t)a->p[i].user);
		int64_t ufirst = uf ? *uf : INT64_MAX;
		for (size_t k = 0; k < nc; k++) {
			char *known = known_list(cv, nc, cv[k].first, false);
			if (is_new(a, B, ufirst, &cv[k], known != NULL))
				newplace_row(h, a->p[i].user, &cv[k], false, known);
			free(known);
		}
		for (size_t k = 0; k < nn; k++) {
			/* a new network in a new country is the country's row */
			const struct uplace *c = NULL;
			for (size_t m = 0; m < nc; m++)
				if (!strcmp(cv[m].key, nv[k].g->country))
					c = &cv[m];
			char *kc = c ? known_list(cv, nc, c->first, false) : NULL;
			bool country_new = c && is_new(a, B, ufirst, c, kc != NULL);
			free(kc);
			char *known = known_list(nv, nn, nv[k].first, true);
			if (!country_new && is_new(a, B, ufirst, &nv[k], known != NULL))
				newplace_row(h, a->p[i].user, &nv[k], true, known);
			free(known);
		}
		uplaces_free(cv, nc);
		uplaces_free(nv, nn);
		i = j;
	}
	pacc_drop(h);
	return 0;
}

const struct hunt_entry hunt_new_place = {
	.def = { HUNT_NEW_PLACE, "new-place", "sign-in or mail read from a country or network new for the user",
		 "A successful sign-in (Entra, or UAL UserLoggedIn) or a mail read (MailItemsAccessed) from a country, "
		 "or an autonomous system (network), that the user had not come from before, by the offline IP "
		 "databases. No date is assumed: a place is new when its first use comes more than a day after the "
		 "user's first event, more than a day after the first record of its kind of log (the coverage of "
		 "that log) and after the user was placed elsewhere; with --baseline-until, when first seen on or "
		 "after it. A new network inside a new country is the country's row. Private, Microsoft and other "
		 "labelled ranges are no place. A new mobile carrier's network, a country reached only through mobile "
		 "carriers' networks, and a place reached only through the tenant's own addresses (five or more of its "
		 "users, and a quarter of those who signed in, signed in from each, more than half on a hosting "
		 "provider's or an unknown network, five or more of them again and again, whenever it starts) "
		 "are context. Score: 60 for a country, "
		 "40 for a network; plus 20 when mail was read from it, plus 10 for a hosting provider.",
		 HUNT_COLS(cols_newplace) },
	.needs = HUNT_NEEDS_BASELINE,
	.order = HUNT_ORDER_TIME,
	.scan = { .begin = newplace_begin,
		  .row = pacc_row,
		  .end = newplace_end,
		  .drop = pacc_drop,
		  .cols = HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(kind) | HUNT_EV(op) | HUNT_EV(user) |
			  HUNT_EV(ip) | HUNT_EV(result),
		  .gathered = true },
};

/* ------------------------------------------------------------------ */
/* hosting-signin */

struct hostgrp {
	int64_t user, asn;
	const struct ipgeo_row *g;
	int64_t signins, ok, mail, first, last;
	struct util_ivec ips, events, times;
	struct util_smap countries; /* a set */
	struct util_buf clist;
};

static int hosting_begin(struct hctx *h)
{
	return pacc_begin(h, false);
}

static int hosting_end(struct hctx *h)
{
	struct pacc *a = h->acc;
	if (!a->n || pacc_places(h) < 0) {
		int rc = a->n ? -1 : 0;
		pacc_drop(h);
		return rc;
	}
	struct util_imap gi = { 0 }; /* (user, asn) -> index in v */
	struct hostgrp *v = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct pair *p = &a->p[i];
		const struct ipgeo_row *g = place_of(a, p->ip);
		if (!g || !g->asn || !geoplaces_hosting((uint32_t)g->asn))
			continue;
		bool isnew;
		int64_t *ix = util_imap_slot(&gi, util_pair_key(p->user, g->asn), 0, &isnew);
		if (isnew) {
			v = xgrow(v, &cap, n + 1, sizeof *v);
			memset(&v[n], 0, sizeof v[n]);
			v[n].user = p->user;
			v[n].asn = g->asn;
			v[n].g = g;
			v[n].first = INT64_MAX;
			v[n].last = INT64_MIN;
			*ix = (int64_t)n++;
		}
		if (!v) /* never: a key seen before has its slot in v */
			continue;
		struct hostgrp *q = &v[*ix];
		q->signins += p->signins;
		q->ok += p->ok;
		q->mail += p->mail;
		if (p->first < q->first)
			q->first = p->first;
		if (p->last > q->last)
			q->last = p->last;
		util_ivec_push(&q->ips, p->ip);
		if (p->id_s) {
			util_ivec_push(&q->events, p->id_s);
			util_ivec_push(&q->times, p->first_s);
		}
		if (p->id_m) {
			util_ivec_push(&q->events, p->id_m);
			util_ivec_push(&q->times, p->first_m);
		}
		const char *cc = g->country && *g->country ? g->country : "?";
		if (util_sset_add(&q->countries, cc))
			util_buf_item(&q->clist, ", ", "%s", cc);
	}
	util_imap_free(&gi);
	for (size_t i = 0; i < n; i++) {
		struct hostgrp *q = &v[i];
		const char *prov = geoplaces_hosting((uint32_t)q->asn);
		struct hunt_row *row = hunt_row_new(h, true);
		char *ut = hunt_vtext(h, "user", q->user);
		hunt_row_set(row, 0, ut);
		hunt_row_set(row, 1, prov);
		hunt_row_take(row, 2, network_text(q->g));
		hunt_row_set(row, 3, q->clist.p);
		hunt_row_take(row, 4, hunt_id_list(h, "ip", &q->ips));
		hunt_row_num(row, 5, q->signins);
		hunt_row_num(row, 6, q->ok);
		hunt_row_num(row, 7, q->mail);
		hunt_row_time(row, 8, q->first);
		hunt_row_time(row, 9, q->last);
		row_events(row, &q->events, &q->times);
		if (q->first < row->first_ts)
			row->first_ts = q->first;
		if (q->last > row->last_ts)
			row->last_ts = q->last;
		struct util_buf f = { 0 };
		hunt_filter_term(&f, "user", ut);
		char asn[24];
		snprintf(asn, sizeof asn, "%" PRId64, q->asn);
		hunt_filter_term(&f, "asn", asn);
		hunt_row_filter(row, &f);
		char *why = xasprintf("%" PRId64 " sign-in%s (%" PRId64 " succeeded) and %" PRId64
				      " mail read%s from %s, a hosting provider (AS%" PRId64 ")",
				      q->signins, q->signins == 1 ? "" : "s", q->ok, q->mail,
				      q->mail == 1 ? "" : "s", prov, q->asn);
		hunt_row_reason(row, 50 + (q->ok ? 25 : 0) + (q->mail ? 20 : 0), why);
		free(why);
		free(ut);
		util_ivec_free(&q->ips);
		util_ivec_free(&q->events);
		util_ivec_free(&q->times);
		util_smap_free(&q->countries);
		util_buf_free(&q->clist);
	}
	free(v);
	pacc_drop(h);
	return 0;
}

const struct hunt_entry hunt_hosting_signin = {
	.def = { HUNT_HOSTING_SIGNIN, "hosting-signin",
		 "sign-ins and mail reads from hosting and cloud providers",
		 "Sign-ins (Entra, UAL UserLoggedIn and UserLoginFailed) and mail reads (MailItemsAccessed) from an "
		 "autonomous system of a hosting, cloud or VPN-exit provider: a curated list of 52 networks (AWS, "
		 "Google Cloud, Azure excepted, DigitalOcean, OVH, Hetzner, Linode, Vultr, M247, Datacamp, ...; "
		 "core/geoplaces.c, each number checked against the owner name in the installed ASN table). One "
		 "row per user and network; every row is a hit. Score: 50, plus 25 when a sign-in succeeded, plus "
		 "20 when mail was read from it.",
		 HUNT_COLS(cols_hosting) },
	.order = HUNT_ORDER_TIME,
	.scan = { .begin = hosting_begin,
		  .row = pacc_row,
		  .end = hosting_end,
		  .drop = pacc_drop,
		  .cols = HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(kind) | HUNT_EV(op) | HUNT_EV(user) |
			  HUNT_EV(ip) | HUNT_EV(result),
		  .gathered = true },
};

/* ------------------------------------------------------------------ */
/* impossible-travel */

static int travel_begin(struct hctx *h)
{
	return pacc_begin(h, true);
}

static int cmp_signin(const void *x, const void *y)
{
	const struct signin *a = x, *b = y;
	if (a->user != b->user)
		return a->user < b->user ? -1 : 1;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* A sign-in whose place can be travelled from: a country, not a
 * labelled range, not a mobile carrier's gateway. */
static bool travel_place(const struct ipgeo_row *g)
{
	return placed(g) && !geoplaces_is_mobile(g->as_org) && !geoip_asn_is_microsoft((uint32_t)g->asn);
}

static int travel_end(struct hctx *h)
{
	struct pacc *a = h->acc;
	if (!a->ns || pacc_places(h) < 0) {
		int rc = a->ns ? -1 : 0;
		pacc_drop(h);
		return rc;
	}
	char **dirs = geoip_default_dirs(NULL);
	struct geoplaces *gp = geoplaces_open((const char *const *)dirs);
	geoip_dirs_free(dirs);
	if (!gp) { /* no country table: no distance can be told */
		pacc_drop(h);
		return 0;
	}
	qsort(a->s, a->ns, sizeof *a->s, cmp_signin);
	/* whether each place can be travelled from, once per IP rather than
	 * per sign-in (the mobile carriers' names are searched for in its
	 * network's: a tenth of the client's time at 10M) */
	bool *can = xcalloc(a->nplaces ? a->nplaces : 1, sizeof *can);
	char **ptext = xcalloc(a->nplaces ? a->nplaces : 1, sizeof *ptext);
	for (size_t i = 0; i < a->nplaces; i++) {
		can[i] = travel_place(&a->places[i]) && !a->shared[i];
		/* a place's text once, not twice per row (a row per sign-in
		 * pair can be hundreds of thousands) */
		if (can[i])
			ptext[i] =
				ipgeo_text(a->places[i].country, a->places[i].asn, a->places[i].as_org, NULL);
	}
	const struct signin *prev = NULL;
	const struct ipgeo_row *pg = NULL;
	for (size_t i = 0; i < a->ns; i++) {
		const struct signin *s = &a->s[i];
		if (prev && prev->user != s->user)
			prev = NULL;
		const struct ipgeo_row *g = place_of(a, s->ip);
		if (!g || !can[g - a->places])
			continue;
		if (prev && strcasecmp(pg->country, g->country) != 0) {
			double km = geoplaces_min_km(gp, pg->country, g->country);
			double hours = (double)hunt_gap(s->ts, prev->ts) / 3600000.0;
			double kmh = hours > 0 ? km / hours : (km > 0 ? INFINITY : 0);
			if (km > 0 && kmh > TRAVEL_KMH) {
				struct hunt_row *row = hunt_row_new(h, true);
				char *ut = hunt_vtext(h, "user", s->user),
				     *ip1 = hunt_vtext(h, "ip", prev->ip), *ip2 = hunt_vtext(h, "ip", s->ip);
				hunt_row_time(row, 1, prev->ts);
				hunt_row_set(row, 3, ptext[pg - a->places]);
				hunt_row_time(row, 4, s->ts);
				hunt_row_set(row, 6, ptext[g - a->places]);
				hunt_row_num(row, 7, (int64_t)km);
				hunt_row_num(row, 8, hunt_gap(s->ts, prev->ts) / 60000);
				if (isfinite(kmh))
					hunt_row_num(row, 9, (int64_t)kmh);
				hunt_row_event(row, prev->id, prev->ts);
				hunt_row_event(row, s->id, s->ts);
				struct util_buf f = { 0 };
				hunt_filter_term(&f, "user", ut);
				util_buf_puts(&f, " (");
				hunt_filter_term(&f, "ip", ip1);
				util_buf_puts(&f, " or");
				hunt_filter_term(&f, "ip", ip2);
				util_buf_puts(&f, ")");
				hunt_filter_time(&f, prev->ts, s->ts);
				hunt_row_filter(row, &f);
				/* the texts are the row's own now */
				hunt_row_take(row, 0, ut);
				hunt_row_take(row, 2, ip1);
				hunt_row_take(row, 5, ip2);
				char *why = isfinite(kmh)
						    ? xasprintf("signed in from %s then from %s %" PRId64
								" min later: at least %" PRId64
								" km apart, %" PRId64 " km/h (over %.0f)",
								pg->country, g->country,
								hunt_gap(s->ts, prev->ts) / 60000,
								(int64_t)km, (int64_t)kmh, TRAVEL_KMH)
						    : xasprintf("signed in from %s then from %s %" PRId64
								" min later: at least %" PRId64
								" km apart, infinite km/h (over %.0f)",
								pg->country, g->country,
								hunt_gap(s->ts, prev->ts) / 60000,
								(int64_t)km, TRAVEL_KMH);
				int extra = isfinite(kmh) ? (int)(kmh / TRAVEL_KMH) * 5 : 35;
				hunt_row_reason(row, 60 + (extra > 35 ? 35 : extra), why);
				free(why);
			}
		}
		prev = s;
		pg = g;
	}
	for (size_t i = 0; i < a->nplaces; i++)
		free(ptext[i]);
	free(ptext);
	free(can);
	geoplaces_free(gp);
	pacc_drop(h);
	return 0;
}

const struct hunt_entry hunt_impossible_travel = {
	.def = { HUNT_IMPOSSIBLE_TRAVEL, "impossible-travel",
		 "consecutive sign-ins of a user from countries too far apart for the time between them",
		 "Two consecutive successful sign-ins of a user (Entra, UAL UserLoggedIn) from two countries at least "
		 "so far apart that the journey would have been faster than 1000 km/h. Precision is the country: "
		 "the databases give no coordinates, so the distance is between the countries' centres less a "
		 "generous radius for each (core/geoplaces.h): neighbours are 0 km apart and never flagged. Mobile "
		 "carriers' networks (a roaming phone comes out at home), the tenant's own addresses (an office, VPN "
		 "or proxy exit: five or more of its users, and a quarter of those who signed in, signed in from it, "
		 "more than half on a hosting provider's or an unknown network, five or more of them again and "
		 "again, whenever it starts), "
		 "Microsoft's ranges and private or other labelled ranges are ignored. Every row is a hit. Score: 60, plus 5 per 1000 km/h (up to 35).",
		 HUNT_COLS(cols_travel) },
	.order = HUNT_ORDER_TIME,
	.scan = { .begin = travel_begin,
		  .row = pacc_row,
		  .end = travel_end,
		  .drop = pacc_drop,
		  .cols = HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(kind) | HUNT_EV(op) | HUNT_EV(user) |
			  HUNT_EV(ip) | HUNT_EV(result),
		  .gathered = true },
};
