/*
 * addr.c: telling an IP from a host name in a client address field
 * (addr.h). The forms are strict on purpose: what is neither a valid
 * address nor a well-formed host name (an anonymised XX.XX.XX.XX, a
 * list with a name in it, text with escapes in it) is no value at all
 * here, and stays visible in the raw record, rather than being shown as
 * a client. A list of addresses only (a proxy's X-Forwarded-For) gives
 * its first, the client's.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Four decimal parts of 1-3 digits, each at most 255. A part at a time,
 * its digits unrolled (a digit count and a test a byte was about 200
 * instructions an address, the most of a record's IP work). */
static bool is_v4(const char *p, size_t n)
{
	if (n < 7 || n > 15)
		return false;
	const char *e = p + n;
	for (int part = 0;; part++) {
		unsigned v = (unsigned)(unsigned char)*p++ - '0', c;
		if (v > 9)
			return false;
		if (p < e && (c = (unsigned)(unsigned char)*p - '0') <= 9) {
			v = v * 10 + c;
			if (++p < e && (c = (unsigned)(unsigned char)*p - '0') <= 9) {
				v = v * 10 + c;
				p++;
			}
		}
		if (v > 255)
			return false;
		if (part == 3)
			return p == e;
		if (p >= e - 1 || *p != '.')
			return false;
		p++;
	}
}

/* glibc's inet_pton4 on [p, e): four parts of 1-3 digits, at most 255,
 * no leading zero (the grammar of an IPv6's dotted tail). */
static bool v6_tail_v4(const char *p, const char *e, unsigned char b[4])
{
	unsigned parts = 0, v = 0;
	bool digit = false;
	for (; p < e; p++) {
		if (is_digit(*p)) {
			if (digit && v == 0)
				return false;
			v = v * 10 + (unsigned)(*p - '0');
			if (v > 255)
				return false;
			if (!digit && ++parts > 4)
				return false;
			digit = true;
		} else if (*p == '.' && digit && parts < 4) {
			b[parts - 1] = (unsigned char)v;
			v = 0;
			digit = false;
		} else {
			return false;
		}
	}
	if (parts != 4 || !digit)
		return false;
	b[3] = (unsigned char)v;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The longest run of zero groups of two or more, the first of equal ones
 * (RFC 5952 4.2): its start in *bs (-1 for none) and its length. */
static int zero_run(const uint16_t g[8], int *bs)
{
	int best = 0, cur = 0;
	*bs = -1;
	for (int i = 0; i < 8; i++) {
		cur = g[i] ? 0 : cur + 1;
		if (cur > best) {
			best = cur;
			*bs = i - cur + 1;
		}
	}
	if (best < 2)
		*bs = -1;
	return best < 2 ? 0 : best;
}

/*
 * The n bytes at p as an IPv6 address, by inet_pton's grammar (groups of
 * 1-4 hex digits, one "::", an IPv4 dotted tail), into g. *canon tells
 * whether the text is already the address's one form (RFC 5952) but for
 * its letters' case: no leading zero, no dotted tail, and the "::" (if
 * any) exactly over the longest zero run of two or more groups, the
 * first of equal ones. Its own parse, not inet_pton's (a copy to end it
 * with a NUL, 900 instructions), in one pass.
 */
static bool parse_v6(const char *p, size_t n, uint16_t g[8], bool *canon)
{
	const char *e = p + n, *tok = p;
	int ng = 0, dc = -1, digits = 0;
	unsigned v = 0;
	bool form = true;
	if (n < 2 || (p[0] == ':' && p[1] != ':'))
		return false;
	if (p[0] == ':')
		tok = ++p;
	while (p < e) {
		char c = *p++;
		int x = hex_value(c);
		if (x >= 0) {
			if (++digits > 4)
				return false;
			if (digits == 2 && v == 0)
				form = false; /* a leading zero */
			v = v << 4 | (unsigned)x;
			continue;
		}
		if (c == ':') {
			tok = p;
			if (!digits) {
				if (dc >= 0)
					return false;
				dc = ng;
				continue;
			}
			if (p == e || ng == 8)
				return false;
			g[ng++] = (uint16_t)v;
			v = 0;
			digits = 0;
			continue;
		}
		unsigned char b[4];
		if (c == '.' && ng <= 6 && v6_tail_v4(tok, e, b)) {
			g[ng++] = (uint16_t)(b[0] << 8 | b[1]);
			g[ng++] = (uint16_t)(b[2] << 8 | b[3]);
			digits = 0;
			form = false;
			break;
		}
		return false;
	}
	if (digits) {
		if (ng == 8)
			return false;
		g[ng++] = (uint16_t)v;
	}
	if (dc >= 0) {
		if (ng == 8)
			return false;
		int tail = ng - dc;
		memmove(g + 8 - tail, g + dc, (size_t)tail * sizeof g[0]);
		memset(g + dc, 0, (size_t)(8 - ng) * sizeof g[0]);
	} else if (ng != 8) {
		return false;
	}
	if (form) {
		int bs, bl = zero_run(g, &bs);
		form = bl ? dc == bs && 8 - ng == bl : dc < 0;
	}
	*canon = form;
	return true;
}

static bool is_mapped(const uint16_t g[8])
{
	return !g[0] && !g[1] && !g[2] && !g[3] && !g[4] && g[5] == 0xffff;
}

/* The one form of the address in g (RFC 5952: lower case, no leading
 * zero, the longest zero run as "::"); with v4, an IPv4-mapped address
 * is its IPv4. Returns the length written to out (at most 39). */
static size_t format_v6(const uint16_t g[8], char *out, bool v4)
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	if (v4 && is_mapped(g)) {
		int k = snprintf(out, 16, "%u.%u.%u.%u", g[6] >> 8, g[6] & 0xffu, g[7] >> 8, g[7] & 0xffu);
		return (size_t)k;
	}
	int bs, bl = zero_run(g, &bs);
	for (int i = 0; i < 8;) {
		if (i == bs) {
			*o++ = ':';
			*o++ = ':';
			i += bl;
			continue;
		}
		if (i > 0 && i != bs + bl)
			*o++ = ':';
		unsigned v = g[i++];
		int sh = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;
		for (; sh >= 0; sh -= 4)
			*o++ = hex[(v >> sh) & 0xf];
	}
	return (size_t)(o - out);
}

