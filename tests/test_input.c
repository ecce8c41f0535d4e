/*
 * test_input.c: the input layer against plain files, folders, stdin and
 * named pipes: members, hashes, sizes, warnings and errors. Archives are
 * in test_input_archive.c, text encodings in test_input_text.c.
 */
#include "input_util.h"

#include <stdbool.h>

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
	assert_string_equal(c.m[0].hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
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

	static const char *order[] = { ".hidden",          "A.csv",    "a.csv", "b.csv", "sub/c.csv",
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

/* A child that opens the FIFO f for writing after wait_s seconds, writes
 * text (if any) and closes it. */
static pid_t fifo_writer(const char *f, unsigned wait_s, const char *text)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (wait_s)
			sleep(wait_s);
		int fd = open(f, O_WRONLY);
		if (fd < 0 || (text && write(fd, text, strlen(text)) != (ssize_t)strlen(text)))
			_exit(1);
		close(fd);
		_exit(0);
	}
	return pid;
}

static void test_fifo_path(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *f = join(d, "pipe");
	assert_int_equal(mkfifo(f, 0600), 0);
	pid_t pid = fifo_writer(f, 0, CSV);
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

/* c's one member stopped at a limit of 10 MiB, what it gave the
 * start of text. */
static void expect_stopped_at_limit(const struct collect *c, const char *p, const char *text)
{
	char want[4200];
	snprintf(want, sizeof want, "%s: decompressed size exceeds the limit of 10.0 MiB; stopped", p);
	assert_non_null(c->m[0].err);
	assert_string_equal(c->m[0].err, want);
	assert_true(c->m[0].len <= 10u << 20);
	assert_memory_equal(c->m[0].data, text, c->m[0].len);
	assert_int_equal(c->m[0].finish_rc, -1);
}

/* n bytes of the first period letters of the alphabet, over and over:
 * a big file whose every place can be checked. */
static char *letters(size_t n, unsigned period)
{
	char *t = malloc(n);
	assert_non_null(t);
	for (size_t i = 0; i < n; i++)
		t[i] = (char)('a' + i % period);
	return t;
}

/* A large file is read and hashed ahead on a thread: the same bytes and
 * hash (test_big_line), the member's limit at the same place, and a
 * member left half read (an interrupted load) ends its thread. */
static void test_read_ahead(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	size_t n = 20u << 20;
	char *text = letters(n, 21);
	char *p = write_file(d, "big.csv", text, n);

	struct input_limits lim = { .max_member_bytes = 10u << 20 };
	struct collect c = { 0 };
	walk_ok(p, &lim, &c);
	assert_int_equal(c.n, 1);
	expect_stopped_at_limit(&c, p, text);
	collect_free(&c);

	/* read 1 MiB of it, then the walk is stopped */
	c.cut = 1u << 20;
	c.stop_at = 1;
	char *cause = NULL;
	assert_int_equal(walk(p, NULL, &c, &cause), -1);
	assert_int_equal(c.n, 1);
	assert_memory_equal(c.m[0].data, text, c.m[0].len);
	free(cause);
	collect_free(&c);

	/* read whole in small pieces, twice in a row: each member its own hash */
	for (int k = 0; k < 2; k++) {
		c.chunk = 1000;
		walk_ok(p, NULL, &c);
		assert_int_equal(c.n, 1);
		assert_member(&c.m[0], p, text, n);
		assert_int_equal(c.m[0].bytes_in, n);
		collect_free(&c);
	}
	free(p);
	free(text);
	tmpdir_remove(d);
	free(d);
}

/* The next member's record in a collect, with room for cap of its bytes. */
static struct got *got_room(struct collect *c, struct input *in, size_t cap)
{
	struct got *g = &c->m[c->n++];
	g->name = strdup(input_name(in));
	g->data = malloc(cap);
	assert_non_null(g->data);
	return g;
}

/* A large file's bytes lent in place (input_lend, the stream's way of
 * reading them) where the member allows it, read otherwise (its sniffed
 * prefix): the same bytes, counts and hash as read; past the limit the
 * same error. */
static int lend_fn(struct input *in, void *ctx)
{
	size_t cap = 32u << 20;
	struct got *g = got_room(ctx, in, cap);
	int held = 0, lent = 0, reads = 0;
	for (;;) {
		const char *p;
		size_t room = 0;
		ssize_t r = input_lend(in, &p, &room);
		if (r > 0) {
			assert_true(room >= 64u << 10);
			assert_int_equal(p[r], '\0');
			memset((char *)p - room, 'r', room); /* the room is the caller's */
			held++;
			lent++;
			if (held == 2) { /* the stream holds two for a moment */
				input_unlend(in);
				held--;
			}
		} else if (r == 0) {
			r = input_read(in, g->data + g->len, 1000);
			reads++;
			if (r == 0)
				break;
			if (r < 0) {
				g->err = strdup(input_error(in));
				break;
			}
			assert_int_equal(held, 0);
			g->len += (size_t)r;
			continue;
		} else {
			g->err = strdup(input_error(in));
			break;
		}
		assert_true(g->len + (size_t)r <= cap);
		memcpy(g->data + g->len, p, (size_t)r);
		g->len += (size_t)r;
	}
	while (held-- > 0)
		input_unlend(in);
	assert_true(lent > 10);
	assert_true(reads > 0);
	g->finish_rc = input_finish(in, g->hex);
	if (g->finish_rc < 0 && !g->err)
		g->err = strdup(input_error(in));
	g->raw = input_bytes_raw(in);
	g->bytes_in = input_bytes_in(in);
	return 0;
}

static void test_lend(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	size_t n = 20u << 20;
	char *text = letters(n, 23);
	char *p = write_file(d, "big.csv", text, n);
	struct collect c = { 0 };
	char *cause = NULL;
	assert_int_equal(input_walk(p, NULL, lend_fn, collect_warn, &c, &cause), 0);
	assert_int_equal(c.n, 1);
	assert_member(&c.m[0], p, text, n);
	assert_int_equal(c.m[0].bytes_in, n);
	collect_free(&c);

	struct input_limits lim = { .max_member_bytes = 10u << 20 };
	assert_int_equal(input_walk(p, &lim, lend_fn, collect_warn, &c, &cause), 0);
	expect_stopped_at_limit(&c, p, text);
	collect_free(&c);
	free(p);
	free(text);
	tmpdir_remove(d);
	free(d);
}

/* Is the file at path mapped into this process now? */
static bool file_mapped(const char *path)
{
	char *real = realpath(path, NULL);
	assert_non_null(real);
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	char line[8192];
	bool yes = false;
	while (fgets(line, sizeof line, f)) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		size_t a = strlen(line), b = strlen(real);
		yes |= a >= b && strcmp(line + a - b, real) == 0;
	}
	fclose(f);
	free(real);
	return yes;
}

