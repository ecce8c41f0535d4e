/*
 * sigma_field.c: a Sigma field condition over a raw record (sigma_field.h).
 *
 * A condition is compiled once into patterns (wildcard patterns as small
 * unit arrays, PCRE2 codes, address blocks, numbers) and the list of
 * names its field is looked for under, with the literals a record must
 * hold for the condition to have a chance. Matching a record is
 * sigma_match.c's; the shapes both share are in sigma_field_impl.h.
 */
#include "sigma_field.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sigma_field_impl.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Modifiers */

static const struct sigma_mod mods_table[] = {
	{ "contains", SM_CONTAINS },
	{ "startswith", SM_STARTSWITH },
	{ "endswith", SM_ENDSWITH },
	{ "base64offset", SM_BASE64OFFSET },
	{ "base64", SM_BASE64 },
	{ "re", SM_RE },
	{ "i", SM_RE_I },
	{ "m", SM_RE_M },
	{ "s", SM_RE_S },
	{ "cidr", SM_CIDR },
	{ "exists", SM_EXISTS },
	{ "lt", SM_LT },
	{ "lte", SM_LTE },
	{ "gt", SM_GT },
	{ "gte", SM_GTE },
	{ "cased", SM_CASED },
	{ "all", SM_ALL },
};
#define NMODS (sizeof mods_table / sizeof mods_table[0])

const struct sigma_mod *sigma_mods(size_t *n)
{
	*n = NMODS;
	return mods_table;
}

int sigma_mods_parse(const char *s, size_t n, unsigned *mods, char **cause)
{
	*mods = 0;
	const char *p = s, *end = s + n;
	while (p < end) {
		const char *q = memchr(p, '|', (size_t)(end - p));
		size_t len = q ? (size_t)(q - p) : (size_t)(end - p);
		unsigned bit = 0;
		for (size_t i = 0; i < NMODS; i++)
			if (strlen(mods_table[i].name) == len && strncasecmp(mods_table[i].name, p, len) == 0)
				bit = mods_table[i].bit;
		if (!bit)
			return set_cause(cause, "unknown modifier '%.*s'", (int)len, p);
		if ((bit & (SM_RE_I | SM_RE_M | SM_RE_S)) && !(*mods & SM_RE))
			return set_cause(cause, "modifier '%.*s' only follows 're'", (int)len, p);
		*mods |= bit;
		p += len;
		if (q)
			p++;
	}
	unsigned m = *mods;
	int kinds =
		!!(m & SM_RE) + !!(m & SM_CIDR) + !!(m & SM_EXISTS) +
		!!(m & (SM_LT | SM_LTE | SM_GT | SM_GTE)) +
		!!(m & (SM_CONTAINS | SM_STARTSWITH | SM_ENDSWITH | SM_BASE64 | SM_BASE64OFFSET | SM_CASED));
	int cmps = !!(m & SM_LT) + !!(m & SM_LTE) + !!(m & SM_GT) + !!(m & SM_GTE);
	int where = !!(m & SM_CONTAINS) + !!(m & SM_STARTSWITH) + !!(m & SM_ENDSWITH);
	if (kinds > 1 || cmps > 1 || where > 1 || ((m & SM_BASE64) && (m & SM_BASE64OFFSET))) {
		char *t = sigma_mods_text(m);
		set_cause(cause, "modifiers '%s' do not combine", t);
		free(t);
		return -1;
	}
	return 0;
}

char *sigma_mods_text(unsigned mods)
{
	char buf[256];
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < NMODS; i++) {
		if (!(mods & mods_table[i].bit))
			continue;
		size_t k = strlen(mods_table[i].name);
		if (n + k + 2 >= sizeof buf)
			break;
		buf[n++] = '|';
		memcpy(buf + n, mods_table[i].name, k);
		n += k;
		buf[n] = '\0';
	}
	return xstrdup(buf);
}

/* ------------------------------------------------------------------ */
/* The mapping table: names that differ between shapes of the same log */

static const char *const al_message[] = { "activityDisplayName", "operationName",
					  "OperationName",       "properties.activityDisplayName",
					  "Operation",           NULL };
static const char *const al_opname[] = { "activityDisplayName", "properties.activityDisplayName",
					 "OperationName", "Operation", NULL };
static const char *const al_resulttype[] = { "status.errorCode", "properties.status.errorCode",
					     "Sign-in error code", NULL };
static const char *const al_resultdesc[] = { "status.failureReason", "properties.status.failureReason",
					     "resultReason",         "properties.resultReason",
					     "Failure reason",       NULL };
