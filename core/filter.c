/*
 * filter.c: the filter language of filter.h: a hand-written recursive
 * descent parser into a small tree, its canonical printer, and the
 * compiler from tree to a SQL condition whose values are all bound.
 *
 * Values that name interned strings (user=, op=, app=Name, ip=CIDR ...)
 * are resolved to value ids while compiling, so that the condition SQLite
 * sees is e.user = ?, which its (user, ts) index answers in time order.
 */
#include "filter.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "json_scan.h"
#include "sigma_field.h"
#include "knownapps.h"
#include "store.h"
#include "timeparse.h"
#include "util.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

/* ------------------------------------------------------------------ */
/* Fields */

#define TXT (FIELD_TEXT)
static const struct filter_field fields[] = {
	{ "time", "ts", FIELD_TIME | FIELD_INDEXED, "event time (UTC): 2023-06-16, 2023-06-16T10:00, -7d" },
	{ "user", "user", TXT | FIELD_INDEXED | FIELD_NOCASE | FIELD_LOWER, "user (UPN), any case" },
	{ "app", "app", TXT | FIELD_INDEXED | FIELD_NOCASE | FIELD_LOWER, "app id, or an app's name" },
	{ "client_app", "client_app", TXT | FIELD_NOCASE | FIELD_LOWER, "client app id (ClientAppId), or a name" },
	{ "ip", "ip", TXT | FIELD_INDEXED | FIELD_NOCASE | FIELD_LOWER, "client IP, or a CIDR block 203.0.113.0/24" },
	{ "op", "op", TXT | FIELD_INDEXED | FIELD_NOCASE, "operation, any case" },
	{ "workload", "workload", TXT | FIELD_NOCASE, "Exchange, AzureActiveDirectory, SharePoint ..." },
	{ "record_type", "rtype", TXT | FIELD_NOCASE, "record type name, or its number (50)" },
	{ "result", "result", TXT | FIELD_NOCASE, "Succeeded, Failed, an error code ..." },
	{ "session", "session", TXT | FIELD_INDEXED, "session id (exact)" },
	{ "token", "token", TXT, "unique token id (exact)" },
	{ "mailbox", "mailbox", TXT | FIELD_NOCASE | FIELD_LOWER, "mailbox owner, any case" },
	{ "access", "access", TXT | FIELD_NOCASE, "mail access type: Bind or Sync" },
	{ "client_info", "client_info", TXT, "client info string / user agent (exact)" },
	{ "detail", "detail", TXT | FIELD_NOCASE, "the kind's key detail: Graph method and URI, message, resource, risk" },
	{ "country", "country", FIELD_GEO | FIELD_NOCASE, "the IP's country (ISO code: DE, US), from offline databases" },
	{ "asn", "asn", FIELD_GEO, "the IP's autonomous system number: 8075 or AS8075" },
	{ "as_org", "as_org", FIELD_GEO | FIELD_NOCASE, "the IP's network owner, any case" },
	{ "kind", "kind", FIELD_KIND, "kind of log: ual signin directory_audit graph_activity message_trace "
				      "azure_activity risk alert xdr generic" },
	{ "record_id", "record_id", FIELD_PLAIN, "the record's id (exact)" },
	{ "source", "source", FIELD_SOURCE, "source file: its path or file name" },
	{ "op_count", "op_count", FIELD_NUMBER, "OperationCount of the record" },
	{ "line", "line", FIELD_NUMBER, "line (or record number) in its source" },
};
#undef TXT
#define NFIELDS (sizeof fields / sizeof fields[0])

static const struct {
	const char *alias, *name;
} aliases[] = {
	{ "operation", "op" },	       { "rtype", "record_type" },	{ "recordtype", "record_type" },
	{ "userid", "user" },	       { "appid", "app" },		{ "clientappid", "client_app" },
	{ "client_ip", "ip" },	       { "clientip", "ip" },		{ "session_id", "session" },
	{ "sessionid", "session" },    { "token_id", "token" },		{ "mail_access", "access" },
	{ "ts", "time" },	       { "date", "time" },		{ "useragent", "client_info" },
	{ "user_agent", "client_info" }, { "id", "record_id" },		{ "operationcount", "op_count" },
};

const struct filter_field *filter_fields(size_t *n)
{
	if (n)
		*n = NFIELDS;
	return fields;
}

const struct filter_field *filter_field_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcasecmp(aliases[i].alias, name) == 0)
			name = aliases[i].name;
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcasecmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static const struct filter_field *filter_field_find_n(const char *name, size_t n)
{
	if (n >= 64)
		return NULL;
	char buf[64];
	memcpy(buf, name, n);
	buf[n] = '\0';
	return filter_field_find(buf);
}

/* ------------------------------------------------------------------ */
/* The tree */

enum ntype { N_AND, N_OR, N_NOT, N_TERM, N_TEXT, N_MARKED };
enum tkind { TK_FIELD, TK_JSON, TK_TAG, TK_RAW, TK_SIGMA };
enum op { OP_EQ, OP_NE, OP_RE, OP_NRE, OP_GT, OP_GE, OP_LT, OP_LE };
static const char *const op_text[] = { "=", "!=", "~", "!~", ">", ">=", "<", "<=" };

struct node {
	enum ntype t;
	struct node **kids; /* AND, OR: two or more; NOT: one */
	size_t nkids;
	/* N_TERM */
	enum tkind tk;
	const struct filter_field *f; /* TK_FIELD */
	char *path;                   /* TK_JSON: the path after "json."; TK_SIGMA: the field (NULL: keywords) */
	unsigned smods;               /* TK_SIGMA: its modifiers (sigma_field.h) */
	struct sigma_field *sf;       /* TK_SIGMA: the condition, built when parsed */
	enum op op;
	char **vals; /* N_TERM: one or more (a list for = and !=); N_TEXT: one */
	size_t nvals;
};

struct filter {
	struct node *root; /* NULL: empty */
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->nvals; i++)
		free(n->vals[i]);
	free(n->vals);
	free(n->path);
	sigma_field_free(n->sf);
	free(n);
}

void filter_free(struct filter *f)
{
	if (!f)
		return;
	node_free(f->root);
	free(f);
}

bool filter_is_empty(const struct filter *f)
{
	return !f || !f->root;
}

static struct node *node_new(enum ntype t)
{
	struct node *n = xcalloc(1, sizeof *n);
	n->t = t;
	return n;
}

static void node_add(struct node *parent, struct node *kid)
{
	parent->kids = xrealloc(parent->kids, (parent->nkids + 1) * sizeof *parent->kids);
	parent->kids[parent->nkids++] = kid;
}

/* a AND/OR b, flattening kids of the same type so that the tree (and the
 * canonical text) does not depend on how the analyst grouped them. */
static struct node *combine(enum ntype t, struct node *a, struct node *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	struct node *n;
	if (a->t == t) {
		n = a;
	} else {
		n = node_new(t);
		node_add(n, a);
	}
	if (b->t == t) {
		for (size_t i = 0; i < b->nkids; i++)
			node_add(n, b->kids[i]);
		b->nkids = 0;
		node_free(b);
	} else {
		node_add(n, b);
	}
	return n;
}

static void node_addval(struct node *n, char *v)
{
	n->vals = xrealloc(n->vals, (n->nvals + 1) * sizeof *n->vals);
	n->vals[n->nvals++] = v;
}

static struct node *node_copy(const struct node *n)
{
	if (!n)
		return NULL;
	struct node *c = node_new(n->t);
	c->tk = n->tk;
	c->f = n->f;
	c->path = n->path ? xstrdup(n->path) : NULL;
	c->op = n->op;
	for (size_t i = 0; i < n->nkids; i++)
		node_add(c, node_copy(n->kids[i]));
	for (size_t i = 0; i < n->nvals; i++)
		node_addval(c, xstrdup(n->vals[i]));
	c->smods = n->smods;
	if (n->sf && sigma_field_new(c->path, c->smods, c->vals, c->nvals, &c->sf, NULL) < 0)
		c->sf = NULL; /* cannot happen: n's own values built n->sf */
	return c;
}

/* ------------------------------------------------------------------ */
/* Parsing */

struct parser {
	const char *s, *p;
	char **cause;
	bool failed;
};

static size_t col_of(const struct parser *ps, const char *at)
{
	return (size_t)(at - ps->s) + 1;
}

__attribute__((format(printf, 3, 4))) static struct node *perr(struct parser *ps, const char *at,
							      const char *fmt, ...)
{
	if (ps->failed)
		return NULL;
	ps->failed = true;
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	set_cause(ps->cause, "filter: %s at column %zu", m, col_of(ps, at));
	free(m);
	return NULL;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p && isspace((unsigned char)*ps->p))
		ps->p++;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/* Ends a bare word: white space, parentheses, a quote, the end. */
static bool word_end(char c)
{
	return !c || isspace((unsigned char)c) || c == '(' || c == ')' || c == '"';
}

/* Is the bare word at p the keyword kw (any case)? */
static bool keyword_at(const char *p, const char *kw)
{
	size_t n = strlen(kw);
	return strncasecmp(p, kw, n) == 0 && word_end(p[n]);
}

/* The operator at p, its length in *len, or -1. */
static int op_at(const char *p, size_t *len)
{
	if (p[0] == '!' && p[1] == '=')
		return *len = 2, OP_NE;
	if (p[0] == '!' && p[1] == '~')
		return *len = 2, OP_NRE;
	if (p[0] == '>' && p[1] == '=')
		return *len = 2, OP_GE;
	if (p[0] == '<' && p[1] == '=')
		return *len = 2, OP_LE;
	if (p[0] == '=')
		return *len = 1, OP_EQ;
	if (p[0] == '~')
		return *len = 1, OP_RE;
	if (p[0] == '>')
		return *len = 1, OP_GT;
	if (p[0] == '<')
		return *len = 1, OP_LT;
	return -1;
}

