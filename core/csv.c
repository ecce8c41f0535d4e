/*
 * csv.c: the two-pass record reader of csv.h.
 */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CSV_WIDE 1
#include <immintrin.h>
#endif

static int simd_allowed = 2;

void csv_set_simd(int widest)
{
	simd_allowed = widest;
}

void csv_init(struct csv *c, struct stream *s, char delim)
{
	memset(c, 0, sizeof *c);
	c->s = s;
	c->delim = delim;
	c->line = 1;
	c->room_col = -1;
}

void csv_set_room(struct csv *c, int col, char *(*room)(void *ctx, size_t n), void *ctx)
{
	c->room_col = room ? col : -1;
	c->room = room;
	c->room_ctx = ctx;
}

void csv_free(struct csv *c)
{
	if (!c)
		return;
	free(c->f);
	free(c->scratch);
	c->f = NULL;
	c->scratch = NULL;
}

/*
 * Quotes in [p, p+n). Pass 1 runs this over every byte of the file (an
 * AuditData cell has a doubled quote every few bytes): sixteen bytes at a
 * time, each quote adding 1 to its byte lane, the lanes summed every 255
 * rounds (before a lane can wrap); eight bytes at a time without SSE2.
 */
static size_t count_quotes(const char *p, size_t n)
{
	size_t cnt = 0, i = 0;
#ifdef __SSE2__
	const __m128i qq = _mm_set1_epi8('"'), zero = _mm_setzero_si128();
	while (i + 16 <= n) {
		__m128i acc = zero;
		size_t stop = n - i >= 255 * 16 ? i + 255 * 16 : i + (n - i) / 16 * 16;
		for (; i < stop; i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, qq)); /* a match is -1 */
		}
		__m128i s = _mm_sad_epu8(acc, zero);
		cnt += (size_t)_mm_cvtsi128_si32(s) + (size_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(s, s));
	}
#else
	const uint64_t q = 0x2222222222222222ULL, lo7 = 0x7F7F7F7F7F7F7F7FULL;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		v ^= q;
		uint64_t t = ~(((v & lo7) + lo7) | v | lo7);
		/* one bit per matching byte, at bit 7 of it: add the bytes up
		 * (no popcount instruction in baseline x86-64) */
		cnt += (size_t)(((t >> 7) * 0x0101010101010101ULL) >> 56);
	}
#endif
	for (; i < n; i++)
		cnt += p[i] == '"';
	return cnt;
}

bool csv_skip_line(struct csv *c)
{
	size_t off = 0;
	for (;;) {
		const char *p = stream_ptr(c->s);
		const char *nl =
			stream_avail(c->s) > off ? memchr(p + off, '\n', stream_avail(c->s) - off) : NULL;
		if (nl) {
			stream_consume(c->s, (size_t)(nl - p) + 1);
			c->line++;
			return true;
		}
		off = stream_avail(c->s);
		int r = stream_need(c->s, off + 1);
		if (r != 0) {
			if (r == 1 && stream_full(c->s)) {
				/* a line past the window: drop what is held, go on */
				stream_consume(c->s, stream_avail(c->s));
				off = 0;
				continue;
			}
			stream_consume(c->s, stream_avail(c->s));
			return false;
		}
	}
}

