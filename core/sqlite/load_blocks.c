/*
 * load_blocks.c: raw blocks: the writer gathers the raw records and the
 * message lists of consecutive events into a block, a compressor thread
 * compresses it (zstd), and the writer inserts the compressed blocks that
 * are ready.
 *
 * A MailItemsAccessed record's list goes right after the record itself:
 * its message ids are the record's, which zstd then finds a few hundred
 * bytes back. In blocks of their own (msgblocks, schema 6 to 8) the same
 * lists compressed only about 3x and were a tenth of the case; beside
 * their records they cost about a third of that (200k high-cardinality
 * JSON Lines events: rawblocks 41.1 -> 45.0 MB, msgblocks 11.0 -> 0).
 *
 * A dictionary per load (schema 10): a block compresses alone, so what
 * repeats from block to block (the field names, the tenant's ids, user
 * agents, the shapes of the operations) is paid for again in every
 * block. The compressor keeps a copy of the load's first TRAIN_BYTES of
 * records, trains a dictionary on them on a thread of its own (ZDICT
 * fastCover with fixed parameters: 40 ms, once; load_blocks_main says
 * why and which blocks go without it) and compresses the blocks with it one
 * level up, where the dictionary's matches are found (level 1 uses few
 * of them; dict_cparams below is that level tuned). Measured on 200k high-cardinality records (raw blocks
 * recompressed, CPU of the compression alone): 512 KB blocks at level 1,
 * as before, 43.0 MB in 0.35 s; with a 512 KB dictionary at level 1
 * 37.8 MB (0.31 s), level 2 36.3 MB (0.35-0.39 s), level 3 36.0 MB
 * (0.55 s); a larger dictionary or a larger sample gains under 1%,
 * retraining every 32 MB 0.8%. Blocks of 1 MB (BLOCK_BYTES) take 3% less
 * again, and half as many rows leave half the space SQLite's leaf pages
 * lose to their tails (7% of rawblocks' pages at 512 KB); a record read
 * alone decompresses twice as much (0.2 -> 0.4 ms), and record.c keeps
 * two blocks so that reading in time order does not decompress the same
 * two in turn. 1M events of the generator, all four shapes: raw blocks
 * 225 -> 189 MB. The frames carry the dictionary's row id (zdicts.id) as
 * their dictID, so that a reader (record.c) finds it per block; the row
 * is inserted in the transaction of the first block that needs it, so
 * that a load killed and resumed stays whole. A load of less than
 * TRAIN_BYTES of records, or one whose training fails, writes its blocks
 * without a dictionary, as before (a dictionary would cost more than it
 * saves there).
 */
#define _GNU_SOURCE               /* pthread_setname_np */
#define ZDICT_STATIC_LINKING_ONLY /* fastCover with fixed parameters */
#define ZSTD_STATIC_LINKING_ONLY  /* a dictionary with parameters of our own */
#include <malloc.h>               /* malloc_trim */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>

#include "stopsig.h"
#include "xalloc.h"
#include "load_impl.h"

/* records a dictionary is trained on (the first of the load's), and its
 * size: 4 MB of records gave a dictionary within 0.5% of one trained on
 * 16 MB */
#define TRAIN_BYTES ((size_t)4 << 20)
#define DICT_BYTES ((size_t)512 << 10)
/* the level the dictionary is trained for (ZSTD_LEVEL without one) */
#define ZSTD_DICT_LEVEL 2

/* the trailer's offsets: 4 bytes an entry, two entries an event (a
 * 1 MB block of 100-byte records, 10,000 events: 80 KB); more grows the
 * buffer once */
#define BLOCK_TRAILER_ROOM ((size_t)96 << 10)

/*
 * A raw block's buffer (BLOCK_BUF bytes) is used again for a later block
 * once the compressor is done with it, rather than freed and taken anew:
 * at most BLOCKS_IN_FLIGHT + 1 are alive (the writer's and those waiting
 * for the compressor), so that many are made in a load whatever its size.
 * Freed and taken anew, each went back to the writer's malloc arena as a
 * hole that its small allocations then split, and the next block's
 * buffer, finding no 1.1 MB left whole, grew the arena by one: peak RSS
 * 53 MB at 1M events, 59 at 10M in steps of exactly a buffer
 * (malloc_info sampled through the loads).
 */
