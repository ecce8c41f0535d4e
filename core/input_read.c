/*
 * input_read.c: reading a member (input.h). Every byte comes through
 * input_pull, which counts it, feeds the SHA-256 and holds the member
 * against the limits (the zip-bomb guard: see input.c's top comment);
 * UTF-16 and UTF-32 are transcoded to UTF-8 as they stream, and a UTF-8
 * BOM dropped.
 * Plain files are read with read(2) straight into the caller's buffer,
 * or, when large, mapped (or read) and hashed ahead on a thread
 * (input_ahead.c): the hot path for multi-gigabyte exports.
 *
 * A file much bigger than memory is read once, front to back, and its
 * pages are of no more use once read and hashed; left in the page cache
 * they take all free memory, and the kernel must reclaim them (and with
 * them everything else cached: the case's own pages, other files) while
 * the load runs. Before, a 10M event CSV (18.3 GB, 24 GB of memory) took
 * 31.7 of its 98 CPU-s in the kernel, and a 5M one (9.1 GB) 28-42 of
 * 64-78 CPU-s, with no reclaim at all in one of the two runs: it is the
 * fresh pages themselves that cost (on this virtual machine, whose host
 * takes free memory back, the reader's copy out of the cache ran 2.5x as
 * long as its SHA-256 of the same bytes, 0.4x once pages are reused). So
 * a regular file of at least a quarter of memory is dropped from the
 * cache behind the reader (input_drop_read: POSIX_FADV_DONTNEED every
 * DROP_STEP bytes, the kernel's read-ahead in front untouched), and the
 * same few pages serve the whole file: 5M, input evicted before each
 * load, runs in the order before, after, after, before on a busy
 * machine (load average 12-20, nice 10): system CPU 42.1 and
 * 28.2 s -> 10.5 and 13.6 s, wall 190.7 and 315.2 s -> 150.8 and 191.1 s,
 * user the same (35.7-39.7 s). Smaller files stay cached for the next
 * load of the same file, as before: under a quarter of memory, a 1M
 * export (1.8 GB) on a machine of 8 GB or more.
 *
 * A pipe or a FIFO can keep a read waiting as long as its writer likes.
 * A stop (input_limits.stop, set by the handler of SIGINT, SIGTERM or
 * SIGHUP) must end that wait, or Ctrl-C would take effect only when the
 * next bytes come: such a descriptor is waited on in ppoll, which lets
 * the stop signals in only while it waits, so that one that comes after
 * the flag was looked at ends the wait instead of being missed, and the
 * thread that waits is the one they land on (stopsig.h). A read that a
 * signal interrupted is restarted, unless the walk was asked to stop: an
 * interrupted read is not the file's error, and the load that asked ends
 * as an interrupted one.
 */
#define _GNU_SOURCE /* ppoll */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input_priv.h"
#include "lazylib.h"
#include "stopsig.h"
#include "xalloc.h"

/* Make the member's error sticky; returns -1, errno EINTR when the walk
 * was asked to stop (the read gave up, stream.h), else EIO. */
int input_fail(struct input *in, const char *fmt, ...)
{
	int stopped = input_stopped(in->w);
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	if (!in->err)
		in->err = input_oneline(m);
	free(m);
	in->eof = 1;
	errno = stopped ? EINTR : EIO;
	return -1;
}

bool input_stopped(const struct input_walker *w)
{
	return w->lim.stop && *w->lim.stop;
}

/* -1 for a member whose error is already said, errno as input_fail's. */
static int input_failed(const struct input *in)
{
	errno = input_stopped(in->w) ? EINTR : EIO;
	return -1;
}

/* Wait until fd can be read (bytes, its end or an error for read(2) to
 * say) or a stop: -1 with errno EINTR then. */
