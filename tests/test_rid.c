/*
 * test_rid.c: record ids as the case keeps them (core/sqlite/rid.c,
 * schema 8): a canonical GUID as a byte 1 and its 16 bytes, any other id
 * as text (escaped when it begins with byte 1 or 2, as hostile input
 * can); deduplication exactly as on the text (capitals and braces are
 * other ids, as before, and no text id takes a GUID's stored form);
 * every reader gives the text back; an older case's ids and annotations
 * (schema 6: text; 7: GUIDs as blobs) are converted on its first
 * writable open, and its bookmarks still find their events.
 */
#include "testutil.h"

#include "annot.h"
#include "query.h"
#include "store.h"
#include "sqlite/sqlite_store.h"
#include "sql_util.h"
#include "sqlite/load_impl.h"

static const char *const ids[] = {
	"0a1b2c3d-4e5f-6789-abcd-ef0123456789",   /* canonical: a key */
	"0A1B2C3D-4E5F-6789-ABCD-EF0123456789",   /* capitals: text, another id */
	"{0a1b2c3d-4e5f-6789-abcd-ef0123456789}", /* braces: text, another id */
	"0a1b2c3d4e5f6789abcdef0123456789",       /* no dashes: text */
	"0a1b2c3d-4e5f-6789-abcd-ef012345678g",   /* not hex: text */
	"Directory_18fb9e12-7cbc-453a-b759-21c82fbbfea4_8VZCX_963421808",
	"ffffffff-0000-1111-2222-333333333333",
	/* the stored form of ids[0], as a text id read from a log */
	"\x01\x0a\x1b\x2c\x3d\x4e\x5f\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89",
	"\002escaped", /* octal: "\x02e" would read the e as a hex digit */
};
#define NPLAIN 7 /* the ids a filter can name in quotes */
#define NIDS (sizeof ids / sizeof ids[0])


/* Load the ids (each twice in the same source) as source name; its
 * counts into *c. */
/* A load begun on st with its source name started: its sink in sk */
static struct store_load *begin_source(struct store *st, const char *name, struct sink *sk)
{
	char *cause = NULL;
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	assert_int_equal(store_load_source(ld, name, 10, &cause), 0);
	store_load_sink(ld, sk);
	return ld;
}

/* Its events written: the load's counts in c, its source and itself
 * ended */
static void end_load(struct store_load *ld, struct store_counts *c)
{
	char *cause = NULL;
	assert_int_equal(store_load_sync(ld, &cause), 0);
	store_load_counts(ld, c);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_null(cause);
}

static void load_ids(struct store *st, const char *name, struct store_counts *c)
{
	char *cause = NULL;
	struct sink sk;
	struct store_load *ld = begin_source(st, name, &sk);
	for (size_t r = 0; r < 2; r++)
		for (size_t i = 0; i < NIDS; i++) {
			struct event ev;
			memset(&ev, 0, sizeof ev);
			char raw[160];
			snprintf(raw, sizeof raw, "{\"Id\":\"%s\",\"Operation\":\"UserLoggedIn\"}", ids[i]);
			ev.ts = 1686909600000LL + (int64_t)i * 1000;
			ev.record_id = (struct sv){ ids[i], strlen(ids[i]) };
			ev.op = (struct sv){ "UserLoggedIn", 12 };
			ev.user = (struct sv){ "alice@contoso.com", 17 };
			ev.raw = (struct sv){ raw, strlen(raw) };
			ev.line = r * NIDS + i + 2;
			assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
		}
	end_load(ld, c);
}

struct rids {
	char *v[16];
	size_t n;
};

static int collect(const struct query_row *r, void *ctx)
{
	struct rids *x = ctx;
	if (x->n < 16)
		x->v[x->n++] = strdup(r->record_id);
	return 0;
}

/* The record ids filter matches, in time order, as text. */
static size_t query_rids(struct store *st, const char *filter, struct rids *out)
{
	struct query *q;
	char *cause = NULL;
	memset(out, 0, sizeof *out);
	assert_int_equal(query_new(st, filter, &q, &cause), 0);
	assert_int_equal(query_each(q, false, -1, collect, out, &cause), 0);
	query_free(q);
	return out->n;
}

static void rids_free(struct rids *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->v[i]);
}

static void test_key_form(void **state)
{
	(void)state;
	unsigned char k[SQLITE_RID_KEY];
	char t[36];
	char stored[SQLITE_RID_STORED];
	assert_true(sqlite_rid_guid(ids[0], strlen(ids[0]), k));
	assert_int_equal(k[0], 0x0a);
	assert_int_equal(k[15], 0x89);
	sqlite_rid_text(k, t);
	assert_memory_equal(t, ids[0], 36);
	assert_int_equal(sqlite_rid_store(ids[0], strlen(ids[0]), stored), SQLITE_RID_STORED);
	assert_memory_equal(stored, ids[7], SQLITE_RID_STORED);
	for (size_t i = 1; i < NIDS; i++)
		if (i != 6)
			assert_false(sqlite_rid_guid(ids[i], strlen(ids[i]), k));
	assert_false(sqlite_rid_guid("", 0, k));
}

/* The canonical form read a digit pair at a time, as rid.c did before it
 * read eight digits in a word. */
static bool guid_ref(const char *p, size_t n, unsigned char key[SQLITE_RID_KEY])
{
	static const char hex[] = "0123456789abcdef";
	if (n != 36 || p[8] != '-' || p[13] != '-' || p[18] != '-' || p[23] != '-')
		return false;
	size_t k = 0;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			continue;
		const char *d = p[i] ? strchr(hex, p[i]) : NULL;
		if (!d)
			return false;
		key[k / 2] = (unsigned char)(k % 2 ? key[k / 2] | (d - hex) : (d - hex) << 4);
		k++;
	}
	return true;
}

