/*
 * hunt.c: the named hunts of hunt.h.
 *
 * Two shapes. Six hunts read every event (rare-apps, new-app-for-mailbox,
 * sync-access, throttled, token-replay, signin-then-mail): each is an
 * accumulator (begin, row, end) over one sequential scan of the narrow
 * events table, grouping in C hash tables, which costs less than letting
 * SQLite sort a million rows; hunt_run_all feeds all six from one scan.
 * Four need fields the store does not normalize (inbox rule parameters,
 * mailbox permissions, consent targets, audit settings): they select
 * their candidate events by operation (ev_op index) and read those raw
 * records in id order, decompressing each block once, split over a few
 * threads; hunt_run_all reads the union of their candidates once.
 * Building the rows (value texts, names, filters) happens on the calling
 * thread at the end.
 */
#include "hunt.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "knownapps.h"
#include "timeparse.h"
#include "util.h"
#include "xalloc.h"

#define HOUR_MS ((int64_t)3600 * 1000)
#define DAY_MS (24 * HOUR_MS)
/* Remove-InboxRule this soon after the rule was made counts as covering
 * tracks (the planted intrusion removes its rule two days later). */
#define RULE_REMOVED_WITHIN (7 * DAY_MS)
/* At most this many values are listed in one cell ("a, b, c, +4"). */
#define LIST_MAX 4

/* ------------------------------------------------------------------ */
/* The hunts and their columns */

static const struct hunt_col cols_rare_apps[] = {
	{ "app", HUNT_TEXT }, { "app_name", HUNT_TEXT }, { "client_app", HUNT_TEXT },
	{ "client_app_name", HUNT_TEXT }, { "mailboxes", HUNT_NUMBER }, { "events", HUNT_NUMBER },
	{ "ips", HUNT_NUMBER }, { "first", HUNT_TIME }, { "last", HUNT_TIME }, { "why", HUNT_TEXT },
};
static const struct hunt_col cols_new_app[] = {
	{ "mailbox", HUNT_TEXT }, { "app", HUNT_TEXT }, { "app_name", HUNT_TEXT }, { "first", HUNT_TIME },
	{ "last", HUNT_TIME }, { "events", HUNT_NUMBER }, { "ips", HUNT_NUMBER }, { "ip_list", HUNT_TEXT },
};
static const struct hunt_col cols_sync[] = {
	{ "mailbox", HUNT_TEXT }, { "app", HUNT_TEXT }, { "app_name", HUNT_TEXT }, { "client_app", HUNT_TEXT },
	{ "ip", HUNT_TEXT }, { "folder", HUNT_TEXT }, { "events", HUNT_NUMBER }, { "first", HUNT_TIME },
	{ "last", HUNT_TIME }, { "why", HUNT_TEXT },
};
static const struct hunt_col cols_throttled[] = {
	{ "mailbox", HUNT_TEXT }, { "throttled", HUNT_TIME }, { "unaudited_until", HUNT_TIME },
	{ "records", HUNT_NUMBER }, { "app", HUNT_TEXT }, { "ip", HUNT_TEXT },
};
static const struct hunt_col cols_rules[] = {
	{ "time", HUNT_TIME }, { "op", HUNT_TEXT }, { "user", HUNT_TEXT }, { "mailbox", HUNT_TEXT },
	{ "rule", HUNT_TEXT }, { "why", HUNT_TEXT }, { "ip", HUNT_TEXT },
};
static const struct hunt_col cols_admin[] = {
	{ "time", HUNT_TIME }, { "op", HUNT_TEXT }, { "user", HUNT_TEXT }, { "target", HUNT_TEXT },
	{ "why", HUNT_TEXT }, { "ip", HUNT_TEXT },
};
static const struct hunt_col cols_consent[] = {
	{ "time", HUNT_TIME }, { "op", HUNT_TEXT }, { "user", HUNT_TEXT }, { "app", HUNT_TEXT },
	{ "app_name", HUNT_TEXT }, { "why", HUNT_TEXT }, { "ip", HUNT_TEXT },
};
static const struct hunt_col cols_replay[] = {
	{ "kind", HUNT_TEXT }, { "id", HUNT_TEXT }, { "ips", HUNT_NUMBER }, { "ip_list", HUNT_TEXT },
	{ "users", HUNT_TEXT }, { "events", HUNT_NUMBER }, { "first", HUNT_TIME }, { "last", HUNT_TIME },
};
static const struct hunt_col cols_signin[] = {
	{ "user", HUNT_TEXT }, { "ip", HUNT_TEXT }, { "signin", HUNT_TIME }, { "mail", HUNT_TIME },
	{ "minutes", HUNT_NUMBER }, { "mail_events", HUNT_NUMBER }, { "mailboxes", HUNT_TEXT },
};

#define COLS(a) a, sizeof a / sizeof a[0]

static const struct hunt_def defs[HUNT_COUNT] = {
	{ HUNT_RARE_APPS, "rare-apps", "apps that read mail, fewest mailboxes first; hits: not a known Microsoft app",
	  COLS(cols_rare_apps) },
	{ HUNT_NEW_APP_FOR_MAILBOX, "new-app-for-mailbox",
	  "a mailbox read by an app it never used during the baseline", COLS(cols_new_app) },
	{ HUNT_SYNC_ACCESS, "sync-access", "folders synchronised in bulk (Sync); hits: not a known Microsoft app",
	  COLS(cols_sync) },
	{ HUNT_THROTTLED, "throttled", "mailboxes throttled (IsThrottled): 24 hours of reads went unaudited",
	  COLS(cols_throttled) },
	{ HUNT_INBOX_RULES, "inbox-rules",
	  "inbox rules that forward, delete, mark read, hide mail or have a throwaway name", COLS(cols_rules) },
	{ HUNT_FORWARDING, "forwarding",
	  "mailbox forwarding, FullAccess/SendAs grants, folder permissions, transport rules", COLS(cols_admin) },
	{ HUNT_OAUTH_CONSENT, "oauth-consent",
	  "consents, permission grants, app credentials, then mail read by that app", COLS(cols_consent) },
	{ HUNT_TOKEN_REPLAY, "token-replay", "one session or token id used from two or more IPs",
	  COLS(cols_replay) },
	{ HUNT_SIGNIN_THEN_MAIL, "signin-then-mail",
	  "sign-in from an IP new for the user, then mail read from it within an hour", COLS(cols_signin) },
	{ HUNT_ANTI_FORENSICS, "anti-forensics",
	  "audit settings changed, audit bypass, inbox rules removed soon after creation", COLS(cols_admin) },
};

const struct hunt_def *hunt_def(enum hunt_id id)
{
	return (unsigned)id < HUNT_COUNT ? &defs[id] : NULL;
}

const struct hunt_def *hunt_find(const char *name)
{
	for (int i = 0; name && i < HUNT_COUNT; i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

void hunt_opts_init(struct hunt_opts *o)
{
	memset(o, 0, sizeof *o);
	o->baseline_until = INT64_MIN;
}

/* ------------------------------------------------------------------ */
/* Small tools */

/* Characters (not bytes) of UTF-8 text. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static bool only_punct(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!ispunct((unsigned char)*s) && !isspace((unsigned char)*s))
			return false;
	return true;
}

static bool truthy(const char *v)
{
	return v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "$true") == 0 || strcmp(v, "1") == 0);
}

static bool falsy(const char *v)
{
	return v && (strcasecmp(v, "false") == 0 || strcasecmp(v, "$false") == 0 || strcmp(v, "0") == 0);
}

static bool blank(const char *v)
{
	if (!v)
		return true;
	for (; *v; v++)
		if (!isspace((unsigned char)*v))
			return false;
	return true;
}

/* Case-insensitive substring search. */
static const char *strcasestr_n(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Filter texts */

char *hunt_filter_quote(const char *v)
{
	if (!v)
		return xstrdup("\"\"");
	bool bare = *v && *v != '-';
	for (const char *p = v; *p && bare; p++) {
		unsigned char c = (unsigned char)*p;
		/* conservative: what the filter language reads as a plain value */
		if (!(isalnum(c) || strchr("@._:/+-", c) || c >= 0x80))
			bare = false;
	}
	if (bare)
		return xstrdup(v);
	struct util_buf b = { 0 };
	util_buf_puts(&b, "\"");
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			util_buf_puts(&b, "\\");
		util_buf_add(&b, p, 1);
	}
	util_buf_puts(&b, "\"");
	return util_buf_take(&b);
}

static void f_term(struct util_buf *f, const char *field, const char *value)
{
	char *q = hunt_filter_quote(value ? value : "");
	if (f->n)
		util_buf_puts(f, " ");
	util_buf_printf(f, "%s=%s", field, q);
	free(q);
}

/* time>=FROM time<TO, whole seconds, covering [from, to]. */
static void f_time(struct util_buf *f, int64_t from, int64_t to)
{
	int64_t a = from - (((from % 1000) + 1000) % 1000);
	int64_t b = to - (((to % 1000) + 1000) % 1000) + 1000;
	char ta[40], tb[40];
	time_format(a, ta, sizeof ta);
	time_format(b, tb, sizeof tb);
	/* 2023-06-18T02:33:46.000Z -> 2023-06-18T02:33:46Z */
	memcpy(ta + 19, "Z", 2);
	memcpy(tb + 19, "Z", 2);
	if (f->n)
		util_buf_puts(f, " ");
	util_buf_printf(f, "time>=%s time<%s", ta, tb);
}

/* ------------------------------------------------------------------ */
/* The run */

struct hctx {
	struct store *st;
	sqlite3 *db;
	struct hunt_opts o;
	struct hunt_result *r;
	size_t cap;
	struct knownapps *ka;
	sqlite3_stmt *val_q;
	char *err;
	bool cancelled;
	struct util_ivec mia; /* value ids of MailItemsAccessed (any case) */
	struct rawshare *share; /* hunt_run_all: one raw pass for all */
	void *acc;       /* a scan hunt's accumulator */
	bool idle;       /* nothing to do (no baseline in an empty case) */
	bool shared;     /* run by hunt_run_all */
	double t0, spent; /* its clock; time of its own parts when shared */
};

static int on_progress(void *ctx)
{
	struct hctx *h = ctx;
	if (h->o.cancel && h->o.cancel(h->o.ctx)) {
		h->cancelled = true;
		return 1;
	}
	return 0;
}

static int fail_db(struct hctx *h)
{
	if (!h->err)
		h->err = h->cancelled ? xstrdup("interrupted") : xasprintf("case: %s", sqlite3_errmsg(h->db));
	return -1;
}

static bool cancelled(struct hctx *h)
{
	if (!h->cancelled && h->o.cancel && h->o.cancel(h->o.ctx))
		h->cancelled = true;
	if (h->cancelled && !h->err)
		h->err = xstrdup("interrupted");
	return h->cancelled;
}

static sqlite3_stmt *prep(struct hctx *h, const char *sql)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(h->db, sql, -1, &q, NULL) != SQLITE_OK) {
		fail_db(h);
		return NULL;
	}
	return q;
}

/*
 * Scans say "FROM events NOT INDEXED": given "ip IS NOT NULL" or a time
 * range over half the case, SQLite would walk a partial or time index
 * and fetch each row from the table in index order, which on a million
 * events re-reads table pages many times over; one pass in rowid order
 * reads each page once.
 */

/* The text of value id (caller frees), or NULL. */
static char *vtext(struct hctx *h, int64_t id)
{
	if (id <= 0)
		return NULL;
	if (!h->val_q && !(h->val_q = prep(h, "SELECT v FROM vals WHERE id = ?")))
		return NULL;
	sqlite3_bind_int64(h->val_q, 1, id);
	char *s = NULL;
	if (sqlite3_step(h->val_q) == SQLITE_ROW && sqlite3_column_text(h->val_q, 0))
		s = xstrdup((const char *)sqlite3_column_text(h->val_q, 0));
	sqlite3_reset(h->val_q);
	return s;
}

static int64_t col_id(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, i);
}

/*
 * Value ids of each name (any case); with dot, also of the name with a
 * period after it: the UAL writes Entra operations as "Consent to
 * application." where Entra's own log writes "Consent to application".
 */
static int val_ids(struct hctx *h, const char *const *names, bool dot, struct util_ivec *out)
{
	sqlite3_stmt *q = prep(h, "SELECT id FROM vals WHERE v = ? COLLATE NOCASE");
	if (!q)
		return -1;
	for (size_t i = 0; names[i]; i++) {
		for (int v = 0; v < (dot ? 2 : 1); v++) {
			char *s = v ? xasprintf("%s.", names[i]) : xstrdup(names[i]);
			sqlite3_bind_text(q, 1, s, -1, SQLITE_TRANSIENT);
			free(s);
			int k;
			while ((k = sqlite3_step(q)) == SQLITE_ROW)
				if (!util_ivec_has(out, sqlite3_column_int64(q, 0)))
					util_ivec_push(out, sqlite3_column_int64(q, 0));
			sqlite3_reset(q);
			if (k != SQLITE_DONE) {
				sqlite3_finalize(q);
				return fail_db(h);
			}
		}
	}
	sqlite3_finalize(q);
	return 0;
}

