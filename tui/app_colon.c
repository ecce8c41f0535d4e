/*
 * app_colon.c: the `:` commands, one table entry each (name, short
 * form, arguments, help, function), from which the prompt dispatches,
 * the help screen lists them and an unknown command names the others.
 */
#include "app_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "export.h"
#include "filter.h"
#include "hunt.h"
#include "keys.h"
#include "outfile.h"
#include "sanitize.h"
#include "state.h"
#include "theme.h"
#include "view.h"
#include "view_help.h"
#include "view_hunt.h"
#include "view_sigma.h"
#include "view_timeline.h"
#include "xalloc.h"

static int64_t case_last_ts(struct app *a)
{
	int64_t first, last;
	store_time_range(a->st, &first, &last, NULL);
	return last;
}

static int colon_goto(struct app *a, const char *arg)
{
	int64_t from, to;
	char *cause = NULL;
	if (filter_time_parse(arg, case_last_ts(a), &from, &to, &cause) < 0) {
		app_error(a, "goto: %s", cause ? cause : "expected a time");
		free(cause);
		return -1;
	}
	struct query_pos pos;
	int k = query_goto_time(app_query(a), from, &pos, &cause);
	if (k < 0) {
		app_error(a, "goto: %s", cause ? cause : "failed");
		free(cause);
		return -1;
	}
	struct view *tl = app_timeline(a);
	while (a->nviews > 1)
		app_pop_view(a);
	if (k == 0)
		app_message(a, "no event at or after %s: showing the last", arg);
	struct query_pos end = { INT64_MAX, INT64_MAX };
	view_timeline_goto(tl, k ? &pos : &end);
	return REACT_ALL;
}

static int colon_theme(struct app *a, const char *arg)
{
	if (!*arg) {
		size_t n;
		char **names = theme_list(&n);
		size_t len = 1;
		for (size_t i = 0; i < n; i++)
			len += strlen(names[i]) + 2;
		char *all = xmalloc(len);
		all[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			if (i)
				strcat(all, ", ");
			strcat(all, names[i]);
			free(names[i]);
		}
		free(names);
		app_message(a, "themes: %s (now: %s)", n ? all : "none found", theme_current());
		free(all);
		return REACT_CHROME;
	}
	struct theme t;
	char *cause = NULL;
	if (theme_load(arg, &t, &cause) < 0) {
		app_error(a, "%s", cause);
		free(cause);
		return -1;
	}
	bool colour = theme_apply(&t);
	theme_clear(&t);
	state_set(a->st, "tui.theme", arg, NULL);
	if (colour)
		app_message(a, "theme %s", arg);
	else
		app_message(a, "colours are off (NO_COLOR or the terminal): attributes only");
	clearok(curscr, TRUE);
	return REACT_ALL;
}

/* :export FORMAT FILE [--marked] */
static int colon_export(struct app *a, const char *arg)
{
	char fmt[32] = "", path[1024] = "";
	bool marked = strstr(arg, "--marked") != NULL;
	if (sscanf(arg, "%31s %1023s", fmt, path) < 2 || !strcmp(path, "--marked")) {
		app_error(a, "export: expected :export csv|jsonl|timesketch|markdown FILE [--marked]");
		return -1;
	}
	int f = export_format_parse(fmt);
	if (f < 0) {
		app_error(a, "export: unknown format '%s' (csv, jsonl, timesketch, markdown)", fmt);
		return -1;
	}
	/* complete or not there (outfile.h): Esc or a failure leaves the
	 * previous export as it was */
	FILE *out;
	struct outfile *of;
	char *cause = NULL;
	if (outfile_open(path, &of, &out, &cause) < 0) {
		app_error(a, "export: %s", cause);
		free(cause);
		return -1;
	}
	struct export_opts o = { .format = (enum export_format)f, .filter = app_filter(a), .marked = marked,
				 .progress = { app_progress, a } };
	struct export_stats stats = { 0 };
	app_busy_begin(a, "exporting");
	int rc = export_run(a->st, out, &o, &stats, &cause);
	app_busy_end(a);
	if (rc < 0)
		outfile_abort(of);
	else
		rc = outfile_commit(of, &cause);
	if (rc < 0) {
		app_error(a, "export: %s", cause ? cause : "failed");
		free(cause);
		return REACT_CHROME;
	}
	char n[32];
	app_message(a, "exported %s events to %s", draw_count(stats.events, n, sizeof n), path);
	return REACT_CHROME;
}

static int colon_filter(struct app *a, const char *arg)
{
	int col = 0;
	if (app_step_push(a, arg, NULL, &col) < 0)
		return -1;
	return REACT_ALL;
}

