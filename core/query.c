/*
 * query.c: query.h's store-independent half: a filter parsed here and
 * compiled by the case's store (storage.h), rows and pages, and what is
 * built on pages (query_each, query_count_text).
 */
#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "storage.h"
#include "xalloc.h"

int query_new_filter(struct store *st, const struct filter *f, struct query **out, char **cause)
{
	return st->ops->query_new(st, f, out, cause);
}

void query_free(struct query *q)
{
	if (q)
		q->st->ops->query_free(q);
}

bool query_needs_scan(const struct query *q)
{
	return q->st->ops->query_needs_scan(q);
}

int query_prepare(struct query *q, char **cause)
{
	return q->st->ops->query_prepare(q, cause);
}

int query_page(struct query *q, enum query_from from, const struct query_pos *pos, size_t n,
	       struct query_page *out, char **cause)
{
	return q->st->ops->query_page(q, from, pos, n, out, cause);
}

int query_goto_time(struct query *q, int64_t ms, struct query_pos *pos, char **cause)
{
	return q->st->ops->query_goto_time(q, ms, pos, cause);
}

int query_count(struct query *q, int64_t budget_ms, struct query_count *out, char **cause)
{
	return q->st->ops->query_count(q, budget_ms, out, cause);
}

int query_rank(struct query *q, const struct query_pos *pos, int64_t budget_ms, int64_t *before, char **cause)
{
	if (!q->st->ops->query_rank)
		return 0;
	return q->st->ops->query_rank(q, pos, budget_ms, before, cause);
}

int query_scan(struct query *q, const char *const *cols, size_t ncols, store_row_fn fn, void *ctx, char **cause)
{
	return q->st->ops->scan(q, cols, ncols, fn, ctx, cause);
}

int query_scan_timeline(struct query *q, const char *const *cols, size_t ncols, unsigned flags,
			store_row_fn fn, void *ctx, char **cause)
{
	return q->st->ops->scan_timeline(q, cols, ncols, flags, fn, ctx, cause);
}

int query_marked_mailboxes(struct query *q, int (*fn)(const struct store_msg_mailbox *m, void *ctx),
			   void *ctx, char **cause)
{
	return q->st->ops->marked_mailboxes(q, fn, ctx, cause);
}

int query_marked_messages(struct query *q, int (*fn)(const struct store_msg_item *m, void *ctx), void *ctx,
			  char **cause)
{
	return q->st->ops->marked_messages(q, fn, ctx, cause);
}

int query_each_id(struct store *st, const int64_t *ids, size_t n, query_row_fn fn, void *ctx, char **cause)
{
	return st->ops->each_id(st, ids, n, fn, ctx, cause);
}

int query_new(struct store *st, const char *filter, struct query **out, char **cause)
{
	struct filter *f = filter_parse(filter, cause);
	if (!f)
		return -1;
	int r = query_new_filter(st, f, out, cause);
	filter_free(f);
	return r;
}


struct store *query_store(const struct query *q)
{
	return q->st;
}

const char *query_text(const struct query *q)
{
	return q->text;
}

void query_set_progress(struct query *q, const struct progress *p)
{
	q->pr = p ? *p : (struct progress){ 0 };
}

bool query_cancelled(const struct query *q)
{
	return q->cancelled;
}


/* Every string a row owns, once: clear and copy walk this list. */
#define ROW_NTEXTS 21
/* a field added to struct query_row must be added here too */
_Static_assert(sizeof(struct query_row) == 4 * sizeof(int64_t) + 2 * sizeof(int) + ROW_NTEXTS * sizeof(char *),
	       "struct query_row changed: update row_texts()");
static void row_texts(struct query_row *r, char **s[ROW_NTEXTS])
{
	char **all[ROW_NTEXTS] = { &r->record_id, &r->op,         &r->rtype,  &r->workload,    &r->user,
				   &r->app,       &r->client_app, &r->ip,     &r->result,      &r->session,
				   &r->token,     &r->mailbox,    &r->access, &r->client_info, &r->source,
				   &r->detail,    &r->country,    &r->asn,    &r->as_org,      &r->ip_label,
				   &r->host };
	memcpy(s, all, sizeof all);
}

void query_row_clear(struct query_row *r)
{
	if (!r)
		return;
	char **s[ROW_NTEXTS];
	row_texts(r, s);
	for (size_t i = 0; i < ROW_NTEXTS; i++)
		free(*s[i]);
	memset(r, 0, sizeof *r);
}

void query_row_copy(struct query_row *dst, const struct query_row *src)
{
	*dst = *src;
	char **s[ROW_NTEXTS];
	row_texts(dst, s);
	for (size_t i = 0; i < ROW_NTEXTS; i++)
		if (*s[i])
			*s[i] = xstrdup(*s[i]);
}

const char *query_row_get(const struct query_row *r, const char *field)
{
	const struct filter_field *f = filter_field_find(field);
	if (!f)
		return NULL;
	const char *c = f->column;
#define F(col)                \
	if (!strcmp(c, #col)) \
	return r->col
	F(record_id);
	F(op);
	F(workload);
	F(user);
	F(app);
	F(client_app);
	F(ip);
	F(host);
	F(result);
	F(session);
	F(token);
	F(mailbox);
	F(access);
	F(client_info);
	F(detail);
	F(country);
	F(asn);
	F(as_org);
#undef F
	if (!strcmp(c, "rtype"))
		return r->rtype;
	if (!strcmp(c, "source"))
		return r->source;
	return NULL;
}

void query_page_clear(struct query_page *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		query_row_clear(&p->rows[i]);
	p->n = 0;
	p->at_start = p->at_end = false;
}

void query_page_free(struct query_page *p)
{
	if (!p)
		return;
	query_page_clear(p);
	free(p->rows);
	p->rows = NULL;
	p->cap = 0;
}


int query_each(struct query *q, bool desc, int64_t limit, query_row_fn fn, void *ctx, char **cause)
{
	struct query_page p = { 0 };
	int64_t done = 0;
	const size_t chunk = 1000;
	enum query_from from = desc ? QUERY_LAST : QUERY_FIRST;
	struct query_pos pos = { 0, 0 };
	for (;;) {
		size_t want = chunk;
		if (limit >= 0 && (int64_t)want > limit - done)
			want = (size_t)(limit - done);
		if (want == 0)
			break;
		if (query_page(q, from, &pos, want, &p, cause) < 0) {
			query_page_free(&p);
			return -1;
		}
		for (size_t i = 0; i < p.n; i++) {
			const struct query_row *r = &p.rows[desc ? p.n - 1 - i : i];
			if (fn(r, ctx)) {
				query_page_free(&p);
				return 0;
			}
		}
		done += (int64_t)p.n;
		if (p.n < want || (desc ? p.at_start : p.at_end))
			break;
		const struct query_row *edge = desc ? &p.rows[0] : &p.rows[p.n - 1];
		pos = (struct query_pos){ edge->ts, edge->id };
		from = desc ? QUERY_BEFORE : QUERY_AFTER;
	}
	query_page_free(&p);
	return 0;
}


int64_t query_count_text(struct store *st, const char *filter, char **cause)
{
	struct query *q;
	if (query_new(st, filter, &q, cause) < 0)
		return -1;
	struct query_count c;
	int r = query_count(q, -1, &c, cause);
	query_free(q);
	return r < 0 ? -1 : c.n;
}
