/*
 * ipgeo.h: the places of a case's IP addresses, stored beside the value
 * table.
 *
 * Addresses repeat: a million events carry a few thousand distinct IPs.
 * So the lookup is done once per distinct IP value (a vals id), after
 * each load, into the table ipgeo(val, country, asn, as_org, label); the
 * filters (country=, asn=, as_org=), the stack, the timeline, the detail
 * view, the exports and the report read that table by join. The case
 * also records which databases answered (meta key "geoip"), so that
 * opening it with other databases (--geoip DIR) redoes the lookups.
 */
#ifndef AUDITSCOPE_IPGEO_H
#define AUDITSCOPE_IPGEO_H

#include <stdint.h>

#include "geoip.h"
#include "store.h"

struct ipgeo_stats {
	int64_t looked_up; /* distinct addresses looked up this time */
	int64_t located;   /* of which got a country */
	int64_t networks;  /* of which got an AS number */
	int64_t total;     /* addresses in ipgeo afterwards */
};

/* Look up every IP value of st's events not yet in ipgeo (all of them
 * when the databases differ from the ones that filled it). 0 or -1. */
int ipgeo_enrich(struct store *st, struct geoip *g, struct ipgeo_stats *stats, char **cause);

/* The databases that filled the case's ipgeo ("country: ...; network:
 * ..."), or NULL when never enriched. Caller frees. */
char *ipgeo_databases(struct store *st);

/* How many of the case's IP addresses were never looked up (*n): a load
 * stopped before its places (Ctrl-C, kill) leaves its new addresses so,
 * until the next load looks them up. 0 or -1. */
int ipgeo_unplaced(struct store *st, int64_t *n, char **cause);

/* One address's place as stored (strings owned; NULL when unknown). */
struct ipgeo_row {
	char *country, *as_org, *label;
	int64_t asn; /* 0 unknown */
};
/* Read ip's place from the case. 0 (found or not: out is then empty) or
 * -1 on an error of the case. */
int ipgeo_get(struct store *st, const char *ip, struct ipgeo_row *out, char **cause);
void ipgeo_row_clear(struct ipgeo_row *r);
/* Every placed IP value id with its place (borrowed for the call); fn
 * returns non-zero to stop. 0 or -1. */
int ipgeo_each(struct store *st, int (*fn)(int64_t val, const struct ipgeo_row *g, void *ctx), void *ctx,
	       char **cause);
/* The places of n IP value ids as a scan hands them over (query.h):
 * out[i] for ids[i], empty when not placed (ipgeo_row_clear each). 0 or
 * -1. What the hunts use, so that they hold no SQL. */
int ipgeo_of_ids(struct store *st, const int64_t *ids, size_t n, struct ipgeo_row *out, char **cause);

/* "DE AS3320 Deutsche Telekom AG", "private", "microsoft AS8075 ...",
 * "unknown": a place as one line (caller frees). */
char *ipgeo_text(const char *country, int64_t asn, const char *as_org, const char *label);

/* The same for a row's ip and its stored place (asn as digits); an
 * address the case never looked up still gets its label (private,
 * documentation, ...) from the built-in ranges. NULL when ip is. */
char *ipgeo_row_text(const char *ip, const char *country, const char *asn, const char *as_org,
		     const char *label);

#endif
