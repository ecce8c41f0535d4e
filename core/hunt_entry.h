/*
 * hunt_entry.h: what a hunt is made of, for the files that define hunts
 * (core/hunt_*.c, one per family) and the runner (core/hunt.c). Not for
 * callers of hunts: they use hunt.h.
 *
 * A hunt is one `const struct hunt_entry` (name, title, description,
 * columns, what it needs, how its rows are ordered, and how it reads the
 * case), listed once in hunt_list.h. Adding a hunt is a new entry in a
 * family file (or a new file) and one line there.
 *
 * Two ways of reading the case:
 *  - scan: an accumulator over one sequential pass of the narrow events
 *    table (begin, row for every event, end builds the rows; drop frees
 *    the accumulator after a failure). hunt_run_all feeds every scan
 *    hunt from one pass.
 *  - raw: the events whose operation is one of raw.ops have their raw
 *    records read (in id order, over a few threads) and evaluated by
 *    raw.eval into facts; run() then turns candidates and facts
 *    (hunt_raw_candidates) into rows. hunt_run_all reads the union of
 *    every raw hunt's candidates once.
 * A hunt with neither sets only run() and reads what it likes through
 * the helpers below.
 */
#ifndef AUDITSCOPE_HUNT_ENTRY_H
#define AUDITSCOPE_HUNT_ENTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "hunt.h"
#include "appnames.h"
#include "knownapps.h"
#include "query.h"
#include "util.h"

#define HOUR_MS ((int64_t)3600 * 1000)
#define DAY_MS (24 * HOUR_MS)
/* a + b, held at INT64_MIN/INT64_MAX: a crafted case may hold any time */
static inline int64_t hunt_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* later - earlier, held at INT64_MIN/INT64_MAX the same way */
static inline int64_t hunt_gap(int64_t later, int64_t earlier)
{
	if (earlier < 0 && later > INT64_MAX + earlier)
		return INT64_MAX;
	if (earlier > 0 && later < INT64_MIN + earlier)
		return INT64_MIN;
	return later - earlier;
}

/* At most this many values are listed in one cell ("a, b, c, +4"). */
#define HUNT_LIST_MAX 4

struct hunt_rawshare;
struct hunt_lookups;

/* One hunt's run: its result, its options, the case. */
struct hctx {
	struct store *st;
	struct hunt_opts o;
	struct hunt_result *r;
	size_t cap;
	struct appnames *names; /* with HUNT_NEEDS_APPS */
	bool names_lent;        /* names belong to hunt_run_all */
	char *err;
	bool cancelled;
	struct util_ivec mia;        /* value ids of MailItemsAccessed (any case) */
	struct hunt_rawshare *share; /* hunt_run_all: one raw pass for all */
	void *acc;                   /* a scan hunt's accumulator */
	bool idle;                   /* nothing to do (no baseline in an empty case) */
	bool shared;                 /* run by hunt_run_all */
	double t0, spent;            /* its clock; time of its own parts when shared */
	struct hunt_vcache *vc;      /* texts of value ids asked for (hunt_vtext) */
	bool fed;                    /* a scan hunt whose begin read all it needs: no pass */
	struct hunt_lookups *lk;     /* hunt_run_all: hunt_val_ids' answers for all */
};

/* One event of the scan (value ids; 0 when absent, or not read). In a
 * gathered pass (struct hunt_scan's gathered) a row may stand for n
 * events alike in every column but id and ts: id and ts are then its
 * first event's, ts_last its last time. Else n is 1 and ts_last ts. */
struct hunt_ev {
	int64_t id, ts, kind, op, user, app, capp, ip, mailbox, access, session, token, result;
	int64_t flags;
	int64_t n, ts_last;
};

/* The columns of hunt_ev, in order (HUNT_EV(name) bits): a scan reads
 * only those its hunts use, each costing every row of a million. */