/* A "quoted string" at ps->p: \" and \\ are escapes, any other backslash
 * is kept (regexes read naturally). */
static char *parse_quoted(struct parser *ps)
{
	const char *open = ps->p;
	size_t cap = 16, n = 0;
	char *out = xmalloc(cap);
	const char *p = open + 1;
	for (;;) {
		if (!*p) {
			free(out);
			perr(ps, open, "unterminated quote");
			return NULL;
		}
		if (*p == '"')
			break;
		char c = *p;
		if (c == '\\' && (p[1] == '"' || p[1] == '\\'))
			c = *++p;
		out = xgrow(out, &cap, n + 2, 1);
		out[n++] = c;
		p++;
	}
	out[n] = '\0';
	ps->p = p + 1;
	return out;
}

/* A bare value: up to white space, a ',' when in a list, or a ')' that
 * closes a parenthesis opened before the value (so that regexes such as
 * ^(New|Set)-InboxRule need no quotes). */
static char *parse_bare(struct parser *ps, bool list)
{
	const char *st = ps->p, *p = st;
	int depth = 0;
	while (*p && !isspace((unsigned char)*p)) {
		if (list && *p == ',')
			break;
		if (*p == '(')
			depth++;
		if (*p == ')') {
			if (depth == 0)
				break;
			depth--;
		}
		p++;
	}
	ps->p = p;
	return xstrndup(st, (size_t)(p - st));
}

/* Is a list of regexes or a number/time value acceptable? Checked while
 * parsing so that errors point at the value. */
static bool check_regex(struct parser *ps, const char *at, const char *re)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
				      &err, &off, NULL);
	if (c) {
		pcre2_code_free(c);
		return true;
	}
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(err, msg, sizeof msg);
	perr(ps, at, "bad regular expression (%s at offset %zu)", (char *)msg, (size_t)off);
	return false;
}

static bool parse_int(const char *s, int64_t *out)
{
	char *end;
	if (!*s)
		return false;
	long long v = strtoll(s, &end, 10);
	if (*end)
		return false;
	*out = v;
	return true;
}

/* Relative time: -7d, -12h, -30m, -90s, -2w; into ms before the last event. */
static bool parse_relative(const char *s, int64_t *ms)
{
	if (s[0] != '-' || !isdigit((unsigned char)s[1]))
		return false;
	char *end;
	long long v = strtoll(s + 1, &end, 10);
	int64_t unit;
	switch (*end) {
	case 's': unit = 1000; break;
	case 'm': unit = 60000; break;
	case 'h': unit = 3600000; break;
	case 'd': unit = 86400000; break;
	case 'w': unit = 7 * 86400000LL; break;
	default: return false;
	}
	if (end[1] || v > 100000LL * 365)
		return false;
	*ms = v * unit;
	return true;
}

/* The span an absolute time text names: a day, a minute, a second or a
 * millisecond, by how much of the clock it gives. */
static int64_t time_span(const char *s)
{
	const char *t = s;
	/* the clock starts after the date: at 'T' or the first space */
	while (*t && *t != 'T' && *t != 't' && *t != ' ')
		t++;
	if (!*t)
		return 86400000;
	int colons = 0;
	for (const char *p = t + 1; *p && *p != 'Z' && *p != 'z' && *p != '+' && *p != '-'; p++) {
		if (*p == '.' || *p == ',')
			return 1;
		if (*p == ':')
			colons++;
		if ((*p == 'A' || *p == 'P' || *p == 'a' || *p == 'p') && colons == 1)
			return 60000;
	}
	return colons >= 2 ? 1000 : colons == 1 ? 60000 : 86400000;
}

int filter_time_parse(const char *s, int64_t last_ts, int64_t *from, int64_t *to, char **cause)
{
	int64_t rel;
	if (parse_relative(s, &rel)) {
		*from = last_ts - rel;
		*to = *from + 1;
		return 0;
	}
	int64_t ms;
	if (!time_parse(s, strlen(s), &ms)) {
		set_cause(cause, "filter: '%s' is not a time (2023-06-16, 2023-06-16T10:00, -7d)", s);
		return -1; /* spelt out: scan-build cannot see that set_cause returns it */
	}
	*from = ms;
	*to = ms + time_span(s);
	return 0;
}

/* Parse an IPv4 or IPv6 CIDR block. */
struct cidr {
	unsigned char addr[16];
	int family, bits;
};

static bool cidr_parse(const char *s, struct cidr *c)
{
	const char *slash = strchr(s, '/');
	if (!slash || slash - s >= 64)
		return false;
	char a[64];
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	int64_t bits;
	if (!parse_int(slash + 1, &bits))
		return false;
	memset(c, 0, sizeof *c);
	if (inet_pton(AF_INET, a, c->addr) == 1) {
		c->family = AF_INET;
		if (bits < 0 || bits > 32)
			return false;
	} else if (inet_pton(AF_INET6, a, c->addr) == 1) {
		c->family = AF_INET6;
		if (bits < 0 || bits > 128)
			return false;
	} else {
		return false;
	}
	c->bits = (int)bits;
	return true;
}

static bool cidr_contains(const struct cidr *c, const char *ip)
{
	unsigned char a[16];
	if (inet_pton(c->family, ip, a) != 1)
		return false;
	int full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(a, c->addr, (size_t)full) != 0)
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((a[full] & mask) != (c->addr[full] & mask))
			return false;
	}
	return true;
}

static bool check_value(struct parser *ps, const struct node *n, const char *at, const char *v)
{
	if (n->op == OP_RE || n->op == OP_NRE)
		return check_regex(ps, at, v);
	if (n->tk != TK_FIELD || !*v)
		return true;
	if (n->f->flags & FIELD_TIME) {
		int64_t a, b, rel;
		if (parse_relative(v, &rel) || filter_time_parse(v, 0, &a, &b, NULL) == 0)
			return true;
		perr(ps, at, "expected a time after '%s%s', got '%s' (2023-06-16, 2023-06-16T10:00, -7d)",
		     n->f->name, op_text[n->op], v);
		return false;
	}
	if (n->f->flags & FIELD_KIND) {
		if (event_kind_parse(v) >= 0)
			return true;
		perr(ps, at, "expected a kind of log after '%s%s', got '%s' (ual, signin, directory_audit, "
			     "graph_activity, message_trace, azure_activity, risk, alert, xdr, generic)",
		     n->f->name, op_text[n->op], v);
		return false;
	}
	if (!strcmp(n->f->name, "asn")) {
		int64_t x;
		if (parse_int(v + (strncasecmp(v, "as", 2) == 0 ? 2 : 0), &x))
			return true;
		perr(ps, at, "expected an AS number after 'asn%s', got '%s' (8075 or AS8075)", op_text[n->op], v);
		return false;
	}
	if (n->f->flags & FIELD_NUMBER) {
		int64_t x;
		if (parse_int(v, &x))
			return true;
		perr(ps, at, "expected a number after '%s%s', got '%s'", n->f->name, op_text[n->op], v);
		return false;
	}
	if (!strcmp(n->f->name, "ip") && strchr(v, '/')) {
		struct cidr c;
		if (cidr_parse(v, &c))
			return true;
		perr(ps, at, "expected an address block such as 203.0.113.0/24, got '%s'", v);
		return false;
	}
	return true;
}

/* field OP value[,value...] with the name already read (name .. name_end). */
static struct node *parse_term(struct parser *ps, const char *name, const char *name_end, int op,
			       size_t oplen)
{
	char *nm = xstrndup(name, (size_t)(name_end - name));
	struct node *n = node_new(N_TERM);
	n->op = (enum op)op;
	if (strncasecmp(nm, "sigma", 5) == 0 && (!nm[5] || nm[5] == '.' || nm[5] == '|')) {
		/* sigma.FIELD|mod|mod (sigma_field.h); sigma|mods: keywords */
		n->tk = TK_SIGMA;
		char *bar = strchr(nm, '|');
		size_t flen = (size_t)((bar ? bar : nm + strlen(nm)) - nm);
		if (nm[5] == '.' && flen == 6) {
			free(nm);
			node_free(n);
			return perr(ps, name, "expected a field after 'sigma.' such as sigma.Operation");
		}
		n->path = flen > 6 ? xstrndup(nm + 6, flen - 6) : NULL;
		char *why = NULL;
		if (bar && sigma_mods_parse(bar + 1, strlen(bar + 1), &n->smods, &why) < 0) {
			perr(ps, name + (bar - nm) + 1, "%s", why);
			free(why);
			free(nm);
			node_free(n);
			return NULL;
		}
		if (op != OP_EQ && op != OP_NE) {
			free(nm);
			node_free(n);
			return perr(ps, name_end, "'sigma' terms take = or !=, not '%s'", op_text[op]);
		}
	} else if (strncasecmp(nm, "json.", 5) == 0) {
		n->tk = TK_JSON;
		if (!nm[5] || nm[strlen(nm) - 1] == '.' || strstr(nm, "..")) {
			free(nm);
			node_free(n);
			return perr(ps, name, "expected a path after 'json.' such as json.Parameters.ForwardTo");
		}
		n->path = xstrdup(nm + 5);
	} else if (strcasecmp(nm, "tag") == 0) {
		n->tk = TK_TAG;
	} else if (strcasecmp(nm, "raw") == 0) {
		n->tk = TK_RAW;
	} else {
		n->tk = TK_FIELD;
		n->f = filter_field_find(nm);
		if (!n->f) {
			node_free(n);
			perr(ps, name, "unknown field '%s'", nm);
			free(nm);
			return NULL;
		}
	}
	/* which operators the field takes */
	bool ordered = n->tk == TK_FIELD && (n->f->flags & (FIELD_TIME | FIELD_NUMBER));
	if (n->tk == TK_SIGMA)
		ordered = true; /* checked above: = and != only */
	bool is_re = op == OP_RE || op == OP_NRE;
	const char *bad = NULL;
	if (n->tk == TK_RAW && !is_re)
		bad = "~ or !~ (a regular expression over the whole record)";
	else if (op >= OP_GT && !ordered)
		bad = "=, !=, ~ or !~";
	else if (is_re && ordered)
		bad = "=, !=, <, <=, > or >=";
	if (bad) {
		const char *shown = n->tk == TK_FIELD ? n->f->name : nm;
		perr(ps, name_end, "'%s' takes %s, not '%s'", shown, bad, op_text[op]);
		free(nm);
		node_free(n);
		return NULL;
	}
	free(nm);
	ps->p = name_end + oplen;
	bool list = op == OP_EQ || op == OP_NE;
	const char *after = ps->p;
	for (;;) {
		const char *at = ps->p;
		char *v;
		if (*ps->p == '"') {
			v = parse_quoted(ps);
			if (!v) {
				node_free(n);
				return NULL;
			}
			if (!word_end(*ps->p) && !(list && *ps->p == ',')) {
				free(v);
				node_free(n);
				return perr(ps, ps->p, "expected a space after the closing quote");
			}
		} else {
			v = word_end(*ps->p) && *ps->p != '(' ? xstrdup("") : parse_bare(ps, list);
			if (!*v) {
				char *shown = at == after ? xstrndup(name, (size_t)(after - name)) : xstrdup(",");
				perr(ps, at, "expected a value after '%s'", shown);
				free(shown);
				free(v);
				node_free(n);
				return NULL;
			}
		}
		if (!check_value(ps, n, at, v)) {
			free(v);
			node_free(n);
			return NULL;
		}
		node_addval(n, v);
		if (list && *ps->p == ',') {
			ps->p++;
			continue;
		}
		break;
	}
	if (n->tk == TK_SIGMA) {
		char *why = NULL;
		if (sigma_field_new(n->path, n->smods, n->vals, n->nvals, &n->sf, &why) < 0) {
			perr(ps, after, "%s", why);
			free(why);
			node_free(n);
			return NULL;
		}
	}
	return n;
}

