/*
 * hunt_logons.c: failed logons. failed-then-success, a password guessed:
 * failed logons of a user from an IP the tenant had not seen, then a
 * successful one from the same IP within the hour. password-spray: one
 * IP failing for many accounts within a day (or over the case, slower),
 * and which of them it then got into. Both are scans (hunt_entry.h) over the events with a user and
 * an IP, sharing one accumulator: UAL UserLoginFailed / UserLoggedIn and
 * Entra sign-ins (whose results normalization gives as "Success" /
 * "Failure (50126: ...)").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "hunt_entry.h"
#include "store.h"
#include "xalloc.h"

/* Failures this many or more before the success make a row. */
#define MIN_FAILURES 2
/* Accounts failing from one IP within a day that make a spray. */
#define SPRAY_ACCOUNTS 5

static const struct hunt_col cols_logons[] = {
	{ "user", HUNT_TEXT },          { "ip", HUNT_TEXT },      { "failures", HUNT_NUMBER },
	{ "first_failure", HUNT_TIME }, { "success", HUNT_TIME }, { "minutes", HUNT_NUMBER },
};

struct logon {
	int64_t id, ts, user, ip;
	int64_t result; /* a sign-in's result not yet known to be a failure, or 0 */
	bool ok;
	bool signin; /* from the sign-in log (else the UAL) */
};

/* A failed logon the UAL (UserLoginFailed) and the sign-in log both
 * record comes as two events this close together: one attempt. */
#define SAME_ATTEMPT_MS 5000

/* A user's first event from an IP (failed-then-success). */
struct pair {
	int64_t user, ip, first;
	int64_t run; /* the first failure of the user's guessed password from it, or 0 */
};

struct logons_acc {
	struct util_ivec ok, ok_op, fail_op; /* value ids of results and operations */
	struct util_imap pair_at;            /* (user, ip) -> its index in pair + 1 */
	struct pair *pair;
	size_t npair, cappair;
	bool pairs; /* follow each (user, ip)'s first event (failed-then-success) */
	struct logon *l;
	size_t n, cap;
	bool unordered; /* l is not in (ts, id) order (the pass's order) */
	int64_t cov0;   /* the first event with a user and an IP */
	int64_t last_ts, last_id;
};

static int logons_begin(struct hctx *h)
{
	static const char *const ok_names[] = { "Success", "0", NULL };
	static const char *const ok_ops[] = { "UserLoggedIn", NULL };
	static const char *const fail_ops[] = { "UserLoginFailed", NULL };
	struct logons_acc *a = h->acc = xcalloc(1, sizeof *a);
	a->cov0 = INT64_MAX;
	if (hunt_val_ids(h, "result", ok_names, false, &a->ok) < 0 ||
	    hunt_val_ids(h, "op", ok_ops, false, &a->ok_op) < 0 ||
	    hunt_val_ids(h, "op", fail_ops, false, &a->fail_op) < 0)
		return -1;
	return 0;
}

static int logons_begin_pairs(struct hctx *h)
{
	int rc = logons_begin(h);
	((struct logons_acc *)h->acc)->pairs = true;
	return rc;
}

/* The pair record of (user, ip), made when absent. Keys two pairs share
 * (the packed key of 64-bit value hashes) probe on by a rehash. */
static struct pair *logons_pair(struct logons_acc *a, int64_t user, int64_t ip, bool make)
{
	uint64_t key = util_pair_key(user, ip);
	for (;;) {
		if (!key)
			key = 1;
		bool isnew = false;
		int64_t *slot;
		if (make) {
			slot = util_imap_slot(&a->pair_at, key, 0, &isnew);
		} else {
			const int64_t *got = util_imap_get(&a->pair_at, key);
			if (!got)
				return NULL;
			slot = (int64_t *)got;
		}
		if (isnew) {
			a->pair = xgrow(a->pair, &a->cappair, a->npair + 1, sizeof *a->pair);
			a->pair[a->npair] = (struct pair){ user, ip, INT64_MAX, 0 };
			*slot = (int64_t)++a->npair;
		}
		struct pair *p = &a->pair[*slot - 1];
		if (p->user == user && p->ip == ip)
			return p;
		key = util_mix64(key + 0x9e3779b97f4a7c15ULL);
	}
}

