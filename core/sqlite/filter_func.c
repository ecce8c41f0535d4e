/*
 * filter_func.c: the SQL functions the SQLite store's compiled filters
 * call (filter_sql.c), registered on the case's connection:
 * filter_regexp(pattern, text) (PCRE2, bounded), filter_cidr(block, ip),
 * filter_json(raw, path, op, value...) (json.PATH terms) and
 * filter_sigma(raw, term) (sigma terms: compiled by sigma_field.c,
 * matched by sigma_match.c).
 * Each keeps what it compiles (a pattern, a path, a term) in SQLite's
 * auxiliary data, so a statement compiles it once per run.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "filter.h"
#include "json_scan.h"
#include "sigma_field.h"
#include "sqlite_store.h"
#include "util.h"
#include "xalloc.h"

/*
 * A pattern that backtracks without end (raw~(.*a){25}) must neither run
 * for minutes nor count as "no match": each match is bounded (a million
 * backtracking steps, a few milliseconds, so that a cancel is answered
 * between two records), and a match that hits the bound fails the query
 * with an error that names it.
 */
#define RE_MATCH_LIMIT 1000000
#define RE_DEPTH_LIMIT 100000

struct re_cache {
	pcre2_code *re;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	int err; /* the last match's PCRE2 error (a limit), 0 if none */
};

static void re_cache_free(void *p)
{
	struct re_cache *rc = p;
	if (!rc)
		return;
	pcre2_match_data_free(rc->md);
	pcre2_match_context_free(rc->mc);
	pcre2_code_free(rc->re);
	free(rc);
}

static struct re_cache *re_cache_new(const char *pattern, size_t n, char **why)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re =
		pcre2_compile((PCRE2_SPTR)pattern, n, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(err, msg, sizeof msg);
		if (why)
			*why = xasprintf("bad regular expression: %s", (char *)msg);
		return NULL;
	}
	/* JIT makes matching several times faster; where it is missing the
	 * interpreter does the same work */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	struct re_cache *rc = xcalloc(1, sizeof *rc);
	rc->re = re;
	rc->md = pcre2_match_data_create(1, NULL);
	rc->mc = pcre2_match_context_create(NULL);
	if (rc->mc) {
		pcre2_set_match_limit(rc->mc, RE_MATCH_LIMIT);
		pcre2_set_depth_limit(rc->mc, RE_DEPTH_LIMIT);
	}
	if (!rc->md || !rc->mc) {
		re_cache_free(rc);
		if (why)
			*why = xstrdup("out of memory");
		return NULL;
	}
	return rc;
}

/* Does s match? An error (a limit hit) is remembered in rc->err and
 * answers true, so that a prefilter never rules a record out on it. */
static bool re_match(struct re_cache *rc, const char *s, size_t n)
{
	int r = pcre2_match(rc->re, (PCRE2_SPTR)s, n, 0, 0, rc->md, rc->mc);
	if (r >= 0)
		return true;
	if (r == PCRE2_ERROR_NOMATCH)
		return false;
	rc->err = r;
	return true;
}

/* Fail the SQL function with rc's limit error, if its last match hit one;
 * the pattern is shown as written (without the (?i) the compiler adds). */
static bool re_failed(sqlite3_context *ctx, struct re_cache *rc, sqlite3_value *pattern)
{
	if (!rc->err)
		return false;
	const char *pat = (const char *)sqlite3_value_text(pattern);
	if (pat && strncmp(pat, "(?i)", 4) == 0)
		pat += 4;
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(rc->err, msg, sizeof msg);
	char *why = xasprintf("regular expression %s: %s (PCRE2 match limit %d): make it more specific",
			      pat ? pat : "", (char *)msg, RE_MATCH_LIMIT);
	sqlite3_result_error(ctx, why, -1);
	free(why);
	rc->err = 0;
	return true;
}

/* The compiled pattern of argument i, cached by SQLite for as long as the
 * argument is the same bound value (a statement's whole run). */
static struct re_cache *re_arg(sqlite3_context *ctx, sqlite3_value **argv, int i, bool *fresh)
{
	struct re_cache *rc = sqlite3_get_auxdata(ctx, i);
	*fresh = false;
	if (rc)
		return rc;
	const char *pat = (const char *)sqlite3_value_text(argv[i]);
	if (!pat) {
		sqlite3_result_error(ctx, "filter_regexp: no pattern", -1);
		return NULL;
	}
	char *why = NULL;
	rc = re_cache_new(pat, (size_t)sqlite3_value_bytes(argv[i]), &why);
	if (!rc) {
		sqlite3_result_error(ctx, why, -1);
		free(why);
		return NULL;
	}
	*fresh = true;
	return rc;
}

