/*
 * columns.c: the column catalogue, the sets per kind of log and their
 * saved form (columns.h).
 */
#include "columns.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "facts.h"

#define F(field, title, min, comfy, max)                         \
	{                                                        \
		field, title, COL_SRC_FIELD, -1, min, comfy, max \
	}
#define FACT(f, title, min, comfy, max)                       \
	{                                                     \
		NULL, title, COL_SRC_FACT, f, min, comfy, max \
	}

/* field is filled in for facts from facts.h's names (columns_def). */
static struct col_def defs[] = {
	{ "time", "time (UTC)", COL_SRC_TIME, -1, 19, 19, 19 },
	F("user", "user", 8, 24, 34),
	F("op", "operation", 9, 22, 30),
	{ "app", "app", COL_SRC_APP, -1, 8, 20, 36 },
	{ "client_app", "client app", COL_SRC_APP, -1, 8, 14, 36 },
	F("ip", "ip", 7, 15, 39),
	F("country", "country", 7, 7, 7),
	F("asn", "asn", 5, 7, 10),
	F("as_org", "network", 7, 16, 30),
	F("host", "host", 4, 20, 60),
	F("access", "access", 6, 6, 6),
	F("mailbox", "mailbox", 8, 20, 34),
	F("result", "result", 6, 9, 20),
	FACT(FACT_RESOURCE, "resource", 8, 18, 40),
	FACT(FACT_FAILURE, "failure reason", 8, 20, 60),
	FACT(FACT_CA, "cond. access", 7, 12, 14),
	FACT(FACT_MFA, "mfa", 5, 14, 30),
	FACT(FACT_AGENT, "user agent", 8, 24, 120),
	FACT(FACT_TARGET, "target", 8, 26, 60),
	FACT(FACT_CHANGES, "changed (old -> new)", 10, 40, 400),
	FACT(FACT_PARAMS, "parameters", 10, 40, 400),
	F("detail", "detail", 6, 20, 400),
	F("client_info", "client", 6, 20, 200),
	F("workload", "workload", 8, 12, 24),
	F("record_type", "record type", 8, 16, 32),
	F("session", "session", 8, 20, 40),
	F("token", "token", 8, 20, 40),
	F("record_id", "record id", 8, 20, 40),
	F("source", "source", 8, 20, 200),
};
#define NDEFS ((int)(sizeof defs / sizeof defs[0]))

int columns_count(void)
{
	return NDEFS;
}

const struct col_def *columns_def(int i)
{
	if (i < 0 || i >= NDEFS)
		return NULL;
	if (!defs[i].field)
		defs[i].field = fact_name((enum fact)defs[i].fact);
	return &defs[i];
}

int columns_find(const char *field)
{
	for (int i = 0; i < NDEFS; i++)
		if (!strcmp(columns_def(i)->field, field))
			return i;
	return -1;
}

static const char *const set_names[CSET_COUNT] = {
#define X(id, name, what) name,
	COLUMNS_SETS(X)
#undef X
};
static const char *const set_what[CSET_COUNT] = {
#define X(id, name, what) what,
	COLUMNS_SETS(X)
#undef X
};

const char *columns_set_name(enum col_set s)
{
	return s < CSET_COUNT ? set_names[s] : "?";
}

const char *columns_set_what(enum col_set s)
{
	return s < CSET_COUNT ? set_what[s] : "?";
}

/* Each set as it comes: its fields in order, then the titles it gives
 * them where the shared one says less. */
static const struct {
	const char *fields;
	const char *titles; /* "field=title;..." */
} sets[CSET_COUNT] = {
	[CSET_EVENTS] = { "time user op app client_app ip access mailbox result detail host", "" },
	[CSET_SIGNIN] = { "time user app resource ip country result failure ca mfa agent host", "" },
	[CSET_DIRAUDIT] = { "time user op target changes result ip host", "user=initiated by;op=activity" },
	[CSET_EXOADMIN] = { "time user op target params result ip host", "op=cmdlet;target=object" },
	[CSET_GRAPH] = { "time user app ip country result detail host", "detail=request" },
	[CSET_MSGTRACE] = { "time user mailbox ip result detail host",
			    "user=sender;mailbox=recipient;detail=message" },
	[CSET_AZURE] = { "time user op result ip detail host", "detail=resource" },
	[CSET_RISK] = { "time user op ip country result detail host", "op=risk;detail=risk detail" },
	[CSET_ALERT] = { "time user op result detail", "op=alert;detail=severity: title" },
	[CSET_XDR] = { "time user op ip app detail host", "op=action" },
};

