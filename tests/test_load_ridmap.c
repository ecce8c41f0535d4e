/*
 * test_load_ridmap.c: the record-id fingerprint table of a load
 * (core/sqlite/load_ridmap.c) past its memory: every id put is found
 * again after spills to runs, merges and regrown filters, fingerprints
 * shared by several ids give all of them, and fingerprints never put
 * mostly cost nothing.
 */
#include "testutil.h"

#include "util.h"
#include "xalloc.h"
#include "sqlite/load_impl.h"

static bool has(const struct ridmap *m, int64_t id)
{
	for (size_t i = 0; i < m->ncand; i++)
		if (m->cand[i] == id)
			return true;
	return false;
}

/* Fingerprints never put: the filter keeps all but fewer than one in a
 * hundred away from the runs, and an answer, if any, is only ever a
 * candidate to check (the look-up still says true). */
static void assert_new_mostly_filtered(struct ridmap *m, size_t n)
{
	size_t answered = 0;
	for (size_t i = 0; i < n; i++) {
		assert_true(load_ridmap_find(m, load_ridmap_fp32(util_mix64(i * 2 + 2))));
		answered += m->ncand > 0;
	}
	assert_true(answered < n / 100);
}

/* fingerprint of the i-th id: spread, with every 7th sharing its
 * fingerprint with the one before it (a collision to tell apart) */
static uint64_t fp_of(size_t i)
{
	if (i % 7 == 0 && i)
		i--;
	return util_mix64(i * 2 + 1) | 1;
}

struct order {
	uint64_t last;
	size_t n;
	bool sorted;
};

static bool count_in_order(void *ctx, uint64_t slot)
{
	struct order *o = ctx;
	o->sorted = o->sorted && (o->n == 0 || slot > o->last);
	o->last = slot;
	o->n++;
	return true;
}

static void test_spilled_ids_found(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct ridmap m;
	memset(&m, 0, sizeof m);
	m.max = 1000; /* 100 spills, merged as they come */
	for (size_t i = 0; i < N; i++)
		assert_true(load_ridmap_put(&m, fp_of(i), (int64_t)i + 1));
	assert_true(m.nrun > 0);
	assert_true(m.nrun <= 12); /* a binary counter of runs, not 100 */
	assert_int_equal(m.spilled + m.count, N);
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_find(&m, load_ridmap_fp32(fp_of(i))));
		assert_true(has(&m, (int64_t)i + 1));
		if (i % 7 == 0 && i) /* and the one it collides with */
			assert_true(has(&m, (int64_t)i));
	}
	assert_new_mostly_filtered(&m, N);
	/* the runs, merged as they came, hold every entry once, in order */
	struct order o = { .sorted = true };
	assert_true(load_ridmap_each(&m, count_in_order, &o));
	assert_int_equal(o.n, N);
	assert_true(o.sorted);
	load_ridmap_free(&m);
}

/* The filter's memory is capped (bloom_max): past what the cap holds at
 * 12 bits an entry it keeps its size and sets fewer bits an entry, more
 * new ids read the runs, and every id put is still found, with its
 * collision. Without the cap the filter grew with the ids (16 MB at 10M
 * events). */
static void test_filter_memory_capped(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct ridmap m;
	memset(&m, 0, sizeof m);
	m.max = 1000;
	m.bloom_max = 16384; /* 131,072 bits: 1.3 an entry at the end */
	size_t most = 0;
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_put(&m, fp_of(i), (int64_t)i + 1));
		if (m.bloom_words > most)
			most = m.bloom_words;
	}
	assert_int_equal(m.spilled + m.count, N);
	assert_true(most * sizeof *m.bloom <= m.bloom_max);
	assert_int_equal(m.bloom_words * sizeof *m.bloom, m.bloom_max);
	assert_int_equal(m.bloom_k, 2);
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_find(&m, load_ridmap_fp32(fp_of(i))));
		assert_true(has(&m, (int64_t)i + 1));
		if (i % 7 == 0 && i)
			assert_true(has(&m, (int64_t)i));
	}
	assert_new_mostly_filtered(&m, N);
	load_ridmap_free(&m);
}

