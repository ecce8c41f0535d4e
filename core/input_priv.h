/*
 * input_priv.h: what the files of input.h share and nobody else: the
 * walk's state, the member, and the steps one file hands another.
 *
 *   input.c          the walk: PATH, folders, plain files, stdin; each
 *                    new member looked at (input_begin) and handed out
 *   input_read.c     reading a member: bytes counted, hashed and held
 *                    against the limits (input_pull), UTF-16 to UTF-8
 *   input_ahead.c    a plain file read and hashed ahead on a thread
 *   input_archive.c  archives and compressed streams through libarchive
 *   input_detect.c   what the first bytes say: an archive? which text
 *                    encoding?
 */
#ifndef AUDITSCOPE_INPUT_PRIV_H
#define AUDITSCOPE_INPUT_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <archive.h>
#include <openssl/evp.h>

#include "input.h"

#define INPUT_MAX_DEPTH 4               /* archives inside archives */
#define INPUT_SNIFF 512                 /* bytes looked at to tell files apart */
#define INPUT_WORKBUF (64 * 1024)       /* UTF-16 and UTF-32 transcoding buffer */
#define INPUT_ARBUF (1024 * 1024)       /* archive read callback buffer */
#define INPUT_RATIO_GRACE (1024 * 1024) /* ratio not checked below this */
#define INPUT_MAX_CHUNK (1u << 30)      /* largest single read */
#define INPUT_HOLE_KEEP 4096            /* zeros of a file's hole handed out */

enum input_enc { INPUT_UTF8, INPUT_UTF8_BOM, INPUT_UTF16LE, INPUT_UTF16BE, INPUT_UTF32LE, INPUT_UTF32BE };

/* State shared by every member of one input_walk(). */
struct input_walker {
	struct input_limits lim;
	input_member_fn fn;
	input_warn_fn warn;
	input_skip_fn skip;
	void *ctx;
	EVP_MD *md;
	EVP_MD_CTX *mdctx; /* one leaf member is hashed at a time */
	uint64_t tree_out; /* bytes of every member of the outermost archive */
	/* the regular file being walked (members of an archive in it too):
	 * its size and change time when it was opened, to tell a file that
	 * changed while it was read */
	int watch_fd;
	off_t watch_size;
	struct timespec watch_mtime, watch_ctime;
	char *cause;
};

struct input {
	struct input_walker *w;
	char *name;

	int fd;                  /* plain source, or -1 */
	int seekable;            /* fd is a regular file read from offset 0 */
	int stalls;              /* fd may keep a read waiting: not a regular file */
	struct archive *ar;      /* archive positioned on this entry, or NULL */
	struct archive *root_ar; /* outermost archive (progress, ratio), or NULL */
	int64_t size;            /* on-disk size of the outermost file, or -1 */
	int64_t own_size;        /* the member's own bytes as its header or the file says, or -1 */
	uint64_t fd_in;          /* bytes read from fd */
	uint64_t in_start;       /* bytes its archive had consumed when it began */
	char *ar_err;            /* the entry's read error, held back while its bytes before it go out */
	/* a sparse file's next hole (input_read.c: input_hole), -1: none;
	 * its zeros still to hand out; holes met so far */
	int64_t hole_at;
	uint64_t hole_owed;
	unsigned holes;
	int container; /* read as an archive: no hash, no limits */
	int leaf;      /* never to be opened as an archive */

	unsigned char *buf; /* sniffed prefix, then UTF-16 work buffer */
	size_t cap, pos, len;
	int eof; /* source exhausted */

	enum input_enc enc;
	/* line ends: 0 not known yet, 1 LF (or CRLF), 2 CR alone (classic
	 * Mac OS): each CR handed out as LF, told on the first text handed
	 * out that holds a CR or a LF */
	int cr_lines;
	unsigned char pend[4]; /* UTF-8 of a code point not yet handed out */
	size_t pend_pos, pend_len;

	uint64_t raw;              /* decompressed bytes pulled from the source */
	struct input_ahead *ahead; /* reading and hashing ahead on a thread, or NULL */
	char *err;
	int finished;
	char hex[65];
};


/* Messages: one line each (control characters as \xNN). A warning goes
 * to the walk's warn callback; input_stop records the walk's failure and
 * returns -1; input_fail makes the member's error sticky and returns -1. */
