/*
 * hunt_util.h: what the hunt tests share (test_hunt.c, test_hunt_run.c,
 * test_hunt_shapes.c): the demo case built from the generated sample
 * bundle with its manifest (the group's setup and teardown), and helpers
 * to read hunt results and compare sets of record ids.
 */
#ifndef AUDITSCOPE_TEST_HUNT_UTIL_H
#define AUDITSCOPE_TEST_HUNT_UTIL_H

#include "testutil.h"

#include <jansson.h>
#include <stdint.h>

#include "filter.h"
#include "hunt.h"
#include "ingest.h"
#include "knownapps.h"
#include "query.h"
#include "store.h"
#include "timeparse.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

struct demo {
	char *dir;
	struct store *st;
	json_t *manifest, *planted;
};

static inline struct store *load_case(const char *dir, const char *name, const char *input)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct store *st = NULL;
	char *cause = NULL;
	if (store_open(path, STORE_CREATE, &st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return NULL;
	}
	const char *paths[] = { input };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (ingest_paths(st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		store_close(st);
		return NULL;
	}
	return st;
}

static inline int setup(void **state)
{
	struct demo *d = calloc(1, sizeof *d);
	d->dir = tmpdir_new();
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char cmd[8192], path[4096], moved[4096];
	snprintf(cmd, sizeof cmd, "'%s/auditgen' --bundle '%s/bundle' >/dev/null", build, d->dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot run %s/auditgen (make it first)\n", build);
		goto fail;
	}
	snprintf(path, sizeof path, "%s/bundle/manifest.json", d->dir);
	d->manifest = json_load_file(path, 0, NULL);
	if (!d->manifest)
		goto fail;
	d->planted = json_object_get(d->manifest, "planted");
	/* the answer key is not evidence: out of the bundle */
	snprintf(moved, sizeof moved, "%s/manifest.json", d->dir);
	rename(path, moved);
	snprintf(path, sizeof path, "%s/bundle", d->dir);
	d->st = load_case(d->dir, "demo.case", path);
	if (!d->st)
		goto fail;
	*state = d;
	return 0;
fail:
	/* teardown does not run after a failed setup */
	store_close(d->st);
	json_decref(d->manifest);
	tmpdir_remove(d->dir);
	free(d->dir);
	free(d);
	return -1;
}

static inline int teardown(void **state)
{
	struct demo *d = *state;
	store_close(d->st);
	json_decref(d->manifest);
	tmpdir_remove(d->dir);
	free(d->dir);
	free(d);
	return 0;
}

/* --- helpers --- */

static inline const char *pstr(struct demo *d, const char *key)
{
	const char *s = json_string_value(json_object_get(d->planted, key));
	assert_non_null(s);
	return s;
}

static inline const char *pstr2(struct demo *d, const char *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(d->planted, obj), key));
	assert_non_null(s);
	return s;
}

static inline struct hunt_result *run(struct store *st, enum hunt_id id)
{
	struct hunt_result *r = NULL;
	char *cause = NULL;
	if (hunt_run(st, id, NULL, &r, &cause) < 0)
		fail_msg("hunt %s: %s", hunt_def(id)->name, cause);
	assert_non_null(r);
	return r;
}

static inline size_t col(const struct hunt_result *r, const char *name)
{
	for (size_t i = 0; i < r->def->ncols; i++)
		if (strcmp(r->def->cols[i].name, name) == 0)
			return i;
	fail_msg("hunt %s has no column %s", r->def->name, name);
	return 0;
}

static inline const char *cell(const struct hunt_result *r, size_t row, const char *name)
{
	return r->rows[row].vals[col(r, name)];
}

/* One expected cell of a hunt's table: row, column, text. */
struct cell_want {
	size_t row;
	const char *col, *text;
};

static inline void assert_cells(const struct hunt_result *r, const struct cell_want *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (w[i].row >= r->nrows)
			fail_msg("hunt %s: no row %zu (%zu rows)", r->def->name, w[i].row, r->nrows);
		const char *v = cell(r, w[i].row, w[i].col);
		if (!v || strcmp(v, w[i].text) != 0)
			fail_msg("hunt %s row %zu %s: '%s', expected '%s'", r->def->name, w[i].row, w[i].col,
				 v ? v : "(null)", w[i].text);
	}
}

/* A set of strings, kept sorted. */
struct strset {
	char **v;
	size_t n, cap;
};

static inline int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void set_add(struct strset *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return;
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof *s->v);
	s->v[s->n++] = xstrdup(v);
	qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

static inline bool set_has(const struct strset *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return true;
	return false;
}

static inline void set_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static inline void set_from_json(struct strset *s, json_t *arr)
{
	size_t i;
	json_t *v;
	assert_true(json_is_array(arr));
	json_array_foreach(arr, i, v) set_add(s, json_string_value(v));
}

static inline void assert_sets_equal(const struct strset *a, const struct strset *b, const char *what)
{
	bool same = a->n == b->n;
	for (size_t i = 0; same && i < a->n; i++)
		same = strcmp(a->v[i], b->v[i]) == 0;
	if (!same) {
		for (size_t i = 0; i < a->n; i++)
			fprintf(stderr, "  found    %s\n", a->v[i]);
		for (size_t i = 0; i < b->n; i++)
			fprintf(stderr, "  expected %s\n", b->v[i]);
		fail_msg("%s: sets differ (%zu found, %zu expected)", what, a->n, b->n);
	}
}

/* Record ids of a row's events. */
static inline void row_rids(struct store *st, const struct hunt_row *row, struct strset *out)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st), "SELECT rid_text(record_id) FROM events WHERE id = ?",
					    -1, &q, NULL),
			 SQLITE_OK);
	for (size_t i = 0; i < row->nevents; i++) {
		sqlite3_bind_int64(q, 1, row->events[i]);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		set_add(out, (const char *)sqlite3_column_text(q, 0));
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
}

/* "a, b, c" (a hunt's list cell) as a set. */
static inline void set_from_list(struct strset *s, const char *list)
{
	assert_non_null(list);
	assert_null(strstr(list, ", +")); /* not cut short */
	char *t = xstrdup(list);
	for (char *p = strtok(t, ", "); p; p = strtok(NULL, ", "))
		set_add(s, p);
	free(t);
}

#endif
