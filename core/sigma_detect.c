/*
 * sigma_detect.c: a Sigma rule's detection turned into filter text: each
 * selection (field conditions with their modifiers, lists, keywords,
 * %NAME% placeholders) as sigma.FIELD|MODS=VALUES terms, and the
 * condition (and / or / not, "1 of", "all of", globs over selection
 * names) over them. sigma.c reads the rule around it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"
#include "sigma_field.h"
#include "sigma_impl.h"

/* ------------------------------------------------------------------ */
/* Text */

void sigma_sb_add(struct sbuf *b, const char *s, size_t n)
{
	b->p = xgrow(b->p, &b->cap, b->n + n + 1, 1);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void sigma_sb_puts(struct sbuf *b, const char *s)
{
	sigma_sb_add(b, s, strlen(s));
}

char *sigma_sb_take(struct sbuf *b)
{
	char *s = b->p ? b->p : xstrdup("");
	memset(b, 0, sizeof *b);
	return s;
}

int sigma_unsupported(struct rc *c, const yaml_node_t *at, const char *fmt, ...)
{
	if (c->failed)
		return -1;
	c->failed = true;
	va_list ap;
	va_start(ap, fmt);
	c->r->why = xvasprintf(fmt, ap);
	va_end(ap);
	c->r->why_line = at ? line_of(at) : c->r->line;
	c->r->st = SIGMA_UNSUPPORTED;
	return -1;
}

static bool field_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

struct vlist {
	char **v;
	size_t n;
};

static void vl_add(struct vlist *l, char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = s;
}

static void vl_clear(struct vlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* Expand %NAME% placeholders of v into out (every combination). */
static int expand(struct rc *c, const yaml_node_t *at, const char *v, struct vlist *out)
{
	const char *a = strchr(v, '%');
	const char *b = a ? strchr(a + 1, '%') : NULL;
	if (!a || !b || b == a + 1) {
		vl_add(out, xstrdup(v));
		return 0;
	}
	char *name = xstrndup(a + 1, (size_t)(b - a - 1));
	bool any = false;
	for (size_t i = 0; c->vars && i < c->vars->n; i++) {
		if (strcasecmp(c->vars->names[i], name) != 0)
			continue;
		any = true;
		char *s = xasprintf("%.*s%s%s", (int)(a - v), v, c->vars->values[i], b + 1);
		int r = expand(c, at, s, out);
		free(s);
		if (r < 0) {
			free(name);
			return -1;
		}
	}
	if (!any) {
		sigma_unsupported(c, at, "placeholder %%%s%% has no value (give it with --var %s=VALUE)",
				  name, name);
		free(name);
		return -1;
	}
	free(name);
	return 0;
}

static void put_value(struct sbuf *b, const char *v, bool first)
{
	if (!first)
		sigma_sb_puts(b, ",");
	char *q = filter_quote(v);
	sigma_sb_puts(b, q);
	free(q);
}

/* One "field|mods: value(s)" pair of a selection map, as filter text. */
static int compile_pair(struct rc *c, const yaml_node_t *key, yaml_node_t *val, struct sbuf *b)
{
	const char *k = scalar(key);
	if (!k)
		return sigma_unsupported(c, key, "a selection key that is not text");
	const char *bar = strchr(k, '|');
	char *field = xstrndup(k, bar ? (size_t)(bar - k) : strlen(k));
	unsigned mods = 0;
	bool do_expand = false;
	if (bar) {
		/* expand is done here; the rest is the term's */
		struct sbuf rest = { 0 };
		const char *p = bar + 1;
		while (*p) {
			const char *q = strchr(p, '|');
			size_t len = q ? (size_t)(q - p) : strlen(p);
			if (len == 6 && !strncasecmp(p, "expand", 6)) {
				do_expand = true;
			} else {
				if (rest.n)
					sigma_sb_puts(&rest, "|");
				sigma_sb_add(&rest, p, len);
			}
			p += len;
			if (*p)
				p++;
		}
		char *why = NULL;
		if (rest.n && sigma_mods_parse(rest.p, rest.n, &mods, &why) < 0) {
			sigma_unsupported(c, key, "%s in '%s'", why, k);
			free(why);
			free(rest.p);
			free(field);
			return -1;
		}
		free(rest.p);
	}
	if (!field_name_ok(field)) {
		sigma_unsupported(c, key, "field name '%s' (only letters, digits, '_', '.' and '-')", field);
		free(field);
		return -1;
	}
	/* the values: a scalar, null, or a list of them */
	struct vlist vals = { 0 };
	bool null = false;
	yaml_node_t **items = NULL;
	size_t nitems = 0;
	yaml_node_t *one[1] = { val };
	if (val && val->type == YAML_SEQUENCE_NODE) {
		nitems = (size_t)(val->data.sequence.items.top - val->data.sequence.items.start);
		items = xmalloc((nitems ? nitems : 1) * sizeof *items);
		for (size_t i = 0; i < nitems; i++)
			items[i] = node(c->d, val->data.sequence.items.start[i]);
		if (!nitems) {
			free(items);
			free(field);
			return sigma_unsupported(c, val, "'%s' has an empty list of values", k);
		}
	} else {
		items = xmalloc(sizeof *items);
		items[0] = one[0];
		nitems = 1;
	}
	int rc = 0;
	for (size_t i = 0; i < nitems && rc == 0; i++) {
		yaml_node_t *it = items[i];
		if (!it || is_null(it)) {
			null = true;
			continue;
		}
		if (it->type != YAML_SCALAR_NODE) {
			rc = sigma_unsupported(c, it, "'%s' has a value that is a %s, not text", k,
					       it->type == YAML_MAPPING_NODE ? "map" : "list");
			break;
		}
		if (do_expand)
			rc = expand(c, it, scalar(it), &vals);
		else
			vl_add(&vals, xstrdup(scalar(it)));
	}
	free(items);
	c->nvalues += vals.n;
	if (rc == 0 && c->nvalues > SIGMA_MAX_VALUES)
		rc = sigma_unsupported(c, key, "more than %d values in one rule", SIGMA_MAX_VALUES);
	if (rc == 0 && null && (mods & SM_ALL) && vals.n)
		rc = sigma_unsupported(c, key, "null among the values of '%s' with 'all'", k);
	if (rc == 0 && (mods & SM_EXISTS) && (null || vals.n != 1))
		rc = sigma_unsupported(c, key, "'exists' takes one value, true or false");
	/* a term needs a value; check the term alone so that its error
	 * (a bad regex, a bad address block) names this key */
	char *mt = sigma_mods_text(mods);
	if (rc == 0 && vals.n) {
		struct sigma_field *sf = NULL;
		char *why = NULL;
		if (sigma_field_new(field, mods, vals.v, vals.n, &sf, &why) < 0) {
			rc = sigma_unsupported(c, key, "'%s': %s", k, why);
			free(why);
		}
		sigma_field_free(sf);
	}
	if (rc == 0) {
		bool both = null && vals.n;
		if (both)
			sigma_sb_puts(b, "(");
		if (vals.n) {
			sigma_sb_puts(b, "sigma.");
			sigma_sb_puts(b, field);
			sigma_sb_puts(b, mt);
			sigma_sb_puts(b, "=");
			for (size_t i = 0; i < vals.n; i++)
				put_value(b, vals.v[i], i == 0);
		}
		if (both)
			sigma_sb_puts(b, " or ");
		if (null) {
			sigma_sb_puts(b, "sigma.");
			sigma_sb_puts(b, field);
			sigma_sb_puts(b, "|exists=false");
		}
		if (both)
			sigma_sb_puts(b, ")");
	}
	free(mt);
	vl_clear(&vals);
	free(field);
	return rc;
}

static int compile_map(struct rc *c, yaml_node_t *m, struct sbuf *b)
{
	size_t n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	if (!n)
		return sigma_unsupported(c, m, "an empty selection");
	sigma_sb_puts(b, "(");
	for (size_t i = 0; i < n; i++) {
		yaml_node_pair_t *p = &m->data.mapping.pairs.start[i];
		if (i)
			sigma_sb_puts(b, " ");
		if (compile_pair(c, node(c->d, p->key), node(c->d, p->value), b) < 0)
			return -1;
	}
	sigma_sb_puts(b, ")");
	return 0;
}

/* A selection: a map, a list of maps (or), or a list of plain values
 * (keywords). */
int sigma_compile_selection(struct rc *c, const char *name, yaml_node_t *sel, struct sbuf *b)
{
	if (!sel)
		return sigma_unsupported(c, NULL, "selection '%s' is empty", name);
	if (sel->type == YAML_MAPPING_NODE)
		return compile_map(c, sel, b);
	if (sel->type == YAML_SCALAR_NODE) {
		if (is_null(sel))
			return sigma_unsupported(c, sel, "selection '%s' is empty", name);
		sigma_sb_puts(b, "sigma=");
		put_value(b, scalar(sel), true);
		return 0;
	}
	size_t n = (size_t)(sel->data.sequence.items.top - sel->data.sequence.items.start);
	if (!n)
		return sigma_unsupported(c, sel, "selection '%s' is an empty list", name);
	bool maps = false, plain = false;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node(c->d, sel->data.sequence.items.start[i]);
		if (it && it->type == YAML_MAPPING_NODE)
			maps = true;
		else if (it && it->type == YAML_SCALAR_NODE && !is_null(it))
			plain = true;
		else
			return sigma_unsupported(c, it, "selection '%s' holds a %s", name,
						 it && it->type == YAML_SEQUENCE_NODE ? "nested list"
										      : "null keyword");
	}
	if (maps && plain)
		return sigma_unsupported(c, sel, "selection '%s' mixes maps and plain values", name);
	if (plain) {
		c->nvalues += n;
		if (c->nvalues > SIGMA_MAX_VALUES)
			return sigma_unsupported(c, sel, "more than %d values in one rule", SIGMA_MAX_VALUES);
		sigma_sb_puts(b, "sigma=");
		for (size_t i = 0; i < n; i++)
			put_value(b, scalar(node(c->d, sel->data.sequence.items.start[i])), i == 0);
		return 0;
	}
	sigma_sb_puts(b, "(");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sigma_sb_puts(b, " or ");
		if (compile_map(c, node(c->d, sel->data.sequence.items.start[i]), b) < 0)
			return -1;
	}
	sigma_sb_puts(b, ")");
	return 0;
}

