/*
 * ingest_json.c: every JSON shape collectors write, with one reader.
 *
 * Arrays (Management Activity API), several arrays one after another
 * (Microsoft-Extractor-Suite), bare objects, JSON Lines (DFIR-O365RC,
 * Untitled Goose, Sentinel), and Graph pages ({"value": [...]}) are all a
 * stream of values: the reader steps into arrays and treats each object it
 * meets at the top as a record. A record is cut out by skipping to its
 * matching brace, validated in place, classified by its member names and
 * normalized. A record that is not valid JSON is kept verbatim; when it
 * runs over several lines only its first line is rejected and reading
 * resumes on the next, so a truncated line in JSON Lines costs one line.
 * An element of a pretty-printed array is kept whole when only a token in
 * it is bad (a raw control byte in a string), and one whose quotes or
 * brackets do not pair ends where the next element starts at its column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "json_scan.h"
#include "normalize.h"
#include "xalloc.h"

struct jreader {
	struct stream *s;
	const struct sink *sink;
	struct ingest_stats *st;
	struct norm nm;
	uint64_t line;
	enum rec_kind kind;
	struct jmember mem[NORMALIZE_MAX_MEMBERS];
	/* Records scanned by name (json_scan_named): the members normalize
	 * reads, rather than all of them for it to look up again. Until
	 * an object is not a plain record (normalize_named_plain): a page of
	 * records, a table, a member name with an escape; that one is scanned
	 * again, and the rest of the input the general way, so that a file of
	 * pages scans its first page twice, not every page. 200k high-
	 * cardinality JSON Lines records: the parsing thread 3,869 -> 3,726 M
	 * instructions (norm_collect_from's second pass 322 M). */
	bool by_name;
	struct norm_members named;
	struct json_ends ends; /* the containers of the record in mem or named */
	struct jval *cols;     /* a query API table's column names */
	size_t ccap;
	char *row; /* one of its rows as an object */
	size_t rlen, rcap;
	bool known;     /* some record was of a known kind */
	int page_depth; /* > 0: inside a page's array entered from its prefix */
	int col;        /* white space before the value at hand on its line; -1: not first on it */
	uint64_t page_records, page_rejects; /* counts when it was entered */
};

static int reject(struct jreader *r, uint64_t line, const char *why, const char *p, size_t n, char **cause)
{
	r->st->records++;
	r->st->rejects++;
	return r->sink->reject(r->sink->ctx, line, why, p, n, cause);
}

/* A record whose top-level members are known: mem[0..n), or with mem
 * NULL those normalize reads, in r->named. */
static int record_members(struct jreader *r, const struct jval *v, const struct jmember *mem, size_t n,
			  uint64_t line, char **cause)
{
	enum rec_kind k;
	struct event ev;
	const char *why = NULL;
	norm_reset(&r->nm, v->n);
	int rc = mem ? normalize_record(&r->nm, v, mem, n, NULL, REC_UNKNOWN, &k, &ev, &why)
		     : normalize_named(&r->nm, v, &r->named, NULL, REC_UNKNOWN, &k, &ev, &why);
	if (k != REC_UNKNOWN && !r->st->format) {
		r->kind = k;
		r->st->format = normalize_kind_name(k);
	}
	if (k != REC_UNKNOWN)
		r->st->known++;
	if (rc < 0)
		return reject(r, line, why, v->p, v->n, cause);
	if (ev.flags & EVF_PS_TRUNCATED) {
		r->st->truncated++;
		if (r->nm.ps_lost_msgs)
			r->st->lost_msgids++;
	}
	normalize_synth_id(&r->nm, &ev);
	ev.line = line;
	r->st->records++;
	return r->sink->event(r->sink->ctx, &ev, cause);
}

/* A record inside a page: its members by iteration. */
static int record(struct jreader *r, const struct jval *v, uint64_t line, char **cause)
{
	struct jiter it;
	size_t n = 0;
	json_iter_init(&it, v);
	while (n < NORMALIZE_MAX_MEMBERS && json_iter_next(&it, &r->mem[n].key, &r->mem[n].val))
		n++;
	return record_members(r, v, r->mem, n, line, cause);
}

