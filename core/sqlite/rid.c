/*
 * rid.c: how a case keeps record ids (schema 7 on).
 *
 * Most record ids are GUIDs written as 36 characters of text (the UAL's
 * Id, a sign-in's id); kept as text they were a 37-byte column of every
 * event and again every entry of the unique index on them, and that
 * index's build was the most expensive of a load's end (1.4 s of CPU on
 * a million events). So a record id in exactly the canonical form (lower-
 * case hex, 8-4-4-4-12, no braces) is kept as its 16 bytes, a blob; any
 * other id (an Entra sign-in's, a Defender alert's, a Sentinel row's, a
 * GUID in capitals or in braces) stays text as it was read. The mapping
 * is one to one (a blob never equals a text), so deduplication is exactly
 * what it was on the text.
 *
 * Every table that holds record ids holds them in this form: events,
 * marks, tags and notes, so that their joins compare keys. Text comes in
 * and goes out through rid_key(text) and rid_text(key), SQL functions
 * registered on every connection of the store (sqlite_rid_register).
 * A case older than schema 7 is converted on its first writable open
 * (store.c); one that cannot be written keeps text, and its connection
 * gets functions that give their argument back.
 */
#include <string.h>

#include "sqlite_store.h"

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* capitals too: "ABC..." stays text, distinct from "abc..." */
}

bool sqlite_rid_key(const char *p, size_t n, unsigned char key[SQLITE_RID_KEY])
{
	if (n != 36)
		return false;
	const unsigned char *s = (const unsigned char *)p;
	size_t k = 0;
	for (size_t i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
			i++;
			continue;
		}
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		key[k++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return true;
}

void sqlite_rid_text(const unsigned char key[SQLITE_RID_KEY], char out[36])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t k = 0; k < SQLITE_RID_KEY; k++) {
		if (k == 4 || k == 6 || k == 8 || k == 10)
			out[o++] = '-';
		out[o++] = hex[key[k] >> 4];
		out[o++] = hex[key[k] & 15];
	}
}

/* rid_key(text): the stored form of a record id; a blob is given back
 * as it is (the key already). */
static void sql_rid_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_value *v = argv[0];
	if (sqlite3_value_type(v) == SQLITE_TEXT) {
		const char *t = (const char *)sqlite3_value_text(v);
		unsigned char key[SQLITE_RID_KEY];
		if (t && sqlite_rid_key(t, (size_t)sqlite3_value_bytes(v), key)) {
			sqlite3_result_blob(ctx, key, SQLITE_RID_KEY, SQLITE_TRANSIENT);
			return;
		}
	}
	sqlite3_result_value(ctx, v);
}

/* rid_text(key): a record id as text, as it was read. */
static void sql_rid_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_value *v = argv[0];
	if (sqlite3_value_type(v) == SQLITE_BLOB && sqlite3_value_bytes(v) == SQLITE_RID_KEY) {
		char t[36];
		sqlite_rid_text(sqlite3_value_blob(v), t);
		sqlite3_result_text(ctx, t, 36, SQLITE_TRANSIENT);
		return;
	}
	sqlite3_result_value(ctx, v);
}

/* An older case read as it is: its ids are all text. */
static void sql_rid_same(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_value(ctx, argv[0]);
}

void sqlite_rid_register(sqlite3 *db, bool keys)
{
	int fl = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	sqlite3_create_function(db, "rid_key", 1, fl, NULL, keys ? sql_rid_key : sql_rid_same, NULL, NULL);
	sqlite3_create_function(db, "rid_text", 1, fl, NULL, keys ? sql_rid_text : sql_rid_same, NULL, NULL);
}
