/*
 * annot.c: annot.h's and notes.h's store-independent half (author, time,
 * tag rules) and the annotations handed to the case's store
 * (storage.h; the SQLite ones are core/sqlite/annot.c and notes.c).
 */
#include "annot.h"

#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notes.h"
#include "storage.h"
#include "timeparse.h"
#include "xalloc.h"

#define TAG_MAX 200

char *annot_author(void)
{
	const char *a = getenv("AUDITSCOPE_AUTHOR");
	if (a && *a)
		return xstrdup(a);
	/* getlogin() needs a controlling terminal; the passwd entry of the
	 * effective user does not, and $USER is the last resort (containers
	 * without an entry for their uid). */
	struct passwd pw, *res = NULL;
	char buf[1024];
	if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_name && *res->pw_name)
		return xstrdup(res->pw_name);
	a = getenv("USER");
	if (a && *a)
		return xstrdup(a);
	return xstrdup("unknown");
}

void annot_now(char *out, size_t n)
{
	const char *env = getenv("AUDITSCOPE_NOW");
	int64_t ms;
	if (!(env && *env && time_parse(env, strlen(env), &ms))) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	time_format(ms, out, n);
}

char *annot_tag_clean(const char *tag, char **cause)
{
	if (!tag)
		return set_cause(cause, "tag: empty"), NULL;
	while (isspace((unsigned char)*tag))
		tag++;
	size_t n = strlen(tag);
	while (n && isspace((unsigned char)tag[n - 1]))
		n--;
	if (n == 0)
		return set_cause(cause, "tag: empty"), NULL;
	if (n > TAG_MAX)
		return set_cause(cause, "tag: longer than %d bytes", TAG_MAX), NULL;
	/* Exports list tags in one cell separated by commas. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tag[i];
		if (c < 0x20 || c == 0x7f || c == ',')
			return set_cause(cause, "tag: a tag cannot hold a comma or a control character"), NULL;
	}
	return xstrndup(tag, n);
}

int annot_mark_toggle(struct store *st, int64_t event, bool *now_on, char **cause)
{
	int on = annot_is_marked(st, event, cause);
	if (on < 0)
		return -1;
	int rc = annot_mark(st, event, !on, cause);
	if (rc >= 0 && now_on)
		*now_on = !on;
	return rc;
}

void annot_info_free(struct annot_info *ai)
{
	if (!ai)
		return;
	free(ai->mark_author);
	free(ai->mark_created);
	for (size_t i = 0; i < ai->ntags; i++)
		free(ai->tags[i]);
	free(ai->tags);
	for (size_t i = 0; i < ai->nnotes; i++) {
		free(ai->notes[i].author);
		free(ai->notes[i].created);
		free(ai->notes[i].text);
	}
	free(ai->notes);
	free(ai);
}

void annot_view_free(struct annot_view *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->filter);
	free(v->sort);
	free(v->columns);
	free(v->author);
	free(v->created);
	free(v);
}

int annot_mark(struct store *st, int64_t event, bool on, char **cause)
{
	return st->ops->annot_mark(st, event, on, cause);
}

int annot_is_marked(struct store *st, int64_t event, char **cause)
{
	return st->ops->annot_is_marked(st, event, cause);
}

int annot_markers(struct store *st, const int64_t *events, size_t n, unsigned char *out, char **cause)
{
	return st->ops->annot_markers(st, events, n, out, cause);
}

int annot_mark_next(struct store *st, int64_t ts, int64_t id, bool backward, int64_t *out_event,
		    int64_t *out_ts, char **cause)
{
	return st->ops->annot_mark_next(st, ts, id, backward, out_event, out_ts, cause);
}

int annot_tag_add(struct store *st, int64_t event, const char *tag, char **cause)
{
	return st->ops->annot_tag_add(st, event, tag, cause);
}

int annot_tag_remove(struct store *st, int64_t event, const char *tag, char **cause)
{
	return st->ops->annot_tag_remove(st, event, tag, cause);
}

int annot_note_set(struct store *st, int64_t event, const char *text, char **cause)
{
	return st->ops->annot_note_set(st, event, text, cause);
}

int annot_note_delete(struct store *st, int64_t note_id, char **cause)
{
	return st->ops->annot_note_delete(st, note_id, cause);
}

int annot_get(struct store *st, int64_t event, struct annot_info **out, char **cause)
{
	return st->ops->annot_get(st, event, out, cause);
}

int annot_get_key(struct store *st, const char *record_id, int kind, struct annot_info **out, char **cause)
{
	return st->ops->annot_get_key(st, record_id, kind, out, cause);
}

int annot_apply(struct store *st, const char *filter, const struct annot_action *a, struct annot_result *res,
		char **cause)
{
	return st->ops->annot_apply(st, filter, a, res, cause);
}

int annot_apply_events(struct store *st, const int64_t *events, size_t n, const struct annot_action *a,
		       struct annot_result *res, char **cause)
{
	return st->ops->annot_apply_events(st, events, n, a, res, cause);
}

int annot_counts(struct store *st, struct annot_counts *c, char **cause)
{
	return st->ops->annot_counts(st, c, cause);
}

int annot_each_key(struct store *st, int (*fn)(const struct annot_key *k, void *ctx), void *ctx, char **cause)
{
	return st->ops->annot_each_key(st, fn, ctx, cause);
}

int annot_view_save(struct store *st, const char *name, const char *filter, const char *sort,
		    const char *columns, char **cause)
{
	return st->ops->annot_view_save(st, name, filter, sort, columns, cause);
}

int annot_view_get(struct store *st, const char *name, struct annot_view **out, char **cause)
{
	return st->ops->annot_view_get(st, name, out, cause);
}

int annot_view_delete(struct store *st, const char *name, char **cause)
{
	return st->ops->annot_view_delete(st, name, cause);
}

int annot_view_each(struct store *st, int (*fn)(const struct annot_view *v, void *ctx), void *ctx, char **cause)
{
	return st->ops->annot_view_each(st, fn, ctx, cause);
}

int notes_export(struct store *st, FILE *out, const char *case_label, struct notes_stats *stats, char **cause)
{
	return st->ops->notes_export(st, out, case_label, stats, cause);
}

int notes_import(struct store *st, FILE *in, const char *name, struct notes_stats *stats, char **cause)
{
	return st->ops->notes_import(st, in, name, stats, cause);
}
