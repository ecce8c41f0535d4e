/*
 * load.c: the SQLite store's bulk load (store.h: store_load_*).
 *
 * A load runs on three threads: the caller's (reading and parsing, which
 * feeds the sink), a writer that owns the SQLite work, and a compressor
 * for the raw blocks. The sink copies each event into a batch; full
 * batches go to the writer through a short queue, so memory stays bounded
 * whatever the size of the input. Work is committed every few tens of
 * thousands of events together with the source's counters.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "sqlite_store.h"
#include "storage.h"
#include "util.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Bulk load */

/* String -> vals.id, so that each distinct value costs one lookup per
 * load. Open addressing over a pool; cleared when it grows past its cap
 * (the database stays the truth, so memory stays bounded). */
struct intern {
	uint64_t *hash;
	int64_t *id;
	uint32_t *off; /* into pool; the length is stored before the bytes */
	size_t cap, count;
	char *pool;
	size_t plen, pcap;
};

#define INTERN_MAX 1000000

/* A batch of events and rejects copied out of the parser's buffers. */
enum { ITEM_EVENT, ITEM_REJECT };
struct item {
	int type;
	struct event ev;     /* strings point into the batch's arena */
	uint64_t line;       /* rejects */
	size_t why, raw, rawlen;
	struct sv msgjson;   /* ev.msgs packed as a JSON array */
};

struct batch {
	char *buf;
	size_t len, cap;
	struct item *items;
	size_t n, icap;
	struct batch *next;
};

#define BATCH_ITEMS 4096
#define BATCH_BYTES ((size_t)8 << 20)
#define QUEUE_MAX 3

/* A raw block on its way through the compressor. */
struct block {
	int64_t first, n;
	char *data;     /* uncompressed, then compressed */
	size_t len;
	bool done;
	struct block *next;
};

/*
 * Deduplication during a load. A unique index on record ids takes random
 * inserts into a B-tree as large as the case: measured, it doubled the
 * time of a million-event load (31.9 s against 16.6 s without it). So a
 * load keeps a table of 64-bit fingerprints of (kind, record id) with the
 * event id that holds each, seeded from the case when the load starts;
 * a fingerprint hit is checked against the stored record id, so a
 * collision never drops a record. The unique index is built once at the
 * end. Cost: 16 bytes an event at half load, 32 MB for a million.
 */
struct ridmap {
	uint64_t *fp;
	int64_t *id;
	size_t cap, count;
};

static uint64_t hash_bytes(const char *p, size_t n)
{
	return util_hash_bytes(p, n, 0x243f6a8885a308d3ULL);
}

static uint64_t rid_fp(int kind, const char *p, size_t n)
{
	return util_hash_bytes(p, n, 0x13198a2e03707344ULL + (uint64_t)kind);
}

static void ridmap_put(struct ridmap *m, uint64_t fp, int64_t id)
{
	if ((m->count + 1) * 2 > m->cap) {
		size_t ocap = m->cap;
		uint64_t *ofp = m->fp;
		int64_t *oid = m->id;
		m->cap = ocap ? ocap * 2 : 1 << 16;
		m->fp = xcalloc(m->cap, sizeof *m->fp);
		m->id = xmalloc(m->cap * sizeof *m->id);
		m->count = 0;
		for (size_t i = 0; i < ocap; i++)
			if (ofp[i])
				ridmap_put(m, ofp[i], oid[i]);
		free(ofp);
		free(oid);
	}
	size_t i = fp & (m->cap - 1);
	while (m->fp[i])
		i = (i + 1) & (m->cap - 1);
	m->fp[i] = fp;
	m->id[i] = id;
	m->count++;
}

static void ridmap_free(struct ridmap *m)
{
	free(m->fp);
	free(m->id);
}

struct sqlite_load {
	struct store_load base; /* first: the interface's head (storage.h) */
	int lockfd;
	sqlite3_stmt *ins_ev, *ins_blk, *ins_msg, *ins_val, *sel_val, *ins_rej, *upd_src;
	struct intern in;
	bool in_complete; /* vals had no rows at start and the map was never cleared */
	struct ridmap rids;
	sqlite3_stmt *sel_rid;
	/* a duplicate: which event, how rich, replaced or only seen */
	sqlite3_stmt *sel_dup, *sel_rich, *del_ev, *del_msg, *ins_seen, *upd_seen;
	bool journal_switched;
	bool by_index; /* dedup through ev_rid instead of the table: a large case */
	/* administrative records held back until the commit (is_admin),
	 * copied out of their batches into one of their own */
	struct batch *deferred;
	bool flushing;
	size_t ridmap_max;
	int64_t source;
	unsigned batch_events, pending;
	bool txn;

	/* the batch being filled by the parser thread */
	struct batch *cur;

	/* parser -> writer */
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_idle, cv_space;
	struct batch *qhead, *qtail;
	size_t qlen;
	bool busy, quit;
	char *error; /* set by the writer: every later call fails with it */
	atomic_bool has_error;
	struct store_counts c;  /* guarded by mu: published by the writer */
	struct store_counts wc; /* the writer's own (or the caller's, when drained) */
	pthread_t writer;
	bool writer_started;

	/* the raw block being assembled by the writer */
	char *raw;
	size_t rawlen, rawcap;
	uint32_t *offs;
	size_t noffs, ocap;
	int64_t blk_first, blk_next;

	/* writer -> compressor -> writer */
	pthread_mutex_t zmu;
	pthread_cond_t zcv, zdone;
	struct block *zhead, *ztail; /* in order; done ones are inserted from the head */
	struct block *znext;         /* next one to compress */
	size_t zcount;               /* blocks in the list */
	bool zquit;
	pthread_t zthread;
	bool zstarted;
	ZSTD_CCtx *cctx;
};

static void intern_clear(struct intern *in)
{
	if (!in->cap) {
		in->cap = 1 << 16;
		in->hash = xmalloc(in->cap * sizeof *in->hash);
		in->id = xmalloc(in->cap * sizeof *in->id);
		in->off = xmalloc(in->cap * sizeof *in->off);
	}
	memset(in->hash, 0, in->cap * sizeof *in->hash);
	in->count = 0;
	in->plen = 0;
}

static void intern_free(struct intern *in)
{
	free(in->hash);
	free(in->id);
	free(in->off);
	free(in->pool);
}

static bool intern_get(const struct intern *in, uint64_t h, const char *p, size_t n, int64_t *id)
{
	size_t mask = in->cap - 1, i = h & mask;
	while (in->hash[i]) {
		if (in->hash[i] == h) {
			const char *s = in->pool + in->off[i];
			uint32_t len;
			memcpy(&len, s, 4);
			if (len == n && memcmp(s + 4, p, n) == 0) {
				*id = in->id[i];
				return true;
			}
		}
		i = (i + 1) & mask;
	}
	return false;
}

