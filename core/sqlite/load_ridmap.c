/*
 * load_ridmap.c: the fingerprint table of record ids that deduplicates a
 * load (load_dedup.c reads it), in bounded memory whatever the size of
 * the case.
 *
 * The table in memory holds up to max entries (fingerprint << 32 | event
 * id). When it is full it is sorted and written to a temporary file as a
 * run, and a Bloom filter over every entry written so far says which
 * look-ups need to read the runs: a record id seen for the first time (a
 * load's usual case) costs the table and the filter, nothing on disk.
 * The filter stops growing at bloom_max (the record ids': 3 MB, 12 bits
 * an entry up to 2.1M ids in the runs, 2.5 at 10M, where a new id reads
 * 0.3 pages of runs, of 512 bytes, on average): it grew to 16 MB at 10M
 * events, the streaming's peak. Runs are merged while the older is at
 * most four times the newer, so there are few of them (at most log4 of
 * the case over max). Before, a full table switched the load to
 * SQLite's unique index mid-load: random inserts into a B-tree as large
 * as the case, which made 10M events cost 24 times 1M.
 */
#define _GNU_SOURCE /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "xalloc.h"
#include "load_impl.h"

/* entries in a run's page: a page is read for a look-up */
#define PAGE_SLOTS (RIDMAP_PAGE / sizeof(uint64_t))

static void ridmap_place(struct ridmap *m, uint64_t slot)
{
	size_t i = (slot >> 32) & (m->cap - 1);
	while (m->slot[i])
		i = (i + 1) & (m->cap - 1);
	m->slot[i] = slot;
	m->count++;
}

/*
 * The filter: blocks of 512 bits, bloom_k bits set in one block per
 * entry (one cache line a look-up). The block is the fingerprint's top
 * bits (it is a hash already), so that sorted entries (the case's from
 * ridx, a spilled run) fill the filter front to back instead of a cache
 * line at random each; the bits within it from the fingerprint mixed.
 * (callgrind, the seed of a 1M-event case: 104 M instructions for two
 * mixes a key, and a cache miss each.)
 */
static inline uint64_t *filter_block(const uint64_t *bits, size_t words, uint32_t f)
{
	return (uint64_t *)bits + (((uint64_t)f * (words / 8)) >> 32) * 8;
}

static inline void filter_add(uint64_t *bits, size_t words, int k, uint32_t f)
{
	uint64_t h = util_mix64(f), *b = filter_block(bits, words, f);
	for (int i = 0; i < k; i++, h >>= 9)
		b[(h >> 6) & 7] |= (uint64_t)1 << (h & 63);
}

static bool filter_has(const uint64_t *bits, size_t words, int k, uint32_t f)
{
	uint64_t h = util_mix64(f);
	const uint64_t *b = filter_block(bits, words, f);
	for (int i = 0; i < k; i++, h >>= 9)
		if (!(b[(h >> 6) & 7] & (uint64_t)1 << (h & 63)))
			return false;
	return true;
}

static inline uint64_t *bloom_block(const struct ridmap *m, uint32_t f)
{
	return filter_block(m->bloom, m->bloom_words, f);
}

static inline void bloom_add(struct ridmap *m, uint32_t f)
{
	filter_add(m->bloom, m->bloom_words, m->bloom_k, f);
}

static bool bloom_has(const struct ridmap *m, uint32_t f)
{
	return m->bloom && filter_has(m->bloom, m->bloom_words, m->bloom_k, f);
}

/* The bits a filter sets an entry for the bits it has an entry (0.69
 * times, the fewest false positives), from 6 down to 2. */
static int filter_k(size_t bits)
{
	return bits >= 9 ? 6 : bits >= 7 ? 5 : bits >= 6 ? 4 : bits >= 4 ? 3 : 2;
}

