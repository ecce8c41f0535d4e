/*
 * test_export.c: exports read back by independent readers: CSV through a
 * strict RFC 4180 parser written here (not the loader's), JSON through
 * jansson. Same events, same tags and notes, in time order across
 * windows; formula injection neutralised; Timesketch's three fields on
 * every line. (Notes sharing: test_notes.c; the case both use:
 * export_util.h.)
 */
#define _GNU_SOURCE /* asprintf */
#include "export_util.h"

#include <jansson.h>

#include "csvout.h"
#include "timeparse.h"

/* ------------------------------------------------------------------ */
/* A strict RFC 4180 reader: CRLF records, quoted fields with doubled
 * quotes, nothing after a closing quote but a comma or the record end. */

struct csv_rec {
	char **f;
	size_t n;
};

static bool csv_read(const char **pp, struct csv_rec *r)
{
	const char *p = *pp;
	r->f = NULL;
	r->n = 0;
	if (!*p)
		return false;
	for (;;) {
		size_t cap = 64, n = 0;
		char *v = malloc(cap);
		if (*p == '"') {
			p++;
			for (;;) {
				assert_true(*p != '\0'); /* unterminated quote */
				if (*p == '"' && p[1] == '"') {
					p += 2;
					v[n++] = '"';
				} else if (*p == '"') {
					p++;
					break;
				} else {
					v[n++] = *p++;
				}
				if (n + 2 > cap)
					v = realloc(v, cap *= 2);
			}
			assert_true(*p == ',' || (p[0] == '\r' && p[1] == '\n'));
		} else {
			while (*p && *p != ',' && *p != '\r') {
				assert_true(*p != '"' && *p != '\n'); /* bare quote or LF in unquoted field */
				v[n++] = *p++;
				if (n + 2 > cap)
					v = realloc(v, cap *= 2);
			}
		}
		v[n] = '\0';
		r->f = realloc(r->f, (r->n + 1) * sizeof *r->f);
		r->f[r->n++] = v;
		if (*p == ',') {
			p++;
			continue;
		}
		assert_true(p[0] == '\r' && p[1] == '\n');
		p += 2;
		break;
	}
	*pp = p;
	return true;
}

static void csv_free(struct csv_rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->f[i]);
	free(r->f);
}

/* The reader's side of neutralisation: one leading apostrophe dropped. */
static const char *unneutral(const char *s)
{
	return s[0] == '\'' ? s + 1 : s;
}

static int col_index(const struct csv_rec *hdr, const char *name)
{
	for (size_t i = 0; i < hdr->n; i++)
		if (!strcmp(hdr->f[i], name))
			return (int)i;
	fail_msg("no column %s", name);
	return -1;
}

/* The expected notes cell of an event, from the case. */
static char *expected_notes(struct store *st, const char *rid)
{
	struct annot_info *ai;
	char *cause = NULL;
	assert_int_equal(annot_get_key(st, rid, KIND_UAL, &ai, &cause), 0);
	char *s = strdup("");
	for (size_t i = 0; i < ai->nnotes; i++) {
		char *n;
		assert_true(asprintf(&n, "%s%s[%s %s] %s", s, i ? "\n" : "", ai->notes[i].author,
				     ai->notes[i].created, ai->notes[i].text) > 0);
		free(s);
		s = n;
	}
	annot_info_free(ai);
	return s;
}

