/*
 * load_impl.h: what the files of the SQLite store's bulk load share.
 *
 * A load runs on three threads: the caller's (reading and parsing, which
 * feeds the sink: load_batch.c), a writer that owns the SQLite work
 * (load_write.c, with deduplication in load_dedup.c and the value table
 * in load_values.c), and a compressor for the raw blocks (load_blocks.c).
 * The sink copies each event into a batch; full batches go to the writer
 * through a short queue, so memory stays bounded whatever the size of the
 * input. load.c starts and ends a load and its sources.
 */
#ifndef AUDITSCOPE_SQLITE_LOAD_IMPL_H
#define AUDITSCOPE_SQLITE_LOAD_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "pivots.h"
#include "sqlite_store.h"
#include "storage.h"

/* String -> vals.id, so that each distinct value costs one lookup per
 * load. Open addressing over a pool. Two generations (sqlite_load.in):
 * when the current one holds INTERN_GEN values the previous one is
 * cleared and becomes the current one, so the values seen recently stay
 * and memory stays bounded whatever the input (the database stays the
 * truth: a value no longer in the map is looked up in vals). */
struct intern_slot {
	/* the low half of the value's hash (load_value_hash, odd: never
	 * 0, an empty slot), which is also all a slot's place needs */
	uint32_t hash;
	uint32_t id;       /* (a value whose id is larger is not kept) */
	uint32_t off, len; /* the text in pool */
};
struct intern {
	/* one array of slots: a look-up reads one slot, not the same index
	 * of three arrays (hash, id, offset: three cache misses a value
	 * where the map is larger than the cache) */
	struct intern_slot *slot;
	size_t cap, count;
	char *pool;
	size_t plen, pcap;
};

/* 131072 held 26 MB of a 1M high-cardinality load's peak (tables and
 * pools of both generations); 65536 costs no measurable time. A
 * generation also ends when its texts fill INTERN_POOL: the pools had
 * grown by doubling to 8.4 MB on 200k high-cardinality events (massif,
 * 1.0 on the default shape), and slots of 24 bytes took 6.3 MB; 16-byte
 * slots and pools allocated once at their size take 4.2 + 4 MB (a value
 * the map no longer holds costs a look-up in the value map: vmap). */
#define INTERN_GEN 65536
#define INTERN_POOL ((size_t)2 << 20)
/* Slots of a generation: allocated at the size its INTERN_GEN values
 * need from the start (at most half full), not doubled from 65,536 as
 * it fills (the tables grew 1 -> 2 MB each at about 3.5M and 9M
 * default-shape events), so that their memory is bounded by
 * construction and never rehashed. Peak RSS did not move with it
 * (10M streamed 56.6 -> 56.4 MB, 1M 52.7-54.4 -> 54.0-54.2): the
 * tables' growth was not what set the 10M load's peak. */
#define INTERN_SLOTS ((size_t)2 * INTERN_GEN)

/* Items whose val_hashes the writer keeps (load_values_prefetch_map works
 * a few items ahead of the look-ups: load_write.c's PREFETCH_MAP), and
 * the bit that marks one worked out (val_hash is 31 bits). */
#define VHASH_RING 4
#define VHASH_SET 0x80000000u
/* Items after a duplicate whose record ids load_values_prefetch_map
 * checks first: a file the case has already is duplicates throughout,
 * whose values are never looked up, and a new one pays nothing. */
#define DUP_NEAR 4096u

/* A batch of events and rejects copied out of the parser's buffers. */
enum { ITEM_EVENT, ITEM_REJECT };
/* The interned fields of an event, in the order of their columns in
 * the events insert (load_write.c). */
#define LOAD_NVALS 15
static inline void load_event_values(const struct event *ev, struct sv out[LOAD_NVALS])
{
	const struct sv f[LOAD_NVALS] = {
		ev->op,         ev->rtype,  ev->workload,    ev->user,    ev->app,
		ev->client_app, ev->ip,     ev->result,      ev->session, ev->token,
		ev->mailbox,    ev->access, ev->client_info, ev->detail,  ev->host,
	};
	for (int i = 0; i < LOAD_NVALS; i++)
		out[i] = f[i];
}

/* An item carries what the parser's thread could work out for the writer
 * (the hashes of its values and record id, whether it is administrative):
 * the writer is the load's critical path, the parser's thread has time. */
struct item {
	int type;
	struct event ev; /* strings point into the batch's arena */
	uint64_t line;   /* rejects */
	size_t why, raw, rawlen;
	struct sv msgjson; /* ev.msgs packed as a JSON array */
	bool admin;        /* held back to the commit (load_write.c) */
	/* the record id as stored (rid.c): a GUID's SQLITE_RID_STORED bytes
	 * here (ridlen), or its text, RID_ESC in front when rid_esc */
	unsigned char ridlen;
	bool rid_esc;
	char rid[SQLITE_RID_STORED];
	uint64_t fp;             /* load_rid_fp of (kind, stored record id) */
	uint64_t vh[LOAD_NVALS]; /* load_value_hash of each value */
	/* each value's place + 1 among its batch's distinct values (struct
	 * bval), 0: none (absent, or not among them) */
	uint16_t vx[LOAD_NVALS];
};