static int tmp_fd(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != ENOENT))
		return fd;
	char *path = xasprintf("%s/auditscope-rids-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

static bool write_all(int fd, const void *p, size_t n, off_t at)
{
	const char *c = p;
	while (n) {
		ssize_t w = pwrite(fd, c, n, at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
		at += w;
	}
	return true;
}

static bool read_all(int fd, void *p, size_t n, off_t at)
{
	char *c = p;
	while (n) {
		ssize_t r = pread(fd, c, n, at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			errno = EIO; /* the run is shorter than written */
		if (r <= 0)
			return false;
		c += r;
		n -= (size_t)r;
		at += r;
	}
	return true;
}

/* Writes a sorted run out in chunks, noting each page's first entry. */
struct run_writer {
	struct ridrun r;
	uint64_t buf[4096];
	size_t nbuf;
	bool ok;
};

static void rw_start(struct run_writer *w)
{
	memset(&w->r, 0, sizeof w->r);
	w->nbuf = 0;
	w->r.fd = tmp_fd();
	w->ok = w->r.fd >= 0;
}

/* n slots in order, a page or a buffer at a time. */
static void rw_put_many(struct run_writer *w, const uint64_t *s, size_t n)
{
	const size_t cap = sizeof w->buf / sizeof *w->buf; /* (a multiple of PAGE_SLOTS) */
	while (n) {
		if (w->r.n % PAGE_SLOTS == 0) {
			w->r.first = xgrow(w->r.first, &w->r.pagecap, w->r.npages + 1, sizeof *w->r.first);
			w->r.first[w->r.npages++] = *s;
		}
		size_t k = PAGE_SLOTS - w->r.n % PAGE_SLOTS;
		if (k > n)
			k = n;
		memcpy(w->buf + w->nbuf, s, k * sizeof *s);
		w->nbuf += k;
		w->r.n += k;
		s += k;
		n -= k;
		if (w->nbuf == cap) {
			w->ok = w->ok &&
				write_all(w->r.fd, w->buf, sizeof w->buf, (off_t)((w->r.n - w->nbuf) * 8));
			w->nbuf = 0;
		}
	}
}

static bool rw_end(struct run_writer *w)
{
	if (w->nbuf)
		w->ok = w->ok && write_all(w->r.fd, w->buf, w->nbuf * 8, (off_t)((w->r.n - w->nbuf) * 8));
	w->nbuf = 0;
	return w->ok;
}

static void run_free(struct ridrun *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->first);
}

/* Reads a run from the start in chunks. */
struct run_reader {
	const struct ridrun *r;
	uint64_t buf[4096];
	size_t at, len, pos; /* entries: read so far, in buf, next in buf */
};

/* The reader's buffer refilled when it is used up: false at the run's
 * end or when the read failed (*ok false). */
static bool rr_fill(struct run_reader *rd, bool *ok)
{
	if (rd->pos < rd->len)
		return true;
	if (rd->at == rd->r->n)
		return false;
	size_t k = rd->r->n - rd->at;
	if (k > sizeof rd->buf / sizeof *rd->buf)
		k = sizeof rd->buf / sizeof *rd->buf;
	if (!read_all(rd->r->fd, rd->buf, k * 8, (off_t)(rd->at * 8))) {
		*ok = false;
		return false;
	}
	rd->at += k;
	rd->len = k;
	rd->pos = 0;
	return true;
}

static bool rr_next(struct run_reader *rd, uint64_t *s, bool *ok)
{
	if (!rr_fill(rd, ok))
		return false;
	*s = rd->buf[rd->pos++];
	return true;
}

/* The fingerprints of runs from on into the filter bits: false when a
 * run could not be read. */
static bool filter_fill(const struct ridmap *m, uint64_t *bits, size_t words, int k, size_t from)
{
	bool ok = true;
	for (size_t i = from; i < m->nrun && ok; i++) {
		struct run_reader *rd = xcalloc(1, sizeof *rd);
		rd->r = &m->run[i];
		while (rr_fill(rd, &ok)) {
			for (size_t j = rd->pos; j < rd->len; j++)
				filter_add(bits, words, k, (uint32_t)(rd->buf[j] >> 32));
			rd->pos = rd->len;
		}
		free(rd);
	}
	return ok;
}

/*
 * The filter sized for the entries in the runs, 12 to 24 bits each (48:
 * bloom_step), up to its memory (bloom_max, RIDMAP_BLOOM_MAX): past that
 * it keeps its size and takes fewer bits an entry, so that more look-ups
 * of new ids read the runs (a false positive costs a page read a run)
 * but memory stays flat. The bits set an entry follow the bits it has
 * (0.69 times, the fewest false positives), from 6 down to 2. Rebuilt
 * from the runs when either changes (at most log2 of the cap's growth,
 * plus 4). It grows by bloom_step (0: twice): the record ids' by four
 * (load_ridx_seed), whose table spills every 65,536 ids, so that it is
 * rebuilt half as often, at the same size at the end of a million events
 * (2 MB) and at the cap (callgrind, 200k high-cardinality CSV: the
 * rebuilds 50 -> 31 M instructions, the writer 2,713 -> 2,700 M; a
 * million ids add 1.5M entries again, 0.59M by four). The value map's
 * grows by twice: by four its filter would hold 2 MB at a million
 * high-cardinality events, not 1.
 */
static bool bloom_fit(struct ridmap *m, bool *rebuilt)
{
	*rebuilt = false;
	size_t cap = (m->bloom_max ? m->bloom_max : RIDMAP_BLOOM_MAX) / sizeof *m->bloom;
	size_t words = m->bloom_words ? m->bloom_words : 1024;
	while (words > 8 && words > cap) /* (a test's cap below the start) */
		words /= 2;
	cap &= ~(size_t)7; /* (whole blocks) */
	size_t step = m->bloom_step ? m->bloom_step : 2;
	while (words * 64 < m->spilled * 12 && words < cap)
		words = words * step <= cap ? words * step : cap;
	int k = filter_k(m->spilled ? words * 64 / m->spilled : 64);
	if (words == m->bloom_words && k == m->bloom_k)
		return true;
	*rebuilt = true;
	if (words == m->bloom_words) { /* fewer bits at the cap: same memory */
		memset(m->bloom, 0, words * sizeof *m->bloom);
	} else {
		free(m->bloom);
		m->bloom = xcalloc(words, sizeof *m->bloom);
		m->bloom_words = words;
	}
	m->bloom_k = k;
	return filter_fill(m, m->bloom, m->bloom_words, m->bloom_k, 0);
}

/*
 * The young runs' filter. The filter above covers every run, and a
 * look-up it lets through read a page of each: past its cap (3 MB, 2.5
 * bits an id at 10M ids, 30% let through) the reads grew faster than
 * the ids, 2.1k at 1M ids, 282k at 5M, 2.84M at 10M (bench_ridmap), each
 * a system call on the writer's thread. The runs are merged at four
 * times, so all but the first hold less than a quarter of the entries:
 * a filter of their own at 12 bits an entry, up to young_max (512 KB for
 * the record ids: 350k entries at 12 bits, past that fewer), sends a
 * look-up to the first run, and to the young runs only when this filter
 * may hold its fingerprint too (bench_ridmap: 10M ids, reads 2.84M ->
 * 1.43M, system CPU 2.49 -> 1.55 s; 5M 282k -> 140k; the same
 * candidates; the peak +0.5 MB. The 3 MB split into 2.5 MB and 512 KB
 * instead: 1.88M reads at 10M).
 * Kept over run[1..] after every change of the runs: a spill adds its
 * entries (added, n) to it, or, when its size changes or the young runs
 * are not the same plus those, it is made again from them; merged into
 * the first run, there are none and it goes. A run that cannot be read
 * leaves no young filter: every run read, as before.
 */
static void young_drop(struct ridmap *m)
{
	free(m->young);
	m->young = NULL;
	m->young_words = 0;
	m->young_n = 0;
	m->young_k = 0;
}

static void young_sync(struct ridmap *m, const uint64_t *added, size_t n)
{
	size_t want = 0;
	for (size_t i = 1; i < m->nrun; i++)
		want += m->run[i].n;
	if (!m->young_max || !want) {
		young_drop(m);
		return;
	}
	size_t cap = (m->young_max / sizeof *m->young) & ~(size_t)7;
	if (cap < 8)
		cap = 8;
	size_t words = m->young_words ? m->young_words : (cap < 1024 ? cap : 1024);
	while (words * 64 < want * 12 && words < cap)
		words = words * 2 <= cap ? words * 2 : cap;
	int k = filter_k(words * 64 / want);
	if (added && m->young && words == m->young_words && k == m->young_k && want == m->young_n + n) {
		for (size_t i = 0; i < n; i++)
			filter_add(m->young, words, k, (uint32_t)(added[i] >> 32));
		m->young_n = want;
		return;
	}
	if (!m->young || words != m->young_words) {
		free(m->young);
		m->young = xcalloc(words, sizeof *m->young);
		m->young_words = words;
	} else {
		memset(m->young, 0, words * sizeof *m->young);
	}
	m->young_k = k;
	m->young_n = want;
	if (!filter_fill(m, m->young, words, k, 1))
		young_drop(m);
}

/*
 * Runs a and b merged into w: a buffer of each at a time, the lesser
 * head taken without a call or a branch to mispredict, the output given
 * to the writer a buffer at a time (perf, the table alone at 10M ids:
 * the merges, an entry a call to read and a call to write, were ~35% of
 * its CPU).
 */
static bool merge_two(struct run_reader *ra, struct run_reader *rb, struct run_writer *w)
{
	uint64_t out[1024];
	size_t no = 0;
	bool ok = true;
	while (rr_fill(ra, &ok) && rr_fill(rb, &ok)) {
		const uint64_t *x = ra->buf, *y = rb->buf;
		size_t i = ra->pos, j = rb->pos, ni = ra->len, nj = rb->len;
		while (i < ni && j < nj) {
			uint64_t p = x[i], q = y[j];
			bool t = p <= q;
			out[no++] = t ? p : q;
			i += t;
			j += !t;
			if (no == sizeof out / sizeof *out) {
				rw_put_many(w, out, no);
				no = 0;
			}
		}
		ra->pos = i;
		rb->pos = j;
	}
	rw_put_many(w, out, no);
	/* the rest of the one left */
	for (struct run_reader *r = ra; ok && r; r = r == ra ? rb : NULL)
		while (rr_fill(r, &ok)) {
			rw_put_many(w, r->buf + r->pos, r->len - r->pos);
			r->pos = r->len;
		}
	return ok;
}

/*
 * The last two runs into one, while the older is at most RIDMAP_MERGE
 * times the newer: a look-up that the filter lets through reads a page
 * of each run, so fewer runs make a smaller filter pay less (bench_ridmap,
 * 10M ids, a filter of 3 MB: reads 3.68M with twice, 2.84M with four
 * times, the merges' reads and writes in the same CPU). The case's own
 * run (the seed) only at twice: merged, an append's end reads it again
 * (load_ridmap_each).
 */
#define RIDMAP_MERGE 4
static bool merge_runs(struct ridmap *m)
{
	while (m->nrun >= 2 && m->run[m->nrun - 2].n <= (m->nrun == 2 && m->seeded ? 2 : RIDMAP_MERGE) *
								m->run[m->nrun - 1].n) {
		struct ridrun *a = &m->run[m->nrun - 2], *b = &m->run[m->nrun - 1];
		if (m->nrun == 2)
			m->seeded = false; /* the seed merged with this load's */
		struct run_reader *ra = xcalloc(1, sizeof *ra), *rb = xcalloc(1, sizeof *rb);
		struct run_writer *w = xmalloc(sizeof *w);
		ra->r = a;
		rb->r = b;
		rw_start(w);
		bool ok = w->ok && merge_two(ra, rb, w);
		ok = rw_end(w) && ok;
		free(ra);
		free(rb);
		if (!ok) {
			run_free(&w->r);
			free(w);
			return false;
		}
		run_free(a);
		run_free(b);
		*a = w->r;
		m->nrun--;
		free(w);
	}
	return true;
}

/* The passes from bit from to the top (an even number of them: the
 * slots end in a). */
static void radix_passes(uint64_t *a, uint64_t *tmp, size_t n, int from)
{
	uint32_t *count = xmalloc(65536 * sizeof *count);
	for (int shift = from; shift < 64; shift += 16) {
		memset(count, 0, 65536 * sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[(a[i] >> shift) & 0xffff]++;
		uint32_t sum = 0;
		for (size_t d = 0; d < 65536; d++) {
			uint32_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(a[i] >> shift) & 0xffff]++] = a[i];
		uint64_t *t = a;
		a = tmp;
		tmp = t;
	}
	free(count); /* (an even number of passes: the sorted slots are back in a) */
}

/*
 * LSD radix sort of n slots, 16 bits a pass (tmp holds n; n < 2^32:
 * the counts are 32 bits, 256 KB). The slots' high half is a
 * fingerprint (a hash): sorted by it alone, two passes, they are in
 * order but for the few that share one, which an insertion puts right;
 * the low half's two passes go first only when many do (callgrind, 200k
 * high-cardinality CSV: the spills' sorts 35 -> 23 M instructions of the
 * writer's 2,798 M).
 */
void load_ridmap_sort(uint64_t *a, uint64_t *tmp, size_t n)
{
	radix_passes(a, tmp, n, 32);
	size_t moves = 0;
	for (size_t i = 1; i < n && moves <= n; i++) {
		uint64_t t = a[i];
		size_t j = i;
		for (; j > 0 && t < a[j - 1] && moves <= n; j--, moves++)
			a[j] = a[j - 1];
		a[j] = t;
	}
	if (moves > n) /* (the insertion gave up: stable passes from the bottom) */
		radix_passes(a, tmp, n, 0);
}

/*
 * The table in memory into a run on disk; false when the disk refused
 * (the caller then deduplicates through the unique index). Sorted in the
 * table's own memory: its entries moved to its front, the second half
 * (the table is at most half full) the sort's room. A copy and its room
 * were 2 MB more at each spill, the ridmap's peak; the filter has them
 * now (RIDMAP_BLOOM_MAX).
 */
bool load_ridmap_spill(struct ridmap *m)
{
	if (!m->count)
		return true;
	uint64_t *a = m->slot;
	size_t n = 0;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i])
			a[n++] = m->slot[i];
	load_ridmap_sort(a, a + n, n); /* (n <= cap / 2: load_ridmap_put) */
	struct run_writer *w = xmalloc(sizeof *w);
	rw_start(w);
	rw_put_many(w, a, n);
	bool ok = rw_end(w);
	if (ok) {
		m->run = xgrow(m->run, &m->runcap, m->nrun + 1, sizeof *m->run);
		m->run[m->nrun++] = w->r;
		m->spilled += n;
		bool rebuilt;
		ok = bloom_fit(m, &rebuilt); /* a rebuilt filter has read the new run */
		if (ok && !rebuilt)
			for (size_t i = 0; i < n; i++)
				bloom_add(m, (uint32_t)(a[i] >> 32));
	} else {
		run_free(&w->r);
		/* the table as it was, for a caller that goes on without runs */
		uint64_t *keep = xmalloc(n * sizeof *keep);
		memcpy(keep, a, n * sizeof *keep);
		memset(m->slot, 0, m->cap * sizeof *m->slot);
		m->count = 0;
		for (size_t i = 0; i < n; i++)
			ridmap_place(m, keep[i]);
		free(keep);
	}
	free(w);
	if (!ok)
		return false;
	/* (the entries still in the table's front for the young filter) */
	ok = merge_runs(m);
	if (ok)
		young_sync(m, a, n);
	else
		young_drop(m);
	memset(m->slot, 0, m->cap * sizeof *m->slot);
	m->count = 0;
	return ok;
}

