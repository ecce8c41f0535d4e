/*
 * bench_sigma.c: every Sigma rule of ../shared/sigma (SigmaHQ's cloud
 * rules) over a case in one pass (tests/bench.sh runs it on the loaded
 * million-event case). Prints the rules compiled and unsupported, those
 * run and skipped, the records read and the (record, rule) pairs parsed
 * and tested, the hits, and the wall and CPU seconds of the pass. Beside
 * it, the baseline: one rule's filter counted through the filter
 * engine's SQL (a scan of every raw record for that rule alone), which
 * is what running the rules one by one would cost each.
 *
 *   bench_sigma CASE [RULES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "query.h"
#include "sigma.h"
#include "sigma_run.h"
#include "store.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_sigma CASE [RULES]\n");
		return 2;
	}
	const char *rules = argc > 2 ? argv[2] : "../shared/sigma";
	struct stat sb;
	if (stat(rules, &sb) < 0) {
		printf("sigma: skipped (%s is absent)\n", rules);
		return 0;
	}
	struct store *st;
	char *cause = NULL;
	if (store_open(argv[1], STORE_READONLY, &st, &cause) < 0) {
		fprintf(stderr, "bench_sigma: %s\n", cause);
		free(cause);
		return 1;
	}
	double t0 = now();
	struct sigma_set *set = NULL;
	char *paths[] = { (char *)rules };
	if (sigma_load(paths, 1, NULL, &set, &cause) < 0) {
		fprintf(stderr, "bench_sigma: %s\n", cause);
		free(cause);
		store_close(st);
		return 1;
	}
	double compile_s = now() - t0;
	t0 = now();
	double c0 = cpu();
	struct sigma_run *run = NULL;
	if (sigma_run_case(st, set, NULL, NULL, &run, &cause) < 0) {
		fprintf(stderr, "bench_sigma: %s\n", cause);
		free(cause);
		sigma_set_free(set);
		store_close(st);
		return 1;
	}
	double wall = now() - t0, cpus = cpu() - c0;
	size_t hits = 0;
	for (size_t i = 0; i < set->n; i++)
		hits += run->hits[i].nevents;
	printf("sigma rules over the case (%s)\n", rules);
	printf("  %zu rules: %zu compiled, %zu unsupported (%.1f%%), read and compiled in %.3f s\n", set->n,
	       set->n - run->unsupported, run->unsupported, 100.0 * (double)run->unsupported / (double)set->n,
	       compile_s);
	printf("  one pass: %zu rules run, %zu skipped (no such log), %zu failed; %llu records read, %llu (record, rule)"
	       " pairs tested, %zu hits in %zu rules\n",
	       run->ran, run->skipped, run->failed, (unsigned long long)run->scanned,
	       (unsigned long long)run->evaluated, hits, run->matched);
	printf("  all rules, one pass        %7.2f s wall  %7.2f s CPU\n", wall, cpus);

	/* baseline: the first rule that ran, alone, through the SQL filter */
	for (size_t i = 0; i < set->n; i++) {
		if (run->hits[i].outcome != SIGMA_RUN)
			continue;
		t0 = now();
		c0 = cpu();
		int64_t n = query_count_text(st, set->rules[i].filter, &cause);
		double w1 = now() - t0, c1 = cpu() - c0;
		if (n < 0) {
			fprintf(stderr, "bench_sigma: %s\n", cause);
			free(cause);
			break;
		}
		printf("  one rule alone, SQL filter %7.2f s wall  %7.2f s CPU  (%s: %lld hits, the pass found %zu)\n",
		       w1, c1, set->rules[i].title, (long long)n, run->hits[i].nevents);
		break;
	}
	sigma_run_free(run);
	sigma_set_free(set);
	store_close(st);
	return 0;
}
