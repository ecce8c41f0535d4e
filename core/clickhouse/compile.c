/*
 * compile.c: a parsed filter (filter.h's tree) into ClickHouse SQL.
 *
 * Every value enters the statement through ch_quote(). Regexes run on
 * ClickHouse's RE2: syntax only PCRE2 has (look-around, back-references,
 * atomic groups, possessive quantifiers, \K, recursion, conditionals) is
 * refused with a filter error naming the column, rather than silently
 * meaning something else; case-insensitive patterns are wrapped as
 * (?i:...), since 18.16 drops matches of a leading (?i).
 *
 * Strings are stored '' when absent, so the rules of filter.h hold
 * without NULLs: "" is the absent value, and != is NOT of = (an absent
 * value is "not equal"). op_count is -1 when absent.
 */
#include <ctype.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "ch.h"
#include "event.h"
#include "filter_json.h"
#include "sanitize.h"
#include "sigma_field.h"
#include "xalloc.h"

struct cc {
	struct ch_store *s;
	struct ch_compiled *out;
	int64_t last_ts;
	bool have_last;
	int nots;  /* "not"s around the node being compiled */
	bool conj; /* the node is the root or in the root's AND chain */
};

/* Does n hold a term matched on the client (json.PATH, sigma.)? */
static bool has_client(const struct filter_node *n)
{
	if (n->type == FILTER_TERM)
		return n->term == FILTER_JSON || n->term == FILTER_SIGMA;
	for (size_t i = 0; i < n->nkids; i++)
		if (has_client(n->kids[i]))
			return true;
	return false;
}

