/*
 * test_input_archive.c: the input layer against archives and compressed
 * streams built here with libarchive's write API: zip, tar.gz, gz,
 * nesting, zip bombs, size limits, dangerous member names, damaged and
 * encrypted archives.
 */
#include "input_util.h"

/* Member i of an archive's walk: its path inside the archive (NULL: not
 * checked here) and its text. */
struct want_member {
	const char *path, *text;
};

/* The walk of archive gave exactly n members, each archive!path holding
 * its text, read whole with no error. */
static void assert_members(const struct collect *c, const char *archive, const struct want_member *w, size_t n)
{
	assert_int_equal(c->n, n);
	for (size_t i = 0; i < n; i++) {
		if (!w[i].path)
			continue;
		char want[4200];
		snprintf(want, sizeof want, "%s!%s", archive, w[i].path);
		assert_member(&c->m[i], want, w[i].text, strlen(w[i].text));
	}
}

/* Member i failed with an error that starts with where, then what. */
static void assert_member_err(const struct collect *c, size_t i, const char *where, const char *what)
{
	char want[4200];
	snprintf(want, sizeof want, "%s%s", where, what);
	assert_non_null(c->m[i].err);
	if (strncmp(c->m[i].err, want, strlen(want)) != 0)
		fail_msg("member %zu: '%s' does not start with '%s'", i, c->m[i].err, want);
}

static void test_zip(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	struct entry e[] = {
		{ "a.csv", CSV, strlen(CSV) },
		{ "logs/2024/b.json", JSON, strlen(JSON) },
	};
	char *z = make_archive(d, "bundle.zip", "zip", NULL, NULL, NULL, e, 2);
	struct collect c = { 0 };
	walk_ok(z, NULL, &c);
	const struct want_member both[] = { { "a.csv", CSV }, { "logs/2024/b.json", JSON } };
	assert_members(&c, z, both, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(c.m[i].size, file_size(z));
		assert_true(c.m[i].bytes_in > 0);
		assert_true(c.m[i].bytes_in <= (uint64_t)file_size(z));
	}
	assert_int_equal(c.nwarn, 0);
	collect_free(&c);

	/* stored, not deflated; read 1 byte at a time */
	char *z2 = make_archive(d, "stored.zip", "zip", NULL, "zip:compression=store", NULL, e, 2);
	c.chunk = 1;
	walk_ok(z2, NULL, &c);
	assert_members(&c, z2, (const struct want_member[]){ { NULL, NULL }, { "logs/2024/b.json", JSON } }, 2);
	collect_free(&c);

	/* input_finish() alone drains and hashes */
	c.no_read = 1;
	walk_ok(z, NULL, &c);
	assert_int_equal(c.n, 2);
	char hex[65];
	sha256_hex(JSON, strlen(JSON), hex);
	assert_string_equal(c.m[1].hex, hex);
	assert_int_equal(c.m[1].raw, strlen(JSON));
	collect_free(&c);

	free(z);
	free(z2);
	tmpdir_remove(d);
	free(d);
}

static void test_tar_gz(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	struct entry e[] = {
		{ "one.csv", CSV, strlen(CSV) },
		{ "dir/two.json", JSON, strlen(JSON) },
	};
	char *t = make_archive(d, "export.tgz", "ustar", "gzip", NULL, NULL, e, 2);
	char *u = make_archive(d, "export.tar", "ustar", NULL, NULL, NULL, e, 2);
	char *x = make_archive(d, "export.tar.xz", "ustar", "xz", NULL, NULL, e, 2);
	const char *paths[] = { t, u, x };
	for (size_t k = 0; k < 3; k++) {
		struct collect c = { 0 };
		walk_ok(paths[k], NULL, &c);
		assert_members(&c, paths[k],
			       (const struct want_member[]){ { "one.csv", CSV }, { "dir/two.json", JSON } }, 2);
		assert_int_equal(c.m[1].size, file_size(paths[k]));
		assert_int_equal(c.nwarn, 0);
		collect_free(&c);
	}
	free(t);
	free(u);
	free(x);
	tmpdir_remove(d);
	free(d);
}

