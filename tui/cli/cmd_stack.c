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
#include "xalloc.h"


/* One row of the table: value, events, distinct, first, last, name. */
struct rows {
	const struct stack *sk;
	struct knownapps *ka;
	enum out_format fmt;
	char ev[24], d[24], first[40], last[40];
};

static void fill(void *ctx, size_t i, const char **v)
{
	struct rows *p = ctx;
	const struct stack_row *r = &p->sk->rows[i];
	bool table = p->fmt == OUT_TABLE;
	v[0] = r->value ? r->value : (table ? "(none)" : NULL);
	v[1] = out_int(r->events, p->ev, sizeof p->ev);
	v[2] = out_int(r->distinct, p->d, sizeof p->d);
	v[3] = out_time(p->fmt, r->first, p->first, sizeof p->first);
	v[4] = out_time(p->fmt, r->last, p->last, sizeof p->last);
	v[5] = p->ka && r->value ? knownapps_lookup(p->ka, r->value, NULL) : NULL;
}

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
	if (stack_run(q, ff->name, order, limit, &sk, &cause) < 0)
		return cli_query_failed(st, q, cause);
	bool named = !strcmp(ff->name, "app") || !strcmp(ff->name, "client_app");
	bool table = fmt == OUT_TABLE;
	const char *dname = !strcmp(sk.distinct, "mailbox") ? "mailboxes" : "users";
	struct out_col cols[] = {
		{ .name = ff->name }, { .name = "events", .number = true }, { .name = dname, .number = true },
		{ .name = table ? "first (UTC)" : "first" }, { .name = table ? "last (UTC)" : "last" }, { .name = "name" },
	};
	struct rows p = { .sk = &sk, .ka = named ? knownapps_new(st, NULL) : NULL, .fmt = (enum out_format)fmt };
	out_rows(stdout, p.fmt, cols, named ? 6 : 5, sk.n, fill, &p);
	if (table) {
		if ((int64_t)sk.n < sk.values)
			printf("%zu of %" PRId64 " values shown (--limit), %" PRId64 " events\n", sk.n, sk.values, sk.events);
		else
			printf("%" PRId64 " values, %" PRId64 " events\n", sk.values, sk.events);
	}
	knownapps_free(p.ka);
	stack_clear(&sk);
	cli_close_query(st, q);
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
