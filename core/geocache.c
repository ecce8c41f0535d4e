/*
 * geocache.c: the databases' parsed forms kept in cache files
 * (geocache.h says when one is used and where it lives).
 *
 * A file is a header (magic, the payload's kind, byte order, the number
 * of sources, the payload's length), the sources' signatures, a 64-bit
 * checksum of all that and of the payload, then the payload as the
 * caller laid it out.
 */
#include "geocache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "xalloc.h"

#define MAGIC "ASGEOC\0\2"
#define RACY_NS 100000000LL
#define MAX_SOURCES 4
#define MAX_PAYLOAD (1u << 30)

struct head {
	char magic[8];
	uint64_t kind;
	uint32_t endian, nsig; /* 0x01020304; sources */
	uint64_t len;          /* of the payload */
};

static void sig_of(const struct stat *sb, struct geocache_sig *s)
{
	memset(s, 0, sizeof *s);
	s->present = 1;
	s->dev = (uint64_t)sb->st_dev;
	s->ino = (uint64_t)sb->st_ino;
	s->size = (uint64_t)sb->st_size;
	s->mtime_s = (int64_t)sb->st_mtim.tv_sec;
	s->mtime_ns = (int64_t)sb->st_mtim.tv_nsec;
	s->ctime_s = (int64_t)sb->st_ctim.tv_sec;
	s->ctime_ns = (int64_t)sb->st_ctim.tv_nsec;
}

bool geocache_sigs(const char *const *paths, size_t n, struct geocache_sig *sigs, struct timespec *at)
{
	if (at)
		clock_gettime(CLOCK_REALTIME, at);
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		memset(&sigs[i], 0, sizeof sigs[i]);
		if (!paths[i])
			continue;
		if (stat(paths[i], &sb) != 0) {
			if (errno == ENOENT)
				continue;
			return false;
		}
		if (!S_ISREG(sb.st_mode))
			return false;
		sig_of(&sb, &sigs[i]);
	}
	return n <= MAX_SOURCES;
}

static inline uint64_t rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

/* A 64-bit checksum of n bytes: four independent lanes of 8 bytes (a
 * multiply and a rotation each), so that the 13 MB of the ASN tables'
 * cache are summed in a few milliseconds; lanes and tail mixed at the
 * end. */
static uint64_t sum64(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data;
	const uint64_t k1 = 0x9e3779b185ebca87ULL, k2 = 0xc2b2ae3d27d4eb4fULL;
	uint64_t a = seed + k1 + k2, b = seed + k2, c = seed, d = seed - k1;
	size_t len = n;
	for (; n >= 32; p += 32, n -= 32) {
		a = rotl64(a + util_load8(p) * k2, 31) * k1;
		b = rotl64(b + util_load8(p + 8) * k2, 31) * k1;
		c = rotl64(c + util_load8(p + 16) * k2, 31) * k1;
		d = rotl64(d + util_load8(p + 24) * k2, 31) * k1;
	}
	uint64_t h = rotl64(a, 1) + rotl64(b, 7) + rotl64(c, 12) + rotl64(d, 18);
	h = (h ^ util_mix64(a)) * k1;
	h = (h ^ util_mix64(b)) * k1;
	h = (h ^ util_mix64(c)) * k1;
	h = (h ^ util_mix64(d)) * k1;
	for (; n >= 8; p += 8, n -= 8)
		h = (h ^ util_mix64(util_load8(p))) * k1;
	uint64_t w = 0;
	if (n)
		memcpy(&w, p, n);
	return util_mix64(h ^ util_mix64(w ^ n) ^ len);
}

/* The header, the signatures and the sum as they lie in a file. */
struct fhead {
	struct head h;
	struct geocache_sig sig[MAX_SOURCES];
	uint64_t sum;
};

static size_t fhead_size(size_t nsig)
{
	return sizeof(struct head) + nsig * sizeof(struct geocache_sig) + sizeof(uint64_t);
}

static uint64_t file_sum(const struct fhead *f, const void *payload)
{
	uint64_t s = sum64(&f->h, sizeof f->h, 0x243f6a8885a308d3ULL);
	s = sum64(f->sig, f->h.nsig * sizeof *f->sig, s);
	return sum64(payload, f->h.len, s);
}

/* The cache in the user's cache folder for the sources of dir (the folder
 * made when mkdirs), or NULL when there is none. */
static char *user_path(const char *dir, const char *name, bool mkdirs)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *base;
	if (xdg && *xdg == '/')
		base = xasprintf("%s/auditscope", xdg);
	else if (home && *home == '/')
		base = xasprintf("%s/.cache/auditscope", home);
	else
		return NULL;
	if (mkdirs) {
		char *parent = xstrdup(base);
		*strrchr(parent, '/') = '\0';
		if (*parent)
			(void)mkdir(parent, 0700);
		free(parent);
		if (mkdir(base, 0700) != 0 && errno != EEXIST) {
			free(base);
			return NULL;
		}
	}
	char real[PATH_MAX];
	const char *key = realpath(dir, real) ? real : dir;
	char *path = xasprintf("%s/%s-%016llx", base, name[0] == '.' ? name + 1 : name,
			       (unsigned long long)util_hash_bytes(key, strlen(key), 0));
	free(base);
	return path;
}

