/*
 * bench_load.c: runs one command and reports what it cost: wall seconds
 * and the peak resident memory of the process tree it started (from
 * wait4's rusage). `make bench` (tests/bench.sh) uses it to time the load
 * and the sqlite3 baseline the same way in the same run.
 *
 *   bench_load LABEL -- COMMAND ARGS...
 * prints: LABEL wall_s=12.345 maxrss_mb=123.4 status=0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: bench_load LABEL -- COMMAND ARGS...\n");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%s wall_s=%.3f maxrss_mb=%.1f status=%d\n", argv[1], wall, (double)ru.ru_maxrss / 1024.0,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
