/*
 * ingest_csv.c: CSV exports, recognised by their header, never by column
 * position.
 *
 * Four header families (core/README.md, "Formats"): the Purview portal export (both
 * column sets), its classic form, Search-UnifiedAuditLog | Export-Csv
 * (with its #TYPE line, ';' under -UseCulture, multi-line -Formatted
 * cells), and the Entra admin center's sign-in downloads, whose headers
 * have trailing spaces, a double space and a duplicated column. Header
 * names are matched after trimming, case-insensitively. For the UAL
 * families the record is the AuditData cell; the wrapper's columns only
 * fill what AuditData leaves empty. A sign-in row has no JSON of its own,
 * so its raw record is a JSON object of the row's header: value pairs.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "ingest.h"
#include "json_scan.h"
#include "normalize.h"
#include "timeparse.h"
#include "xalloc.h"

enum col {
	C_AUDITDATA,
	C_RECORDID,
	C_CREATIONDATE,
	C_RECORDTYPE,
	C_OPERATION,
	C_OPERATIONS,
	C_USERID,
	C_USERIDS,
	C_IDENTITY,
	C_RESULTINDEX,
	C_RESULTCOUNT,
	/* Entra sign-in downloads */
	C_S_DATE,
	C_S_DATE2,
	C_S_REQUESTID,
	C_S_USERNAME,
	C_S_SPNAME,
	C_S_APPID,
	C_S_IP,
	C_S_STATUS,
	C_S_ERRCODE,
	C_S_FAILREASON,
	C_S_SESSION,
	C_S_TOKEN,
	C_S_UA,
	C_S_CLIENTAPP,
	C_S_MITYPE,
	C_S_MINAME,
	C_COUNT
};

static const char *const col_names[C_COUNT] = {
	[C_AUDITDATA] = "auditdata",
	[C_RECORDID] = "recordid",
	[C_CREATIONDATE] = "creationdate",
	[C_RECORDTYPE] = "recordtype",
	[C_OPERATION] = "operation",
	[C_OPERATIONS] = "operations",
	[C_USERID] = "userid",
	[C_USERIDS] = "userids",
	[C_IDENTITY] = "identity",
	[C_RESULTINDEX] = "resultindex",
	[C_RESULTCOUNT] = "resultcount",
	[C_S_DATE] = "date (utc)",
	[C_S_DATE2] = "date",
	[C_S_REQUESTID] = "request id",
	[C_S_USERNAME] = "username",
	[C_S_SPNAME] = "service principal name",
	[C_S_APPID] = "application id",
	[C_S_IP] = "ip address",
	[C_S_STATUS] = "status",
	[C_S_ERRCODE] = "sign-in error code",
	[C_S_FAILREASON] = "failure reason",
	[C_S_SESSION] = "session id",
	[C_S_TOKEN] = "unique token identifier",
	[C_S_UA] = "user agent",
	[C_S_CLIENTAPP] = "client app",
	[C_S_MITYPE] = "managed identity type",
	[C_S_MINAME] = "managed identity name",
};

enum family { F_UNKNOWN, F_PURVIEW, F_PURVIEW_CLASSIC, F_PSH, F_SIGNIN, F_ROWS };

/*
 * Any other CSV is rows of some log, one record a row: each row is
 * rebuilt as the JSON object its header describes and read like a JSON
 * record. Header names that are paths (Parameters[0].Name,
 * AppAccessContext.ClientAppId: Search-UnifiedAuditLog with AuditData
 * expanded into columns) rebuild the nesting; Sentinel's portal suffix
 * " [UTC]" is dropped. The nodes of that shape form a tree, built once
 * from the header.
 */
struct node {
	char *name;      /* member name (NULL for an array element) */
	size_t nlen;     /* its length */
	int col;         /* the column of a leaf, -1 for a container */
	bool array;      /* children are elements [0], [1], ... */
	long index;      /* this node's index in its parent array */
	int parent;      /* (-1 for the root) */
	int first, next; /* first child, next sibling (-1: none) */
	int last;        /* last child (-1: none) */
	long top;        /* the greatest index among its elements (-1: none) */
};

/* The Entra admin center's sign-in downloads, by the names it gives them
 * (InteractiveSignIns_2025-03-11_2025-03-18.csv, NonInteractiveSignIns_,
 * ApplicationSignIns_, MSISignIns_): interactive and non-interactive
 * share every column, as do application and managed identity ones, so
 * the name is what tells them apart. */
enum signin_stream { S_UNKNOWN, S_INTERACTIVE, S_NONINTERACTIVE, S_SP, S_MSI };

static enum signin_stream signin_stream_of(const char *name)
{
	if (!name)
		return S_UNKNOWN;
	const char *base = name;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '!' || *p == '\\')
			base = p + 1;
	static const struct {
		const char *prefix;
		enum signin_stream s;
	} t[] = {
		{ "noninteractivesignins", S_NONINTERACTIVE },
		{ "interactivesignins", S_INTERACTIVE },
		{ "applicationsignins", S_SP },
		{ "msisignins", S_MSI },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strncasecmp(base, t[i].prefix, strlen(t[i].prefix)) == 0)
			return t[i].s;
	return S_UNKNOWN;
}

