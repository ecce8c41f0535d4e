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


/* Progress of a long scan on a terminal's stderr (nothing when piped). */
int cmd_messages(int argc, char **argv)
{
	const char *case_path = NULL;
	int fmt = OUT_TABLE;
	int64_t limit = -1;
	char **terms = xcalloc((size_t)argc + 1, sizeof *terms);
	int nterms = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--format")) {
			if (i + 1 >= argc || (fmt = out_format_parse(argv[i + 1])) < 0) {
				free(terms);
				return cli_usage("messages: --format takes table, csv or jsonl");
			}
			i++;
		} else if (!strcmp(a, "--limit")) {
			if (!cli_parse_count("--limit", i + 1 < argc ? argv[i + 1] : NULL, &limit)) {
				free(terms);
				return 2;
			}
			i++;
		} else if (a[0] == '-' && a[1] == '-' && a[2]) {
			free(terms);
			return cli_usage("messages: unknown option '%s'", a);
		} else if (!case_path) {
			case_path = a;
		} else {
			terms[nterms++] = argv[i];
		}
	}
	if (!case_path) {
		free(terms);
		return cli_usage("messages: expected CASE [FILTER]");
	}
	struct store *st;
	struct query *q;
	int orc = cli_open_query(case_path, terms, nterms, &st, &q);
	free(terms);
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