/* Lines of 100 bytes, the last one cut short: no final newline. */
static char *lines(size_t n)
{
	char *t = letters(n, 19);
	for (size_t i = 99; i < n - 1; i += 100)
		t[i] = '\n';
	return t;
}

static const char *map_file;
static bool map_seen, map_lend;

/* One byte read (the reader thread started, the file mapped or not),
 * then the rest read or lent. */
static int map_fn(struct input *in, void *ctx)
{
	struct collect *c = ctx;
	char first;
	assert_int_equal(input_read(in, &first, 1), 1);
	map_seen = file_mapped(map_file);
	int rc = map_lend ? lend_fn(in, ctx) : collect_fn(in, ctx);
	struct got *g = &c->m[c->n - 1];
	g->data = realloc(g->data, g->len + 1);
	assert_non_null(g->data);
	memmove(g->data + 1, g->data, g->len);
	g->data[0] = first;
	g->len++;
	return rc;
}

/* A big regular file is mapped and read in place (input_ahead.c), or
 * with AUDITSCOPE_INPUT_MAP=0 read into slots: the same bytes, hash and
 * counts either way, read or lent, at sizes around a page's end (the
 * NUL of a lending of the last window in place falls in the file's last
 * page) and a window's, the last line without its newline. */
static void test_map(void **state)
{
	(void)state;
	static const size_t sizes[] = { 8u << 20,
					(8u << 20) + 1,
					(8u << 20) + 4095,
					(8u << 20) + 4097,
					(8u << 20) + (512u << 10) + 1,
					(12u << 20) + 123 };
	char *d = tmpdir_new();
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t n = sizes[k];
		char *text = lines(n);
		assert_int_not_equal(text[n - 1], '\n');
		char *p = write_file(d, "big.csv", text, n);
		map_file = p;
		for (int mode = 0; mode < 4; mode++) {
			bool map = mode < 2;
			map_lend = mode % 2;
			if (!map)
				setenv("AUDITSCOPE_INPUT_MAP", "0", 1);
			struct collect c = { 0 };
			char *cause = NULL;
			assert_int_equal(input_walk(p, NULL, map_fn, collect_warn, &c, &cause), 0);
			unsetenv("AUDITSCOPE_INPUT_MAP");
			assert_int_equal(c.n, 1);
			assert_true(map_seen == map);
			assert_member(&c.m[0], p, text, n);
			assert_int_equal(c.m[0].bytes_in, n);
			assert_false(file_mapped(p)); /* unmapped at the member's end */
			collect_free(&c);
		}
		free(p);
		free(text);
	}
	tmpdir_remove(d);
	free(d);
}

