/*
 * cmd_coverage.c: `auditscope coverage CASE`: what the evidence covers
 * (core/coverage.h): per kind of log and per source the first and last
 * moment, events per day as a bar a day, the gaps, the exports cut short,
 * the throttled mailboxes, and what a mail-access investigation lacks.
 *
 * table: one block per section; csv and jsonl: one flat row shape for
 * every section (section, kind, source, from, to, events, detail), with
 * a row per day and kind in section "day".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "coverage.h"
#include "event.h"
#include "out.h"
#include "timeparse.h"
#include "xalloc.h"

#define BAR_COLS 60
#define DAY_MS ((int64_t)86400000)

struct pr {
	bool table;
	char buf[2][40];
};

static const char *when(struct pr *p, int i, int64_t ms)
{
	if (p->table)
		cli_time(ms, p->buf[i], sizeof p->buf[i]);
	else
		time_format(ms, p->buf[i], sizeof p->buf[i]);
	return p->buf[i];
}

static const char *num(char *b, size_t n, int64_t v)
{
	snprintf(b, n, "%" PRId64, v);
	return b;
}

/* csv / jsonl: every section as (section, kind, source, from, to, events, detail) */
static int print_data(const struct coverage *c, enum out_format fmt)
{
	static const struct out_col cols[] = {
		{ .name = "section" }, { .name = "kind" }, { .name = "source" },
		{ .name = "from" },    { .name = "to" },   { .name = "events", .number = true },
		{ .name = "detail" },
	};
	struct out *o = out_new(stdout, fmt, cols, sizeof cols / sizeof cols[0]);
	struct pr p = { .table = false };
	char n[32];
	for (int k = 0; k < KIND_COUNT; k++) {
		const struct coverage_series *s = &c->kinds[k];
		if (!s->events)
			continue;
		char *d = xasprintf("%" PRId64 " days with records, %zu gaps", s->active_days, s->ngaps);
		const char *v[] = { "kind",
				    event_kind_name(k),
				    NULL,
				    when(&p, 0, s->first),
				    when(&p, 1, s->last),
				    num(n, sizeof n, s->events),
				    d };
		out_row(o, v);
		free(d);
		for (size_t i = 0; i < c->ndays; i++) {
			const char *w[] = { "day",
					    event_kind_name(k),
					    NULL,
					    when(&p, 0, c->day0 + (int64_t)i * DAY_MS),
					    when(&p, 1, c->day0 + (int64_t)(i + 1) * DAY_MS),
					    num(n, sizeof n, s->days[i]),
					    NULL };
			out_row(o, w);
		}
		for (size_t i = 0; i < s->ngaps; i++) {
			char *t = coverage_gap_text(&s->gaps[i]);
			const char *w[] = { "gap",
					    event_kind_name(k),
					    NULL,
					    when(&p, 0, s->gaps[i].from),
					    when(&p, 1, s->gaps[i].to),
					    NULL,
					    t };
			out_row(o, w);
			free(t);
		}
	}
	for (size_t i = 0; i < c->nsources; i++) {
		const struct coverage_source *s = &c->sources[i];
		char *cut = coverage_cut_text(s->cuts);
		char *d = xasprintf("%s; %" PRId64 " records, %" PRId64 " kept, %" PRId64
				    " duplicates, %" PRId64 " rejected%s%s%s%s",
				    s->format, s->records, s->s.events, s->duplicates, s->rejects,
				    *cut ? "; " : "", cut, s->warning ? "; " : "",
				    s->warning ? s->warning : "");
		const char *v[] = { "source",
				    event_kind_name(s->s.kind),
				    s->path,
				    s->timed ? when(&p, 0, s->first) : NULL,
				    s->timed ? when(&p, 1, s->last) : NULL,
				    num(n, sizeof n, s->records),
				    d };
		out_row(o, v);
		free(d);
		free(cut);
	}
	for (size_t i = 0; i < c->nthrottled; i++) {
		const struct coverage_throttle *t = &c->throttled[i];
		const char *v[] = { "throttled",
				    "ual",
				    t->mailbox,
				    when(&p, 0, t->ts),
				    when(&p, 1, t->ts + DAY_MS),
				    NULL,
				    "IsThrottled: reads of this mailbox went unaudited for 24 hours" };
		out_row(o, v);
	}
	for (size_t i = 0; i < c->nunread; i++) {
		const char *v[] = { "unaudited",
				    "ual",
				    c->unread_mailboxes[i],
				    NULL,
				    NULL,
				    NULL,
				    "activity in the UAL but no MailItemsAccessed record" };
		out_row(o, v);
	}
	for (size_t i = 0; i < c->nnotes; i++) {
		const char *v[] = { "note", NULL, NULL, NULL, NULL, NULL, c->notes[i] };
		out_row(o, v);
	}
	out_end(o);
	out_free(o);
	return 0;
}

