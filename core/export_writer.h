/*
 * export_writer.h: the seam between the export's reader (export.c) and
 * its writers, one file each (export_csv.c, export_jsonl.c,
 * export_timesketch.c, export_markdown.c), as ncdu's dir_output separates
 * its scanners from its writers. The reader streams the matching events
 * in time order, a window at a time, with their annotations and
 * provenance; a writer is three calls: begin (a header), row (one event),
 * end (a footer). export_list.h is the table of writers.
 *
 * Not for use outside core/export*.c.
 */
#ifndef AUDITSCOPE_EXPORT_WRITER_H
#define AUDITSCOPE_EXPORT_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "export.h"
#include "query.h"
#include "store.h"

/* The text fields, in output order, with the names exports use (also
 * the names a scan knows them by: filter.h's fields, and record_id). */
#define EXPORT_ROW_FIELDS(X)        \
	X(record_id, "record_id")   \
	X(op, "op")                 \
	X(user, "user")             \
	X(app, "app")               \
	X(client_app, "client_app") \
	X(ip, "ip")                 \
	X(host, "host")             \
	X(workload, "workload")     \
	X(rtype, "record_type")     \
	X(result, "result")         \
	X(session, "session")       \
	X(token, "token")           \
	X(mailbox, "mailbox")       \
	X(access, "access")         \
	X(client_info, "client_info")

enum {
#define X(f, name) F_##f,
	EXPORT_ROW_FIELDS(X)
#undef X
		NFIELDS
};

/* The names of the fields, in field order. */
extern const char *const export_field_names[NFIELDS];

struct export_note {
	char *author, *created, *text;
};

/* One event as a writer sees it. */
struct export_row {
	int64_t id, ts, line, op_count, source;
	int kind;
	unsigned flags;
	const char *f[NFIELDS]; /* into buf; NULL when absent */
	char *buf;              /* the field texts, back to back; kept for reuse */
	size_t len, cap;
	bool marked;
	char **tags;
	size_t ntags;
	struct export_note *notes;
	size_t nnotes;
	char *raw; /* JSON text made safe (writers with .raw), or NULL */
	/* the IP's place (core/ipgeo.h), into buf; NULL when unknown */
	const char *country, *asn, *as_org;
};

struct export_source {
	int64_t id;
	char *path, *sha256;
};

struct export_writer;

/* One export under way: what the reader holds, and what writers use. */
struct exporter {
	struct store *st;
	FILE *out;
	const struct export_opts *o;
	const struct export_writer *w;
	const char *label; /* how the case is named (report, commands) */
	struct query *q;
	struct export_source *src;
	size_t nsrc;
	struct export_row *win;
	struct export_pend *pend; /* the reader's own, beside each row of win */
	size_t nwin;
	int64_t done;        /* events written */
	int64_t messages;    /* the report: messages listed */
	struct appnames *ka; /* app names: the tenant's, the case's evidence, then Microsoft's */
	struct vcache *vc;
	struct gcache *gc;  /* the places of IP value ids */
	struct annset *ann; /* NULL: probe the tables per row instead */
	char day[16];       /* markdown: the day being written */
	void *wstate;       /* a writer's own state, freed by wstate_free after the export */
	void (*wstate_free)(void *wstate);
	char **cause;
};

struct export_writer {
	const char *name, *alias; /* for --format; alias may be NULL */
	bool raw;                 /* rows carry their raw record */
	bool marked;              /* bookmarked events only, always */
	/* Before the first row / after the last; 0, or -1 with *x->cause.
	 * Either may be NULL. */
	int (*begin)(struct exporter *x);
	int (*end)(struct exporter *x);
	/* One event; write errors are found by the reader (ferror). */
	void (*row)(struct exporter *x, const struct export_row *r);
};

/* The source a row came from, or NULL. */
const struct export_source *export_source_of(const struct exporter *x, int64_t id);
/* The name of an app id (borrowed), or NULL. */
const char *export_app_name(const struct exporter *x, const char *id);

/* JSON helpers the two JSON writers share (export_jsonl.c): a string
 * (or null), and ,"key":string. */
void export_json_str(FILE *f, const char *s);
void export_json_kv(FILE *f, const char *key, const char *s);
/* The fields both JSON Lines forms share, from record_id to the end of
 * the tags array (named tags_key). */
void export_json_fields(struct exporter *x, const struct export_row *r, const char *tags_key);

/* The markdown report's "How to reproduce" section, written last
 * (export_markdown_repro.c). 0, or -1 with *x->cause. */
int export_markdown_reproduce(struct exporter *x);

#endif
