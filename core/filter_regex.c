/*
 * filter_regex.c: bounded PCRE2 matching for the filter language
 * (filter_regex.h).
 */
#include "filter_regex.h"

#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util.h"
#include "xalloc.h"

struct filter_regex {
	pcre2_code *re;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	int err; /* the PCRE2 error of a match that hit a bound, 0 if none */
};

void filter_regex_free(struct filter_regex *rc)
{
	if (!rc)
		return;
	pcre2_match_data_free(rc->md);
	pcre2_match_context_free(rc->mc);
	pcre2_code_free(rc->re);
	free(rc);
}

struct filter_regex *filter_regex_new(const char *pattern, size_t n, char **why)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re =
		pcre2_compile((PCRE2_SPTR)pattern, n, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(err, msg, sizeof msg);
		if (why)
			*why = xasprintf("bad regular expression: %s", (char *)msg);
		return NULL;
	}
	/* JIT makes matching several times faster; where it is missing the
	 * interpreter does the same work */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	struct filter_regex *rc = xcalloc(1, sizeof *rc);
	rc->re = re;
	rc->md = pcre2_match_data_create(1, NULL);
	rc->mc = pcre2_match_context_create(NULL);
	if (rc->mc) {
		pcre2_set_match_limit(rc->mc, FILTER_REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(rc->mc, FILTER_REGEX_DEPTH_LIMIT);
	}
	if (!rc->md || !rc->mc) {
		filter_regex_free(rc);
		if (why)
			*why = xstrdup("out of memory");
		return NULL;
	}
	return rc;
}

bool filter_regex_match(struct filter_regex *rc, const char *s, size_t n)
{
	int r = pcre2_match(rc->re, (PCRE2_SPTR)s, n, 0, 0, rc->md, rc->mc);
	if (r >= 0)
		return true;
	if (r == PCRE2_ERROR_NOMATCH)
		return false;
	rc->err = r;
	return true;
}

char *filter_regex_failure(struct filter_regex *rc, const char *pat)
{
	if (!rc || !rc->err)
		return NULL;
	if (pat && strncmp(pat, "(?i)", 4) == 0)
		pat += 4;
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(rc->err, msg, sizeof msg);
	rc->err = 0;
	return xasprintf("regular expression %s: %s (PCRE2 match limit %d): make it more specific",
			 pat ? pat : "", (char *)msg, FILTER_REGEX_MATCH_LIMIT);
}
