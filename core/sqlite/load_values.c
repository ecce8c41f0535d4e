/*
 * load_values.c: the value table during a load (each distinct string costs one lookup
 * in the intern map, one row in vals) and the hashes of values and record
 * ids.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xalloc.h"
#include "load_impl.h"

/*
 * The intern maps' hash of a value (never 0, an empty slot), fifteen of
 * them for every event on the parser's thread. Values are short (most
 * under 40 bytes): a multiply and a shift per eight bytes, the last one
 * to eight bytes read as two overlapping words, and one full mix at the
 * end; util_hash_bytes mixes every word fully and copies the tail with a
 * variable-length memcpy (1.5% of a load's CPU in perf). A collision
 * costs a compare of the texts, never a wrong id.
 */
uint64_t load_value_hash(struct sv s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t n = s.n;
	uint64_t h = 0x243f6a8885a308d3ULL ^ (uint64_t)n * 0x9e3779b97f4a7c15ULL, w = 0;
	for (; n > 8; n -= 8, p += 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 29;
	}
	if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		w = (uint64_t)a << 32 | b;
	} else if (n) {
		w = (uint64_t)p[0] << 16 | (uint64_t)p[n / 2] << 8 | p[n - 1];
	} else {
		w = 0;
	}
	return util_mix64(h ^ w) | 1;
}

uint64_t load_rid_fp(int kind, const void *p, size_t n)
{
	(void)kind; /* ridx's fingerprint (rid.c): a kind is checked, not hashed */
	return sqlite_rid_fp(p, n);
}

void load_item_set_rid(struct item *it, struct sv rid)
{
	it->ridlen = (unsigned char)sqlite_rid_store(rid.p, rid.n, it->rid);
	it->rid_esc = !it->ridlen && rid.n && (rid.p[0] == RID_GUID || rid.p[0] == RID_ESC);
	char *tmp = NULL;
	struct sv s = it->ridlen ? (struct sv){ it->rid, it->ridlen } : rid;
	if (it->rid_esc) {
		tmp = xmalloc(rid.n + 1);
		tmp[0] = RID_ESC;
		memcpy(tmp + 1, rid.p, rid.n);
		s = (struct sv){ tmp, rid.n + 1 };
	}
	it->fp = load_rid_fp(it->ev.kind, s.p, s.n);
	free(tmp);
}

struct sv load_item_rid(const struct item *it, char **tmp)
{
	*tmp = NULL;
	if (it->ridlen)
		return (struct sv){ it->rid, it->ridlen };
	struct sv t = it->ev.record_id;
	if (!it->rid_esc)
		return t;
	*tmp = xmalloc(t.n + 1);
	(*tmp)[0] = RID_ESC;
	memcpy(*tmp + 1, t.p, t.n);
	return (struct sv){ *tmp, t.n + 1 };
}

void load_bind_rid(sqlite3_stmt *q, int i, const struct item *it)
{
	char *tmp;
	struct sv s = load_item_rid(it, &tmp);
	/* the item outlives the statement's step; an escaped copy does not */
	sqlite3_bind_text(q, i, s.p ? s.p : "", (int)s.n, tmp ? SQLITE_TRANSIENT : SQLITE_STATIC);
	free(tmp);
}

void load_intern_clear(struct intern *in)
{
	if (!in->cap) { /* (at its largest from the start: see INTERN_SLOTS) */
		in->cap = INTERN_SLOTS;
		in->slot = xmalloc(in->cap * sizeof *in->slot);
	}
	memset(in->slot, 0, in->cap * sizeof *in->slot);
	if (!in->pool) { /* (and the longest value kept, past it) */
		in->pcap = INTERN_POOL + 4096;
		in->pool = xmalloc(in->pcap);
	}
	in->count = 0;
	in->plen = 0;
}

void load_intern_free(struct intern *in)
{
	free(in->slot);
	free(in->pool);
}

static bool intern_get(const struct intern *in, uint64_t h, const char *p, size_t n, int64_t *id)
{
	size_t mask = in->cap - 1, i = h & mask;
	for (const struct intern_slot *s; (s = &in->slot[i])->hash; i = (i + 1) & mask) {
		if (s->hash == (uint32_t)h && s->len == n && memcmp(in->pool + s->off, p, n) == 0) {
			*id = s->id;
			return true;
		}
	}
	return false;
}

