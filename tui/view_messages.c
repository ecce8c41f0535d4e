/*
 * view_messages.c: the messages the current filter's events exposed
 * (view_messages.h), one row per message (or per folder synchronised):
 * mailbox, message id, folder, access, app, IP, first and last access,
 * events. The list is messages_run (core/messages.h) under the app's
 * progress callback: on a big case it shows progress and Esc stops it.
 *
 * It behaves like the other tables: a column cursor (h, l) says what =,
 * - and F act on (a pivot or a stack of that column), Enter shows the
 * events that exposed the message in the timeline (q comes back here).
 */
#include "view_messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "filter.h"
#include "list.h"
#include "messages.h"
#include "theme.h"
#include "view_stack.h"
#include "view_value.h"
#include "xalloc.h"

/* Rows kept in memory: the grouping is made once over every event and
 * its rows copied out up to here (the CLI's `messages` lists them all). */
static int64_t messages_limit = 100000;

void view_messages_set_limit(int64_t limit)
{
	messages_limit = limit;
}

/* Where a message's folder and id sit in a MailItemsAccessed record:
 * json paths pass through the Folders array to every element. */
#define PATH_FOLDER "json.Folders.Path"
#define PATH_MSGID "json.Folders.FolderItems.InternetMessageId"

enum mcol {
	MC_MAILBOX,
	MC_MSGID,
	MC_FOLDER,
	MC_ACCESS,
	MC_APP,
	MC_IP,
	MC_FIRST,
	MC_LAST,
	MC_EVENTS,
	MC_COUNT
};

static const struct {
	const char *title;
	const char *field; /* what =, - and F use; NULL: none */
	int width;         /* 0: shares what is left */
	bool right;
} mcols[MC_COUNT] = {
	[MC_MAILBOX] = { "mailbox", "mailbox", 0, false },
	[MC_MSGID] = { "message id", PATH_MSGID, 0, false },
	[MC_FOLDER] = { "folder", PATH_FOLDER, 16, false },
	[MC_ACCESS] = { "access", "access", 6, false },
	[MC_APP] = { "app", "app", 0, false },
	[MC_IP] = { "ip", "ip", 15, false },
	[MC_FIRST] = { "first (UTC)", NULL, 19, false },
	[MC_LAST] = { "last (UTC)", NULL, 19, false },
	[MC_EVENTS] = { "events", NULL, 6, true },
};

struct msgv {
	struct view v;
	struct messages m;
	bool ok;
	size_t cur, top;
	int col;
};

#define MV(v) ((struct msgv *)(v))

static void run(struct msgv *mv)
{
	struct app *a = mv->v.app;
	char *cause = NULL;
	if (mv->ok)
		messages_clear(&mv->m);
	mv->ok = false;
	app_busy_begin(a, "listing messages");
	int rc = messages_run(app_query(a), messages_limit, &mv->m, &cause);
	app_busy_end(a);
	if (rc < 0) {
		if (query_cancelled(app_query(a)))
			app_message(a, "messages stopped (Esc); Ctrl-L lists them again");
		else
			app_error(a, "messages: %s", cause ? cause : "failed");
		free(cause);
		memset(&mv->m, 0, sizeof mv->m);
		return;
	}
	mv->ok = true;
	if (mv->cur >= mv->m.n)
		mv->cur = mv->m.n ? mv->m.n - 1 : 0;
}

static size_t page_rows(const struct msgv *mv)
{
	return mv->v.rows > 1 ? (size_t)(mv->v.rows - 1) : 1;
}

/* The text of column c of row r (borrowed, or in buf). */
static const char *cell(struct msgv *mv, const struct messages_row *r, int c, char *buf, size_t n)
{
	switch ((enum mcol)c) {
	case MC_MAILBOX: return r->mailbox;
	case MC_MSGID: return r->msgid ? r->msgid : r->sync ? "(every item: Sync)" : NULL;
	case MC_FOLDER: return r->folder;
	case MC_ACCESS: return r->access;
	case MC_APP: {
		const char *nm = r->app ? app_app_name(mv->v.app, r->app) : NULL;
		if (!nm)
			return r->app;
		snprintf(buf, n, "%s (%s)", nm, r->app);
		return buf;
	}
	case MC_IP: return r->ip;
	case MC_FIRST: return draw_time(r->first, buf, n);
	case MC_LAST: return draw_time(r->last, buf, n);
	case MC_EVENTS: return draw_count(r->events, buf, n);
	default: return NULL;
	}
}

/* Column widths for the window: fixed ones first, the rest shared by
 * mailbox, message id and app; columns that do not fit are left out
 * from the right (the status line names the cursor's column). */
