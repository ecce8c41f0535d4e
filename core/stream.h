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
/* Bytes of the source in place (stream_set_lend): how many there are at
 * *p (0: none now, read them instead; -1: an error), and *room, how many
 * bytes before *p the stream may write (the window's tail goes there).
 * They stay the stream's until it gives them back, oldest first. */
typedef ssize_t (*stream_lend_fn)(void *ctx, const char **p, size_t *room);
typedef void (*stream_unlend_fn)(void *ctx);

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
	/* lent bytes (stream_set_lend): buf is then the source's memory, the
	 * window's own buffer waits in own */
	stream_lend_fn lend;
	stream_unlend_fn unlend;
	int nlent; /* lendings held, 0 or 1 (2 for a moment) */
	char *own;
	size_t owncap;
};

/* A stream over a read function; max is the largest record it will hold. */
void stream_init(struct stream *s, stream_read_fn fn, void *ctx, size_t max);
/* A stream over a memory buffer (copied): for tests and fuzzing. */
void stream_init_mem(struct stream *s, const char *data, size_t n);
void stream_free(struct stream *s);
/*
 * Read the source's bytes where they are rather than copying them into
 * the window, while it can lend them (a large file read ahead on a
 * thread, input_lend): the window is then the lent bytes, and the
 * record cut at their end (at most LEND_TAIL bytes) is copied in front
 * of the next lent bytes. A longer tail goes back to the window's own
 * buffer and to read, as does a source that stops lending.
 */
void stream_set_lend(struct stream *s, stream_lend_fn lend, stream_unlend_fn unlend);

/*
 * Make at least want bytes past pos available. Returns 0 when they are,
 * 1 when the stream ended (or the window limit was reached: see
 * stream_full) with fewer, -1 on a read error. A read error with bytes
 * held ends the stream there (1, ioerr set): the reader takes them as
 * the last, cut record; -1 once they are consumed. The read function
 * leaves errno EINTR for a read a stop gave up, which is -1 at once.
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

/*
 * Ask the cache for the window's STREAM_AHEAD_N bytes from STREAM_AHEAD
 * on (about a record of the big exports): a reader calls this at each
 * record, so that the lines of the records after it are on their way
 * while it parses this one. The reader thread wrote them into memory
 * the parser had not touched, and the CSV reader's first pass over a
 * line (its search for the line's end) waited on each of them (perf,
 * 200k high-cardinality CSV: memchr 5-7% of the parser's samples,
 * 1.5-2% with this). Always in line: GCC takes a function of nothing
 * but prefetches for one without effects, and drops its calls.
 */
#define STREAM_AHEAD 4096
#define STREAM_AHEAD_N 2048
__attribute__((always_inline)) static inline void stream_prefetch(const struct stream *s)
{
	const char *p = stream_ptr(s);
	size_t avail = stream_avail(s);
	if (avail >= STREAM_AHEAD + STREAM_AHEAD_N) {
		/* (nearly always: four lines a step, the window's length
		 * tested once; the loop's two tests a line were 41 M
		 * instructions of a 200k-row CSV load's parsing thread) */
		_Static_assert(STREAM_AHEAD_N % 256 == 0, "whole steps");
		for (size_t off = STREAM_AHEAD; off < STREAM_AHEAD + STREAM_AHEAD_N; off += 256) {
			__builtin_prefetch(p + off);
			__builtin_prefetch(p + off + 64);
			__builtin_prefetch(p + off + 128);
			__builtin_prefetch(p + off + 192);
		}
		return;
	}
	for (size_t off = STREAM_AHEAD; off < avail; off += 64)
		__builtin_prefetch(p + off);
}

#endif
