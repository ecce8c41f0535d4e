/*
 * fuzz_ingest.c: libFuzzer target for the whole reader, ingest_stream: any
 * bytes as the loader hands them over after the input layer (format told
 * by content, then the CSV or JSON reader, the normalizer, rejects), into
 * a sink that collects.
 *
 * What must hold, beyond "no crash" (every byte the sink is given is read,
 * so that AddressSanitizer sees a span that points nowhere):
 *  - every event has a time, a record id and a raw record that is a JSON
 *    object; user, app, client app, mailbox and IP are lower case; its line
 *    is one of the input's;
 *  - every reject says why, and its text is the input's bytes at the place
 *    it points to (kept verbatim, as promised), numbered with the line
 *    that place is on; a JSON record's event is not numbered after the
 *    line its raw record starts on;
 *  - the counts add up: records = events + rejects;
 *  - the same bytes in small reads give the same events, rejects, format,
 *    warning and error as one read;
 *  - a sink that fails stops the reading with its cause, after exactly the
 *    calls before it; a stop request mid-way leaves a prefix of the
 *    events and rejects;
 *  - an input of up to 16 bytes (one in eight), repeated to 64 KiB, reads
 *    in about linear time (libFuzzer's -timeout is the judge).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "json_scan.h"
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

/* The target's own byte loops are left out of coverage tracing: they
 * would cost much of each run and steer the fuzzer by the harness's
 * branches instead of the code under test. */
#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_INGEST_UNTRACED __attribute__((no_sanitize("coverage"), noinline))
#else
#define FUZZ_INGEST_UNTRACED
#endif

struct fuzz_ingest_buf {
	char *p;
	size_t n, cap;
};

FUZZ_INGEST_UNTRACED static void fuzz_ingest_put(struct fuzz_ingest_buf *b, const void *p, size_t n)
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

static void fuzz_ingest_put_sv(struct fuzz_ingest_buf *b, struct sv s)
{
	uint64_t n = s.p ? s.n : UINT64_MAX;
	fuzz_ingest_put(b, &n, sizeof n);
	if (s.p)
		fuzz_ingest_put(b, s.p, s.n);
}

static void fuzz_ingest_put_str(struct fuzz_ingest_buf *b, const char *s)
{
	fuzz_ingest_put_sv(b, (struct sv){ s, s ? strlen(s) : 0 });
}

/* The collecting sink. */
struct fuzz_ingest_got {
	const char *in; /* the input */
	size_t n, lines;
	const size_t *nl;           /* offsets of its newlines (lines - 1 of them) */
	struct stream *s;           /* to place a reject's text in the input */
	struct fuzz_ingest_buf out; /* events and rejects, flattened */
	size_t *ends;               /* out.n after each call */
	size_t calls, nev, nrej, ecap;
	size_t fail_at; /* fail at this call (1-based), 0: never */
	size_t stop_at; /* set *stop at this call, 0: never */
	volatile sig_atomic_t *stop;
};

