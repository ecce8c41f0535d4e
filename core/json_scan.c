/*
 * json_scan.c: validation in one pass, iteration by skipping. See
 * json_scan.h for why this exists beside jansson.
 */
#include "json_scan.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef __SSE2__
/* Bytes that end a string's run: '"', '\\' and controls (the byte loop's
 * table where there is no SSE2). */
static const unsigned char str_stop[256] = {
	[0] = 1,  [1] = 1,  [2] = 1,  [3] = 1,  [4] = 1,  [5] = 1,   [6] = 1,    [7] = 1,  [8] = 1,
	[9] = 1,  [10] = 1, [11] = 1, [12] = 1, [13] = 1, [14] = 1,  [15] = 1,   [16] = 1, [17] = 1,
	[18] = 1, [19] = 1, [20] = 1, [21] = 1, [22] = 1, [23] = 1,  [24] = 1,   [25] = 1, [26] = 1,
	[27] = 1, [28] = 1, [29] = 1, [30] = 1, [31] = 1, ['"'] = 1, ['\\'] = 1,
};
#endif

static inline int is_ws(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/*
 * The hot loops find the next "interesting" byte sixteen at a time with
 * SSE2 (part of every x86-64), falling back to a byte loop elsewhere and
 * for the tail. A record's strings are short, so this mostly saves the
 * per-byte branch, not whole cache lines.
 */
#ifdef __SSE2__
#include <emmintrin.h>

/* Next '"' or '\\' (validated text: no need to look for controls). */
static inline const char *find_quote_or_bs(const char *p, const char *end)
{
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)));
		if (mask)
			return p + __builtin_ctz((unsigned)mask);
		p += 16;
	}
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

/* Next of '"' '{' '}' '[' ']' (the bytes that matter when skipping). */
static inline const char *find_struct(const char *p, const char *end)
{
	const __m128i q = _mm_set1_epi8('"'), ob = _mm_set1_epi8('{'), cb = _mm_set1_epi8('}'),
		      os = _mm_set1_epi8('['), cs = _mm_set1_epi8(']');
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i m =
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, ob)),
				     _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cb), _mm_cmpeq_epi8(v, os)),
						  _mm_cmpeq_epi8(v, cs)));
		int mask = _mm_movemask_epi8(m);
		if (mask)
			return p + __builtin_ctz((unsigned)mask);
		p += 16;
	}
	while (p < end && *p != '"' && *p != '{' && *p != '}' && *p != '[' && *p != ']')
		p++;
	return p;
}
#else
static inline const char *find_quote_or_bs(const char *p, const char *end)
{
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

static inline const char *find_struct(const char *p, const char *end)
{
	while (p < end && *p != '"' && *p != '{' && *p != '}' && *p != '[' && *p != ']')
		p++;
	return p;
}
#endif

const char *json_skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws((unsigned char)*p))
		p++;
	return p;
}

/* json_skip_ws where it runs between every key, colon, value and comma:
 * exports write compact JSON, so the next byte is most often no space
 * (the call and its loop were 4% of a CSV record's parsing) */
static inline const char *ws(const char *p, const char *end)
{
	if (p < end && (unsigned char)*p > ' ')
		return p;
	return json_skip_ws(p, end);
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

struct scan {
	const char *end;
	const char *err;
	const char *errat;
	/* json_scan_object: where the top-level members go (mem), or
	 * json_scan_named: those of the names wanted (byname) */
	struct jmember *mem;
	size_t max, n;
	const struct json_names *names;
	struct jval *byname;
	struct json_ends *ends; /* json_scan_record */
	const char *base;       /* the tape's offsets are from here */
	/* the stop bytes of strings ('"', '\\', controls) in the 64 bytes
	 * from blk, one bit each (stop_window) */
	const char *blk;
	uint64_t bits;
	bool nl;       /* a newline skipped between tokens (json_ends.nl) */
	bool nl_stops; /* and the scan ends there */
};

static const char *fail(struct scan *s, const char *at, const char *why)
{
	s->err = why;
	s->errat = at;
	return NULL;
}

/* ws() in a scan, noting a newline it skips; where newlines stop the
 * scan (json_scan_line) it ends there as if the input did */
__attribute__((noinline)) static const char *sws_skip(struct scan *s, const char *p)
{
	const char *q = json_skip_ws(p, s->end);
	if (!s->nl && q > p && memchr(p, '\n', (size_t)(q - p))) {
		s->nl = true;
		if (s->nl_stops)
			return s->end;
	}
	return q;
}

static inline const char *sws(struct scan *s, const char *p, const char *end)
{
	/* (end: the caller's copy of s->end, which stores through the
	 * tables' pointers would make it load again: 6 M instructions of a
	 * 200k-record CSV load) */
	if (p < end && (unsigned char)*p > ' ')
		return p;
	return sws_skip(s, p);
}

#ifdef __SSE2__
/* The stop bits of the 16 bytes at p. */
static inline uint64_t stop16(const char *p)
{
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1F);
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
				 _mm_cmpeq_epi8(_mm_max_epu8(v, c1f), c1f));
	return (uint64_t)(unsigned)_mm_movemask_epi8(m);
}

