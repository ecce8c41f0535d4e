/*
 * pending.c: annotations made while a load holds the case (issue 10,
 * finding 15).
 *
 * A load's last steps build its indexes again, each one statement that
 * holds the case's write lock for up to a second at a million events; a
 * mark, tag or note made then would wait for it. Instead, an annotation
 * that finds the case taken while a load runs (annot.c: tx_begin) goes to
 * a small SQLite file beside the case, "CASE-pending",
 * committed at once: kill -9 at any moment keeps it. Whoever next holds
 * the case's write lock applies the pending changes first, in their
 * order, in its own transaction: the load between two index builds and
 * at its end, an analyst's next write, an open. A change is removed from
 * the pending file only after the case's commit; a crash in between
 * applies it again, which changes nothing (every change states its end:
 * marked, unmarked, this note), and nothing can come between since every
 * writer applies the pending ones first.
 *
 * Readers that show one event's state (the interface's markers, a
 * bookmark's toggle) look at the pending changes too (pend_state); the
 * listings (query marked, exports) see them once applied, at the latest
 * when the index build under way ends.
 */
#include "pending.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "xalloc.h"

char *pend_path(struct store *st)
{
	return xasprintf("%s-pending", store_path(st));
}

static int pfail(sqlite3 *db, const char *path, char **cause)
{
	if (!db)
		return set_cause(cause, "%s: cannot open", path);
	return set_cause(cause, "%s: %s (%d)", path, sqlite3_errmsg(db), sqlite3_extended_errcode(db));
}

#define OPS_TABLE                                                                          \
	"CREATE TABLE IF NOT EXISTS ops(seq INTEGER PRIMARY KEY, op INTEGER NOT NULL,"     \
	" record_id TEXT NOT NULL, kind INTEGER NOT NULL, arg TEXT, author TEXT NOT NULL," \
	" created TEXT NOT NULL)"

static sqlite3 *pend_open_once(const char *path, bool create, int *code, char **cause)
{
	sqlite3 *db = NULL;
	*code = SQLITE_OK;
	int flags = (create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE) |
		    SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		pfail(db, path, cause);
		sqlite3_close(db);
		return NULL;
	}
	/* SQLite's own handler sleeps up to 100 ms at a time */
	static const int wait_ms = 5000;
	sqlite3_busy_handler(db, sqlite_busy_poll_ms, (void *)&wait_ms);
	/*
	 * An analyst's write here never syncs: while a load runs the disk
	 * queue holds the load's writes, and a sync waits behind them
	 * (measured: 270-330 ms, one write in ~1,900, in the fdatasync of
	 * this file's log). As the case: WAL, no sync at commit (a killed
	 * process loses no commit; only a power loss can take the last ones
	 * back). Never a checkpoint here, neither by size nor at close: it
	 * syncs the log and the file, and the log's restart after it syncs
	 * its new header. A load checkpoints the file once it has let go of
	 * the case (pend_checkpoint), where nobody waits for it. Nor at the
	 * file's creation: it is made with no sync at all (a power loss
	 * then leaves no file, an empty one or one without the table: made
	 * sure of here, as after a process killed while creating it), then
	 * runs as the others.
	 */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_autocheckpoint(db, 0);
	/* synchronous belongs to the connection, not the file: every opening
	 * sets it */
	if (sqlite3_exec(db,
			 create ? "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL; " OPS_TABLE
				  "; PRAGMA synchronous=NORMAL"
				: "PRAGMA synchronous=NORMAL",
			 NULL, NULL, NULL) != SQLITE_OK) {
		*code = sqlite3_errcode(db);
		pfail(db, path, cause);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* A file another process is making just then (it is new: no pending
 * file, or one removed once empty, pend_tidy) is busy without a wait
 * while it turns to WAL, which the busy handler cannot wait for (this
 * connection holds a read lock it would need to give up): open it
 * again, a few times. NULL with *cause. */
static sqlite3 *pend_open(const char *path, bool create, char **cause)
{
	for (int tries = 0;; tries++) {
		int code;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		sqlite3 *db = pend_open_once(path, create, &code, cause);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* busy after the busy handler's wait (it took long): the
		 * file is held, not being made; do not wait again */
		bool waited = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 100;
		if (db || (code != SQLITE_BUSY && code != SQLITE_LOCKED) || waited || tries >= 50)
			return db;
		if (cause) {
			free(*cause);
			*cause = NULL;
		}
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
}

/* Open the pending file (create: at need) and take its write lock. A
 * file another process is creating just then can fail an open once (a
 * schema that changed under it): nothing is written yet, so try again,
 * a few times. NULL with *cause. */
static sqlite3 *pend_begin(const char *path, bool create, char **cause)
{
	for (int tries = 0;; tries++) {
		sqlite3 *db = pend_open(path, create, cause);
		int code = SQLITE_OK;
		if (db && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK)
			return db;
		if (db) {
			code = sqlite3_errcode(db);
			pfail(db, path, cause);
			sqlite3_close(db);
		}
		if (code == SQLITE_BUSY || tries >= 20) /* busy: waited 5 s already */
			return NULL;
		if (cause) {
			free(*cause);
			*cause = NULL;
		}
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
}

static int add_rows(struct store *st, const struct pend_row *rows, size_t n, char **cause);
static void pend_keep(struct store *st);

int pend_add_rows(struct store *st, const struct pend_row *rows, size_t n, char **cause)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = add_rows(st, rows, n, cause);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	struct sqlite_waits *w = sqlite_waits_mine();
	w->pend_adds++;
	w->pend_ns += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec));
	return rc;
}

