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
 *
 * A value or raw record of any size opens at once: a field lays out at
 * most DETAIL_FIELD_MAX bytes of its value, a line of the raw record
 * DETAIL_LINE_MAX, and a cut one ends in a mark saying how many more
 * there are (v shows the whole value, paged), a raw record
 * past DETAIL_JANSSON_MAX is pretty-printed here a line at a time from
 * its text, and at most DETAIL_RAW_LINES lines of it are laid out. A 50
 * MB field laid out whole took 15.6 s and ~700 MB.
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
#include "view_value.h"
#include "xalloc.h"

/* Bytes of one line of a raw record laid out, and of one field above it
 * (a summary: 1 KB is ~9 rows of 120 columns; the raw record below has
 * the rest). */
#define DETAIL_LINE_MAX ((size_t)64 << 10)
#define DETAIL_FIELD_MAX ((size_t)1 << 10)
/* A raw record past this is not parsed whole: pretty-printed from its
 * text, its lines cut as they are made. */
#define DETAIL_JANSSON_MAX ((size_t)1 << 20)
/* Lines and bytes of a raw record laid out, and its indentation. */
#define DETAIL_RAW_LINES 20000
#define DETAIL_RAW_BYTES ((size_t)4 << 20)
#define DETAIL_INDENT_MAX 64

struct dline {
	char *text;
	unsigned char *roles; /* enum theme_role per byte */
	size_t len;
};

/* A line whose value is cut: what v shows whole. */
struct dcut {
	size_t line;
	char *title;
	char *value; /* the value, or NULL: the raw record raw */
	size_t len;
	int64_t raw; /* store_raw's id */
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
	struct dcut *cuts;
	size_t ncuts, cutcap;
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

/* The mark ending a cut line: how much more there is. */
static char *cut_mark(size_t more, bool v)
{
	char n[32];
	draw_count((int64_t)more, n, sizeof n);
	return xasprintf(" %s (%s more bytes%s)", draw_cut_mark(), n, v ? ": v shows all" : "");
}

/* The last line added is cut: v shows value[0..len) (copied), or the
 * raw record raw when value is NULL. */
static void add_cut(struct detail *d, const char *title, const char *value, size_t len, int64_t raw)
{
	d->cuts = xgrow(d->cuts, &d->cutcap, d->ncuts + 1, sizeof *d->cuts);
	struct dcut *c = &d->cuts[d->ncuts++];
	c->line = d->n - 1;
	c->title = xstrdup(title);
	c->value = NULL;
	c->len = len;
	c->raw = raw;
	if (value) {
		c->value = xmalloc(len + 1);
		memcpy(c->value, value, len);
		c->value[len] = '\0';
	}
}

/* Hostile text made safe, at most DETAIL_LINE_MAX bytes of it, with the
 * mark of what was left out (and no v: the text is not kept). */
static char *safe_capped(const char *s, size_t n)
{
	size_t k = sanitize_cut(s, n, DETAIL_LINE_MAX);
	char *safe = sanitize(s, k);
	if (k == n)
		return safe;
	char *mark = cut_mark(n - k, false);
	char *both = xasprintf("%s%s", safe, mark);
	free(mark);
	free(safe);
	return both;
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
	size_t n = strlen(value), k = sanitize_cut(value, n, DETAIL_FIELD_MAX);
	char *safe = sanitize(value, k);
	char *mark = k < n ? cut_mark(n - k, true) : NULL;
	char *ex = extra ? safe_capped(extra, strlen(extra)) : NULL;
	char *exs = ex ? xasprintf("  (%s)", ex) : NULL;
	const char *parts[] = { lab, safe, mark, exs };
	enum theme_role roles[] = { THEME_LABEL, THEME_NORMAL, THEME_CUT, THEME_DIM };
	add_span(d, parts, roles, 4);
	if (mark)
		add_cut(d, label, value, n, -1);
	free(mark);
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

/* One line of a raw record's pretty text, t[0..k), more bytes of it left
 * out: made safe, coloured, and ending in the cut mark when cut. */
static void add_json_line(struct detail *d, const char *t, size_t k, size_t more, int64_t raw)
{
	char *safe = json_text_safe(t, k);
	size_t n = strlen(safe);
	/* a control byte (not valid JSON) is shown as an escape */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)safe[i] < 0x20) {
			free(safe);
			safe = sanitize(t, k);
			n = strlen(safe);
			break;
		}
	char *mark = more ? cut_mark(more, true) : NULL;
	size_t m = mark ? strlen(mark) : 0;
	struct dline l = { xmalloc(n + m + 3), xmalloc(n + m + 3), n + m + 2 };
	memcpy(l.text, "  ", 2);
	memcpy(l.text + 2, safe, n);
	if (m)
		memcpy(l.text + 2 + n, mark, m);
	l.text[n + m + 2] = '\0';
	memset(l.roles, THEME_NORMAL, n + 2);
	colour_json(l.text + 2, n, l.roles + 2);
	memset(l.roles + 2 + n, THEME_CUT, m);
	d->lines = xgrow(d->lines, &d->cap, d->n + 1, sizeof *d->lines);
	d->lines[d->n++] = l;
	if (mark)
		add_cut(d, "raw record", NULL, 0, raw);
	free(mark);
	free(safe);
}

