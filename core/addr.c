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

/* Four decimal parts of 1-3 digits, each at most 255. One pass with a
 * digit count a part (the loop with a bound and a counter a digit was
 * 230 instructions an address, the most of a record's IP work). */
static bool is_v4(const char *p, size_t n)
{
	if (n < 7 || n > 15)
		return false;
	const char *e = p + n;
	unsigned v = 0, d = 0, dots = 0;
	for (; p < e; p++) {
		unsigned c = (unsigned)(unsigned char)*p - '0';
		if (c <= 9) {
			v = v * 10 + c;
			if (++d > 3)
				return false;
		} else if (*p == '.') {
			if (d == 0 || v > 255 || ++dots > 3)
				return false;
			v = d = 0;
		} else {
			return false;
		}
	}
	return dots == 3 && d > 0 && v <= 255;
}

/* An IPv6 address as inet_pton reads it, optionally with a zone
 * (fe80::1%eth0) of the characters interface names use. */
static bool is_v6(const char *p, size_t n)
{
	const char *pct = memchr(p, '%', n);
	size_t an = pct ? (size_t)(pct - p) : n;
	if (pct) {
		size_t zn = n - an - 1;
		if (zn == 0 || zn > 32)
			return false;
		for (size_t i = an + 1; i < n; i++)
			if (!is_alpha(p[i]) && !is_digit(p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
				return false;
	}
	char b[INET6_ADDRSTRLEN];
	if (an < 2 || an >= sizeof b)
		return false;
	memcpy(b, p, an);
	b[an] = '\0';
	struct in6_addr a;
	return inet_pton(AF_INET6, b, &a) == 1;
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
	if (c1 && memchr(c1 + 1, ':', (size_t)(e - c1 - 1)))
		return is_v6(p, (size_t)(e - p)) ? done(s, p, e, ADDR_IP, off, len) : ADDR_NONE;
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
	if (*p >= '0' && *p <= '9' && is_v4(p, (size_t)(e - p)))
		return done(s, p, e, ADDR_IP, off, len);
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
			if (addr_classify(q, (size_t)(ie - q), &o, &l) != ADDR_IP)
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
		return k == ADDR_IP ? k : ADDR_NONE;
	}
	return classify(s, p, e, off, len);
}
