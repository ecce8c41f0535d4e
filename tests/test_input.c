/*
 * test_input.c: the input layer against files, folders, archives built here
 * with libarchive's write API, stdin, and text in every encoding it
 * promises to read.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "input.h"

#define MAXGOT 64

struct got {
	char *name;
	char *data;
	size_t len;
	char enc[16];
	char hex[65];
	char *err;
	int finish_rc;
	int64_t size;
	uint64_t bytes_in;
	uint64_t raw;
};

struct collect {
	size_t chunk;  /* bytes asked of each input_read(); 0: 64 KiB */
	int no_read;   /* go straight to input_finish() */
	int stop_at;   /* return -1 from the callback at this member (1-based) */
	struct got m[MAXGOT];
	size_t n;
	char *warn[MAXGOT];
	size_t nwarn;
};

static int collect_fn(struct input *in, void *ctx)
{
	struct collect *c = ctx;
	assert_true(c->n < MAXGOT);
	struct got *g = &c->m[c->n++];
	size_t chunk = c->chunk ? c->chunk : 65536, cap = 0;

	g->name = strdup(input_name(in));
	for (;;) {
		if (c->no_read)
			break;
		if (g->len + chunk > cap) {
			cap = (g->len + chunk) * 2;
			g->data = realloc(g->data, cap);
			assert_non_null(g->data);
		}
		ssize_t r = input_read(in, g->data + g->len, chunk);
		if (r < 0) {
			g->err = strdup(input_error(in));
			break;
		}
		if (r == 0)
			break;
		assert_true((size_t)r <= chunk);
		g->len += (size_t)r;
	}
	snprintf(g->enc, sizeof g->enc, "%s", input_encoding(in));
	g->finish_rc = input_finish(in, g->hex);
	if (g->finish_rc < 0 && !g->err)
		g->err = strdup(input_error(in));
	g->size = input_size(in);
	g->bytes_in = input_bytes_in(in);
	g->raw = input_bytes_raw(in);
	if (c->stop_at && (int)c->n == c->stop_at)
		return -1;
	return 0;
}

static void collect_warn(const char *msg, void *ctx)
{
	struct collect *c = ctx;
	assert_null(strchr(msg, '\n'));
	if (c->nwarn < MAXGOT)
		c->warn[c->nwarn++] = strdup(msg);
}

static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->m[i].name);
		free(c->m[i].data);
		free(c->m[i].err);
	}
	for (size_t i = 0; i < c->nwarn; i++)
		free(c->warn[i]);
	memset(c, 0, sizeof *c);
}

static int walk(const char *path, const struct input_limits *lim, struct collect *c, char **cause)
{
	return input_walk(path, lim, collect_fn, collect_warn, c, cause);
}

/* Walk and expect success. */
static void walk_ok(const char *path, const struct input_limits *lim, struct collect *c)
{
	char *cause = NULL;
	int rc = walk(path, lim, c, &cause);
	if (rc != 0)
		print_error("input_walk(%s): %s\n", path, cause ? cause : "?");
	assert_int_equal(rc, 0);
	assert_null(cause);
}

