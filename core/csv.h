/*
 * csv.h: an RFC 4180 record reader for audit exports.
 *
 * A record that is one line with its quotes paired is split in one pass
 * (the usual case). Otherwise records are cut in two passes. The first
 * finds where a record ends by counting quotes (a newline ends the record
 * when the quotes before it pair up), sixteen bytes at a time; the second
 * splits fields and undoes the doubled quotes into a scratch buffer.
 * Both leave the input intact so that a
 * malformed record can be kept verbatim. Multi-line cells (-Formatted
 * PowerShell exports) work; a record with broken quoting is reported as
 * bad with its first physical line, and reading resumes on the next line,
 * so one stray quote cannot swallow the rest of a file.
 */
#ifndef AUDITSCOPE_CSV_H
#define AUDITSCOPE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct csv_field {
	const char *p; /* NUL-terminated, in the reader's scratch */
	size_t n;
};

struct csv {
	struct stream *s;
	char delim;
	uint64_t line; /* physical line where the next record starts */
	/* the last record */
	struct csv_field *f;
	size_t nf, fcap;
	const char *raw; /* verbatim text (a bad record: its first line) */
	size_t rawlen;
	uint64_t rec_line; /* its first physical line */
	const char *why;   /* reason, for CSV_BAD */
	char *scratch;
	size_t scap;
	/* csv_set_room */
	int room_col;
	char *(*room)(void *ctx, size_t n);
	void *room_ctx;
};

enum { CSV_IOERR = -1, CSV_EOF = 0, CSV_ROW = 1, CSV_BAD = 2 };

void csv_init(struct csv *c, struct stream *s, char delim);
void csv_free(struct csv *c);

/* Read one record: CSV_ROW (fields in c->f), CSV_BAD (c->raw, c->why),
 * CSV_EOF, or CSV_IOERR. */
int csv_next(struct csv *c);

/* Split field col of each record into room(ctx, n) (n bytes, or NULL:
 * the scratch then) rather than the scratch: the caller's own buffer,
 * where the text is kept without being copied again. The field is still
 * NUL-terminated there. col -1: none. */
void csv_set_room(struct csv *c, int col, char *(*room)(void *ctx, size_t n), void *ctx);

/* Skip one physical line (a #TYPE line); false at the end. */
bool csv_skip_line(struct csv *c);

/* Quoted fields are undone 64 bytes at a time where the CPU has AVX-512
 * VBMI2 or else AVX2 (the default, widest 2); widest 1 keeps to AVX2, 0
 * to the portable path (the tests read the same text every way). */
void csv_set_simd(int widest);

/* Guess the delimiter of a header line: ',', ';' or '\t'. */
char csv_sniff_delim(const char *line, size_t n);

#endif
