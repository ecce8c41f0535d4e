/*
 * test_addr.c: every shape a client address field arrives in, and what
 * core/addr.c makes of it (an IP, a host name, or nothing).
 */
#include "testutil.h"

#include "addr.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>

static const char *kind_name(enum addr_kind k)
{
	return k == ADDR_IP        ? "ip"
	       : k == ADDR_IP_FORM ? "ip (another form)"
	       : k == ADDR_HOST    ? "host"
				   : "none";
}

static const struct {
	const char *in;
	enum addr_kind kind;
	const char *out; /* the span addr_classify gives */
} shapes[] = {
	/* IPv4, with and without a port */
	{ "1.2.3.4", ADDR_IP, "1.2.3.4" },
	{ "1.2.3.4:19823", ADDR_IP, "1.2.3.4" },
	{ "185.73.124.135:64581", ADDR_IP, "185.73.124.135" },
	{ " 10.0.0.1 ", ADDR_IP, "10.0.0.1" },
	{ "1.2.3.4:", ADDR_IP, "1.2.3.4" },
	{ "1.2.3.4:65535", ADDR_IP, "1.2.3.4" },
	{ "1.2.3.4:65536", ADDR_NONE, NULL },
	{ "1.2.3.4:http", ADDR_NONE, NULL },
	{ "1.2.3.4:123456", ADDR_NONE, NULL },
	{ "256.1.1.1", ADDR_NONE, NULL },
	{ "1.2.3", ADDR_NONE, NULL },
	{ "1.2.3.4.5", ADDR_NONE, NULL },
	/* the forms told before the general way (addr_classify's first
	 * tests, and is_v4's one pass) */
	{ "255.255.255.255", ADDR_IP, "255.255.255.255" },
	{ "0.0.0.0", ADDR_IP, "0.0.0.0" },
	{ "01.02.03.004", ADDR_IP, "01.02.03.004" },
	{ "1.2.3.0255", ADDR_NONE, NULL },
	{ "1.2.3.256", ADDR_NONE, NULL },
	{ "1..2.3", ADDR_NONE, NULL },
	{ "1.2.3.", ADDR_NONE, NULL },
	{ "1.2.3.4.", ADDR_NONE, NULL },
	{ "1.2.3.4a", ADDR_HOST, "1.2.3.4a" },
	{ "1.2.3.4,5.6.7.8", ADDR_IP, "1.2.3.4" },
	{ "::ffff:255.1.2.3", ADDR_IP, "255.1.2.3" },
	{ "::fFfF:1.2.3.4", ADDR_IP, "1.2.3.4" },
	{ "::ffff:1.2.3.400", ADDR_NONE, NULL },
	{ "::ffff:1.2.3", ADDR_NONE, NULL },
	{ ":ffff:1.2.3.4", ADDR_NONE, NULL },
	/* loopback is an address like any other */
	{ "127.0.0.1:12345", ADDR_IP, "127.0.0.1" },
	{ "[::1]:80", ADDR_IP, "::1" },
	{ "::1", ADDR_IP, "::1" },
	/* IPv6, with and without brackets and port */
	{ "2603:10b6::12", ADDR_IP, "2603:10b6::12" },
	{ "2603:10B6:A03:1::ABCD", ADDR_IP, "2603:10B6:A03:1::ABCD" },
	{ "[2603:10b6:8::12]:18835", ADDR_IP, "2603:10b6:8::12" },
	{ "[2603:10b6::12]", ADDR_IP, "2603:10b6::12" },
	{ "[2603:10b6::12]:", ADDR_IP, "2603:10b6::12" },
	{ "[2603:10b6::12]x", ADDR_NONE, NULL },
	{ "[2603:10b6::12]:99999", ADDR_NONE, NULL },
	{ "[2603:10b6::12", ADDR_NONE, NULL },
	{ "fe80::1%eth0", ADDR_IP, "fe80::1%eth0" },
	{ "fe80::1%", ADDR_NONE, NULL },
	{ "2603:10b6:::12", ADDR_NONE, NULL },
	{ "[]", ADDR_NONE, NULL },
	{ "[cool.client.local]:80", ADDR_NONE, NULL },
	/* IPv4-mapped */
	{ "::ffff:1.2.3.4", ADDR_IP, "1.2.3.4" },
	{ "::FFFF:10.20.30.40", ADDR_IP, "10.20.30.40" },
	{ "[::ffff:1.2.3.4]:443", ADDR_IP, "1.2.3.4" },
	{ "::ffff:1.2.3.4:19823", ADDR_IP, "1.2.3.4" },
	{ "::ffff:abcd", ADDR_IP, "::ffff:abcd" },
	{ "::ffff:cool.client.local", ADDR_NONE, NULL },
	/* host names, with and without a port */
	{ "cool.client.local:12345", ADDR_HOST, "cool.client.local" },
	{ "cool.client.local", ADDR_HOST, "cool.client.local" },
	{ "localhost:12345", ADDR_HOST, "localhost" },
	{ "localhost", ADDR_HOST, "localhost" },
	{ "LOCALHOST", ADDR_HOST, "LOCALHOST" },
	{ "DESKTOP-7F3K2L1", ADDR_HOST, "DESKTOP-7F3K2L1" },
	{ "mail_gw01.corp.example", ADDR_HOST, "mail_gw01.corp.example" },
	{ "host.example.com.", ADDR_HOST, "host.example.com" },
	{ "host.example.com.:443", ADDR_HOST, "host.example.com" },
	{ " cool.client.local:12345\t", ADDR_HOST, "cool.client.local" },
	{ "deadbeef", ADDR_HOST, "deadbeef" },
	{ "xn--bcher-kva.example", ADDR_HOST, "xn--bcher-kva.example" },
	{ "cool.client.local:abc", ADDR_NONE, NULL },
	{ "cool..local", ADDR_NONE, NULL },
	{ ".cool.local", ADDR_NONE, NULL },
	{ "-cool.local", ADDR_NONE, NULL },
	{ "cool-.local", ADDR_NONE, NULL },
	{ "host.123", ADDR_NONE, NULL },
	{ "bücher.example", ADDR_NONE, NULL },
	/* "no address", empty, anonymised */
	{ "", ADDR_NONE, NULL },
	{ "   ", ADDR_NONE, NULL },
	{ "<null>", ADDR_NONE, NULL },
	{ "<NULL>", ADDR_NONE, NULL },
	{ "-", ADDR_NONE, NULL },
	{ "unknown", ADDR_NONE, NULL },
	{ "Unknown:0", ADDR_NONE, NULL },
	{ "null", ADDR_NONE, NULL },
	{ "n/a", ADDR_NONE, NULL },
	{ "none", ADDR_NONE, NULL },
	{ "XX.XX.XX.XX", ADDR_NONE, NULL },
	{ "XX.XX.XXX.XXX", ADDR_NONE, NULL },
	{ "10.0.x.x", ADDR_NONE, NULL },
	{ "x", ADDR_NONE, NULL },
	/* garbage and hostile text */
	/* a proxy's list: the client is the first address */
	{ "1.2.3.4, 5.6.7.8", ADDR_IP, "1.2.3.4" },
	{ " 203.0.113.9:4431,10.1.2.3 ", ADDR_IP, "203.0.113.9" },
	{ "[2603:10b6::12]:443, 1.2.3.4", ADDR_IP, "2603:10b6::12" },
	{ "1.2.3.4, cool.client.local", ADDR_NONE, NULL },
	{ "1.2.3.4,", ADDR_NONE, NULL },
	{ ",1.2.3.4", ADDR_NONE, NULL },
	{ "1.2.3.4,,5.6.7.8", ADDR_NONE, NULL },
	{ "cool client", ADDR_NONE, NULL },
	{ "\x1b[31mevil.example\x1b[0m", ADDR_NONE, NULL },
	{ "evil.example\x1b]0;pwned\x07", ADDR_NONE, NULL },
	{ "evil.example\r\n1.2.3.4", ADDR_NONE, NULL },
	{ "\xe2\x80\xae"
	  "elpmaxe.live",
	  ADDR_NONE, NULL },
	{ "http://evil.example/", ADDR_NONE, NULL },
	{ "user@evil.example", ADDR_NONE, NULL },
	{ "a.b.c.d.e.f.g.h:1:2", ADDR_NONE, NULL },
};

