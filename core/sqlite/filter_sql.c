/*
 * filter_sql.c: the SQLite store's filter compiler: it walks the tree of
 * filter.h into a condition over "events e" whose values are all bound
 * (?100, ?101 ...; sqlite_store.h: struct filter_sql). The functions the
 * condition calls (filter_regexp, filter_cidr, filter_json,
 * filter_sigma) are in filter_func.c.
 *
 * Values that name interned strings (user=, op=, app=Name, ip=CIDR ...)
 * are resolved to value ids while compiling, so that the condition SQLite
 * sees is e.user = ?. It also says where the rows come from (from, ord):
 * of the top level's user=, app=, ip=, op= and session= terms, the one
 * with the fewest events drives, through the posting lists of its values
 * (pivots.h: pivot_rows gives their (ts, id) in timeline order, within
 * the top level's time bounds), intersected with the lists of the others
 * that thin its rows enough to pay for reading them (pivot_and: only the
 * events every list holds are joined to events; a page, which reads a
 * stretch of the time, may intersect fewer than a count). The choice is made here, once, so that
 * pages, counts, ranks, stacks, histograms and exports all read the same
 * source without deciding again (query.c, scan.c: query_sql_source).
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "filter.h"
#include "knownapps.h"
#include "pivots.h"
#include "sanitize.h"
#include "sqlite_store.h"
#include "store.h"
#include "store_impl.h"
#include "util.h"
#include "xalloc.h"

#define FILTER_MAX_LISTS 8 /* terms intersected at most */

struct cc {
	struct store *st;
	sqlite3 *db;
	unsigned flags;
	struct filter_sql *out;
	struct util_buf w;
	char **cause;
	bool have_last;
	int64_t last_ts;
	bool failed;
	int negs;    /* NOTs around the node being compiled (FILTER_SQL_NORAW) */
	bool narrow; /* the term just compiled can be answered through an index */
	bool topkid; /* the node being compiled is the root or a kid of the root's "and" */
	/* the time bounds every match meets, from the top level's time terms
	 * of one value: [tlo, thi), given to the driving pivot list */
	int64_t tlo, thi;
	size_t ntimed; /* top-level time terms that gave bounds */
	/* the terms choose_drive resolved (the pivot terms of the top level),
	 * used again by compile_text_term; the chosen one drives */
	struct resolved {
		const struct filter_node *n;
		struct util_ivec ids;
		char **tables; /* temporary tables of ids (more than BIND_MAX) */
		size_t ntables;
		bool null; /* field="" among the values */
	} * known;
	size_t nknown;
	const struct resolved *drive;
	int64_t drive_gone; /* entries of events gone in the driving lists */
	/* the terms whose lists are intersected (pivot_and), the driving
	 * one first, then the others by their events; one: drive alone */
	const struct resolved *lists[FILTER_MAX_LISTS];
	int lcols[FILTER_MAX_LISTS];
	size_t nlists;
	int64_t lists_gone; /* entries of events gone in them all */
	/* the lists a page intersects (a page reads a stretch of the time,
	 * not all of it), and the rows the driving one gives alone first */
	const struct resolved *plists[FILTER_MAX_LISTS];
	int pcols[FILTER_MAX_LISTS];
	size_t nplists;
	/* the lists a page holds back, brought in when the rows they would
	 * have refused pile up (pivots.h: struct pivot_hits): after plists
	 * in the page's terms; their chunk rows and share of the case */
	const struct resolved *hlists[PIVOT_HELD];
	int hcols[PIVOT_HELD];
	double hrows[PIVOT_HELD], hshare[PIVOT_HELD];
	size_t nheld;
	int64_t lead;
	/* a page's intersection: its guessed cost, the share of its rows the
	 * terms it leaves to the joined events keep; the share of the
	 * driving list's rows every term keeps */
	double page_cost, page_keep, page_rate;
	double page_rows; /* the chunk rows of the lists a page intersects (not the driving one's) */
	/* the connection's cache of look-ups (struct filter_cache), once
	 * asked whether it is the case's: 0 not yet, 1 yes, -1 not used */
	int fc_state;
};

static void resolved_clear(struct resolved *r)
{
	free(r->ids.v);
	for (size_t i = 0; i < r->ntables; i++)
		free(r->tables[i]);
	free(r->tables);
	memset(r, 0, sizeof *r);
}

static void known_free(struct cc *c)
{
	for (size_t i = 0; i < c->nknown; i++)
		resolved_clear(&c->known[i]);
	free(c->known);
	c->known = NULL;
	c->nknown = 0;
	c->drive = NULL;
	c->nlists = 0;
}

/* Is n one of the terms whose lists give the rows? */
static bool listed(const struct cc *c, const struct filter_node *n)
{
	for (size_t i = 0; i < c->nlists; i++)
		if (c->lists[i]->n == n)
			return true;
	return c->drive && c->drive->n == n;
}

static const struct resolved *known_of(const struct cc *c, const struct filter_node *n)
{
	for (size_t i = 0; i < c->nknown; i++)
		if (c->known[i].n == n)
			return &c->known[i];
	return NULL;
}

/* Under FILTER_SQL_NORAW a term that reads the raw record becomes what
 * makes the whole condition weaker: true under an even number of NOTs,
 * false under an odd one. */
static bool relax_raw(struct cc *c)
{
	if (!(c->flags & FILTER_SQL_NORAW))
		return false;
	util_buf_puts(&c->w, c->negs % 2 ? "0" : "1");
	return true;
}

/* A new bound value of out; its parameter's number. */
static size_t add_bind(struct cc *c, struct filter_bind b)
{
	struct filter_sql *o = c->out;
	o->binds = xrealloc(o->binds, (o->nbinds + 1) * sizeof *o->binds);
	o->binds[o->nbinds] = b;
	return FILTER_PARAM_BASE + o->nbinds++;
}

static void bind_text(struct cc *c, const char *s)
{
	util_buf_printf(&c->w, "?%zu",
			add_bind(c, (struct filter_bind){ .type = FB_TEXT, .text = xstrdup(s) }));
}

static void bind_int(struct cc *c, int64_t v)
{
	util_buf_printf(&c->w, "?%zu", add_bind(c, (struct filter_bind){ .type = FB_INT, .i = v }));
}

static void colref(struct cc *c, const char *col)
{
	util_buf_printf(&c->w, "%se.%s", (c->flags & FILTER_SQL_NOINDEX) ? "+" : "", col);
}

static int cc_error(struct cc *c, const char *what)
{
	if (!c->failed)
		set_cause(c->cause, "%s: %s: %s", store_path(c->st), what, sqlite3_errmsg(c->db));
	c->failed = true;
	return -1;
}

/*
 * What compiling a filter looks up in the case, kept on the connection
 * while the case is as it was: the value ids a field's value names
 * (resolve_value: a look-up of vals, and for app= the tenant's names)
 * and a value's pivot count (tally_on: its chunk rows' entries less
 * those of events gone, and its chunk rows), and the case's greatest
 * event id. An analyst narrowing user=X to user=X app=Y ip=Z, or paging
 * the filter again, compiles the same values again: on 1M events a
 * compile of user= app= ip= looked them up for ~110k instructions of
 * its ~150k, a third of what the conjunction cost more than user= alone
 * (callgrind, every user's pick). The case is as it was while PRAGMA
 * data_version (which any other connection's commit changes; it reads
 * the case, so it is current) and the connection's total changes (its
 * own, temp's too) are; within a transaction of the connection's own
 * the cache is not used (what it would read may be rolled back). Bounded:
 * emptied when a table is half full.
 */
#define FC_VALS 256    /* resolved values kept at most */
#define FC_COUNTS 1024 /* counted values kept at most */

struct fc_val {
	char *key; /* field name, NUL, the value's text */
	size_t klen;
	int64_t *ids;
	size_t n;
};

/* A value's count: whole, or (part) its first rows', up to the row of
 * seq, with what tally_on's guess knows of them (struct tally) */
struct fc_count {
	int64_t col, val; /* col -1: empty */
	int64_t entries, gone, rows;
	bool part;
	int64_t seq, win, before;
};

struct filter_cache {
	bool known;
	int64_t version, changes, max_id;
	bool have_max;
	struct fc_val vals[2 * FC_VALS]; /* open addressing, key NULL: empty */
	size_t nvals;
	struct fc_count counts[2 * FC_COUNTS];
	size_t ncounts;
};

static void fc_clear(struct filter_cache *fc)
{
	for (size_t i = 0; i < 2 * FC_VALS; i++) {
		free(fc->vals[i].key);
		free(fc->vals[i].ids);
	}
	memset(fc->vals, 0, sizeof fc->vals);
	for (size_t i = 0; i < 2 * FC_COUNTS; i++)
		fc->counts[i].col = -1;
	fc->nvals = fc->ncounts = 0;
	fc->have_max = false;
}

/* The connection gone (the destructor of fc's holder, filter_compile) */
static void fc_free(void *p)
{
	struct filter_cache *fc = p;
	if (!fc)
		return;
	fc_clear(fc);
	free(fc);
}

/* (the holder's function: never called, as it is never named) */
static void fc_holder(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_null(ctx);
}

