/*
 * test_notes.c: notes sharing between analysts' cases: the notes file
 * carried to a case loaded in another order, a second import adding
 * nothing, a colleague's conflicting note kept beside one's own, and a bad
 * line refused with its line number, nothing kept.
 */
#include "export_util.h"

#include "notes.h"
#include "sql_util.h"

static char *notes_text(struct store *st, struct notes_stats *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char *cause = NULL;
	assert_int_equal(notes_export(st, m, "x.case", s, &cause), 0);
	fclose(m);
	return buf;
}

static int import_text(struct store *st, const char *text, struct notes_stats *s, char **cause)
{
	FILE *m = fmemopen((void *)text, strlen(text), "r");
	int rc = notes_import(st, m, "notes.jsonl", s, cause);
	fclose(m);
	return rc;
}


static void test_notes_round_trip(void **state)
{
	struct fixture *f = *state;
	annotate(f->st);
	char *cause = NULL;
	assert_int_equal(annot_view_save(f->st, "rules", "op=New-InboxRule", NULL, "ts,user", &cause), 1);
	struct notes_stats s;
	char *a = notes_text(f->st, &s);
	assert_int_equal(s.marks, NHOSTILE + 4);
	assert_int_equal(s.notes, NNOTES + 1);
	assert_int_equal(s.views, 1);
	assert_int_equal(strncmp(a, "{\"auditscope_notes\":1,\"exported\":\"2024-03-01T10:00:00.000Z\",\"by\":\"alice\"",
				 70),
			 0);

	/* a second analyst's case: the same records loaded in the other
	 * order, so every row id differs; bob has his own note on r-00002 */
	char *bpath = malloc(strlen(f->dir) + 16);
	sprintf(bpath, "%s/b.case", f->dir);
	struct store *b;
	assert_int_equal(store_open(bpath, STORE_CREATE, &b, &cause), 0);
	load(b, NBIG, true, "big.json");
	assert_true(ev_id(b, "r-00002") != ev_id(f->st, "r-00002"));
	setenv("AUDITSCOPE_AUTHOR", "bob", 1);
	setenv("AUDITSCOPE_NOW", "2024-03-05T00:00:00Z", 1);
	assert_int_equal(annot_note_set(b, ev_id(b, "r-00002"), "bob's reading of it", &cause), 1);
	assert_int_equal(annot_tag_add(b, ev_id(b, "r-00002"), "exfil", &cause), 1);
	setenv("AUDITSCOPE_AUTHOR", "alice", 1);
	setenv("AUDITSCOPE_NOW", "2024-03-01T10:00:00Z", 1);

	assert_int_equal(import_text(b, a, &s, &cause), 0);
	assert_int_equal(s.marks, NHOSTILE + 4);
	assert_int_equal(s.notes, NNOTES + 1);
	assert_int_equal(s.tags, scalar(f->st, "SELECT count(*) FROM tags") - 1); /* r-00002 exfil was there */
	assert_int_equal(s.present, 1);
	assert_int_equal(s.views, 1);
	assert_int_equal(s.absent, 0);
	/* both notes on r-00002, each attributed */
	struct annot_info *ai;
	assert_int_equal(annot_get(b, ev_id(b, "r-00002"), &ai, &cause), 0);
	assert_int_equal(ai->nnotes, 2);
	assert_string_equal(ai->notes[0].author, "alice");
	assert_string_equal(ai->notes[0].text, note_texts[2]);
	assert_string_equal(ai->notes[1].author, "bob");
	annot_info_free(ai);
	/* every one of alice's annotations is on the same record in b */
	const char *tables[] = {
		"SELECT count(*) FROM marks m WHERE NOT EXISTS (SELECT 1 FROM bc.marks x WHERE x.record_id = m.record_id"
		" AND x.kind = m.kind AND x.author = m.author AND x.created = m.created)",
		"SELECT count(*) FROM tags m WHERE NOT EXISTS (SELECT 1 FROM bc.tags x WHERE x.record_id = m.record_id"
		" AND x.kind = m.kind AND x.tag = m.tag)",
		"SELECT count(*) FROM notes m WHERE NOT EXISTS (SELECT 1 FROM bc.notes x WHERE x.record_id = m.record_id"
		" AND x.kind = m.kind AND x.author = m.author AND x.created = m.created AND x.text = m.text)",
	};
	char *attach = sqlite3_mprintf("ATTACH %Q AS bc", bpath);
	assert_int_equal(sqlite3_exec(store_db(f->st), attach, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(attach);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(scalar(f->st, tables[i]), 0);
	assert_int_equal(sqlite3_exec(store_db(f->st), "DETACH bc", NULL, NULL, NULL), SQLITE_OK);
	/* and the exports of b's timeline agree on alice's marks */
	int64_t na, nb;
	free(run_export(f->st, EXPORT_CSV, NULL, true, &na));
	free(run_export(b, EXPORT_CSV, NULL, true, &nb));
	assert_int_equal(na, nb);

	/* importing again changes nothing */
	int64_t before = scalar(b, "SELECT count(*) FROM notes") * 1000000 +
			 scalar(b, "SELECT count(*) FROM tags") * 1000 +
			 scalar(b, "SELECT count(*) FROM marks");
	assert_int_equal(import_text(b, a, &s, &cause), 0);
	assert_int_equal(s.marks + s.tags + s.notes + s.views, 0);
	assert_true(s.present > 0);
	int64_t after = scalar(b, "SELECT count(*) FROM notes") * 1000000 +
			scalar(b, "SELECT count(*) FROM tags") * 1000 + scalar(b, "SELECT count(*) FROM marks");
	assert_int_equal(before, after);

	/* and back: alice gets bob's note, and her own come back as present */
	char *bt = notes_text(b, NULL);
	assert_int_equal(import_text(f->st, bt, &s, &cause), 0);
	assert_int_equal(s.notes, 1);
	assert_int_equal(s.marks, 0);
	free(bt);
	store_close(b);
	free(bpath);
	free(a);
}

/* A bad line stops the import with its line number; nothing is kept. */
static void test_notes_import_errors(void **state)
{
	struct fixture *f = *state;
	static const char hdr[] = "{\"auditscope_notes\":1,\"exported\":\"x\",\"by\":\"a\",\"case\":\"c\"}\n";
	static const char ok[] =
		"{\"type\":\"mark\",\"record_id\":\"r-00005\",\"kind\":\"ual\",\"author\":\"z\",\"created\":\"t\"}\n";
	struct {
		const char *body, *why;
	} cases[] = {
		{ "not json\n", "notes.jsonl:3: not JSON" },
		{ "[1]\n", "notes.jsonl:3: expected a JSON object" },
		{ "{\"type\":\"mark\",\"record_id\":\"r\",\"kind\":\"ual\",\"author\":\"z\"}\n",
		  "notes.jsonl:3: expected a non-empty string for created" },
		{ "{\"type\":\"mark\",\"record_id\":\"r\",\"kind\":\"evtx\",\"author\":\"z\",\"created\":\"t\"}\n",
		  "notes.jsonl:3: kind must be" },
		{ "{\"type\":\"tag\",\"record_id\":\"r\",\"kind\":\"ual\",\"author\":\"z\",\"created\":\"t\",\"tag\":\"a,b\"}\n",
		  "notes.jsonl:3: tag:" },
		{ "{\"type\":\"note\",\"record_id\":\"r\",\"kind\":0,\"author\":\"z\",\"created\":\"t\",\"text\":\"a\\u0000b\"}\n",
		  "notes.jsonl:3: not JSON" },
		{ "{\"type\":\"bogus\",\"record_id\":\"r\",\"kind\":0,\"author\":\"z\",\"created\":\"t\"}\n",
		  "notes.jsonl:3: unknown type bogus" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[1024];
		snprintf(text, sizeof text, "%s%s%s", hdr, ok, cases[i].body);
		char *cause = NULL;
		struct notes_stats s;
		assert_int_equal(import_text(f->st, text, &s, &cause), -1);
		if (!strstr(cause, cases[i].why))
			fail_msg("case %zu: '%s' does not say '%s'", i, cause, cases[i].why);
		free(cause);
		assert_int_equal(scalar(f->st, "SELECT count(*) FROM marks"), 0); /* line 2 rolled back */
	}
	char *cause = NULL;
	struct notes_stats s;
	assert_int_equal(import_text(f->st, ok, &s, &cause), -1); /* no header */
	assert_non_null(strstr(cause, "not an auditscope notes file"));
	free(cause);
	cause = NULL;
	assert_int_equal(import_text(f->st, "", &s, &cause), -1);
	free(cause);
	cause = NULL;
	/* the good file imports; a record this case lacks is kept and counted */
	char text[1024];
	snprintf(text, sizeof text, "%s%s%s", hdr, ok,
		 "{\"type\":\"note\",\"record_id\":\"nowhere\",\"kind\":\"signin\",\"author\":\"z\",\"created\":\"t\",\"text\":\"later\"}\r\n");
	assert_int_equal(import_text(f->st, text, &s, &cause), 0);
	assert_int_equal(s.marks, 1);
	assert_int_equal(s.notes, 1);
	assert_int_equal(s.absent, 1);
	assert_int_equal(scalar(f->st, "SELECT count(*) FROM notes WHERE record_id = 'nowhere' AND kind = 1"),
			 1);
	/* inside a caller's transaction the import is a savepoint: it goes
	 * with the caller's rollback */
	snprintf(text, sizeof text, "%s%s", hdr,
		 "{\"type\":\"tag\",\"record_id\":\"r-00009\",\"kind\":\"ual\",\"author\":\"z\",\"created\":\"t\",\"tag\":\"x\"}\n");
	assert_int_equal(sqlite3_exec(store_db(f->st), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(import_text(f->st, text, &s, &cause), 0);
	assert_int_equal(s.tags, 1);
	assert_int_equal(scalar(f->st, "SELECT count(*) FROM tags"), 1);
	assert_int_equal(sqlite3_exec(store_db(f->st), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(scalar(f->st, "SELECT count(*) FROM tags"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notes_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notes_import_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
