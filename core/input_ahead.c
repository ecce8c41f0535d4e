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
 * room before its bytes for the record cut at the previous one's end).
 * The bytes handed out, their order, the hash, the counts and the limits
 * are those of a direct read: input_pull still counts every byte and
 * holds the member against the limits as it hands them out.
 *
 * The slots are small (4 of 256 KB): a slot is hashed while read(2)'s
 * copy has it in the cache, and the ring is memory that the load's peak
 * carries. 4 of 1 MB before: 1M high-cardinality CSV peak RSS 65.5 ->
 * 62.0 MB, 200k 63.0 -> 58.5 MB (median of 6, same run), CPU the same
 * (0.99x).
 *
 * A regular file of 8 MB or more is mapped instead (ahead_map), and its
 * windows (512 KB, at most 4 ahead) are hashed and lent where the page
 * cache has them: no copy at all. What that saves depends on how the
 * page cache holds the file. Pages in large folios (a file read from
 * disk, or just written by cp or auditgen) are mapped and unmapped a
 * folio at a time, for almost nothing: reading and hashing the 1M CSV
 * alone 1.32-1.35 -> 1.16 CPU-s (kernel 0.25-0.31 -> 0.06-0.07 s). A
 * file the cache holds in single pages costs a page each way, and the
 * unmapping behind the parser (zap, rmap, memcg) eats most of what the
 * copy saved: the reader's kernel time 0.47-0.56 -> 0.19-0.33 s, the
 * parser's 0.14-0.19 -> 0.26-0.42 s (1M CSV, the bench's shared copy).
 * The SHA-256 now pays the first touch of each line (reader user +0.05-
 * 0.1 s) that read(2)'s copy paid before (the earlier try of mapping:
 * 1.45 -> 1.82 s, a fault for each page, a window mapped and unmapped
 * whole).
 *
 * The mapping is private and writable: a lending's NUL past its bytes
 * and the stream's tail copied in front of the next ones (stream.c) are
 * written in place, a page copied for each, never to the file. The NUL
 * covers the next window's first byte, which the reader kept before it
 * handed this window out, hashes from its copy and the consumer puts
 * back before it reads that window (ahead_begin). The pages behind the
 * consumer, less a room's worth that the next lending's room is in, are
 * unmapped as it goes, so the load's memory still follows the ring, not
 * the file (peak RSS +2.8 MB). The file's last page is read into a slot,
 * so that the last lending's NUL in place is a byte of the file, and
 * the slots read on past the mapping's end if the file grew. A file cut
 * short while mapped raises SIGBUS where its lost pages are touched:
 * the handler below makes that the member's one-line error.
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
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "input_priv.h"
#include "stopsig.h"
#include "xalloc.h"

#define AHEAD_SLOTS 4
#define AHEAD_SLOT ((size_t)256 << 10)
/* bytes before each slot's for a stream's tail (input_lend) */
#define AHEAD_ROOM ((size_t)64 << 10)
#define AHEAD_MIN_SIZE ((int64_t)8 << 20) /* regular files smaller: read directly */
/* a window of a mapped file ends at a multiple of this offset */
#define AHEAD_WIN ((uint64_t)512 << 10)
/* the mapping's pages behind the consumer are unmapped in runs of this */
#define AHEAD_RELEASE ((uint64_t)1 << 20)
/* mappings the SIGBUS handler knows of at once; a file past them is read */
#define AHEAD_MAPS 8

/* One window of the ring: a slot's bytes, or a mapped file's in place. */
struct ahead_win {
	unsigned char *p;
	size_t len;
	uint64_t end;        /* the file's offset past it */
	unsigned char first; /* its first byte, as the file has it */
	bool mapped;
};

struct input_ahead {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	EVP_MD_CTX *md;
	/* a big file's pages dropped from the cache behind the reader (the
	 * consumer's position, when mapped) */
	struct input_drop drop;
	uint64_t left; /* bytes the member may still have (its limit) */
	unsigned char *slot[AHEAD_SLOTS];
	struct ahead_win win[AHEAD_SLOTS];
	uint64_t head, tail; /* slots filled, slots taken (head - tail <= AHEAD_SLOTS) */
	size_t off;          /* bytes of slot tail already handed out */
	unsigned lent;       /* slots from tail on lent (input_ahead_lend) */
	int done;            /* the reader saw the end, or an error */
	int err;             /* errno of a failed read, or INPUT_ELOST */
	int stop;            /* the consumer is gone: stop reading */
	/* the walk's stop flag, for a descriptor that stalls (else NULL),
	 * and the mask the thread waits with */
	const volatile sig_atomic_t *walk_stop;
	sigset_t let_in;
	/* the consumer's mask before it held the stop signals back */
	sigset_t consumer;
	bool held;

