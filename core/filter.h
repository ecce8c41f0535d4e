/*
 * filter.h: the filter language an analyst types, as data.
 *
 *   user=alice@contoso.com op=MailItemsAccessed        juxtaposition is "and"
 *   app=666e1623-...,Outlook  ip=203.0.113.0/24        any of; CIDR for ip
 *   op~^(New|Set)-InboxRule  json.ClientInfoString~REST   PCRE2 regex
 *   json.Parameters.ForwardTo=evil@x.com              Name/Value arrays by Name
 *   time>=2023-06-16 time<-7d  op_count>100            time and numbers
 *   forward "quoted phrase"                           free text over the raw record
 *   raw~"ForwardTo.*@proton"                          a regex over the raw record
 *   marked  tag=exfil                                 annotations
 *   user!=a  not (a or b)  -ip=1.2.3.4  ( ... )       negation, grouping
 *
 * A filter is parsed once into a tree (filter_parse), prints back in one
 * canonical form (filter_canonical: saved views and the filter history
 * store that text). Compiling a filter is the store's job (query.h:
 * query_new): the tree is public (struct filter_node, "The tree" below)
 * and each store walks it into its own language; the SQLite store turns
 * it into a WHERE condition with every value bound as a parameter
 * (core/sqlite/filter_sql.c, with the SQL functions it calls in
 * core/sqlite/filter_func.c). Nothing here knows how events are stored.
 *
 * Files: filter.c (fields, the tree, printing, pivots, the value
 * helpers below), filter_parse.c (the parser), filter_match.c (sigma
 * terms against a raw record alone).
 *
 * Matching: users, mailboxes, operations, workloads, record types,
 * results, access types and app names compare without regard to case;
 * ids (sessions, tokens, record ids) compare exactly; app, client_app
 * and ip are stored lower-case, so their ids match in any case. Free
 * text, json.PATH values and regexes on those fields and on raw ignore
 * case too; a regex on an id field is as written (add (?i) to change
 * that).
 * field="" matches events where the field is absent.
 */
#ifndef AUDITSCOPE_FILTER_H
#define AUDITSCOPE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sigma_field;

/* ------------------------------------------------------------------ */
/* Fields */

enum {
	FIELD_INDEXED = 1 << 0, /* an (field, ts) index pages it without a scan */
	FIELD_NOCASE = 1 << 1,  /* compared without regard to case */
	FIELD_LOWER = 1 << 2,   /* stored lower-case */
	FIELD_TIME = 1 << 3,    /* the event time: <, >, ranges, relative -7d */
	FIELD_NUMBER = 1 << 4,  /* an integer column: <, > */
	FIELD_TEXT = 1 << 5,    /* an interned text column (stackable) */
	FIELD_PLAIN = 1 << 6,   /* a text column of events itself (record_id) */
	FIELD_SOURCE = 1 << 7,  /* the source file path */
	FIELD_KIND = 1 << 8,    /* the kind of log (event.h): ual, signin, ... */
	FIELD_GEO = 1 << 9,     /* the IP's place (core/ipgeo.h): country, asn, as_org */
};

struct filter_field {
	const char *name;   /* canonical name: user, app, ip, op, ... */
	const char *column; /* events column */
	unsigned flags;     /* FIELD_* */
	const char *help;   /* one line for the help screen and usage */
};

/* All fields, in display order (n set to the count). */
const struct filter_field *filter_fields(size_t *n);
/* A field by name or alias (operation, userid, client_ip, ...), any case;
 * NULL when unknown. json.PATH is not in this table (see filter.h top). */
const struct filter_field *filter_field_find(const char *name);

/* ------------------------------------------------------------------ */
/* Parsing and printing */

struct filter;

/*
 * Parse filter text; NULL or "" (or only white space) is the empty filter
 * that matches everything. Returns NULL with *cause set on a syntax error,
 * saying what was expected and at which column (1-based, in bytes), e.g.
 * "filter: expected a value after 'user=' at column 6". Values stay data:
 * a store binds them, never pastes them into a query's text.
 */
struct filter *filter_parse(const char *text, char **cause);
void filter_free(struct filter *f);
/* A deep copy of f (NULL: the empty filter). */
struct filter *filter_copy(const struct filter *f);

/* Does f match everything? */
bool filter_is_empty(const struct filter *f);

/*
 * The canonical text of f (caller frees): "" for the empty filter; field
 * names by their canonical name, values quoted only where needed,
 * "and" as a space, "or", "not", parentheses only where precedence needs
 * them. filter_parse(filter_canonical(f)) prints back the same text.
 */
