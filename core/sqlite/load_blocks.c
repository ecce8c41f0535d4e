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
		free(b->data);
		free(b);
		pthread_mutex_lock(&ld->zmu);
	}
	pthread_mutex_unlock(&ld->zmu);
	return rc;
}
#define BLOCKS_IN_FLIGHT 8
/* the trailer's offsets: 4 bytes an entry, two entries an event (a
 * 512 KB block of 100-byte records, 5,000 events: 40 KB); more grows the
 * buffer once */
#define BLOCK_TRAILER_ROOM ((size_t)48 << 10)

/* A block's buffer goes to the compressor with it, so each block starts
 * a new one: taken at the block's full size (its limit and room for the
 * trailer) rather than doubled up to it, which copied every block about
 * once more in the writer's thread (realloc, 1.5% of its instructions
 * on a CSV load). */
static void put_entry(struct blkbuf *bb, struct sv e)
{
	if (!bb->data) {
		bb->cap = BLOCK_BYTES + BLOCK_TRAILER_ROOM;
		bb->data = xmalloc(bb->cap);
	}
	bb->offs = xgrow(bb->offs, &bb->ocap, bb->noffs + 1, sizeof *bb->offs);
	bb->offs[bb->noffs++] = (uint32_t)bb->len;
	bb->data = xgrow(bb->data, &bb->cap, bb->len + e.n, 1);
	if (e.n)
		memcpy(bb->data + bb->len, e.p, e.n);
	bb->len += e.n;
}

int load_blocks_append(struct sqlite_load *ld, int64_t id, struct sv raw, struct sv list, size_t nmsgs,
		       char **cause)
{
	struct blkbuf *bb = &ld->rawb;
	if (bb->noffs && (id != bb->next || bb->len + raw.n + list.n > BLOCK_BYTES)) {
		flush_buf(ld, bb);
		/* the compressor is behind: wait for it, memory stays bounded */
		if (ld->zcount >= BLOCKS_IN_FLIGHT && load_blocks_collect(ld, true, cause) < 0)
			return -1;
	}
	if (bb->noffs == 0)
		bb->first = id;
	put_entry(bb, raw);
	put_entry(bb, list);
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
