/*
 * json_path.c: the json.PATH walker (json_path.h). The filter and the
 * stack each had their own until they disagreed: the filter walked into
 * JSON held in strings and the stack did not, so `stack json.X` and
 * `json.X=...` counted different records.
 */
#include "json_path.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* Containers entered in all, strings walked into included: the scanner
 * refuses records nested deeper than JSON_MAX_DEPTH, but each string
 * walked into starts its own count. */
#define MAX_DEPTH (2 * JSON_MAX_DEPTH)

struct json_path *json_path_new(const char *path)
{
	struct json_path *p = xcalloc(1, sizeof *p);
	const char *s = path ? path : "";
	while (*s) {
		size_t n = strcspn(s, ".");
		p->seg = xrealloc(p->seg, (p->n + 1) * sizeof *p->seg);
		p->seg[p->n++] = xstrndup(s, n);
		s += n;
		if (*s == '.')
			s++;
	}
	return p;
}

void json_path_free(struct json_path *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->seg[i]);
	free(p->seg);
	free(p);
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

const char *json_path_last_name(const struct json_path *p)
{
	for (size_t i = p->n; i-- > 0;)
		if (!all_digits(p->seg[i]))
			return p->seg[i];
	return NULL;
}

/* A key or a pair's Name equal to the segment, without regard to case. */
static bool key_is(const struct jval *k, const char *seg)
{
	size_t n = strlen(seg);
	if (!k->esc)
		return json_str_len(k) == n && strncasecmp(json_str_ptr(k), seg, n) == 0;
	char *t = xmalloc(json_str_len(k) + 1);
	size_t m = json_unescape(k, t);
	bool r = m == n && memchr(t, '\0', m) == NULL && strncasecmp(t, seg, n) == 0;
	free(t);
	return r;
}

struct walk {
	const struct json_path *p;
	json_path_fn fn;
	void *ctx;
};

/* A value the path reached, handed over as text. */
static bool reach(struct walk *w, const struct jval *v)
{
	if (v->t == JT_NULL)
		return false;
	if (v->t != JT_STR)
		return w->fn(v->p, v->n, w->ctx);
	const char *s = json_str_ptr(v);
	size_t n = json_str_len(v);
	char *buf = NULL;
	if (v->esc) {
		buf = xmalloc(n + 1);
		n = json_unescape(v, buf);
		s = buf;
	}
	bool r = w->fn(s, n, w->ctx);
	free(buf);
	return r;
}

static bool walk(struct walk *w, size_t i, const struct jval *v, int depth, int strings);

/* v reached by segment i - 1: the end of the path, or on from v, into
 * the JSON a string holds if it is one. */
static bool step(struct walk *w, size_t i, const struct jval *v, int depth, int strings)
{
	if (i >= w->p->n)
		return reach(w, v);
	if (v->t != JT_STR)
		return walk(w, i, v, depth, strings);
	if (strings >= JSON_PATH_STRINGS)
		return false;
	char *s = xmalloc(json_str_len(v) + 1);
	size_t n = json_unescape(v, s);
	const char *b = s;
	while (b < s + n && isspace((unsigned char)*b))
		b++;
	struct jval inner;
	const char *err, *errat;
	bool r = false;
	if (b < s + n && (*b == '{' || *b == '[') && json_scan_value(b, s + n, &inner, &err, &errat))
		r = walk(w, i, &inner, depth + 1, strings + 1);
	free(s);
	return r;
}

/* Segment i (there is one) applied to v. */
static bool walk(struct walk *w, size_t i, const struct jval *v, int depth, int strings)
{
	if (depth > MAX_DEPTH)
		return false;
	const char *seg = w->p->seg[i];
	struct jiter it;
	struct jval k, m;
	if (v->t == JT_OBJ) {
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m))
			if (key_is(&k, seg) && step(w, i + 1, &m, depth + 1, strings))
				return true;
		return false;
	}
	if (v->t != JT_ARR)
		return false;
	if (all_digits(seg)) {
		long idx = atol(seg), at = 0;
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m))
			if (at++ == idx)
				return step(w, i + 1, &m, depth + 1, strings);
		return false;
	}
	/* an array of {Name, Value} (or NewValue) pairs: the element whose
	 * Name is the segment; any other object: the path goes on inside it */
	json_iter_init(&it, v);
	while (json_iter_next(&it, &k, &m)) {
		if (m.t != JT_OBJ)
			continue;
		struct jval name, val;
		if ((json_get(&m, "Name", &name) || json_get(&m, "name", &name)) && name.t == JT_STR &&
		    key_is(&name, seg)) {
			if ((json_get(&m, "Value", &val) || json_get(&m, "NewValue", &val) ||
			     json_get(&m, "value", &val)) &&
			    step(w, i + 1, &val, depth + 1, strings))
				return true;
			continue;
		}
		if (walk(w, i, &m, depth + 1, strings))
			return true;
	}
	return false;
}

bool json_path_each(const struct json_path *p, const struct jval *v, json_path_fn fn, void *ctx)
{
	struct walk w = { p, fn, ctx };
	return step(&w, 0, v, 0, 0);
}

bool json_path_each_text(const struct json_path *p, const char *raw, size_t n, json_path_fn fn, void *ctx)
{
	struct jval v;
	const char *err, *errat;
	if (!raw || !json_scan_value(raw, raw + n, &v, &err, &errat))
		return false;
	return json_path_each(p, &v, fn, ctx);
}
