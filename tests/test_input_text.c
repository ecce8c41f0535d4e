/*
 * test_input_text.c: the input layer reads text in every encoding it
 * promises: UTF-8 with a BOM, UTF-16 LE and BE with or without one, long
 * and invalid UTF-16, and lines that end in CR alone (classic Mac OS).
 */
#include "input_util.h"

static void test_utf8_bom(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char raw[256];
	int n = snprintf(raw, sizeof raw, "\xef\xbb\xbf%s", CSV);
	char *p = write_file(d, "bom.csv", raw, (size_t)n);
	struct collect c = { 0 };
	walk_ok(p, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.m[0].enc, "utf-8-bom");
	assert_int_equal(c.m[0].len, strlen(CSV));
	assert_memory_equal(c.m[0].data, CSV, strlen(CSV));
	/* the hash is of the file, BOM included */
	char hex[65];
	sha256_hex(raw, (size_t)n, hex);
	assert_string_equal(c.m[0].hex, hex);
	assert_int_equal(c.m[0].raw, (uint64_t)n);
	collect_free(&c);

	/* a BOM and nothing else */
	char *q = write_file(d, "only.csv", "\xef\xbb\xbf", 3);
	walk_ok(q, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.m[0].enc, "utf-8-bom");
	assert_int_equal(c.m[0].len, 0);
	collect_free(&c);
	free(q);
	free(p);
	tmpdir_remove(d);
	free(d);
}

/* UTF-8 (valid, as written in this file) to UTF-16; caller frees. */
static unsigned char *to_utf16(const char *s, int be, int bom, size_t *outlen)
{
	size_t n = strlen(s);
	unsigned char *o = malloc(2 * n + 2 + 4), *q = o;
	const unsigned char *p = (const unsigned char *)s;
	if (bom) {
		*q++ = be ? 0xfe : 0xff;
		*q++ = be ? 0xff : 0xfe;
	}
	while (*p) {
		uint32_t cp;
		if (*p < 0x80)
			cp = *p++;
		else if (*p < 0xe0) {
			cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
			p += 2;
		} else if (*p < 0xf0) {
			cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
			p += 3;
		} else {
			cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
			     (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
			p += 4;
		}
		uint16_t u[2];
		int k = 1;
		if (cp >= 0x10000) {
			u[0] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
			u[1] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
			k = 2;
		} else
			u[0] = (uint16_t)cp;
		for (int i = 0; i < k; i++) {
			*q++ = (unsigned char)(be ? u[i] >> 8 : u[i] & 0xff);
			*q++ = (unsigned char)(be ? u[i] & 0xff : u[i] >> 8);
		}
	}
	*outlen = (size_t)(q - o);
	return o;
}

static const char U16TEXT[] =
	"RecordType,UserIds,Operations,AuditData\r\n"
	"ExchangeItem,zoë@contoso.com,Send,\"{\"\"Subject\"\":\"\"Grüße 😀 日本 𝄞\"\"}\"\r\n";

static void check_utf16(const char *dir, const char *file, int be, int bom, const char *enc)
{
	size_t n;
	unsigned char *u = to_utf16(U16TEXT, be, bom, &n);
	char *p = write_file(dir, file, u, n);
	static const size_t chunks[] = { 1, 2, 3, 5, 7, 4096 };
	char hex[65];
	sha256_hex(u, n, hex);
	for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
		struct collect c = { 0 };
		c.chunk = chunks[k];
		walk_ok(p, NULL, &c);
		assert_int_equal(c.n, 1);
		assert_string_equal(c.m[0].enc, enc);
		assert_null(c.m[0].err);
		assert_int_equal(c.m[0].len, strlen(U16TEXT));
		assert_memory_equal(c.m[0].data, U16TEXT, strlen(U16TEXT));
		assert_string_equal(c.m[0].hex, hex);
		assert_int_equal(c.m[0].raw, n);
		collect_free(&c);
	}
	free(p);
	free(u);
}

static void test_utf16(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	check_utf16(d, "le-bom.csv", 0, 1, "utf-16le");
	check_utf16(d, "be-bom.csv", 1, 1, "utf-16be");
	check_utf16(d, "le.csv", 0, 0, "utf-16le");
	check_utf16(d, "be.csv", 1, 0, "utf-16be");

	/* JSON Lines without a BOM, as Hawk writes it */
	size_t n;
	unsigned char *u = to_utf16("{\"Id\":\"1\",\"Subject\":\"😀\"}\n", 0, 0, &n);
	char *p = write_file(d, "hawk.json", u, n);
	struct collect c = { 0 };
	walk_ok(p, NULL, &c);
	assert_string_equal(c.m[0].enc, "utf-16le");
	assert_int_equal(c.m[0].len, strlen("{\"Id\":\"1\",\"Subject\":\"😀\"}\n"));
	assert_memory_equal(c.m[0].data, "{\"Id\":\"1\",\"Subject\":\"😀\"}\n", c.m[0].len);
	collect_free(&c);
	free(p);
	free(u);
	tmpdir_remove(d);
	free(d);
}

