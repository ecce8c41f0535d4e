/*
 * ridx.c: the table that finds an event by its record id (schema 13 on),
 * as blocks of sorted keys (14 on: in runs).
 *
 * A key is what rid.c defines: 32 bits of the stored record id's
 * fingerprint, then the event id (sqlite_ridx_lo). Schema 12 kept one
 * row a key, ridx(k INTEGER PRIMARY KEY): the load's end inserted every
 * event's key, on the main thread after the streaming (callgrind, 200k
 * events: 0.655 G instructions, 3.3k a key: SQLite's row insert), and an
 * append put its keys between the case's, on every leaf page of a
 * table as large as the case. From 13 a row holds a block of up to
 * RIDX_MAX keys, in order, as one blob of 8-byte little-endian integers,
 * and is keyed by its first: ridx(k INTEGER PRIMARY KEY, keys BLOB, run).
 * A run's blocks never overlap, and any cut of its keys into blocks is
 * valid: the writer only keeps a block between RIDX_FILL and RIDX_MAX
 * keys where it can, so that a block fits a 16 KB page (a case's pages
 * since schema 1; a block of an older case's smaller pages overflows
 * and is still read whole). A load writes a row every RIDX_FILL keys.
 *
 * From 14 the blocks are in runs (column run): each load's keys a run of
 * its own, so that an append writes its keys and nothing else. In 13 an
 * append rewrote every block its keys fell into, which for GUIDs is all
 * of them: 200k events appended to a 1M-event case read and wrote the
 * case's 559 blocks again at its end (callgrind: the load's end 0.34 G
 * instructions against 0.09 G for the same events alone, and 9 MB of
 * log). A look-up reads a block of each run: the newest runs are merged
 * while the one before holds at most twice their keys, or while there
 * are more than RIDX_RUNS (sqlite_ridx_settle), so runs stay few and a
 * key is rewritten about log2(case / load) times in all. A look-up is a
 * seek per run (the last block whose first key is at most the record
 * id's least) and a search in the blob; the run's next blocks too while
 * their first key is still the same fingerprint's. A schema-13 case read
 * as it is is one run.
 *
 * Readers go through ridx_ids(stored record id), an eponymous virtual
 * table of the events' ids (candidates: every reader still compares the
 * event's stored id and kind, a fingerprint is not the key). A case of
 * an older schema opened read-only reads its own ridx (12: a row a key;
 * before: a view over the events, store.c) through the same table.
 *
 * The blocks, their runs, the writer, the in-order reader and the
 * virtual table are those of any such table of keys (struct sqlite_kb,
 * sqlite_store.h: its name, its reader's, how an argument names a range
 * of keys): from schema 15 vidx too, the values' (vidx.c: a value's
 * hash, then its id).
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"
#include "util.h"
#include "xalloc.h"

/* Keys a block holds at most: 2000 * 8 bytes and the record's header
 * fit a 16 KB page's largest local payload (16,349 bytes). */
#define RIDX_MAX 2000
/* What a full block is cut to: room for an append's keys before the
 * block is cut again (1M events: 559 rows). */
#define RIDX_FILL 1792
/* Runs at most (sqlite_ridx_settle): every look-up reads a block of
 * each. */
#define RIDX_RUNS 8

/* (little-endian whatever the machine: a case file moves between them;
 * a load on little-endian ones, a byte loop cost an append of 200k to 1M
 * events 0.26k instructions a key) */
static inline int64_t get_key(const unsigned char *p, size_t i)
{
	uint64_t v;
	memcpy(&v, p + i * 8, 8);
	return (int64_t)le64toh(v);
}

static inline void put_key(unsigned char *p, int64_t k)
{
	uint64_t v = htole64((uint64_t)k);
	memcpy(p, &v, 8);
}

/* ---- the runs: each a set of blocks, none overlapping within it ---- */

/* Every run's blocks' first keys: run i's are first[rs[i] .. rs[i + 1]),
 * run ids id[i], oldest first (a schema-13 case read as it is: one run). */
struct ridx_runs {
	int64_t *first, *id;
	size_t *rs;
	size_t n, nruns;
};

static void runs_free(struct ridx_runs *r)
{
	free(r->first);
	free(r->id);
	free(r->rs);
	memset(r, 0, sizeof *r);
}

/*
 * Read from ridx_run (store.c), the runs' first keys in (run, k) order,
 * a page or two: a row of ridx is its block's page, so reading run and
 * k from the table read the whole of it (a 1M-event case's 559 pages,
 * 9 MB), at every statement's first look-up by record id and three
 * times in each append (its seed, the new run's id, the runs settled at
 * its end; 200k events appended to a 1M-event case: ~1,700 pages of
 * ridx read before its first record and after its last). A case without
 * the index (read-only, or of an older schema) is read in the table's
 * order and parted by run here: ORDER BY run, k without the index sorted
 * the rows (223 us a look-up by record id of a 1.2M-event case in two
 * runs against 128 in one).
 */
