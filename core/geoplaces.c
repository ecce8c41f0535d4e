/*
 * geoplaces.c: hosting providers, mobile carriers and the distance
 * between countries (geoplaces.h).
 */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "geocache.h"
#include "geoplaces.h"
#include "xalloc.h"

/*
 * Hosting and cloud providers: networks where anyone can rent a machine
 * or a VPN exit for a few dollars, which is where an intruder's sign-in
 * comes from far more often than a user's. Each number is the provider's
 * own autonomous system as registered with its regional registry (the
 * providers publish them, e.g. on PeeringDB); test_hunt_places checks
 * every one against the owner name in the installed @ip-location-db/asn
 * table, so a wrong number fails the suite. Left out on purpose:
 * Microsoft (its own ranges are labelled "microsoft" and Azure's egress
 * carries Microsoft's own services), Google's AS15169 (its services,
 * not its cloud: that is AS396982), Cloudflare (WARP is an everyday
 * consumer client), and transit carriers.
 */
static const struct geoplaces_hosting_entry hosting[] = {
	{ 3223, "Voxility", "Voxility" },
	{ 8100, "QuadraNet", "QuadraNet" },
	{ 8560, "IONOS", "IONOS" },
	{ 9009, "M247 (VPN exits)", "M247" },
	{ 9312, "xTom", "xTom" },
	{ 12876, "Scaleway", "Scaleway" },
	{ 14061, "DigitalOcean", "DigitalOcean" },
	{ 14618, "Amazon Web Services", "Amazon" },
	{ 14956, "RouterHosting (Cloudzy)", "RouterHosting" },
	{ 16265, "Leaseweb", "LeaseWeb" },
	{ 16276, "OVHcloud", "OVH" },
	{ 16509, "Amazon Web Services", "Amazon" },
	{ 19531, "Nodes Direct", "Nodes Direct" },
	{ 20473, "Vultr", "Constant Company" },
	{ 22612, "Namecheap", "Namecheap" },
	{ 24940, "Hetzner", "Hetzner" },
	{ 26496, "GoDaddy", "GoDaddy" },
	{ 28753, "Leaseweb", "Leaseweb" },
	{ 29802, "Hivelocity", "HIVELOCITY" },
	{ 31898, "Oracle Cloud", "Oracle" },
	{ 35913, "DediPath", "DediPath" },
	{ 36007, "Kamatera", "Kamatera" },
	{ 36351, "IBM Cloud (SoftLayer)", "IBM" },
	{ 36352, "ColoCrossing", "HostPapa" },
	{ 37963, "Alibaba Cloud", "Alibaba" },
	{ 40676, "Psychz Networks", "Psychz" },
	{ 44477, "Stark Industries", "AS44477" },
	{ 45090, "Tencent Cloud", "Tencent" },
	{ 45102, "Alibaba Cloud", "Alibaba" },
	{ 46606, "Unified Layer (Bluehost)", "Unified Layer" },
	{ 47583, "Hostinger", "Hostinger" },
	{ 49981, "WorldStream", "WorldStream" },
	{ 51167, "Contabo", "Contabo" },
	{ 53667, "FranTech (BuyVM)", "FranTech" },
	{ 54290, "Hostwinds", "HostPapa" },
	{ 55286, "ServerMania", "B2 Net" },
	{ 60068, "Datacamp (CDN77, VPN exits)", "Datacamp" },
	{ 60781, "Leaseweb", "LeaseWeb" },
	{ 62240, "Clouvider", "Clouvider" },
	{ 63473, "HostHatch", "HostHatch" },
	{ 63949, "Akamai Connected Cloud (Linode)", "Akamai" },
	{ 132203, "Tencent Cloud", "Tencent" },
	{ 136907, "Huawei Cloud", "HUAWEI" },
	{ 141995, "Contabo", "Contabo" },
	{ 199524, "G-Core Labs", "G-Core" },
	{ 200019, "AlexHost", "ALEXHOST" },
	{ 201814, "MEVSPACE", "MEVSPACE" },
	{ 210644, "Aeza", "AEZA" },
	{ 212238, "Datacamp (CDN77, VPN exits)", "Datacamp" },
	{ 213230, "Hetzner", "Hetzner" },
	{ 396982, "Google Cloud", "Google" },
	{ 398101, "GoDaddy", "GoDaddy" },
};
#define NHOSTING (sizeof hosting / sizeof hosting[0])