/* filter_regexp(pattern, text) -> 1 when text matches (0 for NULL) */
static void sql_regexp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	bool fresh;
	struct re_cache *rc = re_arg(ctx, argv, 0, &fresh);
	if (!rc)
		return;
	const char *s = (const char *)sqlite3_value_text(argv[1]);
	int r = s ? re_match(rc, s, (size_t)sqlite3_value_bytes(argv[1])) : 0;
	bool failed = re_failed(ctx, rc, argv[0]);
	if (fresh)
		sqlite3_set_auxdata(ctx, 0, rc, re_cache_free);
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

/* A json.PATH split into segments, and a caseless search for its last
 * name, the cheap test that rules out most records before any parsing. */
struct jpath {
	char **seg;
	size_t n;
	struct re_cache *key;
};

static void jpath_free(void *p)
{
	struct jpath *jp = p;
	if (!jp)
		return;
	for (size_t i = 0; i < jp->n; i++)
		free(jp->seg[i]);
	free(jp->seg);
	re_cache_free(jp->key);
	free(jp);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static struct jpath *jpath_new(const char *path)
{
	struct jpath *jp = xcalloc(1, sizeof *jp);
	const char *p = path;
	while (*p) {
		const char *e = strchr(p, '.');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		jp->seg = xrealloc(jp->seg, (jp->n + 1) * sizeof *jp->seg);
		jp->seg[jp->n++] = xstrndup(p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	for (size_t i = jp->n; i-- > 0;) {
		if (!all_digits(jp->seg[i])) {
			char *lit = filter_regex_literal(jp->seg[i], true);
			jp->key = re_cache_new(lit, strlen(lit), NULL);
			free(lit);
			break;
		}
	}
	return jp;
}

/* What a json term asks of each value it reaches. */
struct jtest {
	char op; /* '=' caseless equality to any of vals, '~' regex, '?' present and non-empty */
	sqlite3_value **vals;
	int nvals;
	struct re_cache *re;
};

static bool jstr_eq_ci(const struct jval *k, const char *lit)
{
	size_t n = strlen(lit);
	if (!k->esc)
		return json_str_len(k) == n && strncasecmp(json_str_ptr(k), lit, n) == 0;
	char *t = xmalloc(json_str_len(k) + 1);
	size_t m = json_unescape(k, t);
	bool r = m == n && strncasecmp(t, lit, n) == 0;
	free(t);
	return r;
}

static bool jtest_text(const struct jtest *t, const char *s, size_t n)
{
	switch (t->op) {
	case '?': return n > 0;
	case '~': return re_match(t->re, s, n);
	default:
		for (int i = 0; i < t->nvals; i++) {
			const char *v = (const char *)sqlite3_value_text(t->vals[i]);
			if (v && (size_t)sqlite3_value_bytes(t->vals[i]) == n && strncasecmp(v, s, n) == 0)
				return true;
		}
		return false;
	}
}

static bool jwalk(const struct jpath *jp, size_t i, const struct jval *v, const struct jtest *t, int depth);

/* Test the value a path reached: strings by their text, numbers and
 * booleans by their literal, containers by their JSON text. A string that
 * holds JSON (Exchange writes some Values so) is walked into when the
 * path goes on. */
static bool jleaf(const struct jpath *jp, size_t i, const struct jval *v, const struct jtest *t, int depth)
{
	if (i < jp->n) {
		if (v->t != JT_STR)
			return jwalk(jp, i, v, t, depth);
		char *s = xmalloc(json_str_len(v) + 1);
		size_t n = json_unescape(v, s);
		const char *err, *errat;
		struct jval inner;
		bool r = false;
		if (depth < 8 && json_scan_value(s, s + n, &inner, &err, &errat) &&
		    (inner.t == JT_OBJ || inner.t == JT_ARR))
			r = jwalk(jp, i, &inner, t, depth + 1);
		free(s);
		return r;
	}
	if (v->t == JT_NULL)
		return false;
	if (v->t != JT_STR)
		return jtest_text(t, v->p, v->n);
	if (!v->esc)
		return jtest_text(t, json_str_ptr(v), json_str_len(v));
	char *s = xmalloc(json_str_len(v) + 1);
	size_t n = json_unescape(v, s);
	bool r = jtest_text(t, s, n);
	free(s);
	return r;
}

static bool jwalk(const struct jpath *jp, size_t i, const struct jval *v, const struct jtest *t, int depth)
{
	if (i >= jp->n)
		return jleaf(jp, i, v, t, depth);
	const char *seg = jp->seg[i];
	struct jiter it;
	struct jval k, m;
	if (v->t == JT_OBJ) {
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m))
			if (jstr_eq_ci(&k, seg) && jleaf(jp, i + 1, &m, t, depth))
				return true;
		return false;
	}
	if (v->t != JT_ARR)
		return false;
	if (all_digits(seg)) {
		long idx = atol(seg), j = 0;
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m))
			if (j++ == idx)
				return jleaf(jp, i + 1, &m, t, depth);
		return false;
	}
	/* an array of {Name, Value} (or NewValue) pairs: the element whose
	 * Name is the segment; any other element: the path goes on inside
	 * it (Folders.Path reaches every folder's path) */
	json_iter_init(&it, v);
	while (json_iter_next(&it, &k, &m)) {
		if (m.t != JT_OBJ)
			continue;
		struct jval name, val;
		if ((json_get(&m, "Name", &name) || json_get(&m, "name", &name)) && name.t == JT_STR &&
		    jstr_eq_ci(&name, seg)) {
			if ((json_get(&m, "Value", &val) || json_get(&m, "NewValue", &val) ||
			     json_get(&m, "value", &val)) &&
			    jleaf(jp, i + 1, &val, t, depth))
				return true;
			continue;
		}
		if (jwalk(jp, i, &m, t, depth))
			return true;
	}
	return false;
}

