/*
 * load.c: the SQLite store's bulk load (store.h: store_load_*): a load's
 * beginning (locks, the fingerprint table seeded from the case, the
 * statements, the threads), its sources, and its end. load_impl.h says
 * which file does what.
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
#include "stopsig.h"
#include "util.h"
#include "xalloc.h"
#include "load_impl.h"
#include "pending.h"


int load_db_fail(struct sqlite_load *ld, char **cause)
{
	return set_cause(cause, "%s: %s", store_path(ld->base.st), sqlite3_errmsg(store_db(ld->base.st)));
}

/* SQLite's default checkpoint size, given back at the load's end */
#define WAL_CKPT_PAGES 1000
/* During a load the checkpointer (load_ckpt.c) copies each commit's
 * pages while the writer goes on, but the log starts again from its
 * beginning only when the writer begins a transaction with every frame
 * already copied, and the writer begins its next one right after each
 * commit: the log grew with the whole load (200k events: 104 MB of log
 * for a 97 MB case). So once the log holds this many pages (256 MB) the
 * writer's commit copies the rest itself (wal_committed). Each such
 * copy stops the writer, the load's critical path, for the pages of its
 * last commit and two fdatasync, whatever the size of the log: with
 * 64 MB a 1M-event CSV load stopped 6 times for 0.40 s in all (busy
 * machine), with 256 MB once for 0.07 s; the log then peaks at 276 MB
 * instead of 73, and the load's end empties it. */
#ifndef WAL_LOAD_CKPT_PAGES
#define WAL_LOAD_CKPT_PAGES 16384
#endif
/*
 * That copy was the whole of the commit that found the log long, a
 * second's work: 3,800 pages in 130-190 ms (1M-event CSV, chrt, busy
 * machine), the parser and the reader waiting behind the writer, and
 * then some more when the checkpointer's copy of the commit before was
 * still running. So the log starts again in steps: the commit that
 * finds it long leaves its pages to the checkpointer, as any other;
 * once they are copied the writer commits early (load_restart_due) and
 * copies the rest itself, which is what it wrote meanwhile, if that is
 * at most an eighth of WAL_LOAD_CKPT_PAGES. Else the same again, at
 * most WAL_REST_ROUNDS times (a checkpointer that cannot keep up, or a
 * reader that holds it back, is then waited for as before). Not once
 * the load ends: its last checkpoint empties the log (load_settle), and
 * a start again just before it copied the end's commits twice (1M CSV:
 * 84-139 ms of the end).
 */
/* While the load streams, the checkpointer is kicked once the log holds
 * this many frames it has not copied (64 MB), not at every commit: the
 * writer commits a pivot window at a time (load_write.c), ~60 times a 1M
 * event load, and a page the writer changes in several commits (the tails
 * of the tables, the interior pages) is then copied once, not once a
 * commit, with two fdatasync fewer each time. */
#define WAL_CKPT_STEP 4096
#define WAL_REST_SHARE 8
#define WAL_REST_ROUNDS 3

/*
 * A round is the checkpointer's copy up to wal_mark: a commit made while
 * it runs (the checkpointer has not copied up to the mark yet) waits for
 * it, and the commit load_restart_due calls for once it is done decides.
 * Such commits used to count as rounds and kick it again: at a 1M-event
 * load's pace a checkpoint (its copy and two fdatasync, 50-230 ms) spans
 * two or three commits, so the rounds ran out during the first, and the
 * writer's own checkpoint then waited for the one it had kicked before
 * it could start (1M high-cardinality CSV, chrt on a busy machine: the
 * one start again of a 256 MB log waited 50 ms of its 235; with a 64 MB
 * log 28-46 ms of each one's 75-135). A checkpointer that does not get
 * there (a reader holds the log) is waited for until the log has grown
 * by half its cap again.
 */