static struct node *parse_or(struct parser *ps, int depth);

static struct node *parse_primary(struct parser *ps, int depth)
{
	skip_ws(ps);
	const char *at = ps->p;
	if (*at == '(') {
		if (depth > 64)
			return perr(ps, at, "too many nested parentheses");
		ps->p++;
		struct node *n = parse_or(ps, depth + 1);
		if (ps->failed)
			return NULL;
		skip_ws(ps);
		if (!n) {
			return perr(ps, ps->p, "expected a term after '('");
		}
		if (*ps->p != ')') {
			node_free(n);
			return perr(ps, ps->p, "expected ')' to close the '(' of column %zu", col_of(ps, at));
		}
		ps->p++;
		return n;
	}
	if (*at == ')')
		return perr(ps, at, "unexpected ')'");
	if (*at == '"') {
		char *v = parse_quoted(ps);
		if (!v)
			return NULL;
		if (!word_end(*ps->p)) {
			free(v);
			return perr(ps, ps->p, "expected a space after the closing quote");
		}
		if (!*v) {
			free(v);
			return perr(ps, at, "expected text between the quotes");
		}
		struct node *n = node_new(N_TEXT);
		node_addval(n, v);
		return n;
	}
	/* field OP value, or a bare word */
	const char *p = at;
	while (name_char(*p))
		p++;
	size_t oplen;
	if (strncasecmp(at, "sigma", 5) == 0 && (at[5] == '.' || at[5] == '|' || op_at(at + 5, &oplen) >= 0)) {
		while (name_char(*p) || *p == '|' || *p == '-')
			p++;
	}
	int op = p > at ? op_at(p, &oplen) : -1;
	if (op >= 0)
		return parse_term(ps, at, p, op, oplen);
	/* "user = x": say what is wrong rather than search for "user" */
	if (p > at && word_end(*p) && (filter_field_find_n(at, (size_t)(p - at)) || strncasecmp(at, "json.", 5) == 0)) {
		const char *q = p;
		while (*q && isspace((unsigned char)*q))
			q++;
		if (q > p && op_at(q, &oplen) >= 0)
			return perr(ps, p, "no space is allowed before '%.*s'", (int)oplen, q);
	}
	while (!word_end(*p))
		p++;
	ps->p = p;
	if (keyword_at(at, "marked"))
		return node_new(N_MARKED);
	struct node *n = node_new(N_TEXT);
	node_addval(n, xstrndup(at, (size_t)(p - at)));
	return n;
}

static bool at_operand_end(struct parser *ps)
{
	skip_ws(ps);
	return !*ps->p || *ps->p == ')' || keyword_at(ps->p, "or");
}

static struct node *parse_unary(struct parser *ps, int depth)
{
	skip_ws(ps);
	const char *at = ps->p;
	bool neg = false;
	if (keyword_at(at, "not")) {
		ps->p += 3;
		neg = true;
	} else if (*at == '-' && (isalpha((unsigned char)at[1]) || at[1] == '(' || at[1] == '"' || at[1] == '_')) {
		ps->p++;
		neg = true;
	}
	if (!neg && *at == '-' && word_end(at[1]) && at[1] != '(' && at[1] != '"')
		return perr(ps, at + 1, "expected a term after '-'");
	if (neg) {
		if (depth > 64)
			return perr(ps, at, "too deeply nested");
		if (at_operand_end(ps) || keyword_at(ps->p, "and"))
			return perr(ps, ps->p, "expected a term after '%s'", *at == '-' ? "-" : "not");
		struct node *k = parse_unary(ps, depth + 1);
		if (!k)
			return NULL;
		/* not not x is x */
		if (k->t == N_NOT) {
			struct node *x = k->kids[0];
			k->nkids = 0;
			node_free(k);
			return x;
		}
		struct node *n = node_new(N_NOT);
		node_add(n, k);
		return n;
	}
	return parse_primary(ps, depth);
}

static struct node *parse_and(struct parser *ps, int depth)
{
	struct node *acc = NULL;
	for (;;) {
		if (at_operand_end(ps))
			break;
		if (keyword_at(ps->p, "and")) {
			const char *kw = ps->p;
			if (!acc) {
				return perr(ps, kw, "expected a term before 'and'");
			}
			ps->p += 3;
			if (at_operand_end(ps) || keyword_at(ps->p, "and")) {
				node_free(acc);
				return perr(ps, ps->p, "expected a term after 'and'");
			}
		}
		struct node *k = parse_unary(ps, depth);
		if (!k) {
			node_free(acc);
			return NULL;
		}
		acc = combine(N_AND, acc, k);
	}
	return acc;
}

static struct node *parse_or(struct parser *ps, int depth)
{
	struct node *acc = parse_and(ps, depth);
	if (ps->failed)
		return NULL;
	for (;;) {
		skip_ws(ps);
		if (!keyword_at(ps->p, "or"))
			break;
		const char *kw = ps->p;
		if (!acc)
			return perr(ps, kw, "expected a term before 'or'");
		ps->p += 2;
		struct node *b = parse_and(ps, depth);
		if (ps->failed) {
			node_free(acc);
			return NULL;
		}
		if (!b) {
			node_free(acc);
			return perr(ps, ps->p, "expected a term after 'or'");
		}
		acc = combine(N_OR, acc, b);
	}
	return acc;
}

struct filter *filter_parse(const char *text, char **cause)
{
	struct parser ps = { .s = text ? text : "", .p = text ? text : "", .cause = cause };
	struct node *root = parse_or(&ps, 0);
	if (ps.failed)
		return NULL;
	skip_ws(&ps);
	if (*ps.p) {
		node_free(root);
		perr(&ps, ps.p, "unexpected '%c'", *ps.p);
		return NULL;
	}
	struct filter *f = xcalloc(1, sizeof *f);
	f->root = root;
	return f;
}

/* ------------------------------------------------------------------ */
/* Printing */

static void put_quoted(struct util_buf *b, const char *v)
{
	util_buf_puts(b, "\"");
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			util_buf_puts(b, "\\");
		util_buf_add(b, p, 1);
	}
	util_buf_puts(b, "\"");
}

/* Would v read back as itself when written bare as a value? */
static bool value_bare_ok(const char *v, bool list)
{
	if (!*v || *v == '"')
		return false;
	int depth = 0;
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (isspace(c) || c < 0x20 || c == 0x7f || (list && c == ','))
			return false;
		if (c == '(')
			depth++;
		if (c == ')' && --depth < 0)
			return false;
	}
	return depth == 0;
}

/* Would v read back as the same free text when written bare? */
static bool text_bare_ok(const char *v)
{
	if (!*v || *v == '-')
		return false;
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (isspace(c) || c < 0x20 || c == 0x7f || strchr("\"()=~<>!\\", c))
			return false;
	}
	static const char *const kw[] = { "and", "or", "not", "marked" };
	for (size_t i = 0; i < 4; i++)
		if (strcasecmp(v, kw[i]) == 0)
			return false;
	return true;
}

char *filter_quote(const char *value)
{
	struct util_buf b = { 0 };
	if (value_bare_ok(value, true))
		util_buf_puts(&b, value);
	else
		put_quoted(&b, value);
	return util_buf_take(&b);
}

