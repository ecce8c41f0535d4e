/*
 * test_binary.c: binary data told from text with a stray NUL (binary.c),
 * files made byte by byte: magic numbers, untranscoded UTF-16, NUL and
 * control bytes throughout, against a NUL in a field, a zero-filled run
 * at the start or the end, and rows of control bytes after a clean
 * header. Then what ingest_stream makes of them: every row that holds
 * no NUL an event, the one that does kept whole at its line.
 */
#include "ingest_util.h"

#include "binary.h"

/* a Purview export of n rows; row k (1-based, 0: none) has a NUL in its
 * AuditData's UserId */
static char *purview(int n, int nul_row, size_t *len)
{
	size_t cap = 256 + (size_t)n * 512, at = 0;
	char *d = malloc(cap);
	at += (size_t)snprintf(d, cap, "%s", PURVIEW_HDR);
	for (int k = 1; k <= n; k++) {
		at += (size_t)snprintf(d + at, cap - at,
				       "r-%d,2024-01-01T00:00:%02dZ,2,Send,a@x.com,\"{\"\"CreationTime\"\":\"\"2024-01-"
				       "01T00:00:%02d\"\",\"\"Id\"\":\"\"r-%d\"\",\"\"Operation\"\":\"\"Send\"\",\"\"UserId\"\":"
				       "\"\"a@x.com\"\"}\",,\n",
				       k, k, k, k);
		if (k == nul_row) {
			char *at_sign = strstr(d + at - 40, "a@x.com\"\"}");
			assert_non_null(at_sign);
			at_sign[1] = '\0'; /* a\0x.com */
		}
	}
	*len = at;
	return d;
}

static void test_magic(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		size_t n;
		const char *kind;
	} m[] = {
		{ "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 17, "a PDF document" },
		{ "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, "a PNG image" },
		{ "\xff\xd8\xff\xe0\0\x10JFIF", 10, "a JPEG image" },
		{ "\x7f"
		  "ELF\x02\x01\x01\0",
		  8, "an ELF executable" },
		{ "SQLite format 3\0\x10\0", 18, "an SQLite database (a case file?)" },
		{ "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0", 10,
		  "an OLE2 document (an old Office .xls, .doc or .msg)" },
		{ "ElfFile\0\0\0", 10, "a Windows event log (.evtx)" },
		{ "PK\x03\x04\x14\0\0\0\x08\0", 10, "a zip archive that could not be read as one" },
		{ "\x1f\x8b\x08\0\0\0\0\0", 8, "gzip data that could not be read as such" },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		const char *k = binary_kind(m[i].bytes, m[i].n);
		if (!k || strcmp(k, m[i].kind) != 0)
			fail_msg("magic %zu: %s, expected %s", i, k ? k : "text", m[i].kind);
	}
	/* a PE header: MZ, then NULs */
	char pe[128] = "MZ\x90";
	assert_string_equal(binary_kind(pe, sizeof pe), "a Windows executable");
	/* MZ beginning a line of text is text */
	const char *mz = "MZ,Operation,UserId\nx,y,z\n"
			 "................................................................\n";
	assert_null(binary_kind(mz, strlen(mz)));
}

static void test_text_with_nul(void **state)
{
	(void)state;
	size_t n;
	/* a NUL in the header line itself, and one in a row */
	char *d = purview(12, 3, &n);
	assert_null(binary_kind(d, n));
	d[10] = '\0';
	assert_null(binary_kind(d, n));
	free(d);

	/* a zero-filled run where a crash cut a write: at the start, at the end */
	const char *rec = "{\"CreationTime\":\"2024-01-01T00:00:01\",\"Id\":\"z-1\",\"Operation\":\"Send\"}\n";
	char buf[4096];
	memset(buf, 0, sizeof buf);
	memcpy(buf + 16, rec, strlen(rec));
	assert_null(binary_kind(buf, 16 + strlen(rec)));
	memcpy(buf, rec, strlen(rec));
	memset(buf + strlen(rec), 0, sizeof buf - strlen(rec));
	assert_null(binary_kind(buf, sizeof buf));

	/* a clean header, then rows an attacker wrote (subjects of control
	 * bytes): the rows cannot make the export binary */
	memset(buf, 0x01, sizeof buf);
	const char *hdr = "Received,SenderAddress,RecipientAddress,Subject\n";
	memcpy(buf, hdr, strlen(hdr));
	assert_null(binary_kind(buf, sizeof buf));

	/* a short header decides alone too */
	const char *shdr = "Id,Subject\n";
	memcpy(buf, shdr, strlen(shdr));
	assert_null(binary_kind(buf, sizeof buf));
	/* a '[' and a blank line are not yet a first line; Latin-1 records */
	const char *arr = "[\n\n  {\n    \"Id\": \"a\",\n    \"Subject\": \"Z\xfcrich \xe9t\xe9\"\n  }\n]\n";
	assert_null(binary_kind(arr, strlen(arr)));
	const char *lat = "{\"Id\":\"l-1\",\"Subject\":\"R\xe9sum\xe9 f\xfcr M\xfcller\"}\n";
	assert_null(binary_kind(lat, strlen(lat)));
	assert_null(binary_kind("Z\xfcrich\nabc\n", 11));
	/* a first line cut by the 4 KB inside a UTF-8 character */
	char cut[4096];
	memset(cut, 'a', sizeof cut);
	memcpy(cut + sizeof cut - 2, "\xc3\xa4", 2);
	assert_null(binary_kind(cut, sizeof cut - 1));

	/* a first line of terminal escapes is text */
	const char *esc = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\x08\x08\tx\r\n";
	assert_null(binary_kind(esc, strlen(esc)));
}

static void test_binary_throughout(void **state)
{
	(void)state;
	/* UTF-16 that reached the readers untranscoded, either order */
	const char *le = "[\0{\0\"\0I\0d\0\"\0:\0\"\0x\0\"\0}\0]\0\n\0";
	assert_string_equal(binary_kind(le, 26), "NUL and control bytes throughout");
	assert_string_equal(binary_kind(le + 1, 25), "NUL and control bytes throughout");
	/* bytes with no magic and no text in them */
	unsigned char r[4096];
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof r; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		r[i] = (unsigned char)x;
	}
	r[0] = 0x02; /* not a magic number by chance */
	assert_string_equal(binary_kind(r, sizeof r), "NUL and control bytes throughout");
	unsigned char z[100] = { 0 };
	assert_string_equal(binary_kind(z, sizeof z), "NUL bytes only");
	/* random or encrypted bytes whose first line (a line end among the
	 * first bytes) holds no control: 77 of these 2,000 read as text
	 * when a clean first line was enough */
	uint64_t y = 88172645463325252u;
	for (int k = 0; k < 2000; k++) {
		for (size_t i = 0; i < sizeof r; i++) {
			y ^= y << 13;
			y ^= y >> 7;
			y ^= y << 17;
			r[i] = (unsigned char)(y >> 24);
		}
		if (!binary_kind(r, sizeof r))
			fail_msg("random block %d read as text", k);
	}
	assert_null(binary_kind("", 0));
}

