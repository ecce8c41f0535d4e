/*
 * store.c: the SQLite case file of store.h.
 *
 * Layout (schema version 1):
 *   vals(id, v)            every normalized string once; events refer to ids
 *   events(...)            one row per unique record id; small integer columns
 *   raw(id, dict, data)    the record's JSON, zstd-compressed (dict 0: none)
 *   dicts(id, data)        zstd dictionaries, one per load
 *   messages(event, seq, folder, msgid, size)   MailItemsAccessed contents
 *   sources(...)           provenance and counts per file or archive member
 *   rejects(...)           rows that could not be parsed, verbatim
 *   meta(key, value)
 * The raw records sit in their own table so that scans of events (stacks,
 * filters) never page through them.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zdict.h>

#include "xalloc.h"

#define SCHEMA_VERSION 1
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
	"  id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, record_id TEXT NOT NULL UNIQUE,"
	"  op INTEGER, rtype INTEGER, workload INTEGER, user INTEGER, app INTEGER,"
	"  client_app INTEGER, ip INTEGER, result INTEGER, session INTEGER, token INTEGER,"
	"  mailbox INTEGER, access INTEGER, client_info INTEGER, op_count INTEGER,"
	"  flags INTEGER NOT NULL DEFAULT 0, source INTEGER NOT NULL, line INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS raw(id INTEGER PRIMARY KEY, dict INTEGER NOT NULL, data BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS dicts(id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS messages("
	"  event INTEGER NOT NULL, seq INTEGER NOT NULL, folder INTEGER, msgid TEXT,"
	"  size INTEGER, PRIMARY KEY(event, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS rejects("
	"  id INTEGER PRIMARY KEY, source INTEGER NOT NULL, line INTEGER,"
	"  reason TEXT NOT NULL, raw BLOB);";

/* The pivots: every field a filter or a pivot narrows on, with time so
 * that a narrowed timeline pages by (ts, id) straight from the index. */
static const char *const index_sql[] = {
	"CREATE INDEX IF NOT EXISTS ev_ts ON events(ts)",
	"CREATE INDEX IF NOT EXISTS ev_user ON events(user, ts)",
	"CREATE INDEX IF NOT EXISTS ev_app ON events(app, ts)",
	"CREATE INDEX IF NOT EXISTS ev_client_app ON events(client_app, ts)",
	"CREATE INDEX IF NOT EXISTS ev_ip ON events(ip, ts)",
	"CREATE INDEX IF NOT EXISTS ev_op ON events(op, ts)",
	"CREATE INDEX IF NOT EXISTS ev_session ON events(session, ts)",
	"CREATE INDEX IF NOT EXISTS ev_token ON events(token, ts)",
	"CREATE INDEX IF NOT EXISTS ev_mailbox ON events(mailbox, ts)",
	"CREATE INDEX IF NOT EXISTS vals_nocase ON vals(v COLLATE NOCASE)",
	"CREATE INDEX IF NOT EXISTS rej_source ON rejects(source)",
};
static const char *const index_names[] = {
	"ev_ts", "ev_user", "ev_app", "ev_client_app", "ev_ip", "ev_op",
	"ev_session", "ev_token", "ev_mailbox", "vals_nocase", "rej_source",
};
#define NINDEX (sizeof index_sql / sizeof index_sql[0])

struct ddict_cache {
	int64_t id;
	ZSTD_DDict *d;
};

