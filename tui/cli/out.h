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
#include <stdint.h>
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

/*
 * The loop every listing command runs: n rows, each filled by fill(ctx,
 * i, vals) with the values of row i (strings that live until the next
 * call: keep their text in ctx), written in fmt, stopping at the first
 * failed write. fill may set up to OUT_MAX_COLS values whatever ncols is
 * (a table can leave out the last columns of the other formats); only
 * the first ncols are written. Returns the rows written.
 */
#define OUT_MAX_COLS 32
typedef void (*out_fill_fn)(void *ctx, size_t i, const char **vals);
unsigned long long out_rows(FILE *f, enum out_format fmt, const struct out_col *cols, size_t ncols, size_t n,
			    out_fill_fn fill, void *ctx);

/* A time as fmt shows it: a table "2023-09-20 04:05:03" (UTC), CSV and
 * JSON Lines ISO 8601 with milliseconds. Writes buf (40 bytes will do),
 * returns it. */
const char *out_time(enum out_format fmt, int64_t ms, char *buf, size_t n);
/* An integer's digits into buf (24 bytes will do); returns buf. */
const char *out_int(int64_t v, char *buf, size_t n);

#endif