/*
 * Can a regex on a value be tried on the record's whole JSON text first?
 * Only where JSON's escaping cannot hide a match and the record's text
 * cannot fail a match the value passes: ASCII, no anchors or assertions,
 * no backslash, quote or slash.
 */
static bool text_prefilter_ok(const char *p)
{
	if (!p)
		return false;
	if (!strncmp(p, "(?i)", 4))
		p += 4;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80 || c < 0x20 || strchr("^$\\\"/", c) || (c == '(' && p[1] == '?'))
			return false;
	}
	return true;
}

/* For '=': a caseless search for any of the values in the record's text,
 * when every value is plain enough to appear there as written. */
static struct re_cache *values_prefilter(sqlite3_value **v, int n)
{
	struct util_buf b = { 0 };
	util_buf_puts(&b, "(?i)(?:");
	for (int i = 0; i < n; i++) {
		const char *s = (const char *)sqlite3_value_text(v[i]);
		if (!s || !*s) {
			free(b.p);
			return NULL;
		}
		for (const char *p = s; *p; p++) {
			unsigned char c = (unsigned char)*p;
			if (c >= 0x80 || c < 0x20 || c == '\\' || c == '"' || c == '/') {
				free(b.p);
				return NULL;
			}
		}
		char *lit = filter_regex_literal(s, false);
		if (i)
			util_buf_puts(&b, "|");
		util_buf_puts(&b, lit);
		free(lit);
	}
	util_buf_puts(&b, ")");
	struct re_cache *rc = re_cache_new(b.p, b.n, NULL);
	free(b.p);
	return rc;
}

/* filter_json(raw, path, op, arg...) -> 1 when a value at path passes:
 * op '=' equals one of the args (any case), '~' matches the regex arg,
 * '?' is present and not empty. */
static void sql_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (argc < 3) {
		sqlite3_result_error(ctx, "filter_json: raw, path, op, ...", -1);
		return;
	}
	const char *raw = (const char *)sqlite3_value_text(argv[0]);
	size_t rn = (size_t)sqlite3_value_bytes(argv[0]);
	const char *op = (const char *)sqlite3_value_text(argv[2]);
	if (!op || !strchr("=~?", op[0]) || (op[0] != '?' && argc < 4)) {
		sqlite3_result_error(ctx, "filter_json: bad operator", -1);
		return;
	}
	struct jpath *jp = sqlite3_get_auxdata(ctx, 1);
	bool jp_fresh = false;
	if (!jp) {
		const char *path = (const char *)sqlite3_value_text(argv[1]);
		jp = jpath_new(path ? path : "");
		jp_fresh = true;
	}
	struct jtest t = { .op = op[0], .vals = argv + 3, .nvals = argc - 3 };
	bool re_fresh = false;
	if (t.op == '~' && !(t.re = re_arg(ctx, argv, 3, &re_fresh))) {
		if (jp_fresh)
			jpath_free(jp);
		return;
	}
	/* a value that cannot appear in the record's text rules the record
	 * out before it is parsed (most records, for a rare value) */
	struct re_cache *pre = NULL;
	bool pre_fresh = false;
	if (t.op == '~') {
		pre = text_prefilter_ok((const char *)sqlite3_value_text(argv[3])) ? t.re : NULL;
	} else if (t.op == '=' && !(pre = sqlite3_get_auxdata(ctx, 3))) {
		pre = values_prefilter(argv + 3, argc - 3);
		pre_fresh = pre != NULL;
	}
	int r = 0;
	if (raw && (!jp->key || re_match(jp->key, raw, rn)) && (!pre || re_match(pre, raw, rn))) {
		struct jval v;
		const char *err, *errat;
		if (json_scan_value(raw, raw + rn, &v, &err, &errat))
			r = jwalk(jp, 0, &v, &t, 0);
	}
	if (jp_fresh)
		sqlite3_set_auxdata(ctx, 1, jp, jpath_free);
	bool failed = t.re && re_failed(ctx, t.re, argv[3]);
	if (re_fresh)
		sqlite3_set_auxdata(ctx, 3, t.re, re_cache_free);
	if (pre_fresh)
		sqlite3_set_auxdata(ctx, 3, pre, re_cache_free);
	if (!failed)
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
