/*
 * chdb_http.c: a stand-in for ClickHouse's HTTP interface that runs each
 * request in chDB, the embedded ClickHouse library (npm
 * @chdb/lib-linux-x64-gnu, 26.x). A current ClickHouse server is not
 * installable here; chDB is the same engine without the server, so this
 * program gives it the server's HTTP interface, for what our client
 * (core/clickhouse/http.c) and the tests send, so that the store's SQL is
 * run on a current version by the same tests as on Debian's 18.16:
 *
 *   GET /ping                         "Ok.\n"
 *   POST / with the SQL as the body
 *   POST /?query=SQL with a body      the body follows the query text after
 *                                     a newline (an INSERT's RowBinary rows)
 *   POST /?query=SQL, multipart body  external data: each part a temporary
 *                                     table named by the part, its columns
 *                                     from NAME_structure, its format from
 *                                     NAME_format (TabSeparated)
 *   any other URL parameter           a setting for that request
 *                                     (readonly=1 among them); query_id,
 *                                     database, default_format as the server
 *
 * Answers: 200 and the result (TabSeparated unless the query says), or 500
 * with the engine's own "Code: N. DB::Exception: ..." text, as the server.
 * Each setting combination gets chDB connections of its own (settings are
 * per connection in chDB), kept for reuse; requests run at once on
 * different connections, as on a server.
 *
 * What it cannot do as a server does, and the tests skip on it: a
 * client's query_id is not the engine's (chDB picks its own), so that
 * KILL QUERY WHERE query_id = ... and system.processes by query_id find
 * nothing; no progress headers; no sessions (session_id).
 *
 * libchdb.so is opened at run time (dlopen): the project builds without
 * it. Usage: chdb_http --port N --path DIR [--lib FILE] [--pidfile FILE]
 * (FILE default: $CHDB_LIB). Stops on SIGTERM/SIGINT.
 */
#define _GNU_SOURCE /* memmem, strcasestr, accept4 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* chDB's C interface (chdb.h of chDB 26.x), as far as used here: the
 * handles are opaque pointers. */

typedef void *chdb_connection;
typedef void *chdb_res;
typedef void *chdb_ins;

static struct {
	const char *(*version)(void);
	void (*set_signal_handlers_enabled)(int);
	chdb_connection *(*connect)(int, char **);
	void (*close_conn)(chdb_connection *);
	chdb_res (*query_n)(chdb_connection, const char *, size_t, const char *, size_t);
	char *(*result_buffer)(chdb_res);
	size_t (*result_length)(chdb_res);
	const char *(*result_error)(chdb_res);
	void (*destroy_result)(chdb_res);
	chdb_ins (*stream_insert_n)(chdb_connection, const char *, size_t, const char *, size_t);
	int (*stream_append)(chdb_ins, const void *, size_t);
	chdb_res (*stream_done)(chdb_ins);
	const char *(*stream_insert_error)(chdb_ins);
	void (*destroy_insert_stream)(chdb_ins);
} ch;

