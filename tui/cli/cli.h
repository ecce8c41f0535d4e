/*
 * cli.h: the command-line twins (README.md, "Command line"), one file
 * per command, each described by one struct cli_cmd: its name, usage,
 * one-line summary, options and run function. Dispatch, `auditscope
 * --help`, `auditscope COMMAND --help` and shell completion are all
 * generated from the table of those entries (commands.h), as tmux does
 * with its cmd_entry table, so help and behaviour cannot drift.
 *
 * A command returns the exit status: 0 success, 1 error (one line on
 * stderr naming the file, line or argument), 2 usage error.
 *
 * The terminal interface never includes this header: tui/main.c chooses
 * between a command and the interface.
 */
#ifndef AUDITSCOPE_CLI_H
#define AUDITSCOPE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

/* One option. A word starting with "--" is an option; a word starting
 * with a single "-" is one only when it is some option's short alias
 * (so that "-app=Outlook" stays a filter term). "--" ends the options. */
struct cli_opt {
	const char *name;    /* "--format" */
	const char *alias;   /* "-o", or NULL */
	const char *arg;     /* what the value is ("F", "N", "FILE"); NULL: a flag */
	const char *help;    /* one line */
	const char *choices; /* the values it takes, space-separated, or NULL
			      * (shell completion offers them) */
};

struct cli_args;

struct cli_cmd {
	const char *name;
	const char *usage;          /* what follows the name: "CASE [FILTER]" */
	const char *summary;        /* one line: what it does */
	const char *details;        /* more lines for COMMAND --help, or NULL */
	const struct cli_opt *opts; /* ended by an entry with a NULL name */
	int min_args, max_args;     /* positional words; max -1: any */
	int (*run)(const struct cli_args *a);
};

/* A parsed command line. */
struct cli_args {
	const struct cli_cmd *cmd;
	char **args; /* positional words, in order */
	int nargs;
	const char **vals; /* per option of cmd->opts: its value, "" for a
			    * flag given, NULL when absent (last one wins) */
	int *at;           /* per option: argv index of its last use, -1 */
	char **argv;       /* the words after the command's name */
	int argc;
};

/* The table, in the order `auditscope --help` lists it (commands.h). */
const struct cli_cmd *const *cli_commands(size_t *n);
const struct cli_cmd *cli_find(const char *name);

/* Parse argv (after the command's name) against c's options and run it;
 * --help / -h prints the command's help instead. The exit status. */
int cli_run(const struct cli_cmd *c, int argc, char **argv);

/* The usage of every command (auditscope --help) / of one, with its
 * options (auditscope COMMAND --help). */
void cli_help(FILE *f);
void cli_cmd_help(const struct cli_cmd *c, FILE *f);

/* For shell completion (auditscope __complete WHAT [COMMAND [OPTION]]):
 * command names, a command's options, those of them that take a value
 * (valued) or not (flags),
 * an option's values, a command's usage, filter fields or hunt names,
 * one a line. */
int cli_complete(int argc, char **argv);

/* --- for commands --- */

/* The value of option name (as in the table), "" for a flag, NULL when
 * not given. */
const char *cli_opt(const struct cli_args *a, const char *name);
bool cli_flag(const struct cli_args *a, const char *name);
/* Every value of an option given more than once (--var A=1 --var B=2),
 * in order, into *vals (caller frees the array; the strings are argv's).
 * Returns how many. */
size_t cli_opt_all(const struct cli_args *a, const char *name, const char ***vals);
/* Which of two options came last: 1 for a, 2 for b, 0 neither given. */
int cli_last(const struct cli_args *a, const char *name_a, const char *name_b);
/* --format as table, csv or jsonl (OUT_TABLE when absent); false after
 * printing the usage error. */
bool cli_opt_format(const struct cli_args *a, int *fmt);
/* A non-negative whole-number option; *out untouched when absent; false
 * after printing the usage error. */
bool cli_opt_count(const struct cli_args *a, const char *name, int64_t *out);

/* Look up the places of st's new IP addresses (cmd_geo.c) in two steps:
 * the databases read (user_dir, --geoip DIR or NULL, first; prints
 * nothing, so that it may run on another thread), then the look-ups,
 * which take g and free it, warn once on stderr when a database is
 * missing, and give 0, or 1 after printing the error. */
struct geoip;
struct geoip *cli_geoip_open(const char *user_dir);
int cli_geoip_enrich_with(struct store *st, struct geoip *g, bool quiet);


void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open an existing case (builds missing indexes). writes: the command
 * changes the case (marks, notes, app names), and an older case is
 * converted to this version's schema, saying so on stderr first;
 * otherwise an older case is read as it is, read-only, with a line on
 * stderr saying how to convert it. NULL after printing the error. */
struct store *cli_open_case(const char *path, bool writes);
/* store_schema_fn of store_open_cb for the command line and the
 * interface: one line on stderr (ctx unused). */
void cli_schema_news(void *ctx, const char *path, int from, int to, bool converting);
/* Open CASE and the query of the filter made of terms[0..n) (joined
 * with spaces), with progress on stderr when it is a terminal. Returns 0
 * with both set, or the exit status after printing the error: 2 for a
 * filter error, 1 otherwise. */
struct query;
int cli_open_query(const char *case_path, char **terms, int nterms, struct store **st, struct query **q);
/* Close what cli_open_query opened. */
void cli_close_query(struct store *st, struct query *q);
/* The work on it failed: print cause (and free it), close both; 1, the
 * exit status. */
int cli_query_failed(struct store *st, struct query *q, char *cause);

/* Parse a non-negative integer option value; false after printing. */
bool cli_parse_count(const char *opt, const char *s, int64_t *out);
/* Join argv[from..to) with spaces (caller frees). */
char *cli_join(char **argv, int from, int to);
/* "2023-09-20 04:05:03" style UTC for tables; out holds 32 bytes. */
void cli_time(int64_t ms, char *out, size_t n);

/* Open -o FILE (outfile.h: complete or absent, devices and FIFOs written
 * through) and, until it is committed, remove its temporary file when
 * SIGINT, SIGTERM or SIGHUP ends the process. NULL after cli_error. */
struct outfile;
struct outfile *cli_outfile_open(const char *path, FILE **fp);

#endif