/*
 * The distinct values of a batch, found by the parser's thread as it
 * fills it, so that the writer looks each one up once a batch, not once
 * an event (the operation, workload, app, user... of 512 events are a
 * few dozen values). Up to BATCH_VALS of them (a value past them is
 * looked up as before), by a table of BATCH_VSLOTS (twice as many).
 */
struct bval {
	uint64_t h;      /* load_value_hash */
	uint32_t off, n; /* the text in the batch's buf */
};
#define BATCH_VALS 8192
#define BATCH_VSLOTS 16384

struct batch {
	char *buf;
	size_t len, cap;
	struct item *items;
	size_t n, icap;
	struct bval *vals; /* (NULL until the batch's first value) */
	size_t nvals;
	uint16_t *vslot; /* place + 1 of a value in vals by its hash, 0 empty */
	size_t weight;   /* its bytes while queued (load_batch_weight) */
	struct batch *next;
};

/* A batch is sent at BATCH_ITEMS items or BATCH_BYTES of text; its
 * buffers are allocated at those sizes once, so that they do not double
 * past them. Up to QUEUE_MAX + 1 + SPARE_MAX batches exist (queued,
 * being filled, being written, kept for reuse): measured, 8 MB batches
 * and a queue of 3 were most of a load's peak memory, and smaller ones
 * cost no time; 1 MB (about 550 Purview CSV records) and one spare took
 * another 6 MB off a million-event load's peak (65.6 -> 59.7 MB, with
 * RIDMAP_MEM halved) at the same CPU; 512 KB and 512 items another 2.3-2.7
 * MB (200k high-cardinality CSV, median of 6 against 1 MB in the same
 * run: 60.6 -> 58.3 and 61.9 -> 59.2 MB, CPU 0.99x and 1.00x). */
#define BATCH_ITEMS 512
#define BATCH_BYTES ((size_t)512 << 10)
/*
 * The queue holds batches up to QUEUE_BYTES of their text and items
 * (load_batch_weight: what of their buffers is used; an empty queue takes
 * any one), not two batches: the writer's commit (its window of posting
 * lists, the raw blocks, the COMMIT's ~400 pages of log: 8-12 ms) took
 * longer than the parser needed to fill two, so the parser waited on a
 * full queue at every commit while the writer alone ran on the two cores
 * (tests/sched_idle.sh, 1M high-cardinality CSV: 1.1-1.7 s of waits over
 * 360-540 of them). A 1M-event load's batches are ~680 KB each (~290
 * Purview CSV records): 4 MB is ~6 of them. Written batches are kept for
 * reuse up to as many as the queue holds, so that a queue the writer
 * emptied is not filled again with fresh buffers (malloc, page faults,
 * the kernel's zeroing).
 */
#define QUEUE_BYTES ((size_t)4 << 20)
#define SPARE_MAX (QUEUE_BYTES / BATCH_BYTES)

/* A raw block on its way through the compressor. */
/* blocks on their way through the compressor before the writer waits:
 * 4 MB, as 8 of 512 KB were */
#define BLOCKS_IN_FLIGHT 4
struct block {
	int64_t first, n;
	int64_t msgs;  /* messages in its lists (0: a block without lists) */
	uint32_t dict; /* compressed with the load's dictionary (its id), or 0 */
	char *data;    /* uncompressed, then compressed */
	size_t len;
	size_t cap; /* data's buffer's size (load_blocks.c: a block's buffer is used again) */
	bool done;
	struct block *next;
};

/* A raw block being assembled by the writer: for each of consecutive
 * events its raw record and its message list (JSON text, empty for
 * none) back to back, and where each of those entries starts (two
 * offsets an event); the messages in the lists. */
struct blkbuf {
	char *data;
	size_t len, cap;
	uint32_t *offs;
	size_t noffs, ocap;
	int64_t first, next;
	int64_t msgs;
};

