/*
 * bench_geoip.c: the cost of IP places (core/geoip.c, core/sqlite/ipgeo.c).
 * Prints: opening the databases; lookups of 1,000,000 addresses (a mix
 * of IPv4 and IPv6, public and private, drawn from a fixed seed), CPU
 * time and best-of-3 wall per address; then, on CASE (the benchmark's
 * million-event case), the enrichment of every distinct address from
 * scratch, best of 3, and (when tests/bench.sh passes the same run's load
 * of that case as BENCH_LOAD_WALL / BENCH_LOAD_CPU, seconds) its share
 * of the load. The databases are the installed ones (geoip/, or
 * AUDITSCOPE_GEOIP).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "geoip.h"
#include "ipgeo.h"
#include "sqlite/sqlite_store.h"
#include "store.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define N 1000000

int main(int argc, char **argv)
{
	char **dirs = geoip_default_dirs(NULL);
	double t0 = now(), c0 = cpu();
	struct geoip *g = geoip_open((const char *const *)dirs);
	double open_wall = now() - t0, open_cpu = cpu() - c0;
	geoip_dirs_free(dirs);
	printf("ip places: %s\n", geoip_describe(g));
	if (geoip_warning(g))
		printf("  warning: %s\n", geoip_warning(g));
	printf("  %-44s %9s %9s\n", "", "wall", "cpu");
	printf("  %-44s %8.1f ms %6.1f ms\n", "open the databases", open_wall * 1e3, open_cpu * 1e3);
	/* 1M addresses: 80% IPv4 (5% of them private), 20% IPv6 */
	unsigned char(*addr)[16] = malloc((size_t)N * 16);
	for (size_t i = 0; i < N; i++) {
		uint64_t r = next(), s = next();
		memset(addr[i], 0, 16);
		if (r % 5) {
			addr[i][10] = addr[i][11] = 0xff;
			uint32_t v = (uint32_t)(s >> 16);
			if (r % 20 == 1)
				v = 0x0a000000u | (v & 0xffffff); /* 10/8 */
			addr[i][12] = (unsigned char)(v >> 24);
			addr[i][13] = (unsigned char)(v >> 16);
			addr[i][14] = (unsigned char)(v >> 8);
			addr[i][15] = (unsigned char)v;
		} else {
			addr[i][0] = 0x20;
			addr[i][1] = (unsigned char)(r >> 8 & 0x0f) | 0x00;
			for (int k = 2; k < 16; k++)
				addr[i][k] = (unsigned char)(s >> (k * 4));
		}
	}
	double best = 1e9, cpu_total = 0;
	size_t located = 0, networks = 0;
	for (int rep = 0; rep < 3; rep++) {
		located = networks = 0;
		t0 = now();
		c0 = cpu();
		for (size_t i = 0; i < N; i++) {
			struct geoip_place p;
			geoip_lookup_bin(g, addr[i], &p);
			located += p.country[0] != 0;
			networks += p.asn != 0;
		}
		double w = now() - t0;
		cpu_total += cpu() - c0;
		if (w < best)
			best = w;
	}
	printf("  %-44s %8.0f ns %6.0f ns   (%zu with a country, %zu with a network)\n",
	       "lookup, per address (1M, best of 3 / mean)", best * 1e9 / N, cpu_total / 3 * 1e9 / N, located,
	       networks);
	free(addr);
	if (argc > 1) {
		struct store *st;
		char *cause = NULL;
		if (store_open(argv[1], 0, &st, &cause) < 0) {
			fprintf(stderr, "bench_geoip: %s\n", cause);
			free(cause);
			geoip_free(g);
			return 1;
		}
		sqlite3_stmt *q;
		long long nev = 0;
		if (sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM events", -1, &q, NULL) == SQLITE_OK &&
		    sqlite3_step(q) == SQLITE_ROW)
			nev = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		best = 1e9;
		double best_cpu = 0;
		struct ipgeo_stats s = { 0 };
		for (int rep = 0; rep < 3; rep++) {
			sqlite3_exec(store_db(st), "DELETE FROM ipgeo", NULL, NULL, NULL);
			t0 = now();
			c0 = cpu();
			if (ipgeo_enrich(st, g, &s, &cause) < 0) {
				fprintf(stderr, "bench_geoip: %s\n", cause);
				free(cause);
				break;
			}
			double w = now() - t0;
			if (w < best) {
				best = w;
				best_cpu = cpu() - c0;
			}
		}
		char label[80];
		snprintf(label, sizeof label, "enrich %lld events (%lld addresses)", nev,
			 (long long)s.looked_up);
		printf("  %-44s %8.2f ms %6.2f ms\n", label, best * 1e3, best_cpu * 1e3);
		const char *lw = getenv("BENCH_LOAD_WALL"), *lc = getenv("BENCH_LOAD_CPU");
		if (lw && lc && atof(lw) > 0 && atof(lc) > 0)
			printf("  %-44s %8.5f    %6.5f     (load of the case in this run: %s s wall, %s s CPU)\n",
			       "enrichment / load (wall, CPU)", best / atof(lw), best_cpu / atof(lc), lw, lc);
		store_close(st);
	}
	struct stat sb;
	long long bytes = 0;
	const char *files[] = { "geoip/geo-whois-asn-country.mmdb", "geoip/asn-ipv4-num.csv",
				"geoip/asn-ipv6.csv" };
	for (size_t i = 0; i < 3; i++)
		if (stat(files[i], &sb) == 0)
			bytes += sb.st_size;
	printf("  %-44s %8.1f MB\n", "databases installed (geoip/)", (double)bytes / 1e6);
	geoip_free(g);
	return 0;
}
