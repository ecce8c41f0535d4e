/*
 * cmd_apps.c: `auditscope apps CASE FILE.csv` loads the tenant's service
 * principals (appId, displayName) into the case, so that its own app
 * names come before the built-in Microsoft table wherever app ids are
 * shown; `auditscope apps CASE` lists the app ids the case's events use,
 * with the name each one gets and where the name comes from.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "appnames.h"
#include "knownapps.h"
#include "out.h"
#include "stack.h"
#include "xalloc.h"

struct used {
	char *id;
	int64_t as_app, as_client;
};

static int cmp_used(const void *a, const void *b)
{
	const struct used *x = a, *y = b;
	int64_t nx = x->as_app + x->as_client, ny = y->as_app + y->as_client;
	if (nx != ny)
		return nx > ny ? -1 : 1;
	return strcmp(x->id, y->id);
}

static struct used *find_or_add(struct used **u, size_t *n, size_t *cap, const char *id)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*u)[i].id, id))
			return &(*u)[i];
	*u = xgrow(*u, cap, *n + 1, sizeof **u);
	struct used *e = &(*u)[(*n)++];
	memset(e, 0, sizeof *e);
	e->id = xstrdup(id);
	return e;
}

/* The app ids in use as app and as client app: two counts-only stacks
 * (the store counts app from its index). */
static int count_apps(struct store *st, struct used **u, size_t *n, size_t *cap)
{
	static const char *const fields[2] = { "app", "client_app" };
	char *cause = NULL;
	struct query *q = NULL;
	int rc = 0;
	if (query_new(st, NULL, &q, &cause) < 0)
		rc = -1;
	for (int w = 0; w < 2 && !rc; w++) {
		struct stack s;
		if (stack_counts(q, fields[w], &s, &cause) < 0) {
			rc = -1;
			break;
		}
		for (size_t i = 0; i < s.n; i++) {
			if (!*s.rows[i].value)
				continue;
			struct used *e = find_or_add(u, n, cap, s.rows[i].value);
			*(w ? &e->as_client : &e->as_app) += s.rows[i].events;
		}
		stack_clear(&s);
	}
	query_free(q);
	if (rc) {
		cli_error("%s", cause);
		free(cause);
	}
	return rc;
}

static int list_apps(struct store *st, enum out_format fmt)
{
	struct used *u = NULL;
	size_t n = 0, cap = 0;
	int rc = count_apps(st, &u, &n, &cap) < 0;
	char *cause = NULL;
	struct appnames *ka = rc ? NULL : appnames_new(st, &cause);
	if (!rc && !ka) {
		cli_error("%s", cause);
		free(cause);
		rc = 1;
	}
	if (!rc) {
		if (n) /* u is NULL when no app is in use */
			qsort(u, n, sizeof *u, cmp_used);
		static const struct out_col cols[] = {
			{ .name = "app_id" },
			{ .name = "name" },
			{ .name = "origin" },
			{ .name = "events", .number = true },
			{ .name = "as_client_app", .number = true },
		};
		struct out *o = out_new(stdout, fmt, cols, sizeof cols / sizeof cols[0]);
		size_t named = 0;
		for (size_t i = 0; i < n; i++) {
			const char *origin;
			const char *name = appnames_lookup(ka, u[i].id, &origin);
			char a[24], c[24];
			snprintf(a, sizeof a, "%" PRId64, u[i].as_app);
			snprintf(c, sizeof c, "%" PRId64, u[i].as_client);
			const char *v[] = { u[i].id, name, origin ? origin : "unknown", a, c };
			out_row(o, v);
			named += name != NULL;
		}
		out_end(o);
		out_free(o);
		if (fmt == OUT_TABLE)
			printf("%zu app ids in use, %zu named; `auditscope apps CASE FILE.csv` loads the tenant's own names\n",
			       n, named);
	}
	appnames_free(ka);
	for (size_t i = 0; i < n; i++)
		free(u[i].id);
	free(u);
	return rc;
}

static int load_apps(struct store *st, const char *file)
{
	struct knownapps_load_result r;
	char *cause = NULL;
	if (knownapps_load_csv(st, file, &r, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return 1;
	}
	printf("%" PRId64 " app%s named from %" PRId64 " row%s of %s", r.added, r.added == 1 ? "" : "s",
	       r.rows, r.rows == 1 ? "" : "s", file);
	if (r.skipped)
		printf("; %" PRId64 " skipped (first: %s)", r.skipped, r.first_skip);
	printf("\n");
	free(r.first_skip);
	return 0;
}


static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0], *file = a->nargs > 1 ? a->args[1] : NULL;
	int fmt;
	if (!cli_opt_format(a, &fmt))
		return 2;
	struct store *st = cli_open_case(case_path, file != NULL);
	if (!st)
		return 1;
	int rc = file ? load_apps(st, file) : list_apps(st, (enum out_format)fmt);
	store_close(st);
	return rc;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table)", "table csv jsonl" },
	{ 0 },
};

const struct cli_cmd cli_cmd_apps = {
	.name = "apps",
	.usage = "CASE [FILE.csv]",
	.summary = "app ids in use and their names; FILE: the tenant's names",
	.details = "FILE.csv is the tenant's service principals (appId, displayName); its names\n"
		   "come before the built-in table of Microsoft apps wherever app ids are shown.\n",
	.opts = opts,
	.min_args = 1,
	.max_args = 2,
	.run = run,
};
