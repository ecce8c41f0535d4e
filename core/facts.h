/*
 * facts.h: what a kind of log says beyond the event's columns, read from
 * its raw record for the interface's column sets.
 *
 * The event table holds what every kind shares (user, app, ip, result,
 * detail, ...). A sign-in's resource, failure reason, Conditional Access
 * status and MFA requirement, a directory audit's target and changed
 * properties, an Exchange cmdlet's object and parameters stay in the raw
 * record: this module finds them there, whatever shape the export gave
 * the record (Graph names, the Azure diagnostic envelope's `properties`,
 * the portal's CSV headers, the unified audit log's Name/Value lists).
 * Store-independent: the caller hands over the raw record (store_raw).
 */
#ifndef AUDITSCOPE_FACTS_H
#define AUDITSCOPE_FACTS_H

#include <stddef.h>

enum fact {
	FACT_RESOURCE, /* a sign-in's resource (the API the token is for) */
	FACT_FAILURE,  /* a sign-in's failure reason */
	FACT_CA,       /* Conditional Access status */
	FACT_MFA,      /* MFA: the authentication requirement or result */
	FACT_AGENT,    /* the user agent */
	FACT_TARGET,   /* what a directory change or a cmdlet acted on */
	FACT_CHANGES,  /* modified properties, "Name: old -> new; ..." */
	FACT_PARAMS,   /* a cmdlet's parameters, "Name=Value ..." */
	FACT_COUNT
};

/* The fact's field name as column sets use it ("resource", "ca", ...). */
const char *fact_name(enum fact f);
/* The fact of a field name, or -1. */
int fact_of_name(const char *name);

/*
 * Read every fact of one raw record (JSON, n bytes) into out[FACT_COUNT]:
 * a string each (caller frees), NULL when the record does not say. A
 * record that is not JSON leaves them all NULL. Returns how many were
 * found.
 */
int facts_read(const char *raw, size_t n, char **out);

#endif
