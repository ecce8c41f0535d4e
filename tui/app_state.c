/*
 * app_state.c: what the interface keeps in the case between sessions
 * (state.h): the filter stack, position, column, theme and prompt
 * histories, written only when they changed.
 */
#include "app_impl.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "theme.h"
#include "view_timeline.h"
#include "xalloc.h"

static const char *const hist_keys[APP_HIST_COUNT] = {
	[APP_HIST_FILTER] = "tui.history.filter",
	[APP_HIST_SEARCH] = "tui.history.search",
	[APP_HIST_COMMAND] = "tui.history.command",
	[APP_HIST_TAG] = "tui.history.tag",
};

/* Write key unless it already holds value (slot: which cache entry). */
static void save_one(struct app *a, int slot, const char *key, const char *value)
{
	if (a->saved[slot] && value && !strcmp(a->saved[slot], value))
		return;
	if (state_set(a->st, key, value, NULL) == 0) {
		free(a->saved[slot]);
		a->saved[slot] = value ? xstrdup(value) : NULL;
	}
}

void app_save_filters(struct app *a)
{
	/* while a load holds the write lock, a write would wait for it:
	 * the state is written when the load is done, or at quit */
	if (a->loading)
		return;
	json_t *arr = json_array();
	for (size_t i = 1; i < a->nsteps; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "filter", a->steps[i].filter, "label",
						     a->steps[i].label));
	char *s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	save_one(a, 0, "tui.filters", s);
	free(s);
}

void app_save_state(struct app *a)
{
	if (!a->started || a->loading)
		return;
	app_save_filters(a);
	struct view *tl = app_timeline(a);
	const struct query_row *r = tl ? view_timeline_current(tl) : NULL;
	if (r) {
		char pos[64];
		snprintf(pos, sizeof pos, "%lld %lld", (long long)r->ts, (long long)r->id);
		save_one(a, 1, "tui.position", pos);
	}
	if (tl)
		save_one(a, 2, "tui.column", view_timeline_column(tl));
	for (int h = APP_HIST_NONE + 1; h < APP_HIST_COUNT; h++) {
		json_t *arr = json_array();
		for (size_t i = 0; i < prompt_history_count(a->hist[h]); i++)
			json_array_append_new(arr, json_string(prompt_history_get(a->hist[h], i)));
		char *s = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
		save_one(a, 2 + h, hist_keys[h], s);
		free(s);
	}
}

void app_restore_histories(struct app *a)
{
	for (int h = APP_HIST_NONE + 1; h < APP_HIST_COUNT; h++) {
		char *s = state_get(a->st, hist_keys[h]);
		json_t *arr = s ? json_loads(s, 0, NULL) : NULL;
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v) if (json_is_string(v))
			prompt_history_add(a->hist[h], json_string_value(v));
		json_decref(arr);
		free(s);
	}
}

/* The saved filter stack; steps that no longer compile are skipped. */
void app_restore_filters(struct app *a)
{
	char *s = state_get(a->st, "tui.filters");
	json_t *arr = s ? json_loads(s, 0, NULL) : NULL;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		const char *f = json_string_value(json_object_get(v, "filter"));
		const char *l = json_string_value(json_object_get(v, "label"));
		if (f)
			app_step_push(a, f, l, NULL);
	}
	json_decref(arr);
	free(s);
	free(a->message); /* "the filter is already..." says nothing here */
	a->message = NULL;
}

void app_apply_theme(struct app *a)
{
	char *name = state_get(a->st, "tui.theme");
	const char *env = getenv("AUDITSCOPE_THEME");
	struct theme t;
	char *cause = NULL;
	const char *want = env && *env ? env : name ? name : "default";
	if (theme_load(want, &t, &cause) < 0) {
		app_error(a, "%s", cause);
		free(cause);
		/* no theme file found: the built-in monochrome look */
		theme_parse("", "monochrome", &t, NULL);
	}
	theme_apply(&t);
	theme_clear(&t);
	free(name);
}