static int add_rows(struct store *st, const struct pend_row *rows, size_t n, char **cause)
{
	char *path = pend_path(st);
	/* (a file removed meanwhile is made again: the change is kept) */
	int share = sqlite_pend_share(store_path(st));
	sqlite3 *db = pend_begin(path, true, cause);
	sqlite3_stmt *q = NULL, *drop = NULL;
	int rc = -1;
	if (!db)
		goto out;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO ops(op, record_id, kind, arg, author, created) VALUES(?,?,?,?,?,?)",
			       -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM ops WHERE op = ?1 AND record_id = ?2", -1, &drop, NULL) !=
		    SQLITE_OK) {
		pfail(db, path, cause);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pend_row *r = &rows[i];
		if (r->op == PEND_STATE) { /* only the last value of a key matters */
			sqlite3_bind_int(drop, 1, r->op);
			sqlite3_bind_text(drop, 2, r->rid, -1, SQLITE_STATIC);
			int d = sqlite3_step(drop);
			sqlite3_reset(drop);
			if (d != SQLITE_DONE) {
				pfail(db, path, cause);
				goto out;
			}
		}
		sqlite3_bind_int(q, 1, r->op);
		sqlite3_bind_text(q, 2, r->rid, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 3, r->kind);
		sqlite3_bind_text(q, 4, r->arg, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, r->author ? r->author : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, r->created ? r->created : "", -1, SQLITE_STATIC);
		int step = sqlite3_step(q);
		sqlite3_reset(q);
		if (step != SQLITE_DONE) {
			pfail(db, path, cause);
			goto out;
		}
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		pfail(db, path, cause);
		goto out;
	}
	rc = 0;
	pend_keep(st); /* while this one is open: not a first opening either */
out:
	sqlite3_finalize(q);
	sqlite3_finalize(drop);
	if (db && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	sqlite_pend_unshare(share);
	free(path);
	return rc;
}

int pend_add(struct store *st, const struct pend_key *keys, size_t nkeys, const struct pend_change *ch,
	     size_t nch, const char *author, const char *created, char **cause)
{
	struct pend_row *rows = xmalloc((nkeys && nch ? nkeys * nch : 1) * sizeof *rows);
	size_t n = 0;
	for (size_t k = 0; k < nkeys; k++)
		for (size_t i = 0; i < nch; i++)
			rows[n++] = (struct pend_row){ ch[i].op,  keys[k].rid, keys[k].kind,
						       ch[i].arg, author,      created };
	int rc = pend_add_rows(st, rows, n, cause);
	free(rows);
	return rc;
}

