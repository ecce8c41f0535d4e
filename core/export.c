/*
 * export.c: CSV, JSON Lines, Timesketch and Markdown exports (export.h).
 *
 * One statement reads the matching events in time order with their
 * normalized values and whether each has a bookmark, tags or notes; tags
 * and notes are then read for the few rows that have any. Rows are
 * gathered in windows of WINDOW events: when the format wants the raw
 * records, a window's records are read in row id order, so that each
 * compressed block (about 350 consecutive ids) is decompressed once per
 * window instead of once per row, as time order would have it when
 * several exports interleave in time; then the window is written in time
 * order.
 */
#include "export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "csvout.h"
#include "knownapps.h"
#include "query.h"
#include "sanitize.h"
#include "timeparse.h"
#include "xalloc.h"

#define WINDOW 2048

#define PROGRESS_EVERY 4096

int export_format_parse(const char *s)
{
	if (!strcmp(s, "csv"))
		return EXPORT_CSV;
	if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
		return EXPORT_JSONL;
	if (!strcmp(s, "timesketch"))
		return EXPORT_TIMESKETCH;
	if (!strcmp(s, "markdown") || !strcmp(s, "md"))
		return EXPORT_MARKDOWN;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Rows */

/* The text fields, in output order, with the names exports use. */
#define ROW_FIELDS(X)                                                          \
	X(record_id, "record_id", "e.record_id")                               \
	X(op, "op", "e.op")                                                    \
	X(user, "user", "e.user")                                              \
	X(app, "app", "e.app")                                                 \
	X(client_app, "client_app", "e.client_app")                            \
	X(ip, "ip", "e.ip")                                                    \
	X(workload, "workload", "e.workload")                                  \
	X(rtype, "record_type", "e.rtype")                                     \
	X(result, "result", "e.result")                                        \
	X(session, "session", "e.session")                                     \
	X(token, "token", "e.token")                                           \
	X(mailbox, "mailbox", "e.mailbox")                                     \
	X(access, "access", "e.access")                                        \
	X(client_info, "client_info", "e.client_info")

#define VAL(col) "(SELECT v FROM vals WHERE id = e." col ")"

enum {
#define X(f, name, sql) F_##f,
	ROW_FIELDS(X)
#undef X
	NFIELDS
};

static const char *const field_names[NFIELDS] = {
#define X(f, name, sql) name,
	ROW_FIELDS(X)
#undef X
};

/* The SELECT list of the text fields, in field order: the record id,
 * then value ids that the value cache turns into text. */
static const char field_sql[] =
#define X(f, name, sql) ", " sql
	ROW_FIELDS(X)
#undef X
	;

struct note {
	char *author, *created, *text;
};

struct row {
	int64_t id, ts, line, op_count, source;
	int kind;
	unsigned flags;
	const char *f[NFIELDS]; /* into buf; NULL when absent */
	char *buf;              /* the field texts, back to back; kept for reuse */
	size_t len, cap;
	bool marked;
	char **tags;
	size_t ntags;
	struct note *notes;
	size_t nnotes;
	char *raw; /* JSON text made safe, or NULL */
};

/* Forget r's values; its text buffer stays for the next row. */
static void row_clear(struct row *r)
{
	char *buf = r->buf;
	size_t cap = r->cap;
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	for (size_t i = 0; i < r->nnotes; i++) {
		free(r->notes[i].author);
		free(r->notes[i].created);
		free(r->notes[i].text);
	}
	free(r->notes);
	free(r->raw);
	memset(r, 0, sizeof *r);
	r->buf = buf;
	r->cap = cap;
}

static const char *kind_name(int kind)
{
	return event_kind_name(kind);
}

struct source {
	int64_t id;
	char *path, *sha256;
};

/*
 * Texts of value ids, direct-mapped: an export asks for the same few
 * operations, users, apps and IPs a million times, and a correlated
 * sub-select per field and row cost more than everything else together
 * (the profile of a million-row CSV export). Unique values (tokens,
 * sessions) just miss and are read again; memory stays bounded.
 */
#define VCACHE_SLOTS 65536

struct vcache {
	int64_t id[VCACHE_SLOTS];
	char *text[VCACHE_SLOTS];
	sqlite3_stmt *q;
};

/* The text of value id (borrowed until the next lookup), or NULL. */
static const char *vcache_get(struct vcache *c, int64_t id)
{
	size_t slot = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 48) & (VCACHE_SLOTS - 1);
	if (c->id[slot] == id && c->text[slot])
		return c->text[slot];
	sqlite3_bind_int64(c->q, 1, id);
	const char *v = NULL;
	if (sqlite3_step(c->q) == SQLITE_ROW)
		v = (const char *)sqlite3_column_text(c->q, 0);
	free(c->text[slot]);
	c->text[slot] = v ? xstrdup(v) : NULL;
	c->id[slot] = id;
	sqlite3_reset(c->q);
	return c->text[slot];
}

static void vcache_free(struct vcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < VCACHE_SLOTS; i++)
		free(c->text[i]);
	sqlite3_finalize(c->q);
	free(c);
}

/*
 * The annotated keys, in memory: which (record id, kind) are bookmarked,
 * noted, and their tags. Probing the marks and tags tables once per
 * exported row costs a random B-tree search each, and once an analyst
 * bulk-marks hundreds of thousands of events those tables no longer fit
 * the page cache: a million-row CSV export went from 4 to 15 CPU seconds.
 * Read once in key order they cost a fraction of a second. Memory grows
 * with the annotations (about 80 bytes each), never with the events; past
 * annset_max rows the export falls back to probing.
 */
static int64_t annset_max = 4000000;
static int64_t marks_sorted_max = 100000; /* bookmarks an export sorts in memory */

void export_set_limits(int64_t annotations, int64_t marks_sorted)
{
	annset_max = annotations;
	marks_sorted_max = marks_sorted;
}

struct annent {
	const char *rid; /* in the arena; for kind -1 the interned tag text */
	int kind;
	bool marked, noted;
	uint32_t ntags;
	const char **tags; /* interned */
};

struct annset {
	struct annent *ent;
	size_t n, cap;
	uint32_t *slot; /* index + 1 into ent, 0 empty */
	size_t mask;
	char **chunks;   /* the arena */
	size_t nchunks, used, chunk_cap;
};