static void logons_row(struct hctx *h, const struct hunt_ev *e)
{
	struct logons_acc *a = h->acc;
	if (!e->user || !e->ip)
		return;
	if (e->ts < a->cov0)
		a->cov0 = e->ts;
	bool signin = e->kind == KIND_SIGNIN;
	bool ok = hunt_in_ids(&a->ok_op, e->op) || (signin && hunt_in_ids(&a->ok, e->result));
	bool fail = hunt_in_ids(&a->fail_op, e->op);
	/* a sign-in's other result: a failure if its text says so
	 * (logons_failures) */
	int64_t maybe = !ok && !fail && signin ? e->result : 0;
	if (a->pairs && !fail && !maybe) {
		/* a failed logon does not show the tenant an address: the
		 * intruder's guesses would */
		struct pair *p = logons_pair(a, e->user, e->ip, true);
		if (e->ts < p->first)
			p->first = e->ts;
	}
	if (!ok && !fail && !maybe)
		return;
	if (a->n && (e->ts < a->last_ts || (e->ts == a->last_ts && e->id < a->last_id)))
		a->unordered = true;
	a->last_ts = e->ts;
	a->last_id = e->id;
	a->l = xgrow(a->l, &a->cap, a->n + 1, sizeof *a->l);
	a->l[a->n++] = (struct logon){ e->id, e->ts, e->user, e->ip, maybe, ok, signin };
}

/*
 * The sign-ins kept on a result that may be a failure ("Failure (50126)",
 * "Failure (50053)", ...: its text begins with "Failure" in any case):
 * each result's text asked once, here, and the sign-ins whose result is
 * none dropped. logons_begin asked the store instead for every value of
 * the case that begins so: a scan of all the case's values (587k on 1M
 * high-cardinality events: 0.40 G instructions, once for each of the two
 * hunts, 5% of all hunts' CPU), for the few results sign-ins have.
 */
static void logons_failures(struct hctx *h, struct logons_acc *a)
{
	struct util_ivec ids = { 0 };
	for (size_t i = 0; i < a->n; i++)
		if (a->l[i].result)
			util_ivec_push(&ids, a->l[i].result);
	if (!ids.n)
		return;
	util_i64_sort_unique(ids.v, &ids.n);
	hunt_vtexts_warm(h, "result", ids.v, ids.n);
	struct util_imap fail = { 0 };
	for (size_t i = 0; i < ids.n; i++) {
		char *t = hunt_vtext(h, "result", ids.v[i]);
		util_imap_slot(&fail, (uint64_t)ids.v[i], t && !strncasecmp(t, "Failure", 7), NULL);
		free(t);
	}
	size_t m = 0;
	a->unordered = false;
	for (size_t i = 0; i < a->n; i++) {
		struct logon x = a->l[i];
		if (x.result && !*util_imap_get(&fail, (uint64_t)x.result))
			continue;
		x.result = 0;
		if (m && (x.ts < a->l[m - 1].ts || (x.ts == a->l[m - 1].ts && x.id < a->l[m - 1].id)))
			a->unordered = true;
		a->l[m++] = x;
	}
	a->n = m;
	util_imap_free(&fail);
	util_ivec_free(&ids);
}

/*
 * Order a's logons by (user, ip, ts, id), or by ip with by_ip, as far as
 * the ends below look: each key's logons together, in (ts, id) order.
 * The pass gives them in (ts, id) order (a server's gathered pass, a
 * SQLite case loaded in time order), so they are put into their keys'
 * places in one go, keeping that order, rather than sorted (a sort of
 * 1.6M logons twice was a sixth of all hunts' client time at 10M); the
 * keys' groups then come in the order of their first logon, which
 * nothing below depends on. Else, or when two keys share a packed key,
 * qsort with cmp.
 */