/* c's cache, when it is the case's as it is now (NULL: not used) */
static struct filter_cache *fc_get(struct cc *c)
{
	struct filter_cache *fc = SQ(c->st)->fcache;
	if (c->fc_state)
		return c->fc_state > 0 ? fc : NULL;
	c->fc_state = -1;
	if (!fc || !sqlite3_get_autocommit(c->db))
		return NULL;
	sqlite3_stmt *q;
	if (sqlite_stmt_take(c->st, "PRAGMA data_version", &q) != SQLITE_OK)
		return NULL;
	int r = sqlite3_step(q);
	int64_t version = r == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite_stmt_give(c->st, q);
	if (r != SQLITE_ROW)
		return NULL;
	int64_t changes = sqlite3_total_changes64(c->db);
	if (!fc->known || fc->version != version || fc->changes != changes) {
		fc_clear(fc);
		fc->known = true;
		fc->version = version;
		fc->changes = changes;
	}
	c->fc_state = 1;
	return fc;
}

/* After a compile that used the cache: its own writes (temporary tables
 * of ids) are not the case's. */
static void fc_done(struct cc *c)
{
	if (c->fc_state > 0)
		SQ(c->st)->fcache->changes = sqlite3_total_changes64(c->db);
}

static uint64_t fc_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
	return h;
}

/* The slot of key[0..klen) in fc's values: its entry, or the empty one
 * where it goes */
static struct fc_val *fc_val_slot(struct filter_cache *fc, const char *key, size_t klen)
{
	size_t i = (size_t)(fc_hash(key, klen) >> 20) & (2 * FC_VALS - 1);
	for (;; i = (i + 1) & (2 * FC_VALS - 1)) {
		struct fc_val *e = &fc->vals[i];
		if (!e->key || (e->klen == klen && !memcmp(e->key, key, klen)))
			return e;
	}
}

static struct fc_count *fc_count_slot(struct filter_cache *fc, int64_t col, int64_t val)
{
	uint64_t h = ((uint64_t)val * 0x9E3779B97F4A7C15u) ^ ((uint64_t)col * 0xC2B2AE3D27D4EB4Fu);
	size_t i = (size_t)(h >> 20) & (2 * FC_COUNTS - 1);
	for (;; i = (i + 1) & (2 * FC_COUNTS - 1)) {
		struct fc_count *e = &fc->counts[i];
		if (e->col < 0 || (e->col == col && e->val == val))
			return e;
	}
}

/* A value's count (its entries, gone and chunk rows), when kept */
static const struct fc_count *fc_count_find(struct cc *c, int col, int64_t val)
{
	struct filter_cache *fc = fc_get(c);
	if (!fc || !fc->ncounts)
		return NULL;
	const struct fc_count *e = fc_count_slot(fc, col, val);
	return e->col < 0 ? NULL : e;
}

static void fc_count_put(struct cc *c, const struct fc_count *k)
{
	struct filter_cache *fc = fc_get(c);
	if (!fc)
		return;
	if (fc->ncounts >= FC_COUNTS) {
		for (size_t i = 0; i < 2 * FC_COUNTS; i++)
			fc->counts[i].col = -1;
		fc->ncounts = 0;
	}
	struct fc_count *e = fc_count_slot(fc, k->col, k->val);
	if (e->col < 0)
		fc->ncounts++;
	*e = *k;
}

/* Add the ids of rows sql (one bound text, arg[0..alen), alen -1: up to
 * its NUL) yields; -1 past max ids. */
static int ids_query_n(struct cc *c, struct util_ivec *s, const char *sql, const char *arg, int alen, size_t max)
{
	sqlite3_stmt *q;
	if (sqlite_stmt_take(c->st, sql, &q) != SQLITE_OK)
		return cc_error(c, "resolving values");
	sqlite3_bind_text(q, 1, arg, alen, SQLITE_TRANSIENT);
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		if (s->n >= max) {
			sqlite_stmt_give(c->st, q);
			return 1;
		}
		util_ivec_add(s, sqlite3_column_int64(q, 0));
	}
	if (r != SQLITE_DONE) {
		cc_error(c, "resolving values");
		sqlite_stmt_give(c->st, q);
		return -1;
	}
	sqlite_stmt_give(c->st, q);
	return 0;
}

static int ids_query(struct cc *c, struct util_ivec *s, const char *sql, const char *arg, size_t max)
{
	return ids_query_n(c, s, sql, arg, -1, max);
}

