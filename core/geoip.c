/*
 * geoip.c: the offline IP databases of geoip.h.
 *
 * Two readers stand behind one lookup: libmaxminddb for MaxMind-format
 * files (a user's GeoLite2/GeoIP2, and the CC0 country database of
 * @ip-location-db), and a reader of @ip-location-db/asn's CSV tables
 * (start,end,asn,owner), which the registry does not ship in MaxMind
 * format. The CSV's 515,000 ranges are read into sorted arrays (each
 * AS's owner once in a pool of names) and searched by bisection; once
 * read they are kept in a cache file beside the tables, which the next
 * open reads instead of the CSV while it matches them (see "The ASN
 * tables' cache" below).
 *
 * Before any database, addresses that are not places get a label from
 * the IANA special-purpose registries (RFC 6890 and its updates), and
 * networks registered to Microsoft (by AS number) are labelled
 * "microsoft", since Exchange Online and Graph act from them on a user's
 * behalf.
 */
#include "geoip.h"

#include <arpa/inet.h>
#include <limits.h>
#include <maxminddb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "geocache.h"
#include "util.h"
#include "xalloc.h"

struct range4 {
	uint32_t lo, hi, asn;
	uint32_t org; /* the AS's name: an offset into geoip.orgs */
};

struct range6 {
	unsigned char lo[16], hi[16];
	uint32_t asn;
	uint32_t org;
};

#define NIDX4 65537

struct geoip {
	MMDB_s country_db, asn_db;
	bool has_country_db, has_asn_db;
	/* the CSV ASN tables: their ranges, and each AS's name once in orgs
	 * (the files were kept whole for the names before: 30 MB of a
	 * load's peak with the ranges and their sort, 72 MB in all on 1M
	 * events; a name repeats for every range of its AS) */
	char *orgs;
	size_t orgs_len, orgs_cap;
	struct util_imap org_by_asn; /* asn + 1 -> offset, while loading */
	struct range4 *r4;
	size_t n4;
	/* idx4[k]: the first range of r4 starting at or after k << 16, so
	 * that a lookup bisects one /16's ranges instead of all 500,000
	 * (NIDX4 entries, the last n4) */
	uint32_t *idx4;
	struct range6 *r6;
	size_t n6;
	/* r4, idx4, r6 and orgs lie in this copy of their cache when read
	 * from it (and are then not freed one by one) */
	void *cached;
	char *describe;
	char *warning;
	const volatile sig_atomic_t *stop; /* geoip_open_until's, while opening */
};

static bool stopped(const struct geoip *g)
{
	return g->stop && *g->stop;
}

/* ------------------------------------------------------------------ */
/* Special ranges */

struct special {
	const char *prefix;
	int bits;
	const char *label;
};

/* IANA IPv4 and IPv6 special-purpose address registries (RFC 6890,
 * RFC 5737 and RFC 3849 documentation blocks, RFC 6598 shared space). */
static const struct special specials[] = {
	{ "0.0.0.0", 8, "reserved" },
	{ "10.0.0.0", 8, "private" },
	{ "100.64.0.0", 10, "shared" },
	{ "127.0.0.0", 8, "loopback" },
	{ "169.254.0.0", 16, "link-local" },
	{ "172.16.0.0", 12, "private" },
	{ "192.0.0.0", 24, "reserved" },
	{ "192.0.2.0", 24, "documentation" },
	{ "192.168.0.0", 16, "private" },
	{ "198.18.0.0", 15, "reserved" },
	{ "198.51.100.0", 24, "documentation" },
	{ "203.0.113.0", 24, "documentation" },
	{ "224.0.0.0", 4, "multicast" },
	{ "240.0.0.0", 4, "reserved" },
	{ "::", 128, "reserved" },
	{ "::1", 128, "loopback" },
	{ "2001:db8::", 32, "documentation" },
	{ "3fff::", 20, "documentation" },
	{ "fc00::", 7, "private" },
	{ "fe80::", 10, "link-local" },
	{ "ff00::", 8, "multicast" },
};

