/*
 * stack.h: the frequency table of one field under a filter.
 *
 * Stacking is how rare app ids are found (CISA AA23-193A): every value of
 * the field among the events a query matches, with how many events, how
 * many distinct mailboxes (or users) it touched, and when it was first
 * and last seen; rare-first or common-first.
 */
#ifndef AUDITSCOPE_STACK_H
#define AUDITSCOPE_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "query.h"

/* At most this many fields in one stack (app x mailbox x ip...). */
#define STACK_MAX_FIELDS 4

struct stack_row {
	char *value;         /* owned; NULL: events where the field is absent */
	int64_t events;      /* matching events with this value */
	int64_t distinct;    /* distinct values of the stack's distinct field */
	int64_t first, last; /* ts of the first and last such event */
	/* the values of the second and later fields (owned, NULL absent);
	 * stack_value() reads any of them */
	char *more[STACK_MAX_FIELDS - 1];
};

struct stack {
	const char *field;    /* canonical name of the first field (fields[0]) */
	const char *distinct; /* the field counted distinct: "mailbox", or "user" when stacking mailbox */
	struct stack_row *rows;
	size_t n;
	int64_t values; /* distinct values in all (rows may be limited) */
	int64_t events; /* matching events in all */
	/* the fields stacked on, in order (json.PATH as given; borrowed
	 * from the stack itself) */
	const char *fields[STACK_MAX_FIELDS];
	size_t nfields;
	char *names[STACK_MAX_FIELDS]; /* owned copies behind fields */
};

enum stack_order {
	STACK_RARE,   /* fewest events first (ties: first seen later first) */
	STACK_COMMON, /* most events first */
};

/* What a stack can be sorted by (ties: first seen, then the value). */
enum stack_sort {
	STACK_BY_EVENTS,
	STACK_BY_DISTINCT,
	STACK_BY_FIRST,
	STACK_BY_LAST,
	STACK_BY_VALUE,
	STACK_BY_COUNT
};

/*
 * Stack field (a name filter_field_find knows that names a text column,
 * or a place of the IP: country, asn as "AS3320", as_org)
 * over the events q matches; at most limit rows (< 0: all). out is
 * overwritten (stack_clear it afterwards). 0, or -1 with *cause
 * (cancelled through q's progress callback: query_cancelled(q)).
 */
int stack_run(struct query *q, const char *field, enum stack_order order, int64_t limit, struct stack *out,
	      char **cause);

/*
 * Stack several fields at once (1 to STACK_MAX_FIELDS: text fields of
 * filter.h, or json.PATH for any path in the raw record, walked as the
 * filter walks it: json_path.h): one row per combination of values,
 * sorted by `by` (desc: largest first), at most limit rows (< 0: all).
 * An event whose json.PATH reaches several values counts in the row of
 * each, as json.PATH=VALUE finds it for each (out->events still counts
 * it once); null and "" are absent. One pass over the matching events
 * (query_scan); a json.PATH reads the raw records. 0, or -1 with *cause.
 */
int stack_fields(struct query *q, const char *const *fields, size_t nfields, enum stack_sort by, bool desc,
		 int64_t limit, struct stack *out, char **cause);

/* Sort s again (no new pass): by, desc as stack_fields. */
void stack_sort(struct stack *s, enum stack_sort by, bool desc);

/* Field k's value of row r (borrowed; NULL absent). */
const char *stack_value(const struct stack_row *r, size_t k);

/* "events", "distinct" (also "mailboxes", "users"), "first", "last",
 * "value": 0 with *out, or -1. */
int stack_sort_parse(const char *name, enum stack_sort *out);
const char *stack_sort_name(enum stack_sort by);

/*
 * Counts only: how many events q matches carry each value of field, most
 * first (ties by value); events where the field is absent are left out.
 * Rows' distinct, first and last are 0; out->distinct is NULL. A store
 * answers this without reading the events where it can (the SQLite store
 * counts an indexed field straight from its index). 0, or -1 with *cause.
 */
int stack_counts(struct query *q, const char *field, struct stack *out, char **cause);

void stack_clear(struct stack *s);

#endif
