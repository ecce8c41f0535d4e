/*
 * session_facts.c: the facts of a sign-in record that the normalized
 * fields leave out (session.h), read from its raw JSON with jansson.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "util.h"
#include "xalloc.h"

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

void session_signin_facts(const char *raw, size_t len, struct signin_facts *out)
{
	memset(out, 0, sizeof *out);
	if (!raw)
		return;
	json_t *root = json_loadb(raw, len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return;
	}
	json_t *r = root;
	json_t *props = json_object_get(root, "properties"); /* a diagnostic record */
	if (json_is_object(props))
		r = props;
	json_t *dev = json_object_get(r, "deviceDetail");
	if (json_is_object(dev)) {
		struct util_buf b = { 0 };
		const char *keys[] = { "displayName", "operatingSystem", "browser", "trustType" };
		for (size_t i = 0; i < 4; i++)
			if (str(dev, keys[i]))
				util_buf_item(&b, ", ", "%s", str(dev, keys[i]));
		if (json_is_true(json_object_get(dev, "isCompliant")))
			util_buf_item(&b, ", ", "compliant");
		if (json_is_true(json_object_get(dev, "isManaged")))
			util_buf_item(&b, ", ", "managed");
		out->device = b.n ? util_buf_take(&b) : (util_buf_free(&b), NULL);
	}
	if (str(r, "conditionalAccessStatus")) {
		size_t applied = 0;
		json_t *pol = json_object_get(r, "appliedConditionalAccessPolicies"), *p;
		size_t i;
		json_array_foreach(pol, i, p) if (str(p, "result") &&
						  strcmp(str(p, "result"), "notApplied") != 0 &&
						  strcmp(str(p, "result"), "notEnabled") != 0) applied++;
		out->ca = xasprintf("%s (%zu polic%s applied)", str(r, "conditionalAccessStatus"), applied,
				    applied == 1 ? "y" : "ies");
	}
	json_t *mfa = json_object_get(r, "mfaDetail");
	const char *req = str(r, "authenticationRequirement");
	const char *method = json_is_object(mfa) ? str(mfa, "authMethod") : NULL;
	if (req || method)
		out->mfa = xasprintf("%s%s%s", req ? req : "", req && method ? ", " : "", method ? method : "");
	const char *lvl = str(r, "riskLevelDuringSignIn"), *state = str(r, "riskState");
	if (lvl || state)
		out->risk = xasprintf("%s%s%s", lvl ? lvl : "", lvl && state ? ", " : "", state ? state : "");
	json_decref(root);
}

void session_signin_facts_clear(struct signin_facts *f)
{
	if (!f)
		return;
	free(f->device);
	free(f->ca);
	free(f->mfa);
	free(f->risk);
	memset(f, 0, sizeof *f);
}
