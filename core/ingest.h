/*
 * ingest.h: `auditscope load` without the printing.
 *
 * Walks each PATH through the input layer, tells every member's format by
 * its content (never by its name), runs the CSV or JSON reader over it and
 * feeds the case store's sink. Progress and per-source summaries go to
 * callbacks; the CLI decides how to show them.
 */
#ifndef AUDITSCOPE_INGEST_H
#define AUDITSCOPE_INGEST_H

#include <signal.h>
#include <stdint.h>

#include "event.h"
#include "input.h"
#include "progress.h"
#include "store.h"
#include "stream.h"
#include "timeparse.h"

struct ingest_progress {
	const char *member; /* the member being read */
	uint64_t bytes_in;  /* on-disk bytes of that member consumed */
	int64_t size;       /* its size, -1 if unknown */
	uint64_t events;    /* events stored so far in this run */
	uint64_t records;   /* records read so far in this run */
	double elapsed;     /* seconds since the run started */
};

struct ingest_source {
	const char *path;
	const char *format;
	const char *encoding;
	const char *sha256;
	const char *status;  /* "complete", "interrupted", "error: ..." */
	const char *warning; /* NULL or one line */
	struct store_counts counts;
};

struct ingest_totals {
	uint64_t sources, records, events, duplicates, rejects;
	uint64_t conflicts; /* store_counts.conflicts, summed */
	uint64_t bytes;
	int64_t first_ts, last_ts;
	double seconds;
	int failed_sources;
	/* kinds of Graph pages whose last page loaded has an @odata.nextLink:
	 * the results were cut (the page it names was not loaded) */
	int cut_pages;
};

struct ingest_opts {
	struct input_limits limits;
	size_t max_record;           /* largest record; 0: 256 MiB */
	unsigned batch;              /* commit every n events; 0: default */
	volatile sig_atomic_t *stop; /* set asynchronously to interrupt */
	/* the order of numeric dates a file leaves ambiguous (all of them
	 * could be D/M or M/D): load --dates; AUTO reads them month-first
	 * and says so */
	enum time_order dates;
	/* the share of each member read; non-zero cancels: what was
	 * committed stays, ingest_paths fails with PROGRESS_CANCELLED */
	const struct progress *prog;
	void (*progress)(const struct ingest_progress *p, void *ctx);
	void (*source_done)(const struct ingest_source *s, void *ctx);
	void (*warn)(const char *msg, void *ctx);
	/* what could not be read at all (a path, a member, the rest of an
	 * archive; recorded as a failed source): one line "NAME: why";
	 * NULL: told through warn */
	void (*error)(const char *msg, void *ctx);
	/* every path read and the load ending: its memory given back, its
	 * index builds, last checkpoint and sync still to come
	 * (store_load_on_streamed). Work the caller starts here overlaps
	 * them. */
	void (*streamed)(void *ctx);
	void *ctx;
};

/*
 * Load every path into the store. Returns 0 when all was read (some rows
 * may have been rejected: see totals), 1 when interrupted (o->stop), -1
 * with *cause PROGRESS_CANCELLED when o->prog cancelled, -1 with *cause
 * on an error that stopped the run (a path that cannot be opened stops
 * nothing: it is reported through error and counted in failed_sources).
 */
int ingest_paths(struct store *st, const char *const *paths, size_t npaths, const struct ingest_opts *o,
		 struct ingest_totals *tot, char **cause);

/*
 * Read one stream (any supported format) into a sink: the reader without
 * the store, for tests and fuzzing. *format is set to the detected format
 * name (static). Returns 0, or -1 with *cause when the sink failed or the
 * input could not be read.
 */
struct ingest_stats {
	/* in, set by the caller (zero: none): the member's name, whose form
	 * tells apart exports that share every column (the Entra admin
	 * center's sign-in downloads), and the order of a file's numeric
	 * dates when they are all ambiguous (07/12/2026) */
	const char *name;
	enum time_order dates;
	/* out */
	uint64_t records, rejects;
	const char *format;
	char *warning; /* caller frees */
	char *error;   /* caller frees: why the stream stopped early, or NULL */
	/* records whose nested values PowerShell's depth limit cut to text,
	 * and MailItemsAccessed among them that lost their message ids */
	uint64_t truncated, lost_msgids;
	uint64_t known; /* records of a known shape (rejected or not) */
	/* Graph pages ({"value": [...]}), and those whose @odata.nextLink
	 * says the results go on in another page */
	uint64_t pages, next_links;
};

/* Append one line to stats->warning ("; " between lines). */
void ingest_add_warning(struct ingest_stats *st, const char *w);
int ingest_stream(struct stream *s, const struct sink *sink, volatile sig_atomic_t *stop,
		  struct ingest_stats *stats, char **cause);

/* The readers, by family (ingest_csv.c, ingest_json.c). */
int ingest_csv(struct stream *s, const struct sink *sink, volatile sig_atomic_t *stop,
	       struct ingest_stats *stats, char **cause);
int ingest_json(struct stream *s, const struct sink *sink, volatile sig_atomic_t *stop,
		struct ingest_stats *stats, char **cause);

#endif
