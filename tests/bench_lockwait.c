/*
 * bench_lockwait.c: how long an analyst waits behind a running load
 * (issue 10, finding 15). A load runs in a child process (the real
 * binary); meanwhile this process, on its own connection, toggles a
 * bookmark and writes the interface's saved state over and over (the
 * annotator), and a thread on another connection pages the timeline's
 * newest events and the marked events (the reader), timing each, and
 * prints the worst and typical waits. No time is asserted: it is a
 * figure to read (the promise is "about 100 ms").
 *
 *   bench_lockwait AUDITSCOPE CASE FILE      a load of FILE
 *   bench_lockwait AUDITSCOPE CASE FILE -    FILE through a slow stdin
 *                                            (the pipe stays open 3 s)
 * With LOCKWAIT_LATE=1 the annotator and the reader open the case only
 * once the load runs (an analyst who opens it during the load), else
 * before it starts (an interface already open).
 * prints: lockwait MODE marks=N worst_ms=X p99_ms=Y median_ms=Z failed=F
 *         lockwait-state writes=N ... (the interface's saved state)
 *         lockwait-read reads=N worst_ms=X p99_ms=Y median_ms=Z failed=F
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "annot.h"
#include "query.h"
#include "store.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The reader: its own connection, pages as the interface does. */
struct reader {
	const char *case_path;
	atomic_bool stop;
	double *w;
	size_t nw, cap;
	int failed;
	double start;
};

static int read_page(struct store *st, const char *filter, enum query_from from, char **cause)
{
	struct query *q;
	if (query_new(st, filter, &q, cause) < 0)
		return -1;
	struct query_page p = { 0 };
	int r = query_page(q, from, NULL, 50, &p, cause);
	query_page_free(&p);
	query_free(q);
	return r;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct store *st;
	char *cause = NULL;
	if (store_open(r->case_path, 0, &st, &cause) < 0) {
		fprintf(stderr, "bench_lockwait: reader: %s\n", cause);
		free(cause);
		r->failed++;
		return NULL;
	}
	for (unsigned i = 0; !atomic_load(&r->stop); i++) {
		double t0 = now_ms();
		/* the newest page of the timeline, then the marked events */
		const char *what = i % 2 ? "marked" : "";
		if (read_page(st, what, i % 2 ? QUERY_FIRST : QUERY_LAST, &cause) < 0) {
			r->failed++;
			fprintf(stderr, "bench_lockwait: read '%s' after %.0f ms: %s\n", what, now_ms() - t0,
				cause);
			free(cause);
			cause = NULL;
		}
		double d = now_ms() - t0;
		if (d > 100)
			fprintf(stderr, "bench_lockwait: read '%s' waited %.0f ms at %.2f s\n", what, d,
				(t0 - r->start) / 1e3);
		if (r->nw < r->cap)
			r->w[r->nw++] = d;
		usleep(10000);
	}
	store_close(st);
	return NULL;
}

