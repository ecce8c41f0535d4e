/*
 * query_walk.h: paging a whole filter forward and back and checking each
 * row against the events it must find, for the query tests
 * (test_query.c, test_query_plan.c). Include after testutil.h.
 */
#ifndef AUDITSCOPE_TEST_QUERY_WALK_H
#define AUDITSCOPE_TEST_QUERY_WALK_H

#include <stdint.h>

#include "query.h"
#include "store.h"

/* Page the whole filter forward and then backward in pages of k, and
 * compare with the truth each way; check the end flags. */
static inline void query_walk(struct store *st, const char *filter, const int64_t *want, size_t nwant, size_t k)
{
	struct query *q;
	char *cause = NULL;
	assert_int_equal(query_new(st, filter, &q, &cause), 0);
	struct query_page p = { 0 };
	size_t got = 0;
	assert_int_equal(query_page(q, QUERY_FIRST, NULL, k, &p, &cause), 0);
	assert_true(p.at_start);
	for (;;) {
		for (size_t i = 0; i < p.n; i++) {
			assert_true(got < nwant);
			if (p.rows[i].id != want[got])
				fail_msg("%s: forward row %zu is event %lld, expected %lld", filter, got,
					 (long long)p.rows[i].id, (long long)want[got]);
			got++;
		}
		if (p.at_end)
			break;
		assert_int_equal(p.n, k);
		struct query_pos pos = { p.rows[p.n - 1].ts, p.rows[p.n - 1].id };
		assert_int_equal(query_page(q, QUERY_AFTER, &pos, k, &p, &cause), 0);
		assert_false(p.at_start);
	}
	assert_int_equal(got, nwant);
	/* and back from the end */
	assert_int_equal(query_page(q, QUERY_LAST, NULL, k, &p, &cause), 0);
	assert_true(p.at_end);
	size_t left = nwant;
	for (;;) {
		for (size_t i = p.n; i-- > 0;) {
			assert_true(left > 0);
			left--;
			if (p.rows[i].id != want[left])
				fail_msg("%s: backward row %zu is event %lld, expected %lld", filter, left,
					 (long long)p.rows[i].id, (long long)want[left]);
		}
		if (p.at_start)
			break;
		struct query_pos pos = { p.rows[0].ts, p.rows[0].id };
		assert_int_equal(query_page(q, QUERY_BEFORE, &pos, k, &p, &cause), 0);
		assert_false(p.at_end);
	}
	assert_int_equal(left, 0);
	struct query_count c;
	assert_int_equal(query_count(q, -1, &c, &cause), 0);
	assert_true(c.exact);
	assert_int_equal(c.n, (int64_t)nwant);
	query_page_free(&p);
	query_free(q);
}

#endif
