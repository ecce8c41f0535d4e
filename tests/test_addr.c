/*
 * test_addr.c: every shape a client address field arrives in, and what
 * core/addr.c makes of it (an IP, a host name, or nothing).
 */
#include "testutil.h"

#include "addr.h"

static const char *kind_name(enum addr_kind k)
{
	return k == ADDR_IP ? "ip" : k == ADDR_HOST ? "host" : "none";
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_colon_or_bracket_never_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
