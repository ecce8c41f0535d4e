/*
 * out.c: table, CSV and JSON Lines writers (out.h).
 */
#include "out.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "csvout.h"
#include "sanitize.h"
#include "timeparse.h"
#include "xalloc.h"

#define SAMPLE_ROWS 200
#define MAX_COL 60

struct out {
	FILE *f;
	enum out_format fmt;
	const struct out_col *cols;
	size_t ncols;
	bool tty;
	size_t termw;
	/* table: rows held until widths are known */
	char **held;
	size_t nheld;
	size_t *w;
	bool fixed;
	unsigned long long rows;
};

int out_format_parse(const char *s)
{
	if (!strcmp(s, "table"))
		return OUT_TABLE;
	if (!strcmp(s, "csv"))
		return OUT_CSV;
	if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
		return OUT_JSONL;
	return -1;
}

struct out *out_new(FILE *f, enum out_format fmt, const struct out_col *cols, size_t ncols)
{
	struct out *o = xcalloc(1, sizeof *o);
	o->f = f;
	o->fmt = fmt;
	o->cols = cols;
	o->ncols = ncols;
	o->tty = isatty(fileno(f));
	struct winsize ws;
	if (o->tty && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		o->termw = ws.ws_col;
	else if (o->tty)
		o->termw = 80;
	o->w = xcalloc(ncols, sizeof *o->w);
	if (fmt == OUT_TABLE)
		o->held = xcalloc(SAMPLE_ROWS * ncols, sizeof *o->held);
	if (fmt == OUT_CSV) {
		for (size_t i = 0; i < ncols; i++)
			fprintf(f, "%s%s", i ? "," : "", cols[i].name);
		fputs("\r\n", f);
	}
	return o;
}

static void jsonl_row(struct out *o, const char *const *vals)
{
	fputc('{', o->f);
	for (size_t i = 0; i < o->ncols; i++) {
		fprintf(o->f, "%s\"%s\":", i ? "," : "", o->cols[i].name);
		const char *v = vals[i];
		if (!v) {
			fputs("null", o->f);
		} else if (o->cols[i].number || o->cols[i].raw) {
			fputs(v, o->f);
		} else {
			char *e = json_escape(v, strlen(v));
			fprintf(o->f, "\"%s\"", e);
			free(e);
		}
	}
	fputs("}\n", o->f);
}

/* Fit the sampled widths into the terminal: shrink the widest first. */
static void fix_widths(struct out *o)
{
	for (size_t i = 0; i < o->ncols; i++) {
		size_t hw = strlen(o->cols[i].name);
		if (o->w[i] < hw)
			o->w[i] = hw;
		/* piped too: a column is never padded past MAX_COL, or one long
		 * value pads every line to its length (75 lines, 7.4 MB) */
		if (o->w[i] > MAX_COL)
			o->w[i] = MAX_COL;
	}
	if (o->termw) {
		for (;;) {
			size_t total = 0, wi = 0;
			for (size_t i = 0; i < o->ncols; i++) {
				total += o->w[i] + (i ? 2 : 0);
				if (o->w[i] > o->w[wi])
					wi = i;
			}
			if (total <= o->termw || o->w[wi] <= 6)
				break;
			o->w[wi]--;
		}
	}
	o->fixed = true;
}

static void table_cell(struct out *o, const char *v, size_t width, bool last)
{
	char *s = sanitize(v ? v : "", v ? strlen(v) : 0);
	size_t n = strlen(s), cols;
	if (!o->tty) {
		/* piped: every value whole (for grep and the like), a longer one
		 * runs past its column */
		fwrite(s, 1, n, o->f);
		cols = text_width(s, n);
		if (!last)
			for (size_t k = cols; k < width + 2 || k < cols + 2; k++)
				fputc(' ', o->f);
		free(s);
		return;
	}
	size_t fit = text_fit(s, n, width, &cols);
	if (fit < n && width > 0) {
		/* leave room for the ellipsis */
		fit = text_fit(s, n, width - 1, &cols);
		fwrite(s, 1, fit, o->f);
		fputs(sanitize_ascii_only() ? "~" : "\u2026", o->f);
		cols++;
	} else {
		fwrite(s, 1, fit, o->f);
	}
	if (!last)
		for (size_t k = cols; k < width + 2; k++)
			fputc(' ', o->f);
	free(s);
}

static void table_row(struct out *o, const char *const *vals)
{
	for (size_t i = 0; i < o->ncols; i++)
		table_cell(o, vals[i], o->w[i], i + 1 == o->ncols);
	fputc('\n', o->f);
}

static void table_header(struct out *o)
{
	const char **names = xcalloc(o->ncols, sizeof *names);
	for (size_t i = 0; i < o->ncols; i++)
		names[i] = o->cols[i].name;
	table_row(o, names);
	free(names);
}

static void flush_held(struct out *o)
{
	fix_widths(o);
	table_header(o);
	for (size_t r = 0; r < o->nheld; r++) {
		table_row(o, (const char *const *)&o->held[r * o->ncols]);
		for (size_t i = 0; i < o->ncols; i++)
			free(o->held[r * o->ncols + i]);
	}
	o->nheld = 0;
}

static void put_row(struct out *o, const char *const *vals)
{
	o->rows++;
	switch (o->fmt) {
	case OUT_CSV: csvout_row(o->f, vals, o->ncols, o->tty); return;
	case OUT_JSONL: jsonl_row(o, vals); return;
	case OUT_TABLE:
		if (o->fixed) {
			table_row(o, vals);
			return;
		}
		for (size_t i = 0; i < o->ncols; i++) {
			const char *v = vals[i] ? vals[i] : "";
			char *s = sanitize(v, strlen(v));
			size_t w = text_width(s, strlen(s));
			if (w > o->w[i])
				o->w[i] = w;
			o->held[o->nheld * o->ncols + i] = s;
		}
		o->nheld++;
		if (o->nheld == SAMPLE_ROWS)
			flush_held(o);
		return;
	}
}

static int first_errno;

int out_write_errno(void)
{
	return first_errno;
}

int out_row(struct out *o, const char *const *vals)
{
	errno = 0;
	put_row(o, vals);
	if (!ferror(o->f))
		return 0;
	if (!first_errno)
		first_errno = errno;
	return -1;
}

unsigned long long out_end(struct out *o)
{
	/* a table writes its rows here: a failed write's errno is kept, or
	 * the error said at exit is a bare "Input/output error" */
	errno = 0;
	if (o->fmt == OUT_TABLE && !o->fixed)
		flush_held(o);
	if ((fflush(o->f) != 0 || ferror(o->f)) && !first_errno)
		first_errno = errno;
	return o->rows;
}

void out_free(struct out *o)
{
	if (!o)
		return;
	for (size_t r = 0; r < o->nheld; r++)
		for (size_t i = 0; i < o->ncols; i++)
			free(o->held[r * o->ncols + i]);
	free(o->held);
	free(o->w);
	free(o);
}

unsigned long long out_rows(FILE *f, enum out_format fmt, const struct out_col *cols, size_t ncols, size_t n,
			    out_fill_fn fill, void *ctx)
{
	struct out *o = out_new(f, fmt, cols, ncols < OUT_MAX_COLS ? ncols : OUT_MAX_COLS);
	const char *vals[OUT_MAX_COLS] = { 0 };
	for (size_t i = 0; i < n; i++) {
		fill(ctx, i, vals);
		if (out_row(o, vals) < 0)
			break;
	}
	unsigned long long rows = out_end(o);
	out_free(o);
	return rows;
}

const char *out_time(enum out_format fmt, int64_t ms, char *buf, size_t n)
{
	if (fmt == OUT_TABLE)
		cli_time(ms, buf, n);
	else
		time_format(ms, buf, n);
	return buf;
}

const char *out_int(int64_t v, char *buf, size_t n)
{
	snprintf(buf, n, "%" PRId64, v);
	return buf;
}