static char *ascii_lower(const char *s)
{
	char *t = xstrdup(s);
	for (char *p = t; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return t;
}

static int resolve_value_sql(struct cc *c, const struct filter_field *f, const char *v, struct util_ivec *s);

/* The value ids a text field's value names, into s: from the
 * connection's cache, or looked up (and kept). */
static int resolve_value(struct cc *c, const struct filter_field *f, const char *v, struct util_ivec *s)
{
	struct filter_cache *fc = fc_get(c);
	size_t nl = strlen(f->name), vl = strlen(v);
	char *key = fc ? xmalloc(nl + 1 + vl) : NULL;
	if (key) {
		memcpy(key, f->name, nl + 1);
		memcpy(key + nl + 1, v, vl);
		const struct fc_val *e = fc_val_slot(fc, key, nl + 1 + vl);
		if (e->key) {
			for (size_t i = 0; i < e->n; i++)
				util_ivec_add(s, e->ids[i]);
			free(key);
			return 0;
		}
	}
	struct util_ivec own = { 0 };
	int r = resolve_value_sql(c, f, v, &own);
	if (r == 0) {
		for (size_t i = 0; i < own.n; i++)
			util_ivec_add(s, own.v[i]);
		if (key) {
			if (fc->nvals >= FC_VALS)
				fc_clear(fc);
			struct fc_val *e = fc_val_slot(fc, key, nl + 1 + vl);
			*e = (struct fc_val){ key, nl + 1 + vl, own.v, own.n };
			fc->nvals++;
			key = NULL;
			own.v = NULL;
		}
	}
	free(key);
	free(own.v);
	return r;
}

/* The value ids a text field's value names, looked up, into s. */
static int resolve_value_sql(struct cc *c, const struct filter_field *f, const char *v, struct util_ivec *s)
{
	/* vals keeps a case-blind hash of each value, vidx its candidates
	 * (values.c, vidx.c) */
	const char *exact = SQLITE_VALS_BY_TEXT("");
	const char *nocase = SQLITE_VALS_BY_TEXT(" COLLATE NOCASE");
	if (f->flags & FIELD_LOWER) {
		char *lv = ascii_lower(v);
		int r = ids_query(c, s, exact, lv, SIZE_MAX);
		free(lv);
		if (r < 0)
			return -1;
	} else if (ids_query(c, s, (f->flags & FIELD_NOCASE) ? nocase : exact, v, SIZE_MAX) < 0) {
		return -1;
	}
	/* a value with a NUL byte is shown with \x00 there (sanitize_nul):
	 * typed back, or made by a pivot from a cell, it names that value
	 * too */
	size_t bn;
	char *bytes = sanitize_nul_undo(v, &bn);
	if (bytes && bn <= INT_MAX) {
		if (f->flags & FIELD_LOWER)
			for (size_t i = 0; i < bn; i++)
				if (bytes[i] >= 'A' && bytes[i] <= 'Z')
					bytes[i] = (char)(bytes[i] - 'A' + 'a');
		int r = ids_query_n(c, s,
				    (f->flags & FIELD_NOCASE) && !(f->flags & FIELD_LOWER) ? nocase : exact,
				    bytes, (int)bn, SIZE_MAX);
		free(bytes);
		if (r < 0)
			return -1;
	} else {
		free(bytes);
	}
	/* Entra operations in the UAL end with a period ("Consent to
	 * application."), the same operations in Entra's own logs do not */
	if (!strcmp(f->name, "op") && *v && v[strlen(v) - 1] != '.') {
		char *dot = xasprintf("%s.", v);
		int r = ids_query(c, s, nocase, dot, SIZE_MAX);
		free(dot);
		if (r < 0)
			return -1;
	}
	const char *rtype = !strcmp(f->name, "record_type") ? filter_record_type_name(v) : NULL;
	if (rtype && ids_query(c, s, nocase, rtype, SIZE_MAX) < 0)
		return -1;
	/* app=Name: the tenant's own names (apps table), then Microsoft's */
	if (!strcmp(f->name, "app") || !strcmp(f->name, "client_app")) {
		char **names = NULL;
		size_t nn = 0;
		if (knownapps_case_ids(c->st, v, &names, &nn, NULL) == 0) {
			for (size_t i = 0; i < nn; i++) {
				char *lv = ascii_lower(names[i]);
				int r = ids_query(c, s, exact, lv, SIZE_MAX);
				free(lv);
				if (r < 0) {
					knownapps_ids_free(names, nn);
					return -1;
				}
			}
			knownapps_ids_free(names, nn);
		}
	}
	return 0;
}

#define BIND_MAX 256 /* value ids bound as parameters; more go to a table */

/*
 * The value ids sql (over vals, one bound text) yields, into s; when
 * there are more than BIND_MAX, into a temporary table instead, whose
 * name goes to *table (caller frees): a regex such as user~^a can match
 * thousands of values, and a bound list or a sub-select of vals would be
 * rebuilt by every statement run (every page), where a table with the
 * ids as its key is read in place.
 */
static int resolve_set(struct cc *c, struct util_ivec *s, const char *sql, const char *arg, char **table)
{
	struct util_ivec part = { 0 };
	*table = NULL;
	int r = ids_query(c, &part, sql, arg, BIND_MAX);
	if (r < 0) {
		free(part.v);
		return -1;
	}
	if (r == 0) {
		for (size_t i = 0; i < part.n; i++)
			util_ivec_add(s, part.v[i]);
		free(part.v);
		return 0;
	}
	free(part.v);
	static unsigned serial;
	char *name = xasprintf("fi%u", ++serial);
	char *ddl = xasprintf("CREATE TEMP TABLE %s(id INTEGER PRIMARY KEY)", name);
	char *ins = xasprintf("INSERT INTO temp.%s %s", name, sql);
	sqlite3_stmt *q = NULL;
	if (sqlite3_exec(c->db, ddl, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, ins, -1, &q, NULL) != SQLITE_OK) {
		free(ddl);
		free(ins);
		free(name);
		return cc_error(c, "resolving values");
	}
	free(ddl);
	free(ins);
	struct filter_sql *o = c->out;
	o->temps = xrealloc(o->temps, (o->ntemps + 1) * sizeof *o->temps);
	o->temps[o->ntemps++] = xstrdup(name);
	o->db = c->db;
	sqlite3_bind_text(q, 1, arg, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		free(name);
		return cc_error(c, "resolving values");
	}
	*table = name;
	return 0;
}

/*
 * The events an annotation names (bookmarks, tags: keys over record ids,
 * keys_sql reading ?1..?n = texts), into a temporary table whose name
 * goes to *table (caller frees). Written in the condition, the set was
 * worked out again by every run of a statement: each page, each of the
 * 32 samples that choose a strategy; with 148k bookmarks on a 200k case
 * that was ~0.1 s a run and `query CASE marked` took over a minute of
 * CPU. Once a compile, and read in place (its ids are the key), it is
 * the filter's bookmarks as the filter was applied: a view reads them
 * again when the filter is applied again.
 */
static int annot_set(struct cc *c, const char *keys_sql, char *const *texts, size_t ntexts, char **table)
{
	static unsigned serial;
	char *name = xasprintf("fa%u", ++serial);
	char *ddl = xasprintf("CREATE TEMP TABLE %s(id INTEGER PRIMARY KEY)", name);
	char *ins = xasprintf("INSERT OR IGNORE INTO temp.%s " SQLITE_RIDX_IDS_HEAD "%s" SQLITE_RIDX_IDS_TAIL,
			      name, keys_sql);
	sqlite3_stmt *q = NULL;
	int r = sqlite3_exec(c->db, ddl, NULL, NULL, NULL);
	free(ddl);
	if (r == SQLITE_OK) {
		struct filter_sql *o = c->out;
		o->temps = xrealloc(o->temps, (o->ntemps + 1) * sizeof *o->temps);
		o->temps[o->ntemps++] = xstrdup(name);
		o->db = c->db;
		r = sqlite3_prepare_v2(c->db, ins, -1, &q, NULL);
	}
	free(ins);
	for (size_t i = 0; r == SQLITE_OK && i < ntexts; i++)
		r = sqlite3_bind_text(q, (int)i + 1, texts[i], -1, SQLITE_TRANSIENT);
	if (r == SQLITE_OK && (r = sqlite3_step(q)) == SQLITE_DONE)
		r = SQLITE_OK;
	sqlite3_finalize(q);
	if (r != SQLITE_OK) {
		free(name);
		return cc_error(c, "reading annotations");
	}
	*table = name;
	return 0;
}

static void or_sep(struct cc *c, int *parts)
{
	if ((*parts)++)
		util_buf_puts(&c->w, " OR ");
}

/* The value ids of a term on an interned text column, into r: bound
 * ids, tables of ids, and whether field="" is among its values. */
static int resolve_term(struct cc *c, const struct filter_node *n, struct resolved *r)
{
	const struct filter_field *f = n->field;
	memset(r, 0, sizeof *r);
	r->n = n;
	for (size_t i = 0; i < n->nvals; i++) {
		const char *v = n->vals[i];
		char *table = NULL;
		int k = 0;
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			char *p = (f->flags & FIELD_NOCASE) ? xasprintf("(?i)%s", v) : xstrdup(v);
			k = resolve_set(c, &r->ids, "SELECT id FROM vals WHERE filter_regexp(?1, v)", p,
					&table);
			free(p);
		} else if (!*v) {
			r->null = true;
		} else if (!strcmp(f->name, "ip") && strchr(v, '/')) {
			k = resolve_set(c, &r->ids, "SELECT id FROM vals WHERE filter_cidr(?1, v)", v, &table);
		} else {
			k = resolve_value(c, f, v, &r->ids);
		}
		if (k < 0) {
			resolved_clear(r);
			return -1;
		}
		if (table) {
			r->tables = xrealloc(r->tables, (r->ntables + 1) * sizeof *r->tables);
			r->tables[r->ntables++] = table;
		}
	}
	return 0;
}

/* The positive condition of a term on an interned text column. */
static int compile_text_term(struct cc *c, const struct filter_node *n, bool *served)
{
	const struct filter_field *f = n->field;
	int parts = 0;
	struct resolved own;
	const struct resolved *r = known_of(c, n);
	if (!r) {
		if (resolve_term(c, n, &own) < 0)
			return -1;
		r = &own;
	}
	util_buf_puts(&c->w, "(");
	for (size_t i = 0; i < r->ntables; i++) {
		or_sep(c, &parts);
		colref(c, f->column);
		util_buf_printf(&c->w, " IN (SELECT id FROM temp.%s)", r->tables[i]);
	}
	if (r->null) {
		or_sep(c, &parts);
		colref(c, f->column);
		util_buf_puts(&c->w, " IS NULL");
	}
	if (r->ids.n) {
		or_sep(c, &parts);
		colref(c, f->column);
		if (r->ids.n == 1) {
			util_buf_puts(&c->w, " = ");
			bind_int(c, r->ids.v[0]);
		} else {
			util_buf_puts(&c->w, " IN (");
			for (size_t i = 0; i < r->ids.n; i++) {
				if (i)
					util_buf_puts(&c->w, ",");
				bind_int(c, r->ids.v[i]);
			}
			util_buf_puts(&c->w, ")");
		}
	}
	if (!parts)
		util_buf_puts(&c->w, "0");
	util_buf_puts(&c->w, ")");
	/* the driving term's pivot lists give its rows in timeline order
	 * (the term stays in the condition: a list may hold entries of
	 * events replaced since) */
	*served = listed(c, n);
	c->narrow = *served;
	if (r == &own)
		resolved_clear(&own);
	return 0;
}

static int last_ts(struct cc *c, int64_t *out)
{
	if (!c->have_last) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(c->db, "SELECT max(ts) FROM events", -1, &q, NULL) != SQLITE_OK)
			return cc_error(c, "finding the last event");
		c->last_ts = 0;
		if (sqlite3_step(q) == SQLITE_ROW)
			c->last_ts = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		c->have_last = true;
	}
	*out = c->last_ts;
	return 0;
}

static int compile_time_term(struct cc *c, const struct filter_node *n, bool *served)
{
	int64_t last = 0;
	util_buf_puts(&c->w, "(");
	for (size_t i = 0; i < n->nvals; i++) {
		const char *v = n->vals[i];
		int64_t from, to;
		if (filter_time_is_relative(v) && last_ts(c, &last) < 0)
			return -1;
		if (!*v) {
			util_buf_puts(&c->w, i ? " OR 0" : "0");
			continue;
		}
		if (filter_time_parse(v, last, &from, &to, c->cause) < 0)
			return c->failed = true, -1;
		if (c->topkid && n->nvals == 1 && n->op != FILTER_NE) {
			/* what every match meets: the driving list's bounds */
			int64_t lo = n->op == FILTER_GT                         ? to
				     : n->op == FILTER_LT || n->op == FILTER_LE ? INT64_MIN
										: from;
			int64_t hi = n->op == FILTER_LT                         ? from
				     : n->op == FILTER_GT || n->op == FILTER_GE ? INT64_MAX
										: to;
			c->tlo = lo > c->tlo ? lo : c->tlo;
			c->thi = hi < c->thi ? hi : c->thi;
			c->ntimed++;
		}
		if (i)
			util_buf_puts(&c->w, " OR ");
		switch (n->op) {
		case FILTER_GT: colref(c, "ts"), util_buf_puts(&c->w, " >= "), bind_int(c, to); break;
		case FILTER_GE: colref(c, "ts"), util_buf_puts(&c->w, " >= "), bind_int(c, from); break;
		case FILTER_LT: colref(c, "ts"), util_buf_puts(&c->w, " < "), bind_int(c, from); break;
		case FILTER_LE: colref(c, "ts"), util_buf_puts(&c->w, " < "), bind_int(c, to); break;
		default:
			util_buf_puts(&c->w, "(");
			colref(c, "ts"), util_buf_puts(&c->w, " >= "), bind_int(c, from);
			util_buf_puts(&c->w, " AND ");
			colref(c, "ts"), util_buf_puts(&c->w, " < "), bind_int(c, to);
			util_buf_puts(&c->w, ")");
		}
	}
	util_buf_puts(&c->w, ")");
	*served = n->op != FILTER_NE && n->nvals == 1;
	c->narrow = n->op != FILTER_NE;
	return 0;
}