bool load_ridmap_seed(struct ridmap *m, size_t (*next)(void *ctx, uint64_t *slots, size_t max), void *ctx)
{
	/* the filter kept with the case, when there is one, takes the keys it
	 * lacks (ids from kept_from on) as they pass; else it is made again
	 * from the run below */
	free(m->bloom);
	m->bloom = m->kept;
	m->bloom_words = m->kept ? m->kept_words : 0;
	m->bloom_k = m->kept ? m->kept_k : 0;
	m->kept = NULL;
	m->kept_late = 0;
	struct run_writer *w = xmalloc(sizeof *w);
	rw_start(w);
	uint64_t *s = xmalloc(PAGE_SLOTS * 8 * sizeof *s);
	size_t n;
	while ((n = next(ctx, s, PAGE_SLOTS * 8)) > 0) {
		if (m->bloom && m->kept_top >= m->kept_from) /* (1M keys: 7 M instructions) */
			for (size_t i = 0; i < n; i++)
				if ((int64_t)(s[i] & UINT32_MAX) >= m->kept_from) {
					bloom_add(m, (uint32_t)(s[i] >> 32));
					m->kept_late++;
				}
		rw_put_many(w, s, n);
	}
	free(s);
	bool ok = rw_end(w), rebuilt = true;
	if (ok && w->r.n) {
		m->run = xgrow(m->run, &m->runcap, m->nrun + 1, sizeof *m->run);
		m->seeded = m->nrun == 0;
		m->run[m->nrun++] = w->r;
		m->spilled += w->r.n;
		m->seed_n = w->r.n;
		/* (a filter of another size or bits an entry than the run's own
		 * is made again: the kept one is not it) */
		ok = bloom_fit(m, &rebuilt);
		young_sync(m, NULL, 0);
	} else {
		run_free(&w->r);
		free(m->bloom);
		m->bloom = NULL;
		m->bloom_words = 0;
		m->bloom_k = 0;
	}
	if (rebuilt)
		m->kept_from = 0;
	free(w);
	return ok;
}