static int has_warning(const struct collect *c, const char *needle)
{
	for (size_t i = 0; i < c->nwarn; i++)
		if (strstr(c->warn[i], needle))
			return 1;
	return 0;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void assert_member(const struct got *g, const char *name, const void *data, size_t len)
{
	char hex[65];
	assert_string_equal(g->name, name);
	if (g->err)
		print_error("%s\n", g->err);
	assert_null(g->err);
	assert_int_equal(g->len, len);
	if (len)
		assert_memory_equal(g->data, data, len);
	sha256_hex(data, len, hex);
	assert_string_equal(g->hex, hex);
	assert_int_equal(g->raw, len);
	assert_int_equal(g->finish_rc, 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

struct entry {
	const char *name;
	const void *data;
	size_t len;
};

/* Write an archive with libarchive: format "zip", "ustar", "raw"; filter
 * NULL or "gzip"; options as archive_write_set_options takes them. */
static char *make_archive(const char *dir, const char *file, const char *format,
			  const char *filter, const char *options, const char *pass,
			  const struct entry *e, size_t n)
{
	char *path = join(dir, file);
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format_by_name(a, format), ARCHIVE_OK);
	if (filter)
		assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
	if (options)
		assert_int_equal(archive_write_set_options(a, options), ARCHIVE_OK);
	if (pass)
		assert_int_equal(archive_write_set_passphrase(a, pass), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_size(ae, (la_int64_t)e[i].len);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (e[i].len)
			assert_int_equal(archive_write_data(a, e[i].data, e[i].len), (la_ssize_t)e[i].len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return path;
}

/* "file.gz": a gzip of one file's bytes, through libarchive's raw format. */
static char *make_gz(const char *dir, const char *file, const void *data, size_t len)
{
	struct entry e = { "data", data, len };
	return make_archive(dir, file, "raw", "gzip", NULL, NULL, &e, 1);
}

static int64_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static const char CSV[] = "RecordId,CreationDate,Operation\n1,2024-01-01T00:00:00,New-InboxRule\n";
static const char JSON[] = "[{\"Id\":\"1\",\"Operation\":\"MailItemsAccessed\"}]\n";

static void test_plain_file(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *p = write_file(d, "a.csv", CSV, strlen(CSV));
	struct collect c = { 0 };
	walk_ok(p, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], p, CSV, strlen(CSV));
	assert_string_equal(c.m[0].enc, "utf-8");
	assert_int_equal(c.m[0].size, (int64_t)strlen(CSV));
	assert_int_equal(c.m[0].bytes_in, strlen(CSV));
	assert_int_equal(c.nwarn, 0);

	/* and what sha256sum prints */
	char cmd[4200], line[256] = "";
	snprintf(cmd, sizeof cmd, "sha256sum '%s'", p);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	pclose(f);
	assert_int_equal(strncmp(line, c.m[0].hex, 64), 0);

	collect_free(&c);
	free(p);
	tmpdir_remove(d);
	free(d);
}

static void test_empty_file(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *p = write_file(d, "empty.json", "", 0);
	struct collect c = { 0 };
	walk_ok(p, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], p, "", 0);
	assert_string_equal(c.m[0].hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(c.m[0].size, 0);
	collect_free(&c);

	/* a gzip of nothing is one empty member too */
	char *gz = make_gz(d, "empty.json.gz", "", 0);
	walk_ok(gz, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], gz, "", 0);
	collect_free(&c);
	free(gz);
	free(p);
	tmpdir_remove(d);
	free(d);
}

/* Text that libarchive, with every format on, could take for an archive. */
static void test_plain_lookalikes(void **state)
{
	(void)state;
	static const char *texts[] = {
		"#mtree\n./a type=file\n",
		"begin 644 a.csv\nM86)C\n",
		"070701,2024-01-01,Set-Mailbox\n",
		"PKI,Operation\n1,Add service principal credentials.\n",
		"{\"Id\":\"x\"}\n{\"Id\":\"y\"}\n",
		/* a magic number but no archive: read as it is */
		"BZh9,Operation\n1,Set-Mailbox\n",
		"LZIP,x\n",
		"\n",
		"x",
	};
	char *d = tmpdir_new();
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		char nm[32];
		snprintf(nm, sizeof nm, "t%zu.txt", i);
		char *p = write_file(d, nm, texts[i], strlen(texts[i]));
		struct collect c = { 0 };
		walk_ok(p, NULL, &c);
		assert_int_equal(c.n, 1);
		assert_member(&c.m[0], p, texts[i], strlen(texts[i]));
		assert_int_equal(c.nwarn, 0);
		collect_free(&c);
		free(p);
	}
	/* a CSV of 600 bytes (more than the sniffed prefix) */
	char big[600];
	memset(big, 'a', sizeof big);
	big[599] = '\n';
	char *p = write_file(d, "long.csv", big, sizeof big);
	struct collect c = { 0 };
	walk_ok(p, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], p, big, sizeof big);
	collect_free(&c);
	free(p);
	tmpdir_remove(d);
	free(d);
}

