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

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "filter.h"
#include "query.h"
#include "sigma_field.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

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
	uint32_t *seen; /* seen[i] == stamp: literal i is in the current record */
	uint32_t stamp;
};

struct rule_lits {
	int *ids; /* literal ids; NULL with n 0: always tested */
	size_t n;
};

struct pass {
	struct sigma_run *run;
	const struct sigma_set *set;
	struct group *groups;
	size_t ngroups;
	struct lits L;
	struct rule_lits *rl;
	bool *stopped; /* rule failed while running */
	sigma_progress_fn progress;
	void *ctx;
	int64_t max_id;
	uint64_t rows;
	bool cancelled;
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
static void lits_scan(struct lits *L, const char *text, size_t n)
{
	if (++L->stamp == 0) {
		memset(L->seen, 0, L->n * sizeof *L->seen);
		L->stamp = 1;
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
				if (L->seen[w->lit] == L->stamp || i < (size_t)w->off)
					continue;
				size_t at = i - (size_t)w->off;
				if (at + l->n <= n && lit_at(l, p + at))
					L->seen[w->lit] = L->stamp;
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
			if (L->seen[j] != L->stamp && l->n <= n - i && lit_at(l, p + i))
				L->seen[j] = L->stamp;
		}
	}
}

static void ids_add(struct ids *s, int64_t id)
{
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof *s->v);
	s->v[s->n++] = id;
}

static int collect_id(void *ctx, sqlite3_stmt *s)
{
	ids_add(ctx, sqlite3_column_int64(s, 0));
	return 0;
}

/* The ids of a filter's events, ascending, from the columns alone. */
static int group_ids(struct store *st, const char *filter, struct ids *out, char **cause)
{
	struct query *q = NULL;
	if (query_new(st, filter, &q, cause) < 0)
		return -1;
	char *sql = xasprintf("SELECT e.id FROM events e WHERE %s ORDER BY e.id", query_sql_where(q));
	sqlite3_stmt *stmt = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &stmt, NULL) != SQLITE_OK || query_sql_bind(q, stmt) != SQLITE_OK) {
		rc = set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
	} else {
		rc = query_sql_run(q, stmt, collect_id, out, cause);
	}
	sqlite3_finalize(stmt);
	free(sql);
	query_free(q);
	return rc;
}

static void hit(struct sigma_hit_list *h, int64_t id)
{
	h->events = xgrow(h->events, &h->cap, h->nevents + 1, sizeof *h->events);
	h->events[h->nevents++] = id;
}

static bool rule_candidate(const struct pass *p, size_t r)
{
	const struct rule_lits *rl = &p->rl[r];
	if (!rl->n)
		return true;
	for (size_t i = 0; i < rl->n; i++)
		if (p->L.seen[rl->ids[i]] == p->L.stamp)
			return true;
	return false;
}

static int on_record(void *ctx, sqlite3_stmt *s)
{
	struct pass *p = ctx;
	int64_t id = sqlite3_column_int64(s, 0);
	const char *raw = (const char *)sqlite3_column_text(s, 1);
	size_t n = (size_t)sqlite3_column_bytes(s, 1);
	p->run->scanned++;
	if (p->progress && (++p->rows & 4095) == 1 &&
	    p->progress(p->ctx, p->max_id > 0 ? (double)id / (double)p->max_id : -1.0)) {
		p->cancelled = true;
		return 1;
	}
	if (!raw)
		return 0;
	bool scanned = false;
	for (size_t g = 0; g < p->ngroups; g++) {
		struct group *gr = &p->groups[g];
		struct ids *ids = &gr->ids;
		while (ids->at < ids->n && ids->v[ids->at] < id)
			ids->at++;
		if (ids->at >= ids->n || ids->v[ids->at] != id)
			continue;
		if (!scanned) {
			lits_scan(&p->L, raw, n);
			scanned = true;
		}
		for (size_t k = 0; k < gr->nrules; k++) {
			size_t r = gr->rules[k];
			if (p->stopped[r] || !rule_candidate(p, r))
				continue;
			p->run->evaluated++;
			char *why = NULL;
			int m = filter_match_record(p->set->rules[r].f, raw, n, &why);
			if (m < 0) {
				struct sigma_hit_list *h = &p->run->hits[r];
				h->outcome = SIGMA_FAILED;
				h->why = xasprintf("stopped at event %lld: %s", (long long)id, why ? why : "error");
				free(why);
				p->stopped[r] = true;
				continue;
			}
			if (m)
				hit(&p->run->hits[r], id);
		}
	}
	return 0;
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

static void pass_clear(struct pass *p)
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
	free(p->L.seen);
	for (size_t i = 0; p->rl && i < p->set->n; i++)
		free(p->rl[i].ids);
	free(p->rl);
	free(p->stopped);
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
	p->run = run;
	p->set = set;
	p->progress = progress;
	p->ctx = ctx;
	p->rl = xcalloc(set->n ? set->n : 1, sizeof *p->rl);
	p->stopped = xcalloc(set->n ? set->n : 1, sizeof *p->stopped);
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
	char *uni = NULL;
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
		if (gr->ids.v[gr->ids.n - 1] > p->max_id)
			p->max_id = gr->ids.v[gr->ids.n - 1];
		char *u = uni ? xasprintf("%s or (%s)", uni, gr->ls->filter) : xasprintf("(%s)", gr->ls->filter);
		free(uni);
		uni = u;
	}

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
	p->L.seen = xcalloc(p->L.n ? p->L.n : 1, sizeof *p->L.seen);

	/* the pass */
	if (rc == 0 && uni) {
		struct query *q = NULL;
		rc = query_new(st, uni, &q, cause);
		if (rc == 0) {
			char *sql = xasprintf("SELECT e.id, raw_json(e.id) FROM events e WHERE %s ORDER BY e.id",
					      query_sql_where(q));
			sqlite3_stmt *stmt = NULL;
			if (sqlite3_prepare_v2(store_db(st), sql, -1, &stmt, NULL) != SQLITE_OK ||
			    query_sql_bind(q, stmt) != SQLITE_OK)
				rc = set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
			else
				rc = query_sql_run(q, stmt, on_record, p, cause);
			sqlite3_finalize(stmt);
			free(sql);
			query_free(q);
		}
		if (rc == 0 && p->cancelled)
			rc = set_cause(cause, "interrupted");
	}
	free(uni);
	pass_clear(p);
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