/* "?,?,?" for n values, numbered from first (?first, ?first+1, ...). */
static char *marks(size_t n, int first)
{
	struct util_buf b = { 0 };
	for (size_t i = 0; i < n; i++)
		util_buf_printf(&b, "%s?%d", i ? "," : "", first + (int)i);
	if (!n)
		util_buf_puts(&b, "NULL");
	return util_buf_take(&b);
}

static void bind_ids(sqlite3_stmt *q, const struct util_ivec *ids, int first)
{
	for (size_t i = 0; i < ids->n; i++)
		sqlite3_bind_int64(q, first + (int)i, ids->v[i]);
}

/* Prepare sql after replacing each "%s" with the marks of ids (numbered
 * from first; all %s get the same set). */
static sqlite3_stmt *prep_in(struct hctx *h, const char *sql, const struct util_ivec *ids, int first)
{
	char *m = marks(ids->n, first);
	struct util_buf b = { 0 };
	for (const char *p = sql; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			util_buf_puts(&b, m);
			p++;
		} else {
			util_buf_add(&b, p, 1);
		}
	}
	free(m);
	char *s = util_buf_take(&b);
	sqlite3_stmt *q = prep(h, s);
	free(s);
	if (q)
		bind_ids(q, ids, first);
	return q;
}

/* ------------------------------------------------------------------ */
/* Rows */

static struct hunt_row *row_new(struct hctx *h, bool hit)
{
	struct hunt_result *r = h->r;
	r->rows = xgrow(r->rows, &h->cap, r->nrows + 1, sizeof *r->rows);
	struct hunt_row *row = &r->rows[r->nrows++];
	memset(row, 0, sizeof *row);
	row->vals = xcalloc(r->def->ncols, sizeof *row->vals);
	row->hit = hit;
	row->first_ts = INT64_MAX;
	row->last_ts = INT64_MIN;
	return row;
}

static void row_set(struct hunt_row *row, size_t col, const char *v)
{
	free(row->vals[col]);
	row->vals[col] = v ? xstrdup(v) : NULL;
}

/* Takes ownership of v. */
static void row_take(struct hunt_row *row, size_t col, char *v)
{
	free(row->vals[col]);
	row->vals[col] = v;
}

static void row_num(struct hunt_row *row, size_t col, int64_t n)
{
	row_take(row, col, xasprintf("%" PRId64, n));
}

static void row_time(struct hunt_row *row, size_t col, int64_t ms)
{
	char t[40];
	time_format(ms, t, sizeof t);
	row_set(row, col, t);
}

/* One event behind the row (ids kept for hit rows only). */
static void row_event(struct hunt_row *row, int64_t id, int64_t ts)
{
	if (row->hit) {
		size_t n = row->nevents; /* capacity doubles at powers of two */
		if (n == 0 || (n >= 4 && (n & (n - 1)) == 0))
			row->events = xrealloc(row->events, (n ? 2 * n : 4) * sizeof *row->events);
		row->events[n] = id;
	}
	row->nevents++;
	if (ts < row->first_ts)
		row->first_ts = ts;
	if (ts > row->last_ts)
		row->last_ts = ts;
}

static void row_filter(struct hunt_row *row, struct util_buf *f)
{
	free(row->filter);
	row->filter = util_buf_take(f);
}

static void row_free(struct hunt_row *row, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++)
		free(row->vals[i]);
	free(row->vals);
	free(row->filter);
	free(row->events);
}

/* "a, b, c, +2" of up to LIST_MAX texts of value ids. */
static char *id_list(struct hctx *h, const struct util_ivec *ids)
{
	struct util_buf b = { 0 };
	for (size_t i = 0; i < ids->n && i < LIST_MAX; i++) {
		char *s = vtext(h, ids->v[i]);
		if (b.n)
			util_buf_puts(&b, ", ");
		util_buf_puts(&b, s ? s : "");
		free(s);
	}
	if (ids->n > LIST_MAX)
		util_buf_printf(&b, ", +%zu", ids->n - LIST_MAX);
	return util_buf_take(&b);
}

static const char *app_name(struct hctx *h, const char *id)
{
	return id ? knownapps_lookup(h->ka, id, NULL) : NULL;
}

/* ------------------------------------------------------------------ */
/* Raw records */

/* The record as JSON, unwrapped from the Graph audit query's auditData
 * (or a wrapper's AuditData string); NULL when absent or not JSON.
 * *text (may be NULL) gets the raw text. Needs only st: worker threads
 * call it on their own connections. */
static json_t *raw_parse(struct store *st, int64_t id, char **text)
{
	size_t len;
	char *t = store_raw(st, id, &len);
	if (!t)
		return NULL;
	json_t *j = json_loadb(t, len, 0, NULL);
	if (text)
		*text = t;
	else
		free(t);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	json_t *in = json_object_get(j, "auditData");
	if (!in)
		in = json_object_get(j, "AuditData");
	if (json_is_object(in)) {
		json_incref(in);
		json_decref(j);
		return in;
	}
	if (json_is_string(in)) {
		json_t *p = json_loads(json_string_value(in), 0, NULL);
		if (json_is_object(p)) {
			json_decref(j);
			return p;
		}
		json_decref(p);
	}
	return j;
}

/* A JSON value as text (caller frees): strings as they are, true/false
 * as PowerShell prints them, the rest compact JSON; NULL for null. */
static char *jtext(json_t *v)
{
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_true(v))
		return xstrdup("True");
	if (json_is_false(v))
		return xstrdup("False");
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *d = xstrdup(s ? s : "");
	free(s);
	return d;
}

/* Member key of o as an array; a string holding a JSON array (Sentinel
 * rows) is parsed into *owned. */
static json_t *jarray(json_t *o, const char *key, json_t **owned)
{
	*owned = NULL;
	json_t *a = json_object_get(o, key);
	if (json_is_string(a)) {
		*owned = json_loads(json_string_value(a), JSON_DECODE_ANY, NULL);
		a = *owned;
	}
	return json_is_array(a) ? a : NULL;
}

/* Value of the {Name, Value} pair called name in o[key] (any case), as
 * text (caller frees), or NULL. ModifiedProperties give NewValue. */
static char *nv_get(json_t *o, const char *key, const char *name)
{
	json_t *owned;
	json_t *a = jarray(o, key, &owned);
	char *out = NULL;
	size_t i;
	json_t *el;
	json_array_foreach(a, i, el) {
		json_t *n = json_object_get(el, "Name");
		if (!json_is_string(n) || strcasecmp(json_string_value(n), name) != 0)
			continue;
		json_t *v = json_object_get(el, "Value");
		if (!v)
			v = json_object_get(el, "NewValue");
		out = jtext(v);
		break;
	}
	json_decref(owned);
	return out;
}

static char *param(json_t *o, const char *name)
{
	return nv_get(o, "Parameters", name);
}

/* The part of an Exchange identity after the last '\' (a rule's name in
 * "mailbox\rule"), or NULL when there is none. */
static const char *after_backslash(const char *s)
{
	const char *b = s ? strrchr(s, '\\') : NULL;
	return b ? b + 1 : NULL;
}

/* The mailbox of an identity "…/contoso.onmicrosoft.com/user@x\rule" or
 * "user@x\rule" (caller frees), or NULL. */
static char *identity_owner(const char *s)
{
	if (!s)
		return NULL;
	const char *end = strrchr(s, '\\');
	if (!end)
		end = s + strlen(s);
	const char *start = s;
	for (const char *p = s; p < end; p++)
		if (*p == '/')
			start = p + 1;
	if (end == start || !memchr(start, '@', (size_t)(end - start)))
		return NULL; /* a mailbox GUID or a path: the caller knows better */
	return xstrndup(start, (size_t)(end - start));
}

/* An Exchange identity without its organisation path
 * ("NAMPR.../Microsoft Exchange Hosted Organizations/x.onmicrosoft.com/
 * Discovery Management" becomes "Discovery Management"); caller frees. */
static char *short_id(const char *s)
{
	if (!s)
		return NULL;
	const char *t = strrchr(s, '/');
	return xstrdup(t && t[1] ? t + 1 : s);
}

/* An event chosen by operation, with its normalized fields. */
struct cand {
	int64_t id, ts, kind, op, user, ip, app, mailbox;
	char *optext;  /* the operation's text */
	unsigned mask; /* which raw hunts read it (1 << RAW_...) */
};

static void cands_free(struct cand *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].optext);
	free(c);
}

/* Events whose op is one of ops, in id order (raw blocks read once). */
static int candidates(struct hctx *h, const struct util_ivec *ops, struct cand **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!ops->n)
		return 0;
	sqlite3_stmt *q = prep_in(h,
				  "SELECT id, ts, kind, op, user, ip, app, mailbox FROM events"
				  " WHERE op IN (%s) ORDER BY id",
				  ops, 1);
	if (!q)
		return -1;
	char **optext = xcalloc(ops->n, sizeof *optext);
	for (size_t i = 0; i < ops->n; i++)
		optext[i] = vtext(h, ops->v[i]);
	size_t cap = 0;
	int k;
	while ((k = sqlite3_step(q)) == SQLITE_ROW) {
		*out = xgrow(*out, &cap, *n + 1, sizeof **out);
		struct cand *c = &(*out)[(*n)++];
		c->id = sqlite3_column_int64(q, 0);
		c->ts = sqlite3_column_int64(q, 1);
		c->kind = sqlite3_column_int64(q, 2);
		c->op = col_id(q, 3);
		c->user = col_id(q, 4);
		c->ip = col_id(q, 5);
		c->app = col_id(q, 6);
		c->mailbox = col_id(q, 7);
		c->optext = NULL;
		c->mask = 0;
		for (size_t i = 0; i < ops->n; i++)
			if (ops->v[i] == c->op && optext[i])
				c->optext = xstrdup(optext[i]);
		if (!c->optext)
			c->optext = xstrdup("");
	}
	sqlite3_finalize(q);
	for (size_t i = 0; i < ops->n; i++)
		free(optext[i]);
	free(optext);
	if (k != SQLITE_DONE) {
		cands_free(*out, *n);
		*out = NULL;
		*n = 0;
		return fail_db(h);
	}
	return 0;
}

/*
 * What a raw record says, worked out away from the database (so that
 * several threads can do it): the evaluators below fill it, the hunts
 * turn it into rows on the calling thread. Strings are owned.
 */
struct facts {
	char *why;    /* reasons; NULL or "" when the event is not a finding */
	char *name;   /* an inbox rule's name */
	char *owner;  /* the mailbox or object the event is about */
	char *app;    /* consent records: the app id */
	bool seen;    /* the raw record was read and parsed */
	bool context; /* listed for context, not a finding */
};

static void facts_free(struct facts *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free(f[i].why);
		free(f[i].name);
		free(f[i].owner);
		free(f[i].app);
	}
	free(f);
}

typedef void (*eval_fn)(const struct cand *c, json_t *rec, const char *text, struct facts *out);

/*
 * The hunts that read raw records. Each names its operations and an
 * evaluator; alone, a hunt reads its own candidates; hunt_run_all reads
 * the union once and hands each hunt its part (inbox rules and
 * anti-forensics both read New-InboxRule, forwarding and anti-forensics
 * both read Set-Mailbox).
 */
enum { RAW_RULES, RAW_FORWARDING, RAW_ANTI, RAW_CONSENT, RAW_NHUNTS };

struct raw_hunt {
	const char *const *names;
	bool dot; /* also "name." (Entra operations in the UAL) */
	eval_fn eval;
};
static const struct raw_hunt raw_hunts[RAW_NHUNTS];

/* Does operation text op belong to raw hunt k? */
static bool raw_hunt_has(int k, const char *op)
{
	const struct raw_hunt *r = &raw_hunts[k];
	size_t n = strlen(op);
	for (size_t i = 0; r->names[i]; i++) {
		if (strcasecmp(op, r->names[i]) == 0)
			return true;
		size_t m = strlen(r->names[i]);
		if (r->dot && n == m + 1 && op[m] == '.' && strncasecmp(op, r->names[i], m) == 0)
			return true;
	}
	return false;
}

/* One raw pass shared by the hunts of hunt_run_all. */
struct rawshare {
	bool done;
	struct cand *c;
	size_t n;
	struct facts *f; /* n * RAW_NHUNTS */
};

static json_t *raw_parse(struct store *st, int64_t id, char **text);

struct rawjob {
	struct store *st;    /* the worker's own connection (or the caller's) */
	const struct cand *c;
	struct facts *out;   /* RAW_NHUNTS slots per candidate */
	size_t n;
	atomic_bool *stop;
};