static int runs_load(struct ridx_runs *r, const struct sqlite_kb *t, sqlite3 *db, bool one)
{
	runs_free(r);
	sqlite3_stmt *q = NULL;
	char *idx = xasprintf("SELECT run, k FROM %s INDEXED BY %s_run", t->name, t->name);
	char *all = xasprintf("SELECT %s, k FROM %s ORDER BY k", one ? "0" : "run", t->name);
	int p = (one ? SQLITE_ERROR : sqlite3_prepare_v2(db, idx, -1, &q, NULL));
	if (p != SQLITE_OK)
		p = sqlite3_prepare_v2(db, all, -1, &q, NULL);
	free(idx);
	free(all);
	if (p != SQLITE_OK)
		return sqlite3_errcode(db);
	size_t cap = 0, runcap = 0, idcap = 0, n = 0;
	int64_t *run = NULL, *k = NULL;
	size_t *count = NULL, countcap = 0;
	size_t nr = 0; /* runs seen (r->nruns at the end: counted here, so
			* that id and count plainly grow together) */
	int s;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		size_t i = 0;
		while (i < nr && r->id[i] != id)
			i++;
		if (i == nr) {
			r->id = xgrow(r->id, &idcap, nr + 1, sizeof *r->id);
			count = xgrow(count, &countcap, nr + 1, sizeof *count);
			r->id[nr] = id;
			count[nr++] = 0;
		}
		count[i]++;
		run = xgrow(run, &runcap, n + 1, sizeof *run);
		k = xgrow(k, &cap, n + 1, sizeof *k);
		run[n] = (int64_t)i;
		k[n++] = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	r->nruns = nr;
	/* the runs oldest first (few: a sort by insertion), each its keys
	 * in order */
	size_t *order = xcalloc(r->nruns + 1, sizeof *order), *at = xcalloc(r->nruns + 1, sizeof *at);
	for (size_t i = 0; i < r->nruns; i++)
		order[i] = i;
	for (size_t i = 1; i < r->nruns; i++)
		for (size_t j = i; j > 0 && r->id[order[j - 1]] > r->id[order[j]]; j--) {
			size_t o = order[j];
			order[j] = order[j - 1];
			order[j - 1] = o;
		}
	r->rs = xcalloc(r->nruns + 2, sizeof *r->rs);
	int64_t *ids = xcalloc(r->nruns + 1, sizeof *ids);
	for (size_t i = 0, sum = 0; i < r->nruns; i++) {
		at[order[i]] = sum;
		r->rs[i] = sum;
		ids[i] = r->id[order[i]];
		sum += count[order[i]];
	}
	r->rs[r->nruns] = n;
	r->first = xcalloc(n ? n : 1, sizeof *r->first);
	for (size_t i = 0; i < n; i++)
		r->first[at[run[i]]++] = k[i];
	r->n = n;
	free(r->id);
	r->id = ids;
	free(order);
	free(at);
	free(count);
	free(run);
	free(k);
	return s == SQLITE_DONE ? SQLITE_OK : s;
}

/* ---- the writer: sorted keys merged into one run's blocks ---- */

struct sqlite_ridx_w {
	const struct sqlite_kb *t;
	sqlite3 *db;
	sqlite3_stmt *sel, *del, *ins;
	int64_t run;
	int64_t *first; /* the run's blocks' first keys when the writer began */
	size_t nfirst;
	size_t g;   /* the group open: blocks first[0 .. g) are at or before its keys */
	bool open;  /* its block (first[g - 1], when g > 0) read */
	bool dirty; /* and changed: its row deleted, its keys written again at its close */
	int64_t *old;
	size_t nold, oldcap, io;
	int64_t pend[RIDX_MAX + 1]; /* keys merged, not written yet */
	size_t np;
	int64_t last;
	bool any;
	unsigned char blob[RIDX_MAX * 8];
	int rc;
};

static int w_fail(struct sqlite_ridx_w *w, int rc)
{
	if (w->rc == SQLITE_OK)
		w->rc = rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_ERROR : rc;
	return w->rc;
}

/* The open block changes: its row goes (written again at its close). A
 * block only read (a deletion of a key it does not hold, another run's)
 * is left as it is. */
static void w_dirty(struct sqlite_ridx_w *w)
{
	if (w->dirty || w->rc != SQLITE_OK)
		return;
	w->dirty = true;
	if (w->g == 0)
		return;
	sqlite3_bind_int64(w->del, 1, w->first[w->g - 1]);
	int r = sqlite3_step(w->del);
	sqlite3_reset(w->del);
	if (r != SQLITE_DONE)
		w_fail(w, r);
}

static void w_row(struct sqlite_ridx_w *w, const int64_t *k, size_t n)
{
	if (w->rc != SQLITE_OK)
		return;
	for (size_t i = 0; i < n; i++)
		put_key(w->blob + i * 8, k[i]);
	sqlite3_bind_int64(w->ins, 1, k[0]);
	sqlite3_bind_blob(w->ins, 2, w->blob, (int)(n * 8), SQLITE_STATIC);
	sqlite3_bind_int64(w->ins, 3, w->run);
	int r = sqlite3_step(w->ins);
	sqlite3_reset(w->ins);
	if (r != SQLITE_DONE)
		w_fail(w, r);
}

static void w_emit(struct sqlite_ridx_w *w, int64_t k)
{
	w->pend[w->np++] = k;
	if (w->np == RIDX_MAX + 1) {
		w_dirty(w); /* (a block holds RIDX_MAX at most: a key was added) */
		w_row(w, w->pend, RIDX_FILL);
		memmove(w->pend, w->pend + RIDX_FILL, (w->np - RIDX_FILL) * sizeof *w->pend);
		w->np -= RIDX_FILL;
	}
}

