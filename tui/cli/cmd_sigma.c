/*
 * cmd_sigma.c: `auditscope sigma CASE PATH...`: Sigma rules (files or
 * folders of .yml) run over the case as hunts (core/sigma.h,
 * core/sigma_run.h).
 *
 * Prints each matching rule's events (table: a block per rule; csv and
 * jsonl: one row per rule and event, with the rule and why it matched),
 * then a summary: rules run, matched, skipped because the case has none
 * of their logs, and unsupported with the construct and file:line. With
 * --mark the hits are bookmarked and tagged with the rule's id (or
 * title), or --tag T.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "annot.h"
#include "cli.h"
#include "out.h"
#include "query.h"
#include "sanitize.h"
#include "sigma.h"
#include "sigma_run.h"
#include "timeparse.h"
#include "xalloc.h"

struct emit {
	struct out *o;
	struct store *st;
	const struct sigma_rule *rule;
	bool table;
};

static int emit_row(const struct query_row *r, void *ctx)
{
	struct emit *e = ctx;
	char ts[40];
	time_format(r->ts, ts, sizeof ts);
	if (e->table) {
		char t[32];
		cli_time(r->ts, t, sizeof t);
		const char *v[] = { t, r->op, r->user, r->ip, r->record_id };
		out_row(e->o, v);
		return 0;
	}
	size_t len = 0;
	char *raw = store_raw(e->st, r->id, &len);
	char *why = raw ? sigma_explain(e->rule, raw, len) : NULL;
	free(raw);
	char line[24];
	snprintf(line, sizeof line, "%lld", (long long)r->line);
	const char *v[] = { e->rule->id, e->rule->title, e->rule->level, ts,    r->record_id,
			    r->op,       r->user,        r->app,         r->ip, r->workload,
			    r->rtype,    r->source,      line,           why };
	out_row(e->o, v);
	free(why);
	return 0;
}

static const char *status_word(enum sigma_outcome o)
{
	switch (o) {
	case SIGMA_RUN: return "ran";
	case SIGMA_SKIPPED: return "skipped";
	case SIGMA_NOT_RUN: return "unsupported";
	case SIGMA_FAILED: return "failed";
	}
	return "";
}

static void print_summary(FILE *f, const struct sigma_set *set, const struct sigma_run *run)
{
	size_t compiled = set->n - run->unsupported;
	double share = set->n ? 100.0 * (double)run->unsupported / (double)set->n : 0;
	fprintf(f,
		"%zu rules: %zu compiled, %zu unsupported (%.1f%%); %zu ran, %zu matched, %zu skipped, %zu failed;"
		" %llu records read, %llu tested, in %.2f s\n",
		set->n, compiled, run->unsupported, share, run->ran, run->matched, run->skipped, run->failed,
		(unsigned long long)run->scanned, (unsigned long long)run->evaluated, run->seconds);
	/* skipped: one line per reason */
	for (size_t i = 0; i < set->n; i++) {
		const struct sigma_hit_list *h = &run->hits[i];
		if (h->outcome != SIGMA_SKIPPED)
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = run->hits[j].outcome == SIGMA_SKIPPED && !strcmp(run->hits[j].why, h->why);
		if (seen)
			continue;
		size_t n = 0;
		for (size_t j = i; j < set->n; j++)
			n += run->hits[j].outcome == SIGMA_SKIPPED && !strcmp(run->hits[j].why, h->why);
		fprintf(f, "skipped %zu rule%s: %s\n", n, n == 1 ? "" : "s", h->why);
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct sigma_rule *r = &set->rules[i];
		const struct sigma_hit_list *h = &run->hits[i];
		if (h->outcome != SIGMA_NOT_RUN && h->outcome != SIGMA_FAILED)
			continue;
		char *m = xasprintf("%s %s:%d: %s%s%s", status_word(h->outcome), r->file,
				    r->why_line ? r->why_line : r->line, r->title ? r->title : "",
				    r->title ? ": " : "", h->outcome == SIGMA_FAILED ? h->why : r->why);
		char *s = sanitize(m, strlen(m));
		fprintf(f, "%s\n", s);
		free(s);
		free(m);
	}
}

static int mark_hits(struct store *st, const struct sigma_set *set, const struct sigma_run *run, const char *tag)
{
	size_t events = 0, changed = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct sigma_hit_list *h = &run->hits[i];
		const char *t = tag ? tag : sigma_rule_tag(&set->rules[i]);
		for (size_t k = 0; k < h->nevents; k++) {
			char *cause = NULL;
			int a = annot_mark(st, h->events[k], true, &cause);
			int b = a < 0 ? -1 : annot_tag_add(st, h->events[k], t, &cause);
			if (a < 0 || b < 0) {
				cli_error("%s: %s", store_path(st), cause);
				free(cause);
				return 1;
			}
			events++;
			changed += a > 0 || b > 0;
		}
	}
	fprintf(stderr, "%zu event%s bookmarked and tagged (%zu changed)\n", events, events == 1 ? "" : "s",
		changed);
	return 0;
}

static int progress(void *ctx, double done)
{
	(void)ctx;
	if (done >= 0 && done < 1)
		fprintf(stderr, "\rsigma: %3d%%", (int)(done * 100));
	return 0;
}

