/*
 * hunt.c: the runner of the named hunts (hunt.h) and the table of them.
 *
 * Each hunt is an entry (hunt_entry.h) in a family file: hunt_apps.c
 * (mail read by apps), hunt_mailbox.c (sync, throttling), hunt_rules.c
 * (inbox rules, forwarding, covering tracks), hunt_consent.c (apps given
 * access), hunt_identity.c (sessions, sign-ins), hunt_logons.c (failed
 * logons, spray), hunt_places.c (where sign-ins come from); hunt_list.h
 * lists them. Here: setting a hunt up (its result, the baseline, the
 * app names), the one sequential scan of the narrow events table that
 * feeds the scanning hunts (grouping in C hash tables costs less than
 * letting SQLite sort a million rows; hunt_run_all feeds all of them
 * from one scan), ordering the rows, and the flagged-event set of the
 * timeline. hunt_raw.c reads raw records for the hunts that need fields
 * the store does not normalize; hunt_row.c makes rows and their filters.
 * Building the rows (value texts, names, filters) happens on the calling
 * thread at the end.
 */
#include "hunt.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annot.h"
#include "event.h"
#include "hunt_entry.h"
#include "knownapps.h"
#include "xalloc.h"
#include "query.h"
#include "store.h"

/* ------------------------------------------------------------------ */
/* The table */

static const struct hunt_entry *const entries[HUNT_COUNT] = {
#define HUNT(id, entry) [HUNT_##id] = &entry,
#include "hunt_list.h"
#undef HUNT
};

const struct hunt_entry *hunt_entry_of(enum hunt_id id)
{
	return (unsigned)id < HUNT_COUNT ? entries[id] : NULL;
}

const struct hunt_def *hunt_def(enum hunt_id id)
{
	return (unsigned)id < HUNT_COUNT ? &entries[id]->def : NULL;
}

const struct hunt_def *hunt_find(const char *name)
{
	for (int i = 0; name && i < HUNT_COUNT; i++)
		if (strcmp(entries[i]->def.name, name) == 0)
			return &entries[i]->def;
	return NULL;
}

void hunt_opts_init(struct hunt_opts *o)
{
	memset(o, 0, sizeof *o);
	o->baseline_until = INT64_MIN;
}

/* ------------------------------------------------------------------ */
/* The run */

int hunt_fail(struct hctx *h, char *why)
{
	if (why && strcmp(why, PROGRESS_CANCELLED) == 0)
		h->cancelled = true;
	if (!h->err)
		h->err = why ? why : xstrdup("failed");
	else
		free(why);
	return -1;
}

bool hunt_cancelled(struct hctx *h)
{
	if (!h->cancelled && progress_report(&h->o.progress, -1))
		h->cancelled = true;
	if (h->cancelled && !h->err)
		h->err = xstrdup(PROGRESS_CANCELLED);
	return h->cancelled;
}

int hunt_pick(struct hctx *h, struct store_pick *p, const char *const *cols, size_t ncols, store_row_fn fn,
	      void *ctx)
{
	char *why = NULL;
	p->pr = h->o.progress.fn ? &h->o.progress : NULL;
	if (store_pick(h->st, p, cols, ncols, fn, ctx, &why) < 0)
		return hunt_fail(h, why);
	return 0;
}

/*
 * The texts of value ids a hunt has asked for, per field: its rows name
 * the same addresses and users again and again (token-replay on a case
 * whose sessions move between 50,000 addresses asked the store for a
 * text some 10^5 times, each a statement of its own).
 */
#define VCACHE_FIELDS 8

struct hunt_vcache {
	const char *field[VCACHE_FIELDS];
	struct util_imap map[VCACHE_FIELDS]; /* id -> index into texts */
	char **texts;                        /* NULL where the id has none */
	size_t n, cap;
};

static struct util_imap *vcache_map(struct hctx *h, const char *field)
{
	if (!h->vc)
		h->vc = xcalloc(1, sizeof *h->vc);
	for (int i = 0; i < VCACHE_FIELDS; i++) {
		if (!h->vc->field[i])
			h->vc->field[i] = field;
		if (h->vc->field[i] == field || !strcmp(h->vc->field[i], field))
			return &h->vc->map[i];
	}
	return NULL; /* more fields than places: not cached */
}

