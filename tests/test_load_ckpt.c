/*
 * test_load_ckpt.c: a load's pages reach the case file while it runs, by
 * the load's own checkpointer (core/sqlite/load_ckpt.c) after each commit,
 * not only once the log holds SQLite's 1,000 pages (which a small load
 * never reaches: its pages stayed in the log until the load's end), and
 * the log starts again from its beginning once it is long, although the
 * writer begins its next transaction right after each commit. And the
 * caller's streamed function (store_load_on_streamed) comes once, at the
 * end, with every event already committed and before the index builds,
 * so that the caller's work (the command line reads the IP tables)
 * overlaps them.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "store.h"
#include "sqlite/sqlite_store.h"
#include "sqlite/load_impl.h"

static off_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* A new case and a load begun into it, committing every batch events,
 * reading one source: what both tests start from. */
struct ck {
	char *dir;
	char path[4096];
	struct store *st;
	off_t created; /* the file's size before the load */
	struct store_load *ld;
	struct sink sk;
};

static void ck_begin(struct ck *c, unsigned batch)
{
	char *cause = NULL;
	char *dir = tmpdir_new();
	snprintf(c->path, sizeof c->path, "%s/t.case", dir);
	assert_int_equal(store_open(c->path, STORE_CREATE, &c->st, &cause), 0);
	c->dir = dir;
	c->created = file_size(c->path);
	c->ld = store_load_begin(c->st, &cause);
	assert_non_null(c->ld);
	store_load_set_batch(c->ld, batch);
}

static void ck_source(struct ck *c)
{
	char *cause = NULL;
	assert_int_equal(store_load_source(c->ld, "a.json", 100, &cause), 0);
	store_load_sink(c->ld, &c->sk);
}

/* The load ended: the case holds the events fed, and is removed. */
static void ck_end(struct ck *c, int events)
{
	char *cause = NULL;
	assert_int_equal(store_load_source_end(c->ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(c->ld, &cause), 0);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(c->st), "SELECT count(*) FROM events", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), events);
	sqlite3_finalize(q);
	store_close(c->st);
	tmpdir_remove(c->dir);
	free(c->dir);
}

/* Event i, with record id id and raw record raw (n bytes), into the load;
 * its user, when user is not NULL. */
static void put_user(struct sink *sk, int i, const char *id, const char *raw, size_t n, const char *user)
{
	char *cause = NULL;
	struct event ev;
	memset(&ev, 0, sizeof ev);
	ev.ts = 1686909600000LL + i * 1000LL;
	ev.record_id = (struct sv){ id, strlen(id) };
	ev.op = (struct sv){ "FileAccessed", 12 };
	ev.raw = (struct sv){ raw, n };
	if (user)
		ev.user = (struct sv){ user, strlen(user) };
	ev.line = (uint64_t)i + 2;
	assert_int_equal(sk->event(sk->ctx, &ev, &cause), 0);
}

static void put(struct sink *sk, int i, const char *id, const char *raw, size_t n)
{
	put_user(sk, i, id, raw, n, NULL);
}

static void feed(struct sink *sk, int from, int to)
{
	for (int i = from; i < to; i++) {
		char id[32], raw[256];
		snprintf(id, sizeof id, "ck-%06d", i);
		snprintf(raw, sizeof raw,
			 "{\"Id\":\"%s\",\"Operation\":\"FileAccessed\",\"UserId\":\"u%d@contoso.com\"}", id,
			 i % 13);
		put(sk, i, id, raw, strlen(raw));
	}
}

static void test_pages_reach_the_case_during_the_load(void **state)
{
	(void)state;
	struct ck c;
	ck_begin(&c, 100);
	ck_source(&c);
	char *cause = NULL;
	feed(&c.sk, 0, 1000);
	assert_int_equal(store_load_sync(c.ld, &cause), 0);
	/* committed every 100 events: the checkpointer copies them into
	 * the case file while the load still holds it (waited for, up to a
	 * generous bound for a busy machine) */
	off_t during = file_size(c.path);
	for (int i = 0; i < 1000 && during <= c.created; i++) {
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		during = file_size(c.path);
	}
	assert_true(during > c.created);
	feed(&c.sk, 1000, 1500);
	ck_end(&c, 1500);
}

/* Events whose raw records do not compress (so that the log grows by
 * about their size). */
