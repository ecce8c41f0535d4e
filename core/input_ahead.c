/*
 * input_ahead.c: a plain file read and hashed ahead of its parser, on a
 * thread of its own (input_priv.h).
 *
 * SHA-256 of a file costs about as much as splitting it into records
 * (1.8 GB: 1.0 s with the CPU's SHA instructions), and read(2)'s copy out
 * of the page cache another 0.2 s; both sat on the parser's thread, the
 * one that feeds the writer. Here a reader thread reads the file into a
 * ring of slots and hashes each slot before handing it over; the parser's
 * input_pull() takes the bytes out of the slots with a memcpy (0.1 s for
 * 1.8 GB), or the stream reads them in place (input_lend: each slot has
 * room before its bytes for the record cut at the previous one's end). The bytes handed out, their order, the hash, the counts and
 * the limits are those of a direct read: input_pull still counts every
 * byte and holds the member against the limits as it hands them out.
 *
 * The slots are small (4 of 256 KB): a slot is hashed while read(2)'s
 * copy has it in the cache, and the ring is memory that the load's peak
 * carries. 4 of 1 MB before: 1M high-cardinality CSV peak RSS 65.5 ->
 * 62.0 MB, 200k 63.0 -> 58.5 MB (median of 6, same run), CPU the same
 * (0.99x). Mapping the file instead of reading it saves read(2)'s copy
 * (0.3 s of kernel time for 1.8 GB) but not the fetch from memory: the
 * SHA-256's first touch of each page paid it instead (the reader's CPU
 * 1.45 -> 1.82 s on 1M, same busy minutes), and a file cut short while
 * mapped kills the load with SIGBUS where read(2) sees its end.
 *
 * Only a leaf member read from a descriptor (a plain file, stdin) is read
 * ahead, and only once its first bytes have been sniffed (an archive is
 * read by libarchive, unhashed); small regular files are read directly,
 * where a thread would cost more than it saves.
 *
 * A pipe read ahead is waited on by this thread, not the walk's, which
 * waits on a condition variable that no signal ends: so while it is read
 * ahead of a walk that can be stopped, the walk's thread blocks the stop
 * signals and this one takes them, inside its wait (input_read.c), which
 * a stop ends; the walk's thread takes them again when this one is gone.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input_priv.h"
#include "stopsig.h"
#include "xalloc.h"

#define AHEAD_SLOTS 4
#define AHEAD_SLOT ((size_t)256 << 10)
/* bytes before each slot's for a stream's tail (input_lend) */
#define AHEAD_ROOM ((size_t)64 << 10)
#define AHEAD_MIN_SIZE ((int64_t)8 << 20) /* regular files smaller: read directly */

struct input_ahead {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	EVP_MD_CTX *md;
	/* a big file's pages dropped from the cache behind the reader */
	struct input_drop drop;
	uint64_t left; /* bytes the member may still have (its limit) */
	unsigned char *slot[AHEAD_SLOTS];
	size_t len[AHEAD_SLOTS];
	uint64_t head, tail; /* slots filled, slots taken (head - tail <= AHEAD_SLOTS) */
	size_t off;          /* bytes of slot tail already handed out */
	unsigned lent;       /* slots from tail on lent (input_ahead_lend) */
	int done;            /* the reader saw the end, or an error */
	int err;             /* errno of a failed read */
	int stop;            /* the consumer is gone: stop reading */
	/* the walk's stop flag, for a descriptor that stalls (else NULL),
	 * and the mask the thread waits with */
	const volatile sig_atomic_t *walk_stop;
	sigset_t let_in;
	/* the consumer's mask before it held the stop signals back */
	sigset_t consumer;
	bool held;
};

static void *ahead_main(void *arg)
{
	struct input_ahead *a = arg;
	pthread_setname_np(pthread_self(), "as-reader");
	for (;;) {
		pthread_mutex_lock(&a->mu);
		while (!a->stop && a->head - a->tail == AHEAD_SLOTS)
			pthread_cond_wait(&a->cv, &a->mu);
		int stop = a->stop;
		uint64_t i = a->head % AHEAD_SLOTS;
		pthread_mutex_unlock(&a->mu);
		if (stop)
			return NULL;
		ssize_t r = input_fd_read(a->walk_stop, a->fd, a->walk_stop != NULL, &a->let_in,
					  a->slot[i] + AHEAD_ROOM, AHEAD_SLOT);
		int e = r < 0 ? errno : 0;
		if (r > 0)
			EVP_DigestUpdate(a->md, a->slot[i] + AHEAD_ROOM, (size_t)r);
		if (r >= 0)
			input_drop_read(&a->drop, (size_t)r);
		/* past the member's limit input_pull fails in this slot: a
		 * direct read would have stopped here too */
		int over = r > 0 && (uint64_t)r > a->left;
		if (r > 0 && !over)
			a->left -= (uint64_t)r;
		pthread_mutex_lock(&a->mu);
		if (r > 0) {
			a->len[i] = (size_t)r;
			a->head++;
		}
		if (r <= 0 || over) {
			a->done = 1;
			a->err = e;
		}
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		if (r <= 0 || over)
			return NULL;
	}
}

