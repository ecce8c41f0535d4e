/*
 * normalize_ip.c: an IP address as the exports write it, cleaned to the
 * address itself (brackets, ports, IPv4-mapped IPv6 prefixes, spaces
 * stripped; the placeholders of "no address" and anonymised addresses
 * dropped), lower-cased.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "normalize_priv.h"

struct sv normalize_ip(struct norm *nm, struct sv ip)
{
	if (!ip.p)
		return ip;
	const char *p = ip.p, *e = ip.p + ip.n;
	while (p < e && isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	if (p < e && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(e - p));
		if (rb) {
			e = rb;
			p++;
		}
	}
	if (e - p > 7 && strncasecmp(p, "::ffff:", 7) == 0 && memchr(p + 7, '.', (size_t)(e - p - 7)))
		p += 7;
	/* a.b.c.d:port, also what is left of ::ffff:a.b.c.d:port */
	const char *c1 = p < e ? memchr(p, ':', (size_t)(e - p)) : NULL;
	if (c1 && !memchr(c1 + 1, ':', (size_t)(e - c1 - 1)) && memchr(p, '.', (size_t)(c1 - p)))
		e = c1;
	if (p >= e)
		return (struct sv){ NULL, 0 };
	/* what exports write for "no address" is not an address */
	static const char *const none[] = { "<null>", "-", "unknown", "null", "n/a", "none" };
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
		if ((size_t)(e - p) == strlen(none[i]) && strncasecmp(p, none[i], strlen(none[i])) == 0)
			return (struct sv){ NULL, 0 };
	/* nor is an anonymised one ("XX.XX.XX.XX"): addresses are hex
	 * digits, dots and colons (and an IPv6 zone after '%') */
	for (const char *q = p; q < e && *q != '%'; q++)
		if (!isxdigit((unsigned char)*q) && *q != '.' && *q != ':')
			return (struct sv){ NULL, 0 };
	struct sv r = { p, (size_t)(e - p) };
	return norm_lower(nm, r);
}
