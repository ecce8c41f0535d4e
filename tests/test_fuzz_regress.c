/*
 * test_fuzz_regress.c: replays the committed fuzz corpus (tests/fuzz-corpus/
 * <target>/, found from the repository root, where tests run) through the
 * very entry points of the libFuzzer targets, so that the plain and the
 * sanitizer test suites check every seed and every reproducer of a fixed
 * bug without clang or libFuzzer.
 *
 * Each tests/fuzz_<target>.c is included here with its entry point renamed
 * and its checks turned into cmocka failures that name the corpus file.
 * Files named open-* reproduce bugs not fixed yet: they are listed and
 * skipped (FUZZ_REGRESS_OPEN=1 replays them too, to try a fix); when the
 * bug is fixed, rename the file without "open-" and it guards the fix.
 */
#include "testutil.h"

#include <dirent.h>

/* The corpus file being replayed, for failure messages. */
static const char *regress_file = "";

#define FUZZ_CHECK(cond, ...)                              \
	do {                                               \
		if (!(cond)) {                             \
			print_error("%s: ", regress_file); \
			print_error(__VA_ARGS__);          \
			print_error("\n");                 \
			fail();                            \
		}                                          \
	} while (0)

#define FUZZ_ENTRY regress_json_scan
#include "fuzz_json_scan.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY regress_csv
#include "fuzz_csv.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY regress_timeparse
#include "fuzz_timeparse.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY regress_normalize
#include "fuzz_normalize.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY regress_ingest
#include "fuzz_ingest.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY regress_sanitize
#include "fuzz_sanitize.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY regress_input
#include "fuzz_input.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY regress_logs
#include "fuzz_logs.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY regress_rows
#include "fuzz_rows.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY regress_casefile
#include "fuzz_casefile.c"
#undef FUZZ_ENTRY

typedef int (*regress_fn)(const uint8_t *data, size_t size);

#define REGRESS_DIR "tests/fuzz-corpus"

static int regress_namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file names in dir, sorted (caller frees); *n their count. */
static char **regress_list(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("%s: cannot open the corpus (tests run from the repository root)", dir);
	char **names = NULL;
	size_t cap = 0;
	*n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof *names);
			assert_non_null(names);
		}
		names[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof *names, regress_namecmp);
	return names;
}

/* The whole file in a buffer of exactly its size, so that AddressSanitizer
 * catches a read past the end as libFuzzer's buffers do. */
static uint8_t *regress_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("%s: cannot open", path);
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	assert_true(sz >= 0);
	uint8_t *buf = malloc(sz ? (size_t)sz : 1);
	assert_non_null(buf);
	*len = fread(buf, 1, (size_t)sz, f);
	fclose(f);
	assert_int_equal(*len, (size_t)sz);
	return buf;
}

static bool regress_is_open(const char *name)
{
	return strncmp(name, "open-", 5) == 0;
}