/* Surrogate pairs on every offset of the internal buffer, and in a zip. */
static void test_utf16_long(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	size_t reps = 40000; /* 6 bytes each in UTF-16: 240 KB */
	char *text = malloc(reps * 5 + 1);
	for (size_t i = 0; i < reps; i++)
		memcpy(text + 5 * i, "a😀", 5);
	text[reps * 5] = '\0';
	size_t n;
	unsigned char *u = to_utf16(text, 0, 1, &n);
	char *p = write_file(d, "long.txt", u, n);
	struct entry e = { "long.txt", u, n };
	char *z = make_archive(d, "long.zip", "zip", NULL, NULL, NULL, &e, 1);
	const char *paths[] = { p, z };
	static const size_t chunks[] = { 1, 3, 65536, 1 << 20 };
	for (size_t k = 0; k < 2; k++) {
		for (size_t j = 0; j < sizeof chunks / sizeof chunks[0]; j++) {
			struct collect c = { 0 };
			c.chunk = chunks[j];
			walk_ok(paths[k], NULL, &c);
			assert_int_equal(c.n, 1);
			assert_null(c.m[0].err);
			assert_int_equal(c.m[0].len, reps * 5);
			assert_memory_equal(c.m[0].data, text, reps * 5);
			collect_free(&c);
		}
	}
	free(z);
	free(p);
	free(u);
	free(text);
	tmpdir_remove(d);
	free(d);
}

static void test_utf16_invalid(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	static const struct {
		const char *raw;
		size_t len;
		const char *want;
	} cases[] = {
		/* unpaired high surrogate, then 'A' */
		{ "\xff\xfe\x00\xd8"
		  "A\x00",
		  6,
		  "\xef\xbf\xbd"
		  "A" },
		/* lone low surrogate */
		{ "\xff\xfe"
		  "B\x00\x00\xdc"
		  "C\x00",
		  8,
		  "B\xef\xbf\xbd"
		  "C" },
		/* high surrogate at the very end */
		{ "\xff\xfe"
		  "D\x00\x3d\xd8",
		  6, "D\xef\xbf\xbd" },
		/* odd byte count */
		{ "\xff\xfe"
		  "E\x00"
		  "F",
		  5, "E\xef\xbf\xbd" },
		/* big-endian, two highs in a row then a good pair */
		{ "\xfe\xff\xd8\x3d\xd8\x3d\xde\x00", 8, "\xef\xbf\xbd\xf0\x9f\x98\x80" },
		/* BOM only */
		{ "\xff\xfe", 2, "" },
		/* U+0000 passes as a byte */
		{ "\xff\xfe\x00\x00"
		  "G\x00",
		  6, "\x00G" },
	};
	static const size_t wantlen[] = { 4, 5, 4, 4, 7, 0, 2 };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *p = write_file(d, "bad.txt", cases[i].raw, cases[i].len);
		for (size_t chunk = 1; chunk <= 8; chunk += 7) {
			struct collect c = { 0 };
			c.chunk = chunk;
			walk_ok(p, NULL, &c);
			assert_int_equal(c.n, 1);
			assert_null(c.m[0].err);
			assert_int_equal(c.m[0].len, wantlen[i]);
			assert_memory_equal(c.m[0].data ? c.m[0].data : "", cases[i].want, wantlen[i]);
			collect_free(&c);
		}
		free(p);
	}
	tmpdir_remove(d);
	free(d);
}

/* UTF-8 (valid) to UTF-32; caller frees. */
static unsigned char *to_utf32(const char *s, int be, int bom, size_t *outlen)
{
	size_t n = strlen(s);
	unsigned char *o = malloc(4 * n + 4), *q = o;
	for (size_t i = 0; i < n || bom;) {
		uint32_t cp;
		if (bom) {
			cp = 0xfeff;
			bom = 0;
		} else {
			const unsigned char *u = (const unsigned char *)s + i;
			size_t k = u[0] < 0x80 ? 1 : u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4;
			cp = k == 1 ? u[0] : u[0] & (0x7fu >> k);
			for (size_t j = 1; j < k; j++)
				cp = cp << 6 | (u[j] & 0x3fu);
			i += k;
		}
		for (int b = 0; b < 4; b++)
			q[be ? 3 - b : b] = (unsigned char)(cp >> (8 * b));
		q += 4;
	}
	*outlen = (size_t)(q - o);
	return o;
}

/* UTF-32 LE and BE, with and without a BOM: read as text (it was taken
 * for UTF-16LE, every other character a NUL, and refused as binary), at
 * every read size; a unit past U+10FFFF, a surrogate and a cut unit are
 * U+FFFD. */
