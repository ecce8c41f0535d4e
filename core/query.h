/*
 * query.h: read events back from a case, oldest first (or newest first).
 *
 * The first reader of the case: a conjunction of field=value terms over
 * the interned columns, each answered from its (field, ts) index. The full
 * filter language (regex, ranges, or/not, JSON paths) replaces the term
 * parser in its own module; rows and paging stay here.
 */
#ifndef AUDITSCOPE_QUERY_H
#define AUDITSCOPE_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* A normalized field a filter or a table can name. */
struct field {
	const char *name;    /* user, app, ip, op, ... */
	const char *column;  /* events column (interned unless noted) */
	bool nocase;         /* match without regard to case */
	bool lower;          /* values are stored lower-case */
};

/* The field by name (aliases: operation, record_type, client_ip...). */
const struct field *field_find(const char *name);

struct query_row {
	int64_t id, ts, line, op_count;
	unsigned flags;
	const char *record_id, *op, *rtype, *workload, *user, *app, *client_app, *ip,
		*result, *session, *token, *mailbox, *access, *client_info, *source;
};

struct query;

/*
 * Events matching filter ("" or NULL: all), in time order. limit < 0 means
 * no limit. Returns 0, or -1 with *cause naming the term at fault.
 */
int query_open(struct store *st, const char *filter, bool desc, int64_t limit,
	       struct query **out, char **cause);
/* 1 with a row (strings valid until the next call), 0 at the end, -1 on
 * error (*cause). */
int query_next(struct query *q, struct query_row *row, char **cause);
void query_free(struct query *q);

/* Number of events matching filter, or -1 with *cause. */
int64_t query_count(struct store *st, const char *filter, char **cause);

#endif
