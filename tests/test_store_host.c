/*
 * test_store_host.c: host names in a case (issue 12): loaded into their
 * own column, found by the host filter (=, ~, any case, empty), read
 * back in rows and stacked; and a case from before the column (schema 4)
 * opens, read-only as it is and writable with the column added.
 */
#include "testutil.h"

#include <sqlite3.h>

#include "ingest.h"
#include "query.h"
#include "stack.h"
#include "store.h"

struct hcase {
	char *dir, *path, *src;
	struct store *st;
};

/* Records with ' for ". */
static const char records[] =
	"{'CreationTime':'2024-03-01T10:00:00','Id':'h1','Operation':'MailItemsAccessed',"
	"'ClientIP':'cool.client.local:12345'}\n"
	"{'CreationTime':'2024-03-01T10:01:00','Id':'h2','Operation':'MailItemsAccessed','ClientIP':'localhost:12345'}\n"
	"{'CreationTime':'2024-03-01T10:02:00','Id':'h3','Operation':'MailItemsAccessed','ClientIP':'127.0.0.1:12345'}\n"
	"{'CreationTime':'2024-03-01T10:03:00','Id':'h4','Operation':'MailItemsAccessed','ClientIP':'XX.XX.XX.XX'}\n"
	"{'CreationTime':'2024-03-01T10:04:00','Id':'h5','Operation':'MailItemsAccessed','ClientIP':'COOL.client.local'}\n"
	"{'CreationTime':'2024-03-01T10:05:00','Id':'h6','Operation':'Send','ClientIP':'203.0.113.9:443',"
	"'ClientIPAddress':'relay.corp.example'}\n";

static void load(struct hcase *c, const char *body)
{
	char *d = strdup(body);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	free(c->src);
	c->src = write_file(c->dir, "h.jsonl", d, strlen(d));
	free(d);
	const char *paths[] = { c->src };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	char *cause = NULL;
	if (ingest_paths(c->st, paths, 1, &o, &t, &cause) != 0)
		fail_msg("load: %s", cause);
	free(cause);
}

static void open_case(struct hcase *c, int flags)
{
	char *cause = NULL;
	struct store *st = NULL; /* not &c->st: the analyzer would forget c's other fields */
	if (store_open(c->path, flags, &st, &cause) != 0)
		fail_msg("open %s: %s", c->path, cause);
	free(cause);
	c->st = st;
}

static void make_case(struct hcase *c)
{
	memset(c, 0, sizeof *c);
	c->dir = tmpdir_new();
	if (!c->dir)
		fail_msg("no temporary directory");
	size_t n = strlen(c->dir) + 16;
	c->path = malloc(n);
	assert_non_null(c->path);
	snprintf(c->path, n, "%s/h.case", c->dir);
	open_case(c, STORE_CREATE);
	load(c, records);
}

static void drop_case(struct hcase *c)
{
	store_close(c->st);
	tmpdir_remove(c->dir);
	free(c->dir);
	free(c->path);
	free(c->src);
}

static int64_t count(struct store *st, const char *filter)
{
	char *cause = NULL;
	int64_t n = query_count_text(st, filter, &cause);
	if (n < 0)
		fail_msg("filter %s: %s", filter, cause);
	return n;
}

static void eq(const char *got, const char *want)
{
	if (!want) {
		if (got)
			fail_msg("\"%s\", expected absent", got);
		return;
	}
	if (!got)
		fail_msg("absent, expected \"%s\"", want);
	if (strcmp(got, want) != 0)
		fail_msg("\"%s\", expected \"%s\"", got, want);
}

/* The rows of a filter, oldest first: their (ip, host) pairs. */
static void expect_rows(struct store *st, const char *filter, size_t n, const char *const want[][2])
{
	struct query *q = NULL;
	char *cause = NULL;
	if (query_new(st, filter, &q, &cause) != 0)
		fail_msg("filter %s: %s", filter, cause);
	struct query_page p = { 0 };
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 100, &p, &cause), 0);
	if (p.n != n)
		fail_msg("%s: %zu rows, expected %zu", filter, p.n, n);
	for (size_t i = 0; i < n; i++) {
		eq(p.rows[i].ip, want[i][0]);
		eq(p.rows[i].host, want[i][1]);
		eq(query_row_get(&p.rows[i], "host"), want[i][1]);
	}
	query_page_free(&p);
	query_free(q);
}

/* "value:events" of each stack row, most events first (ties by value). */
static void expect_stack(struct store *st, const char *filter, const char *want)
{
	struct query *q = NULL;
	char *cause = NULL;
	if (query_new(st, filter, &q, &cause) != 0)
		fail_msg("filter %s: %s", filter, cause);
	const char *fields[] = { "host" };
	struct stack s = { 0 };
	if (stack_fields(q, fields, 1, STACK_BY_VALUE, false, -1, &s, &cause) != 0)
		fail_msg("stack host: %s", cause);
	char got[512] = "";
	for (size_t i = 0; i < s.n; i++) {
		size_t l = strlen(got);
		snprintf(got + l, sizeof got - l, "%s%s:%lld", i ? " " : "",
			 s.rows[i].value ? s.rows[i].value : "(none)", (long long)s.rows[i].events);
	}
	stack_clear(&s);
	query_free(q);
	if (strcmp(got, want) != 0)
		fail_msg("stack host under '%s': \"%s\", expected \"%s\"", filter, got, want);
}