/* Remember p -> id; false when the value is not worth remembering (the
 * map then no longer holds every value of the case). */
static bool intern_put(struct intern *in, uint64_t h, const char *p, size_t n, int64_t id)
{
	if (n > 4096 || in->plen + n + 4 > UINT32_MAX)
		return false;
	if ((in->count + 1) * 2 > in->cap) {
		size_t ocap = in->cap;
		uint64_t *oh = in->hash;
		int64_t *oid = in->id;
		uint32_t *ooff = in->off;
		in->cap *= 2;
		in->hash = xcalloc(in->cap, sizeof *in->hash);
		in->id = xmalloc(in->cap * sizeof *in->id);
		in->off = xmalloc(in->cap * sizeof *in->off);
		for (size_t j = 0; j < ocap; j++) {
			if (!oh[j])
				continue;
			size_t k = oh[j] & (in->cap - 1);
			while (in->hash[k])
				k = (k + 1) & (in->cap - 1);
			in->hash[k] = oh[j];
			in->id[k] = oid[j];
			in->off[k] = ooff[j];
		}
		free(oh);
		free(oid);
		free(ooff);
	}
	in->pool = xgrow(in->pool, &in->pcap, in->plen + n + 4, 1);
	uint32_t len = (uint32_t)n;
	memcpy(in->pool + in->plen, &len, 4);
	memcpy(in->pool + in->plen + 4, p, n);
	size_t i = h & (in->cap - 1);
	while (in->hash[i])
		i = (i + 1) & (in->cap - 1);
	in->hash[i] = h;
	in->id[i] = id;
	in->off[i] = (uint32_t)in->plen;
	in->plen += n + 4;
	in->count++;
	return true;
}

static int db_fail(struct sqlite_load *ld, char **cause)
{
	return set_cause(cause, "%s: %s", store_path(ld->base.st), sqlite3_errmsg(store_db(ld->base.st)));
}

/* The vals id of a string (0 for absent), adding it when new. */
static int value_id(struct sqlite_load *ld, struct sv s, int64_t *id, char **cause)
{
	if (!s.p) {
		*id = 0;
		return 0;
	}
	uint64_t h = hash_bytes(s.p, s.n);
	if (intern_get(&ld->in, h, s.p, s.n, id))
		return 0;
	if (!ld->in_complete) {
		sqlite3_bind_text(ld->sel_val, 1, s.p, (int)s.n, SQLITE_STATIC);
		int r = sqlite3_step(ld->sel_val);
		if (r == SQLITE_ROW)
			*id = sqlite3_column_int64(ld->sel_val, 0);
		sqlite3_reset(ld->sel_val);
		if (r == SQLITE_ROW) {
			intern_put(&ld->in, h, s.p, s.n, *id);
			return 0;
		}
		if (r != SQLITE_DONE)
			return db_fail(ld, cause);
	}
	sqlite3_bind_text(ld->ins_val, 1, s.p, (int)s.n, SQLITE_STATIC);
	int r = sqlite3_step(ld->ins_val);
	sqlite3_reset(ld->ins_val);
	if (r != SQLITE_DONE)
		return db_fail(ld, cause);
	*id = sqlite3_last_insert_rowid(store_db(ld->base.st));
	if (ld->in.count >= INTERN_MAX) {
		intern_clear(&ld->in);
		ld->in_complete = false;
	}
	/* a value left out (over 4 KiB) must be looked up in vals next time,
	 * or its second sighting breaks vals' UNIQUE and aborts the load */
	if (!intern_put(&ld->in, h, s.p, s.n, *id))
		ld->in_complete = false;
	return 0;
}

static int prepare(struct sqlite_load *ld, sqlite3_stmt **q, const char *sql, char **cause)
{
	if (sqlite3_prepare_v3(store_db(ld->base.st), sql, -1, SQLITE_PREPARE_PERSISTENT, q, NULL) != SQLITE_OK)
		return db_fail(ld, cause);
	return 0;
}

