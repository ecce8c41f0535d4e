/*
 * cmd_sources.c: `auditscope sources CASE`: the files and archive members
 * a case was loaded from, one row each, as a table, CSV or JSON Lines:
 * for a chain-of-custody sheet or a script that checks what `info` tells
 * a person (hashes, counts, time range, status, warning). conflicts are
 * the records that repeated a record id already loaded with another time
 * or value (kept in the rejected rows, counted apart from them).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "out.h"

/* The table leaves out the columns after status (out.h: a table can
 * show fewer); CSV and JSON Lines have them all. */
static const struct out_col cols[] = {
	{ .name = "path" },
	{ .name = "format" },
	{ .name = "records", .number = true },
	{ .name = "events", .number = true },
	{ .name = "duplicates", .number = true },
	{ .name = "rejects", .number = true },
	{ .name = "conflicts", .number = true },
	{ .name = "first" },
	{ .name = "last" },
	{ .name = "status" },
	{ .name = "sha256" },
	{ .name = "bytes", .number = true },
	{ .name = "encoding" },
	{ .name = "loaded_at" },
	{ .name = "warning" },
};
#define NTABLE 10

struct listing {
	struct out *o;
	enum out_format fmt;
};

static int one(const struct store_source_row *r, void *ctx)
{
	struct listing *l = ctx;
	char n[5][24], first[40] = "", last[40] = "", bytes[24];
	bool times = r->c.first_ts != INT64_MAX;
	const char *v[] = {
		r->path,
		r->format,
		out_int((int64_t)r->c.records, n[0], sizeof n[0]),
		out_int((int64_t)r->c.events, n[1], sizeof n[1]),
		out_int((int64_t)r->c.duplicates, n[2], sizeof n[2]),
		out_int((int64_t)r->c.rejects, n[3], sizeof n[3]),
		out_int((int64_t)r->c.conflicts, n[4], sizeof n[4]),
		times ? out_time(l->fmt, r->c.first_ts, first, sizeof first) : NULL,
		times ? out_time(l->fmt, r->c.last_ts, last, sizeof last) : NULL,
		r->status,
		r->sha256,
		r->bytes >= 0 ? out_int(r->bytes, bytes, sizeof bytes) : NULL,
		r->encoding,
		r->loaded_at,
		r->warning,
	};
	return out_row(l->o, v) < 0 ? 1 : 0;
}

static int run(const struct cli_args *a)
{
	int fmt;
	if (!cli_opt_format(a, &fmt))
		return 2;
	struct store *st = cli_open_case(a->args[0], false);
	if (!st)
		return 1;
	struct listing l = { .fmt = (enum out_format)fmt };
	l.o = out_new(stdout, l.fmt, cols, l.fmt == OUT_TABLE ? NTABLE : sizeof cols / sizeof cols[0]);
	char *cause = NULL;
	int rc = store_each_source(st, one, &l, &cause) < 0 ? 1 : 0;
	if (rc)
		cli_error("%s", cause);
	free(cause);
	out_end(l.o);
	out_free(l.o);
	store_close(st);
	return rc;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table, which leaves out sha256 and after)",
	  "table csv jsonl" },
	{ 0 },
};

const struct cli_cmd cli_cmd_sources = {
	.name = "sources",
	.usage = "CASE",
	.summary = "the files a case was loaded from: hashes, counts, times, status",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
};
