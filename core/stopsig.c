/*
 * stopsig.c: the stop signals and threads that do not take them
 * (stopsig.h).
 */
#include "stopsig.h"

#include <stddef.h>

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

void stopsig_set(sigset_t *s)
{
	sigemptyset(s);
	for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
		sigaddset(s, stop_signals[i]);
}

void stopsig_del(sigset_t *s)
{
	for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
		sigdelset(s, stop_signals[i]);
}

int stopsig_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
	/* a new thread starts with its creator's mask */
	sigset_t stops, old;
	stopsig_set(&stops);
	pthread_sigmask(SIG_BLOCK, &stops, &old);
	int rc = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
