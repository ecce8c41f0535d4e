/*
 * sigma_field.h: one Sigma field condition (`Parameters|contains: [a, b]`)
 * evaluated against a raw record, with the semantics of the Sigma
 * specification. It is the evaluation behind the filter language's
 * `sigma.FIELD|MODS=VALUES` term (filter.h), and store-independent: it
 * reads nothing but the record's JSON text.
 *
 * Values are Sigma patterns: `*` any run of characters, `?` one
 * character, `\*` `\?` `\\` the characters themselves (a backslash before
 * anything else is itself). Strings compare without regard to case
 * (ASCII), unless `cased`, `re` (case-sensitive unless `re|i`) or a base64
 * form. Several values: any of them matches (`all`: every one must).
 *
 * Modifiers: contains, startswith, endswith, all, re (with i, m, s), cidr,
 * base64, base64offset, exists, lt, lte, gt, gte, cased. `expand` is
 * resolved by the rule compiler (sigma.h) before a term is built.
 *
 * Field names resolve against the record as the rule spells them, case
 * insensitively: through nested objects (`DeviceDetail.trusttype`), keys
 * that contain dots themselves, arrays (any element), {Name, Value}-style
 * elements by their name (Name/name/displayName/key with
 * Value/value/NewValue/newValue), and JSON held inside strings
 * (Sentinel's `Folders`, Graph's `"\"True\""`). A name the record does not
 * have is looked for under the diagnostic-settings envelope
 * (`properties.X`) or without it, then through the table of names that
 * differ between shapes of the same log (sigma_field_aliases), then as
 * the name of a {Name, Value} element anywhere in the record. A field the
 * record lacks (or holds null) matches nothing but `exists: false`.
 * Objects compare as their JSON text; arrays element by element.
 * No field (keywords): any value anywhere in the record contains the
 * pattern.
 */
#ifndef AUDITSCOPE_SIGMA_FIELD_H
#define AUDITSCOPE_SIGMA_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#include "json_scan.h"

enum {
	SM_CONTAINS = 1 << 0,
	SM_STARTSWITH = 1 << 1,
	SM_ENDSWITH = 1 << 2,
	SM_ALL = 1 << 3,
	SM_RE = 1 << 4,
	SM_RE_I = 1 << 5,
	SM_RE_M = 1 << 6,
	SM_RE_S = 1 << 7,
	SM_CIDR = 1 << 8,
	SM_BASE64 = 1 << 9,
	SM_BASE64OFFSET = 1 << 10,
	SM_EXISTS = 1 << 11,
	SM_LT = 1 << 12,
	SM_LTE = 1 << 13,
	SM_GT = 1 << 14,
	SM_GTE = 1 << 15,
	SM_CASED = 1 << 16,
};

/* Modifier names in their canonical order, for printing and parsing. */
struct sigma_mod {
	const char *name;
	unsigned bit;
};
const struct sigma_mod *sigma_mods(size_t *n);

/*
 * Parse "contains|all" (the text after the field name's first '|',
 * without it) into bits. Unknown or misplaced modifiers: -1 with *cause
 * naming it ("unknown modifier 'foo'", "'i' only follows 're'").
 */
int sigma_mods_parse(const char *s, size_t n, unsigned *mods, char **cause);
/* "|contains|all" for mods (caller frees; "" for none). */
char *sigma_mods_text(unsigned mods);

struct sigma_field;

/* Build the condition on field (NULL or "": keywords) with these
 * modifiers and values; -1 with *cause for a bad regex, address block,
 * number or exists value. */
int sigma_field_new(const char *field, unsigned mods, char *const *vals, size_t nvals,
		    struct sigma_field **out, char **cause);
void sigma_field_free(struct sigma_field *sf);

/*
 * Does the record (a validated JSON value) meet the condition? 1 or 0;
 * -1 when a regular expression ran past its match limit (a catastrophic
 * pattern), with *cause when cause is not NULL.
 */
int sigma_field_match(const struct sigma_field *sf, const struct jval *rec, char **cause);

/* The same over JSON text; a record that is not valid JSON matches
 * nothing. */
int sigma_field_match_text(const struct sigma_field *sf, const char *raw, size_t n, char **cause);

/*
 * Where the record meets the condition: "Parameters.ForwardTo =
 * doc@x.example" (the path reached and the value that matched, caller
 * frees), or NULL when it does not.
 */
char *sigma_field_explain(const struct sigma_field *sf, const struct jval *rec);

/*
 * Literals at least one of which any matching record's JSON text holds
 * (without regard to case), for a cheap scan before parsing: *lits gets
 * borrowed strings (free the array only). 0 when there is no such set
 * (negative forms, regexes, values JSON would escape).
 */
size_t sigma_field_literals(const struct sigma_field *sf, const char ***lits);

/* Could the record's JSON text match at all (one of the literals is in
 * it, or there are none)? A cheap test before parsing. */
bool sigma_field_may_match(const struct sigma_field *sf, const char *raw, size_t n);

/* Is lit (ASCII) in text[0..n) without regard to case? */
bool sigma_text_has(const char *text, size_t n, const char *lit, size_t litn);

/* The names of the mapping table: each sigma name with the names it is
 * also looked for under, NULL-terminated, for the documentation and
 * tests. */
struct sigma_alias {
	const char *name;
	const char *const *also;
	bool trailing_dot; /* the UAL's Entra operations end in '.' */
};
const struct sigma_alias *sigma_field_aliases(size_t *n);

#endif
