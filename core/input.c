/*
 * input.c: walks a PATH into members and reads each one as UTF-8 text.
 * This file is the walk (PATH, folders, plain files, stdin) and the
 * step every new member goes through (input_begin); the rest is split by
 * concern (input_priv.h): input_read.c (reading, limits, hashing,
 * UTF-16), input_archive.c (libarchive), input_detect.c (first bytes).
 *
 * Three kinds of source feed a member:
 *
 *  - a plain file, FIFO, device or stdin: read(2) straight into the
 *    caller's buffer. This is the hot path for multi-gigabyte exports, so
 *    libarchive stays out of it;
 *  - an entry of an archive or a compressed stream, read in place through
 *    libarchive (never extracted to disk);
 *  - an entry of an archive that is itself a member of an archive: the inner
 *    archive's read callback pulls from the outer entry, up to
 *    INPUT_MAX_DEPTH archives deep.
 *
 * Whether a source is an archive is decided by its first bytes (magic
 * numbers and a tar header checksum), never by its name, and only then is
 * libarchive asked to open it, with the formats and filters we need: with
 * every format on, libarchive takes some CSV or JSON text for "mtree" and an
 * empty file for "empty".
 *
 * Naming: "dir/a.csv"; "bundle.zip!logs/a.csv" for an archive entry;
 * "a.csv.gz" (no "!" suffix) for a compressed single file, whose stream has
 * no name of its own; "outer.zip!inner.zip!x.csv" when nested; "-" for
 * stdin.
 *
 * Progress: input_bytes_in() and input_size() are in bytes of the file on
 * disk (or of stdin). For an archive entry they describe the outermost
 * archive: how far into bundle.zip the reader is, not into the entry.
 *
 * The zip-bomb guard (see input_pull) holds a member's decompressed bytes
 * against what its archive's decoder consumed, and everything read out of
 * the outermost file against that file's bytes, so that a bomb is caught
 * at any depth of nesting; the first MiB is never held against anyone.
 *
 * SHA-256 comes from libcrypto's EVP interface (SHA-NI where the CPU has
 * it), fed with the same large chunks the caller reads.
 *
 * What fails and what only warns: a PATH given to input_walk() that cannot
 * be opened, read, or (when it looks like one) opened as an archive makes
 * the walk return -1; the same trouble with a file found in a folder is a
 * warning and the walk goes on. Inside folders, symbolic links to folders
 * are not followed (loops), and FIFOs, devices and sockets are skipped
 * (opening a FIFO would wait for a writer); given as PATH, FIFOs and
 * devices are read as streams. Encrypted entries, entries nested deeper
 * than INPUT_MAX_DEPTH archives, an archive cut short (the members before
 * the damage are kept) and an archive with no files are warnings. A read
 * error inside one entry reaches the caller through input_read(). When the
 * callback returns -1, *cause is "MEMBER: reading stopped".
 */
#define _GNU_SOURCE /* SEEK_HOLE */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input_priv.h"
#include "xalloc.h"

/* Copy of s with C0 controls and DEL as \xNN, so a message stays one line. */
char *input_oneline(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p < 0x20 || *p == 0x7f) ? 4 : 1;
	char *out = xmalloc(n + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(o, 5, "\\x%02x", *p);
			o += 4;
		} else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}

void input_warnf(struct input_walker *w, const char *fmt, ...)
{
	if (!w->warn)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	char *line = input_oneline(m);
	w->warn(line, w->ctx);
	free(line);
	free(m);
}

void input_skipf(struct input_walker *w, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	char *why = input_oneline(m);
	if (w->skip)
		w->skip(name, why, w->ctx);
	else
		input_warnf(w, "%s: %s", name, why);
	free(why);
	free(m);
}

/* Record the walk's failure; returns -1. */
int input_stop(struct input_walker *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	free(w->cause);
	w->cause = input_oneline(m);
	free(m);
	return -1;
}

struct input *input_new(struct input_walker *w, char *name)
{
	struct input *in = xcalloc(1, sizeof *in);
	in->w = w;
	in->name = name;
	in->fd = -1;
	in->size = -1;
	in->own_size = -1;
	in->hole_at = -1;
	in->cap = INPUT_WORKBUF;
	in->buf = xmalloc(in->cap);
	EVP_DigestInit_ex(w->mdctx, w->md, NULL);
	return in;
}

