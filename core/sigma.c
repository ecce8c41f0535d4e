/*
 * sigma.c: Sigma rules from YAML to filters (sigma.h).
 *
 * libyaml loads each document into its node graph; here the files, the
 * placeholders, the rule's fields and its logsource are read, and
 * sigma_detect.c turns the detection into filter text
 * (sigma.FIELD|MODS=VALUES terms joined by the language's and / or /
 * not), which filter_parse then parses: the text is what the interface
 * shows and pages with, and the parse is what runs. Every problem is
 * recorded on its rule with the construct and its line.
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

#include "filter.h"
#include "sigma_field.h"
#include "sigma_impl.h"
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
/* The logsource table */

/* Each logsource of the rules, by the kinds of log (event.h, kind=) that
 * hold its events. */
static const struct sigma_logsource logsources[] = {
	{ "m365", "audit", "unified audit log records", "kind=ual" },
	{ "m365", "exchange", "unified audit log Exchange records", "kind=ual workload=Exchange" },
	{ "m365", "threat_management", "security alerts", "kind=alert" },
	{ "m365", "threat_detection", "security alerts", "kind=alert" },
	{ "azure", "auditlogs", "Entra directory audits",
	  "kind=directory_audit or (kind=ual record_type=AzureActiveDirectory)" },
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
		sigma_unsupported(c, root, "a document that is not a map of rule fields");
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
		sigma_unsupported(c, map_get(d, root, "correlation"),
				  "correlation rule (event_count, value_count, temporal): not supported yet");
		return;
	}
	if (map_get(d, root, "action")) {
		sigma_unsupported(c, map_get(d, root, "action"), "rule collection action '%s'",
				  scalar(map_get(d, root, "action")) ? scalar(map_get(d, root, "action"))
								     : "?");
		return;
	}
	if (!r->title) {
		sigma_unsupported(c, root, "no title");
		return;
	}
	yaml_node_t *det = map_get(d, root, "detection");
	if (!det || det->type != YAML_MAPPING_NODE) {
		sigma_unsupported(c, det ? det : root, "no detection map");
		return;
	}
	yaml_node_t *cond = NULL;
	size_t npairs = (size_t)(det->data.mapping.pairs.top - det->data.mapping.pairs.start);
	for (size_t i = 0; i < npairs; i++) {
		yaml_node_pair_t *p = &det->data.mapping.pairs.start[i];
		const char *k = scalar(node(d, p->key));
		if (!k) {
			sigma_unsupported(c, node(d, p->key), "a detection key that is not text");
			return;
		}
		if (!strcmp(k, "condition")) {
			cond = node(d, p->value);
			continue;
		}
		if (!strcmp(k, "timeframe"))
			continue; /* only meaningful with an aggregation, refused below */
		if (r->nsels >= SIGMA_MAX_SELECTIONS) {
			sigma_unsupported(c, det, "more than %d selections (%zu)", SIGMA_MAX_SELECTIONS,
					  npairs - 1);
			return;
		}
		struct sbuf b = { 0 };
		if (sigma_compile_selection(c, k, node(d, p->value), &b) < 0) {
			free(b.p);
			return;
		}
		r->sels = xrealloc(r->sels, (r->nsels + 1) * sizeof *r->sels);
		struct sigma_sel *s = &r->sels[r->nsels++];
		s->name = xstrdup(k);
		s->text = sigma_sb_take(&b);
		s->f = NULL;
	}
	if (!cond) {
		sigma_unsupported(c, det, "no condition");
		return;
	}
	struct sbuf b = { 0 };
	if (cond->type == YAML_SEQUENCE_NODE) {
		/* several conditions: any of them */
		size_t n = (size_t)(cond->data.sequence.items.top - cond->data.sequence.items.start);
		for (size_t i = 0; i < n; i++) {
			yaml_node_t *ci = node(d, cond->data.sequence.items.start[i]);
			if (!scalar(ci)) {
				sigma_unsupported(c, ci, "a condition that is not text");
				free(b.p);
				return;
			}
			if (i)
				sigma_sb_puts(&b, " or ");
			sigma_sb_puts(&b, "(");
			if (sigma_compile_condition(c, ci, scalar(ci), &b) < 0) {
				free(b.p);
				return;
			}
			sigma_sb_puts(&b, ")");
		}
	} else {
		char *cs = seq_or_scalar_first(d, cond);
		if (!cs || !*cs) {
			free(cs);
			sigma_unsupported(c, cond, "an empty condition");
			return;
		}
		int rc = sigma_compile_condition(c, cond, cs, &b);
		free(cs);
		if (rc < 0) {
			free(b.p);
			return;
		}
	}
	r->detection = sigma_sb_take(&b);
	char *why = NULL;
	r->f = filter_parse(r->detection, &why);
	if (!r->f) {
		sigma_unsupported(c, cond, "the condition does not compile: %s", why);
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
		sigma_unsupported(c, ls ? ls : root,
				  "logsource product '%s' service '%s' (category '%s') is not mapped",
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
			for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
			     p < root->data.mapping.pairs.top; p++) {
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
			sigma_sb_puts(&b, "\n");
		sigma_sb_puts(&b, r->sels[i].name);
		sigma_sb_puts(&b, " matched:");
		char *e = filter_explain_record(r->sels[i].f, raw, n);
		/* one line per field: "  Operation = New-InboxRule (pattern ...)" */
		for (char *line = e, *next; line && *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			const char *colon = strstr(line, ": ");
			sigma_sb_puts(&b, "\n  ");
			sigma_sb_puts(&b, colon ? colon + 2 : line);
		}
		free(e);
	}
	return b.p;
}