struct creader {
	struct csv c;
	const struct sink *sink;
	struct ingest_stats *st;
	struct norm nm;
	int col[C_COUNT];
	enum family fam;
	char **hdr; /* header names for sign-in raw records, made unique */
	size_t nhdr;
	struct jmember mem[NORMALIZE_MAX_MEMBERS]; /* a built record's top-level members */
	struct norm_members named;                 /* AuditData's, those normalize reads */
	struct json_ends ends;                     /* and its containers */
	char *jbuf;                                /* the JSON built for a sign-in row */
	size_t jlen, jcap;
	struct node *nodes; /* F_ROWS: the shape of a row (nodes[0] the root) */
	size_t nnodes, ncap;
	int *nhash; /* the nodes by (parent, name or index): open addressing */
	size_t nhcap;
	bool *skipcol; /* F_ROWS: wrapper columns left out of the record */
	bool sentinel; /* a header had Sentinel's " [UTC]" (or another zone) */
	/* F_ROWS: per column, the zone its header's " [...]" named for its
	 * times (" UTC+01:00", appended to each), or NULL */
	char **zone;
	const char *local_col; /* a header said " [Local Time]": its name */
	/* F_SIGNIN: the stream the member's name says (the portal's four
	 * downloads share their columns) */
	enum signin_stream stream;
	/* F_SIGNIN, F_ROWS: numeric dates whose day and month could be
	 * either way round (dates_look_ahead says how the order is found) */
	bool track_dates;
	bool dates_proven;           /* the order is proven (or mixed) */
	uint64_t line_dmy, line_mdy; /* the first line that proves each order */
	uint64_t amb_rows, amb_line; /* rows whose time could be either; the first */
	uint64_t amb_before;         /* of them, read before a later proof, the other way */
	uint64_t head_rows;          /* rows the look-ahead read */
	bool head_whole;             /* and it was the whole file */
	/* F_PSH: ResultIndex values seen, against the largest ResultCount */
	unsigned char *seen;
	long long result_count, result_rows;
};

/* Nearly every cell: neither end is a space ('!'..'~' never is, in any
 * locale), told in line (trim's isspace calls for six cells a row were
 * 0.8% of a CSV load's parsing thread). */
static inline bool trimmed(const char *p, size_t n)
{
	return n && (unsigned char)(p[0] - '!') <= '~' - '!' && (unsigned char)(p[n - 1] - '!') <= '~' - '!';
}