#define BLOCK_BUF (BLOCK_BYTES + BLOCK_TRAILER_ROOM)

/*
 * The parameters blocks with the dictionary compress at: level 2's
 * (strategy fast, 1 MB window) with hashLog 16 -> 15 and minMatch
 * 6 -> 7. Measured on the first 300 blocks (314 MB) of the 1M cases,
 * recompressed with their own dictionary (CPU of the compression alone,
 * same run): level 2 32.95 MB in 0.36-0.37 s; this 32.66 MB in
 * 0.33 s; level 1 35.67 MB (+8%) in 0.31-0.32 s; hashLog 16 with
 * minMatch 7 32.19 MB in 0.35-0.37 s; hashLog 14 35.1 MB in 0.33 s;
 * targetLength 1 or 2 (fast's acceleration) 41.6 MB in 0.30-0.31 s;
 * minMatch 5 34.1 MB in 0.39 s; the low shape alike (level 2 31.78,
 * this 31.42, level 1 34.50 MB). Longer matches are what the
 * dictionary holds (field names, ids, whole values), and a smaller hash
 * table stays in the cache. Again in wave 20, with the writer's side on
 * the other core (block_compress's harness), 300 blocks of the
 * 1M JSON Lines high case, best of 5, two runs: these 32.47 MB in
 * 0.311-0.316 s, level 1 35.73 MB in 0.334-0.347 s, hashLog 14 34.85 MB
 * in 0.324-0.345 s, hashLog 16 32.02 MB in 0.340-0.346 s: nothing
 * faster short of fast's acceleration (literals left uncompressed,
 * +28%).
 *
 * That acceleration, with the literals still compressed (wave 25):
 * targetLength is fast's step less one (0 and 1: every second
 * position, 2: every third), and a targetLength above 0 is also what
 * turns fast's literal compression off unless
 * ZSTD_c_literalCompressionMode keeps it on (load_blocks_main). The
 * literals' Huffman coding is 15% of the compression's instructions,
 * the match search 41% (callgrind), and the dictionary's long matches
 * are found from a coarser step too. The first 300 blocks of the 1M
 * JSON Lines high case recompressed with its dictionary (a harness
 * doing the production's window copy, best of 5 to 9, same run, load
 * average 15-20): step 2 (as before) 31.43 MB in 0.330-0.389 s; step 3
 * (this) 31.77 MB (+1.1%) in 0.321-0.355 s (-3 to -10%); step 4 32.41 MB
 * (+3.1%) in 0.289-0.303 s, but on test_zdict's records the dictionary
 * then saves only 10% against a block without it; step 5 33.56 MB
 * (+6.8%); step 4 with hashLog 16 31.79 MB (+1.1%) in 0.315-0.357 s,
 * no faster than this (its table out of the cache again). The low shape
 * alike (30.47 -> 30.75 MB, +0.9%). Instructions in ZSTD_compress2
 * (callgrind, 150 blocks): 1,434 -> 1,340 M (-6.6%; step 4 1,289 M,
 * step 4 with hashLog 16 1,296 M). Decompression as fast. (minMatch 8
 * is not a longer match for fast: it takes 4, +29%.)
 */
#define DICT_STEP_LEN 2
static ZSTD_compressionParameters dict_cparams(bool step)
{
	ZSTD_compressionParameters cp;
	memset(&cp, 0, sizeof cp);
	cp.windowLog = 20;
	cp.chainLog = 15; /* (unused by fast) */
	cp.hashLog = 15;
	cp.searchLog = 1;
	cp.minMatch = 7;
	/* (without the literal switch: the step as before) */
	cp.targetLength = step ? DICT_STEP_LEN : 0;
	cp.strategy = ZSTD_fast;
	return cp;
}

/* The load's dictionary: sampled and trained by the compressor thread;
 * its row handed to the writer with the first block compressed with it
 * (under zmu, as the block is). */
