/*
 * fuzz_csv.c: libFuzzer target for the CSV record reader (csv_next over a
 * memory stream).
 *
 * The first byte picks the delimiter (',', ';', tab or '|') and whether a
 * first line is skipped as csv_skip_line does for a #TYPE line; the rest is
 * the file. What must hold, beyond "no crash":
 *  - reading ends: every csv_next consumes input or says CSV_EOF;
 *  - a record's verbatim text is a piece of the input, and the line
 *    numbers climb;
 *  - a CSV_ROW ends at the first newline where its quotes pair up, and its
 *    fields are what a plain byte-by-byte RFC 4180 splitter makes of its
 *    text (the reader's wide copies and quote counting are what is tested);
 *  - the fields, written back out with every field quoted, read back the
 *    same;
 *  - the same bytes delivered in small reads give the same records, line
 *    numbers and reasons as one big read.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "stream.h"

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

/* The target's own byte loops (the reference splitter, writing rows back
 * out) are left out of coverage tracing: they would cost most of each run
 * and steer the fuzzer by the harness's branches, not the reader's. */
#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_CSV_UNTRACED __attribute__((no_sanitize("coverage"), noinline))
#else
#define FUZZ_CSV_UNTRACED
#endif

/* A growable byte string: records are flattened into one for comparing
 * two readings. */
struct fuzz_csv_buf {
	char *p;
	size_t n, cap;
};

FUZZ_CSV_UNTRACED static void fuzz_csv_put(struct fuzz_csv_buf *b, const void *p, size_t n)
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

FUZZ_CSV_UNTRACED static void fuzz_csv_put_u64(struct fuzz_csv_buf *b, uint64_t v)
{
	fuzz_csv_put(b, &v, sizeof v);
}

FUZZ_CSV_UNTRACED static void fuzz_csv_put_str(struct fuzz_csv_buf *b, const char *p, size_t n)
{
	fuzz_csv_put_u64(b, n);
	fuzz_csv_put(b, p, n);
}

/* A stream that hands out at most chunk bytes a read. */
struct fuzz_csv_chunks {
	const char *p;
	size_t n, off, chunk;
};

static ssize_t fuzz_csv_chunk_read(void *ctx, char *buf, size_t n)
{
	struct fuzz_csv_chunks *c = ctx;
	size_t k = c->n - c->off;
	if (k > n)
		k = n;
	if (k > c->chunk)
		k = c->chunk;
	if (k)
		memcpy(buf, c->p + c->off, k);
	c->off += k;
	return (ssize_t)k;
}

/*
 * A stream's first window is megabytes, and under AddressSanitizer each
 * such allocation costs more than the parsing of a small input: the
 * second and third readings of each run reuse one stream whose window
 * stays allocated, reset to read from the start of a new source.
 */
static struct stream *fuzz_csv_stream(stream_read_fn fn, void *ctx)
{
	static struct stream s;
	static bool ready;
	if (!ready) {
		stream_init(&s, fn, ctx, 0);
		ready = true;
	}
	s.read = fn;
	s.ctx = ctx;
	s.pos = s.len = 0;
	s.base = 0;
	s.eof = s.ioerr = false;
	return &s;
}

/*
 * The reference splitter: RFC 4180 one byte at a time. A quoted field runs
 * to a quote not followed by another and must end at a delimiter or the
 * end; an unquoted field runs to the next delimiter and may not hold a
 * line break. Fields go into out as (length, bytes). Returns false when
 * the text does not split.
 */
FUZZ_CSV_UNTRACED static bool fuzz_csv_ref_split(const char *p, size_t n, char d, struct fuzz_csv_buf *out,
						 size_t *nf)
{
	size_t i = 0;
	*nf = 0;
	for (;;) {
		struct fuzz_csv_buf f = { 0 };
		if (i < n && p[i] == '"') {
			i++;
			for (;;) {
				if (i >= n) {
					free(f.p);
					return false;
				}
				if (p[i] == '"') {
					if (i + 1 < n && p[i + 1] == '"') {
						fuzz_csv_put(&f, "\"", 1);
						i += 2;
						continue;
					}
					i++;
					break;
				}
				fuzz_csv_put(&f, p + i, 1);
				i++;
			}
			if (i < n && p[i] != d) {
				free(f.p);
				return false;
			}
		} else {
			while (i < n && p[i] != d) {
				if (p[i] == '\n') {
					free(f.p);
					return false;
				}
				fuzz_csv_put(&f, p + i, 1);
				i++;
			}
		}
		fuzz_csv_put_str(out, f.p, f.n);
		free(f.p);
		(*nf)++;
		if (i >= n)
			return true;
		i++; /* the delimiter */
		if (i == n) {
			fuzz_csv_put_str(out, "", 0);
			(*nf)++;
			return true;
		}
	}
}

