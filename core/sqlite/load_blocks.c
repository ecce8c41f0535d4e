/*
 * load_blocks.c: raw blocks and message blocks: the writer gathers the raw
 * records (and the message lists) of consecutive events into a block, a
 * compressor thread compresses it (zstd), and the writer inserts the
 * compressed blocks that are ready.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "xalloc.h"
#include "load_impl.h"

void *load_blocks_main(void *arg)
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

/* Hand a block being assembled to the compressor: the entries, then the
 * trailer (n+1 offsets and n, little-endian u32), in the buffer they were
 * gathered in, so that nothing is copied on the way. A message block
 * ends at its last list (upto). */
static void flush_buf(struct sqlite_load *ld, struct blkbuf *bb, bool is_msgs)
{
	size_t n = is_msgs ? bb->upto : bb->noffs;
	if (n == 0) {
		bb->noffs = bb->len = bb->upto = 0;
		bb->msgs = 0;
		return;
	}
	size_t end = n < bb->noffs ? bb->offs[n] : bb->len;
	size_t tr = 4 * (n + 2);
	bb->data = xgrow(bb->data, &bb->cap, end + tr, 1);
	char *t = bb->data + end;
	for (size_t i = 0; i < n; i++)
		put_u32(t + 4 * i, bb->offs[i]);
	put_u32(t + 4 * n, (uint32_t)end);
	put_u32(t + 4 * (n + 1), (uint32_t)n);
	struct block *b = xcalloc(1, sizeof *b);
	b->first = bb->first;
	b->n = (int64_t)n;
	b->msgs = bb->msgs;
	b->is_msgs = is_msgs;
	b->len = end + tr;
	b->data = bb->data;
	bb->data = NULL;
	bb->cap = 0;
	bb->noffs = bb->len = bb->upto = 0;
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
	flush_buf(ld, &ld->rawb, false);
	flush_buf(ld, &ld->msgb, true);
}

void load_blkbuf_free(struct blkbuf *b)
{
	free(b->data);
	free(b->offs);
}

/* Insert the compressed blocks that are ready; with wait, all of them. */
int load_blocks_collect(struct sqlite_load *ld, bool wait, char **cause)
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
				rc = set_cause(cause, "%s: block compression failed", store_path(ld->base.st));
			} else if (b->is_msgs) {
				sqlite3_stmt *q = ld->ins_mblk;
				sqlite3_bind_int64(q, 1, b->first);
				sqlite3_bind_int64(q, 2, b->n);
				sqlite3_bind_int64(q, 3, b->msgs);
				sqlite3_bind_blob(q, 4, b->data, (int)b->len, SQLITE_STATIC);
				if (sqlite3_step(q) != SQLITE_DONE)
					rc = load_db_fail(ld, cause);
				sqlite3_reset(q);
			} else {
				sqlite3_stmt *q = ld->ins_blk;
				sqlite3_bind_int64(q, 1, b->first);
				sqlite3_bind_int64(q, 2, b->n);
				sqlite3_bind_blob(q, 3, b->data, (int)b->len, SQLITE_STATIC);
				if (sqlite3_step(q) != SQLITE_DONE)
					rc = load_db_fail(ld, cause);
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
#define BLOCKS_IN_FLIGHT 8
/* the trailer's offsets: 4 bytes an entry (a 512 KB block of 100-byte
 * records, 5,000 entries: 20 KB); more grows the buffer once */
#define BLOCK_TRAILER_ROOM ((size_t)32 << 10)

/* A block's buffer goes to the compressor with it, so each block starts
 * a new one: taken at the block's full size (want: its limit and room
 * for the trailer) rather than doubled up to it, which copied every
 * block about once more in the writer's thread (realloc, 1.5% of its
 * instructions on a CSV load). */
static void put_entry(struct blkbuf *bb, int64_t id, struct sv e, size_t want)
{
	if (bb->noffs == 0)
		bb->first = id;
	if (!bb->data) {
		bb->data = xmalloc(want);
		bb->cap = want;
	}
	bb->offs = xgrow(bb->offs, &bb->ocap, bb->noffs + 1, sizeof *bb->offs);
	bb->offs[bb->noffs++] = (uint32_t)bb->len;
	bb->data = xgrow(bb->data, &bb->cap, bb->len + e.n, 1);
	if (e.n)
		memcpy(bb->data + bb->len, e.p, e.n);
	bb->len += e.n;
	bb->next = id + 1;
}

int load_blocks_append(struct sqlite_load *ld, int64_t id, struct sv raw, char **cause)
{
	struct blkbuf *bb = &ld->rawb;
	if (bb->noffs && (id != bb->next || bb->len + raw.n > BLOCK_BYTES)) {
		flush_buf(ld, bb, false);
		/* the compressor is behind: wait for it, memory stays bounded */
		if (ld->zcount >= BLOCKS_IN_FLIGHT && load_blocks_collect(ld, true, cause) < 0)
			return -1;
	}
	put_entry(bb, id, raw, BLOCK_BYTES + BLOCK_TRAILER_ROOM);
	return 0;
}

/*
 * Message lists go in blocks of their own, beside the raw blocks: read
 * apart from the raw records (a messages listing decompresses 150 MB of
 * lists on a million events, not 1.3 GB of records), compressed like
 * them (about 3x: the lists are mostly message ids). A block starts at
 * an event that has a list; events without one in between are empty
 * entries; a run of MSG_GAP of them ends the block.
 */
#define MSG_BLOCK_BYTES ((size_t)256 << 10)
#define MSG_GAP 4096

int load_blocks_msgs(struct sqlite_load *ld, int64_t id, struct sv list, size_t n, char **cause)
{
	struct blkbuf *bb = &ld->msgb;
	if (bb->noffs && (id != bb->next || bb->len + list.n > MSG_BLOCK_BYTES ||
			  (!list.n && bb->noffs - bb->upto >= MSG_GAP))) {
		flush_buf(ld, bb, true);
		if (ld->zcount >= BLOCKS_IN_FLIGHT && load_blocks_collect(ld, true, cause) < 0)
			return -1;
	}
	if (!list.n && bb->noffs == 0)
		return 0;
	put_entry(bb, id, list, MSG_BLOCK_BYTES + BLOCK_TRAILER_ROOM);
	if (list.n) {
		bb->upto = bb->noffs;
		bb->msgs += (int64_t)n;
	}
	return 0;
}

int load_blocks_settle(struct sqlite_load *ld, int64_t id, char **cause)
{
	if (ld->msgb.noffs && id >= ld->msgb.first)
		flush_buf(ld, &ld->msgb, true);
	return ld->zcount ? load_blocks_collect(ld, true, cause) : 0;
}
