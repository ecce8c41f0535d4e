/*
 * cmd_messages.c: `auditscope messages CASE [FILTER]`: the messages the
 * events FILTER matches exposed (MailItemsAccessed): mailbox, internet
 * message id, folder, access, app, client app, IP, first, last, events.
 * A Sync record exposes a whole folder: its row has no message id and
 * says so.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "messages.h"
#include "out.h"
#include "xalloc.h"


/* One message (or synchronised folder). */
struct rows {
	const struct messages *m;
	enum out_format fmt;
	char first[40], last[40], ev[24], size[24];
};

static void fill(void *ctx, size_t i, const char **v)
{
	struct rows *p = ctx;
	const struct messages_row *r = &p->m->rows[i];
	const char *id = r->msgid;
	if (!id && r->sync && p->fmt == OUT_TABLE)
		id = "(every item: Sync)";
	v[0] = r->mailbox;
	v[1] = id;
	v[2] = r->folder;
	v[3] = r->access;
	v[4] = r->app;
	v[5] = r->client_app;
	v[6] = r->ip;
	v[7] = out_time(p->fmt, r->first, p->first, sizeof p->first);
	v[8] = out_time(p->fmt, r->last, p->last, sizeof p->last);
	v[9] = out_int(r->events, p->ev, sizeof p->ev);
	v[10] = r->size >= 0 ? out_int(r->size, p->size, sizeof p->size) : NULL;
	v[11] = r->sync ? "true" : "false";
}

static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0];
	int fmt;
	int64_t limit = -1;
	if (!cli_opt_format(a, &fmt) || !cli_opt_count(a, "--limit", &limit))
		return 2;
	struct store *st;
	struct query *q;
	int orc = cli_open_query(case_path, a->args + 1, a->nargs - 1, &st, &q);
	if (orc)
		return orc;
	char *cause = NULL;
	struct messages m;
	if (messages_run(q, limit, &m, &cause) < 0)
		return cli_query_failed(st, q, cause);
	bool table = fmt == OUT_TABLE;
	static const struct out_col cols[] = {
		{ .name = "mailbox" },
		{ .name = "message_id" },
		{ .name = "folder" },
		{ .name = "access" },
		{ .name = "app" },
		{ .name = "client_app" },
		{ .name = "ip" },
		{ .name = "first" },
		{ .name = "last" },
		{ .name = "events", .number = true },
		{ .name = "size", .number = true },
		{ .name = "whole_folder", .raw = true },
	};
	struct rows p = { .m = &m, .fmt = (enum out_format)fmt };
	out_rows(stdout, p.fmt, cols, table ? 10 : 12, m.n, fill, &p);
	if (table) {
		if (limit >= 0 && (int64_t)m.n == limit)
			printf("%zu rows shown (--limit); ", m.n);
		printf("%" PRId64 " messages exposed", m.messages);
		if (m.folders)
			printf(", and every item of %" PRId64 " folders synchronised (Sync)", m.folders);
		printf("\n");
	}
	messages_clear(&m);
	cli_close_query(st, q);
	return 0;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table)", "table csv jsonl" },
	{ "--limit", NULL, "N", "at most N rows", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_messages = {
	.name = "messages",
	.usage = "CASE [FILTER]",
	.summary = "messages the events exposed (MailItemsAccessed)",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
};