bool load_ridmap_each(struct ridmap *m, bool (*fn)(void *ctx, uint64_t slot), void *ctx)
{
	if (!load_ridmap_spill(m))
		return false;
	/* (the seed: 1M entries of a case read again and passed by, 0.15 G
	 * instructions at an append's end) */
	size_t s = m->seeded ? 1 : 0, k = m->nrun - s;
	struct run_reader **rd = xcalloc(k ? k : 1, sizeof *rd);
	uint64_t *head = xcalloc(k ? k : 1, sizeof *head);
	bool *has = xcalloc(k ? k : 1, sizeof *has), ok = true, go = true;
	for (size_t i = 0; i < k; i++) {
		rd[i] = xcalloc(1, sizeof **rd);
		rd[i]->r = &m->run[s + i];
		has[i] = rr_next(rd[i], &head[i], &ok);
	}
	/* the runs are few (similar sizes are merged): the least head of
	 * each in turn */
	while (ok && go) {
		size_t best = k;
		for (size_t i = 0; i < k; i++)
			if (has[i] && (best == k || head[i] < head[best]))
				best = i;
		if (best == k)
			break;
		go = fn(ctx, head[best]);
		has[best] = rr_next(rd[best], &head[best], &ok);
	}
	for (size_t i = 0; i < k; i++)
		free(rd[i]);
	free(rd);
	free(head);
	free(has);
	return ok && go;
}