const char *geoplaces_hosting(uint32_t asn)
{
	size_t lo = 0, hi = NHOSTING;
	while (lo < hi) { /* the table is sorted by number */
		size_t mid = (lo + hi) / 2;
		if (hosting[mid].asn == asn)
			return hosting[mid].provider;
		if (hosting[mid].asn < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct geoplaces_hosting_entry *geoplaces_hosting_list(size_t *n)
{
	*n = NHOSTING;
	return hosting;
}

/* Is word [p, p+n) one of list's (case aside)? With suffix, may the word
 * also end with one (Lycamobile, Telemovil, nzwireless)? */
static bool word_in(const char *p, size_t n, const char *const *list, bool suffix)
{
	for (int i = 0; list[i]; i++) {
		size_t k = strlen(list[i]);
		if ((k == n || (suffix && k < n)) && strncasecmp(p + n - k, list[i], k) == 0)
			return true;
	}
	return false;
}

static bool word_starts(const char *p, size_t n, const char *with)
{
	size_t k = strlen(with);
	return n >= k && strncasecmp(p, with, k) == 0;
}

/*
 * Mobile carriers' registered names ("T-Mobile USA", "Cellco Partnership
 * DBA Verizon Wireless", "Mobile TeleSystems", "Telefonica Moviles",
 * "Telekom Mobilfunk", "Kyivstar GSM"), told by their words (runs of
 * letters and digits), not by a piece of one: a carrier's word, or one
 * ending with "mobile", "mobil", "movil", "wireless" or "cellular" as
 * carriers' fused names do (Vietnamobile, Lycamobile, RadioMovil,
 * DigiNetMobil), but not the automobile's (Automobile Club, PSA
 * AUTOMOBILES, Avtomobil, Otomobil) nor ExxonMobil / Exxon Mobil; a word
 * that begins with one is not a carrier's (Mobileye, Immobilien, Mobiliar).
 * "Mobility" is a carrier's beside a telecom word (AT&T Mobility), not
 * alone (May Mobility, Pride Mobility Products, LINK Mobility).
 */
bool geoplaces_is_mobile(const char *as_org)
{
	static const char *const ends[] = { "mobile", "mobil", "movil", "wireless", "cellular", NULL };
	static const char *const words[] = { "mobiles",     "moviles",  "movel",    "mobilfunk",
					     "mobilkom",    "mobilcom", "mobilais", "mobilink",
					     "cellco",      "cellcom",  "gsm",      "lte",
					     "cellularone", "movilnet", "camgsm",   NULL };
	static const char *const not_ends[] = { "auto", "avto", "oto", NULL };
	static const char *const telecom[] = { "telecom",        "telekom",
					       "telco",          "telecommunications",
					       "communications", "telefonica",
					       "vodafone",       NULL };
	if (!as_org)
		return false;
	bool mobility = false, tel = false, carrier = false;
	for (const char *s = as_org; *s;) {
		if (!isalnum((unsigned char)*s)) {
			s++;
			continue;
		}
		const char *w = s;
		while (isalnum((unsigned char)*s))
			s++;
		size_t n = (size_t)(s - w);
		if (word_starts(w, n, "exxon"))
			return false; /* Exxon Mobil Corporation */
		if (word_in(w, n, words, false))
			carrier = true;
		else if (word_in(w, n, ends, true)) {
			bool automobile = false;
			for (int i = 0; not_ends[i]; i++)
				automobile |= word_starts(w, n, not_ends[i]);
			carrier |= !automobile;
		} else if (n == 8 && strncasecmp(w, "mobility", 8) == 0)
			mobility = true;
		else if (word_in(w, n, telecom, false) ||
			 (n == 2 && strncasecmp(w, "at", 2) == 0 && s[0] == '&' && (s[1] | 0x20) == 't'))
			tel = true; /* AT&T's words: "AT", '&', "T" */
	}
	return carrier || (mobility && tel);
}

/* ------------------------------------------------------------------ */

struct country {
	char cc[3];
	double lat, lon, radius_km;
};

struct geoplaces {
	struct country *c;
	size_t n;
	char *desc;
};

double geoplaces_km(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371.0, rad = M_PI / 180.0;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	if (a > 1)
		a = 1;
	return 2 * r * asin(sqrt(a));
}

static int cmp_cc(const void *a, const void *b)
{
	return strcmp(((const struct country *)a)->cc, ((const struct country *)b)->cc);
}

/* The countries' places are kept in a cache beside world-countries.json
 * (geocache.h): jansson's reading of its 772 KB was 170 M instructions,
 * two thirds of a hunt over a small case; the cache's 8 KB are a few
 * thousand. */
#define CACHE_NAME ".world-countries.cache"
#define CACHE_KIND (0x574f524cULL << 32 | sizeof(struct country))

struct cache_counts {
	uint64_t n, desc_len; /* desc_len counts its NUL */
};

static struct geoplaces *cache_load(const char *dir, const struct geocache_sig sig[2])
{
	size_t len;
	unsigned char *b = geocache_read(dir, CACHE_NAME, CACHE_KIND, sig, 2, &len);
	struct cache_counts h;
	if (!b || len < sizeof h) {
		free(b);
		return NULL;
	}
	memcpy(&h, b, sizeof h);
	const struct country *c = (const struct country *)(void *)(b + sizeof h);
	const char *desc = (const char *)(c + (h.n <= len / sizeof *c ? h.n : 0));
	if (h.n > len / sizeof *c || h.desc_len == 0 || h.desc_len > len ||
	    sizeof h + h.n * sizeof *c + h.desc_len != len || desc[h.desc_len - 1] != '\0') {
		free(b);
		return NULL;
	}
	struct geoplaces *p = xcalloc(1, sizeof *p);
	p->c = xcalloc(h.n + 1, sizeof *p->c);
	memcpy(p->c, c, h.n * sizeof *c);
	p->n = (size_t)h.n;
	for (size_t i = 0; i < p->n; i++)
		p->c[i].cc[2] = '\0';
	p->desc = xstrdup(desc);
	free(b);
	return p;
}

static void cache_save(const struct geoplaces *p, const char *dir, const char *const paths[2],
		       const struct geocache_sig sig[2], const struct timespec *at)
{
	struct cache_counts h = { p->n, strlen(p->desc) + 1 };
	const struct geocache_part parts[] = {
		{ &h, sizeof h },
		{ p->c, p->n * sizeof *p->c },
		{ p->desc, h.desc_len },
	};
	geocache_write(dir, CACHE_NAME, CACHE_KIND, paths, sig, 2, at, parts, sizeof parts / sizeof *parts);
}

struct geoplaces *geoplaces_open(const char *const *dirs)
{
	for (size_t d = 0; dirs && dirs[d]; d++) {
		char *path = xasprintf("%s/world-countries.json", dirs[d]);
		char *pkg = xasprintf("%s/world-countries.package.json", dirs[d]);
		const char *paths[2] = { path, pkg };
		struct geocache_sig sig[2];
		struct timespec at;
		bool cacheable = geocache_sigs(paths, 2, sig, &at) && sig[0].present;
		struct geoplaces *p = cacheable ? cache_load(dirs[d], sig) : NULL;
		if (p) {
			free(path);
			free(pkg);
			return p;
		}
		json_t *j = json_load_file(path, 0, NULL);
		if (!json_is_array(j)) {
			json_decref(j);
			free(path);
			free(pkg);
			continue;
		}
		p = xcalloc(1, sizeof *p);
		p->c = xcalloc(json_array_size(j) + 1, sizeof *p->c);
		size_t i;
		json_t *e;
		json_array_foreach(j, i, e)
		{
			const char *cc = json_string_value(json_object_get(e, "cca2"));
			json_t *ll = json_object_get(e, "latlng");
			double area = json_number_value(json_object_get(e, "area"));
			if (!cc || strlen(cc) != 2 || json_array_size(ll) != 2)
				continue;
			struct country *c = &p->c[p->n++];
			c->cc[0] = (char)toupper((unsigned char)cc[0]);
			c->cc[1] = (char)toupper((unsigned char)cc[1]);
			c->lat = json_number_value(json_array_get(ll, 0));
			c->lon = json_number_value(json_array_get(ll, 1));
			c->radius_km = area > 0 ? 1.5 * sqrt(area / M_PI) : 0;
		}
		json_decref(j);
		qsort(p->c, p->n, sizeof *p->c, cmp_cc);
		json_t *pj = json_load_file(pkg, 0, NULL);
		const char *ver = json_string_value(json_object_get(pj, "version"));
		p->desc = xasprintf("world-countries.json%s%s", ver ? " " : "", ver ? ver : "");
		json_decref(pj);
		if (cacheable)
			cache_save(p, dirs[d], paths, sig, &at);
		free(path);
		free(pkg);
		return p;
	}
	return NULL;
}

void geoplaces_free(struct geoplaces *p)
{
	if (!p)
		return;
	free(p->c);
	free(p->desc);
	free(p);
}

const char *geoplaces_describe(const struct geoplaces *p)
{
	return p ? p->desc : NULL;
}

static const struct country *find(const struct geoplaces *p, const char *cc)
{
	if (!p || !cc || strlen(cc) != 2)
		return NULL;
	struct country key = {
		{ (char)toupper((unsigned char)cc[0]), (char)toupper((unsigned char)cc[1]), 0 }, 0, 0, 0
	};
	return bsearch(&key, p->c, p->n, sizeof *p->c, cmp_cc);
}

double geoplaces_min_km(const struct geoplaces *p, const char *a, const char *b)
{
	const struct country *x = find(p, a), *y = find(p, b);
	if (!x || !y)
		return -1;
	if (x == y)
		return 0;
	double d = geoplaces_km(x->lat, x->lon, y->lat, y->lon) - x->radius_km - y->radius_km;
	return d > 0 ? d : 0;
}
