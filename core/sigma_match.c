/*
 * sigma_match.c: a compiled Sigma field condition (sigma_field_impl.h)
 * against a raw record: wildcard and address-block tests, then the walk.
 * A record is walked once per name the field is looked for under, with
 * json_scan's iterators, and every value the name reaches is offered to
 * the patterns until one matches.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sigma_field_impl.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Tests of one value */

static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t k = *s < 0x80 ? 1 : *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc0 ? 2 : 1;
	return k > left ? left : k;
}


/* Classic two-cursor wildcard match: linear but for the text a STAR
 * retries, never exponential. */
static bool glob_match(const struct pat *p, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
	while (si < n) {
		if (pi < p->nu) {
			int u = p->u[pi];
			if (u == U_STAR) {
				star_p = pi++;
				star_s = si;
				continue;
			}
			if (u == U_ONE) {
				si += utf8_len(s + si, n - si);
				pi++;
				continue;
			}
			unsigned char a = (unsigned char)u, b = s[si];
			if (p->cased ? a == b : lower(a) == lower(b)) {
				si++;
				pi++;
				continue;
			}
		}
		if (star_p == SIZE_MAX)
			return false;
		pi = star_p + 1;
		si = ++star_s;
	}
	while (pi < p->nu && p->u[pi] == U_STAR)
		pi++;
	return pi == p->nu;
}

/* An address as logs write it: "[2001:db8::1]:443", "203.0.113.5:5123",
 * "::ffff:203.0.113.5". */
static bool cidr_contains(const struct cidr *c, const char *ip, size_t n)
{
	char a[64];
	if (n == 0 || n >= sizeof a)
		return false;
	if (ip[0] == '[') {
		const char *close = memchr(ip, ']', n);
		if (!close)
			return false;
		n = (size_t)(close - ip - 1);
		ip++;
	} else {
		const char *colon = memchr(ip, ':', n);
		if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - ip) - 1))
			n = (size_t)(colon - ip);
	}
	memcpy(a, ip, n);
	a[n] = '\0';
	const char *x = a;
	if (c->family == AF_INET && strncasecmp(x, "::ffff:", 7) == 0 && strchr(x + 7, '.'))
		x += 7;
	unsigned char b[16];
	if (inet_pton(c->family, x, b) != 1)
		return false;
	int full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(b, c->addr, (size_t)full) != 0)
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((b[full] & mask) != (c->addr[full] & mask))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Walking a record */

struct walk {
	const struct sigma_field *sf;
	const struct fpath *fp;
	bool found; /* the name reached a value (not null) */
	int result; /* 1 matched, -1 error */
	bool *done; /* all: patterns already met */
	size_t ndone;
	char *err;
	/* explanation */
	const char *why_path;
	char *why_value;
	const char *why_pat;
};

static int pat_test(struct walk *w, struct pat *p, const char *s, size_t n)
{
	switch (p->k) {
	case P_GLOB: return glob_match(p, s, n);
	case P_CIDR: return cidr_contains(&p->net, s, n);
	case P_NUM: {
		double d;
		if (!sigma_parse_number(s, n, &d))
			return 0;
		unsigned m = w->sf->mods;
		return (m & SM_LT)    ? d < p->num
		       : (m & SM_LTE) ? d <= p->num
		       : (m & SM_GT)  ? d > p->num
				      : d >= p->num;
	}
	case P_RE: {
		/* match data of its own: a condition may be tested by several
		 * threads at once (sigma_run.c) */
		pcre2_match_data *md = pcre2_match_data_create(1, NULL);
		int r = md ? pcre2_match(p->re, (PCRE2_SPTR)s, n, 0, 0, md, w->sf->mctx) : PCRE2_ERROR_NOMEMORY;
		pcre2_match_data_free(md);
		if (r >= 0)
			return 1;
		if (r == PCRE2_ERROR_NOMATCH)
			return 0;
		if (!w->err) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(r, msg, sizeof msg);
			w->err = xasprintf("regular expression '%s': %s", p->shown, (char *)msg);
		}
		return -1;
	}
	}
	return 0;
}

/* Offer one value to the patterns; true when the walk can stop. */
static bool offer(struct walk *w, const char *s, size_t n)
{
	w->found = true;
	const struct sigma_field *sf = w->sf;
	if (sf->mods & SM_EXISTS)
		return false;
	for (size_t i = 0; i < sf->npats; i++) {
		if (w->done && w->done[i])
			continue;
		int r = pat_test(w, &sf->pats[i], s, n);
		if (r < 0) {
			w->result = -1;
			return true;
		}
		if (!r)
			continue;
		if (!w->why_value) {
			w->why_path = w->fp ? w->fp->s : "(any field)";
			w->why_value = xstrndup(s, n > 200 ? 200 : n);
			w->why_pat = sf->pats[i].shown;
		}
		if (!w->done) {
			w->result = 1;
			return true;
		}
		w->done[i] = true;
		w->ndone++;
		if (w->ndone == sf->npats) {
			w->result = 1;
			return true;
		}
	}
	return false;
}

