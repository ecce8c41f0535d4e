/*
 * sigma_field_impl.h: what the two halves of a Sigma field condition
 * share: sigma_field.c compiles a condition (modifiers, field names,
 * patterns, literals), sigma_match.c walks a record with it. Not for
 * other modules: they use sigma_field.h.
 */
#ifndef AUDITSCOPE_SIGMA_FIELD_IMPL_H
#define AUDITSCOPE_SIGMA_FIELD_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "json_path.h"
#include "sigma_field.h"

/* A wildcard pattern as units: a byte (compared per the case rule),
 * STAR (any run) or ONE (one UTF-8 character). */
enum { U_STAR = 256, U_ONE = 257 };

struct cidr {
	unsigned char addr[16];
	int family, bits;
};

enum pkind { P_GLOB, P_RE, P_CIDR, P_NUM };

struct pat {
	enum pkind k;
	int *u; /* P_GLOB units */
	size_t nu;
	bool cased;
	pcre2_code *re;
	struct cidr net;
	double num;
	char *shown; /* the value as the rule wrote it, for explanations */
};

/* A name the field is looked for under: a json.PATH read loosely
 * (json_path.h: dotted names, Sigma's pairs). */
struct fpath {
	char *s;
	struct json_path *jp;
	bool dot; /* a trailing '.' of a string value is optional */
};

struct sigma_field {
	char *field; /* NULL: keywords */
	unsigned mods;
	struct pat *pats;
	size_t npats;
	bool exists_want;
	struct fpath *paths;
	size_t npaths;
	pcre2_match_context *mctx;
	char **lits;
	size_t nlits;
	bool lits_ok;
};

/* ASCII lower case (the case rule of Sigma's wildcards). */
static inline unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* A number as a record writes it (digits, sign, point, exponent). */
bool sigma_parse_number(const char *s, size_t n, double *out);

#endif
