/*
 * ipgeo.c: the places of a case's IP addresses (ipgeo.h), whatever the
 * store: each call goes to the store's place ops (storage.h; the SQLite
 * case keeps them in its ipgeo table, core/sqlite/ipgeo.c, the ClickHouse
 * database in its own, core/clickhouse/places.c). A store without them
 * keeps no places: every address is then "unknown", never an error.
 */
#include "ipgeo.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage.h"
#include "xalloc.h"

int ipgeo_enrich(struct store *st, struct geoip *g, struct ipgeo_stats *stats, char **cause)
{
	struct ipgeo_stats z = { 0 };
	if (!stats)
		stats = &z;
	memset(stats, 0, sizeof *stats);
	return st->ops->places_enrich ? st->ops->places_enrich(st, g, stats, cause) : 0;
}

char *ipgeo_databases(struct store *st)
{
	return st->ops->places_databases ? st->ops->places_databases(st) : NULL;
}

int ipgeo_unplaced(struct store *st, int64_t *n, char **cause)
{
	*n = 0;
	return st->ops->places_unplaced ? st->ops->places_unplaced(st, n, cause) : 0;
}

int ipgeo_get(struct store *st, const char *ip, struct ipgeo_row *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (!ip || !*ip || !st->ops->place_get)
		return 0;
	return st->ops->place_get(st, ip, out, cause);
}

int ipgeo_each(struct store *st, int (*fn)(int64_t val, const struct ipgeo_row *g, void *ctx), void *ctx,
	       char **cause)
{
	return st->ops->places_each ? st->ops->places_each(st, fn, ctx, cause) : 0;
}

int ipgeo_of_ids(struct store *st, const int64_t *ids, size_t n, struct ipgeo_row *out, char **cause)
{
	memset(out, 0, n * sizeof *out);
	if (!n || !st->ops->places_of_ids)
		return 0;
	return st->ops->places_of_ids(st, ids, n, out, cause);
}

void ipgeo_row_clear(struct ipgeo_row *r)
{
	if (!r)
		return;
	free(r->country);
	free(r->as_org);
	free(r->label);
	memset(r, 0, sizeof *r);
}

char *ipgeo_text(const char *country, int64_t asn, const char *as_org, const char *label)
{
	bool c = country && *country, l = label && *label, o = as_org && *as_org;
	if (!c && !asn && !l)
		return xstrdup("unknown");
	char asbuf[32] = "";
	if (asn)
		snprintf(asbuf, sizeof asbuf, "AS%lld", (long long)asn);
	return xasprintf("%s%s%s%s%s%s%s", l ? label : "", l && (c || asn) ? " " : "", c ? country : "",
			 c && asn ? " " : "", asbuf, asn && o ? " " : "", asn && o ? as_org : "");
}

char *ipgeo_row_text(const char *ip, const char *country, const char *asn, const char *as_org, const char *label)
{
	if (!ip)
		return NULL;
	if (!country && !asn && !label) {
		struct geoip_place p;
		if (geoip_lookup(NULL, ip, &p) == 0)
			label = p.label;
	}
	return ipgeo_text(country, asn ? strtoll(asn, NULL, 10) : 0, as_org, label);
}