static bool offer_str(struct walk *w, const char *s, size_t n)
{
	if (offer(w, s, n))
		return true;
	/* "Add member to role." in the UAL is "Add member to role" elsewhere */
	if (w->fp && w->fp->dot && n > 1 && s[n - 1] == '.')
		return offer(w, s, n - 1);
	return false;
}

static bool key_eq(const struct jval *k, const char *s, size_t n)
{
	if (!k->esc)
		return json_str_len(k) == n && strncasecmp(json_str_ptr(k), s, n) == 0;
	char *t = xmalloc(json_str_len(k) + 1);
	size_t m = json_unescape(k, t);
	bool r = m == n && strncasecmp(t, s, n) == 0;
	free(t);
	return r;
}

static bool any_key_eq(const struct jval *obj, const char *const *keys, const char *s, size_t n,
		       struct jval *out)
{
	for (const char *const *k = keys; *k; k++)
		if (json_get(obj, *k, out) && out->t == JT_STR && key_eq(out, s, n))
			return true;
	return false;
}

static const char *const name_keys[] = { "Name", "name", "displayName", "key", "Key", NULL };
static const char *const value_keys[] = { "Value", "NewValue", "newValue", "value", NULL };

static bool named_value(const struct jval *elem, struct jval *out)
{
	for (const char *const *k = value_keys; *k; k++)
		if (json_get(elem, *k, out))
			return true;
	return false;
}

static bool reach(struct walk *w, const struct jval *v, size_t i, int depth);

/* Does the string look like JSON a serialiser put inside a string? */
static bool json_inside(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	return n >= 2 && (s[0] == '{' || s[0] == '[' || s[0] == '"');
}

/* A value the name reached: strings by their text (and, when they hold
 * JSON, by what is inside), numbers and booleans by their literal,
 * objects by their JSON text, arrays element by element. */
static bool leaf(struct walk *w, const struct jval *v, int depth)
{
	switch (v->t) {
	case JT_NULL:
	case JT_NONE: return false;
	case JT_ARR: {
		w->found = true;
		struct jiter it;
		struct jval k, m;
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m))
			if (leaf(w, &m, depth + 1))
				return true;
		/* and the list as its text: '[]' is how rules name an empty one */
		return offer(w, v->p, v->n);
	}
	case JT_OBJ: return offer(w, v->p, v->n);
	case JT_STR: {
		const char *s = json_str_ptr(v);
		size_t n = json_str_len(v);
		char *t = NULL;
		if (v->esc) {
			t = xmalloc(n + 1);
			n = json_unescape(v, t);
			s = t;
		}
		bool stop = offer_str(w, s, n);
		if (!stop && depth < 6 && json_inside(s, n)) {
			struct jval inner;
			const char *err, *errat;
			if (json_scan_value(s, s + n, &inner, &err, &errat) && inner.t != JT_OBJ)
				stop = leaf(w, &inner, depth + 1);
		}
		free(t);
		return stop;
	}
	default: return offer(w, v->p, v->n);
	}
}

static bool reach_str(struct walk *w, const struct jval *v, size_t i, int depth)
{
	if (depth >= 6)
		return false;
	const char *s = json_str_ptr(v);
	size_t n = json_str_len(v);
	char *t = NULL;
	if (v->esc) {
		t = xmalloc(n + 1);
		n = json_unescape(v, t);
		s = t;
	}
	bool stop = false;
	if (json_inside(s, n)) {
		struct jval inner;
		const char *err, *errat;
		if (json_scan_value(s, s + n, &inner, &err, &errat) && inner.t != JT_STR)
			stop = reach(w, &inner, i, depth + 1);
	}
	free(t);
	return stop;
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Walk segments i.. of w->fp from v. Several segments may form one key
 * ("ConsentContext.IsAdminConsent" is one name in the UAL). */
static bool reach(struct walk *w, const struct jval *v, size_t i, int depth)
{
	const struct fpath *fp = w->fp;
	if (i >= fp->n)
		return leaf(w, v, depth);
	if (depth > 32)
		return false;
	const char *seg = fp->s + fp->off[i];
	struct jiter it;
	struct jval k, m;
	switch (v->t) {
	case JT_OBJ:
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m)) {
			for (size_t j = i; j < fp->n; j++) {
				size_t len = fp->off[j] + fp->len[j] - fp->off[i];
				if (key_eq(&k, seg, len) && reach(w, &m, j + 1, depth + 1))
					return true;
			}
		}
		return false;
	case JT_ARR: {
		if (all_digits(seg, fp->len[i])) {
			long idx = atol(seg), at = 0;
			json_iter_init(&it, v);
			while (json_iter_next(&it, &k, &m))
				if (at++ == idx)
					return reach(w, &m, i + 1, depth + 1);
			return false;
		}
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m)) {
			if (m.t == JT_OBJ) {
				struct jval nm, val;
				bool named = false;
				for (size_t j = fp->n; j-- > i;) {
					size_t len = fp->off[j] + fp->len[j] - fp->off[i];
					if (any_key_eq(&m, name_keys, seg, len, &nm)) {
						named = true;
						if (named_value(&m, &val) && reach(w, &val, j + 1, depth + 1))
							return true;
					}
				}
				if (named)
					continue;
			}
			if (reach(w, &m, i, depth + 1))
				return true;
		}
		return false;
	}
	case JT_STR: return reach_str(w, v, i, depth);
	default: return false;
	}
}