char *input_oneline(const char *s);
void input_warnf(struct input_walker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Something not read at all: handed to the walk's skip callback, which
 * says it; without one, a warning "NAME: WHY". */
void input_skipf(struct input_walker *w, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int input_stop(struct input_walker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int input_fail(struct input *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* input.c */
struct input *input_new(struct input_walker *w, char *name);
void input_free(struct input *in);
/* A new member: look at its first bytes, then either open it as an
 * archive or hand it to the caller. depth counts the archives around it;
 * top: PATH itself (its trouble fails the walk). */
int input_begin(struct input_walker *w, struct input *in, int depth, int top);

/* input_read.c */
/* Has the walk been asked to stop (input_limits.stop)? */
bool input_stopped(const struct input_walker *w);
/* read(2) of a member's descriptor, given up when the walk is asked to
 * stop: -1 with errno EINTR then. A descriptor that stalls (a pipe, a
 * FIFO: not a regular file) is first waited on with the stop signals let
 * in, so that one ends the wait whenever it comes (input_read.c).
 * let_in: the mask to wait with, for a thread that blocks the stop
 * signals all the time (input_ahead.c); NULL on the walk's thread. */
ssize_t input_fd_read(const volatile sig_atomic_t *stop, int fd, bool stalls, const sigset_t *let_in,
		      void *dst, size_t n);
/* open(2) of a FIFO, given up when the walk is asked to stop: -1 with
 * errno EINTR then. A blocking open waits for a writer, and a stop signal
 * that came just before it began (after the flag was looked at) was
 * missed: the load then waited for a writer that might never come. It is
 * opened without waiting and waited on as a read is, until a writer
 * sends bytes or closes; then it reads as one opened the usual way. */
int input_fifo_open(const volatile sig_atomic_t *stop, const char *path);
/* Up to n decompressed bytes from the member's source into dst: the one
 * place where bytes are counted, hashed and held against the limits. */
ssize_t input_pull(struct input *in, unsigned char *dst, size_t n);
/* A big regular file's pages dropped from the page cache behind the
 * position it is read at (input_read.c says why): input_drop_start
 * decides for the member, input_drop_read is told of each read(2) of n
 * bytes from fd, n = 0 at its end. */
struct input_drop {
	int fd;        /* -1: the file's pages are left to the kernel */
	uint64_t pos;  /* bytes read from fd */
	uint64_t done; /* the pages before this offset were dropped */
};
void input_drop_start(struct input_drop *d, const struct input *in);
void input_drop_read(struct input_drop *d, size_t n);
/* Fill the buffer up to INPUT_SNIFF bytes (or the end) to look at them. */
int input_sniff_fill(struct input *in);

/* input_ahead.c: a leaf member from a descriptor read and hashed ahead
 * on a thread. wanted: worth it for this member now (after its sniff);
 * start: -1 when no thread could be made (read directly then); take: up
 * to n bytes, 0 at the end, -1 with *err the read's errno; stop: join
 * the thread (input_finish before the digest, input_free). */
bool input_ahead_wanted(const struct input *in);
int input_ahead_start(struct input *in);
ssize_t input_ahead_take(struct input *in, unsigned char *dst, size_t n, int *err);
/* lend: the next slot's bytes in place (after those already lent; the
 * rest of the one take is in), with *room bytes before them the caller
 * may write; 0 at the end, -1 with *err; unlend: the oldest slot lent is
 * done with. take is not called while a slot is lent. */
ssize_t input_ahead_lend(struct input *in, const char **p, size_t *room, int *err);
void input_ahead_unlend(struct input *in);
void input_ahead_stop(struct input *in);
/* What a read ahead's *err says: its errno, or INPUT_ELOST, a mapped
 * file's pages lost (it shrank while it was read). */
#define INPUT_ELOST (-1)
const char *input_ahead_why(int e);

/* input_archive.c */
/* Bytes an archive's decoder has consumed of its source. */
uint64_t input_ar_bytes(struct archive *a);
/* Read src as an archive (or compressed stream) and walk its entries. */
int input_container(struct input_walker *w, struct input *src, int depth, int top);

/* input_detect.c */
/* Does this look like an archive or a compressed stream? */
int input_is_container(const unsigned char *p, size_t n);
/* Look at the first bytes: BOM, or UTF-16 without one (mostly ASCII). */
void input_detect_encoding(struct input *in);

#endif
