/*
 * test_outfile.c: output files that are complete or absent (outfile.h),
 * issue 10, findings 1 and 11: an export given up (Esc in the interface,
 * a failure) leaves the previous file as it was and no temporary file; a
 * committed one replaces it with the old mode; a FIFO is written through.
 */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The temporary file is made by mkstemp: this one, armed, also sends the
 * process a SIGTERM just after creating it, the moment a kill lands
 * between making the file and registering it for the signal handler. */
static volatile sig_atomic_t term_in_mkstemp;

int mkstemp(char *tmpl)
{
	static unsigned n;
	size_t len = strlen(tmpl);
	char six[8];
	snprintf(six, sizeof six, "%06u", (unsigned)(getpid() * 31 + n++) % 1000000u);
	memcpy(tmpl + len - 6, six, 6);
	int fd = open(tmpl, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (term_in_mkstemp)
		raise(SIGTERM);
	return fd;
}

static void on_term(int sig)
{
	(void)sig;
	outfile_unlink_pending();
	_exit(3);
}

static void test_kill_while_opening_leaves_nothing(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char path[512];
	snprintf(path, sizeof path, "%s/export.csv", dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_term };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		term_in_mkstemp = 1;
		struct outfile *o;
		FILE *fp;
		char *cause = NULL;
		outfile_open(path, &o, &fp, &cause);
		_exit(0); /* not reached: the signal ends it */
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3); /* the handler ran */
	assert_int_equal(files_in(dir), 0);       /* and removed the file */
	tmpdir_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abort_keeps_the_old_file),
		cmocka_unit_test(test_write_error_replaces_nothing),
		cmocka_unit_test(test_kill_while_opening_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