static void w_close(struct sqlite_ridx_w *w)
{
	if (!w->open)
		return;
	if (w->dirty) {
		while (w->io < w->nold)
			w_emit(w, w->old[w->io++]);
		if (w->np)
			w_row(w, w->pend, w->np);
	}
	w->np = 0;
	w->nold = w->io = 0;
	w->open = w->dirty = false;
}

/* The group of block g - 1 (none: g == 0): its keys read. */
static void w_open(struct sqlite_ridx_w *w)
{
	w->open = true;
	w->dirty = w->g == 0; /* (no row: whatever goes in is new) */
	w->nold = w->io = 0;
	if (w->g == 0 || w->rc != SQLITE_OK)
		return;
	int64_t k = w->first[w->g - 1];
	sqlite3_bind_int64(w->sel, 1, k);
	int r = sqlite3_step(w->sel);
	if (r == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(w->sel, 0);
		size_t n = (size_t)sqlite3_column_bytes(w->sel, 0) / 8;
		w->old = xgrow(w->old, &w->oldcap, n ? n : 1, sizeof *w->old);
		for (size_t i = 0; i < n; i++)
			w->old[i] = get_key(p, i);
		w->nold = n;
	}
	sqlite3_reset(w->sel);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		w_fail(w, r);
}

/* The statements of table t, a block by its first key: read, delete. */
static int block_stmts(const struct sqlite_kb *t, sqlite3 *db, sqlite3_stmt **sel, sqlite3_stmt **del)
{
	char *s = xasprintf("SELECT keys FROM %s WHERE k = ?", t->name);
	char *d = xasprintf("DELETE FROM %s WHERE k = ?", t->name);
	int r = sqlite3_prepare_v2(db, s, -1, sel, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_prepare_v2(db, d, -1, del, NULL);
	free(s);
	free(d);
	return r;
}

struct sqlite_ridx_w *sqlite_kb_w_new(const struct sqlite_kb *t, sqlite3 *db, int64_t run)
{
	struct sqlite_ridx_w *w = xcalloc(1, sizeof *w);
	w->t = t;
	w->db = db;
	w->run = run;
	char *ins = xasprintf("INSERT INTO %s(k, keys, run) VALUES(?, ?, ?)", t->name);
	char *sel = xasprintf("SELECT k FROM %s WHERE run = ? ORDER BY k", t->name);
	sqlite3_stmt *q = NULL;
	int p = block_stmts(t, db, &w->sel, &w->del);
	if (p == SQLITE_OK)
		p = sqlite3_prepare_v2(db, ins, -1, &w->ins, NULL);
	if (p == SQLITE_OK)
		p = sqlite3_prepare_v2(db, sel, -1, &q, NULL);
	free(ins);
	free(sel);
	if (p != SQLITE_OK) {
		w_fail(w, sqlite3_errcode(db));
		return w;
	}
	sqlite3_bind_int64(q, 1, run);
	size_t cap = 0;
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		w->first = xgrow(w->first, &cap, w->nfirst + 1, sizeof *w->first);
		w->first[w->nfirst++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		w_fail(w, r);
	return w;
}

/* Key k into its block; del: out of it instead. Keys come in increasing
 * order (a key already there is kept once, one not there is not
 * deleted). */
static int w_put(struct sqlite_ridx_w *w, int64_t k, bool del)
{
	if (w->rc != SQLITE_OK)
		return w->rc;
	if (w->any && k <= w->last)
		return w_fail(w, SQLITE_MISUSE); /* (the callers' order) */
	w->any = true;
	w->last = k;
	if (!w->open || (w->g < w->nfirst && k >= w->first[w->g])) {
		w_close(w);
		while (w->g < w->nfirst && w->first[w->g] <= k)
			w->g++;
		w_open(w);
	}
	while (w->io < w->nold && w->old[w->io] < k)
		w_emit(w, w->old[w->io++]);
	bool there = w->io < w->nold && w->old[w->io] == k;
	if (there)
		w->io++;
	if (there == del)
		w_dirty(w);
	if (!del)
		w_emit(w, k);
	return w->rc;
}

int sqlite_ridx_w_put(struct sqlite_ridx_w *w, int64_t k)
{
	return w_put(w, k, false);
}

int sqlite_ridx_w_del(struct sqlite_ridx_w *w, int64_t k)
{
	return w_put(w, k, true);
}

int sqlite_ridx_w_free(struct sqlite_ridx_w *w)
{
	if (!w)
		return SQLITE_OK;
	w_close(w);
	int rc = w->rc;
	sqlite3_finalize(w->sel);
	sqlite3_finalize(w->del);
	sqlite3_finalize(w->ins);
	free(w->first);
	free(w->old);
	free(w);
	return rc;
}

static int64_t scalar(sqlite3 *db, const char *sql, int64_t none)
{
	sqlite3_stmt *q;
	int64_t v = none;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return none;
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

int64_t sqlite_kb_new_run(const struct sqlite_kb *t, sqlite3 *db)
{
	char *sql = xasprintf("SELECT coalesce(max(run), -1) + 1 FROM %s", t->name);
	int64_t r = scalar(db, sql, 0);
	free(sql);
	return r;
}

/* Run from's keys into run into, each block's row gone as it is read (a
 * block of into may then begin with its first key). */
static int merge_into(const struct sqlite_kb *t, sqlite3 *db, const struct ridx_runs *rr, size_t from,
		      int64_t into)
{
	sqlite3_stmt *sel = NULL, *del = NULL;
	if (block_stmts(t, db, &sel, &del) != SQLITE_OK) {
		sqlite3_finalize(sel);
		sqlite3_finalize(del);
		return sqlite3_errcode(db);
	}
	struct sqlite_ridx_w *w = sqlite_kb_w_new(t, db, into);
	int64_t *keys = xmalloc(RIDX_MAX * sizeof *keys);
	int rc = SQLITE_OK;
	for (size_t b = rr->rs[from]; b < rr->rs[from + 1] && rc == SQLITE_OK; b++) {
		size_t n = 0;
		sqlite3_bind_int64(sel, 1, rr->first[b]);
		int r = sqlite3_step(sel);
		if (r == SQLITE_ROW) {
			const unsigned char *p = sqlite3_column_blob(sel, 0);
			n = (size_t)sqlite3_column_bytes(sel, 0) / 8;
			if (n > RIDX_MAX)
				n = RIDX_MAX, r = SQLITE_CORRUPT;
			for (size_t i = 0; i < n; i++)
				keys[i] = get_key(p, i);
		}
		sqlite3_reset(sel);
		if (r != SQLITE_ROW && r != SQLITE_DONE) {
			rc = r;
			break;
		}
		sqlite3_bind_int64(del, 1, rr->first[b]);
		r = sqlite3_step(del);
		sqlite3_reset(del);
		if (r != SQLITE_DONE) {
			rc = r;
			break;
		}
		for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
			rc = sqlite_ridx_w_put(w, keys[i]);
	}
	int wr = sqlite_ridx_w_free(w);
	free(keys);
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	return rc != SQLITE_OK ? rc : wr;
}

/* About how many keys run i holds (-1: an error): RIDX_FILL a block but
 * its last, whose keys are counted. Counted in every block, a 1M-event
 * case's 559 were read at every load's end (50 M instructions). */
static int64_t run_keys(const struct sqlite_kb *t, sqlite3 *db, const struct ridx_runs *rr, size_t i)
{
	size_t nb = rr->rs[i + 1] - rr->rs[i];
	if (!nb)
		return 0;
	sqlite3_blob *b;
	if (sqlite3_blob_open(db, "main", t->name, "keys", rr->first[rr->rs[i + 1] - 1], 0, &b) != SQLITE_OK)
		return -1;
	int64_t n = (int64_t)(nb - 1) * RIDX_FILL + sqlite3_blob_bytes(b) / 8;
	sqlite3_blob_close(b);
	return n;
}

/*
 * The runs kept few: the newest merged into the one before it while
 * that holds at most twice its keys, or while there are more than
 * RIDX_RUNS (a binary counter: a key is rewritten about log2 of the
 * case over the loads' size times in all, and an append of 200k events
 * to a 1M-event case writes its own 112 blocks, not the case's 559).
 */
int sqlite_kb_settle(const struct sqlite_kb *t, sqlite3 *db)
{
	struct ridx_runs rr = { 0 };
	int rc = runs_load(&rr, t, db, false);
	while (rc == SQLITE_OK && rr.nruns >= 2) {
		size_t n = rr.nruns;
		int64_t a = run_keys(t, db, &rr, n - 2), b = run_keys(t, db, &rr, n - 1);
		if (a < 0 || b < 0) {
			rc = sqlite3_errcode(db);
			break;
		}
		if (a > 2 * b && n <= RIDX_RUNS)
			break;
		rc = merge_into(t, db, &rr, n - 1, rr.id[n - 2]);
		if (rc == SQLITE_OK) /* the merged run's blocks */
			rc = runs_load(&rr, t, db, false);
	}
	runs_free(&rr);
	return rc;
}

int sqlite_kb_put_rows(const struct sqlite_kb *t, sqlite3 *db, const char *sql, int64_t from)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return sqlite3_errcode(db);
	if (from)
		sqlite3_bind_int64(q, 1, from);
	struct sqlite_ridx_w *w = sqlite_kb_w_new(t, db, sqlite_kb_new_run(t, db));
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW &&
	       sqlite_ridx_w_put(w, sqlite3_column_int64(q, 0)) == SQLITE_OK)
		;
	int wr = sqlite_ridx_w_free(w);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		return r;
	return wr != SQLITE_OK ? wr : sqlite_kb_settle(t, db);
}

int sqlite_ridx_from_events(sqlite3 *db, int64_t from)
{
	if (!from && sqlite3_exec(db, "DELETE FROM ridx", NULL, NULL, NULL) != SQLITE_OK)
		return sqlite3_errcode(db);
	/* SQLite's sorter: bounded memory whatever the number of events */
	return sqlite_kb_put_rows(&sqlite_kb_ridx, db,
				  from ? "SELECT rid_k(record_id, id) FROM events WHERE id >= ?1 ORDER BY 1"
				       : "SELECT rid_k(record_id, id) FROM events ORDER BY 1",
				  from);
}

int sqlite_ridx_from_rows(sqlite3 *db, const char *table)
{
	char *sql = xasprintf("SELECT k FROM \"%s\" ORDER BY k", table);
	int r = sqlite_kb_put_rows(&sqlite_kb_ridx, db, sql, 0);
	free(sql);
	return r;
}

int sqlite_ridx_del(sqlite3 *db, const int64_t *k, size_t n)
{
	struct ridx_runs rr = { 0 };
	int rc = runs_load(&rr, &sqlite_kb_ridx, db, false);
	for (size_t i = 0; i < rr.nruns && rc == SQLITE_OK; i++) {
		struct sqlite_ridx_w *w = sqlite_kb_w_new(&sqlite_kb_ridx, db, rr.id[i]);
		for (size_t j = 0; j < n; j++)
			if (j == 0 || k[j] != k[j - 1])
				sqlite_ridx_w_del(w, k[j]);
		rc = sqlite_ridx_w_free(w);
	}
	runs_free(&rr);
	return rc;
}

/* ---- every key in order, across the runs (the load's seed) ---- */

struct r_run {
	size_t b, end; /* its next block, past its last */
	int64_t *keys; /* the block read */
	size_t n, i;
};

struct sqlite_ridx_r {
	sqlite3_stmt *q; /* a block's keys by its first */
	struct ridx_runs rr;
	struct r_run *run;
	int rc;
};

struct sqlite_ridx_r *sqlite_kb_r_new(const struct sqlite_kb *t, sqlite3 *db)
{
	struct sqlite_ridx_r *r = xcalloc(1, sizeof *r);
	char *sql = xasprintf("SELECT keys FROM %s WHERE k = ?", t->name);
	if (sqlite3_prepare_v2(db, sql, -1, &r->q, NULL) != SQLITE_OK)
		r->rc = sqlite3_errcode(db);
	else
		r->rc = runs_load(&r->rr, t, db, false);
	free(sql);
	r->run = xcalloc(r->rr.nruns ? r->rr.nruns : 1, sizeof *r->run);
	for (size_t i = 0; i < r->rr.nruns; i++) {
		r->run[i].b = r->rr.rs[i];
		r->run[i].end = r->rr.rs[i + 1];
	}
	return r;
}

/* Run u's next key at its head (false: none left, or an error). */
static bool r_fill(struct sqlite_ridx_r *r, struct r_run *u)
{
	while (u->i == u->n) {
		if (r->rc != SQLITE_OK || u->b == u->end)
			return false;
		sqlite3_bind_int64(r->q, 1, r->rr.first[u->b++]);
		int s = sqlite3_step(r->q);
		u->n = u->i = 0;
		if (s == SQLITE_ROW) {
			const unsigned char *p = sqlite3_column_blob(r->q, 0);
			size_t n = (size_t)sqlite3_column_bytes(r->q, 0) / 8;
			u->keys = xrealloc(u->keys, (n ? n : 1) * sizeof *u->keys);
			for (size_t i = 0; i < n; i++)
				u->keys[i] = get_key(p, i);
			u->n = n;
		} else if (s != SQLITE_DONE) {
			r->rc = s;
		}
		sqlite3_reset(r->q);
	}
	return true;
}

bool sqlite_ridx_r_next(struct sqlite_ridx_r *r, int64_t *k)
{
	struct r_run *best = NULL;
	if (r->rr.nruns == 1) { /* (a case of one load, the usual) */
		best = r->run;
		if (best->i < best->n) {
			*k = best->keys[best->i++];
			return true;
		}
		if (!r_fill(r, best) || r->rc != SQLITE_OK)
			return false;
		*k = best->keys[best->i++];
		return true;
	}
	/* the runs are few (sqlite_ridx_settle): the least head of each */
	for (size_t i = 0; i < r->rr.nruns; i++) {
		struct r_run *u = &r->run[i];
		if (r_fill(r, u) && (!best || u->keys[u->i] < best->keys[best->i]))
			best = u;
	}
	if (!best || r->rc != SQLITE_OK)
		return false;
	*k = best->keys[best->i++];
	return true;
}

/*
 * Several runs merged: the run with the least head gives all its keys
 * below the next least head at once (a search in its block, a copy),
 * not a key a call with every run's head compared (callgrind, the seed
 * of 200k events appended to a 5M-event case of two runs: ridx's 5M keys
 * 596 M instructions against 200 M when it was one run).
 */
static size_t take_merged(struct sqlite_ridx_r *r, int64_t *out, size_t max)
{
	size_t n = 0;
	while (n < max) {
		struct r_run *best = NULL;
		int64_t next = INT64_MAX; /* the least head of the others */
		for (size_t i = 0; i < r->rr.nruns; i++) {
			struct r_run *u = &r->run[i];
			if (!r_fill(r, u))
				continue;
			int64_t h = u->keys[u->i];
			if (!best || h < best->keys[best->i]) {
				if (best)
					next = best->keys[best->i];
				best = u;
			} else if (h < next) {
				next = h;
			}
		}
		if (!best || r->rc != SQLITE_OK)
			break;
		/* best's keys below next (its head is), as many as fit */
		size_t lo = best->i + 1, hi = best->n;
		if (hi - best->i > max - n)
			hi = best->i + (max - n);
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (best->keys[mid] < next)
				lo = mid + 1;
			else
				hi = mid;
		}
		memcpy(out + n, best->keys + best->i, (lo - best->i) * sizeof *out);
		n += lo - best->i;
		best->i = lo;
	}
	return n;
}