static void lower_ascii(char *p)
{
	for (; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

static void q_lit(struct util_buf *b, const char *s)
{
	ch_quote(b, s, strlen(s));
}

/* Refuse what RE2 does not have (a filter error naming the column). */
int ch_regex_check(const char *pat, const char *field, char **cause)
{
	static const struct {
		const char *seq, *what;
	} pcre_only[] = {
		{ "(?=", "look-ahead (?=...)" },
		{ "(?!", "negative look-ahead (?!...)" },
		{ "(?<=", "look-behind (?<=...)" },
		{ "(?<!", "negative look-behind (?<!...)" },
		{ "(?>", "atomic group (?>...)" },
		{ "(?R", "recursion (?R)" },
		{ "(?(", "conditional (?(...)...)" },
		{ "(?|", "branch reset (?|...)" },
		{ "(*", "verb (*...)" },
	};
	for (size_t i = 0; i < sizeof pcre_only / sizeof pcre_only[0]; i++)
		if (strstr(pat, pcre_only[i].seq))
			return set_cause(cause,
					 "filter: %s~: %s is PCRE-only syntax, which the ClickHouse store's regex engine (RE2) does not have",
					 field, pcre_only[i].what);
	for (const char *p = pat; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			if (*p >= '1' && *p <= '9')
				return set_cause(cause,
						 "filter: %s~: back-reference \\%c is PCRE-only syntax, which the ClickHouse store's regex engine (RE2) does not have",
						 field, *p);
			if (*p == 'K' || *p == 'g' || *p == 'k')
				return set_cause(cause,
						 "filter: %s~: \\%c is PCRE-only syntax, which the ClickHouse store's regex engine (RE2) does not have",
						 field, *p);
			continue;
		}
		if ((*p == '*' || *p == '+' || *p == '?' || *p == '}') && p[1] == '+')
			return set_cause(cause,
					 "filter: %s~: a possessive quantifier (%c+) is PCRE-only syntax, which the ClickHouse store's regex engine (RE2) does not have",
					 field, *p);
	}
	return 0;
}

/* match(expr, pattern) with the case rule of the field. */
static int put_match(struct util_buf *b, const char *expr, const char *pat, bool caseless, const char *field,
		     char **cause)
{
	if (ch_regex_check(pat, field, cause) < 0)
		return -1;
	/* a leading (?i) of the analyst's becomes the wrapped form too */
	if (!strncmp(pat, "(?i)", 4)) {
		pat += 4;
		caseless = true;
	}
	char *p = caseless ? xasprintf("(?i:%s)", pat) : xstrdup(pat);
	util_buf_printf(b, "match(%s, ", expr);
	q_lit(b, p);
	util_buf_putc(b, ')');
	free(p);
	return 0;
}

static int last_ts(struct cc *c, char **cause)
{
	if (c->have_last)
		return 0;
	int64_t first;
	if (c->s->base.ops->time_range(&c->s->base, &first, &c->last_ts, cause) < 0)
		return -1;
	c->have_last = true;
	return 0;
}

static int term_time(struct cc *c, const struct filter_node *n, struct util_buf *b, char **cause)
{
	if (n->op == FILTER_RE || n->op == FILTER_NRE)
		return set_cause(cause, "filter: time: a time takes =, <, <=, >, >=, not a regex");
	util_buf_putc(b, '(');
	for (size_t i = 0; i < n->nvals; i++) {
		if (filter_time_is_relative(n->vals[i]) && last_ts(c, cause) < 0)
			return -1;
		int64_t from, to;
		if (filter_time_parse(n->vals[i], c->last_ts, &from, &to, cause) < 0)
			return -1;
		if (i)
			util_buf_puts(b, " OR ");
		switch (n->op) {
		case FILTER_EQ:
		case FILTER_NE:
			util_buf_printf(b, "(ts >= %lld AND ts < %lld)", (long long)from, (long long)to);
			break;
		case FILTER_GT: util_buf_printf(b, "ts >= %lld", (long long)to); break;
		case FILTER_GE: util_buf_printf(b, "ts >= %lld", (long long)from); break;
		case FILTER_LT: util_buf_printf(b, "ts < %lld", (long long)from); break;
		case FILTER_LE: util_buf_printf(b, "ts < %lld", (long long)to); break;
		default: break;
		}
	}
	util_buf_putc(b, ')');
	return 0;
}

static const char *const cmp_sql[] = { "=", "!=", "", "", ">", ">=", "<", "<=" };

static int term_number(const struct filter_node *n, struct util_buf *b, char **cause)
{
	const char *col = n->field->column;
	bool opc = !strcmp(col, "op_count");
	if (n->op == FILTER_RE || n->op == FILTER_NRE)
		return set_cause(cause, "filter: %s: a number takes =, <, <=, >, >=, not a regex",
				 n->field->name);
	util_buf_putc(b, '(');
	for (size_t i = 0; i < n->nvals; i++) {
		if (i)
			util_buf_puts(b, " OR ");
		if (!n->vals[i][0]) {
			util_buf_printf(b, "%s", opc ? "op_count < 0" : "0");
			continue;
		}
		int64_t v;
		if (!filter_value_int(n->field, n->vals[i], &v))
			return set_cause(cause, "filter: %s: expected a number, got '%s'", n->field->name,
					 n->vals[i]);
		enum filter_op op = n->op == FILTER_NE ? FILTER_EQ : n->op;
		util_buf_printf(b, "(%s%s %s %lld)", opc ? "op_count >= 0 AND " : "", col, cmp_sql[op],
				(long long)v);
	}
	util_buf_putc(b, ')');
	return 0;
}

static const char *kind_names_sql(void)
{
	static char buf[512];
	if (!buf[0]) {
		struct util_buf b = { 0 };
		util_buf_puts(&b, "[");
		for (int k = 0; k < KIND_COUNT; k++)
			util_buf_printf(&b, "%s'%s'", k ? ", " : "", event_kind_name(k));
		util_buf_puts(&b, "]");
		snprintf(buf, sizeof buf, "%s", util_buf_str(&b));
		util_buf_free(&b);
	}
	return buf;
}

static int term_kind(const struct filter_node *n, struct util_buf *b, char **cause)
{
	if (n->op == FILTER_RE || n->op == FILTER_NRE) {
		char *e = xasprintf("arrayElement(%s, kind + 1)", kind_names_sql());
		int r = put_match(b, e, n->vals[0], true, "kind", cause);
		free(e);
		return r;
	}
	/* kind="" is the kind absent, as field="" is for every field: every
	 * event has one, so it matches nothing and kind!="" everything (as
	 * on a case file; the parser has refused any other unknown name) */
	size_t nk = 0;
	for (size_t i = 0; i < n->nvals; i++) {
		if (!*n->vals[i])
			continue;
		int k = event_kind_parse(n->vals[i]);
		if (k < 0)
			return set_cause(cause, "filter: kind: unknown kind '%s'", n->vals[i]);
		util_buf_printf(b, "%s%d", nk++ ? ", " : "kind IN (", k);
	}
	util_buf_puts(b, nk ? ")" : "0");
	return 0;
}

/* source=PATH or a file name at the end of one: the ids, from the side file. */
static int term_source(struct cc *c, const struct filter_node *n, struct util_buf *b, char **cause)
{
	struct ch_store *s = c->s;
	if (ch_side_sources(s->side, &s->srcs, &s->srcpaths, cause) < 0)
		return -1;
	if (n->op == FILTER_RE || n->op == FILTER_NRE) {
		struct util_buf e = { 0 };
		util_buf_puts(&e, "transform(source, [");
		size_t k = 0;
		for (size_t i = 0; i < s->srcs.cap; i++)
			if (s->srcs.keys[i])
				util_buf_printf(&e, "%s%lld", k++ ? ", " : "", (long long)s->srcs.keys[i]);
		util_buf_puts(&e, "], [");
		k = 0;
		for (size_t i = 0; i < s->srcs.cap; i++)
			if (s->srcs.keys[i]) {
				if (k++)
					util_buf_puts(&e, ", ");
				q_lit(&e, s->srcpaths.v[s->srcs.vals[i] - 1]);
			}
		util_buf_puts(&e, "], '')");
		int r = put_match(b, k ? util_buf_str(&e) : "''", n->vals[0], false, "source", cause);
		util_buf_free(&e);
		return r;
	}
	util_buf_puts(b, "source IN (0");
	for (size_t i = 0; i < s->srcs.cap; i++) {
		if (!s->srcs.keys[i])
			continue;
		const char *p = s->srcpaths.v[s->srcs.vals[i] - 1];
		for (size_t v = 0; v < n->nvals; v++) {
			const char *want = n->vals[v];
			size_t pl = strlen(p), wl = strlen(want);
			if (!strcmp(p, want) ||
			    (wl && pl > wl && !strcmp(p + pl - wl, want) && p[pl - wl - 1] == '/')) {
				util_buf_printf(b, ", %lld", (long long)s->srcs.keys[i]);
				break;
			}
		}
	}
	util_buf_putc(b, ')');
	return 0;
}

/* ip=BLOCK: IPv4 by arithmetic on the server, IPv6 against the case's
 * distinct addresses here. */
static int cidr_cond(struct cc *c, const char *v, struct util_buf *b, char **cause)
{
	struct filter_cidr cd;
	if (!filter_cidr_parse(v, &cd))
		return set_cause(cause, "filter: ip: '%s' is not an address block", v);
	if (cd.family == AF_INET) {
		uint32_t a = (uint32_t)cd.addr[0] << 24 | (uint32_t)cd.addr[1] << 16 |
			     (uint32_t)cd.addr[2] << 8 | cd.addr[3];
		uint32_t mask = cd.bits ? 0xFFFFFFFFu << (32 - cd.bits) : 0;
		uint32_t lo = a & mask, hi = lo | ~mask;
		/* an ip that is no IPv4 address in its own spelling is out;
		 * since 22.3 IPv4StringToNum throws on one (the whole query
		 * fails), its OrDefault form gives 0 as older servers did */
		const char *fn = ch_version_ge(c->s, 22, 3) ? "IPv4StringToNumOrDefault" : "IPv4StringToNum";
		util_buf_printf(b, "(IPv4NumToString(%s(ip)) = ip AND %s(ip) BETWEEN %u AND %u)", fn, fn, lo,
				hi);
		return 0;
	}
	char tb[32];
	char *sql = xasprintf("SELECT DISTINCT ip FROM %s.%s WHERE position(ip, ':') > 0 FORMAT RowBinary",
			      c->s->url.db, ch_pivot_table(c->s, "ip", tb, sizeof tb));
	struct util_buf out = { 0 };
	int r = ch_exec(c->s->conn, sql, false, &out, cause);
	free(sql);
	if (r < 0) {
		util_buf_free(&out);
		return -1;
	}
	struct util_buf list = { 0 };
	struct ch_rd rd = { out.p, out.p + out.n, false };
	while (rd.p < rd.end) {
		size_t n;
		const char *p = ch_rd_str(&rd, &n);
		if (rd.bad)
			break;
		char *ip = xstrndup(p, n);
		if (filter_cidr_contains(&cd, ip)) {
			util_buf_puts(&list, list.n ? ", " : "");
			q_lit(&list, ip);
		}
		free(ip);
	}
	if (list.n)
		util_buf_printf(b, "ip IN (%s)", util_buf_str(&list));
	else
		util_buf_puts(b, "0");
	util_buf_free(&list);
	util_buf_free(&out);
	return 0;
}

static int term_text(struct cc *c, const struct filter_node *n, struct util_buf *b, char **cause)
{
	const struct filter_field *f = n->field;
	const char *col = f->column;
	bool nocase = (f->flags & FIELD_NOCASE) != 0, lowered = (f->flags & FIELD_LOWER) != 0;
	if (n->op == FILTER_RE || n->op == FILTER_NRE)
		return put_match(b, col, n->vals[0], nocase, f->name, cause);
	if (n->op != FILTER_EQ && n->op != FILTER_NE)
		return set_cause(cause, "filter: %s: a text field takes =, != or ~", f->name);
	char *lhs = nocase && !lowered ? xasprintf("lower(%s)", col) : xstrdup(col);
	util_buf_putc(b, '(');
	bool first = true;
	struct util_buf in = { 0 };
	for (size_t i = 0; i < n->nvals; i++) {
		const char *v = n->vals[i];
		if (!strcmp(f->name, "ip") && strchr(v, '/')) {
			if (!first)
				util_buf_puts(b, " OR ");
			first = false;
			if (cidr_cond(c, v, b, cause) < 0) {
				free(lhs);
				util_buf_free(&in);
				return -1;
			}
			continue;
		}
		char *val = xstrdup(v);
		if (nocase)
			lower_ascii(val);
		util_buf_puts(&in, in.n ? ", " : "");
		q_lit(&in, val);
		/* a value with a NUL byte is shown with \x00 (sanitize_nul):
		 * typed back, or made by a pivot from a cell, it names that
		 * value too (as filter_sql.c's resolve_value on SQLite) */
		size_t bn;
		char *bytes = sanitize_nul_undo(v, &bn);
		if (bytes) {
			if (nocase)
				for (size_t k = 0; k < bn; k++)
					if (bytes[k] >= 'A' && bytes[k] <= 'Z')
						bytes[k] = (char)(bytes[k] - 'A' + 'a');
			util_buf_puts(&in, ", ");
			ch_quote(&in, bytes, bn);
			free(bytes);
		}
		if (!strcmp(f->name, "op") && *val) {
			/* Entra operations end with a period in the UAL */
			char *dot = xasprintf("%s.", val);
			util_buf_puts(&in, ", ");
			q_lit(&in, dot);
			free(dot);
		}
		const char *rt = !strcmp(f->name, "record_type") ? filter_record_type_name(v) : NULL;
		if (rt) {
			char *l = xstrdup(rt);
			lower_ascii(l);
			util_buf_puts(&in, ", ");
			q_lit(&in, l);
			free(l);
		}
		free(val);
	}
	if (in.n) {
		if (!first)
			util_buf_puts(b, " OR ");
		util_buf_printf(b, "%s IN (%s)", lhs, util_buf_str(&in));
	}
	util_buf_putc(b, ')');
	free(lhs);
	util_buf_free(&in);
	return 0;
}

/* country=, asn=, as_org=: the place of ip, looked up once per address
 * after the load (places.c): the addresses whose place matches; "" is no
 * address, or one without that part of a place. */
static int term_geo(struct cc *c, const struct filter_node *n, struct util_buf *b, char **cause)
{
	const char *col = n->field->column;
	bool asn = !strcmp(col, "asn");
	int ready = ch_places_ready(c->s, cause);
	if (ready < 0)
		return -1;
	const char *db = c->s->url.db;
	const char *known = asn ? "asn != 0" : !strcmp(col, "country") ? "country != ''" : "as_org != ''";
	if (n->op == FILTER_RE || n->op == FILTER_NRE) {
		if (!ready) /* nothing placed: nothing matches */
			return ch_regex_check(n->vals[0], n->field->name, cause) < 0
				       ? -1
				       : (util_buf_puts(b, "0"), 0);
		util_buf_printf(b, "(ip IN (SELECT ip FROM %s.ipgeo WHERE %s AND ", db, known);
		if (put_match(b, asn ? "concat('AS', toString(asn))" : col, n->vals[0], true, n->field->name,
			      cause) < 0)
			return -1;
		util_buf_puts(b, "))");
		return 0;
	}
	if (n->op != FILTER_EQ && n->op != FILTER_NE)
		return set_cause(cause, "filter: %s: a place takes =, != or ~", n->field->name);
	bool absent = false;
	struct util_buf in = { 0 };
	for (size_t i = 0; i < n->nvals; i++) {
		const char *v = n->vals[i];
		if (!*v) {
			absent = true;
			continue;
		}
		util_buf_puts(&in, in.n ? ", " : "");
		if (asn) {
			int64_t x = 0;
			filter_value_int(n->field, v, &x);
			util_buf_printf(&in, "%lld", (long long)x);
		} else {
			char *l = xstrdup(v);
			lower_ascii(l);
			q_lit(&in, l);
			free(l);
		}
	}
	util_buf_puts(b, "(0");
	if (in.n && ready)
		util_buf_printf(b, " OR ip IN (SELECT ip FROM %s.ipgeo WHERE %s%s%s IN (%s))", db,
				asn ? "" : "lower(", col, asn ? "" : ")", util_buf_str(&in));
	if (absent) {
		if (ready)
			util_buf_printf(b, " OR ip = '' OR ip NOT IN (SELECT ip FROM %s.ipgeo WHERE %s)", db,
					known);
		else
			util_buf_puts(b, " OR 1");
	}
	util_buf_putc(b, ')');
	util_buf_free(&in);
	return 0;
}

/* An external table of annotation keys (marks, or one tag's); its name. */
static int ext_keys(struct cc *c, const char *tag, const char **name, char **cause)
{
	struct ch_compiled *o = c->out;
	*name = "";
	if (o->next >= CH_MAX_EXT)
		return set_cause(cause, "filter: more than %d tag terms", CH_MAX_EXT - 1);
	struct util_buf *d = &o->extdata[o->next];
	if (ch_side_annot_keys(c->s->side, tag, d, cause) < 0)
		return -1;
	snprintf(o->extname[o->next], sizeof o->extname[0], "annot%zu", o->next);
	*name = o->extname[o->next];
	o->next++;
	return 0;
}

static int node(struct cc *c, const struct filter_node *n, struct util_buf *b, char **cause);

/* A kid without client terms of a node with some: a leaf of the client's
 * evaluation, its SQL the text just compiled (b from at). */
static int add_leaf(struct cc *c, const struct filter_node *k, const struct util_buf *b, size_t at, char **cause)
{
	struct ch_compiled *o = c->out;
	if (o->nleaf >= CH_MAX_CLIENT)
		return set_cause(cause, "filter: more than %d terms beside json./sigma. terms", CH_MAX_CLIENT);
	o->lnode[o->nleaf] = k;
	o->lsql[o->nleaf] = c->conj ? NULL : xstrndup(b->p + at, b->n - at);
	o->lcol[o->nleaf] = c->conj ? -1 : (int)o->ncols++;
	o->nleaf++;
	return 0;
}

static int kids(struct cc *c, const struct filter_node *n, const char *sep, struct util_buf *b, char **cause)
{
	bool mixed = has_client(n), conj = c->conj;
	c->conj = conj && n->type == FILTER_AND;
	if (n->type == FILTER_NOT)
		c->nots++;
	util_buf_putc(b, '(');
	int r = 0;
	for (size_t i = 0; i < n->nkids && r == 0; i++) {
		if (i)
			util_buf_puts(b, sep);
		size_t at = b->n;
		r = node(c, n->kids[i], b, cause);
		if (r == 0 && mixed && !has_client(n->kids[i]))
			r = add_leaf(c, n->kids[i], b, at, cause);
	}
	util_buf_putc(b, ')');
	if (n->type == FILTER_NOT)
		c->nots--;
	c->conj = conj;
	return r;
}

/* A json.PATH or sigma. term: matched on the client; in the SQL the
 * value that keeps every record it may match (1, or 0 under an odd
 * number of "not"s). */
static int term_client(struct cc *c, const struct filter_node *n, struct util_buf *b, char **cause)
{
	struct ch_compiled *o = c->out;
	if (o->nclient >= CH_MAX_CLIENT)
		return set_cause(cause, "filter: more than %d json./sigma. terms", CH_MAX_CLIENT);
	if (n->term == FILTER_JSON && !(o->cjson[o->nclient] = filter_json_of_node(n, cause))) {
		char *why = cause ? *cause : NULL;
		if (cause)
			*cause = xasprintf("filter: json.%s: %s", n->path, why ? why : "bad term");
		free(why);
		return -1;
	}
	o->cnode[o->nclient++] = n;
	util_buf_puts(b, c->nots % 2 ? "0" : "1");
	return 0;
}

/* The literals one of which every record the filter matches holds (any
 * case), as a condition on raw: positionCaseInsensitive is ASCII's case,
 * and the literals are ASCII (filter_sigma_literals: plain JSON text). */
static char *client_prefilter(const struct filter *f)
{
	const char **lits;
	size_t n = filter_sigma_literals(f, &lits);
	struct util_buf b = { 0 };
	for (size_t i = 0; i < n; i++) {
		for (const char *p = lits[i]; *p; p++)
			if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20 || strchr("\\\"/", *p)) {
				free(lits);
				util_buf_free(&b);
				return NULL;
			}
		util_buf_puts(&b, i ? " OR " : "(");
		util_buf_puts(&b, "positionCaseInsensitive(raw, ");
		q_lit(&b, lits[i]);
		util_buf_puts(&b, ") > 0");
	}
	free(lits);
	if (!b.n)
		return NULL;
	util_buf_putc(&b, ')');
	return util_buf_take(&b);
}