static int colon_quit(struct app *a, const char *arg)
{
	(void)arg;
	a->quit = true;
	return REACT_QUIT;
}

static int colon_help(struct app *a, const char *arg)
{
	(void)arg;
	app_push_view(a, view_help_new(a, KEYMAP_TIMELINE));
	return REACT_ALL;
}

static int colon_hunt(struct app *a, const char *arg)
{
	if (!*arg) {
		app_push_view(a, view_hunt_menu_new(a));
		return REACT_ALL;
	}
	const struct hunt_def *d = hunt_find(arg);
	if (!d) {
		char *s = sanitize(arg, strlen(arg));
		app_error(a, "hunt: no hunt named '%s' (:hunt lists them)", s);
		free(s);
		return -1;
	}
	app_push_view(a, view_hunt_new(a, d));
	return REACT_ALL;
}

/* :sigma PATH...: run the rules under the paths; :sigma alone: the
 * rules already run (or those of AUDITSCOPE_SIGMA). */
static int colon_sigma(struct app *a, const char *arg)
{
	char *copy = xstrdup(arg);
	char **paths = NULL;
	size_t n = 0;
	for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
		paths = xrealloc(paths, (n + 1) * sizeof *paths);
		paths[n++] = tok;
	}
	struct sigma_set *set;
	struct sigma_run *run;
	int rc = 0;
	if (n)
		rc = view_sigma_run(a, paths, n);
	else if (!app_sigma(a, &set, &run))
		rc = view_sigma_from_env(a);
	free(paths);
	free(copy);
	if (rc < 0)
		return -1;
	app_push_view(a, view_sigma_new(a));
	return REACT_ALL;
}

struct colon_cmd {
	const char *name;
	const char *aliases; /* other names, space-separated, or NULL */
	const char *args;
	const char *help;
	/* reaction bits, or -1 to keep the prompt open (an error shown) */
	int (*run)(struct app *a, const char *arg);
};

static const struct colon_cmd commands[] = {
	{ "goto", "g", "TIME", "jump to the first event at or after TIME (2023-06-16T10:00, -2h)", colon_goto },
	{ "filter", "f", "FILTER", "replace the filter (empty: every event)", colon_filter },
	{ "export", NULL, "FORMAT FILE [--marked]", "csv, jsonl, timesketch or markdown of the filter", colon_export },
	{ "theme", NULL, "[NAME]", "switch theme (no NAME: list them)", colon_theme },
	{ "hunt", "hunts", "[NAME]", "the hunts, or one of them", colon_hunt },
	{ "sigma", NULL, "[PATH...]", "Sigma rules (files, folders) run as hunts", colon_sigma },
	{ "help", NULL, "", "this help", colon_help },
	{ "quit", "q wq x", "", "quit", colon_quit },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static bool named(const struct colon_cmd *c, const char *name)
{
	if (!strcmp(c->name, name))
		return true;
	size_t n = strlen(name);
	for (const char *p = c->aliases; p && *p;) {
		size_t k = strcspn(p, " ");
		if (k == n && !strncmp(p, name, n))
			return true;
		p += k;
		p += *p == ' ';
	}
	return false;
}

int app_command(struct app *a, void *ctx, const char *text, int *column)
{
	(void)ctx;
	(void)column;
	while (*text == ' ' || *text == ':')
		text++;
	char cmd[32];
	size_t k = strcspn(text, " ");
	if (k == 0)
		return REACT_CHROME;
	snprintf(cmd, sizeof cmd, "%.*s", (int)(k < 31 ? k : 31), text);
	const char *arg = text + k;
	while (*arg == ' ')
		arg++;
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (named(&commands[i], cmd))
			return commands[i].run(a, arg);
	char names[256] = "";
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, "help"))
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", *names ? ", " : "",
				 commands[i].name);
	char *s = sanitize(cmd, strlen(cmd));
	app_error(a, "unknown command '%s' (%s)", s, names);
	free(s);
	return -1;
}

char **app_command_help_lines(size_t *n)
{
	char **lines = xcalloc(NCOMMANDS + 1, sizeof *lines);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char *what = xasprintf(":%s%s%s", commands[i].name, *commands[i].args ? " " : "", commands[i].args);
		lines[i] = xasprintf("  %-28s %s%s%s%s", what, commands[i].help, commands[i].aliases ? " (also :" : "",
				     commands[i].aliases ? commands[i].aliases : "", commands[i].aliases ? ")" : "");
		free(what);
	}
	*n = NCOMMANDS;
	return lines;
}