char csv_sniff_delim(const char *line, size_t n)
{
	size_t comma = 0, semi = 0, tab = 0;
	bool inq = false;
	for (size_t i = 0; i < n && line[i] != '\n'; i++) {
		char ch = line[i];
		if (ch == '"')
			inq = !inq;
		else if (!inq && ch == ',')
			comma++;
		else if (!inq && ch == ';')
			semi++;
		else if (!inq && ch == '\t')
			tab++;
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

static void add_field(struct csv *c, size_t off, size_t n)
{
	c->f = xgrow(c->f, &c->fcap, c->nf + 1, sizeof *c->f);
	/* offsets now, pointers once the scratch stops moving */
	c->f[c->nf].p = (const char *)(uintptr_t)off;
	c->f[c->nf].n = n;
	c->nf++;
}

#ifdef CSV_WIDE
/*
 * The quotes of a 64-byte block of a quoted field's body, m a bit for
 * each. In a run of quotes, each pair is one quote; a run of odd length
 * ends the field with its last quote. The quotes at odd offsets in their
 * runs (the twins) are dropped. Which runs start at an odd offset, and
 * which are of odd length, come from adding each run's start bit to the
 * quote mask: the carry runs through the run and stops just after it. A
 * run reaching the last byte may go on in the next bytes: the block
 * stops at its start. Returns how many bytes the block takes (0: none,
 * a run of 64 quotes), the bytes among them to keep, and whether the
 * last byte taken is the closing quote.
 */
static inline __attribute__((always_inline)) unsigned quote_block(uint64_t m, uint64_t *keep, bool *closed)
{
	const uint64_t even = 0x5555555555555555ULL;
	uint64_t starts = m & ~(m << 1);
	uint64_t lim = ~0ULL; /* the bytes this block may take */
	unsigned nlim = 64;
	if (m >> 63) {
		nlim = 63u - (unsigned)__builtin_clzll(starts);
		if (nlim == 0)
			return 0;
		lim = (1ULL << nlim) - 1;
		m &= lim;
		starts &= lim;
	}
	uint64_t even_carries = m + (starts & even);
	uint64_t odd_carries = m + (starts & ~even);
	uint64_t even_runs = m & ~even_carries; /* quotes of runs starting at an even offset */
	uint64_t odd_runs = m & ~even_runs;
	uint64_t twins = (even_runs & ~even) | (odd_runs & even);
	/* the byte after each run of odd length */
	uint64_t after_odd = (even_carries & ~m & ~even) | (odd_carries & ~m & even);
	if (after_odd) {
		unsigned c = (unsigned)__builtin_ctzll(after_odd) - 1; /* the closing quote */
		*keep = ((1ULL << c) - 1) & ~twins;
		*closed = true;
		return c + 1;
	}
	*keep = lim & ~twins;
	*closed = false;
	return nlim;
}

/*
 * unquote's first part on a CPU with AVX-512 VBMI2: 64 bytes at a time,
 * the twins (quote_block) dropped by one compress. Returns where it
 * stopped; *closed says whether that is just past the closing quote,
 * else the caller goes on from there (fewer than 64 bytes left, or a run
 * of 64 quotes).
 */
__attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi,popcnt"))) static const char *
unquote_wide(const char *p, const char *end, char **wp, bool *closed)
{
	const __m512i qq = _mm512_set1_epi8('"');
	char *w = *wp;
	*closed = false;
	while (end - p >= 64) {
		__m512i v = _mm512_loadu_si512((const void *)p);
		uint64_t m = _mm512_cmpeq_epi8_mask(v, qq);
		if (!m) {
			_mm512_storeu_si512((void *)w, v);
			p += 64;
			w += 64;
			continue;
		}
		uint64_t keep;
		unsigned took = quote_block(m, &keep, closed);
		if (took == 0)
			break;
		_mm512_storeu_si512((void *)w, _mm512_maskz_compress_epi8(keep, v));
		w += __builtin_popcountll(keep);
		p += took;
		if (*closed)
			break;
	}
	*wp = w;
	return p;
}

/* For each 8-bit mask, the offsets of its set bits in order, as the
 * indices of a byte shuffle (0x80 past them: a zero byte). */
static const uint64_t compact8[256] = {
	0x8080808080808080ULL, 0x8080808080808000ULL, 0x8080808080808001ULL, 0x8080808080800100ULL,
	0x8080808080808002ULL, 0x8080808080800200ULL, 0x8080808080800201ULL, 0x8080808080020100ULL,
	0x8080808080808003ULL, 0x8080808080800300ULL, 0x8080808080800301ULL, 0x8080808080030100ULL,
	0x8080808080800302ULL, 0x8080808080030200ULL, 0x8080808080030201ULL, 0x8080808003020100ULL,
	0x8080808080808004ULL, 0x8080808080800400ULL, 0x8080808080800401ULL, 0x8080808080040100ULL,
	0x8080808080800402ULL, 0x8080808080040200ULL, 0x8080808080040201ULL, 0x8080808004020100ULL,
	0x8080808080800403ULL, 0x8080808080040300ULL, 0x8080808080040301ULL, 0x8080808004030100ULL,
	0x8080808080040302ULL, 0x8080808004030200ULL, 0x8080808004030201ULL, 0x8080800403020100ULL,
	0x8080808080808005ULL, 0x8080808080800500ULL, 0x8080808080800501ULL, 0x8080808080050100ULL,
	0x8080808080800502ULL, 0x8080808080050200ULL, 0x8080808080050201ULL, 0x8080808005020100ULL,
	0x8080808080800503ULL, 0x8080808080050300ULL, 0x8080808080050301ULL, 0x8080808005030100ULL,
	0x8080808080050302ULL, 0x8080808005030200ULL, 0x8080808005030201ULL, 0x8080800503020100ULL,
	0x8080808080800504ULL, 0x8080808080050400ULL, 0x8080808080050401ULL, 0x8080808005040100ULL,
	0x8080808080050402ULL, 0x8080808005040200ULL, 0x8080808005040201ULL, 0x8080800504020100ULL,
	0x8080808080050403ULL, 0x8080808005040300ULL, 0x8080808005040301ULL, 0x8080800504030100ULL,
	0x8080808005040302ULL, 0x8080800504030200ULL, 0x8080800504030201ULL, 0x8080050403020100ULL,
	0x8080808080808006ULL, 0x8080808080800600ULL, 0x8080808080800601ULL, 0x8080808080060100ULL,
	0x8080808080800602ULL, 0x8080808080060200ULL, 0x8080808080060201ULL, 0x8080808006020100ULL,
	0x8080808080800603ULL, 0x8080808080060300ULL, 0x8080808080060301ULL, 0x8080808006030100ULL,
	0x8080808080060302ULL, 0x8080808006030200ULL, 0x8080808006030201ULL, 0x8080800603020100ULL,
	0x8080808080800604ULL, 0x8080808080060400ULL, 0x8080808080060401ULL, 0x8080808006040100ULL,
	0x8080808080060402ULL, 0x8080808006040200ULL, 0x8080808006040201ULL, 0x8080800604020100ULL,
	0x8080808080060403ULL, 0x8080808006040300ULL, 0x8080808006040301ULL, 0x8080800604030100ULL,
	0x8080808006040302ULL, 0x8080800604030200ULL, 0x8080800604030201ULL, 0x8080060403020100ULL,
	0x8080808080800605ULL, 0x8080808080060500ULL, 0x8080808080060501ULL, 0x8080808006050100ULL,
	0x8080808080060502ULL, 0x8080808006050200ULL, 0x8080808006050201ULL, 0x8080800605020100ULL,
	0x8080808080060503ULL, 0x8080808006050300ULL, 0x8080808006050301ULL, 0x8080800605030100ULL,
	0x8080808006050302ULL, 0x8080800605030200ULL, 0x8080800605030201ULL, 0x8080060503020100ULL,
	0x8080808080060504ULL, 0x8080808006050400ULL, 0x8080808006050401ULL, 0x8080800605040100ULL,
	0x8080808006050402ULL, 0x8080800605040200ULL, 0x8080800605040201ULL, 0x8080060504020100ULL,
	0x8080808006050403ULL, 0x8080800605040300ULL, 0x8080800605040301ULL, 0x8080060504030100ULL,
	0x8080800605040302ULL, 0x8080060504030200ULL, 0x8080060504030201ULL, 0x8006050403020100ULL,
	0x8080808080808007ULL, 0x8080808080800700ULL, 0x8080808080800701ULL, 0x8080808080070100ULL,
	0x8080808080800702ULL, 0x8080808080070200ULL, 0x8080808080070201ULL, 0x8080808007020100ULL,
	0x8080808080800703ULL, 0x8080808080070300ULL, 0x8080808080070301ULL, 0x8080808007030100ULL,
	0x8080808080070302ULL, 0x8080808007030200ULL, 0x8080808007030201ULL, 0x8080800703020100ULL,
	0x8080808080800704ULL, 0x8080808080070400ULL, 0x8080808080070401ULL, 0x8080808007040100ULL,
	0x8080808080070402ULL, 0x8080808007040200ULL, 0x8080808007040201ULL, 0x8080800704020100ULL,
	0x8080808080070403ULL, 0x8080808007040300ULL, 0x8080808007040301ULL, 0x8080800704030100ULL,
	0x8080808007040302ULL, 0x8080800704030200ULL, 0x8080800704030201ULL, 0x8080070403020100ULL,
	0x8080808080800705ULL, 0x8080808080070500ULL, 0x8080808080070501ULL, 0x8080808007050100ULL,
	0x8080808080070502ULL, 0x8080808007050200ULL, 0x8080808007050201ULL, 0x8080800705020100ULL,
	0x8080808080070503ULL, 0x8080808007050300ULL, 0x8080808007050301ULL, 0x8080800705030100ULL,
	0x8080808007050302ULL, 0x8080800705030200ULL, 0x8080800705030201ULL, 0x8080070503020100ULL,
	0x8080808080070504ULL, 0x8080808007050400ULL, 0x8080808007050401ULL, 0x8080800705040100ULL,
	0x8080808007050402ULL, 0x8080800705040200ULL, 0x8080800705040201ULL, 0x8080070504020100ULL,
	0x8080808007050403ULL, 0x8080800705040300ULL, 0x8080800705040301ULL, 0x8080070504030100ULL,
	0x8080800705040302ULL, 0x8080070504030200ULL, 0x8080070504030201ULL, 0x8007050403020100ULL,
	0x8080808080800706ULL, 0x8080808080070600ULL, 0x8080808080070601ULL, 0x8080808007060100ULL,
	0x8080808080070602ULL, 0x8080808007060200ULL, 0x8080808007060201ULL, 0x8080800706020100ULL,
	0x8080808080070603ULL, 0x8080808007060300ULL, 0x8080808007060301ULL, 0x8080800706030100ULL,
	0x8080808007060302ULL, 0x8080800706030200ULL, 0x8080800706030201ULL, 0x8080070603020100ULL,
	0x8080808080070604ULL, 0x8080808007060400ULL, 0x8080808007060401ULL, 0x8080800706040100ULL,
	0x8080808007060402ULL, 0x8080800706040200ULL, 0x8080800706040201ULL, 0x8080070604020100ULL,
	0x8080808007060403ULL, 0x8080800706040300ULL, 0x8080800706040301ULL, 0x8080070604030100ULL,
	0x8080800706040302ULL, 0x8080070604030200ULL, 0x8080070604030201ULL, 0x8007060403020100ULL,
	0x8080808080070605ULL, 0x8080808007060500ULL, 0x8080808007060501ULL, 0x8080800706050100ULL,
	0x8080808007060502ULL, 0x8080800706050200ULL, 0x8080800706050201ULL, 0x8080070605020100ULL,
	0x8080808007060503ULL, 0x8080800706050300ULL, 0x8080800706050301ULL, 0x8080070605030100ULL,
	0x8080800706050302ULL, 0x8080070605030200ULL, 0x8080070605030201ULL, 0x8007060503020100ULL,
	0x8080808007060504ULL, 0x8080800706050400ULL, 0x8080800706050401ULL, 0x8080070605040100ULL,
	0x8080800706050402ULL, 0x8080070605040200ULL, 0x8080070605040201ULL, 0x8007060504020100ULL,
	0x8080800706050403ULL, 0x8080070605040300ULL, 0x8080070605040301ULL, 0x8007060504030100ULL,
	0x8080070605040302ULL, 0x8007060504030200ULL, 0x8007060504030201ULL, 0x0706050403020100ULL,
};

/* Store the bytes of x that keep (16 bits) names, in order, at w: eight
 * at a time through compact8; the bytes past them are scratch that the
 * next store overwrites. */
__attribute__((target("avx2,popcnt"))) static inline char *compact16(char *w, __m128i x, unsigned keep)
{
	if (keep == 0xffff) {
		_mm_storeu_si128((__m128i *)(void *)w, x);
		return w + 16;
	}
	__m128i idx = _mm_set_epi64x((long long)(compact8[keep >> 8] + 0x0808080808080808ULL),
				     (long long)compact8[keep & 0xff]);
	__m128i r = _mm_shuffle_epi8(x, idx);
	_mm_storel_epi64((__m128i *)(void *)w, r);
	w += __builtin_popcount(keep & 0xff);
	_mm_storel_epi64((__m128i *)(void *)w, _mm_unpackhi_epi64(r, r));
	return w + __builtin_popcount(keep >> 8);
}

/*
 * unquote_wide on a CPU with AVX2 but not AVX-512 (most laptops): the
 * same 64-byte blocks and quote_block, the kept bytes compacted sixteen
 * at a time by a shuffle (compact16). The portable loop stops at every
 * quote, and an AuditData cell has a doubled quote every few bytes.
 * Reading the 200k high-cardinality Purview CSV (367 MB, in memory) with
 * csv_next: portable 0.20-0.22 s of CPU, this 0.13 s, AVX-512 0.10 s;
 * split's instructions under callgrind (which has no AVX-512) -17%.
 */
__attribute__((target("avx2,popcnt"))) static const char *unquote_avx2(const char *p, const char *end,
								       char **wp, bool *closed)
{
	const __m256i qq = _mm256_set1_epi8('"');
	char *w = *wp;
	*closed = false;
	while (end - p >= 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
		uint64_t m = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, qq)) |
			     (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, qq)) << 32;
		if (!m) {
			_mm256_storeu_si256((__m256i *)(void *)w, a);
			_mm256_storeu_si256((__m256i *)(void *)(w + 32), b);
			p += 64;
			w += 64;
			continue;
		}
		uint64_t keep;
		unsigned took = quote_block(m, &keep, closed);
		if (took == 0)
			break;
		w = compact16(w, _mm256_castsi256_si128(a), (unsigned)keep & 0xffff);
		w = compact16(w, _mm256_extracti128_si256(a, 1), (unsigned)(keep >> 16) & 0xffff);
		w = compact16(w, _mm256_castsi256_si128(b), (unsigned)(keep >> 32) & 0xffff);
		w = compact16(w, _mm256_extracti128_si256(b, 1), (unsigned)(keep >> 48));
		p += took;
		if (*closed)
			break;
	}
	*wp = w;
	return p;
}

