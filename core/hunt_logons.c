/*
 * hunt_logons.c: failed-then-success, a password guessed: failed logons of
 * a user from an IP the tenant had not seen, then a successful one from
 * the same IP within the hour. A scan (hunt_entry.h) over the events with
 * a user and an IP: UAL UserLoginFailed / UserLoggedIn and Entra sign-ins
 * (whose results normalization gives as "Success" / "Failure (50126)").
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "hunt_entry.h"
#include "store.h"
#include "xalloc.h"

/* Failures this many or more before the success make a row. */
#define MIN_FAILURES 2

static const struct hunt_col cols_logons[] = {
	{ "user", HUNT_TEXT },          { "ip", HUNT_TEXT },      { "failures", HUNT_NUMBER },
	{ "first_failure", HUNT_TIME }, { "success", HUNT_TIME }, { "minutes", HUNT_NUMBER },
};

struct logon {
	int64_t id, ts, user, ip;
	bool ok;
};

struct logons_acc {
	struct util_ivec ok, fail, ok_op, fail_op; /* value ids of results and operations */
	struct util_imap ip;                       /* ip -> its first event, any user */
	struct logon *l;
	size_t n, cap;
};

static int logons_begin(struct hctx *h)
{
	static const char *const ok_names[] = { "Success", "0", NULL };
	static const char *const ok_ops[] = { "UserLoggedIn", NULL };
	static const char *const fail_ops[] = { "UserLoginFailed", NULL };
	struct logons_acc *a = h->acc = xcalloc(1, sizeof *a);
	if (hunt_val_ids(h, "result", ok_names, false, &a->ok) < 0 ||
	    hunt_val_ids(h, "op", ok_ops, false, &a->ok_op) < 0 ||
	    hunt_val_ids(h, "op", fail_ops, false, &a->fail_op) < 0)
		return -1;
	/* "Failure (50126)", "Failure (50053)", ...: every failed result */
	char *why = NULL;
	if (store_value_find(h->st, "result", "Failure", STORE_MATCH_PREFIX, &a->fail.v, &a->fail.n, &why) < 0)
		return hunt_fail(h, why);
	a->fail.cap = a->fail.n;
	return 0;
}

static void logons_row(struct hctx *h, const struct hunt_ev *e)
{
	struct logons_acc *a = h->acc;
	if (!e->user || !e->ip)
		return;
	int64_t *f = util_imap_slot(&a->ip, (uint64_t)e->ip, e->ts, NULL);
	if (e->ts < *f)
		*f = e->ts;
	bool signin = e->kind == KIND_SIGNIN;
	bool ok = hunt_in_ids(&a->ok_op, e->op) || (signin && hunt_in_ids(&a->ok, e->result));
	bool fail = hunt_in_ids(&a->fail_op, e->op) || (signin && hunt_in_ids(&a->fail, e->result));
	if (!ok && !fail)
		return;
	a->l = xgrow(a->l, &a->cap, a->n + 1, sizeof *a->l);
	a->l[a->n++] = (struct logon){ e->id, e->ts, e->user, e->ip, ok };
}

static void logons_drop(struct hctx *h)
{
	struct logons_acc *a = h->acc;
	util_ivec_free(&a->ok);
	util_ivec_free(&a->fail);
	util_ivec_free(&a->ok_op);
	util_ivec_free(&a->fail_op);
	util_imap_free(&a->ip);
	free(a->l);
	free(a);
	h->acc = NULL;
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

static int logons_end(struct hctx *h)
{
	struct logons_acc *a = h->acc;
	if (a->n)
		qsort(a->l, a->n, sizeof *a->l, cmp_logon);
	for (size_t i = 0; i < a->n;) {
		/* one (user, ip): failures, then the first success within the hour */
		size_t j = i;
		while (j < a->n && a->l[j].user == a->l[i].user && a->l[j].ip == a->l[i].ip)
			j++;
		size_t first = j, nfail = 0;
		for (size_t k = i; k < j; k++) {
			if (!a->l[k].ok) {
				if (!nfail++)
					first = k;
				continue;
			}
			if (nfail < MIN_FAILURES || a->l[k].ts > hunt_add(a->l[first].ts, HOUR_MS)) {
				nfail = 0; /* a success ends a run of failures */
				continue;
			}
			const int64_t *ipf = util_imap_get(&a->ip, (uint64_t)a->l[k].ip);
			if (!ipf || *ipf < hunt_add(a->l[first].ts, -HOUR_MS))
				break; /* the tenant knew the address */
			struct hunt_row *row = hunt_row_new(h, true);
			for (size_t m = first; m <= k; m++)
				hunt_row_event(row, a->l[m].id, a->l[m].ts);
			char *u = hunt_vtext(h, "user", a->l[k].user), *ip = hunt_vtext(h, "ip", a->l[k].ip);
			int64_t min = (a->l[k].ts - a->l[first].ts) / 60000;
			hunt_row_set(row, 0, u);
			hunt_row_set(row, 1, ip);
			hunt_row_num(row, 2, (int64_t)nfail);
			hunt_row_time(row, 3, a->l[first].ts);
			hunt_row_time(row, 4, a->l[k].ts);
			hunt_row_num(row, 5, min);
			char *why =
				xasprintf("%zu failed logons from an IP new to the tenant, then a success %" PRId64
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
			break;
		}
		i = j;
	}
	logons_drop(h);
	return 0;
}

const struct hunt_entry hunt_failed_then_success = {
	.def = { HUNT_FAILED_THEN_SUCCESS, "failed-then-success",
		 "failed logons from an IP new to the tenant, then a success from it",
		 "A password guessed: two or more failed logons of a user (UAL UserLoginFailed, Entra sign-ins "
		 "with a Failure result) from an IP no user of the tenant came from more than an hour before, "
		 "then a successful logon of the same user from the same IP within the hour of the first failure. "
		 "Every row is a hit. Score: 60, plus 10 per failure (up to 4).",
		 HUNT_COLS(cols_logons) },
	.order = HUNT_ORDER_TIME,
	.scan = { logons_begin, logons_row, logons_end, logons_drop, NULL, NULL, 0,
		  HUNT_EV(id) | HUNT_EV(ts) | HUNT_EV(kind) | HUNT_EV(op) | HUNT_EV(user) | HUNT_EV(ip) |
			  HUNT_EV(result) },
};