/*
 * Deduplication during a load. A unique index on record ids takes random
 * inserts into a B-tree as large as the case: measured, it doubled the
 * time of a million-event load (31.9 s against 16.6 s without it). So a
 * load keeps a table of 32-bit fingerprints of (kind, record id) with the
 * event id that holds each (a slot is fingerprint << 32 | id, 0 empty),
 * seeded from the case when the load starts; a fingerprint hit is
 * checked against the stored record id, so a collision never drops a
 * record, it costs a look-up. The case keeps the same fingerprints with
 * the event ids in ridx (rid.c), which seeds the table at a load's start
 * (a read of one integer an event, already sorted: one run) and takes
 * the load's own at its end, in key order from the table's runs. The
 * table in memory holds up to RIDMAP_MEM entries (8 bytes a
 * slot, at most half full: 2 MB); past that it goes to sorted runs in
 * temporary files behind a Bloom filter of at most RIDMAP_BLOOM_MAX
 * bytes (load_ridmap.c), so that memory stays bounded whatever the size
 * of the load.
 */
struct ridrun {
	int fd; /* a temporary file of n sorted slots */
	size_t n;
	uint64_t *first; /* the first slot of each RIDMAP_PAGE */
	size_t npages, pagecap;
};
#define RIDMAP_PAGE 4096
struct ridmap {
	uint64_t *slot;
	size_t cap, count;
	size_t max; /* entries in memory before a spill (0: RIDMAP_MEM) */
	struct ridrun *run;
	size_t nrun, runcap;
	size_t spilled;  /* entries in the runs */
	bool seeded;     /* run[0] is the seed alone (load_ridmap_each passes it by) */
	uint64_t *bloom; /* over the runs' fingerprints */
	size_t bloom_words;
	size_t bloom_max;    /* its bytes at most, 64 or more (0: RIDMAP_BLOOM_MAX) */
	int bloom_k;         /* bits set an entry */
	unsigned bloom_step; /* its growth (0: twice; load_ridmap.c's bloom_fit) */
	int64_t *cand;       /* load_ridmap_find's answer */
	size_t ncand, candcap;
	/* The young runs' filter (load_ridmap.c's young_sync): over the
	 * entries of every run but the first (young_n of them), so that a
	 * look-up the filter above lets through reads the first run and only
	 * those young runs this one may hold. young_max: its bytes at most
	 * (0: none, every run read). reads: run pages (or windows of them)
	 * read for look-ups. */
	uint64_t *young;
	size_t young_words, young_n, young_max;
	int young_k;
	size_t reads;
	/* The filter kept with the case (load_filter_read), which the seed
	 * takes: it holds the key of every id below kept_from, and the seed
	 * adds the case's keys from kept_from on (kept_late of its seed_n),
	 * so that a load's end need not write it again while those it lacks
	 * are few (load_filter_write). kept_from 0: none taken; kept_words
	 * and kept_k: its size as kept; kept_top: the case's highest id
	 * then (at most kept_from - 1: the seed adds none). */
	uint64_t *kept; /* (until the seed takes it) */
	int64_t kept_from, kept_top;
	size_t kept_words, kept_late, seed_n;
	int kept_k;
	uint64_t page[RIDMAP_PAGE / 8];
};
#define RIDMAP_MEM ((size_t)1 << 17)
#define RIDMAP_BLOOM_MAX ((size_t)4 << 20)
/*
 * The record ids' table (ld->rids): half the entries in memory and half
 * as much again for its filter. A look-up of a new id that its filter
 * lets through reads a page of each run, and at 10M ids a filter of 4 MB
 * (3.4 bits an id) let ~20% through: its memory pays more there than the
 * table's (bench_ridmap, 10M new ids: reads of runs 1.92M -> 0.84M, the
 * table's peak 10.6 -> 9.2 MB, 1M ids 8.0 -> 5.6 MB; with the spill sorted
 * in place, load_ridmap_spill). The value map keeps the defaults.
 * 3 MB, not 6: the filter was what grew between a 1M-event load and a 10M
 * one (its 2 MB at 1M), and issue 15 asks for the same peak; with runs
 * merged at four times (load_ridmap.c) a look-up let through reads fewer
 * of them (bench_ridmap 10M ids: reads 0.84M -> 2.84M, CPU seconds 2.15
 * -> 3.3-3.6, ~2% of a 10M-event load's; that load's peak RSS 62.1 -> 56.9
 * MB, a 1M-event load's 52-53 as before).
 */
#define RIDMAP_IDS_MEM ((size_t)1 << 16)
#define RIDMAP_IDS_BLOOM_MAX ((size_t)3 << 20)
/* The record ids' young runs' filter at most (load_ridmap.c's young_sync
 * says why). */
#define RIDMAP_IDS_YOUNG_MAX ((size_t)512 << 10)
/*
 * Events rows are inserted EV_GROUP at a time by one statement run
 * over them (load_rows, load_write.c): each statement run costs the same
 * fixed work whatever its rows (cursors opened and closed, the halt, the
 * reset; callgrind, 200k events: the writer thread outside its commits
 * -7% on CSV, -6% on high-cardinality JSON Lines). A row waits in the
 * group with its parameters; the group is inserted when full and before
 * anything reads the events table (a duplicate's look-up whose
 * fingerprint is in the group, the caller's drain, the commit), not at
 * the end of each batch (a batch's last rows went in one by one).
 */
