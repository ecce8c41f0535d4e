/*
 * cli.h: the command-line twins (PRODUCT.md, "Command line"). Each
 * command takes argv after its name and returns the exit status:
 * 0 success, 1 error (one line on stderr naming the file, line or
 * argument), 2 usage error.
 */
#ifndef AUDITSCOPE_CLI_H
#define AUDITSCOPE_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

int cmd_load(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_stack(int argc, char **argv);
int cmd_messages(int argc, char **argv);
int cmd_histogram(int argc, char **argv);
int cmd_hunt(int argc, char **argv);
int cmd_apps(int argc, char **argv);
int cmd_mark(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_notes(int argc, char **argv);

/* Shared helpers (cli.c). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open an existing case for reading (builds missing indexes). NULL after
 * printing the error. */
struct store *cli_open_case(const char *path);
/* Open CASE and the query of the filter made of terms[0..n) (joined
 * with spaces), with progress on stderr when it is a terminal. Returns 0
 * with both set, or the exit status after printing the error: 2 for a
 * filter error, 1 otherwise. */
struct query;
int cli_open_query(const char *case_path, char **terms, int nterms, struct store **st,
		   struct query **q);

/* Parse a non-negative integer option value; false after printing. */
bool cli_parse_count(const char *opt, const char *s, int64_t *out);
/* Join argv[from..to) with spaces (caller frees). */
char *cli_join(char **argv, int from, int to);
/* "2023-09-20 04:05:03" style UTC for tables; out holds 32 bytes. */
void cli_time(int64_t ms, char *out, size_t n);

#endif