/* The widest unquoting allowed that the CPU has: 2 AVX-512, 1 AVX2, 0
 * neither. */
static int simd_path(void)
{
	if (simd_allowed >= 2 && __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("avx512bw"))
		return 2;
	if (simd_allowed >= 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
		return 1;
	return 0;
}
#endif

/*
 * Copy a quoted field's body from p (just after its opening quote) to *w,
 * turning "" into ", up to the closing quote. Returns the byte after the
 * closing quote, or NULL if there is none before end. An AuditData cell
 * has a doubled quote every few bytes, so a memchr per quote costs more
 * than it finds: this copies sixteen bytes at a time and only stops at
 * quotes (after unquote_wide or unquote_avx2, where the CPU has them). The scratch has 64
 * bytes of slack for the wide stores: the text written never runs ahead
 * of the text read.
 */
static const char *unquote(const char *p, const char *end, char **wp)
{
#ifdef CSV_WIDE
	int path;
	if (end - p >= 64 && (path = simd_path()) != 0) {
		bool closed;
		p = path == 2 ? unquote_wide(p, end, wp, &closed) : unquote_avx2(p, end, wp, &closed);
		if (closed)
			return p;
	}
#endif
	char *w = *wp;
#ifdef __SSE2__
	const __m128i qq = _mm_set1_epi8('"');
	for (;;) {
		/* sixteen bytes stored as they are; the first quote among them
		 * decides: a doubled one keeps itself and drops its twin (the
		 * mask says whether the next byte is one), a single one ends
		 * the field */
		while (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			_mm_storeu_si128((__m128i *)(void *)w, v);
			unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, qq));
			if (!mask) {
				p += 16;
				w += 16;
				continue;
			}
			unsigned k = (unsigned)__builtin_ctz(mask);
			if (k == 15) {
				p += 15; /* its twin, if any, is past these sixteen */
				w += 15;
				break;
			}
			w += k + 1;
			if (mask & (2u << k)) {
				p += k + 2;
				continue;
			}
			*wp = w - 1;
			return p + k + 1;
		}
		while (p < end && *p != '"')
			*w++ = *p++;
		if (p >= end) {
			*wp = w;
			return NULL;
		}
		/* at a quote */
		if (p + 1 < end && p[1] == '"') {
			*w++ = '"';
			p += 2;
			continue;
		}
		*wp = w;
		return p + 1;
	}