static void test_load_query_stack(void **state)
{
	(void)state;
	struct hcase c;
	make_case(&c);
	assert_int_equal(count(c.st, ""), 6);
	assert_int_equal(count(c.st, "host=cool.client.local"), 2);
	assert_int_equal(count(c.st, "host=COOL.Client.Local"), 2);
	assert_int_equal(count(c.st, "hostname=localhost"), 1);
	assert_int_equal(count(c.st, "host~local"), 3);
	assert_int_equal(count(c.st, "host~^relay\\."), 1);
	assert_int_equal(count(c.st, "host=\"\""), 2);
	assert_int_equal(count(c.st, "host!=\"\""), 4);
	assert_int_equal(count(c.st, "host=localhost or ip=127.0.0.1"), 2);
	/* no fake address: a host name's row has no IP */
	assert_int_equal(count(c.st, "ip=\"\""), 4);
	assert_int_equal(count(c.st, "ip=127.0.0.1"), 1);
	assert_int_equal(count(c.st, "ip=cool.client.local"), 0);
	/* free text finds a host name too (the raw record holds it) */
	assert_int_equal(count(c.st, "\"cool.client.local:12345\""), 1);
	static const char *const rows[][2] = {
		{ NULL, "cool.client.local" }, { NULL, "localhost" },
		{ "127.0.0.1", NULL },         { NULL, NULL },
		{ NULL, "cool.client.local" }, { "203.0.113.9", "relay.corp.example" },
	};
	expect_rows(c.st, "", 6, rows);
	expect_stack(c.st, "", "cool.client.local:2 localhost:1 relay.corp.example:1 (none):2");
	expect_stack(c.st, "op=Send", "relay.corp.example:1");
	/* the raw record keeps what the log said */
	struct query *q = NULL;
	char *cause = NULL;
	assert_int_equal(query_new(c.st, "hostname=localhost", &q, &cause), 0);
	struct query_page p = { 0 };
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, 1, &p, &cause), 0);
	assert_int_equal(p.n, 1);
	size_t len = 0;
	char *raw = store_raw(c.st, p.rows[0].id, &len);
	assert_non_null(raw);
	assert_non_null(strstr(raw, "\"ClientIP\":\"localhost:12345\""));
	free(raw);
	query_page_free(&p);
	query_free(q);
	drop_case(&c);
}

static void sql(const char *path, const char *text)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", text, err);
	sqlite3_close(db);
}

static int64_t sql_int(const char *path, const char *text)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, text, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* A case written before the host column (schema 4) opens: read-only, it
 * answers every host question as "none"; writable, it gains the column
 * and a new load fills it. */
static void test_old_case(void **state)
{
	(void)state;
	struct hcase c;
	make_case(&c);
	store_close(c.st);
	c.st = NULL;
	sql(c.path, "ALTER TABLE events DROP COLUMN host; PRAGMA user_version=4;");
	assert_int_equal(sql_int(c.path, "SELECT count(*) FROM pragma_table_info('events') WHERE name = 'host'"),
			 0);

	open_case(&c, STORE_READONLY);
	assert_int_equal(count(c.st, ""), 6);
	assert_int_equal(count(c.st, "host=cool.client.local"), 0);
	assert_int_equal(count(c.st, "host=\"\""), 6);
	assert_int_equal(count(c.st, "ip=127.0.0.1"), 1);
	assert_int_equal(count(c.st, "user=\"\" and time>=2024-03-01T10:02"), 4);
	static const char *const none[][2] = {
		{ NULL, NULL }, { NULL, NULL }, { "127.0.0.1", NULL },
		{ NULL, NULL }, { NULL, NULL }, { "203.0.113.9", NULL },
	};
	expect_rows(c.st, "", 6, none);
	expect_stack(c.st, "", "(none):6");
	store_close(c.st);
	c.st = NULL;
	/* opening read-only changed nothing in the file */
	assert_int_equal(sql_int(c.path, "PRAGMA user_version"), 4);

	open_case(&c, 0);
	assert_int_equal(sql_int(c.path, "PRAGMA user_version"), 17); /* the current schema */
	assert_int_equal(sql_int(c.path, "SELECT count(*) FROM pragma_table_info('events') WHERE name = 'host'"),
			 1);
	assert_int_equal(count(c.st, "host=\"\""), 6);
	load(&c,
	     "{'CreationTime':'2024-03-02T10:00:00','Id':'n1','Operation':'Send','ClientIP':'new.client.local:1'}\n");
	assert_int_equal(count(c.st, "host=new.client.local"), 1);
	assert_int_equal(count(c.st, ""), 7);
	drop_case(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_query_stack),
		cmocka_unit_test(test_old_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