static void test_dir_walk(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *root = join(d, "bundle");
	assert_int_equal(mkdir(root, 0755), 0);
	char *sub = join(root, "sub");
	assert_int_equal(mkdir(sub, 0755), 0);
	char *deeper = join(sub, "deeper");
	assert_int_equal(mkdir(deeper, 0755), 0);
	free(write_file(root, "b.csv", "b\n", 2));
	free(write_file(root, "a.csv", "a\n", 2));
	free(write_file(root, "A.csv", "A\n", 2));
	free(write_file(root, ".hidden", "h\n", 2));
	free(write_file(sub, "c.csv", "c\n", 2));
	free(write_file(deeper, "d.csv", "d\n", 2));
	char *loop = join(root, "loop");
	assert_int_equal(symlink(".", loop), 0);
	char *zl = join(root, "zlink.csv");
	assert_int_equal(symlink("a.csv", zl), 0);
	char *dangling = join(root, "dangling");
	assert_int_equal(symlink("nowhere", dangling), 0);

	static const char *order[] = { ".hidden", "A.csv", "a.csv", "b.csv", "sub/c.csv",
				       "sub/deeper/d.csv", "zlink.csv" };
	static const char *body[] = { "h\n", "A\n", "a\n", "b\n", "c\n", "d\n", "a\n" };
	for (int slash = 0; slash < 2; slash++) {
		char given[4200];
		snprintf(given, sizeof given, "%s%s", root, slash ? "/" : "");
		struct collect c = { 0 };
		walk_ok(given, NULL, &c);
		assert_int_equal(c.n, 7);
		for (size_t i = 0; i < 7; i++) {
			char *want = join(root, order[i]);
			assert_member(&c.m[i], want, body[i], 2);
			assert_int_equal(c.m[i].size, 2);
			free(want);
		}
		char msg[4300];
		snprintf(msg, sizeof msg, "%s: symbolic link to a folder; not followed", loop);
		assert_true(has_warning(&c, msg));
		assert_true(has_warning(&c, "dangling: symbolic link to nothing"));
		assert_int_equal(c.nwarn, 2);
		collect_free(&c);
	}

	/* a FIFO inside a folder is skipped, not waited on */
	char *fifo = join(deeper, "pipe");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct collect c = { 0 };
	walk_ok(sub, NULL, &c);
	assert_int_equal(c.n, 2);
	assert_true(has_warning(&c, "pipe: a named pipe in a folder; skipped"));
	collect_free(&c);

	free(fifo);
	free(loop);
	free(zl);
	free(dangling);
	free(deeper);
	free(sub);
	free(root);
	tmpdir_remove(d);
	free(d);
}