#else
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q) {
			*wp = w;
			return NULL;
		}
		memcpy(w, p, (size_t)(q - p));
		w += q - p;
		p = q + 1;
		if (p < end && *p == '"') {
			*w++ = '"';
			p++;
			continue;
		}
		*wp = w;
		return p;
	}
#endif
}

/*
 * The first delimiter, line break or quote in [p, end), or end: an
 * unquoted field ends at the first, must not hold the second, and the
 * third decides what the record is. One pass sixteen bytes at a time
 * instead of three memchr calls a field (a Purview row has seven short
 * unquoted fields beside its AuditData cell).
 */
static const char *plain_stop(const char *p, const char *end, char d)
{
#ifdef __SSE2__
	const __m128i dd = _mm_set1_epi8(d), nn = _mm_set1_epi8('\n'), qq = _mm_set1_epi8('"');
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, dd), _mm_cmpeq_epi8(v, nn)),
					   _mm_cmpeq_epi8(v, qq));
		unsigned mask = (unsigned)_mm_movemask_epi8(hit);
		if (mask)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#endif
	while (p < end && *p != d && *p != '\n' && *p != '"')
		p++;
	return p;
}

/* One field from p, its text written at *wp: the byte after it (a
 * delimiter or end), or NULL with *why. */
static inline __attribute__((always_inline)) const char *split_field(const char *p, const char *end, char d,
								     bool one_line, char **wp, const char **why)
{
	if (p < end && *p == '"') {
		p = unquote(p + 1, end, wp);
		if (!p) {
			*why = "quoted field does not end";
			return NULL;
		}
		if (p < end && *p != d) {
			*why = "unexpected character after a closing quote";
			return NULL;
		}
		return p;
	}
	/* Only a quoted field may hold a line break: this record was
	 * joined across lines by stray quotes that paired up. A quote here
	 * is text, but on a record's first line it may pair with one on a
	 * later line (one_line: [p, end) has no line break then). */
	const char *q = p;
	for (;;) {
		q = plain_stop(q, end, d);
		if (q == end || *q == d)
			break;
		if (*q == '\n') {
			*why = "line break outside quotes (a stray quote?)";
			return NULL;
		}
		if (one_line) {
			*why = "quote outside quotes";
			return NULL;
		}
		q++;
	}
	memcpy(*wp, p, (size_t)(q - p));
	*wp += q - p;
	return q;
}

