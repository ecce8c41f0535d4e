/*
 * stopsig.h: the signals that stop a load (SIGINT, SIGTERM, SIGHUP), and
 * which of its threads takes them.
 *
 * A signal sent to the process goes to any one of its threads that does
 * not block it. The command's handler only sets a flag (tui/cli/
 * cmd_load.c); the thread that must notice at once is the one waiting for
 * input, whose read gives up on it (input_read.c). So a thread a load
 * starts for other work (the writer, the compressor, the checkpointer:
 * core/sqlite/load.c) blocks them from its start, and the signal lands on
 * the thread that reads: the walk's, or the one reading a pipe ahead of
 * it (input_ahead.c), while the walk's waits on that one. Before, a
 * Ctrl-C while a pipe was silent could land on a worker, or interrupt a
 * read that was then restarted, and took effect only when the pipe's
 * next bytes came (10 s late for a 10 s stall).
 */
#ifndef AUDITSCOPE_STOPSIG_H
#define AUDITSCOPE_STOPSIG_H

#include <pthread.h>
#include <signal.h>

/* s = the stop signals. */
void stopsig_set(sigset_t *s);

/* s without the stop signals. */
void stopsig_del(sigset_t *s);

/* pthread_create, the new thread blocking the stop signals. */
int stopsig_thread(pthread_t *th, void *(*fn)(void *), void *arg);

#endif
