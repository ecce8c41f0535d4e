/*
 * view_detail.c: one event in full (view_detail.h).
 *
 * The content is built once per event as logical lines, each with a
 * colour role per byte (so that a JSON string keeps its colour when it
 * wraps), then wrapped to the window's width into display rows; a resize
 * only re-wraps. Every value from the record is sanitised when the line
 * is built, and the raw JSON is re-printed by jansson, whose output has
 * no raw control characters, then made safe of C1 and bidi characters
 * (json_text_safe), so what is coloured is exactly what is drawn.
 */
#include "view_detail.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "annotate.h"
#include "app.h"
#include "list.h"
#include "draw.h"
#include "sigma.h"
#include "hunt.h"
#include "ipgeo.h"
#include "sanitize.h"
#include "session.h"
#include "theme.h"
#include "timeparse.h"
#include "view_timeline.h"
#include "xalloc.h"

struct dline {
	char *text;
	unsigned char *roles; /* enum theme_role per byte */
	size_t len;
};

struct drow {
	size_t line, off, len;
};

struct detail {
	struct view v;
	int64_t id;
	char *record_id;
	struct dline *lines;
	size_t n, cap;
	struct drow *rows;
	size_t nrows, rcap;
	int wrapped_at; /* the width rows were wrapped to */
	size_t top;
	char *needle;
	int marked; /* the bookmark as shown: 1, 0, or -1 not read */
};

#define DETAIL(v) ((struct detail *)(v))

static void add_span(struct detail *d, const char *const *parts, const enum theme_role *roles, size_t nparts)
{
	size_t len = 0;
	for (size_t i = 0; i < nparts; i++)
		len += parts[i] ? strlen(parts[i]) : 0;
	struct dline l = { xmalloc(len + 1), xmalloc(len + 1), len };
	size_t o = 0;
	for (size_t i = 0; i < nparts; i++) {
		size_t k = parts[i] ? strlen(parts[i]) : 0;
		memcpy(l.text + o, parts[i] ? parts[i] : "", k);
		memset(l.roles + o, roles[i], k);
		o += k;
	}
	l.text[len] = '\0';
	d->lines = xgrow(d->lines, &d->cap, d->n + 1, sizeof *d->lines);
	d->lines[d->n++] = l;
}

/* A line of trusted text in one role. */
static void add_plain(struct detail *d, enum theme_role r, const char *text)
{
	const char *parts[] = { text };
	enum theme_role roles[] = { r };
	add_span(d, parts, roles, 1);
}

/* "  label         value": value is text from the log, sanitised here. */
static void add_field(struct detail *d, const char *label, const char *value, const char *extra)
{
	if (!value)
		return;
	char lab[32];
	snprintf(lab, sizeof lab, "  %-14s", label);
	char *safe = sanitize(value, strlen(value));
	char *ex = extra ? sanitize(extra, strlen(extra)) : NULL;
	char *exs = ex ? xasprintf("  (%s)", ex) : NULL;
	const char *parts[] = { lab, safe, exs };
	enum theme_role roles[] = { THEME_LABEL, THEME_NORMAL, THEME_DIM };
	add_span(d, parts, roles, 3);
	free(exs);
	free(ex);
	free(safe);
}

/* Colour one line of pretty-printed JSON. */
static void colour_json(const char *s, size_t n, unsigned char *roles)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t j = i + 1;
		enum theme_role r = THEME_NORMAL;
		if (c == '"') {
			while (j < n && s[j] != '"')
				j += s[j] == '\\' && j + 1 < n ? 2 : 1;
			if (j < n)
				j++;
			size_t k = j;
			while (k < n && s[k] == ' ')
				k++;
			r = k < n && s[k] == ':' ? THEME_KEY : THEME_STRING;
		} else if (c == '-' || isdigit(c)) {
			while (j < n && (isdigit((unsigned char)s[j]) || strchr(".eE+-", s[j])))
				j++;
			r = THEME_NUMBER;
		} else if (!strncmp(s + i, "true", 4) || !strncmp(s + i, "null", 4)) {
			j = i + 4;
			r = THEME_LITERAL;
		} else if (!strncmp(s + i, "false", 5)) {
			j = i + 5;
			r = THEME_LITERAL;
		}
		if (j > n)
			j = n;
		memset(roles + i, r, j - i);
		i = j;
	}
}