static void vcache_put(struct hctx *h, struct util_imap *m, int64_t id, const char *s)
{
	struct hunt_vcache *c = h->vc;
	c->texts = xgrow(c->texts, &c->cap, c->n + 1, sizeof *c->texts);
	c->texts[c->n] = s ? xstrdup(s) : NULL;
	*util_imap_slot(m, (uint64_t)id, 0, NULL) = (int64_t)c->n++;
}

static void vcache_free(struct hunt_vcache *c)
{
	if (!c)
		return;
	for (int i = 0; i < VCACHE_FIELDS; i++)
		util_imap_free(&c->map[i]);
	for (size_t i = 0; i < c->n; i++)
		free(c->texts[i]);
	free(c->texts);
	free(c);
}

/* The texts of n value ids of field (each NULL or the caller's), asking
 * the store once for those not asked for before. */
static void vtexts(struct hctx *h, const char *field, const int64_t *ids, size_t n, char **out)
{
	struct util_imap *m = vcache_map(h, field);
	int64_t *miss = xcalloc(n ? n : 1, sizeof *miss);
	size_t *pos = xcalloc(n ? n : 1, sizeof *pos);
	size_t nmiss = 0;
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		if (ids[i] <= 0)
			continue;
		const int64_t *k = m ? util_imap_get(m, (uint64_t)ids[i]) : NULL;
		if (k) {
			out[i] = h->vc->texts[*k] ? xstrdup(h->vc->texts[*k]) : NULL;
			continue;
		}
		pos[nmiss] = i;
		miss[nmiss++] = ids[i];
	}
	if (nmiss) {
		char *why = NULL;
		char **got = xcalloc(nmiss, sizeof *got);
		if (store_value_texts(h->st, field, miss, nmiss, got, &why) < 0) {
			hunt_fail(h, why);
		} else {
			for (size_t j = 0; j < nmiss; j++) {
				out[pos[j]] = got[j];
				if (m && !util_imap_get(m, (uint64_t)miss[j]))
					vcache_put(h, m, miss[j], got[j]);
			}
		}
		free(got);
	}
	free(pos);
	free(miss);
}

void hunt_vtexts_warm(struct hctx *h, const char *field, const int64_t *ids, size_t n)
{
	char **t = xcalloc(n ? n : 1, sizeof *t);
	vtexts(h, field, ids, n, t);
	for (size_t i = 0; i < n; i++)
		free(t[i]);
	free(t);
}

/* The text of value id (caller frees), or NULL. */
char *hunt_vtext(struct hctx *h, const char *field, int64_t id)
{
	char *s = NULL;
	vtexts(h, field, &id, 1, &s);
	return s;
}

/*
 * The answers of hunt_val_ids shared by the hunts of one hunt_run_all:
 * they ask for the same names again and again (MailItemsAccessed in
 * every hunt's setup, the logon operations and results in five), each
 * a statement of its own on a server (92 lookups of 53 names in all).
 */
struct hunt_lookups {
	struct util_smap at; /* "field\x1fname" -> index + 1 into ids */
	struct util_ivec *ids;
	size_t n, cap;
};

static void lookups_free(struct hunt_lookups *lk)
{
	if (!lk)
		return;
	for (size_t i = 0; i < lk->n; i++)
		util_ivec_free(&lk->ids[i]);
	free(lk->ids);
	util_smap_free(&lk->at);
	free(lk);
}

/* The ids of name s in field (any case), from lk when asked before. */
static int val_find(struct hctx *h, const char *field, const char *s, struct util_ivec *out)
{
	char *key = h->lk ? xasprintf("%s\x1f%s", field, s) : NULL;
	const int64_t *at = key ? util_smap_get(&h->lk->at, key) : NULL;
	if (at) {
		const struct util_ivec *v = &h->lk->ids[*at - 1];
		for (size_t k = 0; k < v->n; k++)
			if (!util_ivec_has(out, v->v[k]))
				util_ivec_push(out, v->v[k]);
		free(key);
		return 0;
	}
	int64_t *ids = NULL;
	size_t n = 0;
	char *why = NULL;
	int rc = store_value_find(h->st, field, s, STORE_MATCH_NOCASE, &ids, &n, &why);
	if (rc == 0 && key) {
		struct hunt_lookups *lk = h->lk;
		lk->ids = xgrow(lk->ids, &lk->cap, lk->n + 1, sizeof *lk->ids);
		struct util_ivec *v = &lk->ids[lk->n++];
		*v = (struct util_ivec){ 0 };
		for (size_t k = 0; k < n; k++)
			util_ivec_push(v, ids[k]);
		*util_smap_slot(&lk->at, key, 0, NULL) = (int64_t)lk->n;
	}
	free(key);
	for (size_t k = 0; k < n; k++)
		if (!util_ivec_has(out, ids[k]))
			util_ivec_push(out, ids[k]);
	free(ids);
	return rc < 0 ? hunt_fail(h, why) : 0;
}