static inline uint64_t stop64_sse2(const char *p)
{
	return stop16(p) | stop16(p + 16) << 16 | stop16(p + 32) << 32 | stop16(p + 48) << 48;
}
#endif

/* The same 64 bits in two 32-byte steps where the processor has AVX2
 * (asked at run time: the build targets any x86-64): half the
 * instructions of four SSE2 steps, a window in about 20. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(JSON_SCAN_NO_AVX2)
#include <immintrin.h>
#define JSON_SCAN_AVX2 1
__attribute__((target("avx2"))) static uint64_t stop64_avx2(const char *p)
{
	const __m256i q = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\'), c1f = _mm256_set1_epi8(0x1F);
	__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	__m256i ma = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, q), _mm256_cmpeq_epi8(a, bs)),
				     _mm256_cmpeq_epi8(_mm256_max_epu8(a, c1f), c1f));
	__m256i mb = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, q), _mm256_cmpeq_epi8(b, bs)),
				     _mm256_cmpeq_epi8(_mm256_max_epu8(b, c1f), c1f));
	return (uint64_t)(uint32_t)_mm256_movemask_epi8(ma) | (uint64_t)(uint32_t)_mm256_movemask_epi8(mb)
								      << 32;
}
#endif

/* The stop bits of the 64 bytes at p (all readable). */
static inline uint64_t stop64(const char *p)
{
#ifdef JSON_SCAN_AVX2
	if (__builtin_cpu_supports("avx2"))
		return stop64_avx2(p);
#endif
#ifdef __SSE2__
	return stop64_sse2(p);
#else
	uint64_t b = 0;
	for (size_t i = 0; i < 64; i++)
		if (str_stop[(unsigned char)p[i]])
			b |= (uint64_t)1 << i;
	return b;
#endif
}

/*
 * The window of stop bits from p: the 64 bytes from p (fewer at the
 * end: the bits past it are 0). A record's strings are short and close
 * together (a mail-access record has about 50 in 1.6 KB), so one window
 * serves several of them: finding a string's end is a shift and a
 * count of trailing zeros instead of a 16-byte loop of its own for
 * each (scan_string was 82 instructions a string, 40% of validation).
 */
__attribute__((noinline)) static void stop_window_tail(struct scan *s, const char *p)
{
	size_t left = (size_t)(s->end - p);
	/* the record's last bytes through a copy padded with a byte that
	 * stops nothing: the input may end where the record does */
	char tail[64];
	memset(tail, 'a', sizeof tail);
	memcpy(tail, p, left < 64 ? left : 64);
	s->blk = p;
	s->bits = stop64(tail);
}

static inline void stop_window(struct scan *s, const char *p)
{
	if (s->end - p >= 64) {
		s->blk = p;
		s->bits = stop64(p);
		return;
	}
	stop_window_tail(s, p);
}

/* The window at a scan's start (the first string is in it), so that
 * blk always points into the input. */
static void scan_first_window(struct scan *s, const char *p)
{
	if (p < s->end)
		stop_window(s, p);
}