/* The array of a page: "value" (Graph), "records" (Azure Monitor), and
 * "Results" / "results" (Defender XDR advanced hunting: the API's
 * {"Schema": [...], "Results": [{row}, ...]}, Graph runHuntingQuery's
 * {"schema", "results"}), each row a record with its column names. */
static bool page_key(const struct jval *k)
{
	return json_str_eq(k, "value") || json_str_eq(k, "records") || json_str_eq(k, "Results") ||
	       json_str_eq(k, "results");
}

/*
 * What an object holds at its top as arrays: "tables" (the Log Analytics
 * / Sentinel query API's answer), a page's array (page_key: a Graph page,
 * an Azure Monitor blob, an advanced hunting answer); the first of each.
 * One pass over the members, the type first: this runs on every record
 * and most members are not arrays (comparing each key three times was a
 * tenth of a JSON Lines load's parsing thread).
 */
static void top_arrays(const struct jmember *mem, size_t n, const struct jval **tables, const struct jval **page)
{
	*tables = *page = NULL;
	for (size_t i = 0; i < n; i++) {
		if (mem[i].val.t != JT_ARR)
			continue;
		if (!*tables && json_str_eq(&mem[i].key, "tables"))
			*tables = &mem[i].val;
		else if (!*page && page_key(&mem[i].key))
			*page = &mem[i].val;
	}
}

/*
 * Each table is {"name", "columns": [{"name", "type"}], "rows": [[...]]}:
 * every row becomes the object {"column": value, ...} (the values as the
 * answer spelt them: dynamic columns stay JSON text, which the normalizer
 * reads as such) and is read like any record.
 */
static int tables(struct jreader *r, const struct jval *arr, const char *base, uint64_t line, char **cause)
{
	struct jiter it, ct, rt, vt;
	struct jval tab, k, v, cols = { 0 }, rows = { 0 }, c, row, val;
	const char *at = base;
	json_iter_init(&it, arr);
	while (json_iter_next(&it, NULL, &tab)) {
		line += count_newlines(at, (size_t)(tab.p - at));
		at = tab.p;
		cols.p = rows.p = NULL;
		if (tab.t == JT_OBJ) {
			struct jiter mt;
			json_iter_init(&mt, &tab);
			while (json_iter_next(&mt, &k, &v)) {
				if (json_str_eq(&k, "columns") && v.t == JT_ARR)
					cols = v;
				else if (json_str_eq(&k, "rows") && v.t == JT_ARR)
					rows = v;
			}
		}
		if (!cols.p || !rows.p) {
			if (reject(r, line, "a table without \"columns\" and \"rows\" arrays", tab.p,
				   tab.n > 4096 ? 4096 : tab.n, cause) < 0)
				return -1;
			continue;
		}
		/* the column names, as JSON strings */
		size_t ncol = 0;
		json_iter_init(&ct, &cols);
		while (json_iter_next(&ct, NULL, &c)) {
			struct jval name = { 0 };
			if (c.t == JT_OBJ)
				json_get(&c, "name", &name);
			else if (c.t == JT_STR)
				name = c;
			if (name.t != JT_STR) {
				if (reject(r, line, "a table column without a name", c.p, c.n, cause) < 0)
					return -1;
				ncol = 0;
				break;
			}
			r->cols = xgrow(r->cols, &r->ccap, ncol + 1, sizeof *r->cols);
			r->cols[ncol++] = name;
		}
		if (ncol == 0)
			continue;
		const char *rat = rows.p;
		json_iter_init(&rt, &rows);
		while (json_iter_next(&rt, NULL, &row)) {
			line += count_newlines(rat, (size_t)(row.p - rat));
			rat = row.p;
			if (row.t != JT_ARR) {
				if (reject(r, line, "a table row that is not an array", row.p, row.n, cause) < 0)
					return -1;
				continue;
			}
			r->rlen = 0;
			size_t i = 0;
			r->row = xgrow(r->row, &r->rcap, row.n + 2, 1);
			r->row[r->rlen++] = '{';
			json_iter_init(&vt, &row);
			while (json_iter_next(&vt, NULL, &val)) {
				if (i < ncol) {
					size_t need = r->rlen + r->cols[i].n + val.n + 4;
					r->row = xgrow(r->row, &r->rcap, need, 1);
					if (i)
						r->row[r->rlen++] = ',';
					memcpy(r->row + r->rlen, r->cols[i].p, r->cols[i].n);
					r->rlen += r->cols[i].n;
					r->row[r->rlen++] = ':';
					memcpy(r->row + r->rlen, val.p, val.n);
					r->rlen += val.n;
				}
				i++;
			}
			if (i != ncol) {
				char why[96];
				snprintf(why, sizeof why, "a table row with %zu values for %zu columns", i,
					 ncol);
				if (reject(r, line, why, row.p, row.n, cause) < 0)
					return -1;
				continue;
			}
			r->row = xgrow(r->row, &r->rcap, r->rlen + 1, 1);
			r->row[r->rlen++] = '}';
			struct jval obj;
			size_t nmem = 0;
			const char *e = json_scan_object(r->row, r->row + r->rlen, &obj, r->mem,
							 NORMALIZE_MAX_MEMBERS, &nmem, NULL, NULL);
			if (!e || obj.t != JT_OBJ) {
				if (reject(r, line, "a table row that is not valid JSON", row.p, row.n,
					   cause) < 0)
					return -1;
				continue;
			}
			if (record_members(r, &obj, r->mem, nmem, line, cause) < 0)
				return -1;
		}
	}
	return 0;
}