static void add_json(struct detail *d, const char *raw, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb(raw, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	char *pretty = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	/* not JSON after all: show the text as it is, made visible */
	char *safe = pretty ? json_text_safe(pretty, strlen(pretty)) : sanitize(raw, len);
	free(pretty);
	for (char *p = safe; *p;) {
		char *eol = strchr(p, '\n');
		size_t k = eol ? (size_t)(eol - p) : strlen(p);
		struct dline l = { xmalloc(k + 3), xmalloc(k + 3), k + 2 };
		memcpy(l.text, "  ", 2);
		memcpy(l.text + 2, p, k);
		l.text[k + 2] = '\0';
		memset(l.roles, THEME_NORMAL, k + 2);
		colour_json(l.text + 2, k, l.roles + 2);
		d->lines = xgrow(d->lines, &d->cap, d->n + 1, sizeof *d->lines);
		d->lines[d->n++] = l;
		p += k + (eol ? 1 : 0);
	}
	free(safe);
}

struct msg_ctx {
	struct detail *d;
	size_t count;
};

static int add_message(const struct store_message *msg, void *ctx)
{
	struct msg_ctx *c = ctx;
	struct detail *d = c->d;
	if (c->count++ == 0) {
		add_plain(d, THEME_NORMAL, "");
		add_plain(d, THEME_HEADER, "Messages this record names");
	}
	const char *folder = msg->folder, *msgid = msg->msgid;
	char size[32] = "";
	if (msg->size >= 0)
		snprintf(size, sizeof size, "  %lld bytes", (long long)msg->size);
	char *f = sanitize(folder ? folder : "", folder ? strlen(folder) : 0);
	char *m = msgid ? sanitize(msgid, strlen(msgid))
			: xstrdup("(whole folder synchronised: every item exposed)");
	char *lead = xasprintf("  %s  ", f);
	const char *parts[] = { lead, m, size };
	enum theme_role roles[] = { THEME_LABEL, THEME_NORMAL, THEME_DIM };
	add_span(d, parts, roles, 3);
	free(lead);
	free(f);
	free(m);
	return 0;
}

static void add_messages(struct detail *d)
{
	struct msg_ctx c = { d, 0 };
	store_event_messages(app_store(d->v.app), d->id, add_message, &c, NULL);
}

static void add_annotations(struct detail *d)
{
	struct annot_info *ai = NULL;
	d->marked = -1;
	if (annot_get(app_store(d->v.app), d->id, &ai, NULL) < 0 || !ai)
		return;
	d->marked = ai->marked ? 1 : 0;
	if (ai->marked || ai->ntags || ai->nnotes) {
		add_plain(d, THEME_NORMAL, "");
		add_plain(d, THEME_HEADER, "Annotations");
	}
	if (ai->marked) {
		char *s = xasprintf("%s, %s", ai->mark_author ? ai->mark_author : "?",
				    ai->mark_created ? ai->mark_created : "?");
		add_field(d, "bookmarked", s, NULL);
		free(s);
	}
	if (ai->ntags) {
		size_t len = 1;
		for (size_t i = 0; i < ai->ntags; i++)
			len += strlen(ai->tags[i]) + 2;
		char *s = xmalloc(len);
		s[0] = '\0';
		for (size_t i = 0; i < ai->ntags; i++) {
			if (i)
				strcat(s, ", ");
			strcat(s, ai->tags[i]);
		}
		char *safe = sanitize(s, strlen(s));
		const char *parts[] = { "  tags          ", safe };
		enum theme_role roles[] = { THEME_LABEL, THEME_TAG };
		add_span(d, parts, roles, 2);
		free(safe);
		free(s);
	}
	for (size_t i = 0; i < ai->nnotes; i++) {
		char *who = xasprintf("%s, %s", ai->notes[i].author, ai->notes[i].created);
		char *w = sanitize(who, strlen(who));
		char *t = sanitize(ai->notes[i].text, strlen(ai->notes[i].text));
		const char *parts[] = { "  note          ", t, "  (", w, ")" };
		enum theme_role roles[] = { THEME_LABEL, THEME_NOTE, THEME_DIM, THEME_DIM, THEME_DIM };
		add_span(d, parts, roles, 5);
		free(t);
		free(w);
		free(who);
	}
	annot_info_free(ai);
}

/* The sign-in behind the event (core/session.h): the one that issued its
 * token, else the one of its session. */
static void add_signin(struct detail *d, const struct query_row *r)
{
	struct query_row g;
	struct store *st = app_store(d->v.app);
	if (!r->session && !r->token)
		return;
	if (session_signin(st, r->id, &g, NULL) != 0)
		return;
	add_plain(d, THEME_NORMAL, "");
	add_plain(d, THEME_HEADER,
		  r->token && g.token && !strcmp(r->token, g.token)
			  ? "The sign-in behind it (same token; S: the whole session)"
			  : "The sign-in behind it (same session; S: the whole session)");
	char iso[40];
	time_format(g.ts, iso, sizeof iso);
	add_field(d, "time", iso, g.record_id);
	add_field(d, "user", g.user, NULL);
	add_field(d, "app", g.app, g.app ? app_app_name(d->v.app, g.app) : NULL);
	char *place = ipgeo_row_text(g.ip, g.country, g.asn, g.as_org, g.ip_label);
	add_field(d, "ip", g.ip, place);
	free(place);
	add_field(d, "host", g.host, NULL);
	add_field(d, "user agent", g.client_info, NULL);
	add_field(d, "result", g.result, NULL);
	size_t len = 0;
	char *raw = store_raw(st, g.id, &len);
	struct signin_facts f;
	session_signin_facts(raw, len, &f);
	free(raw);
	add_field(d, "device", f.device, NULL);
	add_field(d, "cond. access", f.ca, NULL);
	add_field(d, "mfa", f.mfa, NULL);
	add_field(d, "risk", f.risk, NULL);
	session_signin_facts_clear(&f);
	query_row_clear(&g);
}

/* S: the timeline narrowed to every event of the session. */
static int open_session(struct detail *d)
{
	struct app *a = d->v.app;
	struct session *s = NULL;
	char *cause = NULL;
	int r = session_find(app_store(a), d->record_id, &s, &cause);
	if (r != 0) {
		if (r < 0)
			app_error(a, "%s", cause);
		else
			app_message(a, "this event carries no session or token id");
		free(cause);
		return REACT_CHROME;
	}
	char *f = session_filter(s);
	char *label = xasprintf("session of %.40s (%zu events)", d->record_id, s->n);
	int rc = app_filter_push(a, f, label);
	free(label);
	free(f);
	session_free(s);
	return rc < 0 ? REACT_CHROME : REACT_HOME | REACT_RELOAD | REACT_ALL;
}

static void clear_lines(struct detail *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->lines[i].text);
		free(d->lines[i].roles);
	}
	d->n = 0;
	d->nrows = 0;
	d->wrapped_at = 0;
}