/*
 * Value ids of each name (any case); with dot, also of the name with a
 * period after it: the UAL writes Entra operations as "Consent to
 * application." where Entra's own log writes "Consent to application".
 */
int hunt_val_ids(struct hctx *h, const char *field, const char *const *names, bool dot, struct util_ivec *out)
{
	for (size_t i = 0; names[i]; i++) {
		for (int v = 0; v < (dot ? 2 : 1); v++) {
			char *s = v ? xasprintf("%s.", names[i]) : xstrdup(names[i]);
			int rc = val_find(h, field, s, out);
			free(s);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

bool hunt_in_ids(const struct util_ivec *v, int64_t x)
{
	return x && util_ivec_has(v, x);
}

/* "a, b, c, +2" of up to HUNT_LIST_MAX texts of value ids. */
char *hunt_id_list(struct hctx *h, const char *field, const struct util_ivec *ids)
{
	struct util_buf b = { 0 };
	size_t n = ids->n < HUNT_LIST_MAX ? ids->n : HUNT_LIST_MAX;
	char *texts[HUNT_LIST_MAX];
	vtexts(h, field, ids->v, n, texts);
	for (size_t i = 0; i < n; i++) {
		if (b.n)
			util_buf_puts(&b, ", ");
		util_buf_puts(&b, texts[i] ? texts[i] : "");
		free(texts[i]);
	}
	if (ids->n > HUNT_LIST_MAX)
		util_buf_printf(&b, ", +%zu", ids->n - HUNT_LIST_MAX);
	return util_buf_take(&b);
}

const char *hunt_app_name(struct hctx *h, const char *id)
{
	return id ? appnames_lookup(h->names, id, NULL) : NULL;
}


/* ------------------------------------------------------------------ */
/* The scan */

/* The columns of struct hunt_ev, in order (HUNT_EV_*), as the store
 * names them. */
static const char *const ev_cols[HUNT_EV_NCOLS] = { "id",      "ts",         "kind",   "op",      "user",
						    "app",     "client_app", "ip",     "mailbox", "access",
						    "session", "token",      "result", "flags" };

struct scan_feed {
	struct hctx **hs;
	size_t n;
	size_t nc;
	int64_t *to[HUNT_EV_NCOLS + 2]; /* where each cell goes in e */
	bool gathered;                  /* n and ts_last come as cells */
	struct hunt_ev e;
};

static int scan_row(void *ctx, const struct store_cell *c)
{
	struct scan_feed *f = ctx;
	for (size_t k = 0; k < f->nc; k++)
		*f->to[k] = c[k].i;
	if (!f->gathered) {
		f->e.n = 1;
		f->e.ts_last = f->e.ts;
	}
	for (size_t i = 0; i < f->n; i++)
		entries[f->hs[i]->r->def->id]->scan.row(f->hs[i], &f->e);
	return 0;
}

/* The columns hs[0..n) read, into f (and names). */
static void scan_cols(struct scan_feed *f, struct hctx **hs, size_t n, const char **names, unsigned more)
{
	unsigned cols = more;
	for (size_t i = 0; i < n; i++)
		cols |= entries[hs[i]->r->def->id]->scan.cols;
	struct hunt_ev *e = &f->e;
	int64_t *m[HUNT_EV_NCOLS] = { &e->id,      &e->ts,    &e->kind,   &e->op,      &e->user,
				      &e->app,     &e->capp,  &e->ip,     &e->mailbox, &e->access,
				      &e->session, &e->token, &e->result, &e->flags };
	f->hs = hs;
	f->n = n;
	for (size_t c = 0; c < HUNT_EV_NCOLS; c++) {
		if (cols & (1u << c)) {
			f->to[f->nc] = m[c];
			names[f->nc++] = ev_cols[c];
		}
	}
}

/*
 * One pass over the events in id order, feeding each of hs[0..n) (all
 * begun); p (NULL: every event) narrows it for a hunt alone. Cancelling
 * is watched through hs[0]'s progress. 0, or -1 with hs[0]->err.
 */
static int scan_events(struct hctx **hs, size_t n, struct store_pick *p)
{
	struct scan_feed f = { 0 };
	const char *names[HUNT_EV_NCOLS + 2];
	scan_cols(&f, hs, n, names, 0);
	struct store_pick all;
	if (!p) {
		store_pick_init(&all);
		p = &all;
	}
	return hunt_pick(hs[0], p, names, f.nc, scan_row, &f);
}

/*
 * The same pass with alike events gathered by the store (hunt_entry.h,
 * struct hunt_scan's gathered), when every one of hs[0..n) takes it:
 * a server sends a few thousand groups and the sign-ins rather than
 * every event. 1 done, 0 declined (scan), -1 with hs[0]->err.
 */
static int gather_events(struct hctx **hs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!entries[hs[i]->r->def->id]->scan.gathered)
			return 0;
	struct hctx *h = hs[0];
	static const char *const logons[] = { "UserLoggedIn", "UserLoginFailed", NULL };
	static const char *const sync[] = { "Sync", NULL };
	struct util_ivec ops = { 0 }, access = { 0 };
	if (hunt_val_ids(h, "op", logons, false, &ops) < 0 ||
	    hunt_val_ids(h, "access", sync, false, &access) < 0) {
		util_ivec_free(&ops);
		util_ivec_free(&access);
		return -1;
	}
	struct store_gather g = {
		.ops = ops.v,
		.nops = ops.n,
		.access = access.v,
		.naccess = access.n,
		.kinds = 1u << KIND_SIGNIN,
		.flags = EVF_THROTTLED,
		/* each hunt of the pass was set up with the same options */
		.split = h->o.baseline_until,
		.pr = h->o.progress.fn ? &h->o.progress : NULL,
	};
	struct scan_feed f = { .gathered = true };
	const char *names[HUNT_EV_NCOLS + 2];
	scan_cols(&f, hs, n, names, HUNT_EV(id) | HUNT_EV(ts));
	f.to[f.nc] = &f.e.n;
	names[f.nc++] = "n";
	f.to[f.nc] = &f.e.ts_last;
	names[f.nc++] = "ts_last";
	char *why = NULL;
	int rc = store_gather(h->st, &g, names, f.nc, scan_row, &f, &why);
	util_ivec_free(&ops);
	util_ivec_free(&access);
	if (rc < 0)
		return hunt_fail(h, why);
	return rc;
}

/* The pass of hs[0..n): gathered where the store can, else a scan. */
static int feed_events(struct hctx **hs, size_t n)
{
	int rc = gather_events(hs, n);
	return rc != 0 ? (rc < 0 ? -1 : 0) : scan_events(hs, n, NULL);
}

/* A scan hunt alone: begin, its own scan, end. */
static int scan_alone(struct hctx *h)
{
	const struct hunt_scan *s = &entries[h->r->def->id]->scan;
	struct store_pick p;
	store_pick_init(&p);
	p.flags = s->flags;
	/* most events of a case may be mail reads: read in storage order */
	p.wide = true;
	int rc = s->begin(h);
	if (rc == 0 && s->field) {
		const struct util_ivec *ids = s->ids(h);
		p.field = s->field;
		p.ids = ids->v;
		p.n = ids->n;
	}
	if (rc == 0 && !h->fed && (rc = gather_events(&h, 1)) == 0)
		rc = scan_events(&h, 1, &p);
	else if (rc > 0)
		rc = 0;
	if (rc < 0) {
		if (h->acc)
			s->drop(h);
		return -1;
	}
	return s->end(h);
}

/* What runs a hunt alone: its scan, or its own run(). */
static int run_one(struct hctx *h)
{
	const struct hunt_entry *e = entries[h->r->def->id];
	return e->scan.begin ? scan_alone(h) : e->run(h);
}

static int cmp_row_time(const void *a, const void *b)
{
	const struct hunt_row *x = a, *y = b;
	if (x->first_ts != y->first_ts)
		return x->first_ts < y->first_ts ? -1 : 1;
	int64_t ex = x->nevents && x->events ? x->events[0] : 0,
		ey = y->nevents && y->events ? y->events[0] : 0;
	if (ex != ey)
		return ex < ey ? -1 : 1;
	return strcmp(x->filter, y->filter);
}

/* The rows cmp_rank orders (qsort has no context argument; the rows are
 * ordered on the calling thread only). */
static _Thread_local const struct hunt_row *rank_rows;

static int cmp_rank(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct hunt_row *x = &rank_rows[i], *y = &rank_rows[j];
	if (x->hit != y->hit)
		return x->hit ? -1 : 1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return i < j ? -1 : i > j;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * What every hunt needs before it runs: its result, the value ids of
 * MailItemsAccessed, the baseline, the app names. 0, or -1 with h->err.
 * h->idle is set when there is nothing to do.
 */
static int hunt_setup(struct hctx *h, struct store *st, enum hunt_id id, const struct hunt_opts *o,
		      struct hunt_rawshare *share, struct hunt_lookups *lk, struct appnames *names)
{
	memset(h, 0, sizeof *h);
	h->st = st;
	h->share = share;
	h->lk = lk;
	h->t0 = now_s();
	if (o)
		h->o = *o;
	else
		hunt_opts_init(&h->o);
	struct hunt_result *r = h->r = xcalloc(1, sizeof *r);
	r->def = hunt_def(id);
	r->baseline_until = INT64_MIN;
	static const char *const mia[] = { "MailItemsAccessed", NULL };
	if (hunt_cancelled(h) || hunt_val_ids(h, "op", mia, false, &h->mia) < 0)
		return -1;
	const struct hunt_entry *e = entries[id];
	/* a baseline only when the analyst gives one: the hunts that use it
	 * otherwise compare each pair with its own history */
	if (e->needs & HUNT_NEEDS_BASELINE)
		r->baseline_until = h->o.baseline_until;
	if (e->needs & HUNT_NEEDS_APPS) {
		char *why = NULL;
		/* hunt_run_all lends one set of names to all */
		h->names = names ? names : appnames_new(st, &why);
		h->names_lent = names != NULL;
		if (!h->names) {
			h->err = why;
			return -1;
		}
	}
	return 0;
}

/* After the hunt (rc its outcome): *out, or -1 with *cause. */
static int hunt_finish(struct hctx *h, int rc, struct hunt_result **out, char **cause)
{
	double t_end = now_s();
	struct hunt_result *r = h->r;
	enum hunt_id id = r->def->id;
	if (rc == 0 && hunt_cancelled(h))
		rc = -1;
	if (h->acc)
		entries[id]->scan.drop(h);
	if (!h->names_lent)
		appnames_free(h->names);
	util_ivec_free(&h->mia);
	vcache_free(h->vc);
	h->vc = NULL;
	if (rc < 0 || h->err) {
		/* a cancel is the one message of progress.h, whatever the hunt */
		if (h->cancelled || (h->err && strcmp(h->err, PROGRESS_CANCELLED) == 0))
			set_cause(cause, "%s", PROGRESS_CANCELLED);
		else
			set_cause(cause, "hunt %s: %s", r->def->name, h->err ? h->err : "failed");
		free(h->err);
		hunt_result_free(r);
		*out = NULL;
		return -1;
	}
	/* events ascending; event-shaped hunts in time order */
	for (size_t i = 0; i < r->nrows; i++) {
		struct hunt_row *row = &r->rows[i];
		if (row->events)
			util_i64_sort_unique(row->events, &row->nevents);
		if (row->hit)
			r->nhits++;
		if (!row->filter)
			row->filter = xstrdup("");
		if (!row->reason)
			row->reason = xstrdup("");
	}
	enum hunt_order order = entries[id]->order;
	if (order == HUNT_ORDER_TIME && r->nrows > 1)
		qsort(r->rows, r->nrows, sizeof *r->rows, cmp_row_time);
	/* hits first, then by score; the hunt's order inside (stable) */
	if (r->nrows > 1) {
		size_t *at = xmalloc(r->nrows * sizeof *at);
		for (size_t i = 0; i < r->nrows; i++)
			at[i] = i;
		rank_rows = r->rows;
		qsort(at, r->nrows, sizeof *at, cmp_rank);
		struct hunt_row *tmp = xmalloc(r->nrows * sizeof *tmp);
		for (size_t i = 0; i < r->nrows; i++)
			tmp[i] = r->rows[at[i]];
		memcpy(r->rows, tmp, r->nrows * sizeof *tmp);
		free(tmp);
		free(at);
	}
	/* alone, the time since setup; sharing, the time of its own parts */
	r->seconds = h->shared ? h->spent + (now_s() - t_end) : now_s() - h->t0;
	*out = r;
	return 0;
}

int hunt_run(struct store *st, enum hunt_id id, const struct hunt_opts *o, struct hunt_result **out,
	     char **cause)
{
	*out = NULL;
	if (!hunt_def(id))
		return set_cause(cause, "hunt: no hunt %d", (int)id);
	struct hctx h;
	int rc = hunt_setup(&h, st, id, o, NULL, NULL, NULL);
	if (rc == 0 && !h.idle)
		rc = run_one(&h);
	return hunt_finish(&h, rc, out, cause);
}

int hunt_run_all(struct store *st, const struct hunt_opts *o, struct hunt_result *out[HUNT_COUNT], char **cause)
{
	struct hunt_rawshare *share = hunt_rawshare_new();
	struct hunt_lookups *lk = xcalloc(1, sizeof *lk);
	struct hctx *hs = xcalloc(HUNT_COUNT, sizeof *hs);
	struct hctx *scan[HUNT_COUNT];
	size_t nscan = 0;
	int nsetup = 0, failed = -1;
	for (int i = 0; i < HUNT_COUNT; i++)
		out[i] = NULL;
	/* the app names, built once for every hunt that shows them */
	char *nwhy = NULL;
	struct appnames *names = appnames_new(st, &nwhy);
	if (!names) {
		set_cause(cause, "hunts: %s", nwhy ? nwhy : "app names");
		free(nwhy);
		hunt_rawshare_free(share);
		lookups_free(lk);
		free(hs);
		return -1;
	}
	for (; nsetup < HUNT_COUNT; nsetup++) {
		double t0 = now_s();
		int rc = hunt_setup(&hs[nsetup], st, (enum hunt_id)nsetup, o, share, lk, names);
		hs[nsetup].spent += now_s() - t0;
		if (rc < 0) {
			failed = nsetup++;
			break;
		}
	}
	struct hctx *w = &hs[0]; /* the shared scan's cancellation lands here */
	/* the scan hunts: begun, fed by one scan (its time counted to the
	 * first of them), ended */
	for (int i = 0; i < HUNT_COUNT && failed < 0; i++) {
		if (!entries[i]->scan.begin || hs[i].idle)
			continue;
		double t0 = now_s();
		scan[nscan++] = &hs[i];
		if (entries[i]->scan.begin(&hs[i]) < 0)
			failed = i;
		hs[i].spent += now_s() - t0;
	}
	/* those whose begin read all they need are not fed */
	struct hctx *feed[HUNT_COUNT];
	size_t nfeed = 0;
	for (size_t i = 0; i < nscan; i++)
		if (!scan[i]->fed)
			feed[nfeed++] = scan[i];
	if (failed < 0 && nfeed) {
		double t0 = now_s();
		if (feed_events(feed, nfeed) < 0)
			failed = (int)feed[0]->r->def->id;
		feed[0]->spent += now_s() - t0;
	}
	for (size_t i = 0; i < nscan && failed < 0; i++) {
		double t0 = now_s();
		if (entries[scan[i]->r->def->id]->scan.end(scan[i]) < 0)
			failed = (int)scan[i]->r->def->id;
		scan[i]->spent += now_s() - t0;
	}
	/* the others; the first raw hunt reads for all of them */
	for (int i = 0; i < HUNT_COUNT && failed < 0; i++) {
		if (entries[i]->scan.begin || hs[i].idle)
			continue;
		double t0 = now_s();
		if (entries[i]->run(&hs[i]) < 0)
			failed = i;
		hs[i].spent += now_s() - t0;
	}
	/* an interruption the watcher saw is the failed hunt's cause */
	if (failed >= 0 && !hs[failed].err && w->err)
		hs[failed].err = xstrdup(w->err);
	for (int i = 0; i < nsetup; i++) {
		hs[i].shared = true;
		if (i == failed) {
			hunt_finish(&hs[i], -1, &out[i], cause);
		} else {
			char *why = NULL;
			int rc = hunt_finish(&hs[i], 0, &out[i], &why);
			if (rc < 0 && failed < 0) {
				failed = i;
				*cause = why;
				why = NULL;
			}
			free(why);
		}
	}
	hunt_rawshare_free(share);
	lookups_free(lk);
	appnames_free(names);
	free(hs);
	if (failed >= 0) {
		for (int i = 0; i < HUNT_COUNT; i++) {
			hunt_result_free(out[i]);
			out[i] = NULL;
		}
		return -1;
	}
	return 0;
}

int hunt_note(struct store *st, int64_t event, const char *hunt, const char *reason, char **cause)
{
	struct annot_info *ai = NULL;
	if (annot_get(st, event, &ai, cause) < 0)
		return -1;
	char *me = annot_author();
	bool mine = false;
	for (size_t i = 0; i < ai->nnotes && !mine; i++)
		mine = ai->notes[i].author && me && strcmp(ai->notes[i].author, me) == 0;
	free(me);
	annot_info_free(ai);
	if (mine)
		return 0;
	char *text = xasprintf("hunt %s: %s", hunt, reason && *reason ? reason : "a finding");
	int rc = annot_note_set(st, event, text, cause);
	free(text);
	return rc < 0 ? -1 : 1;
}

void hunt_result_free(struct hunt_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrows; i++)
		hunt_row_free(&r->rows[i], r->def->ncols);
	free(r->rows);
	free(r);
}

/* ------------------------------------------------------------------ */
/* Flags for the timeline */

struct hunt_flags {
	int64_t *ids; /* sorted, unique */
	unsigned *bits;
	size_t n;
	size_t hits[HUNT_COUNT];
};

struct flagged {
	int64_t id;
	unsigned bits;
};

static int cmp_flagged(const void *a, const void *b)
{
	const struct flagged *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int hunt_flagged(struct store *st, const struct hunt_opts *o, struct hunt_flags **out, char **cause)
{
	*out = NULL;
	struct flagged *all = NULL;
	size_t n = 0, cap = 0;
	struct hunt_flags *f = xcalloc(1, sizeof *f);
	struct hunt_result *res[HUNT_COUNT];
	if (hunt_run_all(st, o, res, cause) < 0) {
		hunt_flags_free(f);
		return -1;
	}
	for (int id = 0; id < HUNT_COUNT; id++) {
		struct hunt_result *r = res[id];
		f->hits[id] = r->nhits;
		for (size_t i = 0; i < r->nrows; i++) {
			const struct hunt_row *row = &r->rows[i];
			if (!row->hit)
				continue;
			for (size_t j = 0; j < row->nevents; j++) {
				all = xgrow(all, &cap, n + 1, sizeof *all);
				all[n++] = (struct flagged){ row->events[j], 1u << id };
			}
		}
		hunt_result_free(r);
	}
	if (n)
		qsort(all, n, sizeof *all, cmp_flagged);
	f->ids = xmalloc((n ? n : 1) * sizeof *f->ids);
	f->bits = xmalloc((n ? n : 1) * sizeof *f->bits);
	for (size_t i = 0; i < n; i++) {
		if (f->n && f->ids[f->n - 1] == all[i].id) {
			f->bits[f->n - 1] |= all[i].bits;
			continue;
		}
		f->ids[f->n] = all[i].id;
		f->bits[f->n] = all[i].bits;
		f->n++;
	}
	free(all);
	*out = f;
	return 0;
}

void hunt_flags_free(struct hunt_flags *f)
{
	if (!f)
		return;
	free(f->ids);
	free(f->bits);
	free(f);
}

unsigned hunt_flags_get(const struct hunt_flags *f, int64_t event)
{
	if (!f)
		return 0;
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->ids[mid] == event)
			return f->bits[mid];
		if (f->ids[mid] < event)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

size_t hunt_flags_count(const struct hunt_flags *f)
{
	return f ? f->n : 0;
}

size_t hunt_flags_hits(const struct hunt_flags *f, enum hunt_id id)
{
	return f && (unsigned)id < HUNT_COUNT ? f->hits[id] : 0;
}
