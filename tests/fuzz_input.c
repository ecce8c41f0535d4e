/*
 * fuzz_input.c: libFuzzer target for the input layer's text decoding
 * (BOM removal and UTF-16 to UTF-8), reached the way the loader reaches
 * it: input_walk() over a file, read with input_read().
 *
 * The first byte says how the file is made from the rest:
 *   bits 0-1  what it starts with: FF FE, FE FF, EF BB BF, or nothing
 *             (then the content itself decides, BOM-less UTF-16 included);
 *   bit 2     padding in front (ASCII in the file's encoding) so that the
 *             content straddles the layer's 64 KiB work buffer, where a
 *             surrogate pair or a UTF-8 sequence can be cut in two;
 *   bits 3-5  how many bytes each input_read() asks for (1 to 64 KiB), so
 *             that a character is cut between the caller's reads.
 * What must hold, beyond "no crash": the text read is exactly what a plain
 * reference decoder makes of the file for the encoding the layer reports
 * (a lone surrogate or an odd last byte: U+FFFD), so valid UTF-8 for
 * UTF-16 input; the reported encoding matches a BOM; the SHA-256 is the
 * file's.
 *
 * A file that could be an archive or a compressed stream (which the layer
 * hands to libarchive) is read but its content not compared.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "input.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz check failed: " __VA_ARGS__); \
			fputc('\n', stderr);                                \
			abort();                                            \
		}                                                           \
	} while (0)
#endif
#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

#define FUZZ_INPUT_WORKBUF (64 * 1024) /* input.c's UTF-16 buffer */

/* The target's own loops over 64 KiB of padding would otherwise be traced
 * for coverage byte by byte and take most of each run. */
#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_INPUT_UNTRACED __attribute__((no_sanitize("coverage"), noinline))
#else
#define FUZZ_INPUT_UNTRACED
#endif

static char fuzz_input_dir[4096];
static char fuzz_input_path[4200];

static void fuzz_input_cleanup(void)
{
	if (fuzz_input_path[0])
		unlink(fuzz_input_path);
	if (fuzz_input_dir[0])
		rmdir(fuzz_input_dir);
}

/* A private folder for the one file each run writes: under FUZZ_TMPDIR
 * (tests/fuzz.sh's scratch folder, which it removes even after a crash),
 * else in memory (/dev/shm) where there is one, as a disk file system
 * would write every run's file back. */
static const char *fuzz_input_file(void)
{
	if (!fuzz_input_dir[0]) {
		const char *t = getenv("FUZZ_TMPDIR");
		if (!t || !*t)
			t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
		snprintf(fuzz_input_dir, sizeof fuzz_input_dir, "%s/auditscope-fuzz-input-XXXXXX",
			 t && *t ? t : "/tmp");
		if (!mkdtemp(fuzz_input_dir)) {
			perror(fuzz_input_dir);
			abort();
		}
		snprintf(fuzz_input_path, sizeof fuzz_input_path, "%s/member.txt", fuzz_input_dir);
		atexit(fuzz_input_cleanup);
	}
	return fuzz_input_path;
}

struct fuzz_input_buf {
	unsigned char *p;
	size_t n, cap;
};