/* scan_string past its first stop byte, or from where an escape ended. */
static const char *scan_string_slow(struct scan *s, const char *p, bool *esc)
{
	const char *end = s->end;
	for (;;) {
		/* as integers: a p before blk (never) is far from it */
		size_t off = (size_t)((uintptr_t)p - (uintptr_t)s->blk);
		if (off >= 64) {
			if (p >= end)
				return fail(s, end, "unterminated string");
			stop_window(s, p);
			off = 0;
		}
		uint64_t m = s->bits >> off;
		if (!m) {
			/* none in the window: the string goes on past it */
			if (end - s->blk <= 64)
				return fail(s, end, "unterminated string");
			p = s->blk + 64;
			continue;
		}
		p += __builtin_ctzll(m);
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c != '\\')
			return fail(s, p, "control character in string");
		*esc = true;
		if (p + 1 >= end)
			return fail(s, p, "unterminated string");
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't': p += 2; break;
		case 'u':
			if (end - p < 6)
				return fail(s, p, "unterminated string");
			for (int i = 2; i < 6; i++)
				if (hexval((unsigned char)p[i]) < 0)
					return fail(s, p, "bad \\u escape");
			p += 6;
			break;
		default: return fail(s, p, "bad escape in string");
		}
	}
}

/* p at the opening quote. In line where the string ends in the window
 * without an escape (nearly every string): the call, with the escape
 * handling's registers saved and restored, was a third of its cost. */
__attribute__((always_inline)) static inline const char *scan_string(struct scan *s, const char *p, bool *esc)
{
	p++;
	*esc = false;
	size_t off = (size_t)((uintptr_t)p - (uintptr_t)s->blk);
	if (off >= 64 && p < s->end) {
		stop_window(s, p);
		off = 0;
	}
	if (off < 64) {
		uint64_t m = s->bits >> off;
		if (!m && s->end - s->blk > 64) {
			/* it goes on past the window: the next one */
			stop_window(s, s->blk + 64);
			m = s->bits;
			p = s->blk;
		}
		if (m) {
			const char *q = p + __builtin_ctzll(m);
			if (*q == '"')
				return q + 1;
		}
	}
	return scan_string_slow(s, p, esc);
}

