/*
 * input_util.h: what the tests of the input layer share (test_input.c,
 * test_input_archive.c, test_input_text.c): a walk that collects every
 * member with its bytes, hash and warnings, and archives and files built
 * for a test.
 */
#ifndef AUDITSCOPE_TEST_INPUT_UTIL_H
#define AUDITSCOPE_TEST_INPUT_UTIL_H

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
	char enc[32];
	char hex[65];
	char *err;
	int finish_rc;
	int64_t size;
	uint64_t bytes_in;
	uint64_t raw;
};

struct collect {
	size_t chunk; /* bytes asked of each input_read(); 0: 64 KiB */
	int no_read;  /* go straight to input_finish() */
	int stop_at;  /* return -1 from the callback at this member (1-based) */
	size_t cut;   /* stop reading after this many bytes, no input_finish() (an interrupted load) */
	struct got m[MAXGOT];
	size_t n;
	char *warn[MAXGOT];
	size_t nwarn;
};

static inline int collect_fn(struct input *in, void *ctx)
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
		if (c->cut && g->len >= c->cut)
			return c->stop_at && (int)c->n == c->stop_at ? -1 : 0;
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

static inline void collect_warn(const char *msg, void *ctx)
{
	struct collect *c = ctx;
	assert_null(strchr(msg, '\n'));
	if (c->nwarn < MAXGOT)
		c->warn[c->nwarn++] = strdup(msg);
}

static inline void collect_free(struct collect *c)
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

static inline int walk(const char *path, const struct input_limits *lim, struct collect *c, char **cause)
{
	return input_walk(path, lim, collect_fn, collect_warn, c, cause);
}

/* Walk and expect success. */
static inline void walk_ok(const char *path, const struct input_limits *lim, struct collect *c)
{
	char *cause = NULL;
	int rc = walk(path, lim, c, &cause);
	if (rc != 0)
		print_error("input_walk(%s): %s\n", path, cause ? cause : "?");
	assert_int_equal(rc, 0);
	assert_null(cause);
}

static inline int has_warning(const struct collect *c, const char *needle)
{
	for (size_t i = 0; i < c->nwarn; i++)
		if (strstr(c->warn[i], needle))
			return 1;
	return 0;
}

static inline void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static inline void assert_member(const struct got *g, const char *name, const void *data, size_t len)
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

static inline char *slurp(const char *path, size_t *len)
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

static inline char *join(const char *dir, const char *name)
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
static inline char *make_archive(const char *dir, const char *file, const char *format, const char *filter,
				 const char *options, const char *pass, const struct entry *e, size_t n)
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
static inline char *make_gz(const char *dir, const char *file, const void *data, size_t len)
{
	struct entry e = { "data", data, len };
	return make_archive(dir, file, "raw", "gzip", NULL, NULL, &e, 1);
}

static inline int64_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

__attribute__((unused)) static const char CSV[] =
	"RecordId,CreationDate,Operation\n1,2024-01-01T00:00:00,New-InboxRule\n";
__attribute__((unused)) static const char JSON[] = "[{\"Id\":\"1\",\"Operation\":\"MailItemsAccessed\"}]\n";

#endif
