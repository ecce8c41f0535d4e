/*
 * facts.c: the facts of a kind of log read from its raw record (facts.h).
 *
 * Keys are matched without regard to case, at the top of the record and
 * inside the diagnostic envelope's `properties`, so one list of names
 * covers Graph's lowerCamel names, the envelope, and the portal's CSV
 * headers (which the CSV reader keeps as keys).
 */
#include "facts.h"

#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "xalloc.h"

static const char *const names[FACT_COUNT] = {
	[FACT_RESOURCE] = "resource", [FACT_FAILURE] = "failure", [FACT_CA] = "ca",
	[FACT_MFA] = "mfa",           [FACT_AGENT] = "agent",     [FACT_TARGET] = "target",
	[FACT_CHANGES] = "changes",   [FACT_PARAMS] = "params",
};

const char *fact_name(enum fact f)
{
	return f < FACT_COUNT ? names[f] : "?";
}

int fact_of_name(const char *name)
{
	for (int f = 0; f < FACT_COUNT; f++)
		if (!strcmp(names[f], name))
			return f;
	return -1;
}

/* obj's member named key, case ignored. */
static json_t *member(json_t *obj, const char *key, size_t klen)
{
	const char *k;
	json_t *v;
	if (!json_is_object(obj))
		return NULL;
	json_object_foreach(obj, k, v) if (strlen(k) == klen && !strncasecmp(k, key, klen)) return v;
	return NULL;
}

/* A dotted path ("status.failureReason") from obj. */
static json_t *path(json_t *obj, const char *p)
{
	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		obj = member(obj, p, n);
		p += n + (dot ? 1 : 0);
	}
	return obj;
}

/* Runs of white space as one space, ends trimmed (multi-line JSON that
 * audit records embed as text). */
static char *squeeze(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	bool space = false;
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			space = o > out;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = false;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* A value as text: strings as they are, numbers and literals printed,
 * containers as compact JSON; NULL when absent or empty. */
static char *text(json_t *v)
{
	char *s = NULL;
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		s = squeeze(json_string_value(v));
	else if (json_is_integer(v))
		s = xasprintf("%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		s = xasprintf("%g", json_real_value(v));
	else if (json_is_boolean(v))
		s = xstrdup(json_is_true(v) ? "true" : "false");
	else {
		char *d = json_dumps(v, JSON_COMPACT);
		s = d ? xstrdup(d) : NULL;
		free(d);
	}
	if (s && !*s) {
		free(s);
		s = NULL;
	}
	return s;
}

/* The first of the paths that has a value, at the top or in properties. */
static char *first(json_t *root, const char *const *paths)
{
	json_t *props = member(root, "properties", 10);
	for (const char *const *p = paths; *p; p++) {
		char *s = text(path(root, *p));
		if (!s && json_is_object(props))
			s = text(path(props, *p));
		if (s)
			return s;
	}
	return NULL;
}

/* The Value of the entry named name in a [{Name, Value}] list. */
static char *named(json_t *list, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		const char *n = json_string_value(member(e, "Name", 4));
		if (n && !strcasecmp(n, name))
			return text(member(e, "Value", 5));
	}
	return NULL;
}

/* A modified property's value: audit records hold them as JSON text
 * ("[\r\n  true\r\n]"); a one-element list is shown as its element. */
static char *prop_value(json_t *v)
{
	char *s = NULL;
	if (json_is_string(v)) {
		json_t *inner = json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);
		if (json_is_array(inner) && json_array_size(inner) == 0)
			s = xstrdup("(none)");
		else if (json_is_array(inner) && json_array_size(inner) == 1)
			s = text(json_array_get(inner, 0));
		else if (inner)
			s = text(inner);
		if (inner && !s)
			s = xstrdup("\"\"");
		json_decref(inner);
		if (s)
			return s;
	}
	s = text(v);
	return s ? s : xstrdup("(none)");
}

/* "Name: old -> new; ..." of a modified-properties list, whose entries
 * name their parts Name/OldValue/NewValue (unified audit log) or
 * displayName/oldValue/newValue (Graph). */