static int node(struct cc *c, const struct filter_node *n, struct util_buf *b, char **cause)
{
	const char *db = c->s->url.db;
	switch (n->type) {
	case FILTER_AND: return kids(c, n, " AND ", b, cause);
	case FILTER_OR: return kids(c, n, " OR ", b, cause);
	case FILTER_NOT: util_buf_puts(b, "NOT "); return kids(c, n, "", b, cause);
	case FILTER_MARKED: {
		const char *name;
		if (ext_keys(c, NULL, &name, cause) < 0)
			return -1;
		util_buf_printf(b, "((record_id, kind) IN %s)", name);
		return 0;
	}
	case FILTER_TEXT:
		c->out->raw = true;
		util_buf_printf(b, "(id IN (SELECT id FROM %s.raw WHERE positionCaseInsensitive(raw, ", db);
		q_lit(b, n->vals[0]);
		util_buf_puts(b, ") > 0))");
		return 0;
	case FILTER_TERM: break;
	}
	if (n->term == FILTER_JSON || n->term == FILTER_SIGMA)
		return term_client(c, n, b, cause);
	bool neg = n->op == FILTER_NE || n->op == FILTER_NRE;
	if (neg)
		util_buf_puts(b, "NOT ");
	int r = 0;
	switch (n->term) {
	case FILTER_RAW:
		c->out->raw = true;
		util_buf_printf(b, "(id IN (SELECT id FROM %s.raw WHERE ", db);
		r = put_match(b, "raw", n->vals[0], true, "raw", cause);
		util_buf_puts(b, "))");
		break;
	case FILTER_TAG: {
		const char *name;
		bool none = n->op != FILTER_RE && n->op != FILTER_NRE && n->nvals == 1 && !n->vals[0][0];
		if (n->op == FILTER_RE || n->op == FILTER_NRE)
			return set_cause(cause,
					 "filter: tag~: a regex over tags is not available on the ClickHouse store; name the tag");
		if (none) {
			/* tag="": no tag at all */
			if (ext_keys(c, "", &name, cause) < 0)
				return -1;
			/* the empty tag name selects every tagged key (side.c) */
			util_buf_printf(b, "(NOT ((record_id, kind) IN %s))", name);
			break;
		}
		util_buf_putc(b, '(');
		for (size_t i = 0; i < n->nvals; i++) {
			if (ext_keys(c, n->vals[i], &name, cause) < 0)
				return -1;
			util_buf_printf(b, "%s(record_id, kind) IN %s", i ? " OR " : "", name);
		}
		util_buf_putc(b, ')');
		break;
	}
	case FILTER_JSON:
	case FILTER_SIGMA: break; /* term_client */
	case FILTER_FIELD: {
		unsigned fl = n->field->flags;
		if (fl & FIELD_TIME)
			r = term_time(c, n, b, cause);
		else if (fl & FIELD_NUMBER)
			r = term_number(n, b, cause);
		else if (fl & FIELD_KIND)
			r = term_kind(n, b, cause);
		else if (fl & FIELD_SOURCE)
			r = term_source(c, n, b, cause);
		else if (fl & FIELD_GEO)
			r = term_geo(c, n, b, cause);
		else
			r = term_text(c, n, b, cause);
		break;
	}
	}
	return r;
}