size_t sqlite_ridx_r_take(struct sqlite_ridx_r *r, int64_t *out, size_t max)
{
	size_t n = 0;
	if (r->rr.nruns != 1)
		return take_merged(r, out, max);
	/* one run: its blocks' keys as they are */
	struct r_run *u = r->run;
	while (n < max && r_fill(r, u) && r->rc == SQLITE_OK) {
		size_t k = u->n - u->i;
		if (k > max - n)
			k = max - n;
		memcpy(out + n, u->keys + u->i, k * sizeof *out);
		u->i += k;
		n += k;
	}
	return n;
}

int sqlite_ridx_r_free(struct sqlite_ridx_r *r)
{
	if (!r)
		return SQLITE_OK;
	int rc = r->rc;
	sqlite3_finalize(r->q);
	for (size_t i = 0; i < r->rr.nruns; i++)
		free(r->run[i].keys);
	free(r->run);
	runs_free(&r->rr);
	free(r);
	return rc;
}

/* ---- ridx_ids(stored record id): the reader ---- */

enum { RI_COL_ID, RI_COL_K, RI_COL_RID };

/* what the module was registered with: the table and how to read it */
struct ri_aux {
	const struct sqlite_kb *t;
	enum sqlite_kb_mode mode;
};

/*
 * The runs' first keys, kept with the connection (the table's vtab) for
 * as long as ridx is what they were read from: a look-up by record id in
 * a statement of its own (the raw record of an id, a jump, an annotation
 * read back) read every block's first key again, 558 pages of a 1M-event
 * case, ~90 us warm and far more cold. Kept while the database's data
 * version (SQLITE_FCNTL_DATA_VERSION: any commit, this connection's or
 * another's) and this connection's count of changed rows (ridx is only
 * written by INSERT and DELETE) are the ones read with it, and only
 * outside an explicit transaction (a write rolled back leaves both as
 * they were): within one, each statement reads them as before. Shared
 * by the cursors that use it (ref), freed by the last.
 */
