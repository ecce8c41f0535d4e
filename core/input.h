/*
 * input.h: every byte auditscope ingests comes through here.
 *
 * A PATH given to `auditscope load` (a file, a folder walked recursively, a
 * .zip / .tar / .tar.gz / .tgz / .gz, or "-" for stdin) is walked into
 * members. Each member is one logical byte stream that the caller reads
 * with input_read(): archives are read in place (never extracted to disk),
 * compression is undone, the text is transcoded to UTF-8 (UTF-16LE/BE and
 * UTF-32LE/BE, with or without BOM) and a UTF-8 BOM is dropped. The SHA-256 of the member's
 * content as it would be extracted (decompressed, before transcoding: for a
 * plain file what sha256sum prints) is computed as it is read, for
 * provenance.
 *
 * Guards: a member that decompresses past max_member_bytes, or past
 * max_ratio times the compressed bytes read (a zip bomb), fails with a
 * clear error from input_read(); a member name holding "../" or an
 * absolute path is reported through the warn callback (it is only a name:
 * nothing is ever written to disk) and still read.
 */
#ifndef AUDITSCOPE_INPUT_H
#define AUDITSCOPE_INPUT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct input_limits {
	uint64_t max_member_bytes; /* decompressed bytes of one member; 0: 64 GiB */
	double max_ratio;          /* decompressed / compressed; 0: 1000 */
	/* a regular file of at least this many bytes leaves the page cache
	 * behind its read position (input_read.c); 0: a quarter of memory */
	uint64_t drop_cache_bytes;
	/* set asynchronously, by a handler of the stop signals (stopsig.h),
	 * to stop the walk: a read waiting on a pipe, a FIFO or a terminal
	 * gives up at once (input_read fails, "NAME: interrupted"), and so
	 * does a FIFO's open waiting for a writer; NULL: never */
	const volatile sig_atomic_t *stop;
	/* files never read (the case being loaded into and its own files,
	 * in a folder of evidence it sits in): skipped with a warning */
	const struct input_file_id *skip;
	size_t nskip;
};

struct input_file_id {
	dev_t dev;
	ino_t ino;
};

struct input; /* one member being read; owned by input_walk() */

/* Called once per member, in walk order (folders sorted by name). The
 * member is valid only during the call. Return 0 to go on, -1 to stop. */
typedef int (*input_member_fn)(struct input *in, void *ctx);

/* Called for a problem with one member or folder entry that does not stop
 * the walk (unreadable file, corrupt archive entry, suspicious member
 * path). msg is one line naming the path. */
typedef void (*input_warn_fn)(const char *msg, void *ctx);

/* Called, instead of the warning, for a member (or the rest of an archive)
 * that could not be read at all and so never reaches fn: an encrypted or
 * not regular member, an archive nested too deep, damaged or cut short,
 * a file in a folder that cannot be opened, an archive without
 * libarchive. name is the member, or the archive whose reading stopped;
 * why is one line. Loads record it in the case and say it, so that what
 * was not read is not silently absent. */
typedef void (*input_skip_fn)(const char *name, const char *why, void *ctx);

/*
 * Walk PATH and call fn for each member. Returns 0 when the walk finished,
 * -1 with *cause (caller frees) when PATH itself cannot be opened or read,
 * or fn returned -1.
 */
int input_walk(const char *path, const struct input_limits *lim, input_member_fn fn, input_warn_fn warn,
	       void *ctx, char **cause);
/* The same, with skip (may be NULL) told of what could not be read. */
int input_walk_skips(const char *path, const struct input_limits *lim, input_member_fn fn, input_warn_fn warn,
		     input_skip_fn skip, void *ctx, char **cause);

/* Display name: "dir/a.csv", "bundle.zip!logs/a.csv", "-" for stdin.
 * Borrowed. Control characters in names are kept as they are: callers
 * sanitise before they reach a terminal. */
const char *input_name(const struct input *in);

/* Read up to n bytes of UTF-8 text. Returns the count, 0 at the end, -1 on
 * error (input_error() says why, naming the member). */
ssize_t input_read(struct input *in, char *buf, size_t n);
/* Bytes of the member in place instead (a stream's lend, stream.h): how
 * many at *p, *room bytes before them the caller's; 0 when the member is
 * not read that way now (input_read then), -1 on an error. They are
 * counted and held against the limits as input_read's are, and given
 * back, oldest first, by input_unlend before the member ends. */
ssize_t input_lend(struct input *in, const char **p, size_t *room);
void input_unlend(struct input *in);
const char *input_error(const struct input *in);

/* "utf-8", "utf-8-bom", "utf-16le", "utf-16be", "utf-32le", "utf-32be"
 * (", CR line ends" after it for such a file): known after the first
 * input_read(). Borrowed, static. */
const char *input_encoding(const struct input *in);

/* Original (compressed, on-disk) bytes consumed so far, and the total if
 * known (-1 otherwise): for progress and ETA. */
uint64_t input_bytes_in(const struct input *in);
int64_t input_size(const struct input *in);

/* Decompressed, pre-transcoding bytes of the member read so far. */
uint64_t input_bytes_raw(const struct input *in);

/* The member's own (decompressed) size before it is read, where that is
 * known: a plain file's size, an archive entry's size from its header;
 * -1 otherwise (a .gz stream, an entry whose header leaves it out). Not
 * the outermost file's size, which input_size() gives for progress. */
int64_t input_member_size(const struct input *in);

/* Did the file holding this member (the file itself, or the archive it
 * is in) change since it was opened: grew, shrank or was written to
 * while it was being read? A copy still being written, a log still
 * appended to: what was read is not what the file now holds. */
int input_changed(const struct input *in);

/* Reads and discards whatever the caller left unread, then writes the
 * lower-case hex SHA-256 of the member's content (see above) into out. Returns
 * 0, or -1 if the rest could not be read (hash of what was read is still
 * written; "" when a stop ended the reading). */
int input_finish(struct input *in, char out[65]);

#endif
