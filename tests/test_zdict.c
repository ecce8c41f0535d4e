/*
 * test_zdict.c: raw blocks compressed with a dictionary trained per load
 * (schema 10, core/sqlite/load_blocks.c, read in record.c): every record
 * and message list reads back byte for byte, through store_raw,
 * raw_each, raw_json() and the messages; appends train their own; a
 * case of schema 9 is read as it is and converted by a load; a load
 * killed by SIGKILL after its dictionary is in use leaves a case whose
 * blocks all read and that a second load completes; a damaged or
 * missing dictionary is one error naming the case and the block; the
 * dictionary's blocks keep their literals Huffman-coded.
 */
#include "testutil.h"

#include <zstd.h>

#include "ingest.h"
#include "store.h"
#include "sqlite/sqlite_store.h"
#include "load_kill.h"
#include "sql_util.h"

/* records a load needs before its dictionary is trained (4 MB of them,
 * about 4,000 of raw_for's), and enough after it */
enum { N = 12000 };

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* A UAL-shaped record of about 1 KB for event i: what repeats from
 * record to record (names, users, agents, the tenant) and what does not
 * (ids, tokens, times), as in a real export. */
static char *raw_for(int i)
{
	static const char *const agents[] = {
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0",
		"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.16529; Pro)",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
		"python-requests/2.31.0",
	};
	uint64_t a = mix((uint64_t)i + 1), b = mix(a), c = mix(b);
	char *s = malloc(2048);
	snprintf(s, 2048,
		 "{\"AppAccessContext\":{\"AADSessionId\":\"%08x-%04x-4%03x-a%03x-%012llx\","
		 "\"UniqueTokenId\":\"%016llx\"},\"CreationTime\":\"2023-06-%02dT%02d:%02d:%02d\","
		 "\"Id\":\"%016llx-%016llx\",\"Operation\":\"MailItemsAccessed\","
		 "\"OrganizationId\":\"4c7c8fff-b845-4ca7-84f6-565ab6a1ff6a\",\"RecordType\":50,"
		 "\"ResultStatus\":\"Succeeded\",\"UserKey\":\"1003%012llX\",\"UserType\":0,\"Version\":1,"
		 "\"Workload\":\"Exchange\",\"ClientIPAddress\":\"203.0.%d.%d\",\"UserId\":\"user%d@contoso.com\","
		 "\"AppId\":\"00000002-0000-0ff1-ce00-000000000000\",\"ClientAppId\":\"%s\","
		 "\"ClientInfoString\":\"Client=OWA;%s;build=%016llx%016llx%016llx;\",\"ExternalAccess\":false,"
		 "\"InternalLogonType\":0,\"LogonType\":0,\"LogonUserSid\":\"S-1-5-21-%u-%u-%u-%u\","
		 "\"MailboxGuid\":\"%08x-1c2d-4e5f-8a9b-%012llx\",\"MailboxOwnerUPN\":\"user%d@contoso.com\","
		 "\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"%s\"},"
		 "{\"Name\":\"IsThrottled\",\"Value\":\"False\"}],\"OperationCount\":%d,"
		 "\"Folders\":[{\"Id\":\"LgAAAA%016llx\",\"Path\":\"\\\\Inbox\",\"FolderItems\":"
		 "[{\"InternetMessageId\":\"<%s%llx@contoso.com>\",\"SizeInBytes\":%d}]}]}",
		 (unsigned)a, (unsigned)(a >> 32) & 0xffff, (unsigned)(b & 0xfff), (unsigned)(b >> 12) & 0xfff,
		 (unsigned long long)(c & 0xffffffffffffULL), (unsigned long long)b, 1 + i % 28,
		 i / 3600 % 24, i / 60 % 60, i % 60, (unsigned long long)a, (unsigned long long)c,
		 (unsigned long long)(mix((uint64_t)((i * 7919 % 1000))) & 0xffffffffffffULL), (int)(a % 4),
		 (int)(b % 250), (i * 7919 % 1000),
		 i % 3 ? "5e3ce6c0-2b1f-4285-8d4b-75ee78787346" : "27922004-5251-4030-b22d-91ecd9a37ea4",
		 agents[i % 4], (unsigned long long)mix((uint64_t)(i * 7919 % 1000) + 11),
		 (unsigned long long)mix((uint64_t)(i * 7919 % 1000) + 12),
		 (unsigned long long)mix((uint64_t)(i * 7919 % 1000) + 13), 1004336348u,
		 (unsigned)(mix((uint64_t)((i * 7919 % 1000))) % 1000000000u), 682003330u,
		 1000u + (unsigned)((i * 7919 % 1000)), (unsigned)mix((uint64_t)((i * 7919 % 1000))),
		 (unsigned long long)(mix((uint64_t)((i * 7919 % 1000)) + 7) & 0xffffffffffffULL),
		 (i * 7919 % 1000), i % 5 ? "Bind" : "Sync", 1 + (int)(c % 9),
		 (unsigned long long)mix((uint64_t)((i * 7919 % 1000)) + 9), i % 2 ? "DM6PR" : "SN4PR",
		 (unsigned long long)c, 1000 + (int)(a % 90000));
	return s;
}