static int page(struct jreader *r, const struct jval *arr, const char *base, uint64_t line, char **cause)
{
	struct jiter it;
	struct jval el;
	const char *at = base;
	json_iter_init(&it, arr);
	while (json_iter_next(&it, NULL, &el)) {
		line += count_newlines(at, (size_t)(el.p - at));
		at = el.p;
		if (el.t != JT_OBJ) {
			if (reject(r, line, "array element is not an object", el.p, el.n, cause) < 0)
				return -1;
			continue;
		}
		if (record(r, &el, line, cause) < 0)
			return -1;
	}
	return 0;
}

/* The Graph page's own members: an @odata.nextLink says the results go
 * on in another page, which the load must also be given. */
static void page_links(struct ingest_stats *st, const struct jmember *mem, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (json_str_eq(&mem[i].key, "@odata.nextLink") && mem[i].val.t == JT_STR)
			st->next_links++;
}

/*
 * A page that does not close in the window: {"@odata.context": ...,
 * "value": [ {...}, {...}, {... and the input ends (a download cut short),
 * or the page is larger than the record size limit. Its members before
 * "value" (or "records") are read here, and the offset just past that
 * array's '[' is returned, so that the reader steps into the array and
 * every complete record before the cut is loaded one by one. 0 when p is
 * not such a prefix.
 */
static size_t page_prefix(struct ingest_stats *st, const char *p, const char *end)
{
	const char *q = p + 1;
	for (;;) {
		q = json_skip_ws(q, end);
		if (q >= end || *q != '"')
			return 0;
		const char *ke = json_skip_value(q, end);
		struct jval key;
		if (!ke || json_scan_value(q, ke, &key, NULL, NULL) != ke)
			return 0;
		q = json_skip_ws(ke, end);
		if (q >= end || *q != ':')
			return 0;
		q = json_skip_ws(q + 1, end);
		if (q >= end)
			return 0;
		if (*q == '[' && page_key(&key))
			return (size_t)(q + 1 - p);
		const char *ve = json_skip_value(q, end);
		if (!ve)
			return 0;
		if (json_str_eq(&key, "@odata.nextLink") && *q == '"')
			st->next_links++;
		q = json_skip_ws(ve, end);
		if (q >= end || *q != ',')
			return 0;
		q++;
	}
}

/* Only white space from p to the end of its line. */
static bool prefix_ends_line(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p < end && *p == '\n';
}

/* After the array of a page entered by page_prefix closes: the page's
 * members after it (an @odata.nextLink) and its closing brace. The
 * number of bytes to consume, or 0 when they are not there whole. */
