/*
 * test_csv.c: the RFC 4180 record reader over memory streams and over
 * streams that deliver their bytes in awkward chunks: fields, quoting,
 * multi-line cells and their line numbers, broken quoting and how reading
 * resumes, records larger than the stream's refills.
 */
#include "testutil.h"

#include <errno.h>

#include "csv.h"
#include "stream.h"

/* ------------------------------------------------------------------ */
/* A record as the reader returned it, copied out. */

struct rec {
	int kind;      /* CSV_ROW or CSV_BAD */
	uint64_t line; /* rec_line */
	size_t nf;
	char **f;
	size_t *fl;
	char *raw;
	size_t rawlen;
	char *why;
};

struct recs {
	struct rec *r;
	size_t n, cap;
	int last; /* what ended the reading: CSV_EOF or CSV_IOERR */
};

static void recs_free(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct rec *r = &rs->r[i];
		for (size_t j = 0; j < r->nf; j++)
			free(r->f[j]);
		free(r->f);
		free(r->fl);
		free(r->raw);
		free(r->why);
	}
	free(rs->r);
	memset(rs, 0, sizeof *rs);
}

static void copy_rec(struct recs *rs, const struct csv *c, int kind)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
		assert_non_null(rs->r);
	}
	struct rec *r = &rs->r[rs->n++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->line = c->rec_line;
	r->raw = malloc(c->rawlen + 1);
	memcpy(r->raw, c->raw, c->rawlen);
	r->raw[c->rawlen] = '\0';
	r->rawlen = c->rawlen;
	if (kind == CSV_BAD) {
		assert_non_null(c->why);
		r->why = strdup(c->why);
		return;
	}
	r->nf = c->nf;
	r->f = calloc(c->nf ? c->nf : 1, sizeof *r->f);
	r->fl = calloc(c->nf ? c->nf : 1, sizeof *r->fl);
	for (size_t i = 0; i < c->nf; i++) {
		/* fields are NUL-terminated in the scratch */
		assert_int_equal(c->f[i].p[c->f[i].n], '\0');
		r->f[i] = malloc(c->f[i].n + 1);
		memcpy(r->f[i], c->f[i].p, c->f[i].n + 1);
		r->fl[i] = c->f[i].n;
	}
}

/* A room (csv_set_room) as a test hands it out: a buffer of exactly the
 * bytes asked for, a guard after them, and none every third call. */
#define ROOM_GUARD 16
struct troom {
	int col;
	char *buf; /* the last room given (NULL: none) */
	size_t n, calls;
};

static char *troom_get(void *ctx, size_t n)
{
	struct troom *t = ctx;
	free(t->buf);
	t->buf = NULL;
	if (++t->calls % 3 == 0)
		return NULL;
	t->buf = malloc(n + ROOM_GUARD);
	assert_non_null(t->buf);
	memset(t->buf + n, 'G', ROOM_GUARD);
	t->n = n;
	return t->buf;
}

static struct troom *read_room; /* the room read_all_stream gives, if any */

static void read_all_stream(struct stream *s, char delim, struct recs *rs)
{
	struct csv c;
	memset(rs, 0, sizeof *rs);
	csv_init(&c, s, delim);
	if (read_room)
		csv_set_room(&c, read_room->col, troom_get, read_room);
	for (;;) {
		if (read_room) { /* the room of the record before */
			free(read_room->buf);
			read_room->buf = NULL;
		}
		int k = csv_next(&c);
		if (k == CSV_EOF || k == CSV_IOERR) {
			rs->last = k;
			break;
		}
		assert_true(k == CSV_ROW || k == CSV_BAD);
		if (read_room && read_room->buf) {
			/* nothing written past the room; the field is in it */
			for (size_t i = 0; i < ROOM_GUARD; i++)
				assert_int_equal(read_room->buf[read_room->n + i], 'G');
			if (k == CSV_ROW && (size_t)read_room->col < c.nf)
				assert_ptr_equal(c.f[read_room->col].p, read_room->buf);
		}
		copy_rec(rs, &c, k);
		assert_true(rs->n < 10000000);
	}
	if (read_room) {
		free(read_room->buf);
		read_room->buf = NULL;
	}
	/* at the end it stays at the end */
	if (rs->last == CSV_EOF)
		assert_int_equal(csv_next(&c), CSV_EOF);
	csv_free(&c);
}

static void read_all(const char *data, size_t n, char delim, struct recs *rs)
{
	struct stream s;
	stream_init_mem(&s, data, n);
	read_all_stream(&s, delim, rs);
	stream_free(&s);
}

static void read_str(const char *data, char delim, struct recs *rs)
{
	read_all(data, strlen(data), delim, rs);
}

/* Row i has exactly the given fields (NULL-terminated list). */
static void expect_row(const struct recs *rs, size_t i, uint64_t line, ...)
{
	if (i >= rs->n)
		fail_msg("record %zu missing (%zu read)", i, rs->n);
	const struct rec *r = &rs->r[i];
	if (r->kind != CSV_ROW)
		fail_msg("record %zu is bad (%s): %s", i, r->why, r->raw);
	assert_int_equal(r->line, line);
	va_list ap;
	va_start(ap, line);
	size_t k = 0;
	const char *want;
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (k >= r->nf)
			fail_msg("record %zu: %zu fields, expected more", i, r->nf);
		if (r->fl[k] != strlen(want) || memcmp(r->f[k], want, r->fl[k]) != 0)
			fail_msg("record %zu field %zu: \"%s\", expected \"%s\"", i, k, r->f[k], want);
		k++;
	}
	va_end(ap);
	if (k != r->nf)
		fail_msg("record %zu: %zu fields, expected %zu", i, r->nf, k);
}

static void expect_bad(const struct recs *rs, size_t i, uint64_t line, const char *raw, const char *why)
{
	if (i >= rs->n)
		fail_msg("record %zu missing (%zu read)", i, rs->n);
	const struct rec *r = &rs->r[i];
	if (r->kind != CSV_BAD)
		fail_msg("record %zu (line %llu, %zu fields) is not bad", i, (unsigned long long)r->line,
			 r->nf);
	assert_int_equal(r->line, line);
	assert_string_equal(r->raw, raw);
	assert_int_equal(r->rawlen, strlen(raw));
	if (why)
		assert_string_equal(r->why, why);
}

