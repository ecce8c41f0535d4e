/*
 * vidx.c: the table that finds a value by its text (schema 15 on), as
 * blocks of sorted keys in runs: ridx.c's machinery over another table.
 *
 * A key is the value's case-blind hash (val_hash, values.c: 31 bits)
 * then its id (32 bits: sqlite_vidx_key), so that a hash's keys are one
 * range and every key is positive. Up to schema 14 the index vals_h ON
 * vals(h) did this: dropped at a new case's load and built again at its
 * end with CREATE INDEX (1M high-cardinality events: 1.80 G instructions,
 * 3.06k a value in SQLite's sorter, serial), and an append inserted each
 * new value into it (3.7k instructions each). The load knows each new
 * value's hash and id already: its value map (load_values.c) holds them
 * sorted in bounded memory, and its end writes them as a run of their
 * own, as ridx takes a load's record ids.
 *
 * Readers go through vidx_ids(val_hash(text)), an eponymous virtual
 * table of the candidates' ids (every reader still compares the text: a
 * hash is not the value), and through the window of a load that runs or
 * was killed: the one row of vidx_from is the first value id vidx may lack,
 * and those values are found by their own columns
 * (SQLITE_VALS_BY_TEXT). The next load mends a killed one's window first
 * (load_values_begin). A case of an older schema opened read-only reads
 * vals through vals_h, through the same table.
 */
#include <stdint.h>

#include "sqlite_store.h"

/* A hash's keys (val_hash as an integer; false: v is none). */
static bool vidx_range(sqlite3_value *v, int64_t *lo, int64_t *hi)
{
	if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER)
		return false;
	int64_t h = sqlite3_value_int64(v);
	if (h < 0 || h > INT32_MAX)
		return false;
	*lo = sqlite_vidx_key(h, 0);
	*hi = *lo + (int64_t)UINT32_MAX;
	return true;
}

const struct sqlite_kb sqlite_kb_vidx = {
	.name = "vidx",
	.vtab = "vidx_ids",
	/* (a case before schema 15: vals_h) */
	.rows_sql = "SELECT (h << 32) | id FROM vals WHERE h = (?1 >> 32) ORDER BY 1",
	.range = vidx_range,
};

void sqlite_vidx_register(sqlite3 *db, int schema)
{
	sqlite_kb_register(&sqlite_kb_vidx, db, schema < 15 ? SQLITE_KB_ROWS : SQLITE_KB_RUNS);
}

int sqlite_vidx_from_vals(sqlite3 *db, int64_t from)
{
	/* (a filter made for the keys of before: they may change, as their
	 * hashes did once, without a new value id) */
	if (!from && sqlite3_exec(db,
				  "DELETE FROM vidx; DELETE FROM meta WHERE key = '" SQLITE_VIDX_FILTER
				  "' OR (key > '" SQLITE_VIDX_FILTER ".' AND key < '" SQLITE_VIDX_FILTER "/')",
				  NULL, NULL, NULL) != SQLITE_OK)
		return sqlite3_errcode(db);
	/* SQLite's sorter over the keys alone: a killed load's values, or
	 * an older case's once */
	return sqlite_kb_put_rows(&sqlite_kb_vidx, db,
				  from ? "SELECT (h << 32) | id FROM vals WHERE id >= ?1 ORDER BY 1"
				       : "SELECT (h << 32) | id FROM vals ORDER BY 1",
				  from);
}