static size_t page_suffix(struct ingest_stats *st, const char *p, const char *end)
{
	const char *q = p;
	for (;;) {
		q = json_skip_ws(q, end);
		if (q >= end)
			return 0;
		if (*q == '}')
			return (size_t)(q + 1 - p);
		if (*q != ',')
			return 0;
		q = json_skip_ws(q + 1, end);
		const char *ke = q < end && *q == '"' ? json_skip_value(q, end) : NULL;
		struct jval key;
		if (!ke || json_scan_value(q, ke, &key, NULL, NULL) != ke)
			return 0;
		q = json_skip_ws(ke, end);
		if (q >= end || *q != ':')
			return 0;
		q = json_skip_ws(q + 1, end);
		const char *ve = q < end ? json_skip_value(q, end) : NULL;
		if (!ve)
			return 0;
		if (json_str_eq(&key, "@odata.nextLink") && *q == '"')
			st->next_links++;
		q = ve;
	}
}

/* Where the object at p must end at the latest: JSON Lines (depth 0)
 * when the next line starts a record (a '{' in its first column, which a
 * pretty-printer never writes inside a value), the record must end on its
 * own line, or it was cut short; searching on to the end of the file
 * instead made a file of cut lines quadratic (found by fuzzing).
 * For a window that grows while a record is cut out, the first newline
 * from p is looked for once (*nl: its offset, SIZE_MAX while none is
 * known; *seen: the bytes searched), not from p again at every growth
 * (one 100 MB line: 200 searches of 50 MB on average). */
static const char *record_limit_more(const char *p, size_t avail, int depth, size_t *seen, size_t *nl)
{
	if (depth != 0)
		return p + avail;
	if (*nl == SIZE_MAX && *seen < avail) {
		const char *f = memchr(p + *seen, '\n', avail - *seen);
		if (f)
			*nl = (size_t)(f - p);
		else
			*seen = avail;
	}
	return *nl != SIZE_MAX && *nl + 1 < avail && p[*nl + 1] == '{' ? p + *nl : p + avail;
}

/* The same for a window looked at once. */
static const char *record_limit(const char *p, size_t avail, int depth)
{
	size_t seen = 0, nl = SIZE_MAX;
	return record_limit_more(p, avail, depth, &seen, &nl);
}

/* A valid object of n bytes at p, members scanned: a Log Analytics
 * answer, a page of records, or one record (named: a plain record, its
 * members in r->named); then past it. */
static int take_object(struct jreader *r, struct ingest_stats *st, const struct jval *v, bool named,
		       size_t nmem, const char *p, size_t n, bool one_line, char **cause)
{
	struct jval arr;
	int rc;
	const struct jval *tab = NULL, *pg = NULL;
	if (!named)
		top_arrays(r->mem, nmem, &tab, &pg);
	if (named) {
		rc = record_members(r, v, NULL, 0, r->line, cause);
	} else if (tab) {
		arr = *tab;
		if (!st->format)
			st->format = "loganalytics-api";
		rc = tables(r, &arr, p, r->line, cause);
	} else if (pg && normalize_classify(v) == REC_UNKNOWN) {
		arr = *pg;
		st->pages++;
		page_links(st, r->mem, nmem);
		rc = page(r, &arr, p, r->line, cause);
	} else
		rc = record_members(r, v, r->mem, nmem, r->line, cause);
	if (rc < 0)
		return -1;
	if (!one_line)
		r->line += count_newlines(p, n);
	stream_consume(r->s, n);
	return 0;
}

/* The object at p scanned up to lim: by name while the records are plain
 * (r->named), else every member (r->mem); with line, up to the first
 * newline between its tokens too (json_scan_line). */
static const char *scan_object(struct jreader *r, const char *p, const char *lim, bool line, struct jval *v,
			       size_t *nmem)
{
	if (r->by_name)
		memset(&r->named, 0, sizeof r->named);
	if (line)
		return json_scan_line(p, lim, v, r->mem, r->by_name ? normalize_names() : NULL, r->named.v,
				      NORMALIZE_MAX_MEMBERS, nmem, &r->ends);
	if (r->by_name)
		return json_scan_named(p, lim, v, normalize_names(), r->named.v, NORMALIZE_MAX_MEMBERS, nmem,
				       &r->ends, NULL, NULL);
	return json_scan_record(p, lim, v, r->mem, NORMALIZE_MAX_MEMBERS, nmem, &r->ends, NULL, NULL);
}