#define ARENA_CHUNK ((size_t)1 << 20)

static const char *annset_str(struct annset *a, const char *s)
{
	size_t n = strlen(s) + 1;
	if (!a->nchunks || a->used + n > ARENA_CHUNK) {
		a->chunks = xgrow(a->chunks, &a->chunk_cap, a->nchunks + 1, sizeof *a->chunks);
		a->chunks[a->nchunks++] = xmalloc(n > ARENA_CHUNK ? n : ARENA_CHUNK);
		a->used = 0;
	}
	char *d = a->chunks[a->nchunks - 1] + a->used;
	memcpy(d, s, n);
	a->used += n;
	return d;
}

static uint64_t annset_hash(const char *s, int kind)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(kind + 2);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static void annset_grow(struct annset *a)
{
	size_t nslots = a->mask ? (a->mask + 1) * 2 : 1024;
	free(a->slot);
	a->slot = xcalloc(nslots, sizeof *a->slot);
	a->mask = nslots - 1;
	for (size_t i = 0; i < a->n; i++) {
		size_t j = annset_hash(a->ent[i].rid, a->ent[i].kind) & a->mask;
		while (a->slot[j])
			j = (j + 1) & a->mask;
		a->slot[j] = (uint32_t)i + 1;
	}
}

/* The entry of (rid, kind), added when add is set; else NULL if absent. */
static struct annent *annset_get(struct annset *a, const char *rid, int kind, bool add)
{
	if (add && (a->n + 1) * 2 > a->mask + 1)
		annset_grow(a);
	if (!a->mask)
		return NULL;
	size_t j = annset_hash(rid, kind) & a->mask;
	for (; a->slot[j]; j = (j + 1) & a->mask) {
		struct annent *e = &a->ent[a->slot[j] - 1];
		if (e->kind == kind && strcmp(e->rid, rid) == 0)
			return e;
	}
	if (!add)
		return NULL;
	a->ent = xgrow(a->ent, &a->cap, a->n + 1, sizeof *a->ent);
	struct annent *e = &a->ent[a->n];
	memset(e, 0, sizeof *e);
	e->rid = annset_str(a, rid);
	e->kind = kind;
	a->slot[j] = (uint32_t)++a->n;
	return e;
}

static void annset_free(struct annset *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->ent[i].tags);
	free(a->ent);
	free(a->slot);
	for (size_t i = 0; i < a->nchunks; i++)
		free(a->chunks[i]);
	free(a->chunks);
	free(a);
}

/* Read the three tables; NULL (with *cause unset) when they are too
 * big to hold, NULL with *cause on an error. */
static struct annset *annset_load(struct store *st, const struct annot_counts *ac, char **cause)
{
	if (ac->marks + ac->tags + ac->notes > annset_max)
		return NULL;
	struct annset *a = xcalloc(1, sizeof *a);
	static const char *const sql[] = {
		"SELECT record_id, kind, NULL FROM marks",
		"SELECT record_id, kind, tag FROM tags ORDER BY record_id, kind, tag",
		"SELECT DISTINCT record_id, kind, NULL FROM notes",
	};
	for (int t = 0; t < 3; t++) {
		sqlite3_stmt *q = NULL;
		if (sqlite3_prepare_v2(store_db(st), sql[t], -1, &q, NULL) != SQLITE_OK) {
			set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
			annset_free(a);
			return NULL;
		}
		int r;
		while ((r = sqlite3_step(q)) == SQLITE_ROW) {
			struct annent *e = annset_get(a, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int(q, 1), true);
			if (t == 0) {
				e->marked = true;
			} else if (t == 2) {
				e->noted = true;
			} else {
				/* tags interned as entries of kind -1 (e may move) */
				size_t idx = (size_t)(e - a->ent);
				const char *tag = annset_get(a, (const char *)sqlite3_column_text(q, 2), -1, true)->rid;
				e = &a->ent[idx];
				e->tags = xrealloc(e->tags, (e->ntags + 1) * sizeof *e->tags);
				e->tags[e->ntags++] = tag;
			}
		}
		sqlite3_finalize(q);
		if (r != SQLITE_DONE) {
			set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
			annset_free(a);
			return NULL;
		}
	}
	return a;
}

struct exporter {
	struct store *st;
	FILE *out;
	const struct export_opts *o;
	struct query *q;
	sqlite3_stmt *sel, *sel_tags, *sel_notes;
	struct source *src;
	size_t nsrc;
	struct row *win;
	size_t nwin;
	int64_t done;
	struct knownapps *ka; /* app names: the tenant's, then Microsoft's */
	struct vcache *vc;
	struct annset *ann; /* NULL: probe the tables per row instead */
	char day[16]; /* markdown: the day being written */
	char **cause;
};

static const struct source *source_of(const struct exporter *x, int64_t id)
{
	/* source ids are 1.. in load order: a direct hit, else a search */
	if (id >= 1 && (size_t)id <= x->nsrc && x->src[id - 1].id == id)
		return &x->src[id - 1];
	for (size_t i = 0; i < x->nsrc; i++)
		if (x->src[i].id == id)
			return &x->src[i];
	return NULL;
}

/* The name of an app id (borrowed), or NULL. */
static const char *app_name(const struct exporter *x, const char *id)
{
	return id && x->ka ? knownapps_lookup(x->ka, id, NULL) : NULL;
}

static int db_fail(struct exporter *x)
{
	return set_cause(x->cause, "%s: %s", store_path(x->st), sqlite3_errmsg(store_db(x->st)));
}

static sqlite3_stmt *prep(struct exporter *x, const char *sql)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(store_db(x->st), sql, -1, &q, NULL) != SQLITE_OK) {
		db_fail(x);
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

static char *dup_col(sqlite3_stmt *q, int i)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	return s ? xstrdup(s) : NULL;
}

