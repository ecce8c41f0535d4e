/*
 * auditgen.c: synthetic Microsoft 365 / Entra ID audit exports for auditscope.
 *
 * auditscope's parsers, dedup, hunts and benchmarks need exports that look
 * like what responders are handed (core/README.md, "Formats"), at any size, with a
 * known intrusion inside. No public bulk export of MailItemsAccessed exists,
 * so this program makes one: a tenant of U users doing ordinary mail,
 * sign-in, file and admin work over D days, plus a fixed Storm-0558-style
 * intrusion (a never-seen app reading 3-5 mailboxes from foreign IPs, a
 * replayed session, a forwarding rule, an OAuth consent chain, anti-forensics)
 * whose facts go to a JSON manifest that tests assert against.
 *
 * How it fits together:
 *   tenant   users, IPs, sessions and the planted facts, all derived from the seed
 *   stream   events in time order: hour buckets get an exact share of N, and
 *            each background event's content comes from an RNG keyed by its
 *            global index, so content never depends on the output format or
 *            on which other files are written; planted events are merged in
 *   render   one event -> its AuditData JSON (compact, built once) plus the
 *            pieces other wrappers need (Sentinel's JSON-in-strings, Entra
 *            sign-in and directory-audit fields)
 *   writers  one per wrapper format; the bundle feeds one stream to many
 *            writers with time windows, so a record present in two files has
 *            byte-identical AuditData there (that is what dedup relies on)
 *
 * Deterministic: own PRNG (splitmix64 + xoshiro256**), no rand(), no clock,
 * no locale. Fast: no per-field malloc, buffers reused per event, 1 MiB stdio
 * buffers, hand-rolled number and date formatting.
 *
 * Depends on libc and libm only; built by the Makefile as build/auditgen.
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define AUDITGEN_VERSION "1.0"

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

static const char *progname = "auditgen";

static void die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* Exit 1 for run-time failures, 2 for usage errors (as auditscope does). */
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die(1, "out of memory (%zu bytes)", n);
	return q;
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		die(1, "out of memory");
	return p;
}

/* ------------------------------------------------------------------ */
/* Growable byte buffer: every record is assembled in one of these.    */
/* ------------------------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

static inline void buf_putc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_reserve(b, 1);
	b->p[b->len++] = c;
}

static inline void buf_put(struct buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void buf_u64(struct buf *b, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_reserve(b, (size_t)n);
	while (n)
		b->p[b->len++] = tmp[--n];
}

static void buf_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_putc(b, '-');
		buf_u64(b, (uint64_t)(-(v + 1)) + 1);
	} else {
		buf_u64(b, (uint64_t)v);
	}
}

static void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64 to seed and to hash, xoshiro256** to draw.         */
/* ------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Stable 64-bit hash of a few integers: how every derived identifier
 * (session of a user on a day, folder id of a mailbox, ...) is made, so that
 * it is the same wherever and whenever it is needed. */
static uint64_t hash2(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ (b * 0xd6e8feb86659fd93ULL);
	splitmix64(&x);
	return splitmix64(&x);
}

static uint64_t hash3(uint64_t a, uint64_t b, uint64_t c)
{
	return hash2(hash2(a, b), c);
}

static uint64_t hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	return hash2(hash3(a, b, c), d);
}

struct rng {
	uint64_t s[4];
};

static void rng_init(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return result;
}

/* Uniform in [0, n) by multiply-shift (bias is far below anything visible). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

static inline int rng_range(struct rng *r, int lo, int hi)
{
	return lo + (int)rng_below(r, (uint32_t)(hi - lo + 1));
}

static inline double rng_unit(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

static inline int rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* ------------------------------------------------------------------ */
/* Identifiers                                                         */
/* ------------------------------------------------------------------ */

static const char HEXL[] = "0123456789abcdef";
static const char HEXU[] = "0123456789ABCDEF";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A lower-case version-4 GUID from 128 bits. out holds 37 bytes. */
static void guid_fmt(char *out, uint64_t hi, uint64_t lo)
{
	hi = (hi & ~0xf000ULL) | 0x4000ULL;
	lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
	int o = 0;
	for (int i = 0; i < 16; i++) {
		uint64_t w = i < 8 ? hi : lo;
		unsigned byte = (unsigned)(w >> (56 - 8 * (i & 7))) & 0xff;
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = HEXL[byte >> 4];
		out[o++] = HEXL[byte & 15];
	}
	out[o] = 0;
}

static void guid_rng(char *out, struct rng *r)
{
	uint64_t a = rng_u64(r), b = rng_u64(r);
	guid_fmt(out, a, b);
}

static void guid_hash(char *out, uint64_t h)
{
	uint64_t x = h;
	uint64_t a = splitmix64(&x), b = splitmix64(&x);
	guid_fmt(out, a, b);
}

/* Entra session ids of the current service start with "00" (see the real
 * InteractiveSignIns export); the UAL carries the same value. */
static void session_id_fmt(char *out, uint64_t h)
{
	guid_hash(out, h);
	out[0] = '0';
	out[1] = '0';
}

/* uniqueTokenIdentifier / UniqueTokenId: 16 bytes, last one zero, in
 * unpadded base64url, hence 22 characters ending "AA" as in real logs. */
static void token_id_fmt(char *out, uint64_t h)
{
	uint8_t b[18];
	uint64_t x = h;
	uint64_t a = splitmix64(&x), c = splitmix64(&x);
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(a >> (8 * i));
		b[8 + i] = (uint8_t)(c >> (8 * i));
	}
	b[15] = 0;
	b[16] = b[17] = 0;
	int o = 0;
	for (int i = 0; i < 18 && o < 22; i += 3) {
		uint32_t v = ((uint32_t)b[i] << 16) | ((uint32_t)b[i + 1] << 8) | b[i + 2];
		out[o++] = B64URL[(v >> 18) & 63];
		if (o < 22)
			out[o++] = B64URL[(v >> 12) & 63];
		if (o < 22)
			out[o++] = B64URL[(v >> 6) & 63];
		if (o < 22)
			out[o++] = B64URL[v & 63];
	}
	out[22] = 0;
}

/* Record ids. Exchange and SharePoint ids end in a group starting "08db",
 * Entra STS logon ids are request ids ending in "00": both as in real data. */
static void record_id_fmt(char *out, uint64_t h, int style)
{
	guid_hash(out, h);
	if (style == 1) { /* Exchange / SharePoint */
		memcpy(out + 24, "08db", 4);
	} else if (style == 2) { /* Entra request id */
		out[34] = '0';
		out[35] = '0';
	}
}

static void hex_fmt(char *out, uint64_t h, int n, int upper)
{
	const char *d = upper ? HEXU : HEXL;
	uint64_t x = h;
	uint64_t w = splitmix64(&x);
	for (int i = 0; i < n; i++) {
		if (i && (i & 15) == 0)
			w = splitmix64(&x);
		out[i] = d[(w >> (4 * (i & 15))) & 15];
	}
	out[n] = 0;
}

static void b64_fmt(char *out, uint64_t h, int n, const char *alpha)
{
	uint64_t x = h;
	uint64_t w = splitmix64(&x);
	for (int i = 0; i < n; i++) {
		if (i && i % 10 == 0)
			w = splitmix64(&x);
		out[i] = alpha[(w >> (6 * (i % 10))) & 63];
	}
	out[n] = 0;
}

/* ------------------------------------------------------------------ */
/* Time: UTC only, civil-date arithmetic without the C library's tz.   */
/* ------------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

struct dt {
	int y, mo, d, h, mi, s;
};

static void dt_from(int64_t t, struct dt *o)
{
	int64_t z = t / 86400, r = t % 86400;
	if (r < 0) {
		r += 86400;
		z--;
	}
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	o->y = (int)(y + (m <= 2));
	o->mo = (int)m;
	o->d = (int)d;
	o->h = (int)(r / 3600);
	o->mi = (int)(r / 60 % 60);
	o->s = (int)(r % 60);
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static char *put4(char *p, int v)
{
	p[0] = (char)('0' + v / 1000 % 10);
	p[1] = (char)('0' + v / 100 % 10);
	p[2] = (char)('0' + v / 10 % 10);
	p[3] = (char)('0' + v % 10);
	return p + 4;
}

static char *put_int(char *p, int v)
{
	if (v >= 10)
		p = put_int(p, v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* "2023-06-16T10:00:00": UAL CreationTime (UTC, no Z, no fraction). */
static size_t fmt_iso(char *o, int64_t t)
{
	struct dt d;
	dt_from(t, &d);
	char *p = o;
	p = put4(p, d.y);
	*p++ = '-';
	p = put2(p, d.mo);
	*p++ = '-';
	p = put2(p, d.d);
	*p++ = 'T';
	p = put2(p, d.h);
	*p++ = ':';
	p = put2(p, d.mi);
	*p++ = ':';
	p = put2(p, d.s);
	*p = 0;
	return (size_t)(p - o);
}

/* "2023-06-16T10:00:00Z": Graph and Sentinel. */
static size_t fmt_isoz(char *o, int64_t t)
{
	size_t n = fmt_iso(o, t);
	o[n++] = 'Z';
	o[n] = 0;
	return n;
}

/* "9/26/2023 1:56:15 AM": en-US culture, older Purview exports and
 * PowerShell on an en-US machine. */
static size_t fmt_us(char *o, int64_t t)
{
	struct dt d;
	dt_from(t, &d);
	char *p = o;
	p = put_int(p, d.mo);
	*p++ = '/';
	p = put_int(p, d.d);
	*p++ = '/';
	p = put4(p, d.y);
	*p++ = ' ';
	int h12 = d.h % 12 == 0 ? 12 : d.h % 12;
	p = put_int(p, h12);
	*p++ = ':';
	p = put2(p, d.mi);
	*p++ = ':';
	p = put2(p, d.s);
	*p++ = ' ';
	*p++ = d.h < 12 ? 'A' : 'P';
	*p++ = 'M';
	*p = 0;
	return (size_t)(p - o);
}

/* "2026-01-24T06:54:24.0000000Z " with the trailing space newer Purview
 * exports really write. */
static size_t fmt_iso7(char *o, int64_t t)
{
	size_t n = fmt_iso(o, t);
	memcpy(o + n, ".0000000Z ", 10);
	n += 10;
	o[n] = 0;
	return n;
}

/* "26.09.2023 01:56:15": de-DE culture (Export-Csv on a German machine). */
static size_t fmt_de(char *o, int64_t t)
{
	struct dt d;
	dt_from(t, &d);
	char *p = o;
	p = put2(p, d.d);
	*p++ = '.';
	p = put2(p, d.mo);
	*p++ = '.';
	p = put4(p, d.y);
	*p++ = ' ';
	p = put2(p, d.h);
	*p++ = ':';
	p = put2(p, d.mi);
	*p++ = ':';
	p = put2(p, d.s);
	*p = 0;
	return (size_t)(p - o);
}

static int parse_date(const char *s, int64_t *out)
{
	int y, m, d;
	char tail;
	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return -1;
	if (y < 1971 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*out = days_from_civil(y, (unsigned)m, (unsigned)d) * 86400;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Compact JSON writer                                                 */
/* ------------------------------------------------------------------ */

/*
 * Appends compact JSON to a buf, handling commas with one bit per nesting
 * level. slash=1 escapes '/' as "\/", as the Exchange and Entra services do
 * in AuditData (SharePoint does not): readers must accept both.
 */
struct jw {
	struct buf *b;
	uint64_t nonempty;
	int depth;
	int slash;
};

static void jw_init(struct jw *w, struct buf *b, int slash)
{
	w->b = b;
	w->nonempty = 0;
	w->depth = 0;
	w->slash = slash;
}

static void json_escape(struct buf *b, const char *s, size_t n, int slash)
{
	buf_reserve(b, n + 2);
	b->p[b->len++] = '"';
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		char u[7];
		if (c == '"')
			rep = "\\\"";
		else if (c == '\\')
			rep = "\\\\";
		else if (c == '/' && slash)
			rep = "\\/";
		else if (c == '\n')
			rep = "\\n";
		else if (c == '\r')
			rep = "\\r";
		else if (c == '\t')
			rep = "\\t";
		else if (c < 0x20) {
			u[0] = '\\';
			u[1] = 'u';
			u[2] = '0';
			u[3] = '0';
			u[4] = HEXL[c >> 4];
			u[5] = HEXL[c & 15];
			u[6] = 0;
			rep = u;
		}
		if (rep) {
			buf_put(b, s + start, i - start);
			buf_puts(b, rep);
			start = i + 1;
		}
	}
	buf_put(b, s + start, n - start);
	buf_putc(b, '"');
}

static inline void jw_sep(struct jw *w)
{
	uint64_t bit = 1ULL << w->depth;
	if (w->nonempty & bit)
		buf_putc(w->b, ',');
	else
		w->nonempty |= bit;
}

static inline void jw_key(struct jw *w, const char *k)
{
	jw_sep(w);
	if (k) {
		size_t n = strlen(k);
		buf_reserve(w->b, n + 3);
		w->b->p[w->b->len++] = '"';
		memcpy(w->b->p + w->b->len, k, n);
		w->b->len += n;
		w->b->p[w->b->len++] = '"';
		w->b->p[w->b->len++] = ':';
	}
}

static void jw_open(struct jw *w, const char *k, char c)
{
	jw_key(w, k);
	buf_putc(w->b, c);
	w->depth++;
	w->nonempty &= ~(1ULL << w->depth);
}

static void jw_close(struct jw *w, char c)
{
	buf_putc(w->b, c);
	w->depth--;
}

static void jw_str(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	json_escape(w->b, v, strlen(v), w->slash);
}

static void jw_strn(struct jw *w, const char *k, const char *v, size_t n)
{
	jw_key(w, k);
	json_escape(w->b, v, n, w->slash);
}

static void jw_int(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	buf_i64(w->b, v);
}

/* One {"ID": id, "Type": type} element of an Entra audit record's Actor
 * or Target array. */
static void jw_id_type(struct jw *w, const char *id, int type)
{
	jw_open(w, NULL, '{');
	jw_str(w, "ID", id);
	jw_int(w, "Type", type);
	jw_close(w, '}');
}

/* The three ids that name a user object in those arrays. */
static void jw_user_object_ids(struct jw *w, const char *oid)
{
	char tmp[80];
	snprintf(tmp, sizeof tmp, "User_%s", oid);
	jw_id_type(w, tmp, 2);
	jw_id_type(w, oid, 2);
	jw_id_type(w, "User", 2);
}

static void jw_bool(struct jw *w, const char *k, int v)
{
	jw_key(w, k);
	buf_puts(w->b, v ? "true" : "false");
}

static void jw_null(struct jw *w, const char *k)
{
	jw_key(w, k);
	buf_puts(w->b, "null");
}

/* Already-serialised JSON (a sub-object built once, reused verbatim). */
static void jw_raw(struct jw *w, const char *k, const char *v, size_t n)
{
	jw_key(w, k);
	buf_put(w->b, v, n);
}

static void jw_real(struct jw *w, const char *k, double v)
{
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%.5f", v);
	jw_key(w, k);
	buf_puts(w->b, tmp);
}

/* {"Name":n,"Value":v} as UAL detail arrays are made. */
static void jw_nv(struct jw *w, const char *n, const char *v)
{
	jw_open(w, NULL, '{');
	jw_str(w, "Name", n);
	jw_str(w, "Value", v);
	jw_close(w, '}');
}

/* ------------------------------------------------------------------ */
/* Re-indenting compact JSON: --pretty, --formatted, PowerShell layout */
/* ------------------------------------------------------------------ */

enum { JS_STD, JS_PS };

static void put_spaces(struct buf *o, size_t n)
{
	buf_reserve(o, n);
	memset(o->p + o->len, ' ', n);
	o->len += n;
}

/*
 * Rewrite compact JSON (our own output: no whitespace outside strings) with
 * line breaks. JS_STD: `unit` spaces a level, "key": value. JS_PS: Windows
 * PowerShell 5.1 ConvertTo-Json, as the realdata Graph sign-in file shows:
 * "key":  value (two spaces), children 4 columns right of their bracket,
 * empty arrays as "[\n\n   ]", and < > ' & written as \u003c etc.
 * col0 is the column where the first character lands (records nested in a
 * top-level array start at 4).
 */
static void json_reindent(struct buf *o, const char *s, size_t n, int style, int unit, size_t col0,
			  const char *eol)
{
	size_t stack[64] = {0}; /* the column each open container began at */
	int depth = 0;
	size_t col = col0;
	size_t eoln = strlen(eol);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '"') {
			/* copy the string through, escapes and all */
			size_t j = i + 1;
			buf_putc(o, '"');
			col++;
			while (j < n && s[j] != '"') {
				if (s[j] == '\\' && j + 1 < n) {
					buf_put(o, s + j, 2);
					col += 2;
					j += 2;
					continue;
				}
				unsigned char uc = (unsigned char)s[j];
				if (style == JS_PS && (uc == '<' || uc == '>' || uc == '\'' || uc == '&')) {
					char u[7] = {'\\',          'u',           '0', '0',
						     HEXL[uc >> 4], HEXL[uc & 15], 0};
					buf_put(o, u, 6);
					col += 6;
				} else {
					buf_putc(o, (char)uc);
					if ((uc & 0xc0) != 0x80)
						col++;
				}
				j++;
			}
			buf_putc(o, '"');
			col++;
			i = j;
			continue;
		}
		if (c == '{' || c == '[') {
			char close = c == '{' ? '}' : ']';
			size_t here = col;
			if (i + 1 < n && s[i + 1] == close) {
				if (style == JS_PS) {
					buf_putc(o, c);
					buf_put(o, eol, eoln);
					buf_put(o, eol, eoln);
					put_spaces(o, here);
					buf_putc(o, close);
					col = here + 1;
				} else {
					buf_putc(o, c);
					buf_putc(o, close);
					col += 2;
				}
				i++;
				continue;
			}
			if (depth < 63)
				stack[depth] = here;
			depth++;
			buf_putc(o, c);
			buf_put(o, eol, eoln);
			size_t ind = style == JS_PS ? here + 4 : col0 + (size_t)depth * (size_t)unit;
			put_spaces(o, ind);
			col = ind;
			continue;
		}
		if (c == '}' || c == ']') {
			if (depth > 0) /* a close with nothing open stays at the top */
				depth--;
			size_t ind = style == JS_PS ? stack[depth < 63 ? depth : 62]
						    : col0 + (size_t)depth * (size_t)unit;
			buf_put(o, eol, eoln);
			put_spaces(o, ind);
			buf_putc(o, c);
			col = ind + 1;
			continue;
		}
		if (c == ',') {
			buf_putc(o, ',');
			buf_put(o, eol, eoln);
			int in = depth > 0 ? depth - 1 : 0;
			size_t ind = style == JS_PS ? stack[in < 63 ? in : 62] + 4
						    : col0 + (size_t)depth * (size_t)unit;
			put_spaces(o, ind);
			col = ind;
			continue;
		}
		if (c == ':') {
			if (style == JS_PS) {
				buf_put(o, ":  ", 3);
				col += 3;
			} else {
				buf_put(o, ": ", 2);
				col += 2;
			}
			continue;
		}
		buf_putc(o, c);
		col++;
	}
}

/* ------------------------------------------------------------------ */
/* Output sink: stdio with a big buffer, optional UTF-16LE transcoding */
/* ------------------------------------------------------------------ */

struct sink {
	FILE *f;
	const char *path;
	int utf16;
	struct buf tmp;
	uint64_t bytes;
};

static void sink_open(struct sink *s, const char *path, int utf16, int bom8)
{
	memset(s, 0, sizeof *s);
	s->path = path;
	s->utf16 = utf16;
	if (!path || strcmp(path, "-") == 0) {
		s->f = stdout;
		s->path = "(stdout)";
	} else {
		s->f = fopen(path, "wb");
		if (!s->f)
			die(1, "%s: %s", path, strerror(errno));
	}
	/* 1 MiB: the generator writes gigabytes, and small writes dominate */
	setvbuf(s->f, NULL, _IOFBF, 1 << 20);
	if (utf16) {
		static const unsigned char bom[2] = {0xff, 0xfe};
		fwrite(bom, 1, 2, s->f);
		s->bytes += 2;
	} else if (bom8) {
		static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
		fwrite(bom, 1, 3, s->f);
		s->bytes += 3;
	}
}

/* UTF-8 -> UTF-16LE. Our text is valid UTF-8 by construction; a stray byte
 * is written as U+FFFD rather than trusted. */
static void utf16_append(struct buf *o, const char *p, size_t n)
{
	buf_reserve(o, n * 2 + 4);
	const unsigned char *s = (const unsigned char *)p;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		unsigned char c = s[i];
		if (c < 0x80) {
			cp = c;
			i++;
		} else if ((c & 0xe0) == 0xc0 && i + 1 < n) {
			cp = ((uint32_t)(c & 0x1f) << 6) | (s[i + 1] & 0x3f);
			i += 2;
		} else if ((c & 0xf0) == 0xe0 && i + 2 < n) {
			cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[i + 1] & 0x3f) << 6) |
			     (s[i + 2] & 0x3f);
			i += 3;
		} else if ((c & 0xf8) == 0xf0 && i + 3 < n) {
			cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3f) << 12) |
			     ((uint32_t)(s[i + 2] & 0x3f) << 6) | (s[i + 3] & 0x3f);
			i += 4;
		} else {
			cp = 0xfffd;
			i++;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			uint32_t hi = 0xd800 + (cp >> 10), lo = 0xdc00 + (cp & 0x3ff);
			buf_reserve(o, 4);
			o->p[o->len++] = (char)(hi & 0xff);
			o->p[o->len++] = (char)(hi >> 8);
			o->p[o->len++] = (char)(lo & 0xff);
			o->p[o->len++] = (char)(lo >> 8);
		} else {
			buf_reserve(o, 2);
			o->p[o->len++] = (char)(cp & 0xff);
			o->p[o->len++] = (char)(cp >> 8);
		}
	}
}

static void sink_put(struct sink *s, const char *p, size_t n)
{
	if (s->utf16) {
		s->tmp.len = 0;
		utf16_append(&s->tmp, p, n);
		p = s->tmp.p;
		n = s->tmp.len;
	}
	if (n && fwrite(p, 1, n, s->f) != n)
		die(1, "%s: write failed: %s", s->path, strerror(errno));
	s->bytes += n;
}

static void sink_puts(struct sink *s, const char *p)
{
	sink_put(s, p, strlen(p));
}

static void sink_close(struct sink *s)
{
	if (fflush(s->f) != 0 || ferror(s->f))
		die(1, "%s: write failed: %s", s->path, strerror(errno));
	if (s->f != stdout && fclose(s->f) != 0)
		die(1, "%s: close failed: %s", s->path, strerror(errno));
	buf_free(&s->tmp);
}

/* ------------------------------------------------------------------ */
/* CSV cells                                                           */
/* ------------------------------------------------------------------ */

/* RFC 4180: quote when forced or when the cell holds the delimiter, a quote
 * or a line break; double embedded quotes. */
static void csv_cell(struct buf *b, const char *s, size_t n, int force, char delim)
{
	int need = force;
	if (!need) {
		for (size_t i = 0; i < n; i++) {
			char c = s[i];
			if (c == '"' || c == delim || c == '\n' || c == '\r') {
				need = 1;
				break;
			}
		}
	}
	if (!need) {
		buf_put(b, s, n);
		return;
	}
	buf_reserve(b, n + n / 8 + 2);
	buf_putc(b, '"');
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			buf_put(b, s + start, i + 1 - start);
			buf_putc(b, '"');
			start = i + 1;
		}
	}
	buf_put(b, s + start, n - start);
	buf_putc(b, '"');
}

static void csv_cells(struct buf *b, const char *s, int force, char delim)
{
	csv_cell(b, s, strlen(s), force, delim);
}

/* ------------------------------------------------------------------ */
/* Static tables: people, places, apps, clients                        */
/* ------------------------------------------------------------------ */

struct name {
	const char *display, *ascii;
};