void load_values_prefetch(const struct sqlite_load *ld, const struct item *it)
{
	for (int i = 0; i < LOAD_NVALS; i++) {
		uint64_t h = it->vh[i];
		if (!h || load_value_known(ld, it, i))
			continue;
		for (int g = 0; g < 2; g++)
			if (ld->in[g].cap)
				__builtin_prefetch(&ld->in[g].slot[h & (ld->in[g].cap - 1)]);
	}
}

/*
 * The value map is keyed by a value's val_hash (values.c), the key of
 * vidx (vidx.c): 31 bits, as the map's 32-bit fingerprint 2h plus h's
 * top bit, so that its entries sort as vidx's keys (the case's seed the
 * map's first run, the load's end a run of vidx in one pass) and its
 * filter and table spread over their high and low bits.
 */
static inline uint32_t vfp(int64_t vh)
{
	uint32_t h = (uint32_t)vh;
	return h << 1 | h >> 30;
}

static inline int64_t vslot_key(uint64_t slot)
{
	return sqlite_vidx_key((int64_t)(slot >> 33), (int64_t)(slot & UINT32_MAX));
}

/* A value whose first intern slot in neither generation has its hash
 * is most likely not there (a value held sits in its first slot more
 * often than not: the maps are at most half full): its look-up goes on
 * to the value map. A guess: a wrong one costs a prefetch or a miss
 * (and its val_hash, kept for the look-up: load_values_prefetched). */
void load_values_prefetch_map(struct sqlite_load *ld, const struct item *it)
{
	if (!ld->vals_mapped || !ld->in[0].cap || !ld->in[1].cap)
		return;
	/* a record that may be in the case already, near another that
	 * was: most likely a duplicate, whose values are not looked up
	 * (a file loaded again: its val_hashes were 432 M instructions of
	 * the writer's, 200k high-cardinality CSV). Its slot of the ring
	 * is not taken: if it is new after all, the look-up hashes. */
	if (ld->dup_near && !ld->by_index) {
		ld->dup_near--;
		if (load_ridmap_maybe(&ld->rids, load_ridmap_fp32(it->fp)))
			return;
	}
	/* (the slot of an item VHASH_RING before, written by now) */
	size_t r = ld->vhash_next++ % VHASH_RING;
	ld->vhash[r].it = it;
	memset(ld->vhash[r].h, 0, sizeof ld->vhash[r].h);
	struct sv f[LOAD_NVALS];
	load_event_values(&it->ev, f);
	for (int i = 0; i < LOAD_NVALS; i++) {
		uint64_t h = it->vh[i];
		if (!h || !f[i].p || load_value_known(ld, it, i) ||
		    ld->in[0].slot[h & (ld->in[0].cap - 1)].hash == (uint32_t)h ||
		    ld->in[1].slot[h & (ld->in[1].cap - 1)].hash == (uint32_t)h)
			continue;
		int64_t vh = sqlite_val_hash(f[i].p, f[i].n);
		ld->vhash[r].h[i] = VHASH_SET | (uint32_t)vh;
		load_ridmap_prefetch(&ld->vmap, vfp(vh));
	}
}

const uint32_t *load_values_prefetched(const struct sqlite_load *ld, const struct item *it)
{
	for (size_t r = 0; r < VHASH_RING; r++)
		if (ld->vhash[r].it == it)
			return ld->vhash[r].h;
	return NULL;
}

void load_values_prefetch_reset(struct sqlite_load *ld)
{
	for (size_t r = 0; r < VHASH_RING; r++)
		ld->vhash[r].it = NULL;
}

/* Remember p -> id; false when the value is not worth remembering (the
 * map then no longer holds every value of the case). */
static bool intern_put(struct intern *in, uint64_t h, const char *p, size_t n, int64_t id)
{
	if (n > 4096 || in->plen + n > UINT32_MAX || id > (int64_t)UINT32_MAX)
		return false;
	/* (a generation ends at INTERN_GEN values, so the slots are at most
	 * half full; the pool holds INTERN_POOL bytes and the longest value
	 * kept past them) */
	assert(in->count < INTERN_GEN && in->count * 2 < in->cap);
	in->pool = xgrow(in->pool, &in->pcap, in->plen + n, 1);
	memcpy(in->pool + in->plen, p, n);
	size_t i = h & (in->cap - 1);
	while (in->slot[i].hash)
		i = (i + 1) & (in->cap - 1);
	in->slot[i] = (struct intern_slot){ (uint32_t)h, (uint32_t)id, (uint32_t)in->plen, (uint32_t)n };
	in->plen += n;
	in->count++;
	return true;
}

