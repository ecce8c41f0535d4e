/*
 * filter_parse.c: the filter language's parser (filter.h): hand-written
 * recursive descent into the tree of filter.h, checking each value where
 * it stands so that an error names the column. "and" binds tighter than
 * "or", "not" (or '-') tighter than both; juxtaposition is "and".
 */
#include "filter.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "addr.h"
#include "event.h"
#include "filter_tree.h"
#include "sigma_field.h"
#include "util.h"
#include "xalloc.h"

/* A field by name, from the n bytes at name. */
static const struct filter_field *filter_field_find_n(const char *name, size_t n)
{
	if (n >= 64)
		return NULL;
	char buf[64];
	memcpy(buf, name, n);
	buf[n] = '\0';
	return filter_field_find(buf);
}

struct parser {
	const char *s, *p;
	char **cause;
	bool failed;
};

static size_t col_of(const struct parser *ps, const char *at)
{
	return (size_t)(at - ps->s) + 1;
}

__attribute__((format(printf, 3, 4))) static struct filter_node *perr(struct parser *ps, const char *at,
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
		return *len = 2, FILTER_NE;
	if (p[0] == '!' && p[1] == '~')
		return *len = 2, FILTER_NRE;
	if (p[0] == '>' && p[1] == '=')
		return *len = 2, FILTER_GE;
	if (p[0] == '<' && p[1] == '=')
		return *len = 2, FILTER_LE;
	if (p[0] == '=')
		return *len = 1, FILTER_EQ;
	if (p[0] == '~')
		return *len = 1, FILTER_RE;
	if (p[0] == '>')
		return *len = 1, FILTER_GT;
	if (p[0] == '<')
		return *len = 1, FILTER_LT;
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
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
				      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
	if (c) {
		pcre2_code_free(c);
		return true;
	}
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(err, msg, sizeof msg);
	perr(ps, at, "bad regular expression (%s at offset %zu)", (char *)msg, (size_t)off);
	return false;
}

/* An ip= value as the load stores an address (addr.h's addr_classify:
 * without port, brackets or ::ffff: prefix, an IPv6 in its one form), so
 * that ip=::ffff:1.2.3.4 or ip=1.2.3.4:443 copied from a raw record finds
 * 1.2.3.4's events, and ip=2603:10B6:0:0::12 finds 2603:10b6::12's; a
 * block (with '/') or anything not an address stays as typed. Takes v. */
static char *ip_value(char *v)
{
	size_t off, len, n = strlen(v);
	if (strchr(v, '/'))
		return v;
	enum addr_kind k = addr_classify(v, n, &off, &len);
	char form[ADDR_FORM_MAX];
	size_t fn = k == ADDR_IP_FORM ? addr_ip_form(v + off, len, form) : 0;
	if ((k != ADDR_IP && !fn) || (!fn && off == 0 && len == n))
		return v;
	char *a = fn ? xstrndup(form, fn) : xstrndup(v + off, len);
	free(v);
	return a;
}

static bool check_value(struct parser *ps, const struct filter_node *n, const char *at, const char *v)
{
	if (n->op == FILTER_RE || n->op == FILTER_NRE)
		return check_regex(ps, at, v);
	if (n->term != FILTER_FIELD || !*v)
		return true;
	if (n->field->flags & FIELD_TIME) {
		int64_t a, b;
		if (filter_time_is_relative(v) || filter_time_parse(v, 0, &a, &b, NULL) == 0)
			return true;
		perr(ps, at, "expected a time after '%s%s', got '%s' (2023-06-16, 2023-06-16T10:00, -7d)",
		     n->field->name, filter_op_text(n->op), v);
		return false;
	}
	if (n->field->flags & FIELD_KIND) {
		if (event_kind_parse(v) >= 0)
			return true;
		perr(ps, at,
		     "expected a kind of log after '%s%s', got '%s' (ual, signin, directory_audit, "
		     "graph_activity, message_trace, azure_activity, risk, alert, xdr, generic)",
		     n->field->name, filter_op_text(n->op), v);
		return false;
	}
	if (!strcmp(n->field->name, "asn")) {
		int64_t x;
		if (filter_parse_int(v + (strncasecmp(v, "as", 2) == 0 ? 2 : 0), &x))
			return true;
		perr(ps, at, "expected an AS number after 'asn%s', got '%s' (8075 or AS8075)",
		     filter_op_text(n->op), v);
		return false;
	}
	if (n->field->flags & FIELD_NUMBER) {
		int64_t x;
		if (filter_parse_int(v, &x))
			return true;
		perr(ps, at, "expected a number after '%s%s', got '%s'", n->field->name,
		     filter_op_text(n->op), v);
		return false;
	}
	if (!strcmp(n->field->name, "ip") && strchr(v, '/')) {
		struct filter_cidr c;
		if (filter_cidr_parse(v, &c))
			return true;
		perr(ps, at, "expected an address block such as 203.0.113.0/24, got '%s'", v);
		return false;
	}
	return true;
}