static void csv_round_trip(void **state)
{
	struct fixture *f = *state;
	annotate(f->st);
	int64_t n;
	char *text = run_export(f->st, EXPORT_CSV, NULL, false, &n);
	assert_int_equal(n, NBIG);
	const char *p = text;
	struct csv_rec hdr, r;
	assert_true(csv_read(&p, &hdr));
	assert_int_equal(hdr.n, 30); /* with country, asn, as_org, host */
	int c_ts = col_index(&hdr, "ts"), c_rid = col_index(&hdr, "record_id"),
	    c_user = col_index(&hdr, "user"), c_op = col_index(&hdr, "op"), c_tags = col_index(&hdr, "tags"),
	    c_notes = col_index(&hdr, "notes"), c_marked = col_index(&hdr, "marked"),
	    c_src = col_index(&hdr, "source"), c_sha = col_index(&hdr, "source_sha256"),
	    c_line = col_index(&hdr, "line"), c_thr = col_index(&hdr, "throttled"),
	    c_opc = col_index(&hdr, "op_count");

	/* the case's view of every event, in time order */
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(f->st),
					    "SELECT e.record_id, e.ts, (SELECT v FROM vals WHERE id = e.user), (SELECT v FROM vals WHERE id = e.op),"
					    " e.line, e.op_count, e.flags,"
					    " EXISTS(SELECT 1 FROM marks m WHERE m.record_id = e.record_id),"
					    " (SELECT group_concat(tag, ',') FROM (SELECT tag FROM tags t WHERE t.record_id = e.record_id ORDER BY tag))"
					    " FROM events e ORDER BY e.ts, e.id",
					    -1, &q, NULL),
			 SQLITE_OK);
	int64_t rows = 0, prev_ts = INT64_MIN, formulas = 0;
	while (csv_read(&p, &r)) {
		assert_int_equal(r.n, 30);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		const char *rid = (const char *)sqlite3_column_text(q, 0);
		assert_string_equal(unneutral(r.f[c_rid]), rid);
		int64_t ts;
		assert_true(time_parse(r.f[c_ts], strlen(r.f[c_ts]), &ts));
		assert_int_equal(ts, sqlite3_column_int64(q, 1));
		assert_true(ts >= prev_ts);
		prev_ts = ts;
		assert_string_equal(unneutral(r.f[c_user]), (const char *)sqlite3_column_text(q, 2));
		assert_string_equal(unneutral(r.f[c_op]), (const char *)sqlite3_column_text(q, 3));
		char line[24];
		snprintf(line, sizeof line, "%lld", (long long)sqlite3_column_int64(q, 4));
		assert_string_equal(r.f[c_line], line);
		if (sqlite3_column_type(q, 5) == SQLITE_NULL)
			assert_string_equal(r.f[c_opc], "");
		else
			assert_int_equal(atoll(r.f[c_opc]), sqlite3_column_int64(q, 5));
		assert_string_equal(r.f[c_thr], sqlite3_column_int(q, 6) & EVF_THROTTLED ? "true" : "false");
		assert_string_equal(r.f[c_marked], sqlite3_column_int(q, 7) ? "true" : "false");
		const char *tags = (const char *)sqlite3_column_text(q, 8);
		assert_string_equal(unneutral(r.f[c_tags]), tags ? tags : "");
		char *notes = expected_notes(f->st, rid);
		assert_string_equal(unneutral(r.f[c_notes]), notes);
		free(notes);
		assert_string_equal(r.f[c_src], "big.json");
		assert_string_equal(r.f[c_sha],
				    "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed");
		/* no cell a spreadsheet would run */
		for (size_t i = 0; i < r.n; i++) {
			assert_true(r.f[i][0] == '\0' || strchr("=+-@\t\r", r.f[i][0]) == NULL);
			formulas += r.f[i][0] == '\'';
		}
		csv_free(&r);
		rows++;
	}
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	assert_int_equal(rows, NBIG);
	/* 7 users + notes 1 (=HYPERLINK) + the "=formula tag" cells */
	assert_true(formulas >= 9);
	csv_free(&hdr);
	free(text);
}

static void test_csv_round_trip(void **state)
{
	csv_round_trip(state);
}

/* the same, with the annotations probed per row instead of held */
static void test_csv_round_trip_probing(void **state)
{
	use_limits(0, 0);
	csv_round_trip(state);
	limits = NULL;
}

