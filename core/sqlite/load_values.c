/*
 * load_values.c: the value table during a load (each distinct string costs one lookup
 * in the intern map, one row in vals) and the hashes of values and record
 * ids.
 */
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
	if (!in->cap) {
		in->cap = 1 << 16;
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

/* A value whose first intern slot in neither generation has its hash
 * is most likely not there (a value held sits in its first slot more
 * often than not: the maps are at most half full): its look-up goes on
 * to the value map. A guess: a wrong one costs a prefetch or a miss. */
void load_values_prefetch_map(const struct sqlite_load *ld, const struct item *it)
{
	if (!ld->vals_mapped || !ld->in[0].cap || !ld->in[1].cap)
		return;
	for (int i = 0; i < LOAD_NVALS; i++) {
		uint64_t h = it->vh[i];
		if (!h || load_value_known(ld, it, i) ||
		    ld->in[0].slot[h & (ld->in[0].cap - 1)].hash == (uint32_t)h ||
		    ld->in[1].slot[h & (ld->in[1].cap - 1)].hash == (uint32_t)h)
			continue;
		load_ridmap_prefetch(&ld->vmap, load_ridmap_fp32(h));
	}
}

/* Remember p -> id; false when the value is not worth remembering (the
 * map then no longer holds every value of the case). */
static bool intern_put(struct intern *in, uint64_t h, const char *p, size_t n, int64_t id)
{
	if (n > 4096 || in->plen + n > UINT32_MAX || id > (int64_t)UINT32_MAX)
		return false;
	if ((in->count + 1) * 2 > in->cap) {
		size_t ocap = in->cap;
		struct intern_slot *old = in->slot;
		in->cap *= 2;
		in->slot = xcalloc(in->cap, sizeof *in->slot);
		for (size_t j = 0; j < ocap; j++) {
			if (!old[j].hash)
				continue;
			size_t k = old[j].hash & (in->cap - 1);
			while (in->slot[k].hash)
				k = (k + 1) & (in->cap - 1);
			in->slot[k] = old[j];
		}
		free(old);
	}
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

/*
 * A value the intern map does not hold was looked up in vals by its hash
 * before it was inserted: on high-cardinality data most are new (1M
 * events: about 600k), and each look-up that finds nothing cost as much
 * as the insert (callgrind, 200k high-cardinality CSV: the writer's
 * value look-ups and inserts 1.63 G of its 5.17 G instructions). A
 * bitmap of the hashes vals holds answers most of them: 2^23 bits (1 MB)
 * are under 10% set at 750k values. It is filled from the case once (its
 * hash index, read in order) and kept with every insert, so that a clear
 * bit is certain.
 */
#define VALBITS 23

static size_t valbit(int64_t vh)
{
	return (size_t)(((uint64_t)vh * 0x9e3779b97f4a7c15ULL) >> (64 - VALBITS));
}

static void valbits_seed(struct sqlite_load *ld)
{
	ld->valbits_tried = true;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(store_db(ld->base.st), "SELECT h FROM vals INDEXED BY vals_h", -1, &q, NULL) !=
	    SQLITE_OK)
		return;
	uint64_t *bits = xcalloc((size_t)1 << (VALBITS - 6), sizeof *bits);
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		size_t b = valbit(sqlite3_column_int64(q, 0));
		bits[b >> 6] |= (uint64_t)1 << (b & 63);
	}
	sqlite3_finalize(q);
	if (r == SQLITE_DONE)
		ld->valbits = bits;
	else
		free(bits);
}

