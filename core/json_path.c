/*
 * json_path.c: the json.PATH walker (json_path.h). The filter and the
 * stack each had their own until they disagreed: the filter walked into
 * JSON held in strings and the stack did not, so `stack json.X` and
 * `json.X=...` counted different records. Sigma's field matcher had a
 * third, now the same walker read with its flags.
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
	return json_path_new_flags(path, 0);
}

struct json_path *json_path_new_flags(const char *path, unsigned flags)
{
	struct json_path *p = xcalloc(1, sizeof *p);
	p->flags = flags;
	p->text = xstrdup(path ? path : "");
	const char *s = p->text;
	while (*s) {
		size_t n = strcspn(s, ".");
		p->seg = xrealloc(p->seg, (p->n + 1) * sizeof *p->seg);
		p->off = xrealloc(p->off, (p->n + 1) * sizeof *p->off);
		p->off[p->n] = (size_t)(s - p->text);
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
	free(p->off);
	free(p->text);
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

/* A key or a pair's name equal to s[0..n), without regard to case. */
static bool key_is(const struct jval *k, const char *s, size_t n)
{
	if (!k->esc)
		return json_str_len(k) == n && strncasecmp(json_str_ptr(k), s, n) == 0;
	char *t = xmalloc(json_str_len(k) + 1);
	size_t m = json_unescape(k, t);
	bool r = m == n && memchr(t, '\0', m) == NULL && strncasecmp(t, s, n) == 0;
	free(t);
	return r;
}

struct walk {
	const struct json_path *p;
	json_path_fn fn;
	json_path_val_fn vfn;
	void *ctx;
};

/* The segments i..j joined, as they stand in the path. */
static const char *joined(const struct walk *w, size_t i, size_t j, size_t *n)
{
	*n = w->p->off[j] + strlen(w->p->seg[j]) - w->p->off[i];
	return w->p->text + w->p->off[i];
}

/* The last segment a name may take in from segment i: i itself, or
 * with dotted names the path's last. */
static size_t last_joined(const struct walk *w, size_t i)
{
	return (w->p->flags & JSON_PATH_DOTTED) ? w->p->n - 1 : i;
}

int json_path_pair(const struct jval *elem, const char *s, size_t n, unsigned flags, struct jval *val)
{
	static const char *const names[] = { "Name", "name", "displayName", "key", "Key" };
	static const char *const strict[] = { "Value", "NewValue", "value", NULL };
	static const char *const loose[] = { "Value", "NewValue", "newValue", "value", NULL };
	size_t upto = (flags & JSON_PATH_LOOSE) ? 5 : 2;
	struct jval name;
	bool named = false;
	for (size_t k = 0; k < upto && !named; k++)
		named = json_get(elem, names[k], &name) && name.t == JT_STR && key_is(&name, s, n);
	if (!named)
		return -1;
	for (const char *const *k = (flags & JSON_PATH_LOOSE) ? loose : strict; *k; k++)
		if (json_get(elem, *k, val))
			return 1;
	return 0;
}

/* A value the path reached, handed over as text (or as it is). */
static bool reach(struct walk *w, const struct jval *v)
{
	if (v->t == JT_NULL)
		return false;
	if (w->vfn)
		return w->vfn(v, w->ctx);
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
	size_t last = last_joined(w, i), n;
	struct jiter it;
	struct jval k, m;
	if (v->t == JT_OBJ) {
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m))
			for (size_t j = i; j <= last; j++) {
				const char *name = joined(w, i, j, &n);
				if (key_is(&k, name, n) && step(w, j + 1, &m, depth + 1, strings))
					return true;
			}
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
	 * Name is the segment (the longest name first); any other object:
	 * the path goes on inside it */
	json_iter_init(&it, v);
	while (json_iter_next(&it, &k, &m)) {
		if (m.t == JT_OBJ) {
			bool named = false;
			struct jval val;
			for (size_t j = last + 1; j-- > i;) {
				const char *name = joined(w, i, j, &n);
				int r = json_path_pair(&m, name, n, w->p->flags, &val);
				named = named || r >= 0;
				if (r > 0 && step(w, j + 1, &val, depth + 1, strings))
					return true;
			}
			if (named)
				continue;
		} else if (!(w->p->flags & JSON_PATH_LOOSE)) {
			continue;
		}
		if (step(w, i, &m, depth + 1, strings))
			return true;
	}
	return false;
}

bool json_path_each(const struct json_path *p, const struct jval *v, json_path_fn fn, void *ctx)
{
	struct walk w = { p, fn, NULL, ctx };
	return step(&w, 0, v, 0, 0);
}

bool json_path_each_val(const struct json_path *p, const struct jval *v, json_path_val_fn fn, void *ctx)
{
	struct walk w = { p, NULL, fn, ctx };
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
