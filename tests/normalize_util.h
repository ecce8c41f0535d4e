/*
 * normalize_util.h: what the tests of record normalization share
 * (test_normalize.c, test_normalize_logs.c): records written with ' for "
 * (j("{'a':'b'}")), normalized as their classified kind, and each field
 * asserted present with its value or absent.
 */
#ifndef AUDITSCOPE_TEST_NORMALIZE_UTIL_H
#define AUDITSCOPE_TEST_NORMALIZE_UTIL_H

#include "testutil.h"

#include "json_scan.h"
#include "normalize.h"
#include "timeparse.h"

/* A record's text with ' turned into ", in a buffer that lives for the
 * test (freed by the fixture). */
#define MAXDOCS 64
static char *docs[MAXDOCS];
static size_t ndocs;

static inline const char *j(const char *s)
{
	assert_true(ndocs < MAXDOCS);
	char *d = strdup(s);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	docs[ndocs++] = d;
	return d;
}

static inline int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < ndocs; i++)
		free(docs[i]);
	ndocs = 0;
	return 0;
}

static inline struct jval parse(const char *text)
{
	struct jval v;
	const char *err = NULL, *at = NULL;
	const char *e = json_scan_value(text, text + strlen(text), &v, &err, &at);
	if (!e)
		fail_msg("test record is not JSON (%s at %ld): %s", err, (long)(at - text), text);
	return v;
}

static inline enum rec_kind classify(const char *text)
{
	struct jval v = parse(text);
	return normalize_classify(&v);
}

/* Normalize text as its classified kind; returns normalize_json's result. */
static inline int norm(struct norm *nm, const char *text, const struct wrapper_hints *h, struct event *ev,
		       const char **why)
{
	struct jval v = parse(text);
	norm_reset(nm, v.n);
	*why = NULL;
	return normalize_json(nm, normalize_classify(&v), &v, h, ev, why);
}

static inline void norm_ok(struct norm *nm, const char *text, const struct wrapper_hints *h, struct event *ev)
{
	const char *why;
	if (norm(nm, text, h, ev, &why) != 0)
		fail_msg("rejected (%s): %s", why ? why : "no reason", text);
}

static inline void expect_reject(const char *text, const char *why_want)
{
	struct norm nm;
	norm_init(&nm);
	struct event ev;
	const char *why;
	int rc = norm(&nm, text, NULL, &ev, &why);
	if (rc == 0)
		fail_msg("accepted: %s", text);
	assert_int_equal(rc, -1);
	assert_non_null(why);
	assert_string_equal(why, why_want);
	norm_free(&nm);
}

#define assert_sv(sv, want) assert_sv_((sv), (want), #sv, __LINE__)
static inline void assert_sv_(struct sv s, const char *want, const char *name, int line)
{
	if (!want) {
		if (s.p)
			fail_msg("line %d: %s is \"%.*s\", expected absent", line, name, (int)s.n, s.p);
		return;
	}
	if (!s.p)
		fail_msg("line %d: %s is absent, expected \"%s\"", line, name, want);
	if (s.n != strlen(want) || memcmp(s.p, want, s.n) != 0)
		fail_msg("line %d: %s is \"%.*s\", expected \"%s\"", line, name, (int)s.n, s.p, want);
}

static inline int64_t ts(const char *iso)
{
	int64_t ms;
	assert_true(time_parse(iso, strlen(iso), &ms));
	return ms;
}

#endif