/* field OP value[,value...] with the name already read (name .. name_end). */
static struct filter_node *parse_term(struct parser *ps, const char *name, const char *name_end, int op,
				      size_t oplen)
{
	char *nm = xstrndup(name, (size_t)(name_end - name));
	struct filter_node *n = filter_node_new(FILTER_TERM);
	n->op = (enum filter_op)op;
	if (strncasecmp(nm, "sigma", 5) == 0 && (!nm[5] || nm[5] == '.' || nm[5] == '|')) {
		/* sigma.FIELD|mod|mod (sigma_field.h); sigma|mods: keywords */
		n->term = FILTER_SIGMA;
		char *bar = strchr(nm, '|');
		size_t flen = (size_t)((bar ? bar : nm + strlen(nm)) - nm);
		if (nm[5] == '.' && flen == 6) {
			free(nm);
			filter_node_free(n);
			return perr(ps, name, "expected a field after 'sigma.' such as sigma.Operation");
		}
		n->path = flen > 6 ? xstrndup(nm + 6, flen - 6) : NULL;
		char *why = NULL;
		if (bar && sigma_mods_parse(bar + 1, strlen(bar + 1), &n->smods, &why) < 0) {
			perr(ps, name + (bar - nm) + 1, "%s", why);
			free(why);
			free(nm);
			filter_node_free(n);
			return NULL;
		}
		if (op != FILTER_EQ && op != FILTER_NE) {
			free(nm);
			filter_node_free(n);
			return perr(ps, name_end, "'sigma' terms take = or !=, not '%s'", filter_op_text(op));
		}
	} else if (strncasecmp(nm, "json.", 5) == 0) {
		n->term = FILTER_JSON;
		if (!nm[5] || nm[strlen(nm) - 1] == '.' || strstr(nm, "..")) {
			free(nm);
			filter_node_free(n);
			return perr(ps, name,
				    "expected a path after 'json.' such as json.Parameters.ForwardTo");
		}
		n->path = xstrdup(nm + 5);
	} else if (strcasecmp(nm, "tag") == 0) {
		n->term = FILTER_TAG;
	} else if (strcasecmp(nm, "raw") == 0) {
		n->term = FILTER_RAW;
	} else {
		n->term = FILTER_FIELD;
		n->field = filter_field_find(nm);
		if (!n->field) {
			filter_node_free(n);
			perr(ps, name, "unknown field '%s'", nm);
			free(nm);
			return NULL;
		}
	}
	/* which operators the field takes */
	bool ordered = n->term == FILTER_FIELD && (n->field->flags & (FIELD_TIME | FIELD_NUMBER));
	if (n->term == FILTER_SIGMA)
		ordered = true; /* checked above: = and != only */
	bool is_re = op == FILTER_RE || op == FILTER_NRE;
	const char *bad = NULL;
	if (n->term == FILTER_RAW && !is_re)
		bad = "~ or !~ (a regular expression over the whole record)";
	else if (op >= FILTER_GT && !ordered)
		bad = "=, !=, ~ or !~";
	else if (is_re && ordered)
		bad = "=, !=, <, <=, > or >=";
	if (bad) {
		const char *shown = n->term == FILTER_FIELD ? n->field->name : nm;
		perr(ps, name_end, "'%s' takes %s, not '%s'", shown, bad, filter_op_text(op));
		free(nm);
		filter_node_free(n);
		return NULL;
	}
	free(nm);
	ps->p = name_end + oplen;
	bool list = op == FILTER_EQ || op == FILTER_NE;
	const char *after = ps->p;
	for (;;) {
		const char *at = ps->p;
		char *v;
		if (*ps->p == '"') {
			v = parse_quoted(ps);
			if (!v) {
				filter_node_free(n);
				return NULL;
			}
			if (!word_end(*ps->p) && !(list && *ps->p == ',')) {
				free(v);
				filter_node_free(n);
				return perr(ps, ps->p, "expected a space after the closing quote");
			}
		} else {
			v = word_end(*ps->p) && *ps->p != '(' ? xstrdup("") : parse_bare(ps, list);
			if (!*v) {
				char *shown =
					at == after ? xstrndup(name, (size_t)(after - name)) : xstrdup(",");
				perr(ps, at, "expected a value after '%s'", shown);
				free(shown);
				free(v);
				filter_node_free(n);
				return NULL;
			}
		}
		if (!check_value(ps, n, at, v)) {
			free(v);
			filter_node_free(n);
			return NULL;
		}
		if (n->term == FILTER_FIELD && !strcmp(n->field->name, "ip") && list)
			v = ip_value(v);
		filter_node_addval(n, v);
		if (list && *ps->p == ',') {
			ps->p++;
			continue;
		}
		break;
	}
	if (n->term == FILTER_SIGMA) {
		char *why = NULL;
		if (sigma_field_new(n->path, n->smods, n->vals, n->nvals, &n->sf, &why) < 0) {
			perr(ps, after, "%s", why);
			free(why);
			filter_node_free(n);
			return NULL;
		}
	}
	return n;
}