static int load_sources(struct exporter *x)
{
	sqlite3_stmt *q = prep(x, "SELECT id, path, sha256 FROM sources ORDER BY id");
	if (!q)
		return -1;
	size_t cap = 0;
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		x->src = xgrow(x->src, &cap, x->nsrc + 1, sizeof *x->src);
		struct source *s = &x->src[x->nsrc++];
		s->id = sqlite3_column_int64(q, 0);
		s->path = dup_col(q, 1);
		s->sha256 = dup_col(q, 2);
	}
	sqlite3_finalize(q);
	return r == SQLITE_DONE ? 0 : db_fail(x);
}

/* Fill r from the current row of x->sel, with its tags and notes. */
static int read_row(struct exporter *x, struct row *r)
{
	sqlite3_stmt *q = x->sel;
	r->id = sqlite3_column_int64(q, 0);
	r->ts = sqlite3_column_int64(q, 1);
	r->line = sqlite3_column_int64(q, 2);
	r->op_count = sqlite3_column_type(q, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 3);
	r->kind = sqlite3_column_int(q, 4);
	r->flags = (unsigned)sqlite3_column_int(q, 5);
	r->source = sqlite3_column_int64(q, 6);
	r->marked = sqlite3_column_int(q, 7);
	bool has_tags = sqlite3_column_int(q, 8), has_notes = sqlite3_column_int(q, 9);
	const struct annent *ae = NULL;
	if (x->ann) {
		ae = annset_get(x->ann, (const char *)sqlite3_column_text(q, 10), r->kind, false);
		r->marked = ae && ae->marked;
		has_notes = ae && ae->noted;
		has_tags = false;
		if (ae && ae->ntags) {
			r->tags = xmalloc(ae->ntags * sizeof *r->tags);
			for (uint32_t i = 0; i < ae->ntags; i++)
				r->tags[i] = xstrdup(ae->tags[i]);
			r->ntags = ae->ntags;
		}
	}
	/* copied into the row's buffer (offsets first: it may move) */
	size_t off[NFIELDS];
	r->len = 0;
	for (int i = 0; i < NFIELDS; i++) {
		const char *v = i == F_record_id ? (const char *)sqlite3_column_text(q, 10)
			      : sqlite3_column_type(q, 10 + i) == SQLITE_NULL ? NULL
			      : vcache_get(x->vc, sqlite3_column_int64(q, 10 + i));
		if (!v) {
			off[i] = SIZE_MAX;
			continue;
		}
		size_t n = strlen(v) + 1;
		r->buf = xgrow(r->buf, &r->cap, r->len + n, 1);
		memcpy(r->buf + r->len, v, n);
		off[i] = r->len;
		r->len += n;
	}
	for (int i = 0; i < NFIELDS; i++)
		r->f[i] = off[i] == SIZE_MAX ? NULL : r->buf + off[i];
	int rc;
	if (has_tags) {
		sqlite3_stmt *t = x->sel_tags;
		sqlite3_bind_text(t, 1, r->f[F_record_id], -1, SQLITE_STATIC);
		sqlite3_bind_int(t, 2, r->kind);
		size_t cap = 0;
		while ((rc = sqlite3_step(t)) == SQLITE_ROW) {
			r->tags = xgrow(r->tags, &cap, r->ntags + 1, sizeof *r->tags);
			r->tags[r->ntags++] = dup_col(t, 0);
		}
		sqlite3_reset(t);
		if (rc != SQLITE_DONE)
			return db_fail(x);
	}
	if (has_notes) {
		sqlite3_stmt *t = x->sel_notes;
		sqlite3_bind_text(t, 1, r->f[F_record_id], -1, SQLITE_STATIC);
		sqlite3_bind_int(t, 2, r->kind);
		size_t cap = 0;
		while ((rc = sqlite3_step(t)) == SQLITE_ROW) {
			r->notes = xgrow(r->notes, &cap, r->nnotes + 1, sizeof *r->notes);
			struct note *n = &r->notes[r->nnotes++];
			n->author = dup_col(t, 0);
			n->created = dup_col(t, 1);
			n->text = dup_col(t, 2);
		}
		sqlite3_reset(t);
		if (rc != SQLITE_DONE)
			return db_fail(x);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* CSV */

static const char *const csv_cols[] = {
	"ts", "record_id", "kind", "op", "user", "app", "app_name", "client_app", "client_app_name", "ip",
	"workload", "record_type",
	"result", "session", "token", "mailbox", "access", "op_count", "client_info", "throttled",
	"marked", "tags", "notes", "source", "source_sha256", "line",
};

static void csv_header(struct exporter *x)
{
	for (size_t i = 0; i < sizeof csv_cols / sizeof csv_cols[0]; i++)
		fprintf(x->out, "%s%s", i ? "," : "", csv_cols[i]);
	fputs("\r\n", x->out);
}

/* Several strings in one cell: joined by sep (caller frees). */
static char *join(char **v, size_t n, const char *sep)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	char *s = xmalloc(len), *p = s;
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? sep : "", v[i]);
	return s;
}

/* Every note as "[author created] text", one after another on new lines. */
static char *notes_cell(const struct row *r)
{
	char **v = xcalloc(r->nnotes + 1, sizeof *v);
	for (size_t i = 0; i < r->nnotes; i++)
		v[i] = xasprintf("[%s %s] %s", r->notes[i].author, r->notes[i].created, r->notes[i].text);
	char *s = join(v, r->nnotes, "\n");
	for (size_t i = 0; i < r->nnotes; i++)
		free(v[i]);
	free(v);
	return s;
}

static void csv_row(struct exporter *x, const struct row *r)
{
	char ts[40], opc[24], line[24];
	time_format(r->ts, ts, sizeof ts);
	snprintf(opc, sizeof opc, "%" PRId64, r->op_count);
	snprintf(line, sizeof line, "%" PRId64, r->line);
	char *tags = join(r->tags, r->ntags, ",");
	char *notes = notes_cell(r);
	const struct source *s = source_of(x, r->source);
	const char *v[] = {
		ts, r->f[F_record_id], kind_name(r->kind), r->f[F_op], r->f[F_user], r->f[F_app],
		app_name(x, r->f[F_app]), r->f[F_client_app], app_name(x, r->f[F_client_app]), r->f[F_ip], r->f[F_workload], r->f[F_rtype], r->f[F_result],
		r->f[F_session], r->f[F_token], r->f[F_mailbox], r->f[F_access],
		r->op_count >= 0 ? opc : NULL, r->f[F_client_info],
		(r->flags & EVF_THROTTLED) ? "true" : "false", r->marked ? "true" : "false", tags, notes,
		s ? s->path : NULL, s ? s->sha256 : NULL, line,
	};
	/* an empty value and NULL both leave the cell empty */
	csvout_row(x->out, v, sizeof v / sizeof v[0], x->o->terminal);
	free(tags);
	free(notes);
}

