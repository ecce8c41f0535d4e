/*
 * sigma.c: Sigma rules from YAML to filters (sigma.h).
 *
 * libyaml loads each document into its node graph; the detection is
 * turned into filter text (sigma.FIELD|MODS=VALUES terms joined by the
 * language's and / or / not), which filter_parse then parses: the text is
 * what the interface shows and pages with, and the parse is what runs.
 * Every problem is recorded on its rule with the construct and its line.
 */
#include "sigma.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yaml.h>

#include "filter.h"
#include "sigma_field.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Placeholders */

void sigma_vars_add(struct sigma_vars *v, const char *name, const char *value)
{
	size_t n = strlen(name);
	if (n >= 2 && name[0] == '%' && name[n - 1] == '%') {
		name++;
		n -= 2;
	}
	v->names = xrealloc(v->names, (v->n + 1) * sizeof *v->names);
	v->values = xrealloc(v->values, (v->n + 1) * sizeof *v->values);
	v->names[v->n] = xstrndup(name, n);
	v->values[v->n] = xstrdup(value);
	v->n++;
}

int sigma_vars_add_arg(struct sigma_vars *v, const char *arg, char **cause)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return set_cause(cause, "--var: expected NAME=VALUE, got '%s'", arg);
	char *name = xstrndup(arg, (size_t)(eq - arg));
	sigma_vars_add(v, name, eq + 1);
	free(name);
	return 0;
}

void sigma_vars_clear(struct sigma_vars *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->names[i]);
		free(v->values[i]);
	}
	free(v->names);
	free(v->values);
	memset(v, 0, sizeof *v);
}

