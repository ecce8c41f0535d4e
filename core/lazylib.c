/*
 * lazylib.c: libarchive and libcurl opened when first needed (lazylib.h).
 *
 * Linked, the two and what they pull in (gnutls, krb5, ldap, ssh2, rtmp,
 * nghttp2, xml2, icu, ...) are mapped and relocated by every command at
 * start, about 7 MB of each one's peak memory, the load's included; only
 * archives (input_archive.c, input_read.c) and the ClickHouse store
 * (clickhouse/http.c) use them. So the binary does not link them: the
 * build compiles against their headers, and takes the SONAME of the
 * library pkg-config found (LAZYLIB_ARCHIVE_SO, LAZYLIB_CURL_SO, from the
 * Makefile), the name the linker would have recorded.
 *
 * Every function used is in its library's table, its type checked here
 * against the header's prototype. A library is opened once (pthread_once:
 * a load meets archives on the reader thread); a missing or broken one
 * (a file that is not a library, a symbol missing) is a cause naming the
 * file and what needs it, the same for every later call, and nothing else
 * of the tool depends on it.
 */
#include "lazylib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifndef LAZYLIB_ARCHIVE_SO
#error "LAZYLIB_ARCHIVE_SO: libarchive's SONAME, which the Makefile takes from the library pkg-config finds"
#endif
#ifndef LAZYLIB_CURL_SO
#error "LAZYLIB_CURL_SO: libcurl's SONAME, which the Makefile takes from the library pkg-config finds"
#endif

/* Each table member has exactly the type of the header's prototype: a
 * generic selection's operand is not evaluated, so nothing here refers to
 * the library's symbols (the link would need it again). */
#define LAZYLIB_CHECK(ret, name, params)                                \
	_Static_assert(_Generic(&name, ret(*) params : 1, default : 0), \
		       #name ": the table's type is not the header's");
LAZYLIB_ARCHIVE_FNS(LAZYLIB_CHECK)
LAZYLIB_CURL_FNS(LAZYLIB_CHECK)
#undef LAZYLIB_CHECK

struct lazylib_archive lazylib_la;
struct lazylib_curl lazylib_cu;

/* One library: its file, what needs it, and how its first open went. */
struct lazylib {
	const char *so;
	const char *purpose;
	pthread_once_t once;
	int ok;
	char why[512];
};

static struct lazylib la_lib = { LAZYLIB_ARCHIVE_SO, "reading archives", PTHREAD_ONCE_INIT, 0, "" };
static struct lazylib cu_lib = { LAZYLIB_CURL_SO, "the ClickHouse store", PTHREAD_ONCE_INIT, 0, "" };

/* dlsym() each function into its member; a void * to a function pointer
 * is the conversion POSIX gives dlsym() for this. */
#define LAZYLIB_SYM(ret, name, params) \
	if (!(p = dlsym(h, #name)))    \
		return -1;             \
	t->name = (ret(*) params)p;

static int lazylib_fill_archive(void *h)
{
	struct lazylib_archive *t = &lazylib_la;
	void *p;
	LAZYLIB_ARCHIVE_FNS(LAZYLIB_SYM)
	return 0;
}

static int lazylib_fill_curl(void *h)
{
	struct lazylib_curl *t = &lazylib_cu;
	void *p;
	LAZYLIB_CURL_FNS(LAZYLIB_SYM)
	return 0;
}
#undef LAZYLIB_SYM

static void lazylib_load(struct lazylib *l, int (*fill)(void *))
{
	dlerror();
	void *h = dlopen(l->so, RTLD_NOW | RTLD_LOCAL);
	if (h && fill(h) == 0) {
		l->ok = 1;
		return; /* kept open for the life of the process */
	}
	const char *e = dlerror();
	if (!e)
		e = "cannot be loaded";
	/* dlerror() often begins with the name given: said once */
	size_t k = strlen(l->so);
	if (!strncmp(e, l->so, k) && e[k] == ':')
		e += k + 1 + strspn(e + k + 1, " ");
	snprintf(l->why, sizeof l->why, "%s needs %s: %s", l->purpose, l->so, e);
	if (h)
		dlclose(h);
}

static void lazylib_load_archive(void)
{
	lazylib_load(&la_lib, lazylib_fill_archive);
}

static void lazylib_load_curl(void)
{
	lazylib_load(&cu_lib, lazylib_fill_curl);
}

int lazylib_archive_open(const char **why)
{
	pthread_once(&la_lib.once, lazylib_load_archive);
	if (la_lib.ok)
		return 0;
	*why = la_lib.why;
	return -1;
}

int lazylib_curl_open(const char **why)
{
	pthread_once(&cu_lib.once, lazylib_load_curl);
	if (cu_lib.ok)
		return 0;
	*why = cu_lib.why;
	return -1;
}

const char *lazylib_archive_name(void)
{
	return la_lib.so;
}

const char *lazylib_curl_name(void)
{
	return cu_lib.so;
}

void lazylib_override(const char *archive_so, const char *curl_so)
{
	la_lib.so = archive_so ? archive_so : LAZYLIB_ARCHIVE_SO;
	cu_lib.so = curl_so ? curl_so : LAZYLIB_CURL_SO;
}
