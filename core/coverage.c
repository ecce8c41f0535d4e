/*
 * coverage.c: what the evidence covers (coverage.h).
 *
 * One scan of every event (time, kind, source, operation, mailbox,
 * flags: a few integers a row) feeds per-kind and per-source day counts,
 * per-kind hour counts (for the silent hours), the (mailbox, operation)
 * pairs and the IsThrottled records; the sources table gives each file's
 * own range, counts and the warnings the load wrote. Gaps, cuts and the
 * notes on what is missing are worked out from those in C.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "coverage.h"
#include "event.h"
#include "query.h"
#include "sanitize.h"
#include "timeparse.h"
#include "util.h"
#include "xalloc.h"

#define DAY ((int64_t)86400000)
#define HOUR ((int64_t)3600000)
#define NKINDS 16

/* Floor division for times before 1970 (a crafted case may hold any). */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ------------------------------------------------------------------ */
/* Retention, from Microsoft's documentation of each service (2025):
 *  - Unified Audit Log: "Audit (Standard)" keeps 180 days (since October
 *    2023; 90 before), "Audit (Premium)" one year by default
 *    (learn.microsoft.com/purview/audit-log-retention-policies).
 *  - Entra sign-ins and directory audits: 30 days with Entra ID P1/P2,
 *    7 days on the free tier (learn.microsoft.com/entra/identity/
 *    monitoring-health/reference-reports-data-retention).
 *  - Graph activity logs: kept only where diagnostic settings sent them
 *    to a workspace or storage, for as long as that keeps them.
 *  - Message trace: 10 days online (Get-MessageTrace), 90 days by a
 *    historical search.
 *  - Azure activity log: 90 days.
 *  - Entra ID Protection risk detections: 90 days (P2).
 */