/* ------------------------------------------------------------------ */
/* A read function that hands out at most chunk bytes a call. */

struct chunky {
	const char *p;
	size_t n, off, chunk;
	size_t calls;
	size_t fail_after; /* 0: never; else an error once this many bytes went out */
};

static ssize_t chunky_read(void *ctx, char *buf, size_t n)
{
	struct chunky *c = ctx;
	c->calls++;
	if (c->fail_after && c->off >= c->fail_after) {
		errno = EIO;
		return -1;
	}
	size_t k = c->n - c->off;
	if (k > c->chunk)
		k = c->chunk;
	if (k > n)
		k = n;
	if (c->fail_after && c->off + k > c->fail_after)
		k = c->fail_after - c->off;
	memcpy(buf, c->p + c->off, k);
	c->off += k;
	return (ssize_t)k;
}

static void read_chunked(const char *data, size_t n, size_t chunk, char delim, struct recs *rs)
{
	struct chunky ck = { data, n, 0, chunk, 0, 0 };
	struct stream s;
	stream_init(&s, chunky_read, &ck, (size_t)256 << 20);
	read_all_stream(&s, delim, rs);
	stream_free(&s);
}

static void expect_same(const struct recs *a, const struct recs *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->last, b->last);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->r[i].kind, b->r[i].kind);
		assert_int_equal(a->r[i].line, b->r[i].line);
		assert_int_equal(a->r[i].rawlen, b->r[i].rawlen);
		assert_memory_equal(a->r[i].raw, b->r[i].raw, a->r[i].rawlen);
		assert_int_equal(a->r[i].nf, b->r[i].nf);
		for (size_t j = 0; j < a->r[i].nf; j++) {
			assert_int_equal(a->r[i].fl[j], b->r[i].fl[j]);
			assert_memory_equal(a->r[i].f[j], b->r[i].f[j], a->r[i].fl[j]);
		}
	}
}

/* ------------------------------------------------------------------ */

static void test_simple_rows(void **state)
{
	(void)state;
	struct recs rs;
	read_str("RecordId,Operation,UserId\nid-1,New-InboxRule,bob@x.com\nid-2,Set-Mailbox,eve@x.com\n", ',',
		 &rs);
	assert_int_equal(rs.last, CSV_EOF);
	assert_int_equal(rs.n, 3);
	expect_row(&rs, 0, 1, "RecordId", "Operation", "UserId", NULL);
	expect_row(&rs, 1, 2, "id-1", "New-InboxRule", "bob@x.com", NULL);
	expect_row(&rs, 2, 3, "id-2", "Set-Mailbox", "eve@x.com", NULL);
	assert_string_equal(rs.r[1].raw, "id-1,New-InboxRule,bob@x.com");
	recs_free(&rs);

	/* no newline after the last record */
	read_str("a,b\n1,2", ',', &rs);
	assert_int_equal(rs.n, 2);
	expect_row(&rs, 1, 2, "1", "2", NULL);
	assert_string_equal(rs.r[1].raw, "1,2");
	recs_free(&rs);

	/* one field, one line */
	read_str("x", ',', &rs);
	assert_int_equal(rs.n, 1);
	expect_row(&rs, 0, 1, "x", NULL);
	recs_free(&rs);

	/* nothing at all */
	read_str("", ',', &rs);
	assert_int_equal(rs.n, 0);
	assert_int_equal(rs.last, CSV_EOF);
	recs_free(&rs);

	/* spaces are data */
	read_str(" a , b ", ',', &rs);
	expect_row(&rs, 0, 1, " a ", " b ", NULL);
	recs_free(&rs);
}

static void test_quoted_fields(void **state)
{
	(void)state;
	struct recs rs;
	read_str("\"a \"\"q\"\" b\",\"x,y\",z,\"\",\"\"\"\"\n"
		 "\"{\"\"CreationTime\"\":\"\"2023-09-26T01:56:15\"\",\"\"Id\"\":\"\"7f\"\"}\",2\n",
		 ',', &rs);
	assert_int_equal(rs.n, 2);
	expect_row(&rs, 0, 1, "a \"q\" b", "x,y", "z", "", "\"", NULL);
	expect_row(&rs, 1, 2, "{\"CreationTime\":\"2023-09-26T01:56:15\",\"Id\":\"7f\"}", "2", NULL);
	/* raw keeps the doubled quotes: the input as it was */
	assert_string_equal(rs.r[0].raw, "\"a \"\"q\"\" b\",\"x,y\",z,\"\",\"\"\"\"");
	recs_free(&rs);

	/* a quote inside an unquoted field is data (lenient) */
	read_str("ab\"c\"d,e\n", ',', &rs);
	assert_int_equal(rs.n, 1);
	expect_row(&rs, 0, 1, "ab\"c\"d", "e", NULL);
	recs_free(&rs);

	/* text after a closing quote is an error; the row is kept verbatim */
	read_str("\"a\"b,c\nnext,row\n", ',', &rs);
	assert_int_equal(rs.n, 2);
	expect_bad(&rs, 0, 1, "\"a\"b,c", "unexpected character after a closing quote");
	expect_row(&rs, 1, 2, "next", "row", NULL);
	recs_free(&rs);
}

/* Pass 1 counts quotes sixteen bytes at a time over long runs: a cell of
 * thousands of doubled quotes, across a line break, at each alignment,
 * is one field and the next record follows it. */
static void test_quote_runs(void **state)
{
	(void)state;
	size_t pairs = 5000;
	char *doc = malloc(2 * 2 * pairs + 64);
	char *want = malloc(2 * pairs + 2);
	for (size_t shift = 0; shift < 16; shift++) {
		size_t o = 0, w = 0;
		for (size_t i = 0; i < shift; i++)
			doc[o++] = 'a';
		doc[o++] = ',';
		doc[o++] = '"';
		for (size_t i = 0; i < 2 * pairs; i++) {
			if (i == pairs) {
				doc[o++] = '\n';
				want[w++] = '\n';
			}
			doc[o++] = '"';
			doc[o++] = '"';
			want[w++] = '"';
		}
		memcpy(doc + o, "\"\nb,c\n", 6);
		o += 6;
		struct recs rs;
		read_all(doc, o, ',', &rs);
		assert_int_equal(rs.n, 2);
		assert_int_equal(rs.r[0].kind, CSV_ROW);
		assert_int_equal(rs.r[0].nf, 2);
		assert_int_equal(rs.r[0].fl[1], w);
		assert_memory_equal(rs.r[0].f[1], want, w);
		expect_row(&rs, 1, 3, "b", "c", NULL);
		recs_free(&rs);
	}
	free(doc);
	free(want);
}

