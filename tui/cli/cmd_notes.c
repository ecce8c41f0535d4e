/*
 * cmd_notes.c: `auditscope notes export CASE [-o FILE]` and `auditscope
 * notes import CASE FILE`: an analyst's bookmarks, tags, notes and views
 * handed to a colleague who loaded the same exports (core/notes.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "notes.h"
#include "outfile.h"
#include "sanitize.h"
#include "xalloc.h"


static int notes_export_cmd(const struct cli_args *a)
{
	const char *out_path = cli_opt(a, "--output");
	if (a->nargs != 2)
		return cli_usage("notes export: expected CASE");
	const char *case_path = a->args[1];
	if (out_path && !*out_path)
		return cli_usage("notes export: -o needs a file name");
	struct store *st = cli_open_case(case_path, false);
	if (!st)
		return 1;
	FILE *out = stdout;
	struct outfile *of = NULL;
	/* complete or not there (outfile.h) */
	if (out_path && strcmp(out_path, "-") != 0 && !(of = cli_outfile_open(out_path, &out))) {
		store_close(st);
		return 1;
	}
	struct notes_stats s;
	char *cause = NULL;
	int rc = 0;
	if (notes_export(st, out, case_path, &s, &cause) < 0) {
		cli_error("%s: %s", out_path ? out_path : "stdout", cause);
		free(cause);
		rc = 1;
	}
	if (of && rc == 0) {
		if (outfile_commit(of, &cause) < 0) {
			cli_error("%s", cause);
			free(cause);
			rc = 1;
		}
	} else {
		outfile_abort(of);
	}
	if (rc == 0) {
		char *op = out_path ? sanitize_err(out_path, strlen(out_path)) : NULL;
		fprintf(stderr,
			"exported %" PRId64 " bookmarks, %" PRId64 " tags, %" PRId64 " notes, %" PRId64
			" views%s%s\n",
			s.marks, s.tags, s.notes, s.views, op ? " to " : "", op ? op : "");
		free(op);
	}
	store_close(st);
	return rc;
}

static int notes_import_cmd(const struct cli_args *a)
{
	if (a->nargs != 3 || cli_opt(a, "--output"))
		return cli_usage("notes import: expected CASE FILE");
	const char *case_path = a->args[1], *in_path = a->args[2];
	FILE *in = strcmp(in_path, "-") ? fopen(in_path, "r") : stdin;
	if (!in) {
		cli_error("%s: %s", in_path, strerror(errno));
		return 1;
	}
	struct store *st = cli_open_case(case_path, true);
	if (!st) {
		if (in != stdin)
			fclose(in);
		return 1;
	}
	struct notes_stats s;
	char *cause = NULL;
	int rc = 0;
	if (notes_import(st, in, strcmp(in_path, "-") ? in_path : "stdin", &s, &cause) < 0) {
		cli_error("%s (nothing imported)", cause);
		free(cause);
		rc = 1;
	} else {
		printf("added %" PRId64 " bookmarks, %" PRId64 " tags, %" PRId64 " notes, %" PRId64
		       " views; %" PRId64 " already here",
		       s.marks, s.tags, s.notes, s.views, s.present);
		if (s.absent)
			printf("; %" PRId64
			       " for records this case does not hold (kept for when they are loaded)",
			       s.absent);
		putchar('\n');
	}
	if (in != stdin)
		fclose(in);
	store_close(st);
	return rc;
}

static int run(const struct cli_args *a)
{
	if (a->nargs < 1)
		return cli_usage("notes: expected 'export' or 'import'");
	if (!strcmp(a->args[0], "export"))
		return notes_export_cmd(a);
	if (!strcmp(a->args[0], "import"))
		return notes_import_cmd(a);
	return cli_usage("notes: expected 'export' or 'import', got '%s'", a->args[0]);
}

static const struct cli_opt opts[] = {
	{ "--output", "-o", "FILE", "export: write FILE, complete or not at all (default: stdout)", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_notes = {
	.name = "notes",
	.usage = "export CASE [-o FILE] | import CASE FILE",
	.summary = "share bookmarks, tags, notes and views with a colleague",
	.details = "Keyed by record id, with author and time: importing twice changes nothing;\n"
		   "conflicting notes are both kept, attributed.\n",
	.opts = opts,
	.min_args = 0,
	.max_args = 3,
	.run = run,
};