static const char *sql_cmp(enum filter_op op)
{
	switch (op) {
	case FILTER_GT: return " > ";
	case FILTER_GE: return " >= ";
	case FILTER_LT: return " < ";
	case FILTER_LE: return " <= ";
	default: return " = ";
	}
}

static int compile_term(struct cc *c, const struct filter_node *n, bool *served)
{
	*served = false;
	bool neg = n->op == FILTER_NE || n->op == FILTER_NRE;
	/* a negative term is NOT of its positive form, with an absent
	 * value counting as "not equal" */
	if (neg) {
		util_buf_puts(&c->w, "NOT coalesce(");
		c->negs++;
	}
	int r = 0;
	if ((n->term == FILTER_JSON || n->term == FILTER_RAW || n->term == FILTER_SIGMA) && relax_raw(c)) {
		c->out->raw = true;
	} else if (n->term == FILTER_SIGMA) {
		/* the term's own text, parsed again (once per statement) by
		 * filter_sigma (filter_func.c): the condition is compiled by
		 * sigma_field.c and matched by sigma_match.c */
		c->out->raw = true;
		const struct filter_node *pos = n;
		struct filter_node tmp;
		if (n->op == FILTER_NE) {
			tmp = *n;
			tmp.op = FILTER_EQ;
			pos = &tmp;
		}
		char *t = filter_node_text(pos);
		util_buf_puts(&c->w, "filter_sigma(raw_json(e.id), ");
		bind_text(c, t);
		util_buf_puts(&c->w, ")");
		free(t);
	} else if (n->term == FILTER_JSON) {
		c->out->raw = true;
		bool absent = n->nvals == 1 && !*n->vals[0] && (n->op == FILTER_EQ || n->op == FILTER_NE);
		if (absent)
			util_buf_puts(&c->w, "NOT ");
		util_buf_puts(&c->w, "filter_json(raw_json(e.id), ");
		bind_text(c, n->path);
		if (absent) {
			util_buf_puts(&c->w, ", '?')");
		} else if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, ", '~', ");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, ")");
		} else {
			util_buf_puts(&c->w, ", '='");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, ", ");
				bind_text(c, n->vals[i]);
			}
			util_buf_puts(&c->w, ")");
		}
	} else if (n->term == FILTER_RAW) {
		c->out->raw = true;
		char *p = xasprintf("(?i)%s", n->vals[0]);
		util_buf_puts(&c->w, "filter_regexp(");
		bind_text(c, p);
		util_buf_puts(&c->w, ", raw_json(e.id))");
		free(p);
	} else if (n->term == FILTER_TAG) {
		/* the tagged events looked up through ridx once (annot_set)
		 * rather than every event tested */
		struct util_buf k = { 0 };
		char **texts = xcalloc(n->nvals ? n->nvals : 1, sizeof *texts);
		size_t nt = 0;
		bool any = false;
		util_buf_puts(&k, "SELECT record_id, kind FROM tags t WHERE ");
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			texts[nt++] = xasprintf("(?i)%s", n->vals[0]);
			util_buf_puts(&k, "filter_regexp(?1, t.tag)");
		} else {
			util_buf_puts(&k, "0");
			for (size_t i = 0; i < n->nvals; i++) {
				if (!*n->vals[i]) {
					any = true;
					continue;
				}
				texts[nt] = xstrdup(n->vals[i]);
				util_buf_printf(&k, " OR t.tag = ?%zu COLLATE NOCASE", ++nt);
			}
		}
		char *table = NULL;
		char *keys = util_buf_take(&k);
		int got = annot_set(c, keys, texts, nt, &table);
		free(keys);
		for (size_t i = 0; i < nt; i++)
			free(texts[i]);
		free(texts);
		if (got < 0)
			return -1;
		util_buf_printf(&c->w, "(e.id IN (SELECT id FROM temp.%s)", table);
		free(table);
		/* tag="" is "has no tag" */
		if (any)
			util_buf_puts(&c->w,
				      " OR (e.record_id, e.kind) NOT IN (SELECT record_id, kind FROM tags)");
		util_buf_puts(&c->w, ")");
	} else if (n->field->flags & FIELD_TEXT) {
		r = compile_text_term(c, n, served);
	} else if (n->field->flags & FIELD_TIME) {
		r = compile_time_term(c, n, served);
	} else if (n->field->flags & FIELD_KIND) {
		/* a small integer column: names to numbers, or a regex over
		 * the names; the positive form only (a negative term is
		 * wrapped in NOT above: negated here too, kind!=ual was
		 * kind=ual) */
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, "filter_regexp(");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, ", CASE e.kind");
			for (int k = 0; k < KIND_COUNT; k++) {
				char num[32];
				snprintf(num, sizeof num, " WHEN %d THEN ", k);
				util_buf_puts(&c->w, num);
				bind_text(c, event_kind_name(k));
			}
			util_buf_puts(&c->w, " ELSE '' END)");
		} else {
			util_buf_puts(&c->w, "e.kind IN (-1");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, ", ");
				bind_int(c, event_kind_parse(n->vals[i]));
			}
			util_buf_puts(&c->w, ")");
		}
	} else if (n->field->flags & FIELD_NUMBER) {
		util_buf_puts(&c->w, "(0");
		for (size_t i = 0; i < n->nvals; i++) {
			int64_t x = 0;
			util_buf_puts(&c->w, " OR ");
			if (!*n->vals[i]) {
				colref(c, n->field->column);
				util_buf_puts(&c->w, " IS NULL");
				continue;
			}
			filter_value_int(n->field, n->vals[i], &x);
			colref(c, n->field->column);
			util_buf_puts(&c->w, sql_cmp(n->op));
			bind_int(c, x);
		}
		util_buf_puts(&c->w, ")");
	} else if (n->field->flags & FIELD_GEO) {
		/* the place of e.ip, looked up once per address after the load
		 * (core/ipgeo.c): the addresses that match, which the (ip, ts)
		 * index then finds */
		bool asn = !strcmp(n->field->column, "asn");
		bool absent = false;
		util_buf_puts(&c->w, "(e.ip IN (SELECT val FROM ipgeo WHERE ");
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, "filter_regexp(");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, asn                          ? ", 'AS' || asn)"
					     : n->field->column[0] == 'c' ? ", country)"
									  : ", as_org)");
		} else {
			util_buf_puts(&c->w, "0");
			for (size_t i = 0; i < n->nvals; i++) {
				const char *v = n->vals[i];
				if (!*v) {
					absent = true;
					continue;
				}
				util_buf_puts(&c->w, " OR ");
				util_buf_puts(&c->w, n->field->column);
				util_buf_puts(&c->w, " = ");
				if (asn) {
					int64_t x = 0;
					filter_value_int(n->field, v, &x);
					bind_int(c, x);
				} else {
					bind_text(c, v);
					util_buf_puts(&c->w, " COLLATE NOCASE");
				}
			}
		}
		util_buf_puts(&c->w, ")");
		if (absent) { /* country="" : no address, or one not placed */
			util_buf_puts(&c->w, " OR e.ip IS NULL OR e.ip NOT IN (SELECT val FROM ipgeo WHERE ");
			util_buf_puts(&c->w, n->field->column);
			util_buf_puts(&c->w, " IS NOT NULL)");
		}
		util_buf_puts(&c->w, ")");
	} else if (n->field->flags & FIELD_SOURCE) {
		/* a path, or a file name at the end of one */
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, "e.source IN (SELECT id FROM sources WHERE filter_regexp(");
			bind_text(c, n->vals[0]);
			util_buf_puts(&c->w, ", path))");
		} else {
			util_buf_puts(&c->w, "e.source IN (SELECT id FROM sources WHERE 0");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, " OR path = ");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, " OR substr(path, -1 - length(");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, ")) = '/' || ");
				bind_text(c, n->vals[i]);
			}
			util_buf_puts(&c->w, ")");
		}
	} else { /* record_id: a column of events itself */
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, "filter_regexp(");
			bind_text(c, n->vals[0]);
			util_buf_puts(&c->w, ", rid_text(e.record_id))");
		} else if (c->flags & FILTER_SQL_NOINDEX) {
			util_buf_puts(&c->w, "(0");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, " OR ");
				colref(c, "record_id");
				util_buf_puts(&c->w, " = rid_key(");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, ")");
			}
			util_buf_puts(&c->w, ")");
		} else if (!n->nvals) {
			util_buf_puts(&c->w, "0");
		} else { /* the events of those ids through ridx */
			util_buf_puts(&c->w, "e.id IN (" SQLITE_RIDX_IDS_HEAD);
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, i ? " UNION SELECT rid_key(" : "SELECT rid_key(");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, ") AS record_id");
			}
			util_buf_puts(&c->w, SQLITE_RIDX_IDS_ANY_TAIL ")");
			/* a handful of events, found through ridx: no sample of
			 * the case decides how to read them (query.c) */
			c->narrow = true;
			if (c->topkid && !neg)
				c->out->few = true;
		}
	}
	if (neg) {
		util_buf_puts(&c->w, ", 0)");
		c->negs--;
		*served = false;
		c->narrow = false;
	}
	return r;
}