/* The record's fields as (length, bytes) pairs. */
FUZZ_CSV_UNTRACED static void fuzz_csv_fields(const struct csv *c, struct fuzz_csv_buf *out)
{
	for (size_t i = 0; i < c->nf; i++)
		fuzz_csv_put_str(out, c->f[i].p, c->f[i].n);
}

/* A row written back out with every field quoted, appended to text; its
 * fields appended to want. Read back all at once at the end (one stream,
 * not one per row: a stream's first window is megabytes). */
FUZZ_CSV_UNTRACED static void fuzz_csv_write_row(const struct csv *c, struct fuzz_csv_buf *text,
						 struct fuzz_csv_buf *want)
{
	for (size_t i = 0; i < c->nf; i++) {
		if (i)
			fuzz_csv_put(text, &c->delim, 1);
		fuzz_csv_put(text, "\"", 1);
		for (size_t j = 0; j < c->f[i].n; j++) {
			if (c->f[i].p[j] == '"')
				fuzz_csv_put(text, "\"", 1);
			fuzz_csv_put(text, c->f[i].p + j, 1);
		}
		fuzz_csv_put(text, "\"", 1);
	}
	fuzz_csv_put(text, "\r\n", 2);
	fuzz_csv_put_u64(want, c->nf);
	fuzz_csv_fields(c, want);
}

static void fuzz_csv_read_back(const struct fuzz_csv_buf *text, const struct fuzz_csv_buf *want, char delim)
{
	struct fuzz_csv_buf got = { 0 };
	struct fuzz_csv_chunks src = { text->p, text->n, 0, (size_t)-1 };
	struct csv c;
	csv_init(&c, fuzz_csv_stream(fuzz_csv_chunk_read, &src), delim);
	int k;
	while ((k = csv_next(&c)) == CSV_ROW) {
		fuzz_csv_put_u64(&got, c.nf);
		fuzz_csv_fields(&c, &got);
	}
	FUZZ_CHECK(k == CSV_EOF, "rows written back out do not read back (%d: %s)", k,
		   k == CSV_BAD ? c.why : "");
	FUZZ_CHECK(got.n == want->n && (!got.n || memcmp(got.p, want->p, got.n) == 0),
		   "rows written back out read back different fields");
	csv_free(&c);
	free(got.p);
}

FUZZ_CSV_UNTRACED static size_t fuzz_csv_count(const char *p, size_t n, char ch)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == ch;
	return k;
}

/* Does a row's text end at the first newline where its quotes pair up:
 * an even number of quotes in all, an odd one before each newline in it? */
FUZZ_CSV_UNTRACED static bool fuzz_csv_ends_right(const char *p, size_t n)
{
	size_t q = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"')
			q++;
		else if (p[i] == '\n' && !(q & 1))
			return false;
	}
	return !(q & 1);
}

/* Read the whole stream, checking each record; the records flattened into
 * out for comparing readings. */
