/*
 * cmd_session.c: `auditscope session CASE ID|RECORD_ID`: every event of
 * every kind that shares a session or token identifier with ID (or with
 * the event RECORD_ID), in time order, with where each IP is; the CLI
 * twin of the interface's session key (core/session.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "event.h"
#include "ipgeo.h"
#include "out.h"
#include "session.h"
#include "timeparse.h"
#include "xalloc.h"

struct emit {
	struct out *o;
	bool table;
};

static int emit_row(const struct query_row *r, void *ctx)
{
	struct emit *e = ctx;
	char ts[40];
	if (e->table)
		cli_time(r->ts, ts, sizeof ts);
	else
		time_format(r->ts, ts, sizeof ts);
	char *place = ipgeo_row_text(r->ip, r->country, r->asn, r->as_org, r->ip_label);
	const char *v[] = { ts,       event_kind_name(r->kind),
			    r->op,    r->user,
			    r->app,   r->ip,
			    place,    r->session,
			    r->token, r->record_id };
	out_row(e->o, v);
	free(place);
	return 0;
}

static int run(const struct cli_args *a)
{
	int fmt;
	if (!cli_opt_format(a, &fmt))
		return 2;
	struct store *st = cli_open_case(a->args[0], false);
	if (!st)
		return 1;
	struct session *s = NULL;
	char *cause = NULL;
	int r = session_find(st, a->args[1], &s, &cause);
	if (r < 0) {
		cli_error("%s", cause);
		free(cause);
		store_close(st);
		return 1;
	}
	if (r == 1) {
		cli_error("session: no event carries '%s' as its record id, session or token", a->args[1]);
		store_close(st);
		return 1;
	}
	static const struct out_col cols[] = {
		{ .name = "time (UTC)" }, { .name = "kind" },      { .name = "op" },    { .name = "user" },
		{ .name = "app" },        { .name = "ip" },        { .name = "place" }, { .name = "session" },
		{ .name = "token" },      { .name = "record_id" },
	};
	static const struct out_col data_cols[] = {
		{ .name = "ts" },    { .name = "kind" },      { .name = "op" },    { .name = "user" },
		{ .name = "app" },   { .name = "ip" },        { .name = "place" }, { .name = "session" },
		{ .name = "token" }, { .name = "record_id" },
	};
	struct emit e = { .table = fmt == OUT_TABLE };
	e.o = out_new(stdout, (enum out_format)fmt, e.table ? cols : data_cols, sizeof cols / sizeof cols[0]);
	int k = query_each_id(st, s->ids, s->n, emit_row, &e, &cause);
	unsigned long long n = out_end(e.o);
	out_free(e.o);
	int rc = 0;
	if (k < 0) {
		cli_error("%s", cause);
		free(cause);
		rc = 1;
	} else if (e.table) {
		printf("%llu events:", n);
		for (int i = 0; i < KIND_COUNT && i < 16; i++)
			if (s->kinds[i])
				printf(" %zu %s", s->kinds[i], event_kind_name(i));
		printf("; %zu sessions, %zu tokens\n", s->nsessions, s->ntokens);
	}
	session_free(s);
	store_close(st);
	return rc;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table)", "table csv jsonl" },
	{ 0 },
};

const struct cli_cmd cli_cmd_session = {
	.name = "session",
	.usage = "CASE ID|RECORD_ID",
	.summary = "every event of every kind sharing a session or token id, in time order",
	.details = "ID: a session id (AADSessionId, sessionId, SessionId) or a token id (UniqueTokenId,\n"
		   "uniqueTokenIdentifier, signInActivityId); RECORD_ID: an event's, whose session and\n"
		   "token are followed. Events sharing either are added until nothing new is found.\n",
	.opts = opts,
	.min_args = 2,
	.max_args = 2,
	.run = run,
};