static void print_node(struct util_buf *b, const struct node *n, enum ntype parent)
{
	switch (n->t) {
	case N_AND:
	case N_OR: {
		/* "and" binds tighter than "or"; "not" tighter than both */
		bool paren = parent == N_NOT || (n->t == N_OR && parent == N_AND);
		if (paren)
			util_buf_puts(b, "(");
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				util_buf_puts(b, n->t == N_AND ? " " : " or ");
			print_node(b, n->kids[i], n->t);
		}
		if (paren)
			util_buf_puts(b, ")");
		break;
	}
	case N_NOT:
		util_buf_puts(b, "not ");
		print_node(b, n->kids[0], N_NOT);
		break;
	case N_MARKED:
		util_buf_puts(b, "marked");
		break;
	case N_TEXT:
		if (text_bare_ok(n->vals[0]))
			util_buf_puts(b, n->vals[0]);
		else
			put_quoted(b, n->vals[0]);
		break;
	case N_TERM: {
		if (n->tk == TK_SIGMA) {
			char *m = sigma_mods_text(n->smods);
			util_buf_printf(b, "sigma%s%s%s", n->path ? "." : "", n->path ? n->path : "", m);
			free(m);
		} else if (n->tk == TK_JSON)
			util_buf_printf(b, "json.%s", n->path);
		else if (n->tk == TK_TAG)
			util_buf_puts(b, "tag");
		else if (n->tk == TK_RAW)
			util_buf_puts(b, "raw");
		else
			util_buf_puts(b, n->f->name);
		util_buf_puts(b, op_text[n->op]);
		bool list = n->op == OP_EQ || n->op == OP_NE;
		for (size_t i = 0; i < n->nvals; i++) {
			if (i)
				util_buf_puts(b, ",");
			if (value_bare_ok(n->vals[i], list))
				util_buf_puts(b, n->vals[i]);
			else
				put_quoted(b, n->vals[i]);
		}
		break;
	}
	}
}

char *filter_canonical(const struct filter *f)
{
	struct util_buf b = { 0 };
	if (f && f->root)
		print_node(&b, f->root, N_OR);
	return util_buf_take(&b);
}

char *filter_pivot(const char *text, const char *field, const char *value, enum filter_pivot how,
		   char **cause)
{
	struct filter *f = filter_parse(text, cause);
	if (!f)
		return NULL;
	struct node *t = node_new(N_TERM);
	t->op = how == FILTER_EXCLUDE ? OP_NE : OP_EQ;
	if (field && strncasecmp(field, "json.", 5) == 0 && field[5]) {
		t->tk = TK_JSON;
		t->path = xstrdup(field + 5);
	} else if (field && strcasecmp(field, "tag") == 0) {
		t->tk = TK_TAG;
	} else {
		t->tk = TK_FIELD;
		t->f = filter_field_find(field);
		if (!t->f) {
			node_free(t);
			filter_free(f);
			set_cause(cause, "filter: unknown field '%s'", field ? field : "");
			return NULL;
		}
	}
	node_addval(t, xstrdup(value ? value : ""));
	/* the same term twice adds nothing */
	struct util_buf tb = { 0 };
	print_node(&tb, t, N_AND);
	bool dup = false;
	if (f->root) {
		struct node *r = f->root;
		size_t nk = r->t == N_AND ? r->nkids : 1;
		for (size_t i = 0; i < nk && !dup; i++) {
			struct util_buf kb = { 0 };
			print_node(&kb, r->t == N_AND ? r->kids[i] : r, N_AND);
			dup = strcmp(kb.p, tb.p) == 0;
			free(kb.p);
		}
	}
	free(tb.p);
	if (dup)
		node_free(t);
	else
		f->root = combine(N_AND, f->root, t);
	char *s = filter_canonical(f);
	filter_free(f);
	return s;
}

/* ------------------------------------------------------------------ */
/* SQL functions */

/*
 * A pattern that backtracks without end (raw~(.*a){25}) must neither run
 * for minutes nor count as "no match": each match is bounded (a million
 * backtracking steps, a few milliseconds, so that a cancel is answered
 * between two records), and a match that hits the bound fails the query
 * with an error that names it.
 */
#define RE_MATCH_LIMIT 1000000
#define RE_DEPTH_LIMIT 100000

struct re_cache {
	pcre2_code *re;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	int err; /* the last match's PCRE2 error (a limit), 0 if none */
};

static void re_cache_free(void *p)
{
	struct re_cache *rc = p;
	if (!rc)
		return;
	pcre2_match_data_free(rc->md);
	pcre2_match_context_free(rc->mc);
	pcre2_code_free(rc->re);
	free(rc);
}

static struct re_cache *re_cache_new(const char *pattern, size_t n, char **why)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, n, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(err, msg, sizeof msg);
		if (why)
			*why = xasprintf("bad regular expression: %s", (char *)msg);
		return NULL;
	}
	/* JIT makes matching several times faster; where it is missing the
	 * interpreter does the same work */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	struct re_cache *rc = xcalloc(1, sizeof *rc);
	rc->re = re;
	rc->md = pcre2_match_data_create(1, NULL);
	rc->mc = pcre2_match_context_create(NULL);
	if (rc->mc) {
		pcre2_set_match_limit(rc->mc, RE_MATCH_LIMIT);
		pcre2_set_depth_limit(rc->mc, RE_DEPTH_LIMIT);
	}
	if (!rc->md || !rc->mc) {
		re_cache_free(rc);
		if (why)
			*why = xstrdup("out of memory");
		return NULL;
	}
	return rc;
}

/* Does s match? An error (a limit hit) is remembered in rc->err and
 * answers true, so that a prefilter never rules a record out on it. */
static bool re_match(struct re_cache *rc, const char *s, size_t n)
{
	int r = pcre2_match(rc->re, (PCRE2_SPTR)s, n, 0, 0, rc->md, rc->mc);
	if (r >= 0)
		return true;
	if (r == PCRE2_ERROR_NOMATCH)
		return false;
	rc->err = r;
	return true;
}

/* Fail the SQL function with rc's limit error, if its last match hit one;
 * the pattern is shown as written (without the (?i) the compiler adds). */
static bool re_failed(sqlite3_context *ctx, struct re_cache *rc, sqlite3_value *pattern)
{
	if (!rc->err)
		return false;
	const char *pat = (const char *)sqlite3_value_text(pattern);
	if (pat && strncmp(pat, "(?i)", 4) == 0)
		pat += 4;
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(rc->err, msg, sizeof msg);
	char *why = xasprintf("regular expression %s: %s (PCRE2 match limit %d): make it more specific",
			      pat ? pat : "", (char *)msg, RE_MATCH_LIMIT);
	sqlite3_result_error(ctx, why, -1);
	free(why);
	rc->err = 0;
	return true;
}

/* The compiled pattern of argument i, cached by SQLite for as long as the
 * argument is the same bound value (a statement's whole run). */
static struct re_cache *re_arg(sqlite3_context *ctx, sqlite3_value **argv, int i, bool *fresh)
{
	struct re_cache *rc = sqlite3_get_auxdata(ctx, i);
	*fresh = false;
	if (rc)
		return rc;
	const char *pat = (const char *)sqlite3_value_text(argv[i]);
	if (!pat) {
		sqlite3_result_error(ctx, "filter_regexp: no pattern", -1);
		return NULL;
	}
	char *why = NULL;
	rc = re_cache_new(pat, (size_t)sqlite3_value_bytes(argv[i]), &why);
	if (!rc) {
		sqlite3_result_error(ctx, why, -1);
		free(why);
		return NULL;
	}
	*fresh = true;
	return rc;
}

/* filter_regexp(pattern, text) -> 1 when text matches (0 for NULL) */
static void sql_regexp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	bool fresh;
	struct re_cache *rc = re_arg(ctx, argv, 0, &fresh);
	if (!rc)
		return;
	const char *s = (const char *)sqlite3_value_text(argv[1]);
	int r = s ? re_match(rc, s, (size_t)sqlite3_value_bytes(argv[1])) : 0;
	bool failed = re_failed(ctx, rc, argv[0]);
	if (fresh)
		sqlite3_set_auxdata(ctx, 0, rc, re_cache_free);
	if (!failed)
		sqlite3_result_int(ctx, r);
}

/* filter_cidr(block, ip) -> 1 when ip lies in block */
static void sql_cidr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct cidr *c = sqlite3_get_auxdata(ctx, 0);
	bool fresh = false;
	if (!c) {
		const char *b = (const char *)sqlite3_value_text(argv[0]);
		c = xmalloc(sizeof *c);
		if (!b || !cidr_parse(b, c)) {
			free(c);
			sqlite3_result_error(ctx, "filter_cidr: not an address block", -1);
			return;
		}
		fresh = true;
	}
	const char *ip = (const char *)sqlite3_value_text(argv[1]);
	int r = ip && strlen(ip) < 64 ? cidr_contains(c, ip) : 0;
	if (fresh)
		sqlite3_set_auxdata(ctx, 0, c, free);
	sqlite3_result_int(ctx, r);
}

/* A json.PATH split into segments, and a caseless search for its last
 * name, the cheap test that rules out most records before any parsing. */
struct jpath {
	char **seg;
	size_t n;
	struct re_cache *key;
};

static void jpath_free(void *p)
{
	struct jpath *jp = p;
	if (!jp)
		return;
	for (size_t i = 0; i < jp->n; i++)
		free(jp->seg[i]);
	free(jp->seg);
	re_cache_free(jp->key);
	free(jp);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* A regex that matches s literally, optionally caseless (caller frees). */
static char *re_literal(const char *s, bool caseless)
{
	struct util_buf b = { 0 };
	if (caseless)
		util_buf_puts(&b, "(?i)");
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x80 && !isalnum(c))
			util_buf_puts(&b, "\\");
		util_buf_add(&b, p, 1);
	}
	return util_buf_take(&b);
}

