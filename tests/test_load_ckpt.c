/*
 * test_load_ckpt.c: a load's pages reach the case file while it runs, by
 * the load's own checkpointer (core/sqlite/load_ckpt.c) after each commit,
 * not only once the log holds SQLite's 1,000 pages (which a small load
 * never reaches: its pages stayed in the log until the load's end), and
 * the log starts again from its beginning once it is long, although the
 * writer begins its next transaction right after each commit.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <time.h>

#include "ingest.h"
#include "store.h"
#include "sqlite/sqlite_store.h"
#include "sqlite/load_impl.h"

static off_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void feed(struct sink *sk, int from, int to)
{
	char *cause = NULL;
	for (int i = from; i < to; i++) {
		char id[32], raw[256];
		snprintf(id, sizeof id, "ck-%06d", i);
		snprintf(raw, sizeof raw,
			 "{\"Id\":\"%s\",\"Operation\":\"FileAccessed\",\"UserId\":\"u%d@contoso.com\"}", id,
			 i % 13);
		struct event ev;
		memset(&ev, 0, sizeof ev);
		ev.ts = 1686909600000LL + i * 1000LL;
		ev.record_id = (struct sv){ id, strlen(id) };
		ev.op = (struct sv){ "FileAccessed", 12 };
		ev.raw = (struct sv){ raw, strlen(raw) };
		ev.line = (uint64_t)i + 2;
		assert_int_equal(sk->event(sk->ctx, &ev, &cause), 0);
	}
}

static void test_pages_reach_the_case_during_the_load(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char path[4096];
	snprintf(path, sizeof path, "%s/t.case", dir);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &st, &cause), 0);
	off_t before = file_size(path);
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	store_load_set_batch(ld, 100);
	assert_int_equal(store_load_source(ld, "a.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, 0, 1000);
	assert_int_equal(store_load_sync(ld, &cause), 0);
	/* committed every 100 events: the checkpointer copies them into
	 * the case file while the load still holds it (waited for, up to a
	 * generous bound for a busy machine) */
	off_t during = file_size(path);
	for (int i = 0; i < 1000 && during <= before; i++) {
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		during = file_size(path);
	}
	assert_true(during > before);
	feed(&sk, 1000, 1500);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM events", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1500);
	sqlite3_finalize(q);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* Events whose raw records do not compress (so that the log grows by
 * about their size). */
static void feed_noise(struct sink *sk, int from, int to)
{
	char *cause = NULL;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = from; i < to; i++) {
		char id[32], raw[1100];
		snprintf(id, sizeof id, "nz-%06d", i);
		int n = snprintf(raw, sizeof raw, "{\"Id\":\"%s\",\"Blob\":\"", id);
		for (int k = 0; k < 1000; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			raw[n++] = "0123456789abcdef"[x & 15];
		}
		n += snprintf(raw + n, sizeof raw - (size_t)n, "\"}");
		struct event ev;
		memset(&ev, 0, sizeof ev);
		ev.ts = 1686909600000LL + i * 1000LL;
		ev.record_id = (struct sv){ id, strlen(id) };
		ev.op = (struct sv){ "FileAccessed", 12 };
		ev.raw = (struct sv){ raw, (size_t)n };
		ev.line = (uint64_t)i + 2;
		assert_int_equal(sk->event(sk->ctx, &ev, &cause), 0);
	}
}

static void test_log_starts_again(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char path[4096], wal[4200];
	snprintf(path, sizeof path, "%s/t.case", dir);
	snprintf(wal, sizeof wal, "%s-wal", path);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &st, &cause), 0);
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	store_load_set_batch(ld, 200);
	/* a log of 32 pages (512 KB) counts as long here */
	((struct sqlite_load *)ld)->wal_cap = 32;
	assert_int_equal(store_load_source(ld, "a.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	/* about 6 MB of records that do not compress, committed every 200:
	 * without a start again the log holds them all */
	feed_noise(&sk, 0, 6000);
	assert_int_equal(store_load_sync(ld, &cause), 0);
	off_t log = file_size(wal);
	assert_true(log > 0 && log < ((off_t)3 << 20));
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM events", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 6000);
	sqlite3_finalize(q);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_reach_the_case_during_the_load),
		cmocka_unit_test(test_log_starts_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
