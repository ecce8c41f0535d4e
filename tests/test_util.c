/*
 * test_util.c: the shared containers (util.h): the string builder's
 * text, vectors, and both maps against a plain model through growth
 * (tens of thousands of keys), case folding, insertion order.
 */
#include "testutil.h"

#include <inttypes.h>

#include "util.h"
#include "xalloc.h"

static void test_buf(void **state)
{
	(void)state;
	struct util_buf b = { 0 };
	assert_string_equal(util_buf_str(&b), "");
	char *e = util_buf_take(&b);
	assert_string_equal(e, "");
	free(e);
	util_buf_puts(&b, "ab");
	util_buf_add(&b, "cdef", 2);
	util_buf_putc(&b, '!');
	util_buf_printf(&b, " %d-%s", 42, "x");
	assert_string_equal(util_buf_str(&b), "abcd! 42-x");
	assert_int_equal(b.n, strlen("abcd! 42-x"));
	char *s = util_buf_take(&b);
	assert_string_equal(s, "abcd! 42-x");
	assert_null(b.p);
	assert_int_equal(b.n, 0);
	free(s);
	/* items: the separator only between them */
	util_buf_item(&b, "; ", "forwards to %s", "x@evil.example");
	util_buf_item(&b, "; ", "%s", "deletes");
	util_buf_item(&b, "; ", "%s", "");
	assert_string_equal(util_buf_str(&b), "forwards to x@evil.example; deletes; ");
	util_buf_free(&b);
	util_buf_free(&b);
	util_buf_free(NULL);
	/* long text through printf's two passes */
	char big[5000];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	util_buf_printf(&b, "<%s>", big);
	assert_int_equal(b.n, sizeof big + 1);
	assert_int_equal(b.p[0], '<');
	assert_int_equal(b.p[b.n - 1], '>');
	assert_int_equal(b.p[b.n], '\0');
	util_buf_free(&b);
}

static void test_ivec(void **state)
{
	(void)state;
	struct util_ivec a = { 0 };
	int64_t in[] = { 5, -3, 5, 9, 0, 9, 9, INT64_MIN, 1 };
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		util_ivec_push(&a, in[i]);
	assert_int_equal(a.n, 9);
	assert_true(util_ivec_has(&a, -3));
	assert_false(util_ivec_has(&a, 4));
	assert_false(util_ivec_add(&a, 9));
	assert_true(util_ivec_add(&a, 4));
	assert_int_equal(a.n, 10);
	util_ivec_sort_unique(&a);
	int64_t want[] = { INT64_MIN, -3, 0, 1, 4, 5, 9 };
	assert_int_equal(a.n, 7);
	for (size_t i = 0; i < a.n; i++)
		assert_true(a.v[i] == want[i]);
	util_ivec_free(&a);
	assert_null(a.v);
	assert_int_equal(a.n, 0);
	util_ivec_free(NULL);
	/* empty and single arrays stay as they are */
	size_t n = 0;
	util_i64_sort_unique(NULL, &n);
	assert_int_equal(n, 0);

	struct util_svec s = { 0 };
	char *c = util_svec_push(&s, "one");
	assert_string_equal(c, "one");
	util_svec_push(&s, NULL);
	util_svec_take(&s, xstrdup("three"));
	assert_int_equal(s.n, 3);
	assert_null(s.v[1]);
	assert_string_equal(s.v[2], "three");
	util_svec_free(&s);
	assert_int_equal(s.n, 0);
	util_svec_free(NULL);
}

static void test_hash(void **state)
{
	(void)state;
	assert_true(util_hash_bytes("", 0, 0) != 0);
	assert_true(util_hash_bytes("abcdefgh", 8, 0) == util_hash_bytes("abcdefgh", 8, 0));
	assert_true(util_hash_bytes("abcdefgh", 8, 0) != util_hash_bytes("abcdefgh", 8, 1));
	assert_true(util_hash_bytes("abcdefghi", 9, 0) != util_hash_bytes("abcdefgh", 8, 0));
	/* trailing bytes count, zero bytes included */
	assert_true(util_hash_bytes("ab\0", 3, 0) != util_hash_bytes("ab", 2, 0));
	assert_true(util_mix64(1) != util_mix64(2));
	assert_true(util_pair_key(1, 2) != util_pair_key(2, 1));
	assert_true(util_pair_key(3, 0) == (uint64_t)3 << 32);
}