/* The Sigma rule whose events the timeline shows: which of its
 * selections the record meets, through which field and value. */
static void add_sigma(struct detail *d, const char *raw, size_t len)
{
	const struct sigma_rule *rule = app_sigma_rule(d->v.app);
	if (!rule || !raw)
		return;
	add_plain(d, THEME_NORMAL, "");
	char *head = xasprintf("Sigma rule: %s [%s]", rule->title ? rule->title : "",
			       rule->level ? rule->level : "-");
	char *sh = sanitize(head, strlen(head));
	add_plain(d, THEME_HEADER, sh);
	free(sh);
	free(head);
	char *why = sigma_explain(rule, raw, len);
	if (!why) {
		add_plain(d, THEME_DIM, "  (no selection of the rule matches this record alone)");
		return;
	}
	for (char *line = why, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *l = xasprintf("  %s", line);
		char *sl = sanitize(l, strlen(l));
		add_plain(d, THEME_SUSPICIOUS, sl);
		free(sl);
		free(l);
	}
	free(why);
}

/* The other exports this event was also read from; those whose copy a
 * richer one replaced, kept for their raw records after the event's. */
struct seen_copies {
	struct detail *d;
	struct seen_copy {
		char *path;
		int64_t line, raw;
	} * c;
	size_t n, cap;
};