#define EV_COLS 23 /* the parameters of an events row (load.c's ins_ev) */
#define EV_GROUP 64
#define EVQ_N 8 /* the events groups' statements kept (load_write.c) */
#define EVG_FP_WORDS 16
struct ev_row {
	int64_t v[EV_COLS]; /* v[1], the record id, unused: rid/ridlen */
	uint32_t null;      /* bit i: parameter i + 1 is NULL */
	uint32_t fp32;      /* load_ridmap_fp32 of the row's fingerprint */
	size_t rid, ridlen; /* the record id as stored, in evg_rid */
};

/* A value new to the case waits the same way (load_values.c), with the
 * id the load gives it (the next after the table's highest, as SQLite
 * would): its events row names it before the row of vals is in. */
struct val_row {
	int64_t id, h; /* h: sqlite_val_hash */
	size_t off, n; /* its text in valg_text */
};

struct sqlite_load {
	struct store_load base; /* first: the interface's head (storage.h) */
	int lockfd;
	sqlite3_stmt *ins_ev, *ins_blk, *ins_rmsg, *sel_val, *ins_rej, *upd_src;
	sqlite3_stmt *ins_src, *end_src; /* a source's row and its end (load.c), prepared once */
	/* events rows waiting for their group's insert (load_write.c);
	 * its statements prepared at their first use, a few kept (one a
	 * set of columns NULL in every row of a group), finalized by
	 * load_shed (load_groups_free) */
	struct evq {
		uint32_t nulls, same;
		sqlite3_stmt *q;
	} evq[EVQ_N];
	unsigned evq_next, evq_prepared;
	bool ev_ordered;          /* ev_order read */
	int8_t ev_order[EV_COLS]; /* the table's columns in its order, as ins_ev's parameters */
	char *ev_names;           /* their names as a column list; NULL: not all ins_ev's */
	struct ev_row evg[EV_GROUP];
	size_t nevg;
	/* a bit for each row's fingerprint in the group, by its low bits:
	 * most look-ups of a record id pass the group by without reading
	 * its rows (load_write.c's in_group) */
	uint64_t evg_fp[EVG_FP_WORDS];
	bool ts_looked;  /* the first group seen: ev_ts's direction settled (load_write.c) */
	int64_t ev_tail; /* the highest id in events when known (load_write.c), else 0 */
	char *evg_rid;
	size_t evg_ridlen, evg_ridcap;
	sqlite3_stmt *ins_valg; /* the values group's insert */
	bool rows_module;       /* load_rows registered on the connection */
	struct val_row valg[EV_GROUP];
	size_t nvalg;
	char *valg_text;
	size_t valg_len, valg_cap;
	int64_t last_val;    /* the highest vals id given (0: read it at the next new value) */
	struct intern in[2]; /* current, previous generation */
	/* the ids of the values of the batch being written, by place in its
	 * vals (0: not looked up yet); NULL when it has none (BATCH_VALS) */
	int64_t *vids;
	int64_t *vids_mem;
	/* The case's values and the load's, as a table of (val_hash, id),
	 * the candidates read by id (load_values.c); not mapped: the table
	 * failed, vals_h built and read instead */
	struct ridmap vmap;
	bool vals_mapped;
	/* the val_hash of the values load_values_prefetch_map worked out, by
	 * item (VHASH_RING of the batch's next items; VHASH_SET | hash, 0:
	 * not worked out), so that load_value_id does not hash them again:
	 * 57 M of a 200k high-cardinality load's writer ([valx], wave 17) */
	struct {
		const struct item *it;
		uint32_t h[LOAD_NVALS];
	} vhash[VHASH_RING];
	size_t vhash_next;
	/* items load_values_prefetch_map still asks of the record ids' table
	 * whether they may be duplicates (set at each duplicate found) */
	unsigned dup_near;
	/* the first value id not in vidx (vidx.c; the case's meta row
	 * vidx_from while the load runs), 0 once closed */
	int64_t vidx_from;
	sqlite3_stmt *sel_vtext;
	struct ridmap rids;
	sqlite3_stmt *sel_rid;
	/* the posting lists' entries of the events written since the last
	 * chunks (pivots.h): written when full and at each commit, so that
	 * a commit holds every entry of its events */
	struct pivot_window *pv;
	sqlite3_stmt *ins_pvg;  /* its chunks' insert (load_pivots_insert) */
	sqlite3_stmt *ins_gone; /* a replaced event's values, into pivot_gone */
	/* a duplicate: which event, how rich, replaced or only seen */
	sqlite3_stmt *sel_dup, *sel_rich, *del_ev, *del_msg, *ins_seen, *upd_seen;
	sqlite3_stmt *sel_conf; /* a duplicate's fields (load_conflict.c), prepared at need */
	bool by_index;          /* dedup through a unique index instead of the table (load_ridmap_retire) */
	/* ridx (rid.c): the first event id not in it (the case's meta
	 * ridx_from while the load runs), and the slots of this load's own
	 * events a richer copy replaced since, which its end leaves out */
	int64_t ridx_from, ridx_n; /* and the entries it holds */
	uint64_t *ridx_del;
	size_t nridx_del, ridx_delcap;
	uint64_t *ridx_rm; /* earlier loads' slots replaced in this transaction */
	size_t nridx_rm, ridx_rmcap;
	/* The last event id given (0: not read yet). Ids are given by the
	 * load, never again: a block's id is its first event's, and SQLite's
	 * own (the highest row's + 1) gave a richer copy the id of the
	 * event it replaced when that was the last row, whose block then
	 * collided with the old one's (UNIQUE constraint failed:
	 * rawblocks.id, the load lost). */
	int64_t last_id;
	/* administrative records held back until the commit (is_admin),
	 * copied out of their batches into one of their own */
	struct batch *deferred;
	bool flushing;
	int64_t source;
	int64_t source_bytes; /* its own bytes once read whole (-1: as it began) */
	char *source_path;    /* the current source's, for the abort */
	char *reserve;        /* CASE-reserve (load.c, reserve_take), or NULL */
	unsigned batch_events, pending;
	/* a transaction is open: written by whichever thread has the
	 * connection (the writer, or the caller while it holds it after
	 * load_drain), read by the writer under mu as it waits for work;
	 * atomic, so that the caller's write without mu is not a data race
	 * (ThreadSanitizer: load_commit on the caller's thread against the
	 * writer's wait loop) */
	_Atomic bool txn;
	int64_t txn_ms;     /* when the open transaction began (monotonic) */
	int64_t txn_max_ms; /* LOAD_TXN_MS (a test's longer) */
	/* transactions are numbered from 1 as they begin: the one that
	 * holds the last source closed, the last one committed */
	uint64_t txn_serial, source_mark;
	_Atomic uint64_t committed;
	unsigned since_look; /* events since the writer last looked for waiters */
	int64_t look_ms;     /* when it last tested their lock (load_yield) */
	bool held;           /* the caller uses the connection (drained) */
	/* the writer waits for work with no timer (nothing to commit, or
	 * held): load_release wakes it only then; released_ms is when the
	 * caller last gave the connection back (load_now_ms) */
	bool parked;
	int64_t released_ms;