/* Every byte value at every place of a GUID (and a few GUIDs of every
 * digit): read as the reference reads it, accepted exactly when it does
 * (capitals, the bytes around the digits' ranges and bytes from 0x80
 * are not digits). */
static void test_key_form_every_byte(void **state)
{
	(void)state;
	char g[37] = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
	unsigned char k[SQLITE_RID_KEY], r[SQLITE_RID_KEY];
	for (size_t i = 0; i < 36; i++) {
		char keep = g[i];
		for (int c = 0; c < 256; c++) {
			g[i] = (char)c;
			bool want = guid_ref(g, 36, r);
			assert_int_equal(sqlite_rid_guid(g, 36, k), want);
			if (want)
				assert_memory_equal(k, r, SQLITE_RID_KEY);
		}
		g[i] = keep;
	}
	for (int d = 0; d < 16; d++) {
		for (size_t i = 0; i < 36; i++)
			if (i != 8 && i != 13 && i != 18 && i != 23)
				g[i] = "0123456789abcdef"[(d + i) % 16];
		assert_true(guid_ref(g, 36, r));
		assert_true(sqlite_rid_guid(g, 36, k));
		assert_memory_equal(k, r, SQLITE_RID_KEY);
	}
}

/* sql's first column is exactly keys[0 .. n), in that order. */
static void expect_keys(sqlite3 *db, const char *sql, const int64_t *keys, size_t n)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	size_t i = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		assert_true(i < n);
		assert_true(sqlite3_column_int64(q, 0) == keys[i]);
		i++;
	}
	sqlite3_finalize(q);
	assert_int_equal(i, n);
}

/* A new case NAME in a new temporary folder (*dir), its path in path. */
static struct store *case_new(const char *name, char **dir, char *path, size_t size)
{
	char *cause = NULL;
	struct store *st;
	*dir = tmpdir_new();
	snprintf(path, size, "%s/%s", *dir, name);
	if (store_open(path, STORE_CREATE, &st, &cause) < 0)
		fail_msg("%s: %s", path, cause);
	return st;
}