static bool read_all(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t k = read(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		c += k;
		n -= (size_t)k;
	}
	return true;
}

static void *read_at(const char *path, uint64_t kind, const struct geocache_sig *sigs, size_t n, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat sb;
	struct fhead f;
	size_t hs = fhead_size(n);
	void *payload = NULL;
	memset(&f, 0, sizeof f);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < (off_t)hs ||
	    sb.st_size - (off_t)hs > (off_t)MAX_PAYLOAD || !read_all(fd, &f.h, sizeof f.h) ||
	    !read_all(fd, f.sig, n * sizeof *f.sig) || !read_all(fd, &f.sum, sizeof f.sum))
		goto miss;
	if (memcmp(f.h.magic, MAGIC, 8) != 0 || f.h.kind != kind || f.h.endian != 0x01020304u || f.h.nsig != n ||
	    f.h.len != (uint64_t)(sb.st_size - (off_t)hs) || memcmp(f.sig, sigs, n * sizeof *sigs) != 0)
		goto miss;
	payload = xmalloc(f.h.len ? (size_t)f.h.len : 1);
	if (!read_all(fd, payload, (size_t)f.h.len) || file_sum(&f, payload) != f.sum)
		goto miss;
	close(fd);
	*len = (size_t)f.h.len;
	return payload;
miss:
	free(payload);
	close(fd);
	return NULL;
}

void *geocache_read(const char *dir, const char *name, uint64_t kind, const struct geocache_sig *sigs,
		    size_t n, size_t *len)
{
	if (n > MAX_SOURCES)
		return NULL;
	char *path = xasprintf("%s/%s", dir, name);
	void *p = read_at(path, kind, sigs, n, len);
	free(path);
	if (!p && (path = user_path(dir, name, false)) != NULL) {
		p = read_at(path, kind, sigs, n, len);
		free(path);
	}
	return p;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		c += k;
		n -= (size_t)k;
	}
	return true;
}

static bool write_at(const char *path, const struct fhead *f, const void *payload)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return false;
	}
	bool ok = fchmod(fd, 0644) == 0 && write_all(fd, &f->h, sizeof f->h) &&
		  write_all(fd, f->sig, f->h.nsig * sizeof *f->sig) &&
		  write_all(fd, &f->sum, sizeof f->sum) && write_all(fd, payload, (size_t)f->h.len);
	ok = close(fd) == 0 && ok;
	if (ok)
		ok = rename(tmp, path) == 0;
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok;
}

/* A source changed within RACY_NS before its signature was taken at *at:
 * a second write in the same tick of the file system's clock could
 * leave its times as they are. */
static bool racy(const struct geocache_sig *s, const struct timespec *at)
{
	if (!s->present)
		return false;
	int64_t c = s->ctime_s * 1000000000LL + s->ctime_ns, m = s->mtime_s * 1000000000LL + s->mtime_ns;
	int64_t t = (int64_t)at->tv_sec * 1000000000LL + at->tv_nsec - RACY_NS;
	return c >= t || m >= t;
}

void geocache_write(const char *dir, const char *name, uint64_t kind, const char *const *paths,
		    const struct geocache_sig *sigs, size_t n, const struct timespec *at,
		    const struct geocache_part *parts, size_t nparts)
{
	struct geocache_sig now[MAX_SOURCES];
	if (n > MAX_SOURCES || !geocache_sigs(paths, n, now, NULL) || memcmp(now, sigs, n * sizeof *sigs) != 0)
		return; /* changed while it was read */
	for (size_t i = 0; i < n; i++)
		if (racy(&sigs[i], at))
			return;
	struct fhead f;
	memset(&f, 0, sizeof f);
	memcpy(f.h.magic, MAGIC, 8);
	f.h.kind = kind;
	f.h.endian = 0x01020304u;
	f.h.nsig = (uint32_t)n;
	memcpy(f.sig, sigs, n * sizeof *sigs);
	size_t len = 0;
	for (size_t i = 0; i < nparts; i++)
		len += parts[i].n;
	if (len > MAX_PAYLOAD)
		return;
	f.h.len = len;
	/* one buffer: the sum is of the payload as it lies in the file */
	char *payload = xmalloc(len ? len : 1), *at_p = payload;
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].n)
			memcpy(at_p, parts[i].p, parts[i].n);
		at_p += parts[i].n;
	}
	f.sum = file_sum(&f, payload);
	char *path = xasprintf("%s/%s", dir, name);
	bool ok = write_at(path, &f, payload);
	free(path);
	if (!ok && (path = user_path(dir, name, true)) != NULL) {
		write_at(path, &f, payload);
		free(path);
	}
	free(payload);
}
