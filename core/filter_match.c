/*
 * filter_match.c: a filter against one raw record alone, without a case
 * (filter.h, "Sigma terms"): the sigma rule runner tests records with
 * it, takes a cheap literal prefilter from it, and explains a match; a
 * store that narrows on its server takes the same literals.
 * Only sigma and json.PATH terms can be tested so: the others need the
 * case's columns.
 */
#include "filter.h"

#include <stdlib.h>
#include <string.h>

#include "filter_json.h"
#include "filter_tree.h"
#include "json_scan.h"
#include "sigma_field.h"
#include "util.h"
#include "xalloc.h"

static int match_node(const struct filter_node *n, const struct jval *rec, char **cause)
{
	switch (n->type) {
	case FILTER_AND:
	case FILTER_OR: {
		bool want = n->type == FILTER_OR;
		for (size_t i = 0; i < n->nkids; i++) {
			int r = match_node(n->kids[i], rec, cause);
			if (r < 0)
				return -1;
			if ((r == 1) == want)
				return want;
		}
		return !want;
	}
	case FILTER_NOT: {
		int r = match_node(n->kids[0], rec, cause);
		return r < 0 ? -1 : !r;
	}
	case FILTER_TERM:
		if (n->term == FILTER_SIGMA) {
			int r = sigma_field_match(n->sf, rec, cause);
			return r < 0 ? -1 : n->op == FILTER_NE ? !r : r;
		}
		if (n->term == FILTER_JSON) {
			struct filter_json *j = filter_json_of_node(n, cause);
			if (!j)
				return -1;
			int r = filter_json_term_value(j, rec, cause);
			filter_json_free(j);
			return r;
		}
		break;
	default: break;
	}
	return set_cause(cause, "filter: only sigma and json.PATH terms can be tested on a record alone");
}

int filter_match_record(const struct filter *f, const char *raw, size_t n, char **cause)
{
	if (filter_is_empty(f))
		return 1;
	struct jval v;
	const char *err, *errat;
	if (!raw || !json_scan_value(raw, raw + n, &v, &err, &errat))
		return 0;
	return match_node(f->root, &v, cause);
}

/* Literal sets: NULL-free arrays of borrowed strings; ok false means "no
 * set" (anything may match). */
struct litset {
	const char **v;
	size_t n;
	bool ok;
};

static size_t litset_min(const struct litset *s)
{
	size_t m = SIZE_MAX;
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) < m)
			m = strlen(s->v[i]);
	return m;
}

/* Could s appear in a record's JSON text as written (nothing JSON would
 * escape, ASCII so that any case is ASCII's)? */
static bool plain_literal(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x80 || c < 0x20 || c == '\\' || c == '"' || c == '/')
			return false;
	}
	return true;
}

/* A json.PATH term in its positive, present form holds the path's last
 * name (when that is a name, not an index) and, for =, one of its values:
 * the longer of the two sets. */
static struct litset json_lits(const struct filter_node *n)
{
	struct litset out = { 0 };
	bool absent = n->nvals == 1 && !*n->vals[0];
	if (absent || (n->op != FILTER_EQ && n->op != FILTER_RE))
		return out;
	const char *dot = strrchr(n->path, '.');
	const char *last = dot ? dot + 1 : n->path;
	bool isidx = *last != '\0';
	for (const char *p = last; *p && isidx; p++)
		isidx = *p >= '0' && *p <= '9';
	if (!isidx && plain_literal(last)) {
		out.v = xmalloc(sizeof *out.v);
		out.v[0] = last;
		out.n = 1;
		out.ok = true;
	}
	if (n->op != FILTER_EQ)
		return out;
	bool plain = true;
	for (size_t i = 0; i < n->nvals && plain; i++)
		plain = plain_literal(n->vals[i]);
	if (!plain)
		return out;
	struct litset v = { xcalloc(n->nvals, sizeof *v.v), n->nvals, true };
	for (size_t i = 0; i < n->nvals; i++)
		v.v[i] = n->vals[i];
	if (out.ok && litset_min(&out) >= litset_min(&v)) {
		free(v.v);
		return out;
	}
	free(out.v);
	return v;
}

static struct litset node_lits(const struct filter_node *n)
{
	struct litset out = { 0 };
	switch (n->type) {
	case FILTER_TERM:
		if (n->term == FILTER_SIGMA && n->op == FILTER_EQ) {
			out.n = sigma_field_literals(n->sf, &out.v);
			out.ok = out.n > 0;
		} else if (n->term == FILTER_JSON) {
			out = json_lits(n);
		}
		return out;
	case FILTER_AND:
		/* any kid's set will do: keep the one whose shortest literal is
		 * longest (the rarest) */
		for (size_t i = 0; i < n->nkids; i++) {
			struct litset k = node_lits(n->kids[i]);
			if (k.ok && (!out.ok || litset_min(&k) > litset_min(&out))) {
				free(out.v);
				out = k;
			} else {
				free(k.v);
			}
		}
		return out;
	case FILTER_OR:
		out.ok = true;
		for (size_t i = 0; i < n->nkids; i++) {
			struct litset k = node_lits(n->kids[i]);
			if (!k.ok) {
				free(k.v);
				free(out.v);
				return (struct litset){ 0 };
			}
			if (k.n) { /* k.v is NULL when k holds nothing */
				out.v = xrealloc(out.v, (out.n + k.n) * sizeof *out.v);
				memcpy(out.v + out.n, k.v, k.n * sizeof *k.v);
				out.n += k.n;
			}
			free(k.v);
		}
		return out;
	default: return out;
	}
}

size_t filter_sigma_literals(const struct filter *f, const char ***lits)
{
	*lits = NULL;
	if (filter_is_empty(f))
		return 0;
	struct litset s = node_lits(f->root);
	if (!s.ok) {
		free(s.v);
		return 0;
	}
	*lits = s.v;
	return s.n;
}

static void explain_node(const struct filter_node *n, const struct jval *rec, struct util_buf *b)
{
	if (n->type == FILTER_TERM && n->term == FILTER_SIGMA && n->op == FILTER_EQ) {
		char *e = sigma_field_explain(n->sf, rec);
		if (e) {
			if (b->n)
				util_buf_puts(b, "\n");
			filter_node_print(b, n, FILTER_AND);
			util_buf_puts(b, ": ");
			util_buf_puts(b, e);
			free(e);
		}
		return;
	}
	if (n->type == FILTER_AND || n->type == FILTER_OR)
		for (size_t i = 0; i < n->nkids; i++)
			explain_node(n->kids[i], rec, b);
}

char *filter_explain_record(const struct filter *f, const char *raw, size_t n)
{
	struct jval v;
	const char *err, *errat;
	if (filter_is_empty(f) || !raw || !json_scan_value(raw, raw + n, &v, &err, &errat))
		return NULL;
	struct util_buf b = { 0 };
	explain_node(f->root, &v, &b);
	return b.p;
}