	/* The file mapped, or NULL: maplen bytes from its start, in place
	 * up to mlim and read into the slots past it. The reader's: pos, its
	 * offset in the file; saved, the byte at saved_at as the file has
	 * it. The consumer's: released, the bytes unmapped from the start;
	 * nul_at, the byte its last lending's NUL covers. */
	unsigned char *map;
	uint64_t maplen, mlim, pos, released;
	uint64_t saved_at;
	unsigned char saved;
	unsigned char *nul_at;
	size_t pagesz;
	int reg; /* its entry in ahead_maps */
	bool eof;
};

/*
 * The mappings a SIGBUS may come from. A file cut short while mapped
 * loses its pages past the new end, and a touch of one raises SIGBUS in
 * whichever thread touched it (the reader's hash, the parser). The
 * handler puts zeros in place of the pages lost, from the one touched
 * to the mapping's end, and marks the mapping lost: the touch then reads
 * zeros, and the member fails at its next window with a one-line error
 * naming it (input_ahead_why), the bytes before it loaded as they would
 * be from a read cut short. A SIGBUS from anything else goes to the
 * handler there was before, or ends the process as it would have.
 */
static struct {
	atomic_int used;
	atomic_uintptr_t lo, hi;
	volatile sig_atomic_t lost;
} ahead_maps[AHEAD_MAPS];
static struct sigaction ahead_old_bus;
static pthread_mutex_t ahead_bus_mu = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t ahead_pagesz;

static void ahead_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t at = (uintptr_t)si->si_addr;
	for (int i = 0; i < AHEAD_MAPS; i++) {
		if (!atomic_load(&ahead_maps[i].used))
			continue;
		uintptr_t lo = atomic_load(&ahead_maps[i].lo), hi = atomic_load(&ahead_maps[i].hi);
		if (at < lo || at >= hi)
			continue;
		uintptr_t pg = at & ~(ahead_pagesz - 1);
		if (mmap((void *)pg, hi - pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) != MAP_FAILED) {
			ahead_maps[i].lost = 1;
			return;
		}
	}
	if ((ahead_old_bus.sa_flags & SA_SIGINFO) && ahead_old_bus.sa_sigaction) {
		ahead_old_bus.sa_sigaction(sig, si, uc);
		return;
	}
	if (!(ahead_old_bus.sa_flags & SA_SIGINFO) && ahead_old_bus.sa_handler != SIG_DFL &&
	    ahead_old_bus.sa_handler != SIG_IGN) {
		ahead_old_bus.sa_handler(sig);
		return;
	}
	/* the default: a fault comes again, a signal sent is sent again */
	signal(sig, SIG_DFL);
	if (si->si_code <= 0)
		raise(sig);
}

/* The handler in place (again, if something put its own there since,
 * which it then goes to for what is not ours): false if it cannot be. */
static bool ahead_bus_install(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	if (psz <= 0 || (size_t)psz > AHEAD_ROOM)
		return false;
	pthread_mutex_lock(&ahead_bus_mu);
	ahead_pagesz = (uintptr_t)psz;
	struct sigaction cur;
	bool ok = sigaction(SIGBUS, NULL, &cur) == 0;
	if (ok && !((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == ahead_sigbus)) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = ahead_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		ahead_old_bus = cur;
		ok = sigaction(SIGBUS, &sa, NULL) == 0;
	}
	pthread_mutex_unlock(&ahead_bus_mu);
	return ok;
}

const char *input_ahead_why(int e)
{
	if (e == INPUT_ELOST)
		return "the file shrank (or could not be read) while it was being read";
	return e == EINTR ? "interrupted" : strerror(e);
}

/* Map the member's file to read it in place, where that can be done:
 * false to read it into the slots. AUDITSCOPE_INPUT_MAP=0 never maps
 * (to compare the two). */