/* A cap that is not a power of two (RIDMAP_IDS_BLOOM_MAX is 3 MB): the
 * filter grows by doubling up to the cap itself, in whole blocks, and
 * keeps every id put findable and most new ones away from the runs. */
static void test_filter_cap_not_a_power_of_two(void **state)
{
	(void)state;
	enum { N = 60000 };
	struct ridmap m;
	memset(&m, 0, sizeof m);
	m.max = 1000;
	m.bloom_max = 3 * 8192 + 40; /* 3,077 words: 3,072 used, in blocks of 8 */
	for (size_t i = 0; i < N; i++)
		assert_true(load_ridmap_put(&m, fp_of(i), (int64_t)i + 1));
	assert_int_equal(m.bloom_words, 3 * 1024);
	assert_int_equal(m.bloom_k, 2); /* 3 bits an entry */
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_find(&m, load_ridmap_fp32(fp_of(i))));
		assert_true(has(&m, (int64_t)i + 1));
	}
	assert_new_mostly_filtered(&m, N);
	load_ridmap_free(&m);
}

/* A spill the temporary directory refuses (the table is sorted in its
 * own memory): false, and the table as it was, every id in it found. */
static void test_spill_refused_keeps_table(void **state)
{
	(void)state;
	enum { N = 3000 };
	struct ridmap m;
	memset(&m, 0, sizeof m);
	for (size_t i = 0; i < N; i++)
		assert_true(load_ridmap_put(&m, fp_of(i), (int64_t)i + 1));
	const char *old = getenv("TMPDIR");
	char *keep = old ? strdup(old) : NULL;
	setenv("TMPDIR", "/nonexistent/auditscope-test", 1);
	assert_false(load_ridmap_spill(&m));
	if (keep)
		setenv("TMPDIR", keep, 1);
	else
		unsetenv("TMPDIR");
	free(keep);
	assert_int_equal(m.nrun, 0);
	assert_int_equal(m.count, N);
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_find(&m, load_ridmap_fp32(fp_of(i))));
		assert_true(has(&m, (int64_t)i + 1));
	}
	assert_true(load_ridmap_spill(&m)); /* and spilled once it can */
	assert_int_equal(m.count, 0);
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_find(&m, load_ridmap_fp32(fp_of(i))));
		assert_true(has(&m, (int64_t)i + 1));
	}
	load_ridmap_free(&m);
}

/* A fingerprint shared by more ids than a run's page holds, between
 * neighbours on both sides: a look-up gives every one of its ids from
 * each page they cross (found by a binary search within each page), and
 * none of the neighbours'. */
static void test_shared_fingerprint_across_pages(void **state)
{
	(void)state;
	enum { SHARED = 1500, EACH = 700 }; /* 512 entries a page */
	struct ridmap m;
	memset(&m, 0, sizeof m);
	m.max = 1000;
	int64_t id = 0;
	for (uint64_t f = 99; f <= 101; f++)
		for (int i = 0; i < (f == 100 ? SHARED : EACH); i++)
			assert_true(load_ridmap_put(&m, f << 32 | 1, ++id));
	assert_true(load_ridmap_spill(&m));
	assert_int_equal(m.count, 0);
	assert_true(load_ridmap_find(&m, 100));
	assert_int_equal(m.ncand, SHARED);
	for (int64_t i = EACH + 1; i <= EACH + SHARED; i++)
		assert_true(has(&m, i));
	assert_true(load_ridmap_find(&m, 99));
	assert_int_equal(m.ncand, EACH);
	assert_true(has(&m, 1) && has(&m, EACH));
	assert_true(load_ridmap_find(&m, 101));
	assert_int_equal(m.ncand, EACH);
	assert_true(has(&m, EACH + SHARED + 1) && has(&m, id));
	assert_true(load_ridmap_find(&m, 102));
	assert_int_equal(m.ncand, 0);
	load_ridmap_free(&m);
}