static void trim(const char **p, size_t *n)
{
	while (*n && isspace((unsigned char)**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

static void map_header(struct creader *r)
{
	for (int i = 0; i < C_COUNT; i++)
		r->col[i] = -1;
	r->nhdr = r->c.nf;
	r->hdr = xcalloc(r->nhdr, sizeof *r->hdr);
	/* Unique names for the raw JSON of sign-in rows: a repeated name
	 * (the portal writes "Incoming token type" twice) gets " (2)". The
	 * names seen so far sit in a hash table, so that a header of many
	 * thousand columns (fuzzing found one) costs linear time. */
	size_t cap = 16;
	while (cap < 2 * r->c.nf)
		cap *= 2;
	struct seen {
		const char *p;
		size_t n;
		int count;
	} *tab = xcalloc(cap, sizeof *tab);
	for (size_t i = 0; i < r->c.nf; i++) {
		const char *p = r->c.f[i].p;
		size_t n = r->c.f[i].n;
		trim(&p, &n);
		size_t h = 5381;
		for (size_t k = 0; k < n; k++)
			h = h * 33 + (unsigned char)p[k];
		size_t slot = h & (cap - 1);
		/* the same name exactly ("User ID" and "User agent" are not "User") */
		while (tab[slot].p && !(tab[slot].n == n && memcmp(tab[slot].p, p, n) == 0))
			slot = (slot + 1) & (cap - 1);
		if (!tab[slot].p) {
			tab[slot].p = p;
			tab[slot].n = n;
		}
		int dup = tab[slot].count++;
		r->hdr[i] = dup ? xasprintf("%.*s (%d)", (int)n, p, dup + 1) : xstrndup(p, n);
		for (int k = 0; k < C_COUNT; k++)
			if (r->col[k] < 0 && strlen(col_names[k]) == n && strncasecmp(col_names[k], p, n) == 0)
				r->col[k] = (int)i;
	}
	free(tab);
	const int *c = r->col;
	if (c[C_AUDITDATA] >= 0) {
		if (c[C_RESULTINDEX] >= 0 || c[C_IDENTITY] >= 0)
			r->fam = F_PSH;
		else if (c[C_RECORDID] >= 0)
			r->fam = F_PURVIEW;
		else
			r->fam = F_PURVIEW_CLASSIC;
	} else if ((c[C_S_DATE] >= 0 || c[C_S_DATE2] >= 0) && c[C_S_REQUESTID] >= 0) {
		r->fam = F_SIGNIN;
	} else {
		r->fam = F_UNKNOWN;
	}
}

/* In line: six a row (the calls were 35 M instructions of a 200k-row
 * load). */
static inline struct sv cell(const struct creader *r, enum col k)
{
	int i = r->col[k];
	struct sv s = { NULL, 0 };
	if (i < 0 || (size_t)i >= r->c.nf)
		return s;
	s.p = r->c.f[i].p;
	s.n = r->c.f[i].n;
	if (!trimmed(s.p, s.n))
		trim(&s.p, &s.n);
	if (s.n == 0)
		s.p = NULL;
	return s;
}

static struct sv lower_copy(struct norm *nm, struct sv s)
{
	if (!s.p)
		return s;
	struct sv r = norm_copy(nm, s.p, s.n);
	for (size_t i = 0; i < r.n; i++)
		((char *)r.p)[i] = (char)tolower((unsigned char)r.p[i]);
	return r;
}

static int reject_row(struct creader *r, const char *why, char **cause)
{
	r->st->records++;
	r->st->rejects++;
	return r->sink->reject(r->sink->ctx, r->c.rec_line, why, r->c.raw, r->c.rawlen, cause);
}

static void psh_paging(struct creader *r);
static void dates_row(struct creader *r);

/* Records that PowerShell's depth limit cut ("@{...}", System.Object[]). */
static void note_truncated(struct creader *r)
{
	r->st->truncated++;
	if (r->nm.ps_lost_msgs)
		r->st->lost_msgids++;
}

static int ual_row(struct creader *r, char **cause)
{
	struct sv ad = cell(r, C_AUDITDATA);
	if (!ad.p) {
		if ((size_t)r->col[C_AUDITDATA] >= r->c.nf)
			return reject_row(r, "row has fewer columns than the header", cause);
		return reject_row(r, "empty AuditData", cause);
	}
	struct jval v;
	const char *err = NULL, *at = NULL;
	size_t nmem = 0;
	memset(&r->named, 0, sizeof r->named);
	const char *e = json_scan_named(ad.p, ad.p + ad.n, &v, normalize_names(), r->named.v,
					NORMALIZE_MAX_MEMBERS, &nmem, &r->ends, &err, &at);
	if (!e || json_skip_ws(e, ad.p + ad.n) != ad.p + ad.n || v.t != JT_OBJ) {
		char why[128];
		snprintf(why, sizeof why, "AuditData is not valid JSON: %s at offset %zu",
			 !e              ? err
			 : v.t != JT_OBJ ? "not an object"
					 : "trailing data",
			 (size_t)((at && !e ? at
				   : e      ? e
					    : ad.p) -
				  ad.p));
		return reject_row(r, why, cause);
	}
	norm_reset(&r->nm, ad.n + r->c.rawlen);
	struct wrapper_hints h = { 0 };
	h.date = cell(r, C_CREATIONDATE);
	h.record_id = cell(r, C_RECORDID);
	if (!h.record_id.p)
		h.record_id = cell(r, C_IDENTITY);
	h.op = cell(r, C_OPERATION);
	if (!h.op.p)
		h.op = cell(r, C_OPERATIONS);
	h.user = cell(r, C_USERID); /* lower-cased if it is used */
	if (!h.user.p)
		h.user = cell(r, C_USERIDS);
	/* the column's number is named only when the record takes it (one
	 * without a RecordType of its own) */
	h.rtype = cell(r, C_RECORDTYPE);
	enum rec_kind k;
	struct event ev;
	const char *why = NULL;
	if (normalize_named(&r->nm, &v, &r->named, &h, REC_UAL, &k, &ev, &why) < 0)
		return reject_row(r, why, cause);
	if (h.rtype.p && ev.rtype.p == h.rtype.p) {
		struct jval num = { h.rtype.p, h.rtype.n, JT_NUM, false, NULL };
		long long n;
		const char *name;
		if (json_get_int(&num, &n) && (name = normalize_rtype_name(n)) != NULL)
			ev.rtype = (struct sv){ name, strlen(name) };
	}
	if (ev.flags & EVF_PS_TRUNCATED)
		note_truncated(r);
	if (r->fam == F_PSH)
		psh_paging(r);
	normalize_synth_id(&r->nm, &ev);
	ev.line = r->c.rec_line;
	r->st->records++;
	return r->sink->event(r->sink->ctx, &ev, cause);
}

static void jput(struct creader *r, const char *p, size_t n)
{
	r->jbuf = xgrow(r->jbuf, &r->jcap, r->jlen + n + 1, 1);
	memcpy(r->jbuf + r->jlen, p, n);
	r->jlen += n;
}

static void jstr(struct creader *r, const char *p, size_t n)
{
	jput(r, "\"", 1);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		jput(r, p + start, i - start);
		char esc[8];
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			jput(r, esc, 2);
		} else {
			snprintf(esc, sizeof esc, "\\u%04x", ch);
			jput(r, esc, 6);
		}
		start = i + 1;
	}
	jput(r, p + start, n - start);
	jput(r, "\"", 1);
}

static int signin_row(struct creader *r, char **cause)
{
	/* The raw record: {"Header": "value", ...} in header order. */
	r->jlen = 0;
	jput(r, "{", 1);
	for (size_t i = 0; i < r->nhdr; i++) {
		if (i)
			jput(r, ",", 1);
		jstr(r, r->hdr[i], strlen(r->hdr[i]));
		jput(r, ":", 1);
		if (i < r->c.nf)
			jstr(r, r->c.f[i].p, r->c.f[i].n);
		else
			jput(r, "null", 4);
	}
	jput(r, "}", 1);
	norm_reset(&r->nm, r->jlen + r->c.rawlen);

	struct event ev;
	memset(&ev, 0, sizeof ev);
	ev.op_count = -1;
	struct sv d = cell(r, C_S_DATE);
	if (!d.p)
		d = cell(r, C_S_DATE2);
	r->nm.dates_seen = 0;
	if (!d.p || !time_parse_ex(d.p, d.n, r->nm.dates, &r->nm.dates_seen, &ev.ts))
		return reject_row(r, d.p ? "unreadable date" : "no date in the row", cause);
	if (r->nm.dates_seen)
		dates_row(r);
	ev.raw = (struct sv){ r->jbuf, r->jlen };
	ev.record_id = cell(r, C_S_REQUESTID);
	ev.user = lower_copy(&r->nm, cell(r, C_S_USERNAME));
	const char *op = r->stream == S_NONINTERACTIVE ? "Non-interactive sign-in" : "Sign-in";
	if (!ev.user.p) {
		/* an app's sign-in: a service principal's, or a managed
		 * identity's (its type in a column the downloads share, or the
		 * file named for them) */
		ev.user = lower_copy(&r->nm, cell(r, C_S_SPNAME));
		if (!ev.user.p)
			ev.user = lower_copy(&r->nm, cell(r, C_S_MINAME));
		struct sv mi = cell(r, C_S_MITYPE);
		if (r->stream == S_MSI || (mi.p && !(mi.n == 4 && strncasecmp(mi.p, "none", 4) == 0)))
			op = "Managed identity sign-in";
		else if (ev.user.p || r->stream == S_SP)
			op = "Service principal sign-in";
	}
	ev.op = (struct sv){ op, strlen(op) };
	ev.kind = KIND_SIGNIN;
	ev.rtype = (struct sv){ "EntraSignIn", 11 };
	ev.workload = (struct sv){ "AzureActiveDirectory", 20 };
	ev.app = lower_copy(&r->nm, cell(r, C_S_APPID));
	normalize_addr(&r->nm, cell(r, C_S_IP), &ev.ip, &ev.host);
	ev.session = cell(r, C_S_SESSION);
	ev.token = cell(r, C_S_TOKEN);
	ev.client_info = cell(r, C_S_UA);
	if (!ev.client_info.p)
		ev.client_info = cell(r, C_S_CLIENTAPP);
	struct sv status = cell(r, C_S_STATUS), code = cell(r, C_S_ERRCODE), why = cell(r, C_S_FAILREASON);
	if (status.p) {
		char buf[256];
		int k;
		if ((status.n == 7 && strncasecmp(status.p, "success", 7) == 0) || !code.p ||
		    (code.n == 1 && code.p[0] == '0'))
			k = snprintf(buf, sizeof buf, "%.*s", (int)(status.n > 40 ? 40 : status.n), status.p);
		else if (why.p && why.n) /* the reason beside the code, as for Graph sign-ins */
			k = snprintf(buf, sizeof buf, "%.*s (%.*s: %.*s)", (int)(status.n > 40 ? 40 : status.n),
				     status.p, (int)(code.n > 40 ? 40 : code.n), code.p,
				     (int)(why.n > 160 ? 160 : why.n), why.p);
		else
			k = snprintf(buf, sizeof buf, "%.*s (%.*s)", (int)(status.n > 40 ? 40 : status.n),
				     status.p, (int)(code.n > 40 ? 40 : code.n), code.p);
		ev.result = norm_copy(&r->nm, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
	}
	normalize_synth_id(&r->nm, &ev);
	ev.line = r->c.rec_line;
	r->st->records++;
	return r->sink->event(r->sink->ctx, &ev, cause);
}

static size_t node_hash(int parent, const char *name, size_t n, long index)
{
	uint64_t h = 0xcbf29ce484222325u ^ ((uint64_t)(unsigned)parent * 0x9e3779b97f4a7c15u);
	if (name)
		for (size_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)name[i]) * 0x100000001b3u;
	else
		h = (h ^ (uint64_t)index) * 0xff51afd7ed558ccdu;
	return (size_t)(h ^ (h >> 31));
}

static void node_hash_put(struct creader *r, int id)
{
	const struct node *k = &r->nodes[id];
	size_t mask = r->nhcap - 1;
	size_t i = node_hash(k->parent, k->name, k->nlen, k->index) & mask;
	while (r->nhash[i] >= 0)
		i = (i + 1) & mask;
	r->nhash[i] = id;
}

/*
 * The child of parent named name[0..n) (NULL: element index), made when
 * missing. Found by a hash of (parent, name or index) and appended at a
 * parent's last child: a header of 64,000 columns took 12.6 s of CPU
 * when each column walked its siblings twice (to find its name, then the
 * list's end); it is linear now. Only an element whose index is below one
 * already there walks the list to its place.
 */
static int node_child(struct creader *r, int parent, const char *name, size_t n, long index)
{
	if (r->nnodes * 2 >= r->nhcap) {
		free(r->nhash);
		r->nhcap = r->nhcap ? 2 * r->nhcap : 64;
		while (r->nnodes * 2 >= r->nhcap)
			r->nhcap *= 2;
		r->nhash = xmalloc(r->nhcap * sizeof *r->nhash);
		memset(r->nhash, 0xff, r->nhcap * sizeof *r->nhash); /* -1 */
		for (size_t i = 1; i < r->nnodes; i++)
			node_hash_put(r, (int)i);
	}
	size_t mask = r->nhcap - 1;
	for (size_t i = node_hash(parent, name, n, index) & mask; r->nhash[i] >= 0; i = (i + 1) & mask) {
		const struct node *k = &r->nodes[r->nhash[i]];
		if (k->parent == parent && (name ? k->name && k->nlen == n && memcmp(k->name, name, n) == 0
						 : !k->name && k->index == index))
			return r->nhash[i];
	}
	r->nodes = xgrow(r->nodes, &r->ncap, r->nnodes + 1, sizeof *r->nodes);
	int id = (int)r->nnodes++;
	struct node *k = &r->nodes[id];
	k->name = name ? xstrndup(name, n) : NULL;
	k->nlen = name ? n : 0;
	k->col = -1;
	k->array = false;
	k->index = index;
	k->parent = parent;
	k->first = k->next = k->last = -1;
	k->top = -1;
	node_hash_put(r, id);
	/* members in the header's order, elements in index order (an element
	 * goes before the first element of a greater index) */
	struct node *pa = &r->nodes[parent];
	if (name || index > pa->top) {
		if (pa->last >= 0)
			r->nodes[pa->last].next = id;
		else
			pa->first = id;
		pa->last = id;
	} else {
		int *link = &pa->first;
		while (r->nodes[*link].index < index) /* (one greater is there) */
			link = &r->nodes[*link].next;
		k->next = *link;
		*link = id;
	}
	if (!name) {
		pa->array = true;
		if (index > pa->top)
			pa->top = index;
	}
	return id;
}

/* Place column col, named p[0..n), in the tree: "a.b[2].c". */
static void node_add(struct creader *r, int col, const char *p, size_t n)
{
	int at = 0;
	const char *e = p + n;
	while (p < e) {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1;
			long idx = 0;
			while (q < e && *q >= '0' && *q <= '9' && idx < 1000000)
				idx = idx * 10 + (*q++ - '0');
			if (q > p + 1 && q < e && *q == ']' && r->nodes[at].col < 0) {
				at = node_child(r, at, NULL, 0, idx);
				p = q + 1;
				continue;
			}
		}
		const char *q = p;
		while (q < e && *q != '.' && !(*q == '[' && q + 1 < e && q[1] >= '0' && q[1] <= '9'))
			q++;
		if (q == p)
			q = p + 1;
		at = node_child(r, at, p, (size_t)(q - p), -1);
		p = q;
	}
	if (at > 0 && r->nodes[at].col < 0 && r->nodes[at].first < 0)
		r->nodes[at].col = col;
}