int pend_add_state(struct store *st, const char *key, const char *value, char **cause)
{
	struct pend_row r = { PEND_STATE, key, -1, value, "", "" };
	return pend_add_rows(st, &r, 1, cause);
}

/* annot_apply's changes to the keys in temp.annot_sel (annot.c). */
int pend_add_selected(struct store *st, bool unmark, const char *tag, const char *note, bool clear_note,
		      const char *author, const char *created, char **cause)
{
	struct pend_change ch[3];
	size_t nch = 0;
	if (unmark) {
		ch[nch++] = (struct pend_change){ tag ? PEND_UNTAG : PEND_UNMARK, tag };
	} else {
		ch[nch++] = (struct pend_change){ PEND_MARK, NULL };
		if (tag)
			ch[nch++] = (struct pend_change){ PEND_TAG, tag };
		if (note || clear_note)
			ch[nch++] = (struct pend_change){ PEND_NOTE, note ? note : "" };
	}
	sqlite3_stmt *q = sqlite_prep(st, "SELECT rid_text(record_id), kind FROM annot_sel", cause);
	if (!q)
		return -1;
	struct pend_key *keys = NULL;
	size_t n = 0, cap = 0;
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		keys = xgrow(keys, &cap, n + 1, sizeof *keys);
		const char *rid = (const char *)sqlite3_column_text(q, 0);
		keys[n++] = (struct pend_key){ xstrdup(rid ? rid : ""), sqlite3_column_int(q, 1) };
	}
	int rc = r == SQLITE_DONE ? pend_add(st, keys, n, ch, nch, author, created, cause)
				  : sqlite_fail(st, cause);
	sqlite3_finalize(q);
	for (size_t i = 0; i < n; i++)
		free((char *)keys[i].rid);
	free(keys);
	return rc < 0 ? -1 : 0;
}

struct pend_hold {
	sqlite3 *db;
	int64_t top;
	int share; /* sqlite_pend_share's, until pend_done */
};

/* The statements a change runs on the case, with ?1 record id, ?2 kind,
 * ?3 author, ?4 time, ?5 argument (annot.c's own, as one change). */
static const char *const apply_sql[][2] = {
	[PEND_MARK] = { "INSERT OR IGNORE INTO marks(record_id, kind, author, created) VALUES(rid_key(?1), ?2, ?3, ?4)",
			NULL },
	[PEND_UNMARK] = { "DELETE FROM marks WHERE record_id = rid_key(?1) AND kind = ?2", NULL },
	[PEND_TAG] = { "INSERT OR IGNORE INTO tags(record_id, kind, tag, author, created)"
		       " VALUES(rid_key(?1), ?2, ?5, ?3, ?4)",
		       NULL },
	[PEND_UNTAG] = { "DELETE FROM tags WHERE record_id = rid_key(?1) AND kind = ?2 AND tag = ?5", NULL },
	[PEND_NOTE] = { "DELETE FROM notes WHERE record_id = rid_key(?1) AND kind = ?2 AND author = ?3",
			"INSERT INTO notes(record_id, kind, author, created, text)"
			" SELECT rid_key(?1), ?2, ?3, ?4, ?5 WHERE ?5 <> ''" },
	[PEND_STATE] = { "DELETE FROM state WHERE key = ?1 AND ?5 IS NULL",
			 "INSERT OR REPLACE INTO state(key, value) SELECT ?1, ?5 WHERE ?5 IS NOT NULL" },
	[PEND_NOTE_DEL] = { "DELETE FROM notes WHERE id = CAST(?5 AS INTEGER) AND record_id = rid_key(?1) AND kind = ?2",
			    NULL },
	[PEND_NOTE_ADD] = { "INSERT INTO notes(record_id, kind, author, created, text) SELECT rid_key(?1), ?2, ?3, ?4, ?5"
			    " WHERE NOT EXISTS(SELECT 1 FROM notes WHERE record_id = rid_key(?1) AND kind = ?2"
			    " AND author = ?3 AND created = ?4 AND text = ?5)",
			    NULL },
	[PEND_VIEW] = { "INSERT OR REPLACE INTO views(name, filter, sort, columns, author, created)"
			" VALUES(?1, json_extract(?5, '$.f'), json_extract(?5, '$.s'), json_extract(?5, '$.c'),"
			" ?3, ?4)",
			NULL },
	[PEND_VIEW_ADD] = { "INSERT OR IGNORE INTO views(name, filter, sort, columns, author, created)"
			    " VALUES(?1, json_extract(?5, '$.f'), json_extract(?5, '$.s'), json_extract(?5, '$.c'),"
			    " ?3, ?4)",
			    NULL },
	[PEND_VIEW_DEL] = { "DELETE FROM views WHERE name = ?1", NULL },
};
#define NOPS (sizeof apply_sql / sizeof apply_sql[0])

