/*
 * load_batch.c: the parser's side of a load: the sink copies each event and
 * reject out of the parser's buffers into a batch (strings in one arena)
 * and sends full batches to the writer through a short queue. An event's
 * fields that are spans of its raw record point into the record's copy
 * (stash_field): 82.1 -> 77.3M instructions of the sink on 20k
 * high-cardinality CSV records.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xalloc.h"
#include "load_impl.h"

#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

#ifdef __SSE2__
#include <emmintrin.h>
#endif

void load_batch_free(struct batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->items);
	free(b->vals);
	free(b->vslot);
	free(b);
}
void load_shed(struct sqlite_load *ld)
{
	if (ld->writer_started) {
		pthread_mutex_lock(&ld->mu);
		ld->quit = true;
		pthread_cond_broadcast(&ld->cv_work);
		pthread_mutex_unlock(&ld->mu);
		pthread_join(ld->writer, NULL);
		ld->writer_started = false;
	}
	if (ld->zstarted) {
		pthread_mutex_lock(&ld->zmu);
		ld->zquit = true;
		pthread_cond_broadcast(&ld->zcv);
		pthread_mutex_unlock(&ld->zmu);
		pthread_join(ld->zthread, NULL);
		ld->zstarted = false;
	}
	struct batch **lists[] = { &ld->qhead, &ld->spare, &ld->cur, &ld->deferred };
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		while (*lists[i]) {
			struct batch *b = *lists[i];
			*lists[i] = b->next;
			load_batch_free(b);
		}
	ld->qtail = NULL;
	ld->qlen = ld->qbytes = ld->nspare = 0;
	ZSTD_freeCCtx(ld->cctx);
	ld->cctx = NULL;
	load_blocks_free(ld);
	load_blkbuf_free(&ld->rawb);
	memset(&ld->rawb, 0, sizeof ld->rawb);
	load_ridmap_free(&ld->rids);
	memset(&ld->rids, 0, sizeof ld->rids);
	load_intern_free(&ld->in[0]);
	load_intern_free(&ld->in[1]);
	memset(ld->in, 0, sizeof ld->in);
	free(ld->vids_mem);
	ld->vids_mem = ld->vids = NULL;
	load_values_map_free(ld);
	load_groups_free(ld);
	sqlite3_finalize(ld->ins_valg);
	sqlite3_finalize(ld->ins_pvg);
	ld->ins_valg = ld->ins_pvg = NULL;
	free(ld->valg_text);
	ld->valg_text = NULL;
	ld->valg_len = ld->valg_cap = ld->nvalg = 0;
	free(ld->evg_rid);
	ld->evg_rid = NULL;
	ld->evg_ridlen = ld->evg_ridcap = ld->nevg = 0;
#ifdef __GLIBC__
	/* freed is not given back: the threads' arenas keep their pages
	 * for the next malloc, and the sorts after would add theirs on top
	 * (1M high-cardinality JSON Lines: 64.8 MB peak in the index
	 * builds, the streaming's 61 MB never returned) */
	malloc_trim(0);
#endif
}

/* Offsets into the arena are stored as pointers until the batch is
 * sealed, because the arena may move while it grows. */
struct sv load_stash(struct batch *b, struct sv s)
{
	if (!s.p)
		return s;
	b->buf = xgrow(b->buf, &b->cap, b->len + s.n + 1, 1);
	memcpy(b->buf + b->len, s.p, s.n);
	struct sv r = { (const char *)(uintptr_t)(b->len + 1), s.n }; /* +1: 0 means absent */
	b->len += s.n;
	b->buf[b->len++] = '\0';
	return r;
}

/* A field of an event whose raw record is stashed at raw (load_stash):
 * most fields are spans of the record (an id, an operation, a session),
 * which are then the same bytes of the stashed record and are not copied
 * again. Such a field is not followed by a NUL in the batch: the writer
 * reads every field by its length. */
static inline __attribute__((always_inline)) struct sv stash_field(struct batch *b, struct sv f,
								   struct sv src, struct sv raw)
{
	/* (d is huge when f is before src, or absent while src is not: NULL
	 * is below every object's bytes. With src absent, raw is too, and
	 * f in range is an absent f, which comes back as it went) */
	uintptr_t d = (uintptr_t)f.p - (uintptr_t)src.p;
	if (d <= src.n && f.n <= src.n - d)
		return (struct sv){ (const char *)((uintptr_t)raw.p + d), f.n };
	return load_stash(b, f);
}