int coverage_retention_days(int kind, const char **why)
{
	static const struct {
		int kind, days;
		const char *why;
	} t[] = {
		{ KIND_UAL, 180,
		  "the Unified Audit Log keeps 180 days (Audit Standard; 1 year with Audit Premium)" },
		{ KIND_SIGNIN, 30, "Entra keeps sign-ins 30 days (P1/P2; 7 days on the free tier)" },
		{ KIND_DIRAUDIT, 30, "Entra keeps directory audits 30 days (P1/P2; 7 days on the free tier)" },
		{ KIND_MSGTRACE, 10, "message trace answers 10 days online (90 by a historical search)" },
		{ KIND_AZURE, 90, "the Azure activity log keeps 90 days" },
		{ KIND_RISK, 90, "Identity Protection keeps risk detections 90 days" },
		{ KIND_GRAPH, 0,
		  "Graph activity logs exist only where diagnostic settings sent them somewhere" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].kind == kind) {
			if (why)
				*why = t[i].why;
			return t[i].days;
		}
	if (why)
		*why = NULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The scan */

struct throttle_ev {
	int64_t ts, mailbox, id;
};

struct acc {
	struct coverage *c;
	int64_t day0;
	size_t ndays, nhours;
	int32_t *hours[NKINDS];
	struct util_imap src; /* source id -> index into c->sources */
	int64_t (*srckinds)[NKINDS];
	struct util_imap mbop; /* (mailbox, op) -> events */
	struct util_imap ops;  /* op -> events (to find the MailItemsAccessed ids) */
	struct throttle_ev *thr;
	size_t nthr, capthr;
	int64_t rows;
	const struct progress *p;
	bool cancelled;
};

static size_t day_of(const struct acc *a, int64_t ts)
{
	int64_t d = floor_div(ts, DAY) - a->day0 / DAY;
	if (d < 0)
		return 0;
	return (size_t)d >= a->ndays ? a->ndays - 1 : (size_t)d;
}

static void series_add(struct coverage_series *s, size_t ndays, size_t day, int64_t ts)
{
	if (!s->days)
		s->days = xcalloc(ndays, sizeof *s->days);
	s->days[day]++;
	if (!s->events || ts < s->first)
		s->first = ts;
	if (!s->events || ts > s->last)
		s->last = ts;
	s->events++;
}

static int scan_row(void *ctx, const struct store_cell *cols)
{
	struct acc *a = ctx;
	int64_t ts = cols[0].i, kind = cols[1].i, source = cols[2].i, op = cols[3].i, mailbox = cols[4].i,
		flags = cols[5].i, id = cols[6].i;
	/* a time from an untrusted case: within what a date can be */
	ts = ts < TIME_MIN_MS ? TIME_MIN_MS : ts > TIME_MAX_MS ? TIME_MAX_MS : ts;
	if (kind < 0 || kind >= NKINDS)
		kind = KIND_GENERIC;
	size_t day = day_of(a, ts);
	series_add(&a->c->kinds[kind], a->ndays, day, ts);
	int64_t h = floor_div(ts, HOUR) - a->day0 / HOUR;
	if (h < 0)
		h = 0;
	if ((size_t)h >= a->nhours)
		h = (int64_t)a->nhours - 1;
	if (!a->hours[kind])
		a->hours[kind] = xcalloc(a->nhours, sizeof *a->hours[kind]);
	a->hours[kind][h]++;
	const int64_t *si = source ? util_imap_get(&a->src, (uint64_t)source) : NULL;
	if (si) {
		series_add(&a->c->sources[*si].s, a->ndays, day, ts);
		a->srckinds[*si][kind]++;
	}
	if (op) {
		(*util_imap_slot(&a->ops, (uint64_t)op, 0, NULL))++;
		if (mailbox && kind == KIND_UAL)
			(*util_imap_slot(&a->mbop, util_pair_key(mailbox, op), 0, NULL))++;
	}
	if ((flags & EVF_THROTTLED) && mailbox) {
		a->thr = xgrow(a->thr, &a->capthr, a->nthr + 1, sizeof *a->thr);
		a->thr[a->nthr++] = (struct throttle_ev){ ts, mailbox, id };
	}
	if ((++a->rows & 0xffff) == 0 && progress_report(a->p, -1)) {
		a->cancelled = true;
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sources */

static int source_row(const struct store_source_row *r, void *ctx)
{
	struct coverage *c = ctx;
	c->sources = xrealloc(c->sources, (c->nsources + 1) * sizeof *c->sources);
	struct coverage_source *s = &c->sources[c->nsources++];
	memset(s, 0, sizeof *s);
	s->id = r->id;
	s->path = xstrdup(r->path ? r->path : "");
	s->format = xstrdup(r->format ? r->format : "unknown");
	s->status = xstrdup(r->status ? r->status : "");
	s->warning = r->warning && *r->warning ? xstrdup(r->warning) : NULL;
	s->records = (int64_t)r->c.records;
	s->duplicates = (int64_t)r->c.duplicates;
	s->rejects = (int64_t)r->c.rejects;
	if (r->c.first_ts <= r->c.last_ts) { /* a source without events has none */
		s->first = r->c.first_ts;
		s->last = r->c.last_ts;
		s->timed = true;
	}
	/* the load's own findings (core/ingest.c, core/ingest_csv.c) */
	if (s->records == 50000 || (s->records == 5000 && strncmp(s->format, "psh", 3) == 0) ||
	    (s->warning && strstr(s->warning, "probably cut at the")))
		s->cuts |= 1u << CUT_ROW_LIMIT;
	if (s->warning && strstr(s->warning, "ResultCount") && strstr(s->warning, "missing"))
		s->cuts |= 1u << CUT_RESULTCOUNT;
	if (s->warning && strstr(s->warning, "ConvertTo-Json depth"))
		s->cuts |= 1u << CUT_DEPTH;
	return 0;
}

char *coverage_cut_text(unsigned cuts)
{
	struct util_buf b = { 0 };
	util_buf_puts(&b, "");
	if (cuts & (1u << CUT_ROW_LIMIT))
		util_buf_item(&b, "; ", "cut at the export's row limit");
	if (cuts & (1u << CUT_RESULTCOUNT))
		util_buf_item(&b, "; ", "short of its own ResultCount");
	if (cuts & (1u << CUT_DEPTH))
		util_buf_item(&b, "; ", "records cut by ConvertTo-Json's depth");
	return util_buf_take(&b);
}

/* ------------------------------------------------------------------ */
/* Gaps */

static void gap_add(struct coverage_series *s, size_t *cap, int64_t from, int64_t to, enum coverage_gap_why why)
{
	/* merge with the last gap when they touch (an empty day inside a
	 * run of silent hours is one gap) */
	if (s->ngaps && from <= s->gaps[s->ngaps - 1].to) {
		struct coverage_gap *g = &s->gaps[s->ngaps - 1];
		if (to > g->to)
			g->to = to;
		if (why == GAP_DAYS)
			g->why = GAP_DAYS;
		return;
	}
	s->gaps = xgrow(s->gaps, cap, s->ngaps + 1, sizeof *s->gaps);
	s->gaps[s->ngaps++] = (struct coverage_gap){ from, to, why };
}

static int cmp_gap(const void *x, const void *y)
{
	const struct coverage_gap *a = x, *b = y;
	return a->from < b->from ? -1 : a->from > b->from;
}

/* Empty days between the series' first and last day; runs of empty hours
 * whose three hours each side average COVERAGE_BUSY_HOUR or more. */
static void find_gaps(struct acc *a, struct coverage_series *s, const int32_t *hours)
{
	struct coverage_gap *all = NULL;
	size_t n = 0, cap = 0;
	size_t d0 = day_of(a, s->first), d1 = day_of(a, s->last);
	for (size_t d = d0 + 1; d < d1; d++) {
		if (s->days[d])
			continue;
		size_t e = d;
		while (e + 1 < d1 && !s->days[e + 1])
			e++;
		all = xgrow(all, &cap, n + 1, sizeof *all);
		all[n++] = (struct coverage_gap){ a->day0 + (int64_t)d * DAY,
						  a->day0 + (int64_t)(e + 1) * DAY, GAP_DAYS };
		d = e;
	}
	for (size_t h = 3; hours && h + 3 < a->nhours; h++) {
		if (hours[h] || !hours[h - 1])
			continue;
		size_t e = h;
		while (e + 1 < a->nhours && !hours[e + 1])
			e++;
		if (e + 3 >= a->nhours)
			break;
		int64_t before = (int64_t)hours[h - 1] + hours[h - 2] + hours[h - 3];
		int64_t after = (int64_t)hours[e + 1] + hours[e + 2] + hours[e + 3];
		if (before >= 3 * COVERAGE_BUSY_HOUR && after >= 3 * COVERAGE_BUSY_HOUR) {
			all = xgrow(all, &cap, n + 1, sizeof *all);
			all[n++] = (struct coverage_gap){ a->day0 + (int64_t)h * HOUR,
							  a->day0 + (int64_t)(e + 1) * HOUR, GAP_HOURS };
		}
		h = e;
	}
	if (n)
		qsort(all, n, sizeof *all, cmp_gap);
	size_t gcap = 0;
	for (size_t i = 0; i < n; i++)
		gap_add(s, &gcap, all[i].from, all[i].to, all[i].why);
	free(all);
}

static void series_finish(struct acc *a, struct coverage_series *s, const int32_t *hours)
{
	if (!s->events)
		return;
	for (size_t d = 0; d < a->ndays; d++)
		s->active_days += s->days[d] != 0;
	find_gaps(a, s, hours);
}

/* ------------------------------------------------------------------ */
/* What a mail-access investigation lacks */

static void note(struct coverage *c, char *line)
{
	c->notes = xrealloc(c->notes, (c->nnotes + 1) * sizeof *c->notes);
	c->notes[c->nnotes++] = line;
}

static void day_text(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)floor_div(ms, 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		snprintf(out, n, "?");
	else
		strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

static int mailbox_notes(struct store *st, struct acc *a, char **cause)
{
	struct coverage *c = a->c;
	/* the op ids whose text is MailItemsAccessed (any case) */
	struct util_ivec ids = { 0 }, mia = { 0 };
	for (size_t i = 0; i < a->ops.cap; i++)
		if (a->ops.keys[i])
			util_ivec_push(&ids, (int64_t)a->ops.keys[i]);
	char **texts = xcalloc(ids.n ? ids.n : 1, sizeof *texts);
	if (ids.n && store_value_texts(st, "op", ids.v, ids.n, texts, cause) < 0) {
		free(texts);
		util_ivec_free(&ids);
		return -1;
	}
	for (size_t i = 0; i < ids.n; i++) {
		if (texts[i] && !strcasecmp(texts[i], "MailItemsAccessed")) {
			util_ivec_push(&mia, ids.v[i]);
			c->mail_reads += *util_imap_get(&a->ops, (uint64_t)ids.v[i]);
		}
		free(texts[i]);
	}
	free(texts);
	util_ivec_free(&ids);
	/* mailboxes with UAL activity: which had a MailItemsAccessed */
	struct util_imap mb = { 0 }; /* mailbox -> 1 when read */
	for (size_t i = 0; i < a->mbop.cap; i++) {
		if (!a->mbop.keys[i])
			continue;
		int64_t m = (int64_t)(a->mbop.keys[i] >> 32), op = (int64_t)(uint32_t)a->mbop.keys[i];
		int64_t *v = util_imap_slot(&mb, (uint64_t)m, 0, NULL);
		if (util_ivec_has(&mia, op))
			*v = 1;
	}
	util_ivec_free(&mia);
	struct util_ivec unread = { 0 };
	size_t nmb = 0;
	for (size_t i = 0; i < mb.cap; i++)
		if (mb.keys[i]) {
			nmb++;
			if (!mb.vals[i])
				util_ivec_push(&unread, (int64_t)mb.keys[i]);
		}
	util_imap_free(&mb);
	if (unread.n) {
		c->unread_mailboxes = xcalloc(unread.n, sizeof *c->unread_mailboxes);
		if (store_value_texts(st, "mailbox", unread.v, unread.n, c->unread_mailboxes, cause) < 0) {
			util_ivec_free(&unread);
			return -1;
		}
		c->nunread = unread.n;
	}
	util_ivec_free(&unread);
	/* the throttled mailboxes */
	if (a->nthr) {
		int64_t *mids = xcalloc(a->nthr, sizeof *mids);
		char **names = xcalloc(a->nthr, sizeof *names);
		for (size_t i = 0; i < a->nthr; i++)
			mids[i] = a->thr[i].mailbox;
		int r = store_value_texts(st, "mailbox", mids, a->nthr, names, cause);
		free(mids);
		if (r < 0) {
			for (size_t i = 0; i < a->nthr; i++)
				free(names[i]);
			free(names);
			return -1;
		}
		c->throttled = xcalloc(a->nthr, sizeof *c->throttled);
		for (size_t i = 0; i < a->nthr; i++)
			/* a value id a crafted case does not hold names nothing */
			c->throttled[i] = (struct coverage_throttle){ names[i] ? names[i] : xstrdup(""),
								      a->thr[i].ts, a->thr[i].id };
		c->nthrottled = a->nthr;
		free(names);
	}

	const struct coverage_series *ual = &c->kinds[KIND_UAL], *si = &c->kinds[KIND_SIGNIN],
				     *gr = &c->kinds[KIND_GRAPH];
	char f[32], l[32], sf[32], sl[32];
	if (ual->events && !c->mail_reads)
		note(c, xasprintf("no MailItemsAccessed record in %" PRId64
				  " UAL events: mail reads were not audited "
				  "(mailbox auditing of MailItemsAccessed off, or a licence without it) or the "
				  "export left them out; no record of a read is not evidence of no read",
				  ual->events));
	else if (c->nunread)
		note(c,
		     xasprintf("%zu of %zu mailboxes with activity in the UAL have no MailItemsAccessed record: "
			       "their reads may not be audited (check their AuditOwner and AuditDelegate settings)",
			       c->nunread, nmb));
	if (ual->events && !si->events) {
		note(c,
		     xstrdup("no Entra sign-in log: the sign-in behind a mail read, its place and device cannot be "
			     "shown; export the sign-ins (interactive and non-interactive) for the same window"));
	} else if (ual->events && si->events && (si->first > ual->first + DAY || si->last < ual->last - DAY)) {
		day_text(ual->first, f, sizeof f);
		day_text(ual->last, l, sizeof l);
		day_text(si->first, sf, sizeof sf);
		day_text(si->last, sl, sizeof sl);
		note(c, xasprintf("the sign-ins cover %s to %s, the UAL %s to %s: mail reads outside the sign-ins' "
				  "window have no sign-in to join",
				  sf, sl, f, l));
	}
	if (c->mail_reads && !gr->events)
		note(c, xstrdup("no Microsoft Graph activity log: what an app did through Graph besides reading mail "
				"is not in the case"));
	for (int k = 0; k < KIND_COUNT && k < NKINDS; k++) {
		const struct coverage_series *s = &c->kinds[k];
		const char *why;
		int days = coverage_retention_days(k, &why);
		if (!s->events || !days)
			continue;
		/* one export reaching back as far as the service keeps: what
		 * came before had expired (a longer span is several exports) */
		int64_t span = s->last - s->first;
		if (span >= (int64_t)(days - 1) * DAY && span <= (int64_t)(days + 1) * DAY)
			note(c, xasprintf("%s spans %" PRId64
					  " days, the service's whole retention (%s): older records "
					  "had expired when it was exported",
					  event_kind_name(k), (s->last - s->first) / DAY + 1, why));
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static void acc_free(struct acc *a)
{
	for (int k = 0; k < NKINDS; k++)
		free(a->hours[k]);
	util_imap_free(&a->src);
	util_imap_free(&a->mbop);
	util_imap_free(&a->ops);
	free(a->srckinds);
	free(a->thr);
}

int coverage_build(struct store *st, const struct progress *p, struct coverage **out, char **cause)
{
	*out = NULL;
	struct coverage *c = xcalloc(1, sizeof *c);
	for (int k = 0; k < NKINDS; k++)
		c->kinds[k].kind = k;
	if (store_each_source(st, source_row, c, cause) < 0) {
		coverage_free(c);
		return -1;
	}
	int64_t first, last;
	int r = store_time_range(st, &first, &last, cause);
	if (r < 0) {
		coverage_free(c);
		return -1;
	}
	if (r == 0) {
		*out = c;
		return 0;
	}
	/* times from an untrusted case (issue 10, finding 14): clamped as
	 * time_format clamps, so that whole days cannot overflow */
	first = first < TIME_MIN_MS ? TIME_MIN_MS : first > TIME_MAX_MS ? TIME_MAX_MS : first;
	last = last < TIME_MIN_MS ? TIME_MIN_MS : last > TIME_MAX_MS ? TIME_MAX_MS : last;
	c->first = first;
	c->last = last;
	struct acc a = { .c = c, .p = p };
	a.day0 = floor_div(first, DAY) * DAY;
	int64_t nd = floor_div(last, DAY) - floor_div(first, DAY) + 1;
	a.ndays = nd < 1 ? 1 : nd > COVERAGE_MAX_DAYS ? COVERAGE_MAX_DAYS : (size_t)nd;
	a.nhours = a.ndays * 24;
	c->day0 = a.day0;
	c->ndays = a.ndays;
	a.srckinds = xcalloc(c->nsources ? c->nsources : 1, sizeof *a.srckinds);
	for (size_t i = 0; i < c->nsources; i++)
		*util_imap_slot(&a.src, (uint64_t)c->sources[i].id, 0, NULL) = (int64_t)i;

	static const char *const cols[] = { "ts", "kind", "source", "op", "mailbox", "flags", "id" };
	struct query *q = NULL;
	if (query_new(st, NULL, &q, cause) < 0) {
		acc_free(&a);
		coverage_free(c);
		return -1;
	}
	query_set_progress(q, p);
	r = query_scan(q, cols, sizeof cols / sizeof cols[0], scan_row, &a, cause);
	query_free(q);
	if (r == 0 && a.cancelled)
		r = set_cause(cause, "%s", PROGRESS_CANCELLED);
	if (r < 0) {
		acc_free(&a);
		coverage_free(c);
		return -1;
	}
	for (int k = 0; k < NKINDS; k++)
		series_finish(&a, &c->kinds[k], a.hours[k]);
	for (size_t i = 0; i < c->nsources; i++) {
		struct coverage_source *s = &c->sources[i];
		int best = KIND_GENERIC;
		int64_t most = 0;
		for (int k = 0; k < NKINDS; k++)
			if (a.srckinds[i][k] > most) {
				most = a.srckinds[i][k];
				best = k;
			}
		s->s.kind = best;
		series_finish(&a, &s->s, NULL);
	}
	if (mailbox_notes(st, &a, cause) < 0) {
		acc_free(&a);
		coverage_free(c);
		return -1;
	}
	acc_free(&a);
	*out = c;
	return 0;
}

static void series_free(struct coverage_series *s)
{
	free(s->days);
	free(s->gaps);
}

void coverage_free(struct coverage *c)
{
	if (!c)
		return;
	for (int k = 0; k < NKINDS; k++)
		series_free(&c->kinds[k]);
	for (size_t i = 0; i < c->nsources; i++) {
		struct coverage_source *s = &c->sources[i];
		free(s->path);
		free(s->format);
		free(s->status);
		free(s->warning);
		series_free(&s->s);
	}
	free(c->sources);
	for (size_t i = 0; i < c->nthrottled; i++)
		free(c->throttled[i].mailbox);
	free(c->throttled);
	for (size_t i = 0; i < c->nunread; i++)
		free(c->unread_mailboxes[i]);
	free(c->unread_mailboxes);
	for (size_t i = 0; i < c->nnotes; i++)
		free(c->notes[i]);
	free(c->notes);
	free(c);
}

int64_t coverage_kind_first(const struct coverage *c, int kind)
{
	if (!c || kind < 0 || kind >= NKINDS || !c->kinds[kind].events)
		return INT64_MIN;
	return c->kinds[kind].first;
}

char *coverage_bars(const struct coverage *c, const struct coverage_series *s, size_t width, size_t *per_col)
{
	static const char *const blocks[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
					      "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
	/* a terminal that shows ASCII only (sanitize.h): a ramp of ASCII */
	static const char *const ascii[] = { ".", ",", ":", "-", "=", "+", "*", "#" };
	const char *const *glyph = sanitize_ascii_only() ? ascii : blocks;
	if (width < 1)
		width = 1;
	size_t per = (c->ndays + width - 1) / width;
	if (per < 1)
		per = 1;
	size_t ncol = (c->ndays + per - 1) / per;
	int64_t *sum = xcalloc(ncol ? ncol : 1, sizeof *sum);
	int64_t max = 0;
	for (size_t d = 0; s->days && d < c->ndays; d++)
		sum[d / per] += s->days[d];
	for (size_t i = 0; i < ncol; i++)
		if (sum[i] > max)
			max = sum[i];
	struct util_buf b = { 0 };
	util_buf_puts(&b, "");
	for (size_t i = 0; i < ncol; i++) {
		if (!sum[i] || max <= 0) {
			util_buf_puts(&b, " ");
			continue;
		}
		/* 1..8 by share of the busiest column; any record shows */
		int64_t lvl = (sum[i] * 8 + max - 1) / max;
		util_buf_puts(&b, glyph[(lvl < 1 ? 1 : lvl > 8 ? 8 : lvl) - 1]);
	}
	free(sum);
	if (per_col)
		*per_col = per;
	return util_buf_take(&b);
}

char *coverage_gap_text(const struct coverage_gap *g)
{
	char f[32], t[32];
	day_text(g->from, f, sizeof f);
	day_text(g->to, t, sizeof t);
	int64_t len = g->to - g->from;
	if (g->why == GAP_DAYS)
		return xasprintf("%s to %s (%" PRId64 " day%s): no record between days with records", f, t,
				 len / DAY, len / DAY == 1 ? "" : "s");
	return xasprintf("%s to %s (%" PRId64 " h): silent hours between busy hours (%d+ events an hour)", f,
			 t, len / HOUR, COVERAGE_BUSY_HOUR);
}