/* A rough order of cost, so that an "and" tests columns before it reads
 * a raw record (SQLite evaluates the terms left to right). */
static int node_cost(const struct filter_node *n)
{
	switch (n->type) {
	case FILTER_TEXT: return 3;
	case FILTER_MARKED: return 1;
	case FILTER_TERM:
		return n->term == FILTER_JSON || n->term == FILTER_RAW || n->term == FILTER_SIGMA ? 3
		       : n->term == FILTER_TAG                                                    ? 1
												  : 0;
	default: {
		int m = 0;
		for (size_t i = 0; i < n->nkids; i++) {
			int k = node_cost(n->kids[i]);
			if (k > m)
				m = k;
		}
		return m;
	}
	}
}

/*
 * The driving pivot. The timeline of user=X, app=Y, ip=Z, op=O or
 * session=S comes from the posting lists of its values (pivots.c,
 * pivot_rows: entries (ts, id) in timeline order), which the load writes
 * per window of events instead of the five (field, ts) indexes that cost
 * a 1M-event load 1.5-2 s at its end. Of the top level's pivot terms the
 * one with the fewest events drives: counts are exact (pivot_count:
 * entries less those of events replaced since), so the choice is a few
 * look-ups of chunk headers, where the indexes' estimates read 2 x 128
 * entries a value. The other terms are tested on each event the list
 * gives, and so is the driving term itself: a list may hold an entry of
 * an event a richer copy replaced.
 */

int filter_pivot_col(const char *column)
{
	static const char *const cols[] = { "user", "app", "ip", "op", "session" };
	for (int i = 0; i < 5; i++)
		if (!strcmp(column, cols[i]))
			return i;
	return -1;
}

static int pivot_col(const struct filter_field *f)
{
	return filter_pivot_col(f->column);
}

/* A term the pivot lists of its field can answer: field=value(s), an
 * address block, or field~regex (the values it resolves to), none of
 * them empty. */
static bool pivot_term(const struct filter_node *n)
{
	if (n->type != FILTER_TERM || n->term != FILTER_FIELD || (n->op != FILTER_EQ && n->op != FILTER_RE) ||
	    !n->nvals || !(n->field->flags & FIELD_TEXT) || pivot_col(n->field) < 0)
		return false;
	for (size_t i = 0; i < n->nvals; i++)
		if (!*n->vals[i])
			return false;
	return true;
}

/* The list values ids: one id as an integer, several as a blob of
 * little-endian int64 (pivot_rows' second argument). */
static struct filter_bind vals_bind(const struct util_ivec *ids)
{
	if (ids->n <= 1)
		return (struct filter_bind){ .type = FB_INT, .i = ids->n ? ids->v[0] : 0 };
	unsigned char *b = xmalloc(ids->n * 8);
	for (size_t i = 0; i < ids->n; i++)
		for (int k = 0; k < 8; k++)
			b[i * 8 + (size_t)k] = (unsigned char)((uint64_t)ids->v[i] >> (8 * k));
	return (struct filter_bind){ .type = FB_BLOB, .text = (char *)b, .len = ids->n * 8 };
}

/* pivot_and's terms: for each list its column, its number of values
 * and the values, as little-endian int64. */
static struct filter_bind terms_bind(const struct resolved *const *lists, const int *cols, size_t nlists)
{
	size_t n = 0;
	for (size_t i = 0; i < nlists; i++)
		n += 2 + lists[i]->ids.n;
	unsigned char *b = xmalloc(n * 8), *p = b;
	for (size_t i = 0; i < nlists; i++) {
		const struct util_ivec *ids = &lists[i]->ids;
		int64_t head[2] = { cols[i], (int64_t)ids->n };
		for (size_t j = 0; j < 2 + ids->n; j++, p += 8)
			for (int k = 0; k < 8; k++)
				p[k] = (unsigned char)((uint64_t)(j < 2 ? head[j] : ids->v[j - 2]) >> (8 * k));
	}
	return (struct filter_bind){ .type = FB_BLOB, .text = (char *)b, .len = n * 8 };
}

static int bind_one(sqlite3_stmt *q, int idx, const struct filter_bind *b, struct pivot_hits *hits)
{
	if (b->type == FB_HITS)
		return sqlite3_bind_pointer(q, idx, hits, PIVOT_HITS_TYPE, NULL);
	return b->type == FB_BLOB  ? sqlite3_bind_blob(q, idx, b->text, (int)b->len, SQLITE_STATIC)
	       : b->type == FB_INT ? sqlite3_bind_int64(q, idx, b->i)
				   : sqlite3_bind_text(q, idx, b->text, -1, SQLITE_STATIC);
}

/* The counting of one term's events (pivot_count: entries less those
 * of events gone since), resumable: a value's chunk rows are read one by
 * one, so that a term busier than the rarest so far is left after a few
 * (on 1M events a busy value has a chunk in each of the load's windows,
 * 76 rows). */
struct tally {
	struct resolved *r;
	int col;
	size_t at;      /* the value being counted (r->ids.v[at]) */
	bool started;   /* its rows are being stepped (q) */
	bool done;      /* every value counted: events is exact */
	int64_t events; /* counted so far, gone subtracted */
	int64_t gone;
	/* of the value being counted: its entries so far, its last row's
	 * seq, the first seq of that row's window and the entries before it */
	int64_t cur, seq, win, before;
	int64_t rows; /* chunk rows read */
	/* of the value being counted: its gone entries, chunk rows read */
	int64_t vgone, vrows;
	sqlite3_stmt *q;
	bool from; /* q is TALLY_FROM_SQL's, on from a kept part */
};
/* (rows from the value's first on, the key tested here: with "col = ?1
 * AND val = ?2" SQLite compares each row's whole key, chunk data and
 * all, with the range's end: pivots.c, pv_open) */
#define TALLY_SQL "SELECT col, val, n, seq FROM pivots WHERE (col, val) >= (?1, ?2)"
/* (a count on past a kept part: the rows after its last) */
#define TALLY_FROM_SQL "SELECT col, val, n, seq FROM pivots WHERE (col, val, seq) > (?1, ?2, ?3)"
/* (with what the lists' cache holds of the value: pivots.h,
 * pivot_cached; asked here, where the statement reads the case; and its
 * entries packed in pivot_ones, of a packed column only) */
#define GONE_SQL                                                                        \
	"SELECT coalesce(sum(n), 0), pivot_cached(?1, ?2), " PIVOT_ONES_COUNT_SQL("?1", \
										  "?2") " FROM pivot_gone WHERE col = ?1 AND val = ?2"

/* Count t on until it is done, has read rows more chunk rows (< 0: no
 * limit) or has more than cap events (< 0: no cap). gq counts a value's
 * gone entries (prepared on first use). */
static int tally_on(struct cc *c, struct tally *t, sqlite3_stmt **gq, int64_t rows, int64_t cap)
{
	if (!t->q && sqlite_stmt_take(c->st, TALLY_SQL, &t->q) != SQLITE_OK)
		return cc_error(c, "counting a pivot");
	if (!*gq && sqlite_stmt_take(c->st, GONE_SQL, gq) != SQLITE_OK)
		return cc_error(c, "counting a pivot");
	while (!t->done && rows != 0 && (cap < 0 || t->events <= cap)) {
		if (t->at >= t->r->ids.n) {
			t->done = true;
			break;
		}
		int64_t id = t->r->ids.v[t->at];
		const struct fc_count *kept = t->started ? NULL : fc_count_find(c, t->col, id);
		if (kept && !kept->part) {
			t->gone += kept->gone;
			t->events += kept->entries - kept->gone;
			t->rows += kept->rows;
			t->at++;
			rows--;
			continue;
		}
		if (kept) {
			/* its first rows as a count that went that far, then on
			 * from the row after them (their rows are of the budget) */
			if (t->q && !t->from) {
				sqlite_stmt_give(c->st, t->q);
				t->q = NULL;
			}
			if (!t->q && sqlite_stmt_take(c->st, TALLY_FROM_SQL, &t->q) != SQLITE_OK)
				return cc_error(c, "counting a pivot");
			t->from = true;
			t->gone += kept->gone;
			t->events += kept->entries - kept->gone;
			t->rows += kept->rows;
			t->cur = kept->entries;
			t->seq = kept->seq;
			t->win = kept->win;
			t->before = kept->before;
			t->vgone = kept->gone;
			t->vrows = kept->rows;
			sqlite3_reset(t->q);
			sqlite3_bind_int(t->q, 1, t->col);
			sqlite3_bind_int64(t->q, 2, id);
			sqlite3_bind_int64(t->q, 3, kept->seq);
			t->started = true;
			if (rows > 0)
				rows = rows > kept->rows ? rows - kept->rows : 0;
			continue;
		}
		if (!t->started) {
			if (t->from) {
				sqlite_stmt_give(c->st, t->q);
				t->from = false;
				if (sqlite_stmt_take(c->st, TALLY_SQL, &t->q) != SQLITE_OK) {
					t->q = NULL;
					return cc_error(c, "counting a pivot");
				}
			}
			sqlite3_reset(*gq);
			sqlite3_bind_int(*gq, 1, t->col);
			sqlite3_bind_int64(*gq, 2, id);
			if (sqlite3_step(*gq) != SQLITE_ROW)
				return cc_error(c, "counting a pivot");
			int64_t g = sqlite3_column_int64(*gq, 0);
			t->gone += g;
			t->events -= g;
			/* a value a page read lately: its rows at once, from the
			 * lists' cache (a value's rows read one by one cost ~2.2k
			 * instructions each) */
			if (sqlite3_column_bytes(*gq, 1) == 2 * (int)sizeof(int64_t)) {
				int64_t v[2];
				memcpy(v, sqlite3_column_blob(*gq, 1), sizeof v);
				t->events += v[0];
				t->rows += v[1];
				t->at++;
				rows--;
				fc_count_put(c,
					     &(struct fc_count){ t->col, id, v[0], g, v[1], false, 0, 0, 0 });
				continue;
			}
			sqlite3_reset(t->q);
			sqlite3_bind_int(t->q, 1, t->col);
			sqlite3_bind_int64(t->q, 2, id);
			t->started = true;
			t->vgone = g;
			t->vrows = 0;
			/* (its entries in pivot_ones: no chunk row of their own) */
			t->cur = sqlite3_column_int64(*gq, 2);
			t->events += t->cur;
		}
		int k = sqlite3_step(t->q);
		if (k == SQLITE_ROW &&
		    (sqlite3_column_int(t->q, 0) != t->col || sqlite3_column_int64(t->q, 1) != id))
			k = SQLITE_DONE;
		if (k == SQLITE_ROW) {
			t->events += sqlite3_column_int64(t->q, 2);
			/* (a window's further chunks take the seqs after its first) */
			int64_t seq = sqlite3_column_int64(t->q, 3);
			if (seq > t->seq + 1) {
				t->win = seq;
				t->before = t->cur;
			}
			t->seq = seq;
			t->cur += sqlite3_column_int64(t->q, 2);
			t->rows++;
			t->vrows++;
			rows--;
		} else if (k == SQLITE_DONE) {
			fc_count_put(c, &(struct fc_count){ t->col, id, t->cur, t->vgone, t->vrows, false, 0,
							    0, 0 });
			t->started = false;
			t->cur = t->seq = t->win = t->before = 0;
			t->at++;
		} else {
			return cc_error(c, "counting a pivot");
		}
	}
	return 0;
}