static int begin(struct sqlite_load *ld, char **cause)
{
	if (ld->txn)
		return 0;
	if (sqlite_exec(ld->base.st, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	ld->txn = true;
	return 0;
}

/* ---- the compressor thread ---- */

static void *zmain(void *arg)
{
	struct sqlite_load *ld = arg;
	pthread_setname_np(pthread_self(), "as-compress");
	pthread_mutex_lock(&ld->zmu);
	for (;;) {
		while (!ld->znext && !ld->zquit)
			pthread_cond_wait(&ld->zcv, &ld->zmu);
		if (!ld->znext)
			break;
		struct block *b = ld->znext;
		ld->znext = b->next;
		pthread_mutex_unlock(&ld->zmu);
		size_t bound = ZSTD_compressBound(b->len);
		char *out = xmalloc(bound);
		size_t c = ZSTD_compressCCtx(ld->cctx, out, bound, b->data, b->len, ZSTD_LEVEL);
		free(b->data);
		if (ZSTD_isError(c)) {
			/* cannot happen with a bound-sized buffer; keep it stored */
			free(out);
			out = NULL;
			c = 0;
		}
		pthread_mutex_lock(&ld->zmu);
		b->data = out;
		b->len = c;
		b->done = true;
		pthread_cond_broadcast(&ld->zdone);
	}
	pthread_mutex_unlock(&ld->zmu);
	return NULL;
}

/* Hand the block being assembled to the compressor: the records, then
 * the trailer (n+1 offsets and n, little-endian u32), in the buffer they
 * were gathered in, so that nothing is copied on the way. */
static void block_flush(struct sqlite_load *ld)
{
	if (ld->noffs == 0)
		return;
	size_t n = ld->noffs;
	size_t tr = 4 * (n + 2);
	ld->raw = xgrow(ld->raw, &ld->rawcap, ld->rawlen + tr, 1);
	char *t = ld->raw + ld->rawlen;
	for (size_t i = 0; i < n; i++)
		put_u32(t + 4 * i, ld->offs[i]);
	put_u32(t + 4 * n, (uint32_t)ld->rawlen);
	put_u32(t + 4 * (n + 1), (uint32_t)n);
	struct block *b = xcalloc(1, sizeof *b);
	b->first = ld->blk_first;
	b->n = (int64_t)n;
	b->len = ld->rawlen + tr;
	b->data = ld->raw;
	ld->raw = NULL;
	ld->rawcap = 0;
	ld->noffs = 0;
	ld->rawlen = 0;
	pthread_mutex_lock(&ld->zmu);
	if (ld->ztail)
		ld->ztail->next = b;
	else
		ld->zhead = b;
	ld->ztail = b;
	ld->zcount++;
	if (!ld->znext)
		ld->znext = b;
	pthread_cond_signal(&ld->zcv);
	pthread_mutex_unlock(&ld->zmu);
}

/* Insert the compressed blocks that are ready; with wait, all of them. */
static int blocks_collect(struct sqlite_load *ld, bool wait, char **cause)
{
	int rc = 0;
	pthread_mutex_lock(&ld->zmu);
	for (;;) {
		struct block *b = ld->zhead;
		if (!b)
			break;
		if (!b->done) {
			if (!wait)
				break;
			pthread_cond_wait(&ld->zdone, &ld->zmu);
			continue;
		}
		ld->zhead = b->next;
		if (!ld->zhead)
			ld->ztail = NULL;
		ld->zcount--;
		pthread_mutex_unlock(&ld->zmu);
		if (rc == 0) {
			if (!b->data) {
				rc = set_cause(cause, "%s: raw block compression failed", store_path(ld->base.st));
			} else {
				sqlite3_stmt *q = ld->ins_blk;
				sqlite3_bind_int64(q, 1, b->first);
				sqlite3_bind_int64(q, 2, b->n);
				sqlite3_bind_blob(q, 3, b->data, (int)b->len, SQLITE_STATIC);
				if (sqlite3_step(q) != SQLITE_DONE)
					rc = db_fail(ld, cause);
				sqlite3_reset(q);
			}
		}
		free(b->data);
		free(b);
		pthread_mutex_lock(&ld->zmu);
	}
	pthread_mutex_unlock(&ld->zmu);
	return rc;
}

/* ---- the writer's work ---- */

static int save_counts(struct sqlite_load *ld, char **cause)
{
	if (!ld->source)
		return 0;
	struct store_counts c = ld->wc;
	sqlite3_stmt *q = ld->upd_src;
	sqlite3_bind_int64(q, 1, (int64_t)c.records);
	sqlite3_bind_int64(q, 2, (int64_t)c.events);
	sqlite3_bind_int64(q, 3, (int64_t)c.duplicates);
	sqlite3_bind_int64(q, 4, (int64_t)c.rejects);
	if (c.first_ts != INT64_MAX) {
		sqlite3_bind_int64(q, 5, c.first_ts);
		sqlite3_bind_int64(q, 6, c.last_ts);
	} else {
		sqlite3_bind_null(q, 5);
		sqlite3_bind_null(q, 6);
	}
	sqlite3_bind_int64(q, 7, ld->source);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : db_fail(ld, cause);
}

/* Commit: every event committed has its raw block and its source's
 * counters in the same transaction. */
static int flush_deferred(struct sqlite_load *ld, char **cause);

static int commit(struct sqlite_load *ld, char **cause)
{
	if (!ld->txn)
		return 0;
	if (flush_deferred(ld, cause) < 0)
		return -1;
	block_flush(ld);
	if (blocks_collect(ld, true, cause) < 0 || save_counts(ld, cause) < 0)
		return -1;
	if (sqlite_exec(ld->base.st, "COMMIT", cause) < 0)
		return -1;
	ld->txn = false;
	ld->pending = 0;
	return 0;
}

#define BLOCKS_IN_FLIGHT 8

static int raw_append(struct sqlite_load *ld, int64_t id, struct sv raw, char **cause)
{
	if (ld->noffs && (id != ld->blk_next || ld->rawlen + raw.n > BLOCK_BYTES)) {
		block_flush(ld);
		/* the compressor is behind: wait for it, memory stays bounded */
		if (ld->zcount >= BLOCKS_IN_FLIGHT && blocks_collect(ld, true, cause) < 0)
			return -1;
	}
	if (ld->noffs == 0)
		ld->blk_first = id;
	ld->offs = xgrow(ld->offs, &ld->ocap, ld->noffs + 1, sizeof *ld->offs);
	ld->offs[ld->noffs++] = (uint32_t)ld->rawlen;
	ld->raw = xgrow(ld->raw, &ld->rawcap, ld->rawlen + raw.n, 1);
	memcpy(ld->raw + ld->rawlen, raw.p, raw.n);
	ld->rawlen += raw.n;
	ld->blk_next = id + 1;
	return 0;
}

/*
 * Records are deduplicated by record id within a kind of log (ev->kind):
 * the same UAL record in two exports is one event, but an Entra sign-in
 * whose id happens to equal a UAL logon record's Id is a second event,
 * not a duplicate of it.
 */
/* Is (kind, record id) in the case already? Fingerprint first, then the
 * stored id for each fingerprint that matches. */
static int is_dup(struct sqlite_load *ld, int kind, uint64_t fp, struct sv rid, bool *dup, int64_t *dup_id,
		  char **cause)
{
	*dup = false;
	struct ridmap *m = &ld->rids;
	if (!m->cap)
		return 0;
	for (size_t i = fp & (m->cap - 1); m->fp[i]; i = (i + 1) & (m->cap - 1)) {
		if (m->fp[i] != fp)
			continue;
		sqlite3_stmt *q = ld->sel_rid;
		sqlite3_bind_int64(q, 1, m->id[i]);
		int r = sqlite3_step(q);
		if (r == SQLITE_ROW && sqlite3_column_int(q, 1) == kind &&
		    (size_t)sqlite3_column_bytes(q, 0) == rid.n &&
		    memcmp(sqlite3_column_blob(q, 0), rid.p, rid.n) == 0) {
			*dup = true;
			*dup_id = m->id[i];
		}
		sqlite3_reset(q);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			return db_fail(ld, cause);
		if (*dup)
			return 0;
	}
	return 0;
}

/*
 * The fingerprint table costs 32 bytes an event at most; past RIDMAP_MAX
 * events in the case (128 MB of it) memory would follow the case, so the
 * load builds the unique index instead and lets SQLite refuse duplicates
 * (slower: random inserts into a large B-tree, but bounded).
 */
#define RIDMAP_MAX ((size_t)4 << 20)

static int ridmap_retire(struct sqlite_load *ld, char **cause)
{
	if (sqlite_exec(ld->base.st, "CREATE UNIQUE INDEX IF NOT EXISTS ev_rid ON events(record_id, kind)", cause) < 0)
		return -1;
	ridmap_free(&ld->rids);
	memset(&ld->rids, 0, sizeof ld->rids);
	ld->by_index = true;
	return 0;
}

/* How much a copy of an event tells: its fields, its messages, less
 * than anything when PowerShell cut it. */
static int richness(const struct event *ev)
{
	int n = 0;
#define X(name) n += ev->name.p && ev->name.n;
	EVENT_TEXT_FIELDS(X)
#undef X
	if (ev->nmsgs)
		n += 2;
	return (ev->flags & EVF_PS_TRUNCATED) ? n - 100 : n;
}

/*
 * A record already in the case, read again (another export of the same
 * events, an overlapping window): the event lists this source too, and
 * when this copy tells more than the stored one (a UAL export's copy of
 * a record Defender's PowerShell export had cut), this copy replaces it:
 * *replace is set and the caller inserts it, then moves the list.
 */
static int merge_dup(struct sqlite_load *ld, int64_t old, const struct event *ev, struct sv msgjson,
		     bool *replace, int64_t *old_source, int64_t *old_line, char **cause)
{
	*replace = false;
	sqlite3_stmt *q = ld->sel_rich;
	sqlite3_bind_int64(q, 1, old);
	int r = sqlite3_step(q);
	int old_rich = 0;
	if (r == SQLITE_ROW) {
		old_rich = sqlite3_column_int(q, 0);
		if (sqlite3_column_int64(q, 1) & EVF_PS_TRUNCATED)
			old_rich -= 100;
		*old_source = sqlite3_column_int64(q, 2);
		*old_line = sqlite3_column_int64(q, 3);
	}
	sqlite3_reset(q);
	if (r != SQLITE_ROW)
		return r == SQLITE_DONE ? 0 : db_fail(ld, cause);
	(void)msgjson;
	if (richness(ev) > old_rich && *old_source != ld->source) {
		sqlite3_bind_int64(ld->del_ev, 1, old);
		sqlite3_bind_int64(ld->del_msg, 1, old);
		int a = sqlite3_step(ld->del_ev), b = sqlite3_step(ld->del_msg);
		sqlite3_reset(ld->del_ev);
		sqlite3_reset(ld->del_msg);
		if (a != SQLITE_DONE || b != SQLITE_DONE)
			return db_fail(ld, cause);
		*replace = true;
		return 0;
	}
	if (*old_source == ld->source)
		return 0; /* the same export repeating itself (paging) */
	q = ld->ins_seen;
	sqlite3_bind_int64(q, 1, old);
	sqlite3_bind_int64(q, 2, ld->source);
	sqlite3_bind_int64(q, 3, (int64_t)ev->line);
	r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : db_fail(ld, cause);
}

/* 0 when a duplicate was only noted, -1 when noting it failed. */
static int failed_merge(struct sqlite_load *ld, char **cause)
{
	return atomic_load_explicit(&ld->has_error, memory_order_acquire) || (cause && *cause) ? -1 : 0;
}

/* After a richer copy replaced event old by new: old's list moves. */
static int moved(struct sqlite_load *ld, int64_t old, int64_t new, int64_t old_source, int64_t old_line,
		 char **cause)
{
	sqlite3_bind_int64(ld->upd_seen, 1, new);
	sqlite3_bind_int64(ld->upd_seen, 2, old);
	int r = sqlite3_step(ld->upd_seen);
	sqlite3_reset(ld->upd_seen);
	if (r != SQLITE_DONE)
		return db_fail(ld, cause);
	sqlite3_bind_int64(ld->ins_seen, 1, new);
	sqlite3_bind_int64(ld->ins_seen, 2, old_source);
	sqlite3_bind_int64(ld->ins_seen, 3, old_line);
	r = sqlite3_step(ld->ins_seen);
	sqlite3_reset(ld->ins_seen);
	return r == SQLITE_DONE ? 0 : db_fail(ld, cause);
}

static int write_event(struct sqlite_load *ld, const struct event *ev, struct sv msgjson, char **cause)
{
	if (begin(ld, cause) < 0)
		return -1;
	int kind = ev->kind;
	uint64_t fp = rid_fp(kind, ev->record_id.p, ev->record_id.n);
	bool dup = false, replace = false;
	int64_t dup_id = 0, old_source = 0, old_line = 0;
	if (!ld->by_index && ld->rids.count >= ld->ridmap_max && ridmap_retire(ld, cause) < 0)
		return -1;
	if (!ld->by_index && is_dup(ld, kind, fp, ev->record_id, &dup, &dup_id, cause) < 0)
		return -1;
	if (dup) {
		if (merge_dup(ld, dup_id, ev, msgjson, &replace, &old_source, &old_line, cause) < 0)
			return -1;
		ld->wc.records++;
		ld->wc.duplicates++;
		if (!replace)
			return 0;
	}
	sqlite3_stmt *q = ld->ins_ev;
	int64_t ids[14];
	const struct sv *f[] = {
		&ev->op, &ev->rtype, &ev->workload, &ev->user, &ev->app, &ev->client_app, &ev->ip,
		&ev->result, &ev->session, &ev->token, &ev->mailbox, &ev->access, &ev->client_info,
		&ev->detail,
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (value_id(ld, *f[i], &ids[i], cause) < 0)
			return -1;
	sqlite3_bind_int64(q, 1, ev->ts);
	sqlite3_bind_text(q, 2, ev->record_id.p, (int)ev->record_id.n, SQLITE_STATIC);
	for (size_t i = 0; i < 13; i++) {
		if (ids[i])
			sqlite3_bind_int64(q, (int)i + 3, ids[i]);
		else
			sqlite3_bind_null(q, (int)i + 3);
	}
	if (ids[13])
		sqlite3_bind_int64(q, 21, ids[13]);
	else
		sqlite3_bind_null(q, 21);
	if (ev->op_count >= 0)
		sqlite3_bind_int64(q, 16, ev->op_count);
	else
		sqlite3_bind_null(q, 16);
	sqlite3_bind_int64(q, 17, ev->flags);
	sqlite3_bind_int64(q, 18, ld->source);
	sqlite3_bind_int64(q, 19, (int64_t)ev->line);
	sqlite3_bind_int(q, 20, kind);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	if (ld->by_index && r == SQLITE_CONSTRAINT) {
		/* the unique index found the duplicate: which event it is */
		sqlite3_stmt *d = ld->sel_dup;
		sqlite3_bind_text(d, 1, ev->record_id.p, (int)ev->record_id.n, SQLITE_STATIC);
		sqlite3_bind_int(d, 2, kind);
		r = sqlite3_step(d);
		dup_id = r == SQLITE_ROW ? sqlite3_column_int64(d, 0) : 0;
		sqlite3_reset(d);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			return db_fail(ld, cause);
		ld->wc.records++;
		ld->wc.duplicates++;
		if (!dup_id ||
		    merge_dup(ld, dup_id, ev, msgjson, &replace, &old_source, &old_line, cause) < 0 || !replace)
			return failed_merge(ld, cause);
		r = sqlite3_step(q); /* the bindings hold: insert the richer copy */
		sqlite3_reset(q);
	}
	if (r != SQLITE_DONE)
		return db_fail(ld, cause);
	{
		int64_t id = sqlite3_last_insert_rowid(store_db(ld->base.st));
		if (!ld->by_index)
			ridmap_put(&ld->rids, fp, id);
		if (replace && moved(ld, dup_id, id, old_source, old_line, cause) < 0)
			return -1;
		if (raw_append(ld, id, ev->raw, cause) < 0)
			return -1;
		if (ev->nmsgs) {
			sqlite3_stmt *mq = ld->ins_msg;
			sqlite3_bind_int64(mq, 1, id);
			sqlite3_bind_int64(mq, 2, (int64_t)ev->nmsgs);
			sqlite3_bind_text(mq, 3, msgjson.p, (int)msgjson.n, SQLITE_STATIC);
			r = sqlite3_step(mq);
			sqlite3_reset(mq);
			if (r != SQLITE_DONE)
				return db_fail(ld, cause);
		}
	}
	if (!replace) {
		ld->wc.records++;
		ld->wc.events++;
	}
	if (ev->ts < ld->wc.first_ts)
		ld->wc.first_ts = ev->ts;
	if (ev->ts > ld->wc.last_ts)
		ld->wc.last_ts = ev->ts;
	if (++ld->pending >= ld->batch_events && !ld->flushing)
		return commit(ld, cause);
	return 0;
}

static int write_reject(struct sqlite_load *ld, uint64_t line, const char *why, const char *raw, size_t n,
			char **cause)
{
	if (begin(ld, cause) < 0)
		return -1;
	sqlite3_stmt *q = ld->ins_rej;
	sqlite3_bind_int64(q, 1, ld->source);
	sqlite3_bind_int64(q, 2, (int64_t)line);
	sqlite3_bind_text(q, 3, why, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, raw ? raw : "", (int)n, SQLITE_STATIC);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	if (r != SQLITE_DONE)
		return db_fail(ld, cause);
	ld->wc.records++;
	if (sqlite3_changes(store_db(ld->base.st)))
		ld->wc.rejects++;
	else
		ld->wc.duplicates++;
	if (++ld->pending >= ld->batch_events)
		return commit(ld, cause);
	return 0;
}

/*
 * Administrative records (mailbox and tenant configuration, inbox rules,
 * permissions, Entra directory changes) are a few percent of a case, but
 * the hunts read their raw records, and spread among the mail-access
 * records they would sit in every compressed block: measured, the hunts
 * that read them decompressed the whole case (about a second each on a
 * million events). So the writer holds them back and inserts them
 * together at each commit: their ids are consecutive and their raw
 * records share a few blocks of their own.
 */
static void batch_free(struct batch *b);

static bool is_admin(const struct event *ev)
{
	static const char *const rtypes[] = {
		"ExchangeAdmin", "AzureActiveDirectory", "EntraDirectoryAudit",
		"SecurityComplianceCenterEOPCmdlet",
	};
	for (size_t i = 0; i < sizeof rtypes / sizeof rtypes[0]; i++)
		if (ev->rtype.p && ev->rtype.n == strlen(rtypes[i]) && memcmp(ev->rtype.p, rtypes[i], ev->rtype.n) == 0)
			return true;
	/* mailbox-item operations that change rules and permissions */
	static const char *const ops[] = { "InboxRule", "FolderPermission", "TransportRule" };
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (ev->op.p && memmem(ev->op.p, ev->op.n, ops[i], strlen(ops[i])))
			return true;
	return false;
}

static struct sv stash(struct batch *b, struct sv s);
static void batch_seal(struct batch *b);

#define DEFER_BYTES ((size_t)32 << 20)

/* Copy an administrative event out of its batch, to be written at the
 * commit (batches are freed as soon as they are written). */
static void defer(struct sqlite_load *ld, const struct item *it)
{
	if (!ld->deferred)
		ld->deferred = xcalloc(1, sizeof *ld->deferred);
	struct batch *d = ld->deferred;
	d->items = xgrow(d->items, &d->icap, d->n + 1, sizeof *d->items);
	struct item *n = &d->items[d->n++];
	*n = *it;
#define X(name) n->ev.name = stash(d, it->ev.name);
	EVENT_TEXT_FIELDS(X)
#undef X
	n->ev.raw = stash(d, it->ev.raw);
	n->msgjson = stash(d, it->msgjson);
}

static int flush_deferred(struct sqlite_load *ld, char **cause)
{
	struct batch *d = ld->deferred;
	if (!d)
		return 0;
	ld->deferred = NULL;
	batch_seal(d);
	block_flush(ld); /* the mail-access records gathered so far */
	ld->flushing = true;
	int rc = 0;
	for (size_t i = 0; i < d->n && rc == 0; i++)
		rc = write_event(ld, &d->items[i].ev, d->items[i].msgjson, cause);
	ld->flushing = false;
	batch_free(d);
	return rc;
}

static int write_batch(struct sqlite_load *ld, struct batch *b, char **cause)
{
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		int r;
		if (it->type == ITEM_EVENT && is_admin(&it->ev)) {
			if (begin(ld, cause) < 0) /* so that a commit comes */
				return -1;
			defer(ld, it);
			/* a file of nothing but administrative records must
			 * still commit as it goes, with bounded memory */
			if ((++ld->pending >= ld->batch_events || ld->deferred->len > DEFER_BYTES) &&
			    commit(ld, cause) < 0)
				return -1;
			continue;
		}
		if (it->type == ITEM_EVENT)
			r = write_event(ld, &it->ev, it->msgjson, cause);
		else
			r = write_reject(ld, it->line, b->buf + it->why, b->buf + it->raw, it->rawlen, cause);
		if (r < 0)
			return -1;
	}
	/* publish the counts for the progress line, once a batch */
	pthread_mutex_lock(&ld->mu);
	ld->c = ld->wc;
	pthread_mutex_unlock(&ld->mu);
	/* keep the compressed blocks from piling up in memory */
	return blocks_collect(ld, false, cause);
}

static void batch_free(struct batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->items);
	free(b);
}

static void *wmain(void *arg)
{
	struct sqlite_load *ld = arg;
	pthread_setname_np(pthread_self(), "as-writer");
	pthread_mutex_lock(&ld->mu);
	for (;;) {
		while (!ld->qhead && !ld->quit)
			pthread_cond_wait(&ld->cv_work, &ld->mu);
		if (!ld->qhead)
			break;
		struct batch *b = ld->qhead;
		ld->qhead = b->next;
		if (!ld->qhead)
			ld->qtail = NULL;
		ld->qlen--;
		ld->busy = true;
		pthread_cond_signal(&ld->cv_space);
		bool failed = ld->error != NULL;
		pthread_mutex_unlock(&ld->mu);
		char *cause = NULL;
		if (!failed && write_batch(ld, b, &cause) < 0) {
			pthread_mutex_lock(&ld->mu);
			ld->error = cause ? cause : xstrdup("write failed");
			atomic_store(&ld->has_error, true);
			pthread_mutex_unlock(&ld->mu);
		}
		batch_free(b);
		pthread_mutex_lock(&ld->mu);
		ld->busy = false;
		pthread_cond_broadcast(&ld->cv_idle);
	}
	pthread_mutex_unlock(&ld->mu);
	return NULL;
}

/* ---- the parser side ---- */

/* Offsets into the arena are stored as pointers until the batch is
 * sealed, because the arena may move while it grows. */
static struct sv stash(struct batch *b, struct sv s)
{
	if (!s.p)
		return s;
	b->buf = xgrow(b->buf, &b->cap, b->len + s.n + 1, 1);
	memcpy(b->buf + b->len, s.p, s.n);
	struct sv r = { (const char *)(uintptr_t)(b->len + 1), s.n }; /* +1: 0 means absent */
	b->len += s.n;
	b->buf[b->len++] = '\0';
	return r;
}

static void put_json_str(struct batch *b, struct sv v)
{
	if (!v.p) {
		memcpy(b->buf + b->len, "null", 4);
		b->len += 4;
		return;
	}
	b->buf[b->len++] = '"';
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c == '"' || c == '\\') {
			b->buf[b->len++] = '\\';
			b->buf[b->len++] = (char)c;
		} else if (c < 0x20) {
			b->len += (size_t)snprintf(b->buf + b->len, 7, "\\u%04x", c);
		} else {
			b->buf[b->len++] = (char)c;
		}
	}
	b->buf[b->len++] = '"';
}

