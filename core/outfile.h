/*
 * outfile.h: an output file that is complete or not there at all.
 *
 * Exports and notes go to a file a responder names. A regular file (or a
 * name not yet taken) is written to a temporary file beside it, renamed
 * over it only when complete, with the mode an existing file had or, for
 * a new one, what the umask gives (as the shell's > would). Anything else
 * is written through, never replaced: a device (-o /dev/null), a FIFO, a
 * terminal; a symbolic link is followed and its target written as above,
 * the link left alone.
 *
 * A process killed while writing must not leave the temporary file
 * behind: outfile_unlink_pending() removes the one being written and is
 * async-signal-safe, for a signal handler to call before it dies.
 */
#ifndef AUDITSCOPE_OUTFILE_H
#define AUDITSCOPE_OUTFILE_H

#include <stdio.h>

struct outfile;

/* Open path for writing: *fp is where to write. 0, or -1 with *cause
 * naming path. */
int outfile_open(const char *path, struct outfile **out, FILE **fp, char **cause);

/* Flush, close and (a temporary file) rename into place: 0, or -1 with
 * *cause (a write error, disk full), and then nothing replaced. Frees o. */
int outfile_commit(struct outfile *o, char **cause);

/* Give up: close, remove the temporary file, leave the target as it
 * was. Frees o; takes NULL. */
void outfile_abort(struct outfile *o);

/* The temporary file of the outfile being written now, removed; safe
 * in a signal handler. */
void outfile_unlink_pending(void);

#endif
