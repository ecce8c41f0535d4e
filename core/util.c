/*
 * util.c: the shared containers of util.h.
 *
 * The maps use open addressing with linear probing in power-of-two
 * tables kept at most half full: the keys they see (value ids, pairs of
 * them, app ids) are spread by util_mix64 first, so probes stay short,
 * and a table is one or two flat arrays that a scan of a million events
 * walks without chasing pointers.
 */
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* String builder */

void util_buf_add(struct util_buf *b, const char *s, size_t n)
{
	b->p = xgrow(b->p, &b->cap, b->n + n + 1, 1);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void util_buf_puts(struct util_buf *b, const char *s)
{
	util_buf_add(b, s, strlen(s));
}

void util_buf_putc(struct util_buf *b, char c)
{
	util_buf_add(b, &c, 1);
}

void util_buf_vprintf(struct util_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n <= 0)
		return;
	b->p = xgrow(b->p, &b->cap, b->n + (size_t)n + 1, 1);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	b->n += (size_t)n;
}

void util_buf_printf(struct util_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	util_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void util_buf_item(struct util_buf *b, const char *sep, const char *fmt, ...)
{
	if (b->n)
		util_buf_puts(b, sep);
	va_list ap;
	va_start(ap, fmt);
	util_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *util_buf_take(struct util_buf *b)
{
	char *p = b->p ? b->p : xstrdup("");
	b->p = NULL;
	b->n = b->cap = 0;
	return p;
}

const char *util_buf_str(const struct util_buf *b)
{
	return b->p ? b->p : "";
}

void util_buf_free(struct util_buf *b)
{
	if (!b)
		return;
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Vectors */

void util_ivec_push(struct util_ivec *a, int64_t x)
{
	a->v = xgrow(a->v, &a->cap, a->n + 1, sizeof *a->v);
	a->v[a->n++] = x;
}

bool util_ivec_has(const struct util_ivec *a, int64_t x)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i] == x)
			return true;
	return false;
}