static void widths(const struct msgv *mv, int *w)
{
	int fixed = 0, flex = 0;
	for (int c = 0; c < MC_COUNT; c++) {
		w[c] = mcols[c].width;
		if (w[c])
			fixed += w[c] + 1;
		else
			flex++;
	}
	int rest = mv->v.cols - 2 - fixed - flex;
	/* narrow: the columns a message is known by keep 24 columns each,
	 * others give way in this order */
	static const enum mcol drop[] = { MC_LAST, MC_EVENTS, MC_FIRST, MC_FOLDER, MC_IP };
	for (size_t i = 0; i < sizeof drop / sizeof drop[0] && rest < flex * 24; i++) {
		rest += w[drop[i]] + 1;
		w[drop[i]] = -1;
	}
	int share = rest > flex ? rest / flex : 1;
	for (int c = 0; c < MC_COUNT; c++)
		if (!w[c])
			w[c] = share;
	for (int c = 0; c < MC_COUNT; c++)
		if (w[c] < 0)
			w[c] = 0;
}

static void draw(struct view *v, WINDOW *w)
{
	struct msgv *mv = MV(v);
	werase(w);
	attr_t head = theme_attr(THEME_HEADER);
	int wd[MC_COUNT];
	widths(mv, wd);
	draw_fill(w, 0, 0, v->cols, head);
	int x = 2;
	for (int c = 0; c < MC_COUNT; c++) {
		if (!wd[c])
			continue;
		attr_t a = c == mv->col ? (head | A_UNDERLINE) : head;
		draw_cell(w, 0, x, mcols[c].title, wd[c], a, mcols[c].right);
		x += wd[c] + 1;
	}
	if (!mv->ok) {
		draw_text(w, 2, 2, "No list: it was stopped or failed. Ctrl-L lists again, q goes back.",
			  v->cols - 2, theme_attr(THEME_MESSAGE));
		return;
	}
	if (!mv->m.n) {
		draw_text(w, 2, 2,
			  "The events of this filter expose no message (MailItemsAccessed names them).",
			  v->cols - 2, theme_attr(THEME_MESSAGE));
		return;
	}
	list_show(mv->cur, &mv->top, page_rows(mv));
	char buf[320];
	for (size_t i = mv->top; i < mv->m.n && i - mv->top < page_rows(mv); i++) {
		const struct messages_row *r = &mv->m.rows[i];
		int y = (int)(i - mv->top) + 1;
		bool sel = i == mv->cur;
		attr_t base = theme_attr(sel ? THEME_SELECTED : THEME_NORMAL);
		draw_fill(w, y, 0, v->cols, base);
		x = 2;
		for (int c = 0; c < MC_COUNT; c++) {
			if (!wd[c])
				continue;
			const char *s = cell(mv, r, c, buf, sizeof buf);
			attr_t a = sel && c == mv->col ? theme_attr(THEME_CELL) : base;
			if (!s || (c == MC_MSGID && !r->msgid))
				a |= sel ? 0 : theme_attr(THEME_DIM);
			draw_cell(w, y, x, s ? s : "", wd[c], a, mcols[c].right);
			x += wd[c] + 1;
		}
	}
}

/* The value under the cursor for =, - and F (borrowed). */
static const char *pivot_value(const struct msgv *mv, int c)
{
	const struct messages_row *r = &mv->m.rows[mv->cur];
	switch ((enum mcol)c) {
	case MC_MAILBOX: return r->mailbox;
	case MC_MSGID: return r->msgid;
	case MC_FOLDER: return r->folder;
	case MC_ACCESS: return r->access;
	case MC_APP: return r->app;
	case MC_IP: return r->ip;
	default: return NULL;
	}
}

static int pivot(struct msgv *mv, bool exclude)
{
	struct app *a = mv->v.app;
	if (!mv->ok || mv->cur >= mv->m.n)
		return REACT_NONE;
	const char *field = mcols[mv->col].field;
	const char *value = pivot_value(mv, mv->col);
	if (!field || (!value && mv->col == MC_MSGID)) {
		app_message(a, "no filter on this column: h and l choose another");
		return REACT_CHROME;
	}
	if (app_pivot(a, field, value, exclude) < 0)
		return REACT_CHROME;
	return REACT_ALL;
}

/* Enter: the events that exposed the message (or synchronised the
 * folder), in the timeline. */