/* false when the id does not fit a slot (past 2^32 events) or a spill
 * failed: the caller then deduplicates through the unique index. */
bool load_ridmap_put(struct ridmap *m, uint64_t fp, int64_t id)
{
	if (id <= 0 || id > (int64_t)UINT32_MAX)
		return false;
	size_t max = m->max ? m->max : RIDMAP_MEM;
	if (m->count >= max && !load_ridmap_spill(m))
		return false;
	if ((m->count + 1) * 2 > m->cap) {
		size_t ocap = m->cap;
		uint64_t *old = m->slot;
		m->cap = ocap ? ocap * 2 : 1 << 16;
		m->slot = xcalloc(m->cap, sizeof *m->slot);
		m->count = 0;
		for (size_t i = 0; i < ocap; i++)
			if (old[i])
				ridmap_place(m, old[i]);
		free(old);
	}
	ridmap_place(m, (uint64_t)load_ridmap_fp32(fp) << 32 | (uint64_t)id);
	return true;
}

static void add_cand(struct ridmap *m, uint64_t slot)
{
	m->cand = xgrow(m->cand, &m->candcap, m->ncand + 1, sizeof *m->cand);
	m->cand[m->ncand++] = (int64_t)(slot & UINT32_MAX);
}

/*
 * Page p of run r into m->page, as much of it as can hold the entries
 * from lo to hi: its entries are fingerprints (hashes) spread evenly
 * between its first entry and the next page's, so lo's place in it is
 * guessed and a window of WIN_SLOTS around it read; the window is kept
 * when its ends show that it holds them all, else the whole page is
 * read. *n: the entries read. (perf, the table alone at 10M ids: the
 * kernel's copy of whole 4 KB pages was 17% of its samples.)
 */
