/*
 * http.c: ClickHouse's HTTP interface over libcurl (ch.h): the
 * connection, the one escaping function, RowBinary, URLs. libcurl is
 * opened with the first connection (lazylib.h); without it a connection
 * is made all the same and each request fails, naming the library.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ch.h"
#include "lazylib.h"
#include "xalloc.h"

/* libcurl's functions, once lazylib_curl_open() said yes */
static const struct lazylib_curl *const cu = &lazylib_cu;

/* curl_easy_setopt() takes its value through "...", where nothing converts
 * it: each kind of option goes through its own function, which passes the
 * type libcurl reads for it, and the option is checked at compile time to
 * be of that kind (curl.h numbers each kind from its CURLOPTTYPE_; its own
 * gcc check cannot see a call through the table, lazylib.h). */
#define OPT_KIND(o, kind, next)                                                                   \
	((void)sizeof(struct {                                                                    \
		_Static_assert((o) >= (kind) && (o) < (next), #o ": not an option of this kind"); \
		char c;                                                                           \
	}))
#define opt_long(h, o, v) (OPT_KIND(o, CURLOPTTYPE_LONG, CURLOPTTYPE_OBJECTPOINT), set_long(h, o, v))
#define opt_ptr(h, o, v) (OPT_KIND(o, CURLOPTTYPE_OBJECTPOINT, CURLOPTTYPE_FUNCTIONPOINT), set_ptr(h, o, v))
#define opt_write(h, o, v) (OPT_KIND(o, CURLOPTTYPE_FUNCTIONPOINT, CURLOPTTYPE_OFF_T), set_write(h, o, v))
#define opt_off(h, o, v) (OPT_KIND(o, CURLOPTTYPE_OFF_T, CURLOPTTYPE_BLOB), set_off(h, o, v))

static void set_long(CURL *h, CURLoption o, long v)
{
	cu->curl_easy_setopt(h, o, v);
}

static void set_ptr(CURL *h, CURLoption o, const void *v)
{
	cu->curl_easy_setopt(h, o, v);
}

static void set_write(CURL *h, CURLoption o, curl_write_callback v)
{
	cu->curl_easy_setopt(h, o, v);
}

static void set_off(CURL *h, CURLoption o, curl_off_t v)
{
	cu->curl_easy_setopt(h, o, v);
}

/* ------------------------------------------------------------------ */
/* Escaping */

void ch_quote(struct util_buf *b, const char *s, size_t n)
{
	util_buf_putc(b, '\'');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' || c == '\'') {
			util_buf_putc(b, '\\');
			util_buf_putc(b, (char)c);
		} else if (c < 0x20 || c >= 0x7F) {
			/* control bytes, NUL, and every byte of UTF-8 (valid
			 * or not) as \xHH: the literal is plain ASCII, and
			 * ClickHouse turns each back into its byte */
			util_buf_printf(b, "\\x%02X", c);
		} else {
			util_buf_putc(b, (char)c);
		}
	}
	util_buf_putc(b, '\'');
}

bool ch_ident_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	return !isdigit((unsigned char)*s);
}

/* ------------------------------------------------------------------ */
/* URLs and credentials */

bool ch_url_is(const char *text)
{
	return text && (!strncmp(text, "clickhouse://", 13) || !strncmp(text, "clickhouses://", 14));
}

static char *pct_decode(const char *s, size_t n)
{
	char *o = xmalloc(n + 1), *w = o;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hx[3] = { s[i + 1], s[i + 2], 0 };
			*w++ = (char)strtol(hx, NULL, 16);
			i += 2;
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	return o;
}

/* user= and password= lines of a config file (missing file: nothing). */
static void read_config(const char *path, struct ch_url *u)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strncmp(line, "user=", 5) && !u->user)
			u->user = xstrdup(line + 5);
		else if (!strncmp(line, "password=", 9) && !u->password)
			u->password = xstrdup(line + 9);
	}
	fclose(f);
}