static void rawjob_run(struct rawjob *j)
{
	for (size_t i = 0; i < j->n && !atomic_load(j->stop); i++) {
		char *text = NULL;
		json_t *rec = raw_parse(j->st, j->c[i].id, &text);
		for (int k = 0; rec && k < RAW_NHUNTS; k++) {
			if (!(j->c[i].mask & (1u << k)))
				continue;
			struct facts *f = &j->out[i * RAW_NHUNTS + (size_t)k];
			f->seen = true;
			raw_hunts[k].eval(&j->c[i], rec, text, f);
		}
		json_decref(rec);
		free(text);
	}
}

static void *rawjob_thread(void *arg)
{
	rawjob_run(arg);
	return NULL;
}

/* Candidates below this many are read on the calling thread alone. */
#define RAW_THREADS_MIN 256
#define RAW_THREADS_MAX 4

/*
 * Read the raw record of each candidate (ascending ids) and evaluate it
 * for each raw hunt in its mask, into out[i * RAW_NHUNTS + k]. Raw
 * records are compressed in blocks of a few hundred consecutive events,
 * and candidates picked by operation fall in most of them, so the work
 * is decompressing blocks: it is split into contiguous id ranges, one
 * per core (up to RAW_THREADS_MAX), each read through its own read-only
 * connection to the case. The calling thread takes the first range and
 * polls for cancellation.
 */
static int raw_pass(struct hctx *h, const struct cand *c, size_t n, struct facts **out)
{
	*out = xcalloc(n ? n * RAW_NHUNTS : 1, sizeof **out);
	atomic_bool stop;
	atomic_init(&stop, false);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = n < RAW_THREADS_MIN || cpus < 2 ? 1 : (size_t)(cpus < RAW_THREADS_MAX ? cpus : RAW_THREADS_MAX);
	/* tests and benchmarks choose (1: the calling thread only) */
	const char *force = getenv("AUDITSCOPE_HUNT_THREADS");
	if (force && atoi(force) >= 1)
		nt = (size_t)(atoi(force) < RAW_THREADS_MAX ? atoi(force) : RAW_THREADS_MAX);
	if (nt > n)
		nt = n ? n : 1;
	struct rawjob jobs[RAW_THREADS_MAX];
	pthread_t tids[RAW_THREADS_MAX];
	bool started[RAW_THREADS_MAX] = { false };
	json_object_seed(0); /* before any thread makes objects */
	for (size_t t = 0; t < nt; t++) {
		size_t a = n * t / nt, b = n * (t + 1) / nt;
		jobs[t] = (struct rawjob){ h->st, c + a, *out + a * RAW_NHUNTS, b - a, &stop };
		if (t == 0)
			continue;
		char *why = NULL;
		if (store_open(store_path(h->st), STORE_READONLY, &jobs[t].st, &why) < 0) {
			free(why);
			jobs[t].st = NULL; /* read this range here afterwards */
			continue;
		}
		if (pthread_create(&tids[t], NULL, rawjob_thread, &jobs[t]) == 0) {
			started[t] = true;
		} else {
			store_close(jobs[t].st);
			jobs[t].st = NULL;
		}
	}
	/* the first range here, in slices, looking at cancel in between */
	struct rawjob mine = jobs[0];
	for (size_t i = 0; i < mine.n && !atomic_load(&stop); i += 64) {
		struct rawjob slice = mine;
		slice.c += i;
		slice.out += i * RAW_NHUNTS;
		slice.n = mine.n - i < 64 ? mine.n - i : 64;
		rawjob_run(&slice);
		if (cancelled(h))
			atomic_store(&stop, true);
	}
	for (size_t t = 1; t < nt; t++) {
		if (started[t]) {
			pthread_join(tids[t], NULL);
			store_close(jobs[t].st);
		} else if (!atomic_load(&stop)) {
			jobs[t].st = h->st;
			rawjob_run(&jobs[t]);
		}
	}
	if (atomic_load(&stop) || cancelled(h)) {
		facts_free(*out, n * RAW_NHUNTS);
		*out = NULL;
		if (!h->err)
			h->err = xstrdup("interrupted");
		return -1;
	}
	return 0;
}

/* Candidates of the raw hunts in mask, each with its mask set. */
static int raw_select(struct hctx *h, unsigned mask, struct cand **c, size_t *n)
{
	struct util_ivec ops = { 0 };
	for (int k = 0; k < RAW_NHUNTS; k++)
		if (mask & (1u << k) && val_ids(h, raw_hunts[k].names, raw_hunts[k].dot, &ops) < 0) {
			util_ivec_free(&ops);
			return -1;
		}
	int rc = candidates(h, &ops, c, n);
	util_ivec_free(&ops);
	for (size_t i = 0; rc == 0 && i < *n; i++)
		for (int k = 0; k < RAW_NHUNTS; k++)
			if (mask & (1u << k) && raw_hunt_has(k, (*c)[i].optext))
				(*c)[i].mask |= 1u << k;
	return rc;
}

static void rawshare_clear(struct rawshare *sh)
{
	facts_free(sh->f, sh->n * RAW_NHUNTS);
	cands_free(sh->c, sh->n);
	memset(sh, 0, sizeof *sh);
}