#define WIN_SLOTS 64
static bool page_read(struct ridmap *m, const struct ridrun *r, size_t p, uint64_t lo, uint64_t hi, size_t *n)
{
	size_t k = r->n - p * PAGE_SLOTS;
	if (k > PAGE_SLOTS)
		k = PAGE_SLOTS;
	if (k > 2 * WIN_SLOTS && p + 1 < r->npages) {
		uint64_t a = r->first[p], b = r->first[p + 1]; /* the page: [a, b) */
		size_t at = lo <= a ? 0 : (size_t)((double)(lo - a) / (double)(b - a) * (double)k);
		size_t s = at > WIN_SLOTS / 2 ? at - WIN_SLOTS / 2 : 0;
		if (s > k - WIN_SLOTS)
			s = k - WIN_SLOTS;
		m->reads++;
		if (!read_all(r->fd, m->page, WIN_SLOTS * 8, (off_t)(p * RIDMAP_PAGE + s * 8)))
			return false;
		if ((s == 0 || m->page[0] < lo) && (s + WIN_SLOTS == k || m->page[WIN_SLOTS - 1] > hi)) {
			*n = WIN_SLOTS;
			return true;
		}
	}
	*n = k;
	m->reads++;
	return read_all(r->fd, m->page, k * 8, (off_t)(p * RIDMAP_PAGE));
}

