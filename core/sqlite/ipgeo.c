/*
 * ipgeo.c: fill and read the ipgeo table of ipgeo.h: the SQLite store's
 * place ops (storage.h); core/ipgeo.c dispatches to them.
 *
 * The distinct IP values come from the (ip, ts) index, one seek past
 * the last address found each, so finding them reads a few pages an
 * address, not the whole index: after a load of 10M events, 104
 * addresses took 8 ms instead of a 0.3-0.6 s pass over 10M entries,
 * which also filled the store's 64 MB page cache and was the load
 * command's peak memory (103 MB against 73 in the load itself). Each
 * address is looked up (geoip.c) and written in one transaction.
 * Measured on a million-event case by tests/bench_geoip.c.
 */
#include "ipgeo.h"
#include "sqlite_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite/sqlite_store.h"
#include "util.h"
#include "xalloc.h"

static int fail(sqlite3 *db, char **cause)
{
	return set_cause(cause, "ip places: %s", sqlite3_errmsg(db));
}

static int exec(sqlite3 *db, const char *sql, char **cause)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		set_cause(cause, "ip places: %s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

char *sqlite_ipgeo_databases(struct store *st)
{
	sqlite3 *db = store_db(st);
	if (!db)
		return NULL; /* another store keeps no places */
	sqlite3_stmt *s;
	char *out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'geoip'", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		out = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

/* The case's addresses not in ipgeo (see sqlite_ipgeo_enrich):
 * UNPLACED_WITH "SELECT ..." UNPLACED_FROM, v the address's value. */
#define UNPLACED_WITH                                                                        \
	"WITH RECURSIVE d(ip) AS (SELECT (SELECT val FROM pivots WHERE col = 2 ORDER BY val" \
	" LIMIT 1) UNION ALL SELECT (SELECT val FROM pivots WHERE col = 2 AND val > d.ip"    \
	" ORDER BY val LIMIT 1) FROM d WHERE d.ip IS NOT NULL)"
#define UNPLACED_FROM                                                                            \
	" FROM d JOIN vals v ON v.id = d.ip"                                                     \
	" WHERE d.ip NOT IN (SELECT val FROM ipgeo) AND (NOT EXISTS (SELECT 1 FROM pivot_gone g" \
	" WHERE g.col = 2 AND g.val = d.ip) OR pivot_count(2, d.ip) > 0)"

int sqlite_ipgeo_unplaced(struct store *st, int64_t *n, char **cause)
{
	*n = 0;
	sqlite3 *db = store_db(st);
	sqlite3_stmt *q;
	if (!db)
		return 0;
	if (sqlite3_prepare_v2(db, UNPLACED_WITH " SELECT count(*)" UNPLACED_FROM, -1, &q, NULL) != SQLITE_OK)
		return fail(db, cause);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : fail(db, cause);
}

int sqlite_ipgeo_enrich(struct store *st, struct geoip *g, struct ipgeo_stats *stats, char **cause)
{
	sqlite3 *db = store_db(st);
	struct ipgeo_stats z = { 0 };
	if (!stats)
		stats = &z;
	memset(stats, 0, sizeof *stats);
	if (!db)
		return 0; /* another store keeps no places */
	if (exec(db, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	char *had = sqlite_ipgeo_databases(st);
	const char *now = geoip_describe(g);
	if (!had || strcmp(had, now) != 0) {
		if (exec(db, "DELETE FROM ipgeo", cause) < 0)
			goto rollback;
	}
	free(had);
	had = NULL;
	sqlite3_stmt *sel = NULL, *ins = NULL, *meta = NULL, *cnt = NULL;
	/* the case's addresses: the values of the ip pivot lists that still
	 * have an event (entries less those of replaced events). They are
	 * found by seeking from one value to the next, a few pages each:
	 * grouping the whole list read every chunk of every address through
	 * the 64 MB page cache, and the peak of a load grew with its case
	 * (1M 73, 5M 95, 10M 113 MB). A value's chunks are counted only when
	 * some of its entries went (pivot_gone). */
	if (sqlite3_prepare_v2(db, UNPLACED_WITH " SELECT v.id, v.v" UNPLACED_FROM, -1, &sel, NULL) !=
	    SQLITE_OK) {
		fail(db, cause);
		goto finalize;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO ipgeo(val, country, asn, as_org, label) VALUES (?,?,?,?,?)",
			       -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('geoip', ?)", -1, &meta,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM ipgeo", -1, &cnt, NULL) != SQLITE_OK) {
		fail(db, cause);
		goto finalize;
	}
	int rc;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		const char *ip = (const char *)sqlite3_column_text(sel, 1);
		struct geoip_place p;
		if (geoip_lookup(g, ip, &p) < 0)
			memset(&p, 0, sizeof p);
		stats->looked_up++;
		sqlite3_bind_int64(ins, 1, sqlite3_column_int64(sel, 0));
		if (p.country[0]) {
			stats->located++;
			sqlite3_bind_text(ins, 2, p.country, 2, SQLITE_STATIC);
		} else {
			sqlite3_bind_null(ins, 2);
		}
		if (p.asn) {
			stats->networks++;
			sqlite3_bind_int64(ins, 3, p.asn);
		} else {
			sqlite3_bind_null(ins, 3);
		}
		if (p.as_org && *p.as_org)
			sqlite3_bind_text(ins, 4, p.as_org, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 4);
		if (p.label)
			sqlite3_bind_text(ins, 5, p.label, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 5);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fail(db, cause);
			goto finalize;
		}
		sqlite3_reset(ins);
	}
	if (rc != SQLITE_DONE) {
		fail(db, cause);
		goto finalize;
	}
	sqlite3_bind_text(meta, 1, now, -1, SQLITE_STATIC);
	if (sqlite3_step(meta) != SQLITE_DONE || sqlite3_step(cnt) != SQLITE_ROW) {
		fail(db, cause);
		goto finalize;
	}
	stats->total = sqlite3_column_int64(cnt, 0);
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	sqlite3_finalize(meta);
	sqlite3_finalize(cnt);
	return exec(db, "COMMIT", cause);
finalize:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	sqlite3_finalize(meta);
	sqlite3_finalize(cnt);
rollback:
	free(had);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

int sqlite_ipgeo_get(struct store *st, const char *ip, struct ipgeo_row *out, char **cause)
{
	memset(out, 0, sizeof *out);
	sqlite3 *db = store_db(st);
	if (!ip || !*ip || !db)
		return 0;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT g.country, g.asn, g.as_org, g.label FROM vals v JOIN ipgeo g"
			       " ON g.val = v.id WHERE v.v = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return fail(db, cause);
	sqlite3_bind_text(s, 1, ip, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->country = col(s, 0);
		out->asn = sqlite3_column_int64(s, 1);
		out->as_org = col(s, 2);
		out->label = col(s, 3);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(db, cause);
	return 0;
}

/* Many addresses in one statement over a JSON array of their ids: one
 * read of the case rather than a statement (and its lock) each. */
static int many_of_ids(sqlite3 *db, const int64_t *ids, size_t n, struct ipgeo_row *out, char **cause)
{
	struct util_buf b = { 0 };
	util_buf_puts(&b, "[");
	for (size_t i = 0; i < n; i++)
		util_buf_printf(&b, "%s%lld", i ? "," : "", (long long)(ids[i] > 0 ? ids[i] : 0));
	util_buf_puts(&b, "]");
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT j.key, g.country, g.asn, g.as_org, g.label FROM json_each(?1) j"
			       " JOIN ipgeo g ON g.val = j.value",
			       -1, &s, NULL) != SQLITE_OK) {
		util_buf_free(&b);
		return fail(db, cause);
	}
	sqlite3_bind_text(s, 1, b.p, (int)b.n, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t k = sqlite3_column_int64(s, 0);
		if (k < 0 || (size_t)k >= n || ids[k] <= 0)
			continue;
		out[k].country = col(s, 1);
		out[k].asn = sqlite3_column_int64(s, 2);
		out[k].as_org = col(s, 3);
		out[k].label = col(s, 4);
	}
	sqlite3_finalize(s);
	util_buf_free(&b);
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++)
			ipgeo_row_clear(&out[i]);
		return fail(db, cause);
	}
	return 0;
}