/* ------------------------------------------------------------------ */
/* JSON Lines and Timesketch */

static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	/* most values are plain printable ASCII: written as they are */
	const unsigned char *p = (const unsigned char *)s;
	while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
		p++;
	fputc('"', f);
	if (*p == '\0') {
		fwrite(s, 1, (size_t)(p - (const unsigned char *)s), f);
	} else {
		char *e = json_escape(s, strlen(s));
		fputs(e, f);
		free(e);
	}
	fputc('"', f);
}

static void json_kv(FILE *f, const char *key, const char *s)
{
	fputs(",\"", f);
	fputs(key, f);
	fputs("\":", f);
	json_str(f, s);
}

/* Timesketch's one-line summary: what, who, with which app, from where
 * (caller frees). */
static char *ts_message(const struct exporter *x, const struct row *r)
{
	const char *an = app_name(x, r->f[F_app]), *cn = app_name(x, r->f[F_client_app]);
	struct {
		const char *label, *v;
	} parts[] = {
		{ "", r->f[F_op] ? r->f[F_op] : "(no operation)" },
		{ " by ", r->f[F_user] },
		{ " mailbox ", r->f[F_mailbox] && (!r->f[F_user] || strcmp(r->f[F_mailbox], r->f[F_user])) ? r->f[F_mailbox] : NULL },
		{ " access ", r->f[F_access] },
		{ " app ", an ? an : r->f[F_app] },
		{ " client app ", cn ? cn : r->f[F_client_app] },
		{ " from ", r->f[F_ip] },
		{ " result ", r->f[F_result] },
	};
	size_t n = 1;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (parts[i].v)
			n += strlen(parts[i].label) + strlen(parts[i].v);
	char *m = xmalloc(n), *p = m;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (!parts[i].v)
			continue;
		size_t a = strlen(parts[i].label), b = strlen(parts[i].v);
		memcpy(p, parts[i].label, a);
		memcpy(p + a, parts[i].v, b);
		p += a + b;
	}
	*p = '\0';
	return m;
}

static void json_row(struct exporter *x, const struct row *r, bool timesketch)
{
	FILE *f = x->out;
	char ts[40];
	time_format(r->ts, ts, sizeof ts);
	if (timesketch) {
		/* 2023-06-18T02:33:46.000Z as Timesketch's documented form,
		 * 2023-06-18T02:33:46.000+00:00, and microseconds since 1970 */
		char dt[48];
		snprintf(dt, sizeof dt, "%.23s+00:00", ts);
		char *msg = ts_message(x, r);
		fputs("{\"message\":", f);
		json_str(f, msg);
		free(msg);
		fprintf(f, ",\"datetime\":\"%s\",\"timestamp\":%" PRId64 ",\"timestamp_desc\":\"Event Recorded\""
			   ",\"data_type\":\"auditscope:%s\"",
			dt, r->ts * 1000, kind_name(r->kind));
		json_kv(f, "ts", ts);
	} else {
		fprintf(f, "{\"ts\":\"%s\"", ts);
	}
	json_kv(f, "record_id", r->f[F_record_id]);
	json_kv(f, "kind", kind_name(r->kind));
	for (int i = F_record_id + 1; i < NFIELDS; i++)
		json_kv(f, field_names[i], r->f[i]);
	json_kv(f, "app_name", app_name(x, r->f[F_app]));
	json_kv(f, "client_app_name", app_name(x, r->f[F_client_app]));
	if (r->op_count >= 0)
		fprintf(f, ",\"op_count\":%" PRId64, r->op_count);
	else
		fputs(",\"op_count\":null", f);
	fprintf(f, ",\"throttled\":%s,\"marked\":%s", (r->flags & EVF_THROTTLED) ? "true" : "false",
		r->marked ? "true" : "false");
	fputs(timesketch ? ",\"tag\":[" : ",\"tags\":[", f);
	for (size_t i = 0; i < r->ntags; i++) {
		if (i)
			fputc(',', f);
		json_str(f, r->tags[i]);
	}
	fputc(']', f);
	if (timesketch) {
		/* Timesketch has no comments on import: the notes, attributed,
		 * as a list of text it shows and searches */
		fputs(",\"comment\":[", f);
		for (size_t i = 0; i < r->nnotes; i++) {
			char *c = xasprintf("%s (%s): %s", r->notes[i].author, r->notes[i].created, r->notes[i].text);
			if (i)
				fputc(',', f);
			json_str(f, c);
			free(c);
		}
		fputc(']', f);
	} else {
		fputs(",\"notes\":[", f);
		for (size_t i = 0; i < r->nnotes; i++) {
			fputs(i ? ",{\"author\":" : "{\"author\":", f);
			json_str(f, r->notes[i].author);
			json_kv(f, "created", r->notes[i].created);
			json_kv(f, "text", r->notes[i].text);
			fputc('}', f);
		}
		fputc(']', f);
	}
	const struct source *s = source_of(x, r->source);
	json_kv(f, "source", s ? s->path : NULL);
	json_kv(f, "source_sha256", s ? s->sha256 : NULL);
	fprintf(f, ",\"line\":%" PRId64, r->line);
	if (!timesketch) {
		fputs(",\"raw\":", f);
		fputs(r->raw ? r->raw : "null", f);
	}
	fputs("}\n", f);
}

/* ------------------------------------------------------------------ */
/* Markdown */

/*
 * Text from a record or a note, for Markdown prose: controls made visible,
 * and the characters that Markdown or HTML would act on escaped with a
 * backslash (emphasis, code, links, tags, entities, table pipes), as is
 * a line's first character when it would start a list, quote or heading.
 */