static struct jpath *jpath_new(const char *path)
{
	struct jpath *jp = xcalloc(1, sizeof *jp);
	const char *p = path;
	while (*p) {
		const char *e = strchr(p, '.');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		jp->seg = xrealloc(jp->seg, (jp->n + 1) * sizeof *jp->seg);
		jp->seg[jp->n++] = xstrndup(p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	for (size_t i = jp->n; i-- > 0;) {
		if (!all_digits(jp->seg[i])) {
			char *lit = re_literal(jp->seg[i], true);
			jp->key = re_cache_new(lit, strlen(lit), NULL);
			free(lit);
			break;
		}
	}
	return jp;
}

/* What a json term asks of each value it reaches. */
struct jtest {
	char op; /* '=' caseless equality to any of vals, '~' regex, '?' present and non-empty */
	sqlite3_value **vals;
	int nvals;
	struct re_cache *re;
};

static bool jstr_eq_ci(const struct jval *k, const char *lit)
{
	size_t n = strlen(lit);
	if (!k->esc)
		return json_str_len(k) == n && strncasecmp(json_str_ptr(k), lit, n) == 0;
	char *t = xmalloc(json_str_len(k) + 1);
	size_t m = json_unescape(k, t);
	bool r = m == n && strncasecmp(t, lit, n) == 0;
	free(t);
	return r;
}

static bool jtest_text(const struct jtest *t, const char *s, size_t n)
{
	switch (t->op) {
	case '?':
		return n > 0;
	case '~':
		return re_match(t->re, s, n);
	default:
		for (int i = 0; i < t->nvals; i++) {
			const char *v = (const char *)sqlite3_value_text(t->vals[i]);
			if (v && (size_t)sqlite3_value_bytes(t->vals[i]) == n && strncasecmp(v, s, n) == 0)
				return true;
		}
		return false;
	}
}

static bool jwalk(const struct jpath *jp, size_t i, const struct jval *v, const struct jtest *t, int depth);

/* Test the value a path reached: strings by their text, numbers and
 * booleans by their literal, containers by their JSON text. A string that
 * holds JSON (Exchange writes some Values so) is walked into when the
 * path goes on. */
static bool jleaf(const struct jpath *jp, size_t i, const struct jval *v, const struct jtest *t, int depth)
{
	if (i < jp->n) {
		if (v->t != JT_STR)
			return jwalk(jp, i, v, t, depth);
		char *s = xmalloc(json_str_len(v) + 1);
		size_t n = json_unescape(v, s);
		const char *err, *errat;
		struct jval inner;
		bool r = false;
		if (depth < 8 && json_scan_value(s, s + n, &inner, &err, &errat) &&
		    (inner.t == JT_OBJ || inner.t == JT_ARR))
			r = jwalk(jp, i, &inner, t, depth + 1);
		free(s);
		return r;
	}
	if (v->t == JT_NULL)
		return false;
	if (v->t != JT_STR)
		return jtest_text(t, v->p, v->n);
	if (!v->esc)
		return jtest_text(t, json_str_ptr(v), json_str_len(v));
	char *s = xmalloc(json_str_len(v) + 1);
	size_t n = json_unescape(v, s);
	bool r = jtest_text(t, s, n);
	free(s);
	return r;
}

static bool jwalk(const struct jpath *jp, size_t i, const struct jval *v, const struct jtest *t, int depth)
{
	if (i >= jp->n)
		return jleaf(jp, i, v, t, depth);
	const char *seg = jp->seg[i];
	struct jiter it;
	struct jval k, m;
	if (v->t == JT_OBJ) {
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m))
			if (jstr_eq_ci(&k, seg) && jleaf(jp, i + 1, &m, t, depth))
				return true;
		return false;
	}
	if (v->t != JT_ARR)
		return false;
	if (all_digits(seg)) {
		long idx = atol(seg), j = 0;
		json_iter_init(&it, v);
		while (json_iter_next(&it, &k, &m))
			if (j++ == idx)
				return jleaf(jp, i + 1, &m, t, depth);
		return false;
	}
	/* an array of {Name, Value} (or NewValue) pairs: the element whose
	 * Name is the segment; any other element: the path goes on inside
	 * it (Folders.Path reaches every folder's path) */
	json_iter_init(&it, v);
	while (json_iter_next(&it, &k, &m)) {
		if (m.t != JT_OBJ)
			continue;
		struct jval name, val;
		if ((json_get(&m, "Name", &name) || json_get(&m, "name", &name)) && name.t == JT_STR &&
		    jstr_eq_ci(&name, seg)) {
			if ((json_get(&m, "Value", &val) || json_get(&m, "NewValue", &val) ||
			     json_get(&m, "value", &val)) &&
			    jleaf(jp, i + 1, &val, t, depth))
				return true;
			continue;
		}
		if (jwalk(jp, i, &m, t, depth))
			return true;
	}
	return false;
}

/*
 * Can a regex on a value be tried on the record's whole JSON text first?
 * Only where JSON's escaping cannot hide a match and the record's text
 * cannot fail a match the value passes: ASCII, no anchors or assertions,
 * no backslash, quote or slash.
 */
static bool text_prefilter_ok(const char *p)
{
	if (!p)
		return false;
	if (!strncmp(p, "(?i)", 4))
		p += 4;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80 || c < 0x20 || strchr("^$\\\"/", c) || (c == '(' && p[1] == '?'))
			return false;
	}
	return true;
}

/* For '=': a caseless search for any of the values in the record's text,
 * when every value is plain enough to appear there as written. */
static struct re_cache *values_prefilter(sqlite3_value **v, int n)
{
	struct util_buf b = { 0 };
	util_buf_puts(&b, "(?i)(?:");
	for (int i = 0; i < n; i++) {
		const char *s = (const char *)sqlite3_value_text(v[i]);
		if (!s || !*s) {
			free(b.p);
			return NULL;
		}
		for (const char *p = s; *p; p++) {
			unsigned char c = (unsigned char)*p;
			if (c >= 0x80 || c < 0x20 || c == '\\' || c == '"' || c == '/') {
				free(b.p);
				return NULL;
			}
		}
		char *lit = re_literal(s, false);
		if (i)
			util_buf_puts(&b, "|");
		util_buf_puts(&b, lit);
		free(lit);
	}
	util_buf_puts(&b, ")");
	struct re_cache *rc = re_cache_new(b.p, b.n, NULL);
	free(b.p);
	return rc;
}

/* filter_json(raw, path, op, arg...) -> 1 when a value at path passes:
 * op '=' equals one of the args (any case), '~' matches the regex arg,
 * '?' is present and not empty. */
static void sql_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (argc < 3) {
		sqlite3_result_error(ctx, "filter_json: raw, path, op, ...", -1);
		return;
	}
	const char *raw = (const char *)sqlite3_value_text(argv[0]);
	size_t rn = (size_t)sqlite3_value_bytes(argv[0]);
	const char *op = (const char *)sqlite3_value_text(argv[2]);
	if (!op || !strchr("=~?", op[0]) || (op[0] != '?' && argc < 4)) {
		sqlite3_result_error(ctx, "filter_json: bad operator", -1);
		return;
	}
	struct jpath *jp = sqlite3_get_auxdata(ctx, 1);
	bool jp_fresh = false;
	if (!jp) {
		const char *path = (const char *)sqlite3_value_text(argv[1]);
		jp = jpath_new(path ? path : "");
		jp_fresh = true;
	}
	struct jtest t = { .op = op[0], .vals = argv + 3, .nvals = argc - 3 };
	bool re_fresh = false;
	if (t.op == '~' && !(t.re = re_arg(ctx, argv, 3, &re_fresh))) {
		if (jp_fresh)
			jpath_free(jp);
		return;
	}
	/* a value that cannot appear in the record's text rules the record
	 * out before it is parsed (most records, for a rare value) */
	struct re_cache *pre = NULL;
	bool pre_fresh = false;
	if (t.op == '~') {
		pre = text_prefilter_ok((const char *)sqlite3_value_text(argv[3])) ? t.re : NULL;
	} else if (t.op == '=' && !(pre = sqlite3_get_auxdata(ctx, 3))) {
		pre = values_prefilter(argv + 3, argc - 3);
		pre_fresh = pre != NULL;
	}
	int r = 0;
	if (raw && (!jp->key || re_match(jp->key, raw, rn)) && (!pre || re_match(pre, raw, rn))) {
		struct jval v;
		const char *err, *errat;
		if (json_scan_value(raw, raw + rn, &v, &err, &errat))
			r = jwalk(jp, 0, &v, &t, 0);
	}
	if (jp_fresh)
		sqlite3_set_auxdata(ctx, 1, jp, jpath_free);
	bool failed = t.re && re_failed(ctx, t.re, argv[3]);
	if (re_fresh)
		sqlite3_set_auxdata(ctx, 3, t.re, re_cache_free);
	if (pre_fresh)
		sqlite3_set_auxdata(ctx, 3, pre, re_cache_free);
	if (!failed)
		sqlite3_result_int(ctx, r);
}

/* filter_sigma(raw, term) -> 1 when the record meets the sigma.FIELD
 * term whose text is term (its positive form) */
static void sql_sigma(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct filter *f = sqlite3_get_auxdata(ctx, 1);
	bool fresh = false;
	if (!f) {
		char *why = NULL;
		f = filter_parse((const char *)sqlite3_value_text(argv[1]), &why);
		if (!f || !f->root || f->root->t != N_TERM || f->root->tk != TK_SIGMA) {
			sqlite3_result_error(ctx, why ? why : "filter_sigma: not a sigma term", -1);
			free(why);
			filter_free(f);
			return;
		}
		fresh = true;
	}
	const char *raw = (const char *)sqlite3_value_text(argv[0]);
	size_t rn = (size_t)sqlite3_value_bytes(argv[0]);
	char *why = NULL;
	int r = raw && sigma_field_may_match(f->root->sf, raw, rn) ? sigma_field_match_text(f->root->sf, raw, rn, &why) : 0;
	if (fresh)
		sqlite3_set_auxdata(ctx, 1, f, (void (*)(void *))filter_free);
	if (r < 0) {
		sqlite3_result_error(ctx, why, -1);
		free(why);
		return;
	}
	sqlite3_result_int(ctx, r);
}