static const char *scan_number(struct scan *s, const char *p)
{
	const char *end = s->end, *start = p;
	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return fail(s, start, "bad number");
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return fail(s, start, "bad number");
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail(s, start, "bad number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail(s, start, "bad number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *scan_lit(struct scan *s, const char *p, const char *lit, size_t n)
{
	/* Short input is only "the end" when what is there matches so far:
	 * "[tx]" is a bad literal, "tru" an incomplete one. */
	size_t have = (size_t)(s->end - p);
	if (memcmp(p, lit, have < n ? have : n) != 0)
		return fail(s, p, "invalid literal");
	if (have < n)
		return fail(s, p, "unexpected end of input");
	return p + n;
}

static const char *scan_any(struct scan *s, const char *p, struct jval *v, int depth);
static const char *scan_object(struct scan *s, const char *p, int depth);
static const char *scan_array(struct scan *s, const char *p, int depth);

/*
 * An object or an array (obj), written once and compiled three times
 * (scan_object, scan_array, scan_object_kept) so that each loop tests
 * nothing of the others': the record's own members (keep: handed to the
 * caller, not taped) in a loop of their own took a 200k high-cardinality
 * load's parsing thread from 4,738 to 4,698 M instructions (CSV), 3,740
 * to 3,702 M (JSON Lines). Compact JSON, what exports write, takes the
 * short ways: a ':' right after a key, a ',' or the close right after a
 * value, a key right after the ','; white space anywhere still goes the
 * long way, with the same reasons and places for every error.
 */
__attribute__((always_inline)) static inline const char *
scan_container(struct scan *s, const char *p, int depth, bool obj, bool keep, bool named)
{
	const char *end = s->end;
	/* the kept members' table and count, constant or the loop's alone
	 * through the scan: held in registers, not loaded again after every
	 * member's stores (json_scan_named: byname and max tested, the count
	 * loaded and stored a member) */
	struct jval *const byname = s->byname;
	const struct json_names *const names = s->names;
	const size_t max = s->max;
	size_t nk = s->n;
	const char close = obj ? '}' : ']';
	if (depth >= JSON_MAX_DEPTH)
		return fail(s, p, "nested too deeply");
	size_t slot = SIZE_MAX;
	struct json_ends *e = s->ends;
	uint32_t *link = NULL; /* where the next member's index goes (NULL: not taping) */
	if (e && e->n < JSON_ENDS_MAX) {
		slot = e->n++;
		e->start[slot] = p;
		e->stop[slot] = NULL;
		e->first[slot] = 0;
		e->taped[slot] = false;
		/* the record's own members: json_scan_record hands them out
		 * (mem) and the normalizers take them from there; recording
		 * them again cost more than iterating them saved */
		if (!keep && (depth > 0 || !(s->mem || s->byname)))
			link = &e->first[slot];
	}
	p = sws(s, p + 1, end);
	if (p < end && *p == close) {
		if (slot != SIZE_MAX) {
			e->stop[slot] = p + 1;
			e->taped[slot] = true;
		}
		return p + 1;
	}
	for (;;) {
		const char *kp = p, *kend = p;
		bool kesc = false;
		if (obj) {
			if (p >= end)
				return fail(s, p, "unexpected end of input");
			if (*p != '"')
				return fail(s, p, "expected a member name");
			p = scan_string(s, p, &kesc);
			if (!p)
				return NULL;
			kend = p;
			if (p < end && *p == ':') {
				p++;
			} else {
				p = sws(s, p, end);
				if (p >= end)
					return fail(s, p, "unexpected end of input");
				if (*p != ':')
					return fail(s, p, "expected ':'");
				p++;
			}
		}
		/* a string or a number, most of a record's values, without
		 * scan_any's call and dispatch: json_scan_record 213 -> 199M
		 * instructions on 20k high-cardinality CSV records. The value
		 * is kept as scalars (its start, its type, its escapes; it ends
		 * at p), not as a struct jval whose address scan_any takes:
		 * that kept it in memory, and writing a member to the tape
		 * read it back and packed it (35 instructions a member). */
		if (!(p < end && *p == '"'))
			p = sws(s, p, end);
		const char *vp = p;
		enum jtype vt;
		bool vesc = false;
		if (p < end && *p == '"') {
			p = scan_string(s, p, &vesc);
			if (!p)
				return NULL;
			vt = JT_STR;
		} else if (p < end && *p >= '1' && *p <= '9') {
			/* a plain integer (sizes, counts, types, versions) in
			 * line; a fraction or an exponent the long way */
			p++;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
			if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) {
				p = scan_number(s, vp);
				if (!p)
					return NULL;
			}
			vt = JT_NUM;
		} else if (p < end && (*p == '0' || *p == '-')) {
			p = scan_number(s, p);
			if (!p)
				return NULL;
			vt = JT_NUM;
		} else if (p < end && (*p == '{' || *p == '[')) {
			/* a container straight to its loop, without scan_any's
			 * dispatch (nine a mail-access record) */
			bool o = *p == '{';
			p = o ? scan_object(s, p, depth + 1) : scan_array(s, p, depth + 1);
			if (!p)
				return NULL;
			vt = o ? JT_OBJ : JT_ARR;
		} else if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
			p += 5;
			vt = JT_FALSE;
		} else if (end - p >= 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "null", 4) == 0)) {
			vt = *p == 't' ? JT_TRUE : JT_NULL;
			p += 4;
		} else {
			/* (anything else, and every error, the general way) */
			struct jval w;
			p = scan_any(s, p, &w, depth + 1);
			if (!p)
				return NULL;
			vt = w.t;
			vesc = w.esc;
		}
		if (keep) {
			if (nk < max) {
				/* marked with the record's table here, not in a
				 * second pass (a failed scan's members are not used) */
				s->n = ++nk;
				if (named) {
					unsigned id =
						kesc ? 0
						     : json_names_find(names, kp + 1, (size_t)(kend - kp) - 2);
					/* (0: the first name with an escape) */
					if ((id || kesc) && !byname[id].p)
						byname[id] = (struct jval){ vp, (size_t)(p - vp), vt, vesc, e };
				} else {
					struct jmember *m = &s->mem[nk - 1];
					m->key = (struct jval){ kp, (size_t)(kend - kp), JT_STR, kesc, e };
					m->val = (struct jval){ vp, (size_t)(p - vp), vt, vesc, e };
				}
			}
		} else if (link) {
			if (e->ntape < JSON_TAPE_MAX) {
				struct json_tape *t = &e->tape[e->ntape++];
				t->key = (uint32_t)(kp - s->base);
				t->klen = (uint32_t)(kend - kp);
				t->val = (uint32_t)(vp - s->base);
				t->vlen = (uint32_t)(p - vp);
				t->next = 0;
				t->t = (uint8_t)vt;
				t->esc = (uint8_t)(kesc | vesc << 1);
				*link = (uint32_t)e->ntape;
				link = &t->next;
			} else {
				link = NULL; /* the tape is full: iterated from the text */
			}
		}
		if (p < end && *p == ',') {
			p++;
			if (p<end && * p> ' ')
				continue;
			p = sws(s, p, end);
			continue;
		}
		p = sws(s, p, end);
		if (p >= end)
			return fail(s, p, "unexpected end of input");
		if (*p == close) {
			if (slot != SIZE_MAX) {
				e->stop[slot] = p + 1;
				e->taped[slot] = link != NULL;
			}
			return p + 1;
		}
		if (*p != ',')
			return fail(s, p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		p = sws(s, p + 1, end);
	}
}