/* A time of a column whose header named its zone, with the zone after
 * it; as it is when that does not read (a time that has a zone of its
 * own, or is no time) */
static void emit_zoned(struct creader *r, const char *p, size_t n, const char *zone)
{
	char buf[96];
	int64_t ms;
	int k = snprintf(buf, sizeof buf, "%.*s%s", (int)(n < 64 ? n : 64), p, zone);
	if (n < 64 && k > 0 && (size_t)k < sizeof buf && time_parse(buf, (size_t)k, &ms))
		jstr(r, buf, (size_t)k);
	else
		jstr(r, p, n);
}

/* Emit node id as JSON into jbuf: leaves are their cells (sample: "x"
 * for every leaf, to classify the header). Returns false when nothing
 * was written (every leaf below is empty). */
static bool node_emit(struct creader *r, int id, bool sample)
{
	struct node *k = &r->nodes[id];
	if (k->col >= 0 || k->first < 0) {
		if (k->col < 0)
			return false;
		if (sample) {
			jput(r, "\"x\"", 3);
			return true;
		}
		if ((size_t)k->col >= r->c.nf)
			return false;
		const char *p = r->c.f[k->col].p;
		size_t n = r->c.f[k->col].n;
		trim(&p, &n);
		if (n == 0)
			return false;
		if (r->zone && r->zone[k->col])
			return emit_zoned(r, p, n, r->zone[k->col]), true;
		jstr(r, p, n);
		return true;
	}
	size_t start = r->jlen;
	jput(r, k->array ? "[" : "{", 1);
	bool any = false;
	for (int c = k->first; c >= 0; c = r->nodes[c].next) {
		if (id == 0 && r->nodes[c].col >= 0 && r->skipcol && r->skipcol[r->nodes[c].col])
			continue;
		size_t mark = r->jlen;
		if (any)
			jput(r, ",", 1);
		if (!k->array) {
			jstr(r, r->nodes[c].name, strlen(r->nodes[c].name));
			jput(r, ":", 1);
		}
		if (node_emit(r, c, sample))
			any = true;
		else
			r->jlen = mark;
	}
	jput(r, k->array ? "]" : "}", 1);
	if (!any && id != 0) {
		r->jlen = start;
		return false;
	}
	return true;
}

