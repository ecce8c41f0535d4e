/*
 * bench_load.c: runs one command N times and reports what it cost: the
 * best and the median wall seconds, the CPU seconds (user + system, of
 * the process tree, from wait4's rusage) of the best run and the least
 * of all runs, and the peak resident memory of the largest run. `make
 * bench` (tests/bench.sh) times the load and the sqlite3 baselines the
 * same way in the same run. A shared machine makes single runs noisy:
 * the best wall and the CPU seconds are the figures to compare. The
 * best run's CPU is also given as user and system seconds apart: the
 * kernel's share grows with what the load does to the page cache
 * (tests/bench_big.sh).
 *
 *   bench_load [-n RUNS] [-b 'SHELL COMMAND'] LABEL -- COMMAND ARGS...
 * -b runs before each run, untimed (say, removing the case file).
 * prints: LABEL runs=3 wall_s=12.345 wall_med_s=12.9 cpu_s=20.1
 *         cpu_min_s=19.8 maxrss_mb=123.4 status=0 user_s=18.2 sys_s=1.9
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run {
	double wall, cpu, user, sys, rss_mb;
	int status;
};

static int one(char **argv, struct run *r)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	r->user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	r->sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	r->cpu = r->user + r->sys;
	r->rss_mb = (double)ru.ru_maxrss / 1024.0;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

static int by_wall(const void *a, const void *b)
{
	double x = ((const struct run *)a)->wall, y = ((const struct run *)b)->wall;
	return x < y ? -1 : x > y;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_load [-n RUNS] [-b 'SHELL COMMAND'] LABEL -- COMMAND ARGS...\n");
	return 2;
}

int main(int argc, char **argv)
{
	int n = 1, i = 1;
	const char *before = NULL;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "-n"))
			n = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-b"))
			before = argv[i + 1];
		else
			return usage();
	}
	if (n < 1 || n > 100 || i + 2 >= argc || strcmp(argv[i + 1], "--") != 0)
		return usage();
	const char *label = argv[i];
	char **cmd = argv + i + 2;
	struct run runs[100];
	double cpu_min = 0, rss = 0;
	int status = 0;
	for (int k = 0; k < n; k++) {
		if (before && system(before) != 0) {
			fprintf(stderr, "bench_load: '%s' failed\n", before);
			return 1;
		}
		if (one(cmd, &runs[k]) < 0)
			return 1;
		if (k == 0 || runs[k].cpu < cpu_min)
			cpu_min = runs[k].cpu;
		if (runs[k].rss_mb > rss)
			rss = runs[k].rss_mb;
		if (runs[k].status)
			status = runs[k].status;
	}
	qsort(runs, (size_t)n, sizeof runs[0], by_wall);
	printf("%s runs=%d wall_s=%.3f wall_med_s=%.3f cpu_s=%.3f cpu_min_s=%.3f maxrss_mb=%.1f status=%d user_s=%.3f "
	       "sys_s=%.3f\n",
	       label, n, runs[0].wall, runs[n / 2].wall, runs[0].cpu, cpu_min, rss, status, runs[0].user,
	       runs[0].sys);
	return 0;
}