FUZZ_INGEST_UNTRACED /* The line of input offset off: one more than the newlines before it. */
	static uint64_t
	fuzz_ingest_line_of(const struct fuzz_ingest_got *g, uint64_t off)
{
	size_t lo = 0, hi = g->lines - 1; /* newlines before off: first nl[i] >= off */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->nl[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo + 1;
}

/* Where in the input a span the reader handed over lies, if it lies in
 * the stream's window (verbatim text), else UINT64_MAX. */
static uint64_t fuzz_ingest_offset(const struct fuzz_ingest_got *g, const char *p, size_t n)
{
	const struct stream *s = g->s;
	if (!p || p < s->buf || p + n > s->buf + s->len)
		return UINT64_MAX;
	return s->base + (uint64_t)(p - s->buf);
}

static bool fuzz_ingest_has_upper(struct sv s)
{
	for (size_t i = 0; s.p && i < s.n; i++)
		if (s.p[i] >= 'A' && s.p[i] <= 'Z')
			return true;
	return false;
}

/* Count the call; fail or stop there if asked. */
static int fuzz_ingest_call(struct fuzz_ingest_got *g, char **cause)
{
	g->calls++;
	if (g->fail_at && g->calls == g->fail_at) {
		*cause = strdup("the sink says stop");
		return -1;
	}
	if (g->stop_at && g->calls == g->stop_at)
		*g->stop = 1;
	return 0;
}

static void fuzz_ingest_end_call(struct fuzz_ingest_got *g)
{
	if (g->calls > g->ecap) {
		g->ecap = g->calls * 2;
		g->ends = realloc(g->ends, g->ecap * sizeof *g->ends);
		if (!g->ends)
			abort();
	}
	g->ends[g->calls - 1] = g->out.n;
}

static int fuzz_ingest_event(void *ctx, const struct event *ev, char **cause)
{
	struct fuzz_ingest_got *g = ctx;
	if (fuzz_ingest_call(g, cause) < 0)
		return -1;
	g->nev++;
	FUZZ_CHECK(ev->ts != INT64_MIN, "an event without a time");
	FUZZ_CHECK(ev->record_id.p && ev->record_id.n > 0, "an event without a record id");
	FUZZ_CHECK(ev->raw.p && ev->raw.n > 0, "an event without its raw record");
	struct jval v;
	const char *e = json_scan_value(ev->raw.p, ev->raw.p + ev->raw.n, &v, NULL, NULL);
	FUZZ_CHECK(e && json_skip_ws(e, ev->raw.p + ev->raw.n) == ev->raw.p + ev->raw.n && v.t == JT_OBJ,
		   "an event's raw record is not a JSON object: %.*s",
		   (int)(ev->raw.n > 200 ? 200 : ev->raw.n), ev->raw.p);
	FUZZ_CHECK(!fuzz_ingest_has_upper(ev->user), "user is not lower case: %.*s", (int)ev->user.n,
		   ev->user.p);
	FUZZ_CHECK(!fuzz_ingest_has_upper(ev->app), "app is not lower case");
	FUZZ_CHECK(!fuzz_ingest_has_upper(ev->client_app), "client_app is not lower case");
	FUZZ_CHECK(!fuzz_ingest_has_upper(ev->mailbox), "mailbox is not lower case");
	FUZZ_CHECK(!fuzz_ingest_has_upper(ev->ip), "ip is not lower case");
	FUZZ_CHECK(ev->line >= 1 && ev->line <= g->lines, "event line %llu of %zu",
		   (unsigned long long)ev->line, g->lines);
	FUZZ_CHECK(ev->nmsgs == 0 || ev->msgs, "messages counted but not there");
	/* a record read in place (JSON) is numbered by the line it starts
	 * on; its raw record is that or, for a wrapper, its AuditData, which
	 * may start on a later line */
	uint64_t at = fuzz_ingest_offset(g, ev->raw.p, ev->raw.n);
	if (at != UINT64_MAX) {
		FUZZ_CHECK(at + ev->raw.n <= g->n && memcmp(g->in + at, ev->raw.p, ev->raw.n) == 0,
			   "an event's raw record in the window is not the input at its place");
		FUZZ_CHECK(ev->line <= fuzz_ingest_line_of(g, at),
			   "an event whose raw record starts on line %llu is numbered %llu",
			   (unsigned long long)fuzz_ingest_line_of(g, at), (unsigned long long)ev->line);
	}

	struct fuzz_ingest_buf *b = &g->out;
	fuzz_ingest_put(b, "E", 1);
	fuzz_ingest_put(b, &ev->ts, sizeof ev->ts);
#define X(name) fuzz_ingest_put_sv(b, ev->name);
	EVENT_TEXT_FIELDS(X)
#undef X
	fuzz_ingest_put(b, &ev->op_count, sizeof ev->op_count);
	fuzz_ingest_put(b, &ev->flags, sizeof ev->flags);
	fuzz_ingest_put_sv(b, ev->raw);
	fuzz_ingest_put(b, &ev->line, sizeof ev->line);
	fuzz_ingest_put(b, &ev->nmsgs, sizeof ev->nmsgs);
	for (size_t i = 0; i < ev->nmsgs; i++) {
		fuzz_ingest_put_sv(b, ev->msgs[i].folder);
		fuzz_ingest_put_sv(b, ev->msgs[i].msgid);
		fuzz_ingest_put(b, &ev->msgs[i].size, sizeof ev->msgs[i].size);
	}
	fuzz_ingest_end_call(g);
	return 0;
}

static int fuzz_ingest_reject(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause)
{
	struct fuzz_ingest_got *g = ctx;
	if (fuzz_ingest_call(g, cause) < 0)
		return -1;
	g->nrej++;
	FUZZ_CHECK(why && *why, "a reject without a reason");
	FUZZ_CHECK(line >= 1 && line <= g->lines, "reject line %llu of %zu", (unsigned long long)line,
		   g->lines);
	FUZZ_CHECK(n == 0 || raw, "a reject with a length and no text");
	if (n) {
		/* kept verbatim: the text lies in the stream's window, which
		 * holds the input from offset s->base, and the line is the one
		 * it starts on */
		uint64_t at = fuzz_ingest_offset(g, raw, n);
		FUZZ_CHECK(at != UINT64_MAX, "a reject's text lies outside the stream's window (%s)", why);
		FUZZ_CHECK(at + n <= g->n && memcmp(g->in + at, raw, n) == 0,
			   "a reject's text is not the input at its place (%s)", why);
		FUZZ_CHECK(line == fuzz_ingest_line_of(g, at),
			   "a reject starting on line %llu is numbered %llu (%s)",
			   (unsigned long long)fuzz_ingest_line_of(g, at), (unsigned long long)line, why);
	}
	struct fuzz_ingest_buf *b = &g->out;
	fuzz_ingest_put(b, "R", 1);
	fuzz_ingest_put(b, &line, sizeof line);
	fuzz_ingest_put_str(b, why);
	fuzz_ingest_put_sv(b, (struct sv){ raw ? raw : "", n });
	fuzz_ingest_end_call(g);
	return 0;
}

/* A source that hands out at most chunk bytes a read. */
struct fuzz_ingest_src {
	const char *p;
	size_t n, off, chunk;
};

static ssize_t fuzz_ingest_read(void *ctx, char *buf, size_t n)
{
	struct fuzz_ingest_src *c = ctx;
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
 * One stream kept for all runs and reset for each reading: a new stream's
 * first window is megabytes, which under AddressSanitizer costs more than
 * reading a small input.
 */
static struct stream *fuzz_ingest_stream(struct fuzz_ingest_src *src)
{
	static struct stream s;
	static bool ready;
	if (!ready) {
		stream_init(&s, fuzz_ingest_read, src, 0);
		ready = true;
	}
	s.read = fuzz_ingest_read;
	s.ctx = src;
	s.pos = s.len = 0;
	s.base = 0;
	s.eof = s.ioerr = false;
	return &s;
}

struct fuzz_ingest_run {
	struct fuzz_ingest_got g;
	struct ingest_stats st;
	char *cause;
	int rc;
};

static void fuzz_ingest_go(struct fuzz_ingest_run *r, const char *in, size_t n, size_t lines,
			   const size_t *nl, size_t chunk, bool mem, size_t fail_at, size_t stop_at)
{
	static volatile sig_atomic_t stop;
	struct fuzz_ingest_src src = { in, n, 0, chunk };
	struct stream ms, *s;
	memset(r, 0, sizeof *r);
	if (mem) {
		stream_init_mem(&ms, in, n);
		s = &ms;
	} else {
		s = fuzz_ingest_stream(&src);
	}
	stop = 0;
	r->g = (struct fuzz_ingest_got){ .in = in,
					 .n = n,
					 .lines = lines,
					 .nl = nl,
					 .s = s,
					 .fail_at = fail_at,
					 .stop_at = stop_at,
					 .stop = &stop };
	struct sink sink = { fuzz_ingest_event, fuzz_ingest_reject, &r->g, NULL };
	r->rc = ingest_stream(s, &sink, &stop, &r->st, &r->cause);
	if (mem)
		stream_free(&ms);

	if (!fail_at || r->g.calls < fail_at) {
		FUZZ_CHECK(r->rc == 0, "ingest_stream failed on a memory source: %s",
			   r->cause ? r->cause : "(no cause)");
		FUZZ_CHECK(r->st.records == r->g.nev + r->g.nrej && r->st.rejects == r->g.nrej,
			   "counts: %llu records, %llu rejects; the sink got %zu events, %zu rejects",
			   (unsigned long long)r->st.records, (unsigned long long)r->st.rejects, r->g.nev,
			   r->g.nrej);
		FUZZ_CHECK(r->g.nev == 0 || r->st.format, "events from a source without a format");
	}
}

static void fuzz_ingest_done(struct fuzz_ingest_run *r)
{
	free(r->g.out.p);
	free(r->g.ends);
	free(r->st.warning);
	free(r->st.error);
	free(r->cause);
}

/* Is a[0..an) the first an bytes of b[0..bn)? (NULL for empty) */
static bool fuzz_ingest_prefix(const char *a, size_t an, const char *b, size_t bn)
{
	return an <= bn && (an == 0 || memcmp(a, b, an) == 0);
}

static bool fuzz_ingest_streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Offsets of the newlines of in[0..n), then SIZE_MAX (caller frees);
 * *lines their count plus one. */
FUZZ_INGEST_UNTRACED static size_t *fuzz_ingest_newlines(const char *in, size_t n, size_t *lines)
{
	size_t *nl = malloc((n + 1) * sizeof *nl);
	*lines = 1;
	for (size_t i = 0; i < n; i++)
		if (in[i] == '\n')
			nl[(*lines)++ - 1] = i;
	nl[*lines - 1] = SIZE_MAX; /* a sentinel past every offset */
	return nl;
}

/*
 * A small input repeated to FUZZ_INGEST_REPEAT bytes and read once: a cost
 * that grows faster than the input (each line searched to the end of the
 * file, each column compared with every other) then takes seconds and
 * shows as a libFuzzer timeout, which a small input alone never reaches.
 */
#define FUZZ_INGEST_REPEAT (64 * 1024)
static void fuzz_ingest_repeated(const uint8_t *data, size_t size)
{
	char *rep = malloc(FUZZ_INGEST_REPEAT);
	size_t n = 0;
	while (n + size <= FUZZ_INGEST_REPEAT) {
		memcpy(rep + n, data, size);
		n += size;
	}
	size_t lines;
	size_t *nl = fuzz_ingest_newlines(rep, n, &lines);
	struct fuzz_ingest_run r;
	fuzz_ingest_go(&r, rep, n, lines, nl, (size_t)-1, false, 0, 0);
	fuzz_ingest_done(&r);
	free(nl);
	free(rep);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t lines;
	size_t *nl = fuzz_ingest_newlines(in, size, &lines);
	unsigned h = 2166136261u;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	/* one small input in eight: a repeated reading costs as much as
	 * twenty ordinary ones */
	if (size > 0 && size <= 16 && (h & 7) == 0)
		fuzz_ingest_repeated(data, size);

	/* one read (stream_init_mem for one size in sixteen) */
	struct fuzz_ingest_run one, parts, cut;
	fuzz_ingest_go(&one, in, size, lines, nl, (size_t)-1, size % 16 == 0, 0, 0);

	/* small reads: at most about 64 a record, so that the readers'
	 * rescans of a growing record do not dominate the run */
	size_t chunk = 1 + h % 13 + size / 64;
	fuzz_ingest_go(&parts, in, size, lines, nl, chunk, false, 0, 0);
	FUZZ_CHECK(one.g.out.n == parts.g.out.n &&
			   fuzz_ingest_prefix(one.g.out.p, one.g.out.n, parts.g.out.p, parts.g.out.n),
		   "reads of %zu bytes give other events or rejects than one read", chunk);
	FUZZ_CHECK(fuzz_ingest_streq(one.st.format, parts.st.format) &&
			   fuzz_ingest_streq(one.st.warning, parts.st.warning) &&
			   fuzz_ingest_streq(one.st.error, parts.st.error),
		   "reads of %zu bytes give another format, warning or error", chunk);
	fuzz_ingest_done(&parts);

	if (one.g.calls > 0) {
		size_t at = 1 + (h >> 8) % one.g.calls;
		size_t before = at > 1 ? one.g.ends[at - 2] : 0;
		/* the sink fails at call `at` */
		fuzz_ingest_go(&cut, in, size, lines, nl, (size_t)-1, false, at, 0);
		FUZZ_CHECK(cut.rc == -1 && cut.cause && strcmp(cut.cause, "the sink says stop") == 0,
			   "a failing sink: ingest_stream returned %d (%s)", cut.rc,
			   cut.cause ? cut.cause : "no cause");
		FUZZ_CHECK(cut.g.calls == at, "a failing sink was called %zu times, failing at %zu",
			   cut.g.calls, at);
		FUZZ_CHECK(cut.g.out.n == before &&
				   fuzz_ingest_prefix(cut.g.out.p, cut.g.out.n, one.g.out.p, one.g.out.n),
			   "before a failing sink: other events or rejects");
		fuzz_ingest_done(&cut);

		/* a stop request at call `at`: what was read is a prefix */
		fuzz_ingest_go(&cut, in, size, lines, nl, (size_t)-1, false, 0, at);
		FUZZ_CHECK(fuzz_ingest_prefix(cut.g.out.p, cut.g.out.n, one.g.out.p, one.g.out.n),
			   "a stopped reading is not a prefix of the whole");
		fuzz_ingest_done(&cut);
	}
	fuzz_ingest_done(&one);
	free(nl);
	return 0;
}