struct ri_runs {
	struct ridx_runs rr;
	unsigned version;
	int64_t changes;
	int ref;
};

struct ri_vtab {
	sqlite3_vtab base;
	sqlite3 *db;
	const struct sqlite_kb *t;
	enum sqlite_kb_mode mode; /* an older case read as it is (ridx: 13 one run, 12 a row a key) */
	struct ri_runs *kept;
};

static void ri_runs_drop(struct ri_runs *r)
{
	if (r && --r->ref == 0) {
		runs_free(&r->rr);
		free(r);
	}
}

/* The runs a look-up reads now, kept or read again: SQLite's result code. */
static int ri_runs_get(struct ri_vtab *v, struct ri_runs **out)
{
	unsigned version = 0;
	bool keep = sqlite3_get_autocommit(v->db) &&
		    sqlite3_file_control(v->db, "main", SQLITE_FCNTL_DATA_VERSION, &version) == SQLITE_OK;
	int64_t changes = sqlite3_total_changes64(v->db);
	struct ri_runs *k = v->kept;
	if (keep && k && k->version == version && k->changes == changes) {
		k->ref++;
		*out = k;
		return SQLITE_OK;
	}
	struct ri_runs *r = xcalloc(1, sizeof *r);
	int rc = runs_load(&r->rr, v->t, v->db, v->mode == SQLITE_KB_ONE_RUN);
	if (rc != SQLITE_OK) {
		runs_free(&r->rr);
		free(r);
		return rc;
	}
	r->ref = 1;
	if (keep) {
		r->version = version;
		r->changes = changes;
		ri_runs_drop(v->kept);
		v->kept = r;
		r->ref++;
	}
	*out = r;
	return SQLITE_OK;
}

