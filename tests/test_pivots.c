/*
 * test_pivots.c: the posting lists (core/sqlite/pivots.c). The codec
 * round trip at the extremes (times before 1970 and at the ends of
 * int64, ids far apart and going down); windows of a few entries, so
 * that one value has many overlapping chunks, and one window whose busy
 * values take several chunks of PIVOT_CHUNK_BYTES, read back through
 * pivot_rows in both orders, under every kind of ts constraint and for
 * several values merged, against the same entries sorted here; stale
 * entries and pivot_gone in the counts; and on a case loaded from JSON
 * Lines (times out of order, values of every rarity, records without
 * some fields), each value's list against SQLite's own answer over
 * events, as built by the conversion of a schema 10 case and as a
 * read-only one builds it in temp.
 */
#include "testutil.h"


#include "filter.h"
#include "ingest.h"
#include "query.h"
#include "stack.h"
#include "store.h"
#include "util.h"
#include "xalloc.h"
#include "sqlite/pivots.h"
#include "sqlite/sqlite_store.h"
#include "sqlite/load_impl.h"
#include "load_kill.h"

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct pivot_entry *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void round_trip(struct pivot_entry *e, size_t n)
{
	qsort(e, n, sizeof *e, ent_cmp);
	unsigned char *buf = malloc(n * PIVOT_ENTRY_MAX + 1);
	struct pivot_entry *back = calloc(n + 1, sizeof *back);
	size_t len = pivot_encode(e, n, buf);
	assert_true(len <= n * PIVOT_ENTRY_MAX);
	assert_int_equal(pivot_decode(buf, len, n, e[0].ts, back), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(back[i].ts == e[i].ts);
		assert_true(back[i].id == e[i].id);
	}
	/* cut short, one entry too many asked, a byte too many: damaged */
	if (len > 0)
		assert_int_equal(pivot_decode(buf, len - 1, n, e[0].ts, back), -1);
	assert_int_equal(pivot_decode(buf, len, n + 1, e[0].ts, back), -1);
	buf[len] = 0;
	assert_int_equal(pivot_decode(buf, len + 1, n, e[0].ts, back), -1);
	free(buf);
	free(back);
}

static void test_codec_extremes(void **state)
{
	(void)state;
	struct pivot_entry ext[] = {
		{ INT64_MIN, 1 },
		{ INT64_MIN, INT64_MAX },
		{ -1, 5 },
		{ 0, 3 },
		{ 0, 4 },
		{ 1686909600000LL, 1 },
		{ 1686909600000LL, 1LL << 40 },
		{ INT64_MAX - 1, 2 },
		{ INT64_MAX, 1 },
		{ INT64_MAX, INT64_MAX },
	};
	round_trip(ext, sizeof ext / sizeof ext[0]);
	struct pivot_entry one = { -62135596800000LL, 77 };
	round_trip(&one, 1);
	/* one entry encodes as its id alone (the ts is the row's lo) */
	unsigned char b[PIVOT_ENTRY_MAX];
	assert_int_equal(pivot_encode(&one, 1, b), 1);
	/* time-ordered entries of a busy value: a few bytes each */
	struct pivot_entry *e = malloc(10000 * sizeof *e);
	for (int i = 0; i < 10000; i++)
		e[i] = (struct pivot_entry){ 1686909600000LL + i * 13000LL + (int64_t)(rnd() % 1000),
					     1000000 + i * 51 + (int64_t)(rnd() % 40) };
	qsort(e, 10000, sizeof *e, ent_cmp);
	unsigned char *buf = malloc(10000 * PIVOT_ENTRY_MAX);
	size_t len = pivot_encode(e, 10000, buf);
	assert_true(len < 10000 * 5);
	free(buf);
	round_trip(e, 10000);
	/* random ones anywhere in int64 */
	for (int i = 0; i < 10000; i++)
		e[i] = (struct pivot_entry){ (int64_t)rnd(), (int64_t)rnd() };
	round_trip(e, 10000);
	free(e);
	/* an empty chunk is no bytes; anything else is damage */
	assert_int_equal(pivot_decode(b, 0, 0, 0, NULL), 0);
	assert_int_equal(pivot_decode(b, 1, 0, 0, NULL), -1);
}

/* ---- windows into a database of their own ---- */

#define NVAL 5
#define NENT 3000

struct mem {
	sqlite3 *db;
	struct pivot_entry e[NVAL + 1][NENT]; /* by value (1..NVAL) */
	size_t n[NVAL + 1];
};

static sqlite3 *mem_db(void)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, PIVOTS_TABLES_SQL("TABLE"), NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite_pivots_register(db), 0);
	return db;
}

/* Entries of values 1..NVAL, few distinct times (many ties), ids
 * going up as a load gives them, in windows of cap entries. */
static struct mem *mem_new(size_t cap)
{
	struct mem *m = calloc(1, sizeof *m);
	m->db = mem_db();
	struct pivot_window *w = pivot_window_new(cap);
	char *cause = NULL;
	int64_t id = 100;
	for (int i = 0; i < NENT; i++) {
		if (!pivot_window_room(w))
			assert_int_equal(pivot_window_flush(w, m->db, &cause), 0);
		id += 1 + (int64_t)(rnd() % 3);
		int64_t ts = -50000 + (int64_t)(rnd() % 400) * 1000; /* before 1970 too */
		int v = 1 + (int)(rnd() % (i % 7 ? 2 : NVAL));       /* 1 and 2 busy */
		pivot_window_add(w, PIVOT_IP, v, ts, id);
		pivot_window_add(w, PIVOT_USER, 0, ts, id); /* no value: nothing */
		m->e[v][m->n[v]++] = (struct pivot_entry){ ts, id };
	}
	assert_int_equal(pivot_window_flush(w, m->db, &cause), 0);
	assert_int_equal(pivot_window_len(w), 0);
	pivot_window_free(w);
	return m;
}

/* (the close fails, SQLITE_BUSY, while a statement is left: the idle
 * statements pivots.c keeps for its cursors must go when SQLite
 * disconnects its tables) */
static void mem_free(struct mem *m)
{
	assert_int_equal(sqlite3_close(m->db), SQLITE_OK);
	free(m);
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t r = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return r;
}

/* vals as pivot_rows takes several: int64 little-endian */
static void vals_blob(const int64_t *v, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			out[8 * i + (size_t)b] = (unsigned char)((uint64_t)v[i] >> (8 * b));
}

/* The rows of sql (ts, id) bound to col, vals and up to two ts values,
 * against want[0..nwant) (reversed when desc). */
static void expect_rows(sqlite3 *db, const char *sql, int col, const int64_t *vals, size_t nvals,
			const int64_t *tsv, int ntsv, const struct pivot_entry *want, size_t nwant, bool desc)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_int(q, 1, col);
	unsigned char blob[8 * 8];
	if (nvals == 1) {
		sqlite3_bind_int64(q, 2, vals[0]);
	} else {
		vals_blob(vals, nvals, blob);
		sqlite3_bind_blob(q, 2, blob, (int)(8 * nvals), SQLITE_STATIC);
	}
	for (int i = 0; i < ntsv; i++)
		sqlite3_bind_int64(q, 3 + i, tsv[i]);
	size_t k = 0;
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		assert_true(k < nwant);
		const struct pivot_entry *w = &want[desc ? nwant - 1 - k : k];
		if (sqlite3_column_int64(q, 0) != w->ts || sqlite3_column_int64(q, 1) != w->id)
			fail_msg("%s: row %zu is (%lld, %lld), want (%lld, %lld)", sql, k,
				 (long long)sqlite3_column_int64(q, 0), (long long)sqlite3_column_int64(q, 1),
				 (long long)w->ts, (long long)w->id);
		k++;
	}
	if (r != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(k, nwant);
	sqlite3_finalize(q);
}

/* The entries of values vals in [lo, hi], sorted */
static size_t gather(const struct mem *m, const int64_t *vals, size_t nvals, int64_t lo, int64_t hi,
		     struct pivot_entry *out)
{
	size_t n = 0;
	for (size_t i = 0; i < nvals; i++)
		for (size_t j = 0; j < m->n[vals[i]]; j++)
			if (m->e[vals[i]][j].ts >= lo && m->e[vals[i]][j].ts <= hi)
				out[n++] = m->e[vals[i]][j];
	qsort(out, n, sizeof *out, ent_cmp);
	return n;
}

static void test_window_chunks(void **state)
{
	(void)state;
	struct mem *m = mem_new(12); /* 12 events (and entries) a window: hundreds of chunks */
	/* every entry once, each chunk's n, lo, hi and seq as its entries */
	assert_int_equal(one_int(m->db, "SELECT sum(n) FROM pivots"), NENT);
	assert_int_equal(one_int(m->db, "SELECT count(*) FROM pivots WHERE col != 2"), 0);
	assert_true(one_int(m->db, "SELECT count(*) FROM pivots WHERE val = 1") > 100);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(m->db, "SELECT val, seq, n, lo, hi, data FROM pivots", -1, &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(q, 2);
		struct pivot_entry e[12];
		assert_true(n >= 1 && n <= 12);
		assert_int_equal(pivot_decode(sqlite3_column_blob(q, 5), (size_t)sqlite3_column_bytes(q, 5),
					      (size_t)n, sqlite3_column_int64(q, 3), e),
				 0);
		assert_true(e[n - 1].ts == sqlite3_column_int64(q, 4));
		for (int64_t i = 0; i < n; i++) {
			assert_true(e[i].id >= sqlite3_column_int64(q, 1)); /* seq: the window's least id */
			if (i)
				assert_true(ent_cmp(&e[i - 1], &e[i]) < 0);
		}
	}
	sqlite3_finalize(q);
	mem_free(m);
}

/* A window of a newest-first export: times never go up, several events
 * a second (in rising ids), and then one event out of place; and one
 * oldest first whose last events (administrative records held back by
 * the writer) go back in time among the others, and two such runs:
 * every chunk's entries in (ts, id) order, every entry once. */
static void test_window_newest_first(void **state)
{
	(void)state;
	enum { N = 2000 };
	for (int twist = 0; twist < 4; twist++) {
		sqlite3 *db = mem_db();
		struct pivot_window *w = pivot_window_new(N);
		char *cause = NULL;
		int64_t ts = 1700000000000;
		for (int64_t id = 1; id <= N; id++) {
			int64_t at;
			if (twist < 2) {
				if (id % 3)
					ts -= 1000;
				at = twist && id == N / 2 ? ts + 5000 : ts;
			} else {
				int64_t runs = twist == 2 ? 1 : 2, tail = N / 10 * runs;
				at = id <= N - tail ? ts + id * 1000
						    : ts + (id - (N - tail)) % (N / 10) * 9000 + 500;
			}
			pivot_window_add(w, PIVOT_OP, 7, at, id);
		}
		assert_int_equal(pivot_window_flush(w, db, &cause), 0);
		pivot_window_free(w);
		assert_int_equal(one_int(db, "SELECT sum(n) FROM pivots"), N);
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT n, lo, data FROM pivots ORDER BY seq", -1, &q,
						    NULL),
				 SQLITE_OK);
		struct pivot_entry *e = calloc(N, sizeof *e), prev = { INT64_MIN, 0 };
		while (sqlite3_step(q) == SQLITE_ROW) {
			size_t n = (size_t)sqlite3_column_int64(q, 0);
			assert_int_equal(pivot_decode(sqlite3_column_blob(q, 2),
						      (size_t)sqlite3_column_bytes(q, 2), n,
						      sqlite3_column_int64(q, 1), e),
					 0);
			for (size_t i = 0; i < n; i++) {
				assert_true(ent_cmp(&prev, &e[i]) < 0);
				prev = e[i];
			}
		}
		sqlite3_finalize(q);
		free(e);
		sqlite3_close(db);
	}
}

/* One window of every entry: the busy values' entries take more than
 * PIVOT_CHUNK_BYTES, so they go in several chunks of the same window,
 * each within it, with seqs of their own, and read back whole. */
static void test_window_pieces(void **state)
{
	(void)state;
	struct mem *m = mem_new(NENT);
	assert_int_equal(one_int(m->db, "SELECT sum(n) FROM pivots"), NENT);
	assert_true(one_int(m->db, "SELECT count(*) FROM pivots WHERE val = 1") > 1);
	char *big = xasprintf("SELECT count(*) FROM pivots WHERE length(data) > %d", PIVOT_CHUNK_BYTES);
	assert_int_equal(one_int(m->db, big), 0);
	free(big);
	/* the first piece has the window's least id, the next ones follow */
	assert_int_equal(one_int(m->db, "SELECT count(DISTINCT seq) FROM pivots WHERE val = 1"),
			 one_int(m->db, "SELECT count(*) FROM pivots WHERE val = 1"));
	assert_int_equal(one_int(m->db, "SELECT min(seq) FROM pivots WHERE val = 1"),
			 one_int(m->db, "SELECT min(seq) FROM pivots"));
	struct pivot_entry *want = malloc(NENT * sizeof *want);
	for (int64_t v = 1; v <= NVAL; v++) {
		size_t n = gather(m, &v, 1, INT64_MIN, INT64_MAX, want);
		expect_rows(m->db, "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts, id", PIVOT_IP, &v, 1,
			    NULL, 0, want, n, false);
		expect_rows(m->db, "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts DESC, id DESC",
			    PIVOT_IP, &v, 1, NULL, 0, want, n, true);
	}
	free(want);
	mem_free(m);
}