static void print_table(const struct coverage *c)
{
	struct pr p = { .table = true };
	char n[32], ad[32], ng[32];
	size_t per = 1;
	for (int k = 0; k < KIND_COUNT && c->ndays; k++)
		if (c->kinds[k].events) {
			free(coverage_bars(c, &c->kinds[k], BAR_COLS, &per));
			break;
		}
	printf("The case covers %s to %s UTC: %zu day%s", when(&p, 0, c->first), when(&p, 1, c->last),
	       c->ndays, c->ndays == 1 ? "" : "s");
	if (per > 1)
		printf(" (a bar is %zu days)", per);
	printf("\n\n");

	static const struct out_col kc[] = {
		{ .name = "kind" },      { .name = "first (UTC)" },    { .name = "last (UTC)" },
		{ .name = "events" },    { .name = "days" },           { .name = "gaps" },
		{ .name = "retention" }, { .name = "events per day" },
	};
	struct out *o = out_new(stdout, OUT_TABLE, kc, sizeof kc / sizeof kc[0]);
	for (int k = 0; k < KIND_COUNT; k++) {
		const struct coverage_series *s = &c->kinds[k];
		if (!s->events)
			continue;
		char *bars = coverage_bars(c, s, BAR_COLS, NULL);
		char ret[32] = "-";
		int days = coverage_retention_days(k, NULL);
		if (days)
			snprintf(ret, sizeof ret, "%d days", days);
		const char *v[] = { event_kind_name(k),
				    when(&p, 0, s->first),
				    when(&p, 1, s->last),
				    num(n, sizeof n, s->events),
				    num(ad, sizeof ad, s->active_days),
				    num(ng, sizeof ng, (int64_t)s->ngaps),
				    ret,
				    bars };
		out_row(o, v);
		free(bars);
	}
	out_end(o);
	out_free(o);

	printf("\nSources\n");
	static const struct out_col sc[] = {
		{ .name = "source" },      { .name = "kind" },       { .name = "format" },
		{ .name = "first (UTC)" }, { .name = "last (UTC)" }, { .name = "records" },
		{ .name = "kept" },        { .name = "cut short" },
	};
	o = out_new(stdout, OUT_TABLE, sc, sizeof sc / sizeof sc[0]);
	for (size_t i = 0; i < c->nsources; i++) {
		const struct coverage_source *s = &c->sources[i];
		char *cut = coverage_cut_text(s->cuts);
		const char *v[] = { s->path,
				    s->s.events ? event_kind_name(s->s.kind) : "-",
				    s->format,
				    s->timed ? when(&p, 0, s->first) : "-",
				    s->timed ? when(&p, 1, s->last) : "-",
				    num(n, sizeof n, s->records),
				    num(ad, sizeof ad, s->s.events),
				    *cut ? cut : "-" };
		out_row(o, v);
		free(cut);
	}
	out_end(o);
	out_free(o);

	bool any = false;
	for (int k = 0; k < KIND_COUNT; k++)
		any |= c->kinds[k].ngaps > 0;
	if (any) {
		printf("\nGaps\n");
		static const struct out_col gc[] = { { .name = "kind" }, { .name = "gap" } };
		o = out_new(stdout, OUT_TABLE, gc, 2);
		for (int k = 0; k < KIND_COUNT; k++)
			for (size_t i = 0; i < c->kinds[k].ngaps; i++) {
				char *t = coverage_gap_text(&c->kinds[k].gaps[i]);
				const char *v[] = { event_kind_name(k), t };
				out_row(o, v);
				free(t);
			}
		out_end(o);
		out_free(o);
	}
	o = NULL;
	for (size_t i = 0; i < c->nsources; i++) {
		const struct coverage_source *s = &c->sources[i];
		if (!s->warning)
			continue;
		if (!o) {
			printf("\nWhat the load said about the sources\n");
			static const struct out_col wc[] = { { .name = "source" }, { .name = "warning" } };
			o = out_new(stdout, OUT_TABLE, wc, 2);
		}
		const char *v[] = { s->path, s->warning };
		out_row(o, v);
	}
	if (o) {
		out_end(o);
		out_free(o);
	}
	if (c->nthrottled) {
		printf("\nThrottled mailboxes (IsThrottled: 24 hours of reads unaudited after each)\n");
		static const struct out_col tc[] = { { .name = "mailbox" },
						     { .name = "throttled (UTC)" },
						     { .name = "unaudited until" } };
		o = out_new(stdout, OUT_TABLE, tc, 3);
		for (size_t i = 0; i < c->nthrottled; i++) {
			const struct coverage_throttle *t = &c->throttled[i];
			const char *v[] = { t->mailbox, when(&p, 0, t->ts), when(&p, 1, t->ts + DAY_MS) };
			out_row(o, v);
		}
		out_end(o);
		out_free(o);
	}
	if (c->nunread) {
		printf("\nMailboxes with activity in the UAL but no MailItemsAccessed record\n");
		static const struct out_col uc[] = { { .name = "mailbox" } };
		o = out_new(stdout, OUT_TABLE, uc, 1);
		for (size_t i = 0; i < c->nunread; i++) {
			const char *v[] = { c->unread_mailboxes[i] };
			out_row(o, v);
		}
		out_end(o);
		out_free(o);
	}
	printf("\nRetention: ");
	for (int k = 0, first = 1; k < KIND_COUNT; k++) {
		const char *why;
		if (c->kinds[k].events && coverage_retention_days(k, &why)) {
			printf("%s%s", first ? "" : "; ", why);
			first = 0;
		}
	}
	printf("\n");
	if (c->nnotes) {
		printf("\nNot covered\n");
		for (size_t i = 0; i < c->nnotes; i++)
			printf("- %s\n", c->notes[i]); /* our own text, with numbers and dates */
	}
}