static void md_text(FILE *f, const char *s)
{
	char *safe = sanitize(s, strlen(s));
	/* "12. text" or "3) text" at the start would be a numbered list */
	const char *list_dot = NULL, *d = safe;
	while ('0' <= *d && *d <= '9')
		d++;
	if (d > safe && (*d == '.' || *d == ')'))
		list_dot = d;
	for (const char *p = safe; *p; p++) {
		if (strchr("\\`*_[]<>&|~", *p) != NULL || (p == safe && strchr("-+=>#!:", *p) != NULL) ||
		    p == list_dot)
			fputc('\\', f);
		fputc(*p, f);
	}
	free(safe);
}

/* A value as a code span: a fence longer than any run of backticks in
 * it; in a table, pipes escaped (GFM splits cells on them even there). */
static void md_code(FILE *f, const char *s, bool table)
{
	char *safe = sanitize(s, strlen(s));
	size_t run = 0, longest = 0;
	for (const char *p = safe; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	size_t len = strlen(safe);
	bool pad = len && (safe[0] == '`' || safe[len - 1] == '`' || safe[0] == ' ');
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	if (pad)
		fputc(' ', f);
	for (const char *p = safe; *p; p++) {
		if (table && *p == '|')
			fputc('\\', f);
		fputc(*p, f);
	}
	if (pad)
		fputc(' ', f);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	free(safe);
}

/* A table cell: a code span, or a dash when absent. */
static void md_cell(FILE *f, const char *s)
{
	fputs(" ", f);
	if (s && *s)
		md_code(f, s, true);
	else
		fputs("-", f);
	fputs(" |", f);
}

static void md_time(FILE *f, int64_t ms)
{
	char t[40];
	time_format(ms, t, sizeof t);
	t[10] = ' ';
	t[19] = '\0';
	fprintf(f, "%s", t);
}

struct md_src_ctx {
	FILE *f;
	int n;
};

static int md_source(const struct store_source_row *r, void *ctx)
{
	struct md_src_ctx *c = ctx;
	FILE *f = c->f;
	fprintf(f, "| %d |", ++c->n);
	md_cell(f, r->path);
	md_cell(f, r->sha256);
	md_cell(f, r->format);
	fprintf(f, " %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | ", r->c.records, r->c.events,
		r->c.duplicates, r->c.rejects);
	if (r->c.events && r->c.first_ts <= r->c.last_ts) {
		md_time(f, r->c.first_ts);
		fputs(" | ", f);
		md_time(f, r->c.last_ts);
	} else {
		fputs("- | -", f);
	}
	fputs(" |", f);
	md_cell(f, r->status);
	fputc('\n', f);
	if (r->warning && *r->warning) {
		fputs("\n> **Warning** (source ", f);
		fprintf(f, "%d): ", c->n);
		md_text(f, r->warning);
		fputs("\n\n", f);
	}
	return 0;
}

static int md_head(struct exporter *x, const char *label)
{
	FILE *f = x->out;
	struct store_summary sum;
	if (store_summary(x->st, &sum, x->cause) < 0)
		return -1;
	struct annot_counts ac;
	if (annot_counts(x->st, &ac, x->cause) < 0)
		return -1;
	char now[40];
	annot_now(now, sizeof now);
	char *author = annot_author();
	fputs("# Audit log report: ", f);
	md_text(f, label);
	fputs("\n\nPrepared by ", f);
	md_text(f, author);
	fprintf(f, " on %s with auditscope. All times are UTC.\n\n", now);
	free(author);
	const char *filter = query_text(x->q);
	if (filter && *filter) {
		fputs("Events shown: the bookmarked events that match the filter ", f);
		md_code(f, filter, false);
		fputs(".\n\n", f);
	}
	fputs("## Case summary\n\n| | |\n|---|---|\n", f);
	fprintf(f, "| events | %" PRId64 " |\n| records read | %" PRId64 " |\n"
		   "| duplicate records | %" PRId64 " |\n| rejected rows | %" PRId64 " |\n"
		   "| messages named by MailItemsAccessed | %" PRId64 " |\n",
		sum.events, sum.records, sum.duplicates, sum.rejects, sum.messages);
	if (sum.events > 0) {
		fputs("| first event | ", f);
		md_time(f, sum.first_ts);
		fputs(" |\n| last event | ", f);
		md_time(f, sum.last_ts);
		fputs(" |\n", f);
	}
	fprintf(f, "| bookmarks, tags, notes | %" PRId64 ", %" PRId64 ", %" PRId64 " |\n", ac.marks, ac.tags,
		ac.notes);
	fprintf(f, "\n### Sources (%" PRId64 ")\n\n", sum.sources);
	fputs("Every file loaded, with the SHA-256 of its bytes as loaded: hash the evidence you hold "
	      "and compare.\n\n",
	      f);
	fputs("| # | file | SHA-256 | format | records | events | duplicates | rejects | first | last | status |\n"
	      "|---|---|---|---|---|---|---|---|---|---|---|\n",
	      f);
	struct md_src_ctx c = { f, 0 };
	if (store_each_source(x->st, md_source, &c, x->cause) < 0)
		return -1;
	fputs("\n## Bookmarked events\n\n", f);
	return 0;
}

/* One "label `value`" item of an event's line, with the app's name
 * after an app id when it is known; *first tracks the separator. */
static void md_item(FILE *f, bool *first, const char *label, const char *v, const char *name)
{
	if (!v)
		return;
	fputs(*first ? "" : " · ", f);
	*first = false;
	fprintf(f, "%s ", label);
	md_code(f, v, false);
	if (name) {
		fputs(" (", f);
		md_text(f, name);
		fputc(')', f);
	}
}

/*
 * An event as a short block: a heading with the time, operation and user,
 * then a few lines of what, who, mail, and where the record came from;
 * tags; and each note, quoted, with its author and time.
 */
static void md_row(struct exporter *x, const struct row *r)
{
	FILE *f = x->out;
	char t[40];
	time_format(r->ts, t, sizeof t);
	if (strncmp(x->day, t, 10) != 0) {
		snprintf(x->day, sizeof x->day, "%.10s", t);
		fprintf(f, "### %s\n\n", x->day);
	}
	fprintf(f, "#### %.8s ", t + 11);
	md_text(f, r->f[F_op] ? r->f[F_op] : "(no operation)");
	if (r->f[F_user]) {
		fputs(" by ", f);
		md_text(f, r->f[F_user]);
	}
	fputs("\n\n", f);
	bool first = true;
	fputs("- what: ", f);
	md_item(f, &first, "op", r->f[F_op], NULL);
	md_item(f, &first, "workload", r->f[F_workload], NULL);
	md_item(f, &first, "record type", r->f[F_rtype], NULL);
	md_item(f, &first, "result", r->f[F_result], NULL);
	fputc('\n', f);
	first = true;
	if (r->f[F_user] || r->f[F_app] || r->f[F_client_app] || r->f[F_ip] || r->f[F_session] ||
	    r->f[F_token] || r->f[F_client_info]) {
		fputs("- who: ", f);
		md_item(f, &first, "user", r->f[F_user], NULL);
		md_item(f, &first, "app", r->f[F_app], app_name(x, r->f[F_app]));
		md_item(f, &first, "client app", r->f[F_client_app], app_name(x, r->f[F_client_app]));
		md_item(f, &first, "ip", r->f[F_ip], NULL);
		md_item(f, &first, "session", r->f[F_session], NULL);
		md_item(f, &first, "token", r->f[F_token], NULL);
		md_item(f, &first, "client", r->f[F_client_info], NULL);
		fputc('\n', f);
	}
	if (r->f[F_mailbox] || r->f[F_access] || r->op_count >= 0 || (r->flags & EVF_THROTTLED)) {
		first = true;
		fputs("- mail: ", f);
		md_item(f, &first, "mailbox", r->f[F_mailbox], NULL);
		md_item(f, &first, "access", r->f[F_access], NULL);
		if (r->op_count >= 0) {
			fprintf(f, "%s%" PRId64 " operations", first ? "" : " · ", r->op_count);
			first = false;
		}
		if (r->flags & EVF_THROTTLED)
			fprintf(f, "%s**throttled**: further binds in this mailbox went unaudited for 24 hours",
				first ? "" : " · ");
		fputc('\n', f);
	}
	const struct source *s = source_of(x, r->source);
	fputs("- record: ", f);
	md_code(f, r->f[F_record_id], false);
	fprintf(f, " (%s) from ", kind_name(r->kind));
	if (s)
		md_code(f, s->path, false);
	else
		fputs("an unknown source", f);
	fprintf(f, " line %" PRId64, r->line);
	if (s && s->sha256) {
		fputs(", SHA-256 ", f);
		md_code(f, s->sha256, false);
	}
	fputc('\n', f);
	if (r->ntags) {
		fputs("- tags: ", f);
		for (size_t i = 0; i < r->ntags; i++) {
			if (i)
				fputs(", ", f);
			md_code(f, r->tags[i], false);
		}
		fputc('\n', f);
	}
	fputc('\n', f);
	for (size_t i = 0; i < r->nnotes; i++) {
		fputs("Note by ", f);
		md_text(f, r->notes[i].author);
		fprintf(f, " (%s):\n\n", r->notes[i].created);
		/* each line of the note quoted, escaped on its own */
		const char *p = r->notes[i].text;
		for (;;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char *line = xstrndup(p, n);
			fputs(n ? "> " : ">", f);
			md_text(f, line);
			free(line);
			fputc('\n', f);
			if (!nl)
				break;
			p = nl + 1;
		}
		fputc('\n', f);
	}
}

/*
 * The messages the bookmarked MailItemsAccessed events named: one row per
 * mailbox and internet message id (Bind), or per mailbox and folder for a
 * Sync, where every item of the folder counts as exposed.
 */
/* The bookmarked events of the filter that name messages. */
/* From the bookmarks outward: there are far fewer of them than events,
 * and each finds its event by the record id index (0.3 s became 6 ms
 * on a million events with a thousand bookmarks). */
#define MSG_FROM                                                               \
	" FROM marks k CROSS JOIN events e ON e.record_id = k.record_id AND e.kind = k.kind"  \
	" JOIN messages m ON m.event = e.id WHERE ("
#define MSG_MARKED ")"
#define MSG_MAILBOX "coalesce(" VAL("mailbox") ", " VAL("user") ")"

/* head, the filter's condition, tail: one statement, values bound */
static sqlite3_stmt *msg_stmt(struct exporter *x, const char *head, const char *tail)
{
	char *sql = xasprintf("%s%s%s", head, query_sql_where(x->q), tail);
	sqlite3_stmt *q = prep(x, sql);
	free(sql);
	if (q && query_sql_bind(x->q, q) != SQLITE_OK) {
		db_fail(x);
		sqlite3_finalize(q);
		q = NULL;
	}
	return q;
}

static int md_messages(struct exporter *x, int64_t *count)
{
	FILE *f = x->out;
	fputs("## Messages exposed by bookmarked MailItemsAccessed events\n\n", f);
	/* per mailbox first: which mailboxes, how much, since when */
	sqlite3_stmt *q = msg_stmt(x,
		"SELECT " MSG_MAILBOX " AS mbx, count(DISTINCT m.msgid),"
		" count(DISTINCT CASE WHEN m.msgid IS NULL THEN m.folder END), min(e.ts), max(e.ts),"
		" count(DISTINCT e.id)" MSG_FROM, MSG_MARKED " GROUP BY mbx ORDER BY mbx");
	if (!q)
		return -1;
	int r, rows = 0;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		if (rows++ == 0)
			fputs("| mailbox | messages read | folders synchronised | first | last | events |\n"
			      "|---|---|---|---|---|---|\n",
			      f);
		fputs("|", f);
		md_cell(f, (const char *)sqlite3_column_text(q, 0));
		fprintf(f, " %lld | %lld | ", (long long)sqlite3_column_int64(q, 1),
			(long long)sqlite3_column_int64(q, 2));
		md_time(f, sqlite3_column_int64(q, 3));
		fputs(" | ", f);
		md_time(f, sqlite3_column_int64(q, 4));
		fprintf(f, " | %lld |\n", (long long)sqlite3_column_int64(q, 5));
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return db_fail(x);
	if (rows == 0) {
		fputs("None: no bookmarked MailItemsAccessed event names a message or folder.\n\n", f);
		*count = 0;
		return 0;
	}
	fputc('\n', f);

	/* then every message (Bind), or folder (Sync) */
	q = msg_stmt(x,
		"SELECT " MSG_MAILBOX " AS mbx, m.msgid, min(m.folder),"
		" max(" VAL("access") "), min(e.ts), max(e.ts), count(DISTINCT e.id), max(m.size),"
		" count(DISTINCT e.app), min(" VAL("app") "), count(DISTINCT e.ip), min(" VAL("ip") ")"
		MSG_FROM, MSG_MARKED
		" GROUP BY mbx, m.msgid, CASE WHEN m.msgid IS NULL THEN m.folder END"
		" ORDER BY mbx, m.msgid IS NOT NULL, min(e.ts), m.msgid, min(m.folder)");
	if (!q)
		return -1;
	fputs("| mailbox | internet message id | folder | access | first | last | events | app | ip |\n"
	      "|---|---|---|---|---|---|---|---|---|\n",
	      f);
	int64_t n = 0, sync = 0;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *msgid = (const char *)sqlite3_column_text(q, 1);
		if (msgid)
			n++;
		else
			sync++;
		fputs("|", f);
		md_cell(f, (const char *)sqlite3_column_text(q, 0));
		if (msgid)
			md_cell(f, msgid);
		else
			fputs(" every item (folder synchronised) |", f);
		md_cell(f, (const char *)sqlite3_column_text(q, 2));
		md_cell(f, (const char *)sqlite3_column_text(q, 3));
		fputs(" ", f);
		md_time(f, sqlite3_column_int64(q, 4));
		fputs(" | ", f);
		md_time(f, sqlite3_column_int64(q, 5));
		fprintf(f, " | %lld |", (long long)sqlite3_column_int64(q, 6));
		for (int c = 8; c <= 10; c += 2) {
			int64_t k = sqlite3_column_int64(q, c);
			const char *v = (const char *)sqlite3_column_text(q, c + 1);
			const char *name = c == 8 ? app_name(x, v) : NULL;
			if (k > 1) {
				fprintf(f, " %lld different |", (long long)k);
			} else if (name) {
				fputs(" ", f);
				md_code(f, v, true);
				fputs(" (", f);
				md_text(f, name);
				fputs(") |", f);
			} else {
				md_cell(f, v);
			}
		}
		fputc('\n', f);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return db_fail(x);
	fprintf(f, "\n%" PRId64 " messages read individually (Bind), %" PRId64
		   " folders synchronised (Sync: every item in them counts as exposed).\n\n",
		n, sync);
	*count = n;
	return 0;
}

/* A shell word: quoted with '' unless it is plain (for the commands the
 * report prints; the text is then escaped for Markdown by md_code). */
static char *sh_word(const char *s)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
		      strchr("-_./=@:,+", *p)))
			plain = false;
	if (plain)
		return xstrdup(s);
	size_t n = 3;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *o = xmalloc(n), *q = o;
	*q++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(q, "'\\''", 4);
			q += 4;
		} else {
			*q++ = *p;
		}
	}
	*q++ = '\'';
	*q = '\0';
	return o;
}