static void test_shapes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		const char *in = shapes[i].in;
		size_t off = 99, len = 99;
		enum addr_kind k = addr_classify(in, strlen(in), &off, &len);
		if (k != shapes[i].kind)
			fail_msg("\"%s\": %s, expected %s", in, kind_name(k), kind_name(shapes[i].kind));
		if (k == ADDR_NONE)
			continue;
		if (off + len > strlen(in) || len != strlen(shapes[i].out) ||
		    memcmp(in + off, shapes[i].out, len) != 0)
			fail_msg("\"%s\" -> \"%.*s\", expected \"%s\"", in, (int)len, in + off, shapes[i].out);
	}
}

/* Lengths at the edges: a label of 63 and 64, a name of 253 and 254, an
 * embedded NUL (the span is by length, not by C string). */
static void test_limits(void **state)
{
	(void)state;
	char b[300];
	size_t off, len;
	memset(b, 'a', 63);
	memcpy(b + 63, ".example", 9);
	assert_int_equal(addr_classify(b, strlen(b), &off, &len), ADDR_HOST);
	memset(b, 'a', 64);
	memcpy(b + 64, ".example", 9);
	assert_int_equal(addr_classify(b, strlen(b), &off, &len), ADDR_NONE);
	/* 63 + '.' + 63 + '.' + 63 + '.' + 61 = 253 */
	size_t n = 0;
	for (int l = 0; l < 4; l++) {
		size_t ln = l < 3 ? 63 : 61;
		memset(b + n, 'b', ln);
		n += ln;
		if (l < 3)
			b[n++] = '.';
	}
	assert_int_equal(addr_classify(b, n, &off, &len), ADDR_HOST);
	assert_int_equal(len, 253);
	b[n] = 'b';
	assert_int_equal(addr_classify(b, n + 1, &off, &len), ADDR_NONE);
	assert_int_equal(addr_classify("host\0name", 9, &off, &len), ADDR_NONE);
	assert_int_equal(addr_classify("1.2.3.4\0", 8, &off, &len), ADDR_NONE);
	assert_int_equal(addr_classify(NULL, 0, &off, &len), ADDR_NONE);
}

