/*
 * columns.h: the event table's columns: what can be shown, the column
 * set of each kind of log, and the analyst's choices (shown, order,
 * width) kept in the case.
 *
 * A column shows a field of the event (filter.h's names), the time, or a
 * fact read from the raw record (core/facts.h: a sign-in's resource,
 * Conditional Access, MFA, a directory change's target and old -> new
 * values, a cmdlet's parameters). Each kind of log has its own set,
 * chosen from what the rows of the current filter are (columns_classify):
 * sign-ins, directory audits, Exchange admin cmdlets and the other kinds
 * each show their key facts first; a mixed screen gets the events set.
 * No curses here: the timeline draws, the chooser edits.
 */
#ifndef AUDITSCOPE_COLUMNS_H
#define AUDITSCOPE_COLUMNS_H

#include <stdbool.h>

#include "query.h"

/* Where a column's text comes from. */
enum col_src {
	COL_SRC_TIME,  /* the event's time */
	COL_SRC_FIELD, /* a field of the row (query_row_get) */
	COL_SRC_APP,   /* an app id, shown by name where known */
	COL_SRC_FACT,  /* a fact of the raw record (facts.h) */
};

struct col_def {
	const char *field; /* filter field, or the fact's name */
	const char *title;
	enum col_src src;
	int fact;  /* enum fact when src is COL_SRC_FACT */
	int min;   /* never narrower (unless the screen is) */
	int comfy; /* shrunk to this before scrolling */
	int max;   /* never wider unless the analyst says so */
};

/* Every column there is, in the chooser's order. */
int columns_count(void);
const struct col_def *columns_def(int i);
/* The column showing field, or -1. */
int columns_find(const char *field);

#define COLUMNS_SETS(X)                                         \
	X(EVENTS, "events", "mail access and mixed events")     \
	X(SIGNIN, "signin", "sign-ins")                         \
	X(DIRAUDIT, "directory", "directory audits")            \
	X(EXOADMIN, "exchange-admin", "Exchange admin cmdlets") \
	X(GRAPH, "graph", "Graph activity")                     \
	X(MSGTRACE, "message-trace", "message trace")           \
	X(AZURE, "azure", "Azure activity")                     \
	X(RISK, "risk", "risk detections")                      \
	X(ALERT, "alert", "security alerts")                    \
	X(XDR, "xdr", "Defender XDR rows")

enum col_set {
#define X(id, name, what) CSET_##id,
	COLUMNS_SETS(X)
#undef X
		CSET_COUNT
};

const char *columns_set_name(enum col_set s); /* "signin" */
const char *columns_set_what(enum col_set s); /* "sign-ins" */

/* The set a row belongs to: its kind, and for the unified audit log its
 * record type (sign-in, directory, Exchange admin) or mail access. */
enum col_set columns_classify(const struct query_row *r);

#define COLUMNS_MAX 48

/* One shown column: which, and a width fixed by the analyst (0: from the
 * values). */
struct col_entry {
	int def;
	int width;
};

struct col_layout {
	struct col_entry e[COLUMNS_MAX];
	int n;
};

struct columns {
	struct col_layout set[CSET_COUNT];
	bool custom[CSET_COUNT]; /* changed by the analyst: saved */
};

/* Every set as it comes. */
void columns_init(struct columns *c);
/* One set back as it comes. */
void columns_reset(struct columns *c, enum col_set s);
/* A column's heading in a set ("initiated by" for user in directory
 * audits). */
const char *columns_title(enum col_set s, int def);

/* The analyst's sets as JSON text (caller frees), for the case's state;
 * and back. A saved text that does not parse, or names columns no
 * longer known, leaves the sets it cannot read as they come. */
char *columns_save(const struct columns *c);
void columns_load(struct columns *c, const char *json);

/* Where def is in the layout, or -1. */
int columns_index(const struct col_layout *l, int def);
/* Show def (at the end) or hide it; false when nothing changed (the
 * last column is never hidden). */
bool columns_toggle(struct col_layout *l, int def);
/* Move the shown column at i by delta places; false at an end. */
bool columns_move(struct col_layout *l, int i, int delta);

#endif
