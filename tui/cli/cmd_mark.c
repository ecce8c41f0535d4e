/*
 * cmd_mark.c: `auditscope mark CASE FILTER [--tag T] [--note TEXT]
 * [--unmark]`: bookmark (tag, note) every event the filter matches, in
 * one transaction, and say how many matched and how many changed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "cli.h"
#include "xalloc.h"


static int run(const struct cli_args *args)
{
	const char *case_path = args->args[0];
	struct annot_action a = {
		.tag = cli_opt(args, "--tag"),
		.note = cli_opt(args, "--note"),
		.unmark = cli_flag(args, "--unmark"),
	};
	char *filter = cli_join(args->args, 1, args->nargs);
	if (!*filter) {
		free(filter);
		return cli_usage("mark: expected CASE FILTER (a filter is required, so that a typo cannot "
				 "bookmark the whole case)");
	}
	if (a.unmark && a.note) {
		free(filter);
		return cli_usage("mark: --unmark cannot go with --note (--note '' removes your note)");
	}
	struct store *st = cli_open_case(case_path, true);
	if (!st) {
		free(filter);
		return 1;
	}
	struct annot_result res;
	char *cause = NULL;
	int rc = 0;
	if (annot_apply(st, filter, &a, &res, &cause) < 0) {
		rc = cause && (!strncmp(cause, "filter:", 7) || !strncmp(cause, "tag:", 4)) ? 2 : 1;
		cli_error("%s", cause);
		free(cause);
	} else {
		const char *what =
			a.unmark          ? (a.tag ? "tag removed" : "bookmark removed")
			: a.tag && a.note ? "bookmarked, tagged and noted"
			: a.tag           ? "bookmarked and tagged"
			: a.note ? (*a.note ? "bookmarked and noted" : "bookmarked, your note removed")
				 : "bookmarked";
		printf("%" PRId64 " events matched; %" PRId64 " changed (%s)\n", res.matched, res.changed,
		       what);
	}
	free(filter);
	store_close(st);
	return rc;
}

static const struct cli_opt opts[] = {
	{ "--tag", NULL, "T", "tag them T as well", NULL },
	{ "--note", NULL, "TEXT", "your note on each ('' removes it)", NULL },
	{ "--unmark", NULL, NULL, "remove the bookmark (with --tag: only the tag)", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_mark = {
	.name = "mark",
	.usage = "CASE FILTER",
	.summary = "bookmark (tag, note) every event FILTER matches",
	.details = "A filter is required, so that a typo cannot bookmark the whole case;\n"
		   "after -- every word is filter text, even one starting with --.\n",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
};
