/*
 * testutil.h: small helpers shared by the cmocka tests.
 */
#ifndef AUDITSCOPE_TESTUTIL_H
#define AUDITSCOPE_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#ifdef __clang_analyzer__
/* For scan-build only. cmocka 1.1 does not tell the analyzer that a failed
 * assertion, fail() or skip() ends the test (they longjmp out), so it
 * follows every test past its own checks and reports the NULL or the
 * out-of-range value the check has just ruled out. Here _fail and _skip are
 * marked as not returning, and the assertions that narrow a value become
 * plain branches to _fail. Compiled code never sees this block. */
void _fail(const char *const file, const int line) __attribute__((analyzer_noreturn));
void _skip(const char *const file, const int line) __attribute__((analyzer_noreturn));
#define ANALYZER_CHECK_(c) ((c) ? (void)0 : _fail(__FILE__, __LINE__))
#undef assert_true
#define assert_true(c) ANALYZER_CHECK_(c)
#undef assert_false
#define assert_false(c) ANALYZER_CHECK_(!(c))
#undef assert_non_null
#define assert_non_null(c) ANALYZER_CHECK_((c) != NULL)
#undef assert_null
#define assert_null(c) ANALYZER_CHECK_((c) == NULL)
#undef assert_int_equal
#define assert_int_equal(a, b) ANALYZER_CHECK_((LargestIntegralType)(a) == (LargestIntegralType)(b))
#undef assert_int_not_equal
#define assert_int_not_equal(a, b) ANALYZER_CHECK_((LargestIntegralType)(a) != (LargestIntegralType)(b))
#undef assert_ptr_equal
#define assert_ptr_equal(a, b) ANALYZER_CHECK_((const void *)(a) == (const void *)(b))
#endif

/* Folder of real exports (../shared/realdata from the project root), or
 * NULL when absent: tests that need it skip with a message. */
static inline const char *realdata_dir(void)
{
	const char *d = getenv("AUDITSCOPE_REALDATA");
	if (!d)
		d = "../shared/realdata";
	struct stat st;
	if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
		return d;
	return NULL;
}

/* Path of a real export, or skip the test (with a message) when absent. */
#define REALDATA(name, buf)                                                       \
	do {                                                                      \
		const char *rd_ = realdata_dir();                                 \
		if (!rd_) {                                                       \
			print_message("skipped: ../shared/realdata is absent\n"); \
			skip();                                                   \
		}                                                                 \
		snprintf((buf), sizeof(buf), "%s/%s", rd_, (name));               \
	} while (0)

/* A fresh temporary directory for one test; caller frees the string. */
static inline char *tmpdir_new(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/auditscope-test-XXXXXX", base ? base : "/tmp");
	char *d = mkdtemp(tmpl);
	if (!d)
		return NULL;
	return strdup(d);
}

/* Write len bytes to dir/name; returns the new path (caller frees). */
static inline char *write_file(const char *dir, const char *name, const void *data, size_t len)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	snprintf(path, n, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		free(path);
		return NULL;
	}
	fwrite(data, 1, len, f);
	fclose(f);
	return path;
}

/* rm -rf of a test's temporary directory. */
static inline void tmpdir_remove(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* The fixture of a test that needs only a case file's path: a fresh
 * temporary directory and dir/t.case in it (not created), removed with
 * the directory after the test. */
struct case_dir {
	char *dir;
	char *path;
};

static inline int case_dir_setup(void **state)
{
	struct case_dir *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->dir = tmpdir_new();
	assert_non_null(f->dir);
	size_t n = strlen(f->dir) + 16;
	f->path = malloc(n);
	assert_non_null(f->path);
	snprintf(f->path, n, "%s/t.case", f->dir);
	*state = f;
	return 0;
}

static inline int case_dir_teardown(void **state)
{
	struct case_dir *f = *state;
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

#endif
