/*
 * cmd_stack.c: `auditscope stack CASE FIELD[,FIELD...] [FILTER]`: the
 * frequency table of FIELD (or of each combination of several fields,
 * json.PATH included) over the events FILTER matches: values, events,
 * distinct mailboxes (users, when stacking mailbox), first and last seen,
 * sorted by any of them (--sort).
 * Common-first by default, --rare for rare-first (how unexpected app ids
 * are found). App ids get their names (the case's apps table, then the
 * built-in table of Microsoft apps).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "knownapps.h"
#include "out.h"
#include "stack.h"
#include "xalloc.h"


/* FIELD is one field or several joined by commas (app,mailbox); each a
 * text field or json.PATH. Returns how many, or 0 after a usage error. */
static size_t parse_fields(const char *arg, char *buf, size_t bufn, const char **fields)
{
	snprintf(buf, bufn, "%s", arg);
	size_t n = 0;
	for (char *p = buf; p && *p;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (n == STACK_MAX_FIELDS) {
			cli_usage("stack: at most %d fields (%s)", STACK_MAX_FIELDS, arg);
			return 0;
		}
		bool json = !strncasecmp(p, "json.", 5) && p[5];
		const struct filter_field *ff = json ? NULL : filter_field_find(p);
		if (!json && (!ff || !(ff->flags & (FIELD_TEXT | FIELD_SOURCE | FIELD_GEO)))) {
			cli_usage("stack: '%s' is not a field that can be stacked (user, app, ip, op, ..., json.PATH)",
				  p);
			return 0;
		}
		fields[n++] = json ? p : ff->name;
		p = comma ? comma + 1 : NULL;
	}
	if (!n)
		cli_usage("stack: expected FIELD (user, app, ip, op, ..., json.PATH; several: app,mailbox)");
	return n;
}

/* One row of the table: the fields' values, events, distinct, first,
 * last, then the names of the app id fields. */
struct rows {
	const struct stack *sk;
	struct knownapps *ka;
	enum out_format fmt;
	bool named[STACK_MAX_FIELDS];
	char ev[24], d[24], first[40], last[40];
};

static void fill(void *ctx, size_t i, const char **v)
{
	struct rows *p = ctx;
	const struct stack_row *r = &p->sk->rows[i];
	bool table = p->fmt == OUT_TABLE;
	size_t k = 0, nf = p->sk->nfields;
	for (size_t f = 0; f < nf; f++) {
		const char *val = stack_value(r, f);
		v[k++] = val ? val : (table ? "(none)" : NULL);
	}
	v[k++] = out_int(r->events, p->ev, sizeof p->ev);
	v[k++] = out_int(r->distinct, p->d, sizeof p->d);
	v[k++] = out_time(p->fmt, r->first, p->first, sizeof p->first);
	v[k++] = out_time(p->fmt, r->last, p->last, sizeof p->last);
	for (size_t f = 0; f < nf; f++)
		if (p->named[f])
			v[k++] = stack_value(r, f) ? knownapps_lookup(p->ka, stack_value(r, f), NULL) : NULL;
}

static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0];
	int fmt;
	int64_t limit = -1;
	if (!cli_opt_format(a, &fmt) || !cli_opt_count(a, "--limit", &limit))
		return 2;
	char fbuf[1024];
	const char *fields[STACK_MAX_FIELDS];
	size_t nf = parse_fields(a->args[1], fbuf, sizeof fbuf, fields);
	if (!nf)
		return 2;
	enum stack_sort by = STACK_BY_EVENTS;
	const char *sort = cli_opt(a, "--sort");
	if (sort && stack_sort_parse(sort, &by) < 0)
		return cli_usage("stack: --sort: '%s' is not events, mailboxes (or users, distinct), first, last or value",
				 sort);
	/* largest first, but first seen and values from the start */
	bool desc = by != STACK_BY_FIRST && by != STACK_BY_VALUE;
	int dir = cli_last(a, "--rare", "--common");
	if (dir)
		desc = dir == 2;
	dir = cli_last(a, "--asc", "--desc");
	if (dir)
		desc = dir == 2;
	struct store *st;
	struct query *q;
	int orc = cli_open_query(case_path, a->args + 2, a->nargs - 2, &st, &q);
	if (orc)
		return orc;
	char *cause = NULL;
	struct stack sk;
	if (stack_fields(q, fields, nf, by, desc, limit, &sk, &cause) < 0)
		return cli_query_failed(st, q, cause);
	struct rows p = { .sk = &sk, .fmt = (enum out_format)fmt };
	bool any_named = false;
	for (size_t k = 0; k < nf; k++) {
		p.named[k] = !strcmp(sk.fields[k], "app") || !strcmp(sk.fields[k], "client_app");
		any_named |= p.named[k];
	}
	p.ka = any_named ? knownapps_new(st, NULL) : NULL;
	bool table = fmt == OUT_TABLE;
	const char *dname = !strcmp(sk.distinct, "mailbox") ? "mailboxes"
			    : !strcmp(sk.distinct, "user")  ? "users"
							    : sk.distinct;
	/* the fields, then the counts, then the names of app ids */
	struct out_col cols[2 * STACK_MAX_FIELDS + 4];
	char colname[STACK_MAX_FIELDS][80];
	size_t nc = 0;
	for (size_t k = 0; k < nf; k++)
		cols[nc++] = (struct out_col){ .name = sk.fields[k] };
	cols[nc++] = (struct out_col){ .name = "events", .number = true };
	cols[nc++] = (struct out_col){ .name = dname, .number = true };
	cols[nc++] = (struct out_col){ .name = table ? "first (UTC)" : "first" };
	cols[nc++] = (struct out_col){ .name = table ? "last (UTC)" : "last" };
	for (size_t k = 0; k < nf; k++)
		if (p.named[k]) {
			/* one field keeps its old column name, "name" */
			if (nf == 1)
				snprintf(colname[k], sizeof colname[k], "name");
			else
				snprintf(colname[k], sizeof colname[k], "%s_name", sk.fields[k]);
			cols[nc++] = (struct out_col){ .name = colname[k] };
		}
	out_rows(stdout, p.fmt, cols, nc, sk.n, fill, &p);
	if (table) {
		if ((int64_t)sk.n < sk.values)
			printf("%zu of %" PRId64 " values shown (--limit), %" PRId64 " events\n", sk.n,
			       sk.values, sk.events);
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
	{ "--sort", NULL, "COL", "sort by events (default), mailboxes, first, last or value",
	  "events mailboxes first last value" },
	{ "--asc", NULL, NULL, "smallest (earliest) first", NULL },
	{ "--desc", NULL, NULL, "largest (latest) first", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_stack = {
	.name = "stack",
	.usage = "CASE FIELD[,FIELD...] [FILTER]",
	.summary = "value, events, mailboxes, first and last seen of FIELD (several: app,mailbox; json.PATH)",
	.opts = opts,
	.min_args = 2,
	.max_args = -1,
	.run = run,
};