/* The entries of events gone in t's lists: its count's, or (when its
 * values were not all counted) each value's. */
static int tally_gone(struct cc *c, const struct tally *t, sqlite3_stmt **gq, int64_t *out)
{
	*out = t->gone;
	if (t->done)
		return 0;
	if (!*gq && sqlite_stmt_take(c->st, GONE_SQL, gq) != SQLITE_OK)
		return cc_error(c, "counting a pivot");
	*out = 0;
	for (size_t i = 0; i < t->r->ids.n; i++) {
		const struct fc_count *kept = fc_count_find(c, t->col, t->r->ids.v[i]);
		if (kept) {
			*out += kept->gone;
			continue;
		}
		sqlite3_reset(*gq);
		sqlite3_bind_int(*gq, 1, t->col);
		sqlite3_bind_int64(*gq, 2, t->r->ids.v[i]);
		if (sqlite3_step(*gq) != SQLITE_ROW)
			return cc_error(c, "counting a pivot");
		*out += sqlite3_column_int64(*gq, 0);
	}
	return 0;
}

/*
 * The lists intersected with the driving one (pivot_and, pivots.c).
 * Testing a term on each row the lists give costs a lookup of the event
 * (AND_JOIN instructions); intersecting a term's list reads all its chunk
 * rows (AND_HEAD each, ~1,300 entries a row) and decodes its entries
 * over the stretch of time read (AND_DECODE each). A list pays when what
 * it costs is less than the lookups it spares: the candidates left by
 * the lists before it (the driving list's rows thinned by each
 * intersected term's share of the case, as if the terms were
 * independent) less those it keeps. Whole-time readers (counts, stacks,
 * exports) read all of the time; a page reads only the stretch that
 * holds its rows (AND_PAGE matches: the driving list's rows divided by
 * every term's share), where a busy list's chunk rows are most of its
 * cost. On 1M events user=X app=Y ip=Z (13.8k, 52k, 567k events): the
 * app thins the user's events to ~700 candidates, of which the address
 * (57% of the case) would spare ~300 lookups for 567k entries decoded
 * and 443 chunk rows read: it is tested on the joined events (first page
 * 9.7 -> 5.1 M instructions, op=MailItemsAccessed beside them 21.6 ->
 * 6.8 M). A term not counted to its end (busier than the driving one) is
 * guessed from how far its count got: a window's chunks have its least
 * event id as seq, so a value with k entries before the window its count
 * stopped in, which begins at id S, holds about k * ids / S of the
 * case's ids.
 */
#define AND_JOIN 3900.0
#define AND_HEAD 2500.0
#define AND_DECODE 28.0
#define AND_PAGE 64.0
#define AND_GUESS_ROWS 128 /* chunk rows read on at most, for a guess */
/*
 * Rows the driving list gives alone before the others are read, when the
 * rows are joined to events: a filter whose terms mostly agree (user=
 * app= ip= op= of one user's address: every event of the address is the
 * user's) fills a page from the driving list's first rows, and reading
 * the other lists' chunk rows and first chunks would cost more than
 * testing those rows. A page gives the driving list a lead of the rows
 * that hold a page if the intersected terms agreed (AND_PAGE over the
 * others' shares, a quarter more): on 1M events a conjunction whose
 * address list agrees with it (high-cardinality case, 170 rows a page)
 * reads no other list, one whose app meets a twentieth of the user's
 * events reads 140 rows alone, then intersects. Whole-time readers give
 * it AND_LEAD rows (a filter whose terms meet little reads 1,024 rows,
 * ~1.4 ms, before the intersection takes over, where it read every row
 * of the driving list: 20-30 ms for an empty page of two busy values).
 * Counts of the lists alone (pure) intersect from the first row.
 *
 * That lead takes the intersected terms as agreeing, where the plan took
 * them as independent; a page's reader says how many of the lead's rows
 * it took (pivots.h: struct pivot_hits), and the lead ends as soon as
 * those say the intersection costs less than joining on (pivots.c:
 * lead_on), unless the rows are taken far more often than the shares
 * guessed (the terms agree: the list to intersect would spare little).
 * On 1M events (callgrind, first page again, 1M low case) user= app= ip=
 * ends its lead of 141 at ~23 rows: 3.887 -> 3.827 M; op= beside them
 * (lead 517, ~20): 9.276 -> 8.662 M; an address of one user beside its
 * op (lead 602, taken 8%, guessed 0.7%) leads on as before.
 */
#define AND_LEAD 1024

/* The events of t: counted, or guessed from how far the count got (the
 * entries of the value being counted before the window of its last row
 * read are of events before that window's first id). */
static double tally_guess(const struct tally *t, int64_t ids)
{
	if (t->done || t->before <= 0 || t->win <= 0 || t->win >= ids)
		return (double)t->events;
	double g = (double)t->before * (double)ids / (double)t->win;
	return (double)(t->events - t->cur) + (g > (double)t->cur ? g : (double)t->cur);
}

/* A term beside the driving one: its guessed events, share of the case
 * and chunk rows. */
struct other {
	size_t t;
	double events, share, rows;
};

/*
 * Which of o[0..n) (fewest events first) a reader of a fraction part of
 * the driving list's rows (nd) intersects: in[i]; the product of the
 * shares of those it does not, *keep; what those it does cost, *spent.
 * The candidates a list leaves are taken as thinned by the square root
 * of its share, halfway (geometrically) between independent terms and
 * terms that agree: the values of one event seldom are independent (an
 * address is mostly one user's), and a list left out for a guess of
 * independence costs a join of every candidate it would have refused,
 * where one taken in costs its chunk rows and entries, known. (On 1M
 * events user= app= ip= of a rare address, 2,459 of its 2,666 events
 * the user's: independence guessed 21 candidates after the user's list,
 * left the app's out, and joined 2,459 for a page of 50 matches: 9.9 M
 * instructions; the app's list taken in: 2.7 M.)
 */
static void pick_lists(const struct other *o, size_t n, double nd, double part, bool *in, double *keep,
		       double *spent)
{
	double cand = nd * part;
	*keep = 1.0;
	*spent = 0.0;
	for (size_t i = 0; i < n; i++) {
		double spared = cand * (1.0 - o[i].share) * AND_JOIN;
		double cost = o[i].rows * AND_HEAD + o[i].events * part * AND_DECODE;
		in[i] = cost < spared;
		if (in[i]) {
			cand *= sqrt(o[i].share);
			*spent += cost;
		} else {
			*keep *= o[i].share;
		}
	}
}

