/*
 * sigma_run.c: the one pass of sigma_run.h.
 *
 * Groups: the rules of one logsource. Each group's events are found from
 * the normalized columns (its logsource filter through query.h, no raw
 * record read), as a sorted list of event ids; the pass then reads the
 * raw records of the union, in id order, and walks the groups' lists
 * alongside. Literals: every rule's (filter_sigma_literals), lower-cased,
 * in a table keyed by their first two bytes; one walk over a record's
 * text marks those present, and a rule is tested (filter_match_record)
 * only when one of its own is.
 */
#include "sigma_run.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "filter.h"
#include "query.h"
#include "sigma_field.h"
#include "xalloc.h"
#include "store.h"
#include "util.h"

struct ids {
	int64_t *v;
	size_t n, cap, at;
};

struct group {
	const struct sigma_logsource *ls;
	struct ids ids;
	size_t *rules; /* indexes into the set */
	size_t nrules;
};

/* The literal table. Literals of 7 bytes or more are found by looking
 * at every fourth position of a record only: each is indexed by the four
 * 4-byte windows at its offsets 0..3, one of which any occurrence puts on
 * a position divisible by four. Shorter ones (2..6 bytes) are looked for
 * at every position by their first two bytes. */
struct lit {
	char *s; /* lower-case */
	size_t n;
	int next; /* short literals: the next with the same first two bytes */
};

struct window {
	int lit, off, next;
};

/* Windows looked at every stride-th position: literals of at least
 * stride + 3 bytes, each under its windows at offsets 0..stride-1. */
struct wtab {
	int head[65536];
	uint64_t bloom[65536 / 64];
	struct window *w;
	size_t nw, cap;
	size_t stride;
};

struct lits {
	struct lit *v;
	size_t n, cap;
	int shead[65536];
	uint64_t sbloom[65536 / 64];
	bool any_short;
	struct wtab wt[2]; /* stride 4 (7 bytes and more), stride 2 (5, 6) */
};

/* What one thread's scan has found in the current record. */
struct seen {
	uint32_t *at; /* at[i] == stamp: literal i is in the current record */
	uint32_t stamp;
	size_t n;
};

struct rule_lits {
	int *ids; /* literal ids; NULL with n 0: always tested */
	size_t n;
};

/* What the threads share: read-only while they run, but for cancel. */
struct pass {
	const struct sigma_set *set;
	struct group *groups;
	size_t ngroups;
	struct lits L;
	struct rule_lits *rl;
	int64_t *uni; /* every event some group reads, ascending */
	size_t nuni;
	atomic_int cancel;
};

/* One thread's share of the pass: the events of ids [lo, hi). */
struct worker {
	struct pass *p;
	struct store *st; /* its own read-only connection, or the caller's */
	bool own;
	int64_t lo, hi;
	size_t *at; /* per group: the next id of its list */
	struct seen seen;
	struct sigma_hit_list *hits; /* per rule */
	bool *stopped;               /* a rule failed in this thread */
	uint64_t scanned, evaluated, rows;
	sigma_progress_fn progress; /* the calling thread's only */
	void *ctx;
	char *buf; /* the record, NUL-terminated */
	size_t bufcap;
	int rc;
	char *cause;
	pthread_t tid;
};

static unsigned char lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* A hash of 4 bytes that ignores case (and, harmlessly, folds a few
 * other pairs of bytes together: a match is checked byte by byte). */
static unsigned wkey(const unsigned char *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	x |= 0x20202020u;
	return (x * 2654435761u) >> 16;
}

static int lits_add(struct lits *L, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < L->n; i++)
		if (L->v[i].n == n && strcasecmp(L->v[i].s, s) == 0)
			return (int)i;
	L->v = xgrow(L->v, &L->cap, L->n + 1, sizeof *L->v);
	struct lit *l = &L->v[L->n];
	l->s = xstrdup(s);
	for (char *p = l->s; *p; p++)
		*p = (char)lc((unsigned char)*p);
	l->n = n;
	l->next = -1;
	struct wtab *t = n >= 7 ? &L->wt[0] : n >= 5 ? &L->wt[1] : NULL;
	if (t) {
		for (size_t off = 0; off < t->stride; off++) {
			unsigned key = wkey((const unsigned char *)l->s + off);
			t->w = xgrow(t->w, &t->cap, t->nw + 1, sizeof *t->w);
			t->w[t->nw] = (struct window){ (int)L->n, (int)off, t->head[key] };
			t->head[key] = (int)t->nw++;
			t->bloom[key / 64] |= 1ULL << (key % 64);
		}
	} else {
		unsigned key = (unsigned)(unsigned char)l->s[0] << 8 | (unsigned char)l->s[1];
		l->next = L->shead[key];
		L->shead[key] = (int)L->n;
		L->sbloom[key / 64] |= 1ULL << (key % 64);
		L->any_short = true;
	}
	return (int)L->n++;
}

