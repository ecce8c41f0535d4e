/*
 * store.c: the SQLite case file of store.h.
 *
 * Layout (schema version 16; 16 a session's entry alone in a window packed in pivot_ones,
 * 15 vidx instead of the index vals_h, 14 ridx in runs, 13 ridx as blocks of keys,
 * 12 ridx instead of the unique index ev_rid on events(record_id, kind),
 * 11 posting lists of the pivot fields (pivots.h), 10 raw blocks with a dictionary per load
 * (zdicts), 9 message lists in the raw blocks (rawmsgs),
 * 8 GUID record ids in 17 bytes (7: as blobs), 6 added msgblocks,
 * 5 events.host, 3 events.detail):
 *   vals(id, v, h)          every normalized string once, with its case-blind
 *                           hash; events refer to ids
 *   vidx(k, keys, run)      each value's hash, then its id, in blocks of sorted
 *                           keys in runs as ridx's (vidx.c; what every look-up
 *                           of a value by its text reads)
 *   events(...)             one row per unique record id; small integer columns;
 *                           record_id a GUID's 16 bytes or other text (rid.c)
 *   rawblocks(id, n, data)  the raw records of events id .. id+n-1, one zstd
 *                           frame per block of about 1 MB; with each
 *                           record what a MailItemsAccessed record names,
 *                           a JSON array of [folder, internet message id,
 *                           size] (sqlite_store.h); a block's frame
 *                           may name its load's dictionary (its dictID)
 *   zdicts(id, data)        those dictionaries, each one zstd frame
 *   pivots(col, val, seq, n, lo, hi, data), pivot_gone(col, val, n)
 *                           the events of each user, app, IP, operation
 *                           and session value, as chunks of (ts, id)
 *                           entries the load writes (pivots.h)
 *   pivot_ones(col, grp, seq, n, data)  a session's entry alone in a
 *                           load's window, packed with the others of
 *                           its value group (pivots.h); a case of 15 or
 *                           older has none and is read as it is
 *   rawmsgs(id, msgs)       the messages in the lists of raw block id
 *   msgblocks(id, n, msgs, data)  the same lists in blocks of their own, as
 *                           schemas 6 to 8 kept them (read, no longer
 *                           written; msgs: how many)
 *   msglists(event, n, items)   the same lists one row an event, as cases
 *                           before schema 6 kept them (read, no longer written)
 *   messages                a view: one row per (event, folder, message id),
 *                           through msg_items(event) (record.c)
 *   ridx(k, keys, run)      each event's record id: 32 bits of its fingerprint,
 *                           then the event id, in blocks of sorted keys
 *                           keyed by their first, a run of blocks a load
 *                           or a few loads merged (ridx.c; what the load's
 *                           deduplication and every look-up by record id read)
 *   seen(event, source, line, raw)   the other sources an event was also read
 *                           from; raw: the id of their copy's raw record when
 *                           a richer copy replaced it
 *   sources(...)            provenance and counts per file or archive member
 *   rejects(...)            rows that could not be parsed, verbatim
 *   marks, tags, notes      annotations, keyed by (record_id, kind), the record
 *                           id in the same form as in events
 *   views                   saved filters
 *   apps                    the tenant's own app names
 *   ipgeo                   where each distinct IP value is (ipgeo.c)
 *   state                   what the interface restores on reopening
 *   meta(key, value)
 *
 * One event's raw record and messages are read in record.c, the case's
 * bookkeeping (summary, sources, rejects, state) in bookkeeping.c, its
 * value tables in values.c; the bulk load is load.c and its files.
 */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "util.h"
#include "xalloc.h"
#include "pending.h"
#include "store_impl.h"
#include "pivots.h"