/* Columns of a PowerShell export that are its paging and wrapper, not
 * the record. */
static bool wrapper_column(const char *name)
{
	static const char *const w[] = { "CreationDate",       "UserIds",     "Operations",
					 "ResultIndex",        "ResultCount", "IsValid",
					 "ObjectState",        "RunspaceId",  "PSComputerName",
					 "PSShowComputerName", "AuditData" };
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
		if (strcasecmp(name, w[i]) == 0)
			return true;
	return false;
}

/*
 * The Log Analytics portal's CSV names a time column's zone after it:
 * "TimeGenerated [UTC]", "TimeGenerated [Local Time]" when its display
 * is set to local time, "TimeGenerated [UTC+01:00]" (the zone is what
 * the portal showed). The name without it is the column; a zone with an
 * offset is appended to the column's times so that they are read as
 * what they are; local time, whose offset the file does not say, is
 * read as written and the file's warning says so. Returns the name's
 * length without the zone.
 */
static size_t header_zone(struct creader *r, size_t col, const char *p, size_t n)
{
	if (n < 4 || p[n - 1] != ']')
		return n;
	size_t open = n - 1;
	while (open > 0 && p[open] != '[')
		open--;
	if (open < 2 || p[open - 1] != ' ')
		return n; /* no name before the zone: not a zone */
	const char *z = p + open + 1;
	size_t zn = n - 1 - (open + 1);
	if ((zn == 3 && (strncasecmp(z, "UTC", 3) == 0 || strncasecmp(z, "GMT", 3) == 0))) {
		r->sentinel = true;
		return open - 1;
	}
	if ((zn == 10 && strncasecmp(z, "local time", 10) == 0) ||
	    (zn == 5 && strncasecmp(z, "local", 5) == 0)) {
		r->sentinel = true;
		if (!r->local_col)
			r->local_col = p;
		return open - 1;
	}
	if (zn >= 5 && zn <= 9 && (strncasecmp(z, "UTC", 3) == 0 || strncasecmp(z, "GMT", 3) == 0) &&
	    (z[3] == '+' || z[3] == '-')) {
		/* an offset timeparse reads after "UTC": check it is one */
		char probe[40];
		int64_t ms;
		snprintf(probe, sizeof probe, "2000-01-01 00:00 %.*s", (int)zn, z);
		if (!time_parse(probe, strlen(probe), &ms))
			return n;
		if (!r->zone)
			r->zone = xcalloc(r->nhdr, sizeof *r->zone);
		r->zone[col] = xasprintf(" %.*s", (int)zn, z);
		r->sentinel = true;
		return open - 1;
	}
	return n;
}

/* Can the header be read as rows of a known log? Builds the tree. */
static enum rec_kind rows_header(struct creader *r)
{
	r->nodes = xgrow(r->nodes, &r->ncap, 1, sizeof *r->nodes);
	r->nnodes = 1;
	free(r->nhash);
	r->nhash = NULL;
	r->nhcap = 0;
	r->nodes[0] = (struct node){
		.col = -1, .index = -1, .parent = -1, .first = -1, .next = -1, .last = -1, .top = -1
	};
	r->skipcol = xcalloc(r->nhdr ? r->nhdr : 1, sizeof *r->skipcol);
	for (size_t i = 0; i < r->nhdr; i++) {
		const char *p = r->hdr[i];
		size_t n = strlen(p);
		n = header_zone(r, i, p, n);
		if (n)
			node_add(r, (int)i, p, n);
	}
	r->jlen = 0;
	node_emit(r, 0, true);
	struct jval v;
	if (!r->jbuf || !json_scan_value(r->jbuf, r->jbuf + r->jlen, &v, NULL, NULL) || v.t != JT_OBJ)
		return REC_UNKNOWN;
	enum rec_kind k = normalize_classify(&v);
	if (k == REC_UAL)
		for (size_t i = 0; i < r->nhdr; i++)
			r->skipcol[i] = wrapper_column(r->hdr[i]);
	return k;
}

static const char *rows_format(enum rec_kind k, bool sentinel)
{
	if (sentinel)
		return "sentinel-csv";
	switch (k) {
	case REC_UAL: return "psh-csv-expanded";
	case REC_SIGNIN: return "entra-signin-csv";
	case REC_DIRAUDIT: return "entra-audit-csv";
	case REC_MSGTRACE: return "message-trace-csv";
	case REC_RISK: return "risk-detection-csv";
	case REC_RISKYUSER: return "risky-user-csv";
	case REC_ALERT: return "security-alert-csv";
	case REC_XDR: return "xdr-hunting-csv";
	case REC_AZACTIVITY: return "azure-activity-csv";
	case REC_GRAPHACT: return "graph-activity-csv";
	case REC_PIPELINE: return "pipeline-capture-csv";
	default: return "log-csv";
	}
}