/* The messages of an event as [[folder, msgid, size], ...], stashed. */
static struct sv stash_msgs(struct batch *b, const struct event_msg *m, size_t n)
{
	size_t need = 2;
	for (size_t i = 0; i < n; i++)
		need += 6 * (m[i].folder.n + m[i].msgid.n) + 48;
	b->buf = xgrow(b->buf, &b->cap, b->len + need + 1, 1);
	size_t start = b->len;
	b->buf[b->len++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			b->buf[b->len++] = ',';
		b->buf[b->len++] = '[';
		put_json_str(b, m[i].folder);
		b->buf[b->len++] = ',';
		put_json_str(b, m[i].msgid);
		if (m[i].size >= 0)
			b->len += (size_t)snprintf(b->buf + b->len, 24, ",%lld]", (long long)m[i].size);
		else
			b->len += (size_t)snprintf(b->buf + b->len, 24, ",null]");
	}
	b->buf[b->len++] = ']';
	struct sv r = { (const char *)(uintptr_t)(start + 1), b->len - start };
	b->buf[b->len++] = '\0';
	return r;
}

static struct sv unstash(const struct batch *b, struct sv s)
{
	if (!s.p)
		return s;
	return (struct sv){ b->buf + ((uintptr_t)s.p - 1), s.n };
}