static int choose_lists(struct cc *c, struct tally *t, size_t nt, size_t best, sqlite3_stmt **gq)
{
	c->lists[0] = c->plists[0] = t[best].r;
	c->lcols[0] = c->pcols[0] = t[best].col;
	c->nlists = c->nplists = 1;
	c->lists_gone = c->drive_gone;
	/* the case's ids (what a term's share is of) */
	sqlite3_stmt *q;
	int64_t ids = 0;
	struct filter_cache *fc = fc_get(c);
	if (fc && fc->have_max) {
		ids = fc->max_id;
	} else {
		if (sqlite_stmt_take(c->st, "SELECT max(id) FROM events", &q) != SQLITE_OK)
			return cc_error(c, "counting the events");
		if (sqlite3_step(q) == SQLITE_ROW)
			ids = sqlite3_column_int64(q, 0);
		sqlite_stmt_give(c->st, q);
		if (fc) {
			fc->max_id = ids;
			fc->have_max = true;
		}
	}
	if (ids < 1)
		ids = 1;
	/* the others by their guessed events, fewest first */
	struct other *o = xmalloc(nt * sizeof *o);
	bool *in = xmalloc(2 * nt * sizeof *in), *pin = in + nt;
	size_t no = 0;
	int rc = 0;
	for (size_t i = 0; i < nt && rc == 0; i++) {
		if (i == best)
			continue;
		/* on into its second window, for a guess (a dense value has a few
		 * chunk rows a window: ~7 for 57% of 1M events) */
		for (int k = 0; k < AND_GUESS_ROWS && !t[i].done && t[i].before <= 0 && rc == 0; k++)
			rc = tally_on(c, &t[i], gq, 1, -1);
		double g = tally_guess(&t[i], ids);
		struct other x = { i, g, g < (double)ids ? g / (double)ids : 1.0,
				   t[i].events > 0 ? (double)t[i].rows * g / (double)t[i].events : 1.0 };
		size_t j = no++;
		for (; j > 0 && o[j - 1].events > g; j--)
			o[j] = o[j - 1];
		o[j] = x;
	}
	double nd = (double)t[best].events, all = 1.0, keep, pkeep, spent, pspent;
	for (size_t k = 0; k < no; k++)
		all *= o[k].share;
	/* a page: the driving list's rows that hold AND_PAGE matches */
	double part = nd * all > AND_PAGE ? AND_PAGE / (nd * all) : 1.0;
	pick_lists(o, no, nd, 1.0, in, &keep, &spent);
	pick_lists(o, no, nd, part, pin, &pkeep, &pspent);
	for (size_t k = 0; k < no && rc == 0; k++) {
		const struct tally *x = &t[o[k].t];
		if (pin[k] && c->nplists < FILTER_MAX_LISTS) {
			c->plists[c->nplists] = x->r;
			c->pcols[c->nplists++] = x->col;
			c->page_rows += o[k].rows;
		} else if (!pin[k] && c->nheld < PIVOT_HELD) {
			c->hlists[c->nheld] = x->r;
			c->hcols[c->nheld] = x->col;
			c->hrows[c->nheld] = o[k].rows;
			c->hshare[c->nheld++] = o[k].share;
		}
		if (!in[k] || c->nlists == FILTER_MAX_LISTS)
			continue;
		int64_t g;
		if ((rc = tally_gone(c, x, gq, &g)) < 0)
			break;
		c->lists_gone += g;
		c->lists[c->nlists] = x->r;
		c->lcols[c->nlists] = x->col;
		c->nlists++;
	}
	double lead = AND_PAGE * 1.25 / pkeep;
	c->lead = lead < AND_LEAD ? (int64_t)lead : AND_LEAD;
	/* (a page's reader that says what it takes ends the lead by what it
	 * finds: pivots.h, struct pivot_hits) */
	c->page_keep = pkeep;
	c->page_cost = pspent;
	c->page_rate = all;
	free(o);
	free(in);
	return rc;
}

/* The top level's pivot terms resolved (c->known), and the one with the
 * fewest events chosen (c->drive; its events c->out->drive_n, its gone
 * entries c->drive_gone). Each term's first few chunk rows are read,
 * then the terms in the order those suggest, each until it passes the
 * fewest so far: on 1M events user=X app=Y ip=Z (21k, 274k, 567k
 * events) compiles in 50 us in either order of its terms, where
 * counting each term whole took 50 us with the user first and 160 us
 * with the IP first. One term drives without a count. A term whose values spill into a table (a regex of
 * more than BIND_MAX values) does not drive: merging that many lists is
 * a scan's work. */