static void test_rows_orders_and_bounds(void **state)
{
	(void)state;
	struct mem *m = mem_new(12);
	struct pivot_entry *want = malloc(NENT * sizeof *want);
	static const char *const asc = "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts, id";
	static const char *const desc = "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts DESC, id DESC";
	for (int64_t v = 1; v <= NVAL; v++) {
		size_t n = gather(m, &v, 1, INT64_MIN, INT64_MAX, want);
		assert_true(n > 0);
		expect_rows(m->db, asc, PIVOT_IP, &v, 1, NULL, 0, want, n, false);
		expect_rows(m->db, desc, PIVOT_IP, &v, 1, NULL, 0, want, n, true);
		/* no ORDER BY: still in (ts, id) order, ascending */
		expect_rows(m->db, "SELECT ts, id FROM pivot_rows(?1, ?2)", PIVOT_IP, &v, 1, NULL, 0, want, n,
			    false);
		/* another column, a value nobody has */
		expect_rows(m->db, asc, PIVOT_USER, &v, 1, NULL, 0, want, 0, false);
	}
	int64_t none = 999;
	expect_rows(m->db, asc, PIVOT_IP, &none, 1, NULL, 0, want, 0, false);
	/* bounds: a tie-heavy time in the middle, each operator */
	int64_t t1 = -50000 + 100 * 1000, t2 = -50000 + 250 * 1000;
	int64_t v1 = 1;
	struct {
		const char *where;
		int64_t lo, hi;
	} b[] = {
		{ "ts >= ?3 AND ts < ?4", t1, t2 - 1 },
		{ "ts > ?3 AND ts <= ?4", t1 + 1, t2 },
		{ "ts = ?3 AND ?4 IS NOT NULL", t1, t1 },
		{ "ts < ?3 AND ?4 IS NOT NULL", INT64_MIN, t1 - 1 },
		{ "ts >= ?4 AND ?3 IS NOT NULL", t2, INT64_MAX },
		{ "ts > ?4 AND ts < ?3", 1, 0 }, /* empty */
		{ "ts >= ?3 AND ts >= ?4 AND ts <= ?4", t2, t2 },
	};
	int64_t tsv[2] = { t1, t2 };
	for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
		size_t n = b[i].lo <= b[i].hi ? gather(m, &v1, 1, b[i].lo, b[i].hi, want) : 0;
		char *s = xasprintf("SELECT ts, id FROM pivot_rows(?1, ?2) WHERE %s ORDER BY ts, id",
				    b[i].where);
		expect_rows(m->db, s, PIVOT_IP, &v1, 1, tsv, 2, want, n, false);
		free(s);
		s = xasprintf("SELECT ts, id FROM pivot_rows(?1, ?2) WHERE %s ORDER BY ts DESC, id DESC",
			      b[i].where);
		expect_rows(m->db, s, PIVOT_IP, &v1, 1, tsv, 2, want, n, true);
		free(s);
	}
	/* a bound given as a real number, or text */
	size_t n = gather(m, &v1, 1, t1 + 1, INT64_MAX, want);
	expect_rows(m->db, "SELECT ts, id FROM pivot_rows(?1, ?2) WHERE ts > ?3 + 0.5 ORDER BY ts, id",
		    PIVOT_IP, &v1, 1, tsv, 1, want, n, false);
	expect_rows(m->db, "SELECT ts, id FROM pivot_rows(?1, ?2) WHERE ts > 'x' ORDER BY ts, id", PIVOT_IP,
		    &v1, 1, NULL, 0, want, 0, false);
	/* several values merged, as a blob, repeats ignored */
	int64_t several[] = { 5, 1, 3, 1 };
	int64_t distinct[] = { 1, 3, 5 };
	n = gather(m, distinct, 3, INT64_MIN, INT64_MAX, want);
	expect_rows(m->db, asc, PIVOT_IP, several, 4, NULL, 0, want, n, false);
	expect_rows(m->db, desc, PIVOT_IP, several, 4, NULL, 0, want, n, true);
	n = gather(m, distinct, 3, t1, t2, want);
	expect_rows(m->db, "SELECT ts, id FROM pivot_rows(?1, ?2) WHERE ts BETWEEN ?3 AND ?4 ORDER BY ts DESC",
		    PIVOT_IP, several, 4, tsv, 2, want, n, true);
	/* the merge stops early: a LIMIT reads the first rows only */
	assert_true(gather(m, distinct, 3, INT64_MIN, INT64_MAX, want) >= 7);
	expect_rows(m->db, "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts, id LIMIT 7", PIVOT_IP, several,
		    4, NULL, 0, want, 7, false);
	/* the order is the table's: SQLite sorts nothing */
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(m->db,
					    "EXPLAIN QUERY PLAN SELECT ts, id FROM pivot_rows(2, 1)"
					    " ORDER BY ts DESC, id DESC",
					    -1, &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW)
		assert_null(strstr((const char *)sqlite3_column_text(q, 3), "TEMP B-TREE"));
	sqlite3_finalize(q);
	/* wrong arguments say so */
	assert_int_not_equal(sqlite3_prepare_v2(m->db, "SELECT * FROM pivot_rows", -1, &q, NULL) == SQLITE_OK &&
				     sqlite3_step(q) == SQLITE_ROW,
			     1);
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(m->db, "SELECT * FROM pivot_rows(2, 'x')", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ERROR);
	sqlite3_finalize(q);
	free(want);
	mem_free(m);
}

/* n more entries of value 1 (ids from *id on) written into db in windows
 * of 40, and into want (sorted) */
static void more_entries(sqlite3 *db, int n, int64_t *id, struct pivot_entry *want, size_t *nwant)
{
	struct pivot_window *w = pivot_window_new(40);
	char *cause = NULL;
	for (int i = 0; i < n; i++) {
		if (!pivot_window_room(w))
			assert_int_equal(pivot_window_flush(w, db, &cause), 0);
		int64_t ts = (int64_t)(rnd() % 500) * 1000;
		pivot_window_add(w, PIVOT_IP, 1, ts, *id);
		want[(*nwant)++] = (struct pivot_entry){ ts, (*id)++ };
	}
	assert_int_equal(pivot_window_flush(w, db, &cause), 0);
	pivot_window_free(w);
	qsort(want, *nwant, sizeof *want, ent_cmp);
}

/* pivot_cached(col, val) on db, from a statement that reads the case
 * (as the filter compiler asks it) or from one that does not (bare):
 * -1 (NULL: not in the cache), or the entries it says, its chunk rows in
 * *rows. */
static int64_t cached_as(sqlite3 *db, int col, int64_t val, int64_t *rows, bool bare)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db,
					    bare ? "SELECT pivot_cached(?1, ?2)"
						 : "SELECT count(*), pivot_cached(?1, ?2) FROM pivot_gone",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(q, 1, col);
	sqlite3_bind_int64(q, 2, val);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t v[2] = { -1, -1 };
	int k = bare ? 0 : 1;
	if (sqlite3_column_type(q, k) != SQLITE_NULL) {
		assert_int_equal(sqlite3_column_bytes(q, k), sizeof v);
		memcpy(v, sqlite3_column_blob(q, k), sizeof v);
	}
	sqlite3_finalize(q);
	*rows = v[1];
	return v[0];
}

static int64_t cached(sqlite3 *db, int col, int64_t val, int64_t *rows)
{
	return cached_as(db, col, val, rows, false);
}

/* The chunk rows of (col, val) in db */
static int64_t chunk_rows(sqlite3 *db, int col, int64_t val)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM pivots WHERE col = ?1 AND val = ?2", -1,
					    &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(q, 1, col);
	sqlite3_bind_int64(q, 2, val);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

/* Two connections to a new case of pivot tables at path (WAL), the
 * pivots' modules registered on both: a writes, b reads beside it. */
/* Two connections, a and b, on a new case of pivot tables (WAL) named
 * name in a folder of its own; pair_free closes what is still open and
 * removes the folder. */
struct pair {
	char *dir, *path;
	sqlite3 *a, *b;
};

