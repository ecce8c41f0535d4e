/*
 * test_lazylib.c: libarchive and libcurl opened when first needed
 * (core/lazylib.c). Every function of each table is found; the first
 * open, from many threads at once, opens once; a library that cannot be
 * opened (lazylib_override's name for one that does not exist) is a cause
 * naming it, for an archive walk and for a ClickHouse request, while a
 * plain file is still read. The first open happens once per process, so
 * each test that needs it first runs in a child of its own.
 * tests/e2e_lazylib.sh checks the binary (NEEDED, what a command opens).
 */
#include "input_util.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clickhouse/ch.h"
#include "lazylib.h"

/* What a child found wrong: a message (it exits 1), or nothing. */
static char child_msg[8192];
#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			snprintf(child_msg, sizeof child_msg, __VA_ARGS__); \
			return -1;                                          \
		}                                                           \
	} while (0)

/* Run fn in a child (a process whose libraries are still unopened); a
 * failure's message comes back through a pipe. */
static void in_child(int (*fn)(void))
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		int rc = fn();
		if (rc != 0) {
			ssize_t w = write(p[1], child_msg, strlen(child_msg));
			(void)w;
		}
		_exit(rc != 0);
	}
	close(p[1]);
	char msg[8192] = "";
	ssize_t n = read(p[0], msg, sizeof msg - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("child (status %d): %s", st, msg);
}

/* ---- every function found, opened once by racing threads ---- */

#define FOUND(ret, name, params) CHECK(t->name != NULL, "%s not found", #name);
static int archive_table_full(void)
{
	const struct lazylib_archive *t = &lazylib_la;
	LAZYLIB_ARCHIVE_FNS(FOUND)
	return 0;
}

static int curl_table_full(void)
{
	const struct lazylib_curl *t = &lazylib_cu;
	LAZYLIB_CURL_FNS(FOUND)
	return 0;
}
#undef FOUND

#define NTHREADS 8
static pthread_barrier_t race_start;
static void *racer(void *arg)
{
	int *rc = arg;
	const char *why = NULL;
	pthread_barrier_wait(&race_start);
	rc[0] = lazylib_archive_open(&why);
	rc[1] = lazylib_curl_open(&why);
	return NULL;
}

static int race_first_open(void)
{
	pthread_t th[NTHREADS];
	int rc[NTHREADS][2];
	pthread_barrier_init(&race_start, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&th[i], NULL, racer, rc[i]) == 0, "pthread_create");
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&race_start);
	for (int i = 0; i < NTHREADS; i++)
		CHECK(rc[i][0] == 0 && rc[i][1] == 0, "thread %d: archive %d, curl %d", i, rc[i][0], rc[i][1]);
	if (archive_table_full() < 0 || curl_table_full() < 0)
		return -1;
	/* the table's functions are libarchive's and libcurl's */
	struct archive *a = lazylib_la.archive_read_new();
	CHECK(a != NULL, "archive_read_new gave NULL");
	CHECK(lazylib_la.archive_read_support_format_zip(a) == ARCHIVE_OK, "support_format_zip");
	CHECK(lazylib_la.archive_read_free(a) == ARCHIVE_OK, "archive_read_free");
	CURL *h = lazylib_cu.curl_easy_init();
	CHECK(h != NULL, "curl_easy_init gave NULL");
	char *e = lazylib_cu.curl_easy_escape(h, "a b/c", 0);
	CHECK(e && !strcmp(e, "a%20b%2Fc"), "curl_easy_escape gave %s", e ? e : "NULL");
	lazylib_cu.curl_free(e);
	lazylib_cu.curl_easy_cleanup(h);
	return 0;
}

static void test_first_open_from_threads(void **state)
{
	(void)state;
	in_child(race_first_open);
}

static void test_names_are_sonames(void **state)
{
	(void)state;
	/* the build's SONAMEs: a versioned name, never the development link */
	assert_int_equal(strncmp(lazylib_archive_name(), "libarchive.so.", 14), 0);
	assert_int_equal(strncmp(lazylib_curl_name(), "libcurl.so.", 11), 0);
}

/* ---- a library that is not there ---- */

static char *missing_dir;

static int missing_named(void)
{
	lazylib_override("libarchive-missing.so.0", "libcurl-missing.so.0");
	const char *why = NULL, *again = NULL;
	CHECK(lazylib_archive_open(&why) == -1, "a missing libarchive opened");
	const char *want = "reading archives needs libarchive-missing.so.0: cannot open shared object file";
	CHECK(why && !strncmp(why, want, strlen(want)), "cause '%s', want '%s...'", why ? why : "", want);
	CHECK(lazylib_archive_open(&again) == -1 && again == why, "a second open is not the same answer");

	/* a walk skips the archive, naming it and the library (a load makes
	 * that its error: the skip callback), and goes on */
	struct entry e = { "a.csv", CSV, strlen(CSV) };
	char *z = join(missing_dir, "bundle.zip");
	char *cause = NULL;
	struct collect c = { 0 };
	int rc = input_walk(z, NULL, collect_fn, collect_warn, &c, &cause);
	CHECK(rc == 0 && c.n == 0 && c.nwarn == 1, "the walk of the zip gave %d, %zu members, %zu warnings",
	      rc, c.n, c.nwarn);
	char wantc[4200];
	snprintf(wantc, sizeof wantc, "%s: %s", z, why);
	CHECK(!strcmp(c.warn[0], wantc), "warning '%s', want '%s'", c.warn[0], wantc);
	free(cause);
	collect_free(&c);
	free(z);

	/* a plain file needs neither */
	char *plain = join(missing_dir, "a.csv");
	FILE *f = fopen(plain, "w");
	CHECK(f && fwrite(e.data, 1, e.len, f) == e.len && fclose(f) == 0, "writing %s", plain);
	cause = NULL;
	rc = input_walk(plain, NULL, collect_fn, collect_warn, &c, &cause);
	CHECK(rc == 0 && c.n == 1 && c.m[0].len == e.len && !memcmp(c.m[0].data, e.data, e.len),
	      "the plain file: %d, %zu members, %s", rc, c.n, cause ? cause : "");
	collect_free(&c);
	free(plain);

	/* a ClickHouse connection is made; each request names the library */
	struct ch_url u;
	CHECK(ch_url_parse("clickhouse://127.0.0.1:1/lazylib", &u, &cause) == 0, "ch_url_parse");
	struct ch_conn *conn = ch_conn_new(&u);
	struct util_buf out = { 0 };
	rc = ch_exec(conn, "SELECT 1", false, &out, &cause);
	CHECK(rc == -1 && cause, "a request without libcurl gave %d", rc);
	want = "clickhouse://127.0.0.1:1/lazylib: the ClickHouse store needs libcurl-missing.so.0: cannot open "
	       "shared object file";
	CHECK(!strncmp(cause, want, strlen(want)), "cause '%s', want '%s...'", cause, want);
	free(cause);
	util_buf_free(&out);
	ch_conn_free(conn);
	ch_url_clear(&u);
	return 0;
}

static void test_missing_library_named(void **state)
{
	(void)state;
	missing_dir = tmpdir_new();
	assert_non_null(missing_dir);
	/* the zip is written in the parent (its own libarchive, linked) */
	struct entry e = { "a.csv", CSV, strlen(CSV) };
	free(make_archive(missing_dir, "bundle.zip", "zip", NULL, NULL, NULL, &e, 1));
	in_child(missing_named);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", missing_dir);
	assert_int_equal(system(cmd), 0);
	free(missing_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_open_from_threads),
		cmocka_unit_test(test_names_are_sonames),
		cmocka_unit_test(test_missing_library_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