static int input_wait(const volatile sig_atomic_t *stop, int fd, const sigset_t *let_in)
{
	sigset_t stops, old, in_wait;
	if (!let_in) {
		/* the walk's thread: the stop signals held back while the flag
		 * is looked at, let in while it waits */
		stopsig_set(&stops);
		pthread_sigmask(SIG_BLOCK, &stops, &old);
		in_wait = old;
		stopsig_del(&in_wait);
		let_in = &in_wait;
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (!*stop && ppoll(&p, 1, NULL, let_in) < 0 && errno == EINTR)
		;
	/* A ppoll that finds the descriptor ready delivers no signal, not
	 * even one it let in: on a source that is always ready (/dev/zero,
	 * a fast pipe read ahead, whose thread lets them in nowhere else) a
	 * stop stayed pending and the load went on (SIGTERM: /dev/zero read
	 * to the 64 GiB limit, 80 s). A stop signal pending is let in now. */
	sigset_t pend;
	stopsig_set(&stops);
	if (!*stop && sigpending(&pend) == 0) {
		bool any = false;
		for (int s = 1; s < NSIG && !any; s++)
			any = sigismember(&stops, s) == 1 && sigismember(&pend, s) == 1;
		if (any) {
			sigset_t cur;
			pthread_sigmask(SIG_SETMASK, let_in, &cur);
			pthread_sigmask(SIG_SETMASK, &cur, NULL);
		}
	}
	int stopped = *stop != 0;
	if (let_in == &in_wait)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (stopped)
		errno = EINTR;
	return stopped ? -1 : 0;
}

int input_fifo_open(const volatile sig_atomic_t *stop, const char *path)
{
	static const volatile sig_atomic_t never = 0;
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	/* a writer came: its bytes, or its close (Linux tells a reader of a
	 * FIFO no hang-up before a writer has opened it) */
	int fl;
	if (input_wait(stop ? stop : &never, fd, NULL) < 0 || (fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

ssize_t input_fd_read(const volatile sig_atomic_t *stop, int fd, bool stalls, const sigset_t *let_in,
		      void *dst, size_t n)
{
	if (stop && stalls && input_wait(stop, fd, let_in) < 0)
		return -1;
	ssize_t r;
	do
		r = read(fd, dst, n);
	while (r < 0 && errno == EINTR && !(stop && *stop));
	return r;
}

/* Pages are dropped in runs of this many bytes behind the read position. */
#define DROP_STEP ((uint64_t)8 << 20)

void input_drop_start(struct input_drop *d, const struct input *in)
{
	uint64_t from = in->w->lim.drop_cache_bytes;
	if (!from) {
		long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
		from = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz / 4 : UINT64_MAX;
	}
	d->fd = in->seekable && !in->ar && in->size >= 0 && (uint64_t)in->size >= from ? in->fd : -1;
	d->pos = in->fd_in;
	d->done = 0;
}

void input_drop_read(struct input_drop *d, size_t n)
{
	if (d->fd < 0)
		return;
	d->pos += n;
	/* whole steps behind the position, all of it at the end (len 0:
	 * to the end of the file) */
	uint64_t upto = n ? d->pos - d->pos % DROP_STEP : d->pos;
	if (upto >= d->done + DROP_STEP || (!n && upto > d->done)) {
		posix_fadvise(d->fd, (off_t)d->done, n ? (off_t)(upto - d->done) : 0, POSIX_FADV_DONTNEED);
		d->done = upto;
	}
}

static void input_human(char *b, size_t sz, uint64_t v)
{
	if (v >= (1ull << 30))
		snprintf(b, sz, "%.1f GiB", (double)v / (1ull << 30));
	else if (v >= (1ull << 20))
		snprintf(b, sz, "%.1f MiB", (double)v / (1ull << 20));
	else if (v >= 1024)
		snprintf(b, sz, "%.1f KiB", (double)v / 1024);
	else
		snprintf(b, sz, "%llu bytes", (unsigned long long)v);
}

static uint64_t input_outer_bytes(const struct input *in)
{
	return in->root_ar ? input_ar_bytes(in->root_ar) : in->fd_in;
}

/*
 * An archive entry's next bytes, asked of libarchive AR_STEP at a time:
 * archive_read_data fills a request over as many blocks as it takes and,
 * when one fails (a .gz or a zip member cut short, a damaged block),
 * returns the error alone, what it had copied lost. Asked for the
 * stream's whole free window (megabytes), a cut 50 KB .gz gave none of
 * its 1.8 MB of records and a cut 21 MB one lost the 3.9 MB before the
 * cut. Now the bytes before the failing step go out, and its error (kept:
 * libarchive's own says "invalid state" once it has failed) comes on the
 * next call: at most a step is lost, beside the block libarchive was
 * decoding when its input ended.
 */
#define AR_STEP ((size_t)16 << 10)
static ssize_t input_ar_read(struct input *in, unsigned char *dst, size_t n)
{
	if (in->ar_err)
		return -1;
	size_t got = 0;
	while (got < n) {
		size_t k = n - got < AR_STEP ? n - got : AR_STEP;
		la_ssize_t r = lazylib_la.archive_read_data(in->ar, dst + got, k);
		if (r < 0) {
			const char *e = lazylib_la.archive_error_string(in->ar);
			in->ar_err = xstrdup(e ? e : "read error");
			return got ? (ssize_t)got : -1;
		}
		got += (size_t)r;
		if ((size_t)r < k) /* the entry's end */
			break;
	}
	return (ssize_t)got;
}

/*
 * A sparse file's hole: bytes never written, which read as zeros. A
 * file of gigabytes of them (a log preallocated, or extended past a
 * crash) was read to its end through the page cache, page after page of
 * zeros (a 5 GB one: 35 s, 14 of them in the kernel), and its zeros
 * handed to the readers, which cut them into records of the largest
 * size and kept each as a reject (a 1 GB hole: 22 s, a 536 MB case,
 * the cuts, byte for byte the same, counted as duplicates of each
 * other). Now a hole is found with SEEK_DATA, hashed as the zeros it
 * holds without being read, counted as read, and the reader is given
 * its first INPUT_HOLE_KEEP zeros: the line holding them is one reject,
 * kept with them, and the bytes around it read as before. Said once a
 * member. Returns the zeros still owed (counted and hashed already),
 * 0 when the file is not at a hole, -1 on an error.
 */
static ssize_t input_hole(struct input *in, unsigned char *dst, size_t n)
{
	static const unsigned char zeros[64 * 1024];
	if (!in->hole_owed && in->hole_at >= 0 && in->fd_in == (uint64_t)in->hole_at) {
		off_t at = (off_t)in->hole_at, end = lseek(in->fd, at, SEEK_DATA);
		struct stat st;
		if (end < 0 && errno == ENXIO && fstat(in->fd, &st) == 0)
			end = st.st_size; /* a hole to the end of the file */
		if (end <= at) {          /* (the file changed under us) read it */
			in->hole_at = -1;
			return lseek(in->fd, at, SEEK_SET) == at
				       ? 0
				       : input_fail(in, "%s: %s", in->name, strerror(errno));
		}
		uint64_t len = (uint64_t)(end - at);
		for (uint64_t k = 0; k < len; k += sizeof zeros)
			EVP_DigestUpdate(in->w->mdctx, zeros, len - k < sizeof zeros ? len - k : sizeof zeros);
		in->fd_in += len;
		in->raw += len;
		off_t next = lseek(in->fd, end, SEEK_HOLE);
		in->hole_at = next > end && fstat(in->fd, &st) == 0 && next < st.st_size ? next : -1;
		if (lseek(in->fd, end, SEEK_SET) != end)
			return input_fail(in, "%s: %s", in->name, strerror(errno));
		if (in->raw > in->w->lim.max_member_bytes) {
			char h[32];
			input_human(h, sizeof h, in->w->lim.max_member_bytes);
			return input_fail(in, "%s: decompressed size exceeds the limit of %s; stopped",
					  in->name, h);
		}
		in->hole_owed = len < INPUT_HOLE_KEEP ? len : INPUT_HOLE_KEEP;
		if (in->holes++ == 0)
			input_warnf(in->w,
				    "%s: bytes %llu to %llu are a hole of a sparse file (never written: zeros); "
				    "its first %llu zeros are read, the rest hashed%s",
				    in->name, (unsigned long long)at, (unsigned long long)end - 1,
				    (unsigned long long)in->hole_owed,
				    in->hole_at >= 0 ? ", and so are its other holes" : "");
	}
	size_t k = n < in->hole_owed ? n : (size_t)in->hole_owed;
	memset(dst, 0, k);
	in->hole_owed -= k;
	return (ssize_t)k;
}

ssize_t input_pull(struct input *in, unsigned char *dst, size_t n)
{
	struct input_walker *w = in->w;
	ssize_t r;

	if (in->eof)
		return in->err ? input_failed(in) : 0;
	if (n > INPUT_MAX_CHUNK)
		n = INPUT_MAX_CHUNK;
	if (in->ar) {
		r = input_ar_read(in, dst, n);
		if (r < 0) {
			const char *e = in->ar_err ? in->ar_err : lazylib_la.archive_error_string(in->ar);
			return input_fail(in, "%s: %s", in->name, e ? e : "read error");
		}
	} else if (in->ahead) {
		int e;
		r = input_ahead_take(in, dst, n, &e);
		if (r < 0)
			return input_fail(in, "%s: %s", in->name, input_ahead_why(e));
		in->fd_in += (uint64_t)r;
	} else {
		if (!in->container && (in->hole_owed || in->hole_at >= 0)) {
			if ((r = input_hole(in, dst, n)) != 0)
				return r; /* counted and hashed, or an error */
			if (in->hole_at >= 0 && n > (uint64_t)in->hole_at - in->fd_in)
				n = (size_t)((uint64_t)in->hole_at - in->fd_in);
		}
		r = input_fd_read(w->lim.stop, in->fd, in->stalls, NULL, dst, n);
		if (r < 0)
			return input_fail(in, "%s: %s", in->name,
					  errno == EINTR ? "interrupted" : strerror(errno));
		in->fd_in += (uint64_t)r;
	}
	if (r == 0) {
		in->eof = 1;
		return 0;
	}
	if (in->container)
		return r;

	in->raw += (uint64_t)r;
	if (!in->ahead) /* else hashed as it was read */
		EVP_DigestUpdate(w->mdctx, dst, (size_t)r);

	char h[32];
	if (in->raw > w->lim.max_member_bytes) {
		input_human(h, sizeof h, w->lim.max_member_bytes);
		return input_fail(in, "%s: decompressed size exceeds the limit of %s; stopped", in->name, h);
	}
	/*
	 * Two ratios. The member against the bytes its own archive consumed
	 * meanwhile: precise, as libarchive counts what its decoder used, not
	 * what was read ahead. And everything read out of the outermost file
	 * against the file's bytes consumed: an archive of archives multiplies
	 * ratios that each look harmless. A nested member cannot use the
	 * outermost count alone: the inner archive reads the outer entry ahead
	 * by a megabyte, so its first megabytes look free.
	 */
	if (in->root_ar) {
		w->tree_out += (uint64_t)r;
		int bomb = 0;
		if (in->ar && in->raw > INPUT_RATIO_GRACE) {
			uint64_t now = input_ar_bytes(in->ar);
			uint64_t used = now > in->in_start ? now - in->in_start : 0;
			bomb = (double)in->raw > w->lim.max_ratio * (double)(used ? used : 1);
		}
		if (w->tree_out > INPUT_RATIO_GRACE) {
			uint64_t used = input_ar_bytes(in->root_ar);
			bomb |= (double)w->tree_out > w->lim.max_ratio * (double)(used ? used : 1);
		}
		if (bomb) {
			input_human(h, sizeof h, in->raw);
			return input_fail(in,
					  "%s: decompressed size exceeds %gx the compressed size "
					  "(zip bomb?); stopped after %s",
					  in->name, w->lim.max_ratio, h);
		}
	}
	return r;
}

int input_sniff_fill(struct input *in)
{
	while (in->len < INPUT_SNIFF && !in->eof) {
		ssize_t r = input_pull(in, in->buf + in->len, INPUT_SNIFF - in->len);
		if (r < 0)
			return -1;
		in->len += (size_t)r;
	}
	return 0;
}

const char *input_name(const struct input *in)
{
	return in->name;
}

/* The message after input_read() or input_finish() failed, "" before. */
const char *input_error(const struct input *in)
{
	return in->err ? in->err : "";
}

const char *input_encoding(const struct input *in)
{
	bool cr = in->cr_lines == 2;
	switch (in->enc) {
	case INPUT_UTF8_BOM: return cr ? "utf-8-bom, CR line ends" : "utf-8-bom";
	case INPUT_UTF16LE: return cr ? "utf-16le, CR line ends" : "utf-16le";
	case INPUT_UTF16BE: return cr ? "utf-16be, CR line ends" : "utf-16be";
	case INPUT_UTF32LE: return cr ? "utf-32le, CR line ends" : "utf-32le";
	case INPUT_UTF32BE: return cr ? "utf-32be, CR line ends" : "utf-32be";
	case INPUT_UTF8: break;
	}
	return cr ? "utf-8, CR line ends" : "utf-8";
}

/* Text about to be handed out: its first line end says whether lines
 * end in CR alone (a CR that ends the text handed out says nothing yet:
 * a LF may follow); then each CR becomes LF, in place (a CR-only export
 * read as it is was one header line and no record). */
static void input_line_ends(struct input *in, char *p, size_t n)
{
	if (in->cr_lines == 0) {
		const char *lf = memchr(p, '\n', n), *cr = memchr(p, '\r', n);
		if (lf && (!cr || lf < cr))
			in->cr_lines = 1;
		else if (cr && cr + 1 < p + n)
			in->cr_lines = cr[1] == '\n' ? 1 : 2;
	}
	if (in->cr_lines != 2)
		return;
	for (char *q = p; (q = memchr(q, '\r', n - (size_t)(q - p))) != NULL; q++)
		*q = '\n';
}

uint64_t input_bytes_in(const struct input *in)
{
	return input_outer_bytes(in);
}

int64_t input_size(const struct input *in)
{
	return in->size;
}

uint64_t input_bytes_raw(const struct input *in)
{
	return in->raw;
}

int64_t input_member_size(const struct input *in)
{
	return in->own_size;
}

/* Keep the unread tail (under 4 bytes) and read more behind it. */
static int input_fill(struct input *in)
{
	if (in->pos > 0) {
		memmove(in->buf, in->buf + in->pos, in->len - in->pos);
		in->len -= in->pos;
		in->pos = 0;
	}
	ssize_t r = input_pull(in, in->buf + in->len, in->cap - in->len);
	if (r < 0)
		return -1;
	in->len += (size_t)r;
	return 0;
}

static size_t input_utf8_put(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Is the member's text UTF-16 or UTF-32, transcoded as it is read? */
static bool input_wide(const struct input *in)
{
	return in->enc == INPUT_UTF16LE || in->enc == INPUT_UTF16BE || in->enc == INPUT_UTF32LE ||
	       in->enc == INPUT_UTF32BE;
}

/* One UTF-32 unit's code point: U+FFFD for a surrogate or one past
 * U+10FFFF. */
static uint32_t input_cp32(const unsigned char *p, int be)
{
	uint32_t u = be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
			: (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	return u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff) ? 0xfffd : u;
}

/*
 * UTF-16 and UTF-32 to UTF-8, streaming. A surrogate pair split across
 * two reads of the source is kept whole by refilling while fewer than 4
 * bytes are left; a code point that does not fit the caller's buffer
 * waits in pend. (UTF-32 was read as UTF-16LE: every other character a
 * NUL, the file refused as binary.)
 */
static ssize_t input_read16(struct input *in, unsigned char *out, size_t n)
{
	int be = in->enc == INPUT_UTF16BE || in->enc == INPUT_UTF32BE;
	int u32 = in->enc == INPUT_UTF32LE || in->enc == INPUT_UTF32BE;
	size_t o = 0;

	while (o < n && in->pend_pos < in->pend_len)
		out[o++] = in->pend[in->pend_pos++];
	while (o < n) {
		size_t avail = in->len - in->pos;
		while (avail < 4 && !in->eof) {
			if (input_fill(in) < 0)
				return o ? (ssize_t)o : -1;
			avail = in->len - in->pos;
		}
		if (avail == 0)
			break;

		const unsigned char *p = in->buf + in->pos;
		/* fast path: a run of ASCII, which is nearly all of an export */
		size_t units = avail / (u32 ? 4 : 2), i = 0;
		if (units > n - o)
			units = n - o;
		if (u32) {
			const unsigned char *a = p + (be ? 3 : 0), *z = p + (be ? 0 : 1);
			while (i < units && a[4 * i] < 0x80 && !z[4 * i] && !z[4 * i + 1] && !z[4 * i + 2]) {
				out[o + i] = a[4 * i];
				i++;
			}
			if (i) {
				o += i;
				in->pos += 4 * i;
				continue;
			}
		} else if (be) {
			while (i < units && !p[2 * i] && p[2 * i + 1] < 0x80) {
				out[o + i] = p[2 * i + 1];
				i++;
			}
		} else {
			while (i < units && !p[2 * i + 1] && p[2 * i] < 0x80) {
				out[o + i] = p[2 * i];
				i++;
			}
		}
		if (i) {
			o += i;
			in->pos += 2 * i;
			continue;
		}

		uint32_t cp;
		if (u32 && avail < 4) { /* a cut unit at the end */
			cp = 0xfffd;
			in->pos += avail;
		} else if (u32) {
			cp = input_cp32(p, be);
			in->pos += 4;
		} else if (avail == 1) { /* odd byte at the end */
			cp = 0xfffd;
			in->pos++;
		} else {
			uint32_t u = be ? (uint32_t)(p[0] << 8 | p[1]) : (uint32_t)(p[1] << 8 | p[0]);
			in->pos += 2;
			if (u >= 0xd800 && u <= 0xdbff) {
				cp = 0xfffd;
				if (avail >= 4) {
					uint32_t u2 = be ? (uint32_t)(p[2] << 8 | p[3])
							 : (uint32_t)(p[3] << 8 | p[2]);
					if (u2 >= 0xdc00 && u2 <= 0xdfff) {
						cp = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
						in->pos += 2;
					}
				}
			} else if (u >= 0xdc00 && u <= 0xdfff)
				cp = 0xfffd;
			else
				cp = u;
		}

		unsigned char tmp[4];
		size_t k = input_utf8_put(tmp, cp);
		if (o + k <= n) {
			memcpy(out + o, tmp, k);
			o += k;
		} else {
			size_t fit = n - o;
			memcpy(out + o, tmp, fit);
			o += fit;
			memcpy(in->pend, tmp + fit, k - fit);
			in->pend_pos = 0;
			in->pend_len = k - fit;
		}
	}
	return (ssize_t)o;
}

ssize_t input_read(struct input *in, char *buf, size_t n)
{
	unsigned char *out = (unsigned char *)buf;

	if (in->err)
		return input_failed(in);
	if (n == 0 || in->finished)
		return 0;
	if (n > INPUT_MAX_CHUNK)
		n = INPUT_MAX_CHUNK;
	if (input_ahead_wanted(in))
		input_ahead_start(in);
	ssize_t k;
	if (input_wide(in)) {
		k = input_read16(in, out, n);
	} else if (in->pos < in->len) { /* the sniffed prefix first */
		k = (ssize_t)(in->len - in->pos);
		if ((size_t)k > n)
			k = (ssize_t)n;
		memcpy(out, in->buf + in->pos, (size_t)k);
		in->pos += (size_t)k;
	} else {
		k = input_pull(in, out, n);
	}
	if (k > 0 && in->cr_lines != 1)
		input_line_ends(in, buf, (size_t)k);
	return k;
}

ssize_t input_lend(struct input *in, const char **p, size_t *room)
{
	if (in->err)
		return input_failed(in);
	if (in->finished || in->eof)
		return 0;
	if (input_ahead_wanted(in))
		input_ahead_start(in);
	/* only bytes handed out as read: not UTF-16, the sniffed prefix first */
	if (!in->ahead || in->container || in->root_ar || input_wide(in) || in->pos < in->len)
		return 0;
	int e;
	ssize_t r = input_ahead_lend(in, p, room, &e);
	if (r < 0)
		return input_fail(in, "%s: %s", in->name, input_ahead_why(e));
	if (r == 0) {
		in->eof = 1;
		return 0;
	}
	in->fd_in += (uint64_t)r;
	in->raw += (uint64_t)r;
	if (in->raw > in->w->lim.max_member_bytes) {
		/* as input_pull: these bytes are not handed out (the slot
		 * stays lent until the thread stops) */
		char h[32];
		input_human(h, sizeof h, in->w->lim.max_member_bytes);
		return input_fail(in, "%s: decompressed size exceeds the limit of %s; stopped", in->name, h);
	}
	/* the slot was hashed as read: its CRs can be made LFs in place */
	if (in->cr_lines != 1)
		input_line_ends(in, (char *)*p, (size_t)r);
	return r;
}

void input_unlend(struct input *in)
{
	if (in->ahead)
		input_ahead_unlend(in);
}

int input_finish(struct input *in, char out[65])
{
	static const char hexd[] = "0123456789abcdef";
	int rc = 0;

	if (!in->finished) {
		if (in->err)
			rc = -1;
		else if (!in->eof) {
			size_t sz = 1024 * 1024;
			unsigned char *scratch = xmalloc(sz);
			ssize_t r;
			while ((r = input_pull(in, scratch, sz)) > 0)
				;
			free(scratch);
			if (r < 0)
				rc = -1;
		}
		input_ahead_stop(in); /* its thread's hashing is done */
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		EVP_DigestFinal_ex(in->w->mdctx, md, &mdlen);
		for (unsigned int i = 0; i < mdlen && i < 32; i++) {
			in->hex[2 * i] = hexd[md[i] >> 4];
			in->hex[2 * i + 1] = hexd[md[i] & 15];
		}
		in->hex[64] = '\0';
		/* read in part because a stop came: no hash of the member */
		if (rc < 0 && input_stopped(in->w))
			in->hex[0] = '\0';
		in->finished = 1;
		in->pos = in->len;
		in->pend_pos = in->pend_len;
	} else if (in->err)
		rc = -1;
	memcpy(out, in->hex, 65);
	return rc;
}
