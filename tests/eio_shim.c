/*
 * eio_shim.c: an LD_PRELOAD library for tests/e2e_eio.sh. read(2) of
 * the file named by EIO_PATH fails with EIO once the file's offset has
 * reached EIO_AT bytes (a read that would cross it is shortened to end
 * there), as a failing disk or a cut network mount does part-way through
 * a file. Every other descriptor reads as usual. Not part of any program.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t (*real_read)(int, void *, size_t);

static int is_target(int fd, const char *path)
{
	char link[64], got[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t k = readlink(link, got, sizeof got - 1);
	if (k <= 0)
		return 0;
	got[k] = '\0';
	return strcmp(got, path) == 0;
}

ssize_t read(int fd, void *buf, size_t n)
{
	if (!real_read)
		real_read = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	const char *path = getenv("EIO_PATH"), *at = getenv("EIO_AT");
	if (path && at && is_target(fd, path)) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		off_t lim = (off_t)strtoll(at, NULL, 10);
		if (pos >= lim) {
			errno = EIO;
			return -1;
		}
		if ((off_t)n > lim - pos)
			n = (size_t)(lim - pos);
	}
	return real_read(fd, buf, n);
}