void load_values_map_free(struct sqlite_load *ld)
{
	load_ridmap_free(&ld->vmap);
	memset(&ld->vmap, 0, sizeof ld->vmap);
	sqlite3_finalize(ld->sel_vtext);
	ld->sel_vtext = NULL;
}

/*
 * The rows go in without their ids: SQLite gives each the table's
 * highest id + 1, which is the id the load gave it (ids counted from the
 * table's highest, in the same order), and an explicit id would cost a
 * seek in the table per row (callgrind: a new value's insert went from
 * 8.0k to 8.9k instructions with it, grouped). That they agree is checked
 * at each statement (the last row's id): a mismatch fails the load
 * rather than leave events naming the wrong values.
 */
/* A cell of the values group (load_rows): v, h */
static void val_cell(void *ctx, size_t row, int col, sqlite3_context *out)
{
	const struct sqlite_load *ld = ctx;
	const struct val_row *v = &ld->valg[row];
	if (col == 0)
		sqlite3_result_text(out, ld->valg_text + v->off, (int)v->n, SQLITE_STATIC);
	else
		sqlite3_result_int64(out, v->h);
}

int load_flush_vals(struct sqlite_load *ld, char **cause)
{
	size_t n = ld->nvalg;
	if (!n)
		return 0;
	ld->nvalg = 0;
	/* (OR FAIL: load_group_failed) */
	if (!ld->ins_valg &&
	    load_prepare_rows(ld, "INSERT OR FAIL INTO vals(v, h)", 2, &ld->ins_valg, cause) < 0)
		return -1;
	const struct load_rows rows = { n, ld, val_cell };
	if (load_insert_rows(ld, ld->ins_valg, &rows, cause) < 0)
		return -1;
	sqlite3 *db = store_db(ld->base.st);
	const struct val_row *v = &ld->valg[n - 1];
	if (sqlite3_last_insert_rowid(db) != v->id) {
		load_group_failed(ld, NULL);
		return set_cause(cause, "%s: value %lld went in as %lld", store_path(ld->base.st),
				 (long long)v->id, (long long)sqlite3_last_insert_rowid(db));
	}
	return 0;
}

/* Is the value waiting in the group? Its id in *id. */
static bool in_valg(const struct sqlite_load *ld, int64_t vh, struct sv s, int64_t *id)
{
	for (size_t i = 0; i < ld->nvalg; i++) {
		const struct val_row *v = &ld->valg[i];
		if (v->h == vh && v->n == s.n && memcmp(ld->valg_text + v->off, s.p, s.n) == 0) {
			*id = v->id;
			return true;
		}
	}
	return false;
}

/* A new value: the next id, its row in the group (inserted when the
 * group is full or anything reads the table: load_flush_rows). */
static int add_value(struct sqlite_load *ld, struct sv s, int64_t vh, int64_t *id, char **cause)
{
	if (!ld->last_val) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(store_db(ld->base.st), "SELECT coalesce(max(id), 0) FROM vals", -1, &q,
				       NULL) != SQLITE_OK)
			return load_db_fail(ld, cause);
		int r = sqlite3_step(q);
		if (r == SQLITE_ROW)
			ld->last_val = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		if (r != SQLITE_ROW)
			return load_db_fail(ld, cause);
	}
	if (ld->last_val >= (int64_t)UINT32_MAX) /* (vidx's keys hold 32 bits of id) */
		return set_cause(cause, "%s: more than %u values: the values' table cannot hold them",
				 store_path(ld->base.st), UINT32_MAX);
	if (!ld->nvalg)
		ld->valg_len = 0;
	ld->valg_text = xgrow(ld->valg_text, &ld->valg_cap, ld->valg_len + s.n + 1, 1);
	memcpy(ld->valg_text + ld->valg_len, s.p, s.n);
	struct val_row *v = &ld->valg[ld->nvalg++];
	*v = (struct val_row){ ++ld->last_val, vh, ld->valg_len, s.n };
	ld->valg_len += s.n;
	*id = v->id;
	return ld->nvalg == EV_GROUP ? load_flush_vals(ld, cause) : 0;
}