/* An IPv6 address (parse_v6), optionally with a zone (fe80::1%eth0) of
 * the characters interface names use: 0 when it is not one, ADDR_IP when
 * the text (lower-cased) is its one form, ADDR_IP_FORM when it is not (an
 * IPv4-mapped address is its IPv4, but for one with a zone, which no
 * IPv4 has). g gets the address, *an the length before the zone. */
static enum addr_kind is_v6(const char *p, size_t n, uint16_t g[8], size_t *an)
{
	const char *pct = memchr(p, '%', n);
	*an = pct ? (size_t)(pct - p) : n;
	if (pct) {
		size_t zn = n - *an - 1;
		if (zn == 0 || zn > 32)
			return ADDR_NONE;
		for (size_t i = *an + 1; i < n; i++)
			if (!is_alpha(p[i]) && !is_digit(p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
				return ADDR_NONE;
	}
	bool canon;
	if (*an >= INET6_ADDRSTRLEN || !parse_v6(p, *an, g, &canon))
		return ADDR_NONE;
	return canon && (pct || !is_mapped(g)) ? ADDR_IP : ADDR_IP_FORM;
}

size_t addr_ip_form(const char *p, size_t n, char *form)
{
	uint16_t g[8];
	size_t an;
	if (is_v6(p, n, g, &an) == ADDR_NONE)
		return 0;
	size_t k = format_v6(g, form, an == n);
	for (size_t i = an; i < n; i++)
		form[k++] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] | 0x20 : p[i]);
	return k;
}

static bool is_ip(enum addr_kind k)
{
	return k == ADDR_IP || k == ADDR_IP_FORM;
}

/* What follows an address's ':' when it is a port: up to 5 digits, at
 * most 65535; nothing at all is allowed too (a cut "1.2.3.4:"). */
static bool is_port(const char *p, size_t n)
{
	if (n > 5)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v <= 65535;
}

/*
 * A host name: labels of letters, digits, '-' and '_' (NetBIOS names
 * carry them) of 1-63 characters, not starting or ending with '-', at
 * most 253 in all, with a letter somewhere and a last label that is not
 * all digits (that would be a broken IPv4). Labels made of x's and digits
 * only are an anonymised address (XX.XX.XX.XX, 10.0.x.x), not a name.
 */
static bool is_host(const char *p, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	bool letter = false, masked = true, last_digits = true;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '.') {
			size_t ln = i - start;
			if (ln == 0 || ln > 63 || p[start] == '-' || p[i - 1] == '-')
				return false;
			start = i + 1;
			if (i < n)
				last_digits = true;
			continue;
		}
		char c = p[i];
		if (is_alpha(c)) {
			letter = true;
			last_digits = false;
			if (c != 'x' && c != 'X')
				masked = false;
		} else if (c == '-' || c == '_') {
			masked = false;
			last_digits = false;
		} else if (!is_digit(c)) {
			return false;
		}
	}
	return letter && !masked && !last_digits;
}

/* What exports write for "no address". */
static bool is_none_word(const char *p, size_t n)
{
	static const char *const none[] = { "<null>", "-", "unknown", "null", "n/a", "none", "undefined" };
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
		if (n == strlen(none[i]) && strncasecmp(p, none[i], n) == 0)
			return true;
	return false;
}

