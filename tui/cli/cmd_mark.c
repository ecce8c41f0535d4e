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


int cmd_mark(int argc, char **argv)
{
	const char *case_path = NULL;
	struct annot_action a = { 0 };
	char **terms = xcalloc((size_t)argc + 1, sizeof *terms);
	int nterms = 0;
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "--tag") || !strcmp(o, "--note")) {
			if (i + 1 >= argc) {
				free(terms);
				return cli_usage("mark: %s needs a value", o);
			}
			*(o[2] == 't' ? &a.tag : &a.note) = argv[++i];
		} else if (!strcmp(o, "--unmark")) {
			a.unmark = true;
		} else if (o[0] == '-' && o[1] == '-' && o[2] != '\0') {
			free(terms);
			return cli_usage("mark: unknown option '%s'", o);
		} else if (!strcmp(o, "--")) {
			/* the rest is filter text, even if it starts with -- */
			while (++i < argc)
				terms[nterms++] = argv[i];
		} else if (!case_path) {
			case_path = o;
		} else {
			terms[nterms++] = argv[i];
		}
	}
	char *filter = cli_join(terms, 0, nterms);
	free(terms);
	if (!case_path || !*filter) {
		free(filter);
		return cli_usage("mark: expected CASE FILTER (a filter is required, so that a typo cannot "
				 "bookmark the whole case)");
	}
	if (a.unmark && a.note) {
		free(filter);
		return cli_usage("mark: --unmark cannot go with --note (--note '' removes your note)");
	}
	struct store *st = cli_open_case(case_path);
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
		const char *what = a.unmark ? (a.tag ? "tag removed" : "bookmark removed")
				   : a.tag && a.note ? "bookmarked, tagged and noted"
				   : a.tag ? "bookmarked and tagged"
				   : a.note ? (*a.note ? "bookmarked and noted" : "bookmarked, your note removed")
				   : "bookmarked";
		printf("%" PRId64 " events matched; %" PRId64 " changed (%s)\n", res.matched, res.changed, what);
	}
	free(filter);
	store_close(st);
	return rc;
}