	/* the batch being filled by the parser thread */
	struct batch *cur;
	/* written batches kept for reuse (guarded by mu; load_batch.c) */
	struct batch *spare;
	size_t nspare;

	/* parser -> writer */
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_idle, cv_space;
	struct batch *qhead, *qtail;
	size_t qlen, qbytes; /* batches queued, the sum of their weights */
	bool busy, quit;
	char *error; /* set by the writer: every later call fails with it */
	atomic_bool has_error;
	struct store_counts c;  /* guarded by mu: published by the writer */
	struct store_counts wc; /* the writer's own (or the caller's, when drained) */
	pthread_t writer;
	bool writer_started;

	/* the raw block being assembled by the writer */
	struct blkbuf rawb;

	/* writer -> compressor -> writer */
	pthread_mutex_t zmu;
	pthread_cond_t zcv, zdone;
	struct block *zhead, *ztail; /* in order; done ones are inserted from the head */
	struct block *znext;         /* next one to compress */
	size_t zcount;               /* blocks in the list */
	/* the raw blocks' buffers the compressor is done with, for the
	 * writer's next blocks (load_blocks.c: block_buf) */
	char *zbuf[BLOCKS_IN_FLIGHT + 1];
	size_t nzbuf;
	bool zquit;
	bool zpress; /* the writer waits for the blocks in flight (load_blocks_collect) */
	pthread_t zthread;
	bool zstarted;
	ZSTD_CCtx *cctx;
	struct load_zdict *zd; /* the load's dictionary (load_blocks.c) */

	/* the log's checkpoints, off the writer (load_ckpt.c; NULL: the
	 * connection's own, as before) */
	struct load_ckpt *ckpt;
	int wal_cap; /* pages of log at which a commit lets it start again (load.c) */
	/* the log is long: its pages up to wal_mark are left to the
	 * checkpointer, and the commit after they are copied starts it
	 * again (0: none); the commits since it was found long */
	int wal_mark, wal_rounds;
	bool ending; /* (sqlite_load_end: its last checkpoint empties the log) */
};

/* load.c */
int load_db_fail(struct sqlite_load *ld, char **cause);
/* The log is long and the checkpointer has copied what it was left: the
 * writer commits now, so that the log starts again (wal_committed). */