static char **raws_new(int n)
{
	char **raws = calloc((size_t)n, sizeof *raws);
	assert_non_null(raws);
	for (int i = 0; i < n; i++)
		raws[i] = raw_for(i);
	return raws;
}

static void raws_free(char **raws, int n)
{
	for (int i = 0; i < n; i++)
		free(raws[i]);
	free(raws);
}

/* Event i: record id rec-i, one message <mi@x> (none for every third). */
static void feed(struct sink *sk, char **raws, int from, int to, bool rich)
{
	char *cause = NULL;
	for (int i = from; i < to; i++) {
		struct event ev;
		struct event_msg m;
		char id[32], mid[32];
		memset(&ev, 0, sizeof ev);
		snprintf(id, sizeof id, "rec-%06d", i);
		snprintf(mid, sizeof mid, "<m%d@x>", i);
		ev.ts = 1686909600000LL + i * 1000LL;
		ev.record_id = (struct sv){ id, strlen(id) };
		ev.op = (struct sv){ "MailItemsAccessed", 17 };
		ev.user = (struct sv){ "alice@contoso.com", 17 };
		ev.raw = (struct sv){ raws[i], strlen(raws[i]) };
		ev.line = (uint64_t)i + 1;
		if (rich)
			ev.client_app = (struct sv){ "Outlook", 7 };
		m.folder = (struct sv){ "\\Inbox", 6 };
		m.msgid = (struct sv){ mid, strlen(mid) };
		m.size = i;
		ev.msgs = &m;
		ev.nmsgs = i % 3 ? 1 : 0;
		assert_int_equal(sk->event(sk->ctx, &ev, &cause), 0);
	}
}

static void load_range(struct store *st, const char *src, char **raws, int from, int to, bool rich)
{
	char *cause = NULL;
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	assert_int_equal(store_load_source(ld, src, 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, from, to, rich);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_null(cause);
}

/* The dictionary id each raw block's frame names, counted: blocks with
 * dictionary id (0: without one). */
static int64_t blocks_with(struct store *st, uint32_t id)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT data FROM rawblocks", -1, &q, NULL),
			 SQLITE_OK);
	int64_t n = 0;
	while (sqlite3_step(q) == SQLITE_ROW)
		n += ZSTD_getDictID_fromFrame(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0)) ==
		     id;
	sqlite3_finalize(q);
	return n;
}

/* The compressed bytes per event of the blocks with dictionary id. */
static int64_t bytes_per_event(struct store *st, uint32_t id)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT n, data FROM rawblocks", -1, &q, NULL),
			 SQLITE_OK);
	int64_t bytes = 0, n = 0;
	while (sqlite3_step(q) == SQLITE_ROW)
		if (ZSTD_getDictID_fromFrame(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1)) ==
		    id) {
			bytes += sqlite3_column_bytes(q, 1);
			n += sqlite3_column_int64(q, 0);
		}
	sqlite3_finalize(q);
	assert_true(n > 0);
	return bytes / n;
}

/* The first event of the first block compressed with dictionary id. */
static int64_t first_block_with(struct store *st, uint32_t id)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id, data FROM rawblocks ORDER BY id", -1,
					    &q, NULL),
			 SQLITE_OK);
	int64_t first = -1;
	while (first < 0 && sqlite3_step(q) == SQLITE_ROW)
		if (ZSTD_getDictID_fromFrame(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1)) ==
		    id)
			first = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return first;
}

struct each {
	char **raws;
	int64_t next; /* the next id expected */
	int64_t n;
};

static int on_raw(void *ctx, int64_t id, const char *raw, size_t len)
{
	struct each *e = ctx;
	assert_int_equal(id, e->next);
	assert_int_equal(len, strlen(e->raws[id - 1]));
	assert_memory_equal(raw, e->raws[id - 1], len);
	e->next++;
	e->n++;
	return 0;
}