struct load_zdict {
	uint32_t id; /* its zdicts.id and dictID (0: none yet) */
	bool done;   /* sampled: training, trained or given up */
	/* trained on a thread of its own (zdict_trainer; under zmu: trained
	 * once cdict and row are set, or it gave up) */
	pthread_t trainer;
	bool training, trained;
	char *sample;
	size_t slen, scap;
	size_t *sizes;
	size_t nsizes, sizecap;
	ZSTD_CDict *cdict;
	/* the compressor keeps fast's literal compression on whatever its
	 * step (load_blocks_main): the cdict may take the longer step */
	bool step;
	/* the dictionary, then room for a block (BLOCK_BUF): the window the
	 * blocks are compressed in (load_blocks_main; cdict refers to it) */
	char *win;
	size_t winlen; /* the dictionary's bytes at its start */
	char *row;     /* the dictionary as stored: one zstd frame, checksummed */
	size_t rowlen;
	bool stored; /* the writer has inserted its row */
	char *out;   /* the output of a block compressed where it is (block_compress) */
	size_t outcap;
	sqlite3_stmt *ins;
};

/* Keep a copy of a block's entries (its records and lists, not its
 * trailer) for the training. */
static void zdict_sample(struct load_zdict *zd, const char *data, size_t len)
{
	if (len < 4)
		return;
	uint32_t tn = get_u32(data + len - 4);
	size_t n = tn & ~BLOCK_LISTS;
	size_t nofs = (tn & BLOCK_LISTS) ? 2 * n : n;
	if (len < 4 * (nofs + 2))
		return;
	const char *offs = data + len - 4 * (nofs + 2);
	for (size_t i = 0; i < nofs; i++) {
		uint32_t a = get_u32(offs + 4 * i), b = get_u32(offs + 4 * (i + 1));
		if (b <= a || b > len)
			continue; /* an empty list */
		if (!zd->sample) {
			/* once, at its full size: doubling up to it would
			 * hold twice the memory while the load streams */
			zd->scap = TRAIN_BYTES + BLOCK_BYTES;
			zd->sample = xmalloc(zd->scap);
		}
		zd->sample = xgrow(zd->sample, &zd->scap, zd->slen + (b - a), 1);
		memcpy(zd->sample + zd->slen, data + a, b - a);
		zd->slen += b - a;
		zd->sizes = xgrow(zd->sizes, &zd->sizecap, zd->nsizes + 1, sizeof *zd->sizes);
		zd->sizes[zd->nsizes++] = b - a;
	}
}

/* Train on the sample; on success the dictionary compresses the blocks
 * once it is set (load_blocks_main) and its row waits for the writer. A
 * failure leaves the load without one. Either way the sample's memory
 * goes. */
static void zdict_make(struct load_zdict *zd)
{
	char *dict = xmalloc(DICT_BYTES);
	ZDICT_fastCover_params_t p;
	memset(&p, 0, sizeof p);
	p.k = 2048; /* segment size */
	p.d = 8;    /* dmer size */
	p.f = 18;   /* 2^f counters: 6 * 256 KB of memory while it runs */
	/* (a dmer in 4 counted: the same dictionary's worth, in 41% fewer
	 * instructions than every dmer (accel 1): ZDICT_trainFromBuffer_
	 * fastCover ~460 -> ~275 M Ir on the first 5.2 MB of records of the 1M
	 * JSON Lines high-cardinality case; the first 300 blocks after them,
	 * compressed with it, 0.04-0.10% smaller on all four 1M shapes (accel
	 * 10: ~235 M Ir, 0.04-0.06% smaller; f 16: 0.3% larger)) */
	p.accel = 4;
	p.zParams.compressionLevel = ZSTD_DICT_LEVEL;
	p.zParams.dictID = zd->id;
	size_t n = zd->id ? ZDICT_trainFromBuffer_fastCover(dict, DICT_BYTES, zd->sample, zd->sizes,
							    (unsigned)zd->nsizes, p)
			  : 0;
	free(zd->sample);
	free(zd->sizes);
	zd->sample = NULL;
	zd->sizes = NULL;
	zd->slen = zd->scap = zd->nsizes = zd->sizecap = 0;
	if (n == 0 || ZDICT_isError(n) || ZDICT_getDictID(dict, n) != zd->id) {
		free(dict);
		return;
	}
	/* stored compressed (about a third of its size), with a checksum:
	 * a damaged row is then an error, never a wrong dictionary */
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(n);
	char *row = xmalloc(bound);
	size_t rn = c ? ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1) : 0;
	if (c && !ZSTD_isError(rn))
		rn = ZSTD_compress2(c, row, bound, dict, n);
	ZSTD_freeCCtx(c);
	/* (by reference: its content is the window's start) */
	dict = xrealloc(dict, n + BLOCK_BUF);
	zd->cdict = c && !ZSTD_isError(rn)
			    ? ZSTD_createCDict_advanced(dict, n, ZSTD_dlm_byRef, ZSTD_dct_auto,
							dict_cparams(zd->step), ZSTD_defaultCMem)
			    : NULL;
	if (!zd->cdict) {
		free(dict);
		free(row);
		return;
	}
	zd->win = dict;
	zd->winlen = n;
	zd->row = xrealloc(row, rn);
	zd->rowlen = rn;
}

