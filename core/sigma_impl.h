/*
 * sigma_impl.h: what sigma.c (reading rules) and sigma_detect.c (a
 * rule's detection turned into filter text) share. Not for other
 * modules: they use sigma.h.
 */
#ifndef AUDITSCOPE_SIGMA_IMPL_H
#define AUDITSCOPE_SIGMA_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <yaml.h>

#include "sigma.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* YAML helpers */

static inline yaml_node_t *node(yaml_document_t *d, int id)
{
	return id ? yaml_document_get_node(d, id) : NULL;
}

static inline int line_of(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

static inline const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A plain null, ~ or empty scalar is YAML's null. */
static inline bool is_null(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = scalar(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static inline yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(d, p->key));
		if (k && !strcmp(k, key))
			return node(d, p->value);
	}
	return NULL;
}

static inline char *map_str(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	const char *s = scalar(map_get(d, m, key));
	return s ? xstrdup(s) : NULL;
}

/* ------------------------------------------------------------------ */
/* Compiling one rule (sigma_detect.c) */

/* A growing string. */
struct sbuf {
	char *p;
	size_t n, cap;
};
void sigma_sb_add(struct sbuf *b, const char *s, size_t n);
void sigma_sb_puts(struct sbuf *b, const char *s);
/* The text (caller frees; "" when empty); b is empty after. */
char *sigma_sb_take(struct sbuf *b);

/* The rule being compiled. */
struct rc {
	yaml_document_t *d;
	struct sigma_rule *r;
	const struct sigma_vars *vars;
	size_t nvalues;
	bool failed;
};

/* Mark the rule unsupported (the first reason and its line win); -1. */
__attribute__((format(printf, 3, 4))) int sigma_unsupported(struct rc *c, const yaml_node_t *at,
							    const char *fmt, ...);
/* One selection (a map or a list of maps, or keywords) as filter text
 * onto b; 0 or -1 (the rule marked). */
int sigma_compile_selection(struct rc *c, const char *name, yaml_node_t *sel, struct sbuf *b);
/* The condition over the rule's selections as filter text onto b. */
int sigma_compile_condition(struct rc *c, const yaml_node_t *at, const char *cond, struct sbuf *b);

#endif