/* Split [p, end) into fields in the scratch, field room_col into the
 * room where one is given (csv_set_room). NULL on success, else why.
 * one_line: [p, end) is only the first line of what may be a longer
 * record; a quote outside a quoted field (which could pair with one on
 * a later line) then fails the split, as an unclosed quoted field does,
 * and the caller counts quotes over the lines instead. */
static const char *split(struct csv *c, const char *p, const char *end, bool one_line)
{
	size_t need = (size_t)(end - p) + 64;
	if (c->scap < need) {
		free(c->scratch);
		c->scap = need + need / 4;
		c->scratch = xmalloc(c->scap);
	}
	char *w = c->scratch;
	char d = c->delim;
	const char *why = NULL;
	size_t room_col = (size_t)c->room_col; /* (-1: none) */
	char *room = NULL;
	c->nf = 0;
	for (;;) {
		size_t off = (size_t)(w - c->scratch);
		if (c->nf == room_col && (room = c->room(c->room_ctx, (size_t)(end - p) + 64)) != NULL) {
			/* (the 64 bytes of slack of the wide stores, as the
			 * scratch has); its offset is from the room */
			char *rw = room;
			p = split_field(p, end, d, one_line, &rw, &why);
			if (!p)
				return why;
			add_field(c, 0, (size_t)(rw - room));
			*rw = '\0';
		} else {
			p = split_field(p, end, d, one_line, &w, &why);
			if (!p)
				return why;
			add_field(c, off, (size_t)(w - c->scratch) - off);
			*w++ = '\0';
		}
		if (p >= end)
			break;
		p++; /* the delimiter */
		if (p == end) {
			add_field(c, (size_t)(w - c->scratch), 0);
			*w++ = '\0';
			break;
		}
	}
	for (size_t i = 0; i < c->nf; i++)
		c->f[i].p = c->scratch + (uintptr_t)c->f[i].p;
	if (room && room_col < c->nf)
		c->f[room_col].p = room;
	return NULL;
}