/* Replay every file of one target's corpus; at least min of them. */
static void regress_replay(const char *target, regress_fn fn, size_t min)
{
	char dir[256], path[512];
	snprintf(dir, sizeof dir, "%s/%s", REGRESS_DIR, target);
	bool open_too = getenv("FUZZ_REGRESS_OPEN") != NULL;
	size_t n, ran = 0;
	char **names = regress_list(dir, &n);
	for (size_t i = 0; i < n; i++) {
		if (regress_is_open(names[i]) && !open_too)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		size_t len;
		uint8_t *data = regress_read(path, &len);
		regress_file = path;
		assert_int_equal(fn(data, len), 0);
		regress_file = "";
		free(data);
		ran++;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	print_message("%s: %zu corpus files replayed\n", dir, ran);
	if (ran < min)
		fail_msg("%s: %zu corpus files replayed, expected at least %zu", dir, ran, min);
}

static void test_json_scan(void **state)
{
	(void)state;
	regress_replay("json_scan", regress_json_scan, 5);
}

static void test_csv(void **state)
{
	(void)state;
	regress_replay("csv", regress_csv, 5);
}

static void test_timeparse(void **state)
{
	(void)state;
	regress_replay("timeparse", regress_timeparse, 10);
}

static void test_normalize(void **state)
{
	(void)state;
	regress_replay("normalize", regress_normalize, 5);
}

static void test_ingest(void **state)
{
	(void)state;
	regress_replay("ingest", regress_ingest, 10);
}

static void test_sanitize(void **state)
{
	(void)state;
	regress_replay("sanitize", regress_sanitize, 5);
}

static void test_input(void **state)
{
	(void)state;
	regress_replay("input", regress_input, 5);
}

/* Crafted and damaged case files (issue 10, finding 14): NULL where the
 * schema says NOT NULL, blobs and extreme numbers as times, references
 * to nothing, raw blocks and message lists that lie. */
static void test_casefile(void **state)
{
	(void)state;
	regress_replay("casefile", regress_casefile, 11);
}

/* The logs around the UAL (issue 11): JSON shapes and CSV rows. */
static void test_logs(void **state)
{
	(void)state;
	regress_replay("logs", regress_logs, 10);
}

static void test_rows(void **state)
{
	(void)state;
	regress_replay("rows", regress_rows, 5);
}

/* Every target's folder is replayed above: a corpus folder without a
 * target (a renamed target, a typo) would silently never run. */
static void test_every_folder_has_a_target(void **state)
{
	(void)state;
	static const char *const known[] = { "json_scan", "csv",   "timeparse", "normalize", "ingest",
					     "sanitize",  "input", "casefile",  "logs",      "rows" };
	size_t n;
	char **names = regress_list(REGRESS_DIR, &n);
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
			found |= strcmp(names[i], known[k]) == 0;
		if (!found)
			fail_msg("%s/%s: no target replays this folder", REGRESS_DIR, names[i]);
		free(names[i]);
	}
	free(names);
	assert_int_equal(n, sizeof known / sizeof known[0]);
}

/* Every fuzz target (tests/fuzz_NAME.c) has its corpus folder, which the
 * test above ties to a replay here: a new target that was never added to
 * this file would otherwise have its seeds and reproducers checked only
 * when someone runs make fuzz. */
static void test_every_target_has_a_folder(void **state)
{
	(void)state;
	size_t n, targets = 0;
	char **names = regress_list("tests", &n);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		if (strncmp(names[i], "fuzz_", 5) == 0 && len > 7 && strcmp(names[i] + len - 2, ".c") == 0) {
			char dir[512];
			struct stat st;
			snprintf(dir, sizeof dir, "%s/%.*s", REGRESS_DIR, (int)(len - 7), names[i] + 5);
			if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
				fail_msg("tests/%s: no corpus folder %s, so make test never replays it",
					 names[i], dir);
			targets++;
		}
		free(names[i]);
	}
	free(names);
	assert_true(targets >= 8);
}

/* Reproducers of bugs still open: named, and skipped unless asked for. */
static void test_open_reproducers(void **state)
{
	(void)state;
	size_t n, open = 0;
	char **targets = regress_list(REGRESS_DIR, &n);
	for (size_t i = 0; i < n; i++) {
		char dir[256];
		size_t m;
		snprintf(dir, sizeof dir, "%s/%s", REGRESS_DIR, targets[i]);
		char **names = regress_list(dir, &m);
		for (size_t j = 0; j < m; j++) {
			if (regress_is_open(names[j])) {
				print_message("open bug, reproducer %s/%s%s\n", dir, names[j],
					      getenv("FUZZ_REGRESS_OPEN") ? " (replayed)" : " (not replayed)");
				open++;
			}
			free(names[j]);
		}
		free(names);
		free(targets[i]);
	}
	free(targets);
	if (open && !getenv("FUZZ_REGRESS_OPEN"))
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_scan),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_timeparse),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_ingest),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_casefile),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_logs),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_every_folder_has_a_target),
		cmocka_unit_test(test_every_target_has_a_folder),
		cmocka_unit_test(test_open_reproducers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
