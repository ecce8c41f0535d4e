/*
 * filter.c: the filter language of filter.h without any store: the field
 * table, the tree (building, copying, freeing), its canonical printer,
 * pivots, and the value helpers every store's compiler reads values
 * with. The parser is in filter_parse.c, matching a raw record alone in
 * filter_match.c; compiling is each store's (core/sqlite/filter_sql.c).
 */
#include "filter.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter_tree.h"
#include "sigma_field.h"
#include "timeparse.h"
#include "util.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Fields */

#define TXT (FIELD_TEXT)
static const struct filter_field fields[] = {
	{ "time", "ts", FIELD_TIME | FIELD_INDEXED, "event time (UTC): 2023-06-16, 2023-06-16T10:00, -7d" },
	{ "user", "user", TXT | FIELD_INDEXED | FIELD_NOCASE | FIELD_LOWER, "user (UPN), any case" },
	{ "app", "app", TXT | FIELD_INDEXED | FIELD_NOCASE | FIELD_LOWER, "app id, or an app's name" },
	{ "client_app", "client_app", TXT | FIELD_NOCASE | FIELD_LOWER,
	  "client app id (ClientAppId), or a name" },
	{ "ip", "ip", TXT | FIELD_INDEXED | FIELD_NOCASE | FIELD_LOWER,
	  "client IP, or a CIDR block 203.0.113.0/24" },
	{ "host", "host", TXT | FIELD_NOCASE | FIELD_LOWER,
	  "client host name where the log named one, not an IP (localhost, cool.client.local)" },
	{ "op", "op", TXT | FIELD_INDEXED | FIELD_NOCASE, "operation, any case" },
	{ "workload", "workload", TXT | FIELD_NOCASE, "Exchange, AzureActiveDirectory, SharePoint ..." },
	{ "record_type", "rtype", TXT | FIELD_NOCASE, "record type name, or its number (50)" },
	{ "result", "result", TXT | FIELD_NOCASE, "Succeeded, Failed, an error code ..." },
	{ "session", "session", TXT | FIELD_INDEXED, "session id (exact)" },
	{ "token", "token", TXT, "unique token id (exact)" },
	{ "mailbox", "mailbox", TXT | FIELD_NOCASE | FIELD_LOWER, "mailbox owner, any case" },
	{ "access", "access", TXT | FIELD_NOCASE, "mail access type: Bind or Sync" },
	{ "client_info", "client_info", TXT, "client info string / user agent (exact)" },
	{ "detail", "detail", TXT | FIELD_NOCASE,
	  "the kind's key detail: Graph method and URI, message, resource, risk" },
	{ "country", "country", FIELD_GEO | FIELD_NOCASE,
	  "the IP's country (ISO code: DE, US), from offline databases" },
	{ "asn", "asn", FIELD_GEO, "the IP's autonomous system number: 8075 or AS8075" },
	{ "as_org", "as_org", FIELD_GEO | FIELD_NOCASE, "the IP's network owner, any case" },
	{ "kind", "kind", FIELD_KIND,
	  "kind of log: ual signin directory_audit graph_activity message_trace "
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
	{ "operation", "op" },
	{ "rtype", "record_type" },
	{ "recordtype", "record_type" },
	{ "userid", "user" },
	{ "appid", "app" },
	{ "clientappid", "client_app" },
	{ "client_ip", "ip" },
	{ "clientip", "ip" },
	{ "hostname", "host" },
	{ "client_host", "host" },
	{ "session_id", "session" },
	{ "sessionid", "session" },
	{ "token_id", "token" },
	{ "mail_access", "access" },
	{ "ts", "time" },
	{ "date", "time" },
	{ "useragent", "client_info" },
	{ "user_agent", "client_info" },
	{ "id", "record_id" },
	{ "operationcount", "op_count" },
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

/* ------------------------------------------------------------------ */
/* The tree */

static const char *const op_text[] = { "=", "!=", "~", "!~", ">", ">=", "<", "<=" };

const char *filter_op_text(enum filter_op op)
{
	return op_text[op];
}

const struct filter_node *filter_root(const struct filter *f)
{
	return f ? f->root : NULL;
}

void filter_node_free(struct filter_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		filter_node_free(n->kids[i]);
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
	filter_node_free(f->root);
	free(f);
}

bool filter_is_empty(const struct filter *f)
{
	return !f || !f->root;
}

struct filter_node *filter_node_new(enum filter_node_type t)
{
	struct filter_node *n = xcalloc(1, sizeof *n);
	n->type = t;
	return n;
}

void filter_node_add(struct filter_node *parent, struct filter_node *kid)
{
	parent->kids = xrealloc(parent->kids, (parent->nkids + 1) * sizeof *parent->kids);
	parent->kids[parent->nkids++] = kid;
}

/* a AND/OR b, flattening kids of the same type so that the tree (and the
 * canonical text) does not depend on how the analyst grouped them. */
struct filter_node *filter_combine(enum filter_node_type t, struct filter_node *a, struct filter_node *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	struct filter_node *n;
	if (a->type == t) {
		n = a;
	} else {
		n = filter_node_new(t);
		filter_node_add(n, a);
	}
	if (b->type == t) {
		for (size_t i = 0; i < b->nkids; i++)
			filter_node_add(n, b->kids[i]);
		b->nkids = 0;
		filter_node_free(b);
	} else {
		filter_node_add(n, b);
	}
	return n;
}

void filter_node_addval(struct filter_node *n, char *v)
{
	n->vals = xrealloc(n->vals, (n->nvals + 1) * sizeof *n->vals);
	n->vals[n->nvals++] = v;
}

static struct filter_node *node_copy(const struct filter_node *n)
{
	if (!n)
		return NULL;
	struct filter_node *c = filter_node_new(n->type);
	c->term = n->term;
	c->field = n->field;
	c->path = n->path ? xstrdup(n->path) : NULL;
	c->op = n->op;
	for (size_t i = 0; i < n->nkids; i++)
		filter_node_add(c, node_copy(n->kids[i]));
	for (size_t i = 0; i < n->nvals; i++)
		filter_node_addval(c, xstrdup(n->vals[i]));
	c->smods = n->smods;
	if (n->sf && sigma_field_new(c->path, c->smods, c->vals, c->nvals, &c->sf, NULL) < 0)
		c->sf = NULL; /* cannot happen: n's own values built n->sf */
	return c;
}

struct filter *filter_copy(const struct filter *f)
{
	struct filter *c = xcalloc(1, sizeof *c);
	c->root = f ? node_copy(f->root) : NULL;
	return c;
}

/* ------------------------------------------------------------------ */
/* Values */

bool filter_parse_int(const char *s, int64_t *out)
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

bool filter_cidr_parse(const char *s, struct filter_cidr *c)
{
	const char *slash = strchr(s, '/');
	if (!slash || slash - s >= 64)
		return false;
	char a[64];
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	int64_t bits;
	if (!filter_parse_int(slash + 1, &bits))
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

bool filter_cidr_contains(const struct filter_cidr *c, const char *ip)
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

bool filter_time_is_relative(const char *s)
{
	int64_t ms;
	return parse_relative(s, &ms);
}

bool filter_value_int(const struct filter_field *f, const char *v, int64_t *out)
{
	if (!strcmp(f->name, "asn") && strncasecmp(v, "as", 2) == 0)
		v += 2;
	return filter_parse_int(v, out);
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

const char *filter_record_type_name(const char *v)
{
	if (!*v)
		return NULL;
	for (const char *p = v; *p; p++)
		if (!isdigit((unsigned char)*p))
			return NULL;
	for (size_t i = 0; i < sizeof rtypes / sizeof rtypes[0]; i++)
		if (rtypes[i].num == atoi(v))
			return rtypes[i].name;
	return NULL;
}

char *filter_regex_literal(const char *s, bool caseless)
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

void filter_node_print(struct util_buf *b, const struct filter_node *n, enum filter_node_type parent)
{
	switch (n->type) {
	case FILTER_AND:
	case FILTER_OR: {
		/* "and" binds tighter than "or"; "not" tighter than both */
		bool paren = parent == FILTER_NOT || (n->type == FILTER_OR && parent == FILTER_AND);
		if (paren)
			util_buf_puts(b, "(");
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				util_buf_puts(b, n->type == FILTER_AND ? " " : " or ");
			filter_node_print(b, n->kids[i], n->type);
		}
		if (paren)
			util_buf_puts(b, ")");
		break;
	}
	case FILTER_NOT:
		util_buf_puts(b, "not ");
		filter_node_print(b, n->kids[0], FILTER_NOT);
		break;
	case FILTER_MARKED: util_buf_puts(b, "marked"); break;
	case FILTER_TEXT:
		if (text_bare_ok(n->vals[0]))
			util_buf_puts(b, n->vals[0]);
		else
			put_quoted(b, n->vals[0]);
		break;
	case FILTER_TERM: {
		if (n->term == FILTER_SIGMA) {
			char *m = sigma_mods_text(n->smods);
			util_buf_printf(b, "sigma%s%s%s", n->path ? "." : "", n->path ? n->path : "", m);
			free(m);
		} else if (n->term == FILTER_JSON)
			util_buf_printf(b, "json.%s", n->path);
		else if (n->term == FILTER_TAG)
			util_buf_puts(b, "tag");
		else if (n->term == FILTER_RAW)
			util_buf_puts(b, "raw");
		else
			util_buf_puts(b, n->field->name);
		util_buf_puts(b, filter_op_text(n->op));
		bool list = n->op == FILTER_EQ || n->op == FILTER_NE;
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

char *filter_node_text(const struct filter_node *n)
{
	struct util_buf b = { 0 };
	if (n)
		filter_node_print(&b, n, FILTER_OR);
	return util_buf_take(&b);
}

char *filter_canonical(const struct filter *f)
{
	struct util_buf b = { 0 };
	if (f && f->root)
		filter_node_print(&b, f->root, FILTER_OR);
	return util_buf_take(&b);
}

char *filter_pivot(const char *text, const char *field, const char *value, enum filter_pivot how, char **cause)
{
	struct filter *f = filter_parse(text, cause);
	if (!f)
		return NULL;
	struct filter_node *t = filter_node_new(FILTER_TERM);
	t->op = how == FILTER_EXCLUDE ? FILTER_NE : FILTER_EQ;
	if (field && strncasecmp(field, "json.", 5) == 0 && field[5]) {
		t->term = FILTER_JSON;
		t->path = xstrdup(field + 5);
	} else if (field && strcasecmp(field, "tag") == 0) {
		t->term = FILTER_TAG;
	} else {
		t->term = FILTER_FIELD;
		t->field = filter_field_find(field);
		if (!t->field) {
			filter_node_free(t);
			filter_free(f);
			set_cause(cause, "filter: unknown field '%s'", field ? field : "");
			return NULL;
		}
	}
	filter_node_addval(t, xstrdup(value ? value : ""));
	/* the same term twice adds nothing */
	struct util_buf tb = { 0 };
	filter_node_print(&tb, t, FILTER_AND);
	bool dup = false;
	if (f->root) {
		struct filter_node *r = f->root;
		size_t nk = r->type == FILTER_AND ? r->nkids : 1;
		for (size_t i = 0; i < nk && !dup; i++) {
			struct util_buf kb = { 0 };
			filter_node_print(&kb, r->type == FILTER_AND ? r->kids[i] : r, FILTER_AND);
			dup = strcmp(kb.p, tb.p) == 0;
			free(kb.p);
		}
	}
	free(tb.p);
	if (dup)
		filter_node_free(t);
	else
		f->root = filter_combine(FILTER_AND, f->root, t);
	char *s = filter_canonical(f);
	filter_free(f);
	return s;
}