/*
 * A load finds the values the intern map no longer holds through its
 * value map: a fingerprint table of their hashes (val_hash, vfp) and
 * ids in bounded memory, the record ids' own (load_ridmap.c: sorted
 * runs on disk behind a Bloom filter), seeded with the case's from vidx
 * (vidx.c) and holding each value the load adds. A value is new unless
 * the table has its fingerprint; a candidate is read from vals by id and
 * compared, so that a collision costs a look-up, never a wrong id. At
 * the end the load's entries are a new run of vidx (load_values_finish).
 *
 * Schema 14 found them through the index vals_h, dropped while a new
 * case loaded and built at its end (1M high-cardinality events: 1.80 G
 * instructions of SQLite's sorter, serial) and kept by an append, one
 * random insert a new value (3.7k instructions each; 200k appended to a
 * 1M-event case: 208 M); before vals_h went, a new case's load read
 * 5M high-cardinality events' 2.6M values' pages of it at random.
 */
void load_values_set_max(struct sqlite_load *ld, size_t n)
{
	ld->vmap.max = n;
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

/* vidx's keys as the map's entries, in order (the seed) */
static size_t vidx_next(void *ctx, uint64_t *slots, size_t max)
{
	int64_t *k = (int64_t *)slots; /* (the same words) */
	size_t n = sqlite_ridx_r_take(ctx, k, max);
	for (size_t i = 0; i < n; i++)
		slots[i] = (uint64_t)vfp(k[i] >> 32) << 32 | (uint64_t)(k[i] & UINT32_MAX);
	return n;
}

/* In one transaction: the values from id from on into vidx from their
 * rows, vals_h (a fallback's: vals_unmap) gone, the window closed. */
static int vidx_from_vals(struct sqlite_load *ld, int64_t from, char **cause)
{
	struct store *st = ld->base.st;
	if (sqlite_exec(st, "BEGIN", cause) < 0)
		return -1;
	if (sqlite_vidx_from_vals(store_db(st), from) != SQLITE_OK) {
		load_db_fail(ld, cause);
		sqlite_exec(st, "ROLLBACK", NULL);
		return -1;
	}
	/* (the map that kept the filter did not see these) */
	load_filter_drop(store_db(st), SQLITE_VIDX_FILTER);
	if (sqlite_exec(st,
			"DROP INDEX IF EXISTS vals_h;"
			" DELETE FROM vidx_from; COMMIT",
			cause) < 0) {
		sqlite_exec(st, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

/* The table failed (a run could not be written or read): vals_h built
 * now, in the writer's transaction, and the values looked up through it
 * from here on (load_values_finish drops it again). */
static int vals_unmap(struct sqlite_load *ld, char **cause)
{
	load_ridmap_free(&ld->vmap);
	memset(&ld->vmap, 0, sizeof ld->vmap);
	ld->vals_mapped = false;
	if (load_flush_vals(ld, cause) < 0 ||
	    sqlite_exec(ld->base.st, "CREATE INDEX IF NOT EXISTS vals_h ON vals(h)", cause) < 0)
		return -1;
	return 0;
}

/*
 * A killed load's values into vidx first; then the window of this
 * load's (every id it gives is past the case's highest) opened in the
 * case's table vidx_from, so that readers look them up by their own columns
 * until the end; then the case's values into the value map, with the
 * filter the last load's end kept (meta vidx_filter: load_dedup.c's
 * load_filter_read) when it fits the case, with the keys of the values
 * given since added, rather than one made again from every key (callgrind, 200k high-cardinality events
 * appended to a 5M-event case of 2.6M values: 241 M instructions of the
 * map's 342 M, serial, and growing with the case).
 */
int load_values_begin(struct sqlite_load *ld, char **cause)
{
	sqlite3 *db = store_db(ld->base.st);
	int64_t from = scalar(db, "SELECT min(id) FROM vidx_from", 0);
	if (from > 0 && vidx_from_vals(ld, from, cause) < 0)
		return -1;
	int64_t n = scalar(db, "SELECT coalesce(max(id), 0) FROM vals", -1);
	if (n < 0)
		return load_db_fail(ld, cause);
	char *sql = xasprintf("BEGIN; DELETE FROM vidx_from; INSERT INTO vidx_from(id) VALUES(%lld); COMMIT",
			      (long long)n + 1);
	int r = sqlite_exec(ld->base.st, sql, cause);
	free(sql);
	if (r < 0)
		return -1;
	ld->vidx_from = n + 1;
	ld->vals_mapped = true;
	if (n == 0)
		return 0;
	if (from == 0)
		load_filter_read(ld, SQLITE_VIDX_FILTER, &ld->vmap, n);
	struct sqlite_ridx_r *rd = sqlite_kb_r_new(&sqlite_kb_vidx, db);
	bool ok = load_ridmap_seed(&ld->vmap, vidx_next, rd);
	if (sqlite_ridx_r_free(rd) != SQLITE_OK)
		return load_db_fail(ld, cause);
	/* (a key for every value: ids are given in turn from 1) */
	if (ok && ld->vmap.spilled == (size_t)n)
		return 0;
	return vals_unmap(ld, cause);
}

struct vfill {
	struct sqlite_load *ld;
	struct sqlite_ridx_w *w;
	int64_t added;
};

static bool vfill_one(void *ctx, uint64_t slot)
{
	struct vfill *f = ctx;
	if ((int64_t)(slot & UINT32_MAX) < f->ld->vidx_from)
		return true; /* in vidx already (the seed) */
	f->added++;
	return sqlite_ridx_w_put(f->w, vslot_key(slot)) == SQLITE_OK;
}

/*
 * The load's values into vidx, a run of their own from the value map
 * (sorted already: one pass over its runs), and the window closed, in one
 * transaction: a load killed before it leaves the window open, which
 * readers scan and the next load mends (load_values_begin). Read from
 * vals instead when the map is gone (vals_unmap) or does not hold a key
 * for every id the load gave.
 */
int load_values_finish(struct sqlite_load *ld, char **cause)
{
	if (!ld->vidx_from)
		return 0;
	struct store *st = ld->base.st;
	sqlite3 *db = store_db(st);
	int64_t from = ld->vidx_from;
	if (ld->vals_mapped) {
		if (sqlite_exec(st, "BEGIN", cause) < 0)
			return -1;
		struct vfill f = {
			ld, sqlite_kb_w_new(&sqlite_kb_vidx, db, sqlite_kb_new_run(&sqlite_kb_vidx, db)), 0
		};
		bool ok = load_ridmap_each(&ld->vmap, vfill_one, &f);
		ld->vidx_from = 0;
		int64_t last = scalar(db, "SELECT coalesce(max(id), 0) FROM vals", -1);
		ok = sqlite_ridx_w_free(f.w) == SQLITE_OK && ok && f.added == last + 1 - from &&
		     sqlite_kb_settle(&sqlite_kb_vidx, db) == SQLITE_OK;
		/* the next load's filter (the map's, over every key: the case's
		 * seed and this load's) */
		if (ok)
			load_filter_write(ld, SQLITE_VIDX_FILTER, &ld->vmap, last);
		if (ok && sqlite_exec(st, "DELETE FROM vidx_from; COMMIT", NULL) == 0)
			return 0;
		sqlite_exec(st, "ROLLBACK", NULL);
	}
	ld->vidx_from = 0;
	return vidx_from_vals(ld, from, cause);
}

/* Is s among the candidates of its fingerprint? Its id in *id. The
 * table holds the values waiting in the group too (their ids follow one
 * another from the group's first): those are compared there, where a
 * walk of the whole group for every new value cost 37 M instructions of
 * 200k high-cardinality CSV's writer. */
static int map_find(struct sqlite_load *ld, struct sv s, int64_t vh, int64_t *id, bool *found, char **cause)
{
	*found = false;
	if (!load_ridmap_find(&ld->vmap, vfp(vh)))
		return 1; /* the caller unmaps */
	if (!ld->vmap.ncand)
		return 0;
	int64_t first = ld->nvalg ? ld->valg[0].id : INT64_MAX;
	for (size_t i = 0; i < ld->vmap.ncand && !*found; i++) {
		int64_t c = ld->vmap.cand[i];
		if (c < first || c >= first + (int64_t)ld->nvalg)
			continue;
		const struct val_row *v = &ld->valg[c - first];
		if (v->n == s.n && memcmp(ld->valg_text + v->off, s.p, s.n) == 0) {
			*id = c;
			*found = true;
		}
	}
	if (*found)
		return 0;
	if (!ld->sel_vtext && sqlite3_prepare_v3(store_db(ld->base.st), "SELECT v FROM vals WHERE id = ?", -1,
						 SQLITE_PREPARE_PERSISTENT, &ld->sel_vtext, NULL) != SQLITE_OK)
		return load_db_fail(ld, cause);
	sqlite3_stmt *q = ld->sel_vtext;
	for (size_t i = 0; i < ld->vmap.ncand && !*found; i++) {
		if (ld->vmap.cand[i] >= first && ld->vmap.cand[i] < first + (int64_t)ld->nvalg)
			continue;
		sqlite3_bind_int64(q, 1, ld->vmap.cand[i]);
		int r = sqlite3_step(q);
		if (r == SQLITE_ROW && (size_t)sqlite3_column_bytes(q, 0) == s.n &&
		    memcmp(sqlite3_column_blob(q, 0), s.p, s.n) == 0) {
			*id = ld->vmap.cand[i];
			*found = true;
		}
		sqlite3_reset(q);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			return load_db_fail(ld, cause);
	}
	return 0;
}

/* The case, by the value's hash (values.c: the table has no unique
 * index of the text, the load keeps each value once itself), through
 * vals_h. */
static int index_find(struct sqlite_load *ld, struct sv s, int64_t vh, int64_t *id, bool *found, char **cause)
{
	*found = false;
	/* the group first: the look-up reads the table only (a value too
	 * long for the intern map comes here) */
	*found = in_valg(ld, vh, s, id);
	if (*found)
		return 0;
	if (!ld->sel_val && sqlite3_prepare_v3(store_db(ld->base.st),
					       "SELECT id FROM vals INDEXED BY vals_h WHERE h = ?2 AND v = ?1",
					       -1, SQLITE_PREPARE_PERSISTENT, &ld->sel_val, NULL) != SQLITE_OK)
		return load_db_fail(ld, cause);
	sqlite3_stmt *q = ld->sel_val;
	sqlite3_bind_text(q, 1, s.p, (int)s.n, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, vh);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		*id = sqlite3_column_int64(q, 0);
		*found = true;
	}
	sqlite3_reset(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return load_db_fail(ld, cause);
	return 0;
}

/* The vals id of a string (0 for absent), adding it when new. */
int load_value_id(struct sqlite_load *ld, struct sv s, uint64_t h, uint32_t pvh, int64_t *id, char **cause)
{
	if (!s.p) {
		*id = 0;
		return 0;
	}
	if (intern_get(&ld->in[0], h, s.p, s.n, id))
		return 0;
	bool found = intern_get(&ld->in[1], h, s.p, s.n, id);
	if (!found) {
		int64_t vh = pvh & VHASH_SET ? (int64_t)(pvh & ~VHASH_SET) : sqlite_val_hash(s.p, s.n);
		int r = 1;
		if (ld->vals_mapped && (r = map_find(ld, s, vh, id, &found, cause)) > 0 &&
		    vals_unmap(ld, cause) < 0)
			return -1;
		if (r < 0 || (r > 0 && index_find(ld, s, vh, id, &found, cause) < 0))
			return -1;
		if (!found) {
			if (add_value(ld, s, vh, id, cause) < 0)
				return -1;
			if (ld->vals_mapped && !load_ridmap_put(&ld->vmap, (uint64_t)vfp(vh) << 32, *id) &&
			    vals_unmap(ld, cause) < 0)
				return -1;
		}
	}
	if (ld->in[0].count >= INTERN_GEN || ld->in[0].plen >= INTERN_POOL) {
		struct intern t = ld->in[1];
		ld->in[1] = ld->in[0];
		ld->in[0] = t;
		load_intern_clear(&ld->in[0]);
	}
	intern_put(&ld->in[0], h, s.p, s.n, *id);
	return 0;
}