static int cmp_cand_ts(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * A row for one event of an admin hunt: time, op, user, <the columns
 * the caller sets>, ip, with a filter selecting the event by operation,
 * user and its second.
 */
static struct hunt_row *event_row(struct hctx *h, const struct cand *c, size_t ip_col, bool hit)
{
	struct hunt_row *row = row_new(h, hit);
	char *user = vtext(h, c->user), *ip = vtext(h, c->ip);
	row_time(row, 0, c->ts);
	row_set(row, 1, c->optext);
	row_set(row, 2, user);
	row_set(row, ip_col, ip);
	row_event(row, c->id, c->ts);
	struct util_buf f = { 0 };
	f_term(&f, "op", c->optext);
	if (user)
		f_term(&f, "user", user);
	f_time(&f, c->ts, c->ts);
	row_filter(row, &f);
	free(user);
	free(ip);
	return row;
}

static bool is_op(const struct cand *c, const char *op)
{
	return strcasecmp(c->optext, op) == 0;
}

/*
 * anti-forensics alone reads a New-InboxRule only when a Remove-InboxRule
 * follows it closely enough to match (RULE_REMOVED_WITHIN): most cases
 * have many rules and few removals, and every raw record read costs a
 * block. The candidates stay in id order.
 */
static void prune_rule_makers(struct cand *c, size_t *n)
{
	struct util_ivec removed = { 0 };
	for (size_t i = 0; i < *n; i++)
		if (is_op(&c[i], "Remove-InboxRule"))
			util_ivec_push(&removed, c[i].ts);
	size_t w = 0;
	for (size_t i = 0; i < *n; i++) {
		bool keep = !is_op(&c[i], "New-InboxRule");
		for (size_t j = 0; !keep && j < removed.n; j++)
			keep = c[i].ts <= removed.v[j] && removed.v[j] - c[i].ts <= RULE_REMOVED_WITHIN;
		if (keep)
			c[w++] = c[i];
		else
			free(c[i].optext);
	}
	*n = w;
	util_ivec_free(&removed);
}

/*
 * The candidates of raw hunt k, read and evaluated: *c and *f (one
 * facts each) are the caller's. With a share (hunt_run_all), the first
 * raw hunt reads every raw hunt's candidates; the others take theirs.
 */
static int raw_candidates(struct hctx *h, int k, struct cand **c, size_t *n, struct facts **f)
{
	*c = NULL;
	*f = NULL;
	*n = 0;
	struct rawshare own = { 0 }, *sh = h->share ? h->share : &own;
	if (!sh->done) {
		unsigned mask = h->share ? (1u << RAW_NHUNTS) - 1 : 1u << k;
		int rc = raw_select(h, mask, &sh->c, &sh->n);
		if (rc == 0 && !h->share && k == RAW_ANTI)
			prune_rule_makers(sh->c, &sh->n);
		if (rc < 0 || raw_pass(h, sh->c, sh->n, &sh->f) < 0) {
			rawshare_clear(sh);
			return -1;
		}
		sh->done = true;
	}
	size_t m = 0;
	for (size_t i = 0; i < sh->n; i++)
		m += (sh->c[i].mask >> k) & 1;
	*c = xcalloc(m ? m : 1, sizeof **c);
	*f = xcalloc(m ? m : 1, sizeof **f);
	for (size_t i = 0; i < sh->n; i++) {
		if (!(sh->c[i].mask & (1u << k)))
			continue;
		(*c)[*n] = sh->c[i];
		(*c)[*n].optext = xstrdup(sh->c[i].optext);
		/* the facts move to the caller */
		struct facts *src = &sh->f[i * RAW_NHUNTS + (size_t)k];
		(*f)[*n] = *src;
		memset(src, 0, sizeof *src);
		(*n)++;
	}
	rawshare_clear(&own);
	return 0;
}

/* ------------------------------------------------------------------ */
/*
 * The hunts that read every event (rare-apps, new-app-for-mailbox,
 * sync-access, throttled, token-replay, signin-then-mail) are written as
 * accumulators over one sequential scan of the events table: begin sets
 * up, row sees each event, end builds the rows. Alone, a hunt scans for
 * itself; hunt_run_all scans once for all six.
 */

/* One event of the scan (value ids; 0 when absent, or not read). */
struct evrow {
	int64_t id, ts, kind, op, user, app, capp, ip, mailbox, access, session, token, result;
	int64_t flags;
};

/* The columns of evrow, in order; a scan reads only those its hunts use
 * (each one read costs every row of a million). */
static const char *const ev_cols[] = { "id", "ts", "kind", "op", "user", "app", "client_app", "ip",
				       "mailbox", "access", "session", "token", "result", "flags" };
#define EV_NCOLS (sizeof ev_cols / sizeof ev_cols[0])
#define C(name) (1u << EVC_##name)
enum { EVC_id, EVC_ts, EVC_kind, EVC_op, EVC_user, EVC_app, EVC_capp, EVC_ip, EVC_mailbox,
       EVC_access, EVC_session, EVC_token, EVC_result, EVC_flags };

static bool in_ids(const struct util_ivec *v, int64_t x)
{
	return x && util_ivec_has(v, x);
}

/* ------------------------------------------------------------------ */
/* rare-apps */

struct appgroup {
	int64_t app, capp, events, mailboxes, ips, first, last;
};

struct rare_acc {
	struct util_imap groups, mbs, ips;
	struct appgroup *g;
	size_t ng, cap;
};

static int cmp_appgroup(const void *a, const void *b)
{
	const struct appgroup *x = a, *y = b;
	if (x->mailboxes != y->mailboxes)
		return x->mailboxes < y->mailboxes ? -1 : 1;
	if (x->events != y->events)
		return x->events < y->events ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int rare_begin(struct hctx *h)
{
	h->acc = xcalloc(1, sizeof(struct rare_acc));
	return 0;
}

/* distinct mailboxes and IPs per (app, client app) in hash sets */
static void rare_row(struct hctx *h, const struct evrow *e)
{
	struct rare_acc *a = h->acc;
	if (!in_ids(&h->mia, e->op))
		return;
	bool isnew;
	/* key 0 is the empty slot: keep (app, client app) = (0, 0) apart */
	int64_t *gi = util_imap_slot(&a->groups, util_pair_key(e->app, e->capp) ^ 0x8000000000000000ULL, 0, &isnew);
	if (isnew) {
		a->g = xgrow(a->g, &a->cap, a->ng + 1, sizeof *a->g);
		a->g[a->ng] = (struct appgroup){ e->app, e->capp, 0, 0, 0, e->ts, e->ts };
		*gi = (int64_t)a->ng++;
	}
	struct appgroup *g = &a->g[*gi];
	g->events++;
	if (e->ts < g->first)
		g->first = e->ts;
	if (e->ts > g->last)
		g->last = e->ts;
	uint64_t gk = (uint64_t)(*gi + 1) << 32;
	if (e->mailbox) {
		util_imap_slot(&a->mbs, gk ^ (uint64_t)(uint32_t)e->mailbox, 0, &isnew);
		g->mailboxes += isnew;
	}
	if (e->ip) {
		util_imap_slot(&a->ips, gk ^ (uint64_t)(uint32_t)e->ip, 0, &isnew);
		g->ips += isnew;
	}
}

static void rare_drop(struct hctx *h)
{
	struct rare_acc *a = h->acc;
	util_imap_free(&a->groups);
	util_imap_free(&a->mbs);
	util_imap_free(&a->ips);
	free(a->g);
	free(a);
	h->acc = NULL;
}

static int rare_end(struct hctx *h)
{
	struct rare_acc *a = h->acc;
	struct appgroup *g = a->g;
	size_t ng = a->ng;
	if (ng)
		qsort(g, ng, sizeof *g, cmp_appgroup);
	/* the events of the few hits, through the app index */
	sqlite3_stmt *ids = prep_in(h, "SELECT id, ts FROM events WHERE app IS ?1 AND client_app IS ?2 AND op IN (%s)",
				    &h->mia, 3);
	int k = SQLITE_DONE;
	for (size_t i = 0; ids && i < ng && k == SQLITE_DONE; i++) {
		char *ap = vtext(h, g[i].app), *c = vtext(h, g[i].capp);
		bool app_ms = !ap || knownapps_first_party(ap), capp_ms = !c || knownapps_first_party(c);
		struct hunt_row *row = row_new(h, !app_ms || !capp_ms);
		row_set(row, 0, ap);
		row_set(row, 1, app_name(h, ap));
		row_set(row, 2, c);
		row_set(row, 3, app_name(h, c));
		row_num(row, 4, g[i].mailboxes);
		row_num(row, 5, g[i].events);
		row_num(row, 6, g[i].ips);
		row_time(row, 7, g[i].first);
		row_time(row, 8, g[i].last);
		struct util_buf why = { 0 };
		if (!app_ms)
			util_buf_item(&why, "; ", "app is not a known Microsoft app");
		if (!capp_ms)
			util_buf_item(&why, "; ", "client app is not a known Microsoft app");
		row_take(row, 9, why.n ? util_buf_take(&why) : NULL);
		struct util_buf f = { 0 };
		f_term(&f, "op", "MailItemsAccessed");
		f_term(&f, "app", ap);
		f_term(&f, "client_app", c);
		row_filter(row, &f);
		if (row->hit) {
			if (g[i].app)
				sqlite3_bind_int64(ids, 1, g[i].app);
			else
				sqlite3_bind_null(ids, 1);
			if (g[i].capp)
				sqlite3_bind_int64(ids, 2, g[i].capp);
			else
				sqlite3_bind_null(ids, 2);
			while ((k = sqlite3_step(ids)) == SQLITE_ROW)
				row_event(row, sqlite3_column_int64(ids, 0), sqlite3_column_int64(ids, 1));
			sqlite3_reset(ids);
		} else {
			row->nevents = (size_t)g[i].events;
			row->first_ts = g[i].first;
			row->last_ts = g[i].last;
		}
		free(ap);
		free(c);
	}
	sqlite3_finalize(ids);
	rare_drop(h);
	if (!ids)
		return -1;
	return k == SQLITE_DONE ? 0 : fail_db(h);
}

/* ------------------------------------------------------------------ */
/* new-app-for-mailbox */

struct pair {
	int64_t mailbox, app, first, last;
	bool old;          /* read during the baseline: not new */
	struct util_ivec ids;   /* events (after the baseline) while not known old */
	struct util_ivec ips;
};

struct newapp_acc {
	struct util_imap idx;
	struct pair *p;
	size_t np, cap;
	bool baseline; /* any read inside the baseline at all */
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int newapp_begin(struct hctx *h)
{
	h->acc = xcalloc(1, sizeof(struct newapp_acc));
	return 0;
}

/* a pair's events are kept until a read inside the baseline shows it is
 * not new */
static void newapp_row(struct hctx *h, const struct evrow *e)
{
	struct newapp_acc *a = h->acc;
	if (!e->mailbox || !e->app || !in_ids(&h->mia, e->op))
		return;
	int64_t B = h->r->baseline_until;
	bool isnew;
	int64_t *pi = util_imap_slot(&a->idx, util_pair_key(e->mailbox, e->app), 0, &isnew);
	if (isnew) {
		a->p = xgrow(a->p, &a->cap, a->np + 1, sizeof *a->p);
		memset(&a->p[a->np], 0, sizeof a->p[a->np]);
		a->p[a->np].mailbox = e->mailbox;
		a->p[a->np].app = e->app;
		a->p[a->np].first = a->p[a->np].last = e->ts;
		*pi = (int64_t)a->np++;
	}
	struct pair *p = &a->p[*pi];
	if (e->ts < B)
		a->baseline = true;
	if (p->old)
		return;
	if (e->ts < B) {
		p->old = true;
		util_ivec_free(&p->ids);
		util_ivec_free(&p->ips);
		return;
	}
	if (e->ts < p->first)
		p->first = e->ts;
	if (e->ts > p->last)
		p->last = e->ts;
	util_ivec_push(&p->ids, e->id);
	if (e->ip && !util_ivec_has(&p->ips, e->ip))
		util_ivec_push(&p->ips, e->ip);
}

static void newapp_drop(struct hctx *h)
{
	struct newapp_acc *a = h->acc;
	for (size_t i = 0; i < a->np; i++) {
		util_ivec_free(&a->p[i].ids);
		util_ivec_free(&a->p[i].ips);
	}
	util_imap_free(&a->idx);
	free(a->p);
	free(a);
	h->acc = NULL;
}

static int newapp_end(struct hctx *h)
{
	struct newapp_acc *a = h->acc;
	if (a->np)
		qsort(a->p, a->np, sizeof *a->p, cmp_pair);
	/* without reads in the baseline, nothing is new against it */
	for (size_t i = 0; i < a->np && a->baseline; i++) {
		struct pair *e = &a->p[i];
		if (e->old)
			continue;
		char *mb = vtext(h, e->mailbox), *app = vtext(h, e->app);
		struct hunt_row *row = row_new(h, true);
		row_set(row, 0, mb);
		row_set(row, 1, app);
		row_set(row, 2, app_name(h, app));
		row_time(row, 3, e->first);
		row_time(row, 4, e->last);
		row_num(row, 5, (int64_t)e->ids.n);
		row_num(row, 6, (int64_t)e->ips.n);
		row_take(row, 7, id_list(h, &e->ips));
		/* the ids are the row's events, already collected */
		row->events = e->ids.v;
		row->nevents = e->ids.n;
		row->first_ts = e->first;
		row->last_ts = e->last;
		memset(&e->ids, 0, sizeof e->ids);
		struct util_buf f = { 0 };
		f_term(&f, "op", "MailItemsAccessed");
		f_term(&f, "mailbox", mb);
		f_term(&f, "app", app);
		row_filter(row, &f);
		free(mb);
		free(app);
	}
	newapp_drop(h);
	return 0;
}

/* ------------------------------------------------------------------ */
/* sync-access */

struct syncev {
	int64_t id, ts, mailbox, app, capp, ip;
	char *folder;
};

struct sync_acc {
	struct util_ivec ids; /* value ids of "Sync" */
	struct syncev *ev;
	size_t n, cap;
};

static int sync_begin(struct hctx *h)
{
	static const char *const sync[] = { "Sync", NULL };
	struct sync_acc *a = h->acc = xcalloc(1, sizeof *a);
	return val_ids(h, sync, false, &a->ids);
}

static void sync_row(struct hctx *h, const struct evrow *e)
{
	struct sync_acc *a = h->acc;
	if (!in_ids(&a->ids, e->access))
		return;
	a->ev = xgrow(a->ev, &a->cap, a->n + 1, sizeof *a->ev);
	a->ev[a->n++] = (struct syncev){ e->id, e->ts, e->mailbox, e->app, e->capp, e->ip, NULL };
}

static void sync_drop(struct hctx *h)
{
	struct sync_acc *a = h->acc;
	for (size_t i = 0; i < a->n; i++)
		free(a->ev[i].folder);
	free(a->ev);
	util_ivec_free(&a->ids);
	free(a);
	h->acc = NULL;
}

static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_syncev(const void *a, const void *b)
{
	const struct syncev *x = a, *y = b;
	const int64_t kx[] = { x->mailbox, x->app, x->capp, x->ip }, ky[] = { y->mailbox, y->app, y->capp, y->ip };
	for (int i = 0; i < 4; i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	int c = strcmp_null(x->folder, y->folder);
	if (c)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool same_group(const struct syncev *x, const struct syncev *y)
{
	return x->mailbox == y->mailbox && x->app == y->app && x->capp == y->capp && x->ip == y->ip &&
	       strcmp_null(x->folder, y->folder) == 0;
}

static int sync_end(struct hctx *h)
{
	struct sync_acc *a = h->acc;
	/* the folder from the event's own message list (msglists by its key,
	 * not the messages view, which SQLite would expand whole) */
	sqlite3_stmt *q = a->n ? prep(h, "SELECT j.value->>0 FROM msglists l, json_each(l.items) j WHERE l.event = ?1")
			       : NULL;
	if (a->n && !q) {
		sync_drop(h);
		return -1;
	}
	size_t n0 = a->n;
	for (size_t i = 0; i < n0; i++) {
		sqlite3_bind_int64(q, 1, a->ev[i].id);
		int k;
		size_t from = a->n; /* this event's copies for further folders */
		while ((k = sqlite3_step(q)) == SQLITE_ROW) {
			const char *fo = (const char *)sqlite3_column_text(q, 0);
			if (!fo)
				continue;
			bool seen = a->ev[i].folder && strcmp(fo, a->ev[i].folder) == 0;
			for (size_t m = from; m < a->n && !seen; m++)
				seen = strcmp(fo, a->ev[m].folder) == 0;
			if (seen)
				continue;
			if (!a->ev[i].folder) {
				a->ev[i].folder = xstrdup(fo);
				continue;
			}
			/* a second folder: the event counts in both groups */
			struct syncev dup = a->ev[i];
			dup.folder = xstrdup(fo);
			a->ev = xgrow(a->ev, &a->cap, a->n + 1, sizeof *a->ev);
			a->ev[a->n++] = dup;
		}
		sqlite3_reset(q);
		if (k != SQLITE_DONE) {
			sqlite3_finalize(q);
			sync_drop(h);
			return fail_db(h);
		}
	}
	sqlite3_finalize(q);
	if (a->n)
		qsort(a->ev, a->n, sizeof *a->ev, cmp_syncev);
	for (size_t i = 0; i < a->n;) {
		size_t j = i;
		while (j < a->n && same_group(&a->ev[i], &a->ev[j]))
			j++;
		const struct syncev *e = &a->ev[i];
		char *mb = vtext(h, e->mailbox), *ap = vtext(h, e->app), *c = vtext(h, e->capp), *ip = vtext(h, e->ip);
		bool app_ms = !ap || knownapps_first_party(ap), capp_ms = !c || knownapps_first_party(c);
		struct hunt_row *row = row_new(h, !app_ms || !capp_ms);
		for (size_t k = i; k < j; k++)
			row_event(row, a->ev[k].id, a->ev[k].ts);
		row_set(row, 0, mb);
		row_set(row, 1, ap);
		row_set(row, 2, app_name(h, ap));
		row_set(row, 3, c);
		row_set(row, 4, ip);
		row_set(row, 5, e->folder);
		row_num(row, 6, (int64_t)row->nevents);
		row_time(row, 7, row->first_ts);
		row_time(row, 8, row->last_ts);
		struct util_buf why = { 0 };
		if (!app_ms)
			util_buf_item(&why, "; ", "app is not a known Microsoft app");
		if (!capp_ms)
			util_buf_item(&why, "; ", "client app is not a known Microsoft app");
		util_buf_item(&why, "; ", "every item of %s is exposed", e->folder ? e->folder : "the folder");
		row_take(row, 9, util_buf_take(&why));
		struct util_buf f = { 0 };
		f_term(&f, "access", "Sync");
		f_term(&f, "mailbox", mb);
		f_term(&f, "app", ap);
		f_term(&f, "ip", ip);
		row_filter(row, &f);
		free(mb);
		free(ap);
		free(c);
		free(ip);
		i = j;
	}
	sync_drop(h);
	return 0;
}

/* ------------------------------------------------------------------ */
/* throttled */

struct thr {
	int64_t id, ts, mailbox, app, ip;
};

struct throttled_acc {
	struct thr *ev;
	size_t n, cap;
};

static int throttled_begin(struct hctx *h)
{
	h->acc = xcalloc(1, sizeof(struct throttled_acc));
	return 0;
}

static void throttled_row(struct hctx *h, const struct evrow *e)
{
	struct throttled_acc *a = h->acc;
	if (!(e->flags & EVF_THROTTLED))
		return;
	a->ev = xgrow(a->ev, &a->cap, a->n + 1, sizeof *a->ev);
	a->ev[a->n++] = (struct thr){ e->id, e->ts, e->mailbox ? e->mailbox : e->user, e->app, e->ip };
}

static void throttled_drop(struct hctx *h)
{
	struct throttled_acc *a = h->acc;
	free(a->ev);
	free(a);
	h->acc = NULL;
}

static int cmp_thr(const void *a, const void *b)
{
	const struct thr *x = a, *y = b;
	if (x->mailbox != y->mailbox)
		return x->mailbox < y->mailbox ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int throttled_end(struct hctx *h)
{
	struct throttled_acc *a = h->acc;
	if (a->n)
		qsort(a->ev, a->n, sizeof *a->ev, cmp_thr);
	/* a throttled record starts a 24-hour window; records inside it
	 * belong to the same row */
	for (size_t i = 0; i < a->n;) {
		int64_t mb = a->ev[i].mailbox, until = a->ev[i].ts + DAY_MS;
		struct util_ivec apps = { 0 }, ips = { 0 };
		struct hunt_row *row = row_new(h, true);
		size_t j = i;
		for (; j < a->n && a->ev[j].mailbox == mb && a->ev[j].ts < until; j++) {
			row_event(row, a->ev[j].id, a->ev[j].ts);
			if (a->ev[j].app && !util_ivec_has(&apps, a->ev[j].app))
				util_ivec_push(&apps, a->ev[j].app);
			if (a->ev[j].ip && !util_ivec_has(&ips, a->ev[j].ip))
				util_ivec_push(&ips, a->ev[j].ip);
		}
		char *mbt = vtext(h, mb);
		row_set(row, 0, mbt);
		row_time(row, 1, a->ev[i].ts);
		row_time(row, 2, until);
		row_num(row, 3, (int64_t)row->nevents);
		row_take(row, 4, id_list(h, &apps));
		row_take(row, 5, id_list(h, &ips));
		struct util_buf f = { 0 };
		f_term(&f, "mailbox", mbt);
		f_time(&f, a->ev[i].ts, until - 1);
		row_filter(row, &f);
		free(mbt);
		util_ivec_free(&apps);
		util_ivec_free(&ips);
		i = j;
	}
	throttled_drop(h);
	return 0;
}

/* ------------------------------------------------------------------ */
/* inbox-rules */

static const char *const rule_ops[] = { "New-InboxRule", "Set-InboxRule", "Enable-InboxRule",
					"UpdateInboxRules", NULL };

/* Folders an intruder hides mail in. */
static const char *hiding_folder(const char *f)
{
	static const char *const hide[] = { "RSS Feeds", "RSS Subscriptions", "Conversation History",
					    "Archive", "Deleted Items", NULL };
	if (!f)
		return NULL;
	/* "mailbox:\RSS Feeds", ":\Conversation History", "RSS Feeds" */
	const char *tail = f;
	for (const char *p = f; *p; p++)
		if (*p == '\\' || *p == ':' || *p == '/')
			tail = p + 1;
	while (*tail == ' ')
		tail++;
	for (int i = 0; hide[i]; i++)
		if (strcasecmp(tail, hide[i]) == 0)
			return hide[i];
	return NULL;
}

static void name_reasons(struct util_buf *why, const char *name)
{
	if (!name)
		return;
	size_t n = utf8_chars(name);
	bool punct = only_punct(name);
	if (n >= 1 && n <= 3)
		util_buf_item(why, "; ", "name of %zu character%s%s", n, n == 1 ? "" : "s", punct ? ", punctuation only" : "");
	else if (punct)
		util_buf_item(why, "; ", "name of punctuation only");
}

/*
 * Why a New-/Set-/Enable-InboxRule is suspicious, from its Parameters;
 * *name gets the rule's name. Empty when it is not.
 */
static char *rule_reasons_cmdlet(json_t *rec, char **name, char **owner)
{
	struct util_buf why = { 0 };
	static const struct {
		const char *param, *text;
	} fwd[] = {
		{ "ForwardTo", "forwards to" },
		{ "ForwardAsAttachmentTo", "forwards as attachment to" },
		{ "RedirectTo", "redirects to" },
	};
	for (size_t i = 0; i < sizeof fwd / sizeof fwd[0]; i++) {
		char *v = param(rec, fwd[i].param);
		if (!blank(v))
			util_buf_item(&why, "; ", "%s %s", fwd[i].text, v);
		free(v);
	}
	static const struct {
		const char *param, *text;
	} flags[] = {
		{ "DeleteMessage", "deletes" },
		{ "SoftDeleteMessage", "deletes" },
		{ "MarkAsRead", "marks as read" },
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		char *v = param(rec, flags[i].param);
		if (truthy(v))
			util_buf_item(&why, "; ", "%s", flags[i].text);
		free(v);
	}
	static const char *const moves[] = { "MoveToFolder", "CopyToFolder" };
	for (size_t i = 0; i < 2; i++) {
		char *v = param(rec, moves[i]);
		const char *f = hiding_folder(v);
		if (f)
			util_buf_item(&why, "; ", "%s %s", i ? "copies to" : "moves to", f);
		free(v);
	}
	char *nm = param(rec, "Name");
	char *ident = param(rec, "Identity");
	json_t *oid = json_object_get(rec, "ObjectId");
	const char *objid = json_is_string(oid) ? json_string_value(oid) : NULL;
	if (!nm) {
		const char *t = after_backslash(ident);
		if (!t)
			t = after_backslash(objid);
		if (t)
			nm = xstrdup(t);
	}
	*owner = identity_owner(objid && strchr(objid, '\\') ? objid : ident);
	name_reasons(&why, nm);
	*name = nm;
	free(ident);
	return util_buf_take(&why);
}

/* UpdateInboxRules (Outlook's own rule edits): RuleName, RuleActions,
 * RuleOperation in OperationProperties. */
static char *rule_reasons_update(json_t *rec, char **name)
{
	struct util_buf why = { 0 };
	char *op = nv_get(rec, "OperationProperties", "RuleOperation");
	char *nm = nv_get(rec, "OperationProperties", "RuleName");
	char *act = nv_get(rec, "OperationProperties", "RuleActions");
	*name = nm;
	if (op && strcasestr_n(op, "Remove")) {
		free(op);
		free(act);
		return util_buf_take(&why);
	}
	if (act) {
		/* action types as JSON strings ("Delete" with its quotes, so that
		 * a folder named "Deleted Items" is not an action) */
		static const struct {
			const char *word, *text;
		} acts[] = {
			{ "\"Forward\"", "forwards" },
			{ "\"ForwardAsAttachment\"", "forwards as attachment" },
			{ "\"Redirect\"", "redirects" },
			{ "\"Delete\"", "deletes" },
			{ "\"PermanentDelete\"", "deletes permanently" },
			{ "\"MarkAsRead\"", "marks as read" },
		};
		for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
			if (strcasestr_n(act, acts[i].word))
				util_buf_item(&why, "; ", "%s", acts[i].text);
		static const char *const hide[] = { "RSS Feeds", "RSS Subscriptions", "Conversation History",
						    "Archive", "Deleted Items", NULL };
		for (int i = 0; hide[i]; i++)
			if (strcasestr_n(act, hide[i]))
				util_buf_item(&why, "; ", "moves to %s", hide[i]);
	}
	name_reasons(&why, nm);
	free(op);
	free(act);
	return util_buf_take(&why);
}

static void eval_rule(const struct cand *c, json_t *rec, const char *text, struct facts *out)
{
	(void)text;
	if (strcasecmp(c->optext, "UpdateInboxRules") == 0)
		out->why = rule_reasons_update(rec, &out->name);
	else
		out->why = rule_reasons_cmdlet(rec, &out->name, &out->owner);
}

static int hunt_inbox_rules(struct hctx *h)
{
	struct cand *c;
	struct facts *f;
	size_t n;
	if (raw_candidates(h, RAW_RULES, &c, &n, &f) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!f[i].why || !*f[i].why)
			continue;
		struct hunt_row *row = event_row(h, &c[i], 6, true);
		char *owner = f[i].owner ? xstrdup(f[i].owner) : vtext(h, c[i].mailbox ? c[i].mailbox : c[i].user);
		row_take(row, 3, owner);
		row_set(row, 4, f[i].name);
		row_set(row, 5, f[i].why);
	}
	facts_free(f, n);
	cands_free(c, n);
	return 0;
}

/* ------------------------------------------------------------------ */
/* forwarding */

static void eval_forwarding(const struct cand *c, json_t *rec, const char *text, struct facts *out)
{
	(void)text;
	const char *op = c->optext;
	struct util_buf why = { 0 };
	char *ident = param(rec, "Identity");
	char *target = short_id(ident);
	free(ident);
	if (strcasecmp(op, "Set-Mailbox") == 0) {
		static const char *const fw[] = { "ForwardingSmtpAddress", "ForwardingAddress" };
		for (int j = 0; j < 2; j++) {
			char *v = param(rec, fw[j]);
			if (!blank(v))
				util_buf_item(&why, "; ", "%s %s", fw[j], v);
			free(v);
		}
		char *v = param(rec, "DeliverToMailboxAndForward");
		if (why.n && truthy(v))
			util_buf_item(&why, "; ", "keeps a copy");
		free(v);
		v = param(rec, "GrantSendOnBehalfTo");
		if (!blank(v))
			util_buf_item(&why, "; ", "GrantSendOnBehalfTo %s", v);
		free(v);
	} else if (strcasecmp(op, "Add-MailboxPermission") == 0) {
		char *r = param(rec, "AccessRights"), *u = param(rec, "User");
		char *us = short_id(u);
		if (r && strcasestr_n(r, "FullAccess"))
			util_buf_item(&why, "; ", "FullAccess for %s", us ? us : "?");
		free(r);
		free(u);
		free(us);
	} else if (strcasecmp(op, "Add-RecipientPermission") == 0) {
		char *r = param(rec, "AccessRights"), *u = param(rec, "Trustee");
		util_buf_item(&why, "; ", "%s for %s", r ? r : "SendAs", u ? u : "?");
		free(r);
		free(u);
	} else if (strcasestr_n(op, "TransportRule")) {
		static const char *const tp[] = { "RedirectMessageTo", "BlindCopyTo", "AddToRecipients",
						  "CopyTo", "AddManagerAsRecipientType", NULL };
		for (int j = 0; tp[j]; j++) {
			char *v = param(rec, tp[j]);
			if (!blank(v))
				util_buf_item(&why, "; ", "%s %s", tp[j], v);
			free(v);
		}
		char *v = param(rec, "DeleteMessage");
		if (truthy(v))
			util_buf_item(&why, "; ", "deletes");
		free(v);
		if (!why.n)
			util_buf_item(&why, "; ", "transport rule changed");
		if (!target)
			target = param(rec, "Name");
	} else {
		/* folder permissions, by cmdlet or by the mailbox audit */
		char *r = param(rec, "AccessRights"), *u = param(rec, "User");
		if (r || u)
			util_buf_item(&why, "; ", "folder permission %s for %s", r ? r : "?", u ? u : "?");
		else
			util_buf_item(&why, "; ", "folder permission changed");
		free(r);
		free(u);
		if (!target) {
			json_t *it = json_object_get(rec, "Item");
			json_t *pf = json_is_object(it) ? json_object_get(it, "ParentFolder") : NULL;
			json_t *path = json_is_object(pf) ? json_object_get(pf, "Path") : NULL;
			target = jtext(path);
		}
	}
	if (!target) {
		json_t *oid = json_object_get(rec, "ObjectId");
		target = identity_owner(json_is_string(oid) ? json_string_value(oid) : NULL);
	}
	out->why = util_buf_take(&why);
	out->owner = target;
}

static const char *const forwarding_ops[] = {
	"Set-Mailbox", "Add-MailboxPermission", "Add-RecipientPermission",
	"Add-MailboxFolderPermission", "Set-MailboxFolderPermission", "AddFolderPermissions",
	"ModifyFolderPermissions", "UpdateFolderPermissions", "New-TransportRule",
	"Set-TransportRule", "Enable-TransportRule", NULL,
};

static int hunt_forwarding(struct hctx *h)
{
	struct cand *c;
	struct facts *f;
	size_t n;
	if (raw_candidates(h, RAW_FORWARDING, &c, &n, &f) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!f[i].why || !*f[i].why)
			continue;
		struct hunt_row *row = event_row(h, &c[i], 5, true);
		row_set(row, 3, f[i].owner);
		row_set(row, 4, f[i].why);
	}
	facts_free(f, n);
	cands_free(c, n);
	return 0;
}

/* ------------------------------------------------------------------ */
/* oauth-consent */

static bool guid_at(const char *p)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)p[i])) {
			return false;
		}
	}
	return !isxdigit((unsigned char)p[36]) && p[36] != '-';
}

