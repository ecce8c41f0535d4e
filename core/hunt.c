/*
 * hunt.c: the runner of the named hunts (hunt.h) and the table of them.
 *
 * Each hunt is an entry (hunt_entry.h) in a family file: hunt_apps.c
 * (mail read by apps), hunt_mailbox.c (sync, throttling), hunt_rules.c
 * (inbox rules, forwarding, covering tracks), hunt_identity.c (consents,
 * sessions, sign-ins); hunt_list.h lists them. Here: setting a hunt up
 * (its result, the baseline, the app names), the one sequential scan of
 * the narrow events table that feeds the scanning hunts (grouping in C
 * hash tables costs less than letting SQLite sort a million rows;
 * hunt_run_all feeds all of them from one scan), ordering the rows, and
 * the flagged-event set of the timeline. hunt_raw.c reads raw records
 * for the hunts that need fields the store does not normalize; hunt_row.c
 * makes rows and their filters. Building the rows (value texts, names,
 * filters) happens on the calling thread at the end.
 */
#include "hunt.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annot.h"
#include "hunt_entry.h"
#include "knownapps.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

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

static int on_progress(void *ctx)
{
	struct hctx *h = ctx;
	if (progress_report(&h->o.progress, -1)) {
		h->cancelled = true;
		return 1;
	}
	return 0;
}

int hunt_fail_db(struct hctx *h)
{
	if (!h->err)
		h->err = h->cancelled ? xstrdup(PROGRESS_CANCELLED) : xasprintf("case: %s", sqlite3_errmsg(h->db));
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

sqlite3_stmt *hunt_prep(struct hctx *h, const char *sql)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(h->db, sql, -1, &q, NULL) != SQLITE_OK) {
		hunt_fail_db(h);
		return NULL;
	}
	return q;
}

/*
 * Scans say "FROM events NOT INDEXED": given "ip IS NOT NULL" or a time
 * range over half the case, SQLite would walk a partial or time index
 * and fetch each row from the table in index order, which on a million
 * events re-reads table pages many times over; one pass in rowid order
 * reads each page once.
 */

/* The text of value id (caller frees), or NULL. */
char *hunt_vtext(struct hctx *h, int64_t id)
{
	if (id <= 0)
		return NULL;
	if (!h->val_q && !(h->val_q = hunt_prep(h, "SELECT v FROM vals WHERE id = ?")))
		return NULL;
	sqlite3_bind_int64(h->val_q, 1, id);
	char *s = NULL;
	if (sqlite3_step(h->val_q) == SQLITE_ROW && sqlite3_column_text(h->val_q, 0))
		s = xstrdup((const char *)sqlite3_column_text(h->val_q, 0));
	sqlite3_reset(h->val_q);
	return s;
}

int64_t hunt_col_id(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, i);
}

/*
 * Value ids of each name (any case); with dot, also of the name with a
 * period after it: the UAL writes Entra operations as "Consent to
 * application." where Entra's own log writes "Consent to application".
 */
int hunt_val_ids(struct hctx *h, const char *const *names, bool dot, struct util_ivec *out)
{
	sqlite3_stmt *q = hunt_prep(h, "SELECT id FROM vals WHERE v = ? COLLATE NOCASE");
	if (!q)
		return -1;
	for (size_t i = 0; names[i]; i++) {
		for (int v = 0; v < (dot ? 2 : 1); v++) {
			char *s = v ? xasprintf("%s.", names[i]) : xstrdup(names[i]);
			sqlite3_bind_text(q, 1, s, -1, SQLITE_TRANSIENT);
			free(s);
			int k;
			while ((k = sqlite3_step(q)) == SQLITE_ROW)
				if (!util_ivec_has(out, sqlite3_column_int64(q, 0)))
					util_ivec_push(out, sqlite3_column_int64(q, 0));
			sqlite3_reset(q);
			if (k != SQLITE_DONE) {
				sqlite3_finalize(q);
				return hunt_fail_db(h);
			}
		}
	}
	sqlite3_finalize(q);
	return 0;
}

/* "?,?,?" for n values, numbered from first (?first, ?first+1, ...). */
static char *marks(size_t n, int first)
{
	struct util_buf b = { 0 };
	for (size_t i = 0; i < n; i++)
		util_buf_printf(&b, "%s?%d", i ? "," : "", first + (int)i);
	if (!n)
		util_buf_puts(&b, "NULL");
	return util_buf_take(&b);
}

static void bind_ids(sqlite3_stmt *q, const struct util_ivec *ids, int first)
{
	for (size_t i = 0; i < ids->n; i++)
		sqlite3_bind_int64(q, first + (int)i, ids->v[i]);
}

/* Prepare sql after replacing each "%s" with the marks of ids (numbered
 * from first; all %s get the same set). */
sqlite3_stmt *hunt_prep_in(struct hctx *h, const char *sql, const struct util_ivec *ids, int first)
{
	char *m = marks(ids->n, first);
	struct util_buf b = { 0 };
	for (const char *p = sql; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			util_buf_puts(&b, m);
			p++;
		} else {
			util_buf_add(&b, p, 1);
		}
	}
	free(m);
	char *s = util_buf_take(&b);
	sqlite3_stmt *q = hunt_prep(h, s);
	free(s);
	if (q)
		bind_ids(q, ids, first);
	return q;
}


bool hunt_in_ids(const struct util_ivec *v, int64_t x)
{
	return x && util_ivec_has(v, x);
}