void input_free(struct input *in)
{
	if (!in)
		return;
	input_ahead_stop(in);
	free(in->name);
	free(in->buf);
	free(in->err);
	free(in->ar_err);
	free(in);
}

/*
 * A new member: look at its first bytes, then either open it as an archive
 * or hand it to the caller. depth counts the archives around it.
 */
int input_begin(struct input_walker *w, struct input *in, int depth, int top)
{
	if (input_sniff_fill(in) < 0 && !in->ar) {
		/* a read that gave up at a stop: not the file's fault */
		if (input_stopped(w))
			return input_stop(w, "%s: interrupted", in->name);
		/* the file itself could not be read; an archive entry's error
		 * goes to the caller through input_read() instead */
		if (top)
			return input_stop(w, "%s", in->err);
		size_t k = strlen(in->name);
		const char *why =
			strncmp(in->err, in->name, k) == 0 && in->err[k] == ':' ? in->err + k + 1 : in->err;
		input_skipf(w, in->name, "%s", why + strspn(why, " "));
		return 0;
	}
	if (!in->err && !in->leaf && input_is_container(in->buf, in->len)) {
		if (depth >= INPUT_MAX_DEPTH) {
			input_skipf(w, in->name, "archive nested more than %d deep; skipped", INPUT_MAX_DEPTH);
			return 0;
		}
		return input_container(w, in, depth + 1, top);
	}
	input_detect_encoding(in);
	if (w->fn && w->fn(in, w->ctx) < 0)
		return input_stop(w, "%s: reading stopped", in->name);
	return 0;
}

static int input_walk_fd(struct input_walker *w, const char *name, int fd, const struct stat *st, int top)
{
	struct input *in = input_new(w, xstrdup(name));
	in->fd = fd;
	in->stalls = !S_ISREG(st->st_mode);
	w->watch_fd = -1;
	if (S_ISREG(st->st_mode)) {
		in->size = in->own_size = st->st_size;
		in->seekable = lseek(fd, 0, SEEK_CUR) == 0;
		if (in->seekable && st->st_size > 0) {
			/* a sparse file: its holes are read apart (input_hole) */
			off_t h = lseek(fd, 0, SEEK_HOLE);
			if (h >= 0 && h < st->st_size)
				in->hole_at = h;
			if (lseek(fd, 0, SEEK_SET) != 0)
				in->seekable = 0, in->hole_at = -1;
		}
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		w->watch_fd = fd;
		w->watch_size = st->st_size;
		w->watch_mtime = st->st_mtim;
		w->watch_ctime = st->st_ctim;
	}
	int rc = input_begin(w, in, 0, top);
	w->watch_fd = -1;
	input_free(in);
	return rc;
}

int input_changed(const struct input *in)
{
	const struct input_walker *w = in->w;
	struct stat st;
	if (w->watch_fd < 0 || fstat(w->watch_fd, &st) < 0)
		return 0;
	return st.st_size != w->watch_size || st.st_mtim.tv_sec != w->watch_mtime.tv_sec ||
	       st.st_mtim.tv_nsec != w->watch_mtime.tv_nsec || st.st_ctim.tv_sec != w->watch_ctime.tv_sec ||
	       st.st_ctim.tv_nsec != w->watch_ctime.tv_nsec;
}

static int input_walk_path(struct input_walker *w, const char *path, int top);