static void test_neutralise(void **state)
{
	(void)state;
	struct {
		const char *in, *out;
	} cases[] = {
		{ "=1+1", "'=1+1" },
		{ "+1", "'+1" },
		{ "-1", "'-1" },
		{ "@SUM(A1)", "'@SUM(A1)" },
		{ "\tx", "'\tx" },
		{ "\rx", "'\rx" },
		{ "'quoted", "''quoted" },
		{ "a=1", "a=1" },
		{ "", "" },
		{ "\xc3\xa9=", "\xc3\xa9=" },
		{ "a -1", "a -1" },
		{ " x", " x" },
		/* blanks before a sign, and the full-width signs (csvout.h) */
		{ " =1", "' =1" },
		{ "  +1", "'  +1" },
		{ "\n-1", "'\n-1" },
		{ " \t@x", "' \t@x" },
		{ "\xe3\x80\x80"
		  "=1",
		  "'\xe3\x80\x80"
		  "=1" },
		{ "\xef\xbc\x9d"
		  "1+1",
		  "'\xef\xbc\x9d"
		  "1+1" },
		{ "\xef\xbc\x8b"
		  "1",
		  "'\xef\xbc\x8b"
		  "1" },
		{ "\xef\xbc\x8d"
		  "1",
		  "'\xef\xbc\x8d"
		  "1" },
		{ "\xef\xbc\xa0"
		  "x",
		  "'\xef\xbc\xa0"
		  "x" },
		{ " \xef\xbc\x9d"
		  "1",
		  "' \xef\xbc\x9d"
		  "1" },
		{ "\xef\xbc\x9e"
		  "1",
		  "\xef\xbc\x9e"
		  "1" },
		{ "\xef\xbc", "\xef\xbc" },
		{ "\xe3\x80", "\xe3\x80" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = csvout_neutralise(cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

/* JSON Lines: every line an object; the fields, tags, notes and the raw
 * record are the case's. */
static void jsonl_round_trip(void **state)
{
	struct fixture *f = *state;
	annotate(f->st);
	int64_t n;
	char *text = run_export(f->st, EXPORT_JSONL, NULL, false, &n);
	assert_int_equal(n, NBIG);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(f->st),
					    "SELECT id, record_id, ts, (SELECT v FROM vals WHERE id = e.user)"
					    " FROM events e ORDER BY ts, id",
					    -1, &q, NULL),
			 SQLITE_OK);
	char *save, *line = strtok_r(text, "\n", &save);
	int64_t rows = 0;
	for (; line; line = strtok_r(NULL, "\n", &save), rows++) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);
		if (!o)
			fail_msg("line %lld: %s", (long long)rows + 1, err.text);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		int64_t id = sqlite3_column_int64(q, 0);
		const char *rid = (const char *)sqlite3_column_text(q, 1);
		assert_string_equal(json_string_value(json_object_get(o, "record_id")), rid);
		assert_string_equal(json_string_value(json_object_get(o, "user")),
				    (const char *)sqlite3_column_text(q, 3));
		const char *tss = json_string_value(json_object_get(o, "ts"));
		int64_t ts;
		assert_non_null(tss);
		assert_true(time_parse(tss, strlen(tss), &ts));
		assert_int_equal(ts, sqlite3_column_int64(q, 2));
		assert_string_equal(json_string_value(json_object_get(o, "kind")), "ual");
		assert_string_equal(json_string_value(json_object_get(o, "source")), "big.json");
		assert_string_equal(json_string_value(json_object_get(o, "source_sha256")),
				    "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed");
		assert_true(json_is_integer(json_object_get(o, "line")));
		/* the raw record, as the case holds it */
		size_t rawlen;
		char *raw = store_raw(f->st, id, &rawlen);
		json_t *want = json_loadb(raw, rawlen, 0, &err);
		assert_non_null(want);
		assert_true(json_equal(json_object_get(o, "raw"), want));
		json_decref(want);
		free(raw);
		/* annotations */
		struct annot_info *ai;
		char *cause = NULL;
		assert_int_equal(annot_get_key(f->st, rid, KIND_UAL, &ai, &cause), 0);
		assert_true(json_is_boolean(json_object_get(o, "marked")));
		assert_int_equal(json_is_true(json_object_get(o, "marked")), ai->marked);
		json_t *tags = json_object_get(o, "tags"), *notes = json_object_get(o, "notes");
		assert_int_equal(json_array_size(tags), ai->ntags);
		for (size_t i = 0; i < ai->ntags; i++)
			assert_string_equal(json_string_value(json_array_get(tags, i)), ai->tags[i]);
		assert_int_equal(json_array_size(notes), ai->nnotes);
		for (size_t i = 0; i < ai->nnotes; i++) {
			json_t *nt = json_array_get(notes, i);
			assert_string_equal(json_string_value(json_object_get(nt, "author")),
					    ai->notes[i].author);
			assert_string_equal(json_string_value(json_object_get(nt, "created")),
					    ai->notes[i].created);
			assert_string_equal(json_string_value(json_object_get(nt, "text")), ai->notes[i].text);
		}
		annot_info_free(ai);
		json_decref(o);
	}
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	assert_int_equal(rows, NBIG);
	free(text);
}