static void test_gz(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *g = make_gz(d, "a.csv.gz", CSV, strlen(CSV));
	struct collect c = { 0 };
	walk_ok(g, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], g, CSV, strlen(CSV));
	assert_int_equal(c.m[0].size, file_size(g));
	assert_true(c.m[0].bytes_in > 0 && c.m[0].bytes_in <= (uint64_t)file_size(g));
	assert_string_equal(c.m[0].enc, "utf-8");
	collect_free(&c);

	/* found by content: the name says nothing */
	char *renamed = join(d, "a.csv");
	assert_int_equal(rename(g, renamed), 0);
	walk_ok(renamed, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], renamed, CSV, strlen(CSV));
	collect_free(&c);
	free(renamed);
	free(g);
	tmpdir_remove(d);
	free(d);
}

static void test_nested(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	struct entry ie[] = {
		{ "x.csv", CSV, strlen(CSV) },
		{ "y/z.json", JSON, strlen(JSON) },
	};
	char *inner = make_archive(d, "inner.zip", "zip", NULL, NULL, NULL, ie, 2);
	char *tgz = make_archive(d, "inner.tar.gz", "ustar", "gzip", NULL, NULL, ie, 1);
	char *gz = make_gz(d, "c.json.gz", JSON, strlen(JSON));
	size_t ilen, tlen, glen;
	char *ib = slurp(inner, &ilen), *tb = slurp(tgz, &tlen), *gb = slurp(gz, &glen);
	struct entry oe[] = {
		{ "first.csv", CSV, strlen(CSV) },   { "deep/inner.zip", ib, ilen },
		{ "inner.tar.gz", tb, tlen },        { "c.json.gz", gb, glen },
		{ "last.json", JSON, strlen(JSON) },
	};
	char *outer = make_archive(d, "outer.zip", "zip", NULL, NULL, NULL, oe, 5);

	struct collect c = { 0 };
	walk_ok(outer, NULL, &c);
	const struct want_member all[] = {
		{ "first.csv", CSV },
		{ "deep/inner.zip!x.csv", CSV },
		{ "deep/inner.zip!y/z.json", JSON },
		{ "inner.tar.gz!x.csv", CSV },
		{ "c.json.gz", JSON },
		{ "last.json", JSON },
	};
	assert_members(&c, outer, all, 6);
	for (size_t i = 0; i < c.n; i++)
		assert_int_equal(c.m[i].size, file_size(outer));
	assert_int_equal(c.nwarn, 0);
	collect_free(&c);

	/* read one byte at a time through two archives */
	c.chunk = 1;
	walk_ok(outer, NULL, &c);
	const struct want_member third[6] = { [2] = { "deep/inner.zip!y/z.json", JSON } };
	assert_members(&c, outer, third, 6);
	collect_free(&c);

	free(ib);
	free(tb);
	free(gb);
	free(inner);
	free(tgz);
	free(gz);
	free(outer);
	tmpdir_remove(d);
	free(d);
}

/* A compressed member inside an archive is read ahead by a megabyte: that
 * must not look like a bomb. */
static void test_nested_no_false_bomb(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	/* a random id a line, as in real exports: gzip gets a few times, and
	 * needs more than the megabyte the inner archive reads ahead */
	size_t n = 0, cap = 31u << 20;
	char *text = malloc(cap);
	unsigned long long x = 88172645463325252ull;
	while (n < 30u << 20) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n += (size_t)snprintf(text + n, cap - n,
				      "RecordId,CreationDate,Operation,1,2024-01-01T00:00:00,"
				      "New-InboxRule,%016llx\n",
				      x);
	}
	char *g = make_gz(d, "big.csv.gz", text, n);
	size_t glen;
	char *gb = slurp(g, &glen);
	assert_true(n / glen >= 2 && glen > (1u << 20));
	struct entry e[] = { { "big.csv.gz", gb, glen } };
	const char *opts[] = { "zip:compression=store", NULL };
	for (size_t k = 0; k < 2; k++) {
		char *z = make_archive(d, "outer.zip", "zip", NULL, opts[k], NULL, e, 1);
		struct collect c = { 0 };
		c.chunk = 1 << 20;
		walk_ok(z, NULL, &c);
		assert_int_equal(c.n, 1);
		char want[4200];
		snprintf(want, sizeof want, "%s!big.csv.gz", z);
		assert_member(&c.m[0], want, text, n);
		collect_free(&c);
		free(z);
	}
	free(gb);
	free(g);
	free(text);
	tmpdir_remove(d);
	free(d);
}

