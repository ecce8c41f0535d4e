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

struct stack_row {
	char *value;     /* owned; NULL: events where the field is absent */
	int64_t events;  /* matching events with this value */
	int64_t distinct; /* distinct values of the stack's distinct field */
	int64_t first, last; /* ts of the first and last such event */
};

struct stack {
	const char *field;    /* canonical field name (static) */
	const char *distinct; /* the field counted distinct: "mailbox", or "user" when stacking mailbox */
	struct stack_row *rows;
	size_t n;
	int64_t values;       /* distinct values in all (rows may be limited) */
	int64_t events;       /* matching events in all */
};

enum stack_order {
	STACK_RARE,   /* fewest events first (ties: first seen later first) */
	STACK_COMMON, /* most events first */
};

/*
 * Stack field (a name filter_field_find knows that names a text column,
 * or a place of the IP: country, asn as "AS3320", as_org)
 * over the events q matches; at most limit rows (< 0: all). out is
 * overwritten (stack_clear it afterwards). 0, or -1 with *cause
 * (cancelled through q's progress callback: query_cancelled(q)).
 */
int stack_run(struct query *q, const char *field, enum stack_order order, int64_t limit,
	      struct stack *out, char **cause);

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