static int open_row(struct msgv *mv)
{
	struct app *a = mv->v.app;
	if (!mv->ok || mv->cur >= mv->m.n)
		return REACT_NONE;
	const struct messages_row *r = &mv->m.rows[mv->cur];
	const char *f = app_filter(a);
	char *mb = filter_quote(r->mailbox ? r->mailbox : "");
	char *which = r->msgid ? filter_quote(r->msgid) : filter_quote(r->folder ? r->folder : "");
	char *text = xasprintf("%s%s%smailbox=%s %s=%s", *f ? "(" : "", f, *f ? ") " : "", mb,
			       r->msgid ? PATH_MSGID : PATH_FOLDER, which);
	char *what = xasprintf("%s %s", r->msgid ? "message" : "folder",
			       r->msgid    ? r->msgid
			       : r->folder ? r->folder
					   : "");
	int rc = app_filter_narrow(a, text, what);
	free(what);
	free(text);
	free(which);
	free(mb);
	return rc < 0 ? REACT_CHROME : REACT_HOME;
}

static int action(struct view *v, enum keys_action act)
{
	struct msgv *mv = MV(v);
	size_t n = mv->ok ? mv->m.n : 0;
	switch (act) {
	case ACT_ENTER: return open_row(mv);
	case ACT_VALUE: {
		if (!mv->ok || mv->cur >= mv->m.n)
			return REACT_NONE;
		char buf[320];
		char *title = xasprintf("%s of row %zu of the messages (v or q closes, y copies)",
					mcols[mv->col].title, mv->cur + 1);
		app_push_view(v->app, view_value_new(v->app, title,
						     cell(mv, &mv->m.rows[mv->cur], mv->col, buf, sizeof buf)));
		free(title);
		return REACT_ALL;
	}
	case ACT_KEEP: return pivot(mv, false);
	case ACT_EXCLUDE: return pivot(mv, true);
	case ACT_STACK: {
		const char *field = mcols[mv->col].field;
		if (!field) {
			app_message(v->app, "no stack of this column: h and l choose another");
			return REACT_CHROME;
		}
		app_push_view(v->app, view_stack_new(v->app, field));
		return REACT_ALL;
	}
	case ACT_LEFT:
	case ACT_RIGHT: {
		int wd[MC_COUNT], c = mv->col;
		widths(mv, wd);
		do
			c += act == ACT_LEFT ? -1 : 1;
		while (c >= 0 && c < MC_COUNT && !wd[c]);
		if (c >= 0 && c < MC_COUNT)
			mv->col = c;
		return REACT_VIEW | REACT_CHROME;
	}
	case ACT_REDRAW:
		if (!mv->ok)
			run(mv);
		return REACT_PASS;
	default: return list_move(&mv->cur, act, n, page_rows(mv)) ? REACT_VIEW | REACT_CHROME : REACT_PASS;
	}
}

static void reload(struct view *v)
{
	struct msgv *mv = MV(v);
	mv->cur = mv->top = 0;
	run(mv);
}

static void status(struct view *v, char *buf, size_t n)
{
	struct msgv *mv = MV(v);
	if (!mv->ok) {
		snprintf(buf, n, "messages exposed  col %s", mcols[mv->col].title);
		return;
	}
	char msgs[32], rows[96], total[32];
	draw_count(mv->m.messages, msgs, sizeof msgs);
	draw_count((int64_t)mv->m.n, total, sizeof total);
	if (mv->m.n < mv->m.total) {
		/* cut: the true total, and where the rest are */
		char all[32];
		snprintf(rows, sizeof rows, "the first %s of %s (auditscope messages lists all)", total,
			 draw_count((int64_t)mv->m.total, all, sizeof all));
	} else {
		snprintf(rows, sizeof rows, "%s", total);
	}
	char folders[48] = "";
	if (mv->m.folders)
		snprintf(folders, sizeof folders, ", %lld folders synchronised", (long long)mv->m.folders);
	snprintf(buf, n, "row %zu of %s  %s messages exposed%s  col %s", mv->m.n ? mv->cur + 1 : 0, rows,
		 msgs, folders, mcols[mv->col].title);
}

static void msg_free(struct view *v)
{
	struct msgv *mv = MV(v);
	if (mv->ok)
		messages_clear(&mv->m);
	free(mv);
}

static const struct view_ops messages_ops = {
	.name = "messages",
	.keymap = KEYMAP_MESSAGES,
	.draw = draw,
	.action = action,
	.reload = reload,
	.status = status,
	.free = msg_free,
};

struct view *view_messages_new(struct app *a)
{
	struct msgv *mv = xcalloc(1, sizeof *mv);
	mv->v.ops = &messages_ops;
	mv->v.app = a;
	run(mv);
	return &mv->v;
}