static void test_jsonl_round_trip(void **state)
{
	jsonl_round_trip(state);
}

static void test_jsonl_round_trip_probing(void **state)
{
	use_limits(0, 0);
	jsonl_round_trip(state);
	limits = NULL;
}

/* Timesketch: message, datetime (ISO 8601) and timestamp_desc on every
 * line; tags as "tag", notes as "comment". Only the marked ones here. */
static void test_timesketch(void **state)
{
	struct fixture *f = *state;
	annotate(f->st);
	int64_t n;
	char *text = run_export(f->st, EXPORT_TIMESKETCH, NULL, true, &n);
	assert_int_equal(n, NHOSTILE + 4);
	char *save, *line = strtok_r(text, "\n", &save);
	int64_t rows = 0, prev = INT64_MIN;
	bool saw_comment = false;
	for (; line; line = strtok_r(NULL, "\n", &save), rows++) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);
		assert_non_null(o);
		const char *msg = json_string_value(json_object_get(o, "message"));
		const char *dt = json_string_value(json_object_get(o, "datetime"));
		const char *desc = json_string_value(json_object_get(o, "timestamp_desc"));
		assert_true(msg && *msg && dt && desc && *desc);
		/* YYYY-MM-DDTHH:MM:SS.fff+00:00, and it means the event's time */
		assert_int_equal(strlen(dt), 29);
		for (int i = 0; i < 29; i++) {
			const char *shape = "dddd-dd-ddTdd:dd:dd.ddd+dd:dd";
			if (shape[i] == 'd')
				assert_true(dt[i] >= '0' && dt[i] <= '9');
			else
				assert_int_equal(dt[i], shape[i]);
		}
		int64_t ts;
		assert_true(time_parse(dt, strlen(dt), &ts));
		assert_int_equal(json_integer_value(json_object_get(o, "timestamp")), ts * 1000);
		assert_true(ts >= prev);
		prev = ts;
		assert_non_null(strstr(msg, json_string_value(json_object_get(o, "op"))));
		assert_true(json_is_array(json_object_get(o, "tag")));
		json_t *c = json_object_get(o, "comment");
		assert_true(json_is_array(c));
		if (!strcmp(json_string_value(json_object_get(o, "record_id")), "r-00001")) {
			assert_int_equal(json_array_size(c), 2);
			assert_string_equal(json_string_value(json_array_get(c, 1)),
					    "bob \xc3\xa9 (2024-03-02T08:00:00.000Z): bob disagrees,\n\"strongly\"");
			saw_comment = true;
		}
		assert_null(json_object_get(o, "raw"));
		json_decref(o);
	}
	assert_true(saw_comment);
	assert_int_equal(rows, NHOSTILE + 4);
	free(text);
}

/* A filter narrows, --marked narrows further; a bad filter is a
 * "filter:" error. */
static void test_filter_and_marked(void **state)
{
	struct fixture *f = *state;
	annotate(f->st);
	int64_t n;
	char *t = run_export(f->st, EXPORT_JSONL, "op=New-InboxRule", false, &n);
	assert_int_equal(n, (NBIG + 1) / 3);
	free(t);
	t = run_export(f->st, EXPORT_JSONL, "op=New-InboxRule", true, &n);
	/* marked: r-00001, 4, 7, 10 and r-00100, r-02500, r-04999 (i % 3 == 1) */
	assert_int_equal(n, 7);
	free(t);
	/* the same through every path: bookmarks probed per row; held in
	 * memory while walking the timeline */
	int64_t paths[][2] = { { 0, 0 }, { 4000000, 0 } };
	for (size_t i = 0; i < 2; i++) {
		use_limits(paths[i][0], paths[i][1]);
		t = run_export(f->st, EXPORT_JSONL, "op=New-InboxRule", true, &n);
		assert_int_equal(n, 7);
		free(t);
		t = run_export(f->st, EXPORT_TIMESKETCH, NULL, true, &n);
		assert_int_equal(n, NHOSTILE + 4);
		free(t);
	}
	limits = NULL;
	char *cause = NULL;
	FILE *m = fopen("/dev/null", "w");
	struct export_opts o = { .format = EXPORT_CSV, .filter = "user=" };
	assert_int_equal(export_run(f->st, m, &o, NULL, &cause), -1);
	assert_non_null(cause);
	assert_int_equal(strncmp(cause, "filter:", 7), 0);
	free(cause);
	fclose(m);
	assert_int_equal(export_format_parse("timesketch"), EXPORT_TIMESKETCH);
	assert_int_equal(export_format_parse("md"), EXPORT_MARKDOWN);
	assert_int_equal(export_format_parse("xlsx"), -1);
}