static void batch_seal(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		if (it->type != ITEM_EVENT)
			continue;
		struct event *ev = &it->ev;
#define X(name) ev->name = unstash(b, ev->name);
		EVENT_TEXT_FIELDS(X)
#undef X
		ev->raw = unstash(b, ev->raw);
		it->msgjson = unstash(b, it->msgjson);
	}
}

static int failed(struct sqlite_load *ld, char **cause)
{
	if (!atomic_load_explicit(&ld->has_error, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&ld->mu);
	int r = 0;
	if (ld->error)
		r = set_cause(cause, "%s", ld->error);
	pthread_mutex_unlock(&ld->mu);
	return r;
}

/* Send the current batch to the writer (waiting while the queue is full). */
static void send(struct sqlite_load *ld)
{
	struct batch *b = ld->cur;
	if (!b || b->n == 0)
		return;
	ld->cur = NULL;
	batch_seal(b);
	pthread_mutex_lock(&ld->mu);
	while (ld->qlen >= QUEUE_MAX)
		pthread_cond_wait(&ld->cv_space, &ld->mu);
	if (ld->qtail)
		ld->qtail->next = b;
	else
		ld->qhead = b;
	ld->qtail = b;
	ld->qlen++;
	pthread_cond_signal(&ld->cv_work);
	pthread_mutex_unlock(&ld->mu);
}

/* Wait until the writer has done everything sent: after this the caller
 * may use the connection itself. */
static int drain(struct sqlite_load *ld, char **cause)
{
	send(ld);
	pthread_mutex_lock(&ld->mu);
	while (ld->qhead || ld->busy)
		pthread_cond_wait(&ld->cv_idle, &ld->mu);
	pthread_mutex_unlock(&ld->mu);
	return failed(ld, cause);
}

static struct item *new_item(struct sqlite_load *ld)
{
	if (!ld->cur)
		ld->cur = xcalloc(1, sizeof *ld->cur);
	struct batch *b = ld->cur;
	b->items = xgrow(b->items, &b->icap, b->n + 1, sizeof *b->items);
	struct item *it = &b->items[b->n++];
	memset(it, 0, sizeof *it);
	return it;
}

static void maybe_send(struct sqlite_load *ld)
{
	if (ld->cur->n >= BATCH_ITEMS || ld->cur->len >= BATCH_BYTES)
		send(ld);
}

static int sink_event(void *ctx, const struct event *ev, char **cause)
{
	struct sqlite_load *ld = ctx;
	if (failed(ld, cause) < 0)
		return -1;
	struct item *it = new_item(ld);
	struct batch *b = ld->cur;
	it->type = ITEM_EVENT;
	it->ev = *ev;
#define X(name) it->ev.name = stash(b, ev->name);
	EVENT_TEXT_FIELDS(X)
#undef X
	it->ev.raw = stash(b, ev->raw);
	it->ev.msgs = NULL;
	if (ev->nmsgs)
		it->msgjson = stash_msgs(b, ev->msgs, ev->nmsgs);
	maybe_send(ld);
	return 0;
}

static int sink_reject(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause)
{
	struct sqlite_load *ld = ctx;
	if (failed(ld, cause) < 0)
		return -1;
	struct item *it = new_item(ld);
	struct batch *b = ld->cur;
	it->type = ITEM_REJECT;
	it->line = line;
	struct sv w = stash(b, (struct sv){ why, strlen(why) });
	struct sv r = stash(b, (struct sv){ raw ? raw : "", raw ? n : 0 });
	it->why = (uintptr_t)w.p - 1;
	it->raw = (uintptr_t)r.p - 1;
	it->rawlen = r.n;
	maybe_send(ld);
	return 0;
}

void sqlite_load_sink(struct store_load *base, struct sink *out)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	out->event = sink_event;
	out->reject = sink_reject;
	out->ctx = ld;
}