/* The last resort: a {Name, Value} element named by the whole field
 * anywhere in the record. */
static bool named_anywhere(struct walk *w, const struct jval *v, int depth)
{
	if (depth > 8)
		return false;
	struct jiter it;
	struct jval k, m;
	if (v->t == JT_OBJ) {
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m))
			if ((m.t == JT_OBJ || m.t == JT_ARR) && named_anywhere(w, &m, depth + 1))
				return true;
		return false;
	}
	if (v->t != JT_ARR)
		return false;
	size_t fl = strlen(w->sf->field);
	json_iter_init(&it, v);
	while (json_iter_next(&it, &k, &m)) {
		if (m.t != JT_OBJ)
			continue;
		struct jval nm, val;
		if (any_key_eq(&m, name_keys, w->sf->field, fl, &nm)) {
			if (named_value(&m, &val) && leaf(w, &val, depth + 1))
				return true;
			continue;
		}
		if (named_anywhere(w, &m, depth + 1))
			return true;
	}
	return false;
}

/* Keywords: every value anywhere. */
static bool every_value(struct walk *w, const struct jval *v, int depth)
{
	if (depth > 32)
		return false;
	struct jiter it;
	struct jval k, m;
	if (v->t == JT_OBJ || v->t == JT_ARR) {
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m))
			if (every_value(w, &m, depth + 1))
				return true;
		return false;
	}
	return leaf(w, v, depth);
}

static void walk_run(struct walk *w, const struct jval *rec)
{
	const struct sigma_field *sf = w->sf;
	if (sf->mods & SM_ALL && sf->npats > 1) {
		w->done = xcalloc(sf->npats, sizeof *w->done);
	}
	if (!sf->field) {
		w->fp = NULL;
		every_value(w, rec, 0);
	} else {
		for (size_t i = 0; i < sf->npaths && !w->result; i++) {
			w->fp = &sf->paths[i];
			if (reach(w, rec, 0, 0))
				break;
		}
		if (!w->result && !w->found) {
			w->fp = &sf->paths[0];
			named_anywhere(w, rec, 0);
		}
	}
	free(w->done);
	w->done = NULL;
	if (sf->mods & SM_EXISTS && w->result >= 0)
		w->result = w->found == sf->exists_want;
}

int sigma_field_match(const struct sigma_field *sf, const struct jval *rec, char **cause)
{
	struct walk w = { .sf = sf };
	walk_run(&w, rec);
	free(w.why_value);
	if (w.result < 0) {
		if (cause)
			*cause = w.err;
		else
			free(w.err);
		return -1;
	}
	free(w.err);
	return w.result;
}

int sigma_field_match_text(const struct sigma_field *sf, const char *raw, size_t n, char **cause)
{
	struct jval v;
	const char *err, *errat;
	if (!raw || !json_scan_value(raw, raw + n, &v, &err, &errat))
		return 0;
	return sigma_field_match(sf, &v, cause);
}

char *sigma_field_explain(const struct sigma_field *sf, const struct jval *rec)
{
	struct walk w = { .sf = sf };
	walk_run(&w, rec);
	free(w.err);
	char *out = NULL;
	if (w.result == 1) {
		if (sf->mods & SM_EXISTS)
			out = xasprintf("%s %s", sf->field, sf->exists_want ? "exists" : "is absent");
		else if (w.why_value)
			out = xasprintf("%s = %s (pattern %s)", w.why_path, w.why_value, w.why_pat);
	}
	free(w.why_value);
	return out;
}