/*
 * Microsoft's own networks, by the AS numbers registered to Microsoft
 * Corporation: 8075 (MICROSOFT-CORP-MSN-AS-BLOCK, which announces most of
 * Azure, Exchange Online and Graph), 8068-8074 (MICROSOFT-CORP), 3598
 * (MICROSOFT-CORP-AS), 6584 (MICROSOFT-GP-AS), 12076 (ExpressRoute),
 * 23468 (Xbox Live). Azure's customers' machines sit in AS8075 too: the
 * label says whose network it is, not who typed.
 */
static const uint32_t microsoft_asns[] = { 3598, 6584, 8068, 8069, 8070,  8071,
					   8072, 8073, 8074, 8075, 12076, 23468 };

bool geoip_asn_is_microsoft(uint32_t asn)
{
	for (size_t i = 0; i < sizeof microsoft_asns / sizeof microsoft_asns[0]; i++)
		if (microsoft_asns[i] == asn)
			return true;
	return false;
}

/* Exchange Online's published IPv4 ranges (Microsoft 365 URLs and IP
 * address ranges, Exchange Online) and Microsoft's IPv6 allocations,
 * labelled even without an ASN database. */
static const struct special microsoft_prefixes[] = {
	{ "40.92.0.0", 15, "microsoft" },
	{ "40.96.0.0", 13, "microsoft" },
	{ "40.104.0.0", 15, "microsoft" },
	{ "40.107.0.0", 16, "microsoft" },
	{ "52.96.0.0", 14, "microsoft" },
	{ "52.100.0.0", 14, "microsoft" },
	{ "104.47.0.0", 17, "microsoft" },
	{ "132.245.0.0", 16, "microsoft" },
	/* IPv6: Microsoft's whole allocations (ARIN 2603:1000::/24, where
	 * Exchange Online's front ends 2603:10b6:... sit; RIPE 2a01:111::/32) */
	{ "2603:1000::", 24, "microsoft" },
	{ "2a01:111::", 32, "microsoft" },
};

static bool to_bin(const char *ip, unsigned char a[16])
{
	unsigned char v4[4];
	if (inet_pton(AF_INET, ip, v4) == 1) {
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, v4, 4);
		return true;
	}
	/* an IPv6 zone (fe80::1%eth0) names the interface, not the place */
	const char *pct = strchr(ip, '%');
	if (pct) {
		char b[INET6_ADDRSTRLEN];
		size_t n = (size_t)(pct - ip);
		if (n >= sizeof b)
			return false;
		memcpy(b, ip, n);
		b[n] = '\0';
		return inet_pton(AF_INET6, b, a) == 1;
	}
	return inet_pton(AF_INET6, ip, a) == 1;
}

static bool is_v4(const unsigned char a[16])
{
	static const unsigned char pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a, pfx, 12) == 0;
}

/* A special range in binary, bits counted over all 16 bytes; an IPv4
 * range also as a network and mask, so that an IPv4 address (most of a
 * log's) is tested with one AND a range. */
struct special_bin {
	unsigned char p[16];
	int bits;
	const char *label;
	bool v4;
	uint32_t net, mask;
};

#define NSPECIALS (sizeof specials / sizeof specials[0])
#define NMSPREFIXES (sizeof microsoft_prefixes / sizeof microsoft_prefixes[0])
static struct special_bin specials_bin[NSPECIALS], msprefixes_bin[NMSPREFIXES];
static pthread_once_t specials_once = PTHREAD_ONCE_INIT;

static void special_compile(const struct special *s, struct special_bin *b)
{
	if (!to_bin(s->prefix, b->p))
		abort(); /* the tables above are constants */
	b->v4 = strchr(s->prefix, '.') != NULL;
	b->bits = s->bits + (b->v4 ? 96 : 0);
	b->label = s->label;
	b->mask = b->v4 && s->bits ? 0xffffffffu << (32 - s->bits) : 0;
	b->net = ((uint32_t)b->p[12] << 24 | (uint32_t)b->p[13] << 16 | (uint32_t)b->p[14] << 8 | b->p[15]) &
		 b->mask;
}

static void specials_init(void)
{
	for (size_t i = 0; i < NSPECIALS; i++)
		special_compile(&specials[i], &specials_bin[i]);
	for (size_t i = 0; i < NMSPREFIXES; i++)
		special_compile(&microsoft_prefixes[i], &msprefixes_bin[i]);
}