static const char *scan_object(struct scan *s, const char *p, int depth)
{
	return scan_container(s, p, depth, true, false, false);
}

/* the record's own members, kept: all of them (mem), or those of the
 * names wanted (byname) */
static const char *scan_object_kept(struct scan *s, const char *p)
{
	return scan_container(s, p, 0, true, true, false);
}

static const char *scan_object_named(struct scan *s, const char *p)
{
	return scan_container(s, p, 0, true, true, true);
}

static const char *scan_array(struct scan *s, const char *p, int depth)
{
	return scan_container(s, p, depth, false, false, false);
}

static const char *scan_any(struct scan *s, const char *p, struct jval *v, int depth)
{
	const char *end = s->end;
	p = sws(s, p, end);
	if (p >= end)
		return fail(s, p, "unexpected end of input");
	const char *start = p;
	v->esc = false;
	v->ends = NULL;
	switch (*p) {
	case '{':
		v->t = JT_OBJ;
		p = depth == 0 && s->byname ? scan_object_named(s, p)
		    : depth == 0 && s->mem  ? scan_object_kept(s, p)
					    : scan_object(s, p, depth);
		break;
	case '[':
		v->t = JT_ARR;
		p = scan_array(s, p, depth);
		break;
	case '"':
		v->t = JT_STR;
		p = scan_string(s, p, &v->esc);
		break;
	case 't':
		v->t = JT_TRUE;
		p = scan_lit(s, p, "true", 4);
		break;
	case 'f':
		v->t = JT_FALSE;
		p = scan_lit(s, p, "false", 5);
		break;
	case 'n':
		v->t = JT_NULL;
		p = scan_lit(s, p, "null", 4);
		break;
	default:
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			v->t = JT_NUM;
			p = scan_number(s, p);
		} else {
			return fail(s, p, "unexpected character");
		}
	}
	if (!p)
		return NULL;
	v->p = start;
	v->n = (size_t)(p - start);
	return p;
}

static const char *scan_record(const char *p, const char *end, struct jval *v, struct jmember *mem,
			       const struct json_names *names, struct jval *byname, size_t max, size_t *n,
			       struct json_ends *ends, bool nl_stops, const char **err, const char **errat)
{
	struct json_ends *table = ends;
	/* offsets on the tape are 32 bits: a record past 4 GiB (never: records
	 * stop at 256 MiB) is not taped */
	if (ends && end - p > (ptrdiff_t)UINT32_MAX)
		ends = NULL;
	struct scan s = { end, NULL, NULL, mem, max, 0, names, byname, ends, p, p, 0, false, nl_stops };
	scan_first_window(&s, p);
	if (ends) {
		ends->n = 0;
		ends->ntape = 0;
		ends->base = p;
		ends->hint = 0;
	}
	const char *r = scan_any(&s, p, v, 0);
	*n = s.n;
	v->ends = NULL;
	if (table)
		table->nl = s.nl;
	if (!r) {
		if (ends)
			ends->n = 0;
		if (err)
			*err = s.err;
		if (errat)
			*errat = s.errat;
		return r;
	}
	if (ends) {
		ends->lo = v->p;
		ends->hi = r;
		v->ends = ends;
	}
	return r;
}