enum load_wal_step load_wal_step(struct sqlite_load *ld, int frames, int copied)
{
	if (ld->ending || (frames < ld->wal_cap && !ld->wal_mark))
		return ld->ending || frames - copied >= WAL_CKPT_STEP ? WAL_KICK : WAL_NONE;
	if (ld->wal_mark && copied < ld->wal_mark && frames - ld->wal_mark < ld->wal_cap / 2)
		return WAL_NONE;
	if (frames - copied <= ld->wal_cap / WAL_REST_SHARE || ld->wal_rounds >= WAL_REST_ROUNDS) {
		ld->wal_mark = 0;
		ld->wal_rounds = 0;
		return WAL_RESTART;
	}
	ld->wal_mark = frames;
	ld->wal_rounds++;
	return WAL_KICK;
}

/* After each commit on the load's connection (the writer's, the index
 * builds', the pending annotations'), in place of SQLite's checkpoint:
 * the checkpointer copies what was committed, and once the log is long
 * the rest is copied here, so that it starts again. */
static int wal_committed(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)name;
	struct sqlite_load *ld = arg;
	load_ckpt_written(ld->ckpt, frames);
	/* (more copied than the log holds: it started again since) */
	int copied = load_ckpt_copied(ld->ckpt);
	if (copied > frames)
		copied = 0;
	enum load_wal_step step = load_wal_step(ld, frames, copied);
	if (step == WAL_KICK)
		load_ckpt_kick(ld->ckpt);
	else if (step == WAL_RESTART)
		load_ckpt_restart(ld->ckpt, db);
	return SQLITE_OK;
}

bool load_restart_due(const struct sqlite_load *ld)
{
	return ld->wal_mark > 0 && ld->ckpt && load_ckpt_copied(ld->ckpt) >= ld->wal_mark;
}

int load_after_commit(struct sqlite_load *ld, char **cause)
{
	/* annotations an analyst could not wait for (pending.c) */
	if (pend_merge(ld->base.st, cause) < 0)
		return -1;
	/* (whose quiet commit gave the connection SQLite's default) */
	if (ld->ckpt)
		sqlite3_wal_hook(store_db(ld->base.st), wal_committed, ld);
	/* marks made while the load runs find its events through ridx */
	return load_ridx_after_commit(ld, cause);
}

static int prepare(struct sqlite_load *ld, sqlite3_stmt **q, const char *sql, char **cause)
{
	if (sqlite3_prepare_v3(store_db(ld->base.st), sql, -1, SQLITE_PREPARE_PERSISTENT, q, NULL) != SQLITE_OK)
		return load_db_fail(ld, cause);
	return 0;
}

/* ---- begin, sources, end ---- */

/* The checkpointer stopped, the connection checkpoints again. */
static void stop_ckpt(struct sqlite_load *ld)
{
	if (!ld->ckpt)
		return;
	/* (SQLite's own hook back first: wal_committed uses ld->ckpt) */
	sqlite3_wal_autocheckpoint(store_db(ld->base.st), WAL_CKPT_PAGES);
	load_ckpt_stop(ld->ckpt);
	ld->ckpt = NULL;
	ld->wal_mark = 0;
}

/*
 * A load may fill the disk. Its writer's failure is then recorded as its
 * source's status (mark_failed), which needs a page or two of the log:
 * when the last commit had taken the disk's last page, there was none,
 * and the status stayed "loading" (a 2 MB disk filled by 20,000 events
 * fed slowly, so that the load committed every second: 1 run in 4). So
 * a load keeps RESERVE_BYTES of the disk aside in a file beside the case
 * from its start, and gives them back at its end, or first to record a
 * failure on a full disk. A load killed with -9 leaves the file behind,
 * which the next load takes over.
 */
#define RESERVE_BYTES ((off_t)64 << 10)

static char *reserve_take(const char *case_path)
{
	char *path = xasprintf("%s-reserve", case_path);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && posix_fallocate(fd, 0, RESERVE_BYTES) == 0) {
		close(fd);
		return path;
	}
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(path);
	return NULL;
}

/* The disk kept aside given back: false when there was none. */
static bool reserve_give(struct sqlite_load *ld)
{
	if (!ld->reserve)
		return false;
	unlink(ld->reserve);
	free(ld->reserve);
	ld->reserve = NULL;
	return true;
}