static void feed_noise(struct sink *sk, int from, int to)
{
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
		put(sk, i, id, raw, (size_t)n);
	}
}

static void test_log_starts_again(void **state)
{
	(void)state;
	struct ck c;
	ck_begin(&c, 200);
	char wal[4200];
	snprintf(wal, sizeof wal, "%s-wal", c.path);
	/* a log of 32 pages (512 KB) counts as long here */
	((struct sqlite_load *)c.ld)->wal_cap = 32;
	ck_source(&c);
	/* about 6 MB of records that do not compress, committed every 200:
	 * without a start again the log holds them all */
	char *cause = NULL;
	feed_noise(&c.sk, 0, 6000);
	assert_int_equal(store_load_sync(c.ld, &cause), 0);
	off_t log = file_size(wal);
	assert_true(log > 0 && log < ((off_t)3 << 20));
	ck_end(&c, 6000);
}

/* The rounds before the log starts again are the checkpointer's copies
 * (load_wal_step): a commit made while it copies up to the mark neither
 * kicks it again nor counts as a round; the commit after it got there
 * starts another round, or the log again once what is left is short.
 * Commits used to count as rounds: a checkpoint spanning three commits
 * used them all, and the writer's own checkpoint then waited for the
 * one they had kicked. A checkpointer that does not get there is waited
 * for until the log has grown by half its cap. */
static void test_log_rounds_are_the_checkpointers(void **state)
{
	(void)state;
	struct sqlite_load ld = { 0 };
	ld.wal_cap = 1000;
	/* short of the cap: nothing asked */
	assert_int_equal(load_wal_step(&ld, 900, 0), WAL_NONE);
	/* long: the checkpointer copies up to here */
	assert_int_equal(load_wal_step(&ld, 1000, 0), WAL_KICK);
	assert_int_equal(ld.wal_mark, 1000);
	assert_int_equal(ld.wal_rounds, 1);
	/* two commits while it copies: waited for */
	assert_int_equal(load_wal_step(&ld, 1200, 300), WAL_NONE);
	assert_int_equal(load_wal_step(&ld, 1400, 600), WAL_NONE);
	assert_int_equal(ld.wal_mark, 1000);
	assert_int_equal(ld.wal_rounds, 1);
	/* it got there; 400 frames since: another round */
	assert_int_equal(load_wal_step(&ld, 1400, 1000), WAL_KICK);
	assert_int_equal(ld.wal_mark, 1400);
	assert_int_equal(ld.wal_rounds, 2);
	assert_int_equal(load_wal_step(&ld, 1450, 1100), WAL_NONE);
	/* there again, 60 frames left: the writer copies them, the log
	 * starts again */
	assert_int_equal(load_wal_step(&ld, 1460, 1400), WAL_RESTART);
	assert_int_equal(ld.wal_mark, 0);
	assert_int_equal(ld.wal_rounds, 0);
	/* a checkpointer that does not get there: waited for until the log
	 * has grown by half its cap, then rounds again */
	assert_int_equal(load_wal_step(&ld, 1000, 0), WAL_KICK);
	assert_int_equal(load_wal_step(&ld, 1499, 0), WAL_NONE);
	assert_int_equal(load_wal_step(&ld, 1500, 0), WAL_KICK);
	assert_int_equal(ld.wal_rounds, 2);
	assert_int_equal(load_wal_step(&ld, 2000, 0), WAL_KICK);
	assert_int_equal(load_wal_step(&ld, 2500, 0), WAL_RESTART);
}

/* The log's frames are sent to the disk as the commits write them
 * (load_ckpt_written), not only by a checkpoint's sync: a few MB of log,
 * far from the frames that kick a checkpoint, all sent but its last two
 * pages (the one the next frame is written into, and its rounding). */
static void test_log_sent_as_committed(void **state)
{
	(void)state;
	struct ck c;
	ck_begin(&c, 200);
	char wal[4200];
	snprintf(wal, sizeof wal, "%s-wal", c.path);
	ck_source(&c);
	char *cause = NULL;
	feed_noise(&c.sk, 0, 3000);
	assert_int_equal(store_load_sync(c.ld, &cause), 0);
	struct load_ckpt *ck = ((struct sqlite_load *)c.ld)->ckpt;
	assert_non_null(ck);
	off_t log = file_size(wal);
	assert_true(log > ((off_t)2 << 20));
	/* (waited for, up to a generous bound for a busy machine) */
	off_t sent = load_ckpt_sent(ck);
	for (int i = 0; i < 1000 && sent < log - 2 * 4096 - 16384 - 24; i++) {
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		sent = load_ckpt_sent(ck);
	}
	assert_true(sent >= log - 2 * 4096 - 16384 - 24);
	assert_true(sent <= file_size(wal));
	feed_noise(&c.sk, 3000, 3500);
	ck_end(&c, 3500);
}