int sqlite_ipgeo_of_ids(struct store *st, const int64_t *ids, size_t n, struct ipgeo_row *out, char **cause)
{
	memset(out, 0, n * sizeof *out);
	sqlite3 *db = store_db(st);
	if (!n || !db)
		return 0; /* (another store keeps no places: all unknown) */
	if (n >= 8)
		return many_of_ids(db, ids, n, out, cause);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT country, asn, as_org, label FROM ipgeo WHERE val = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return fail(db, cause);
	int rc = SQLITE_DONE;
	for (size_t i = 0; i < n; i++) {
		if (ids[i] <= 0)
			continue;
		sqlite3_bind_int64(s, 1, ids[i]);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			out[i].country = col(s, 0);
			out[i].asn = sqlite3_column_int64(s, 1);
			out[i].as_org = col(s, 2);
			out[i].label = col(s, 3);
			rc = SQLITE_DONE;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++)
			ipgeo_row_clear(&out[i]);
		return fail(db, cause);
	}
	return 0;
}

int sqlite_ipgeo_each(struct store *st, int (*fn)(int64_t val, const struct ipgeo_row *g, void *ctx),
		      void *ctx, char **cause)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT val, country, asn, as_org, label FROM ipgeo", -1, &s, NULL) !=
	    SQLITE_OK)
		return fail(db, cause);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ipgeo_row g = { (char *)sqlite3_column_text(s, 1), (char *)sqlite3_column_text(s, 3),
				       (char *)sqlite3_column_text(s, 4), sqlite3_column_int64(s, 2) };
		stop = fn(sqlite3_column_int64(s, 0), &g, ctx);
	}
	if (stop)
		rc = SQLITE_DONE;
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : fail(db, cause);
}
