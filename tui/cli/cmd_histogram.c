/*
 * cmd_histogram.c: `auditscope histogram CASE [FILTER] [--bucket 1h]`:
 * how many events FILTER matches per time bucket (automatic size unless
 * --bucket), as a table with bars, CSV or JSON Lines.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "histogram.h"
#include "out.h"
#include "timeparse.h"
#include "xalloc.h"


/* Progress of a long scan on a terminal's stderr (nothing when piped). */
int cmd_histogram(int argc, char **argv)
{
	const char *case_path = NULL;
	int fmt = OUT_TABLE;
	int64_t bucket = 0, max = 0;
	char **terms = xcalloc((size_t)argc + 1, sizeof *terms);
	int nterms = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--format")) {
			if (i + 1 >= argc || (fmt = out_format_parse(argv[i + 1])) < 0) {
				free(terms);
				return cli_usage("histogram: --format takes table, csv or jsonl");
			}
			i++;
		} else if (!strcmp(a, "--bucket")) {
			char *why = NULL;
			if (histogram_parse_bucket(i + 1 < argc ? argv[i + 1] : NULL, &bucket, &why) < 0) {
				free(terms);
				int rc = cli_usage("histogram: --%s", why);
				free(why);
				return rc;
			}
			i++;
		} else if (!strcmp(a, "--buckets")) {
			if (!cli_parse_count("--buckets", i + 1 < argc ? argv[i + 1] : NULL, &max)) {
				free(terms);
				return 2;
			}
			i++;
		} else if (a[0] == '-' && a[1] == '-' && a[2]) {
			free(terms);
			return cli_usage("histogram: unknown option '%s'", a);
		} else if (!case_path) {
			case_path = a;
		} else {
			terms[nterms++] = argv[i];
		}
	}
	if (!case_path) {
		free(terms);
		return cli_usage("histogram: expected CASE [FILTER]");
	}
	struct store *st;
	struct query *q;
	int orc = cli_open_query(case_path, terms, nterms, &st, &q);
	free(terms);
	if (orc)
		return orc;
	char *cause = NULL;
	struct histogram h;
	if (histogram_run(q, bucket, (size_t)max, &h, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		query_free(q);
		store_close(st);
		return 1;
	}
	bool table = fmt == OUT_TABLE;
	static const struct out_col cols[] = {
		{ .name = "start" }, { .name = "events", .number = true }, { .name = "" },
	};
	struct out *o = out_new(stdout, (enum out_format)fmt, cols, table ? 3 : 2);
	for (size_t i = 0; i < h.n; i++) {
		char start[40], n[24], bar[41];
		int64_t t = h.start + (int64_t)i * h.bucket;
		if (table)
			cli_time(t, start, sizeof start);
		else
			time_format(t, start, sizeof start);
		snprintf(n, sizeof n, "%" PRId64, h.counts[i]);
		size_t w = h.max ? (size_t)((h.counts[i] * 40 + h.max - 1) / h.max) : 0;
		memset(bar, '#', w);
		bar[w] = '\0';
		const char *v[] = { start, n, bar };
		out_row(o, v);
	}
	out_end(o);
	out_free(o);
	if (table) {
		char b[24];
		histogram_format_bucket(h.bucket ? h.bucket : 3600000, b, sizeof b);
		printf("%" PRId64 " events in %zu buckets of %s (UTC)\n", h.total, h.n, b);
	}
	histogram_clear(&h);
	query_free(q);
	store_close(st);
	return 0;
}
