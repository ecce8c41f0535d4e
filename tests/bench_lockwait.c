/*
 * bench_lockwait.c: how long an analyst waits behind a running load
 * (issue 10, finding 15), and where that time goes. A load runs in a
 * child process (the real binary); meanwhile this process, on its own
 * connection, toggles a bookmark and writes the interface's saved state
 * over and over (the annotator), and a thread on another connection
 * pages the timeline's newest events and the marked events (the reader).
 * The same operations run first for a few seconds with no load at all
 * (the baseline), in the same run.
 *
 * Each operation's wall time is split into
 *   runq   time runnable without a core (the thread's run-queue wait,
 *          /proc/thread-self/schedstat): the machine's, not ours
 *   cpu    the thread's CPU time (CLOCK_THREAD_CPUTIME_ID)
 *   lock   time asleep in a busy handler, waiting for a lock on the case
 *          or on its pending file (core/sqlite: sqlite_waits)
 *   io     the rest: blocked otherwise (a sync, a page read, a mutex)
 * and "own" = wall - runq is what the ~100 ms promise is about. The
 * time spent writing to the pending file (opening it, its insert and
 * commit) is shown apart ("pend", part of the above). No time is
 * asserted: it is a figure to read.
 *
 *   bench_lockwait AUDITSCOPE CASE FILE      a load of FILE
 *   bench_lockwait AUDITSCOPE CASE FILE -    FILE through a slow stdin
 *                                            (the pipe stays open 3 s)
 * With LOCKWAIT_LATE=1 the annotator and the reader open the case only
 * once the load runs (an analyst who opens it during the load), else
 * before it starts (an interface already open). LOCKWAIT_BASE_S: seconds
 * of baseline (default 3). tests/bench_lockwait.sh generates an input,
 * runs this and removes both.
 * prints, per operation (mark, state, read) and phase (base, load):
 *   lockwait PHASE OP n=N worst_ms=X p99_ms=Y median_ms=Z over100=K
 *            own_worst_ms=A own_over100=B failed=F
 * then the ratio of load to baseline, the worst operation's split and
 * the split summed over the operations over 100 ms.
 */
#define _GNU_SOURCE /* pread */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "annot.h"
#include "query.h"
#include "store.h"
#include "sqlite/sqlite_store.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- one operation's split ---- */

struct probe {
	double wall, cpu, runq;
	struct sqlite_waits w;
	long majflt, nvcsw, inblock;
};

static _Thread_local int schedstat_fd = -2;

/* The thread's run-queue wait so far, ms (0 where the kernel has none). */
static double runq_ms(void)
{
	if (schedstat_fd == -2)
		schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	char buf[128];
	ssize_t n = schedstat_fd >= 0 ? pread(schedstat_fd, buf, sizeof buf - 1, 0) : -1;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	unsigned long long run, wait;
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return 0;
	return (double)wait / 1e6;
}

static void probe(struct probe *p)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	p->cpu = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	p->runq = runq_ms();
	sqlite_waits_get(&p->w);
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	p->majflt = ru.ru_majflt;
	p->nvcsw = ru.ru_nvcsw;
	p->inblock = ru.ru_inblock;
	p->wall = now_ms();
}

struct sample {
	double at; /* s since the start */
	double wall, runq, cpu, lock, io, pend;
	long majflt, blocks, sleeps; /* major faults, blocks read, voluntary switches */
	bool pending, failed;
};

static struct sample measured(const struct probe *a, double start)
{
	struct probe b;
	probe(&b);
	struct sample s = { .at = (a->wall - start) / 1e3 };
	s.wall = b.wall - a->wall;
	s.runq = b.runq - a->runq;
	s.cpu = b.cpu - a->cpu;
	s.lock = (double)(b.w.busy_ns - a->w.busy_ns) / 1e6;
	s.pend = (double)(b.w.pend_ns - a->w.pend_ns) / 1e6;
	s.pending = b.w.pend_adds > a->w.pend_adds;
	s.majflt = b.majflt - a->majflt;
	s.blocks = b.inblock - a->inblock;
	s.sleeps = b.nvcsw - a->nvcsw;
	s.io = s.wall - s.runq - s.cpu - s.lock;
	if (s.io < 0)
		s.io = 0;
	return s;
}