/* keys a cursor reads at a time from a block */
#define RI_CHUNK 64

struct ri_cursor {
	sqlite3_vtab_cursor base;
	/* blocks: every run's blocks' first keys (runs: kept with the
	 * connection or read for this look-up, ri_runs_get); rows: q over
	 * the range */
	struct ri_runs *runs;
	struct ridx_runs rr; /* runs->rr */
	size_t r, b;         /* the current run and block */
	sqlite3_stmt *q;
	sqlite3_blob *blob; /* the current block's keys, read in place */
	int64_t lo, hi;
	size_t n, i; /* keys in the block, the next to give */
	unsigned char buf[RI_CHUNK * 8];
	size_t bufat, nbuf; /* buf holds keys bufat .. bufat + nbuf */
	int64_t k;
	bool eof;
};

static int ri_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err)
{
	(void)argc;
	(void)argv;
	(void)err;
	int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(id INTEGER, k INTEGER, rid HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	struct ri_vtab *v = sqlite3_malloc(sizeof *v);
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof *v);
	v->db = db;
	const struct ri_aux *a = aux;
	v->t = a->t;
	v->mode = a->mode;
	sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
	*out = &v->base;
	return SQLITE_OK;
}

static int ri_disconnect(sqlite3_vtab *v)
{
	ri_runs_drop(((struct ri_vtab *)v)->kept);
	sqlite3_free(v);
	return SQLITE_OK;
}

static int ri_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	int rid = -1;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->iColumn != RI_COL_RID || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (!c->usable)
			return SQLITE_CONSTRAINT; /* the argument comes first */
		rid = i;
	}
	if (rid >= 0) {
		info->aConstraintUsage[rid].argvIndex = 1;
		info->aConstraintUsage[rid].omit = 1;
		info->idxNum = 1;
		info->estimatedRows = 1;
		info->estimatedCost = 10.0;
	} else { /* every key: run after run (in order only as rows, or one run) */
		info->idxNum = 0;
		info->estimatedRows = 1000000;
		info->estimatedCost = 1e7;
		if (((struct ri_vtab *)tab)->mode != SQLITE_KB_RUNS && info->nOrderBy == 1 &&
		    info->aOrderBy[0].iColumn == RI_COL_K && !info->aOrderBy[0].desc)
			info->orderByConsumed = 1;
	}
	return SQLITE_OK;
}