static bool ahead_map(struct input_ahead *a, const struct input *in)
{
	const char *env = getenv("AUDITSCOPE_INPUT_MAP");
	if ((env && strcmp(env, "0") == 0) || !in->seekable || in->stalls || in->size < AHEAD_MIN_SIZE ||
	    (uint64_t)in->size > SIZE_MAX / 2) /* (an address space too small for it) */
		return false;
	if (!ahead_bus_install())
		return false;
	int reg = -1;
	for (int i = 0; i < AHEAD_MAPS && reg < 0; i++) {
		int zero = 0;
		if (atomic_compare_exchange_strong(&ahead_maps[i].used, &zero, 1))
			reg = i;
	}
	if (reg < 0)
		return false;
	uint64_t len = (uint64_t)in->size, psz = ahead_pagesz;
	/* private and writable: a lending's NUL and a stream's tail are
	 * written in place (a copy of the page each), never to the file */
	void *m = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE, in->fd, 0);
	if (m == MAP_FAILED) {
		atomic_store(&ahead_maps[reg].used, 0);
		return false;
	}
	madvise(m, (size_t)len, MADV_SEQUENTIAL);
	ahead_maps[reg].lost = 0;
	atomic_store(&ahead_maps[reg].lo, (uintptr_t)m);
	atomic_store(&ahead_maps[reg].hi, (uintptr_t)m + (uintptr_t)((len + psz - 1) & ~(psz - 1)));
	a->map = m;
	a->maplen = len;
	a->pagesz = (size_t)psz;
	/* the last page holding bytes is read into a slot: the NUL of a
	 * lending of the last window in place is then a byte of the file */
	a->mlim = (len - 1) & ~(psz - 1);
	a->pos = in->fd_in;
	a->saved_at = UINT64_MAX;
	a->reg = reg;
	return true;
}

static bool ahead_lost(const struct input_ahead *a)
{
	return a->map && ahead_maps[a->reg].lost;
}

/* The next window in place, hashed (its pages come in as it is, a
 * fault for every 16: MADV_POPULATE_READ took more of the kernel's
 * time): its length, -1 with *e when the file lost them. */
static ssize_t ahead_map_window(struct input_ahead *a, struct ahead_win *w, int *e)
{
	uint64_t s = a->pos, end = (s & ~(AHEAD_WIN - 1)) + AHEAD_WIN;
	if (end > a->mlim)
		end = a->mlim;
	size_t n = (size_t)(end - s);
	unsigned char *p = a->map + s;
	/* the first byte as the reader kept it: a lending of the window
	 * before may have covered it with its NUL */
	w->first = s == a->saved_at ? a->saved : p[0];
	EVP_DigestUpdate(a->md, &w->first, 1);
	EVP_DigestUpdate(a->md, p + 1, n - 1);
	if (end < a->mlim) { /* the next window's, before this one is lent */
		a->saved = p[n];
		a->saved_at = end;
	}
	if (ahead_lost(a)) {
		*e = INPUT_ELOST;
		return -1;
	}
	w->p = p;
	w->mapped = true;
	return (ssize_t)n;
}

/* The next window read into slot i. */
static ssize_t ahead_slot_window(struct input_ahead *a, uint64_t i, struct ahead_win *w, int *e)
{
	if (a->map && a->pos == a->mlim && lseek(a->fd, (off_t)a->mlim, SEEK_SET) < 0) {
		*e = errno;
		return -1;
	}
	if (!a->slot[i])
		a->slot[i] = xmalloc(AHEAD_ROOM + AHEAD_SLOT + 1);
	w->p = a->slot[i] + AHEAD_ROOM;
	w->mapped = false;
	ssize_t r = input_fd_read(a->walk_stop, a->fd, a->walk_stop != NULL, &a->let_in, w->p, AHEAD_SLOT);
	*e = r < 0 ? errno : 0;
	if (r > 0)
		EVP_DigestUpdate(a->md, w->p, (size_t)r);
	if (r >= 0 && !a->map)
		input_drop_read(&a->drop, (size_t)r);
	return r;
}

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
		/* the window is the reader's until head moves past it */
		struct ahead_win *w = &a->win[i];
		int e = 0;
		/* in place past the first window (which a slot's room is in
		 * front of) up to mlim */
		ssize_t r = a->map && a->pos >= AHEAD_ROOM && a->pos < a->mlim
				    ? ahead_map_window(a, w, &e)
				    : ahead_slot_window(a, i, w, &e);
		/* past the member's limit input_pull fails in this slot: a
		 * direct read would have stopped here too */
		int over = r > 0 && (uint64_t)r > a->left;
		if (r > 0 && !over)
			a->left -= (uint64_t)r;
		if (r > 0) {
			a->pos += (uint64_t)r;
			w->len = (size_t)r;
			w->end = a->pos;
		}
		pthread_mutex_lock(&a->mu);
		if (r > 0)
			a->head++;
		if (r <= 0 || over) {
			a->done = 1;
			a->err = e;
			a->eof = r == 0;
		}
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		if (r <= 0 || over)
			return NULL;
	}
}

bool input_ahead_wanted(const struct input *in)
{
	/* (a sparse file is read directly, its holes apart: input_hole) */
	return !in->ahead && in->fd >= 0 && !in->ar && !in->container && !in->eof && !in->err &&
	       in->hole_at < 0 && !in->holes && (in->size < 0 || in->size >= AHEAD_MIN_SIZE);
}

/* The mapping's pages before the file's offset end less a room's worth
 * (the next lending's room is in them) given back: the consumer's. */