/* Pretty-printing a big raw record from its text, in jansson's layout
 * (two spaces an level), a line at a time: a line keeps its first
 * DETAIL_LINE_MAX bytes, the record its first DETAIL_RAW_LINES lines. */
struct pretty {
	struct detail *d;
	int64_t raw;
	char *buf;
	size_t len, cap, more;
	size_t lines, bytes;
	bool full; /* enough laid out: the rest is only counted */
};

static void pretty_put(struct pretty *p, const char *s, size_t k)
{
	size_t room = p->len < DETAIL_LINE_MAX ? DETAIL_LINE_MAX - p->len : 0;
	size_t take = k <= room ? k : sanitize_cut(s, k, room);
	if (take) {
		p->buf = xgrow(p->buf, &p->cap, p->len + take + 1, 1);
		memcpy(p->buf + p->len, s, take);
		p->len += take;
	}
	p->more += k - take;
}

static void pretty_newline(struct pretty *p, size_t depth)
{
	if (p->full)
		return;
	add_json_line(p->d, p->buf ? p->buf : "", p->len, p->more, p->raw);
	p->bytes += p->len;
	p->len = p->more = 0;
	if (++p->lines >= DETAIL_RAW_LINES || p->bytes >= DETAIL_RAW_BYTES) {
		p->full = true;
		return;
	}
	for (size_t i = 0; i < depth && i < DETAIL_INDENT_MAX; i++)
		pretty_put(p, "  ", 2);
}

static void add_json_big(struct detail *d, const char *s, size_t n, int64_t raw)
{
	struct pretty p = { .d = d, .raw = raw };
	size_t depth = 0, i = 0;
	while (i < n && !p.full) {
		char c = s[i];
		size_t j = i + 1;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			/* white space between tokens: the layout is ours */
		} else if (c == '{' || c == '[') {
			while (j < n && strchr(" \t\r\n", s[j]))
				j++;
			if (j < n && s[j] == (c == '{' ? '}' : ']')) {
				pretty_put(&p, c == '{' ? "{}" : "[]", 2);
				j++;
			} else {
				pretty_put(&p, &c, 1);
				pretty_newline(&p, ++depth);
				j = i + 1;
			}
		} else if (c == '}' || c == ']') {
			pretty_newline(&p, depth ? --depth : 0);
			pretty_put(&p, &c, 1);
		} else if (c == ',') {
			pretty_put(&p, ",", 1);
			pretty_newline(&p, depth);
		} else if (c == ':') {
			pretty_put(&p, ": ", 2);
		} else if (c == '"') {
			while (j < n && s[j] != '"')
				j += s[j] == '\\' && j + 1 < n ? 2 : 1;
			if (j < n)
				j++;
			pretty_put(&p, s + i, j - i);
		} else {
			while (j < n && !strchr(" \t\r\n{}[],:\"", s[j]))
				j++;
			pretty_put(&p, s + i, j - i);
		}
		i = j;
	}
	if (p.full) {
		char more[32];
		draw_count((int64_t)(n - i), more, sizeof more);
		char *t = xasprintf("  %s %s more bytes of the raw record: v shows it all", draw_cut_mark(),
				    more);
		add_plain(d, THEME_CUT, t);
		add_cut(d, "raw record", NULL, 0, raw);
		free(t);
	} else if (p.len || p.more) {
		add_json_line(d, p.buf, p.len, p.more, raw);
	}
	free(p.buf);
}