/*
 * A text that opens with ':' or '[' is never a host name: with an IP
 * kept, normalize_addr skips such a field (a mail record's ClientIP
 * "::ffff:a.b.c.d" after its ClientIPAddress) on the strength of it.
 */
static void test_colon_or_bracket_never_host(void **state)
{
	(void)state;
	static const char alphabet[] = "abcfxXZ019.:-_[]%, ";
	unsigned seed = 12345;
	char buf[40];
	for (int i = 0; i < 200000; i++) {
		size_t n = 1 + (seed >> 16) % 30;
		buf[0] = (i & 1) ? ':' : '[';
		for (size_t j = 1; j < n; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		seed = seed * 1103515245u + 12345u;
		size_t off, len;
		if (addr_classify(buf, n, &off, &len) == ADDR_HOST)
			fail_msg("\"%.*s\" is a host name", (int)n, buf);
	}
	size_t off, len;
	assert_int_equal(addr_classify("::ffff:cool.host", 16, &off, &len), ADDR_NONE);
	assert_int_equal(addr_classify("[cool.host]:80", 14, &off, &len), ADDR_NONE);
	assert_int_equal(addr_classify(":cool.host", 10, &off, &len), ADDR_NONE);
}


/* addr_classify, and for ADDR_IP_FORM the form addr_ip_form gives in
 * form[0 .. *fn) (*fn is 0 otherwise). */
static enum addr_kind addr_form(const char *s, size_t n, size_t *off, size_t *len, char *form, size_t *fn)
{
	enum addr_kind k = addr_classify(s, n, off, len);
	*fn = 0;
	if (k == ADDR_IP_FORM) {
		*fn = addr_ip_form(s + *off, *len, form);
		assert_true(*fn > 0);
	}
	return k;
}

/* The one form an address is stored as: NULL for "the span, lower-cased,
 * is it" (ADDR_IP, no copy), else the form (ADDR_IP_FORM). */
static const struct {
	const char *in;
	const char *form;
} forms[] = {
	/* already the one form (upper case is the caller's lowering) */
	{ "2603:10b6::12", NULL },
	{ "2603:10B6::12", NULL },
	{ "[2603:10b6::12]:443", NULL },
	{ "::1", NULL },
	{ "::", NULL },
	{ "1::", NULL },
	{ "::ffff:abcd", NULL },
	{ "1.2.3.4", NULL },
	{ "01.02.03.004", NULL },         /* IPv4 as written */
	{ "::ffff:1.2.3.4", NULL },       /* the span is 1.2.3.4 already */
	{ "2001:db8:0:1:1:1:1:1", NULL }, /* one zero group: not compressed */
	{ "2001:db8::1:0:0:1", NULL },    /* equal runs: the first */
	{ "fe80::1%eth0", NULL },
	/* zero runs of several lengths written long */
	{ "2603:10B6:0:0::12", "2603:10b6::12" },
	{ "2603:10b6:0:0:0:0:0:12", "2603:10b6::12" },
	{ "0:0:0:0:0:0:0:1", "::1" },
	{ "0:0:0:0:0:0:0:0", "::" },
	{ "1:0:0:0:0:0:0:0", "1::" },
	{ "1:0:0:2:0:0:0:3", "1:0:0:2::3" },               /* the longer run */
	{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },   /* two equal runs: the first */
	{ "2001:db8::0:1", "2001:db8::1" },                /* "::" beside a written zero */
	{ "2001:db8:0::1:0:0:0", "2001:db8:0:0:1::" },     /* "::" over the shorter run */
	{ "2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1" }, /* "::" for one group */
	/* leading zeros, upper case */
	{ "2603:10B6::0012", "2603:10b6::12" },
	{ "2603:10b6:0a03::00ab", "2603:10b6:a03::ab" },
	{ "[2603:10B6:0000::0012]:18835", "2603:10b6::12" },
	{ "2603:10b6::12, 1.2.3.4", NULL },
	{ "2603:10b6::012, 1.2.3.4", "2603:10b6::12" },
	/* dotted tails: hex, but an IPv4-mapped address is its IPv4 */
	{ "::ffff:102:304", "1.2.3.4" },
	{ "0:0:0:0:0:FFFF:1.2.3.4", "1.2.3.4" },
	{ "[0:0::ffff:0a00:0001]:80", "10.0.0.1" },
	{ "::1.2.3.4", "::102:304" },
	{ "64:ff9b::192.0.2.33", "64:ff9b::c000:221" },
	/* zones: kept, lower case, after the address's form */
	{ "FE80:0:0:0::1%ETH0", "fe80::1%eth0" },
	{ "::ffff:102:304%eth0", NULL }, /* no IPv4 has a zone */
	{ "::ffff:0102:304%eth0", "::ffff:102:304%eth0" },
};

static void test_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		const char *in = forms[i].in;
		size_t off, len, fn = 99;
		char form[ADDR_FORM_MAX];
		enum addr_kind k = addr_form(in, strlen(in), &off, &len, form, &fn);
		if (k != (forms[i].form ? ADDR_IP_FORM : ADDR_IP))
			fail_msg("\"%s\": %s", in, kind_name(k));
		if (!forms[i].form && fn)
			fail_msg("\"%s\" -> \"%.*s\", expected as written", in, (int)fn, form);
		if (forms[i].form && (fn != strlen(forms[i].form) || memcmp(form, forms[i].form, fn) != 0))
			fail_msg("\"%s\" -> \"%.*s\", expected \"%s\"", in, (int)fn, form, forms[i].form);
	}
	/* not addresses: nothing, and left as written (raw record only) */
	static const char *const bad[] = { "2603:10b6:::12",
					   "2603:10b6::12::1",
					   "12345::1",
					   ":1::2",
					   "1::2:",
					   "1:2:3:4:5:6:7:8:9",
					   "1:2:3:4:5:6:7",
					   "1::2:3:4:5:6:7:8",
					   "::1.2.3.04",
					   "::1.2.3",
					   "1:2:3:4:5:6:7:1.2.3.4",
					   "g::1",
					   "fe80::1%",
					   "fe80::1%e th0" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t off, len, fn;
		char form[ADDR_FORM_MAX];
		if (addr_form(bad[i], strlen(bad[i]), &off, &len, form, &fn) != ADDR_NONE || fn)
			fail_msg("\"%s\" taken for an address", bad[i]);
	}
}