static int add_seen(const char *path, int64_t line, int64_t raw, void *ctx)
{
	struct seen_copies *s = ctx;
	char *src = xasprintf("%s, line %lld", path, (long long)line);
	add_field(s->d, "also seen in", src,
		  raw ? "its copy replaced by this richer one: raw record below" : NULL);
	free(src);
	if (raw) {
		s->c = xgrow(s->c, &s->cap, s->n + 1, sizeof *s->c);
		s->c[s->n++] = (struct seen_copy){ xstrdup(path), line, raw };
	}
	return 0;
}

static void add_seen_raws(struct detail *d, struct seen_copies *s)
{
	for (size_t i = 0; i < s->n; i++) {
		char *path = sanitize(s->c[i].path, strlen(s->c[i].path));
		char *head =
			xasprintf("Raw record of the copy from %s, line %lld", path, (long long)s->c[i].line);
		add_plain(d, THEME_NORMAL, "");
		add_plain(d, THEME_HEADER, head);
		size_t len = 0;
		char *raw = store_raw(app_store(d->v.app), s->c[i].raw, &len);
		if (raw)
			add_json(d, raw, len);
		else
			add_plain(d, THEME_DIM, "  (cannot be read)");
		free(raw);
		free(head);
		free(path);
		free(s->c[i].path);
	}
	free(s->c);
}

static void build(struct detail *d, const struct query_row *r)
{
	clear_lines(d);
	d->id = r->id;
	free(d->record_id);
	d->record_id = xstrdup(r->record_id ? r->record_id : "");
	char iso[40];
	time_format(r->ts, iso, sizeof iso);
	char *op = r->op ? sanitize(r->op, strlen(r->op)) : xstrdup("(no operation)");
	const char *head[] = { iso, "  ", op };
	enum theme_role hr[] = { THEME_HEADER, THEME_NORMAL, THEME_HEADER };
	add_span(d, head, hr, 3);
	free(op);
	add_field(d, "record id", r->record_id, event_kind_title(r->kind));
	add_field(d, "detail", r->detail, NULL);
	add_field(d, "user", r->user, NULL);
	add_field(d, "app", r->app, r->app ? app_app_name(d->v.app, r->app) : NULL);
	add_field(d, "client app", r->client_app, r->client_app ? app_app_name(d->v.app, r->client_app) : NULL);
	char *place = ipgeo_row_text(r->ip, r->country, r->asn, r->as_org, r->ip_label);
	add_field(d, "ip", r->ip, place);
	free(place);
	add_field(d, "host", r->host, NULL);
	add_field(d, "workload", r->workload, NULL);
	add_field(d, "record type", r->rtype, NULL);
	add_field(d, "result", r->result, NULL);
	add_field(d, "session", r->session, NULL);
	add_field(d, "token", r->token, NULL);
	add_field(d, "mailbox", r->mailbox, NULL);
	add_field(d, "access", r->access, NULL);
	if (r->op_count >= 0) {
		char n[32];
		snprintf(n, sizeof n, "%lld", (long long)r->op_count);
		add_field(d, "op count", n, NULL);
	}
	add_field(d, "client info", r->client_info, NULL);
	if (r->flags & EVF_THROTTLED)
		add_field(d, "throttled", "yes: binds after this went unaudited for 24 hours", NULL);
	if (r->source) {
		char *src = xasprintf("%s, line %lld", r->source, (long long)r->line);
		add_field(d, "source", src, NULL);
		free(src);
	}
	struct seen_copies copies = { d, NULL, 0, 0 };
	store_event_seen(app_store(d->v.app), r->id, add_seen, &copies, NULL);
	unsigned hf = app_flags(d->v.app, r->id);
	if (hf) {
		char names[256] = "";
		for (int h = 0; h < HUNT_COUNT; h++)
			if (hf & (1u << h)) {
				size_t k = strlen(names);
				snprintf(names + k, sizeof names - k, "%s%s", k ? ", " : "",
					 hunt_def((enum hunt_id)h)->name);
			}
		const char *parts[] = { "  flagged by    ", names };
		enum theme_role roles[] = { THEME_LABEL, THEME_SUSPICIOUS };
		add_span(d, parts, roles, 2);
	}
	add_signin(d, r);
	add_annotations(d);
	add_messages(d);
	size_t len = 0;
	char *raw = store_raw(app_store(d->v.app), r->id, &len);
	/* a damaged block or dictionary: said, with the case's path made
	 * safe like any text that is not the program's own */
	const char *bad = raw ? NULL : store_raw_error(app_store(d->v.app));
	char *why = bad ? sanitize(bad, strlen(bad)) : NULL;
	add_sigma(d, raw, len);
	add_plain(d, THEME_NORMAL, "");
	add_plain(d, THEME_HEADER, "Raw record");
	if (raw) {
		add_json(d, raw, len);
	} else if (why) {
		const char *parts[] = { "  cannot be read: ", why };
		enum theme_role roles[] = { THEME_DIM, THEME_SUSPICIOUS };
		add_span(d, parts, roles, 2);
	} else {
		add_plain(d, THEME_DIM, "  (the raw record is not in the case)");
	}
	free(why);
	free(raw);
	add_seen_raws(d, &copies);
}