bool load_restart_due(const struct sqlite_load *ld);
/* What a commit that left frames of log, copied of them by the
 * checkpointer, asks of it (wal_committed): nothing, a kick, or the
 * writer's own checkpoint so that the log starts again (wal_mark and
 * wal_rounds moved on). */
enum load_wal_step { WAL_NONE, WAL_KICK, WAL_RESTART };
enum load_wal_step load_wal_step(struct sqlite_load *ld, int frames, int copied);
/* After a commit: the annotations left pending while the load held the
 * case are applied (pending.c). */
int load_after_commit(struct sqlite_load *ld, char **cause);

/* load_ridmap.c: the fingerprint table */
bool load_ridmap_put(struct ridmap *m, uint64_t fp, int64_t id);
bool load_ridmap_spill(struct ridmap *m);
bool load_ridmap_find(struct ridmap *m, uint32_t f);
bool load_ridmap_maybe(const struct ridmap *m, uint32_t f);
void load_ridmap_prefetch(const struct ridmap *m, uint32_t f);
/* The case's entries (ridx, in order) as one run: next gives the next
 * slots, up to max, until it gives none. Its filter the one kept with
 * the case (m->kept, which the table takes, with the entries of ids
 * from m->kept_from on added) when it is the one the run would get,
 * else made from the run. false when the run could not be written. */
bool load_ridmap_seed(struct ridmap *m, size_t (*next)(void *ctx, uint64_t *slots, size_t max), void *ctx);
/* Every entry but the seed's (in ridx already), memory and runs, in slot
 * order (the table in memory is spilled first) to fn, until it returns
 * false. false when a run could not be written or read, or fn returned
 * false. */
bool load_ridmap_each(struct ridmap *m, bool (*fn)(void *ctx, uint64_t slot), void *ctx);
/* Sort n slots (tmp: room for n). */
void load_ridmap_sort(uint64_t *a, uint64_t *tmp, size_t n);
static inline uint32_t load_ridmap_fp32(uint64_t fp)
{
	return (uint32_t)(fp >> 32);
}
void load_ridmap_free(struct ridmap *m);

/* load_values.c: the value table */
/* over the record id as stored (rid.c: a GUID's key, other text) */
uint64_t load_rid_fp(int kind, const void *p, size_t n);
/* Set an item's stored record id from the event's (the parser's thread). */
void load_item_set_rid(struct item *it, struct sv rid);
/* The record id of an item as stored (an escaped one in *tmp, which the
 * caller frees: rare, only an id that begins with RID_GUID or RID_ESC). */
struct sv load_item_rid(const struct item *it, char **tmp);
/* Bind it as stored (text; SQLITE_TRANSIENT). */
void load_bind_rid(sqlite3_stmt *q, int i, const struct item *it);
void load_intern_clear(struct intern *in);
void load_intern_free(struct intern *in);
/* the value map and its statement */
void load_values_map_free(struct sqlite_load *ld);
/* At a load's beginning: a killed load's values into vidx, the window
 * of this load's opened, the case's values into the value map; at its
 * end (the load's values all committed): them into vidx, the window
 * closed (load_values.c). */
int load_values_begin(struct sqlite_load *ld, char **cause);
int load_values_finish(struct sqlite_load *ld, char **cause);
/* The value map's entries in memory (0: RIDMAP_MEM): the tests' spills. */
void load_values_set_max(struct sqlite_load *ld, size_t n);
uint64_t load_value_hash(struct sv s);
/* vh: the value's val_hash with VHASH_SET, or 0 (worked out here) */
int load_value_id(struct sqlite_load *ld, struct sv s, uint64_t h, uint32_t vh, int64_t *id, char **cause);
/* Ask the CPU for the intern slots of an item's values ahead of their
 * look-ups (load_write_batch: a few items ahead): the maps are larger
 * than the cache, and the writer waited on memory there. */
void load_values_prefetch(const struct sqlite_load *ld, const struct item *it);
/* Has the writer the id of the item's value i from earlier in its batch? */
static inline bool load_value_known(const struct sqlite_load *ld, const struct item *it, int i)
{
	return it->vx[i] && ld->vids && ld->vids[it->vx[i] - 1];
}
/* Then, once those slots are in the cache, the value map's memory for
 * the values they do not hold (most of them are new: map_find reads it). */
void load_values_prefetch_map(struct sqlite_load *ld, const struct item *it);
/* The val_hash of the item's values that load_values_prefetch_map worked
 * out (VHASH_SET | hash each, 0: not), NULL when it did not see the item;
 * forgotten at each batch's start (load_values_prefetch_reset). */
const uint32_t *load_values_prefetched(const struct sqlite_load *ld, const struct item *it);
void load_values_prefetch_reset(struct sqlite_load *ld);
/* Insert the values waiting in their group (load_flush_rows does first). */
int load_flush_vals(struct sqlite_load *ld, char **cause);