/*
 * Against the C library: random texts of IPv6 characters are addresses
 * exactly when inet_pton takes them, the form reads back as the same 16
 * bytes, is inet_ntop's but where inet_ntop writes a dotted tail, and is
 * its own form (a fixed point).
 */
static void test_forms_against_libc(void **state)
{
	(void)state;
	static const char alphabet[] = "0000111aAfF:::::.9";
	uint32_t seed = 777;
	char buf[48], form[ADDR_FORM_MAX], z[48];
	unsigned ips = 0, rewritten = 0;
	for (int i = 0; i < 400000; i++) {
		seed = seed * 1103515245u + 12345u;
		size_t n = 2 + (seed >> 16) % 24;
		for (size_t j = 0; j < n; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		if (i % 3 == 0) { /* a real address's bytes, written long */
			uint16_t g[8];
			for (int k = 0; k < 8; k++) {
				seed = seed * 1103515245u + 12345u;
				g[k] = (seed >> 20) % 4 ? 0 : (uint16_t)(seed >> 8);
			}
			n = (size_t)snprintf(buf, sizeof buf, "%x:%x:%x:%x:%04x:%x:%x:%X", g[0], g[1], g[2],
					     g[3], g[4], g[5], g[6], g[7]);
		}
		buf[n] = '\0';
		const char *c1 = memchr(buf, ':', n);
		if (!c1 || !memchr(c1 + 1, ':', n - 1 - (size_t)(c1 - buf)))
			continue; /* one colon: an IPv4 or host with a port */
		struct in6_addr a, b;
		bool libc = inet_pton(AF_INET6, buf, &a) == 1;
		size_t off, len, fn;
		enum addr_kind k = addr_form(buf, n, &off, &len, form, &fn);
		if ((k == ADDR_IP || k == ADDR_IP_FORM) != libc)
			fail_msg("\"%s\": %s, inet_pton %d", buf, kind_name(k), libc);
		if (!libc || (off == 0 && len != n))
			continue; /* ::ffff:a.b.c.d's span is its IPv4 */
		ips++;
		const char *f = fn ? form : buf;
		size_t flen = fn ? fn : n;
		for (size_t j = 0; j < flen; j++)
			z[j] = (char)(f[j] >= 'A' && f[j] <= 'Z' ? f[j] | 0x20 : f[j]);
		z[flen] = '\0';
		rewritten += fn != 0;
		struct in_addr v4;
		if (memchr(z, ':', flen) == NULL) {
			/* the IPv4 of an IPv4-mapped address */
			static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
			if (inet_pton(AF_INET, z, &v4) != 1 || memcmp(a.s6_addr, mapped, 12) != 0 ||
			    memcmp(a.s6_addr + 12, &v4, 4) != 0)
				fail_msg("\"%s\" -> \"%s\"", buf, z);
			continue;
		}
		if (inet_pton(AF_INET6, z, &b) != 1 || memcmp(&a, &b, sizeof a) != 0)
			fail_msg("\"%s\" -> \"%s\": another address", buf, z);
		char nt[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &a, nt, sizeof nt);
		if (!strchr(nt, '.') && strcmp(nt, z) != 0)
			fail_msg("\"%s\" -> \"%s\", inet_ntop \"%s\"", buf, z, nt);
		size_t fn2;
		char form2[ADDR_FORM_MAX];
		addr_form(z, flen, &off, &len, form2, &fn2);
		if (fn2)
			fail_msg("\"%s\" is not its own form (\"%.*s\")", z, (int)fn2, form2);
	}
	/* the loop saw both sides */
	assert_true(ips > 50000 && rewritten > 20000 && ips - rewritten > 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_colon_or_bracket_never_host),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_forms_against_libc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
