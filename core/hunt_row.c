/*
 * hunt_row.c: the rows a hunt returns (hunt.h, struct hunt_row) and the
 * filter texts that open the timeline on a row's events. Shared by every
 * hunt through hunt_entry.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hunt_entry.h"
#include "timeparse.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Filter texts */

char *hunt_filter_quote(const char *v)
{
	if (!v)
		return xstrdup("\"\"");
	bool bare = *v && *v != '-';
	for (const char *p = v; *p && bare; p++) {
		unsigned char c = (unsigned char)*p;
		/* conservative: what the filter language reads as a plain value */
		if (!(isalnum(c) || strchr("@._:/+-", c) || c >= 0x80))
			bare = false;
	}
	if (bare)
		return xstrdup(v);
	struct util_buf b = { 0 };
	util_buf_puts(&b, "\"");
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			util_buf_puts(&b, "\\");
		util_buf_add(&b, p, 1);
	}
	util_buf_puts(&b, "\"");
	return util_buf_take(&b);
}

void hunt_filter_term(struct util_buf *f, const char *field, const char *value)
{
	char *q = hunt_filter_quote(value ? value : "");
	if (f->n)
		util_buf_puts(f, " ");
	util_buf_printf(f, "%s=%s", field, q);
	free(q);
}

/* time>=FROM time<TO, whole seconds, covering [from, to]. */
void hunt_filter_time(struct util_buf *f, int64_t from, int64_t to)
{
	/* times from an untrusted case: clamped as time_format clamps, so
	 * that rounding to seconds cannot overflow */
	from = from < TIME_MIN_MS ? TIME_MIN_MS : from > TIME_MAX_MS ? TIME_MAX_MS : from;
	to = to < TIME_MIN_MS ? TIME_MIN_MS : to > TIME_MAX_MS ? TIME_MAX_MS : to;
	int64_t a = from - (((from % 1000) + 1000) % 1000);
	int64_t b = to - (((to % 1000) + 1000) % 1000) + 1000;
	char ta[40], tb[40];
	time_format(a, ta, sizeof ta);
	time_format(b, tb, sizeof tb);
	/* 2023-06-18T02:33:46.000Z -> 2023-06-18T02:33:46Z */
	memcpy(ta + 19, "Z", 2);
	memcpy(tb + 19, "Z", 2);
	if (f->n)
		util_buf_puts(f, " ");
	util_buf_printf(f, "time>=%s time<%s", ta, tb);
}


/* ------------------------------------------------------------------ */
/* Rows */

struct hunt_row *hunt_row_new(struct hctx *h, bool hit)
{
	struct hunt_result *r = h->r;
	r->rows = xgrow(r->rows, &h->cap, r->nrows + 1, sizeof *r->rows);
	struct hunt_row *row = &r->rows[r->nrows++];
	memset(row, 0, sizeof *row);
	row->vals = xcalloc(r->def->ncols, sizeof *row->vals);
	row->hit = hit;
	row->first_ts = INT64_MAX;
	row->last_ts = INT64_MIN;
	return row;
}

void hunt_row_set(struct hunt_row *row, size_t col, const char *v)
{
	free(row->vals[col]);
	row->vals[col] = v ? xstrdup(v) : NULL;
}

/* Takes ownership of v. */
void hunt_row_take(struct hunt_row *row, size_t col, char *v)
{
	free(row->vals[col]);
	row->vals[col] = v;
}

void hunt_row_num(struct hunt_row *row, size_t col, int64_t n)
{
	hunt_row_take(row, col, xasprintf("%" PRId64, n));
}

void hunt_row_time(struct hunt_row *row, size_t col, int64_t ms)
{
	char t[40];
	time_format(ms, t, sizeof t);
	hunt_row_set(row, col, t);
}

/* One event behind the row (ids kept for hit rows only). */
void hunt_row_event(struct hunt_row *row, int64_t id, int64_t ts)
{
	if (row->hit) {
		size_t n = row->nevents; /* capacity doubles at powers of two */
		if (n == 0 || (n >= 4 && (n & (n - 1)) == 0))
			row->events = xrealloc(row->events, (n ? 2 * n : 4) * sizeof *row->events);
		row->events[n] = id;
	}
	row->nevents++;
	if (ts < row->first_ts)
		row->first_ts = ts;
	if (ts > row->last_ts)
		row->last_ts = ts;
}

void hunt_row_filter(struct hunt_row *row, struct util_buf *f)
{
	free(row->filter);
	row->filter = util_buf_take(f);
}

void hunt_row_free(struct hunt_row *row, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++)
		free(row->vals[i]);
	free(row->vals);
	free(row->filter);
	free(row->reason);
	free(row->events);
}

void hunt_row_reason(struct hunt_row *row, int score, const char *reason)
{
	free(row->reason);
	row->reason = reason ? xstrdup(reason) : NULL;
	row->score = score < 0 ? 0 : score > 100 ? 100 : score;
}
