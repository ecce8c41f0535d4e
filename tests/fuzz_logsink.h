/*
 * fuzz_logsink.h: the sink and checks the fuzz targets of the logs around
 * the UAL share (fuzz_logs.c, fuzz_rows.c): any bytes through
 * ingest_stream, read whole and in small pieces.
 *
 * What must hold, beyond "no crash" (every byte of every field is read,
 * so that AddressSanitizer sees a span that points nowhere): every event
 * has a time, a record id, a kind of log, a raw record that is a JSON
 * object, and lower-case user, app, client app, mailbox and IP; every
 * reject says why; the counts add up; the same bytes read in pieces of 7
 * give the same counts, format and error as one read.
 */
#ifndef AUDITSCOPE_FUZZ_LOGSINK_H
#define AUDITSCOPE_FUZZ_LOGSINK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "json_scan.h"
#include "normalize.h"
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

struct fz_got {
	uint64_t events, rejects, sum;
};

static unsigned fz_touch(struct sv s)
{
	unsigned h = 0;
	for (size_t i = 0; s.p && i < s.n; i++)
		h = h * 31 + (unsigned char)s.p[i];
	return h;
}

static bool fz_lower(struct sv s)
{
	for (size_t i = 0; s.p && i < s.n; i++)
		if (s.p[i] >= 'A' && s.p[i] <= 'Z')
			return false;
	return true;
}

/* The invariants of one normalized event. */
static void fz_check_event(const struct event *ev, uint64_t *sum)
{
	FUZZ_CHECK(ev->ts != INT64_MIN, "an event without a time");
	FUZZ_CHECK(ev->kind >= 0 && ev->kind < KIND_COUNT, "an event of kind %d", ev->kind);
	FUZZ_CHECK(ev->raw.p && ev->raw.n > 0, "an event without its raw record");
	struct jval v;
	const char *e = json_scan_value(ev->raw.p, ev->raw.p + ev->raw.n, &v, NULL, NULL);
	FUZZ_CHECK(e && json_skip_ws(e, ev->raw.p + ev->raw.n) == ev->raw.p + ev->raw.n && v.t == JT_OBJ,
		   "an event's raw record is not a JSON object");
	FUZZ_CHECK(fz_lower(ev->user) && fz_lower(ev->app) && fz_lower(ev->client_app) &&
			   fz_lower(ev->mailbox) && fz_lower(ev->ip),
		   "user, app, client app, mailbox or ip is not lower case");
#define X(name) *sum += fz_touch(ev->name);
	EVENT_TEXT_FIELDS(X)
#undef X
	for (size_t i = 0; i < ev->nmsgs; i++)
		*sum += fz_touch(ev->msgs[i].folder) + fz_touch(ev->msgs[i].msgid);
}

static int fz_event(void *ctx, const struct event *ev, char **cause)
{
	(void)cause;
	struct fz_got *g = ctx;
	FUZZ_CHECK(ev->record_id.p && ev->record_id.n > 0, "an event without a record id");
	fz_check_event(ev, &g->sum);
	g->events++;
	return 0;
}

static int fz_reject(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause)
{
	(void)cause;
	(void)line;
	struct fz_got *g = ctx;
	FUZZ_CHECK(why && *why, "a reject without a reason");
	FUZZ_CHECK(n == 0 || raw, "a reject with a length and no text");
	g->sum += fz_touch((struct sv){ raw, n }) + fz_touch((struct sv){ why, strlen(why) });
	g->rejects++;
	return 0;
}

struct fz_src {
	const char *p;
	size_t n, off, chunk;
};

static ssize_t fz_read(void *ctx, char *buf, size_t n)
{
	struct fz_src *c = ctx;
	size_t k = c->n - c->off;
	if (k > n)
		k = n;
	if (k > c->chunk)
		k = c->chunk;
	memcpy(buf, c->p + c->off, k);
	c->off += k;
	return (ssize_t)k;
}

/* Read data through ingest_stream in pieces of chunk bytes. */
static void fz_ingest(const uint8_t *data, size_t size, size_t chunk, struct fz_got *g, struct ingest_stats *st)
{
	struct fz_src src = { (const char *)data, size, 0, chunk };
	struct stream s;
	stream_init(&s, fz_read, &src, (size_t)1 << 20);
	struct sink sk = { fz_event, fz_reject, g, NULL };
	char *cause = NULL;
	memset(st, 0, sizeof *st);
	int rc = ingest_stream(&s, &sk, NULL, st, &cause);
	FUZZ_CHECK(rc == 0, "ingest_stream failed: %s", cause ? cause : "?");
	FUZZ_CHECK(st->records == g->events + g->rejects, "records %llu != events %llu + rejects %llu",
		   (unsigned long long)st->records, (unsigned long long)g->events,
		   (unsigned long long)g->rejects);
	free(cause);
	stream_free(&s);
}

/* The whole input, then in pieces of 7: the same outcome. */
static void fz_both_ways(const uint8_t *data, size_t size)
{
	struct fz_got a = { 0 }, b = { 0 };
	struct ingest_stats sa, sb;
	fz_ingest(data, size, size ? size : 1, &a, &sa);
	fz_ingest(data, size, 7, &b, &sb);
	FUZZ_CHECK(a.events == b.events && a.rejects == b.rejects, "pieces of 7 read differently");
	FUZZ_CHECK((!sa.format && !sb.format) || (sa.format && sb.format && !strcmp(sa.format, sb.format)),
		   "pieces of 7 give another format");
	FUZZ_CHECK(!sa.error == !sb.error, "pieces of 7 give another error");
	free(sa.warning);
	free(sa.error);
	free(sb.warning);
	free(sb.error);
}

#endif