int filter_register_functions(sqlite3 *db)
{
	/* registered once per connection: redefining a function while a
	 * statement that uses it is active fails */
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT filter_json(NULL, NULL, '?')", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_finalize(q);
		return 0;
	}
	int fl = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	if (sqlite3_create_function(db, "filter_regexp", 2, fl, NULL, sql_regexp, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "filter_cidr", 2, fl, NULL, sql_cidr, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "filter_json", -1, fl, NULL, sql_json, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "filter_sigma", 2, fl, NULL, sql_sigma, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Compiling */

struct cc {
	struct store *st;
	sqlite3 *db;
	unsigned flags;
	struct filter_sql *out;
	struct util_buf w;
	char **cause;
	bool have_last;
	int64_t last_ts;
	bool failed;
	int negs; /* NOTs around the node being compiled (FILTER_SQL_NORAW) */
	bool narrow; /* the term just compiled can be answered through an index */
};

/* Under FILTER_SQL_NORAW a term that reads the raw record becomes what
 * makes the whole condition weaker: true under an even number of NOTs,
 * false under an odd one. */
static bool relax_raw(struct cc *c)
{
	if (!(c->flags & FILTER_SQL_NORAW))
		return false;
	util_buf_puts(&c->w, c->negs % 2 ? "0" : "1");
	return true;
}

static void bind_text(struct cc *c, const char *s)
{
	struct filter_sql *o = c->out;
	o->binds = xrealloc(o->binds, (o->nbinds + 1) * sizeof *o->binds);
	o->binds[o->nbinds] = (struct filter_bind){ .type = FB_TEXT, .text = xstrdup(s) };
	util_buf_printf(&c->w, "?%zu", FILTER_PARAM_BASE + o->nbinds);
	o->nbinds++;
}

static void bind_int(struct cc *c, int64_t v)
{
	struct filter_sql *o = c->out;
	o->binds = xrealloc(o->binds, (o->nbinds + 1) * sizeof *o->binds);
	o->binds[o->nbinds] = (struct filter_bind){ .type = FB_INT, .i = v };
	util_buf_printf(&c->w, "?%zu", FILTER_PARAM_BASE + o->nbinds);
	o->nbinds++;
}

static void colref(struct cc *c, const char *col)
{
	util_buf_printf(&c->w, "%se.%s", (c->flags & FILTER_SQL_NOINDEX) ? "+" : "", col);
}

static int cc_error(struct cc *c, const char *what)
{
	if (!c->failed)
		set_cause(c->cause, "%s: %s: %s", store_path(c->st), what, sqlite3_errmsg(c->db));
	c->failed = true;
	return -1;
}

/* Add the ids of rows sql (one bound text) yields; -1 past max ids. */
static int ids_query(struct cc *c, struct util_ivec *s, const char *sql, const char *arg, size_t max)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(c->db, sql, -1, &q, NULL) != SQLITE_OK)
		return cc_error(c, "resolving values");
	sqlite3_bind_text(q, 1, arg, -1, SQLITE_TRANSIENT);
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		if (s->n >= max) {
			sqlite3_finalize(q);
			return 1;
		}
		util_ivec_add(s, sqlite3_column_int64(q, 0));
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return cc_error(c, "resolving values");
	return 0;
}

static char *ascii_lower(const char *s)
{
	char *t = xstrdup(s);
	for (char *p = t; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return t;
}

/* Record type numbers as the UAL writes them (RecordType), for
 * record_type=50. */
static const struct {
	int num;
	const char *name;
} rtypes[] = {
	{ 1, "ExchangeAdmin" },
	{ 2, "ExchangeItem" },
	{ 3, "ExchangeItemGroup" },
	{ 4, "SharePoint" },
	{ 6, "SharePointFileOperation" },
	{ 8, "AzureActiveDirectory" },
	{ 9, "AzureActiveDirectoryAccountLogon" },
	{ 14, "SharePointSharingOperation" },
	{ 15, "AzureActiveDirectoryStsLogon" },
	{ 18, "SecurityComplianceCenterEOPCmdlet" },
	{ 25, "MicrosoftTeams" },
	{ 50, "ExchangeItemAggregated" },
};

/* The value ids a text field's value names, into s. */
static int resolve_value(struct cc *c, const struct filter_field *f, const char *v, struct util_ivec *s)
{
	const char *exact = "SELECT id FROM vals WHERE v = ?1";
	const char *nocase = "SELECT id FROM vals WHERE v = ?1 COLLATE NOCASE";
	if (f->flags & FIELD_LOWER) {
		char *lv = ascii_lower(v);
		int r = ids_query(c, s, exact, lv, SIZE_MAX);
		free(lv);
		if (r < 0)
			return -1;
	} else if (ids_query(c, s, (f->flags & FIELD_NOCASE) ? nocase : exact, v, SIZE_MAX) < 0) {
		return -1;
	}
	/* Entra operations in the UAL end with a period ("Consent to
	 * application."), the same operations in Entra's own logs do not */
	if (!strcmp(f->name, "op") && *v && v[strlen(v) - 1] != '.') {
		char *dot = xasprintf("%s.", v);
		int r = ids_query(c, s, nocase, dot, SIZE_MAX);
		free(dot);
		if (r < 0)
			return -1;
	}
	if (!strcmp(f->name, "record_type") && all_digits(v)) {
		for (size_t i = 0; i < sizeof rtypes / sizeof rtypes[0]; i++)
			if (rtypes[i].num == atoi(v) && ids_query(c, s, nocase, rtypes[i].name, SIZE_MAX) < 0)
				return -1;
	}
	/* app=Name: the tenant's own names (apps table), then Microsoft's */
	if (!strcmp(f->name, "app") || !strcmp(f->name, "client_app")) {
		char **names = NULL;
		size_t nn = 0;
		if (knownapps_case_ids(c->st, v, &names, &nn, NULL) == 0) {
			for (size_t i = 0; i < nn; i++) {
				char *lv = ascii_lower(names[i]);
				int r = ids_query(c, s, exact, lv, SIZE_MAX);
				free(lv);
				if (r < 0) {
					knownapps_ids_free(names, nn);
					return -1;
				}
			}
			knownapps_ids_free(names, nn);
		}
	}
	return 0;
}

#define BIND_MAX 256 /* value ids bound as parameters; more go to a table */

/*
 * The value ids sql (over vals, one bound text) yields, into s; when
 * there are more than BIND_MAX, into a temporary table instead, whose
 * name goes to *table (caller frees): a regex such as user~^a can match
 * thousands of values, and a bound list or a sub-select of vals would be
 * rebuilt by every statement run (every page), where a table with the
 * ids as its key is read in place.
 */
static int resolve_set(struct cc *c, struct util_ivec *s, const char *sql, const char *arg, char **table)
{
	struct util_ivec part = { 0 };
	*table = NULL;
	int r = ids_query(c, &part, sql, arg, BIND_MAX);
	if (r < 0) {
		free(part.v);
		return -1;
	}
	if (r == 0) {
		for (size_t i = 0; i < part.n; i++)
			util_ivec_add(s, part.v[i]);
		free(part.v);
		return 0;
	}
	free(part.v);
	static unsigned serial;
	char *name = xasprintf("fi%u", ++serial);
	char *ddl = xasprintf("CREATE TEMP TABLE %s(id INTEGER PRIMARY KEY)", name);
	char *ins = xasprintf("INSERT INTO temp.%s %s", name, sql);
	sqlite3_stmt *q = NULL;
	if (sqlite3_exec(c->db, ddl, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, ins, -1, &q, NULL) != SQLITE_OK) {
		free(ddl);
		free(ins);
		free(name);
		return cc_error(c, "resolving values");
	}
	free(ddl);
	free(ins);
	struct filter_sql *o = c->out;
	o->temps = xrealloc(o->temps, (o->ntemps + 1) * sizeof *o->temps);
	o->temps[o->ntemps++] = xstrdup(name);
	o->db = c->db;
	sqlite3_bind_text(q, 1, arg, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		free(name);
		return cc_error(c, "resolving values");
	}
	*table = name;
	return 0;
}

static void or_sep(struct cc *c, int *parts)
{
	if ((*parts)++)
		util_buf_puts(&c->w, " OR ");
}

/* The positive condition of a term on an interned text column. */
static int compile_text_term(struct cc *c, const struct node *n, bool *served)
{
	const struct filter_field *f = n->f;
	int parts = 0;
	struct util_ivec s = { 0 };
	bool null = false;
	util_buf_puts(&c->w, "(");
	for (size_t i = 0; i < n->nvals; i++) {
		const char *v = n->vals[i];
		char *table = NULL;
		int r = 0;
		if (n->op == OP_RE || n->op == OP_NRE) {
			char *p = (f->flags & FIELD_NOCASE) ? xasprintf("(?i)%s", v) : xstrdup(v);
			r = resolve_set(c, &s, "SELECT id FROM vals WHERE filter_regexp(?1, v)", p, &table);
			free(p);
		} else if (!*v) {
			null = true;
		} else if (!strcmp(f->name, "ip") && strchr(v, '/')) {
			r = resolve_set(c, &s, "SELECT id FROM vals WHERE filter_cidr(?1, v)", v, &table);
		} else {
			r = resolve_value(c, f, v, &s);
		}
		if (r < 0) {
			free(s.v);
			return -1;
		}
		if (table) {
			or_sep(c, &parts);
			colref(c, f->column);
			util_buf_printf(&c->w, " IN (SELECT id FROM temp.%s)", table);
			free(table);
		}
	}
	if (null) {
		or_sep(c, &parts);
		colref(c, f->column);
		util_buf_puts(&c->w, " IS NULL");
	}
	if (s.n) {
		or_sep(c, &parts);
		colref(c, f->column);
		if (s.n == 1) {
			util_buf_puts(&c->w, " = ");
			bind_int(c, s.v[0]);
		} else {
			util_buf_puts(&c->w, " IN (");
			for (size_t i = 0; i < s.n; i++) {
				if (i)
					util_buf_puts(&c->w, ",");
				bind_int(c, s.v[i]);
			}
			util_buf_puts(&c->w, ")");
		}
	}
	if (!parts)
		util_buf_puts(&c->w, "0");
	util_buf_puts(&c->w, ")");
	/* one value id on an indexed column: its (column, ts) index gives
	 * the rows in timeline order */
	*served = (f->flags & FIELD_INDEXED) && parts == 1 && s.n == 1 && (n->op == OP_EQ || n->op == OP_RE);
	/* several ids, or a table of them: an index still finds the rows,
	 * though not in time order */
	c->narrow = (f->flags & FIELD_INDEXED) && !null && parts >= 1 && (n->op == OP_EQ || n->op == OP_RE);
	free(s.v);
	return 0;
}

static int last_ts(struct cc *c, int64_t *out)
{
	if (!c->have_last) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(c->db, "SELECT max(ts) FROM events", -1, &q, NULL) != SQLITE_OK)
			return cc_error(c, "finding the last event");
		c->last_ts = 0;
		if (sqlite3_step(q) == SQLITE_ROW)
			c->last_ts = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		c->have_last = true;
	}
	*out = c->last_ts;
	return 0;
}

