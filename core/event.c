/*
 * event.c: the names of the kinds of log (event.h), shared by the
 * filter language, the views and the exports.
 */
#include "event.h"

#include <strings.h>

static const char *const names[KIND_COUNT] = {
#define X(id, name, title) [id] = name,
	EVENT_KINDS(X)
#undef X
};

static const char *const titles[KIND_COUNT] = {
#define X(id, name, title) [id] = title,
	EVENT_KINDS(X)
#undef X
};

const char *event_kind_name(int kind)
{
	return kind >= 0 && kind < KIND_COUNT ? names[kind] : "unknown";
}

const char *event_kind_title(int kind)
{
	return kind >= 0 && kind < KIND_COUNT ? titles[kind] : "unknown kind";
}

int event_kind_parse(const char *s)
{
	static const struct {
		const char *alias;
		int kind;
	} aliases[] = {
		{ "diraudit", KIND_DIRAUDIT },  { "audit", KIND_DIRAUDIT },
		{ "directory", KIND_DIRAUDIT }, { "graph", KIND_GRAPH },
		{ "msgtrace", KIND_MSGTRACE },  { "messagetrace", KIND_MSGTRACE },
		{ "azure", KIND_AZURE },        { "activity", KIND_AZURE },
		{ "sign-in", KIND_SIGNIN },     { "alerts", KIND_ALERT },
		{ "defender", KIND_XDR },
	};
	if (!s)
		return -1;
	for (int k = 0; k < KIND_COUNT; k++)
		if (strcasecmp(s, names[k]) == 0)
			return k;
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcasecmp(s, aliases[i].alias) == 0)
			return aliases[i].kind;
	return -1;
}