/* The young runs' filter: over the entries of every run but the first,
 * whatever the spills and merges did (young_n), so that every id put is
 * still found with its collision; a look-up of a fingerprint never put
 * that the capped filter lets through reads the first run and the young
 * ones only when their filter may hold it: the same answers as a table
 * without it, from fewer reads. */
static void test_young_filter(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct ridmap m, all;
	memset(&m, 0, sizeof m);
	memset(&all, 0, sizeof all);
	m.max = all.max = 1000;
	m.bloom_max = all.bloom_max = 16384; /* 1.3 bits an entry at the end */
	m.young_max = 4096;                  /* capped too: 0.3 bits at most */
	size_t young_seen = 0;
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_put(&m, fp_of(i), (int64_t)i + 1));
		assert_true(load_ridmap_put(&all, fp_of(i), (int64_t)i + 1));
		size_t young = 0;
		for (size_t r = 1; r < m.nrun; r++)
			young += m.run[r].n;
		assert_int_equal(m.young_n, young);
		assert_true(m.young_words * sizeof *m.young <= m.young_max);
		assert_true(!young || m.young);
		young_seen += young > 0;
		assert_null(all.young);
	}
	assert_true(young_seen > 0);
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_find(&m, load_ridmap_fp32(fp_of(i))));
		assert_true(has(&m, (int64_t)i + 1));
		if (i % 7 == 0 && i)
			assert_true(has(&m, (int64_t)i));
	}
	/* fingerprints never put, with young runs there: the same answers */
	assert_true(m.nrun >= 2);
	m.reads = all.reads = 0;
	for (size_t i = 0; i < N; i++) {
		uint32_t f = load_ridmap_fp32(util_mix64(i * 2 + 2));
		assert_true(load_ridmap_find(&m, f));
		assert_true(load_ridmap_find(&all, f));
		assert_int_equal(m.ncand, all.ncand);
		for (size_t c = 0; c < m.ncand; c++)
			assert_int_equal(m.cand[c], all.cand[c]);
	}
	assert_true(all.reads > 1000);
	assert_true(m.reads * 4 < all.reads * 3);
	load_ridmap_free(&m);
	load_ridmap_free(&all);
}

/* Runs in a row of sizes each at least four times the next: 100 spills
 * leave at most 4 (a binary counter, merging at twice, left up to 6),
 * so that a look-up the filter lets through reads few runs. */
static void test_runs_merged_at_four_times(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct ridmap m;
	memset(&m, 0, sizeof m);
	m.max = 1000;
	size_t most = 0;
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_put(&m, fp_of(i), (int64_t)i + 1));
		if (m.nrun > most)
			most = m.nrun;
		for (size_t r = 1; r < m.nrun; r++)
			assert_true(m.run[r - 1].n > 4 * m.run[r].n);
	}
	assert_true(most <= 4);
	struct order o = { .sorted = true };
	assert_true(load_ridmap_each(&m, count_in_order, &o));
	assert_int_equal(o.n, N);
	assert_true(o.sorted);
	load_ridmap_free(&m);
}

/* A filter that grows four times at a step (the record ids': bloom_step)
 * takes only sizes of 1,024 words times a power of four, up to its cap,
 * so that it is rebuilt from the runs half as often; every id put is
 * still found and most new ones stay away from the runs. */
static void test_filter_grows_four_times(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct ridmap m;
	memset(&m, 0, sizeof m);
	m.max = 1000;
	m.bloom_step = 4;
	m.bloom_max = 3 << 17; /* 49,152 words */
	size_t sizes = 0, last = 0;
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_put(&m, fp_of(i), (int64_t)i + 1));
		if (m.bloom_words == last)
			continue;
		last = m.bloom_words;
		sizes++;
		size_t w = last / 1024;
		assert_true(last == 49152 ||
			    (last % 1024 == 0 && (w & (w - 1)) == 0 && __builtin_ctzll(w) % 2 == 0));
	}
	assert_int_equal(last, 49152); /* 1,024, 4,096, 16,384, then the cap */
	assert_true(sizes <= 4);
	for (size_t i = 0; i < N; i++) {
		assert_true(load_ridmap_find(&m, load_ridmap_fp32(fp_of(i))));
		assert_true(has(&m, (int64_t)i + 1));
	}
	assert_new_mostly_filtered(&m, N);
	load_ridmap_free(&m);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* load_ridmap_sort sorts by the slots' high half and puts the ids of a
 * shared fingerprint right after: whole slots in order whatever the
 * share of them that collide (none, every 7th, one fingerprint for all,
 * which takes the passes over the low half), ids given in any order. */