static void test_missing_path(void **state)
{
	(void)state;
	struct collect c = { 0 };
	char *cause = NULL;
	assert_int_equal(walk("/nonexistent/auditscope/x.csv", NULL, &c, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, "/nonexistent/auditscope/x.csv: No such file or directory");
	assert_int_equal(c.n, 0);
	free(cause);
	collect_free(&c);
}

static void test_unreadable(void **state)
{
	(void)state;
	if (geteuid() == 0) {
		print_message("skipped: root reads everything\n");
		skip();
	}
	char *d = tmpdir_new();
	char *p = write_file(d, "secret.csv", CSV, strlen(CSV));
	assert_int_equal(chmod(p, 0), 0);
	struct collect c = { 0 };
	char *cause = NULL;
	assert_int_equal(walk(p, NULL, &c, &cause), -1);
	char want[4200];
	snprintf(want, sizeof want, "%s: Permission denied", p);
	assert_string_equal(cause, want);
	free(cause);
	/* inside a folder, it is a warning */
	walk_ok(d, NULL, &c);
	assert_int_equal(c.n, 0);
	assert_true(has_warning(&c, want));
	collect_free(&c);
	free(p);
	tmpdir_remove(d);
	free(d);
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
	assert_int_equal(c.n, 2);
	char want[4200];
	snprintf(want, sizeof want, "%s!a.csv", z);
	assert_member(&c.m[0], want, CSV, strlen(CSV));
	snprintf(want, sizeof want, "%s!logs/2024/b.json", z);
	assert_member(&c.m[1], want, JSON, strlen(JSON));
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
	assert_int_equal(c.n, 2);
	snprintf(want, sizeof want, "%s!logs/2024/b.json", z2);
	assert_member(&c.m[1], want, JSON, strlen(JSON));
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
		assert_int_equal(c.n, 2);
		char want[4200];
		snprintf(want, sizeof want, "%s!one.csv", paths[k]);
		assert_member(&c.m[0], want, CSV, strlen(CSV));
		snprintf(want, sizeof want, "%s!dir/two.json", paths[k]);
		assert_member(&c.m[1], want, JSON, strlen(JSON));
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
		{ "first.csv", CSV, strlen(CSV) },
		{ "deep/inner.zip", ib, ilen },
		{ "inner.tar.gz", tb, tlen },
		{ "c.json.gz", gb, glen },
		{ "last.json", JSON, strlen(JSON) },
	};
	char *outer = make_archive(d, "outer.zip", "zip", NULL, NULL, NULL, oe, 5);

	struct collect c = { 0 };
	walk_ok(outer, NULL, &c);
	assert_int_equal(c.n, 6);
	char want[4200];
	snprintf(want, sizeof want, "%s!first.csv", outer);
	assert_member(&c.m[0], want, CSV, strlen(CSV));
	snprintf(want, sizeof want, "%s!deep/inner.zip!x.csv", outer);
	assert_member(&c.m[1], want, CSV, strlen(CSV));
	snprintf(want, sizeof want, "%s!deep/inner.zip!y/z.json", outer);
	assert_member(&c.m[2], want, JSON, strlen(JSON));
	snprintf(want, sizeof want, "%s!inner.tar.gz!x.csv", outer);
	assert_member(&c.m[3], want, CSV, strlen(CSV));
	snprintf(want, sizeof want, "%s!c.json.gz", outer);
	assert_member(&c.m[4], want, JSON, strlen(JSON));
	snprintf(want, sizeof want, "%s!last.json", outer);
	assert_member(&c.m[5], want, JSON, strlen(JSON));
	for (size_t i = 0; i < c.n; i++)
		assert_int_equal(c.m[i].size, file_size(outer));
	assert_int_equal(c.nwarn, 0);
	collect_free(&c);

	/* read one byte at a time through two archives */
	c.chunk = 1;
	walk_ok(outer, NULL, &c);
	assert_int_equal(c.n, 6);
	snprintf(want, sizeof want, "%s!deep/inner.zip!y/z.json", outer);
	assert_member(&c.m[2], want, JSON, strlen(JSON));
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
				      "New-InboxRule,%016llx\n", x);
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
	assert_int_equal(c.n, 1);
	char want[4200];
	snprintf(want, sizeof want, "%s!l3.zip!l2.zip!l1.zip!x.csv", paths[4]);
	assert_member(&c.m[0], want, CSV, strlen(CSV));
	assert_int_equal(c.nwarn, 0);
	collect_free(&c);

	walk_ok(paths[5], NULL, &c);
	assert_int_equal(c.n, 0);
	snprintf(want, sizeof want, "%s!l4.zip!l3.zip!l2.zip!l1.zip: archive nested more than 4 deep; skipped",
		 paths[5]);
	assert_int_equal(c.nwarn, 1);
	assert_string_equal(c.warn[0], want);
	collect_free(&c);

	for (int k = 1; k <= 5; k++)
		free(paths[k]);
	tmpdir_remove(d);
	free(d);
}