/* ------------------------------------------------------------------ */
/* what the load makes of them */

static void test_ingest_stray_nul_csv(void **state)
{
	(void)state;
	size_t n;
	char *d = purview(12, 3, &n);
	struct got g = { 0 };
	run(d, n, &g);
	expect_ok(&g, 11, 1);
	expect_format(&g, "purview-csv");
	assert_null(g.st.error);
	/* the row with the NUL, kept whole at its line (the header is 1) */
	assert_int_equal(g.rej[0].line, 4);
	const char *row = strstr(d, "r-3,");
	const char *end = memchr(row, '\n', n - (size_t)(row - d));
	assert_int_equal(g.rej[0].n, (size_t)(end - row));
	assert_memory_equal(g.rej[0].raw, row, g.rej[0].n);
	expect_field(&g, 1, F_RECORD_ID, "r-2");
	expect_field(&g, 2, F_RECORD_ID, "r-4");
	assert_int_equal(g.ev[2].line, 5);
	got_free(&g);
	free(d);
}

static void test_ingest_stray_nul_json(void **state)
{
	(void)state;
	/* JSON Lines: a NUL in a value of line 2 */
	static const char jl[] =
		"{\"CreationTime\":\"2024-01-01T00:00:01\",\"Id\":\"j-1\",\"Operation\":\"Send\"}\n"
		"{\"CreationTime\":\"2024-01-01T00:00:02\",\"Id\":\"j-\0002\",\"Operation\":\"Send\"}\n"
		"{\"CreationTime\":\"2024-01-01T00:00:03\",\"Id\":\"j-3\",\"Operation\":\"Send\"}\n";
	struct got g = { 0 };
	run(jl, sizeof jl - 1, &g);
	expect_ok(&g, 2, 1);
	expect_format(&g, "ual-json");
	assert_int_equal(g.rej[0].line, 2);
	assert_int_equal(g.rej[0].n, 69);
	assert_memory_equal(g.rej[0].raw, jl + 69, 69);
	expect_field(&g, 1, F_RECORD_ID, "j-3");
	got_free(&g);

	/* a zero-filled run before the first record: that line rejected,
	 * the rest loaded */
	static const char zl[] =
		"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
		"{\"CreationTime\":\"2024-01-01T00:00:01\",\"Id\":\"z-1\",\"Operation\":\"Send\"}\n"
		"{\"CreationTime\":\"2024-01-01T00:00:02\",\"Id\":\"z-2\",\"Operation\":\"Send\"}\n";
	run(zl, sizeof zl - 1, &g);
	expect_ok(&g, 1, 1);
	expect_format(&g, "ual-json");
	assert_int_equal(g.rej[0].line, 1);
	assert_int_equal(g.rej[0].n, 16 + 68);
	assert_memory_equal(g.rej[0].raw, zl, 16 + 68);
	expect_field(&g, 0, F_RECORD_ID, "z-2");
	got_free(&g);
}

static void test_ingest_binary_named(void **state)
{
	(void)state;
	char pdf[6000];
	memset(pdf, 'x', sizeof pdf);
	memcpy(pdf, "%PDF-1.4\n", 9);
	struct got g = { 0 };
	run(pdf, sizeof pdf, &g);
	assert_int_equal(g.rc, 0);
	expect_format(&g, "binary");
	assert_string_equal(g.st.error,
			    "binary data (a PDF document), not a text export (its first 4096 bytes kept as "
			    "one rejected row)");
	assert_int_equal(g.nrej, 1);
	assert_int_equal(g.rej[0].n, 4096);
	assert_string_equal(g.rej[0].why, "binary data (a PDF document), not a text export");
	got_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magic),
		cmocka_unit_test(test_text_with_nul),
		cmocka_unit_test(test_binary_throughout),
		cmocka_unit_test(test_ingest_stray_nul_csv),
		cmocka_unit_test(test_ingest_stray_nul_json),
		cmocka_unit_test(test_ingest_binary_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
