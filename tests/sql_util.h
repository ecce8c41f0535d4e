/*
 * sql_util.h: reading a case's tables directly in the store tests
 * (test_annot.c, test_notes.c, test_rid.c, test_store.c) and
 * bench_export.c, to check what a write left in the file rather than
 * what the interface reports.
 */
#ifndef AUDITSCOPE_TEST_SQL_UTIL_H
#define AUDITSCOPE_TEST_SQL_UTIL_H

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"
#include "sqlite/sqlite_store.h"

/* The first column of sql's first row on st's own connection (its SQL
 * functions included); -1 when there is no row, -2 when sql does not
 * prepare, so that a typo never reads as a count. */
static inline int64_t scalar(struct store *st, const char *sql)
{
	sqlite3_stmt *q;
	int64_t v = -1;
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

#endif