/* load_blocks.c: raw blocks and the compressor thread */
void *load_blocks_main(void *arg);
/* Hand the block being assembled to the compressor. */
void load_blocks_flush(struct sqlite_load *ld);
int load_blocks_collect(struct sqlite_load *ld, bool wait, char **cause);
/* Event id's raw record, and its message list (JSON text; empty for
 * none) of nmsgs messages. */
int load_blocks_append(struct sqlite_load *ld, int64_t id, struct sv raw, struct sv list, size_t nmsgs,
		       char **cause);
/* Make event id's message list readable through the connection (the
 * richness of a duplicate asks msg_items): its block inserted. */
int load_blocks_settle(struct sqlite_load *ld, int64_t id, char **cause);
void load_blkbuf_free(struct blkbuf *b);
/* the load's dictionary, once the compressor has stopped */
void load_blocks_free(struct sqlite_load *ld);

/* load_dedup.c: duplicates by (kind, record id) */
int load_is_dup(struct sqlite_load *ld, const struct item *it, bool *dup, int64_t *dup_id, char **cause);
int load_ridmap_retire(struct sqlite_load *ld, char **cause);
/* The fingerprint table seeded from ridx, mended first (a killed load's
 * window; a table that does not hold nevents entries); then the window
 * of this load's events opened (meta ridx_from). */
/*
 * A fingerprint table's filter kept with the case in meta (rows key and
 * key.0000 on: load_dedup.c), with the highest id (events', vals') whose
 * keys it holds, every one below it too. load_filter_read gives it to
 * m for its seed (m->kept) when it fits the case, whose highest id is id
 * now; load_filter_write keeps m's filter (id its table's highest) unless
 * the one kept still serves (a table without a filter: none);
 * load_filter_drop removes it.
 */
void load_filter_read(struct sqlite_load *ld, const char *key, struct ridmap *m, int64_t id);
void load_filter_write(struct sqlite_load *ld, const char *key, const struct ridmap *m, int64_t id);
void load_filter_drop(sqlite3 *db, const char *key);
int load_ridx_seed(struct sqlite_load *ld, char **cause);
/* Event id, inserted with fingerprint fp, and the event it replaced (0:
 * none), which leaves ridx. -1 past 2^32 events. */
int load_ridx_add(struct sqlite_load *ld, uint64_t fp, int64_t id, int64_t replaced, char **cause);
/* The load's events into ridx in key order and the window closed, in
 * one transaction (the writer idle, everything committed). */
int load_ridx_finish(struct sqlite_load *ld, char **cause);
/* Before a load's commit: the keys of the events it replaced out of ridx. */
int load_ridx_commit(struct sqlite_load *ld, char **cause);
/* After a commit: the window closed early in a case with annotations. */
int load_ridx_after_commit(struct sqlite_load *ld, char **cause);
void load_ridx_free(struct sqlite_load *ld);

/* load_conflict.c: a duplicate whose time or a field both copies have
 * differs from the stored event is kept in rejects as a conflict and
 * counted (*conflict set) instead of being merged as a duplicate */
int load_conflict(struct sqlite_load *ld, int64_t old, const struct event *ev, bool *conflict, char **cause);
int load_merge_dup(struct sqlite_load *ld, int64_t old, const struct event *ev, struct sv msgjson,
		   bool *replace, int64_t *old_source, int64_t *old_line, char **cause);
int load_failed_merge(struct sqlite_load *ld, char **cause);
int load_moved(struct sqlite_load *ld, int64_t old, int64_t new, int64_t old_source, int64_t old_line,
	       char **cause);

/* load_ckpt.c: the checkpointer thread. start: NULL when it cannot
 * open its connection (the writer then checkpoints, as SQLite does);
 * kick: after a commit; stop: joins it (NULL does nothing). */
struct load_ckpt;
struct load_ckpt *load_ckpt_start(const char *path);
void load_ckpt_kick(struct load_ckpt *c);
/* After a commit left the log frames long: their write to the disk
 * started on the thread (load_ckpt.c says why). */
void load_ckpt_written(struct load_ckpt *c, int frames);
/* (tests) The log's bytes from its start the thread has sent so far. */
off_t load_ckpt_sent(struct load_ckpt *c);
/* From now on (the load's end: its index builds) it looks every
 * CKPT_POLL_MS, not every CKPT_LAZY_MS, besides when kicked. */
void load_ckpt_poll(struct load_ckpt *c);
/* The writer's own checkpoint on its connection db, once the thread's in
 * progress is done, so that the log can start again at the writer's next
 * transaction. */
void load_ckpt_restart(struct load_ckpt *c, sqlite3 *db);
/* Frames of the log the thread's last checkpoint left copied into the
 * case file (counted from the log's start). */