static bool prefix_match(const unsigned char a[16], const struct special_bin *s)
{
	const unsigned char *p = s->p;
	int bits = s->bits;
	int full = bits / 8, rest = bits % 8;
	if (memcmp(a, p, (size_t)full) != 0)
		return false;
	if (rest) {
		unsigned char m = (unsigned char)(0xff << (8 - rest));
		if ((a[full] & m) != (p[full] & m))
			return false;
	}
	return true;
}

static const char *special_label(const unsigned char a[16], const struct special_bin *tab, size_t n)
{
	if (is_v4(a)) {
		uint32_t v = (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
		for (size_t i = 0; i < n; i++)
			if (tab[i].v4 && (v & tab[i].mask) == tab[i].net)
				return tab[i].label;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!tab[i].v4 && prefix_match(a, &tab[i]))
			return tab[i].label;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The CSV tables of @ip-location-db/asn */

/* A small file whole (a package's package.json). */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0 || sb.st_size <= 0 || sb.st_size > (1 << 30)) {
		fclose(f);
		return NULL;
	}
	char *buf = xmalloc((size_t)sb.st_size + 1);
	size_t n = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* An AS's name in orgs, once per AS (a second, different name of the
 * same AS is kept too). */
static uint32_t org_of(struct geoip *g, uint32_t asn, const char *org)
{
	size_t n = strlen(org) + 1;
	const int64_t *had = util_imap_get(&g->org_by_asn, (uint64_t)asn + 1);
	if (had && strcmp(g->orgs + *had, org) == 0)
		return (uint32_t)*had;
	if (g->orgs_len + n > UINT32_MAX)
		return 0; /* (the pool's first byte is an empty name) */
	g->orgs = xgrow(g->orgs, &g->orgs_cap, g->orgs_len + n, 1);
	memcpy(g->orgs + g->orgs_len, org, n);
	uint32_t at = (uint32_t)g->orgs_len;
	g->orgs_len += n;
	if (!had)
		*util_imap_slot(&g->org_by_asn, (uint64_t)asn + 1, 0, NULL) = at;
	return at;
}

/* The lines of a CSV file one by one (getline's buffer), so that the file
 * is never in memory whole. */
static FILE *open_csv(struct geoip *g, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f && !g->orgs) {
		g->orgs = xmalloc(1);
		g->orgs[0] = '\0';
		g->orgs_len = g->orgs_cap = 1;
	}
	return f;
}

/* Split one CSV line in place into at most 4 fields; the last may be
 * quoted with doubled quotes. Returns the number of fields; *next is the
 * start of the following line. */
static int csv_fields(char *p, char *end, char *f[4], char **next)
{
	int n = 0;
	while (p < end && n < 4) {
		if (*p == '"') {
			char *w = ++p, *r = p;
			f[n++] = w;
			while (r < end) {
				if (*r == '"' && r + 1 < end && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*w++ = *r++;
				}
			}
			*w = '\0';
			p = r;
		} else {
			f[n++] = p;
			while (p < end && *p != ',' && *p != '\n' && *p != '\r')
				p++;
		}
		if (p < end && *p == ',') {
			*p++ = '\0';
			continue;
		}
		break;
	}
	while (p < end && *p != '\n')
		*p++ = '\0';
	if (p < end)
		*p++ = '\0';
	*next = p;
	return n;
}

/* A decimal field of the tables (digits only, at most UINT32_MAX): read
 * digit by digit, where strtoull cost about 200 instructions a call, three
 * calls a line. */
