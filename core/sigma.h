/*
 * sigma.h: Sigma detection rules (YAML, read with libyaml) compiled to
 * filters of the filter language (filter.h), and run over a case.
 *
 * A rule's detection becomes one filter of sigma.FIELD|MODS=VALUES terms:
 * a selection that is a map is "and" of its fields, a list of maps is
 * "or", a list of plain values is keywords (`sigma|contains=...`); the
 * condition's and / or / not / parentheses / `1 of X*` / `all of X*` /
 * `1 of them` / `all of them` become the filter's own and / or / not.
 * `|expand` placeholders (`%KNOWN_LOCATION%`) take their values from
 * sigma_vars; one without a value makes the rule unsupported rather than
 * broader than its author meant. The rule's `logsource` selects the kinds
 * of log it runs on (sigma_logsources); a rule whose logs the case lacks
 * is skipped.
 *
 * What a rule uses that this does not support (correlations, aggregation
 * conditions, an unknown modifier, a selection the condition never
 * names...) makes that rule "unsupported" with the construct, file and
 * line; malformed YAML is an error of that file's rules alone. Nothing
 * stops the other rules.
 */
#ifndef AUDITSCOPE_SIGMA_H
#define AUDITSCOPE_SIGMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct filter;
struct store;

/* Values of |expand placeholders: NAME=VALUE pairs (a name may repeat:
 * each value is one more alternative). */
struct sigma_vars {
	char **names, **values;
	size_t n;
};
void sigma_vars_add(struct sigma_vars *v, const char *name, const char *value);
/* "NAME=VALUE" (a leading and trailing '%' on NAME are dropped); -1 with
 * *cause when there is no '='. */
int sigma_vars_add_arg(struct sigma_vars *v, const char *arg, char **cause);
/* A YAML file mapping each name to a value or a list of values. */
int sigma_vars_load(struct sigma_vars *v, const char *path, char **cause);
void sigma_vars_clear(struct sigma_vars *v);

/* Where a logsource's events are: a filter over the case's normalized
 * columns (NULL: no kind of log auditscope reads holds them yet). */
struct sigma_logsource {
	const char *product, *service; /* as rules write them */
	const char *kinds;             /* what it is, for people */
	const char *filter;            /* filter text, or NULL */
};
const struct sigma_logsource *sigma_logsources(size_t *n);

enum sigma_status {
	SIGMA_OK,          /* compiled */
	SIGMA_UNSUPPORTED, /* a construct this does not support, or bad YAML */
};

struct sigma_sel {
	char *name;
	char *text; /* its filter text */
	struct filter *f;
};

struct sigma_rule {
	char *file;
	int line; /* of the rule's first key */
	char *id, *title, *level, *status;
	char *product, *service, *category;
	enum sigma_status st;
	char *why;                        /* SIGMA_UNSUPPORTED: "construct: reason" */
	int why_line;                     /* where the construct is (file line) */
	const struct sigma_logsource *ls; /* NULL: the logsource is unknown */
	char *detection;                  /* filter text of the detection */
	struct filter *f;                 /* parsed detection */
	char *filter;                     /* the whole filter: logsource and detection */
	struct sigma_sel *sels;
	size_t nsels;
};

struct sigma_set {
	struct sigma_rule *rules;
	size_t n;
};

/* Limits that keep a hostile rule from costing more than a clear error. */
#define SIGMA_MAX_SELECTIONS 1000
#define SIGMA_MAX_VALUES 10000

/*
 * Read every .yml/.yaml file under the paths (files or folders, walked
 * recursively in name order) and compile their rules into *out (each
 * document of a file one rule). -1 with *cause only when a path cannot be
 * read at all; a bad rule is an entry with SIGMA_UNSUPPORTED.
 */
int sigma_load(char *const *paths, size_t npaths, const struct sigma_vars *vars, struct sigma_set **out,
	       char **cause);
/* Compile the YAML text of one file (name is for messages) into set. */
void sigma_load_text(struct sigma_set *set, const char *name, const char *text, size_t len,
		     const struct sigma_vars *vars);
void sigma_set_free(struct sigma_set *s);

/* Which selections of the rule the raw record meets, and through which
 * field and value, one line each (caller frees); NULL when none. */
char *sigma_explain(const struct sigma_rule *r, const char *raw, size_t n);

/* The tag a rule's hits get by default: its id, else its title. */
const char *sigma_rule_tag(const struct sigma_rule *r);

#endif
