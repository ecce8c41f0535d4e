/*
 * sigma_match.c: a compiled Sigma field condition (sigma_field_impl.h)
 * against a raw record: wildcard and address-block tests, then the walk.
 * A record is walked once per name the field is looked for under, by
 * the json.PATH walker (json_path.c, read loosely: dotted names, Sigma's
 * pairs), and every value the name reaches is offered to the patterns
 * until one matches; what a value offers (a list's elements, JSON held
 * in a string) is this file's.
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

/* A value a field's name reached (json_path_each_val). */
static bool reached(const struct jval *v, void *ctx)
{
	return leaf(ctx, v, 0);
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
		struct jval val;
		int named = json_path_pair(&m, w->sf->field, fl, JSON_PATH_LOOSE, &val);
		if (named >= 0) {
			if (named > 0 && leaf(w, &val, depth + 1))
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
			if (json_path_each_val(w->fp->jp, rec, reached, w))
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