static void test_nested_depth(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	/* level 1 holds the CSV; level k holds level k-1 */
	char *prev = NULL;
	size_t plen = 0;
	char *paths[6] = { 0 };
	for (int k = 1; k <= 5; k++) {
		char nm[32];
		snprintf(nm, sizeof nm, "l%d.zip", k);
		char inner_nm[32];
		snprintf(inner_nm, sizeof inner_nm, "l%d.zip", k - 1);
		struct entry e = k == 1 ? (struct entry){ "x.csv", CSV, strlen(CSV) }
					: (struct entry){ inner_nm, prev, plen };
		paths[k] = make_archive(d, nm, "zip", NULL, NULL, NULL, &e, 1);
		free(prev);
		prev = slurp(paths[k], &plen);
	}
	free(prev);

	struct collect c = { 0 };
	walk_ok(paths[4], NULL, &c);
	assert_members(&c, paths[4], (const struct want_member[]){ { "l3.zip!l2.zip!l1.zip!x.csv", CSV } }, 1);
	assert_int_equal(c.nwarn, 0);
	collect_free(&c);

	walk_ok(paths[5], NULL, &c);
	assert_int_equal(c.n, 0);
	char want[4200];
	snprintf(want, sizeof want,
		 "%s!l4.zip!l3.zip!l2.zip!l1.zip: archive nested more than 4 deep; skipped", paths[5]);
	assert_int_equal(c.nwarn, 1);
	assert_string_equal(c.warn[0], want);
	collect_free(&c);

	for (int k = 1; k <= 5; k++)
		free(paths[k]);
	tmpdir_remove(d);
	free(d);
}

/* Run input_walk("-") with data written into stdin by a child process. */