int load_ckpt_copied(struct load_ckpt *c);
void load_ckpt_stop(struct load_ckpt *c);

/* load_write.c: the writer thread */
void *load_write_main(void *arg);
/* Write one sealed batch: on the writer's thread, or on the caller's
 * while it holds the connection (load_drain). */
int load_write_batch(struct sqlite_load *ld, struct batch *b, char **cause);
/* CLOCK_MONOTONIC in milliseconds */
int64_t load_now_ms(void);
int load_txn_begin(struct sqlite_load *ld, char **cause);
/* Events a load's window of posting lists holds (pivots.h): 16,384 at
 * 56-172 bytes each (65,536 entries of 24 bytes and 16 more to write
 * them, about 13,000 events, had added 2.2 MB to a 1M-event load's peak,
 * 65.8 -> 68.0 MB). */
#define PIVOT_WINDOW 16384
/* The window's chunks into the transaction. */
int load_pivots_flush(struct sqlite_load *ld, char **cause);
/* The window's inserter (pivot_window_set_insert; ctx the load) */
int load_pivots_insert(void *ctx, const struct pivot_chunk *c, size_t n, char **cause);
int load_commit(struct sqlite_load *ld, char **cause);
/* The commit cadence beside the count (sqlite_store.h, "Writes beside a
 * running load"): commit when someone outside the load waits to write
 * (and let them through), when the pivot window is about full (room for
 * fewer than LOAD_WINDOW_MARGIN more events: load_write.c says why), when
 * the transaction is LOAD_TXN_MS old, or, with idle, now. */
/* (a profile under valgrind sets both longer: at its pace they committed
 * every few thousand events, not every batch_events) */
#ifndef LOAD_TXN_MS
#define LOAD_TXN_MS 1000
#endif
#ifndef LOAD_IDLE_MS
#define LOAD_IDLE_MS 100
#endif
int load_yield(struct sqlite_load *ld, bool idle, char **cause);
/* (the writer's load_yield comes every 64 events) */
#define LOAD_WINDOW_MARGIN 64
int load_save_counts(struct sqlite_load *ld, char **cause);
int load_flush_deferred(struct sqlite_load *ld, char **cause);
/* Rows in memory as SQLite reads them in a group's insert (load_rows,
 * load_write.c): cell gives row's column col to out (nothing: NULL). */
struct load_rows {
	size_t n;
	void *ctx;
	void (*cell)(void *ctx, size_t row, int col, sqlite3_context *out);
};
#define LOAD_ROWS_COLS EV_COLS /* (columns c0 ...) */
/* Prepare head ("INSERT OR FAIL INTO t(a, b)") SELECT c0, c1 ... of ncol
 * columns FROM load_rows(?1). */
int load_prepare_rows(struct sqlite_load *ld, const char *head, int ncol, sqlite3_stmt **q, char **cause);
/* The same with the SELECT's list given ("NULL, c0, c2") */
int load_prepare_select(struct sqlite_load *ld, const char *head, const char *select, sqlite3_stmt **q,
			char **cause);
/* The events groups' statements finalized (load_shed) */
void load_groups_free(struct sqlite_load *ld);
/* Run it over rows: 0, or -1 (load_group_failed). */
int load_insert_rows(struct sqlite_load *ld, sqlite3_stmt *q, const struct load_rows *rows, char **cause);
/* Insert the values and then the events rows waiting in their groups
 * (EV_GROUP). */
int load_flush_rows(struct sqlite_load *ld, char **cause);
/* A group's insert failed: cause set, the transaction rolled back. */
int load_group_failed(struct sqlite_load *ld, char **cause);

/* load_batch.c: the parser's side */
void load_batch_free(struct batch *b);
/* A sealed batch's bytes in the queue: its text and the items it uses. */
static inline size_t load_batch_weight(const struct batch *b)
{
	return b->len + b->n * sizeof *b->items;
}
/* With mu held: may the parser queue a batch of weight w now? */
static inline bool load_queue_room(const struct sqlite_load *ld, size_t w)
{
	return !ld->qlen || ld->qbytes + w <= QUEUE_BYTES;
}
/* After the last commit: the writer and compressor threads stopped, and
 * everything the streaming held (batches, the compressor, the value map,
 * the fingerprint table) given back before the end's index builds sort;
 * load_free then has less to do. */
void load_shed(struct sqlite_load *ld);
/* With mu held: keep a written batch for reuse, or free it. */
void load_batch_recycle(struct sqlite_load *ld, struct batch *b);
struct sv load_stash(struct batch *b, struct sv s);
void load_batch_seal(struct batch *b);
int load_drain(struct sqlite_load *ld, char **cause);
/* The caller is done with the connection until its next drain: the
 * writer may commit an idle transaction again. */
void load_release(struct sqlite_load *ld);

#endif
