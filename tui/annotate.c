/*
 * annotate.c: bookmark, tag and note keys (annotate.h).
 */
#include "annotate.h"

#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "app.h"
#include "keys.h"
#include "xalloc.h"

int annotate_bookmark(struct app *a, int64_t id, int seen)
{
	bool on = seen == 0;
	char *cause = NULL;
	int rc = seen < 0 ? annot_mark_toggle(app_store(a), id, &on, &cause)
			  : annot_mark(app_store(a), id, on, &cause);
	if (rc < 0) {
		app_error(a, "bookmark: %s", cause);
		free(cause);
		return REACT_CHROME;
	}
	app_message(a, on ? "bookmarked" : "bookmark removed");
	app_annotated(a);
	return REACT_VIEW | REACT_CHROME;
}

static int on_tag(struct app *a, void *ctx, const char *text, int *column)
{
	int64_t id = *(int64_t *)ctx;
	char *cause = NULL;
	(void)column;
	if (!*text)
		return REACT_CHROME;
	int rc = annot_tag_add(app_store(a), id, text, &cause);
	if (rc < 0) {
		app_error(a, "tag: %s", cause);
		free(cause);
		return -1;
	}
	app_message(a, rc ? "tagged: %s" : "already tagged: %s", text);
	app_annotated(a);
	return REACT_VIEW | REACT_CHROME;
}

static int on_note(struct app *a, void *ctx, const char *text, int *column)
{
	int64_t id = *(int64_t *)ctx;
	char *cause = NULL;
	(void)column;
	if (annot_note_set(app_store(a), id, text, &cause) < 0) {
		app_error(a, "note: %s", cause);
		free(cause);
		return -1;
	}
	app_message(a, *text ? "note saved" : "note removed");
	app_annotated(a);
	return REACT_VIEW | REACT_CHROME;
}

static int64_t *boxed(int64_t id)
{
	int64_t *p = xmalloc(sizeof *p);
	*p = id;
	return p;
}

int annotate_tag(struct app *a, int64_t id)
{
	app_prompt(a, "tag: ", NULL, APP_HIST_TAG, on_tag, boxed(id), free);
	return REACT_CHROME;
}

int annotate_note(struct app *a, int64_t id)
{
	struct annot_info *ai = NULL;
	char *mine = NULL;
	if (annot_get(app_store(a), id, &ai, NULL) == 0 && ai) {
		char *me = annot_author();
		for (size_t i = 0; i < ai->nnotes; i++)
			if (!strcmp(ai->notes[i].author, me)) {
				free(mine);
				mine = xstrdup(ai->notes[i].text);
			}
		free(me);
	}
	annot_info_free(ai);
	app_prompt(a, "note: ", mine, APP_HIST_NONE, on_note, boxed(id), free);
	free(mine);
	return REACT_CHROME;
}
