/*
 * filter_tree.h: what the files of the filter language share among
 * themselves (filter.c, filter_parse.c, filter_match.c) and nobody else:
 * the filter behind the opaque struct filter, and building and printing
 * trees. The tree itself (struct filter_node) is public in filter.h.
 */
#ifndef AUDITSCOPE_FILTER_TREE_H
#define AUDITSCOPE_FILTER_TREE_H

#include "filter.h"
#include "util.h"

struct filter {
	struct filter_node *root; /* NULL: empty */
};

struct filter_node *filter_node_new(enum filter_node_type t);
/* Free n and its subtree; NULL is fine. */
void filter_node_free(struct filter_node *n);
void filter_node_add(struct filter_node *parent, struct filter_node *kid);
/* Add a value (n takes v). */
void filter_node_addval(struct filter_node *n, char *v);
/* a AND/OR b (either may be NULL), flattening kids of the same type so
 * that the tree (and the canonical text) does not depend on how the
 * analyst grouped them. Takes a and b. */
struct filter_node *filter_combine(enum filter_node_type t, struct filter_node *a, struct filter_node *b);
/* Print n canonically into b; parent is the type of the node around n
 * (parentheses only where precedence needs them). */
void filter_node_print(struct util_buf *b, const struct filter_node *n, enum filter_node_type parent);
/* Integer text, all of it (strtoll's forms). */
bool filter_parse_int(const char *s, int64_t *out);

#endif
