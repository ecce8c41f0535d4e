/*
 * geoip.h: where an IP address is, offline: country, autonomous system
 * (number and owner) and a label for the ranges that are not places
 * (private, loopback, documentation, Microsoft's own).
 *
 * The databases are files on disk, never fetched at run time. They are
 * looked for in a list of folders, the first folder that holds a kind
 * winning for that kind:
 *
 *   country  GeoIP2-Country.mmdb, GeoLite2-Country.mmdb, GeoIP2-City.mmdb,
 *            GeoLite2-City.mmdb (a user's own MaxMind files), then
 *            geo-whois-asn-country.mmdb (npm @ip-location-db, CC0)
 *   network  GeoLite2-ASN.mmdb, GeoIP2-ASN.mmdb, then asn-ipv4-num.csv +
 *            asn-ipv6.csv (npm @ip-location-db/asn, CC-BY-4.0)
 *
 * MaxMind-format files are read with libmaxminddb; the ASN tables, which
 * the registry ships only as CSV, are read into two sorted arrays and
 * searched by bisection, and kept in a cache (.asn-ranges.cache beside
 * them, or in $XDG_CACHE_HOME/auditscope) that later opens read while it
 * still matches the tables. A missing database is not an error: lookups
 * answer "unknown" and geoip_warning() says so once.
 */
#ifndef AUDITSCOPE_GEOIP_H
#define AUDITSCOPE_GEOIP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct geoip;

/* What is known about one address. Strings are borrowed from the geoip
 * (valid until geoip_free) or static; NULL or "" when unknown. */
struct geoip_place {
	char country[3];    /* ISO 3166-1 alpha-2, "" when unknown */
	uint32_t asn;       /* 0 when unknown */
	const char *as_org; /* the network's owner */
	const char *label;  /* "private", "loopback", "link-local", "documentation",
			       "shared" (CGNAT), "multicast", "reserved",
			       "microsoft", or NULL for an ordinary address */
};

/* Open the databases found in dirs (NULL-terminated; NULL entries are
 * skipped, the first folder holding a kind wins). Never fails: what is
 * missing answers "unknown". */
struct geoip *geoip_open(const char *const *dirs);
void geoip_free(struct geoip *g);

/* geoip_open that gives up once *stop is nonzero (a load's Ctrl-C while
 * its tables are read: a few hundred ms of CPU, seconds on a busy
 * machine); it is looked at between the lines of the ASN tables. NULL
 * when stopped (nothing half-read is ever used for a lookup). */
struct geoip *geoip_open_until(const char *const *dirs, const volatile sig_atomic_t *stop);

/* The folders searched by default, in order: user_dir (--geoip), then
 * $AUDITSCOPE_GEOIP, the geoip/ folder beside the build tree, an
 * installed share/auditscope/geoip. Caller frees with geoip_dirs_free. */
char **geoip_default_dirs(const char *user_dir);
void geoip_dirs_free(char **dirs);

/* Look ip up (IPv4 or IPv6 text). Returns 0, or -1 when ip is not an
 * address (out is then cleared). */
int geoip_lookup(struct geoip *g, const char *ip, struct geoip_place *out);

/* The same for an address already in binary form (16 bytes, IPv4 as
 * ::ffff:a.b.c.d). */
void geoip_lookup_bin(struct geoip *g, const unsigned char addr[16], struct geoip_place *out);

bool geoip_has_country(const struct geoip *g);
bool geoip_has_asn(const struct geoip *g);

/* One line naming the databases in use and their dates, e.g.
 * "country: geo-whois-asn-country.mmdb 2026-06-17; network: asn-ipv4-num.csv
 * 2026-06-17". Borrowed. */
const char *geoip_describe(const struct geoip *g);

/* A warning when a database is missing (borrowed), or NULL. */
const char *geoip_warning(const struct geoip *g);

/* Is this AS number one of Microsoft's own? (documented list in geoip.c) */
bool geoip_asn_is_microsoft(uint32_t asn);

#endif
