/*
 * store.c: store.h's functions, each handed to the case's store
 * (storage.h). store_open picks the store: a clickhouse:// or
 * clickhouses:// URL is a ClickHouse database (core/clickhouse/), any
 * other path a SQLite case file (core/sqlite/).
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "storage.h"

int store_open(const char *path, int flags, struct store **out, char **cause)
{
	return store_open_cb(path, flags, NULL, NULL, out, cause);
}

int store_open_cb(const char *path, int flags, store_schema_fn fn, void *ctx, struct store **out, char **cause)
{
	if (!strncmp(path, "clickhouse://", 13) || !strncmp(path, "clickhouses://", 14))
		return ch_store_open(path, flags, out, cause);
	return sqlite_store_open_cb(path, flags, fn, ctx, out, cause);
}

bool store_path_load_running(const char *path)
{
	if (!strncmp(path, "clickhouse://", 13) || !strncmp(path, "clickhouses://", 14))
		return false;
	return sqlite_path_load_running(path);
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

void store_close_failed_new(struct store *st)
{
	if (st && st->ops->close_failed_new)
		st->ops->close_failed_new(st);
	else
		store_close(st);
}

const char *store_path(const struct store *st)
{
	return st->ops->path(st);
}

int store_ensure_indexes(struct store *st, char **cause)
{
	return st->ops->ensure_indexes(st, cause);
}

char *store_raw(struct store *st, int64_t id, size_t *len)
{
	return st->ops->raw(st, id, len);
}

const char *store_raw_error(struct store *st)
{
	return st->ops->raw_error ? st->ops->raw_error(st) : NULL;
}

int store_time_range(struct store *st, int64_t *first, int64_t *last, char **cause)
{
	return st->ops->time_range(st, first, last, cause);
}

int store_event_messages(struct store *st, int64_t event, int (*fn)(const struct store_message *m, void *ctx),
			 void *ctx, char **cause)
{
	return st->ops->event_messages(st, event, fn, ctx, cause);
}

struct each_msg {
	size_t i;
	int (*fn)(size_t i, const struct store_message *m, void *ctx);
	void *ctx;
};

static int each_msg(const struct store_message *m, void *ctx)
{
	struct each_msg *e = ctx;
	return e->fn(e->i, m, e->ctx);
}

int store_events_messages(struct store *st, const int64_t *events, size_t n,
			  int (*fn)(size_t i, const struct store_message *m, void *ctx), void *ctx,
			  char **cause)
{
	if (st->ops->events_messages)
		return st->ops->events_messages(st, events, n, fn, ctx, cause);
	struct each_msg e = { 0, fn, ctx };
	for (e.i = 0; e.i < n; e.i++) {
		int r = st->ops->event_messages(st, events[e.i], each_msg, &e, cause);
		if (r)
			return r;
	}
	return 0;
}

int store_event_seen(struct store *st, int64_t event,
		     int (*fn)(const char *path, int64_t line, int64_t raw, void *ctx), void *ctx, char **cause)
{
	return st->ops->event_seen(st, event, fn, ctx, cause);
}

bool store_load_running(struct store *st)
{
	return st->ops->load_running ? st->ops->load_running(st) : false;
}

int64_t store_data_version(struct store *st)
{
	return st->ops->data_version ? st->ops->data_version(st) : 0;
}

char *store_state_get(struct store *st, const char *key)
{
	return st->ops->state_get(st, key);
}

int store_state_set(struct store *st, const char *key, const char *value, char **cause)
{
	return st->ops->state_set(st, key, value, cause);
}

int store_summary(struct store *st, struct store_summary *sum, char **cause)
{
	return st->ops->summary(st, sum, cause);
}

int store_each_source(struct store *st, int (*fn)(const struct store_source_row *r, void *ctx), void *ctx,
		      char **cause)
{
	return st->ops->each_source(st, fn, ctx, cause);
}

int store_each_reject(struct store *st, int64_t limit, int (*fn)(const struct store_reject_row *r, void *ctx),
		      void *ctx, char **cause)
{
	return st->ops->each_reject(st, limit, fn, ctx, cause);
}

int store_value_texts(struct store *st, const char *field, const int64_t *ids, size_t n, char **out,
		      char **cause)
{
	return st->ops->value_texts(st, field, ids, n, out, cause);
}

int store_value_places(struct store *st, const int64_t *ids, size_t n, struct store_place *out, char **cause)
{
	return st->ops->value_places(st, ids, n, out, cause);
}

void store_place_clear(struct store_place *p)
{
	if (!p)
		return;
	free(p->country);
	free(p->asn);
	free(p->as_org);
	memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ */
