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
 * query_new): the SQLite store turns the tree into a WHERE condition with
 * every value bound as a parameter (core/sqlite/); another store
 * compiles the same tree into its own language. Nothing here knows how
 * events are stored.
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
 * "filter: expected a value after 'user=' at column 6". Values are never
 * interpreted as SQL.
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
char *filter_pivot(const char *text, const char *field, const char *value, enum filter_pivot how,
		   char **cause);

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
/* Sigma terms: sigma.FIELD|MODS=VALUES (sigma_field.h)
 *
 *   sigma.Operation|contains=New-InboxRule,Set-InboxRule
 *   sigma.ConsentContext.IsAdminConsent=false   sigma.ResultType!=0
 *   sigma.location|exists=false                  sigma|contains=listKeys
 *
 * A field named as a Sigma rule names it in the event's raw record, with
 * Sigma's modifiers and wildcards (sigma_field.h); "sigma" alone: the
 * record's values anywhere (keywords). They compile like json.PATH terms,
 * to filter_sigma(raw_json(e.id), term), and can also be tested on a raw
 * record without a case: */

/* Does the raw record (JSON text) meet f? 1 or 0; -1 with *cause when f
 * holds terms other than sigma ones (they need the case) or a regular
 * expression ran past its match limit. */
int filter_match_record(const struct filter *f, const char *raw, size_t n, char **cause);

/* Literals (borrowed; free the array only) at least one of which the
 * text of any record f matches holds, without regard to case: a cheap
 * scan before the record is parsed. 0: no such set. */
size_t filter_sigma_literals(const struct filter *f, const char ***lits);

/* For each sigma term the record meets (outside "not"): the term, the
 * field path reached and the value that matched, one a line (caller
 * frees); NULL when none does. */
char *filter_explain_record(const struct filter *f, const char *raw, size_t n);

#endif