/* ---- where a slow operation's thread is, sampled ---- */

/*
 * A sampler thread reads, every 2 ms, the kernel's state and wait
 * channel of the annotator's and the reader's threads while they are in
 * an operation during the load (/proc/self/task/TID/stat and wchan):
 * "R" is running or waiting for a core, otherwise the kernel function it
 * sleeps in (a lock's futex, a journal commit, a sync...). Printed per
 * operation as the share of samples.
 */
#include <sys/syscall.h>

enum { NWHERE = 24 };
struct where {
	char name[48];
	unsigned long n;
};
/* A slow operation's blocked samples, told apart by the system call (and
 * the file it works on) and the kernel stack (/proc/self/task/TID/stack,
 * root only; the wait channel alone otherwise): printed after it. */
enum { NTRACE = 12 };
struct trace {
	char text[400];
	unsigned n;
};
struct watched {
	pid_t tid;
	atomic_int op; /* -1 none, else MARK, STATE, READ */
	pthread_mutex_t mu;
	struct trace tr[NTRACE];
	unsigned ntr, nblocked;
};
static struct watched watch[2];
static struct where wheres[3][NWHERE];
static unsigned long wsamples[3];
static atomic_bool sampling;

static void where_add(int op, const char *name)
{
	wsamples[op]++;
	for (int i = 0; i < NWHERE; i++) {
		if (!wheres[op][i].name[0])
			snprintf(wheres[op][i].name, sizeof wheres[op][i].name, "%s", name);
		if (strcmp(wheres[op][i].name, name) == 0) {
			wheres[op][i].n++;
			return;
		}
	}
}

/* Every blocked sample during the load, per operation, by the same
 * text: printed at the end (the most frequent first). */
enum { NTOTAL = 64 };
static struct trace totals[3][NTOTAL];
static unsigned ntotals[3];
static pthread_mutex_t totals_mu = PTHREAD_MUTEX_INITIALIZER;

static void trace_total(int op, const char *text)
{
	if (op < 0 || op > 2)
		return;
	pthread_mutex_lock(&totals_mu);
	unsigned i = 0;
	while (i < ntotals[op] && strcmp(totals[op][i].text, text) != 0)
		i++;
	if (i == ntotals[op] && ntotals[op] < NTOTAL) {
		snprintf(totals[op][i].text, sizeof totals[op][i].text, "%s", text);
		totals[op][ntotals[op]++].n = 0;
	}
	if (i < ntotals[op])
		totals[op][i].n++;
	pthread_mutex_unlock(&totals_mu);
}

