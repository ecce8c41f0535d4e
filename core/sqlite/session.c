/*
 * session.c: the joins of session.h on the SQLite case.
 *
 * Join rules, and what matched on the real samples (../shared/realdata,
 * every file loaded into one case):
 *
 *  - token: a UAL record's AppAccessContext.UniqueTokenId, an Entra
 *    sign-in's uniqueTokenIdentifier and a Graph activity record's
 *    signInActivityId are the same identifier of one issued token (the
 *    Graph activity schema documents signInActivityId as the sign-in's
 *    uniqueTokenIdentifier). Measured: 708 of 715 sign-ins carry a token,
 *    all distinct; 62 of 720 UAL records carry one (4 distinct); risk
 *    detections carry their requestId there (58, 42 distinct).
 *  - session: AppAccessContext.AADSessionId (and SessionId where the UAL
 *    has no AADSessionId), the sign-in's sessionId and Graph activity's
 *    SessionId name the Entra session a token was issued in. Measured:
 *    702 sign-ins carry 624 distinct sessions (a session spans several
 *    sign-ins of one user: renewals, other apps), 56 UAL records 2.
 *  - Across kinds nothing matches in the real samples: every file comes
 *    from a different tenant (or was anonymised), so the cross-kind joins
 *    are tested on generated data (tests/test_tui_session.c) where the
 *    identifiers are shared as the documentation says.
 *  - Exchange's own SessionId of OWA records is a different identifier
 *    that never matches a sign-in: it only joins UAL records to each
 *    other, which is harmless.
 *  - correlationId is left out: it ties one sign-in to its interrupts,
 *    never to a mail read.
 *
 * The closure alternates: identifiers -> events that carry any of them ->
 * the identifiers those events carry, until no new identifier appears.
 * Identifier sets travel as bound JSON arrays (json_each), so nothing is
 * pasted into SQL.
 */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "sqlite_store.h"
#include "util.h"
#include "xalloc.h"

static int fail(sqlite3 *db, char **cause)
{
	return set_cause(cause, "session: %s", sqlite3_errmsg(db));
}

static char *json_ints(const struct util_ivec *v)
{
	struct util_buf b = { 0 };
	util_buf_putc(&b, '[');
	for (size_t i = 0; i < v->n; i++)
		util_buf_printf(&b, "%s%lld", i ? "," : "", (long long)v->v[i]);
	util_buf_putc(&b, ']');
	return util_buf_take(&b);
}

static char *val_text(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *s;
	char *out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT v FROM vals WHERE id = ?", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		out = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

int session_find(struct store *st, const char *key, struct session **out, char **cause)
{
	*out = NULL;
	sqlite3 *db = store_db(st);
	if (!db)
		return session_find_any(st, key, out, cause);
	struct util_ivec sess = { 0 }, toks = { 0 };
	sqlite3_stmt *s = NULL;
	int rc = -1;
	/* the key: a record id (its session and token), or an identifier */
	if (sqlite3_prepare_v2(db,
			       "SELECT e.session, e.token FROM events e WHERE e.id IN (" SQLITE_RIDX_IDS_ANY(
				       "SELECT rid_key(?1) AS record_id") ")"
									  " UNION ALL SELECT id, id FROM (" SQLITE_VALS_BY_TEXT(
										  "") ")",
			       -1, &s, NULL) != SQLITE_OK) {
		fail(db, cause);
		goto out;
	}
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			util_ivec_add(&sess, sqlite3_column_int64(s, 0));
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			util_ivec_add(&toks, sqlite3_column_int64(s, 1));
	}
	sqlite3_finalize(s);
	s = NULL;
	if (r != SQLITE_DONE) {
		fail(db, cause);
		goto out;
	}
	if (sess.n == 0 && toks.n == 0) {
		rc = 1;
		goto out;
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT e.id, e.ts, e.kind, e.session, e.token FROM events e"
			       " WHERE e.session IN (SELECT value FROM json_each(?1))"
			       " OR e.token IN (SELECT value FROM json_each(?2))"
			       " ORDER BY e.ts, e.id",
			       -1, &s, NULL) != SQLITE_OK) {
		fail(db, cause);
		goto out;
	}
	struct session *res = NULL;
	for (;;) {
		size_t had = sess.n + toks.n;
		char *js = json_ints(&sess), *jt = json_ints(&toks);
		sqlite3_bind_text(s, 1, js, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, jt, -1, SQLITE_TRANSIENT);
		free(js);
		free(jt);
		struct session *cur = xcalloc(1, sizeof *cur);
		size_t cap = 0;
		while ((r = sqlite3_step(s)) == SQLITE_ROW) {
			cur->ids = xgrow(cur->ids, &cap, cur->n + 1, sizeof *cur->ids);
			cur->ids[cur->n++] = sqlite3_column_int64(s, 0);
			int kind = sqlite3_column_int(s, 2);
			if (kind >= 0 && kind < 16)
				cur->kinds[kind]++;
			if (sess.n + toks.n < SESSION_MAX_IDS) {
				if (sqlite3_column_type(s, 3) != SQLITE_NULL)
					util_ivec_add(&sess, sqlite3_column_int64(s, 3));
				if (sqlite3_column_type(s, 4) != SQLITE_NULL)
					util_ivec_add(&toks, sqlite3_column_int64(s, 4));
			}
		}
		sqlite3_reset(s);
		if (r != SQLITE_DONE) {
			session_free(cur);
			session_free(res);
			fail(db, cause);
			goto out;
		}
		session_free(res);
		res = cur;
		if (sess.n + toks.n == had || sess.n + toks.n >= SESSION_MAX_IDS)
			break;
	}
	if (res->n == 0) {
		session_free(res);
		rc = 1;
		goto out;
	}
	/* the identifiers as text: those that some event carries as such */
	res->sessions = xcalloc(sess.n + toks.n + 1, sizeof *res->sessions);
	res->tokens = xcalloc(sess.n + toks.n + 1, sizeof *res->tokens);
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT pivot_count(4, ?1) > 0, EXISTS(SELECT 1 FROM events WHERE token = ?1)",
			       -1, &s, NULL) != SQLITE_OK) {
		session_free(res);
		fail(db, cause);
		goto out;
	}
	struct util_ivec all = { 0 };
	for (size_t i = 0; i < sess.n; i++)
		util_ivec_add(&all, sess.v[i]);
	for (size_t i = 0; i < toks.n; i++)
		util_ivec_add(&all, toks.v[i]);
	for (size_t i = 0; i < all.n; i++) {
		sqlite3_bind_int64(s, 1, all.v[i]);
		if (sqlite3_step(s) == SQLITE_ROW) {
			bool is_s = sqlite3_column_int(s, 0), is_t = sqlite3_column_int(s, 1);
			char *t = (is_s || is_t) ? val_text(db, all.v[i]) : NULL;
			if (t && is_s)
				res->sessions[res->nsessions++] = xstrdup(t);
			if (t && is_t)
				res->tokens[res->ntokens++] = xstrdup(t);
			free(t);
		}
		sqlite3_reset(s);
	}
	util_ivec_free(&all);
	*out = res;
	rc = 0;
