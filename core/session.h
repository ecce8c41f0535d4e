/*
 * session.h: sessions across logs: every event of every kind that shares
 * a session or token identifier with a given one, and the sign-in behind
 * an event.
 *
 * The join rules (measured on ../shared/realdata and on auditgen's
 * planted intrusion; see core/sqlite/session.c for the detail):
 *
 *   session  UAL AppAccessContext.AADSessionId (or SessionId)
 *            = Entra sign-in sessionId = Graph activity SessionId
 *   token    UAL AppAccessContext.UniqueTokenId (or UniqueTokenId)
 *            = Entra sign-in uniqueTokenIdentifier
 *            = Graph activity signInActivityId
 *
 * The normalizer puts these in every event's session and token fields
 * (core/normalize.c, core/normalize_logs.c), so a join is equality of
 * value ids. correlationId is not used: it names one request's chain
 * (a sign-in and its interrupts), never a mail read.
 */
#ifndef AUDITSCOPE_SESSION_H
#define AUDITSCOPE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "query.h"
#include "store.h"

/* The events of a session, in time order. */
struct session {
	int64_t *ids; /* event ids, by (ts, id) */
	size_t n;
	char **sessions, **tokens; /* the identifiers the closure reached */
	size_t nsessions, ntokens;
	size_t kinds[16]; /* events per kind (enum event_kind), the first 16 */
};

/*
 * Everything reachable from key: a session id, a token id or a record id.
 * Events that share a session or a token with what is found so far are
 * added, until nothing new is found (at most SESSION_MAX_IDS identifiers,
 * so that a busy session cannot pull in the whole case). 0 with *out
 * (session_free it), 1 when key matches nothing, -1 with *cause.
 */
#define SESSION_MAX_IDS 512
int session_find(struct store *st, const char *key, struct session **out, char **cause);
void session_free(struct session *s);

/* A filter that selects the events of s (session=... or token=...), for
 * the timeline (caller frees). */
char *session_filter(const struct session *s);

/*
 * The sign-in behind event id: the Entra sign-in sharing its token, else
 * the one sharing its session that came last before it (or first after
 * it). 0 with *out (query_row_clear it), 1 when the case has none, -1
 * with *cause. An event that is itself a sign-in has none.
 */
int session_signin(struct store *st, int64_t event_id, struct query_row *out, char **cause);

/* The same two over filters alone (session=, token=, record_id=,
 * kind=signin): what a store without its own joins answers with
 * (core/session_any.c; core/sqlite/session.c hands a non-SQLite store
 * over to them). */
int session_find_any(struct store *st, const char *key, struct session **out, char **cause);
int session_signin_any(struct store *st, int64_t event_id, struct query_row *out, char **cause);

/* What a sign-in record says beyond the normalized fields, as short
 * lines for the detail view (each NULL when the record does not say):
 * device (deviceDetail), conditional access (conditionalAccessStatus),
 * MFA (authenticationRequirement, mfaDetail), risk (riskLevelDuringSignIn,
 * riskState). Reads Graph sign-ins, bare or inside a diagnostic record's
 * properties. Strings are the caller's, not yet sanitized. */
struct signin_facts {
	char *device, *ca, *mfa, *risk;
};
void session_signin_facts(const char *raw, size_t len, struct signin_facts *out);
void session_signin_facts_clear(struct signin_facts *f);

#endif
