/*
 * app_colon.c: the `:` commands, one table entry each (name, short
 * form, arguments, help, function), from which the prompt dispatches,
 * the help screen lists them and an unknown command names the others.
 */
#include "app_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "draw.h"
#include "annot.h"
#include "export.h"
#include "filter.h"
#include "hunt.h"
#include "keys.h"
#include "outfile.h"
#include "sanitize.h"
#include "state.h"
#include "theme.h"
#include "view.h"
#include "view_coverage.h"
#include "view_help.h"
#include "view_hunt.h"
#include "view_saved.h"
#include "view_sigma.h"
#include "view_stack.h"
#include "view_timeline.h"
#include "util.h"
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

/*
 * Split a command's arguments as a shell splits words: blanks separate
 * them, '...' keeps everything, "..." keeps all but \" \\ \$ \` (the
 * backslash goes), a backslash outside quotes keeps the next character,
 * and an unquoted ~ or ~user at the start of a word is that home folder.
 * 0 with *words (caller frees each and the array), or -1 with *cause.
 */
int app_split_words(const char *s, char ***words, size_t *n, char **cause)
{
	*words = NULL;
	*n = 0;
	size_t cap = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return 0;
		struct util_buf b = { 0 };
		/* ~ and ~user, unquoted, at the start of the word */
		if (*s == '~') {
			size_t k = strcspn(s + 1, "/ \t'\"\\");
			const char *home = NULL;
			if (k == 0) {
				home = getenv("HOME");
				if (!home || !*home) {
					struct passwd *pw = getpwuid(getuid());
					home = pw ? pw->pw_dir : NULL;
				}
			} else {
				char *user = xstrndup(s + 1, k);
				struct passwd *pw = getpwnam(user);
				free(user);
				home = pw ? pw->pw_dir : NULL;
			}
			if (home) {
				util_buf_puts(&b, home);
				s += 1 + k;
			}
		}
		while (*s && *s != ' ' && *s != '\t') {
			if (*s == '\'') {
				const char *e = strchr(s + 1, '\'');
				if (!e)
					goto unterminated;
				util_buf_add(&b, s + 1, (size_t)(e - s - 1));
				s = e + 1;
			} else if (*s == '"') {
				s++;
				while (*s && *s != '"') {
					if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
						s++;
					util_buf_putc(&b, *s++);
				}
				if (!*s)
					goto unterminated;
				s++;
			} else if (*s == '\\' && s[1]) {
				util_buf_putc(&b, s[1]);
				s += 2;
			} else {
				util_buf_putc(&b, *s++);
			}
		}
		*words = xgrow(*words, &cap, *n + 1, sizeof **words);
		(*words)[(*n)++] = util_buf_take(&b);
		continue;
	unterminated:
		util_buf_free(&b);
		for (size_t i = 0; i < *n; i++)
			free((*words)[i]);
		free(*words);
		*words = NULL;
		*n = 0;
		return set_cause(cause, "a quote is not closed");
	}
}

static void free_words(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

struct export_job {
	enum export_format format;
	char *path;
	bool marked;
};

static void export_job_free(struct export_job *j)
{
	if (j) {
		free(j->path);
		free(j);
	}
}

/* Write the export (complete or not there: outfile.h, the CLI's way, so
 * the file gets the same mode: an existing file's, else the umask's). */
static int export_now(struct app *a, void *ctx)
{
	struct export_job *j = ctx;
	FILE *out;
	struct outfile *of;
	char *cause = NULL;
	int r = REACT_CHROME;
	if (outfile_open(j->path, &of, &out, &cause) < 0) {
		app_error(a, "export: %s", cause);
		free(cause);
		export_job_free(j);
		return r;
	}
	struct export_opts o = { .format = j->format,
				 .filter = app_filter(a),
				 .marked = j->marked,
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
	} else {
		char n[32];
		char *shown = sanitize(j->path, strlen(j->path));
		app_message(a, "exported %s events to %s", draw_count(stats.events, n, sizeof n), shown);
		free(shown);
	}
	export_job_free(j);
	return r;
}

static int export_cancel(struct app *a, void *ctx)
{
	(void)a;
	export_job_free(ctx);
	return REACT_CHROME;
}

/* :export FORMAT FILE [--marked]: FILE is one word as the shell reads
 * it (quotes, ~); an existing file is replaced only when the user says
 * so. */
static int colon_export(struct app *a, const char *arg)
{
	static const char usage[] = "export: expected :export csv|jsonl|timesketch|markdown FILE [--marked]"
				    " (quote a name with blanks)";
	char **w;
	size_t n;
	char *cause = NULL;
	if (app_split_words(arg, &w, &n, &cause) < 0) {
		app_error(a, "export: %s", cause);
		free(cause);
		return -1;
	}
	bool marked = false;
	const char *fmt = NULL, *path = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(w[i], "--marked")) {
			marked = true;
		} else if (!fmt) {
			fmt = w[i];
		} else if (!path) {
			path = w[i];
		} else {
			char *s = sanitize(w[i], strlen(w[i]));
			app_error(a, "export: unexpected '%s' after the file name (quote a name with blanks)",
				  s);
			free(s);
			free_words(w, n);
			return -1;
		}
	}
	if (!fmt || !path || !*path) {
		app_error(a, "%s", usage);
		free_words(w, n);
		return -1;
	}
	int f = export_format_parse(fmt);
	if (f < 0) {
		char *s = sanitize(fmt, strlen(fmt));
		app_error(a, "export: unknown format '%s' (csv, jsonl, timesketch, markdown)", s);
		free(s);
		free_words(w, n);
		return -1;
	}
	struct export_job *j = xcalloc(1, sizeof *j);
	j->format = (enum export_format)f;
	j->path = xstrdup(path);
	j->marked = marked;
	free_words(w, n);
	struct stat sb;
	if (stat(j->path, &sb) == 0 && S_ISREG(sb.st_mode)) {
		char *s = sanitize(j->path, strlen(j->path));
		char *q = xasprintf("%s exists: replace it? (y/n)", s);
		app_confirm_cancel(a, q, export_now, export_cancel, j);
		free(q);
		free(s);
		return REACT_CHROME;
	}
	return export_now(a, j);
}

