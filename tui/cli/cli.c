/*
 * cli.c: what the command-line twins share: errors in one line, opening a
 * case, option values.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "query.h"
#include "sanitize.h"
#include "timeparse.h"
#include "xalloc.h"

__attribute__((format(printf, 1, 0))) static void vmsg(const char *fmt, va_list ap)
{
	char *m = xvasprintf(fmt, ap);
	char *s = sanitize_err(m, strlen(m));
	fprintf(stderr, "auditscope: %s\n", s);
	free(s);
	free(m);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'auditscope --help'.\n");
	return 2;
}

static void on_fatal_signal(int sig)
{
	outfile_unlink_pending();
	signal(sig, SIG_DFL);
	raise(sig);
}

struct outfile *cli_outfile_open(const char *path, FILE **fp)
{
	/* the handler is in place before the temporary file exists, or a
	 * signal in between would leave it behind */
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa = { .sa_handler = on_fatal_signal };
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
	struct outfile *o;
	char *cause = NULL;
	if (outfile_open(path, &o, fp, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return NULL;
	}
	return o;
}

void cli_schema_news(void *ctx, const char *path, int from, int to, bool converting)
{
	(void)ctx;
	if (converting)
		cli_error("%s: converting the case from schema %d to schema %d (once; the file is rewritten and "
			  "older auditscope versions will not open it)",
			  path, from, to);
	else
		cli_error("%s: a schema %d case, read as it is (not converted); the interface, load, mark or notes "
			  "import converts it to schema %d",
			  path, from, to);
}

struct store *cli_open_case(const char *path, bool writes)
{
	struct store *st = NULL;
	char *cause = NULL;
	/* a load running into the case builds its indexes itself at its end:
	 * building them here would wait for it (issue 10, finding 15) */
	if (store_open_cb(path, writes ? 0 : STORE_KEEP_SCHEMA, cli_schema_news, NULL, &st, &cause) < 0 ||
	    (!store_load_running(st) && store_ensure_indexes(st, &cause) < 0)) {
		cli_error("%s", cause);
		free(cause);
		store_close(st);
		return NULL;
	}
	return st;
}

bool cli_parse_count(const char *opt, const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = s ? strtoll(s, &end, 10) : 0;
	if (!s || errno || *end || v < 0 || end == s) {
		cli_usage("%s: expected a whole number, got '%s'", opt, s ? s : "");
		return false;
	}
	*out = v;
	return true;
}

char *cli_join(char **argv, int from, int to)
{
	size_t n = 1;
	for (int i = from; i < to; i++)
		n += strlen(argv[i]) + 1;
	char *s = xmalloc(n), *p = s;
	*p = '\0';
	for (int i = from; i < to; i++) {
		if (i > from)
			*p++ = ' ';
		size_t k = strlen(argv[i]);
		memcpy(p, argv[i], k);
		p += k;
		*p = '\0';
	}
	return s;
}

void cli_time(int64_t ms, char *out, size_t n)
{
	char iso[40];
	time_format(ms, iso, sizeof iso);
	/* 2023-09-20T04:05:03.000Z -> 2023-09-20 04:05:03 */
	iso[10] = ' ';
	iso[19] = '\0';
	snprintf(out, n, "%s", iso);
}

/* A scan's progress on stderr, erased when it ends. */
static int show_progress(void *ctx, double done)
{
	(void)ctx;
	if (done >= 0 && done < 1)
		fprintf(stderr, "\rscanning: %3d%%", (int)(done * 100));
	else if (done >= 1)
		fputs("\r\033[K", stderr);
	return 0;
}

int cli_open_query(const char *case_path, char **terms, int nterms, struct store **st, struct query **q)
{
	char *filter = cli_join(terms, 0, nterms);
	*st = cli_open_case(case_path, false);
	if (!*st) {
		free(filter);
		return 1;
	}
	char *cause = NULL;
	if (query_new(*st, filter, q, &cause) < 0) {
		int rc = cause && strncmp(cause, "filter:", 7) == 0 ? 2 : 1;
		cli_error("%s", cause);
		free(cause);
		free(filter);
		store_close(*st);
		*st = NULL;
		return rc;
	}
	free(filter);
	if (isatty(2))
		query_set_progress(*q, &(struct progress){ show_progress, NULL });
	return 0;
}

void cli_close_query(struct store *st, struct query *q)
{
	query_free(q);
	store_close(st);
}

int cli_query_failed(struct store *st, struct query *q, char *cause)
{
	cli_error("%s", cause ? cause : "failed");
	free(cause);
	cli_close_query(st, q);
	return 1;
}