static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0];
	const char *tag = cli_opt(a, "--tag");
	int fmt;
	if (!cli_opt_format(a, &fmt))
		return 2;
	bool mark = cli_flag(a, "--mark") || tag, list = cli_flag(a, "--rules");
	if (tag && !*tag)
		return cli_usage("sigma: --tag takes a tag");
	char **paths = a->args + 1;
	size_t npaths = (size_t)a->nargs - 1;
	struct sigma_vars vars = { 0 };
	int rc = 0;
	char *cause = NULL;
	const char **vs = NULL;
	size_t nv = cli_opt_all(a, "--var", &vs);
	for (size_t i = 0; i < nv && !rc; i++)
		if (sigma_vars_add_arg(&vars, vs[i], &cause) < 0)
			rc = cli_usage("sigma: %s", cause);
	free(vs);
	nv = cli_opt_all(a, "--vars", &vs);
	for (size_t i = 0; i < nv && !rc; i++) {
		if (sigma_vars_load(&vars, vs[i], &cause) < 0) {
			cli_error("sigma: %s", cause);
			rc = 1;
		}
	}
	free(vs);
	if (rc)
		goto done;
	struct sigma_set *set = NULL;
	if (sigma_load(paths, npaths, &vars, &set, &cause) < 0) {
		cli_error("sigma: %s", cause);
		rc = 1;
		goto done;
	}
	struct store *st = cli_open_case(case_path, mark);
	if (!st) {
		sigma_set_free(set);
		rc = 1;
		goto done;
	}
	struct sigma_run *run = NULL;
	if (sigma_run_case(st, set, isatty(2) ? progress : NULL, NULL, &run, &cause) < 0) {
		if (isatty(2))
			fputs("\r\033[K", stderr);
		cli_error("sigma: %s", cause);
		store_close(st);
		sigma_set_free(set);
		rc = 1;
		goto done;
	}
	if (isatty(2))
		fputs("\r\033[K", stderr);
	bool table = fmt == OUT_TABLE;
	if (list) {
		static const struct out_col cols[] = { { "rule", false, false },   { "level", false, false },
						       { "status", false, false }, { "hits", true, false },
						       { "id", false, false },     { "file", false, false } };
		struct out *o = out_new(stdout, (enum out_format)fmt, cols, 6);
		for (size_t i = 0; i < set->n; i++) {
			const struct sigma_rule *r = &set->rules[i];
			char n[24];
			snprintf(n, sizeof n, "%zu", run->hits[i].nevents);
			const char *v[] = { r->title, r->level, status_word(run->hits[i].outcome),
					    n,        r->id,    r->file };
			out_row(o, v);
		}
		out_end(o);
		out_free(o);
	} else if (table) {
		static const struct out_col cols[] = { { "time (UTC)", false, false },
						       { "operation", false, false },
						       { "user", false, false },
						       { "ip", false, false },
						       { "record id", false, false } };
		for (size_t i = 0; i < set->n; i++) {
			const struct sigma_hit_list *h = &run->hits[i];
			if (!h->nevents)
				continue;
			const struct sigma_rule *r = &set->rules[i];
			char *head =
				xasprintf("== %s [%s] %s: %zu event%s", r->title, r->level ? r->level : "-",
					  r->id ? r->id : "", h->nevents, h->nevents == 1 ? "" : "s");
			char *s = sanitize(head, strlen(head));
			printf("%s\n", s);
			free(s);
			free(head);
			struct emit e = {
				.o = out_new(stdout, OUT_TABLE, cols, 5), .st = st, .rule = r, .table = true
			};
			if (query_each_id(st, h->events, h->nevents, emit_row, &e, &cause) < 0) {
				cli_error("sigma: %s", cause);
				rc = 1;
			}
			out_end(e.o);
			out_free(e.o);
			if (rc)
				break;
		}
	} else {
		static const struct out_col cols[] = {
			{ "rule_id", false, false },     { "rule", false, false },
			{ "level", false, false },       { "ts", false, false },
			{ "record_id", false, false },   { "op", false, false },
			{ "user", false, false },        { "app", false, false },
			{ "ip", false, false },          { "workload", false, false },
			{ "record_type", false, false }, { "source", false, false },
			{ "line", true, false },         { "matched", false, false },
		};
		struct out *o = out_new(stdout, (enum out_format)fmt, cols, sizeof cols / sizeof cols[0]);
		for (size_t i = 0; i < set->n && !rc; i++) {
			const struct sigma_hit_list *h = &run->hits[i];
			struct emit e = { .o = o, .st = st, .rule = &set->rules[i], .table = false };
			if (h->nevents && query_each_id(st, h->events, h->nevents, emit_row, &e, &cause) < 0) {
				cli_error("sigma: %s", cause);
				rc = 1;
			}
		}
		out_end(o);
		out_free(o);
	}
	print_summary(table && !list ? stdout : stderr, set, run);
	if (!rc && mark)
		rc = mark_hits(st, set, run, tag);
	sigma_run_free(run);
	store_close(st);
	sigma_set_free(set);
done:
	free(cause);
	sigma_vars_clear(&vars);
	return rc;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table)", "table csv jsonl" },
	{ "--rules", NULL, NULL, "list the rules (title, level, status, hits) instead of their events", NULL },
	{ "--var", NULL, "NAME=VALUE", "a value of an |expand placeholder (repeat for more)", NULL },
	{ "--vars", NULL, "FILE", "placeholder values from YAML (name: value or list)", NULL },
	{ "--mark", NULL, NULL, "bookmark the hits, tagged with the rule's id (or title)", NULL },
	{ "--tag", NULL, "T", "with --mark: tag them T instead", NULL },
	{ 0 },
};

const struct cli_cmd cli_cmd_sigma = {
	.name = "sigma",
	.usage = "CASE PATH...",
	.summary = "Sigma rules (.yml files or folders) run as hunts",
	.details = "Prints each matching rule's events, then the rules run, matched, skipped (the case has\n"
		   "none of their logs) and unsupported (construct, file:line).",
	.opts = opts,
	.min_args = 2,
	.max_args = -1,
	.run = run,
};