static const char *const al_status[] = { "status.errorCode", "result", "resultReason", "ResultStatus", NULL };
static const char *const al_useragent[] = { "User agent", "UserAgent", "ClientInfoString",
					    "additionalDetails.User-Agent", NULL };
static const char *const al_location[] = { "location.countryOrRegion", "Location", NULL };
static const char *const al_authreq[] = { "Authentication requirement", NULL };
static const char *const al_clientapp[] = { "clientAppUsed", "Client app", NULL };
static const char *const al_category[] = { "properties.category", NULL };
static const char *const al_loggedby[] = { "loggedByService", "properties.loggedByService", NULL };
static const char *const al_target[] = { "targetResources", "properties.targetResources", NULL };
static const char *const al_initiated[] = { "initiatedBy", "properties.initiatedBy", NULL };

static const struct sigma_alias aliases[] = {
	{ "properties.message", al_message, true },
	{ "operationName", al_opname, true },
	{ "OperationName", al_opname, true },
	{ "ActivityDisplayName", al_opname, true },
	{ "ResultType", al_resulttype, false },
	{ "ResultDescription", al_resultdesc, false },
	{ "Status", al_status, false },
	{ "userAgent", al_useragent, false },
	{ "location", al_location, false },
	{ "AuthenticationRequirement", al_authreq, false },
	{ "ClientApp", al_clientapp, false },
	{ "Category", al_category, false },
	{ "LoggedByService", al_loggedby, false },
	{ "TargetResources", al_target, false },
	{ "Initiatedby", al_initiated, false },
};

const struct sigma_alias *sigma_field_aliases(size_t *n)
{
	*n = sizeof aliases / sizeof aliases[0];
	return aliases;
}

/* ------------------------------------------------------------------ */
/* Patterns (their shapes: sigma_field_impl.h) */

static void pat_clear(struct pat *p)
{
	free(p->u);
	pcre2_code_free(p->re);
	free(p->shown);
}

void sigma_field_free(struct sigma_field *sf)
{
	if (!sf)
		return;
	for (size_t i = 0; i < sf->npats; i++)
		pat_clear(&sf->pats[i]);
	free(sf->pats);
	for (size_t i = 0; i < sf->npaths; i++) {
		free(sf->paths[i].s);
		json_path_free(sf->paths[i].jp);
	}
	free(sf->paths);
	for (size_t i = 0; i < sf->nlits; i++)
		free(sf->lits[i]);
	free(sf->lits);
	pcre2_match_context_free(sf->mctx);
	free(sf->field);
	free(sf);
}

static void units_add(struct pat *p, size_t *cap, int u)
{
	p->u = xgrow(p->u, cap, p->nu + 1, sizeof *p->u);
	p->u[p->nu++] = u;
}

/* Sigma's escapes: \* \? \\ are the characters; any other backslash is
 * itself. */
static void glob_compile(struct pat *p, const char *v, bool lead_star, bool trail_star, bool literal)
{
	size_t cap = 0;
	if (lead_star)
		units_add(p, &cap, U_STAR);
	for (const char *s = v; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!literal && c == '\\' && (s[1] == '*' || s[1] == '?' || s[1] == '\\')) {
			units_add(p, &cap, (unsigned char)*++s);
		} else if (!literal && c == '*') {
			if (!p->nu || p->u[p->nu - 1] != U_STAR)
				units_add(p, &cap, U_STAR);
		} else if (!literal && c == '?') {
			units_add(p, &cap, U_ONE);
		} else {
			units_add(p, &cap, c);
		}
	}
	if (trail_star && (!p->nu || p->u[p->nu - 1] != U_STAR))
		units_add(p, &cap, U_STAR);
}

static bool cidr_parse(const char *s, struct cidr *c)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= 64)
		return false;
	char a[64];
	memcpy(a, s, alen);
	a[alen] = '\0';
	memset(c, 0, sizeof *c);
	long bits = -1;
	if (slash) {
		char *end;
		bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end)
			return false;
	}
	if (inet_pton(AF_INET, a, c->addr) == 1) {
		c->family = AF_INET;
		if (bits < 0)
			bits = 32;
		if (bits > 32)
			return false;
	} else if (inet_pton(AF_INET6, a, c->addr) == 1) {
		c->family = AF_INET6;
		if (bits < 0)
			bits = 128;
		if (bits > 128)
			return false;
	} else {
		return false;
	}
	c->bits = (int)bits;
	return true;
}

bool sigma_parse_number(const char *s, size_t n, double *out)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *end;
	*out = strtod(buf, &end);
	return end != buf && !*end;
}