static int md_repro_source(const struct store_source_row *r, void *ctx)
{
	char *w = sh_word(r->path);
	fprintf(ctx, "%s  %s\n", r->sha256 ? r->sha256 : "-", w);
	free(w);
	return 0;
}

static int md_tail(struct exporter *x, const char *label)
{
	FILE *f = x->out;
	const char *prog = x->o->program ? x->o->program : "auditscope";
	const char *filter = query_text(x->q);
	bool has = filter && *filter;
	char *c = sh_word(label);
	char *fw = has ? sh_word(filter) : NULL;
	/* "marked" and the filter as one term: the filter may hold "or" */
	char *mf = has ? xasprintf("marked (%s)", filter) : xstrdup("marked");
	char *mfw = sh_word(mf);
	char *mm = xasprintf("%s op=MailItemsAccessed", mf);
	char *mmw = sh_word(mm);
	fputs("## How to reproduce\n\n"
	      "Check that the evidence is what this report was made from (`sha256sum -c` over these "
	      "lines, in the folder the case was loaded from):\n\n```\n",
	      f);
	int rv = store_each_source(x->st, md_repro_source, f, x->cause);
	fputs("```\n\nLoad the same files into a new case (records repeated across overlapping exports "
	      "are dropped by record id, so the events are the same), bring the annotations over, and "
	      "make this report again:\n\n```\n",
	      f);
	fprintf(f, "%s notes export %s -o notes.jsonl\n", prog, c);
	fprintf(f, "%s load NEW.case FILE...   # the files listed above\n", prog);
	fprintf(f, "%s notes import NEW.case notes.jsonl\n", prog);
	fprintf(f, "%s export NEW.case%s%s --marked --format markdown -o report.md\n", prog, has ? " " : "",
		has ? fw : "");
	fputs("```\n\nThe bookmarked events with their raw records, and the messages they exposed, "
	      "from this case:\n\n```\n",
	      f);
	fprintf(f, "%s query %s %s --format jsonl --raw\n", prog, c, mfw);
	fprintf(f, "%s messages %s %s\n", prog, c, mmw);
	fputs("```\n", f);
	free(c);
	free(fw);
	free(mf);
	free(mfw);
	free(mm);
	free(mmw);
	return rv;
}