/* Events 1..n are records 0..n-1: each reads back exactly, one at a time
 * (backwards: a block decompressed per record) and in order. */
static void check_all(struct store *st, char **raws, int n)
{
	for (int i = n - 1; i >= 0; i -= 7) {
		size_t len = 0;
		char *r = store_raw(st, i + 1, &len);
		assert_non_null(r);
		assert_int_equal(len, strlen(raws[i]));
		assert_memory_equal(r, raws[i], len);
		free(r);
	}
	int64_t *ids = malloc((size_t)n * sizeof *ids);
	for (int i = 0; i < n; i++)
		ids[i] = i + 1;
	struct each e = { raws, 1, 0 };
	char *cause = NULL;
	assert_int_equal(store_raw_each(st, ids, (size_t)n, on_raw, &e, &cause), 0);
	assert_int_equal(e.n, n);
	free(ids);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE json_valid(raw_json(id))"), n);
	/* every list: the messages of every event not a multiple of 3 */
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), n - (n + 2) / 3);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages WHERE msgid = '<m' || (event - 1) || '@x>'"),
			 n - (n + 2) / 3);
}

static void test_round_trip_and_append(void **state)
{
	struct case_dir *f = *state;
	char **raws = raws_new(2 * N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_range(st, "a.json", raws, 0, N, false);
	/* one dictionary; the blocks before it was trained go without */
	assert_int_equal(scalar(st, "SELECT count(*) FROM zdicts"), 1);
	assert_int_equal(scalar(st, "SELECT id FROM zdicts"), 1);
	int64_t with = blocks_with(st, 1), without = blocks_with(st, 0);
	assert_true(with > 0);
	assert_true(without > 0);
	assert_int_equal(with + without, scalar(st, "SELECT count(*) FROM rawblocks"));
	/* and it pays: a block with it takes less per event than one without */
	assert_true(bytes_per_event(st, 1) * 100 < bytes_per_event(st, 0) * 90);
	check_all(st, raws, N);
	store_close(st);

	/* reopened: the dictionary is read from the case */
	assert_int_equal(store_open(f->path, STORE_READONLY, &st, &cause), 0);
	check_all(st, raws, N);
	store_close(st);

	/* an append trains its own (id 2); duplicates of the first load
	 * with a richer copy replace theirs, from the second's blocks */
	assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
	load_range(st, "b.json", raws, N, 2 * N, false);
	assert_int_equal(scalar(st, "SELECT count(*) FROM zdicts WHERE id IN (1, 2)"), 2);
	assert_true(blocks_with(st, 2) > 0);
	check_all(st, raws, 2 * N);
	/* richer copies of records in blocks without the dictionary and in
	 * blocks with it (the load compares the stored copy's raw record) */
	load_range(st, "c.json", raws, 100, 150, true);
	load_range(st, "d.json", raws, N - 50, N, true);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), 2 * N);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE client_app IS NOT NULL"), 100);
	assert_int_equal(scalar(st, "SELECT sum(duplicates) FROM sources WHERE path IN ('c.json', 'd.json')"),
			 100);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st),
					    "SELECT record_id, raw_json(id) FROM events WHERE client_app IS NOT NULL",
					    -1, &q, NULL),
			 SQLITE_OK);
	int seen = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		int i = atoi((const char *)sqlite3_column_text(q, 0) + 4);
		assert_string_equal((const char *)sqlite3_column_text(q, 1), raws[i]);
		seen++;
	}
	sqlite3_finalize(q);
	assert_int_equal(seen, 100);
	assert_int_equal(scalar(st, "SELECT count(*) FROM messages"), 2 * N - (2 * N + 2) / 3);
	store_close(st);
	raws_free(raws, 2 * N);
}

/* Records longer than a block's window (load_blocks.c compresses a
 * block with the dictionary in a window right after it, with room for a
 * block of usual size): their blocks are compressed where they are, and
 * every record still reads back. The last two records, each then a block
 * of its own; the last block is compressed with the dictionary whatever
 * the speed of its training (the newest waits for it). */
