/*
 * load_kill.h: a load killed with SIGKILL in a child process, for the
 * tests of what a case holds after kill -9 and of the load that resumes
 * it (test_store, test_zdict, test_pivots).
 *
 * The child opens the case, begins a load in batches of `batch` events
 * from `source`, lets `feed` hand events to the load's sink, waits until
 * everything handed over is written (store_load_sync: the committed
 * batches and the open transaction's rows), and raises SIGKILL. The parent
 * waits for it and asserts that it died of the signal, not of an error
 * on the way (an _exit code).
 */
#ifndef AUDITSCOPE_LOAD_KILL_H
#define AUDITSCOPE_LOAD_KILL_H

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "store.h"

struct load_kill {
	const char *path;
	int open_flags; /* store_open's: STORE_CREATE for a new case, 0 */
	int batch;      /* events a commit (store_load_set_batch) */
	const char *source;
	/* optional: called right after store_load_begin, before the batch
	 * size and the source are set (a test swaps the load's parts here) */
	void (*prep)(struct store_load *ld, void *ctx);
	/* hands the events to the sink, then returns to be killed */
	void (*feed)(struct sink *sk, void *ctx);
	void *ctx;
};

static inline void load_kill_run(const struct load_kill *k)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st;
		char *cause = NULL;
		if (store_open(k->path, k->open_flags, &st, &cause) < 0)
			_exit(3);
		struct store_load *ld = store_load_begin(st, &cause);
		if (!ld)
			_exit(4);
		if (k->prep)
			k->prep(ld, k->ctx);
		store_load_set_batch(ld, k->batch);
		if (store_load_source(ld, k->source, 100, &cause) < 0)
			_exit(5);
		struct sink sk;
		store_load_sink(ld, &sk);
		k->feed(&sk, k->ctx);
		if (store_load_sync(ld, &cause) < 0)
			_exit(6);
		raise(SIGKILL);
		_exit(7);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status))
		fail_msg("the loading child exited with %d before its SIGKILL",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

#endif
