/*
 * bench_ridmap.c: the record-id fingerprint table of a load
 * (core/sqlite/load_ridmap.c) alone, as a load of N new records uses it:
 * each id looked up, then put (its slot and filter block asked for 4
 * ids ahead, as the writer does). Prints its CPU seconds, user and system
 * apart, the read system calls it made (/proc/self/io: its runs' pages
 * read for look-ups the filter let through, and the runs read back to
 * merge them), its runs and filter at the end, and its peak RSS. The
 * read calls do not depend on a shared machine's noise: they are the
 * figure to compare between builds; the CPU seconds only in pairs.
 *
 *   bench_ridmap [N...]   (default 1000000 5000000 10000000)
 * BENCH_RIDMAP_MAX: entries in memory, BENCH_BLOOM_MAX: the filter's
 * bytes at most, BENCH_BLOOM_STEP: its growth (default: a load's,
 * RIDMAP_IDS_MEM, _BLOOM_MAX and 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "util.h"
#include "sqlite/load_impl.h"

static long long read_calls(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	long long n = -1;
	char line[128];
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "syscr: %lld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

static double secs(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static int one(size_t n)
{
	struct rusage r0, r1;
	long long c0 = read_calls();
	getrusage(RUSAGE_SELF, &r0);
	struct ridmap m;
	memset(&m, 0, sizeof m);
	m.max = RIDMAP_IDS_MEM; /* as a load's (sqlite_load_begin) */
	m.bloom_max = RIDMAP_IDS_BLOOM_MAX;
	m.bloom_step = 4; /* (load_ridx_seed) */
	m.young_max = RIDMAP_IDS_YOUNG_MAX;
	const char *e = getenv("BENCH_BLOOM_MAX");
	if (e && *e)
		m.bloom_max = (size_t)strtoull(e, NULL, 10);
	e = getenv("BENCH_BLOOM_STEP");
	if (e && *e)
		m.bloom_step = (unsigned)strtoul(e, NULL, 10);
	e = getenv("BENCH_YOUNG_MAX");
	if (e && *e)
		m.young_max = (size_t)strtoull(e, NULL, 10);
	e = getenv("BENCH_RIDMAP_MAX");
	if (e && *e)
		m.max = (size_t)strtoull(e, NULL, 10);
	size_t cands = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t fp = util_mix64(i * 2 + 1) | 1;
		/* the writer asks for the next ids' slots 4 ahead (load_write.c) */
		load_ridmap_prefetch(&m, load_ridmap_fp32(util_mix64((i + 4) * 2 + 1) | 1));
		if (!load_ridmap_find(&m, load_ridmap_fp32(fp)) || !load_ridmap_put(&m, fp, (int64_t)i + 1)) {
			fprintf(stderr, "bench_ridmap: the table failed at %zu\n", i);
			return -1;
		}
		cands += m.ncand;
	}
	getrusage(RUSAGE_SELF, &r1);
	long long c1 = read_calls();
	printf("ids=%zu user_s=%.2f sys_s=%.2f reads=%lld lookup_reads=%zu runs=%zu filter_kb=%zu filter_k=%d "
	       "young_kb=%zu candidates=%zu maxrss_mb=%.1f\n",
	       n, secs(r1.ru_utime) - secs(r0.ru_utime), secs(r1.ru_stime) - secs(r0.ru_stime), c1 - c0,
	       m.reads, m.nrun, m.bloom_words * 8 / 1024, m.bloom_k, m.young_words * 8 / 1024, cands,
	       (double)r1.ru_maxrss / 1024);
	fflush(stdout);
	load_ridmap_free(&m);
	return 0;
}

int main(int argc, char **argv)
{
	static const size_t def[] = { 1000000, 5000000, 10000000 };
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (one((size_t)strtoull(argv[i], NULL, 10)) < 0)
				return 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof def / sizeof *def; i++)
		if (one(def[i]) < 0)
			return 1;
	return 0;
}