static void test_record_past_the_window(void **state)
{
	struct case_dir *f = *state;
	char **raws = raws_new(N);
	static const size_t lens[] = { (size_t)5 << 18, (size_t)3 << 19 }; /* 1.25, 1.5 MB */
	for (int k = 0; k < 2; k++) {
		size_t len = lens[k];
		char *s = malloc(len + 1);
		assert_non_null(s);
		memcpy(s, "{\"Pad\":\"", 8);
		uint64_t x = (uint64_t)k + 1;
		for (size_t i = 8; i < len - 2; i++) {
			x = mix(x + i);
			/* runs that repeat, and bytes that do not */
			s[i] = (char)('a' + (i % 64 < 8 ? (int)(x % 26) : (int)(i / 64 % 26)));
		}
		memcpy(s + len - 2, "\"}", 3);
		free(raws[N - 2 + k]);
		raws[N - 2 + k] = s;
	}
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_range(st, "a.json", raws, 0, N, false);
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) || ' ' || sum(n) FROM rawblocks WHERE id >= %d", N - 1);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "2 2");
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT data FROM rawblocks WHERE id = ?", -1, &q,
					    NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(q, 1, N);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(ZSTD_getDictID_fromFrame(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0)),
			 1);
	sqlite3_finalize(q);
	check_all(st, raws, N);
	store_close(st);
	raws_free(raws, N);
}

/* The kinds of literals (zstd's Literals_Block_Type: 0 raw, 1 RLE, 2
 * Huffman-coded, 3 Huffman with the previous table) of the compressed
 * blocks of a frame, counted into kinds; false if the frame does not
 * add up (RFC 8878: a frame is its header, then blocks of a 3-byte
 * header each, then an optional checksum). */
static bool frame_literals(const unsigned char *p, size_t n, int kinds[4])
{
	static const size_t did_len[4] = { 0, 1, 2, 4 }, fcs_len[4] = { 0, 2, 4, 8 };
	if (n < 6 || ZSTD_getFrameContentSize(p, n) == ZSTD_CONTENTSIZE_ERROR)
		return false;
	unsigned fhd = p[4], single = (fhd >> 5) & 1;
	size_t pos = 5 + !single + did_len[fhd & 3] + (fhd >> 6 ? fcs_len[fhd >> 6] : single);
	for (;;) {
		if (pos + 3 > n)
			return false;
		uint32_t bh = (uint32_t)p[pos] | (uint32_t)p[pos + 1] << 8 | (uint32_t)p[pos + 2] << 16;
		pos += 3;
		unsigned type = (bh >> 1) & 3;
		size_t size = bh >> 3;
		if (type == 2) {
			if (size == 0 || pos >= n)
				return false;
			kinds[p[pos] & 3]++;
		}
		pos += type == 1 ? 1 : size;
		if (bh & 1)
			break;
	}
	if (p[4] & 4) /* Content_Checksum_flag */
		pos += 4;
	return pos == n;
}

/* The blocks compressed with the dictionary take fast's longer step
 * (load_blocks.c, dict_cparams), which in zstd also turns the literals'
 * Huffman coding off unless the compressor keeps it on: blocks of JSON
 * with raw literals take about 28% more. Every compressed zstd block of
 * the dictionary's frames (128 KB each) has its literals coded, and the
 * dictionary still pays. */
static void test_dictionary_literals_coded(void **state)
{
	struct case_dir *f = *state;
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	/* the dictionary trained before the second half: its blocks many
	 * whatever the machine's speed */
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	assert_int_equal(store_load_source(ld, "a.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, 0, N / 2, false);
	assert_int_equal(store_load_sync(ld, &cause), 0);
	sqlite_load_zdict_wait(ld);
	feed(&sk, raws, N / 2, N, false);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT data FROM rawblocks", -1, &q, NULL),
			 SQLITE_OK);
	int kinds[4] = { 0, 0, 0, 0 }, frames = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(q, 0);
		size_t n = (size_t)sqlite3_column_bytes(q, 0);
		if (ZSTD_getDictID_fromFrame(p, n) != 1)
			continue;
		assert_true(frame_literals(p, n, kinds));
		frames++;
	}
	sqlite3_finalize(q);
	assert_true(frames >= 5);
	/* 8 zstd blocks a 1 MB frame, the last frame's fewer */
	assert_true(kinds[2] + kinds[3] >= 8 * (frames - 1));
	assert_int_equal(kinds[0], 0);
	assert_int_equal(kinds[1], 0);
	assert_true(bytes_per_event(st, 1) * 100 < bytes_per_event(st, 0) * 90);
	check_all(st, raws, N);
	store_close(st);
	raws_free(raws, N);
}

