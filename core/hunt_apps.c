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
	{ "app", HUNT_TEXT }, { "app_name", HUNT_TEXT }, { "client_app", HUNT_TEXT },
	{ "client_app_name", HUNT_TEXT }, { "mailboxes", HUNT_NUMBER }, { "events", HUNT_NUMBER },
	{ "ips", HUNT_NUMBER }, { "first", HUNT_TIME }, { "last", HUNT_TIME }, { "why", HUNT_TEXT },
};
static const struct hunt_col cols_new_app[] = {
	{ "mailbox", HUNT_TEXT }, { "app", HUNT_TEXT }, { "app_name", HUNT_TEXT }, { "first", HUNT_TIME },
	{ "last", HUNT_TIME }, { "events", HUNT_NUMBER }, { "ips", HUNT_NUMBER }, { "ip_list", HUNT_TEXT },
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
	int64_t *gi = util_imap_slot(&a->groups, util_pair_key(e->app, e->capp) ^ 0x8000000000000000ULL, 0, &isnew);
	if (isnew) {
		a->g = xgrow(a->g, &a->cap, a->ng + 1, sizeof *a->g);
		a->g[a->ng] = (struct appgroup){ e->app, e->capp, 0, 0, 0, e->ts, e->ts };
		*gi = (int64_t)a->ng++;
	}
	struct appgroup *g = &a->g[*gi];
	g->events++;
	if (e->ts < g->first)
		g->first = e->ts;
	if (e->ts > g->last)
		g->last = e->ts;
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

static int rare_end(struct hctx *h)
{
	struct rare_acc *a = h->acc;
	struct appgroup *g = a->g;
	size_t ng = a->ng;
	if (ng)
		qsort(g, ng, sizeof *g, cmp_appgroup);
	/* the events of the few hits, through the app index */
	sqlite3_stmt *ids = hunt_prep_in(h, "SELECT id, ts FROM events WHERE app IS ?1 AND client_app IS ?2 AND op IN (%s)",
				    &h->mia, 3);
	int k = SQLITE_DONE;
	for (size_t i = 0; ids && i < ng && k == SQLITE_DONE; i++) {
		char *ap = hunt_vtext(h, g[i].app), *c = hunt_vtext(h, g[i].capp);
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
		hunt_row_take(row, 9, why.n ? util_buf_take(&why) : NULL);
		struct util_buf f = { 0 };
		hunt_filter_term(&f, "op", "MailItemsAccessed");
		hunt_filter_term(&f, "app", ap);
		hunt_filter_term(&f, "client_app", c);
		hunt_row_filter(row, &f);
		if (row->hit) {
			if (g[i].app)
				sqlite3_bind_int64(ids, 1, g[i].app);
			else
				sqlite3_bind_null(ids, 1);
			if (g[i].capp)
				sqlite3_bind_int64(ids, 2, g[i].capp);
			else
				sqlite3_bind_null(ids, 2);
			while ((k = sqlite3_step(ids)) == SQLITE_ROW)
				hunt_row_event(row, sqlite3_column_int64(ids, 0), sqlite3_column_int64(ids, 1));
			sqlite3_reset(ids);
		} else {
			row->nevents = (size_t)g[i].events;
			row->first_ts = g[i].first;
			row->last_ts = g[i].last;
		}
		free(ap);
		free(c);
	}
	sqlite3_finalize(ids);
	rare_drop(h);
	if (!ids)
		return -1;
	return k == SQLITE_DONE ? 0 : hunt_fail_db(h);
}

static const struct util_ivec *mia_ids(struct hctx *h)
{
	return &h->mia;
}

const struct hunt_entry hunt_rare_apps = {
	.def = { HUNT_RARE_APPS, "rare-apps", "apps that read mail, fewest mailboxes first; hits: not a known Microsoft app",
		 "Every (app, client app) pair that read mail (MailItemsAccessed), with how many mailboxes, events "
		 "and IPs, fewest mailboxes first: an app a tenant uses reads many mailboxes, an intruder's app a few. "
		 "A row is a hit when the app or the client app is not a known Microsoft first-party app.",
		 HUNT_COLS(cols_rare_apps) },
	.needs = HUNT_NEEDS_APPS,
	.order = HUNT_ORDER_OWN,
	.scan = { rare_begin, rare_row, rare_end, rare_drop, "op IN (%s)", mia_ids,
		  HUNT_EV(ts) | HUNT_EV(op) | HUNT_EV(app) | HUNT_EV(capp) | HUNT_EV(mailbox) | HUNT_EV(ip) },
};

/* ------------------------------------------------------------------ */
/* new-app-for-mailbox */

struct pair {
	int64_t mailbox, app, first, last;
	bool old;          /* read during the baseline: not new */
	struct util_ivec ids;   /* events (after the baseline) while not known old */
	struct util_ivec ips;
};

struct newapp_acc {
	struct util_imap idx;
	struct pair *p;
	size_t np, cap;
	bool baseline; /* any read inside the baseline at all */
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int newapp_begin(struct hctx *h)
{
	h->acc = xcalloc(1, sizeof(struct newapp_acc));
	return 0;
}

/* a pair's events are kept until a read inside the baseline shows it is
 * not new */
static void newapp_row(struct hctx *h, const struct hunt_ev *e)
{
	struct newapp_acc *a = h->acc;
	if (!e->mailbox || !e->app || !hunt_in_ids(&h->mia, e->op))
		return;
	int64_t B = h->r->baseline_until;
	bool isnew;
	int64_t *pi = util_imap_slot(&a->idx, util_pair_key(e->mailbox, e->app), 0, &isnew);
	if (isnew) {
		a->p = xgrow(a->p, &a->cap, a->np + 1, sizeof *a->p);
		memset(&a->p[a->np], 0, sizeof a->p[a->np]);
		a->p[a->np].mailbox = e->mailbox;
		a->p[a->np].app = e->app;
		a->p[a->np].first = a->p[a->np].last = e->ts;
		*pi = (int64_t)a->np++;
	}
	struct pair *p = &a->p[*pi];
	if (e->ts < B)
		a->baseline = true;
	if (p->old)
		return;
	if (e->ts < B) {
		p->old = true;
		util_ivec_free(&p->ids);
		util_ivec_free(&p->ips);
		return;
	}
	if (e->ts < p->first)
		p->first = e->ts;
	if (e->ts > p->last)
		p->last = e->ts;
	util_ivec_push(&p->ids, e->id);
	if (e->ip && !util_ivec_has(&p->ips, e->ip))
		util_ivec_push(&p->ips, e->ip);
}

static void newapp_drop(struct hctx *h)
{
	struct newapp_acc *a = h->acc;
	for (size_t i = 0; i < a->np; i++) {
		util_ivec_free(&a->p[i].ids);
		util_ivec_free(&a->p[i].ips);
	}
	util_imap_free(&a->idx);
	free(a->p);
	free(a);
	h->acc = NULL;
}

static int newapp_end(struct hctx *h)
{
	struct newapp_acc *a = h->acc;
	if (a->np)
		qsort(a->p, a->np, sizeof *a->p, cmp_pair);
	/* without reads in the baseline, nothing is new against it */
	for (size_t i = 0; i < a->np && a->baseline; i++) {
		struct pair *e = &a->p[i];
		if (e->old)
			continue;
		char *mb = hunt_vtext(h, e->mailbox), *app = hunt_vtext(h, e->app);
		struct hunt_row *row = hunt_row_new(h, true);
		hunt_row_set(row, 0, mb);
		hunt_row_set(row, 1, app);
		hunt_row_set(row, 2, hunt_app_name(h, app));
		hunt_row_time(row, 3, e->first);
		hunt_row_time(row, 4, e->last);
		hunt_row_num(row, 5, (int64_t)e->ids.n);
		hunt_row_num(row, 6, (int64_t)e->ips.n);
		hunt_row_take(row, 7, hunt_id_list(h, &e->ips));
		/* the ids are the row's events, already collected */
		row->events = e->ids.v;
		row->nevents = e->ids.n;
		row->first_ts = e->first;
		row->last_ts = e->last;
		memset(&e->ids, 0, sizeof e->ids);
		struct util_buf f = { 0 };
		hunt_filter_term(&f, "op", "MailItemsAccessed");
		hunt_filter_term(&f, "mailbox", mb);
		hunt_filter_term(&f, "app", app);
		hunt_row_filter(row, &f);
		free(mb);
		free(app);
	}
	newapp_drop(h);
	return 0;
}


const struct hunt_entry hunt_new_app_for_mailbox = {
	.def = { HUNT_NEW_APP_FOR_MAILBOX, "new-app-for-mailbox", "a mailbox read by an app it never used during the baseline",
		 "Each (mailbox, app) pair whose mail reads (MailItemsAccessed) all fall after the baseline "
		 "(--baseline-until, else the middle of the case's time span): an app the mailbox never used before.",
		 HUNT_COLS(cols_new_app) },
	.needs = HUNT_NEEDS_BASELINE | HUNT_NEEDS_APPS,
	.order = HUNT_ORDER_OWN,
	.scan = { newapp_begin, newapp_row, newapp_end, newapp_drop,
		  "op IN (%s) AND mailbox IS NOT NULL AND app IS NOT NULL", mia_ids,
		  HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(op) | HUNT_EV(app) | HUNT_EV(mailbox) | HUNT_EV(ip) },
};