/* "a, b, c, +2" of up to HUNT_LIST_MAX texts of value ids. */
char *hunt_id_list(struct hctx *h, const struct util_ivec *ids)
{
	struct util_buf b = { 0 };
	for (size_t i = 0; i < ids->n && i < HUNT_LIST_MAX; i++) {
		char *s = hunt_vtext(h, ids->v[i]);
		if (b.n)
			util_buf_puts(&b, ", ");
		util_buf_puts(&b, s ? s : "");
		free(s);
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

/*
 * One pass over the events in rowid order, feeding each of hs[0..n)
 * (all begun); where (NULL: every event) narrows it for a hunt alone.
 * The progress handler of hs[0] watches for cancellation. 0, or -1 with
 * hs[0]->err.
 */
static int scan_events(struct hctx **hs, size_t n, const char *where, const struct util_ivec *ids)
{
	struct hctx *h = hs[0];
	static const struct util_ivec none = { 0 };
	unsigned cols = 0;
	for (size_t i = 0; i < n; i++)
		cols |= entries[hs[i]->r->def->id]->scan.cols;
	struct util_buf sql = { 0 };
	/* the columns of struct hunt_ev, in order (HUNT_EV_*) */
	static const char *const ev_cols[HUNT_EV_NCOLS] = { "id", "ts", "kind", "op", "user", "app", "client_app", "ip",
							    "mailbox", "access", "session", "token", "result", "flags" };
	int at[HUNT_EV_NCOLS]; /* result column of each hunt_ev member, or -1 */
	int nc = 0;
	util_buf_puts(&sql, "SELECT ");
	for (size_t c = 0; c < HUNT_EV_NCOLS; c++) {
		at[c] = -1;
		if (!(cols & (1u << c)))
			continue;
		util_buf_printf(&sql, "%s%s", nc ? ", " : "", ev_cols[c]);
		at[c] = nc++;
	}
	util_buf_printf(&sql, " FROM events NOT INDEXED%s%s", where ? " WHERE " : "", where ? where : "");
	sqlite3_stmt *q = hunt_prep_in(h, sql.p, ids ? ids : &none, 1);
	free(sql.p);
	if (!q)
		return -1;
	int k;
	struct hunt_ev e = { 0 };
	int64_t *m[HUNT_EV_NCOLS] = { &e.id, &e.ts, &e.kind, &e.op, &e.user, &e.app, &e.capp, &e.ip,
				 &e.mailbox, &e.access, &e.session, &e.token, &e.result, &e.flags };
	while ((k = sqlite3_step(q)) == SQLITE_ROW) {
		for (size_t c = 0; c < HUNT_EV_NCOLS; c++)
			if (at[c] >= 0)
				*m[c] = sqlite3_column_int64(q, at[c]);
		for (size_t i = 0; i < n; i++)
			entries[hs[i]->r->def->id]->scan.row(hs[i], &e);
	}
	sqlite3_finalize(q);
	return k == SQLITE_DONE ? 0 : hunt_fail_db(h);
}

/* A scan hunt alone: begin, its own scan, end. */
static int scan_alone(struct hctx *h)
{
	const struct hunt_scan *s = &entries[h->r->def->id]->scan;
	if (s->begin(h) < 0 || scan_events(&h, 1, s->where, s->ids ? s->ids(h) : NULL) < 0) {
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
	int64_t ex = x->nevents && x->events ? x->events[0] : 0, ey = y->nevents && y->events ? y->events[0] : 0;
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
		      struct hunt_rawshare *share, struct appnames *names)
{
	memset(h, 0, sizeof *h);
	h->st = st;
	h->db = store_db(st);
	h->share = share;
	h->t0 = now_s();
	if (o)
		h->o = *o;
	else
		hunt_opts_init(&h->o);
	struct hunt_result *r = h->r = xcalloc(1, sizeof *r);
	r->def = hunt_def(id);
	r->baseline_until = INT64_MIN;
	static const char *const mia[] = { "MailItemsAccessed", NULL };
	if (hunt_cancelled(h) || hunt_val_ids(h, mia, false, &h->mia) < 0)
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
	sqlite3_finalize(h->val_q);
	if (!h->names_lent)
		appnames_free(h->names);
	util_ivec_free(&h->mia);
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
	int rc = hunt_setup(&h, st, id, o, NULL, NULL);
	if (h.o.progress.fn)
		sqlite3_progress_handler(h.db, 4096, on_progress, &h);
	if (rc == 0 && !h.idle)
		rc = run_one(&h);
	if (h.o.progress.fn)
		sqlite3_progress_handler(h.db, 0, NULL, NULL);
	return hunt_finish(&h, rc, out, cause);
}

int hunt_run_all(struct store *st, const struct hunt_opts *o, struct hunt_result *out[HUNT_COUNT], char **cause)
{
	struct hunt_rawshare *share = hunt_rawshare_new();
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
		free(hs);
		return -1;
	}
	for (; nsetup < HUNT_COUNT; nsetup++) {
		double t0 = now_s();
		int rc = hunt_setup(&hs[nsetup], st, (enum hunt_id)nsetup, o, share, names);
		hs[nsetup].spent += now_s() - t0;
		if (rc < 0) {
			failed = nsetup++;
			break;
		}
	}
	struct hctx *w = &hs[0]; /* its progress handler watches for cancellation */
	if (failed < 0 && w->o.progress.fn)
		sqlite3_progress_handler(w->db, 4096, on_progress, w);
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
	if (failed < 0 && nscan) {
		double t0 = now_s();
		if (scan_events(scan, nscan, NULL, NULL) < 0)
			failed = (int)scan[0]->r->def->id;
		scan[0]->spent += now_s() - t0;
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
	if (w->o.progress.fn)
		sqlite3_progress_handler(w->db, 0, NULL, NULL);
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

