/*
 * query.c: field=value conjunctions compiled to SQL with bound values.
 */
#include "query.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

static const struct field fields[] = {
	{ "user", "user", true, true },
	{ "app", "app", true, true },
	{ "client_app", "client_app", true, true },
	{ "ip", "ip", true, true },
	{ "op", "op", true, false },
	{ "workload", "workload", true, false },
	{ "record_type", "rtype", true, false },
	{ "result", "result", true, false },
	{ "session", "session", false, false },
	{ "token", "token", false, false },
	{ "mailbox", "mailbox", true, true },
	{ "access", "access", true, false },
	{ "client_info", "client_info", false, false },
};

static const struct {
	const char *alias, *name;
} aliases[] = {
	{ "operation", "op" }, { "rtype", "record_type" }, { "recordtype", "record_type" },
	{ "userid", "user" }, { "appid", "app" }, { "clientappid", "client_app" },
	{ "client_ip", "ip" }, { "clientip", "ip" }, { "session_id", "session" },
	{ "sessionid", "session" }, { "token_id", "token" }, { "mail_access", "access" },
};

const struct field *field_find(const char *name)
{
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcasecmp(aliases[i].alias, name) == 0)
			name = aliases[i].name;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strcasecmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

struct query {
	sqlite3_stmt *q;
	struct store *st;
};

struct term {
	const struct field *f;
	char *value;
};

/* Split "user=a op=b" into terms; a value may be "quoted". */
static int parse_terms(const char *filter, struct term **out, size_t *nout, char **cause)
{
	struct term *t = NULL;
	size_t n = 0, cap = 0;
	const char *p = filter ? filter : "";
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		if (*p != '=') {
			set_cause(cause, "filter: expected field=value at column %zu", (size_t)(start - filter) + 1);
			goto fail;
		}
		char *name = xstrndup(start, (size_t)(p - start));
		const struct field *f = field_find(name);
		if (!f) {
			set_cause(cause, "filter: unknown field '%s' at column %zu", name,
				  (size_t)(start - filter) + 1);
			free(name);
			goto fail;
		}
		free(name);
		p++;
		char *v;
		if (*p == '"') {
			const char *q = strchr(p + 1, '"');
			if (!q) {
				set_cause(cause, "filter: unterminated quote at column %zu", (size_t)(p - filter) + 1);
				goto fail;
			}
			v = xstrndup(p + 1, (size_t)(q - p - 1));
			p = q + 1;
		} else {
			const char *vs = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
			v = xstrndup(vs, (size_t)(p - vs));
		}
		if (!*v) {
			set_cause(cause, "filter: expected a value after '%s=' at column %zu", f->name,
				  (size_t)(p - filter) + 1);
			free(v);
			goto fail;
		}
		if (f->lower)
			for (char *c = v; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		t = xgrow(t, &cap, n + 1, sizeof *t);
		t[n].f = f;
		t[n].value = v;
		n++;
	}
	*out = t;
	*nout = n;
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		free(t[i].value);
	free(t);
	return -1;
}

static void free_terms(struct term *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].value);
	free(t);
}

static char *where_sql(const struct term *t, size_t n)
{
	char *w = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *nw = xasprintf("%s%s e.%s IN (SELECT id FROM vals WHERE v = ?%s)", w,
				     i ? " AND" : " WHERE", t[i].f->column,
				     t[i].f->nocase ? " COLLATE NOCASE" : "");
		free(w);
		w = nw;
	}
	return w;
}

#define VAL(col) "(SELECT v FROM vals WHERE id = e." col ")"

int query_open(struct store *st, const char *filter, bool desc, int64_t limit,
	       struct query **out, char **cause)
{
	struct term *t;
	size_t n;
	if (parse_terms(filter, &t, &n, cause) < 0)
		return -1;
	char *w = where_sql(t, n);
	char *sql = xasprintf(
		"SELECT e.id, e.ts, e.line, e.op_count, e.flags, e.record_id, " VAL("op") ", "
		VAL("rtype") ", " VAL("workload") ", " VAL("user") ", " VAL("app") ", "
		VAL("client_app") ", " VAL("ip") ", " VAL("result") ", " VAL("session") ", "
		VAL("token") ", " VAL("mailbox") ", " VAL("access") ", " VAL("client_info") ", "
		"(SELECT path FROM sources WHERE id = e.source) "
		"FROM events e%s ORDER BY e.ts %s, e.id %s LIMIT ?",
		w, desc ? "DESC" : "ASC", desc ? "DESC" : "ASC");
	free(w);
	sqlite3_stmt *q;
	int r = sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL);
	free(sql);
	if (r != SQLITE_OK) {
		free_terms(t, n);
		return set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
	}
	for (size_t i = 0; i < n; i++)
		sqlite3_bind_text(q, (int)i + 1, t[i].value, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, (int)n + 1, limit);
	free_terms(t, n);
	struct query *qq = xcalloc(1, sizeof *qq);
	qq->q = q;
	qq->st = st;
	*out = qq;
	return 0;
}

static const char *col(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

int query_next(struct query *qq, struct query_row *row, char **cause)
{
	sqlite3_stmt *q = qq->q;
	int r = sqlite3_step(q);
	if (r == SQLITE_DONE)
		return 0;
	if (r != SQLITE_ROW)
		return set_cause(cause, "%s: %s", store_path(qq->st), sqlite3_errmsg(store_db(qq->st)));
	row->id = sqlite3_column_int64(q, 0);
	row->ts = sqlite3_column_int64(q, 1);
	row->line = sqlite3_column_int64(q, 2);
	row->op_count = sqlite3_column_type(q, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 3);
	row->flags = (unsigned)sqlite3_column_int(q, 4);
	row->record_id = col(q, 5);
	row->op = col(q, 6);
	row->rtype = col(q, 7);
	row->workload = col(q, 8);
	row->user = col(q, 9);
	row->app = col(q, 10);
	row->client_app = col(q, 11);
	row->ip = col(q, 12);
	row->result = col(q, 13);
	row->session = col(q, 14);
	row->token = col(q, 15);
	row->mailbox = col(q, 16);
	row->access = col(q, 17);
	row->client_info = col(q, 18);
	row->source = col(q, 19);
	return 1;
}

void query_free(struct query *qq)
{
	if (!qq)
		return;
	sqlite3_finalize(qq->q);
	free(qq);
}

int64_t query_count(struct store *st, const char *filter, char **cause)
{
	struct term *t;
	size_t n;
	if (parse_terms(filter, &t, &n, cause) < 0)
		return -1;
	char *w = where_sql(t, n);
	char *sql = xasprintf("SELECT count(*) FROM events e%s", w);
	free(w);
	sqlite3_stmt *q;
	int r = sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL);
	free(sql);
	if (r != SQLITE_OK) {
		free_terms(t, n);
		return set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
	}
	for (size_t i = 0; i < n; i++)
		sqlite3_bind_text(q, (int)i + 1, t[i].value, -1, SQLITE_TRANSIENT);
	int64_t c = -1;
	if (sqlite3_step(q) == SQLITE_ROW)
		c = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	free_terms(t, n);
	return c;
}
