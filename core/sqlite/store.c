/*
 * store.c: the SQLite case file of store.h.
 *
 * Layout (schema version 1):
 *   vals(id, v)             every normalized string once; events refer to ids
 *   events(...)             one row per unique record id; small integer columns
 *   rawblocks(id, n, data)  the raw records of events id .. id+n-1, one zstd
 *                           frame per block of about 512 KB
 *   msglists(event, n, items)   what a MailItemsAccessed record names, as a
 *                           JSON array of [folder, internet message id, size]
 *   messages                a view: one row per (event, folder, message id)
 *   sources(...)            provenance and counts per file or archive member
 *   rejects(...)            rows that could not be parsed, verbatim
 *   marks, tags, notes      annotations, keyed by (record_id, kind)
 *   views                   saved filters
 *   apps                    the tenant's own app names
 *   state                   what the interface restores on reopening
 *   meta(key, value)
 *
 * Raw records live apart from events so that scans of events (stacks,
 * filters) never page through them, and in blocks because a block of
 * similar JSON compresses about 8x at 500 MB/s where one record compresses
 * 5x at a third of the speed. Reading one record costs decompressing its
 * block (well under a millisecond); the last block read is kept, so that
 * reading in id order decompresses each block once.
 *
 * A load runs on three threads: the caller's (reading and parsing, which
 * feeds the sink), a writer that owns the SQLite work, and a compressor
 * for the raw blocks. The sink copies each event into a batch; full
 * batches go to the writer through a short queue, so memory stays bounded
 * whatever the size of the input.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
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
#include "sqlite_store.h"

#define SCHEMA_VERSION 4
#define APP_ID 0x41554454 /* "AUDT" */

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS vals(id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE);"
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
	"  detail INTEGER);"
	/* the other sources an event was also read from (events.source is
	 * the first, or the one whose copy was the richest) */
	"CREATE TABLE IF NOT EXISTS seen(event INTEGER NOT NULL, source INTEGER NOT NULL,"
	"  line INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS seen_event ON seen(event);"
	"CREATE TABLE IF NOT EXISTS rawblocks(id INTEGER PRIMARY KEY, n INTEGER NOT NULL, data BLOB NOT NULL);"
	/* One SQLite row per message cost a million-event load 2.5 of its 18
	 * seconds; one row per event with its list, and a view that expands
	 * it, give the same rows for the price of one insert an event. */
	"CREATE TABLE IF NOT EXISTS msglists(event INTEGER PRIMARY KEY, n INTEGER NOT NULL,"
	"  items TEXT NOT NULL);"
	"CREATE VIEW IF NOT EXISTS messages(event, seq, folder, msgid, size) AS"
	"  SELECT l.event, CAST(j.key AS INTEGER), j.value->>0, j.value->>1, j.value->>2"
	"  FROM msglists l, json_each(l.items) j;"
	"CREATE TABLE IF NOT EXISTS rejects("
	"  id INTEGER PRIMARY KEY, source INTEGER NOT NULL, line INTEGER,"
	"  reason TEXT NOT NULL, raw BLOB);"
	/* Annotations are keyed by (record id, kind), not by row number, so
	 * that they survive a reload and can move between analysts' cases. */
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

/*
 * The pivots: the fields a responder narrows on first, each with time so
 * that a narrowed timeline pages by (ts, id) straight from the index.
 * Every index entry costs the load several thousand instructions per
 * event (measured: the events insert is most of the writer's time), so
 * fields pivoted on less often (client app, token, mailbox) are answered
 * by a scan of the narrow events table instead (about 0.15 s a million
 * rows), and the stacks group over that same scan.
 */
static const char *const index_sql[] = {
	"CREATE UNIQUE INDEX IF NOT EXISTS ev_rid ON events(record_id, kind)",
	"CREATE INDEX IF NOT EXISTS ev_ts ON events(ts)",
	"CREATE INDEX IF NOT EXISTS ev_user ON events(user, ts) WHERE user IS NOT NULL",
	"CREATE INDEX IF NOT EXISTS ev_app ON events(app, ts) WHERE app IS NOT NULL",
	"CREATE INDEX IF NOT EXISTS ev_ip ON events(ip, ts) WHERE ip IS NOT NULL",
	"CREATE INDEX IF NOT EXISTS ev_op ON events(op, ts)",
	"CREATE INDEX IF NOT EXISTS ev_session ON events(session, ts) WHERE session IS NOT NULL",
	"CREATE INDEX IF NOT EXISTS vals_nocase ON vals(v COLLATE NOCASE)",
	"CREATE INDEX IF NOT EXISTS rej_source ON rejects(source)",
	"CREATE INDEX IF NOT EXISTS rej_line ON rejects(line)",
};
#define NINDEX (sizeof index_sql / sizeof index_sql[0])

