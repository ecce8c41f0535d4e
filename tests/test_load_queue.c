/*
 * test_load_queue.c: the queue between the parser and the writer of a load
 * (core/sqlite/load_batch.c) holds batches up to QUEUE_BYTES of their text
 * and items, not two batches, so that the parser goes on filling batches
 * while the writer commits; it never holds more than that, a batch larger
 * than the whole queue still goes through (alone), and every event fed
 * while the writer was held back is in the case once it goes on.
 *
 * The writer is held back by another connection that holds the case's
 * write lock: the writer's BEGIN IMMEDIATE waits in its busy handler, as
 * it would behind a long commit, while a thread of the test feeds.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "store.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"
#include "sqlite/load_impl.h"

/* records of 4 KB: a batch is sent at BATCH_BYTES, ~128 of them */
#define REC_BYTES 4000
#define NREC 2000
#define HUGE_BYTES ((size_t)6 << 20) /* one record larger than the queue */

struct feeder {
	struct sink sk;
	char *huge;
	atomic_int done; /* events fed */
	int failed;
};

static void put(struct feeder *f, int i, const char *raw, size_t n)
{
	char *cause = NULL;
	char id[32], user[32];
	snprintf(id, sizeof id, "q-%06d", i);
	snprintf(user, sizeof user, "u%d@contoso.com", i % 17);
	struct event ev;
	memset(&ev, 0, sizeof ev);
	ev.ts = 1686909600000LL + i * 1000LL;
	ev.record_id = (struct sv){ id, strlen(id) };
	ev.op = (struct sv){ "FileAccessed", 12 };
	ev.user = (struct sv){ user, strlen(user) };
	ev.raw = (struct sv){ raw, n };
	ev.line = (uint64_t)i + 2;
	if (f->sk.event(f->sk.ctx, &ev, &cause) < 0)
		f->failed = 1;
	free(cause);
	atomic_fetch_add(&f->done, 1);
}

/* NREC records of REC_BYTES, then one of HUGE_BYTES, then one more. */
static void *feed_main(void *arg)
{
	struct feeder *f = arg;
	char raw[REC_BYTES];
	for (int i = 0; i < NREC; i++) {
		int n = snprintf(raw, sizeof raw, "{\"Id\":\"q-%06d\",\"Pad\":\"", i);
		memset(raw + n, 'a' + i % 26, sizeof raw - (size_t)n - 2);
		memcpy(raw + sizeof raw - 2, "\"}", 2);
		put(f, i, raw, sizeof raw);
	}
	put(f, NREC, f->huge, HUGE_BYTES);
	put(f, NREC + 1, "{\"Id\":\"last\"}", 13);
	return NULL;
}

/* The queue as the writer sees it: batches, and the bytes that count. */
static size_t queued(struct sqlite_load *sl, size_t *bytes)
{
	pthread_mutex_lock(&sl->mu);
	size_t n = 0, w = 0;
	for (const struct batch *b = sl->qhead; b; b = b->next) {
		n++;
		w += b->len + b->n * sizeof *b->items;
	}
	assert_int_equal(n, sl->qlen);
	pthread_mutex_unlock(&sl->mu);
	*bytes = w;
	return n;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, ms % 1000 * 1000000L }, NULL);
}

static void test_queue_holds_bytes_while_the_writer_waits(void **state)
{
	(void)state;
	char *cause = NULL;
	char *dir = tmpdir_new();
	char path[4096];
	snprintf(path, sizeof path, "%s/q.case", dir);
	struct store *st;
	assert_int_equal(store_open(path, STORE_CREATE, &st, &cause), 0);
	/* the writer waits for the lock as long as the test needs */
	sqlite_store_busy_ms(st, 60000);
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	struct sqlite_load *sl = (struct sqlite_load *)ld;
	assert_int_equal(store_load_source(ld, "q.json", -1, &cause), 0);

	/* the other connection takes the write lock once the load's idle
	 * transaction (the source's row) is committed */
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	sqlite3_busy_timeout(other, 30000);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

	struct feeder f = { .done = 0 };
	store_load_sink(ld, &f.sk);
	f.huge = xmalloc(HUGE_BYTES);
	int n = snprintf(f.huge, HUGE_BYTES, "{\"Id\":\"huge\",\"Pad\":\"");
	memset(f.huge + n, 'z', HUGE_BYTES - (size_t)n - 2);
	memcpy(f.huge + HUGE_BYTES - 2, "\"}", 2);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, feed_main, &f), 0);

	/* the feeder stops when the queue is full: nothing fed for 300 ms
	 * (up to 60 s on a busy machine) */
	int last = -1, still = 0;
	for (int i = 0; i < 6000 && still < 30; i++) {
		sleep_ms(10);
		int now = atomic_load(&f.done);
		still = now == last ? still + 1 : 0;
		last = now;
	}
	assert_true(still >= 30);
	assert_true(last < NREC); /* waiting on the queue, not done */
	size_t bytes, nq = queued(sl, &bytes);
	/* ~585 KB a batch (128 records and their items): the queue holds
	 * six of them, not two, and never more than QUEUE_BYTES */
	assert_true(nq >= 6);
	assert_true(bytes <= QUEUE_BYTES);
	assert_true(bytes + BATCH_BYTES + BATCH_ITEMS * sizeof(struct item) > QUEUE_BYTES);
	/* the batch the writer holds, the queue's, and the one the feeder
	 * waits to send: the rest of what was fed */
	assert_true(last >= (int)nq * 100);

	/* the writer goes on: everything fed goes in, the record larger
	 * than the queue too */
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(f.failed, 0);
	assert_int_equal(atomic_load(&f.done), NREC + 2);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(other,
					    "SELECT count(*), count(DISTINCT record_id), max(line),"
					    " (SELECT events FROM sources WHERE path = 'q.json') FROM events",
					    -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), NREC + 2);
	assert_int_equal(sqlite3_column_int(q, 1), NREC + 2);
	assert_int_equal(sqlite3_column_int(q, 2), NREC + 3);
	assert_int_equal(sqlite3_column_int(q, 3), NREC + 2);
	sqlite3_finalize(q);
	sqlite3_close(other);
	store_close(st);
	free(f.huge);
	tmpdir_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_holds_bytes_while_the_writer_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
