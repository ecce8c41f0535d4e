/*
 * test_input_drop.c: a big regular file leaves the page cache behind its
 * reader (input_read.c, input_drop_*): read with the limit under its
 * size, none of its pages stay cached and its bytes and hash are those
 * of any read; under the limit (the default's quarter of memory, or an
 * explicit one above the size) the pages stay. Pages are counted with
 * mincore(2); where the file system keeps pages whatever it is told
 * (tmpfs), the test skips.
 */
#include "input_util.h"

#include <sys/mman.h>

/* Pages of path in the page cache. */
static size_t resident(const char *path)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	size_t len = (size_t)st.st_size, psz = (size_t)sysconf(_SC_PAGESIZE), np = (len + psz - 1) / psz;
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	unsigned char *vec = malloc(np);
	assert_int_equal(mincore(m, len, vec), 0);
	size_t n = 0;
	for (size_t i = 0; i < np; i++)
		n += vec[i] & 1;
	free(vec);
	munmap(m, len);
	close(fd);
	return n;
}

/* Read path whole through the page cache and sync it: every page cached
 * and clean (a dirty page is not dropped). */
static void cache_all(const char *path)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fsync(fd), 0);
	char buf[65536];
	while (read(fd, buf, sizeof buf) > 0)
		;
	close(fd);
}

static void test_drop_behind(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	/* more than a few drop steps (8 MiB), and a tail that is not one */
	size_t n = (28u << 20) + 12345, psz = (size_t)sysconf(_SC_PAGESIZE);
	char *text = malloc(n);
	for (size_t i = 0; i < n; i++)
		text[i] = (char)('a' + i * 7 % 23);
	char *p = write_file(d, "big.csv", text, n);
	size_t pages = (n + psz - 1) / psz;

	/* can this file system drop pages at all? */
	cache_all(p);
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	if (resident(p) > pages / 2) {
		free(p);
		free(text);
		tmpdir_remove(d);
		free(d);
		skip();
	}

	/* bigger than the limit: nothing of it left cached, the same bytes */
	cache_all(p);
	assert_true(resident(p) > pages * 9 / 10);
	struct input_limits lim = { .drop_cache_bytes = 1u << 20 };
	struct collect c = { 0 };
	walk_ok(p, &lim, &c);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], p, text, n);
	collect_free(&c);
	assert_int_equal(resident(p), 0);

	/* under the limit it is left alone, as under the default (a quarter
	 * of memory) */
	for (int k = 0; k < 2; k++) {
		cache_all(p);
		lim.drop_cache_bytes = k ? 0 : n + 1;
		walk_ok(p, &lim, &c);
		assert_member(&c.m[0], p, text, n);
		collect_free(&c);
		assert_true(resident(p) > pages * 9 / 10);
	}

	/* a load stopped part way (1 MiB handed out): what the reader had
	 * had read (under a step) and the rest of the file stay cached */
	cache_all(p);
	lim.drop_cache_bytes = 1u << 20;
	c.cut = 1u << 20;
	c.stop_at = 1;
	char *cause = NULL;
	assert_int_equal(walk(p, &lim, &c, &cause), -1);
	free(cause);
	collect_free(&c);
	assert_true(resident(p) > pages * 9 / 10);

	free(p);
	free(text);
	tmpdir_remove(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_behind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