char *filter_canonical(const struct filter *f);

/* Quote value for use in filter text if it needs quoting (caller frees). */
char *filter_quote(const char *value);

enum filter_pivot {
	FILTER_KEEP,    /* narrow to field=value */
	FILTER_EXCLUDE, /* drop field=value: field!=value */
};

/*
 * The pivot keys: filter text with field=value (or field!=value) added
 * as one more "and" term, as new canonical text (caller frees). value
 * NULL means the field is absent (field=""). NULL with *cause when text
 * does not parse or field is unknown.
 */
char *filter_pivot(const char *text, const char *field, const char *value, enum filter_pivot how, char **cause);

/*
 * A time value of the language: 2023-06-16, 2023-06-16T10:00,
 * 2023-06-16 10:00:00Z (every form of timeparse.h), or relative to the
 * case's last event last_ts: -7d, -12h, -30m, -90s, -2w. *from gets the
 * moment; *to the end of the span the text names (exclusive): a whole
 * day for a date, a minute for 10:00, a second for 10:00:00, a
 * millisecond for a relative time. Returns 0, or -1 with *cause.
 */
int filter_time_parse(const char *s, int64_t last_ts, int64_t *from, int64_t *to, char **cause);

/* ------------------------------------------------------------------ */
/* The tree, for the stores that compile it
 *
 * filter_root(f) is the root of a parsed filter; NULL for the empty
 * filter, which matches every event. A store compiles a filter by
 * walking the tree from the root (core/sqlite/filter_sql.c walks it into
 * SQL and is the reference for what each node means):
 *
 *   FILTER_AND, FILTER_OR  kids[0 .. nkids-1], two or more; a kid is
 *                          never of its parent's type (the parser
 *                          flattens a and (b and c) into one node)
 *   FILTER_NOT             kids[0]; never a FILTER_NOT itself
 *   FILTER_MARKED          the event is marked (annot.h)
 *   FILTER_TEXT            vals[0] occurs in the raw record, any case
 *                          (filter_regex_literal makes it a pattern)
 *   FILTER_TERM            a term: what it tests (term), op, and
 *                          vals[0 .. nvals-1]: for = and != any of the
 *                          values (a list), for ~ !~ < <= > >= exactly one
 *
 * The terms (FILTER_TERM), by term:
 *   FILTER_FIELD  field (filter_fields), which its flags describe:
 *                 FIELD_TEXT/FIELD_PLAIN an event's text; FIELD_LOWER
 *                 values are stored lower-case (lower a value before
 *                 comparing), FIELD_NOCASE compares without case;
 *                 FIELD_TIME: each value through filter_time_parse,
 *                 [from, to) the span it names: = within it, > at or
 *                 after to, >= at or after from, < before from, <=
 *                 before to (a relative value, filter_time_is_relative,
 *                 counts back from the case's last event);
 *                 FIELD_NUMBER and asn: filter_value_int; FIELD_KIND:
 *                 event_kind_parse (event.h), a regex runs over
 *                 event_kind_name; FIELD_SOURCE: the source file's path,
 *                 or a file name at the end of one; FIELD_GEO: the place
 *                 of the event's IP (ipgeo.h), "" meaning no address or
 *                 one not placed.
 *                 Value forms: ip=BLOCK when the value holds a '/'
 *                 (filter_cidr_parse/filter_cidr_contains); op=X also
 *                 matches "X." (Entra operations end with a period in
 *                 the UAL); record_type=50 names a type by number
 *                 (filter_record_type_name); app= and client_app= also
 *                 take an app's name (knownapps.h: knownapps_case_ids).
 *   FILTER_JSON   path (after "json."): a value at that path of the raw
 *                 record, any case; Name/Value arrays are entered by Name.
 *   FILTER_TAG    a tag of the event, any case; tag="" has no tag.
 *   FILTER_RAW    vals[0], a regex over the whole raw record (~ and !~).
 *   FILTER_SIGMA  sf: the condition, built when parsed (sigma_field.h:
 *                 sigma_field_match_text on the raw record); op = or !=.
 *
 * Rules every store keeps, so that a filter means the same everywhere:
 *   - the value "" under = and != means the field is absent;
 *   - a negative operator (!=, !~) is NOT of its positive form, with an
 *     absent value counting as "not equal": user!=a matches events
 *     without a user (and FILTER_NOT likewise treats "unknown" as false
 *     before negating);
 *   - regexes (PCRE2) ignore case on FIELD_NOCASE fields, json.PATH,
 *     raw, tag, kind and the place fields; on the others they are as
 *     written;
 *   - a regular expression that hits its match limit is an error, not
 *     "no match".
 * The tree is read-only to a compiler; it lives as long as the filter.
 */