static void logons_group(struct logons_acc *a, bool by_ip, int (*cmp)(const void *, const void *))
{
	size_t n = a->n;
	bool ok = !a->unordered && n > 1;
	struct util_imap g = { 0 }; /* key -> group + 1 */
	size_t ng = 0;
	int64_t *count = ok ? xcalloc(n, sizeof *count) : NULL; /* per group */
	int64_t *gi = ok ? xmalloc(n * sizeof *gi) : NULL;
	size_t *first = ok ? xmalloc(n * sizeof *first) : NULL; /* a group's first logon */
	for (size_t i = 0; ok && i < n; i++) {
		const struct logon *x = &a->l[i];
		uint64_t key = by_ip ? (uint64_t)x->ip : util_pair_key(x->user, x->ip);
		bool isnew;
		int64_t *slot = util_imap_slot(&g, key ? key : 1, 0, &isnew);
		if (isnew) {
			*slot = (int64_t)ng + 1;
			first[ng++] = i;
		}
		const struct logon *y = &a->l[first[*slot - 1]];
		if (y->ip != x->ip || (!by_ip && y->user != x->user))
			ok = false; /* a packed key two keys share */
		gi[i] = *slot - 1;
		count[gi[i]]++;
	}
	if (ok) {
		int64_t at = 0;
		for (size_t k = 0; k < ng; k++) {
			int64_t c = count[k];
			count[k] = at;
			at += c;
		}
		struct logon *out = xmalloc(n * sizeof *out);
		for (size_t i = 0; i < n; i++)
			out[count[gi[i]]++] = a->l[i];
		free(a->l);
		a->l = out;
		a->cap = n;
	} else if (n > 1) {
		qsort(a->l, n, sizeof *a->l, cmp);
	}
	free(gi);
	free(first);
	free(count);
	util_imap_free(&g);
}

static void logons_drop(struct hctx *h)
{
	struct logons_acc *a = h->acc;
	util_ivec_free(&a->ok);
	util_ivec_free(&a->ok_op);
	util_ivec_free(&a->fail_op);
	util_imap_free(&a->pair_at);
	free(a->pair);
	free(a->l);
	free(a);
	h->acc = NULL;
}

/* The scan both hunts of this file run: the same accumulator, each its
 * own end. */
#define LOGONS_SCAN(begin, end)                                                                   \
	{                                                                                         \
		begin, logons_row, end, logons_drop, NULL, NULL, 0,                               \
			HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(kind) | HUNT_EV(op) | HUNT_EV(user) | \
				HUNT_EV(ip) | HUNT_EV(result),                                    \
			true                                                                      \
	}