struct store {
	sqlite3 *db;
	char *path;
	bool readonly;
	ZSTD_DCtx *dctx;
	struct ddict_cache dd[8];
	size_t ndd;
	char *dbuf;
	size_t dcap;
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

/* Decompress one raw blob into st->dbuf. NULL if it cannot be read. */
static const char *raw_decode(struct store *st, int64_t dict, const void *data, size_t n, size_t *len)
{
	unsigned long long sz = ZSTD_getFrameContentSize(data, n);
	if (sz == ZSTD_CONTENTSIZE_ERROR || sz == ZSTD_CONTENTSIZE_UNKNOWN || sz > ((size_t)1 << 31))
		return NULL;
	if (st->dcap < sz + 1) {
		free(st->dbuf);
		st->dcap = (size_t)sz + 1;
		st->dbuf = xmalloc(st->dcap);
	}
	if (!st->dctx)
		st->dctx = ZSTD_createDCtx();
	ZSTD_DDict *dd = NULL;
	if (dict) {
		for (size_t i = 0; i < st->ndd; i++)
			if (st->dd[i].id == dict)
				dd = st->dd[i].d;
		if (!dd) {
			sqlite3_stmt *q;
			if (sqlite3_prepare_v2(st->db, "SELECT data FROM dicts WHERE id=?", -1, &q, NULL) != SQLITE_OK)
				return NULL;
			sqlite3_bind_int64(q, 1, dict);
			if (sqlite3_step(q) == SQLITE_ROW)
				dd = ZSTD_createDDict(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0));
			sqlite3_finalize(q);
			if (!dd)
				return NULL;
			if (st->ndd == sizeof st->dd / sizeof st->dd[0]) {
				ZSTD_freeDDict(st->dd[0].d);
				memmove(st->dd, st->dd + 1, sizeof st->dd[0] * (st->ndd - 1));
				st->ndd--;
			}
			st->dd[st->ndd].id = dict;
			st->dd[st->ndd].d = dd;
			st->ndd++;
		}
	}
	size_t r = dd ? ZSTD_decompress_usingDDict(st->dctx, st->dbuf, st->dcap, data, n, dd)
		      : ZSTD_decompressDCtx(st->dctx, st->dbuf, st->dcap, data, n);
	if (ZSTD_isError(r))
		return NULL;
	st->dbuf[r] = '\0';
	*len = r;
	return st->dbuf;
}

/* SQL: raw_json(dict, data) -> the record's JSON text. */
static void sql_raw_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct store *st = sqlite3_user_data(ctx);
	size_t len;
	const char *t = raw_decode(st, sqlite3_value_int64(argv[0]), sqlite3_value_blob(argv[1]),
				   (size_t)sqlite3_value_bytes(argv[1]), &len);
	if (!t) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_text(ctx, t, (int)len, SQLITE_TRANSIENT);
}

char *store_raw(struct store *st, int64_t id, size_t *len)
{
	sqlite3_stmt *q;
	char *out = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT dict, data FROM raw WHERE id=?", -1, &q, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		size_t n;
		const char *t = raw_decode(st, sqlite3_column_int64(q, 0), sqlite3_column_blob(q, 1),
					   (size_t)sqlite3_column_bytes(q, 1), &n);
		if (t) {
			out = xstrndup(t, n);
			if (len)
				*len = n;
		}
	}
	sqlite3_finalize(q);
	return out;
}

int store_ensure_indexes(struct store *st, char **cause)
{
	if (st->readonly)
		return 0;
	for (size_t i = 0; i < NINDEX; i++)
		if (exec(st->db, index_sql[i], cause) < 0)
			return -1;
	return 0;
}

