/*
 * places.c: IP places on the ClickHouse store (the place ops of
 * storage.h, ipgeo.h), as the SQLite case keeps them: each distinct
 * address of the events looked up once in the offline databases after a
 * load, into a table of the database,
 *
 *   ipgeo (h Int64, ip String, country String, asn UInt32, as_org String,
 *          label String)   ORDER BY h
 *
 * where h is the address's value id as the server computes it
 * (ch_value_id_sql), so that the ids a scan hands the hunts and the
 * stack find their place without the text; "" and 0 are unknown. The
 * databases that filled it are the row 'geoip' of ipgeo_meta; other
 * databases (--geoip DIR) redo every lookup, as on SQLite. Filters
 * (country=, asn=, as_org=) become a subquery on ipgeo (compile.c); page
 * rows get their places in one request per page (ch_rows_places).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch.h"
#include "geoip.h"
#include "ipgeo.h"
#include "util.h"
#include "xalloc.h"

/* Does the database have the table (1), not yet (0), or -1. Asked once
 * per store; a load that creates it says so. */
int ch_places_ready(struct ch_store *s, char **cause)
{
	if (s->places)
		return s->places > 0;
	char *sql = xasprintf("EXISTS TABLE %s.ipgeo FORMAT TabSeparated", s->url.db);
	struct util_buf out = { 0 };
	int r = ch_exec(s->conn, sql, false, &out, cause);
	free(sql);
	if (r == 0)
		s->places = atoi(util_buf_str(&out)) == 1 ? 1 : -1;
	util_buf_free(&out);
	return r < 0 ? -1 : s->places > 0;
}

static int ensure(struct ch_store *s, char **cause)
{
	char *sql =
		xasprintf("CREATE TABLE IF NOT EXISTS %s.ipgeo (h Int64, ip String, country String,"
			  " asn UInt32, as_org String, label String) ENGINE = ReplacingMergeTree ORDER BY h",
			  s->url.db);
	int r = ch_exec(s->conn, sql, true, NULL, cause);
	free(sql);
	if (r == 0) {
		sql = xasprintf("CREATE TABLE IF NOT EXISTS %s.ipgeo_meta (k String, v String)"
				" ENGINE = MergeTree ORDER BY k",
				s->url.db);
		r = ch_exec(s->conn, sql, true, NULL, cause);
		free(sql);
	}
	if (r == 0)
		s->places = 1;
	return r;
}

char *ch_places_databases(struct store *st)
{
	struct ch_store *s = CH(st);
	char *err = NULL;
	if (ch_places_ready(s, &err) != 1) {
		free(err);
		return NULL;
	}
	char *sql =
		xasprintf("SELECT v FROM %s.ipgeo_meta WHERE k = 'geoip' LIMIT 1 FORMAT RowBinary", s->url.db);
	struct util_buf out = { 0 };
	int r = ch_exec(s->conn, sql, false, &out, &err);
	free(sql);
	free(err);
	char *v = NULL;
	if (r == 0 && out.n) {
		struct ch_rd rd = { out.p, out.p + out.n, false };
		size_t n;
		const char *p = ch_rd_str(&rd, &n);
		if (!rd.bad)
			v = xstrndup(p, n);
	}
	util_buf_free(&out);
	return v;
}

int ch_places_unplaced(struct store *st, int64_t *n, char **cause)
{
	struct ch_store *s = CH(st);
	*n = 0;
	int ready = ch_places_ready(s, cause);
	if (ready < 0)
		return -1;
	/* (as ch_places_enrich finds them; no table yet: every address) */
	char *hv = ch_value_id_sql("ip");
	char *sql =
		ready ? xasprintf("SELECT count() FROM (SELECT %s AS hh FROM (SELECT DISTINCT ip FROM %s.events"
				  " WHERE ip != '')) WHERE hh NOT IN (SELECT h FROM %s.ipgeo)"
				  " FORMAT TabSeparated",
				  hv, s->url.db, s->url.db)
		      : xasprintf("SELECT uniqExact(ip) FROM %s.events WHERE ip != '' FORMAT TabSeparated",
				  s->url.db);
	free(hv);
	struct util_buf out = { 0 };
	int r = ch_exec(s->conn, sql, false, &out, cause);
	free(sql);
	if (r == 0)
		*n = strtoll(util_buf_str(&out), NULL, 10);
	util_buf_free(&out);
	return r;
}

