/*
 * fuzz_normalize.c: libFuzzer target for the normalizer: any valid JSON
 * object through normalize_record (the loader's fast path) and
 * normalize_json, as every kind of record.
 *
 * Input that is not one JSON object is given to normalize_ip instead. What
 * must hold, beyond "no crash" (every byte of every field is read, so that
 * AddressSanitizer sees a span that points nowhere):
 *  - normalize_record and normalize_json (as the kind normalize_classify
 *    gives) make the same event, and a reused arena the same as a new one;
 *  - an event has a time; user, app, client app, mailbox and IP are lower
 *    case (the arena running out would leave them as they were: that is
 *    the failure this catches); a host name holds only the characters
 *    of one (no escapes); the raw record is a JSON object;
 *  - a failure says why;
 *  - normalize_ip gives a lower-case piece of its input, or the address's
 *    one form (an IPv6 rewritten as RFC 5952 writes it), never longer;
 *    either way its own form again.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "normalize.h"

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
#define FUZZ_NORMALIZE_UNTRACED __attribute__((no_sanitize("coverage"), noinline))
#else
#define FUZZ_NORMALIZE_UNTRACED
#endif

struct fuzz_normalize_buf {
	char *p;
	size_t n, cap;
};

FUZZ_NORMALIZE_UNTRACED static void fuzz_normalize_put(struct fuzz_normalize_buf *b, const void *p, size_t n)
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

static void fuzz_normalize_put_sv(struct fuzz_normalize_buf *b, struct sv s)
{
	uint64_t n = s.p ? s.n : UINT64_MAX;
	fuzz_normalize_put(b, &n, sizeof n);
	if (s.p)
		fuzz_normalize_put(b, s.p, s.n);
}

FUZZ_NORMALIZE_UNTRACED static bool fuzz_normalize_has_upper(struct sv s)
{
	for (size_t i = 0; s.p && i < s.n; i++)
		if (s.p[i] >= 'A' && s.p[i] <= 'Z')
			return true;
	return false;
}

/* The event flattened (every byte read), after its invariants. */
static void fuzz_normalize_event(const struct event *ev, struct fuzz_normalize_buf *out)
{
	FUZZ_CHECK(ev->ts != INT64_MIN, "an event without a time");
	FUZZ_CHECK(ev->raw.p && ev->raw.n > 0, "an event without its raw record");
	struct jval v;
	const char *e = json_scan_value(ev->raw.p, ev->raw.p + ev->raw.n, &v, NULL, NULL);
	FUZZ_CHECK(e && json_skip_ws(e, ev->raw.p + ev->raw.n) == ev->raw.p + ev->raw.n && v.t == JT_OBJ,
		   "an event's raw record is not a JSON object");
#define X(name) FUZZ_CHECK(!ev->name.p || ev->name.n < ((size_t)1 << 40), #name " has a wild length");
	EVENT_TEXT_FIELDS(X)
#undef X
	FUZZ_CHECK(!fuzz_normalize_has_upper(ev->user), "user is not lower case: %.*s", (int)ev->user.n,
		   ev->user.p);
	FUZZ_CHECK(!fuzz_normalize_has_upper(ev->app), "app is not lower case");
	FUZZ_CHECK(!fuzz_normalize_has_upper(ev->client_app), "client_app is not lower case");
	FUZZ_CHECK(!fuzz_normalize_has_upper(ev->mailbox), "mailbox is not lower case");
	FUZZ_CHECK(!fuzz_normalize_has_upper(ev->ip), "ip is not lower case");
	/* a host name is letters, digits, '-', '_' and dots, never text a
	 * terminal could act on (core/addr.c) */
	for (size_t i = 0; ev->host.p && i < ev->host.n; i++) {
		char c = ev->host.p[i];
		FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.',
			   "host holds 0x%02x", (unsigned char)c);
	}
	FUZZ_CHECK(ev->nmsgs == 0 || ev->msgs, "messages counted but not there");

	fuzz_normalize_put(out, &ev->ts, sizeof ev->ts);
#define X(name) fuzz_normalize_put_sv(out, ev->name);
	EVENT_TEXT_FIELDS(X)
#undef X
	fuzz_normalize_put(out, &ev->op_count, sizeof ev->op_count);
	fuzz_normalize_put(out, &ev->flags, sizeof ev->flags);
	fuzz_normalize_put_sv(out, ev->raw);
	fuzz_normalize_put(out, &ev->nmsgs, sizeof ev->nmsgs);
	for (size_t i = 0; i < ev->nmsgs; i++) {
		fuzz_normalize_put_sv(out, ev->msgs[i].folder);
		fuzz_normalize_put_sv(out, ev->msgs[i].msgid);
		fuzz_normalize_put(out, &ev->msgs[i].size, sizeof ev->msgs[i].size);
	}
}