int ch_url_parse(const char *text, struct ch_url *u, char **cause)
{
	memset(u, 0, sizeof *u);
	const char *p;
	if (!strncmp(text, "clickhouse://", 13)) {
		p = text + 13;
	} else if (!strncmp(text, "clickhouses://", 14)) {
		p = text + 14;
		u->https = true;
	} else {
		return set_cause(cause, "%s: not a clickhouse:// URL", text);
	}
	if (strchr(p, '@'))
		return set_cause(cause,
				 "%s: credentials do not go in the URL: set AUDITSCOPE_CH_USER and "
				 "AUDITSCOPE_CH_PASSWORD, or a config file (AUDITSCOPE_CH_CONFIG)",
				 "clickhouse URL");
	const char *hend;
	if (*p == '[') {
		hend = strchr(p, ']');
		if (!hend)
			return set_cause(cause, "%s: unclosed '[' in the host", text);
		u->host = xstrndup(p + 1, (size_t)(hend - p - 1));
		hend++;
	} else {
		hend = p + strcspn(p, ":/?");
		u->host = xstrndup(p, (size_t)(hend - p));
	}
	if (!*u->host) {
		ch_url_clear(u);
		return set_cause(cause, "%s: no host", text);
	}
	u->port = u->https ? 8443 : 8123;
	p = hend;
	if (*p == ':') {
		char *end;
		long v = strtol(p + 1, &end, 10);
		if (end == p + 1 || v <= 0 || v > 65535) {
			ch_url_clear(u);
			return set_cause(cause, "%s: bad port", text);
		}
		u->port = (int)v;
		p = end;
	}
	if (*p == '/')
		p++;
	size_t dn = strcspn(p, "?");
	u->db = dn ? pct_decode(p, dn) : xstrdup("auditscope");
	if (!ch_ident_ok(u->db)) {
		set_cause(cause, "%s: database name must be letters, digits and _", text);
		ch_url_clear(u);
		return -1;
	}
	p += dn;
	if (*p == '?') {
		p++;
		while (*p) {
			size_t n = strcspn(p, "&");
			if (n > 5 && !strncmp(p, "case=", 5)) {
				free(u->casefile);
				u->casefile = pct_decode(p + 5, n - 5);
			} else if (n) {
				char *k = xstrndup(p, n);
				set_cause(cause, "%s: unknown URL parameter '%s' (only case=)",
					  "clickhouse URL", k);
				free(k);
				ch_url_clear(u);
				return -1;
			}
			p += n;
			if (*p == '&')
				p++;
		}
	}
	if (!u->casefile)
		u->casefile = xasprintf("%s.case", u->db);
	const char *e = getenv("AUDITSCOPE_CH_USER");
	if (e && *e)
		u->user = xstrdup(e);
	e = getenv("AUDITSCOPE_CH_PASSWORD");
	if (e)
		u->password = xstrdup(e);
	e = getenv("AUDITSCOPE_CH_CONFIG");
	if (e && *e) {
		read_config(e, u);
	} else if ((e = getenv("HOME")) && *e) {
		char *cf = xasprintf("%s/.config/auditscope/clickhouse", e);
		read_config(cf, u);
		free(cf);
	}
	return 0;
}

void ch_url_clear(struct ch_url *u)
{
	free(u->host);
	free(u->db);
	free(u->casefile);
	free(u->user);
	if (u->password)
		memset(u->password, 0, strlen(u->password));
	free(u->password);
	memset(u, 0, sizeof *u);
}

/* ------------------------------------------------------------------ */
/* The connection */

