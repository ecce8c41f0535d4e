/*
 * cmd_hunt.c: `auditscope hunt CASE [NAME]`: without NAME, every hunt
 * with its hit count and a one-line description; with NAME, the hunt's
 * rows as a table, CSV or JSON Lines. Each data row carries the filter
 * that opens its events in `auditscope query` (and the interface).
 * `--mark` bookmarks the events behind every finding and tags them with
 * the hunt's name (or `--tag T`), as the interface's hunt view does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "cli.h"
#include "hunt.h"
#include "out.h"
#include "timeparse.h"
#include "xalloc.h"

/* "2023-06-18T02:33:46.000Z" as the tables print time: 2023-06-18 02:33:46 */
static void table_time(const char *iso, char *out, size_t n)
{
	size_t k = strlen(iso);
	if (k > 19)
		k = 19;
	if (k >= n)
		k = n - 1;
	memcpy(out, iso, k);
	out[k] = '\0';
	if (k == 19)
		out[10] = ' ';
}

static int list_hunts(struct store *st, const struct hunt_opts *o, enum out_format fmt)
{
	static const struct out_col cols[] = {
		{ .name = "hunt" },
		{ .name = "hits", .number = true },
		{ .name = "rows", .number = true },
		{ .name = "seconds", .number = true },
		{ .name = "finds" },
	};
	/* the table is for reading: leave the timing to csv and jsonl */
	size_t ncols = sizeof cols / sizeof cols[0];
	static const struct out_col tcols[] = {
		{ .name = "hunt" },
		{ .name = "hits", .number = true },
		{ .name = "rows", .number = true },
		{ .name = "finds" },
	};
	bool table = fmt == OUT_TABLE;
	struct out *out = out_new(stdout, fmt, table ? tcols : cols, table ? 4 : ncols);
	int rc = 0;
	size_t total = 0;
	struct hunt_result *res[HUNT_COUNT];
	char *cause = NULL;
	if (hunt_run_all(st, o, res, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		out_free(out);
		return 1;
	}
	for (int i = 0; i < HUNT_COUNT; i++) {
		const struct hunt_def *d = hunt_def((enum hunt_id)i);
		struct hunt_result *r = res[i];
		char hits[24], rows[24], secs[24];
		snprintf(hits, sizeof hits, "%zu", r->nhits);
		snprintf(rows, sizeof rows, "%zu", r->nrows);
		snprintf(secs, sizeof secs, "%.3f", r->seconds);
		total += r->nhits;
		if (table) {
			const char *v[] = { d->name, hits, rows, d->title };
			out_row(out, v);
		} else {
			const char *v[] = { d->name, hits, rows, secs, d->title };
			out_row(out, v);
		}
		hunt_result_free(r);
	}
	out_end(out);
	out_free(out);
	if (table)
		printf("%zu hits; `auditscope hunt CASE NAME` lists a hunt's rows\n", total);
	return rc;
}

static int show_hunt(struct store *st, const struct hunt_def *d, const struct hunt_opts *o,
		     enum out_format fmt, bool hits_only)
{
	struct hunt_result *r;
	char *cause = NULL;
	if (hunt_run(st, d->id, o, &r, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return 1;
	}
	bool table = fmt == OUT_TABLE;
	/* table: a "!" column marks hits and a score leads; a reason ends
	 * each row; data formats add score, reason, hit, events, filter */
	size_t extra = table ? 3 : 5;
	size_t ncols = d->ncols + extra;
	struct out_col *cols = xcalloc(ncols, sizeof *cols);
	size_t k = 0;
	if (table) {
		cols[k++].name = "!";
		cols[k].name = "score";
		cols[k++].number = true;
	}
	for (size_t i = 0; i < d->ncols; i++) {
		cols[k].name = d->cols[i].name;
		cols[k].number = d->cols[i].type == HUNT_NUMBER;
		k++;
	}
	if (table)
		cols[k++].name = "reason";
	if (!table) {
		cols[k].name = "score";
		cols[k++].number = true;
		cols[k++].name = "reason";
		cols[k].name = "hit";
		cols[k++].raw = true;
		cols[k].name = "events";
		cols[k++].number = true;
		cols[k++].name = "filter";
	}
	struct out *out = out_new(stdout, fmt, cols, ncols);
	const char **v = xcalloc(ncols, sizeof *v);
	char **tbuf = xcalloc(d->ncols, sizeof *tbuf);
	for (size_t i = 0; i < d->ncols; i++)
		tbuf[i] = xmalloc(32);
	size_t shown = 0;
	for (size_t ri = 0; ri < r->nrows; ri++) {
		const struct hunt_row *row = &r->rows[ri];
		if (hits_only && !row->hit)
			continue;
		k = 0;
		char score[16];
		snprintf(score, sizeof score, "%d", row->score);
		if (table) {
			v[k++] = row->hit ? "*" : "";
			v[k++] = score;
		}
		for (size_t i = 0; i < d->ncols; i++) {
			const char *val = row->vals[i];
			if (table && val && d->cols[i].type == HUNT_TIME) {
				table_time(val, tbuf[i], 32);
				val = tbuf[i];
			}
			v[k++] = val;
		}
		char nev[24];
		if (table)
			v[k++] = row->reason;
		if (!table) {
			v[k++] = score;
			v[k++] = row->reason;
			snprintf(nev, sizeof nev, "%zu", row->nevents);
			v[k++] = row->hit ? "true" : "false";
			v[k++] = nev;
			v[k++] = row->filter;
		}
		out_row(out, v);
		shown++;
	}
	out_end(out);
	out_free(out);
	if (table) {
		printf("%s: %zu hit%s in %zu row%s", d->name, r->nhits, r->nhits == 1 ? "" : "s", r->nrows,
		       r->nrows == 1 ? "" : "s");
		if (r->baseline_until != INT64_MIN) {
			char t[40];
			time_format(r->baseline_until, t, sizeof t);
			char tt[32];
			table_time(t, tt, sizeof tt);
			printf("; baseline until %s UTC", tt);
		}
		printf("\n");
		printf("rule: %s\n", d->description);
		if (shown && r->nhits)
			printf("rows marked * are findings; `--format jsonl` gives each row's filter for `auditscope query`\n");
	}
	for (size_t i = 0; i < d->ncols; i++)
		free(tbuf[i]);
	free(tbuf);
	free(v);
	free(cols);
	hunt_result_free(r);
	return 0;
}

/* An event of a finding and the row it came from. */
struct marked {
	int64_t id;
	size_t row;
};

/* by event id, then by row (the higher-ranked first) */
static int cmp_id(const void *a, const void *b)
{
	const struct marked *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Bookmark and tag the events of every finding; 0 or 1 (error shown). */
static int mark_findings(struct store *st, const struct hunt_def *d, const struct hunt_opts *o, const char *tag)
{
	struct hunt_result *r;
	char *cause = NULL;
	if (hunt_run(st, d->id, o, &r, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return 1;
	}
	/* an event behind two findings (a session and its token) once, with
	 * the reason of the higher-ranked (rows come ranked) as its note */
	struct marked *ids = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < r->nrows; i++)
		for (size_t j = 0; r->rows[i].hit && j < r->rows[i].nevents; j++) {
			ids = xgrow(ids, &cap, n + 1, sizeof *ids);
			ids[n++] = (struct marked){ r->rows[i].events[j], i };
		}
	if (n)
		qsort(ids, n, sizeof *ids, cmp_id);
	size_t events = 0, changed = 0;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		if (i && ids[i].id == ids[i - 1].id)
			continue;
		int a = annot_mark(st, ids[i].id, true, &cause);
		int b = a < 0 ? -1 : annot_tag_add(st, ids[i].id, tag, &cause);
		int c = b < 0 ? -1 : hunt_note(st, ids[i].id, d->name, r->rows[ids[i].row].reason, &cause);
		if (a < 0 || b < 0 || c < 0) {
			cli_error("%s: %s", store_path(st), cause);
			free(cause);
			rc = 1;
			break;
		}
		events++;
		changed += a > 0 || b > 0 || c > 0;
	}
	free(ids);
	if (!rc)
		printf("%s: %zu finding%s, %zu event%s bookmarked and tagged '%s' (%zu changed)\n", d->name,
		       r->nhits, r->nhits == 1 ? "" : "s", events, events == 1 ? "" : "s", tag, changed);
	hunt_result_free(r);
	return rc;
}

static int usage_names(const char *name)
{
	char list[512] = "";
	for (int i = 0; i < HUNT_COUNT; i++) {
		if (i)
			strncat(list, ", ", sizeof list - strlen(list) - 1);
		strncat(list, hunt_def((enum hunt_id)i)->name, sizeof list - strlen(list) - 1);
	}
	return cli_usage("hunt: no hunt named '%s' (hunts: %s)", name, list);
}


static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0], *name = a->nargs > 1 ? a->args[1] : NULL;
	int fmt;
	if (!cli_opt_format(a, &fmt))
		return 2;
	bool hits_only = cli_flag(a, "--hits"), mark = cli_flag(a, "--mark");
	const char *tag = cli_opt(a, "--tag");
	struct hunt_opts o;
	hunt_opts_init(&o);
	const char *t = cli_opt(a, "--baseline-until");
	if (t && !time_parse(t, strlen(t), &o.baseline_until))
		return cli_usage("hunt: --baseline-until: expected a time such as 2023-06-16T00:00, got '%s'",
				 t);
	if (tag && !*tag)
		return cli_usage("hunt: --tag takes a tag");
	mark = mark || tag;
	const struct hunt_def *d = NULL;
	if (name && !(d = hunt_find(name)))
		return usage_names(name);
	if (mark && !d)
		return cli_usage("hunt: --mark needs the NAME of a hunt");
	struct store *st = cli_open_case(case_path, mark);
	if (!st)
		return 1;
	int rc = mark ? mark_findings(st, d, &o, tag ? tag : d->name)
		 : d  ? show_hunt(st, d, &o, (enum out_format)fmt, hits_only)
		      : list_hunts(st, &o, (enum out_format)fmt);
	store_close(st);
	return rc;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table)", "table csv jsonl" },
	{ "--hits", NULL, NULL, "NAME: only the rows that are findings", NULL },
	{ "--baseline-until", NULL, "TIME", "what counts as usual: events before TIME", NULL },
	{ "--mark", NULL, NULL, "NAME: bookmark its findings' events, tagged NAME", NULL },
	{ "--tag", NULL, "T", "with --mark: tag them T instead", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_hunt = {
	.name = "hunt",
	.usage = "CASE [NAME]",
	.summary = "no NAME: every hunt with its hits; NAME: its rows",
	.details = "Every row has a score (0-100) and a reason; hits come first, by score, and the hit\n"
		   "counts count only them: context rows (a Microsoft first-party app reading its own\n"
		   "user's mailbox, an address the tenant already used) are listed, not counted.\n"
		   "No date of the attack is assumed: without --baseline-until, new-app-for-mailbox\n"
		   "compares each (mailbox, app) pair's first read with the mailbox's own history and\n"
		   "with the app's first appearance in the case, and signin-then-mail compares each\n"
		   "sign-in's IP with the user's own history; either finds an intrusion anywhere after\n"
		   "the case's first day. `auditscope hunt CASE NAME` ends with the hunt's own rule.\n",
	.opts = opts,
	.min_args = 1,
	.max_args = 2,
	.run = run,
};