static int rows_row(struct creader *r, char **cause)
{
	r->jlen = 0;
	node_emit(r, 0, false);
	norm_reset(&r->nm, r->jlen + r->c.rawlen);
	struct jval v;
	size_t nmem = 0;
	const char *err = NULL, *at = NULL;
	const char *e = json_scan_object(r->jbuf, r->jbuf + r->jlen, &v, r->mem, NORMALIZE_MAX_MEMBERS, &nmem,
					 &err, &at);
	if (!e || v.t != JT_OBJ)
		return reject_row(r, "row cannot be rebuilt as a record", cause);
	struct wrapper_hints h = { 0 };
	h.date = cell(r, C_CREATIONDATE);
	h.op = cell(r, C_OPERATIONS);
	h.user = lower_copy(&r->nm, cell(r, C_USERIDS));
	enum rec_kind k;
	struct event ev;
	const char *why = NULL;
	r->nm.dates_seen = 0;
	if (normalize_record(&r->nm, &v, r->mem, nmem, &h, REC_UNKNOWN, &k, &ev, &why) < 0)
		return reject_row(r, why, cause);
	if (r->nm.dates_seen)
		dates_row(r);
	if (ev.flags & EVF_PS_TRUNCATED)
		note_truncated(r);
	normalize_synth_id(&r->nm, &ev);
	ev.line = r->c.rec_line;
	r->st->records++;
	return r->sink->event(r->sink->ctx, &ev, cause);
}

/* ResultIndex of a PowerShell export row, against its ResultCount. */
static void psh_paging(struct creader *r)
{
	struct sv ix = cell(r, C_RESULTINDEX), cnt = cell(r, C_RESULTCOUNT);
	long long i, n;
	struct jval a = { ix.p, ix.n, JT_NUM, false, NULL }, b = { cnt.p, cnt.n, JT_NUM, false, NULL };
	if (!ix.p || !cnt.p || !json_get_int(&a, &i) || !json_get_int(&b, &n))
		return;
	if (n <= 0 || n > 50000000 || i < 1 || i > n)
		return;
	if (n > r->result_count) {
		size_t old = (size_t)(r->result_count + 8) / 8, want = (size_t)(n + 8) / 8;
		r->seen = xrealloc(r->seen, want);
		memset(r->seen + (r->result_count ? old : 0), 0, want - (r->result_count ? old : 0));
		r->result_count = n;
	}
	r->seen[i / 8] |= (unsigned char)(1u << (i % 8));
	r->result_rows++;
}

/* "ResultCount says 1121 results, the file holds 500: results 501-1121
 * are missing" */
static char *psh_missing(struct creader *r)
{
	if (!r->result_count)
		return NULL;
	char ranges[256] = "";
	size_t len = 0;
	long long missing = 0, held = 0, nranges = 0;
	for (long long i = 1; i <= r->result_count; i++) {
		if (r->seen[i / 8] & (1u << (i % 8))) {
			held++;
			continue;
		}
		long long j = i;
		while (j + 1 <= r->result_count && !(r->seen[(j + 1) / 8] & (1u << ((j + 1) % 8))))
			j++;
		missing += j - i + 1;
		if (nranges++ < 4 && len < sizeof ranges - 64) {
			if (j > i)
				len += (size_t)snprintf(ranges + len, sizeof ranges - len, "%s%lld-%lld",
							len ? ", " : "", i, j);
			else
				len += (size_t)snprintf(ranges + len, sizeof ranges - len, "%s%lld",
							len ? ", " : "", i);
		}
		i = j;
	}
	if (!missing)
		return NULL;
	return xasprintf("ResultCount says the search had %lld results but the file holds %lld of them: "
			 "results %s%s are missing; search the time range again in smaller windows",
			 r->result_count, held, ranges, nranges > 4 ? ", ..." : "");
}

static const char *family_name(enum family f)
{
	switch (f) {
	case F_PURVIEW: return "purview-csv";
	case F_PURVIEW_CLASSIC: return "purview-csv-classic";
	case F_PSH: return "psh-csv";
	case F_SIGNIN: return "entra-signin-csv";
	case F_ROWS: return "log-csv";
	default: return "csv";
	}
}

/*
 * Numeric dates whose day and month could be either way round. A
 * spreadsheet re-saving an export where dates are written day first
 * (en-GB and most of the world) writes 07/12/2026 for 7 December; read
 * month-first (as the US portals write them) it is July 12, silently.
 * The order is a fact of the file, not of each date: a date that can be
 * read only one way (13/12/2026, 12/13/2026) proves it for the others.
 * Before its first record is stored, the file's head (DATES_HEAD bytes,
 * every cell of it) is read ahead for such a date; when the head proves
 * nothing, the ambiguous dates are read in the order load --dates gives,
 * else month-first, until a row proves the order, from which row on it
 * is followed; and the file's warning says what was read which way (a
 * proof that came late names the rows read before it, which only a load
 * with --dates can read right).
 *
 * The head is held in the stream's window until it is consumed (a pipe
 * or an archive member cannot be read twice), so its size is the load's
 * memory: 16 MB took a 200 MB sign-in CSV's peak from 43.6 to 64.0 MB,
 * at issue 15's cap; 8 MB (about 8,000 portal rows) peaks at 55.8 MB.
 */
#define DATES_HEAD ((size_t)8 << 20)

struct head_src {
	const char *p;
	size_t n, off;
};

static ssize_t head_read(void *ctx, char *buf, size_t n)
{
	struct head_src *h = ctx;
	size_t k = h->n - h->off < n ? h->n - h->off : n;
	memcpy(buf, h->p + h->off, k);
	h->off += k;
	return (ssize_t)k;
}

static void dates_proof(struct creader *r, unsigned seen, uint64_t line)
{
	if ((seen & TIME_SEEN_DMY) && !r->line_dmy)
		r->line_dmy = line;
	if ((seen & TIME_SEEN_MDY) && !r->line_mdy)
		r->line_mdy = line;
}