static void ahead_release(struct input_ahead *a, uint64_t end)
{
	if (!a->map)
		return;
	uint64_t upto = end > AHEAD_ROOM ? (end - AHEAD_ROOM) & ~(uint64_t)(a->pagesz - 1) : 0;
	if (upto > a->mlim)
		upto = a->mlim;
	if (upto < a->released + AHEAD_RELEASE)
		return;
	munmap(a->map + a->released, (size_t)(upto - a->released));
	input_drop_read(&a->drop, (size_t)(upto - a->released));
	a->released = upto;
}

/* A window in place about to be read by the consumer: its first byte
 * back where a lending's NUL covered it. */
static void ahead_begin(struct input_ahead *a, struct ahead_win *w)
{
	if (w->mapped && a->nul_at == w->p) {
		w->p[0] = w->first;
		a->nul_at = NULL;
	}
}

int input_ahead_start(struct input *in)
{
	struct input_ahead *a = xcalloc(1, sizeof *a);
	a->fd = in->fd;
	a->md = in->w->mdctx;
	a->left = in->w->lim.max_member_bytes > in->raw ? in->w->lim.max_member_bytes - in->raw : 0;
	input_drop_start(&a->drop, in);
	if (ahead_map(a, in))
		a->drop.pos = 0; /* told of the pages unmapped, from the start */
	else                     /* (a mapped file's slots when they are needed) */
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
		if (a->map) {
			munmap(a->map, (size_t)a->maplen);
			atomic_store(&ahead_maps[a->reg].used, 0);
		}
		for (int i = 0; i < AHEAD_SLOTS; i++)
			free(a->slot[i]);
		free(a);
		return -1;
	}
	in->ahead = a;
	return 0;
}

/* Wait for the window after the n held: false at the end, with *err. */
static bool ahead_wait(struct input_ahead *a, unsigned n, int *err)
{
	pthread_mutex_lock(&a->mu);
	while (a->head - a->tail <= n && !a->done)
		pthread_cond_wait(&a->cv, &a->mu);
	bool more = a->head - a->tail > n;
	if (!more)
		*err = a->err;
	pthread_mutex_unlock(&a->mu);
	/* a page lost since: its zeros are not the file's */
	if (ahead_lost(a)) {
		*err = INPUT_ELOST;
		return false;
	}
	return more;
}

ssize_t input_ahead_take(struct input *in, unsigned char *dst, size_t n, int *err)
{
	struct input_ahead *a = in->ahead;
	*err = 0;
	if (!ahead_wait(a, 0, err))
		return *err ? -1 : 0;
	/* the slot is the consumer's until tail moves past it */
	struct ahead_win *w = &a->win[a->tail % AHEAD_SLOTS];
	if (a->off == 0)
		ahead_begin(a, w);
	size_t k = w->len - a->off;
	if (k > n)
		k = n;
	memcpy(dst, w->p + a->off, k);
	a->off += k;
	if (a->off == w->len) {
		a->off = 0;
		ahead_release(a, w->end);
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
	if (!ahead_wait(a, a->lent, err))
		return *err ? -1 : 0;
	struct ahead_win *w = &a->win[(a->tail + a->lent) % AHEAD_SLOTS];
	size_t off = a->lent ? 0 : a->off; /* the rest of a slot partly taken */
	pthread_mutex_lock(&a->mu);
	a->lent++;
	pthread_mutex_unlock(&a->mu);
	/* the slot is the consumer's until it is given back */
	if (off == 0)
		ahead_begin(a, w);
	unsigned char *b = w->p + off;
	size_t n = w->len - off;
	b[n] = '\0';
	if (w->mapped) {
		a->nul_at = b + n;
		/* the bytes still mapped before b, a room's worth at most */
		uint64_t at = (uint64_t)(b - a->map) - a->released;
		*room = at < AHEAD_ROOM ? (size_t)at : AHEAD_ROOM;
	} else {
		*room = AHEAD_ROOM + off;
	}
	*p = (const char *)b;
	return (ssize_t)n;
}

void input_ahead_unlend(struct input *in)
{
	struct input_ahead *a = in->ahead;
	ahead_release(a, a->win[a->tail % AHEAD_SLOTS].end);
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
	if (a->map) {
		munmap(a->map + a->released, (size_t)(a->maplen - a->released));
		atomic_store(&ahead_maps[a->reg].used, 0);
		if (a->eof) /* read to its end: the rest of its pages too */
			input_drop_read(&a->drop, 0);
	}
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	for (int i = 0; i < AHEAD_SLOTS; i++)
		free(a->slot[i]);
	free(a);
	in->ahead = NULL;
}
