/*
 * event.h: one normalized audit event, and the sink that receives them.
 *
 * Ingest is many readers (CSV wrappers, JSON wrappers, Entra logs) feeding
 * one writer (the case store), as ncdu's dir_output lets its scanners feed
 * either memory or an export. Readers fill a struct event whose strings
 * are borrowed spans, valid only during the sink call, and hand it to
 * sink->event; a record they cannot parse goes to sink->reject verbatim.
 * Tests plug in a sink that collects.
 */
#ifndef AUDITSCOPE_EVENT_H
#define AUDITSCOPE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A borrowed string span; p == NULL means absent. */
struct sv {
	const char *p;
	size_t n;
};

/* One message a MailItemsAccessed record names (msgid absent for Sync). */
struct event_msg {
	struct sv folder;
	struct sv msgid;
	int64_t size; /* -1 when unknown */
};

enum {
	EVF_THROTTLED = 1 << 0,    /* OperationProperties IsThrottled=True */
	EVF_NO_TIME = 1 << 1,      /* time came from the wrapper, not the record */
	EVF_PS_TRUNCATED = 1 << 2, /* PowerShell cut nested values ("@{...}", System.Object[]) */
};

/*
 * The kind of log an event came from. Records are deduplicated within a
 * kind (a sign-in whose id equals a UAL record's Id is another event),
 * annotations are keyed by (record id, kind), and `kind=signin` filters on
 * it. The numbers are stored in case files: only ever append.
 */
#define EVENT_KINDS(X)                                               \
	X(KIND_UAL, "ual", "Unified Audit Log")                      \
	X(KIND_SIGNIN, "signin", "Entra sign-in")                    \
	X(KIND_DIRAUDIT, "directory_audit", "Entra directory audit") \
	X(KIND_GRAPH, "graph_activity", "Microsoft Graph activity")  \
	X(KIND_MSGTRACE, "message_trace", "Exchange message trace")  \
	X(KIND_AZURE, "azure_activity", "Azure activity log")        \
	X(KIND_RISK, "risk", "Entra ID Protection risk")             \
	X(KIND_ALERT, "alert", "security alert")                     \
	X(KIND_XDR, "xdr", "Defender XDR advanced hunting")          \
	X(KIND_GENERIC, "generic", "other log")

enum event_kind {
#define X(id, name, title) id,
	EVENT_KINDS(X)
#undef X
		KIND_COUNT
};

/* "signin"; "unknown" out of range. Static. */
const char *event_kind_name(int kind);
/* "Entra sign-in", for the detail view. Static. */
const char *event_kind_title(int kind);
/* A kind by its name or a short alias (diraudit, audit, graph, msgtrace,
 * azure, activity), any case; -1 when none. */
int event_kind_parse(const char *s);

/* The normalized fields, in the order README.md lists them ("Formats supported"). */
#define EVENT_TEXT_FIELDS(X) \
	X(record_id)         \
	X(op)                \
	X(rtype)             \
	X(workload)          \
	X(user)              \
	X(app)               \
	X(client_app)        \
	X(ip)                \
	X(host)              \
	X(result)            \
	X(session)           \
	X(token)             \
	X(mailbox)           \
	X(access)            \
	X(client_info)       \
	X(detail)

struct event {
	int64_t ts; /* UTC milliseconds */
	int kind;   /* enum event_kind */
#define X(name) struct sv name;
	EVENT_TEXT_FIELDS(X)
#undef X
	int64_t op_count; /* -1 when absent */
	unsigned flags;
	struct sv raw; /* the record's JSON exactly as it was */
	uint64_t line; /* line (CSV, JSON Lines) or record index */
	struct event_msg *msgs;
	size_t nmsgs;
};

struct sink {
	/* Return 0 to go on, -1 to stop the load (cause set). */
	int (*event)(void *ctx, const struct event *ev, char **cause);
	int (*reject)(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause);
	void *ctx;
	/* Optional (NULL: none): n bytes where a reader may write the next
	 * event's raw record, in the sink's own buffer, or NULL. An event
	 * whose raw record starts there is kept where it is instead of being
	 * copied. Valid until the next call into the sink. */
	char *(*room)(void *ctx, size_t n);
};

#endif
