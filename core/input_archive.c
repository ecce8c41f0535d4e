/*
 * input_archive.c: archives and compressed streams (input.h), read in
 * place through libarchive, never extracted to disk. Only the formats and
 * filters audit bundles come in are enabled (with every format on,
 * libarchive takes some CSV or JSON text for "mtree"). An entry that is
 * itself an archive is opened from inside its parent, whose entry the
 * inner archive's read callback pulls from, up to INPUT_MAX_DEPTH deep.
 * Member names are only names: a dangerous one ("../", absolute, control
 * characters) is reported and the entry still read. libarchive is opened
 * at the first archive met (lazylib.h); without it each archive is
 * skipped, naming the file and the library (the walk goes on with the
 * files beside it), and nothing is skipped unsaid.
 */
#include "input.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input_priv.h"
#include "lazylib.h"
#include "xalloc.h"

/* libarchive's functions, once lazylib_archive_open() said yes */
static const struct lazylib_archive *const la = &lazylib_la;

uint64_t input_ar_bytes(struct archive *a)
{
	int64_t b = la->archive_filter_bytes(a, -1);
	return b > 0 ? (uint64_t)b : 0;
}

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
		la->archive_set_error(a, EIO, "%s", src->err);
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
		la->archive_set_error(a, errno, "%s: %s", src->name, strerror(errno));
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
	if (p[0] == '/' || p[0] == '\\' || (((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':'))
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
	struct archive *a = la->archive_read_new();
	if (!a)
		return NULL;
	/* Only what audit bundles come in; never mtree or the like. */
	la->archive_read_support_filter_gzip(a);
	la->archive_read_support_filter_bzip2(a);
	la->archive_read_support_filter_xz(a);
	la->archive_read_support_filter_lzma(a);
	la->archive_read_support_filter_lzip(a);
	la->archive_read_support_filter_zstd(a);
	la->archive_read_support_filter_lz4(a);
	la->archive_read_support_filter_compress(a);
	la->archive_read_support_format_zip(a);
	la->archive_read_support_format_tar(a);
	la->archive_read_support_format_7zip(a);
	la->archive_read_support_format_rar(a);
	la->archive_read_support_format_rar5(a);
	la->archive_read_support_format_cpio(a);
	la->archive_read_support_format_raw(a);   /* a compressed single file */
	la->archive_read_support_format_empty(a); /* ... that holds nothing */
	return a;
}

static const char *input_type_name(mode_t t)
{
	switch (t) {
	case AE_IFLNK: return "a symbolic link";
	case AE_IFCHR:
	case AE_IFBLK: return "a device";
	case AE_IFIFO: return "a named pipe";
	case AE_IFSOCK: return "a socket";
	}
	return "not a regular file";
}

/* One entry of an open archive: a leaf member, or an archive to open. */
static int input_entry(struct input_walker *w, struct archive *a, struct archive_entry *e, struct input *src,
		       struct archive *root_ar, int depth)
{
	const char *p = la->archive_entry_pathname_utf8(e);
	if (!p)
		p = la->archive_entry_pathname(e);
	if (!p)
		p = "?";

	char *name;
	if (la->archive_format(a) == ARCHIVE_FORMAT_RAW)
		name = xstrdup(src->name);
	else
		name = xasprintf("%s!%s", src->name, p);

	mode_t type = la->archive_entry_filetype(e);
	if (type == AE_IFDIR) {
		free(name);
		return 0;
	}
	/* (a tar's hard link has no file type: it was "not a regular file",
	 * an error that failed the load, though its bytes are read) */
	if (la->archive_entry_hardlink(e) && la->archive_entry_size(e) == 0) {
		input_warnf(w, "%s: a hard link to '%s', whose bytes are read under that name; skipped", name,
			    la->archive_entry_hardlink(e));
		free(name);
		return 0;
	}
	if (type != AE_IFREG) {
		input_skipf(w, name, "%s; skipped", input_type_name(type));
		free(name);
		return 0;
	}
	if (la->archive_format(a) != ARCHIVE_FORMAT_RAW) {
		const char *risk = input_name_risk(p);
		if (risk)
			input_warnf(w, "%s: member name '%s' %s; read in place, nothing extracted", src->name,
				    p, risk);
	}
	if (la->archive_entry_is_data_encrypted(e)) {
		input_skipf(w, name, "encrypted; skipped (no password is tried)");
		free(name);
		return 0;
	}

	struct input *in = input_new(w, name);
	in->ar = a;
	in->root_ar = root_ar;
	in->size = src->size;
	/* a raw stream's (a .gz) "entry" has no size of its own */
	if (la->archive_format(a) != ARCHIVE_FORMAT_RAW && la->archive_entry_size_is_set(e))
		in->own_size = la->archive_entry_size(e);
	in->in_start = input_ar_bytes(a);
	/* a magic number that no filter or format took: the bytes as they
	 * are, which must not be looked at again */
	in->leaf = la->archive_format(a) == ARCHIVE_FORMAT_RAW && la->archive_filter_count(a) <= 1;
	int rc = input_begin(w, in, depth, 0);
	input_free(in);
	return rc;
}

static uint64_t input_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/*
 * Does a zip's own end say it is whole: an end-of-central-directory
 * record that ends the file (with its comment), and a central directory
 * that ends where that record (or its zip64 one) begins? Given seeking,
 * libarchive reads a zip by its central directory, found by searching
 * the file's last bytes for the record's signature; in a zip cut short
 * it found a stored inner zip's record instead, with an offset that
 * fits, and read that inner zip's members alone: the outer members
 * lost, the cut never said, the source complete. A zip that fails this
 * is read front to back instead, member by member, where a cut is an
 * error at the member it falls in.
 */
static bool input_zip_whole(int fd, int64_t size)
{
	enum { EOCD = 22, TAIL = EOCD + 0xffff };
	if (size < EOCD)
		return false;
	size_t n = size < TAIL ? (size_t)size : TAIL;
	unsigned char *t = xmalloc(n);
	bool ok = false;
	if (pread(fd, t, n, (off_t)(size - (int64_t)n)) != (ssize_t)n)
		goto out;
	for (size_t i = n - EOCD + 1; i-- > 0;) {
		const unsigned char *e = t + i;
		if (memcmp(e, "PK\x05\x06", 4) != 0 || i + EOCD + input_le(e + 20, 2) != n)
			continue;
		int64_t at = size - (int64_t)(n - i);
		uint64_t cd_size = input_le(e + 12, 4), cd_off = input_le(e + 16, 4);
		if (cd_size == 0xffffffff || cd_off == 0xffffffff || input_le(e + 10, 2) == 0xffff) {
			/* zip64: its locator just before, naming its own record */
			unsigned char z[56];
			if (i < 20 || memcmp(e - 20, "PK\x06\x07", 4) != 0)
				break;
			uint64_t zat = input_le(e - 20 + 8, 8);
			if (zat > (uint64_t)at || pread(fd, z, sizeof z, (off_t)zat) != (ssize_t)sizeof z ||
			    memcmp(z, "PK\x06\x06", 4) != 0)
				break;
			cd_size = input_le(z + 40, 8);
			cd_off = input_le(z + 48, 8);
			at = (int64_t)zat;
		}
		ok = cd_off <= (uint64_t)at && cd_size == (uint64_t)at - cd_off;
		break;
	}
out:
	free(t);
	return ok;
}

int input_container(struct input_walker *w, struct input *src, int depth, int top)
{
	const char *why;
	if (lazylib_archive_open(&why) < 0) {
		/* this archive is not read; the folder's other files are */
		input_skipf(w, src->name, "%s", why);
		return 0;
	}
	struct archive *a = input_archive_new();
	if (!a)
		return top ? input_stop(w, "%s: out of memory", src->name) : 0;

	src->container = 1;
	if (src->cap < INPUT_ARBUF) {
		src->buf = xrealloc(src->buf, INPUT_ARBUF);
		src->cap = INPUT_ARBUF;
	}
	la->archive_read_set_callback_data(a, src);
	la->archive_read_set_read_callback(a, input_cb_read);
	/* a zip is read by its central directory only when its end says it
	 * is whole (input_zip_whole) */
	bool zip = src->len >= 2 && src->buf[0] == 'P' && src->buf[1] == 'K';
	if (src->seekable && (!zip || input_zip_whole(src->fd, src->size))) {
		/* 7-Zip and zip's central directory need to seek */
		if (lseek(src->fd, 0, SEEK_SET) == 0) {
			src->pos = src->len = 0;
			src->eof = 0;
			la->archive_read_set_seek_callback(a, input_cb_seek);
		}
	}
	if (la->archive_read_open1(a) < ARCHIVE_WARN) {
		const char *e = la->archive_error_string(a);
		int rc = 0;
		if (input_stopped(w)) /* its read gave up at a stop */
			rc = input_stop(w, "%s: interrupted", src->name);
		else if (top)
			rc = input_stop(w, "%s: %s", src->name, e ? e : "cannot open the archive");
		else
			input_skipf(w, src->name, "%s; skipped", e ? e : "cannot open the archive");
		la->archive_read_free(a);
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
		int r = la->archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_FATAL && input_stopped(w)) {
			rc = input_stop(w, "%s: interrupted", src->name);
			break;
		}
		if (r == ARCHIVE_FATAL) {
			const char *m = la->archive_error_string(a);
			input_skipf(w, src->name, "%s; stopped reading it after %lu member%s",
				    m ? m : "damaged or cut short", entries, entries == 1 ? "" : "s");
			broken = 1;
			break;
		}
		if (r < ARCHIVE_WARN) {
			const char *m = la->archive_error_string(a);
			input_skipf(w, src->name, "%s; entry skipped", m ? m : "bad entry");
			if (++fails > 100)
				break;
			continue;
		}
		if (r == ARCHIVE_WARN) {
			const char *m = la->archive_error_string(a);
			input_warnf(w, "%s: %s", src->name, m ? m : "warning");
		}
		entries++;
		if (input_entry(w, a, e, src, root_ar, depth) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && entries == 0 && la->archive_format(a) == ARCHIVE_FORMAT_EMPTY &&
	    la->archive_filter_count(a) > 1) {
		/* a compressed empty file: one empty member, as for a plain one */
		struct input *in = input_new(w, xstrdup(src->name));
		in->root_ar = root_ar;
		in->size = src->size;
		in->own_size = 0;
		in->eof = 1;
		rc = input_begin(w, in, depth, 0);
		input_free(in);
	} else if (rc == 0 && entries == 0 && !broken && !fails) {
		input_warnf(w, "%s: the archive holds no files", src->name);
	}
	la->archive_read_free(a);
	return rc;
}