/* The entries of fingerprint f in run r: the pages whose range can hold
 * it (one, unless f's entries cross a page's end). */
static bool run_find(struct ridmap *m, const struct ridrun *r, uint32_t f)
{
	uint64_t lo = (uint64_t)f << 32, hi = lo | UINT32_MAX;
	if (!r->npages || r->first[0] > hi)
		return true;
	size_t a = 0, b = r->npages; /* the last page whose first entry <= lo */
	while (b - a > 1) {
		size_t mid = a + (b - a) / 2;
		if (r->first[mid] <= lo)
			a = mid;
		else
			b = mid;
	}
	for (size_t p = a; p < r->npages && (p == a || r->first[p] <= hi); p++) {
		size_t k;
		if (!page_read(m, r, p, lo, hi, &k))
			return false;
		/* sorted: f's entries from the first >= lo */
		size_t i = 0, j = k;
		while (i < j) {
			size_t mid = i + (j - i) / 2;
			if (m->page[mid] < lo)
				i = mid + 1;
			else
				j = mid;
		}
		for (; i < k && m->page[i] >> 32 == f; i++)
			add_cand(m, m->page[i]);
	}
	return true;
}

/* The table's slot and the filter's block a look-up of f reads first,
 * asked of the CPU ahead of it (load_write_batch, a few items ahead):
 * both are larger than the cache and read at random, and the first slot's
 * load was 78% of load_ridmap_find's samples, itself ~12% of the writer's
 * (perf, 1M high-cardinality CSV). */
void load_ridmap_prefetch(const struct ridmap *m, uint32_t f)
{
	if (m->cap)
		__builtin_prefetch(&m->slot[f & (m->cap - 1)]);
	if (m->bloom) {
		const uint64_t *b = bloom_block(m, f);
		__builtin_prefetch(b);
		__builtin_prefetch(b + 7); /* (a block may straddle two lines) */
	}
}

/* Might the table hold fingerprint f? false: it does not (its slots in
 * memory and its filter say so, no run read); true: it may. */
bool load_ridmap_maybe(const struct ridmap *m, uint32_t f)
{
	if (m->cap)
		for (size_t i = f & (m->cap - 1); m->slot[i]; i = (i + 1) & (m->cap - 1))
			if ((uint32_t)(m->slot[i] >> 32) == f)
				return true;
	return bloom_has(m, f);
}

/* The event ids whose fingerprint is f into m->cand (m->ncand of them):
 * each is the record id's event or a collision the caller checks. false
 * when a run could not be read. */
bool load_ridmap_find(struct ridmap *m, uint32_t f)
{
	m->ncand = 0;
	if (m->cap)
		for (size_t i = f & (m->cap - 1); m->slot[i]; i = (i + 1) & (m->cap - 1))
			if ((uint32_t)(m->slot[i] >> 32) == f)
				add_cand(m, m->slot[i]);
	if (!bloom_has(m, f))
		return true;
	/* the young runs only when their own filter may hold f too */
	bool young = !m->young || filter_has(m->young, m->young_words, m->young_k, f);
	for (size_t i = m->nrun; i-- > 0;)
		if ((i == 0 || young) && !run_find(m, &m->run[i], f))
			return false;
	return true;
}

void load_ridmap_free(struct ridmap *m)
{
	free(m->slot);
	for (size_t i = 0; i < m->nrun; i++)
		run_free(&m->run[i]);
	free(m->run);
	free(m->bloom);
	free(m->young);
	free(m->kept);
	free(m->cand);
}
