/*
 * cmd_export.c: `auditscope export CASE [FILTER] [--marked] --format
 * csv|jsonl|timesketch|markdown [-o FILE]`: the annotated timeline for a
 * spreadsheet, a script, Timesketch or a reader.
 *
 * With -o the export goes to a temporary file beside FILE that is renamed
 * over it only when complete, so an interrupted or failed export never
 * leaves a file that looks finished. A progress line goes to stderr when
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
#include "xalloc.h"


#define PROGRESS_AFTER 50000 /* events before the progress line shows */

struct progress {
	bool tty, shown;
	struct timespec t0;
};

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int on_progress(void *ctx, int64_t done)
{
	struct progress *p = ctx;
	if (p->tty && done >= PROGRESS_AFTER) {
		double s = since(&p->t0);
		fprintf(stderr, "\rexporting: %" PRId64 " events, %.0f/s ", done, s > 0 ? (double)done / s : 0.0);
		p->shown = true;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	const char *case_path = NULL, *out_path = NULL;
	struct export_opts o = { .format = (enum export_format)-1, .program = "auditscope" };
	char **terms = xcalloc((size_t)argc + 1, sizeof *terms);
	int nterms = 0, fmt = -1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--format")) {
			if (i + 1 >= argc || (fmt = export_format_parse(argv[i + 1])) < 0) {
				free(terms);
				return cli_usage("export: --format takes csv, jsonl, timesketch or markdown");
			}
			i++;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				free(terms);
				return cli_usage("export: %s needs a file name", a);
			}
			out_path = argv[++i];
		} else if (!strcmp(a, "--marked")) {
			o.marked = true;
		} else if (!strcmp(a, "--")) {
			while (++i < argc)
				terms[nterms++] = argv[i];
		} else if (a[0] == '-' && a[1] == '-') {
			free(terms);
			return cli_usage("export: unknown option '%s'", a);
		} else if (!case_path) {
			case_path = a;
		} else {
			terms[nterms++] = argv[i];
		}
	}
	if (!case_path || fmt < 0) {
		free(terms);
		return cli_usage(!case_path ? "export: expected CASE" : "export: --format is required");
	}
	o.format = (enum export_format)fmt;
	char *filter = cli_join(terms, 0, nterms);
	free(terms);
	o.filter = filter;
	o.case_label = case_path;
	struct store *st = cli_open_case(case_path);
	if (!st) {
		free(filter);
		return 1;
	}
	FILE *out = stdout;
	char *tmp = NULL;
	if (out_path && strcmp(out_path, "-") != 0) {
		tmp = xasprintf("%s.partial-XXXXXX", out_path);
		int fd = mkstemp(tmp);
		if (fd < 0 || !(out = fdopen(fd, "w"))) {
			cli_error("%s: %s", out_path, strerror(errno));
			if (fd >= 0)
				close(fd), unlink(tmp);
			free(tmp);
			free(filter);
			store_close(st);
			return 1;
		}
	}
	o.terminal = isatty(fileno(out));
	struct progress p = { .tty = isatty(2) };
	clock_gettime(CLOCK_MONOTONIC, &p.t0);
	o.progress = on_progress;
	o.ctx = &p;
	struct export_stats stats;
	char *cause = NULL;
	int rc = 0;
	if (export_run(st, out, &o, &stats, &cause) < 0) {
		if (p.shown)
			fputc('\n', stderr);
		rc = cause && !strncmp(cause, "filter:", 7) ? 2 : 1;
		cli_error("%s%s%s", rc == 1 && out_path ? out_path : "", rc == 1 && out_path ? ": " : "", cause);
		free(cause);
	}
	if (tmp) {
		if (fclose(out) != 0 && rc == 0) {
			cli_error("%s: %s", out_path, strerror(errno));
			rc = 1;
		}
		if (rc == 0 && rename(tmp, out_path) < 0) {
			cli_error("%s: %s", out_path, strerror(errno));
			rc = 1;
		}
		if (rc != 0)
			unlink(tmp);
		free(tmp);
	}
	if (rc == 0 && (p.shown || out_path)) {
		if (p.shown)
			fputs("\r\033[K", stderr); /* clear the progress line */
		fprintf(stderr, "exported %" PRId64 " events%s%s in %.1f s\n", stats.events,
			out_path ? " to " : "", out_path ? out_path : "", since(&p.t0));
	}
	free(filter);
	store_close(st);
	return rc;
}
