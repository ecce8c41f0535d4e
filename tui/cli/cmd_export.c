/*
 * cmd_export.c: `auditscope export CASE [FILTER] [--marked] --format
 * csv|jsonl|timesketch|markdown [-o FILE]`: the annotated timeline for a
 * spreadsheet, a script, Timesketch or a reader.
 *
 * With -o the export goes to a temporary file beside FILE that is renamed
 * over it only when complete (outfile.h: a device or a FIFO is written
 * through, a link's target is replaced), so an interrupted or failed
 * export never leaves a file that looks finished, nor a temporary one. A progress line goes to stderr when
 * it is a terminal and the export is large.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "export.h"
#include "outfile.h"
#include "sanitize.h"
#include "xalloc.h"


#define PROGRESS_AFTER 50000 /* events before the progress line shows */

struct shown {
	bool tty, shown;
	struct timespec t0;
	const struct export_stats *stats; /* kept up to date by the export */
};

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int on_progress(void *ctx, double done)
{
	(void)done;
	struct shown *p = ctx;
	int64_t n = p->stats->events;
	if (p->tty && n >= PROGRESS_AFTER) {
		double s = since(&p->t0);
		fprintf(stderr, "\rexporting: %" PRId64 " events, %.0f/s ", n, s > 0 ? (double)n / s : 0.0);
		p->shown = true;
	}
	return 0;
}

static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0], *out_path = cli_opt(a, "--output");
	const char *f = cli_opt(a, "--format");
	struct export_opts o = { .marked = cli_flag(a, "--marked"), .program = "auditscope" };
	if (!f)
		return cli_usage("export: --format is required");
	int fmt = export_format_parse(f);
	if (fmt < 0)
		return cli_usage("export: --format takes csv, jsonl, timesketch or markdown");
	if (out_path && !*out_path)
		return cli_usage("export: -o needs a file name");
	o.format = (enum export_format)fmt;
	char *filter = cli_join(a->args, 1, a->nargs);
	o.filter = filter;
	o.case_label = case_path;
	struct store *st = cli_open_case(case_path, false);
	if (!st) {
		free(filter);
		return 1;
	}
	FILE *out = stdout;
	struct outfile *of = NULL;
	if (out_path && strcmp(out_path, "-") != 0 && !(of = cli_outfile_open(out_path, &out))) {
		free(filter);
		store_close(st);
		return 1;
	}
	o.terminal = isatty(fileno(out));
	if (!o.terminal) /* a file's text is data, whatever stdout is */
		sanitize_ascii(false);
	struct export_stats stats = { 0 };
	struct shown p = { .tty = isatty(2), .stats = &stats };
	clock_gettime(CLOCK_MONOTONIC, &p.t0);
	o.progress = (struct progress){ on_progress, &p };
	char *cause = NULL;
	int rc = 0;
	if (export_run(st, out, &o, &stats, &cause) < 0) {
		if (p.shown)
			fputc('\n', stderr);
		rc = cause && !strncmp(cause, "filter:", 7) ? 2 : 1;
		cli_error("%s%s%s", rc == 1 && out_path ? out_path : "", rc == 1 && out_path ? ": " : "",
			  cause);
		free(cause);
	}
	if (of && rc == 0) {
		if (outfile_commit(of, &cause) < 0) {
			cli_error("%s", cause);
			free(cause);
			rc = 1;
		}
	} else {
		outfile_abort(of);
	}
	if (rc == 0 && (p.shown || out_path)) {
		if (p.shown)
			fputs("\r\033[K", stderr); /* clear the progress line */
		char *op = out_path ? sanitize_err(out_path, strlen(out_path)) : NULL;
		fprintf(stderr, "exported %" PRId64 " events%s%s in %.1f s\n", stats.events, op ? " to " : "",
			op ? op : "", since(&p.t0));
		free(op);
	}
	free(filter);
	store_close(st);
	return rc;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "required: what to write", "csv jsonl timesketch markdown" },
	{ "--output", "-o", "FILE", "write FILE, complete or not at all (default: stdout)", NULL },
	{ "--marked", NULL, NULL, "only bookmarked events (markdown: always)", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_export = {
	.name = "export",
	.usage = "CASE [FILTER] --format F",
	.summary = "the annotated timeline: csv, jsonl, timesketch or markdown",
	.details = "csv: formula-safe; jsonl: with the raw record; timesketch: JSON Lines\n"
		   "Timesketch imports as is; markdown: a hand-over report of the bookmarked\n"
		   "events. Every event carries its source file, SHA-256, line and record id.\n",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
};