/* Read or lend a member, touching every byte, and cut the file to 2 MiB
 * once 4 MiB of it are read. */
static int shrink_fn(struct input *in, void *ctx)
{
	size_t cap = 32u << 20;
	struct got *g = got_room(ctx, in, cap);
	bool cut = false;
	for (;;) {
		const char *p;
		size_t room;
		ssize_t r = map_lend ? input_lend(in, &p, &room) : 0;
		if (r > 0) {
			assert_true(g->len + (size_t)r <= cap);
			memcpy(g->data + g->len, p, (size_t)r);
			input_unlend(in);
		} else if (r == 0) {
			r = input_read(in, g->data + g->len, 65536);
			if (r == 0)
				break;
		}
		if (r < 0) {
			g->err = strdup(input_error(in));
			break;
		}
		g->len += (size_t)r;
		if (!cut && g->len >= 4u << 20) {
			assert_true(file_mapped(map_file));
			assert_int_equal(truncate(map_file, 2u << 20), 0);
			cut = true;
		}
	}
	g->finish_rc = input_finish(in, g->hex);
	return 0;
}

/* Write text as d/name and walk it with fn, lending (map_lend) or not;
 * the file's path, the caller's to free. */
static char *walk_written(const char *d, const char *name, const char *text, size_t n, bool lend,
			  input_member_fn fn, struct collect *c)
{
	char *p = write_file(d, name, text, n);
	map_file = p;
	map_lend = lend;
	char *cause = NULL;
	assert_int_equal(input_walk(p, NULL, fn, collect_warn, c, &cause), 0);
	return p;
}

/* A mapped file cut short while it is read: the pages lost raise SIGBUS
 * in the thread that touches them (this one, or the reader's hash), and
 * the member fails with a one-line error naming it, the bytes before the
 * cut as they were; the next walk maps and reads as before. */