static void load_free(struct sqlite_load *ld)
{
	/* the threads, batches, compressor, maps and buffers, as at a load's
	 * end before its index builds (a no-op for what load_shed freed) */
	load_shed(ld);
	while (ld->zhead) {
		struct block *b = ld->zhead;
		ld->zhead = b->next;
		free(b->data);
		free(b);
	}
	sqlite3_finalize(ld->ins_ev);
	sqlite3_finalize(ld->ins_gone);
	pivot_window_free(ld->pv);
	sqlite3_finalize(ld->sel_rid);
	sqlite3_finalize(ld->sel_dup);
	sqlite3_finalize(ld->sel_rich);
	sqlite3_finalize(ld->sel_conf);
	sqlite3_finalize(ld->del_ev);
	sqlite3_finalize(ld->del_msg);
	sqlite3_finalize(ld->ins_seen);
	sqlite3_finalize(ld->upd_seen);
	sqlite3_finalize(ld->ins_blk);
	sqlite3_finalize(ld->ins_rmsg);
	sqlite3_finalize(ld->sel_val);
	sqlite3_finalize(ld->ins_rej);
	sqlite3_finalize(ld->upd_src);
	sqlite3_finalize(ld->ins_src);
	sqlite3_finalize(ld->end_src);
	load_ridx_free(ld);
	stop_ckpt(ld);
	sqlite_exec(ld->base.st,
		    sqlite3_compileoption_used("SECURE_DELETE") ? "PRAGMA secure_delete=ON"
								: "PRAGMA secure_delete=OFF",
		    NULL);
	sqlite_exec(ld->base.st, "PRAGMA analysis_limit=0", NULL);
	free(ld->error);
	free(ld->source_path);
	pthread_mutex_destroy(&ld->mu);
	pthread_cond_destroy(&ld->cv_work);
	pthread_cond_destroy(&ld->cv_idle);
	pthread_cond_destroy(&ld->cv_space);
	pthread_mutex_destroy(&ld->zmu);
	pthread_cond_destroy(&ld->zcv);
	pthread_cond_destroy(&ld->zdone);
	reserve_give(ld);
	sqlite_case_fd_close(ld->lockfd); /* releases the flock */
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
	/* Commit every 200,000 events, or every LOAD_TXN_MS (load_write.c),
	 * whichever comes first (and at each pivot window's end before
	 * either: load_yield). Before the windows: at a million events a
	 * second the clock set the cadence. A commit stops the writer (the COMMIT writes the
	 * cache's dirty pages to the log: 11 ms), and while it stands every
	 * other thread of the load soon waits behind it (the queue and the
	 * read-ahead fill in a millisecond or two), so each commit left a
	 * core idle for ~15 ms: 1M high-cardinality CSV, boosted runs on
	 * tmpfs, 4 alternating runs, every 50,000 events 20 commits, wall
	 * median 4.98 s, CPU 8.14 s; every 200,000 (with the administrative
	 * records written a block's worth at a time, load_write.c) 4.79 s,
	 * 7.92 s, peak RSS 62.7 -> 59.7 MB. */
	ld->batch_events = 200000;
	ld->rids.max = RIDMAP_IDS_MEM;
	ld->rids.bloom_max = RIDMAP_IDS_BLOOM_MAX;
	ld->rids.young_max = RIDMAP_IDS_YOUNG_MAX;
	ld->wal_cap = WAL_LOAD_CKPT_PAGES;
	ld->txn_max_ms = LOAD_TXN_MS;
	ld->source_bytes = -1;
	ld->c.first_ts = ld->wc.first_ts = INT64_MAX;
	ld->c.last_ts = ld->wc.last_ts = INT64_MIN;
	pthread_mutex_init(&ld->mu, NULL);
	pthread_cond_init(&ld->cv_work, NULL);
	pthread_cond_init(&ld->cv_idle, NULL);
	pthread_cond_init(&ld->cv_space, NULL);
	pthread_mutex_init(&ld->zmu, NULL);
	pthread_cond_init(&ld->zcv, NULL);
	pthread_cond_init(&ld->zdone, NULL);
	load_intern_clear(&ld->in[0]);
	load_intern_clear(&ld->in[1]);
	ld->cctx = ZSTD_createCCtx();
	ld->pv = pivot_window_new(PIVOT_WINDOW);
	pivot_window_set_insert(ld->pv, load_pivots_insert, ld);

	/* The pending file's log, from the last load's analysts: emptied
	 * before this load takes the case, while its analysts still write to
	 * the case itself (an analyst never checkpoints it: pending.c) */
	if (!store_load_running(st))
		pend_checkpoint(st);
	/* One load at a time: raw blocks rely on the ids a load is given
	 * being consecutive. flock is separate from SQLite's own locks. */
	ld->lockfd = sqlite_case_fd_open(store_path(st));
	if (ld->lockfd < 0 || flock(ld->lockfd, LOCK_EX | LOCK_NB) < 0) {
		set_cause(cause, "%s: %s", store_path(st),
			  errno == EWOULDBLOCK ? "another load into this case is running" : strerror(errno));
		goto fail;
	}
	ld->reserve = reserve_take(store_path(st));
	/* the load's small page cache (why: at the prepares below) from
	 * here on: the counts and the record ids read next filled the
	 * store's 64 MB first (200k events appended to a 1M-event case:
	 * peak RSS 96 MB, 53-66 MB now, 51 for the same events alone) */
	sqlite_exec(st, "PRAGMA cache_size=-8192", NULL);
	/* Debian's SQLite (and others built with SQLITE_SECURE_DELETE)
	 * zeroes every page it frees and writes it out: the indexes this
	 * load drops went into the log as zeros and were copied into the
	 * case again by the checkpointer (200k events appended to a
	 * 1M-event case: DROP INDEX ev_rid wrote 27 MB of log instead of
	 * 49 KB). FAST still clears deleted content on the pages a change
	 * writes anyway; the library's own setting is back at the load's
	 * end (load_free) for the analysts' deletions. */
	sqlite_exec(st, "PRAGMA secure_delete=FAST", NULL);
	/* The end's PRAGMA optimize analyzes every table the load looked
	 * rows up in by an index: vals, through vals_h up to schema 14,
	 * whenever an append found its values there, whose statistics the
	 * end then deletes (200k events appended to a 1M-event case of 94k
	 * values: 84 M instructions, serial; in a case past
	 * VALS_REINDEX_MAX, a pass over all its values at every append's
	 * end). A thousand rows an index give it its estimates as well;
	 * SQLite's own setting (none) is back in load_free. */
	sqlite_exec(st, "PRAGMA analysis_limit=1000", NULL);
	/* A source still "loading" belongs to a load that was killed. */
	sqlite_exec(st, "UPDATE sources SET status='interrupted' WHERE status='loading'", NULL);
	if (store_ensure_indexes(st, cause) < 0)
		goto fail;
	/* The record ids already in the case, from ridx into the fingerprint
	 * table; the load's own go into ridx at its end (load_dedup.c), and
	 * until then readers find them in its window. A unique index left
	 * by a load that could not use the table (load_ridmap_retire) goes. */
	if (sqlite_exec(st, "DROP INDEX IF EXISTS ev_rid", cause) < 0 || load_ridx_seed(ld, cause) < 0)
		goto fail;
	/* The case's values into the load's value map; the load's own go
	 * into vidx at its end (load_values.c), and until then readers find
	 * them in its window. */
	if (load_values_begin(ld, cause) < 0)
		goto fail;
	/* The load stays in WAL mode, as the case always is: a reader never
	 * waits for it (issue 10, finding 15). It switched to a rollback
	 * journal before, so that appended pages were written once: a commit
	 * then took an exclusive lock while it wrote its pages, and once the
	 * page cache spilled, for the rest of the transaction (readers
	 * waited up to a second), and a reader could read the case as WAL
	 * and the load write it as a rollback journal, whose switch
	 * removed the log under it. Measured on 1M events side by side:
	 * 25.9 s of CPU with the switch, 25.7 s without (the log is
	 * checkpointed every 1,000 pages as it grows; a commit no longer
	 * syncs the file). */
	/* A small page cache loads faster here (measured on 1M events with
	 * the pivot indexes kept row by row: 64 MB 17.9 s, 32 MB 17.0 s,
	 * 16 MB 15.8 s, 8 MB 17.2 s). With posting lists instead (pivots.h)
	 * the hot pages are the tails of the tables, ev_ts and the value index: 8 MB
	 * costs no measurable time and keeps the peak memory down, here and
	 * in the sorts at the end (each sorter thread holds up to a cache's
	 * worth before it spills to a file). */
	if (prepare(ld, &ld->sel_rid, "SELECT record_id, kind FROM events WHERE id = ?", cause) < 0 ||
	    prepare(ld, &ld->sel_dup, "SELECT id FROM events WHERE record_id = ? AND kind = ?", cause) < 0 ||
	    prepare(ld, &ld->sel_rich,
		    "SELECT (op IS NOT NULL) + (rtype IS NOT NULL) + (workload IS NOT NULL) + (user IS NOT NULL)"
		    " + (app IS NOT NULL) + (client_app IS NOT NULL) + (ip IS NOT NULL) + (result IS NOT NULL)"
		    " + (session IS NOT NULL) + (token IS NOT NULL) + (mailbox IS NOT NULL) + (access IS NOT NULL)"
		    " + (client_info IS NOT NULL) + (detail IS NOT NULL) + (host IS NOT NULL) + 1"
		    " + 2 * (msg_items(e.id) IS NOT NULL), flags, source, line,"
		    " coalesce(json_array_length(msg_items(e.id)), 0)"
		    " FROM events e WHERE id = ?",
		    cause) < 0 ||
	    prepare(ld, &ld->del_ev, "DELETE FROM events WHERE id = ?", cause) < 0 ||
	    prepare(ld, &ld->ins_gone,
		    "INSERT INTO pivot_gone(col, val, n) SELECT c, v, 1 FROM ("
		    " SELECT 0 AS c, user AS v FROM events WHERE id = ?1"
		    " UNION ALL SELECT 1, app FROM events WHERE id = ?1"
		    " UNION ALL SELECT 2, ip FROM events WHERE id = ?1"
		    " UNION ALL SELECT 3, op FROM events WHERE id = ?1"
		    " UNION ALL SELECT 4, session FROM events WHERE id = ?1)"
		    " WHERE v IS NOT NULL ON CONFLICT(col, val) DO UPDATE SET n = n + 1",
		    cause) < 0 ||
	    prepare(ld, &ld->del_msg, "DELETE FROM msglists WHERE event = ?", cause) < 0 ||
	    prepare(ld, &ld->ins_seen, "INSERT INTO seen(event, source, line, raw) VALUES(?,?,?,?)", cause) < 0 ||
	    prepare(ld, &ld->upd_seen, "UPDATE seen SET event = ? WHERE event = ?", cause) < 0 ||
	    prepare(ld, &ld->ins_ev,
		    "INSERT INTO events(ts, record_id, op, rtype, workload, user, app,"
		    " client_app, ip, result, session, token, mailbox, access, client_info,"
		    " op_count, flags, source, line, kind, detail, host, id)"
		    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		    cause) < 0 ||
	    prepare(ld, &ld->ins_blk, "INSERT INTO rawblocks(id, n, data) VALUES(?,?,?)", cause) < 0 ||
	    prepare(ld, &ld->ins_rmsg, "INSERT INTO rawmsgs(id, msgs) VALUES(?,?)", cause) < 0 ||
	    prepare(ld, &ld->ins_rej, /* a row already kept (the same file loaded again, a
		     * killed load run again: a source of the same path) is a duplicate, as
		     * events are; the same row of another file is that file's own */
		    "INSERT INTO rejects(source, line, reason, raw) SELECT ?1, ?2, ?3, ?4"
		    " WHERE NOT EXISTS(SELECT 1 FROM rejects r JOIN sources s ON s.id = r.source"
		    " WHERE r.line = ?2 AND r.raw = ?4"
		    " AND s.path = (SELECT path FROM sources WHERE id = ?1))",
		    cause) < 0 ||
	    prepare(ld, &ld->upd_src,
		    "UPDATE sources SET records=?, events=?, duplicates=?, rejects=?, first_ts=?,"
		    " last_ts=? WHERE id=?",
		    cause) < 0 ||
	    prepare(ld, &ld->ins_src,
		    "INSERT INTO sources(path, bytes, loaded_at, status) VALUES(?,?,?,'loading')", cause) < 0 ||
	    prepare(ld, &ld->end_src,
		    "UPDATE sources SET sha256=?, format=?, encoding=?, status=?, warning=?,"
		    " bytes=coalesce(?7, bytes) WHERE id=?6",
		    cause) < 0)
		goto fail;
	/* the log's checkpoints on a thread of their own (load_ckpt.c) */
	ld->ckpt = load_ckpt_start(store_path(st));
	if (ld->ckpt)
		sqlite3_wal_hook(store_db(st), wal_committed, ld);
	/* neither takes the stop signals: the thread that reads does
	 * (stopsig.h) */
	if (stopsig_thread(&ld->zthread, load_blocks_main, ld) != 0) {
		set_cause(cause, "cannot start a thread");
		goto fail;
	}
	ld->zstarted = true;
	if (stopsig_thread(&ld->writer, load_write_main, ld) != 0) {
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
	ld->rids.max = n;
	load_values_set_max(ld, n);
}

/* A failure kept for the abort, which records it as the source's status
 * (not "interrupted"). -1. */
static int keep_error(struct sqlite_load *ld, char **cause)
{
	pthread_mutex_lock(&ld->mu);
	if (!ld->error)
		ld->error = xstrdup(cause && *cause ? *cause : "the commit failed");
	pthread_mutex_unlock(&ld->mu);
	return -1;
}

int sqlite_load_sync(struct store_load *base, char **cause)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	if (load_drain(ld, cause) < 0 || load_flush_deferred(ld, cause) < 0)
		return keep_error(ld, cause);
	pthread_mutex_lock(&ld->mu);
	ld->c = ld->wc;
	pthread_mutex_unlock(&ld->mu);
	load_release(ld);
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
	/* no commit here: a source's row, events and counters go with the
	 * load's next commit, by count or time (a zip of 10,000 one-record
	 * members was 20,000 commits, 6 fdatasync per member) */
	if (load_drain(ld, cause) < 0 || load_txn_begin(ld, cause) < 0)
		return -1;
	memset(&ld->wc, 0, sizeof ld->wc);
	ld->wc.first_ts = INT64_MAX;
	ld->wc.last_ts = INT64_MIN;
	pthread_mutex_lock(&ld->mu);
	ld->c = ld->wc;
	pthread_mutex_unlock(&ld->mu);
	sqlite3_stmt *q = ld->ins_src;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sqlite3_bind_text(q, 1, path, -1, SQLITE_TRANSIENT);
	if (bytes >= 0)
		sqlite3_bind_int64(q, 2, bytes);
	else
		sqlite3_bind_null(q, 2);
	sqlite3_bind_text(q, 3, now, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	if (r != SQLITE_DONE)
		return load_db_fail(ld, cause);
	ld->source = sqlite3_last_insert_rowid(store_db(ld->base.st));
	ld->source_bytes = -1;
	free(ld->source_path);
	ld->source_path = xstrdup(path);
	load_release(ld);
	return 0;
}

int sqlite_load_source_bytes(struct store_load *base, int64_t bytes, char **cause)
{
	(void)cause; /* written with the source's end */
	((struct sqlite_load *)base)->source_bytes = bytes;
	return 0;
}

int sqlite_load_source_end(struct store_load *base, const char *sha256, const char *format,
			   const char *encoding, const char *status, const char *warning, char **cause)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	/* the administrative records held back are this source's: written
	 * now, while it is the current one, and counted (a failure, say a
	 * full disk, is kept for the abort, which records it as the status,
	 * as below) */
	if (load_drain(ld, cause) < 0 || load_txn_begin(ld, cause) < 0 ||
	    load_flush_deferred(ld, cause) < 0 || load_save_counts(ld, cause) < 0)
		return keep_error(ld, cause);
	sqlite3_stmt *q = ld->end_src;
	sqlite3_bind_text(q, 1, sha256, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, format, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, encoding, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 4, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, warning, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 6, ld->source);
	if (ld->source_bytes >= 0)
		sqlite3_bind_int64(q, 7, ld->source_bytes);
	else
		sqlite3_bind_null(q, 7);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	if (r != SQLITE_DONE) {
		load_db_fail(ld, cause);
		return keep_error(ld, cause);
	}
	/* its counters are written: the next commit takes it along */
	if (load_yield(ld, ld->pending >= ld->batch_events, cause) < 0)
		return keep_error(ld, cause);
	ld->source = 0;
	ld->source_mark = ld->txn_serial; /* the transaction its end went into */
	load_release(ld);
	return 0;
}