void load_valbits_free(struct sqlite_load *ld)
{
	free(ld->valbits);
	ld->valbits = NULL;
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
 * A load into a case with few values keeps them without vals_h: the
 * index takes each new value at a random place in its B-tree (a 31-bit
 * hash), and once it outgrew the load's 8 MB page cache each insert read
 * a page of it and the commits wrote most of its pages again (5M
 * high-cardinality events, 2.6M values: vals_h 37 MB, the writer's
 * index seeks 3.5 s and its reads of the case and the log 1.3 s, 6.4
 * times the 1M load's writer for 5 times the events). The values are
 * found instead through a fingerprint table of their hashes
 * (load_value_hash, the parser's) and ids in bounded memory, the record
 * ids' own (load_ridmap.c: sorted runs on disk behind a Bloom filter),
 * and vals_h is built sorted at the end with the other indexes. A value
 * the intern map no longer holds is new unless the table has its
 * fingerprint; a candidate is read from vals by id and compared, so that
 * a collision costs a look-up, never a wrong id.
 */
void load_values_set_max(struct sqlite_load *ld, size_t n)
{
	ld->vmap.max = n;
}

/* The case's values (and this load's, all in the table: the group
 * flushed first) into the value map. 0 with the map, 1 without it (a
 * disk that refused a run: the index, as before), -1. */
static int vals_map(struct sqlite_load *ld, char **cause)
{
	if (load_flush_vals(ld, cause) < 0)
		return -1;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(store_db(ld->base.st), "SELECT id, v FROM vals", -1, &q, NULL) != SQLITE_OK)
		return load_db_fail(ld, cause);
	bool fits = true;
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW && fits) {
		struct sv v = { (const char *)sqlite3_column_text(q, 1), (size_t)sqlite3_column_bytes(q, 1) };
		fits = load_ridmap_put(&ld->vmap, load_value_hash(v), sqlite3_column_int64(q, 0));
	}
	sqlite3_finalize(q);
	if (!fits || (r != SQLITE_DONE && r != SQLITE_ROW)) {
		load_ridmap_free(&ld->vmap);
		memset(&ld->vmap, 0, sizeof ld->vmap);
		return 1;
	}
	ld->vals_mapped = true;
	return 0;
}

/*
 * A new case's values are found through the value map from the start
 * and vals_h is dropped once the load has added VALS_DROP_AT values
 * (the index costs each new value a random insert, and outgrows the
 * page cache): a small load keeps it and writes no more than before
 * (dropped at the start and built at the end, one record loaded into a
 * new case on a 2 MB disk filled it with the log).
 *
 * An append finds them through vals_h (and the bitmap of its hashes,
 * index_find) until it has added as many values as the case had: only
 * then are they all read into the map and the index dropped, to be
 * built at the end over all of them. Reading the case's values at the
 * start cost every append a pass over them, and the map's own inserts
 * and spills on top of the index's, which a load that adds fewer values
 * than the case has keeps anyway (callgrind, 200k default-shape CSV
 * appended to a 1M-event case of 94k values: 56k new ones; the start's
 * 88 M instructions, serial before the first record is read, and the
 * writer's map 75 M, against the bitmap's seed 51 M: the load's threads
 * but the reader 13.47 -> 13.35 G with load.c's analysis_limit, the same
 * events alone 12.69 G).
 */
int load_values_begin(struct sqlite_load *ld, char **cause)
{
	sqlite3 *db = store_db(ld->base.st);
	sqlite3_stmt *q;
	int64_t n = 0;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM vals", -1, &q, NULL) != SQLITE_OK)
		return load_db_fail(ld, cause);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	/* a large case keeps its index: appending to it must not cost
	 * all its values again (read here, sorted at the end) */
	if (n >= VALS_REINDEX_MAX)
		return 0;
	ld->vals_drop = true;
	ld->vals_case = (size_t)n;
	if (n == 0)
		ld->vals_mapped = true; /* (nothing to read) */
	return 0;
}

/* The table failed (a run could not be written or read): vals_h built
 * now, in the writer's transaction, and the values looked up through it
 * from here on. */
static int vals_unmap(struct sqlite_load *ld, char **cause)
{
	load_ridmap_free(&ld->vmap);
	memset(&ld->vmap, 0, sizeof ld->vmap);
	ld->vals_mapped = ld->vals_drop = false;
	if (load_flush_vals(ld, cause) < 0 ||
	    sqlite_exec(ld->base.st, "CREATE INDEX IF NOT EXISTS vals_h ON vals(h)", cause) < 0)
		return -1;
	return 0;
}

/* Is s among the candidates of its fingerprint? Its id in *id. The
 * table holds the values waiting in the group too (their ids follow one
 * another from the group's first): those are compared there, where a
 * walk of the whole group for every new value cost 37 M instructions of
 * 200k high-cardinality CSV's writer. */
static int map_find(struct sqlite_load *ld, struct sv s, uint64_t h, int64_t *id, bool *found, char **cause)
{
	*found = false;
	if (!load_ridmap_find(&ld->vmap, load_ridmap_fp32(h)))
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
	if (!ld->valbits_tried)
		valbits_seed(ld);
	size_t b = valbit(vh);
	if (ld->valbits && !(ld->valbits[b >> 6] & (uint64_t)1 << (b & 63)))
		return 0;
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
int load_value_id(struct sqlite_load *ld, struct sv s, uint64_t h, int64_t *id, char **cause)
{
	if (!s.p) {
		*id = 0;
		return 0;
	}
	if (intern_get(&ld->in[0], h, s.p, s.n, id))
		return 0;
	bool found = intern_get(&ld->in[1], h, s.p, s.n, id);
	if (!found) {
		int64_t vh = sqlite_val_hash(s.p, s.n);
		int r = 1;
		if (ld->vals_mapped && (r = map_find(ld, s, h, id, &found, cause)) > 0 &&
		    vals_unmap(ld, cause) < 0)
			return -1;
		if (r < 0 || (r > 0 && index_find(ld, s, vh, id, &found, cause) < 0))
			return -1;
		if (!found) {
			if (add_value(ld, s, vh, id, cause) < 0)
				return -1;
			if (ld->vals_mapped && !load_ridmap_put(&ld->vmap, h, *id) && vals_unmap(ld, cause) < 0)
				return -1;
			if (ld->vals_drop && ++ld->vals_added >= VALS_DROP_AT &&
			    ld->vals_added >= ld->vals_case) {
				/* (an append's map first: load_values_begin) */
				int m = ld->vals_mapped ? 0 : vals_map(ld, cause);
				if (m < 0 || (m == 0 && sqlite_exec(ld->base.st,
								    "DROP INDEX IF EXISTS vals_h", cause) < 0))
					return -1;
				ld->vals_drop = false;
			}
			size_t b = valbit(vh);
			if (ld->valbits)
				ld->valbits[b >> 6] |= (uint64_t)1 << (b & 63);
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