bool input_ahead_wanted(const struct input *in)
{
	return !in->ahead && in->fd >= 0 && !in->ar && !in->container && !in->eof && !in->err &&
	       (in->size < 0 || in->size >= AHEAD_MIN_SIZE);
}

int input_ahead_start(struct input *in)
{
	struct input_ahead *a = xcalloc(1, sizeof *a);
	a->fd = in->fd;
	a->md = in->w->mdctx;
	a->left = in->w->lim.max_member_bytes > in->raw ? in->w->lim.max_member_bytes - in->raw : 0;
	input_drop_start(&a->drop, in);
	for (int i = 0; i < AHEAD_SLOTS; i++)
		a->slot[i] = xmalloc(AHEAD_ROOM + AHEAD_SLOT + 1);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	/* the thread starts with the stop signals blocked; it lets them in
	 * while it waits on a pipe, the consumer holds them back meanwhile */
	sigset_t stops;
	stopsig_set(&stops);
	pthread_sigmask(SIG_BLOCK, &stops, &a->consumer);
	a->let_in = a->consumer;
	stopsig_del(&a->let_in);
	if (in->stalls)
		a->walk_stop = in->w->lim.stop;
	int made = pthread_create(&a->th, NULL, ahead_main, a) == 0;
	a->held = made && a->walk_stop;
	if (!a->held)
		pthread_sigmask(SIG_SETMASK, &a->consumer, NULL);
	if (!made) {
		/* no thread: the member is read directly, as before */
		pthread_cond_destroy(&a->cv);
		pthread_mutex_destroy(&a->mu);
		for (int i = 0; i < AHEAD_SLOTS; i++)
			free(a->slot[i]);
		free(a);
		return -1;
	}
	in->ahead = a;
	return 0;
}

ssize_t input_ahead_take(struct input *in, unsigned char *dst, size_t n, int *err)
{
	struct input_ahead *a = in->ahead;
	*err = 0;
	pthread_mutex_lock(&a->mu);
	while (a->head == a->tail && !a->done)
		pthread_cond_wait(&a->cv, &a->mu);
	if (a->head == a->tail) {
		*err = a->err;
		pthread_mutex_unlock(&a->mu);
		return a->err ? -1 : 0;
	}
	uint64_t i = a->tail % AHEAD_SLOTS;
	pthread_mutex_unlock(&a->mu);
	/* the slot is the consumer's until tail moves past it */
	size_t k = a->len[i] - a->off;
	if (k > n)
		k = n;
	memcpy(dst, a->slot[i] + AHEAD_ROOM + a->off, k);
	a->off += k;
	if (a->off == a->len[i]) {
		a->off = 0;
		pthread_mutex_lock(&a->mu);
		a->tail++;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
	}
	return (ssize_t)k;
}

ssize_t input_ahead_lend(struct input *in, const char **p, size_t *room, int *err)
{
	struct input_ahead *a = in->ahead;
	*err = 0;
	pthread_mutex_lock(&a->mu);
	while (a->head - a->tail <= a->lent && !a->done)
		pthread_cond_wait(&a->cv, &a->mu);
	if (a->head - a->tail <= a->lent) {
		*err = a->err;
		pthread_mutex_unlock(&a->mu);
		return a->err ? -1 : 0;
	}
	uint64_t i = (a->tail + a->lent) % AHEAD_SLOTS;
	size_t off = a->lent ? 0 : a->off; /* the rest of a slot partly taken */
	a->lent++;
	pthread_mutex_unlock(&a->mu);
	/* the slot is the consumer's until it is given back */
	unsigned char *b = a->slot[i] + AHEAD_ROOM + off;
	size_t n = a->len[i] - off;
	b[n] = '\0';
	*p = (const char *)b;
	*room = AHEAD_ROOM + off;
	return (ssize_t)n;
}

void input_ahead_unlend(struct input *in)
{
	struct input_ahead *a = in->ahead;
	pthread_mutex_lock(&a->mu);
	a->lent--;
	a->tail++;
	a->off = 0;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

void input_ahead_stop(struct input *in)
{
	struct input_ahead *a = in->ahead;
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->th, NULL);
	if (a->held) /* a stop signal held back meanwhile comes now */
		pthread_sigmask(SIG_SETMASK, &a->consumer, NULL);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	for (int i = 0; i < AHEAD_SLOTS; i++)
		free(a->slot[i]);
	free(a);
	in->ahead = NULL;
}
