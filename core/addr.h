/*
 * addr.h: what a log's client address field holds.
 *
 * ClientIP, ClientIPAddress, ipAddress, CallerIpAddress and their kin
 * arrive as an IP (1.2.3.4, 2603:10b6::12), an IP with a port
 * (1.2.3.4:19823, [2603:10b6::12]:18835, ::ffff:1.2.3.4:80), a proxy's
 * list of addresses ("1.2.3.4, 10.0.0.2": the first is kept), a host name
 * with or without a port (cool.client.local:12345, localhost), a word for
 * "none" (<null>, -, unknown), an anonymised address (XX.XX.XX.XX), or
 * anything at all. The normalizer keeps an IP in the event's ip field and
 * a host name in its host field, never one in the other; the rest stays
 * only in the raw record.
 *
 * The rule is by form, not by name: localhost:12345 is a host name (the
 * host field gets "localhost"), 127.0.0.1:12345 and [::1]:80 are IPs
 * (the ip field gets 127.0.0.1 and ::1), as any other address.
 */
#ifndef AUDITSCOPE_ADDR_H
#define AUDITSCOPE_ADDR_H

#include <stddef.h>

enum addr_kind {
	ADDR_NONE, /* empty, a "none" word, anonymised, or not an address */
	ADDR_IP,   /* an IPv4 or IPv6 address (an IPv6 zone may follow '%') */
	ADDR_HOST, /* a host name: letters, digits, '-', '_', dots */
	/* an IP not written in its one form, which addr_ip_form gives, so
	 * that every log's way of writing an address stores (and an ip=
	 * filter finds) one value: an IPv6 as RFC 5952 writes it (lower
	 * case, no leading zeros, the longest run of two or more zero groups
	 * as "::", the first of equal runs; hex throughout, but an
	 * IPv4-mapped address is its IPv4); a zone (fe80::1%eth0) is kept
	 * after it, lower case: two zones are two links, so two different
	 * neighbours. ADDR_IP's span (lower-cased) is that form already:
	 * every IPv4, nearly every IPv6, at no cost. */
	ADDR_IP_FORM,
};

/*
 * Classify the n bytes at s. For ADDR_IP(_FORM) and ADDR_HOST, *off and *len
 * give the address or name within s: without surrounding space, port,
 * brackets, an IPv4-mapped IPv6 prefix (::ffff:) or a host name's final
 * dot. Letters are left in their case (the caller lowers them).
 */
enum addr_kind addr_classify(const char *s, size_t n, size_t *off, size_t *len);

/* The most an address's one form takes: an IPv6 (39), '%', a zone (32). */
#define ADDR_FORM_MAX 72

/*
 * The one form of the address at [p, p+n), the span addr_classify gave
 * with ADDR_IP_FORM, written to form (ADDR_FORM_MAX bytes); returns its
 * length (0 if the span is no such address).
 */
size_t addr_ip_form(const char *p, size_t n, char *form);

#endif