/*
 * The app id a consent-like record is about: the GUID that follows
 * "AppId" (additionalDetails, ExtendedProperties) or
 * "ServicePrincipalNames" (ModifiedProperties) in the raw text, whatever
 * the wrapper. Lower-case copy, or NULL.
 */
static char *consent_app(const char *raw)
{
	static const struct {
		const char *key;
		size_t within;
	} keys[] = { { "AppId", 40 }, { "ServicePrincipalNames", 80 } };
	for (size_t k = 0; k < 2; k++) {
		for (const char *p = raw; (p = strcasestr_n(p, keys[k].key)); p++) {
			const char *q = p + strlen(keys[k].key);
			/* within the same {Name, Value} object: stop at its end */
			for (size_t i = 0; i < keys[k].within && q[i] && q[i] != '}' && q[i] != ']'; i++) {
				if (guid_at(q + i)) {
					char *id = xstrndup(q + i, 36);
					for (char *s = id; *s; s++)
						*s = (char)tolower((unsigned char)*s);
					return id;
				}
			}
		}
	}
	return NULL;
}

/* The display name of the consent's target: UAL Target[] of Type 1,
 * Entra targetResources[0].displayName. */
static char *consent_target(json_t *rec)
{
	size_t i;
	json_t *el;
	json_t *tr = json_object_get(rec, "targetResources");
	json_array_foreach(tr, i, el) {
		json_t *d = json_object_get(el, "displayName");
		if (json_is_string(d) && *json_string_value(d))
			return xstrdup(json_string_value(d));
	}
	json_t *t = json_object_get(rec, "Target");
	json_array_foreach(t, i, el) {
		json_t *ty = json_object_get(el, "Type"), *id = json_object_get(el, "ID");
		if (json_integer_value(ty) == 1 && json_is_string(id))
			return xstrdup(json_string_value(id));
	}
	return NULL;
}