int store_open(const char *path, int flags, struct store **out, char **cause)
{
	sqlite3 *db = NULL;
	int oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (!(flags & STORE_CREATE) && access(path, F_OK) != 0)
		return set_cause(cause, "%s: no such case file", path);
	if (sqlite3_open_v2(path, &db, oflags, NULL) != SQLITE_OK) {
		set_cause(cause, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
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
		char *sql = xasprintf("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				      "PRAGMA application_id=%d; PRAGMA user_version=%d;"
				      "BEGIN; %s COMMIT;",
				      APP_ID, SCHEMA_VERSION, schema_sql);
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
	sqlite3_create_function(db, "raw_json", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, st,
				sql_raw_json, NULL, NULL);
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	for (size_t i = 0; i < st->ndd; i++)
		ZSTD_freeDDict(st->dd[i].d);
	ZSTD_freeDCtx(st->dctx);
	free(st->dbuf);
	free(st->path);
	free(st);
}

/* ------------------------------------------------------------------ */
/* Bulk load */

/* String -> vals.id, so that each distinct value costs one lookup per
 * load. Open addressing over a pool; cleared when it grows past its cap
 * (the database stays the truth). */
struct intern {
	uint64_t *hash;
	int64_t *id;
	uint32_t *off; /* into pool; len stored before the bytes */
	size_t cap, count;
	char *pool;
	size_t plen, pcap;
};

#define INTERN_MAX 1000000

#define DICT_SAMPLES 2000
#define DICT_SAMPLE_BYTES ((size_t)8 << 20)
#define DICT_SIZE (96 * 1024)
#define ZSTD_LEVEL 3

struct store_load {
	struct store *st;
	sqlite3_stmt *ins_ev, *ins_raw, *ins_msg, *ins_val, *sel_val, *ins_rej, *upd_src;
	struct intern in;
	bool in_complete; /* vals had no rows at start and the map was never cleared */
	int64_t source;
	struct store_counts c;
	unsigned batch, pending;
	bool txn;
	bool drop_indexes;
	/* compression */
	ZSTD_CCtx *cctx;
	ZSTD_CDict *cdict;
	int64_t dict_id;
	char *cbuf;
	size_t ccap;
	/* dictionary training samples and the events stored before it */
	char *samples;
	size_t slen;
	size_t *ssizes;
	size_t nsamples, scap;
	int64_t *early;
	size_t nearly, ecap;
	bool trained;
};

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h | 1; /* 0 marks an empty slot */
}

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

static void intern_put(struct intern *in, uint64_t h, const char *p, size_t n, int64_t id)
{
	if (n > 4096 || in->plen + n + 4 > UINT32_MAX)
		return; /* not worth remembering */
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
	intern_put(&ld->in, h, s.p, s.n, *id);
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

static int save_counts(struct store_load *ld, char **cause)
{
	if (!ld->source)
		return 0;
	sqlite3_stmt *q = ld->upd_src;
	sqlite3_bind_int64(q, 1, (int64_t)ld->c.records);
	sqlite3_bind_int64(q, 2, (int64_t)ld->c.events);
	sqlite3_bind_int64(q, 3, (int64_t)ld->c.duplicates);
	sqlite3_bind_int64(q, 4, (int64_t)ld->c.rejects);
	if (ld->c.first_ts != INT64_MAX) {
		sqlite3_bind_int64(q, 5, ld->c.first_ts);
		sqlite3_bind_int64(q, 6, ld->c.last_ts);
	} else {
		sqlite3_bind_null(q, 5);
		sqlite3_bind_null(q, 6);
	}
	sqlite3_bind_int64(q, 7, ld->source);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : db_fail(ld, cause);
}

static int commit(struct store_load *ld, char **cause)
{
	if (!ld->txn)
		return 0;
	if (save_counts(ld, cause) < 0)
		return -1;
	if (exec(ld->st->db, "COMMIT", cause) < 0)
		return -1;
	ld->txn = false;
	ld->pending = 0;
	return 0;
}

struct store_load *store_load_begin(struct store *st, char **cause)
{
	if (st->readonly) {
		set_cause(cause, "%s: opened read-only", st->path);
		return NULL;
	}
	struct store_load *ld = xcalloc(1, sizeof *ld);
	ld->st = st;
	ld->batch = 50000;
	ld->c.first_ts = INT64_MAX;
	ld->c.last_ts = INT64_MIN;
	intern_clear(&ld->in);
	ld->cctx = ZSTD_createCCtx();
	sqlite3_stmt *q;
	int64_t nvals = 0, nevents = 0;
	sqlite3_prepare_v2(st->db, "SELECT (SELECT count(*) FROM vals), (SELECT count(*) FROM events)", -1, &q, NULL);
	if (sqlite3_step(q) == SQLITE_ROW) {
		nvals = sqlite3_column_int64(q, 0);
		nevents = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	ld->in_complete = nvals == 0;
	/* A source still "loading" belongs to a load that was killed. */
	exec(st->db, "UPDATE sources SET status='interrupted' WHERE status='loading'", NULL);
	/* A first load builds the indexes once at the end (a sort), rather
	 * than updating nine B-trees for each row. If it is interrupted,
	 * store_open's callers rebuild them with store_ensure_indexes. */
	ld->drop_indexes = nevents == 0;
	if (ld->drop_indexes) {
		for (size_t i = 0; i + 1 < NINDEX; i++) {
			char *sql = xasprintf("DROP INDEX IF EXISTS %s", index_names[i]);
			int r = exec(st->db, sql, cause);
			free(sql);
			if (r < 0)
				goto fail;
		}
	}
	if (prepare(ld, &ld->ins_ev,
		    "INSERT OR IGNORE INTO events(ts, record_id, op, rtype, workload, user, app,"
		    " client_app, ip, result, session, token, mailbox, access, client_info,"
		    " op_count, flags, source, line) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		    cause) < 0 ||
	    prepare(ld, &ld->ins_raw, "INSERT INTO raw(id, dict, data) VALUES(?,?,?)", cause) < 0 ||
	    prepare(ld, &ld->ins_msg,
		    "INSERT OR IGNORE INTO messages(event, seq, folder, msgid, size) VALUES(?,?,?,?,?)",
		    cause) < 0 ||
	    prepare(ld, &ld->ins_val, "INSERT INTO vals(v) VALUES(?)", cause) < 0 ||
	    prepare(ld, &ld->sel_val, "SELECT id FROM vals WHERE v=?", cause) < 0 ||
	    prepare(ld, &ld->ins_rej, "INSERT INTO rejects(source, line, reason, raw) VALUES(?,?,?,?)",
		    cause) < 0 ||
	    prepare(ld, &ld->upd_src,
		    "UPDATE sources SET records=?, events=?, duplicates=?, rejects=?, first_ts=?,"
		    " last_ts=? WHERE id=?",
		    cause) < 0)
		goto fail;
	return ld;
fail:
	store_load_abort(ld);
	return NULL;
}

void store_load_set_batch(struct store_load *ld, unsigned n)
{
	ld->batch = n ? n : 1;
}

const struct store_counts *store_load_counts(const struct store_load *ld)
{
	return &ld->c;
}

int store_load_source(struct store_load *ld, const char *path, int64_t bytes, char **cause)
{
	if (commit(ld, cause) < 0)
		return -1;
	memset(&ld->c, 0, sizeof ld->c);
	ld->c.first_ts = INT64_MAX;
	ld->c.last_ts = INT64_MIN;
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

/* Train the load's dictionary on the samples gathered, store it, and
 * recompress the events stored before it existed. */
static int train(struct store_load *ld, char **cause)
{
	ld->trained = true;
	if (ld->nsamples < 64)
		return 0;
	void *dict = xmalloc(DICT_SIZE);
	size_t dsz = ZDICT_trainFromBuffer(dict, DICT_SIZE, ld->samples, ld->ssizes, (unsigned)ld->nsamples);
	free(ld->samples);
	free(ld->ssizes);
	ld->samples = NULL;
	ld->ssizes = NULL;
	if (ZDICT_isError(dsz)) {
		free(dict);
		return 0; /* too little variety: plain zstd it is */
	}
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(ld->st->db, "INSERT INTO dicts(data) VALUES(?)", -1, &q, NULL) != SQLITE_OK) {
		free(dict);
		return db_fail(ld, cause);
	}
	sqlite3_bind_blob(q, 1, dict, (int)dsz, SQLITE_TRANSIENT);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		free(dict);
		return db_fail(ld, cause);
	}
	ld->dict_id = sqlite3_last_insert_rowid(ld->st->db);
	ld->cdict = ZSTD_createCDict(dict, dsz, ZSTD_LEVEL);
	free(dict);

	/* Recompress the early events with the dictionary. */
	sqlite3_stmt *sel, *upd;
	if (sqlite3_prepare_v2(ld->st->db, "SELECT data FROM raw WHERE id=?", -1, &sel, NULL) != SQLITE_OK)
		return db_fail(ld, cause);
	if (sqlite3_prepare_v2(ld->st->db, "UPDATE raw SET dict=?, data=? WHERE id=?", -1, &upd, NULL) != SQLITE_OK) {
		sqlite3_finalize(sel);
		return db_fail(ld, cause);
	}
	int rc = 0;
	for (size_t i = 0; i < ld->nearly && rc == 0; i++) {
		sqlite3_bind_int64(sel, 1, ld->early[i]);
		if (sqlite3_step(sel) == SQLITE_ROW) {
			size_t len;
			const char *t = raw_decode(ld->st, 0, sqlite3_column_blob(sel, 0),
						   (size_t)sqlite3_column_bytes(sel, 0), &len);
			if (t) {
				size_t bound = ZSTD_compressBound(len);
				ld->cbuf = xgrow(ld->cbuf, &ld->ccap, bound, 1);
				size_t c = ZSTD_compress_usingCDict(ld->cctx, ld->cbuf, ld->ccap, t, len, ld->cdict);
				if (!ZSTD_isError(c)) {
					sqlite3_bind_int64(upd, 1, ld->dict_id);
					sqlite3_bind_blob(upd, 2, ld->cbuf, (int)c, SQLITE_STATIC);
					sqlite3_bind_int64(upd, 3, ld->early[i]);
					if (sqlite3_step(upd) != SQLITE_DONE)
						rc = db_fail(ld, cause);
					sqlite3_reset(upd);
				}
			}
		}
		sqlite3_reset(sel);
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	free(ld->early);
	ld->early = NULL;
	ld->nearly = 0;
	return rc;
}

static int store_raw_record(struct store_load *ld, int64_t id, struct sv raw, char **cause)
{
	size_t bound = ZSTD_compressBound(raw.n);
	ld->cbuf = xgrow(ld->cbuf, &ld->ccap, bound, 1);
	size_t c;
	if (ld->cdict)
		c = ZSTD_compress_usingCDict(ld->cctx, ld->cbuf, ld->ccap, raw.p, raw.n, ld->cdict);
	else
		c = ZSTD_compressCCtx(ld->cctx, ld->cbuf, ld->ccap, raw.p, raw.n, ZSTD_LEVEL);
	if (ZSTD_isError(c))
		return set_cause(cause, "compression failed: %s", ZSTD_getErrorName(c));
	sqlite3_bind_int64(ld->ins_raw, 1, id);
	sqlite3_bind_int64(ld->ins_raw, 2, ld->cdict ? ld->dict_id : 0);
	sqlite3_bind_blob(ld->ins_raw, 3, ld->cbuf, (int)c, SQLITE_STATIC);
	int r = sqlite3_step(ld->ins_raw);
	sqlite3_reset(ld->ins_raw);
	if (r != SQLITE_DONE)
		return db_fail(ld, cause);
	if (!ld->trained) {
		if (ld->nsamples < DICT_SAMPLES && ld->slen + raw.n <= DICT_SAMPLE_BYTES) {
			ld->samples = xgrow(ld->samples, &ld->scap, ld->slen + raw.n, 1);
			memcpy(ld->samples + ld->slen, raw.p, raw.n);
			ld->slen += raw.n;
			size_t cap = ld->nsamples;
			ld->ssizes = xrealloc(ld->ssizes, (cap + 1) * sizeof *ld->ssizes);
			ld->ssizes[ld->nsamples++] = raw.n;
		}
		ld->early = xgrow(ld->early, &ld->ecap, ld->nearly + 1, sizeof *ld->early);
		ld->early[ld->nearly++] = id;
		if (ld->nsamples >= DICT_SAMPLES || ld->nearly >= 4 * DICT_SAMPLES)
			return train(ld, cause);
	}
	return 0;
}

static int sink_event(void *ctx, const struct event *ev, char **cause)
{
	struct store_load *ld = ctx;
	if (begin(ld, cause) < 0)
		return -1;
	ld->c.records++;
	sqlite3_stmt *q = ld->ins_ev;
	int64_t ids[15];
	const struct sv *f[] = {
		&ev->op, &ev->rtype, &ev->workload, &ev->user, &ev->app, &ev->client_app, &ev->ip,
		&ev->result, &ev->session, &ev->token, &ev->mailbox, &ev->access, &ev->client_info,
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (value_id(ld, *f[i], &ids[i], cause) < 0)
			return -1;
	sqlite3_bind_int64(q, 1, ev->ts);
	sqlite3_bind_text(q, 2, ev->record_id.p, (int)ev->record_id.n, SQLITE_STATIC);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (ids[i])
			sqlite3_bind_int64(q, (int)i + 3, ids[i]);
		else
			sqlite3_bind_null(q, (int)i + 3);
	}
	if (ev->op_count >= 0)
		sqlite3_bind_int64(q, 16, ev->op_count);
	else
		sqlite3_bind_null(q, 16);
	sqlite3_bind_int64(q, 17, ev->flags);
	sqlite3_bind_int64(q, 18, ld->source);
	sqlite3_bind_int64(q, 19, (int64_t)ev->line);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	if (r != SQLITE_DONE)
		return db_fail(ld, cause);
	if (sqlite3_changes(ld->st->db) == 0) {
		ld->c.duplicates++;
	} else {
		int64_t id = sqlite3_last_insert_rowid(ld->st->db);
		ld->c.events++;
		if (ev->ts < ld->c.first_ts)
			ld->c.first_ts = ev->ts;
		if (ev->ts > ld->c.last_ts)
			ld->c.last_ts = ev->ts;
		if (store_raw_record(ld, id, ev->raw, cause) < 0)
			return -1;
		for (size_t i = 0; i < ev->nmsgs; i++) {
			const struct event_msg *m = &ev->msgs[i];
			int64_t folder;
			if (value_id(ld, m->folder, &folder, cause) < 0)
				return -1;
			sqlite3_stmt *mq = ld->ins_msg;
			sqlite3_bind_int64(mq, 1, id);
			sqlite3_bind_int64(mq, 2, (int64_t)i);
			if (folder)
				sqlite3_bind_int64(mq, 3, folder);
			else
				sqlite3_bind_null(mq, 3);
			if (m->msgid.p)
				sqlite3_bind_text(mq, 4, m->msgid.p, (int)m->msgid.n, SQLITE_STATIC);
			else
				sqlite3_bind_null(mq, 4);
			if (m->size >= 0)
				sqlite3_bind_int64(mq, 5, m->size);
			else
				sqlite3_bind_null(mq, 5);
			r = sqlite3_step(mq);
			sqlite3_reset(mq);
			if (r != SQLITE_DONE)
				return db_fail(ld, cause);
		}
	}
	if (++ld->pending >= ld->batch)
		return commit(ld, cause);
	return 0;
}

static int sink_reject(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause)
{
	struct store_load *ld = ctx;
	if (begin(ld, cause) < 0)
		return -1;
	ld->c.records++;
	ld->c.rejects++;
	sqlite3_stmt *q = ld->ins_rej;
	sqlite3_bind_int64(q, 1, ld->source);
	sqlite3_bind_int64(q, 2, (int64_t)line);
	sqlite3_bind_text(q, 3, why, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, raw ? raw : "", (int)n, SQLITE_STATIC);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	if (r != SQLITE_DONE)
		return db_fail(ld, cause);
	if (++ld->pending >= ld->batch)
		return commit(ld, cause);
	return 0;
}

void store_load_sink(struct store_load *ld, struct sink *out)
{
	out->event = sink_event;
	out->reject = sink_reject;
	out->ctx = ld;
}

int store_load_source_end(struct store_load *ld, const char *sha256, const char *format,
			  const char *encoding, const char *status, const char *warning, char **cause)
{
	if (begin(ld, cause) < 0)
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

static void load_free(struct store_load *ld)
{
	sqlite3_finalize(ld->ins_ev);
	sqlite3_finalize(ld->ins_raw);
	sqlite3_finalize(ld->ins_msg);
	sqlite3_finalize(ld->ins_val);
	sqlite3_finalize(ld->sel_val);
	sqlite3_finalize(ld->ins_rej);
	sqlite3_finalize(ld->upd_src);
	intern_free(&ld->in);
	ZSTD_freeCCtx(ld->cctx);
	ZSTD_freeCDict(ld->cdict);
	free(ld->cbuf);
	free(ld->samples);
	free(ld->ssizes);
	free(ld->early);
	free(ld);
}

int store_load_end(struct store_load *ld, char **cause)
{
	int rc = 0;
	if (!ld->trained && ld->nsamples > 0) {
		if (begin(ld, cause) < 0 || train(ld, cause) < 0)
			rc = -1;
	}
	if (rc == 0 && commit(ld, cause) < 0)
		rc = -1;
	if (rc == 0 && store_ensure_indexes(ld->st, cause) < 0)
		rc = -1;
	if (rc == 0)
		exec(ld->st->db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA optimize;", NULL);
	load_free(ld);
	return rc;
}

void store_load_abort(struct store_load *ld)
{
	if (!ld)
		return;
	if (ld->txn) {
		if (ld->source)
			save_counts(ld, NULL);
		exec(ld->st->db, "COMMIT", NULL);
	}
	load_free(ld);
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
			       " (SELECT count(*) FROM rejects), (SELECT count(*) FROM messages),"
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
	struct stat sb;
	if (stat(st->path, &sb) == 0)
		sum->file_bytes = sb.st_size;
	char *wal = xasprintf("%s-wal", st->path);
	if (stat(wal, &sb) == 0)
		sum->file_bytes += sb.st_size;
	free(wal);
	return 0;
}

int store_each_source(struct store *st, int (*fn)(const struct store_source_row *r, void *ctx),
		      void *ctx, char **cause)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT id, bytes, path, sha256, format, encoding, status, warning,"
			       " loaded_at, records, events, duplicates, rejects, first_ts, last_ts"
			       " FROM sources ORDER BY id",
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
			       "SELECT r.id, r.line, s.path, r.reason, r.raw FROM rejects r"
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