static bool lit_at(const struct lit *l, const unsigned char *p)
{
	for (size_t k = 0; k < l->n; k++)
		if (lc(p[k]) != (unsigned char)l->s[k])
			return false;
	return true;
}

/* Mark every literal present in text. */
static void lits_scan(const struct lits *L, struct seen *S, const char *text, size_t n)
{
	if (++S->stamp == 0) {
		memset(S->at, 0, S->n * sizeof *S->at);
		S->stamp = 1;
	}
	const unsigned char *p = (const unsigned char *)text;
	for (int ti = 0; ti < 2; ti++) {
		const struct wtab *t = &L->wt[ti];
		if (!t->nw)
			continue;
		for (size_t i = 0; i + 4 <= n; i += t->stride) {
			unsigned key = wkey(p + i);
			if (!(t->bloom[key / 64] & (1ULL << (key % 64))))
				continue;
			for (int j = t->head[key]; j >= 0; j = t->w[j].next) {
				const struct window *w = &t->w[j];
				const struct lit *l = &L->v[w->lit];
				if (S->at[w->lit] == S->stamp || i < (size_t)w->off)
					continue;
				size_t at = i - (size_t)w->off;
				if (at + l->n <= n && lit_at(l, p + at))
					S->at[w->lit] = S->stamp;
			}
		}
	}
	if (!L->any_short)
		return;
	for (size_t i = 0; i + 1 < n; i++) {
		unsigned key = (unsigned)lc(p[i]) << 8 | lc(p[i + 1]);
		if (!(L->sbloom[key / 64] & (1ULL << (key % 64))))
			continue;
		for (int j = L->shead[key]; j >= 0; j = L->v[j].next) {
			const struct lit *l = &L->v[j];
			if (S->at[j] != S->stamp && l->n <= n - i && lit_at(l, p + i))
				S->at[j] = S->stamp;
		}
	}
}

static void ids_add(struct ids *s, int64_t id)
{
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof *s->v);
	s->v[s->n++] = id;
}

static int collect_id(void *ctx, const struct store_cell *c)
{
	ids_add(ctx, c[0].i);
	return 0;
}

/* The ids of a filter's events, ascending, from the columns alone. */
static int group_ids(struct store *st, const char *filter, struct ids *out, char **cause)
{
	struct query *q = NULL;
	if (query_new(st, filter, &q, cause) < 0)
		return -1;
	static const char *const cols[] = { "id" };
	int rc = query_scan(q, cols, 1, collect_id, out, cause);
	query_free(q);
	if (rc == 0 && out->n)
		util_i64_sort_unique(out->v, &out->n);
	return rc;
}

static void hit(struct sigma_hit_list *h, int64_t id)
{
	h->events = xgrow(h->events, &h->cap, h->nevents + 1, sizeof *h->events);
	h->events[h->nevents++] = id;
}

static bool rule_candidate(const struct pass *p, const struct seen *S, size_t r)
{
	const struct rule_lits *rl = &p->rl[r];
	if (!rl->n)
		return true;
	for (size_t i = 0; i < rl->n; i++)
		if (S->at[rl->ids[i]] == S->stamp)
			return true;
	return false;
}

static int on_record(void *ctx, int64_t id, const char *text, size_t n)
{
	struct worker *w = ctx;
	struct pass *p = w->p;
	w->buf = xgrow(w->buf, &w->bufcap, n + 1, 1);
	memcpy(w->buf, text, n);
	w->buf[n] = '\0';
	const char *raw = w->buf;
	w->scanned++;
	if ((++w->rows & 4095) == 1) {
		if (atomic_load(&p->cancel))
			return 1;
		if (w->progress &&
		    w->progress(w->ctx, w->hi > w->lo ? (double)(id - w->lo) / (double)(w->hi - w->lo) : -1.0)) {
			atomic_store(&p->cancel, 1);
			return 1;
		}
	}
	bool scanned = false;
	for (size_t g = 0; g < p->ngroups; g++) {
		const struct group *gr = &p->groups[g];
		const struct ids *ids = &gr->ids;
		size_t *at = &w->at[g];
		while (*at < ids->n && ids->v[*at] < id)
			(*at)++;
		if (*at >= ids->n || ids->v[*at] != id)
			continue;
		if (!scanned) {
			lits_scan(&p->L, &w->seen, raw, n);
			scanned = true;
		}
		for (size_t k = 0; k < gr->nrules; k++) {
			size_t r = gr->rules[k];
			if (w->stopped[r] || !rule_candidate(p, &w->seen, r))
				continue;
			w->evaluated++;
			char *why = NULL;
			int m = filter_match_record(p->set->rules[r].f, raw, n, &why);
			if (m < 0) {
				struct sigma_hit_list *h = &w->hits[r];
				h->outcome = SIGMA_FAILED;
				h->why = xasprintf("stopped at event %lld: %s", (long long)id,
						   why ? why : "error");
				free(why);
				w->stopped[r] = true;
				continue;
			}
			if (m)
				hit(&w->hits[r], id);
		}
	}
	return 0;
}