enum {
	HUNT_EV_id,
	HUNT_EV_ts,
	HUNT_EV_kind,
	HUNT_EV_op,
	HUNT_EV_user,
	HUNT_EV_app,
	HUNT_EV_capp,
	HUNT_EV_ip,
	HUNT_EV_mailbox,
	HUNT_EV_access,
	HUNT_EV_session,
	HUNT_EV_token,
	HUNT_EV_result,
	HUNT_EV_flags,
	HUNT_EV_NCOLS
};
#define HUNT_EV(name) (1u << HUNT_EV_##name)

/* An event chosen by operation, with its normalized fields. */
struct hunt_cand {
	int64_t id, ts, kind, op, user, ip, app, mailbox;
	char *optext;  /* the operation's text */
	unsigned mask; /* which raw hunts read it (1 << enum hunt_id) */
};

/*
 * What a raw record says, worked out away from the database (so that
 * several threads can do it): raw.eval fills it, run() turns it into
 * rows on the calling thread. Strings are owned.
 */
struct hunt_facts {
	char *why;    /* reasons; NULL or "" when the event is not a finding */
	char *name;   /* an inbox rule's name */
	char *owner;  /* the mailbox or object the event is about */
	char *app;    /* consent records: the app id */
	char *object; /* consent records: the service principal's object id */
	bool by_user; /* consent records: a user's consent for themselves */
	bool seen;    /* the raw record was read and parsed */
	bool context; /* listed for context, not a finding */
};

/* Evaluate one raw record (rec: parsed, text: as stored). Runs on
 * worker threads: no database, no shared state. */
typedef void (*hunt_eval_fn)(const struct hunt_cand *c, json_t *rec, const char *text, struct hunt_facts *out);

struct hunt_scan {
	int (*begin)(struct hctx *h);
	void (*row)(struct hctx *h, const struct hunt_ev *e);
	int (*end)(struct hctx *h);   /* builds rows; frees the accumulator */
	void (*drop)(struct hctx *h); /* frees the accumulator after a failure */
	/* alone, the store can leave out the events row() ignores: those
	 * whose field is not one of the value ids ids() gives (field NULL:
	 * keep all), or that have none of flags (EVF_*; 0: keep all) */
	const char *field;
	const struct util_ivec *(*ids)(struct hctx *h);
	unsigned flags;
	unsigned cols; /* HUNT_EV(...) of the columns row() reads */
	/* row() takes gathered rows (hunt_ev's n, ts_last) where the store
	 * can group alike events itself (store_gather): every event of a
	 * sign-in (kind signin, UserLoggedIn, UserLoginFailed), of a Sync
	 * access or throttled comes alone, the others in groups alike in
	 * every column read but id and ts (and on one side of the
	 * baseline); the rows come in (ts, id) order. A hunt that needs
	 * each event of the others must say false. */
	bool gathered;
};

struct hunt_raw {
	const char *const *ops; /* operation names, NULL-terminated */
	bool dot;               /* also "name." (Entra operations in the UAL) */
	hunt_eval_fn eval;
	/* alone, drop candidates before their records are read (ids stay
	 * ascending); NULL: keep all */
	void (*prune)(struct hunt_cand *c, size_t *n);
};

/* What a hunt needs set up before it runs. */
enum {
	HUNT_NEEDS_BASELINE = 1u << 0, /* r->baseline_until: o.baseline_until (INT64_MIN: none given) */
	HUNT_NEEDS_APPS = 1u << 1,     /* h->names, the app names (appnames.h) */
};

/* How the runner orders rows after the hunt made them; then, for every
 * hunt, hits come first and higher scores before lower (stable). */
enum hunt_order {
	HUNT_ORDER_OWN,  /* as the hunt made them */
	HUNT_ORDER_TIME, /* by first event time */
};

struct hunt_entry {
	struct hunt_def def; /* first: hunt_def() hands out &entry->def */
	unsigned needs;      /* HUNT_NEEDS_* */
	enum hunt_order order;
	struct hunt_scan scan;      /* scan hunts: scan.begin set */
	struct hunt_raw raw;        /* raw hunts: raw.ops set */
	int (*run)(struct hctx *h); /* every hunt that is not a scan */
};