int ch_places_enrich(struct store *st, struct geoip *g, struct ipgeo_stats *stats, char **cause)
{
	struct ch_store *s = CH(st);
	const char *db = s->url.db;
	if (ensure(s, cause) < 0)
		return -1;
	const char *now = geoip_describe(g);
	char *had = ch_places_databases(st);
	bool redo = !had || strcmp(had, now) != 0;
	free(had);
	char *sql;
	int r = 0;
	if (redo) {
		sql = xasprintf("TRUNCATE TABLE %s.ipgeo", db);
		r = ch_exec(s->conn, sql, true, NULL, cause);
		free(sql);
		if (r < 0)
			return -1;
	}
	/* the addresses not placed yet, with their value ids */
	char *hv = ch_value_id_sql("ip");
	/* (DISTINCT beside the hash's alias repeats rows on 18.x: the
	 * distinct addresses first, their hashes after) */
	sql = xasprintf("SELECT %s AS hh, ip FROM (SELECT DISTINCT ip FROM %s.events WHERE ip != '')"
			" WHERE hh NOT IN (SELECT h FROM %s.ipgeo) FORMAT RowBinary",
			hv, db, db);
	free(hv);
	struct util_buf got = { 0 }, body = { 0 };
	r = ch_exec(s->conn, sql, false, &got, cause);
	free(sql);
	if (r < 0) {
		util_buf_free(&got);
		return -1;
	}
	struct ch_rd rd = { got.p, got.p + got.n, false };
	while (rd.p < rd.end) {
		int64_t h = ch_rd_i64(&rd);
		size_t n;
		const char *p = ch_rd_str(&rd, &n);
		if (rd.bad)
			break;
		char ip[64];
		struct geoip_place pl;
		memset(&pl, 0, sizeof pl);
		if (n < sizeof ip) {
			memcpy(ip, p, n);
			ip[n] = '\0';
			if (geoip_lookup(g, ip, &pl) < 0)
				memset(&pl, 0, sizeof pl);
		}
		stats->looked_up++;
		stats->located += pl.country[0] != '\0';
		stats->networks += pl.asn != 0;
		ch_put_i64(&body, h);
		ch_put_str(&body, p, n);
		ch_put_str(&body, pl.country, strlen(pl.country));
		ch_put_u32(&body, pl.asn);
		ch_put_str(&body, pl.as_org ? pl.as_org : "", pl.as_org ? strlen(pl.as_org) : 0);
		ch_put_str(&body, pl.label ? pl.label : "", pl.label ? strlen(pl.label) : 0);
	}
	bool bad = rd.bad;
	util_buf_free(&got);
	if (bad) {
		util_buf_free(&body);
		return set_cause(cause, "%s: short answer to a read of addresses", ch_path(st));
	}
	if (body.n) {
		sql = xasprintf("INSERT INTO %s.ipgeo (h, ip, country, asn, as_org, label) FORMAT RowBinary",
				db);
		struct ch_req req = { .sql = sql, .write = true, .body = body.p, .body_len = body.n };
		r = ch_run(s->conn, &req, cause);
		free(sql);
	}
	util_buf_free(&body);
	if (r < 0)
		return -1;
	if (redo) {
		struct util_buf q = { 0 };
		util_buf_printf(&q, "TRUNCATE TABLE %s.ipgeo_meta", db);
		r = ch_exec(s->conn, util_buf_str(&q), true, NULL, cause);
		util_buf_free(&q);
		if (r == 0) {
			util_buf_printf(&q, "INSERT INTO %s.ipgeo_meta (k, v) VALUES ('geoip', ", db);
			ch_quote(&q, now, strlen(now));
			util_buf_putc(&q, ')');
			r = ch_exec(s->conn, util_buf_str(&q), true, NULL, cause);
			util_buf_free(&q);
		}
		if (r < 0)
			return -1;
	}
	sql = xasprintf("SELECT uniqExact(h) FROM %s.ipgeo FORMAT TabSeparated", db);
	r = ch_exec(s->conn, sql, false, &got, cause);
	free(sql);
	if (r == 0)
		stats->total = strtoll(util_buf_str(&got), NULL, 10);
	util_buf_free(&got);
	return r;
}

/* One row of "h, country, asn, as_org, label" into g (strings new, NULL
 * when empty); false when the data ends short. */
