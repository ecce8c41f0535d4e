/*
 * test_hunt_run.c: how hunts run, on the demo case of the sample bundle:
 * each row's filter parses and selects its events, running all hunts at
 * once gives what running each gives (threads or not), the flagged set,
 * cancellation, the baseline option.
 */
#include "hunt_util.h"

/* --- filters, all at once, flags --- */

struct ids {
	struct strset rids;
};

static int collect(const struct query_row *row, void *ctx)
{
	struct ids *x = ctx;
	set_add(&x->rids, row->record_id);
	return 0;
}

/* Each row's filter parses, and opens a timeline holding the row's
 * events. */
static void test_row_filters(void **state)
{
	struct demo *d = *state;
	for (int h = 0; h < HUNT_COUNT; h++) {
		struct hunt_result *r = run(d->st, (enum hunt_id)h);
		for (size_t i = 0; i < r->nrows; i++) {
			const struct hunt_row *row = &r->rows[i];
			if (!row->hit)
				continue;
			assert_non_null(row->filter);
			assert_true(row->filter[0] != '\0');
			char *cause = NULL;
			struct filter *f = filter_parse(row->filter, &cause);
			if (!f)
				fail_msg("%s row %zu: filter '%s': %s", r->def->name, i, row->filter, cause);
			filter_free(f);
			struct query *q;
			if (query_new(d->st, row->filter, &q, &cause) < 0)
				fail_msg("%s: %s", row->filter, cause);
			struct ids x = { { 0 } };
			assert_int_equal(query_each(q, false, -1, collect, &x, &cause), 0);
			query_free(q);
			struct strset mine = { 0 };
			row_rids(d->st, row, &mine);
			for (size_t k = 0; k < mine.n; k++)
				if (!set_has(&x.rids, mine.v[k]))
					fail_msg("%s: filter '%s' misses %s", r->def->name, row->filter,
						 mine.v[k]);
			/* and a filter is narrow: at most a day of the case */
			assert_true(x.rids.n < 200);
			set_free(&mine);
			set_free(&x.rids);
		}
		hunt_result_free(r);
	}
}

static void assert_same_results(const struct hunt_result *a, const struct hunt_result *b)
{
	assert_int_equal(a->nrows, b->nrows);
	assert_int_equal(a->nhits, b->nhits);
	for (size_t i = 0; i < a->nrows; i++) {
		const struct hunt_row *x = &a->rows[i], *y = &b->rows[i];
		assert_int_equal(x->hit, y->hit);
		assert_int_equal(x->nevents, y->nevents);
		assert_string_equal(x->filter, y->filter);
		for (size_t c = 0; c < a->def->ncols; c++) {
			if (!x->vals[c] || !y->vals[c])
				assert_ptr_equal(x->vals[c], y->vals[c]);
			else
				assert_string_equal(x->vals[c], y->vals[c]);
		}
		if (x->hit)
			assert_memory_equal(x->events, y->events, x->nevents * sizeof *x->events);
	}
}

/* hunt_run_all (one raw pass shared) and threads change nothing. */
static void test_run_all_same(void **state)
{
	struct demo *d = *state;
	struct hunt_result *all[HUNT_COUNT];
	char *cause = NULL;
	setenv("AUDITSCOPE_HUNT_THREADS", "3", 1);
	int rc = hunt_run_all(d->st, NULL, all, &cause);
	unsetenv("AUDITSCOPE_HUNT_THREADS");
	if (rc < 0)
		fail_msg("%s", cause);
	for (int h = 0; h < HUNT_COUNT; h++) {
		setenv("AUDITSCOPE_HUNT_THREADS", "1", 1);
		struct hunt_result *one = run(d->st, (enum hunt_id)h);
		unsetenv("AUDITSCOPE_HUNT_THREADS");
		assert_ptr_equal(all[h]->def, one->def);
		assert_same_results(all[h], one);
		hunt_result_free(one);
		hunt_result_free(all[h]);
	}
}