static struct filter_node *parse_or(struct parser *ps, int depth);

static struct filter_node *parse_primary(struct parser *ps, int depth)
{
	skip_ws(ps);
	const char *at = ps->p;
	if (*at == '(') {
		if (depth > 64)
			return perr(ps, at, "too many nested parentheses");
		ps->p++;
		struct filter_node *n = parse_or(ps, depth + 1);
		if (ps->failed)
			return NULL;
		skip_ws(ps);
		if (!n) {
			return perr(ps, ps->p, "expected a term after '('");
		}
		if (*ps->p != ')') {
			filter_node_free(n);
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
		struct filter_node *n = filter_node_new(FILTER_TEXT);
		filter_node_addval(n, v);
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
	if (p > at && word_end(*p) &&
	    (filter_field_find_n(at, (size_t)(p - at)) || strncasecmp(at, "json.", 5) == 0)) {
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
		return filter_node_new(FILTER_MARKED);
	struct filter_node *n = filter_node_new(FILTER_TEXT);
	filter_node_addval(n, xstrndup(at, (size_t)(p - at)));
	return n;
}

static bool at_operand_end(struct parser *ps)
{
	skip_ws(ps);
	return !*ps->p || *ps->p == ')' || keyword_at(ps->p, "or");
}

static struct filter_node *parse_unary(struct parser *ps, int depth)
{
	skip_ws(ps);
	const char *at = ps->p;
	bool neg = false;
	if (keyword_at(at, "not")) {
		ps->p += 3;
		neg = true;
	} else if (*at == '-' &&
		   (isalpha((unsigned char)at[1]) || at[1] == '(' || at[1] == '"' || at[1] == '_')) {
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
		struct filter_node *k = parse_unary(ps, depth + 1);
		if (!k)
			return NULL;
		/* not not x is x */
		if (k->type == FILTER_NOT) {
			struct filter_node *x = k->kids[0];
			k->nkids = 0;
			filter_node_free(k);
			return x;
		}
		struct filter_node *n = filter_node_new(FILTER_NOT);
		filter_node_add(n, k);
		return n;
	}
	return parse_primary(ps, depth);
}

static struct filter_node *parse_and(struct parser *ps, int depth)
{
	struct filter_node *acc = NULL;
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
				filter_node_free(acc);
				return perr(ps, ps->p, "expected a term after 'and'");
			}
		}
		struct filter_node *k = parse_unary(ps, depth);
		if (!k) {
			filter_node_free(acc);
			return NULL;
		}
		acc = filter_combine(FILTER_AND, acc, k);
	}
	return acc;
}

static struct filter_node *parse_or(struct parser *ps, int depth)
{
	struct filter_node *acc = parse_and(ps, depth);
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
		struct filter_node *b = parse_and(ps, depth);
		if (ps->failed) {
			filter_node_free(acc);
			return NULL;
		}
		if (!b) {
			filter_node_free(acc);
			return perr(ps, ps->p, "expected a term after 'or'");
		}
		acc = filter_combine(FILTER_OR, acc, b);
	}
	return acc;
}

struct filter *filter_parse(const char *text, char **cause)
{
	struct parser ps = { .s = text ? text : "", .p = text ? text : "", .cause = cause };
	struct filter_node *root = parse_or(&ps, 0);
	if (ps.failed)
		return NULL;
	skip_ws(&ps);
	if (*ps.p) {
		filter_node_free(root);
		perr(&ps, ps.p, "unexpected '%c'", *ps.p);
		return NULL;
	}
	struct filter *f = xcalloc(1, sizeof *f);
	f->root = root;
	return f;
}