/* The pivot copy a top-level term selects from: an = term (no "" and
 * no address block) on a pivot field. */
static const char *pick_pivot(const struct filter_node *root)
{
	if (!root)
		return NULL;
	const struct filter_node *const *k = &root;
	size_t nk = 1;
	if (root->type == FILTER_AND) {
		k = (const struct filter_node *const *)root->kids;
		nk = root->nkids;
	}
	for (size_t i = 0; i < nk; i++) {
		const struct filter_node *n = k[i];
		if (n->type != FILTER_TERM || n->term != FILTER_FIELD || n->op != FILTER_EQ)
			continue;
		if (!ch_pivot_key(n->field->name))
			continue;
		bool ok = true;
		for (size_t v = 0; v < n->nvals && ok; v++)
			ok = n->vals[v][0] && !strchr(n->vals[v], '/');
		if (ok)
			return n->field->name;
	}
	return NULL;
}

int ch_compile(struct ch_store *s, const struct filter *f, struct ch_compiled *out, char **cause)
{
	memset(out, 0, sizeof *out);
	const struct filter_node *root = filter_root(f);
	if (!root) {
		out->where = xstrdup("1");
		out->empty = true;
		snprintf(out->table, sizeof out->table, "events");
		return 0;
	}
	struct cc c = { .s = s, .out = out, .conj = true };
	struct util_buf b = { 0 };
	if (node(&c, root, &b, cause) < 0) {
		util_buf_free(&b);
		ch_compiled_clear(out);
		return -1;
	}
	out->where = util_buf_take(&b);
	if (out->nclient)
		out->prefilter = client_prefilter(f);
	const char *pv = pick_pivot(root);
	char tb[32];
	snprintf(out->table, sizeof out->table, "%s", pv ? ch_pivot_table(s, pv, tb, sizeof tb) : "events");
	return 0;
}