/* The head of the file read ahead (nothing consumed), every cell that is
 * a numeric date noted; then the order the file's dates are read in. */
static int dates_look_ahead(struct creader *r, struct stream *s)
{
	if (stream_need(s, DATES_HEAD) < 0)
		return -1;
	struct head_src src = { stream_ptr(s), stream_avail(s), 0 };
	r->head_whole = s->eof;
	struct stream hs;
	stream_init(&hs, head_read, &src, DATES_HEAD + 1);
	struct csv hc;
	csv_init(&hc, &hs, r->c.delim);
	uint64_t line0 = r->c.line;
	int k;
	while ((k = csv_next(&hc)) == CSV_ROW || k == CSV_BAD) {
		if (k == CSV_BAD)
			continue;
		r->head_rows++;
		for (size_t i = 0; i < hc.nf; i++) {
			const char *p = hc.f[i].p;
			size_t n = hc.f[i].n;
			if (n < 8 || n > 48 || !(p[0] >= '0' && p[0] <= '9'))
				continue;
			unsigned seen = 0;
			int64_t ms;
			if (time_parse_ex(p, n, TIME_ORDER_AUTO, &seen, &ms) && seen)
				dates_proof(r, seen, line0 + hc.rec_line - 1);
		}
		if (r->line_dmy && r->line_mdy)
			break;
	}
	csv_free(&hc);
	stream_free(&hs);
	if (r->line_dmy && !r->line_mdy)
		r->nm.dates = TIME_ORDER_DMY;
	else if (r->line_mdy && !r->line_dmy)
		r->nm.dates = TIME_ORDER_MDY;
	else
		r->nm.dates = r->st->dates ? r->st->dates : TIME_ORDER_MDY;
	r->dates_proven = r->line_dmy || r->line_mdy;
	return 0;
}

/* After a row: what its time said about the order. */
static void dates_row(struct creader *r)
{
	unsigned seen = r->nm.dates_seen;
	if (seen & TIME_SEEN_AMBIGUOUS) {
		if (!r->amb_rows++)
			r->amb_line = r->c.rec_line;
		return;
	}
	dates_proof(r, seen, r->c.rec_line);
	if (!r->dates_proven && (seen & (TIME_SEEN_DMY | TIME_SEEN_MDY))) {
		enum time_order o = (seen & TIME_SEEN_DMY) ? TIME_ORDER_DMY : TIME_ORDER_MDY;
		r->dates_proven = true;
		if (r->nm.dates != o)
			r->amb_before = r->amb_rows;
		r->nm.dates = o;
	}
}

static const char *order_name(enum time_order o)
{
	return o == TIME_ORDER_DMY ? "day-first (D/M/YYYY)" : "month-first (M/D/YYYY)";
}

/* What the file's warning says of its dates, or nothing. */
static void dates_warning(struct creader *r)
{
	char *w = NULL;
	enum time_order opt = r->st->dates;
	const char *optname = opt == TIME_ORDER_DMY ? "dmy" : "mdy";
	if (r->line_dmy && r->line_mdy && r->amb_rows) {
		w = xasprintf("its dates are in both orders (line %llu can only be read day-first, line %llu "
			      "only month-first): the %llu that could be either way round were read %s",
			      (unsigned long long)r->line_dmy, (unsigned long long)r->line_mdy,
			      (unsigned long long)r->amb_rows, order_name(r->nm.dates));
	} else if (r->amb_before) {
		enum time_order o = r->nm.dates, other = o == TIME_ORDER_DMY ? TIME_ORDER_MDY : TIME_ORDER_DMY;
		w = xasprintf("line %llu's date can only be read %s, but the %llu dates before it that could be "
			      "either way round (from line %llu) were read %s; load the file again into a new "
			      "case with --dates=%s",
			      (unsigned long long)(o == TIME_ORDER_DMY ? r->line_dmy : r->line_mdy),
			      order_name(o), (unsigned long long)r->amb_before, (unsigned long long)r->amb_line,
			      order_name(other), o == TIME_ORDER_DMY ? "dmy" : "mdy");
	} else if (r->amb_rows && !r->dates_proven) {
		w = xasprintf("every numeric date in it could be read day-first or month-first (from line "
			      "%llu; 07/12/2026 is 7 December or July 12): its %llu were read %s%s",
			      (unsigned long long)r->amb_line, (unsigned long long)r->amb_rows,
			      order_name(r->nm.dates),
			      opt ? (opt == TIME_ORDER_DMY ? ", as --dates=dmy says" : ", as --dates=mdy says")
				  : ", as the US portals write them; if the file was saved where dates are "
				    "written day first, load it into a new case with --dates=dmy");
	} else if (opt && r->dates_proven && r->nm.dates != opt && (r->line_dmy == 0) != (r->line_mdy == 0)) {
		w = xasprintf("--dates=%s set aside: line %llu's date can only be read %s", optname,
			      (unsigned long long)(r->line_dmy ? r->line_dmy : r->line_mdy),
			      order_name(r->nm.dates));
	}
	if (w)
		ingest_add_warning(r->st, w);
	free(w);
}

int ingest_csv(struct stream *s, const struct sink *sink, volatile sig_atomic_t *stop,
	       struct ingest_stats *st, char **cause)
{
	struct creader r;
	memset(&r, 0, sizeof r);
	r.sink = sink;
	r.st = st;
	r.stream = signin_stream_of(st->name);
	norm_init(&r.nm);
	int rc = 0;

