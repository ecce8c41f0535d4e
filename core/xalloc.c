/*
 * xalloc.c: the allocation family of xalloc.h, and set_cause, the one way
 * core/ hands a reason for failure back to its caller.
 */
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void default_fatal(const char *msg)
{
	fprintf(stderr, "auditscope: %s\n", msg);
	exit(1);
}

static xalloc_fatal_fn fatal_fn = default_fatal;

void xalloc_set_fatal(xalloc_fatal_fn fn)
{
	fatal_fn = fn ? fn : default_fatal;
}

static void oom(void)
{
	fatal_fn("out of memory");
	abort(); /* the handler must not return */
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

void *xgrow_slow(void *p, size_t *cap, size_t want, size_t sz)
{
	if (want <= *cap)
		return p;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2)
			oom();
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / sz)
		oom();
	p = xrealloc(p, ncap * sz);
	*cap = ncap;
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	/* Most messages fit a small buffer: format once into it, and only
	 * again when it was too small. */
	char small[256];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return xstrdup("(format error)");
	if ((size_t)n < sizeof small)
		return xstrndup(small, (size_t)n);
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int set_cause(char **cause, const char *fmt, ...)
{
	if (cause) {
		va_list ap;
		va_start(ap, fmt);
		free(*cause);
		*cause = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}