/* Wrap the logical lines to the window's width. */
static void wrap(struct detail *d)
{
	int cols = d->v.cols > 4 ? d->v.cols : 4;
	if (d->wrapped_at == cols && d->nrows)
		return;
	d->nrows = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct dline *l = &d->lines[i];
		size_t off = 0;
		do {
			size_t used;
			size_t k = text_fit(l->text + off, l->len - off, (size_t)cols, &used);
			if (k == 0 && off < l->len)
				k = 1;
			d->rows = xgrow(d->rows, &d->rcap, d->nrows + 1, sizeof *d->rows);
			d->rows[d->nrows++] = (struct drow){ i, off, k };
			off += k;
		} while (off < l->len);
	}
	d->wrapped_at = cols;
	if (d->top >= d->nrows)
		d->top = d->nrows ? d->nrows - 1 : 0;
}

static void draw(struct view *v, WINDOW *w)
{
	struct detail *d = DETAIL(v);
	wrap(d);
	werase(w);
	for (int y = 0; y < v->rows && d->top + (size_t)y < d->nrows; y++) {
		const struct drow *r = &d->rows[d->top + (size_t)y];
		const struct dline *l = &d->lines[r->line];
		/* search matches override the colour of their bytes */
		unsigned char *roles = xmalloc(r->len + 1);
		memcpy(roles, l->roles + r->off, r->len);
		if (d->needle) {
			size_t k = strlen(d->needle);
			for (const char *m = l->text;
			     (m = draw_find(m, l->len - (size_t)(m - l->text), d->needle)); m += k) {
				size_t at = (size_t)(m - l->text);
				for (size_t b = at; b < at + k; b++)
					if (b >= r->off && b < r->off + r->len)
						roles[b - r->off] = THEME_MATCH;
			}
		}
		int x = 0;
		size_t i = 0;
		while (i < r->len && x < v->cols) {
			size_t j = i + 1;
			while (j < r->len && roles[j] == roles[i])
				j++;
			x += draw_textn(w, y, x, l->text + r->off + i, j - i, v->cols - x,
					theme_attr((enum theme_role)roles[i]));
			i = j;
		}
		free(roles);
	}
}

static size_t page_rows(const struct detail *d)
{
	return d->v.rows > 1 ? (size_t)d->v.rows : 1;
}

static size_t last_top(struct detail *d)
{
	wrap(d);
	return d->nrows > page_rows(d) ? d->nrows - page_rows(d) : 0;
}

