/*
 * stream.h: a growable window over a byte source, for the record readers.
 *
 * The CSV and JSON readers cut whole records out of their input; a record
 * may be 50 MB and may straddle any read boundary. The window keeps the
 * unconsumed tail, refills behind it, and grows (up to a limit) only when
 * a single record needs it, so memory follows the largest record, not the
 * size of the file.
 */
#ifndef AUDITSCOPE_STREAM_H
#define AUDITSCOPE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef ssize_t (*stream_read_fn)(void *ctx, char *buf, size_t n);

struct stream {
	stream_read_fn read;
	void *ctx;
	char *buf;
	size_t cap;
	size_t pos; /* first unconsumed byte */
	size_t len; /* bytes held */
	size_t max; /* largest window allowed */
	bool eof;
	bool ioerr;
	uint64_t base; /* stream offset of buf[0] */
};

/* A stream over a read function; max is the largest record it will hold. */
void stream_init(struct stream *s, stream_read_fn fn, void *ctx, size_t max);
/* A stream over a memory buffer (copied): for tests and fuzzing. */
void stream_init_mem(struct stream *s, const char *data, size_t n);
void stream_free(struct stream *s);

/*
 * Make at least want bytes past pos available. Returns 0 when they are,
 * 1 when the stream ended (or the window limit was reached: see
 * stream_full) with fewer, -1 on a read error.
 */
int stream_need(struct stream *s, size_t want);

/* Has the window reached its limit with the record still incomplete? */
bool stream_full(const struct stream *s);

static inline const char *stream_ptr(const struct stream *s)
{
	return s->buf + s->pos;
}
static inline size_t stream_avail(const struct stream *s)
{
	return s->len - s->pos;
}
static inline void stream_consume(struct stream *s, size_t n)
{
	s->pos += n;
}

#endif