#define HUNT_COLS(a) a, sizeof a / sizeof a[0]

/* The entries hunt_list.h names (defined in the family files). */
#define HUNT(id, entry) extern const struct hunt_entry entry;
#include "hunt_list.h"
#undef HUNT

/* ---- the run (hunt.c) ---- */

/* The entry of hunt id (from the table hunt_list.h makes). */
const struct hunt_entry *hunt_entry_of(enum hunt_id id);

/* Record an error of the case (why, taken; PROGRESS_CANCELLED marks the
 * hunt cancelled) as h->err unless one is there; returns -1. */
int hunt_fail(struct hctx *h, char *why);
/* Has the caller asked to stop? Sets h->err (PROGRESS_CANCELLED) when so. */
bool hunt_cancelled(struct hctx *h);
/* store_pick under the hunt's progress; an error goes to h->err. */
int hunt_pick(struct hctx *h, struct store_pick *p, const char *const *cols, size_t ncols, store_row_fn fn,
	      void *ctx);
/* The text of value id of field (caller frees), or NULL. */
char *hunt_vtext(struct hctx *h, const char *field, int64_t id);
/* Ask the store at once for the texts of n value ids of field that the
 * hunt will name (hunt_vtext, hunt_id_list then find them at hand). */
void hunt_vtexts_warm(struct hctx *h, const char *field, const int64_t *ids, size_t n);
/* Value ids of field for each name (any case); with dot, also of the
 * name with a period after it: the UAL writes Entra operations as
 * "Consent to application." where Entra's own log writes "Consent to
 * application". */
int hunt_val_ids(struct hctx *h, const char *field, const char *const *names, bool dot, struct util_ivec *out);
/* x is a non-zero member of v. */
bool hunt_in_ids(const struct util_ivec *v, int64_t x);
/* "a, b, c, +2" of up to HUNT_LIST_MAX texts of value ids of field
 * (caller frees). */
char *hunt_id_list(struct hctx *h, const char *field, const struct util_ivec *ids);
/* The display name of an app id (borrowed), or NULL. */
const char *hunt_app_name(struct hctx *h, const char *id);

/* ---- rows and their filter texts (hunt_row.c) ---- */

struct hunt_row *hunt_row_new(struct hctx *h, bool hit);
void hunt_row_set(struct hunt_row *row, size_t col, const char *v);
/* Takes ownership of v. */
void hunt_row_take(struct hunt_row *row, size_t col, char *v);
void hunt_row_num(struct hunt_row *row, size_t col, int64_t n);
void hunt_row_time(struct hunt_row *row, size_t col, int64_t ms);
/* One event behind the row (ids kept for hit rows only). */
void hunt_row_event(struct hunt_row *row, int64_t id, int64_t ts);
/* The row's filter is f's text; f is empty after. */
void hunt_row_filter(struct hunt_row *row, struct util_buf *f);
void hunt_row_free(struct hunt_row *row, size_t ncols);
/* The row's reason (copied) and score (clamped to 0-100). */
void hunt_row_reason(struct hunt_row *row, int score, const char *reason);
/* " field=value" (quoted as needed) onto a filter text. */
void hunt_filter_term(struct util_buf *f, const char *field, const char *value);
/* " time>=FROM time<TO", whole seconds, covering [from, to]. */
void hunt_filter_time(struct util_buf *f, int64_t from, int64_t to);

/* ---- raw records (hunt_raw.c) ---- */

/*
 * The candidates of the raw hunt h runs, read and evaluated: *c and *f
 * (one facts each, in id order) are the caller's (hunt_raw_cands_free,
 * hunt_raw_facts_free). With a share (hunt_run_all), the first raw hunt
 * reads every raw hunt's candidates; the others take theirs.
 */