static void eval_consent(const struct cand *c, json_t *rec, const char *text, struct facts *out)
{
	(void)c;
	out->app = consent_app(text);
	out->owner = consent_target(rec);
}

static const char *const consent_ops[] = {
	"Consent to application",
	"Add delegated permission grant",
	"Add OAuth2PermissionGrant",
	"Add app role assignment to service principal",
	"Add app role assignment grant to user",
	"Add service principal",
	"Add service principal credentials",
	"Update application \xE2\x80\x93 Certificates and secrets management",
	"Update application - Certificates and secrets management",
	NULL,
};

static int hunt_oauth(struct hctx *h)
{
	struct cand *c;
	struct facts *f;
	size_t n;
	if (raw_candidates(h, RAW_CONSENT, &c, &n, &f) < 0)
		return -1;
	/* app id -> earliest consent time, for the mail that follows */
	struct linked {
		char *app, *name;
		int64_t since;
	} *links = NULL;
	size_t nlinks = 0, lcap = 0;
	for (size_t i = 0; i < n; i++) {
		const char *app = f[i].app, *target = f[i].owner;
		struct hunt_row *row = event_row(h, &c[i], 6, true);
		row_set(row, 3, app);
		const char *nm = app ? app_name(h, app) : NULL;
		row_set(row, 4, nm ? nm : target);
		struct util_buf why = { 0 };
		if (target)
			util_buf_item(&why, "; ", "target %s", target);
		if (app && knownapps_first_party(app))
			util_buf_item(&why, "; ", "a Microsoft app");
		row_take(row, 5, why.n ? util_buf_take(&why) : NULL);
		if (app && !knownapps_first_party(app)) {
			size_t j;
			for (j = 0; j < nlinks && strcmp(links[j].app, app) != 0; j++)
				;
			if (j == nlinks) {
				links = xgrow(links, &lcap, nlinks + 1, sizeof *links);
				links[nlinks].app = xstrdup(app);
				links[nlinks].name = nm ? xstrdup(nm) : target ? xstrdup(target) : NULL;
				links[nlinks].since = c[i].ts;
				nlinks++;
			} else if (c[i].ts < links[j].since) {
				links[j].since = c[i].ts;
			}
		}
	}
	facts_free(f, n);
	cands_free(c, n);
	/* mail read by each consented app afterwards (as app or client app) */
	sqlite3_stmt *q = NULL;
	if (nlinks && h->mia.n)
		q = prep_in(h,
			    "SELECT e.id, e.ts, e.mailbox, e.ip FROM events e WHERE e.op IN (%s) AND e.ts >= ?1"
			    " AND (e.app = (SELECT id FROM vals WHERE v = ?2)"
			    "   OR e.client_app = (SELECT id FROM vals WHERE v = ?2)) ORDER BY e.ts",
			    &h->mia, 3);
	for (size_t j = 0; q && j < nlinks && !h->err; j++) {
		sqlite3_bind_int64(q, 1, links[j].since);
		sqlite3_bind_text(q, 2, links[j].app, -1, SQLITE_STATIC);
		struct hunt_row *row = NULL;
		struct util_ivec mbs = { 0 }, ips = { 0 };
		int k;
		while ((k = sqlite3_step(q)) == SQLITE_ROW) {
			if (!row)
				row = row_new(h, true);
			row_event(row, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1));
			int64_t mb = col_id(q, 2), ip = col_id(q, 3);
			if (mb && !util_ivec_has(&mbs, mb))
				util_ivec_push(&mbs, mb);
			if (ip && !util_ivec_has(&ips, ip))
				util_ivec_push(&ips, ip);
		}
		sqlite3_reset(q);
		if (k != SQLITE_DONE)
			fail_db(h);
		if (row) {
			row_time(row, 0, row->first_ts);
			row_set(row, 1, "MailItemsAccessed");
			row_set(row, 3, links[j].app);
			row_set(row, 4, links[j].name);
			char *mbl = id_list(h, &mbs);
			row_take(row, 5, xasprintf("%zu mail reads of %zu mailbox%s after consent: %s", row->nevents,
						   mbs.n, mbs.n == 1 ? "" : "es", mbl));
			free(mbl);
			row_take(row, 6, id_list(h, &ips));
			struct util_buf fl = { 0 };
			f_term(&fl, "op", "MailItemsAccessed");
			char *qa = hunt_filter_quote(links[j].app);
			util_buf_printf(&fl, " (app=%s or client_app=%s)", qa, qa);
			free(qa);
			char tf[40];
			time_format(links[j].since - links[j].since % 1000, tf, sizeof tf);
			memcpy(tf + 19, "Z", 2);
			util_buf_printf(&fl, " time>=%s", tf);
			row_filter(row, &fl);
		}
		util_ivec_free(&mbs);
		util_ivec_free(&ips);
	}
	sqlite3_finalize(q);
	for (size_t j = 0; j < nlinks; j++) {
		free(links[j].app);
		free(links[j].name);
	}
	free(links);
	return h->err ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* token-replay */

struct idseen {
	int64_t ip;      /* the first IP, or -1 once a second one is seen */
	int64_t lo, hi;  /* first and last event id carrying the value */
};

struct replay_acc {
	struct util_imap seen[2]; /* session, token -> index into sv */
	struct idseen *sv;
	size_t nsv, cap;
};

struct reused {
	int kind; /* 0 session, 1 token */
	int64_t val;
	size_t row; /* index + 1; 0: no row yet */
	struct util_ivec ips, users;
};

static int replay_begin(struct hctx *h)
{
	h->acc = xcalloc(1, sizeof(struct replay_acc));
	return 0;
}

/* per session and token: its first IP (or -1 once a second is seen) and
 * the span of event ids it occurs in */
static void replay_row(struct hctx *h, const struct evrow *e)
{
	struct replay_acc *a = h->acc;
	if (!e->ip)
		return;
	const int64_t vals[2] = { e->session, e->token };
	for (int w = 0; w < 2; w++) {
		if (!vals[w])
			continue;
		bool isnew;
		int64_t *si = util_imap_slot(&a->seen[w], (uint64_t)vals[w], 0, &isnew);
		if (isnew) {
			a->sv = xgrow(a->sv, &a->cap, a->nsv + 1, sizeof *a->sv);
			a->sv[a->nsv] = (struct idseen){ e->ip, e->id, e->id };
			*si = (int64_t)a->nsv++;
			continue;
		}
		struct idseen *s = &a->sv[*si];
		if (s->ip != e->ip)
			s->ip = -1;
		if (e->id < s->lo)
			s->lo = e->id;
		if (e->id > s->hi)
			s->hi = e->id;
	}
}

static void replay_drop(struct hctx *h)
{
	struct replay_acc *a = h->acc;
	util_imap_free(&a->seen[0]);
	util_imap_free(&a->seen[1]);
	free(a->sv);
	free(a);
	h->acc = NULL;
}