/* Does name match the pattern of "1 of selection_*" (* any run)? */
static bool name_glob(const char *pat, const char *name)
{
	if (!*pat)
		return !*name;
	if (*pat == '*') {
		for (const char *s = name;; s++) {
			if (name_glob(pat + 1, s))
				return true;
			if (!*s)
				return false;
		}
	}
	return *name && *pat == *name && name_glob(pat + 1, name + 1);
}

/* The condition: Sigma's and / or / not / ( ) / "1 of X" / "all of X"
 * become the filter language's, whose precedence is the same (not, then
 * and, then or). */
int sigma_compile_condition(struct rc *c, const yaml_node_t *at, const char *cond, struct sbuf *b)
{
	struct sigma_rule *r = c->r;
	const char *p = cond;
	bool want_operand = true;
	while (*p) {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (*p == '|')
			return sigma_unsupported(c, at,
						 "aggregation in the condition ('%s'): use a correlation rule",
						 cond);
		if (*p == '(' || *p == ')') {
			sigma_sb_add(b, p, 1);
			sigma_sb_puts(b, " ");
			want_operand = *p == '(';
			p++;
			continue;
		}
		const char *s = p;
		while (*p && !isspace((unsigned char)*p) && *p != '(' && *p != ')' && *p != '|')
			p++;
		char *w = xstrndup(s, (size_t)(p - s));
		if (!strcasecmp(w, "and") || !strcasecmp(w, "or") || !strcasecmp(w, "not")) {
			for (char *q = w; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			sigma_sb_puts(b, w);
			sigma_sb_puts(b, " ");
			want_operand = true;
			free(w);
			continue;
		}
		bool one = !strcmp(w, "1"), all = !strcasecmp(w, "all");
		if (one || all) {
			/* "1 of X" / "all of X" */
			const char *q = p;
			while (isspace((unsigned char)*q))
				q++;
			if (strncasecmp(q, "of", 2) != 0 || !isspace((unsigned char)q[2])) {
				sigma_unsupported(c, at, "'%s' not followed by 'of' in the condition '%s'", w,
						  cond);
				free(w);
				return -1;
			}
			q += 2;
			while (isspace((unsigned char)*q))
				q++;
			const char *ps = q;
			while (*q && !isspace((unsigned char)*q) && *q != '(' && *q != ')')
				q++;
			char *pat = xstrndup(ps, (size_t)(q - ps));
			p = q;
			bool them = !strcasecmp(pat, "them");
			size_t hits = 0;
			sigma_sb_puts(b, "(");
			for (size_t i = 0; i < r->nsels; i++) {
				const char *nm = r->sels[i].name;
				if (them ? nm[0] == '_' : !name_glob(pat, nm))
					continue;
				if (hits++)
					sigma_sb_puts(b, all ? " " : " or ");
				sigma_sb_puts(b, "(");
				sigma_sb_puts(b, r->sels[i].text);
				sigma_sb_puts(b, ")");
			}
			sigma_sb_puts(b, ") ");
			if (!hits) {
				sigma_unsupported(c, at, "'%s of %s' names no selection", w, pat);
				free(pat);
				free(w);
				return -1;
			}
			free(pat);
			free(w);
			want_operand = false;
			continue;
		}
		size_t i = 0;
		while (i < r->nsels && strcmp(r->sels[i].name, w) != 0)
			i++;
		if (i == r->nsels) {
			sigma_unsupported(c, at, "the condition names '%s', which is not a selection", w);
			free(w);
			return -1;
		}
		(void)want_operand;
		sigma_sb_puts(b, "(");
		sigma_sb_puts(b, r->sels[i].text);
		sigma_sb_puts(b, ") ");
		want_operand = false;
		free(w);
	}
	return 0;
}