/* Where the element after a broken one at p starts in p[0..n): the
 * offset of the newline before a line of col blanks and '{' that follows
 * a line ending in ','; 0 when there is none. */
static size_t next_element(const char *p, size_t n, size_t col)
{
	for (const char *nl = memchr(p, '\n', n); nl; nl = memchr(nl + 1, '\n', n - (size_t)(nl + 1 - p))) {
		size_t at = (size_t)(nl - p) + 1;
		if (at + col >= n || p[at + col] != '{')
			continue;
		size_t b = 0;
		while (b < col && (p[at + b] == ' ' || p[at + b] == '\t'))
			b++;
		if (b < col)
			continue;
		const char *q = nl;
		while (q > p && strchr(" \t\r", q[-1]))
			q--;
		if (q > p && q[-1] == ',')
			return (size_t)(nl - p);
		if (nl + 1 >= p + n)
			break;
	}
	return 0;
}

/* Past the next newline, whatever the line's length: 1 when there is
 * more, 0 at the end, -1 on a read error. */
static int skip_line(struct stream *s)
{
	for (;;) {
		const char *p = stream_ptr(s), *nl = memchr(p, '\n', stream_avail(s));
		if (nl) {
			stream_consume(s, (size_t)(nl - p) + 1);
			return 1;
		}
		stream_consume(s, stream_avail(s));
		int n = stream_need(s, 1);
		if (n != 0)
			return n < 0 ? -1 : 0;
	}
}

/* Is err (json_scan's reason) about one token's content, not about the
 * value's structure? Then the extent json_skip found, which follows
 * brackets and quotes only, is the object's: a raw control byte or NUL
 * in a string, a bad escape, number or literal. Otherwise (a string
 * that does not end, a missing ':') the quotes may pair wrongly, and only
 * the first line is taken as bad, so a broken record cannot swallow the
 * records after it. */
static bool content_error(const char *err)
{
	static const char *const content[] = { "control character in string",
					       "bad escape in string",
					       "bad \\u escape",
					       "bad number",
					       "invalid literal",
					       "nested too deeply" };
	for (size_t i = 0; err && i < sizeof content / sizeof content[0]; i++)
		if (!strcmp(err, content[i]))
			return true;
	return false;
}