static bool rd_place(struct ch_rd *rd, int64_t *h, struct ipgeo_row *g)
{
	memset(g, 0, sizeof *g);
	*h = ch_rd_i64(rd);
	size_t n[3];
	const char *c = ch_rd_str(rd, &n[0]);
	uint32_t asn = ch_rd_u32(rd);
	const char *o = ch_rd_str(rd, &n[1]);
	const char *l = ch_rd_str(rd, &n[2]);
	if (rd->bad)
		return false;
	g->country = n[0] ? xstrndup(c, n[0]) : NULL;
	g->asn = asn;
	g->as_org = n[1] ? xstrndup(o, n[1]) : NULL;
	g->label = n[2] ? xstrndup(l, n[2]) : NULL;
	return true;
}

#define PLACE_SELECT "SELECT h, any(country), any(asn), any(as_org), any(label) FROM %s.ipgeo"

int ch_places_each(struct store *st, int (*fn)(int64_t val, const struct ipgeo_row *g, void *ctx), void *ctx,
		   char **cause)
{
	struct ch_store *s = CH(st);
	int ok = ch_places_ready(s, cause);
	if (ok <= 0)
		return ok;
	char *sql = xasprintf(PLACE_SELECT " GROUP BY h FORMAT RowBinary", s->url.db);
	struct util_buf out = { 0 };
	int r = ch_exec(s->conn, sql, false, &out, cause);
	free(sql);
	struct ch_rd rd = { out.p, out.p + out.n, false };
	int stop = 0;
	while (r == 0 && !stop && rd.p < rd.end) {
		int64_t h;
		struct ipgeo_row g;
		if (!rd_place(&rd, &h, &g))
			break;
		stop = fn(ch_dense(s, h), &g, ctx);
		ipgeo_row_clear(&g);
	}
	if (r == 0 && rd.bad)
		r = set_cause(cause, "%s: short answer to a read of places", ch_path(st));
	util_buf_free(&out);
	return r;
}

/* The places of n server hashes (0: none): out[i] for hs[i]. */
static int places_of_hashes(struct ch_store *s, const int64_t *hs, size_t n, struct ipgeo_row *out, char **cause)
{
	memset(out, 0, n * sizeof *out);
	int ok = ch_places_ready(s, cause);
	if (ok <= 0)
		return ok;
	struct util_buf data = { 0 };
	for (size_t i = 0; i < n; i++)
		if (hs[i] > 0)
			ch_tsv_i64(&data, hs[i]);
	if (!data.n)
		return 0;
	char *sql = xasprintf(PLACE_SELECT " WHERE h IN ids GROUP BY h FORMAT RowBinary", s->url.db);
	struct util_buf res = { 0 };
	if (ch_read_ext(s->conn, sql, "ids", "h Int64", &data, &res, cause) < 0)
		return -1;
	/* hash -> the indexes asking for it (a value may be asked twice) */
	struct util_imap at = { 0 };
	for (size_t i = 0; i < n; i++)
		if (hs[i] > 0) {
			bool isnew;
			int64_t *slot = util_imap_slot(&at, (uint64_t)hs[i], 0, &isnew);
			if (isnew)
				*slot = (int64_t)i + 1;
		}
	struct ch_rd rd = { res.p, res.p + res.n, false };
	while (rd.p < rd.end) {
		int64_t h;
		struct ipgeo_row g;
		if (!rd_place(&rd, &h, &g))
			break;
		const int64_t *first = util_imap_get(&at, (uint64_t)h);
		if (!first) {
			ipgeo_row_clear(&g);
			continue;
		}
		for (size_t i = (size_t)*first - 1; i < n; i++) {
			if (hs[i] != h)
				continue;
			out[i].country = g.country ? xstrdup(g.country) : NULL;
			out[i].asn = g.asn;
			out[i].as_org = g.as_org ? xstrdup(g.as_org) : NULL;
			out[i].label = g.label ? xstrdup(g.label) : NULL;
		}
		ipgeo_row_clear(&g);
	}
	util_imap_free(&at);
	bool bad = rd.bad;
	util_buf_free(&res);
	if (bad) {
		for (size_t i = 0; i < n; i++)
			ipgeo_row_clear(&out[i]);
		return set_cause(cause, "%s: short answer to a read of places", ch_conn_name(s->conn));
	}
	return 0;
}

