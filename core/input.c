/*
 * input.c: walks a PATH into members and reads each one as UTF-8 text.
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

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "xalloc.h"

#define INPUT_MAX_DEPTH 4               /* archives inside archives */
#define INPUT_SNIFF 512                 /* bytes looked at to tell files apart */
#define INPUT_WORKBUF (64 * 1024)       /* UTF-16 transcoding buffer */
#define INPUT_ARBUF (1024 * 1024)       /* archive read callback buffer */
#define INPUT_RATIO_GRACE (1024 * 1024) /* ratio not checked below this */
#define INPUT_MAX_CHUNK (1u << 30)      /* largest single read */

enum input_enc { INPUT_UTF8, INPUT_UTF8_BOM, INPUT_UTF16LE, INPUT_UTF16BE };

/* State shared by every member of one input_walk(). */
struct input_walker {
	struct input_limits lim;
	input_member_fn fn;
	input_warn_fn warn;
	void *ctx;
	EVP_MD *md;
	EVP_MD_CTX *mdctx; /* one leaf member is hashed at a time */
	uint64_t tree_out; /* bytes of every member of the outermost archive */
	char *cause;
};

struct input {
	struct input_walker *w;
	char *name;

	int fd;                  /* plain source, or -1 */
	int seekable;            /* fd is a regular file read from offset 0 */
	struct archive *ar;      /* archive positioned on this entry, or NULL */
	struct archive *root_ar; /* outermost archive (progress, ratio), or NULL */
	int64_t size;            /* on-disk size of the outermost file, or -1 */
	uint64_t fd_in;          /* bytes read from fd */
	uint64_t in_start;       /* bytes its archive had consumed when it began */
	int container;           /* read as an archive: no hash, no limits */
	int leaf;                /* never to be opened as an archive */

	unsigned char *buf;      /* sniffed prefix, then UTF-16 work buffer */
	size_t cap, pos, len;
	int eof;                 /* source exhausted */

	enum input_enc enc;
	unsigned char pend[4];   /* UTF-8 of a code point not yet handed out */
	size_t pend_pos, pend_len;

	uint64_t raw;            /* decompressed bytes pulled from the source */
	char *err;
	int finished;
	char hex[65];
};

/* Copy of s with C0 controls and DEL as \xNN, so a message stays one line. */
static char *input_oneline(const char *s)
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