static void test_utf32(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	static const struct {
		const char *file, *enc;
		int be, bom;
	} f[] = {
		{ "le-bom.csv", "utf-32le", 0, 1 },
		{ "be-bom.csv", "utf-32be", 1, 1 },
		{ "le.csv", "utf-32le", 0, 0 },
		{ "be.csv", "utf-32be", 1, 0 },
	};
	static const size_t chunks[] = { 1, 2, 3, 5, 7, 4096 };
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		size_t n;
		unsigned char *u = to_utf32(U16TEXT, f[i].be, f[i].bom, &n);
		char *p = write_file(d, f[i].file, u, n);
		char hex[65];
		sha256_hex(u, n, hex);
		for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
			struct collect c = { 0 };
			c.chunk = chunks[k];
			walk_ok(p, NULL, &c);
			assert_int_equal(c.n, 1);
			assert_string_equal(c.m[0].enc, f[i].enc);
			assert_null(c.m[0].err);
			assert_int_equal(c.m[0].len, strlen(U16TEXT));
			assert_memory_equal(c.m[0].data, U16TEXT, strlen(U16TEXT));
			assert_string_equal(c.m[0].hex, hex);
			assert_int_equal(c.m[0].raw, n);
			collect_free(&c);
		}
		free(p);
		free(u);
	}
	/* bad units: past U+10FFFF, a surrogate, then a unit cut short */
	static const char bad[] = "\xff\xfe\x00\x00"
				  "A\x00\x00\x00"
				  "\x00\x00\x11\x00"
				  "B\x00\x00\x00"
				  "\x00\xd8\x00\x00"
				  "C\x00\x00\x00"
				  "D\x00";
	char *p = write_file(d, "bad.txt", bad, sizeof bad - 1);
	for (size_t chunk = 1; chunk <= 8; chunk += 7) {
		struct collect c = { 0 };
		c.chunk = chunk;
		walk_ok(p, NULL, &c);
		assert_string_equal(c.m[0].enc, "utf-32le");
		static const char want[] = "A\xef\xbf\xbd"
					   "B\xef\xbf\xbd"
					   "C\xef\xbf\xbd";
		assert_int_equal(c.m[0].len, sizeof want - 1);
		assert_memory_equal(c.m[0].data, want, sizeof want - 1);
		collect_free(&c);
	}
	free(p);
	tmpdir_remove(d);
	free(d);
}

/* Lines ending in CR alone come out ending in LF (a CR-only export read
 * as it was is one header line and no record), told by the encoding; the
 * hash stays the file's. CRLF and LF text is left as it is. */
static void test_cr_lines(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	/* a first line longer than what is sniffed, read 7 bytes at a time */
	char raw[4096], want[4096];
	size_t n = 0;
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(raw + n, sizeof raw - n, "col%02d,", i);
	raw[n - 1] = '\r';
	n += (size_t)snprintf(raw + n, sizeof raw - n, "a,\"b\rc\",d\r\re,f\r");
	memcpy(want, raw, n);
	for (size_t i = 0; i < n; i++)
		if (want[i] == '\r')
			want[i] = '\n';
	char *p = write_file(d, "cr.csv", raw, n);
	struct collect c = { .chunk = 7 };
	walk_ok(p, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.m[0].enc, "utf-8, CR line ends");
	assert_int_equal(c.m[0].len, n);
	assert_memory_equal(c.m[0].data, want, n);
	char hex[65];
	sha256_hex(raw, n, hex);
	assert_string_equal(c.m[0].hex, hex);
	collect_free(&c);
	free(p);

	/* CRLF and a lone CR after it: as they are */
	static const char crlf[] = "a,b\r\nc,\"d\re\"\r\n";
	p = write_file(d, "crlf.csv", crlf, sizeof crlf - 1);
	walk_ok(p, NULL, &c);
	assert_string_equal(c.m[0].enc, "utf-8");
	assert_memory_equal(c.m[0].data, crlf, sizeof crlf - 1);
	collect_free(&c);
	free(p);

	/* UTF-16LE with a BOM and CR alone */
	size_t k;
	unsigned char *u = to_utf16("x,y\r1,2\r", 0, 1, &k);
	p = write_file(d, "cr16.csv", u, k);
	walk_ok(p, NULL, &c);
	assert_string_equal(c.m[0].enc, "utf-16le, CR line ends");
	assert_int_equal(c.m[0].len, 8);
	assert_memory_equal(c.m[0].data, "x,y\n1,2\n", 8);
	collect_free(&c);
	free(p);
	free(u);
	tmpdir_remove(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_bom),   cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_utf16_long), cmocka_unit_test(test_utf16_invalid),
		cmocka_unit_test(test_utf32),      cmocka_unit_test(test_cr_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