static struct pair pair_new(const char *name)
{
	struct pair p = { .dir = tmpdir_new() };
	p.path = xasprintf("%s/%s", p.dir, name);
	assert_int_equal(sqlite3_open(p.path, &p.a), SQLITE_OK);
	assert_int_equal(sqlite3_exec(p.a, "PRAGMA journal_mode=WAL;" PIVOTS_TABLES_SQL("TABLE"), NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_open(p.path, &p.b), SQLITE_OK);
	assert_int_equal(sqlite_pivots_register(p.a), 0);
	assert_int_equal(sqlite_pivots_register(p.b), 0);
	return p;
}

static void pair_free(struct pair *p)
{
	if (p->b)
		assert_int_equal(sqlite3_close(p->b), SQLITE_OK);
	if (p->a)
		assert_int_equal(sqlite3_close(p->a), SQLITE_OK);
	tmpdir_remove(p->dir);
	free(p->dir);
	free(p->path);
}

/*
 * The chunk rows a connection keeps (pivots.c: the cache) follow the
 * case: what another connection commits, what this one writes, and
 * nothing of a transaction of its own rolled back (its chunks are gone:
 * kept, their reading would fail). Both orders, through pivot_rows and
 * pivot_and. What pivot_cached says of a value (the filter compiler's
 * counts) follows it too: nothing before a list read it, nor once the
 * case changed, nor within a transaction of the connection's own.
 */
static void test_cache_follows_changes(void **state)
{
	(void)state;
	struct pair pr = pair_new("c.db");
	sqlite3 *a = pr.a, *b = pr.b;
	static const char *const asc = "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts, id";
	static const char *const desc = "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts DESC, id DESC";
	/* (pivot_and of value 1's list twice: the list itself) */
	static const char *const and = "SELECT ts, id FROM pivot_and(?1) ORDER BY ts, id";
	struct pivot_entry *want = calloc(1000, sizeof *want);
	size_t n = 0;
	int64_t id = 1, one = 1;
	more_entries(a, 300, &id, want, &n);
	int64_t rows;
	assert_int_equal(cached(a, PIVOT_IP, 1, &rows), -1);
	for (int i = 0; i < 2; i++) {
		expect_rows(a, asc, PIVOT_IP, &one, 1, NULL, 0, want, n, false);
		expect_rows(a, desc, PIVOT_IP, &one, 1, NULL, 0, want, n, true);
	}
	assert_int_equal(cached(a, PIVOT_IP, 1, &rows), 300);
	assert_int_equal(rows, chunk_rows(a, PIVOT_IP, 1));
	assert_int_equal(cached(a, PIVOT_IP, 2, &rows), -1);
	assert_int_equal(cached(b, PIVOT_IP, 1, &rows), -1);          /* b's own cache */
	more_entries(b, 100, &id, want, &n);                          /* another connection's */
	assert_int_equal(cached_as(a, PIVOT_IP, 1, &rows, true), -1); /* (reading nothing: unknown) */
	assert_int_equal(cached(a, PIVOT_IP, 1, &rows), -1);
	expect_rows(a, asc, PIVOT_IP, &one, 1, NULL, 0, want, n, false);
	assert_int_equal(cached(a, PIVOT_IP, 1, &rows), 400);
	assert_int_equal(rows, chunk_rows(a, PIVOT_IP, 1));
	expect_rows(a, desc, PIVOT_IP, &one, 1, NULL, 0, want, n, true);
	more_entries(a, 50, &id, want, &n); /* its own */
	assert_int_equal(cached(a, PIVOT_IP, 1, &rows), -1);
	expect_rows(a, asc, PIVOT_IP, &one, 1, NULL, 0, want, n, false);
	assert_int_equal(cached(a, PIVOT_IP, 1, &rows), 450);
	/* a transaction of its own, read within and rolled back */
	size_t kept = n;
	struct pivot_entry *before = calloc(1000, sizeof *before);
	memcpy(before, want, n * sizeof *want);
	assert_int_equal(sqlite3_exec(a, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(cached(a, PIVOT_IP, 1, &rows), -1);
	more_entries(a, 70, &id, want, &n);
	expect_rows(a, asc, PIVOT_IP, &one, 1, NULL, 0, want, n, false);
	expect_rows(a, desc, PIVOT_IP, &one, 1, NULL, 0, want, n, true);
	assert_int_equal(cached(a, PIVOT_IP, 1, &rows), -1);
	assert_int_equal(sqlite3_exec(a, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(cached(a, PIVOT_IP, 1, &rows), -1);
	expect_rows(a, asc, PIVOT_IP, &one, 1, NULL, 0, before, kept, false);
	expect_rows(a, desc, PIVOT_IP, &one, 1, NULL, 0, before, kept, true);
	expect_rows(b, asc, PIVOT_IP, &one, 1, NULL, 0, before, kept, false);
	/* the intersection reads the same rows */
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(a, and, -1, &q, NULL), SQLITE_OK);
	unsigned char terms[48];
	int64_t t[6] = { PIVOT_IP, 1, 1, PIVOT_IP, 1, 1 };
	vals_blob(t, 6, terms);
	sqlite3_bind_blob(q, 1, terms, 48, SQLITE_STATIC);
	size_t k = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		assert_true(k < kept);
		assert_true(sqlite3_column_int64(q, 0) == before[k].ts &&
			    sqlite3_column_int64(q, 1) == before[k].id);
		k++;
	}
	assert_int_equal(k, kept);
	sqlite3_finalize(q);
	free(before);
	free(want);
	pair_free(&pr);
}

/* 600 events (ids 1..600), every one of ip 1, every third of user 1,
 * at times that shift moves, written into db in windows of 40 (so the
 * same chunk keys whatever shift); their entries into ip and user,
 * sorted. */
static void decoded_write(sqlite3 *db, int64_t shift, struct pivot_entry *ip, struct pivot_entry *user,
			  size_t *nuser)
{
	struct pivot_window *w = pivot_window_new(40);
	char *cause = NULL;
	*nuser = 0;
	for (int64_t id = 1; id <= 600; id++) {
		if (!pivot_window_room(w))
			assert_int_equal(pivot_window_flush(w, db, &cause), 0);
		int64_t ts = ((id * 7919 + shift) % 500) * 1000;
		pivot_window_add(w, PIVOT_IP, 1, ts, id);
		ip[id - 1] = (struct pivot_entry){ ts, id };
		if (id % 3 == 0) {
			pivot_window_add(w, PIVOT_USER, 1, ts, id);
			user[(*nuser)++] = (struct pivot_entry){ ts, id };
		}
	}
	assert_int_equal(pivot_window_flush(w, db, &cause), 0);
	pivot_window_free(w);
	qsort(ip, 600, sizeof *ip, ent_cmp);
	qsort(user, *nuser, sizeof *user, ent_cmp);
}

/* The rows of sql (?1 the terms, ?2 and ?3 a ts range) against the
 * entries of all[0..n) within [lo, hi], in the order desc says. */
static void decoded_expect(sqlite3 *db, const char *sql, const int64_t *t, size_t nt, int64_t lo, int64_t hi,
			   const struct pivot_entry *all, size_t n, bool desc)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	unsigned char terms[8 * 8];
	vals_blob(t, nt, terms);
	sqlite3_bind_blob(q, 1, terms, (int)(8 * nt), SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, lo);
	sqlite3_bind_int64(q, 3, hi);
	size_t k = 0, want = 0;
	for (size_t i = 0; i < n; i++)
		want += all[i].ts >= lo && all[i].ts <= hi;
	for (size_t i = 0; i < n; i++) {
		const struct pivot_entry *e = &all[desc ? n - 1 - i : i];
		if (e->ts < lo || e->ts > hi)
			continue;
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_true(sqlite3_column_int64(q, 0) == e->ts && sqlite3_column_int64(q, 1) == e->id);
		k++;
	}
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	assert_int_equal(k, want);
	sqlite3_finalize(q);
}

/*
 * Chunks decoded whole are kept by the connection (pivots.c: struct
 * pv_dec) and read again from there: in both orders, within ts bounds,
 * sought by the intersection, a list alone; and a chunk written again
 * under the same key (the lists built anew, here by another connection:
 * the same windows, other times) is read anew, not from what was kept.
 */
static void test_decoded_follows_changes(void **state)
{
	(void)state;
	struct pair pr = pair_new("d.db");
	sqlite3 *a = pr.a, *b = pr.b;
	static const char *const sql[2] = {
		"SELECT ts, id FROM pivot_and(?1) WHERE ts >= ?2 AND ts <= ?3 ORDER BY ts, id",
		"SELECT ts, id FROM pivot_and(?1) WHERE ts >= ?2 AND ts <= ?3 ORDER BY ts DESC, id DESC",
	};
	int64_t ip_t[] = { PIVOT_IP, 1, 1 }, and_t[] = { PIVOT_USER, 1, 1, PIVOT_IP, 1, 1 },
		rand_t[] = { PIVOT_IP, 1, 1, PIVOT_USER, 1, 1 };
	struct pivot_entry ip[600], user[600];
	size_t nuser;
	static const int64_t range[][2] = { { INT64_MIN, INT64_MAX }, { 120000, 377000 }, { 0, 0 } };
	for (int round = 0; round < 2; round++) {
		if (round) {
			/* the same keys, other entries, from another connection */
			assert_int_equal(sqlite3_exec(b, "DELETE FROM pivots", NULL, NULL, NULL), SQLITE_OK);
			decoded_write(b, 1234, ip, user, &nuser);
		} else {
			decoded_write(a, 0, ip, user, &nuser);
		}
		/* (three times: the first reads and keeps, the others read what
		 * was kept) */
		for (int again = 0; again < 3; again++)
			for (size_t r = 0; r < sizeof range / sizeof range[0]; r++)
				for (int desc = 0; desc < 2; desc++) {
					decoded_expect(a, sql[desc], ip_t, 3, range[r][0], range[r][1], ip,
						       600, desc);
					decoded_expect(a, sql[desc], and_t, 6, range[r][0], range[r][1], user,
						       nuser, desc);
					decoded_expect(a, sql[desc], rand_t, 6, range[r][0], range[r][1],
						       user, nuser, desc);
				}
		int64_t one = 1;
		expect_rows(a, "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts, id", PIVOT_IP, &one, 1,
			    NULL, 0, ip, 600, false);
		expect_rows(a, "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts DESC, id DESC", PIVOT_IP,
			    &one, 1, NULL, 0, ip, 600, true);
	}
	pair_free(&pr);
}

static void test_counts_and_gone(void **state)
{
	(void)state;
	struct mem *m = mem_new(40);
	int64_t c;
	for (int64_t v = 1; v <= NVAL; v++) {
		assert_int_equal(sqlite_pivot_count(m->db, PIVOT_IP, &v, 1, &c), 0);
		assert_int_equal(c, m->n[v]);
	}
	assert_int_equal(one_int(m->db, "SELECT pivot_count(2, 3)"), m->n[3]);
	/* two entries of value 3 no longer hold */
	assert_int_equal(sqlite3_exec(m->db, "INSERT INTO pivot_gone VALUES(2, 3, 2)", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(one_int(m->db, "SELECT pivot_count(2, 3)"), m->n[3] - 2);
	int64_t both[] = { 1, 3, 1 };
	assert_int_equal(sqlite_pivot_count(m->db, PIVOT_IP, both, 2, &c), 0);
	assert_int_equal(c, m->n[1] + m->n[3] - 2);
	unsigned char blob[24];
	vals_blob(both, 3, blob);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(m->db, "SELECT pivot_count(2, ?)", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, blob, 24, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), m->n[1] + m->n[3] - 2);
	sqlite3_finalize(q);
	assert_int_equal(one_int(m->db, "SELECT pivot_count(2, 77)"), 0);
	assert_int_equal(one_int(m->db, "SELECT pivot_count(0, 1)"), 0);
	/* the stale entries are still listed: a reader joins on events */
	int64_t v3 = 3;
	struct pivot_entry *want = malloc(NENT * sizeof *want);
	size_t n = gather(m, &v3, 1, INT64_MIN, INT64_MAX, want);
	expect_rows(m->db, "SELECT ts, id FROM pivot_rows(?1, ?2)", PIVOT_IP, &v3, 1, NULL, 0, want, n, false);
	/* a damaged chunk is an error, not a wrong answer */
	assert_int_equal(sqlite3_exec(m->db, "UPDATE pivots SET data = x'ff' WHERE val = 3 AND n > 1", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(m->db, "SELECT count(*) FROM pivot_rows(2, 3)", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_CORRUPT);
	sqlite3_finalize(q);
	free(want);
	mem_free(m);
}

/* ---- a loaded case ---- */

struct lcase {
	char *dir, *path;
	struct store *st;
};

#define NREC 4000

/* Values of every rarity; times out of order; some fields absent. */
static void records(struct util_buf *b, int from, int to)
{
	for (int i = from; i < to; i++) {
		int t = (i * 7919) % NREC; /* out of order */
		char user[64], ip[32], sess[64];
		snprintf(user, sizeof user, "%s",
			 i % 50 == 3 ? "rare@contoso.com"
			 : i % 3     ? "dense@contoso.com"
				     : "");
		if (i % 11 == 0)
			snprintf(user, sizeof user, "u%d@contoso.com", i % 97);
		snprintf(ip, sizeof ip, "10.0.%d.%d", i % 4, i % 13 == 0 ? i % 200 : 1);
		/* a handful of events each, or a fresh one (an entry alone in
		 * its window: packed in pivot_ones) */
		if (i % 4 == 1)
			snprintf(sess, sizeof sess, "f-%d", i);
		else
			snprintf(sess, sizeof sess, "s-%d", i / 5);
		util_buf_printf(b,
				"{\"CreationTime\":\"2023-06-%02dT%02d:%02d:%02d\",\"Id\":\"00000000-0000-4000-8000-%012d\","
				"\"Operation\":\"%s\",\"RecordType\":50,\"Workload\":\"Exchange\"%s%s%s"
				",\"AppId\":\"%s\"%s%s%s,\"AppAccessContext\":{\"AADSessionId\":\"%s\"}}\n",
				1 + t / 200 % 28, t / 10 % 24, t % 60, i % 3 == 0 ? 0 : 30, i,
				i % 9 ? "MailItemsAccessed" : "Send", *user ? ",\"UserId\":\"" : "", user,
				*user ? "\"" : "", i % 5 ? "00000002-0000-0ff1-ce00-000000000000" : "app-x",
				i % 17 ? ",\"ClientIP\":\"" : "", i % 17 ? ip : "", i % 17 ? "\"" : "", sess);
	}
}

static void load_file(struct store *st, const char *dir, const char *name, struct util_buf *b)
{
	char *path = write_file(dir, name, b->p, b->n);
	free(b->p);
	*b = (struct util_buf){ 0 };
	char *cause = NULL;
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (ingest_paths(st, paths, 1, &o, &t, &cause) < 0)
		fail_msg("%s", cause);
	free(path);
}

static int lcase_setup(void **state)
{
	struct lcase *c = calloc(1, sizeof *c);
	c->dir = tmpdir_new();
	c->path = xasprintf("%s/t.case", c->dir);
	char *cause = NULL;
	if (store_open(c->path, STORE_CREATE, &c->st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		return -1;
	}
	struct util_buf b = { 0 };
	records(&b, 0, NREC);
	load_file(c->st, c->dir, "a.jsonl", &b);
	*state = c;
	return 0;
}

static int lcase_teardown(void **state)
{
	struct lcase *c = *state;
	store_close(c->st);
	tmpdir_remove(c->dir);
	free(c->dir);
	free(c->path);
	free(c);
	return 0;
}

static const char *const col_name[PIVOT_NCOL] = { "user", "app", "ip", "op", "session" };

/* SQLite's own answer over events for (col, vals) in [lo, hi] */
static size_t events_of(sqlite3 *db, int col, const int64_t *vals, size_t nvals, int64_t lo, int64_t hi,
			struct pivot_entry *out, size_t cap)
{
	char *sql =
		xasprintf("SELECT ts, id FROM events WHERE %s = ?1 AND ts BETWEEN ?2 AND ?3", col_name[col]);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	free(sql);
	size_t n = 0;
	for (size_t i = 0; i < nvals; i++) {
		sqlite3_bind_int64(q, 1, vals[i]);
		sqlite3_bind_int64(q, 2, lo);
		sqlite3_bind_int64(q, 3, hi);
		while (sqlite3_step(q) == SQLITE_ROW) {
			assert_true(n < cap);
			out[n++] =
				(struct pivot_entry){ sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1) };
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	qsort(out, n, sizeof *out, ent_cmp);
	return n;
}

/* Every value of every column: its list (joined on events, as readers
 * do), both orders, a time range, its count; and values two at a time;
 * returns how many values were checked. */
static int check_case(sqlite3 *db)
{
	struct pivot_entry *want = malloc(2 * NREC * sizeof *want);
	static const char *const join = "SELECT m.ts, m.id FROM pivot_rows(?1, ?2) m CROSS JOIN events e"
					" ON e.id = m.id AND e.ts = m.ts ORDER BY m.ts, m.id";
	static const char *const join_desc = "SELECT m.ts, m.id FROM pivot_rows(?1, ?2) m CROSS JOIN events e"
					     " ON e.id = m.id AND e.ts = m.ts ORDER BY m.ts DESC, m.id DESC";
	static const char *const range = "SELECT m.ts, m.id FROM pivot_rows(?1, ?2) m CROSS JOIN events e"
					 " ON e.id = m.id AND e.ts = m.ts WHERE m.ts >= ?3 AND m.ts <= ?4"
					 " ORDER BY m.ts, m.id";
	int64_t tmin = one_int(db, "SELECT min(ts) FROM events"),
		tmax = one_int(db, "SELECT max(ts) FROM events");
	int64_t tsv[2] = { tmin + (tmax - tmin) / 3, tmin + (tmax - tmin) / 2 };
	int checked = 0;
	for (int col = 0; col < PIVOT_NCOL; col++) {
		/* every event's entry once, the stale ones counted gone:
		 * nothing missing, nothing of an event never committed */
		char *tot = xasprintf("SELECT (SELECT coalesce(sum(n), 0) FROM pivots WHERE col = %d)"
				      " + (SELECT count(*) FROM pivot_ones_each(%d))"
				      " - (SELECT coalesce(sum(n), 0) FROM pivot_gone WHERE col = %d)"
				      " - (SELECT count(%s) FROM events)",
				      col, col, col, col_name[col]);
		assert_int_equal(one_int(db, tot), 0);
		free(tot);
		char *sql = xasprintf("SELECT DISTINCT %s FROM events WHERE %s IS NOT NULL ORDER BY 1",
				      col_name[col], col_name[col]);
		sqlite3_stmt *vq;
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &vq, NULL), SQLITE_OK);
		free(sql);
		int64_t prev = 0;
		while (sqlite3_step(vq) == SQLITE_ROW) {
			int64_t v = sqlite3_column_int64(vq, 0);
			size_t n = events_of(db, col, &v, 1, INT64_MIN, INT64_MAX, want, 2 * NREC);
			expect_rows(db, join, col, &v, 1, NULL, 0, want, n, false);
			expect_rows(db, join_desc, col, &v, 1, NULL, 0, want, n, true);
			int64_t c;
			assert_int_equal(sqlite_pivot_count(db, col, &v, 1, &c), 0);
			assert_int_equal(c, n);
			n = events_of(db, col, &v, 1, tsv[0], tsv[1], want, 2 * NREC);
			expect_rows(db, range, col, &v, 1, tsv, 2, want, n, false);
			if (prev) {
				int64_t two[2] = { prev, v };
				n = events_of(db, col, two, 2, INT64_MIN, INT64_MAX, want, 2 * NREC);
				expect_rows(db, join, col, two, 2, NULL, 0, want, n, false);
			}
			prev = v;
			checked++;
		}
		sqlite3_finalize(vq);
	}
	free(want);
	return checked;
}

/* The chunks built from the events (the conversion's builder) */
static void test_case_built(void **state)
{
	struct lcase *c = *state;
	sqlite3 *db = store_db(c->st);
	char *cause = NULL;
	assert_int_equal(sqlite3_exec(db, "BEGIN; DELETE FROM pivots; DELETE FROM pivot_gone", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(pivots_build(db, &cause), 0);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_true(one_int(db, "SELECT count(*) FROM pivot_ones") > 0);
	assert_int_equal(one_int(db, "SELECT (SELECT sum(n) FROM pivots) + (SELECT total(n) FROM pivot_ones)"),
			 one_int(db, "SELECT count(user) + count(app) + count(ip) + count(op) + count(session)"
				     " FROM events"));
	assert_true(check_case(db) > 900);
	/* an event deleted (as a richer copy's replace does) and its values
	 * gone: its entries are stale, the join and the counts leave it out */
	assert_int_equal(sqlite3_exec(db,
				      "BEGIN;"
				      "INSERT INTO pivot_gone(col, val, n) SELECT c, v, 1 FROM ("
				      " SELECT 0 c, user v FROM events WHERE id = 10 UNION ALL"
				      " SELECT 1, app FROM events WHERE id = 10 UNION ALL"
				      " SELECT 2, ip FROM events WHERE id = 10 UNION ALL"
				      " SELECT 3, op FROM events WHERE id = 10 UNION ALL"
				      " SELECT 4, session FROM events WHERE id = 10) WHERE v IS NOT NULL"
				      " ON CONFLICT(col, val) DO UPDATE SET n = n + 1;"
				      "DELETE FROM events WHERE id = 10; COMMIT",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_true(check_case(db) > 900);
}

/* A case of schema 10 gets its lists on its first writable open; opened
 * read-only it builds them in temp, the file untouched. */
static void test_case_converted(void **state)
{
	struct lcase *c = *state;
	sqlite3 *db = store_db(c->st);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE pivots; DROP TABLE pivot_gone; DROP TABLE pivot_ones;"
				      " PRAGMA user_version = 10",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(c->st);
	char *cause = NULL;
	/* read-only first */
	assert_int_equal(store_open(c->path, STORE_READONLY, &c->st, &cause), 0);
	db = store_db(c->st);
	assert_int_equal(one_int(db, "SELECT user_version FROM pragma_user_version"), 10);
	assert_int_equal(one_int(db, "SELECT count(*) FROM main.sqlite_schema WHERE name = 'pivots'"), 0);
	assert_true(check_case(db) > 900);
	store_close(c->st);
	assert_int_equal(store_open(c->path, 0, &c->st, &cause), 0);
	db = store_db(c->st);
	assert_int_equal(one_int(db, "SELECT user_version FROM pragma_user_version"), 17);
	assert_true(one_int(db, "SELECT count(*) FROM pivots") > 900);
	assert_true(check_case(db) > 900);
}

/*
 * A case of schema 15 has no pivot_ones: a session alone in a window has
 * a chunk row of one entry. Made here from the case by unpacking its
 * packed entries into such rows; read as it is, read-only (an empty
 * pivot_ones in temp) and once opened for writing (schema 16, its rows
 * untouched), and appended to (new entries packed beside the old rows):
 * every list, order and count as SQLite's answer over events.
 */
static void test_case_schema15(void **state)
{
	struct lcase *c = *state;
	sqlite3 *db = store_db(c->st);
	int64_t packed = one_int(db, "SELECT count(*) FROM pivot_ones_each(4)");
	assert_true(packed > 500);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *q, *ins;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT val, ts, id FROM pivot_ones_each(4)", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO pivots VALUES(4, ?1, ?2, 1, ?3, ?3, ?4)", -1,
					    &ins, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct pivot_entry e = { sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2) };
		unsigned char b[PIVOT_ENTRY_MAX];
		size_t len = pivot_encode(&e, 1, b);
		sqlite3_bind_int64(ins, 1, sqlite3_column_int64(q, 0));
		sqlite3_bind_int64(ins, 2, e.id);
		sqlite3_bind_int64(ins, 3, e.ts);
		sqlite3_bind_blob(ins, 4, b, (int)len, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE pivot_ones; PRAGMA user_version = 15; COMMIT", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	store_close(c->st);
	char *cause = NULL;
	assert_int_equal(store_open(c->path, STORE_READONLY, &c->st, &cause), 0);
	db = store_db(c->st);
	assert_int_equal(one_int(db, "SELECT user_version FROM pragma_user_version"), 15);
	assert_int_equal(one_int(db, "SELECT count(*) FROM main.sqlite_schema WHERE name = 'pivot_ones'"), 0);
	assert_true(check_case(db) > 900);
	store_close(c->st);
	assert_int_equal(store_open(c->path, 0, &c->st, &cause), 0);
	db = store_db(c->st);
	assert_int_equal(one_int(db, "SELECT user_version FROM pragma_user_version"), 17);
	assert_int_equal(one_int(db, "SELECT count(*) FROM pivot_ones"), 0);
	assert_int_equal(one_int(db, "SELECT count(*) FROM pivots WHERE col = 4 AND n = 1"), packed);
	assert_true(check_case(db) > 900);
	/* an append: its own sessions alone in their window packed, the
	 * old ones' entries beside their rows */
	struct util_buf b = { 0 };
	records(&b, NREC, NREC + 2000);
	load_file(c->st, c->dir, "b.jsonl", &b);
	assert_true(one_int(db, "SELECT count(*) FROM pivot_ones") > 0);
	assert_true(check_case(db) > 1400);
}

/* The plan of a reader's statement names the pivots' covering index */
static void expect_covering(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	char *plan = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(sqlite3_prepare_v2(db, plan, -1, &q, NULL), SQLITE_OK);
	free(plan);
	bool covering = false;
	while (sqlite3_step(q) == SQLITE_ROW)
		covering |= strstr((const char *)sqlite3_column_text(q, 3), "USING COVERING INDEX") != NULL;
	sqlite3_finalize(q);
	if (!covering)
		fail_msg("not from the covering index: %s", sql);
}

static bool without_rowid(sqlite3 *db)
{
	return one_int(db, "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_schema WHERE name = 'pivots'");
}

/*
 * The pivots' two layouts (pivots.h): a case made now has the rowid
 * table and its covering index, which the readers' heads, counts and
 * stacks read alone; a case of the WITHOUT ROWID table made before reads
 * the same, keeps its layout when opened for writing and appended to,
 * and every list, order and count is SQLite's answer over events.
 */
static void test_case_layouts(void **state)
{
	struct lcase *c = *state;
	sqlite3 *db = store_db(c->st);
	assert_false(without_rowid(db));
	assert_int_equal(one_int(db, "SELECT count(*) FROM pragma_index_list('pivots') WHERE \"unique\""), 1);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info("
					    "(SELECT name FROM pragma_index_list('pivots'))) ORDER BY seqno)",
					    -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "col,val,seq,n,lo,hi");
	sqlite3_finalize(q);
	expect_covering(db, "SELECT col, val, seq, lo, hi, n FROM pivots WHERE (col, val) >= (?1, ?2)");
	expect_covering(db, "SELECT col, val, n, seq FROM pivots WHERE (col, val, seq) > (?1, ?2, ?3)");
	expect_covering(db, "SELECT val, sum(n) FROM pivots WHERE col = 0 GROUP BY val");
	expect_covering(db, "SELECT val FROM pivots WHERE col = 2 AND val > 0 ORDER BY val LIMIT 1");
	assert_true(check_case(db) > 900);
	/* the layout before, with the same chunks */
	assert_int_equal(sqlite3_exec(db,
				      "BEGIN; CREATE TABLE old(col INTEGER NOT NULL, val INTEGER NOT NULL,"
				      " seq INTEGER NOT NULL, n INTEGER NOT NULL, lo INTEGER NOT NULL,"
				      " hi INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(col, val, seq))"
				      " WITHOUT ROWID; INSERT INTO old SELECT col, val, seq, n, lo, hi, data"
				      " FROM pivots; DROP TABLE pivots; ALTER TABLE old RENAME TO pivots; COMMIT",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_true(without_rowid(db));
	assert_true(check_case(db) > 900);
	store_close(c->st);
	char *cause = NULL;
	assert_int_equal(store_open(c->path, 0, &c->st, &cause), 0);
	db = store_db(c->st);
	assert_true(without_rowid(db));
	struct util_buf b = { 0 };
	records(&b, NREC, NREC + 2000);
	load_file(c->st, c->dir, "b.jsonl", &b);
	assert_true(without_rowid(db));
	assert_int_equal(one_int(db, "SELECT count(*) FROM pragma_index_list('pivots')"), 1); /* its key's */
	assert_true(check_case(db) > 1400);
}

/*
 * The readers outside pivots.c of a packed column's lists: the filter
 * compiler's counts (session= alone, with a user, two sessions) and the
 * stack of sessions under no filter (its counts from the lists), against
 * SQLite's answer over events; a session of a chunk row and one packed.
 */
static void test_case_packed_readers(void **state)
{
	struct lcase *c = *state;
	sqlite3 *db = store_db(c->st);
	assert_true(one_int(db, "SELECT count(*) FROM pivot_ones_each(4)") > 500);
	static const char *const sess[] = { "f-1", "f-2001", "s-7", "s-799", "f-3997" };
	char *cause = NULL;
	/* the compiler's count of a session's events (the driving list's,
	 * of two terms, before any page read its rows): its packed entry */
	struct filter *fl = filter_parse("session=f-1 user=dense@contoso.com", &cause);
	assert_non_null(fl);
	struct filter_sql fs;
	assert_int_equal(filter_compile(fl, c->st, 0, &fs, &cause), 0);
	assert_int_equal(fs.drive_n, 1);
	filter_sql_clear(&fs);
	filter_free(fl);
	for (size_t i = 0; i < sizeof sess / sizeof sess[0]; i++) {
		char *f = xasprintf("session=%s", sess[i]);
		char *sql =
			xasprintf("SELECT count(*) FROM events e JOIN vals v ON v.id = e.session WHERE v.v = '%s'",
				  sess[i]);
		int64_t want = one_int(db, sql);
		assert_true(want > 0);
		assert_int_equal(query_count_text(c->st, f, &cause), want);
		free(f);
		free(sql);
		f = xasprintf("session=%s user=dense@contoso.com", sess[i]);
		sql = xasprintf("SELECT count(*) FROM events e JOIN vals v ON v.id = e.session JOIN vals u ON u.id = e.user"
				" WHERE v.v = '%s' AND u.v = 'dense@contoso.com'",
				sess[i]);
		assert_int_equal(query_count_text(c->st, f, &cause), one_int(db, sql));
		free(f);
		free(sql);
	}
	assert_int_equal(query_count_text(c->st, "session=f-1 or session=s-7", &cause),
			 one_int(db, "SELECT count(*) FROM events e JOIN vals v ON v.id = e.session"
				     " WHERE v.v IN ('f-1', 's-7')"));
	struct query *q;
	assert_int_equal(query_new(c->st, "", &q, &cause), 0);
	struct stack st = { 0 };
	assert_int_equal(stack_counts(q, "session", &st, &cause), 0);
	int64_t nvals = one_int(db, "SELECT count(DISTINCT session) FROM events");
	assert_int_equal((int64_t)st.n, nvals);
	sqlite3_stmt *cq;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM events e JOIN vals v ON v.id = e.session"
					    " WHERE v.v = ?1",
					    -1, &cq, NULL),
			 SQLITE_OK);
	int64_t total = 0;
	for (size_t i = 0; i < st.n; i++) {
		assert_non_null(st.rows[i].value);
		sqlite3_bind_text(cq, 1, st.rows[i].value, -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(cq), SQLITE_ROW);
		assert_int_equal(st.rows[i].events, sqlite3_column_int64(cq, 0));
		sqlite3_reset(cq);
		total += st.rows[i].events;
	}
	sqlite3_finalize(cq);
	assert_int_equal(total, one_int(db, "SELECT count(session) FROM events"));
	stack_clear(&st);
	query_free(q);
}

/* ---- the load's writer ---- */

/* The event makers below write each field's text at p in turn: */
#define PUT(field, ...)                                   \
	do {                                              \
		int n_ = sprintf(p, __VA_ARGS__);         \
		ev->field = (struct sv){ p, (size_t)n_ }; \
		p += n_ + 1;                              \
	} while (0)

/* Event i of the writer's tests: every field from i; rich adds an IP
 * (the copy that replaces one without). */
static void writer_event(struct event *ev, int i, bool rich, char *buf)
{
	memset(ev, 0, sizeof *ev);
	char *p = buf;
	PUT(record_id, "rec-%06d", i);
	/* times in runs going down and up (a newest-first export) */
	ev->ts = 1686909600000LL + (i / 100 % 2 ? -i : i) * 1000LL;
	PUT(op, "%s", i % 4 ? "MailItemsAccessed" : "Send");
	if (i % 10)
		PUT(user, "user%d@contoso.com", i % 10 == 1 ? i % 3 : 7);
	PUT(app, "app-%d", i % 3);
	if (rich || i % 2)
		PUT(ip, "10.0.0.%d", i % 29);
	PUT(session, "sess-%d", i / 4);
	PUT(raw, "{\"Id\":\"rec-%06d\",\"n\":%d}", i, rich);
	ev->op_count = -1;
	ev->line = (uint64_t)i + 1;
}

typedef void event_fn(struct event *ev, int i, bool rich, char *buf);

/* Load events from..to-1 made by make as source name (rich: the richer
 * copies), the window made small so that every value has many chunks. */
static void load_events(struct store *st, const char *name, int from, int to, bool rich, size_t window,
			event_fn *make)
{
	char *cause = NULL;
	struct store_load *ld = store_load_begin(st, &cause);
	assert_non_null(ld);
	if (window) {
		/* (the writer is idle until the first batch) */
		pivot_window_free(((struct sqlite_load *)ld)->pv);
		((struct sqlite_load *)ld)->pv = pivot_window_new(window);
	}
	store_load_set_batch(ld, 333);
	assert_int_equal(store_load_source(ld, name, 100, &cause), 0);
	struct sink sk;
	store_load_sink(ld, &sk);
	char buf[512];
	for (int i = from; i < to; i++) {
		struct event ev;
		make(&ev, i, rich, buf);
		assert_int_equal(sk.event(sk.ctx, &ev, &cause), 0);
	}
	assert_int_equal(store_load_source_end(ld, "ab", "test", "utf-8", "complete", NULL, &cause), 0);
	assert_int_equal(store_load_end(ld, &cause), 0);
}

static void writer_load(struct store *st, const char *name, int from, int to, bool rich, size_t window)
{
	load_events(st, name, from, to, rich, window, writer_event);
}

/* The test's case emptied: closed, removed and created again */
static sqlite3 *fresh_case(struct lcase *c)
{
	store_close(c->st);
	unlink(c->path);
	char *cause = NULL;
	assert_int_equal(store_open(c->path, STORE_CREATE, &c->st, &cause), 0);
	return store_db(c->st);
}

/* The writer's own chunks: every event's values, across commits and
 * windows, an append, duplicates only seen and richer copies replacing
 * (their old entries gone). */
static void test_writer(void **state)
{
	struct lcase *c = *state;
	sqlite3 *db = fresh_case(c);
	writer_load(c->st, "a.json", 0, 3000, false, 16);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events"), 3000);
	assert_true(one_int(db, "SELECT count(DISTINCT seq) FROM pivots") > 100);
	assert_int_equal(one_int(db, "SELECT count(*) FROM pivot_gone"), 0);
	check_case(db);
	/* the same records again from the same source's copy: duplicates */
	writer_load(c->st, "a2.json", 1000, 2000, false, 0);
	assert_int_equal(one_int(db, "SELECT count(*) FROM pivot_gone"), 0);
	/* richer copies (an IP where the first had none) replace, and new
	 * events come after */
	writer_load(c->st, "b.json", 2500, 4000, true, 25);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events"), 4000);
	/* the 250 of 2500..2999 without an IP replaced: their user (but
	 * for every fifth), app, op and session entries gone */
	assert_int_equal(one_int(db, "SELECT sum(n) FROM pivot_gone"), 200 * 4 + 50 * 3);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events WHERE id > 3000"), 1250);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events WHERE id <= 3000 AND ip IS NULL"), 1250);
	check_case(db);
}

/* An inserter of test_window_inserter: each call's rows into its db,
 * one statement each, and what the calls were. */
struct ins_log {
	sqlite3 *db;
	size_t calls, most_rows, most_bytes;
};

static int log_insert(void *ctx, const struct pivot_chunk *c, size_t n, char **cause)
{
	(void)cause;
	struct ins_log *l = ctx;
	l->calls++;
	size_t bytes = 0;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(l->db, "INSERT INTO pivots VALUES(?, ?, ?, ?, ?, ?, ?)", -1, &q,
					    NULL),
			 SQLITE_OK);
	for (size_t i = 0; i < n; i++) {
		const int64_t v[6] = { c[i].col, c[i].val, c[i].seq, c[i].n, c[i].lo, c[i].hi };
		for (int k = 0; k < 6; k++)
			sqlite3_bind_int64(q, k + 1, v[k]);
		sqlite3_bind_blob(q, 7, c[i].data, (int)c[i].len, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(q), SQLITE_DONE);
		sqlite3_reset(q);
		bytes += c[i].len;
	}
	sqlite3_finalize(q);
	if (n > l->most_rows)
		l->most_rows = n;
	if (bytes > l->most_bytes)
		l->most_bytes = bytes;
	return 0;
}

/* The pivots rows of to are those of from, to the byte (copied into a
 * table of to's, then compared both ways by count and EXCEPT). */
static void assert_same_pivots(sqlite3 *from, sqlite3 *to)
{
	assert_int_equal(sqlite3_exec(to,
				      "ATTACH ':memory:' AS o; CREATE TABLE o.p(col, val, seq, n, lo, hi, data)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_stmt *q, *ins;
	assert_int_equal(sqlite3_prepare_v2(from, "SELECT * FROM pivots", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(to, "INSERT INTO o.p VALUES(?, ?, ?, ?, ?, ?, ?)", -1, &ins, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		for (int k = 0; k < 7; k++)
			sqlite3_bind_value(ins, k + 1, sqlite3_column_value(q, k));
		assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	assert_int_equal(one_int(to, "SELECT count(*) FROM o.p"), one_int(to, "SELECT count(*) FROM pivots"));
	assert_int_equal(one_int(to,
				 "SELECT count(*) FROM (SELECT * FROM o.p EXCEPT SELECT * FROM main.pivots)"),
			 0);
	/* and the packed entries, row for row */
	assert_int_equal(sqlite3_exec(to, "CREATE TABLE o.o(col, grp, seq, n, data)", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(from, "SELECT * FROM pivot_ones", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(to, "INSERT INTO o.o VALUES(?, ?, ?, ?, ?)", -1, &ins, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		for (int k = 0; k < 5; k++)
			sqlite3_bind_value(ins, k + 1, sqlite3_column_value(q, k));
		assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	assert_int_equal(one_int(to, "SELECT count(*) FROM o.o"),
			 one_int(to, "SELECT count(*) FROM pivot_ones"));
	assert_int_equal(one_int(to,
				 "SELECT count(*) FROM (SELECT * FROM o.o EXCEPT SELECT * FROM main.pivot_ones)"),
			 0);
}

/* The load's writer hands a window's chunks to an inserter (load_rows)
 * many at a time: a window of more chunks than PIVOT_INSERT_ROWS and
 * more data than PIVOT_INSERT_BYTES goes in several calls, and the rows
 * are those of a flush one statement a chunk, to the byte. */
static void test_window_inserter(void **state)
{
	(void)state;
	enum { N = 20000 };
	sqlite3 *dbs[2] = { mem_db(), mem_db() };
	struct ins_log log = { .db = dbs[1] };
	for (int k = 0; k < 2; k++) {
		struct pivot_window *w = pivot_window_new(N);
		if (k)
			pivot_window_set_insert(w, log_insert, &log);
		for (int64_t id = 1; id <= N; id++) {
			int64_t ts = 1700000000000 + id / 3 * 1000;
			pivot_window_add(w, PIVOT_OP, 1 + id % 2, ts, id); /* two busy values */
			pivot_window_add(w, PIVOT_SESSION, 100 + id / 4, ts, id);
			pivot_window_add(w, PIVOT_IP, 100000 + id, ts, id); /* one each */
		}
		char *cause = NULL;
		assert_int_equal(pivot_window_flush(w, dbs[k], &cause), 0);
		pivot_window_free(w);
	}
	assert_true(one_int(dbs[0], "SELECT count(*) FROM pivots") > PIVOT_INSERT_ROWS);
	assert_true(one_int(dbs[0], "SELECT sum(length(data)) FROM pivots") > (int64_t)PIVOT_INSERT_BYTES);
	assert_true(log.calls > 1);
	assert_true(log.most_rows <= PIVOT_INSERT_ROWS);
	assert_true(log.most_bytes < PIVOT_INSERT_BYTES + PIVOT_CHUNK_BYTES);
	assert_same_pivots(dbs[0], dbs[1]);
	sqlite3_close(dbs[0]);
	sqlite3_close(dbs[1]);
}

/* Window k's entries (ids k * N + 1 ...) into w: busy values, a value
 * whose entries take more than one chunk, and one an event. */
static void sealed_adds(struct pivot_window *w, int k, sqlite3 *pace_db)
{
	enum { N = 5000 };
	char *cause = NULL;
	for (int64_t id = k * N + 1; id <= (k + 1) * N; id++) {
		int64_t ts = 1700000000000 + id / 3 * 1000;
		pivot_window_add(w, PIVOT_OP, 1 + id % 3, ts, id);
		pivot_window_add(w, PIVOT_USER, 1 + id % 97, ts, id);
		pivot_window_add(w, PIVOT_SESSION, 100000 + id, ts, id);
		if (pace_db)
			assert_int_equal(pivot_window_pace(w, pace_db, &cause), 0);
	}
}

/* A window sealed and written a piece at a time beside the next one's
 * events (the load's writer) gives the rows of windows flushed whole,
 * to the byte; its entries count as held until written. */
static void test_window_sealed(void **state)
{
	(void)state;
	sqlite3 *dbs[2] = { mem_db(), mem_db() };
	char *cause = NULL;
	struct pivot_window *w = pivot_window_new(5000);
	for (int k = 0; k < 2; k++) {
		sealed_adds(w, k, NULL);
		assert_int_equal(pivot_window_flush(w, dbs[0], &cause), 0);
	}
	pivot_window_free(w);
	w = pivot_window_new(5000);
	pivot_window_set_insert(w, log_insert, &(struct ins_log){ .db = dbs[1] });
	sealed_adds(w, 0, dbs[1]);
	assert_int_equal(pivot_window_len(w), 15000);
	assert_int_equal(pivot_window_seal(w, dbs[1], &cause), 0);
	assert_int_equal(pivot_window_len(w), 15000); /* sealed, none written yet */
	assert_int_equal(one_int(dbs[1], "SELECT count(*) FROM pivots"), 0);
	/* written by a quarter of the next window */
	sealed_adds(w, 1, dbs[1]);
	assert_int_equal(pivot_window_len(w), 15000);
	assert_int_equal(one_int(dbs[1],
				 "SELECT (SELECT sum(n) FROM pivots) + (SELECT total(n) FROM pivot_ones)"),
			 15000);
	assert_int_equal(pivot_window_flush(w, dbs[1], &cause), 0);
	assert_int_equal(pivot_window_len(w), 0);
	pivot_window_free(w);
	/* (an operation's entries of a window in more than one chunk) */
	assert_true(one_int(dbs[1], "SELECT count(*) FROM pivots WHERE col = 3") > 2 * 3);
	assert_same_pivots(dbs[0], dbs[1]);
	sqlite3_close(dbs[0]);
	sqlite3_close(dbs[1]);
}

/* One call an event (pivot_window_add_event, the load's writer) gives
 * the rows of one call a column, to the byte: columns without a value,
 * events without any, and the events past a full window drop the same
 * entries. */
static void test_window_add_event(void **state)
{
	(void)state;
	enum { N = 6000, CAP = 5000 };
	sqlite3 *dbs[2] = { mem_db(), mem_db() };
	for (int k = 0; k < 2; k++) {
		struct pivot_window *w = pivot_window_new(CAP);
		for (int64_t id = 1; id <= N; id++) {
			int64_t ts = 1700000000000 + id / 3 * 1000;
			int64_t v[PIVOT_NCOL] = { 1 + id % 97, id % 4 ? 7 : 0, id % 5 ? 100000 + id : 0,
						  1 + id % 3, id % 11 ? 200000 + id : 0 };
			if (id % 13 == 0)
				memset(v, 0, sizeof v); /* none: no entry, no event */
			if (k)
				pivot_window_add_event(w, v, ts, id);
			else
				for (int c = 0; c < PIVOT_NCOL; c++)
					pivot_window_add(w, c, v[c], ts, id);
		}
		char *cause = NULL;
		assert_int_equal(pivot_window_flush(w, dbs[k], &cause), 0);
		pivot_window_free(w);
	}
	assert_true(one_int(dbs[0], "SELECT count(*) FROM pivots") > 0);
	assert_same_pivots(dbs[0], dbs[1]);
	sqlite3_close(dbs[0]);
	sqlite3_close(dbs[1]);
}

/* Event i of test_writer_batch_values: a few values that repeat within
 * every batch, and every 100th an administrative record (held back to
 * the commit, out of its batch) with values of its own in the same
 * fields. */
static void repeat_event(struct event *ev, int i, bool rich, char *buf)
{
	(void)rich;
	memset(ev, 0, sizeof *ev);
	char *p = buf;
	PUT(record_id, "rec-%06d", i);
	ev->ts = 1686909600000LL + i * 1000LL;
	if (i % 100) {
		PUT(op, "op-%d", i % 3);
		PUT(user, "u%d", i % 7);
		PUT(app, "app-%d", i % 5);
	} else {
		PUT(rtype, "ExchangeAdmin");
		PUT(op, "Set-Mailbox-%d", i);
		PUT(user, "adm%d", i);
		PUT(app, "app-%d", i % 5);
	}
	PUT(raw, "{\"Id\":\"rec-%06d\"}", i);
	ev->op_count = -1;
	ev->line = (uint64_t)i + 1;
}

/* The writer looks each distinct value up once a batch (load_batch.c's
 * vals): every event names its own values, those held back to the
 * commit included (their batch gone by then). */
static void test_writer_batch_values(void **state)
{
	struct lcase *c = *state;
	sqlite3 *db = fresh_case(c);
	/* (commits inside batches: the held-back records written there) */
	load_events(c->st, "a.json", 0, 3 * BATCH_ITEMS + 100, false, 0, repeat_event);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events"), 3 * BATCH_ITEMS + 100);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events e JOIN vals u ON u.id = e.user"
				     " JOIN vals o ON o.id = e.op JOIN vals a ON a.id = e.app WHERE"
				     " CASE WHEN (e.line - 1) % 100 THEN u.v = 'u' || ((e.line - 1) % 7)"
				     "  AND o.v = 'op-' || ((e.line - 1) % 3)"
				     " ELSE u.v = 'adm' || (e.line - 1) AND o.v = 'Set-Mailbox-' || (e.line - 1) END"
				     " AND a.v = 'app-' || ((e.line - 1) % 5)"),
			 3 * BATCH_ITEMS + 100);
	/* each value once */
	assert_int_equal(one_int(db, "SELECT count(*) FROM vals"),
			 one_int(db, "SELECT count(DISTINCT v) FROM vals"));
}

/* test_writer_killed's load: a window of 13 chunks, 1,050 events */
static void small_window(struct store_load *ld, void *ctx)
{
	(void)ctx;
	pivot_window_free(((struct sqlite_load *)ld)->pv);
	((struct sqlite_load *)ld)->pv = pivot_window_new(13);
}

static void feed_1050(struct sink *sk, void *ctx)
{
	(void)ctx;
	char buf[512];
	char *cause = NULL;
	for (int i = 0; i < 1050; i++) {
		struct event ev;
		writer_event(&ev, i, false, buf);
		assert_int_equal(sk->event(sk->ctx, &ev, &cause), 0);
	}
}

/* Killed mid-load: what was committed has its entries, nothing more;
 * the rerun completes the lists. */
static void test_writer_killed(void **state)
{
	struct lcase *c = *state;
	store_close(c->st);
	c->st = NULL;
	unlink(c->path);
	/* written, the last 26 in the open transaction (and some of their
	 * entries in chunks of it): a window of 13 is always about full, so
	 * the writer commits at each of its looks, every 64 events
	 * (load_yield), before the batch's 100 */
	load_kill_run(
		&(struct load_kill){ c->path, STORE_CREATE, 100, "a.json", small_window, feed_1050, NULL });
	char *cause = NULL;
	assert_int_equal(store_open(c->path, 0, &c->st, &cause), 0);
	sqlite3 *db = store_db(c->st);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events"), 1024);
	check_case(db);
	writer_load(c->st, "a.json", 0, 1500, true, 0);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events"), 1500);
	check_case(db);
}

/* ---- intersections: pivot_and ---- */

/* Event i of the intersection case: times drawn over 3,000 seconds
 * whatever the load (so that the chunks of different loads interleave,
 * with ties), values of every rarity in each column; rich adds an IP
 * where the first copy had none (a richer copy: the first is replaced
 * and its entries gone). */
static void and_event(struct event *ev, int i, bool rich, char *buf)
{
	memset(ev, 0, sizeof *ev);
	char *p = buf;
	uint64_t h = (uint64_t)i * 0x9E3779B97F4A7C15ull;
	PUT(record_id, "and-%06d", i);
	ev->ts = 1686909600000LL + (int64_t)((h >> 40) % 3000) * 1000LL;
	PUT(op, "%s", i % 4 ? "MailItemsAccessed" : "Send");
	if (i % 29 == 0)
		PUT(user, "rare@contoso.com");
	else
		PUT(user, "u%d@contoso.com", (int)(h >> 8 & 0xff) % 3);
	if ((h >> 16 & 0xff) % 5 == 0)
		PUT(app, "app-x");
	else
		PUT(app, "app-%d", (int)(h >> 20 & 0xff) % 2);
	if (rich || i % 3)
		PUT(ip, "10.0.0.%d", (int)(h >> 28 & 0xff) % 5);
	PUT(session, "sess-%d", i / 40);
	PUT(raw, "{\"Id\":\"and-%06d\",\"n\":%d}", i, rich);
	ev->op_count = -1;
	ev->line = (uint64_t)i + 1;
}

/* A term: a column and its value ids. */
struct and_term {
	int col;
	int64_t v[2];
	size_t n;
};

/* terms as pivot_and takes them (the caller frees) */
static unsigned char *terms_blob(const struct and_term *t, size_t nt, int *len)
{
	size_t n = 0;
	for (size_t i = 0; i < nt; i++)
		n += 2 + t[i].n;
	unsigned char *b = malloc(n * 8);
	int64_t *w = malloc(n * sizeof *w);
	size_t k = 0;
	for (size_t i = 0; i < nt; i++) {
		w[k++] = t[i].col;
		w[k++] = (int64_t)t[i].n;
		for (size_t j = 0; j < t[i].n; j++)
			w[k++] = t[i].v[j];
	}
	vals_blob(w, n, b);
	free(w);
	*len = (int)(n * 8);
	return b;
}

/* The (ts, id) of sql, bound to the terms' blob (?1) and lo, hi (?2,
 * ?3), against want (reversed when desc), at most limit (?4; < 0: all);
 * lead (>= 0) is ?5. */
static void expect_and(sqlite3 *db, const char *sql, const struct and_term *t, size_t nt, int64_t lo,
		       int64_t hi, const struct pivot_entry *want, size_t nwant, bool desc, int limit, int lead)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	int len;
	unsigned char *blob = terms_blob(t, nt, &len);
	sqlite3_bind_blob(q, 1, blob, len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, lo);
	sqlite3_bind_int64(q, 3, hi);
	if (limit >= 0)
		sqlite3_bind_int(q, 4, limit);
	if (lead >= 0)
		sqlite3_bind_int(q, 5, lead);
	size_t expect = limit >= 0 && (size_t)limit < nwant ? (size_t)limit : nwant;
	size_t k = 0;
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		if (k >= expect)
			fail_msg("%s: more than %zu rows", sql, expect);
		const struct pivot_entry *w = &want[desc ? nwant - 1 - k : k];
		if (sqlite3_column_int64(q, 0) != w->ts || sqlite3_column_int64(q, 1) != w->id)
			fail_msg("%s: row %zu is (%lld, %lld), want (%lld, %lld)", sql, k,
				 (long long)sqlite3_column_int64(q, 0), (long long)sqlite3_column_int64(q, 1),
				 (long long)w->ts, (long long)w->id);
		k++;
	}
	if (r != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (k != expect)
		fail_msg("%s: %zu rows, want %zu", sql, k, expect);
	sqlite3_finalize(q);
	free(blob);
}

/* Brute force over events: the (ts, id) of the events every term
 * matches, in [lo, hi], sorted. */
static size_t and_events(sqlite3 *db, const struct and_term *t, size_t nt, int64_t lo, int64_t hi,
			 struct pivot_entry *out, size_t cap)
{
	struct util_buf b = { 0 };
	util_buf_puts(&b, "SELECT ts, id FROM events WHERE ts >= ?1 AND ts <= ?2");
	for (size_t i = 0; i < nt; i++) {
		util_buf_printf(&b, " AND %s IN (", col_name[t[i].col]);
		for (size_t j = 0; j < t[i].n; j++)
			util_buf_printf(&b, "%s%lld", j ? ", " : "", (long long)t[i].v[j]);
		util_buf_puts(&b, ")");
	}
	util_buf_puts(&b, " ORDER BY ts, id");
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, b.p, -1, &q, NULL), SQLITE_OK);
	free(b.p);
	sqlite3_bind_int64(q, 1, lo);
	sqlite3_bind_int64(q, 2, hi);
	size_t n = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		assert_true(n < cap);
		out[n++] = (struct pivot_entry){ sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1) };
	}
	sqlite3_finalize(q);
	return n;
}

/* Brute force over the lists themselves (every chunk decoded here, the
 * entries of events gone too): the entries every term's list holds, in
 * [lo, hi], sorted. */
static size_t and_lists(sqlite3 *db, const struct and_term *t, size_t nt, int64_t lo, int64_t hi,
			struct pivot_entry *out, size_t cap)
{
	struct pivot_entry *acc = NULL, *cur = malloc(cap * sizeof *cur), *e = malloc(cap * sizeof *e);
	size_t nacc = 0;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT n, lo, data FROM pivots WHERE col = ?1 AND val = ?2",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_stmt *pq;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT ts, id FROM pivot_ones_each(?1) WHERE val = ?2", -1,
					    &pq, NULL),
			 SQLITE_OK);
	for (size_t i = 0; i < nt; i++) {
		size_t ncur = 0;
		for (size_t j = 0; j < t[i].n; j++) {
			if (j && t[i].v[j] == t[i].v[0])
				continue;
			sqlite3_bind_int(q, 1, t[i].col);
			sqlite3_bind_int64(q, 2, t[i].v[j]);
			while (sqlite3_step(q) == SQLITE_ROW) {
				size_t n = (size_t)sqlite3_column_int64(q, 0);
				assert_true(n <= cap);
				assert_int_equal(pivot_decode(sqlite3_column_blob(q, 2),
							      (size_t)sqlite3_column_bytes(q, 2), n,
							      sqlite3_column_int64(q, 1), e),
						 0);
				for (size_t k = 0; k < n; k++)
					if (e[k].ts >= lo && e[k].ts <= hi) {
						assert_true(ncur < cap);
						cur[ncur++] = e[k];
					}
			}
			sqlite3_reset(q);
			/* and its entries packed in pivot_ones */
			sqlite3_bind_int(pq, 1, t[i].col);
			sqlite3_bind_int64(pq, 2, t[i].v[j]);
			while (sqlite3_step(pq) == SQLITE_ROW) {
				struct pivot_entry x = { sqlite3_column_int64(pq, 0),
							 sqlite3_column_int64(pq, 1) };
				if (x.ts >= lo && x.ts <= hi) {
					assert_true(ncur < cap);
					cur[ncur++] = x;
				}
			}
			sqlite3_reset(pq);
		}
		qsort(cur, ncur, sizeof *cur, ent_cmp);
		if (i == 0) {
			acc = malloc((ncur ? ncur : 1) * sizeof *acc);
			memcpy(acc, cur, ncur * sizeof *cur);
			nacc = ncur;
			continue;
		}
		size_t m = 0;
		for (size_t a = 0, b = 0; a < nacc && b < ncur;) {
			int c = ent_cmp(&acc[a], &cur[b]);
			if (c == 0)
				acc[m++] = acc[a++], b++;
			else if (c < 0)
				a++;
			else
				b++;
		}
		nacc = m;
	}
	sqlite3_finalize(q);
	sqlite3_finalize(pq);
	assert_true(nacc <= cap);
	memcpy(out, acc, nacc * sizeof *acc);
	free(acc);
	free(cur);
	free(e);
	return nacc;
}

static int64_t val_id(sqlite3 *db, const char *v)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM vals WHERE v = ?1", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, v, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 987654321; /* none: no list */
	sqlite3_finalize(q);
	return id;
}

/* A random term: its column, one value or two (sometimes the same twice,
 * sometimes one nobody has) */
static void and_term_random(sqlite3 *db, struct and_term *t)
{
	static const char *const users[] = { "rare@contoso.com", "u0@contoso.com", "u1@contoso.com",
					     "u2@contoso.com" };
	static const char *const apps[] = { "app-x", "app-0", "app-1" };
	static const char *const ops[] = { "MailItemsAccessed", "Send" };
	char buf[64];
	int cols[] = { PIVOT_USER, PIVOT_USER, PIVOT_APP, PIVOT_APP,
		       PIVOT_IP,   PIVOT_IP,   PIVOT_OP,  PIVOT_SESSION };
	t->col = cols[rnd() % 8];
	t->n = 1 + (rnd() % 4 == 0);
	for (size_t j = 0; j < t->n; j++) {
		const char *v = buf;
		switch (t->col) {
		case PIVOT_USER: v = users[rnd() % 4]; break;
		case PIVOT_APP: v = apps[rnd() % 3]; break;
		case PIVOT_IP:
			snprintf(buf, sizeof buf, "10.0.0.%d", (int)(rnd() % 6));
			break; /* .5: nobody */
		case PIVOT_OP: v = ops[rnd() % 2]; break;
		default: snprintf(buf, sizeof buf, "sess-%d", (int)(rnd() % 100)); break;
		}
		t->v[j] = val_id(db, v);
	}
}

/* Random filters of 2 to 4 terms (repeated columns too) with and without
 * time bounds, each both ways, whole and cut short by a LIMIT: through
 * pivot_and joined to events against SQLite over events, and pivot_and
 * alone against the lists decoded and intersected here. Returns the
 * filters that matched something. */
static int and_random(sqlite3 *db, int rounds)
{
	enum { CAP = 20000 };
	struct pivot_entry *want = malloc(CAP * sizeof *want), *raw = malloc(CAP * sizeof *raw),
			   *first = malloc(CAP * sizeof *first), *seq = malloc(2 * CAP * sizeof *seq);
	static const char *const join[2] = {
		"SELECT m.ts, m.id FROM pivot_and(?1) m CROSS JOIN events e ON e.id = m.id AND e.ts = m.ts"
		" WHERE m.ts >= ?2 AND m.ts <= ?3 ORDER BY m.ts, m.id",
		"SELECT m.ts, m.id FROM pivot_and(?1) m CROSS JOIN events e ON e.id = m.id AND e.ts = m.ts"
		" WHERE m.ts >= ?2 AND m.ts <= ?3 ORDER BY m.ts DESC, m.id DESC",
	};
	static const char *const lim[2] = {
		"SELECT m.ts, m.id FROM pivot_and(?1) m CROSS JOIN events e ON e.id = m.id AND e.ts = m.ts"
		" WHERE m.ts >= ?2 AND m.ts <= ?3 ORDER BY m.ts, m.id LIMIT ?4",
		"SELECT m.ts, m.id FROM pivot_and(?1) m CROSS JOIN events e ON e.id = m.id AND e.ts = m.ts"
		" WHERE m.ts >= ?2 AND m.ts <= ?3 ORDER BY m.ts DESC, m.id DESC LIMIT ?4",
	};
	static const char *const alone[2] = {
		"SELECT ts, id FROM pivot_and(?1) WHERE ts BETWEEN ?2 AND ?3",
		"SELECT ts, id FROM pivot_and(?1) WHERE ts BETWEEN ?2 AND ?3 ORDER BY ts DESC, id DESC",
	};
	static const char *const led[2] = {
		"SELECT ts, id FROM pivot_and(?1, ?5) WHERE ts BETWEEN ?2 AND ?3",
		"SELECT ts, id FROM pivot_and(?1, ?5) WHERE ts BETWEEN ?2 AND ?3 ORDER BY ts DESC, id DESC",
	};
	int64_t t0 = 1686909600000LL, span = 3000 * 1000LL;
	int found = 0;
	for (int r = 0; r < rounds; r++) {
		struct and_term t[4];
		size_t nt = 2 + rnd() % 3;
		for (size_t i = 0; i < nt; i++)
			and_term_random(db, &t[i]);
		int64_t lo = INT64_MIN, hi = INT64_MAX;
		if (rnd() % 2)
			lo = t0 + (int64_t)(rnd() % 3000) * 1000;
		if (rnd() % 2)
			hi = t0 + (int64_t)(rnd() % 3000) * 1000 + (rnd() % 2 ? 0 : span / 10);
		size_t n = and_events(db, t, nt, lo, hi, want, CAP);
		size_t nraw = and_lists(db, t, nt, lo, hi, raw, CAP);
		assert_true(nraw >= n);
		found += n > 0;
		size_t n0 = and_lists(db, t, 1, lo, hi, first, CAP);
		for (int d = 0; d < 2; d++) {
			expect_and(db, join[d], t, nt, lo, hi, want, n, d, -1, -1);
			expect_and(db, lim[d], t, nt, lo, hi, want, n, d, (int)(rnd() % 40), -1);
			expect_and(db, alone[d], t, nt, lo, hi, raw, nraw, d, -1, -1);
			/* with a lead: the first list's first entries alone, then
			 * the intersection past them */
			size_t lead = rnd() % 40, k = 0;
			for (; k < lead && k < n0; k++)
				seq[k] = first[d ? n0 - 1 - k : k];
			for (size_t i = 0; i < nraw; i++) {
				const struct pivot_entry *e = &raw[d ? nraw - 1 - i : i];
				int c = k ? ent_cmp(e, &seq[k - 1]) : d ? -1 : 1;
				if (d ? c < 0 : c > 0)
					seq[k++] = *e;
			}
			expect_and(db, led[d], t, nt, lo, hi, seq, k, false, -1, (int)lead);
		}
	}
	free(want);
	free(raw);
	free(first);
	free(seq);
	return found;
}

/* The intersection on a case of three loads whose chunks interleave in
 * time (windows of 37, 23 and 17 events), the third of richer copies
 * that replace a third of the first load's events (their entries gone
 * from the events, still in the lists). */
/*
 * Rows of pivot_and (user 1, app val) with lead 1,000 and the reader's
 * hits h: the reader takes one row in step (ids 1, 1 + step ...) and
 * stops at want rows; how many rows it read. -1: the statement failed.
 */
static int lead_read_from(sqlite3 *db, int64_t val, struct pivot_hits *h, int want, int step, int64_t first)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT ts, id FROM pivot_and(?1, ?2, ?3) ORDER BY ts, id",
					    -1, &q, NULL),
			 SQLITE_OK);
	int64_t t[6] = { PIVOT_USER, 1, 1, PIVOT_APP, 1, val };
	unsigned char terms[48];
	vals_blob(t, 6, terms);
	sqlite3_bind_blob(q, 1, terms, 48, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, 1000);
	sqlite3_bind_pointer(q, 3, h, PIVOT_HITS_TYPE, NULL);
	h->want = want;
	h->got = 0;
	int read = 0, r = SQLITE_DONE;
	while (h->got < want && (r = sqlite3_step(q)) == SQLITE_ROW) {
		read++;
		int64_t id = sqlite3_column_int64(q, 1);
		if (id >= first && (id - first) % step == 0) {
			/* the rows taken are the ones wanted, in order */
			assert_int_equal(id, first + step * h->got);
			h->got++;
		}
	}
	if (h->got < want && r != SQLITE_DONE)
		read = -1;
	sqlite3_finalize(q);
	return read;
}

/* lead_read_from taking ids 1, 1 + step ... */
static int lead_read(sqlite3 *db, int64_t val, struct pivot_hits *h, int want, int step)
{
	return lead_read_from(db, val, h, want, step, 1);
}

/* 2,000 events of user 1 (ids 1..2000, a second apart): app 2 on every
 * 25th, app 4 on the others, app 3 on all (its lists then damaged), and
 * with app5 app 5 on every 100th from the 51st. */
static void held_lists(sqlite3 *db, bool app5)
{
	struct pivot_window *w = pivot_window_new(4096);
	char *cause = NULL;
	for (int i = 0; i < 2000; i++) {
		pivot_window_add(w, PIVOT_USER, 1, (int64_t)i * 1000, i + 1);
		pivot_window_add(w, PIVOT_APP, i % 25 == 0 ? 2 : 4, (int64_t)i * 1000, i + 1);
		pivot_window_add(w, PIVOT_APP, 3, (int64_t)i * 1000, i + 1);
		if (app5 && i % 100 == 50)
			pivot_window_add(w, PIVOT_APP, 5, (int64_t)i * 1000, i + 1);
	}
	assert_int_equal(pivot_window_flush(w, db, &cause), 0);
	pivot_window_free(w);
	assert_int_equal(sqlite3_exec(db, "UPDATE pivots SET data = x'ffffffffff' WHERE col = 1 AND val = 3",
				      NULL, NULL, NULL),
			 SQLITE_OK);
}

/*
 * pivot_and's lead ends by what the reader takes (pivots.c: lead_on).
 * User 1 holds 2,000 events, app 2 one in 25 of them, app 3 all of them
 * but its chunk is damaged (reading it fails). A page that wants 10 rows
 * of user 1 and app 2 and takes only app 2's reads a few of user 1's rows
 * alone, then the intersection (told nothing, want 0: the lead's 226
 * rows, as before); a page whose every row is taken never reads the
 * other list (app 3: no failure), nor one whose rows are taken far more
 * often than the compiler guessed (the terms agree: the list it meant to
 * intersect would spare nothing). App 5 holds 20 of user 1's events
 * (ids 51, 151 ...), where the compiler guessed 0.2: a reader that took
 * none of the first rows has seen no agreement (a rate of one more than
 * taken is no evidence), and the intersection is read at once; told the
 * list's rows and what the intersection would give of them, the lead
 * also ends where the terms it tests would refuse 98% of the rows
 * (joining the few the intersection gives costs less, however many the
 * guessed share would have it join); told neither, the lead runs on
 * until the rate it sees says joining on costs more (50 rows).
 */
static void test_lead_ends_by_hits(void **state)
{
	(void)state;
	sqlite3 *db = mem_db();
	held_lists(db, true);
	struct pivot_hits h = { .join = 3900, .inter = 10000, .keep = 1, .rate = 0.04 };
	int read = lead_read(db, 2, &h, 10, 25);
	assert_true(read >= 10 && read <= 40);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM (SELECT id FROM pivot_and(?1, ?2) LIMIT 226)",
					    -1, &q, NULL),
			 SQLITE_OK);
	int64_t t[6] = { PIVOT_USER, 1, 1, PIVOT_APP, 1, 2 };
	unsigned char terms[48];
	vals_blob(t, 6, terms);
	sqlite3_bind_blob(q, 1, terms, 48, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, 1000);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 226);
	sqlite3_finalize(q);
	assert_int_equal(lead_read(db, 3, &h, 60, 1), 60);
	h.rate = 0.001;
	assert_int_equal(lead_read(db, 3, &h, 10, 10), 91);
	/* none taken of the first rows: no agreement seen */
	struct pivot_hits none = { .join = 3900, .inter = 10000, .keep = 1, .rate = 0.0001 };
	assert_int_equal(lead_read_from(db, 5, &none, 10, 100, 51), PIVOT_SAMPLE + 10);
	/* the rows left bound both ways' joins */
	struct pivot_hits few = {
		.join = 3900, .inter = 10000, .keep = 0.02, .rate = 0.0001, .rows = 2000, .cand = 10
	};
	assert_int_equal(lead_read_from(db, 5, &few, 10, 100, 51), PIVOT_SAMPLE + 10);
	few.rows = few.cand = 0;
	assert_int_equal(lead_read_from(db, 5, &few, 10, 100, 51), 50 + 10);
	/* the damaged list read: the statement fails (so the two above did
	 * not read it) */
	h.rate = 0.04;
	assert_int_equal(lead_read(db, 3, &h, 10, 25), -1);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* held_read_from's statement: pivot_and of (user 1, app val), app val
 * held back, the reader taking one row in step from first on; how many
 * rows it read (-1: the statement failed) */
