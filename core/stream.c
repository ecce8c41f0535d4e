/*
 * stream.c: the refillable window of stream.h.
 */
#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define STREAM_CHUNK ((size_t)1 << 20)
/* the longest tail moved in front of the next lent bytes; input_lend
 * gives at least 64 KB of room */
#define LEND_TAIL ((size_t)16 << 10)

struct membuf {
	char *p;
	size_t n, off;
};

static ssize_t mem_read(void *ctx, char *buf, size_t n)
{
	struct membuf *m = ctx;
	size_t k = m->n - m->off;
	if (k > n)
		k = n;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

void stream_init(struct stream *s, stream_read_fn fn, void *ctx, size_t max)
{
	memset(s, 0, sizeof *s);
	s->read = fn;
	s->ctx = ctx;
	s->max = max < 2 * STREAM_CHUNK ? 2 * STREAM_CHUNK : max;
	/* An empty, NUL-terminated window from the start: stream_ptr() of a
	 * stream not yet read must be a pointer, not NULL + 0. */
	s->buf = xmalloc(1);
	s->buf[0] = '\0';
}

void stream_init_mem(struct stream *s, const char *data, size_t n)
{
	struct membuf *m = xmalloc(sizeof *m);
	m->p = xmalloc(n ? n : 1);
	memcpy(m->p, data, n);
	m->n = n;
	m->off = 0;
	stream_init(s, mem_read, m, (size_t)256 << 20);
	s->read = mem_read;
}

void stream_set_lend(struct stream *s, stream_lend_fn lend, stream_unlend_fn unlend)
{
	s->lend = lend;
	s->unlend = unlend;
}

static void give_back(struct stream *s)
{
	while (s->nlent > 0) {
		s->unlend(s->ctx);
		s->nlent--;
	}
}

void stream_free(struct stream *s)
{
	if (!s)
		return;
	if (s->nlent) {
		give_back(s);
		s->buf = s->own;
	}
	if (s->read == mem_read) {
		struct membuf *m = s->ctx;
		free(m->p);
		free(m);
	}
	free(s->buf);
	s->buf = NULL;
	s->own = NULL;
}

/* Back from lent bytes to the window's own buffer: the window's bytes,
 * and the n bytes at extra after them, copied there; every lending
 * given back. */
static void to_own(struct stream *s, const char *extra, size_t n)
{
	size_t avail = s->len - s->pos;
	size_t cap = s->owncap;
	char *own = s->own;
	if (!own || cap < avail + n + STREAM_CHUNK) {
		size_t ncap = cap ? cap : 4 * STREAM_CHUNK;
		while (ncap < avail + n + STREAM_CHUNK)
			ncap *= 2;
		own = xrealloc(own, ncap + 1);
		cap = ncap;
	}
	memcpy(own, s->buf + s->pos, avail);
	if (n)
		memcpy(own + avail, extra, n);
	give_back(s);
	s->base += s->pos;
	s->buf = own;
	s->cap = cap;
	s->pos = 0;
	s->len = avail + n;
	s->buf[s->len] = '\0';
	s->own = NULL;
	s->owncap = 0;
}

/*
 * The source failed (errno says why). The bytes already held are the
 * last record's (a file cut while it was read, EIO from a bad sector):
 * the stream ends there, as at an end, so that the reader keeps that
 * record, cut, as a reject at its line; the error comes once they are
 * consumed (stream_need's -1), so the load still fails naming it.
 * Before, the record was dropped and neither kept nor counted. A read
 * that a stop interrupted (EINTR) is no defect of the file: -1 at once.
 */
static int read_failed(struct stream *s)
{
	s->ioerr = true;
	if (errno == EINTR || s->len == s->pos)
		return -1;
	s->eof = true;
	return 1;
}

/* The next lent bytes, the window's tail moved in front of them: 1 when
 * the window is now those, 0 when the source lends none now, -1 on an
 * error. */
static int lend_more(struct stream *s)
{
	const char *p;
	size_t room;
	ssize_t r = s->lend(s->ctx, &p, &room);
	if (r < 0)
		return -1;
	if (r == 0)
		return 0;
	size_t avail = s->len - s->pos;
	if (avail > room && !s->nlent) {
		/* (not with input_lend's room) the window is in its own
		 * buffer: the lent bytes are copied after it there */
		if (s->pos > 0) {
			memmove(s->buf, s->buf + s->pos, avail);
			s->base += s->pos;
			s->len = avail;
			s->pos = 0;
		}
		if (s->cap < avail + (size_t)r + STREAM_CHUNK) {
			size_t ncap = s->cap ? s->cap : 4 * STREAM_CHUNK;
			while (ncap < avail + (size_t)r + STREAM_CHUNK)
				ncap *= 2;
			s->buf = xrealloc(s->buf, ncap + 1);
			s->cap = ncap;
		}
		memcpy(s->buf + s->len, p, (size_t)r);
		s->len += (size_t)r;
		s->buf[s->len] = '\0';
		s->unlend(s->ctx);
		return 1;
	}
	if (avail > room) {
		s->nlent++;
		to_own(s, p, (size_t)r);
		return 1;
	}
	char *nb = (char *)p - avail; /* the room is the stream's to write */
	/* A mapped file's windows follow one another in one mapping: the
	 * tail is then already there, in front of the lent bytes, and
	 * copying it onto itself wrote to the file's pages, each write a
	 * copy-on-write fault (and an anonymous page for munmap to free) */
	if (nb != s->buf + s->pos)
		memcpy(nb, s->buf + s->pos, avail);
	if (s->nlent) {
		s->unlend(s->ctx);
		s->nlent--;
	} else {
		s->own = s->buf;
		s->owncap = s->cap;
	}
	s->nlent++;
	s->base += s->pos;
	s->buf = nb;
	s->pos = 0;
	s->len = avail + (size_t)r;
	s->cap = s->len;
	s->buf[s->len] = '\0'; /* the lender's byte past its bytes */
	return 1;
}

bool stream_full(const struct stream *s)
{
	return !s->eof && s->len - s->pos >= s->max - STREAM_CHUNK;
}

int stream_need(struct stream *s, size_t want)
{
	while (s->len - s->pos < want) {
		if (s->eof) /* (a read error's held-back bytes now consumed: -1) */
			return s->ioerr && s->len == s->pos ? -1 : 1;
		if (s->ioerr)
			return -1;
		if (s->lend && s->len - s->pos <= LEND_TAIL) {
			int r = lend_more(s);
			if (r < 0)
				return read_failed(s);
			if (r > 0)
				continue;
		}
		if (s->nlent)
			to_own(s, NULL, 0);
		/* Slide the tail to the front, then grow if a read would not fit. */
		if (s->pos > 0) {
			memmove(s->buf, s->buf + s->pos, s->len - s->pos);
			s->base += s->pos;
			s->len -= s->pos;
			s->pos = 0;
		}
		if (s->cap - s->len < STREAM_CHUNK) {
			if (s->len + STREAM_CHUNK > s->max)
				return 1;
			size_t ncap = s->cap ? s->cap * 2 : 4 * STREAM_CHUNK;
			if (ncap > s->max)
				ncap = s->max;
			s->buf = xrealloc(s->buf, ncap + 1);
			s->cap = ncap;
		}
		ssize_t r = s->read(s->ctx, s->buf + s->len, s->cap - s->len);
		if (r < 0)
			return read_failed(s);
		if (r == 0)
			s->eof = true;
		s->len += (size_t)r;
		s->buf[s->len] = '\0';
	}
	return 0;
}
