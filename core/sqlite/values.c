/*
 * values.c: the case's value tables (vals, and sources for the source
 * field): names of value ids, and the ids of a text.
 *
 * vals keeps each value once, with a hash of it (h) (schema 8), found
 * by that hash through vidx (schema 15, vidx.c; before, the index
 * vals_h). It had the text three times: the table, its unique index and
 * a case-blind index; on a million events of the high-cardinality shape
 * (590,000 values: tokens, sessions, user agents) that was 97 MB, a
 * sixth of the case. A look-up by text asks the hash's candidates and
 * compares the text: SQLITE_VALS_BY_TEXT (COLLATE NOCASE for a
 * case-blind one: the hash folds ASCII letters as NOCASE does).
 */
#include <stdlib.h>

#include "sanitize.h"
#include "util.h"
#include "xalloc.h"
#include "store_impl.h"

/* A byte as the hash sees it: ASCII capitals as lower case */
#define FOLD(c) ((c) + ('a' - 'A') * ((c) >= 'A' && (c) <= 'Z'))
#define FOLD4(c) FOLD(c), FOLD((c) + 1), FOLD((c) + 2), FOLD((c) + 3)
#define FOLD16(c) FOLD4(c), FOLD4((c) + 4), FOLD4((c) + 8), FOLD4((c) + 12)
#define FOLD64(c) FOLD16(c), FOLD16((c) + 16), FOLD16((c) + 32), FOLD16((c) + 48)
static const unsigned char fold[256] = { FOLD64(0), FOLD64(64), FOLD64(128), FOLD64(192) };

#define FNV_PRIME 0x100000001b3ULL

/*
 * FNV-1a over the bytes, ASCII capitals as lower case, folded to 31 bits
 * (a 4-byte integer in a record). Every value new to a case is hashed on
 * the load's writer thread: with the capitals folded by a table and four
 * bytes a turn of the loop it costs 5.6 instructions a byte, was 11.3
 * (callgrind, 200k high-cardinality CSV: 149.5k new values of 40 bytes
 * on average, 67.5 -> 33.7 M of the writer's 2.80 G). The hash is written
 * in every case (vals.h): test_rid's test_val_hash_bytes holds this one
 * to the byte-at-a-time definition.
 */
int64_t sqlite_val_hash(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		h = (h ^ fold[u[i]]) * FNV_PRIME;
		h = (h ^ fold[u[i + 1]]) * FNV_PRIME;
		h = (h ^ fold[u[i + 2]]) * FNV_PRIME;
		h = (h ^ fold[u[i + 3]]) * FNV_PRIME;
	}
	for (; i < n; i++)
		h = (h ^ fold[u[i]]) * FNV_PRIME;
	return (int64_t)((h ^ (h >> 31) ^ (h >> 62)) & 0x7fffffff);
}

static void sql_val_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	/* (a crafted case's NULL value hashes as the empty text) */
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	sqlite3_result_int64(ctx, t ? sqlite_val_hash(t, (size_t)sqlite3_value_bytes(argv[0]))
				    : sqlite_val_hash("", 0));
}

void sqlite_val_hash_register(sqlite3 *db, int schema)
{
	sqlite3_create_function(db, "val_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
				NULL, sql_val_hash, NULL, NULL);
	sqlite_vidx_register(db, schema);
}

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
	char *sql = !src && how == STORE_MATCH_EXACT ? xstrdup(SQLITE_VALS_BY_TEXT(""))
		    : !src && how != STORE_MATCH_PREFIX
			    ? xstrdup(SQLITE_VALS_BY_TEXT(" COLLATE NOCASE"))
			    : xasprintf("%s %s", tab,
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
