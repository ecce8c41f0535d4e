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


static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0];
	int fmt;
	int64_t bucket = 0, max = 0;
	if (!cli_opt_format(a, &fmt) || !cli_opt_count(a, "--buckets", &max))
		return 2;
	const char *bs = cli_opt(a, "--bucket");
	char *why = NULL;
	if (bs && histogram_parse_bucket(bs, &bucket, &why) < 0) {
		int rc = cli_usage("histogram: --%s", why);
		free(why);
		return rc;
	}
	struct store *st;
	struct query *q;
	int orc = cli_open_query(case_path, a->args + 1, a->nargs - 1, &st, &q);
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

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table, with bars)", "table csv jsonl" },
	{ "--bucket", NULL, "SIZE", "bucket size: 30s, 5m, 1h, 1d, 1w (automatic by default)", NULL },
	{ "--buckets", NULL, "N", "at most N buckets when the size is automatic", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_histogram = {
	.name = "histogram",
	.usage = "CASE [FILTER]",
	.summary = "events per time bucket",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
};