#define BLOCK_BYTES ((size_t)512 << 10)
#define ZSTD_LEVEL 1

struct store {
	sqlite3 *db;
	char *path;
	bool readonly;
	ZSTD_DCtx *dctx;
	/* the last raw block read */
	int64_t blk_first, blk_n;
	char *blk;
	size_t blk_len, blk_cap;
	sqlite3_stmt *sel_block;
	sqlite3_stmt *sel_seen; /* store_event_seen, asked once an exported row */
};

sqlite3 *store_db(struct store *st)
{
	return st->db;
}

const char *store_path(const struct store *st)
{
	return st->path;
}

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

static uint32_t get_u32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void put_u32(char *p, uint32_t v)
{
	unsigned char *u = (unsigned char *)p;
	u[0] = (unsigned char)v;
	u[1] = (unsigned char)(v >> 8);
	u[2] = (unsigned char)(v >> 16);
	u[3] = (unsigned char)(v >> 24);
}

/*
 * The raw record of event id, borrowed from the block cache (valid until
 * the next call), or NULL. A block, uncompressed, is the records back to
 * back, then n+1 u32 offsets (the last is the end of the records), then
 * u32 n.
 */
static const char *raw_lookup(struct store *st, int64_t id, size_t *len)
{
	if (!(st->blk && id >= st->blk_first && id < st->blk_first + st->blk_n)) {
		if (!st->sel_block &&
		    sqlite3_prepare_v3(st->db, "SELECT id, n, data FROM rawblocks WHERE id <= ? ORDER BY id DESC LIMIT 1",
				       -1, SQLITE_PREPARE_PERSISTENT, &st->sel_block, NULL) != SQLITE_OK)
			return NULL;
		sqlite3_stmt *q = st->sel_block;
		sqlite3_bind_int64(q, 1, id);
		const char *ok = NULL;
		st->blk_n = 0;
		if (sqlite3_step(q) == SQLITE_ROW) {
			int64_t first = sqlite3_column_int64(q, 0), n = sqlite3_column_int64(q, 1);
			const void *data = sqlite3_column_blob(q, 2);
			size_t dn = (size_t)sqlite3_column_bytes(q, 2);
			unsigned long long sz = ZSTD_getFrameContentSize(data, dn);
			if (id < first + n && n > 0 && sz != ZSTD_CONTENTSIZE_ERROR &&
			    sz != ZSTD_CONTENTSIZE_UNKNOWN && sz < ((size_t)1 << 31)) {
				st->blk = xgrow(st->blk, &st->blk_cap, (size_t)sz + 1, 1);
				if (!st->dctx)
					st->dctx = ZSTD_createDCtx();
				size_t r = ZSTD_decompressDCtx(st->dctx, st->blk, st->blk_cap, data, dn);
				size_t tr = 4 * ((size_t)n + 2);
				if (!ZSTD_isError(r) && r >= tr && get_u32(st->blk + r - 4) == (uint64_t)n) {
					st->blk_first = first;
					st->blk_n = n;
					st->blk_len = r - tr; /* the records; the trailer follows */
					ok = st->blk;
				}
			}
		}
		sqlite3_reset(q);
		if (!ok)
			return NULL;
	}
	size_t k = (size_t)(id - st->blk_first);
	const char *offs = st->blk + st->blk_len;
	uint32_t a = get_u32(offs + 4 * k), b = get_u32(offs + 4 * (k + 1));
	if (a > b || b > st->blk_len)
		return NULL;
	*len = b - a;
	return st->blk + a;
}

/* SQL: raw_json(event_id) -> the record's JSON text. */
static void sql_raw_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct store *st = sqlite3_user_data(ctx);
	size_t len;
	const char *t = raw_lookup(st, sqlite3_value_int64(argv[0]), &len);
	if (!t)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, t, (int)len, SQLITE_TRANSIENT);
}