/* Run input_walk("-") with data written into stdin by a child process. */
static int walk_stdin(const void *data, size_t len, struct collect *c, char **cause)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		const char *s = data;
		while (len > 0) {
			ssize_t w = write(p[1], s, len);
			if (w <= 0)
				_exit(1);
			s += w;
			len -= (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	int saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	int rc = walk("-", NULL, c, cause);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	kill(pid, SIGTERM); /* in case the walk stopped early */
	waitpid(pid, NULL, 0);
	return rc;
}

static void test_stdin(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	struct collect c = { 0 };
	char *cause = NULL;

	/* plain, bigger than a pipe's buffer */
	size_t n = 300000;
	char *big = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n - 1] = '\n';
	assert_int_equal(walk_stdin(big, n, &c, &cause), 0);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], "-", big, n);
	assert_int_equal(c.m[0].size, -1);
	assert_int_equal(c.m[0].bytes_in, n);
	collect_free(&c);

	/* a tar.gz and a zip arrive as streams: no seeking back */
	struct entry e[] = {
		{ "one.csv", CSV, strlen(CSV) },
		{ "big.txt", big, n },
	};
	const char *fmts[][2] = { { "ustar", "gzip" }, { "zip", NULL } };
	for (size_t k = 0; k < 2; k++) {
		char *a = make_archive(d, k ? "s.zip" : "s.tgz", fmts[k][0], fmts[k][1], NULL, NULL, e, 2);
		size_t alen;
		char *ab = slurp(a, &alen);
		assert_int_equal(walk_stdin(ab, alen, &c, &cause), 0);
		assert_int_equal(c.n, 2);
		assert_member(&c.m[0], "-!one.csv", CSV, strlen(CSV));
		assert_member(&c.m[1], "-!big.txt", big, n);
		collect_free(&c);
		free(ab);
		free(a);
	}

	/* stdin redirected from a regular file */
	char *p = write_file(d, "in.csv", CSV, strlen(CSV));
	int saved = dup(STDIN_FILENO);
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDIN_FILENO);
	close(fd);
	walk_ok("-", NULL, &c);
	dup2(saved, STDIN_FILENO);
	close(saved);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], "-", CSV, strlen(CSV));
	assert_int_equal(c.m[0].size, (int64_t)strlen(CSV));
	collect_free(&c);

	free(p);
	free(big);
	tmpdir_remove(d);
	free(d);
}

static void test_fifo_path(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *f = join(d, "pipe");
	assert_int_equal(mkfifo(f, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(f, O_WRONLY);
		if (fd < 0 || write(fd, CSV, strlen(CSV)) != (ssize_t)strlen(CSV))
			_exit(1);
		_exit(0);
	}
	struct collect c = { 0 };
	walk_ok(f, NULL, &c);
	waitpid(pid, NULL, 0);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], f, CSV, strlen(CSV));
	assert_int_equal(c.m[0].size, -1);
	collect_free(&c);
	free(f);
	tmpdir_remove(d);
	free(d);
}

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