static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	while (*p >= '0' && *p <= '9' && p - s < 11)
		v = v * 10 + (uint64_t)(*p++ - '0');
	if (p == s || *p || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * An IPv6 address of the table in its usual form: groups of 1-4 hex
 * digits, at most one "::". inet_pton took 1,450 instructions a line
 * (two addresses); anything else (an embedded IPv4 dotted quad, a stray
 * character) is left to inet_pton, which decides as before.
 */
static bool parse_v6(const char *s, unsigned char out[16])
{
	uint16_t g[8];
	int n = 0, gap = -1;
	const char *p = s;
	if (p[0] == ':' && p[1] == ':') {
		gap = 0;
		p += 2;
	}
	while (*p) {
		if (n == 8)
			return inet_pton(AF_INET6, s, out) == 1;
		int d, k = 0;
		unsigned v = 0;
		while (k < 4 && (d = hex_digit(*p)) >= 0) {
			v = v << 4 | (unsigned)d;
			p++;
			k++;
		}
		if (k == 0 || hex_digit(*p) >= 0)
			return inet_pton(AF_INET6, s, out) == 1;
		g[n++] = (uint16_t)v;
		if (!*p)
			break;
		if (*p != ':')
			return inet_pton(AF_INET6, s, out) == 1;
		p++;
		if (*p == ':') {
			if (gap >= 0)
				return inet_pton(AF_INET6, s, out) == 1;
			gap = n;
			p++;
		} else if (!*p) {
			return inet_pton(AF_INET6, s, out) == 1;
		}
	}
	if (gap < 0 ? n != 8 : n > 7)
		return inet_pton(AF_INET6, s, out) == 1;
	memset(out, 0, 16);
	int tail = gap < 0 ? 0 : n - gap, at = 0;
	for (int i = 0; i < n - tail; i++, at++) {
		out[2 * at] = (unsigned char)(g[i] >> 8);
		out[2 * at + 1] = (unsigned char)g[i];
	}
	for (int i = n - tail, j = 8 - tail; i < n; i++, j++) {
		out[2 * j] = (unsigned char)(g[i] >> 8);
		out[2 * j + 1] = (unsigned char)g[i];
	}
	return true;
}

static void load_csv4(struct geoip *g, const char *path)
{
	FILE *in = open_csv(g, path);
	if (!in)
		return;
	size_t cap = 0, lcap = 0;
	char *line = NULL;
	ssize_t len;
	while (!stopped(g) && (len = getline(&line, &lcap, in)) > 0) {
		char *f[4], *next;
		int n = csv_fields(line, line + len, f, &next);
		struct range4 r;
		if (n < 3 || !parse_u32(f[0], &r.lo) || !parse_u32(f[1], &r.hi) || !parse_u32(f[2], &r.asn) ||
		    r.hi < r.lo)
			continue;
		r.org = n == 4 ? org_of(g, r.asn, f[3]) : 0;
		g->r4 = xgrow(g->r4, &cap, g->n4 + 1, sizeof *g->r4);
		g->r4[g->n4++] = r;
	}
	free(line);
	fclose(in);
}

static void load_csv6(struct geoip *g, const char *path)
{
	FILE *in = open_csv(g, path);
	if (!in)
		return;
	size_t cap = 0, lcap = 0;
	char *line = NULL;
	ssize_t len;
	while (!stopped(g) && (len = getline(&line, &lcap, in)) > 0) {
		char *f[4], *next;
		int n = csv_fields(line, line + len, f, &next);
		struct range6 r;
		if (n < 3 || !parse_v6(f[0], r.lo) || !parse_v6(f[1], r.hi) || !parse_u32(f[2], &r.asn) ||
		    memcmp(r.hi, r.lo, 16) < 0)
			continue;
		r.org = n == 4 ? org_of(g, r.asn, f[3]) : 0;
		g->r6 = xgrow(g->r6, &cap, g->n6 + 1, sizeof *g->r6);
		g->r6[g->n6++] = r;
	}
	free(line);
	fclose(in);
}

static int cmp4(const void *a, const void *b)
{
	const struct range4 *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp6(const void *a, const void *b)
{
	const struct range6 *x = a, *y = b;
	return memcmp(x->lo, y->lo, 16);
}

static void index4(struct geoip *g)
{
	g->idx4 = xcalloc(NIDX4, sizeof *g->idx4);
	size_t i = 0;
	for (uint32_t k = 0; k <= 65536; k++) {
		while (i < g->n4 && (g->r4[i].lo >> 16) < k)
			i++;
		g->idx4[k] = (uint32_t)i;
	}
}

static const struct range4 *find4(const struct geoip *g, uint32_t v)
{
	size_t lo = 0, hi = g->n4;
	if (g->idx4) {
		lo = g->idx4[v >> 16];
		hi = g->idx4[(v >> 16) + 1];
	}
	while (lo < hi) { /* first range with lo > v */
		size_t mid = lo + (hi - lo) / 2;
		if (g->r4[mid].lo <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || g->r4[lo - 1].hi < v)
		return NULL;
	return &g->r4[lo - 1];
}

static const struct range6 *find6(const struct geoip *g, const unsigned char a[16])
{
	size_t lo = 0, hi = g->n6;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(g->r6[mid].lo, a, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || memcmp(g->r6[lo - 1].hi, a, 16) < 0)
		return NULL;
	return &g->r6[lo - 1];
}

/* The tables in order of their first addresses. The arrays are NULL when
 * no file gave ranges (asked of the arrays, not the counts: scan-build
 * cannot see that xcalloc zeroed g). The files come sorted: a sort then
 * only costs a copy of the ranges (glibc's merge sort, 10 MB). */
static void sort_tables(struct geoip *g)
{
	if (g->r4) {
		size_t i = 1;
		while (i < g->n4 && cmp4(&g->r4[i - 1], &g->r4[i]) <= 0)
			i++;
		if (i < g->n4)
			qsort(g->r4, g->n4, sizeof *g->r4, cmp4);
	}
	if (g->r6) {
		size_t i = 1;
		while (i < g->n6 && cmp6(&g->r6[i - 1], &g->r6[i]) <= 0)
			i++;
		if (i < g->n6)
			qsort(g->r6, g->n6, sizeof *g->r6, cmp6);
	}
}

/* ------------------------------------------------------------------ */
/* The ASN tables' cache (geocache.h)
 *
 * Parsing the two CSV tables cost about 690 M instructions (0.13 s of
 * CPU) at every open, that is at every load. Once parsed and sorted they
 * are written as they lie in memory (counts, ranges, the /16 index, the
 * owners' names) to .asn-ranges.cache, which the next open reads whole
 * instead: about 17 M instructions, two thirds of them the checksum, and
 * 13 MB read (read, not mapped: a file cut short under a mapping would
 * kill the load with SIGBUS; the copy costs ~6 ms of CPU). Every owner's
 * offset and the index's bounds are checked before a range is used.
 */

#define CACHE_NAME ".asn-ranges.cache"
#define CACHE_KIND (0x41534e31ULL << 32 | (uint64_t)sizeof(struct range4) << 16 | sizeof(struct range6))

struct cache_counts {
	uint64_t n4, n6, orgs_len;
};

/* The tables from the cache's payload p of len bytes (kept by g), when
 * what a lookup follows stays inside it. */
static bool cache_take(struct geoip *g, unsigned char *p, size_t len)
{
	struct cache_counts h;
	if (len < sizeof h + NIDX4 * sizeof(uint32_t))
		return false;
	memcpy(&h, p, sizeof h);
	size_t plen = len - sizeof h - NIDX4 * sizeof(uint32_t);
	if (h.n4 == 0 || h.n4 > plen / sizeof(struct range4) || h.n6 > plen / sizeof(struct range6) ||
	    h.orgs_len == 0 || h.orgs_len > plen || h.orgs_len > UINT32_MAX ||
	    h.n4 * sizeof(struct range4) + h.n6 * sizeof(struct range6) + h.orgs_len != plen)
		return false;
	struct range4 *r4 = (struct range4 *)(void *)(p + sizeof h);
	uint32_t *idx4 = (uint32_t *)(void *)(r4 + h.n4);
	struct range6 *r6 = (struct range6 *)(void *)(idx4 + NIDX4);
	char *orgs = (char *)(r6 + h.n6);
	if (orgs[0] != '\0' || orgs[h.orgs_len - 1] != '\0' || idx4[NIDX4 - 1] != h.n4)
		return false;
	/* the order of the ranges the sum vouches for (sorted before they
	 * were written) */
	for (size_t i = 1; i < NIDX4; i++)
		if (idx4[i] < idx4[i - 1])
			return false;
	uint32_t bad_org = 0, olen = (uint32_t)h.orgs_len;
	for (size_t i = 0; i < h.n4; i++)
		bad_org |= r4[i].org >= olen;
	for (size_t i = 0; i < h.n6; i++)
		bad_org |= r6[i].org >= olen;
	if (bad_org)
		return false;
	g->cached = p;
	g->r4 = r4;
	g->n4 = (size_t)h.n4;
	g->idx4 = idx4;
	g->r6 = h.n6 ? r6 : NULL;
	g->n6 = (size_t)h.n6;
	g->orgs = orgs;
	g->orgs_len = (size_t)h.orgs_len;
	return true;
}

static bool cache_load(struct geoip *g, const char *dir, const struct geocache_sig sig[2])
{
	size_t len;
	unsigned char *p = geocache_read(dir, CACHE_NAME, CACHE_KIND, sig, 2, &len);
	if (p && cache_take(g, p, len))
		return true;
	free(p);
	return false;
}

static void cache_save(const struct geoip *g, const char *dir, const char *const paths[2],
		       const struct geocache_sig sig[2], const struct timespec *at)
{
	struct cache_counts h = { g->n4, g->n6, g->orgs_len };
	const struct geocache_part parts[] = {
		{ &h, sizeof h },
		{ g->r4, g->n4 * sizeof *g->r4 },
		{ g->idx4, NIDX4 * sizeof *g->idx4 },
		{ g->r6, g->n6 * sizeof *g->r6 },
		{ g->orgs, g->orgs_len },
	};
	geocache_write(dir, CACHE_NAME, CACHE_KIND, paths, sig, 2, at, parts, sizeof parts / sizeof *parts);
}

/* ------------------------------------------------------------------ */
/* Opening */

static bool exists(const char *dir, const char *name, char **path)
{
	char *p = xasprintf("%s/%s", dir, name);
	if (access(p, R_OK) == 0) {
		*path = p;
		return true;
	}
	free(p);
	return false;
}

static void date_of_epoch(uint64_t epoch, char out[11])
{
	time_t t = (time_t)epoch;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(out, 11, "%Y-%m-%d", &tm) == 0)
		strcpy(out, "?");
}

/* The data date of an @ip-location-db package: its version ends in
 * YYYYMMDDHH (2.3.2026061719 is the data of 2026-06-17). make deps keeps
 * each package's package.json as NAME.package.json beside its files. */
static void date_of_package(const char *dir, const char *name, char out[11])
{
	strcpy(out, "?");
	char *path = xasprintf("%s/%s.package.json", dir, name);
	size_t len;
	char *buf = slurp(path, &len);
	free(path);
	if (!buf)
		return;
	char *v = strstr(buf, "\"version\"");
	if (v) {
		v = strchr(v + 9, '"');
		char *e = v ? strchr(v + 1, '"') : NULL;
		if (v && e) {
			char *dot = e;
			while (dot > v && dot[-1] != '.')
				dot--;
			if (e - dot >= 8)
				snprintf(out, 11, "%.4s-%.2s-%.2s", dot, dot + 4, dot + 6);
		}
	}
	free(buf);
}

static const char *const country_files[] = { "GeoIP2-Country.mmdb", "GeoLite2-Country.mmdb", "GeoIP2-City.mmdb",
					     "GeoLite2-City.mmdb", "geo-whois-asn-country.mmdb" };
static const char *const asn_files[] = { "GeoIP2-ASN.mmdb", "GeoLite2-ASN.mmdb" };

struct geoip *geoip_open(const char *const *dirs)
{
	return geoip_open_until(dirs, NULL);
}

struct geoip *geoip_open_until(const char *const *dirs, const volatile sig_atomic_t *stop)
{
	struct geoip *g = xcalloc(1, sizeof *g);
	g->stop = stop;
	char *cdesc = NULL, *adesc = NULL;
	for (size_t d = 0; dirs && dirs[d] && !stopped(g); d++) {
		const char *dir = dirs[d];
		char *path;
		for (size_t i = 0; !g->has_country_db && i < sizeof country_files / sizeof *country_files; i++) {
			if (!exists(dir, country_files[i], &path))
				continue;
			if (MMDB_open(path, MMDB_MODE_MMAP, &g->country_db) == MMDB_SUCCESS) {
				char date[11];
				date_of_epoch(g->country_db.metadata.build_epoch, date);
				g->has_country_db = true;
				cdesc = xasprintf("country: %s %s", country_files[i], date);
			}
			free(path);
		}
		for (size_t i = 0; !g->has_asn_db && !g->r4 && i < sizeof asn_files / sizeof *asn_files; i++) {
			if (!exists(dir, asn_files[i], &path))
				continue;
			if (MMDB_open(path, MMDB_MODE_MMAP, &g->asn_db) == MMDB_SUCCESS) {
				char date[11];
				date_of_epoch(g->asn_db.metadata.build_epoch, date);
				g->has_asn_db = true;
				adesc = xasprintf("network: %s %s", asn_files[i], date);
			}
			free(path);
		}
		if (!g->has_asn_db && !g->r4 && exists(dir, "asn-ipv4-num.csv", &path)) {
			char *p6 = NULL;
			if (!exists(dir, "asn-ipv6.csv", &p6))
				p6 = NULL;
			/* a cache holds one folder's two tables: not when an
			 * earlier folder gave IPv6 ranges without IPv4 ones */
			const char *paths[2] = { path, p6 };
			struct geocache_sig sig[2];
			struct timespec read_at;
			bool cacheable = !g->r6 && geocache_sigs(paths, 2, sig, &read_at);
			if (!cacheable || !cache_load(g, dir, sig)) {
				load_csv4(g, path);
				if (p6)
					load_csv6(g, p6);
				if (cacheable && g->n4 && !stopped(g)) {
					sort_tables(g);
					index4(g);
					cache_save(g, dir, paths, sig, &read_at);
				}
			}
			free(p6);
			if (g->n4) {
				char date[11];
				date_of_package(dir, "asn", date);
				adesc = xasprintf("network: asn-ipv4-num.csv %s", date);
			}
			free(path);
		}
	}
	if (stopped(g)) {
		free(cdesc);
		free(adesc);
		geoip_free(g);
		return NULL;
	}
	g->stop = NULL;
	util_imap_free(&g->org_by_asn);
	memset(&g->org_by_asn, 0, sizeof g->org_by_asn);
	if (!g->cached) { /* (a cache's are sorted and indexed) */
		sort_tables(g);
		if (g->r4 && !g->idx4)
			index4(g);
	}
	g->describe = xasprintf("%s; %s", cdesc ? cdesc : "country: none", adesc ? adesc : "network: none");
	if (!cdesc || !adesc)
		g->warning = xasprintf("no IP %s database found (make deps installs them; --geoip DIR "
				       "or AUDITSCOPE_GEOIP for your own): %s unknown",
				       !cdesc && !adesc ? "location or network"
				       : !cdesc         ? "location"
							: "network",
				       !cdesc && !adesc ? "countries and networks are"
				       : !cdesc         ? "countries are"
							: "networks are");
	free(cdesc);
	free(adesc);
	return g;
}

void geoip_free(struct geoip *g)
{
	if (!g)
		return;
	if (g->has_country_db)
		MMDB_close(&g->country_db);
	if (g->has_asn_db)
		MMDB_close(&g->asn_db);
	if (g->cached) {
		free(g->cached);
	} else {
		free(g->r4);
		free(g->r6);
		free(g->orgs);
		free(g->idx4);
	}
	util_imap_free(&g->org_by_asn);
	free(g->describe);
	free(g->warning);
	free(g);
}

char **geoip_default_dirs(const char *user_dir)
{
	char **dirs = xcalloc(7, sizeof *dirs);
	size_t n = 0;
	if (user_dir && *user_dir)
		dirs[n++] = xstrdup(user_dir);
	const char *env = getenv("AUDITSCOPE_GEOIP");
	if (env && *env)
		dirs[n++] = xstrdup(env);
	char exe[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (k > 0) {
		exe[k] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* build/auditscope beside the source tree's geoip/ (what
			 * make deps fills), an installed bin/ beside share/ */
			dirs[n++] = xasprintf("%s/../geoip", exe);
			dirs[n++] = xasprintf("%s/../share/auditscope/geoip", exe);
		}
	}
	dirs[n++] = xstrdup("/usr/local/share/auditscope/geoip");
	dirs[n++] = xstrdup("/usr/share/auditscope/geoip");
	return dirs;
}

void geoip_dirs_free(char **dirs)
{
	if (!dirs)
		return;
	for (size_t i = 0; dirs[i]; i++)
		free(dirs[i]);
	free(dirs);
}

bool geoip_has_country(const struct geoip *g)
{
	return g && g->has_country_db;
}

bool geoip_has_asn(const struct geoip *g)
{
	return g && (g->has_asn_db || g->n4 > 0);
}

const char *geoip_describe(const struct geoip *g)
{
	return g ? g->describe : "country: none; network: none";
}

const char *geoip_warning(const struct geoip *g)
{
	return g ? g->warning : NULL;
}

/* ------------------------------------------------------------------ */
/* Lookup */

static void mmdb_lookup(MMDB_s *db, const unsigned char a[16], MMDB_lookup_result_s *res)
{
	int err = 0;
	if (is_v4(a)) { /* libmaxminddb finds IPv4 inside an IPv6 tree itself */
		struct sockaddr_in sin;
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, a + 12, 4);
		*res = MMDB_lookup_sockaddr(db, (const struct sockaddr *)&sin, &err);
	} else {
		struct sockaddr_in6 sin6;
		memset(&sin6, 0, sizeof sin6);
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, a, 16);
		*res = MMDB_lookup_sockaddr(db, (const struct sockaddr *)&sin6, &err);
	}
	if (err != MMDB_SUCCESS)
		res->found_entry = false;
}

