/*
 * session_any.c: the joins of session.h on a store without its own (the
 * ClickHouse store), through filters only: session=..., token=...,
 * record_id=... and kind=signin. The rules and the results are those of
 * core/sqlite/session.c, which joins value ids in SQL; here the
 * identifiers travel as texts inside filters (filter_quote), so nothing
 * reaches a store unescaped.
 */
#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "filter.h"
#include "util.h"
#include "xalloc.h"

/* Add s to v unless it is there; true when added. */
static bool svec_add(struct util_svec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return false;
	util_svec_push(v, s);
	return true;
}

static void svec_clear(struct util_svec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	v->n = 0;
}

/* "field=a,b,c" of the texts of v, appended to b (after sep when b has
 * something already). */
static void terms(struct util_buf *b, const char *sep, const char *field, const struct util_svec *v)
{
	if (!v->n)
		return;
	if (b->n)
		util_buf_puts(b, sep);
	util_buf_printf(b, "%s=", field);
	for (size_t i = 0; i < v->n; i++) {
		char *q = filter_quote(v->v[i]);
		util_buf_printf(b, "%s%s", i ? "," : "", q);
		free(q);
	}
}

struct closure {
	struct util_svec *sess, *toks;
	struct session *cur;
	size_t cap;
	/* the identifiers the events found carry, as session and as token */
	struct util_svec seen_s, seen_t;
};

static int closure_row(const struct query_row *r, void *ctx)
{
	struct closure *c = ctx;
	struct session *cur = c->cur;
	cur->ids = xgrow(cur->ids, &c->cap, cur->n + 1, sizeof *cur->ids);
	cur->ids[cur->n++] = r->id;
	if (r->kind >= 0 && r->kind < 16)
		cur->kinds[r->kind]++;
	if (r->session && *r->session)
		svec_add(&c->seen_s, r->session);
	if (r->token && *r->token)
		svec_add(&c->seen_t, r->token);
	if (c->sess->n + c->toks->n < SESSION_MAX_IDS) {
		if (r->session && *r->session)
			svec_add(c->sess, r->session);
		if (r->token && *r->token)
			svec_add(c->toks, r->token);
	}
	return 0;
}

/* The events of filter text (time order) to fn. */
static int each(struct store *st, const char *text, query_row_fn fn, void *ctx, char **cause)
{
	struct query *q;
	if (query_new(st, text, &q, cause) < 0)
		return -1;
	int r = query_each(q, false, -1, fn, ctx, cause);
	query_free(q);
	return r < 0 ? -1 : 0;
}

static int seen_row(const struct query_row *r, void *ctx)
{
	struct closure *c = ctx;
	if (r->session && *r->session)
		svec_add(&c->seen_s, r->session);
	if (r->token && *r->token)
		svec_add(&c->seen_t, r->token);
	return 0;
}

/* Which of all's identifiers not yet seen as field does some event carry
 * as field: one more query, for them alone (added to c's seen sets). */
static int carried(struct store *st, struct closure *c, const char *field, const struct util_svec *all,
		   const struct util_svec *seen, char **cause)
{
	struct util_svec ask = { 0 };
	for (size_t i = 0; i < all->n; i++) {
		bool have = false;
		for (size_t k = 0; k < seen->n && !have; k++)
			have = !strcmp(seen->v[k], all->v[i]);
		if (!have)
			util_svec_push(&ask, all->v[i]);
	}
	struct util_buf b = { 0 };
	terms(&b, "", field, &ask);
	int r = ask.n ? each(st, util_buf_str(&b), seen_row, c, cause) : 0;
	util_buf_free(&b);
	util_svec_free(&ask);
	return r;
}

