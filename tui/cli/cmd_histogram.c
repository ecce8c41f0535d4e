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
#include "xalloc.h"


/* One bucket: its start, events, and (table) a bar. */
struct rows {
	const struct histogram *h;
	enum out_format fmt;
	char start[40], n[24], bar[41];
};

static void fill(void *ctx, size_t i, const char **v)
{
	struct rows *p = ctx;
	const struct histogram *h = p->h;
	v[0] = out_time(p->fmt, h->start + (int64_t)i * h->bucket, p->start, sizeof p->start);
	v[1] = out_int(h->counts[i], p->n, sizeof p->n);
	size_t w = h->max ? (size_t)((h->counts[i] * 40 + h->max - 1) / h->max) : 0;
	memset(p->bar, '#', w);
	p->bar[w] = '\0';
	v[2] = p->bar;
}

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
	if (histogram_run(q, bucket, (size_t)max, &h, &cause) < 0)
		return cli_query_failed(st, q, cause);
	bool table = fmt == OUT_TABLE;
	static const struct out_col cols[] = {
		{ .name = "start" },
		{ .name = "events", .number = true },
		{ .name = "" },
	};
	struct rows p = { .h = &h, .fmt = (enum out_format)fmt };
	out_rows(stdout, p.fmt, cols, table ? 3 : 2, h.n, fill, &p);
	if (table) {
		char b[24];
		histogram_format_bucket(h.bucket ? h.bucket : 3600000, b, sizeof b);
		printf("%" PRId64 " events in %zu buckets of %s (UTC)\n", h.total, h.n, b);
	}
	histogram_clear(&h);
	cli_close_query(st, q);
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
