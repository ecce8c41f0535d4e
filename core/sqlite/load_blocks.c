/*
 * load_blocks.c: raw blocks: the writer gathers the raw records of consecutive
 * events into a block, a compressor thread compresses it (zstd), and the
 * writer inserts the compressed blocks that are ready.
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

/* Hand the block being assembled to the compressor: the records, then
 * the trailer (n+1 offsets and n, little-endian u32), in the buffer they
 * were gathered in, so that nothing is copied on the way. */
void load_blocks_flush(struct sqlite_load *ld)
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
				rc = set_cause(cause, "%s: raw block compression failed",
					       store_path(ld->base.st));
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

int load_blocks_append(struct sqlite_load *ld, int64_t id, struct sv raw, char **cause)
{
	if (ld->noffs && (id != ld->blk_next || ld->rawlen + raw.n > BLOCK_BYTES)) {
		load_blocks_flush(ld);
		/* the compressor is behind: wait for it, memory stays bounded */
		if (ld->zcount >= BLOCKS_IN_FLIGHT && load_blocks_collect(ld, true, cause) < 0)
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