static int load_chdb(const char *lib)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "chdb_http: cannot open %s: %s\n", lib, dlerror());
		return -1;
	}
	struct {
		void **slot;
		const char *name;
	} syms[] = {
		{ (void **)&ch.version, "chdb_version" },
		{ (void **)&ch.set_signal_handlers_enabled, "chdb_set_signal_handlers_enabled" },
		{ (void **)&ch.connect, "chdb_connect" },
		{ (void **)&ch.close_conn, "chdb_close_conn" },
		{ (void **)&ch.query_n, "chdb_query_n" },
		{ (void **)&ch.result_buffer, "chdb_result_buffer" },
		{ (void **)&ch.result_length, "chdb_result_length" },
		{ (void **)&ch.result_error, "chdb_result_error" },
		{ (void **)&ch.destroy_result, "chdb_destroy_query_result" },
		{ (void **)&ch.stream_insert_n, "chdb_stream_insert_n" },
		{ (void **)&ch.stream_append, "chdb_stream_append" },
		{ (void **)&ch.stream_done, "chdb_stream_done" },
		{ (void **)&ch.stream_insert_error, "chdb_stream_insert_error" },
		{ (void **)&ch.destroy_insert_stream, "chdb_destroy_insert_stream" },
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		/* POSIX's way from dlsym's object pointer to a function pointer */
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			fprintf(stderr, "chdb_http: %s: no %s (not chDB 26.x?)\n", lib, syms[i].name);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Growing buffers */

struct buf {
	char *p;
	size_t n, cap;
};

static void *xrealloc_or_die(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("chdb_http: out of memory\n", stderr);
		_exit(70);
	}
	return q;
}

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = xrealloc_or_die(b->p, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char *t = xrealloc_or_die(NULL, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(t, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_add(b, t, (size_t)n);
	free(t);
}

static char *dup_n(const char *s, size_t n)
{
	char *d = xrealloc_or_die(NULL, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* ------------------------------------------------------------------ */
/* chDB connections by their settings ("--k=v" arguments joined by
 * newlines; "" for none) */

#define POOL_MAX 16

struct pconn {
	char *settings;
	chdb_connection *c;
	bool busy;
};

static struct pconn pool[POOL_MAX];
static size_t npool;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static char *data_path;

static chdb_connection *open_conn(const char *settings, struct buf *err)
{
	char *argv[64];
	int argc = 0;
	char *path = NULL;
	size_t n = strlen(data_path) + 8;
	path = xrealloc_or_die(NULL, n);
	snprintf(path, n, "--path=%s", data_path);
	char prog[] = "chdb_http";
	argv[argc++] = prog;
	argv[argc++] = path;
	char *copy = dup_n(settings, strlen(settings));
	for (char *p = copy; *p && argc < 63;) {
		char *e = strchr(p, '\n');
		if (e)
			*e = '\0';
		argv[argc++] = p;
		if (!e)
			break;
		p = e + 1;
	}
	argv[argc] = NULL;
	chdb_connection *c = ch.connect(argc, argv);
	if (!c || !*c)
		buf_printf(err,
			   "Code: 1001. DB::Exception: chdb_http: chDB refused a connection with settings [%s]",
			   settings);
	free(copy);
	free(path);
	return c && *c ? c : NULL;
}

/* A connection with these settings of the pool, taken for one request
 * (NULL: err says why). */
static struct pconn *conn_take(const char *settings, struct buf *err)
{
	pthread_mutex_lock(&pool_lock);
	for (;;) {
		struct pconn *empty = NULL, *idle_other = NULL;
		for (size_t i = 0; i < npool; i++) {
			if (pool[i].busy)
				continue;
			if (!pool[i].c) {
				empty = &pool[i];
			} else if (!strcmp(pool[i].settings, settings)) {
				pool[i].busy = true;
				pthread_mutex_unlock(&pool_lock);
				return &pool[i];
			} else {
				idle_other = &pool[i];
			}
		}
		struct pconn *slot = empty;
		if (!slot && npool < POOL_MAX) {
			slot = &pool[npool++];
		} else if (!slot && idle_other) {
			/* full: an idle connection of other settings makes room */
			ch.close_conn(idle_other->c);
			idle_other->c = NULL;
			slot = idle_other;
		}
		if (slot) {
			free(slot->settings);
			slot->settings = dup_n(settings, strlen(settings));
			slot->c = open_conn(settings, err);
			slot->busy = slot->c != NULL;
			pthread_mutex_unlock(&pool_lock);
			return slot->c ? slot : NULL;
		}
		pthread_cond_wait(&pool_cond, &pool_lock);
	}
}

static void conn_give(struct pconn *p, bool discard)
{
	pthread_mutex_lock(&pool_lock);
	if (discard) {
		/* session state that must not reach the next request (the
		 * temporary tables of external data) */
		ch.close_conn(p->c);
		p->c = NULL;
	}
	p->busy = false;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
}

/* One statement on c: its output into out (may be NULL), or its error
 * text into err and -1. */
static int run_sql(chdb_connection *c, const char *sql, size_t n, const char *format, struct buf *out,
		   struct buf *err)
{
	chdb_res r = ch.query_n(*c, sql, n, format, strlen(format));
	if (!r) {
		buf_puts(err, "Code: 1001. DB::Exception: chdb_http: chDB returned no result");
		return -1;
	}
	const char *e = ch.result_error(r);
	int rc = 0;
	if (e && *e) {
		buf_puts(err, e);
		rc = -1;
	} else if (out) {
		buf_add(out, ch.result_buffer(r), ch.result_length(r));
	}
	ch.destroy_result(r);
	return rc;
}

/*
 * An INSERT whose rows come in the body ("INSERT INTO t (...) FORMAT F"
 * in the query parameter): the server reads the rows from the body as
 * they are. chDB's one-string query would take them as inline data,
 * which its client code ends at the first newline byte (RowBinary holds
 * any byte); its insert stream takes them whole.
 */
static int run_insert(chdb_connection *c, const char *stmt, size_t n, const char *format,
		      const struct buf *rows, struct buf *err)
{
	chdb_ins in = ch.stream_insert_n(*c, stmt, n, format, strlen(format));
	const char *e =
		in ? ch.stream_insert_error(in) : "Code: 1001. DB::Exception: chdb_http: no insert stream";
	int rc = 0;
	if (e && *e) {
		buf_puts(err, e);
		rc = -1;
	}
	for (size_t at = 0; rc == 0 && at < rows->n;) {
		size_t k = rows->n - at < (1u << 20) ? rows->n - at : (1u << 20);
		if (ch.stream_append(in, rows->p + at, k) != 0) {
			e = ch.stream_insert_error(in);
			buf_puts(err,
				 e && *e ? e
					 : "Code: 1001. DB::Exception: chdb_http: the insert stream failed");
			rc = -1;
		}
		at += k;
	}
	if (rc == 0) {
		chdb_res r = ch.stream_done(in);
		e = r ? ch.result_error(r) : NULL;
		if (!r || (e && *e)) {
			e = e && *e ? e : ch.stream_insert_error(in);
			buf_puts(err,
				 e && *e ? e : "Code: 1001. DB::Exception: chdb_http: the insert did not end");
			rc = -1;
		}
		if (r)
			ch.destroy_result(r);
	}
	if (in)
		ch.destroy_insert_stream(in);
	return rc;
}

/* "INSERT ... FORMAT Name": the statement's length without the FORMAT
 * clause, and the name (into fmt); false for any other text. */
static bool insert_format(const char *q, size_t *stmt_len, char *fmt, size_t fmtcap)
{
	while (isspace((unsigned char)*q))
		q++;
	if (strncasecmp(q, "INSERT", 6) != 0 || !isspace((unsigned char)q[6]))
		return false;
	size_t n = strlen(q);
	while (n && isspace((unsigned char)q[n - 1]))
		n--;
	size_t name_end = n;
	while (n && (isalnum((unsigned char)q[n - 1]) || q[n - 1] == '_'))
		n--;
	size_t name_at = n;
	if (name_at == name_end || name_end - name_at >= fmtcap || !n || !isspace((unsigned char)q[n - 1]))
		return false;
	while (n && isspace((unsigned char)q[n - 1]))
		n--;
	if (n < 7 || strncasecmp(q + n - 6, "FORMAT", 6) != 0 || !isspace((unsigned char)q[n - 7]))
		return false;
	memcpy(fmt, q + name_at, name_end - name_at);
	fmt[name_end - name_at] = '\0';
	*stmt_len = n - 6;
	return true;
}

/* ------------------------------------------------------------------ */
/* HTTP */

struct param {
	char *k, *v;
};

struct request {
	char method[16];
	char *path;
	struct param *params;
	size_t nparams;
	struct buf body;
	char *content_type;
	bool close;
};

static void request_clear(struct request *r)
{
	free(r->path);
	for (size_t i = 0; i < r->nparams; i++) {
		free(r->params[i].k);
		free(r->params[i].v);
	}
	free(r->params);
	free(r->body.p);
	free(r->content_type);
	memset(r, 0, sizeof *r);
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* %XX and '+' decoded (Poco's form decoding, which the server uses) */
static char *url_decode(const char *s, size_t n, size_t *len)
{
	char *o = xrealloc_or_die(NULL, n + 1), *w = o;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			*w++ = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			*w++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*w = '\0';
	if (len)
		*len = (size_t)(w - o);
	return o;
}

static const char *param(const struct request *r, const char *k)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (!strcmp(r->params[i].k, k))
			return r->params[i].v;
	return NULL;
}

static void parse_params(struct request *r, const char *q)
{
	while (*q) {
		size_t n = strcspn(q, "&");
		if (n) {
			size_t eq = strcspn(q, "=");
			if (eq > n)
				eq = n;
			r->params = xrealloc_or_die(r->params, (r->nparams + 1) * sizeof *r->params);
			r->params[r->nparams].k = url_decode(q, eq, NULL);
			r->params[r->nparams].v =
				eq < n ? url_decode(q + eq + 1, n - eq - 1, NULL) : dup_n("", 0);
			r->nparams++;
		}
		q += n;
		if (*q == '&')
			q++;
	}
}

/* Reads from fd into b until it holds at least want bytes (0: at end
 * of stream or error before). */
static int fill(int fd, struct buf *b, size_t want)
{
	while (b->n < want) {
		char t[65536];
		ssize_t k = recv(fd, t, sizeof t, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		buf_add(b, t, (size_t)k);
	}
	return 0;
}

static const char *find_crlf2(const struct buf *b)
{
	if (b->n < 4)
		return NULL;
	for (size_t i = 0; i + 3 < b->n; i++)
		if (!memcmp(b->p + i, "\r\n\r\n", 4))
			return b->p + i;
	return NULL;
}

/* One request from the connection's bytes in (what follows it stays in
 * in). -1: the connection ended or sent nonsense. */
static int read_request(int fd, struct buf *in, struct request *r)
{
	const char *end;
	while (!(end = find_crlf2(in))) {
		if (in->n > (1u << 20))
			return -1;
		size_t had = in->n;
		if (fill(fd, in, had + 1) < 0)
			return -1;
	}
	size_t head_len = (size_t)(end - in->p) + 4;
	char *head = dup_n(in->p, head_len - 4);
	char *line = head, *next = strstr(line, "\r\n");
	if (next)
		*next = '\0';
	char target[1 << 16];
	if (sscanf(line, "%15s %65535s", r->method, target) != 2) {
		free(head);
		return -1;
	}
	char *qm = strchr(target, '?');
	if (qm) {
		*qm = '\0';
		parse_params(r, qm + 1);
	}
	r->path = dup_n(target, strlen(target));
	size_t clen = 0;
	bool chunked = false;
	r->close = strstr(line, "HTTP/1.0") != NULL;
	while (next) {
		line = next + 2;
		next = strstr(line, "\r\n");
		if (next)
			*next = '\0';
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (!strcasecmp(line, "Content-Length"))
			clen = (size_t)strtoull(v, NULL, 10);
		else if (!strcasecmp(line, "Transfer-Encoding") && strcasestr(v, "chunked"))
			chunked = true;
		else if (!strcasecmp(line, "Content-Type"))
			r->content_type = dup_n(v, strlen(v));
		else if (!strcasecmp(line, "Connection"))
			r->close = !strcasecmp(v, "close");
	}
	free(head);
	/* the body */
	size_t at = head_len;
	if (chunked) {
		for (;;) {
			const char *crlf;
			while (!(crlf = memmem(in->p + at, in->n - at, "\r\n", 2)))
				if (fill(fd, in, in->n + 1) < 0)
					return -1;
			size_t sz = (size_t)strtoull(in->p + at, NULL, 16);
			at = (size_t)(crlf - in->p) + 2;
			if (fill(fd, in, at + sz + 2) < 0)
				return -1;
			buf_add(&r->body, in->p + at, sz);
			at += sz + 2;
			if (!sz)
				break;
		}
	} else {
		if (fill(fd, in, head_len + clen) < 0)
			return -1;
		buf_add(&r->body, in->p + head_len, clen);
		at = head_len + clen;
	}
	memmove(in->p, in->p + at, in->n - at);
	in->n -= at;
	return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int respond(int fd, int status, const char *qid, const char *code, const struct buf *body, bool close)
{
	struct buf h = { 0 };
	buf_printf(&h, "HTTP/1.1 %d %s\r\n", status, status == 200 ? "OK" : "Internal Server Error");
	buf_puts(&h, "Content-Type: text/tab-separated-values; charset=UTF-8\r\n");
	if (qid)
		buf_printf(&h, "X-ClickHouse-Query-Id: %s\r\n", qid);
	if (code)
		buf_printf(&h, "X-ClickHouse-Exception-Code: %s\r\n", code);
	buf_printf(&h, "Content-Length: %zu\r\n", body ? body->n : 0);
	buf_puts(&h, close ? "Connection: Close\r\n\r\n"
			   : "Connection: Keep-Alive\r\nKeep-Alive: timeout=10\r\n\r\n");
	/* one send for a small answer: a second small segment would wait
	 * for the client's delayed ACK (Nagle), 40 ms a request */
	int r;
	if (body && body->n && body->n < 65536) {
		buf_add(&h, body->p, body->n);
		r = send_all(fd, h.p, h.n);
	} else {
		r = send_all(fd, h.p, h.n);
		if (r == 0 && body && body->n)
			r = send_all(fd, body->p, body->n);
	}
	free(h.p);
	return r;
}

/* ------------------------------------------------------------------ */
/* External data (multipart/form-data) */

struct part {
	char *name;
	const char *data;
	size_t len;
};

/* The parts of a multipart body (pointing into it); -1 when it is not
 * one. */
static int parse_multipart(const struct request *r, struct part **parts, size_t *nparts)
{
	*parts = NULL;
	*nparts = 0;
	const char *bd = strcasestr(r->content_type, "boundary=");
	if (!bd)
		return -1;
	bd += 9;
	size_t bn = strcspn(bd, "; \t");
	if (*bd == '"') {
		bd++;
		bn = strcspn(bd, "\"");
	}
	struct buf delim = { 0 };
	buf_puts(&delim, "--");
	buf_add(&delim, bd, bn);
	const char *p = r->body.p, *end = r->body.p + r->body.n;
	const char *at = memmem(p, r->body.n, delim.p, delim.n);
	int rc = -1;
	while (at) {
		at += delim.n;
		if (end - at >= 2 && !memcmp(at, "--", 2)) {
			rc = 0;
			break;
		}
		if (end - at < 2 || memcmp(at, "\r\n", 2))
			break;
		at += 2;
		const char *hend = memmem(at, (size_t)(end - at), "\r\n\r\n", 4);
		if (!hend)
			break;
		char *hdr = dup_n(at, (size_t)(hend - at));
		const char *nm = strstr(hdr, " name=\"");
		char *name = NULL;
		if (nm) {
			nm += 7;
			name = dup_n(nm, strcspn(nm, "\""));
		}
		free(hdr);
		const char *data = hend + 4;
		struct buf next = { 0 };
		buf_puts(&next, "\r\n");
		buf_add(&next, delim.p, delim.n);
		const char *stop = memmem(data, (size_t)(end - data), next.p, next.n);
		free(next.p);
		if (!stop || !name) {
			free(name);
			break;
		}
		*parts = xrealloc_or_die(*parts, (*nparts + 1) * sizeof **parts);
		(*parts)[*nparts] = (struct part){ name, data, (size_t)(stop - data) };
		(*nparts)++;
		at = stop + 2;
	}
	free(delim.p);
	return rc;
}

static bool ident_ok(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* One request */

/* URL parameters the server reads itself; every other one is a setting */
static bool is_own_param(const struct request *r, const char *k)
{
	static const char *const own[] = { "query", "query_id", "database",   "default_format",
					   "user",  "password", "session_id", "session_timeout",
					   NULL };
	for (size_t i = 0; own[i]; i++)
		if (!strcmp(k, own[i]))
			return true;
	/* NAME_structure / NAME_format / NAME_types of external data */
	const char *us = strrchr(k, '_');
	return us && r->content_type && strcasestr(r->content_type, "multipart/form-data") &&
	       (!strcmp(us, "_structure") || !strcmp(us, "_format") || !strcmp(us, "_types"));
}

static unsigned long qseq;
static pthread_mutex_t seq_lock = PTHREAD_MUTEX_INITIALIZER;

/* The code of an engine error's text ("Code: 60. ..."), for the header */
static char *error_code(const char *text)
{
	const char *c = strstr(text, "Code: ");
	return c ? dup_n(c + 6, strspn(c + 6, "0123456789")) : dup_n("1001", 4);
}

static int serve(int fd, struct request *r)
{
	struct buf out = { 0 }, err = { 0 };
	if (!strcmp(r->path, "/ping")) {
		buf_puts(&out, "Ok.\n");
		int rc = respond(fd, 200, NULL, NULL, &out, r->close);
		free(out.p);
		return rc;
	}
	char qidbuf[64];
	const char *qid = param(r, "query_id");
	if (!qid) {
		pthread_mutex_lock(&seq_lock);
		snprintf(qidbuf, sizeof qidbuf, "chdb-http-%ld-%lu", (long)getpid(), ++qseq);
		pthread_mutex_unlock(&seq_lock);
		qid = qidbuf;
	}
	if (strcmp(r->path, "/") != 0) {
		buf_printf(&err, "Code: 1001. DB::Exception: chdb_http: no handler for %s (only / and /ping)",
			   r->path);
		goto fail;
	}
	bool multipart = r->content_type && strcasestr(r->content_type, "multipart/form-data");
	/* the settings of this request, in order: they choose the connection */
	struct buf settings = { 0 };
	for (size_t i = 0; i < r->nparams; i++) {
		if (is_own_param(r, r->params[i].k))
			continue;
		/* (a value is never NULL: "" for "k" alone; said for the
		 * analyzer, which learns from param()'s callers that it may be) */
		const char *v = r->params[i].v ? r->params[i].v : "";
		if (strchr(v, '\n') || !ident_ok(r->params[i].k)) {
			free(settings.p);
			buf_printf(&err, "Code: 115. DB::Exception: chdb_http: bad setting '%s'",
				   r->params[i].k);
			goto fail;
		}
		buf_printf(&settings, "%s--%s=%s", settings.n ? "\n" : "", r->params[i].k, v);
	}
	if (param(r, "session_id")) {
		free(settings.p);
		buf_puts(&err,
			 "Code: 1001. DB::Exception: chdb_http: sessions are not supported by this stand-in");
		goto fail;
	}
	/* the statement: the query parameter, then the body after a newline
	 * (an INSERT's data), or the body alone */
	const char *q = param(r, "query");
	struct buf sql = { 0 };
	if (q) {
		buf_puts(&sql, q);
		if (r->body.n && !multipart) {
			buf_puts(&sql, "\n");
			buf_add(&sql, r->body.p, r->body.n);
		}
	} else if (!multipart) {
		buf_add(&sql, r->body.p, r->body.n);
	}
	if (!sql.n) {
		free(settings.p);
		buf_puts(&err, "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)");
		goto fail;
	}
	const char *format = param(r, "default_format");
	if (!format)
		format = "TabSeparated";
	struct part *parts = NULL;
	size_t nparts = 0;
	if (multipart && parse_multipart(r, &parts, &nparts) < 0) {
		free(settings.p);
		free(sql.p);
		buf_puts(&err, "Code: 1001. DB::Exception: chdb_http: a multipart body that does not parse");
		goto fail_parts;
	}
	/* external data: temporary tables on a connection without readonly
	 * (a temporary table is a write to the engine), which takes the
	 * request's readonly after them and is then closed: its tables and
	 * settings are this request's alone */
	struct pconn *pc;
	bool discard = nparts > 0;
	if (nparts) {
		struct buf rw = { 0 };
		const char *s = settings.p ? settings.p : "";
		while (*s) {
			size_t n = strcspn(s, "\n");
			if (strncmp(s, "--readonly=", 11) != 0) {
				if (rw.n)
					buf_puts(&rw, "\n");
				buf_add(&rw, s, n);
			}
			s += n + (s[n] == '\n');
		}
		pc = conn_take(rw.p ? rw.p : "", &err);
		free(rw.p);
	} else {
		pc = conn_take(settings.p ? settings.p : "", &err);
	}
	int rc = pc ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < nparts; i++) {
		char key[256];
		snprintf(key, sizeof key, "%s_structure", parts[i].name);
		const char *structure = param(r, key);
		snprintf(key, sizeof key, "%s_format", parts[i].name);
		const char *fmt = param(r, key);
		if (!ident_ok(parts[i].name) || !structure) {
			buf_printf(&err, "Code: 1001. DB::Exception: chdb_http: external table '%s' without %s",
				   parts[i].name, "a valid name and structure");
			rc = -1;
			break;
		}
		struct buf ddl = { 0 };
		buf_printf(&ddl, "CREATE TEMPORARY TABLE %s (%s) ENGINE = Memory", parts[i].name, structure);
		rc = run_sql(pc->c, ddl.p, ddl.n, "TabSeparated", NULL, &err);
		ddl.n = 0;
		buf_printf(&ddl, "INSERT INTO %s", parts[i].name);
		/* (an empty table is no error: the server inserts nothing) */
		struct buf rows = { (char *)parts[i].data, parts[i].len, 0 };
		if (rc == 0)
			rc = run_insert(pc->c, ddl.p, ddl.n, fmt ? fmt : "TabSeparated", &rows, &err);
		free(ddl.p);
	}
	if (rc == 0 && nparts && settings.p && strstr(settings.p, "--readonly=")) {
		const char *ro = strstr(settings.p, "--readonly=") + 11;
		struct buf set = { 0 };
		buf_puts(&set, "SET readonly = ");
		buf_add(&set, ro, strspn(ro, "0123456789"));
		rc = run_sql(pc->c, set.p, set.n, "TabSeparated", NULL, &err);
		free(set.p);
	}
	char ins_format[64];
	size_t stmt_len;
	if (rc == 0 && q && !multipart && insert_format(q, &stmt_len, ins_format, sizeof ins_format)) {
		const char *at = q;
		while (isspace((unsigned char)*at))
			at++;
		rc = run_insert(pc->c, at, stmt_len - (size_t)(at - q), ins_format, &r->body, &err);
	} else if (rc == 0) {
		rc = run_sql(pc->c, sql.p, sql.n, format, &out, &err);
	}
	if (pc)
		conn_give(pc, discard);
	free(settings.p);
	free(sql.p);
	for (size_t i = 0; i < nparts; i++)
		free(parts[i].name);
	free(parts);
	if (rc == 0) {
		rc = respond(fd, 200, qid, NULL, &out, r->close);
		free(out.p);
		return rc;
	}
	goto fail;
fail_parts:
	for (size_t i = 0; i < nparts; i++)
		free(parts[i].name);
	free(parts);
fail:;
	/* the server's error answer: the text and a newline */
	if (!err.n || err.p[err.n - 1] != '\n')
		buf_puts(&err, "\n");
	char *code = error_code(err.p);
	int rc2 = respond(fd, 500, qid, code, &err, r->close);
	free(code);
	free(err.p);
	free(out.p);
	return rc2;
}

/* ------------------------------------------------------------------ */
/* Connections and the main loop */

static volatile sig_atomic_t stopping;
static int wake[2] = { -1, -1 };
static int active; /* requests being served */
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;

static void *client(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct buf in = { 0 };
	for (;;) {
		struct request r = { 0 };
		if (read_request(fd, &in, &r) < 0) {
			request_clear(&r);
			break;
		}
		pthread_mutex_lock(&active_lock);
		bool stop = stopping;
		if (!stop)
			active++;
		pthread_mutex_unlock(&active_lock);
		if (stop) {
			request_clear(&r);
			break;
		}
		int rc = serve(fd, &r);
		bool close_it = r.close;
		request_clear(&r);
		pthread_mutex_lock(&active_lock);
		active--;
		pthread_mutex_unlock(&active_lock);
		if (rc < 0 || close_it)
			break;
	}
	free(in.p);
	close(fd);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	if (wake[1] >= 0) {
		char c = 0;
		ssize_t k = write(wake[1], &c, 1);
		(void)k;
	}
}

static int listen_on(int family, int port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	int rc;
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = bind(fd, (struct sockaddr *)&a, sizeof a);
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
		a.sin6_addr = in6addr_loopback;
		rc = bind(fd, (struct sockaddr *)&a, sizeof a);
	}
	if (rc < 0 || listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void usage(void)
{
	fputs("usage: chdb_http --port N --path DIR [--lib libchdb.so] [--pidfile FILE]\n", stderr);
	exit(64);
}

int main(int argc, char **argv)
{
	int port = 0;
	const char *lib = getenv("CHDB_LIB"), *pidfile = NULL;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--port"))
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--path"))
			data_path = argv[++i];
		else if (!strcmp(argv[i], "--lib"))
			lib = argv[++i];
		else if (!strcmp(argv[i], "--pidfile"))
			pidfile = argv[++i];
		else
			usage();
	}
	if (port <= 0 || port > 65535 || !data_path || !lib || !*lib)
		usage();
	/* listen first: a taken port is said at once, before the library's
	 * seconds of loading */
	int lfd[2];
	lfd[0] = listen_on(AF_INET, port);
	if (lfd[0] < 0) {
		fprintf(stderr, "chdb_http: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}
	lfd[1] = listen_on(AF_INET6, port);
	if (lfd[1] < 0 && errno == EADDRINUSE) {
		fprintf(stderr, "chdb_http: cannot listen on [::1]:%d: %s\n", port, strerror(errno));
		return 1;
	}
	if (load_chdb(lib) < 0)
		return 1;
	/* SIGTERM/SIGINT are ours (a clean stop), not the engine's */
	ch.set_signal_handlers_enabled(0);
	struct buf err = { 0 };
	struct pconn *first = conn_take("", &err);
	if (!first) {
		fprintf(stderr, "chdb_http: %s\n", err.p);
		return 1;
	}
	conn_give(first, false);
	if (pipe(wake) < 0)
		return 1;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");
		if (f) {
			fprintf(f, "%ld\n", (long)getpid());
			fclose(f);
		}
	}
	fprintf(stderr, "chdb_http: chDB %s answering on 127.0.0.1:%d (data in %s)\n", ch.version(), port,
		data_path);
	while (!stopping) {
		struct pollfd pf[3] = { { wake[0], POLLIN, 0 }, { lfd[0], POLLIN, 0 }, { lfd[1], POLLIN, 0 } };
		int n = poll(pf, lfd[1] >= 0 ? 3 : 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 1; i < 3; i++) {
			if (i == 2 && lfd[1] < 0)
				break;
			if (!(pf[i].revents & POLLIN))
				continue;
			int c = accept4(lfd[i - 1], NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			int one = 1;
			setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			pthread_t t;
			pthread_attr_t at;
			pthread_attr_init(&at);
			pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
			if (pthread_create(&t, &at, client, (void *)(intptr_t)c) != 0)
				close(c);
			pthread_attr_destroy(&at);
		}
	}
	/* the stop: no new connections; the requests running get up to 10 s,
	 * as a server finishes its queries before it exits */
	close(lfd[0]);
	if (lfd[1] >= 0)
		close(lfd[1]);
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&active_lock);
		int a = active;
		pthread_mutex_unlock(&active_lock);
		if (!a)
			break;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&pool_lock);
	for (size_t i = 0; i < npool; i++)
		if (pool[i].c && !pool[i].busy)
			ch.close_conn(pool[i].c);
	pthread_mutex_unlock(&pool_lock);
	if (pidfile)
		unlink(pidfile);
	fputs("chdb_http: stopped\n", stderr);
	free(err.p);
	/* the engine's threads end with the process */
	_exit(0);
}
