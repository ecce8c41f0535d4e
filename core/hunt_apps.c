/*
 * hunt_apps.c: the hunts about apps that read mail: rare-apps (every app
 * that read mail, fewest mailboxes first) and new-app-for-mailbox (a
 * mailbox read by an app it had not used before). Both are scans
 * (hunt_entry.h) over MailItemsAccessed events.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hunt_entry.h"
#include "timeparse.h"
#include "xalloc.h"

static const struct hunt_col cols_rare_apps[] = {
	{ "app", HUNT_TEXT },         { "app_name", HUNT_TEXT },
	{ "client_app", HUNT_TEXT },  { "client_app_name", HUNT_TEXT },
	{ "mailboxes", HUNT_NUMBER }, { "events", HUNT_NUMBER },
	{ "ips", HUNT_NUMBER },       { "first", HUNT_TIME },
	{ "last", HUNT_TIME },        { "why", HUNT_TEXT },
};
static const struct hunt_col cols_new_app[] = {
	{ "mailbox", HUNT_TEXT }, { "app", HUNT_TEXT },     { "app_name", HUNT_TEXT },
	{ "first", HUNT_TIME },   { "last", HUNT_TIME },    { "events", HUNT_NUMBER },
	{ "ips", HUNT_NUMBER },   { "ip_list", HUNT_TEXT },
};

/* ------------------------------------------------------------------ */
/* rare-apps */

struct appgroup {
	int64_t app, capp, events, mailboxes, ips, first, last;
};

struct rare_acc {
	struct util_imap groups, mbs, ips;
	struct appgroup *g;
	size_t ng, cap;
};

