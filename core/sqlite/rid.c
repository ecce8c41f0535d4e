/*
 * rid.c: how a case keeps record ids (schema 8 on).
 *
 * Most record ids are GUIDs written as 36 characters of text (the UAL's
 * Id, a sign-in's id); kept as text they were a 37-byte column of every
 * event and again every entry of the unique index on them. So a record
 * id in exactly the canonical form (lower-case hex, 8-4-4-4-12, no
 * braces) is kept as 17 bytes: a byte 0x01, then its 16 bytes. Any other
 * id (an Entra sign-in's, a Defender alert's, a Sentinel row's, a GUID in
 * capitals or in braces) stays text as it was read, but for one that
 * itself begins with 0x01 or 0x02 (hostile input can), which gets a
 * byte 0x02 in front: no other id can then take a GUID's stored form,
 * and deduplication is exactly what it was on the text.
 *
 * The stored form is TEXT, not a blob: SQLite sorts and searches an
 * index whose first column is text with a plain memcmp, and a blob
 * through its general record comparison. Measured (callgrind, the
 * unique index on 300,000 keys): 16-byte blobs 1.98 G instructions,
 * 17-byte text 1.25 G, the 37-character text 1.25 G; schema 7 kept
 * blobs, and a 1M load's end paid 60% more for its ev_rid build.
 *
 * Every table that holds record ids holds them in this form: events,
 * marks, tags and notes, so that their joins compare stored forms. Text
 * comes in and goes out through rid_key(text) and rid_text(stored), SQL
 * functions registered on every connection of the store
 * (sqlite_rid_register). An older case is converted on its first
 * writable open (store.c); one that cannot be written is read as it is.
 *
 * From schema 12 no index on events(record_id, kind): a record id finds
 * its events through ridx, a table of keys (32 bits of the stored id's
 * fingerprint, then the event id), which the load fills in order at its
 * end from the fingerprints its deduplication works out anyway
 * (load_ridmap.c). An index had to be built again at the end of every
 * load (a full scan of events and a sort of their keys: 0.7 s of CPU
 * after 1M events, 0.8 s to append 200k to them); the table only takes
 * the new keys. From schema 13 it holds them as blocks (ridx.c).
 * rid_lo(stored) is where a record id's keys begin; each is a candidate
 * whose stored id and kind the reader checks, a fingerprint is not the
 * key.
 */
#include <stdint.h>
#include <string.h>

#include "sqlite_store.h"
#include "util.h"

#ifdef __SSE2__
#include <emmintrin.h>

static inline uint64_t load4(const unsigned char *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	return x;
}

static inline uint64_t load8(const unsigned char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* Sixteen lower-case hex digits as eight bytes, in the low byte of each
 * 16-bit lane of the result; *bad gets a bit for each byte that is not
 * such a digit. */
static inline __m128i hex16(__m128i v, int *bad)
{
	/* signed compares: a byte from 0x80 is below every bound */
	__m128i dig = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
				    _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
	__m128i let = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('a' - 1)),
				    _mm_cmplt_epi8(v, _mm_set1_epi8('f' + 1)));
	*bad |= _mm_movemask_epi8(_mm_or_si128(dig, let)) ^ 0xffff;
	/* '0'..'9' are 0x30..0x39, 'a'..'f' 0x61..0x66: the low four bits,
	 * plus 9 for a letter */
	__m128i nib = _mm_add_epi8(_mm_and_si128(v, _mm_set1_epi8(0x0f)), _mm_and_si128(let, _mm_set1_epi8(9)));
	return _mm_or_si128(_mm_and_si128(_mm_slli_epi16(nib, 4), _mm_set1_epi16(0x00f0)),
			    _mm_srli_epi16(nib, 8));
}
#else
/* 1 + the value of a lower-case hex digit, 0 for anything else (capitals
 * too: "ABC..." stays text, another id than "abc...") */