void ch_compiled_clear(struct ch_compiled *o)
{
	free(o->where);
	for (size_t i = 0; i < o->next; i++)
		util_buf_free(&o->extdata[i]);
	for (size_t i = 0; i < o->nclient; i++)
		filter_json_free(o->cjson[i]);
	for (size_t i = 0; i < o->nleaf; i++)
		free(o->lsql[i]);
	free(o->prefilter);
	memset(o, 0, sizeof *o);
}

size_t ch_compiled_ext(const struct ch_compiled *o, struct ch_ext *ext)
{
	for (size_t i = 0; i < o->next; i++)
		ext[i] = (struct ch_ext){ o->extname[i],
					  o->extids[i] ? "id Int64" : "record_id String, kind UInt8",
					  o->extdata[i].p, o->extdata[i].n };
	return o->next;
}

int ch_client_match(const struct ch_compiled *o, const struct filter_node *n, const char *raw, size_t rn,
		    const int64_t *cols, char **cause)
{
	for (size_t i = 0; i < o->nleaf; i++)
		if (o->lnode[i] == n)
			return o->lcol[i] < 0 ? 1 : cols[o->lcol[i]] != 0;
	for (size_t i = 0; i < o->nclient; i++) {
		if (o->cnode[i] != n)
			continue;
		if (n->term == FILTER_JSON)
			return filter_json_term(o->cjson[i], raw, rn, cause);
		int r = raw && sigma_field_may_match(n->sf, raw, rn)
				? sigma_field_match_text(n->sf, raw, rn, cause)
				: 0;
		return r < 0 ? -1 : n->op == FILTER_NE ? !r : r;
	}
	switch (n->type) {
	case FILTER_AND:
	case FILTER_OR: {
		bool want = n->type == FILTER_OR;
		for (size_t i = 0; i < n->nkids; i++) {
			int r = ch_client_match(o, n->kids[i], raw, rn, cols, cause);
			if (r < 0)
				return -1;
			if ((r == 1) == want)
				return want;
		}
		return !want;
	}
	case FILTER_NOT: {
		int r = ch_client_match(o, n->kids[0], raw, rn, cols, cause);
		return r < 0 ? -1 : !r;
	}
	default: return set_cause(cause, "filter: a term neither SQL nor client-matched (internal)");
	}
}