/* ---- begin, sources, end ---- */

static void load_free(struct sqlite_load *ld)
{
	if (ld->writer_started) {
		pthread_mutex_lock(&ld->mu);
		ld->quit = true;
		pthread_cond_broadcast(&ld->cv_work);
		pthread_mutex_unlock(&ld->mu);
		pthread_join(ld->writer, NULL);
	}
	if (ld->zstarted) {
		pthread_mutex_lock(&ld->zmu);
		ld->zquit = true;
		pthread_cond_broadcast(&ld->zcv);
		pthread_mutex_unlock(&ld->zmu);
		pthread_join(ld->zthread, NULL);
	}
	while (ld->qhead) {
		struct batch *b = ld->qhead;
		ld->qhead = b->next;
		batch_free(b);
	}
	batch_free(ld->cur);
	batch_free(ld->deferred);
	while (ld->zhead) {
		struct block *b = ld->zhead;
		ld->zhead = b->next;
		free(b->data);
		free(b);
	}
	sqlite3_finalize(ld->ins_ev);
	sqlite3_finalize(ld->sel_rid);
	sqlite3_finalize(ld->sel_dup);
	sqlite3_finalize(ld->sel_rich);
	sqlite3_finalize(ld->del_ev);
	sqlite3_finalize(ld->del_msg);
	sqlite3_finalize(ld->ins_seen);
	sqlite3_finalize(ld->upd_seen);
	ridmap_free(&ld->rids);
	sqlite3_finalize(ld->ins_blk);
	sqlite3_finalize(ld->ins_msg);
	sqlite3_finalize(ld->ins_val);
	sqlite3_finalize(ld->sel_val);
	sqlite3_finalize(ld->ins_rej);
	sqlite3_finalize(ld->upd_src);
	intern_free(&ld->in);
	ZSTD_freeCCtx(ld->cctx);
	free(ld->raw);
	free(ld->offs);
	free(ld->error);
	pthread_mutex_destroy(&ld->mu);
	pthread_cond_destroy(&ld->cv_work);
	pthread_cond_destroy(&ld->cv_idle);
	pthread_cond_destroy(&ld->cv_space);
	pthread_mutex_destroy(&ld->zmu);
	pthread_cond_destroy(&ld->zcv);
	pthread_cond_destroy(&ld->zdone);
	if (ld->lockfd >= 0)
		close(ld->lockfd); /* releases the flock */
	free(ld);
}