static void test_bomb(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	size_t n = 20u << 20;
	char *zeros = malloc(n); /* not zeros: those read as an empty tar */
	memset(zeros, 'x', n);
	char *g = make_gz(d, "bomb.gz", zeros, n);
	struct entry e[] = {
		{ "small.csv", CSV, strlen(CSV) },
		{ "big.csv", zeros, n },
		{ "after.csv", CSV, strlen(CSV) },
	};
	char *z = make_archive(d, "bundle.zip", "zip", NULL, NULL, NULL, e, 3);
	struct input_limits lim = { .max_ratio = 100 };

	struct collect c = { 0 };
	walk_ok(g, &lim, &c);
	assert_int_equal(c.n, 1);
	assert_member_err(&c, 0, g,
			  ": decompressed size exceeds 100x the compressed size (zip bomb?); stopped after ");
	assert_non_null(strstr(c.m[0].err, " MiB"));
	assert_int_equal(c.m[0].finish_rc, -1);
	assert_true(c.m[0].len < 8u << 20);
	collect_free(&c);

	/* inside a zip: the other members are still read */
	walk_ok(z, &lim, &c);
	assert_members(&c, z,
		       (const struct want_member[]){ { "small.csv", CSV }, { NULL, NULL }, { "after.csv", CSV } },
		       3);
	assert_member_err(&c, 1, z,
			  "!big.csv: decompressed size exceeds 100x the compressed size (zip bomb?); stopped after ");
	collect_free(&c);

	/* input_finish() without reading stops at the limit as well */
	c.no_read = 1;
	walk_ok(g, &lim, &c);
	assert_int_equal(c.m[0].finish_rc, -1);
	assert_non_null(strstr(c.m[0].err, "(zip bomb?)"));
	collect_free(&c);

	/* default limits: bzip2 turns a run into next to nothing */
	struct entry be = { "data", zeros, n };
	char *bz = make_archive(d, "bomb.bz2", "raw", "bzip2", NULL, NULL, &be, 1);
	walk_ok(bz, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_member_err(&c, 0, bz,
			  ": decompressed size exceeds 1000x the compressed size (zip bomb?); stopped after ");
	collect_free(&c);
	free(bz);

	/* a tiny highly-compressible file passes: the first MiB is free */
	char *t = make_gz(d, "tiny.gz", zeros, 1 << 20);
	walk_ok(t, &lim, &c);
	assert_int_equal(c.n, 1);
	assert_null(c.m[0].err);
	assert_int_equal(c.m[0].len, 1 << 20);
	collect_free(&c);

	/* bombs inside archives inside archives: gz and bzip2 in a zip */
	size_t glen;
	char *gb = slurp(g, &glen);
	char *bz2 = make_archive(d, "b.bz2", "raw", "bzip2", NULL, NULL, &be, 1);
	size_t blen;
	char *bb = slurp(bz2, &blen);
	struct entry ne[] = {
		{ "bomb.gz", gb, glen },
		{ "bomb.bz2", bb, blen },
	};
	char *nz = make_archive(d, "nested.zip", "zip", NULL, "zip:compression=store", NULL, ne, 2);
	walk_ok(nz, NULL, &c);
	assert_int_equal(c.n, 2);
	assert_member_err(&c, 1, nz, "!bomb.bz2: decompressed size exceeds 1000x");
	collect_free(&c);
	walk_ok(nz, &lim, &c);
	assert_int_equal(c.n, 2);
	assert_member_err(&c, 0, nz, "!bomb.gz: decompressed size exceeds 100x");
	collect_free(&c);
	free(nz);
	free(bz2);
	free(bb);
	free(gb);

	free(t);
	free(g);
	free(z);
	free(zeros);
	tmpdir_remove(d);
	free(d);
}

static void test_max_member(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	size_t n = 3u << 20;
	char *text = malloc(n);
	memset(text, 'x', n);
	char *p = write_file(d, "huge.csv", text, n);
	struct input_limits lim = { .max_member_bytes = 1u << 20 };
	struct collect c = { 0 };
	walk_ok(p, &lim, &c);
	assert_int_equal(c.n, 1);
	char want[4200];
	snprintf(want, sizeof want, "%s: decompressed size exceeds the limit of 1.0 MiB; stopped", p);
	assert_non_null(c.m[0].err);
	assert_string_equal(c.m[0].err, want);
	assert_true(c.m[0].len <= 1u << 20);
	collect_free(&c);
	free(p);
	free(text);
	tmpdir_remove(d);
	free(d);
}

static void test_member_names(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	struct entry e[] = {
		{ "../../etc/x", CSV, strlen(CSV) },     { "/abs/y.csv", CSV, strlen(CSV) },
		{ "ctl\x1b[31m.csv", CSV, strlen(CSV) }, { "..\\win\\z.csv", CSV, strlen(CSV) },
		{ "ok..name.csv", CSV, strlen(CSV) },
	};
	char *z = make_archive(d, "bundle.zip", "zip", NULL, NULL, NULL, e, 5);
	struct collect c = { 0 };
	walk_ok(z, NULL, &c);
	assert_int_equal(c.n, 5);
	char want[4200];
	snprintf(want, sizeof want, "%s!../../etc/x", z);
	assert_member(&c.m[0], want, CSV, strlen(CSV));
	snprintf(want, sizeof want, "%s!ctl\x1b[31m.csv", z); /* kept as is */
	assert_string_equal(c.m[2].name, want);
	assert_int_equal(c.nwarn, 4);
	snprintf(want, sizeof want,
		 "%s: member name '../../etc/x' points outside the archive; read in place, nothing extracted",
		 z);
	assert_string_equal(c.warn[0], want);
	snprintf(want, sizeof want,
		 "%s: member name '/abs/y.csv' is an absolute path; read in place, nothing extracted", z);
	assert_string_equal(c.warn[1], want);
	snprintf(want, sizeof want,
		 "%s: member name 'ctl\\x1b[31m.csv' holds control characters; read in place, nothing extracted",
		 z);
	assert_string_equal(c.warn[2], want);
	assert_non_null(strstr(c.warn[3], "points outside the archive"));
	collect_free(&c);
	free(z);
	tmpdir_remove(d);
	free(d);
}

static void test_truncated(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	size_t n = 200000;
	char *text = malloc(n);
	unsigned s = 1;
	for (size_t i = 0; i < n; i++) { /* not very compressible */
		s = s * 1103515245u + 12345u;
		text[i] = (char)('a' + (s >> 16) % 26);
	}
	struct entry e[] = {
		{ "first.csv", CSV, strlen(CSV) },
		{ "second.txt", text, n },
		{ "third.csv", CSV, strlen(CSV) },
	};
	const char *kinds[][3] = { { "t.zip", "zip", NULL }, { "t.tgz", "ustar", "gzip" } };
	for (size_t k = 0; k < 2; k++) {
		char *a = make_archive(d, kinds[k][0], kinds[k][1], kinds[k][2], NULL, NULL, e, 3);
		assert_int_equal(truncate(a, file_size(a) / 2), 0);
		struct collect c = { 0 };
		walk_ok(a, NULL, &c);
		assert_true(c.n >= 1);
		char want[4200];
		snprintf(want, sizeof want, "%s!first.csv", a);
		assert_member(&c.m[0], want, CSV, strlen(CSV));
		/* the cut member fails naming itself, and the archive is named
		 * in a warning */
		int named = has_warning(&c, a);
		for (size_t i = 1; i < c.n; i++)
			if (c.m[i].err && strstr(c.m[i].err, a))
				named = 1;
		assert_true(named);
		if (c.n >= 2)
			assert_non_null(c.m[1].err);
		collect_free(&c);
		free(a);
	}
	free(text);
	tmpdir_remove(d);
	free(d);
}

static void test_encrypted(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	if (archive_write_set_options(a, "zip:encryption=zipcrypt") != ARCHIVE_OK) {
		archive_write_free(a);
		tmpdir_remove(d);
		free(d);
		print_message("skipped: this libarchive cannot write encrypted zips\n");
		skip();
	}
	archive_write_free(a);

	/* one encrypted zip holding one member, inside a plain one */
	struct entry se = { "secret.csv", CSV, strlen(CSV) };
	char *enc = make_archive(d, "inner.zip", "zip", NULL, "zip:encryption=zipcrypt", "pw", &se, 1);
	size_t elen;
	char *eb = slurp(enc, &elen);
	struct entry e[] = {
		{ "inner.zip", eb, elen },
		{ "open.csv", CSV, strlen(CSV) },
	};
	char *outer = make_archive(d, "outer.zip", "zip", NULL, NULL, NULL, e, 2);
	struct collect c = { 0 };
	walk_ok(outer, NULL, &c);
	assert_int_equal(c.n, 1);
	char want[4200];
	snprintf(want, sizeof want, "%s!open.csv", outer);
	assert_member(&c.m[0], want, CSV, strlen(CSV));
	snprintf(want, sizeof want, "%s!inner.zip!secret.csv: encrypted; skipped (no password is tried)",
		 outer);
	assert_true(has_warning(&c, want));
	collect_free(&c);
	free(eb);
	free(enc);
	free(outer);
	tmpdir_remove(d);
	free(d);
}

static void test_corrupt_archive_top(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	static const char junk[] = "PK\x03\x04 this is not really a zip file at all";
	char *p = write_file(d, "junk.zip", junk, sizeof junk - 1);
	struct collect c = { 0 };
	char *cause = NULL;
	int rc = walk(p, NULL, &c, &cause);
	/* either the open fails (cause) or the first header does (warning) */
	if (rc < 0) {
		assert_non_null(cause);
		assert_int_equal(strncmp(cause, p, strlen(p)), 0);
		free(cause);
	} else {
		assert_true(has_warning(&c, p));
	}
	assert_int_equal(c.n, 0);
	collect_free(&c);
	free(p);
	tmpdir_remove(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zip),
		cmocka_unit_test(test_tar_gz),
		cmocka_unit_test(test_gz),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_nested_no_false_bomb),
		cmocka_unit_test(test_nested_depth),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_max_member),
		cmocka_unit_test(test_member_names),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_encrypted),
		cmocka_unit_test(test_corrupt_archive_top),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