/* Bulk load */

struct store_load *store_load_begin(struct store *st, char **cause)
{
	return st->ops->load_begin(st, cause);
}

int store_load_source(struct store_load *ld, const char *path, int64_t bytes, char **cause)
{
	return ld->st->ops->load_source(ld, path, bytes, cause);
}

void store_load_sink(struct store_load *ld, struct sink *out)
{
	ld->st->ops->load_sink(ld, out);
}

int store_load_sync(struct store_load *ld, char **cause)
{
	return ld->st->ops->load_sync(ld, cause);
}

void store_load_counts(struct store_load *ld, struct store_counts *out)
{
	ld->st->ops->load_counts(ld, out);
}

int store_load_source_bytes(struct store_load *ld, int64_t bytes, char **cause)
{
	return ld->st->ops->load_source_bytes(ld, bytes, cause);
}

int store_load_source_end(struct store_load *ld, const char *sha256, const char *format, const char *encoding,
			  const char *status, const char *warning, char **cause)
{
	return ld->st->ops->load_source_end(ld, sha256, format, encoding, status, warning, cause);
}

int store_load_end(struct store_load *ld, char **cause)
{
	return ld->st->ops->load_end(ld, cause);
}

void store_load_on_streamed(struct store_load *ld, void (*fn)(void *ctx), void *ctx)
{
	ld->streamed = fn;
	ld->streamed_ctx = ctx;
}

void store_load_streamed(struct store_load *ld)
{
	void (*fn)(void *ctx) = ld->streamed;
	ld->streamed = NULL;
	if (fn)
		fn(ld->streamed_ctx);
}

void store_load_abort(struct store_load *ld)
{
	if (ld)
		ld->st->ops->load_abort(ld);
}

void store_load_set_batch(struct store_load *ld, unsigned n)
{
	ld->st->ops->load_set_batch(ld, n);
}

uint64_t store_load_mark(struct store_load *ld)
{
	return ld->st->ops->load_mark ? ld->st->ops->load_mark(ld) : 0;
}

uint64_t store_load_committed(struct store_load *ld)
{
	return ld->st->ops->load_committed ? ld->st->ops->load_committed(ld) : UINT64_MAX;
}

void store_load_set_ridmap_max(struct store_load *ld, size_t n)
{
	ld->st->ops->load_set_ridmap_max(ld, n);
}

/* ------------------------------------------------------------------ */
/* Reads for the hunts, Sigma rules and app names */

int store_value_find(struct store *st, const char *field, const char *text, enum store_match how,
		     int64_t **ids, size_t *n, char **cause)
{
	return st->ops->value_find(st, field, text, how, ids, n, cause);
}

void store_pick_init(struct store_pick *p)
{
	*p = (struct store_pick){
		.ts_from = INT64_MIN, .ts_to = INT64_MAX, .id_from = INT64_MIN, .id_to = INT64_MAX, .limit = -1
	};
}

int store_pick(struct store *st, const struct store_pick *p, const char *const *cols, size_t ncols,
	       store_row_fn fn, void *ctx, char **cause)
{
	return st->ops->pick(st, p, cols, ncols, fn, ctx, cause);
}

int store_gather(struct store *st, const struct store_gather *g, const char *const *cols, size_t ncols,
		 store_row_fn fn, void *ctx, char **cause)
{
	return st->ops->gather ? st->ops->gather(st, g, cols, ncols, fn, ctx, cause) : 0;
}

int store_reused(struct store *st, const char *field, const char *by, const struct progress *pr,
		 int64_t **ids, size_t *n, char **cause)
{
	return st->ops->reused ? st->ops->reused(st, field, by, pr, ids, n, cause) : 0;
}

int store_raw_each(struct store *st, const int64_t *ids, size_t n, store_raw_fn fn, void *ctx, char **cause)
{
	return st->ops->raw_each(st, ids, n, fn, ctx, cause);
}