static int input_namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder, recursively, in byte order of names (locale-independent). */
static int input_walk_dir(struct input_walker *w, const char *path, int top)
{
	DIR *d = opendir(path);
	if (!d) {
		if (top)
			return input_stop(w, "%s: %s", path, strerror(errno));
		input_warnf(w, "%s: %s", path, strerror(errno));
		return 0;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	for (;;) {
		errno = 0;
		if (!(de = readdir(d))) {
			if (errno)
				input_warnf(w, "%s: %s; folder listing incomplete", path, strerror(errno));
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = xgrow(names, &cap, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, input_namecmp);

	size_t plen = strlen(path);
	int slash = plen > 0 && path[plen - 1] == '/';
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (rc < 0)
			break;
		char *child = xasprintf("%s%s%s", path, slash ? "" : "/", names[i]);
		struct stat st;
		if (lstat(child, &st) < 0) {
			input_warnf(w, "%s: %s", child, strerror(errno));
		} else if (S_ISLNK(st.st_mode)) {
			struct stat t;
			if (stat(child, &t) < 0)
				input_warnf(w, "%s: symbolic link to nothing (%s); skipped", child,
					    strerror(errno));
			else if (S_ISDIR(t.st_mode))
				input_warnf(w, "%s: symbolic link to a folder; not followed", child);
			else if (S_ISREG(t.st_mode))
				rc = input_walk_path(w, child, 0);
			else
				input_warnf(w, "%s: symbolic link to a special file; skipped", child);
		} else if (S_ISDIR(st.st_mode)) {
			rc = input_walk_dir(w, child, 0);
		} else if (S_ISREG(st.st_mode)) {
			rc = input_walk_path(w, child, 0);
		} else {
			/* opening a FIFO in a folder would wait for a writer */
			input_warnf(w, "%s: %s in a folder; skipped (give it as PATH to read it)", child,
				    S_ISFIFO(st.st_mode)   ? "a named pipe"
				    : S_ISSOCK(st.st_mode) ? "a socket"
							   : "a device");
		}
		free(child);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int input_walk_path(struct input_walker *w, const char *path, int top)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (top)
			return input_stop(w, "%s: %s", path, strerror(errno));
		input_warnf(w, "%s: %s", path, strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return input_walk_dir(w, path, top);
	if (S_ISSOCK(st.st_mode)) {
		input_warnf(w, "%s: a socket; skipped", path);
		return 0;
	}
	int fd = S_ISFIFO(st.st_mode) ? input_fifo_open(w->lim.stop, path)
				      : open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		/* a FIFO's open waits for a writer: a stop ends the wait */
		if (errno == EINTR && input_stopped(w))
			return input_stop(w, "%s: interrupted", path);
		if (top)
			return input_stop(w, "%s: %s", path, strerror(errno));
		input_skipf(w, path, "%s", strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) < 0) { /* what was opened, not what was named */
		int e = errno;
		close(fd);
		if (top)
			return input_stop(w, "%s: %s", path, strerror(e));
		input_warnf(w, "%s: %s", path, strerror(e));
		return 0;
	}
	for (size_t i = 0; i < w->lim.nskip; i++)
		if (st.st_dev == w->lim.skip[i].dev && st.st_ino == w->lim.skip[i].ino) {
			close(fd);
			input_warnf(w, "%s: the case being loaded into, or a file of its own; skipped", path);
			return 0;
		}
	int rc = input_walk_fd(w, path, fd, &st, top);
	close(fd);
	return rc;
}

int input_walk(const char *path, const struct input_limits *lim, input_member_fn fn, input_warn_fn warn,
	       void *ctx, char **cause)
{
	return input_walk_skips(path, lim, fn, warn, NULL, ctx, cause);
}

int input_walk_skips(const char *path, const struct input_limits *lim, input_member_fn fn, input_warn_fn warn,
		     input_skip_fn skip, void *ctx, char **cause)
{
	struct input_walker w;
	memset(&w, 0, sizeof w);
	w.lim.max_member_bytes = lim && lim->max_member_bytes ? lim->max_member_bytes : (uint64_t)64 << 30;
	w.lim.max_ratio = lim && lim->max_ratio > 0 ? lim->max_ratio : 1000;
	w.lim.drop_cache_bytes = lim ? lim->drop_cache_bytes : 0;
	w.lim.stop = lim ? lim->stop : NULL;
	w.lim.skip = lim ? lim->skip : NULL;
	w.lim.nskip = lim ? lim->nskip : 0;
	w.fn = fn;
	w.warn = warn;
	w.skip = skip;
	w.watch_fd = -1;
	w.ctx = ctx;
	w.md = EVP_MD_fetch(NULL, "SHA256", NULL);
	w.mdctx = EVP_MD_CTX_new();

	int rc;
	if (!w.md || !w.mdctx) {
		rc = input_stop(&w, "%s: SHA-256 is not available from libcrypto", path);
	} else if (strcmp(path, "-") == 0) {
		struct stat st;
		if (fstat(STDIN_FILENO, &st) < 0)
			rc = input_stop(&w, "-: %s", strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = input_stop(&w, "-: %s", strerror(EISDIR));
		else
			rc = input_walk_fd(&w, "-", STDIN_FILENO, &st, 1);
	} else {
		rc = input_walk_path(&w, path, 1);
	}

	if (rc < 0)
		set_cause(cause, "%s", w.cause ? w.cause : "input failed");
	free(w.cause);
	EVP_MD_CTX_free(w.mdctx);
	EVP_MD_free(w.md);
	return rc;
}