static void test_map_shrink(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	size_t n = 20u << 20;
	char *text = lines(n);
	for (int lend = 0; lend < 2; lend++) {
		struct collect c = { 0 };
		char *p = walk_written(d, "shrinks.csv", text, n, lend, shrink_fn, &c);
		assert_int_equal(c.n, 1);
		char want[4200];
		snprintf(want, sizeof want,
			 "%s: the file shrank (or could not be read) while it was being read", p);
		assert_non_null(c.m[0].err);
		assert_string_equal(c.m[0].err, want);
		assert_int_equal(c.m[0].finish_rc, -1);
		assert_true(c.m[0].len >= 4u << 20);
		assert_memory_equal(c.m[0].data, text, 4u << 20);
		assert_false(file_mapped(p));
		collect_free(&c);
		free(p);
	}
	/* the mapping's entry free again, the handler still in place */
	struct collect c = { 0 };
	char *p = walk_written(d, "whole.csv", text, n, true, map_fn, &c);
	assert_true(map_seen);
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

/* The walk of f, how long it took, and the FIFO's child ended after it. */
static int walk_timed(const char *f, const struct input_limits *lim, struct collect *c, char **cause,
		      pid_t child, time_t *took)
{
	time_t t0 = time(NULL);
	int rc = walk(f, lim, c, cause);
	*took = time(NULL) - t0;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return rc;
}

/* A stop signal while a FIFO is silent: the read waiting on it gives up
 * at once (input_limits.stop), in the sniff (a few bytes came) and read
 * ahead on its thread (more came); before, it waited for the next bytes
 * (here 30 s) or the writer's end. */
static volatile sig_atomic_t silent_stop;

static void on_silent_stop(int sig)
{
	(void)sig;
	silent_stop = 1;
}

static void silent_fifo(size_t n, int sig)
{
	char *d = tmpdir_new();
	char *f = join(d, "pipe");
	assert_int_equal(mkfifo(f, 0600), 0);
	char *text = malloc(n);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		text[i] = i % 64 == 63 ? '\n' : 'a';
	struct sigaction sa = { .sa_handler = on_silent_stop }, old;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(sig, &sa, &old), 0);
	silent_stop = 0;
	pid_t parent = getpid(), pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* n bytes, then silence with the FIFO held open */
		int fd = open(f, O_WRONLY);
		if (fd < 0 || write(fd, text, n) != (ssize_t)n)
			_exit(1);
		nanosleep(&(struct timespec){ 0, 300000000 }, NULL);
		kill(parent, sig);
		sleep(30);
		_exit(0);
	}
	struct input_limits lim = { .stop = &silent_stop };
	struct collect c = { 0 };
	char *cause = NULL;
	time_t took;
	int rc = walk_timed(f, &lim, &c, &cause, pid, &took);
	sigaction(sig, &old, NULL);
	assert_true(silent_stop);
	assert_true(took < 10);
	char want[4200];
	snprintf(want, sizeof want, "%s: interrupted", f);
	if (n < 512) {
		/* the sniff waited: the walk stops, no member */
		assert_int_equal(rc, -1);
		assert_string_equal(cause, want);
		assert_int_equal(c.n, 0);
	} else {
		/* the member's read: the bytes that came, then the stop */
		assert_int_equal(rc, 0);
		assert_int_equal(c.n, 1);
		assert_non_null(c.m[0].err);
		assert_string_equal(c.m[0].err, want);
		assert_int_equal(c.m[0].len, n);
		assert_memory_equal(c.m[0].data, text, n);
	}
	assert_int_equal(c.nwarn, 0);
	free(cause);
	collect_free(&c);
	free(text);
	free(f);
	tmpdir_remove(d);
	free(d);
}

static void test_stop_silent_fifo(void **state)
{
	(void)state;
	silent_fifo(100, SIGINT);
	silent_fifo(100000, SIGTERM);
}

/* A stop that came before the FIFO's open began (after the load set its
 * handler, before the walk reached the open): the open gives up at once.
 * A blocking open(2) waited for a writer that might never come; here one
 * comes after 5 s, so the old way took 5 s and read an empty member. */
static void test_stop_before_fifo_open(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *f = join(d, "pipe");
	assert_int_equal(mkfifo(f, 0600), 0);
	pid_t pid = fifo_writer(f, 5, NULL);
	volatile sig_atomic_t stop = 1;
	struct input_limits lim = { .stop = &stop };
	struct collect c = { 0 };
	char *cause = NULL;
	time_t took;
	int rc = walk_timed(f, &lim, &c, &cause, pid, &took);
	assert_true(took < 3);
	assert_int_equal(rc, -1);
	char want[4200];
	snprintf(want, sizeof want, "%s: interrupted", f);
	assert_string_equal(cause, want);
	assert_int_equal(c.n, 0);
	free(cause);
	collect_free(&c);
	free(f);
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
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_fifo_path),
		cmocka_unit_test(test_big_line),
		cmocka_unit_test(test_read_ahead),
		cmocka_unit_test(test_lend),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_map_shrink),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_stop_silent_fifo),
		cmocka_unit_test(test_stop_before_fifo_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