/* A size as decimal digits at o (snprintf was 3% of the parsing
 * thread on mail-access records): its digits counted, then written from
 * the last, two a step from a table (a digit a step and a reversing
 * copy were 31 M instructions of a 200k CSV load, 111 a size). */
static size_t put_size(char *o, long long v)
{
	static const char pairs[201] = "00010203040506070809"
				       "10111213141516171819"
				       "20212223242526272829"
				       "30313233343536373839"
				       "40414243444546474849"
				       "50515253545556575859"
				       "60616263646566676869"
				       "70717273747576777879"
				       "80818283848586878889"
				       "90919293949596979899";
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t k = 0;
	if (v < 0)
		o[k++] = '-';
	size_t n = 1;
	for (unsigned long long t = u; t >= 10; t /= 10)
		n++;
	char *w = o + k + n;
	while (u >= 100) {
		unsigned r = (unsigned)(u % 100);
		u /= 100;
		w -= 2;
		w[0] = pairs[2 * r];
		w[1] = pairs[2 * r + 1];
	}
	if (u >= 10) {
		w -= 2;
		w[0] = pairs[2 * u];
		w[1] = pairs[2 * u + 1];
	} else {
		*--w = (char)('0' + u);
	}
	return k + n;
}

#ifdef __SSE2__
/* The bytes of x that a JSON string must escape (a quote, a backslash, a
 * control), one bit each. */
static inline unsigned escape_bits(__m128i x)
{
	const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
	__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bs)),
				   _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl)); /* x <= 0x1f */
	return (unsigned)_mm_movemask_epi8(hit);
}
#endif

/* v as a JSON string at the batch's end, which has room for it escaped
 * (stash_msgs: six bytes a byte). Sixteen bytes at a time with SSE2,
 * each block stored as it is read and the output advanced to the first
 * byte needing an escape; a run's last bytes as the last sixteen of the
 * string, overlapping bytes already copied as they are, where the run is
 * that long: a message id's tail (or a folder path's after its leading
 * escape, "\\Sent Items") a byte at a time, and a memcpy call a run, were
 * most of this function's cost (callgrind, 20k high-cardinality CSV). */
static void put_json_str(struct batch *b, struct sv v)
{
	if (!v.p) {
		memcpy(b->buf + b->len, "null", 4);
		b->len += 4;
		return;
	}
	char *o = b->buf + b->len;
	const char *p = v.p, *e = v.p + v.n;
	const char *run = p; /* since here the output is the input's bytes */
	*o++ = '"';
	for (;;) {
#ifdef __SSE2__
		while (e - p >= 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
			_mm_storeu_si128((__m128i *)(void *)o, x);
			unsigned m = escape_bits(x);
			if (m) {
				unsigned k = (unsigned)__builtin_ctz(m);
				p += k;
				o += k;
				goto escape;
			}
			p += 16;
			o += 16;
		}
		if (p < e && e - run >= 16) {
			size_t back = 16 - (size_t)(e - p);
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(e - 16));
			_mm_storeu_si128((__m128i *)(void *)(o - back), x);
			unsigned m = escape_bits(x) >> back;
			if (!m) {
				o += e - p;
				break;
			}
			unsigned k = (unsigned)__builtin_ctz(m);
			p += k;
			o += k;
			goto escape;
		}
#endif
		while (p < e) {
			unsigned char c = (unsigned char)*p;
			if (c == '"' || c == '\\' || c < 0x20)
				break;
			*o++ = (char)c;
			p++;
		}
		if (p >= e)
			break;
#ifdef __SSE2__
	escape :
#endif
	{
		unsigned char c = (unsigned char)*p++;
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else {
			o += snprintf(o, 7, "\\u%04x", c);
		}
		run = p;
	}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->buf);
}