static enum addr_kind done(const char *s, const char *p, const char *e, enum addr_kind k, size_t *off,
			   size_t *len)
{
	*off = (size_t)(p - s);
	*len = (size_t)(e - p);
	return k;
}

/* [p, e) without brackets: an IPv4-mapped IPv6 with or without a port,
 * an IPv6 (whose last group cannot be told from a port, so it keeps
 * every group), or an IPv4 or a host name with an optional port. */
static enum addr_kind classify(const char *s, const char *p, const char *e, size_t *off, size_t *len)
{
	if (e - p > 7 && strncasecmp(p, "::ffff:", 7) == 0 && memchr(p + 7, '.', (size_t)(e - p - 7))) {
		/* only an IPv4 may follow: ::ffff:cool.host is nothing */
		return classify(s, p + 7, e, off, len) == ADDR_IP ? ADDR_IP : ADDR_NONE;
	}
	const char *c1 = memchr(p, ':', (size_t)(e - p));
	if (c1 && memchr(c1 + 1, ':', (size_t)(e - c1 - 1))) {
		uint16_t g[8];
		size_t an;
		enum addr_kind k = is_v6(p, (size_t)(e - p), g, &an);
		return k ? done(s, p, e, k, off, len) : ADDR_NONE;
	}
	if (c1) {
		if (!is_port(c1 + 1, (size_t)(e - c1 - 1)))
			return ADDR_NONE;
		e = c1;
	}
	if (is_v4(p, (size_t)(e - p)))
		return done(s, p, e, ADDR_IP, off, len);
	if (e > p && e[-1] == '.')
		e--; /* the root's dot of a fully qualified name */
	if (is_none_word(p, (size_t)(e - p)) || !is_host(p, (size_t)(e - p)))
		return ADDR_NONE;
	return done(s, p, e, ADDR_HOST, off, len);
}

enum addr_kind addr_classify(const char *s, size_t n, size_t *off, size_t *len)
{
	*off = *len = 0;
	if (!s)
		return ADDR_NONE;
	const char *p = s, *e = s + n;
	while (p < e && is_space(*p))
		p++;
	while (e > p && is_space(e[-1]))
		e--;
	if (p >= e)
		return ADDR_NONE;
	/* what nearly every record holds, told at once: a plain IPv4, or one
	 * mapped into IPv6 ("::ffff:" and an IPv4), which the general way
	 * below takes as the same after three or four searches of the text
	 * (600 instructions a record's addresses) */
	if (*p >= '0' && *p <= '9') {
		if (is_v4(p, (size_t)(e - p)))
			return done(s, p, e, ADDR_IP, off, len);
		/* and an IPv4 with a port (a tenth of the mailbox records'
		 * ClientIP): the way below reads it the same after a compare,
		 * two searches and the port (about 1,000 instructions) */
		const char *c1 = memchr(p, ':', e - p < 16 ? (size_t)(e - p) : 16);
		if (c1 && is_port(c1 + 1, (size_t)(e - c1 - 1)) && is_v4(p, (size_t)(c1 - p)))
			return done(s, p, c1, ADDR_IP, off, len);
	}
	if (e - p > 7 && p[0] == ':' && p[1] == ':' && strncasecmp(p + 2, "ffff:", 5) == 0 &&
	    is_v4(p + 7, (size_t)(e - p - 7)))
		return done(s, p + 7, e, ADDR_IP, off, len);
	const char *comma = memchr(p, ',', (size_t)(e - p));
	if (comma) {
		/* a proxy's list (X-Forwarded-For: "client, proxy1, proxy2"):
		 * the first address is the client's, when every item of the
		 * list is an address; anything else in it and it is nothing */
		size_t o, l;
		for (const char *q = p; q < e;) {
			const char *c = memchr(q, ',', (size_t)(e - q));
			const char *ie = c ? c : e;
			if (!is_ip(addr_classify(q, (size_t)(ie - q), &o, &l)))
				return ADDR_NONE;
			q = c ? c + 1 : e;
			if (c && q == e)
				return ADDR_NONE; /* a trailing comma */
		}
		enum addr_kind k = addr_classify(p, (size_t)(comma - p), &o, &l);
		*off = (size_t)(p - s) + o;
		*len = l;
		return k;
	}
	if (*p == '[') {
		/* [v6]:port, [v6], [::ffff:a.b.c.d]:port; never a host name */
		const char *rb = memchr(p, ']', (size_t)(e - p));
		if (!rb || (rb + 1 < e && (rb[1] != ':' || !is_port(rb + 2, (size_t)(e - rb - 2)))))
			return ADDR_NONE;
		enum addr_kind k = classify(s, p + 1, rb, off, len);
		return is_ip(k) ? k : ADDR_NONE;
	}
	return classify(s, p, e, off, len);
}
