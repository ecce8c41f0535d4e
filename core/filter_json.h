/*
 * filter_json.h: the json.PATH term's matcher, on a raw record (JSON
 * text), for every store: the SQLite store calls it from its SQL function
 * filter_json (sqlite/filter_func.c), the ClickHouse store on the client
 * over the candidate rows its SQL narrowed (clickhouse/query.c), and
 * filter_match_record on a record alone.
 *
 * Where a path leads is json_path.h's (the one walker, which the stacks
 * of json.PATH use too): by member name in any case, by index, by a
 * {Name, Value} element's Name, through every other element, into JSON
 * held in strings. Each value reached is tested as text: strings
 * unescaped (a NUL as \x00), numbers and booleans by their literal,
 * containers by their JSON text; null never passes.
 */
#ifndef AUDITSCOPE_FILTER_JSON_H
#define AUDITSCOPE_FILTER_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "filter.h"

struct jval;
struct filter_json;

/* A test of the values at path: op '=' equal to any of vals (any case),
 * '~' matching the PCRE2 pattern vals[0] (as given: pass "(?i)..." for
 * any case), '?' present and not empty. NULL with *why for a bad
 * operator or pattern. */
struct filter_json *filter_json_new(const char *path, char op, const char *const *vals, size_t nvals,
				    char **why);
/* The test of a FILTER_JSON node (filter.h): its positive form, with
 * json.X="" (absent) and the negative operators applied by
 * filter_json_term. */
struct filter_json *filter_json_of_node(const struct filter_node *n, char **why);
void filter_json_free(struct filter_json *j);

/* Does a value at the path of the raw record (n bytes of JSON text)
 * pass? 1 or 0; -1 with *cause when the pattern ran past its match limit.
 * A cheap caseless search of the text for the path's last name (and for
 * '=' the values) rules most records out before any parsing. */
int filter_json_match(struct filter_json *j, const char *raw, size_t n, char **cause);
/* The same on a record already parsed (no text search first). */
int filter_json_match_value(struct filter_json *j, const struct jval *rec, char **cause);
/* The node's value (filter_json_of_node): the test, negated for "" (absent)
 * and for != and !~. 1, 0, -1 as above. */
int filter_json_term(struct filter_json *j, const char *raw, size_t n, char **cause);
int filter_json_term_value(struct filter_json *j, const struct jval *rec, char **cause);

#endif