static void mmdb_country(MMDB_s *db, const unsigned char a[16], char out[3])
{
	MMDB_lookup_result_s res;
	mmdb_lookup(db, a, &res);
	if (!res.found_entry)
		return;
	MMDB_entry_data_s d;
	if ((MMDB_get_value(&res.entry, &d, "country", "iso_code", NULL) == MMDB_SUCCESS && d.has_data) ||
	    (MMDB_get_value(&res.entry, &d, "country_code", NULL) == MMDB_SUCCESS && d.has_data) ||
	    (MMDB_get_value(&res.entry, &d, "registered_country", "iso_code", NULL) == MMDB_SUCCESS &&
	     d.has_data)) {
		if (d.type == MMDB_DATA_TYPE_UTF8_STRING && d.data_size == 2) {
			out[0] = d.utf8_string[0];
			out[1] = d.utf8_string[1];
			out[2] = '\0';
		}
	}
}

static void mmdb_asn(struct geoip *g, const unsigned char a[16], struct geoip_place *out)
{
	MMDB_lookup_result_s res;
	mmdb_lookup(&g->asn_db, a, &res);
	if (!res.found_entry)
		return;
	MMDB_entry_data_s d;
	if (MMDB_get_value(&res.entry, &d, "autonomous_system_number", NULL) == MMDB_SUCCESS && d.has_data &&
	    d.type == MMDB_DATA_TYPE_UINT32)
		out->asn = d.uint32;
	if (MMDB_get_value(&res.entry, &d, "autonomous_system_organization", NULL) == MMDB_SUCCESS &&
	    d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING) {
		/* MMDB strings are not NUL-terminated: they point into the
		 * mapped file. Owners are short; keep the last one here. */
		static _Thread_local char org[256];
		size_t n = d.data_size < sizeof org - 1 ? d.data_size : sizeof org - 1;
		memcpy(org, d.utf8_string, n);
		org[n] = '\0';
		out->as_org = org;
	}
}