/* The first index of v[0..n) (ascending) holding an id >= x. */
static size_t lower_bound(const int64_t *v, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Scan the worker's share: the union's events with ids in [lo, hi),
 * their raw records read in id order. */
static void *work(void *arg)
{
	struct worker *w = arg;
	const struct pass *p = w->p;
	size_t a = lower_bound(p->uni, p->nuni, w->lo), b = lower_bound(p->uni, p->nuni, w->hi);
	w->rc = store_raw_each(w->st, p->uni + a, b - a, on_record, w, &w->cause);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sigma_run_free(struct sigma_run *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->set && i < r->set->n; i++) {
		free(r->hits[i].why);
		free(r->hits[i].events);
	}
	free(r->hits);
	free(r);
}

static void pass_clear(struct pass *p, size_t nrules)
{
	for (size_t g = 0; g < p->ngroups; g++) {
		free(p->groups[g].ids.v);
		free(p->groups[g].rules);
	}
	free(p->groups);
	for (size_t i = 0; i < p->L.n; i++)
		free(p->L.v[i].s);
	free(p->L.v);
	free(p->L.wt[0].w);
	free(p->L.wt[1].w);
	for (size_t i = 0; p->rl && i < nrules; i++)
		free(p->rl[i].ids);
	free(p->rl);
	free(p->uni);
}

static int nthreads(size_t events)
{
	const char *e = getenv("AUDITSCOPE_SIGMA_THREADS");
	int n = e ? atoi(e) : 4;
	if (n < 1)
		n = 1;
	if (n > 16)
		n = 16;
	/* a small case is not worth the connections (unless asked) */
	if (!e && events < 20000)
		n = 1;
	return n;
}

int sigma_run_case(struct store *st, const struct sigma_set *set, sigma_progress_fn progress, void *ctx,
		   struct sigma_run **out, char **cause)
{
	double t0 = now_s();
	*out = NULL;
	struct sigma_run *run = xcalloc(1, sizeof *run);
	run->set = set;
	run->hits = xcalloc(set->n ? set->n : 1, sizeof *run->hits);
	struct pass *p = xcalloc(1, sizeof *p);
	p->set = set;
	p->rl = xcalloc(set->n ? set->n : 1, sizeof *p->rl);
	int64_t min_id = INT64_MAX, max_id = INT64_MIN;
	size_t total = 0;
	memset(p->L.shead, -1, sizeof p->L.shead);
	for (int t = 0; t < 2; t++) {
		memset(p->L.wt[t].head, -1, sizeof p->L.wt[t].head);
		p->L.wt[t].stride = t ? 2 : 4;
	}
	int rc = 0;

	/* groups, and the rules that cannot run */
	for (size_t i = 0; i < set->n; i++) {
		const struct sigma_rule *r = &set->rules[i];
		struct sigma_hit_list *h = &run->hits[i];
		if (r->st != SIGMA_OK) {
			h->outcome = SIGMA_NOT_RUN;
			continue;
		}
		if (!r->ls->filter) {
			h->outcome = SIGMA_SKIPPED;
			h->why = xasprintf("auditscope does not read %s", r->ls->kinds);
			continue;
		}
		size_t g = 0;
		while (g < p->ngroups && p->groups[g].ls != r->ls)
			g++;
		if (g == p->ngroups) {
			p->groups = xrealloc(p->groups, (p->ngroups + 1) * sizeof *p->groups);
			memset(&p->groups[g], 0, sizeof p->groups[g]);
			p->groups[g].ls = r->ls;
			p->ngroups++;
		}
		struct group *gr = &p->groups[g];
		gr->rules = xrealloc(gr->rules, (gr->nrules + 1) * sizeof *gr->rules);
		gr->rules[gr->nrules++] = i;
	}

	/* each group's events; the union of those that have any */
	struct ids uni = { 0 };
	for (size_t g = 0; g < p->ngroups && rc == 0; g++) {
		struct group *gr = &p->groups[g];
		rc = group_ids(st, gr->ls->filter, &gr->ids, cause);
		if (rc < 0)
			break;
		if (!gr->ids.n) {
			for (size_t k = 0; k < gr->nrules; k++) {
				struct sigma_hit_list *h = &run->hits[gr->rules[k]];
				h->outcome = SIGMA_SKIPPED;
				h->why = xasprintf("the case has no %s", gr->ls->kinds);
			}
			gr->nrules = 0;
			continue;
		}
		if (gr->ids.v[gr->ids.n - 1] > max_id)
			max_id = gr->ids.v[gr->ids.n - 1];
		if (gr->ids.v[0] < min_id)
			min_id = gr->ids.v[0];
		total += gr->ids.n;
		for (size_t k = 0; k < gr->ids.n; k++)
			ids_add(&uni, gr->ids.v[k]);
	}
	if (uni.n)
		util_i64_sort_unique(uni.v, &uni.n);

	/* the literals of the rules that will run */
	for (size_t g = 0; g < p->ngroups; g++) {
		struct group *gr = &p->groups[g];
		for (size_t k = 0; k < gr->nrules; k++) {
			size_t i = gr->rules[k];
			const char **l = NULL;
			size_t nl = filter_sigma_literals(set->rules[i].f, &l);
			if (nl) {
				p->rl[i].ids = xmalloc(nl * sizeof *p->rl[i].ids);
				for (size_t j = 0; j < nl; j++)
					p->rl[i].ids[j] = lits_add(&p->L, l[j]);
				p->rl[i].n = nl;
			}
			free(l);
		}
	}
	p->uni = uni.v;
	p->nuni = uni.n;

	/* the pass: the id range cut in equal spans, one per thread; the
	 * calling thread takes the first and reports progress */
	if (rc == 0 && uni.n) {
		int nt = nthreads(total);
		struct worker *ws = xcalloc((size_t)nt, sizeof *ws);
		int64_t span = (max_id - min_id) / nt + 1;
		for (int t = 0; t < nt; t++) {
			struct worker *w = &ws[t];
			w->p = p;
			w->lo = min_id + span * t;
			w->hi = t == nt - 1 ? max_id + 1 : min_id + span * (t + 1);
			w->at = xcalloc(p->ngroups ? p->ngroups : 1, sizeof *w->at);
			w->seen.n = p->L.n;
			w->seen.at = xcalloc(p->L.n ? p->L.n : 1, sizeof *w->seen.at);
			w->hits = xcalloc(set->n ? set->n : 1, sizeof *w->hits);
			w->stopped = xcalloc(set->n ? set->n : 1, sizeof *w->stopped);
			w->st = st;
			if (t == 0) {
				w->progress = progress;
				w->ctx = ctx;
				continue;
			}
			if (store_open(store_path(st), STORE_READONLY, &w->st, &w->cause) < 0) {
				w->st = NULL;
				w->rc = -1;
				continue;
			}
			w->own = true;
			if (pthread_create(&w->tid, NULL, work, w) != 0) {
				w->rc = set_cause(&w->cause, "cannot start a thread");
				store_close(w->st);
				w->st = NULL;
				w->own = false;
			}
		}
		work(&ws[0]);
		if (ws[0].rc < 0)
			atomic_store(&p->cancel, 1);
		for (int t = 1; t < nt; t++)
			if (ws[t].own)
				pthread_join(ws[t].tid, NULL);
		/* in thread order, which is id order */
		for (int t = 0; t < nt; t++) {
			struct worker *w = &ws[t];
			if (w->rc < 0 && rc == 0) {
				rc = -1;
				set_cause(cause, "%s", w->cause ? w->cause : "failed");
			}
			run->scanned += w->scanned;
			run->evaluated += w->evaluated;
			for (size_t i = 0; i < set->n; i++) {
				struct sigma_hit_list *h = &run->hits[i], *x = &w->hits[i];
				if (x->outcome == SIGMA_FAILED && h->outcome != SIGMA_FAILED) {
					h->outcome = SIGMA_FAILED;
					h->why = x->why;
					x->why = NULL;
				}
				for (size_t k = 0; k < x->nevents; k++)
					hit(h, x->events[k]);
				free(x->events);
				free(x->why);
			}
			free(w->hits);
			free(w->stopped);
			free(w->at);
			free(w->seen.at);
			free(w->buf);
			free(w->cause);
			if (w->own)
				store_close(w->st);
		}
		free(ws);
		if (rc == 0 && atomic_load(&p->cancel))
			rc = set_cause(cause, "interrupted");
	}
	pass_clear(p, set->n);
	free(p);
	if (rc < 0) {
		sigma_run_free(run);
		return -1;
	}
	for (size_t i = 0; i < set->n; i++) {
		struct sigma_hit_list *h = &run->hits[i];
		switch (h->outcome) {
		case SIGMA_RUN:
			run->ran++;
			if (h->nevents)
				run->matched++;
			break;
		case SIGMA_SKIPPED: run->skipped++; break;
		case SIGMA_NOT_RUN: run->unsupported++; break;
		case SIGMA_FAILED: run->failed++; break;
		}
	}
	run->seconds = now_s() - t0;
	*out = run;
	return 0;
}