static int compile_time_term(struct cc *c, const struct node *n, bool *served)
{
	int64_t last = 0;
	util_buf_puts(&c->w, "(");
	for (size_t i = 0; i < n->nvals; i++) {
		const char *v = n->vals[i];
		int64_t from, to, rel;
		if (parse_relative(v, &rel) && last_ts(c, &last) < 0)
			return -1;
		if (!*v) {
			util_buf_puts(&c->w, i ? " OR 0" : "0");
			continue;
		}
		if (filter_time_parse(v, last, &from, &to, c->cause) < 0)
			return c->failed = true, -1;
		if (i)
			util_buf_puts(&c->w, " OR ");
		switch (n->op) {
		case OP_GT:
			colref(c, "ts"), util_buf_puts(&c->w, " >= "), bind_int(c, to);
			break;
		case OP_GE:
			colref(c, "ts"), util_buf_puts(&c->w, " >= "), bind_int(c, from);
			break;
		case OP_LT:
			colref(c, "ts"), util_buf_puts(&c->w, " < "), bind_int(c, from);
			break;
		case OP_LE:
			colref(c, "ts"), util_buf_puts(&c->w, " < "), bind_int(c, to);
			break;
		default:
			util_buf_puts(&c->w, "(");
			colref(c, "ts"), util_buf_puts(&c->w, " >= "), bind_int(c, from);
			util_buf_puts(&c->w, " AND ");
			colref(c, "ts"), util_buf_puts(&c->w, " < "), bind_int(c, to);
			util_buf_puts(&c->w, ")");
		}
	}
	util_buf_puts(&c->w, ")");
	*served = n->op != OP_NE && n->nvals == 1;
	c->narrow = n->op != OP_NE;
	return 0;
}

static const char *sql_cmp(enum op op)
{
	switch (op) {
	case OP_GT: return " > ";
	case OP_GE: return " >= ";
	case OP_LT: return " < ";
	case OP_LE: return " <= ";
	default: return " = ";
	}
}

static int compile_term(struct cc *c, const struct node *n, bool *served)
{
	*served = false;
	bool neg = n->op == OP_NE || n->op == OP_NRE;
	/* a negative term is NOT of its positive form, with an absent
	 * value counting as "not equal" */
	if (neg) {
		util_buf_puts(&c->w, "NOT coalesce(");
		c->negs++;
	}
	int r = 0;
	if ((n->tk == TK_JSON || n->tk == TK_RAW || n->tk == TK_SIGMA) && relax_raw(c)) {
		c->out->raw = true;
	} else if (n->tk == TK_SIGMA) {
		/* the term's own text, parsed again (once per statement) by
		 * filter_sigma: the evaluation lives in sigma_field.c */
		c->out->raw = true;
		struct util_buf t = { 0 };
		const struct node *pos = n;
		struct node tmp;
		if (n->op == OP_NE) {
			tmp = *n;
			tmp.op = OP_EQ;
			pos = &tmp;
		}
		print_node(&t, pos, N_AND);
		util_buf_puts(&c->w, "filter_sigma(raw_json(e.id), ");
		bind_text(c, t.p);
		util_buf_puts(&c->w, ")");
		free(t.p);
	} else if (n->tk == TK_JSON) {
		c->out->raw = true;
		bool absent = n->nvals == 1 && !*n->vals[0] && (n->op == OP_EQ || n->op == OP_NE);
		if (absent)
			util_buf_puts(&c->w, "NOT ");
		util_buf_puts(&c->w, "filter_json(raw_json(e.id), ");
		bind_text(c, n->path);
		if (absent) {
			util_buf_puts(&c->w, ", '?')");
		} else if (n->op == OP_RE || n->op == OP_NRE) {
			util_buf_puts(&c->w, ", '~', ");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, ")");
		} else {
			util_buf_puts(&c->w, ", '='");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, ", ");
				bind_text(c, n->vals[i]);
			}
			util_buf_puts(&c->w, ")");
		}
	} else if (n->tk == TK_RAW) {
		c->out->raw = true;
		char *p = xasprintf("(?i)%s", n->vals[0]);
		util_buf_puts(&c->w, "filter_regexp(");
		bind_text(c, p);
		util_buf_puts(&c->w, ", raw_json(e.id))");
		free(p);
	} else if (n->tk == TK_TAG) {
		/* (record_id, kind) IN (...): SQLite can look the few annotated
		 * events up through ev_rid rather than test every event */
		util_buf_puts(&c->w, "((e.record_id, e.kind) IN (SELECT record_id, kind FROM tags t WHERE ");
		if (n->op == OP_RE || n->op == OP_NRE) {
			util_buf_puts(&c->w, "filter_regexp(");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, ", t.tag)))");
		} else {
			bool any = false;
			util_buf_puts(&c->w, "0");
			for (size_t i = 0; i < n->nvals; i++) {
				if (!*n->vals[i]) {
					any = true;
					continue;
				}
				util_buf_puts(&c->w, " OR t.tag = ");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, " COLLATE NOCASE");
			}
			util_buf_puts(&c->w, ")");
			/* tag="" is "has no tag" */
			if (any)
				util_buf_puts(&c->w, " OR (e.record_id, e.kind) NOT IN (SELECT record_id, kind FROM tags)");
			util_buf_puts(&c->w, ")");
		}
	} else if (n->f->flags & FIELD_TEXT) {
		r = compile_text_term(c, n, served);
	} else if (n->f->flags & FIELD_TIME) {
		r = compile_time_term(c, n, served);
	} else if (n->f->flags & FIELD_KIND) {
		/* a small integer column: names to numbers, or a regex over
		 * the names */
		if (n->op == OP_RE || n->op == OP_NRE) {
			util_buf_puts(&c->w, n->op == OP_NRE ? "NOT filter_regexp(" : "filter_regexp(");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, ", CASE e.kind");
			for (int k = 0; k < KIND_COUNT; k++) {
				char num[32];
				snprintf(num, sizeof num, " WHEN %d THEN ", k);
				util_buf_puts(&c->w, num);
				bind_text(c, event_kind_name(k));
			}
			util_buf_puts(&c->w, " ELSE '' END)");
		} else {
			util_buf_puts(&c->w, n->op == OP_NE ? "e.kind NOT IN (-1" : "e.kind IN (-1");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, ", ");
				bind_int(c, event_kind_parse(n->vals[i]));
			}
			util_buf_puts(&c->w, ")");
		}
	} else if (n->f->flags & FIELD_NUMBER) {
		util_buf_puts(&c->w, "(0");
		for (size_t i = 0; i < n->nvals; i++) {
			int64_t x = 0;
			util_buf_puts(&c->w, " OR ");
			if (!*n->vals[i]) {
				colref(c, n->f->column);
				util_buf_puts(&c->w, " IS NULL");
				continue;
			}
			parse_int(n->vals[i], &x);
			colref(c, n->f->column);
			util_buf_puts(&c->w, sql_cmp(n->op));
			bind_int(c, x);
		}
		util_buf_puts(&c->w, ")");
	} else if (n->f->flags & FIELD_GEO) {
		/* the place of e.ip, looked up once per address after the load
		 * (core/ipgeo.c): the addresses that match, which the (ip, ts)
		 * index then finds */
		bool asn = !strcmp(n->f->column, "asn");
		bool absent = false;
		util_buf_puts(&c->w, "(e.ip IN (SELECT val FROM ipgeo WHERE ");
		if (n->op == OP_RE || n->op == OP_NRE) {
			util_buf_puts(&c->w, "filter_regexp(");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, asn ? ", 'AS' || asn)" : n->f->column[0] == 'c' ? ", country)" : ", as_org)");
		} else {
			util_buf_puts(&c->w, "0");
			for (size_t i = 0; i < n->nvals; i++) {
				const char *v = n->vals[i];
				if (!*v) {
					absent = true;
					continue;
				}
				util_buf_puts(&c->w, " OR ");
				util_buf_puts(&c->w, n->f->column);
				util_buf_puts(&c->w, " = ");
				if (asn) {
					int64_t x = 0;
					parse_int(v + (strncasecmp(v, "as", 2) == 0 ? 2 : 0), &x);
					bind_int(c, x);
				} else {
					bind_text(c, v);
					util_buf_puts(&c->w, " COLLATE NOCASE");
				}
			}
		}
		util_buf_puts(&c->w, ")");
		if (absent) { /* country="" : no address, or one not placed */
			util_buf_puts(&c->w, " OR e.ip IS NULL OR e.ip NOT IN (SELECT val FROM ipgeo WHERE ");
			util_buf_puts(&c->w, n->f->column);
			util_buf_puts(&c->w, " IS NOT NULL)");
		}
		util_buf_puts(&c->w, ")");
	} else if (n->f->flags & FIELD_SOURCE) {
		/* a path, or a file name at the end of one */
		if (n->op == OP_RE || n->op == OP_NRE) {
			util_buf_puts(&c->w, "e.source IN (SELECT id FROM sources WHERE filter_regexp(");
			bind_text(c, n->vals[0]);
			util_buf_puts(&c->w, ", path))");
		} else {
			util_buf_puts(&c->w, "e.source IN (SELECT id FROM sources WHERE 0");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, " OR path = ");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, " OR substr(path, -1 - length(");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, ")) = '/' || ");
				bind_text(c, n->vals[i]);
			}
			util_buf_puts(&c->w, ")");
		}
	} else { /* record_id: a column of events itself */
		if (n->op == OP_RE || n->op == OP_NRE) {
			util_buf_puts(&c->w, "filter_regexp(");
			bind_text(c, n->vals[0]);
			util_buf_puts(&c->w, ", e.record_id)");
		} else {
			util_buf_puts(&c->w, "(0");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, " OR ");
				colref(c, "record_id");
				util_buf_puts(&c->w, " = ");
				bind_text(c, n->vals[i]);
			}
			util_buf_puts(&c->w, ")");
		}
	}
	if (neg) {
		util_buf_puts(&c->w, ", 0)");
		c->negs--;
		*served = false;
		c->narrow = false;
	}
	return r;
}

