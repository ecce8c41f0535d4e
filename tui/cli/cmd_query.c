/*
 * cmd_query.c: `auditscope query CASE [FILTER]`: the events a filter
 * matches, oldest first (--desc: newest first), as a table, CSV or JSON
 * Lines. The filter may be one argument or several (joined by spaces).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "out.h"
#include "query.h"
#include "sanitize.h"
#include "timeparse.h"
#include "xalloc.h"

struct emit {
	struct store *st;
	struct out *o;
	bool table, raw;
	int fmt;
	char *error; /* a raw record that could not be read (store_raw_error) */
};

static int emit_row(const struct query_row *r, void *ctx)
{
	struct emit *e = ctx;
	char ts[40], opc[24], line[24];
	if (e->table) {
		cli_time(r->ts, ts, sizeof ts);
		const char *v[] = { ts,    r->op,   r->user,   r->app,     r->client_app,
				    r->ip, r->host, r->access, r->mailbox, r->result };
		return out_row(e->o, v) < 0; /* stop on a failed write */
	}
	time_format(r->ts, ts, sizeof ts);
	snprintf(opc, sizeof opc, "%" PRId64, r->op_count);
	snprintf(line, sizeof line, "%" PRId64, r->line);
	char *rawtext = NULL;
	if (e->raw) {
		size_t len;
		char *t = store_raw(e->st, r->id, &len);
		if (!t && store_raw_error(e->st)) {
			e->error = xstrdup(store_raw_error(e->st));
			return 1;
		}
		/* one line a record in JSON Lines, whatever the export's layout */
		rawtext = t                     ? json_one_line(json_text_safe(t, len))
			  : e->fmt == OUT_JSONL ? xstrdup("null")
						: NULL;
		free(t);
	}
	const char *v[] = {
		ts,
		r->record_id,
		event_kind_name(r->kind),
		r->op,
		r->user,
		r->app,
		r->client_app,
		r->ip,
		r->country,
		r->asn,
		r->as_org,
		r->host,
		r->workload,
		r->rtype,
		r->result,
		r->session,
		r->token,
		r->mailbox,
		r->access,
		r->op_count >= 0 ? opc : NULL,
		r->client_info,
		r->detail,
		r->source,
		line,
		rawtext,
	};
	int failed = out_row(e->o, v) < 0;
	free(rawtext);
	return failed;
}

static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0];
	int fmt;
	int64_t limit = -1;
	if (!cli_opt_format(a, &fmt) || !cli_opt_count(a, "--limit", &limit))
		return 2;
	bool desc = cli_flag(a, "--desc"), raw = cli_flag(a, "--raw");
	struct store *st;
	struct query *q;
	int orc = cli_open_query(case_path, a->args + 1, a->nargs - 1, &st, &q);
	if (orc)
		return orc;
	char *cause = NULL;
	static const struct out_col table_cols[] = {
		{ .name = "time (UTC)" }, { .name = "op" },     { .name = "user" }, { .name = "app" },
		{ .name = "client_app" }, { .name = "ip" },     { .name = "host" }, { .name = "access" },
		{ .name = "mailbox" },    { .name = "result" },
	};
	static const struct out_col data_cols[] = {
		{ .name = "ts" },
		{ .name = "record_id" },
		{ .name = "kind" },
		{ .name = "op" },
		{ .name = "user" },
		{ .name = "app" },
		{ .name = "client_app" },
		{ .name = "ip" },
		{ .name = "country" },
		{ .name = "asn" },
		{ .name = "as_org" },
		{ .name = "host" },
		{ .name = "workload" },
		{ .name = "record_type" },
		{ .name = "result" },
		{ .name = "session" },
		{ .name = "token" },
		{ .name = "mailbox" },
		{ .name = "access" },
		{ .name = "op_count", .number = true },
		{ .name = "client_info" },
		{ .name = "detail" },
		{ .name = "source" },
		{ .name = "line", .number = true },
		{ .name = "raw", .raw = true },
	};
	bool table = fmt == OUT_TABLE;
	size_t ncols = table ? sizeof table_cols / sizeof table_cols[0]
			     : sizeof data_cols / sizeof data_cols[0] - (raw ? 0 : 1);
	struct emit e = { .st = st, .table = table, .raw = raw, .fmt = fmt };
	e.o = out_new(stdout, (enum out_format)fmt, table ? table_cols : data_cols, ncols);
	int k = query_each(q, desc, limit, emit_row, &e, &cause);
	unsigned long long n = out_end(e.o);
	out_free(e.o);
	int rc = 0;
	if (k < 0 || e.error) {
		cli_error("%s", e.error ? e.error : cause);
		free(cause);
		free(e.error);
		rc = 1;
	} else if (table) {
		struct query_count c = { 0, true };
		if (limit >= 0 && n == (unsigned long long)limit)
			query_count(q, -1, &c, NULL);
		if (c.n > (int64_t)n)
			printf("%llu of %" PRId64 " events shown (--limit)\n", n, c.n);
		else
			printf("%llu events\n", n);
	}
	query_free(q);
	store_close(st);
	return rc;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table)", "table csv jsonl" },
	{ "--limit", NULL, "N", "at most N events", NULL },
	{ "--desc", NULL, NULL, "newest first", NULL },
	{ "--raw", NULL, NULL, "csv, jsonl: add the raw record", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_query = {
	.name = "query",
	.usage = "CASE [FILTER]",
	.summary = "events FILTER matches, oldest first",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
};
