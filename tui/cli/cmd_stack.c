/*
 * cmd_stack.c: `auditscope stack CASE FIELD [FILTER]`: the frequency
 * table of FIELD over the events FILTER matches: value, events, distinct
 * mailboxes (users, when stacking mailbox), first and last seen.
 * Common-first by default, --rare for rare-first (how unexpected app ids
 * are found). App ids get their names (the case's apps table, then the
 * built-in table of Microsoft apps).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "knownapps.h"
#include "out.h"
#include "stack.h"
#include "timeparse.h"
#include "xalloc.h"


static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0], *field = a->args[1];
	int fmt;
	int64_t limit = -1;
	if (!cli_opt_format(a, &fmt) || !cli_opt_count(a, "--limit", &limit))
		return 2;
	enum stack_order order = cli_last(a, "--rare", "--common") == 1 ? STACK_RARE : STACK_COMMON;
	const struct filter_field *ff = filter_field_find(field);
	if (!ff || !(ff->flags & (FIELD_TEXT | FIELD_SOURCE | FIELD_GEO)))
		return cli_usage("stack: '%s' is not a field that can be stacked (user, app, ip, op, ...)", field);
	struct store *st;
	struct query *q;
	int orc = cli_open_query(case_path, a->args + 2, a->nargs - 2, &st, &q);
	if (orc)
		return orc;
	char *cause = NULL;
	struct stack sk;
	if (stack_run(q, ff->name, order, limit, &sk, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		query_free(q);
		store_close(st);
		return 1;
	}
	bool named = !strcmp(ff->name, "app") || !strcmp(ff->name, "client_app");
	struct knownapps *ka = named ? knownapps_new(st, NULL) : NULL;
	bool table = fmt == OUT_TABLE;
	const char *dname = !strcmp(sk.distinct, "mailbox") ? "mailboxes" : "users";
	struct out_col cols[] = {
		{ .name = ff->name }, { .name = "events", .number = true }, { .name = dname, .number = true },
		{ .name = table ? "first (UTC)" : "first" }, { .name = table ? "last (UTC)" : "last" }, { .name = "name" },
	};
	struct out *o = out_new(stdout, (enum out_format)fmt, cols, named ? 6 : 5);
	for (size_t i = 0; i < sk.n; i++) {
		const struct stack_row *r = &sk.rows[i];
		char ev[24], d[24], first[40], last[40];
		snprintf(ev, sizeof ev, "%" PRId64, r->events);
		snprintf(d, sizeof d, "%" PRId64, r->distinct);
		if (table) {
			cli_time(r->first, first, sizeof first);
			cli_time(r->last, last, sizeof last);
		} else {
			time_format(r->first, first, sizeof first);
			time_format(r->last, last, sizeof last);
		}
		const char *name = ka && r->value ? knownapps_lookup(ka, r->value, NULL) : NULL;
		const char *v[] = { r->value ? r->value : (table ? "(none)" : NULL), ev, d, first, last, name };
		out_row(o, v);
	}
	out_end(o);
	out_free(o);
	if (table) {
		if ((int64_t)sk.n < sk.values)
			printf("%zu of %" PRId64 " values shown (--limit), %" PRId64 " events\n", sk.n, sk.values, sk.events);
		else
			printf("%" PRId64 " values, %" PRId64 " events\n", sk.values, sk.events);
	}
	knownapps_free(ka);
	stack_clear(&sk);
	query_free(q);
	store_close(st);
	return 0;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table)", "table csv jsonl" },
	{ "--limit", NULL, "N", "at most N values", NULL },
	{ "--rare", NULL, NULL, "rarest first", NULL },
	{ "--common", NULL, NULL, "commonest first (the default)", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_stack = {
	.name = "stack",
	.usage = "CASE FIELD [FILTER]",
	.summary = "value, events, mailboxes, first and last seen of FIELD",
	.opts = opts,
	.min_args = 2,
	.max_args = -1,
	.run = run,
};