	if (stream_need(s, 6) < 0)
		return set_cause(cause, "read error");
	bool typeline = stream_avail(s) >= 5 && memcmp(stream_ptr(s), "#TYPE", 5) == 0;
	csv_init(&r.c, s, ',');
	if (typeline)
		csv_skip_line(&r.c);
	/* The delimiter, from the header line; or said on a line of its
	 * own before it, as Excel writes and reads it ("sep=;"): its rows
	 * were all rejected, the header taken for that line */
	char sep = 0;
	if (stream_need(s, 7) < 0)
		return set_cause(cause, "read error");
	const char *h = stream_ptr(s);
	size_t hn = stream_avail(s);
	if (hn >= 5 && !strncasecmp(h, "sep=", 4) && h[4] != '\r' && h[4] != '\n' &&
	    (hn == 5 || h[5] == '\r' || h[5] == '\n')) {
		sep = h[4];
		csv_skip_line(&r.c);
	}
	for (;;) {
		const char *nl = memchr(stream_ptr(s), '\n', stream_avail(s));
		if (nl || stream_need(s, stream_avail(s) + 1) != 0)
			break;
	}
	r.c.delim = sep ? sep : csv_sniff_delim(stream_ptr(s), stream_avail(s));

	int k;
	do {
		k = csv_next(&r.c);
	} while (k == CSV_ROW && r.c.nf == 1 && r.c.f[0].n == 0); /* blank lines */
	if (k != CSV_ROW) {
		if (k == CSV_IOERR)
			rc = set_cause(cause, "read error");
		else if (k == CSV_BAD)
			st->error = xasprintf("line %llu: unreadable CSV header (%s)",
					      (unsigned long long)r.c.rec_line, r.c.why);
		goto out;
	}
	map_header(&r);
	enum rec_kind rows_kind = REC_UNKNOWN;
	if (r.fam == F_UNKNOWN && (rows_kind = rows_header(&r)) != REC_UNKNOWN)
		r.fam = F_ROWS;
	st->format = r.fam == F_ROWS ? rows_format(rows_kind, r.sentinel) : family_name(r.fam);
	/* AuditData, the raw record of each row, split straight into the
	 * sink's buffer (the case store's batch) rather than into the
	 * reader's scratch and copied from there */
	if (r.fam == F_PURVIEW || r.fam == F_PURVIEW_CLASSIC || r.fam == F_PSH)
		csv_set_room(&r.c, r.col[C_AUDITDATA], sink->room, sink->ctx);
	if (r.fam == F_UNKNOWN) {
		/* Not a log this reader knows: refused whole, every row counted
		 * (and kept), one line saying why. */
		size_t n = r.c.rawlen > 120 ? 120 : r.c.rawlen;
		char *hdr = xasprintf("%.*s%s", (int)n, r.c.raw, r.c.rawlen > n ? "..." : "");
		uint64_t hline = r.c.rec_line, rows = 0;
		for (;;) {
			k = csv_next(&r.c);
			if (k == CSV_EOF || k == CSV_IOERR || (stop && *stop))
				break;
			if (k == CSV_ROW && r.c.nf == 1 && r.c.f[0].n == 0)
				continue;
			rows++;
			if ((rc = reject_row(&r, "not a recognised log (the file's header is not a known export)",
					     cause)) < 0)
				break;
		}
		if (k == CSV_IOERR && rc == 0)
			rc = set_cause(cause, "read error");
		if (rows == 0 && rc == 0) {
			st->records++;
			st->rejects++;
			/* a header alone: the reason stands for the file (the
			 * header's text is in the source's error line) */
			rc = sink->reject(sink->ctx, hline, "not a recognised audit export header", "", 0,
					  cause);
		}
		st->error = rows ? xasprintf("line %llu: not a recognised audit export header: %s "
					     "(the file's %llu rows were refused)",
					     (unsigned long long)hline, hdr, (unsigned long long)rows)
				 : xasprintf("line %llu: not a recognised audit export header: %s",
					     (unsigned long long)hline, hdr);
		free(hdr);
		goto out;
	}
	if (r.fam == F_SIGNIN || r.fam == F_ROWS) {
		r.track_dates = true;
		if (dates_look_ahead(&r, s) < 0) {
			rc = set_cause(cause, "read error");
			goto out;
		}
	} else {
		r.nm.dates = st->dates;
	}
	for (;;) {
		if (stop && *stop)
			break;
		k = csv_next(&r.c);
		if (k == CSV_EOF)
			break;
		if (k == CSV_IOERR) {
			rc = set_cause(cause, "read error");
			break;
		}
		if (k == CSV_BAD) {
			rc = reject_row(&r, r.c.why, cause);
		} else if (r.c.nf == 1 && r.c.f[0].n == 0) {
			continue; /* blank line */
		} else if (r.fam == F_SIGNIN) {
			rc = signin_row(&r, cause);
		} else if (r.fam == F_ROWS) {
			rc = rows_row(&r, cause);
		} else {
			rc = ual_row(&r, cause);
		}
		if (rc < 0)
			break;
	}
	if (rc == 0) {
		char *w = psh_missing(&r);
		if (w)
			ingest_add_warning(st, w);
		free(w);
	}
	if (rc == 0 && r.track_dates) {
		dates_warning(&r);
	} else if (rc == 0 && (r.nm.dates_seen & TIME_SEEN_AMBIGUOUS)) {
		char *w = xasprintf("records without a time of their own took the export's date column, "
				    "whose day and month could be either way round (07/12/2026): read %s",
				    order_name(r.nm.dates == TIME_ORDER_DMY ? TIME_ORDER_DMY : TIME_ORDER_MDY));
		ingest_add_warning(st, w);
		free(w);
	}
	if (rc == 0 && r.local_col && st->records > st->rejects) {
		char *w = xasprintf("the column \"%s\" holds local time of the machine that exported it, "
				    "whose offset the file does not say: its times were read as UTC and may be "
				    "hours off; export again with the portal's time zone set to UTC",
				    r.local_col);
		ingest_add_warning(st, w);
		free(w);
	}
out:
	for (size_t i = 0; i < r.nnodes; i++)
		free(r.nodes[i].name);
	free(r.nodes);
	free(r.nhash);
	free(r.skipcol);
	if (r.zone)
		for (size_t i = 0; i < r.nhdr; i++)
			free(r.zone[i]);
	free(r.zone);
	free(r.seen);
	for (size_t i = 0; i < r.nhdr; i++)
		free(r.hdr[i]);
	free(r.hdr);
	free(r.jbuf);
	csv_free(&r.c);
	norm_free(&r.nm);
	return rc;
}