/* A doubled quote, and the closing quote, at every place relative to the
 * sixteen bytes the unquoting reads at a time (a quote last of them, its
 * twin first of the next, the field ending there), after a prefix of each
 * length. */
static void test_quote_places(void **state)
{
	(void)state;
	char doc[256], want[128];
	for (size_t pre = 0; pre < 18; pre++) {
		for (size_t at = 0; at <= 40; at++) {
			for (int doubled = 0; doubled < 2; doubled++) {
				size_t o = 0, w = 0;
				for (size_t i = 0; i < pre; i++)
					doc[o++] = 'p';
				doc[o++] = ',';
				doc[o++] = '"';
				for (size_t i = 0; i < at; i++) {
					doc[o++] = (char)('a' + i % 26);
					want[w++] = (char)('a' + i % 26);
				}
				if (doubled) {
					doc[o++] = '"';
					doc[o++] = '"';
					want[w++] = '"';
					for (size_t i = 0; i < 3; i++) {
						doc[o++] = 'z';
						want[w++] = 'z';
					}
				}
				memcpy(doc + o, "\",last\nb,c\n", 11);
				o += 11;
				struct recs rs;
				read_all(doc, o, ',', &rs);
				assert_int_equal(rs.n, 2);
				assert_int_equal(rs.r[0].kind, CSV_ROW);
				assert_int_equal(rs.r[0].nf, 3);
				if (rs.r[0].fl[1] != w || memcmp(rs.r[0].f[1], want, w) != 0)
					fail_msg("prefix %zu, quote at %zu, doubled %d: \"%.*s\"", pre, at,
						 doubled, (int)rs.r[0].fl[1], rs.r[0].f[1]);
				assert_int_equal(rs.r[0].fl[2], 4);
				assert_memory_equal(rs.r[0].f[2], "last", 4);
				expect_row(&rs, 1, 2, "b", "c", NULL);
				recs_free(&rs);
			}
		}
	}
}

/* Quoted fields with runs of quotes of every length at every offset,
 * some longer than 64 bytes, some a whole 64-byte block of quotes: each
 * field read back is the text written, by the 64-byte paths (AVX-512 and
 * AVX2, where the CPU has them) and by the portable one, and a quote left alone after a
 * closing one still fails the record both ways. */
static void test_quote_runs_wide_and_narrow(void **state)
{
	(void)state;
	enum { NREC = 400, NF = 3 };
	char **want = calloc(NREC * NF, sizeof *want);
	size_t cap = 1 << 20, n = 0;
	char *csv = malloc(cap);
	assert_non_null(want);
	assert_non_null(csv);
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (int r = 0; r < NREC; r++) {
		for (int f = 0; f < NF; f++) {
			size_t len = (size_t)(r * 7 + f * 13) % 300;
			char *t = malloc(len + 1);
			assert_non_null(t);
			for (size_t i = 0; i < len;) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				unsigned x = (unsigned)(seed >> 33);
				/* a run of quotes (up to 70 long) or of plain bytes */
				size_t run = x % 4 == 0 ? (x >> 8) % 71 : (x >> 8) % 9 + 1;
				if (r % 50 == 7)
					run = 64; /* a block of nothing but quotes */
				char ch = x % 4 == 0 || r % 50 == 7 ? '"' : (char)("ab,\n{}:x"[(x >> 4) % 8]);
				for (size_t k = 0; k < run && i < len; k++)
					t[i++] = ch;
			}
			t[len] = '\0';
			want[r * NF + f] = t;
			assert_true(n + 2 * len + 4 < cap);
			csv[n++] = '"';
			for (size_t i = 0; i < len; i++) {
				if (t[i] == '"')
					csv[n++] = '"';
				csv[n++] = t[i];
			}
			csv[n++] = '"';
			csv[n++] = f + 1 < NF ? ',' : '\n';
		}
	}
	for (int wide = 0; wide <= 2; wide++) {
		csv_set_simd(wide);
		struct recs rs;
		read_all(csv, n, ',', &rs);
		assert_int_equal(rs.last, CSV_EOF);
		assert_int_equal(rs.n, NREC);
		for (size_t i = 0; i < rs.n; i++) {
			const struct rec *rec = &rs.r[i];
			if (rec->kind != CSV_ROW)
				fail_msg("wide=%d record %zu is bad: %s", wide, i, rec->why);
			assert_int_equal(rec->nf, NF);
			for (size_t f = 0; f < NF; f++) {
				const char *t = want[i * NF + f];
				if (rec->fl[f] != strlen(t) || memcmp(rec->f[f], t, rec->fl[f]) != 0)
					fail_msg("wide=%d record %zu field %zu differs: got %zu [%s] want %zu [%s]",
						 wide, i, f, rec->fl[f], rec->f[f], strlen(t), t);
			}
		}
		recs_free(&rs);
		/* a lone quote after 100 bytes of a quoted field ends it, and
		 * the byte after it is not a delimiter */
		char bad[300];
		memset(bad, 'x', sizeof bad);
		bad[0] = '"';
		bad[101] = '"';
		bad[102] = 'y';
		bad[299] = '\n';
		read_all(bad, sizeof bad, ',', &rs);
		assert_int_equal(rs.n, 1);
		assert_int_equal(rs.r[0].kind, CSV_BAD);
		assert_string_equal(rs.r[0].why, "unexpected character after a closing quote");
		recs_free(&rs);
	}
	csv_set_simd(2);
	for (size_t i = 0; i < NREC * NF; i++)
		free(want[i]);
	free(want);
	free(csv);
}

