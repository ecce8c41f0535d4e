/*
 * util.h: the small containers every core module shares, so that no
 * module carries a private copy (issue 9).
 *
 *  - util_buf: a growing NUL-terminated string (a string builder).
 *  - util_ivec: a growing array of int64_t (event ids, value ids).
 *  - util_svec: a growing array of owned strings.
 *  - util_imap: a hash map from a non-zero 64-bit key to an int64_t,
 *    open addressing; the scanning hunts and frequency tables count a
 *    million events through it.
 *  - util_smap: a hash map from a string to an int64_t (with
 *    util_sset_* as a set of strings over it); keys are copied.
 *  - util_mix64, util_hash_bytes: the hash functions behind the maps,
 *    for modules that keep their own packed tables (the store's
 *    fingerprints, the messages aggregate). Not for adversaries: every
 *    user compares the key itself on a hit.
 *
 * Every container starts as all zeros (`struct util_buf b = { 0 };`),
 * needs no _new, and is emptied by its _free, which takes NULL and
 * leaves it zeroed for reuse. Memory comes from the xalloc family.
 */
#ifndef AUDITSCOPE_UTIL_H
#define AUDITSCOPE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- string builder ---- */

struct util_buf {
	char *p; /* NULL until something is added; then NUL-terminated */
	size_t n, cap;
};

void util_buf_add(struct util_buf *b, const char *s, size_t n);
void util_buf_puts(struct util_buf *b, const char *s);
void util_buf_putc(struct util_buf *b, char c);
void util_buf_printf(struct util_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void util_buf_vprintf(struct util_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* sep first unless the buffer is empty, then the formatted item: lists
 * of reasons ("a; b; c") and of values ("a, b"). */
void util_buf_item(struct util_buf *b, const char *sep, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The text (caller frees; "" when nothing was added); b is empty after. */
char *util_buf_take(struct util_buf *b);
/* The text so far, borrowed ("" when nothing was added). */
const char *util_buf_str(const struct util_buf *b);
void util_buf_free(struct util_buf *b);

/* ---- vectors ---- */

struct util_ivec {
	int64_t *v;
	size_t n, cap;
};

void util_ivec_push(struct util_ivec *a, int64_t x);
/* Linear search: for the short lists it is used on (a row's IPs). */
bool util_ivec_has(const struct util_ivec *a, int64_t x);
/* Push x unless present; true when it was added. */
bool util_ivec_add(struct util_ivec *a, int64_t x);
/* Sort ascending and drop repeats. */
void util_ivec_sort_unique(struct util_ivec *a);
/* The same on a bare array of *n values. */
void util_i64_sort_unique(int64_t *v, size_t *n);
void util_ivec_free(struct util_ivec *a);

struct util_svec {
	char **v; /* each owned */
	size_t n, cap;
};

/* Push a copy of s (NULL stays NULL); returns the copy. */
char *util_svec_push(struct util_svec *a, const char *s);
/* Push s itself: the vector owns it from now on. */
void util_svec_take(struct util_svec *a, char *s);
void util_svec_free(struct util_svec *a);

/* ---- hashing ---- */

/* A 64-bit finalizer (splitmix64's): spreads ids for a power-of-two table.
 * In line: the hot loops call it per event (the record ids' filter, the
 * values' hashes), and the filter kept in a case needs these same bits. */
static inline uint64_t util_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}
/* A 64-bit hash of n bytes, eight at a time, never 0 (0 marks an empty
 * slot in the tables that keep hashes). */
uint64_t util_hash_bytes(const void *p, size_t n, uint64_t seed);
/* Eight or four bytes at p, at any alignment (the compilers make one
 * load of them): the word-at-a-time compares and scans. */
static inline uint64_t util_load8(const void *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

static inline uint32_t util_load4(const void *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	return x;
}

/* Two 32-bit ids in one key: (a << 32) ^ b; value ids are far below 2^32. */
static inline uint64_t util_pair_key(int64_t a, int64_t b)
{
	return (uint64_t)a << 32 ^ (uint64_t)(uint32_t)b;
}

/* ---- maps ---- */

/* From a non-zero 64-bit key to an int64_t. keys[i] == 0 marks an empty
 * slot: iterate with for (i < cap) if (keys[i]). */
struct util_imap {
	uint64_t *keys;
	int64_t *vals;
	size_t cap, n;
};

/* The value slot of key (key != 0), created with init when absent;
 * *isnew (may be NULL) says which. The pointer lasts until the next
 * insertion. */
int64_t *util_imap_slot(struct util_imap *m, uint64_t key, int64_t init, bool *isnew);
/* The value of key, or NULL when absent. */
const int64_t *util_imap_get(const struct util_imap *m, uint64_t key);
void util_imap_free(struct util_imap *m);

/* From a string (copied; any bytes but NUL) to an int64_t. Entries keep
 * their insertion order: keys[i], vals[i] for i < n. */
struct util_smap {
	char **keys;
	int64_t *vals;
	size_t n, kcap;
	uint32_t *slot; /* index + 1 into keys; 0 empty */
	uint64_t *hash; /* of keys[i] */
	size_t cap;
	bool nocase; /* set before the first insertion: ASCII case folded */
};

int64_t *util_smap_slot(struct util_smap *m, const char *key, int64_t init, bool *isnew);
const int64_t *util_smap_get(const struct util_smap *m, const char *key);
/* The index (insertion order) of key, or -1. */
long util_smap_index(const struct util_smap *m, const char *key);
void util_smap_free(struct util_smap *m);

/* A set of strings: a util_smap whose values are unused. */
/* true when s was not there before. */
bool util_sset_add(struct util_smap *m, const char *s);
bool util_sset_has(const struct util_smap *m, const char *s);

#endif