static int apply_one(struct store *st, sqlite3_stmt *src, sqlite3_stmt *(*stmts)[2], char **cause)
{
	int op = sqlite3_column_int(src, 1);
	if (op <= 0 || (size_t)op >= NOPS || !apply_sql[op][0])
		return 0; /* not this version's: left alone */
	for (int i = 0; i < 2 && apply_sql[op][i]; i++) {
		sqlite3_stmt **q = &stmts[op][i];
		if (!*q && sqlite3_prepare_v2(store_db(st), apply_sql[op][i], -1, q, NULL) != SQLITE_OK)
			return sqlite_fail(st, cause);
		int np = sqlite3_bind_parameter_count(*q);
		for (int p = 1; p <= np; p++) {
			/* src columns: seq, op, record_id, kind, arg, author, created */
			static const int col[] = { 0, 2, 3, 5, 6, 4 };
			if (p == 2)
				sqlite3_bind_int(*q, p, sqlite3_column_int(src, col[p]));
			else
				sqlite3_bind_text(*q, p, (const char *)sqlite3_column_text(src, col[p]), -1,
						  SQLITE_TRANSIENT);
		}
		int r = sqlite3_step(*q);
		sqlite3_reset(*q);
		if (r != SQLITE_DONE)
			return sqlite_fail(st, cause);
	}
	return 0;
}