static void test_sort_whole_slots(void **state)
{
	(void)state;
	enum { N = 20000 };
	uint64_t *a = malloc(N * sizeof *a), *tmp = malloc(N * sizeof *tmp), *want = malloc(N * sizeof *want);
	for (int shape = 0; shape < 3; shape++) {
		for (size_t i = 0; i < N; i++) {
			uint64_t f = shape == 2 ? 42 : load_ridmap_fp32(fp_of(i));
			uint64_t id = util_mix64(i + 7) & UINT32_MAX; /* (not in order) */
			a[i] = shape == 0 ? util_mix64(i + 1) : f << 32 | id;
		}
		memcpy(want, a, N * sizeof *a);
		qsort(want, N, sizeof *want, u64_cmp);
		load_ridmap_sort(a, tmp, N);
		assert_memory_equal(a, want, N * sizeof *a);
	}
	free(a);
	free(tmp);
	free(want);
}

struct seed {
	size_t i, n;
};

static size_t seed_next(void *ctx, uint64_t *slots, size_t max)
{
	struct seed *s = ctx;
	size_t k = 0;
	for (; k < max && s->i < s->n; k++, s->i++) /* (f << 32 | id, in order) */
		slots[k] = (uint64_t)(s->i + 1) << 40 | (s->i + 1);
	return k;
}

/* The case's run (the seed) is merged with the load's only at twice their
 * size, not four times: merged, an append's end reads the case's entries
 * again. 5,000 in the case and 2,000 spilled stay two runs; the
 * entries passed to the end are the load's own. */
static void test_seed_merged_at_twice(void **state)
{
	(void)state;
	struct ridmap m;
	memset(&m, 0, sizeof m);
	m.max = 1000;
	struct seed s = { 0, 5000 };
	assert_true(load_ridmap_seed(&m, seed_next, &s));
	assert_true(m.seeded);
	for (size_t i = 0; i < 2000; i++)
		assert_true(load_ridmap_put(&m, fp_of(i), (int64_t)(6000 + i)));
	assert_true(load_ridmap_spill(&m));
	assert_int_equal(m.nrun, 2);
	assert_true(m.seeded);
	assert_int_equal(m.run[0].n, 5000);
	struct order o = { .sorted = true };
	assert_true(load_ridmap_each(&m, count_in_order, &o));
	assert_int_equal(o.n, 2000);
	assert_true(load_ridmap_find(&m, 4999 << 8));
	assert_true(has(&m, 4999));
	load_ridmap_free(&m);
}

/* n entries spread over the fingerprints, in order: the i-th's id i + 1 */
static size_t spread_next(void *ctx, uint64_t *slots, size_t max)
{
	struct seed *s = ctx;
	size_t k = 0;
	for (; k < max && s->i < s->n; k++, s->i++)
		slots[k] = (uint64_t)(s->i * (UINT32_MAX / 8192)) << 32 | (s->i + 1);
	return k;
}

/* The filter kept with the case (load_filter_read) is the seed's when it
 * is the one the run would get: the entries of ids from kept_from on,
 * which it lacks, are added as they pass (kept_late), the others found
 * through its bits as kept (cleared here: not found). One of a size the
 * run would not keep is made again from the run (kept_from 0). */
