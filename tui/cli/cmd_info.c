/*
 * cmd_info.c: `auditscope info CASE`: what is in the case and where it came
 * from: totals, each source with its SHA-256 and counts, warnings, and
 * the rejected rows (a few by default, --rejects N for more).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ipgeo.h"
#include "sanitize.h"
#include "xalloc.h"

static void put_safe(const char *label, const char *s)
{
	char *t = sanitize(s ? s : "-", s ? strlen(s) : 1);
	printf("%s%s", label, t);
	free(t);
}

static int show_source(const struct store_source_row *r, void *ctx)
{
	(void)ctx;
	char first[32] = "-", last[32] = "-";
	if (r->c.first_ts != INT64_MAX) {
		cli_time(r->c.first_ts, first, sizeof first);
		cli_time(r->c.last_ts, last, sizeof last);
	}
	put_safe("\n  ", r->path);
	putchar('\n');
	put_safe("    format ", r->format);
	put_safe(", encoding ", r->encoding);
	printf(", %" PRId64 " bytes, loaded %s\n", r->bytes, r->loaded_at ? r->loaded_at : "-");
	put_safe("    sha256 ", r->sha256);
	putchar('\n');
	printf("    %llu records: %llu new events, %llu duplicates, %llu rejected",
	       (unsigned long long)r->c.records, (unsigned long long)r->c.events,
	       (unsigned long long)r->c.duplicates, (unsigned long long)r->c.rejects);
	if (r->c.conflicts)
		printf(", %llu conflicting", (unsigned long long)r->c.conflicts);
	printf("; %s .. %s UTC\n", first, last);
	put_safe("    status ", r->status);
	putchar('\n');
	if (r->warning)
		put_safe("    warning: ", r->warning), putchar('\n');
	return 0;
}

static int show_reject(const struct store_reject_row *r, void *ctx)
{
	(void)ctx;
	size_t n = r->rawlen > 160 ? 160 : r->rawlen;
	char *raw = sanitize(r->raw ? r->raw : "", r->raw ? n : 0);
	char *path = sanitize(r->path, strlen(r->path));
	char *why = sanitize(r->reason, strlen(r->reason));
	printf("  %s:%" PRId64 ": %s\n    %s%s\n", path, r->line, why, raw, r->rawlen > n ? "..." : "");
	free(raw);
	free(path);
	free(why);
	return 0;
}

static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0];
	int64_t nrej = 10;
	if (!cli_opt_count(a, "--rejects", &nrej))
		return 2;
	struct store *st = cli_open_case(case_path, false);
	if (!st)
		return 1;
	struct store_summary s;
	char *cause = NULL;
	if (store_summary(st, &s, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		store_close(st);
		return 1;
	}
	char first[32] = "-", last[32] = "-";
	if (s.events) {
		cli_time(s.first_ts, first, sizeof first);
		cli_time(s.last_ts, last, sizeof last);
	}
	put_safe("case ", case_path);
	printf(" (%.1f MB)\n", (double)s.file_bytes / 1e6);
	printf("events %" PRId64 " from %" PRId64 " records in %" PRId64 " sources; %" PRId64
	       " duplicates; %" PRId64 " rejected rows; %" PRId64 " message rows\n",
	       s.events, s.records, s.sources, s.duplicates, s.rejects, s.messages);
	/* a load's sources and events appear as it commits; a slow stdin
	 * is not a source before its first bytes tell its format */
	if (store_load_running(st))
		printf("a load into this case is running: its sources and events appear as it commits\n");
	if (s.conflicts)
		printf("%" PRId64 " records repeat a record id of the case with another time or value: kept as"
		       " conflicts among the rejected rows (--rejects N lists them)\n",
		       s.conflicts);
	if (s.multi_source)
		printf("%" PRId64 " events were read from more than one source (each keeps its richest copy; a"
		       " copy it replaced keeps its raw record too; the detail view and 'export --format jsonl'"
		       " list the others in seen_in, with those raw records)\n",
		       s.multi_source);
	printf("time range %s .. %s UTC\n", first, last);
	char *geo = ipgeo_databases(st);
	put_safe("ip places ", geo ? geo : "not looked up (load the case again)");
	putchar('\n');
	/* a load stopped before its places (Ctrl-C, kill -9) leaves its new
	 * addresses unplaced: places of "unknown" that only look like an
	 * answer (a case that cannot say, an older one: nothing said) */
	int64_t unplaced = 0;
	if (geo && ipgeo_unplaced(st, &unplaced, NULL) == 0 && unplaced > 0) {
		char *cp = sanitize(case_path, strlen(case_path));
		printf("%" PRId64 " IP addresses have no place yet (a load stopped before looking them up): the"
		       " next load into this case places them, or 'auditscope load %s --geoip DIR' now\n",
		       unplaced, cp);
		free(cp);
	}
	free(geo);
	printf("\nsources:");
	store_each_source(st, show_source, NULL, NULL);
	int64_t kept = s.rejects + s.conflicts; /* conflicts are listed with them */
	if (kept) {
		printf("\nrejected rows (%" PRId64 "; kept verbatim in the case%s):\n", kept,
		       kept > nrej ? ", first shown; --rejects N for more" : "");
		store_each_reject(st, nrej, show_reject, NULL, NULL);
	}
	store_close(st);
	return 0;
}

static const struct cli_opt opts[] = {
	{ "--rejects", NULL, "N", "list the first N rejected rows (10 by default)", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_info = {
	.name = "info",
	.usage = "CASE",
	.summary = "sources, counts, rejects, duplicates, time range",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
};