/* The raw record raw[0..len) (store_raw's id raw_id), pretty-printed. */
static void add_json(struct detail *d, const char *raw, size_t len, int64_t raw_id)
{
	size_t at = 0;
	while (at < len && strchr(" \t\r\n", raw[at]))
		at++;
	bool json_like = at < len && (raw[at] == '{' || raw[at] == '[');
	if (len > DETAIL_JANSSON_MAX && json_like) {
		add_json_big(d, raw + at, len - at, raw_id);
		return;
	}
	char *pretty = NULL;
	if (len <= DETAIL_JANSSON_MAX) {
		json_error_t err;
		json_t *j = json_loadb(raw, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		pretty = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
	}
	if (!pretty) {
		/* not JSON after all: the text as it is, made visible */
		size_t k = sanitize_cut(raw, len, DETAIL_LINE_MAX);
		char *safe = sanitize(raw, k);
		char *mark = k < len ? cut_mark(len - k, true) : NULL;
		const char *parts[] = { "  ", safe, mark };
		enum theme_role roles[] = { THEME_NORMAL, THEME_NORMAL, THEME_CUT };
		add_span(d, parts, roles, 3);
		if (mark)
			add_cut(d, "raw record", NULL, 0, raw_id);
		free(mark);
		free(safe);
		return;
	}
	for (char *p = pretty; *p;) {
		char *eol = strchr(p, '\n');
		size_t k = eol ? (size_t)(eol - p) : strlen(p);
		size_t keep = sanitize_cut(p, k, DETAIL_LINE_MAX);
		add_json_line(d, p, keep, k - keep, raw_id);
		p += k + (eol ? 1 : 0);
	}
	free(pretty);
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
	char *f = safe_capped(folder ? folder : "", folder ? strlen(folder) : 0);
	char *m = msgid ? safe_capped(msgid, strlen(msgid))
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
		char *safe = safe_capped(s, strlen(s));
		const char *parts[] = { "  tags          ", safe };
		enum theme_role roles[] = { THEME_LABEL, THEME_TAG };
		add_span(d, parts, roles, 2);
		free(safe);
		free(s);
	}
	for (size_t i = 0; i < ai->nnotes; i++) {
		char *who = xasprintf("%s, %s", ai->notes[i].author, ai->notes[i].created);
		char *w = safe_capped(who, strlen(who));
		char *t = safe_capped(ai->notes[i].text, strlen(ai->notes[i].text));
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
	for (size_t i = 0; i < d->ncuts; i++) {
		free(d->cuts[i].title);
		free(d->cuts[i].value);
	}
	d->ncuts = 0;
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
	char *sh = safe_capped(head, strlen(head));
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
		char *sl = safe_capped(l, strlen(l));
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
		char *path = safe_capped(s->c[i].path, strlen(s->c[i].path));
		char *head =
			xasprintf("Raw record of the copy from %s, line %lld", path, (long long)s->c[i].line);
		add_plain(d, THEME_NORMAL, "");
		add_plain(d, THEME_HEADER, head);
		size_t len = 0;
		char *raw = store_raw(app_store(d->v.app), s->c[i].raw, &len);
		if (raw)
			add_json(d, raw, len, s->c[i].raw);
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
		add_json(d, raw, len, r->id);
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

/* v: the first value cut on the screen (or below it) whole, else the
 * raw record whole, paged in the value view. */
static int show_value(struct detail *d)
{
	wrap(d);
	size_t first = d->nrows ? d->rows[d->top].line : 0;
	const struct dcut *c = NULL;
	for (size_t i = 0; i < d->ncuts && !c; i++)
		if (d->cuts[i].line >= first)
			c = &d->cuts[i];
	struct app *a = d->v.app;
	if (c && c->value) {
		app_push_view(a, view_value_new_n(a, c->title, c->value, c->len));
		return REACT_ALL;
	}
	int64_t raw_id = c ? c->raw : d->id;
	size_t len = 0;
	char *raw = store_raw(app_store(a), raw_id, &len);
	if (!raw) {
		app_message(a, "the raw record cannot be read");
		return REACT_CHROME;
	}
	char *rid = sanitize(d->record_id, strnlen(d->record_id, 64));
	char *title = xasprintf("raw record %s", rid);
	app_push_view(a, view_value_new_n(a, title, raw, len));
	free(title);
	free(rid);
	free(raw);
	return REACT_ALL;
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
	case ACT_VALUE: return show_value(d);
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
	char *rid = sanitize(d->record_id, sanitize_cut(d->record_id, strlen(d->record_id), 256));
	snprintf(buf, n, "lines %zu-%zu of %zu  record %s", d->nrows ? d->top + 1 : 0,
		 end < d->nrows ? end : d->nrows, d->nrows, rid);
	free(rid);
}

static void detail_free(struct view *v)
{
	struct detail *d = DETAIL(v);
	clear_lines(d);
	free(d->lines);
	free(d->cuts);
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
