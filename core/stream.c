/*
 * stream.c: the refillable window of stream.h.
 */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define STREAM_CHUNK ((size_t)1 << 20)

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

void stream_free(struct stream *s)
{
	if (!s)
		return;
	if (s->read == mem_read) {
		struct membuf *m = s->ctx;
		free(m->p);
		free(m);
	}
	free(s->buf);
	s->buf = NULL;
}

bool stream_full(const struct stream *s)
{
	return !s->eof && s->len - s->pos >= s->max - STREAM_CHUNK;
}

int stream_need(struct stream *s, size_t want)
{
	while (s->len - s->pos < want) {
		if (s->eof)
			return 1;
		if (s->ioerr)
			return -1;
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
		if (r < 0) {
			s->ioerr = true;
			return -1;
		}
		if (r == 0)
			s->eof = true;
		s->len += (size_t)r;
		s->buf[s->len] = '\0';
	}
	return 0;
}