static void zdict_train(struct load_zdict *zd)
{
	zdict_make(zd);
#ifdef __GLIBC__
	/* the sample, the trainer's tables (6 MB) and the row's compressor
	 * back to the system now, not when the load ends: the streaming is
	 * a load's peak. After all of them: on the trainer's thread, what
	 * was freed after the trim stayed in its arena, which no other
	 * thread used until the end (1M events: peak RSS +2 MB). */
	malloc_trim(0);
#endif
}

static void *zdict_trainer(void *arg)
{
	struct sqlite_load *ld = arg;
	pthread_setname_np(pthread_self(), "as-train");
	zdict_train(ld->zd);
	pthread_mutex_lock(&ld->zmu);
	ld->zd->trained = true;
	pthread_cond_broadcast(&ld->zcv);
	pthread_cond_broadcast(&ld->zdone); /* (sqlite_load_zdict_wait) */
	pthread_mutex_unlock(&ld->zmu);
	return NULL;
}

void load_blocks_free(struct sqlite_load *ld)
{
	while (ld->nzbuf)
		free(ld->zbuf[--ld->nzbuf]);
	struct load_zdict *zd = ld->zd;
	if (!zd)
		return;
	free(zd->sample);
	free(zd->sizes);
	ZSTD_freeCDict(zd->cdict);
	free(zd->win);
	free(zd->out);
	free(zd->row);
	sqlite3_finalize(zd->ins);
	free(zd);
	ld->zd = NULL;
}

/* A buffer for the writer's next block. */
static char *block_buf_take(struct sqlite_load *ld)
{
	char *p = NULL;
	pthread_mutex_lock(&ld->zmu);
	if (ld->nzbuf)
		p = ld->zbuf[--ld->nzbuf];
	pthread_mutex_unlock(&ld->zmu);
	return p ? p : xmalloc(BLOCK_BUF);
}

/* Under ld->zmu: a block's buffer of cap bytes back, once the compressor
 * or the writer is done with it (one of another size, grown for a long
 * record or a frame's copy, is freed). */
static void block_buf_give(struct sqlite_load *ld, char *p, size_t cap)
{
	if (p && cap == BLOCK_BUF && ld->nzbuf < sizeof ld->zbuf / sizeof *ld->zbuf)
		ld->zbuf[ld->nzbuf++] = p;
	else
		free(p);
}