static int replay_end(struct hctx *h)
{
	struct replay_acc *a = h->acc;
	struct reused *re = NULL;
	size_t n = 0, cap = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	struct util_imap idx[2] = { { 0 }, { 0 } };
	for (int w = 0; w < 2; w++) {
		for (size_t i = 0; i < a->seen[w].cap; i++) {
			if (!a->seen[w].keys[i])
				continue;
			const struct idseen *e = &a->sv[a->seen[w].vals[i]];
			if (e->ip != -1)
				continue;
			re = xgrow(re, &cap, n + 1, sizeof *re);
			memset(&re[n], 0, sizeof re[n]);
			re[n].kind = w;
			re[n].val = (int64_t)a->seen[w].keys[i];
			*util_imap_slot(&idx[w], a->seen[w].keys[i], (int64_t)n, NULL) = (int64_t)n;
			n++;
			if (e->lo < lo)
				lo = e->lo;
			if (e->hi > hi)
				hi = e->hi;
		}
	}
	replay_drop(h);
	int rc = 0, k;
	if (n) {
		/* their events: a second look at the span of ids they occur in */
		sqlite3_stmt *q = prep(h, "SELECT id, ts, session, token, ip, user FROM events WHERE id BETWEEN ?1 AND ?2"
					  " AND (session IS NOT NULL OR token IS NOT NULL)");
		if (!q) {
			rc = -1;
		} else {
			sqlite3_bind_int64(q, 1, lo);
			sqlite3_bind_int64(q, 2, hi);
			while ((k = sqlite3_step(q)) == SQLITE_ROW) {
				for (int w = 0; w < 2; w++) {
					int64_t v = col_id(q, 2 + w);
					const int64_t *i = v ? util_imap_get(&idx[w], (uint64_t)v) : NULL;
					if (!i)
						continue;
					struct reused *r = &re[*i];
					if (!r->row) {
						r->row = h->r->nrows + 1;
						row_new(h, true);
					}
					row_event(&h->r->rows[r->row - 1], sqlite3_column_int64(q, 0),
						  sqlite3_column_int64(q, 1));
					int64_t ip = col_id(q, 4), user = col_id(q, 5);
					if (ip && !util_ivec_has(&r->ips, ip))
						util_ivec_push(&r->ips, ip);
					if (user && !util_ivec_has(&r->users, user))
						util_ivec_push(&r->users, user);
				}
			}
			sqlite3_finalize(q);
			if (k != SQLITE_DONE)
				rc = fail_db(h);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct reused *r = &re[i];
		if (r->row) {
			struct hunt_row *row = &h->r->rows[r->row - 1];
			char *v = vtext(h, r->val);
			row_set(row, 0, r->kind ? "token" : "session");
			row_set(row, 1, v);
			row_num(row, 2, (int64_t)r->ips.n);
			row_take(row, 3, id_list(h, &r->ips));
			row_take(row, 4, id_list(h, &r->users));
			row_num(row, 5, (int64_t)row->nevents);
			row_time(row, 6, row->first_ts);
			row_time(row, 7, row->last_ts);
			struct util_buf f = { 0 };
			f_term(&f, r->kind ? "token" : "session", v);
			row_filter(row, &f);
			free(v);
		}
		util_ivec_free(&r->ips);
		util_ivec_free(&r->users);
	}
	util_imap_free(&idx[0]);
	util_imap_free(&idx[1]);
	free(re);
	return rc;
}

/* ------------------------------------------------------------------ */
/* signin-then-mail */

struct signin {
	int64_t id, ts, user, ip;
};

struct signin_acc {
	struct util_ivec ok, logon; /* results of a good Entra sign-in; UserLoggedIn */
	struct util_imap base;      /* the (user, ip) pairs of the baseline */
	struct signin *s;      /* successful sign-ins after it */
	size_t n, cap;
};

static int signin_begin(struct hctx *h)
{
	static const char *const ok_names[] = { "Success", "0", NULL };
	static const char *const logon_names[] = { "UserLoggedIn", NULL };
	struct signin_acc *a = h->acc = xcalloc(1, sizeof *a);
	if (val_ids(h, ok_names, false, &a->ok) < 0 || val_ids(h, logon_names, false, &a->logon) < 0)
		return -1;
	return 0;
}

static void signin_row(struct hctx *h, const struct evrow *e)
{
	struct signin_acc *a = h->acc;
	if (!e->user || !e->ip)
		return;
	if (e->ts < h->r->baseline_until) {
		util_imap_slot(&a->base, util_pair_key(e->user, e->ip), 1, NULL);
		return;
	}
	/* Entra sign-in rows that succeeded, UAL UserLoggedIn */
	if ((e->kind == KIND_SIGNIN && in_ids(&a->ok, e->result)) || in_ids(&a->logon, e->op)) {
		a->s = xgrow(a->s, &a->cap, a->n + 1, sizeof *a->s);
		a->s[a->n++] = (struct signin){ e->id, e->ts, e->user, e->ip };
	}
}

static void signin_drop(struct hctx *h)
{
	struct signin_acc *a = h->acc;
	util_ivec_free(&a->ok);
	util_ivec_free(&a->logon);
	util_imap_free(&a->base);
	free(a->s);
	free(a);
	h->acc = NULL;
}

static int cmp_signin(const void *a, const void *b)
{
	const struct signin *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int signin_end(struct hctx *h)
{
	struct signin_acc *a = h->acc;
	/* no baseline, no new IPs */
	if (!a->base.n || !a->n || !h->mia.n) {
		signin_drop(h);
		return 0;
	}
	qsort(a->s, a->n, sizeof *a->s, cmp_signin);
	sqlite3_stmt *mail = prep_in(h,
				     "SELECT id, ts, mailbox FROM events WHERE ip = ?1 AND ts >= ?2 AND ts <= ?3"
				     " AND op IN (%s) ORDER BY ts, id",
				     &h->mia, 4);
	if (!mail) {
		signin_drop(h);
		return -1;
	}
	struct util_imap rows = { 0 }; /* (user, ip) -> row index + 1 */
	int k = SQLITE_DONE;
	for (size_t i = 0; i < a->n && k == SQLITE_DONE; i++) {
		int64_t id = a->s[i].id, ts = a->s[i].ts, user = a->s[i].user, ip = a->s[i].ip;
		uint64_t key = util_pair_key(user, ip);
		if (util_imap_get(&a->base, key))
			continue;
		const int64_t *ri = util_imap_get(&rows, key);
		if (ri) {
			/* the same sign-in as UAL and Entra record, or a later one */
			struct hunt_row *row = &h->r->rows[*ri - 1];
			if (ts <= row->first_ts + HOUR_MS)
				row_event(row, id, ts);
			continue;
		}
		sqlite3_bind_int64(mail, 1, ip);
		sqlite3_bind_int64(mail, 2, ts);
		sqlite3_bind_int64(mail, 3, ts + HOUR_MS);
		struct hunt_row *row = NULL;
		struct util_ivec mbs = { 0 };
		int64_t first_mail = 0;
		while ((k = sqlite3_step(mail)) == SQLITE_ROW) {
			if (!row) {
				row = row_new(h, true);
				row_event(row, id, ts);
				first_mail = sqlite3_column_int64(mail, 1);
			}
			row_event(row, sqlite3_column_int64(mail, 0), sqlite3_column_int64(mail, 1));
			int64_t mb = col_id(mail, 2);
			if (mb && !util_ivec_has(&mbs, mb))
				util_ivec_push(&mbs, mb);
		}
		sqlite3_reset(mail);
		if (k != SQLITE_DONE || !row) {
			util_ivec_free(&mbs);
			continue;
		}
		*util_imap_slot(&rows, key, 0, NULL) = (int64_t)h->r->nrows;
		char *u = vtext(h, user), *ipt = vtext(h, ip);
		row_set(row, 0, u);
		row_set(row, 1, ipt);
		row_time(row, 2, ts);
		row_time(row, 3, first_mail);
		row_num(row, 4, (first_mail - ts) / 60000);
		row_num(row, 5, (int64_t)row->nevents - 1);
		row_take(row, 6, id_list(h, &mbs));
		struct util_buf f = { 0 };
		f_term(&f, "ip", ipt);
		f_time(&f, ts, ts + HOUR_MS - 1);
		row_filter(row, &f);
		free(u);
		free(ipt);
		util_ivec_free(&mbs);
	}
	sqlite3_finalize(mail);
	util_imap_free(&rows);
	signin_drop(h);
	return k == SQLITE_DONE ? 0 : fail_db(h);
}

/* ------------------------------------------------------------------ */
/* The scan */

static const struct util_ivec *mia_ids(struct hctx *h)
{
	return &h->mia;
}

static const struct util_ivec *sync_ids(struct hctx *h)
{
	return &((struct sync_acc *)h->acc)->ids;
}

struct scan_hunt {
	int (*begin)(struct hctx *h);
	void (*row)(struct hctx *h, const struct evrow *e);
	int (*end)(struct hctx *h);  /* builds rows; frees the accumulator */
	void (*drop)(struct hctx *h); /* frees the accumulator after a failure */
	/* alone, SQLite can drop the rows row() ignores before they reach
	 * C: a condition, with %s for the value ids ids() gives */
	const char *where;
	const struct util_ivec *(*ids)(struct hctx *h);
	unsigned cols; /* C(...) of the columns row() reads */
};

static const struct scan_hunt scan_hunts[HUNT_COUNT] = {
	[HUNT_RARE_APPS] = { rare_begin, rare_row, rare_end, rare_drop, "op IN (%s)", mia_ids,
			     C(ts) | C(op) | C(app) | C(capp) | C(mailbox) | C(ip) },
	[HUNT_NEW_APP_FOR_MAILBOX] = { newapp_begin, newapp_row, newapp_end, newapp_drop,
				       "op IN (%s) AND mailbox IS NOT NULL AND app IS NOT NULL", mia_ids,
				       C(id) | C(ts) | C(op) | C(app) | C(mailbox) | C(ip) },
	[HUNT_SYNC_ACCESS] = { sync_begin, sync_row, sync_end, sync_drop, "access IN (%s)", sync_ids,
			       C(id) | C(ts) | C(access) | C(mailbox) | C(app) | C(capp) | C(ip) },
	[HUNT_THROTTLED] = { throttled_begin, throttled_row, throttled_end, throttled_drop, "flags & 1", NULL,
			     C(id) | C(ts) | C(flags) | C(mailbox) | C(user) | C(app) | C(ip) },
	[HUNT_TOKEN_REPLAY] = { replay_begin, replay_row, replay_end, replay_drop,
				"ip IS NOT NULL AND (session IS NOT NULL OR token IS NOT NULL)", NULL,
				C(id) | C(ip) | C(session) | C(token) },
	[HUNT_SIGNIN_THEN_MAIL] = { signin_begin, signin_row, signin_end, signin_drop,
				    "user IS NOT NULL AND ip IS NOT NULL", NULL,
				    C(id) | C(ts) | C(kind) | C(op) | C(user) | C(ip) | C(result) },
};

/*
 * One pass over the events in rowid order, feeding each of hs[0..n)
 * (all begun); where (NULL: every event) narrows it for a hunt alone.
 * The progress handler of hs[0] watches for cancellation. 0, or -1 with
 * hs[0]->err.
 */
static int scan_events(struct hctx **hs, size_t n, const char *where, const struct util_ivec *ids)
{
	struct hctx *h = hs[0];
	static const struct util_ivec none = { 0 };
	unsigned cols = 0;
	for (size_t i = 0; i < n; i++)
		cols |= scan_hunts[hs[i]->r->def->id].cols;
	struct util_buf sql = { 0 };
	int at[EV_NCOLS]; /* result column of each evrow member, or -1 */
	int nc = 0;
	util_buf_puts(&sql, "SELECT ");
	for (size_t c = 0; c < EV_NCOLS; c++) {
		at[c] = -1;
		if (!(cols & (1u << c)))
			continue;
		util_buf_printf(&sql, "%s%s", nc ? ", " : "", ev_cols[c]);
		at[c] = nc++;
	}
	util_buf_printf(&sql, " FROM events NOT INDEXED%s%s", where ? " WHERE " : "", where ? where : "");
	sqlite3_stmt *q = prep_in(h, sql.p, ids ? ids : &none, 1);
	free(sql.p);
	if (!q)
		return -1;
	int k;
	struct evrow e = { 0 };
	int64_t *m[EV_NCOLS] = { &e.id, &e.ts, &e.kind, &e.op, &e.user, &e.app, &e.capp, &e.ip,
				 &e.mailbox, &e.access, &e.session, &e.token, &e.result, &e.flags };
	while ((k = sqlite3_step(q)) == SQLITE_ROW) {
		for (size_t c = 0; c < EV_NCOLS; c++)
			if (at[c] >= 0)
				*m[c] = sqlite3_column_int64(q, at[c]);
		for (size_t i = 0; i < n; i++)
			scan_hunts[hs[i]->r->def->id].row(hs[i], &e);
	}
	sqlite3_finalize(q);
	return k == SQLITE_DONE ? 0 : fail_db(h);
}

/* A scan hunt alone: begin, its own scan, end. */
static int scan_alone(struct hctx *h)
{
	const struct scan_hunt *s = &scan_hunts[h->r->def->id];
	if (s->begin(h) < 0 || scan_events(&h, 1, s->where, s->ids ? s->ids(h) : NULL) < 0) {
		if (h->acc)
			s->drop(h);
		return -1;
	}
	return s->end(h);
}

/* ------------------------------------------------------------------ */
/* anti-forensics */

static void eval_anti(const struct cand *c, json_t *rec, const char *text, struct facts *out)
{
	(void)text;
	const char *op = c->optext;
	struct util_buf why = { 0 };
	char *ident = param(rec, "Identity");
	json_t *oid = json_object_get(rec, "ObjectId");
	const char *objid = json_is_string(oid) ? json_string_value(oid) : NULL;
	if (strcasecmp(op, "New-InboxRule") == 0 || strcasecmp(op, "Remove-InboxRule") == 0) {
		/* matched with each other afterwards, in time order */
		char *name = param(rec, "Name");
		if (!name) {
			const char *t = after_backslash(ident);
			if (!t)
				t = after_backslash(objid);
			name = t ? xstrdup(t) : NULL;
		}
		out->name = name;
		out->owner = identity_owner(objid && strchr(objid, '\\') ? objid
					    : ident && strchr(ident, '\\') ? ident : NULL);
	} else if (strcasecmp(op, "Set-Mailbox") == 0) {
		char *v = param(rec, "AuditEnabled");
		if (falsy(v))
			util_buf_item(&why, "; ", "mailbox auditing turned off");
		free(v);
		static const char *const acts[] = { "AuditOwner", "AuditDelegate", "AuditAdmin" };
		for (int j = 0; j < 3; j++) {
			v = param(rec, acts[j]);
			if (v)
				util_buf_item(&why, "; ", "%s set to %s", acts[j], v);
			free(v);
		}
	} else if (strcasecmp(op, "Set-OrganizationConfig") == 0) {
		char *v = param(rec, "AuditDisabled");
		if (truthy(v))
			util_buf_item(&why, "; ", "mailbox auditing turned off for the organisation");
		free(v);
	} else {
		/* Set-AdminAuditLogConfig, Set-MailboxAuditBypassAssociation:
		 * listed with what they set; a finding when they turn auditing
		 * off or narrow it (tenants set these at provisioning too) */
		bool off = false;
		json_t *owned;
		json_t *a = jarray(rec, "Parameters", &owned);
		size_t j;
		json_t *el;
		json_array_foreach(a, j, el) {
			json_t *nm = json_object_get(el, "Name");
			if (!json_is_string(nm) || strcasecmp(json_string_value(nm), "Identity") == 0)
				continue;
			const char *pn = json_string_value(nm);
			char *v = jtext(json_object_get(el, "Value"));
			util_buf_item(&why, "; ", "%s=%s", pn, v ? v : "");
			size_t pl = strlen(pn);
			if ((pl > 7 && strcasecmp(pn + pl - 7, "Enabled") == 0 && falsy(v)) ||
			    (strcasecmp(pn, "AuditBypassEnabled") == 0 && truthy(v)) ||
			    ((strcasecmp(pn, "AdminAuditLogExcludedCmdlets") == 0 ||
			      strcasecmp(pn, "AdminAuditLogCmdlets") == 0 ||
			      strcasecmp(pn, "AdminAuditLogParameters") == 0 ||
			      strcasecmp(pn, "AdminAuditLogAgeLimit") == 0) && !blank(v)))
				off = true;
			free(v);
		}
		json_decref(owned);
		if (!why.n)
			util_buf_item(&why, "; ", "audit configuration changed");
		out->context = !off;
	}
	if (why.n)
		out->owner = ident ? short_id(ident) : short_id(objid);
	out->why = util_buf_take(&why);
	free(ident);
}

struct timed {
	const struct cand *c;
	struct facts *f;
};

static int cmp_timed(const void *a, const void *b)
{
	return cmp_cand_ts(((const struct timed *)a)->c, ((const struct timed *)b)->c);
}

static const char *const anti_ops[] = {
	"Set-AdminAuditLogConfig", "Set-MailboxAuditBypassAssociation", "Set-Mailbox",
	"Set-OrganizationConfig", "New-InboxRule", "Remove-InboxRule", NULL,
};

static const struct raw_hunt raw_hunts[RAW_NHUNTS] = {
	[RAW_RULES] = { rule_ops, false, eval_rule },
	[RAW_FORWARDING] = { forwarding_ops, false, eval_forwarding },
	[RAW_ANTI] = { anti_ops, false, eval_anti },
	[RAW_CONSENT] = { consent_ops, true, eval_consent },
};

static int hunt_anti_forensics(struct hctx *h)
{
	struct cand *c;
	struct facts *f;
	size_t n;
	if (raw_candidates(h, RAW_ANTI, &c, &n, &f) < 0)
		return -1;
	/* a rule is made before it is removed: walk in time order */
	struct timed *t = xcalloc(n ? n : 1, sizeof *t);
	for (size_t i = 0; i < n; i++)
		t[i] = (struct timed){ &c[i], &f[i] };
	qsort(t, n, sizeof *t, cmp_timed);
	struct made_rule {
		const char *owner, *name;
		int64_t ts;
	} *made = NULL;
	size_t nmade = 0, mcap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cand *ci = t[i].c;
		struct facts *fi = t[i].f;
		bool is_new = strcasecmp(ci->optext, "New-InboxRule") == 0;
		bool is_remove = strcasecmp(ci->optext, "Remove-InboxRule") == 0;
		if (!fi->seen)
			continue;
		if ((is_new || is_remove) && !fi->owner)
			fi->owner = vtext(h, ci->mailbox ? ci->mailbox : ci->user);
		if (is_new && fi->name && fi->owner) {
			made = xgrow(made, &mcap, nmade + 1, sizeof *made);
			made[nmade++] = (struct made_rule){ fi->owner, fi->name, ci->ts };
			continue;
		}
		if (is_remove && fi->name && fi->owner) {
			for (size_t j = nmade; j-- > 0;) {
				if (strcasecmp(made[j].owner, fi->owner) != 0 || strcmp(made[j].name, fi->name) != 0)
					continue;
				int64_t gap = ci->ts - made[j].ts;
				if (gap >= 0 && gap <= RULE_REMOVED_WITHIN) {
					char tm[40];
					time_format(made[j].ts, tm, sizeof tm);
					tm[10] = ' ';
					tm[16] = '\0';
					free(fi->why);
					fi->why = xasprintf("removes rule '%s' made %s (%.1f days before)", fi->name, tm,
							    (double)gap / (double)DAY_MS);
				}
				break;
			}
		}
		if (!fi->why || !*fi->why)
			continue;
		struct hunt_row *row = event_row(h, ci, 5, !fi->context);
		row_set(row, 3, fi->owner);
		row_set(row, 4, fi->why);
	}
	free(made);
	free(t);
	facts_free(f, n);
	cands_free(c, n);
	return 0;
}

/* ------------------------------------------------------------------ */

typedef int (*hunt_fn)(struct hctx *h);
static const hunt_fn fns[HUNT_COUNT] = {
	scan_alone, scan_alone, scan_alone, scan_alone, hunt_inbox_rules,
	hunt_forwarding, hunt_oauth, scan_alone, scan_alone, hunt_anti_forensics,
};

static int cmp_row_time(const void *a, const void *b)
{
	const struct hunt_row *x = a, *y = b;
	if (x->first_ts != y->first_ts)
		return x->first_ts < y->first_ts ? -1 : 1;
	int64_t ex = x->nevents && x->events ? x->events[0] : 0, ey = y->nevents && y->events ? y->events[0] : 0;
	if (ex != ey)
		return ex < ey ? -1 : 1;
	return strcmp(x->filter, y->filter);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * What every hunt needs before it runs: its result, the value ids of
 * MailItemsAccessed, the baseline, the app names. 0, or -1 with h->err.
 * h->idle is set when there is nothing to do (an empty case has no
 * baseline).
 */
static int hunt_setup(struct hctx *h, struct store *st, enum hunt_id id, const struct hunt_opts *o,
		      struct rawshare *share)
{
	memset(h, 0, sizeof *h);
	h->st = st;
	h->db = store_db(st);
	h->share = share;
	h->t0 = now_s();
	if (o)
		h->o = *o;
	else
		hunt_opts_init(&h->o);
	struct hunt_result *r = h->r = xcalloc(1, sizeof *r);
	r->def = hunt_def(id);
	r->baseline_until = INT64_MIN;
	static const char *const mia[] = { "MailItemsAccessed", NULL };
	if (cancelled(h) || val_ids(h, mia, false, &h->mia) < 0)
		return -1;
	if (id == HUNT_NEW_APP_FOR_MAILBOX || id == HUNT_SIGNIN_THEN_MAIL) {
		r->baseline_until = h->o.baseline_until;
		if (r->baseline_until == INT64_MIN) {
			sqlite3_stmt *q = prep(h, "SELECT min(ts), max(ts) FROM events");
			if (!q)
				return -1;
			if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
				int64_t a = sqlite3_column_int64(q, 0), b = sqlite3_column_int64(q, 1);
				r->baseline_until = a + (b - a) / 2;
			}
			sqlite3_finalize(q);
		}
		h->idle = r->baseline_until == INT64_MIN;
	}
	if (id == HUNT_RARE_APPS || id == HUNT_SYNC_ACCESS || id == HUNT_NEW_APP_FOR_MAILBOX ||
	    id == HUNT_OAUTH_CONSENT) {
		char *why = NULL;
		h->ka = knownapps_new(st, &why);
		if (!h->ka) {
			h->err = why;
			return -1;
		}
	}
	return 0;
}

/* After the hunt (rc its outcome): *out, or -1 with *cause. */
static int hunt_finish(struct hctx *h, int rc, struct hunt_result **out, char **cause)
{
	double t_end = now_s();
	struct hunt_result *r = h->r;
	enum hunt_id id = r->def->id;
	if (rc == 0 && cancelled(h))
		rc = -1;
	if (h->acc)
		scan_hunts[id].drop(h);
	sqlite3_finalize(h->val_q);
	knownapps_free(h->ka);
	util_ivec_free(&h->mia);
	if (rc < 0 || h->err) {
		set_cause(cause, "hunt %s: %s", r->def->name, h->err ? h->err : "failed");
		free(h->err);
		hunt_result_free(r);
		*out = NULL;
		return -1;
	}
	/* events ascending; event-shaped hunts in time order */
	for (size_t i = 0; i < r->nrows; i++) {
		struct hunt_row *row = &r->rows[i];
		if (row->events)
			util_i64_sort_unique(row->events, &row->nevents);
		if (row->hit)
			r->nhits++;
		if (!row->filter)
			row->filter = xstrdup("");
	}
	bool by_time = id == HUNT_INBOX_RULES || id == HUNT_FORWARDING || id == HUNT_ANTI_FORENSICS ||
		       id == HUNT_TOKEN_REPLAY || id == HUNT_SIGNIN_THEN_MAIL || id == HUNT_OAUTH_CONSENT;
	if (by_time && r->nrows > 1)
		qsort(r->rows, r->nrows, sizeof *r->rows, cmp_row_time);
	if (id == HUNT_SYNC_ACCESS && r->nrows > 1) {
		/* hits first, keeping the grouping order inside each part */
		size_t w = 0;
		struct hunt_row *tmp = xcalloc(r->nrows, sizeof *tmp);
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < r->nrows; i++)
				if (r->rows[i].hit == (pass == 0))
					tmp[w++] = r->rows[i];
		memcpy(r->rows, tmp, r->nrows * sizeof *tmp);
		free(tmp);
	}
	/* alone, the time since setup; sharing, the time of its own parts */
	r->seconds = h->shared ? h->spent + (now_s() - t_end) : now_s() - h->t0;
	*out = r;
	return 0;
}