static void fuzz_normalize_result(int rc, const struct event *ev, const char *why,
				  struct fuzz_normalize_buf *out)
{
	fuzz_normalize_put(out, &rc, sizeof rc);
	if (rc == 0) {
		fuzz_normalize_event(ev, out);
	} else {
		FUZZ_CHECK(rc == -1, "normalize returned %d", rc);
		FUZZ_CHECK(why && *why, "a refused record without a reason");
		fuzz_normalize_put_sv(out, (struct sv){ why, strlen(why) });
	}
}

static void fuzz_normalize_ip(const char *p, size_t n)
{
	struct norm nm;
	norm_init(&nm);
	norm_reset(&nm, n);
	struct sv ip = normalize_ip(&nm, (struct sv){ p, n });
	if (ip.p) {
		FUZZ_CHECK(ip.n > 0 && ip.n <= n, "normalize_ip: a length of %zu from %zu", ip.n, n);
		FUZZ_CHECK(!fuzz_normalize_has_upper(ip), "normalize_ip left upper case");
		/* a lower-cased piece of the input */
		bool found = false;
		for (size_t i = 0; !found && i + ip.n <= n; i++) {
			size_t j = 0;
			while (j < ip.n &&
			       (p[i + j] >= 'A' && p[i + j] <= 'Z' ? p[i + j] + 32 : p[i + j]) == ip.p[j])
				j++;
			found = j == ip.n;
		}
		/* the one form of an IPv6 is rewritten, not a piece */
		FUZZ_CHECK(found || memchr(p, ':', n), "normalize_ip gave something not in its input");
		struct norm again;
		norm_init(&again);
		norm_reset(&again, ip.n);
		struct sv ip2 = normalize_ip(&again, ip);
		FUZZ_CHECK(ip2.p && ip2.n == ip.n && memcmp(ip2.p, ip.p, ip.n) == 0,
			   "normalize_ip's result is not its own form");
		norm_free(&again);
	}
	norm_free(&nm);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	static struct jmember mem[NORMALIZE_MAX_MEMBERS];
	struct jval v;
	size_t n = 0;
	const char *e = json_scan_object(p, end, &v, mem, NORMALIZE_MAX_MEMBERS, &n, NULL, NULL);
	if (!e || json_skip_ws(e, end) != end || v.t != JT_OBJ) {
		if (size <= 256)
			fuzz_normalize_ip(p, size);
		return 0;
	}

	struct norm nm, fresh;
	norm_init(&nm);
	struct event ev;
	const char *why = NULL;
	enum rec_kind kind = REC_UNKNOWN;

	/* the loader's way: CSV AuditData cells fall back to UAL, JSON
	 * records to unknown */
	enum rec_kind fallback = size & 1 ? REC_UAL : REC_UNKNOWN;
	struct fuzz_normalize_buf a = { 0 }, b = { 0 }, c = { 0 };
	norm_reset(&nm, v.n);
	int rc = normalize_record(&nm, &v, mem, n, NULL, fallback, &kind, &ev, &why);
	fuzz_normalize_result(rc, &ev, why, &a);
	if (rc == 0)
		normalize_synth_id(&nm, &ev);

	enum rec_kind k2 = normalize_classify(&v);
	FUZZ_CHECK(kind == (k2 == REC_UNKNOWN ? fallback : k2),
		   "normalize_record used kind %d, normalize_classify says %d", kind, k2);
	if (n < NORMALIZE_MAX_MEMBERS) {
		/* the same record the slow way, on a fresh arena */
		norm_init(&fresh);
		norm_reset(&fresh, v.n);
		why = NULL;
		rc = normalize_json(&fresh, kind, &v, NULL, &ev, &why);
		fuzz_normalize_result(rc, &ev, why, &b);
		FUZZ_CHECK(a.n == b.n && memcmp(a.p, b.p, a.n) == 0,
			   "normalize_record and normalize_json make different events");
		norm_free(&fresh);
	}

	/* every kind, with and without a wrapper's hints, on the reused arena */
	for (int k = REC_UNKNOWN; k < REC_COUNT; k++) {
		struct wrapper_hints h = { 0 };
		if (k & 1) {
			h.date = (struct sv){ "2023-09-26T01:56:15", 19 };
			h.record_id = (struct sv){ "hint-id", 7 };
			h.op = (struct sv){ "HintOp", 6 };
			h.user = (struct sv){ "hint@example.com", 16 };
			h.rtype = (struct sv){ "ExchangeItem", 12 };
		}
		norm_reset(&nm, v.n);
		why = NULL;
		c.n = 0;
		rc = normalize_json(&nm, (enum rec_kind)k, &v, k & 1 ? &h : NULL, &ev, &why);
		fuzz_normalize_result(rc, &ev, why, &c);
		FUZZ_CHECK(*normalize_kind_name((enum rec_kind)k), "a kind without a name");
	}
	free(a.p);
	free(b.p);
	free(c.p);
	norm_free(&nm);
	return 0;
}
