/*
 * geoplaces.h: what the place hunts know about networks and countries
 * beyond an address's lookup (geoip.h): which autonomous systems are
 * hosting providers, which look like mobile carriers, and how far apart
 * two countries at least are.
 *
 * Precision. The databases auditscope installs give a country and an
 * autonomous system per address, no coordinates (MaxMind's city files
 * would, with a radius of tens to hundreds of kilometres; auditscope does
 * not use them). So a distance is between countries: from the country's
 * centre (latitude, longitude and area from the npm package
 * world-countries, ODbL, installed beside the IP databases by `make
 * deps`) less a generous radius for each country (1.5 times the radius
 * of a disc of the country's area), so that it is a lower bound of the
 * distance between any two points of the two countries for all but the
 * most elongated ones. Neighbouring countries are 0 km apart: only a
 * journey between distant countries can be impossible.
 */
#ifndef AUDITSCOPE_GEOPLACES_H
#define AUDITSCOPE_GEOPLACES_H

#include <stdbool.h>
#include <stdint.h>

/* The hosting or cloud provider an AS number belongs to (static text), or
 * NULL. The list is in geoplaces.c with how it was checked. */
const char *geoplaces_hosting(uint32_t asn);
/* The listed hosting ASNs, for tests and docs: n entries. */
struct geoplaces_hosting_entry {
	uint32_t asn;
	const char *provider; /* "Amazon Web Services" */
	const char *owner;    /* a word of the owner's registered name: "Amazon" */
};
const struct geoplaces_hosting_entry *geoplaces_hosting_list(size_t *n);

/* Does this network look like a mobile carrier's (its owner's name says
 * Mobile, Wireless, Cellular, ...)? Their addresses say where the
 * carrier's gateway is, not where its subscriber is (a roaming phone
 * comes out at home), so travel hunts ignore them. */
bool geoplaces_is_mobile(const char *as_org);

struct geoplaces;

/* The country table from the folders geoip_default_dirs gives (the file
 * world-countries.json). NULL when absent: no distance is known then. */
struct geoplaces *geoplaces_open(const char *const *dirs);
void geoplaces_free(struct geoplaces *p);
/* Where the table came from ("world-countries.json 5.1.0"), borrowed. */
const char *geoplaces_describe(const struct geoplaces *p);

/* The least distance in km between two countries (ISO alpha-2, any
 * case) as above; -1 when either is unknown. */
double geoplaces_min_km(const struct geoplaces *p, const char *a, const char *b);

/* The great-circle distance between two points, in km. */
double geoplaces_km(double lat1, double lon1, double lat2, double lon2);

#endif
