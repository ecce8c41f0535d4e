/*
 * normalize.h: from one record's JSON to the normalized event.
 *
 * AuditData is the truth and wrappers are hints (core/README.md): a record is
 * first read for the UAL fields wherever they sit (AuditData itself, a
 * Sentinel OfficeActivity row, a Graph audit record's auditData, a
 * collector's wrapper with AuditData as object or string), then the
 * wrapper's fields fill only what the record left empty. Entra sign-ins
 * and directory audits have their own names and are mapped onto the same
 * event. Strings in the event point into the record or into the
 * normalizer's arena, valid until the next call.
 */
#ifndef AUDITSCOPE_NORMALIZE_H
#define AUDITSCOPE_NORMALIZE_H

#include "event.h"
#include "timeparse.h"
#include "json_scan.h"

/* What kind of record a JSON object is; also names the format. */
enum rec_kind {
	REC_UNKNOWN = 0,
	REC_UAL,         /* an AuditData object */
	REC_WRAPPED,     /* {CreationDate, RecordId, ..., AuditData: {..} | "..."} */
	REC_SENTINEL,    /* Sentinel OfficeActivity row */
	REC_GRAPH_AUDIT, /* Graph audit query record {id, ..., auditData} */
	REC_SIGNIN,      /* Entra sign-in (Graph signIns, Sentinel SigninLogs) */
	REC_DIRAUDIT,    /* Entra directory audit (Graph directoryAudits, Sentinel AuditLogs) */
	/* the logs around the UAL (normalize_logs.c), by content */
	REC_AZDIAG,     /* Azure Monitor diagnostic record {time, category, properties{..}} */
	REC_PIPELINE,   /* a pipeline capture {"_raw": "<record as text>", ...} */
	REC_GRAPHACT,   /* MicrosoftGraphActivityLogs: one Graph API call */
	REC_MSGTRACE,   /* Exchange Online message trace row */
	REC_AZACTIVITY, /* Azure Activity log (REST, Get-AzLog, AzureActivity rows) */
	REC_RISK,       /* Identity Protection riskDetection */
	REC_RISKYUSER,  /* Identity Protection riskyUser */
	REC_ALERT,      /* Graph security alert (alerts_v2, legacy alerts), SecurityAlert */
	REC_XDR,        /* Defender XDR advanced hunting row */
	REC_GENERIC,    /* some other log with a time and an operation */
	REC_COUNT
};

const char *normalize_kind_name(enum rec_kind k);

/* Fallbacks a CSV wrapper offers: used only where AuditData has nothing
 * (user lower-cased then). */
struct wrapper_hints {
	struct sv date, record_id, op, user, rtype;
};

struct norm {
	char *arena;
	size_t alen, acap;
	struct event_msg *msgs;
	size_t mcap;
	/* of the last record: values PowerShell cut to text ("@{...}",
	 * System.Object[]) that were read, and folders whose message list
	 * was lost that way (a MailItemsAccessed without its message ids) */
	unsigned ps_seen, ps_lost_msgs;
	/* numeric dates (07/12/2026) whose day and month could be either
	 * way round are read in this order (the reader's finding for its
	 * file, or load --dates); what each numeric date said about the
	 * order is ORed into dates_seen (TIME_SEEN_*), which the reader
	 * clears and reads */
	enum time_order dates;
	unsigned dates_seen;
};

void norm_init(struct norm *nm);
void norm_free(struct norm *nm);

enum rec_kind normalize_classify(const struct jval *obj);

/*
 * Normalize a validated JSON object of the given kind into ev (which the
 * caller zeroes or not: every field is set). Returns 0, or -1 with *why (a
 * static or arena string) when the record has no usable time or its
 * AuditData cannot be read.
 */
int normalize_json(struct norm *nm, enum rec_kind kind, const struct jval *obj,
		   const struct wrapper_hints *hints, struct event *ev, const char **why);

/* The fast path: a record already validated by json_scan_object, whose
 * top-level members (mem[0..n)) are classified and normalized without
 * walking it again. fallback is the kind assumed when the members say
 * nothing (REC_UAL for a CSV AuditData cell); *kind gets the kind used. */
#define NORMALIZE_MAX_MEMBERS 256
int normalize_record(struct norm *nm, const struct jval *obj, const struct jmember *mem, size_t n,
		     const struct wrapper_hints *hints, enum rec_kind fallback, enum rec_kind *kind,
		     struct event *ev, const char **why);

/* Or faster: the members the normalizer reads, found as the scanner
 * validated the record (json_scan_named with normalize_names()'s names
 * into a zeroed struct norm_members). */
#define NORMALIZE_NAMES 79
struct norm_members {
	struct jval v[NORMALIZE_NAMES];
};
const struct json_names *normalize_names(void);
int normalize_named(struct norm *nm, const struct jval *obj, const struct norm_members *m,
		    const struct wrapper_hints *hints, enum rec_kind fallback, enum rec_kind *kind,
		    struct event *ev, const char **why);
/* Whether a record scanned by name is a plain record, whose members
 * normalize_named has all it needs of: not one with a member name
 * written with an escape (json_scan_named's m->v[0]) or a top-level
 * "tables", "value", "records" or "@odata.nextLink" (it may be a Log
 * Analytics answer or a page of records). A reader takes any other the
 * general way, every member in hand (json_scan_record). */
bool normalize_named_plain(const struct norm_members *m);

/* Reserve arena room for a record of n bytes; call before normalize_*. */
void norm_reset(struct norm *nm, size_t n);
/* Copy into the arena (room must have been reserved). */
struct sv norm_copy(struct norm *nm, const char *p, size_t n);

/* The IP without port, brackets or ::ffff: prefix, written into the
 * arena; lower-case hex. Absent when the text is not an IP (addr.h). */
struct sv normalize_ip(struct norm *nm, struct sv ip);
/* A client address field's text: an IP fills *ip, a host name *host
 * (lower case, port and final dot removed), each only while still
 * empty, so that the first field that has one wins; anything else
 * (<null>, XX.XX.XX.XX, garbage) stays only in the raw record. */
void normalize_addr(struct norm *nm, struct sv text, struct sv *ip, struct sv *host);

/* RecordType number to name (50 -> ExchangeItemAggregated), or NULL. */
const char *normalize_rtype_name(long long n);


/* Is id no id at all: empty, the all-zero GUID of anonymised exports,
 * "ANONYMIZED"? Such records are told apart by their content. */
bool normalize_placeholder_id(struct sv id);

/* Give ev a record id when the record has none, or only a placeholder:
 * "sha256:" and the first 128 bits of the SHA-256 of its raw text, so
 * that loading the same export twice still deduplicates. */
void normalize_synth_id(struct norm *nm, struct event *ev);

/* A sign-in's id names the sign-in within its log stream: diagnostic
 * settings and Sentinel keep interactive, non-interactive, service
 * principal, managed identity and ADFS sign-ins in separate categories,
 * and one id may appear in two of them. For a sign-in read from such a
 * stream, appends "#noninteractive" (and so on) to ev->record_id after
 * the class that ev->op names; an interactive sign-in keeps its id. */
void normalize_signin_id(struct norm *nm, struct event *ev);

/* Newlines in [p, p+n). */
size_t count_newlines(const char *p, size_t n);
#endif