uint64_t sqlite_load_mark(struct store_load *base)
{
	return ((struct sqlite_load *)base)->source_mark;
}

uint64_t sqlite_load_committed(struct store_load *base)
{
	return atomic_load(&((struct sqlite_load *)base)->committed);
}

/* After a failure: every source of this load still "loading" (its end
 * went with the transaction rolled back, or never came) gets status; when
 * the rollback took every row of this load, a row for the last source
 * says that it was tried and why it failed. */
static void mark_failed(struct sqlite_load *ld, const char *status)
{
	sqlite3 *db = store_db(ld->base.st);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "UPDATE sources SET status=?1 WHERE status='loading'", -1, &q, NULL) !=
	    SQLITE_OK)
		return;
	sqlite3_bind_text(q, 1, status, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(q);
	/* a full disk: the disk kept aside for this (reserve_take) */
	if (r == SQLITE_FULL && reserve_give(ld)) {
		sqlite3_reset(q);
		r = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE || sqlite3_changes(db) > 0 || !ld->source_path)
		return;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO sources(path, loaded_at, status)"
			       " VALUES(?1, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?2)",
			       -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(q, 1, ld->source_path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, status, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(q) == SQLITE_FULL && reserve_give(ld)) {
		sqlite3_reset(q);
		sqlite3_step(q);
	}
	sqlite3_finalize(q);
}