void geoip_lookup_bin(struct geoip *g, const unsigned char a[16], struct geoip_place *out)
{
	memset(out, 0, sizeof *out);
	pthread_once(&specials_once, specials_init);
	out->label = special_label(a, specials_bin, NSPECIALS);
	if (out->label)
		return;
	if (!g)
		goto microsoft;
	if (g->has_country_db)
		mmdb_country(&g->country_db, a, out->country);
	if (g->has_asn_db) {
		mmdb_asn(g, a, out);
	} else if (is_v4(a)) {
		uint32_t v = (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
		const struct range4 *r = find4(g, v);
		if (r) {
			out->asn = r->asn;
			out->as_org = g->orgs + r->org;
		}
	} else {
		const struct range6 *r = find6(g, a);
		if (r) {
			out->asn = r->asn;
			out->as_org = g->orgs + r->org;
		}
	}
microsoft:
	if ((out->asn && geoip_asn_is_microsoft(out->asn)) || special_label(a, msprefixes_bin, NMSPREFIXES))
		out->label = "microsoft";
}

int geoip_lookup(struct geoip *g, const char *ip, struct geoip_place *out)
{
	unsigned char a[16];
	if (!ip || !to_bin(ip, a)) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	geoip_lookup_bin(g, a, out);
	return 0;
}
