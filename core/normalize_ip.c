/*
 * normalize_ip.c: a client address field as the exports write it, cleaned
 * to the address itself (brackets, ports, IPv4-mapped IPv6 prefixes,
 * spaces stripped; the placeholders of "no address" and anonymised
 * addresses dropped), lower-cased, an IPv6 in its one form (addr.h); or, where the field names a host
 * instead (cool.client.local:12345, localhost), that host name, which
 * goes to the event's host field and never to its IP (core/addr.c tells
 * them apart).
 */
#include <string.h>

#include "addr.h"
#include "normalize_priv.h"

/* An address not written in its one form (addr.h: an IPv6 with leading
 * zeros, zero groups written out, ...): a copy of that form. Apart, so
 * that the usual address costs nothing for it. */
static struct sv ip_form(struct norm *nm, struct sv span)
{
	char form[ADDR_FORM_MAX];
	size_t n = addr_ip_form(span.p, span.n, form);
	return n ? norm_copy(nm, form, n) : (struct sv){ NULL, 0 };
}

struct sv normalize_ip(struct norm *nm, struct sv ip)
{
	size_t off, len;
	enum addr_kind k = addr_classify(ip.p, ip.n, &off, &len);
	if (k == ADDR_IP_FORM)
		return ip_form(nm, (struct sv){ ip.p + off, len });
	if (k != ADDR_IP)
		return (struct sv){ NULL, 0 };
	return norm_lower(nm, (struct sv){ ip.p + off, len });
}

void normalize_addr(struct norm *nm, struct sv text, struct sv *ip, struct sv *host)
{
	/* A record names its address in several fields, mostly the same
	 * text (and the Purview CSV has it in a column too): nothing more to
	 * learn from a text that is the address already kept, which an
	 * address literal is once cleaned, or once both are kept. */
	if (!text.n || (ip->p && host->p) || (ip->p && ip->n == text.n && memcmp(ip->p, text.p, text.n) == 0))
		return;
	/* with the address kept, only a host name could still be learnt, and
	 * a text opening with ':' or '[' is never one (addr.c): the mailbox
	 * records' ClientIP "::ffff:a.b.c.d" after their ClientIPAddress */
	if (ip->p && (text.p[0] == ':' || text.p[0] == '['))
		return;
	/* nor is a text with two colons (an IPv6, or nothing), nor the
	 * address kept with a port after it: the mailbox records' ClientIP
	 * ("2603:10b6:..." front ends, inet_pton's 900 instructions, or
	 * "a.b.c.d:port") after their ClientIPAddress */
	if (ip->p) {
		const char *c1 = memchr(text.p, ':', text.n);
		if (c1 && memchr(c1 + 1, ':', text.n - (size_t)(c1 - text.p) - 1))
			return;
		if (c1 && (size_t)(c1 - text.p) == ip->n && memcmp(text.p, ip->p, ip->n) == 0)
			return;
	}
	size_t off, len;
	enum addr_kind k = addr_classify(text.p, text.n, &off, &len);
	struct sv *dst = k == ADDR_IP || k == ADDR_IP_FORM ? ip : k == ADDR_HOST ? host : NULL;
	if (dst && !dst->p)
		*dst = k == ADDR_IP_FORM ? ip_form(nm, (struct sv){ text.p + off, len })
					 : norm_lower(nm, (struct sv){ text.p + off, len });
}