static int run(const struct cli_args *a)
{
	int fmt;
	if (!cli_opt_format(a, &fmt))
		return 2;
	struct store *st = cli_open_case(a->args[0], false);
	if (!st)
		return 1;
	struct coverage *c = NULL;
	char *cause = NULL;
	if (coverage_build(st, NULL, &c, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		store_close(st);
		return 1;
	}
	if (!c->first && !c->last && !c->nsources)
		printf("The case holds no event.\n");
	else if (fmt == OUT_TABLE)
		print_table(c);
	else
		print_data(c, (enum out_format)fmt);
	coverage_free(c);
	store_close(st);
	return 0;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table)", "table csv jsonl" },
	{ 0 },
};

const struct cli_cmd cli_cmd_coverage = {
	.name = "coverage",
	.usage = "CASE",
	.summary = "what the evidence covers: per kind of log and source, days, gaps, cut exports",
	.details = "Per kind of log and per source: first and last moment, events per day (a bar a day),\n"
		   "gaps (a day without records between days with records; silent hours between hours\n"
		   "of 20+ events), exports cut at the 50,000 / 5,000 row limits or short of their own\n"
		   "ResultCount, throttled mailboxes (24 hours unaudited), mailboxes without\n"
		   "MailItemsAccessed, the logs a mail-access investigation lacks, and retention.\n"
		   "csv/jsonl: rows of section, kind, source, from, to, events, detail.\n",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
};