static void fuzz_csv_read(struct stream *s, const char *in, size_t n, char delim, bool skip, bool deep,
			  struct fuzz_csv_buf *out)
{
	struct fuzz_csv_buf text = { 0 }, want = { 0 };
	struct csv c;
	csv_init(&c, s, delim);
	size_t lines = fuzz_csv_count(in, n, '\n') + 1;
	if (skip)
		fuzz_csv_put_u64(out, csv_skip_line(&c));
	uint64_t last_line = 0;
	for (size_t calls = 0;; calls++) {
		FUZZ_CHECK(calls <= n + 1, "csv_next does not come to an end");
		uint64_t before = s->base + s->pos;
		int k = csv_next(&c);
		fuzz_csv_put_u64(out, (uint64_t)k);
		if (k == CSV_EOF || k == CSV_IOERR) {
			FUZZ_CHECK(k == CSV_EOF, "a memory stream gave CSV_IOERR");
			FUZZ_CHECK(stream_avail(s) == 0, "CSV_EOF with bytes left");
			break;
		}
		FUZZ_CHECK(s->base + s->pos > before, "csv_next returned a record and consumed nothing");
		FUZZ_CHECK(c.rec_line > last_line && c.rec_line <= lines,
			   "record line %llu after %llu (of %zu lines)", (unsigned long long)c.rec_line,
			   (unsigned long long)last_line, lines);
		last_line = c.rec_line;
		/* the verbatim text points into the window, which has not moved
		 * since the record was cut: it is the input at that offset */
		FUZZ_CHECK(c.raw >= s->buf && c.raw + c.rawlen <= s->buf + s->len,
			   "a record's verbatim text lies outside the stream's window");
		uint64_t at = s->base + (uint64_t)(c.raw - s->buf);
		FUZZ_CHECK(at + c.rawlen <= n && memcmp(in + at, c.raw, c.rawlen) == 0,
			   "a record's verbatim text is not the input at its offset");
		fuzz_csv_put_u64(out, c.rec_line);
		fuzz_csv_put_str(out, c.raw, c.rawlen);
		if (k == CSV_BAD) {
			FUZZ_CHECK(c.why && *c.why, "CSV_BAD without a reason");
			fuzz_csv_put_str(out, c.why, strlen(c.why));
			continue;
		}
		FUZZ_CHECK(k == CSV_ROW, "csv_next returned %d", k);
		FUZZ_CHECK(c.nf >= 1, "a row without fields");
		for (size_t i = 0; i < c.nf; i++)
			FUZZ_CHECK(c.f[i].p[c.f[i].n] == '\0', "field %zu is not NUL-terminated", i);
		fuzz_csv_fields(&c, out);
		if (!deep)
			continue;

		FUZZ_CHECK(fuzz_csv_ends_right(c.raw, c.rawlen),
			   "a row does not end at the first newline where its quotes pair up");

		struct fuzz_csv_buf ref = { 0 }, got = { 0 };
		size_t rnf = 0;
		bool ok = fuzz_csv_ref_split(c.raw, c.rawlen, delim, &ref, &rnf);
		FUZZ_CHECK(ok, "the reference splitter refuses a row the reader accepted");
		fuzz_csv_fields(&c, &got);
		FUZZ_CHECK(rnf == c.nf && ref.n == got.n && memcmp(ref.p, got.p, ref.n) == 0,
			   "the reader's fields differ from the reference splitter's (%zu vs %zu)", c.nf, rnf);
		free(ref.p);
		free(got.p);
		fuzz_csv_write_row(&c, &text, &want);
	}
	csv_free(&c);
	if (deep)
		fuzz_csv_read_back(&text, &want, delim);
	free(text.p);
	free(want.p);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char delims[] = { ',', ';', '\t', '|' };
	char delim = delims[data[0] & 3];
	bool skip = (data[0] & 4) != 0;
	const char *in = (const char *)data + 1;
	size_t n = size - 1;

	char sn = csv_sniff_delim(in, n);
	FUZZ_CHECK(sn == ',' || sn == ';' || sn == '\t', "csv_sniff_delim gave %d", sn);

	/* One reading in one piece: through stream_init_mem for one input
	 * size in sixteen, through the reused stream otherwise (the same
	 * reads, without the cost of a new window). */
	struct fuzz_csv_buf whole = { 0 }, parts = { 0 };
	struct fuzz_csv_chunks all = { in, n, 0, (size_t)-1 };
	if (size % 16 == 0) {
		struct stream s;
		stream_init_mem(&s, in, n);
		fuzz_csv_read(&s, in, n, delim, skip, true, &whole);
		stream_free(&s);
	} else {
		fuzz_csv_read(fuzz_csv_stream(fuzz_csv_chunk_read, &all), in, n, delim, skip, true, &whole);
	}

	/* small reads, at most about 64 a record so that a long record does
	 * not make the reader's rescans dominate the run */
	struct fuzz_csv_chunks ch = { in, n, 0, 1 + (data[0] >> 3) + n / 64 };
	fuzz_csv_read(fuzz_csv_stream(fuzz_csv_chunk_read, &ch), in, n, delim, skip, false, &parts);
	FUZZ_CHECK(whole.n == parts.n && memcmp(whole.p, parts.p, whole.n) == 0,
		   "small reads (%zu bytes) give other records than one read", ch.chunk);
	free(whole.p);
	free(parts.p);
	return 0;
}