static const unsigned char digit[256] = {
	['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};
#endif

/* Every GUID record id is read here on the parsing thread: the loop a
 * pair of digits (kept without SSE2) was 343 instructions an id, 1.4% of
 * a CSV load's parsing thread; sixteen digits at a time, about 60. */
bool sqlite_rid_guid(const char *p, size_t n, unsigned char key[SQLITE_RID_KEY])
{
	if (n != 36)
		return false;
	const unsigned char *s = (const unsigned char *)p;
	if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return false;
#ifdef __SSE2__
	/* the 32 digits around the dashes, in two vectors */
	__m128i a = _mm_set_epi64x((long long)(load4(s + 9) | load4(s + 14) << 32), (long long)load8(s));
	__m128i b = _mm_set_epi64x((long long)load8(s + 28), (long long)(load4(s + 19) | load4(s + 24) << 32));
	int bad = 0;
	__m128i ka = hex16(a, &bad), kb = hex16(b, &bad);
	_mm_storeu_si128((__m128i *)(void *)key, _mm_packus_epi16(ka, kb));
	return bad == 0;
#else
	/* the pairs of digits, around the dashes */
	static const unsigned char at[SQLITE_RID_KEY] = { 0,  2,  4,  6,  9,  11, 14, 16,
							  19, 21, 24, 26, 28, 30, 32, 34 };
	bool ok = true;
	for (size_t k = 0; k < SQLITE_RID_KEY; k++) {
		unsigned hi = digit[s[at[k]]], lo = digit[s[at[k] + 1]];
		ok &= hi != 0 && lo != 0;
		key[k] = (unsigned char)((hi - 1) << 4 | ((lo - 1) & 15));
	}
	return ok;
#endif
}

size_t sqlite_rid_store(const char *p, size_t n, char out[SQLITE_RID_STORED])
{
	if (sqlite_rid_guid(p, n, (unsigned char *)out + 1)) {
		out[0] = RID_GUID;
		return SQLITE_RID_STORED;
	}
	return 0;
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

/* rid_key(text): the stored form of a record id. */
static void sql_rid_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_value *v = argv[0];
	if (sqlite3_value_type(v) != SQLITE_TEXT) {
		sqlite3_result_value(ctx, v);
		return;
	}
	const char *t = (const char *)sqlite3_value_text(v);
	size_t n = (size_t)sqlite3_value_bytes(v);
	char s[SQLITE_RID_STORED];
	if (t && sqlite_rid_store(t, n, s)) {
		sqlite3_result_text(ctx, s, SQLITE_RID_STORED, SQLITE_TRANSIENT);
	} else if (t && n && (t[0] == RID_GUID || t[0] == RID_ESC)) {
		char *e = sqlite3_malloc64(n + 1);
		if (!e) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		e[0] = RID_ESC;
		memcpy(e + 1, t, n);
		sqlite3_result_text(ctx, e, (int)n + 1, sqlite3_free);
	} else {
		sqlite3_result_value(ctx, v);
	}
}

/* rid_text(stored): a record id as text, as it was read (also a GUID a
 * schema-7 case kept as a 16-byte blob). */
static void sql_rid_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_value *v = argv[0];
	int type = sqlite3_value_type(v);
	const unsigned char *k = NULL;
	if (type == SQLITE_BLOB && sqlite3_value_bytes(v) == SQLITE_RID_KEY) {
		k = sqlite3_value_blob(v);
	} else if (type == SQLITE_TEXT) {
		const char *t = (const char *)sqlite3_value_text(v);
		int n = sqlite3_value_bytes(v);
		if (t && n == SQLITE_RID_STORED && t[0] == RID_GUID) {
			k = (const unsigned char *)t + 1;
		} else if (t && n > 0 && t[0] == RID_ESC) {
			sqlite3_result_text(ctx, t + 1, n - 1, SQLITE_TRANSIENT);
			return;
		}
	}
	if (!k) {
		sqlite3_result_value(ctx, v);
		return;
	}
	char g[36];
	sqlite_rid_text(k, g);
	sqlite3_result_text(ctx, g, 36, SQLITE_TRANSIENT);
}

/* A case older than schema 7 read as it is: its ids are all text. */
static void sql_rid_same(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_value(ctx, argv[0]);
}

/* A schema-7 case read as it is: a GUID is its 16 bytes, a blob, and
 * no other id is escaped. */
static void sql_rid_text7(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_value *v = argv[0];
	if (sqlite3_value_type(v) == SQLITE_BLOB && sqlite3_value_bytes(v) == SQLITE_RID_KEY) {
		char g[36];
		sqlite_rid_text(sqlite3_value_blob(v), g);
		sqlite3_result_text(ctx, g, 36, SQLITE_TRANSIENT);
	} else {
		sqlite3_result_value(ctx, v);
	}
}

/* A schema-7 case read as it is: a GUID is its 16 bytes, a blob. */
static void sql_rid_blob(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_value *v = argv[0];
	unsigned char k[SQLITE_RID_KEY];
	const char *t = sqlite3_value_type(v) == SQLITE_TEXT ? (const char *)sqlite3_value_text(v) : NULL;
	if (t && sqlite_rid_guid(t, (size_t)sqlite3_value_bytes(v), k))
		sqlite3_result_blob(ctx, k, SQLITE_RID_KEY, SQLITE_TRANSIENT);
	else
		sqlite3_result_value(ctx, v);
}

uint64_t sqlite_rid_fp(const void *p, size_t n)
{
	return util_hash_bytes(p, n, 0x13198a2e03707344ULL);
}

int64_t sqlite_ridx_lo(uint64_t fp)
{
	/* the fingerprint's sign flipped, so that ridx sorts as the load's
	 * unsigned fingerprints do (load_ridmap.c's runs) */
	return (int64_t)(((fp >> 32) << 32) ^ ((uint64_t)1 << 63));
}

bool sqlite_rid_value_fp(sqlite3_value *v, uint64_t *fp)
{
	int type = sqlite3_value_type(v);
	if (type != SQLITE_TEXT && type != SQLITE_BLOB)
		return false;
	const void *p = sqlite3_value_blob(v); /* a text's bytes too */
	*fp = sqlite_rid_fp(p ? p : "", (size_t)sqlite3_value_bytes(v));
	return true;
}

/* rid_lo(stored): the first ridx key a record id's events can have */
static void sql_rid_lo(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint64_t fp;
	if (sqlite_rid_value_fp(argv[0], &fp))
		sqlite3_result_int64(ctx, sqlite_ridx_lo(fp));
	else
		sqlite3_result_null(ctx);
}

/* rid_k(stored, event id): that event's ridx key */
static void sql_rid_k(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint64_t fp;
	int64_t id = sqlite3_value_int64(argv[1]);
	if (!sqlite_rid_value_fp(argv[0], &fp) || id <= 0 || id > (int64_t)UINT32_MAX) {
		sqlite3_result_error(ctx, "a record id or an event id ridx cannot hold", -1);
		return;
	}
	sqlite3_result_int64(ctx, sqlite_ridx_lo(fp) | id);
}

void sqlite_rid_register(sqlite3 *db, int schema)
{
	int fl = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	sqlite3_create_function(db, "rid_key", 1, fl, NULL,
				schema >= 8   ? sql_rid_key
				: schema == 7 ? sql_rid_blob
					      : sql_rid_same,
				NULL, NULL);
	sqlite3_create_function(db, "rid_text", 1, fl, NULL,
				schema >= 8   ? sql_rid_text
				: schema == 7 ? sql_rid_text7
					      : sql_rid_same,
				NULL, NULL);
	sqlite3_create_function(db, "rid_lo", 1, fl, NULL, sql_rid_lo, NULL, NULL);
	sqlite3_create_function(db, "rid_k", 2, fl, NULL, sql_rid_k, NULL, NULL);
	sqlite_ridx_register(db, schema);
}