static int ri_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out)
{
	struct ri_vtab *v = (struct ri_vtab *)tab;
	struct ri_cursor *c = sqlite3_malloc(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	if (v->mode == SQLITE_KB_ROWS &&
	    sqlite3_prepare_v3(v->db, v->t->rows_sql, -1, SQLITE_PREPARE_PERSISTENT, &c->q, NULL) != SQLITE_OK) {
		sqlite3_free(tab->zErrMsg);
		tab->zErrMsg = sqlite3_mprintf("%s: %s", v->t->vtab, sqlite3_errmsg(v->db));
		sqlite3_free(c);
		return SQLITE_ERROR;
	}
	*out = &c->base;
	return SQLITE_OK;
}

static int ri_close(sqlite3_vtab_cursor *cur)
{
	struct ri_cursor *c = (struct ri_cursor *)cur;
	sqlite3_finalize(c->q);
	sqlite3_blob_close(c->blob);
	ri_runs_drop(c->runs);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int ri_error(sqlite3_vtab_cursor *cur, int rc, const char *msg)
{
	sqlite3_free(cur->pVtab->zErrMsg);
	cur->pVtab->zErrMsg = sqlite3_mprintf("%s: %s", ((struct ri_vtab *)cur->pVtab)->t->vtab, msg);
	return rc;
}

/* Keys i .. i + want (fewer at the block's end) into buf, unless there. */
static int ri_read(struct ri_cursor *c, size_t i, size_t want)
{
	if (i >= c->bufat && i < c->bufat + c->nbuf)
		return SQLITE_OK;
	size_t n = c->n - i < want ? c->n - i : want;
	int r = sqlite3_blob_read(c->blob, c->buf, (int)(n * 8), (int)(i * 8));
	if (r != SQLITE_OK)
		return r;
	c->bufat = i;
	c->nbuf = n;
	return SQLITE_OK;
}

static inline int64_t ri_buf(const struct ri_cursor *c, size_t i)
{
	return get_key(c->buf, i - c->bufat);
}

/*
 * Block b of run c->r, from its first key >= lo. Fingerprints are
 * hashes, spread evenly between a block's first key and the next
 * block's: the key's place is guessed from them and the RI_CHUNK keys
 * around it read (one read, mostly); a binary search of single keys
 * where the guess missed.
 */
static int ri_block(struct ri_cursor *c, size_t b)
{
	const struct ri_vtab *v = (const struct ri_vtab *)c->base.pVtab;
	const int64_t *first = c->rr.first;
	int64_t k = first[b];
	int r = c->blob ? sqlite3_blob_reopen(c->blob, k)
			: sqlite3_blob_open(v->db, "main", v->t->name, "keys", k, 0, &c->blob);
	if (r != SQLITE_OK)
		return r;
	c->b = b;
	c->n = (size_t)sqlite3_blob_bytes(c->blob) / 8;
	c->nbuf = 0;
	c->i = 0;
	if (c->lo <= k || !c->n)
		return SQLITE_OK;
	size_t a = 0, e = c->n; /* the answer is in [a, e] */
	if (b + 1 < c->rr.rs[c->r + 1]) {
		double f = ((double)c->lo - (double)k) / ((double)first[b + 1] - (double)k);
		size_t guess = (size_t)(f * (double)c->n), at = guess > RI_CHUNK / 2 ? guess - RI_CHUNK / 2 : 0;
		if (at >= c->n)
			at = c->n - 1;
		if ((r = ri_read(c, at, RI_CHUNK)) != SQLITE_OK)
			return r;
		if (ri_buf(c, at) >= c->lo) {
			e = at;
		} else {
			a = at + 1;
			size_t end = at + c->nbuf;
			while (a < end && ri_buf(c, a) < c->lo)
				a++;
			if (a < end) {
				c->i = a;
				return SQLITE_OK;
			}
		}
	}
	while (a < e) {
		size_t mid = a + (e - a) / 2;
		c->nbuf = 0; /* (single keys) */
		if ((r = ri_read(c, mid, 1)) != SQLITE_OK)
			return r;
		if (ri_buf(c, mid) < c->lo)
			a = mid + 1;
		else
			e = mid;
	}
	c->i = a;
	c->nbuf = 0;
	return SQLITE_OK;
}

/* The first run from r on with a block that can hold the range: its
 * last block that begins at or before lo (its first, if none); eof past
 * the last run. */
static int ri_run(struct ri_cursor *c, size_t r)
{
	for (; r < c->rr.nruns; r++) {
		size_t a = c->rr.rs[r], e = c->rr.rs[r + 1];
		if (a == e)
			continue;
		while (e - a > 1) {
			size_t mid = a + (e - a) / 2;
			if (c->rr.first[mid] <= c->lo)
				a = mid;
			else
				e = mid;
		}
		if (c->rr.first[a] > c->hi)
			continue;
		c->r = r;
		return ri_block(c, a);
	}
	c->r = c->rr.nruns;
	c->eof = true;
	return SQLITE_OK;
}

static int ri_next(sqlite3_vtab_cursor *cur)
{
	struct ri_cursor *c = (struct ri_cursor *)cur;
	int r;
	if (c->q) { /* a row a key */
		r = sqlite3_step(c->q);
		c->eof = r != SQLITE_ROW;
		if (r == SQLITE_ROW)
			c->k = sqlite3_column_int64(c->q, 0);
		return r == SQLITE_ROW || r == SQLITE_DONE
			       ? SQLITE_OK
			       : ri_error(cur, r, sqlite3_errmsg(sqlite3_db_handle(c->q)));
	}
	for (;;) {
		/* the run's next block while it begins within the range, then
		 * the next run's */
		while (c->i >= c->n) {
			if (c->b + 1 < c->rr.rs[c->r + 1] && c->rr.first[c->b + 1] <= c->hi)
				r = ri_block(c, c->b + 1);
			else
				r = ri_run(c, c->r + 1);
			if (r != SQLITE_OK)
				goto fail;
			if (c->eof)
				return SQLITE_OK;
		}
		if ((r = ri_read(c, c->i, RI_CHUNK)) != SQLITE_OK)
			goto fail;
		int64_t k = ri_buf(c, c->i++);
		if (k <= c->hi) {
			c->k = k;
			return SQLITE_OK;
		}
		c->i = c->n; /* past the range in this run */
	}
fail:
	c->eof = true;
	return ri_error(cur, r, sqlite3_errmsg(((struct ri_vtab *)cur->pVtab)->db));
}

static int ri_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv)
{
	(void)idxStr;
	struct ri_cursor *c = (struct ri_cursor *)cur;
	struct ri_vtab *v = (struct ri_vtab *)cur->pVtab;
	c->eof = true;
	c->n = c->i = 0;
	c->lo = INT64_MIN;
	c->hi = INT64_MAX;
	if (idxNum == 1 && (argc < 1 || !v->t->range(argv[0], &c->lo, &c->hi)))
		return SQLITE_OK; /* no key: no rows */
	int r;
	if (c->q) {
		sqlite3_reset(c->q);
		sqlite3_bind_int64(c->q, 1, c->lo);
		sqlite3_bind_int64(c->q, 2, c->hi);
		return ri_next(cur);
	}
	/* (the runs' first keys, 559 blocks for 1M events, once a cursor:
	 * its statement's snapshot; a statement for the block cost 5.2k
	 * instructions a look-up to run and reset) */
	if (!c->runs) {
		if ((r = ri_runs_get(v, &c->runs)) != SQLITE_OK)
			return ri_error(cur, r, sqlite3_errmsg(v->db));
		c->rr = c->runs->rr;
	}
	c->eof = false;
	if ((r = ri_run(c, 0)) != SQLITE_OK) {
		c->eof = true;
		return ri_error(cur, r, sqlite3_errmsg(v->db));
	}
	return c->eof ? SQLITE_OK : ri_next(cur);
}

static int ri_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct ri_cursor *)cur)->eof;
}

