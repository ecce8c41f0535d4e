/*
 * bench_geoip.c: the cost of IP places (core/geoip.c, core/sqlite/ipgeo.c).
 * Prints: opening the databases; lookups of 1,000,000 addresses (a mix
 * of IPv4 and IPv6, public and private, drawn from a fixed seed), CPU
 * time and best-of-3 wall per address; then, on CASE (the benchmark's
 * million-event case), the enrichment of every distinct address from
 * scratch, best of 3, and (when tests/bench.sh passes the same run's load
 * of that case as BENCH_LOAD_WALL / BENCH_LOAD_CPU, seconds) its share
 * of the load; then a case of BENCH_GEOIP_EVENTS (1,000,000) sign-ins
 * whose addresses are all distinct, its load and its enrichment timed in
 * the same run. The databases are the installed ones (geoip/, or
 * AUDITSCOPE_GEOIP).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "geoip.h"
#include "ingest.h"
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

/*
 * A case whose addresses are all distinct (a real tenant's logs carry
 * many: mobile carriers, IPv6 privacy addresses), unlike the generated
 * case's few: BENCH_GEOIP_EVENTS (1,000,000; 0 skips) sign-ins, half
 * from IPv4 and half from IPv6 addresses drawn as above, loaded into a
 * new case and then placed, both timed in this run, so that the
 * enrichment's share of the load is measured, not estimated.
 */
static void distinct_case(struct geoip *g)
{
	const char *e = getenv("BENCH_GEOIP_EVENTS");
	long n = e ? atol(e) : 1000000;
	if (n <= 0)
		return;
	char dir[] = "/tmp/bench_geoip.XXXXXX";
	if (!mkdtemp(dir))
		return;
	char json[64], cpath[64];
	snprintf(json, sizeof json, "%s/signins.jsonl", dir);
	snprintf(cpath, sizeof cpath, "%s/distinct.case", dir);
	FILE *f = fopen(json, "w");
	if (!f)
		return;
	for (long i = 0; i < n; i++) {
		uint64_t r = next(), q = next();
		char ip[64];
		if (i % 2 == 0)
			snprintf(ip, sizeof ip, "%u.%u.%u.%u", (unsigned)(1 + r % 223),
				 (unsigned)(r >> 8 & 255), (unsigned)(r >> 16 & 255),
				 (unsigned)(1 + (r >> 24) % 254));
		else /* in the allocated 2001::/16-2a0f::/16 space, /32s apart */
			snprintf(ip, sizeof ip, "%x:%x:%x:%x::%x",
				 (unsigned)(0x2001 + (r % 3 == 0 ? 0 : 0x0a00 + (r >> 4) % 16)),
				 (unsigned)(r >> 20 & 0xffff), (unsigned)(q & 0xffff),
				 (unsigned)(q >> 16 & 0xffff), (unsigned)(1 + (q >> 32) % 65535));
		fprintf(f,
			"{\"id\":\"%08lx-0000-4000-8000-%012lx\",\"createdDateTime\":\"2025-11-%02ldT%02ld:%02ld:%02ldZ\","
			"\"userPrincipalName\":\"u%ld@fabrikam.com\",\"appId\":\"00000003-0000-0000-c000-000000000000\","
			"\"ipAddress\":\"%s\",\"status\":{\"errorCode\":0},\"sessionId\":\"s%ld\"}\n",
			i, i, 1 + i / 86400 % 28, i / 3600 % 24, i / 60 % 60, i % 60, i % 5000, ip, i);
	}
	fclose(f);
	struct store *st = NULL;
	char *cause = NULL;
	const char *paths[] = { json };
	struct ingest_opts o;
	memset(&o, 0, sizeof o);
	struct ingest_totals tot;
	double t0 = now(), c0 = cpu();
	int rc = store_open(cpath, STORE_CREATE, &st, &cause);
	if (rc == 0)
		rc = ingest_paths(st, paths, 1, &o, &tot, &cause);
	double lw = now() - t0, lc = cpu() - c0;
	struct ipgeo_stats s = { 0 };
	t0 = now();
	c0 = cpu();
	if (rc == 0)
		rc = ipgeo_enrich(st, g, &s, &cause);
	double ew = now() - t0, ec = cpu() - c0;
	if (rc < 0) {
		fprintf(stderr, "bench_geoip: %s\n", cause);
		free(cause);
	} else {
		char label[80];
		snprintf(label, sizeof label, "load %ld sign-ins, every IP distinct", n);
		printf("  %-44s %8.2f s  %6.2f s\n", label, lw, lc);
		snprintf(label, sizeof label, "enrich them (%lld addresses)", (long long)s.looked_up);
		printf("  %-44s %8.2f s  %6.2f s   (%lld with a country, %lld with a network)\n", label, ew,
		       ec, (long long)s.located, (long long)s.networks);
		printf("  %-44s %8.3f    %6.3f\n", "enrichment / load, same run (wall, CPU)", ew / lw, ec / lc);
	}
	store_close(st);
	char rm[200];
	snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
	if (system(rm) != 0)
		fprintf(stderr, "bench_geoip: could not remove %s\n", dir);
}

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
	distinct_case(g);
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