char *store_raw(struct store *st, int64_t id, size_t *len)
{
	size_t n;
	const char *t = raw_lookup(st, id, &n);
	if (!t)
		return NULL;
	if (len)
		*len = n;
	return xstrndup(t, n);
}

int store_ensure_indexes(struct store *st, char **cause)
{
	if (st->readonly)
		return 0;
	/* skip the work (and the write lock) when every index is there */
	sqlite3_stmt *q;
	bool all = true;
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM sqlite_master WHERE type='index' AND name=?", -1, &q,
			       NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
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
	exec(st->db, "PRAGMA threads=2", NULL);
	for (size_t i = 0; i < NINDEX; i++)
		if (exec(st->db, index_sql[i], cause) < 0)
			return -1;
	return 0;
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

static enum header_kind read_header(const char *path, int64_t *pages, int64_t *page_size, int64_t *bytes)
{
	unsigned char h[100];
	*pages = *page_size = *bytes = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return HDR_NONE;
	struct stat sb;
	ssize_t n = fstat(fd, &sb) == 0 ? read(fd, h, sizeof h) : -1;
	close(fd);
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

int store_open(const char *path, int flags, struct store **out, char **cause)
{
	pthread_once(&sqlite_once, sqlite_setup);
	sqlite3 *db = NULL;
	if (!(flags & STORE_CREATE) && access(path, F_OK) != 0)
		return set_cause(cause, "%s: no such case file", path);
	int64_t hpages, hpsize, fbytes;
	enum header_kind hk = read_header(path, &hpages, &hpsize, &fbytes);
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
		return -1;
	}
	/* A file that says it is a case but is shorter than its header
	 * says has lost its end: damaged, not foreign. */
	if (hk == HDR_CASE && hpages > 0 && fbytes < hpages * hpsize) {
		set_cause(cause, "%s: damaged case file: truncated (%lld of %lld bytes)", path,
			  (long long)fbytes, (long long)(hpages * hpsize));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_stmt *q;
	int appid = 0, ver = 0, ntables = 0;
	/* Reading the schema is the first thing that fails on a file that
	 * is not SQLite at all. */
	if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM sqlite_master),"
				   " (SELECT application_id FROM pragma_application_id),"
				   " (SELECT user_version FROM pragma_user_version)",
			       -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
		int ec = sqlite3_errcode(db);
		if (hk == HDR_CASE || (hk == HDR_SQLITE && (ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB)))
			set_cause(cause, "%s: damaged case file (%s)", path, sqlite3_errmsg(db));
		else if (ec == SQLITE_BUSY || ec == SQLITE_LOCKED || ec == SQLITE_CANTOPEN ||
			 ec == SQLITE_READONLY || ec == SQLITE_IOERR || ec == SQLITE_PERM)
			set_cause(cause, "%s: %s", path, sqlite3_errmsg(db));
		else
			set_cause(cause, "%s: not an auditscope case file (%s)", path, sqlite3_errmsg(db));
		sqlite3_finalize(q);
		sqlite3_close(db);
		return -1;
	}
	ntables = sqlite3_column_int(q, 0);
	appid = sqlite3_column_int(q, 1);
	ver = sqlite3_column_int(q, 2);
	sqlite3_finalize(q);
	if (ntables > 0 && appid != APP_ID) {
		set_cause(cause, "%s: not an auditscope case file", path);
		sqlite3_close(db);
		return -1;
	}
	if (ver > SCHEMA_VERSION) {
		set_cause(cause, "%s: case file is from a newer auditscope (schema %d)", path, ver);
		sqlite3_close(db);
		return -1;
	}
	struct store *st = xcalloc(1, sizeof *st);
	st->db = db;
	st->path = xstrdup(path);
	st->readonly = (flags & STORE_READONLY) != 0;
	if (!st->readonly) {
		/* A new case gets its schema; an existing one is only read
		 * here, so that opening never waits for a running load. */
		char *sql = ntables == 0 ? xasprintf("PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
						     "PRAGMA application_id=%d; PRAGMA user_version=%d;"
						     "BEGIN; %s COMMIT;",
						     APP_ID, SCHEMA_VERSION, schema_sql)
			    : ver < SCHEMA_VERSION
				? xasprintf("PRAGMA synchronous=NORMAL; BEGIN; %s %s PRAGMA user_version=%d; COMMIT;",
					    ver < 3 ? "ALTER TABLE events ADD COLUMN detail INTEGER;" : "",
					    schema_sql, SCHEMA_VERSION) /* tables and columns added since */
				: xstrdup("PRAGMA synchronous=NORMAL;");
		char *err = NULL;
		int r = exec(db, sql, &err);
		free(sql);
		if (r < 0) {
			set_cause(cause, "%s: %s", path, err);
			free(err);
			store_close(st);
			return -1;
		}
	}
	exec(db, "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;", NULL);
	sqlite3_create_function(db, "raw_json", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, st,
				sql_raw_json, NULL, NULL);
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->sel_block);
	sqlite3_finalize(st->sel_seen);
	sqlite3_close(st->db);
	ZSTD_freeDCtx(st->dctx);
	free(st->blk);
	free(st->path);
	free(st);
}

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