struct store_load *sqlite_load_begin(struct store *st, char **cause)
{
	if (sqlite_store_readonly(st)) {
		set_cause(cause, "%s: opened read-only", store_path(st));
		return NULL;
	}
	struct sqlite_load *ld = xcalloc(1, sizeof *ld);
	ld->base.st = st;
	ld->batch_events = 50000;
	ld->ridmap_max = RIDMAP_MAX;
	ld->c.first_ts = ld->wc.first_ts = INT64_MAX;
	ld->c.last_ts = ld->wc.last_ts = INT64_MIN;
	pthread_mutex_init(&ld->mu, NULL);
	pthread_cond_init(&ld->cv_work, NULL);
	pthread_cond_init(&ld->cv_idle, NULL);
	pthread_cond_init(&ld->cv_space, NULL);
	pthread_mutex_init(&ld->zmu, NULL);
	pthread_cond_init(&ld->zcv, NULL);
	pthread_cond_init(&ld->zdone, NULL);
	intern_clear(&ld->in);
	ld->cctx = ZSTD_createCCtx();

	/* One load at a time: raw blocks rely on the ids a load is given
	 * being consecutive. flock is separate from SQLite's own locks. */
	ld->lockfd = open(store_path(st), O_RDONLY | O_CLOEXEC);
	if (ld->lockfd < 0 || flock(ld->lockfd, LOCK_EX | LOCK_NB) < 0) {
		set_cause(cause, "%s: %s", store_path(st),
			  errno == EWOULDBLOCK ? "another load into this case is running" : strerror(errno));
		goto fail;
	}
	sqlite3_stmt *q;
	int64_t nvals = 0, nevents = 0;
	if (sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM vals", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			nvals = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	ld->in_complete = nvals == 0;
	if (sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM events", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			nevents = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	/* A source still "loading" belongs to a load that was killed. */
	sqlite_exec(st, "UPDATE sources SET status='interrupted' WHERE status='loading'", NULL);
	if (store_ensure_indexes(st, cause) < 0)
		goto fail;
	/* The record ids already in the case, into the fingerprint table;
	 * the unique index comes back at the end of the load. A case too
	 * large for the table keeps the index and dedups through it. */
	if ((size_t)nevents >= RIDMAP_MAX) {
		ld->by_index = true;
	} else {
		if (sqlite3_prepare_v2(store_db(st), "SELECT id, kind, record_id FROM events", -1, &q, NULL) != SQLITE_OK) {
			db_fail(ld, cause);
			goto fail;
		}
		while (sqlite3_step(q) == SQLITE_ROW)
			ridmap_put(&ld->rids,
				   rid_fp(sqlite3_column_int(q, 1), sqlite3_column_blob(q, 2),
					  (size_t)sqlite3_column_bytes(q, 2)),
				   sqlite3_column_int64(q, 0));
		sqlite3_finalize(q);
		if (ld->rids.count != (size_t)nevents) {
			set_cause(cause, "%s: could not read the record ids in the case", store_path(st));
			goto fail;
		}
		if (sqlite_exec(st, "DROP INDEX IF EXISTS ev_rid", cause) < 0)
			goto fail;
	}
	/* A rollback journal for the load: appended pages need no copy in
	 * it, where WAL writes every page twice (log, then checkpoint).
	 * Killing the process mid-load is still safe: the next open rolls
	 * the journal back. Readers that have the case open keep it in WAL
	 * (the switch then fails, harmlessly). */
	ld->journal_switched = sqlite_exec(st, "PRAGMA journal_mode=DELETE", NULL) == 0;
	/* A small page cache loads faster here (measured on 1M events:
	 * 64 MB 17.9 s, 32 MB 17.0 s, 16 MB 15.8 s, 8 MB 17.2 s): the hot
	 * index leaves fit, and each commit walks fewer dirty pages. */
	sqlite_exec(st, "PRAGMA cache_size=-16384", NULL);
	if (prepare(ld, &ld->sel_rid, "SELECT record_id, kind FROM events WHERE id = ?", cause) < 0 ||
	    prepare(ld, &ld->sel_dup, "SELECT id FROM events WHERE record_id = ? AND kind = ?", cause) < 0 ||
	    prepare(ld, &ld->sel_rich,
		    "SELECT (op IS NOT NULL) + (rtype IS NOT NULL) + (workload IS NOT NULL) + (user IS NOT NULL)"
		    " + (app IS NOT NULL) + (client_app IS NOT NULL) + (ip IS NOT NULL) + (result IS NOT NULL)"
		    " + (session IS NOT NULL) + (token IS NOT NULL) + (mailbox IS NOT NULL) + (access IS NOT NULL)"
		    " + (client_info IS NOT NULL) + (detail IS NOT NULL) + 1"
		    " + 2 * EXISTS(SELECT 1 FROM msglists WHERE event = e.id), flags, source, line"
		    " FROM events e WHERE id = ?",
		    cause) < 0 ||
	    prepare(ld, &ld->del_ev, "DELETE FROM events WHERE id = ?", cause) < 0 ||
	    prepare(ld, &ld->del_msg, "DELETE FROM msglists WHERE event = ?", cause) < 0 ||
	    prepare(ld, &ld->ins_seen, "INSERT INTO seen(event, source, line) VALUES(?,?,?)", cause) < 0 ||
	    prepare(ld, &ld->upd_seen, "UPDATE seen SET event = ? WHERE event = ?", cause) < 0 ||
	    prepare(ld, &ld->ins_ev,
		    "INSERT INTO events(ts, record_id, op, rtype, workload, user, app,"
		    " client_app, ip, result, session, token, mailbox, access, client_info,"
		    " op_count, flags, source, line, kind, detail)"
		    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		    cause) < 0 ||
	    prepare(ld, &ld->ins_blk, "INSERT INTO rawblocks(id, n, data) VALUES(?,?,?)", cause) < 0 ||
	    prepare(ld, &ld->ins_msg,
		    "INSERT INTO msglists(event, n, items) VALUES(?,?,?)",
		    cause) < 0 ||
	    prepare(ld, &ld->ins_val, "INSERT INTO vals(v) VALUES(?)", cause) < 0 ||
	    prepare(ld, &ld->sel_val, "SELECT id FROM vals WHERE v=?", cause) < 0 ||
	    prepare(ld, &ld->ins_rej, /* a row already kept (the same file loaded again, a
		     * killed load run again) is a duplicate, as events are */
		    "INSERT INTO rejects(source, line, reason, raw) SELECT ?1, ?2, ?3, ?4"
		    " WHERE NOT EXISTS(SELECT 1 FROM rejects WHERE line = ?2 AND raw = ?4)",
		    cause) < 0 ||
	    prepare(ld, &ld->upd_src,
		    "UPDATE sources SET records=?, events=?, duplicates=?, rejects=?, first_ts=?,"
		    " last_ts=? WHERE id=?",
		    cause) < 0)
		goto fail;
	if (pthread_create(&ld->zthread, NULL, zmain, ld) != 0) {
		set_cause(cause, "cannot start a thread");
		goto fail;
	}
	ld->zstarted = true;
	if (pthread_create(&ld->writer, NULL, wmain, ld) != 0) {
		set_cause(cause, "cannot start a thread");
		goto fail;
	}
	ld->writer_started = true;
	return &ld->base;
fail:
	load_free(ld);
	return NULL;
}

void sqlite_load_set_batch(struct store_load *base, unsigned n)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	ld->batch_events = n ? n : 1;
}

void sqlite_load_set_ridmap_max(struct store_load *base, size_t n)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	ld->ridmap_max = n;
}