static char *read_file(const char *path, size_t *len, char **cause)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		buf = xgrow(buf, &cap, n + 4096, 1);
		size_t k = fread(buf + n, 1, cap - n - 1, fp);
		n += k;
		if (k == 0)
			break;
		if (n > 16 * 1024 * 1024) {
			fclose(fp);
			free(buf);
			set_cause(cause, "%s: larger than 16 MiB, not a rule file", path);
			return NULL;
		}
	}
	bool err = ferror(fp);
	fclose(fp);
	if (err) {
		free(buf);
		set_cause(cause, "%s: read error", path);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* ------------------------------------------------------------------ */
/* YAML helpers */

static yaml_node_t *node(yaml_document_t *d, int id)
{
	return id ? yaml_document_get_node(d, id) : NULL;
}

static int line_of(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A plain null, ~ or empty scalar is YAML's null. */
static bool is_null(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = scalar(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
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

static char *map_str(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	const char *s = scalar(map_get(d, m, key));
	return s ? xstrdup(s) : NULL;
}

/* ------------------------------------------------------------------ */
/* The logsource table */

/* Each logsource of the rules, by the kinds of log (event.h, kind=) that
 * hold its events. */
static const struct sigma_logsource logsources[] = {
	{ "m365", "audit", "unified audit log records", "kind=ual" },
	{ "m365", "exchange", "unified audit log Exchange records", "kind=ual workload=Exchange" },
	{ "m365", "threat_management", "security alerts", "kind=alert" },
	{ "m365", "threat_detection", "security alerts", "kind=alert" },
	{ "azure", "auditlogs", "Entra directory audits", "kind=directory_audit or (kind=ual record_type=AzureActiveDirectory)" },
	{ "azure", "signinlogs", "Entra sign-ins", "kind=signin" },
	{ "azure", "riskdetection", "Entra ID Protection risk detections", "kind=risk" },
	{ "azure", "pim", "Entra ID Protection and PIM alerts", "kind=risk,alert" },
	{ "azure", "activitylogs", "Azure activity log records", "kind=azure_activity" },
};

const struct sigma_logsource *sigma_logsources(size_t *n)
{
	*n = sizeof logsources / sizeof logsources[0];
	return logsources;
}

static const struct sigma_logsource *logsource_find(const char *product, const char *service)
{
	for (size_t i = 0; i < sizeof logsources / sizeof logsources[0]; i++)
		if (product && service && !strcasecmp(logsources[i].product, product) &&
		    !strcasecmp(logsources[i].service, service))
			return &logsources[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Compiling one rule */

struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	b->p = xgrow(b->p, &b->cap, b->n + n + 1, 1);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static char *sb_take(struct sbuf *b)
{
	char *s = b->p ? b->p : xstrdup("");
	memset(b, 0, sizeof *b);
	return s;
}

struct rc {
	yaml_document_t *d;
	struct sigma_rule *r;
	const struct sigma_vars *vars;
	size_t nvalues;
	bool failed;
};

__attribute__((format(printf, 3, 4))) static int unsupported(struct rc *c, const yaml_node_t *at,
							     const char *fmt, ...)
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
		unsupported(c, at, "placeholder %%%s%% has no value (give it with --var %s=VALUE)", name, name);
		free(name);
		return -1;
	}
	free(name);
	return 0;
}

static void put_value(struct sbuf *b, const char *v, bool first)
{
	if (!first)
		sb_puts(b, ",");
	char *q = filter_quote(v);
	sb_puts(b, q);
	free(q);
}

/* One "field|mods: value(s)" pair of a selection map, as filter text. */
static int compile_pair(struct rc *c, const yaml_node_t *key, yaml_node_t *val, struct sbuf *b)
{
	const char *k = scalar(key);
	if (!k)
		return unsupported(c, key, "a selection key that is not text");
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
					sb_puts(&rest, "|");
				sb_add(&rest, p, len);
			}
			p += len;
			if (*p)
				p++;
		}
		char *why = NULL;
		if (rest.n && sigma_mods_parse(rest.p, rest.n, &mods, &why) < 0) {
			unsupported(c, key, "%s in '%s'", why, k);
			free(why);
			free(rest.p);
			free(field);
			return -1;
		}
		free(rest.p);
	}
	if (!field_name_ok(field)) {
		unsupported(c, key, "field name '%s' (only letters, digits, '_', '.' and '-')", field);
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
			return unsupported(c, val, "'%s' has an empty list of values", k);
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
			rc = unsupported(c, it, "'%s' has a value that is a %s, not text", k,
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
		rc = unsupported(c, key, "more than %d values in one rule", SIGMA_MAX_VALUES);
	if (rc == 0 && null && (mods & SM_ALL) && vals.n)
		rc = unsupported(c, key, "null among the values of '%s' with 'all'", k);
	if (rc == 0 && (mods & SM_EXISTS) && (null || vals.n != 1))
		rc = unsupported(c, key, "'exists' takes one value, true or false");
	/* a term needs a value; check the term alone so that its error
	 * (a bad regex, a bad address block) names this key */
	char *mt = sigma_mods_text(mods);
	if (rc == 0 && vals.n) {
		struct sigma_field *sf = NULL;
		char *why = NULL;
		if (sigma_field_new(field, mods, vals.v, vals.n, &sf, &why) < 0) {
			rc = unsupported(c, key, "'%s': %s", k, why);
			free(why);
		}
		sigma_field_free(sf);
	}
	if (rc == 0) {
		bool both = null && vals.n;
		if (both)
			sb_puts(b, "(");
		if (vals.n) {
			sb_puts(b, "sigma.");
			sb_puts(b, field);
			sb_puts(b, mt);
			sb_puts(b, "=");
			for (size_t i = 0; i < vals.n; i++)
				put_value(b, vals.v[i], i == 0);
		}
		if (both)
			sb_puts(b, " or ");
		if (null) {
			sb_puts(b, "sigma.");
			sb_puts(b, field);
			sb_puts(b, "|exists=false");
		}
		if (both)
			sb_puts(b, ")");
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
		return unsupported(c, m, "an empty selection");
	sb_puts(b, "(");
	for (size_t i = 0; i < n; i++) {
		yaml_node_pair_t *p = &m->data.mapping.pairs.start[i];
		if (i)
			sb_puts(b, " ");
		if (compile_pair(c, node(c->d, p->key), node(c->d, p->value), b) < 0)
			return -1;
	}
	sb_puts(b, ")");
	return 0;
}

/* A selection: a map, a list of maps (or), or a list of plain values
 * (keywords). */
static int compile_selection(struct rc *c, const char *name, yaml_node_t *sel, struct sbuf *b)
{
	if (!sel)
		return unsupported(c, NULL, "selection '%s' is empty", name);
	if (sel->type == YAML_MAPPING_NODE)
		return compile_map(c, sel, b);
	if (sel->type == YAML_SCALAR_NODE) {
		if (is_null(sel))
			return unsupported(c, sel, "selection '%s' is empty", name);
		sb_puts(b, "sigma=");
		put_value(b, scalar(sel), true);
		return 0;
	}
	size_t n = (size_t)(sel->data.sequence.items.top - sel->data.sequence.items.start);
	if (!n)
		return unsupported(c, sel, "selection '%s' is an empty list", name);
	bool maps = false, plain = false;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node(c->d, sel->data.sequence.items.start[i]);
		if (it && it->type == YAML_MAPPING_NODE)
			maps = true;
		else if (it && it->type == YAML_SCALAR_NODE && !is_null(it))
			plain = true;
		else
			return unsupported(c, it, "selection '%s' holds a %s", name,
					   it && it->type == YAML_SEQUENCE_NODE ? "nested list" : "null keyword");
	}
	if (maps && plain)
		return unsupported(c, sel, "selection '%s' mixes maps and plain values", name);
	if (plain) {
		c->nvalues += n;
		if (c->nvalues > SIGMA_MAX_VALUES)
			return unsupported(c, sel, "more than %d values in one rule", SIGMA_MAX_VALUES);
		sb_puts(b, "sigma=");
		for (size_t i = 0; i < n; i++)
			put_value(b, scalar(node(c->d, sel->data.sequence.items.start[i])), i == 0);
		return 0;
	}
	sb_puts(b, "(");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_puts(b, " or ");
		if (compile_map(c, node(c->d, sel->data.sequence.items.start[i]), b) < 0)
			return -1;
	}
	sb_puts(b, ")");
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
static int compile_condition(struct rc *c, const yaml_node_t *at, const char *cond, struct sbuf *b)
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
			return unsupported(c, at, "aggregation in the condition ('%s'): use a correlation rule", cond);
		if (*p == '(' || *p == ')') {
			sb_add(b, p, 1);
			sb_puts(b, " ");
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
			sb_puts(b, w);
			sb_puts(b, " ");
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
				unsupported(c, at, "'%s' not followed by 'of' in the condition '%s'", w, cond);
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
			sb_puts(b, "(");
			for (size_t i = 0; i < r->nsels; i++) {
				const char *nm = r->sels[i].name;
				if (them ? nm[0] == '_' : !name_glob(pat, nm))
					continue;
				if (hits++)
					sb_puts(b, all ? " " : " or ");
				sb_puts(b, "(");
				sb_puts(b, r->sels[i].text);
				sb_puts(b, ")");
			}
			sb_puts(b, ") ");
			if (!hits) {
				unsupported(c, at, "'%s of %s' names no selection", w, pat);
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
			unsupported(c, at, "the condition names '%s', which is not a selection", w);
			free(w);
			return -1;
		}
		(void)want_operand;
		sb_puts(b, "(");
		sb_puts(b, r->sels[i].text);
		sb_puts(b, ") ");
		want_operand = false;
		free(w);
	}
	return 0;
}

static char *seq_or_scalar_first(yaml_document_t *d, yaml_node_t *n)
{
	if (!n)
		return NULL;
	if (n->type == YAML_SCALAR_NODE)
		return xstrdup(scalar(n));
	return NULL;
	(void)d;
}

static void compile_rule(struct rc *c, yaml_node_t *root)
{
	struct sigma_rule *r = c->r;
	yaml_document_t *d = c->d;
	r->line = line_of(root);
	if (!root || root->type != YAML_MAPPING_NODE) {
		unsupported(c, root, "a document that is not a map of rule fields");
		return;
	}
	r->title = map_str(d, root, "title");
	r->id = map_str(d, root, "id");
	r->level = map_str(d, root, "level");
	r->status = map_str(d, root, "status");
	yaml_node_t *ls = map_get(d, root, "logsource");
	r->product = map_str(d, ls, "product");
	r->service = map_str(d, ls, "service");
	r->category = map_str(d, ls, "category");
	if (map_get(d, root, "correlation")) {
		unsupported(c, map_get(d, root, "correlation"),
			    "correlation rule (event_count, value_count, temporal): not supported yet");
		return;
	}
	if (map_get(d, root, "action")) {
		unsupported(c, map_get(d, root, "action"), "rule collection action '%s'",
			    scalar(map_get(d, root, "action")) ? scalar(map_get(d, root, "action")) : "?");
		return;
	}
	if (!r->title) {
		unsupported(c, root, "no title");
		return;
	}
	yaml_node_t *det = map_get(d, root, "detection");
	if (!det || det->type != YAML_MAPPING_NODE) {
		unsupported(c, det ? det : root, "no detection map");
		return;
	}
	yaml_node_t *cond = NULL;
	size_t npairs = (size_t)(det->data.mapping.pairs.top - det->data.mapping.pairs.start);
	for (size_t i = 0; i < npairs; i++) {
		yaml_node_pair_t *p = &det->data.mapping.pairs.start[i];
		const char *k = scalar(node(d, p->key));
		if (!k) {
			unsupported(c, node(d, p->key), "a detection key that is not text");
			return;
		}
		if (!strcmp(k, "condition")) {
			cond = node(d, p->value);
			continue;
		}
		if (!strcmp(k, "timeframe"))
			continue; /* only meaningful with an aggregation, refused below */
		if (r->nsels >= SIGMA_MAX_SELECTIONS) {
			unsupported(c, det, "more than %d selections (%zu)", SIGMA_MAX_SELECTIONS, npairs - 1);
			return;
		}
		struct sbuf b = { 0 };
		if (compile_selection(c, k, node(d, p->value), &b) < 0) {
			free(b.p);
			return;
		}
		r->sels = xrealloc(r->sels, (r->nsels + 1) * sizeof *r->sels);
		struct sigma_sel *s = &r->sels[r->nsels++];
		s->name = xstrdup(k);
		s->text = sb_take(&b);
		s->f = NULL;
	}
	if (!cond) {
		unsupported(c, det, "no condition");
		return;
	}
	struct sbuf b = { 0 };
	if (cond->type == YAML_SEQUENCE_NODE) {
		/* several conditions: any of them */
		size_t n = (size_t)(cond->data.sequence.items.top - cond->data.sequence.items.start);
		for (size_t i = 0; i < n; i++) {
			yaml_node_t *ci = node(d, cond->data.sequence.items.start[i]);
			if (!scalar(ci)) {
				unsupported(c, ci, "a condition that is not text");
				free(b.p);
				return;
			}
			if (i)
				sb_puts(&b, " or ");
			sb_puts(&b, "(");
			if (compile_condition(c, ci, scalar(ci), &b) < 0) {
				free(b.p);
				return;
			}
			sb_puts(&b, ")");
		}
	} else {
		char *cs = seq_or_scalar_first(d, cond);
		if (!cs || !*cs) {
			free(cs);
			unsupported(c, cond, "an empty condition");
			return;
		}
		int rc = compile_condition(c, cond, cs, &b);
		free(cs);
		if (rc < 0) {
			free(b.p);
			return;
		}
	}
	r->detection = sb_take(&b);
	char *why = NULL;
	r->f = filter_parse(r->detection, &why);
	if (!r->f) {
		unsupported(c, cond, "the condition does not compile: %s", why);
		free(why);
		return;
	}
	/* print the parse back: the canonical text is what the interface
	 * shows and pages with */
	free(r->detection);
	r->detection = filter_canonical(r->f);
	for (size_t i = 0; i < r->nsels; i++) {
		r->sels[i].f = filter_parse(r->sels[i].text, NULL);
	}
	r->ls = logsource_find(r->product, r->service);
	if (!r->ls) {
		unsupported(c, ls ? ls : root, "logsource product '%s' service '%s' (category '%s') is not mapped",
			    r->product ? r->product : "", r->service ? r->service : "",
			    r->category ? r->category : "");
		return;
	}
	if (r->ls->filter)
		r->filter = xasprintf("(%s) (%s)", r->ls->filter, r->detection);
	else
		r->filter = xstrdup(r->detection);
	r->st = SIGMA_OK;
}

static struct sigma_rule *rule_add(struct sigma_set *set, const char *file)
{
	set->rules = xrealloc(set->rules, (set->n + 1) * sizeof *set->rules);
	struct sigma_rule *r = &set->rules[set->n++];
	memset(r, 0, sizeof *r);
	r->file = xstrdup(file);
	return r;
}

void sigma_load_text(struct sigma_set *set, const char *name, const char *text, size_t len,
		     const struct sigma_vars *vars)
{
	yaml_parser_t ps;
	if (!yaml_parser_initialize(&ps)) {
		struct sigma_rule *r = rule_add(set, name);
		r->st = SIGMA_UNSUPPORTED;
		r->why = xstrdup("cannot start the YAML parser");
		return;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	for (int docs = 0;; docs++) {
		yaml_document_t d;
		if (!yaml_parser_load(&ps, &d)) {
			struct sigma_rule *r = rule_add(set, name);
			r->st = SIGMA_UNSUPPORTED;
			r->why = xasprintf("malformed YAML: %s%s%s", ps.problem ? ps.problem : "error",
					   ps.context ? " " : "", ps.context ? ps.context : "");
			r->why_line = (int)ps.problem_mark.line + 1;
			r->line = r->why_line;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&d);
		if (!root) {
			yaml_document_delete(&d);
			if (docs == 0) {
				struct sigma_rule *r = rule_add(set, name);
				r->st = SIGMA_UNSUPPORTED;
				r->why = xstrdup("an empty file");
				r->line = r->why_line = 1;
			}
			break;
		}
		struct sigma_rule *r = rule_add(set, name);
		struct rc c = { .d = &d, .r = r, .vars = vars };
		compile_rule(&c, root);
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&ps);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool rule_file(const char *name)
{
	size_t n = strlen(name);
	return (n > 4 && !strcasecmp(name + n - 4, ".yml")) || (n > 5 && !strcasecmp(name + n - 5, ".yaml"));
}

static int load_path(struct sigma_set *set, const char *path, const struct sigma_vars *vars, int depth,
		     char **cause)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	if (S_ISDIR(sb.st_mode)) {
		if (depth > 32)
			return 0;
		DIR *dir = opendir(path);
		if (!dir)
			return set_cause(cause, "%s: %s", path, strerror(errno));
		char **names = NULL;
		size_t n = 0;
		struct dirent *de;
		while ((de = readdir(dir))) {
			if (de->d_name[0] == '.')
				continue;
			names = xrealloc(names, (n + 1) * sizeof *names);
			names[n++] = xasprintf("%s/%s", path, de->d_name);
		}
		closedir(dir);
		if (n) /* names is NULL in an empty folder */
			qsort(names, n, sizeof *names, cmp_str);
		int rc = 0;
		for (size_t i = 0; i < n; i++) {
			struct stat s2;
			if (rc == 0 && stat(names[i], &s2) == 0 &&
			    (S_ISDIR(s2.st_mode) || (S_ISREG(s2.st_mode) && rule_file(names[i]))))
				rc = load_path(set, names[i], vars, depth + 1, cause);
			free(names[i]);
		}
		free(names);
		return rc;
	}
	size_t len = 0;
	char *why = NULL;
	char *text = read_file(path, &len, &why);
	if (!text) {
		struct sigma_rule *r = rule_add(set, path);
		r->st = SIGMA_UNSUPPORTED;
		r->why = why;
		return 0;
	}
	sigma_load_text(set, path, text, len, vars);
	free(text);
	return 0;
}

int sigma_load(char *const *paths, size_t npaths, const struct sigma_vars *vars, struct sigma_set **out,
	       char **cause)
{
	struct sigma_set *set = xcalloc(1, sizeof *set);
	for (size_t i = 0; i < npaths; i++) {
		if (load_path(set, paths[i], vars, 0, cause) < 0) {
			sigma_set_free(set);
			*out = NULL;
			return -1;
		}
	}
	*out = set;
	return 0;
}

int sigma_vars_load(struct sigma_vars *v, const char *path, char **cause)
{
	size_t len;
	char *text = read_file(path, &len, cause);
	if (!text)
		return -1;
	yaml_parser_t ps;
	yaml_document_t d;
	yaml_parser_initialize(&ps);
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	int rc = 0;
	if (!yaml_parser_load(&ps, &d)) {
		rc = set_cause(cause, "%s:%zu: malformed YAML: %s", path, ps.problem_mark.line + 1,
			       ps.problem ? ps.problem : "error");
	} else {
		yaml_node_t *root = yaml_document_get_root_node(&d);
		if (!root || root->type != YAML_MAPPING_NODE) {
			rc = set_cause(cause, "%s: expected a map of placeholder names to values", path);
		} else {
			for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
				const char *k = scalar(node(&d, p->key));
				yaml_node_t *val = node(&d, p->value);
				if (!k || !val)
					continue;
				if (val->type == YAML_SCALAR_NODE) {
					sigma_vars_add(v, k, scalar(val));
				} else if (val->type == YAML_SEQUENCE_NODE) {
					for (yaml_node_item_t *it = val->data.sequence.items.start;
					     it < val->data.sequence.items.top; it++)
						if (scalar(node(&d, *it)))
							sigma_vars_add(v, k, scalar(node(&d, *it)));
				}
			}
		}
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&ps);
	free(text);
	return rc;
}

static void rule_clear(struct sigma_rule *r)
{
	free(r->file);
	free(r->id);
	free(r->title);
	free(r->level);
	free(r->status);
	free(r->product);
	free(r->service);
	free(r->category);
	free(r->why);
	free(r->detection);
	filter_free(r->f);
	free(r->filter);
	for (size_t i = 0; i < r->nsels; i++) {
		free(r->sels[i].name);
		free(r->sels[i].text);
		filter_free(r->sels[i].f);
	}
	free(r->sels);
}

void sigma_set_free(struct sigma_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		rule_clear(&s->rules[i]);
	free(s->rules);
	free(s);
}

const char *sigma_rule_tag(const struct sigma_rule *r)
{
	return r->id && *r->id ? r->id : r->title ? r->title : "sigma";
}

char *sigma_explain(const struct sigma_rule *r, const char *raw, size_t n)
{
	struct sbuf b = { 0 };
	for (size_t i = 0; i < r->nsels; i++) {
		if (!r->sels[i].f || filter_match_record(r->sels[i].f, raw, n, NULL) != 1)
			continue;
		if (b.n)
			sb_puts(&b, "\n");
		sb_puts(&b, r->sels[i].name);
		sb_puts(&b, " matched:");
		char *e = filter_explain_record(r->sels[i].f, raw, n);
		/* one line per field: "  Operation = New-InboxRule (pattern ...)" */
		for (char *line = e, *next; line && *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			const char *colon = strstr(line, ": ");
			sb_puts(&b, "\n  ");
			sb_puts(&b, colon ? colon + 2 : line);
		}
		free(e);
	}
	return b.p;
}
