/*
 * test_seen_raw.c: a richer copy of a record from another source replaces
 * the stored event, and the replaced copy's raw record stays in the case,
 * readable through store_event_seen's raw id (schema 17): byte for byte,
 * along a chain of replacements, across loads and within one; a case of
 * schema 16 reads "not kept" as it is and gets the column when converted.
 */
#include "testutil.h"

#include <sqlite3.h>

#include "ingest.h"
#include "sqlite/sqlite_store.h"
#include "store.h"

/* The same record three times, each copy telling more. */
static const char *const copies[] = {
	"{\"CreationTime\":\"2021-08-02T13:32:07\",\"Id\":\"rec-1\",\"Operation\":\"MailItemsAccessed\","
	"\"UserId\":\"u@x.com\",\"Marker\":\"FIRST\"}\n",
	"{\"CreationTime\":\"2021-08-02T13:32:07\",\"Id\":\"rec-1\",\"Operation\":\"MailItemsAccessed\","
	"\"UserId\":\"u@x.com\",\"ClientIP\":\"1.2.3.4\",\"Workload\":\"Exchange\",\"Marker\":\"SECOND\"}\n",
	"{\"TimeGenerated\":\"2021-08-02T13:32:07Z\",\"OfficeId\":\"rec-1\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":\"50\",\"OfficeWorkload\":\"Exchange\",\"UserId\":\"u@x.com\",\"Client_IPAddress\":\"1.2.3.4\","
	"\"SessionId\":\"s-9\",\"ClientAppId\":\"app-1\",\"AppId\":\"app-2\",\"MailboxOwnerUPN\":\"u@x.com\","
	"\"ResultStatus\":\"Succeeded\",\"Marker\":\"THIRD\"}\n",
};

struct seen {
	int n;
	char path[8][256];
	int64_t line[8], raw[8];
};

static int grab(const char *path, int64_t line, int64_t raw, void *ctx)
{
	struct seen *s = ctx;
	if (s->n < 8) {
		snprintf(s->path[s->n], sizeof s->path[0], "%s", path);
		s->line[s->n] = line;
		s->raw[s->n] = raw;
	}
	s->n++;
	return 0;
}

static char *file_of(const char *dir, int k)
{
	char name[32];
	snprintf(name, sizeof name, "copy%d.jsonl", k + 1);
	return write_file(dir, name, copies[k], strlen(copies[k]));
}

/* Load copies[k..] (one load each when apart, else one load of all). */
static void load(struct store *st, const char *dir, int from, int to, bool apart)
{
	const char *paths[3];
	size_t n = 0;
	for (int k = from; k <= to; k++)
		paths[n++] = file_of(dir, k);
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	char *cause = NULL;
	if (apart) {
		for (size_t i = 0; i < n; i++)
			assert_int_equal(ingest_paths(st, &paths[i], 1, &o, &t, &cause), 0);
	} else {
		assert_int_equal(ingest_paths(st, paths, n, &o, &t, &cause), 0);
	}
	for (size_t i = 0; i < n; i++)
		free((char *)paths[i]);
}

static int64_t the_event(struct store *st)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id FROM events", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t id = sqlite3_column_int64(q, 0);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	return id;
}

/* The raw record under id is copies[k] without its newline, exactly. */
static void expect_raw(struct store *st, int64_t id, int k)
{
	size_t len;
	char *t = store_raw(st, id, &len);
	assert_non_null(t);
	assert_int_equal(len, strlen(copies[k]) - 1);
	assert_memory_equal(t, copies[k], len);
	free(t);
}

static void chain(bool apart)
{
	char *dir = tmpdir_new();
	char path[4096];
	snprintf(path, sizeof path, "%s/c.case", dir);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &st, &cause), 0);
	load(st, dir, 0, 2, apart);
	int64_t ev = the_event(st);
	expect_raw(st, ev, 2); /* the richest copy is the event */
	struct seen s = { 0 };
	assert_int_equal(store_event_seen(st, ev, grab, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_non_null(strstr(s.path[0], "copy1.jsonl"));
	assert_non_null(strstr(s.path[1], "copy2.jsonl"));
	assert_int_equal(s.line[0], 1);
	assert_true(s.raw[0] > 0 && s.raw[1] > 0 && s.raw[0] != s.raw[1]);
	expect_raw(st, s.raw[0], 0);
	expect_raw(st, s.raw[1], 1);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

static void test_chain_apart(void **state)
{
	(void)state;
	chain(true);
}

static void test_chain_one_load(void **state)
{
	(void)state;
	chain(false);
}

/* A poorer copy after a richer one is only noted: no raw kept. */
static void test_poorer_not_kept(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char path[4096];
	snprintf(path, sizeof path, "%s/c.case", dir);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &st, &cause), 0);
	load(st, dir, 2, 2, true);
	load(st, dir, 0, 0, true);
	int64_t ev = the_event(st);
	expect_raw(st, ev, 2);
	struct seen s = { 0 };
	assert_int_equal(store_event_seen(st, ev, grab, &s, NULL), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.raw[0], 0);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* A case of schema 16 (no seen.raw): read as it is, the copies are "not
 * kept"; converted, the column is there and the next replacement keeps. */
static void test_schema_16(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char path[4096];
	snprintf(path, sizeof path, "%s/c.case", dir);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(path, STORE_CREATE, &st, &cause), 0);
	load(st, dir, 0, 1, true);
	assert_int_equal(sqlite3_exec(store_db(st),
				      "UPDATE seen SET raw = NULL; ALTER TABLE seen DROP COLUMN raw; PRAGMA user_version=16;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(st);
	assert_int_equal(store_open(path, STORE_READONLY, &st, &cause), 0);
	struct seen s = { 0 };
	assert_int_equal(store_event_seen(st, the_event(st), grab, &s, NULL), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.raw[0], 0);
	store_close(st);
	assert_int_equal(store_open(path, 0, &st, &cause), 0);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 17);
	sqlite3_finalize(q);
	load(st, dir, 2, 2, true);
	int64_t ev = the_event(st);
	memset(&s, 0, sizeof s);
	assert_int_equal(store_event_seen(st, ev, grab, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.raw[0], 0); /* copy 1's: gone before the conversion */
	expect_raw(st, s.raw[1], 1);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_apart),
		cmocka_unit_test(test_chain_one_load),
		cmocka_unit_test(test_poorer_not_kept),
		cmocka_unit_test(test_schema_16),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