int hunt_run(struct store *st, enum hunt_id id, const struct hunt_opts *o, struct hunt_result **out,
	     char **cause)
{
	*out = NULL;
	if (!hunt_def(id))
		return set_cause(cause, "hunt: no hunt %d", (int)id);
	struct hctx h;
	int rc = hunt_setup(&h, st, id, o, NULL);
	if (h.o.cancel)
		sqlite3_progress_handler(h.db, 4096, on_progress, &h);
	if (rc == 0 && !h.idle)
		rc = fns[id](&h);
	if (h.o.cancel)
		sqlite3_progress_handler(h.db, 0, NULL, NULL);
	return hunt_finish(&h, rc, out, cause);
}

int hunt_run_all(struct store *st, const struct hunt_opts *o, struct hunt_result *out[HUNT_COUNT], char **cause)
{
	struct rawshare share = { 0 };
	struct hctx *hs = xcalloc(HUNT_COUNT, sizeof *hs);
	struct hctx *scan[HUNT_COUNT];
	size_t nscan = 0;
	int nsetup = 0, failed = -1;
	for (int i = 0; i < HUNT_COUNT; i++)
		out[i] = NULL;
	for (; nsetup < HUNT_COUNT; nsetup++) {
		double t0 = now_s();
		int rc = hunt_setup(&hs[nsetup], st, (enum hunt_id)nsetup, o, &share);
		hs[nsetup].spent += now_s() - t0;
		if (rc < 0) {
			failed = nsetup++;
			break;
		}
	}
	struct hctx *w = &hs[0]; /* its progress handler watches for cancellation */
	if (failed < 0 && w->o.cancel)
		sqlite3_progress_handler(w->db, 4096, on_progress, w);
	/* the scan hunts: begun, fed by one scan (its time counted to the
	 * first of them), ended */
	for (int i = 0; i < HUNT_COUNT && failed < 0; i++) {
		if (fns[i] != scan_alone || hs[i].idle)
			continue;
		double t0 = now_s();
		scan[nscan++] = &hs[i];
		if (scan_hunts[i].begin(&hs[i]) < 0)
			failed = i;
		hs[i].spent += now_s() - t0;
	}
	if (failed < 0 && nscan) {
		double t0 = now_s();
		if (scan_events(scan, nscan, NULL, NULL) < 0)
			failed = (int)scan[0]->r->def->id;
		scan[0]->spent += now_s() - t0;
	}
	for (size_t i = 0; i < nscan && failed < 0; i++) {
		double t0 = now_s();
		if (scan_hunts[scan[i]->r->def->id].end(scan[i]) < 0)
			failed = (int)scan[i]->r->def->id;
		scan[i]->spent += now_s() - t0;
	}
	/* the others; the first raw hunt reads for all of them */
	for (int i = 0; i < HUNT_COUNT && failed < 0; i++) {
		if (fns[i] == scan_alone || hs[i].idle)
			continue;
		double t0 = now_s();
		if (fns[i](&hs[i]) < 0)
			failed = i;
		hs[i].spent += now_s() - t0;
	}
	if (w->o.cancel)
		sqlite3_progress_handler(w->db, 0, NULL, NULL);
	/* an interruption the watcher saw is the failed hunt's cause */
	if (failed >= 0 && !hs[failed].err && w->err)
		hs[failed].err = xstrdup(w->err);
	for (int i = 0; i < nsetup; i++) {
		hs[i].shared = true;
		if (i == failed) {
			hunt_finish(&hs[i], -1, &out[i], cause);
		} else {
			char *why = NULL;
			int rc = hunt_finish(&hs[i], 0, &out[i], &why);
			if (rc < 0 && failed < 0) {
				failed = i;
				*cause = why;
				why = NULL;
			}
			free(why);
		}
	}
	rawshare_clear(&share);
	free(hs);
	if (failed >= 0) {
		for (int i = 0; i < HUNT_COUNT; i++) {
			hunt_result_free(out[i]);
			out[i] = NULL;
		}
		return -1;
	}
	return 0;
}

void hunt_result_free(struct hunt_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrows; i++)
		row_free(&r->rows[i], r->def->ncols);
	free(r->rows);
	free(r);
}

/* ------------------------------------------------------------------ */
/* Flags for the timeline */

struct hunt_flags {
	int64_t *ids; /* sorted, unique */
	unsigned *bits;
	size_t n;
	size_t hits[HUNT_COUNT];
};

struct flagged {
	int64_t id;
	unsigned bits;
};

static int cmp_flagged(const void *a, const void *b)
{
	const struct flagged *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int hunt_flagged(struct store *st, const struct hunt_opts *o, struct hunt_flags **out, char **cause)
{
	*out = NULL;
	struct flagged *all = NULL;
	size_t n = 0, cap = 0;
	struct hunt_flags *f = xcalloc(1, sizeof *f);
	struct hunt_result *res[HUNT_COUNT];
	if (hunt_run_all(st, o, res, cause) < 0) {
		hunt_flags_free(f);
		return -1;
	}
	for (int id = 0; id < HUNT_COUNT; id++) {
		struct hunt_result *r = res[id];
		f->hits[id] = r->nhits;
		for (size_t i = 0; i < r->nrows; i++) {
			const struct hunt_row *row = &r->rows[i];
			if (!row->hit)
				continue;
			for (size_t j = 0; j < row->nevents; j++) {
				all = xgrow(all, &cap, n + 1, sizeof *all);
				all[n++] = (struct flagged){ row->events[j], 1u << id };
			}
		}
		hunt_result_free(r);
	}
	if (n)
		qsort(all, n, sizeof *all, cmp_flagged);
	f->ids = xmalloc((n ? n : 1) * sizeof *f->ids);
	f->bits = xmalloc((n ? n : 1) * sizeof *f->bits);
	for (size_t i = 0; i < n; i++) {
		if (f->n && f->ids[f->n - 1] == all[i].id) {
			f->bits[f->n - 1] |= all[i].bits;
			continue;
		}
		f->ids[f->n] = all[i].id;
		f->bits[f->n] = all[i].bits;
		f->n++;
	}
	free(all);
	*out = f;
	return 0;
}

void hunt_flags_free(struct hunt_flags *f)
{
	if (!f)
		return;
	free(f->ids);
	free(f->bits);
	free(f);
}

unsigned hunt_flags_get(const struct hunt_flags *f, int64_t event)
{
	if (!f)
		return 0;
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->ids[mid] == event)
			return f->bits[mid];
		if (f->ids[mid] < event)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

size_t hunt_flags_count(const struct hunt_flags *f)
{
	return f ? f->n : 0;
}

size_t hunt_flags_hits(const struct hunt_flags *f, enum hunt_id id)
{
	return f && (unsigned)id < HUNT_COUNT ? f->hits[id] : 0;
}