/*
 * Compress block b (the compressor's): its frame's size, or a zstd
 * error, with the frame in b->data (b->cap bytes: the buffer goes back
 * to the pool, or is freed, once the writer has inserted the frame).
 * With the dictionary the block is first copied into the window,
 * right after the dictionary's content: zstd then sees one contiguous
 * stretch of input (the dictionary as a prefix) and finds its matches
 * with its plain loop rather than the one that checks, for each
 * candidate, which of two buffers it lies in (what it does when the
 * block lies elsewhere). The frame is the same (its dictID, its
 * content size; record.c reads it as before). A block longer than the
 * window's room is compressed where it is, as before. Measured on the
 * first 300 blocks of the 1M JSON Lines high-cardinality case,
 * recompressed with its dictionary (CPU of the compression alone, best
 * of 7, same run): 0.382 s as before (ZSTD_compress_usingCDict into a
 * buffer of the block's bound, then realloc'd: 0.328 s into a buffer
 * kept), 0.303 s this way with the copy into the window and the copy
 * out: 21% less, the same 32.350 MB; the CSV case alike.
 *
 * The copy (5% of the compression's instructions) stays: it costs less
 * than it saves. Tried without it (wave 20): each pooled buffer with a
 * copy of the dictionary's content in front and a CDict of its own, the
 * writer assembling the block right behind it. The compressor thread's
 * instructions fell 7.3% (200k CSV high, callgrind), but its CPU rose:
 * a harness with the writer's side on one core filling a pool of six
 * buffers and the compression on the other, the first 300 blocks of the
 * 1M JSON Lines high case, best of 5, two runs: here 0.306-0.344 s, in
 * place 0.388-0.441 s (+25%); in place in a single buffer (one copy of
 * the dictionary) 0.335-0.348 s. The copy reads the block into this
 * core's cache at memcpy's pace, where zstd's loop would wait for it,
 * and one dictionary and its tables stay in the cache where six do not.
 *
 * Once copied, the block's own buffer is free: the frame is written
 * there, and the writer inserts it from there. Compressed into zd->out
 * instead, it was copied out into a buffer of its size, allocated a
 * block (about a fifth of the block's bytes copied again, and a malloc
 * and a free across two threads' arenas). A block without the
 * dictionary (before it is trained), longer than the window's room or
 * too close to its buffer's size for a frame that might not shrink
 * (ZSTD_compressBound) is compressed where it is, into zd->out, and
 * copied out as before.
 */
static size_t block_compress(struct sqlite_load *ld, struct block *b, const ZSTD_CDict *cd)
{
	struct load_zdict *zd = ld->zd;
	size_t len = b->len;
	size_t bound = ZSTD_compressBound(len);
	if (cd && len <= BLOCK_BUF && bound <= b->cap) {
		size_t r = ZSTD_CCtx_refCDict(ld->cctx, cd);
		if (ZSTD_isError(r))
			return r;
		memcpy(zd->win + zd->winlen, b->data, len);
		return ZSTD_compress2(ld->cctx, b->data, b->cap, zd->win + zd->winlen, len);
	}
	if (zd->outcap < bound)
		zd->out = xgrow(zd->out, &zd->outcap, bound, 1);
	size_t c;
	if (!cd) {
		c = ZSTD_compressCCtx(ld->cctx, zd->out, bound, b->data, len, ZSTD_LEVEL);
	} else {
		c = ZSTD_CCtx_refCDict(ld->cctx, cd);
		if (!ZSTD_isError(c))
			c = ZSTD_compress2(ld->cctx, zd->out, bound, b->data, len);
	}
	if (!ZSTD_isError(c)) {
		char *out = xmalloc(c);
		memcpy(out, zd->out, c);
		pthread_mutex_lock(&ld->zmu);
		block_buf_give(ld, b->data, b->cap);
		pthread_mutex_unlock(&ld->zmu);
		b->data = out;
		b->cap = c;
	}
	return c;
}

/*
 * The dictionary is trained on a thread of its own (zdict_trainer) while
 * the load goes on. Trained on this one, the blocks after the sample
 * waited for it, the writer soon behind them (BLOCKS_IN_FLIGHT), the
 * parser behind the writer and the reader behind the parser: one thread
 * runnable for the training's 45-60 ms at every load's start (1M events,
 * tests/sched_idle.sh). Meanwhile the blocks go without it (each ~10%
 * larger), all but the newest, which waits for the next one or for the
 * dictionary unless the writer waits for it (zpress): so a load that
 * trains one uses it at least for its last block, whatever the speed of
 * the machine.
 */