static void fuzz_input_put(struct fuzz_input_buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

FUZZ_INPUT_UNTRACED static size_t fuzz_input_cp(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The reference: UTF-16 one unit at a time. A unit gives at most three
 * bytes of UTF-8 and a pair four, so out needs 3 * n / 2 + 3 bytes. */
FUZZ_INPUT_UNTRACED static void fuzz_input_ref16(const unsigned char *p, size_t n, bool be,
						 struct fuzz_input_buf *out)
{
	size_t i = 0;
	out->cap = 3 * n / 2 + 3;
	out->p = malloc(out->cap);
	unsigned char *o = out->p;
	while (i < n) {
		if (n - i == 1) {
			o += fuzz_input_cp(o, 0xFFFD);
			break;
		}
		uint32_t u = be ? (uint32_t)(p[i] << 8 | p[i + 1]) : (uint32_t)(p[i + 1] << 8 | p[i]);
		i += 2;
		if (u >= 0xD800 && u <= 0xDBFF && n - i >= 2) {
			uint32_t u2 = be ? (uint32_t)(p[i] << 8 | p[i + 1]) : (uint32_t)(p[i + 1] << 8 | p[i]);
			if (u2 >= 0xDC00 && u2 <= 0xDFFF) {
				o += fuzz_input_cp(o, 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00));
				i += 2;
				continue;
			}
		}
		o += fuzz_input_cp(o, u >= 0xD800 && u <= 0xDFFF ? 0xFFFD : u);
	}
	out->n = (size_t)(o - out->p);
}

FUZZ_INPUT_UNTRACED static bool fuzz_input_utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t k;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 2, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			k = 3, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			k = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < k)
			return false;
		for (size_t j = 1; j < k; j++) {
			if ((p[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k;
	}
	return true;
}

/* Could the layer take this file for an archive (input.c's
 * input_is_container)? Roughly: a known first byte, or a tar header. */
static bool fuzz_input_maybe_archive(const unsigned char *p, size_t n)
{
	if (n == 0)
		return false;
	return n >= 512 || strchr("\x1f\xfd"
				  "L(\x04\x02"
				  "P7RB]0",
				  p[0]) != NULL;
}

/* n bytes of 'A' in the encoding of mode (0 LE, 1 BE, 2 UTF-8, 3 LE). */
FUZZ_INPUT_UNTRACED static unsigned char *fuzz_input_padding(size_t n, unsigned mode)
{
	unsigned char *pd = malloc(n ? n : 1);
	if (mode == 2) {
		memset(pd, 'A', n);
		return pd;
	}
	for (size_t i = 0; i + 1 < n; i += 2) {
		pd[i] = mode == 1 ? 0 : 'A';
		pd[i + 1] = mode == 1 ? 'A' : 0;
	}
	return pd;
}

/* Where a and b first differ (for the message). */
FUZZ_INPUT_UNTRACED static size_t fuzz_input_diff(const unsigned char *a, size_t an, const unsigned char *b,
						  size_t bn)
{
	size_t i = 0;
	while (i < an && i < bn && a[i] == b[i])
		i++;
	return i;
}

struct fuzz_input_ctx {
	size_t chunk;
	size_t big_until; /* text bytes read in large pieces first (padding) */
	int members;
	struct fuzz_input_buf text;
	char enc[16];
	char hex[65];
	int finish_rc;
	char *err;
};

static int fuzz_input_member(struct input *in, void *ctx)
{
	struct fuzz_input_ctx *c = ctx;
	c->members++;
	char *buf = malloc(FUZZ_INPUT_WORKBUF);
	for (;;) {
		size_t ask = c->chunk;
		if (c->members == 1 && c->text.n < c->big_until)
			ask = c->big_until - c->text.n;
		ssize_t r = input_read(in, buf, ask);
		if (r < 0) {
			free(c->err);
			c->err = strdup(input_error(in));
			break;
		}
		FUZZ_CHECK((size_t)r <= ask, "input_read gave %zd bytes for %zu", r, ask);
		if (r == 0)
			break;
		if (c->members == 1)
			fuzz_input_put(&c->text, buf, (size_t)r);
	}
	free(buf);
	snprintf(c->enc, sizeof c->enc, "%s", input_encoding(in));
	c->finish_rc = input_finish(in, c->hex);
	return 0;
}

static void fuzz_input_warn(const char *msg, void *ctx)
{
	(void)msg;
	(void)ctx;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	static const size_t chunks[] = { 1, 2, 3, 5, 7, 64, 4096, 65536 };
	unsigned mode = data[0] & 3;
	bool pad = (data[0] & 4) != 0;
	size_t chunk = chunks[data[0] >> 3 & 7];
	const unsigned char *body = data + 1;
	size_t bn = size - 1;

	/* the file */
	struct fuzz_input_buf file = { 0 };
	static const char *const boms[] = { "\xff\xfe", "\xfe\xff", "\xef\xbb\xbf", "" };
	size_t bomlen = strlen(boms[mode]);
	fuzz_input_put(&file, boms[mode], bomlen);
	size_t padlen = 0, usz = mode == 2 ? 1 : 2;
	if (pad) {
		/* end the padding up to 8 bytes before the work buffer's end,
		 * as the body's first byte says */
		size_t want = FUZZ_INPUT_WORKBUF - bomlen - 8 + (body[0] & 7);
		padlen = want / usz * usz;
		unsigned char *pd = fuzz_input_padding(padlen, mode);
		fuzz_input_put(&file, pd, padlen);
		free(pd);
	}
	fuzz_input_put(&file, body, bn);

	/* a new file each run: truncating one in place makes ext4 flush it
	 * on close */
	const char *path = fuzz_input_file();
	unlink(path);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(file.p, 1, file.n, f) != file.n || fclose(f) != 0) {
		perror(path);
		abort();
	}

	/* the padding is read in large pieces, the rest in small ones */
	struct fuzz_input_ctx c = { .chunk = chunk, .big_until = padlen / usz > 64 ? padlen / usz - 64 : 0 };
	char *cause = NULL;
	int rc = input_walk(path, NULL, fuzz_input_member, fuzz_input_warn, &c, &cause);

	bool archive = mode == 3 && !pad && fuzz_input_maybe_archive(file.p, file.n);
	if (!archive) {
		FUZZ_CHECK(rc == 0 && c.members == 1, "input_walk: %d, %d members (%s)", rc, c.members,
			   cause ? cause : "");
		FUZZ_CHECK(!c.err, "input_read failed on a plain file: %s", c.err);
		FUZZ_CHECK(c.finish_rc == 0, "input_finish failed on a plain file");

		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		char hex[65];
		EVP_Digest(file.p, file.n, md, &mdlen, EVP_sha256(), NULL);
		for (unsigned i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		FUZZ_CHECK(strcmp(hex, c.hex) == 0, "the SHA-256 is not the file's");

		const char *want_enc = mode == 0   ? "utf-16le"
				       : mode == 1 ? "utf-16be"
				       : mode == 2 ? "utf-8-bom"
						   : NULL;
		if (mode == 3 && file.n >= 3 && memcmp(file.p, "\xef\xbb\xbf", 3) == 0)
			want_enc = "utf-8-bom";
		else if (mode == 3 && file.n >= 2 && memcmp(file.p, "\xff\xfe", 2) == 0)
			want_enc = "utf-16le";
		else if (mode == 3 && file.n >= 2 && memcmp(file.p, "\xfe\xff", 2) == 0)
			want_enc = "utf-16be";
		if (want_enc)
			FUZZ_CHECK(strcmp(c.enc, want_enc) == 0, "encoding %s, expected %s", c.enc, want_enc);

		struct fuzz_input_buf ref = { 0 };
		size_t skip = 0;
		if (strcmp(c.enc, "utf-8-bom") == 0)
			skip = 3;
		else if (strcmp(c.enc, "utf-16le") == 0 && file.n >= 2 && !memcmp(file.p, "\xff\xfe", 2))
			skip = 2;
		else if (strcmp(c.enc, "utf-16be") == 0 && file.n >= 2 && !memcmp(file.p, "\xfe\xff", 2))
			skip = 2;
		if (strncmp(c.enc, "utf-16", 6) == 0) {
			fuzz_input_ref16(file.p + skip, file.n - skip, strcmp(c.enc, "utf-16be") == 0, &ref);
			FUZZ_CHECK(fuzz_input_utf8_ok(c.text.p, c.text.n), "UTF-16 decoded to invalid UTF-8");
		} else {
			FUZZ_CHECK(strcmp(c.enc, "utf-8") == 0 || skip == 3, "unknown encoding %s", c.enc);
			fuzz_input_put(&ref, file.p + skip, file.n - skip);
		}
		FUZZ_CHECK(ref.n == c.text.n && (ref.n == 0 || memcmp(ref.p, c.text.p, ref.n) == 0),
			   "%s text differs from the reference at byte %zu (%zu vs %zu bytes; reads of %zu)",
			   c.enc, fuzz_input_diff(ref.p, ref.n, c.text.p, c.text.n), c.text.n, ref.n, chunk);
		free(ref.p);
	}
	free(cause);
	free(c.err);
	free(c.text.p);
	free(file.p);
	return 0;
}