static void test_multiline_cells(void **state)
{
	(void)state;
	struct recs rs;
	read_str("h1,h2\n"
		 "1,\"line one\nline two\nline three\"\n"
		 "2,\"{\n  \"\"Id\"\": \"\"x\"\",\n  \"\"Op\"\": \"\"y\"\"\n}\"\n"
		 "3,plain\n"
		 "\"4\nfour\",\"a\n\nb\"\n"
		 "5,end",
		 ',', &rs);
	assert_int_equal(rs.last, CSV_EOF);
	assert_int_equal(rs.n, 6);
	expect_row(&rs, 0, 1, "h1", "h2", NULL);
	expect_row(&rs, 1, 2, "1", "line one\nline two\nline three", NULL);
	expect_row(&rs, 2, 5, "2", "{\n  \"Id\": \"x\",\n  \"Op\": \"y\"\n}", NULL);
	expect_row(&rs, 3, 9, "3", "plain", NULL);
	expect_row(&rs, 4, 10, "4\nfour", "a\n\nb", NULL);
	expect_row(&rs, 5, 14, "5", "end", NULL);
	/* raw spans every line of the record */
	assert_string_equal(rs.r[1].raw, "1,\"line one\nline two\nline three\"");
	recs_free(&rs);
}

static void test_crlf(void **state)
{
	(void)state;
	struct recs rs;
	read_str("a,b\r\n1,\"x\r\ny\"\r\n2,\r\n\r\n3,z\r\n", ',', &rs);
	assert_int_equal(rs.n, 5);
	expect_row(&rs, 0, 1, "a", "b", NULL);
	expect_row(&rs, 1, 2, "1", "x\r\ny", NULL); /* the cell keeps its own CR LF */
	expect_row(&rs, 2, 4, "2", "", NULL);
	expect_row(&rs, 3, 5, "", NULL); /* a blank line: one empty field */
	expect_row(&rs, 4, 6, "3", "z", NULL);
	assert_string_equal(rs.r[0].raw, "a,b"); /* without the CR */
	assert_string_equal(rs.r[4].raw, "3,z");
	recs_free(&rs);

	/* a CR before EOF, without LF */
	read_str("a,b\r", ',', &rs);
	assert_int_equal(rs.n, 1);
	expect_row(&rs, 0, 1, "a", "b", NULL);
	recs_free(&rs);
}

static void test_semicolon(void **state)
{
	(void)state;
	struct recs rs;
	read_str("\"RecordType\";\"CreationDate\";\"AuditData\"\n"
		 "\"ExchangeAdmin\";\"26.09.2023 01:56:15\";\"{\"\"a\"\":1,\"\"b\"\":\"\"x;y\"\"}\"\n"
		 "1,5;2,5;x\n",
		 ';', &rs);
	assert_int_equal(rs.n, 3);
	expect_row(&rs, 0, 1, "RecordType", "CreationDate", "AuditData", NULL);
	expect_row(&rs, 1, 2, "ExchangeAdmin", "26.09.2023 01:56:15", "{\"a\":1,\"b\":\"x;y\"}", NULL);
	expect_row(&rs, 2, 3, "1,5", "2,5", "x", NULL);
	recs_free(&rs);

	/* tab */
	read_str("a\tb,c\t\"d\te\"\n", '\t', &rs);
	expect_row(&rs, 0, 1, "a", "b,c", "d\te", NULL);
	recs_free(&rs);
}

static void test_sniff_delim(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		char want;
	} cases[] = {
		{ "RecordId,CreationDate,RecordType,Operation,UserId,AuditData", ',' },
		{ "\"RecordType\";\"CreationDate\";\"UserIds\";\"Operations\";\"AuditData\"", ';' },
		{ "a\tb\tc", '\t' },
		{ "a,b;c", ',' }, /* a tie goes to the comma */
		{ "a;b;c,d", ';' },
		{ "\"x;y;z\",a", ',' }, /* quoted delimiters do not count */
		{ "\"x,y,z\";a", ';' },
		{ "a,b\nc;d;e;f;g", ',' }, /* only the first line */
		{ "single", ',' },
		{ "", ',' },
		{ "a;b\tc\td", '\t' },
		{ "a;b;c\td\te", ';' },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char got = csv_sniff_delim(cases[i].line, strlen(cases[i].line));
		if (got != cases[i].want)
			fail_msg("\"%s\": '%c', expected '%c'", cases[i].line, got, cases[i].want);
	}
	/* the length is honoured */
	assert_int_equal(csv_sniff_delim("a,b;c;d", 3), ',');
}

static void test_empty_fields(void **state)
{
	(void)state;
	struct recs rs;
	read_str("a,b,\n,,\n\"a\",\"\"\n,\n\"\",x\n", ',', &rs);
	assert_int_equal(rs.n, 5);
	expect_row(&rs, 0, 1, "a", "b", "", NULL);
	expect_row(&rs, 1, 2, "", "", "", NULL);
	expect_row(&rs, 2, 3, "a", "", NULL);
	expect_row(&rs, 3, 4, "", "", NULL);
	expect_row(&rs, 4, 5, "", "x", NULL);
	recs_free(&rs);

	/* at EOF without a newline too */
	read_str("a,", ',', &rs);
	assert_int_equal(rs.n, 1);
	expect_row(&rs, 0, 1, "a", "", NULL);
	recs_free(&rs);
}

static void test_blank_lines(void **state)
{
	(void)state;
	struct recs rs;
	read_str("\nh\n\n\nr1\n\n", ',', &rs);
	assert_int_equal(rs.n, 6);
	expect_row(&rs, 0, 1, "", NULL);
	expect_row(&rs, 1, 2, "h", NULL);
	expect_row(&rs, 2, 3, "", NULL);
	expect_row(&rs, 3, 4, "", NULL);
	expect_row(&rs, 4, 5, "r1", NULL);
	expect_row(&rs, 5, 6, "", NULL);
	recs_free(&rs);
}

