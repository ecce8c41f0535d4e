/*
 * xalloc.h: allocation that cannot fail.
 *
 * Out of memory is fatal everywhere in auditscope. Every allocation goes
 * through this family; on failure it calls the fatal handler, which the
 * interface sets so that the terminal is restored (endwin) before exit.
 */
#ifndef AUDITSCOPE_XALLOC_H
#define AUDITSCOPE_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xgrow when the array must move (or is new). */
void *xgrow_slow(void *p, size_t *cap, size_t want, size_t sz);
/* Grow an array to hold at least want elements of size sz; *cap is
 * updated. In line, because nearly every call finds the room there: the
 * call alone was 0.6% of the parsing thread's instructions (a raw record
 * and a field stashed an event) and 0.5% of the writer's. */
static inline void *xgrow(void *p, size_t *cap, size_t want, size_t sz)
{
	return want <= *cap ? p : xgrow_slow(p, cap, want, sz);
}
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string, owned by the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Called with a message when memory runs out; must not return. */
typedef void (*xalloc_fatal_fn)(const char *msg);
void xalloc_set_fatal(xalloc_fatal_fn fn);

/* Set *cause (if cause is not NULL) to a new formatted string; returns -1. */
int set_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