static int cmp_trace(const void *a, const void *b)
{
	const struct trace *x = a, *y = b;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

static void report_traces(void)
{
	static const char *const names[] = { "mark", "state", "read" };
	for (int op = 0; op < 3; op++) {
		qsort(totals[op], ntotals[op], sizeof totals[op][0], cmp_trace);
		for (unsigned i = 0; i < ntotals[op] && i < 8; i++)
			printf("lockwait blocked %s %u x %s\n", names[op], totals[op][i].n, totals[op][i].text);
	}
}

/* "nr N FILE" of the system call the thread is blocked in: its first
 * argument taken as a descriptor, named by /proc/self/fd. */
static void syscall_of(pid_t tid, char *out, size_t size)
{
	char path[64], buf[256];
	snprintf(out, size, "?");
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	long nr = -1;
	unsigned long long a0 = 0;
	if (sscanf(buf, "%ld %llx", &nr, &a0) < 1) {
		snprintf(out, size, "%.20s", buf);
		return;
	}
	char fd_path[64], target[256] = "";
	snprintf(fd_path, sizeof fd_path, "/proc/self/fd/%llu", a0);
	ssize_t t = a0 < 65536 ? readlink(fd_path, target, sizeof target - 1) : -1;
	target[t > 0 ? t : 0] = '\0';
	const char *base = strrchr(target, '/');
	snprintf(out, size, "nr %ld %s", nr, base ? base + 1 : "-");
}

static void trace_add(struct watched *w, char state, const char *wchan)
{
	char sc[96], stack[320] = "", path[64], line[160];
	syscall_of(w->tid, sc, sizeof sc);
	snprintf(path, sizeof path, "/proc/self/task/%d/stack", (int)w->tid);
	FILE *f = fopen(path, "r");
	size_t used = 0;
	for (int depth = 0; f && depth < 9 && fgets(line, sizeof line, f); depth++) {
		/* "[<0>] folio_wait_bit_common+0x13c/0x350" -> the name */
		char *fn = strchr(line, ']');
		fn = fn ? fn + 2 : line;
		fn[strcspn(fn, "+\n")] = '\0';
		int k = snprintf(stack + used, sizeof stack - used, "%s%s", depth ? "<" : "", fn);
		if (k < 0 || (size_t)k >= sizeof stack - used)
			break;
		used += (size_t)k;
	}
	if (f)
		fclose(f);
	char text[400];
	snprintf(text, sizeof text, "%c %.80s: %.300s", state, sc, stack[0] ? stack : wchan);
	pthread_mutex_lock(&w->mu);
	trace_total(atomic_load(&w->op), text);
	w->nblocked++;
	unsigned i = 0;
	while (i < w->ntr && strcmp(w->tr[i].text, text) != 0)
		i++;
	if (i == w->ntr && w->ntr < NTRACE) {
		snprintf(w->tr[w->ntr].text, sizeof w->tr[0].text, "%s", text);
		w->tr[w->ntr++].n = 0;
	}
	if (i < w->ntr)
		w->tr[i].n++;
	pthread_mutex_unlock(&w->mu);
}

static void trace_reset(struct watched *w)
{
	pthread_mutex_lock(&w->mu);
	w->ntr = w->nblocked = 0;
	pthread_mutex_unlock(&w->mu);
}

/* The blocked samples of the operation that just ended, if it was slow. */
static void trace_say(struct watched *w, double wall)
{
	if (wall <= 100)
		return;
	pthread_mutex_lock(&w->mu);
	fprintf(stderr, "bench_lockwait:   %u blocked samples of 2 ms\n", w->nblocked);
	for (unsigned i = 0; i < w->ntr; i++)
		fprintf(stderr, "bench_lockwait:   %3u x %s\n", w->tr[i].n, w->tr[i].text);
	pthread_mutex_unlock(&w->mu);
}

static void sample_one(struct watched *w)
{
	int op = atomic_load(&w->op);
	if (op < 0 || !w->tid)
		return;
	char path[64], buf[512], wchan[64] = "";
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)w->tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')');
	char state = rp && rp[1] == ' ' ? rp[2] : '?';
	if (state == 'R') {
		where_add(op, "R (running or runnable)");
		return;
	}
	snprintf(path, sizeof path, "/proc/self/task/%d/wchan", (int)w->tid);
	f = fopen(path, "r");
	if (f) {
		n = fread(wchan, 1, sizeof wchan - 1, f);
		wchan[n] = '\0';
		fclose(f);
	}
	char name[48];
	snprintf(name, sizeof name, "%c %.40s", state, wchan[0] && strcmp(wchan, "0") ? wchan : "?");
	where_add(op, name);
	trace_add(w, state, wchan);
}

static void *sampler_main(void *arg)
{
	(void)arg;
	while (atomic_load(&sampling)) {
		sample_one(&watch[0]);
		sample_one(&watch[1]);
		usleep(2000);
	}
	return NULL;
}