struct store_load {
	struct store *st;
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

static int db_fail(struct store_load *ld, char **cause)
{
	return set_cause(cause, "%s: %s", ld->st->path, sqlite3_errmsg(ld->st->db));
}

/* The vals id of a string (0 for absent), adding it when new. */
static int value_id(struct store_load *ld, struct sv s, int64_t *id, char **cause)
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
	*id = sqlite3_last_insert_rowid(ld->st->db);
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

static int prepare(struct store_load *ld, sqlite3_stmt **q, const char *sql, char **cause)
{
	if (sqlite3_prepare_v3(ld->st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, q, NULL) != SQLITE_OK)
		return db_fail(ld, cause);
	return 0;
}

static int begin(struct store_load *ld, char **cause)
{
	if (ld->txn)
		return 0;
	if (exec(ld->st->db, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	ld->txn = true;
	return 0;
}

/* ---- the compressor thread ---- */

static void *zmain(void *arg)
{
	struct store_load *ld = arg;
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
static void block_flush(struct store_load *ld)
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
static int blocks_collect(struct store_load *ld, bool wait, char **cause)
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
				rc = set_cause(cause, "%s: raw block compression failed", ld->st->path);
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

static int save_counts(struct store_load *ld, char **cause)
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
static int flush_deferred(struct store_load *ld, char **cause);

static int commit(struct store_load *ld, char **cause)
{
	if (!ld->txn)
		return 0;
	if (flush_deferred(ld, cause) < 0)
		return -1;
	block_flush(ld);
	if (blocks_collect(ld, true, cause) < 0 || save_counts(ld, cause) < 0)
		return -1;
	if (exec(ld->st->db, "COMMIT", cause) < 0)
		return -1;
	ld->txn = false;
	ld->pending = 0;
	return 0;
}

#define BLOCKS_IN_FLIGHT 8

static int raw_append(struct store_load *ld, int64_t id, struct sv raw, char **cause)
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
static int is_dup(struct store_load *ld, int kind, uint64_t fp, struct sv rid, bool *dup, int64_t *dup_id,
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

static int ridmap_retire(struct store_load *ld, char **cause)
{
	if (exec(ld->st->db, "CREATE UNIQUE INDEX IF NOT EXISTS ev_rid ON events(record_id, kind)", cause) < 0)
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
static int merge_dup(struct store_load *ld, int64_t old, const struct event *ev, struct sv msgjson,
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
static int failed_merge(struct store_load *ld, char **cause)
{
	return atomic_load_explicit(&ld->has_error, memory_order_acquire) || (cause && *cause) ? -1 : 0;
}

/* After a richer copy replaced event old by new: old's list moves. */
static int moved(struct store_load *ld, int64_t old, int64_t new, int64_t old_source, int64_t old_line,
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

static int write_event(struct store_load *ld, const struct event *ev, struct sv msgjson, char **cause)
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
		int64_t id = sqlite3_last_insert_rowid(ld->st->db);
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

static int write_reject(struct store_load *ld, uint64_t line, const char *why, const char *raw, size_t n,
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
	if (sqlite3_changes(ld->st->db))
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
static void defer(struct store_load *ld, const struct item *it)
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

static int flush_deferred(struct store_load *ld, char **cause)
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

static int write_batch(struct store_load *ld, struct batch *b, char **cause)
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
	struct store_load *ld = arg;
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

static int failed(struct store_load *ld, char **cause)
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
static void send(struct store_load *ld)
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
static int drain(struct store_load *ld, char **cause)
{
	send(ld);
	pthread_mutex_lock(&ld->mu);
	while (ld->qhead || ld->busy)
		pthread_cond_wait(&ld->cv_idle, &ld->mu);
	pthread_mutex_unlock(&ld->mu);
	return failed(ld, cause);
}

static struct item *new_item(struct store_load *ld)
{
	if (!ld->cur)
		ld->cur = xcalloc(1, sizeof *ld->cur);
	struct batch *b = ld->cur;
	b->items = xgrow(b->items, &b->icap, b->n + 1, sizeof *b->items);
	struct item *it = &b->items[b->n++];
	memset(it, 0, sizeof *it);
	return it;
}

static void maybe_send(struct store_load *ld)
{
	if (ld->cur->n >= BATCH_ITEMS || ld->cur->len >= BATCH_BYTES)
		send(ld);
}

static int sink_event(void *ctx, const struct event *ev, char **cause)
{
	struct store_load *ld = ctx;
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
	struct store_load *ld = ctx;
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

void store_load_sink(struct store_load *ld, struct sink *out)
{
	out->event = sink_event;
	out->reject = sink_reject;
	out->ctx = ld;
}

/* ---- begin, sources, end ---- */

static void load_free(struct store_load *ld)
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

struct store_load *store_load_begin(struct store *st, char **cause)
{
	if (st->readonly) {
		set_cause(cause, "%s: opened read-only", st->path);
		return NULL;
	}
	struct store_load *ld = xcalloc(1, sizeof *ld);
	ld->st = st;
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
	ld->lockfd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (ld->lockfd < 0 || flock(ld->lockfd, LOCK_EX | LOCK_NB) < 0) {
		set_cause(cause, "%s: %s", st->path,
			  errno == EWOULDBLOCK ? "another load into this case is running" : strerror(errno));
		goto fail;
	}
	sqlite3_stmt *q;
	int64_t nvals = 0, nevents = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM vals", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			nvals = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	ld->in_complete = nvals == 0;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM events", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			nevents = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	/* A source still "loading" belongs to a load that was killed. */
	exec(st->db, "UPDATE sources SET status='interrupted' WHERE status='loading'", NULL);
	if (store_ensure_indexes(st, cause) < 0)
		goto fail;
	/* The record ids already in the case, into the fingerprint table;
	 * the unique index comes back at the end of the load. A case too
	 * large for the table keeps the index and dedups through it. */
	if ((size_t)nevents >= RIDMAP_MAX) {
		ld->by_index = true;
	} else {
		if (sqlite3_prepare_v2(st->db, "SELECT id, kind, record_id FROM events", -1, &q, NULL) != SQLITE_OK) {
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
			set_cause(cause, "%s: could not read the record ids in the case", st->path);
			goto fail;
		}
		if (exec(st->db, "DROP INDEX IF EXISTS ev_rid", cause) < 0)
			goto fail;
	}
	/* A rollback journal for the load: appended pages need no copy in
	 * it, where WAL writes every page twice (log, then checkpoint).
	 * Killing the process mid-load is still safe: the next open rolls
	 * the journal back. Readers that have the case open keep it in WAL
	 * (the switch then fails, harmlessly). */
	ld->journal_switched = exec(st->db, "PRAGMA journal_mode=DELETE", NULL) == 0;
	/* A small page cache loads faster here (measured on 1M events:
	 * 64 MB 17.9 s, 32 MB 17.0 s, 16 MB 15.8 s, 8 MB 17.2 s): the hot
	 * index leaves fit, and each commit walks fewer dirty pages. */
	exec(st->db, "PRAGMA cache_size=-16384", NULL);
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
	return ld;
fail:
	load_free(ld);
	return NULL;
}

void store_load_set_batch(struct store_load *ld, unsigned n)
{
	ld->batch_events = n ? n : 1;
}

void store_load_set_ridmap_max(struct store_load *ld, size_t n)
{
	ld->ridmap_max = n;
}

int store_load_sync(struct store_load *ld, char **cause)
{
	if (drain(ld, cause) < 0 || flush_deferred(ld, cause) < 0)
		return -1;
	pthread_mutex_lock(&ld->mu);
	ld->c = ld->wc;
	pthread_mutex_unlock(&ld->mu);
	return 0;
}

void store_load_counts(struct store_load *ld, struct store_counts *out)
{
	pthread_mutex_lock(&ld->mu);
	*out = ld->c;
	pthread_mutex_unlock(&ld->mu);
}

int store_load_source(struct store_load *ld, const char *path, int64_t bytes, char **cause)
{
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
	if (sqlite3_prepare_v2(ld->st->db,
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
	ld->source = sqlite3_last_insert_rowid(ld->st->db);
	return 0;
}

int store_load_source_end(struct store_load *ld, const char *sha256, const char *format,
			  const char *encoding, const char *status, const char *warning, char **cause)
{
	if (drain(ld, cause) < 0 || begin(ld, cause) < 0)
		return -1;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(ld->st->db,
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

int store_load_end(struct store_load *ld, char **cause)
{
	int rc = 0;
	if (drain(ld, cause) < 0 || commit(ld, cause) < 0 || store_ensure_indexes(ld->st, cause) < 0)
		rc = -1;
	struct store *st = ld->st;
	bool sw = ld->journal_switched;
	load_free(ld);
	if (sw)
		exec(st->db, "PRAGMA journal_mode=WAL", NULL);
	exec(st->db, "PRAGMA cache_size=-65536", NULL);
	if (rc == 0)
		exec(st->db, "PRAGMA optimize", NULL);
	return rc;
}

void store_load_abort(struct store_load *ld)
{
	if (!ld)
		return;
	/* keep what the writer has: commit it with the counters */
	if (drain(ld, NULL) == 0)
		commit(ld, NULL);
	else if (ld->txn)
		exec(ld->st->db, "COMMIT", NULL);
	struct store *st = ld->st;
	bool sw = ld->journal_switched;
	load_free(ld);
	if (sw)
		exec(st->db, "PRAGMA journal_mode=WAL", NULL);
}
/* ------------------------------------------------------------------ */
/* Reading the case's bookkeeping */

int store_summary(struct store *st, struct store_summary *sum, char **cause)
{
	sqlite3_stmt *q;
	memset(sum, 0, sizeof *sum);
	sum->first_ts = INT64_MAX;
	sum->last_ts = INT64_MIN;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM sources),"
			       " (SELECT total(records) FROM sources), (SELECT total(duplicates) FROM sources),"
			       " (SELECT count(*) FROM rejects), (SELECT total(n) FROM msglists),"
			       " (SELECT min(ts) FROM events), (SELECT max(ts) FROM events)",
			       -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
	if (sqlite3_step(q) == SQLITE_ROW) {
		sum->events = sqlite3_column_int64(q, 0);
		sum->sources = sqlite3_column_int64(q, 1);
		sum->records = sqlite3_column_int64(q, 2);
		sum->duplicates = sqlite3_column_int64(q, 3);
		sum->rejects = sqlite3_column_int64(q, 4);
		sum->messages = sqlite3_column_int64(q, 5);
		if (sqlite3_column_type(q, 6) != SQLITE_NULL) {
			sum->first_ts = sqlite3_column_int64(q, 6);
			sum->last_ts = sqlite3_column_int64(q, 7);
		}
	}
	sqlite3_finalize(q);
	/* (a case from before schema 4 has no seen table: none then) */
	if (sqlite3_prepare_v2(st->db, "SELECT count(DISTINCT event) FROM seen", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			sum->multi_source = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	struct stat sb;
	if (stat(st->path, &sb) == 0)
		sum->file_bytes = sb.st_size;
	char *wal = xasprintf("%s-wal", st->path);
	if (stat(wal, &sb) == 0)
		sum->file_bytes += sb.st_size;
	free(wal);
	return 0;
}

int store_event_seen(struct store *st, int64_t event,
		     int (*fn)(const char *path, int64_t line, void *ctx), void *ctx, char **cause)
{
	if (!st->sel_seen &&
	    sqlite3_prepare_v2(st->db,
			       "SELECT s.path, w.line FROM seen w JOIN sources s ON s.id = w.source"
			       " WHERE w.event = ? ORDER BY w.source, w.line",
			       -1, &st->sel_seen, NULL) != SQLITE_OK)
		return 0; /* a case from before schema 4 */
	sqlite3_stmt *q = st->sel_seen;
	sqlite3_bind_int64(q, 1, event);
	int r, rc = 0;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(q, 0);
		if (fn(p ? (const char *)p : "", sqlite3_column_int64(q, 1), ctx) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_reset(q);
	return rc;
}

int store_each_source(struct store *st, int (*fn)(const struct store_source_row *r, void *ctx),
		      void *ctx, char **cause)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
			       /* a case file is untrusted: what the schema says is
				* never NULL is made so here, not assumed */
			       "SELECT id, bytes, coalesce(path, ''), sha256, format, encoding,"
			       " coalesce(status, ''), warning, coalesce(loaded_at, ''), records, events,"
			       " duplicates, rejects, first_ts, last_ts FROM sources ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
	int rc = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct store_source_row r = {
			.id = sqlite3_column_int64(q, 0),
			.bytes = sqlite3_column_type(q, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 1),
			.path = (const char *)sqlite3_column_text(q, 2),
			.sha256 = (const char *)sqlite3_column_text(q, 3),
			.format = (const char *)sqlite3_column_text(q, 4),
			.encoding = (const char *)sqlite3_column_text(q, 5),
			.status = (const char *)sqlite3_column_text(q, 6),
			.warning = (const char *)sqlite3_column_text(q, 7),
			.loaded_at = (const char *)sqlite3_column_text(q, 8),
		};
		r.c.records = (uint64_t)sqlite3_column_int64(q, 9);
		r.c.events = (uint64_t)sqlite3_column_int64(q, 10);
		r.c.duplicates = (uint64_t)sqlite3_column_int64(q, 11);
		r.c.rejects = (uint64_t)sqlite3_column_int64(q, 12);
		r.c.first_ts = sqlite3_column_type(q, 13) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(q, 13);
		r.c.last_ts = sqlite3_column_type(q, 14) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(q, 14);
		if ((rc = fn(&r, ctx)) != 0)
			break;
	}
	sqlite3_finalize(q);
	return rc;
}

int store_each_reject(struct store *st, int64_t limit,
		      int (*fn)(const struct store_reject_row *r, void *ctx), void *ctx, char **cause)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT r.id, r.line, coalesce(s.path, ''), coalesce(r.reason, ''), r.raw FROM rejects r"
			       " JOIN sources s ON s.id = r.source ORDER BY r.source, r.line, r.id LIMIT ?",
			       -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_bind_int64(q, 1, limit);
	int rc = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct store_reject_row r = {
			.id = sqlite3_column_int64(q, 0),
			.line = sqlite3_column_int64(q, 1),
			.path = (const char *)sqlite3_column_text(q, 2),
			.reason = (const char *)sqlite3_column_text(q, 3),
			.raw = sqlite3_column_blob(q, 4),
			.rawlen = (size_t)sqlite3_column_bytes(q, 4),
		};
		if ((rc = fn(&r, ctx)) != 0)
			break;
	}
	sqlite3_finalize(q);
	return rc;
}

int store_time_range(struct store *st, int64_t *first, int64_t *last, char **cause)
{
	sqlite3_stmt *q;
	*first = *last = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT min(ts), max(ts) FROM events", -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
	int rc = sqlite3_step(q);
	int found = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL;
	if (found) {
		*first = sqlite3_column_int64(q, 0);
		*last = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
	return found;
}

int store_event_messages(struct store *st, int64_t event,
			 int (*fn)(const struct store_message *m, void *ctx), void *ctx, char **cause)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT folder, msgid, size FROM messages WHERE event = ?1 ORDER BY seq", -1,
			       &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_bind_int64(q, 1, event);
	int rc = 0, step;
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_message m = {
			.folder = (const char *)sqlite3_column_text(q, 0),
			.msgid = (const char *)sqlite3_column_text(q, 1),
			.size = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 2),
		};
		if ((rc = fn(&m, ctx)) != 0)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_finalize(q);
	return rc;
}

char *store_state_get(struct store *st, const char *key)
{
	sqlite3_stmt *q;
	char *v = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM state WHERE key = ?1", -1, &q, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		v = xstrdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return v;
}

int store_state_set(struct store *st, const char *key, const char *value, char **cause)
{
	sqlite3_stmt *q;
	const char *sql = value ? "INSERT OR REPLACE INTO state(key, value) VALUES (?1, ?2)"
				: "DELETE FROM state WHERE key = ?1";
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return set_cause(cause, "%s: %s", st->path, sqlite3_errmsg(st->db));
	return 0;
}