const char *json_scan_record(const char *p, const char *end, struct jval *v, struct jmember *mem, size_t max,
			     size_t *n, struct json_ends *ends, const char **err, const char **errat)
{
	return scan_record(p, end, v, mem, NULL, NULL, max, n, ends, false, err, errat);
}

const char *json_scan_named(const char *p, const char *end, struct jval *v, const struct json_names *names,
			    struct jval *byname, size_t max, size_t *n, struct json_ends *ends,
			    const char **err, const char **errat)
{
	return scan_record(p, end, v, NULL, names, byname, max, n, ends, false, err, errat);
}

const char *json_scan_line(const char *p, const char *end, struct jval *v, struct jmember *mem,
			   const struct json_names *names, struct jval *byname, size_t max, size_t *n,
			   struct json_ends *ends)
{
	return scan_record(p, end, v, names ? NULL : mem, names, names ? byname : NULL, max, n, ends, true,
			   NULL, NULL);
}

void json_names_add(struct json_names *t, unsigned id, const char *name)
{
	size_t n = strlen(name);
	t->len[id] = (unsigned char)n;
	memcpy(t->pad[id], name, n);
	unsigned h = json_names_hash(name, n);
	while (t->slot[h])
		h = (h + 1) & (JSON_NAMES_SLOTS - 1);
	t->slot[h] = (unsigned char)id;
}

const char *json_scan_object(const char *p, const char *end, struct jval *v, struct jmember *mem, size_t max,
			     size_t *n, const char **err, const char **errat)
{
	return json_scan_record(p, end, v, mem, max, n, NULL, err, errat);
}

size_t json_ends_search(const struct json_ends *e, const char *p)
{
	size_t lo = 0, hi = e->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->start[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < e->n && e->start[lo] == p) {
		((struct json_ends *)(uintptr_t)e)->hint = lo;
		return lo;
	}
	return SIZE_MAX;
}

/* Past the container that starts at p, from the table; NULL if it does
 * not have it. */
static const char *ends_find(const struct json_ends *e, const char *p)
{
	size_t i = json_ends_slot(e, p);
	return i == SIZE_MAX ? NULL : e->stop[i];
}

const char *json_scan_value(const char *p, const char *end, struct jval *v, const char **err, const char **errat)
{
	struct scan s = { end, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, p, p, 0, false, false };
	scan_first_window(&s, p);
	const char *r = scan_any(&s, p, v, 0);
	v->ends = NULL;
	if (!r) {
		if (err)
			*err = s.err;
		if (errat)
			*errat = s.errat;
	}
	return r;
}

/* Past the closing quote of the string whose opening quote is at p;
 * *esc set when it holds a backslash. */
static const char *skip_string_esc(const char *p, const char *end, bool *esc)
{
	p++;
	for (;;) {
		p = find_quote_or_bs(p, end);
		if (p >= end)
			return NULL;
		if (*p == '"')
			return p + 1;
		*esc = true;
		p += 2; /* a backslash escapes the next byte */
		if (p > end)
			return NULL;
	}
}

static const char *skip_string(const char *p, const char *end)
{
	bool esc;
	return skip_string_esc(p, end, &esc);
}

const char *json_skip_value(const char *p, const char *end)
{
	p = ws(p, end);
	if (p >= end)
		return NULL;
	char c = *p;
	if (c == '"')
		return skip_string(p, end);
	if (c != '{' && c != '[') {
		/* scalar: runs to a delimiter */
		while (p < end && !is_ws((unsigned char)*p) && *p != ',' && *p != '}' && *p != ']' && *p != ':')
			p++;
		return p < end ? p : NULL;
	}
	int depth = 0;
	while ((p = find_struct(p, end)) < end) {
		c = *p;
		if (c == '"') {
			p = skip_string(p, end);
			if (!p)
				return NULL;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return p + 1;
		}
		p++;
	}
	return NULL;
}

enum { SKIP_WS, SKIP_SCALAR, SKIP_STR, SKIP_IN };

