/*
 * filter_regex.h: the filter language's regular expressions (PCRE2), with
 * the bounds every store applies. A pattern that backtracks without end
 * (raw~(.*a){25}) must neither run for minutes nor count as "no match":
 * each match is bounded (a million backtracking steps, a few
 * milliseconds), and a match that hits the bound is remembered so that
 * the caller fails the query with an error naming the pattern.
 *
 * Used by the SQLite store's SQL functions (sqlite/filter_func.c) and by
 * the json.PATH matcher (filter_json.c), which every store runs.
 */
#ifndef AUDITSCOPE_FILTER_REGEX_H
#define AUDITSCOPE_FILTER_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#define FILTER_REGEX_MATCH_LIMIT 1000000
#define FILTER_REGEX_DEPTH_LIMIT 100000

struct filter_regex;

/* Compile pat (n bytes, UTF-8; invalid UTF-8 in subjects is matched as
 * bytes). NULL with *why ("bad regular expression: ...") when it does not
 * compile; why may be NULL. */
struct filter_regex *filter_regex_new(const char *pat, size_t n, char **why);
void filter_regex_free(struct filter_regex *re);
/* Does s (n bytes) match? A match that hits a bound answers true (so a
 * prefilter never rules a record out on it) and is remembered for
 * filter_regex_failure. */
bool filter_regex_match(struct filter_regex *re, const char *s, size_t n);
/* The bound the last matches hit, as one line naming pattern (shown
 * without a leading "(?i)"), and forgotten; NULL when none was hit.
 * Caller frees. */
char *filter_regex_failure(struct filter_regex *re, const char *pattern);

#endif
