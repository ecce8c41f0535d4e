/*
 * out.h: the three shapes every command-line twin prints.
 *
 * table: aligned, fitted to the terminal, text sanitised; csv: RFC 4180,
 * formula-safe through csvout.h like export (sanitised too when stdout is
 * a terminal); jsonl: one object a line,
 * every string JSON-escaped. Table widths come from the first rows, so
 * that a million rows stream without being held in memory.
 */
#ifndef AUDITSCOPE_OUT_H
#define AUDITSCOPE_OUT_H

#include <stdbool.h>
#include <stdio.h>

enum out_format { OUT_TABLE, OUT_CSV, OUT_JSONL };

/* Parse "table", "csv", "jsonl" (also "json"); -1 if unknown. */
int out_format_parse(const char *s);

struct out_col {
	const char *name;
	bool number; /* jsonl: write as a number (NULL still null) */
	bool raw;    /* jsonl: value is JSON text, written as is */
};

struct out;
struct out *out_new(FILE *f, enum out_format fmt, const struct out_col *cols, size_t ncols);
/* One row; vals[i] may be NULL (empty / null). -1 once the stream has
 * failed (a full disk, EPIPE): the caller stops, and the command fails
 * when cli_run finds stdout in error. */
int out_row(struct out *o, const char *const *vals);
/* errno of the first failed row write, 0 if none. */
int out_write_errno(void);
/* Flush; returns the number of rows written. */
unsigned long long out_end(struct out *o);
void out_free(struct out *o);

#endif