static const char U16TEXT[] = "RecordType,UserIds,Operations,AuditData\r\n"
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
		{ "\xff\xfe\x00\xd8" "A\x00", 6, "\xef\xbf\xbd" "A" },
		/* lone low surrogate */
		{ "\xff\xfe" "B\x00\x00\xdc" "C\x00", 8, "B\xef\xbf\xbd" "C" },
		/* high surrogate at the very end */
		{ "\xff\xfe" "D\x00\x3d\xd8", 6, "D\xef\xbf\xbd" },
		/* odd byte count */
		{ "\xff\xfe" "E\x00" "F", 5, "E\xef\xbf\xbd" },
		/* big-endian, two highs in a row then a good pair */
		{ "\xfe\xff\xd8\x3d\xd8\x3d\xde\x00", 8, "\xef\xbf\xbd\xf0\x9f\x98\x80" },
		/* BOM only */
		{ "\xff\xfe", 2, "" },
		/* U+0000 passes as a byte */
		{ "\xff\xfe\x00\x00" "G\x00", 6, "\x00G" },
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
	struct input_limits lim = { 0, 100 };

	struct collect c = { 0 };
	walk_ok(g, &lim, &c);
	assert_int_equal(c.n, 1);
	char want[4200];
	snprintf(want, sizeof want,
		 "%s: decompressed size exceeds 100x the compressed size (zip bomb?); stopped after ", g);
	assert_non_null(c.m[0].err);
	assert_int_equal(strncmp(c.m[0].err, want, strlen(want)), 0);
	assert_non_null(strstr(c.m[0].err, " MiB"));
	assert_int_equal(c.m[0].finish_rc, -1);
	assert_true(c.m[0].len < 8u << 20);
	collect_free(&c);

	/* inside a zip: the other members are still read */
	walk_ok(z, &lim, &c);
	assert_int_equal(c.n, 3);
	snprintf(want, sizeof want,
		 "%s!big.csv: decompressed size exceeds 100x the compressed size (zip bomb?); stopped after ", z);
	assert_non_null(c.m[1].err);
	assert_int_equal(strncmp(c.m[1].err, want, strlen(want)), 0);
	snprintf(want, sizeof want, "%s!small.csv", z);
	assert_member(&c.m[0], want, CSV, strlen(CSV));
	snprintf(want, sizeof want, "%s!after.csv", z);
	assert_member(&c.m[2], want, CSV, strlen(CSV));
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
	snprintf(want, sizeof want,
		 "%s: decompressed size exceeds 1000x the compressed size (zip bomb?); stopped after ", bz);
	assert_non_null(c.m[0].err);
	assert_int_equal(strncmp(c.m[0].err, want, strlen(want)), 0);
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
	snprintf(want, sizeof want, "%s!bomb.bz2: decompressed size exceeds 1000x", nz);
	assert_non_null(c.m[1].err);
	assert_int_equal(strncmp(c.m[1].err, want, strlen(want)), 0);
	collect_free(&c);
	walk_ok(nz, &lim, &c);
	assert_int_equal(c.n, 2);
	snprintf(want, sizeof want, "%s!bomb.gz: decompressed size exceeds 100x", nz);
	assert_non_null(c.m[0].err);
	assert_int_equal(strncmp(c.m[0].err, want, strlen(want)), 0);
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
	struct input_limits lim = { 1u << 20, 0 };
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
		{ "../../etc/x", CSV, strlen(CSV) },
		{ "/abs/y.csv", CSV, strlen(CSV) },
		{ "ctl\x1b[31m.csv", CSV, strlen(CSV) },
		{ "..\\win\\z.csv", CSV, strlen(CSV) },
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
		 "%s: member name '../../etc/x' points outside the archive; read in place, nothing extracted", z);
	assert_string_equal(c.warn[0], want);
	snprintf(want, sizeof want,
		 "%s: member name '/abs/y.csv' is an absolute path; read in place, nothing extracted", z);
	assert_string_equal(c.warn[1], want);
	snprintf(want, sizeof want,
		 "%s: member name 'ctl\\x1b[31m.csv' holds control characters; read in place, nothing extracted", z);
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

static void test_big_line(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	size_t n = 50u << 20;
	char *text = malloc(n);
	for (size_t i = 0; i < n; i++)
		text[i] = (char)('A' + i % 23);
	text[n - 1] = '\n';
	char *p = write_file(d, "line.json", text, n);
	struct collect c = { 0 };
	c.chunk = 1 << 20;
	walk_ok(p, NULL, &c);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], p, text, n);
	collect_free(&c);
	free(p);
	free(text);
	tmpdir_remove(d);
	free(d);
}

static void test_stop(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	free(write_file(d, "a.csv", CSV, strlen(CSV)));
	free(write_file(d, "b.csv", CSV, strlen(CSV)));
	struct collect c = { 0 };
	c.stop_at = 1;
	char *cause = NULL;
	assert_int_equal(walk(d, NULL, &c, &cause), -1);
	assert_int_equal(c.n, 1);
	char want[4200];
	snprintf(want, sizeof want, "%s/a.csv: reading stopped", d);
	assert_string_equal(cause, want);
	free(cause);
	collect_free(&c);
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
		cmocka_unit_test(test_plain_file),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_plain_lookalikes),
		cmocka_unit_test(test_dir_walk),
		cmocka_unit_test(test_missing_path),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_zip),
		cmocka_unit_test(test_tar_gz),
		cmocka_unit_test(test_gz),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_nested_no_false_bomb),
		cmocka_unit_test(test_nested_depth),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_fifo_path),
		cmocka_unit_test(test_utf8_bom),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_utf16_long),
		cmocka_unit_test(test_utf16_invalid),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_max_member),
		cmocka_unit_test(test_member_names),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_encrypted),
		cmocka_unit_test(test_big_line),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_corrupt_archive_top),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
