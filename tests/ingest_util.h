/*
 * ingest_util.h: what the tests of ingest_stream share
 * (test_ingest_stream.c, test_ingest_csv.c): a sink that collects every
 * event and reject, runs over memory streams, and expectations on them.
 */
#ifndef AUDITSCOPE_TEST_INGEST_UTIL_H
#define AUDITSCOPE_TEST_INGEST_UTIL_H

#include "testutil.h"

#include "ingest.h"
#include "json_scan.h"
#include "stream.h"
#include "timeparse.h"

/* ------------------------------------------------------------------ */
/* The collecting sink. */

#define NFIELDS 16

struct cev {
	int64_t ts;
	char *f[NFIELDS]; /* NULL when absent */
	int64_t op_count;
	unsigned flags;
	int kind;
	char *raw;
	uint64_t line;
	size_t nmsgs;
	char **folder, **msgid;
	int64_t *size;
};

struct crej {
	uint64_t line;
	char *why;
	char *raw;
	size_t n;
};

struct got {
	struct cev *ev;
	size_t nev, cap;
	struct crej *rej;
	size_t nrej, rcap;
	int fail_at; /* make the sink fail at this event (1-based), 0: never */
	struct ingest_stats st;
	char *cause;
	int rc;
};

enum {
	F_RECORD_ID,
	F_OP,
	F_RTYPE,
	F_WORKLOAD,
	F_USER,
	F_APP,
	F_CLIENT_APP,
	F_IP,
	F_HOST,
	F_RESULT,
	F_SESSION,
	F_TOKEN,
	F_MAILBOX,
	F_ACCESS,
	F_CLIENT_INFO,
	F_DETAIL
};

static inline char *dup_sv(struct sv s)
{
	if (!s.p)
		return NULL;
	char *d = malloc(s.n + 1);
	memcpy(d, s.p, s.n);
	d[s.n] = '\0';
	return d;
}

static inline int got_event(void *ctx, const struct event *ev, char **cause)
{
	struct got *g = ctx;
	if (g->fail_at && (int)g->nev + 1 == g->fail_at) {
		*cause = strdup("disk full");
		return -1;
	}
	if (g->nev == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->ev = realloc(g->ev, g->cap * sizeof *g->ev);
	}
	struct cev *c = &g->ev[g->nev++];
	memset(c, 0, sizeof *c);
	c->ts = ev->ts;
	int i = 0;
#define X(name) c->f[i++] = dup_sv(ev->name);
	EVENT_TEXT_FIELDS(X)
#undef X
	assert_int_equal(i, NFIELDS);
	c->op_count = ev->op_count;
	c->flags = ev->flags;
	c->kind = ev->kind;
	c->raw = dup_sv(ev->raw);
	c->line = ev->line;
	c->nmsgs = ev->nmsgs;
	if (ev->nmsgs) {
		c->folder = calloc(ev->nmsgs, sizeof *c->folder);
		c->msgid = calloc(ev->nmsgs, sizeof *c->msgid);
		c->size = calloc(ev->nmsgs, sizeof *c->size);
		for (size_t k = 0; k < ev->nmsgs; k++) {
			c->folder[k] = dup_sv(ev->msgs[k].folder);
			c->msgid[k] = dup_sv(ev->msgs[k].msgid);
			c->size[k] = ev->msgs[k].size;
		}
	}
	/* every event has an id: the record's or a synthetic one */
	assert_non_null(c->f[F_RECORD_ID]);
	return 0;
}

static inline int got_reject(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause)
{
	(void)cause;
	struct got *g = ctx;
	if (g->nrej == g->rcap) {
		g->rcap = g->rcap ? g->rcap * 2 : 16;
		g->rej = realloc(g->rej, g->rcap * sizeof *g->rej);
	}
	struct crej *r = &g->rej[g->nrej++];
	assert_non_null(why);
	r->line = line;
	r->why = strdup(why);
	r->raw = malloc(n + 1);
	memcpy(r->raw, raw, n);
	r->raw[n] = '\0';
	r->n = n;
	return 0;
}

