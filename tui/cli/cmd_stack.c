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


/* Progress of a long scan on a terminal's stderr (nothing when piped). */
int cmd_stack(int argc, char **argv)
{
	const char *case_path = NULL, *field = NULL;
	int fmt = OUT_TABLE;
	int64_t limit = -1;
	enum stack_order order = STACK_COMMON;
	char **terms = xcalloc((size_t)argc + 1, sizeof *terms);
	int nterms = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--format")) {
			if (i + 1 >= argc || (fmt = out_format_parse(argv[i + 1])) < 0) {
				free(terms);
				return cli_usage("stack: --format takes table, csv or jsonl");
			}
			i++;
		} else if (!strcmp(a, "--limit")) {
			if (!cli_parse_count("--limit", i + 1 < argc ? argv[i + 1] : NULL, &limit)) {
				free(terms);
				return 2;
			}
			i++;
		} else if (!strcmp(a, "--rare")) {
			order = STACK_RARE;
		} else if (!strcmp(a, "--common")) {
			order = STACK_COMMON;
		} else if (a[0] == '-' && a[1] == '-' && a[2]) {
			free(terms);
			return cli_usage("stack: unknown option '%s'", a);
		} else if (!case_path) {
			case_path = a;
		} else if (!field) {
			field = a;
		} else {
			terms[nterms++] = argv[i];
		}
	}
	if (!case_path || !field) {
		free(terms);
		return cli_usage("stack: expected CASE FIELD [FILTER]");
	}
	const struct filter_field *ff = filter_field_find(field);
	if (!ff || !(ff->flags & (FIELD_TEXT | FIELD_SOURCE))) {
		free(terms);
		return cli_usage("stack: '%s' is not a field that can be stacked (user, app, ip, op, ...)", field);
	}
	struct store *st;
	struct query *q;
	int orc = cli_open_query(case_path, terms, nterms, &st, &q);
	free(terms);
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
