/*
 * filter_json.c: the json.PATH matcher every store runs (filter_json.h).
 * Moved out of the SQLite store's SQL functions so that a store which
 * cannot walk JSON in its own SQL (ClickHouse 18.16) tests the same
 * records the same way on the client. Where a path leads is json_path.c's
 * (the stacks of json.PATH walk with it too); this file tests the values
 * reached.
 */
#include "filter_json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter_regex.h"
#include "json_path.h"
#include "sanitize.h"
#include "json_scan.h"
#include "util.h"
#include "xalloc.h"

struct filter_json {
	struct json_path *path;
	struct filter_regex *key; /* a caseless search for its last name */
	char op;                  /* '=', '~' or '?' */
	char **vals;              /* '=': the values */
	size_t nvals;
	char *pattern;            /* '~': as given, for messages */
	struct filter_regex *re;  /* '~' */
	struct filter_regex *pre; /* a search of the record's text first, or NULL */
	bool pre_is_re;           /* pre is re (not freed twice) */
	bool absent, neg;         /* the node's form (filter_json_of_node) */
};

void filter_json_free(struct filter_json *j)
{
	if (!j)
		return;
	json_path_free(j->path);
	for (size_t i = 0; i < j->nvals; i++)
		free(j->vals[i]);
	free(j->vals);
	free(j->pattern);
	filter_regex_free(j->key);
	if (!j->pre_is_re)
		filter_regex_free(j->pre);
	filter_regex_free(j->re);
	free(j);
}

/*
 * Can a regex on a value be tried on the record's whole JSON text first?
 * Only where JSON's escaping cannot hide a match and the record's text
 * cannot fail a match the value passes: ASCII, no anchors or assertions,
 * no backslash, quote or slash.
 */
static bool text_prefilter_ok(const char *p)
{
	if (!strncmp(p, "(?i)", 4))
		p += 4;
	/* a NUL's shown form (\x00, json_path.h) is not in the text */
	if (strstr(p, "x00") || strstr(p, "X00"))
		return false;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80 || c < 0x20 || strchr("^$\\\"/", c) || (c == '(' && p[1] == '?'))
			return false;
	}
	return true;
}

/* For '=': a caseless search for any of the values in the record's text,
 * when every value is plain enough to appear there as written. */
static struct filter_regex *values_prefilter(char *const *v, size_t n)
{
	struct util_buf b = { 0 };
	util_buf_puts(&b, "(?i)(?:");
	for (size_t i = 0; i < n; i++) {
		const char *s = v[i];
		if (!*s) {
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
	struct filter_regex *rc = filter_regex_new(b.p, b.n, NULL);
	free(b.p);
	return rc;
}

struct filter_json *filter_json_new(const char *path, char op, const char *const *vals, size_t nvals, char **why)
{
	if (!op || !strchr("=~?", op) || (op != '?' && nvals == 0)) {
		if (why)
			*why = xstrdup("filter_json: bad operator");
		return NULL;
	}
	struct filter_json *j = xcalloc(1, sizeof *j);
	j->op = op;
	j->path = json_path_new(path);
	const char *name = json_path_last_name(j->path);
	if (name) {
		char *lit = filter_regex_literal(name, true);
		j->key = filter_regex_new(lit, strlen(lit), NULL);
		free(lit);
	}
	if (op == '~') {
		j->pattern = xstrdup(vals[0]);
		if (!(j->re = filter_regex_new(vals[0], strlen(vals[0]), why))) {
			filter_json_free(j);
			return NULL;
		}
		if (text_prefilter_ok(vals[0])) {
			j->pre = j->re;
			j->pre_is_re = true;
		}
	} else if (op == '=') {
		j->vals = xcalloc(nvals, sizeof *j->vals);
		for (size_t i = 0; i < nvals; i++)
			j->vals[i] = xstrdup(vals[i]);
		j->nvals = nvals;
		j->pre = values_prefilter(j->vals, nvals);
	}
	return j;
}

struct filter_json *filter_json_of_node(const struct filter_node *n, char **why)
{
	if (n->type != FILTER_TERM || n->term != FILTER_JSON) {
		if (why)
			*why = xstrdup("filter_json: not a json.PATH term");
		return NULL;
	}
	bool absent = n->nvals == 1 && !*n->vals[0] && (n->op == FILTER_EQ || n->op == FILTER_NE);
	struct filter_json *j;
	if (absent) {
		j = filter_json_new(n->path, '?', NULL, 0, why);
	} else if (n->op == FILTER_RE || n->op == FILTER_NRE) {
		char *p = xasprintf("(?i)%s", n->vals[0]);
		const char *v = p;
		j = filter_json_new(n->path, '~', &v, 1, why);
		free(p);
	} else {
		j = filter_json_new(n->path, '=', (const char *const *)n->vals, n->nvals, why);
	}
	if (j) {
		j->absent = absent;
		j->neg = n->op == FILTER_NE || n->op == FILTER_NRE;
	}
	return j;
}

static bool test_one(struct filter_json *j, const char *s, size_t n)
{
	switch (j->op) {
	case '?': return n > 0;
	case '~': return filter_regex_match(j->re, s, n);
	default:
		for (size_t i = 0; i < j->nvals; i++)
			if (strlen(j->vals[i]) == n && strncasecmp(j->vals[i], s, n) == 0)
				return true;
		return false;
	}
}

/* A value the path reached (json_path_each): does it pass? Then stop.
 * One holding a NUL is tested as it is and as it is shown (\x00,
 * sanitize_nul): a stack's row, or a hunt's cell, typed back matches. */
static bool test_text(const char *s, size_t n, void *ctx)
{
	struct filter_json *j = ctx;
	if (test_one(j, s, n))
		return true;
	if (!memchr(s, '\0', n))
		return false;
	char *shown = sanitize_nul(s, n);
	bool r = test_one(j, shown, strlen(shown));
	free(shown);
	return r;
}

/* -1 with *cause when a match of j's regexes hit its bound */
static int failed(struct filter_json *j, char **cause)
{
	char *why = filter_regex_failure(j->re, j->pattern);
	if (!why)
		why = filter_regex_failure(j->key, NULL);
	if (!why)
		return 0;
	if (cause)
		*cause = why;
	else
		free(why);
	return -1;
}

int filter_json_match_value(struct filter_json *j, const struct jval *rec, char **cause)
{
	bool r = json_path_each(j->path, rec, test_text, j);
	return failed(j, cause) < 0 ? -1 : r;
}

int filter_json_match(struct filter_json *j, const char *raw, size_t n, char **cause)
{
	bool r = false;
	if (raw && (!j->key || filter_regex_match(j->key, raw, n)) &&
	    (!j->pre || filter_regex_match(j->pre, raw, n)))
		r = json_path_each_text(j->path, raw, n, test_text, j);
	return failed(j, cause) < 0 ? -1 : r;
}

static int term_of(const struct filter_json *j, int r)
{
	if (r < 0)
		return -1;
	if (j->absent)
		r = !r;
	return j->neg ? !r : r;
}

int filter_json_term(struct filter_json *j, const char *raw, size_t n, char **cause)
{
	return term_of(j, filter_json_match(j, raw, n, cause));
}

int filter_json_term_value(struct filter_json *j, const struct jval *rec, char **cause)
{
	return term_of(j, filter_json_match_value(j, rec, cause));
}