int pend_apply(struct store *st, struct pend_hold **hold, char **cause)
{
	*hold = NULL;
	char *path = pend_path(st);
	if (access(path, F_OK) != 0) {
		free(path);
		return 0;
	}
	int share = sqlite_pend_share(store_path(st));
	if (access(path, F_OK) != 0) { /* removed meanwhile: nothing pending */
		sqlite_pend_unshare(share);
		free(path);
		return 0;
	}
	/*
	 * (its table made sure of: a process killed while it created the
	 * file leaves it empty) Its write lock is taken before the changes
	 * are read and held until pend_done has deleted them, in the same
	 * transaction: no change can be added or deleted in between. Read
	 * without it, another process's merge could apply and delete the
	 * same rows meanwhile and an analyst add one, which took the first
	 * free seq again (ops.seq is a plain rowid: an emptied table starts
	 * again at 1), so that "seq <= top" here deleted a change never
	 * applied: test_pending_tidy's race lost one change in ~8 runs on a
	 * busy machine; its test_reuse plays that interleaving every time.
	 */
	sqlite3 *db = pend_begin(path, true, cause);
	if (!db) {
		sqlite_pend_unshare(share);
		free(path);
		return -1;
	}
	sqlite3_stmt *src = NULL, *stmts[NOPS][2];
	memset(stmts, 0, sizeof stmts);
	int rc = -1;
	int64_t top = 0;
	if (sqlite3_prepare_v2(db, "SELECT seq, op, record_id, kind, arg, author, created FROM ops ORDER BY seq",
			       -1, &src, NULL) != SQLITE_OK) {
		pfail(db, path, cause);
		goto out;
	}
	int r;
	while ((r = sqlite3_step(src)) == SQLITE_ROW) {
		if (apply_one(st, src, stmts, cause) < 0)
			goto out;
		top = sqlite3_column_int64(src, 0);
	}
	if (r != SQLITE_DONE) {
		pfail(db, path, cause);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(src);
	for (size_t i = 0; i < NOPS; i++) {
		sqlite3_finalize(stmts[i][0]);
		sqlite3_finalize(stmts[i][1]);
	}
	free(path);
	if (rc == 0 && top > 0) {
		*hold = xcalloc(1, sizeof **hold);
		(*hold)->db = db;
		(*hold)->top = top;
		(*hold)->share = share;
		return 0;
	}
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	sqlite_pend_unshare(share);
	return rc;
}

void pend_done(struct pend_hold *hold, bool committed)
{
	if (!hold)
		return;
	sqlite3_stmt *q;
	if (committed &&
	    sqlite3_prepare_v2(hold->db, "DELETE FROM ops WHERE seq <= ?", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, hold->top);
		sqlite3_step(q);
		sqlite3_finalize(q);
		/* a failed commit here leaves them to be applied again: no harm */
		sqlite3_exec(hold->db, "COMMIT", NULL, NULL, NULL);
	}
	if (!sqlite3_get_autocommit(hold->db))
		sqlite3_exec(hold->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(hold->db);
	sqlite_pend_unshare(hold->share);
	free(hold);
}

/* SQLite's default */
#define PEND_CKPT_PAGES 1000

int pend_commit_quiet(struct store *st, char **cause)
{
	sqlite3 *db = store_db(st);
	int was = sqlite3_wal_autocheckpoint(db, 0) == SQLITE_OK;
	int rc = sqlite_exec(st, "COMMIT", cause);
	if (was)
		sqlite3_wal_autocheckpoint(db, PEND_CKPT_PAGES);
	return rc;
}

int pend_log_restart(sqlite3 *db)
{
	int log = -1, done = -1;
	if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done) != SQLITE_OK)
		return -1;
	/* the new log's header and first frame: setting the version to
	 * itself writes page 1 */
	sqlite3_stmt *q;
	int ver = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			ver = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	char sql[48];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%d", ver);
	return ver >= 0 && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int pend_checkpoint(struct store *st)
{
	char *path = pend_path(st);
	if (access(path, F_OK) != 0) {
		free(path);
		return 0;
	}
	int share = sqlite_pend_share(store_path(st));
	sqlite3 *db = pend_open(path, false, NULL);
	free(path);
	int rc = db ? pend_log_restart(db) : -1;
	sqlite3_close(db);
	sqlite_pend_unshare(share);
	return rc;
}

int pend_merge(struct store *st, char **cause)
{
	char *path = pend_path(st);
	bool there = access(path, F_OK) == 0;
	free(path);
	if (!there || !sqlite3_get_autocommit(store_db(st)))
		return 0;
	if (sqlite_exec(st, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	struct pend_hold *hold;
	if (pend_apply(st, &hold, cause) < 0) {
		sqlite_exec(st, "ROLLBACK", NULL);
		return -1;
	}
	/* the pending file is locked until pend_done: an analyst's change
	 * must not wait for a checkpoint of the load's pages meanwhile */
	bool ok = (hold ? pend_commit_quiet(st, cause) : sqlite_exec(st, "COMMIT", cause)) == 0;
	if (!ok)
		sqlite_exec(st, "ROLLBACK", NULL);
	pend_done(hold, ok);
	return ok ? 0 : -1;
}

/* ---- readers ---- */

/* The pending changes as last read, per pending file: read again when the
 * file or its log change (their size or time), so that a screen of
 * markers costs two stats when nothing is pending. */
struct pend_cache {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size, wal_size; /* the file's and its log's (WAL) */
	struct timespec mtime, wal_mtime;
	struct pend_item {
		int op;
		char *rid;
		int kind;
		char *arg;
	} * items;
	size_t n;
	sqlite3 *keep; /* pend_keep's connection, and its file's identity */
	dev_t keep_dev;
	ino_t keep_ino;
	int keep_share; /* its share of STORE_PEND_BYTE (sqlite_pend_share) */
	struct pend_cache *next;
};
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pend_cache *caches;

static void cache_clear(struct pend_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].rid);
		free(c->items[i].arg);
	}
	free(c->items);
	c->items = NULL;
	c->n = 0;
}