static bool has(const struct util_svec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

static int key_row(const struct query_row *r, void *ctx)
{
	struct closure *c = ctx;
	if (r->session && *r->session)
		svec_add(c->sess, r->session);
	if (r->token && *r->token)
		svec_add(c->toks, r->token);
	return 0;
}

int session_find_any(struct store *st, const char *key, struct session **out, char **cause)
{
	*out = NULL;
	struct util_svec sess = { 0 }, toks = { 0 };
	struct closure c = { .sess = &sess, .toks = &toks };
	int rc = -1;
	/* the key: a record id (its session and token), or an identifier
	 * itself (as either) */
	char *qk = filter_quote(key);
	char *f = xasprintf("record_id=%s", qk);
	free(qk);
	int r = each(st, f, key_row, &c, cause);
	free(f);
	if (r < 0)
		goto out;
	if (*key) {
		svec_add(&sess, key);
		svec_add(&toks, key);
	}
	struct session *res = NULL;
	for (;;) {
		size_t had = sess.n + toks.n;
		struct util_buf b = { 0 };
		terms(&b, " or ", "session", &sess);
		terms(&b, " or ", "token", &toks);
		c.cur = xcalloc(1, sizeof *c.cur);
		c.cap = 0;
		svec_clear(&c.seen_s);
		svec_clear(&c.seen_t);
		r = b.n ? each(st, util_buf_str(&b), closure_row, &c, cause) : 0;
		util_buf_free(&b);
		session_free(res);
		res = c.cur;
		if (r < 0) {
			session_free(res);
			goto out;
		}
		if (sess.n + toks.n == had || sess.n + toks.n >= SESSION_MAX_IDS)
			break;
	}
	if (res->n == 0) {
		session_free(res);
		rc = 1;
		goto out;
	}
	/* the identifiers as text: those that some event carries as such */
	struct util_svec all = { 0 };
	for (size_t i = 0; i < sess.n; i++)
		svec_add(&all, sess.v[i]);
	for (size_t i = 0; i < toks.n; i++)
		svec_add(&all, toks.v[i]);
	res->sessions = xcalloc(all.n + 1, sizeof *res->sessions);
	res->tokens = xcalloc(all.n + 1, sizeof *res->tokens);
	if (carried(st, &c, "session", &all, &c.seen_s, cause) < 0 ||
	    carried(st, &c, "token", &all, &c.seen_t, cause) < 0) {
		util_svec_free(&all);
		session_free(res);
		goto out;
	}
	for (size_t i = 0; i < all.n; i++) {
		if (has(&c.seen_s, all.v[i]))
			res->sessions[res->nsessions++] = xstrdup(all.v[i]);
		if (has(&c.seen_t, all.v[i]))
			res->tokens[res->ntokens++] = xstrdup(all.v[i]);
	}
	util_svec_free(&all);
	*out = res;
	rc = 0;
out:
	util_svec_free(&sess);
	util_svec_free(&toks);
	util_svec_free(&c.seen_s);
	util_svec_free(&c.seen_t);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The sign-in behind an event */

/* A deep copy of r into o (the row handed to a callback is the
 * reader's). Every text field of struct query_row is here: a new one
 * must be added too. */
static int copy_row(const struct query_row *r, void *ctx)
{
	query_row_copy(ctx, r);
	return 1;
}

struct best {
	const struct query_row *e;
	struct query_row *out;
	bool got;
	bool tok; /* the best so far shares the token */
	bool after;
	int64_t dist, id;
};

static bool same_text(const char *a, const char *b)
{
	bool ea = !a || !*a, eb = !b || !*b;
	return ea || eb ? ea && eb : !strcmp(a, b);
}

/* The order of the SQLite store's join: the same token first, then
 * sign-ins before (or at) the event, then the nearest, then the id. */
static int best_row(const struct query_row *g, void *ctx)
{
	struct best *b = ctx;
	if (g->id == b->e->id)
		return 0;
	bool tok = same_text(g->token, b->e->token), after = g->ts > b->e->ts;
	int64_t dist = g->ts > b->e->ts ? g->ts - b->e->ts : b->e->ts - g->ts;
	if (b->got) {
		if (tok != b->tok) {
			if (!tok)
				return 0;
		} else if (after != b->after) {
			if (after)
				return 0;
		} else if (dist != b->dist) {
			if (dist > b->dist)
				return 0;
		} else if (g->id >= b->id) {
			return 0;
		}
		query_row_clear(b->out);
	}
	query_row_copy(b->out, g);
	b->got = true;
	b->tok = tok;
	b->after = after;
	b->dist = dist;
	b->id = g->id;
	return 0;
}

int session_signin_any(struct store *st, int64_t event_id, struct query_row *out, char **cause)
{
	memset(out, 0, sizeof *out);
	struct query_row e = { 0 };
	if (query_each_id(st, &event_id, 1, copy_row, &e, cause) < 0)
		return -1;
	int rc = 1;
	if (e.id && e.kind != KIND_SIGNIN) {
		struct util_svec s = { 0 }, t = { 0 };
		if (e.session && *e.session)
			util_svec_push(&s, e.session);
		if (e.token && *e.token)
			util_svec_push(&t, e.token);
		struct util_buf b = { 0 };
		terms(&b, " or ", "session", &s);
		terms(&b, " or ", "token", &t);
		if (b.n) {
			char *f = xasprintf("kind=signin (%s)", util_buf_str(&b));
			struct best best = { .e = &e, .out = out };
			rc = each(st, f, best_row, &best, cause) < 0 ? -1 : best.got ? 0 : 1;
			free(f);
		}
		util_buf_free(&b);
		util_svec_free(&s);
		util_svec_free(&t);
	}
	query_row_clear(&e);
	return rc;
}