static char *base64(const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*o++ = tab[v >> 18 & 63], *o++ = tab[v >> 12 & 63], *o++ = tab[v >> 6 & 63], *o++ = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
		*o++ = tab[v >> 18 & 63], *o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static struct pat *pat_new(struct sigma_field *sf, size_t *cap, const char *shown)
{
	sf->pats = xgrow(sf->pats, cap, sf->npats + 1, sizeof *sf->pats);
	struct pat *p = &sf->pats[sf->npats++];
	memset(p, 0, sizeof *p);
	p->shown = xstrdup(shown);
	return p;
}

static int add_value(struct sigma_field *sf, size_t *cap, const char *v, char **cause)
{
	unsigned m = sf->mods;
	bool lead = m & (SM_CONTAINS | SM_ENDSWITH), trail = m & (SM_CONTAINS | SM_STARTSWITH);
	if (m & SM_RE) {
		uint32_t opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
		if (m & SM_RE_I)
			opt |= PCRE2_CASELESS;
		if (m & SM_RE_M)
			opt |= PCRE2_MULTILINE;
		if (m & SM_RE_S)
			opt |= PCRE2_DOTALL;
		int err;
		PCRE2_SIZE off;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED, opt, &err, &off, NULL);
		if (!re) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(err, msg, sizeof msg);
			return set_cause(cause, "bad regular expression '%s' (%s at offset %zu)", v,
					 (char *)msg, (size_t)off);
		}
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		struct pat *p = pat_new(sf, cap, v);
		p->k = P_RE;
		p->re = re;
		return 0;
	}
	if (m & SM_CIDR) {
		struct cidr c;
		if (!cidr_parse(v, &c))
			return set_cause(cause, "'%s' is not an address block such as 203.0.113.0/24", v);
		struct pat *p = pat_new(sf, cap, v);
		p->k = P_CIDR;
		p->net = c;
		return 0;
	}
	if (m & (SM_LT | SM_LTE | SM_GT | SM_GTE)) {
		double d;
		if (!sigma_parse_number(v, strlen(v), &d))
			return set_cause(cause, "'%s' is not a number", v);
		struct pat *p = pat_new(sf, cap, v);
		p->k = P_NUM;
		p->num = d;
		return 0;
	}
	if (m & SM_BASE64) {
		char *b = base64((const unsigned char *)v, strlen(v));
		struct pat *p = pat_new(sf, cap, v);
		p->k = P_GLOB;
		p->cased = true;
		glob_compile(p, b, lead, trail, true);
		free(b);
		return 0;
	}
	if (m & SM_BASE64OFFSET) {
		/* the three alignments of v inside a longer encoded text, with
		 * the characters that depend on its neighbours cut off */
		static const size_t cut_start[3] = { 0, 2, 3 };
		static const int cut_end[3] = { 0, 3, 2 };
		size_t n = strlen(v);
		for (size_t i = 0; i < 3; i++) {
			char *pad = xmalloc(n + 3);
			memset(pad, ' ', i);
			memcpy(pad + i, v, n);
			char *b = base64((const unsigned char *)pad, n + i);
			free(pad);
			size_t bl = strlen(b);
			size_t e = (size_t)cut_end[(n + i) % 3];
			if (cut_start[i] + e < bl) {
				b[bl - e] = '\0';
				struct pat *p = pat_new(sf, cap, v);
				p->k = P_GLOB;
				p->cased = true;
				glob_compile(p, b + cut_start[i], lead, trail, true);
			}
			free(b);
		}
		return 0;
	}
	struct pat *p = pat_new(sf, cap, v);
	p->k = P_GLOB;
	p->cased = m & SM_CASED;
	glob_compile(p, v, lead || !sf->field, trail || !sf->field, false);
	return 0;
}

static void fpath_add(struct sigma_field *sf, size_t *cap, const char *name, bool dot)
{
	for (size_t i = 0; i < sf->npaths; i++)
		if (strcmp(sf->paths[i].s, name) == 0)
			return;
	sf->paths = xgrow(sf->paths, cap, sf->npaths + 1, sizeof *sf->paths);
	struct fpath *fp = &sf->paths[sf->npaths++];
	memset(fp, 0, sizeof *fp);
	fp->s = xstrdup(name);
	fp->jp = json_path_new_flags(name, JSON_PATH_DOTTED | JSON_PATH_LOOSE);
	fp->dot = dot;
}

/* Is c safe to look for in a record's JSON text as itself? Serialisers
 * escape quotes, backslashes, slashes, control and non-ASCII characters,
 * and some escape < > & ' + = as \u00XX. */
static bool lit_char_ok(unsigned char c)
{
	return isalnum(c) || (c && strchr(" -_.:;@#%(),[]{}|!~^$", c));
}