int sqlite_load_sync(struct store_load *base, char **cause)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	if (drain(ld, cause) < 0 || flush_deferred(ld, cause) < 0)
		return -1;
	pthread_mutex_lock(&ld->mu);
	ld->c = ld->wc;
	pthread_mutex_unlock(&ld->mu);
	return 0;
}

void sqlite_load_counts(struct store_load *base, struct store_counts *out)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	pthread_mutex_lock(&ld->mu);
	*out = ld->c;
	pthread_mutex_unlock(&ld->mu);
}

int sqlite_load_source(struct store_load *base, const char *path, int64_t bytes, char **cause)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	if (drain(ld, cause) < 0 || commit(ld, cause) < 0)
		return -1;
	memset(&ld->wc, 0, sizeof ld->wc);
	ld->wc.first_ts = INT64_MAX;
	ld->wc.last_ts = INT64_MIN;
	pthread_mutex_lock(&ld->mu);
	ld->c = ld->wc;
	pthread_mutex_unlock(&ld->mu);
	sqlite3_stmt *q;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (sqlite3_prepare_v2(store_db(ld->base.st),
			       "INSERT INTO sources(path, bytes, loaded_at, status) VALUES(?,?,?,'loading')",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(ld, cause);
	sqlite3_bind_text(q, 1, path, -1, SQLITE_TRANSIENT);
	if (bytes >= 0)
		sqlite3_bind_int64(q, 2, bytes);
	sqlite3_bind_text(q, 3, now, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return db_fail(ld, cause);
	ld->source = sqlite3_last_insert_rowid(store_db(ld->base.st));
	return 0;
}

int sqlite_load_source_end(struct store_load *base, const char *sha256, const char *format,
			  const char *encoding, const char *status, const char *warning, char **cause)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	if (drain(ld, cause) < 0 || begin(ld, cause) < 0)
		return -1;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(store_db(ld->base.st),
			       "UPDATE sources SET sha256=?, format=?, encoding=?, status=?, warning=? WHERE id=?",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(ld, cause);
	sqlite3_bind_text(q, 1, sha256, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, format, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, encoding, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 4, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, warning, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 6, ld->source);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return db_fail(ld, cause);
	int rc = commit(ld, cause);
	ld->source = 0;
	return rc;
}

int sqlite_load_end(struct store_load *base, char **cause)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	int rc = 0;
	if (drain(ld, cause) < 0 || commit(ld, cause) < 0 || store_ensure_indexes(ld->base.st, cause) < 0)
		rc = -1;
	struct store *st = ld->base.st;
	bool sw = ld->journal_switched;
	load_free(ld);
	if (sw)
		sqlite_exec(st, "PRAGMA journal_mode=WAL", NULL);
	sqlite_exec(st, "PRAGMA cache_size=-65536", NULL);
	if (rc == 0)
		sqlite_exec(st, "PRAGMA optimize", NULL);
	return rc;
}

void sqlite_load_abort(struct store_load *base)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	if (!ld)
		return;
	/* keep what the writer has: commit it with the counters */
	if (drain(ld, NULL) == 0)
		commit(ld, NULL);
	else if (ld->txn)
		sqlite_exec(ld->base.st, "COMMIT", NULL);
	struct store *st = ld->base.st;
	bool sw = ld->journal_switched;
	load_free(ld);
	if (sw)
		sqlite_exec(st, "PRAGMA journal_mode=WAL", NULL);
}