/* Commits every 256 events while the dictionary trains (a pivot
 * window's end, a writer's clock): their newest blocks go without it
 * rather than wait for the training (load_blocks.c), but the load's last
 * block waits for it, so that a load just past the records a dictionary
 * needs uses it at least there; and no block is lost on the way: every
 * event's record in exactly one block, every record read back. */
enum { NTRAIN = 5500 };
static void test_commits_while_training(void **state)
{
	struct case_dir *f = *state;
	char **raws = raws_new(NTRAIN);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	store_load_set_batch(ld, 256);
	assert_int_equal(store_load_source(ld, "a.json", 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	feed(&sk, raws, 0, NTRAIN, false);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM zdicts"), 1);
	/* blocks of every commit: many, those before the training without */
	int64_t blocks = scalar(st, "SELECT count(*) FROM rawblocks");
	assert_true(blocks >= NTRAIN / 256);
	assert_true(blocks_with(st, 0) > 0);
	assert_true(blocks_with(st, 1) > 0);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT data FROM rawblocks ORDER BY id DESC LIMIT 1",
					    -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(ZSTD_getDictID_fromFrame(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0)),
			 1);
	sqlite3_finalize(q);
	/* one block for each event: consecutive, none missing, none twice */
	assert_int_equal(scalar(st, "SELECT sum(n) FROM rawblocks"), NTRAIN);
	assert_int_equal(scalar(st, "SELECT count(*) FROM rawblocks a JOIN rawblocks b"
				    " ON b.id = (SELECT min(id) FROM rawblocks WHERE id > a.id)"
				    " WHERE b.id <> a.id + a.n"),
			 0);
	assert_int_equal(scalar(st, "SELECT min(id) FROM rawblocks"), 1);
	check_all(st, raws, NTRAIN);
	store_close(st);
	raws_free(raws, NTRAIN);
}

/* A case of schema 9 (no zdicts; made here from a load too small for a
 * dictionary): read as it is read-only, converted by a load whose blocks
 * then use a dictionary, both loads' records read. */
static void test_schema_9_case(void **state)
{
	struct case_dir *f = *state;
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_range(st, "a.json", raws, 0, 600, false);
	assert_int_equal(scalar(st, "SELECT count(*) FROM zdicts"), 0); /* too small for one */
	assert_int_equal(sqlite3_exec(store_db(st), "DROP TABLE zdicts; PRAGMA user_version=9;", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	store_close(st);
	assert_int_equal(store_open(f->path, STORE_READONLY, &st, &cause), 0);
	check_all(st, raws, 600);
	assert_int_equal(scalar(st, "PRAGMA user_version"), 9);
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_schema WHERE name = 'zdicts'"), 0);
	store_close(st);
	assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
	assert_int_equal(scalar(st, "PRAGMA user_version"), 17);
	load_range(st, "b.json", raws, 600, N, false);
	assert_int_equal(scalar(st, "SELECT count(*) FROM zdicts"), 1);
	assert_true(blocks_with(st, 1) > 0);
	check_all(st, raws, N);
	store_close(st);
	raws_free(raws, N);
}

/* events 0..KILL_AT-1 of test_killed_load_resumed (load_kill.h): the
 * dictionary trained (sampled from the blocks of the first 4,000 or so,
 * committed by then) before the events from KILL_TRAINED on, so that the
 * blocks of the commits after it use it whatever the speed of the
 * training (a commit's newest block does not wait for it: load_blocks.c) */
enum { KILL_AT = 9500, KILL_TRAINED = 6000 };
struct kill_feed {
	char **raws;
	struct store_load *ld;
};
static void kill_prep(struct store_load *ld, void *ctx)
{
	((struct kill_feed *)ctx)->ld = ld;
}
static void feed_to_kill(struct sink *sk, void *ctx)
{
	struct kill_feed *k = ctx;
	char *cause = NULL;
	feed(sk, k->raws, 0, KILL_TRAINED, false);
	if (store_load_sync(k->ld, &cause) < 0)
		_exit(8); /* (the child: load_kill_run says how it ended) */
	sqlite_load_zdict_wait(k->ld);
	feed(sk, k->raws, KILL_TRAINED, KILL_AT, false);
}

/* Killed after its dictionary is in use (nine commits of 1000 events, the
 * dictionary trained after about 4,000): what was committed reads, the
 * dictionary with it; the second load completes the source. */
static void test_killed_load_resumed(void **state)
{
	struct case_dir *f = *state;
	char **raws = raws_new(N);
	struct kill_feed kf = { raws, NULL };
	load_kill_run(
		&(struct load_kill){ f->path, STORE_CREATE, 1000, "big.json", kill_prep, feed_to_kill, &kf });
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
	assert_int_equal(store_ensure_indexes(st, &cause), 0);
	/* a commit at least every 1000 events (the batch), and more often
	 * when the writer's clock says so (a slow machine: 8,873 seen), so
	 * within one batch of where it was killed */
	int64_t n = scalar(st, "SELECT count(*) FROM events");
	assert_in_range(n, KILL_AT - 1000, KILL_AT);
	assert_int_equal(scalar(st, "SELECT sum(n) FROM rawblocks"), n);
	assert_int_equal(scalar(st, "SELECT count(*) FROM zdicts"), 1);
	assert_true(blocks_with(st, 1) > 0);
	check_all(st, raws, (int)n);
	load_range(st, "big.json", raws, 0, N, false);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), N);
	assert_int_equal(scalar(st, "SELECT duplicates FROM sources WHERE id = 2"), n);
	/* the resumed load's few thousand new records are too few for one */
	assert_int_equal(scalar(st, "SELECT count(*) FROM zdicts"), 1);
	check_all(st, raws, N);
	store_close(st);
	raws_free(raws, N);
}

/* The error of every reader of a dictionary block, and that the blocks
 * without one still read. */
static void check_broken(struct store *st, const char *want, int64_t block, int64_t plain)
{
	size_t len = 0;
	char *r = store_raw(st, block, &len);
	assert_null(r);
	r = store_raw(st, plain, &len);
	assert_non_null(r);
	free(r);
	char *cause = NULL;
	int64_t ids[] = { block };
	struct each e = { NULL, 0, 0 };
	assert_int_equal(store_raw_each(st, ids, 1, on_raw, &e, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
	const char *sql[] = { "SELECT raw_json(?)", "SELECT msg_items(?)",
			      "SELECT count(*) FROM messages WHERE event = ?" };
	for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_prepare_v2(store_db(st), sql[i], -1, &q, NULL), SQLITE_OK);
		sqlite3_bind_int64(q, 1, block + 1); /* (block + 1 has a message) */
		assert_int_equal(sqlite3_step(q), SQLITE_ERROR);
		/* (without the case's path, which the statement's caller adds) */
		assert_string_equal(sqlite3_errmsg(store_db(st)), want + strlen(store_path(st)) + 2);
		sqlite3_finalize(q);
	}
}

static void test_damaged_dictionary(void **state)
{
	struct case_dir *f = *state;
	char **raws = raws_new(N);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(f->path, STORE_CREATE, &st, &cause), 0);
	load_range(st, "a.json", raws, 0, N, false);
	int64_t block = first_block_with(st, 1);
	assert_true(block > 1);
	/* one byte changed in the middle of the row */
	assert_int_equal(sqlite3_exec(store_db(st),
				      "UPDATE zdicts SET data = substr(data, 1, length(data) / 2) ||"
				      " CASE WHEN substr(data, length(data) / 2 + 1, 1) = x'55' THEN x'aa' ELSE x'55' END"
				      " || substr(data, length(data) / 2 + 2)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(st);
	char want[512];
	snprintf(want, sizeof want, "%s: raw block %lld: its dictionary 1 is damaged", f->path,
		 (long long)block);
	assert_int_equal(store_open(f->path, STORE_READONLY, &st, &cause), 0);
	check_broken(st, want, block, 1);
	store_close(st);
	/* cut short, and gone */
	const char *how[] = { "UPDATE zdicts SET data = substr(data, 1, 40)", "DELETE FROM zdicts" };
	const char *what[] = { "damaged", "missing" };
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(store_open(f->path, 0, &st, &cause), 0);
		assert_int_equal(sqlite3_exec(store_db(st), how[i], NULL, NULL, NULL), SQLITE_OK);
		store_close(st);
		snprintf(want, sizeof want, "%s: raw block %lld: its dictionary 1 is %s", f->path,
			 (long long)block, what[i]);
		assert_int_equal(store_open(f->path, STORE_READONLY, &st, &cause), 0);
		check_broken(st, want, block, 1);
		store_close(st);
	}
	raws_free(raws, N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_and_append, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_record_past_the_window, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_dictionary_literals_coded, case_dir_setup,
						case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_commits_while_training, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_schema_9_case, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_killed_load_resumed, case_dir_setup, case_dir_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_dictionary, case_dir_setup, case_dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
