/*
 * test_store.c: the case file: schema, dedup, raw records in their
 * compressed blocks, messages, rejects kept verbatim, source counters,
 * and a load killed with SIGKILL that leaves a case that opens and that a
 * second load completes.
 */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <zstd.h>

#include "annot.h"
#include "ingest.h"
#include "query.h"
#include "store.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"
#include "load_kill.h"
#include "sql_util.h"
#include "query_walk.h"
#include "sqlite/load_impl.h"

/* A MailItemsAccessed-shaped raw record for event i (varied text, so that
 * the dictionary has something to learn). */
static char *raw_for(int i)
{
	char *s = malloc(1024);
	snprintf(s, 1024,
		 "{\"CreationTime\":\"2023-06-%02dT10:%02d:00\",\"Id\":\"id-%06d\","
		 "\"Operation\":\"MailItemsAccessed\",\"UserId\":\"user%d@contoso.com\","
		 "\"ClientIPAddress\":\"203.0.113.%d\",\"Folders\":[{\"Path\":\"\\\\Inbox\","
		 "\"FolderItems\":[{\"InternetMessageId\":\"<m%d@contoso.com>\"}]}]}",
		 1 + i % 28, i % 60, i, i % 17, i % 250, i);
	return s;
}

static void make_event(struct event *ev, struct event_msg *msg, const char *raw, int i, char *idbuf)
{
	memset(ev, 0, sizeof *ev);
	snprintf(idbuf, 32, "id-%06d", i);
	ev->ts = 1686909600000LL + i * 1000LL;
	ev->record_id = (struct sv){ idbuf, strlen(idbuf) };
	ev->op = (struct sv){ "MailItemsAccessed", 17 };
	ev->user = (struct sv){ "alice@contoso.com", 17 };
	ev->access = (struct sv){ "Bind", 4 };
	ev->op_count = 3;
	ev->raw = (struct sv){ raw, strlen(raw) };
	ev->line = (uint64_t)i + 2;
	msg->folder = (struct sv){ "\\Inbox", 6 };
	msg->msgid = (struct sv){ "<m@x>", 5 };
	msg->size = 1234;
	ev->msgs = msg;
	ev->nmsgs = 1;
}


static char **raws_new(int n)
{
	char **raws = calloc((size_t)n, sizeof *raws);
	assert_non_null(raws);
	for (int i = 0; i < n; i++)
		raws[i] = raw_for(i);
	return raws;
}

/* Every record of the case reads back as raws[] held it, each at its
 * own line (feed's line i + 2 is raws[i]). */
static void assert_raws_read_back(struct store *st, char **raws)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id, line FROM events", -1, &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int i = (int)sqlite3_column_int64(q, 1) - 2;
		size_t len;
		char *r = store_raw(st, sqlite3_column_int64(q, 0), &len);
		assert_non_null(r);
		assert_int_equal(len, strlen(raws[i]));
		assert_memory_equal(r, raws[i], len);
		free(r);
	}
	sqlite3_finalize(q);
}

static void raws_free(char **raws, int n)
{
	for (int i = 0; i < n; i++)
		free(raws[i]);
	free(raws);
}

/* Hand events from..to-1 to the sink; with admin_every, every
 * admin_every-th of them as an administrative record (an inbox rule). */
static void feed(struct sink *sk, char **raws, int from, int to, int admin_every)
{
	char *cause = NULL;
	for (int i = from; i < to; i++) {
		struct event ev;
		struct event_msg m;
		char id[32];
		make_event(&ev, &m, raws[i], i, id);
		if (admin_every && i % admin_every == admin_every - 1) {
			ev.op = (struct sv){ "New-InboxRule", 13 };
			ev.rtype = (struct sv){ "ExchangeAdmin", 13 };
			ev.nmsgs = 0;
		}
		assert_int_equal(sk->event(sk->ctx, &ev, &cause), 0);
	}
}

/* feed()'s arguments, for a load killed in a child (load_kill.h) */
struct feed_args {
	char **raws;
	int from, to, admin_every;
};

static void feed_killed(struct sink *sk, void *ctx)
{
	const struct feed_args *a = ctx;
	feed(sk, a->raws, a->from, a->to, a->admin_every);
}

/* A new case at PATH with a load begun on it (most tests start so) */
static struct store_load *new_case_load(const char *path, struct store **st)
{
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, st, &cause), 0);
	struct store_load *ld = store_load_begin(*st, &cause);
	assert_non_null(ld);
	return ld;
}

static void load_n(struct store *st, const char *srcname, int from, int to, char **raws)
{
	char *cause = NULL;
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	assert_int_equal(store_load_source(ld, srcname, 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, from, to, 0);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
}

static void test_dedup_raw_blocks(void **state)
{
	struct case_dir *f = *state;
	enum { N = 3000 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_n(st, "a.json", 0, N, raws);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	/* the raw records sit in blocks that cover every event exactly once */
	assert_int_equal(scalar(st, "SELECT sum(n) FROM rawblocks"), N);
	assert_true(scalar(st, "SELECT count(*) FROM rawblocks") < N / 100);
	/* every raw record reads back byte for byte */
	for (int i = 0; i < N; i += 97) {
		size_t len = 0;
		char *r = store_raw(st, i + 1, &len);
		assert_non_null(r);
		assert_int_equal(len, strlen(raws[i]));
		assert_memory_equal(r, raws[i], len);
		free(r);
	}
	/* raw_json() works in SQL too */
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE json_valid(raw_json(id))"), N);
	/* overlapping second load: only the new half is added */
	load_n(st, "b.json", N / 2, N, raws);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT duplicates FROM sources WHERE path = 'b.json'"), N / 2);
	assert_int_equal(scalar(st, "SELECT events FROM sources WHERE path = 'b.json'"), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), N);
	/* time keeps its index; the pivots are posting lists (pivots.h) */
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE type='index' AND name = 'ev_ts'"),
			 1);
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE type='index' AND name IN"
				    " ('ev_user', 'ev_app', 'ev_ip', 'ev_op', 'ev_session')"),
			 0);
	/* no record-id index: the table, one entry an event */
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx_ids"), N);
	store_close(st);
	raws_free(raws, N);
}

/* Past the fingerprint table's memory a load dedups through the runs it
 * spilled to disk: same answers, memory bounded. */