static int cmp_logon(const void *a, const void *b)
{
	const struct logon *x = a, *y = b;
	const int64_t kx[] = { x->user, x->ip, x->ts, x->id }, ky[] = { y->user, y->ip, y->ts, y->id };
	for (int i = 0; i < 4; i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	return 0;
}

/*
 * In the case's first day the tenant cannot have known an address (every
 * address is new in its first hour; a user who mistyped a password at
 * home then was a hit): there, an address the user signs in from again
 * more than a day after the success k of l[first..j) is the user's own.
 * Later in the case the past decides alone (an intruder who keeps
 * signing in from the address stays a hit).
 */
static bool logons_later(const struct logons_acc *a, size_t first, size_t k, size_t j)
{
	if (a->l[first].ts > hunt_add(a->cov0, DAY_MS))
		return false;
	for (size_t m = k + 1; m < j; m++)
		if (a->l[m].ok && a->l[m].ts > hunt_add(a->l[k].ts, DAY_MS))
			return true;
	return false;
}

/* A user's password guessed from an IP: l[first..k] its failures and
 * the success. */
struct guess {
	size_t first, k, j, nfail;
};

/*
 * The first run of one (user, ip)'s logons l[i..j) that is a guess: two
 * or more failures, then a success within the hour of the first. Returns
 * false when there is none.
 */
static bool logons_guess(const struct logons_acc *a, size_t i, size_t j, struct guess *g)
{
	size_t first = j, nfail = 0, prev = j; /* prev: the last attempt counted */
	for (size_t k = i; k < j; k++) {
		if (!a->l[k].ok) {
			/* the other log's record of the attempt counted last */
			if (nfail && a->l[k].signin != a->l[prev].signin &&
			    a->l[k].ts <= hunt_add(a->l[prev].ts, SAME_ATTEMPT_MS)) {
				prev = j;
				continue;
			}
			if (!nfail++)
				first = k;
			prev = k;
			continue;
		}
		if (nfail < MIN_FAILURES || a->l[k].ts > hunt_add(a->l[first].ts, HOUR_MS)) {
			nfail = 0; /* a success ends a run of failures */
			prev = j;
			continue;
		}
		*g = (struct guess){ first, k, j, nfail };
		return true;
	}
	return false;
}

/*
 * ip -> the first time a user came from it who shows the tenant the
 * address: any success or other event, but not failed logons, nor a user
 * whose password was guessed from it (a guess from an address no one
 * used an hour before) until after the guess. The intruder who guessed
 * one user's password and read the mailbox, then guesses a second user's
 * from the same address hours later, is guessing from an address only
 * the intruder used (the second guess was missed until wave 26).
 */
static void logons_known(struct logons_acc *a, struct util_imap *known)
{
	for (size_t i = 0; i < a->npair; i++) {
		const struct pair *p = &a->pair[i];
		if (p->first == INT64_MAX || (p->run && p->first >= hunt_add(p->run, -HOUR_MS)))
			continue;
		int64_t *f = util_imap_slot(known, p->ip ? (uint64_t)p->ip : 1, p->first, NULL);
		if (p->first < *f)
			*f = p->first;
	}
}

static void logons_emit(struct hctx *h, const struct logons_acc *a, const struct guess *g)
{
	size_t first = g->first, k = g->k, nfail = g->nfail;
	struct hunt_row *row = hunt_row_new(h, true);
	for (size_t m = first; m <= k; m++)
		hunt_row_event(row, a->l[m].id, a->l[m].ts);
	char *u = hunt_vtext(h, "user", a->l[k].user), *ip = hunt_vtext(h, "ip", a->l[k].ip);
	int64_t min = hunt_gap(a->l[k].ts, a->l[first].ts) / 60000;
	hunt_row_set(row, 0, u);
	hunt_row_set(row, 1, ip);
	hunt_row_num(row, 2, (int64_t)nfail);
	hunt_row_time(row, 3, a->l[first].ts);
	hunt_row_time(row, 4, a->l[k].ts);
	hunt_row_num(row, 5, min);
	char *why = xasprintf("%zu failed logons from an IP new to the tenant, then a success %" PRId64
			      " min after the first",
			      nfail, min);
	hunt_row_reason(row, 60 + 10 * (int)(nfail < 4 ? nfail : 4), why);
	free(why);
	struct util_buf f = { 0 };
	hunt_filter_term(&f, "user", u);
	hunt_filter_term(&f, "ip", ip);
	hunt_filter_time(&f, a->l[first].ts, a->l[k].ts);
	hunt_row_filter(row, &f);
	free(u);
	free(ip);
}

static int logons_end(struct hctx *h)
{
	struct logons_acc *a = h->acc;
	logons_failures(h, a);
	logons_group(a, false, cmp_logon);
	/* each (user, ip)'s first guess, then whether the tenant knew the
	 * address an hour before it */
	struct guess *g = NULL;
	size_t ng = 0, capg = 0;
	for (size_t i = 0; i < a->n;) {
		size_t j = i;
		while (j < a->n && a->l[j].user == a->l[i].user && a->l[j].ip == a->l[i].ip)
			j++;
		struct guess x;
		if (logons_guess(a, i, j, &x)) {
			g = xgrow(g, &capg, ng + 1, sizeof *g);
			g[ng++] = x;
			struct pair *p = logons_pair(a, a->l[i].user, a->l[i].ip, false);
			if (p)
				p->run = a->l[x.first].ts;
		}
		i = j;
	}
	struct util_imap known = { 0 };
	if (ng)
		logons_known(a, &known);
	for (size_t n = 0; n < ng; n++) {
		const struct logon *f = &a->l[g[n].first];
		const int64_t *ipf = util_imap_get(&known, f->ip ? (uint64_t)f->ip : 1);
		if (ipf && *ipf < hunt_add(f->ts, -HOUR_MS))
			continue; /* the tenant knew the address */
		if (logons_later(a, g[n].first, g[n].k, g[n].j))
			continue; /* the user's own: nothing earlier to know it by */
		logons_emit(h, a, &g[n]);
	}
	util_imap_free(&known);
	free(g);
	logons_drop(h);
	return 0;
}

const struct hunt_entry hunt_failed_then_success = {
	.def = { HUNT_FAILED_THEN_SUCCESS, "failed-then-success",
		 "failed logons from an IP new to the tenant, then a success from it",
		 "A password guessed: two or more failed logons of a user (UAL UserLoginFailed, Entra sign-ins "
		 "with a Failure result; an attempt both logs record, seconds apart, counts once) from an IP no "
		 "user of the tenant came from more than an hour before, then a successful logon of the same user from the same IP within the hour of the first failure. "
		 "Failed logons do not make an IP known, nor does a user whose password was guessed from it (the "
		 "intruder guessing a second user's password from the address of the first is a hit again). "
		 "In the case's first day, where nothing came before, an IP the user signs in from again more than a "
		 "day after the success is the user's own, not a finding. "
		 "Every row is a hit. Score: 60, plus 10 per failure (up to 4).",
		 HUNT_COLS(cols_logons) },
	.order = HUNT_ORDER_TIME,
	.scan = LOGONS_SCAN(logons_begin_pairs, logons_end),
};

/* ------------------------------------------------------------------ */
/* password-spray */

static const struct hunt_col cols_spray[] = {
	{ "ip", HUNT_TEXT },    { "accounts", HUNT_NUMBER }, { "failures", HUNT_NUMBER },
	{ "first", HUNT_TIME }, { "last", HUNT_TIME },       { "signed_in", HUNT_NUMBER },
	{ "users", HUNT_TEXT },
};

static int cmp_by_ip(const void *a, const void *b)
{
	const struct logon *x = a, *y = b;
	const int64_t kx[] = { x->ip, x->ts, x->id }, ky[] = { y->ip, y->ts, y->id };
	for (int i = 0; i < 3; i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	return 0;
}

/* Count u in (or out of) a window of failures: *distinct follows how
 * many accounts have at least one. */
static void window_count(struct util_imap *m, int64_t u, int d, size_t *distinct)
{
	int64_t *c = util_imap_slot(m, (uint64_t)u, 0, NULL);
	if (d > 0 && (*c)++ == 0)
		(*distinct)++;
	else if (d < 0 && --(*c) == 0)
		(*distinct)--;
}

/* One IP's logons l[0..n) in time order: a row when, within a day, more
 * accounts than SPRAY_ACCOUNTS - 1 failed from it and it failed more
 * often than it succeeded (an address many people share fails now and
 * then, for different accounts, among many more successes). */
static void spray_ip(struct hctx *h, const struct logon *l, size_t n, size_t *fail)
{
	size_t nf = 0;
	for (size_t i = 0; i < n; i++)
		if (!l[i].ok)
			fail[nf++] = i;
	if (nf < SPRAY_ACCOUNTS)
		return;
	/* the day-long window of failures with the most accounts */
	struct util_imap m = { 0 };
	size_t distinct = 0, best = 0, blo = 0, bhi = 0;
	for (size_t hi = 0, lo = 0; hi < nf; hi++) {
		window_count(&m, l[fail[hi]].user, 1, &distinct);
		while (l[fail[lo]].ts < hunt_add(l[fail[hi]].ts, -DAY_MS))
			window_count(&m, l[fail[lo++]].user, -1, &distinct);
		if (distinct > best) {
			best = distinct;
			blo = lo;
			bhi = hi;
		}
	}
	/* a spray slower than a day (a few accounts an address a day, day
	 * after day): the IP's failures over the whole case */
	bool slow = false;
	if (best < SPRAY_ACCOUNTS) {
		util_imap_free(&m);
		distinct = 0;
		for (size_t k = 0; k < nf; k++)
			window_count(&m, l[fail[k]].user, 1, &distinct);
		if (distinct >= SPRAY_ACCOUNTS) {
			best = distinct;
			blo = 0;
			bhi = nf - 1;
			slow = true;
		}
	}
	util_imap_free(&m);
	if (best < SPRAY_ACCOUNTS)
		return;
	int64_t first = l[fail[blo]].ts, last = l[fail[bhi]].ts, until = hunt_add(last, DAY_MS);
	size_t nfail = bhi - blo + 1, nok = 0;
	struct util_ivec users = { 0 }, in = { 0 };
	for (size_t k = blo; k <= bhi; k++)
		util_ivec_add(&users, l[fail[k]].user);
	for (size_t i = 0; i < n; i++)
		if (l[i].ok && l[i].ts >= first && l[i].ts <= last)
			nok++;
	if (nok >= nfail) {
		util_ivec_free(&users);
		return;
	}
	/* which of the accounts then signed in from it, within a day */
	int64_t end = last;
	for (size_t i = 0; i < n; i++)
		if (l[i].ok && l[i].ts > first && l[i].ts <= until && util_ivec_has(&users, l[i].user)) {
			util_ivec_add(&in, l[i].user);
			if (l[i].ts > end)
				end = l[i].ts;
		}
	struct hunt_row *row = hunt_row_new(h, true);
	for (size_t k = blo; k <= bhi; k++)
		hunt_row_event(row, l[fail[k]].id, l[fail[k]].ts);
	for (size_t i = 0; i < n; i++)
		if (l[i].ok && l[i].ts > first && l[i].ts <= end && util_ivec_has(&in, l[i].user))
			hunt_row_event(row, l[i].id, l[i].ts);
	char *ip = hunt_vtext(h, "ip", l[0].ip);
	hunt_row_set(row, 0, ip);
	hunt_row_num(row, 1, (int64_t)best);
	hunt_row_num(row, 2, (int64_t)nfail);
	hunt_row_time(row, 3, first);
	hunt_row_time(row, 4, last);
	hunt_row_num(row, 5, (int64_t)in.n);
	hunt_row_take(row, 6, hunt_id_list(h, "user", in.n ? &in : &users));
	size_t extra = best - SPRAY_ACCOUNTS;
	char span[48];
	if (slow)
		snprintf(span, sizeof span, "over %" PRId64 " days", hunt_gap(last, first) / DAY_MS + 1);
	else
		snprintf(span, sizeof span, "within a day");
	char *why = in.n ? xasprintf("%zu accounts failed from one IP %s (%zu failures), then %zu of "
				     "them signed in from it",
				     best, span, nfail, in.n)
			 : xasprintf("%zu accounts failed from one IP %s (%zu failures)", best, span, nfail);
	hunt_row_reason(row, 50 + (int)(extra > 10 ? 30 : 3 * extra) + (in.n ? 20 : 0), why);
	free(why);
	struct util_buf f = { 0 };
	hunt_filter_term(&f, "ip", ip);
	hunt_filter_time(&f, first, end);
	hunt_row_filter(row, &f);
	free(ip);
	util_ivec_free(&users);
	util_ivec_free(&in);
}

static int spray_end(struct hctx *h)
{
	struct logons_acc *a = h->acc;
	logons_failures(h, a);
	logons_group(a, true, cmp_by_ip);
	size_t *fail = a->n ? xmalloc(a->n * sizeof *fail) : NULL;
	for (size_t i = 0; i < a->n;) {
		size_t j = i;
		while (j < a->n && a->l[j].ip == a->l[i].ip)
			j++;
		spray_ip(h, a->l + i, j - i, fail);
		i = j;
	}
	free(fail);
	logons_drop(h);
	return 0;
}

const struct hunt_entry hunt_password_spray = {
	.def = { HUNT_PASSWORD_SPRAY, "password-spray", "one IP failing logons for many accounts within a day",
		 "A password tried across the tenant: failed logons (UAL UserLoginFailed, Entra sign-ins with a "
		 "Failure result) of five or more accounts from one IP within 24 hours, where that IP failed "
		 "more often than it succeeded in those hours (an office address fails now and then among many "
		 "successes); or, slower than that (a few accounts an address a day, day after day), five or "
		 "more accounts over all of the IP's failures, where it failed more often than it succeeded "
		 "between its first failure and its last. The row names the accounts that then signed in from the IP within a day, or the "
		 "ones it tried. Every row is a hit. Score: 50, plus 3 per account past five (up to 30), plus 20 "
		 "when an account then signed in.",
		 HUNT_COLS(cols_spray) },
	.order = HUNT_ORDER_TIME,
	.scan = LOGONS_SCAN(logons_begin, spray_end),
};