#define SCHEMA_VERSION 17
#define APP_ID 0x41554454 /* "AUDT" */

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	/* each value once, with a case-blind hash that its one index holds
	 * (values.c; before schema 8: v UNIQUE and a NOCASE index) */
	"CREATE TABLE IF NOT EXISTS vals(id INTEGER PRIMARY KEY, v TEXT NOT NULL, h INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS sources("
	"  id INTEGER PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT, format TEXT,"
	"  encoding TEXT, bytes INTEGER, records INTEGER NOT NULL DEFAULT 0,"
	"  events INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0,"
	"  rejects INTEGER NOT NULL DEFAULT 0, first_ts INTEGER, last_ts INTEGER,"
	"  loaded_at TEXT NOT NULL, status TEXT NOT NULL, warning TEXT);"
	"CREATE TABLE IF NOT EXISTS events("
	"  id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, record_id TEXT NOT NULL, kind INTEGER NOT NULL,"
	"  op INTEGER, rtype INTEGER, workload INTEGER, user INTEGER, app INTEGER,"
	"  client_app INTEGER, ip INTEGER, result INTEGER, session INTEGER, token INTEGER,"
	"  mailbox INTEGER, access INTEGER, client_info INTEGER, op_count INTEGER,"
	"  flags INTEGER NOT NULL DEFAULT 0, source INTEGER NOT NULL, line INTEGER NOT NULL,"
	"  detail INTEGER, host INTEGER);"
	/* the other sources an event was also read from (events.source is
	 * the first, or the one whose copy was the richest); raw: the id
	 * whose raw record (rawblocks) is that source's copy, when a richer
	 * copy replaced it (schema 17: before, that copy's text was no longer
	 * reachable), NULL when the copy was not kept (it told no more) */
	"CREATE TABLE IF NOT EXISTS seen(event INTEGER NOT NULL, source INTEGER NOT NULL,"
	"  line INTEGER NOT NULL, raw INTEGER);"
	"CREATE INDEX IF NOT EXISTS seen_event ON seen(event);"
	/* record id -> events (rid.c, ridx.c): filled by the load at its end,
	 * blocks of sorted 8-byte keys, each keyed by its first, in runs (a
	 * load's keys, merged with others' when runs pile up) */
	"CREATE TABLE IF NOT EXISTS ridx(k INTEGER PRIMARY KEY, keys BLOB NOT NULL, run INTEGER NOT NULL DEFAULT 0);"
	/* its runs and first keys without its blocks (ridx.c, runs_load;
	 * a case made before it gets it at its next load: index_sql) */
	"CREATE INDEX IF NOT EXISTS ridx_run ON ridx(run, k);"
	/* text -> values (vidx.c): the same blocks over (hash, id) keys,
	 * filled by each load at its end (schema 15; vals_h before) */
	"CREATE TABLE IF NOT EXISTS vidx(k INTEGER PRIMARY KEY, keys BLOB NOT NULL, run INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS vidx_run ON vidx(run, k);"
	/* the first value id vidx may lack: one row while a load runs, or
	 * after a killed one until the next (SQLITE_VIDX_FROM) */
	"CREATE TABLE IF NOT EXISTS vidx_from(id INTEGER PRIMARY KEY);"
	"CREATE TABLE IF NOT EXISTS rawblocks(id INTEGER PRIMARY KEY, n INTEGER NOT NULL, data BLOB NOT NULL);"
	/* From schema 10 a load's raw blocks after its first few MB are
	 * compressed with a dictionary trained on those (load_blocks.c):
	 * one row a load, the zstd frame of the dictionary, whose id is the
	 * dictID of the blocks' frames. Adding the table is the conversion
	 * from 9 (a case of 9 has no frame that needs one). */
	"CREATE TABLE IF NOT EXISTS zdicts(id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
	/* From schema 11 the load writes posting lists of the pivot fields
	 * (pivots.h says why); a case of 10 gets them from its events on
	 * its first writable open (pivots_build). From 16 a session's
	 * entry alone in a window goes in pivot_ones: a case of 11 to 15
	 * gets the empty table, its lists as they are (its chunks of one
	 * entry read as any chunk). */
	PIVOTS_TABLES_SQL("TABLE")
	/* One SQLite row per message cost a million-event load 2.5 of its 18
	 * seconds; one row per event with its list (msglists, up to schema
	 * 5) was a quarter of the case (148 MB of 610 on a million events);
	 * the lists compressed in blocks of consecutive events take a third
	 * of that. The view expands them through msg_items(event). */
	"CREATE TABLE IF NOT EXISTS msglists(event INTEGER PRIMARY KEY, n INTEGER NOT NULL,"
	"  items TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS msgblocks(id INTEGER PRIMARY KEY, n INTEGER NOT NULL,"
	"  msgs INTEGER NOT NULL, data BLOB NOT NULL);"
	/* From schema 9 the lists are in the raw blocks, each right after its
	 * record, whose message ids zstd then finds close by: a third of
	 * their size in msgblocks. The count of messages per block with
	 * lists is kept apart, out of the blobs' way. */
	"CREATE TABLE IF NOT EXISTS rawmsgs(id INTEGER PRIMARY KEY, msgs INTEGER NOT NULL);"
	"CREATE VIEW IF NOT EXISTS messages(event, seq, folder, msgid, size) AS"
	"  SELECT e.id, CAST(j.key AS INTEGER), j.value->>0, j.value->>1, j.value->>2"
	"  FROM events e, json_each(msg_items(e.id)) j;"
	"CREATE TABLE IF NOT EXISTS rejects("
	"  id INTEGER PRIMARY KEY, source INTEGER NOT NULL, line INTEGER,"
	"  reason TEXT NOT NULL, raw BLOB);"
	/* Annotations are keyed by (record id, kind), not by row number, so
	 * that they survive a reload and can move between analysts' cases;
	 * the record id is kept as in events (rid.c), so that joins compare
	 * the stored keys. */
	"CREATE TABLE IF NOT EXISTS marks(record_id TEXT NOT NULL, kind INTEGER NOT NULL,"
	"  author TEXT NOT NULL, created TEXT NOT NULL, PRIMARY KEY(record_id, kind)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS tags(record_id TEXT NOT NULL, kind INTEGER NOT NULL,"
	"  tag TEXT NOT NULL, author TEXT NOT NULL, created TEXT NOT NULL,"
	"  PRIMARY KEY(record_id, kind, tag)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, record_id TEXT NOT NULL,"
	"  kind INTEGER NOT NULL, author TEXT NOT NULL, created TEXT NOT NULL, text TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS notes_rid ON notes(record_id, kind);"
	"CREATE TABLE IF NOT EXISTS views(name TEXT PRIMARY KEY, filter TEXT NOT NULL, sort TEXT,"
	"  columns TEXT, author TEXT NOT NULL, created TEXT NOT NULL) WITHOUT ROWID;"
	/* the tenant's own service principals (appId, displayName), loaded by
	 * the analyst; they name app ids before the built-in table does */
	"CREATE TABLE IF NOT EXISTS apps(app_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  origin TEXT NOT NULL) WITHOUT ROWID;"
	/* where each distinct IP value is (core/ipgeo.c): one row per vals id
	 * of an address, filled after each load from the offline databases */
	"CREATE TABLE IF NOT EXISTS ipgeo(val INTEGER PRIMARY KEY, country TEXT, asn INTEGER,"
	"  as_org TEXT, label TEXT);"
	/* what the interface restores on reopening: filter, position, column */
	"CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;";

/* Schema 8: record ids in their stored form (rid.c), in events and in
 * the annotations, so that an older case's marks still find their
 * events: a GUID's text (schema 6 and before) or 16-byte blob (schema 7)
 * becomes its 17 bytes, and a text id that begins with the marker bytes
 * is escaped. The index on them goes first rather than be kept through a
 * million updates (ridx is built from them at schema 12). */
#define RID_OLD(col)                                                                                 \
	" SET " col " = rid_key(CASE WHEN typeof(" col ") = 'blob' THEN rid_text(" col ") ELSE " col \
	" END) WHERE typeof(" col ") = 'blob' OR length(" col ") = 36"                               \
	" OR substr(" col ", 1, 1) IN (char(1), char(2));"
static const char rid_to_keys[] =
	"DROP INDEX IF EXISTS ev_rid;"
	"UPDATE events" RID_OLD("record_id") "UPDATE marks" RID_OLD("record_id") "UPDATE tags" RID_OLD(
		"record_id") "UPDATE notes" RID_OLD("record_id");
/* Schema 12: the record ids' table in place of their index (built in
 * the open's transaction, ridx_convert); 13: the same keys in blocks; 14:
 * the blocks in runs (13's are run 0: a column, nothing rewritten). */
static int ridx_convert(sqlite3 *db, int ver, char **err)
{
	if (ver == 13)
		return 0;
	int r = ver == 12 ? sqlite_ridx_from_rows(db, "ridx12") : sqlite_ridx_from_events(db, 0);
	if (r == SQLITE_OK && ver == 12 && sqlite3_exec(db, "DROP TABLE ridx12", NULL, NULL, NULL) != SQLITE_OK)
		r = sqlite3_errcode(db);
	if (r != SQLITE_OK)
		*err = xasprintf("the record ids' table: %s", sqlite3_errmsg(db));
	return r == SQLITE_OK ? 0 : -1;
}
/* and the values' hash (values.c; the unique index of an older vals
 * stays: SQLite drops it only with the table); vidx_convert keys them */