enum filter_node_type { FILTER_AND, FILTER_OR, FILTER_NOT, FILTER_TERM, FILTER_TEXT, FILTER_MARKED };
enum filter_term { FILTER_FIELD, FILTER_JSON, FILTER_TAG, FILTER_RAW, FILTER_SIGMA };
enum filter_op { FILTER_EQ, FILTER_NE, FILTER_RE, FILTER_NRE, FILTER_GT, FILTER_GE, FILTER_LT, FILTER_LE };

struct filter_node {
	enum filter_node_type type;
	struct filter_node **kids; /* FILTER_AND, FILTER_OR: two or more; FILTER_NOT: one */
	size_t nkids;
	/* FILTER_TERM */
	enum filter_term term;
	const struct filter_field *field; /* FILTER_FIELD */
	char *path;     /* FILTER_JSON: the path after "json."; FILTER_SIGMA: the field (NULL: keywords) */
	unsigned smods; /* FILTER_SIGMA: its modifiers (sigma_field.h) */
	struct sigma_field *sf; /* FILTER_SIGMA: the condition, built when parsed */
	enum filter_op op;
	char **vals; /* FILTER_TERM: one or more (a list for = and !=); FILTER_TEXT: one */
	size_t nvals;
};

/* The root of f's tree; NULL when f is empty (matches everything). */
const struct filter_node *filter_root(const struct filter *f);
/* An operator as the language writes it: "=", "!=", "~", ... */
const char *filter_op_text(enum filter_op op);
/* The canonical text of a subtree (caller frees), as filter_canonical
 * prints it: a store can hand a term to a function that parses it again
 * (the SQLite store's filter_sigma does). */
char *filter_node_text(const struct filter_node *n);

/* Value helpers a compiler needs, so that each store reads values alike */

/* Is s a time relative to the case's last event (-7d, -12h ...)? */
bool filter_time_is_relative(const char *s);
/* The integer a FIELD_NUMBER value (or an asn: 8075 or AS8075) names. */
bool filter_value_int(const struct filter_field *f, const char *v, int64_t *out);
/* An IPv4 or IPv6 address block (203.0.113.0/24, 2001:db8::/32). */
struct filter_cidr {
	unsigned char addr[16];
	int family, bits;
};
bool filter_cidr_parse(const char *s, struct filter_cidr *c);
/* Does the address text ip lie in c? false when ip is not an address. */
bool filter_cidr_contains(const struct filter_cidr *c, const char *ip);
/* record_type=50: the record type name the UAL gives the number v
 * (RecordType), or NULL when v is not such a number. */
const char *filter_record_type_name(const char *v);
/* A PCRE2 pattern that matches s literally, optionally without regard to
 * case (caller frees). */
char *filter_regex_literal(const char *s, bool caseless);

/* ------------------------------------------------------------------ */
/* Sigma terms: sigma.FIELD|MODS=VALUES (sigma_field.h)
 *
 *   sigma.Operation|contains=New-InboxRule,Set-InboxRule
 *   sigma.ConsentContext.IsAdminConsent=false   sigma.ResultType!=0
 *   sigma.location|exists=false                  sigma|contains=listKeys
 *
 * A field named as a Sigma rule names it in the event's raw record, with
 * Sigma's modifiers and wildcards (sigma_field.h); "sigma" alone: the
 * record's values anywhere (keywords). A store tests them on the event's
 * raw record (FILTER_SIGMA above), and they can also be tested on a raw
 * record without a case: */

/* Does the raw record (JSON text) meet f? 1 or 0; -1 with *cause when f
 * holds terms other than sigma and json.PATH ones (they need the case) or
 * a regular expression ran past its match limit. json.PATH terms are
 * matched by filter_json.c, as every store matches them. */
int filter_match_record(const struct filter *f, const char *raw, size_t n, char **cause);

/* Literals (borrowed; free the array only) at least one of which the
 * text of any record f matches holds, without regard to case: a cheap
 * scan before the record is parsed (the sigma runner), or a narrowing on
 * a store's server (ClickHouse). From sigma terms and json.PATH terms
 * (the path's last name or the = values, as written in JSON text), under
 * "and"/"or". 0: no such set. */
size_t filter_sigma_literals(const struct filter *f, const char ***lits);

/* For each sigma term the record meets (outside "not"): the term, the
 * field path reached and the value that matched, one a line (caller
 * frees); NULL when none does. */
char *filter_explain_record(const struct filter *f, const char *raw, size_t n);

#endif
