/*
 * sigma_run.h: Sigma rules (sigma.h) run over a case as hunts.
 *
 * One pass over the raw records, in id order so that each compressed
 * block is decompressed once: every rule whose logs the case holds is
 * tested on the records of its logs (the logsource filter, read from the
 * normalized columns first), and a record is parsed for a rule only when
 * its text holds one of the literals the rule cannot match without
 * (one scan of the text finds those of every rule at once).
 */
#ifndef AUDITSCOPE_SIGMA_RUN_H
#define AUDITSCOPE_SIGMA_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigma.h"

struct store;

enum sigma_outcome {
	SIGMA_RUN,     /* ran: events holds its hits */
	SIGMA_SKIPPED, /* the case has none of the rule's logs */
	SIGMA_NOT_RUN, /* unsupported (see the rule) */
	SIGMA_FAILED,  /* stopped by an error while running (why) */
};

struct sigma_hit_list {
	enum sigma_outcome outcome;
	char *why;       /* SIGMA_SKIPPED / SIGMA_FAILED */
	int64_t *events; /* ascending events.id */
	size_t nevents;
	size_t cap;
};

struct sigma_run {
	const struct sigma_set *set;
	struct sigma_hit_list *hits; /* one per rule */
	size_t ran, matched, skipped, unsupported, failed;
	uint64_t scanned;   /* raw records read */
	uint64_t evaluated; /* (record, rule) pairs parsed and tested */
	double seconds;
};

/* Polled as the scan goes: done in [0, 1]; non-zero cancels. */
typedef int (*sigma_progress_fn)(void *ctx, double done);

/*
 * Run every compiled rule of set over the case in one pass over the raw
 * records (each decompressed once): rules of the same logs together, a
 * scan for each rule's literals before a record is parsed. 0 with *out,
 * or -1 with *cause ("interrupted" when cancelled).
 */
int sigma_run_case(struct store *st, const struct sigma_set *set, sigma_progress_fn progress, void *ctx,
		   struct sigma_run **out, char **cause);
void sigma_run_free(struct sigma_run *r);

#endif
