/*
 * test_outfile.c: output files that are complete or absent (outfile.h),
 * issue 10, findings 1 and 11: an export given up (Esc in the interface,
 * a failure) leaves the previous file as it was and no temporary file; a
 * committed one replaces it with the old mode; a FIFO is written through.
 */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "outfile.h"

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int files_in(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_abort_keeps_the_old_file(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char *path = write_file(dir, "export.csv", "old\n", 4);
	chmod(path, 0640);
	struct outfile *o;
	FILE *fp;
	char *cause = NULL;
	assert_int_equal(outfile_open(path, &o, &fp, &cause), 0);
	fputs("half of a new exp", fp);
	assert_int_equal(files_in(dir), 2); /* the old file and the partial one */
	outfile_abort(o);
	assert_string_equal(slurp(path), "old\n");
	assert_int_equal(files_in(dir), 1);

	assert_int_equal(outfile_open(path, &o, &fp, &cause), 0);
	fputs("new\n", fp);
	assert_int_equal(outfile_commit(o, &cause), 0);
	assert_string_equal(slurp(path), "new\n");
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_int_equal(files_in(dir), 1);
	outfile_abort(NULL);
	tmpdir_remove(dir);
	free(path);
	free(dir);
}

static void test_write_error_replaces_nothing(void **state)
{
	(void)state;
	struct outfile *o;
	FILE *fp;
	char *cause = NULL;
	/* a device is written through: /dev/full fails at the flush */
	assert_int_equal(outfile_open("/dev/full", &o, &fp, &cause), 0);
	fputs("anything\n", fp);
	assert_int_equal(outfile_commit(o, &cause), -1);
	assert_non_null(strstr(cause, "/dev/full: No space left on device"));
	free(cause);
	struct stat sb;
	assert_int_equal(stat("/dev/full", &sb), 0);
	assert_true(S_ISCHR(sb.st_mode));
	/* a folder that does not exist */
	cause = NULL;
	assert_int_equal(outfile_open("/nonexistent-dir/x.csv", &o, &fp, &cause), -1);
	assert_non_null(strstr(cause, "/nonexistent-dir/x.csv: "));
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abort_keeps_the_old_file),
		cmocka_unit_test(test_write_error_replaces_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
