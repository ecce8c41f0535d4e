/*
 * filter_func.c: the SQL functions the SQLite store's compiled filters
 * call (filter_sql.c), registered on the case's connection:
 * filter_regexp(pattern, text) (PCRE2, bounded), filter_cidr(block, ip),
 * filter_json(raw, path, op, value...) (json.PATH terms) and
 * filter_sigma(raw, term) (sigma terms: compiled by sigma_field.c,
 * matched by sigma_match.c).
 * Each keeps what it compiles (a pattern, a path, a term) in SQLite's
 * auxiliary data, so a statement compiles it once per run. The matchers
 * themselves are the store-independent ones (filter_regex.c,
 * filter_json.c, sigma_field.c): the ClickHouse store runs the same
 * ones on the client.
 */
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "filter_json.h"
#include "filter_regex.h"
#include "sigma_field.h"
#include "sqlite_store.h"
#include "util.h"
#include "xalloc.h"

/* The compiled pattern of argument i, cached by SQLite for as long as the
 * argument is the same bound value (a statement's whole run). */
static struct filter_regex *re_arg(sqlite3_context *ctx, sqlite3_value **argv, int i, bool *fresh)
{
	struct filter_regex *rc = sqlite3_get_auxdata(ctx, i);
	*fresh = false;
	if (rc)
		return rc;
	const char *pat = (const char *)sqlite3_value_text(argv[i]);
	if (!pat) {
		sqlite3_result_error(ctx, "filter_regexp: no pattern", -1);
		return NULL;
	}
	char *why = NULL;
	rc = filter_regex_new(pat, (size_t)sqlite3_value_bytes(argv[i]), &why);
	if (!rc) {
		sqlite3_result_error(ctx, why, -1);
		free(why);
		return NULL;
	}
	*fresh = true;
	return rc;
}

/* Fail the SQL function with rc's bound error, if its last match hit one. */
static bool re_failed(sqlite3_context *ctx, struct filter_regex *rc, sqlite3_value *pattern)
{
	char *why = filter_regex_failure(rc, (const char *)sqlite3_value_text(pattern));
	if (!why)
		return false;
	sqlite3_result_error(ctx, why, -1);
	free(why);
	return true;
}

/* filter_regexp(pattern, text) -> 1 when text matches (0 for NULL) */
static void sql_regexp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	bool fresh;
	struct filter_regex *rc = re_arg(ctx, argv, 0, &fresh);
	if (!rc)
		return;
	const char *s = (const char *)sqlite3_value_text(argv[1]);
	int r = s ? filter_regex_match(rc, s, (size_t)sqlite3_value_bytes(argv[1])) : 0;
	bool failed = re_failed(ctx, rc, argv[0]);
	if (fresh)
		sqlite3_set_auxdata(ctx, 0, rc, (void (*)(void *))filter_regex_free);
	if (!failed)
		sqlite3_result_int(ctx, r);
}

/* filter_cidr(block, ip) -> 1 when ip lies in block */
static void sql_cidr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct filter_cidr *c = sqlite3_get_auxdata(ctx, 0);
	bool fresh = false;
	if (!c) {
		const char *b = (const char *)sqlite3_value_text(argv[0]);
		c = xmalloc(sizeof *c);
		if (!b || !filter_cidr_parse(b, c)) {
			free(c);
			sqlite3_result_error(ctx, "filter_cidr: not an address block", -1);
			return;
		}
		fresh = true;
	}
	const char *ip = (const char *)sqlite3_value_text(argv[1]);
	int r = ip && strlen(ip) < 64 ? filter_cidr_contains(c, ip) : 0;
	if (fresh)
		sqlite3_set_auxdata(ctx, 0, c, free);
	sqlite3_result_int(ctx, r);
}

/* filter_json(raw, path, op, arg...) -> 1 when a value at path passes:
 * op '=' equals one of the args (any case), '~' matches the regex arg,
 * '?' is present and not empty. The matcher (filter_json.c) is compiled
 * once per statement and kept as the path argument's auxiliary data. */
static void sql_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (argc < 3) {
		sqlite3_result_error(ctx, "filter_json: raw, path, op, ...", -1);
		return;
	}
	struct filter_json *j = sqlite3_get_auxdata(ctx, 1);
	bool fresh = false;
	if (!j) {
		const char *op = (const char *)sqlite3_value_text(argv[2]);
		size_t nv = (size_t)(argc - 3);
		const char **vals = xcalloc(nv ? nv : 1, sizeof *vals);
		for (size_t i = 0; i < nv; i++) {
			const char *v = (const char *)sqlite3_value_text(argv[3 + i]);
			vals[i] = v ? v : "";
		}
		char *why = NULL;
		const char *path = (const char *)sqlite3_value_text(argv[1]);
		j = filter_json_new(path ? path : "", op ? op[0] : 0, vals, nv, &why);
		free(vals);
		if (!j) {
			sqlite3_result_error(ctx, why, -1);
			free(why);
			return;
		}
		fresh = true;
	}
	const char *raw = (const char *)sqlite3_value_text(argv[0]);
	char *why = NULL;
	int r = filter_json_match(j, raw, raw ? (size_t)sqlite3_value_bytes(argv[0]) : 0, &why);
	if (fresh)
		sqlite3_set_auxdata(ctx, 1, j, (void (*)(void *))filter_json_free);
	if (r < 0) {
		sqlite3_result_error(ctx, why, -1);
		free(why);
		return;
	}
	sqlite3_result_int(ctx, r);
}

/* filter_sigma(raw, term) -> 1 when the record meets the sigma.FIELD
 * term whose text is term (its positive form) */
static void sql_sigma(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct filter *f = sqlite3_get_auxdata(ctx, 1);
	bool fresh = false;
	if (!f) {
		char *why = NULL;
		f = filter_parse((const char *)sqlite3_value_text(argv[1]), &why);
		const struct filter_node *t = filter_root(f);
		if (!t || t->type != FILTER_TERM || t->term != FILTER_SIGMA) {
			sqlite3_result_error(ctx, why ? why : "filter_sigma: not a sigma term", -1);
			free(why);
			filter_free(f);
			return;
		}
		fresh = true;
	}
	const char *raw = (const char *)sqlite3_value_text(argv[0]);
	size_t rn = (size_t)sqlite3_value_bytes(argv[0]);
	char *why = NULL;
	const struct sigma_field *sf = filter_root(f)->sf;
	int r = raw && sigma_field_may_match(sf, raw, rn) ? sigma_field_match_text(sf, raw, rn, &why) : 0;
	if (fresh)
		sqlite3_set_auxdata(ctx, 1, f, (void (*)(void *))filter_free);
	if (r < 0) {
		sqlite3_result_error(ctx, why, -1);
		free(why);
		return;
	}
	sqlite3_result_int(ctx, r);
}

int filter_register_functions(sqlite3 *db)
{
	/* registered once per connection: redefining a function while a
	 * statement that uses it is active fails */
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT filter_json(NULL, NULL, '?')", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_finalize(q);
		return 0;
	}
	int fl = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	if (sqlite3_create_function(db, "filter_regexp", 2, fl, NULL, sql_regexp, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "filter_cidr", 2, fl, NULL, sql_cidr, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "filter_json", -1, fl, NULL, sql_json, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "filter_sigma", 2, fl, NULL, sql_sigma, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}