static int held_read(sqlite3 *db, int64_t val, struct pivot_hits *h, int want, int step, int64_t first)
{
	return lead_read_from(db, val, h, want, step, first);
}

/*
 * A list held back (pivots.c: held_in) is read only once the rows it
 * would have refused cost more than reading it: user 1's 2,000 events,
 * app 2 one in 25 of them, app 3 all of them but damaged. Cheap to read
 * (one chunk row, 4% of the ids), app 2 comes in after PIVOT_SAMPLE rows
 * refused, and the rows given are then its own (a reader of 10 rows reads
 * 8 + 10); dear (a million chunk rows), it never does (the reader reads
 * user 1's 226 rows up to its 10th take). The damaged app 3, held back
 * and dear, is never read; cheap, it is, and the statement fails. The
 * lead's guess of the intersection's cost is its chunk rows' less (hits'
 * prows) once the connection's cache holds them: the same reader that
 * ran a lead of 226 rows at a cost of 1,000,000 ends it after a few
 * once the app's chunk rows were read.
 */
static void test_held_brought_in(void **state)
{
	(void)state;
	struct pair pr = pair_new("h.db");
	assert_int_equal(sqlite3_close(pr.b), SQLITE_OK);
	pr.b = NULL;
	sqlite3 *db = pr.a;
	held_lists(db, false);
	/* the lead: dear to intersect, then its rows kept (app 2's rows
	 * not yet read) */
	struct pivot_hits lead = {
		.join = 3900, .inter = 1e6, .keep = 1, .rate = 0.04, .prows = 400, .head = 2500
	};
	assert_int_equal(lead_read(db, 2, &lead, 10, 25), 226);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM pivot_and(?1)", -1, &q, NULL), SQLITE_OK);
	int64_t t[6] = { PIVOT_USER, 1, 1, PIVOT_APP, 1, 2 };
	unsigned char terms[48];
	vals_blob(t, 6, terms);
	sqlite3_bind_blob(q, 1, terms, 48, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 80);
	sqlite3_finalize(q);
	int read = lead_read(db, 2, &lead, 10, 25);
	assert_true(read >= 10 && read < 40);
	/* held back */
	struct pivot_hits cheap = { .join = 3900,
				    .inter = 10000,
				    .keep = 1,
				    .rate = 0.04,
				    .held = 1,
				    .hrows = { 1 },
				    .hshare = { 0.04 },
				    .head = 2500,
				    .decode = 28 };
	struct pivot_hits dear = cheap;
	dear.hrows[0] = 1e6;
	assert_int_equal(held_read(db, 2, &cheap, 10, 25, 1), PIVOT_SAMPLE + 10);
	assert_int_equal(held_read(db, 2, &dear, 10, 25, 1), 226);
	assert_int_equal(held_read(db, 3, &dear, 10, 25, 1), 226);
	assert_int_equal(held_read(db, 3, &cheap, 10, 25, 1), -1);
	pair_free(&pr);
}