static inline void got_free(struct got *g)
{
	for (size_t i = 0; i < g->nev; i++) {
		struct cev *c = &g->ev[i];
		for (int k = 0; k < NFIELDS; k++)
			free(c->f[k]);
		free(c->raw);
		for (size_t k = 0; k < c->nmsgs; k++) {
			free(c->folder[k]);
			free(c->msgid[k]);
		}
		free(c->folder);
		free(c->msgid);
		free(c->size);
	}
	free(g->ev);
	for (size_t i = 0; i < g->nrej; i++) {
		free(g->rej[i].why);
		free(g->rej[i].raw);
	}
	free(g->rej);
	free(g->st.warning);
	free(g->st.error);
	free(g->cause);
	memset(g, 0, sizeof *g);
}

static inline void run_stream(struct stream *s, struct got *g)
{
	struct sink sk = { got_event, got_reject, g, NULL };
	g->rc = ingest_stream(s, &sk, NULL, &g->st, &g->cause);
	/* the counts agree with what the sink saw */
	if (g->rc == 0)
		assert_int_equal(g->st.records, g->nev + g->nrej);
	assert_int_equal(g->st.rejects, g->nrej);
}

static inline void run(const char *data, size_t n, struct got *g)
{
	int fail_at = g->fail_at;
	memset(g, 0, sizeof *g);
	g->fail_at = fail_at;
	struct stream s;
	stream_init_mem(&s, data, n);
	run_stream(&s, g);
	stream_free(&s);
}

static inline void run_str(const char *data, struct got *g)
{
	run(data, strlen(data), g);
}

/* Records with ' for ", as in test_normalize.c. */
static inline char *q(const char *s)
{
	char *d = strdup(s);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static inline void expect_field(const struct got *g, size_t i, int f, const char *want)
{
	if (i >= g->nev)
		fail_msg("event %zu missing (%zu events, %zu rejects)", i, g->nev, g->nrej);
	const char *v = g->ev[i].f[f];
	if (!want) {
		if (v)
			fail_msg("event %zu field %d: \"%s\", expected absent", i, f, v);
		return;
	}
	if (!v)
		fail_msg("event %zu field %d absent, expected \"%s\"", i, f, want);
	if (strcmp(v, want) != 0)
		fail_msg("event %zu field %d: \"%s\", expected \"%s\"", i, f, v, want);
}

/* One expected field of one event (want NULL: absent), for tables of
 * them checked by expect_fields. */
struct field_want {
	size_t ev;
	int f;
	const char *want;
};

static inline void expect_fields(const struct got *g, const struct field_want *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_field(g, w[i].ev, w[i].f, w[i].want);
}

static inline void expect_format(const struct got *g, const char *want)
{
	if (!g->st.format)
		fail_msg("no format, expected %s", want);
	assert_string_equal(g->st.format, want);
}

static inline void expect_ok(const struct got *g, size_t nev, size_t nrej)
{
	if (g->rc != 0)
		fail_msg("ingest_stream failed: %s", g->cause ? g->cause : "?");
	if (g->nev != nev || g->nrej != nrej) {
		for (size_t i = 0; i < g->nrej; i++)
			print_message("reject line %llu: %s: %.200s\n", (unsigned long long)g->rej[i].line,
				      g->rej[i].why, g->rej[i].raw);
		fail_msg("%zu events and %zu rejects, expected %zu and %zu", g->nev, g->nrej, nev, nrej);
	}
}

static inline int64_t ts(const char *iso)
{
	int64_t ms;
	assert_true(time_parse(iso, strlen(iso), &ms));
	return ms;
}

/* The header of Purview's CSV export. */
#define PURVIEW_HDR \
	"RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\n"

#endif