/* The case file of the pending file at path (caller frees). */
static char *case_of(const char *path)
{
	size_t n = strlen(path), k = strlen("-pending");
	return xstrndup(path, n > k ? n - k : n);
}

static void cache_load(struct pend_cache *c)
{
	cache_clear(c);
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	char *cp = case_of(c->path);
	int share = sqlite_pend_share(cp);
	free(cp);
	if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto out;
	static const int wait_ms = 1000;
	sqlite3_busy_handler(db, sqlite_busy_poll_ms, (void *)&wait_ms);
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (sqlite3_prepare_v2(db, "SELECT op, record_id, kind, arg FROM ops ORDER BY seq", -1, &q, NULL) !=
	    SQLITE_OK)
		goto out;
	size_t cap = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *rid = (const char *)sqlite3_column_text(q, 1);
		const char *arg = (const char *)sqlite3_column_text(q, 3);
		if (!rid)
			continue;
		c->items = xgrow(c->items, &cap, c->n + 1, sizeof *c->items);
		c->items[c->n++] = (struct pend_item){ sqlite3_column_int(q, 0), xstrdup(rid),
						       sqlite3_column_int(q, 2), arg ? xstrdup(arg) : NULL };
	}
out:
	sqlite3_finalize(q);
	sqlite3_close(db);
	sqlite_pend_unshare(share);
}

/* The entry of *path, made at need (taking *path, then NULL). Under
 * cache_mu. */
static struct pend_cache *cache_entry(char **path)
{
	struct pend_cache *c = caches;
	while (c && strcmp(c->path, *path) != 0)
		c = c->next;
	if (!c) {
		c = xcalloc(1, sizeof *c);
		c->path = *path;
		*path = NULL;
		c->next = caches;
		caches = c;
		c->size = -1;
	}
	return c;
}

static void keep_close(struct pend_cache *c)
{
	if (!c->keep)
		return;
	sqlite3_close(c->keep);
	c->keep = NULL;
	sqlite_pend_unshare(c->keep_share);
}

/*
 * Keep the pending file open in this process once it has written to it,
 * with its log index (-shm) mapped, so that no later opening here is
 * SQLite's first on it: the first one truncates the -shm file, and on a
 * file system mounted with discard a truncate waits for the disk, behind
 * a load's writes (measured: a mark beside a 1M-event load blocked in
 * ftruncate, blkdev_issue_discard). The connection only ever reads its
 * schema: it holds no lock a writer or a checkpoint waits for. A file
 * replaced since (removed and made again) gets a new one.
 */
static void pend_keep(struct store *st)
{
	char *path = pend_path(st);
	struct stat sb;
	if (stat(path, &sb) != 0) {
		free(path);
		return;
	}
	pthread_mutex_lock(&cache_mu);
	struct pend_cache *c = cache_entry(&path);
	if (c->keep && (c->keep_dev != sb.st_dev || c->keep_ino != sb.st_ino))
		keep_close(c);
	if (!c->keep) {
		sqlite3 *db = NULL;
		sqlite3_stmt *q = NULL;
		int share = sqlite_pend_share(store_path(st));
		if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) ==
		    SQLITE_OK) {
			sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
			/* a statement's preparation reads the schema: the log and
			 * its index are opened, and stay so */
			if (sqlite3_prepare_v2(db, "SELECT 1 FROM ops", -1, &q, NULL) == SQLITE_OK) {
				c->keep = db;
				c->keep_dev = sb.st_dev;
				c->keep_ino = sb.st_ino;
				c->keep_share = share;
				share = -1;
				db = NULL;
			}
			sqlite3_finalize(q);
		}
		sqlite3_close(db);
		sqlite_pend_unshare(share);
	}
	pthread_mutex_unlock(&cache_mu);
	free(path);
}

/*
 * Remove the pending file once it is empty and nobody has it open
 * (sqlite_store.h, STORE_PEND_BYTE): this process's kept connection is
 * closed first; then the byte is taken alone, not waiting (someone has
 * the file open: it stays, and whoever closes last removes it), the file
 * read (a change in it or in its log: it stays, for the next merge), and
 * it and its log and index removed while nobody can open them. An opener
 * that waited meanwhile makes a new file: no change is lost.
 */