/* The messages of an event as [[folder, msgid, size], ...], stashed. */
static struct sv stash_msgs(struct batch *b, const struct event_msg *m, size_t n)
{
	size_t need = 2;
	for (size_t i = 0; i < n; i++)
		need += 6 * (m[i].folder.n + m[i].msgid.n) + 48;
	b->buf = xgrow(b->buf, &b->cap, b->len + need + 1, 1);
	size_t start = b->len;
	b->buf[b->len++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			b->buf[b->len++] = ',';
		b->buf[b->len++] = '[';
		put_json_str(b, m[i].folder);
		b->buf[b->len++] = ',';
		put_json_str(b, m[i].msgid);
		b->buf[b->len++] = ',';
		if (m[i].size >= 0) {
			b->len += put_size(b->buf + b->len, (long long)m[i].size);
		} else {
			memcpy(b->buf + b->len, "null", 4);
			b->len += 4;
		}
		b->buf[b->len++] = ']';
	}
	b->buf[b->len++] = ']';
	struct sv r = { (const char *)(uintptr_t)(start + 1), b->len - start };
	b->buf[b->len++] = '\0';
	return r;
}

static struct sv unstash(const struct batch *b, struct sv s)
{
	if (!s.p)
		return s;
	return (struct sv){ b->buf + ((uintptr_t)s.p - 1), s.n };
}

void load_batch_seal(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		if (it->type != ITEM_EVENT)
			continue;
		struct event *ev = &it->ev;
#define X(name) ev->name = unstash(b, ev->name);
		EVENT_TEXT_FIELDS(X)
#undef X
		ev->raw = unstash(b, ev->raw);
		it->msgjson = unstash(b, it->msgjson);
	}
}