#define TALLY_FIRST 3
static int choose_drive(struct cc *c, const struct filter_node *root)
{
	if (c->flags & FILTER_SQL_NOINDEX)
		return 0;
	const struct filter_node *const *kids = &root;
	size_t nkids = 1;
	if (root->type == FILTER_AND)
		kids = (const struct filter_node *const *)root->kids, nkids = root->nkids;
	c->known = xcalloc(nkids, sizeof *c->known);
	struct tally *t = xcalloc(nkids, sizeof *t);
	size_t nt = 0;
	sqlite3_stmt *gq = NULL;
	int rc = 0;
	for (size_t i = 0; i < nkids && rc == 0; i++) {
		if (!pivot_term(kids[i]))
			continue;
		struct resolved *r = &c->known[c->nknown];
		if ((rc = resolve_term(c, kids[i], r)) < 0)
			break;
		c->nknown++;
		/* (no value at all: the condition is false, nothing to drive) */
		if (r->ntables || r->null || !r->ids.n)
			continue;
		t[nt++] = (struct tally){ .r = r, .col = pivot_col(kids[i]->field) };
	}
	/* one term: it drives, uncounted (a count asks pivot_count) */
	for (size_t i = 0; i < nt && nt > 1 && rc == 0; i++)
		rc = tally_on(c, &t[i], &gq, TALLY_FIRST, -1);
	/* the least counted first (insertion sort: a few terms), those
	 * counted to their end before the others (from the lists' cache: a
	 * busy term's full count ahead of another's first rows would have
	 * that one counted to its end, uncapped) */
	for (size_t i = 1; i < nt; i++)
		for (size_t j = i; j > 0 && (t[j].done > t[j - 1].done ||
					     (t[j].done == t[j - 1].done && t[j].events < t[j - 1].events));
		     j--) {
			struct tally x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	ssize_t best = nt == 1 ? 0 : -1;
	for (size_t i = 0; i < nt && nt > 1 && rc == 0; i++) {
		rc = tally_on(c, &t[i], &gq, -1, best < 0 ? -1 : t[best].events);
		if (rc == 0 && t[i].done && (best < 0 || t[i].events < t[best].events))
			best = (ssize_t)i;
	}
	if (rc == 0 && best >= 0) {
		c->drive = t[best].r;
		c->out->drive_n = nt > 1 ? t[best].events : -1;
		/* its entries of events gone (when its rows were not all read) */
		if (!gq && sqlite_stmt_take(c->st, GONE_SQL, &gq) != SQLITE_OK)
			rc = cc_error(c, "counting a pivot");
		for (size_t i = 0; i < c->drive->ids.n && !t[best].done && rc == 0; i++) {
			const struct fc_count *kept = fc_count_find(c, t[best].col, c->drive->ids.v[i]);
			if (kept) {
				c->drive_gone += kept->gone;
				continue;
			}
			sqlite3_reset(gq);
			sqlite3_bind_int(gq, 1, t[best].col);
			sqlite3_bind_int64(gq, 2, c->drive->ids.v[i]);
			if (sqlite3_step(gq) != SQLITE_ROW)
				rc = cc_error(c, "counting a pivot");
			else
				c->drive_gone += sqlite3_column_int64(gq, 0);
		}
		if (t[best].done)
			c->drive_gone = t[best].gone;
	}
	if (rc == 0 && best >= 0 && nt > 1)
		rc = choose_lists(c, t, nt, (size_t)best, &gq);
	/* a value counted part of the way: how far, for the next compile */
	for (size_t i = 0; i < nt && rc == 0; i++)
		if (t[i].started && t[i].vrows > 0)
			fc_count_put(c, &(struct fc_count){ t[i].col, t[i].r->ids.v[t[i].at], t[i].cur,
							    t[i].vgone, t[i].vrows, true, t[i].seq, t[i].win,
							    t[i].before });
	for (size_t i = 0; i < nt; i++)
		sqlite_stmt_give(c->st, t[i].q);
	sqlite_stmt_give(c->st, gq);
	free(t);
	return rc;
}

/* After the condition: the driving list as FROM (sqlite_store.h says
 * what each of these is for). */
static int drive_from(struct cc *c, const struct filter_node *root)
{
	struct filter_sql *o = c->out;
	if (!c->drive) {
		o->from = xstrdup("events e");
		o->ord = "e";
		return 0;
	}
	int col = pivot_col(c->drive->n->field);
	size_t pc = add_bind(c, (struct filter_bind){ .type = FB_INT, .i = col });
	size_t pv = add_bind(c, vals_bind(&c->drive->ids));
	/* what joins to events: the intersection after a lead of rows of the
	 * driving list alone (the terms are tested on the joined events) */
	char *joined = NULL, *pjoined = NULL;
	if (c->nlists > 1) {
		size_t pt = add_bind(c, terms_bind(c->lists, c->lcols, c->nlists));
		o->pivot = xasprintf("pivot_and(?%zu) m", pt);
		joined = xasprintf("pivot_and(?%zu, ?%zu) m", pt,
				   add_bind(c, (struct filter_bind){ .type = FB_INT, .i = AND_LEAD }));
	} else {
		o->pivot = xasprintf("pivot_rows(?%zu, ?%zu) m", pc, pv);
	}
	if (c->nplists > 1 || c->nheld) {
		o->hits = xcalloc(1, sizeof *o->hits);
		*o->hits = (struct pivot_hits){
			.join = AND_JOIN,
			.inter = c->page_cost,
			.keep = c->page_keep,
			.rate = c->page_rate,
			.rows = (double)o->drive_n,
			.cand = c->page_keep > 0 ? (double)o->drive_n * c->page_rate / c->page_keep : 0,
			.prows = c->page_rows,
			.held = (int)c->nheld,
			.head = AND_HEAD,
			.decode = AND_DECODE,
		};
		/* the page's terms: those it intersects, then those it holds back */
		const struct resolved *all[FILTER_MAX_LISTS + PIVOT_HELD];
		int cols[FILTER_MAX_LISTS + PIVOT_HELD];
		size_t n = 0;
		for (size_t i = 0; i < c->nplists; i++, n++) {
			all[n] = c->plists[i];
			cols[n] = c->pcols[i];
		}
		for (size_t i = 0; i < c->nheld; i++, n++) {
			all[n] = c->hlists[i];
			cols[n] = c->hcols[i];
			o->hits->hrows[i] = c->hrows[i];
			o->hits->hshare[i] = c->hshare[i];
		}
		pjoined = xasprintf("pivot_and(?%zu, ?%zu, ?%zu) m", add_bind(c, terms_bind(all, cols, n)),
				    add_bind(c, (struct filter_bind){ .type = FB_INT, .i = c->lead }),
				    add_bind(c, (struct filter_bind){ .type = FB_HITS }));
	} else if (c->nlists > 1)
		pjoined = xasprintf("pivot_rows(?%zu, ?%zu) m", pc, pv);
	struct util_buf b = { 0 };
	if (c->tlo != INT64_MIN)
		util_buf_printf(&b, "m.ts >= ?%zu",
				add_bind(c, (struct filter_bind){ .type = FB_INT, .i = c->tlo }));
	if (c->thi != INT64_MAX)
		util_buf_printf(&b, "%sm.ts < ?%zu", b.n ? " AND " : "",
				add_bind(c, (struct filter_bind){ .type = FB_INT, .i = c->thi }));
	o->mbounds = b.n ? util_buf_take(&b) : xstrdup("1");
	const char *sep = strcmp(o->mbounds, "1") ? " AND " : "", *mb = *sep ? o->mbounds : "";
	o->from = xasprintf("%s CROSS JOIN events e ON e.id = m.id AND e.ts = m.ts%s%s",
			    joined ? joined : o->pivot, sep, mb);
	o->page_from = xasprintf("%s CROSS JOIN events e ON e.id = m.id AND e.ts = m.ts%s%s",
				 pjoined  ? pjoined
				 : joined ? joined
					  : o->pivot,
				 sep, mb);
	free(joined);
	free(pjoined);
	o->ord = "m";
	/* the driving terms and time bounds, nothing else */
	o->nlists = c->nlists > 1 ? c->nlists : 1;
	o->lone = root == c->drive->n || (root->type == FILTER_AND && root->nkids == o->nlists + c->ntimed);
	/* (an intersection's count is its rows') */
	o->whole = o->lone && o->nlists == 1 && c->tlo == INT64_MIN && c->thi == INT64_MAX;
	/* no entry of a replaced event among the values' lists: the lists
	 * alone are the matches */
	o->pure = o->lone && (o->nlists > 1 ? c->lists_gone : c->drive_gone) == 0;
	o->pcol = pc;
	o->pvals = pv;
	return 0;
}

static int compile_node(struct cc *c, const struct filter_node *n, bool top, bool *served)
{
	bool dummy;
	if (!served)
		served = &dummy;
	*served = false;
	switch (n->type) {
	case FILTER_AND: {
		util_buf_puts(&c->w, "(");
		bool first = true;
		for (int cost = 0; cost <= 3; cost++) {
			for (size_t i = 0; i < n->nkids; i++) {
				if (node_cost(n->kids[i]) != cost)
					continue;
				if (!first)
					util_buf_puts(&c->w, " AND ");
				first = false;
				bool s = false;
				c->narrow = false;
				c->topkid = top;
				int r = compile_node(c, n->kids[i], false, &s);
				c->topkid = false;
				if (r < 0)
					return -1;
				if (top && s)
					*served = true;
				if (top && c->narrow)
					c->out->narrowed = true;
			}
		}
		util_buf_puts(&c->w, ")");
		c->narrow = false;
		return 0;
	}
	case FILTER_OR:
		/* what a kid of an "or" or a "not" says bounds no match: a time
		 * term under one gave the driving list its bounds, and user=X
		 * (op=Send or time>=T) lost the Sends before T, user=X not
		 * time>=T found nothing */
		c->topkid = false;
		util_buf_puts(&c->w, "(");
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				util_buf_puts(&c->w, " OR ");
			if (compile_node(c, n->kids[i], false, NULL) < 0)
				return -1;
		}
		util_buf_puts(&c->w, ")");
		c->narrow = false;
		return 0;
	case FILTER_NOT:
		c->topkid = false;
		util_buf_puts(&c->w, "NOT coalesce(");
		c->negs++;
		if (compile_node(c, n->kids[0], false, NULL) < 0)
			return -1;
		c->negs--;
		util_buf_puts(&c->w, ", 0)");
		c->narrow = false;
		return 0;
	case FILTER_MARKED: {
		char *table = NULL;
		if (annot_set(c, "SELECT record_id, kind FROM marks", NULL, 0, &table) < 0)
			return -1;
		util_buf_printf(&c->w, "e.id IN (SELECT id FROM temp.%s)", table);
		free(table);
		return 0;
	}
	case FILTER_TEXT: {
		c->out->raw = true;
		if (relax_raw(c))
			return 0;
		char *p = filter_regex_literal(n->vals[0], true);
		util_buf_puts(&c->w, "filter_regexp(");
		bind_text(c, p);
		util_buf_puts(&c->w, ", raw_json(e.id))");
		free(p);
		return 0;
	}
	case FILTER_TERM: return compile_term(c, n, served);
	}
	return 0;
}

void filter_sql_clear(struct filter_sql *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ntemps; i++) {
		char *sql = xasprintf("DROP TABLE IF EXISTS temp.%s", s->temps[i]);
		sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		free(sql);
		free(s->temps[i]);
	}
	free(s->temps);
	free(s->where);
	free(s->from);
	free(s->page_from);
	free(s->pivot);
	free(s->mbounds);
	for (size_t i = 0; i < s->nbinds; i++)
		free(s->binds[i].text);
	free(s->binds);
	free(s->hits);
	memset(s, 0, sizeof *s);
}

int filter_compile(const struct filter *f, struct store *st, unsigned flags, struct filter_sql *out,
		   char **cause)
{
	memset(out, 0, sizeof *out);
	struct cc c = { .st = st, .db = store_db(st), .flags = flags, .out = out, .cause = cause };
	/* (once a connection: finding out whether they are there by
	 * preparing a statement that calls one cost each query 55k
	 * instructions) */
	if (!SQ(st)->filter_fns) {
		if (filter_register_functions(c.db) < 0)
			return set_cause(cause, "%s: cannot register the filter functions", store_path(st));
		/* the look-ups' cache, freed with the connection (its holder, a
		 * function never called, is destroyed when it closes) */
		struct filter_cache *fc = xcalloc(1, sizeof *fc);
		fc_clear(fc);
		if (sqlite3_create_function_v2(c.db, "filter_cache_holder", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY,
					       fc, fc_holder, NULL, NULL, fc_free) == SQLITE_OK)
			SQ(st)->fcache = fc;
		SQ(st)->filter_fns = true;
	}
	if (filter_is_empty(f)) {
		out->where = xstrdup("1");
		out->from = xstrdup("events e");
		out->ord = "e";
		out->drive_n = -1;
		out->empty = true;
		return 0;
	}
	bool served = false;
	c.narrow = false;
	c.tlo = INT64_MIN;
	c.thi = INT64_MAX;
	out->drive_n = -1;
	const struct filter_node *root = filter_root(f);
	c.topkid = root->type == FILTER_TERM;
	int r = choose_drive(&c, root);
	if (r == 0)
		r = compile_node(&c, root, true, &served);
	c.topkid = false;
	if (r == 0)
		r = drive_from(&c, root);
	fc_done(&c);
	known_free(&c);
	if (r < 0) {
		free(c.w.p);
		filter_sql_clear(out);
		return -1;
	}
	out->where = util_buf_take(&c.w);
	out->indexed = served;
	if (root->type == FILTER_TERM && c.narrow)
		out->narrowed = true;
	if (served)
		out->narrowed = true;
	return 0;
}

int filter_sql_bind(const struct filter_sql *s, sqlite3_stmt *stmt)
{
	/* a statement that reads the condition alone has none of the
	 * driving list's parameters, the last ones */
	int max = sqlite3_bind_parameter_count(stmt);
	for (size_t i = 0; i < s->nbinds && (int)(FILTER_PARAM_BASE + i) <= max; i++) {
		int r = bind_one(stmt, (int)(FILTER_PARAM_BASE + i), &s->binds[i], s->hits);
		if (r != SQLITE_OK)
			return r;
	}
	return SQLITE_OK;
}