void pend_tidy(struct store *st)
{
	char *path = pend_path(st);
	if (access(path, F_OK) != 0) {
		free(path);
		return;
	}
	pthread_mutex_lock(&cache_mu);
	struct pend_cache *c = caches;
	while (c && strcmp(c->path, path) != 0)
		c = c->next;
	if (c)
		keep_close(c);
	pthread_mutex_unlock(&cache_mu);
	int fd = sqlite_pend_take(store_path(st));
	if (fd < 0) {
		free(path);
		return;
	}
	sqlite3 *db = access(path, F_OK) == 0 ? pend_open(path, false, NULL) : NULL;
	sqlite3_stmt *q = NULL;
	bool empty = db &&
		     sqlite3_prepare_v2(db, "SELECT NOT EXISTS(SELECT 1 FROM ops)", -1, &q, NULL) == SQLITE_OK &&
		     sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 1;
	sqlite3_finalize(q);
	sqlite3_close(db);
	if (empty) {
		static const char *const ext[] = { "-wal", "-shm", "-journal", "" };
		for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
			char *p = xasprintf("%s%s", path, ext[i]);
			unlink(p);
			free(p);
		}
	}
	sqlite_pend_unshare(fd); /* (the same call gives the byte back) */
	free(path);
}

/* The pending changes, read again if they changed; NULL when there is
 * no pending file. Returns with cache_mu held when not NULL. */
static struct pend_cache *cache_get(struct store *st)
{
	char *path = pend_path(st);
	struct stat sb;
	if (stat(path, &sb) != 0) {
		free(path);
		return NULL;
	}
	/* a change may sit in the log until a checkpoint */
	char *wal = xasprintf("%s-wal", path);
	struct stat wb;
	if (stat(wal, &wb) != 0)
		memset(&wb, 0, sizeof wb);
	free(wal);
	pthread_mutex_lock(&cache_mu);
	struct pend_cache *c = cache_entry(&path);
	if (c->dev != sb.st_dev || c->ino != sb.st_ino || c->size != sb.st_size ||
	    c->mtime.tv_sec != sb.st_mtim.tv_sec || c->mtime.tv_nsec != sb.st_mtim.tv_nsec ||
	    c->wal_size != wb.st_size || c->wal_mtime.tv_sec != wb.st_mtim.tv_sec ||
	    c->wal_mtime.tv_nsec != wb.st_mtim.tv_nsec) {
		cache_load(c);
		c->dev = sb.st_dev;
		c->ino = sb.st_ino;
		c->size = sb.st_size;
		c->mtime = sb.st_mtim;
		c->wal_size = wb.st_size;
		c->wal_mtime = wb.st_mtim;
	}
	free(path);
	return c;
}

void pend_state(struct store *st, const char *rid, int kind, int *mark, bool *tag, bool *note)
{
	*mark = -1;
	*tag = *note = false;
	struct pend_cache *c = cache_get(st);
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		const struct pend_item *it = &c->items[i];
		if (it->kind != kind || strcmp(it->rid, rid) != 0)
			continue;
		if (it->op == PEND_MARK || it->op == PEND_UNMARK)
			*mark = it->op == PEND_MARK;
		else if (it->op == PEND_TAG)
			*tag = true;
		else if (it->op == PEND_NOTE && it->arg && *it->arg)
			*note = true;
	}
	pthread_mutex_unlock(&cache_mu);
}

int pend_state_value(struct store *st, const char *key, char **value)
{
	*value = NULL;
	struct pend_cache *c = cache_get(st);
	if (!c)
		return 0;
	int found = 0;
	for (size_t i = c->n; i-- > 0 && !found;)
		if (c->items[i].op == PEND_STATE && strcmp(c->items[i].rid, key) == 0) {
			*value = c->items[i].arg ? xstrdup(c->items[i].arg) : NULL;
			found = 1;
		}
	pthread_mutex_unlock(&cache_mu);
	return found;
}