int ch_places_of_ids(struct store *st, const int64_t *ids, size_t n, struct ipgeo_row *out, char **cause)
{
	struct ch_store *s = CH(st);
	int64_t *hs = xcalloc(n ? n : 1, sizeof *hs);
	for (size_t i = 0; i < n; i++)
		hs[i] = ids[i] > 0 ? ch_hash(s, ids[i]) : 0;
	int r = places_of_hashes(s, hs, n, out, cause);
	free(hs);
	return r;
}

int ch_value_places(struct store *st, const int64_t *ids, size_t n, struct store_place *out, char **cause)
{
	memset(out, 0, n * sizeof *out);
	struct ipgeo_row *g = xcalloc(n ? n : 1, sizeof *g);
	int r = ch_places_of_ids(st, ids, n, g, cause);
	for (size_t i = 0; i < n; i++) {
		if (r == 0) {
			out[i].country = g[i].country;
			out[i].asn = g[i].asn ? xasprintf("%lld", (long long)g[i].asn) : NULL;
			out[i].as_org = g[i].as_org;
			g[i].country = g[i].as_org = NULL;
		}
		ipgeo_row_clear(&g[i]);
	}
	free(g);
	return r;
}

int ch_place_get(struct store *st, const char *ip, struct ipgeo_row *out, char **cause)
{
	struct ch_store *s = CH(st);
	memset(out, 0, sizeof *out);
	int ok = ch_places_ready(s, cause);
	if (ok <= 0)
		return ok;
	struct util_buf sql = { 0 }, res = { 0 };
	util_buf_printf(&sql, PLACE_SELECT " WHERE ip = ", s->url.db);
	ch_quote(&sql, ip, strlen(ip));
	util_buf_puts(&sql, " GROUP BY h LIMIT 1 FORMAT RowBinary");
	int r = ch_exec(s->conn, util_buf_str(&sql), false, &res, cause);
	util_buf_free(&sql);
	if (r == 0 && res.n) {
		struct ch_rd rd = { res.p, res.p + res.n, false };
		int64_t h;
		if (!rd_place(&rd, &h, out))
			r = set_cause(cause, "%s: short answer to a read of places", ch_path(st));
	}
	util_buf_free(&res);
	return r;
}

int ch_rows_places(struct ch_store *s, struct query_row *rows, size_t n, char **cause)
{
	int ok = n ? ch_places_ready(s, cause) : 0;
	if (ok <= 0)
		return ok;
	/* the rows' addresses as the server's hashes, computed by the
	 * server: one request for the page */
	struct util_buf data = { 0 };
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (rows[i].ip && *rows[i].ip && !strpbrk(rows[i].ip, "\t\n\\")) {
			util_buf_printf(&data, "%s\n", rows[i].ip);
			k++;
		}
	if (!k)
		return 0;
	char *sql = xasprintf("SELECT ip, any(country), any(asn), any(as_org), any(label) FROM %s.ipgeo"
			      " WHERE ip IN ips GROUP BY ip FORMAT RowBinary",
			      s->url.db);
	struct util_buf res = { 0 };
	int r = ch_read_ext(s->conn, sql, "ips", "ip String", &data, &res, cause);
	struct ch_rd rd = { res.p, res.p + res.n, false };
	while (r == 0 && rd.p < rd.end) {
		size_t ipn, n3[3];
		const char *ip = ch_rd_str(&rd, &ipn);
		const char *c = ch_rd_str(&rd, &n3[0]);
		uint32_t asn = ch_rd_u32(&rd);
		const char *o = ch_rd_str(&rd, &n3[1]);
		const char *l = ch_rd_str(&rd, &n3[2]);
		if (rd.bad) {
			r = set_cause(cause, "%s: short answer to a read of places", ch_conn_name(s->conn));
			break;
		}
		for (size_t i = 0; i < n; i++) {
			struct query_row *w = &rows[i];
			if (!w->ip || strlen(w->ip) != ipn || memcmp(w->ip, ip, ipn) != 0)
				continue;
			free(w->country);
			free(w->asn);
			free(w->as_org);
			free(w->ip_label);
			w->country = n3[0] ? xstrndup(c, n3[0]) : NULL;
			w->asn = asn ? xasprintf("%u", asn) : NULL;
			w->as_org = n3[1] ? xstrndup(o, n3[1]) : NULL;
			w->ip_label = n3[2] ? xstrndup(l, n3[2]) : NULL;
		}
	}
	util_buf_free(&res);
	return r;
}