int hunt_raw_candidates(struct hctx *h, struct hunt_cand **c, size_t *n, struct hunt_facts **f);
void hunt_raw_cands_free(struct hunt_cand *c, size_t n);
void hunt_raw_facts_free(struct hunt_facts *f, size_t n);
/* One raw pass shared by the hunts of hunt_run_all. */
struct hunt_rawshare *hunt_rawshare_new(void);
void hunt_rawshare_free(struct hunt_rawshare *sh);
/* Candidates by time (then id), for qsort. */
int hunt_raw_cmp_ts(const void *a, const void *b);
/*
 * A row for one event of an admin hunt: time, op, user, <the columns
 * the caller sets>, ip (column ip_col), with a filter selecting the
 * event by operation, user and its second.
 */
struct hunt_row *hunt_raw_event_row(struct hctx *h, const struct hunt_cand *c, size_t ip_col, bool hit);
/* Where a finding row of an admin hunt puts the facts (0: nowhere; the
 * columns of hunt_raw_event_row come first). */
struct hunt_raw_cols {
	size_t owner, name, why, ip;
	bool owner_from_event; /* no owner in the record: the event's mailbox, or its user */
};
/*
 * The row of a candidate whose facts give a reason: hunt_raw_event_row,
 * then owner, name and why where k says; a hit scored score(why), or a
 * context row scored 0 when the facts say context.
 */
void hunt_raw_finding(struct hctx *h, const struct hunt_cand *c, const struct hunt_facts *f,
		      const struct hunt_raw_cols *k, int (*score)(const char *why));
/* The raw hunt h runs: a finding row for every candidate with a reason. */
int hunt_raw_findings(struct hctx *h, const struct hunt_raw_cols *k, int (*score)(const char *why));

/* A JSON value as text (caller frees): strings as they are, true/false
 * as PowerShell prints them, the rest compact JSON; NULL for null. */
char *hunt_raw_jtext(json_t *v);
/* Member key of o as an array; a string holding a JSON array (Sentinel
 * rows) is parsed into *owned (json_decref it). */
json_t *hunt_raw_jarray(json_t *o, const char *key, json_t **owned);
/* Value of the {Name, Value} pair called name in o[key] (any case), as
 * text (caller frees), or NULL. ModifiedProperties give NewValue. */
char *hunt_raw_nv(json_t *o, const char *key, const char *name);
/* A cmdlet's parameter: hunt_raw_nv(o, "Parameters", name). */
char *hunt_raw_param(json_t *o, const char *name);
/* The part of an Exchange identity after the last '\' (a rule's name in
 * "mailbox\rule"), or NULL when there is none. */
const char *hunt_raw_after_backslash(const char *s);
/* The mailbox of an identity "…/contoso.onmicrosoft.com/user@x\rule" or
 * "user@x\rule" (caller frees), or NULL. */
char *hunt_raw_identity_owner(const char *s);
/* An Exchange identity without its organisation path (caller frees). */
char *hunt_raw_short_id(const char *s);
/* Case-insensitive substring search. */
const char *hunt_raw_find(const char *hay, const char *needle);
bool hunt_raw_truthy(const char *v);
bool hunt_raw_falsy(const char *v);
/* NULL or only white space. */
bool hunt_raw_blank(const char *v);

/* hunt_places.c: has an address that `users` of the `signed_in` users
 * who signed in at all signed in from the breadth of the tenant's own
 * exit? A quarter of them when its network (asn) is an access network,
 * more than half on a hosting provider's or an unknown one (0). */
bool hunt_exit_breadth(int64_t users, int64_t signed_in, int64_t asn);

/* hunt_consent.c: the consent-like operations (consents, permission
 * grants, service principals and their credentials), the evaluator that
 * reads the app id each names, and the app ids of the records that name
 * none, resolved through the others (oauth-consent; new-app-for-mailbox
 * asks which apps the case holds a consent to). */
extern const char *const hunt_consent_ops[];
void hunt_consent_eval(const struct hunt_cand *c, json_t *rec, const char *text, struct hunt_facts *out);
void hunt_consent_resolve(struct hunt_facts *f, size_t n);

#endif