/* Pages of the file at path, and those of them in the page cache. */
static void cached_pages(const char *path, size_t *pages, size_t *cached)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	off_t size = file_size(path);
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	*pages = (size_t)(size + (off_t)psz - 1) / psz;
	*cached = 0;
	void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	unsigned char *vec = malloc(*pages);
	assert_non_null(vec);
	assert_int_equal(mincore(m, (size_t)size, vec), 0);
	for (size_t i = 0; i < *pages; i++)
		*cached += vec[i] & 1;
	free(vec);
	munmap(m, (size_t)size);
	close(fd);
}

/* Once the load ends (load_ckpt_poll), the checkpointer gives the page
 * cache back the log's pages it has copied, beside the end's work, so
 * that the last checkpoint's truncation of the log does not free them on
 * the load's thread: all but the page the next frame goes into. */
static void test_copied_log_given_back_at_the_end(void **state)
{
	(void)state;
	struct ck c;
	ck_begin(&c, 200);
	char wal[4200];
	snprintf(wal, sizeof wal, "%s-wal", c.path);
	ck_source(&c);
	/* about 3 MB of log, committed every 200 events */
	char *cause = NULL;
	feed_noise(&c.sk, 0, 3000);
	assert_int_equal(store_load_sync(c.ld, &cause), 0);
	size_t pages, cached;
	cached_pages(wal, &pages, &cached);
	assert_true(pages > 500);
	assert_true(cached > pages / 2); /* just written: in the page cache */
	load_ckpt_poll(((struct sqlite_load *)c.ld)->ckpt);
	/* (waited for, up to a generous bound for a busy machine) */
	for (int i = 0; i < 1000 && cached > 2; i++) {
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		cached_pages(wal, &pages, &cached);
	}
	assert_true(cached <= 2);
	feed_noise(&c.sk, 3000, 3500);
	ck_end(&c, 3500);
}

/* What the streamed function saw: how often it came, and the events,
 * the keys of vidx and the load's window of values (vidx.c) another
 * connection read in the case then. */
struct seen {
	const char *path;
	int calls;
	int events;
	int vidx_keys, window;
};

static int count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return n;
}

static void on_streamed(void *ctx)
{
	struct seen *s = ctx;
	s->calls++;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	s->events = count(db, "SELECT count(*) FROM events");
	s->vidx_keys = count(db, "SELECT coalesce(sum(length(keys)), 0) / 8 FROM vidx");
	s->window = count(db, "SELECT count(*) FROM vidx_from");
	sqlite3_close(db);
}

static void test_streamed_once_after_the_last_commit(void **state)
{
	(void)state;
	struct ck c;
	ck_begin(&c, 100000); /* no commit by count before the end */
	struct seen s = { c.path, 0, -1, -1, -1 };
	store_load_on_streamed(c.ld, on_streamed, &s);
	ck_source(&c);
	feed(&c.sk, 0, 700);
	char *cause = NULL;
	assert_int_equal(store_load_sync(c.ld, &cause), 0);
	assert_int_equal(s.calls, 0);
	ck_end(&c, 700);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.events, 700);

	/* an abort does not call it */
	ck_begin(&c, 100000);
	s = (struct seen){ c.path, 0, -1, -1, -1 };
	store_load_on_streamed(c.ld, on_streamed, &s);
	ck_source(&c);
	feed(&c.sk, 0, 10);
	store_load_abort(c.ld);
	assert_int_equal(s.calls, 0);
	store_close(c.st);
	tmpdir_remove(c.dir);
	free(c.dir);
}

/* A load's values go into vidx at its end, before the streamed function
 * comes (which the index builds follow: the IP tables were read after
 * them, and outlasted the rest of the end): a key for every value, the
 * window closed, no vals_h, and every value found through vidx_ids. */