/* Chunk rows of value val from e[0..n) (sorted), k entries each, seq
 * from 1 on, as the writer makes them. */
static void put_chunks(sqlite3 *db, int64_t val, const struct pivot_entry *e, size_t n, size_t k)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "INSERT INTO pivots(col, val, seq, n, lo, hi, data)"
					    " VALUES(2, ?1, ?2, ?3, ?4, ?5, ?6)",
					    -1, &q, NULL),
			 SQLITE_OK);
	unsigned char *buf = malloc(k * PIVOT_ENTRY_MAX);
	for (size_t at = 0, seq = 1; at < n; at += k, seq++) {
		size_t m = n - at < k ? n - at : k;
		size_t len = pivot_encode(e + at, m, buf);
		sqlite3_bind_int64(q, 1, val);
		sqlite3_bind_int64(q, 2, (int64_t)seq);
		sqlite3_bind_int64(q, 3, (int64_t)m);
		sqlite3_bind_int64(q, 4, e[at].ts);
		sqlite3_bind_int64(q, 5, e[at + m - 1].ts);
		sqlite3_bind_blob(q, 6, buf, (int)len, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(q), SQLITE_DONE);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	free(buf);
}

/*
 * Lists read an entry at a time (ascending) and whole (descending) give
 * what was written whatever its steps: times and ids over the whole
 * int64 range (varints of up to ten bytes), steps of one byte, ties; a
 * pivot_and of two such lists is their intersection, within bounds
 * too; a chunk with a byte past its entries, or one short, is damage.
 */
