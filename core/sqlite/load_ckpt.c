/*
 * load_ckpt.c: the load's checkpointer. The case is in WAL mode, so every
 * page a load writes goes to the log first and is copied into the case
 * file by a checkpoint. SQLite runs that checkpoint in the committing
 * connection once the log holds 1,000 pages: the writer, the load's
 * critical path, then read the pages back, wrote them into the case and
 * waited for two fdatasync (at 1M events: 31 checkpoints, ~0.6 s of
 * waiting for the disk, and as many again between the index builds at
 * the end). Here a thread of the load's own, with a connection of its
 * own, runs a passive checkpoint when the writer's commits have left
 * enough uncopied pages in the log (load.c, WAL_CKPT_STEP), at least
 * every CKPT_LAZY_MS, and once the load ends after each commit and every
 * CKPT_POLL_MS (the index builds at the load's end commit without telling
 * it) (the writer goes on meanwhile: a checkpoint needs no write lock),
 * so the disk waits overlap the work. The log starts again from its
 * beginning only when the writer begins a transaction with every frame
 * copied, which it never does on its own while it streams: so once the
 * log is long (load.c, WAL_LOAD_CKPT_PAGES) the writer checkpoints
 * after its commit itself (load_ckpt_restart), after the thread's
 * checkpoint in progress, and finds nearly everything copied already.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "stopsig.h"
#include "xalloc.h"
#include "load_impl.h"

#define CKPT_POLL_MS 100
#define CKPT_LAZY_MS 1000

struct load_ckpt {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit, kicked;
	/* every CKPT_POLL_MS once the load ends (load_ckpt_poll), every
	 * CKPT_LAZY_MS before */
	bool polls;
	/* held around each checkpoint, the thread's and the writer's
	 * (load_ckpt_restart), so that neither finds the other's running
	 * and gives up (a passive checkpoint does not wait) */
	pthread_mutex_t run;
	/* frames of the log in the case file after the thread's last
	 * checkpoint (load_ckpt_copied; 0 again once the writer's own
	 * checkpoint lets the log start again) */
	_Atomic int copied;
	/* The log's pages in the page cache that the thread's checkpoints
	 * copied, given back once the load ends (drop_copied): the log's
	 * descriptor (-1: none), its page size, the bytes given back. */
	int wal_fd;
	int page_size;
	off_t dropped;
	/* The log's bytes the writer's commits have written and those the
	 * thread has sent to the disk since (load_ckpt_written; under mu) */
	off_t wb_to, wb_from;
};

/*
 * Once the load ends the log only grows (load.c: it starts again no
 * more) until the end's last checkpoint empties it and truncates it to
 * nothing, on the load's thread, with nothing else left to run: the
 * truncation freed every page of the log the page cache held (up to
 * 276 MB of it). A 270 MB file alone: 132-183 ms truncated with its
 * pages cached, 36 ms to give them back first and then 60 ms to
 * truncate it. So the frames the thread's checkpoints copied, synced by
 * them (a passive checkpoint syncs the log before it copies), are given
 * back here, beside the end's other work, short of the page the next
 * frame is written into (a page written in part and no longer cached
 * would be read back from the disk first). The end's truncation of the
 * log, 1M-event CSV (strace, three runs each in turn, boosted with chrt
 * on a busy machine): 83-99 -> 51-66 ms.
 */
static void drop_copied(struct load_ckpt *c, int done)
{
	if (c->wal_fd < 0 || done <= 0 || c->page_size <= 0)
		return;
	/* the log's 32-byte header, then frames of a 24-byte header and a page */
	off_t end = 32 + (off_t)done * (24 + c->page_size);
	end = (end & ~(off_t)4095) - 4096;
	if (end <= c->dropped)
		return;
	posix_fadvise(c->wal_fd, c->dropped, end - c->dropped, POSIX_FADV_DONTNEED);
	c->dropped = end;
}

/* A passive checkpoint on db (c->run held): what it copied kept for
 * load_ckpt_copied. */
static int checkpoint(struct load_ckpt *c, sqlite3 *db)
{
	int log = -1, done = -1;
	if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) != SQLITE_OK || done < 0)
		return -1;
	atomic_store(&c->copied, done);
	return done;
}

/* The next lazy checkpoint's time: ms from now (CLOCK_REALTIME, as the
 * condition variable waits). */
