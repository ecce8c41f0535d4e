/*
 * args.c: the one option parser every command uses, and dispatch
 * (cli.h). Options come from the command's entry, so an option that
 * works is one that `COMMAND --help` lists.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "out.h"
#include "sanitize.h"
#include "xalloc.h"

#define X(n) extern const struct cli_cmd cli_cmd_##n;
CLI_COMMANDS(X)
#undef X

static const struct cli_cmd *const table[] = {
#define X(n) &cli_cmd_##n,
	CLI_COMMANDS(X)
#undef X
};

const struct cli_cmd *const *cli_commands(size_t *n)
{
	*n = sizeof table / sizeof table[0];
	return table;
}

const struct cli_cmd *cli_find(const char *name)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(table[i]->name, name))
			return table[i];
	return NULL;
}

static int nopts(const struct cli_cmd *c)
{
	int n = 0;
	while (c->opts && c->opts[n].name)
		n++;
	return n;
}

/* The option word w names (up to '=' for a long one), or -1. */
static int find_opt(const struct cli_cmd *c, const char *w, size_t len)
{
	for (int i = 0; c->opts && c->opts[i].name; i++) {
		const struct cli_opt *o = &c->opts[i];
		if ((strlen(o->name) == len && !strncmp(o->name, w, len)) ||
		    (o->alias && strlen(o->alias) == len && !strncmp(o->alias, w, len)))
			return i;
	}
	return -1;
}

/* 0 parsed, 1 --help asked, 2 usage error (printed). */
static int parse(const struct cli_cmd *c, int argc, char **argv, struct cli_args *a)
{
	bool only_args = false;
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		if (!only_args && !strcmp(w, "--")) {
			only_args = true;
			continue;
		}
		if (!only_args && !strcmp(w, "--help"))
			return 1;
		bool is_long = !only_args && w[0] == '-' && w[1] == '-' && w[2];
		const char *eq = is_long ? strchr(w, '=') : NULL;
		int k = is_long ? find_opt(c, w, eq ? (size_t)(eq - w) : strlen(w))
			: !only_args && w[0] == '-' && w[1] ? find_opt(c, w, strlen(w))
							    : -1;
		if (is_long && k < 0)
			return cli_usage("%s: unknown option '%s'", c->name, w);
		if (k < 0) {
			a->args[a->nargs++] = argv[i];
			continue;
		}
		const struct cli_opt *o = &c->opts[k];
		if (!o->arg) {
			if (eq)
				return cli_usage("%s: %s takes no value", c->name, o->name);
			a->vals[k] = "";
		} else if (eq) {
			a->vals[k] = eq + 1;
		} else if (i + 1 < argc) {
			a->vals[k] = argv[++i];
		} else {
			return cli_usage("%s: %s needs a value (%s)", c->name, w, o->arg);
		}
		a->at[k] = i;
	}
	if (a->nargs < c->min_args)
		return cli_usage("%s: expected %s", c->name, c->usage);
	if (c->max_args >= 0 && a->nargs > c->max_args)
		return cli_usage("%s: unexpected argument '%s'", c->name, a->args[c->max_args]);
	return 0;
}

int cli_run(const struct cli_cmd *c, int argc, char **argv)
{
	int n = nopts(c);
	struct cli_args a = {
		.cmd = c,
		.args = xcalloc((size_t)argc + 1, sizeof *a.args),
		.vals = xcalloc((size_t)n + 1, sizeof *a.vals),
		.at = xcalloc((size_t)n + 1, sizeof *a.at),
		.argv = argv,
		.argc = argc,
	};
	for (int i = 0; i < n; i++)
		a.at[i] = -1;
	/* a terminal in a locale that is not UTF-8 gets ASCII (sanitize.h) */
	sanitize_ascii(isatty(STDOUT_FILENO) && !sanitize_locale_utf8());
	sanitize_ascii_stderr(isatty(STDERR_FILENO) && !sanitize_locale_utf8());
	int rc = parse(c, argc, argv, &a);
	if (rc == 1) {
		cli_cmd_help(c, stdout);
		rc = 0;
	} else if (rc == 0) {
		rc = c->run(&a);
	}
	/* every write checked, the last one too: a full disk, a closed
	 * stdout or a reader that left is an error, never a silent exit 0 */
	errno = 0;
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0) {
		int e = out_write_errno() ? out_write_errno() : errno ? errno : EIO;
		cli_error("standard output: %s", strerror(e));
		rc = 1;
	}
	free(a.args);
	free(a.vals);
	free(a.at);
	return rc;
}

static int opt_index(const struct cli_args *a, const char *name)
{
	for (int i = 0; a->cmd->opts && a->cmd->opts[i].name; i++)
		if (!strcmp(a->cmd->opts[i].name, name))
			return i;
	/* a command asking for an option its entry does not list */
	abort();
}

size_t cli_opt_all(const struct cli_args *a, const char *name, const char ***vals)
{
	size_t n = 0, len = strlen(name);
	*vals = xcalloc((size_t)a->argc + 1, sizeof **vals);
	for (int i = 0; i < a->argc; i++) {
		const char *w = a->argv[i];
		if (!strcmp(w, "--"))
			break;
		if (!strcmp(w, name) && i + 1 < a->argc)
			(*vals)[n++] = a->argv[++i];
		else if (!strncmp(w, name, len) && w[len] == '=')
			(*vals)[n++] = w + len + 1;
	}
	return n;
}

const char *cli_opt(const struct cli_args *a, const char *name)
{
	return a->vals[opt_index(a, name)];
}

bool cli_flag(const struct cli_args *a, const char *name)
{
	return cli_opt(a, name) != NULL;
}

int cli_last(const struct cli_args *a, const char *name_a, const char *name_b)
{
	int x = a->at[opt_index(a, name_a)], y = a->at[opt_index(a, name_b)];
	return x < 0 && y < 0 ? 0 : x > y ? 1 : 2;
}

bool cli_opt_format(const struct cli_args *a, int *fmt)
{
	const char *v = cli_opt(a, "--format");
	*fmt = OUT_TABLE;
	if (v && (*fmt = out_format_parse(v)) < 0) {
		cli_usage("%s: --format takes table, csv or jsonl", a->cmd->name);
		return false;
	}
	return true;
}

bool cli_opt_count(const struct cli_args *a, const char *name, int64_t *out)
{
	const char *v = cli_opt(a, name);
	return !v || cli_parse_count(name, v, out);
}