struct ch_conn {
	CURL *h;  /* NULL: libcurl could not be opened (unloaded says why) */
	CURLM *m; /* h runs in it: the wait for an answer is ours (run_transfer) */
	const char *unloaded;
	char *base; /* http://host:port/? (parameters follow, each ending in &) */
	char *name; /* clickhouse://host:port/db */
	char *user, *password;
	bool https;
	bool busy;             /* a transfer is running (a scan's callback may ask more) */
	bool fresh;            /* the next transfer on a new connection (ch_run's retry) */
	struct ch_conn *spare; /* the connection such nested requests use */
	unsigned long seq;
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_setup(void)
{
	cu->curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct ch_conn *ch_conn_new(const struct ch_url *u)
{
	struct ch_conn *c = xcalloc(1, sizeof *c);
	if (lazylib_curl_open(&c->unloaded) == 0)
		pthread_once(&curl_once, curl_setup);
	bool v6 = strchr(u->host, ':') != NULL;
	/* every statement names its tables with the database: none here,
	 * so that CREATE DATABASE can run before it exists */
	c->base = xasprintf("%s://%s%s%s:%d/?", u->https ? "https" : "http", v6 ? "[" : "", u->host,
			    v6 ? "]" : "", u->port);
	c->name = xasprintf("%s://%s%s%s:%d/%s", u->https ? "clickhouses" : "clickhouse", v6 ? "[" : "",
			    u->host, v6 ? "]" : "", u->port, u->db);
	c->user = u->user ? xstrdup(u->user) : NULL;
	c->password = u->password ? xstrdup(u->password) : NULL;
	c->https = u->https;
	if (!c->unloaded) {
		c->h = cu->curl_easy_init();
		c->m = cu->curl_multi_init();
	}
	return c;
}

void ch_conn_free(struct ch_conn *c)
{
	if (!c)
		return;
	ch_conn_free(c->spare);
	if (c->m)
		cu->curl_multi_cleanup(c->m);
	if (c->h)
		cu->curl_easy_cleanup(c->h);
	free(c->base);
	free(c->name);
	free(c->user);
	if (c->password)
		memset(c->password, 0, strlen(c->password));
	free(c->password);
	free(c);
}

const char *ch_conn_name(const struct ch_conn *c)
{
	return c->name;
}

struct xfer {
	struct ch_req *r;
	struct ch_conn *c;
	long status;
	struct util_buf err; /* the body of an error answer */
	char *fn_cause;
	bool fn_failed;
	struct timespec last;
	/* the server's progress (poll_progress) */
	const char *qid;
	struct timespec polled;
	int npolls;
	double done; /* < 0: not known */
};

static size_t on_data(char *p, size_t sz, size_t nm, void *ctx)
{
	struct xfer *x = ctx;
	size_t n = sz * nm;
	if (!x->status)
		cu->curl_easy_getinfo(x->c->h, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status != 200) {
		if (x->err.n < 65536)
			util_buf_add(&x->err, p, n);
		return n;
	}
	if (x->r->fn) {
		if (x->r->fn(x->r->ctx, p, n) < 0) {
			x->fn_failed = true;
			return 0;
		}
	} else if (x->r->out) {
		util_buf_add(x->r->out, p, n);
	}
	return n;
}

static double ms_since(const struct timespec *t, const struct timespec *now)
{
	return (double)(now->tv_sec - t->tv_sec) * 1e3 + (double)(now->tv_nsec - t->tv_nsec) / 1e6;
}

/* One short statement beside the connection's transfer (its own handle:
 * the connection's is busy), its answer into out (may be NULL), waiting
 * at most timeout_ms. */
static void side_request(struct ch_conn *c, const char *sql, bool write, long timeout_ms, struct util_buf *out);

/* The rows the query has read of the rows it will read, from the
 * server's list of running queries (18.16 sends no progress headers;
 * this works on every version): the share, or -1 when it says nothing
 * yet. 50 ms at most, so that a cancel is still answered at once. */
static double poll_progress(struct xfer *x)
{
	struct util_buf sql = { 0 }, out = { 0 };
	util_buf_puts(&sql, "SELECT read_rows, total_rows_approx FROM system.processes WHERE query_id = ");
	ch_quote(&sql, x->qid, strlen(x->qid));
	util_buf_puts(&sql, " FORMAT TabSeparated");
	side_request(x->c, util_buf_str(&sql), false, 50, &out);
	double done = -1;
	unsigned long long rd = 0, total = 0;
	if (out.n && sscanf(util_buf_str(&out), "%llu\t%llu", &rd, &total) == 2 && total > 0)
		done = rd >= total ? 1.0 : (double)rd / (double)total;
	util_buf_free(&sql);
	util_buf_free(&out);
	return done;
}

/* Every 50 ms of a transfer: the caller's progress (non-zero: it asks
 * to stop). */
static int tick(struct xfer *x)
{
	if (!x->r->pr)
		return 0;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ms_since(&x->last, &now) < 50)
		return 0;
	x->last = now;
	if (progress_report(x->r->pr, x->done) != 0) {
		x->r->cancelled = true;
		return 1;
	}
	/* a query that is still running after a moment: how far it is, every
	 * quarter of a second (the first ask waits 300 ms, so that the many
	 * short requests never ask), reported next time */
	if (ms_since(&x->polled, &now) >= (x->npolls ? 250 : 300)) {
		x->npolls++;
		double d = poll_progress(x);
		if (d >= 0)
			x->done = d;
		clock_gettime(CLOCK_MONOTONIC, &x->polled);
	}
	return 0;
}

static void url_add(struct util_buf *u, CURL *h, const char *key, const char *val)
{
	char *e = cu->curl_easy_escape(h, val, 0);
	util_buf_printf(u, "%s=%s&", key, e ? e : "");
	cu->curl_free(e);
}

/* One line from ClickHouse's error text: "Code: 60: Table x doesn't
 * exist." (18.16 says "Code: 60, e.displayText() = DB::Exception: ...,
 * e.what() = DB::Exception"; newer ones "Code: 60. DB::Exception: ..."). */
static char *error_line(const char *body)
{
	struct util_buf b = { 0 };
	const char *code = strstr(body, "Code: ");
	if (code) {
		util_buf_add(&b, code, 6 + strspn(code + 6, "0123456789"));
		util_buf_puts(&b, ": ");
	}
	const char *m = strstr(body, "DB::Exception: ");
	m = m ? m + 15 : code ? code + 6 + strspn(code + 6, "0123456789") : body;
	while (*m == ',' || *m == '.' || *m == ' ')
		m++;
	size_t n = strcspn(m, "\r\n");
	const char *what = strstr(m, ", e.what()");
	if (what && (size_t)(what - m) < n)
		n = (size_t)(what - m);
	for (size_t i = 0; i < n && i < 400; i++) {
		unsigned char ch = (unsigned char)m[i];
		util_buf_putc(&b, ch < 0x20 || ch == 0x7F ? ' ' : (char)ch);
	}
	return util_buf_take(&b);
}

static size_t side_data(char *p, size_t sz, size_t nm, void *ctx)
{
	struct util_buf *out = ctx;
	if (out && out->n < 4096)
		util_buf_add(out, p, sz * nm);
	return sz * nm;
}

static void side_request(struct ch_conn *c, const char *sql, bool write, long timeout_ms, struct util_buf *out)
{
	CURL *h = cu->curl_easy_init();
	if (!h)
		return;
	char *url = xasprintf("%s%s", c->base, write ? "" : "readonly=1&");
	opt_ptr(h, CURLOPT_URL, url);
	opt_ptr(h, CURLOPT_POSTFIELDS, sql);
	opt_long(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	opt_long(h, CURLOPT_NOSIGNAL, 1L);
	if (c->user) {
		opt_ptr(h, CURLOPT_USERNAME, c->user);
		opt_ptr(h, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
	opt_write(h, CURLOPT_WRITEFUNCTION, side_data);
	opt_ptr(h, CURLOPT_WRITEDATA, out);
	long status = 0;
	if (cu->curl_easy_perform(h) == CURLE_OK)
		cu->curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (out && status != 200)
		out->n = 0; /* an error's text is no answer */
	cu->curl_easy_cleanup(h);
	free(url);
}

static void kill_query(struct ch_conn *c, const char *qid)
{
	struct util_buf sql = { 0 };
	util_buf_puts(&sql, "KILL QUERY WHERE query_id = ");
	ch_quote(&sql, qid, strlen(qid));
	util_buf_puts(&sql, " ASYNC");
	side_request(c, util_buf_str(&sql), true, 5000, NULL);
	util_buf_free(&sql);
}

/*
 * The transfer of c->h, waiting in steps of at most 50 ms: libcurl's own
 * progress callback comes about once a second while the server computes
 * and sends nothing, too seldom for Esc to stop a long query at once.
 * The connection stays in c->m's cache for the next request.
 */
static CURLcode run_transfer(struct ch_conn *c, struct xfer *x)
{
	if (cu->curl_multi_add_handle(c->m, c->h) != CURLM_OK)
		return CURLE_FAILED_INIT;
	CURLcode rc = CURLE_OK;
	int running = 1;
	for (;;) {
		if (cu->curl_multi_perform(c->m, &running) != CURLM_OK) {
			rc = CURLE_FAILED_INIT;
			break;
		}
		if (!running)
			break;
		if (tick(x) != 0) {
			x->r->cancelled = true;
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		cu->curl_multi_wait(c->m, NULL, 0, 50, NULL);
	}
	int left;
	CURLMsg *msg;
	while ((msg = cu->curl_multi_info_read(c->m, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == c->h && !x->r->cancelled)
			rc = msg->data.result;
	cu->curl_multi_remove_handle(c->m, c->h);
	return rc;
}

int ch_run(struct ch_conn *c, struct ch_req *r, char **cause)
{
	if (!c->h || !c->m)
		return set_cause(cause, "%s: %s", c->name, c->unloaded ? c->unloaded : "out of memory");
	if (c->busy) {
		/* asked from inside a streamed answer's callback: another
		 * connection (one level deeper each time it nests) */
		if (!c->spare) {
			c->spare = xcalloc(1, sizeof *c->spare);
			c->spare->base = xstrdup(c->base);
			c->spare->name = xstrdup(c->name);
			c->spare->user = c->user ? xstrdup(c->user) : NULL;
			c->spare->password = c->password ? xstrdup(c->password) : NULL;
			c->spare->https = c->https;
			c->spare->h = cu->curl_easy_init();
			c->spare->m = cu->curl_multi_init();
		}
		return ch_run(c->spare, r, cause);
	}
	CURL *h = c->h;
	cu->curl_easy_reset(h);
	r->cancelled = false;
	char qid[64];
	snprintf(qid, sizeof qid, "auditscope-%ld-%lu-%lx", (long)getpid(), ++c->seq, (unsigned long)random());
	struct util_buf url = { 0 };
	util_buf_puts(&url, c->base);
	url_add(&url, h, "query_id", qid);
	if (!r->write)
		util_buf_puts(&url, "readonly=1&");
	bool sql_in_url = r->body || r->next;
	if (sql_in_url)
		url_add(&url, h, "query", r->sql);
	for (size_t i = 0; i < r->next; i++) {
		char k[96];
		snprintf(k, sizeof k, "%s_structure", r->ext[i].name);
		url_add(&url, h, k, r->ext[i].structure);
		snprintf(k, sizeof k, "%s_format", r->ext[i].name);
		url_add(&url, h, k, "TabSeparated");
	}
	curl_mime *mime = NULL;
	opt_ptr(h, CURLOPT_URL, util_buf_str(&url));
	if (r->next) {
		mime = cu->curl_mime_init(h);
		for (size_t i = 0; i < r->next; i++) {
			curl_mimepart *part = cu->curl_mime_addpart(mime);
			cu->curl_mime_name(part, r->ext[i].name);
			cu->curl_mime_filename(part, r->ext[i].name);
			cu->curl_mime_data(part, r->ext[i].data ? r->ext[i].data : "", r->ext[i].len);
		}
		opt_ptr(h, CURLOPT_MIMEPOST, mime);
	} else if (r->body) {
		opt_ptr(h, CURLOPT_POSTFIELDS, r->body);
		opt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, r->body_len);
	} else {
		opt_ptr(h, CURLOPT_POSTFIELDS, r->sql);
		opt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, strlen(r->sql));
	}
	struct curl_slist *hdr = cu->curl_slist_append(NULL, "Expect:");
	opt_ptr(h, CURLOPT_HTTPHEADER, hdr);
	if (c->user) {
		opt_ptr(h, CURLOPT_USERNAME, c->user);
		opt_ptr(h, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
	struct xfer x = { .r = r, .c = c, .qid = qid, .done = -1 };
	clock_gettime(CLOCK_MONOTONIC, &x.last);
	x.polled = x.last;
	c->errbuf[0] = '\0';
	opt_ptr(h, CURLOPT_ERRORBUFFER, c->errbuf);
	opt_write(h, CURLOPT_WRITEFUNCTION, on_data);
	opt_ptr(h, CURLOPT_WRITEDATA, &x);
	opt_long(h, CURLOPT_CONNECTTIMEOUT, 10L);
	opt_long(h, CURLOPT_NOSIGNAL, 1L);
	opt_long(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (c->fresh)
		opt_long(h, CURLOPT_FRESH_CONNECT, 1L);
	if (r->timeout_ms > 0)
		opt_long(h, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	r->timed_out = false;
	c->busy = true;
	CURLcode rc = run_transfer(c, &x);
	c->busy = false;
	if (!x.status)
		cu->curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x.status);
	cu->curl_slist_free_all(hdr);
	cu->curl_mime_free(mime);
	util_buf_free(&url);
	int ret = 0;
	if (rc == CURLE_ABORTED_BY_CALLBACK && r->cancelled) {
		kill_query(c, qid);
		ret = set_cause(cause, PROGRESS_CANCELLED);
	} else if (rc == CURLE_OPERATION_TIMEDOUT && r->timeout_ms > 0) {
		kill_query(c, qid);
		r->timed_out = true;
		ret = set_cause(cause, "%s: no answer within %ld ms", c->name, r->timeout_ms);
	} else if (x.fn_failed) {
		kill_query(c, qid);
		ret = -1; /* the callback set its own cause */
	} else if (rc != CURLE_OK) {
		ret = set_cause(cause, "%s: cannot reach the server (%s)", c->name,
				c->errbuf[0] ? c->errbuf : cu->curl_easy_strerror(rc));
	} else if (x.status != 200) {
		char *line = error_line(util_buf_str(&x.err));
		if (x.status == 400 && !*line && !c->fresh) {
			/* a bare 400 is the server's HTTP layer refusing what it
			 * read before any query ran (on a kept-alive connection,
			 * now and then, after a request with external data): the
			 * same request once more on a new connection */
			free(line);
			util_buf_free(&x.err);
			c->fresh = true;
			ret = ch_run(c, r, cause);
			c->fresh = false;
			return ret;
		}
		ret = set_cause(cause, "%s: %s%s", c->name, *line ? line : "HTTP error ",
				*line ? "" : "(no text)");
		free(line);
	}
	util_buf_free(&x.err);
	return ret;
}

int ch_exec(struct ch_conn *c, const char *sql, bool write, struct util_buf *out, char **cause)
{
	struct ch_req r = { .sql = sql, .write = write, .out = out };
	return ch_run(c, &r, cause);
}

int ch_read_ext(struct ch_conn *c, char *sql, const char *name, const char *structure, struct util_buf *data,
		struct util_buf *out, char **cause)
{
	struct ch_ext ext = { name, structure, data->p, data->n };
	struct ch_req req = { .sql = sql, .ext = &ext, .next = 1, .out = out };
	int r = ch_run(c, &req, cause);
	free(sql);
	util_buf_free(data);
	if (r < 0)
		util_buf_free(out);
	return r;
}

void ch_tsv_i64(struct util_buf *b, int64_t v)
{
	char t[24];
	char *e = t + sizeof t, *p = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	*--p = '\n';
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	util_buf_add(b, p, (size_t)(e - p));
}

/* ------------------------------------------------------------------ */
/* RowBinary */

static const char *need(struct ch_rd *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	const char *p = r->p;
	r->p += n;
	return p;
}

uint64_t ch_rd_u64(struct ch_rd *r)
{
	const unsigned char *p = (const unsigned char *)need(r, 8);
	if (!p)
		return 0;
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int64_t ch_rd_i64(struct ch_rd *r)
{
	return (int64_t)ch_rd_u64(r);
}

uint32_t ch_rd_u32(struct ch_rd *r)
{
	const unsigned char *p = (const unsigned char *)need(r, 4);
	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}

uint8_t ch_rd_u8(struct ch_rd *r)
{
	const unsigned char *p = (const unsigned char *)need(r, 1);
	return p ? p[0] : 0;
}

const char *ch_rd_str(struct ch_rd *r, size_t *n)
{
	uint64_t len = 0;
	for (int shift = 0;; shift += 7) {
		const unsigned char *p = (const unsigned char *)need(r, 1);
		if (!p || shift > 63) {
			r->bad = true;
			*n = 0;
			return "";
		}
		len |= (uint64_t)(*p & 0x7F) << shift;
		if (!(*p & 0x80))
			break;
	}
	const char *s = need(r, (size_t)len);
	*n = s ? (size_t)len : 0;
	return s ? s : "";
}

void ch_put_i64(struct util_buf *b, int64_t v)
{
	char t[8];
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++)
		t[i] = (char)(u >> (8 * i));
	util_buf_add(b, t, 8);
}

void ch_put_u32(struct util_buf *b, uint32_t v)
{
	char t[4] = { (char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24) };
	util_buf_add(b, t, 4);
}

void ch_put_u8(struct util_buf *b, uint8_t v)
{
	char t = (char)v;
	util_buf_add(b, &t, 1);
}

void ch_put_str(struct util_buf *b, const char *s, size_t n)
{
	uint64_t len = n;
	char t[10];
	size_t k = 0;
	do {
		unsigned char byte = len & 0x7F;
		len >>= 7;
		t[k++] = (char)(len ? byte | 0x80 : byte);
	} while (len);
	util_buf_add(b, t, k);
	if (n)
		util_buf_add(b, s, n);
}