/* A rough order of cost, so that an "and" tests columns before it reads
 * a raw record (SQLite evaluates the terms left to right). */
static int node_cost(const struct node *n)
{
	switch (n->t) {
	case N_TEXT: return 3;
	case N_MARKED: return 1;
	case N_TERM: return n->tk == TK_JSON || n->tk == TK_RAW || n->tk == TK_SIGMA ? 3 : n->tk == TK_TAG ? 1 : 0;
	default: {
		int m = 0;
		for (size_t i = 0; i < n->nkids; i++) {
			int k = node_cost(n->kids[i]);
			if (k > m)
				m = k;
		}
		return m;
	}
	}
}

static int compile_node(struct cc *c, const struct node *n, bool top, bool *served)
{
	bool dummy;
	if (!served)
		served = &dummy;
	*served = false;
	switch (n->t) {
	case N_AND: {
		util_buf_puts(&c->w, "(");
		bool first = true;
		for (int cost = 0; cost <= 3; cost++) {
			for (size_t i = 0; i < n->nkids; i++) {
				if (node_cost(n->kids[i]) != cost)
					continue;
				if (!first)
					util_buf_puts(&c->w, " AND ");
				first = false;
				bool s = false;
				c->narrow = false;
				if (compile_node(c, n->kids[i], false, &s) < 0)
					return -1;
				if (top && s)
					*served = true;
				if (top && c->narrow)
					c->out->narrowed = true;
			}
		}
		util_buf_puts(&c->w, ")");
		c->narrow = false;
		return 0;
	}
	case N_OR:
		util_buf_puts(&c->w, "(");
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				util_buf_puts(&c->w, " OR ");
			if (compile_node(c, n->kids[i], false, NULL) < 0)
				return -1;
		}
		util_buf_puts(&c->w, ")");
		c->narrow = false;
		return 0;
	case N_NOT:
		util_buf_puts(&c->w, "NOT coalesce(");
		c->negs++;
		if (compile_node(c, n->kids[0], false, NULL) < 0)
			return -1;
		c->negs--;
		util_buf_puts(&c->w, ", 0)");
		c->narrow = false;
		return 0;
	case N_MARKED:
		util_buf_puts(&c->w, "(e.record_id, e.kind) IN (SELECT record_id, kind FROM marks)");
		return 0;
	case N_TEXT: {
		c->out->raw = true;
		if (relax_raw(c))
			return 0;
		char *p = re_literal(n->vals[0], true);
		util_buf_puts(&c->w, "filter_regexp(");
		bind_text(c, p);
		util_buf_puts(&c->w, ", raw_json(e.id))");
		free(p);
		return 0;
	}
	case N_TERM:
		return compile_term(c, n, served);
	}
	return 0;
}

void filter_sql_clear(struct filter_sql *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ntemps; i++) {
		char *sql = xasprintf("DROP TABLE IF EXISTS temp.%s", s->temps[i]);
		sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		free(sql);
		free(s->temps[i]);
	}
	free(s->temps);
	free(s->where);
	for (size_t i = 0; i < s->nbinds; i++)
		free(s->binds[i].text);
	free(s->binds);
	memset(s, 0, sizeof *s);
}

int filter_compile(const struct filter *f, struct store *st, unsigned flags, struct filter_sql *out,
		   char **cause)
{
	memset(out, 0, sizeof *out);
	struct cc c = { .st = st, .db = store_db(st), .flags = flags, .out = out, .cause = cause };
	if (filter_register_functions(c.db) < 0)
		return set_cause(cause, "%s: cannot register the filter functions", store_path(st));
	if (filter_is_empty(f)) {
		out->where = xstrdup("1");
		out->empty = true;
		return 0;
	}
	bool served = false;
	c.narrow = false;
	if (compile_node(&c, f->root, true, &served) < 0) {
		free(c.w.p);
		filter_sql_clear(out);
		return -1;
	}
	out->where = util_buf_take(&c.w);
	out->indexed = served;
	if (f->root->t == N_TERM && c.narrow)
		out->narrowed = true;
	if (served)
		out->narrowed = true;
	return 0;
}

int filter_sql_bind(const struct filter_sql *s, sqlite3_stmt *stmt)
{
	for (size_t i = 0; i < s->nbinds; i++) {
		int idx = (int)(FILTER_PARAM_BASE + i);
		int r = s->binds[i].type == FB_TEXT ? sqlite3_bind_text(stmt, idx, s->binds[i].text, -1, SQLITE_STATIC)
						    : sqlite3_bind_int64(stmt, idx, s->binds[i].i);
		if (r != SQLITE_OK)
			return r;
	}
	return SQLITE_OK;
}

struct filter *filter_copy(const struct filter *f)
{
	struct filter *c = xcalloc(1, sizeof *c);
	c->root = f ? node_copy(f->root) : NULL;
	return c;
}

/* ------------------------------------------------------------------ */
/* Evaluating over a raw record alone (sigma rules, filter.h) */

static int match_node(const struct node *n, const struct jval *rec, char **cause)
{
	switch (n->t) {
	case N_AND:
	case N_OR: {
		bool want = n->t == N_OR;
		for (size_t i = 0; i < n->nkids; i++) {
			int r = match_node(n->kids[i], rec, cause);
			if (r < 0)
				return -1;
			if ((r == 1) == want)
				return want;
		}
		return !want;
	}
	case N_NOT: {
		int r = match_node(n->kids[0], rec, cause);
		return r < 0 ? -1 : !r;
	}
	case N_TERM:
		if (n->tk == TK_SIGMA) {
			int r = sigma_field_match(n->sf, rec, cause);
			return r < 0 ? -1 : n->op == OP_NE ? !r : r;
		}
		break;
	default:
		break;
	}
	return set_cause(cause, "filter: only sigma terms can be tested on a record alone");
}

int filter_match_record(const struct filter *f, const char *raw, size_t n, char **cause)
{
	if (filter_is_empty(f))
		return 1;
	struct jval v;
	const char *err, *errat;
	if (!raw || !json_scan_value(raw, raw + n, &v, &err, &errat))
		return 0;
	return match_node(f->root, &v, cause);
}

/* Literal sets: NULL-free arrays of borrowed strings; ok false means "no
 * set" (anything may match). */
struct litset {
	const char **v;
	size_t n;
	bool ok;
};

static size_t litset_min(const struct litset *s)
{
	size_t m = SIZE_MAX;
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) < m)
			m = strlen(s->v[i]);
	return m;
}

static struct litset node_lits(const struct node *n)
{
	struct litset out = { 0 };
	switch (n->t) {
	case N_TERM:
		if (n->tk == TK_SIGMA && n->op == OP_EQ) {
			out.n = sigma_field_literals(n->sf, &out.v);
			out.ok = out.n > 0;
		}
		return out;
	case N_AND:
		/* any kid's set will do: keep the one whose shortest literal is
		 * longest (the rarest) */
		for (size_t i = 0; i < n->nkids; i++) {
			struct litset k = node_lits(n->kids[i]);
			if (k.ok && (!out.ok || litset_min(&k) > litset_min(&out))) {
				free(out.v);
				out = k;
			} else {
				free(k.v);
			}
		}
		return out;
	case N_OR:
		out.ok = true;
		for (size_t i = 0; i < n->nkids; i++) {
			struct litset k = node_lits(n->kids[i]);
			if (!k.ok) {
				free(k.v);
				free(out.v);
				return (struct litset){ 0 };
			}
			if (k.n) { /* k.v is NULL when k holds nothing */
				out.v = xrealloc(out.v, (out.n + k.n) * sizeof *out.v);
				memcpy(out.v + out.n, k.v, k.n * sizeof *k.v);
				out.n += k.n;
			}
			free(k.v);
		}
		return out;
	default:
		return out;
	}
}

size_t filter_sigma_literals(const struct filter *f, const char ***lits)
{
	*lits = NULL;
	if (filter_is_empty(f))
		return 0;
	struct litset s = node_lits(f->root);
	if (!s.ok) {
		free(s.v);
		return 0;
	}
	*lits = s.v;
	return s.n;
}

static void explain_node(const struct node *n, const struct jval *rec, struct util_buf *b)
{
	if (n->t == N_TERM && n->tk == TK_SIGMA && n->op == OP_EQ) {
		char *e = sigma_field_explain(n->sf, rec);
		if (e) {
			if (b->n)
				util_buf_puts(b, "\n");
			print_node(b, n, N_AND);
			util_buf_puts(b, ": ");
			util_buf_puts(b, e);
			free(e);
		}
		return;
	}
	if (n->t == N_AND || n->t == N_OR)
		for (size_t i = 0; i < n->nkids; i++)
			explain_node(n->kids[i], rec, b);
}

char *filter_explain_record(const struct filter *f, const char *raw, size_t n)
{
	struct jval v;
	const char *err, *errat;
	if (filter_is_empty(f) || !raw || !json_scan_value(raw, raw + n, &v, &err, &errat))
		return NULL;
	struct util_buf b = { 0 };
	explain_node(f->root, &v, &b);
	return b.p;
}