static int cmp_appgroup(const void *a, const void *b)
{
	const struct appgroup *x = a, *y = b;
	if (x->mailboxes != y->mailboxes)
		return x->mailboxes < y->mailboxes ? -1 : 1;
	if (x->events != y->events)
		return x->events < y->events ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int rare_begin(struct hctx *h)
{
	h->acc = xcalloc(1, sizeof(struct rare_acc));
	return 0;
}

/* distinct mailboxes and IPs per (app, client app) in hash sets */
static void rare_row(struct hctx *h, const struct hunt_ev *e)
{
	struct rare_acc *a = h->acc;
	if (!hunt_in_ids(&h->mia, e->op))
		return;
	bool isnew;
	/* key 0 is the empty slot: keep (app, client app) = (0, 0) apart */
	int64_t *gi =
		util_imap_slot(&a->groups, util_pair_key(e->app, e->capp) ^ 0x8000000000000000ULL, 0, &isnew);
	if (isnew) {
		a->g = xgrow(a->g, &a->cap, a->ng + 1, sizeof *a->g);
		a->g[a->ng] = (struct appgroup){ e->app, e->capp, 0, 0, 0, e->ts, e->ts_last };
		*gi = (int64_t)a->ng++;
	}
	struct appgroup *g = &a->g[*gi];
	g->events += e->n;
	if (e->ts < g->first)
		g->first = e->ts;
	if (e->ts_last > g->last)
		g->last = e->ts_last;
	uint64_t gk = (uint64_t)(*gi + 1) << 32;
	if (e->mailbox) {
		util_imap_slot(&a->mbs, gk ^ (uint64_t)(uint32_t)e->mailbox, 0, &isnew);
		g->mailboxes += isnew;
	}
	if (e->ip) {
		util_imap_slot(&a->ips, gk ^ (uint64_t)(uint32_t)e->ip, 0, &isnew);
		g->ips += isnew;
	}
}

static void rare_drop(struct hctx *h)
{
	struct rare_acc *a = h->acc;
	util_imap_free(&a->groups);
	util_imap_free(&a->mbs);
	util_imap_free(&a->ips);
	free(a->g);
	free(a);
	h->acc = NULL;
}

struct rare_hits {
	struct hctx *h;
	const struct util_ivec *mia;
	struct util_imap rows; /* (app, client app) -> row index + 1 */
	struct util_ivec apps; /* their apps (0: none) */
};

/* An event of a hit's app: the hit's when it is a mail read by its
 * client app too. */
static int rare_hit_event(void *ctx, const struct store_cell *c)
{
	struct rare_hits *x = ctx;
	if (!hunt_in_ids(x->mia, c[2].i))
		return 0;
	const int64_t *ri = util_imap_get(&x->rows, util_pair_key(c[3].i, c[4].i) ^ 0x8000000000000000ULL);
	if (ri)
		hunt_row_event(&x->h->r->rows[*ri - 1], c[0].i, c[1].i);
	return 0;
}

static int rare_end(struct hctx *h)
{
	struct rare_acc *a = h->acc;
	struct appgroup *g = a->g;
	size_t ng = a->ng;
	if (ng)
		qsort(g, ng, sizeof *g, cmp_appgroup);
	/* the hits: (app, client app) -> row index + 1, and their apps */
	struct rare_hits hits = { .mia = &h->mia };
	for (size_t i = 0; i < ng; i++) {
		char *ap = hunt_vtext(h, "app", g[i].app), *c = hunt_vtext(h, "client_app", g[i].capp);
		bool app_ms = !ap || knownapps_first_party(ap), capp_ms = !c || knownapps_first_party(c);
		struct hunt_row *row = hunt_row_new(h, !app_ms || !capp_ms);
		hunt_row_set(row, 0, ap);
		hunt_row_set(row, 1, hunt_app_name(h, ap));
		hunt_row_set(row, 2, c);
		hunt_row_set(row, 3, hunt_app_name(h, c));
		hunt_row_num(row, 4, g[i].mailboxes);
		hunt_row_num(row, 5, g[i].events);
		hunt_row_num(row, 6, g[i].ips);
		hunt_row_time(row, 7, g[i].first);
		hunt_row_time(row, 8, g[i].last);
		struct util_buf why = { 0 };
		if (!app_ms)
			util_buf_item(&why, "; ", "app is not a known Microsoft app");
		if (!capp_ms)
			util_buf_item(&why, "; ", "client app is not a known Microsoft app");
		int score = (!app_ms ? 50 : 0) + (!capp_ms ? 30 : 0) +
			    (g[i].mailboxes < 20 ? 20 - (int)g[i].mailboxes : 0);
		hunt_row_reason(row, row->hit ? score : 0,
				row->hit ? util_buf_str(&why) : "context: Microsoft first-party apps");
		hunt_row_take(row, 9, why.n ? util_buf_take(&why) : NULL);
		struct util_buf f = { 0 };
		hunt_filter_term(&f, "op", "MailItemsAccessed");
		hunt_filter_term(&f, "app", ap);
		hunt_filter_term(&f, "client_app", c);
		hunt_row_filter(row, &f);
		if (row->hit) {
			*util_imap_slot(&hits.rows, util_pair_key(g[i].app, g[i].capp) ^ 0x8000000000000000ULL,
					0, NULL) = (int64_t)h->r->nrows;
			util_ivec_add(&hits.apps, g[i].app);
		} else {
			row->nevents = (size_t)g[i].events;
			row->first_ts = g[i].first;
			row->last_ts = g[i].last;
		}
		free(ap);
		free(c);
	}
	rare_drop(h);
	/* the events of the few hits, through the app index */
	int rc = 0;
	if (hits.apps.n) {
		static const char *const cols[] = { "id", "ts", "op", "app", "client_app" };
		struct store_pick p;
		store_pick_init(&p);
		p.field = "app";
		p.ids = hits.apps.v;
		p.n = hits.apps.n;
		hits.h = h;
		rc = hunt_pick(h, &p, cols, 5, rare_hit_event, &hits);
	}
	util_imap_free(&hits.rows);
	util_ivec_free(&hits.apps);
	return rc;
}

static const struct util_ivec *mia_ids(struct hctx *h)
{
	return &h->mia;
}

const struct hunt_entry hunt_rare_apps = {
	.def = { HUNT_RARE_APPS, "rare-apps",
		 "apps that read mail, fewest mailboxes first; hits: not a known Microsoft app",
		 "Every (app, client app) pair that read mail (MailItemsAccessed), with how many mailboxes, events "
		 "and IPs, fewest mailboxes first: an app a tenant uses reads many mailboxes, an intruder's app a few. "
		 "A row is a hit when the app or the client app is not a known Microsoft first-party app; the "
		 "others are context. Score: 50 when the app is not a Microsoft first-party app, 30 when the client "
		 "app is not, plus 20 less the number of mailboxes it read.",
		 HUNT_COLS(cols_rare_apps) },
	.needs = HUNT_NEEDS_APPS,
	.order = HUNT_ORDER_OWN,
	.scan = { rare_begin, rare_row, rare_end, rare_drop, "op", mia_ids, 0,
		  HUNT_EV(ts) | HUNT_EV(op) | HUNT_EV(app) | HUNT_EV(capp) | HUNT_EV(mailbox) | HUNT_EV(ip),
		  true },
};

/* ------------------------------------------------------------------ */
/* new-app-for-mailbox */

/*
 * Without --baseline-until, no date is assumed: a (mailbox, app) pair is
 * listed when its first read comes more than a day after the mailbox's
 * own first read (the mailbox had a history the app was not part of), or
 * when the app itself first appears in the case more than a day after
 * the first mail read the case holds (the app is new to the tenant).
 * Either can happen at any point of the range. With --baseline-until, a
 * pair is listed when none of its reads fall before it.
 *
 * A pair that is neither has no history to be judged against: the app
 * read from the case's first day, and from the mailbox's. An intruder
 * active from the export's first hour is such a pair (wave 23: a 2-day
 * export with the attacker from hour 1 got nothing from this hunt while
 * rare-apps flagged the app). It is judged against the tenant instead:
 * an app that is not a Microsoft first-party app is new for the mailbox
 * unless most of the tenant's mailboxes use it (more than half of the
 * mailboxes the case saw read, and at least WIDE_MIN of them: a backup
 * or archiving service the tenant runs everywhere), which is listed as
 * context. With fewer mailboxes in the case (one user's export) breadth
 * says nothing, and the pair is a hit. First-party apps without history
 * are the tenant's own mail clients: not listed.
 */
#define SETTLE_MS DAY_MS
#define WIDE_MIN 10
/*
 * Breadth alone is no service (wave 25): an intruder's app that reads
 * most of the mailboxes once each from the export's first hour (a
 * sweep) met "more than half and ten or more" and was context. A
 * service the tenant runs reads its mailboxes again and again: most of
 * its (mailbox, app) pairs have reads STEADY_MS or more apart. So does
 * a third-party app the tenant's users use on their own mailboxes (a
 * CRM add-in, a scheduling app): an app WIDE_MIN or more users read
 * their own mailboxes with, each over STEADY_MS or more, is the
 * tenant's, and a user's own mailbox read with it is context too, also
 * when the user starts using it mid-case (a 2,000-user tenant with such
 * apps had hundreds of hits: tests/e2e_hunt_scenarios.sh clean2000).
 * Neither applies to an app new to the case.
 */
#define STEADY_MS (12 * HOUR_MS)
/*
 * Nor does breadth make an app the tenant's when the case holds a
 * consent to it given by a user for themselves, or any consent to it
 * after the case's first day, and the tenant's app list (`auditscope
 * apps CASE FILE`) does not name it (wave 26): a consent-phishing app
 * that ten victims read their own mail with from the case's first day,
 * again and again, had the breadth of a CRM add-in and was context
 * (tests/e2e_hunt_scenarios.sh consent_phish). An admin's consent for
 * the whole tenant in the case's first day (a service being set up) is
 * no such sign.
 */

struct pair {
	int64_t mailbox, app, first, last;
	bool foreign; /* a read by someone other than the mailbox's user */
	bool old;     /* read during an explicit baseline: not new */
	bool partial; /* ids lacks the events of gathered rows */
	int64_t events;
	struct util_ivec ids; /* its events */
	struct util_ivec ips;
};

struct newapp_acc {
	struct util_smap consented; /* app id -> 1: consented as above */
	bool consents_read;
	struct util_imap idx; /* (mailbox, app) -> index into p */
	struct util_imap mbx; /* mailbox -> its first read */
	struct pair *p;
	size_t np, cap;
	int64_t cov0; /* the first mail read of the case */
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int newapp_begin(struct hctx *h)
{
	struct newapp_acc *a = h->acc = xcalloc(1, sizeof(struct newapp_acc));
	a->cov0 = INT64_MAX;
	return 0;
}

static void newapp_row(struct hctx *h, const struct hunt_ev *e)
{
	struct newapp_acc *a = h->acc;
	if (!e->mailbox || !e->app || !hunt_in_ids(&h->mia, e->op))
		return;
	int64_t B = h->r->baseline_until;
	if (e->ts < a->cov0)
		a->cov0 = e->ts;
	bool isnew;
	int64_t *mf = util_imap_slot(&a->mbx, (uint64_t)e->mailbox, e->ts, &isnew);
	if (e->ts < *mf)
		*mf = e->ts;
	int64_t *pi = util_imap_slot(&a->idx, util_pair_key(e->mailbox, e->app), 0, &isnew);
	if (isnew) {
		a->p = xgrow(a->p, &a->cap, a->np + 1, sizeof *a->p);
		memset(&a->p[a->np], 0, sizeof a->p[a->np]);
		a->p[a->np].mailbox = e->mailbox;
		a->p[a->np].app = e->app;
		a->p[a->np].first = e->ts;
		a->p[a->np].last = e->ts_last;
		*pi = (int64_t)a->np++;
	}
	struct pair *p = &a->p[*pi];
	if (p->old)
		return;
	if (B != INT64_MIN && e->ts < B) {
		p->old = true;
		util_ivec_free(&p->ids);
		util_ivec_free(&p->ips);
		return;
	}
	if (e->ts < p->first)
		p->first = e->ts;
	if (e->ts_last > p->last)
		p->last = e->ts_last;
	if (e->user != e->mailbox)
		p->foreign = true;
	p->events += e->n;
	if (e->n == 1)
		util_ivec_push(&p->ids, e->id);
	else
		p->partial = true;
	if (e->ip)
		util_ivec_add(&p->ips, e->ip);
}

static void newapp_drop(struct hctx *h)
{
	struct newapp_acc *a = h->acc;
	for (size_t i = 0; i < a->np; i++) {
		util_ivec_free(&a->p[i].ids);
		util_ivec_free(&a->p[i].ips);
	}
	util_imap_free(&a->idx);
	util_imap_free(&a->mbx);
	util_smap_free(&a->consented);
	free(a->p);
	free(a);
	h->acc = NULL;
}

static int first_ts(void *ctx, const struct store_cell *c)
{
	*(int64_t *)ctx = c[0].i;
	return 1;
}

/* The first time app (a value id) appears in the case, as any event's
 * app (the app index answers it), or INT64_MAX. */
static int64_t app_first_seen(struct hctx *h, int64_t app)
{
	static const char *const cols[] = { "ts" };
	int64_t t = INT64_MAX;
	struct store_pick p;
	store_pick_init(&p);
	p.field = "app";
	p.ids = &app;
	p.n = 1;
	p.by_ts = true;
	p.limit = 1;
	hunt_pick(h, &p, cols, 1, first_ts, &t);
	return t;
}

struct pair_events {
	const struct util_ivec *mia;
	int64_t mailbox;
	struct hunt_row *row;
};

static int pair_event(void *ctx, const struct store_cell *c)
{
	struct pair_events *x = ctx;
	if (c[3].i == x->mailbox && hunt_in_ids(x->mia, c[2].i))
		hunt_row_event(x->row, c[0].i, c[1].i);
	return 0;
}

/* The events of a hit pair some of whose reads came gathered (ids
 * lacks them): the app's mail reads of the mailbox, through the app's
 * index. (A pair with a baseline has no read before it, or it would
 * not be listed.) */
static void pair_events(struct hctx *h, const struct pair *e, struct hunt_row *row)
{
	static const char *const cols[] = { "id", "ts", "op", "mailbox" };
	struct pair_events x = { &h->mia, e->mailbox, row };
	struct store_pick p;
	store_pick_init(&p);
	p.field = "app";
	p.ids = &e->app;
	p.n = 1;
	p.also.fields[0] = "mailbox";
	p.also.ids = &e->mailbox;
	p.also.n = 1;
	hunt_pick(h, &p, cols, 4, pair_event, &x);
}

/* The apps the case holds a consent to (read once, when first asked)
 * that breadth does not make the tenant's (above). */
static int newapp_consents(struct hctx *h, struct newapp_acc *a)
{
	if (a->consents_read)
		return 0;
	a->consents_read = true;
	a->consented.nocase = true;
	struct hunt_cand *c;
	struct hunt_facts *f;
	size_t n;
	if (hunt_raw_candidates(h, &c, &n, &f) < 0)
		return -1;
	hunt_consent_resolve(f, n);
	for (size_t i = 0; i < n; i++) {
		if (!f[i].app || knownapps_first_party(f[i].app))
			continue;
		bool consent = c[i].optext && hunt_raw_find(c[i].optext, "Consent");
		if (f[i].by_user || (consent && c[i].ts > hunt_add(a->cov0, SETTLE_MS)))
			util_smap_slot(&a->consented, f[i].app, 1, NULL);
	}
	hunt_raw_facts_free(f, n);
	hunt_raw_cands_free(c, n);
	return 0;
}

/* Is app (as the case writes it: any case, braces or none) one the
 * case holds a user's or a mid-case consent to, unnamed by the
 * tenant's list? */
static bool newapp_consented(struct hctx *h, const struct newapp_acc *a, const char *app)
{
	if (!app || !a->consented.n)
		return false;
	const char *origin = NULL;
	if (appnames_lookup(h->names, app, &origin) && origin && strcmp(origin, "tenant") == 0)
		return false;
	char id[40];
	size_t len = strlen(app);
	if (len == 38 && app[0] == '{' && app[37] == '}') {
		memcpy(id, app + 1, 36);
		id[36] = 0;
		app = id;
	}
	return util_smap_get(&a->consented, app) != NULL;
}

static void day_text(int64_t ms, char *out, size_t n)
{
	char t[40];
	time_format(ms, t, sizeof t);
	snprintf(out, n, "%.10s", t);
}

static int newapp_end(struct hctx *h)
{
	struct newapp_acc *a = h->acc;
	int64_t B = h->r->baseline_until;
	if (a->np)
		qsort(a->p, a->np, sizeof *a->p, cmp_pair);
	/* app value id -> first appearance, asked once per app */
	struct util_imap first_seen = { 0 };
	/* app value id -> the mailboxes it read (each pair one), and how
	 * many mailboxes the case saw read: the tenant's breadth of an app */
	struct util_imap reach = { 0 }, steady = { 0 }, own = { 0 };
	for (size_t i = 0; i < a->np; i++) {
		const struct pair *e = &a->p[i];
		(*util_imap_slot(&reach, (uint64_t)e->app, 0, NULL))++;
		bool st = !e->old && hunt_gap(e->last, e->first) >= STEADY_MS;
		(*util_imap_slot(&steady, (uint64_t)e->app, 0, NULL)) += st;
		(*util_imap_slot(&own, (uint64_t)e->app, 0, NULL)) += st && !e->foreign;
	}
	int64_t nmbx = (int64_t)a->mbx.n;
	for (size_t i = 0; i < a->np; i++) {
		struct pair *e = &a->p[i];
		if (e->old)
			continue;
		bool isnew;
		int64_t *fs = util_imap_slot(&first_seen, (uint64_t)e->app, 0, &isnew);
		if (isnew)
			*fs = app_first_seen(h, e->app);
		const int64_t *mf = util_imap_get(&a->mbx, (uint64_t)e->mailbox);
		bool new_to_case = *fs != INT64_MAX && *fs > hunt_add(a->cov0, SETTLE_MS);
		bool new_to_mailbox = mf && e->first > hunt_add(*mf, SETTLE_MS);
		bool unjudged = B == INT64_MIN && !new_to_case && !new_to_mailbox;
		char *app = hunt_vtext(h, "app", e->app);
		bool ms = app && knownapps_first_party(app);
		if (unjudged && ms) {
			free(app);
			continue;
		}
		int64_t nreach = *util_imap_get(&reach, (uint64_t)e->app);
		int64_t nsteady = *util_imap_get(&steady, (uint64_t)e->app),
			nown = *util_imap_get(&own, (uint64_t)e->app);
		bool tenant = B == INT64_MIN && !new_to_case;
		bool consented = false;
		if (tenant && !ms) {
			if (newapp_consents(h, a) < 0) {
				free(app);
				break;
			}
			consented = newapp_consented(h, a, app);
			tenant = !consented;
		}
		bool service = tenant && nreach * 2 > nmbx && nreach >= WIDE_MIN && nsteady * 2 > nreach;
		bool users_app = tenant && !service && !e->foreign && nown >= WIDE_MIN;
		bool wide = service || users_app;
		char *mb = hunt_vtext(h, "mailbox", e->mailbox);
		bool hit = (!ms && !wide) || (new_to_case && e->foreign);
		struct hunt_row *row = hunt_row_new(h, hit);
		hunt_row_set(row, 0, mb);
		hunt_row_set(row, 1, app);
		hunt_row_set(row, 2, hunt_app_name(h, app));
		hunt_row_time(row, 3, e->first);
		hunt_row_time(row, 4, e->last);
		hunt_row_num(row, 5, e->events);
		hunt_row_num(row, 6, (int64_t)e->ips.n);
		hunt_row_take(row, 7, hunt_id_list(h, "ip", &e->ips));
		if (!e->partial)
			for (size_t k = 0; k < e->ids.n; k++)
				hunt_row_event(row, e->ids.v[k], k == 0 ? e->first : e->last);
		else if (hit)
			pair_events(h, e, row);
		else
			row->nevents = (size_t)e->events;
		row->first_ts = e->first;
		row->last_ts = e->last;
		struct util_buf why = { 0 };
		int score = 0;
		char day[16];
		if (new_to_case) {
			day_text(*fs, day, sizeof day);
			util_buf_item(&why, "; ", "app first seen %s, %" PRId64 " days into the case", day,
				      (*fs / 2 - a->cov0 / 2) / (DAY_MS / 2));
			score += 40;
		} else if (new_to_mailbox) {
			day_text(e->first, day, sizeof day);
			util_buf_item(&why, "; ", "first read of this mailbox by the app on %s", day);
		} else if (unjudged) {
			util_buf_item(&why, "; ",
				      "no history to compare with (the app read from the case's first day); the "
				      "app read %" PRId64 " of the %" PRId64 " mailboxes read in the case",
				      nreach, nmbx);
		} else {
			util_buf_item(&why, "; ", "no read before the baseline");
		}
		if (!ms) {
			util_buf_item(&why, "; ", "not a Microsoft first-party app");
			score += 30;
		}
		if (e->foreign) {
			util_buf_item(&why, "; ", "reads a mailbox that is not its user's own");
			score += 20;
		}
		if (consented) {
			util_buf_item(&why, "; ",
				      "the case holds a user's consent to the app, or a consent after its first day: "
				      "no app of the tenant's however widely it reads");
			score += 10;
		}
		if (service)
			util_buf_item(&why, "; ",
				      "context: a service that reads most of the tenant's mailboxes again and again "
				      "(%" PRId64 " of %" PRId64 ", %" PRId64 " of them over 12 hours or more)",
				      nreach, nmbx, nsteady);
		else if (users_app)
			util_buf_item(&why, "; ",
				      "context: an app %" PRId64
				      " of the tenant's users read their own mailboxes with, over 12 hours or more",
				      nown);
		else if (!hit)
			util_buf_item(&why, "; ", "context: a Microsoft app%s",
				      e->foreign ? "" : " reading its own user's mailbox");
		score += e->ips.n < 10 ? (int)e->ips.n : 10;
		hunt_row_reason(row, hit ? score : 0, util_buf_str(&why));
		util_buf_free(&why);
		struct util_buf f = { 0 };
		hunt_filter_term(&f, "op", "MailItemsAccessed");
		hunt_filter_term(&f, "mailbox", mb);
		hunt_filter_term(&f, "app", app);
		hunt_row_filter(row, &f);
		free(mb);
		free(app);
	}
	util_imap_free(&first_seen);
	util_imap_free(&reach);
	util_imap_free(&steady);
	util_imap_free(&own);
	newapp_drop(h);
	return h->err ? -1 : 0;
}

const struct hunt_entry hunt_new_app_for_mailbox = {
	.def = { HUNT_NEW_APP_FOR_MAILBOX, "new-app-for-mailbox",
		 "a mailbox read by an app it had not used before",
		 "Each (mailbox, app) pair of mail reads (MailItemsAccessed) that is new. Without --baseline-until "
		 "no date is assumed: a pair is new when its first read comes more than a day after the mailbox's own "
		 "first read, or when the app first appears in the case more than a day after the case's first mail "
		 "read, wherever in the range that falls. With --baseline-until, a pair is new when none of its reads "
		 "fall before it. A pair with no history (the app read from the case's first day and the mailbox's) "
		 "is judged against the tenant: an app that is not a Microsoft first-party app is new unless it read "
		 "more than half of the case's mailboxes and ten or more, most of them over 12 hours or more (a "
		 "service the tenant runs everywhere: context). An app ten or more users read their own mailboxes "
		 "with over 12 hours or more is the tenant's: a user's own mailbox read with it is context, also "
		 "when the user starts using it mid-case (not when the app is new to the case). Breadth makes no app "
		 "the tenant's that the case holds a user's consent to (for themselves), or any consent to after its "
		 "first day, unless the tenant's app list names it (a consent-phishing app its victims read their "
		 "own mail with). A Microsoft first-party app reading its own user's mailbox, or reading from the case's "
		 "first day, is context or not listed, not a hit. Score: 40 when the app is new to the case, 30 when "
		 "it is not a Microsoft first-party app, 20 when it reads a mailbox that is not its user's own, plus "
		 "1 per IP (up to 10).",
		 HUNT_COLS(cols_new_app) },
	.needs = HUNT_NEEDS_BASELINE | HUNT_NEEDS_APPS,
	.order = HUNT_ORDER_OWN,
	/* the consents to apps (newapp_consents) */
	.raw = { hunt_consent_ops, true, hunt_consent_eval, NULL },
	.scan = { newapp_begin, newapp_row, newapp_end, newapp_drop, "op", mia_ids, 0,
		  HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(op) | HUNT_EV(user) | HUNT_EV(app) | HUNT_EV(mailbox) |
			  HUNT_EV(ip),
		  true },
};