static void test_stray_quote(void **state)
{
	(void)state;
	struct recs rs;
	/* a stray quote opens a "field" that never closes: the line is bad,
	 * kept verbatim, and the next lines are read as they are */
	read_str("h1,h2\n1,ab\"c\n2,ok\n3,\"fine\"\n4,\"multi\nline\"\n5,last\n", ',', &rs);
	assert_int_equal(rs.last, CSV_EOF);
	assert_int_equal(rs.n, 6);
	expect_row(&rs, 0, 1, "h1", "h2", NULL);
	expect_bad(&rs, 1, 2, "1,ab\"c", NULL);
	expect_row(&rs, 2, 3, "2", "ok", NULL);
	expect_row(&rs, 3, 4, "3", "fine", NULL);
	expect_row(&rs, 4, 5, "4", "multi\nline", NULL);
	expect_row(&rs, 5, 7, "5", "last", NULL);
	recs_free(&rs);

	/* a stray quote at the start of a field, CRLF: raw without the CR */
	read_str("1,\"oops,x\r\n2,y\r\n", ',', &rs);
	assert_int_equal(rs.n, 2);
	expect_bad(&rs, 0, 1, "1,\"oops,x", NULL);
	expect_row(&rs, 1, 2, "2", "y", NULL);
	recs_free(&rs);

	/* the quotes of the next lines pair the stray one up: the joined
	 * text still does not split, so only the first line is bad */
	read_str("1,\"a\"x\n2,\"b\n3,c\"\n4,d\n", ',', &rs);
	expect_bad(&rs, 0, 1, "1,\"a\"x", "unexpected character after a closing quote");
	expect_row(&rs, 1, 2, "2", "b\n3,c", NULL);
	expect_row(&rs, 2, 4, "4", "d", NULL);
	assert_int_equal(rs.n, 3);
	recs_free(&rs);
}

/* Two stray quotes some lines apart pair up. An unquoted field cannot
 * hold a line break, so the lines between them must not be glued into
 * one record: each stray line is bad and the lines between are rows. */
static void test_stray_quotes_do_not_join_lines(void **state)
{
	(void)state;
	struct recs rs;
	read_str("id,user,n\n1,bob\",1\n2,carol,2\n3,dave\",3\n4,erin,4\n", ',', &rs);
	assert_int_equal(rs.last, CSV_EOF);
	expect_row(&rs, 0, 1, "id", "user", "n", NULL);
	expect_bad(&rs, 1, 2, "1,bob\",1", "line break outside quotes (a stray quote?)");
	expect_row(&rs, 2, 3, "2", "carol", "2", NULL);
	expect_bad(&rs, 3, 4, "3,dave\",3", "quoted field does not end (truncated file?)");
	expect_row(&rs, 4, 5, "4", "erin", "4", NULL);
	assert_int_equal(rs.n, 5);
	recs_free(&rs);
}

static void test_truncated_quoted_field(void **state)
{
	(void)state;
	struct recs rs;
	/* the file ends inside a quoted multi-line field */
	read_str("h1,h2\n1,ok\n2,\"{\"\"CreationTime\"\":\n\"\"2023", ',', &rs);
	assert_int_equal(rs.last, CSV_EOF);
	expect_row(&rs, 0, 1, "h1", "h2", NULL);
	expect_row(&rs, 1, 2, "1", "ok", NULL);
	expect_bad(&rs, 2, 3, "2,\"{\"\"CreationTime\"\":", "quoted field does not end (truncated file?)");
	/* what follows the kept line is read as it is */
	expect_bad(&rs, 3, 4, "\"\"2023", NULL);
	assert_int_equal(rs.n, 4);
	recs_free(&rs);

	/* ends inside a single-line quoted field */
	read_str("a,b\n1,\"abc", ',', &rs);
	assert_int_equal(rs.n, 2);
	expect_bad(&rs, 1, 2, "1,\"abc", "quoted field does not end (truncated file?)");
	recs_free(&rs);
}

static void test_skip_line(void **state)
{
	(void)state;
	const char *data = "#TYPE Deserialized.Microsoft.Exchange\r\n\"a\",\"b\"\r\n\"1\",\"2\"\r\n";
	struct stream s;
	stream_init_mem(&s, data, strlen(data));
	struct csv c;
	csv_init(&c, &s, ',');
	assert_true(csv_skip_line(&c));
	assert_int_equal(c.line, 2);
	assert_int_equal(csv_next(&c), CSV_ROW);
	assert_int_equal(c.rec_line, 2);
	assert_int_equal(c.nf, 2);
	assert_string_equal(c.f[0].p, "a");
	assert_int_equal(csv_next(&c), CSV_ROW);
	assert_int_equal(c.rec_line, 3);
	assert_string_equal(c.f[1].p, "2");
	assert_int_equal(csv_next(&c), CSV_EOF);
	assert_false(csv_skip_line(&c));
	csv_free(&c);
	stream_free(&s);

	/* a last line without newline: skipped, and then the end */
	stream_init_mem(&s, "only", 4);
	csv_init(&c, &s, ',');
	assert_false(csv_skip_line(&c));
	assert_int_equal(csv_next(&c), CSV_EOF);
	csv_free(&c);
	stream_free(&s);

	/* a 3 MB line is skipped whole, across refills */
	size_t n = 3u << 20;
	char *big = malloc(n + 16);
	memset(big, 'x', n);
	memcpy(big + n, "\nnext,1\n", 8);
	struct chunky ck = { big, n + 8, 0, 65536 + 3, 0, 0 };
	stream_init(&s, chunky_read, &ck, (size_t)256 << 20);
	csv_init(&c, &s, ',');
	assert_true(csv_skip_line(&c));
	assert_int_equal(csv_next(&c), CSV_ROW);
	assert_int_equal(c.rec_line, 2);
	assert_string_equal(c.f[0].p, "next");
	assert_string_equal(c.f[1].p, "1");
	csv_free(&c);
	stream_free(&s);
	free(big);
}

/* A quoted field of about 3 MB with doubled quotes and line breaks,
 * between ordinary rows. */
static char *big_field(size_t target, size_t *len, char **unquoted, size_t *ulen)
{
	char *q = malloc(target * 2 + 64), *u = malloc(target * 2 + 64);
	size_t qn = 0, un = 0, i = 0;
	q[qn++] = '"';
	while (un < target) {
		char ch;
		if (i % 997 == 0)
			ch = '"';
		else if (i % 4093 == 0)
			ch = '\n';
		else if (i % 31 == 0)
			ch = ',';
		else
			ch = (char)('a' + i % 26);
		if (ch == '"')
			q[qn++] = '"';
		q[qn++] = ch;
		u[un++] = ch;
		i++;
	}
	q[qn++] = '"';
	*len = qn;
	*unquoted = u;
	*ulen = un;
	return q;
}