static void input_warnf(struct input_walker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void input_warnf(struct input_walker *w, const char *fmt, ...)
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

/* Record the walk's failure; returns -1. */
static int input_stop(struct input_walker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int input_stop(struct input_walker *w, const char *fmt, ...)
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

/* Make the member's error sticky; returns -1. */
static int input_fail(struct input *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int input_fail(struct input *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	if (!in->err)
		in->err = input_oneline(m);
	free(m);
	in->eof = 1;
	return -1;
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

static struct input *input_new(struct input_walker *w, char *name)
{
	struct input *in = xcalloc(1, sizeof *in);
	in->w = w;
	in->name = name;
	in->fd = -1;
	in->size = -1;
	in->cap = INPUT_WORKBUF;
	in->buf = xmalloc(in->cap);
	EVP_DigestInit_ex(w->mdctx, w->md, NULL);
	return in;
}

static void input_free(struct input *in)
{
	if (!in)
		return;
	free(in->name);
	free(in->buf);
	free(in->err);
	free(in);
}

static uint64_t input_ar_bytes(struct archive *a)
{
	int64_t b = archive_filter_bytes(a, -1);
	return b > 0 ? (uint64_t)b : 0;
}

static uint64_t input_outer_bytes(const struct input *in)
{
	return in->root_ar ? input_ar_bytes(in->root_ar) : in->fd_in;
}

/*
 * Read up to n decompressed bytes from the member's source into dst: the
 * one place where bytes are counted, hashed and held against the limits.
 */
static ssize_t input_pull(struct input *in, unsigned char *dst, size_t n)
{
	struct input_walker *w = in->w;
	ssize_t r;

	if (in->eof)
		return in->err ? -1 : 0;
	if (n > INPUT_MAX_CHUNK)
		n = INPUT_MAX_CHUNK;
	if (in->ar) {
		r = archive_read_data(in->ar, dst, n);
		if (r < 0) {
			const char *e = archive_error_string(in->ar);
			return input_fail(in, "%s: %s", in->name, e ? e : "read error");
		}
	} else {
		do
			r = read(in->fd, dst, n);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return input_fail(in, "%s: %s", in->name, strerror(errno));
		in->fd_in += (uint64_t)r;
	}
	if (r == 0) {
		in->eof = 1;
		return 0;
	}
	if (in->container)
		return r;

	in->raw += (uint64_t)r;
	EVP_DigestUpdate(w->mdctx, dst, (size_t)r);

	char h[32];
	if (in->raw > w->lim.max_member_bytes) {
		input_human(h, sizeof h, w->lim.max_member_bytes);
		return input_fail(in, "%s: decompressed size exceeds the limit of %s; stopped",
				  in->name, h);
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
			return input_fail(in, "%s: decompressed size exceeds %gx the compressed size "
					  "(zip bomb?); stopped after %s", in->name, w->lim.max_ratio, h);
		}
	}
	return r;
}

/* Fill the buffer up to INPUT_SNIFF bytes (or the end) to look at them. */
static int input_sniff_fill(struct input *in)
{
	while (in->len < INPUT_SNIFF && !in->eof) {
		ssize_t r = input_pull(in, in->buf + in->len, INPUT_SNIFF - in->len);
		if (r < 0)
			return -1;
		in->len += (size_t)r;
	}
	return 0;
}

static int input_octal(const unsigned char *p, size_t n, unsigned long *out)
{
	size_t i = 0;
	unsigned long v = 0;
	int digits = 0;
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++, digits++)
		v = v * 8 + (unsigned long)(p[i] - '0');
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\0')
			return -1;
	*out = v;
	return digits ? 0 : -1;
}

/* A tar header: its checksum must add up, whatever the magic says. */
static int input_is_tar(const unsigned char *p, size_t n)
{
	unsigned long want, sum = 0;
	long ssum = 0; /* some old tars summed signed chars */
	if (n < 512 || p[0] == '\0')
		return 0;
	if (input_octal(p + 148, 8, &want) < 0)
		return 0;
	for (size_t i = 0; i < 512; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : p[i];
		sum += c;
		ssum += (signed char)c;
	}
	return sum == want || (ssum >= 0 && (unsigned long)ssum == want);
}

static int input_all(const unsigned char *p, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!p[i] || !strchr(set, p[i]))
			return 0;
	return 1;
}

/* Does this look like an archive or a compressed stream? */
static int input_is_container(const unsigned char *p, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
	} m[] = {
		{ "\x1f\x8b", 2 },                     /* gzip */
		{ "\x1f\x9d", 2 },                     /* compress */
		{ "\xfd" "7zXZ\0", 6 },                /* xz */
		{ "LZIP", 4 },                         /* lzip */
		{ "\x28\xb5\x2f\xfd", 4 },             /* zstd */
		{ "\x04\x22\x4d\x18", 4 },             /* lz4 */
		{ "\x02\x21\x4c\x18", 4 },             /* lz4 legacy */
		{ "PK\x03\x04", 4 },                   /* zip */
		{ "PK\x05\x06", 4 },                   /* empty zip */
		{ "PK\x07\x08", 4 },                   /* spanned zip */
		{ "PK00PK\x03\x04", 8 },
		{ "7z\xbc\xaf\x27\x1c", 6 },           /* 7-Zip */
		{ "Rar!\x1a\x07", 6 },                 /* rar 4 and 5 */
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (n >= m[i].len && memcmp(p, m[i].magic, m[i].len) == 0)
			return 1;
	if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
		return 1;
	if (n >= 13 && p[0] == 0x5d && p[1] == 0 && p[2] == 0) /* lzma alone */
		return 1;
	/* cpio: the whole header is digits, which CSV text never quite is */
	if (n >= 76 && memcmp(p, "070707", 6) == 0 && input_all(p, 76, "01234567"))
		return 1;
	if (n >= 110 && (memcmp(p, "070701", 6) == 0 || memcmp(p, "070702", 6) == 0) &&
	    input_all(p, 110, "0123456789abcdefABCDEF"))
		return 1;
	return input_is_tar(p, n);
}

/* Look at the first bytes: BOM, or UTF-16 without one (mostly ASCII). */
static void input_detect_encoding(struct input *in)
{
	const unsigned char *p = in->buf;
	size_t n = in->len;

	in->enc = INPUT_UTF8;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		in->enc = INPUT_UTF8_BOM;
		in->pos = 3;
	} else if (n >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		in->enc = INPUT_UTF16LE;
		in->pos = 2;
	} else if (n >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		in->enc = INPUT_UTF16BE;
		in->pos = 2;
	} else if (n >= 4) {
		/* "A" is 41 00 in UTF-16LE: zero bytes at odd offsets */
		size_t pairs = n / 2, le = 0, be = 0;
		for (size_t i = 0; i + 1 < n; i += 2) {
			if (p[i] && !p[i + 1])
				le++;
			else if (!p[i] && p[i + 1])
				be++;
		}
		if (le * 4 >= pairs * 3)
			in->enc = INPUT_UTF16LE;
		else if (be * 4 >= pairs * 3)
			in->enc = INPUT_UTF16BE;
	}
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
	switch (in->enc) {
	case INPUT_UTF8_BOM:
		return "utf-8-bom";
	case INPUT_UTF16LE:
		return "utf-16le";
	case INPUT_UTF16BE:
		return "utf-16be";
	case INPUT_UTF8:
		break;
	}
	return "utf-8";
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

/*
 * UTF-16 to UTF-8, streaming. A surrogate pair split across two reads of
 * the source is kept whole by refilling while fewer than 4 bytes are left;
 * a code point that does not fit the caller's buffer waits in pend.
 */
static ssize_t input_read16(struct input *in, unsigned char *out, size_t n)
{
	int be = in->enc == INPUT_UTF16BE;
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
		size_t units = avail / 2, i = 0;
		if (units > n - o)
			units = n - o;
		if (be) {
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
		if (avail == 1) { /* odd byte at the end */
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
		return -1;
	if (n == 0 || in->finished)
		return 0;
	if (n > INPUT_MAX_CHUNK)
		n = INPUT_MAX_CHUNK;
	if (in->enc == INPUT_UTF16LE || in->enc == INPUT_UTF16BE)
		return input_read16(in, out, n);
	if (in->pos < in->len) { /* the sniffed prefix first */
		size_t k = in->len - in->pos;
		if (k > n)
			k = n;
		memcpy(out, in->buf + in->pos, k);
		in->pos += k;
		return (ssize_t)k;
	}
	return input_pull(in, out, n);
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
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		EVP_DigestFinal_ex(in->w->mdctx, md, &mdlen);
		for (unsigned int i = 0; i < mdlen && i < 32; i++) {
			in->hex[2 * i] = hexd[md[i] >> 4];
			in->hex[2 * i + 1] = hexd[md[i] & 15];
		}
		in->hex[64] = '\0';
		in->finished = 1;
		in->pos = in->len;
		in->pend_pos = in->pend_len;
	} else if (in->err)
		rc = -1;
	memcpy(out, in->hex, 65);
	return rc;
}

static int input_begin(struct input_walker *w, struct input *in, int depth, int top);

/* libarchive read callback: the source's sniffed prefix, then the rest. */
static la_ssize_t input_cb_read(struct archive *a, void *data, const void **out)
{
	struct input *src = data;
	if (src->pos < src->len) {
		*out = src->buf + src->pos;
		size_t k = src->len - src->pos;
		src->pos = src->len;
		return (la_ssize_t)k;
	}
	ssize_t r = input_pull(src, src->buf, src->cap);
	if (r < 0) {
		archive_set_error(a, EIO, "%s", src->err);
		return ARCHIVE_FATAL;
	}
	*out = src->buf;
	return r;
}

static la_int64_t input_cb_seek(struct archive *a, void *data, la_int64_t off, int whence)
{
	struct input *src = data;
	off_t r = lseek(src->fd, (off_t)off, whence);
	if (r < 0) {
		archive_set_error(a, errno, "%s: %s", src->name, strerror(errno));
		return ARCHIVE_FATAL;
	}
	src->pos = src->len = 0;
	src->eof = src->err != NULL;
	return (la_int64_t)r;
}

/* Why a member name would be dangerous to extract, or NULL. */
static const char *input_name_risk(const char *p)
{
	for (const unsigned char *q = (const unsigned char *)p; *q; q++)
		if (*q < 0x20 || *q == 0x7f)
			return "holds control characters";
	if (p[0] == '/' || p[0] == '\\' ||
	    (((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':'))
		return "is an absolute path";
	for (const char *c = p; *c;) {
		size_t k = strcspn(c, "/\\");
		if (k == 2 && c[0] == '.' && c[1] == '.')
			return "points outside the archive";
		c += k;
		if (*c)
			c++;
	}
	return NULL;
}

static struct archive *input_archive_new(void)
{
	struct archive *a = archive_read_new();
	if (!a)
		return NULL;
	/* Only what audit bundles come in; never mtree or the like. */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_lzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	archive_read_support_filter_compress(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_raw(a);   /* a compressed single file */
	archive_read_support_format_empty(a); /* ... that holds nothing */
	return a;
}

static const char *input_type_name(mode_t t)
{
	switch (t) {
	case AE_IFLNK:
		return "a symbolic link";
	case AE_IFCHR:
	case AE_IFBLK:
		return "a device";
	case AE_IFIFO:
		return "a named pipe";
	case AE_IFSOCK:
		return "a socket";
	}
	return "not a regular file";
}

/* One entry of an open archive: a leaf member, or an archive to open. */
static int input_entry(struct input_walker *w, struct archive *a, struct archive_entry *e,
		       struct input *src, struct archive *root_ar, int depth)
{
	const char *p = archive_entry_pathname_utf8(e);
	if (!p)
		p = archive_entry_pathname(e);
	if (!p)
		p = "?";

	char *name;
	if (archive_format(a) == ARCHIVE_FORMAT_RAW)
		name = xstrdup(src->name);
	else
		name = xasprintf("%s!%s", src->name, p);

	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFDIR) {
		free(name);
		return 0;
	}
	if (type != AE_IFREG) {
		input_warnf(w, "%s: %s; skipped", name, input_type_name(type));
		free(name);
		return 0;
	}
	if (archive_entry_hardlink(e) && archive_entry_size(e) == 0) {
		input_warnf(w, "%s: hard link to '%s'; skipped", name, archive_entry_hardlink(e));
		free(name);
		return 0;
	}
	if (archive_format(a) != ARCHIVE_FORMAT_RAW) {
		const char *risk = input_name_risk(p);
		if (risk)
			input_warnf(w, "%s: member name '%s' %s; read in place, nothing extracted",
				    src->name, p, risk);
	}
	if (archive_entry_is_data_encrypted(e)) {
		input_warnf(w, "%s: encrypted; skipped (no password is tried)", name);
		free(name);
		return 0;
	}

	struct input *in = input_new(w, name);
	in->ar = a;
	in->root_ar = root_ar;
	in->size = src->size;
	in->in_start = input_ar_bytes(a);
	/* a magic number that no filter or format took: the bytes as they
	 * are, which must not be looked at again */
	in->leaf = archive_format(a) == ARCHIVE_FORMAT_RAW && archive_filter_count(a) <= 1;
	int rc = input_begin(w, in, depth, 0);
	input_free(in);
	return rc;
}

/* Read src as an archive (or compressed stream) and walk its entries. */
static int input_container(struct input_walker *w, struct input *src, int depth, int top)
{
	struct archive *a = input_archive_new();
	if (!a)
		return top ? input_stop(w, "%s: out of memory", src->name) : 0;

	src->container = 1;
	if (src->cap < INPUT_ARBUF) {
		src->buf = xrealloc(src->buf, INPUT_ARBUF);
		src->cap = INPUT_ARBUF;
	}
	archive_read_set_callback_data(a, src);
	archive_read_set_read_callback(a, input_cb_read);
	if (src->seekable) {
		/* 7-Zip and zip's central directory need to seek */
		if (lseek(src->fd, 0, SEEK_SET) == 0) {
			src->pos = src->len = 0;
			src->eof = 0;
			archive_read_set_seek_callback(a, input_cb_seek);
		}
	}
	if (archive_read_open1(a) < ARCHIVE_WARN) {
		const char *e = archive_error_string(a);
		int rc = 0;
		if (top)
			rc = input_stop(w, "%s: %s", src->name, e ? e : "cannot open the archive");
		else
			input_warnf(w, "%s: %s; skipped", src->name, e ? e : "cannot open the archive");
		archive_read_free(a);
		return rc;
	}

	struct archive *root_ar = src->root_ar;
	if (!root_ar) {
		root_ar = a;
		w->tree_out = 0;
	}
	int rc = 0, fails = 0, broken = 0;
	unsigned long entries = 0;
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_FATAL) {
			const char *m = archive_error_string(a);
			input_warnf(w, "%s: %s; stopped reading it after %lu member%s",
				    src->name, m ? m : "damaged or cut short", entries,
				    entries == 1 ? "" : "s");
			broken = 1;
			break;
		}
		if (r < ARCHIVE_WARN) {
			const char *m = archive_error_string(a);
			input_warnf(w, "%s: %s; entry skipped", src->name, m ? m : "bad entry");
			if (++fails > 100)
				break;
			continue;
		}
		if (r == ARCHIVE_WARN) {
			const char *m = archive_error_string(a);
			input_warnf(w, "%s: %s", src->name, m ? m : "warning");
		}
		entries++;
		if (input_entry(w, a, e, src, root_ar, depth) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && entries == 0 && archive_format(a) == ARCHIVE_FORMAT_EMPTY &&
	    archive_filter_count(a) > 1) {
		/* a compressed empty file: one empty member, as for a plain one */
		struct input *in = input_new(w, xstrdup(src->name));
		in->root_ar = root_ar;
		in->size = src->size;
		in->eof = 1;
		rc = input_begin(w, in, depth, 0);
		input_free(in);
	} else if (rc == 0 && entries == 0 && !broken && !fails) {
		input_warnf(w, "%s: the archive holds no files", src->name);
	}
	archive_read_free(a);
	return rc;
}

/*
 * A new member: look at its first bytes, then either open it as an archive
 * or hand it to the caller. depth counts the archives around it.
 */
static int input_begin(struct input_walker *w, struct input *in, int depth, int top)
{
	if (input_sniff_fill(in) < 0 && !in->ar) {
		/* the file itself could not be read; an archive entry's error
		 * goes to the caller through input_read() instead */
		if (top)
			return input_stop(w, "%s", in->err);
		input_warnf(w, "%s", in->err);
		return 0;
	}
	if (!in->err && !in->leaf && input_is_container(in->buf, in->len)) {
		if (depth >= INPUT_MAX_DEPTH) {
			input_warnf(w, "%s: archive nested more than %d deep; skipped",
				    in->name, INPUT_MAX_DEPTH);
			return 0;
		}
		return input_container(w, in, depth + 1, top);
	}
	input_detect_encoding(in);
	if (w->fn && w->fn(in, w->ctx) < 0)
		return input_stop(w, "%s: reading stopped", in->name);
	return 0;
}

static int input_walk_fd(struct input_walker *w, const char *name, int fd,
			 const struct stat *st, int top)
{
	struct input *in = input_new(w, xstrdup(name));
	in->fd = fd;
	if (S_ISREG(st->st_mode)) {
		in->size = st->st_size;
		in->seekable = lseek(fd, 0, SEEK_CUR) == 0;
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	int rc = input_begin(w, in, 0, top);
	input_free(in);
	return rc;
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
				input_warnf(w, "%s: symbolic link to nothing (%s); skipped",
					    child, strerror(errno));
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
			input_warnf(w, "%s: %s in a folder; skipped (give it as PATH to read it)",
				    child, S_ISFIFO(st.st_mode) ? "a named pipe" :
				    S_ISSOCK(st.st_mode) ? "a socket" : "a device");
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
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (top)
			return input_stop(w, "%s: %s", path, strerror(errno));
		input_warnf(w, "%s: %s", path, strerror(errno));
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
	int rc = input_walk_fd(w, path, fd, &st, top);
	close(fd);
	return rc;
}

int input_walk(const char *path, const struct input_limits *lim,
	       input_member_fn fn, input_warn_fn warn, void *ctx, char **cause)
{
	struct input_walker w;
	memset(&w, 0, sizeof w);
	w.lim.max_member_bytes = lim && lim->max_member_bytes ? lim->max_member_bytes
							      : (uint64_t)64 << 30;
	w.lim.max_ratio = lim && lim->max_ratio > 0 ? lim->max_ratio : 1000;
	w.fn = fn;
	w.warn = warn;
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