void *load_blocks_main(void *arg)
{
	struct sqlite_load *ld = arg;
	pthread_setname_np(pthread_self(), "as-compress");
	/* literals Huffman-coded in the dictionary's blocks whatever fast's
	 * step (dict_cparams; the blocks without it go through
	 * ZSTD_compressCCtx, which does not read this) */
	bool step = ld->cctx && !ZSTD_isError(ZSTD_CCtx_setParameter(ld->cctx, ZSTD_c_literalCompressionMode,
								     ZSTD_ps_enable));
	pthread_mutex_lock(&ld->zmu);
	for (;;) {
		while (!ld->znext && !ld->zquit)
			pthread_cond_wait(&ld->zcv, &ld->zmu);
		if (!ld->znext)
			break;
		struct load_zdict *zd = ld->zd;
		if (zd->training && !zd->trained && !ld->znext->next && !ld->zpress) {
			pthread_cond_wait(&ld->zcv, &ld->zmu);
			continue;
		}
		const ZSTD_CDict *cd = !zd->training || zd->trained ? zd->cdict : NULL;
		struct block *b = ld->znext;
		ld->znext = b->next;
		pthread_mutex_unlock(&ld->zmu);
		if (!zd->done)
			zdict_sample(zd, b->data, b->len);
		size_t c = block_compress(ld, b, cd);
		uint32_t dict = cd ? zd->id : 0;
		pthread_mutex_lock(&ld->zmu);
		if (ZSTD_isError(c)) {
			/* cannot happen with a bound-sized buffer; the writer
			 * fails the load */
			block_buf_give(ld, b->data, b->cap);
			b->data = NULL;
			c = 0;
		}
		b->len = c;
		b->dict = dict;
		b->done = true;
		pthread_cond_broadcast(&ld->zdone);
		if (!zd->done && zd->slen >= TRAIN_BYTES) {
			zd->done = true;
			zd->step = step;
			zd->training = stopsig_thread(&zd->trainer, zdict_trainer, ld) == 0;
			if (!zd->training) {
				/* (no thread: trained here, as before) */
				pthread_mutex_unlock(&ld->zmu);
				zdict_train(zd);
				pthread_mutex_lock(&ld->zmu);
			}
		}
	}
	pthread_mutex_unlock(&ld->zmu);
	if (ld->zd && ld->zd->training)
		pthread_join(ld->zd->trainer, NULL);
	return NULL;
}

void sqlite_load_zdict_wait(struct store_load *base)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	pthread_mutex_lock(&ld->zmu);
	for (;;) {
		struct load_zdict *zd = ld->zd;
		/* sampling while blocks wait for the compressor or are being
		 * compressed, or training */
		bool compressing = false;
		for (const struct block *b = ld->zhead; b && !compressing; b = b->next)
			compressing = !b->done;
		if (!zd || (zd->done ? !zd->training || zd->trained : !compressing))
			break;
		pthread_cond_wait(&ld->zdone, &ld->zmu);
	}
	pthread_mutex_unlock(&ld->zmu);
}

/* Hand the block being assembled to the compressor: the entries, then
 * the trailer (sqlite_store.h: the offsets of the records, or of records
 * and lists when it has lists, then n; little-endian u32), in the buffer
 * they were gathered in, so that nothing is copied on the way. */