/* Display names carry accents and an apostrophe on purpose: encodings,
 * UTF-16 transcoding and quoting must survive them. */
static const struct name FIRST[] = {
	{"Adele", "adele"},     {"Alex", "alex"},       {"Amara", "amara"},         {"Ben", "ben"},
	{"Chloé", "chloe"},     {"Daniel", "daniel"},   {"Diego", "diego"},         {"Émile", "emile"},
	{"Fatima", "fatima"},   {"Grace", "grace"},     {"Hannah", "hannah"},       {"Ingrid", "ingrid"},
	{"Isaiah", "isaiah"},   {"Jonas", "jonas"},     {"Joni", "joni"},           {"Kenji", "kenji"},
	{"Lena", "lena"},       {"Lidia", "lidia"},     {"Marta", "marta"},         {"Megan", "megan"},
	{"Nikolai", "nikolai"}, {"Nestor", "nestor"},   {"Olivia", "olivia"},       {"Priya", "priya"},
	{"Quentin", "quentin"}, {"Rosa", "rosa"},       {"Samir", "samir"},         {"Søren", "soren"},
	{"Tomás", "tomas"},     {"Uma", "uma"},         {"Victor", "victor"},       {"Wei", "wei"},
	{"Yusuf", "yusuf"},     {"Zoë", "zoe"},         {"Patti", "patti"},         {"Lynne", "lynne"},
	{"Miriam", "miriam"},   {"Pradeep", "pradeep"}, {"Henrietta", "henrietta"}, {"Diego", "diego"},
};
static const struct name LAST[] = {
	{"Anders", "anders"},   {"Bowen", "bowen"},           {"Castillo", "castillo"},
	{"Dubois", "dubois"},   {"Eriksen", "eriksen"},       {"Fischer", "fischer"},
	{"García", "garcia"},   {"Hoffmann", "hoffmann"},     {"Ivanova", "ivanova"},
	{"Jensen", "jensen"},   {"Kowalski", "kowalski"},     {"Lindqvist", "lindqvist"},
	{"Müller", "muller"},   {"Nakamura", "nakamura"},     {"O'Brien", "obrien"},
	{"Patel", "patel"},     {"Quinn", "quinn"},           {"Rossi", "rossi"},
	{"Schmidt", "schmidt"}, {"Tanaka", "tanaka"},         {"Umarov", "umarov"},
	{"Varga", "varga"},     {"Walsh", "walsh"},           {"Xu", "xu"},
	{"Yilmaz", "yilmaz"},   {"Zimmermann", "zimmermann"}, {"Langer", "langer"},
	{"Sherman", "sherman"}, {"Fernandes", "fernandes"},   {"Gupta", "gupta"},
};

/* Home networks. Addresses are synthetic inside real-looking ISP prefixes;
 * the planted intrusion alone uses documentation ranges and ASNs. */
struct isp {
	int a, b_lo, b_hi;
	const char *v6;
	int asn;
	const char *city, *state, *cc;
	double lat, lon;
};
static const struct isp ISPS[] = {
	{73, 96, 127, "2601:602", 7922, "Seattle", "Washington", "US", 47.6062, -122.3321},
	{98, 0, 63, "2600:1700", 7018, "Dallas", "Texas", "US", 32.7767, -96.7970},
	{24, 16, 31, "2603:6000", 11427, "Austin", "Texas", "US", 30.2672, -97.7431},
	{87, 128, 191, "2003:e2", 3320, "München", "Bayern", "DE", 48.1374, 11.5755},
	{86, 192, 223, "2a01:e0a", 12322, "Lyon", "Auvergne-Rhône-Alpes", "FR", 45.7640, 4.8357},
	{81, 96, 127, "2a02:c7c", 5089, "Manchester", "England", "GB", 53.4808, -2.2426},
	{84, 24, 31, "2001:1c00", 33915, "Utrecht", "Utrecht", "NL", 52.0907, 5.1214},
	{178, 192, 199, "2a02:1210", 3303, "Zürich", "Zurich", "CH", 47.3769, 8.5417},
};
#define NISPS ((int)(sizeof ISPS / sizeof ISPS[0]))

struct uagent {
	const char *ua, *os, *os_csv, *browser, *browser_csv;
};
static const struct uagent UAS[] = {
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 Edg/114.0.1823.51",
	 "Windows", "Windows10", "Edge", "Edge 114.0.1823"},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36",
	 "Windows", "Windows10", "Chrome", "Chrome 114.0.0"},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:109.0) Gecko/20100101 Firefox/114.0", "MacOs",
	 "MacOs", "Firefox", "Firefox 114.0"},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.5 Safari/605.1.15",
	 "MacOs", "MacOs", "Safari", "Safari 16.5"},
	{"Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E; Microsoft Outlook 16.0.16529; ms-office; MSOffice 16)",
	 "Windows", "Windows10", "IE", "IE 7.0"},
};
#define NUAS ((int)(sizeof UAS / sizeof UAS[0]))
/* Outlook Mobile is not a browser: it lives apart from the pool above */
static const struct uagent UA_MOBILE = {"Outlook-iOS/2.0", "Ios", "Ios", "Mobile Safari", "Mobile Safari"};

/* First-party apps that read mail normally (core/README.md, "Hunts"), and how
 * their MailItemsAccessed records look. */
struct mailapp {
	const char *id, *client_info;
	int rest; /* ClientAppId echoes AppId for REST clients */
	int sync; /* desktop/mobile clients also Sync whole folders */
};
static const struct mailapp MAILAPPS[] = {
	{"9199bf20-a13f-4107-85dc-02114787ef48", "Client=OWA;Action=ViaProxy", 0, 0},
	{"5d661950-3475-41cd-a2c3-d671a3162bc1", "Client=MSExchangeRPC", 0, 1},
	{"27922004-5251-4030-b22d-91ecd9a37ea4", "Client=REST;Client=RESTSystem;;", 1, 1},
	{"00000002-0000-0ff1-ce00-000000000000", "Client=REST;;", 1, 0},
	{"d3590ed6-52b3-4102-aeff-aad2292ab01c", "Client=REST;;", 1, 0},
	{"1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Client=REST;;", 1, 0},
};
enum { MA_OWA, MA_OUTLOOK, MA_MOBILE, MA_EXO, MA_OFFICE, MA_TEAMS };
/* relative weights of the above in background mail access */
static const double MAILAPP_W[] = {0.36, 0.34, 0.12, 0.06, 0.07, 0.05};

struct resource {
	const char *id, *name;
};
static const struct resource RES[] = {
	{"00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"},
	{"00000003-0000-0000-c000-000000000000", "Microsoft Graph"},
	{"00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"},
	{"cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services"},
};
enum { RES_EXO, RES_GRAPH, RES_SPO, RES_TEAMS };

/* Apps users sign in to (Entra sign-ins, UAL UserLoggedIn ApplicationId). */
struct signapp {
	const char *id, *name;
	int res;
	int desktop; /* "Mobile Apps and Desktop clients" rather than "Browser" */
};
static const struct signapp SAPPS[] = {
	{"4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome", RES_GRAPH, 0},
	{"9199bf20-a13f-4107-85dc-02114787ef48", "One Outlook Web", RES_EXO, 0},
	{"d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office", RES_GRAPH, 1},
	{"1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams", RES_TEAMS, 1},
	{"5d661950-3475-41cd-a2c3-d671a3162bc1", "Microsoft Outlook", RES_EXO, 1},
	{"27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile", RES_EXO, 1},
	{"00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online", RES_SPO, 0},
};
enum { SA_OFFICEHOME, SA_OWA, SA_OFFICE, SA_TEAMS, SA_OUTLOOK, SA_MOBILE, SA_SPO, SA_PLANTED = 100 };

static const char *const FOLDERS[] = {
	"\\Inbox",           "\\Sent Items",    "\\Drafts",      "\\Archive",     "\\Inbox\\Projects",
	"\\Inbox\\Invoices", "\\Deleted Items", "\\Newsletters", "\\Inbox\\Team",
};
#define NFOLDERS ((int)(sizeof FOLDERS / sizeof FOLDERS[0]))

/* Subjects of sent mail: quotes, commas, non-Latin scripts and an
 * astral-plane emoji exercise every quoting and transcoding path. */
static const char *const SUBJECTS[] = {
	"Q3 forecast, final \"v2\"",
	"Re: budget review",
	"Lunch on Thursday?",
	"Réunion budget – ordre du jour",
	"FW: Contract redline (signed)",
	"Invoice #4471 / PO 88-1290",
	"日本出張の件",
	"Status: migration 50% done",
	"🚀 Launch plan",
	"Re: Re: access request",
	"Angebot für Müller GmbH",
	"Notes from today's call",
	"Travel: SEA -> FRA",
	"Payroll changes; effective 1st",
	"Team offsite agenda",
	"Client escalation \\ urgent",
};
#define NSUBJECTS ((int)(sizeof SUBJECTS / sizeof SUBJECTS[0]))

static const char *const FILES[] = {
	"XT1000 Project Progress Report.pptx",
	"Budget FY24.xlsx",
	"Onboarding checklist.docx",
	"Architecture overview.vsdx",
	"Q2 board deck.pptx",
	"Vendor contracts.pdf",
	"Meeting notes 2023-06.docx",
	"Roadmap.xlsx",
	"Résumé template.docx",
	"Team photo.png",
};
#define NFILES ((int)(sizeof FILES / sizeof FILES[0]))

/* Benign inbox rules: ordinary names (4+ letters) moving to a user folder of
 * the same name. Never forward, delete, mark-as-read or hide in RSS Feeds,
 * Conversation History or Archive: the planted rule must stand out. */
static const char *const RULES[] = {
	"Newsletters",     "Receipts",           "Project Falcon", "Team Updates",
	"Vendor Invoices", "Jira Notifications", "Conference",     "Recruiting",
};
#define NRULES ((int)(sizeof RULES / sizeof RULES[0]))
static const char *const RULE_FROM[] = {
	"news@industry-digest.example",
	"receipts@travel-booking.example",
	"falcon-pm@contoso-partner.example",
	"team@contoso-partner.example",
	"billing@supplier.example",
	"jira@tracker.example",
	"events@summit.example",
	"jobs@recruit.example",
};

static const char *const PLANTED_APP_NAMES[] = {
	"MailSync Connector",
	"Outlook Backup Service",
	"Secure Mail Archiver",
	"DocuShare Helper",
};

/* ------------------------------------------------------------------ */
/* Tenant model                                                        */
/* ------------------------------------------------------------------ */

enum { SLOT_OFFICE, SLOT_HOME, SLOT_MOBILE, NSLOTS };

struct user {
	char upn[80];       /* canonical, lower-case */
	char upn_typed[80]; /* as typed at sign-in: capitalised, like real UserIds */
	char display[80];
	char oid[37];  /* Entra object id (UAL UserKey of logons) */
	char puid[17]; /* Exchange UserKey: 16 upper-case hex */
	char sid[64];
	char mbx_guid[37];
	char server[16]; /* mailbox server, e.g. DM6PR11MB4556 */
	char region[24]; /* namprd11 */
	char ip[NSLOTS][48];
	int ip6[NSLOTS];
	int isp;
	int ua;
	int admin;
	int planted_role; /* 0 none, 1 foothold, 2 other victim */
};

struct tenant {
	uint64_t seed;
	char id[37];
	char org[80];       /* contoso.onmicrosoft.com */
	char domain[64];    /* contoso.com */
	char site[80];      /* contoso.sharepoint.com */
	char label[48];     /* contoso */
	char org_upper[80]; /* CONTOSO.ONMICROSOFT.COM, as Exchange object ids print it */
	int nusers;
	struct user *u;
	double *cum; /* activity weights, cumulative: a few heavy users */
	char office_ip[48];
	int office_isp;
	char sys_server[16];
};

static void make_server(char *out, uint64_t h)
{
	static const char *const pre[] = {"DM6PR", "SA1PR", "CH3PR", "BN9PR", "MW4PR", "PH7PR"};
	struct rng r;
	rng_init(&r, h);
	/* draws go in named locals: argument evaluation order is unspecified
	 * in C, and output must not depend on the compiler */
	const char *p = pre[rng_below(&r, 6)];
	int a = rng_range(&r, 10, 19);
	int b = rng_range(&r, 1000, 9999);
	char tmp[48];
	snprintf(tmp, sizeof tmp, "%s%02dMB%04d", p, a, b);
	memcpy(out, tmp, 15); /* always 13 characters */
	out[15] = 0;
}

static void make_ipv4(char *out, const struct isp *isp, struct rng *r)
{
	int b = rng_range(r, isp->b_lo, isp->b_hi);
	int c = rng_range(r, 0, 255);
	int d = rng_range(r, 1, 254);
	snprintf(out, 48, "%d.%d.%d.%d", isp->a, b, c, d);
}

static void make_ipv6(char *out, const struct isp *isp, struct rng *r)
{
	/* every prefix in ISPS is two groups: six more make a full address */
	unsigned g[6];
	for (int i = 0; i < 6; i++)
		g[i] = rng_below(r, 0xffff);
	snprintf(out, 48, "%s:%x:%x:%x:%x:%x:%x", isp->v6, g[0] + 1, g[1], g[2], g[3], g[4], g[5] + 1);
}