int csv_next(struct csv *c)
{
	struct stream *s = c->s;
	/* Most records are one line whose quotes pair up: split that line
	 * at once (one pass over its bytes). Its quoted fields then each
	 * hold an even number of quotes and the others none, so the quotes
	 * pair up at its newline, where pass 1 below would end the record
	 * too. Anything else (a quoted field going on past the newline, a
	 * stray quote, a line not yet in the window) takes the two passes. */
	if (stream_avail(s) > 0) {
		const char *p = stream_ptr(s);
		stream_prefetch(s);
		const char *nl = memchr(p, '\n', stream_avail(s));
		if (nl) {
			size_t body = (size_t)(nl - p);
			if (body > 0 && p[body - 1] == '\r')
				body--;
			if (!split(c, p, p + body, true)) {
				c->rec_line = c->line;
				c->raw = p;
				c->rawlen = body;
				stream_consume(s, (size_t)(nl - p) + 1);
				c->line++;
				return CSV_ROW;
			}
		}
	}
	size_t off = 0, quotes = 0, lines = 0;
	size_t scanned = 0; /* bytes already searched for a newline */
	size_t first_nl = (size_t)-1;
	size_t rec_end = 0;
	bool at_eof = false;

	/* Pass 1: find the newline at which the quotes pair up. */
	for (;;) {
		const char *p = stream_ptr(s);
		size_t avail = stream_avail(s);
		/* search only the bytes a refill added: a long line read in
		 * small pieces must not be searched again from its start */
		const char *nl = avail > scanned ? memchr(p + scanned, '\n', avail - scanned) : NULL;
		if (!nl) {
			scanned = avail;
			int r = stream_need(s, avail + 1);
			if (r < 0)
				return CSV_IOERR;
			if (r == 1) {
				if (stream_full(s))
					break; /* too long: handled below */
				at_eof = true;
				if (stream_avail(s) == 0)
					return CSV_EOF;
				quotes += count_quotes(stream_ptr(s) + off, stream_avail(s) - off);
				rec_end = stream_avail(s);
				break;
			}
			continue;
		}
		size_t nlo = (size_t)(nl - p);
		quotes += count_quotes(p + off, nlo - off);
		lines++;
		if (first_nl == (size_t)-1)
			first_nl = nlo;
		off = scanned = nlo + 1;
		if ((quotes & 1) == 0) {
			rec_end = nlo;
			break;
		}
	}

	const char *p = stream_ptr(s);
	c->rec_line = c->line;
	if (!at_eof && stream_full(s) && ((quotes & 1) || first_nl == (size_t)-1)) {
		/* The record outgrew the window. Keep its first line (or the
		 * window, when even one line does not fit) and resync. */
		size_t keep = first_nl != (size_t)-1 ? first_nl : stream_avail(s);
		if (first_nl != (size_t)-1 && keep > 0 && p[keep - 1] == '\r')
			keep--;
		c->raw = p;
		c->rawlen = keep;
		c->why = first_nl != (size_t)-1 ? "quoted field does not end before the record size limit"
						: "line longer than the record size limit";
		if (first_nl != (size_t)-1) {
			stream_consume(s, first_nl + 1);
			c->line++;
		} else {
			stream_consume(s, stream_avail(s));
		}
		return CSV_BAD;
	}
	if (at_eof && (quotes & 1)) {
		/* The file ends inside a quoted field: truncated. */
		size_t keep = first_nl != (size_t)-1 ? first_nl : rec_end;
		if (keep > 0 && p[keep - 1] == '\r')
			keep--;
		c->raw = p;
		c->rawlen = keep;
		c->why = "quoted field does not end (truncated file?)";
		stream_consume(s, first_nl != (size_t)-1 ? first_nl + 1 : rec_end);
		c->line++;
		return CSV_BAD;
	}

	size_t consumed = at_eof ? rec_end : rec_end + 1;
	size_t body = rec_end;
	if (body > 0 && p[body - 1] == '\r')
		body--;
	c->raw = p;
	c->rawlen = body;
	const char *why = split(c, p, p + body, false);
	if (why) {
		if (lines > 1 && first_nl != (size_t)-1) {
			size_t k = first_nl;
			if (k > 0 && p[k - 1] == '\r')
				k--;
			c->rawlen = k;
			consumed = first_nl + 1;
			lines = 1;
		}
		c->why = why;
		stream_consume(s, consumed);
		c->line += lines ? lines : 1;
		return CSV_BAD;
	}
	stream_consume(s, consumed);
	c->line += lines ? lines : 1;
	return CSV_ROW;
}