/* A write that fails is an error, not a short file reported as done. */
static void test_write_error(void **state)
{
	struct fixture *f = *state;
	FILE *full = fopen("/dev/full", "w");
	if (!full)
		skip();
	char *cause = NULL;
	struct export_opts o = { .format = EXPORT_JSONL };
	assert_int_equal(export_run(f->st, full, &o, NULL, &cause), -1);
	assert_non_null(strstr(cause, "write error"));
	free(cause);
	fclose(full);
}

/* The report escapes what Markdown or HTML would act on. */
/* The one progress struct: called with the stats kept current; a
 * non-zero return stops the export with PROGRESS_CANCELLED. */
struct cancel_at {
	const struct export_stats *stats;
	int calls;
	int64_t seen;
};

static int cancel_at_first(void *ctx, double done)
{
	struct cancel_at *c = ctx;
	assert_true(done < 0); /* an export does not know its total */
	/* the query's own scan reports too when it takes over 20 ms (a busy
	 * machine): what is counted here is the export's, every 4,096 rows */
	if (c->stats->events == 0)
		return 0;
	c->seen = c->stats->events;
	return ++c->calls == 1;
}

static void test_progress_cancel(void **state)
{
	struct fixture *f = *state;
	FILE *m = fopen("/dev/null", "w");
	struct export_stats s = { 0 };
	struct cancel_at c = { .stats = &s };
	struct export_opts o = { .format = EXPORT_CSV, .progress = { cancel_at_first, &c } };
	char *cause = NULL;
	assert_int_equal(export_run(f->st, m, &o, &s, &cause), -1);
	assert_string_equal(cause, PROGRESS_CANCELLED);
	assert_int_equal(c.calls, 1);
	/* called every 4,096 rows: the stats said how far it had gone */
	assert_int_equal(c.seen, 4095);
	free(cause);
	fclose(m);
}

static void test_markdown_escapes(void **state)
{
	struct fixture *f = *state;
	annotate(f->st);
	int64_t n;
	char *md = run_export(f->st, EXPORT_MARKDOWN, NULL, false, &n);
	assert_int_equal(n, NHOSTILE + 4);
	assert_non_null(strstr(md, "# Audit log report: a.case"));
	assert_non_null(strstr(md, "on 2024-03-01T10:00:00.000Z"));
	assert_null(strstr(md, "<script>"));
	assert_non_null(strstr(md, "\\<script\\>alert(1)\\</script\\>"));
	assert_non_null(strstr(md, "\\[link\\](http://x)"));
	assert_non_null(strstr(md, "\\`tick\\`"));
	assert_null(strstr(md, "\x1b"));
	assert_non_null(strstr(md, "\\u202e")); /* the bidi override made visible */
	/* a note's second line is quoted too */
	assert_non_null(strstr(md, "> first line, \"quoted\"\n> second line\n"));
	assert_non_null(strstr(md, "Note by bob \xc3\xa9 (2024-03-02T08:00:00.000Z):"));
	/* a user name as a heading is escaped text; as a value, a code span */
	assert_non_null(strstr(md, "by \\=cmd\\|' /c calc'!a0@contoso.com\n"));
	assert_non_null(strstr(md, "user `=cmd|' /c calc'!a0@contoso.com`"));
	/* every bookmarked event carries its provenance */
	assert_non_null(
		strstr(md,
		       "- record: `r-00000` (ual) from `big.json` line 2, SHA-256 `5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed`\n"));
	assert_non_null(strstr(md, "## How to reproduce"));
	assert_non_null(
		strstr(md, "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed  big.json\n"));
	free(md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neutralise),
		cmocka_unit_test_setup_teardown(test_csv_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_round_trip_probing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jsonl_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jsonl_round_trip_probing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timesketch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_and_marked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_markdown_escapes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