static void tenant_init(struct tenant *T, uint64_t seed, int nusers, const char *domain)
{
	struct rng r;
	rng_init(&r, hash2(seed, 0x7e4a47));
	memset(T, 0, sizeof *T);
	T->seed = seed;
	guid_rng(T->id, &r);
	snprintf(T->domain, sizeof T->domain, "%s", domain);
	/* contoso.com -> contoso.onmicrosoft.com / contoso.sharepoint.com */
	size_t ln = strcspn(domain, ".");
	if (ln >= sizeof T->label)
		ln = sizeof T->label - 1;
	memcpy(T->label, domain, ln);
	T->label[ln] = 0;
	snprintf(T->org, sizeof T->org, "%s.onmicrosoft.com", T->label);
	snprintf(T->site, sizeof T->site, "%s.sharepoint.com", T->label);
	for (size_t i = 0; T->org[i]; i++)
		T->org_upper[i] =
			(char)(T->org[i] >= 'a' && T->org[i] <= 'z' ? T->org[i] - 32 : T->org[i]);
	T->nusers = nusers;
	T->u = xcalloc((size_t)nusers, sizeof *T->u);
	T->cum = xcalloc((size_t)nusers, sizeof *T->cum);
	T->office_isp = (int)rng_below(&r, NISPS);
	make_ipv4(T->office_ip, &ISPS[T->office_isp], &r);
	make_server(T->sys_server, rng_u64(&r));

	unsigned dom_sid[3];
	for (int i = 0; i < 3; i++)
		dom_sid[i] = 1000000000u + rng_below(&r, 3000000000u);
	const int nf = (int)(sizeof FIRST / sizeof FIRST[0]);
	const int nl = (int)(sizeof LAST / sizeof LAST[0]);
	double total = 0;
	for (int i = 0; i < nusers; i++) {
		struct user *u = &T->u[i];
		const struct name *f = &FIRST[rng_below(&r, (uint32_t)nf)];
		const struct name *l = &LAST[rng_below(&r, (uint32_t)nl)];
		char local[64];
		snprintf(local, sizeof local, "%s.%s", f->ascii, l->ascii);
		/* keep UPNs unique: a second "alex.xu" becomes "alex.xu2" */
		int dup = 0;
		for (int j = 0; j < i; j++) {
			size_t len = strlen(local);
			const char *o = T->u[j].upn;
			if (strncmp(o, local, len) == 0 &&
			    (o[len] == '@' || (o[len] >= '0' && o[len] <= '9')))
				dup++;
		}
		if (dup)
			snprintf(local + strlen(local), sizeof local - strlen(local), "%d", dup + 1);
		if (i < 2) {
			/* two helpdesk admins with a separate admin account, as many
			 * tenants do; the foothold is one of them (consent needs it) */
			char tmp[64];
			snprintf(tmp, sizeof tmp, "adm.%.48s", local);
			memcpy(local, tmp, sizeof local);
			u->admin = 1;
		}
		snprintf(u->upn, sizeof u->upn, "%.40s@%.38s", local, T->domain);
		snprintf(u->upn_typed, sizeof u->upn_typed, "%s", u->upn);
		/* Capitalise like people type it: Megan.Bowen@contoso.com */
		int cap = 1;
		for (char *p = u->upn_typed; *p && *p != '@'; p++) {
			if (cap && *p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
			cap = *p == '.';
		}
		snprintf(u->display, sizeof u->display, "%s%s %s", i < 2 ? "Admin " : "", f->display,
			 l->display);
		guid_rng(u->oid, &r);
		hex_fmt(u->puid, rng_u64(&r), 16, 1);
		memcpy(u->puid, "1003", 4);
		/* one domain SID for the tenant, a RID per user */
		snprintf(u->sid, sizeof u->sid, "S-1-5-21-%u-%u-%u-%u", dom_sid[0], dom_sid[1],
			 dom_sid[2], (unsigned)(20000000u + rng_below(&r, 9000000)));
		guid_rng(u->mbx_guid, &r);
		make_server(u->server, rng_u64(&r));
		snprintf(u->region, sizeof u->region, "namprd%02d", rng_range(&r, 2, 22));
		u->isp = (int)rng_below(&r, NISPS);
		snprintf(u->ip[SLOT_OFFICE], 48, "%s", T->office_ip);
		u->ip6[SLOT_HOME] = rng_chance(&r, 0.3);
		if (u->ip6[SLOT_HOME])
			make_ipv6(u->ip[SLOT_HOME], &ISPS[u->isp], &r);
		else
			make_ipv4(u->ip[SLOT_HOME], &ISPS[u->isp], &r);
		/* a mobile carrier address (T-Mobile US style 172.56/14) */
		int m1 = rng_range(&r, 56, 59);
		int m2 = rng_range(&r, 0, 255);
		int m3 = rng_range(&r, 1, 254);
		snprintf(u->ip[SLOT_MOBILE], 48, "172.%d.%d.%d", m1, m2, m3);
		u->ua = (int)rng_below(&r, NUAS - 1); /* the last one is Outlook desktop */
		/* activity weight: a handful of heavy users, a long tail */
		double w = 0.3 + 2.0 * pow(rng_unit(&r), 3.0);
		total += w;
		T->cum[i] = total;
	}
	for (int i = 0; i < nusers; i++)
		T->cum[i] /= total;
}

static void tenant_free(struct tenant *T)
{
	free(T->u);
	free(T->cum);
	T->u = NULL;
	T->cum = NULL;
}

static int tenant_pick_user(const struct tenant *T, struct rng *r)
{
	double x = rng_unit(r);
	int lo = 0, hi = T->nusers - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (T->cum[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The AAD session of a user on one network on one day: background sessions
 * never span two IPs, so that the planted replay is the only one that does. */
static void user_session(const struct tenant *T, char *out, int user, int slot, int64_t day)
{
	session_id_fmt(out, hash4(T->seed, 0x5e55, (uint64_t)user * 8 + (uint64_t)slot, (uint64_t)day));
}

static void user_token(const struct tenant *T, char *out, int user, int slot, int64_t hour, int app)
{
	token_id_fmt(out, hash4(T->seed, 0x70c3, (uint64_t)user * 8 + (uint64_t)slot,
				(uint64_t)hour * 64 + (uint64_t)app));
}

/* Folder ids look like real EWS ids ("LgAAAAA..."): stable per mailbox and
 * folder, so the same folder has the same id in every record. */
static void folder_id(const struct tenant *T, char *out, int user, int folder)
{
	char a[24], b[24];
	b64_fmt(a, hash3(T->seed, 0xf01d, (uint64_t)user), 22, B64);
	b64_fmt(b, hash4(T->seed, 0xf01d, (uint64_t)user, (uint64_t)folder), 20, B64);
	snprintf(out, 80, "LgAAAAA%sAQ%sAAAAAAEMAAAB", a, b);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

enum kind {
	K_MIA,       /* MailItemsAccessed (Bind or Sync) */
	K_LOGIN,     /* UserLoggedIn / UserLoginFailed */
	K_FILE,      /* SharePoint / OneDrive FileAccessed, FileModified */
	K_SEND,      /* Exchange Send */
	K_EXO_ADMIN, /* Exchange cmdlets: rules, mailbox settings, system */
	K_AAD,       /* Entra directory operations in the UAL */
	NKINDS
};

/* What a writer can carry, as a bit set of kinds. */
#define KM(k) (1u << (k))
#define KM_ALL ((1u << NKINDS) - 1)
#define KM_OFFICE (KM(K_MIA) | KM(K_FILE) | KM(K_SEND) | KM(K_EXO_ADMIN))
#define KM_SIGNIN KM(K_LOGIN)
#define KM_AAD KM(K_AAD)

#define MAX_ITEMS 8
#define MAX_FOLD 3
#define MAX_PARAMS 12
#define MAX_MODS 10

struct msg {
	char id[112];
	uint32_t size;
};

struct fold {
	int f;
	int nitems;
	struct msg items[MAX_ITEMS];
};

/* Exchange admin and Entra directory operations we emit. */
enum op {
	OP_NEW_INBOXRULE,
	OP_SET_INBOXRULE,
	OP_REMOVE_INBOXRULE,
	OP_SET_MAILBOX_FWD,
	OP_SET_MAILBOX_QUOTA,
	OP_ADD_MBX_PERM,
	OP_SET_ADMINAUDIT,
	OP_SYS_SET_MAILBOX,
	OP_SYS_SET_CAP,
	OP_SYS_MAILBOXPLAN,
	/* Entra */
	OP_CONSENT,
	OP_ADD_SP,
	OP_ADD_GRANT,
	OP_ADD_SP_CRED,
	OP_UPDATE_USER,
	OP_ADD_MEMBER,
	OP_STS_REFRESH,
	OP_CHANGE_LICENSE,
};

struct ev {
	int kind;
	int planted;
	int64_t t;
	uint64_t key;    /* seeds every random detail of this event */
	char id[40];     /* UAL Id / sign-in id */
	char corr[40];   /* InterSystemsId = Entra correlationId */
	int user;        /* actor index, -1 for a system account */
	int mbx;         /* mailbox owner (mail kinds) */
	int slot;        /* which of the user's networks, -1: explicit ip */
	char ip[48];     /* bare address */
	char ip_rec[64]; /* as ClientIP writes it: port, brackets, ::ffff: */
	const char *city, *state, *cc;
	double lat, lon;
	int asn;
	/* mail */
	const char *app_id, *client_app_id, *client_info;
	char ci[160]; /* client_info when it is made per event (--cardinality high) */
	char session[40], token[24];
	int64_t iat;
	int logon_type; /* 0 owner, 1 admin, 2 delegate */
	int sync;
	int throttled;
	int nf;
	struct fold f[MAX_FOLD];
	int subject;
	/* logon */
	int sapp; /* SAPPS index or SA_PLANTED */
	int err;  /* 0 success, else AADSTS code */
	const struct uagent *ua;
	int interactive;
	/* admin / directory */
	enum op op;
	int target; /* user index an operation is about, -1 none */
	char rule[64];
	char fwd[96];
	int file;
	int file_modified;
	/* rendered */
	struct buf ad;      /* AuditData, compact */
	struct buf folders; /* Folders array (MIA) */
	struct buf opprops; /* OperationProperties array (MIA) */
	struct buf params;  /* Parameters array (Exchange admin) */
	struct buf item;    /* Item object (Send) */
};

static const char *const OP_NAMES[] = {
	[OP_NEW_INBOXRULE] = "New-InboxRule",
	[OP_SET_INBOXRULE] = "Set-InboxRule",
	[OP_REMOVE_INBOXRULE] = "Remove-InboxRule",
	[OP_SET_MAILBOX_FWD] = "Set-Mailbox",
	[OP_SET_MAILBOX_QUOTA] = "Set-Mailbox",
	[OP_ADD_MBX_PERM] = "Add-MailboxPermission",
	[OP_SET_ADMINAUDIT] = "Set-AdminAuditLogConfig",
	[OP_SYS_SET_MAILBOX] = "Set-Mailbox",
	[OP_SYS_SET_CAP] = "Set-ConditionalAccessPolicy",
	[OP_SYS_MAILBOXPLAN] = "Set-MailboxPlan",
	[OP_CONSENT] = "Consent to application.",
	[OP_ADD_SP] = "Add service principal.",
	[OP_ADD_GRANT] = "Add delegated permission grant.",
	[OP_ADD_SP_CRED] = "Add service principal credentials.",
	[OP_UPDATE_USER] = "Update user.",
	[OP_ADD_MEMBER] = "Add member to group.",
	[OP_STS_REFRESH] = "Update StsRefreshTokenValidFrom Timestamp.",
	[OP_CHANGE_LICENSE] = "Change user license.",
};

/* Entra category / operationType / loggedByService for directoryAudits. */
struct aadmeta {
	const char *category, *optype, *service, *target_type;
};
static const struct aadmeta AADMETA[] = {
	[OP_CONSENT] = {"ApplicationManagement", "Assign", "Core Directory", "ServicePrincipal"},
	[OP_ADD_SP] = {"ApplicationManagement", "Add", "Core Directory", "ServicePrincipal"},
	[OP_ADD_GRANT] = {"ApplicationManagement", "Assign", "Core Directory", "ServicePrincipal"},
	[OP_ADD_SP_CRED] = {"ApplicationManagement", "Update", "Core Directory", "ServicePrincipal"},
	[OP_UPDATE_USER] = {"UserManagement", "Update", "Core Directory", "User"},
	[OP_ADD_MEMBER] = {"GroupManagement", "Assign", "Core Directory", "Group"},
	[OP_STS_REFRESH] = {"UserManagement", "Update", "Core Directory", "User"},
	[OP_CHANGE_LICENSE] = {"UserManagement", "Update", "Core Directory", "User"},
};

static const char *const GROUPS[] = {"All Staff", "Finance Team", "Engineering", "Sales EMEA",
				     "Project Falcon"};

static const char *SYSTEM_USER = "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)";
static const char *ADMIN_PS_APP = "fb78d390-0c51-40cd-8e17-fdbfab77341b"; /* EXO PowerShell */

static int ev_recordtype(const struct ev *e)
{
	switch (e->kind) {
	case K_MIA: return 50;
	case K_LOGIN: return 15;
	case K_FILE: return 6;
	case K_SEND: return 2;
	case K_EXO_ADMIN: return 1;
	default: return 8;
	}
}

/* Names as Search-UnifiedAuditLog prints them ... */
static const char *ev_rtname(const struct ev *e)
{
	switch (e->kind) {
	case K_MIA: return "ExchangeItemAggregated";
	case K_LOGIN: return "AzureActiveDirectoryStsLogon";
	case K_FILE: return "SharePointFileOperation";
	case K_SEND: return "ExchangeItem";
	case K_EXO_ADMIN: return "ExchangeAdmin";
	default: return "AzureActiveDirectory";
	}
}

/* ... and as Graph's auditLogRecordType enum spells them. */
static const char *ev_rtgraph(const struct ev *e)
{
	switch (e->kind) {
	case K_MIA: return "exchangeItemAggregated";
	case K_LOGIN: return "azureActiveDirectoryStsLogon";
	case K_FILE: return "sharePointFileOperation";
	case K_SEND: return "exchangeItem";
	case K_EXO_ADMIN: return "exchangeAdmin";
	default: return "azureActiveDirectory";
	}
}

static const char *ev_workload(const struct ev *e)
{
	switch (e->kind) {
	case K_LOGIN:
	case K_AAD: return "AzureActiveDirectory";
	case K_FILE: return "OneDrive";
	default: return "Exchange";
	}
}

static const char *ev_operation(const struct ev *e)
{
	switch (e->kind) {
	case K_MIA: return "MailItemsAccessed";
	case K_LOGIN: return e->err ? "UserLoginFailed" : "UserLoggedIn";
	case K_FILE: return e->file_modified ? "FileModified" : "FileAccessed";
	case K_SEND: return "Send";
	default: return OP_NAMES[e->op];
	}
}

/* UserId as the wrapper columns and AuditData carry it. */
static const char *ev_userid(const struct tenant *T, const struct ev *e)
{
	if (e->user < 0)
		return SYSTEM_USER;
	if (e->kind == K_LOGIN)
		return T->u[e->user].upn_typed;
	return T->u[e->user].upn;
}

/* ------------------------------------------------------------------ */
/* The planted intrusion: facts shared by renderers and the manifest   */
/* ------------------------------------------------------------------ */

#define MAX_VICT 5
#define MAX_PIPS 4

struct plant {
	int enabled;
	char app[37], client[37], sp_obj[37], app_obj[37], graph_sp[37];
	const char *app_name;
	int nips;
	char ips[MAX_PIPS][48];
	const char *city[MAX_PIPS], *state[MAX_PIPS], *cc[MAX_PIPS];
	int asn[MAX_PIPS];
	double lat[MAX_PIPS], lon[MAX_PIPS];
	int foothold;
	int nvict;
	int vict[MAX_VICT];
	char s1[40], t1[24]; /* the replayed session and token */
	char consent_corr[40];
	char rule[8];
	char fwd_rule[96], fwd_smtp[96];
	int fwd_mbx, perm_mbx, throttled_mbx;
	int nev;
	struct ev *ev; /* sorted by time */
};

static const struct plant *PLANT; /* renderers need the planted app's name */

/* --cardinality high: real unified audit logs carry a fresh UniqueTokenId,
 * session or client build on most records, where the default shape reuses
 * a token per user, network and four hours. Loaders that intern values
 * see about 2.5 times as many distinct ones (146k against 57k per 200k
 * events); the bench loads both shapes. */
static int HICARD;

/* ------------------------------------------------------------------ */
/* Rendering AuditData                                                 */
/* ------------------------------------------------------------------ */

/* ClientIP as Exchange writes it: bare, with a port, IPv4-mapped, or an
 * IPv6 address in brackets with a port. The bare address is kept apart. */
static void ip_render(struct ev *e, struct rng *r, int style_mix)
{
	int v6 = strchr(e->ip, ':') != NULL;
	int x = style_mix ? (int)rng_below(r, 10) : 0;
	unsigned port = 1024 + rng_below(r, 64000);
	if (v6) {
		if (x >= 4)
			snprintf(e->ip_rec, sizeof e->ip_rec, "[%s]:%u", e->ip, port);
		else
			snprintf(e->ip_rec, sizeof e->ip_rec, "%s", e->ip);
	} else {
		if (x >= 7)
			snprintf(e->ip_rec, sizeof e->ip_rec, "::ffff:%s", e->ip);
		else if (x >= 4)
			snprintf(e->ip_rec, sizeof e->ip_rec, "%s:%u", e->ip, port);
		else
			snprintf(e->ip_rec, sizeof e->ip_rec, "%s", e->ip);
	}
}

static void put_origserver(struct jw *w, const char *server, int crlf)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s (15.20.6500.%03d)%s", server, (int)(server[12] - '0') * 7 + 12,
		 crlf ? "\r\n" : "");
	jw_str(w, "OriginatingServer", tmp);
}

/* The Exchange common head: AppAccessContext first, as real records have. */
static void exo_head(const struct tenant *T, struct jw *w, const struct ev *e, const char *op, int rt,
		     const char *result, const char *userkey, int usertype)
{
	char ts[32];
	jw_open(w, NULL, '{');
	jw_open(w, "AppAccessContext", '{');
	if (e->session[0])
		jw_str(w, "AADSessionId", e->session);
	if (e->iat) {
		fmt_iso(ts, e->iat);
		jw_str(w, "IssuedAtTime", ts);
	}
	jw_str(w, "UniqueTokenId", e->token);
	jw_close(w, '}');
	fmt_iso(ts, e->t);
	jw_str(w, "CreationTime", ts);
	jw_str(w, "Id", e->id);
	jw_str(w, "Operation", op);
	jw_str(w, "OrganizationId", T->id);
	jw_int(w, "RecordType", rt);
	jw_str(w, "ResultStatus", result);
	jw_str(w, "UserKey", userkey);
	jw_int(w, "UserType", usertype);
	jw_int(w, "Version", 1);
	jw_str(w, "Workload", "Exchange");
}

static void render_mia(const struct tenant *T, struct ev *e)
{
	const struct user *o = &T->u[e->mbx];
	const struct user *u = &T->u[e->user];
	struct jw w;

	/* pieces first: Sentinel re-uses them as JSON text */
	e->folders.len = 0;
	jw_init(&w, &e->folders, 0);
	jw_open(&w, NULL, '[');
	int count = 0;
	for (int i = 0; i < e->nf; i++) {
		char fid[80];
		folder_id(T, fid, e->mbx, e->f[i].f);
		jw_open(&w, NULL, '{');
		if (!e->sync) {
			jw_open(&w, "FolderItems", '[');
			for (int j = 0; j < e->f[i].nitems; j++) {
				jw_open(&w, NULL, '{');
				jw_str(&w, "InternetMessageId", e->f[i].items[j].id);
				jw_int(&w, "SizeInBytes", e->f[i].items[j].size);
				jw_close(&w, '}');
				count++;
			}
			jw_close(&w, ']');
		}
		jw_str(&w, "Id", fid);
		jw_str(&w, "Path", FOLDERS[e->f[i].f]);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');

	e->opprops.len = 0;
	jw_init(&w, &e->opprops, 0);
	jw_open(&w, NULL, '[');
	jw_nv(&w, "MailAccessType", e->sync ? "Sync" : "Bind");
	jw_nv(&w, "IsThrottled", e->throttled ? "True" : "False");
	jw_close(&w, ']');

	e->ad.len = 0;
	jw_init(&w, &e->ad, 1);
	exo_head(T, &w, e, "MailItemsAccessed", 50, "Succeeded", u->puid, e->logon_type ? 2 : 0);
	jw_str(&w, "ClientIP", e->ip_rec);
	jw_str(&w, "UserId", u->upn);
	jw_str(&w, "AppId", e->app_id);
	jw_str(&w, "ClientAppId", e->client_app_id);
	jw_str(&w, "ClientIPAddress", e->ip);
	jw_str(&w, "ClientInfoString", e->client_info);
	jw_bool(&w, "ExternalAccess", 0);
	jw_int(&w, "InternalLogonType", 0);
	jw_int(&w, "LogonType", e->logon_type);
	jw_str(&w, "LogonUserSid", u->sid);
	jw_str(&w, "MailboxGuid", o->mbx_guid);
	jw_str(&w, "MailboxOwnerSid", o->sid);
	jw_str(&w, "MailboxOwnerUPN", o->upn);
	jw_raw(&w, "OperationProperties", e->opprops.p, e->opprops.len);
	jw_str(&w, "OrganizationName", T->org);
	put_origserver(&w, o->server, 1);
	/* OWA sessions also carry SessionId; other clients only AADSessionId */
	if (e->session[0] && (e->planted || e->app_id == MAILAPPS[MA_OWA].id))
		jw_str(&w, "SessionId", e->session);
	jw_raw(&w, "Folders", e->folders.p, e->folders.len);
	jw_int(&w, "OperationCount", e->sync ? 1 : count);
	jw_close(&w, '}');
}

static void render_send(const struct tenant *T, struct ev *e)
{
	const struct user *u = &T->u[e->user];
	struct jw w;
	char fid[80], iid[80];
	folder_id(T, fid, e->user, 1);
	snprintf(iid, sizeof iid, "Rg%.*s", 60, fid + 2);
	e->item.len = 0;
	jw_init(&w, &e->item, 0);
	jw_open(&w, NULL, '{');
	jw_str(&w, "Id", iid);
	jw_str(&w, "InternetMessageId", e->f[0].items[0].id);
	jw_bool(&w, "IsRecord", 0);
	jw_open(&w, "ParentFolder", '{');
	jw_str(&w, "Id", fid);
	jw_str(&w, "Path", "\\Sent Items");
	jw_close(&w, '}');
	jw_int(&w, "SizeInBytes", e->f[0].items[0].size);
	jw_str(&w, "Subject", SUBJECTS[e->subject]);
	jw_close(&w, '}');

	e->ad.len = 0;
	jw_init(&w, &e->ad, 1);
	exo_head(T, &w, e, "Send", 2, "Succeeded", u->puid, 0);
	jw_str(&w, "ClientIP", e->ip_rec);
	jw_str(&w, "UserId", u->upn);
	jw_str(&w, "AppId", e->app_id);
	jw_str(&w, "ClientAppId", e->client_app_id);
	jw_str(&w, "ClientIPAddress", e->ip);
	jw_str(&w, "ClientInfoString", e->client_info);
	jw_bool(&w, "ExternalAccess", 0);
	jw_int(&w, "InternalLogonType", 0);
	jw_int(&w, "LogonType", 0);
	jw_str(&w, "LogonUserSid", u->sid);
	jw_str(&w, "MailboxGuid", u->mbx_guid);
	jw_str(&w, "MailboxOwnerSid", u->sid);
	jw_str(&w, "MailboxOwnerUPN", u->upn);
	jw_str(&w, "OrganizationName", T->org);
	put_origserver(&w, u->server, 1);
	jw_str(&w, "SessionId", e->session);
	jw_raw(&w, "Item", e->item.p, e->item.len);
	jw_close(&w, '}');
}

static void render_login(const struct tenant *T, struct ev *e)
{
	const struct user *u = &T->u[e->user];
	const char *app = e->sapp == SA_PLANTED ? PLANT->app : SAPPS[e->sapp].id;
	const char *res = e->sapp == SA_PLANTED ? RES[RES_GRAPH].id : RES[SAPPS[e->sapp].res].id;
	char ts[32];
	struct jw w;
	e->ad.len = 0;
	jw_init(&w, &e->ad, 1);
	jw_open(&w, NULL, '{');
	fmt_iso(ts, e->t);
	jw_str(&w, "CreationTime", ts);
	jw_str(&w, "Id", e->id);
	jw_str(&w, "Operation", e->err ? "UserLoginFailed" : "UserLoggedIn");
	jw_str(&w, "OrganizationId", T->id);
	jw_int(&w, "RecordType", 15);
	/* "Success" on failed logons too: the real service does this, the
	 * outcome is in ErrorNumber / LogonError */
	jw_str(&w, "ResultStatus", "Success");
	jw_str(&w, "UserKey", u->oid);
	jw_int(&w, "UserType", 0);
	jw_int(&w, "Version", 1);
	jw_str(&w, "Workload", "AzureActiveDirectory");
	jw_str(&w, "ClientIP", e->ip);
	jw_str(&w, "ObjectId", res);
	jw_str(&w, "UserId", u->upn_typed);
	jw_int(&w, "AzureActiveDirectoryEventType", 1);
	jw_open(&w, "ExtendedProperties", '[');
	jw_nv(&w, "ResultStatusDetail", e->err ? "Redirect" : "Success");
	if (!e->err && e->interactive)
		jw_nv(&w, "KeepMeSignedIn", "true");
	jw_nv(&w, "UserAgent", e->ua->ua);
	jw_nv(&w, "UserAuthenticationMethod", "1");
	jw_nv(&w, "RequestType", e->interactive ? "Login:login" : "OAuth2:Token");
	jw_close(&w, ']');
	jw_open(&w, "ModifiedProperties", '[');
	jw_close(&w, ']');
	jw_open(&w, "Actor", '[');
	jw_id_type(&w, u->oid, 0);
	jw_id_type(&w, u->upn_typed, 5);
	jw_close(&w, ']');
	jw_str(&w, "ActorContextId", T->id);
	jw_str(&w, "ActorIpAddress", e->ip);
	jw_str(&w, "InterSystemsId", e->corr);
	jw_str(&w, "IntraSystemId", e->id);
	jw_str(&w, "SupportTicketId", "");
	jw_open(&w, "Target", '[');
	jw_id_type(&w, res, 0);
	jw_close(&w, ']');
	jw_str(&w, "TargetContextId", T->id);
	jw_str(&w, "ApplicationId", app);
	jw_open(&w, "DeviceProperties", '[');
	jw_nv(&w, "OS", e->ua->os);
	jw_nv(&w, "BrowserType", e->ua->browser);
	jw_nv(&w, "IsCompliantAndManaged", "False");
	jw_nv(&w, "SessionId", e->session);
	jw_close(&w, ']');
	char num[16];
	snprintf(num, sizeof num, "%d", e->err);
	jw_str(&w, "ErrorNumber", num);
	if (e->err)
		jw_str(&w, "LogonError",
		       e->err == 50126 ? "InvalidUserNameOrPassword"
				       : "UserStrongAuthClientAuthNRequiredInterrupt");
	jw_close(&w, '}');
}

static void render_file(const struct tenant *T, struct ev *e)
{
	const struct user *u = &T->u[e->user];
	const struct user *owner = &T->u[e->mbx];
	char ts[32], site[256], obj[400], local[80], corr[40];
	struct jw w;
	snprintf(local, sizeof local, "%s", owner->upn);
	for (char *p = local; *p; p++)
		if (*p == '.' || *p == '@')
			*p = '_';
	snprintf(site, sizeof site, "https://%s-my.sharepoint.com/personal/%s/", T->label, local);
	snprintf(obj, sizeof obj, "%sDocuments/%s", site, FILES[e->file]);
	guid_hash(corr, hash2(e->key, 0xc022));
	const char *ext = strrchr(FILES[e->file], '.') + 1;

	e->ad.len = 0;
	jw_init(&w, &e->ad, 0); /* SharePoint does not escape '/' */
	jw_open(&w, NULL, '{');
	jw_open(&w, "AppAccessContext", '{');
	jw_str(&w, "AADSessionId", e->session);
	jw_str(&w, "CorrelationId", corr);
	jw_str(&w, "UniqueTokenId", e->token);
	jw_close(&w, '}');
	fmt_iso(ts, e->t);
	jw_str(&w, "CreationTime", ts);
	jw_str(&w, "Id", e->id);
	jw_str(&w, "Operation", e->file_modified ? "FileModified" : "FileAccessed");
	jw_str(&w, "OrganizationId", T->id);
	jw_int(&w, "RecordType", 6);
	char ukey[80];
	snprintf(ukey, sizeof ukey, "i:0h.f|membership|%s@live.com", u->puid);
	for (char *p = ukey; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	jw_str(&w, "UserKey", ukey);
	jw_int(&w, "UserType", 0);
	jw_int(&w, "Version", 1);
	jw_str(&w, "Workload", "OneDrive");
	jw_str(&w, "ClientIP", e->ip);
	jw_str(&w, "UserId", u->upn);
	jw_str(&w, "AuthenticationType", "OAuth");
	jw_str(&w, "BrowserName", e->ua->browser);
	jw_str(&w, "BrowserVersion", "114.0");
	jw_str(&w, "CorrelationId", corr);
	jw_str(&w, "EventSource", "SharePoint");
	jw_bool(&w, "IsManagedDevice", 0);
	jw_str(&w, "ItemType", "File");
	char g1[37], g2[37], g3[37], g4[37];
	guid_hash(g1, hash3(T->seed, 0x1157, (uint64_t)e->mbx));
	guid_hash(g2, hash4(T->seed, 0x1158, (uint64_t)e->mbx, (uint64_t)e->file));
	guid_hash(g3, hash3(T->seed, 0x5173, (uint64_t)e->mbx));
	guid_hash(g4, hash3(T->seed, 0x3eb, (uint64_t)e->mbx));
	jw_str(&w, "ListId", g1);
	jw_str(&w, "ListItemUniqueId", g2);
	jw_str(&w, "Platform", strcmp(e->ua->os, "MacOs") == 0 ? "MacOSX" : "WinDesktop");
	jw_str(&w, "Site", g3);
	jw_str(&w, "UserAgent", e->ua->ua);
	jw_str(&w, "WebId", g4);
	jw_str(&w, "DeviceDisplayName", e->ip);
	jw_bool(&w, "HighPriorityMediaProcessing", 0);
	jw_int(&w, "ListBaseType", 1);
	jw_int(&w, "ListServerTemplate", 700);
	jw_str(&w, "SourceFileExtension", ext);
	jw_str(&w, "SiteUrl", site);
	jw_str(&w, "SourceRelativeUrl", "Documents");
	jw_str(&w, "SourceFileName", FILES[e->file]);
	jw_str(&w, "ObjectId", obj);
	jw_close(&w, '}');
}

/* Parameters of the Exchange cmdlets we emit. */
static void exo_params(const struct tenant *T, struct ev *e, struct jw *w, char *objid, size_t objn)
{
	const char *tupn = e->target >= 0 ? T->u[e->target].upn : ""; /* the mailbox acted on */
	char ident[256];
	snprintf(ident, sizeof ident,
		 "NAMPR11A004.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/%s/%s", T->org,
		 tupn);
	jw_open(w, NULL, '[');
	switch (e->op) {
	case OP_NEW_INBOXRULE:
		jw_nv(w, "AlwaysDeleteOutlookRulesBlob", "False");
		jw_nv(w, "Force", "False");
		if (e->fwd[0]) {
			/* the planted rule: forward out, mark read, hide in RSS Feeds */
			jw_nv(w, "ForwardTo", e->fwd);
			jw_nv(w, "MoveToFolder", "RSS Feeds");
			jw_nv(w, "Name", e->rule);
			jw_nv(w, "MarkAsRead", "True");
			jw_nv(w, "StopProcessingRules", "True");
		} else {
			int ri = (int)(hash2(T->seed, (uint64_t)e->user) % NRULES);
			jw_nv(w, "From", RULE_FROM[ri]);
			jw_nv(w, "MoveToFolder", e->rule);
			jw_nv(w, "Name", e->rule);
			jw_nv(w, "StopProcessingRules", "True");
		}
		snprintf(objid, objn, "%s\\%s", ident, e->rule);
		break;
	case OP_SET_INBOXRULE: {
		char id2[160];
		snprintf(id2, sizeof id2, "%s\\%s", T->u[e->target].upn, e->rule);
		jw_nv(w, "Identity", id2);
		jw_nv(w, "SubjectContainsWords", "weekly;digest");
		jw_nv(w, "StopProcessingRules", "True");
		snprintf(objid, objn, "%s\\%s", ident, e->rule);
		break;
	}
	case OP_REMOVE_INBOXRULE: {
		char id2[160];
		snprintf(id2, sizeof id2, "%s\\%s", T->u[e->target].upn, e->rule);
		jw_nv(w, "Identity", id2);
		jw_nv(w, "Confirm", "False");
		snprintf(objid, objn, "%s\\%s", ident, e->rule);
		break;
	}
	case OP_SET_MAILBOX_FWD:
		jw_nv(w, "Identity", tupn);
		jw_nv(w, "ForwardingSmtpAddress", e->fwd);
		jw_nv(w, "DeliverToMailboxAndForward", "True");
		snprintf(objid, objn, "%s", ident);
		break;
	case OP_SET_MAILBOX_QUOTA:
		jw_nv(w, "Identity", tupn);
		jw_nv(w, "ProhibitSendQuota", "99 GB (106,300,440,576 bytes)");
		jw_nv(w, "IssueWarningQuota", "98 GB (105,226,698,752 bytes)");
		snprintf(objid, objn, "%s", ident);
		break;
	case OP_ADD_MBX_PERM:
		jw_nv(w, "Identity", tupn);
		jw_nv(w, "User", T->u[e->user].upn);
		jw_nv(w, "AccessRights", "FullAccess");
		jw_nv(w, "InheritanceType", "All");
		jw_nv(w, "AutoMapping", "False");
		snprintf(objid, objn, "%s", ident);
		break;
	case OP_SET_ADMINAUDIT:
		jw_nv(w, "Identity", "Admin Audit Log Settings");
		jw_nv(w, "UnifiedAuditLogIngestionEnabled", "False");
		snprintf(objid, objn, "%s\\Admin Audit Log Settings", T->org_upper);
		break;
	case OP_SYS_SET_MAILBOX:
		jw_nv(w, "DomainController", "");
		jw_nv(w, "Identity", ident);
		jw_nv(w, "RetentionPolicy", "Default MRM Policy");
		snprintf(objid, objn, "%s", ident);
		break;
	case OP_SYS_SET_CAP: {
		char pol[40];
		guid_hash(pol, hash2(e->key, 0xca9));
		char id2[160];
		snprintf(id2, sizeof id2, "%s\\%s", T->org, pol);
		jw_nv(w, "Identity", id2);
		jw_nv(w, "PolicyDetails",
		      "{\"Version\":1,\"State\":\"Enabled\",\"Conditions\":{\"Applications\":{\"Include\":[{\"Applications\":[\"All\"]}]},\"Users\":{\"Include\":[{\"Users\":[\"All\"]}]}},\"Controls\":[{\"Control\":[\"Mfa\"]}]}");
		jw_nv(w, "DisplayName", "Require MFA for all users");
		snprintf(objid, objn, "%s", id2);
		break;
	}
	default: /* OP_SYS_MAILBOXPLAN */
		jw_nv(w, "DomainController", "");
		jw_nv(w, "QueryBaseDNRestrictionEnabled", "False");
		jw_nv(w, "Identity", ident);
		snprintf(objid, objn, "%s", ident);
		break;
	}
	jw_close(w, ']');
}

static void render_exo_admin(const struct tenant *T, struct ev *e)
{
	struct jw w;
	char objid[320];
	e->params.len = 0;
	jw_init(&w, &e->params, 0);
	exo_params(T, e, &w, objid, sizeof objid);

	int sys = e->user < 0;
	const struct user *u = sys ? NULL : &T->u[e->user];
	e->ad.len = 0;
	jw_init(&w, &e->ad, 1);
	exo_head(T, &w, e, OP_NAMES[e->op], 1, "True", sys ? SYSTEM_USER : u->puid,
		 sys ? 3 : (u->admin ? 2 : 0));
	if (!sys)
		jw_str(&w, "ClientIP", e->ip_rec);
	jw_str(&w, "ObjectId", objid);
	jw_str(&w, "UserId", sys ? SYSTEM_USER : u->upn);
	jw_str(&w, "AppId", e->app_id);
	jw_str(&w, "ClientAppId", "");
	jw_bool(&w, "ExternalAccess", sys);
	jw_str(&w, "OrganizationName", T->org);
	put_origserver(&w, sys ? T->sys_server : u->server, 0);
	/* the Parameters piece above is unescaped for Sentinel; inside
	 * AuditData it gets the same '/' escaping as everything else */
	jw_key(&w, "Parameters");
	struct jw pw;
	jw_init(&pw, &e->ad, 1);
	exo_params(T, e, &pw, objid, sizeof objid);
	if (!sys)
		jw_str(&w, "SessionId", e->session);
	jw_close(&w, '}');
}

/* ModifiedProperties of Entra operations: (name, new, old) in UAL style. */
struct mods {
	int n;
	const char *name[MAX_MODS];
	char nv[MAX_MODS][320];
	char ov[MAX_MODS][64];
};

static void mod_add(struct mods *m, const char *name, const char *nv, const char *ov)
{
	if (m->n >= MAX_MODS)
		return;
	m->name[m->n] = name;
	snprintf(m->nv[m->n], sizeof m->nv[0], "%s", nv);
	snprintf(m->ov[m->n], sizeof m->ov[0], "%s", ov);
	m->n++;
}

static const char PLANT_SCOPE[] = "Mail.Read Mail.ReadBasic Mail.Send offline_access User.Read";

static void aad_mods(const struct tenant *T, const struct ev *e, struct mods *m)
{
	char tmp[320], gid[48];
	m->n = 0;
	switch (e->op) {
	case OP_CONSENT:
		/* oauth2PermissionGrant ids are 43 base64url characters */
		b64_fmt(gid, hash2(T->seed, 0x9a27), 43, B64URL);
		mod_add(m, "ConsentContext.IsAdminConsent", "True", "");
		mod_add(m, "ConsentContext.IsAppOnly", "False", "");
		mod_add(m, "ConsentContext.OnBehalfOfAll", "True", "");
		mod_add(m, "ConsentContext.Tags", "WindowsAzureActiveDirectoryIntegratedApp", "");
		snprintf(tmp, sizeof tmp,
			 "[] => [[Id: %s, ClientId: %s, PrincipalId: , ResourceId: %s, ConsentType: AllPrincipals, Scope:  %s, CreatedDateTime: , LastModifiedDateTime ]]; ",
			 gid, PLANT->sp_obj, PLANT->graph_sp, PLANT_SCOPE);
		mod_add(m, "ConsentAction.Permissions", tmp, "");
		mod_add(m, "TargetId.ServicePrincipalNames", PLANT->app, "");
		break;
	case OP_ADD_SP:
		mod_add(m, "AccountEnabled", "[\r\n  true\r\n]", "[]");
		snprintf(tmp, sizeof tmp, "[\r\n  \"%s\"\r\n]", PLANT->app);
		mod_add(m, "AppPrincipalId", tmp, "[]");
		snprintf(tmp, sizeof tmp, "[\r\n  \"%s\"\r\n]", PLANT->app_name);
		mod_add(m, "DisplayName", tmp, "[]");
		snprintf(tmp, sizeof tmp, "[\r\n  \"%s\"\r\n]", PLANT->app);
		mod_add(m, "ServicePrincipalName", tmp, "[]");
		mod_add(m, "Included Updated Properties",
			"AccountEnabled, AppPrincipalId, DisplayName, ServicePrincipalName", "");
		mod_add(m, "TargetId.ServicePrincipalNames", PLANT->app, "");
		break;
	case OP_ADD_GRANT:
		mod_add(m, "DelegatedPermissionGrant.Scope", PLANT_SCOPE, "");
		mod_add(m, "DelegatedPermissionGrant.ConsentType", "AllPrincipals", "");
		mod_add(m, "ServicePrincipal.ObjectID", PLANT->graph_sp, "");
		mod_add(m, "ServicePrincipal.DisplayName", "Microsoft Graph", "");
		mod_add(m, "ServicePrincipal.AppId", RES[RES_GRAPH].id, "");
		mod_add(m, "ServicePrincipal.Name", RES[RES_GRAPH].id, "");
		break;
	case OP_ADD_SP_CRED: {
		char kid[37];
		guid_hash(kid, hash2(T->seed, 0xc7ed));
		snprintf(tmp, sizeof tmp,
			 "[\r\n  \"[KeyIdentifier=%s,KeyType=Password,KeyUsage=Verify,DisplayName=sync]\"\r\n]",
			 kid);
		mod_add(m, "KeyDescription", tmp, "[]");
		mod_add(m, "Included Updated Properties", "KeyDescription", "");
		mod_add(m, "TargetId.ServicePrincipalNames", PLANT->app, "");
		break;
	}
	case OP_UPDATE_USER:
		mod_add(m, "StsRefreshTokensValidFrom", "[\r\n  \"2023-06-01T00:00:00Z\"\r\n]", "[]");
		mod_add(m, "Included Updated Properties", "StsRefreshTokensValidFrom", "");
		mod_add(m, "TargetId.UserType", "Member", "");
		break;
	case OP_ADD_MEMBER:
		snprintf(tmp, sizeof tmp, "%s", GROUPS[e->file % 5]);
		mod_add(m, "Group.DisplayName", tmp, "");
		mod_add(m, "Group.ObjectID", "a52b3d62-07c2-4bb1-9a35-3f4d2d8a7c11", "");
		break;
	case OP_STS_REFRESH:
		mod_add(m, "StsRefreshTokensValidFrom", "[\r\n  \"2023-06-01T00:00:00Z\"\r\n]", "[]");
		mod_add(m, "Included Updated Properties", "StsRefreshTokensValidFrom", "");
		break;
	default: /* OP_CHANGE_LICENSE */
		mod_add(m, "AssignedLicense",
			"[\r\n  \"[SkuName=ENTERPRISEPACK, AccountId=contoso, SkuId=6fd2c87f, DisabledPlans=[]]\"\r\n]",
			"[]");
		mod_add(m, "Included Updated Properties", "AssignedLicense", "");
		break;
	}
}

static int aad_is_app_target(enum op op)
{
	return op == OP_CONSENT || op == OP_ADD_SP || op == OP_ADD_GRANT || op == OP_ADD_SP_CRED;
}

static void render_aad(const struct tenant *T, struct ev *e)
{
	const struct user *a = &T->u[e->user];
	const struct user *t = e->target >= 0 ? &T->u[e->target] : NULL;
	char ts[32], tmp[160], intra[40];
	struct mods m;
	struct jw w;
	aad_mods(T, e, &m);
	e->ad.len = 0;
	jw_init(&w, &e->ad, 1);
	jw_open(&w, NULL, '{');
	fmt_iso(ts, e->t);
	jw_str(&w, "CreationTime", ts);
	jw_str(&w, "Id", e->id);
	jw_str(&w, "Operation", OP_NAMES[e->op]);
	jw_str(&w, "OrganizationId", T->id);
	jw_int(&w, "RecordType", 8);
	jw_str(&w, "ResultStatus", "Success");
	snprintf(tmp, sizeof tmp, "%s@%s", a->puid, T->org);
	jw_str(&w, "UserKey", tmp);
	jw_int(&w, "UserType", a->admin ? 2 : 0);
	jw_int(&w, "Version", 1);
	jw_str(&w, "Workload", "AzureActiveDirectory");
	jw_str(&w, "ObjectId", aad_is_app_target(e->op) ? PLANT->app : (t ? t->upn : ""));
	jw_str(&w, "UserId", a->upn);
	jw_int(&w, "AzureActiveDirectoryEventType", 1);
	jw_open(&w, "ExtendedProperties", '[');
	if (aad_is_app_target(e->op)) {
		snprintf(tmp, sizeof tmp, "{\"AppId\":\"%s\"}", PLANT->app);
		jw_nv(&w, "additionalDetails", tmp);
		jw_nv(&w, "extendedAuditEventCategory", "ServicePrincipal");
	} else {
		jw_nv(&w, "additionalDetails", "{}");
		jw_nv(&w, "extendedAuditEventCategory", e->op == OP_ADD_MEMBER ? "Group" : "User");
	}
	jw_close(&w, ']');
	jw_open(&w, "ModifiedProperties", '[');
	for (int i = 0; i < m.n; i++) {
		jw_open(&w, NULL, '{');
		jw_str(&w, "Name", m.name[i]);
		jw_str(&w, "NewValue", m.nv[i]);
		jw_str(&w, "OldValue", m.ov[i]);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	jw_open(&w, "Actor", '[');
	jw_id_type(&w, a->upn, 5);
	jw_id_type(&w, a->puid, 3);
	jw_user_object_ids(&w, a->oid);
	jw_close(&w, ']');
	jw_str(&w, "ActorContextId", T->id);
	if (e->ip[0])
		jw_str(&w, "ActorIpAddress", e->ip);
	jw_str(&w, "InterSystemsId", e->corr);
	guid_hash(intra, hash2(e->key, 0x1a7a));
	jw_str(&w, "IntraSystemId", intra);
	jw_str(&w, "SupportTicketId", "");
	jw_open(&w, "Target", '[');
	if (aad_is_app_target(e->op)) {
		snprintf(tmp, sizeof tmp, "ServicePrincipal_%s", PLANT->sp_obj);
		jw_id_type(&w, tmp, 2);
		jw_id_type(&w, PLANT->sp_obj, 2);
		jw_id_type(&w, "ServicePrincipal", 2);
		jw_id_type(&w, PLANT->app_name, 1);
		jw_id_type(&w, PLANT->app, 2);
		jw_id_type(&w, PLANT->app, 4);
	} else if (t) {
		jw_user_object_ids(&w, t->oid);
		jw_id_type(&w, t->upn, 5);
		jw_id_type(&w, t->puid, 3);
	}
	jw_close(&w, ']');
	jw_str(&w, "TargetContextId", T->id);
	jw_close(&w, '}');
}

static void render(const struct tenant *T, struct ev *e)
{
	switch (e->kind) {
	case K_MIA: render_mia(T, e); break;
	case K_LOGIN: render_login(T, e); break;
	case K_FILE: render_file(T, e); break;
	case K_SEND: render_send(T, e); break;
	case K_EXO_ADMIN: render_exo_admin(T, e); break;
	default: render_aad(T, e); break;
	}
}

/* ------------------------------------------------------------------ */
/* Background activity                                                 */
/* ------------------------------------------------------------------ */

static const struct uagent UA_ATTACK = {
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36",
	"Linux", "Linux", "Chrome", "Chrome 114.0.0"};

static void ev_reset(struct ev *e)
{
	e->planted = 0;
	e->user = e->mbx = e->slot = e->target = -1;
	e->ip[0] = e->ip_rec[0] = 0;
	e->city = e->state = e->cc = "";
	e->lat = e->lon = 0;
	e->asn = 0;
	e->app_id = e->client_app_id = e->client_info = "";
	e->session[0] = e->token[0] = e->corr[0] = 0;
	e->iat = 0;
	e->logon_type = e->sync = e->throttled = 0;
	e->nf = 0;
	e->subject = 0;
	e->sapp = 0;
	e->err = 0;
	e->ua = &UAS[0];
	e->interactive = 1;
	e->op = OP_SYS_SET_MAILBOX;
	e->rule[0] = e->fwd[0] = 0;
	e->file = e->file_modified = 0;
}

static void set_net(const struct tenant *T, struct ev *e, int user, int slot)
{
	const struct user *u = &T->u[user];
	e->slot = slot;
	size_t n = strlen(u->ip[slot]);
	memcpy(e->ip, u->ip[slot], n + 1);
	if (slot == SLOT_MOBILE) {
		e->city = "Bellevue";
		e->state = "Washington";
		e->cc = "US";
		e->asn = 21928;
		e->lat = 47.6101;
		e->lon = -122.2015;
	} else {
		const struct isp *isp = &ISPS[slot == SLOT_OFFICE ? T->office_isp : u->isp];
		e->city = isp->city;
		e->state = isp->state;
		e->cc = isp->cc;
		e->asn = isp->asn;
		e->lat = isp->lat;
		e->lon = isp->lon;
	}
}

static int pick_slot(struct rng *r, double office, double home)
{
	double x = rng_unit(r);
	return x < office ? SLOT_OFFICE : x < office + home ? SLOT_HOME : SLOT_MOBILE;
}

static void make_msgid(const struct tenant *T, struct rng *r, struct msg *m)
{
	int style = (int)rng_below(r, 10);
	if (style < 6) {
		/* internal mail: the sender's mailbox server names the id */
		const struct user *s = &T->u[rng_below(r, (uint32_t)T->nusers)];
		char hx[40];
		hex_fmt(hx, rng_u64(r), 32, 1);
		snprintf(m->id, sizeof m->id, "<%.15s%.32s@%.15s.%.12s.prod.outlook.com>", s->server, hx,
			 s->server, s->region);
	} else if (style < 8) {
		char b[48];
		b64_fmt(b, rng_u64(r), 42, B64URL);
		snprintf(m->id, sizeof m->id, "<CA%s@mail.gmail.com>", b);
	} else {
		static const char *const az[] = {"westus2", "eastus", "northeurope", "westeurope"};
		char g[37];
		guid_rng(g, r);
		snprintf(m->id, sizeof m->id, "<%s@az.%s.production.microsoft.com>", g,
			 az[rng_below(r, 4)]);
	}
	m->size = 4000 + rng_below(r, 90000);
	if (rng_chance(r, 0.08))
		m->size += rng_below(r, 6000000); /* attachments */
}

/* Background folders for reading: mostly Inbox. */
static int pick_read_folder(struct rng *r)
{
	static const int pool[] = {0, 0, 0, 0, 0, 0, 1, 3, 4, 5, 7, 8};
	return pool[rng_below(r, (uint32_t)(sizeof pool / sizeof pool[0]))];
}

static void mail_token(const struct tenant *T, struct ev *e, int app)
{
	int64_t blk = e->t / 14400;
	user_token(T, e->token, e->user, e->slot, blk, app);
	e->iat = blk * 14400 - 300 - (int64_t)(hash3(T->seed, (uint64_t)e->user, (uint64_t)blk) % 1800);
}

static void fill_mia(const struct tenant *T, struct ev *e, struct rng *r)
{
	int u = tenant_pick_user(T, r);
	e->kind = K_MIA;
	e->user = e->mbx = u;
	int slot = pick_slot(r, 0.55, 0.33);
	int app;
	if (slot == SLOT_MOBILE) {
		app = MA_MOBILE;
	} else {
		double x = rng_unit(r) * (1.0 - MAILAPP_W[MA_MOBILE]);
		app = 0;
		for (int i = 0; i < 6; i++) {
			if (i == MA_MOBILE)
				continue;
			app = i;
			if ((x -= MAILAPP_W[i]) < 0)
				break;
		}
	}
	set_net(T, e, u, slot);
	ip_render(e, r, 1);
	e->app_id = MAILAPPS[app].id;
	e->client_app_id = MAILAPPS[app].rest ? MAILAPPS[app].id : "";
	e->client_info = MAILAPPS[app].client_info;
	user_session(T, e->session, u, slot, e->t / 86400);
	mail_token(T, e, app);
	if (MAILAPPS[app].sync && rng_chance(r, 0.07)) {
		e->sync = 1;
		e->nf = 1;
		e->f[0].f = rng_chance(r, 0.6) ? 0 : pick_read_folder(r);
		e->f[0].nitems = 0;
		return;
	}
	/* binds are aggregated over two minutes: mostly one to three messages */
	static const int counts[] = {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 5};
	int n = counts[rng_below(r, 12)];
	e->nf = (n >= 3 && rng_chance(r, 0.3)) ? 2 : 1;
	e->f[0].f = pick_read_folder(r);
	e->f[1].f = e->f[0].f == 0 ? 4 : 0;
	e->f[0].nitems = e->nf == 2 ? n - 1 : n;
	e->f[1].nitems = e->nf == 2 ? 1 : 0;
	for (int i = 0; i < e->nf; i++)
		for (int j = 0; j < e->f[i].nitems; j++)
			make_msgid(T, r, &e->f[i].items[j]);
}

static void fill_login(const struct tenant *T, struct ev *e, struct rng *r)
{
	int u = tenant_pick_user(T, r);
	e->kind = K_LOGIN;
	e->user = u;
	int slot = pick_slot(r, 0.5, 0.35);
	set_net(T, e, u, slot);
	memcpy(e->ip_rec, e->ip, sizeof e->ip);
	if (slot == SLOT_MOBILE) {
		e->sapp = SA_MOBILE;
	} else {
		static const int pool[] = {SA_OFFICEHOME, SA_OFFICEHOME, SA_OWA,     SA_OWA,
					   SA_OWA,        SA_OFFICE,     SA_OFFICE,  SA_TEAMS,
					   SA_TEAMS,      SA_OUTLOOK,    SA_OUTLOOK, SA_SPO};
		e->sapp = pool[rng_below(r, 12)];
	}
	if (rng_chance(r, 0.06))
		e->err = rng_chance(r, 0.7) ? 50126 : 50074;
	if (e->sapp == SA_MOBILE)
		e->ua = &UA_MOBILE;
	else if (e->sapp == SA_OUTLOOK)
		e->ua = &UAS[4];
	else
		e->ua = &UAS[T->u[u].ua];
	e->interactive = !SAPPS[e->sapp].desktop || rng_chance(r, 0.35);
	record_id_fmt(e->id, hash3(e->key, 0x1d, K_LOGIN), 2);
	guid_hash(e->corr, hash2(e->key, 0xc0));
	user_session(T, e->session, u, slot, e->t / 86400);
	token_id_fmt(e->token, hash2(e->key, 0x70c));
}

static void fill_file(const struct tenant *T, struct ev *e, struct rng *r)
{
	int u = tenant_pick_user(T, r);
	e->kind = K_FILE;
	e->user = u;
	e->mbx = rng_chance(r, 0.7) ? u : (int)rng_below(r, (uint32_t)T->nusers);
	int slot = pick_slot(r, 0.7, 0.3);
	set_net(T, e, u, slot);
	memcpy(e->ip_rec, e->ip, sizeof e->ip);
	e->file = (int)rng_below(r, NFILES);
	e->file_modified = rng_chance(r, 0.15);
	e->ua = &UAS[T->u[u].ua];
	user_session(T, e->session, u, slot, e->t / 86400);
	user_token(T, e->token, u, slot, e->t / 14400, 40);
}

static void fill_send(const struct tenant *T, struct ev *e, struct rng *r)
{
	int u = tenant_pick_user(T, r);
	e->kind = K_SEND;
	e->user = e->mbx = u;
	int slot = pick_slot(r, 0.6, 0.4);
	set_net(T, e, u, slot);
	ip_render(e, r, 1);
	int app = rng_chance(r, 0.5) ? MA_OWA : MA_OUTLOOK;
	e->app_id = MAILAPPS[app].id;
	e->client_app_id = "";
	e->client_info = MAILAPPS[app].client_info;
	e->subject = (int)rng_below(r, NSUBJECTS);
	e->nf = 1;
	e->f[0].f = 1;
	e->f[0].nitems = 1;
	{
		const struct user *s = &T->u[u];
		char hx[40];
		hex_fmt(hx, rng_u64(r), 32, 1);
		snprintf(e->f[0].items[0].id, sizeof e->f[0].items[0].id,
			 "<%.15s%.32s@%.15s.%.12s.prod.outlook.com>", s->server, hx, s->server, s->region);
		e->f[0].items[0].size = 3000 + rng_below(r, 200000);
	}
	user_session(T, e->session, u, slot, e->t / 86400);
	mail_token(T, e, app);
}

static void fill_exo_admin(const struct tenant *T, struct ev *e, struct rng *r)
{
	e->kind = K_EXO_ADMIN;
	double x = rng_unit(r);
	if (x < 0.5) {
		static const enum op sys[] = {OP_SYS_SET_MAILBOX, OP_SYS_SET_CAP, OP_SYS_MAILBOXPLAN};
		e->op = sys[rng_below(r, 3)];
		e->user = -1;
		e->target = (int)rng_below(r, (uint32_t)T->nusers);
		return;
	}
	int u;
	if (x < 0.85) {
		/* a user tidying their inbox through Outlook on the web */
		u = tenant_pick_user(T, r);
		e->op = x < 0.72 ? OP_NEW_INBOXRULE : OP_SET_INBOXRULE;
		e->target = u;
		snprintf(e->rule, sizeof e->rule, "%s", RULES[hash2(T->seed, (uint64_t)u) % NRULES]);
		e->app_id = "00000002-0000-0ff1-ce00-000000000000";
	} else {
		u = 0; /* the first admin adjusts quotas from PowerShell */
		e->op = OP_SET_MAILBOX_QUOTA;
		e->target = (int)rng_below(r, (uint32_t)T->nusers);
		e->app_id = ADMIN_PS_APP;
	}
	e->user = u;
	int slot = pick_slot(r, 0.7, 0.3);
	set_net(T, e, u, slot);
	ip_render(e, r, 1);
	user_session(T, e->session, u, slot, e->t / 86400);
	mail_token(T, e, 30);
}

static void fill_aad(const struct tenant *T, struct ev *e, struct rng *r)
{
	e->kind = K_AAD;
	static const enum op ops[] = {OP_UPDATE_USER, OP_UPDATE_USER, OP_ADD_MEMBER,
				      OP_ADD_MEMBER,  OP_STS_REFRESH, OP_CHANGE_LICENSE};
	e->op = ops[rng_below(r, 6)];
	e->user = (int)rng_below(r, 2);
	e->target = 2 + (int)rng_below(r, (uint32_t)(T->nusers - 2));
	e->file = (int)rng_below(r, 5);
	set_net(T, e, e->user, SLOT_OFFICE);
	memcpy(e->ip_rec, e->ip, sizeof e->ip);
	record_id_fmt(e->id, hash2(e->key, 0xaad), 0);
	guid_hash(e->corr, hash2(e->key, 0xc0));
}

/* Relative frequency of each kind in the background: MailItemsAccessed
 * dominates, as in any tenant with mailbox auditing on. */
static const double KIND_W[NKINDS] = {
	[K_MIA] = 0.640,  [K_LOGIN] = 0.140,     [K_FILE] = 0.120,
	[K_SEND] = 0.075, [K_EXO_ADMIN] = 0.013, [K_AAD] = 0.012,
};

struct gen {
	const struct tenant *T;
	unsigned kinds;
	int all_interactive; /* the InteractiveSignIns CSV holds nothing else */
	double cum[NKINDS];
};

static void gen_init(struct gen *g, const struct tenant *T, unsigned kinds)
{
	g->T = T;
	g->kinds = kinds;
	g->all_interactive = 0;
	double tot = 0;
	for (int k = 0; k < NKINDS; k++) {
		if (kinds & KM(k))
			tot += KIND_W[k];
		g->cum[k] = tot;
	}
	for (int k = 0; k < NKINDS; k++)
		g->cum[k] /= tot;
}

/* The high-cardinality shape (HICARD): decided by hashes of the event's
 * key, never by its random stream, so that every other detail of the
 * event is the same as in the default shape. */
static void high_cardinality(struct ev *e)
{
	if (e->kind == K_AAD)
		return;
	uint64_t h = hash2(e->key, 0x41c4);
	if (e->token[0] && h % 100 < 32)
		token_id_fmt(e->token, hash2(e->key, 0x7e57));
	if (e->session[0] && (h >> 8) % 100 < 12)
		session_id_fmt(e->session, hash2(e->key, 0x5e57));
	/* a client build per event on REST mail clients: the user agent's
	 * version moves with every update */
	if (e->client_info && !strncmp(e->client_info, "Client=REST", 11) && (h >> 16) % 100 < 60) {
		uint64_t v = hash2(e->key, 0xc11e);
		snprintf(e->ci, sizeof e->ci,
			 "Client=REST;Client=RESTSystem;UserAgent=Microsoft Office/16.0 (Windows NT 10.0; "
			 "Microsoft Outlook 16.0.%u; Pro);",
			 (unsigned)(14000 + v % 3000) * 10000 + (unsigned)((v >> 20) % 10000));
		e->client_info = e->ci;
	}
}

/* Background event number gidx at time t. Its content depends on the seed
 * and gidx only, never on the format or the other files being written. */
static void gen_background(const struct gen *g, struct ev *e, uint64_t gidx, int64_t t)
{
	const struct tenant *T = g->T;
	struct rng r;
	ev_reset(e);
	e->t = t;
	e->key = hash3(T->seed, 0xb6, gidx);
	rng_init(&r, e->key);
	double x = rng_unit(&r);
	int k = 0;
	while (k < NKINDS - 1 && (x >= g->cum[k] || !(g->kinds & KM(k))))
		k++;
	switch (k) {
	case K_MIA: fill_mia(T, e, &r); break;
	case K_LOGIN: fill_login(T, e, &r); break;
	case K_FILE: fill_file(T, e, &r); break;
	case K_SEND: fill_send(T, e, &r); break;
	case K_EXO_ADMIN: fill_exo_admin(T, e, &r); break;
	default: fill_aad(T, e, &r); break;
	}
	if (e->kind != K_LOGIN && e->kind != K_AAD)
		record_id_fmt(e->id, hash2(e->key, 0x1d), 1);
	if (HICARD)
		high_cardinality(e);
	if (g->all_interactive && e->kind == K_LOGIN)
		e->interactive = 1;
	render(T, e);
}

/* ------------------------------------------------------------------ */
/* The planted intrusion                                               */
/* ------------------------------------------------------------------ */

struct pbuild {
	const struct tenant *T;
	struct plant *P;
	struct rng r;
	int64_t t0;
	double scale;
	int cap;
};

static struct ev *pl_new(struct pbuild *b, int kind, int64_t off)
{
	struct plant *P = b->P;
	if (P->nev == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		P->ev = xrealloc(P->ev, (size_t)b->cap * sizeof *P->ev);
		memset(P->ev + P->nev, 0, (size_t)(b->cap - P->nev) * sizeof *P->ev);
	}
	struct ev *e = &P->ev[P->nev];
	ev_reset(e);
	e->kind = kind;
	e->planted = 1;
	e->t = b->t0 + (int64_t)((double)off * b->scale);
	e->key = hash3(b->T->seed, 0x91a7, (uint64_t)P->nev);
	P->nev++;
	if (kind == K_LOGIN)
		record_id_fmt(e->id, hash3(e->key, 0x1d, K_LOGIN), 2);
	else if (kind == K_AAD)
		record_id_fmt(e->id, hash2(e->key, 0xaad), 0);
	else
		record_id_fmt(e->id, hash2(e->key, 0x1d), 1);
	return e;
}

static void pl_net(struct pbuild *b, struct ev *e, int ipi, int port_style)
{
	const struct plant *P = b->P;
	snprintf(e->ip, sizeof e->ip, "%s", P->ips[ipi]);
	e->city = P->city[ipi];
	e->state = P->state[ipi];
	e->cc = P->cc[ipi];
	e->asn = P->asn[ipi];
	e->lat = P->lat[ipi];
	e->lon = P->lon[ipi];
	if (port_style)
		ip_render(e, &b->r, 1);
	else
		memcpy(e->ip_rec, e->ip, sizeof e->ip);
}

static void pl_login(struct pbuild *b, int64_t off, int ipi, int err, int sapp, const char *session)
{
	struct ev *e = pl_new(b, K_LOGIN, off);
	e->user = b->P->foothold;
	e->err = err;
	e->sapp = sapp;
	e->ua = &UA_ATTACK;
	e->interactive = 1;
	pl_net(b, e, ipi, 0);
	guid_hash(e->corr, hash2(e->key, 0xc0));
	snprintf(e->session, sizeof e->session, "%s", session);
	if (!err && ipi == 0)
		snprintf(e->token, sizeof e->token, "%s", b->P->t1);
	else
		token_id_fmt(e->token, hash2(e->key, 0x70c));
}

/* One planted MailItemsAccessed: the new app reading mailbox mbx from
 * planted IP ipi. session/token given: the replayed pair; else per
 * (mailbox, IP) so that only the replay spans two addresses. */
static struct ev *pl_mia(struct pbuild *b, int64_t off, int mbx, int ipi, int sync, int folder,
			 int nitems, const char *session, const char *token)
{
	const struct plant *P = b->P;
	struct ev *e = pl_new(b, K_MIA, off);
	e->user = e->mbx = mbx;
	pl_net(b, e, ipi, 1);
	e->app_id = P->app;
	e->client_app_id = P->client;
	e->client_info = "Client=REST;Client=RESTSystem;;";
	if (session) {
		snprintf(e->session, sizeof e->session, "%s", session);
		snprintf(e->token, sizeof e->token, "%s", token);
	} else {
		session_id_fmt(e->session, hash4(b->T->seed, 0xbad5, (uint64_t)mbx, (uint64_t)ipi));
		token_id_fmt(e->token, hash4(b->T->seed, 0xbad7, (uint64_t)mbx, (uint64_t)ipi));
	}
	e->iat = b->t0 + 95;
	e->sync = sync;
	e->nf = 1;
	e->f[0].f = folder;
	e->f[0].nitems = sync ? 0 : nitems;
	for (int j = 0; j < e->f[0].nitems; j++)
		make_msgid(b->T, &b->r, &e->f[0].items[j]);
	return e;
}

static struct ev *pl_admin(struct pbuild *b, int64_t off, enum op op, int target, int ipi, const char *app)
{
	const struct plant *P = b->P;
	struct ev *e = pl_new(b, K_EXO_ADMIN, off);
	e->op = op;
	e->user = P->foothold;
	e->target = target;
	e->app_id = app;
	pl_net(b, e, ipi, 1);
	snprintf(e->session, sizeof e->session, "%s", P->s1);
	snprintf(e->token, sizeof e->token, "%s", P->t1);
	e->iat = b->t0 + 95;
	return e;
}

static void pl_aad(struct pbuild *b, int64_t off, enum op op, const char *corr)
{
	struct ev *e = pl_new(b, K_AAD, off);
	e->op = op;
	e->user = b->P->foothold;
	pl_net(b, e, 0, 0);
	snprintf(e->corr, sizeof e->corr, "%s", corr);
}

static void ev_free(struct ev *e)
{
	buf_free(&e->ad);
	buf_free(&e->folders);
	buf_free(&e->opprops);
	buf_free(&e->params);
	buf_free(&e->item);
}

static void plant_free(struct plant *P)
{
	for (int i = 0; i < P->nev; i++)
		ev_free(&P->ev[i]);
	free(P->ev);
	P->ev = NULL;
	P->nev = 0;
}

static int ev_cmp_time(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* at: where the intrusion starts, as a fraction of the range; negative:
 * the default (0.56-0.60, the second half). */
static void plant_build(struct plant *P, const struct tenant *T, int64_t start, int64_t end, double at)
{
	struct pbuild b;
	memset(&b, 0, sizeof b);
	b.T = T;
	b.P = P;
	rng_init(&b.r, hash2(T->seed, 0x9a7e));
	struct rng *r = &b.r;
	PLANT = P;

	guid_rng(P->app, r);
	guid_rng(P->client, r);
	guid_rng(P->sp_obj, r);
	guid_rng(P->app_obj, r);
	/* Microsoft Graph's service principal object id in this tenant */
	guid_hash(P->graph_sp, hash2(T->seed, 0x6a9));
	P->app_name = PLANTED_APP_NAMES[rng_below(r, 4)];

	static const struct {
		const char *city, *state, *cc;
		int asn;
		double lat, lon;
	} where[MAX_PIPS] = {
		/* documentation ASNs (RFC 5398) to match the documentation IPs */
		{"Amsterdam", "Noord-Holland", "NL", 64500, 52.3740, 4.8897},
		{"Singapore", "Singapore", "SG", 64501, 1.2897, 103.8501},
		{"Frankfurt Am Main", "Hessen", "DE", 64502, 50.1109, 8.6821},
		{"Bucharest", "Bucuresti", "RO", 64503, 44.4268, 26.1025},
	};
	P->nips = 2 + (int)rng_below(r, 3);
	int a_host = rng_range(r, 10, 120);
	snprintf(P->ips[0], 48, "203.0.113.%d", a_host);
	snprintf(P->ips[1], 48, "198.51.100.%d", rng_range(r, 10, 250));
	int g1 = rng_range(r, 0x100, 0xfff);
	int g2 = rng_range(r, 0x10, 0xff);
	int g3 = rng_range(r, 0x10, 0xfff);
	snprintf(P->ips[2], 48, "2001:db8:%x:%x::%x", g1, g2, g3);
	snprintf(P->ips[3], 48, "203.0.113.%d", a_host + rng_range(r, 10, 120));
	for (int i = 0; i < MAX_PIPS; i++) {
		P->city[i] = where[i].city;
		P->state[i] = where[i].state;
		P->cc[i] = where[i].cc;
		P->asn[i] = where[i].asn;
		P->lat[i] = where[i].lat;
		P->lon[i] = where[i].lon;
	}

	/* the foothold is the second admin; 2-4 more mailboxes are read */
	P->foothold = 1;
	P->nvict = 3 + (int)rng_below(r, 3);
	if (P->nvict > T->nusers - 2)
		P->nvict = T->nusers - 2;
	P->vict[0] = P->foothold;
	for (int i = 1; i < P->nvict; i++) {
		int v, again;
		do {
			v = 2 + (int)rng_below(r, (uint32_t)(T->nusers - 2));
			again = 0;
			for (int j = 0; j < i; j++)
				again |= P->vict[j] == v;
		} while (again);
		P->vict[i] = v;
	}
	for (int i = 0; i < P->nvict; i++)
		T->u[P->vict[i]].planted_role = i == 0 ? 1 : 2;
	session_id_fmt(P->s1, hash2(T->seed, 0x5171));
	token_id_fmt(P->t1, hash2(T->seed, 0x7171));
	guid_hash(P->consent_corr, hash2(T->seed, 0xc025));
	snprintf(P->rule, sizeof P->rule, "%s", rng_chance(r, 0.5) ? "." : "..");
	static const char *const fw[] = {"archive.mailbox", "j.harlow.mail", "doc-backup", "inbox.sync"};
	static const char *const fd[] = {"outlook-secure.example", "mailvault.example",
					 "proton-relay.example"};
	const char *f1 = fw[rng_below(r, 4)];
	const char *d1 = fd[rng_below(r, 3)];
	snprintf(P->fwd_rule, sizeof P->fwd_rule, "%s@%s", f1, d1);
	const char *f2 = fw[rng_below(r, 4)];
	int n2 = rng_range(r, 10, 99);
	const char *dom2 = fd[rng_below(r, 3)];
	snprintf(P->fwd_smtp, sizeof P->fwd_smtp, "smtp:%s%d@%s", f2, n2, dom2);
	P->fwd_mbx = P->vict[P->nvict - 1];
	P->perm_mbx = P->vict[1];
	P->throttled_mbx = P->vict[1];

	/* When: second half of the range, 02:13 UTC (off hours) on a long
	 * range; squeezed proportionally when the range is too short. */
	const int64_t span = 2 * 86400 + 3800;
	int64_t range = end - start;
	double frac = 0.56 + 0.04 * rng_unit(r); /* drawn always: same bytes as before */
	if (at >= 0)
		frac = at;
	int64_t t0 = start + (int64_t)((double)range * frac);
	if (range >= 7 * 86400) {
		int64_t snapped = t0 / 86400 * 86400 + 2 * 3600 + 13 * 60 + rng_range(r, 0, 59);
		/* at 02:13 of the day, unless that falls before the range */
		if (snapped >= start)
			t0 = snapped;
	}
	b.t0 = t0;
	int64_t avail = end - t0 - 60;
	b.scale = avail < span ? (double)avail / (double)span : 1.0;

	int F = P->foothold, V1 = P->vict[1], V2 = P->vict[2];
	int C = P->nips >= 3 ? 2 : 1; /* day-two network */
	int D = P->nips >= 4 ? 3 : 0; /* clean-up network */

	/* 1. password spray hits, then a sign-in from a new foreign IP (A) */
	pl_login(&b, 0, 0, 50126, SA_OFFICEHOME, "");
	pl_login(&b, 41, 0, 50126, SA_OFFICEHOME, "");
	pl_login(&b, 95, 0, 0, SA_OFFICEHOME, P->s1);
	/* 2. OAuth persistence: consent, service principal, grant, a secret */
	pl_aad(&b, 610, OP_CONSENT, P->consent_corr);
	pl_aad(&b, 611, OP_ADD_SP, P->consent_corr);
	pl_aad(&b, 612, OP_ADD_GRANT, P->consent_corr);
	{
		char corr2[40];
		guid_hash(corr2, hash2(T->seed, 0xc026));
		pl_aad(&b, 905, OP_ADD_SP_CRED, corr2);
	}
	/* 3. the new app reads the foothold's and a second mailbox from A */
	for (int i = 0; i < 4; i++)
		pl_mia(&b, 1200 + i * 170, F, 0, 0, i == 2 ? 5 : 0, 2 + (int)rng_below(r, 5), P->s1,
		       P->t1);
	for (int i = 0; i < 3; i++)
		pl_mia(&b, 1290 + i * 260, V1, 0, 0, 0, 2 + (int)rng_below(r, 4), NULL, NULL);
	/* 4. hide and forward */
	{
		struct ev *e = pl_admin(&b, 1500, OP_NEW_INBOXRULE, F, 0,
					"00000002-0000-0ff1-ce00-000000000000");
		snprintf(e->rule, sizeof e->rule, "%s", P->rule);
		snprintf(e->fwd, sizeof e->fwd, "%s", P->fwd_rule);
		e = pl_admin(&b, 1800, OP_SET_MAILBOX_FWD, P->fwd_mbx, 0, ADMIN_PS_APP);
		snprintf(e->fwd, sizeof e->fwd, "%s", P->fwd_smtp);
		pl_admin(&b, 2000, OP_ADD_MBX_PERM, P->perm_mbx, 0, ADMIN_PS_APP);
	}
	/* 5. the same session signs in again from B (replay) ... */
	pl_login(&b, 3900, 1, 0, SA_PLANTED, P->s1);
	/* ... and the same token reads mail from B, less than an hour later */
	pl_mia(&b, 4500, F, 1, 0, 0, 3 + (int)rng_below(r, 4), P->s1, P->t1);
	pl_mia(&b, 4620, F, 1, 0, 1, 2 + (int)rng_below(r, 3), P->s1, P->t1);
	pl_mia(&b, 4700, F, 1, 1, 0, 0, P->s1, P->t1); /* Sync of Inbox */
	for (int i = 0; i < 4; i++)
		pl_mia(&b, 5200 + i * 400, V2, 1, 0, i == 3 ? 5 : 0, 2 + (int)rng_below(r, 5), NULL, NULL);
	pl_mia(&b, 7300, V1, 1, 1, 0, 0, NULL, NULL); /* Sync of Inbox */
	/* 6. day two: the rest of the mailboxes, from C (IPv6 when present) */
	int64_t d2 = 86400 + 3600;
	for (int v = 3; v < P->nvict; v++)
		for (int i = 0; i < 4; i++)
			pl_mia(&b, d2 + (v - 3) * 2400 + i * 330, P->vict[v], C, 0, i == 1 ? 4 : 0,
			       2 + (int)rng_below(r, 5), NULL, NULL);
	for (int i = 0; i < 2; i++)
		pl_mia(&b, d2 + 6000 + i * 500, V2, C, 0, 0, 2 + (int)rng_below(r, 4), NULL, NULL);
	pl_mia(&b, d2 + 7400, V1, C, 0, 0, 3, NULL, NULL);
	{
		struct ev *e = pl_mia(&b, d2 + 7460, V1, C, 0, 0, 4, NULL, NULL);
		e->throttled = 1; /* the mailbox hit the 1,000 records a day cap */
	}
	/* 7. anti-forensics: the rule goes, UAL ingestion is switched off */
	{
		struct ev *e = pl_admin(&b, 2 * 86400 + 3600, OP_REMOVE_INBOXRULE, F, D,
					"00000002-0000-0ff1-ce00-000000000000");
		snprintf(e->rule, sizeof e->rule, "%s", P->rule);
		pl_admin(&b, 2 * 86400 + 3700, OP_SET_ADMINAUDIT, -1, D, ADMIN_PS_APP);
	}

	for (int i = 0; i < P->nev; i++)
		render(T, &P->ev[i]);
	qsort(P->ev, (size_t)P->nev, sizeof *P->ev, ev_cmp_time);
	P->enabled = 1;
}

/* ------------------------------------------------------------------ */
/* Wrapper representations other than AuditData                        */
/* ------------------------------------------------------------------ */

static const char MS_TENANT[] = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"; /* Microsoft's own */

static const char *signin_app_id(const struct ev *e)
{
	return e->sapp == SA_PLANTED ? PLANT->app : SAPPS[e->sapp].id;
}

static const char *signin_app_name(const struct ev *e)
{
	return e->sapp == SA_PLANTED ? PLANT->app_name : SAPPS[e->sapp].name;
}

static const struct resource *signin_res(const struct ev *e)
{
	return e->sapp == SA_PLANTED ? &RES[RES_GRAPH] : &RES[SAPPS[e->sapp].res];
}

static int signin_desktop(const struct ev *e)
{
	return e->sapp != SA_PLANTED && SAPPS[e->sapp].desktop;
}

static const char *signin_failure(int err)
{
	if (err == 50126)
		return "Error validating credentials due to invalid username or password.";
	if (err == 50074)
		return "Strong Authentication is required.";
	return "Other.";
}

/* The app that owns the planted registration lives in another tenant. */
static void planted_owner_tenant(const struct tenant *T, char *out)
{
	guid_hash(out, hash2(T->seed, 0x07e4));
}

/* Graph signIn object, lowerCamel, field order as the Graph API returns. */
static void signin_json(const struct tenant *T, const struct ev *e, struct buf *b)
{
	const struct user *u = &T->u[e->user];
	const struct resource *res = signin_res(e);
	char ts[32], owner[40];
	struct jw w;
	jw_init(&w, b, 0);
	fmt_isoz(ts, e->t);
	if (e->sapp == SA_PLANTED)
		planted_owner_tenant(T, owner);
	else
		snprintf(owner, sizeof owner, "%s", MS_TENANT);
	struct rng r;
	rng_init(&r, hash2(e->key, 0x5191));
	jw_open(&w, NULL, '{');
	jw_str(&w, "id", e->id);
	jw_str(&w, "createdDateTime", ts);
	jw_str(&w, "userDisplayName", u->display);
	jw_str(&w, "userPrincipalName", u->upn);
	jw_str(&w, "userId", u->oid);
	jw_str(&w, "appId", signin_app_id(e));
	jw_str(&w, "appDisplayName", signin_app_name(e));
	jw_str(&w, "ipAddress", e->ip);
	jw_null(&w, "ipAddressFromResourceProvider");
	jw_str(&w, "clientAppUsed", signin_desktop(e) ? "Mobile Apps and Desktop clients" : "Browser");
	jw_str(&w, "userAgent", e->ua->ua);
	jw_str(&w, "correlationId", e->corr);
	jw_str(&w, "conditionalAccessStatus", e->err ? "notApplied" : "success");
	jw_str(&w, "originalRequestId", "");
	jw_bool(&w, "isInteractive", e->interactive);
	jw_str(&w, "tokenIssuerName", "");
	jw_str(&w, "tokenIssuerType", "AzureAD");
	jw_str(&w, "clientCredentialType", "none");
	jw_int(&w, "processingTimeInMilliseconds", rng_range(&r, 40, 420));
	jw_str(&w, "riskDetail", "none");
	jw_str(&w, "riskLevelAggregated", "none");
	jw_str(&w, "riskLevelDuringSignIn", "none");
	jw_str(&w, "riskState", "none");
	jw_open(&w, "riskEventTypes_v2", '[');
	jw_close(&w, ']');
	jw_str(&w, "resourceDisplayName", res->name);
	jw_str(&w, "resourceId", res->id);
	jw_str(&w, "resourceTenantId", T->id);
	jw_str(&w, "homeTenantId", T->id);
	jw_str(&w, "homeTenantName", "");
	jw_open(&w, "authenticationMethodsUsed", '[');
	jw_close(&w, ']');
	jw_str(&w, "authenticationRequirement", "singleFactorAuthentication");
	jw_str(&w, "signInIdentifier", e->interactive ? u->upn_typed : "");
	jw_null(&w, "signInIdentifierType");
	jw_str(&w, "servicePrincipalName", "");
	jw_open(&w, "signInEventTypes", '[');
	jw_str(&w, NULL, e->interactive ? "interactiveUser" : "nonInteractiveUser");
	jw_close(&w, ']');
	jw_str(&w, "servicePrincipalId", "");
	jw_str(&w, "federatedCredentialId", "");
	jw_str(&w, "userType", "member");
	jw_bool(&w, "flaggedForReview", 0);
	jw_bool(&w, "isTenantRestricted", 0);
	jw_int(&w, "autonomousSystemNumber", e->asn);
	jw_str(&w, "crossTenantAccessType", "none");
	jw_str(&w, "uniqueTokenIdentifier", e->token);
	jw_str(&w, "incomingTokenType", "none");
	jw_str(&w, "authenticationProtocol", "none");
	jw_str(&w, "resourceServicePrincipalId", "");
	jw_str(&w, "signInTokenProtectionStatus", "none");
	jw_str(&w, "originalTransferMethod", "none");
	jw_bool(&w, "isThroughGlobalSecureAccess", 0);
	jw_str(&w, "globalSecureAccessIpAddress", "");
	jw_str(&w, "sessionId", e->session);
	jw_str(&w, "appOwnerTenantId", owner);
	jw_str(&w, "resourceOwnerTenantId", MS_TENANT);
	jw_null(&w, "mfaDetail");
	jw_open(&w, "status", '{');
	jw_int(&w, "errorCode", e->err);
	jw_str(&w, "failureReason", signin_failure(e->err));
	jw_null(&w, "additionalDetails");
	jw_close(&w, '}');
	jw_open(&w, "deviceDetail", '{');
	jw_str(&w, "deviceId", "");
	jw_str(&w, "displayName", "");
	jw_str(&w, "operatingSystem", e->ua->os_csv);
	jw_str(&w, "browser", e->ua->browser_csv);
	jw_bool(&w, "isCompliant", 0);
	jw_bool(&w, "isManaged", 0);
	jw_str(&w, "trustType", "");
	jw_close(&w, '}');
	jw_open(&w, "location", '{');
	jw_str(&w, "city", e->city);
	jw_str(&w, "state", e->state);
	jw_str(&w, "countryOrRegion", e->cc);
	jw_open(&w, "geoCoordinates", '{');
	jw_null(&w, "altitude");
	jw_real(&w, "latitude", e->lat);
	jw_real(&w, "longitude", e->lon);
	jw_close(&w, '}');
	jw_close(&w, '}');
	jw_open(&w, "appliedConditionalAccessPolicies", '[');
	jw_close(&w, ']');
	jw_open(&w, "authenticationProcessingDetails", '[');
	jw_close(&w, ']');
	jw_open(&w, "networkLocationDetails", '[');
	jw_close(&w, ']');
	jw_close(&w, '}');
}

/* The portal's InteractiveSignIns CSV header, traps included: trailing
 * spaces, a double space, "Incoming token type" twice. */
static const char SIGNIN_CSV_HEADER[] =
	"\"Date (UTC)\",\"Request ID\",\"User agent\",\"Correlation ID\",\"User ID\",\"User\","
	"\"Username\",\"User type\",\"Cross tenant access type\",\"Incoming token type\","
	"\"Authentication Protocol\",\"Unique token identifier\",\"Original transfer method\","
	"\"Client credential type\",\"Token Protection - Sign In Session\","
	"\"Token Protection - Sign In Session StatusCode\",\"Application\",\"Application ID \","
	"\"App owner tenant ID\",\"Resource\",\"Resource ID \",\"Resource tenant ID\","
	"\"Resource owner tenant ID\",\"Home tenant ID\",\"Home tenant name\",\"IP address\","
	"\"Location\",\"Status\",\"Sign-in error code\",\"Failure reason\",\"Client app\","
	"\"Device ID\",\"Browser\",\"Operating System\",\"Compliant\",\"Managed\",\"Join Type\","
	"\"Multifactor authentication result\",\"Multifactor authentication auth method\","
	"\"Multifactor authentication auth detail\",\"Authentication requirement\","
	"\"Sign-in identifier\",\"Session ID\",\"IP address (seen by resource)\","
	"\"Through Global Secure Access\",\"Global Secure Access IP address\","
	"\"Autonomous system  number\",\"Flagged for review\",\"Token issuer type\","
	"\"Incoming token type\",\"Token issuer name\",\"Latency\",\"Conditional Access\","
	"\"Managed Identity type\",\"Associated Resource Id\",\"Federated Token Id\","
	"\"Federated Token Issuer\"";

static void signin_csv_row(const struct tenant *T, const struct ev *e, struct buf *b)
{
	const struct user *u = &T->u[e->user];
	const struct resource *res = signin_res(e);
	char ts[32], loc[160], owner[40], num[24], lat[16];
	fmt_isoz(ts, e->t);
	snprintf(loc, sizeof loc, "%s, %s, %s", e->city, e->state, e->cc);
	if (e->sapp == SA_PLANTED)
		planted_owner_tenant(T, owner);
	else
		snprintf(owner, sizeof owner, "%s", MS_TENANT);
	snprintf(num, sizeof num, "%d", e->asn);
	snprintf(lat, sizeof lat, "%d", (int)(hash2(e->key, 0x1a7) % 260) + 40);
	char err[16] = "";
	if (e->err)
		snprintf(err, sizeof err, "%d", e->err);
	const char *cells[] = {
		ts,
		e->id,
		e->ua->ua,
		e->corr,
		u->oid,
		u->display,
		u->upn,
		"member",
		"none",
		"none",
		"none",
		e->token,
		"none",
		"none",
		"unbound",
		"1002",
		signin_app_name(e),
		signin_app_id(e),
		owner,
		res->name,
		res->id,
		T->id,
		MS_TENANT,
		T->id,
		"",
		e->ip,
		loc,
		e->err ? "Failure" : "Success",
		err,
		signin_failure(e->err),
		signin_desktop(e) ? "Mobile Apps and Desktop clients" : "Browser",
		"",
		e->ua->browser_csv,
		e->ua->os_csv,
		"false",
		"false",
		"",
		"",
		"",
		"",
		"Single-factor authentication",
		e->interactive ? u->upn : "",
		e->session,
		"",
		"false",
		"",
		num,
		"false",
		"Microsoft Entra ID",
		"None",
		"",
		lat,
		e->err ? "Not Applied" : "Success",
		"None",
		"",
		"",
		"",
	};
	const size_t n = sizeof cells / sizeof cells[0];
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		csv_cells(b, cells[i], 1, ',');
	}
}

/* Graph directoryAudit ids: "Directory_<correlation>_<5 chars>_<9 digits>". */
static void diraudit_id(const struct ev *e, char *out, size_t n)
{
	char tag[8];
	static const char AN[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint64_t h = hash2(e->key, 0xd1a);
	for (int i = 0; i < 5; i++) {
		tag[i] = AN[h % 36];
		h /= 36;
	}
	tag[5] = 0;
	snprintf(out, n, "Directory_%s_%s_%09u", e->corr, tag, (unsigned)(h % 1000000000u));
}

/* UAL ModifiedProperties values -> Graph's JSON-text newValue: arrays lose
 * their CRLF layout, scalars become quoted strings. */
static void graph_value(const char *v, char *out, size_t n)
{
	size_t o = 0;
	if (!*v) {
		snprintf(out, n, "%s", "");
		return;
	}
	if (v[0] == '[' || v[0] == '{') {
		for (const char *p = v; *p && o + 1 < n; p++) {
			if (*p == '\r' || *p == '\n') {
				while (p[1] == ' ')
					p++;
				continue;
			}
			out[o++] = *p;
		}
		out[o] = 0;
		return;
	}
	snprintf(out, n, "\"%s\"", v);
}

static void diraudit_json(const struct tenant *T, const struct ev *e, struct buf *b)
{
	const struct user *a = &T->u[e->user];
	const struct user *t = e->target >= 0 ? &T->u[e->target] : NULL;
	char ts[40], id[128], name[64], val[400];
	struct mods m;
	struct jw w;
	aad_mods(T, e, &m);
	diraudit_id(e, id, sizeof id);
	size_t tn = fmt_iso(ts, e->t);
	snprintf(ts + tn, sizeof ts - tn, ".%07uZ", (unsigned)(hash2(e->key, 0x7f) % 10000000u));
	snprintf(name, sizeof name, "%s", OP_NAMES[e->op]);
	size_t nl = strlen(name);
	if (nl && name[nl - 1] == '.')
		name[nl - 1] = 0; /* Graph drops the UAL's trailing period */
	const struct aadmeta *md = &AADMETA[e->op];
	jw_init(&w, b, 0);
	jw_open(&w, NULL, '{');
	jw_str(&w, "id", id);
	jw_str(&w, "category", md->category);
	jw_str(&w, "correlationId", e->corr);
	jw_str(&w, "result", "success");
	jw_str(&w, "resultReason", "");
	jw_str(&w, "activityDisplayName", name);
	jw_str(&w, "activityDateTime", ts);
	jw_str(&w, "loggedByService", md->service);
	jw_str(&w, "operationType", md->optype);
	jw_open(&w, "initiatedBy", '{');
	jw_null(&w, "app");
	jw_open(&w, "user", '{');
	jw_str(&w, "id", a->oid);
	jw_null(&w, "displayName");
	jw_str(&w, "userPrincipalName", a->upn);
	jw_str(&w, "ipAddress", e->ip);
	jw_null(&w, "userType");
	jw_null(&w, "homeTenantId");
	jw_null(&w, "homeTenantName");
	jw_close(&w, '}');
	jw_close(&w, '}');
	jw_open(&w, "targetResources", '[');
	jw_open(&w, NULL, '{');
	if (aad_is_app_target(e->op)) {
		jw_str(&w, "id", PLANT->sp_obj);
		jw_str(&w, "displayName", PLANT->app_name);
		jw_str(&w, "type", "ServicePrincipal");
		jw_null(&w, "userPrincipalName");
	} else if (e->op == OP_ADD_MEMBER) {
		jw_str(&w, "id", t->oid);
		jw_null(&w, "displayName");
		jw_str(&w, "type", "User");
		jw_str(&w, "userPrincipalName", t->upn);
	} else {
		jw_str(&w, "id", t->oid);
		jw_null(&w, "displayName");
		jw_str(&w, "type", "User");
		jw_str(&w, "userPrincipalName", t->upn);
	}
	jw_null(&w, "groupType");
	jw_open(&w, "modifiedProperties", '[');
	for (int i = 0; i < m.n; i++) {
		if (strcmp(m.name[i], "Included Updated Properties") == 0)
			continue;
		jw_open(&w, NULL, '{');
		jw_str(&w, "displayName", m.name[i]);
		graph_value(m.ov[i], val, sizeof val);
		if (val[0] && strcmp(val, "[]") != 0)
			jw_str(&w, "oldValue", val);
		else
			jw_null(&w, "oldValue");
		graph_value(m.nv[i], val, sizeof val);
		jw_str(&w, "newValue", val);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	jw_close(&w, '}');
	jw_close(&w, ']');
	jw_open(&w, "additionalDetails", '[');
	jw_open(&w, NULL, '{');
	jw_str(&w, "key", "User-Agent");
	jw_str(&w, "value", e->planted ? UA_ATTACK.ua : UAS[a->ua].ua);
	jw_close(&w, '}');
	if (aad_is_app_target(e->op)) {
		jw_open(&w, NULL, '{');
		jw_str(&w, "key", "AppId");
		jw_str(&w, "value", PLANT->app);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	jw_close(&w, '}');
}

/* Sentinel OfficeActivity row: renamed columns, detail arrays as JSON text. */
static void sentinel_json(const struct tenant *T, const struct ev *e, struct buf *b)
{
	char ts[32];
	struct jw w;
	jw_init(&w, b, 0);
	fmt_isoz(ts, e->t);
	int rt = ev_recordtype(e);
	char rts[8];
	snprintf(rts, sizeof rts, "%d", rt);
	const struct user *u = e->user >= 0 ? &T->u[e->user] : NULL;
	jw_open(&w, NULL, '{');
	jw_str(&w, "TenantId", T->id);
	jw_str(&w, "SourceSystem", "OfficeActivityManager");
	jw_str(&w, "RecordType", rts);
	jw_str(&w, "TimeGenerated", ts);
	jw_str(&w, "Operation", ev_operation(e));
	jw_str(&w, "OrganizationId", T->id);
	jw_str(&w, "UserType", !u ? "DcAdmin" : u->admin ? "Admin" : "Regular");
	jw_str(&w, "UserKey", u ? u->puid : SYSTEM_USER);
	jw_str(&w, "OfficeWorkload", ev_workload(e));
	if (e->kind == K_MIA || e->kind == K_SEND)
		jw_str(&w, "ResultStatus", "Succeeded");
	else if (e->kind == K_EXO_ADMIN)
		jw_str(&w, "ResultStatus", "True");
	jw_str(&w, "OfficeId", e->id);
	jw_str(&w, "SourceRecordId", e->id);
	jw_str(&w, "UserId", ev_userid(T, e));
	if (e->kind == K_MIA || e->kind == K_SEND) {
		const struct user *o = &T->u[e->mbx];
		char srv[64];
		snprintf(srv, sizeof srv, "%s (15.20.6500.%03d)\r\n", o->server,
			 (int)(o->server[12] - '0') * 7 + 12);
		jw_str(&w, "ExternalAccess", "False");
		jw_str(&w, "OriginatingServer", srv);
		jw_str(&w, "OrganizationName", T->org);
		jw_str(&w, "Logon_Type",
		       e->logon_type == 1   ? "Admin"
		       : e->logon_type == 2 ? "Delegate"
					    : "Owner");
		jw_str(&w, "MailboxGuid", o->mbx_guid);
		jw_str(&w, "MailboxOwnerUPN", o->upn);
		jw_str(&w, "MailboxOwnerSid", o->sid);
		jw_str(&w, "LogonUserSid", u->sid);
		jw_str(&w, "ClientInfoString", e->client_info);
		jw_str(&w, "Client_IPAddress", e->ip);
		if (e->kind == K_MIA) {
			jw_strn(&w, "Folders", e->folders.p, e->folders.len);
			jw_strn(&w, "OperationProperties", e->opprops.p, e->opprops.len);
		} else {
			jw_strn(&w, "Item", e->item.p, e->item.len);
		}
		jw_str(&w, "AppId", e->app_id);
		jw_str(&w, "ClientAppId", e->client_app_id);
		if (e->session[0])
			jw_str(&w, "SessionId", e->session);
	} else if (e->kind == K_EXO_ADMIN) {
		jw_str(&w, "ExternalAccess", u ? "False" : "True");
		jw_str(&w, "OrganizationName", T->org);
		if (u)
			jw_str(&w, "ClientIP", e->ip_rec);
		jw_strn(&w, "Parameters", e->params.p, e->params.len);
		jw_str(&w, "AppId", e->app_id);
	} else if (e->kind == K_FILE) {
		jw_str(&w, "ClientIP", e->ip);
		jw_str(&w, "UserAgent", e->ua->ua);
		jw_str(&w, "EventSource", "SharePoint");
		jw_str(&w, "ItemType", "File");
		jw_str(&w, "SourceFileName", FILES[e->file]);
		jw_str(&w, "SourceFileExtension", strrchr(FILES[e->file], '.') + 1);
		jw_str(&w, "SourceRelativeUrl", "Documents");
	}
	jw_str(&w, "Type", "OfficeActivity");
	jw_close(&w, '}');
}

/* Graph security auditLogRecord: our choice is a bare JSON array of
 * records (what a collector writes after following @odata.nextLink),
 * with auditData the very same object as everywhere else. */
static void graph_json(const struct tenant *T, const struct ev *e, struct buf *b)
{
	char ts[32];
	struct jw w;
	jw_init(&w, b, 0);
	fmt_isoz(ts, e->t);
	const struct user *u = e->user >= 0 ? &T->u[e->user] : NULL;
	jw_open(&w, NULL, '{');
	jw_str(&w, "id", e->id);
	jw_str(&w, "createdDateTime", ts);
	jw_str(&w, "auditLogRecordType", ev_rtgraph(e));
	jw_str(&w, "operation", ev_operation(e));
	jw_str(&w, "organizationId", T->id);
	jw_str(&w, "userType", !u ? "system" : u->admin ? "admin" : "regular");
	jw_str(&w, "userId", u ? u->upn : SYSTEM_USER);
	jw_str(&w, "service", ev_workload(e));
	jw_str(&w, "objectId", e->mbx >= 0 ? T->u[e->mbx].upn : "");
	jw_str(&w, "userPrincipalName", u ? u->upn : "");
	jw_str(&w, "clientIp", e->ip);
	jw_open(&w, "administrativeUnits", '[');
	jw_close(&w, ']');
	jw_raw(&w, "auditData", e->ad.p, e->ad.len);
	jw_close(&w, '}');
}

/* ------------------------------------------------------------------ */
/* Writers                                                             */
/* ------------------------------------------------------------------ */

enum fmt {
	F_PURVIEW,
	F_CLASSIC,
	F_PSH,
	F_JSONARR,
	F_JSONL,
	F_SENTINEL,
	F_GRAPH,
	F_SIGNIN_JSON,
	F_SIGNIN_CSV,
	F_DIRAUDIT,
	NFMTS
};

struct fmtinfo {
	const char *name;
	unsigned kinds;
	const char *what;
};

static const struct fmtinfo FMTS[NFMTS] = {
	[F_PURVIEW] = {"purview-csv", KM_ALL, "Purview portal Audit export, new column set"},
	[F_CLASSIC] = {"purview-csv-classic", KM_ALL,
		       "older portal export: CreationDate,UserIds,Operations,AuditData"},
	[F_PSH] = {"psh-csv", KM_ALL, "Search-UnifiedAuditLog | Export-Csv"},
	[F_JSONARR] = {"json-array", KM_ALL, "Management Activity API arrays of AuditData"},
	[F_JSONL] = {"jsonl", KM_ALL, "one AuditData object a line"},
	[F_SENTINEL] = {"sentinel", KM_OFFICE, "Sentinel OfficeActivity rows, JSON lines"},
	[F_GRAPH] = {"graph-audit", KM_ALL, "Graph audit log query records, JSON array"},
	[F_SIGNIN_JSON] = {"entra-signin-json", KM_SIGNIN, "Graph signIns, JSON array"},
	[F_SIGNIN_CSV] = {"entra-signin-csv", KM_SIGNIN, "Entra portal InteractiveSignIns CSV"},
	[F_DIRAUDIT] = {"entra-audit-json", KM_AAD, "Graph directoryAudits, JSON array"},
};

static int fmt_is_ual(enum fmt f)
{
	return f <= F_GRAPH;
}

enum { DS_DEFAULT, DS_US, DS_ISO, DS_DE, DS_MSDATE };
enum { EOL_DEFAULT, EOL_LF, EOL_CRLF };

struct wopts {
	int date_style;
	int variant_header, type_line, semicolon, utf16, formatted, runspace;
	int concat, pretty, psjson, wrapped, utf8_bom, eol;
	double dup_rate;
};

struct writer {
	enum fmt fmt;
	struct wopts o;
	const char *path;
	struct sink s;
	int64_t lo, hi; /* time window [lo, hi) */
	unsigned kinds;
	const unsigned char *umask; /* only events touching these users */
	int interactive_only;
	const char *eol;
	char delim;
	struct buf row, tmp;
	uint64_t nrec, ndup, nplanted, nuniq;
	int64_t first, last;
	uint64_t in_array; /* records in the open array */
	int arr;           /* index of the open array (--concat) */
	struct rng r;
	/* psh-csv: one page (a Search-UnifiedAuditLog call) is buffered
	 * so ResultCount is known before its rows are written */
	struct buf page;
	size_t *off; /* per row: prefix start, suffix start */
	size_t noff, capoff;
	uint64_t page_target;
	char runspace[40];
};

static int writer_accepts(const struct writer *w, const struct ev *e)
{
	if (!(w->kinds & KM(e->kind)))
		return 0;
	if (e->t < w->lo || e->t >= w->hi)
		return 0;
	if (w->interactive_only && !e->interactive)
		return 0;
	if (w->umask) {
		int hit = (e->user >= 0 && w->umask[e->user]) || (e->mbx >= 0 && w->umask[e->mbx]) ||
			  (e->target >= 0 && w->umask[e->target]);
		if (!hit)
			return 0;
	}
	return 1;
}

static size_t fmt_date(const struct writer *w, char *o, int64_t t)
{
	switch (w->o.date_style) {
	case DS_ISO: return fmt_iso7(o, t);
	case DS_DE: return fmt_de(o, t);
	default: return fmt_us(o, t);
	}
}

static void json_array_open(struct writer *w)
{
	sink_puts(&w->s, "[");
	w->in_array = 0;
}

static void json_array_close(struct writer *w)
{
	if (w->in_array && (w->o.pretty || w->o.psjson))
		sink_puts(&w->s, w->eol);
	sink_puts(&w->s, "]");
	sink_puts(&w->s, w->eol);
}

/* One element of a JSON array: compact on one line, or re-indented. */
static void json_array_item(struct writer *w, const char *j, size_t n)
{
	w->tmp.len = 0;
	if (w->in_array)
		buf_putc(&w->tmp, ',');
	if (w->o.psjson) {
		buf_puts(&w->tmp, w->eol);
		put_spaces(&w->tmp, 4);
		json_reindent(&w->tmp, j, n, JS_PS, 4, 4, w->eol);
	} else if (w->o.pretty) {
		buf_puts(&w->tmp, w->eol);
		put_spaces(&w->tmp, 2);
		json_reindent(&w->tmp, j, n, JS_STD, 2, 2, w->eol);
	} else {
		buf_put(&w->tmp, j, n);
	}
	sink_put(&w->s, w->tmp.p, w->tmp.len);
	w->in_array++;
}

static void psh_header(struct writer *w)
{
	static const char *const cols[] = {"RecordType", "CreationDate", "UserIds",     "Operations",
					   "AuditData",  "ResultIndex",  "ResultCount", "Identity",
					   "IsValid",    "ObjectState"};
	w->row.len = 0;
	if (w->o.type_line) {
		buf_puts(&w->row,
			 "#TYPE Deserialized.Microsoft.Exchange.Data.ApplicationLogic.UnifiedAuditLogEvent");
		buf_puts(&w->row, w->eol);
	}
	if (w->o.runspace) {
		csv_cells(&w->row, "RunspaceId", 1, w->delim);
		buf_putc(&w->row, w->delim);
	}
	for (int i = 0; i < 10; i++) {
		if (i)
			buf_putc(&w->row, w->delim);
		csv_cells(&w->row, cols[i], 1, w->delim);
	}
	if (w->o.runspace) {
		buf_putc(&w->row, w->delim);
		csv_cells(&w->row, "PSComputerName", 1, w->delim);
	}
	buf_puts(&w->row, w->eol);
	sink_put(&w->s, w->row.p, w->row.len);
}

static void psh_new_page(struct writer *w)
{
	w->page.len = 0;
	w->noff = 0;
	/* a collector slices by time; each call returns up to 5,000 rows */
	w->page_target = (uint64_t)rng_range(&w->r, 250, 5000);
	guid_rng(w->runspace, &w->r);
}

/* Write the buffered page newest first, as Search-UnifiedAuditLog returns
 * it, numbering ResultIndex 1..ResultCount. */
static void psh_flush(struct writer *w)
{
	size_t rows = w->noff / 2;
	if (!rows)
		return;
	char num[24], cnt[24];
	snprintf(cnt, sizeof cnt, "\"%zu\"", rows);
	for (size_t k = 0; k < rows; k++) {
		size_t i = rows - 1 - k;
		size_t p0 = w->off[2 * i], s0 = w->off[2 * i + 1];
		size_t end = i + 1 < rows ? w->off[2 * (i + 1)] : w->page.len;
		w->row.len = 0;
		if (w->o.runspace) {
			buf_putc(&w->row, '"');
			buf_puts(&w->row, w->runspace);
			buf_putc(&w->row, '"');
			buf_putc(&w->row, w->delim);
		}
		buf_put(&w->row, w->page.p + p0, s0 - p0);
		snprintf(num, sizeof num, "\"%zu\"", k + 1);
		buf_puts(&w->row, num);
		buf_putc(&w->row, w->delim);
		buf_puts(&w->row, cnt);
		buf_put(&w->row, w->page.p + s0, end - s0);
		sink_put(&w->s, w->row.p, w->row.len);
	}
	psh_new_page(w);
}

static void psh_add(struct writer *w, const struct tenant *T, const struct ev *e)
{
	char ts[48];
	if (w->noff + 2 > w->capoff) {
		w->capoff = w->capoff ? w->capoff * 2 : 1024;
		w->off = xrealloc(w->off, w->capoff * sizeof *w->off);
	}
	w->off[w->noff++] = w->page.len;
	struct buf *b = &w->page;
	char d = w->delim;
	csv_cells(b, ev_rtname(e), 1, d);
	buf_putc(b, d);
	fmt_date(w, ts, e->t);
	csv_cells(b, ts, 1, d);
	buf_putc(b, d);
	csv_cells(b, ev_userid(T, e), 1, d);
	buf_putc(b, d);
	csv_cells(b, ev_operation(e), 1, d);
	buf_putc(b, d);
	if (w->o.formatted) {
		/* -Formatted: indented JSON with CRLF inside the cell */
		w->tmp.len = 0;
		json_reindent(&w->tmp, e->ad.p, e->ad.len, JS_STD, 4, 0, "\r\n");
		csv_cell(b, w->tmp.p, w->tmp.len, 1, d);
	} else {
		csv_cell(b, e->ad.p, e->ad.len, 1, d);
	}
	buf_putc(b, d);
	w->off[w->noff++] = b->len;
	buf_putc(b, d);
	csv_cells(b, e->id, 1, d);
	buf_putc(b, d);
	csv_cells(b, "True", 1, d);
	buf_putc(b, d);
	csv_cells(b, "Unchanged", 1, d);
	if (w->o.runspace) {
		buf_putc(b, d);
		csv_cells(b, "outlook.office365.com", 1, d);
	}
	buf_puts(b, w->eol);
}

static void writer_begin(struct writer *w)
{
	const struct wopts *o = &w->o;
	int crlf = o->eol == EOL_CRLF ||
		   (o->eol == EOL_DEFAULT && (w->fmt == F_PSH || w->fmt == F_SENTINEL));
	w->eol = crlf ? "\r\n" : "\n";
	w->delim = o->semicolon ? ';' : ',';
	w->first = INT64_MAX;
	w->last = INT64_MIN;
	rng_init(&w->r, hash2((uint64_t)w->fmt * 7919, (uint64_t)w->lo));
	sink_open(&w->s, w->path, o->utf16, o->utf8_bom || w->fmt == F_SIGNIN_CSV);
	switch (w->fmt) {
	case F_PURVIEW:
		sink_puts(
			&w->s,
			o->variant_header
				? "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitNames"
				: "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames");
		sink_puts(&w->s, w->eol);
		break;
	case F_CLASSIC:
		sink_puts(&w->s, "CreationDate,UserIds,Operations,AuditData");
		sink_puts(&w->s, w->eol);
		break;
	case F_PSH:
		psh_header(w);
		psh_new_page(w);
		break;
	case F_SIGNIN_CSV:
		sink_puts(&w->s, SIGNIN_CSV_HEADER);
		sink_puts(&w->s, w->eol);
		break;
	case F_JSONARR:
	case F_GRAPH:
	case F_SIGNIN_JSON:
	case F_DIRAUDIT:
		w->arr = 0;
		json_array_open(w);
		break;
	default: break;
	}
}

/* Write one event; returns how many copies went out (psh paging repeats). */
static int writer_write(struct writer *w, const struct tenant *T, const struct ev *e)
{
	char ts[48];
	int copies = 1;
	struct buf *b = &w->row;
	b->len = 0;
	if (e->t < w->first)
		w->first = e->t;
	if (e->t > w->last)
		w->last = e->t;
	switch (w->fmt) {
	case F_PURVIEW: {
		csv_cells(b, e->id, 0, ',');
		buf_putc(b, ',');
		size_t n = fmt_date(w, ts, e->t);
		csv_cell(b, ts, n, 0, ',');
		buf_putc(b, ',');
		buf_i64(b, ev_recordtype(e));
		buf_putc(b, ',');
		csv_cells(b, ev_operation(e), 0, ',');
		buf_putc(b, ',');
		csv_cells(b, ev_userid(T, e), 0, ',');
		buf_putc(b, ',');
		csv_cell(b, e->ad.p, e->ad.len, 0, ',');
		buf_puts(b, ",,");
		buf_puts(b, w->eol);
		sink_put(&w->s, b->p, b->len);
		break;
	}
	case F_CLASSIC: {
		size_t n = fmt_date(w, ts, e->t);
		csv_cell(b, ts, n, 0, ',');
		buf_putc(b, ',');
		csv_cells(b, ev_userid(T, e), 0, ',');
		buf_putc(b, ',');
		csv_cells(b, ev_operation(e), 0, ',');
		buf_putc(b, ',');
		csv_cell(b, e->ad.p, e->ad.len, 0, ',');
		buf_puts(b, w->eol);
		sink_put(&w->s, b->p, b->len);
		break;
	}
	case F_PSH:
		psh_add(w, T, e);
		if (w->o.dup_rate > 0 && rng_chance(&w->r, w->o.dup_rate)) {
			psh_add(w, T, e); /* the same record again on a later index */
			copies = 2;
		}
		if (w->noff / 2 >= w->page_target)
			psh_flush(w);
		break;
	case F_JSONARR:
		if (w->o.concat > 1) {
			/* split the window into concat arrays by time, as a
			 * collector querying successive intervals does */
			int want = (int)((double)(e->t - w->lo) * w->o.concat / (double)(w->hi - w->lo));
			if (want >= w->o.concat)
				want = w->o.concat - 1;
			while (w->arr < want) {
				json_array_close(w);
				json_array_open(w);
				w->arr++;
			}
		}
		json_array_item(w, e->ad.p, e->ad.len);
		break;
	case F_JSONL:
		if (w->o.wrapped) {
			struct jw j;
			jw_init(&j, b, 0);
			jw_open(&j, NULL, '{');
			if (w->o.date_style == DS_MSDATE) {
				/* Windows PowerShell 5.1 ConvertTo-Json of a DateTime */
				jw_key(&j, "CreationDate");
				buf_puts(b, "\"\\/Date(");
				buf_i64(b, e->t * 1000);
				buf_puts(b, ")\\/\"");
			} else {
				fmt_iso(ts, e->t);
				jw_str(&j, "CreationDate", ts);
			}
			jw_str(&j, "RecordId", e->id);
			jw_strn(&j, "AuditData", e->ad.p, e->ad.len);
			jw_close(&j, '}');
		} else {
			buf_put(b, e->ad.p, e->ad.len);
		}
		buf_puts(b, w->eol);
		sink_put(&w->s, b->p, b->len);
		break;
	case F_SENTINEL:
		sentinel_json(T, e, b);
		buf_puts(b, w->eol);
		sink_put(&w->s, b->p, b->len);
		break;
	case F_GRAPH:
		graph_json(T, e, b);
		json_array_item(w, b->p, b->len);
		break;
	case F_SIGNIN_JSON:
		signin_json(T, e, b);
		json_array_item(w, b->p, b->len);
		break;
	case F_SIGNIN_CSV:
		signin_csv_row(T, e, b);
		buf_puts(b, w->eol);
		sink_put(&w->s, b->p, b->len);
		break;
	case F_DIRAUDIT:
		diraudit_json(T, e, b);
		json_array_item(w, b->p, b->len);
		break;
	default: break;
	}
	w->nrec += (uint64_t)copies;
	w->ndup += (uint64_t)(copies - 1);
	w->nuniq++;
	if (e->planted)
		w->nplanted++;
	return copies;
}

static void writer_end(struct writer *w)
{
	switch (w->fmt) {
	case F_PSH: psh_flush(w); break;
	case F_JSONARR:
		json_array_close(w);
		while (w->o.concat > 1 && ++w->arr < w->o.concat) {
			json_array_open(w);
			json_array_close(w);
		}
		break;
	case F_GRAPH:
	case F_SIGNIN_JSON:
	case F_DIRAUDIT: json_array_close(w); break;
	default: break;
	}
	sink_close(&w->s);
	buf_free(&w->row);
	buf_free(&w->tmp);
	buf_free(&w->page);
	free(w->off);
	w->off = NULL;
}

/* ------------------------------------------------------------------ */
/* The stream: exact counts per hour, content keyed by global index    */
/* ------------------------------------------------------------------ */

struct schedule {
	int64_t start, end;
	int nb;
	uint64_t *cnt;
};

/* Hour weights: office hours, a shoulder, quiet nights, quieter weekends,
 * and per-hour jitter so no two days look the same. */
static void schedule_init(struct schedule *s, int64_t start, int64_t end, uint64_t n, uint64_t seed)
{
	s->start = start;
	s->end = end;
	s->nb = (int)((end - start + 3599) / 3600);
	s->cnt = xcalloc((size_t)s->nb, sizeof *s->cnt);
	double *w = xcalloc((size_t)s->nb, sizeof *w);
	double tot = 0;
	for (int k = 0; k < s->nb; k++) {
		int64_t t = start + (int64_t)k * 3600;
		int h = (int)((t / 3600) % 24);
		int dow = (int)(((t / 86400) + 4) % 7); /* 1970-01-01 was a Thursday */
		double base = (h >= 8 && h < 18) ? 1.0 : (h >= 6 && h < 21) ? 0.35 : 0.07;
		if (dow == 0 || dow == 6)
			base *= 0.18;
		double jit = 0.8 + 0.4 * (double)(hash2(seed, (uint64_t)k) % 1000) / 1000.0;
		w[k] = base * jit;
		tot += w[k];
	}
	double acc = 0;
	uint64_t given = 0;
	for (int k = 0; k < s->nb; k++) {
		acc += w[k];
		uint64_t upto = k == s->nb - 1 ? n : (uint64_t)floor((double)n * acc / tot);
		if (upto < given)
			upto = given;
		if (upto > n)
			upto = n;
		s->cnt[k] = upto - given;
		given = upto;
	}
	free(w);
}

typedef void (*emit_fn)(struct ev *e, void *ctx);

static void run_stream(const struct tenant *T, const struct plant *P, const struct schedule *S,
		       const struct gen *g, emit_fn fn, void *ctx)
{
	struct ev *e = xcalloc(1, sizeof *e);
	uint32_t *hist = xcalloc(3600, sizeof *hist);
	uint64_t gidx = 0;
	int pi = 0;
	for (int k = 0; k < S->nb; k++) {
		uint64_t c = S->cnt[k];
		int64_t base = S->start + (int64_t)k * 3600;
		if (c) {
			/* sorted second offsets by counting sort: no big arrays */
			struct rng r;
			rng_init(&r, hash3(T->seed, 0xb0c, (uint64_t)k));
			memset(hist, 0, 3600 * sizeof *hist);
			for (uint64_t j = 0; j < c; j++)
				hist[rng_below(&r, 3600)]++;
		}
		for (int sec = 0; c && sec < 3600; sec++) {
			for (uint32_t m = 0; m < hist[sec]; m++) {
				int64_t t = base + sec;
				while (P && pi < P->nev && P->ev[pi].t <= t)
					fn(&P->ev[pi++], ctx);
				gen_background(g, e, gidx++, t);
				fn(e, ctx);
			}
		}
	}
	while (P && pi < P->nev)
		fn(&P->ev[pi++], ctx);
	ev_free(e);
	free(e);
	free(hist);
}

/* ------------------------------------------------------------------ */
/* Manifest: the planted facts tests assert against                    */
/* ------------------------------------------------------------------ */

struct idlist {
	struct buf ids; /* JSON array body: "a","b",... */
	uint64_t n;
};

static void idlist_add(struct idlist *l, const char *id)
{
	if (l->n)
		buf_putc(&l->ids, ',');
	json_escape(&l->ids, id, strlen(id), 0);
	l->n++;
}

struct run {
	uint64_t seed, events;
	int64_t start, end;
	int days;
	int bundle;
	const char *cmdline_format;
	struct tenant *T;
	struct plant *P;
	struct writer *w;
	int nw;
	struct idlist dup_ual, dup_signin;
	uint64_t uniq_ual, uniq_signin, uniq_aad;
};

static void jw_time(struct jw *w, const char *k, int64_t t)
{
	char ts[32];
	fmt_isoz(ts, t);
	jw_str(w, k, ts);
}

/* Distinct IPs per session (or token) over the planted events; those seen
 * from two or more addresses are the replay the hunts must find. */
static void manifest_reuse(struct jw *w, const char *key, const struct plant *P, int token)
{
	jw_open(w, key, '[');
	for (int i = 0; i < P->nev; i++) {
		const char *v = token ? P->ev[i].token : P->ev[i].session;
		if (!v[0])
			continue;
		int seen = 0;
		for (int j = 0; j < i; j++)
			seen |= strcmp(token ? P->ev[j].token : P->ev[j].session, v) == 0;
		if (seen)
			continue;
		const char *ips[16];
		int nip = 0;
		for (int j = i; j < P->nev; j++) {
			if (strcmp(token ? P->ev[j].token : P->ev[j].session, v) != 0)
				continue;
			int dup = 0;
			for (int k = 0; k < nip; k++)
				dup |= strcmp(ips[k], P->ev[j].ip) == 0;
			if (!dup && nip < 16)
				ips[nip++] = P->ev[j].ip;
		}
		if (nip < 2)
			continue;
		jw_open(w, NULL, '{');
		jw_str(w, token ? "token_id" : "session_id", v);
		jw_open(w, "ips", '[');
		for (int k = 0; k < nip; k++)
			jw_str(w, NULL, ips[k]);
		jw_close(w, ']');
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void manifest_planted(struct jw *w, const struct tenant *T, const struct plant *P)
{
	const struct ev *rule = NULL, *rule_rm = NULL, *fwd = NULL, *perm = NULL, *thr = NULL;
	jw_open(w, "planted", '{');
	jw_str(w, "app_id", P->app);
	jw_str(w, "app_display_name", P->app_name);
	jw_str(w, "client_app_id", P->client);
	jw_str(w, "service_principal_object_id", P->sp_obj);
	jw_str(w, "compromised_user", T->u[P->foothold].upn);
	jw_open(w, "mailboxes", '[');
	for (int i = 0; i < P->nvict; i++)
		jw_str(w, NULL, T->u[P->vict[i]].upn);
	jw_close(w, ']');
	jw_open(w, "ips", '[');
	for (int i = 0; i < P->nips; i++)
		jw_str(w, NULL, P->ips[i]);
	jw_close(w, ']');
	jw_open(w, "ip_locations", '[');
	for (int i = 0; i < P->nips; i++) {
		jw_open(w, NULL, '{');
		jw_str(w, "ip", P->ips[i]);
		jw_str(w, "city", P->city[i]);
		jw_str(w, "country", P->cc[i]);
		jw_int(w, "asn", P->asn[i]);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_time(w, "first_event", P->ev[0].t);
	jw_time(w, "last_event", P->ev[P->nev - 1].t);
	jw_str(w, "session_id", P->s1);
	jw_str(w, "token_id", P->t1);
	manifest_reuse(w, "sessions_reused", P, 0);
	manifest_reuse(w, "tokens_reused", P, 1);

	/* sign-in from a new IP, then mail from that IP */
	jw_open(w, "signin_then_mail", '[');
	for (int i = 0; i < P->nev; i++) {
		const struct ev *s = &P->ev[i];
		if (s->kind != K_LOGIN || s->err)
			continue;
		for (int j = i + 1; j < P->nev; j++) {
			const struct ev *m = &P->ev[j];
			if (m->kind != K_MIA || strcmp(m->ip, s->ip) != 0)
				continue;
			jw_open(w, NULL, '{');
			jw_str(w, "ip", s->ip);
			jw_str(w, "user", T->u[s->user].upn);
			jw_str(w, "signin_id", s->id);
			jw_time(w, "signin_time", s->t);
			jw_str(w, "mail_record_id", m->id);
			jw_time(w, "mail_time", m->t);
			jw_int(w, "seconds_between", m->t - s->t);
			jw_close(w, '}');
			break;
		}
	}
	jw_close(w, ']');

	jw_open(w, "internet_message_ids", '[');
	for (int i = 0; i < P->nev; i++) {
		const struct ev *e = &P->ev[i];
		if (e->kind != K_MIA || e->sync)
			continue;
		for (int f = 0; f < e->nf; f++)
			for (int j = 0; j < e->f[f].nitems; j++)
				jw_str(w, NULL, e->f[f].items[j].id);
	}
	jw_close(w, ']');
	jw_open(w, "messages", '[');
	for (int i = 0; i < P->nev; i++) {
		const struct ev *e = &P->ev[i];
		if (e->kind != K_MIA || e->sync)
			continue;
		for (int f = 0; f < e->nf; f++)
			for (int j = 0; j < e->f[f].nitems; j++) {
				jw_open(w, NULL, '{');
				jw_str(w, "mailbox", T->u[e->mbx].upn);
				jw_str(w, "internet_message_id", e->f[f].items[j].id);
				jw_str(w, "folder", FOLDERS[e->f[f].f]);
				jw_str(w, "record_id", e->id);
				jw_str(w, "ip", e->ip);
				jw_close(w, '}');
			}
	}
	jw_close(w, ']');
	jw_open(w, "synced_folders", '[');
	for (int i = 0; i < P->nev; i++) {
		const struct ev *e = &P->ev[i];
		if (e->kind != K_MIA || !e->sync)
			continue;
		jw_open(w, NULL, '{');
		jw_str(w, "mailbox", T->u[e->mbx].upn);
		jw_str(w, "folder", FOLDERS[e->f[0].f]);
		jw_str(w, "record_id", e->id);
		jw_str(w, "ip", e->ip);
		jw_close(w, '}');
	}
	jw_close(w, ']');

	jw_open(w, "mail_record_ids", '[');
	for (int i = 0; i < P->nev; i++) {
		const struct ev *e = &P->ev[i];
		if (e->kind == K_MIA)
			jw_str(w, NULL, e->id);
		if (e->kind == K_MIA && e->throttled)
			thr = e;
		if (e->kind == K_EXO_ADMIN) {
			if (e->op == OP_NEW_INBOXRULE)
				rule = e;
			else if (e->op == OP_REMOVE_INBOXRULE)
				rule_rm = e;
			else if (e->op == OP_SET_MAILBOX_FWD)
				fwd = e;
			else if (e->op == OP_ADD_MBX_PERM)
				perm = e;
		}
	}
	jw_close(w, ']');
	if (thr) {
		jw_open(w, "throttled", '{');
		jw_str(w, "mailbox", T->u[thr->mbx].upn);
		jw_str(w, "record_id", thr->id);
		jw_close(w, '}');
	}
	if (rule) {
		jw_open(w, "inbox_rule", '{');
		jw_str(w, "name", rule->rule);
		jw_str(w, "mailbox", T->u[rule->target].upn);
		jw_str(w, "forward_to", rule->fwd);
		jw_str(w, "move_to_folder", "RSS Feeds");
		jw_bool(w, "mark_as_read", 1);
		jw_str(w, "record_id", rule->id);
		jw_str(w, "removed_record_id", rule_rm ? rule_rm->id : "");
		jw_close(w, '}');
	}
	if (fwd) {
		jw_open(w, "forwarding_smtp", '{');
		jw_str(w, "mailbox", T->u[fwd->target].upn);
		jw_str(w, "address", fwd->fwd);
		jw_str(w, "record_id", fwd->id);
		jw_close(w, '}');
	}
	if (perm) {
		jw_open(w, "mailbox_permission", '{');
		jw_str(w, "mailbox", T->u[perm->target].upn);
		jw_str(w, "granted_to", T->u[perm->user].upn);
		jw_str(w, "access_rights", "FullAccess");
		jw_str(w, "record_id", perm->id);
		jw_close(w, '}');
	}
	jw_open(w, "consent", '{');
	jw_open(w, "record_ids", '[');
	for (int i = 0; i < P->nev; i++)
		if (P->ev[i].kind == K_AAD)
			jw_str(w, NULL, P->ev[i].id);
	jw_close(w, ']');
	jw_open(w, "operations", '[');
	for (int i = 0; i < P->nev; i++)
		if (P->ev[i].kind == K_AAD)
			jw_str(w, NULL, OP_NAMES[P->ev[i].op]);
	jw_close(w, ']');
	jw_open(w, "directory_audit_ids", '[');
	for (int i = 0; i < P->nev; i++)
		if (P->ev[i].kind == K_AAD) {
			char id[128];
			diraudit_id(&P->ev[i], id, sizeof id);
			jw_str(w, NULL, id);
		}
	jw_close(w, ']');
	jw_str(w, "correlation_id", P->consent_corr);
	jw_close(w, '}');
	jw_open(w, "anti_forensics_record_ids", '[');
	for (int i = 0; i < P->nev; i++)
		if (P->ev[i].kind == K_EXO_ADMIN &&
		    (P->ev[i].op == OP_REMOVE_INBOXRULE || P->ev[i].op == OP_SET_ADMINAUDIT))
			jw_str(w, NULL, P->ev[i].id);
	jw_close(w, ']');
	jw_open(w, "record_ids", '[');
	for (int i = 0; i < P->nev; i++)
		jw_str(w, NULL, P->ev[i].id);
	jw_close(w, ']');
	jw_open(w, "signin_ids", '[');
	for (int i = 0; i < P->nev; i++)
		if (P->ev[i].kind == K_LOGIN)
			jw_str(w, NULL, P->ev[i].id);
	jw_close(w, ']');
	int counts[NKINDS] = {0};
	for (int i = 0; i < P->nev; i++)
		counts[P->ev[i].kind]++;
	jw_open(w, "counts", '{');
	jw_int(w, "ual", P->nev);
	jw_int(w, "mail_items_accessed", counts[K_MIA]);
	jw_int(w, "exchange_admin", counts[K_EXO_ADMIN]);
	jw_int(w, "signins", counts[K_LOGIN]);
	jw_int(w, "directory_audits", counts[K_AAD]);
	jw_close(w, '}');
	jw_close(w, '}');
}

static void writer_options_json(struct jw *j, const struct writer *w)
{
	const struct wopts *o = &w->o;
	jw_open(j, "options", '[');
	if (o->date_style == DS_US)
		jw_str(j, NULL, "--date-style us");
	if (o->date_style == DS_ISO)
		jw_str(j, NULL, "--date-style iso");
	if (o->date_style == DS_DE)
		jw_str(j, NULL, "--culture de");
	if (o->date_style == DS_MSDATE)
		jw_str(j, NULL, "--date-style msdate");
	if (o->variant_header)
		jw_str(j, NULL, "--variant-header");
	if (o->type_line)
		jw_str(j, NULL, "--type-line");
	if (o->semicolon)
		jw_str(j, NULL, "--semicolon");
	if (o->utf16)
		jw_str(j, NULL, "--utf16le");
	if (o->formatted)
		jw_str(j, NULL, "--formatted");
	if (o->runspace)
		jw_str(j, NULL, "--runspace");
	if (o->concat > 1) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "--concat %d", o->concat);
		jw_str(j, NULL, tmp);
	}
	if (o->pretty)
		jw_str(j, NULL, "--pretty");
	if (o->psjson)
		jw_str(j, NULL, "--ps-json");
	if (o->wrapped)
		jw_str(j, NULL, "--wrapped");
	if (o->utf8_bom)
		jw_str(j, NULL, "--utf8-bom");
	if (o->eol == EOL_CRLF)
		jw_str(j, NULL, "--crlf");
	if (o->eol == EOL_LF)
		jw_str(j, NULL, "--lf");
	if (o->dup_rate > 0) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "--dup-rate %g", o->dup_rate * 100);
		jw_str(j, NULL, tmp);
	}
	jw_close(j, ']');
}

static void manifest_write(const struct run *R, const char *path)
{
	struct buf b = {0};
	struct jw j;
	const struct tenant *T = R->T;
	jw_init(&j, &b, 0);
	jw_open(&j, NULL, '{');
	jw_str(&j, "generator", "auditgen " AUDITGEN_VERSION);
	jw_int(&j, "seed", (int64_t)R->seed);
	jw_int(&j, "events", (int64_t)R->events);
	jw_time(&j, "start", R->start);
	jw_time(&j, "end", R->end);
	jw_int(&j, "days", R->days);
	jw_open(&j, "tenant", '{');
	jw_str(&j, "id", T->id);
	jw_str(&j, "organization", T->org);
	jw_str(&j, "domain", T->domain);
	jw_int(&j, "users", T->nusers);
	jw_open(&j, "baseline_mail_app_ids", '[');
	for (int i = 0; i < 6; i++)
		jw_str(&j, NULL, MAILAPPS[i].id);
	jw_close(&j, ']');
	jw_close(&j, '}');
	if (R->P && R->P->enabled)
		manifest_planted(&j, T, R->P);
	else
		jw_null(&j, "planted");
	jw_open(&j, "files", '[');
	for (int i = 0; i < R->nw; i++) {
		const struct writer *w = &R->w[i];
		const char *name = w->path;
		if (R->bundle && strrchr(name, '/'))
			name = strrchr(name, '/') + 1;
		jw_open(&j, NULL, '{');
		jw_str(&j, "path", name);
		jw_str(&j, "format", FMTS[w->fmt].name);
		writer_options_json(&j, w);
		jw_int(&j, "records", (int64_t)w->nrec);
		jw_int(&j, "unique_records", (int64_t)w->nuniq);
		jw_int(&j, "duplicate_copies", (int64_t)w->ndup);
		jw_int(&j, "planted_records", (int64_t)w->nplanted);
		if (w->nuniq) {
			jw_time(&j, "first", w->first);
			jw_time(&j, "last", w->last);
		}
		jw_int(&j, "bytes", (int64_t)w->s.bytes);
		jw_close(&j, '}');
	}
	jw_close(&j, ']');
	if (R->bundle) {
		jw_open(&j, "unique", '{');
		jw_int(&j, "ual_records", (int64_t)R->uniq_ual);
		jw_int(&j, "signins", (int64_t)R->uniq_signin);
		jw_int(&j, "directory_audits", (int64_t)R->uniq_aad);
		jw_close(&j, '}');
		jw_open(&j, "duplicates", '{');
		jw_int(&j, "ual_record_count", (int64_t)R->dup_ual.n);
		jw_key(&j, "ual_record_ids");
		buf_putc(&b, '[');
		buf_put(&b, R->dup_ual.ids.p ? R->dup_ual.ids.p : "", R->dup_ual.ids.len);
		buf_putc(&b, ']');
		jw_int(&j, "signin_count", (int64_t)R->dup_signin.n);
		jw_key(&j, "signin_ids");
		buf_putc(&b, '[');
		buf_put(&b, R->dup_signin.ids.p ? R->dup_signin.ids.p : "", R->dup_signin.ids.len);
		buf_putc(&b, ']');
		jw_close(&j, '}');
	}
	jw_close(&j, '}');

	struct buf pretty = {0};
	json_reindent(&pretty, b.p, b.len, JS_STD, 2, 0, "\n");
	buf_putc(&pretty, '\n');
	struct sink s;
	sink_open(&s, path, 0, 0);
	sink_put(&s, pretty.p, pretty.len);
	sink_close(&s);
	buf_free(&b);
	buf_free(&pretty);
}

/* ------------------------------------------------------------------ */
/* Driving one file or the demo bundle                                 */
/* ------------------------------------------------------------------ */

struct emitctx {
	struct run *R;
};

static void emit_single(struct ev *e, void *ctx)
{
	struct run *R = ((struct emitctx *)ctx)->R;
	if (writer_accepts(&R->w[0], e))
		writer_write(&R->w[0], R->T, e);
}

static void emit_bundle(struct ev *e, void *ctx)
{
	struct run *R = ((struct emitctx *)ctx)->R;
	int ual = 0, sig = 0, aad = 0;
	for (int i = 0; i < R->nw; i++) {
		struct writer *w = &R->w[i];
		if (!writer_accepts(w, e))
			continue;
		int c = writer_write(w, R->T, e);
		if (fmt_is_ual(w->fmt))
			ual += c;
		else if (w->fmt == F_DIRAUDIT)
			aad += c;
		else
			sig += c;
	}
	if (ual)
		R->uniq_ual++;
	if (ual >= 2)
		idlist_add(&R->dup_ual, e->id);
	if (sig)
		R->uniq_signin++;
	if (sig >= 2)
		idlist_add(&R->dup_signin, e->id);
	if (aad)
		R->uniq_aad++;
}

struct cli {
	enum fmt fmt;
	int have_fmt;
	uint64_t events;
	int have_events;
	uint64_t seed;
	int64_t start;
	int days;
	int users;
	const char *out;
	const char *manifest;
	const char *bundle;
	const char *domain;
	int no_attack;
	double intrusion_at; /* fraction of the range; < 0: the default */
	struct wopts o;
};

static uint64_t count_planted(const struct plant *P, unsigned kinds)
{
	uint64_t n = 0;
	for (int i = 0; P && i < P->nev; i++)
		n += (kinds & KM(P->ev[i].kind)) != 0;
	return n;
}

static void run_single(const struct cli *c)
{
	struct tenant T;
	struct plant P;
	memset(&P, 0, sizeof P);
	PLANT = &P;
	int64_t end = c->start + (int64_t)c->days * 86400;
	tenant_init(&T, c->seed, c->users, c->domain);
	if (!c->no_attack)
		plant_build(&P, &T, c->start, end, c->intrusion_at);
	unsigned kinds = FMTS[c->fmt].kinds;
	uint64_t np = count_planted(c->no_attack ? NULL : &P, kinds);
	if (c->events < np + 1)
		die(2,
		    "--events %" PRIu64 " is too small: the planted intrusion alone is %" PRIu64
		    " %s records (use more events or --no-attack)",
		    c->events, np, FMTS[c->fmt].name);

	struct gen g;
	gen_init(&g, &T, kinds);
	g.all_interactive = c->fmt == F_SIGNIN_CSV;
	struct schedule S;
	schedule_init(&S, c->start, end, c->events - np, c->seed);

	struct writer w;
	memset(&w, 0, sizeof w);
	w.fmt = c->fmt;
	w.o = c->o;
	w.path = c->out;
	w.lo = c->start;
	w.hi = end;
	w.kinds = kinds;

	struct run R;
	memset(&R, 0, sizeof R);
	R.seed = c->seed;
	R.events = c->events;
	R.start = c->start;
	R.end = end;
	R.days = c->days;
	R.T = &T;
	R.P = c->no_attack ? NULL : &P;
	R.w = &w;
	R.nw = 1;
	struct emitctx ctx = {&R};

	writer_begin(&w);
	run_stream(&T, R.P, &S, &g, emit_single, &ctx);
	writer_end(&w);
	if (c->manifest)
		manifest_write(&R, c->manifest);
	free(S.cnt);
	plant_free(&P);
	tenant_free(&T);
}

struct bspec {
	const char *name;
	enum fmt fmt;
	double lo, hi;
	int victims_only;
	int interactive_only;
	struct wopts o;
};

static void run_bundle(const struct cli *c)
{
	if (mkdir(c->bundle, 0777) != 0 && errno != EEXIST)
		die(1, "%s: %s", c->bundle, strerror(errno));
	struct tenant T;
	struct plant P;
	memset(&P, 0, sizeof P);
	PLANT = &P;
	int64_t end = c->start + (int64_t)c->days * 86400;
	tenant_init(&T, c->seed, c->users, c->domain);
	if (!c->no_attack)
		plant_build(&P, &T, c->start, end, c->intrusion_at);
	uint64_t np = c->no_attack ? 0 : (uint64_t)P.nev;
	if (c->events < np + 100)
		die(2, "--events %" PRIu64 " is too small for a bundle (at least %" PRIu64 ")",
		    c->events, np + 100);

	/* Which part of the range each file covers: consecutive portal
	 * exports overlap a little (duplicates), the PowerShell export repeats
	 * rows across pages, the extractor run is scoped to the compromised
	 * mailboxes over the whole range (heavy overlap with everything). */
	static const struct bspec spec[] = {
		{"purview-portal.csv", F_PURVIEW, 0.00, 0.40, 0, 0, {.date_style = DS_US}},
		{"purview-portal-iso.csv",
		 F_PURVIEW,
		 0.35,
		 0.60,
		 0,
		 0,
		 {.date_style = DS_ISO, .variant_header = 1}},
		{"psh-export.csv", F_PSH, 0.55, 0.75, 0, 0, {.type_line = 1, .utf16 = 1, .dup_rate = 0.02}},
		{"psh-export-formatted.csv",
		 F_PSH,
		 0.75,
		 0.80,
		 0,
		 0,
		 {.formatted = 1, .date_style = DS_DE, .semicolon = 1, .runspace = 1, .utf8_bom = 1}},
		{"mgmt-api.json", F_JSONARR, 0.80, 1.00, 0, 0, {.concat = 3}},
		{"extractor.jsonl", F_JSONL, 0.00, 0.75, 1, 0, {0}},
		{"sentinel-officeactivity.jsonl", F_SENTINEL, 0.50, 0.70, 0, 0, {0}},
		{"graph-audit.json", F_GRAPH, 0.62, 0.68, 0, 0, {0}},
		{"entra-signins.json", F_SIGNIN_JSON, 0.00, 1.00, 0, 0, {.psjson = 1, .utf8_bom = 1}},
		{"InteractiveSignIns.csv", F_SIGNIN_CSV, 0.50, 1.00, 0, 1, {0}},
		{"directory-audits.json", F_DIRAUDIT, 0.00, 1.00, 0, 0, {.pretty = 1}},
	};
	enum { NSPEC = sizeof spec / sizeof spec[0] };
	struct writer w[NSPEC];
	char paths[NSPEC][4096];
	unsigned char *victims = xcalloc((size_t)T.nusers, 1);
	for (int i = 0; !c->no_attack && i < P.nvict; i++)
		victims[P.vict[i]] = 1;
	int64_t range = end - c->start;
	memset(w, 0, sizeof w);
	for (int i = 0; i < NSPEC; i++) {
		snprintf(paths[i], sizeof paths[i], "%s/%s", c->bundle, spec[i].name);
		w[i].fmt = spec[i].fmt;
		w[i].o = spec[i].o;
		w[i].path = paths[i];
		w[i].lo = c->start + (int64_t)(spec[i].lo * (double)range);
		w[i].hi = spec[i].hi >= 1.0 ? end : c->start + (int64_t)(spec[i].hi * (double)range);
		w[i].kinds = FMTS[spec[i].fmt].kinds;
		w[i].umask = spec[i].victims_only && !c->no_attack ? victims : NULL;
		w[i].interactive_only = spec[i].interactive_only;
		if (spec[i].fmt == F_PSH && spec[i].o.date_style == DS_DEFAULT)
			w[i].o.date_style = DS_US;
	}

	struct gen g;
	gen_init(&g, &T, KM_ALL);
	struct schedule S;
	schedule_init(&S, c->start, end, c->events - np, c->seed);

	struct run R;
	memset(&R, 0, sizeof R);
	R.seed = c->seed;
	R.events = c->events;
	R.start = c->start;
	R.end = end;
	R.days = c->days;
	R.bundle = 1;
	R.T = &T;
	R.P = c->no_attack ? NULL : &P;
	R.w = w;
	R.nw = NSPEC;
	struct emitctx ctx = {&R};
	for (int i = 0; i < NSPEC; i++)
		writer_begin(&w[i]);
	run_stream(&T, R.P, &S, &g, emit_bundle, &ctx);
	for (int i = 0; i < NSPEC; i++)
		writer_end(&w[i]);
	char mpath[4200];
	snprintf(mpath, sizeof mpath, "%s/manifest.json", c->bundle);
	manifest_write(&R, mpath);
	buf_free(&R.dup_ual.ids);
	buf_free(&R.dup_signin.ids);
	free(victims);
	free(S.cnt);
	plant_free(&P);
	tenant_free(&T);
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f, "usage: auditgen --format FMT --events N [options] [-o FILE] [--manifest FILE]\n"
		   "       auditgen --bundle DIR [--seed S] [--events N] [common options]\n"
		   "       auditgen --list-formats | --help | --version\n"
		   "\n"
		   "Writes synthetic Microsoft 365 / Entra ID audit exports with a planted\n"
		   "Storm-0558-style intrusion. Same arguments, same bytes.\n"
		   "\n"
		   "Common options:\n"
		   "  --format FMT        output format (see --list-formats)\n"
		   "  --events N          records to write (UAL formats: every record; Entra\n"
		   "                      formats: sign-ins / directory audits); default 10000,\n"
		   "                      4000 for --bundle. Suffixes k and M: 1M = 1000000\n"
		   "  --seed S            PRNG seed (default 1)\n"
		   "  --start YYYY-MM-DD  first day, UTC (default 2023-06-01)\n"
		   "  --days D            length of the range in days (default 30)\n"
		   "  --users U           mailboxes in the tenant (default 50, at least 8)\n"
		   "  --domain D          tenant mail domain (default contoso.com)\n"
		   "  --cardinality low|high\n"
		   "                      high: a fresh UniqueTokenId on most records, fresh\n"
		   "                      sessions and client builds (as real UAL has; about\n"
		   "                      2.5x the distinct values); default low\n"
		   "  --no-attack         background only, nothing planted\n"
		   "  --intrusion-at F    start the intrusion at fraction F of the range (0 to\n"
		   "                      0.99, e.g. 0.43); default: 0.56-0.60, by the seed\n"
		   "  -o, --output FILE   output file (default: standard output)\n"
		   "  --manifest FILE     write the planted facts and counts as JSON\n"
		   "  --bundle DIR        write the demo case: several formats, overlapping\n"
		   "                      windows, duplicates, and DIR/manifest.json\n"
		   "  --crlf | --lf       line ends (default LF; CRLF for psh-csv, sentinel)\n"
		   "  --utf8-bom          start the file with EF BB BF\n"
		   "  --utf16le           write UTF-16LE with an FF FE BOM (any format)\n"
		   "\n"
		   "Format options:\n"
		   "  --date-style us|iso|de|msdate\n"
		   "                      CSV CreationDate: us '9/26/2023 1:56:15 AM' (default for\n"
		   "                      purview-csv, psh-csv), iso '2023-09-26T01:56:15.0000000Z '\n"
		   "                      (with the trailing space; default for purview-csv-classic),\n"
		   "                      de '26.09.2023 01:56:15'; jsonl --wrapped: iso (default)\n"
		   "                      or msdate '\\/Date(1695693375000)\\/'\n"
		   "  --variant-header    purview-csv: spell AssociatedAdminUnitNames\n"
		   "  --type-line         psh-csv: '#TYPE Deserialized...' first line\n"
		   "  --semicolon         psh-csv: ';' delimiter (Export-Csv -UseCulture)\n"
		   "  --formatted         psh-csv: AuditData as indented JSON, CRLF inside the cell\n"
		   "  --culture de        psh-csv: same as --date-style de\n"
		   "  --runspace          psh-csv: RunspaceId first and PSComputerName last column\n"
		   "  --dup-rate PCT      psh-csv: repeat PCT%% of rows later in the page with\n"
		   "                      another ResultIndex (paging artefact)\n"
		   "  --concat K          json-array: K concatenated top-level arrays\n"
		   "  --pretty            JSON arrays: indented two spaces a level\n"
		   "  --ps-json           JSON arrays: Windows PowerShell ConvertTo-Json layout\n"
		   "  --wrapped           jsonl: {\"CreationDate\",\"RecordId\",\"AuditData\":\"<string>\"}\n"
		   "\n"
		   "Exit status: 0 success, 1 run-time error, 2 usage error.\n");
}

static void list_formats(void)
{
	for (int i = 0; i < NFMTS; i++)
		printf("%-20s %s\n", FMTS[i].name, FMTS[i].what);
}

static uint64_t parse_count(const char *opt, const char *v)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (end == v || errno || v[0] == '-')
		die(2, "%s: not a number: '%s'", opt, v);
	if (*end == 'k' || *end == 'K') {
		n *= 1000;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		n *= 1000000;
		end++;
	}
	if (*end)
		die(2, "%s: not a number: '%s'", opt, v);
	return n;
}

static int parse_int(const char *opt, const char *v, int lo, int hi)
{
	uint64_t n = parse_count(opt, v);
	if (n < (uint64_t)lo || n > (uint64_t)hi)
		die(2, "%s: %s is out of range %d..%d", opt, v, lo, hi);
	return (int)n;
}

/* Options that only make sense for some formats: refuse the rest rather
 * than silently ignore them. */
static void check_applies(const struct cli *c, const char *opt, unsigned fmts)
{
	if (!c->have_fmt)
		return;
	if (!(fmts & (1u << c->fmt)))
		die(2, "%s does not apply to --format %s", opt, FMTS[c->fmt].name);
}

#define FB(f) (1u << (f))

int main(int argc, char **argv)
{
	struct cli c;
	memset(&c, 0, sizeof c);
	c.seed = 1;
	c.days = 30;
	c.users = 50;
	c.domain = "contoso.com";
	c.intrusion_at = -1;
	parse_date("2023-06-01", &c.start);
	c.o.concat = 1;
	const char *date_style = NULL;
	const char *applied[32];
	unsigned applies_to[32];
	int napplied = 0;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		char *val = NULL;
		char opt[64];
		snprintf(opt, sizeof opt, "%s", a);
		char *eq = strchr(opt, '=');
		if (strncmp(a, "--", 2) == 0 && eq) {
			*eq = 0;
			val = a + (eq - opt) + 1;
		}
#define ARG() (val ? val : (i + 1 < argc ? argv[++i] : (die(2, "%s needs a value", opt), (char *)NULL)))
#define APPLIES(m)                            \
	do {                                  \
		applied[napplied] = argv[i];  \
		applies_to[napplied++] = (m); \
	} while (0)
		if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(opt, "--version")) {
			printf("auditgen %s\n", AUDITGEN_VERSION);
			return 0;
		} else if (!strcmp(opt, "--list-formats")) {
			list_formats();
			return 0;
		} else if (!strcmp(opt, "--format")) {
			const char *v = ARG();
			int found = 0;
			for (int f = 0; f < NFMTS; f++)
				if (!strcmp(v, FMTS[f].name)) {
					c.fmt = (enum fmt)f;
					found = 1;
				}
			if (!found)
				die(2, "unknown format '%s' (see --list-formats)", v);
			c.have_fmt = 1;
		} else if (!strcmp(opt, "--events")) {
			c.events = parse_count(opt, ARG());
			c.have_events = 1;
		} else if (!strcmp(opt, "--seed")) {
			c.seed = parse_count(opt, ARG());
		} else if (!strcmp(opt, "--start")) {
			const char *v = ARG();
			if (parse_date(v, &c.start) != 0)
				die(2, "--start: expected YYYY-MM-DD, got '%s'", v);
		} else if (!strcmp(opt, "--days")) {
			c.days = parse_int(opt, ARG(), 1, 3660);
		} else if (!strcmp(opt, "--users")) {
			c.users = parse_int(opt, ARG(), 8, 100000);
		} else if (!strcmp(opt, "--domain")) {
			c.domain = ARG();
			if (!strchr(c.domain, '.') || strlen(c.domain) > 38)
				die(2, "--domain: expected a domain like contoso.com");
		} else if (!strcmp(opt, "-o") || !strcmp(opt, "--output")) {
			c.out = ARG();
		} else if (!strcmp(opt, "--manifest")) {
			c.manifest = ARG();
		} else if (!strcmp(opt, "--bundle")) {
			c.bundle = ARG();
		} else if (!strcmp(opt, "--cardinality")) {
			const char *v = ARG();
			if (!strcmp(v, "high"))
				HICARD = 1;
			else if (strcmp(v, "low") != 0)
				die(2, "--cardinality: expected low or high, got '%s'", v);
		} else if (!strcmp(opt, "--no-attack")) {
			c.no_attack = 1;
		} else if (!strcmp(opt, "--intrusion-at")) {
			const char *v = ARG();
			char *end;
			errno = 0;
			c.intrusion_at = strtod(v, &end);
			if (end == v || *end || errno || !(c.intrusion_at >= 0 && c.intrusion_at < 1))
				die(2, "--intrusion-at: expected a fraction from 0 to 0.99, got '%s'", v);
		} else if (!strcmp(opt, "--date-style")) {
			date_style = ARG();
			APPLIES(FB(F_PURVIEW) | FB(F_CLASSIC) | FB(F_PSH) | FB(F_JSONL));
		} else if (!strcmp(opt, "--culture")) {
			const char *v = ARG();
			if (!strcmp(v, "de") || !strcmp(v, "de-DE"))
				date_style = "de";
			else if (!strcmp(v, "en-US") || !strcmp(v, "us"))
				date_style = "us";
			else
				die(2, "--culture: de or en-US");
			APPLIES(FB(F_PSH));
		} else if (!strcmp(opt, "--variant-header")) {
			c.o.variant_header = 1;
			APPLIES(FB(F_PURVIEW));
		} else if (!strcmp(opt, "--type-line")) {
			c.o.type_line = 1;
			APPLIES(FB(F_PSH));
		} else if (!strcmp(opt, "--semicolon")) {
			c.o.semicolon = 1;
			APPLIES(FB(F_PSH));
		} else if (!strcmp(opt, "--formatted")) {
			c.o.formatted = 1;
			APPLIES(FB(F_PSH));
		} else if (!strcmp(opt, "--runspace")) {
			c.o.runspace = 1;
			APPLIES(FB(F_PSH));
		} else if (!strcmp(opt, "--dup-rate")) {
			c.o.dup_rate = parse_int(opt, ARG(), 0, 50) / 100.0;
			APPLIES(FB(F_PSH));
		} else if (!strcmp(opt, "--utf16le")) {
			c.o.utf16 = 1;
		} else if (!strcmp(opt, "--utf8-bom")) {
			c.o.utf8_bom = 1;
		} else if (!strcmp(opt, "--crlf")) {
			c.o.eol = EOL_CRLF;
		} else if (!strcmp(opt, "--lf")) {
			c.o.eol = EOL_LF;
		} else if (!strcmp(opt, "--concat")) {
			c.o.concat = parse_int(opt, ARG(), 1, 10000);
			APPLIES(FB(F_JSONARR));
		} else if (!strcmp(opt, "--pretty")) {
			c.o.pretty = 1;
			APPLIES(FB(F_JSONARR) | FB(F_GRAPH) | FB(F_SIGNIN_JSON) | FB(F_DIRAUDIT));
		} else if (!strcmp(opt, "--ps-json")) {
			c.o.psjson = 1;
			APPLIES(FB(F_JSONARR) | FB(F_GRAPH) | FB(F_SIGNIN_JSON) | FB(F_DIRAUDIT));
		} else if (!strcmp(opt, "--wrapped")) {
			c.o.wrapped = 1;
			APPLIES(FB(F_JSONL));
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n", progname, a);
			usage(stderr);
			return 2;
		}
#undef ARG
#undef APPLIES
	}

	if (c.bundle) {
		if (c.have_fmt || c.out || c.manifest || napplied)
			die(2,
			    "--bundle chooses formats and file names itself; drop --format/-o/--manifest and format options");
		if (!c.have_events)
			c.events = 4000;
		run_bundle(&c);
		return 0;
	}
	if (!c.have_fmt)
		die(2, "--format is required (see --list-formats), or use --bundle DIR");
	for (int k = 0; k < napplied; k++)
		check_applies(&c, applied[k], applies_to[k]);
	if (!c.have_events)
		c.events = 10000;
	if (date_style) {
		if (!strcmp(date_style, "us"))
			c.o.date_style = DS_US;
		else if (!strcmp(date_style, "iso"))
			c.o.date_style = DS_ISO;
		else if (!strcmp(date_style, "de"))
			c.o.date_style = DS_DE;
		else if (!strcmp(date_style, "msdate"))
			c.o.date_style = DS_MSDATE;
		else
			die(2, "--date-style: us, iso, de or msdate");
		/* CSV formats print us/iso/de; the jsonl wrapper iso/msdate */
		int jsonl = c.fmt == F_JSONL;
		int ok = jsonl ? (c.o.date_style == DS_ISO || c.o.date_style == DS_MSDATE)
			       : c.o.date_style != DS_MSDATE;
		if (!ok)
			die(2, "--date-style %s does not apply to --format %s", date_style,
			    FMTS[c.fmt].name);
		if (jsonl && !c.o.wrapped)
			die(2, "--date-style applies to jsonl only with --wrapped");
	}
	if (c.o.date_style == DS_DEFAULT)
		c.o.date_style = c.fmt == F_CLASSIC ? DS_ISO : DS_US;
	if (c.o.pretty && c.o.psjson)
		die(2, "--pretty and --ps-json exclude each other");
	if (c.o.utf16 && c.o.utf8_bom)
		die(2, "--utf16le and --utf8-bom exclude each other");
	run_single(&c);
	return 0;
}
