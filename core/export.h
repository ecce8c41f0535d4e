/*
 * export.h: the annotated timeline written out for someone else: CSV
 * for a spreadsheet, JSON Lines for scripts, Timesketch's JSON Lines for
 * a shared timeline server, and a Markdown report a responder can hand
 * over.
 *
 * Events go out in time order (ts, then row id), streamed: memory holds a
 * window of a few thousand rows, whatever the size of the export. Every
 * event carries its provenance: the source file, that file's SHA-256,
 * the line (CSV, JSON Lines) or record index (JSON arrays) it came from,
 * and its record id; and its annotations: bookmark, tags and every note
 * with its author and time.
 *
 * Text from the logs is hostile: CSV cells a spreadsheet would run as a
 * formula (starting with = + - @, tab or carriage return) get a leading
 * apostrophe; JSON strings are escaped (controls, C1 and bidi characters
 * as \uXXXX); the Markdown report shows every value from a record or a
 * note with controls made visible and Markdown/HTML syntax escaped, so a
 * rule name cannot turn into a link or a script in the rendered report.
 */
#ifndef AUDITSCOPE_EXPORT_H
#define AUDITSCOPE_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "export_list.h"
#include "progress.h"
#include "store.h"

enum export_format {
#define X(e, name) EXPORT_##e,
	EXPORT_WRITERS(X)
#undef X
		EXPORT_COUNT
};

/* "csv", "jsonl" (also "json"), "timesketch", "markdown" (also "md");
 * -1 if unknown. */
int export_format_parse(const char *s);

struct export_opts {
	enum export_format format;
	const char *filter; /* the filter language; NULL or "": every event */
	bool marked;        /* only bookmarked events (the report: always) */
	/* csv: make every cell safe to show on a terminal as well (the CLI
	 * sets it when the output is one); JSON needs nothing more. */
	bool terminal;
	/* The report: how the case is named in the commands it prints
	 * (default: the case's path), and the command that runs auditscope
	 * (default "auditscope"). The report's own time and author come from
	 * annot_now() and annot_author(), so $AUDITSCOPE_NOW and
	 * $AUDITSCOPE_AUTHOR make it reproducible. */
	const char *case_label;
	const char *program;
	/* Called every few thousand events (and during a scan of the raw
	 * records), done negative: a non-zero return stops the export, which
	 * then fails with PROGRESS_CANCELLED. The stats given to export_run
	 * are kept up to date meanwhile, for a callback that shows them. */
	struct progress progress;
	/* How to read: NULL for the defaults (tests set it to take every
	 * path; see struct export_limits). */
	const struct export_limits *limits;
};

/* The annotations (bookmarks + tags + notes) up to which an export holds
 * them in memory rather than probing the tables per row (default
 * 4,000,000), and the bookmarks up to which a --marked export starts
 * from them and sorts them in memory rather than walking the whole
 * timeline (default 100,000). */
struct export_limits {
	int64_t annotations, marks_sorted;
};

struct export_stats {
	int64_t events;   /* events written */
	int64_t messages; /* the report: messages listed */
};

/*
 * Write the export to out. Returns 0, or -1 with *cause: a filter syntax
 * error starts with "filter:" (a usage error for the CLI); a failed write
 * says so. stats may be NULL.
 */
int export_run(struct store *st, FILE *out, const struct export_opts *o, struct export_stats *stats,
	       char **cause);

#endif