static void changes_of(json_t *list, struct util_buf *b)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		json_t *n = member(e, "Name", 4);
		if (!n)
			n = member(e, "displayName", 11);
		const char *name = json_string_value(n);
		if (!name)
			continue;
		char *o = prop_value(member(e, "OldValue", 8)), *v = prop_value(member(e, "NewValue", 8));
		util_buf_item(b, "; ", "%s: %s -> %s", name, o, v);
		free(o);
		free(v);
	}
}

static char *changes(json_t *root)
{
	struct util_buf b = { 0 };
	json_t *props = member(root, "properties", 10);
	json_t *mod = member(root, "ModifiedProperties", 18);
	if (json_is_array(mod))
		changes_of(mod, &b);
	/* Graph directory audits: per target resource */
	json_t *targets = member(root, "targetResources", 15);
	if (!targets && json_is_object(props))
		targets = member(props, "targetResources", 15);
	size_t i;
	json_t *t;
	json_array_foreach(targets, i, t) changes_of(member(t, "modifiedProperties", 18), &b);
	return util_buf_take(&b);
}

/* What a directory change acted on: the first target resource (its UPN
 * or name), a unified audit log Target of type 5 (a UPN), else the
 * record's ObjectId. */
static char *target(json_t *root)
{
	json_t *props = member(root, "properties", 10);
	json_t *targets = member(root, "targetResources", 15);
	if (!targets && json_is_object(props))
		targets = member(props, "targetResources", 15);
	json_t *t = json_array_get(targets, 0);
	if (t) {
		char *s = text(member(t, "userPrincipalName", 17));
		if (!s)
			s = text(member(t, "displayName", 11));
		if (s)
			return s;
	}
	size_t i;
	json_t *e;
	json_array_foreach(member(root, "Target", 6), i, e) if (json_integer_value(member(e, "Type", 4)) ==
								5) return text(member(e, "ID", 2));
	return first(root, (const char *const[]){ "ObjectId", "Identity", NULL });
}

/* "Name=Value ..." of a cmdlet's parameters, empty values left out. */
static char *params(json_t *root)
{
	struct util_buf b = { 0 };
	size_t i;
	json_t *e;
	json_array_foreach(member(root, "Parameters", 10), i, e)
	{
		const char *n = json_string_value(member(e, "Name", 4));
		char *v = text(member(e, "Value", 5));
		if (n && v)
			util_buf_item(&b, " ", "%s=%s", n, v);
		free(v);
	}
	return util_buf_take(&b);
}

int facts_read(const char *raw, size_t n, char **out)
{
	for (int f = 0; f < FACT_COUNT; f++)
		out[f] = NULL;
	json_t *root = raw ? json_loadb(raw, n, 0, NULL) : NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return 0;
	}
	json_t *ext = member(root, "ExtendedProperties", 18);
	out[FACT_RESOURCE] = first(root, (const char *const[]){ "resourceDisplayName", "Resource", NULL });
	out[FACT_FAILURE] = first(root, (const char *const[]){ "status.failureReason", "Failure reason",
							       "LogonError", NULL });
	out[FACT_CA] =
		first(root, (const char *const[]){ "conditionalAccessStatus", "Conditional Access", NULL });
	out[FACT_MFA] = first(root, (const char *const[]){ "authenticationRequirement",
							   "Authentication requirement", "mfaDetail.authMethod",
							   "Multifactor authentication result", NULL });
	out[FACT_AGENT] = first(root, (const char *const[]){ "userAgent", "User agent", NULL });
	if (!out[FACT_AGENT] && json_is_array(ext))
		out[FACT_AGENT] = named(ext, "UserAgent");
	if (!out[FACT_RESOURCE] && json_integer_value(member(root, "RecordType", 10)) == 15)
		out[FACT_RESOURCE] = text(member(root, "ObjectId", 8));
	out[FACT_TARGET] = target(root);
	out[FACT_CHANGES] = changes(root);
	out[FACT_PARAMS] = params(root);
	json_decref(root);
	int found = 0;
	for (int f = 0; f < FACT_COUNT; f++) {
		if (out[f] && !*out[f]) {
			free(out[f]);
			out[f] = NULL;
		}
		found += out[f] != NULL;
	}
	return found;
}