static char *build_doc(size_t before, size_t fieldsz, size_t *n, char **field, size_t *fieldlen,
		       uint64_t *field_line)
{
	size_t qlen;
	char *q = big_field(fieldsz, &qlen, field, fieldlen);
	size_t cap = before + qlen + 4096 + 64 * 1024;
	char *d = malloc(cap);
	size_t o = 0;
	uint64_t line = 1;
	o += (size_t)sprintf(d + o, "id,data,tail\n");
	line++;
	for (unsigned i = 0; o < before; i++) {
		o += (size_t)sprintf(d + o, "%u,\"row %u, with \"\"quotes\"\"\",t\n", i, i);
		line++;
	}
	*field_line = line;
	o += (size_t)sprintf(d + o, "big,");
	memcpy(d + o, q, qlen);
	o += qlen;
	o += (size_t)sprintf(d + o, ",after\nlast,x,y\n");
	free(q);
	*n = o;
	return d;
}

static void check_doc(const struct recs *rs, const char *field, size_t fieldlen, uint64_t field_line,
		      size_t lines_in_field)
{
	assert_int_equal(rs->last, CSV_EOF);
	size_t i;
	for (i = 0; i < rs->n; i++) {
		assert_int_equal(rs->r[i].kind, CSV_ROW);
		if (rs->r[i].nf == 3 && strcmp(rs->r[i].f[0], "big") == 0)
			break;
		assert_int_equal(rs->r[i].line, i + 1);
	}
	assert_true(i < rs->n);
	const struct rec *r = &rs->r[i];
	assert_int_equal(r->line, field_line);
	assert_int_equal(r->fl[1], fieldlen);
	assert_memory_equal(r->f[1], field, fieldlen);
	assert_string_equal(r->f[2], "after");
	assert_int_equal(i + 2, rs->n);
	expect_row(rs, i + 1, field_line + lines_in_field + 1, "last", "x", "y", NULL);
}

static size_t count_nl(const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

static void test_record_across_refills(void **state)
{
	(void)state;
	size_t n, fieldlen;
	char *field;
	uint64_t fline;
	/* 2.5 MB of rows first: the 3 MB field straddles the 4 MiB first
	 * read of the memory stream and the 1 MiB refills after it */
	char *doc = build_doc((size_t)5 << 19, (size_t)3 << 20, &n, &field, &fieldlen, &fline);
	size_t nl = count_nl(field, fieldlen);
	assert_true(nl > 500);

	struct recs whole;
	read_all(doc, n, ',', &whole);
	check_doc(&whole, field, fieldlen, fline, nl);

	/* the same bytes in chunks that cut everything somewhere */
	static const size_t chunks[] = { (1u << 20) - 1, (1u << 20) + 1, 65536 + 7, 4093 };
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		struct recs rs;
		read_chunked(doc, n, chunks[c], ',', &rs);
		check_doc(&rs, field, fieldlen, fline, nl);
		expect_same(&whole, &rs);
		recs_free(&rs);
	}
	recs_free(&whole);
	free(doc);
	free(field);
}

/* Every way of cutting a small document into reads gives the same
 * records as reading it whole. */
static void test_chunk_boundaries_small(void **state)
{
	(void)state;
	const char *doc = "h1,h2,h3\r\n\"a\"\"b\",\"c\nd\",e\r\n,,\r\n\"x\",\"\",\"y\r\nz\"\r\n"
			  "broken,\"q\r\nok,1,2\r\nlast";
	struct recs whole;
	read_str(doc, ',', &whole);
	assert_int_equal(whole.n, 7);
	expect_row(&whole, 0, 1, "h1", "h2", "h3", NULL);
	expect_row(&whole, 1, 2, "a\"b", "c\nd", "e", NULL);
	expect_row(&whole, 2, 4, "", "", "", NULL);
	expect_row(&whole, 3, 5, "x", "", "y\r\nz", NULL);
	expect_bad(&whole, 4, 7, "broken,\"q", NULL);
	expect_row(&whole, 5, 8, "ok", "1", "2", NULL);
	expect_row(&whole, 6, 9, "last", NULL);
	for (size_t chunk = 1; chunk <= strlen(doc); chunk++) {
		struct recs rs;
		read_chunked(doc, strlen(doc), chunk, ',', &rs);
		expect_same(&whole, &rs);
		recs_free(&rs);
	}
	recs_free(&whole);
}

/*
 * Random documents, read by every unquoting path (AVX-512, AVX2 and the
 * portable one, where the CPU has them) and in reads of awkward sizes,
 * give the same records. Most fields are quoted and long, with runs of
 * quotes, NUL bytes, CR, LF and delimiters inside, so that a run of
 * quotes or a closing quote falls on every offset of the 16- and
 * 64-byte blocks and at the end of a read; some rows are broken (a
 * stray quote, a quote after a closing one, a field left open). The
 * well-formed rows are checked against the fields written.
 */
