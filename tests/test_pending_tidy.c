/*
 * test_pending_tidy.c: the case's pending file (CASE-pending, annotations
 * made while a load holds the case: core/sqlite/pending.c) is removed once
 * its changes are in the case and nobody has it open, and its removal
 * never loses a change: whoever opens it holds a share of a byte of the
 * case file, which a removal must have alone (sqlite_store.h,
 * STORE_PEND_BYTE). Issue 10: the file stayed beside the case for ever.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sqlite/pending.h"
#include "sqlite/sqlite_store.h"
#include "store.h"
#include "xalloc.h"

struct fx {
	char *dir, *path, *pend;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	f->dir = tmpdir_new();
	f->path = xasprintf("%s/c.case", f->dir);
	f->pend = xasprintf("%s-pending", f->path);
	struct store *st = NULL;
	char *cause = NULL;
	if (store_open(f->path, STORE_CREATE, &st, &cause) < 0 || store_ensure_indexes(st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		return -1;
	}
	store_close(st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f->path);
	free(f->pend);
	free(f);
	return 0;
}

static struct store *open_case(struct fx *f)
{
	struct store *st = NULL;
	char *cause = NULL;
	if (store_open(f->path, 0, &st, &cause) < 0)
		fail_msg("%s", cause);
	return st;
}

static void mark_pending(struct store *st, const char *rid)
{
	struct pend_key k = { rid, 0 };
	struct pend_change ch = { PEND_MARK, NULL };
	char *cause = NULL;
	if (pend_add(st, &k, 1, &ch, 1, "tester", "2024-01-02T03:04:05Z", &cause) < 0)
		fail_msg("%s", cause);
}

static int marks(struct store *st)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM marks", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return n;
}

static bool there(const char *path, const char *ext)
{
	char *p = xasprintf("%s%s", path, ext);
	bool r = access(p, F_OK) == 0;
	free(p);
	return r;
}

/* A change pending at close is merged, then the file and its log and
 * index go; a file with a change not merged yet stays. */
static void test_close_removes(void **state)
{
	struct fx *f = *state;
	struct store *st = open_case(f);
	mark_pending(st, "r-1");
	assert_true(there(f->pend, ""));
	pend_tidy(st); /* not merged yet: it stays */
	assert_true(there(f->pend, ""));
	store_close(st);
	assert_false(there(f->pend, ""));
	assert_false(there(f->pend, "-wal"));
	assert_false(there(f->pend, "-shm"));
	st = open_case(f);
	assert_int_equal(marks(st), 1);
	store_close(st);
}

/* Someone has the file open (holds a share): it stays until they are done. */
static void test_share_keeps(void **state)
{
	struct fx *f = *state;
	struct store *st = open_case(f);
	mark_pending(st, "r-2");
	char *cause = NULL;
	assert_int_equal(pend_merge(st, &cause), 0);
	int share = sqlite_pend_share(f->path);
	assert_true(share >= 0);
	assert_int_equal(sqlite_pend_take(f->path), -1);
	pend_tidy(st);
	assert_true(there(f->pend, ""));
	sqlite_pend_unshare(share);
	pend_tidy(st);
	assert_false(there(f->pend, ""));
	store_close(st);
}

/* Analysts' changes go to the pending file, each from a process of its
 * own that opens the file for the first time (as `auditscope mark` beside
 * a load), while this one merges the file and removes it over and over:
 * every change reaches the case. */
#define NCHANGES 60
static const char *self;

struct writers {
	struct fx *f;
	atomic_bool done;
	int failed;
};

static void *spawn_all(void *arg)
{
	struct writers *w = arg;
	for (int i = 0; i < NCHANGES; i++) {
		char rid[32];
		snprintf(rid, sizeof rid, "race-%d", i);
		pid_t pid = fork();
		if (pid == 0) {
			execl(self, self, "--mark", w->f->path, rid, (char *)NULL);
			_exit(127);
		}
		int status = 0;
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			w->failed++;
	}
	atomic_store(&w->done, true);
	return NULL;
}

static void test_race(void **state)
{
	struct fx *f = *state;
	struct store *st = open_case(f);
	int before = marks(st);
	struct writers w = { f, false, 0 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, spawn_all, &w), 0);
	int removed = 0;
	char *cause = NULL;
	while (!atomic_load(&w.done)) {
		if (pend_merge(st, &cause) < 0)
			fail_msg("%s", cause);
		bool was = there(f->pend, "");
		pend_tidy(st);
		removed += was && !there(f->pend, "");
	}
	pthread_join(t, NULL);
	assert_int_equal(w.failed, 0);
	assert_int_equal(pend_merge(st, &cause), 0);
	assert_int_equal(marks(st) - before, NCHANGES);
	pend_tidy(st);
	assert_false(there(f->pend, ""));
	store_close(st);
	/* the race was run: the file went while changes were being written */
	print_message("pending file removed %d times during %d changes\n", removed, NCHANGES);
	assert_true(removed > 0);
}

/*
 * Two merges of one pending file (two processes, each merging at its
 * open or before its write): the first has read and applied change A,
 * the second applies A too, deletes it, and an analyst adds B, which
 * takes A's seq again (the table was empty). The first's "seq <= top"
 * must not delete B: pend_apply holds the pending file's write lock
 * from its read until pend_done, so the second merge and B wait for
 * it. Here the second merge and B run on a thread with a connection of
 * their own while the first holds its changes; the first lets go once
 * they are done, or after a second if they wait (as they must).
 */
struct second {
	struct fx *f;
	atomic_bool done, may_close;
	int rc;
};

static void *merge_then_add(void *arg)
{
	struct second *s = arg;
	struct store *st = open_case(s->f);
	char *cause = NULL;
	s->rc = pend_merge(st, &cause);
	if (s->rc == 0)
		mark_pending(st, "reuse-b");
	free(cause);
	atomic_store(&s->done, true);
	/* (open until the first is done: a close merges what is pending) */
	while (!atomic_load(&s->may_close))
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	store_close(st);
	return NULL;
}

static void test_reuse(void **state)
{
	struct fx *f = *state;
	struct store *st = open_case(f);
	int before = marks(st);
	mark_pending(st, "reuse-a");
	char *cause = NULL;
	struct pend_hold *hold = NULL;
	assert_int_equal(sqlite3_exec(store_db(st), "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(pend_apply(st, &hold, &cause), 0);
	assert_non_null(hold);
	assert_int_equal(pend_commit_quiet(st, &cause), 0);
	struct second s = { f, false, false, -1 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, merge_then_add, &s), 0);
	for (int i = 0; i < 100 && !atomic_load(&s.done); i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	pend_done(hold, true);
	atomic_store(&s.may_close, true);
	pthread_join(t, NULL);
	assert_int_equal(s.rc, 0);
	assert_int_equal(pend_merge(st, &cause), 0);
	assert_int_equal(marks(st) - before, 2);
	store_close(st);
}

int main(int argc, char **argv)
{
	/* a writer of test_race: one change to the pending file, then exit
	 * without closing (its share and connections go with the process) */
	if (argc == 4 && !strcmp(argv[1], "--mark")) {
		struct fx f = { .path = argv[2] };
		mark_pending(open_case(&f), argv[3]);
		_exit(0);
	}
	self = argv[0];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close_removes),
		cmocka_unit_test(test_share_keeps),
		cmocka_unit_test(test_race),
		cmocka_unit_test(test_reuse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