static void test_dedup_past_table_limit(void **state)
{
	struct case_dir *f = *state;
	enum { N = 3000 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	store_load_set_ridmap_max(ld, 1000);
	assert_int_equal(store_load_source(ld, "a.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, 0, N, 0); /* everything twice */
	feed(&sk, raws, 0, N, 0);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT duplicates FROM sources"), N);
	assert_int_equal(scalar(st, "SELECT sum(n) FROM rawblocks"), N);
	store_close(st);
	raws_free(raws, N);
}

/* With the fingerprint filter's memory far below what its ids need (a
 * cap of 64 bytes: nearly every look-up reads the runs on disk), dedup
 * stays exact: a record read twice in one file is one event, a record
 * of another file already in the case a counted duplicate seen there
 * too. */
static void test_dedup_past_filter_memory(void **state)
{
	struct case_dir *f = *state;
	enum { N = 3000 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	store_load_set_ridmap_max(ld, 300);
	((struct sqlite_load *)ld)->rids.bloom_max = 64;
	assert_int_equal(store_load_source(ld, "a.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, 0, N, 0);
	feed(&sk, raws, 0, N, 0);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_source(ld, "b.json", 100, &cause), 0);
	feed(&sk, raws, N - 1000, N, 0);
	assert_int_equal(store_load_source_end(ld, "cd", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT duplicates FROM sources WHERE path = 'a.json'"), N);
	assert_int_equal(scalar(st, "SELECT events FROM sources WHERE path = 'b.json'"), 0);
	assert_int_equal(scalar(st, "SELECT duplicates FROM sources WHERE path = 'b.json'"), 1000);
	assert_int_equal(scalar(st, "SELECT count(*) FROM seen"), 1000);
	assert_int_equal(scalar(st, "SELECT count(DISTINCT record_id) FROM events"), N);
	store_close(st);
	raws_free(raws, N);
}

/* A load into a case larger than the record-id table's memory: the
 * table is seeded from the case through its runs on disk, and the
 * records loaded again are all duplicates. */
static void test_append_past_table_memory(void **state)
{
	struct case_dir *f = *state;
	enum { N = (int)RIDMAP_MEM + 500 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_n(st, "a.json", 0, N - 100, raws);
	load_n(st, "b.json", N - 1000, N, raws); /* 900 again, 100 new */
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT duplicates FROM sources WHERE path = 'b.json'"), 900);
	assert_int_equal(scalar(st, "SELECT events FROM sources WHERE path = 'b.json'"), 100);
	store_close(st);
	raws_free(raws, N);
}

/* Administrative records are written together at each commit, so that
 * their raw records sit in blocks of their own (the hunts read them). */
static void test_admin_blocks(void **state)
{
	struct case_dir *f = *state;
	enum { N = 1000 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	assert_int_equal(store_load_source(ld, "mixed.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, 0, N, 10);
	struct store_counts c;
	assert_int_equal(store_load_sync(ld, &cause), 0);
	store_load_counts(ld, &c);
	assert_int_equal(c.events, N); /* counted before the source ends */
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	/* the admin records of a transaction have consecutive ids after its
	 * others, and a raw block starts with the first of them. One
	 * transaction here, unless the machine was slow enough for a commit
	 * on the clock (LOAD_TXN_MS) or on idle input: then a run of them
	 * ends each transaction, each still the start of a raw block. */
	const char *admin = "events WHERE rtype = (SELECT id FROM vals WHERE v = 'ExchangeAdmin')";
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", admin);
	assert_int_equal(scalar(st, sql), N / 10);
	snprintf(sql, sizeof sql,
		 "WITH a AS (SELECT id FROM %s) SELECT count(*) FROM a WHERE id - 1 NOT IN (SELECT id FROM a)",
		 admin);
	int64_t runs = scalar(st, sql);
	assert_true(runs >= 1);
	snprintf(sql, sizeof sql,
		 "WITH a AS (SELECT id FROM %s) SELECT count(*) FROM a WHERE id - 1 NOT IN (SELECT id FROM a)"
		 " AND id NOT IN (SELECT id FROM rawblocks)",
		 admin);
	assert_int_equal(scalar(st, sql), 0); /* every run starts a block */
	if (runs == 1) {
		snprintf(sql, sizeof sql, "SELECT min(id) FROM %s", admin);
		assert_int_equal(scalar(st, sql), N - N / 10 + 1);
	}
	assert_raws_read_back(st, raws);
	store_close(st);
	raws_free(raws, N);
}

/* Administrative records are written as soon as they hold a raw block's
 * worth, not only at the commit: in one transaction 4 MB of them go in
 * runs of consecutive ids, and a raw block never holds both kinds. */
static void test_admin_runs(void **state)
{
	struct case_dir *f = *state;
	enum { N = 3000, PAD = 4000 };
	char **raws = raws_new(N);
	for (int i = 2; i < N; i += 3) { /* feed's admin records, padded */
		char *r = malloc(PAD + 64);
		assert_non_null(r);
		int n = snprintf(r, PAD + 64, "{\"Id\":\"id-%06d\",\"Operation\":\"New-InboxRule\",\"P\":\"",
				 i);
		for (int k = 0; k < PAD; k++)
			r[n + k] = (char)('a' + (k * 7 + i) % 26);
		strcpy(r + n + PAD, "\"}");
		free(raws[i]);
		raws[i] = r;
	}
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	assert_int_equal(store_load_source(ld, "mixed.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, 0, N, 3);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	const char *admin = "rtype = (SELECT id FROM vals WHERE v = 'ExchangeAdmin')";
	char sql[512];
	/* at least one run a MB (BLOCK_BYTES), and more than the one a
	 * commit at the end would have made */
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM events e WHERE e.%s AND NOT EXISTS"
		 " (SELECT 1 FROM events p WHERE p.id = e.id - 1 AND p.%s)",
		 admin, admin);
	assert_true(scalar(st, sql) >= 4);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM rawblocks b WHERE"
		 " (SELECT count(DISTINCT %s) FROM events WHERE id >= b.id AND id < b.id + b.n) > 1",
		 admin);
	assert_int_equal(scalar(st, sql), 0);
	assert_raws_read_back(st, raws);
	store_close(st);
	raws_free(raws, N);
}

/* A file of nothing but administrative records (held back for their own
 * blocks) still commits as it goes: kill the loader after 550 of them,
 * with commits every 100, and 500 are in the case. */
static void test_admin_only_commits(void **state)
{
	struct case_dir *f = *state;
	enum { N = 550 };
	char **raws = raws_new(N);
	/* everything handed over is written, the last 50 in the open
	 * transaction */
	struct feed_args a = { raws, 0, N, 1 };
	load_kill_run(&(struct load_kill){ f->path, STORE_CREATE, 100, "audits.json", NULL, feed_killed, &a });
	raws_free(raws, N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
	int64_t n = scalar(st, "SELECT count(*) FROM events");
	assert_int_equal(n, 500);
	store_close(st);
}

static void test_rejects_verbatim(void **state)
{
	struct case_dir *f = *state;
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	assert_int_equal(store_load_source(ld, "bad.csv", 10, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	const char bad[] = "a,\"b\x1b[31m\0c";
	assert_int_equal(sk.reject(sk.ctx, 7, "broken quoting", bad, sizeof bad - 1, &cause), 0);
	assert_int_equal(store_load_source_end(ld, "cd", "purview-csv", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT line, reason, raw FROM rejects", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 7);
	assert_string_equal((const char *)sqlite3_column_text(q, 1), "broken quoting");
	assert_int_equal(sqlite3_column_bytes(q, 2), sizeof bad - 1);
	assert_memory_equal(sqlite3_column_blob(q, 2), bad, sizeof bad - 1);
	sqlite3_finalize(q);
	struct store_summary sum;
	assert_int_equal(store_summary(st, &sum, &cause), 0);
	assert_int_equal(sum.rejects, 1);
	assert_int_equal(sum.records, 1);
	assert_int_equal(sum.events, 0);
	store_close(st);
}

static void test_not_a_case(void **state)
{
	struct case_dir *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_exec(db, "CREATE TABLE x(a)", NULL, NULL, NULL);
	sqlite3_close(db);
	struct store *st = NULL;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, 0, &st, &cause), -1);
	assert_non_null(strstr(cause, "not an auditscope case file"));
	free(cause);
	cause = NULL;
	size_t mn = strlen(f->dir) + 20;
	char *missing = malloc(mn);
	assert_non_null(missing);
	snprintf(missing, mn, "%s/none.case", f->dir);
	assert_int_equal(store_open(missing, 0, &st, &cause), -1);
	assert_non_null(strstr(cause, "no such case file"));
	free(cause);
	free(missing);
}

/* A child loads with small batches and kills itself with SIGKILL in the
 * middle; the case must open, hold what was committed, and a second
 * load must complete it without duplicating anything. */
static void test_killed_load(void **state)
{
	struct case_dir *f = *state;
	enum { N = 5000, KILL_AT = 3210 };
	char **raws = raws_new(N);
	/* everything handed over is written (six commits of 500 and 210 in
	 * the open transaction) */
	struct feed_args a = { raws, 0, KILL_AT, 0 };
	load_kill_run(&(struct load_kill){ f->path, STORE_CREATE, 500, "big.json", NULL, feed_killed, &a });
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
	assert_int_equal(store_ensure_indexes(st, &cause), 0);
	/* six committed batches of 500; on a busy machine the writer's idle
	 * commit (LOAD_IDLE_MS without a batch, the child descheduled) may
	 * also have committed part of the seventh: what counts is that the
	 * events, the source's count and the raw blocks agree */
	int64_t n = scalar(st, "SELECT count(*) FROM events");
	assert_in_range(n, 3000, KILL_AT);
	assert_int_equal(scalar(st, "SELECT events FROM sources"), n);
	assert_int_equal(scalar(st, "SELECT sum(n) FROM rawblocks"), n);
	/* the second load completes it */
	load_n(st, "big.json", 0, N, raws);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT duplicates FROM sources WHERE id = 2"), n);
	/* the killed source is marked as such */
	assert_int_equal(scalar(st, "SELECT count(*) FROM sources WHERE status = 'interrupted'"), 1);
	for (int i = 0; i < N; i += 499) {
		size_t len;
		char *r = store_raw(st, i + 1, &len);
		assert_non_null(r);
		assert_int_equal(len, strlen(raws[i]));
		assert_memory_equal(r, raws[i], len);
		free(r);
	}
	store_close(st);
	raws_free(raws, N);
}

/* The same, killed while appending to a case whose first load kept its
 * filter (load_dedup.c): the next load must not take that filter, which
 * lacks the killed load's keys (it mends ridx from the killed load's
 * events, and the case's ids are no longer the filter's), and finds
 * every one of its events; the load after it, through the filter that
 * one kept. */
static void test_killed_append(void **state)
{
	struct case_dir *f = *state;
	enum { FIRST = 2000, N = 5000, KILL_AT = 3710 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_n(st, "a.json", 0, FIRST, raws);
	assert_int_equal(scalar(st, "SELECT count(*) FROM meta WHERE key = 'ridx_filter'"), 1);
	store_close(st);
	struct feed_args a = { raws, FIRST, KILL_AT, 0 };
	load_kill_run(&(struct load_kill){ f->path, 0, 500, "b.json", NULL, feed_killed, &a });
	assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
	int64_t n = scalar(st, "SELECT count(*) FROM events");
	assert_in_range(n, FIRST + 1500, KILL_AT);
	load_n(st, "b.json", FIRST, N, raws);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT duplicates FROM sources WHERE id = 3"), n - FIRST);
	/* and the filter that load kept finds them all */
	load_n(st, "c.json", 0, N, raws);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT duplicates FROM sources WHERE id = 4"), N);
	store_close(st);
	raws_free(raws, N);
}

/* The count of the events a load's end keeps with ridx (meta
 * ridx_events, load_dedup.c) for the next load's start, which takes it
 * for the events' own while their highest id is the one kept with it.
 * An event given an id past it by hand: the events are counted, ridx is
 * made again with its key, and a record of it is a duplicate (a richer
 * one: it replaces it, and ridx's count loses the replaced key); ridx's
 * keys changed by hand, the highest id as kept: the kept count does not
 * match them, the events are counted and ridx made again. */
static void test_events_count_kept(void **state)
{
	struct case_dir *f = *state;
	enum { N = 600 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	const char *kept = "SELECT value = (SELECT count(*) || ' ' || max(id) FROM events) FROM meta"
			   " WHERE key = 'ridx_events'";
	const char *match = "SELECT count(*) FROM ridx_ids r JOIN events e ON e.id = r.id"
			    " WHERE r.k = rid_k(e.record_id, e.id)";
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_n(st, "a.json", 0, 200, raws);
	assert_int_equal(scalar(st, kept), 1);
	assert_int_equal(sqlite3_exec(store_db(st),
				      "INSERT INTO events(ts, record_id, kind, source, line)"
				      " VALUES(1686909900000, 'id-000300', 0, 1, 302)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	load_n(st, "b.json", 0, 400, raws);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), 400);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE record_id = 'id-000300'"), 1);
	assert_int_equal(scalar(st, "SELECT max(id) FROM events"), 401); /* (201 replaced) */
	assert_int_equal(scalar(st, kept), 1);
	assert_int_equal(scalar(st, match), 400);
	assert_int_equal(scalar(st, "SELECT coalesce(sum(length(keys)), 0) / 8 FROM ridx"), 400);
	assert_int_equal(sqlite3_exec(store_db(st), "DELETE FROM ridx WHERE k IN (SELECT k FROM ridx LIMIT 1)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	load_n(st, "c.json", 0, N, raws);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT duplicates FROM sources WHERE path = 'c.json'"), 400);
	assert_int_equal(scalar(st, kept), 1);
	assert_int_equal(scalar(st, match), N);
	assert_int_equal(scalar(st, "SELECT coalesce(sum(length(keys)), 0) / 8 FROM ridx"), N);
	store_close(st);
	raws_free(raws, N);
}

/* A case opened while another process commits to it (a load, issue 10):
 * in rollback mode a commit writes page 1, which carries the new page
 * count, before the pages past the file's old end. The child holds the
 * exclusive lock with page 1 in that state for 300 ms; the open must wait
 * for the lock and read the committed case, not call it truncated
 * (before: "damaged case file: truncated", and the interface, opened on a
 * case being loaded, exited). */
static void test_open_mid_commit(void **state)
{
	struct case_dir *f = *state;
	enum { N = 300 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_n(st, "a.json", 0, N, raws);
	store_close(st);
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db;
		unsigned char h[100], m[100];
		int fd = open(f->path, O_RDWR); /* open until the end: its close
						 * would drop the lock */
		if (fd < 0 || sqlite3_open(f->path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK ||
		    pread(fd, h, 100, 0) != 100)
			_exit(3);
		memcpy(m, h, sizeof m);
		uint32_t pages = (uint32_t)h[28] << 24 | (uint32_t)h[29] << 16 | (uint32_t)h[30] << 8 | h[31];
		pages += 40;
		for (int i = 0; i < 4; i++)
			m[28 + i] = (unsigned char)(pages >> (24 - 8 * i));
		memcpy(m + 92, m + 24, 4); /* the in-header size is valid */
		if (pwrite(fd, m, 100, 0) != 100 || write(ready[1], "x", 1) != 1)
			_exit(4);
		nanosleep(&(struct timespec){ 0, 300000000 }, NULL);
		if (pwrite(fd, h, 100, 0) != 100)
			_exit(5);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(db);
		_exit(0);
	}
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	int rc = store_open(f->path, 0, &st, &cause);
	if (rc < 0)
		fprintf(stderr, "# %s\n", cause);
	assert_int_equal(rc, 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	store_close(st);
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ready[0]);
	close(ready[1]);
	raws_free(raws, N);
}

/* A second connection to the case in the same process (the hunts' and
 * Sigma's worker threads open the case again) must not take away the
 * first one's locks: closing any descriptor of a file drops every POSIX
 * lock the process holds on it, SQLite's included. Without them a load
 * in another process saw nobody on the case, left WAL mode (deleting the
 * log the interface was reading) and the interface's next write and
 * close cut the case down to its own stale size (found with
 * bench_lockwait's reader thread: 143 MB -> 480 KB, "damaged: truncated"). */
static void test_second_open_keeps_locks(void **state)
{
	struct case_dir *f = *state;
	enum { N = 2000 };
	char **raws = raws_new(N);
	struct store *st, *st2;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_n(st, "a.json", 0, 1, raws);
	store_close(st);
	/* the interface has the case open */
	assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), 1);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a load in another process (a new image: SQLite's state
		 * copied by fork would know this process's locks), once the
		 * worker is there */
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		execl("/proc/self/exe", "test_store", "--load-child", f->path, (char *)NULL);
		_exit(127);
	}
	/* a worker's connection opens and reads while the load runs, and the
	 * interface asks whether a load runs */
	assert_int_equal(store_open(f->path, STORE_READONLY, &st2, &cause), 0);
	assert_int_equal(scalar(st2, "SELECT count(*) FROM events"), 1);
	assert_false(store_path_load_running(f->path));
	assert_int_equal(write(go[1], "x", 1), 1);
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* both see the load; the interface writes (a mark) and closes */
	assert_int_equal(scalar(st2, "SELECT count(*) FROM events"), N);
	store_close(st2);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_true(annot_mark(st, 1, true, &cause) >= 0);
	store_close(st);
	int rc = store_open(f->path, 0, &st, &cause);
	if (rc < 0)
		fprintf(stderr, "# %s\n", cause);
	assert_int_equal(rc, 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT count(*) FROM marks"), 1);
	assert_int_equal(scalar(st, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"),
			 0);
	store_close(st);
	close(go[0]);
	close(go[1]);
	raws_free(raws, N);
}

static bool has_index(struct store *st, const char *name)
{
	sqlite3_stmt *q;
	bool r = false;
	if (sqlite3_prepare_v2(store_db(st), "SELECT 1 FROM sqlite_master WHERE type='index' AND name=?", -1,
			       &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		r = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
	}
	return r;
}

/* Finding 12, from schema 12: no record-id index to drop and build again;
 * a load's record ids go into ridx at its end, and until then the events
 * of its window (meta ridx_from) are found by their own columns: an
 * analyst's mark during the load is found (query marked, the interface's
 * marked filter and mark keys), and at the end the table matches the
 * events, the window closed. */
static void test_rid_index_after_mark_in_load(void **state)
{
	struct case_dir *f = *state;
	enum { N = 1200 };
	char **raws = raws_new(N);
	struct store *st, *an;
	char *cause = NULL;
	const char *match = "SELECT count(*) FROM ridx_ids r JOIN events e ON e.id = r.id"
			    " WHERE r.k = rid_k(e.record_id, e.id)";
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_n(st, "a.json", 0, 200, raws);
	assert_false(has_index(st, "ev_rid"));
	assert_int_equal(scalar(st, match), 200);
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	store_load_set_batch(ld, 100);
	assert_int_equal(store_load_source(ld, "b.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, 200, 700, 0);
	assert_int_equal(store_load_sync(ld, &cause), 0);
	/* the analyst, on a connection of their own */
	assert_int_equal(store_open(f->path, 0, &an, &cause), 0);
	assert_int_equal(scalar(an, "SELECT count(*) FROM ridx_ids"), 200);
	assert_int_equal(scalar(an, "SELECT value FROM meta WHERE key = 'ridx_from'"), 201);
	assert_true(annot_mark(an, 650, true, &cause) >= 0); /* in the window */
	assert_true(annot_mark(an, 3, true, &cause) >= 0);   /* in ridx */
	assert_int_equal(query_count_text(an, "marked", &cause), 2);
	assert_int_equal(query_count_text(an, "record_id=id-000649", &cause), 1);
	/* the case has marks now: the next commits put the window into
	 * ridx once it holds a quarter of it (a test's table of 100: past
	 * 100 events) */
	store_load_set_ridmap_max(ld, 100);
	feed(&sk, raws, 700, N, 0);
	assert_int_equal(store_load_sync(ld, &cause), 0);
	assert_true(scalar(an, "SELECT value FROM meta WHERE key = 'ridx_from'") > 700);
	assert_int_equal(scalar(an, "SELECT count(*) FROM ridx_ids") +
				 scalar(an, "SELECT count(*) FROM events WHERE id >= (SELECT value FROM meta"
					    " WHERE key = 'ridx_from')"),
			 scalar(an, "SELECT count(*) FROM events"));
	assert_int_equal(query_count_text(an, "marked", &cause), 2);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(an, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(an, match), N);
	assert_int_equal(scalar(an, "SELECT count(*) FROM ridx_ids"), N);
	assert_false(has_index(an, "ev_rid"));
	assert_int_equal(scalar(an, "SELECT count(*) FROM meta WHERE key = 'ridx_from'"), 0);
	assert_int_equal(scalar(an, "SELECT count(*) FROM marks"), 2);
	assert_int_equal(query_count_text(an, "marked", &cause), 2);
	assert_int_equal(query_count_text(an, "record_id=id-000649", &cause), 1);
	store_close(an);
	store_close(st);
	raws_free(raws, N);
}

/* A load frees whole indexes (those it builds again at its end): it
 * runs with secure_delete FAST, so that they are not zeroed and written
 * through the log again, and gives the connection the library's own
 * setting back for the analysts' deletions. */
static void test_secure_delete_in_load(void **state)
{
	struct case_dir *f = *state;
	enum { N = 300 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	int def = sqlite3_compileoption_used("SECURE_DELETE") ? 1 : 0;
	assert_int_equal(scalar(st, "PRAGMA secure_delete"), def);
	load_n(st, "a.json", 0, 100, raws);
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	assert_false(has_index(st, "ev_user")); /* posting lists instead (pivots.h) */
	assert_int_equal(scalar(st, "PRAGMA secure_delete"), 2);
	assert_int_equal(store_load_source(ld, "b.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, 100, N, 0);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "PRAGMA secure_delete"), def);
	assert_false(has_index(st, "ev_user"));
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT sum(n) FROM pivots WHERE col = 3"), N); /* every event's operation */
	/* and after an abort */
	ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	store_load_abort(ld);
	assert_int_equal(scalar(st, "PRAGMA secure_delete"), def);
	store_close(st);
	raws_free(raws, N);
}

/* A record id seen twice in one load (issue 10): with another user, the
 * second copy is a conflict kept among the rejects, the stored event
 * unchanged; with the same raw record, it is a duplicate. The first
 * copies are still in the block the load assembles when the second
 * ones come. */
static void test_conflict_in_one_load(void **state)
{
	struct case_dir *f = *state;
	enum { N = 50 };
	char **raws = raws_new(N + 1);
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	assert_int_equal(store_load_source(ld, "a.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, 0, N, 0);
	struct event ev;
	struct event_msg m;
	char id[32];
	make_event(&ev, &m, raws[N], 5, id); /* id-000005, other text */
	ev.user = (struct sv){ "mallory@contoso.com", 19 };
	assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	make_event(&ev, &m, raws[7], 7, id); /* id-000007 again, the same */
	assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	assert_int_equal(store_load_sync(ld, &cause), 0);
	struct store_counts c;
	store_load_counts(ld, &c);
	assert_int_equal(c.records, N + 2);
	assert_int_equal(c.events, N);
	assert_int_equal(c.duplicates, 1);
	assert_int_equal(c.conflicts, 1);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM rejects WHERE reason = 'conflict: record id id-000005"
				    " was loaded before (event 6) with another user'"),
			 1);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events e JOIN vals v ON v.id = e.user"
				    " WHERE e.record_id = 'id-000005' AND v.v = 'alice@contoso.com'"),
			 1);
	struct store_summary sum;
	assert_int_equal(store_summary(st, &sum, &cause), 0);
	assert_int_equal(sum.conflicts, 1);
	assert_int_equal(sum.rejects, 0);
	store_close(st);
	raws_free(raws, N + 1);
}

/* Each source's summary is handed over only once it is committed (issue
 * 10): when source_done says "N new events", another connection to the
 * case sees the source complete with them. Three small files in one load
 * (the load does not commit at each source's end). */
struct seen_ctx {
	const char *path;
	int calls, committed;
};

static void on_source_done(const struct ingest_source *s, void *ctx)
{
	struct seen_ctx *c = ctx;
	sqlite3 *db;
	sqlite3_stmt *q;
	c->calls++;
	if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return;
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_prepare_v2(db, "SELECT events FROM sources WHERE path = ? AND status = 'complete'", -1,
			       &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, s->path, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW &&
		    (uint64_t)sqlite3_column_int64(q, 0) == s->counts.events && s->counts.events > 0)
			c->committed++;
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
}

static void test_summary_after_commit(void **state)
{
	struct case_dir *f = *state;
	char *files[3];
	for (int k = 0; k < 3; k++) {
		size_t n = strlen(f->dir) + 16;
		files[k] = malloc(n);
		assert_non_null(files[k]);
		snprintf(files[k], n, "%s/s%d.json", f->dir, k);
		FILE *fp = fopen(files[k], "w");
		assert_non_null(fp);
		for (int i = 0; i < 20; i++) {
			char *r = raw_for(k * 100 + i);
			fprintf(fp, "%s\n", r);
			free(r);
		}
		fclose(fp);
	}
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	struct seen_ctx c = { .path = f->path };
	struct ingest_opts o = { .source_done = on_source_done, .ctx = &c };
	struct ingest_totals t;
	const char *const paths[] = { files[0], files[1], files[2] };
	assert_int_equal(ingest_paths(st, paths, 3, &o, &t, &cause), 0);
	assert_int_equal(t.events, 60);
	assert_int_equal(c.calls, 3);
	assert_int_equal(c.committed, 3); /* before: 0, each said before its commit */
	store_close(st);
	for (int k = 0; k < 3; k++)
		free(files[k]);
}

static void test_query_terms(void **state)
{
	struct case_dir *f = *state;
	enum { N = 100 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_n(st, "a.json", 0, N, raws);
	assert_int_equal(query_count_text(st, "user=ALICE@contoso.com", &cause), N);
	assert_int_equal(query_count_text(st, "op=mailitemsaccessed", &cause), N);
	assert_int_equal(query_count_text(st, "user=bob@contoso.com", &cause), 0);
	/* SQL in a value is a value */
	assert_int_equal(query_count_text(st, "user='x'OR'1'='1'", &cause), 0);
	assert_int_equal(query_count_text(st, "nosuch=1", &cause), -1);
	assert_non_null(strstr(cause, "unknown field 'nosuch' at column 1"));
	free(cause);
	cause = NULL;
	assert_int_equal(query_count_text(st, "user=", &cause), -1);
	assert_non_null(strstr(cause, "expected a value after 'user='"));
	free(cause);
	cause = NULL;
	struct query *q;
	struct query_page p = { 0 };
	assert_int_equal(query_new(st, "op=MailItemsAccessed", &q, &cause), 0);
	assert_int_equal(query_page(q, QUERY_LAST, NULL, 2, &p, &cause), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.rows[1].record_id, "id-000099");
	assert_string_equal(p.rows[1].access, "Bind");
	assert_int_equal(p.rows[1].op_count, 3);
	assert_string_equal(p.rows[0].record_id, "id-000098");
	assert_true(p.at_end);
	assert_false(p.at_start);
	query_page_free(&p);
	query_free(q);
	store_close(st);
	raws_free(raws, N);
}

struct msgs_seen {
	char folder[8][128], msgid[8][128];
	bool has_msgid[8];
	int64_t size[8];
	int n;
};

static int collect_msg(const struct store_message *m, void *ctx)
{
	struct msgs_seen *s = ctx;
	assert_true(s->n < 8);
	snprintf(s->folder[s->n], sizeof s->folder[0], "%s", m->folder ? m->folder : "(null)");
	s->has_msgid[s->n] = m->msgid != NULL;
	snprintf(s->msgid[s->n], sizeof s->msgid[0], "%s", m->msgid ? m->msgid : "");
	s->size[s->n] = m->size;
	s->n++;
	return 0;
}

/* An event's message list keeps its folders and message ids byte for
 * byte, whatever needs escaping in them and wherever it sits (the plain
 * run before the first escape is found sixteen bytes at a time), and its
 * sizes, unknown ones included. */
static void test_message_list_text(void **state)
{
	struct case_dir *f = *state;
	char *cause = NULL;
	struct store *st = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	assert_int_equal(store_load_source(ld, "msgs.json", 10, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	static const char *const folders[] = {
		"\\Inbox",
		"Folder with \"quotes\" and \\\\ backslashes past sixteen bytes",
		"\x01\x1f tab\there",
		"caf\xc3\xa9 \xe2\x80\xae bidi 0123456789abcdef\"",
		"0123456789abcdef0123456789abcdef",
	};
	static const char *const ids[] = { "<a@x>", NULL, "<0123456789abcdef\\>", "\"", "" };
	static const int64_t sizes[] = { 0, -1, 1234567890123LL, 9, 42 };
	struct event_msg m[5];
	for (int i = 0; i < 5; i++) {
		m[i].folder = (struct sv){ folders[i], strlen(folders[i]) };
		m[i].msgid = ids[i] ? (struct sv){ ids[i], strlen(ids[i]) } : (struct sv){ NULL, 0 };
		m[i].size = sizes[i];
	}
	struct event ev;
	struct event_msg one;
	char id[32];
	make_event(&ev, &one, "{\"Operation\":\"MailItemsAccessed\"}", 1, id);
	ev.msgs = m;
	ev.nmsgs = 5;
	assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	struct msgs_seen seen = { 0 };
	assert_int_equal(store_event_messages(st, 1, collect_msg, &seen, &cause), 0);
	assert_int_equal(seen.n, 5);
	for (int i = 0; i < 5; i++) {
		assert_string_equal(seen.folder[i], folders[i]);
		assert_int_equal(seen.has_msgid[i], ids[i] != NULL);
		if (ids[i])
			assert_string_equal(seen.msgid[i], ids[i]);
		assert_int_equal(seen.size[i], sizes[i]);
	}
	store_close(st);
}

/* The sweep's message k: k runs through every length of 1 to 40, with
 * every place of one byte to escape in it ('"', '\\', a control) or
 * none; the id has another at its end. So the runs before and after an
 * escape are each shorter and longer than sixteen bytes. */
static void sweep_text(int k, char *folder, char *msgid)
{
	static const char esc[] = { '"', '\\', '\x01' };
	int len = 1, at = -1, c = 0;
	for (int left = k;;) { /* (len + 1) * 3 messages of each length */
		int here = (len + 1) * 3;
		if (left < here) {
			at = left / 3 - 1;
			c = esc[left % 3];
			break;
		}
		left -= here;
		len = len % 40 + 1;
	}
	for (int i = 0; i < len; i++)
		folder[i] = msgid[i] = (char)('a' + (i + k) % 26);
	folder[len] = msgid[len] = '\0';
	if (at >= 0)
		folder[at] = msgid[at] = (char)c;
	msgid[len - 1] = (char)c;
}

/* put_json_str's blocks and the overlapping last block of a run: what
 * goes in comes back byte for byte, 2,584 messages of every length to
 * 40 with an escape anywhere in them, eight to an event. */
static void test_message_list_sweep(void **state)
{
	struct case_dir *f = *state;
	enum { EVENTS = 323, PER = 8 };
	char *cause = NULL;
	struct store *st = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	assert_int_equal(store_load_source(ld, "sweep.json", 10, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	static char folders[EVENTS * PER][48], ids[EVENTS * PER][48];
	for (int e = 0; e < EVENTS; e++) {
		struct event_msg m[PER];
		for (int j = 0; j < PER; j++) {
			int k = e * PER + j;
			sweep_text(k, folders[k], ids[k]);
			m[j].folder = (struct sv){ folders[k], strlen(folders[k]) };
			m[j].msgid = (struct sv){ ids[k], strlen(ids[k]) };
			m[j].size = k;
		}
		struct event ev;
		struct event_msg one;
		char id[32], raw[64];
		snprintf(raw, sizeof raw, "{\"Operation\":\"MailItemsAccessed\",\"n\":%d}", e);
		make_event(&ev, &one, raw, e, id);
		ev.msgs = m;
		ev.nmsgs = PER;
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	for (int e = 0; e < EVENTS; e++) {
		struct msgs_seen seen = { 0 };
		assert_int_equal(store_event_messages(st, e + 1, collect_msg, &seen, &cause), 0);
		assert_int_equal(seen.n, PER);
		for (int j = 0; j < PER; j++) {
			int k = e * PER + j;
			assert_string_equal(seen.folder[j], folders[k]);
			assert_string_equal(seen.msgid[j], ids[k]);
			assert_int_equal(seen.size[j], k);
		}
	}
	store_close(st);
}

/* Events from..to-1 as one source named path, event i with its own
 * message <m{i}@x> unless i is in [gap_from, gap_to) or i % 3 == 0; with
 * rich, a client app besides (a richer copy of the same record). */
static void source_msgs(struct store_load *ld, const char *path, char **raws, int from, int to, int gap_from,
			int gap_to, bool rich)
{
	char *cause = NULL;
	struct sink sk;
	assert_int_equal(store_load_source(ld, path, 100, &cause), 0);
	store_load_sink(ld, &sk);
	for (int i = from; i < to; i++) {
		struct event ev;
		struct event_msg m;
		char id[32], mid[32];
		make_event(&ev, &m, raws[i], i, id);
		snprintf(mid, sizeof mid, "<m%d@x>", i);
		m.msgid = (struct sv){ mid, strlen(mid) };
		if (i % 3 == 0 || (i >= gap_from && i < gap_to))
			ev.nmsgs = 0;
		if (rich)
			ev.client_app = (struct sv){ "Outlook", 7 };
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
}

static int64_t summary_messages(struct store *st)
{
	struct store_summary sum;
	char *cause = NULL;
	assert_int_equal(store_summary(st, &sum, &cause), 0);
	return sum.messages;
}

/* Event id's messages: their count, and the message id of the first. */
static int event_msgs(struct store *st, int64_t id, char *first, size_t cap)
{
	struct msgs_seen seen = { 0 };
	char *cause = NULL;
	assert_int_equal(store_event_messages(st, id, collect_msg, &seen, &cause), 0);
	snprintf(first, cap, "%s", seen.n ? seen.msgid[0] : "");
	return seen.n;
}

/*
 * Message lists are kept in the raw blocks beside their records (schema
 * 9; msgblocks of their own before): each event's list reads back
 * through store_event_messages, the messages view and the summary,
 * across a long run of events without messages. A case of schema 5
 * (msglists, one row an event) reads the same read-only, is migrated on
 * its first writable open, and a load into it adds blocks beside its
 * rows: both read.
 */
static void test_message_blocks(void **state)
{
	struct case_dir *f = *state;
	enum { N = 7000, GAP_FROM = 1000, GAP_TO = 6000 };
	char **raws = raws_new(N + 1000);
	struct store *st;
	char *cause = NULL;
	char mid[128];
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	char *c = NULL;
	struct store_load *ld = store_load_begin(st, &c);
	assert_non_null(ld);
	source_msgs(ld, "a.json", raws, 0, N, GAP_FROM, GAP_TO, false);
	assert_int_equal(store_load_end(ld, &c), 0);
	int64_t want = 0;
	for (int i = 0; i < N; i++)
		want += i % 3 != 0 && !(i >= GAP_FROM && i < GAP_TO);
	assert_int_equal(scalar(st, "SELECT count(*) FROM msglists"), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM msgblocks"), 0);
	assert_int_equal(scalar(st, "SELECT sum(msgs) FROM rawmsgs"), want);
	assert_int_equal(summary_messages(st), want);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), want);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages WHERE msgid = '<m6500@x>' AND event = 6501"),
			 1);
	/* event id i + 1 is record i */
	assert_int_equal(event_msgs(st, 2, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m1@x>");
	assert_int_equal(event_msgs(st, 4, mid, sizeof mid), 0);
	assert_int_equal(event_msgs(st, 3001, mid, sizeof mid), 0);
	assert_int_equal(event_msgs(st, 6999, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m6998@x>");
	assert_int_equal(event_msgs(st, 3, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m2@x>");

	/* the same case as schema 5 kept it */
	assert_int_equal(sqlite3_exec(store_db(st),
				      "BEGIN;"
				      "INSERT INTO msglists SELECT id, json_array_length(msg_items(id)), msg_items(id)"
				      "  FROM events WHERE msg_items(id) IS NOT NULL;"
				      "DROP TABLE msgblocks; DROP TABLE rawmsgs; DROP VIEW messages;"
				      "CREATE VIEW messages(event, seq, folder, msgid, size) AS"
				      "  SELECT l.event, CAST(j.key AS INTEGER), j.value->>0, j.value->>1, j.value->>2"
				      "  FROM msglists l, json_each(l.items) j;"
				      "PRAGMA user_version=5; COMMIT;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(scalar(st, "SELECT count(*) FROM msglists"), want);
	store_close(st);
	assert_int_equal(store_open(f->path, STORE_READONLY, &st, &cause), 0);
	assert_int_equal(summary_messages(st), want);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), want);
	assert_int_equal(event_msgs(st, 6999, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m6998@x>");
	store_close(st);
	assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
	assert_int_equal(scalar(st, "PRAGMA user_version"), 17);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), want);
	load_n(st, "b.json", N, N + 1000, raws); /* 1000 new events, each with a message */
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N + 1000);
	assert_int_equal(scalar(st, "SELECT sum(msgs) FROM rawmsgs"), 1000);
	assert_int_equal(summary_messages(st), want + 1000);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), want + 1000);
	assert_int_equal(event_msgs(st, 2, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m1@x>");
	assert_int_equal(event_msgs(st, N + 1000, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m@x>"); /* load_n's make_event */
	store_close(st);
	raws_free(raws, N + 1000);
}

/* A richer copy from another source replaces the stored event, in the
 * same load (the stored list still in the block being gathered) or a
 * later one: the messages are counted once. */
static void test_message_blocks_replaced(void **state)
{
	struct case_dir *f = *state;
	enum { N = 300 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	char mid[128];
	struct store_load *ld = new_case_load(f->path, &st);
	source_msgs(ld, "a.json", raws, 0, N, N, N, false);
	source_msgs(ld, "b.json", raws, 0, N / 2, N, N, true);
	assert_int_equal(store_load_end(ld, &cause), 0);
	int64_t want = 0;
	for (int i = 0; i < N; i++)
		want += i % 3 != 0;
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE client_app IS NOT NULL"), N / 2);
	assert_int_equal(summary_messages(st), want);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), want);
	load_n(st, "c.json", 0, 0, raws);
	ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	source_msgs(ld, "d.json", raws, N / 2, N, N, N, true);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE client_app IS NOT NULL"), N);
	assert_int_equal(summary_messages(st), want);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), want);
	int64_t id = scalar(st, "SELECT id FROM events WHERE record_id = 'id-000299'");
	assert_int_equal(event_msgs(st, id, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m299@x>");
	/* ridx: the richer copies' events in it, the replaced ones gone
	 * (replaced in the same load as the first copy too) */
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx_ids"), N);
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx_ids r JOIN events e ON e.id = r.id"
				    " WHERE r.k = rid_k(e.record_id, e.id)"),
			 N);
	store_close(st);
	raws_free(raws, N);
}

/*
 * A case of schema 6 to 8 kept its lists in message blocks of their own
 * (msgblocks, made here by hand as those loads did): they read as before,
 * read-only and once converted to 9, beside the lists a later load puts
 * in its raw blocks; a richer copy of an old event takes its messages
 * off the old block's count.
 */
static void test_message_blocks_of_schema_8(void **state)
{
	struct case_dir *f = *state;
	enum { N = 300, NEW = 100, RICH = 30 };
	char **raws = raws_new(N + NEW);
	struct store *st;
	char *cause = NULL;
	char mid[128];
	struct store_load *ld = new_case_load(f->path, &st);
	source_msgs(ld, "a.json", raws, 0, N, 0, N, false); /* no lists */
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM rawmsgs"), 0);
	/* the lists of events 1..N as a schema-8 load wrote them: entries,
	 * n+1 offsets, n; record i (event i + 1) has "<o%d@x>" when i % 3 */
	size_t cap = (size_t)N * 64 + 4 * (N + 2), len = 0;
	char *blk = malloc(cap);
	assert_non_null(blk);
	uint32_t offs[N + 1];
	int64_t want = 0;
	for (int i = 0; i < N; i++) {
		offs[i] = (uint32_t)len;
		if (i % 3) {
			len += (size_t)snprintf(blk + len, cap - len, "[[\"\\\\Old\",\"<o%d@x>\",10]]", i);
			want++;
		}
	}
	offs[N] = (uint32_t)len;
	for (int i = 0; i <= N; i++)
		put_u32(blk + len + 4 * (size_t)i, offs[i]);
	put_u32(blk + len + 4 * (N + 1), N);
	len += 4 * (N + 2);
	size_t bound = ZSTD_compressBound(len);
	char *z = malloc(bound);
	assert_non_null(z);
	size_t zn = ZSTD_compress(z, bound, blk, len, 1);
	assert_false(ZSTD_isError(zn));
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st),
					    "INSERT INTO msgblocks(id, n, msgs, data) VALUES(1, ?, ?, ?)", -1,
					    &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(q, 1, N);
	sqlite3_bind_int64(q, 2, want);
	sqlite3_bind_blob(q, 3, z, (int)zn, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	free(z);
	free(blk);
	assert_int_equal(sqlite3_exec(store_db(st), "DROP TABLE rawmsgs; PRAGMA user_version=8;", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	store_close(st);

	assert_int_equal(store_open(f->path, STORE_READONLY, &st, &cause), 0);
	assert_int_equal(summary_messages(st), want);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), want);
	assert_int_equal(event_msgs(st, 3, mid, sizeof mid), 1);
	assert_string_equal(mid, "<o2@x>");
	assert_int_equal(event_msgs(st, 4, mid, sizeof mid), 0);
	store_close(st);

	assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
	assert_int_equal(scalar(st, "PRAGMA user_version"), 17);
	load_n(st, "b.json", N, N + NEW, raws); /* each with one message */
	assert_int_equal(scalar(st, "SELECT sum(msgs) FROM rawmsgs"), NEW);
	assert_int_equal(summary_messages(st), want + NEW);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), want + NEW);
	assert_int_equal(event_msgs(st, 3, mid, sizeof mid), 1);
	assert_string_equal(mid, "<o2@x>");
	assert_int_equal(event_msgs(st, N + NEW, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m@x>");
	/* richer copies of records 0..RICH-1, each with its own list now */
	ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	source_msgs(ld, "c.json", raws, 0, RICH, N, N, true);
	assert_int_equal(store_load_end(ld, &cause), 0);
	int64_t moved = 0; /* old lists gone with their events, as many new */
	for (int i = 0; i < RICH; i++)
		moved += i % 3 != 0;
	assert_int_equal(scalar(st, "SELECT sum(msgs) FROM msgblocks"), want - moved);
	assert_int_equal(scalar(st, "SELECT sum(msgs) FROM rawmsgs"), NEW + moved);
	assert_int_equal(summary_messages(st), want + NEW);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), want + NEW);
	int64_t id = scalar(st, "SELECT id FROM events WHERE record_id = 'id-000002'");
	assert_true(id > N + NEW);
	assert_int_equal(event_msgs(st, id, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m2@x>");
	store_close(st);
	raws_free(raws, N + NEW);
}

/* Events from..to-1 of source src (record ids src-i), each with a user:
 * u<i>, or u<i % user_of_i> where user_of_i is positive. */
static void feed_users(struct sink *sk, const char *src, int from, int to, int user_of_i)
{
	char *cause = NULL;
	for (int i = from; i < to; i++) {
		struct event ev;
		memset(&ev, 0, sizeof ev);
		char rid[32], user[32];
		snprintf(rid, sizeof rid, "%s-%d", src, i);
		snprintf(user, sizeof user, "u%d@contoso.com", user_of_i < 0 ? i : i % user_of_i);
		ev.ts = 1686909600000LL + i;
		ev.record_id = (struct sv){ rid, strlen(rid) };
		ev.op = (struct sv){ "UserLoggedIn", 12 };
		ev.user = (struct sv){ user, strlen(user) };
		ev.raw = (struct sv){ "{}", 2 };
		ev.line = (uint64_t)i + 2;
		assert_int_equal(sk->event(sk->ctx, &ev, &cause), 0);
	}
}

/* users 200..699 of source b, for a load killed in a child (load_kill.h) */
static void feed_users_killed(struct sink *sk, void *ctx)
{
	(void)ctx;
	feed_users(sk, "b", 200, 700, -1);
}

/* A new case of n events of users u0..u(n-1) (source a.json), ended. */
static struct store *case_of_users(const char *path, int n)
{
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(path, &st);
	assert_int_equal(store_load_source(ld, "a.json", 10, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed_users(&sk, "a", 0, n, -1);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	return st;
}

/* Users u<from>..u<to-1>, one new event each, in a load of their own;
 * the times the load looked a value up in vals (its statement's runs). */
static int values_load(struct store *st, const char *src, int from, int to)
{
	char *cause = NULL;
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	assert_int_equal(store_load_source(ld, src, 10, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed_users(&sk, src, from, to, -1);
	assert_int_equal(store_load_sync(ld, &cause), 0);
	/* by id past the value map (load_values.c), through vals_h only if
	 * the map failed */
	struct sqlite_load *sl = (struct sqlite_load *)ld;
	int runs = 0;
	if (sl->sel_val)
		runs += sqlite3_stmt_status(sl->sel_val, SQLITE_STMTSTATUS_RUN, 0);
	if (sl->sel_vtext)
		runs += sqlite3_stmt_status(sl->sel_vtext, SQLITE_STMTSTATUS_RUN, 0);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	return runs;
}

/* A value new to the case goes into vals without a look-up there (the
 * load's value map, seeded from vidx), one the case has from an earlier
 * load is still found: every value kept once. */
static void test_new_values_not_looked_up(void **state)
{
	struct case_dir *f = *state;
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	/* a new case: nothing to look up (a few for false positives) */
	assert_true(values_load(st, "a.json", 0, 200) < 10);
	/* u100..u199 and the operation are in the case: looked up, found;
	 * u200..u499 are new */
	int runs = values_load(st, "b.json", 100, 500);
	assert_true(runs >= 101 && runs < 120);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals"), 501);
	assert_int_equal(scalar(st, "SELECT count(DISTINCT v) FROM vals"), 501);
	assert_int_equal(scalar(st, "SELECT count(DISTINCT user) FROM events"), 500);
	store_close(st);
}


/* A load into a new case finds its values through the value map: a
 * value the intern map no longer
 * holds, with the map's memory spilled to runs on disk and its filter
 * far below what it needs (nearly every look-up reads the runs), keeps
 * its one row and its id. */
static void test_values_past_intern_map(void **state)
{
	struct case_dir *f = *state;
	enum { N = 2 * INTERN_GEN + 3000 };
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	struct sqlite_load *sl = (struct sqlite_load *)ld;
	assert_true(sl->vals_mapped);
	store_load_set_ridmap_max(ld, 1000);
	sl->vmap.bloom_max = 64;
	assert_int_equal(store_load_source(ld, "a.json", 10, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed_users(&sk, "a", 0, N, -1);
	/* u0..u499 again, long out of the intern map */
	feed_users(&sk, "b", 0, 2000, 500);
	assert_int_equal(store_load_sync(ld, &cause), 0);
	assert_true(sl->vals_mapped);
	assert_true(sl->vmap.nrun > 0);
	/* (no vals_h, in no case of schema 15) */
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name = 'vals_h'"), 0);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N + 2000);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals"), N + 1);
	assert_int_equal(scalar(st, "SELECT count(DISTINCT v) FROM vals"), N + 1);
	assert_int_equal(scalar(st, "SELECT count(DISTINCT user) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events e JOIN vals v ON v.id = e.user"
				    " WHERE e.record_id LIKE 'b-%' AND v.v = 'u' || (CAST(substr(e.record_id, 3)"
				    " AS INTEGER) % 500) || '@contoso.com'"),
			 2000);
	/* vidx written at the end from the map's runs, a value found
	 * through it */
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name = 'vals_h'"), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_ids"), N + 1);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_ids(val_hash('u77@contoso.com')) x"
				    " JOIN vals v ON v.id = x.id WHERE v.v = 'u77@contoso.com'"),
			 1);
	/* the next load into the case finds them (its map seeded from
	 * vidx): no new row for a value it has */
	int runs = values_load(st, "c.json", 100, 300);
	assert_true(runs >= 200);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals"), N + 1);
	store_close(st);
}

/* The ids store_value_find gives text (how: exact or case-blind). */
static size_t found(struct store *st, const char *text, enum store_match how, int64_t *first)
{
	int64_t *ids = NULL;
	size_t n = 0;
	char *cause = NULL;
	assert_int_equal(store_value_find(st, "user", text, how, &ids, &n, &cause), 0);
	if (first)
		*first = n ? ids[0] : 0;
	free(ids);
	return n;
}

static int64_t val_id(struct store *st, const char *text)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id FROM vals WHERE v = ?", -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_finalize(q);
	return id;
}

/* An append seeds its value map with the case's values from vidx: a
 * value of the case is found through the map, a new one gets a row once,
 * and readers find either while the load runs (the new ones in its
 * window: meta vidx_from) and after it (its keys a run of vidx of their
 * own, the window closed). */
static void test_append_finds_case_values(void **state)
{
	struct case_dir *f = *state;
	enum { M = 3000 };
	char *cause = NULL;
	/* the case: M users and the operation */
	struct store *st = case_of_users(f->path, M);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_ids"), M + 1);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_from"), 0);
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	struct sqlite_load *sl = (struct sqlite_load *)ld;
	assert_true(sl->vals_mapped);
	assert_int_equal(scalar(st, "SELECT id FROM vidx_from"), M + 2);
	assert_int_equal(store_load_source(ld, "b.json", 10, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	/* u0..u99 of the case, and 200 new values */
	feed_users(&sk, "b", 0, 100, -1);
	feed_users(&sk, "c", M, M + 200, -1);
	assert_int_equal(store_load_sync(ld, &cause), 0);
	assert_true(sqlite3_stmt_status(sl->sel_vtext, SQLITE_STMTSTATUS_RUN, 0) >= 100);
	int64_t id;
	assert_int_equal(found(st, "u5@contoso.com", STORE_MATCH_EXACT, &id), 1);
	assert_int_equal(id, val_id(st, "u5@contoso.com"));
	assert_int_equal(found(st, "U3050@CONTOSO.COM", STORE_MATCH_NOCASE, &id), 1);
	assert_int_equal(id, val_id(st, "u3050@contoso.com"));
	assert_int_equal(found(st, "U3050@CONTOSO.COM", STORE_MATCH_EXACT, NULL), 0);
	assert_int_equal(found(st, "u3250@contoso.com", STORE_MATCH_EXACT, NULL), 0);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals"), M + 201);
	assert_int_equal(scalar(st, "SELECT count(DISTINCT v) FROM vals"), M + 201);
	assert_int_equal(scalar(st, "SELECT count(DISTINCT user) FROM events"), M + 200);
	/* the same value, the same id, in either load */
	assert_int_equal(scalar(st,
				"SELECT count(DISTINCT user) FROM events WHERE record_id IN ('a-50', 'b-50')"),
			 1);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_from"), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name = 'vals_h'"), 0);
	/* the append's keys a run of their own beside the case's */
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_ids"), M + 201);
	assert_int_equal(scalar(st, "SELECT count(DISTINCT run) FROM vidx"), 2);
	assert_int_equal(found(st, "U3050@CONTOSO.COM", STORE_MATCH_NOCASE, &id), 1);
	assert_int_equal(id, val_id(st, "u3050@contoso.com"));
	assert_int_equal(found(st, "u2999@contoso.com", STORE_MATCH_EXACT, &id), 1);
	assert_int_equal(id, val_id(st, "u2999@contoso.com"));
	store_close(st);
}

/* Every value of the window (ids from) found by its text, exactly and
 * without regard to case, with its own id. */
static void window_found(struct store *st, int64_t from)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id, v, upper(v) FROM vals WHERE id >= ?",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(q, 1, from);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t id;
		assert_int_equal(found(st, (const char *)sqlite3_column_text(q, 1), STORE_MATCH_EXACT, &id), 1);
		assert_int_equal(id, sqlite3_column_int64(q, 0));
		assert_int_equal(found(st, (const char *)sqlite3_column_text(q, 2), STORE_MATCH_NOCASE, &id),
				 1);
		assert_int_equal(id, sqlite3_column_int64(q, 0));
	}
	sqlite3_finalize(q);
}

/* A load killed with SIGKILL leaves its window open: vidx has none of its
 * values, readers find them by their own columns; the next load mends
 * vidx first (every value then in it, the window closed) and finds them
 * there: no value twice. */
static void test_killed_load_values(void **state)
{
	struct case_dir *f = *state;
	struct store *st = case_of_users(f->path, 300);
	store_close(st);
	load_kill_run(&(struct load_kill){ f->path, 0, 100, "b.json", NULL, feed_users_killed, NULL });
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_READONLY, &st, &cause), 0);
	assert_int_equal(scalar(st, "SELECT id FROM vidx_from"), 302);
	assert_true(scalar(st, "SELECT count(*) FROM vals") > 400);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_ids"), 301);
	window_found(st, 302);
	window_found(st, 1);
	store_close(st);
	assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
	values_load(st, "c.json", 600, 800);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals"), 801);
	assert_int_equal(scalar(st, "SELECT count(DISTINCT v) FROM vals"), 801);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_from"), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_ids"), 801);
	window_found(st, 1);
	store_close(st);
}

/* Two values whose hashes collide (val_hash: 31 bits) and one that
 * differs from one of them only in case: each found as itself exactly,
 * the two of one text found case-blind, none of them twice in vals
 * after loads that meet them again (the value map's candidates are
 * compared by text), in the load's window and in vidx. */
static void test_values_colliding_hashes(void **state)
{
	struct case_dir *f = *state;
	static const char *const users[] = { "u41526@contoso.com", "u60095@contoso.com", "U41526@Contoso.COM" };
	assert_int_equal(sqlite_val_hash(users[0], strlen(users[0])),
			 sqlite_val_hash(users[1], strlen(users[1])));
	assert_int_equal(sqlite_val_hash(users[0], strlen(users[0])),
			 sqlite_val_hash(users[2], strlen(users[2])));
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	for (int round = 0; round < 3; round++) {
		struct store_load *ld = store_load_begin(st, &cause);
		assert_non_null(ld);
		char src[32];
		snprintf(src, sizeof src, "%d.json", round);
		assert_int_equal(store_load_source(ld, src, 10, &cause), 0);
		struct sink sk;
		store_load_sink(ld, &sk);
		for (int i = 0; i < 6; i++) {
			struct event ev;
			memset(&ev, 0, sizeof ev);
			char rid[32];
			snprintf(rid, sizeof rid, "k-%d-%d", round, i);
			const char *u = users[(i + round) % 3];
			ev.ts = 1686909600000LL + i;
			ev.record_id = (struct sv){ rid, strlen(rid) };
			ev.op = (struct sv){ "UserLoggedIn", 12 };
			ev.user = (struct sv){ u, strlen(u) };
			ev.raw = (struct sv){ "{}", 2 };
			ev.line = (uint64_t)i + 2;
			assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
		}
		assert_int_equal(store_load_sync(ld, &cause), 0);
		/* round 0: all in the window; then vidx's */
		for (int k = 0; k < 2; k++) {
			int64_t id;
			for (int u = 0; u < 3; u++) {
				assert_int_equal(found(st, users[u], STORE_MATCH_EXACT, &id), 1);
				assert_int_equal(id, val_id(st, users[u]));
			}
			assert_int_equal(found(st, "U41526@CONTOSO.COM", STORE_MATCH_NOCASE, NULL), 2);
			assert_int_equal(found(st, "U60095@CONTOSO.COM", STORE_MATCH_NOCASE, &id), 1);
			assert_int_equal(id, val_id(st, users[1]));
			assert_int_equal(found(st, "u41526@contoso.co", STORE_MATCH_EXACT, NULL), 0);
			if (k == 0) {
				assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete",
								       NULL, &cause),
						 0);
				assert_int_equal(store_load_end(ld, &cause), 0);
			}
		}
		assert_int_equal(scalar(st, "SELECT count(*) FROM vals"), 4);
		assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_ids"), 4);
		assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_ids(val_hash('u60095@contoso.com'))"),
				 3);
	}
	store_close(st);
}

/* New values wait in a group before their rows go into vals
 * (load_values.c). A value too long for the intern map (over 4096
 * bytes) is looked up again at its second event: found in the group
 * (not yet in the table), it keeps its one row and its id. */
static void test_long_value_in_group(void **state)
{
	struct case_dir *f = *state;
	enum { N = 10 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	assert_int_equal(store_load_source(ld, "a.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	char *agent = malloc(6001);
	assert_non_null(agent);
	memset(agent, 'A', 6000);
	agent[6000] = '\0';
	for (int i = 0; i < N; i++) {
		struct event ev;
		struct event_msg m;
		char id[32];
		make_event(&ev, &m, raws[i], i, id);
		ev.client_info = (struct sv){ agent, 6000 };
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals WHERE length(v) = 6000"), 1);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events e JOIN vals v ON v.id = e.client_info"
				    " WHERE length(v.v) = 6000"),
			 N);
	assert_int_equal(scalar(st, "SELECT count(DISTINCT v) FROM vals"),
			 scalar(st, "SELECT count(*) FROM vals"));
	free(agent);
	store_close(st);
	raws_free(raws, N);
}

/* A richer copy replacing the last event of the case, first of its raw
 * block: the copy gets a new id (SQLite's own gave it the old one's, and
 * its blocks collided with the old ones: the load failed). */
static void test_replace_last_event(void **state)
{
	struct case_dir *f = *state;
	char **raws = raws_new(3);
	struct store *st;
	char *cause = NULL;
	char mid[128];
	struct store_load *ld = new_case_load(f->path, &st);
	source_msgs(ld, "a.json", raws, 1, 2, 0, 0, false);
	source_msgs(ld, "b.json", raws, 1, 2, 0, 0, true);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_null(cause);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE client_app IS NOT NULL"), 1);
	assert_int_equal(scalar(st, "SELECT id FROM events"), 2);
	assert_int_equal(event_msgs(st, 2, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m1@x>");
	assert_int_equal(summary_messages(st), 1);
	size_t len = 0;
	char *r = store_raw(st, 2, &len);
	assert_non_null(r);
	assert_memory_equal(r, raws[1], len);
	free(r);
	/* and in a later load, with the old event's block in the case */
	load_n(st, "c.json", 2, 3, raws);
	ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	source_msgs(ld, "d.json", raws, 2, 3, 0, 0, true);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_null(cause);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), 2);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE client_app IS NOT NULL"), 2);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE json_valid(raw_json(id))"), 2);
	assert_int_equal(scalar(st, "SELECT id FROM events WHERE record_id = 'id-000002'"), 4);
	assert_int_equal(event_msgs(st, 4, mid, sizeof mid), 1);
	assert_string_equal(mid, "<m2@x>");
	assert_int_equal(summary_messages(st), 2);
	store_close(st);
	raws_free(raws, 3);
}

/* Events to..from (downwards, newest first) into the load as source
 * path, those in [rich_from, rich_to) with a client app (richer). */
static void source_down(struct store_load *ld, const char *path, char **raws, int from, int to, int rich_from,
			int rich_to)
{
	char *cause = NULL;
	struct sink sk;
	assert_int_equal(store_load_source(ld, path, 100, &cause), 0);
	store_load_sink(ld, &sk);
	for (int i = to - 1; i >= from; i--) {
		struct event ev;
		struct event_msg m;
		char id[32];
		make_event(&ev, &m, raws[i], i, id);
		if (i >= rich_from && i < rich_to)
			ev.client_app = (struct sv){ "Outlook", 7 };
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
}

/* The whole timeline paged both ways equals SQLite's own order. */
static void walk_all(struct store *st)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id FROM events NOT INDEXED ORDER BY ts, id",
					    -1, &q, NULL),
			 SQLITE_OK);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		ids = xgrow(ids, &cap, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	query_walk(st, "", ids, n, 37);
	free(ids);
}

/*
 * The load's groups of events go in with the ids SQLite gives (the
 * table's highest + 1, load_write.c), which must be the load's own: a
 * richer copy that deleted the table's last event sends the next group
 * in with its ids. And ev_ts runs the way a new case's first events
 * came (store.c): newest first, events(ts DESC, id DESC); oldest first,
 * events(ts) as before; a later load in the other order keeps it. Either
 * way the timeline pages as SQLite orders it without the index.
 */
static void test_ids_and_ts_order(void **state)
{
	struct case_dir *f = *state;
	enum { N = 400 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	/* ids 1..200 for events 299..100: event 100 the table's last */
	source_down(ld, "a.json", raws, 100, 300, 0, 0);
	/* its richer copy (id 201, 200 deleted), then 99..0 (202..301) */
	source_down(ld, "b.json", raws, 0, 101, 100, 101);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_null(cause);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), 300);
	assert_int_equal(scalar(st,
				"SELECT id FROM events WHERE record_id = 'id-000100' AND client_app IS NOT NULL"),
			 201);
	assert_int_equal(scalar(st, "SELECT id FROM events WHERE record_id = 'id-000099'"), 202);
	assert_int_equal(scalar(st, "SELECT id FROM events WHERE record_id = 'id-000000'"), 301);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE id = 200"), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events e WHERE ts != 1686909600000 + 1000 *"
				    " CAST(substr(record_id, 4) AS INTEGER)"),
			 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name = 'ev_ts'"
				    " AND sql LIKE '%ts DESC, id DESC%'"),
			 1);
	walk_all(st);
	/* oldest first onto it: the index stays */
	load_n(st, "c.json", 300, N, raws);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name = 'ev_ts'"
				    " AND sql LIKE '%ts DESC, id DESC%'"),
			 1);
	walk_all(st);
	store_close(st);
	/* a new case oldest first: events(ts) */
	unlink(f->path);
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_n(st, "a.json", 0, N, raws);
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name = 'ev_ts'"
				    " AND sql = 'CREATE INDEX ev_ts ON events(ts)'"),
			 1);
	assert_int_equal(scalar(st, "SELECT max(id) FROM events"), N);
	walk_all(st);
	store_close(st);
	raws_free(raws, N);
}

/* Events from..to-1 as source path: client app absent from the first
 * 128 of every 256, on every other one of the next 64, then on all;
 * operation count absent from the first 192 of every 256 (whole groups
 * and rows of groups NULL: load_write.c's statements). */
static void source_nulls(struct store_load *ld, const char *path, char **raws, int from, int to)
{
	char *cause = NULL;
	struct sink sk;
	assert_int_equal(store_load_source(ld, path, 100, &cause), 0);
	store_load_sink(ld, &sk);
	for (int i = from; i < to; i++) {
		struct event ev;
		struct event_msg m;
		char id[32], app[32];
		make_event(&ev, &m, raws[i], i, id);
		int k = i % 256;
		if (k >= 192 || (k >= 128 && k % 2)) {
			snprintf(app, sizeof app, "app-%d", i % 7);
			ev.client_app = (struct sv){ app, strlen(app) };
		}
		ev.op_count = k < 192 ? -1 : i % 5;
		ev.line = (uint64_t)i;
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
}

/* The events of source_nulls whose columns are not what it gave */
static int64_t nulls_wrong(struct store *st)
{
	return scalar(st, "SELECT count(*) FROM events e LEFT JOIN vals a ON a.id = e.client_app"
			  " WHERE a.v IS NOT (CASE WHEN line % 256 >= 192 OR (line % 256 >= 128 AND line % 2)"
			  "   THEN 'app-' || (line % 7) END)"
			  " OR op_count IS NOT (CASE WHEN line % 256 >= 192 THEN line % 5 END)"
			  " OR ts != 1686909600000 + 1000 * line OR record_id != printf('id-%06d', line)"
			  " OR (SELECT v FROM vals WHERE id = e.user) != 'alice@contoso.com'"
			  " OR (SELECT v FROM vals WHERE id = e.op) != 'MailItemsAccessed'"
			  " OR kind != 0 OR source IS NULL OR flags IS NULL");
}

/* Values a log can be written to have alike where the batch's table
 * looks first (load_batch.c's batch_slot: the length, the first, middle
 * and last words): 300 user agents and 300 session ids of one length
 * that differ only between those words, each met many times in each
 * batch. Each is one value of the case and each event has its own,
 * whether the batch found it among its first slots or past them. */
static void test_batch_values_alike(void **state)
{
	struct case_dir *f = *state;
	enum { N = 3000, K = 300 };
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	assert_int_equal(store_load_source(ld, "alike.json", 10, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	for (int i = 0; i < N; i++) {
		struct event ev;
		memset(&ev, 0, sizeof ev);
		char rid[32], ua[80], sid[80];
		snprintf(rid, sizeof rid, "alike-%d", i);
		/* 64 bytes: "Client=X", 20 digits, "MIDDLE##" (bytes 28-35),
		 * the digits again, "ENDWORD!" */
		snprintf(ua, sizeof ua, "Client=X%020dMIDDLE##%020dENDWORD!", i % K, i % K);
		snprintf(sid, sizeof sid, "Session=%020dMIDDLE##%020dENDWORD!", (i * 7) % K, (i * 7) % K);
		assert_int_equal(strlen(ua), 64);
		ev.ts = 1686909600000LL + i;
		ev.record_id = (struct sv){ rid, strlen(rid) };
		ev.op = (struct sv){ "UserLoggedIn", 12 };
		ev.user = (struct sv){ "u@contoso.com", 13 };
		ev.client_info = (struct sv){ ua, strlen(ua) };
		ev.session = (struct sv){ sid, strlen(sid) };
		ev.raw = (struct sv){ "{}", 2 };
		ev.line = (uint64_t)i + 2;
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals WHERE v LIKE 'Client=X%ENDWORD!'"), K);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals WHERE v LIKE 'Session=%ENDWORD!'"), K);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals"),
			 scalar(st, "SELECT count(DISTINCT v) FROM vals"));
	assert_int_equal(scalar(st, "SELECT count(*) FROM events e JOIN vals c ON c.id = e.client_info"
				    " JOIN vals s ON s.id = e.session WHERE"
				    " c.v = printf('Client=X%020dMIDDLE##%020dENDWORD!', (e.line - 2) % 300,"
				    "              (e.line - 2) % 300)"
				    " AND s.v = printf('Session=%020dMIDDLE##%020dENDWORD!', (e.line - 2) * 7 % 300,"
				    "                  (e.line - 2) * 7 % 300)"),
			 N);
	store_close(st);
}

/* Groups with columns NULL in every row, some rows, none; into a case
 * whose events table has its columns in another order, then one with a
 * column the load does not know (its statement then names the load's
 * columns in their own order). */
static void test_group_columns(void **state)
{
	struct case_dir *f = *state;
	enum { N = 1024 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	struct store_load *ld = new_case_load(f->path, &st);
	source_nulls(ld, "a.json", raws, 0, 512);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), 512);
	assert_int_equal(nulls_wrong(st), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE client_app IS NULL"), 2 * 160);
	store_close(st);

	unlink(f->path);
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	assert_int_equal(sqlite_exec(st,
				     "PRAGMA legacy_alter_table=ON;"
				     "CREATE TABLE ev2(host INTEGER, line INTEGER NOT NULL, detail INTEGER,"
				     "  op_count INTEGER, client_app INTEGER, kind INTEGER NOT NULL,"
				     "  ts INTEGER NOT NULL, id INTEGER PRIMARY KEY, record_id TEXT NOT NULL,"
				     "  op INTEGER, rtype INTEGER, workload INTEGER, user INTEGER, app INTEGER,"
				     "  ip INTEGER, result INTEGER, session INTEGER, token INTEGER,"
				     "  mailbox INTEGER, access INTEGER, client_info INTEGER,"
				     "  flags INTEGER NOT NULL DEFAULT 0, source INTEGER NOT NULL);"
				     "DROP TABLE events; ALTER TABLE ev2 RENAME TO events;"
				     "PRAGMA legacy_alter_table=OFF;",
				     &cause),
			 0);
	load_n(st, "b.json", 0, 0, raws); /* (ev_ts again) */
	ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	source_nulls(ld, "c.json", raws, 0, 512);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), 512);
	assert_int_equal(nulls_wrong(st), 0);
	assert_int_equal(sqlite_exec(st, "ALTER TABLE events ADD COLUMN extra INTEGER", &cause), 0);
	ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	source_nulls(ld, "d.json", raws, 512, N);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_null(cause);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(nulls_wrong(st), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE client_app IS NULL"), 4 * 160);
	walk_all(st);
	store_close(st);
	raws_free(raws, N);
}

/* test_store --load-child CASE: load events 1..1999 into CASE (the other
 * process of test_second_open_keeps_locks); exit status 0 when done. */
static int load_child(const char *path)
{
	enum { N = 2000 };
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	if (store_open(path, 0, &st, &cause) < 0)
		return 3;
	struct store_load *ld = store_load_begin(st, &cause);
	if (!ld || store_load_source(ld, "b.json", 100, &cause) < 0)
		return 4;
	struct sink sk;
	store_load_sink(ld, &sk);
	for (int i = 1; i < N; i++) {
		struct event ev;
		struct event_msg m;
		char id[32];
		make_event(&ev, &m, raws[i], i, id);
		if (sk.event(sk.ctx, &ev, &cause) < 0)
			return 5;
	}
	if (store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause) < 0 ||
	    store_load_end(ld, &cause) < 0)
		return 6;
	store_close(st);
	raws_free(raws, N);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--load-child") == 0)
		return load_child(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dedup_raw_blocks, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_long_value_in_group, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_values_past_intern_map, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_killed_load_values, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_append_finds_case_values, case_dir_setup,
						case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_values_colliding_hashes, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_dedup_past_table_limit, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_dedup_past_filter_memory, case_dir_setup,
						case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_append_past_table_memory, case_dir_setup,
						case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_admin_blocks, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_admin_runs, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_admin_only_commits, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_rejects_verbatim, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_case, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_killed_load, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_killed_append, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_events_count_kept, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_open_mid_commit, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_second_open_keeps_locks, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_rid_index_after_mark_in_load, case_dir_setup,
						case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_secure_delete_in_load, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_conflict_in_one_load, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_summary_after_commit, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_query_terms, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_message_list_text, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_message_list_sweep, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_message_blocks, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_message_blocks_replaced, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_message_blocks_of_schema_8, case_dir_setup,
						case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_new_values_not_looked_up, case_dir_setup,
						case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_replace_last_event, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_ids_and_ts_order, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_group_columns, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_batch_values_alike, case_dir_setup, case_dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