static void test_random_docs_every_path(void **state)
{
	(void)state;
	enum { NREC = 300, MAXF = 5 };
	size_t cap = (size_t)4 << 20, n = 0;
	char *doc = malloc(cap);
	char **want = calloc(NREC * MAXF, sizeof *want);
	size_t *wantn = calloc(NREC * MAXF, sizeof *wantn);
	int *nfields = calloc(NREC, sizeof *nfields);
	bool *good = calloc(NREC, sizeof *good);
	assert_non_null(doc);
	assert_non_null(want);
	assert_non_null(wantn);
	assert_non_null(nfields);
	assert_non_null(good);
	static const char alpha[] = "ab\"\",\n\r\0xyz{}:";
	uint64_t seed = 0x2545f4914f6cdd1dULL;
#define RND() (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, (unsigned)(seed >> 33))
	for (int r = 0; r < NREC; r++) {
		int nf = 1 + (int)(RND() % MAXF);
		nfields[r] = nf;
		good[r] = RND() % 8 != 0;
		int broken_at = good[r] ? -1 : (int)(RND() % (unsigned)nf);
		for (int f = 0; f < nf; f++) {
			bool quoted = RND() % 4 != 0;
			size_t len = RND() % 4 == 0 ? RND() % 400 : RND() % 70;
			char *t = malloc(len + 1);
			assert_non_null(t);
			for (size_t i = 0; i < len;) {
				unsigned x = RND();
				char ch = quoted ? alpha[x % (sizeof alpha - 1)] : "abxyz0{}:"[x % 9];
				size_t run = ch == '"' ? (x >> 8) % 5 + 1 : 1;
				for (size_t k = 0; k < run && i < len; k++)
					t[i++] = ch;
			}
			want[r * MAXF + f] = t;
			wantn[r * MAXF + f] = len;
			assert_true(n + 2 * len + 8 < cap);
			if (quoted)
				doc[n++] = '"';
			for (size_t i = 0; i < len; i++) {
				if (t[i] == '"')
					doc[n++] = '"';
				doc[n++] = t[i];
			}
			if (f == broken_at) {
				unsigned how = RND() % 3;
				doc[n++] = '"'; /* a stray quote, or one after the closing quote */
				if (how == 1)
					doc[n++] = 'q';
				if (how == 2 && quoted)
					n--; /* the field left open instead */
			}
			if (quoted)
				doc[n++] = '"';
			if (f + 1 < nf)
				doc[n++] = ',';
		}
		if (RND() % 3 == 0)
			doc[n++] = '\r';
		doc[n++] = '\n';
	}
#undef RND
	struct recs ref;
	csv_set_simd(0);
	read_all(doc, n, ',', &ref);
	assert_int_equal(ref.last, CSV_EOF);
	/* the rows written well-formed before any broken one are read as written */
	for (size_t i = 0; i < ref.n && i < NREC && good[i]; i++) {
		const struct rec *rec = &ref.r[i];
		if (rec->kind != CSV_ROW)
			fail_msg("record %zu is bad: %s", i, rec->why);
		assert_int_equal(rec->nf, nfields[i]);
		for (size_t f = 0; f < rec->nf; f++) {
			assert_int_equal(rec->fl[f], wantn[i * MAXF + f]);
			assert_memory_equal(rec->f[f], want[i * MAXF + f], rec->fl[f]);
		}
	}
	static const size_t chunks[] = { 1, 7, 63, 64, 65, 4093, 65536 };
	for (int path = 0; path <= 2; path++) {
		csv_set_simd(path);
		struct recs rs;
		read_all(doc, n, ',', &rs);
		expect_same(&ref, &rs);
		recs_free(&rs);
		for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
			read_chunked(doc, n, chunks[c], ',', &rs);
			expect_same(&ref, &rs);
			recs_free(&rs);
		}
	}
	/* a field split into the caller's room (csv_set_room) reads the
	 * same, the room given or not, by every path */
	for (int col = 0; col < MAXF; col += 2) {
		struct troom t = { col, NULL, 0, 0 };
		read_room = &t;
		for (int path = 0; path <= 2; path++) {
			csv_set_simd(path);
			struct recs rs;
			read_all(doc, n, ',', &rs);
			expect_same(&ref, &rs);
			recs_free(&rs);
			read_chunked(doc, n, 63, ',', &rs);
			expect_same(&ref, &rs);
			recs_free(&rs);
		}
		read_room = NULL;
		assert_true(t.calls > 100);
	}
	csv_set_simd(2);
	recs_free(&ref);
	for (size_t i = 0; i < NREC * MAXF; i++)
		free(want[i]);
	free(want);
	free(wantn);
	free(nfields);
	free(good);
	free(doc);
}

/* A source that lends its bytes in place (stream_set_lend), in pieces
 * of varying sizes with varying room before them, some of it too little
 * for the window's tail, and now and then none: read then. */
#define LENDER_GUARD 20000
struct lender {
	const char *p;
	size_t n, off;
	size_t k;      /* lendings so far */
	char *held[8]; /* lent buffers, oldest first */
	size_t nheld, most;
	size_t reads;
};

static ssize_t lender_read(void *ctx, char *buf, size_t n)
{
	struct lender *l = ctx;
	l->reads++;
	size_t k = l->n - l->off;
	if (k > 777)
		k = 777;
	if (k > n)
		k = n;
	memcpy(buf, l->p + l->off, k);
	l->off += k;
	return (ssize_t)k;
}

static ssize_t lender_lend(void *ctx, const char **p, size_t *room)
{
	static const size_t sizes[] = { 1, 5000, 64, 65, 3, 20000, 100, 4096 };
	static const size_t rooms[] = { 16384, 10, 70000, 0, 16384, 300, 2, 16384 };
	struct lender *l = ctx;
	size_t k = l->k++;
	if (k % 11 == 5 || l->off == l->n)
		return 0;
	size_t n = sizes[k % 8];
	if (n > l->n - l->off)
		n = l->n - l->off;
	size_t r = rooms[(k / 8) % 8];
	/* a guard before the room: the stream writes nothing there */
	char *b = malloc(LENDER_GUARD + r + n + 1);
	assert_non_null(b);
	memset(b, 'G', LENDER_GUARD);
	b += LENDER_GUARD;
	memcpy(b + r, l->p + l->off, n);
	b[r + n] = 'X'; /* the stream puts its NUL here */
	l->off += n;
	assert_true(l->nheld < 8);
	l->held[l->nheld++] = b;
	if (l->nheld > l->most)
		l->most = l->nheld;
	*p = b + r;
	*room = r;
	return (ssize_t)n;
}

static void lender_unlend(void *ctx)
{
	struct lender *l = ctx;
	assert_true(l->nheld > 0);
	char *g = l->held[0] - LENDER_GUARD;
	for (size_t i = 0; i < LENDER_GUARD; i++)
		assert_int_equal(g[i], 'G');
	free(g);
	memmove(l->held, l->held + 1, --l->nheld * sizeof *l->held);
}