/* ------------------------------------------------------------------ */

static int cmp_id(const void *a, const void *b)
{
	const struct row *const *x = a, *const *y = b;
	return (*x)->id < (*y)->id ? -1 : (*x)->id > (*y)->id;
}

/* Write the window: raw records first, read in row id order. */
static int flush(struct exporter *x)
{
	if (!x->nwin)
		return 0;
	if (x->o->format == EXPORT_JSONL) {
		struct row **by_id = xmalloc(x->nwin * sizeof *by_id);
		for (size_t i = 0; i < x->nwin; i++)
			by_id[i] = &x->win[i];
		qsort(by_id, x->nwin, sizeof *by_id, cmp_id);
		for (size_t i = 0; i < x->nwin; i++) {
			size_t len;
			char *t = store_raw(x->st, by_id[i]->id, &len);
			/* a stored record is the JSON the reader parsed; made
			 * safe for a terminal, it is still that JSON */
			by_id[i]->raw = t ? json_one_line(json_text_safe(t, len)) : NULL;
			free(t);
		}
		free(by_id);
	}
	for (size_t i = 0; i < x->nwin; i++) {
		struct row *r = &x->win[i];
		switch (x->o->format) {
		case EXPORT_CSV: csv_row(x, r); break;
		case EXPORT_JSONL: json_row(x, r, false); break;
		case EXPORT_TIMESKETCH: json_row(x, r, true); break;
		case EXPORT_MARKDOWN: md_row(x, r); break;
		}
		row_clear(r);
	}
	x->nwin = 0;
	return ferror(x->out) ? set_cause(x->cause, "write error") : 0;
}