/* The longest run of plain bytes in a wildcard pattern, or 0. */
static size_t longest_run(const struct pat *p, size_t *at)
{
	size_t best = 0, cur = 0;
	for (size_t i = 0; i <= p->nu; i++) {
		if (i < p->nu && p->u[i] < 256 && lit_char_ok((unsigned char)p->u[i])) {
			cur++;
			continue;
		}
		if (cur > best) {
			best = cur;
			*at = i - cur;
		}
		cur = 0;
	}
	return best;
}

static void build_literals(struct sigma_field *sf)
{
	sf->lits_ok = false;
	if (sf->mods & (SM_RE | SM_CIDR | SM_EXISTS | SM_LT | SM_LTE | SM_GT | SM_GTE) || !sf->npats)
		return;
	size_t cap = 0;
	for (size_t i = 0; i < sf->npats; i++) {
		size_t at = 0, n = longest_run(&sf->pats[i], &at);
		if (n < 2)
			return;
		char *l = xmalloc(n + 1);
		for (size_t k = 0; k < n; k++)
			l[k] = (char)sf->pats[i].u[at + k];
		l[n] = '\0';
		sf->lits = xgrow(sf->lits, &cap, sf->nlits + 1, sizeof *sf->lits);
		sf->lits[sf->nlits++] = l;
	}
	sf->lits_ok = true;
}

int sigma_field_new(const char *field, unsigned mods, char *const *vals, size_t nvals,
		    struct sigma_field **out, char **cause)
{
	*out = NULL;
	struct sigma_field *sf = xcalloc(1, sizeof *sf);
	sf->field = field && *field ? xstrdup(field) : NULL;
	sf->mods = mods;
	if (mods & SM_EXISTS) {
		if (nvals != 1 || (strcasecmp(vals[0], "true") && strcasecmp(vals[0], "false"))) {
			sigma_field_free(sf);
			return set_cause(cause, "'exists' takes true or false");
		}
		sf->exists_want = strcasecmp(vals[0], "true") == 0;
	} else {
		size_t cap = 0;
		for (size_t i = 0; i < nvals; i++) {
			if (add_value(sf, &cap, vals[i], cause) < 0) {
				sigma_field_free(sf);
				return -1;
			}
		}
	}
	if (sf->field) {
		size_t cap = 0;
		fpath_add(sf, &cap, sf->field, false);
		if (strncasecmp(sf->field, "properties.", 11) == 0 && sf->field[11]) {
			fpath_add(sf, &cap, sf->field + 11, false);
		} else {
			char *p = xasprintf("properties.%s", sf->field);
			fpath_add(sf, &cap, p, false);
			free(p);
		}
		for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
			if (strcasecmp(aliases[i].name, sf->field) != 0)
				continue;
			for (const char *const *a = aliases[i].also; *a; a++)
				fpath_add(sf, &cap, *a,
					  aliases[i].trailing_dot && strcmp(*a, "Operation") == 0);
		}
	}
	sf->mctx = pcre2_match_context_create(NULL);
	/* a pattern that backtracks without end stops here, with an error,
	 * instead of stalling every rule behind it */
	pcre2_set_match_limit(sf->mctx, 1000000);
	pcre2_set_depth_limit(sf->mctx, 10000);
	build_literals(sf);
	*out = sf;
	return 0;
}

size_t sigma_field_literals(const struct sigma_field *sf, const char ***lits)
{
	if (!sf->lits_ok)
		return 0;
	*lits = xmalloc(sf->nlits * sizeof **lits);
	for (size_t i = 0; i < sf->nlits; i++)
		(*lits)[i] = sf->lits[i];
	return sf->nlits;
}

bool sigma_text_has(const char *text, size_t n, const char *lit, size_t litn)
{
	if (litn == 0)
		return true;
	if (litn > n)
		return false;
	unsigned char a = lower((unsigned char)lit[0]), A = (unsigned char)toupper(a);
	const char *p = text, *end = text + n - litn + 1;
	while (p < end) {
		const char *x = memchr(p, a, (size_t)(end - p));
		const char *y = a != A ? memchr(p, A, (size_t)(end - p)) : NULL;
		const char *q = !x ? y : !y ? x : x < y ? x : y;
		if (!q)
			return false;
		if (strncasecmp(q + 1, lit + 1, litn - 1) == 0)
			return true;
		p = q + 1;
	}
	return false;
}

bool sigma_field_may_match(const struct sigma_field *sf, const char *raw, size_t n)
{
	if (!sf->lits_ok)
		return true;
	for (size_t i = 0; i < sf->nlits; i++)
		if (sigma_text_has(raw, n, sf->lits[i], strlen(sf->lits[i])))
			return true;
	return false;
}
