/*
 * hunt_mailbox.c: the hunts about how a mailbox was read: sync-access
 * (folders synchronised whole) and throttled (reads that went
 * unaudited). Both are scans (hunt_entry.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hunt_entry.h"
#include "store.h"
#include "timeparse.h"
#include "xalloc.h"

static const struct hunt_col cols_sync[] = {
	{ "mailbox", HUNT_TEXT },    { "app", HUNT_TEXT },   { "app_name", HUNT_TEXT },
	{ "client_app", HUNT_TEXT }, { "ip", HUNT_TEXT },    { "folder", HUNT_TEXT },
	{ "events", HUNT_NUMBER },   { "first", HUNT_TIME }, { "last", HUNT_TIME },
	{ "why", HUNT_TEXT },
};
static const struct hunt_col cols_throttled[] = {
	{ "mailbox", HUNT_TEXT },   { "throttled", HUNT_TIME }, { "unaudited_until", HUNT_TIME },
	{ "records", HUNT_NUMBER }, { "app", HUNT_TEXT },       { "ip", HUNT_TEXT },
};

/* ------------------------------------------------------------------ */
/* sync-access */

struct syncev {
	int64_t id, ts, mailbox, app, capp, ip;
	char *folder;
};

struct sync_acc {
	struct util_ivec ids; /* value ids of "Sync" */
	struct syncev *ev;
	size_t n, cap;
};

static int sync_begin(struct hctx *h)
{
	static const char *const sync[] = { "Sync", NULL };
	struct sync_acc *a = h->acc = xcalloc(1, sizeof *a);
	return hunt_val_ids(h, "access", sync, false, &a->ids);
}

static void sync_row(struct hctx *h, const struct hunt_ev *e)
{
	struct sync_acc *a = h->acc;
	if (!hunt_in_ids(&a->ids, e->access))
		return;
	a->ev = xgrow(a->ev, &a->cap, a->n + 1, sizeof *a->ev);
	a->ev[a->n++] = (struct syncev){ e->id, e->ts, e->mailbox, e->app, e->capp, e->ip, NULL };
}

static void sync_drop(struct hctx *h)
{
	struct sync_acc *a = h->acc;
	for (size_t i = 0; i < a->n; i++)
		free(a->ev[i].folder);
	free(a->ev);
	util_ivec_free(&a->ids);
	free(a);
	h->acc = NULL;
}