static const char vals_hash[] = "ALTER TABLE vals ADD COLUMN h INTEGER NOT NULL DEFAULT 0;"
				"UPDATE vals SET h = val_hash(v);"
				"DROP INDEX IF EXISTS vals_nocase;";
/* Schema 15: the values' keys in vidx (vidx.c) in place of vals_h, in
 * the open's transaction. */
static int vidx_convert(sqlite3 *db, char **err)
{
	if (sqlite_vidx_from_vals(db, 0) != SQLITE_OK ||
	    sqlite3_exec(db, "DROP INDEX IF EXISTS vals_h", NULL, NULL, NULL) != SQLITE_OK) {
		*err = xasprintf("the values' table: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/* Has the case's vals the hash column (schema 8)? */
/* Has seen its raw column (schema 17), or is there no seen to add it
 * to (the schema makes it with the column)? */
static bool seen_has_raw(sqlite3 *db)
{
	sqlite3_stmt *q;
	bool r = true;
	if (sqlite3_prepare_v2(db,
			       "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'seen')"
			       " OR EXISTS (SELECT 1 FROM pragma_table_info('seen') WHERE name = 'raw')",
			       -1, &q, NULL) == SQLITE_OK) {
		r = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	return r;
}

static bool vals_hashed(sqlite3 *db)
{
	sqlite3_stmt *q;
	bool r = false;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('vals') WHERE name = 'h'", -1, &q, NULL) ==
	    SQLITE_OK) {
		r = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
	}
	return r;
}

/*
 * The indexes. Time (ev_ts) pages the unfiltered timeline and every time
 * bound. The pivots (user, app, ip, op, session) are posting lists the
 * load writes per window of events (pivots.h), not indexes: the five
 * (field, ts) indexes cost a 1M-event load 1.5-2 s of serial CREATE
 * INDEX at its end and 97 MB of a high-cardinality case, and a small
 * append kept them row by row. Fields pivoted on less often (client app,
 * token, mailbox) are answered by a scan of the narrow events table
 * (about 0.15 s a million rows), and the stacks group over that same
 * scan.
 */
/* and the indexes they replace, in a case of an older schema */
static const char pivot_indexes_gone[] = "DROP INDEX IF EXISTS ev_user; DROP INDEX IF EXISTS ev_app;"
					 "DROP INDEX IF EXISTS ev_ip; DROP INDEX IF EXISTS ev_op;"
					 "DROP INDEX IF EXISTS ev_session;";
/*
 * ev_ts runs the way the case's first events came (sqlite_ts_index_turn,
 * at a load's first events group into a case without events): SQLite
 * takes the short way only for a key that goes at the very end of an
 * index (no seek from the root when the key falls on the last leaf; a
 * full leaf split by balance_quick, a new page with the one cell, not
 * balance_nonroot's redistribution of three). Portal exports are newest
 * first: into events(ts) each row went at the front, 4.6k instructions
 * a row against 1.6k for the oldest first (callgrind, 200k
 * high-cardinality CSV). Into events(ts DESC, id DESC) the newest-first
 * rows go at its end; its order read backwards is (ts, id), so every
 * reader's ORDER BY ts, id (either way), keyset (ts, id) > (?, ?), time
 * bound and min()/max() has the same plan on either index (test_query
 * runs its readers on both). The index keeps its name, so a case of
 * either kind is schema 13 as it was and an older build reads it alike.
 * Measured (callgrind, 200k high-cardinality CSV newest first): the
 * writer's events groups 2.30 -> 1.56 G instructions with the explicit
 * ids gone too (load_write.c), 1.51 G for the file oldest first; its
 * ev_ts 4.2 MB against 5.8 MB (events(ts) filled from the front leaves
 * its pages half full). Several files over the same time (a bundle)
 * still insert inside the index, as before.
 */
#define TS_INDEX_DESC "CREATE INDEX ev_ts ON events(ts DESC, id DESC)"
static const char *const index_sql[] = {
	"CREATE INDEX IF NOT EXISTS ev_ts ON events(ts)",
	"CREATE INDEX IF NOT EXISTS rej_source ON rejects(source)",
	"CREATE INDEX IF NOT EXISTS rej_line ON rejects(line)",
	/* (schema_sql: ridx's runs without its blocks) */
	"CREATE INDEX IF NOT EXISTS ridx_run ON ridx(run, k)",
};
#define NINDEX (sizeof index_sql / sizeof index_sql[0])

int sqlite_ts_index_turn(struct store *st, char **cause)
{
	return sqlite_exec(st, "DROP INDEX IF EXISTS ev_ts; " TS_INDEX_DESC, cause);
}

/* NULL for a case of another store: SQLite then fails the statement
 * (SQLITE_MISUSE) rather than read another store's memory. */
sqlite3 *store_db(struct store *st)
{
	return st->ops == &sqlite_store_ops ? SQ(st)->db : NULL;
}

bool sqlite_store_readonly(struct store *st)
{
	return SQ(st)->readonly;
}

static const char *sqlite_path(const struct store *st)
{
	return ((const struct sqlite_store *)st)->path;
}

int sqlite_fail(struct store *st, char **cause)
{
	return set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
}

sqlite3_stmt *sqlite_prep(struct store *st, const char *sql, char **cause)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(SQ(st)->db, sql, -1, &q, NULL) != SQLITE_OK) {
		sqlite_fail(st, cause);
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

int sqlite_exec(struct store *st, const char *sql, char **cause)
{
	char *err = NULL;
	if (sqlite3_exec(SQ(st)->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		set_cause(cause, "%s: %s", SQ(st)->path, err ? err : sqlite3_errmsg(SQ(st)->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Before the case struct exists (opening) */
static int exec(sqlite3 *db, const char *sql, char **cause)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		set_cause(cause, "%s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/*
 * Descriptors of case files that this process opens beside SQLite (the
 * header read, the writers' byte, a load's flock, the probe for a
 * running load). Closing any descriptor of a file drops every POSIX lock
 * the process holds on it, SQLite's included: a second connection in the
 * same process (the hunts' and Sigma's workers open the case again) took
 * the interface's shared lock away, a load in another process then saw
 * nobody on the case, left WAL mode and removed the log the interface
 * still used, and the interface's next write and close cut the case down
 * to its own stale size. So a descriptor given back is kept open, its
 * flock and byte locks released, until no descriptor of the same file is
 * in use in the process; the next open of that file takes it again.
 */
struct case_fd {
	dev_t dev;
	ino_t ino;
	int fd;
	bool used;
	bool rw; /* opened for writing (sqlite_pend_take's write lock) */
};
static pthread_mutex_t case_fds_mu = PTHREAD_MUTEX_INITIALIZER;
static struct case_fd *case_fds;
static size_t ncase_fds, case_fds_cap;

static int case_fd_open(const char *path, bool rw)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		return -1;
	int fd = -1;
	pthread_mutex_lock(&case_fds_mu);
	for (size_t i = 0; i < ncase_fds && fd < 0; i++)
		if (!case_fds[i].used && case_fds[i].dev == sb.st_dev && case_fds[i].ino == sb.st_ino &&
		    case_fds[i].rw == rw) {
			case_fds[i].used = true;
			fd = case_fds[i].fd;
		}
	if (fd < 0) {
		fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		struct stat fsb;
		if (fd >= 0 && fstat(fd, &fsb) == 0) {
			if (ncase_fds == case_fds_cap) {
				case_fds_cap = case_fds_cap ? 2 * case_fds_cap : 16;
				case_fds = xrealloc(case_fds, case_fds_cap * sizeof *case_fds);
			}
			case_fds[ncase_fds++] = (struct case_fd){ fsb.st_dev, fsb.st_ino, fd, true, rw };
		} else if (fd >= 0) {
			close(fd); /* cannot happen on an open descriptor */
			fd = -1;
		}
	}
	pthread_mutex_unlock(&case_fds_mu);
	return fd;
}

int sqlite_case_fd_open(const char *path)
{
	return case_fd_open(path, false);
}

/* STORE_PEND_BYTE of fd: a share (F_RDLCK) or alone (F_WRLCK). */
static int pend_byte(int fd, short type, int cmd)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = STORE_PEND_BYTE, .l_len = 1 };
	int r;
	while ((r = fcntl(fd, cmd, &fl)) < 0 && errno == EINTR)
		;
	return r;
}

int sqlite_pend_share(const char *case_path)
{
	int fd = case_fd_open(case_path, false);
	if (fd >= 0 && pend_byte(fd, F_RDLCK, F_OFD_SETLKW) < 0) {
		sqlite_case_fd_close(fd);
		fd = -1;
	}
	return fd;
}

void sqlite_pend_unshare(int fd)
{
	sqlite_case_fd_close(fd); /* releases the share */
}

int sqlite_pend_take(const char *case_path)
{
	int fd = case_fd_open(case_path, true);
	if (fd >= 0 && pend_byte(fd, F_WRLCK, F_OFD_SETLK) < 0) {
		sqlite_case_fd_close(fd);
		fd = -1;
	}
	return fd;
}

void sqlite_case_fd_close(int fd)
{
	if (fd < 0)
		return;
	flock(fd, LOCK_UN);
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET }; /* the whole file */
	fcntl(fd, F_OFD_SETLK, &fl);
	pthread_mutex_lock(&case_fds_mu);
	size_t i = 0;
	while (i < ncase_fds && case_fds[i].fd != fd)
		i++;
	if (i == ncase_fds) {
		pthread_mutex_unlock(&case_fds_mu);
		return;
	}
	case_fds[i].used = false;
	dev_t dev = case_fds[i].dev;
	ino_t ino = case_fds[i].ino;
	bool in_use = false;
	for (size_t j = 0; j < ncase_fds; j++)
		in_use |= case_fds[j].used && case_fds[j].dev == dev && case_fds[j].ino == ino;
	for (size_t j = 0; !in_use && j < ncase_fds;) { /* nothing here holds the file any more */
		if (case_fds[j].dev == dev && case_fds[j].ino == ino) {
			close(case_fds[j].fd);
			case_fds[j] = case_fds[--ncase_fds];
		} else {
			j++;
		}
	}
	if (!ncase_fds) {
		free(case_fds);
		case_fds = NULL;
		case_fds_cap = 0;
	}
	pthread_mutex_unlock(&case_fds_mu);
}

/* A load holds an exclusive flock on the case file (load.c): a shared
 * one that cannot be had means it is running. */
static bool sqlite_load_running(struct store *st)
{
	if (SQ(st)->probe_fd < 0)
		SQ(st)->probe_fd = sqlite_case_fd_open(SQ(st)->path);
	int fd = SQ(st)->probe_fd;
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	flock(fd, LOCK_UN); /* flock's own: SQLite's fcntl locks stay */
	return false;
}

bool sqlite_path_load_running(const char *path)
{
	int fd = sqlite_case_fd_open(path);
	if (fd < 0)
		return false;
	bool held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	sqlite_case_fd_close(fd); /* and the shared flock with it */
	return held;
}

static int64_t sqlite_data_version(struct store *st)
{
	sqlite3_stmt *q;
	int64_t v = 0;
	if (sqlite3_prepare_v2(SQ(st)->db, "PRAGMA data_version", -1, &q, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* Has a writer outside this connection announced itself on
 * STORE_WANT_BYTE (sqlite_store_want_write: an analyst's mark or note
 * beside a load)? It holds the byte until its commit: wait for that, up
 * to 30 s (a writer that died lost its lock with its descriptor). */
static void let_writers_through(struct store *st)
{
	int fd = SQ(st)->wantfd;
	for (int i = 0; fd >= 0 && i < 30000; i++) {
		struct flock fl = {
			.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = STORE_WANT_BYTE, .l_len = 1
		};
		if (fcntl(fd, F_OFD_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
			return;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
}

static int sqlite_ensure_indexes(struct store *st, char **cause)
{
	if (SQ(st)->readonly)
		return 0;
	/* skip the work (and the write lock) when every index is there */
	sqlite3_stmt *q;
	bool all = true;
	if (sqlite3_prepare_v2(SQ(st)->db, "SELECT 1 FROM sqlite_master WHERE type='index' AND name=?", -1,
			       &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	for (size_t i = 0; i < NINDEX && all; i++) {
		/* "CREATE [UNIQUE] INDEX IF NOT EXISTS name ON ..." */
		const char *n = strstr(index_sql[i], "EXISTS ") + 7;
		sqlite3_bind_text(q, 1, n, (int)strcspn(n, " "), SQLITE_STATIC);
		all = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	if (all)
		return 0;
	/* The sorts on the calling thread alone, not with SQLite's sorter
	 * threads (a thread started for each run): vals_h of 1M
	 * high-cardinality events (587k values) in 0.19-0.20 CPU-s and
	 * 10 MB against 0.24-0.25 and 18 MB with PRAGMA threads=2, ev_ts
	 * 0.22 against 0.30 CPU-s, and no slower (vals_h 0.22-0.23 s
	 * against 0.23-0.26, five in turn; sqlite3 shell, busy machine).
	 * At a load's end the IP tables are read beside them (load.c). */
	sqlite_exec(st, "PRAGMA threads=0", NULL);
	/* each index is a transaction of its own (at a load's end, seven
	 * of them one after another): an analyst's write waiting for the
	 * case goes in between, and waits for one build, not all of them */
	for (size_t i = 0; i < NINDEX; i++) {
		let_writers_through(st);
		/* and the annotations that could not wait for the last build
		 * (pending.c) */
		if (pend_merge(st, cause) < 0 || sqlite_exec(st, index_sql[i], cause) < 0)
			return -1;
	}
	return pend_merge(st, cause);
}

/* Before SQLite is first used: every connection is used by one thread
 * at a time, and the memory statistics (a global mutex on every
 * allocation, seen in the writer's profile) are not wanted. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_initialize();
}

/* What the first 100 bytes of a file say it is. */
enum header_kind { HDR_NONE, HDR_SQLITE, HDR_CASE };

static enum header_kind read_header(int fd, int64_t *pages, int64_t *page_size, int64_t *bytes)
{
	unsigned char h[100];
	*pages = *page_size = *bytes = 0;
	if (fd < 0)
		return HDR_NONE;
	struct stat sb;
	ssize_t n = fstat(fd, &sb) == 0 ? pread(fd, h, sizeof h, 0) : -1;
	if (n < 0)
		return HDR_NONE;
	*bytes = sb.st_size;
	if (n < 16 || memcmp(h, "SQLite format 3", 16) != 0)
		return HDR_NONE;
	if (n < (ssize_t)sizeof h)
		return HDR_SQLITE;
	*page_size = h[16] << 8 | h[17];
	if (*page_size == 1)
		*page_size = 65536;
	/* the in-header size is valid when its change counter matches */
	if (memcmp(h + 24, h + 92, 4) == 0)
		*pages = (int64_t)h[28] << 24 | h[29] << 16 | h[30] << 8 | h[31];
	uint32_t appid = (uint32_t)h[68] << 24 | (uint32_t)h[69] << 16 | (uint32_t)h[70] << 8 | h[71];
	return appid == APP_ID ? HDR_CASE : HDR_SQLITE;
}

/* A case file and SQLite's files beside it (write-ahead log, its index,
 * a rollback journal). */
static void remove_case_files(const char *path)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		char *p = xasprintf("%s%s", path, ext[i]);
		unlink(p);
		free(p);
	}
}

/* Can this process create files next to path (SQLite's -wal and -shm)? */
static bool dir_writable(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	bool ok = access(dir, W_OK) == 0;
	if (ok) {
		/* root passes access() on read-only media: ask the file system */
		struct statvfs vfs;
		ok = statvfs(dir, &vfs) != 0 || !(vfs.f_flag & ST_RDONLY);
	}
	free(dir);
	return ok;
}

/* file: URI of path that opens it immutable (read-only media: no -shm,
 * no locks). Caller frees. */
static char *immutable_uri(const char *path)
{
	char *u = xmalloc(strlen(path) * 3 + 32), *o = u;
	o += sprintf(o, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p == '%' || *p == '?' || *p == '#' || *p < 0x20 || *p >= 0x7F)
			o += sprintf(o, "%%%02X", *p);
		else
			*o++ = (char)*p;
	sprintf(o, "?immutable=1");
	return u;
}

/* Is there a write-ahead log next to path with something in it? */
static bool has_wal(const char *path)
{
	char *wal = xasprintf("%s-wal", path);
	struct stat sb;
	bool r = stat(wal, &sb) == 0 && sb.st_size > 0;
	free(wal);
	return r;
}

static void sqlite_close(struct store *st);

static _Thread_local struct sqlite_waits waits;

struct sqlite_waits *sqlite_waits_mine(void)
{
	return &waits;
}

void sqlite_waits_get(struct sqlite_waits *out)
{
	*out = waits;
}

static int64_t ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One 2 ms sleep of a busy handler, counted. */
static void busy_sleep(void)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waits.busy_calls++;
	waits.busy_ns += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec));
}

/* Retry a busy lock every 2 ms until busy_ms have passed since the first
 * try (sqlite_store.h). */
static int busy_poll(void *ctx, int n)
{
	struct sqlite_store *s = ctx;
	if (n == 0)
		clock_gettime(CLOCK_MONOTONIC, &s->busy_since);
	if (ms_since(&s->busy_since) >= s->busy_ms)
		return 0;
	busy_sleep();
	return 1;
}

int sqlite_busy_poll_ms(void *ctx, int n)
{
	static _Thread_local struct timespec since;
	if (n == 0)
		clock_gettime(CLOCK_MONOTONIC, &since);
	if (ms_since(&since) >= *(const int *)ctx)
		return 0;
	busy_sleep();
	return 1;
}

int sqlite_store_busy_ms(struct store *st, int ms)
{
	int old = SQ(st)->busy_ms;
	SQ(st)->busy_ms = ms;
	return old;
}

void sqlite_store_want_write(struct store *st, bool on)
{
	if (SQ(st)->wantfd < 0)
		return;
	struct flock fl = {
		.l_type = on ? F_RDLCK : F_UNLCK, .l_whence = SEEK_SET, .l_start = STORE_WANT_BYTE, .l_len = 1
	};
	/* a failure only means the write waits for the load's next commit
	 * by count or time instead */
	fcntl(SQ(st)->wantfd, F_OFD_SETLK, &fl);
}

/* Where message lists are (msg_items): msglists rows (a case from before
 * schema 6, kept as they are), msgblocks (schema 6 to 8), the raw blocks
 * (schema 9 on), or several (an older case loaded into since). Loads write blocks only, so what is found now
 * holds for the connection's life. */
static void msg_layout(struct store *st)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(SQ(st)->db,
			       "SELECT EXISTS(SELECT 1 FROM msglists),"
			       " EXISTS(SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'msgblocks'),"
			       " EXISTS(SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'rawmsgs')",
			       -1, &q, NULL) != SQLITE_OK) {
		return; /* no msglists: a read-only case older than message lists */
	}
	if (sqlite3_step(q) == SQLITE_ROW) {
		SQ(st)->msg_rows = sqlite3_column_int(q, 0) != 0;
		SQ(st)->msg_blocks = sqlite3_column_int(q, 1) != 0;
		SQ(st)->raw_lists = sqlite3_column_int(q, 2) != 0;
	}
	sqlite3_finalize(q);
}

int sqlite_store_open(const char *path, int flags, struct store **out, char **cause)
{
	return sqlite_store_open_cb(path, flags, NULL, NULL, out, cause);
}

int sqlite_store_open_cb(const char *path, int flags, store_schema_fn fn, void *ctx, struct store **out,
			 char **cause)
{
	pthread_once(&sqlite_once, sqlite_setup);
	sqlite3 *db = NULL;
	if (!(flags & STORE_CREATE) && access(path, F_OK) != 0)
		return set_cause(cause, "%s: no such case file", path);
	/* this store's own descriptor of the file (sqlite_case_fd_open),
	 * held until it is closed */
	int myfd = sqlite_case_fd_open(path);
	/* (no descriptor: the file is not there, and this open makes it) */
	bool created = myfd < 0 && (flags & STORE_CREATE) && access(path, F_OK) != 0;
	int64_t hpages, hpsize, fbytes;
	enum header_kind hk = read_header(myfd, &hpages, &hpsize, &fbytes);
	/* A case on read-only media (or in a folder this user cannot write)
	 * is opened read-only; without a WAL to replay it is opened
	 * immutable, since SQLite cannot create the -shm a WAL reader needs. */
	bool immutable = false;
	if (!(flags & STORE_CREATE) && (access(path, W_OK) != 0 || !dir_writable(path))) {
		flags |= STORE_READONLY;
		immutable = !dir_writable(path) && !has_wal(path);
	}
	int oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	/* A connection is used by one thread at a time (a load hands it
	 * between its threads under its own lock), so SQLite's per-call
	 * mutex is overhead. */
	oflags |= SQLITE_OPEN_NOMUTEX;
	char *uri = immutable ? immutable_uri(path) : NULL;
	if (uri)
		oflags |= SQLITE_OPEN_URI;
	int orc = sqlite3_open_v2(uri ? uri : path, &db, oflags, NULL);
	free(uri);
	if (orc != SQLITE_OK) {
		set_cause(cause, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		sqlite_case_fd_close(myfd);
		return -1;
	}
	if (myfd < 0) /* created just now */
		myfd = sqlite_case_fd_open(path);
	struct sqlite_store *sst = xcalloc(1, sizeof *sst);
	sst->busy_ms = 5000;
	sst->wantfd = myfd;
	sqlite3_busy_handler(db, busy_poll, sst);
	sqlite3_stmt *q;
	int appid = 0, ver = 0, ntables = 0;
	/* Reading the schema is the first thing that fails on a file that
	 * is not SQLite at all. */
	if (sqlite3_prepare_v2(db,
			       "SELECT (SELECT count(*) FROM sqlite_master),"
			       " (SELECT application_id FROM pragma_application_id),"
			       " (SELECT user_version FROM pragma_user_version)",
			       -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		int ec = sqlite3_errcode(db);
		/* A file that says it is a case but is shorter than its header
		 * says has lost its end: damaged, not foreign. Only asked once
		 * SQLite has refused it: a load's commit or checkpoint writes
		 * page 1 (the new size) before the pages past the old end, so a
		 * header read without SQLite's lock can see a live case as cut
		 * short (the interface, opened during a load, then exited). */
		/* A failing disk or a full one (the -shm a WAL reader needs
		 * cannot be made) says so, with the system's reason: the case
		 * itself may be whole. */
		int sys = sqlite3_system_errno(db);
		if (hk == HDR_CASE && hpages > 0 && fbytes < hpages * hpsize && ec == SQLITE_CORRUPT)
			set_cause(cause, "%s: damaged case file: truncated (%lld of %lld bytes)", path,
				  (long long)fbytes, (long long)(hpages * hpsize));
		else if (ec == SQLITE_IOERR || ec == SQLITE_FULL || ec == SQLITE_CANTOPEN)
			set_cause(cause, "%s: %s%s%s%s", path, sqlite3_errmsg(db), sys ? " (" : "",
				  sys ? strerror(sys) : "", sys ? ")" : "");
		/* (before "damaged": a read-only case that a load opens to
		 * write fails here, and was called damaged) */
		else if (ec == SQLITE_READONLY || ec == SQLITE_PERM)
			set_cause(cause,
				  "%s: %s (the case or its folder cannot be written by this user; a load or a "
				  "mark writes the case and its -wal and -shm files beside it)",
				  path, sqlite3_errmsg(db));
		else if (ec == SQLITE_BUSY || ec == SQLITE_LOCKED)
			set_cause(cause, "%s: %s", path, sqlite3_errmsg(db));
		else if (hk == HDR_CASE || (hk == HDR_SQLITE && (ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB)))
			set_cause(cause, "%s: damaged case file (%s)", path, sqlite3_errmsg(db));
		else
			set_cause(cause, "%s: not an auditscope case file (%s)", path, sqlite3_errmsg(db));
		sqlite3_finalize(q);
		sqlite3_close(db);
		sqlite_case_fd_close(myfd);
		free(sst);
		return -1;
	}
	ntables = sqlite3_column_int(q, 0);
	appid = sqlite3_column_int(q, 1);
	ver = sqlite3_column_int(q, 2);
	sqlite3_finalize(q);
	/* Only a load makes a case: every other command opening a file
	 * without tables (empty, or another program's empty database) would
	 * otherwise write a schema into it and read it as an empty case. */
	if (ntables == 0 && !(flags & STORE_CREATE)) {
		if (appid == APP_ID)
			set_cause(cause, "%s: damaged case file: no tables (its creation was cut short)", path);
		else
			set_cause(cause, "%s: not an auditscope case file (%s)", path,
				  fbytes == 0 && hk == HDR_NONE ? "empty file" : "no tables");
		sqlite3_close(db);
		sqlite_case_fd_close(myfd);
		free(sst);
		return -1;
	}
	if (ntables > 0 && appid != APP_ID) {
		set_cause(cause, "%s: not an auditscope case file", path);
		sqlite3_close(db);
		sqlite_case_fd_close(myfd);
		free(sst);
		return -1;
	}
	if (ver > SCHEMA_VERSION) {
		set_cause(cause, "%s: case file is from a newer auditscope (schema %d)", path, ver);
		sqlite3_close(db);
		sqlite_case_fd_close(myfd);
		free(sst);
		return -1;
	}
	bool older = ntables > 0 && ver < SCHEMA_VERSION;
	if (older && (flags & STORE_KEEP_SCHEMA) && !(flags & STORE_READONLY)) {
		/* a command that only reads: the evidence file stays as it
		 * was, read as it is through a read-only connection */
		sqlite3_close(db);
		sqlite_case_fd_close(myfd);
		free(sst);
		if (sqlite_store_open_cb(path, flags | STORE_READONLY, NULL, NULL, out, cause) < 0)
			return -1;
		if (fn)
			fn(ctx, path, ver, SCHEMA_VERSION, false);
		return 0;
	}
	if (older && !(flags & STORE_READONLY) && fn)
		fn(ctx, path, ver, SCHEMA_VERSION, true);
	sst->base.ops = &sqlite_store_ops;
	struct store *st = &sst->base;
	SQ(st)->db = db;
	SQ(st)->probe_fd = -1;
	SQ(st)->path = xstrdup(path);
	SQ(st)->readonly = (flags & STORE_READONLY) != 0;
	SQ(st)->created = created;
	/* record ids in their stored form (rid.c), but for an older case
	 * read as it is (the conversion below needs the functions first) */
	sqlite_rid_register(db, SQ(st)->readonly && ntables > 0 ? ver : SCHEMA_VERSION);
	sqlite_val_hash_register(db, SQ(st)->readonly && ntables > 0 ? ver : SCHEMA_VERSION);
	sqlite_pivots_register(db);
	if (!SQ(st)->readonly) {
		/* A new case gets its schema; an existing one is only read
		 * here, so that opening never waits for a running load. */
		char *sql =
			ntables == 0
				? xasprintf("PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
					    "PRAGMA application_id=%d; PRAGMA user_version=%d;"
					    "BEGIN; %s COMMIT;",
					    APP_ID, SCHEMA_VERSION, schema_sql)
			: ver < SCHEMA_VERSION
				? xasprintf("PRAGMA synchronous=NORMAL; BEGIN; %s%s%s%s%s %s%s%s%s%s",
					    /* the keys a row (ridx_convert) */
					    ver == 12 ? "ALTER TABLE ridx RENAME TO ridx12;"
					    : ver == 13 ? "ALTER TABLE ridx ADD COLUMN run INTEGER NOT NULL DEFAULT 0;"
							: "",
					    ver < 3 ? "ALTER TABLE events ADD COLUMN detail INTEGER;" : "",
					    ver < 5 ? "ALTER TABLE events ADD COLUMN host INTEGER;" : "",
					    /* the view over msglists alone */
					    ver < 6 ? "DROP VIEW IF EXISTS messages;" : "", schema_sql,
					    ver < 8 ? rid_to_keys : "", vals_hashed(db) ? "" : vals_hash,
					    ver < 12 ? "DROP INDEX IF EXISTS ev_rid;" : "",
					    pivot_indexes_gone, /* tables and columns added since */
					    seen_has_raw(db) ? "" : "ALTER TABLE seen ADD COLUMN raw INTEGER;")
				: xstrdup("PRAGMA synchronous=NORMAL;");
		char *err = NULL;
		int r = exec(db, sql, &err);
		free(sql);
		if (r == 0 && ntables > 0 && ver < SCHEMA_VERSION) {
			/* the posting lists of the events so far, in the same
			 * transaction as the version that says they are there */
			char *v = xasprintf("PRAGMA user_version=%d; COMMIT;", SCHEMA_VERSION);
			r = ver < 11 ? pivots_build(db, &err) : 0;
			if (r == 0 && ver < 14)
				r = ridx_convert(db, ver, &err);
			if (r == 0)
				r = vidx_convert(db, &err);
			if (r == 0)
				r = exec(db, v, &err);
			free(v);
			if (r < 0 && !sqlite3_get_autocommit(db))
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		}
		if (r < 0) {
			set_cause(cause, "%s: %s", path, err);
			free(err);
			sqlite_close(st);
			/* a case this open created and could not finish (a full
			 * disk) is no case: leave nothing behind */
			if (created)
				remove_case_files(path);
			return -1;
		}
	}
	exec(db, "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;", NULL);
	if (SQ(st)->readonly && ntables > 0 && ver < SCHEMA_VERSION) {
		/* An older case that cannot be written (read-only media) lacks
		 * the columns added since: a temporary view of the same name,
		 * which SQLite finds before the file's table, gives them as
		 * NULL, and the file's indexes still serve it. */
		char *view =
			xasprintf("%s%s%s%s%s%s%s%s", ver < 5 ? "CREATE TEMP VIEW events AS SELECT *" : "",
				  ver < 3 ? ", NULL AS detail" : "", ver < 5 ? ", NULL AS host" : "",
				  ver < 5 ? " FROM main.events;" : "",
				  /* the values' hash, worked out (look-ups read
					* the whole table, as they can) */
				  ver < 8 ? "CREATE TEMP VIEW vals AS SELECT id, v, val_hash(v) AS h FROM main.vals;"
					  : "",
				  /* the record ids' table, worked out the same
				   * way: a look-up by record id reads the events */
				  ver < 12 ? "CREATE TEMP VIEW ridx AS SELECT rid_k(record_id, id) AS k FROM main.events;"
					   : "",
				  /* no load's window of values (vidx_from) */
				  "CREATE TEMP TABLE vidx_from(id INTEGER PRIMARY KEY);",
				  /* no replaced copy's raw record kept */
				  seen_has_raw(db)
					  ? ""
					  : "CREATE TEMP VIEW seen AS SELECT *, NULL AS raw FROM main.seen;");
		char *err = NULL;
		int r = exec(db, view, &err);
		free(view);
		/* no packed entries: the case's lists are all chunks */
		if (r == 0 && ver >= 11)
			r = exec(db, PIVOT_ONES_TABLE_SQL("TEMP TABLE"), &err);
		/* and the posting lists, which the case has not: built from its
		 * events into temporary tables of the same names */
		if (r == 0 && ver < 11) {
			r = exec(db, "BEGIN; " PIVOTS_TABLES_SQL("TEMP TABLE"), &err);
			if (r == 0)
				r = pivots_build(db, &err);
			if (r == 0)
				r = exec(db, "COMMIT", &err);
			if (r < 0 && !sqlite3_get_autocommit(db))
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		}
		if (r < 0) {
			set_cause(cause, "%s: %s", path, err);
			free(err);
			sqlite_close(st);
			return -1;
		}
	}
	sqlite3_create_function(db, "raw_json", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, st,
				sqlite_sql_raw_json, NULL, NULL);
	sqlite3_create_function(db, "msg_items", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, st,
				sqlite_sql_msg_items, NULL, NULL);
	msg_layout(st);
	/* annotations left pending by a load that ended or was killed
	 * (pending.c); a running one applies them itself */
	if (!SQ(st)->readonly && !sqlite_load_running(st))
		pend_merge(st, NULL);
	*out = st;
	return 0;
}

static void sqlite_close(struct store *st)
{
	if (!st)
		return;
	/* The case's pending file goes once its changes are in the case and
	 * nobody uses it (pend_tidy): the last analyst to close, or the load
	 * at its end, leaves none behind. While a load runs it stays (the
	 * load applies it). Another writer holding the case: its commit
	 * applies them, and its close removes the file. */
	if (!SQ(st)->readonly && SQ(st)->path && !sqlite_load_running(st)) {
		char *pend = pend_path(st);
		if (access(pend, F_OK) == 0) {
			int was = sqlite_store_busy_ms(st, 200);
			if (pend_merge(st, NULL) == 0)
				pend_tidy(st);
			sqlite_store_busy_ms(st, was);
		}
		free(pend);
	}
	sqlite3_finalize(SQ(st)->raw[0].sel);
	sqlite3_finalize(SQ(st)->raw[1].sel);
	sqlite3_finalize(SQ(st)->msg.sel);
	sqlite3_finalize(SQ(st)->sel_msglist);
	sqlite3_finalize(SQ(st)->sel_seen);
	sqlite3_finalize(SQ(st)->sel_text[0]);
	sqlite3_finalize(SQ(st)->sel_text[1]);
	sqlite3_finalize(SQ(st)->sel_msgs);
	sqlite_stmt_pool_free(st);
	sqlite_record_free(st);
	sqlite3_close(SQ(st)->db);
	/* after the connection: its locks no longer matter */
	sqlite_case_fd_close(SQ(st)->wantfd);
	sqlite_case_fd_close(SQ(st)->probe_fd);
	ZSTD_freeDCtx(SQ(st)->dctx);
	free(SQ(st)->raw[0].data);
	free(SQ(st)->raw[1].data);
	free(SQ(st)->msg.data);
	free(SQ(st)->path);
	free(st);
}

static void sqlite_close_failed_new(struct store *st)
{
	if (!st)
		return;
	struct store_summary sum;
	bool gone = SQ(st)->created && !SQ(st)->readonly && sqlite_summary(st, &sum, NULL) == 0 &&
		    sum.sources == 0 && sum.events == 0;
	char *path = gone ? xstrdup(SQ(st)->path) : NULL;
	sqlite_close(st);
	if (path)
		remove_case_files(path);
	free(path);
}

/* ------------------------------------------------------------------ */

const struct store_ops sqlite_store_ops = {
	.name = "sqlite",
	.close = sqlite_close,
	.close_failed_new = sqlite_close_failed_new,
	.path = sqlite_path,
	.ensure_indexes = sqlite_ensure_indexes,
	.summary = sqlite_summary,
	.each_source = sqlite_each_source,
	.each_reject = sqlite_each_reject,
	.time_range = sqlite_time_range,
	.raw = sqlite_raw,
	.raw_error = sqlite_raw_error,
	.event_messages = sqlite_event_messages,
	.event_seen = sqlite_event_seen,
	.state_get = sqlite_state_get,
	.state_set = sqlite_state_set,
	.load_begin = sqlite_load_begin,
	.load_source = sqlite_load_source,
	.load_sink = sqlite_load_sink,
	.load_sync = sqlite_load_sync,
	.load_counts = sqlite_load_counts,
	.load_mark = sqlite_load_mark,
	.load_committed = sqlite_load_committed,
	.load_source_bytes = sqlite_load_source_bytes,
	.load_source_end = sqlite_load_source_end,
	.load_end = sqlite_load_end,
	.load_abort = sqlite_load_abort,
	.load_set_batch = sqlite_load_set_batch,
	.load_set_ridmap_max = sqlite_load_set_ridmap_max,
	.each_id = sqlite_each_id,
	.value_texts = sqlite_value_texts,
	.value_find = sqlite_value_find,
	.pick = sqlite_pick,
	.raw_each = sqlite_raw_each,
	.apps_get = sqlite_apps_get,
	.apps_each = sqlite_apps_each,
	.apps_put = sqlite_apps_put,
	.query_new = sqlite_query_new,
	.query_free = sqlite_query_free,
	.query_needs_scan = sqlite_query_needs_scan,
	.query_prepare = sqlite_query_prepare,
	.query_page = sqlite_query_page,
	.query_goto_time = sqlite_query_goto_time,
	.query_count = sqlite_query_count,
	.query_rank = sqlite_query_rank,
	.load_running = sqlite_load_running,
	.data_version = sqlite_data_version,
	.scan = sqlite_scan,
	.group = sqlite_group,
	.annot_mark = sqlite_annot_mark,
	.annot_is_marked = sqlite_annot_is_marked,
	.annot_markers = sqlite_annot_markers,
	.annot_mark_next = sqlite_annot_mark_next,
	.annot_tag_add = sqlite_annot_tag_add,
	.annot_tag_remove = sqlite_annot_tag_remove,
	.annot_note_set = sqlite_annot_note_set,
	.annot_note_delete = sqlite_annot_note_delete,
	.annot_get = sqlite_annot_get,
	.annot_get_key = sqlite_annot_get_key,
	.annot_apply = sqlite_annot_apply,
	.annot_apply_events = sqlite_annot_apply_events,
	.annot_counts = sqlite_annot_counts,
	.annot_view_save = sqlite_annot_view_save,
	.annot_view_get = sqlite_annot_view_get,
	.annot_view_delete = sqlite_annot_view_delete,
	.annot_view_each = sqlite_annot_view_each,
	.notes_export = sqlite_notes_export,
	.notes_import = sqlite_notes_import,
	.buckets = sqlite_buckets,
	/* export */
	.scan_timeline = sqlite_scan_timeline,
	.annot_each_key = sqlite_annot_each_key,
	.value_places = sqlite_value_places,
	.marked_mailboxes = sqlite_marked_mailboxes,
	.marked_messages = sqlite_marked_messages,
	.places_enrich = sqlite_ipgeo_enrich,
	.places_databases = sqlite_ipgeo_databases,
	.places_unplaced = sqlite_ipgeo_unplaced,
	.place_get = sqlite_ipgeo_get,
	.places_each = sqlite_ipgeo_each,
	.places_of_ids = sqlite_ipgeo_of_ids,
};