/* The map against a model: keys i * 7919 + 1 hold i * 3; every key is
 * found after all the growth, absent keys are not. */
static void test_imap(void **state)
{
	(void)state;
	struct util_imap m = { 0 };
	assert_null(util_imap_get(&m, 5));
	const int64_t N = 50000;
	for (int64_t i = 0; i < N; i++) {
		bool isnew = false;
		int64_t *v = util_imap_slot(&m, (uint64_t)(i * 7919 + 1), -1, &isnew);
		assert_true(isnew);
		assert_true(*v == -1);
		*v = i * 3;
	}
	assert_int_equal(m.n, (size_t)N);
	for (int64_t i = 0; i < N; i++) {
		const int64_t *v = util_imap_get(&m, (uint64_t)(i * 7919 + 1));
		assert_non_null(v);
		assert_true(*v == i * 3);
		assert_null(util_imap_get(&m, (uint64_t)(i * 7919 + 2)));
	}
	bool isnew = true;
	int64_t *v = util_imap_slot(&m, 1, 99, &isnew);
	assert_false(isnew);
	assert_true(*v == 0);
	(*v)++;
	assert_true(*util_imap_get(&m, 1) == 1);
	/* iteration sees every key once */
	size_t seen = 0;
	for (size_t i = 0; i < m.cap; i++)
		seen += m.keys[i] != 0;
	assert_int_equal(seen, (size_t)N);
	util_imap_free(&m);
	assert_int_equal(m.n, 0);
	assert_null(util_imap_get(&m, 1));
	util_imap_free(NULL);
}

static void test_smap(void **state)
{
	(void)state;
	struct util_smap m = { 0 };
	assert_null(util_smap_get(&m, "a"));
	assert_int_equal(util_smap_index(&m, "a"), -1);
	char key[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "app-%d", i);
		bool isnew = false;
		*util_smap_slot(&m, key, 0, &isnew) += i;
		assert_true(isnew);
	}
	assert_int_equal(m.n, 20000);
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "app-%d", i);
		const int64_t *v = util_smap_get(&m, key);
		assert_non_null(v);
		assert_int_equal(*v, i);
		/* insertion order */
		assert_int_equal(util_smap_index(&m, key), i);
		assert_string_equal(m.keys[i], key);
	}
	assert_null(util_smap_get(&m, "App-1"));
	assert_null(util_smap_get(&m, "app-20000"));
	assert_null(util_smap_get(&m, ""));
	bool isnew = true;
	*util_smap_slot(&m, "app-7", 5, &isnew) += 1;
	assert_false(isnew);
	assert_int_equal(*util_smap_get(&m, "app-7"), 8);
	util_smap_free(&m);
	assert_int_equal(m.n, 0);
	util_smap_free(NULL);

	/* a set, folding case: GUIDs come in both cases */
	struct util_smap s = { .nocase = true };
	assert_true(util_sset_add(&s, "9E3A0D2F-0000-4000-8000-00000000ABCD"));
	assert_false(util_sset_add(&s, "9e3a0d2f-0000-4000-8000-00000000abcd"));
	assert_true(util_sset_has(&s, "9e3a0d2f-0000-4000-8000-00000000ABCD"));
	assert_false(util_sset_has(&s, "9e3a0d2f-0000-4000-8000-00000000abce"));
	assert_true(util_sset_add(&s, ""));
	assert_false(util_sset_add(&s, ""));
	/* longer than the folding chunk */
	char a[200], b[200];
	memset(a, 'q', sizeof a - 1);
	a[sizeof a - 1] = '\0';
	memcpy(b, a, sizeof a);
	b[150] = 'Q';
	assert_true(util_sset_add(&s, a));
	assert_false(util_sset_add(&s, b));
	assert_int_equal(s.n, 3);
	util_smap_free(&s);
	assert_true(s.nocase);
	assert_false(util_sset_has(&s, ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf),  cmocka_unit_test(test_ivec), cmocka_unit_test(test_hash),
		cmocka_unit_test(test_imap), cmocka_unit_test(test_smap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
