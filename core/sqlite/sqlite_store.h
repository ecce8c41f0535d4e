/*
 * sqlite_store.h: the SQLite store's own header, for the code that
 * implements the storage interface (store.h) on a case file.
 *
 * Nothing outside core/sqlite/ includes this: the rest of core/ and all
 * of tui/ speak to storage through store.h, query.h, stack.h,
 * histogram.h, messages.h, annot.h and knownapps.h, which carry no
 * SQLite type (the Makefile's seam check compiles them without
 * sqlite3.h). Until hunts and export read through the interface too,
 * they include this header as well.
 */
#ifndef AUDITSCOPE_SQLITE_STORE_H
#define AUDITSCOPE_SQLITE_STORE_H

#include <sqlite3.h>

#include "filter.h"
#include "query.h"
#include "store.h"

/* The case's connection. */
sqlite3 *store_db(struct store *st);

/* ------------------------------------------------------------------ */
/* Compiling (for core modules that build SQL: query, stack, hunts) */

/* One bound value of a compiled filter. */
struct filter_bind {
	enum { FB_TEXT, FB_INT } type;
	char *text;
	int64_t i;
};

/* Parameters of compiled SQL are numbered from here (?100, ?101, ...), so
 * that a statement can use ?1..?99 for its own values. */
#define FILTER_PARAM_BASE 100

struct filter_sql {
	char *where;               /* condition over "events e"; "1" when empty */
	struct filter_bind *binds; /* the values of ?100, ?101, ... in order */
	size_t nbinds;
	bool raw;     /* reads raw records (free text, json.PATH): scan in id order only */
	bool indexed; /* a top-level "and" term selects through an (field, ts) index */
	bool narrowed; /* a top-level "and" term narrows through an index (in
			* time order or not: user=a,b, ip=CIDR, user~regex) */
	bool empty;   /* matches everything */
	/* temporary tables of value ids the condition reads (a regex or an
	 * address block that matches many values), dropped by
	 * filter_sql_clear on db */
	char **temps;
	size_t ntemps;
	sqlite3 *db;
};

enum {
	/* Keep SQLite from choosing any index but the one the caller's
	 * ORDER BY walks (columns are written +e.col). */
	FILTER_SQL_NOINDEX = 1 << 0,
	/* Leave out what reads raw records, keeping a condition that every
	 * matching event meets (a superset): the candidates an index finds
	 * before the raw records are read in id order. */
	FILTER_SQL_NORAW = 1 << 1,
};

/*
 * Compile f against the case st: values resolved to the case's value ids
 * where that lets an index answer (user=, op=, app=Name ...), relative
 * times taken from the case's last event. 0, or -1 with *cause. The
 * functions the SQL calls are registered on the case's connection.
 */
int filter_compile(const struct filter *f, struct store *st, unsigned flags, struct filter_sql *out,
		   char **cause);
void filter_sql_clear(struct filter_sql *s);
/* Bind s's values to ?100... of stmt. SQLite result code. */
int filter_sql_bind(const struct filter_sql *s, sqlite3_stmt *stmt);

/* Register filter_regexp(pattern, text), filter_cidr(net, ip) and
 * filter_json(raw, path) on db (done by filter_compile). 0 or -1. */
int filter_register_functions(sqlite3 *db);

/* ------------------------------------------------------------------ */
/* A query's SQL (stack, histogram, messages, hunts build their own
 * statements over it): the query's condition over "events e", valid
 * until the next call on q. After query_prepare() of a scanning filter it
 * reads the temporary table of matches instead of the raw records.
 * Values are parameters ?100... (above): bind them with query_sql_bind. */
const char *query_sql_where(struct query *q);
int query_sql_bind(struct query *q, sqlite3_stmt *stmt);

/* Run stmt to completion under q's progress handler: calls row(ctx,
 * stmt) for each row; 0, or -1 with *cause (cancelled: query_cancelled()
 * is true). */
int query_sql_run(struct query *q, sqlite3_stmt *stmt, int (*row)(void *ctx, sqlite3_stmt *s),
		  void *ctx, char **cause);

#endif