const char *columns_title(enum col_set s, int def)
{
	static char buf[64];
	const struct col_def *d = columns_def(def);
	if (!d)
		return "";
	const char *t = s < CSET_COUNT ? sets[s].titles : "";
	size_t fl = strlen(d->field);
	for (const char *p = t; *p;) {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);
		if (n > fl + 1 && !strncmp(p, d->field, fl) && p[fl] == '=') {
			size_t k = n - fl - 1 < sizeof buf - 1 ? n - fl - 1 : sizeof buf - 1;
			memcpy(buf, p + fl + 1, k);
			buf[k] = '\0';
			return buf;
		}
		p += n + (semi ? 1 : 0);
	}
	return d->title;
}

enum col_set columns_classify(const struct query_row *r)
{
	switch (r->kind) {
	case KIND_SIGNIN: return CSET_SIGNIN;
	case KIND_DIRAUDIT: return CSET_DIRAUDIT;
	case KIND_GRAPH: return CSET_GRAPH;
	case KIND_MSGTRACE: return CSET_MSGTRACE;
	case KIND_AZURE: return CSET_AZURE;
	case KIND_RISK: return CSET_RISK;
	case KIND_ALERT: return CSET_ALERT;
	case KIND_XDR: return CSET_XDR;
	default: break;
	}
	const char *rt = r->rtype ? r->rtype : "";
	if (!strcmp(rt, "AzureActiveDirectoryStsLogon") || !strcmp(rt, "AzureActiveDirectoryAccountLogon"))
		return CSET_SIGNIN;
	if (!strcmp(rt, "AzureActiveDirectory"))
		return CSET_DIRAUDIT;
	if (!strcmp(rt, "ExchangeAdmin"))
		return CSET_EXOADMIN;
	return CSET_EVENTS;
}

void columns_reset(struct columns *c, enum col_set s)
{
	struct col_layout *l = &c->set[s];
	l->n = 0;
	const char *p = sets[s].fields;
	while (*p && l->n < COLUMNS_MAX) {
		const char *sp = strchr(p, ' ');
		size_t n = sp ? (size_t)(sp - p) : strlen(p);
		char f[32];
		if (n < sizeof f) {
			memcpy(f, p, n);
			f[n] = '\0';
			int d = columns_find(f);
			if (d >= 0)
				l->e[l->n++] = (struct col_entry){ d, 0 };
		}
		p += n + (sp ? 1 : 0);
	}
	c->custom[s] = false;
}

void columns_init(struct columns *c)
{
	for (int s = 0; s < CSET_COUNT; s++)
		columns_reset(c, (enum col_set)s);
}

/* {"signin": [["user", 0], ["ip", 20]], ...}: only the sets changed. */
char *columns_save(const struct columns *c)
{
	json_t *o = json_object();
	for (int s = 0; s < CSET_COUNT; s++) {
		if (!c->custom[s])
			continue;
		json_t *arr = json_array();
		for (int i = 0; i < c->set[s].n; i++)
			json_array_append_new(arr, json_pack("[s, i]", columns_def(c->set[s].e[i].def)->field,
							     c->set[s].e[i].width));
		json_object_set_new(o, set_names[s], arr);
	}
	char *out = json_object_size(o) ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return out;
}

void columns_load(struct columns *c, const char *text)
{
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;
	for (int s = 0; s < CSET_COUNT; s++) {
		json_t *arr = json_object_get(o, set_names[s]);
		if (!json_is_array(arr) || !json_array_size(arr))
			continue;
		struct col_layout l = { .n = 0 };
		size_t i;
		json_t *e;
		bool ok = true;
		json_array_foreach(arr, i, e)
		{
			const char *field = json_string_value(json_array_get(e, 0));
			int d = field ? columns_find(field) : -1;
			json_int_t w = json_integer_value(json_array_get(e, 1));
			if (d < 0 || l.n >= COLUMNS_MAX || columns_index(&l, d) >= 0 || w < 0 || w > 1000) {
				ok = false;
				break;
			}
			l.e[l.n++] = (struct col_entry){ d, (int)w };
		}
		if (ok) {
			c->set[s] = l;
			c->custom[s] = true;
		}
	}
	json_decref(o);
}

int columns_index(const struct col_layout *l, int def)
{
	for (int i = 0; i < l->n; i++)
		if (l->e[i].def == def)
			return i;
	return -1;
}

bool columns_toggle(struct col_layout *l, int def)
{
	int i = columns_index(l, def);
	if (i < 0) {
		if (l->n >= COLUMNS_MAX)
			return false;
		l->e[l->n++] = (struct col_entry){ def, 0 };
		return true;
	}
	if (l->n <= 1)
		return false;
	memmove(&l->e[i], &l->e[i + 1], (size_t)(l->n - i - 1) * sizeof l->e[0]);
	l->n--;
	return true;
}

bool columns_move(struct col_layout *l, int i, int delta)
{
	int j = i + delta;
	if (i < 0 || i >= l->n || j < 0 || j >= l->n)
		return false;
	struct col_entry t = l->e[i];
	l->e[i] = l->e[j];
	l->e[j] = t;
	return true;
}