bool util_ivec_add(struct util_ivec *a, int64_t x)
{
	if (util_ivec_has(a, x))
		return false;
	util_ivec_push(a, x);
	return true;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

void util_i64_sort_unique(int64_t *v, size_t *n)
{
	if (*n < 2)
		return;
	qsort(v, *n, sizeof *v, cmp_i64);
	size_t k = 1;
	for (size_t i = 1; i < *n; i++)
		if (v[i] != v[k - 1])
			v[k++] = v[i];
	*n = k;
}

void util_ivec_sort_unique(struct util_ivec *a)
{
	util_i64_sort_unique(a->v, &a->n);
}

void util_ivec_free(struct util_ivec *a)
{
	if (!a)
		return;
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

void util_svec_take(struct util_svec *a, char *s)
{
	a->v = xgrow(a->v, &a->cap, a->n + 1, sizeof *a->v);
	a->v[a->n++] = s;
}

char *util_svec_push(struct util_svec *a, const char *s)
{
	char *c = s ? xstrdup(s) : NULL;
	util_svec_take(a, c);
	return c;
}

void util_svec_free(struct util_svec *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Hashing */

uint64_t util_hash_bytes(const void *data, size_t n, uint64_t seed)
{
	const char *p = data;
	uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL), w;
	while (n >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ util_mix64(w)) * 0x9e3779b97f4a7c15ULL;
		p += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, p, n);
	h = util_mix64(h ^ util_mix64(w ^ n));
	return h | 1;
}

/* ------------------------------------------------------------------ */
/* util_imap */

static void imap_grow(struct util_imap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 1024;
	uint64_t *nk = xcalloc(ncap, sizeof *nk);
	int64_t *nv = xcalloc(ncap, sizeof *nv);
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = util_mix64(m->keys[i]) & (ncap - 1);
		while (nk[j])
			j = (j + 1) & (ncap - 1);
		nk[j] = m->keys[i];
		nv[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = nk;
	m->vals = nv;
	m->cap = ncap;
}

int64_t *util_imap_slot(struct util_imap *m, uint64_t key, int64_t init, bool *isnew)
{
	if ((m->n + 1) * 2 > m->cap)
		imap_grow(m);
	size_t j = util_mix64(key) & (m->cap - 1);
	while (m->keys[j] && m->keys[j] != key)
		j = (j + 1) & (m->cap - 1);
	bool fresh = !m->keys[j];
	if (fresh) {
		m->keys[j] = key;
		m->vals[j] = init;
		m->n++;
	}
	if (isnew)
		*isnew = fresh;
	return &m->vals[j];
}

const int64_t *util_imap_get(const struct util_imap *m, uint64_t key)
{
	if (!m->cap || !key)
		return NULL;
	size_t j = util_mix64(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (m->keys[j] == key)
			return &m->vals[j];
		j = (j + 1) & (m->cap - 1);
	}
	return NULL;
}

void util_imap_free(struct util_imap *m)
{
	if (!m)
		return;
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ */
/* util_smap */

static uint64_t smap_hash(const struct util_smap *m, const char *key)
{
	if (!m->nocase)
		return util_hash_bytes(key, strlen(key), 0x243f6a8885a308d3ULL);
	/* fold ASCII case a chunk at a time */
	uint64_t h = 0x243f6a8885a308d3ULL;
	char chunk[64];
	size_t len = strlen(key);
	for (size_t at = 0; at < len; at += sizeof chunk) {
		size_t k = len - at < sizeof chunk ? len - at : sizeof chunk;
		for (size_t i = 0; i < k; i++)
			chunk[i] = (char)tolower((unsigned char)key[at + i]);
		h = util_hash_bytes(chunk, k, h);
	}
	return h;
}

static bool smap_eq(const struct util_smap *m, const char *a, const char *b)
{
	return m->nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static void smap_rehash(struct util_smap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	uint32_t *s = xcalloc(ncap, sizeof *s);
	for (size_t i = 0; i < m->n; i++) {
		size_t j = m->hash[i] & (ncap - 1);
		while (s[j])
			j = (j + 1) & (ncap - 1);
		s[j] = (uint32_t)(i + 1);
	}
	free(m->slot);
	m->slot = s;
	m->cap = ncap;
}

/* The slot position of key in m->slot (empty or holding it); h its hash. */
static size_t smap_find(const struct util_smap *m, const char *key, uint64_t h)
{
	size_t j = h & (m->cap - 1);
	while (m->slot[j]) {
		size_t i = m->slot[j] - 1;
		if (m->hash[i] == h && smap_eq(m, m->keys[i], key))
			break;
		j = (j + 1) & (m->cap - 1);
	}
	return j;
}

int64_t *util_smap_slot(struct util_smap *m, const char *key, int64_t init, bool *isnew)
{
	if ((m->n + 1) * 2 > m->cap)
		smap_rehash(m);
	uint64_t h = smap_hash(m, key);
	size_t j = smap_find(m, key, h);
	bool fresh = !m->slot[j];
	if (fresh) {
		if (m->n == m->kcap) {
			/* three parallel arrays, one capacity */
			m->kcap = m->kcap ? m->kcap * 2 : 16;
			m->keys = xrealloc(m->keys, m->kcap * sizeof *m->keys);
			m->vals = xrealloc(m->vals, m->kcap * sizeof *m->vals);
			m->hash = xrealloc(m->hash, m->kcap * sizeof *m->hash);
		}
		m->keys[m->n] = xstrdup(key);
		m->vals[m->n] = init;
		m->hash[m->n] = h;
		m->slot[j] = (uint32_t)(m->n + 1);
		m->n++;
	}
	if (isnew)
		*isnew = fresh;
	return &m->vals[m->slot[j] - 1];
}

long util_smap_index(const struct util_smap *m, const char *key)
{
	if (!m->cap || !key)
		return -1;
	size_t j = smap_find(m, key, smap_hash(m, key));
	return m->slot[j] ? (long)m->slot[j] - 1 : -1;
}

const int64_t *util_smap_get(const struct util_smap *m, const char *key)
{
	long i = util_smap_index(m, key);
	return i < 0 ? NULL : &m->vals[i];
}

void util_smap_free(struct util_smap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	free(m->hash);
	free(m->slot);
	bool nocase = m->nocase;
	memset(m, 0, sizeof *m);
	m->nocase = nocase;
}

bool util_sset_add(struct util_smap *m, const char *s)
{
	bool isnew;
	util_smap_slot(m, s, 0, &isnew);
	return isnew;
}

bool util_sset_has(const struct util_smap *m, const char *s)
{
	return util_smap_index(m, s) >= 0;
}