static int cmp_where(const void *a, const void *b)
{
	const struct where *x = a, *y = b;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

static void report_where(void)
{
	static const char *const names[] = { "mark", "state", "read" };
	for (int op = 0; op < 3; op++) {
		if (!wsamples[op])
			continue;
		qsort(wheres[op], NWHERE, sizeof wheres[op][0], cmp_where);
		printf("lockwait where %s (%lu samples of 2 ms during the load):", names[op], wsamples[op]);
		for (int i = 0; i < 6 && wheres[op][i].n; i++)
			printf("%s %s %.0f%%", i ? "," : "", wheres[op][i].name,
			       100.0 * (double)wheres[op][i].n / (double)wsamples[op]);
		putchar('\n');
	}
}

/* ---- series ---- */

enum { BASE, LOAD, NPHASE };
enum { MARK, STATE, READ, NOP };
static const char *const phase_name[] = { "base", "load" };
static const char *const op_name[] = { "mark", "state", "read" };

struct series {
	struct sample *s;
	size_t n, cap;
};

static void add(struct series *se, struct sample s)
{
	if (se->n == se->cap) {
		se->cap = se->cap ? se->cap * 2 : 1024;
		se->s = realloc(se->s, se->cap * sizeof *se->s);
		if (!se->s)
			abort();
	}
	se->s[se->n++] = s;
}

static void say_slow(const char *op, const struct sample *s)
{
	if (s->wall > 100)
		fprintf(stderr,
			"bench_lockwait: %s %.0f ms at %.2f s: runq %.0f cpu %.0f lock %.0f io %.0f (pend %.0f%s; "
			"%ld sleeps, %ld major faults, %ld blocks read)\n",
			op, s->wall, s->at, s->runq, s->cpu, s->lock, s->io, s->pend,
			s->pending ? ", went pending" : "", s->sleeps, s->majflt, s->blocks);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct figures {
	size_t n;
	double worst, p99, median, own_worst;
	size_t over, own_over, pending, failed;
};

static struct figures figures_of(const struct series *se)
{
	struct figures f = { .n = se->n };
	if (!se->n)
		return f;
	double *w = malloc(se->n * sizeof *w);
	if (!w)
		abort();
	for (size_t i = 0; i < se->n; i++) {
		const struct sample *s = &se->s[i];
		w[i] = s->wall;
		double own = s->wall - s->runq;
		if (own > f.own_worst)
			f.own_worst = own;
		f.over += s->wall > 100;
		f.own_over += own > 100;
		f.pending += s->pending;
		f.failed += s->failed;
	}
	qsort(w, se->n, sizeof *w, cmp_double);
	f.worst = w[se->n - 1];
	f.p99 = w[se->n * 99 / 100];
	f.median = w[se->n / 2];
	free(w);
	return f;
}

static void report(struct series ser[NPHASE][NOP])
{
	struct figures f[NPHASE][NOP];
	for (int p = 0; p < NPHASE; p++)
		for (int o = 0; o < NOP; o++) {
			f[p][o] = figures_of(&ser[p][o]);
			const struct figures *x = &f[p][o];
			printf("lockwait %s %s n=%zu worst_ms=%.1f p99_ms=%.1f median_ms=%.2f over100=%zu "
			       "own_worst_ms=%.1f own_over100=%zu pending=%zu failed=%zu\n",
			       phase_name[p], op_name[o], x->n, x->worst, x->p99, x->median, x->over,
			       x->own_worst, x->own_over, x->pending, x->failed);
		}
	for (int o = 0; o < NOP; o++) {
		const struct figures *b = &f[BASE][o], *l = &f[LOAD][o];
		if (!b->n || !l->n)
			continue;
		printf("lockwait ratio %s load/base median=%.1f p99=%.1f worst=%.1f\n", op_name[o],
		       l->median / (b->median > 0 ? b->median : 1e-3), l->p99 / (b->p99 > 0 ? b->p99 : 1e-3),
		       l->worst / (b->worst > 0 ? b->worst : 1e-3));
	}
	for (int o = 0; o < NOP; o++) {
		const struct series *se = &ser[LOAD][o];
		if (!se->n)
			continue;
		const struct sample *worst = &se->s[0];
		struct sample sum = { 0 };
		size_t nslow = 0;
		for (size_t i = 0; i < se->n; i++) {
			const struct sample *s = &se->s[i];
			if (s->wall > worst->wall)
				worst = s;
			if (s->wall > 100) {
				nslow++;
				sum.wall += s->wall;
				sum.runq += s->runq;
				sum.cpu += s->cpu;
				sum.lock += s->lock;
				sum.io += s->io;
				sum.pend += s->pend;
			}
		}
		printf("lockwait split %s worst: wall %.1f = runq %.1f + cpu %.1f + lock %.1f + io %.1f ms "
		       "(pend %.1f, at %.1f s)\n",
		       op_name[o], worst->wall, worst->runq, worst->cpu, worst->lock, worst->io, worst->pend,
		       worst->at);
		if (nslow)
			printf("lockwait split %s over100 (%zu): wall %.0f = runq %.0f (%.0f%%) + cpu %.0f + lock "
			       "%.0f + io %.0f ms (pend %.0f)\n",
			       op_name[o], nslow, sum.wall, sum.runq, 100 * sum.runq / sum.wall, sum.cpu,
			       sum.lock, sum.io, sum.pend);
	}
}

/* ---- the reader ---- */

struct reader {
	const char *case_path;
	atomic_int phase; /* BASE, LOAD, or NPHASE: stop */
	atomic_bool pause;
	struct series s[NPHASE];
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
	struct store *st = NULL;
	char *cause = NULL;
	watch[1].tid = (pid_t)syscall(SYS_gettid);
	for (unsigned i = 0;; i++) {
		int phase = atomic_load(&r->phase);
		if (phase == NPHASE)
			break;
		if (atomic_load(&r->pause)) { /* between the phases: closed */
			store_close(st);
			st = NULL;
			usleep(2000);
			continue;
		}
		if (!st && store_open(r->case_path, 0, &st, &cause) < 0) {
			fprintf(stderr, "bench_lockwait: reader: %s\n", cause);
			free(cause);
			cause = NULL;
			st = NULL;
			usleep(10000);
			continue;
		}
		struct probe p0;
		probe(&p0);
		/* the newest page of the timeline, then the marked events */
		const char *what = i % 2 ? "marked" : "";
		if (phase == LOAD) {
			trace_reset(&watch[1]);
			atomic_store(&watch[1].op, READ);
		}
		int rc = read_page(st, what, i % 2 ? QUERY_FIRST : QUERY_LAST, &cause);
		atomic_store(&watch[1].op, -1);
		struct sample s = measured(&p0, r->start);
		if (rc < 0) {
			s.failed = true;
			fprintf(stderr, "bench_lockwait: read '%s': %s\n", what, cause);
			free(cause);
			cause = NULL;
		}
		if (phase == LOAD) {
			say_slow(i % 2 ? "read marked" : "read newest", &s);
			trace_say(&watch[1], s.wall);
		}
		add(&r->s[phase], s);
		usleep(10000);
	}
	store_close(st);
	return NULL;
}

/* ---- the annotator ---- */

/* One mark or saved-state write, measured into ser. */
static void annotate(struct store *st, unsigned i, bool *on, struct series ser[NOP], bool say, double start)
{
	char *cause = NULL;
	bool mark = i % 2;
	struct probe p0;
	probe(&p0);
	if (say) {
		trace_reset(&watch[0]);
		atomic_store(&watch[0].op, mark ? MARK : STATE);
	}
	int r = mark ? annot_mark(st, 1, *on = !*on, &cause) : store_state_set(st, "bench", "x", &cause);
	atomic_store(&watch[0].op, -1);
	struct sample s = measured(&p0, start);
	if (r < 0) {
		s.failed = true;
		fprintf(stderr, "bench_lockwait: %s after %.0f ms: %s\n", mark ? "mark" : "state", s.wall,
			cause);
		free(cause);
	}
	if (say) {
		say_slow(mark ? "mark" : "state", &s);
		trace_say(&watch[0], s.wall);
	}
	add(&ser[mark ? MARK : STATE], s);
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
	const char *late_env = getenv("LOCKWAIT_LATE"), *base_env = getenv("LOCKWAIT_BASE_S");
	bool late = late_env && *late_env == '1';
	double base_s = base_env ? atof(base_env) : 3;

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
	char la[64] = "?";
	FILE *lf = fopen("/proc/loadavg", "r");
	if (lf) {
		if (!fgets(la, sizeof la, lf))
			strcpy(la, "?");
		la[strcspn(la, " ")] = '\0';
		fclose(lf);
	}
	printf("lockwait: %s%s, baseline %.0f s, load average %s at start\n",
	       slow_stdin ? "slow stdin" : "load", late ? ", opened during the load" : "", base_s, la);

	static struct series ser[NPHASE][NOP];
	struct store *st = NULL;
	char *cause = NULL;
	double start = now_ms();
	watch[0].tid = (pid_t)syscall(SYS_gettid);
	atomic_init(&watch[0].op, -1);
	atomic_init(&watch[1].op, -1);
	pthread_mutex_init(&watch[0].mu, NULL);
	pthread_mutex_init(&watch[1].mu, NULL);
	atomic_init(&sampling, true);
	pthread_t samp;
	bool sampler = pthread_create(&samp, NULL, sampler_main, NULL) == 0;
	struct reader rd = { .case_path = case_path, .start = start };
	atomic_init(&rd.phase, BASE);
	atomic_init(&rd.pause, false);
	pthread_t rt;
	bool reading = pthread_create(&rt, NULL, reader_main, &rd) == 0;

	/* the baseline: the same operations on the same case, no load */
	if (store_open(case_path, 0, &st, &cause) < 0) {
		fprintf(stderr, "bench_lockwait: %s\n", cause);
		return 1;
	}
	bool on = true;
	unsigned i = 0;
	while (now_ms() - start < base_s * 1e3) {
		annotate(st, i++, &on, ser[BASE], false, start);
		usleep(10000);
	}
	if (late) {
		store_close(st);
		st = NULL;
		atomic_store(&rd.pause, true);
	}
	atomic_store(&rd.phase, LOAD);

	int pfd[2] = { -1, -1 };
	if (slow_stdin && pipe(pfd) < 0) {
		perror("pipe");
		return 1;
	}
	double load_start = now_ms();
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
	FILE *out = NULL;
	double until = 0;
	if (slow_stdin) {
		/* the file at once, then an open pipe for 3 s: the load has
		 * its records and waits for more */
		close(pfd[0]);
		FILE *in = fopen(file, "r");
		out = fdopen(pfd[1], "w");
		char buf[65536];
		size_t n;
		while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
			fwrite(buf, 1, n, out);
		if (in)
			fclose(in);
		if (out)
			fflush(out);
		until = now_ms() + 3000;
	}
	if (late) {
		/* once the load holds the case, and its first steps are done */
		while (!store_path_load_running(case_path) && now_ms() - load_start < 10000)
			usleep(1000);
		usleep(300000);
		atomic_store(&rd.pause, false);
	}
	if (!st && store_open(case_path, 0, &st, &cause) < 0) {
		fprintf(stderr, "bench_lockwait: %s\n", cause);
		return 1;
	}
	int status = 0;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		annotate(st, i++, &on, ser[LOAD], true, start);
		usleep(10000);
		if (out && now_ms() >= until) {
			fclose(out); /* the slow stdin ends */
			out = NULL;
		}
	}
	if (out)
		fclose(out);
	double total = (now_ms() - load_start) / 1e3;
	atomic_store(&rd.phase, NPHASE);
	if (reading)
		pthread_join(rt, NULL);
	atomic_store(&sampling, false);
	if (sampler)
		pthread_join(samp, NULL);
	for (int p = 0; p < NPHASE; p++)
		ser[p][READ] = rd.s[p];
	printf("lockwait load took %.1f s, exit status %d\n", total,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	report(ser);
	report_where();
	report_traces();
	for (int p = 0; p < NPHASE; p++)
		for (int o = 0; o < NOP; o++)
			free(ser[p][o].s);
	store_close(st);
	return 0;
}
