/*
 * fields_dump.h: every event and reject a reader gives for an input, as
 * text (the record's fields, time, flags, counts, messages, a digest of
 * its raw record; a reject's line, reason and a digest of its bytes), so
 * that the readers' output can be compared across changes to the scanner
 * and the normalizer (test_realdata_fields.c).
 */
#ifndef AUDITSCOPE_TEST_FIELDS_DUMP_H
#define AUDITSCOPE_TEST_FIELDS_DUMP_H

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "ingest.h"
#include "stream.h"

struct fields_dump {
	char *p;
	size_t n, cap;
	uint64_t events, rejects;
};

static void fields_dump_put(struct fields_dump *d, const char *p, size_t n)
{
	if (d->n + n + 1 > d->cap) {
		d->cap = (d->n + n + 1) * 2;
		d->p = realloc(d->p, d->cap);
		if (!d->p)
			abort();
	}
	memcpy(d->p + d->n, p, n);
	d->n += n;
	d->p[d->n] = '\0';
}

static void fields_dump_fmt(struct fields_dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fields_dump_fmt(struct fields_dump *d, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (k > 0)
		fields_dump_put(d, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
}

/* A field's text, absent ("-") told from empty ("\"\""), bytes as they are
 * but for the line breaks that would split the dump's lines. */
static void fields_dump_sv(struct fields_dump *d, const char *name, struct sv s)
{
	fields_dump_fmt(d, " %s=", name);
	if (!s.p) {
		fields_dump_put(d, "-", 1);
		return;
	}
	fields_dump_put(d, "\"", 1);
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (c == '\n')
			fields_dump_put(d, "\\n", 2);
		else if (c == '\r')
			fields_dump_put(d, "\\r", 2);
		else if (c == '\0')
			fields_dump_put(d, "\\0", 2);
		else
			fields_dump_put(d, &c, 1);
	}
	fields_dump_put(d, "\"", 1);
}

static uint64_t fields_dump_fnv(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

static int fields_dump_event(void *ctx, const struct event *ev, char **cause)
{
	(void)cause;
	struct fields_dump *d = ctx;
	d->events++;
	fields_dump_fmt(d, "E %llu kind=%d ts=%lld flags=%u count=%lld raw=%zu:%016llx",
			(unsigned long long)ev->line, ev->kind, (long long)ev->ts, ev->flags,
			(long long)ev->op_count, ev->raw.n,
			(unsigned long long)fields_dump_fnv(ev->raw.p, ev->raw.n));
#define X(name) fields_dump_sv(d, #name, ev->name);
	EVENT_TEXT_FIELDS(X)
#undef X
	fields_dump_put(d, "\n", 1);
	for (size_t i = 0; i < ev->nmsgs; i++) {
		fields_dump_put(d, " M", 2);
		fields_dump_sv(d, "folder", ev->msgs[i].folder);
		fields_dump_sv(d, "msgid", ev->msgs[i].msgid);
		fields_dump_fmt(d, " size=%lld\n", (long long)ev->msgs[i].size);
	}
	return 0;
}

static int fields_dump_reject(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause)
{
	(void)cause;
	struct fields_dump *d = ctx;
	d->rejects++;
	fields_dump_fmt(d, "R %llu raw=%zu:%016llx why=%s\n", (unsigned long long)line, n,
			(unsigned long long)fields_dump_fnv(raw, n), why ? why : "-");
	return 0;
}

/* Read n bytes of input as the loader would (format by content) into d;
 * returns ingest_stream's result, the stats' summary appended to d. */
static int fields_dump_input(struct fields_dump *d, const char *in, size_t n)
{
	static volatile sig_atomic_t stop;
	struct stream s;
	struct ingest_stats st = { 0 };
	char *cause = NULL;
	stream_init_mem(&s, in, n);
	struct sink sink = { fields_dump_event, fields_dump_reject, d, NULL };
	int rc = ingest_stream(&s, &sink, &stop, &st, &cause);
	stream_free(&s);
	fields_dump_fmt(d,
			"S rc=%d records=%llu rejects=%llu known=%llu truncated=%llu lost=%llu pages=%llu "
			"next=%llu format=%s\n",
			rc, (unsigned long long)st.records, (unsigned long long)st.rejects,
			(unsigned long long)st.known, (unsigned long long)st.truncated,
			(unsigned long long)st.lost_msgids, (unsigned long long)st.pages,
			(unsigned long long)st.next_links, st.format ? st.format : "-");
	if (st.warning)
		fields_dump_fmt(d, "S warning=%s\n", st.warning);
	if (st.error)
		fields_dump_fmt(d, "S error=%s\n", st.error);
	if (cause)
		fields_dump_fmt(d, "S cause=%s\n", cause);
	free(st.warning);
	free(st.error);
	free(cause);
	return rc;
}

#endif
