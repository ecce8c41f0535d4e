/*
 * messages.c: the messages a filter's events exposed (messages.h).
 *
 * The messages view of the case expands each MailItemsAccessed record's
 * packed list; this groups those rows by who read what from where. The
 * grouping keys are value ids (small integers); names are read once per
 * output row.
 */
#include "messages.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void messages_clear(struct messages *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		struct messages_row *r = &m->rows[i];
		free(r->mailbox);
		free(r->msgid);
		free(r->folder);
		free(r->access);
		free(r->app);
		free(r->client_app);
		free(r->ip);
	}
	free(m->rows);
	memset(m, 0, sizeof *m);
}

/* A set of strings, to count distinct (mailbox, message) pairs. */
struct strset {
	char **slot;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* true when s is new; s is taken either way */
static bool strset_add(struct strset *set, char *s)
{
	if ((set->n + 1) * 2 > set->cap) {
		struct strset big = { .cap = set->cap ? set->cap * 2 : 1024 };
		big.slot = xcalloc(big.cap, sizeof *big.slot);
		for (size_t i = 0; i < set->cap; i++)
			if (set->slot[i])
				strset_add(&big, set->slot[i]);
		free(set->slot);
		*set = big;
	}
	size_t m = set->cap - 1, i = hash_str(s) & m;
	for (; set->slot[i]; i = (i + 1) & m) {
		if (!strcmp(set->slot[i], s)) {
			free(s);
			return false;
		}
	}
	set->slot[i] = s;
	set->n++;
	return true;
}

static void strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
}

struct collect {
	struct messages *m;
	size_t cap;
	int64_t limit;
	struct strset seen; /* "mailbox\nmsgid" and "mailbox\n\nfolder" */
};

static char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static int add_row(void *ctx, sqlite3_stmt *s)
{
	struct collect *c = ctx;
	struct messages *m = c->m;
	/* totals count every group; rows stop at the limit */
	bool sync = sqlite3_column_int(s, 11) != 0;
	const char *mb = (const char *)sqlite3_column_text(s, 0), *fo = (const char *)sqlite3_column_text(s, 2),
		   *id = (const char *)sqlite3_column_text(s, 1);
	char *key = sync ? xasprintf("%s\n\n%s", mb ? mb : "", fo ? fo : "")
			 : xasprintf("%s\n%s", mb ? mb : "", id ? id : "");
	if (strset_add(&c->seen, key)) {
		if (sync)
			m->folders++;
		else
			m->messages++;
	}
	if (c->limit >= 0 && (int64_t)m->n >= c->limit)
		return 0;
	m->rows = xgrow(m->rows, &c->cap, m->n + 1, sizeof *m->rows);
	struct messages_row *r = &m->rows[m->n++];
	r->mailbox = col(s, 0);
	r->msgid = col(s, 1);
	r->folder = col(s, 2);
	r->access = col(s, 3);
	r->app = col(s, 4);
	r->client_app = col(s, 5);
	r->ip = col(s, 6);
	r->first = sqlite3_column_int64(s, 7);
	r->last = sqlite3_column_int64(s, 8);
	r->events = sqlite3_column_int64(s, 9);
	r->size = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 10);
	r->sync = sync;
	return 0;
}

#define V(x) "(SELECT v FROM vals WHERE id = g." x ")"

int messages_run(struct query *q, int64_t limit, struct messages *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (query_prepare(q, cause) < 0)
		return -1;
	struct store *st = query_store(q);
	sqlite3 *db = store_db(st);
	/* A Sync record names folders without message ids: all of each
	 * folder's items were exposed, so it is one row per folder. Messages
	 * read by Bind are counted once per (mailbox, message id) however
	 * many folders or records name them, but listed per folder, access,
	 * app and IP, which is what an investigator reads. */
	char *sql = xasprintf(
		"WITH g AS ("
		"  SELECT e.mailbox AS mailbox, nullif(m.msgid, '') AS msgid, m.folder AS folder, e.access AS access,"
		"    e.app AS app, e.client_app AS client_app, e.ip AS ip, min(e.ts) AS first, max(e.ts) AS last,"
		"    count(DISTINCT e.id) AS events, max(m.size) AS size"
		"  FROM events e CROSS JOIN messages m ON m.event = e.id"
		"  WHERE %s"
		"  GROUP BY 1, 2, 3, 4, 5, 6, 7)"
		"SELECT " V("mailbox") ", g.msgid, g.folder, " V("access") ", " V("app") ", " V("client_app") ", "
		V("ip") ", g.first, g.last, g.events, g.size, g.msgid IS NULL"
		" FROM g ORDER BY " V("mailbox") ", g.first, g.msgid, g.folder",
		query_sql_where(q));
	sqlite3_stmt *s;
	int r = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	free(sql);
	if (r != SQLITE_OK)
		return set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(db));
	query_sql_bind(q, s);
	struct collect c = { .m = out, .limit = limit };
	r = query_sql_run(q, s, add_row, &c, cause);
	sqlite3_finalize(s);
	strset_free(&c.seen);
	if (r < 0) {
		messages_clear(out);
		return -1;
	}
	return 0;
}