static void test_keys_dedup_and_read_back(void **state)
{
	(void)state;
	char *dir, path[512], *cause = NULL;
	struct store *st = case_new("r.case", &dir, path, sizeof path);
	struct store_counts c;
	load_ids(st, "a.json", &c);
	/* each id once, the repeats in the same source duplicates */
	assert_int_equal(c.events, NIDS);
	assert_int_equal(c.duplicates, NIDS);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE substr(record_id, 1, 1) = char(1)"), 2);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE length(CAST(record_id AS BLOB)) = 17"),
			 2);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE substr(record_id, 1, 1) = char(2)"), 2);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE record_id <> rid_text(record_id)"), 4);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE typeof(record_id) <> 'text'"), 0);
	/* another source: every record a duplicate (through the seeded table) */
	load_ids(st, "b.json", &c);
	assert_int_equal(c.events, 0);
	assert_int_equal(c.duplicates, 2 * NIDS);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events"), NIDS);
	assert_int_equal(scalar(st, "SELECT count(*) FROM seen"), 2 * NIDS); /* each copy read again */
	/* each value once, its text in the table alone (no index: vidx
	 * holds its hash and id), found in any case */
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals"), 2);
	assert_int_equal(scalar(st,
				"SELECT count(*) FROM sqlite_master WHERE tbl_name = 'vals' AND type = 'index'"),
			 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_ids"), 2);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals WHERE h <> val_hash(upper(v))"), 0);
	struct rids v;
	assert_int_equal(query_rids(st, "user=ALICE@CONTOSO.COM op=userloggedin", &v), NIDS);
	rids_free(&v);
	assert_int_equal(query_rids(st, "op=UserLoggedInX", &v), 0);
	/* read back as text, each as it was read */
	struct rids r;
	assert_int_equal(query_rids(st, "", &r), NIDS);
	for (size_t i = 0; i < NIDS; i++)
		assert_string_equal(r.v[i], ids[i]);
	rids_free(&r);
	/* found by its text */
	char filter[128];
	for (size_t i = 0; i < NPLAIN; i++) {
		snprintf(filter, sizeof filter, "record_id=\"%s\"", ids[i]);
		assert_int_equal(query_rids(st, filter, &r), 1);
		assert_string_equal(r.v[0], ids[i]);
		rids_free(&r);
	}
	/* bookmarks and tags by event, found by key and as text */
	int64_t guid_ev =
		scalar(st,
		       "SELECT id FROM events WHERE record_id = rid_key('0a1b2c3d-4e5f-6789-abcd-ef0123456789')");
	int64_t caps_ev =
		scalar(st, "SELECT id FROM events WHERE record_id = '0A1B2C3D-4E5F-6789-ABCD-EF0123456789'");
	assert_true(guid_ev > 0 && caps_ev > 0 && guid_ev != caps_ev);
	assert_true(annot_mark(st, guid_ev, true, &cause) >= 0);
	assert_true(annot_tag_add(st, caps_ev, "x", &cause) >= 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM marks WHERE substr(record_id, 1, 1) = char(1)"), 1);
	assert_int_equal(query_rids(st, "marked", &r), 1);
	assert_string_equal(r.v[0], ids[0]);
	rids_free(&r);
	assert_int_equal(query_rids(st, "tag=x", &r), 1);
	assert_string_equal(r.v[0], ids[1]);
	rids_free(&r);
	struct annot_info *ai = NULL;
	assert_int_equal(annot_get_key(st, ids[0], 0, &ai, &cause), 0);
	assert_true(ai->marked);
	annot_info_free(ai);
	assert_int_equal(annot_is_marked(st, guid_ev, &cause), 1);
	assert_int_equal(annot_is_marked(st, caps_ev, &cause), 0);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* The kept filter's bits all cleared, its header (40 bytes) left. */
static void filter_clear(struct store *st)
{
	assert_int_equal(scalar(st, "SELECT length(value) FROM meta WHERE key = 'ridx_filter'"), 40);
	assert_true(scalar(st, "SELECT count(*) FROM meta WHERE key > 'ridx_filter.' AND key < 'ridx_filter/'") >
		    0);
	assert_int_equal(sqlite3_exec(store_db(st),
				      "UPDATE meta SET value = zeroblob(length(value))"
				      " WHERE key > 'ridx_filter.' AND key < 'ridx_filter/'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
}

/* A load's end keeps its filter with the case, and the next load's seed
 * takes it (not made again from every key of the case) while it fits
 * the case: one whose header names an event past the case's highest (a
 * filter of another case) is passed by. The cleared bits show which
 * filter the seed took: with them every record reads as new. */
static void test_kept_filter(void **state)
{
	(void)state;
	char *dir, path[512];
	struct store_counts c;
	for (int stale = 0; stale < 2; stale++) {
		struct store *st = case_new("f.case", &dir, path, sizeof path);
		load_ids(st, "a.json", &c);
		assert_int_equal(c.events, NIDS);
		filter_clear(st);
		if (stale) /* its highest event 2^40 */
			assert_int_equal(sqlite3_exec(store_db(st),
						      "UPDATE meta SET value = substr(value, 1, 8) ||"
						      " x'0000000000010000' || substr(value, 17)"
						      " WHERE key = 'ridx_filter'",
						      NULL, NULL, NULL),
					 SQLITE_OK);
		load_ids(st, "b.json", &c);
		assert_int_equal(c.events, stale ? 0 : NIDS);
		assert_int_equal(c.duplicates, stale ? 2 * NIDS : NIDS);
		/* and b's end kept a filter of both loads' keys */
		load_ids(st, "c.json", &c);
		assert_int_equal(c.events, 0);
		assert_int_equal(c.duplicates, 2 * NIDS);
		store_close(st);
		tmpdir_remove(dir);
		free(dir);
	}
}

/* n events whose record ids are id-0 .. id-(n-1), as source name. */
static void load_n(struct store *st, const char *name, size_t n, struct store_counts *c)
{
	char *cause = NULL;
	struct sink sk;
	struct store_load *ld = begin_source(st, name, &sk);
	for (size_t i = 0; i < n; i++) {
		struct event ev;
		memset(&ev, 0, sizeof ev);
		char rid[32], raw[96];
		snprintf(rid, sizeof rid, "id-%zu", i);
		snprintf(raw, sizeof raw, "{\"Id\":\"%s\"}", rid);
		ev.ts = 1686909600000LL + (int64_t)i;
		ev.record_id = (struct sv){ rid, strlen(rid) };
		ev.raw = (struct sv){ raw, strlen(raw) };
		ev.line = i + 2;
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	end_load(ld, c);
}

/* A filter of more than one row (64 KB each): read back whole and in
 * order (every record of a second load a duplicate), and taken (its
 * second row cleared, some records read as new). */
static void test_kept_filter_rows(void **state)
{
	(void)state;
	char *dir, path[512];
	struct store_counts c;
	enum { N = 50000 };
	struct store *st = case_new("g.case", &dir, path, sizeof path);
	load_n(st, "a.json", N, &c);
	assert_int_equal(c.events, N);
	assert_true(scalar(st, "SELECT count(*) FROM meta WHERE key > 'ridx_filter.' AND key < 'ridx_filter/'") >=
		    2);
	load_n(st, "b.json", N, &c);
	assert_int_equal(c.events, 0);
	assert_int_equal(c.duplicates, N);
	assert_int_equal(sqlite3_exec(store_db(st),
				      "UPDATE meta SET value = zeroblob(length(value)) WHERE key = 'ridx_filter.0001'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	load_n(st, "c.json", N, &c);
	assert_true(c.events > 0 && c.events < N);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* The highest event id whose key the kept filter holds (its header's
 * second word, little-endian). */
static int64_t filter_id(struct store *st)
{
	sqlite3_stmt *q;
	int64_t id = -1;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT value FROM meta WHERE key = 'ridx_filter'",
					    -1, &q, NULL),
			 SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == 40) {
		const unsigned char *p = sqlite3_column_blob(q, 0);
		id = 0;
		for (int i = 7; i >= 0; i--)
			id = id << 8 | p[8 + i];
	}
	sqlite3_finalize(q);
	return id;
}

/* An append that adds few keys leaves the kept filter as it was (its
 * header's id the load's before), and the next load's seed adds the
 * keys it lacks from ridx: with every bit of it cleared, the first
 * load's records read as new and the append's as duplicates. Once the
 * keys it lacks are more than a quarter, the end writes it again. */
static void test_kept_filter_late(void **state)
{
	(void)state;
	char *dir, path[512];
	struct store_counts c;
	enum { N = 50000, MORE = 1000 };
	struct store *st = case_new("h.case", &dir, path, sizeof path);
	load_n(st, "a.json", N, &c);
	assert_int_equal(filter_id(st), N);
	load_n(st, "b.json", N + MORE, &c);
	assert_int_equal(c.events, MORE);
	assert_int_equal(c.duplicates, N);
	assert_int_equal(filter_id(st), N);
	assert_int_equal(sqlite3_exec(store_db(st),
				      "UPDATE meta SET value = zeroblob(length(value))"
				      " WHERE key > 'ridx_filter.' AND key < 'ridx_filter/'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	load_n(st, "c.json", N + MORE, &c);
	assert_int_equal(c.events, N);
	assert_int_equal(c.duplicates, MORE);
	assert_int_equal(filter_id(st), 2 * N + MORE);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* What schemas 6 and 7 wrote, from this version's case: record ids as
 * text (7: GUIDs as blobs), the values' text unique and indexed without
 * regard to case. */
#define OLD_VALS                                                              \
	"CREATE TABLE vals7(id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE);" \
	"INSERT INTO vals7 SELECT id, v FROM vals; DROP TABLE vals;"          \
	"ALTER TABLE vals7 RENAME TO vals;"                                   \
	"CREATE INDEX vals_nocase ON vals(v COLLATE NOCASE);"
/* vals_h in place of vidx (schema 8 to 14) */
#define VALS_H "DROP TABLE vidx; CREATE INDEX vals_h ON vals(h);"
static const char *const back_to[] = {
	[6] = "DROP TABLE ridx; DROP TABLE vidx;"
	      "UPDATE events SET record_id = rid_text(record_id);"
	      "UPDATE marks SET record_id = rid_text(record_id);"
	      "UPDATE notes SET record_id = rid_text(record_id);"
	      "CREATE UNIQUE INDEX ev_rid ON events(record_id, kind);" OLD_VALS "PRAGMA user_version = 6;",
	/* 7: a GUID as its 16 bytes, a blob; no escapes */
	[7] = "DROP TABLE ridx; DROP TABLE vidx;"
	      "UPDATE events SET record_id = CASE substr(record_id, 1, 1) WHEN char(1)"
	      " THEN substr(CAST(record_id AS BLOB), 2) ELSE rid_text(record_id) END;"
	      "UPDATE marks SET record_id = substr(CAST(record_id AS BLOB), 2);"
	      "UPDATE notes SET record_id = substr(CAST(record_id AS BLOB), 2);"
	      "CREATE UNIQUE INDEX ev_rid ON events(record_id, kind);" OLD_VALS "PRAGMA user_version = 7;",
	/* 12: ridx a key a row */
	[12] = "CREATE TABLE ridx12(k INTEGER PRIMARY KEY); INSERT INTO ridx12 SELECT k FROM ridx_ids;"
	       "DROP TABLE ridx; ALTER TABLE ridx12 RENAME TO ridx;" VALS_H "PRAGMA user_version = 12;",
	/* 13: ridx's blocks without runs (one load's: one run) */
	[13] = "CREATE TABLE ridx13(k INTEGER PRIMARY KEY, keys BLOB NOT NULL);"
	       "INSERT INTO ridx13 SELECT k, keys FROM ridx;"
	       "DROP TABLE ridx; ALTER TABLE ridx13 RENAME TO ridx;" VALS_H "PRAGMA user_version = 13;",
	/* 14: the values found through vals_h */
	[14] = VALS_H "PRAGMA user_version = 14;",
};

/* What an open told of the schema (store_schema_fn). */
struct told {
	int calls, from, to;
	bool converting;
};

static void note_schema(void *ctx, const char *path, int from, int to, bool converting)
{
	struct told *t = ctx;
	assert_non_null(strstr(path, "o.case"));
	t->calls++;
	t->from = from;
	t->to = to;
	t->converting = converting;
}

/* A case of an older schema opened by this version: read as it is when
 * read-only or kept (STORE_KEEP_SCHEMA: read-only, the caller told);
 * converted when writable, the caller told first, its bookmark and note
 * still on their event, a second load of the same records all
 * duplicates. */
static void old_case(int schema)
{
	char *dir, path[512], *cause = NULL;
	struct store *st = case_new("o.case", &dir, path, sizeof path);
	struct store_counts c;
	load_ids(st, "a.json", &c);
	int64_t guid_ev =
		scalar(st,
		       "SELECT id FROM events WHERE record_id = rid_key('0a1b2c3d-4e5f-6789-abcd-ef0123456789')");
	assert_true(annot_mark(st, guid_ev, true, &cause) >= 0);
	assert_true(annot_note_set(st, guid_ev, "seen it", &cause) >= 0);
	assert_int_equal(sqlite3_exec(store_db(st), back_to[schema], NULL, NULL, NULL), SQLITE_OK);
	/* and the pivot indexes such a case had */
	assert_int_equal(sqlite3_exec(store_db(st),
				      "CREATE INDEX ev_user ON events(user, ts) WHERE user IS NOT NULL;"
				      "CREATE INDEX ev_op ON events(op, ts)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE typeof(record_id) = 'blob'"),
			 schema == 7 ? 2 : 0);
	store_close(st);
	/* read-only: read as it is */
	assert_int_equal(store_open(path, STORE_READONLY, &st, &cause), 0);
	struct rids r;
	assert_int_equal(query_rids(st, "marked", &r), 1);
	assert_string_equal(r.v[0], ids[0]);
	rids_free(&r);
	assert_int_equal(query_rids(st, "", &r), NIDS);
	for (size_t i = 0; i < NIDS; i++)
		assert_string_equal(r.v[i], ids[i]);
	rids_free(&r);
	assert_int_equal(scalar(st, "PRAGMA user_version"), schema);
	assert_int_equal(query_rids(st, "user=ALICE@contoso.com op=userloggedin", &r), NIDS);
	rids_free(&r);
	store_close(st);
	/* kept: read-only, said */
	struct told t = { 0 };
	assert_int_equal(store_open_cb(path, STORE_KEEP_SCHEMA, note_schema, &t, &st, &cause), 0);
	assert_true(sqlite_store_readonly(st));
	assert_int_equal(query_rids(st, "marked", &r), 1);
	assert_string_equal(r.v[0], ids[0]);
	rids_free(&r);
	store_close(st);
	assert_int_equal(t.calls, 1);
	assert_int_equal(t.from, schema);
	assert_int_equal(t.to, 17);
	assert_false(t.converting);
	/* writable: converted, said first */
	t = (struct told){ 0 };
	assert_int_equal(store_open_cb(path, 0, note_schema, &t, &st, &cause), 0);
	assert_int_equal(t.calls, 1);
	assert_int_equal(t.from, schema);
	assert_true(t.converting);
	assert_false(sqlite_store_readonly(st));
	assert_int_equal(scalar(st, "PRAGMA user_version"), 17);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE substr(record_id, 1, 1) = char(1)"), 2);
	assert_int_equal(scalar(st, "SELECT count(*) FROM events WHERE typeof(record_id) <> 'text'"), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM marks WHERE substr(record_id, 1, 1) = char(1)"), 1);
	assert_int_equal(scalar(st, "SELECT count(*) FROM notes WHERE substr(record_id, 1, 1) = char(1)"), 1);
	/* the record ids' table in place of their index (schema 12) */
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name = 'ev_rid'"), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx_ids"),
			 scalar(st, "SELECT count(*) FROM events"));
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx_ids r JOIN events e ON e.id = r.id"
				    " WHERE r.k = rid_k(e.record_id, e.id)"),
			 scalar(st, "SELECT count(*) FROM events"));
	/* in blocks (schema 13), the old table gone */
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx WHERE typeof(keys) <> 'blob'"), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name = 'ridx12'"), 0);
	/* the posting lists replace them */
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name IN ('ev_user', 'ev_op')"),
			 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM pivots WHERE col = 0"), 1);
	assert_int_equal(scalar(st,
				"SELECT count(*) FROM sqlite_master WHERE name IN ('vals_h', 'vals_nocase')"),
			 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals WHERE h <> val_hash(v)"), 0);
	/* the values' keys in vidx (schema 15), each value found by its hash */
	assert_int_equal(scalar(st, "SELECT count(*) FROM vidx_ids"), scalar(st, "SELECT count(*) FROM vals"));
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals v WHERE v.id IN (SELECT id FROM vidx_ids(v.h))"),
			 scalar(st, "SELECT count(*) FROM vals"));
	assert_int_equal(query_rids(st, "user=ALICE@contoso.com op=userloggedin", &r), NIDS);
	rids_free(&r);
	assert_int_equal(query_rids(st, "marked", &r), 1);
	assert_string_equal(r.v[0], ids[0]);
	rids_free(&r);
	assert_int_equal(query_rids(st, "", &r), NIDS);
	for (size_t i = 0; i < NIDS; i++)
		assert_string_equal(r.v[i], ids[i]);
	rids_free(&r);
	struct annot_info *ai = NULL;
	assert_int_equal(annot_get_key(st, ids[0], 0, &ai, &cause), 0);
	assert_true(ai->marked);
	assert_int_equal(ai->nnotes, 1);
	annot_info_free(ai);
	int64_t nvals = scalar(st, "SELECT count(*) FROM vals");
	load_ids(st, "b.json", &c);
	assert_int_equal(c.events, 0);
	assert_int_equal(c.duplicates, 2 * NIDS);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals"), nvals);
	store_close(st);
	/* a current case: nothing to tell, kept or not */
	t = (struct told){ 0 };
	assert_int_equal(store_open_cb(path, STORE_KEEP_SCHEMA, note_schema, &t, &st, &cause), 0);
	assert_false(sqlite_store_readonly(st));
	store_close(st);
	assert_int_equal(store_open_cb(path, 0, note_schema, &t, &st, &cause), 0);
	store_close(st);
	assert_int_equal(t.calls, 0);
	tmpdir_remove(dir);
	free(dir);
}

/* ridx's blocks (ridx.c) against a plain sorted set: keys merged in
 * rounds (a fresh load's, an append's into the blocks, a few here and
 * there, the replaced taken out), every block kept within a page and in
 * order, and a record id's events found across a block's end. */
static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The keys the load's seed reads (sqlite_ridx_r_take, a few at a time
 * across the blocks' ends) are all[0 .. n), in order. */
static void expect_taken(sqlite3 *db, const int64_t *all, size_t n)
{
	struct sqlite_ridx_r *rd = sqlite_ridx_r_new(db);
	int64_t got[7];
	size_t i = 0, m;
	while ((m = sqlite_ridx_r_take(rd, got, 7)) > 0) {
		assert_true(i + m <= n);
		assert_memory_equal(got, all + i, m * sizeof *got);
		i += m;
	}
	assert_int_equal(sqlite_ridx_r_free(rd), SQLITE_OK);
	assert_int_equal(i, n);
}

static void test_ridx_blocks(void **state)
{
	(void)state;
	char *dir, path[512];
	struct store *st = case_new("b.case", &dir, path, sizeof path);
	sqlite3 *db = store_db(st);
	enum { MAXN = 40000 };
	int64_t *all = calloc(MAXN, sizeof *all), *round = calloc(MAXN, sizeof *round);
	size_t nall = 0;
	uint64_t x = 88172645463325252ULL;
	/* one record id with 3000 events: its keys span blocks */
	const char *rid = "many";
	int64_t lo = sqlite_ridx_lo(sqlite_rid_fp(rid, strlen(rid)));
	static const size_t sizes[] = { 10000, 6000, 3, 1, 12000 };
	for (size_t r = 0; r < sizeof sizes / sizeof *sizes; r++) {
		size_t n = 0;
		for (size_t i = 0; i < sizes[r]; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			round[n++] = (int64_t)x | 1; /* (an event id is not 0) */
		}
		if (r == 1)
			for (int64_t id = 1; id <= 3000; id++)
				round[n++] = lo | id;
		qsort(round, n, sizeof *round, cmp64);
		assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
		struct sqlite_ridx_w *w = sqlite_ridx_w_new(db, 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(sqlite_ridx_w_put(w, round[i]), SQLITE_OK);
		assert_int_equal(sqlite_ridx_w_free(w), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
		memcpy(all + nall, round, n * sizeof *round);
		nall += n;
	}
	qsort(all, nall, sizeof *all, cmp64);
	/* every other key of the first 5000 out, and one not there */
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	struct sqlite_ridx_w *w = sqlite_ridx_w_new(db, 0);
	size_t kept = 0;
	for (size_t i = 0; i < nall; i++) {
		if (i < 5000 && i % 2 == 0) {
			assert_int_equal(sqlite_ridx_w_del(w, all[i]), SQLITE_OK);
			continue;
		}
		if (i == 5000)
			assert_int_equal(sqlite_ridx_w_del(w, all[i] - 1), SQLITE_OK);
		all[kept++] = all[i];
	}
	assert_int_equal(sqlite_ridx_w_free(w), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	nall = kept;
	/* the same keys, in order; for the seed too (one run) */
	expect_keys(db, "SELECT k FROM ridx_ids", all, nall);
	expect_taken(db, all, nall);
	/* blocks: keyed by their first key, within a page, not overlapping */
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx WHERE length(keys) > 16000 OR length(keys) = 0"
				    " OR length(keys) % 8"),
			 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx WHERE k <> (SELECT k FROM ridx_ids r"
				    " WHERE r.k >= ridx.k ORDER BY r.k LIMIT 1)"),
			 0);
	assert_true(scalar(st, "SELECT count(*) FROM ridx") >= (int64_t)(nall / 2000));
	/* the record id's events, across blocks */
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(*), min(id), max(id) FROM ridx_ids('%s')", rid);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), 3000);
	assert_int_equal(sqlite3_column_int64(q, 1), 1);
	assert_int_equal(sqlite3_column_int64(q, 2), 3000);
	sqlite3_finalize(q);
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx_ids('none such')"), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx_ids(NULL)"), 0);
	free(all);
	free(round);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* Keys in a new run of ridx, then the runs settled (what a load's end
 * does), in one transaction. */
static void put_run(sqlite3 *db, const int64_t *k, size_t n)
{
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	struct sqlite_ridx_w *w = sqlite_ridx_w_new(db, sqlite_ridx_new_run(db));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sqlite_ridx_w_put(w, k[i]), SQLITE_OK);
	assert_int_equal(sqlite_ridx_w_free(w), SQLITE_OK);
	assert_int_equal(sqlite_ridx_settle(db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
}

/* ridx's runs (schema 14): an append's keys a run of their own, the
 * newest runs merged while the one before holds at most twice theirs and
 * while there are more than eight; keys found whichever run holds them
 * (a record id's across runs and blocks), taken out of whichever run
 * holds them, the blocks of every run within a page and not overlapping
 * within their run. */
/* (with_index: the runs read from ridx_run, as a case made since it
 * was added; without: from the blocks themselves, as an older one) */
static void ridx_runs(bool with_index)
{
	char *dir, path[512];
	struct store *st = case_new("r.case", &dir, path, sizeof path);
	sqlite3 *db = store_db(st);
	assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name = 'ridx_run'"), 1);
	if (!with_index)
		assert_int_equal(sqlite3_exec(db, "DROP INDEX ridx_run", NULL, NULL, NULL), SQLITE_OK);
	enum { MAXN = 60000 };
	int64_t *all = calloc(MAXN, sizeof *all), *round = calloc(MAXN, sizeof *round);
	size_t nall = 0;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	const char *rid = "many";
	int64_t lo = sqlite_ridx_lo(sqlite_rid_fp(rid, strlen(rid)));
	int64_t id = 0; /* event ids, as loads give them: each once */
	/* a case of 20000 events, then appends of 3000 (a run: 20000 >
	 * 2 x 3000), 1000 (another), 2500 (1000 <= 5000: merged, then
	 * 3000 <= 7000: merged again), then fewer and fewer, each less than
	 * half the one before (runs of their own), until past eight runs
	 * the newest are merged whatever their sizes */
	static const size_t sizes[] = { 20000, 3000, 1000, 2500, 2000, 600, 190, 60, 19, 6, 2, 1, 1 };
	static const int64_t runs_after[] = { 1, 2, 3, 2, 3, 4, 5, 6, 7, 8, 8, 8, 7 };
	for (size_t r = 0; r < sizeof sizes / sizeof *sizes; r++) {
		size_t n = 0;
		for (size_t i = 0; i < sizes[r]; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			round[n++] = (int64_t)(x & ~(uint64_t)UINT32_MAX) | ++id;
		}
		/* the record id's events in three loads */
		for (int j = 0; j < 100 && r < 3; j++)
			round[n++] = lo | ++id;
		qsort(round, n, sizeof *round, cmp64);
		put_run(db, round, n);
		memcpy(all + nall, round, n * sizeof *round);
		nall += n;
		assert_int_equal(scalar(st, "SELECT count(DISTINCT run) FROM ridx"), runs_after[r]);
		assert_int_equal(scalar(st, "SELECT count(*) FROM ridx_ids"), (int64_t)nall);
	}
	qsort(all, nall, sizeof *all, cmp64);
	/* keys out of whichever run holds them: every third of the record
	 * id's (in three runs), a few others, and one not there */
	int64_t del[200];
	size_t ndel = 0, kept = 0, gone_many = 0;
	for (size_t i = 0; i < nall; i++) {
		bool many = (all[i] & ~(int64_t)UINT32_MAX) == lo;
		if ((many && i % 3 == 0) || (!many && i % 1000 == 7)) {
			del[ndel++] = all[i];
			gone_many += many;
			continue;
		}
		all[kept++] = all[i];
	}
	assert_true(ndel < sizeof del / sizeof *del);
	del[ndel++] = all[kept / 2] + 1; /* (the next event id: not with those 32 bits) */
	qsort(del, ndel, sizeof *del, cmp64);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite_ridx_del(db, del, ndel), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	nall = kept;
	/* the same keys */
	expect_keys(db, "SELECT k FROM ridx_ids ORDER BY k", all, nall);
	/* and in order for the load's seed, across the runs */
	struct sqlite_ridx_r *rd = sqlite_ridx_r_new(db);
	int64_t k;
	size_t i;
	for (i = 0; sqlite_ridx_r_next(rd, &k); i++)
		assert_true(i < nall && k == all[i]);
	assert_int_equal(sqlite_ridx_r_free(rd), SQLITE_OK);
	assert_int_equal(i, nall);
	expect_taken(db, all, nall);
	/* blocks within a page, not overlapping within their run */
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx WHERE length(keys) > 16000 OR length(keys) = 0"
				    " OR length(keys) % 8"),
			 0);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT keys, run, k FROM ridx ORDER BY run, k", -1, &q, NULL),
			 SQLITE_OK);
	int64_t prev_run = -1, prev_last = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(q, 0);
		int n = sqlite3_column_bytes(q, 0) / 8;
		int64_t first, last;
		memcpy(&first, p, 8);
		memcpy(&last, p + (n - 1) * 8, 8);
		assert_true(first == sqlite3_column_int64(q, 2));
		if (sqlite3_column_int64(q, 1) == prev_run)
			assert_true(first > prev_last);
		prev_run = sqlite3_column_int64(q, 1);
		prev_last = last;
	}
	sqlite3_finalize(q);
	/* the record id's events, across runs and blocks */
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM ridx_ids('%s')", rid);
	assert_int_equal(scalar(st, sql), 300 - (int64_t)gone_many);
	assert_true(gone_many > 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM ridx_ids('none such')"), 0);
	free(all);
	free(round);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

static void test_ridx_runs(void **state)
{
	(void)state;
	ridx_runs(true);
}

static void test_ridx_runs_without_index(void **state)
{
	(void)state;
	ridx_runs(false);
}

/* A look-up by record id in a statement of its own keeps the runs' first
 * keys with the connection (ridx.c, ri_runs_get): they must still be the
 * case's after this connection's writes, another connection's, and a
 * write rolled back. */
static void test_ridx_kept_first_keys(void **state)
{
	(void)state;
	char *dir, path[512];
	struct store *st = case_new("k.case", &dir, path, sizeof path), *other;
	char *cause = NULL;
	if (store_open(path, 0, &other, &cause) < 0)
		fail_msg("%s: %s", path, cause);
	sqlite3 *db = store_db(st), *odb = store_db(other);
	const char *rid = "kept";
	int64_t lo = sqlite_ridx_lo(sqlite_rid_fp(rid, strlen(rid)));
	const char *count = "SELECT count(*) FROM ridx_ids('kept')";
	enum { N = 3000 };
	int64_t *k = calloc(2 * N, sizeof *k);
	uint64_t x = 0x2545f4914f6cdd1dULL;
	int64_t id = 0;
	int64_t want = 0;
	for (int round = 0; round < 4; round++) {
		/* blocks of other keys around the record id's, so that a stale
		 * first key would send the look-up to a block that is gone or
		 * holds none of them */
		size_t n = 0;
		for (size_t i = 0; i < (size_t)N; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			k[n++] = (int64_t)(x & ~(uint64_t)UINT32_MAX) | ++id;
		}
		for (int j = 0; j < 10; j++)
			k[n++] = lo | ++id;
		want += 10;
		qsort(k, n, sizeof *k, cmp64);
		put_run(round % 2 ? odb : db, k, n); /* this connection's, then the other's */
		assert_int_equal(scalar(st, count), want);
		assert_int_equal(scalar(other, count), want);
		assert_int_equal(scalar(st, count), want); /* (kept: the same) */
	}
	/* a write rolled back: the look-ups after it see the case as it was */
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	int64_t one[] = { lo | ++id };
	struct sqlite_ridx_w *w = sqlite_ridx_w_new(db, sqlite_ridx_new_run(db));
	assert_int_equal(sqlite_ridx_w_put(w, one[0]), SQLITE_OK);
	assert_int_equal(sqlite_ridx_w_free(w), SQLITE_OK);
	assert_int_equal(scalar(st, count), want + 1);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(scalar(st, count), want);
	/* and keys taken out by the other connection */
	assert_int_equal(sqlite3_exec(odb, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(odb, "SELECT k FROM ridx_ids('kept') ORDER BY k LIMIT 3", -1, &q,
					    NULL),
			 SQLITE_OK);
	int64_t gone[3];
	size_t ng = 0;
	while (sqlite3_step(q) == SQLITE_ROW)
		gone[ng++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	assert_int_equal(ng, 3);
	assert_int_equal(sqlite_ridx_del(odb, gone, ng), SQLITE_OK);
	assert_int_equal(sqlite3_exec(odb, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(scalar(st, count), want - 3);
	assert_int_equal(scalar(other, count), want - 3);
	free(k);
	store_close(other);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* How the case plans a value's look-up by its text (the filters'): vals
 * read by id only, never scanned. */
static bool text_lookup_by_id(struct store *st)
{
	sqlite3_stmt *q;
	bool scans = false, vtab = false;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "EXPLAIN QUERY PLAN " SQLITE_VALS_BY_TEXT(""), -1,
					    &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(q, 3);
		if (d && strstr(d, "SCAN") && !strstr(d, "VIRTUAL TABLE"))
			scans = true;
		if (d && strstr(d, "VIRTUAL TABLE"))
			vtab = true;
	}
	sqlite3_finalize(q);
	return vtab && !scans;
}

/* A small load's statistics must not make the values' look-ups scan the
 * table once it has grown: vals keeps no unique index of its text, and
 * 'vals|vals_h|2 1' in sqlite_stat1 (counted at a load's end with two
 * values, schema 14) made SQLite scan vals for every value of the next,
 * larger load (300k events beside an annotating analyst ran for
 * minutes). From schema 15 a look-up reads vals by id. */
static void test_small_load_leaves_no_value_statistics(void **state)
{
	(void)state;
	char *dir, path[512], *cause = NULL;
	struct store *st = case_new("s.case", &dir, path, sizeof path);
	struct store_counts c;
	load_ids(st, "a.json", &c);
	store_close(st);
	assert_int_equal(store_open(path, STORE_READONLY, &st, &cause), 0);
	assert_true(text_lookup_by_id(st));
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

static void test_schema6_case_converted(void **state)
{
	(void)state;
	old_case(6);
}

static void test_schema7_case_converted(void **state)
{
	(void)state;
	old_case(7);
}

/* Schema 12 kept a key a row in ridx: read as it is, converted to
 * blocks (schema 13). */

static void test_schema12_case_converted(void **state)
{
	(void)state;
	old_case(12);
}

/* Schema 13 kept ridx's blocks without runs: read as it is (one run),
 * converted by a column (schema 14). */
static void test_schema13_case_converted(void **state)
{
	(void)state;
	old_case(13);
}

/* Schema 14 found values through vals_h: read as it is (vidx_ids over
 * vals_h), converted to vidx (schema 15). */
static void test_schema14_case_converted(void **state)
{
	(void)state;
	old_case(14);
}

/* Statistics from when the case held two values (PRAGMA optimize at a
 * small load's end) must not make the load scan vals for each new value
 * (a load beside an annotator ran for minutes). */
static void test_values_by_index_with_stale_stats(void **state)
{
	(void)state;
	char *dir, path[512], *cause = NULL;
	struct store *st = case_new("s.case", &dir, path, sizeof path);
	struct store_counts c;
	load_ids(st, "a.json", &c);
	assert_int_equal(sqlite3_exec(store_db(st),
				      "ANALYZE vals; DELETE FROM sqlite_stat1;"
				      "INSERT INTO sqlite_stat1 VALUES('vals', 'vals_h', '2 1'); ANALYZE sqlite_schema;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	assert_int_equal(store_load_source(ld, "b.json", 10, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	for (int i = 0; i < 200; i++) {
		struct event ev;
		memset(&ev, 0, sizeof ev);
		char rid[32], user[32];
		snprintf(rid, sizeof rid, "v-%d", i);
		snprintf(user, sizeof user, "u%d@contoso.com", i);
		ev.ts = 1686909600000LL + i;
		ev.record_id = (struct sv){ rid, strlen(rid) };
		ev.op = (struct sv){ "UserLoggedIn", 12 };
		ev.user = (struct sv){ user, strlen(user) };
		ev.raw = (struct sv){ "{}", 2 };
		ev.line = (uint64_t)i + 2;
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	assert_int_equal(store_load_sync(ld, &cause), 0);
	/* by id past the value map (load_values.c), through vals_h only if
	 * the map failed */
	struct sqlite_load *sl = (struct sqlite_load *)ld;
	if (sl->sel_val)
		assert_int_equal(sqlite3_stmt_status(sl->sel_val, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0), 0);
	if (sl->sel_vtext)
		assert_int_equal(sqlite3_stmt_status(sl->sel_vtext, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0), 0);
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
	assert_int_equal(scalar(st, "SELECT count(*) FROM vals"), 202);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* The values' hash is in every case (vals.h) and asked by every reader
 * (val_hash): sqlite_val_hash, four bytes a turn and the capitals folded
 * by a table, must give what the byte-at-a-time definition gives, for
 * every byte and every length's tail. */
static int64_t val_hash_bytewise(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + ('a' - 'A'));
		h = (h ^ c) * 0x100000001b3ULL;
	}
	return (int64_t)((h ^ (h >> 31) ^ (h >> 62)) & 0x7fffffff);
}

static void test_val_hash_bytes(void **state)
{
	(void)state;
	unsigned char b[80];
	for (int c = 0; c < 256; c++) {
		for (size_t at = 0; at < 9; at++) {
			memset(b, 'q', sizeof b);
			b[at] = (unsigned char)c;
			for (size_t n = at + 1; n < at + 10; n++)
				assert_int_equal(sqlite_val_hash((const char *)b, n), val_hash_bytewise(b, n));
		}
	}
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < sizeof b; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			b[i] = (unsigned char)(x >> 56);
		}
		for (size_t n = 0; n <= sizeof b; n++)
			assert_int_equal(sqlite_val_hash((const char *)b, n), val_hash_bytewise(b, n));
	}
	assert_int_equal(sqlite_val_hash("Alice@Contoso.COM", 17), sqlite_val_hash("alice@contoso.com", 17));
	assert_int_not_equal(sqlite_val_hash("alice@contoso.com", 17),
			     sqlite_val_hash("alice@contoso.con", 17));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_form),
		cmocka_unit_test(test_key_form_every_byte),
		cmocka_unit_test(test_keys_dedup_and_read_back),
		cmocka_unit_test(test_kept_filter),
		cmocka_unit_test(test_kept_filter_rows),
		cmocka_unit_test(test_kept_filter_late),
		cmocka_unit_test(test_small_load_leaves_no_value_statistics),
		cmocka_unit_test(test_schema6_case_converted),
		cmocka_unit_test(test_schema7_case_converted),
		cmocka_unit_test(test_schema12_case_converted),
		cmocka_unit_test(test_schema13_case_converted),
		cmocka_unit_test(test_schema14_case_converted),
		cmocka_unit_test(test_ridx_blocks),
		cmocka_unit_test(test_ridx_runs),
		cmocka_unit_test(test_ridx_runs_without_index),
		cmocka_unit_test(test_ridx_kept_first_keys),
		cmocka_unit_test(test_values_by_index_with_stale_stats),
		cmocka_unit_test(test_val_hash_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