const char *json_skip_more(const char *p, const char *end, struct json_skip *k)
{
	const char *q = p + k->done, *start = q, *r;
	if (q > end)
		return NULL; /* a limit short of where the value was not done yet */
	for (;;) {
		switch (k->phase) {
		case SKIP_WS:
			q = ws(q, end);
			if (q >= end)
				goto more;
			if (*q == '"') {
				k->phase = SKIP_STR;
				q++;
			} else {
				k->phase = *q == '{' || *q == '[' ? SKIP_IN : SKIP_SCALAR;
			}
			continue;
		case SKIP_SCALAR:
			while (q < end && !is_ws((unsigned char)*q) && *q != ',' && *q != '}' && *q != ']' &&
			       *q != ':')
				q++;
			if (q < end) {
				r = q;
				goto done;
			}
			goto more;
		case SKIP_STR:
			for (;;) {
				const char *b = find_quote_or_bs(q, end);
				if (b >= end) {
					q = end;
					goto more;
				}
				if (*b == '"') {
					q = b + 1;
					break;
				}
				if (b + 1 >= end) {
					q = b; /* the backslash again, with what it escapes */
					goto more;
				}
				q = b + 2;
			}
			if (k->depth == 0) {
				r = q;
				goto done;
			}
			k->phase = SKIP_IN;
			continue;
		default: /* SKIP_IN */
			while ((q = find_struct(q, end)) < end) {
				char c = *q;
				if (c == '"')
					break;
				if (c == '{' || c == '[') {
					k->depth++;
				} else if (--k->depth == 0) {
					r = q + 1;
					goto done;
				}
				q++;
			}
			if (q >= end)
				goto more;
			k->phase = SKIP_STR;
			q++;
			continue;
		}
	}
more:
	k->examined += (size_t)(q - start);
	k->done = (size_t)(q - p);
	return NULL;
done:
	k->examined += (size_t)(r - start);
	k->done = (size_t)(r - p);
	return r;
}

/* Cut one value out of validated text: its type from its first byte. */
static const char *cut_value(const char *p, const char *end, const struct json_ends *ends, struct jval *v)
{
	const char *q;
	v->esc = false;
	v->ends = ends;
	switch (*p) {
	case '{': v->t = JT_OBJ; break;
	case '[': v->t = JT_ARR; break;
	case '"': v->t = JT_STR; break;
	case 't': v->t = JT_TRUE; break;
	case 'f': v->t = JT_FALSE; break;
	case 'n': v->t = JT_NULL; break;
	default: v->t = JT_NUM; break;
	}
	if (v->t == JT_STR) {
		/* one pass finds its end and whether it has escapes */
		bool esc = false;
		q = skip_string_esc(p, end, &esc);
		v->esc = q && esc;
	} else if (v->t == JT_NUM || v->t >= JT_TRUE) {
		q = p;
		while (q < end && !is_ws((unsigned char)*q) && *q != ',' && *q != '}' && *q != ']')
			q++;
	} else {
		q = ends_find(ends, p);
		if (!q || q > end + 1)
			q = json_skip_value(p, end + 1);
	}
	if (!q)
		q = end;
	v->p = p;
	v->n = (size_t)(q - p);
	return q;
}

bool json_iter_next_text(struct jiter *it, struct jval *key, struct jval *val)
{
	struct jval unwanted; /* an object's key when the caller passed NULL */
	const char *p = ws(it->p, it->end);
	if (p < it->end && *p == ',')
		p = ws(p + 1, it->end);
	if (p >= it->end)
		return false;
	if (it->obj) {
		p = cut_value(p, it->end, it->ends, key ? key : &unwanted);
		p = ws(p, it->end);
		if (p < it->end && *p == ':')
			p++;
		p = ws(p, it->end);
	} else if (key) {
		key->t = JT_NONE;
		key->p = p;
		key->n = 0;
		key->esc = false;
		key->ends = NULL;
	}
	if (p >= it->end)
		return false;
	it->p = cut_value(p, it->end, it->ends, val);
	return true;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The code point of four hex digits; U+FFFD when one is not a hex digit
 * (validated text never has one, but -1 must not reach a shift). */
static uint32_t hex4(const char *p)
{
	uint32_t cp = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)p[i]);
		if (h < 0)
			return 0xFFFD;
		cp = cp << 4 | (uint32_t)h;
	}
	return cp;
}