static void test_lent_bytes(void **state)
{
	(void)state;
	/* rows of every length, quoted fields with quotes and line breaks,
	 * a row longer than LEND_TAIL (16 KB), CRLF, a broken row */
	size_t cap = 1 << 20, n = 0;
	char *doc = malloc(cap);
	assert_non_null(doc);
	for (int r = 0; r < 600; r++) {
		size_t len = r == 300 ? 40000 : (size_t)(r * 37) % 900;
		n += (size_t)snprintf(doc + n, cap - n, "%d,\"", r);
		for (size_t i = 0; i < len; i++) {
			char ch = "ab\"\n,x"[(i * 7 + (size_t)r) % 6];
			if (ch == '"')
				doc[n++] = '"';
			doc[n++] = ch;
		}
		n += (size_t)snprintf(doc + n, cap - n, "\",%s%s", r % 50 == 9 ? "x\"y" : "end",
				      r % 3 ? "\r\n" : "\n");
		assert_true(n + 50000 < cap);
	}
	struct recs whole;
	read_all(doc, n, ',', &whole);
	/* (a broken row resumes on its next line, inside its quoted field:
	 * more records than rows) */
	assert_true(whole.n > 600);
	assert_int_equal(whole.r[0].kind, CSV_ROW);
	assert_int_equal(whole.r[9].kind, CSV_BAD);
	size_t big = 0;
	for (size_t i = 0; i < whole.n; i++)
		if (whole.r[i].kind == CSV_ROW && whole.r[i].nf == 3 && whole.r[i].fl[1] == 40000)
			big++;
	assert_int_equal(big, 1);
	for (int path = 0; path <= 2; path += 2) {
		csv_set_simd(path);
		struct lender l = { doc, n, 0, 0, { NULL }, 0, 0, 0 };
		struct stream s;
		stream_init(&s, lender_read, &l, (size_t)256 << 20);
		stream_set_lend(&s, lender_lend, lender_unlend);
		struct recs rs;
		read_all_stream(&s, ',', &rs);
		expect_same(&whole, &rs);
		recs_free(&rs);
		stream_free(&s);
		assert_int_equal(l.nheld, 0); /* every lending given back */
		assert_true(l.most <= 2);
		assert_true(l.k > 100);   /* it did lend */
		assert_true(l.reads > 0); /* and read when it did not */
	}
	csv_set_simd(2);
	recs_free(&whole);
	free(doc);
}

static void test_fifty_mb_field(void **state)
{
	(void)state;
	size_t target = (size_t)50 << 20;
	size_t qlen, ulen;
	char *u;
	char *q = big_field(target, &qlen, &u, &ulen);
	size_t n = qlen + 32;
	char *doc = malloc(n);
	size_t o = 0;
	memcpy(doc + o, "h,AuditData\n1,", 14);
	o += 14;
	memcpy(doc + o, q, qlen);
	o += qlen;
	memcpy(doc + o, "\n2,x\n", 5);
	o += 5;
	free(q);

	struct stream s;
	stream_init_mem(&s, doc, o);
	struct csv c;
	csv_init(&c, &s, ',');
	assert_int_equal(csv_next(&c), CSV_ROW);
	assert_int_equal(csv_next(&c), CSV_ROW);
	assert_int_equal(c.rec_line, 2);
	assert_int_equal(c.nf, 2);
	assert_string_equal(c.f[0].p, "1");
	assert_int_equal(c.f[1].n, ulen);
	assert_memory_equal(c.f[1].p, u, ulen);
	assert_int_equal(c.rawlen, 2 + qlen);
	size_t nl = count_nl(u, ulen);
	assert_int_equal(csv_next(&c), CSV_ROW);
	assert_int_equal(c.rec_line, 3 + nl);
	assert_string_equal(c.f[1].p, "x");
	assert_int_equal(csv_next(&c), CSV_EOF);
	csv_free(&c);
	stream_free(&s);
	free(doc);
	free(u);
}

/* A quoted field that never ends in a stream larger than the window: the
 * first line is reported and reading goes on after it. */
static void test_window_limit(void **state)
{
	(void)state;
	size_t n = 5u << 20;
	char *d = malloc(n + 64);
	size_t o = (size_t)sprintf(d, "a,\"open\r\n");
	while (o < n)
		o += (size_t)sprintf(d + o, "filler line %zu\n", o);
	o += (size_t)sprintf(d + o, "z,1\n");
	struct chunky ck = { d, o, 0, 1u << 20, 0, 0 };
	struct stream s;
	stream_init(&s, chunky_read, &ck, 0); /* the smallest window: 2 MiB */
	struct csv c;
	csv_init(&c, &s, ',');
	assert_int_equal(csv_next(&c), CSV_BAD);
	assert_int_equal(c.rec_line, 1);
	assert_int_equal(c.rawlen, 7);
	assert_memory_equal(c.raw, "a,\"open", 7);
	assert_string_equal(c.why, "quoted field does not end before the record size limit");
	assert_int_equal(csv_next(&c), CSV_ROW);
	assert_int_equal(c.rec_line, 2);
	assert_string_equal(c.f[0].p, "filler line 9");
	int k;
	uint64_t last_line = 0;
	while ((k = csv_next(&c)) == CSV_ROW)
		last_line = c.rec_line;
	assert_int_equal(k, CSV_EOF);
	assert_string_equal(c.f[0].p, "z");
	assert_int_equal(last_line, count_nl(d, o));
	csv_free(&c);
	stream_free(&s);
	free(d);
}

static void test_read_error(void **state)
{
	(void)state;
	const char *d = "a,b\n1,2\n3,\"4\n5\"\n";
	struct chunky ck = { d, strlen(d), 0, 5, 0, 10 };
	struct stream s;
	stream_init(&s, chunky_read, &ck, 0);
	struct csv c;
	csv_init(&c, &s, ',');
	assert_int_equal(csv_next(&c), CSV_ROW);
	assert_int_equal(csv_next(&c), CSV_ROW);
	assert_string_equal(c.f[1].p, "2");
	/* the bytes read before the error are the last record, cut (it
	 * was dropped); then the error */
	assert_int_equal(csv_next(&c), CSV_ROW);
	assert_int_equal(c.nf, 2);
	assert_string_equal(c.f[0].p, "3");
	assert_true(s.ioerr);
	assert_int_equal(csv_next(&c), CSV_IOERR);
	assert_int_equal(csv_next(&c), CSV_IOERR);
	csv_free(&c);
	stream_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_rows),
		cmocka_unit_test(test_quoted_fields),
		cmocka_unit_test(test_quote_runs),
		cmocka_unit_test(test_quote_places),
		cmocka_unit_test(test_quote_runs_wide_and_narrow),
		cmocka_unit_test(test_multiline_cells),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_semicolon),
		cmocka_unit_test(test_sniff_delim),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_stray_quote),
		cmocka_unit_test(test_stray_quotes_do_not_join_lines),
		cmocka_unit_test(test_truncated_quoted_field),
		cmocka_unit_test(test_skip_line),
		cmocka_unit_test(test_record_across_refills),
		cmocka_unit_test(test_chunk_boundaries_small),
		cmocka_unit_test(test_random_docs_every_path),
		cmocka_unit_test(test_lent_bytes),
		cmocka_unit_test(test_fifty_mb_field),
		cmocka_unit_test(test_window_limit),
		cmocka_unit_test(test_read_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