static void test_streamed_before_the_index_builds(void **state)
{
	(void)state;
	struct ck c;
	ck_begin(&c, 100000);
	struct seen s = { c.path, 0, -1, -1, -1 };
	store_load_on_streamed(c.ld, on_streamed, &s);
	ck_source(&c);
	int n = 5096;
	for (int i = 0; i < n; i++) {
		char id[32], user[32], raw[128];
		snprintf(id, sizeof id, "vh-%06d", i);
		snprintf(user, sizeof user, "u%d@contoso.com", i);
		int len = snprintf(raw, sizeof raw, "{\"Id\":\"%s\",\"UserId\":\"%s\"}", id, user);
		put_user(&c.sk, i, id, raw, (size_t)len, user);
	}
	char *cause = NULL;
	assert_int_equal(store_load_source_end(c.ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(c.ld, &cause), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.events, n);
	assert_int_equal(s.vidx_keys, n + 1); /* (and the record ids' text value) */
	assert_int_equal(s.window, 0);
	assert_int_equal(count(store_db(c.st), "SELECT count(*) FROM sqlite_master WHERE name = 'vals_h'"), 0);
	/* and every user found through it */
	assert_int_equal(count(store_db(c.st),
			       "SELECT count(*) FROM vals v WHERE v.id IN (SELECT id FROM vidx_ids(v.h))"),
			 n + 1);
	store_close(c.st);
	tmpdir_remove(c.dir);
	free(c.dir);
}

/* A long load commits as its window of posting lists fills (load_yield),
 * not on the clock alone: each commit writes a whole window, so that the
 * transaction's dirty pages fit the load's page cache, which spilled them
 * into the log and rewrote them there; and a window ends at a commit only,
 * never sealed between two, so that a value gets no more chunks than
 * there were commits. (A busy machine may commit more often: the writer
 * idle between two of the test's batches.) */
static void test_commits_at_whole_windows(void **state)
{
	(void)state;
	struct ck c;
	ck_begin(&c, 1000000); /* no commit by count */
	/* nor by the clock (a busy machine feeds a window in more than
	 * LOAD_TXN_MS) */
	((struct sqlite_load *)c.ld)->txn_max_ms = 600000;
	ck_source(&c);
	/* 64 users, each a chunk of about 256 entries a window */
	int n = 3 * PIVOT_WINDOW + 500;
	for (int i = 0; i < n; i++) {
		char id[32], user[32], raw[128];
		snprintf(id, sizeof id, "ww-%06d", i);
		snprintf(user, sizeof user, "u%d@contoso.com", i % 64);
		int len = snprintf(raw, sizeof raw, "{\"Id\":\"%s\",\"UserId\":\"%s\"}", id, user);
		put_user(&c.sk, i, id, raw, (size_t)len, user);
	}
	char *cause = NULL;
	assert_int_equal(store_load_sync(c.ld, &cause), 0);
	int commits = (int)sqlite_load_committed(c.ld);
	assert_true(commits >= 3);
	assert_int_equal(store_load_source_end(c.ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(c.ld, &cause), 0);
	/* each user a chunk a window, each window ended by a commit (the
	 * end's the last) */
	sqlite3 *db = store_db(c.st);
	assert_int_equal(count(db, "SELECT sum(n) FROM pivots WHERE col = 0"), n);
	assert_int_equal(count(db, "SELECT count(DISTINCT val) FROM pivots WHERE col = 0"), 64);
	int windows =
		count(db, "SELECT max(k) FROM (SELECT count(*) AS k FROM pivots WHERE col = 0 GROUP BY val)");
	assert_int_equal(count(db,
			       "SELECT min(k) FROM (SELECT count(*) AS k FROM pivots WHERE col = 0 GROUP BY val)"),
			 windows);
	assert_true(windows >= 4 && windows <= commits + 1);
	store_close(c.st);
	tmpdir_remove(c.dir);
	free(c.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_reach_the_case_during_the_load),
		cmocka_unit_test(test_log_starts_again),
		cmocka_unit_test(test_log_rounds_are_the_checkpointers),
		cmocka_unit_test(test_log_sent_as_committed),
		cmocka_unit_test(test_copied_log_given_back_at_the_end),
		cmocka_unit_test(test_streamed_once_after_the_last_commit),
		cmocka_unit_test(test_streamed_before_the_index_builds),
		cmocka_unit_test(test_commits_at_whole_windows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