int ingest_json(struct stream *s, const struct sink *sink, volatile sig_atomic_t *stop,
		struct ingest_stats *st, char **cause)
{
	struct jreader r = { .s = s, .sink = sink, .st = st, .line = 1, .by_name = true, .col = 0 };
	int rc = 0;
	int depth = 0;
	norm_init(&r.nm);
	r.nm.dates = st->dates;
	for (;;) {
		if (stop && *stop)
			break;
		/* white space, and the punctuation between array elements */
		if (stream_avail(s) == 0) {
			int n = stream_need(s, 1);
			if (n < 0) {
				rc = set_cause(cause, "read error");
				break;
			}
			if (n == 1)
				break;
		}
		const char *p = stream_ptr(s);
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (c == '\n') {
				r.line++;
				r.col = 0;
			} else if (r.col >= 0 && c != '\r') {
				r.col++;
			}
			stream_consume(s, 1);
			continue;
		}
		int col = r.col;
		r.col = -1;
		if (c == '[') {
			depth++;
			stream_consume(s, 1);
			continue;
		}
		if (c == ']' && depth > 0 && depth == r.page_depth) {
			/* the end of a page's array entered from its prefix: the
			 * rest of the page object, then on as after any value */
			stream_need(s, 1 << 20);
			p = stream_ptr(s);
			size_t k = page_suffix(st, p + 1, p + stream_avail(s));
			if (k) {
				r.line += count_newlines(p, k + 1);
				stream_consume(s, k + 1);
				depth--;
				r.page_depth = 0;
				continue;
			}
		}
		if ((c == ']' && depth > 0) || (c == ',' && depth > 0)) {
			if (c == ']')
				depth--;
			stream_consume(s, 1);
			continue;
		}
		if (c != '{' && depth > 0) {
			/* A string, number or literal inside an array is one bad
			 * element, not a bad line: in a one-line array the rest
			 * of the line holds every record after it. */
			const char *e;
			struct json_skip sk = { 0 };
			for (;;) {
				p = stream_ptr(s);
				e = json_skip_more(p, p + stream_avail(s), &sk);
				if (e)
					break;
				int n = stream_need(s, stream_avail(s) + 1);
				if (n < 0) {
					rc = set_cause(cause, "read error");
					goto out;
				}
				if (n == 1)
					break;
			}
			p = stream_ptr(s);
			struct jval v;
			if (e && json_scan_value(p, e, &v, NULL, NULL) == e) {
				size_t n = (size_t)(e - p);
				if (reject(&r, r.line, "array element is not an object", p, n, cause) < 0) {
					rc = -1;
					break;
				}
				r.line += count_newlines(p, n);
				stream_consume(s, n);
				continue;
			}
			/* not a JSON value: the line goes, as below */
		}
		if (c != '{') {
			/* Not JSON here: keep the line and go on with the next. */
			const char *nl = NULL;
			for (;;) {
				nl = memchr(stream_ptr(s), '\n', stream_avail(s));
				if (nl || stream_need(s, stream_avail(s) + 1) != 0)
					break;
			}
			p = stream_ptr(s);
			size_t n = nl ? (size_t)(nl - p) : stream_avail(s);
			if (n > 0 && p[n - 1] == '\r')
				n--;
			if (reject(&r, r.line, "not JSON: expected '{' or '['", p, n, cause) < 0) {
				rc = -1;
				break;
			}
			stream_consume(s, nl ? (size_t)(nl - p) + 1 : stream_avail(s));
			r.line++;
			continue;
		}
		/* An object whole in the window (nearly every record) is
		 * validated, its members taken and its end found in one scan.
		 * Anything else (cut short, invalid, past the window, a page
		 * larger than it) fails that scan and is cut out below. */
		struct jval v;
		size_t nmem = 0;
		const char *all = p + stream_avail(s), *rlim = all;
		bool named = false;
		/* Scanned up to the first newline between its tokens first, its
		 * line's end looked for only when that scan fails or meets one:
		 * a record with none ends before its line does, as if cut there
		 * (finding every line's end first was 1.3% of the parsing thread
		 * on JSON Lines); a line is still scanned at most twice */
		const char *e = scan_object(&r, p, all, depth == 0, &v, &nmem);
		if (depth == 0 && (!e || v.t != JT_OBJ || r.ends.nl)) {
			/* again to the line's end, unless that gives the same */
			bool stopped = r.ends.nl;
			rlim = record_limit(p, stream_avail(s), depth);
			if (stopped || (rlim != all && !(e && v.t == JT_OBJ && rlim >= e)))
				e = scan_object(&r, p, rlim, false, &v, &nmem);
		}
		if (r.by_name) {
			named = e && v.t == JT_OBJ && normalize_named_plain(&r.named);
			if (e && v.t == JT_OBJ && !named) {
				/* a page or a table, most likely: scanned
				 * again, and the rest of the input the
				 * general way */
				r.by_name = false;
				e = json_scan_record(p, rlim, &v, r.mem, NORMALIZE_MAX_MEMBERS, &nmem,
						     &r.ends, NULL, NULL);
			}
		}
		if (e && v.t == JT_OBJ) {
			/* no newline in the record to count: cut at a line's
			 * end (JSON Lines, the first newline from p), or none
			 * skipped by the scan (a string never holds one) */
			bool one_line = !r.ends.nl || (rlim < all && *rlim == '\n');
			if (take_object(&r, st, &v, named, nmem, p, (size_t)(e - p), one_line, cause) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		/* An object: cut it out, growing the window as needed (each
		 * byte examined once: a 100 MB record was quadratic). */
		bool cut = false;
		struct json_skip sk = { 0 };
		size_t nl_seen = 0, nl_at = SIZE_MAX;
		for (;;) {
			p = stream_ptr(s);
			const char *lim = record_limit_more(p, stream_avail(s), depth, &nl_seen, &nl_at);
			e = json_skip_more(p, lim, &sk);
			if (e)
				break;
			if (lim != p + stream_avail(s)) {
				cut = true;
				break;
			}
			int n = stream_need(s, stream_avail(s) + 1);
			if (n < 0) {
				rc = set_cause(cause, "read error");
				goto out;
			}
			if (n == 1)
				break;
		}
		p = stream_ptr(s);
		size_t avail = stream_avail(s);
		/* a page whose records are one a line ({"records":[ alone on
		 * its line, then a record a line, as an Azure Monitor storage
		 * blob has them) looks like a cut JSON Lines record: its
		 * prefix ending the line says otherwise */
		if (!e && !r.page_depth && (!cut || depth == 0)) {
			size_t k = page_prefix(st, p, p + avail);
			if (k && cut && !prefix_ends_line(p + k, p + avail))
				k = 0;
			if (k) {
				r.line += count_newlines(p, k);
				stream_consume(s, k);
				depth++;
				r.page_depth = depth;
				r.page_records = st->records;
				r.page_rejects = st->rejects;
				st->pages++;
				continue;
			}
		}
		if (!e && depth > 0 && col >= 0) {
			/* an element of a pretty-printed array whose quotes or
			 * brackets do not pair: it ends where the next element
			 * starts, at its column after a line ending in ',' */
			size_t k = next_element(p, avail, (size_t)col);
			if (k) {
				size_t keep = k;
				while (keep && strchr(" \t\r,", p[keep - 1]))
					keep--;
				char why[128];
				snprintf(why, sizeof why,
					 "invalid JSON: the record does not close before the next one (line %llu)",
					 (unsigned long long)(r.line + count_newlines(p, k) + 1));
				if (reject(&r, r.line, why, p, keep, cause) < 0) {
					rc = -1;
					break;
				}
				r.line += count_newlines(p, k);
				stream_consume(s, k);
				continue;
			}
		}
		if (!e) {
			if ((cut || stream_full(s)) && depth == 0) {
				/* JSON Lines with a line cut short: its object
				 * never closes, the next line starts a record. Only
				 * that line is lost, as when the input ends. */
				const char *nl = memchr(p, '\n', avail);
				if (nl && nl + 1 < p + avail && nl[1] == '{') {
					size_t k = (size_t)(nl - p);
					if (reject(&r, r.line,
						   "truncated JSON (the line ends inside this record)", p,
						   k && p[k - 1] == '\r' ? k - 1 : k, cause) < 0) {
						rc = -1;
						break;
					}
					stream_consume(s, k + 1);
					r.line++;
					continue;
				}
			}
			if (stream_full(s) && depth == 0) {
				/* JSON Lines: the line goes (its first MB kept),
				 * the records after it are read (they were lost) */
				if (reject(&r, r.line,
					   "record larger than the record size limit (its first MB kept)", p,
					   (size_t)1 << 20, cause) < 0) {
					rc = -1;
					break;
				}
				char *w = xasprintf("line %llu: a record larger than the record size limit: "
						    "its first MB kept as a rejected row (--max-record-mb raises "
						    "the limit)",
						    (unsigned long long)r.line);
				ingest_add_warning(st, w);
				free(w);
				int more = skip_line(s);
				if (more < 0) {
					rc = set_cause(cause, "read error");
					break;
				}
				r.line++;
				r.col = 0;
				if (more == 0)
					break;
				continue;
			}
			if (stream_full(s)) {
				free(st->error);
				st->error = xasprintf("line %llu: a record larger than the record size limit; "
						      "the rest of this file was not read",
						      (unsigned long long)r.line);
				if (reject(&r, r.line, "record larger than the record size limit", p,
					   (size_t)1 << 20, cause) < 0)
					rc = -1;
				break;
			}
			/* The input ends inside the value: truncated. Keep the
			 * first line when the tail spans several (JSON Lines),
			 * the whole tail otherwise. */
			const char *nl = memchr(p, '\n', avail);
			size_t n = nl && depth == 0 ? (size_t)(nl - p) : avail;
			size_t keep = nl && depth == 0 && n && p[n - 1] == '\r' ? n - 1 : n;
			if (reject(&r, r.line, "truncated JSON (the input ends inside this record)", p, keep,
				   cause) < 0) {
				rc = -1;
				break;
			}
			if (nl && depth == 0) {
				stream_consume(s, n + 1);
				r.line++;
				continue;
			}
			stream_consume(s, avail);
			break;
		}
		const char *err = NULL, *at = NULL;
		size_t n = (size_t)(e - p);
		const char *ok =
			json_scan_record(p, e, &v, r.mem, NORMALIZE_MAX_MEMBERS, &nmem, &r.ends, &err, &at);
		if (!ok || ok != e) {
			const char *nl = memchr(p, '\n', n);
			char why[160];
			uint64_t errline = r.line + count_newlines(p, (size_t)((at ? at : e) - p));
			snprintf(why, sizeof why, "invalid JSON: %s (line %llu)", err ? err : "trailing data",
				 (unsigned long long)errline);
			if (nl && content_error(err)) {
				/* its brackets and quotes hold: the object is one
				 * reject, kept whole at its first line (a pretty-printed
				 * element was 14 rejects of its lines) */
				if (reject(&r, r.line, why, p, n, cause) < 0) {
					rc = -1;
					break;
				}
				r.line += count_newlines(p, n);
				stream_consume(s, n);
				continue;
			}
			if (nl) {
				size_t k = (size_t)(nl - p);
				if (reject(&r, r.line, why, p, k && p[k - 1] == '\r' ? k - 1 : k, cause) < 0) {
					rc = -1;
					break;
				}
				stream_consume(s, k + 1);
				r.line++;
				continue;
			}
			if (reject(&r, r.line, why, p, n, cause) < 0) {
				rc = -1;
				break;
			}
			stream_consume(s, n);
			continue;
		}
		if (take_object(&r, st, &v, false, nmem, p, n, false, cause) < 0) {
			rc = -1;
			break;
		}
	}
out:
	if (s->ioerr && rc == 0)
		rc = set_cause(cause, "read error");
	/* the input ended inside an array: the file was cut short, and what
	 * came after the cut is not in it (every complete record before it
	 * was read) */
	if (rc == 0 && depth > 0 && !st->error && !(stop && *stop))
		st->error =
			r.page_depth
				? xasprintf("cut short: the input ends inside the page's \"value\" array "
					    "(line %llu); the %llu complete records before the cut were read",
					    (unsigned long long)r.line,
					    (unsigned long long)((st->records - r.page_records) -
								 (st->rejects - r.page_rejects)))
				: xasprintf("cut short: the input ends inside a JSON array (no closing ']', "
					    "line %llu); every complete record before the cut was read",
					    (unsigned long long)r.line);
	/* Nothing in it was a log: refused as a whole, in one line (every
	 * record was rejected and counted already). */
	if (rc == 0 && st->records && !st->known && !st->error && !(stop && *stop))
		st->error = xasprintf("not a recognised log: none of its %llu records has the shape of a "
				      "known export (no time and operation fields this reader knows)",
				      (unsigned long long)st->records);
	/* a numeric date that could be read either way round (07/12/2026):
	 * JSON rarely has one (collectors write ISO or /Date(ms)/), and a
	 * file that does says so */
	if (rc == 0 && (r.nm.dates_seen & TIME_SEEN_AMBIGUOUS)) {
		char *w = xasprintf("some of its numeric dates could be read day-first or month-first "
				    "(07/12/2026): they were read %s",
				    r.nm.dates == TIME_ORDER_DMY ? "day-first, as --dates=dmy says"
				    : r.nm.dates == TIME_ORDER_MDY
					    ? "month-first, as --dates=mdy says"
					    : "month-first (M/D/YYYY), as the US portals write them; if they are "
					      "day-first, load the file into a new case with --dates=dmy");
		ingest_add_warning(st, w);
		free(w);
	}
	norm_free(&r.nm);
	free(r.cols);
	free(r.row);
	return rc;
}