/* :view save NAME, :view delete NAME, :view NAME, :view (the menu) */
static int colon_view(struct app *a, const char *arg)
{
	char **w;
	size_t n;
	char *cause = NULL;
	if (app_split_words(arg, &w, &n, &cause) < 0) {
		app_error(a, "view: %s", cause);
		free(cause);
		return -1;
	}
	int r;
	if (n == 0) {
		app_push_view(a, view_saved_new(a));
		r = REACT_ALL;
	} else if (!strcmp(w[0], "save") && n == 2) {
		r = view_saved_save(a, w[1]) < 0 ? -1 : REACT_CHROME;
	} else if (!strcmp(w[0], "delete") && n == 2) {
		r = annot_view_delete(app_store(a), w[1], &cause) < 0 ? -1 : REACT_CHROME;
		if (r < 0)
			app_error(a, "view delete: %s", cause ? cause : "failed");
		else
			app_message(a, "deleted");
		free(cause);
	} else if (n == 1 && strcmp(w[0], "save") && strcmp(w[0], "delete")) {
		r = view_saved_open(a, w[0]);
	} else {
		app_error(a, "view: expected :view, :view NAME, :view save NAME or :view delete NAME");
		r = -1;
	}
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
	return r;
}

/* :stack FIELD[,FIELD...] [SORT [asc|desc]]: a stack of several fields */
static int colon_stack(struct app *a, const char *arg)
{
	char **w;
	size_t n;
	char *cause = NULL;
	if (app_split_words(arg, &w, &n, &cause) < 0 || n < 1 || n > 3) {
		app_error(a, "stack: %s",
			  cause ? cause
				: "expected :stack FIELD[,FIELD...] [events|mailboxes|first|last|value [asc|desc]]");
		free(cause);
		for (size_t i = 0; i < n; i++)
			free(w[i]);
		free(w);
		return -1;
	}
	const char *f[STACK_MAX_FIELDS];
	size_t nf = 0;
	int r = REACT_ALL;
	for (char *p = strtok(w[0], ","); p && r > 0; p = strtok(NULL, ",")) {
		const struct filter_field *ff = strncasecmp(p, "json.", 5) ? filter_field_find(p) : NULL;
		if (nf == STACK_MAX_FIELDS ||
		    (strncasecmp(p, "json.", 5) && (!ff || !(ff->flags & (FIELD_TEXT | FIELD_SOURCE))))) {
			char *s = sanitize(p, strlen(p));
			app_error(a,
				  "stack: '%s' is not a field that can be stacked (at most %d; user, app, ..., json.PATH)",
				  s, STACK_MAX_FIELDS);
			free(s);
			r = -1;
			break;
		}
		f[nf++] = ff ? ff->name : p;
	}
	enum stack_sort by = STACK_BY_EVENTS;
	if (r > 0 && n > 1 && stack_sort_parse(w[1], &by) < 0) {
		app_error(a, "stack: sort by events, mailboxes, first, last or value");
		r = -1;
	}
	bool desc = n > 2 ? !strcmp(w[2], "desc") : by == STACK_BY_DISTINCT || by == STACK_BY_LAST;
	if (r > 0 && nf)
		app_push_view(a, view_stack_new_fields(a, f, nf, by, desc));
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
	return r;
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

static int colon_coverage(struct app *a, const char *arg)
{
	(void)arg;
	struct view *v = view_coverage_new(a);
	if (!v)
		return REACT_CHROME;
	app_push_view(a, v);
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
	{ "export", NULL, "FORMAT FILE [--marked]",
	  "csv, jsonl, timesketch or markdown of the filter (FILE as a shell word: quotes, ~)", colon_export },
	{ "theme", NULL, "[NAME]", "switch theme (no NAME: list them)", colon_theme },
	{ "view", "views", "[save|delete] [NAME]",
	  "saved views: open NAME, save what is on screen, or the menu", colon_view },
	{ "stack", NULL, "FIELD[,FIELD] [SORT [asc|desc]]",
	  "stack several fields or json.PATH (sort: events, mailboxes, first, last, value)", colon_stack },
	{ "hunt", "hunts", "[NAME]", "the hunts, or one of them", colon_hunt },
	{ "sigma", NULL, "[PATH...]", "Sigma rules (files, folders) run as hunts", colon_sigma },
	{ "coverage", "cov", "",
	  "what the evidence covers: days per kind of log and source, gaps, cut exports", colon_coverage },
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
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
				 *names ? ", " : "", commands[i].name);
	char *s = sanitize(cmd, strlen(cmd));
	app_error(a, "unknown command '%s' (%s)", s, names);
	free(s);
	return -1;
}

char **app_command_help_lines(size_t *n)
{
	char **lines = xcalloc(NCOMMANDS + 1, sizeof *lines);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char *what =
			xasprintf(":%s%s%s", commands[i].name, *commands[i].args ? " " : "", commands[i].args);
		lines[i] = xasprintf("  %-28s %s%s%s%s", what, commands[i].help,
				     commands[i].aliases ? " (also :" : "",
				     commands[i].aliases ? commands[i].aliases : "",
				     commands[i].aliases ? ")" : "");
		free(what);
	}
	*n = NCOMMANDS;
	return lines;
}
