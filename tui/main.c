/*
 * main.c: auditscope's entry point: a command of the command line
 * (tui/cli/, its table generates dispatch and help) or a case file, which
 * main opens and hands to the terminal interface (tui/app.h).
 */
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cli/cli.h"
#include "sanitize.h"
#include "store.h"
#include "xalloc.h"

/* An older case converted as the interface opens it: said on stderr
 * before the conversion (the command line's line), and kept for the
 * interface's status line (ctx: char **, the caller frees). */
static void schema_news(void *ctx, const char *path, int from, int to, bool converting)
{
	cli_schema_news(NULL, path, from, to, converting);
	char **notice = ctx;
	free(*notice);
	*notice = xasprintf("%s: converted from schema %d to schema %d (the file was rewritten)", path, from,
			    to);
}

/* The terminal interface on the case at path: main opens the case, so
 * that the interface needs nothing of the command line. */
static int open_interface(const char *path)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("%s: the interface needs a terminal (auditscope query prints events)", path);
		return 1;
	}
	/* a terminal in a locale that is not UTF-8 gets ASCII (sanitize.h) */
	sanitize_ascii(!sanitize_locale_utf8());
	/* while a load writes the case, its indexes are being rebuilt by
	 * the load itself: open on what is committed, without waiting */
	struct store *st = NULL;
	char *cause = NULL;
	bool told = false;
	char *notice = NULL;
	while (store_open_cb(path, 0, schema_news, &notice, &st, &cause) < 0) {
		/* a load can hold the case longer than the open waits (its
		 * last index builds on a big case): wait for it, saying so,
		 * rather than give up on a case that is only busy */
		if (!store_path_load_running(path)) {
			cli_error("%s", cause ? cause : path);
			free(cause);
			free(notice);
			return 1;
		}
		if (!told)
			cli_error("%s: a load is writing this case; waiting for it (%s; Ctrl-C stops)", path,
				  cause ? cause : "busy");
		told = true;
		free(cause);
		cause = NULL;
		nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
	}
	if (!store_load_running(st) && store_ensure_indexes(st, &cause) < 0) {
		cli_error("%s", cause ? cause : path);
		free(cause);
		free(notice);
		store_close(st);
		return 1;
	}
	int rc = tui_run(st, path, notice);
	free(notice);
	store_close(st);
	return rc;
}

/* The user's locale, but for what would change the meaning of the data.
 * Numbers are read and written the C way: a decimal comma (de_DE, fr_FR)
 * would make "seconds":0,001 of hunt --format jsonl, a CSV cell or a
 * ClickHouse query's literals something else. And ASCII letters keep
 * their ASCII case: in a Turkish or Azeri locale tolower('I') is a
 * dotless i (or 'I' itself), so strcasecmp("IP address", "ip address")
 * is not 0 and export headers, member names and filter fields would not
 * be recognised (an Entra sign-in CSV refused, 'IP=' an unknown field);
 * there the character set stays and the C locale's case is taken. */
static void locale_setup(void)
{
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	bool ascii_case = true;
	for (int c = 'A'; c <= 'Z'; c++)
		if (tolower(c) != c - 'A' + 'a' || toupper(c - 'A' + 'a') != c)
			ascii_case = false;
	if (ascii_case)
		return;
	if (!sanitize_locale_utf8() || (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "C.utf8")))
		setlocale(LC_CTYPE, "C");
}

static int stdout_done(void)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	cli_error("standard output: %s", strerror(errno ? errno : EIO));
	return 1;
}

int main(int argc, char **argv)
{
	locale_setup();
	/* The local zone named once, before any thread starts: with TZ unset
	 * glibc's mktime stats /etc/localtime on every call, and libarchive
	 * calls it for every zip member's date (7% of a 10,000-member zip's
	 * parsing thread). Same zone, read once; auditscope itself works in
	 * UTC. */
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 0);
	if (argc < 2)
		return cli_help(stderr), 2;
	/* the help and the version checked as every listing is (args.c): a
	 * full disk or a closed stdout is exit 1, never a silent 0 */
	const char *word = argv[1];
	if (!strcmp(word, "-h") || !strcmp(word, "--help") || !strcmp(word, "help")) {
		const struct cli_cmd *c = argc > 2 ? cli_find(argv[2]) : NULL;
		if (c)
			cli_cmd_help(c, stdout);
		else
			cli_help(stdout);
		return stdout_done();
	}
	if (!strcmp(word, "--version")) {
		puts("auditscope 0.1");
		return stdout_done();
	}
	if (!strcmp(word, "__complete"))
		return cli_complete(argc - 2, argv + 2);
	const struct cli_cmd *c = cli_find(word);
	if (c)
		return cli_run(c, argc - 2, argv + 2);
	/* not a command but a file: the terminal interface on that case */
	if (argc == 2 && (access(word, F_OK) == 0 || strchr(word, '/') || strstr(word, ".case")))
		return open_interface(word);
	return cli_usage("unknown command '%s'", word);
}