static void test_rows_extremes(void **state)
{
	(void)state;
	enum { N = 2400 };
	sqlite3 *db = mem_db();
	struct pivot_entry *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b),
			   *both = malloc(N * sizeof *both), *want = malloc(N * sizeof *want);
	size_t na = 0, nb = 0, nboth = 0;
	for (size_t i = 0; i < N; i++) {
		/* a third anywhere in int64, the rest close together */
		a[na++] = i % 3 ? (struct pivot_entry){ (int64_t)(i / 7), (int64_t)(rnd() % 50) - 25 }
				: (struct pivot_entry){ (int64_t)rnd(), (int64_t)rnd() };
	}
	qsort(a, na, sizeof *a, ent_cmp);
	size_t m = 0;
	for (size_t i = 0; i < na; i++)
		if (!m || ent_cmp(&a[i], &a[m - 1]))
			a[m++] = a[i];
	na = m;
	for (size_t i = 0; i < na; i++) {
		if (i % 4 == 1) {
			b[nb++] = a[i];
			both[nboth++] = a[i];
		} else if (i % 5 == 2) {
			b[nb++] = (struct pivot_entry){ a[i].ts, (int64_t)((uint64_t)a[i].id + 1000000) };
		}
	}
	qsort(b, nb, sizeof *b, ent_cmp);
	put_chunks(db, 1, a, na, 333);
	put_chunks(db, 2, b, nb, 97);
	int64_t v1 = 1;
	expect_rows(db, "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts, id", PIVOT_IP, &v1, 1, NULL, 0, a,
		    na, false);
	expect_rows(db, "SELECT ts, id FROM pivot_rows(?1, ?2) ORDER BY ts DESC, id DESC", PIVOT_IP, &v1, 1,
		    NULL, 0, a, na, true);
	/* the intersection, whole and within bounds, both ways */
	struct and_term t[2] = { { PIVOT_IP, { 2 }, 1 }, { PIVOT_IP, { 1 }, 1 } };
	int len;
	unsigned char *blob = terms_blob(t, 2, &len);
	int64_t bounds[][2] = {
		{ INT64_MIN, INT64_MAX }, { 0, 200 }, { -(INT64_C(1) << 62), 100 }, { 150, INT64_MAX }
	};
	for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++) {
		size_t n = 0;
		for (size_t i = 0; i < nboth; i++)
			if (both[i].ts >= bounds[k][0] && both[i].ts <= bounds[k][1])
				want[n++] = both[i];
		for (int desc = 0; desc < 2; desc++) {
			sqlite3_stmt *q;
			assert_int_equal(sqlite3_prepare_v2(db,
							    desc ? "SELECT ts, id FROM pivot_and(?1) WHERE ts >= ?2 AND ts <= ?3"
								   " ORDER BY ts DESC, id DESC"
								 : "SELECT ts, id FROM pivot_and(?1) WHERE ts >= ?2 AND ts <= ?3"
								   " ORDER BY ts, id",
							    -1, &q, NULL),
					 SQLITE_OK);
			sqlite3_bind_blob(q, 1, blob, len, SQLITE_STATIC);
			sqlite3_bind_int64(q, 2, bounds[k][0]);
			sqlite3_bind_int64(q, 3, bounds[k][1]);
			size_t got = 0;
			while (sqlite3_step(q) == SQLITE_ROW) {
				assert_true(got < n);
				const struct pivot_entry *w = &want[desc ? n - 1 - got : got];
				assert_true(sqlite3_column_int64(q, 0) == w->ts);
				assert_true(sqlite3_column_int64(q, 1) == w->id);
				got++;
			}
			assert_int_equal(got, n);
			sqlite3_finalize(q);
		}
	}
	free(blob);
	/* a byte more than its entries, then one entry fewer: damaged */
	static const char *const damage[] = { "UPDATE pivots SET data = data || x'00' WHERE val = 1 AND seq = 2",
					      "UPDATE pivots SET n = n + 1 WHERE val = 1 AND seq = 2" };
	for (size_t k = 0; k < 2; k++) {
		assert_int_equal(sqlite3_exec(db,
					      k ? "UPDATE pivots SET data = substr(data, 1, length(data) - 1)"
						  " WHERE val = 1 AND seq = 2"
						: "SELECT 1",
					      NULL, NULL, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, damage[k], NULL, NULL, NULL), SQLITE_OK);
		for (int desc = 0; desc < 2; desc++) {
			sqlite3_stmt *q;
			assert_int_equal(sqlite3_prepare_v2(db,
							    desc ? "SELECT count(*) FROM (SELECT ts FROM pivot_rows(2, 1)"
								   " ORDER BY ts DESC, id DESC)"
								 : "SELECT count(*) FROM pivot_rows(2, 1)",
							    -1, &q, NULL),
					 SQLITE_OK);
			assert_int_equal(sqlite3_step(q), SQLITE_CORRUPT);
			sqlite3_finalize(q);
		}
	}
	free(a);
	free(b);
	free(both);
	free(want);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_and(void **state)
{
	struct lcase *c = *state;
	sqlite3 *db = fresh_case(c);
	load_events(c->st, "a.json", 0, 2000, false, 37, and_event);
	load_events(c->st, "b.json", 2000, 4000, false, 23, and_event);
	int found = and_random(db, 150);
	assert_true(found > 40);
	load_events(c->st, "c.json", 300, 1800, true, 17, and_event);
	assert_true(one_int(db, "SELECT sum(n) FROM pivot_gone") > 1000);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events"), 4000);
	found = and_random(db, 300);
	assert_true(found > 80);
	/* one term alone is that list */
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT (SELECT count(*) FROM pivot_and(?1)),"
					    " (SELECT count(*) FROM pivot_rows(3, ?2))",
					    -1, &q, NULL),
			 SQLITE_OK);
	struct and_term op = { PIVOT_OP, { val_id(db, "Send") }, 1 };
	int len;
	unsigned char *blob = terms_blob(&op, 1, &len);
	sqlite3_bind_blob(q, 1, blob, len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, op.v[0]);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_true(sqlite3_column_int64(q, 0) > 1000);
	assert_int_equal(sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);
	free(blob);
	/* terms that are no such blob say so */
	static const char *const bad[] = { "SELECT * FROM pivot_and(x'0100')",
					   "SELECT * FROM pivot_and(x'0300000000000000ff00000000000000')",
					   "SELECT * FROM pivot_and(x'09000000000000000000000000000000')",
					   "SELECT * FROM pivot_and(7)" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(sqlite3_prepare_v2(db, bad[i], -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ERROR);
		sqlite3_finalize(q);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_extremes),
		cmocka_unit_test(test_window_chunks),
		cmocka_unit_test(test_window_pieces),
		cmocka_unit_test(test_window_newest_first),
		cmocka_unit_test(test_window_inserter),
		cmocka_unit_test(test_window_sealed),
		cmocka_unit_test(test_window_add_event),
		cmocka_unit_test(test_rows_orders_and_bounds),
		cmocka_unit_test(test_rows_extremes),
		cmocka_unit_test(test_counts_and_gone),
		cmocka_unit_test(test_cache_follows_changes),
		cmocka_unit_test(test_decoded_follows_changes),
		cmocka_unit_test(test_lead_ends_by_hits),
		cmocka_unit_test(test_held_brought_in),
		cmocka_unit_test_setup_teardown(test_case_built, lcase_setup, lcase_teardown),
		cmocka_unit_test_setup_teardown(test_case_converted, lcase_setup, lcase_teardown),
		cmocka_unit_test_setup_teardown(test_case_schema15, lcase_setup, lcase_teardown),
		cmocka_unit_test_setup_teardown(test_case_packed_readers, lcase_setup, lcase_teardown),
		cmocka_unit_test_setup_teardown(test_case_layouts, lcase_setup, lcase_teardown),
		cmocka_unit_test_setup_teardown(test_writer, lcase_setup, lcase_teardown),
		cmocka_unit_test_setup_teardown(test_writer_batch_values, lcase_setup, lcase_teardown),
		cmocka_unit_test_setup_teardown(test_writer_killed, lcase_setup, lcase_teardown),
		cmocka_unit_test_setup_teardown(test_and, lcase_setup, lcase_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