static void flush_buf(struct sqlite_load *ld, struct blkbuf *bb)
{
	size_t n = bb->noffs / 2;
	if (n == 0) {
		bb->noffs = bb->len = 0;
		bb->msgs = 0;
		return;
	}
	bool lists = bb->msgs > 0;
	size_t nofs = lists ? 2 * n : n;
	size_t tr = 4 * (nofs + 2);
	bb->data = xgrow(bb->data, &bb->cap, bb->len + tr, 1);
	char *t = bb->data + bb->len;
	for (size_t i = 0; i < nofs; i++)
		put_u32(t + 4 * i, bb->offs[lists ? i : 2 * i]);
	put_u32(t + 4 * nofs, (uint32_t)bb->len);
	put_u32(t + 4 * (nofs + 1), (uint32_t)n | (lists ? BLOCK_LISTS : 0));
	struct block *b = xcalloc(1, sizeof *b);
	b->first = bb->first;
	b->n = (int64_t)n;
	b->msgs = bb->msgs;
	b->len = bb->len + tr;
	b->cap = bb->cap;
	b->data = bb->data;
	bb->data = NULL;
	bb->cap = 0;
	bb->noffs = bb->len = 0;
	bb->msgs = 0;
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

void load_blocks_flush(struct sqlite_load *ld)
{
	flush_buf(ld, &ld->rawb);
}

void load_blkbuf_free(struct blkbuf *b)
{
	free(b->data);
	free(b->offs);
}

/* The dictionary's row, in the transaction of the first block that needs
 * it (writer). */
static int zdict_store(struct sqlite_load *ld, char **cause)
{
	struct load_zdict *zd = ld->zd;
	if (zd->stored)
		return 0;
	if (!zd->ins && sqlite3_prepare_v2(store_db(ld->base.st), "INSERT INTO zdicts(id, data) VALUES(?, ?)",
					   -1, &zd->ins, NULL) != SQLITE_OK)
		return load_db_fail(ld, cause);
	sqlite3_bind_int64(zd->ins, 1, zd->id);
	sqlite3_bind_blob(zd->ins, 2, zd->row, (int)zd->rowlen, SQLITE_STATIC);
	int r = sqlite3_step(zd->ins);
	sqlite3_reset(zd->ins);
	if (r != SQLITE_DONE)
		return load_db_fail(ld, cause);
	/* a reader of this connection may know a dictionary of this id from
	 * a transaction rolled back since */
	sqlite_zdict_forget(ld->base.st, zd->id);
	zd->stored = true;
	return 0;
}

/* The id the load's dictionary will have: the next of the case's. */
static int zdict_start(struct sqlite_load *ld, char **cause)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(store_db(ld->base.st), "SELECT coalesce(max(id), 0) + 1 FROM zdicts", -1, &q,
			       NULL) != SQLITE_OK)
		return load_db_fail(ld, cause);
	int64_t id = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_finalize(q);
	struct load_zdict *zd = xcalloc(1, sizeof *zd);
	/* (past what a frame's dictID holds: no dictionary) */
	zd->id = id > 0 && id <= (int64_t)UINT32_MAX ? (uint32_t)id : 0;
	zd->done = zd->id == 0;
	ld->zd = zd;
	return 0;
}

/* Insert the compressed blocks that are ready, in order; with wait, the
 * others too as they are done, until at most keep are left in flight. */
static int collect(struct sqlite_load *ld, bool wait, size_t keep, char **cause)
{
	int rc = 0;
	pthread_mutex_lock(&ld->zmu);
	for (;;) {
		struct block *b = ld->zhead;
		if (!b)
			break;
		if (!b->done) {
			if (!wait || ld->zcount <= keep)
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
				rc = set_cause(cause, "%s: block compression failed", store_path(ld->base.st));
			} else if (b->dict && zdict_store(ld, cause) < 0) {
				rc = -1;
			} else {
				sqlite3_stmt *q = ld->ins_blk;
				sqlite3_bind_int64(q, 1, b->first);
				sqlite3_bind_int64(q, 2, b->n);
				sqlite3_bind_blob(q, 3, b->data, (int)b->len, SQLITE_STATIC);
				if (sqlite3_step(q) != SQLITE_DONE)
					rc = load_db_fail(ld, cause);
				sqlite3_reset(q);
				/* the messages of a block with lists (the case's count) */
				if (rc == 0 && b->msgs > 0) {
					q = ld->ins_rmsg;
					sqlite3_bind_int64(q, 1, b->first);
					sqlite3_bind_int64(q, 2, b->msgs);
					if (sqlite3_step(q) != SQLITE_DONE)
						rc = load_db_fail(ld, cause);
					sqlite3_reset(q);
				}
			}
		}
		pthread_mutex_lock(&ld->zmu);
		block_buf_give(ld, b->data, b->cap);
		free(b);
	}
	pthread_mutex_unlock(&ld->zmu);
	return rc;
}

