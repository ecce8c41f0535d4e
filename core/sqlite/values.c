/*
 * values.c: the case's value tables (vals, and sources for the source
 * field): names of value ids, and the ids of a text.
 */
#include <stdlib.h>

#include "sanitize.h"
#include "util.h"
#include "xalloc.h"
#include "store_impl.h"

/* Many ids at once: one statement over a JSON array of them, so that the
 * case is read in one transaction (each statement of its own takes and
 * drops the case's read lock: 10^5 names cost seconds that way). */
#define MANY_TEXTS 8

static int many_texts(struct store *st, bool sources, const int64_t *ids, size_t n, char **out, char **cause)
{
	struct util_buf b = { 0 };
	util_buf_puts(&b, "[");
	for (size_t i = 0; i < n; i++)
		util_buf_printf(&b, "%s%lld", i ? "," : "", (long long)ids[i]);
	util_buf_puts(&b, "]");
	sqlite3_stmt *q =
		sqlite_prep(st,
			    sources ? "SELECT j.key, s.path FROM json_each(?1) j JOIN sources s ON s.id = j.value"
				    : "SELECT j.key, v.v FROM json_each(?1) j JOIN vals v ON v.id = j.value",
			    cause);
	if (!q) {
		util_buf_free(&b);
		return -1;
	}
	sqlite3_bind_text(q, 1, b.p, (int)b.n, SQLITE_STATIC);
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t k = sqlite3_column_int64(q, 0);
		const unsigned char *t = sqlite3_column_text(q, 1);
		if (k >= 0 && (size_t)k < n && t && !out[k])
			out[k] = sanitize_nul((const char *)t, (size_t)sqlite3_column_bytes(q, 1));
	}
	sqlite3_finalize(q);
	util_buf_free(&b);
	if (r != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++) {
			free(out[i]);
			out[i] = NULL;
		}
		return sqlite_fail(st, cause);
	}
	return 0;
}

/* The statements stay prepared for the case's life: the messages list
 * asks for names one at a time. */
int sqlite_value_texts(struct store *st, const char *field, const int64_t *ids, size_t n, char **out,
		       char **cause)
{
	const struct filter_field *f = filter_field_find(field);
	int w = f && (f->flags & FIELD_SOURCE);
	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	if (!n)
		return 0;
	if (n >= MANY_TEXTS)
		return many_texts(st, w, ids, n, out, cause);
	sqlite3_stmt **s = &SQ(st)->sel_text[w];
	if (!*s && sqlite3_prepare_v3(SQ(st)->db,
				      w ? "SELECT path FROM sources WHERE id = ?1"
					: "SELECT v FROM vals WHERE id = ?1",
				      -1, SQLITE_PREPARE_PERSISTENT, s, NULL) != SQLITE_OK)
		return sqlite_fail(st, cause);
	for (size_t i = 0; i < n; i++) {
		if (!ids[i])
			continue;
		sqlite3_bind_int64(*s, 1, ids[i]);
		if (sqlite3_step(*s) == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(*s, 0);
			out[i] = t ? sanitize_nul((const char *)t, (size_t)sqlite3_column_bytes(*s, 0)) : NULL;
		}
		sqlite3_reset(*s);
	}
	return 0;
}

/* Every text field shares the one value table (sources have their own):
 * the field only picks between them. */
int sqlite_value_find(struct store *st, const char *field, const char *text, enum store_match how,
		      int64_t **ids, size_t *n, char **cause)
{
	const struct filter_field *f = filter_field_find(field);
	bool src = f && (f->flags & FIELD_SOURCE);
	const char *tab = src ? "SELECT id FROM sources WHERE path" : "SELECT id FROM vals WHERE v";
	char *sql = xasprintf("%s %s", tab,
			      how == STORE_MATCH_EXACT    ? "= ?1"
			      : how == STORE_MATCH_PREFIX ? "LIKE ?1 ESCAPE '\\'"
							  : "= ?1 COLLATE NOCASE");
	sqlite3_stmt *q = sqlite_prep(st, sql, cause);
	free(sql);
	if (!q)
		return -1;
	if (how == STORE_MATCH_PREFIX) {
		/* LIKE compares ASCII letters in any case; its own marks escaped */
		struct util_buf b = { 0 };
		for (const char *p = text; *p; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				util_buf_add(&b, "\\", 1);
			util_buf_add(&b, p, 1);
		}
		util_buf_add(&b, "%", 1);
		sqlite3_bind_text(q, 1, util_buf_str(&b), -1, SQLITE_TRANSIENT);
		util_buf_free(&b);
	} else {
		sqlite3_bind_text(q, 1, text, -1, SQLITE_TRANSIENT);
	}
	int k;
	size_t cap = *n;
	while ((k = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		bool dup = false;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = (*ids)[i] == id;
		if (dup)
			continue;
		*ids = xgrow(*ids, &cap, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = id;
	}
	int rc = k == SQLITE_DONE ? 0 : sqlite_fail(st, cause);
	sqlite3_finalize(q);
	return rc;
}