static int run(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_lockwait AUDITSCOPE CASE FILE [-]\n");
		return 2;
	}
	const char *bin = argv[1], *case_path = argv[2], *file = argv[3];
	bool slow_stdin = argc > 4 && strcmp(argv[4], "-") == 0;
	signal(SIGPIPE, SIG_IGN);

	/* a case with one event to bookmark */
	char seed[4096];
	snprintf(seed, sizeof seed, "%s.seed.json", case_path);
	FILE *f = fopen(seed, "w");
	if (!f) {
		perror(seed);
		return 1;
	}
	fputs("{\"CreationTime\":\"2023-06-16T10:00:00\",\"Id\":\"lockwait-seed\",\"Operation\":\"A\","
	      "\"UserId\":\"alice@contoso.com\"}\n",
	      f);
	fclose(f);
	unlink(case_path);
	char w_load[] = "load", w_q[] = "-q", w_dash[] = "-";
	char *seed_argv[] = { (char *)bin, w_load, w_q, (char *)case_path, seed, NULL };
	if (run(seed_argv) != 0) {
		fprintf(stderr, "bench_lockwait: the seed load failed\n");
		return 1;
	}
	unlink(seed);
	struct store *st = NULL;
	char *cause = NULL;
	const char *late_env = getenv("LOCKWAIT_LATE");
	bool late = late_env && *late_env == '1';
	if (!late && store_open(case_path, 0, &st, &cause) < 0) {
		fprintf(stderr, "bench_lockwait: %s\n", cause);
		return 1;
	}

	int pfd[2] = { -1, -1 };
	if (slow_stdin && pipe(pfd) < 0) {
		perror("pipe");
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		if (slow_stdin) {
			dup2(pfd[0], 0);
			close(pfd[0]);
			close(pfd[1]);
		}
		char *av[] = {
			(char *)bin, w_load, w_q, (char *)case_path, slow_stdin ? w_dash : (char *)file, NULL
		};
		execv(bin, av);
		_exit(127);
	}
	if (slow_stdin) {
		/* the file at once, then an open pipe for 3 s: the load has
		 * its records and waits for more */
		close(pfd[0]);
		if (!st && store_open(case_path, 0, &st, &cause) < 0) {
			fprintf(stderr, "bench_lockwait: %s\n", cause);
			return 1;
		}
		FILE *in = fopen(file, "r"), *out = fdopen(pfd[1], "w");
		char buf[65536];
		size_t n;
		while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
			fwrite(buf, 1, n, out);
		if (in)
			fclose(in);
		if (out)
			fflush(out);
		double until = now_ms() + 3000;
		size_t cap = 4096, nw = 0;
		double *w = malloc(cap * sizeof *w);
		int failed = 0;
		for (bool on = true; now_ms() < until; on = !on) {
			double t0 = now_ms();
			if (annot_mark(st, 1, on, &cause) < 0) {
				failed++;
				free(cause);
				cause = NULL;
			}
			if (nw < cap)
				w[nw++] = now_ms() - t0;
			usleep(20000);
		}
		if (out)
			fclose(out);
		waitpid(pid, NULL, 0);
		qsort(w, nw, sizeof *w, cmp_double);
		printf("lockwait slow-stdin writes=%zu worst_ms=%.1f p99_ms=%.1f median_ms=%.1f failed=%d\n",
		       nw, nw ? w[nw - 1] : 0, nw ? w[nw * 99 / 100] : 0, nw ? w[nw / 2] : 0, failed);
		free(w);
		store_close(st);
		return 0;
	}

	double start = now_ms();
	if (late) {
		/* once the load holds the case, and its first steps are done */
		while (!store_path_load_running(case_path) && now_ms() - start < 10000)
			usleep(1000);
		usleep(300000);
		if (store_open(case_path, 0, &st, &cause) < 0) {
			fprintf(stderr, "bench_lockwait: %s\n", cause);
			return 1;
		}
	}
	struct reader rd = { .case_path = case_path, .cap = 1 << 16, .start = start };
	rd.w = malloc(rd.cap * sizeof *rd.w);
	pthread_t rt;
	bool reading = pthread_create(&rt, NULL, reader_main, &rd) == 0;
	/* the annotator's marks and the interface's saved state, apart */
	size_t cap = 1 << 16, nw = 0, nm = 0, ns = 0;
	double *wm = malloc(cap * sizeof *wm), *ws = malloc(cap * sizeof *ws);
	int failed_m = 0, failed_s = 0, status = 0;
	bool on = true;
	double worst = 0, worst_at = 0;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		double t0 = now_ms();
		bool mark = nw++ % 2;
		int r = mark ? annot_mark(st, 1, on = !on, &cause) : store_state_set(st, "bench", "x", &cause);
		if (r < 0) {
			*(mark ? &failed_m : &failed_s) += 1;
			fprintf(stderr, "bench_lockwait: %s after %.0f ms: %s\n", mark ? "mark" : "state",
				now_ms() - t0, cause);
			free(cause);
			cause = NULL;
		}
		double d = now_ms() - t0;
		if (d > 100) /* when, to tell the load's phases apart */
			fprintf(stderr, "bench_lockwait: %s waited %.0f ms at %.2f s\n",
				mark ? "mark" : "state", d, (t0 - start) / 1e3);
		if (mark && d > worst) {
			worst = d;
			worst_at = (t0 - start) / 1e3;
		}
		if (mark && nm < cap)
			wm[nm++] = d;
		else if (!mark && ns < cap)
			ws[ns++] = d;
		usleep(10000);
	}
	double total = (now_ms() - start) / 1e3;
	qsort(wm, nm, sizeof *wm, cmp_double);
	qsort(ws, ns, sizeof *ws, cmp_double);
	printf("lockwait load marks=%zu worst_ms=%.1f (at %.1f of %.1f s) p99_ms=%.1f median_ms=%.1f failed=%d "
	       "load_status=%d\n",
	       nm, nm ? wm[nm - 1] : 0, worst_at, total, nm ? wm[nm * 99 / 100] : 0, nm ? wm[nm / 2] : 0,
	       failed_m, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	printf("lockwait-state writes=%zu worst_ms=%.1f p99_ms=%.1f median_ms=%.1f failed=%d (given up: written "
	       "again later)\n",
	       ns, ns ? ws[ns - 1] : 0, ns ? ws[ns * 99 / 100] : 0, ns ? ws[ns / 2] : 0, failed_s);
	free(wm);
	free(ws);
	atomic_store(&rd.stop, true);
	if (reading)
		pthread_join(rt, NULL);
	qsort(rd.w, rd.nw, sizeof *rd.w, cmp_double);
	printf("lockwait-read reads=%zu worst_ms=%.1f p99_ms=%.1f median_ms=%.1f failed=%d\n", rd.nw,
	       rd.nw ? rd.w[rd.nw - 1] : 0, rd.nw ? rd.w[rd.nw * 99 / 100] : 0, rd.nw ? rd.w[rd.nw / 2] : 0,
	       rd.failed);
	free(rd.w);
	store_close(st);
	return 0;
}