static int ri_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
	struct ri_cursor *c = (struct ri_cursor *)cur;
	if (i == RI_COL_ID)
		sqlite3_result_int64(ctx, c->k & (int64_t)UINT32_MAX);
	else if (i == RI_COL_K)
		sqlite3_result_int64(ctx, c->k);
	return SQLITE_OK;
}

static int ri_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
	*out = ((struct ri_cursor *)cur)->k;
	return SQLITE_OK;
}

static const sqlite3_module ri_module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only */
	.xConnect = ri_connect,
	.xBestIndex = ri_best_index,
	.xDisconnect = ri_disconnect,
	.xDestroy = ri_disconnect,
	.xOpen = ri_open,
	.xClose = ri_close,
	.xFilter = ri_filter,
	.xNext = ri_next,
	.xEof = ri_eof,
	.xColumn = ri_column,
	.xRowid = ri_rowid,
};

void sqlite_kb_register(const struct sqlite_kb *t, sqlite3 *db, enum sqlite_kb_mode mode)
{
	struct ri_aux *a = xmalloc(sizeof *a);
	*a = (struct ri_aux){ t, mode };
	sqlite3_create_module_v2(db, t->vtab, &ri_module, a, free);
}

/* ---- ridx: the record ids (rid.c) ---- */

/* A record id's keys: its fingerprint's (false: v holds no record id). */
static bool ridx_range(sqlite3_value *v, int64_t *lo, int64_t *hi)
{
	uint64_t fp;
	if (!sqlite_rid_value_fp(v, &fp))
		return false;
	*lo = sqlite_ridx_lo(fp);
	*hi = *lo + (int64_t)UINT32_MAX;
	return true;
}

const struct sqlite_kb sqlite_kb_ridx = {
	.name = "ridx",
	.vtab = "ridx_ids",
	.rows_sql = "SELECT k FROM ridx WHERE k BETWEEN ?1 AND ?2 ORDER BY k",
	.range = ridx_range,
};

void sqlite_ridx_register(sqlite3 *db, int schema)
{
	sqlite_kb_register(&sqlite_kb_ridx, db,
			   schema < 13    ? SQLITE_KB_ROWS
			   : schema == 13 ? SQLITE_KB_ONE_RUN
					  : SQLITE_KB_RUNS);
}

struct sqlite_ridx_w *sqlite_ridx_w_new(sqlite3 *db, int64_t run)
{
	return sqlite_kb_w_new(&sqlite_kb_ridx, db, run);
}

int64_t sqlite_ridx_new_run(sqlite3 *db)
{
	return sqlite_kb_new_run(&sqlite_kb_ridx, db);
}

int sqlite_ridx_settle(sqlite3 *db)
{
	return sqlite_kb_settle(&sqlite_kb_ridx, db);
}

struct sqlite_ridx_r *sqlite_ridx_r_new(sqlite3 *db)
{
	return sqlite_kb_r_new(&sqlite_kb_ridx, db);
}
