/*
 * coverage.h: what the evidence covers, and what it does not.
 *
 * "We saw no access" only means something where the logs cover the time.
 * So, per kind of log and per source: events per day over the case's
 * range, the first and last moment covered, the gaps (days without a
 * record between busy days, and silent hours between busy hours), the
 * exports cut short (the portal's 50,000-row and PowerShell's 5,000-row
 * limits, a Search-UnifiedAuditLog page short of its own ResultCount,
 * records cut by ConvertTo-Json's depth: all found at load and kept in the
 * source's warning), the mailboxes whose reads went unaudited for a day
 * (IsThrottled), the logs a mail-access investigation needs that the case
 * lacks, and each kind's retention in the service.
 *
 * Built from one scan of the case (query_scan: time, kind, source,
 * operation, mailbox, flags) and the sources table: no SQL here, so every
 * store answers it. The hunts that use a baseline take a kind's first day
 * from coverage_kind_first().
 */
#ifndef AUDITSCOPE_COVERAGE_H
#define AUDITSCOPE_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "progress.h"
#include "store.h"

#define COVERAGE_MAX_DAYS 3660 /* ten years a series; later events count in the last day */
/* An hour is "busy" at this many events: a run of empty hours whose
 * neighbours (three hours each side) average at least this is a gap,
 * since a log that steady would leave an hour empty by chance with a
 * probability below e^-20. */
#define COVERAGE_BUSY_HOUR 20

enum coverage_gap_why {
	GAP_DAYS,  /* whole days without a record between days with records */
	GAP_HOURS, /* silent hours between busy hours */
};

struct coverage_gap {
	int64_t from, to; /* [from, to) UTC ms */
	enum coverage_gap_why why;
};

/* One kind of log, or one source. */
struct coverage_series {
	int kind;            /* enum event_kind; a source: the kind most of its events are */
	int64_t events;      /* events kept (a source: those whose kept copy is its) */
	int64_t first, last; /* UTC ms; 0 when no event */
	int64_t *days;       /* events per day, coverage.ndays of them from day0 */
	int64_t active_days;
	struct coverage_gap *gaps;
	size_t ngaps;
};

enum coverage_cut {
	CUT_NONE,
	CUT_ROW_LIMIT,   /* exactly 50,000 portal rows or 5,000 PowerShell rows */
	CUT_RESULTCOUNT, /* fewer rows than its own ResultCount */
	CUT_DEPTH,       /* records cut by ConvertTo-Json's depth limit */
};

struct coverage_source {
	int64_t id;
	char *path, *format, *status, *warning; /* owned; warning NULL when none */
	int64_t records, duplicates, rejects;
	int64_t first, last; /* of the records read from it (the load's own count) */
	bool timed;          /* first and last are known */
	unsigned cuts;       /* 1 << enum coverage_cut */
	struct coverage_series s;
};

struct coverage_throttle {
	char *mailbox; /* owned */
	int64_t ts;    /* the IsThrottled record: reads went unaudited until ts + 24 h */
	int64_t event;
};

struct coverage {
	int64_t first, last; /* the case's range; 0 when empty */
	int64_t day0;        /* UTC midnight of the first day */
	size_t ndays;
	struct coverage_series kinds[16]; /* by enum event_kind; events 0: absent */
	struct coverage_source *sources;
	size_t nsources;
	struct coverage_throttle *throttled;
	size_t nthrottled;
	/* mailboxes with Exchange activity in the UAL but no MailItemsAccessed */
	char **unread_mailboxes;
	size_t nunread;
	int64_t mail_reads; /* MailItemsAccessed events */
	char **notes;       /* what a mail-access investigation lacks, and retention, one line each */
	size_t nnotes;
};

/* Build the coverage of st (under p: a cancel fails with
 * PROGRESS_CANCELLED). 0 with *out (coverage_free), or -1 with *cause. */
int coverage_build(struct store *st, const struct progress *p, struct coverage **out, char **cause);
void coverage_free(struct coverage *c);

/* The service's retention of a kind of log in days (0: none documented),
 * and where it comes from (static text). */
int coverage_retention_days(int kind, const char **why);

/* The first moment kind covers in the case, INT64_MIN when absent. */
int64_t coverage_kind_first(const struct coverage *c, int kind);

/* A bar per day as one line of UTF-8 block characters ("▁▃█ ▂"; a space
 * is a day without a record), width columns at most: when there are more
 * days than columns, each column sums several days (*per_col says how
 * many). On a terminal that shows ASCII only (sanitize_ascii) the ramp is
 * ".,:-=+*#". Caller frees. */
char *coverage_bars(const struct coverage *c, const struct coverage_series *s, size_t width, size_t *per_col);

/* "2026-05-03 14:00 to 2026-05-03 19:00 (5 h): silent hours between busy
 * hours" (caller frees). */
char *coverage_gap_text(const struct coverage_gap *g);

/* "cut at the row limit", ... for a source's cuts ("" when none); caller frees. */
char *coverage_cut_text(unsigned cuts);

#endif