/*
 * The writer waits for every block (at a commit, a full queue of blocks,
 * a duplicate's settle): the newest then goes without the dictionary if
 * it is still being trained (zpress, load_blocks_main), so that the
 * writer does not wait for the training too. It did at the load's
 * first commit (the pivot window's end, 16,384 events), which came while
 * the dictionary trained: the writer stopped ~98 ms and the load's other
 * threads behind it, the trainer alone runnable (1M CSV,
 * tests/sched_idle.sh). Not at the load's end: its newest block waits,
 * so that a load that trains a dictionary uses it at least for its last
 * block whatever the speed of the machine (unless its last commit came
 * before its end: a commit by time or count at its last source's end).
 */
int load_blocks_collect(struct sqlite_load *ld, bool wait, char **cause)
{
	if (!wait || ld->ending)
		return collect(ld, wait, 0, cause);
	pthread_mutex_lock(&ld->zmu);
	ld->zpress = true;
	pthread_cond_signal(&ld->zcv);
	pthread_mutex_unlock(&ld->zmu);
	int r = collect(ld, true, 0, cause);
	pthread_mutex_lock(&ld->zmu);
	ld->zpress = false;
	pthread_mutex_unlock(&ld->zmu);
	return r;
}

/* An event's two entries, its record and its list (empty for none), in
 * one pass: one look at the room for both, no call an entry.
 *
 * A block's buffer goes to the compressor with it, so each block starts
 * another: taken at the block's full size (its limit and room for the
 * trailer) rather than doubled up to it, which copied every block about
 * once more in the writer's thread (realloc, 1.5% of its instructions
 * on a CSV load). */
static void put_entries(struct sqlite_load *ld, struct blkbuf *bb, struct sv raw, struct sv list)
{
	if (!bb->data) {
		bb->cap = BLOCK_BUF;
		bb->data = block_buf_take(ld);
	}
	bb->offs = xgrow(bb->offs, &bb->ocap, bb->noffs + 2, sizeof *bb->offs);
	bb->data = xgrow(bb->data, &bb->cap, bb->len + raw.n + list.n, 1);
	char *d = bb->data + bb->len;
	bb->offs[bb->noffs++] = (uint32_t)bb->len;
	if (raw.n)
		memcpy(d, raw.p, raw.n);
	bb->len += raw.n;
	bb->offs[bb->noffs++] = (uint32_t)bb->len;
	if (list.n)
		memcpy(d + raw.n, list.p, list.n);
	bb->len += list.n;
}

int load_blocks_append(struct sqlite_load *ld, int64_t id, struct sv raw, struct sv list, size_t nmsgs,
		       char **cause)
{
	struct blkbuf *bb = &ld->rawb;
	if (!ld->zd && zdict_start(ld, cause) < 0)
		return -1;
	if (bb->noffs && (id != bb->next || bb->len + raw.n + list.n > BLOCK_BYTES)) {
		flush_buf(ld, bb);
		/* The compressor is behind: wait for its oldest block, memory
		 * stays bounded. Not for all of them, as before: the writer
		 * then went on with the compressor idle, its queue empty,
		 * until the next block came (and the newest, the one a
		 * training dictionary holds back, is never waited for here).
		 * 1M high-cardinality CSV, chrt, load 20, 3 runs each in turn:
		 * the writer waited for the compressor 425/423/306 ms in all
		 * (here and at its commits), now 171/189/154 ms. */
		if (ld->zcount >= BLOCKS_IN_FLIGHT && collect(ld, true, BLOCKS_IN_FLIGHT - 1, cause) < 0)
			return -1;
	}
	if (bb->noffs == 0)
		bb->first = id;
	put_entries(ld, bb, raw, list);
	bb->msgs += list.n ? (int64_t)nmsgs : 0;
	bb->next = id + 1;
	return 0;
}

int load_blocks_settle(struct sqlite_load *ld, int64_t id, char **cause)
{
	if (ld->rawb.noffs && id >= ld->rawb.first)
		flush_buf(ld, &ld->rawb);
	return ld->zcount ? load_blocks_collect(ld, true, cause) : 0;
}