static int failed(struct sqlite_load *ld, char **cause)
{
	if (!atomic_load_explicit(&ld->has_error, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&ld->mu);
	int r = 0;
	if (ld->error)
		r = set_cause(cause, "%s", ld->error);
	pthread_mutex_unlock(&ld->mu);
	return r;
}

/* Send the current batch to the writer (waiting while the queue has no
 * room for it: QUEUE_BYTES). */
static void send(struct sqlite_load *ld)
{
	struct batch *b = ld->cur;
	if (!b || b->n == 0)
		return;
	ld->cur = NULL;
	load_batch_seal(b);
	b->weight = load_batch_weight(b);
	pthread_mutex_lock(&ld->mu);
	while (!load_queue_room(ld, b->weight))
		pthread_cond_wait(&ld->cv_space, &ld->mu);
	if (ld->qtail)
		ld->qtail->next = b;
	else
		ld->qhead = b;
	ld->qtail = b;
	ld->qlen++;
	ld->qbytes += b->weight;
	ld->held = false;
	pthread_cond_signal(&ld->cv_work);
	pthread_mutex_unlock(&ld->mu);
}

/* Wait until the writer has done everything sent: after this the caller
 * may use the connection itself. The batch still being filled is not
 * sent: it is written here, on the caller's thread, once the writer is
 * idle. A source's end drains, so a bundle of one-record members paid a
 * hand-off to the writer and back per member (a zip of 10,000 such
 * members: 1.8-2.2 s wall for 0.9 s of CPU on a busy machine). */
int load_drain(struct sqlite_load *ld, char **cause)
{
	pthread_mutex_lock(&ld->mu);
	while (ld->qhead || ld->busy)
		pthread_cond_wait(&ld->cv_idle, &ld->mu);
	ld->held = true;
	pthread_mutex_unlock(&ld->mu);
	if (failed(ld, cause) < 0)
		return -1;
	struct batch *b = ld->cur;
	char *why = NULL;
	int rc = 0;
	bool wrote = b && b->n;
	if (wrote) {
		ld->cur = NULL;
		load_batch_seal(b);
		rc = load_write_batch(ld, b, &why);
	}
	/* the caller may read the events: the rows the writer holds in its
	 * groups go in (load_flush_rows) */
	if (rc == 0)
		rc = load_flush_rows(ld, &why);
	pthread_mutex_lock(&ld->mu);
	if (rc < 0 && !ld->error) {
		/* as the writer does: every later call fails with it */
		ld->error = xstrdup(why ? why : "write failed");
		atomic_store(&ld->has_error, true);
	}
	if (wrote)
		load_batch_recycle(ld, b);
	pthread_mutex_unlock(&ld->mu);
	free(why);
	return failed(ld, cause);
}

/* The writer is woken only when it waits with no timer: one already
 * counting down to an idle commit counts from this release instead
 * (load_write_main), so that a run of small sources does not wake it
 * three times a source. */
void load_release(struct sqlite_load *ld)
{
	int64_t t = load_now_ms();
	pthread_mutex_lock(&ld->mu);
	ld->held = false;
	ld->released_ms = t;
	if (ld->parked)
		pthread_cond_signal(&ld->cv_work);
	pthread_mutex_unlock(&ld->mu);
}

/* The writer hands written batches back (load_write.c): their buffers
 * are used again rather than freed, so that the parser does not fault
 * in and clear a fresh buffer a batch, and freed batches do not
 * scatter the heap. Batches whose buffers grew for a large record are
 * freed. */
void load_batch_recycle(struct sqlite_load *ld, struct batch *b)
{
	if (!b)
		return;
	if (b->cap != BATCH_BYTES + (BATCH_BYTES >> 3) || b->icap != BATCH_ITEMS || ld->nspare >= SPARE_MAX) {
		load_batch_free(b);
		return;
	}
	b->n = b->len = 0;
	b->next = ld->spare;
	ld->spare = b;
	ld->nspare++;
}

/* The batch being filled: a spare one, or a new one. */
static struct batch *cur_batch(struct sqlite_load *ld)
{
	if (!ld->cur) {
		pthread_mutex_lock(&ld->mu);
		ld->cur = ld->spare;
		if (ld->cur) {
			ld->spare = ld->cur->next;
			ld->nspare--;
			ld->cur->next = NULL;
		}
		pthread_mutex_unlock(&ld->mu);
	}
	if (!ld->cur) {
		ld->cur = xcalloc(1, sizeof *ld->cur);
		ld->cur->cap = BATCH_BYTES + (BATCH_BYTES >> 3); /* the record that crosses it */
		ld->cur->buf = xmalloc(ld->cur->cap);
		ld->cur->icap = BATCH_ITEMS;
		ld->cur->items = xmalloc(BATCH_ITEMS * sizeof *ld->cur->items);
	}
	return ld->cur;
}

/* The batch's next item, for the caller to fill: every field (an
 * event's is mostly its struct event, which clearing first wrote twice). */
static struct item *new_item(struct sqlite_load *ld)
{
	struct batch *b = cur_batch(ld);
	if (!b->n && b->nvals) { /* (a batch used again) */
		memset(b->vslot, 0, BATCH_VSLOTS * sizeof *b->vslot);
		b->nvals = 0;
	}
	b->items = xgrow(b->items, &b->icap, b->n + 1, sizeof *b->items);
	return &b->items[b->n++];
}

static void maybe_send(struct sqlite_load *ld)
{
	if (ld->cur->n >= BATCH_ITEMS || ld->cur->len >= BATCH_BYTES)
		send(ld);
}

/* The bytes of w equal to 'I', 'F' or 'T', bit 7 of each set (exact: no
 * carry from one byte into the next). */
static inline uint64_t capitals(uint64_t w)
{
	const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL, ones = 0x0101010101010101ULL;
	uint64_t i = w ^ (ones * 'I'), f = w ^ (ones * 'F'), t = w ^ (ones * 'T');
	return ~(((i & lo7) + lo7) | i | lo7) | ~(((f & lo7) + lo7) | f | lo7) | ~(((t & lo7) + lo7) | t | lo7);
}

/* n bytes at a and b alike: a batch's values are short, and a call to
 * memcmp was half of batch_val's cost */
static inline bool same_text(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if (util_load8(a + i) != util_load8(b + i))
				return false;
		return util_load8(a + n - 8) == util_load8(b + n - 8);
	}
	if (n >= 4)
		return util_load4(a) == util_load4(b) && util_load4(a + n - 4) == util_load4(b + n - 4);
	return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* Administrative records: load_write.c says why the writer holds them
 * back to the commit. */
static bool is_admin(const struct event *ev)
{
	static const struct {
		const char *s;
		size_t n;
	} rtypes[] = {
		{ "ExchangeAdmin", 13 },
		{ "AzureActiveDirectory", 20 },
		{ "EntraDirectoryAudit", 19 },
		{ "SecurityComplianceCenterEOPCmdlet", 33 },
	};
	for (size_t i = 0; ev->rtype.p && i < sizeof rtypes / sizeof rtypes[0]; i++)
		if (ev->rtype.n == rtypes[i].n && memcmp(ev->rtype.p, rtypes[i].s, rtypes[i].n) == 0)
			return true;
	/* mailbox-item operations that change rules and permissions: an
	 * operation that names one of these. Each starts with a capital
	 * that is looked for first: three memmem calls on every event's
	 * operation were 1.2% of the parser's instructions. */
	static const struct {
		const char *s;
		size_t n;
	} ops[] = { { "InboxRule", 9 }, { "FolderPermission", 16 }, { "TransportRule", 13 } };
	const char *op = ev->op.p;
	size_t n = op ? ev->op.n : 0;
	if (n < 9)
		return false; /* shorter than the shortest ("InboxRule") */
	/* the capitals eight bytes at a time (the last word overlapping the
	 * one before): a test a byte was 0.7% of the parser's instructions */
	for (size_t at = 0;; at += 8) {
		if (at + 8 > n)
			at = n - 8;
		uint64_t m = capitals(util_load8(op + at));
		while (m) {
			size_t i = at + (size_t)__builtin_ctzll(m) / 8;
			int k = op[i] == 'I' ? 0 : op[i] == 'F' ? 1 : 2;
			if (n - i >= ops[k].n && memcmp(op + i, ops[k].s, ops[k].n) == 0)
				return true;
			m &= m - 1;
		}
		if (at + 8 >= n)
			return false;
	}
}

/* Where value s starts its probe in the batch's table: its length and
 * its first, middle and last words, not every byte. A batch has each of
 * its values a dozen times and more (an operation, a user, an app of 512
 * events), and load_value_hash, which the writer needs, is worked out
 * only for a value the batch does not have yet: the others take the one
 * kept with their first copy (struct bval). A collision costs a compare
 * of the texts, never a wrong value. */
static inline size_t batch_slot(struct sv s)
{
	const char *p = s.p;
	size_t n = s.n;
	uint64_t a, z;
	if (n >= 8) {
		a = util_load8(p);
		z = util_load8(p + n - 8);
		if (n > 16) /* (user agents: alike at both ends) */
			a ^= util_load8(p + n / 2 - 4) * 0xff51afd7ed558ccdULL;
	} else if (n >= 4) {
		a = util_load4(p);
		z = util_load4(p + n - 4);
	} else {
		a = n ? (uint64_t)(unsigned char)p[0] << 16 | (uint64_t)(unsigned char)p[n / 2] << 8 |
				    (unsigned char)p[n - 1]
		      : 0;
		z = 0;
	}
	uint64_t h = (a * 0x9e3779b97f4a7c15ULL) ^ ((z + n) * 0xc2b2ae3d27d4eb4fULL);
	return (size_t)(h >> 50) & (BATCH_VSLOTS - 1);
}
_Static_assert(BATCH_VSLOTS <= (1u << 14), "batch_slot's 14 bits");

/* A value's first slots by batch_slot, compared by their texts: past
 * them (values alike in the words batch_slot reads), by its full hash. */
#define BATCH_PROBES 8

/* The place + 1 of value s among the batch's distinct values, added
 * when new (stored: its copy in the batch, as load_stash gives it); 0
 * when they are full. *h gets its load_value_hash.
 *
 * batch_slot reads a few words of a value, and a log can be written so
 * that many values share them (a user agent or a file name is the
 * writer's to choose): found by batch_slot alone, each of k such values
 * of a batch walked the k before it, text against text (three such
 * fields of 200k JSON Lines events: +0.5 s of CPU). So batch_slot picks
 * a value's first BATCH_PROBES slots only; a value that finds them all
 * taken by others is placed and found from its full hash's slot, where
 * the stored hashes are compared before the texts. A value's way is the
 * same each time within a batch: slots are only ever taken, so the first
 * BATCH_PROBES of a value placed past them are still taken when it comes
 * again, and a value placed among them is met before any empty slot. */
static uint16_t batch_val(struct batch *b, struct sv s, struct sv stored, uint64_t *h)
{
	if (!b->vslot) {
		b->vslot = xcalloc(BATCH_VSLOTS, sizeof *b->vslot);
		b->vals = xmalloc(BATCH_VALS * sizeof *b->vals);
	}
	size_t mask = BATCH_VSLOTS - 1, i = batch_slot(s);
	uint16_t k;
	bool hashed = false;
	for (int probe = 0; (k = b->vslot[i]) != 0; i = (i + 1) & mask) {
		const struct bval *v = &b->vals[k - 1];
		if (hashed ? v->h == *h && v->n == s.n && same_text(b->buf + v->off, s.p, s.n)
			   : v->n == s.n && same_text(b->buf + v->off, s.p, s.n)) {
			*h = v->h;
			return k;
		}
		if (!hashed && ++probe == BATCH_PROBES) {
			*h = load_value_hash(s);
			hashed = true;
			i = ((size_t)(*h >> 32) - 1) & mask; /* (the loop's step: the hash's slot) */
		}
	}
	if (!hashed)
		*h = load_value_hash(s);
	uintptr_t off = (uintptr_t)stored.p - 1; /* (load_stash: offset + 1) */
	if (b->nvals >= BATCH_VALS || off > UINT32_MAX || s.n > UINT32_MAX)
		return 0;
	b->vals[b->nvals++] = (struct bval){ *h, (uint32_t)off, (uint32_t)s.n };
	b->vslot[i] = (uint16_t)b->nvals;
	return (uint16_t)b->nvals;
}

/*
 * The sink's room (struct sink): the free bytes at the batch's end, where
 * the CSV reader splits a row's AuditData (csv_set_room), so that
 * stash_raw finds the record in place. Otherwise load_stash copied each
 * record once more after the split had written it: cold lines, ~6% of
 * the parser's samples (perf, 1M high-cardinality CSV). NULL where the
 * batch lacks the room without growing (a record larger than its slack
 * is copied, as before).
 */
static char *sink_room(void *ctx, size_t n)
{
	struct sqlite_load *ld = ctx;
	struct batch *b = cur_batch(ld);
	return b->cap - b->len >= n ? b->buf + b->len : NULL;
}

/* The raw record of an event, stashed: where the reader wrote it in the
 * batch's free bytes (sink_room), it is kept there (moved down when it
 * does not start at them: AuditData with leading blanks), else copied
 * (*copied). */
static struct sv stash_raw(struct batch *b, struct sv raw, bool *copied)
{
	size_t avail = b->cap - b->len;
	uintptr_t at = (uintptr_t)raw.p - (uintptr_t)(b->buf + b->len); /* (huge when before it) */
	*copied = !raw.p || at >= avail || raw.n >= avail - at;
	if (*copied)
		return load_stash(b, raw);
	if (at)
		memmove(b->buf + b->len, raw.p, raw.n);
	struct sv r = { (const char *)(uintptr_t)(b->len + 1), raw.n }; /* as load_stash gives it */
	b->len += raw.n;
	b->buf[b->len++] = '\0';
	return r;
}

/*
 * The bytes the next event will be written to, asked for ahead (in
 * sink_event, for writing): the rest of this event's handling and the
 * reading of the next record then overlap their fetch, which the copies
 * into them otherwise waited for a line at a time (a recycled batch's
 * lines were last in the writer's core, a new one's nowhere): its item
 * and, when this event's raw record was copied (raw: JSON Lines), the
 * 2 KB after the batch's end, where the next one (1-2 KB in a mailbox
 * export) will be copied too. 1M high-
 * cardinality JSON Lines, perf of the parsing thread, same-run pair:
 * the raw record's memmove 616 -> 226 samples, load_stash 211 -> 85,
 * the thread 9,635 -> 9,031. The CSV reader writes its records into
 * the batch itself (sink_room), right after this: those bytes asked for
 * here held up this function as long as they sped the unquoting (CSV
 * high 1M: sink_event +320 samples, unquote_wide -310), so they are not.
 */
#define NEXT_RAW_BYTES 2048
static void prefetch_next(const struct batch *b, bool raw)
{
	/* four lines a step, the batch's room tested once where it holds all
	 * of them: the loop's tests were 52 M instructions of a 200k JSON
	 * Lines load, for 6.4 M prefetches */
	const char *q = b->buf + b->len;
	size_t room = b->cap - b->len;
	if (raw && room >= NEXT_RAW_BYTES) {
		_Static_assert(NEXT_RAW_BYTES % 256 == 0, "whole steps");
		for (size_t k = 0; k < NEXT_RAW_BYTES; k += 256) {
			__builtin_prefetch(q + k, 1);
			__builtin_prefetch(q + k + 64, 1);
			__builtin_prefetch(q + k + 128, 1);
			__builtin_prefetch(q + k + 192, 1);
		}
	} else if (raw) {
		for (size_t k = 0; k < room; k += 64)
			__builtin_prefetch(q + k, 1);
	}
	if (b->n < b->icap) {
		const char *it = (const char *)&b->items[b->n];
		for (size_t k = 0; k < sizeof b->items[b->n]; k += 64)
			__builtin_prefetch(it + k, 1);
	}
}

#if UINTPTR_MAX == UINT64_MAX
/* sink_event sets each field of the item's event by name: a field added
 * to struct event needs its line there (this size then changes) */
#define X(name) +sizeof(struct sv)
_Static_assert(sizeof(struct event) == 8 + 8 EVENT_TEXT_FIELDS(X) + 8 + 8 + 16 + 8 + 8 + 8,
	       "sink_event sets every field of struct event");
#undef X
#endif

static int sink_event(void *ctx, const struct event *ev, char **cause)
{
	struct sqlite_load *ld = ctx;
	if (failed(ld, cause) < 0)
		return -1;
	struct item *it = new_item(ld);
	struct batch *b = ld->cur;
	it->type = ITEM_EVENT;
	/* the event's fields one by one, the texts straight to their stashed
	 * place: a copy of the whole event first wrote them twice, and the
	 * raw record's spans, read again through ev after every store to it
	 * (which may be ev for all the compiler knows), were 18
	 * instructions a field instead of 11 */
	it->ev.ts = ev->ts;
	it->ev.kind = ev->kind;
	it->ev.op_count = ev->op_count;
	it->ev.flags = ev->flags;
	it->ev.line = ev->line;
	it->ev.nmsgs = ev->nmsgs;
	it->ev.msgs = NULL;
	it->line = 0;
	it->why = it->raw = it->rawlen = 0;
	bool copied;
	const struct sv src = ev->raw, raw = stash_raw(b, src, &copied);
	it->ev.raw = raw;
#define X(name) it->ev.name = stash_field(b, ev->name, src, raw);
	EVENT_TEXT_FIELDS(X)
#undef X
	it->msgjson = ev->nmsgs ? stash_msgs(b, ev->msgs, ev->nmsgs) : (struct sv){ NULL, 0 };
	it->admin = is_admin(ev);
	/* the record id as the case keeps it (rid.c); it->ev's texts are
	 * offsets into the batch until it is sealed */
	load_item_set_rid(it, ev->record_id);
	struct sv f[LOAD_NVALS], stored[LOAD_NVALS];
	load_event_values(ev, f);
	load_event_values(&it->ev, stored);
	for (size_t i = 0; i < LOAD_NVALS; i++) {
		if (!f[i].p) {
			it->vh[i] = 0;
			it->vx[i] = 0;
			continue;
		}
		it->vx[i] = batch_val(b, f[i], stored[i], &it->vh[i]);
	}
	prefetch_next(b, copied);
	maybe_send(ld);
	return 0;
}

static int sink_reject(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause)
{
	struct sqlite_load *ld = ctx;
	if (failed(ld, cause) < 0)
		return -1;
	struct item *it = new_item(ld);
	struct batch *b = ld->cur;
	memset(it, 0, sizeof *it);
	it->type = ITEM_REJECT;
	it->line = line;
	struct sv w = load_stash(b, (struct sv){ why, strlen(why) });
	struct sv r = load_stash(b, (struct sv){ raw ? raw : "", raw ? n : 0 });
	it->why = (uintptr_t)w.p - 1;
	it->raw = (uintptr_t)r.p - 1;
	it->rawlen = r.n;
	maybe_send(ld);
	return 0;
}

void sqlite_load_sink(struct store_load *base, struct sink *out)
{
	struct sqlite_load *ld = (struct sqlite_load *)base;
	out->event = sink_event;
	out->reject = sink_reject;
	out->ctx = ld;
	out->room = sink_room;
}