/*
 * The load's last act while it still holds the case: its log goes into
 * the case file, synced, and starts again with one frame of the load's
 * own (pend_log_restart). Otherwise the first analyst's commit after the
 * load paid for it: the checkpoint of up to 1,000 of the load's pages
 * (three syncs) and the log's new header (one), each behind the load's
 * writes still in the disk queue (measured: one write in ~1,900 took
 * 270-330 ms, just after a 1M-event load). A reader still on the log (a
 * long query) may keep it from being done within a second: then it is
 * left to the next commit, as before.
 */
static void load_settle(struct store *st)
{
	int old = sqlite_store_busy_ms(st, 1000);
	pend_log_restart(store_db(st));
	sqlite_store_busy_ms(st, old);
}

int sqlite_load_end(struct store_load *base, char **cause)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	int rc = 0;
	struct store *st = ld->base.st;
	bool drained = load_drain(ld, cause) == 0;
	ld->ending = true; /* (once drained: the writer's commits read it) */
	load_ckpt_poll(ld->ckpt);
	if (!drained || load_commit(ld, cause) < 0) {
		rc = -1;
		sqlite3 *db = store_db(st);
		if (!sqlite3_get_autocommit(db))
			sqlite_exec(st, "ROLLBACK", NULL);
		char *status = xasprintf("error: %s", cause && *cause ? *cause : "the load failed");
		mark_failed(ld, status);
		free(status);
	}
	/* the load's record ids into ridx (load_dedup.c), before the
	 * fingerprint table that holds them goes */
	if (rc == 0 && load_ridx_finish(ld, cause) < 0)
		rc = -1;
	/* and its values into vidx (load_values.c), before the value map
	 * that holds them goes */
	if (rc == 0 && load_values_finish(ld, cause) < 0)
		rc = -1;
	/* The indexes built at the end sort in temporary files rather than
	 * in memory (the store's default): measured on 1M events, ev_rid
	 * and the values' case-blind index (since replaced by vals_h, then
	 * by vidx) in
	 * 0.82 s of CPU and 70 MB against 1.18 s and
	 * 99 MB. A load's connection holds no temporary tables, which the
	 * switch would drop. */
	if (rc == 0) {
		/* and a 2 MB page cache, which is also how much each of the
		 * sorter's runs holds before it goes to a file: the six builds
		 * of a 1M-event case in 18 MB instead of 37 (peak of the whole
		 * sqlite3 process), in as much CPU or less (3.77 s against
		 * 3.98, median of three in turn): shorter runs sort within the
		 * CPU's caches. Set before load_shed, which gives the pages
		 * it frees back to the system with the writer's memory. */
		sqlite_exec(st, "PRAGMA temp_store=FILE; PRAGMA cache_size=-2048", NULL);
		/* what the writer kept in memory is not needed any more: give
		 * it back before the sorts take theirs */
		load_shed(ld);
		pivot_window_free(ld->pv); /* (empty: committed) */
		ld->pv = NULL;
		/* What the caller overlaps with the rest starts now, beside
		 * the index builds, which sort on this thread alone
		 * (store_ensure_indexes) and leave the other core idle: the
		 * command line reads the IP tables, ~0.1 s of CPU, 14 MB kept
		 * and 19 at their peak. It followed the builds before, beside
		 * the last checkpoint only, and outlasted it (a quiet 1M-event
		 * profile: its thread started 0.1 s before the exit). The
		 * end's peak with it here: 45-53 MB (1M high-cardinality CSV,
		 * three runs), the streaming's 57-59; the builds with
		 * SQLite's sorter threads beside it 54-60. */
		store_load_streamed(&ld->base);
		rc = store_ensure_indexes(st, cause);
		sqlite_exec(st, "PRAGMA temp_store=MEMORY", NULL);
	}
	/* the unique index a load without its fingerprint table used */
	if (rc == 0 && ld->by_index)
		rc = sqlite_exec(st, "DROP INDEX IF EXISTS ev_rid", cause);
	/* before the load's own last checkpoint (load_settle) */
	stop_ckpt(ld);
	if (rc == 0) {
		/* Statistics, but none of the values: vals is only ever looked
		 * up by id or by hash, and a count taken while it was small
		 * ("2 rows") made SQLite scan it for every look-up once it had
		 * grown (an append after a small load ran for minutes). Without
		 * them the planner looks vals up by id (and, in a case read
		 * through vals_h, by that index), as it should at any size. */
		sqlite_exec(st, "PRAGMA optimize", NULL);
		sqlite_exec(st, "DELETE FROM sqlite_stat1 WHERE tbl = 'vals'", NULL);
		load_settle(st);
	}
	load_free(ld); /* analysts write to the case again */
	sqlite_exec(st, "PRAGMA cache_size=-65536", NULL);
	return rc;
}

void sqlite_load_abort(struct store_load *base)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	if (!ld)
		return;
	/* keep what the writer has: commit it with the counters */
	load_drain(ld, NULL);
	sqlite3 *db = store_db(ld->base.st);
	/* a full disk can make SQLite roll the transaction back itself: the
	 * counters must not then be written alone, outside it */
	if (ld->txn && sqlite3_get_autocommit(db))
		ld->txn = false;
	if (load_commit(ld, NULL) < 0) {
		if (!sqlite3_get_autocommit(db))
			sqlite_exec(ld->base.st, "ROLLBACK", NULL);
	} else if (!ld->error) {
		/* its record ids into ridx as at an end (else the next load
		 * mends it: load_ridx_seed) */
		load_ridx_finish(ld, NULL);
		load_values_finish(ld, NULL);
	}
	/* a source that did not reach its end must not stay "loading":
	 * say why it stopped (the writer's error: a full disk, a damaged
	 * case), or that it was interrupted */
	if (ld->source || ld->error) {
		char *status = ld->error ? xasprintf("error: %s", ld->error) : xstrdup("interrupted");
		mark_failed(ld, status);
		free(status);
	}
	load_free(ld);
}
