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
#include "timeparse.h"
#include "xalloc.h"


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
	if (messages_run(q, limit, &m, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		query_free(q);
		store_close(st);
		return 1;
	}
	bool table = fmt == OUT_TABLE;
	static const struct out_col cols[] = {
		{ .name = "mailbox" }, { .name = "message_id" }, { .name = "folder" }, { .name = "access" },
		{ .name = "app" }, { .name = "client_app" }, { .name = "ip" }, { .name = "first" }, { .name = "last" },
		{ .name = "events", .number = true }, { .name = "size", .number = true },
		{ .name = "whole_folder", .raw = true },
	};
	struct out *o = out_new(stdout, (enum out_format)fmt, cols, table ? 10 : 12);
	for (size_t i = 0; i < m.n; i++) {
		const struct messages_row *r = &m.rows[i];
		char first[40], last[40], ev[24], size[24];
		if (table) {
			cli_time(r->first, first, sizeof first);
			cli_time(r->last, last, sizeof last);
		} else {
			time_format(r->first, first, sizeof first);
			time_format(r->last, last, sizeof last);
		}
		snprintf(ev, sizeof ev, "%" PRId64, r->events);
		snprintf(size, sizeof size, "%" PRId64, r->size);
		const char *id = r->msgid;
		if (!id && r->sync && table)
			id = "(every item: Sync)";
		const char *v[] = { r->mailbox, id, r->folder, r->access, r->app, r->client_app, r->ip, first, last,
				    ev, r->size >= 0 ? size : NULL, r->sync ? "true" : "false" };
		out_row(o, v);
	}
	out_end(o);
	out_free(o);
	if (table) {
		if (limit >= 0 && (int64_t)m.n == limit)
			printf("%zu rows shown (--limit); ", m.n);
		printf("%" PRId64 " messages exposed", m.messages);
		if (m.folders)
			printf(", and every item of %" PRId64 " folders synchronised (Sync)", m.folders);
		printf("\n");
	}
	messages_clear(&m);
	query_free(q);
	store_close(st);
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