size_t json_unescape(const struct jval *s, char *out)
{
	const char *p = json_str_ptr(s), *end = p + json_str_len(s);
	char *o = out;
	if (!s->esc) {
		memcpy(out, p, (size_t)(end - p));
		return (size_t)(end - p);
	}
	while (p < end) {
		const char *b = p;
#ifdef __SSE2__
		/* the run to the next backslash sixteen bytes at a time, each
		 * block stored as read (out never runs ahead of the input, so
		 * it has room for the block), the last few a byte at a time:
		 * the strings unescaped are short (a folder path after its
		 * leading "\\"), and a memchr and a memcpy call a run were
		 * most of their cost */
		const __m128i bs = _mm_set1_epi8('\\');
		while (end - b >= 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)b);
			_mm_storeu_si128((__m128i *)(void *)o, x);
			unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, bs));
			if (m) {
				unsigned k = (unsigned)__builtin_ctz(m);
				b += k;
				o += k;
				goto escape;
			}
			b += 16;
			o += 16;
		}
#endif
		while (b < end && *b != '\\')
			*o++ = *b++;
		if (b >= end)
			break;
#ifdef __SSE2__
	escape:
#endif
		p = b + 1;
		if (p >= end)
			break;
		char c = *p++;
		switch (c) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			if (end - p < 4) {
				p = end;
				break;
			}
			uint32_t cp = hex4(p);
			p += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
					uint32_t lo = hex4(p + 2);
					if (lo >= 0xDC00 && lo <= 0xDFFF) {
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						p += 6;
					} else {
						cp = 0xFFFD;
					}
				} else {
					cp = 0xFFFD;
				}
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			/* \uXXXX is 6 bytes of input and at most 4 of output;
			 * a pair is 12 and 4: never grows. */
			o += put_utf8(o, cp);
			break;
		}
		default: *o++ = c;
		}
	}
	return (size_t)(o - out);
}

bool json_str_eqn(const struct jval *s, const char *lit, size_t n)
{
	if (s->t != JT_STR)
		return false;
	if (!s->esc)
		return json_str_len(s) == n && memcmp(json_str_ptr(s), lit, n) == 0;
	if (json_str_len(s) > 4096)
		return false;
	char buf[4096];
	size_t m = json_unescape(s, buf);
	return m == n && memcmp(buf, lit, n) == 0;
}

bool json_get(const struct jval *obj, const char *key, struct jval *out)
{
	if (obj->t != JT_OBJ)
		return false;
	struct jiter it;
	struct jval k;
	json_iter_init(&it, obj);
	while (json_iter_next(&it, &k, out))
		if (json_str_eq(&k, key))
			return true;
	return false;
}

bool json_get_int_any(const struct jval *v, long long *out)
{
	const char *p, *end;
	if (v->t == JT_NUM) {
		p = v->p;
		end = v->p + v->n;
	} else if (v->t == JT_STR && !v->esc) {
		p = json_str_ptr(v);
		end = p + json_str_len(v);
	} else {
		return false;
	}
	bool neg = false;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return false;
	/* up to 18 digits and nothing else (sizes, counts, record types):
	 * no overflow to test for at each digit */
	if (end - p <= 18) {
		long long x = 0;
		const char *q = p;
		while (q < end && *q >= '0' && *q <= '9')
			x = x * 10 + (*q++ - '0');
		if (q == end) {
			*out = neg ? -x : x;
			return true;
		}
	}
	long long x = 0;
	while (p < end && *p >= '0' && *p <= '9') {
		int d = *p++ - '0';
		if (x > (LLONG_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	/* An exponent scales the number (1.5e2 is 150, not 1): the fraction
	 * digits move into the integer part, then powers of ten. */
	const char *frac = NULL, *fend = NULL;
	if (p < end && *p == '.') {
		frac = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		fend = p;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		bool eneg = p < end && *p == '-';
		if (p < end && (*p == '-' || *p == '+'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return false;
		long long ex = 0;
		while (p < end && *p >= '0' && *p <= '9') {
			if (ex < 100000)
				ex = ex * 10 + (*p - '0');
			p++;
		}
		if (p != end)
			return false;
		for (; !eneg && ex > 0; ex--) {
			int d = frac && frac < fend ? *frac++ - '0' : 0;
			if (x > (LLONG_MAX - d) / 10)
				return false;
			x = x * 10 + d;
		}
		for (; eneg && ex > 0 && x > 0; ex--)
			x /= 10;
	} else if (p != end) {
		return false;
	}
	*out = neg ? -x : x;
	return true;
}