static int find(struct detail *d, int dir)
{
	if (!d->needle) {
		app_message(d->v.app, "no search yet: / searches in the record");
		return REACT_CHROME;
	}
	wrap(d);
	for (size_t k = 1; k <= d->nrows; k++) {
		size_t i = dir > 0 ? (d->top + k) % d->nrows : (d->top + d->nrows - k) % d->nrows;
		const struct drow *r = &d->rows[i];
		const struct dline *l = &d->lines[r->line];
		/* a match that starts in this display row */
		const char *m = draw_find(l->text + r->off, l->len - r->off, d->needle);
		if (m && (size_t)(m - l->text) < r->off + r->len) {
			d->top = i;
			return REACT_VIEW | REACT_CHROME;
		}
	}
	app_message(d->v.app, "not found in this record");
	return REACT_VIEW | REACT_CHROME;
}

static int on_search(struct app *a, void *ctx, const char *text, int *column)
{
	struct detail *d = ctx;
	(void)a;
	(void)column;
	free(d->needle);
	d->needle = *text ? xstrdup(text) : NULL;
	if (!d->needle)
		return REACT_VIEW;
	if (d->top > 0)
		d->top--;
	return find(d, 1);
}

/* Follow the timeline's cursor to the next or previous event. */
static int other_event(struct detail *d, int dir)
{
	struct view *tl = app_timeline(d->v.app);
	if (!tl || !view_timeline_step(tl, dir)) {
		app_message(d->v.app, dir > 0 ? "this is the last event" : "this is the first event");
		return REACT_CHROME;
	}
	const struct query_row *r = view_timeline_current(tl);
	if (r) {
		build(d, r);
		d->top = 0;
	}
	return REACT_VIEW | REACT_CHROME;
}

static int action(struct view *v, enum keys_action act)
{
	struct detail *d = DETAIL(v);
	size_t page = page_rows(d), last = last_top(d);
	switch (act) {
	case ACT_NEXT_EVENT: return other_event(d, 1);
	case ACT_PREV_EVENT: return other_event(d, -1);
	case ACT_SEARCH:
		app_prompt(v->app, "/", NULL, APP_HIST_SEARCH, on_search, d, NULL);
		return REACT_CHROME;
	case ACT_SEARCH_NEXT: return find(d, 1);
	case ACT_SEARCH_PREV: return find(d, -1);
	case ACT_BOOKMARK: return annotate_bookmark(v->app, d->id, d->marked);
	case ACT_TAG: return annotate_tag(v->app, d->id);
	case ACT_NOTE: return annotate_note(v->app, d->id);
	case ACT_SESSION: return open_session(d);
	case ACT_BACK: return REACT_POP;
	default: return list_scroll(&d->top, act, last, page) ? REACT_VIEW | REACT_CHROME : REACT_PASS;
	}
}

static void annotated(struct view *v)
{
	struct detail *d = DETAIL(v);
	struct view *tl = app_timeline(v->app);
	const struct query_row *r = tl ? view_timeline_current(tl) : NULL;
	size_t top = d->top;
	if (r && r->id == d->id)
		build(d, r);
	d->top = top;
}

static void resize(struct view *v)
{
	DETAIL(v)->wrapped_at = 0;
}

static void status(struct view *v, char *buf, size_t n)
{
	struct detail *d = DETAIL(v);
	wrap(d);
	size_t end = d->top + page_rows(d);
	char *rid = sanitize(d->record_id, strlen(d->record_id));
	snprintf(buf, n, "lines %zu-%zu of %zu  record %s", d->nrows ? d->top + 1 : 0,
		 end < d->nrows ? end : d->nrows, d->nrows, rid);
	free(rid);
}

static void detail_free(struct view *v)
{
	struct detail *d = DETAIL(v);
	clear_lines(d);
	free(d->lines);
	free(d->rows);
	free(d->record_id);
	free(d->needle);
	free(d);
}

static const struct view_ops detail_ops = {
	.name = "detail",
	.keymap = KEYMAP_DETAIL,
	.draw = draw,
	.action = action,
	.resize = resize,
	.annotated = annotated,
	.status = status,
	.free = detail_free,
};

struct view *view_detail_new(struct app *a, const struct query_row *r)
{
	struct detail *d = xcalloc(1, sizeof *d);
	d->v.ops = &detail_ops;
	d->v.app = a;
	build(d, r);
	return &d->v;
}