static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_syncev(const void *a, const void *b)
{
	const struct syncev *x = a, *y = b;
	const int64_t kx[] = { x->mailbox, x->app, x->capp, x->ip },
		      ky[] = { y->mailbox, y->app, y->capp, y->ip };
	for (int i = 0; i < 4; i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	int c = strcmp_null(x->folder, y->folder);
	if (c)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool same_group(const struct syncev *x, const struct syncev *y)
{
	return x->mailbox == y->mailbox && x->app == y->app && x->capp == y->capp && x->ip == y->ip &&
	       strcmp_null(x->folder, y->folder) == 0;
}

struct sync_folders {
	struct sync_acc *a;
	size_t i;    /* the event */
	size_t from; /* this event's copies for further folders */
};

/* One message of event i: its folder, the first or a further one. */
static int sync_folder(const struct store_message *m, void *ctx)
{
	struct sync_folders *c = ctx;
	struct sync_acc *a = c->a;
	const char *fo = m->folder;
	if (!fo)
		return 0;
	bool seen = a->ev[c->i].folder && strcmp(fo, a->ev[c->i].folder) == 0;
	for (size_t k = c->from; k < a->n && !seen; k++)
		seen = strcmp(fo, a->ev[k].folder) == 0;
	if (seen)
		return 0;
	if (!a->ev[c->i].folder) {
		a->ev[c->i].folder = xstrdup(fo);
		return 0;
	}
	/* a second folder: the event counts in both groups */
	struct syncev dup = a->ev[c->i];
	dup.folder = xstrdup(fo);
	a->ev = xgrow(a->ev, &a->cap, a->n + 1, sizeof *a->ev);
	a->ev[a->n++] = dup;
	return 0;
}

/* A message of event i of a batch: a new event starts its own copies. */
static int sync_folder_at(size_t i, const struct store_message *m, void *ctx)
{
	struct sync_folders *c = ctx;
	if (c->i != i) {
		c->i = i;
		c->from = c->a->n;
	}
	return sync_folder(m, c);
}

static int sync_end(struct hctx *h)
{
	struct sync_acc *a = h->acc;
	/* the folder from the event's own message list, every event's in
	 * one call (one request on a server store) */
	size_t n0 = a->n;
	int64_t *ids = xcalloc(n0 ? n0 : 1, sizeof *ids);
	for (size_t i = 0; i < n0; i++)
		ids[i] = a->ev[i].id;
	struct sync_folders fc = { a, 0, a->n };
	char *err = NULL;
	int r = store_events_messages(h->st, ids, n0, sync_folder_at, &fc, &err);
	free(ids);
	if (r < 0) {
		sync_drop(h);
		return hunt_fail(h, err);
	}
	if (a->n)
		qsort(a->ev, a->n, sizeof *a->ev, cmp_syncev);
	/* the texts the rows name, asked for at once per field (one request
	 * each on a server store, not one per new value) */
	static const char *const fields[] = { "mailbox", "app", "client_app", "ip" };
	struct util_ivec ids4 = { 0 };
	for (int f = 0; f < 4; f++) {
		ids4.n = 0;
		for (size_t i = 0; i < a->n; i++) {
			const int64_t v[] = { a->ev[i].mailbox, a->ev[i].app, a->ev[i].capp, a->ev[i].ip };
			if (v[f])
				util_ivec_push(&ids4, v[f]);
		}
		util_i64_sort_unique(ids4.v, &ids4.n);
		hunt_vtexts_warm(h, fields[f], ids4.v, ids4.n);
	}
	util_ivec_free(&ids4);
	for (size_t i = 0; i < a->n;) {
		size_t j = i;
		while (j < a->n && same_group(&a->ev[i], &a->ev[j]))
			j++;
		const struct syncev *e = &a->ev[i];
		char *mb = hunt_vtext(h, "mailbox", e->mailbox), *ap = hunt_vtext(h, "app", e->app),
		     *c = hunt_vtext(h, "client_app", e->capp), *ip = hunt_vtext(h, "ip", e->ip);
		bool app_ms = !ap || knownapps_first_party(ap), capp_ms = !c || knownapps_first_party(c);
		struct hunt_row *row = hunt_row_new(h, !app_ms || !capp_ms);
		for (size_t k = i; k < j; k++)
			hunt_row_event(row, a->ev[k].id, a->ev[k].ts);
		hunt_row_set(row, 0, mb);
		hunt_row_set(row, 1, ap);
		hunt_row_set(row, 2, hunt_app_name(h, ap));
		hunt_row_set(row, 3, c);
		hunt_row_set(row, 4, ip);
		hunt_row_set(row, 5, e->folder);
		hunt_row_num(row, 6, (int64_t)row->nevents);
		hunt_row_time(row, 7, row->first_ts);
		hunt_row_time(row, 8, row->last_ts);
		struct util_buf why = { 0 };
		if (!app_ms)
			util_buf_item(&why, "; ", "app is not a known Microsoft app");
		if (!capp_ms)
			util_buf_item(&why, "; ", "client app is not a known Microsoft app");
		util_buf_item(&why, "; ", "every item of %s is exposed", e->folder ? e->folder : "the folder");
		int score = (!app_ms ? 50 : 0) + (!capp_ms ? 30 : 0) +
			    (row->nevents < 20 ? (int)row->nevents : 20);
		hunt_row_reason(row, row->hit ? score : 0, util_buf_str(&why));
		hunt_row_take(row, 9, util_buf_take(&why));
		struct util_buf f = { 0 };
		hunt_filter_term(&f, "access", "Sync");
		hunt_filter_term(&f, "mailbox", mb);
		hunt_filter_term(&f, "app", ap);
		hunt_filter_term(&f, "ip", ip);
		hunt_row_filter(row, &f);
		free(mb);
		free(ap);
		free(c);
		free(ip);
		i = j;
	}
	sync_drop(h);
	return 0;
}

static const struct util_ivec *sync_ids(struct hctx *h)
{
	return &((struct sync_acc *)h->acc)->ids;
}

const struct hunt_entry hunt_sync_access = {
	.def = { HUNT_SYNC_ACCESS, "sync-access",
		 "folders synchronised in bulk (Sync); hits: not a known Microsoft app",
		 "Every folder synchronised in bulk (MailItemsAccessed with MailAccessType Sync: every item of "
		 "the folder is exposed), grouped by mailbox, app, client app, IP and folder. A row is a hit when "
		 "the app or the client app is not a known Microsoft first-party app; the others are context. "
		 "Score: 50 when the app is not a Microsoft first-party app, 30 when the client app is not, plus 1 "
		 "per Sync record (up to 20).",
		 HUNT_COLS(cols_sync) },
	.needs = HUNT_NEEDS_APPS,
	.order = HUNT_ORDER_OWN,
	.scan = { sync_begin, sync_row, sync_end, sync_drop, "access", sync_ids, 0,
		  HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(access) | HUNT_EV(mailbox) | HUNT_EV(app) |
			  HUNT_EV(capp) | HUNT_EV(ip),
		  true },
};

/* ------------------------------------------------------------------ */
/* throttled */

struct thr {
	int64_t id, ts, mailbox, app, ip;
};

struct throttled_acc {
	struct thr *ev;
	size_t n, cap;
};

static int throttled_begin(struct hctx *h)
{
	h->acc = xcalloc(1, sizeof(struct throttled_acc));
	return 0;
}

static void throttled_row(struct hctx *h, const struct hunt_ev *e)
{
	struct throttled_acc *a = h->acc;
	if (!(e->flags & EVF_THROTTLED))
		return;
	a->ev = xgrow(a->ev, &a->cap, a->n + 1, sizeof *a->ev);
	a->ev[a->n++] = (struct thr){ e->id, e->ts, e->mailbox ? e->mailbox : e->user, e->app, e->ip };
}

static void throttled_drop(struct hctx *h)
{
	struct throttled_acc *a = h->acc;
	free(a->ev);
	free(a);
	h->acc = NULL;
}

static int cmp_thr(const void *a, const void *b)
{
	const struct thr *x = a, *y = b;
	if (x->mailbox != y->mailbox)
		return x->mailbox < y->mailbox ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int throttled_end(struct hctx *h)
{
	struct throttled_acc *a = h->acc;
	if (a->n)
		qsort(a->ev, a->n, sizeof *a->ev, cmp_thr);
	/* a throttled record starts a 24-hour window; records inside it
	 * belong to the same row */
	for (size_t i = 0; i < a->n;) {
		int64_t mb = a->ev[i].mailbox, until = hunt_add(a->ev[i].ts, DAY_MS);
		struct util_ivec apps = { 0 }, ips = { 0 };
		struct hunt_row *row = hunt_row_new(h, true);
		size_t j = i;
		for (; j < a->n && a->ev[j].mailbox == mb && a->ev[j].ts < until; j++) {
			hunt_row_event(row, a->ev[j].id, a->ev[j].ts);
			if (a->ev[j].app && !util_ivec_has(&apps, a->ev[j].app))
				util_ivec_push(&apps, a->ev[j].app);
			if (a->ev[j].ip && !util_ivec_has(&ips, a->ev[j].ip))
				util_ivec_push(&ips, a->ev[j].ip);
		}
		char *mbt = hunt_vtext(h, "mailbox", mb);
		hunt_row_set(row, 0, mbt);
		hunt_row_time(row, 1, a->ev[i].ts);
		hunt_row_time(row, 2, until);
		hunt_row_num(row, 3, (int64_t)row->nevents);
		hunt_row_take(row, 4, hunt_id_list(h, "app", &apps));
		hunt_row_take(row, 5, hunt_id_list(h, "ip", &ips));
		struct util_buf f = { 0 };
		hunt_filter_term(&f, "mailbox", mbt);
		char *why =
			xasprintf("%zu record%s throttled: reads of the mailbox went unaudited for 24 hours",
				  row->nevents, row->nevents == 1 ? "" : "s");
		hunt_row_reason(row, 60 + (row->nevents < 40 ? (int)row->nevents : 40), why);
		free(why);
		hunt_filter_time(&f, a->ev[i].ts, until - 1);
		hunt_row_filter(row, &f);
		free(mbt);
		util_ivec_free(&apps);
		util_ivec_free(&ips);
		i = j;
	}
	throttled_drop(h);
	return 0;
}


const struct hunt_entry hunt_throttled = {
	.def = { HUNT_THROTTLED, "throttled",
		 "mailboxes throttled (IsThrottled): 24 hours of reads went unaudited",
		 "Mailboxes whose MailItemsAccessed auditing was throttled (IsThrottled): for 24 hours after such "
		 "a record, reads of the mailbox are not audited one by one. One row per mailbox and window. "
		 "Score: 60, plus 1 per throttled record (up to 40).",
		 HUNT_COLS(cols_throttled) },
	.order = HUNT_ORDER_OWN,
	.scan = { throttled_begin, throttled_row, throttled_end, throttled_drop, NULL, NULL, EVF_THROTTLED,
		  HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(flags) | HUNT_EV(mailbox) | HUNT_EV(user) |
			  HUNT_EV(app) | HUNT_EV(ip),
		  true },
};