out:
	sqlite3_finalize(s);
	util_ivec_free(&sess);
	util_ivec_free(&toks);
	return rc;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nsessions; i++)
		free(s->sessions[i]);
	for (size_t i = 0; i < s->ntokens; i++)
		free(s->tokens[i]);
	free(s->sessions);
	free(s->tokens);
	free(s->ids);
	free(s);
}

char *session_filter(const struct session *s)
{
	struct util_buf b = { 0 };
	if (s->nsessions) {
		util_buf_puts(&b, "session=");
		for (size_t i = 0; i < s->nsessions; i++) {
			char *q = filter_quote(s->sessions[i]);
			util_buf_printf(&b, "%s%s", i ? "," : "", q);
			free(q);
		}
	}
	if (s->ntokens) {
		util_buf_puts(&b, s->nsessions ? " or token=" : "token=");
		for (size_t i = 0; i < s->ntokens; i++) {
			char *q = filter_quote(s->tokens[i]);
			util_buf_printf(&b, "%s%s", i ? "," : "", q);
			free(q);
		}
	}
	return util_buf_take(&b);
}

struct grab {
	struct query_row *out;
	bool got;
};

static int grab_row(const struct query_row *r, void *ctx)
{
	struct grab *g = ctx;
	struct query_row *o = g->out;
	query_row_copy(o, r); /* the row passed is the reader's */
	g->got = true;
	return 1;
}

int session_signin(struct store *st, int64_t event_id, struct query_row *out, char **cause)
{
	memset(out, 0, sizeof *out);
	sqlite3 *db = store_db(st);
	if (!db)
		return session_signin_any(st, event_id, out, cause);
	sqlite3_stmt *s;
	/* the same token first; else the same session, the latest sign-in
	 * before the event, else the first after it */
	if (sqlite3_prepare_v2(db,
			       "SELECT g.id FROM events e JOIN events g ON g.kind = ?2 AND g.id <> e.id"
			       " AND (g.token = e.token OR g.session = e.session)"
			       " WHERE e.id = ?1 AND e.kind <> ?2"
			       " ORDER BY g.token IS e.token DESC, g.ts > e.ts, abs(g.ts - e.ts), g.id LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return fail(db, cause);
	sqlite3_bind_int64(s, 1, event_id);
	sqlite3_bind_int(s, 2, KIND_SIGNIN);
	int r = sqlite3_step(s);
	int64_t id = r == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return fail(db, cause);
	if (r == SQLITE_DONE)
		return 1;
	struct grab g = { out, false };
	if (query_each_id(st, &id, 1, grab_row, &g, cause) < 0)
		return -1;
	return g.got ? 0 : 1;
}