static void test_flagged(void **state)
{
	struct demo *d = *state;
	struct hunt_flags *f;
	char *cause = NULL;
	assert_int_equal(hunt_flagged(d->st, NULL, &f, &cause), 0);
	/* every hit event, with the bit of each hunt that flags it */
	size_t distinct = 0;
	struct strset seen = { 0 };
	for (int h = 0; h < HUNT_COUNT; h++) {
		struct hunt_result *r = run(d->st, (enum hunt_id)h);
		assert_int_equal(hunt_flags_hits(f, (enum hunt_id)h), r->nhits);
		for (size_t i = 0; i < r->nrows; i++) {
			const struct hunt_row *row = &r->rows[i];
			for (size_t k = 0; row->hit && k < row->nevents; k++) {
				assert_true(hunt_flags_get(f, row->events[k]) & (1u << h));
				char key[32];
				snprintf(key, sizeof key, "%lld", (long long)row->events[k]);
				set_add(&seen, key);
			}
		}
		hunt_result_free(r);
	}
	distinct = seen.n;
	assert_int_equal(hunt_flags_count(f), distinct);
	/* the planted rule is flagged by inbox-rules (and nothing else needs
	 * to), a background event by nothing */
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(d->st),
					    "SELECT id FROM events WHERE record_id = rid_key(?)", -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(q, 1, pstr2(d, "inbox_rule", "record_id"), -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t rule = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	assert_true(hunt_flags_get(f, rule) & (1u << HUNT_INBOX_RULES));
	assert_int_equal(hunt_flags_get(f, 1), 0);
	assert_int_equal(hunt_flags_get(f, -5), 0);
	assert_int_equal(hunt_flags_get(NULL, rule), 0);
	hunt_flags_free(f);
	hunt_flags_free(NULL);
	set_free(&seen);
}

static int cancel_now(void *ctx, double done)
{
	(void)done;
	int *calls = ctx;
	(*calls)++;
	return 1;
}

static void test_cancel(void **state)
{
	struct demo *d = *state;
	struct hunt_opts o;
	hunt_opts_init(&o);
	int calls = 0;
	o.progress = (struct progress){ cancel_now, &calls };
	for (int h = 0; h < HUNT_COUNT; h++) {
		struct hunt_result *r = (void *)1;
		char *cause = NULL;
		assert_int_equal(hunt_run(d->st, (enum hunt_id)h, &o, &r, &cause), -1);
		assert_null(r);
		/* the one message of cancelled work (progress.h) */
		assert_string_equal(cause, PROGRESS_CANCELLED);
		free(cause);
	}
	assert_true(calls > 0);
	/* all at once: nothing is returned */
	struct hunt_result *all[HUNT_COUNT];
	char *cause = NULL;
	assert_int_equal(hunt_run_all(d->st, &o, all, &cause), -1);
	assert_string_equal(cause, PROGRESS_CANCELLED);
	free(cause);
	for (int h = 0; h < HUNT_COUNT; h++)
		assert_null(all[h]);
	/* the connection is usable afterwards */
	struct hunt_result *r = run(d->st, HUNT_INBOX_RULES);
	assert_int_equal(r->nrows, 1);
	hunt_result_free(r);
}

/* A baseline that ends after the intrusion leaves nothing new. */
static void test_baseline_option(void **state)
{
	struct demo *d = *state;
	struct hunt_opts o;
	hunt_opts_init(&o);
	const char *le = pstr(d, "last_event");
	assert_true(time_parse(le, strlen(le), &o.baseline_until));
	o.baseline_until += 1000;
	char *cause = NULL;
	struct hunt_result *r;
	assert_int_equal(hunt_run(d->st, HUNT_NEW_APP_FOR_MAILBOX, &o, &r, &cause), 0);
	assert_int_equal(r->baseline_until, o.baseline_until);
	for (size_t i = 0; i < r->nrows; i++)
		assert_string_not_equal(cell(r, i, "app"), pstr(d, "app_id"));
	hunt_result_free(r);
	assert_int_equal(hunt_run(d->st, HUNT_SIGNIN_THEN_MAIL, &o, &r, &cause), 0);
	assert_int_equal(r->nrows, 0);
	hunt_result_free(r);
	/* a hunt without a baseline says so */
	assert_int_equal(hunt_run(d->st, HUNT_RARE_APPS, &o, &r, &cause), 0);
	assert_true(r->baseline_until == INT64_MIN);
	hunt_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_filters),     cmocka_unit_test(test_run_all_same),
		cmocka_unit_test(test_flagged),         cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_baseline_option),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