static int scan_progress(void *ctx, double done)
{
	(void)done;
	const struct exporter *x = ctx;
	return x->o->progress ? x->o->progress(x->o->ctx, 0) : 0;
}

int export_run(struct store *st, FILE *out, const struct export_opts *o, struct export_stats *stats,
	       char **cause)
{
	struct exporter x = { .st = st, .out = out, .o = o, .cause = cause };
	bool marked = o->marked || o->format == EXPORT_MARKDOWN;
	int rc = -1;
	int64_t nmsg = 0;
	if (stats)
		memset(stats, 0, sizeof *stats);
	if (query_new(st, o->filter, &x.q, cause) < 0)
		return -1;
	query_set_progress(x.q, scan_progress, &x);
	if (query_prepare(x.q, cause) < 0)
		goto out;
	if (load_sources(&x) < 0 || !(x.ka = knownapps_new(st, cause)))
		goto out;
	x.vc = xcalloc(1, sizeof *x.vc);
	if (!(x.vc->q = prep(&x, "SELECT v FROM vals WHERE id = ?")))
		goto out;
	struct annot_counts ac;
	if (annot_counts(st, &ac, cause) < 0)
		goto out;
	if (!(x.ann = annset_load(st, &ac, cause)) && cause && *cause)
		goto out;
	/* without the keys in memory, a probe per row and table, only where
	 * there is something to find */
	bool probe = !x.ann;
#define HAS(tbl) " EXISTS(SELECT 1 FROM " tbl " a WHERE a.record_id = e.record_id AND a.kind = e.kind)"
	/* Bookmarked events only: when they are few, from the bookmarks
	 * outward, sorted in memory; when there are many, a walk of the
	 * whole timeline that skips the others keeps memory flat. */
	bool from_marks = marked && ac.marks <= marks_sorted_max;
	char *sql = xasprintf(
		"SELECT e.id, e.ts, e.line, e.op_count, e.kind, e.flags, e.source, %s, %s, %s"
		"%s FROM %s WHERE (%s)%s ORDER BY e.ts, e.id",
		from_marks ? "1" : probe && ac.marks ? HAS("marks") : "0", probe && ac.tags ? HAS("tags") : "0",
		probe && ac.notes ? HAS("notes") : "0", field_sql,
		from_marks ? "marks k CROSS JOIN events e ON e.record_id = k.record_id AND e.kind = k.kind" : "events e",
		query_sql_where(x.q), marked && probe && !from_marks ? " AND" HAS("marks") : "");
#undef HAS
	x.sel = prep(&x, sql);
	free(sql);
	if (!x.sel || !(x.sel_tags = prep(&x, "SELECT tag FROM tags WHERE record_id = ?1 AND kind = ?2 ORDER BY tag")) ||
	    !(x.sel_notes = prep(&x, "SELECT author, created, text FROM notes WHERE record_id = ?1 AND kind = ?2"
				     " ORDER BY created, id")))
		goto out;
	if (query_sql_bind(x.q, x.sel) != SQLITE_OK) {
		db_fail(&x);
		goto out;
	}
	const char *label = o->case_label ? o->case_label : store_path(st);
	if (o->format == EXPORT_CSV)
		csv_header(&x);
	else if (o->format == EXPORT_MARKDOWN && md_head(&x, label) < 0)
		goto out;
	x.win = xcalloc(WINDOW, sizeof *x.win);
	int r;
	int64_t scanned = 0;
	while ((r = sqlite3_step(x.sel)) == SQLITE_ROW) {
		if (o->progress && ++scanned % PROGRESS_EVERY == 0 && o->progress(o->ctx, x.done)) {
			set_cause(cause, "cancelled");
			goto out;
		}
		if (marked && x.ann && !from_marks) {
			const struct annent *e = annset_get(x.ann, (const char *)sqlite3_column_text(x.sel, 10),
							    sqlite3_column_int(x.sel, 4), false);
			if (!(e && e->marked))
				continue;
		}
		if (read_row(&x, &x.win[x.nwin++]) < 0)
			goto out;
		x.done++;
		if (x.nwin == WINDOW && flush(&x) < 0)
			goto out;
	}
	if (r != SQLITE_DONE) {
		db_fail(&x);
		goto out;
	}
	if (flush(&x) < 0)
		goto out;
	if (o->format == EXPORT_MARKDOWN) {
		if (x.done == 0)
			fprintf(out, "No event is bookmarked%s.\n\n",
				query_text(x.q)[0] ? " among those the filter matches" : "");
		if (md_messages(&x, &nmsg) < 0 || md_tail(&x, label) < 0)
			goto out;
	}
	if (fflush(out) != 0 || ferror(out)) {
		set_cause(cause, "write error");
		goto out;
	}
	rc = 0;
	if (stats) {
		stats->events = x.done;
		stats->messages = nmsg;
	}
out:
	for (size_t i = 0; i < (x.win ? WINDOW : 0); i++) {
		row_clear(&x.win[i]);
		free(x.win[i].buf);
	}
	free(x.win);
	vcache_free(x.vc);
	annset_free(x.ann);
	sqlite3_finalize(x.sel);
	sqlite3_finalize(x.sel_tags);
	sqlite3_finalize(x.sel_notes);
	for (size_t i = 0; i < x.nsrc; i++) {
		free(x.src[i].path);
		free(x.src[i].sha256);
	}
	free(x.src);
	knownapps_free(x.ka);
	query_free(x.q);
	return rc;
}