static void test_seed_kept_filter(void **state)
{
	(void)state;
	struct ridmap a, m;
	memset(&a, 0, sizeof a);
	struct seed s = { 0, 5000 };
	assert_true(load_ridmap_seed(&a, spread_next, &s));
	assert_int_equal(a.kept_from, 0);
	assert_int_equal(a.bloom_words, 1024);
	for (int cleared = 0; cleared < 3; cleared++) {
		memset(&m, 0, sizeof m);
		m.kept_words = cleared == 2 ? 512 : a.bloom_words;
		m.kept = xcalloc(m.kept_words, sizeof *m.kept);
		if (!cleared)
			memcpy(m.kept, a.bloom, a.bloom_words * sizeof *a.bloom);
		m.kept_k = a.bloom_k;
		m.kept_from = 5001;
		m.kept_top = 5400;
		s = (struct seed){ 0, 5400 };
		assert_true(load_ridmap_seed(&m, spread_next, &s));
		assert_int_equal(m.seed_n, 5400);
		assert_int_equal(m.kept_late, 400);
		assert_int_equal(m.kept_from, cleared == 2 ? 0 : 5001);
		assert_int_equal(m.bloom_words, 1024);
		size_t found = 0;
		for (size_t i = 0; i < 5400; i++) {
			bool maybe = load_ridmap_maybe(&m, (uint32_t)(i * (UINT32_MAX / 8192)));
			if (i >= 5000 || cleared != 1)
				assert_true(maybe);
			else
				found += maybe;
		}
		assert_true(found < 50);
		load_ridmap_free(&m);
	}
	load_ridmap_free(&a);
}

/* load_ridmap_maybe, the value map's prefetch's guess that a record is a
 * duplicate: true for every id put, in memory or in the runs (a false
 * would only cost a hash, but the guess is meant to hold for a file
 * loaded again), and false for most fingerprints never put, without
 * reading a run. */
static void test_maybe(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct ridmap m;
	memset(&m, 0, sizeof m);
	assert_false(load_ridmap_maybe(&m, 42)); /* (empty: no slots, no filter) */
	m.max = 1000;
	for (size_t i = 0; i < N; i++)
		assert_true(load_ridmap_put(&m, fp_of(i), (int64_t)i + 1));
	assert_true(m.nrun > 0 && m.count > 0);
	for (size_t i = 0; i < N; i++)
		assert_true(load_ridmap_maybe(&m, load_ridmap_fp32(fp_of(i))));
	size_t yes = 0;
	for (size_t i = 0; i < N; i++)
		yes += load_ridmap_maybe(&m, load_ridmap_fp32(util_mix64(i * 2 + 2)));
	assert_true(yes < N / 100);
	load_ridmap_free(&m);
}

/* A spill with nothing in memory, a find on an empty table. */
static void test_empty(void **state)
{
	(void)state;
	struct ridmap m;
	memset(&m, 0, sizeof m);
	assert_true(load_ridmap_find(&m, 42));
	assert_int_equal(m.ncand, 0);
	assert_true(load_ridmap_spill(&m));
	assert_int_equal(m.nrun, 0);
	assert_true(load_ridmap_put(&m, (uint64_t)42 << 32, 5));
	assert_true(load_ridmap_spill(&m));
	assert_int_equal(m.nrun, 1);
	assert_int_equal(m.count, 0);
	assert_true(load_ridmap_find(&m, 42));
	assert_int_equal(m.ncand, 1);
	assert_int_equal(m.cand[0], 5);
	/* ids past 32 bits are refused: the load then uses the index */
	assert_false(load_ridmap_put(&m, 7, (int64_t)UINT32_MAX + 1));
	load_ridmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spilled_ids_found),
		cmocka_unit_test(test_filter_memory_capped),
		cmocka_unit_test(test_filter_cap_not_a_power_of_two),
		cmocka_unit_test(test_spill_refused_keeps_table),
		cmocka_unit_test(test_shared_fingerprint_across_pages),
		cmocka_unit_test(test_runs_merged_at_four_times),
		cmocka_unit_test(test_young_filter),
		cmocka_unit_test(test_sort_whole_slots),
		cmocka_unit_test(test_filter_grows_four_times),
		cmocka_unit_test(test_seed_merged_at_twice),
		cmocka_unit_test(test_seed_kept_filter),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_maybe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