static struct timespec lazy_after(long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += ms % 1000 * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static void *ckpt_main(void *arg)
{
	struct load_ckpt *c = arg;
	pthread_setname_np(pthread_self(), "as-ckpt");
	pthread_mutex_lock(&c->mu);
	struct timespec until = lazy_after(CKPT_LAZY_MS);
	while (!c->quit) {
		bool due = c->kicked;
		while (!due && !c->quit && c->wb_to == c->wb_from)
			due = pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT || c->kicked;
		if (c->quit)
			break;
		off_t from = c->wb_from, to = c->wb_to;
		c->wb_from = to;
		c->kicked = false;
		pthread_mutex_unlock(&c->mu);
		/* the log's new frames on their way to the disk now (see
		 * load_ckpt_written), not all at the checkpoint's sync */
		if (to > from)
			sync_file_range(c->wal_fd, from, to - from, SYNC_FILE_RANGE_WRITE);
		if (!due) {
			pthread_mutex_lock(&c->mu);
			continue;
		}
		/* nothing new in the log: no copy and no sync. A failure (a
		 * reader's snapshot, another checkpoint running) leaves the
		 * pages to the next one, or to the load's last checkpoint. */
		pthread_mutex_lock(&c->run);
		int done = checkpoint(c, c->db);
		/* the load ends: its frames given back (run still held: the
		 * writer's checkpoint cannot start the log again meanwhile,
		 * and once the load ends it does so no more) */
		pthread_mutex_lock(&c->mu);
		bool ending = c->polls;
		pthread_mutex_unlock(&c->mu);
		if (ending)
			drop_copied(c, done);
		pthread_mutex_unlock(&c->run);
		pthread_mutex_lock(&c->mu);
		until = lazy_after(c->polls ? CKPT_POLL_MS : CKPT_LAZY_MS);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct load_ckpt *load_ckpt_start(const char *path)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 1000);
	/* a read opens the connection's log (a checkpoint on a connection
	 * that has read nothing yet does nothing); synchronous as the
	 * store's own connection has it */
	if (sqlite3_exec(db, "PRAGMA synchronous=NORMAL; SELECT count(*) FROM sqlite_master", NULL, NULL,
			 NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	struct load_ckpt *c = xcalloc(1, sizeof *c);
	c->db = db;
	c->wal_fd = -1;
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(db, "main"));
	sqlite3_stmt *q;
	if (wal && sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			c->page_size = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
		c->wal_fd = open(wal, O_RDONLY | O_CLOEXEC);
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	pthread_mutex_init(&c->run, NULL);
	if (stopsig_thread(&c->thread, ckpt_main, c) != 0) {
		pthread_mutex_destroy(&c->run);
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		if (c->wal_fd >= 0)
			close(c->wal_fd);
		sqlite3_close(db);
		free(c);
		return NULL;
	}
	return c;
}

void load_ckpt_kick(struct load_ckpt *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->kicked = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/*
 * A commit left the log frames long (its frames are in the page cache,
 * dirty): the thread starts their write to the disk (sync_file_range,
 * which does not wait for it), whole pages of them, short of the page
 * the next frame is written into. Otherwise the disk wrote nothing of
 * the log until a checkpoint's sync (a passive checkpoint syncs the log
 * before it copies), 64 MB of frames or more at once (the kernel's own
 * write-back waits for 10% of the memory or 30 s): the writer waited
 * for that when it started the log again (load_ckpt_restart), and the
 * load's end for the streaming's last frames. The same bytes go to the
 * disk, sooner, while the load's threads use the CPU. 1M
 * high-cardinality CSV, chrt, load 11-16, fdatasync time by thread
 * (strace), 3 runs each in turn: the writer 0.127/0.171/0.109 s ->
 * 0.116/0.026/0.084, the end's (main) 0.069/0.003/0.111 ->
 * 0.026/0.028/0.008, the checkpointer 0.79/0.98/0.74 -> 0.29/0.53/0.71.
 */
void load_ckpt_written(struct load_ckpt *c, int frames)
{
	if (!c || c->wal_fd < 0 || c->page_size <= 0)
		return;
	off_t end = ((32 + (off_t)frames * (24 + c->page_size)) & ~(off_t)4095) - 4096;
	pthread_mutex_lock(&c->mu);
	/* (less than before: the log started again from its beginning) */
	if (end < c->wb_from)
		c->wb_from = 0;
	if (end > c->wb_from) {
		c->wb_to = end;
		pthread_cond_signal(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

off_t load_ckpt_sent(struct load_ckpt *c)
{
	pthread_mutex_lock(&c->mu);
	off_t n = c->wb_from;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void load_ckpt_poll(struct load_ckpt *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->polls = true;
	c->kicked = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

int load_ckpt_copied(struct load_ckpt *c)
{
	return atomic_load(&c->copied);
}

void load_ckpt_restart(struct load_ckpt *c, sqlite3 *db)
{
	pthread_mutex_lock(&c->run);
	checkpoint(c, db);
	/* the log starts again at the writer's next transaction: its frames
	 * are counted from 0 again, and none of them is copied yet */
	atomic_store(&c->copied, 0);
	pthread_mutex_unlock(&c->run);
}

void load_ckpt_stop(struct load_ckpt *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->quit = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->run);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	if (c->wal_fd >= 0)
		close(c->wal_fd);
	sqlite3_close(c->db);
	free(c);
}
